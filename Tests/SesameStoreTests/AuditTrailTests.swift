import Foundation
import SesameCore
import SesameSQLite
import SesameServer
import SesameTestSupport
import Testing

/// What the audit trail records, how it is queried and how long it is kept.
@Suite struct AuditTrailTests {
    @Test(arguments: StoreKind.available)
    func recordsLoginsFailuresLockoutsRefreshesReuseRevocationsAndAdminActions(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store) { $0.lockoutThreshold = 2 }
        defer { h.cleanUp() }
        let pair = try await h.login()
        let next = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)  // replay: no new event
        h.clock.advance(by: 60)
        _ = try? await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)  // reuse
        for _ in 0..<2 {
            _ = try? await h.service.login(domain: h.domain, identifier: .username(h.username), password: "wrong-pass", dialect: .kanfang)
        }
        let other = try await h.login(.kanfang)
        try await h.service.logout(accessToken: other.accessToken, dialect: .kanfang)
        let admin = Administration(store: h.store, clock: h.clock, hasher: h.service.hasher)
        try await admin.disableUser(uid: h.user.uid)

        let all = try await h.store.auditEvents(limit: 100)
        let kinds = all.map(\.kind)
        for kind in ["login", "refresh", "refresh-reuse", "login-failed", "lockout", "session-revoked", "user-disabled", "user-added", "domain-added"] {
            #expect(kinds.contains(kind), "\(kind) missing")
        }
        let refreshes = try await h.store.auditEvents(AuditQuery(kind: "refresh"))
        #expect(refreshes.count == 1 && refreshes[0].sessionID == next.session.id && refreshes[0].uid == h.user.uid && refreshes[0].detail == "enduser")
        // Filters combine; newest first; limit holds.
        let mine = try await h.store.auditEvents(AuditQuery(limit: 2, uid: h.user.uid))
        #expect(mine.count == 2 && mine.allSatisfy { $0.uid == h.user.uid } && mine[0].kind == "user-disabled")
        #expect(try await h.store.auditEvents(AuditQuery(uid: h.user.uid, kind: "lockout")).isEmpty)  // lockouts name no uid
        // Never a token or password in an event.
        for event in all {
            for secret in [pair.refreshToken, next.refreshToken, pair.accessToken, h.password, "wrong-pass"] {
                #expect(!event.detail.contains(secret))
            }
        }
    }

    @Test(arguments: StoreKind.available) func theSweeperTrimsEventsPastTheirRetention(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let start = h.clock.unixNow()
        for i in 0..<1_200 {
            try await h.store.recordAudit(AuditEvent(at: start + Int64(i), kind: "test"))
        }
        h.clock.advance(by: 2_000)
        let keepAll = StoreSweeper(service: h.service, retention: 86_400, auditRetention: 0)
        #expect(try await keepAll.sweepOnce().auditEvents == 0)
        // Keep the last 1000 seconds: events at start ... start+999 go (in batches of 500).
        let sweeper = StoreSweeper(service: h.service, retention: 86_400, auditRetention: 1_000)
        let report = try await sweeper.sweepOnce()
        #expect(report.auditEvents >= 1_000)
        let left = try await h.store.auditEvents(AuditQuery(limit: 10_000, kind: "test"))
        #expect(left.count == 200 && left.allSatisfy { $0.at >= h.clock.unixNow() - 1_000 })
    }
}
