import Foundation
import Hummingbird
import HummingbirdTesting
import SesameCore
import SesameTestSupport
import Testing

/// The clients every oauth test registers in the harness's domain.
enum Clients {
    static let web = "web"
    static let webSecret = "web-secret-4f8a9c2e7b1d6053a9e8c7b6d5f4e3a2"
    static let other = "other"
    static let otherSecret = "other-secret-0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    /// Public: no secret.
    static let mobile = "mobile"

    static func register(_ h: TestHarness) async throws {
        try await h.addClient(web, secret: webSecret)
        try await h.addClient(other, secret: otherSecret)
        try await h.addClient(mobile)
    }
}

/// How a request authenticates its client.
enum ClientAuth: Sendable, CustomStringConvertible {
    case basic(String, String)
    case body(String, String)
    case publicClient(String)
    case none

    var description: String {
        switch self {
        case .basic(let id, _): "basic(\(id))"
        case .body(let id, _): "body(\(id))"
        case .publicClient(let id): "public(\(id))"
        case .none: "none"
        }
    }

    static let web = ClientAuth.basic(Clients.web, Clients.webSecret)
    static let webBody = ClientAuth.body(Clients.web, Clients.webSecret)
    static let other = ClientAuth.basic(Clients.other, Clients.otherSecret)
    static let mobile = ClientAuth.publicClient(Clients.mobile)

    var headers: HTTPFields {
        if case .basic(let id, let secret) = self { return [.authorization: OAuth.basic(id, secret)] }
        return [:]
    }

    var form: [(String, String)] {
        switch self {
        case .basic, .none: []
        case .body(let id, let secret): [("client_id", id), ("client_secret", secret)]
        case .publicClient(let id): [("client_id", id)]
        }
    }
}

/// A harness with the clients registered, and its router under test.
struct OAuthFixture: Sendable {
    let h: TestHarness

    static func make(configure: (inout SesameConfiguration) -> Void = { _ in }) async throws -> OAuthFixture {
        let h = try await TestHarness.make(configure: configure)
        try await Clients.register(h)
        return OAuthFixture(h: h)
    }

    func run(_ body: @Sendable (OAuthTester) async throws -> Void) async throws {
        defer { h.cleanUp() }
        let app = Application(router: h.router())
        try await app.test(.router) { client in try await body(OAuthTester(c: DialectClient(client), h: h)) }
    }
}

/// Sends oauth requests.
struct OAuthTester: Sendable {
    let c: DialectClient
    let h: TestHarness

    func post(_ endpoint: String, _ form: [(String, String)], auth: ClientAuth, headers: HTTPFields = [:]) async throws -> DialectClient.Reply {
        var fields = auth.headers
        for field in headers { fields.append(field) }
        return try await c.send(.post, "/oauth/" + endpoint, form: auth.form + form, headers: fields)
    }

    /// Sends `body` as it is, with `contentType`.
    func postRaw(_ endpoint: String, _ body: String, contentType: String? = "application/x-www-form-urlencoded", headers: HTTPFields = [:], query: String = "") async throws -> DialectClient.Reply {
        try await c.send(.post, "/oauth/" + endpoint + query, rawBody: Array(body.utf8), contentType: contentType, headers: headers)
    }

    func password(_ auth: ClientAuth = .web, username: String = "alice", password: String? = nil) async throws -> DialectClient.Reply {
        try await post("token", [("grant_type", "password"), ("username", username), ("password", password ?? h.password)], auth: auth)
    }

    func refresh(_ token: String, _ auth: ClientAuth = .web) async throws -> DialectClient.Reply {
        try await post("token", [("grant_type", "refresh_token"), ("refresh_token", token)], auth: auth)
    }

    /// Logs alice in through `auth` and returns (access token, refresh token).
    func login(_ auth: ClientAuth = .web) async throws -> (access: String, refresh: String) {
        let r = try await password(auth)
        #expect(r.status == .ok, "\(r.text)")
        return (try #require(r.json["access_token"] as? String), try #require(r.json["refresh_token"] as? String))
    }

    func introspect(_ token: String, _ auth: ClientAuth = .web, hint: String? = nil) async throws -> DialectClient.Reply {
        try await post("introspect", [("token", token)] + (hint.map { [("token_type_hint", $0)] } ?? []), auth: auth)
    }

    func revoke(_ token: String, _ auth: ClientAuth = .web, hint: String? = nil) async throws -> DialectClient.Reply {
        try await post("revoke", [("token", token)] + (hint.map { [("token_type_hint", $0)] } ?? []), auth: auth)
    }

    func userInfo(_ authorization: String?) async throws -> DialectClient.Reply {
        try await c.send(.get, "/oauth/userinfo", headers: authorization.map { [.authorization: $0] } ?? [:])
    }
}

/// Checks an RFC 6749 §5.2 error answer.
func expectOAuthError(_ r: DialectClient.Reply, _ error: String, _ status: HTTPResponse.Status, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == status, "\(r.text)", sourceLocation: sourceLocation)
    #expect(r.json["error"] as? String == error, "\(r.text)", sourceLocation: sourceLocation)
    #expect(Set(r.json.keys).isSubset(of: ["error", "error_description"]), sourceLocation: sourceLocation)
    #expect(r.headers[.cacheControl] == "no-store", sourceLocation: sourceLocation)
    #expect(r.headers[.contentType]?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
    if status == .unauthorized {
        #expect(r.headers[.wwwAuthenticate] != nil, "a 401 needs a challenge", sourceLocation: sourceLocation)
    }
}
