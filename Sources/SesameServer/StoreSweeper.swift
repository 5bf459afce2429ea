import Logging
import SesameCore
import ServiceLifecycle

/// Background housekeeping, run as a `Service` beside the HTTP server: every `interval` it
/// deletes refresh tokens and sessions that ended more than `retention` seconds ago, and
/// failure counts that went quiet for a lockout period, so that the store does not grow
/// without bound; and audit events older than `auditRetention`.
///
/// Used refresh tokens are kept until they expire (plus `retention`), so reuse detection still
/// sees them; a deleted session's tokens fail like any unknown token.
public struct StoreSweeper: Service {
    public let service: TokenService
    /// Seconds between sweeps.
    public let interval: Int64
    /// Seconds an ended session or expired token is kept before deletion.
    public let retention: Int64
    /// Seconds audit events are kept; 0 keeps them for ever.
    public let auditRetention: Int64

    public init(service: TokenService, interval: Int64 = 3_600, retention: Int64 = 86_400, auditRetention: Int64 = 0) {
        self.service = service
        self.interval = interval
        self.retention = retention
        self.auditRetention = auditRetention
    }

    /// One sweep at the core's clock.
    @discardableResult
    public func sweepOnce() async throws -> SweepReport {
        let now = service.clock.unixNow()
        var report = try await service.store.sweep(
            cutoff: now - retention, now: now, staleFailuresBefore: now - service.configuration.lockoutSeconds)
        if auditRetention > 0 {
            report.auditEvents = try await service.store.deleteAuditEvents(before: now - auditRetention)
        }
        if report != SweepReport() {
            service.logger.info(
                "store swept",
                metadata: [
                    "refresh_tokens": "\(report.refreshTokens)", "sessions": "\(report.sessions)",
                    "login_failures": "\(report.loginFailures)", "audit_events": "\(report.auditEvents)",
                ])
        }
        return report
    }

    /// Sweeps every `interval` until graceful shutdown or cancellation, then returns normally
    /// (so that shutdown still exits 0). A failed sweep is logged and retried at the next
    /// interval.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await sweepOnce()
                } catch {
                    service.logger.error("store sweep failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                }
                try? await Task.sleep(for: .seconds(interval))
            }
        }
    }
}

extension StoreSweeper: CustomStringConvertible {
    /// What swift-service-lifecycle logs (at `debug`) when it starts and stops the service.
    /// Without it, the log would hold the whole ``TokenService`` by reflection: configuration,
    /// public keys, the dummy hash, and any secret a future member might hold.
    public var description: String { "StoreSweeper(interval: \(interval) s, retention: \(retention) s)" }
}
