import Foundation
import JWTKit

/// The signing keys of a store, loaded into jwt-kit: signs with the newest active key and
/// verifies with any key by its `kid`.
///
/// Verification is pinned to each key's algorithm (RFC 8725 §3.1): before any signature
/// check, the token's header must name a `kid` of this ring and carry exactly that key's
/// `alg`. A token without `kid`, with an unknown `kid`, with `alg: none`, `HS256` or any other
/// algorithm than its key's is refused, whatever its signature.
public struct SigningKeyRing: Sendable {
    private let keys: JWTKeyCollection
    /// `kid` → the only `alg` its tokens may carry.
    private let algorithms: [String: String]
    /// The `kid` new tokens are signed with.
    public let activeKid: String
    /// The public keys of the ring (signing and retired), for `/.well-known/jwks.json`.
    public let publicKeySet: JSONWebKeySet

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
        var algorithms: [String: String] = [:]
        for record in records {
            algorithms[record.kid] = record.algorithm
            guard record.algorithm == "ES256" else {
                throw SesameError(.invalidInput, "unsupported signing algorithm \(record.algorithm)")
            }
            let key = try ES256PrivateKey(pem: record.privateKeyPEM)
            await collection.add(ecdsa: key, kid: JWKIdentifier(string: record.kid))
            if active == nil, record.retiredAt == nil { active = record.kid }
        }
        guard let active else { throw SesameError(.notFound, "no active signing key") }
        self.keys = collection
        self.algorithms = algorithms
        self.activeKid = active
        self.publicKeySet = try JSONWebKeySet(records: records)
    }

    /// A signed compact JWT of `claims`, with `kid` in the header.
    public func sign(_ claims: AccessTokenClaims) async throws -> String {
        try await keys.sign(claims, kid: JWKIdentifier(string: activeKid))
    }

    /// The claims of `token` if its signature verifies with the key its `kid` names.
    /// Times are not checked here.
    public func verifySignature(_ token: String) async throws -> AccessTokenClaims {
        guard let header = Self.header(of: token), let kid = header.kid, let expected = algorithms[kid], header.alg == expected
        else { throw SesameError.invalidToken("token header names no key of this server") }
        return try await keys.verify(token, as: AccessTokenClaims.self)
    }

    struct Header: Decodable {
        var alg: String?
        var kid: String?
    }

    /// The decoded JOSE header of a compact JWS, or `nil` when it is not one.
    static func header(of token: String) -> Header? {
        guard let end = token.utf8.firstIndex(of: UInt8(ascii: ".")) else { return nil }
        let encoded = token.utf8[..<end]
        guard encoded.count <= 1_024 else { return nil }
        var base64 = String(decoding: encoded, as: UTF8.self)
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64) else { return nil }
        return try? JSONDecoder().decode(Header.self, from: data)
    }
}
