import Foundation
import Logging
import PostgresNIO
import SesameCore

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
