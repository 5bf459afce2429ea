import Dispatch
import Foundation
import SesameCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Makes committed transactions durable by syncing the WAL file itself, off the writer thread,
/// so that the writer applies the next batch while the disk flushes the previous one.
///
/// The store's writer commits with `synchronous=NORMAL`: a COMMIT writes its frames to the WAL
/// (the operating system's page cache) and returns without waiting for the disk. Nothing is
/// acknowledged yet. Every write then asks for durability (``synchronize()`` or
/// ``whenDurable(_:)``), and is answered only after an `fdatasync` of the WAL that *started
/// after its commit returned*, so its frames — the commit frame included — are on disk: the
/// guarantee `synchronous=FULL` gives, with one difference that makes it faster. FULL syncs
/// inside the COMMIT, on the single writer connection, which idles for the whole flush. Here
/// the flush runs on its own queue, and every transaction committed while one flush runs
/// shares the next one (group commit across batches, as PostgreSQL's WAL flush does).
///
/// Invariants:
/// - **No acknowledgement before the disk.** A waiter is resumed after an `fdatasync` that
///   began after the waiter registered, and it registers after its commit returned.
/// - **A failed flush poisons the store.** After a failed `fdatasync` the kernel may have
///   dropped the dirty pages it could not write, and a later flush can report success without
///   them. So the first failure fails every waiter then and every later write, until the
///   process restarts (`/health` reports it through ``SQLiteStore/ping()``), as PostgreSQL
///   does.
/// - SQLite keeps its own syncs with NORMAL: the WAL before and the database after each
///   checkpoint, and the WAL header when the log restarts. A WAL file that is new is made
///   durable in its directory too (its directory is synced once per opened descriptor).
final class WALSynchronizer: Sendable {
    private struct State {
        var waiting: [@Sendable (Result<Void, any Error>) -> Void] = []
        /// A flush loop is scheduled or running.
        var flushing = false
        /// Set by the first failed flush; every later request fails with it.
        var failure: SesameError?
        var descriptor: Int32 = -1
        var inode: ino_t = 0
        var statistics = WALFlushStatistics()
    }

    /// The WAL file (`<database>-wal`).
    let walPath: String
    private let queue = DispatchQueue(label: "sesame.sqlite.wal-sync", qos: .userInitiated)
    private let state = Mutex(State())

    init(databasePath: String) {
        self.walPath = databasePath + "-wal"
    }

    deinit {
        state.withLock { state in
            if state.descriptor >= 0 { close(state.descriptor) }
        }
    }

    var statistics: WALFlushStatistics { state.withLock { $0.statistics } }

    /// Whether a flush failed (the store accepts no more writes).
    var failure: SesameError? { state.withLock { $0.failure } }

    /// Blocks until everything committed before the call is on disk (for the store's opening,
    /// which is synchronous).
    func synchronizeBlocking() throws {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Void, any Error>>(.success(()))
        whenDurable { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        try outcome.withLock { $0 }.get()
    }

    /// Returns once everything committed before the call is on disk.
    func synchronize() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            whenDurable { continuation.resume(with: $0) }
        }
    }

    /// Calls `completion` once everything committed before the call is on disk, or with the
    /// error that prevented it. `completion` runs on the synchronizer's queue: it must be short.
    func whenDurable(_ completion: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        let decision: (start: Bool, failure: SesameError?) = state.withLock { state in
            if let failure = state.failure { return (false, failure) }
            state.waiting.append(completion)
            guard !state.flushing else { return (false, nil) }
            state.flushing = true
            return (true, nil)
        }
        if let failure = decision.failure {
            completion(.failure(failure))
        } else if decision.start {
            queue.async { self.flushLoop() }
        }
    }

    /// Flushes while anyone waits: each round takes every waiter registered so far, then
    /// syncs, then releases them; waiters arriving during a flush wait for the next round.
    private func flushLoop() {
        while true {
            let round: (waiters: [@Sendable (Result<Void, any Error>) -> Void], descriptor: Int32)? = state.withLock { state in
                guard !state.waiting.isEmpty else {
                    state.flushing = false
                    return nil
                }
                let waiters = state.waiting
                state.waiting.removeAll(keepingCapacity: true)
                return (waiters, state.descriptor)
            }
            guard let round else { return }
            let result = flush(descriptor: round.descriptor)
            let outcome: Result<Void, any Error> = state.withLock { state in
                switch result {
                case .success(let descriptor):
                    state.statistics.flushes += 1
                    state.statistics.released += round.waiters.count
                    if descriptor.fd != state.descriptor {
                        if state.descriptor >= 0 { close(state.descriptor) }
                        state.descriptor = descriptor.fd
                        state.inode = descriptor.inode
                    }
                    return .success(())
                case .failure(let error):
                    state.failure = error
                    let later = state.waiting
                    state.waiting.removeAll()
                    // Everyone queued behind a failed flush fails too: none of it is durable.
                    for waiter in later { waiter(.failure(error)) }
                    return .failure(error)
                }
            }
            for waiter in round.waiters { waiter(outcome) }
            if case .failure = outcome { return }
        }
    }

    private struct Descriptor {
        var fd: Int32
        var inode: ino_t
    }

    /// `fdatasync` of the WAL through `descriptor`, reopening it first when it is not open yet
    /// or the path now names another file (the log was deleted and created anew).
    private func flush(descriptor current: Int32) -> Result<Descriptor, SesameError> {
        var descriptor = Descriptor(fd: current, inode: state.withLock { $0.inode })
        var onDisk = stat()
        guard stat(walPath, &onDisk) == 0 else {
            return .failure(Self.error("the write-ahead log is missing", errno: errno))
        }
        if descriptor.fd < 0 || onDisk.st_ino != descriptor.inode {
            let fd = open(walPath, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return .failure(Self.error("cannot open the write-ahead log", errno: errno)) }
            // A log created since the last sync must be durable in its directory too.
            let directory = (walPath as NSString).deletingLastPathComponent
            let directoryFD = open(directory.isEmpty ? "." : directory, O_RDONLY | O_CLOEXEC)
            if directoryFD >= 0 {
                let synced = fsync(directoryFD)
                let savedErrno = errno
                close(directoryFD)
                if synced != 0 {
                    close(fd)
                    return .failure(Self.error("cannot sync the store's directory", errno: savedErrno))
                }
            }
            descriptor = Descriptor(fd: fd, inode: onDisk.st_ino)
        }
        var synced: Int32
        repeat { synced = fdatasync(descriptor.fd) } while synced != 0 && errno == EINTR
        guard synced == 0 else {
            let failure = Self.error("cannot sync the write-ahead log to disk", errno: errno)
            if descriptor.fd != current { close(descriptor.fd) }
            return .failure(failure)
        }
        return .success(descriptor)
    }

    private static func error(_ message: String, errno code: Int32) -> SesameError {
        SesameError(.unavailable, "\(message) (\(String(cString: strerror(code)))); restart once the disk is sound")
    }
}

/// What ``SQLiteStore``'s WAL flushes did so far, for tests and benchmarks.
public struct WALFlushStatistics: Sendable, Equatable {
    /// `fdatasync` calls of the WAL made.
    public var flushes = 0
    /// Writes (a rotation batch counts as one) those flushes released.
    public var released = 0

    public init() {}
}
