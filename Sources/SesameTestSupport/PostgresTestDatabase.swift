import Foundation
import Synchronization
import Logging
import PostgresNIO
import SesameCore
import SesamePostgres

/// The PostgreSQL server the tests use, from `SESAME_TEST_POSTGRES_URL`
/// (`.ci/postgres-start` starts one and prints the variable).
///
/// Every test gets its own schema (`?schema=sesame_test_<time>_<random>`), so tests run in
/// parallel on one database without seeing each other's rows. Schemas of earlier runs older
/// than an hour are dropped when the first store of a run opens.
public enum PostgresTestDatabase {
    /// The server's URL, or `nil` when PostgreSQL tests cannot run here.
    public static var url: String? {
        guard let value = ProcessInfo.processInfo.environment["SESAME_TEST_POSTGRES_URL"], !value.isEmpty else { return nil }
        return value
    }

    /// Why PostgreSQL tests are skipped, for the log.
    public static let skipReason: String =
        "SESAME_TEST_POSTGRES_URL is not set, so the PostgreSQL store tests did not run; run `eval \"$(.ci/postgres-start)\"` first (CI always does)"

    /// The server URL with a new, unique schema; the schema is created when a store opens it.
    public static func freshSchemaURL() throws -> String {
        guard let base = url else { throw TestDatabaseUnavailable() }
        let schema = "sesame_test_\(Int(Date().timeIntervalSince1970))_\(UUID().uuidString.prefix(8).lowercased())"
        return base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
    }

    /// Opens a store on a fresh schema, its pool running until ``PostgresTestStore/close()``.
    public static func openStore(kek: KeyEncryptionKey? = nil) async throws -> PostgresTestStore {
        await openFixtures.acquire()
        return try await openStore(url: try freshSchemaURL(), kek: kek, holdingPermit: true)
    }

    /// Opens another store on the schema `text` names (a second process, or a restart),
    /// sealing secrets with `kek`.
    public static func openStore(url text: String, kek: KeyEncryptionKey? = nil) async throws -> PostgresTestStore {
        try await openStore(url: text, kek: kek, holdingPermit: false)
    }

    static func openStore(url text: String, kek: KeyEncryptionKey?, holdingPermit: Bool) async throws -> PostgresTestStore {
        var logger = Logger(label: "sesame-test-postgres")
        logger.logLevel = .critical
        let store = try PostgresStore(url: PostgresConnectionURL(parsing: text), poolSize: 4, kek: kek, logger: logger)
        let testStore = PostgresTestStore(store: store, url: text, holdingPermit: holdingPermit)
        do {
            try await store.prepare(waitingUpTo: .seconds(60))
        } catch {
            testStore.close()
            throw error
        }
        await janitor.dropStaleSchemas(using: store)
        return testStore
    }

    static let janitor = Janitor()

    /// At most this many fresh-schema PostgreSQL fixtures are open at once (a test's further
    /// stores on its own schema do not count, so no test waits on itself): Swift Testing runs every test
    /// case in parallel, and hundreds of pools connecting at the same instant make a loaded
    /// machine's connection set-up (and so the tests) time out.
    static let openFixtures = AsyncSemaphore(permits: 16)

    /// Drops the schemas of earlier runs, once per test process.
    actor Janitor {
        var done = false
        func dropStaleSchemas(using store: PostgresStore) async {
            guard !done else { return }
            done = true
            let cutoff = Int(Date().timeIntervalSince1970) - 3_600
            try? await store.withConnection { connection in
                let names = try await connection.query(
                    "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'sesame_test_%'", logger: Logger(label: "janitor")
                ).collect().map { try $0.makeRandomAccess()[0].decode(String.self) }
                for name in names {
                    let parts = name.split(separator: "_")
                    guard parts.count == 4, let created = Int(parts[2]), created < cutoff else { continue }
                    try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA \"\(name)\" CASCADE"), logger: Logger(label: "janitor"))
                }
            }
        }
    }
}

/// Thrown when a PostgreSQL test runs without a server configured.
public struct TestDatabaseUnavailable: Error, CustomStringConvertible {
    public var description: String { PostgresTestDatabase.skipReason }
}

/// A ``PostgresStore`` on its own schema with its pool running: the test fixture's stand-in for
/// the server's structured task. ``close()`` ends the pool.
public final class PostgresTestStore: Sendable {
    public let store: PostgresStore
    /// The URL with the schema, for processes that should share this store.
    public let url: String
    let runner: Task<Void, Never>
    let closed = Mutex(false)

    let holdsPermit: Bool

    init(store: PostgresStore, url: String, holdingPermit: Bool) {
        self.store = store
        self.url = url
        self.holdsPermit = holdingPermit
        self.runner = Task { await store.run() }
    }

    /// Stops the pool (the schema stays until a later run's janitor drops it). Idempotent.
    public func close() {
        let first = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        runner.cancel()
        if holdsPermit { PostgresTestDatabase.openFixtures.release() }
    }
}

/// A counting semaphore for async code whose release may come from synchronous code.
final class AsyncSemaphore: Sendable {
    struct State {
        var permits: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let state: Mutex<State>

    init(permits: Int) { state = Mutex(State(permits: permits)) }

    func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { s -> Bool in
                if s.permits > 0 {
                    s.permits -= 1
                    return true
                }
                s.waiters.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.permits += 1
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
