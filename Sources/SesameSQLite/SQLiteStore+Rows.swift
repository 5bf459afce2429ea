import Foundation
import GRDB
import SesameCore

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
