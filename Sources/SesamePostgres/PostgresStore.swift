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
    private let sealerBox: Mutex<SecretSealer>
    var sealer: SecretSealer { sealerBox.withLock { $0 } }
    private let sealedAtOpen = Mutex(0)
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

    /// Refuses a store sealed with another KEK (or with one, when none is given), and seals the
    /// rows still in clear when a KEK is given.
    func checkSealing() async throws {
        let sealer = self.sealer
        let ids = try await rows(
            """
            SELECT kek_id FROM signing_keys WHERE kek_id IS NOT NULL UNION SELECT kek_id FROM secrets WHERE kek_id IS NOT NULL
            UNION SELECT secret_kek_id FROM domains WHERE secret_kek_id IS NOT NULL
            """
        ).map { try $0[0].decode(String.self) }
        try sealer.check(storedIDs: Set(ids))
        guard sealer.kek != nil else { return }
        let count = try await transaction { connection in
            try await self.reseal(connection, from: sealer, to: sealer, onlyClear: true)
        }
        sealedAtOpen.withLock { $0 = count }
    }

    /// Rewrites every secret row `to` seals; rows in clear only when `onlyClear`.
    func reseal(_ connection: PostgresConnection, from: SecretSealer, to: SecretSealer, onlyClear: Bool) async throws -> Int {
        // Keeps processes starting together from sealing the same rows twice.
        let lockName = "sesame-seal:" + (url.schema ?? "public")
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockName)))", logger: logger)
        var count = 0
        /// One text column of `table`, row by row; `table/key` is each row's sealing context.
        func resealText(_ table: String, key: String, column: String, kekColumn: String) async throws {
            let filter = onlyClear ? " WHERE \(kekColumn) IS NULL" : ""
            let select: PostgresQuery =
                "SELECT \(unescaped: key), \(unescaped: column), \(unescaped: kekColumn) FROM \(unescaped: table)\(unescaped: filter) FOR UPDATE"
            for row in try await rows(connection, select) {
                let name = try row[key].decode(String.self)
                let context = "\(table)/\(name)"
                let clear = try from.open(
                    text: try row[column].decode(String.self), kekID: try row[kekColumn].decode(String?.self), context: context)
                let (stored, id) = try to.seal(text: clear, context: context)
                try await connection.query(
                    "UPDATE \(unescaped: table) SET \(unescaped: column) = \(stored), \(unescaped: kekColumn) = \(id) WHERE \(unescaped: key) = \(name)",
                    logger: logger)
                count += 1
            }
        }
        try await resealText("signing_keys", key: "kid", column: "private_key_pem", kekColumn: "kek_id")
        try await resealText("domains", key: "name", column: "secret", kekColumn: "secret_kek_id")
        // The secrets table holds bytes, not text.
        let filter = onlyClear ? " WHERE kek_id IS NULL" : ""
        for row in try await rows(connection, "SELECT name, value, kek_id FROM secrets\(unescaped: filter) FOR UPDATE") {
            let name = try row["name"].decode(String.self)
            let context = "secrets/\(name)"
            let clear = try from.open(
                Array(try row["value"].decode(Data.self)), kekID: try row["kek_id"].decode(String?.self), context: context)
            let (stored, id) = try to.seal(clear, context: context)
            try await connection.query("UPDATE secrets SET value = \(Data(stored)), kek_id = \(id) WHERE name = \(name)", logger: logger)
            count += 1
        }
        return count
    }

    public func reseal(with newKEK: KeyEncryptionKey) async throws -> Int {
        let from = sealer
        let to = SecretSealer(kek: newKEK)
        let count = try await transaction { connection in try await self.reseal(connection, from: from, to: to, onlyClear: false) }
        sealerBox.withLock { $0 = to }
        return count
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

    // MARK: Bootstrap

    /// How long `/health` waits for the database before calling it unreachable.
    public static let pingTimeout = Duration.seconds(3)

    public func ping() async throws {
        try await withDeadline(Self.pingTimeout) { try await self.client.query("SELECT 1", logger: self.logger).collect() }
    }

    public func secret(named name: String, orCreate make: @Sendable () -> [UInt8]) async throws -> [UInt8] {
        let sealer = self.sealer
        let context = "secrets/\(name)"
        let (fresh, freshID) = try sealer.seal(make(), context: context)
        return try await transaction { connection in
            try await connection.query(
                "INSERT INTO secrets (name, value, kek_id) VALUES (\(name), \(Data(fresh)), \(freshID)) ON CONFLICT (name) DO NOTHING",
                logger: self.logger)
            guard let stored = try await self.rows(connection, "SELECT value, kek_id FROM secrets WHERE name = \(name)").first else {
                throw SesameError(.notFound, "secret \(name) vanished")
            }
            return try sealer.open(
                Array(try stored["value"].decode(Data.self)), kekID: try stored["kek_id"].decode(String?.self), context: context)
        }
    }

    public func signingKeys() async throws -> [SigningKeyRecord] {
        let sealer = self.sealer
        return try await rows("SELECT * FROM signing_keys ORDER BY created_at DESC, kid").map { row in
            let kid = try row["kid"].decode(String.self)
            return SigningKeyRecord(
                kid: kid, algorithm: try row["algorithm"].decode(String.self),
                privateKeyPEM: try sealer.open(
                    text: try row["private_key_pem"].decode(String.self), kekID: try row["kek_id"].decode(String?.self),
                    context: "signing_keys/\(kid)"),
                createdAt: try row["created_at"].decode(Int64.self), retiredAt: try row["retired_at"].decode(Int64?.self))
        }
    }

    public func insertSigningKeyIfNoneActive(_ key: SigningKeyRecord) async throws {
        let (pem, kekID) = try sealer.seal(text: key.privateKeyPEM, context: "signing_keys/\(key.kid)")
        try await transaction { connection in
            // Processes starting together must not each add a key.
            let lockName = "sesame-signing-keys:" + (self.url.schema ?? "public")
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockName)))", logger: self.logger)
            try await connection.query(
                """
                INSERT INTO signing_keys (kid, algorithm, private_key_pem, created_at, retired_at, kek_id)
                SELECT \(key.kid), \(key.algorithm), \(pem), \(key.createdAt), \(key.retiredAt), \(kekID)
                WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE retired_at IS NULL)
                """, logger: self.logger)
        }
    }

    public func rotateSigningKey(to key: SigningKeyRecord, at now: Int64) async throws -> [String] {
        let (pem, kekID) = try sealer.seal(text: key.privateKeyPEM, context: "signing_keys/\(key.kid)")
        return try await transaction { connection in
            let lockName = "sesame-signing-keys:" + (self.url.schema ?? "public")
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockName)))", logger: self.logger)
            let retired = try await self.rows(
                connection, "UPDATE signing_keys SET retired_at = \(now) WHERE retired_at IS NULL RETURNING kid"
            ).map { try $0["kid"].decode(String.self) }.sorted()
            try await connection.query(
                """
                INSERT INTO signing_keys (kid, algorithm, private_key_pem, created_at, retired_at, kek_id)
                VALUES (\(key.kid), \(key.algorithm), \(pem), \(key.createdAt), NULL, \(kekID))
                """, logger: self.logger)
            return retired
        }
    }

    public func retireSigningKey(kid: String, at now: Int64) async throws -> Bool {
        try await transaction { connection in
            try await self.rows(
                connection, "UPDATE signing_keys SET retired_at = \(now) WHERE kid = \(kid) AND retired_at IS NULL RETURNING kid"
            ).count == 1
        }
    }

    // MARK: Domains

    public func createDomain(name: String, secret: String, at now: Int64) async throws -> UserDomain {
        let (stored, kekID) = try sealer.seal(text: secret, context: "domains/\(name)")
        return try await mapErrors {
            let id = try await transaction { connection in
                try await self.rows(
                    connection,
                    """
                    INSERT INTO domains (name, secret, enabled, created_at, secret_kek_id)
                    VALUES (\(name), \(stored), TRUE, \(now), \(kekID)) RETURNING id
                    """
                ).first?["id"].decode(Int64.self)
            }
            guard let id else { throw SesameError(.invalidInput, "the domain was not created") }
            return UserDomain(id: id, name: name, secret: secret, enabled: true, createdAt: now)
        }
    }

    public func domain(named name: String) async throws -> UserDomain? {
        try await rows("SELECT * FROM domains WHERE name = \(name)").first.map { try self.domain($0, prefix: "") }
    }

    public func domains() async throws -> [UserDomain] {
        try await rows("SELECT * FROM domains ORDER BY name").map { try self.domain($0, prefix: "") }
    }

    public func setDomainEnabled(name: String, enabled: Bool) async throws -> Bool {
        try await transaction { connection in
            try await self.rows(connection, "UPDATE domains SET enabled = \(enabled) WHERE name = \(name) RETURNING id").count == 1
        }
    }

    // MARK: Users

    public func createUser(_ user: User) async throws {
        try await mapErrors {
            try await transaction { connection in
                try await connection.query(
                    """
                    INSERT INTO users (uid, domain_id, email, phone, international_code, username, nickname,
                                       password_hash, enabled, registered_at, last_login_at)
                    VALUES (\(user.uid), \(user.domainID), \(user.email), \(user.phone), \(user.internationalCode),
                            \(user.username), \(user.nickname), \(user.passwordHash), \(user.enabled), \(user.registeredAt),
                            \(user.lastLoginAt))
                    """, logger: self.logger)
            }
        }
    }

    public func user(uid: String) async throws -> User? {
        try await rows("SELECT * FROM users WHERE uid = \(uid)").first.map { try Self.user($0, prefix: "") }
    }

    public func findUser(domainID: Int64, identifier: AccountIdentifier) async throws -> User? {
        let query: PostgresQuery
        switch identifier {
        case .email(let e):
            query = "SELECT * FROM users WHERE domain_id = \(domainID) AND email = \(e)"
        case .phone(let code, let number):
            query = "SELECT * FROM users WHERE domain_id = \(domainID) AND international_code = \(code) AND phone = \(number)"
        case .username(let u):
            query = "SELECT * FROM users WHERE domain_id = \(domainID) AND username = \(u)"
        case .anyOf(let key):
            // User name first, then e-mail, then phone (any international code), as on SQLite.
            let email = key.lowercased()
            query = """
                SELECT * FROM users WHERE domain_id = \(domainID) AND (username = \(key) OR email = \(email) OR phone = \(key))
                ORDER BY CASE WHEN username = \(key) THEN 0 WHEN email = \(email) THEN 1 ELSE 2 END, registered_at
                LIMIT 1
                """
        }
        return try await rows(query).first.map { try Self.user($0, prefix: "") }
    }

    public func users(domainID: Int64?) async throws -> [User] {
        let query: PostgresQuery =
            if let domainID {
                "SELECT * FROM users WHERE domain_id = \(domainID) ORDER BY registered_at, uid"
            } else {
                "SELECT * FROM users ORDER BY registered_at, uid"
            }
        return try await rows(query).map { try Self.user($0, prefix: "") }
    }

    public func disableUser(uid: String, at now: Int64) async throws -> Bool {
        try await transaction { connection in
            guard try await self.rows(connection, "UPDATE users SET enabled = FALSE WHERE uid = \(uid) RETURNING uid").count == 1 else {
                return false
            }
            try await connection.query(
                """
                UPDATE sessions SET revoked_at = \(now), revoke_reason = 'user-disabled' WHERE uid = \(uid) AND revoked_at IS NULL
                """, logger: self.logger)
            return true
        }
    }

    public func updatePasswordHash(uid: String, hash: String) async throws {
        try await transaction { connection in
            try await connection.query("UPDATE users SET password_hash = \(hash) WHERE uid = \(uid)", logger: self.logger)
        }
    }

    public func setUserEnabled(uid: String) async throws -> Bool {
        try await transaction { connection in
            try await self.rows(connection, "UPDATE users SET enabled = TRUE WHERE uid = \(uid) RETURNING uid").count == 1
        }
    }

    // MARK: OAuth clients

    public func createClient(_ client: OAuthClient) async throws {
        try await mapErrors {
            try await transaction { connection in
                try await connection.query(
                    """
                    INSERT INTO clients (client_id, domain_id, secret_hash, created_at)
                    VALUES (\(client.id), \(client.domainID), \(client.secretHash), \(client.createdAt))
                    """, logger: self.logger)
            }
        }
    }

    public func client(id: String) async throws -> OAuthClient? {
        try await rows("SELECT * FROM clients WHERE client_id = \(id)").first.map(Self.client)
    }

    public func clients(domainID: Int64?) async throws -> [OAuthClient] {
        let query: PostgresQuery =
            if let domainID {
                "SELECT * FROM clients WHERE domain_id = \(domainID) ORDER BY client_id"
            } else {
                "SELECT * FROM clients ORDER BY client_id"
            }
        return try await rows(query).map(Self.client)
    }

    public func removeClient(id: String, at now: Int64) async throws -> Bool {
        try await transaction { connection in
            guard try await self.rows(connection, "DELETE FROM clients WHERE client_id = \(id) RETURNING client_id").count == 1 else {
                return false
            }
            try await connection.query(
                """
                UPDATE sessions SET revoked_at = \(now), revoke_reason = 'client-removed'
                WHERE client_id = \(id) AND revoked_at IS NULL
                """, logger: self.logger)
            return true
        }
    }

    // MARK: Lockout

    public func beginLoginAttempt(
        _ key: LoginAttemptKey, at now: Int64, threshold: Int, lockSeconds: Int64
    ) async throws -> LoginAttemptSlot {
        try await transaction { connection in
            // Insert-or-lock in one statement: the row exists and is locked afterwards, whatever
            // concurrent claims or clearing deletes (from any process) did in between; they queue
            // here and each sees the count the previous one left.
            guard
                let row = try await self.rows(
                    connection,
                    """
                    INSERT INTO login_failures (domain_id, identifier, failures, locked_until, updated_at)
                    VALUES (\(key.domainID), \(key.identifier), 0, NULL, \(now))
                    ON CONFLICT (domain_id, identifier) DO UPDATE SET failures = login_failures.failures
                    RETURNING failures, locked_until, updated_at
                    """
                ).first
            else { throw SesameError(.invalidInput, "the login attempt could not be recorded") }
            let stored = LockoutPolicy.Row(
                failures: Int(try row["failures"].decode(Int64.self)), lockedUntil: try row["locked_until"].decode(Int64?.self),
                updatedAt: try row["updated_at"].decode(Int64.self))
            let claim = LockoutPolicy(threshold: threshold, lockSeconds: lockSeconds).claim(stored, at: now)
            guard let write = claim.write else { return claim.slot }
            try await connection.query(
                """
                UPDATE login_failures SET failures = \(Int64(write.failures)), locked_until = \(write.lockedUntil), updated_at = \(write.updatedAt)
                WHERE domain_id = \(key.domainID) AND identifier = \(key.identifier)
                """, logger: self.logger)
            return claim.slot
        }
    }

    public func recordLoginFailure(
        _ key: LoginAttemptKey, attempt: Int, at now: Int64, threshold: Int, lockSeconds: Int64
    ) async throws {
        try await transaction { connection in
            let failure = LockoutPolicy(threshold: threshold, lockSeconds: lockSeconds).failure(key, attempt: attempt, at: now)
            if let lockUntil = failure.lockUntil {
                try await connection.query(
                    """
                    UPDATE login_failures SET locked_until = \(lockUntil)
                    WHERE domain_id = \(key.domainID) AND identifier = \(key.identifier)
                    """, logger: self.logger)
            }
            for event in failure.events { try await self.audit(connection, event) }
        }
    }

    public func clearLoginFailures(_ key: LoginAttemptKey) async throws {
        try await transaction { connection in
            try await self.clearFailures(connection, key)
        }
    }

    // MARK: Sessions

    public func createSession(_ session: Session, firstToken: RefreshTokenRecord, clearing key: LoginAttemptKey?) async throws {
        try await transaction { connection in
            try await connection.query(
                """
                INSERT INTO sessions (id, uid, dialect, client_id, created_at, absolute_expires_at)
                VALUES (\(session.id), \(session.uid), \(session.dialect.rawValue), \(session.clientID), \(session.createdAt),
                        \(session.absoluteExpiresAt))
                """, logger: self.logger)
            try await self.insert(connection, firstToken)
            try await connection.query(
                "UPDATE users SET last_login_at = \(session.createdAt) WHERE uid = \(session.uid)", logger: self.logger)
            if let key { try await self.clearFailures(connection, key) }
            try await self.audit(
                connection,
                AuditEvent(at: session.createdAt, kind: "login", uid: session.uid, sessionID: session.id, detail: session.dialect.rawValue))
        }
    }

    public func rotate(
        _ request: RotationRequest, decide: @escaping @Sendable (RotationInput) -> RotationDecision
    ) async throws -> RotationResult {
        return try await transaction { connection in
            if let key = request.clearing { try await self.clearFailures(connection, key) }
            // Lock the session first: every rotation of this session, from any process, waits
            // here, and the statements below (a fresh snapshot each, at READ COMMITTED) then see
            // what the previous one committed.
            let locked = try await self.rows(
                connection,
                Self.byKey(
                    "SELECT s.id FROM sessions s JOIN refresh_tokens t ON t.session_id = s.id", request.token, then: " FOR UPDATE OF s"))
            guard !locked.isEmpty else { return .notFound }
            guard let row = try await self.rows(connection, Self.byKey(Self.stateSelect, request.token)).first
            else { return .notFound }
            let token = try Self.token(row, prefix: "t_")
            let state = try self.state(row)
            switch decide(RotationInput(token: token, state: state)) {
            case .rotate(let expiresAt):
                let updated = try await self.rows(
                    connection,
                    """
                    UPDATE refresh_tokens SET rotated_at = \(request.now), successor_hash = \(Data(request.successorHash))
                    WHERE session_id = \(token.sessionID) AND id = \(token.id) AND rotated_at IS NULL RETURNING id
                    """)
                guard updated.count == 1 else { return .rejected(reason: "already-rotated") }
                let successor = RefreshTokenRecord(
                    id: request.successorID, tokenHash: request.successorHash, sessionID: token.sessionID,
                    issuedAt: request.now, expiresAt: expiresAt, isLocated: request.successorIsLocated)
                try await self.insert(connection, successor)
                // One insert inside the rotation's own transaction: no extra commit.
                try await self.audit(
                    connection,
                    AuditEvent(
                        at: request.now, kind: "refresh", uid: state.user.uid, sessionID: token.sessionID,
                        detail: state.session.dialect.rawValue))
                return .rotated(state, successor: successor)
            case .replay:
                // The successor this request derived, at its primary key; or, for a rotation
                // made before schema v5, the legacy successor it recorded.
                guard let hash = token.successorHash else { return .rejected(reason: "successor-missing") }
                let derived = RefreshTokenKey(hash: hash, location: .init(sessionID: token.sessionID, id: request.successorID))
                var successorRow = try await self.rows(connection, Self.byKey("SELECT * FROM refresh_tokens", derived, alias: "")).first
                if successorRow == nil {
                    successorRow = try await self.rows(
                        connection, Self.byKey("SELECT * FROM refresh_tokens", RefreshTokenKey(hash: hash), alias: "")
                    ).first
                }
                guard let successorRow else { return .rejected(reason: "successor-missing") }
                return .replayed(state, successor: try Self.token(successorRow, prefix: ""))
            case .revokeSession(let reason):
                try await connection.query(
                    """
                    UPDATE sessions SET revoked_at = \(request.now), revoke_reason = \(reason)
                    WHERE id = \(token.sessionID) AND revoked_at IS NULL
                    """, logger: self.logger)
                try await self.audit(
                    connection,
                    AuditEvent(at: request.now, kind: "refresh-reuse", uid: state.user.uid, sessionID: token.sessionID, detail: reason))
                return .revoked(state, reason: reason)
            case .reject(let reason):
                return .rejected(reason: reason)
            }
        }
    }

    public func refreshToken(id: String, sessionID: String) async throws -> RefreshTokenRecord? {
        try await rows("SELECT * FROM refresh_tokens WHERE id = \(id) AND session_id = \(sessionID)").first.map {
            try Self.token($0, prefix: "")
        }
    }

    public func refreshToken(_ key: RefreshTokenKey) async throws -> RefreshTokenRecord? {
        try await rows(Self.byKey("SELECT * FROM refresh_tokens", key, alias: "")).first.map { try Self.token($0, prefix: "") }
    }

    public func sessionState(id: String) async throws -> SessionState? {
        try await rows("\(unescaped: Self.sessionSelect) WHERE s.id = \(id)").first.map { try self.state($0) }
    }

    public func sessionState(refreshToken key: RefreshTokenKey) async throws -> SessionState? {
        try await rows(Self.byKey(Self.stateSelect, key)).first.map { try self.state($0) }
    }

    public func revokeSession(id: String, at now: Int64, reason: String) async throws -> Bool {
        try await transaction { connection in
            guard
                let row = try await self.rows(
                    connection,
                    """
                    UPDATE sessions SET revoked_at = \(now), revoke_reason = \(reason)
                    WHERE id = \(id) AND revoked_at IS NULL RETURNING uid
                    """
                ).first
            else { return false }
            let uid = try row["uid"].decode(String.self)
            try await self.audit(connection, AuditEvent(at: now, kind: "session-revoked", uid: uid, sessionID: id, detail: reason))
            return true
        }
    }

    public func sessions(uid: String?, limit: Int) async throws -> [Session] {
        let query: PostgresQuery =
            if let uid {
                "SELECT * FROM sessions WHERE uid = \(uid) ORDER BY created_at DESC, id LIMIT \(Int64(limit))"
            } else {
                "SELECT * FROM sessions ORDER BY created_at DESC, id LIMIT \(Int64(limit))"
            }
        return try await rows(query).map { try Self.session($0, prefix: "") }
    }

    // MARK: Housekeeping

    /// Rows deleted per write transaction by ``sweep(cutoff:now:staleFailuresBefore:)``.
    public static let sweepBatch = 500

    public func sweep(cutoff: Int64, now: Int64, staleFailuresBefore: Int64) async throws -> SweepReport {
        let batch = Int64(Self.sweepBatch)
        func batches(_ query: PostgresQuery) async throws -> Int {
            var total = 0
            while true {
                let deleted = try await transaction { connection in try await self.rows(connection, query).count }
                total += deleted
                if deleted < Self.sweepBatch { return total }
            }
        }
        var report = SweepReport()
        // Sessions first: their tokens go with them (ON DELETE CASCADE).
        report.sessions = try await batches(
            """
            DELETE FROM sessions WHERE id IN (
                SELECT id FROM sessions s
                WHERE s.revoked_at < \(cutoff) OR s.absolute_expires_at < \(cutoff)
                   OR NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = s.id AND t.expires_at >= \(cutoff))
                LIMIT \(batch) FOR UPDATE SKIP LOCKED)
            RETURNING id
            """)
        report.refreshTokens = try await batches(
            """
            DELETE FROM refresh_tokens WHERE (session_id, id) IN (
                SELECT session_id, id FROM refresh_tokens WHERE expires_at < \(cutoff) LIMIT \(batch) FOR UPDATE SKIP LOCKED)
            RETURNING id
            """)
        report.loginFailures = try await batches(
            """
            DELETE FROM login_failures WHERE (domain_id, identifier) IN (
                SELECT domain_id, identifier FROM login_failures
                WHERE (locked_until IS NOT NULL AND locked_until <= \(now)) OR (locked_until IS NULL AND updated_at < \(staleFailuresBefore))
                LIMIT \(batch) FOR UPDATE SKIP LOCKED)
            RETURNING identifier
            """)
        return report
    }

    // MARK: Audit

    public func recordAudit(_ event: AuditEvent) async throws {
        try await transaction { connection in try await self.audit(connection, event) }
    }

    public func deleteAuditEvents(before cutoff: Int64) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await transaction { connection in
                try await self.rows(
                    connection,
                    """
                    DELETE FROM audit_events WHERE id IN (
                        SELECT id FROM audit_events WHERE at < \(cutoff) LIMIT \(Int64(Self.sweepBatch)) FOR UPDATE SKIP LOCKED)
                    RETURNING id
                    """
                ).count
            }
            total += deleted
            if deleted < Self.sweepBatch { return total }
        }
    }

    public func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent] {
        // NULL filters match everything; the values are bound, never spliced.
        try await rows(
            """
            SELECT * FROM audit_events
            WHERE (\(query.uid)::TEXT IS NULL OR uid = \(query.uid)) AND (\(query.kind)::TEXT IS NULL OR kind = \(query.kind))
            ORDER BY id DESC LIMIT \(Int64(max(0, query.limit)))
            """
        ).map { row in
            AuditEvent(
                at: try row["at"].decode(Int64.self), kind: try row["kind"].decode(String.self), uid: try row["uid"].decode(String?.self),
                sessionID: try row["session_id"].decode(String?.self), detail: try row["detail"].decode(String.self))
        }
    }
}

