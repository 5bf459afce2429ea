import Foundation
import Hummingbird
import HummingbirdTesting
import SesameCore
import SesameTestSupport
import Testing

/// `POST /oauth/introspect` (RFC 7662).
@Suite struct IntrospectionTests {
    @Test(arguments: [ClientAuth.web, .webBody])
    func aLiveAccessTokenIsActive(auth: ClientAuth) async throws {
        try await OAuthFixture.make().run { o in
            let (access, _) = try await o.login()
            let r = try await o.introspect(access, auth)
            #expect(r.status == .ok)
            #expect(r.headers[.cacheControl] == "no-store")
            #expect(Set(r.json.keys) == ["active", "client_id", "sub", "iss", "jti", "iat", "exp", "nbf", "aud", "token_type"])
            #expect(r.json["active"] as? Bool == true)
            #expect(r.json["client_id"] as? String == Clients.web)
            #expect(r.json["sub"] as? String == o.h.user.uid)
            #expect(r.json["iss"] as? String == TestHarness.issuer)
            #expect(r.json["token_type"] as? String == "Bearer")
            #expect(r.json["aud"] as? String == Clients.web)
            let claims = OAuth.claims(of: access)
            #expect(r.json["jti"] as? String == claims["jti"] as? String)
            #expect(r.json["exp"] as? Int == claims["exp"] as? Int)
            #expect(r.json["iat"] as? Int == claims["iat"] as? Int)
            #expect((r.json["exp"] as? Int ?? 0) - (r.json["iat"] as? Int ?? 0) == 900)
        }
    }

    @Test func aCurrentRefreshTokenIsActiveAndNotABearerToken() async throws {
        try await OAuthFixture.make().run { o in
            let (_, refresh) = try await o.login()
            let r = try await o.introspect(refresh, hint: "refresh_token")
            #expect(r.json["active"] as? Bool == true)
            #expect(r.json["token_type"] as? String == "refresh_token")
            #expect(r.json["client_id"] as? String == Clients.web && r.json["sub"] as? String == o.h.user.uid)
            #expect(Set(r.json.keys) == ["active", "client_id", "sub", "iss", "jti", "iat", "exp", "token_type"])
        }
    }

    /// Anything not live, or not the caller's, is exactly `{"active":false}`.
    @Test(arguments: [
        "unknown", "random-refresh", "garbage-jwt", "expired-access", "revoked-session", "rotated-refresh", "other-client",
        "public-client-session", "enduser-access", "enduser-refresh", "kanfang-access", "disabled-user", "disabled-domain",
        "removed-client",
    ])
    func anythingNotLiveIsExactlyInactive(_ situation: String) async throws {
        try await OAuthFixture.make().run { o in
            let admin = Administration(store: o.h.store, clock: o.h.clock, hasher: o.h.service.hasher)
            let (access, refresh) = try await o.login()
            var token = access
            switch situation {
            case "unknown": token = "unknown"
            case "random-refresh": token = RandomToken.make()
            case "garbage-jwt": token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
            case "expired-access": o.h.clock.advance(by: 901)
            case "revoked-session": #expect(try await o.revoke(refresh).status == .ok)
            case "rotated-refresh":
                _ = try await o.refresh(refresh)
                token = refresh
            case "other-client": token = try await o.login(.other).access
            case "public-client-session": token = try await o.login(.mobile).refresh
            case "enduser-access": token = try await o.h.login(.enduser).accessToken
            case "enduser-refresh": token = try await o.h.login(.enduser).refreshToken
            case "kanfang-access": token = try await o.h.login(.kanfang).accessToken
            case "disabled-user": try await admin.disableUser(uid: o.h.user.uid)
            case "disabled-domain": try await admin.setDomainEnabled(name: "default", enabled: false)
            case "removed-client":
                // Removed and registered again under the same id: its old sessions stay dead.
                try await admin.removeClient(id: Clients.web)
                try await o.h.addClient(Clients.web, secret: Clients.webSecret)
            default: Issue.record("unknown situation")
            }
            let r = try await o.introspect(token)
            #expect(r.status == .ok)
            #expect(r.text == #"{"active":false}"#)
            #expect(r.headers[.cacheControl] == "no-store")
        }
    }

    /// Only an authenticated (confidential) client may introspect.
    @Test(arguments: [
        ("no client", ClientAuth.none), ("public client", .mobile), ("wrong secret", .basic(Clients.web, "wrong-secret-123")),
        ("confidential client without secret", .publicClient(Clients.web)), ("unknown client", .basic("nobody", "whatever-123")),
    ] as [(String, ClientAuth)])
    func callersMustAuthenticate(_ name: String, auth: ClientAuth) async throws {
        try await OAuthFixture.make().run { o in
            let (access, _) = try await o.login()
            let r = try await o.introspect(access, auth)
            expectOAuthError(r, "invalid_client", .unauthorized)
            #expect(r.headers[.wwwAuthenticate] == #"Basic realm="sesame""#)
            #expect(r.json["active"] == nil)
        }
    }

    @Test func aMissingTokenIsInvalidRequest() async throws {
        try await OAuthFixture.make().run { o in
            expectOAuthError(try await o.post("introspect", [], auth: .web), "invalid_request", .badRequest)
            let json = try await o.postRaw("introspect", #"{"token":"x"}"#, contentType: "application/json", headers: [.authorization: OAuth.basic(Clients.web, Clients.webSecret)])
            expectOAuthError(json, "invalid_request", .badRequest)
        }
    }

    /// Introspecting consumes nothing: the refresh token still rotates.
    @Test func introspectionConsumesNothing() async throws {
        try await OAuthFixture.make().run { o in
            let (_, refresh) = try await o.login()
            for _ in 0..<3 { #expect(try await o.introspect(refresh).json["active"] as? Bool == true) }
            #expect(try await o.refresh(refresh).status == .ok)
        }
    }
}
