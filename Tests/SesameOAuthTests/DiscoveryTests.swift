import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import SesameCore
import SesameTestSupport
import Testing

/// `/.well-known/jwks.json` (RFC 7517), `/.well-known/oauth-authorization-server` (RFC 8414),
/// and the answers to paths and methods the dialect does not serve.
@Suite struct DiscoveryTests {
    @Test func jwksPublishesOnlyPublicMembersAndVerifiesIssuedTokens() async throws {
        try await OAuthFixture.make().run { o in
            let r = try await o.c.send(.get, "/.well-known/jwks.json")
            #expect(r.status == .ok)
            let keys = try #require(r.json["keys"] as? [[String: Any]])
            #expect(!keys.isEmpty)
            for key in keys {
                for member in ["kty", "kid", "alg", "use"] { #expect(key[member] is String, "\(member) missing") }
                #expect(key["use"] as? String == "sig")
                for privateMember in ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] {
                    #expect(key[privateMember] == nil, "private member \(privateMember) published")
                }
            }
            // The key named by a token's kid verifies its signature.
            let (access, _) = try await o.login()
            let header = OAuth.header(of: access)
            let key = try #require(keys.first { $0["kid"] as? String == header["kid"] as? String })
            #expect(key["kty"] as? String == "EC" && key["crv"] as? String == "P-256" && key["alg"] as? String == header["alg"] as? String)
            let x = try #require(RandomToken.decodeBase64URL(key["x"] as? String ?? ""))
            let y = try #require(RandomToken.decodeBase64URL(key["y"] as? String ?? ""))
            let publicKey = try P256.Signing.PublicKey(rawRepresentation: x + y)
            let parts = access.split(separator: ".").map(String.init)
            let signatureBytes = try #require(RandomToken.decodeBase64URL(parts[2]))
            let signature = try P256.Signing.ECDSASignature(rawRepresentation: signatureBytes)
            #expect(publicKey.isValidSignature(signature, for: Array((parts[0] + "." + parts[1]).utf8)))
        }
    }

    @Test func jwksHasEveryKeyOfTheRing() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let set = h.service.keys.publicKeySet
        #expect(set.keys.map(\.kid) == (try await h.service.store.signingKeys()).map(\.kid))
        #expect(set.keys.first?.kid == h.service.keys.activeKid)
    }

    @Test func aKeyWithoutAJWKFormIsRefused() async throws {
        #expect(throws: SesameError(.invalidInput, "")) {
            _ = try JSONWebKey(publicPartOf: SigningKeyRecord(kid: "k", algorithm: "HS256", privateKeyPEM: "", createdAt: 0))
        }
    }

    @Test func metadataNamesTheIssuerAndEndpointsUnderIt() async throws {
        try await OAuthFixture.make().run { o in
            let r = try await o.c.send(.get, "/.well-known/oauth-authorization-server")
            #expect(r.status == .ok)
            let issuer = TestHarness.issuer
            #expect(r.json["issuer"] as? String == issuer)
            #expect(r.json["token_endpoint"] as? String == issuer + "/oauth/token")
            #expect(r.json["revocation_endpoint"] as? String == issuer + "/oauth/revoke")
            #expect(r.json["introspection_endpoint"] as? String == issuer + "/oauth/introspect")
            #expect(r.json["userinfo_endpoint"] as? String == issuer + "/oauth/userinfo")
            #expect(r.json["jwks_uri"] as? String == issuer + "/.well-known/jwks.json")
            #expect(r.json["grant_types_supported"] as? [String] == ["password", "refresh_token"])
            #expect(r.json["response_types_supported"] as? [String] == [])
            #expect(Set(r.json["token_endpoint_auth_methods_supported"] as? [String] ?? []) == ["client_secret_basic", "client_secret_post", "none"])
            #expect(Set(r.json["introspection_endpoint_auth_methods_supported"] as? [String] ?? []) == ["client_secret_basic", "client_secret_post"])
            for (key, value) in r.json where key.hasSuffix("_endpoint") || key == "jwks_uri" {
                #expect((value as? String)?.hasPrefix(issuer + "/") == true)
            }
        }
    }

    @Test(arguments: [
        (HTTPRequest.Method.get, "/oauth/token", HTTPResponse.Status.methodNotAllowed),
        (.put, "/oauth/revoke", .methodNotAllowed),
        (.get, "/oauth/introspect", .methodNotAllowed),
        (.post, "/oauth/userinfo", .methodNotAllowed),
        (.post, "/.well-known/jwks.json", .methodNotAllowed),
        (.delete, "/.well-known/oauth-authorization-server", .methodNotAllowed),
        (.get, "/oauth/authorize", .notFound),
        (.post, "/oauth", .notFound),
        (.get, "/oauth/token/extra", .notFound),
        (.get, "/.well-known/openid-configuration", .notFound),
    ])
    func unservedPathsAndMethodsAnswerInTheEnvelope(method: HTTPRequest.Method, path: String, status: HTTPResponse.Status) async throws {
        try await OAuthFixture.make().run { o in
            let r = try await o.c.send(method, path)
            expectOAuthError(r, "invalid_request", status)
        }
    }
}
