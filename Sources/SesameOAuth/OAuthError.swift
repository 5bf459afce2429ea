import Hummingbird
import SesameHTTP

/// An error answer of the oauth dialect (RFC 6749 §5.2, RFC 6750 §3): a JSON body
/// `{"error": CODE, "error_description": TEXT}` with the HTTP status of its kind, and a
/// `WWW-Authenticate` challenge where HTTP asks for one (every 401).
///
/// Descriptions are fixed texts written here: never a token, a secret or a password.
struct OAuthError: Error, Sendable {
    var code: String
    var description: String
    var status: HTTPResponse.Status
    /// The `WWW-Authenticate` value, for 401 answers.
    var challenge: String?

    /// The request is malformed: a missing, repeated or undecodable parameter, a body that is
    /// not form-encoded, two client authentication methods.
    static func invalidRequest(_ description: String) -> OAuthError {
        OAuthError(code: "invalid_request", description: description, status: .badRequest)
    }

    /// Client authentication failed. Always 401 with a `Basic` challenge (RFC 6749 §5.2: the
    /// scheme the client may use; HTTP requires a challenge with every 401).
    static func invalidClient(_ description: String = "client authentication failed") -> OAuthError {
        OAuthError(code: "invalid_client", description: description, status: .unauthorized, challenge: #"Basic realm="sesame""#)
    }

    /// The credentials or refresh token are invalid, expired, revoked, or another client's.
    static func invalidGrant(_ description: String) -> OAuthError {
        OAuthError(code: "invalid_grant", description: description, status: .badRequest)
    }

    static func unauthorizedClient(_ description: String) -> OAuthError {
        OAuthError(code: "unauthorized_client", description: description, status: .badRequest)
    }

    static func unsupportedGrantType() -> OAuthError {
        OAuthError(
            code: "unsupported_grant_type", description: "grant_type must be password or refresh_token", status: .badRequest)
    }

    /// RFC 6750 §3.1: a bearer token that is invalid, expired or revoked.
    static func invalidToken() -> OAuthError {
        OAuthError(
            code: "invalid_token", description: "the access token is invalid, expired or revoked", status: .unauthorized,
            challenge: #"Bearer error="invalid_token""#)
    }

    /// RFC 6750 §3: no bearer token at all: a bare challenge, no error code in it.
    static func bearerTokenMissing() -> OAuthError {
        OAuthError(
            code: "invalid_request", description: "send the access token as Authorization: Bearer TOKEN", status: .unauthorized,
            challenge: "Bearer")
    }

    /// The store did not answer (RFC 6749 §4.1.2.1's code, with 503): worth retrying later.
    static func temporarilyUnavailable() -> OAuthError {
        OAuthError(
            code: "temporarily_unavailable", description: "the service is temporarily unavailable", status: .serviceUnavailable)
    }

    /// The caller's address used up a per-address limit: 429, with `Retry-After` added by the
    /// caller. RFC 6749 has no code for it; `temporarily_unavailable` says "try again later".
    static func tooManyRequests() -> OAuthError {
        OAuthError(
            code: "temporarily_unavailable", description: "too many requests from this address, try again later",
            status: .tooManyRequests)
    }

    static func serverError() -> OAuthError {
        OAuthError(code: "server_error", description: "internal server error", status: .internalServerError)
    }

    var response: Response {
        var headers = OAuthResponse.noStoreHeaders
        if let challenge { headers[.wwwAuthenticate] = challenge }
        return JSONResponse.fixed(OAuthErrorBody(error: code, error_description: description), status: status, headers: headers)
    }
}

struct OAuthErrorBody: Encodable {
    var error: String
    var error_description: String
}