// MARK: - Transactions and queries

extension PostgresStore {
    /// Runs `body` in one READ COMMITTED transaction, retrying it when PostgreSQL aborts it
    /// with a serialization failure or a deadlock (the transaction was rolled back, so running
    /// it again is safe; `body` must not have other side effects).
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await client.withConnection { connection in
                    try await connection.query("BEGIN ISOLATION LEVEL READ COMMITTED", logger: self.logger)
                    do {
                        let value = try await body(connection)
                        try await connection.query("COMMIT", logger: self.logger)
                        return value
                    } catch {
                        _ = try? await connection.query("ROLLBACK", logger: self.logger)
                        throw error
                    }
                }
            } catch let error as PSQLError where Self.isRetryable(error) && attempt < Self.maxAttempts {
                logger.debug("transaction retried", metadata: ["sqlstate": "\(error.serverInfo?[.sqlState] ?? "")", "attempt": "\(attempt)"])
                attempt += 1
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 << attempt))))
            }
        }
    }

    /// Serialization failure or deadlock: PostgreSQL asks for the transaction to be retried.
    static func isRetryable(_ error: PSQLError) -> Bool {
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else { return false }
        return state == "40001" || state == "40P01"
    }

    /// The rows of `query` outside any transaction.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await client.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }

    func rows(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await connection.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }

    func clearFailures(_ connection: PostgresConnection, _ key: LoginAttemptKey) async throws {
        try await connection.query(
            "DELETE FROM login_failures WHERE domain_id = \(key.domainID) AND identifier = \(key.identifier)", logger: logger)
    }

    func insert(_ connection: PostgresConnection, _ token: RefreshTokenRecord) async throws {
        try await connection.query(
            """
            INSERT INTO refresh_tokens (token_hash, id, session_id, issued_at, expires_at, rotated_at, successor_hash, located)
            VALUES (\(Data(token.tokenHash)), \(token.id), \(token.sessionID), \(token.issuedAt), \(token.expiresAt),
                    \(token.rotatedAt), \(token.successorHash.map { Data($0) }), \(token.isLocated))
            """, logger: logger)
    }

    func audit(_ connection: PostgresConnection, _ event: AuditEvent) async throws {
        try await connection.query(
            """
            INSERT INTO audit_events (at, kind, uid, session_id, detail)
            VALUES (\(event.at), \(event.kind), \(event.uid), \(event.sessionID), \(event.detail))
            """, logger: logger)
    }

    /// Runs `body`, failing with a timeout when it has not finished after `limit` (a connection
    /// that cannot be had while the server is down would otherwise wait indefinitely).
    func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw SesameError(.unavailable, "the database did not answer within \(limit)")
            }
            return value
        }
    }

    /// Names an error without its text: driver errors may carry connection details.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let state = error.serverInfo?[.sqlState] { return "PostgreSQL error \(state)" }
            return "PostgreSQL \(error.code)"
        }
        if let error = error as? SesameError { return error.message }
        return String(reflecting: type(of: error))
    }

    /// Turns constraint violations into ``SesameError``s that name the rule, not the SQL.
    func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PSQLError where error.code == .server {
            let state = error.serverInfo?[.sqlState] ?? ""
            let constraint = error.serverInfo?[.constraintName] ?? ""
            switch (state, constraint) {
            case ("23503", _): throw SesameError(.notFound, "a referenced record does not exist")
            case ("23505", "domains_name_unique"): throw SesameError(.conflict, "a domain with that name exists")
            case ("23505", "users_email_unique"): throw SesameError(.conflict, "that e-mail is already registered in the domain")
            case ("23505", "users_phone_unique"): throw SesameError(.conflict, "that phone number is already registered in the domain")
            case ("23505", "users_username_unique"): throw SesameError(.conflict, "that user name is taken in the domain")
            case ("23505", "clients_pkey"): throw SesameError(.conflict, "a client with that client_id exists")
            case ("23505", _): throw SesameError(.conflict, "the record already exists")
            case (let s, _) where s.hasPrefix("23"): throw SesameError(.invalidInput, "the record breaks a rule of the schema")
            default: throw error
            }
        }
    }
}

