import SesameCore
import SesameSQLite
import SesameTestSupport
import Testing

/// Claimed attempts that do not end in a failure must not freeze an identifier for good.
@Suite struct LockoutRegressionTests {
    @Test(arguments: StoreKind.available) func aDisabledUsersRightPasswordDoesNotCountAsAFailure(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
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

    @Test(arguments: StoreKind.available) func anotherUsersRightPasswordCountsAsAFailureAndTheFreezeEnds(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
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

    /// PostgreSQL cannot hold a NUL in text: an identifier with one (kanfang's `authKey`,
    /// oauth's `username`) made the lockout claim fail with an internal error (the fuzz
    /// campaign's `username=%00`, kanfang state 500, oauth 500). On every store it is a wrong
    /// account, and counts nothing against real ones.
    @Test(arguments: StoreKind.available) func anIdentifierWithANulIsAWrongAccount(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let identifiers: [AccountIdentifier] = [.anyOf("a\u{0}b"), .anyOf(h.username + "\u{0}"), .username("\u{0}"),
                                                .email("x\u{0}@example.com")]
        for identifier in identifiers {
            for dialect in [Dialect.kanfang, .oauth] {
                await #expect(throws: SesameError(.invalidCredentials, "")) {
                    _ = try await h.service.checkPassword(domain: h.domain, identifier: identifier, password: h.password, dialect: dialect)
                }
            }
        }
        _ = try await h.login()
    }

    /// A hash made at another cost is replaced at the next successful login, so that every
    /// account's login costs the time of the dummy hash used for unknown accounts.
    @Test(arguments: StoreKind.available) func aHashAtAnotherCostIsReplacedAtLogin(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)  // the user's hash has cost 4
        defer { h.cleanUp() }
        var configuration = h.service.configuration
        configuration.bcryptCost = 5
        let service = try await TokenService.start(
            store: h.store, configuration: configuration, issuer: TestHarness.issuer, clock: h.clock, logger: h.service.logger)
        #expect(try await h.store.user(uid: h.user.uid)?.passwordHash.hasPrefix("$2b$04$") == true)
        _ = try await service.login(domain: h.domain, identifier: .email(h.email), password: h.password, dialect: .enduser)
        let rehashed = try #require(try await h.store.user(uid: h.user.uid)?.passwordHash)
        #expect(rehashed.hasPrefix("$2b$05$"))
        #expect(!service.hasher.needsRehash(rehashed))
        _ = try await service.login(domain: h.domain, identifier: .email(h.email), password: h.password, dialect: .enduser)
    }

    /// Right passwords checked at the same time never freeze each other out.
    @Test(arguments: StoreKind.available) func concurrentRightPasswordsAllSucceed(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        // Correctness, not speed: on a loaded machine 24 serialised checks may outlast the
        // default 5-second patience, which is a bound, not the property under test.
        var service = h.service
        service.claimPatience = .seconds(60)
        let patient = service
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<24 {
                group.addTask {
                    try await patient.login(domain: h.domain, identifier: .email(h.email), password: h.password, dialect: .enduser).session.id
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(results).count == 24)
    }

    @Test(arguments: StoreKind.available) func claimsThatNeverEndExpireAfterTheLockoutTime(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let key = LoginAttemptKey(domainID: h.domain.id, identifier: "email:\(h.email)")
        // Five claims whose checks "crashed": neither a failure nor a success was recorded.
        for n in 1...5 {
            #expect(try await h.store.beginLoginAttempt(key, at: h.clock.unixNow(), policy: LockoutPolicy(threshold: 5, lockSeconds: 1_200)) == .allowed(attempt: n))
        }
        #expect(try await h.store.beginLoginAttempt(key, at: h.clock.unixNow(), policy: LockoutPolicy(threshold: 5, lockSeconds: 1_200)) == .busy(until: h.clock.unixNow() + 1_200))
        var impatient = h.service
        impatient.claimPatience = .milliseconds(50)
        await #expect(throws: SesameError(.frozen, "")) {
            _ = try await impatient.login(domain: h.domain, identifier: .email(h.email), password: h.password, dialect: .enduser)
        }
        h.clock.advance(by: 1_200)
        _ = try await h.login()
    }
}
