import Foundation
import GRDB
import SesameCore
import Synchronization

/// The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so that every
/// acknowledged write survives `kill -9` and power loss.
///
/// Writes go through GRDB's single writer connection, each in one IMMEDIATE transaction;
/// reads run concurrently on the pool's reader connections.
///
/// With a key-encryption key, the private signing keys, the `secrets` table and the domain
/// secrets are sealed at rest (``SecretSealer``); rows written in clear before are sealed when
/// the store opens with a KEK.
///
/// ```swift
/// let store = try SQLiteStore(path: "./sesame-data/sesame.sqlite", kek: try KeyEncryptionKey(contentsOfFile: "/etc/sesame/kek"))
/// ```
public final class SQLiteStore: SesameStore, SealsSecrets {
    /// The GRDB pool; exposed for tests and tools that inspect the file.
    public let pool: DatabasePool
    public let path: String
    /// How many rows in clear were sealed when the store opened with a KEK.
    public let rowsSealedAtOpen: Int
    private let sealerBox: Mutex<SecretSealer>
    var sealer: SecretSealer { sealerBox.withLock { $0 } }
    /// Batches concurrent rotations into one commit.
    private let rotations: RotationGroupCommit
    /// Runs the hot point reads on the calling thread (``InlineReaders``).
    private let inline: InlineReaders
    /// Copies the WAL into the database file off the writer (``WALCheckpointer``).
    private let checkpointer: WALCheckpointer

