import Hummingbird

/// The `Retry-After` header (RFC 9110 §10.2.3) of a refusal for too many requests.
public enum RetryAfter {
    /// `response` with `Retry-After: seconds` (at least 1) when `seconds` is known.
    public static func add(_ seconds: Int64?, to response: Response) -> Response {
        guard let seconds else { return response }
        var response = response
        response.headers[.retryAfter] = String(max(1, seconds))
        return response
    }
}
