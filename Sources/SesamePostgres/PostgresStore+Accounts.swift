import Foundation
import Logging
import PostgresNIO
import SesameCore

// Domains, users, oauth clients and the lockout rows (decided by `LockoutPolicy`).
extension PostgresStore {
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
                UPDATE sessions SET revoked_at = \(now), revoke_reason = \(RevokeReason.userDisabled) WHERE uid = \(uid) AND revoked_at IS NULL
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
                UPDATE sessions SET revoked_at = \(now), revoke_reason = \(RevokeReason.clientRemoved)
                WHERE client_id = \(id) AND revoked_at IS NULL
                """, logger: self.logger)
            return true
        }
    }

    // MARK: Lockout

    public func beginLoginAttempt(
        _ key: LoginAttemptKey, at now: Int64, policy: LockoutPolicy
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
            let claim = policy.claim(stored, at: now)
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
        _ key: LoginAttemptKey, attempt: Int, at now: Int64, policy: LockoutPolicy
    ) async throws {
        try await transaction { connection in
            let failure = policy.failure(key, attempt: attempt, at: now)
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
}
