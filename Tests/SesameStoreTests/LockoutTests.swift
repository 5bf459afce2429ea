import SesameCore
import SesameSQLite
import SesameTestSupport
import Testing

@Suite struct LockoutTests {
    @Test(arguments: StoreKind.available) func fiveFailuresFreezeForTwentyMinutesThenTheCountStartsAgain(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        for left in [4, 3, 2, 1] {
            await #expect {
                _ = try await h.service.login(domain: h.domain, identifier: .email(h.email), password: "wrong-pass", dialect: .enduser)
            } throws: { ($0 as? SesameError)?.code == .invalidCredentials && ($0 as? SesameError)?.attemptsLeft == left }
        }
        await #expect(throws: SesameError(.frozen, "")) {
            _ = try await h.service.login(domain: h.domain, identifier: .email(h.email), password: "wrong-pass", dialect: .enduser)
        }
        // Frozen: even the right password is refused.
        await #expect(throws: SesameError(.frozen, "")) { _ = try await h.login() }
        h.clock.advance(by: 1_199)
        await #expect(throws: SesameError(.frozen, "")) { _ = try await h.login() }
        h.clock.advance(by: 1)
        _ = try await h.login()
    }

    @Test(arguments: StoreKind.available) func aSuccessResetsTheCount(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        for _ in 0..<4 {
            _ = try? await h.service.login(domain: h.domain, identifier: .email(h.email), password: "wrong-pass", dialect: .enduser)
        }
        _ = try await h.login()
        await #expect {
            _ = try await h.service.login(domain: h.domain, identifier: .email(h.email), password: "wrong-pass", dialect: .enduser)
        } throws: { ($0 as? SesameError)?.attemptsLeft == 4 }
    }

    @Test(arguments: StoreKind.available) func unknownAccountsCountAndAnswerLikeAWrongPassword(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        for left in [4, 3, 2, 1] {
            await #expect {
                _ = try await h.service.login(domain: h.domain, identifier: .email("nobody@example.com"), password: "whatever1", dialect: .enduser)
            } throws: { ($0 as? SesameError)?.code == .invalidCredentials && ($0 as? SesameError)?.attemptsLeft == left }
        }
        await #expect(throws: SesameError(.frozen, "")) {
            _ = try await h.service.login(domain: h.domain, identifier: .email("nobody@example.com"), password: "whatever1", dialect: .enduser)
        }
    }

    @Test(arguments: StoreKind.available) func configurationCanRevealUnknownAccounts(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store) { $0.enduserRevealUnknownAccounts = true }
        defer { h.cleanUp() }
        await #expect(throws: SesameError(.unknownAccount, "")) {
            _ = try await h.service.login(domain: h.domain, identifier: .email("nobody@example.com"), password: "whatever1", dialect: .enduser)
        }
    }

    @Test(arguments: StoreKind.available) func concurrentGuessesNeverExceedTheThreshold(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let outcomes = await withTaskGroup(of: SesameError.Code?.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do {
                        _ = try await h.service.login(domain: h.domain, identifier: .email(h.email), password: "wrong-pass", dialect: .enduser)
                        return nil
                    } catch let e as SesameError { return e.code } catch { return nil }
                }
            }
            return await group.reduce(into: [SesameError.Code?]()) { $0.append($1) }
        }
        // Exactly 4 answers tell "wrong password, N left"; every other guess met the freeze
        // (checks waiting for a slot get no extra guess through).
        #expect(outcomes.filter { $0 == .invalidCredentials }.count == 4)
        #expect(outcomes.filter { $0 == .frozen }.count == 16)
        await #expect(throws: SesameError(.frozen, "")) { _ = try await h.login() }
    }

    @Test(arguments: StoreKind.available) func lockoutIsPerIdentifier(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        for _ in 0..<5 {
            _ = try? await h.service.login(domain: h.domain, identifier: .email(h.email), password: "wrong-pass", dialect: .enduser)
        }
        // The e-mail froze: even its right password is refused.
        await #expect(throws: SesameError(.frozen, "")) {
            _ = try await h.service.login(domain: h.domain, identifier: .email(h.email), password: h.password, dialect: .enduser)
        }
        // The phone identifier of the same user is counted apart.
        _ = try await h.service.login(
            domain: h.domain, identifier: .phone(internationalCode: "86", number: h.phone), password: h.password, dialect: .enduser)
    }
}
