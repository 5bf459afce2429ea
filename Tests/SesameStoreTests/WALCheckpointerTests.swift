import Foundation
import GRDB
import SesameCore
import SesameSQLite
import SesameTestSupport
import Testing

/// The SQLite store's background checkpointer: rotations nudge it, it runs at most once per
/// interval, and what it copies is in the database file itself.
@Suite struct WALCheckpointerTests {
    /// Waits (bounded) until the store's background checkpoints reach `count`.
    static func waitForCheckpoints(_ count: Int, in store: SQLiteStore) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while store.backgroundCheckpoints < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
    }

    @Test func rotationsNudgeItAtMostOncePerInterval() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let sqlite = try #require(h.sqlite)
        var pair = try await h.login()
        try await Task.sleep(for: .milliseconds(30))
        // A login is not a rotation, and an idle store checkpoints nothing.
        #expect(sqlite.backgroundCheckpoints == 0)
        let start = ContinuousClock.now
        for _ in 0..<40 { pair = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser) }
        let elapsed = ContinuousClock.now - start
        try await Self.waitForCheckpoints(1, in: sqlite)
        let runs = sqlite.backgroundCheckpoints
        #expect(runs >= 1)
        // Runs start at least 10 ms apart; one more may have started since `elapsed` was taken.
        #expect(runs <= Int(elapsed / .milliseconds(10)) + 2)
    }

    /// With the writer's own checkpoints off, the rotations reach the database file (a copy of
    /// it without its WAL has them) only through the background checkpointer.
    @Test func whatItCopiesIsInTheDatabaseFile() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let sqlite = try #require(h.sqlite)
        try await sqlite.pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        var pair = try await h.login()
        for _ in 0..<5 { pair = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser) }
        // The last rotation comes more than an interval after the others, so it nudges a run
        // that starts after its commit.
        try await Task.sleep(for: .milliseconds(30))
        let before = sqlite.backgroundCheckpoints
        pair = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        try await Self.waitForCheckpoints(before + 1, in: sqlite)
        #expect(sqlite.backgroundCheckpoints > before)

        let copy = h.directory.appendingPathComponent("copy.sqlite").path
        try FileManager.default.copyItem(atPath: h.directory.appendingPathComponent("sesame.sqlite").path, toPath: copy)
        let file = try DatabaseQueue(path: copy)
        let session = pair.session.id
        let tokens = try await file.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM refresh_tokens WHERE session_id = ?", arguments: [session])
        }
        #expect(tokens == 7)
        try file.close()
    }
}
