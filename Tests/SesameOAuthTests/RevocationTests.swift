import Foundation
import Hummingbird
import HummingbirdTesting
import SesameCore
import SesameTestSupport
import Testing

/// `POST /oauth/revoke` (RFC 7009).
@Suite struct RevocationTests {
    /// Revoking either token of a session ends the whole session: its refresh token stops
    /// rotating, its access token stops passing userinfo and introspection.
    @Test(arguments: ["refresh", "access", "rotated-refresh"], [nil, "access_token", "refresh_token", "something_else"] as [String?])
    func revokingATokenEndsItsSession(which: String, hint: String?) async throws {
        try await OAuthFixture.make().run { o in
            let (access, refresh) = try await o.login()
            var current = refresh
            var presented = which == "access" ? access : refresh
            if which == "rotated-refresh" {
                current = try #require(try await o.refresh(refresh).json["refresh_token"] as? String)
                presented = refresh
            }
            let r = try await o.revoke(presented, hint: hint)
            #expect(r.status == .ok && r.text.isEmpty, "\(r.text)")
            #expect(r.headers[.cacheControl] == "no-store")
            expectOAuthError(try await o.refresh(current), "invalid_grant", .badRequest)
            expectOAuthError(try await o.userInfo("Bearer " + access), "invalid_token", .unauthorized)
            #expect(try await o.introspect(access).text == #"{"active":false}"#)
            let session = try #require(try await o.h.service.store.sessions(uid: o.h.user.uid, limit: 1).first)
            #expect(session.revokeReason == "revoked")
        }
    }

    /// Unknown tokens answer 200 too (RFC 7009 §2.2), and revoke nothing.
    @Test(arguments: [
        "unknown", String(repeating: "A", count: 43), "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "x.y.z", String(repeating: "z", count: 9_000), "🔑",
    ])
    func unknownTokensAnswer200(token: String) async throws {
        try await OAuthFixture.make().run { o in
            let (_, refresh) = try await o.login()
            let r = try await o.revoke(token)
            #expect(r.status == .ok)
            #expect(try await o.refresh(refresh).status == .ok)
        }
    }

    /// Another client's token: 200 (the caller learns nothing about it), nothing revoked.
    @Test(arguments: [ClientAuth.other, .mobile])
    func anotherClientsTokenIsLeftAlone(intruder: ClientAuth) async throws {
        try await OAuthFixture.make().run { o in
            let (access, refresh) = try await o.login(.web)
            #expect(try await o.revoke(refresh, intruder).status == .ok)
            #expect(try await o.revoke(access, intruder).status == .ok)
            #expect(try await o.userInfo("Bearer " + access).status == .ok)
            #expect(try await o.refresh(refresh).status == .ok)
        }
    }

    @Test func otherDialectsSessionsAreLeftAlone() async throws {
        try await OAuthFixture.make().run { o in
            let enduser = try await o.h.login(.enduser)
            #expect(try await o.revoke(enduser.refreshToken).status == .ok)
            #expect(try await o.revoke(enduser.accessToken).status == .ok)
            _ = try await o.h.service.refresh(.refreshToken(enduser.refreshToken), dialect: .enduser)
        }
    }

    @Test func aPublicClientRevokesItsOwnSessionWithItsClientID() async throws {
        try await OAuthFixture.make().run { o in
            let (_, refresh) = try await o.login(.mobile)
            #expect(try await o.revoke(refresh, .mobile).status == .ok)
            expectOAuthError(try await o.refresh(refresh, .mobile), "invalid_grant", .badRequest)
        }
    }

    /// A refused revocation revokes nothing.
    @Test(arguments: [
        ("no client", ClientAuth.none, "invalid_client", HTTPResponse.Status.unauthorized),
        ("confidential without secret", .publicClient(Clients.web), "invalid_client", .unauthorized),
        ("wrong secret", .basic(Clients.web, "wrong-secret-123"), "invalid_client", .unauthorized),
        ("unknown client", .publicClient("nobody"), "invalid_client", .unauthorized),
    ] as [(String, ClientAuth, String, HTTPResponse.Status)])
    func clientAuthenticationIsRequired(_ name: String, auth: ClientAuth, error: String, status: HTTPResponse.Status) async throws {
        try await OAuthFixture.make().run { o in
            let (_, refresh) = try await o.login()
            expectOAuthError(try await o.revoke(refresh, auth), error, status)
            #expect(try await o.refresh(refresh).status == .ok)
        }
    }

    @Test func aMissingTokenIsInvalidRequest() async throws {
        try await OAuthFixture.make().run { o in
            expectOAuthError(try await o.post("revoke", [], auth: .web), "invalid_request", .badRequest)
            expectOAuthError(try await o.post("revoke", [("token", "")], auth: .web), "invalid_request", .badRequest)
            expectOAuthError(try await o.postRaw("revoke", "token=a&token=b", headers: [.authorization: OAuth.basic(Clients.web, Clients.webSecret)]), "invalid_request", .badRequest)
        }
    }
}
