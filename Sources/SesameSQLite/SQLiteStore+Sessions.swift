import Foundation
import GRDB
import SesameCore

// Sessions and refresh-token rotation (group-committed), token and state look-ups.
extension SQLiteStore {
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
                db, .login(session))
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
                db, .refresh(state, at: request.now))
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
                db, .refreshReuse(state, reason: reason, at: request.now))
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
            try Self.audit(db, .sessionRevoked(id: id, uid: uid, reason: reason, at: now))
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
}
