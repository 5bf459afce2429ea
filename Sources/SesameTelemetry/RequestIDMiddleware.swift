import HTTPTypes
import Hummingbird
import SesameCore

/// Gives every request an id: the client's `X-Request-Id` when ``RequestID/isAcceptable(_:)``,
/// otherwise a new one. Serves the request with it as ``RequestID/current`` and echoes it in the
/// response's `X-Request-Id` header.
public struct RequestIDMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let field = HTTPField.Name(RequestID.headerName)!
        let id = request.headers[field].flatMap { RequestID.isAcceptable($0) ? $0 : nil } ?? RequestID.make()
        return try await RequestID.$current.withValue(id) {
            var response: Response
            do {
                response = try await next(request, context)
            } catch let error as any HTTPResponseError {
                response = try error.response(from: request, context: context)
            }
            response.headers[field] = id
            return response
        }
    }
}
