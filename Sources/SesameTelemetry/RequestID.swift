import Logging
import SesameCore

/// The id of the request being served, carried as a task-local so that every log line written
/// while serving it (by the dialects, the token core, the store) names it, with no logger passed
/// around: loggers built with ``metadataProvider`` add it as `request_id`.
public enum RequestID {
    /// The current request's id; `nil` outside a request.
    @TaskLocal public static var current: String?

    /// The header a client (or proxy) may send, and that every response echoes.
    public static let headerName = "X-Request-Id"

    /// Adds `request_id` to every log line written inside a request.
    public static let metadataProvider = Logger.MetadataProvider {
        guard let id = current else { return [:] }
        return ["request_id": .string(id)]
    }

    /// Whether an incoming id is sane enough to adopt: 1 to 128 characters of letters, digits
    /// and `-_.:`, so that nothing a client sends can forge or break a log line.
    public static func isAcceptable(_ id: String) -> Bool {
        let u = id.utf8
        return (1...128).contains(u.count)
            && u.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
                    || b == 0x2E || b == 0x3A
            }
    }

    /// A new random id (96 bits, Base64URL).
    public static func make() -> String { RandomToken.make(byteCount: 12) }
}
