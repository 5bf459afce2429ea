import Hummingbird
import SesameCore

/// Says `Connection: close` on answers whose connection will not carry another request:
///
/// - the request asked to close (RFC 9112 §9.6: the server SHOULD say so too);
/// - the request asked to `Upgrade`. Sesame upgrades nothing, but SwiftNIO's HTTP/1.1 decoder
///   stops reading a connection after an upgrade request (apple/swift-nio#2570), so a further
///   request on it would wait until the idle timeout; this tells the client to open a new
///   connection instead.
public struct ConnectionHeaderMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if Self.endsConnection(request) { response.headers[.connection] = "close" }
        return response
    }

    static func endsConnection(_ request: Request) -> Bool {
        if request.headers[.upgrade] != nil { return true }
        return request.headers[values: .connection].contains { value in
            value.split(separator: ",").contains { String($0).trimmingWhitespace().lowercased() == "close" }
        }
    }
}
