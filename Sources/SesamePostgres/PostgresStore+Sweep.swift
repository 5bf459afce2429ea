import Foundation
import Logging
import PostgresNIO
import SesameCore

// Housekeeping (the sweep) and the audit trail.
extension PostgresStore {
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
