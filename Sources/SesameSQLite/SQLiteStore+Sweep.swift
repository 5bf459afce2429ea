import Foundation
import GRDB
import SesameCore

// Housekeeping (the sweep) and the audit trail.
extension SQLiteStore {
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