// MARK: - Row mapping

extension PostgresStore {
    /// A refresh token with its session, user and domain, columns prefixed to stay apart.
    static let stateSelect = """
        SELECT t.token_hash AS t_token_hash, t.id AS t_id, t.session_id AS t_session_id, t.issued_at AS t_issued_at,
               t.expires_at AS t_expires_at, t.rotated_at AS t_rotated_at, t.successor_hash AS t_successor_hash,
               t.located AS t_located, \(sessionColumns)
        FROM refresh_tokens t
        JOIN sessions s ON s.id = t.session_id
        JOIN users u ON u.uid = s.uid
        JOIN domains d ON d.id = u.domain_id
        """

    static let sessionSelect = """
        SELECT \(sessionColumns)
        FROM sessions s
        JOIN users u ON u.uid = s.uid
        JOIN domains d ON d.id = u.domain_id
        """

    static let sessionColumns = """
        s.id AS s_id, s.uid AS s_uid, s.dialect AS s_dialect, s.client_id AS s_client_id, s.created_at AS s_created_at,
               s.absolute_expires_at AS s_absolute_expires_at, s.revoked_at AS s_revoked_at, s.revoke_reason AS s_revoke_reason,
               u.uid AS u_uid, u.domain_id AS u_domain_id, u.email AS u_email, u.phone AS u_phone,
               u.international_code AS u_international_code, u.username AS u_username, u.nickname AS u_nickname,
               u.password_hash AS u_password_hash, u.enabled AS u_enabled, u.registered_at AS u_registered_at,
               u.last_login_at AS u_last_login_at,
               d.id AS d_id, d.name AS d_name, d.secret AS d_secret, d.secret_kek_id AS d_secret_kek_id,
               d.enabled AS d_enabled, d.created_at AS d_created_at
        """

