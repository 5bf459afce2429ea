import Foundation
import Hummingbird
import HummingbirdTesting
import SesameCore
import SesameHTTP
import SesameTestSupport
import Testing

/// Every error code of CONTRACT.md §4, and hostile input, each answered in the envelope.
@Suite struct EnduserErrorTests {
    func withClient(_ h: TestHarness, _ body: @Sendable (DialectClient) async throws -> Void) async throws {
        let app = Application(router: h.router(limits: .init(maxBodyBytes: 4_096)))
        try await app.test(.router) { client in try await body(DialectClient(client)) }
    }

    /// A login case: the valid form with some fields replaced (`nil` removes the field).
    struct LoginCase: Sendable, CustomTestStringConvertible {
        var name: String
        var endpoint: String
        var changes: [String: String?]
        var resign = true
        var expected: Int
        var testDescription: String { "\(endpoint) \(name) → \(expected)" }
    }

    static let loginCases: [LoginCase] = [
        .init(name: "no email", endpoint: "emailPwdLogin", changes: ["email": nil], expected: 5026),
        .init(name: "empty email", endpoint: "emailPwdLogin", changes: ["email": ""], expected: 5026),
        .init(name: "malformed email", endpoint: "emailPwdLogin", changes: ["email": "not-an-email"], expected: 5040),
        .init(name: "no pwd", endpoint: "emailPwdLogin", changes: ["pwd": nil], expected: 5022),
        .init(name: "short pwd", endpoint: "emailPwdLogin", changes: ["pwd": "12345"], expected: 5056),
        .init(name: "long pwd", endpoint: "emailPwdLogin", changes: ["pwd": String(repeating: "x", count: 21)], expected: 5056),
        .init(name: "undecryptable pwd", endpoint: "emailPwdLogin", changes: ["random": "abcdef"], expected: 5056),
        .init(name: "no domain", endpoint: "emailPwdLogin", changes: ["userDomain": nil], expected: 5023),
        .init(name: "malformed domain", endpoint: "emailPwdLogin", changes: ["userDomain": "bad domain!"], expected: 5013),
        .init(name: "unknown domain", endpoint: "emailPwdLogin", changes: ["userDomain": "C.DM.nope"], expected: 5015),
        .init(name: "no signature", endpoint: "emailPwdLogin", changes: ["signature": nil], resign: false, expected: 5550),
        .init(name: "wrong signature", endpoint: "emailPwdLogin", changes: ["signature": String(repeating: "0", count: 64)], resign: false, expected: 5420),
        .init(name: "signature over another pwd", endpoint: "emailPwdLogin", changes: ["pwd": "other-pass1"], resign: false, expected: 5420),
        .init(name: "wrong password", endpoint: "emailPwdLogin", changes: ["pwd": "wrong-pass"], expected: 5586),
        .init(name: "unknown email", endpoint: "emailPwdLogin", changes: ["email": "nobody@example.com"], expected: 5586),
        .init(name: "no phone", endpoint: "phonePwdLogin", changes: ["phone": nil], expected: 5021),
        .init(name: "malformed phone", endpoint: "phonePwdLogin", changes: ["phone": "12ab"], expected: 5019),
        .init(name: "malformed code", endpoint: "phonePwdLogin", changes: ["internationalCode": "+x"], expected: 5019),
        .init(name: "no pwd", endpoint: "phonePwdLogin", changes: ["pwd": nil], expected: 5022),
        .init(name: "short pwd", endpoint: "phonePwdLogin", changes: ["pwd": "123"], expected: 5056),
        .init(name: "no domain", endpoint: "phonePwdLogin", changes: ["userDomain": nil], expected: 5023),
        .init(name: "malformed domain", endpoint: "phonePwdLogin", changes: ["userDomain": String(repeating: "d", count: 65)], expected: 5013),
        .init(name: "unknown domain", endpoint: "phonePwdLogin", changes: ["userDomain": "nope"], expected: 5015),
        .init(name: "no signature", endpoint: "phonePwdLogin", changes: ["signature": nil], resign: false, expected: 5550),
        .init(name: "wrong signature", endpoint: "phonePwdLogin", changes: ["signature": "abc"], resign: false, expected: 5420),
        .init(name: "wrong password", endpoint: "phonePwdLogin", changes: ["pwd": "wrong-pass"], expected: 5582),
        .init(name: "other country", endpoint: "phonePwdLogin", changes: ["internationalCode": "1"], expected: 5582),
    ]

