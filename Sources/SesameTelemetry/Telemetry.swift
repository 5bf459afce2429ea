import CoreMetrics
import Prometheus
import SesameCore

/// One Prometheus registry and the ``SesameMetrics`` that record into it. The server makes one
/// and serves ``exposition()`` at `GET /metrics`; each test makes its own, so that no test
/// bootstraps the global `MetricsSystem`.
public struct Telemetry: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let metrics: SesameMetrics

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        self.metrics = SesameMetrics(factory: PrometheusMetricsFactory(registry: registry))
    }

    /// Every metric in the Prometheus text exposition format (version 0.0.4).
    public func exposition() -> String { registry.emitToString() }

    /// The `Content-Type` of ``exposition()``.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
