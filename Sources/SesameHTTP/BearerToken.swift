import SesameCore
/// Token strings as clients send them: raw, or with a `Bearer ` prefix.
public enum BearerToken {
    /// `value` without surrounding white space and without a leading `Bearer ` (any case).
    public static func strip(_ value: String) -> String {
        let trimmed = value.trimmingWhitespace()
        if trimmed.lowercased() == "bearer" { return "" }
        let prefix = "bearer "
        if trimmed.utf8.count >= prefix.utf8.count,
            String(decoding: trimmed.utf8.prefix(prefix.utf8.count), as: UTF8.self).lowercased() == prefix
        {
            return String(decoding: trimmed.utf8.dropFirst(prefix.utf8.count), as: UTF8.self).trimmingWhitespace()
        }
        return trimmed
    }
}