    /// A domain row, its secret opened with the store's KEK.
    func domain(_ row: PostgresRandomAccessRow, prefix p: String) throws -> UserDomain {
        let name = try row[p + "name"].decode(String.self)
        return UserDomain(
            id: try row[p + "id"].decode(Int64.self), name: name,
            secret: try sealer.open(
                text: try row[p + "secret"].decode(String.self), kekID: try row[p + "secret_kek_id"].decode(String?.self),
                context: "domains/\(name)"),
            enabled: try row[p + "enabled"].decode(Bool.self), createdAt: try row[p + "created_at"].decode(Int64.self))
    }

    static func client(_ row: PostgresRandomAccessRow) throws -> OAuthClient {
        OAuthClient(
            id: try row["client_id"].decode(String.self), domainID: try row["domain_id"].decode(Int64.self),
            secretHash: try row["secret_hash"].decode(String?.self), createdAt: try row["created_at"].decode(Int64.self))
    }

    static func user(_ row: PostgresRandomAccessRow, prefix p: String) throws -> User {
        User(
            uid: try row[p + "uid"].decode(String.self), domainID: try row[p + "domain_id"].decode(Int64.self),
            email: try row[p + "email"].decode(String?.self), phone: try row[p + "phone"].decode(String?.self),
            internationalCode: try row[p + "international_code"].decode(String?.self),
            username: try row[p + "username"].decode(String?.self), nickname: try row[p + "nickname"].decode(String?.self),
            passwordHash: try row[p + "password_hash"].decode(String.self), enabled: try row[p + "enabled"].decode(Bool.self),
            registeredAt: try row[p + "registered_at"].decode(Int64.self), lastLoginAt: try row[p + "last_login_at"].decode(Int64?.self))
    }