    /// Opens (creating if needed) the database at `path`, and runs pending migrations.
    ///
    /// - Parameters:
    ///   - path: the SQLite file; its directory is created when missing.
    ///   - kek: seals secrets at rest; `nil` writes them in clear.
    /// - Throws: when the file cannot be opened or migrated; ``SesameError/Code/invalidInput``
    ///   when it holds secrets sealed with another KEK than `kek` (or `kek` is `nil`).
    public init(path: String, kek: KeyEncryptionKey? = nil) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            // The store holds password hashes and key material: only its owner may read it.
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        // A new database file is created owner-only; SQLite gives its -wal and -shm files the
        // database file's permissions.
        if !FileManager.default.fileExists(atPath: path) {
            // When this fails, so does the open below (same directory).
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Statement arguments (hashes, secrets, password hashes) never appear in errors or logs.
        configuration.publicStatementArguments = false
        // Another process (the CLI next to a running server) may hold the write lock briefly.
        configuration.busyMode = .timeout(10)
        let pool = try DatabasePool(path: path, configuration: configuration)
        self.pool = pool
        self.path = path
        let checkpointer = try WALCheckpointer(path: path)
        self.checkpointer = checkpointer
        self.rotations = RotationGroupCommit(pool: pool) { checkpointer.nudge() }
        // FULL makes every commit fsync the WAL, so an acknowledged write survives power loss,
        // not only a crash of the process. It must be set on the writer connection *after*
        // the pool opened it: GRDB's WAL setup sets NORMAL, which loses the last commits on
        // power loss. Only the writer connection commits, and it lives as long as the pool.
        let synchronous = try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // The writer touches a few random pages of the token indexes per rotation: a 16 MiB
            // page cache (instead of 2 MiB) keeps their upper levels and the hot leaves in
            // memory. The writer's own checkpoints run inside a commit, so they are spaced out to
            // 4,000 WAL pages (16 MiB); the background checkpointer (``WALCheckpointer``) copies
            // most of those pages meanwhile, so that the writer's checkpoint has little left. Readers
            // keep SQLite's default cache (memory stays flat whatever the store's size).
            try db.execute(sql: "PRAGMA cache_size = -16384")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 4000")
            // The WAL file keeps the size of the largest transaction it ever held (a migration, a
            // large sweep) unless this limit truncates it when it starts over.
            try db.execute(sql: "PRAGMA journal_size_limit = \(Self.walSizeLimit)")
            return try Int.fetchOne(db, sql: "PRAGMA synchronous")
        }
        guard synchronous == 2 else {
            throw DatabaseError(message: "could not set PRAGMA synchronous = FULL")
        }
        try SQLiteSchema.migrator.migrate(pool)
        // What the WAL holds now — a migration that rewrote a whole table (v4 did), or what a
        // crashed process left — is copied into the database file before the first request,
        // and the WAL truncated: otherwise the first commit's checkpoint would copy it all
        // while every rotation waits. When another process (a server beside this CLI) is using
        // the store, the checkpoint gives up at once instead of waiting for it.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA busy_timeout = 0")
            _ = try? db.checkpoint(.truncate)
            try db.execute(sql: "PRAGMA busy_timeout = 10000")
        }
        // One inline reader per core (the cooperative pool has as many threads), at most 8:
        // each keeps its own page cache (up to 2 MiB), and a read that finds them all busy
        // goes through the pool.
        self.inline = try InlineReaders(path: path, count: min(8, max(2, ProcessInfo.processInfo.activeProcessorCount)))
        let sealer = SecretSealer(kek: kek)
        self.sealerBox = Mutex(sealer)
        let storedIDs = try pool.read { db in
            try String.fetchSet(
                db,
                sql: """
                    SELECT kek_id FROM signing_keys WHERE kek_id IS NOT NULL UNION SELECT kek_id FROM secrets WHERE kek_id IS NOT NULL
                    UNION SELECT secret_kek_id FROM domains WHERE secret_kek_id IS NOT NULL
                    """)
        }
        try sealer.check(storedIDs: storedIDs)
        if kek != nil {
            rowsSealedAtOpen = try pool.write { db in try Self.reseal(db, from: sealer, to: sealer, onlyClear: true) }
        } else {
            rowsSealedAtOpen = 0
        }
    }

    deinit {
        // The pool closes its readers and then the writer, which, being the last connection,
        // checkpoints the WAL and removes it. The inline readers must not outlive it: a
        // read-only connection closing last leaves the whole WAL for the next start to copy.
        inline.close()
        checkpointer.close()
    }

    /// The size, in bytes, the WAL file is truncated to when it starts over (64 MiB).
    public static let walSizeLimit = 64 << 20

    /// Rewrites every secret row `to` seals; rows in clear only when `onlyClear`.
    static func reseal(_ db: Database, from: SecretSealer, to: SecretSealer, onlyClear: Bool) throws -> Int {
        var count = 0
        /// One text column of `table`, row by row; `table/key` is each row's sealing context.
        func resealText(_ table: String, key: String, column: String, kekColumn: String) throws {
            let filter = onlyClear ? " WHERE \(kekColumn) IS NULL" : ""
            for row in try Row.fetchAll(db, sql: "SELECT \(key), \(column), \(kekColumn) FROM \(table)" + filter) {
                let name: String = row[0]
                let context = "\(table)/\(name)"
                let clear = try from.open(text: row[1], kekID: row[2], context: context)
                let (stored, id) = try to.seal(text: clear, context: context)
                try db.execute(
                    sql: "UPDATE \(table) SET \(column) = ?, \(kekColumn) = ? WHERE \(key) = ?", arguments: [stored, id, name])
                count += 1
            }
        }
        try resealText("signing_keys", key: "kid", column: "private_key_pem", kekColumn: "kek_id")
        try resealText("domains", key: "name", column: "secret", kekColumn: "secret_kek_id")
        // The secrets table holds bytes, not text.
        for row in try Row.fetchAll(db, sql: "SELECT name, value, kek_id FROM secrets" + (onlyClear ? " WHERE kek_id IS NULL" : "")) {
            let name: String = row["name"]
            let context = "secrets/\(name)"
            let value: Data = row["value"]
            let clear = try from.open(Array(value), kekID: row["kek_id"], context: context)
            let (stored, id) = try to.seal(clear, context: context)
            try db.execute(sql: "UPDATE secrets SET value = ?, kek_id = ? WHERE name = ?", arguments: [Data(stored), id, name])
            count += 1
        }
        return count
    }

    public func reseal(with newKEK: KeyEncryptionKey) async throws -> Int {
        let from = sealer
        let to = SecretSealer(kek: newKEK)
        let count = try await pool.write { db in try Self.reseal(db, from: from, to: to, onlyClear: false) }
        sealerBox.withLock { $0 = to }
        return count
    }

    // MARK: Bootstrap

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func secret(named name: String, orCreate make: @Sendable () -> [UInt8]) async throws -> [UInt8] {
        let sealer = self.sealer
        let context = "secrets/\(name)"
        let fresh = try sealer.seal(make(), context: context)
        return try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO secrets (name, value, kek_id) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                arguments: [name, Data(fresh.stored), fresh.kekID])
            guard let row = try Row.fetchOne(db, sql: "SELECT value, kek_id FROM secrets WHERE name = ?", arguments: [name]) else {
                throw SesameError(.notFound, "secret \(name) vanished")
            }
            let value: Data = row["value"]
            return try sealer.open(Array(value), kekID: row["kek_id"], context: context)
        }
    }

    public func signingKeys() async throws -> [SigningKeyRecord] {
        let sealer = self.sealer
        return try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM signing_keys ORDER BY created_at DESC, kid").map { row in
                let kid: String = row["kid"]
                return SigningKeyRecord(
                    kid: kid, algorithm: row["algorithm"],
                    privateKeyPEM: try sealer.open(text: row["private_key_pem"], kekID: row["kek_id"], context: "signing_keys/\(kid)"),
                    createdAt: row["created_at"], retiredAt: row["retired_at"])
            }
        }
    }

    public func insertSigningKeyIfNoneActive(_ key: SigningKeyRecord) async throws {
        let sealed = try sealer.seal(text: key.privateKeyPEM, context: "signing_keys/\(key.kid)")
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO signing_keys (kid, algorithm, private_key_pem, created_at, retired_at, kek_id)
                    SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE retired_at IS NULL)
                    """,
                arguments: [key.kid, key.algorithm, sealed.stored, key.createdAt, key.retiredAt, sealed.kekID])
        }
    }

    public func rotateSigningKey(to key: SigningKeyRecord, at now: Int64) async throws -> [String] {
        let sealed = try sealer.seal(text: key.privateKeyPEM, context: "signing_keys/\(key.kid)")
        return try await pool.write { db in
            let retired = try String.fetchAll(db, sql: "SELECT kid FROM signing_keys WHERE retired_at IS NULL ORDER BY kid")
            try db.execute(sql: "UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL", arguments: [now])
            try db.execute(
                sql: "INSERT INTO signing_keys (kid, algorithm, private_key_pem, created_at, retired_at, kek_id) VALUES (?, ?, ?, ?, NULL, ?)",
                arguments: [key.kid, key.algorithm, sealed.stored, key.createdAt, sealed.kekID])
            return retired
        }
    }

    public func retireSigningKey(kid: String, at now: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL", arguments: [now, kid])
            return db.changesCount == 1
        }
    }

    // MARK: Domains

    public func createDomain(name: String, secret: String, at now: Int64) async throws -> UserDomain {
        let sealed = try sealer.seal(text: secret, context: "domains/\(name)")
        return try await mapErrors {
            try await pool.write { db in
                try db.execute(
                    sql: "INSERT INTO domains (name, secret, enabled, created_at, secret_kek_id) VALUES (?, ?, 1, ?, ?)",
                    arguments: [name, sealed.stored, now, sealed.kekID])
                return UserDomain(id: db.lastInsertedRowID, name: name, secret: secret, enabled: true, createdAt: now)
            }
        }
    }

    public func domain(named name: String) async throws -> UserDomain? {
        try await pointRead { db in
            try Row.fetchOne(db.cachedStatement(sql: Self.selectDomain + " WHERE name = ?"), arguments: [name]).map { try self.domain($0) }
        }
    }

    public func domains() async throws -> [UserDomain] {
        try await pool.read { db in try Row.fetchAll(db, sql: Self.selectDomain + " ORDER BY name").map { try self.domain($0) } }
    }

    public func setDomainEnabled(name: String, enabled: Bool) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE domains SET enabled = ? WHERE name = ?", arguments: [enabled, name])
            return db.changesCount == 1
        }
    }

    // MARK: Users

    public func createUser(_ user: User) async throws {
        try await mapErrors {
            try await pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO users (uid, domain_id, email, phone, international_code, username, nickname,
                                           password_hash, enabled, registered_at, last_login_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        user.uid, user.domainID, user.email, user.phone, user.internationalCode, user.username,
                        user.nickname, user.passwordHash, user.enabled, user.registeredAt, user.lastLoginAt,
                    ])
            }
        }
    }

    public func user(uid: String) async throws -> User? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: Self.selectUser + " WHERE uid = ?", arguments: [uid]).map { Self.user($0) }
        }
    }

    public func findUser(domainID: Int64, identifier: AccountIdentifier) async throws -> User? {
        try await pool.read { db in
            let row: Row?
            switch identifier {
            case .email(let e):
                row = try Row.fetchOne(db, sql: Self.selectUser + " WHERE domain_id = ? AND email = ?", arguments: [domainID, e])
            case .phone(let code, let number):
                row = try Row.fetchOne(
                    db, sql: Self.selectUser + " WHERE domain_id = ? AND international_code = ? AND phone = ?",
                    arguments: [domainID, code, number])
            case .username(let u):
                row = try Row.fetchOne(db, sql: Self.selectUser + " WHERE domain_id = ? AND username = ?", arguments: [domainID, u])
            case .anyOf(let key):
                // User name first, then e-mail, then phone (any international code).
                row = try Row.fetchOne(
                    db,
                    sql: """
                        \(Self.selectUser) WHERE domain_id = ? AND (username = ? OR email = ? OR phone = ?)
                        ORDER BY CASE WHEN username = ? THEN 0 WHEN email = ? THEN 1 ELSE 2 END, registered_at
                        LIMIT 1
                        """,
                    arguments: [domainID, key, key.lowercased(), key, key, key.lowercased()])
            }
            return row.map { Self.user($0) }
        }
    }

    public func users(domainID: Int64?) async throws -> [User] {
        try await pool.read { db in
            if let domainID {
                return try Row.fetchAll(
                    db, sql: Self.selectUser + " WHERE domain_id = ? ORDER BY registered_at, uid", arguments: [domainID]
                ).map { Self.user($0) }
            }
            return try Row.fetchAll(db, sql: Self.selectUser + " ORDER BY registered_at, uid").map { Self.user($0) }
        }
    }

    public func disableUser(uid: String, at now: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE users SET enabled = 0 WHERE uid = ?", arguments: [uid])
            guard db.changesCount == 1 else { return false }
            try db.execute(
                sql: "UPDATE sessions SET revoked_at = ?, revoke_reason = 'user-disabled' WHERE uid = ? AND revoked_at IS NULL",
                arguments: [now, uid])
            return true
        }
    }

    public func updatePasswordHash(uid: String, hash: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE users SET password_hash = ? WHERE uid = ?", arguments: [hash, uid])
        }
    }

    public func setUserEnabled(uid: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE users SET enabled = 1 WHERE uid = ?", arguments: [uid])
            return db.changesCount == 1
        }
    }

    // MARK: OAuth clients

    public func createClient(_ client: OAuthClient) async throws {
        try await mapErrors {
            try await pool.write { db in
                try db.execute(
                    sql: "INSERT INTO clients (client_id, domain_id, secret_hash, created_at) VALUES (?, ?, ?, ?)",
                    arguments: [client.id, client.domainID, client.secretHash, client.createdAt])
            }
        }
    }

    public func client(id: String) async throws -> OAuthClient? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM clients WHERE client_id = ?", arguments: [id]).map(Self.client)
        }
    }

    public func clients(domainID: Int64?) async throws -> [OAuthClient] {
        try await pool.read { db in
            if let domainID {
                return try Row.fetchAll(db, sql: "SELECT * FROM clients WHERE domain_id = ? ORDER BY client_id", arguments: [domainID])
                    .map(Self.client)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM clients ORDER BY client_id").map(Self.client)
        }
    }

    public func removeClient(id: String, at now: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM clients WHERE client_id = ?", arguments: [id])
            guard db.changesCount == 1 else { return false }
            try db.execute(
                sql: """
                    UPDATE sessions SET revoked_at = ?, revoke_reason = 'client-removed'
                    WHERE client_id = ? AND revoked_at IS NULL
                    """,
                arguments: [now, id])
            return true
        }
    }

    // MARK: Lockout

    public func beginLoginAttempt(
        _ key: LoginAttemptKey, at now: Int64, threshold: Int, lockSeconds: Int64
    ) async throws -> LoginAttemptSlot {
        try await pool.write { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT failures, locked_until, updated_at FROM login_failures WHERE domain_id = ? AND identifier = ?",
                arguments: [key.domainID, key.identifier])
            let stored = row.map { LockoutPolicy.Row(failures: $0["failures"], lockedUntil: $0["locked_until"], updatedAt: $0["updated_at"]) }
            let claim = LockoutPolicy(threshold: threshold, lockSeconds: lockSeconds).claim(stored, at: now)
            guard let write = claim.write else { return claim.slot }
            try db.execute(
                sql: """
                    INSERT INTO login_failures (domain_id, identifier, failures, locked_until, updated_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (domain_id, identifier) DO UPDATE
                    SET failures = excluded.failures, locked_until = excluded.locked_until, updated_at = excluded.updated_at
                    """,
                arguments: [key.domainID, key.identifier, write.failures, write.lockedUntil, write.updatedAt])
            return claim.slot
        }
    }

    public func recordLoginFailure(
        _ key: LoginAttemptKey, attempt: Int, at now: Int64, threshold: Int, lockSeconds: Int64
    ) async throws {
        try await pool.write { db in
            let failure = LockoutPolicy(threshold: threshold, lockSeconds: lockSeconds).failure(key, attempt: attempt, at: now)
            if let lockUntil = failure.lockUntil {
                try db.execute(
                    sql: "UPDATE login_failures SET locked_until = ? WHERE domain_id = ? AND identifier = ?",
                    arguments: [lockUntil, key.domainID, key.identifier])
            }
            for event in failure.events { try Self.audit(db, event) }
        }
    }

    public func clearLoginFailures(_ key: LoginAttemptKey) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM login_failures WHERE domain_id = ? AND identifier = ?", arguments: [key.domainID, key.identifier])
        }
    }

    // MARK: Sessions

    public func createSession(_ session: Session, firstToken: RefreshTokenRecord, clearing key: LoginAttemptKey?) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO sessions (id, uid, dialect, client_id, created_at, absolute_expires_at)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    session.id, session.uid, session.dialect.rawValue, session.clientID, session.createdAt,
                    session.absoluteExpiresAt,
                ])
            try Self.insert(db, firstToken)
            try db.execute(sql: "UPDATE users SET last_login_at = ? WHERE uid = ?", arguments: [session.createdAt, session.uid])
            if let key {
                try db.execute(
                    sql: "DELETE FROM login_failures WHERE domain_id = ? AND identifier = ?",
                    arguments: [key.domainID, key.identifier])
            }
            try Self.audit(
                db, AuditEvent(at: session.createdAt, kind: "login", uid: session.uid, sessionID: session.id, detail: session.dialect.rawValue))
        }
    }

    /// Rotations are group-committed (``RotationGroupCommit``): concurrent rotations share one
    /// transaction and one fsync, each in its own savepoint, and each returns only once that
    /// transaction is committed.
    public func rotate(
        _ request: RotationRequest, decide: @escaping @Sendable (RotationInput) -> RotationDecision
    ) async throws -> RotationResult {
        try await rotations.rotate { db in try self.applyRotation(db, request, decide: decide) }
    }

    /// What the rotation group commit did so far (transactions, rotations, the largest batch,
    /// rotations queued now).
    public var rotationStatistics: GroupCommitStatistics { rotations.statistics }

    /// Checkpoints the background checkpointer ran so far (``WALCheckpointer``).
    public var backgroundCheckpoints: Int { checkpointer.runs }

    /// One rotation inside the caller's transaction: looks the presented token up with its
    /// session, user and domain, asks `decide`, and applies the verdict.
    func applyRotation(
        _ db: Database, _ request: RotationRequest, decide: @Sendable (RotationInput) -> RotationDecision
    ) throws -> RotationResult {
        if let key = request.clearing {
            try db.execute(
                sql: "DELETE FROM login_failures WHERE domain_id = ? AND identifier = ?", arguments: [key.domainID, key.identifier])
        }
        // Cached statements: the writer prepares the hot path's SQL once, not per rotation.
        let (filter, arguments) = Self.filter(request.token)
        let row = try Row.fetchOne(db.cachedStatement(sql: Self.stateSelect + filter), arguments: arguments)
        guard let row else { return .notFound }
        let token = Self.token(row)
        let state = try self.state(row, at: Self.stateAfterToken)
        switch decide(RotationInput(token: token, state: state)) {
        case .rotate(let expiresAt):
            // By primary key: the row found above, without a second search of the hash index.
            try db.cachedStatement(
                sql: "UPDATE refresh_tokens SET rotated_at = ?, successor_hash = ? WHERE session_id = ? AND id = ? AND rotated_at IS NULL"
            ).execute(arguments: [request.now, Data(request.successorHash), token.sessionID, token.id])
            guard db.changesCount == 1 else { return .rejected(reason: "already-rotated") }
            let successor = RefreshTokenRecord(
                id: request.successorID, tokenHash: request.successorHash, sessionID: token.sessionID,
                issuedAt: request.now, expiresAt: expiresAt, isLocated: request.successorIsLocated)
            try Self.insert(db, successor)
            // One insert inside the rotation's own transaction: no extra commit (fsync).
            try Self.audit(
                db, AuditEvent(at: request.now, kind: "refresh", uid: state.user.uid, sessionID: token.sessionID, detail: state.session.dialect.rawValue))
            return .rotated(state, successor: successor)
        case .replay:
            // The successor this request derived, at its primary key; or, for a rotation made
            // before schema v5, the legacy successor it recorded.
            guard let hash = token.successorHash,
                let successorRow = try Self.fetchToken(
                    db, RefreshTokenKey(hash: hash, location: .init(sessionID: token.sessionID, id: request.successorID)))
                    ?? Self.fetchToken(db, RefreshTokenKey(hash: hash))
            else { return .rejected(reason: "successor-missing") }
            return .replayed(state, successor: Self.token(successorRow))
        case .revokeSession(let reason):
            try db.execute(
                sql: "UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [request.now, reason, token.sessionID])
            try Self.audit(
                db, AuditEvent(at: request.now, kind: "refresh-reuse", uid: state.user.uid, sessionID: token.sessionID, detail: reason))
            return .revoked(state, reason: reason)
        case .reject(let reason):
            return .rejected(reason: reason)
        }
    }

    public func refreshToken(id: String, sessionID: String) async throws -> RefreshTokenRecord? {
        try await pointRead { db in
            try Row.fetchOne(db.cachedStatement(sql: Self.selectToken + " WHERE id = ? AND session_id = ?"), arguments: [id, sessionID])
                .map { Self.token($0) }
        }
    }

    public func refreshToken(_ key: RefreshTokenKey) async throws -> RefreshTokenRecord? {
        try await pointRead { db in try Self.fetchToken(db, key).map { Self.token($0) } }
    }

    /// The row of the refresh token `key` names (``tokenColumns``).
    static func fetchToken(_ db: Database, _ key: RefreshTokenKey) throws -> Row? {
        let (filter, arguments) = Self.filter(key, alias: "")
        return try Row.fetchOne(db.cachedStatement(sql: Self.selectToken + filter), arguments: arguments)
    }

    public func sessionState(id: String) async throws -> SessionState? {
        try await pointRead { db in
            try Row.fetchOne(db.cachedStatement(sql: Self.sessionSelect + " WHERE s.id = ?"), arguments: [id]).map { try self.state($0) }
        }
    }

    public func sessionState(refreshToken key: RefreshTokenKey) async throws -> SessionState? {
        let (filter, arguments) = Self.filter(key)
        return try await pointRead { db in
            try Row.fetchOne(db.cachedStatement(sql: Self.stateSelect + filter), arguments: arguments)
                .map { try self.state($0, at: Self.stateAfterToken) }
        }
    }

    public func revokeSession(id: String, at now: Int64, reason: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [now, reason, id])
            guard db.changesCount == 1 else { return false }
            let uid = try String.fetchOne(db, sql: "SELECT uid FROM sessions WHERE id = ?", arguments: [id])
            try Self.audit(db, AuditEvent(at: now, kind: "session-revoked", uid: uid, sessionID: id, detail: reason))
            return true
        }
    }

    public func sessions(uid: String?, limit: Int) async throws -> [Session] {
        try await pool.read { db in
            let rows: [Row]
            if let uid {
                rows = try Row.fetchAll(
                    db, sql: Self.selectSession + " WHERE uid = ? ORDER BY created_at DESC, id LIMIT ?", arguments: [uid, limit])
            } else {
                rows = try Row.fetchAll(db, sql: Self.selectSession + " ORDER BY created_at DESC, id LIMIT ?", arguments: [limit])
            }
            return rows.map { Self.session($0) }
        }
    }

    /// A short single-statement read: on this thread when an inline connection is idle
    /// (``InlineReaders``), else through the pool.
    func pointRead<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if case .done(let value) = try inline.read(body) { return value }
        return try await pool.read(body)
    }

    // MARK: Housekeeping

    /// Rows deleted per write transaction by ``sweep(cutoff:now:staleFailuresBefore:)``.
    public static let sweepBatch = 500

    /// Deletes what can no longer matter, in batches of ``sweepBatch``.
    ///
    /// Ended sessions and expired tokens are found on a reader, a page of keys at a time in key
    /// order (one pass over each table), and deleted by key on the writer, which checks each
    /// row's condition again, so that no delete rests on an earlier read. Looking for them inside
    /// the write transaction held the writer, and so every rotation, for as long as the search
    /// took (2 s over 1,000,000 sessions).
    public func sweep(cutoff: Int64, now: Int64, staleFailuresBefore: Int64) async throws -> SweepReport {
        var report = SweepReport()
        // Sessions first: their tokens go with them (ON DELETE CASCADE).
        report.sessions = try await sweepPages(after: "") { db, after in
            try String.fetchAll(
                db, sql: "SELECT s.id FROM sessions s WHERE s.id > ?2 AND (\(Self.sessionEnded("s"))) ORDER BY s.id LIMIT \(Self.sweepBatch)",
                arguments: [cutoff, after])
        } delete: { ids in
            try await self.deleteSessions(ids, endedBefore: cutoff)
        }
        report.refreshTokens = try await sweepPages(after: ("", "")) { db, after in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT session_id, id FROM refresh_tokens WHERE (session_id, id) > (?2, ?3) AND expires_at < ?1
                    ORDER BY session_id, id LIMIT \(Self.sweepBatch)
                    """,
                arguments: [cutoff, after.0, after.1]
            ).map { row -> (String, String) in (row[0], row[1]) }
        } delete: { keys in
            try await self.deleteTokens(keys, expiredBefore: cutoff)
        }
        // Failure counts: a small table, keyed for this query.
        while true {
            let deleted = try await pool.write { db in
                try db.execute(
                    sql: """
                        DELETE FROM login_failures WHERE (domain_id, identifier) IN (
                            SELECT domain_id, identifier FROM login_failures
                            WHERE (locked_until IS NOT NULL AND locked_until <= ?1) OR (locked_until IS NULL AND updated_at < ?2)
                            LIMIT \(Self.sweepBatch))
                        """,
                    arguments: [now, staleFailuresBefore])
                return db.changesCount
            }
            report.loginFailures += deleted
            if deleted < Self.sweepBatch { break }
        }
        return report
    }

    /// Pages through the keys `page` finds on a reader (at most ``sweepBatch`` after the given
    /// one, in key order) and hands each page to `delete`; returns the rows deleted.
    func sweepPages<Key: Sendable>(
        after first: Key, _ page: @escaping @Sendable (Database, Key) throws -> [Key], delete: ([Key]) async throws -> Int
    ) async throws -> Int {
        var after = first
        var deleted = 0
        while true {
            let from = after
            let keys = try await pool.read { db in try page(db, from) }
            guard let last = keys.last else { return deleted }
            deleted += try await delete(keys)
            if keys.count < Self.sweepBatch { return deleted }
            after = last
        }
    }

    /// Deletes the sessions among `ids` that ended before `cutoff`, checked again here: one named
    /// by a search that no longer holds is kept. Returns how many went.
    func deleteSessions(_ ids: [String], endedBefore cutoff: Int64) async throws -> Int {
        try await deleteEach(
            "DELETE FROM sessions WHERE id = ?2 AND (\(Self.sessionEnded("sessions")))", ids.map { [cutoff, $0] })
    }

    /// Deletes the refresh tokens among `keys` (session, id) that expired before `cutoff`,
    /// checked again here. Returns how many went.
    func deleteTokens(_ keys: [(String, String)], expiredBefore cutoff: Int64) async throws -> Int {
        try await deleteEach(
            "DELETE FROM refresh_tokens WHERE session_id = ? AND id = ? AND expires_at < ?", keys.map { [$0.0, $0.1, cutoff] })
    }

    /// Runs the DELETE `sql` once per set of arguments, in one write transaction; the rows deleted.
    func deleteEach(_ sql: String, _ rows: [StatementArguments]) async throws -> Int {
        try await pool.write { db in
            let delete = try db.cachedStatement(sql: sql)
            var deleted = 0
            for arguments in rows {
                try delete.execute(arguments: arguments)
                deleted += db.changesCount
            }
            return deleted
        }
    }

    /// Whether the session `table` names has ended for good by `?1` (the cutoff): revoked, past
    /// its absolute lifetime, or without a token that expires after it.
    static func sessionEnded(_ table: String) -> String {
        """
        \(table).revoked_at < ?1 OR \(table).absolute_expires_at < ?1
        OR NOT EXISTS (SELECT 1 FROM refresh_tokens t WHERE t.session_id = \(table).id AND t.expires_at >= ?1)
        """
    }

    // MARK: Audit

    public func recordAudit(_ event: AuditEvent) async throws {
        try await pool.write { db in try Self.audit(db, event) }
    }

    public func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let uid = query.uid {
                conditions.append("uid = ?")
                arguments += [uid]
            }
            if let kind = query.kind {
                conditions.append("kind = ?")
                arguments += [kind]
            }
            arguments += [max(0, query.limit)]
            let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
            return try Row.fetchAll(db, sql: "SELECT * FROM audit_events\(filter) ORDER BY id DESC LIMIT ?", arguments: arguments).map { row in
                AuditEvent(at: row["at"], kind: row["kind"], uid: row["uid"], sessionID: row["session_id"], detail: row["detail"])
            }
        }
    }

    public func deleteAuditEvents(before cutoff: Int64) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await pool.write { db in
                try db.execute(
                    sql: "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < ? LIMIT \(Self.sweepBatch))",
                    arguments: [cutoff])
                return db.changesCount
            }
            total += deleted
            if deleted < Self.sweepBatch { return total }
        }
    }

    /// Runs `PRAGMA integrity_check`; `"ok"` for a sound file.
    public func integrityCheck() async throws -> String {
        try await pool.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "" }
    }
}

