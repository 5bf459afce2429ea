import Hummingbird
import Logging
import SesameCore
import SesameHTTP

/// Standard OAuth 2.0 (CONTRACT.md §6): `/oauth/token` (grants `password` and
/// `refresh_token`), `/oauth/revoke` (RFC 7009), `/oauth/introspect` (RFC 7662),
/// `/oauth/userinfo`, `/.well-known/jwks.json` (RFC 7517) and
/// `/.well-known/oauth-authorization-server` (RFC 8414): a codec between RFC parameters and
/// answers and the token core.
///
/// Sessions belong to the registered client that created them: another client cannot
/// refresh them (`invalid_grant`), revoke them (200, nothing revoked) or see them active
/// (`{"active": false}`). Every refusal happens before anything is consumed.
public struct OAuthController: Sendable {
    public let service: TokenService
    public let limits: HTTPLimits

    public init(service: TokenService, limits: HTTPLimits = HTTPLimits()) {
        self.service = service
        self.limits = limits
    }

    /// The endpoints' path prefix.
    public static let prefix = "oauth"
    /// The well-known documents' prefix.
    public static let wellKnownPrefix = ".well-known"

    /// `username` longer than this is refused before any lookup; `password` longer than
    /// ``maxSecretBytes`` before any hashing.
    static let maxUsernameBytes = 320
    static let maxSecretBytes = 1_024
    /// Tokens longer than this cannot be Sesame's and are not looked at.
    static let maxTokenBytes = 8_192

    /// The endpoints under ``prefix``: the one spelling of each route's name, used by the
    /// routes and the fallback.
    public enum Endpoint: String, DialectEndpoint {
        case token, revoke, introspect, userinfo
    }

    /// The endpoints under ``wellKnownPrefix``.
    public enum WellKnown: String, DialectEndpoint {
        case jwks = "jwks.json"
        case metadata = "oauth-authorization-server"
    }

