import SesameCore
import SesameSQLite
import SesameTestSupport
import Testing

/// Claimed attempts that do not end in a failure must not freeze an identifier for good.
@Suite struct LockoutRegressionTests {
    @Test func aDisabledUsersRightPasswordDoesNotCountAsAFailure() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let admin = Administration(store: h.store, clock: h.clock, hasher: h.service.hasher)
        try await admin.disableUser(uid: h.user.uid)
        for _ in 0..<8 {
            await #expect(throws: SesameError(.userDisabled, "")) { _ = try await h.login() }
        }
        try await admin.enableUser(uid: h.user.uid)
        await #expect {
            _ = try await h.service.login(domain: h.domain, identifier: .email(h.email), password: "wrong-pass", dialect: .enduser)
        } throws: { ($0 as? SesameError)?.attemptsLeft == 4 }
        _ = try await h.login()
    }

    @Test func anotherUsersRightPasswordCountsAsAFailureAndTheFreezeEnds() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let carol = try await h.addUser(username: "carol", password: "carol-pass-1")
        for _ in 0..<4 {
            await #expect(throws: SesameError(.invalidCredentials, "")) {
                _ = try await h.service.checkPassword(
                    domain: h.domain, identifier: .username("carol"), password: "carol-pass-1", dialect: .kanfang,
                    expectedUID: h.user.uid)
            }
        }
        await #expect(throws: SesameError(.frozen, "")) {
            _ = try await h.service.checkPassword(
                domain: h.domain, identifier: .username("carol"), password: "carol-pass-1", dialect: .kanfang, expectedUID: h.user.uid)
        }
        h.clock.advance(by: 1_200)
        let (user, _) = try await h.service.checkPassword(
            domain: h.domain, identifier: .username("carol"), password: "carol-pass-1", dialect: .kanfang, expectedUID: carol.uid)
        #expect(user.uid == carol.uid)
    }

    @Test func claimsThatNeverEndExpireAfterTheLockoutTime() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let key = LoginAttemptKey(domainID: h.domain.id, identifier: "email:\(h.email)")
        // Five claims whose checks "crashed": neither a failure nor a success was recorded.
        for n in 1...5 {
            #expect(try await h.store.beginLoginAttempt(key, at: h.clock.unixNow(), threshold: 5, lockSeconds: 1_200) == .allowed(attempt: n))
        }
        await #expect(throws: SesameError(.frozen, "")) { _ = try await h.login() }
        h.clock.advance(by: 1_200)
        _ = try await h.login()
    }
}
