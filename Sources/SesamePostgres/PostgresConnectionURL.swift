import Foundation
import SesameCore

/// A parsed `postgres://USER:PASSWORD@HOST:PORT/DB?sslmode=...&schema=...` URL.
///
/// - `sslmode`: `disable`, `prefer` (the default: TLS when the server offers it) or `require`
///   (TLS with certificate and host name verification).
/// - `schema`: the schema Sesame's tables live in (default `public`); lets several Sesame
///   deployments, or test runs, share one database.
///
/// User name and password are percent-decoded, so a password may hold any character.
public struct PostgresConnectionURL: Sendable, Equatable {
    public enum TLSMode: String, Sendable, Equatable {
        case disable, prefer, require
    }

    public var host: String
    public var port: Int
    public var username: String
    /// - Warning: Never log it.
    public var password: String?
    public var database: String
    public var tls: TLSMode
    public var schema: String?

    /// - Throws: ``SesameError/Code/invalidInput`` naming what is wrong (never echoing the password).
    public init(parsing text: String) throws {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"),
            let components = URLComponents(string: text)
        else {
            throw SesameError(.invalidInput, "a PostgreSQL URL looks like postgres://USER:PASSWORD@HOST:PORT/DB")
        }
        guard let host = components.host, !host.isEmpty else {
            throw SesameError(.invalidInput, "the PostgreSQL URL names no host")
        }
        guard let user = components.percentEncodedUser.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            throw SesameError(.invalidInput, "the PostgreSQL URL names no user (postgres://USER:PASSWORD@HOST:PORT/DB)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw SesameError(.invalidInput, "the PostgreSQL URL names no database (postgres://USER:PASSWORD@HOST:PORT/DB)")
        }
        let port = components.port ?? 5432
        guard (1...65_535).contains(port) else { throw SesameError(.invalidInput, "the PostgreSQL URL's port is out of range") }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = port
        self.username = user
        self.password = components.percentEncodedPassword.flatMap { $0.removingPercentEncoding }
        self.database = database.removingPercentEncoding ?? database
        self.tls = .prefer
        self.schema = nil
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw SesameError(.invalidInput, "sslmode must be disable, prefer or require")
                }
                tls = mode
            case "schema":
                // An identifier we can quote safely: letters, digits, underscores.
                guard let name = item.value, Self.isPlainIdentifier(name) else {
                    throw SesameError(.invalidInput, "schema must be 1 to 63 letters, digits or underscores, not starting with a digit")
                }
                schema = name
            default:
                throw SesameError(.invalidInput, "unknown PostgreSQL URL parameter '\(item.name)' (known: sslmode, schema)")
            }
        }
    }

    static func isPlainIdentifier(_ name: String) -> Bool {
        guard (1...63).contains(name.utf8.count), let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}