    /// Adds the dialect's routes.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let group = router.group(RouterPath(Self.prefix))
        let addresses = limits.clientAddresses
        group.post(Endpoint.token.path) { request, context in
            await answer { try await token(request, from: addresses.clientAddress(request, context)) }
        }
        group.post(Endpoint.revoke.path) { request, context in
            await answer { try await revoke(request, from: addresses.clientAddress(request, context)) }
        }
        group.post(Endpoint.introspect.path) { request, context in
            await answer { try await introspect(request, from: addresses.clientAddress(request, context)) }
        }
        group.get(Endpoint.userinfo.path) { request, _ in await answer { try await userInfo(request) } }
        let wellKnown = router.group(RouterPath(Self.wellKnownPrefix))
        wellKnown.get(WellKnown.jwks.path) { _, _ in await answer { try OAuthResponse.cacheable(service.keys.publicKeySet) } }
        wellKnown.get(WellKnown.metadata.path) { _, _ in
            await answer { try OAuthResponse.cacheable(AuthorizationServerMetadata(issuer: service.issuer)) }
        }
    }

    /// Answers unknown paths (404) and wrong methods (405) under `/oauth/` and
    /// `/.well-known/` with the dialect's error body. Add them to the router after the routes.
    public static func fallbacks<Context: RequestContext>() -> [DialectFallbackMiddleware<Context>] {
        let answer: @Sendable (Bool) -> Response = { known in
            known
                ? OAuthError(code: "invalid_request", description: "method not allowed", status: .methodNotAllowed).response
                : OAuthError(code: "invalid_request", description: "no such endpoint", status: .notFound).response
        }
        return [
            DialectFallbackMiddleware(prefix: prefix, endpoints: Endpoint.names, answer: answer),
            DialectFallbackMiddleware(prefix: wellKnownPrefix, endpoints: WellKnown.names, answer: answer),
        ]
    }

    // MARK: Endpoints

    /// RFC 6749 §4.3 and §6. Checks, in order: the form, the client, `grant_type`, the grant's
    /// parameters, then the grant itself.
    ///
    /// - Parameter address: the caller's IP address, for the per-address limits.
    func token(_ request: Request, from address: String?) async throws -> Response {
        let form = try await OAuthForm.read(from: request, bodyLimit: limits.maxBodyBytes)
        let client = try await authenticate(request, form, from: address)
        switch form["grant_type"] {
        case .none:
            throw OAuthError.invalidRequest("grant_type is required")
        case "password":
            guard let username = form["username"], let password = form["password"] else {
                throw OAuthError.invalidRequest("username and password are required")
            }
            guard username.utf8.count <= Self.maxUsernameBytes, password.utf8.count <= Self.maxSecretBytes else {
                throw OAuthError.invalidRequest("username or password is too long")
            }
            let domain = try await service.domain(of: client)
            let pair = try await service.login(
                domain: domain, identifier: .anyOf(username), password: password, dialect: .oauth, clientID: client.id,
                from: address)
            return try Self.encode(pair)
        case "refresh_token":
            guard let refreshToken = form["refresh_token"] else { throw OAuthError.invalidRequest("refresh_token is required") }
            let pair = try await service.refresh(.refreshToken(refreshToken), dialect: .oauth, clientID: client.id, from: address)
            return try Self.encode(pair)
        default:
            throw OAuthError.unsupportedGrantType()
        }
    }

    /// RFC 7009. The answer is 200 whether or not anything was revoked: unknown tokens, other
    /// clients' tokens and already-ended sessions are indistinguishable from success.
    func revoke(_ request: Request, from address: String?) async throws -> Response {
        let form = try await OAuthForm.read(from: request, bodyLimit: limits.maxBodyBytes)
        let client = try await authenticate(request, form, from: address)
        guard let token = form["token"] else { throw OAuthError.invalidRequest("token is required") }
        // token_type_hint is accepted and not needed: access and refresh tokens have disjoint shapes.
        if token.utf8.count <= Self.maxTokenBytes {
            try await service.revoke(token, client: client)
        }
        return OAuthResponse.empty()
    }

    /// RFC 7662, for confidential clients only. Anything not live, or not the caller's, is
    /// exactly `{"active":false}`.
    func introspect(_ request: Request, from address: String?) async throws -> Response {
        let form = try await OAuthForm.read(from: request, bodyLimit: limits.maxBodyBytes)
        let client = try await authenticate(request, form, from: address, requireSecret: true)
        guard let token = form["token"] else { throw OAuthError.invalidRequest("token is required") }
        guard token.utf8.count <= Self.maxTokenBytes, let found = try await service.introspect(token, client: client) else {
            return try OAuthResponse.json(OAuthInactive())
        }
        return try OAuthResponse.json(
            OAuthIntrospectionResponse(
                client_id: found.clientID, sub: found.subject, iss: found.issuer, jti: found.tokenID, iat: found.issuedAt,
                exp: found.expiresAt, nbf: found.notBefore, aud: found.audience,
                token_type: found.kind == .accessToken ? "Bearer" : "refresh_token"))
    }

    /// The user of a live oauth access token sent as `Authorization: Bearer TOKEN`
    /// (RFC 6750 §2.1), checked against the store at this call.
    func userInfo(_ request: Request) async throws -> Response {
        guard let token = Self.bearerToken(request) else { throw OAuthError.bearerTokenMissing() }
        guard token.utf8.count <= Self.maxTokenBytes else { throw OAuthError.invalidToken() }
        let state: SessionState
        do {
            state = try await service.authenticate(accessToken: token, dialect: .oauth)
        } catch let error as SesameError where error.code == .invalidToken {
            throw OAuthError.invalidToken()
        }
        let user = state.user
        return try OAuthResponse.json(
            OAuthUserInfo(
                sub: user.uid, email: user.email, phone_number: user.phone.map { "+\(user.internationalCode ?? "")\($0)" },
                preferred_username: user.username, nickname: user.nickname))
    }

    // MARK: Shared steps

    /// The authenticated client of the request.
    ///
    /// A wrong client secret counts as a failed login of `address` (a brake on guessing secrets
    /// from one address), and an address over its failed-login limit is refused before any
    /// secret is checked.
    ///
    /// - Throws: ``OAuthError`` `invalid_client` (401) or `invalid_request`; ``SesameError``
    ///   ``SesameError/Code/rateLimited``.
    func authenticate(_ request: Request, _ form: OAuthForm, from address: String?, requireSecret: Bool = false) async throws
        -> OAuthClient
    {
        guard let credentials = try ClientCredentials.read(request, form) else {
            throw OAuthError.invalidClient("client authentication is required")
        }
        if credentials.secret != nil { try service.limiter.admitLogin(from: address) }
        do {
            return try await service.authenticateClient(id: credentials.id, secret: credentials.secret, requireSecret: requireSecret)
        } catch let error as SesameError where error.code == .invalidClient {
            if let asSent = credentials.secretAsSent,
                let client = try? await service.authenticateClient(id: credentials.id, secret: asSent, requireSecret: requireSecret)
            {
                return client
            }
            if credentials.secret != nil { service.limiter.recordLoginFailure(from: address) }
            throw OAuthError.invalidClient(error.message)
        }
    }

    /// The token of an `Authorization: Bearer` header; `nil` when there is none (or another scheme).
    static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization]?.trimmingWhitespace() else { return nil }
        let scheme = "bearer "
        guard header.utf8.count > scheme.utf8.count, header.prefix(scheme.count).lowercased() == scheme else { return nil }
        let token = String(header.dropFirst(scheme.count)).trimmingWhitespace()
        return token.isEmpty ? nil : token
    }

    static func encode(_ pair: TokenPair) throws -> Response {
        try OAuthResponse.json(
            OAuthTokenResponse(
                access_token: pair.accessToken, expires_in: pair.accessExpiresAt - pair.issuedAt, refresh_token: pair.refreshToken))
    }

    /// Runs `body`, turning core errors into RFC 6749 §5.2 answers and anything unexpected
    /// into a bare `server_error` with the detail only in the log.
    func answer(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as OAuthError {
            return error.response
        } catch let error as SesameError {
            switch error.code {
            case .invalidCredentials, .unknownAccount:
                return OAuthError.invalidGrant("wrong username or password").response
            case .frozen:
                return OAuthError.invalidGrant("too many failed logins for this username: try again later").response
            case .userDisabled:
                return OAuthError.invalidGrant("the user is disabled").response
            case .domainDisabled:
                return OAuthError.unauthorizedClient("the client's user domain is disabled").response
            case .invalidToken:
                return OAuthError.invalidGrant("the refresh token is invalid, expired, revoked or another client's").response
            case .invalidClient:
                return OAuthError.invalidClient(error.message).response
            case .rateLimited:
                return RetryAfter.add(error.retryAfter, to: OAuthError.tooManyRequests().response)
            case .unavailable:
                service.logger.error("oauth request failed: store unavailable")
                return OAuthError.temporarilyUnavailable().response
            default:
                service.logger.error("oauth request failed", metadata: ["code": "\(error.code)"])
                return OAuthError.serverError().response
            }
        } catch {
            service.logger.error("oauth request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return OAuthError.serverError().response
        }
    }
}