    @Test(arguments: loginCases)
    func loginErrorCodes(_ c: LoginCase) async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        var fields: [String: String] = [
            "pwd": h.password, "userDomain": h.domain.name,
            c.endpoint == "emailPwdLogin" ? "email" : "phone": c.endpoint == "emailPwdLogin" ? h.email : h.phone,
        ]
        if c.endpoint == "phonePwdLogin" { fields["internationalCode"] = "86" }
        func signature(_ f: [String: String]) -> String {
            let parts =
                c.endpoint == "emailPwdLogin"
                ? [f["email"] ?? "", f["pwd"] ?? "", f["random"] ?? ""]
                : [f["internationalCode"] ?? "", f["phone"] ?? "", f["pwd"] ?? "", f["random"] ?? ""]
            return RequestSignature.expected(parts, secret: TestHarness.domainSecret)
        }
        // Signed over the valid fields, then changed (a client that signed something else), or
        // re-signed after the change (a well-signed request with a bad value).
        let original = signature(fields)
        for (k, v) in c.changes { fields[k] = v }
        if !c.changes.keys.contains("signature") { fields["signature"] = c.resign ? signature(fields) : original }
        let form = fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        try await withClient(h) { client in
            let r = try await client.send(.post, Enduser.base + c.endpoint, form: form)
            #expect(r.status == .ok)
            #expect(r.code == c.expected, "\(r.text)")
            #expect(r.json["data"] is NSNull)
            #expect(r.json["extMsg"] is NSNull)
            #expect((r.json["msg"] as? String)?.isEmpty == false)
        }
    }

    @Test func tokenEndpointsMissingAndInvalid() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let r1 = try await c.send(.put, Enduser.base + "refreshToken")
            #expect(r1.code == 5115)
            let r2 = try await c.send(.put, Enduser.base + "refreshToken", form: [("refreshToken", "")])
            #expect(r2.code == 5115)
            let r3 = try await c.send(.put, Enduser.base + "refreshToken", form: [("refreshToken", "Bearer ")])
            #expect(r3.code == 5115)
            let r4 = try await c.send(.put, Enduser.base + "refreshToken", form: [("refreshToken", "nope")])
            #expect(r4.code == 5032)
            let r5 = try await c.send(.put, Enduser.base + "refreshToken", json: #"{"refreshToken": 12}"#)
            #expect(r5.code == 5032)
            let r6 = try await c.send(.put, Enduser.base + "refreshToken", json: #"{"refreshToken": ["a"]}"#)
            #expect(r6.code == 5032)
            let r7 = try await c.send(.get, Enduser.base + "userInfo")
            #expect(r7.code == 5106)
            let r8 = try await c.send(.get, Enduser.base + "userInfo", headers: [.authorization: "Bearer "])
            #expect(r8.code == 5106)
            let r9 = try await c.send(.get, Enduser.base + "userInfo", headers: [.authorization: "Bearer abc"])
            #expect(r9.code == 5032)
            let r10 = try await c.send(.delete, Enduser.base + "userLogout")
            #expect(r10.code == 5106)
            let r11 = try await c.send(.delete, Enduser.base + "userLogout", headers: [.authorization: "x.y.z"])
            #expect(r11.code == 5032)
        }
    }

    /// Forged and tampered access tokens: `alg: none`, a foreign key, an unknown `kid`, a
    /// changed payload.
    @Test func forgedAccessTokensAreRejected() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let pair = try await h.login()
        let parts = pair.accessToken.split(separator: ".").map(String.init)
        func b64(_ s: String) -> String { RandomToken.base64URL(Array(s.utf8)) }
        let payload = String(decoding: Data(base64Encoded: parts[1].base64Padded) ?? Data(), as: UTF8.self)
        let forged = [
            b64(#"{"alg":"none","typ":"JWT"}"#) + "." + parts[1] + ".",
            b64(#"{"alg":"HS256","typ":"JWT","kid":"\#(h.service.keys.activeKid)"}"#) + "." + parts[1] + "." + parts[2],
            b64(#"{"alg":"ES256","typ":"JWT","kid":"unknown"}"#) + "." + parts[1] + "." + parts[2],
            parts[0] + "." + b64(payload.replacingOccurrences(of: h.user.uid, with: "U-other")) + "." + parts[2],
            parts[0] + "." + parts[1] + "." + String(parts[2].reversed()),
            parts[0] + "." + parts[1],
        ]
        try await withClient(h) { c in
            for token in forged {
                let r = try await c.send(.get, Enduser.base + "userInfo", headers: [.authorization: "Bearer " + token])
                #expect(r.code == 5032, "\(token)")
            }
            let r12 = try await c.send(.get, Enduser.base + "userInfo", headers: [.authorization: "Bearer " + pair.accessToken])
            #expect(r12.code == 200)
        }
    }

    struct HostileCase: Sendable, CustomTestStringConvertible {
        var name: String
        var method: HTTPRequest.Method
        var endpoint: String
        var body: [UInt8]
        var contentType: String?
        var query: String = ""
        var testDescription: String { name }
    }

    static let hostile: [HostileCase] = [
        .init(name: "bad JSON", method: .post, endpoint: "emailPwdLogin", body: Array(#"{"email": "#.utf8), contentType: "application/json"),
        .init(name: "JSON array", method: .post, endpoint: "emailPwdLogin", body: Array("[1,2,3]".utf8), contentType: "application/json"),
        .init(name: "JSON wrong types", method: .post, endpoint: "emailPwdLogin", body: Array(#"{"email": {"a": 1}, "pwd": true, "userDomain": 1.5}"#.utf8), contentType: "application/json"),
        .init(name: "bad UTF-8 in form", method: .post, endpoint: "emailPwdLogin", body: [0x65, 0x6D, 0x61, 0x69, 0x6C, 0x3D, 0xFF, 0xFE], contentType: "application/x-www-form-urlencoded"),
        .init(name: "bad percent-encoding", method: .post, endpoint: "phonePwdLogin", body: Array("phone=%ZZ&pwd=%".utf8), contentType: "application/x-www-form-urlencoded"),
        .init(name: "percent-encoded bad UTF-8", method: .put, endpoint: "refreshToken", body: Array("refreshToken=%C3%28".utf8), contentType: "application/x-www-form-urlencoded"),
        .init(name: "random bytes", method: .put, endpoint: "refreshToken", body: (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 7919) }, contentType: "application/octet-stream"),
        .init(name: "body over the limit", method: .post, endpoint: "emailPwdLogin", body: Array(repeating: 0x61, count: 10_000), contentType: "application/x-www-form-urlencoded"),
        .init(name: "huge value", method: .put, endpoint: "refreshToken", body: Array(("refreshToken=" + String(repeating: "A", count: 4_000)).utf8), contentType: "application/x-www-form-urlencoded"),
        .init(name: "duplicated parameters", method: .put, endpoint: "refreshToken", body: Array("refreshToken=a&refreshToken=b".utf8), contentType: "application/x-www-form-urlencoded"),
        .init(name: "NUL in query", method: .post, endpoint: "emailPwdLogin", body: [], contentType: nil, query: "email=a%00b@c.d&pwd=%00"),
        .init(name: "deeply nested JSON", method: .post, endpoint: "emailPwdLogin", body: Array(repeating: UInt8(ascii: "["), count: 4_000), contentType: "application/json"),
        .init(name: "JSON with NUL and escapes", method: .put, endpoint: "refreshToken", body: Array(#"{"refreshToken": "\u0000\ud800"}"#.utf8), contentType: "application/json"),
        .init(name: "wrong method on login", method: .get, endpoint: "emailPwdLogin", body: [], contentType: nil),
        .init(name: "wrong method on refresh", method: .post, endpoint: "refreshToken", body: [], contentType: nil),
        .init(name: "unknown endpoint", method: .get, endpoint: "doesNotExist", body: [], contentType: nil),
        .init(name: "deep unknown path", method: .post, endpoint: "a/b/c/d", body: [], contentType: nil),
    ]

    @Test(arguments: hostile)
    func hostileInputGetsAnEnvelopeNeverA500(_ c: HostileCase) async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let pair = try await h.login()
        try await withClient(h) { client in
            let path = Enduser.base + c.endpoint + (c.query.isEmpty ? "" : "?" + c.query)
            let r = try await client.send(c.method, path, rawBody: c.body, contentType: c.contentType)
            #expect(r.status == .ok)
            let code = try #require(r.code, "\(r.text)")
            #expect(code != 200 && code != 5000)
            #expect(Set(r.json.keys) == ["code", "msg", "data", "extMsg"])
            #expect(!r.text.contains(h.password) && !r.text.contains(TestHarness.domainSecret))
        }
        // Nothing was consumed: the login's refresh token still rotates normally after the grace window.
        h.clock.advance(by: 60)
        _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
    }
}

extension String {
    /// Base64URL without padding to padded standard Base64.
    var base64Padded: String {
        var s = replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return s
    }
}
