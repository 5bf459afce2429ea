import Foundation
import GRDB
import SesameCore
import SesameSQLite
import SesameTestSupport
import Testing

/// Rotation, the grace window, reuse detection and expiry, on a real SQLite file with an
/// injected clock.
@Suite struct RotationTests {
    @Test(arguments: StoreKind.available) func refreshRotatesToANewPairAndMarksTheOldTokenUsed(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let first = try await h.login()
        h.clock.advance(by: 60)
        let second = try await h.service.refresh(.refreshToken(first.refreshToken), dialect: .enduser)
        #expect(second.refreshToken != first.refreshToken)
        #expect(second.accessToken != first.accessToken)
        #expect(second.session.id == first.session.id)
        #expect(second.refreshExpiresAt == h.clock.unixNow() + 2_592_000)  // sliding expiry
        #expect(second.accessExpiresAt == h.clock.unixNow() + 7_200)
        let current = try await h.probe.integer(
            "SELECT count(*) FROM refresh_tokens WHERE session_id = ? AND rotated_at IS NULL", [.text(first.session.id)])
        #expect(current == 1)
    }

    @Test(arguments: StoreKind.available) func aRefreshNeverInvalidatesEarlierAccessTokens(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let first = try await h.login()
        let second = try await h.service.refresh(.refreshToken(first.refreshToken), dialect: .enduser)
        _ = try await h.service.refresh(.refreshToken(second.refreshToken), dialect: .enduser)
        #expect(try await h.service.authenticate(accessToken: first.accessToken, dialect: .enduser).user.uid == h.user.uid)
    }

    @Test(arguments: StoreKind.available) func withinTheGraceWindowTheSameSuccessorComesBack(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let first = try await h.login()
        let a = try await h.service.refresh(.refreshToken(first.refreshToken), dialect: .enduser)
        h.clock.advance(by: 10)
        let b = try await h.service.refresh(.refreshToken(first.refreshToken), dialect: .enduser)
        #expect(a.refreshToken == b.refreshToken)
        #expect(a.refreshExpiresAt == b.refreshExpiresAt)
        #expect(try await h.service.authenticate(accessToken: b.accessToken, dialect: .enduser).session.id == first.session.id)
        // The successor is still the session's current token and refreshes normally.
        let c = try await h.service.refresh(.refreshToken(b.refreshToken), dialect: .enduser)
        #expect(c.refreshToken != b.refreshToken)
    }

    @Test(arguments: StoreKind.available) func reuseAfterTheGraceWindowRevokesTheWholeSession(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let first = try await h.login()
        let second = try await h.service.refresh(.refreshToken(first.refreshToken), dialect: .enduser)
        h.clock.advance(by: 11)
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.refresh(.refreshToken(first.refreshToken), dialect: .enduser)
        }
        // Every token of the session is dead now: the successor, and the access tokens.
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.refresh(.refreshToken(second.refreshToken), dialect: .enduser)
        }
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.authenticate(accessToken: second.accessToken, dialect: .enduser)
        }
        let state = try #require(try await h.store.sessionState(id: first.session.id))
        #expect(state.session.revokeReason == "reuse")
        #expect(try await h.store.auditEvents(limit: 5).contains { $0.kind == "refresh-reuse" && $0.sessionID == first.session.id })
        // Another session of the same user is untouched.
        _ = try await h.login()
    }

    @Test(arguments: StoreKind.available) func expiredRefreshTokenIsRefused(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store) { $0.enduser.refresh = 100 }
        defer { h.cleanUp() }
        let pair = try await h.login()
        h.clock.advance(by: 100)
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        }
    }

    @Test(arguments: StoreKind.available) func expiredAccessTokenIsRefusedButRefreshStillWorks(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let pair = try await h.login()
        h.clock.advance(by: 7_199)
        _ = try await h.service.authenticate(accessToken: pair.accessToken, dialect: .enduser)
        h.clock.advance(by: 1)
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.authenticate(accessToken: pair.accessToken, dialect: .enduser)
        }
        _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
    }

    @Test(arguments: StoreKind.available) func absoluteSessionLifetimeCapsSlidingExpiry(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store) { $0.sessionAbsoluteLifetime = 1_000 }
        defer { h.cleanUp() }
        let pair = try await h.login()
        #expect(pair.refreshExpiresAt == h.clock.unixNow() + 1_000)
        h.clock.advance(by: 900)
        let next = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        #expect(next.refreshExpiresAt == pair.refreshExpiresAt)
        h.clock.advance(by: 100)
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.refresh(.refreshToken(next.refreshToken), dialect: .enduser)
        }
    }

    @Test(arguments: StoreKind.available) func aTokenRefreshesOnlyThroughItsOwnDialectAndIsNotConsumedOtherwise(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let pair = try await h.login(.kanfang)
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        }
        h.clock.advance(by: 60)  // past the grace window: had it been consumed, this would be reuse
        _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .kanfang)
    }

    @Test(arguments: StoreKind.available) func logoutRevokesTheSession(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let pair = try await h.login()
        try await h.service.logout(accessToken: pair.accessToken, dialect: .enduser)
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.authenticate(accessToken: pair.accessToken, dialect: .enduser)
        }
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        }
    }

    /// Absurd tokens, named by a short label so the test log stays readable.
    static let absurdTokens: [String: String] = [
        "empty": "", "one char": "x", "well-shaped unknown": String(repeating: "A", count: 43),
        "100k accented": String(repeating: "é", count: 100_000), "bearer garbage": "Bearer x", "three dots": "a.b.c",
        "forged JWT": "eyJhbGciOiJub25lIn0.eyJzaWQiOiJ4In0.",
    ]

    @Test(arguments: absurdTokens.keys.sorted())
    func unknownOrAbsurdTokensAreInvalid(label: String) async throws {
        let token = try #require(Self.absurdTokens[label])
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.refresh(.refreshToken(token), dialect: .enduser)
        }
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.authenticate(accessToken: token, dialect: .enduser)
        }
    }

    /// 16 refreshes of one token at the same instant: 16 successes, one successor.
    @Test(arguments: StoreKind.available) func sixteenConcurrentRefreshesYieldOneSuccessor(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        for _ in 0..<5 {
            let pair = try await h.login()
            let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<16 {
                    group.addTask { try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser).refreshToken }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(tokens.count == 16)
            #expect(Set(tokens).count == 1)
            let rows = try await h.probe.integer("SELECT count(*) FROM refresh_tokens WHERE session_id = ?", [.text(pair.session.id)])
            #expect(rows == 2)
        }
    }

    /// Refreshes racing along a chain: never a fork, never a wrongly revoked session.
    @Test(arguments: StoreKind.available) func racingChainsNeverFork(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        var pair = try await h.login()
        for _ in 0..<20 {
            let current = pair.refreshToken
            let results = try await withThrowingTaskGroup(of: TokenPair.self) { group in
                for _ in 0..<4 { group.addTask { try await h.service.refresh(.refreshToken(current), dialect: .enduser) } }
                return try await group.reduce(into: [TokenPair]()) { $0.append($1) }
            }
            #expect(Set(results.map(\.refreshToken)).count == 1)
            pair = results[0]
        }
        let forks = try await h.probe.integer(
            "SELECT count(*) FROM (SELECT session_id FROM refresh_tokens WHERE rotated_at IS NULL GROUP BY session_id HAVING count(*) > 1) AS f")
        #expect(forks == 0)
        #expect(try await h.store.sessionState(id: pair.session.id)?.session.revokedAt == nil)
    }
}
