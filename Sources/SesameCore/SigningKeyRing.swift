import Foundation
import JWTKit
import Logging
import Synchronization

/// The signing keys of a store, loaded into jwt-kit: signs with the newest active key and
/// verifies with any key still in its verification window, by `kid`.
///
/// Verification is pinned to each key's algorithm (RFC 8725 §3.1): before any signature
/// check, the token's header must name a `kid` of this ring and carry exactly that key's
/// `alg`. A token without `kid`, with an unknown `kid`, with `alg: none`, `HS256` (for instance
/// signed with the public key as an HMAC secret) or any other algorithm than its key's is
/// refused, whatever its signature.
///
/// Keys rotated by another process (`sesame key rotate` next to a running server) are picked
/// up by ``reload()``: ``SigningKeyReloader`` calls it periodically, and a token naming an
/// unknown `kid` triggers one at most every ``unknownKidReloadInterval`` seconds.
///
/// A reference type: every copy of a ``TokenService`` shares the one ring, whose current keys
/// sit behind a `Mutex`.
public final class SigningKeyRing: Sendable {
    /// What one load of the store's keys produced.
    struct Snapshot: Sendable {
        var collection: JWTKeyCollection
        /// `kid` → the only `alg` its tokens may carry.
        var algorithms: [String: String]
        /// `kid` → the time from which it no longer verifies (retired keys only).
        var verifiesUntil: [String: Int64]
        var activeKid: String
        var jwks: [JSONWebKey]
        /// Tokens whose signature already verified with this snapshot's keys: a reload starts
        /// a new, empty memo.
        let verified = VerifiedTokenCache()
    }

    private let store: any SesameStore
    private let clock: any SesameClock
    /// The algorithm of keys this ring generates (on first start, or when none is active).
    public let algorithm: SigningAlgorithm
    /// How long a retired key keeps verifying after its retirement
    /// (``SesameConfiguration/signingKeyVerificationWindow``).
    public let verificationWindow: Int64
    /// Seconds between two reloads caused by an unknown `kid` (so that garbage tokens cannot
    /// make every request read the store).
    public let unknownKidReloadInterval: Int64
    private let state: Mutex<(snapshot: Snapshot, lastUnknownKidReload: Int64)>

    /// Loads the store's keys, generating one of `algorithm` when none is active (first start).
    ///
    /// - Parameters:
    ///   - verificationWindow: how long a retired key keeps verifying.
    ///   - unknownKidReloadInterval: minimum seconds between reloads caused by an unknown `kid`.
    /// - Throws: store errors; ``SesameError/Code/invalidInput`` for a key the store holds that
    ///   cannot be read.
    public static func load(
        from store: any SesameStore, clock: any SesameClock, algorithm: SigningAlgorithm = .es256,
        verificationWindow: Int64, unknownKidReloadInterval: Int64 = 10
    ) async throws -> SigningKeyRing {
        let snapshot = try await makeSnapshot(
            store: store, clock: clock, algorithm: algorithm, verificationWindow: verificationWindow)
        return SigningKeyRing(
            store: store, clock: clock, algorithm: algorithm, verificationWindow: verificationWindow,
            unknownKidReloadInterval: unknownKidReloadInterval, snapshot: snapshot)
    }

    private init(
        store: any SesameStore, clock: any SesameClock, algorithm: SigningAlgorithm, verificationWindow: Int64,
        unknownKidReloadInterval: Int64, snapshot: Snapshot
    ) {
        self.store = store
        self.clock = clock
        self.algorithm = algorithm
        self.verificationWindow = verificationWindow
        self.unknownKidReloadInterval = unknownKidReloadInterval
        self.state = Mutex((snapshot, clock.unixNow()))
    }

    /// Reads the store's keys again; new tokens are signed with the newest active one from then on.
    public func reload() async throws {
        let snapshot = try await Self.makeSnapshot(
            store: store, clock: clock, algorithm: algorithm, verificationWindow: verificationWindow)
        state.withLock { $0.snapshot = snapshot }
    }

    /// The `kid` new tokens are signed with.
    public var activeKid: String { state.withLock { $0.snapshot.activeKid } }

    /// The public keys that verify tokens now (the active key first, then retired keys still
    /// in their window), for `/.well-known/jwks.json`. Expired keys are not in it.
    public var publicKeySet: JSONWebKeySet { JSONWebKeySet(keys: state.withLock { $0.snapshot.jwks }) }

