import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import NIOCore
import SesameCore
import SesameEnduser
import SesameHTTP
import SesameKanfang
import SesameOAuth
import SesameTelemetry

/// Builds the HTTP application: the three dialects on one token core, plus `/health` and
/// `/openapi.json`.
public enum SesameApplication {
    /// The router with every route; used directly by in-process tests.
    ///
    /// - Parameter telemetry: when given, requests are counted into it and `GET /metrics`
    ///   serves it; it should be the one whose metrics `service` records into.
    public static func router(service: TokenService, limits: HTTPLimits, telemetry: Telemetry? = nil) -> Router<SesameRequestContext> {
        let router = Router(context: SesameRequestContext.self)
        router.add(middleware: ConnectionHeaderMiddleware())
        router.add(middleware: RequestIDMiddleware())
        if let telemetry {
            router.add(middleware: MetricsMiddleware(metrics: telemetry.metrics))
            router.get("metrics") { _, _ -> Response in
                Response(
                    status: .ok, headers: [.contentType: Telemetry.contentType, .cacheControl: "no-store"],
                    body: .init(byteBuffer: ByteBuffer(string: telemetry.exposition())))
            }
        }
        router.add(middleware: RequestLogMiddleware(logger: service.logger))
        router.get("health") { _, _ -> Response in
            do {
                try await service.store.ping()
                return JSONResponse.fixed(["status": "ok"], status: .ok)
            } catch {
                var metadata: Logger.Metadata = ["error": "\(String(reflecting: type(of: error)))"]
                // The store's own unavailability reasons (a database it cannot reach) name no secret.
                if let error = error as? SesameError, error.code == .unavailable { metadata["reason"] = "\(error.message)" }
                service.logger.error("health check: store unreachable", metadata: metadata)
                return JSONResponse.fixed(["status": "store unreachable"], status: .serviceUnavailable)
            }
        }
        router.get("openapi.json") { _, _ -> Response in
            JSONResponse.raw(OpenAPIDocument.bytes, cacheControl: "public, max-age=300")
        }
        EnduserController(service: service, limits: limits).addRoutes(to: router)
        KanfangController(service: service, limits: limits).addRoutes(to: router)
        OAuthController(service: service, limits: limits).addRoutes(to: router)
        // After the routes: these then wrap only the not-found responder.
        router.add(middleware: EnduserController.fallback())
        router.add(middleware: KanfangController.fallback())
        for fallback: DialectFallbackMiddleware<SesameRequestContext> in OAuthController.fallbacks() {
            router.add(middleware: fallback)
        }
        return router
    }

    /// The application listening on `host:port`; `onListening` receives the bound address
    /// (useful with port 0).
    public static func make(
        service: TokenService, settings: ServerSettings, telemetry: Telemetry? = nil,
        onListening: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }
    ) -> some ApplicationProtocol {
        var services: [any Service] = []
        if settings.sweepInterval > 0 {
            services.append(
                StoreSweeper(
                    service: service, interval: settings.sweepInterval, retention: settings.sweepRetention,
                    auditRetention: settings.auditRetention))
        }
        if settings.memoryTrimInterval > 0 {
            services.append(MemoryTrimmer(interval: settings.memoryTrimInterval))
        }
        services.append(
            SigningKeyReloader(ring: service.keys, interval: service.configuration.signingKeyReloadInterval, logger: service.logger))
        return Application(
            router: router(service: service, limits: settings.limits, telemetry: telemetry),
            // Idle connections are closed, so that a client holding sockets open cannot exhaust them.
            server: .http1(configuration: .init(idleTimeout: .seconds(settings.idleTimeoutSeconds))),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "Sesame"),
            services: services,
            onServerRunning: { channel in
                let address = channel.localAddress
                await onListening(address?.ipAddress ?? settings.host, address?.port ?? settings.port)
            },
            logger: service.logger)
    }
}

/// Logs each request's method, path (never the query: kanfang sends tokens there), status and
/// duration at debug level.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard logger.logLevel <= .debug else { return try await next(request, context) }
        let start = ContinuousClock.now
        let response = try await next(request, context)
        logger.debug(
            "request",
            metadata: [
                "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(response.status.code)",
                "duration_ms": "\(Self.milliseconds(ContinuousClock.now - start))",
            ])
        return response
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000 + d.components.attoseconds / 1_000_000_000_000_000
    }
}
