import Foundation

/// A fresh directory under the system's temporary directory, for one test's files.
///
/// ```swift
/// let directory = try TemporaryDirectory("sesame-cli")
/// defer { directory.remove() }
/// let store = try SQLiteStore(path: directory.path("sesame.sqlite"))
/// ```
public struct TemporaryDirectory: Sendable {
    public let url: URL

    /// Creates `<temporary directory>/<prefix>-<UUID>`.
    public init(_ prefix: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside it.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// The database URL of an SQLite file `sesame.sqlite` inside it.
    public var sqliteURL: String { "sqlite:" + path("sesame.sqlite") }

    /// Deletes it and everything in it.
    public func remove() { try? FileManager.default.removeItem(at: url) }
}
