import Crypto

/// Derives the successor of a refresh token from the token itself.
///
/// The grace window must hand the *same* successor to every concurrent or retried refresh of
/// one token, yet the store keeps only SHA-256 hashes. So the successor is not random: it is
/// `HMAC-SHA256(key, presented credential)`. Whoever presents the token again inside the
/// grace window gets the same successor recomputed; the store only checks that its hash is
/// the one recorded at rotation.
///
/// Invariants:
/// - Without the presented token, the successor cannot be computed, even with the key and a
///   copy of the database (which holds hashes only). No usable token is ever stored in clear.
/// - The first token of a session is random; every later one is 256 bits of HMAC output.
/// - The key lives in the store (`secrets` table) so that every process sharing a store
///   derives the same successors.
public struct SuccessorDeriver: Sendable {
    /// What the client presented to refresh.
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

    /// The successor of `presented`, a 43-character Base64URL token.
    public func successor(of presented: String, kind: Kind) -> String {
        var mac = HMAC<SHA256>(key: key)
        mac.update(data: Array("sesame/successor/v1/\(kind.rawValue)/".utf8))
        mac.update(data: Array(presented.utf8))
        return RandomToken.base64URL(mac.finalize())
    }
}
