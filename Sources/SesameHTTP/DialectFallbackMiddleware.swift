import Hummingbird

/// Answers, in a dialect's own envelope, every request under the dialect's path prefix that no
/// route serves: an unknown endpoint, or a method the endpoint does not serve (whatever the
/// method, `TRACE` and WebDAV verbs included).
///
/// Hummingbird wraps its not-found responder in every router middleware when the router is
/// built, so adding this middleware *after* the routes puts it on the not-found path only,
/// costing nothing on served routes.
public struct DialectFallbackMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The dialect's prefix, e.g. `/v2/enduser/enduserapi`.
    public let prefix: String
    /// The dialect's endpoint names directly under ``prefix``.
    public let endpoints: Set<String>
    /// The envelope for a known endpoint with a wrong method (`true`) or an unknown path (`false`).
    public let answer: @Sendable (_ knownEndpoint: Bool) -> Response

    public init(prefix: String, endpoints: Set<String>, answer: @escaping @Sendable (_ knownEndpoint: Bool) -> Response) {
        self.prefix = prefix.hasPrefix("/") ? prefix : "/" + prefix
        self.endpoints = endpoints
        self.answer = answer
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let path = request.uri.path
            guard path == prefix || path.hasPrefix(prefix + "/") else { throw error }
            let rest = path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: true)
            return answer(rest.count == 1 && endpoints.contains(String(rest[0])))
        }
    }
}
