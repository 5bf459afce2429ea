import Crypto
import CryptoExtras
import Foundation
import Hummingbird
import HummingbirdTesting
import SesameCore
import SesameServer
import SesameTestSupport
import Testing

/// `/.well-known/jwks.json` follows the ring: each algorithm's JWK verifies the tokens its key
/// signed, a rotated-out key stays published for its window, then goes.
@Suite struct PublishedKeysTests {
    static func bytes(_ text: Any?) throws -> [UInt8] { try #require((text as? String).flatMap(RandomToken.decodeBase64URL)) }

    /// Whether `token`'s signature verifies with the public key the JWK `jwk` describes.
    static func verifies(_ token: String, with jwk: [String: Any]) throws -> Bool {
        let parts = token.split(separator: ".").map(String.init)
        let input = Array((parts[0] + "." + parts[1]).utf8)
        let signature = try #require(RandomToken.decodeBase64URL(parts[2]))
        switch jwk["kty"] as? String {
        case "EC":
            let key = try P256.Signing.PublicKey(rawRepresentation: try bytes(jwk["x"]) + (try bytes(jwk["y"])))
            return key.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: signature), for: input)
        case "RSA":
            let key = try _RSA.Signing.PublicKey(n: try bytes(jwk["n"]), e: try bytes(jwk["e"]))
            return key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
        case "OKP":
            return try Curve25519.Signing.PublicKey(rawRepresentation: try bytes(jwk["x"])).isValidSignature(signature, for: input)
        default:
            return false
        }
    }

    @Test func theJWKSFollowsRotationAndEveryAlgorithmsKeyVerifies() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let admin = Administration(store: h.store, clock: h.clock, hasher: h.service.hasher)
        var tokens: [(kid: String, token: String)] = [(h.service.keys.activeKid, try await h.login().accessToken)]
        for algorithm in [SigningAlgorithm.rs256, .edDSA] {
            h.clock.advance(by: 10)
            let key = try await admin.rotateSigningKey(algorithm: algorithm)
            try await h.service.keys.reload()
            tokens.append((key.kid, try await h.login().accessToken))
        }
        let minted = tokens
        try await Application(router: h.router()).test(.router) { client in
            let c = DialectClient(client)
            var keys = try #require(try await c.send(.get, "/.well-known/jwks.json").json["keys"] as? [[String: Any]])
            #expect(keys.map { $0["kid"] as? String } == minted.reversed().map(\.kid))
            #expect(keys.map { $0["kty"] as? String } == ["OKP", "RSA", "EC"])
            for (kid, token) in minted {
                let jwk = try #require(keys.first { $0["kid"] as? String == kid })
                #expect(try Self.verifies(token, with: jwk), "\(kid)")
                for other in keys where other["kid"] as? String != kid { #expect((try? Self.verifies(token, with: other)) != true) }
                #expect(jwk["use"] as? String == "sig" && jwk["d"] == nil && jwk["p"] == nil)
            }
            // The first key's window ends first: then it is no longer published.
            h.clock.advance(by: h.service.configuration.signingKeyVerificationWindow - 10)
            try await h.service.keys.reload()
            keys = try #require(try await c.send(.get, "/.well-known/jwks.json").json["keys"] as? [[String: Any]])
            #expect(keys.map { $0["kid"] as? String } == [minted[2].kid, minted[1].kid])
        }
    }
}
