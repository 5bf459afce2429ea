import Crypto
import CryptoExtras
import Foundation
import SesameCore
import SesameSQLite
import SesameTestSupport
import Testing

/// RFC 8725 §2.1, §3.1: whatever a token's header says, it is verified only with the key its
/// `kid` names and under that key's own algorithm. Every token here is crafted by hand.
@Suite struct AlgorithmPinningTests {
    static func b64(_ bytes: some Sequence<UInt8>) -> String { RandomToken.base64URL(bytes) }

    /// The payload of a real token, so that only the header and signature differ.
    static func payload(of token: String) throws -> String {
        String(decoding: try #require(RandomToken.decodeBase64URL(String(token.split(separator: ".")[1]))), as: UTF8.self)
    }

    static func signingInput(header: String, payload: String) -> String {
        b64(Array(header.utf8)) + "." + b64(Array(payload.utf8))
    }

    /// A token signed by `record`'s real private key under its own algorithm, with `header`.
    static func signedWithRealKey(header: String, payload: String, record: SigningKeyRecord) throws -> String {
        let input = signingInput(header: header, payload: payload)
        let signature: [UInt8]
        switch record.algorithm {
        case "ES256":
            signature = Array(try P256.Signing.PrivateKey(pemRepresentation: record.privateKeyPEM).signature(for: Array(input.utf8)).rawRepresentation)
        case "EdDSA":
            signature = Array(try Curve25519.Signing.PrivateKey(pemRepresentation: record.privateKeyPEM).signature(for: Array(input.utf8)))
        default:
            let key = try _RSA.Signing.PrivateKey(pemRepresentation: record.privateKeyPEM)
            signature = Array(try key.signature(for: SHA256.hash(data: Array(input.utf8)), padding: .insecurePKCS1v1_5).rawRepresentation)
        }
        return input + "." + b64(signature)
    }

    /// The public key in the forms an attacker could use as an HMAC secret.
    static func publicKeyForms(_ record: SigningKeyRecord) throws -> [[UInt8]] {
        switch record.algorithm {
        case "ES256":
            let key = try P256.Signing.PrivateKey(pemRepresentation: record.privateKeyPEM).publicKey
            return [Array(key.pemRepresentation.utf8), Array(key.derRepresentation), Array(key.x963Representation)]
        case "EdDSA":
            let key = try Curve25519.Signing.PrivateKey(pemRepresentation: record.privateKeyPEM).publicKey
            return [Array(key.pemRepresentation.utf8), Array(key.rawRepresentation)]
        default:
            let key = try _RSA.Signing.PrivateKey(pemRepresentation: record.privateKeyPEM).publicKey
            return [Array(key.pemRepresentation.utf8), Array(key.derRepresentation), Array(key.pkcs1DERRepresentation)]
        }
    }

    @Test(arguments: SigningAlgorithm.allCases)
    func onlyTheKeysOwnAlgorithmVerifies(algorithm: SigningAlgorithm) async throws {
        let h = try await TestHarness.make { $0.signingAlgorithm = algorithm }
        defer { h.cleanUp() }
        let pair = try await h.login()
        let record = try #require(try await h.store.signingKeys().first)
        let payload = try Self.payload(of: pair.accessToken)
        let kid = record.kid

        // The control: a hand-made token with the right header and the real key passes.
        let good = try Self.signedWithRealKey(
            header: #"{"alg":"\#(algorithm.rawValue)","typ":"JWT","kid":"\#(kid)"}"#, payload: payload, record: record)
        #expect(try await h.service.authenticate(accessToken: good, dialect: .enduser).user.uid == h.user.uid)

        var forged: [(String, String)] = []
        // alg: none, with an empty signature and with the real one.
        let noneInput = Self.signingInput(header: #"{"alg":"none","typ":"JWT","kid":"\#(kid)"}"#, payload: payload)
        forged.append(("none, empty signature", noneInput + "."))
        forged.append(("none, no kid", Self.signingInput(header: #"{"alg":"none"}"#, payload: payload) + "."))
        // HS256/384/512 keyed with the public key (PEM text, DER, raw point): the classic confusion.
        for secret in try Self.publicKeyForms(record) {
            let header = #"{"alg":"HS256","typ":"JWT","kid":"\#(kid)"}"#
            let input = Self.signingInput(header: header, payload: payload)
            let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: secret))
            forged.append(("HS256 with the public key", input + "." + Self.b64(mac)))
            let header512 = #"{"alg":"HS512","kid":"\#(kid)"}"#
            let input512 = Self.signingInput(header: header512, payload: payload)
            let mac512 = HMAC<SHA512>.authenticationCode(for: Array(input512.utf8), using: SymmetricKey(data: secret))
            forged.append(("HS512 with the public key", input512 + "." + Self.b64(mac512)))
        }
        // Another asymmetric algorithm named for this kid, signed with the real key where possible.
        for other in ["ES256", "RS256", "EdDSA", "PS256", "ES384", "RS512", "es256", ""] where other != algorithm.rawValue {
            forged.append(
                ("\(other) for a \(algorithm) key",
                 try Self.signedWithRealKey(header: #"{"alg":"\#(other)","kid":"\#(kid)"}"#, payload: payload, record: record)))
        }
        // A well-formed token signed by a key the server does not have, under an unknown kid,
        // and the same under the server's kid.
        let foreign = P256.Signing.PrivateKey()
        for foreignKid in ["unknown-kid", kid] {
            let input = Self.signingInput(header: #"{"alg":"ES256","kid":"\#(foreignKid)"}"#, payload: payload)
            forged.append(("foreign key, kid \(foreignKid)", input + "." + Self.b64(try foreign.signature(for: Array(input.utf8)).rawRepresentation)))
        }
        // No kid, or a kid of the wrong type, with the real signature.
        forged.append(("no kid", try Self.signedWithRealKey(header: #"{"alg":"\#(algorithm.rawValue)"}"#, payload: payload, record: record)))
        forged.append(("numeric kid", try Self.signedWithRealKey(header: #"{"alg":"\#(algorithm.rawValue)","kid":7}"#, payload: payload, record: record)))

        for (name, token) in forged {
            await #expect(throws: SesameError(.invalidToken, ""), "\(name)") {
                _ = try await h.service.authenticate(accessToken: token, dialect: .enduser)
            }
            await #expect(throws: SesameError(.invalidToken, ""), "\(name)") { _ = try await h.service.keys.verifySignature(token) }
        }
    }
}
