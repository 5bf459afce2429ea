import CoreMetrics

/// The counters and histograms Sesame records, through an injected swift-metrics factory
/// (never the global `MetricsSystem`, so that tests can each have their own registry).
///
/// | metric | dimensions | what |
/// |---|---|---|
/// | `sesame_http_requests_total` | `route`, `status` (`2xx` ...) | requests answered |
/// | `sesame_http_request_duration_seconds` | `route` | request latency (histogram) |
/// | `sesame_logins_total` | `dialect`, `outcome` | password logins checked by the core |
/// | `sesame_refreshes_total` | `dialect`, `outcome` (`rotated`, `replayed`, `reuse-revoked`, `rejected`, `rate-limited`) | refreshes |
/// | `sesame_refresh_reuse_detections_total` | `dialect` | sessions revoked for reuse |
/// | `sesame_lockouts_total` | `dialect` | identifiers frozen |
/// | `sesame_store_operation_duration_seconds` | `operation` | store latency (histogram) |
public struct SesameMetrics: Sendable {
    public let factory: any MetricsFactory

    public init(factory: any MetricsFactory) { self.factory = factory }

    /// Records nothing.
    public static let disabled = SesameMetrics(factory: NOOPMetricsHandler.instance)

    /// A password login the core checked, by outcome: `success`, `invalid-credentials`,
    /// `frozen`, `unknown-account`, `user-disabled`, `domain-disabled`, `rate-limited` or `error`.
    public func login(_ dialect: Dialect, outcome: String) {
        Counter(label: "sesame_logins_total", dimensions: [("dialect", dialect.rawValue), ("outcome", outcome)], factory: factory)
            .increment()
    }

    /// A refresh, by outcome: `rotated`, `replayed`, `reuse-revoked`, `rejected` or `rate-limited`.
    public func refresh(_ dialect: Dialect, outcome: String) {
        Counter(label: "sesame_refreshes_total", dimensions: [("dialect", dialect.rawValue), ("outcome", outcome)], factory: factory)
            .increment()
        if outcome == "reuse-revoked" {
            Counter(label: "sesame_refresh_reuse_detections_total", dimensions: [("dialect", dialect.rawValue)], factory: factory)
                .increment()
        }
    }

    /// An identifier frozen after too many failures.
    public func lockout(_ dialect: Dialect) {
        Counter(label: "sesame_lockouts_total", dimensions: [("dialect", dialect.rawValue)], factory: factory).increment()
    }

    /// An HTTP request answered with `status` on `route` (the matched route pattern, or
    /// `unmatched`), after `nanoseconds`.
    public func request(route: String, status: Int, nanoseconds: Int64) {
        Counter(label: "sesame_http_requests_total", dimensions: [("route", route), ("status", "\(status / 100)xx")], factory: factory)
            .increment()
        Timer(label: "sesame_http_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(nanoseconds)
    }

    /// A store operation that took `nanoseconds` (successful or not).
    public func storeOperation(_ operation: String, nanoseconds: Int64) {
        Timer(label: "sesame_store_operation_duration_seconds", dimensions: [("operation", operation)], factory: factory)
            .recordNanoseconds(nanoseconds)
    }

    /// Runs `body` and records its duration as the store operation `operation`.
    public func measure<T>(_ operation: String, _ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer { storeOperation(operation, nanoseconds: Self.nanoseconds(ContinuousClock.now - start)) }
        return try await body()
    }

    static func nanoseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
    }
}
