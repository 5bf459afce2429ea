import Crypto

/// Derives the successor of a refresh token from the token's SHA-256.
///
/// The grace window must hand the *same* successor to every concurrent or retried refresh of
/// one token, through any credential that names it (kanfang refreshes with the refresh token
/// or with the access token issued beside it), yet the store keeps only hashes. So the
/// successor is not random: it is `HMAC-SHA256(successor key, SHA-256(token))`. Every
/// request naming the token recomputes the same successor; the store only checks that its
/// hash is the one recorded at rotation.
///
/// Invariants:
/// - The first token of a session is random; every later one is 256 bits of HMAC output.
/// - No token is ever stored in clear: the store holds `SHA-256(token)` and, after rotation,
///   `SHA-256(successor)`.
/// - The successor key lives in the store (`secrets` table) so that every process sharing a
///   store derives the same successors.
///
/// - Warning: The successor key must be guarded like the signing keys: with it *and* a copy of
///   the database, one can compute the successor of every current refresh token (as one can
///   mint access tokens with a copy of the signing keys). See docs/THREAT_MODEL.md.
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

    /// The successor of the refresh token whose SHA-256 is `tokenHash`: a 43-character
    /// Base64URL token.
    public func successor(ofTokenHash tokenHash: [UInt8]) -> String {
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: Array("sesame/successor/v1/".utf8))
        mac.update(data: tokenHash)
        return RandomToken.base64URL(mac.finalize())
    }
}
