import Foundation
import Hummingbird
import HummingbirdTesting
import SesameCore
import SesameTestSupport
import Testing

/// Family A over Hummingbird's in-process router client, against a real SQLite store.
@Suite struct EnduserFlowTests {
    func withClient(_ h: TestHarness, _ body: @Sendable (DialectClient) async throws -> Void) async throws {
        let app = Application(router: h.router())
        try await app.test(.router) { client in try await body(DialectClient(client)) }
    }

    func loginForm(_ h: TestHarness, random: String? = nil, password: String? = nil) throws -> [(String, String)] {
        try Enduser.emailLogin(
            email: h.email, password: password ?? h.password, domain: h.domain.name, secret: TestHarness.domainSecret, random: random)
    }

    /// Checks the success envelope field by field and returns the pair.
    func expectTokenPair(_ r: DialectClient.Reply, h: TestHarness) throws -> (access: String, refresh: String) {
        #expect(r.status == .ok)
        #expect(Set(r.json.keys) == ["code", "msg", "data", "extMsg"])
        #expect(r.code == 200)
        #expect(r.json["msg"] as? String == "")
        #expect(r.json["extMsg"] is NSNull)
        let data = try #require(r.data)
        #expect(Set(data.keys) == ["accessToken", "refreshToken"])
        let access = try #require(data["accessToken"] as? [String: Any])
        let refresh = try #require(data["refreshToken"] as? [String: Any])
        #expect(Set(access.keys) == ["token", "expirationTime"])
        #expect(Set(refresh.keys) == ["token", "expirationTime"])
        let now = h.clock.unixNow()
        #expect(access["expirationTime"] as? Int == Int(now + 7_200))
        #expect(refresh["expirationTime"] as? Int == Int(now + 2_592_000))
        let accessToken = try #require(access["token"] as? String)
        let refreshToken = try #require(refresh["token"] as? String)
        #expect(accessToken.hasPrefix("Bearer ey"))
        #expect(refreshToken.hasPrefix("Bearer "))
        return (accessToken, refreshToken)
    }

    @Test func emailLoginRefreshUserInfoLogout() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let login = try await c.send(.post, Enduser.base + "emailPwdLogin", form: try loginForm(h))
            let (access, refresh) = try expectTokenPair(login, h: h)

            h.clock.advance(by: 30)
            let refreshed = try await c.send(.put, Enduser.base + "refreshToken", query: [("refreshToken", refresh)])
            let (access2, refresh2) = try expectTokenPair(refreshed, h: h)
            #expect(refresh2 != refresh)

            let info = try await c.send(.get, Enduser.base + "userInfo", headers: [.authorization: access2])
            #expect(info.code == 200)
            let user = try #require(info.data)
            #expect(user["uid"] as? String == h.user.uid)
            #expect(user["email"] as? String == h.email)
            #expect(user["phone"] as? String == h.phone)
            #expect(user["nikeName"] as? String == "Alice")
            #expect(user["status"] as? Int == 1)
            #expect(user["registerTimeTs"] as? Int == Int(h.user.registeredAt))
            #expect(user["lang"] as? String == "" && user["logonMode"] as? Int == 0 && user["wechatUnionId"] as? String == "")
            // The access token issued before the refresh still works.
            #expect(try await c.send(.get, Enduser.base + "userInfo", headers: [.authorization: access]).code == 200)

