import Hummingbird
import SesameCore

/// Counts every request by route and status class and records its latency
/// (`sesame_http_requests_total`, `sesame_http_request_duration_seconds`). The route is the
/// matched pattern (`/v2/enduser/enduserapi/refreshToken`), or `unmatched`, so that clients
/// cannot grow the number of series.
public struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    public let metrics: SesameMetrics

    public init(metrics: SesameMetrics) { self.metrics = metrics }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let status: Int
        defer {
            let elapsed = ContinuousClock.now - start
            // Hummingbird names the not-found responder's path "NotFound".
            let route = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 } ?? "unmatched"
            metrics.request(
                route: route, status: status,
                nanoseconds: elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as any HTTPResponseError {
            status = error.status.code
            throw error
        } catch {
            status = 500
            throw error
        }
    }
}
