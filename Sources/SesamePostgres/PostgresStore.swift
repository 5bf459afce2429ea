import Foundation
import Logging
import NIOSSL
import PostgresNIO
import SesameCore
import Synchronization

/// The store on PostgreSQL, for several `sesame serve` processes sharing one database.
///
/// Every write is one transaction at READ COMMITTED. Rotations of one session are serialised
/// across processes by locking the session's row (`SELECT ... FOR UPDATE`) before the token is
/// read, so the second of two concurrent refreshes sees the first one's successor and replays
/// it. PostgreSQL's serialization failures and deadlocks (SQLSTATE 40001, 40P01) roll the
/// transaction back and are retried here, a few times with jitter; they never reach a client.
///
/// The connection pool runs in ``run()``, which must be running while the store is used:
///
/// ```swift
/// let store = try PostgresStore(url: PostgresConnectionURL(parsing: text), poolSize: 10, logger: logger)
/// try await withThrowingDiscardingTaskGroup { group in
///     group.addTask { await store.run() }
///     try await store.prepare(waitingUpTo: .seconds(30))   // waits for the server, migrates
///     ...
///     group.cancelAll()
/// }
/// ```
public final class PostgresStore: SesameStore, SealsSecrets {
    public let url: PostgresConnectionURL
    /// For the start-up reachability check, outside the pool.
    let probeConfiguration: PostgresConnection.Configuration
    let client: PostgresClient
    let logger: Logger
    let sealerBox: Mutex<SecretSealer>
    var sealer: SecretSealer { sealerBox.withLock { $0 } }
    let sealedAtOpen = Mutex(0)
    /// How many rows in clear were sealed by ``prepare(waitingUpTo:)`` (a KEK was given).
    public var rowsSealedAtOpen: Int { sealedAtOpen.withLock { $0 } }

    /// Attempts of a transaction that PostgreSQL aborts with a serialization failure or deadlock.
    static let maxAttempts = 6

    /// - Parameters:
    ///   - poolSize: the most connections this process opens.
    ///   - kek: seals secrets at rest (``SecretSealer``); `nil` writes them in clear.
    ///   - logger: receives the pool's own messages (connection failures); never a bound value.
    ///     Its level is raised to at least `debug` (see ``quietestLevel``).
    public init(url: PostgresConnectionURL, poolSize: Int, kek: KeyEncryptionKey? = nil, logger: Logger) throws {
        self.sealerBox = Mutex(SecretSealer(kek: kek))
        let tls: PostgresClient.Configuration.TLS
        switch url.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database, tls: tls)
        configuration.options.maximumConnections = max(1, poolSize)
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        var parameters = [("application_name", "sesame"), ("statement_timeout", "30s")]
        if let schema = url.schema { parameters.append(("search_path", schema)) }
        configuration.options.additionalStartupParameters = parameters
        let probeTLS: PostgresConnection.Configuration.TLS
        switch url.tls {
        case .disable: probeTLS = .disable
        case .prefer: probeTLS = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: probeTLS = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var probe = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database,
            tls: probeTLS)
        probe.options.additionalStartupParameters = parameters
        probe.options.connectTimeout = .seconds(5)
        self.probeConfiguration = probe
        self.url = url
        var logger = logger
        logger.logLevel = max(logger.logLevel, Self.quietestLevel)
        self.logger = logger
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    /// The most verbose level PostgresNIO gets.
    ///
    /// - Warning: at `trace`, PostgresNIO logs every backend message, data rows included, as
    ///   hex: the successor key, signing keys, domain secrets and password hashes would reach
    ///   the log. Its `debug` messages are about connections only. So the store's logger
    ///   (every logger handed to PostgresNIO comes from it) never goes below `debug`, whatever
    ///   `SESAME_LOG_LEVEL` says.
    public static let quietestLevel: Logger.Level = .debug

    /// Runs the connection pool until cancelled. Call it once, before any other method.
    public func run() async {
        await client.run()
    }

    /// Waits until the server answers (retrying with a bounded back-off and a log line per
    /// failed attempt), creates the URL's schema when missing, and runs pending migrations.
    ///
    /// - Throws: ``SesameError/Code/unavailable`` when the server is still unreachable after `wait`.
    public func prepare(waitingUpTo wait: Duration) async throws {
        let start = ContinuousClock.now
        var attempt = 0
        var delay = Duration.milliseconds(250)
        while true {
            attempt += 1
            do {
                // One connection of its own, not the pool's: a refused or failed connection
                // fails at once with its reason (the pool would keep the request waiting). A
                // first connection (TCP, TLS negotiation, SCRAM) can take seconds on a busy host.
                let remaining = wait - (ContinuousClock.now - start)
                let configuration = probeConfiguration
                let logger = self.logger
                try await withDeadline(max(.seconds(2), min(.seconds(10), remaining))) {
                    let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
                    do {
                        try await connection.query("SELECT 1", logger: logger).collect()
                    } catch {
                        try? await connection.close()
                        throw error
                    }
                    try? await connection.close()
                }
                break
            } catch {
                let waited = ContinuousClock.now - start
                guard waited + delay < wait else {
                    logger.error("database unreachable, giving up", metadata: ["attempts": "\(attempt)", "error": "\(Self.describe(error))"])
                    throw SesameError(
                        .unavailable, "PostgreSQL at \(url.host):\(url.port) is unreachable (\(Self.describe(error))) after \(attempt) attempts")
                }
                logger.warning(
                    "database not reachable yet, retrying",
                    metadata: ["attempt": "\(attempt)", "retry_in_ms": "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)", "error": "\(Self.describe(error))"])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
        try await migrate()
        try await checkSealing()
    }

    /// Applies pending migrations in one transaction under an advisory lock named after the schema;
    /// up to and including the migration named `last` when given (tests of an upgrade from an
    /// older schema).
    func migrate(through last: String? = nil) async throws {
        let schema = url.schema
        try await transaction { connection in
            // No statement timeout while migrating: waiting for another process's migration, or
            // a long migration of a big table, is not a failure. The lock is per schema, so
            // deployments (or test runs) in other schemas do not queue behind each other.
            try await connection.query("SET LOCAL statement_timeout = 0", logger: self.logger)
            let lockName = "sesame-migrations:" + (schema ?? "public")
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockName)))", logger: self.logger)
            if let schema {
                // Quoting is safe: PostgresConnectionURL admits letters, digits and underscores only.
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), logger: self.logger)
            }
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS sesame_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)", logger: self.logger)
            let applied = Set(
                try await connection.query("SELECT name FROM sesame_migrations", logger: self.logger).collect()
                    .map { try $0.makeRandomAccess()["name"].decode(String.self) })
            for migration in PostgresSchema.migrations where !applied.contains(migration.name) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
                let now = Int64(Date().timeIntervalSince1970)
                try await connection.query(
                    "INSERT INTO sesame_migrations (name, applied_at) VALUES (\(migration.name), \(now))", logger: self.logger)
                self.logger.notice("migration applied", metadata: ["migration": "\(migration.name)"])
                if migration.name == last { break }
            }
        }
    }

    /// Runs `body` on one pooled connection, outside any transaction: for tests and maintenance
    /// tools that inspect the schema. The service itself never uses it.
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in try await body(connection) }
    }

    /// The names of the applied migrations, in order.
    public func appliedMigrations() async throws -> [String] {
        try await rows("SELECT name FROM sesame_migrations ORDER BY name").map { try $0["name"].decode(String.self) }
    }
}
