import SesameCore
import Testing

@Suite struct SuccessorDeriverTests {
    let deriver = SuccessorDeriver(key: Array(repeating: 42, count: 32))

    @Test func successorIsDeterministicAndRefreshTokenShaped() {
        let token = RandomToken.make()
        let a = deriver.successor(ofBinding: deriver.binding(of: token))
        #expect(a == deriver.successor(ofBinding: deriver.binding(of: token)))
        #expect(RefreshTokenKey(token: a)?.location == nil)
        #expect(deriver.binding(of: token).count == 32)
        // The successor's id is derived too, 16 bytes like every id Sesame makes.
        let id = deriver.successorID(ofBinding: deriver.binding(of: token))
        #expect(id == deriver.successorID(ofBinding: deriver.binding(of: token)) && id.utf8.count == 22)
        #expect(id != deriver.successorID(ofBinding: deriver.binding(of: RandomToken.make())))
    }

    @Test func successorDependsOnTheTokenAndTheKey() {
        let token = RandomToken.make()
        let a = deriver.successor(ofBinding: deriver.binding(of: token))
        #expect(a != deriver.successor(ofBinding: deriver.binding(of: RandomToken.make())))
        let other = SuccessorDeriver(key: Array(repeating: 43, count: 32))
        #expect(a != other.successor(ofBinding: other.binding(of: token)))
    }

    /// What the store keeps (the token's SHA-256) does not lead to the successor.
    @Test func theStoredHashIsNotTheBinding() {
        let token = RandomToken.make()
        #expect(RandomToken.hash(token) != deriver.binding(of: token))
        #expect(deriver.successor(ofBinding: RandomToken.hash(token)) != deriver.successor(ofBinding: deriver.binding(of: token)))
    }

    @Test func base64URLRoundTrips() {
        let bytes = RandomToken.bytes(32)
        #expect(RandomToken.decodeBase64URL(RandomToken.base64URL(bytes)) == bytes)
        #expect(RandomToken.decodeBase64URL("not base64!") == nil)
    }
}

@Suite struct RandomTokenTests {
    @Test func tokensAre256BitsOfBase64URL() {
        let t = RandomToken.make()
        #expect(t.utf8.count == 43)
        #expect(RefreshTokenKey(token: t) == RefreshTokenKey(hash: RandomToken.hash(t)))
        #expect(RandomToken.hash(t).count == 32)
        #expect(RandomToken.make() != t)
    }

    @Test(arguments: [
        "", "short", String(repeating: "a", count: 44), String(repeating: "a", count: 42) + "+", String(repeating: "é", count: 43),
        String(repeating: "a", count: 85), String(repeating: "a", count: 87), String(repeating: "a", count: 85) + "=",
        String(repeating: "é", count: 86),
    ])
    func oddStringsAreNotRefreshTokenShaped(s: String) {
        #expect(RefreshTokenKey(token: s) == nil)
    }
}

@Suite struct ConstantTimeTests {
    @Test func comparesBytes() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        #expect(!ConstantTime.equals([1, 2, 3], [1, 2]))
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
    }
}

