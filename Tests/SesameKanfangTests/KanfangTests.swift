import Foundation
import Hummingbird
import HummingbirdTesting
import SesameCore
import SesameHTTP
import SesameTestSupport
import Testing

/// Family B over the in-process router, against a real SQLite store.
@Suite struct KanfangTests {
    static let base = "/v2/Authorization/"

    func withClient(_ h: TestHarness, _ body: @Sendable (DialectClient) async throws -> Void) async throws {
        let app = Application(router: h.router())
        try await app.test(.router) { client in try await body(DialectClient(client)) }
    }

    func credentials(_ h: TestHarness, key: String? = nil, value: String? = nil) -> [(String, String)] {
        [("authKey", key ?? h.username), ("authValue", value ?? h.password)]
    }

    /// Checks the success envelope field by field; returns (token, refreshToken).
    func expectPair(_ r: DialectClient.Reply) throws -> (String, String) {
        #expect(r.status == .ok)
        #expect(Set(r.json.keys) == ["state", "payload"])
        #expect(r.state == 200)
        let p = try #require(r.payload)
        #expect(Set(p.keys) == ["token", "tokenExpireIn", "refreshToken", "refreshTokenExpireIn"])
        #expect(p["tokenExpireIn"] as? Int == 172_800)
        // A replayed successor keeps the expiry set at its rotation, a few seconds ago at most.
        #expect((2_592_000 - 10...2_592_000).contains(p["refreshTokenExpireIn"] as? Int ?? 0))
        let token = try #require(p["token"] as? String)
        let refresh = try #require(p["refreshToken"] as? String)
        #expect(!token.hasPrefix("Bearer") && !refresh.hasPrefix("Bearer"))
        return (token, refresh)
    }

    func expectFailure(_ r: DialectClient.Reply, _ state: Int) {
        #expect(r.status == .ok)
        #expect(r.state == state, "\(r.text)")
        #expect(r.json["payload"] is String)
    }

