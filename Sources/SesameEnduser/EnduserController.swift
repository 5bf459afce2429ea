import Hummingbird
import Logging
import SesameCore
import SesameHTTP

/// Family A, under `/v2/enduser/enduserapi/`: a codec between its parameters and envelope and
/// the token core.
///
/// Every answer is HTTP 200 with the family's envelope, including for malformed input, wrong
/// methods and unknown paths under the prefix; internals never reach the client.
public struct EnduserController: Sendable {
    public let service: TokenService
    public let limits: HTTPLimits

    public init(service: TokenService, limits: HTTPLimits = HTTPLimits()) {
        self.service = service
        self.limits = limits
    }

    /// The routes' path prefix.
    public static let prefix = "v2/enduser/enduserapi"

    /// The dialect's endpoints under ``prefix``: the one spelling of each route's name, used by
    /// the routes and the fallback (the OpenAPI document is checked against the router).
    public enum Endpoint: String, DialectEndpoint {
        case emailPwdLogin, phonePwdLogin, refreshToken, userInfo, userLogout
    }

    /// Adds the dialect's routes under ``prefix``.
    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let group = router.group(RouterPath(Self.prefix))
        let addresses = limits.clientAddresses
        group.post(Endpoint.emailPwdLogin.path) { request, context in
            await answer { try await emailLogin(request, client: addresses.clientAddress(request, context)) }
        }
        group.post(Endpoint.phonePwdLogin.path) { request, context in
            await answer { try await phoneLogin(request, client: addresses.clientAddress(request, context)) }
        }
        group.put(Endpoint.refreshToken.path) { request, context in
            await answer { try await refresh(request, client: addresses.clientAddress(request, context)) }
        }
        group.get(Endpoint.userInfo.path) { request, _ in await answer { try await userInfo(request) } }
        group.delete(Endpoint.userLogout.path) { request, _ in await answer { try await logout(request) } }
    }

    /// Answers unknown paths (404) and wrong methods (405) under ``prefix`` in the envelope.
    /// Add it to the router after the routes.
    public static func fallback<Context: RequestContext>() -> DialectFallbackMiddleware<Context> {
        DialectFallbackMiddleware(
            prefix: prefix, endpoints: Endpoint.names
        ) { known in EnduserEnvelope.failure(known ? .methodNotAllowed : .notFound) }
    }

    // MARK: Endpoints

    func emailLogin(_ request: Request, client: String?) async throws -> Response {
        let params = try await RequestParameters.read(from: request, bodyLimit: limits.maxBodyBytes)
        guard let emailValue = params["email"], emailValue != .text("") else { return EnduserEnvelope.failure(.emailMissing) }
        guard case .text(let email) = emailValue, AccountRules.isValidEmail(email) else {
            return EnduserEnvelope.failure(.emailMalformed)
        }
        let credentials = try await checkCommon(params)
        switch credentials {
        case .failure(let code): return EnduserEnvelope.failure(code)
        case .success(let c):
            guard RequestSignature.isValid(c.signature, parts: [email, c.pwd, c.random], secret: c.domain.secret) else {
                return EnduserEnvelope.failure(.signatureWrong)
            }
            return try await login(
                domain: c.domain, identifier: .email(AccountRules.normalizedEmail(email)), password: c.password, kind: .email,
                client: client)
        }
    }

    func phoneLogin(_ request: Request, client: String?) async throws -> Response {
        let params = try await RequestParameters.read(from: request, bodyLimit: limits.maxBodyBytes)
        guard let phoneValue = params["phone"], phoneValue != .text("") else { return EnduserEnvelope.failure(.phoneMissing) }
        guard case .text(let phone) = phoneValue, AccountRules.isValidPhone(phone) else {
            return EnduserEnvelope.failure(.phoneMalformed)
        }
        var sentCode = ""
        switch params["internationalCode"] {
        case .none: break
        case .invalid: return EnduserEnvelope.failure(.phoneMalformed)
        case .text(let c): sentCode = c
        }
        guard let code = sentCode.isEmpty ? "86" : AccountRules.normalizedInternationalCode(sentCode) else {
            return EnduserEnvelope.failure(.phoneMalformed)
        }
        switch try await checkCommon(params) {
        case .failure(let failure): return EnduserEnvelope.failure(failure)
        case .success(let c):
            guard RequestSignature.isValid(c.signature, parts: [sentCode, phone, c.pwd, c.random], secret: c.domain.secret) else {
                return EnduserEnvelope.failure(.signatureWrong)
            }
            return try await login(
                domain: c.domain, identifier: .phone(internationalCode: code, number: phone), password: c.password, kind: .phone,
                client: client)
        }
    }

    func refresh(_ request: Request, client: String?) async throws -> Response {
        let params = try await RequestParameters.read(from: request, bodyLimit: limits.maxBodyBytes)
        guard let value = params["refreshToken"], value != .text("") else {
            return EnduserEnvelope.failure(.refreshTokenMissing)
        }
        guard case .text(let raw) = value else { return EnduserEnvelope.failure(.tokenInvalid) }
        let token = BearerToken.strip(raw)
        guard !token.isEmpty else { return EnduserEnvelope.failure(.refreshTokenMissing) }
        let pair = try await service.refresh(.refreshToken(token), dialect: .enduser, from: client)
        return try EnduserEnvelope.success(Self.encode(pair))
    }

    func userInfo(_ request: Request) async throws -> Response {
        guard let token = Self.accessToken(request) else { return EnduserEnvelope.failure(.tokenMissing) }
        let state = try await service.authenticate(accessToken: token, dialect: .enduser)
        return try EnduserEnvelope.success(EnduserUserInfo(state.user))
    }

    func logout(_ request: Request) async throws -> Response {
        guard let token = Self.accessToken(request) else { return EnduserEnvelope.failure(.tokenMissing) }
        try await service.logout(accessToken: token, dialect: .enduser)
        return try EnduserEnvelope.success(JSONEmptyObject())
    }

    // MARK: Shared steps

    /// What both logins check after their identifier: password, domain, signature presence.
    struct CommonCredentials {
        var pwd: String
        var random: String
        var password: String
        var domain: UserDomain
        var signature: String
    }

    enum Checked {
        case success(CommonCredentials)
        case failure(EnduserCode)
    }

    func checkCommon(_ params: RequestParameters) async throws -> Checked {
        guard let pwdValue = params["pwd"], pwdValue != .text("") else { return .failure(.passwordMissing) }
        guard case .text(let pwd) = pwdValue else { return .failure(.passwordFormat) }
        var random = ""
        switch params["random"] {
        case .none: break
        case .invalid: return .failure(.passwordFormat)
        case .text(let r): random = r
        }
        let plain = random.isEmpty ? pwd : LegacyPasswordCipher.decrypt(pwd, random: random)
        guard let password = plain, AccountRules.isValidPassword(password) else { return .failure(.passwordFormat) }
        guard let domainValue = params["userDomain"], domainValue != .text("") else { return .failure(.domainMissing) }
        guard case .text(let domainName) = domainValue, UserDomain.isValidName(domainName) else {
            return .failure(.domainMalformed)
        }
        guard let domain = try await service.store.domain(named: domainName) else { return .failure(.domainUnknown) }
        guard domain.enabled else { return .failure(.domainDisabled) }
        guard let signatureValue = params["signature"], signatureValue != .text("") else {
            return .failure(.signatureMissing)
        }
        guard case .text(let signature) = signatureValue else { return .failure(.signatureWrong) }
        return .success(CommonCredentials(pwd: pwd, random: random, password: password, domain: domain, signature: signature))
    }

    enum LoginKind { case email, phone }

    func login(
        domain: UserDomain, identifier: AccountIdentifier, password: String, kind: LoginKind, client: String?
    ) async throws -> Response {
        do {
            let pair = try await service.login(
                domain: domain, identifier: identifier, password: password, dialect: .enduser, from: client)
            return try EnduserEnvelope.success(Self.encode(pair))
        } catch let error as SesameError where error.code == .invalidCredentials {
            let left = error.attemptsLeft ?? 1
            return EnduserEnvelope.failure(kind == .email ? .wrongEmailOrPassword(left: left) : .wrongPhoneOrPassword(left: left))
        } catch let error as SesameError where error.code == .unknownAccount {
            return EnduserEnvelope.failure(kind == .email ? .emailNotRegistered : .phoneNotRegistered)
        }
    }

    /// Runs `body`, turning core errors into the family's codes and anything unexpected into
    /// 5000 with the detail only in the log.
    func answer(_ body: () async throws -> Response) async -> Response {
        do {
            return try await body()
        } catch let error as SesameError {
            switch error.code {
            case .frozen: return EnduserEnvelope.failure(.frozen)
            case .invalidToken: return EnduserEnvelope.failure(.tokenInvalid)
            case .domainDisabled: return EnduserEnvelope.failure(.domainDisabled)
            case .userDisabled: return EnduserEnvelope.failure(.userUnavailable)
            case .rateLimited: return RetryAfter.add(error.retryAfter, to: EnduserEnvelope.failure(.blocked))
            default:
                service.logger.error("enduser request failed", metadata: ["code": "\(error.code)"])
                return EnduserEnvelope.failure(.serviceError)
            }
        } catch let error as RequestBodyError {
            return EnduserEnvelope.failure(error.reason == .tooLarge ? .tooLarge : .badRequest)
        } catch {
            service.logger.error("enduser request failed", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return EnduserEnvelope.failure(.serviceError)
        }
    }

    /// The `Authorization` header's token, without `Bearer `; `nil` when absent or empty.
    static func accessToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let token = BearerToken.strip(header)
        return token.isEmpty ? nil : token
    }

    static func encode(_ pair: TokenPair) -> EnduserTokenPair {
        EnduserTokenPair(
            accessToken: EnduserToken(token: "Bearer " + pair.accessToken, expirationTime: pair.accessExpiresAt),
            refreshToken: EnduserToken(token: "Bearer " + pair.refreshToken, expirationTime: pair.refreshExpiresAt))
    }
}
