import Foundation
import Logging
import PostgresNIO
import SesameCore

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