            let logout = try await c.send(.delete, Enduser.base + "userLogout", headers: [.authorization: access2])
            #expect(logout.code == 200)
            #expect((logout.data ?? ["x": 1]).isEmpty)
            #expect(try await c.send(.get, Enduser.base + "userInfo", headers: [.authorization: access]).code == 5032)
            #expect(try await c.send(.put, Enduser.base + "refreshToken", query: [("refreshToken", refresh2)]).code == 5032)
        }
    }

    @Test func phoneLoginWithEncryptedPwd() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let form = try Enduser.phoneLogin(
                phone: h.phone, password: h.password, domain: h.domain.name, secret: TestHarness.domainSecret, random: "abcdef")
            _ = try expectTokenPair(try await c.send(.post, Enduser.base + "phonePwdLogin", form: form), h: h)
            // internationalCode absent: the default 86 finds the account; the signature covers "".
            let noCode = try Enduser.phoneLogin(
                phone: h.phone, code: nil, password: h.password, domain: h.domain.name, secret: TestHarness.domainSecret)
            _ = try expectTokenPair(try await c.send(.post, Enduser.base + "phonePwdLogin", form: noCode), h: h)
        }
    }

    @Test func emailLoginWithEncryptedPwdAndUpperCaseSignature() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            var form = try loginForm(h, random: "j1acpdj2bmtqZXVb")
            form = form.map { $0.0 == "signature" ? ($0.0, $0.1.uppercased()) : $0 }
            _ = try expectTokenPair(try await c.send(.post, Enduser.base + "emailPwdLogin", form: form), h: h)
        }
    }

    /// `pwd` as Android's `Base64.DEFAULT` writes it (a trailing newline) is the same password,
    /// signed as sent; any other junk in it is still 5056.
    @Test(arguments: [("\n", 200), ("\r\n", 200), (" ", 5056), ("!", 5056)])
    func encryptedPwdWithAndroidNewline(_ suffix: String, expected: Int) async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let random = "j1acpdj2bmtqZXVb"
            let pwd = try LegacyPasswordCipher.encrypt(h.password, random: random) + suffix
            let signature = RequestSignature.expected([h.email, pwd, random], secret: TestHarness.domainSecret)
            let form = [("email", h.email), ("pwd", pwd), ("userDomain", h.domain.name), ("signature", signature), ("random", random)]
            let r = try await c.send(.post, Enduser.base + "emailPwdLogin", form: form)
            if expected == 200 { _ = try expectTokenPair(r, h: h) } else { #expect(r.code == expected) }
        }
    }

    @Test func parametersMayComeFromQueryFormOrJSONInThatPrecedence() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let form = try loginForm(h)
            // All in the query.
            _ = try expectTokenPair(try await c.send(.post, Enduser.base + "emailPwdLogin", query: form), h: h)
            // All in a JSON body.
            let object = Dictionary(uniqueKeysWithValues: form)
            let json = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            let viaJSON = try await c.send(.post, Enduser.base + "emailPwdLogin", json: json)
            let (_, refresh) = try expectTokenPair(viaJSON, h: h)
            // The query wins over the body: a wrong body value is ignored.
            let both = try await c.send(
                .put, Enduser.base + "refreshToken", query: [("refreshToken", refresh)], form: [("refreshToken", "garbage")])
            _ = try expectTokenPair(both, h: h)
        }
    }

    @Test func refreshTokenAcceptedWithOrWithoutBearerInFormAndJSON() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let (_, refresh) = try expectTokenPair(try await c.send(.post, Enduser.base + "emailPwdLogin", form: try loginForm(h)), h: h)
            let raw = String(refresh.dropFirst("Bearer ".count))
            let r1 = try await c.send(.put, Enduser.base + "refreshToken", form: [("refreshToken", raw)])
            let (_, next) = try expectTokenPair(r1, h: h)
            let r2 = try await c.send(.put, Enduser.base + "refreshToken", json: #"{"refreshToken": "\#(next)"}"#)
            _ = try expectTokenPair(r2, h: h)
        }
    }

    @Test func sixteenConcurrentRefreshesOverHTTPGetOneSuccessor() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let (_, refresh) = try expectTokenPair(try await c.send(.post, Enduser.base + "emailPwdLogin", form: try loginForm(h)), h: h)
            let tokens = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        let r = try await c.send(.put, Enduser.base + "refreshToken", query: [("refreshToken", refresh)])
                        return (r.data?["refreshToken"] as? [String: Any])?["token"] as? String
                    }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(tokens.count == 16 && tokens.allSatisfy { $0 != nil })
            #expect(Set(tokens).count == 1)
        }
    }

    @Test func reuseAfterGraceAnswers5032AndKillsTheSession() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let (access, refresh) = try expectTokenPair(try await c.send(.post, Enduser.base + "emailPwdLogin", form: try loginForm(h)), h: h)
            _ = try expectTokenPair(try await c.send(.put, Enduser.base + "refreshToken", query: [("refreshToken", refresh)]), h: h)
            h.clock.advance(by: 11)
            let reuse = try await c.send(.put, Enduser.base + "refreshToken", query: [("refreshToken", refresh)])
            #expect(reuse.code == 5032)
            #expect(reuse.json["msg"] as? String == "token 验证失败")
            #expect(reuse.json["data"] is NSNull)
            #expect(try await c.send(.get, Enduser.base + "userInfo", headers: [.authorization: access]).code == 5032)
        }
    }

    @Test func lockoutCountDownForEmail() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            var codes: [Int?] = []
            for _ in 0..<6 {
                codes.append(try await c.send(.post, Enduser.base + "emailPwdLogin", form: try loginForm(h, password: "wrong-pass")).code)
            }
            #expect(codes == [5586, 5585, 5584, 5583, 5147, 5147])
            #expect(try await c.send(.post, Enduser.base + "emailPwdLogin", form: try loginForm(h)).code == 5147)
            h.clock.advance(by: 1_200)
            #expect(try await c.send(.post, Enduser.base + "emailPwdLogin", form: try loginForm(h)).code == 200)
        }
    }

    @Test func lockoutCountDownForPhoneAndUnknownPhones() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            for phone in [h.phone, "13900000000"] {
                var codes: [Int?] = []
                for _ in 0..<5 {
                    let form = try Enduser.phoneLogin(
                        phone: phone, password: "wrong-pass", domain: h.domain.name, secret: TestHarness.domainSecret)
                    codes.append(try await c.send(.post, Enduser.base + "phonePwdLogin", form: form).code)
                }
                #expect(codes == [5582, 5581, 5580, 5579, 5147])
            }
        }
    }

    @Test func unknownAccountsAnswerLikeAWrongPasswordUnlessConfigured() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        try await withClient(h) { c in
            let form = try Enduser.emailLogin(
                email: "nobody@example.com", password: "whatever1", domain: h.domain.name, secret: TestHarness.domainSecret)
            #expect(try await c.send(.post, Enduser.base + "emailPwdLogin", form: form).code == 5586)
        }
        let revealing = try await TestHarness.make { $0.enduserRevealUnknownAccounts = true }
        defer { revealing.cleanUp() }
        try await withClient(revealing) { c in
            let email = try Enduser.emailLogin(
                email: "nobody@example.com", password: "whatever1", domain: h.domain.name, secret: TestHarness.domainSecret)
            #expect(try await c.send(.post, Enduser.base + "emailPwdLogin", form: email).code == 5031)
            let phone = try Enduser.phoneLogin(
                phone: "13900000000", password: "whatever1", domain: h.domain.name, secret: TestHarness.domainSecret)
            #expect(try await c.send(.post, Enduser.base + "phonePwdLogin", form: phone).code == 5004)
        }
    }

    @Test func disabledUserAndDomain() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let admin = Administration(store: h.store, clock: h.clock, hasher: h.service.hasher)
        try await withClient(h) { c in
            try await admin.disableUser(uid: h.user.uid)
            #expect(try await c.send(.post, Enduser.base + "emailPwdLogin", form: try loginForm(h)).code == 5033)
            try await admin.setDomainEnabled(name: h.domain.name, enabled: false)
            #expect(try await c.send(.post, Enduser.base + "emailPwdLogin", form: try loginForm(h)).code == 5104)
        }
    }

    @Test func kanfangTokensAreInvalidHereAndNotConsumed() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let kanfang = try await h.login(.kanfang)
        try await withClient(h) { c in
            let refresh = try await c.send(.put, Enduser.base + "refreshToken", query: [("refreshToken", kanfang.refreshToken)])
            #expect(refresh.code == 5032)
            let info = try await c.send(.get, Enduser.base + "userInfo", headers: [.authorization: "Bearer " + kanfang.accessToken])
            #expect(info.code == 5032)
        }
        h.clock.advance(by: 60)
        _ = try await h.service.refresh(.refreshToken(kanfang.refreshToken), dialect: .kanfang)
    }
}