// MARK: - Row mapping

extension SQLiteStore {
    // Reads of tokens, sessions, users and domains name their columns and decode them by
    // position: the column lists below are the one layout both the SQL and the decoders
    // follow. Decoding by name costs a case-insensitive search per column, which the writer
    // paid about thirty times per rotation and `userInfo` as many times per call.

    static let tokenColumns = [
        "token_hash", "id", "session_id", "issued_at", "expires_at", "rotated_at", "successor_hash", "located",
    ]
    static let sessionColumns = [
        "id", "uid", "dialect", "client_id", "created_at", "absolute_expires_at", "revoked_at", "revoke_reason",
    ]
    static let userColumns = [
        "uid", "domain_id", "email", "phone", "international_code", "username", "nickname", "password_hash", "enabled",
        "registered_at", "last_login_at",
    ]
    static let domainColumns = ["id", "name", "secret", "secret_kek_id", "enabled", "created_at"]

    /// `t.a, t.b, …` (or `a, b, …` without an alias).
    static func list(_ columns: [String], _ alias: String? = nil) -> String {
        columns.map { column in alias.map { "\($0).\(column)" } ?? column }.joined(separator: ", ")
    }

    static let selectToken = "SELECT \(list(tokenColumns)) FROM refresh_tokens"
    static let selectSession = "SELECT \(list(sessionColumns)) FROM sessions"
    static let selectUser = "SELECT \(list(userColumns)) FROM users"
    static let selectDomain = "SELECT \(list(domainColumns)) FROM domains"

