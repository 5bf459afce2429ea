/// The shapes of account identifiers and passwords, shared by administration and the
/// login dialects so that both agree on what is valid.
public enum AccountRules {
    /// 6 to 20 characters (family A's 5056).
    public static func isValidPassword(_ p: String) -> Bool {
        (6...20).contains(p.count) && !p.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// A plausible e-mail: one `@`, a non-empty local part, a dotted domain, no spaces,
    /// at most 254 bytes.
    public static func isValidEmail(_ e: String) -> Bool {
        let u = Array(e.utf8)
        guard (3...254).contains(u.count), u.allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else { return false }
        let parts = e.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64 else { return false }
        let host = parts[1]
        guard host.contains("."), !host.hasPrefix("."), !host.hasSuffix("."), !host.contains("..") else { return false }
        return true
    }

    /// E-mails are unique and matched case-insensitively.
    public static func normalizedEmail(_ e: String) -> String { e.lowercased() }

    /// 4 to 20 digits.
    public static func isValidPhone(_ p: String) -> Bool {
        (4...20).contains(p.utf8.count) && p.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// `86`, `+86` or `0086` as `86`; `nil` when not 1 to 4 digits.
    public static func normalizedInternationalCode(_ c: String) -> String? {
        var s = Substring(c)
        if s.hasPrefix("+") { s = s.dropFirst() } else if s.hasPrefix("00") { s = s.dropFirst(2) }
        guard (1...4).contains(s.utf8.count), s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return String(s)
    }

    /// 1 to 64 printable characters without spaces.
    public static func isValidUsername(_ u: String) -> Bool {
        (1...64).contains(u.count) && !u.unicodeScalars.contains { $0.properties.isWhitespace || $0.properties.generalCategory == .control }
    }
}
