import Foundation
import GRDB
import SesameCore

// Domains, users, oauth clients and the lockout rows (decided by `LockoutPolicy`).
extension SQLiteStore {
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
                sql: "UPDATE sessions SET revoked_at = ?, revoke_reason = ? WHERE uid = ? AND revoked_at IS NULL",
                arguments: [now, RevokeReason.userDisabled, uid])
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
                    UPDATE sessions SET revoked_at = ?, revoke_reason = ?
                    WHERE client_id = ? AND revoked_at IS NULL
                    """,
                arguments: [now, RevokeReason.clientRemoved, id])
            return true
        }
    }

    // MARK: Lockout

    public func beginLoginAttempt(
        _ key: LoginAttemptKey, at now: Int64, policy: LockoutPolicy
    ) async throws -> LoginAttemptSlot {
        try await pool.write { db in
            let row = try Row.fetchOne(
                db, sql: "SELECT failures, locked_until, updated_at FROM login_failures WHERE domain_id = ? AND identifier = ?",
                arguments: [key.domainID, key.identifier])
            let stored = row.map { LockoutPolicy.Row(failures: $0["failures"], lockedUntil: $0["locked_until"], updatedAt: $0["updated_at"]) }
            let claim = policy.claim(stored, at: now)
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
        _ key: LoginAttemptKey, attempt: Int, at now: Int64, policy: LockoutPolicy
    ) async throws {
        try await pool.write { db in
            let failure = policy.failure(key, attempt: attempt, at: now)
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
}
