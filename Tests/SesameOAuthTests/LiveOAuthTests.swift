import Foundation
import Hummingbird
import HummingbirdTesting
import SesameCore
import SesameTestSupport
import Testing

/// The oauth dialect over a real socket, on every database.
@Suite struct LiveOAuthTests {
    @Test(arguments: StoreKind.available) func aWholeSessionOverALiveSocket(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        try await Clients.register(h)
        try await h.application().test(.live) { client in
            let o = OAuthTester(c: DialectClient(client), h: h)
            let (access, refresh) = try await o.login(.web)
            #expect(try await o.userInfo("Bearer " + access).json["sub"] as? String == h.user.uid)
            #expect(try await o.introspect(access).json["active"] as? Bool == true)
            let next = try #require(try await o.refresh(refresh).json["refresh_token"] as? String)
            expectOAuthError(try await o.refresh(next, .other), "invalid_grant", .badRequest)
            #expect(try await o.revoke(next).status == .ok)
            #expect(try await o.introspect(access).text == #"{"active":false}"#)
            #expect(try await o.c.send(.get, "/.well-known/jwks.json").status == .ok)
            let metadata = try await o.c.send(.get, "/.well-known/oauth-authorization-server")
            #expect(metadata.json["issuer"] as? String == TestHarness.issuer)
            expectOAuthError(try await o.c.send(.get, "/oauth/nowhere"), "invalid_request", .notFound)
            // Removing the client ends its sessions, on this database too.
            let (_, another) = try await o.login(.mobile)
            try await Administration(store: h.store, clock: h.clock, hasher: h.service.hasher).removeClient(id: Clients.mobile)
            expectOAuthError(try await o.refresh(another, .mobile), "invalid_client", .unauthorized)
            #expect(try await h.store.sessions(uid: h.user.uid, limit: 10).contains { $0.revokeReason == "client-removed" })
        }
    }
}

/// Per-address limits in the oauth dialect, over a real socket (loopback taken out of the
/// exemptions): 429 with `Retry-After`, and a refused request consumes nothing.
@Suite struct OAuthClientLimitTests {
    func harness(_ configure: @escaping (inout ClientLimits) -> Void) async throws -> TestHarness {
        let h = try await TestHarness.make { c in
            c.clientLimits.exempt = []
            configure(&c.clientLimits)
        }
        try await Clients.register(h)
        return h
    }

    func app(_ h: TestHarness) -> some ApplicationProtocol {
        Application(router: h.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// Wrong passwords and wrong client secrets both count as failed logins of the address.
    @Test(arguments: ["wrong-password", "wrong-client-secret"])
    func failedLoginsFromOneAddressAre429(_ failure: String) async throws {
        let h = try await harness { $0.loginFailures = 3 }
        defer { h.cleanUp() }
        try await app(h).test(.live) { client in
            let o = OAuthTester(c: DialectClient(client), h: h)
            for _ in 0..<3 {
                let r = failure == "wrong-password"
                    ? try await o.password(password: "wrong-pass-1") : try await o.password(.basic(Clients.web, "wrong-secret-123"))
                #expect(r.status == .badRequest || r.status == .unauthorized)
            }
            let blocked = try await o.password()
            expectOAuthError(blocked, "temporarily_unavailable", .tooManyRequests)
            #expect(Int(blocked.headers[.retryAfter] ?? "") == 600)
            // Introspection with a confidential client's secret is braked too.
            expectOAuthError(try await o.introspect("x"), "temporarily_unavailable", .tooManyRequests)
            h.clock.advance(by: 600)
            #expect(try await o.password().status == .ok)
        }
    }

    @Test func refreshesFromOneAddressAre429AndARefusalConsumesNothing() async throws {
        let h = try await harness { $0.refreshes = 2; $0.refreshWindow = 60 }
        defer { h.cleanUp() }
        try await app(h).test(.live) { client in
            let o = OAuthTester(c: DialectClient(client), h: h)
            var (_, token) = try await o.login()
            for _ in 0..<2 { token = try #require(try await o.refresh(token).json["refresh_token"] as? String) }
            let refused = try await o.refresh(token)
            expectOAuthError(refused, "temporarily_unavailable", .tooManyRequests)
            #expect(refused.headers[.retryAfter] == "60")
            h.clock.advance(by: 60)
            #expect(try await o.refresh(token).status == .ok, "the refused refresh consumed the token")
        }
    }
}
