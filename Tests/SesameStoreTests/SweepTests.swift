import GRDB
import SesameCore
@testable import SesameSQLite
import SesameServer
import SesameTestSupport
import Testing

@Suite struct SweepTests {
    func count(_ h: TestHarness, _ table: String) async throws -> Int {
        try await h.probe.integer("SELECT count(*) FROM \(table)") ?? -1
    }

    /// Refresh lifetime 1,000 s, retention 100 s, lockout 1,200 s.
    @Test(arguments: StoreKind.available) func sweepingDeletesOnlyWhatCanNoLongerMatter(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store) { $0.enduser.refresh = 1_000 }
        defer { h.cleanUp() }
        let sweeper = StoreSweeper(service: h.service, retention: 100)

        // t = 0
        let expiring = try await h.login()                       // expires at 1,000
        let loggedOut = try await h.login()                      // revoked at 0
        try await h.service.logout(accessToken: loggedOut.accessToken, dialect: .enduser)
        _ = try? await h.service.login(domain: h.domain, identifier: .email("nobody@example.com"), password: "whatever1", dialect: .enduser)
        #expect(try await count(h, "login_failures") == 1)

        h.clock.advance(by: 50)  // nothing ended more than 100 s ago
        #expect(try await sweeper.sweepOnce() == SweepReport())

        h.clock.advance(by: 1_100)  // t = 1,150
        let live = try await h.login()                           // expires at 2,150
        let rotated = try await h.service.refresh(.refreshToken(live.refreshToken), dialect: .enduser)
        let report = try await sweeper.sweepOnce()
        #expect(report.sessions == 2)        // the expired one and the logged-out one, with their tokens
        #expect(report.loginFailures == 0)   // touched 1,150 s ago: under the lockout time
        #expect(try await count(h, "sessions") == 1)
        #expect(try await h.store.sessionState(id: expiring.session.id) == nil)
        #expect(try await h.store.sessionState(id: loggedOut.session.id) == nil)
        // The live session is whole, its used token kept for reuse detection.
        #expect(try await count(h, "refresh_tokens") == 2)

        h.clock.advance(by: 150)  // t = 1,300
        #expect(try await sweeper.sweepOnce() == SweepReport(loginFailures: 1))
        _ = try await h.service.refresh(.refreshToken(rotated.refreshToken), dialect: .enduser)
    }

    @Test(arguments: StoreKind.available) func usedTokensAreKeptUntilTheyExpireSoReuseIsStillDetected(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let pair = try await h.login()
        _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        h.clock.advance(by: 200_000)
        _ = try await StoreSweeper(service: h.service, retention: 100).sweepOnce()
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        }
        #expect(try await h.store.sessionState(id: pair.session.id)?.session.revokeReason == "reuse")
    }

    @Test(arguments: StoreKind.available) func frozenIdentifiersStayFrozenThroughASweep(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        for _ in 0..<5 {
            _ = try? await h.service.login(domain: h.domain, identifier: .email(h.email), password: "wrong-pass", dialect: .enduser)
        }
        h.clock.advance(by: 1_199)
        _ = try await StoreSweeper(service: h.service, retention: 0).sweepOnce()
        await #expect(throws: SesameError(.frozen, "")) { _ = try await h.login() }
    }

    /// Expired used tokens of live sessions, more than two batches of them across three
    /// sessions: the sweep pages through the tokens in key order, crossing from one session to
    /// the next, deletes every expired one and keeps every other.
    @Test(arguments: StoreKind.available) func expiredTokensOfLiveSessionsGoAcrossBatches(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store) { $0.enduser.refresh = 10 }
        defer { h.cleanUp() }
        var current: [TokenPair] = []
        for _ in 0..<3 { current.append(try await h.login()) }
        let rounds = (SQLiteStore.sweepBatch * 2 + 100) / 3 + 1
        for _ in 0..<rounds {
            h.clock.advance(by: 1)
            for i in current.indices {
                current[i] = try await h.service.refresh(.refreshToken(current[i].refreshToken), dialect: .enduser)
            }
        }
        let now = h.clock.unixNow()
        let expired = try #require(try await h.probe.integer("SELECT count(*) FROM refresh_tokens WHERE expires_at < ?", [.integer(now)]))
        let total = try await count(h, "refresh_tokens")
        #expect(expired > SQLiteStore.sweepBatch * 2)
        let report = try await StoreSweeper(service: h.service, retention: 0).sweepOnce()
        #expect(report.refreshTokens == expired)
        #expect(report.sessions == 0)
        #expect(try await count(h, "refresh_tokens") == total - expired)
        #expect(try await h.probe.integer("SELECT count(*) FROM refresh_tokens WHERE expires_at < ?", [.integer(now)]) == 0)
        // Every session still refreshes from its current token.
        for pair in current { _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser) }
    }

    /// The SQLite sweep deletes what its search found, checking each row again: named a live
    /// session or an unexpired token (as a search that ran before a change could), it keeps it.
    @Test func theSQLiteSweepRechecksEachRowItDeletes() async throws {
        let h = try await TestHarness.make { $0.enduser.refresh = 10 }
        defer { h.cleanUp() }
        let sqlite = try #require(h.sqlite)
        let ended = try await h.login()      // expires at 10
        h.clock.advance(by: 100)
        let live = try await h.login()       // expires at 110
        let now = h.clock.unixNow()
        #expect(try await sqlite.deleteSessions([live.session.id, ended.session.id], endedBefore: now) == 1)
        #expect(try await h.store.sessionState(id: ended.session.id) == nil)
        #expect(try await h.store.sessionState(id: live.session.id) != nil)
        let liveToken = try #require(try await h.store.refreshToken(RefreshTokenKey(token: live.refreshToken)!))
        #expect(try await sqlite.deleteTokens([(live.session.id, liveToken.id)], expiredBefore: now) == 0)
        _ = try await h.service.refresh(.refreshToken(live.refreshToken), dialect: .enduser)
    }

    @Test(arguments: StoreKind.available) func sweepsInBatches(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store) { $0.enduser.refresh = 10 }
        defer { h.cleanUp() }
        for _ in 0..<(SQLiteStore.sweepBatch * 2 + 7) { _ = try await h.login() }
        h.clock.advance(by: 100)
        let report = try await StoreSweeper(service: h.service, retention: 0).sweepOnce()
        #expect(report.sessions == SQLiteStore.sweepBatch * 2 + 7)
        #expect(try await count(h, "refresh_tokens") == 0)
    }
}
