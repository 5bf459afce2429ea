import Crypto

/// Hashes and checks client secrets with a fast, salted and keyed hash:
/// `HMAC-SHA256(key, salt ‖ secret)` with 16 random bytes of salt per secret, stored as
/// `hmac-sha256$SALT$MAC` (both unpadded Base64URL).
///
/// A fast hash suits client secrets because they should be long random strings (generate them
/// with 32 random bytes), unlike the passwords people choose, which need bcrypt. It keeps
/// client authentication cheap on the paths that carry it on every call (refresh,
/// introspection). The key is a store secret (`client-secret-key`): a leak of the `clients`
/// table alone reveals nothing usable, though a copy of the whole database lets an attacker
/// guess *weak* secrets quickly — hence the advice to generate them.
///
/// Comparison is in constant time (``ConstantTime``).
public struct ClientSecretHasher: Sendable {
    private let key: SymmetricKey

    /// - Parameter key: at least 32 bytes.
    public init(key: [UInt8]) {
        self.key = SymmetricKey(data: key)
    }

    /// The hasher keyed with the store's `client-secret-key`, created on first use.
    public static func load(from store: any SesameStore) async throws -> ClientSecretHasher {
        ClientSecretHasher(key: try await store.secret(named: "client-secret-key") { RandomToken.bytes(32) })
    }

    static let scheme = "hmac-sha256"

    /// A new hash of `secret` with a fresh salt.
    public func hash(_ secret: String) -> String {
        let salt = RandomToken.bytes(16)
        return [Self.scheme, RandomToken.base64URL(salt), RandomToken.base64URL(mac(salt: salt, secret: secret))]
            .joined(separator: "$")
    }

    /// Whether `secret` matches `hash`. With `hash == nil` (an unknown or public client) it does
    /// the same work and answers `false`.
    public func verify(_ secret: String, against hash: String?) -> Bool {
        let parts = (hash ?? "").split(separator: "$", omittingEmptySubsequences: false)
        let usable = parts.count == 3 && parts[0] == Self.scheme
        let salt = usable ? RandomToken.decodeBase64URL(String(parts[1])) ?? [] : Array(repeating: 0, count: 16)
        let stored = usable ? RandomToken.decodeBase64URL(String(parts[2])) ?? [] : Array(repeating: 0, count: 32)
        let computed = mac(salt: salt, secret: secret)
        // Constant time: a byte-by-byte `==` would tell how much of a guess matched.
        let matches = ConstantTime.equals(computed, stored)
        return usable && salt.count == 16 && matches
    }

    private func mac(salt: [UInt8], secret: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: salt + Array(secret.utf8), using: key))
    }
}
