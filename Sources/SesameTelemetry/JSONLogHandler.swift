import Foundation
import Logging
import Synchronization

/// Writes each log event as one JSON object on one line:
/// `{"ts":"2026-11-21T21:00:00.123Z","level":"info","label":"sesame","message":"…","metadata":{…}}`.
///
/// Metadata comes from the handler, its metadata provider (``RequestID/metadataProvider``) and
/// the event, later ones winning; nested values become arrays and objects.
public struct JSONLogHandler: LogHandler {
    public let label: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let sink: @Sendable (String) -> Void

    /// A handler writing to standard error.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil) {
        self.init(label: label, metadataProvider: metadataProvider, sink: JSONLogHandler.standardError)
    }

    /// A handler passing each line (without its newline) to `sink`.
    public init(label: String, metadataProvider: Logger.MetadataProvider? = nil, sink: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.metadataProvider = metadataProvider
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        sink(Self.line(ts: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged))
    }

    /// The JSON line of one event.
    static func line(ts: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        let object: [String: Any] = [
            "ts": timestamp(ts), "level": level.rawValue, "label": label, "message": message,
            "metadata": metadata.mapValues(json),
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return #"{"level":"error","message":"unencodable log event"}"# }
        return String(decoding: data, as: UTF8.self)
    }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let a): return a.map(json)
        case .dictionary(let d): return d.mapValues(json)
        }
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    private static let lock = Mutex(())

    /// Writes `line` and a newline to standard error, one whole line at a time.
    @Sendable static func standardError(_ line: String) {
        lock.withLock { _ in FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }
}
