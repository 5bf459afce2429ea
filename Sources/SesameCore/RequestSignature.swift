import Crypto

/// Family A's request `signature`: lower-case hex SHA-256 of a concatenation of parameters and
/// the user domain secret.
///
/// - email login: `email + pwd + random + secret`
/// - phone login: `internationalCode + phone + pwd + random + secret`
///
/// `pwd` is taken as sent (the encrypted form when `random` is present); an absent optional
/// parameter contributes the empty string.
public enum RequestSignature {
    /// The expected signature of `parts` followed by `secret`.
    public static func expected(_ parts: [String], secret: String) -> String {
        var hasher = SHA256()
        for p in parts { hasher.update(data: Array(p.utf8)) }
        hasher.update(data: Array(secret.utf8))
        return hasher.finalize().hexString()
    }

    /// Whether `presented` is the signature of `parts` under `secret`: case-insensitive, and in
    /// constant time (the comparison does not stop at the first differing character).
    public static func isValid(_ presented: String, parts: [String], secret: String) -> Bool {
        let expected = Array(expected(parts, secret: secret).utf8)
        let lowered = presented.utf8.map { b in (b >= 0x41 && b <= 0x5A) ? b + 0x20 : b }
        return ConstantTime.equals(lowered, expected)
    }
}
