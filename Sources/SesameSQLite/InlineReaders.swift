import GRDB
import Synchronization

/// A few read-only connections that run a short, single-statement read **on the calling
/// thread**.
///
/// `DatabasePool`'s async `read` hands the work to a reader's dispatch queue and resumes the
/// caller afterwards: two thread wake-ups around a read that itself takes a few microseconds.
/// On `userInfo`, where the session lookup is the only store access, those wake-ups cost more
/// CPU than the lookup. The hot point reads (a session's state, a refresh token, a domain) use
/// these connections instead.
///
/// Never blocks: ``read(_:)`` takes an idle connection or answers ``InlineRead/busy`` at once,
/// and the caller then reads through the pool. A read that waited here for a connection would hold a
/// cooperative thread, and the pool's async reads need those threads to give their readers
/// back.
///
/// Only single statements run here, outside an explicit transaction: SQLite runs each
/// statement in its own read transaction, one WAL snapshot, so the row it returns is
/// consistent, and GRDB resets the statement when its cursor goes, so an idle connection holds
/// no snapshot (which would stop checkpoints). The connections are opened read-only
/// (`SQLITE_OPEN_READONLY`).
final class InlineReaders: Sendable {
    private let idle: Mutex<[DatabaseQueue]>

    /// Opens `count` read-only connections to the database at `path` (which must exist and be
    /// in WAL mode: the store's pool opened and migrated it).
    init(path: String, count: Int) throws {
        var configuration = Configuration()
        configuration.readonly = true
        // Statement arguments (hashes) never appear in errors or logs.
        configuration.publicStatementArguments = false
        configuration.busyMode = .timeout(10)
        configuration.label = "sesame.inline-reader"
        var queues: [DatabaseQueue] = []
        for _ in 0..<count {
            queues.append(try DatabaseQueue(path: path, configuration: configuration))
        }
        idle = Mutex(queues)
    }

    /// Closes every connection (they must be idle). The store calls it before its pool closes:
    /// SQLite copies the WAL into the database file and removes it when the last connection to
    /// close can write, and these cannot.
    func close() {
        idle.withLock { queues in
            for queue in queues { try? queue.close() }
            queues.removeAll()
        }
    }

    /// Runs `body` on an idle connection on this thread; `.busy` when every connection is in
    /// use (the caller falls back to the pool).
    func read<T>(_ body: (Database) throws -> T) throws -> InlineRead<T> {
        guard let queue = idle.withLock({ $0.popLast() }) else { return .busy }
        defer { idle.withLock { $0.append(queue) } }
        return .done(try queue.inDatabase(body))
    }
}

/// The outcome of ``InlineReaders/read(_:)``.
enum InlineRead<T> {
    case done(T)
    /// Every inline connection was busy; nothing ran.
    case busy
}