    /// Session, user and domain columns, in the order ``state(_:at:)`` reads them.
    static let stateColumns = "\(list(sessionColumns, "s")), \(list(userColumns, "u")), \(list(domainColumns, "d"))"

    /// A refresh token (``token(_:at:)`` at 0) with its session state (``state(_:at:)`` after
    /// the token's columns).
    static let stateSelect = """
        SELECT \(list(tokenColumns, "t")), \(stateColumns)
        FROM refresh_tokens t
        JOIN sessions s ON s.id = t.session_id
        JOIN users u ON u.uid = s.uid
        JOIN domains d ON d.id = u.domain_id
        """
    static let stateAfterToken = tokenColumns.count

    /// The `WHERE` clause that finds the refresh token `key` names, and its arguments: by primary
    /// key and hash when it has a location, else among the legacy rows by hash (the condition
    /// `located = 0` is what lets SQLite use the partial hash index).
    static func filter(_ key: RefreshTokenKey, alias: String = "t") -> (String, StatementArguments) {
        let p = alias.isEmpty ? "" : alias + "."
        if let location = key.location {
            return (" WHERE \(p)session_id = ? AND \(p)id = ? AND \(p)token_hash = ?", [location.sessionID, location.id, Data(key.hash)])
        }
        return (" WHERE \(p)token_hash = ? AND \(p)located = 0", [Data(key.hash)])
    }