    /// A signed compact JWT of `claims`, with `kid` in the header.
    public func sign(_ claims: AccessTokenClaims) async throws -> String {
        let snapshot = state.withLock { $0.snapshot }
        return try await snapshot.collection.sign(claims, kid: JWKIdentifier(string: snapshot.activeKid))
    }

    /// The claims of `token` if its signature verifies with the key its `kid` names, under that
    /// key's algorithm. Times are not checked here.
    ///
    /// A token this snapshot of the keys verified before is answered from a bounded memo
    /// (``VerifiedTokenCache``) without a second ECDSA verification — the same bytes under the
    /// same key always verify the same way —, once its key is checked to still verify now.
    ///
    /// - Throws: ``SesameError/Code/invalidToken`` for anything else.
    public func verifySignature(_ token: String) async throws -> AccessTokenClaims {
        let current = state.withLock { $0.snapshot }
        if let memo = current.verified.entry(of: token) {
            if let until = current.verifiesUntil[memo.kid], clock.unixNow() >= until {
                throw SesameError.invalidToken("token signed by an expired key")
            }
            return memo.claims
        }
        guard let header = Self.header(of: token), let kid = header.kid, let alg = header.alg else {
            throw SesameError.invalidToken("token header names no key of this server")
        }
        var snapshot = state.withLock { $0.snapshot }
        if snapshot.algorithms[kid] == nil, claimUnknownKidReload() {
            // Possibly a key another process just rotated in.
            try? await reload()
            snapshot = state.withLock { $0.snapshot }
        }
        guard let expected = snapshot.algorithms[kid], alg == expected else {
            throw SesameError.invalidToken("token header names no key of this server")
        }
        if let until = snapshot.verifiesUntil[kid], clock.unixNow() >= until {
            throw SesameError.invalidToken("token signed by an expired key")
        }
        let claims: AccessTokenClaims
        do {
            claims = try await snapshot.collection.verify(token, as: AccessTokenClaims.self)
        } catch {
            throw SesameError.invalidToken()
        }
        snapshot.verified.remember(claims, signedBy: kid, of: token)
        return claims
    }

    /// Whether an unknown `kid` may cause a reload now (and if so, records that it did).
    private func claimUnknownKidReload() -> Bool {
        let now = clock.unixNow()
        return state.withLock { s in
            guard now - s.lastUnknownKidReload >= unknownKidReloadInterval else { return false }
            s.lastUnknownKidReload = now
            return true
        }
    }

    private static func makeSnapshot(
        store: any SesameStore, clock: any SesameClock, algorithm: SigningAlgorithm, verificationWindow: Int64
    ) async throws -> Snapshot {
        var records = try await store.signingKeys()
        if !records.contains(where: { $0.retiredAt == nil }) {
            try await store.insertSigningKeyIfNoneActive(SigningKeyRecord.generate(algorithm, at: clock.unixNow()))
            records = try await store.signingKeys()
        }
        let now = clock.unixNow()
        let collection = JWTKeyCollection()
        var algorithms: [String: String] = [:]
        var verifiesUntil: [String: Int64] = [:]
        var active: String?
        var jwks: [JSONWebKey] = []
        // Newest first: the first active key signs.
        for record in records where record.state(at: now, verificationWindow: verificationWindow) != .expired {
            guard let keyAlgorithm = SigningAlgorithm(rawValue: record.algorithm) else {
                throw SesameError(.invalidInput, "signing key \(record.kid) has an unsupported algorithm \(record.algorithm)")
            }
            do {
                try await keyAlgorithm.add(pem: record.privateKeyPEM, kid: record.kid, to: collection)
            } catch {
                throw SesameError(.invalidInput, "signing key \(record.kid) is not a readable \(record.algorithm) private key")
            }
            let jwk = try JSONWebKey(publicPartOf: record)
            algorithms[record.kid] = record.algorithm
            if let until = record.verifiesUntil(verificationWindow: verificationWindow) { verifiesUntil[record.kid] = until }
            if active == nil, record.retiredAt == nil {
                active = record.kid
                jwks.insert(jwk, at: 0)
            } else {
                jwks.append(jwk)
            }
        }
        guard let active else { throw SesameError(.notFound, "no active signing key") }
        return Snapshot(collection: collection, algorithms: algorithms, verifiesUntil: verifiesUntil, activeKid: active, jwks: jwks)
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
