import GRDB
import SesameCore
import Synchronization

/// Group commit for refresh-token rotations: concurrent rotations share one write transaction,
/// and so one fsync, instead of paying one each.
///
/// A rotation is queued, and a drain is scheduled on the pool's single writer connection
/// unless one is already pending. A drain takes every queued rotation (at most
/// ``maximumBatch``), opens one IMMEDIATE transaction, applies each rotation inside its own
/// SAVEPOINT — so that one that throws is rolled back alone and the others still commit —,
/// commits once, and only then resumes each waiter with its own result. While a commit is
/// being fsync'd, new rotations queue up for the next drain: the busier the store, the larger
/// the batches, with no timer and no added latency when it is idle.
///
/// Invariants:
/// - **No result before durability.** Every waiter is resumed after the COMMIT of the
///   transaction its rotation ran in returned (`synchronous=FULL`: the WAL is fsync'd), or with
///   that transaction's error when the commit failed — then nothing of the batch was written.
/// - **Rotations of a batch run in queue order, one after another, on one connection**, each
///   seeing what the earlier ones wrote: two rotations of one token in a batch behave exactly
///   as two serial transactions (the second sees the token rotated and replays or rejects).
/// - Other writes (logins, sweeps, the CLI) are not starved: each drain is one job in the
///   writer's queue, and the next drain is queued behind whatever arrived meanwhile.
final class RotationGroupCommit: Sendable {
    /// One rotation waiting for its batch.
    struct Pending: Sendable {
        /// Applies the rotation inside the open transaction.
        var apply: @Sendable (Database) throws -> RotationResult
        var continuation: CheckedContinuation<RotationResult, any Error>
    }

    struct State {
        var queue: [Pending] = []
        /// A drain is scheduled or running; new rotations only join the queue.
        var draining = false
        var statistics = GroupCommitStatistics()
    }

    /// What the group commit did so far.
    var statistics: GroupCommitStatistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.queued = state.queue.count
            return statistics
        }
    }

    /// The most rotations one transaction applies.
    let maximumBatch: Int
    private let pool: DatabasePool
    private let state = Mutex(State())
    /// Runs on the writer after each batch's commit, before its waiters resume.
    private let afterCommit: @Sendable () -> Void

    /// - Parameter afterCommit: runs on the writer after each batch's commit (the store nudges
    ///   its ``WALCheckpointer`` there); it must return at once.
    init(pool: DatabasePool, maximumBatch: Int = 256, afterCommit: @escaping @Sendable () -> Void = {}) {
        self.pool = pool
        self.maximumBatch = maximumBatch
        self.afterCommit = afterCommit
    }

    /// Queues a rotation — `apply` runs it inside the batch's transaction
    /// (``SQLiteStore/applyRotation(_:_:decide:)``) — and returns its result once that
    /// transaction is committed.
    func rotate(_ apply: @escaping @Sendable (Database) throws -> RotationResult) async throws -> RotationResult {
        try await withCheckedThrowingContinuation { continuation in
            let startDrain = state.withLock { state in
                state.queue.append(Pending(apply: apply, continuation: continuation))
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if startDrain { scheduleDrain() }
        }
    }

    private func scheduleDrain() {
        pool.asyncWriteWithoutTransaction { db in self.drain(db) }
    }

    /// Runs on the writer connection: one batch, one commit, then every waiter of the batch.
    private func drain(_ db: Database) {
        let batch = state.withLock { state in
            let count = min(state.queue.count, maximumBatch)
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return batch
        }
        var results: [Result<RotationResult, any Error>] = []
        results.reserveCapacity(batch.count)
        do {
            try db.inTransaction(.immediate) {
                for pending in batch {
                    var result: RotationResult = .notFound
                    do {
                        try db.inSavepoint {
                            result = try pending.apply(db)
                            return .commit
                        }
                        results.append(.success(result))
                    } catch {
                        // Rolled back to its savepoint: this rotation wrote nothing.
                        results.append(.failure(error))
                        // Some errors (I/O, full disk) abort the whole transaction: then the
                        // batch fails as one.
                        guard db.isInsideTransaction else { throw error }
                    }
                }
                return .commit
            }
        } catch {
            // The transaction did not commit: none of the batch is durable, whatever each
            // rotation's own outcome was.
            results = batch.map { _ in .failure(error) }
        }
        afterCommit()
        for (pending, result) in zip(batch, results) {
            pending.continuation.resume(with: result)
        }
        let more = state.withLock { state in
            state.statistics.transactions += 1
            state.statistics.rotations += batch.count
            state.statistics.largestBatch = max(state.statistics.largestBatch, batch.count)
            if state.queue.isEmpty {
                state.draining = false
                return false
            }
            return true
        }
        if more { scheduleDrain() }
    }
}

/// Counters of ``SQLiteStore``'s rotation group commit, for tests and benchmarks.
public struct GroupCommitStatistics: Sendable, Equatable {
    /// Write transactions run for rotations (committed or not).
    public var transactions = 0
    /// Rotations they applied.
    public var rotations = 0
    /// The most rotations one transaction applied.
    public var largestBatch = 0
    /// Rotations waiting for the next transaction now.
    public var queued = 0

    public init() {}
}