    @Test(arguments: ["alice", "alice@example.com", "ALICE@example.com", "17132136550"])
    func getAccessTokenByUserNameEmailOrPhone(authKey: String) async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let r = try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h, key: authKey) + [("clientEdtion", "ps_1.0.0")])
            _ = try expectPair(r)
        }
    }

    /// bcrypt stops at NUL: the right password followed by NUL and anything must not pass.
    @Test func aNULInAuthValueNeverMatches() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            expectFailure(try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h, value: h.password + "\u{0}whatever")), 401)
            expectFailure(try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h, value: h.password + "\u{0}")), 401)
        }
    }

    @Test func wrongCredentialsAre401AndAFrozenIdentifier403() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            expectFailure(try await c.send(.get, Self.base + "GetAccessToken"), 401)
            expectFailure(try await c.send(.get, Self.base + "GetAccessToken", query: [("authKey", "alice")]), 401)
            expectFailure(try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h, key: "nobody")), 401)
            for _ in 0..<4 {
                expectFailure(try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h, value: "wrong-pass")), 401)
            }
            expectFailure(try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h, value: "wrong-pass")), 403)
            expectFailure(try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h)), 403)
            h.clock.advance(by: 1_200)
            _ = try expectPair(try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h)))
        }
    }

    @Test func refreshWithTheRefreshTokenFromHeaderQueryOrCookie() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            var (_, refresh) = try expectPair(try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h)))
            // Header, raw.
            (_, refresh) = try expectPair(
                try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: refresh]))
            // Header, with Bearer.
            (_, refresh) = try expectPair(
                try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: "Bearer " + refresh]))
            // Query.
            (_, refresh) = try expectPair(
                try await c.send(.get, Self.base + "RefreshToken", query: credentials(h) + [("Authorization", refresh)]))
            // Cookie.
            (_, refresh) = try expectPair(
                try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.cookie: "Authorization=\(refresh)"]))
        }
    }

    @Test func refreshWithTheAccessTokenEvenExpired() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let (token, refresh) = try expectPair(try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h)))
            h.clock.advance(by: 172_800 + 5)  // the access token has expired; its session is live
            let (token2, refresh2) = try expectPair(
                try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: token]))
            #expect(refresh2 != refresh)
            // Retried within grace: the same successor.
            let (_, again) = try expectPair(
                try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: token]))
            #expect(again == refresh2)
            // Long after: a stale access token is refused, and the session lives on.
            h.clock.advance(by: 60)
            expectFailure(try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: token]), 4011)
            _ = try expectPair(
                try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: token2]))
        }
    }

    /// Contract §3: a token rotated within the grace window returns that rotation's result,
    /// whichever credential naming it comes first.
    @Test func graceReplayWorksAcrossAccessAndRefreshCredentials() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let (token, refresh) = try expectPair(try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h)))
            let (_, viaAccess) = try expectPair(
                try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: token]))
            h.clock.advance(by: 5)
            let (_, viaRefresh) = try expectPair(
                try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: refresh]))
            #expect(viaAccess == viaRefresh)
            // And the other way round, one generation later.
            let (token2, refresh2) = try expectPair(
                try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: viaRefresh]))
            #expect(refresh2 != viaRefresh)
            let (_, again) = try expectPair(
                try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: viaRefresh]))
            #expect(again == refresh2)
            _ = token2
        }
    }

    /// Every concurrent refresh checks the password; none may be refused for it.
    @Test func sixteenConcurrentRefreshesWithCredentialsAllSucceed() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let (token, refresh) = try expectPair(try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h)))
            let results = try await withThrowingTaskGroup(of: String?.self) { group in
                for i in 0..<16 {
                    group.addTask {
                        let r = try await c.send(
                            .get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: i.isMultiple(of: 2) ? refresh : token])
                        return r.payload?["refreshToken"] as? String
                    }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0 != nil }, "\(results)")
            #expect(Set(results).count == 1)
        }
    }

    @Test func credentialsMustNameTheSessionsOwnUser() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        _ = try await h.addUser(username: "bob", password: "bob-pass-1")
        try await withClient(h) { c in
            let (_, refresh) = try expectPair(try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h)))
            expectFailure(try await c.send(.get, Self.base + "RefreshToken", headers: [.authorization: refresh]), 4011)
            expectFailure(try await c.send(.get, Self.base + "RefreshToken", query: credentials(h, value: "wrong-pass"), headers: [.authorization: refresh]), 4011)
            expectFailure(try await c.send(.get, Self.base + "RefreshToken", query: credentials(h, key: "bob", value: "bob-pass-1"), headers: [.authorization: refresh]), 4011)
            // None of the refused requests consumed the token.
            h.clock.advance(by: 60)
            _ = try expectPair(try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: refresh]))
        }
    }

    @Test func credentialsAreOptionalWhenConfigured() async throws {
        let h = try await TestHarness.make { $0.kanfangRefreshRequiresCredentials = false }
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let (_, refresh) = try expectPair(try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h)))
            _ = try expectPair(try await c.send(.get, Self.base + "RefreshToken", headers: [.authorization: refresh]))
        }
    }

    @Test func reuseAfterGraceIs4011AndRevokesTheSession() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let (_, refresh) = try expectPair(try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h)))
            let (token2, refresh2) = try expectPair(
                try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: refresh]))
            h.clock.advance(by: 11)
            expectFailure(try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: refresh]), 4011)
            expectFailure(try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: refresh2]), 4011)
            expectFailure(try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: token2]), 4011)
        }
    }

    @Test func enduserTokensAreRefusedAndNotConsumed() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let enduser = try await h.login(.enduser)
        try await withClient(h) { c in
            expectFailure(try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: enduser.refreshToken]), 4011)
            expectFailure(try await c.send(.get, Self.base + "RefreshToken", query: credentials(h), headers: [.authorization: enduser.accessToken]), 4011)
        }
        h.clock.advance(by: 60)
        _ = try await h.service.refresh(.refreshToken(enduser.refreshToken), dialect: .enduser)
    }

    @Test func accountsLiveInTheConfiguredDomainOnly() async throws {
        let h = try await TestHarness.make(domainName: "C.DM.other")
        defer { h.cleanUp() }
        try await withClient(h) { c in
            expectFailure(try await c.send(.get, Self.base + "GetAccessToken", query: credentials(h)), 401)
        }
    }

    @Test(arguments: [
        (HTTPRequest.Method.post, "GetAccessToken"), (.put, "RefreshToken"), (.delete, "GetAccessToken"),
        (.get, "Nope"), (.post, "a/b/c"),
    ])
    func wrongMethodsAndUnknownPathsAreRejectedInTheEnvelope(method: HTTPRequest.Method, path: String) async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in expectFailure(try await c.send(method, Self.base + path), 403) }
    }

    @Test(arguments: [
        "", "Bearer", "x", String(repeating: "A", count: 43), "a.b.c", String(repeating: "€", count: 20_000), "%%%",
    ])
    func absurdAuthorizationValuesAre4011(value: String) async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            expectFailure(try await c.send(.get, Self.base + "RefreshToken", query: credentials(h) + [("Authorization", value)]), 4011)
        }
    }

    @Test func outsideTheDialectsAPlain404() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let r = try await c.send(.get, "/nothing/here")
            #expect(r.status == .notFound)
            let health = try await c.send(.get, "/health")
            #expect(health.status == .ok && health.json["status"] as? String == "ok")
        }
    }
}
