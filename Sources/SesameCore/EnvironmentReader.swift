/// Reads typed `SESAME_*` values from an environment, refusing invalid ones with a message
/// that names the variable (and never echoes its value, which may be a secret).
public struct EnvironmentReader: Sendable {
    public let environment: [String: String]

    public init(_ environment: [String: String]) { self.environment = environment }

    /// The trimmed text of `key`, or `nil` when unset.
    public func text(_ key: String) -> String? { environment[key]?.trimmingWhitespace() }

    /// The whole number in `key` within `range`; `nil` when unset.
    /// - Throws: ``SesameError/Code/invalidInput``: "`key` must be `rule`".
    public func integer<T: FixedWidthInteger & Sendable>(_ key: String, in range: ClosedRange<T>, rule: String) throws -> T? {
        guard let raw = text(key) else { return nil }
        guard let value = T(raw), range.contains(value) else { throw SesameError(.invalidInput, "\(key) must be \(rule)") }
        return value
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`) in `key`; `nil` when unset.
    public func flag(_ key: String) throws -> Bool? {
        guard let raw = text(key) else { return nil }
        switch raw.lowercased() {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw SesameError(.invalidInput, "\(key) must be true or false")
        }
    }
}
