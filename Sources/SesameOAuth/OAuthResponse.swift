import HTTPTypes
import Hummingbird
import SesameHTTP

/// Success answers of the oauth dialect.
enum OAuthResponse {
    /// RFC 6749 §5.1: answers that carry tokens must not be cached (`Cache-Control: no-store`
    /// is set by ``JSONResponse``; `Pragma: no-cache` for HTTP/1.0 caches).
    static let noStoreHeaders: HTTPFields = [pragma: "no-cache"]

    static let pragma = HTTPField.Name("Pragma")!

    /// `value` as JSON, never cached.
    /// - Throws: `EncodingError` when `value` cannot be encoded (the controller answers `server_error` then).
    static func json(_ value: some Encodable) throws -> Response {
        try JSONResponse.make(value, headers: noStoreHeaders)
    }

    /// `value` as JSON that caches may keep for five minutes (public keys, metadata).
    static func cacheable(_ value: some Encodable) throws -> Response {
        try JSONResponse.make(value, cacheControl: "public, max-age=300")
    }

    /// RFC 7009 §2.2: 200 with an empty body.
    static func empty() -> Response {
        var headers = noStoreHeaders
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers)
    }
}

/// RFC 6749 §5.1.
struct OAuthTokenResponse: Encodable {
    var access_token: String
    var token_type = "Bearer"
    /// Seconds from now.
    var expires_in: Int64
    var refresh_token: String
}

/// RFC 7662 §2.2, for a live token.
struct OAuthIntrospectionResponse: Encodable {
    var active = true
    var client_id: String
    var sub: String
    var iss: String
    var jti: String
    var iat: Int64
    var exp: Int64
    var nbf: Int64?
    var aud: String?
    /// `Bearer` for an access token; `refresh_token` for a refresh token, so that a resource
    /// server never mistakes one for an access token.
    var token_type: String
}

/// RFC 7662 §2.2: anything not live is exactly this.
struct OAuthInactive: Encodable {
    var active = false
}

/// `/oauth/userinfo`, with OpenID Connect's claim names; absent fields are left out.
struct OAuthUserInfo: Encodable {
    var sub: String
    var email: String?
    var phone_number: String?
    var preferred_username: String?
    var nickname: String?
}