@Suite struct AccountRulesTests {
    @Test(arguments: ["a@b.co", "Alice.Smith+tag@example.com", "x@sub.example.org"])
    func validEmails(e: String) { #expect(AccountRules.isValidEmail(e)) }

    @Test(arguments: ["", "a", "a@b", "@b.co", "a@.co", "a@b.co.", "a b@c.co", "a@@b.co", "a@b..co", String(repeating: "a", count: 250) + "@b.co"])
    func invalidEmails(e: String) { #expect(!AccountRules.isValidEmail(e)) }

    @Test(arguments: [("abcdef", true), ("abcde", false), (String(repeating: "x", count: 20), true),
                      (String(repeating: "x", count: 21), false), ("密码密码密码", true), ("abc\u{0}def", false)])
    func passwords(p: String, valid: Bool) { #expect(AccountRules.isValidPassword(p) == valid) }

    @Test(arguments: [("86", "86"), ("+86", "86"), ("0086", "86"), ("1", "1")])
    func internationalCodes(raw: String, normalized: String) {
        #expect(AccountRules.normalizedInternationalCode(raw) == normalized)
    }

    @Test(arguments: ["", "+", "12345", "8a", "+-1"])
    func badInternationalCodes(raw: String) { #expect(AccountRules.normalizedInternationalCode(raw) == nil) }

    @Test(arguments: [("17132136550", true), ("123", false), ("1713213655a", false), ("+8617132136550", false)])
    func phones(p: String, valid: Bool) { #expect(AccountRules.isValidPhone(p) == valid) }

    @Test(arguments: [("C.DM.10271.5", true), ("default", true), ("a_b-c", true), ("", false), ("a b", false),
                      (String(repeating: "a", count: 65), false), ("dom/ain", false), ("é", false)])
    func domainNames(name: String, valid: Bool) { #expect(UserDomain.isValidName(name) == valid) }
}

@Suite struct ConfigurationTests {
    @Test func defaultsAreTheContracts() {
        let c = SesameConfiguration()
        #expect(c.enduser == .init(access: 7_200, refresh: 2_592_000))
        #expect(c.kanfang == .init(access: 172_800, refresh: 2_592_000))
        #expect(c.oauth == .init(access: 900, refresh: 2_592_000))
        #expect(c.refreshGrace == 10 && c.lockoutThreshold == 5 && c.lockoutSeconds == 1_200 && c.bcryptCost == 10)
        #expect(c.kanfangDomain == "default" && c.kanfangRefreshRequiresCredentials && !c.enduserRevealUnknownAccounts)
    }

    @Test func environmentOverridesEverySetting() throws {
        let c = try SesameConfiguration().overlaid(with: [
            "SESAME_ENDUSER_ACCESS_TTL": "60", "SESAME_ENDUSER_REFRESH_TTL": "600",
            "SESAME_KANFANG_ACCESS_TTL": "61", "SESAME_KANFANG_REFRESH_TTL": "601",
            "SESAME_OAUTH_ACCESS_TTL": "62", "SESAME_OAUTH_REFRESH_TTL": "602",
            "SESAME_REFRESH_GRACE": "0", "SESAME_LOCKOUT_THRESHOLD": "3", "SESAME_LOCKOUT_SECONDS": "30",
            "SESAME_BCRYPT_COST": "4", "SESAME_ISSUER": "https://auth.example.com",
            "SESAME_KANFANG_DOMAIN": "kf", "SESAME_KANFANG_REFRESH_REQUIRES_CREDENTIALS": "false",
            "SESAME_ENDUSER_REVEAL_UNKNOWN_ACCOUNTS": "true", "SESAME_SESSION_ABSOLUTE_TTL": "86400",
        ])
        #expect(c.enduser == .init(access: 60, refresh: 600))
        #expect(c.kanfang == .init(access: 61, refresh: 601))
        #expect(c.oauth == .init(access: 62, refresh: 602))
        #expect(c.refreshGrace == 0 && c.lockoutThreshold == 3 && c.lockoutSeconds == 30 && c.bcryptCost == 4)
        #expect(c.issuer == "https://auth.example.com" && c.kanfangDomain == "kf")
        #expect(!c.kanfangRefreshRequiresCredentials && c.enduserRevealUnknownAccounts)
        #expect(c.sessionAbsoluteLifetime == 86_400)
    }

    @Test(arguments: [
        ("SESAME_ENDUSER_ACCESS_TTL", "0"), ("SESAME_ENDUSER_ACCESS_TTL", "-5"), ("SESAME_ENDUSER_ACCESS_TTL", "ten"),
        ("SESAME_REFRESH_GRACE", "-1"), ("SESAME_LOCKOUT_THRESHOLD", "0"), ("SESAME_BCRYPT_COST", "3"),
        ("SESAME_BCRYPT_COST", "32"), ("SESAME_ISSUER", "ftp://x"), ("SESAME_KANFANG_DOMAIN", "bad name"),
        ("SESAME_KANFANG_REFRESH_REQUIRES_CREDENTIALS", "maybe"),
    ])
    func invalidValuesAreRefusedWithTheVariablesName(key: String, value: String) {
        #expect {
            _ = try SesameConfiguration().overlaid(with: [key: value])
        } throws: { error in
            (error as? SesameError)?.code == .invalidInput && (error as? SesameError)?.message.contains(key) == true
        }
    }

    @Test func manualClockMovesOnlyWhenTold() {
        let clock = ManualClock(unixSeconds: 100)
        #expect(clock.unixNow() == 100)
        clock.advance(by: 7_201)
        #expect(clock.unixNow() == 7_301)
    }
}

@Suite struct RefreshTokenKeyTests {
    /// A located token is 86 Base64URL characters that name its session and id; its hash is
    /// over the whole text.
    @Test func aLocatedTokenNamesItsRow() throws {
        let session = RandomToken.make(byteCount: 16)
        let id = RandomToken.make(byteCount: 16)
        let secret = RandomToken.bytes(32)
        let token = try #require(RefreshTokenKey.token(sessionID: session, id: id, secret: secret))
        #expect(token.utf8.count == RefreshTokenKey.locatedLength && RefreshTokenKey.isLocated(token))
        let key = try #require(RefreshTokenKey(token: token))
        #expect(key.location == .init(sessionID: session, id: id))
        #expect(key.hash == RandomToken.hash(token))
        // Same ids, another secret: another hash, so the row's hash does not match.
        let forged = try #require(RefreshTokenKey.token(sessionID: session, id: id, secret: RandomToken.bytes(32)))
        #expect(RefreshTokenKey(token: forged)?.location == key.location)
        #expect(RefreshTokenKey(token: forged)?.hash != key.hash)
    }

    /// Ids Sesame did not make (not the Base64URL of 16 bytes) get no located token: the caller
    /// falls back to a legacy one.
    @Test(arguments: ["S-legacy", "", String(repeating: "A", count: 21), String(repeating: "A", count: 21) + "B", "🔑"])
    func idsOfAnotherShapeAreNotLocated(id: String) {
        let good = RandomToken.make(byteCount: 16)
        #expect(RefreshTokenKey.token(sessionID: id, id: good, secret: RandomToken.bytes(32)) == nil)
        #expect(RefreshTokenKey.token(sessionID: good, id: id, secret: RandomToken.bytes(32)) == nil)
        #expect(RefreshTokenKey.token(sessionID: good, id: good, secret: RandomToken.bytes(31)) == nil)
    }
}
