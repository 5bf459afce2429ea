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