    /// A session's state (``state(_:at:)`` at 0).
    static let sessionSelect = """
        SELECT \(stateColumns)
        FROM sessions s
        JOIN users u ON u.uid = s.uid
        JOIN domains d ON d.id = u.domain_id
        """

    /// A domain row from `offset` on (``domainColumns``), its secret opened with the store's KEK.
    func domain(_ row: Row, at o: Int = 0) throws -> UserDomain {
        let name: String = row[o + 1]
        let secret = try sealer.open(text: row[o + 2], kekID: row[o + 3], context: "domains/\(name)")
        return UserDomain(id: row[o], name: name, secret: secret, enabled: row[o + 4], createdAt: row[o + 5])
    }

    static func client(_ row: Row) -> OAuthClient {
        OAuthClient(id: row["client_id"], domainID: row["domain_id"], secretHash: row["secret_hash"], createdAt: row["created_at"])
    }

    /// A user from `offset` on (``userColumns``).
    static func user(_ row: Row, at o: Int = 0) -> User {
        User(
            uid: row[o], domainID: row[o + 1], email: row[o + 2], phone: row[o + 3], internationalCode: row[o + 4],
            username: row[o + 5], nickname: row[o + 6], passwordHash: row[o + 7], enabled: row[o + 8], registeredAt: row[o + 9],
            lastLoginAt: row[o + 10])
    }

