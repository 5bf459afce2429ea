import Dispatch
import Foundation
import GRDB
import SesameCore
import SesameSQLite
import SesameTestSupport
import Testing

/// Group commit of rotations (SQLite's ``RotationGroupCommit``), made deterministic: the writer connection is held busy while
/// rotations queue, so that releasing it runs them all in one transaction.
@Suite struct GroupCommitTests {
    /// Holds the store's writer connection until ``release()``.
    final class WriterHold: Sendable {
        let semaphore = DispatchSemaphore(value: 0)
        init(_ store: SQLiteStore) {
            store.pool.asyncWriteWithoutTransaction { [semaphore] _ in semaphore.wait() }
        }
        func release() { semaphore.signal() }
    }

    /// Waits (by yielding, never sleeping) until `count` rotations are queued.
    static func waitUntilQueued(_ count: Int, in store: SQLiteStore) async {
        while store.rotationStatistics.queued < count { await Task.yield() }
    }

    static func policy(_ h: TestHarness, presented token: String) -> RefreshPolicy {
        let successorHash = RandomToken.hash(h.service.deriver.successor(ofBinding: h.service.deriver.binding(of: token)))
        return RefreshPolicy(
            dialect: .enduser, clientID: nil, kind: .refreshToken, refreshLifetime: 2_592_000, grace: 10,
            successorHash: successorHash, now: h.clock.unixNow())
    }

    static func request(_ h: TestHarness, presented token: String, successorID: String = RandomToken.make(byteCount: 16)) -> RotationRequest {
        RotationRequest(
            token: RefreshTokenKey(token: token) ?? RefreshTokenKey(hash: RandomToken.hash(token)),
            successorHash: policy(h, presented: token).successorHash, successorID: successorID, successorIsLocated: false,
            now: h.clock.unixNow())
    }

    static func currentTokens(_ store: SQLiteStore, session: String) async throws -> [Data] {
        try await store.pool.read { db in
            try Data.fetchAll(db, sql: "SELECT token_hash FROM refresh_tokens WHERE session_id = ? AND rotated_at IS NULL", arguments: [session])
        }
    }

