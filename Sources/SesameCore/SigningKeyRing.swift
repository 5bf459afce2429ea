import Foundation
import JWTKit

/// The signing keys of a store, loaded into jwt-kit: signs with the newest active key and
/// verifies with any key by its `kid`.
///
/// Verification is pinned to each key's algorithm: a token's `alg` header must be the
/// algorithm of the key its `kid` names (jwt-kit refuses a mismatch), so `alg: none` and
/// algorithm-confusion tricks fail.
public struct SigningKeyRing: Sendable {
    private let keys: JWTKeyCollection
    /// The `kid` new tokens are signed with.
    public let activeKid: String

    /// Loads the store's keys, generating an ES256 key on first start.
    public static func load(from store: any SesameStore, clock: any SesameClock) async throws -> SigningKeyRing {
        var records = try await store.signingKeys()
        if !records.contains(where: { $0.retiredAt == nil }) {
            let key = ES256PrivateKey()
            try await store.insertSigningKeyIfNoneActive(
                SigningKeyRecord(
                    kid: RandomToken.make(byteCount: 12), algorithm: "ES256", privateKeyPEM: key.pemRepresentation,
                    createdAt: clock.unixNow()))
            records = try await store.signingKeys()
        }
        return try await SigningKeyRing(records: records)
    }

    /// A ring of `records` (newest first); the first that is not retired signs.
    public init(records: [SigningKeyRecord]) async throws {
        let collection = JWTKeyCollection()
        var active: String?
        for record in records {
            guard record.algorithm == "ES256" else {
                throw SesameError(.invalidInput, "unsupported signing algorithm \(record.algorithm)")
            }
            let key = try ES256PrivateKey(pem: record.privateKeyPEM)
            await collection.add(ecdsa: key, kid: JWKIdentifier(string: record.kid))
            if active == nil, record.retiredAt == nil { active = record.kid }
        }
        guard let active else { throw SesameError(.notFound, "no active signing key") }
        self.keys = collection
        self.activeKid = active
    }

    /// A signed compact JWT of `claims`, with `kid` in the header.
    public func sign(_ claims: AccessTokenClaims) async throws -> String {
        try await keys.sign(claims, kid: JWKIdentifier(string: activeKid))
    }

    /// The claims of `token` if its signature verifies with the key its `kid` names.
    /// Times are not checked here.
    public func verifySignature(_ token: String) async throws -> AccessTokenClaims {
        try await keys.verify(token, as: AccessTokenClaims.self)
    }
}
