import Foundation
import Hummingbird
import HummingbirdTesting
import SesameCore
import SesameServer
import SesameTestSupport
import Testing

/// The application over a real socket, in process.
@Suite struct LiveServerTests {
    @Test func bothDialectsOverALiveSocket() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await h.application().test(.live) { client in
            let c = DialectClient(client)
            let form = try Enduser.emailLogin(email: h.email, password: h.password, domain: h.domain.name, secret: TestHarness.domainSecret)
            let login = try await c.send(.post, Enduser.base + "emailPwdLogin", form: form)
            #expect(login.code == 200)
            let refresh = try #require((login.data?["refreshToken"] as? [String: Any])?["token"] as? String)
            let access = try #require((login.data?["accessToken"] as? [String: Any])?["token"] as? String)
            #expect(try await c.send(.put, Enduser.base + "refreshToken", form: [("refreshToken", refresh)]).code == 200)
            #expect(try await c.send(.get, Enduser.base + "userInfo", headers: [.authorization: access]).code == 200)

            let k = try await c.send(.get, "/v2/Authorization/GetAccessToken", query: [("authKey", h.username), ("authValue", h.password)])
            #expect(k.state == 200)
            let kRefresh = try #require(k.payload?["refreshToken"] as? String)
            let kNext = try await c.send(
                .get, "/v2/Authorization/RefreshToken", query: [("authKey", h.username), ("authValue", h.password)],
                headers: [.cookie: "Authorization=Bearer%20\(kRefresh)"])
            #expect(kNext.state == 200)

            let health = try await c.send(.get, "/health")
            #expect(health.status == .ok)
            #expect(try await c.send(.get, "/nowhere").status == .notFound)
        }
    }
}
