import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SesameCore
import SesameHTTP
import SesameTestSupport
import Testing

/// `POST /oauth/token` (RFC 6749 §4.3, §5, §6).
@Suite struct TokenEndpointTests {
    /// §5.1: exactly these members, no caching, `aud` = the client.
    @Test(arguments: [ClientAuth.web, .webBody, .mobile])
    func passwordGrantAnswersRFC6749Section51(auth: ClientAuth) async throws {
        try await OAuthFixture.make().run { o in
            let r = try await o.password(auth)
            #expect(r.status == .ok, "\(r.text)")
            #expect(Set(r.json.keys) == ["access_token", "token_type", "expires_in", "refresh_token"])
            #expect(r.json["token_type"] as? String == "Bearer")
            #expect(r.json["expires_in"] as? Int == 900)
            #expect(r.headers[.cacheControl] == "no-store")
            #expect(r.headers[HTTPField.Name("Pragma")!] == "no-cache")
            let claims = OAuth.claims(of: try #require(r.json["access_token"] as? String))
            let expectedClient: String
            switch auth {
            case .basic(let id, _), .body(let id, _), .publicClient(let id): expectedClient = id
            case .none: expectedClient = ""
            }
            #expect(claims["aud"] as? String == expectedClient)
            #expect(claims["sub"] as? String == o.h.user.uid)
            #expect(claims["iss"] as? String == TestHarness.issuer)
            let session = try #require(try await o.h.service.store.sessions(uid: o.h.user.uid, limit: 1).first)
            #expect(session.dialect == .oauth && session.clientID == expectedClient)
        }
    }

    @Test(arguments: ["alice", "alice@example.com", "ALICE@example.com", "17132136550"])
    func usernameIsTheUserNameEmailOrPhone(username: String) async throws {
        try await OAuthFixture.make().run { o in
            let r = try await o.password(username: username)
            #expect(r.status == .ok)
        }
    }

    /// Lifetimes come from configuration (SESAME_OAUTH_ACCESS_TTL / _REFRESH_TTL).
    @Test func lifetimesAreTheOAuthOnes() async throws {
        try await OAuthFixture.make { $0.oauth = .init(access: 120, refresh: 3_600) }.run { o in
            let (_, refresh) = try await o.login()
            let r = try await o.refresh(refresh)
            #expect(r.json["expires_in"] as? Int == 120)
            let next = try #require(r.json["refresh_token"] as? String)
            let record = try #require(try await o.h.service.store.refreshToken(RefreshTokenKey(token: next)!))
            #expect(record.expiresAt - record.issuedAt == 3_600)
        }
    }

    struct Refusal: Sendable, CustomStringConvertible {
        var description: String
        var body: String
        var contentType: String? = "application/x-www-form-urlencoded"
        var headers: HTTPFields = [:]
        var query = ""
        var error: String
        var status: HTTPResponse.Status = .badRequest
    }

    static let webBasic = OAuth.basic(Clients.web, Clients.webSecret)
    static let passwordForm = "grant_type=password&username=alice&password=secret-pass1"

    /// Every error of §5.2 the token endpoint gives, and the request that earns it.
    static let refusals: [Refusal] = [
        Refusal(description: "no client at all", body: passwordForm, error: "invalid_client", status: .unauthorized),
        Refusal(description: "unknown client_id", body: passwordForm + "&client_id=nobody", error: "invalid_client", status: .unauthorized),
        Refusal(
            description: "wrong client_secret", body: passwordForm + "&client_id=web&client_secret=wrong-secret-123",
            error: "invalid_client", status: .unauthorized),
        Refusal(
            description: "wrong Basic secret", body: passwordForm, headers: [.authorization: OAuth.basic("web", "wrong-secret-123")],
            error: "invalid_client", status: .unauthorized),
        Refusal(
            description: "Basic for an unknown client", body: passwordForm, headers: [.authorization: OAuth.basic("nobody", "whatever-123")],
            error: "invalid_client", status: .unauthorized),
        Refusal(
            description: "confidential client without its secret", body: passwordForm + "&client_id=web", error: "invalid_client",
            status: .unauthorized),
        Refusal(
            description: "public client presenting a secret", body: passwordForm + "&client_id=mobile&client_secret=anything-123",
            error: "invalid_client", status: .unauthorized),
        Refusal(
            description: "malformed Basic", body: passwordForm, headers: [.authorization: "Basic !!!not-base64"], error: "invalid_client",
            status: .unauthorized),
        Refusal(
            description: "Basic without a colon", body: passwordForm,
            headers: [.authorization: "Basic " + Data("web".utf8).base64EncodedString()], error: "invalid_client", status: .unauthorized),
        Refusal(
            description: "another Authorization scheme", body: passwordForm, headers: [.authorization: "Bearer abc.def.ghi"],
            error: "invalid_client", status: .unauthorized),
        Refusal(
            description: "Basic and client_secret together", body: passwordForm + "&client_secret=\(Clients.webSecret)",
            headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(
            description: "Basic and a different body client_id", body: passwordForm + "&client_id=other", headers: [.authorization: webBasic],
            error: "invalid_request"),
        Refusal(description: "client_secret without client_id", body: passwordForm + "&client_secret=x-123456", error: "invalid_request"),
        Refusal(description: "missing grant_type", body: "username=alice&password=secret-pass1", headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(description: "empty grant_type", body: "grant_type=&username=alice&password=secret-pass1", headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(description: "grant_type client_credentials", body: "grant_type=client_credentials", headers: [.authorization: webBasic], error: "unsupported_grant_type"),
        Refusal(description: "grant_type authorization_code", body: "grant_type=authorization_code&code=x", headers: [.authorization: webBasic], error: "unsupported_grant_type"),
        Refusal(description: "grant_type in the wrong case", body: "grant_type=Password&username=alice&password=secret-pass1", headers: [.authorization: webBasic], error: "unsupported_grant_type"),
        Refusal(description: "password missing", body: "grant_type=password&username=alice", headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(description: "username missing", body: "grant_type=password&password=secret-pass1", headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(description: "wrong password", body: "grant_type=password&username=alice&password=wrong-pass1", headers: [.authorization: webBasic], error: "invalid_grant"),
        Refusal(description: "unknown user", body: "grant_type=password&username=nobody&password=secret-pass1", headers: [.authorization: webBasic], error: "invalid_grant"),
        Refusal(description: "refresh_token missing", body: "grant_type=refresh_token", headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(description: "refresh_token unknown", body: "grant_type=refresh_token&refresh_token=\(String(repeating: "A", count: 43))", headers: [.authorization: webBasic], error: "invalid_grant"),
        Refusal(description: "refresh_token absurd", body: "grant_type=refresh_token&refresh_token=%F0%9F%94%91" + String(repeating: "x", count: 5_000), headers: [.authorization: webBasic], error: "invalid_grant"),
        Refusal(description: "grant_type twice", body: passwordForm + "&grant_type=password", headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(description: "password twice", body: passwordForm + "&password=secret-pass1", headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(description: "client_id twice", body: passwordForm + "&client_id=mobile&client_id=mobile", error: "invalid_request"),
        Refusal(
            description: "JSON body", body: #"{"grant_type":"password","username":"alice","password":"secret-pass1"}"#,
            contentType: "application/json", headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(description: "JSON body without a content type", body: #"{"grant_type":"password"}"#, contentType: nil, headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(description: "text/plain body", body: passwordForm, contentType: "text/plain", headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(description: "parameters in the query", body: "", headers: [.authorization: webBasic], query: "?" + passwordForm, error: "invalid_request"),
        Refusal(description: "a query beside the body", body: passwordForm, headers: [.authorization: webBasic], query: "?x=1", error: "invalid_request"),
        Refusal(description: "broken percent-encoding", body: "grant_type=password&username=alice&password=%ZZ", headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(description: "a name with a broken escape", body: passwordForm + "&%zz=1", headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(description: "a name ending in a lone %", body: passwordForm + "&client_id%=x", headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(description: "a name that is not UTF-8", body: passwordForm + "&%FF=1", headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(description: "bytes that are not UTF-8", body: "grant_type=password&username=%FF%FE&password=secret-pass1", headers: [.authorization: webBasic], error: "invalid_request"),
        Refusal(description: "empty body", body: "", headers: [.authorization: webBasic], error: "invalid_request"),
    ]

    @Test(arguments: refusals)
    func refusalsFollowRFC6749Section52(_ refusal: Refusal) async throws {
        try await OAuthFixture.make().run { o in
            let r = try await o.postRaw("token", refusal.body, contentType: refusal.contentType, headers: refusal.headers, query: refusal.query)
            expectOAuthError(r, refusal.error, refusal.status)
            if refusal.status == .unauthorized {
                #expect(r.headers[.wwwAuthenticate] == #"Basic realm="sesame""#)
            }
            if refusal.error != "invalid_grant" {
                // Nothing was checked against the account: no failure counted.
                #expect(try await o.h.service.store.auditEvents(limit: 50).allSatisfy { $0.kind != "login-failed" })
            }
            // Nothing was issued either.
            #expect(try await o.h.service.store.auditEvents(limit: 50).allSatisfy { $0.kind != "login" })
            #expect(!r.text.contains(Clients.webSecret) && !r.text.contains(o.h.password))
        }
    }

    @Test func aDisabledDomainMakesItsClientsUnauthorized() async throws {
        try await OAuthFixture.make().run { o in
            try await Administration(store: o.h.store, clock: o.h.clock, hasher: o.h.service.hasher).setDomainEnabled(name: "default", enabled: false)
            expectOAuthError(try await o.password(), "unauthorized_client", .badRequest)
        }
    }

    @Test func aDisabledUserIsAnInvalidGrant() async throws {
        try await OAuthFixture.make().run { o in
            try await Administration(store: o.h.store, clock: o.h.clock, hasher: o.h.service.hasher).disableUser(uid: o.h.user.uid)
            expectOAuthError(try await o.password(), "invalid_grant", .badRequest)
        }
    }

    /// Lockout applies as in the other dialects: five failures freeze the username for 20
    /// minutes, answered as `invalid_grant` with a description saying so.
    @Test func lockoutFreezesTheUsername() async throws {
        try await OAuthFixture.make().run { o in
            for _ in 0..<5 { expectOAuthError(try await o.password(password: "wrong-pass1"), "invalid_grant", .badRequest) }
            let frozen = try await o.password()
            expectOAuthError(frozen, "invalid_grant", .badRequest)
            #expect((frozen.json["error_description"] as? String)?.contains("try again later") == true)
            // Counted per (domain, identifier) as kanfang does: the same name there is frozen too.
            let kanfang = try await o.c.send(.get, "/v2/Authorization/GetAccessToken", query: [("authKey", "alice"), ("authValue", o.h.password)])
            #expect(kanfang.state == 403)
            o.h.clock.advance(by: 1_200)
            #expect(try await o.password().status == .ok)
        }
    }

    // MARK: refresh_token

    @Test(arguments: [ClientAuth.web, .mobile])
    func refreshRotatesAndTheGraceWindowReplays(auth: ClientAuth) async throws {
        try await OAuthFixture.make().run { o in
            let (_, first) = try await o.login(auth)
            let a = try await o.refresh(first, auth)
            #expect(a.status == .ok && Set(a.json.keys) == ["access_token", "token_type", "expires_in", "refresh_token"])
            let second = try #require(a.json["refresh_token"] as? String)
            #expect(second != first)
            // Within the grace window the rotated token returns the same successor.
            let again = try await o.refresh(first, auth)
            #expect(again.json["refresh_token"] as? String == second)
            #expect(try await o.refresh(second, auth).status == .ok)
        }
    }

    @Test func reuseAfterTheGraceWindowRevokesTheSession() async throws {
        try await OAuthFixture.make().run { o in
            let (_, first) = try await o.login()
            let second = try #require(try await o.refresh(first).json["refresh_token"] as? String)
            o.h.clock.advance(by: 60)
            expectOAuthError(try await o.refresh(first), "invalid_grant", .badRequest)
            expectOAuthError(try await o.refresh(second), "invalid_grant", .badRequest)
            #expect(try await o.h.service.store.auditEvents(limit: 5).contains { $0.kind == "refresh-reuse" })
        }
    }

    /// A session belongs to its client: another client (confidential or public) gets
    /// `invalid_grant`, and the owner can still refresh afterwards.
    @Test(arguments: [ClientAuth.other, .mobile, .body(Clients.other, Clients.otherSecret)])
    func anotherClientCannotRefresh(intruder: ClientAuth) async throws {
        try await OAuthFixture.make().run { o in
            let (_, token) = try await o.login(.web)
            expectOAuthError(try await o.refresh(token, intruder), "invalid_grant", .badRequest)
            o.h.clock.advance(by: 60)  // past any grace window: a consumed token would now count as reuse
            expectOAuthError(try await o.refresh(token, intruder), "invalid_grant", .badRequest)
            #expect(try await o.refresh(token, .web).status == .ok)
        }
    }

    /// A session refreshes only through its own dialect.
    @Test func otherDialectsTokensAreInvalidGrants() async throws {
        try await OAuthFixture.make().run { o in
            let enduser = try await o.h.login(.enduser)
            let kanfang = try await o.h.login(.kanfang)
            expectOAuthError(try await o.refresh(enduser.refreshToken), "invalid_grant", .badRequest)
            expectOAuthError(try await o.refresh(kanfang.refreshToken), "invalid_grant", .badRequest)
            let (_, mine) = try await o.login()
            let r = try await o.c.send(.put, Enduser.base + "refreshToken", form: [("refreshToken", mine)])
            #expect(r.code == 5032)
            #expect(try await o.refresh(mine).status == .ok)
        }
    }

    /// A refused request consumes nothing: after each of these the refresh token still rotates
    /// normally, even long past the grace window.
    @Test(arguments: [
        "grant_type=refresh_token&refresh_token=TOKEN&client_id=web&client_secret=wrong-secret-123",
        "grant_type=refresh_token&refresh_token=TOKEN&refresh_token=TOKEN&client_id=web&client_secret=\(Clients.webSecret)",
        "grant_type=refresh_token&refresh_token=TOKEN&client_id=web&client_secret=\(Clients.webSecret)&client_id=web",
        "grant_type=refresh_token&refresh_token=TOKEN&client_id=other&client_secret=\(Clients.otherSecret)",
        "grant_type=refresh_token&refresh_token=TOKEN&client_id=mobile",
        "grant_type=refresh_token&refresh_token=TOKEN",
        "grant_type=refresh_tokens&refresh_token=TOKEN&client_id=web&client_secret=\(Clients.webSecret)",
        "JSON",
        "QUERY",
    ])
    func refusedRefreshesConsumeNothing(template: String) async throws {
        try await OAuthFixture.make().run { o in
            let (_, token) = try await o.login()
            let r: DialectClient.Reply
            switch template {
            case "JSON":
                r = try await o.postRaw(
                    "token", #"{"grant_type":"refresh_token","refresh_token":"\#(token)"}"#, contentType: "application/json",
                    headers: [.authorization: Self.webBasic])
            case "QUERY":
                r = try await o.postRaw(
                    "token", "", headers: [.authorization: Self.webBasic], query: "?grant_type=refresh_token&refresh_token=\(token)")
            default:
                r = try await o.postRaw("token", template.replacingOccurrences(of: "TOKEN", with: token))
            }
            #expect(r.status != .ok, "\(r.text)")
            o.h.clock.advance(by: 60)
            let after = try await o.refresh(token)
            #expect(after.status == .ok, "the refused request consumed the token: \(after.text)")
            #expect(try await o.h.service.store.auditEvents(limit: 20).allSatisfy { $0.kind != "refresh-reuse" && $0.kind != "session-revoked" })
        }
    }

    @Test func aBodyOverTheLimitIs413() async throws {
        try await OAuthFixture.make().run { o in
            let r = try await o.postRaw("token", Self.passwordForm + "&pad=" + String(repeating: "x", count: 70_000), headers: [.authorization: Self.webBasic])
            expectOAuthError(r, "invalid_request", .contentTooLarge)
        }
    }

    /// Client ids and secrets are form-urlencoded inside Basic (RFC 6749 §2.3.1); clients that
    /// skip the encoding (curl's `-u`, most libraries) are understood too: a secret is tried as
    /// decoded, then as sent.
    @Test(arguments: ["a b+c:d%e/f&g=h~ü-0123456789", "b64+/secret==0123456789abcdef", "plain-secret-0123456789", "100%25-literal-x"])
    func basicCredentialsEncodedOrNot(secret: String) async throws {
        let f = try await OAuthFixture.make()
        try await f.h.addClient("odd.client_~1", secret: secret)
        try await f.run { o in
            #expect(try await o.password(.basic("odd.client_~1", secret)).status == .ok)
            #expect(try await o.password(.body("odd.client_~1", secret)).status == .ok)
            let unencoded = "Basic " + Data("odd.client_~1:\(secret)".utf8).base64EncodedString()
            #expect(try await o.postRaw("token", Self.passwordForm, headers: [.authorization: unencoded]).status == .ok)
            let wrong = "Basic " + Data("odd.client_~1:\(secret)x".utf8).base64EncodedString()
            expectOAuthError(try await o.postRaw("token", Self.passwordForm, headers: [.authorization: wrong]), "invalid_client", .unauthorized)
            // Each form is only itself: the decoded form of a secret is not accepted as sent in the body.
            if let decoded = FormDecoderProbe.decode(secret), decoded != secret {
                expectOAuthError(try await o.password(.body("odd.client_~1", decoded)), "invalid_client", .unauthorized)
            }
        }
    }
}

/// Form-decoding as the server does it, for building test expectations.
enum FormDecoderProbe {
    static func decode(_ text: String) -> String? {
        let pairs = FormDecoder.decode(Array("x=\(text)".utf8))
        guard case .text(let value) = pairs.first?.1 else { return nil }
        return value
    }
}
