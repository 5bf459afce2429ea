import GRDB
import Synchronization

/// Copies committed WAL frames into the database file on a connection and thread of its own,
/// so that the writer's checkpoints find little left to copy.
///
/// A checkpoint copies every page written since the last one into the database file and syncs
/// it. Run by the writer (SQLite's automatic checkpoint, after a commit), the next batch of
/// rotations waits for all of it: with 4,000 pages between checkpoints that wait was the whole
/// tail of refresh latency. This checkpointer runs a PASSIVE checkpoint at most every
/// ``interval``, nudged by the writer after its commits, and never waits for a lock: a PASSIVE
/// checkpoint copies what no reader still needs and gives up on the rest.
///
/// It cannot replace the writer's own checkpoint. SQLite starts the WAL over only when a
/// checkpoint has copied every frame, and under continuous writes new frames arrive during each
/// background run; the writer's automatic checkpoint, which runs between two of its own
/// transactions, is what completes. It now copies only the frames written since this
/// checkpointer's last run.
///
/// Nothing runs while nothing is written: an idle store costs no wake-ups.
final class WALCheckpointer: Sendable {
    private let connection: DatabaseQueue
    private let state = Mutex(State())
    /// The least time between the starts of two background checkpoints.
    let interval: Duration

    private struct State {
        var scheduled = false
        var lastStart: ContinuousClock.Instant?
        var closed = false
        var runs = 0
    }

    /// Opens the checkpointer's connection to the database at `path` (which must exist and be
    /// in WAL mode: the store's pool opened and migrated it).
    init(path: String, interval: Duration = .milliseconds(10)) throws {
        var configuration = Configuration()
        configuration.label = "sesame.sqlite.checkpointer"
        // A checkpoint never waits: PASSIVE gives up on what is locked, and the next nudge
        // tries again.
        configuration.busyMode = .immediateError
        connection = try DatabaseQueue(path: path, configuration: configuration)
        self.interval = interval
    }

    /// Called by the writer after a commit: schedules a checkpoint unless one is scheduled
    /// already or the last one started less than ``interval`` ago.
    func nudge() {
        let now = ContinuousClock.now
        let schedule = state.withLock { state in
            guard !state.closed, !state.scheduled, state.lastStart.map({ now - $0 >= interval }) ?? true else { return false }
            state.scheduled = true
            return true
        }
        guard schedule else { return }
        connection.asyncWriteWithoutTransaction { db in
            let run = self.state.withLock { state in
                state.scheduled = false
                state.lastStart = .now
                return !state.closed
            }
            guard run else { return }
            // A failure (the store closing, an I/O error) leaves the writer's own checkpoint
            // to do the work.
            _ = try? db.checkpoint(.passive)
            self.state.withLock { $0.runs += 1 }
        }
    }

    /// Background checkpoints finished so far (for tests).
    var runs: Int { state.withLock { $0.runs } }

    /// Stops scheduling and closes the connection, after any checkpoint already running.
    func close() {
        state.withLock { $0.closed = true }
        try? connection.close()
    }
}