    /// A session from `offset` on (``sessionColumns``).
    static func session(_ row: Row, at o: Int = 0) -> Session {
        Session(
            id: row[o], uid: row[o + 1], dialect: Dialect(rawValue: row[o + 2]) ?? .enduser, clientID: row[o + 3],
            createdAt: row[o + 4], absoluteExpiresAt: row[o + 5], revokedAt: row[o + 6], revokeReason: row[o + 7])
    }

    /// Session, user and domain from `offset` on (``stateColumns``).
    func state(_ row: Row, at o: Int = 0) throws -> SessionState {
        let user = o + Self.sessionColumns.count
        return SessionState(
            session: Self.session(row, at: o), user: Self.user(row, at: user), domain: try domain(row, at: user + Self.userColumns.count))
    }

    /// A refresh token from `offset` on (``tokenColumns``).
    static func token(_ row: Row, at o: Int = 0) -> RefreshTokenRecord {
        let hash: Data = row[o]
        let successor: Data? = row[o + 6]
        return RefreshTokenRecord(
            id: row[o + 1], tokenHash: Array(hash), sessionID: row[o + 2], issuedAt: row[o + 3], expiresAt: row[o + 4],
            rotatedAt: row[o + 5], successorHash: successor.map { Array($0) }, isLocated: row[o + 7])
    }

