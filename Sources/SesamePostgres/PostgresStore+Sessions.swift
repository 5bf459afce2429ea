import Foundation
import Logging
import PostgresNIO
import SesameCore

// Sessions and refresh-token rotation, token and state look-ups.
extension PostgresStore {
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
                .login(session))
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
                    .refresh(state, at: request.now))
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
                    .refreshReuse(state, reason: reason, at: request.now))
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
            try await self.audit(connection, .sessionRevoked(id: id, uid: uid, reason: reason, at: now))
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
}