    @Test func concurrentRotationsOfDifferentSessionsShareOneCommitAndAllSucceed() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let sqlite = try #require(h.sqlite)
        var pairs: [TokenPair] = []
        for _ in 0..<24 { pairs.append(try await h.login()) }
        let before = sqlite.rotationStatistics
        let hold = WriterHold(sqlite)
        let successors = try await withThrowingTaskGroup(of: (Int, TokenPair).self) { group in
            for (i, pair) in pairs.enumerated() {
                group.addTask { (i, try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)) }
            }
            await Self.waitUntilQueued(pairs.count, in: sqlite)
            hold.release()
            return try await group.reduce(into: [Int: TokenPair]()) { $0[$1.0] = $1.1 }
        }
        let after = sqlite.rotationStatistics
        #expect(after.transactions - before.transactions == 1)
        #expect(after.rotations - before.rotations == pairs.count)
        for (i, pair) in pairs.enumerated() {
            let next = try #require(successors[i])
            #expect(next.session.id == pair.session.id)
            #expect(try await Self.currentTokens(sqlite, session: pair.session.id) == [Data(RandomToken.hash(next.refreshToken))])
            // The successor is live: it refreshes again, and its access token authenticates.
            #expect(try await h.service.authenticate(accessToken: next.accessToken, dialect: .enduser).session.id == pair.session.id)
            _ = try await h.service.refresh(.refreshToken(next.refreshToken), dialect: .enduser)
        }
    }

    @Test func aFailingAndARejectedRotationInTheBatchLeaveTheOthersIntact() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let sqlite = try #require(h.sqlite)
        var pairs: [TokenPair] = []
        for _ in 0..<6 { pairs.append(try await h.login()) }
        // An id already taken in rotation 1's session (its presented token's): inserting the
        // successor breaks the primary key (session_id, id) after the UPDATE ran.
        let failingSession = pairs[1].session.id
        let takenID = try #require(
            try await sqlite.pool.read { db in
                try String.fetchOne(db, sql: "SELECT id FROM refresh_tokens WHERE session_id = ?", arguments: [failingSession])
            })
        let before = sqlite.rotationStatistics
        let hold = WriterHold(sqlite)
        let results = await withTaskGroup(of: (Int, Result<RotationResult, any Error>).self) { group in
            for (i, pair) in pairs.enumerated() {
                let request = Self.request(h, presented: pair.refreshToken, successorID: i == 1 ? takenID : RandomToken.make(byteCount: 16))
                let policy = Self.policy(h, presented: pair.refreshToken)
                group.addTask {
                    do {
                        return (i, .success(try await h.store.rotate(request) { input in i == 3 ? .reject(reason: "test") : policy.decide(input) }))
                    } catch {
                        return (i, .failure(error))
                    }
                }
                // Queue order is submission order: rotation 1 fails between 0 and 2.
                await Self.waitUntilQueued(i + 1, in: sqlite)
            }
            hold.release()
            return await group.reduce(into: [Int: Result<RotationResult, any Error>]()) { $0[$1.0] = $1.1 }
        }
        #expect(sqlite.rotationStatistics.transactions - before.transactions == 1)
        for (i, pair) in pairs.enumerated() {
            let current = try await Self.currentTokens(sqlite, session: pair.session.id)
            let result = try #require(results[i])
            switch (i, result) {
            case (1, .failure(let error)):
                #expect((error as? DatabaseError)?.resultCode == .SQLITE_CONSTRAINT)
                // Its savepoint was rolled back: the presented token is still the current one.
                #expect(current == [Data(RandomToken.hash(pair.refreshToken))])
            case (3, .success(.rejected(let reason))):
                #expect(reason == "test")
                #expect(current == [Data(RandomToken.hash(pair.refreshToken))])
            case (_, .success(.rotated(let state, let successor))):
                #expect(i != 1 && i != 3)
                #expect(state.session.id == pair.session.id)
                #expect(current == [Data(successor.tokenHash)])
            default:
                Issue.record("rotation \(i): unexpected \(result)")
            }
        }
        // The failed and the rejected token still rotate normally afterwards.
        _ = try await h.service.refresh(.refreshToken(pairs[1].refreshToken), dialect: .enduser)
        _ = try await h.service.refresh(.refreshToken(pairs[3].refreshToken), dialect: .enduser)
    }

    @Test func oneTokenPresentedManyTimesInOneBatchRotatesOnceAndReplaysTheRest() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let sqlite = try #require(h.sqlite)
        let pair = try await h.login()
        let before = sqlite.rotationStatistics
        let hold = WriterHold(sqlite)
        let results = try await withThrowingTaskGroup(of: RotationResult.self) { group in
            for _ in 0..<12 {
                let request = Self.request(h, presented: pair.refreshToken)
                let policy = Self.policy(h, presented: pair.refreshToken)
                group.addTask { try await h.store.rotate(request) { policy.decide($0) } }
            }
            await Self.waitUntilQueued(12, in: sqlite)
            hold.release()
            return try await group.reduce(into: [RotationResult]()) { $0.append($1) }
        }
        #expect(sqlite.rotationStatistics.transactions - before.transactions == 1)
        var rotated: [RefreshTokenRecord] = []
        var replayed: [RefreshTokenRecord] = []
        for result in results {
            switch result {
            case .rotated(_, let successor): rotated.append(successor)
            case .replayed(_, let successor): replayed.append(successor)
            default: Issue.record("unexpected \(result)")
            }
        }
        #expect(rotated.count == 1)
        #expect(replayed.count == 11)
        #expect(Set((rotated + replayed).map(\.id)).count == 1)
        let rows = try await sqlite.pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM refresh_tokens WHERE session_id = ?", arguments: [pair.session.id])
        }
        #expect(rows == 2)
        #expect(try await Self.currentTokens(sqlite, session: pair.session.id) == [Data(try #require(rotated.first).tokenHash)])
    }

    @Test func everyRotationOfABatchSurvivesReopeningTheStore() async throws {
        let directory: URL
        let path: String
        var successors: [TokenPair] = []
        var configuration = SesameConfiguration()
        configuration.bcryptCost = 4
        do {
            let h = try await TestHarness.make()
            let sqlite = try #require(h.sqlite)
            directory = h.directory
            path = sqlite.path
            var pairs: [TokenPair] = []
            for _ in 0..<16 { pairs.append(try await h.login()) }
            let hold = WriterHold(sqlite)
            successors = try await withThrowingTaskGroup(of: TokenPair.self) { group in
                for pair in pairs {
                    group.addTask { try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser) }
                }
                await Self.waitUntilQueued(pairs.count, in: sqlite)
                hold.release()
                return try await group.reduce(into: [TokenPair]()) { $0.append($1) }
            }
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.integrityCheck() == "ok")
        let h = try await TestHarness.make(directory: directory, store: reopened, configuration: configuration, clock: ManualClock())
        for pair in successors {
            #expect(try await Self.currentTokens(reopened, session: pair.session.id) == [Data(RandomToken.hash(pair.refreshToken))])
            _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        }
    }
}
