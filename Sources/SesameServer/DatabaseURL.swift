import Foundation
import SesameCore
import SesamePostgres

/// Where the store lives: `sqlite:PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`.
public enum DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(String)

    /// The default: `sqlite:./sesame-data/sesame.sqlite`.
    public static let defaultValue = DatabaseURL.sqlite(path: "./sesame-data/sesame.sqlite")

    /// Parses `text`.
    /// - Throws: ``SesameError/Code/invalidInput`` for anything else.
    public init(parsing text: String) throws {
        if text.hasPrefix("sqlite:") {
            var path = String(text.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw SesameError(.invalidInput, "sqlite: URL needs a path, e.g. sqlite:./sesame-data/sesame.sqlite") }
            self = .sqlite(path: path)
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            _ = try PostgresConnectionURL(parsing: text)  // reject a malformed URL at once
            self = .postgres(text)
        } else {
            throw SesameError(.invalidInput, "database URL must be sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB")
        }
    }

    /// The URL with any password masked, safe to print and log.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let url):
            guard let at = url.lastIndex(of: "@"), let schemeEnd = url.range(of: "://") else { return url }
            let credentials = url[schemeEnd.upperBound..<at]
            guard let colon = credentials.firstIndex(of: ":") else { return url }
            return String(url[..<colon]) + ":****" + String(url[at...])
        }
    }
}
