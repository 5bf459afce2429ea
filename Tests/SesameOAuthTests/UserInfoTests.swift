import Foundation
import Hummingbird
import HummingbirdTesting
import SesameCore
import SesameTestSupport
import Testing

/// `GET /oauth/userinfo` (RFC 6750 §3 challenges).
@Suite struct UserInfoTests {
    @Test func aLiveTokenGetsTheUser() async throws {
        try await OAuthFixture.make().run { o in
            let (access, _) = try await o.login(.mobile)
            let r = try await o.userInfo("Bearer " + access)
            #expect(r.status == .ok)
            #expect(r.headers[.cacheControl] == "no-store")
            #expect(Set(r.json.keys) == ["sub", "email", "phone_number", "preferred_username", "nickname"])
            #expect(r.json["sub"] as? String == o.h.user.uid)
            #expect(r.json["email"] as? String == "alice@example.com")
            #expect(r.json["phone_number"] as? String == "+8617132136550")
            #expect(r.json["preferred_username"] as? String == "alice")
            #expect(r.json["nickname"] as? String == "Alice")
            // The scheme is case-insensitive.
            #expect(try await o.userInfo("bearer " + access).status == .ok)
        }
    }

    @Test func fieldsTheUserLacksAreLeftOut() async throws {
        try await OAuthFixture.make().run { o in
            _ = try await o.h.addUser(username: "bob", password: "bob-pass-12")
            let r = try await o.password(username: "bob", password: "bob-pass-12")
            let access = try #require(r.json["access_token"] as? String)
            let info = try await o.userInfo("Bearer " + access)
            #expect(Set(info.json.keys) == ["sub", "preferred_username"])
        }
    }

    /// No token: a bare `Bearer` challenge. A bad one: `error="invalid_token"`.
    @Test(arguments: [
        ("no header", nil, "Bearer"),
        ("another scheme", "Basic " + Data("a:b".utf8).base64EncodedString(), "Bearer"),
        ("empty bearer", "Bearer ", "Bearer"),
        ("garbage", "Bearer not-a-token", #"Bearer error="invalid_token""#),
        ("a refresh token", "Bearer REFRESH", #"Bearer error="invalid_token""#),
        ("forged signature", "Bearer FORGED", #"Bearer error="invalid_token""#),
        ("alg none", "Bearer NONE", #"Bearer error="invalid_token""#),
        ("huge", "Bearer " + String(repeating: "a", count: 10_000), #"Bearer error="invalid_token""#),
    ] as [(String, String?, String)])
    func challenges(_ name: String, authorization: String?, challenge: String) async throws {
        try await OAuthFixture.make().run { o in
            let (access, refresh) = try await o.login()
            let parts = access.split(separator: ".").map(String.init)
            let forged = parts[0] + "." + parts[1] + "." + String(parts[2].reversed())
            let none = RandomToken.base64URL(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + parts[1] + "."
            let header = authorization.map {
                $0.replacingOccurrences(of: "REFRESH", with: refresh).replacingOccurrences(of: "FORGED", with: forged)
                    .replacingOccurrences(of: "NONE", with: none)
            }
            let r = try await o.userInfo(header)
            #expect(r.status == .unauthorized)
            #expect(r.headers[.wwwAuthenticate] == challenge)
        }
    }

    @Test(arguments: ["revoked", "expired", "enduser", "kanfang", "disabled-user", "client-removed"])
    func deadTokensAreInvalid(_ situation: String) async throws {
        try await OAuthFixture.make().run { o in
            var (access, refresh) = try await o.login()
            switch situation {
            case "revoked": _ = try await o.revoke(refresh)
            case "expired": o.h.clock.advance(by: 900)
            case "enduser": access = try await o.h.login(.enduser).accessToken
            case "kanfang": access = try await o.h.login(.kanfang).accessToken
            case "disabled-user":
                try await Administration(store: o.h.store, clock: o.h.clock, hasher: o.h.service.hasher).disableUser(uid: o.h.user.uid)
            case "client-removed":
                try await Administration(store: o.h.store, clock: o.h.clock, hasher: o.h.service.hasher).removeClient(id: Clients.web)
            default: Issue.record("unknown situation")
            }
            let r = try await o.userInfo("Bearer " + access)
            expectOAuthError(r, "invalid_token", .unauthorized)
            #expect(r.headers[.wwwAuthenticate] == #"Bearer error="invalid_token""#)
        }
    }
}
