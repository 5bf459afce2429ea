import Crypto

/// Derives the successor of a refresh token, so that every concurrent or retried refresh of
/// one token gets the same successor although the store keeps only hashes.
///
/// Two keyed steps, both HMAC-SHA256 with the successor key `K`:
/// - `binding(T) = HMAC(K, "binding" ‖ T)`, computed from the refresh token `T` itself;
/// - `successor(T) = HMAC(K, "successor" ‖ binding(T))`: the successor's 32 secret bytes;
/// - `successorID(T) = HMAC(K, "successor-id" ‖ binding(T))`, first 16 bytes: the successor's
///   id, so that a retried refresh names the same row (``RefreshTokenKey``'s located format
///   puts the session's id and this id in front of the secret).
///
/// kanfang's `RefreshToken` may name the token by the access token issued beside it instead of
/// by `T`; kanfang access tokens therefore carry `binding(T)` as their `rtb` claim, and both
/// credentials lead to the same successor.
///
/// Invariants:
/// - No usable token can be computed from the store: it holds `SHA-256(T)` and the key, but
///   the successor needs `binding(T)`, which needs `T` itself (or a kanfang access token, which
///   is never stored either).
/// - The first token of a session is random; every later one is 256 bits of HMAC output.
/// - The key lives in the store (`secrets` table) so that every process sharing a store
///   derives the same successors.
public struct SuccessorDeriver: Sendable {
    /// What the client presented to refresh. Both kinds derive the same successor; the kind
    /// only changes what a stale credential means (see ``RefreshPolicy``).
    public enum Kind: String, Sendable {
        /// A refresh token (every dialect).
        case refreshToken = "rt"
        /// An access token (kanfang's `RefreshToken` accepts the session's access token).
        case accessToken = "at"
    }

    private let key: SymmetricKey

    /// - Parameter key: at least 32 secret bytes.
    public init(key: [UInt8]) {
        precondition(key.count >= 32, "the successor key needs at least 256 bits")
        self.key = SymmetricKey(data: key)
    }

    /// `binding(T)`: 32 bytes that stand for the refresh token `T` in its successor's derivation.
    public func binding(of refreshToken: String) -> [UInt8] {
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: Array("sesame/binding/v1/".utf8))
        mac.update(data: Array(refreshToken.utf8))
        return Array(mac.finalize())
    }

    /// The 32 secret bytes of the successor of the refresh token whose binding is `binding`.
    public func successorSecret(ofBinding binding: [UInt8]) -> [UInt8] {
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: Array("sesame/successor/v1/".utf8))
        mac.update(data: binding)
        return Array(mac.finalize())
    }

    /// The legacy-format successor (43 characters, the secret alone): what Sesame issued before
    /// schema v5, and still issues when a session's id cannot be located.
    public func successor(ofBinding binding: [UInt8]) -> String {
        RandomToken.base64URL(successorSecret(ofBinding: binding))
    }

    /// The id of the successor of the refresh token whose binding is `binding`: 16 bytes as
    /// Base64URL, like every id Sesame makes.
    public func successorID(ofBinding binding: [UInt8]) -> String {
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: Array("sesame/successor-id/v1/".utf8))
        mac.update(data: binding)
        return RandomToken.base64URL(Array(mac.finalize()).prefix(16))
    }
}