    static func insert(_ db: Database, _ token: RefreshTokenRecord) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO refresh_tokens (token_hash, id, session_id, issued_at, expires_at, rotated_at, successor_hash, located)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                Data(token.tokenHash), token.id, token.sessionID, token.issuedAt, token.expiresAt, token.rotatedAt,
                token.successorHash.map { Data($0) }, token.isLocated,
            ])
    }

    static func audit(_ db: Database, _ event: AuditEvent) throws {
        try db.cachedStatement(sql: "INSERT INTO audit_events (at, kind, uid, session_id, detail) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [event.at, event.kind, event.uid, event.sessionID, event.detail])
    }

    /// Turns constraint violations into ``SesameError``s that name the rule, not the SQL.
    func mapErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            let message = error.message ?? ""
            if error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
                throw SesameError(.notFound, "a referenced record does not exist")
            }
            if message.contains("domains.name") { throw SesameError(.conflict, "a domain with that name exists") }
            if message.contains("users.email") { throw SesameError(.conflict, "that e-mail is already registered in the domain") }
            if message.contains("users.phone") { throw SesameError(.conflict, "that phone number is already registered in the domain") }
            if message.contains("users.username") { throw SesameError(.conflict, "that user name is taken in the domain") }
            if message.contains("clients.client_id") { throw SesameError(.conflict, "a client with that client_id exists") }
            throw SesameError(.invalidInput, "the record breaks a rule of the schema")
        }
    }
}
