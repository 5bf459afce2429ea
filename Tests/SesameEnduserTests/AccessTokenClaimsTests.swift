import Foundation
import Hummingbird
import HummingbirdTesting
import SesameCore
import SesameTestSupport
import Testing

/// CONTRACT §3: the access token's header and claims.
@Suite struct AccessTokenClaimsTests {
    func decode(_ part: Substring) throws -> [String: Any] {
        let bytes = try #require(RandomToken.decodeBase64URL(String(part)))
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test(arguments: [Dialect.enduser, .kanfang])
    func headerAndClaims(dialect: Dialect) async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let pair = try await h.login(dialect)
        let parts = pair.accessToken.split(separator: ".")
        #expect(parts.count == 3)
        let header = try decode(parts[0])
        #expect(header["alg"] as? String == "ES256")
        #expect(header["kid"] as? String == h.service.keys.activeKid)
        let claims = try decode(parts[1])
        let now = Int(h.clock.unixNow())
        #expect(claims["iss"] as? String == TestHarness.issuer)
        #expect(claims["sub"] as? String == h.user.uid)
        #expect(claims["uid"] as? String == h.user.uid)
        #expect(claims["sid"] as? String == pair.session.id)
        #expect((claims["jti"] as? String)?.isEmpty == false)
        #expect(claims["type"] as? String == "AccessToken")
        #expect(claims["iat"] as? Int == now)
        switch dialect {
        case .enduser:
            #expect(claims["exp"] as? Int == now + 7_200)
            #expect(claims["nbf"] as? Int == now - 120)
            #expect(claims["aud"] as? String == h.domain.name)
            #expect(claims["rtb"] == nil)
        default:
            #expect(claims["exp"] as? Int == now + 172_800)
            #expect(claims["nbf"] as? Int == now)
            #expect(claims["aud"] == nil)
            #expect((claims["rtb"] as? String)?.count == 43)
        }
        // No claim holds the refresh token.
        #expect(!String(decoding: try #require(RandomToken.decodeBase64URL(String(parts[1]))), as: UTF8.self).contains(pair.refreshToken))
    }

    @Test func userInfoTakesTheAccessTokenWithOrWithoutBearer() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let pair = try await h.login()
        let app = Application(router: h.router())
        try await app.test(.router) { client in
            let c = DialectClient(client)
            for value in [pair.accessToken, "Bearer " + pair.accessToken, "bearer  " + pair.accessToken] {
                let r = try await c.send(.get, Enduser.base + "userInfo", headers: [.authorization: value])
                #expect(r.code == 200)
            }
        }
    }
}
