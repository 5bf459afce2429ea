import Synchronization

/// A bounded memo of access tokens whose signature this process already verified, so that a
/// client calling with the same token again skips the ECDSA verification (the costliest step
/// of `userInfo`).
///
/// Invariants:
/// - It memoizes **only the signature check** (``SigningKeyRing/verifySignature(_:)``): times,
///   `type`, `iss`, and the session's liveness are checked by the caller at every call, so a
///   revoked session or an expired token fails as before.
/// - The key is the whole token, compared in full: a token that differs in any byte (a forged
///   payload beside a genuine signature included) misses and is verified.
/// - One cache per snapshot of a ``SigningKeyRing``'s keys: a reload (a key rotated in or
///   out) starts an empty one. Each entry names the key that verified it, so that the caller
///   still refuses a token whose key no longer verifies.
/// - Bounded: at ``capacity`` an arbitrary entry is dropped before a new one goes in, so memory
///   stays below about `capacity` × 1 KiB whatever the traffic.
final class VerifiedTokenCache: Sendable {
    /// The most tokens kept.
    let capacity: Int
    private let entries = Mutex<[String: Entry]>([:])

    struct Entry {
        var kid: String
        var claims: AccessTokenClaims
    }

    init(capacity: Int = 4_096) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// The key that verified `token` before, and its claims.
    func entry(of token: String) -> (kid: String, claims: AccessTokenClaims)? {
        entries.withLock { $0[token].map { ($0.kid, $0.claims) } }
    }

    /// Remembers that `token`'s signature verified with the key `kid`, with its claims.
    func remember(_ claims: AccessTokenClaims, signedBy kid: String, of token: String) {
        entries.withLock { entries in
            if entries.count >= capacity, entries[token] == nil {
                entries.remove(at: entries.startIndex)
            }
            entries[token] = Entry(kid: kid, claims: claims)
        }
    }

    /// Tokens held now.
    var count: Int { entries.withLock { $0.count } }
}
