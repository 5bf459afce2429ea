import Crypto
import Foundation
import SesameCore
import SesameSQLite
import SesameTestSupport
import Testing

/// RFC 8725: verification is pinned to the key's algorithm, whatever the signature.
@Suite struct SigningKeyRingTests {
    /// A token signed with the server's real key but carrying `header`.
    func signed(header: String, payload: String, with pem: String) throws -> String {
        let key = try P256.Signing.PrivateKey(pemRepresentation: pem)
        let input = RandomToken.base64URL(Array(header.utf8)) + "." + RandomToken.base64URL(Array(payload.utf8))
        let signature = try key.signature(for: Array(input.utf8))
        return input + "." + RandomToken.base64URL(signature.rawRepresentation)
    }

    @Test(arguments: StoreKind.available) func headersOtherThanTheKeysOwnAreRefusedEvenWithAValidSignature(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let pair = try await h.login()
        let record = try #require(try await h.store.signingKeys().first)
        let payloadPart = String(pair.accessToken.split(separator: ".")[1])
        var padded = payloadPart.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while padded.count % 4 != 0 { padded += "=" }
        let payload = String(decoding: try #require(Data(base64Encoded: padded)), as: UTF8.self)

        // The control: the same construction with the right header passes.
        let good = try signed(header: #"{"alg":"ES256","typ":"JWT","kid":"\#(record.kid)"}"#, payload: payload, with: record.privateKeyPEM)
        #expect(try await h.service.authenticate(accessToken: good, dialect: .enduser).user.uid == h.user.uid)

        for header in [
            #"{"alg":"HS256","typ":"JWT","kid":"\#(record.kid)"}"#,
            #"{"alg":"none","typ":"JWT","kid":"\#(record.kid)"}"#,
            #"{"alg":"ES384","typ":"JWT","kid":"\#(record.kid)"}"#,
            #"{"alg":"ES256","typ":"JWT","kid":"unknown"}"#,
            #"{"alg":"ES256","typ":"JWT"}"#,
            #"{"typ":"JWT","kid":"\#(record.kid)"}"#,
        ] {
            let token = try signed(header: header, payload: payload, with: record.privateKeyPEM)
            await #expect(throws: SesameError(.invalidToken, ""), "\(header)") {
                _ = try await h.service.authenticate(accessToken: token, dialect: .enduser)
            }
        }
    }

    @Test(arguments: StoreKind.available) func accessTokenExpiryIsCappedByTheSessionsAbsoluteEnd(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store) { $0.sessionAbsoluteLifetime = 600 }
        defer { h.cleanUp() }
        let pair = try await h.login()
        #expect(pair.accessExpiresAt == h.clock.unixNow() + 600)
    }

    /// Signatures are memoized per token; everything else is still checked at every call.
    @Test func aTokenVerifiedBeforeIsStillCheckedForItsBytesTimesAndSession() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let first = try await h.login()
        let second = try await h.login()
        for _ in 0..<3 {
            #expect(try await h.service.authenticate(accessToken: first.accessToken, dialect: .enduser).session.id == first.session.id)
        }
        // The memoized token's genuine signature beside another session's payload: refused.
        let a = first.accessToken.split(separator: ".")
        let b = second.accessToken.split(separator: ".")
        for forged in ["\(a[0]).\(b[1]).\(a[2])", "\(b[0]).\(b[1]).\(a[2])", "\(a[0]).\(a[1]).\(b[2])", first.accessToken + "A"] {
            await #expect(throws: SesameError(.invalidToken, "")) {
                _ = try await h.service.authenticate(accessToken: forged, dialect: .enduser)
            }
        }
        // A revoked session fails at once, memo or not.
        try await h.service.logout(accessToken: second.accessToken, dialect: .enduser)
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.authenticate(accessToken: second.accessToken, dialect: .enduser)
        }
        // Expiry is checked against the clock at every call.
        h.clock.advance(by: 7_200)
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.authenticate(accessToken: first.accessToken, dialect: .enduser)
        }
    }
}
