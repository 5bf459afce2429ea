import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SesameCore
import SesameSQLite
import SesameServer
import SesameTestSupport
import Testing

/// Tokens, passwords and secrets never reach a log line, even at trace level.
@Suite struct SecretsInLogsTests {
    @Test func noSecretInAnyLogLineAcrossEveryFlow() async throws {
        let capture = LogCapture()
        let logger = capture.logger(level: .trace)
        let (kek, kekText) = KeyEncryptionKey.generate()
        let h = try await TestHarness.make(logger: logger, kek: kek)
        defer { h.cleanUp() }
        // Key material: the KEK, every line of the private signing key, the successor key.
        var keyMaterial = [kekText]
        for record in try await h.store.signingKeys() {
            keyMaterial += record.privateKeyPEM.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("-----") }
        }
        let successorKey = try await h.store.secret(named: "successor-key") { RandomToken.bytes(32) }
        keyMaterial.append(Data(successorKey).base64EncodedString())
        keyMaterial.append(RandomToken.base64URL(successorKey))
        let material = keyMaterial
        let app = Application(router: h.router(), logger: logger)
        let secrets = try await app.test(.router) { client -> [String] in
            let c = DialectClient(client)
            var secrets = [h.password, TestHarness.domainSecret]
            let form = try Enduser.emailLogin(
                email: h.email, password: h.password, domain: h.domain.name, secret: TestHarness.domainSecret, random: "abcdef")
            secrets += form.filter { $0.0 == "pwd" || $0.0 == "signature" }.map(\.1)
            let login = try await c.send(.post, Enduser.base + "emailPwdLogin", form: form)
            let refresh = try #require((login.data?["refreshToken"] as? [String: Any])?["token"] as? String)
            let access = try #require((login.data?["accessToken"] as? [String: Any])?["token"] as? String)
            let next = try await c.send(.put, Enduser.base + "refreshToken", query: [("refreshToken", refresh)])
            let nextRefresh = try #require((next.data?["refreshToken"] as? [String: Any])?["token"] as? String)
            _ = try await c.send(.get, Enduser.base + "userInfo", headers: [.authorization: access])
            h.clock.advance(by: 60)
            _ = try await c.send(.put, Enduser.base + "refreshToken", query: [("refreshToken", refresh)])  // reuse: revokes
            _ = try await c.send(.post, Enduser.base + "emailPwdLogin", form: try Enduser.emailLogin(
                email: h.email, password: "wrong-pass-9", domain: h.domain.name, secret: TestHarness.domainSecret))
            let k = try await c.send(.get, "/v2/Authorization/GetAccessToken", query: [("authKey", h.username), ("authValue", h.password)])
            let kRefresh = try #require(k.payload?["refreshToken"] as? String)
            let kAccess = try #require(k.payload?["token"] as? String)
            _ = try await c.send(.get, "/v2/Authorization/RefreshToken", query: [("authKey", h.username), ("authValue", h.password), ("Authorization", kRefresh)])
            _ = try await c.send(.get, "/v2/Authorization/RefreshToken", query: [("authKey", h.username), ("authValue", "wrong-pass-9")], headers: [.authorization: kAccess])
            secrets += ["wrong-pass-9", refresh, access, nextRefresh, kRefresh, kAccess].map { BearerTokenText.raw($0) }
            _ = try await c.send(.get, "/metrics")
            return secrets + material
        }
        let lines = capture.all
        #expect(!lines.isEmpty, "the flows should have logged something at trace level")
        #expect(lines.contains { $0.contains("request_id") }, "request lines carry their request id")
        for line in lines {
            for secret in secrets where !secret.isEmpty {
                #expect(!line.contains(secret), "a secret reached the log: \(line.prefix(120))")
            }
        }
    }
}

extension SecretsInLogsTests {
    /// The oauth dialect: client secrets (Basic and body), passwords, tokens, at trace level,
    /// through successes and every kind of refusal.
    @Test func noSecretInAnyLogLineAcrossOAuthFlows() async throws {
        let capture = LogCapture()
        let logger = capture.logger(level: .trace)
        let h = try await TestHarness.make(logger: logger)
        defer { h.cleanUp() }
        let clientSecret = "log-test-client-secret-5e6f7a8b9c0d1e2f"
        try await h.addClient("web", secret: clientSecret)
        try await h.addClient("mobile")
        let app = Application(router: h.router(), logger: logger)
        let secrets = try await app.test(.router) { client -> [String] in
            let c = DialectClient(client)
            let basic: HTTPFields = [.authorization: OAuth.basic("web", clientSecret)]
            let login = try await c.send(
                .post, "/oauth/token", form: [("grant_type", "password"), ("username", h.username), ("password", h.password)], headers: basic)
            let access = try #require(login.json["access_token"] as? String)
            let refresh = try #require(login.json["refresh_token"] as? String)
            let next = try await c.send(
                .post, "/oauth/token",
                form: [("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", "web"), ("client_secret", clientSecret)])
            let nextRefresh = try #require(next.json["refresh_token"] as? String)
            _ = try await c.send(.post, "/oauth/introspect", form: [("token", access)], headers: basic)
            _ = try await c.send(.get, "/oauth/userinfo", headers: [.authorization: "Bearer " + access])
            _ = try await c.send(
                .post, "/oauth/token", form: [("grant_type", "password"), ("username", h.username), ("password", "wrong-pass-7")], headers: basic)
            _ = try await c.send(
                .post, "/oauth/token", form: [("grant_type", "password"), ("username", h.username), ("password", h.password)],
                headers: [.authorization: OAuth.basic("web", "wrong-client-secret-1")])
            _ = try await c.send(
                .post, "/oauth/token", json: #"{"grant_type":"password","password":"\#(h.password)"}"#, headers: basic)
            _ = try await c.send(
                .post, "/oauth/token?password=\(h.password)&refresh_token=\(nextRefresh)", form: [("grant_type", "password")], headers: basic)
            _ = try await c.send(
                .post, "/oauth/token", form: [("grant_type", "refresh_token"), ("refresh_token", nextRefresh), ("client_id", "mobile")])
            h.clock.advance(by: 60)
            _ = try await c.send(.post, "/oauth/token", form: [("grant_type", "refresh_token"), ("refresh_token", refresh)], headers: basic)
            _ = try await c.send(.post, "/oauth/revoke", form: [("token", nextRefresh)], headers: basic)
            _ = try await c.send(.get, "/oauth/userinfo", headers: [.authorization: "Bearer " + access])
            return [clientSecret, "wrong-client-secret-1", h.password, "wrong-pass-7", access, refresh, nextRefresh]
        }
        let lines = capture.all
        #expect(!lines.isEmpty, "the flows should have logged something at trace level")
        for line in lines {
            for secret in secrets {
                #expect(!line.contains(secret), "a secret reached the log: \(line.prefix(120))")
            }
        }
    }
}

enum BearerTokenText {
    static func raw(_ s: String) -> String { s.hasPrefix("Bearer ") ? String(s.dropFirst(7)) : s }
}