    static func session(_ row: PostgresRandomAccessRow, prefix p: String) throws -> Session {
        Session(
            id: try row[p + "id"].decode(String.self), uid: try row[p + "uid"].decode(String.self),
            dialect: Dialect(rawValue: try row[p + "dialect"].decode(String.self)) ?? .enduser,
            clientID: try row[p + "client_id"].decode(String?.self), createdAt: try row[p + "created_at"].decode(Int64.self),
            absoluteExpiresAt: try row[p + "absolute_expires_at"].decode(Int64?.self),
            revokedAt: try row[p + "revoked_at"].decode(Int64?.self), revokeReason: try row[p + "revoke_reason"].decode(String?.self))
    }

    func state(_ row: PostgresRandomAccessRow) throws -> SessionState {
        SessionState(
            session: try Self.session(row, prefix: "s_"), user: try Self.user(row, prefix: "u_"), domain: try domain(row, prefix: "d_"))
    }

    static func token(_ row: PostgresRandomAccessRow, prefix p: String) throws -> RefreshTokenRecord {
        RefreshTokenRecord(
            id: try row[p + "id"].decode(String.self), tokenHash: Array(try row[p + "token_hash"].decode(Data.self)),
            sessionID: try row[p + "session_id"].decode(String.self), issuedAt: try row[p + "issued_at"].decode(Int64.self),
            expiresAt: try row[p + "expires_at"].decode(Int64.self), rotatedAt: try row[p + "rotated_at"].decode(Int64?.self),
            successorHash: try row[p + "successor_hash"].decode(Data?.self).map { Array($0) },
            isLocated: try row[p + "located"].decode(Bool.self))
    }

    /// `select` restricted to the refresh token `key` names (`alias` qualifies the token
    /// table's columns): by primary key and hash when it has a location, else among the legacy
    /// rows by hash (`NOT located` is what lets PostgreSQL use the partial hash index).
    static func byKey(_ select: String, _ key: RefreshTokenKey, alias: String = "t.", then suffix: String = "") throws -> PostgresQuery {
        let hash = Data(key.hash)
        if let location = key.location {
            return try """
                \(unescaped: select) WHERE \(unescaped: alias)session_id = \(location.sessionID) AND \(unescaped: alias)id = \(location.id)
                AND \(unescaped: alias)token_hash = \(hash)\(unescaped: suffix)
                """
        }
        return try "\(unescaped: select) WHERE \(unescaped: alias)token_hash = \(hash) AND NOT \(unescaped: alias)located\(unescaped: suffix)"
    }
}
