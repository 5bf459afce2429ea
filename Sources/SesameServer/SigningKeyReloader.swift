import Logging
import SesameCore
import ServiceLifecycle

/// Reloads the signing keys from the store every `interval` seconds, so that a key rotated or
/// retired by another process (`sesame key rotate` next to a running server, or another server
/// on the same database) is used without a restart. Runs beside the HTTP server as a `Service`
/// and stops with it.
///
/// Tokens naming a `kid` the ring does not know also trigger a reload, at most every
/// ``SigningKeyRing/unknownKidReloadInterval`` seconds.
public struct SigningKeyReloader: Service {
    public let ring: SigningKeyRing
    public let interval: Int64
    public let logger: Logger

    public init(ring: SigningKeyRing, interval: Int64, logger: Logger) {
        self.ring = ring
        self.interval = interval
        self.logger = logger
    }

    /// Reloads every `interval` until graceful shutdown or cancellation, then returns normally.
    /// A failed reload is logged and the current keys stay in use.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                guard !Task.isCancelled else { break }
                let before = ring.activeKid
                do {
                    try await ring.reload()
                    if ring.activeKid != before {
                        logger.notice("signing key changed", metadata: ["kid": "\(ring.activeKid)"])
                    }
                } catch {
                    logger.error("signing key reload failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                }
            }
        }
    }
}
