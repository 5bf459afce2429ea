import Hummingbird
import Logging
import SesameCore
import SesameHTTP

/// Family B, under `/v2/Authorization/`: `GetAccessToken` and `RefreshToken`.
///
/// Accounts live in the configured domain (``SesameConfiguration/kanfangDomain``); `authKey`
/// is a user name, e-mail or phone number. `RefreshToken` takes the refresh token or the
/// session's access token (even expired) as `Authorization` from the header, the query or a
/// cookie, raw or with `Bearer `.
public struct KanfangController: Sendable {
    public let service: TokenService
    public let limits: HTTPLimits

    public init(service: TokenService, limits: HTTPLimits = HTTPLimits()) {
        self.service = service
        self.limits = limits
    }

    /// The routes' path prefix.
    public static let prefix = "v2/Authorization"

    /// `authValue` longer than this is refused without hashing (bcrypt reads 72 bytes anyway).
    static let maxSecretBytes = 1_024

    /// The dialect's endpoints under ``prefix``: the one spelling of each route's name, used by
    /// the routes and the fallback.
    public enum Endpoint: String, DialectEndpoint {
        case GetAccessToken, RefreshToken
    }

    /// Adds the dialect's routes under ``prefix``.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let group = router.group(RouterPath(Self.prefix))
        let addresses = limits.clientAddresses
        group.get(Endpoint.GetAccessToken.path) { request, context in
            await answer { try await getAccessToken(request, client: addresses.clientAddress(request, context)) }
        }
        group.get(Endpoint.RefreshToken.path) { request, context in
            await answer { try await refreshToken(request, client: addresses.clientAddress(request, context)) }
        }
    }

    /// Answers unknown paths and wrong methods under ``prefix`` with state 403 in the envelope.
    /// Add it to the router after the routes.
    public static func fallback<Context: RequestContext>() -> DialectFallbackMiddleware<Context> {
        DialectFallbackMiddleware(prefix: prefix, endpoints: Endpoint.names) { known in
            KanfangEnvelope.failure(.rejected, known ? "method not allowed" : "no such API")
        }
    }

    func getAccessToken(_ request: Request, client: String?) async throws -> Response {
        let params = try await RequestParameters.read(from: request, bodyLimit: limits.maxBodyBytes)
        guard let authKey = params.text("authKey"), let authValue = params.text("authValue"),
            authKey.utf8.count <= 320, authValue.utf8.count <= Self.maxSecretBytes
        else { return KanfangEnvelope.failure(.authenticationFailed, "authKey and authValue are required") }
        guard let domain = try await kanfangDomain() else {
            return KanfangEnvelope.failure(.authenticationFailed, "authentication failed")
        }
        do {
            let pair = try await service.login(
                domain: domain, identifier: .anyOf(authKey), password: authValue, dialect: .kanfang, from: client)
            return try KanfangEnvelope.success(Self.encode(pair))
        } catch let error as SesameError where error.code == .invalidCredentials || error.code == .unknownAccount {
            return KanfangEnvelope.failure(.authenticationFailed, "authentication failed")
        }
    }

    func refreshToken(_ request: Request, client: String?) async throws -> Response {
        let params = try await RequestParameters.read(from: request, bodyLimit: limits.maxBodyBytes)
        // Counted before the password check, so that a refused refresh leaves no claimed
        // lockout slot behind; the rotation below then passes no address.
        try service.admitRefresh(from: client, dialect: .kanfang)
        guard let token = Self.authorization(request, params) else {
            return KanfangEnvelope.failure(.tokenRefreshFailed, "token refresh failed")
        }
        let credential: TokenService.RefreshCredential =
            token.utf8.count(where: { $0 == UInt8(ascii: ".") }) == 2 ? .accessToken(token) : .refreshToken(token)
        var verified: LoginAttemptKey?
        if service.configuration.kanfangRefreshRequiresCredentials {
            guard let authKey = params.text("authKey"), let authValue = params.text("authValue"),
                authKey.utf8.count <= 320, authValue.utf8.count <= Self.maxSecretBytes,
                let state = try await service.peek(credential), let domain = try await kanfangDomain(),
                state.domain.id == domain.id
            else { return KanfangEnvelope.failure(.tokenRefreshFailed, "token refresh failed") }
            do {
                (_, verified) = try await service.checkPassword(
                    domain: domain, identifier: .anyOf(authKey), password: authValue, dialect: .kanfang,
                    expectedUID: state.user.uid, from: client)
            } catch let error as SesameError where error.code != .rateLimited {
                return KanfangEnvelope.failure(.tokenRefreshFailed, "token refresh failed")
            }
        }
        do {
            let pair = try await service.refresh(credential, dialect: .kanfang, clearing: verified)
            return try KanfangEnvelope.success(Self.encode(pair))
        } catch is SesameError {
            return KanfangEnvelope.failure(.tokenRefreshFailed, "token refresh failed")
        }
    }

    /// The configured kanfang domain, if it exists.
    func kanfangDomain() async throws -> UserDomain? {
        let name = service.configuration.kanfangDomain
        let domain = try await service.store.domain(named: name)
        if domain == nil {
            service.logger.warning("kanfang domain does not exist; create it with 'sesame domain add'", metadata: ["domain": "\(name)"])
        }
        return domain
    }

    /// Runs `body`; core errors become 401/403, anything unexpected 500 with a generic message
    /// and the detail only in the log.
    func answer(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as SesameError {
            switch error.code {
            case .frozen: return KanfangEnvelope.failure(.rejected, "account frozen, try again later")
            case .domainDisabled, .userDisabled: return KanfangEnvelope.failure(.rejected, "request rejected")
            case .rateLimited:
                return RetryAfter.add(
                    error.retryAfter, to: KanfangEnvelope.failure(.rejected, "too many requests from this address, try again later"))
            case .invalidCredentials, .unknownAccount: return KanfangEnvelope.failure(.authenticationFailed, "authentication failed")
            case .invalidToken: return KanfangEnvelope.failure(.tokenRefreshFailed, "token refresh failed")
            default:
                service.logger.error("kanfang request failed", metadata: ["code": "\(error.code)"])
                return KanfangEnvelope.failure(.internalError, "internal server error")
            }
        } catch let error as RequestBodyError {
            return KanfangEnvelope.failure(.rejected, error.reason == .tooLarge ? "request too large" : "malformed request")
        } catch {
            service.logger.error("kanfang request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return KanfangEnvelope.failure(.internalError, "internal server error")
        }
    }

    /// `Authorization` from the header, else the query/body, else the cookie; without `Bearer `.
    static func authorization(_ request: Request, _ params: RequestParameters) -> String? {
        var candidates: [String] = []
        if let header = request.headers[.authorization] { candidates.append(header) }
        if let fromQuery = params.text("Authorization") { candidates.append(fromQuery) }
        if let cookie = request.cookies["Authorization"]?.value { candidates.append(cookie) }
        for candidate in candidates {
            let token = BearerToken.strip(candidate.removingPercentEncodingIfCookie())
            if !token.isEmpty { return token }
        }
        return nil
    }

    static func encode(_ pair: TokenPair) -> KanfangTokenPair {
        KanfangTokenPair(
            token: pair.accessToken, tokenExpireIn: pair.accessExpiresAt - pair.issuedAt,
            refreshToken: pair.refreshToken, refreshTokenExpireIn: pair.refreshExpiresAt - pair.issuedAt)
    }
}

extension String {
    /// Cookie values may arrive percent-encoded (`Bearer%20...`).
    fileprivate func removingPercentEncodingIfCookie() -> String {
        guard contains("%") else { return self }
        return FormDecoder.percentDecode(ArraySlice(utf8)) ?? self
    }
}
