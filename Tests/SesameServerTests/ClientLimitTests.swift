import Foundation
import Hummingbird
import HummingbirdTesting
import SesameCore
import SesameHTTP
import SesameServer
import SesameTestSupport
import Testing

/// Per-address limits end to end, over a real socket (the peer is 127.0.0.1, so loopback is
/// taken out of the exemptions here), in each dialect's own answer.
@Suite struct ClientLimitTests {
    func harness(_ configure: @escaping (inout ClientLimits) -> Void) async throws -> TestHarness {
        try await TestHarness.make { c in
            c.clientLimits.exempt = []
            configure(&c.clientLimits)
        }
    }

    func app(_ h: TestHarness, trusting proxies: [String] = []) throws -> some ApplicationProtocol {
        let limits = HTTPLimits(clientAddresses: ClientAddressResolver(trustedProxies: try proxies.map(IPAddressRange.init(parsing:))))
        return Application(router: h.router(limits: limits), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    @Test func failedLoginsFromOneAddressAreAnsweredInEachDialect() async throws {
        let h = try await harness { $0.loginFailures = 3 }
        defer { h.cleanUp() }
        try await app(h).test(.live) { client in
            let c = DialectClient(client)
            for left in [4, 3, 2] {  // 5586, 5585, 5584: wrong e-mail or password, N tries left
                let form = try Enduser.emailLogin(email: "nobody@example.com", password: "wrong-pass", domain: "default", secret: TestHarness.domainSecret)
                #expect(try await c.send(.post, Enduser.base + "emailPwdLogin", form: form).code == 5582 + left)
            }
            // Even the right password is refused now, without being checked.
            let right = try Enduser.emailLogin(email: h.email, password: h.password, domain: "default", secret: TestHarness.domainSecret)
            let blocked = try await c.send(.post, Enduser.base + "emailPwdLogin", form: right)
            #expect(blocked.code == 5325)
            #expect(Int(blocked.headers[.retryAfter] ?? "") == 600)
            let kanfang = try await c.send(.get, "/v2/Authorization/GetAccessToken", query: [("authKey", h.username), ("authValue", h.password)])
            #expect(kanfang.state == 403)
            #expect(kanfang.headers[.retryAfter] != nil)
            // Nothing was consumed: alice's own count is untouched, and after the window she logs in.
            h.clock.advance(by: 600)
            #expect(try await c.send(.post, Enduser.base + "emailPwdLogin", form: right).code == 200)
        }
    }

    @Test func refreshesFromOneAddressAreLimitedAndARefusalConsumesNothing() async throws {
        let h = try await harness { $0.refreshes = 4; $0.refreshWindow = 60 }
        defer { h.cleanUp() }
        let first = try await h.login().refreshToken
        let kanfang = try await h.login(.kanfang).refreshToken
        try await app(h).test(.live) { client in
            let c = DialectClient(client)
            var token = first
            for _ in 0..<4 {
                let r = try await c.send(.put, Enduser.base + "refreshToken", form: [("refreshToken", token)])
                #expect(r.code == 200)
                token = try #require((r.data?["refreshToken"] as? [String: Any])?["token"] as? String)
            }
            let refused = try await c.send(.put, Enduser.base + "refreshToken", form: [("refreshToken", token)])
            #expect(refused.code == 5325 && refused.headers[.retryAfter] == "60")
            let k = try await c.send(
                .get, "/v2/Authorization/RefreshToken",
                query: [("Authorization", kanfang), ("authKey", h.username), ("authValue", h.password)])
            #expect(k.state == 403)
            // Both refusals are counted, kanfang's too (it is admitted before its password check).
            let metrics = try await c.send(.get, "/metrics").text
            for dialect in ["enduser", "kanfang"] {
                #expect(TelemetryTests.sample(metrics, "sesame_refreshes_total", ["dialect": dialect, "outcome": "rate-limited"]) == 1)
            }
            h.clock.advance(by: 60)
            // The refused refresh did not rotate: the same token still works, and so does kanfang's.
            #expect(try await c.send(.put, Enduser.base + "refreshToken", form: [("refreshToken", token)]).code == 200)
            let kAfter = try await c.send(
                .get, "/v2/Authorization/RefreshToken",
                query: [("Authorization", kanfang), ("authKey", h.username), ("authValue", h.password)])
            #expect(kAfter.state == 200)
        }
    }

    /// Behind a trusted proxy, clients are told apart by X-Forwarded-For; from anyone else the
    /// header is ignored, so a client cannot escape its count by sending one.
    @Test func forwardedForCountsOnlyBehindTrustedProxies() async throws {
        let h = try await harness { $0.loginFailures = 2 }
        defer { h.cleanUp() }
        let wrong = try Enduser.emailLogin(email: h.email, password: "wrong-pass", domain: "default", secret: TestHarness.domainSecret)
        try await app(h, trusting: ["127.0.0.1"]).test(.live) { client in
            let c = DialectClient(client)
            for _ in 0..<2 {
                _ = try await c.send(.post, Enduser.base + "emailPwdLogin", form: wrong, headers: [.init("X-Forwarded-For")!: "198.51.100.7"])
            }
            let blocked = try await c.send(.post, Enduser.base + "emailPwdLogin", form: wrong, headers: [.init("X-Forwarded-For")!: "198.51.100.7"])
            #expect(blocked.code == 5325)
            // Another client behind the same proxy is not blocked.
            let other = try await c.send(.post, Enduser.base + "emailPwdLogin", form: wrong, headers: [.init("X-Forwarded-For")!: "198.51.100.8"])
            #expect(other.code != 5325)
        }
        let untrusting = try await harness { $0.loginFailures = 2 }
        defer { untrusting.cleanUp() }
        try await app(untrusting).test(.live) { client in
            let c = DialectClient(client)
            for i in 0..<2 {
                _ = try await c.send(.post, Enduser.base + "emailPwdLogin", form: wrong, headers: [.init("X-Forwarded-For")!: "198.51.100.\(i)"])
            }
            let blocked = try await c.send(.post, Enduser.base + "emailPwdLogin", form: wrong, headers: [.init("X-Forwarded-For")!: "198.51.100.99"])
            #expect(blocked.code == 5325)
        }
    }

    @Test(arguments: [
        ("192.0.2.1", "203.0.113.5", ["127.0.0.1"], "192.0.2.1"),  // untrusted peer: header ignored
        ("127.0.0.1", "203.0.113.5", ["127.0.0.1"], "203.0.113.5"),
        ("127.0.0.1", "203.0.113.5, 10.0.0.2", ["127.0.0.1", "10.0.0.0/8"], "203.0.113.5"),  // two proxies
        ("127.0.0.1", "forged, 203.0.113.5", ["127.0.0.1"], "203.0.113.5"),
        ("127.0.0.1", "203.0.113.5, garbage", ["127.0.0.1"], "127.0.0.1"),  // malformed last hop: stop at the proxy
        ("127.0.0.1", "", ["127.0.0.1"], "127.0.0.1"),
    ])
    func resolvingTheClientAddress(peer: String, header: String, trusted: [String], expected: String) throws {
        let resolver = ClientAddressResolver(trustedProxies: try trusted.map(IPAddressRange.init(parsing:)))
        #expect(resolver.resolve(peer: peer, forwardedFor: header.isEmpty ? [] : [header]) == expected)
    }

    @Test func trustedProxiesComeFromTheEnvironment() throws {
        let s = try ServerSettings.fromEnvironment(["SESAME_TRUSTED_PROXIES": "10.0.0.0/8,127.0.0.1"])
        #expect(s.limits.clientAddresses.trustedProxies.count == 2)
        #expect(throws: SesameError(.invalidInput, "")) { try ServerSettings.fromEnvironment(["SESAME_TRUSTED_PROXIES": "proxy.local"]) }
    }
}
