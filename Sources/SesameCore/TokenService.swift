import Logging

/// The token core: logs users in, rotates refresh tokens, checks and revokes sessions.
/// Every dialect is a thin codec over this one type.
public struct TokenService: Sendable {
    public let store: any SesameStore
    public let configuration: SesameConfiguration
    public let clock: any SesameClock
    public let hasher: PasswordHasher
    public let keys: SigningKeyRing
    public let deriver: SuccessorDeriver
    /// Checks oauth client secrets.
    public let clientSecrets: ClientSecretHasher
    /// The `iss` claim of new tokens.
    public let issuer: String
    public let logger: Logger
    /// Per-client-address limits on failed logins and refreshes.
    public let limiter: ClientLimiter
    /// Where logins, refreshes and lockouts are counted.
    public let metrics: SesameMetrics
    /// Longest a password check waits for attempts in flight on the same identifier to end.
    public var claimPatience: Duration = .seconds(5)

    /// Prepares the core on `store`: loads (or on first start creates, of
    /// ``SesameConfiguration/signingAlgorithm``) the signing keys, and the successor key.
    public static func start(
        store: any SesameStore, configuration: SesameConfiguration, issuer: String,
        clock: any SesameClock = SystemClock(), logger: Logger, metrics: SesameMetrics = .disabled
    ) async throws -> TokenService {
        let keys = try await SigningKeyRing.load(
            from: store, clock: clock, algorithm: configuration.signingAlgorithm,
            verificationWindow: configuration.signingKeyVerificationWindow)
        let successorKey = try await store.secret(named: "successor-key") { RandomToken.bytes(32) }
        return TokenService(
            store: store, configuration: configuration, clock: clock,
            hasher: PasswordHasher(cost: configuration.bcryptCost), keys: keys,
            deriver: SuccessorDeriver(key: successorKey), clientSecrets: try await ClientSecretHasher.load(from: store),
            issuer: issuer, logger: logger, metrics: metrics)
    }

    public init(
        store: any SesameStore, configuration: SesameConfiguration, clock: any SesameClock, hasher: PasswordHasher,
        keys: SigningKeyRing, deriver: SuccessorDeriver, clientSecrets: ClientSecretHasher, issuer: String, logger: Logger,
        metrics: SesameMetrics = .disabled
    ) {
        self.metrics = metrics
        self.store = store
        self.configuration = configuration
        self.clock = clock
        self.hasher = hasher
        self.keys = keys
        self.deriver = deriver
        self.clientSecrets = clientSecrets
        self.issuer = issuer
        self.logger = logger
        self.limiter = ClientLimiter(limits: configuration.clientLimits, clock: clock)
    }

    // MARK: Login

    /// Checks `password` for the account `identifier` names in `domain` and opens a session.
    ///
    /// Unknown accounts cost the same bcrypt time and answer like a wrong password (unless
    /// ``SesameConfiguration/enduserRevealUnknownAccounts`` asks otherwise for enduser).
    /// Failures are counted per (domain, identifier) whether or not the account exists.
    ///
    /// - Throws: ``SesameError`` with ``SesameError/Code/frozen``,
    ///   ``SesameError/Code/invalidCredentials`` (with `attemptsLeft`),
    ///   ``SesameError/Code/unknownAccount``, ``SesameError/Code/userDisabled``,
    ///   ``SesameError/Code/domainDisabled``, ``SesameError/Code/rateLimited``.
    ///
    /// - Parameter client: the caller's IP address, for the per-address limits; `nil` when unknown.
    public func login(
        domain: UserDomain, identifier: AccountIdentifier, password: String, dialect: Dialect, clientID: String? = nil,
        from client: String? = nil
    ) async throws -> TokenPair {
        do {
            let pair = try await openSession(
                domain: domain, identifier: identifier, password: password, dialect: dialect, clientID: clientID, from: client)
            metrics.login(dialect, outcome: "success")
            return pair
        } catch let error as SesameError {
            metrics.login(dialect, outcome: Self.loginOutcome(error.code))
            throw error
        } catch {
            metrics.login(dialect, outcome: "error")
            throw error
        }
    }

    static func loginOutcome(_ code: SesameError.Code) -> String {
        switch code {
        case .invalidCredentials: "invalid-credentials"
        case .frozen: "frozen"
        case .unknownAccount: "unknown-account"
        case .userDisabled: "user-disabled"
        case .domainDisabled: "domain-disabled"
        case .rateLimited: "rate-limited"
        default: "error"
        }
    }

    private func openSession(
        domain: UserDomain, identifier: AccountIdentifier, password: String, dialect: Dialect, clientID: String?, from client: String?
    ) async throws -> TokenPair {
        let (user, key) = try await checkPassword(
            domain: domain, identifier: identifier, password: password, dialect: dialect, from: client)
        let now = clock.unixNow()
        let lifetimes = configuration.lifetimes(for: dialect)
        var absoluteEnd: Int64?
        if let absolute = configuration.sessionAbsoluteLifetime { absoluteEnd = now + absolute }
        let session = Session(
            id: RandomToken.make(byteCount: 16), uid: user.uid, dialect: dialect, clientID: clientID, createdAt: now,
            absoluteExpiresAt: absoluteEnd, revokedAt: nil, revokeReason: nil)
        let tokenID = RandomToken.make(byteCount: 16)
        let refreshToken = RefreshTokenKey.token(sessionID: session.id, id: tokenID, secret: RandomToken.bytes(32)) ?? RandomToken.make()
        var refreshExpiry = now + lifetimes.refresh
        if let absoluteEnd { refreshExpiry = min(refreshExpiry, absoluteEnd) }
        let record = RefreshTokenRecord(
            id: tokenID, tokenHash: RandomToken.hash(refreshToken), sessionID: session.id,
            issuedAt: now, expiresAt: refreshExpiry, isLocated: RefreshTokenKey.isLocated(refreshToken))
        try await store.createSession(session, firstToken: record, clearing: key)
        return try await pair(
            session: session, user: user, domain: domain, refreshToken: refreshToken, record: record, now: now)
    }

    /// Checks `password` for the account `identifier` names, counting failures towards the
    /// lockout. On success the caller must clear the returned key's count in its own write
    /// (``SesameStore/createSession(_:firstToken:clearing:)`` or a rotation's `clearing`).
    ///
    /// - Throws: as ``login(domain:identifier:password:dialect:clientID:from:)``.
    ///
    /// - Parameters:
    ///   - expectedUID: when set, a password that is right for another account counts as a
    ///     failure (kanfang's refresh credentials must name the session's own user).
    ///   - client: the caller's IP address: an address over its failed-login limit is refused
    ///     before anything is checked or counted, and every failure counts towards it.
    public func checkPassword(
        domain: UserDomain, identifier: AccountIdentifier, password: String, dialect: Dialect, expectedUID: String? = nil,
        from client: String? = nil
    ) async throws -> (User, LoginAttemptKey) {
        try limiter.admitLogin(from: client)
        do {
            return try await verifyPassword(
                domain: domain, identifier: identifier, password: password, dialect: dialect, expectedUID: expectedUID)
        } catch let error as SesameError where [.invalidCredentials, .unknownAccount, .frozen].contains(error.code) {
            limiter.recordLoginFailure(from: client)
            throw error
        }
    }

    func verifyPassword(
        domain: UserDomain, identifier: AccountIdentifier, password: String, dialect: Dialect, expectedUID: String?
    ) async throws -> (User, LoginAttemptKey) {
        guard domain.enabled else { throw SesameError(.domainDisabled, "user domain is disabled") }
        let threshold = configuration.lockoutThreshold
        // No account is named with a NUL, and PostgreSQL cannot hold one in text: asking it to
        // claim or look up such an identifier fails the query (an internal error, found by the
        // fuzz campaign with kanfang's `authKey` and oauth's `username`). It is a wrong account,
        // answered at once and not counted: no guess behind it can ever match.
        guard !identifier.lockoutKey.utf8.contains(0) else {
            throw SesameError(.invalidCredentials, "wrong account or password", attemptsLeft: threshold - 1)
        }
        let key = LoginAttemptKey(domainID: domain.id, identifier: identifier.lockoutKey)
        let attempt = try await claimAttempt(key)
        let user = try await store.findUser(domainID: domain.id, identifier: identifier)
        let matches = try await hasher.verify(password, against: user?.passwordHash)
        guard matches, let user, expectedUID == nil || expectedUID == user.uid else {
            let failedAt = clock.unixNow()
            try await store.recordLoginFailure(
                key, attempt: attempt, at: failedAt, policy: configuration.lockout)
            if attempt >= threshold {
                metrics.lockout(dialect)
                logger.notice("login identifier frozen", metadata: ["domain": "\(domain.name)"])
                throw SesameError(.frozen, "account frozen, try again later", frozenUntil: failedAt + configuration.lockoutSeconds)
            }
            if user == nil, dialect == .enduser, configuration.enduserRevealUnknownAccounts {
                throw SesameError(.unknownAccount, "account not registered")
            }
            throw SesameError(.invalidCredentials, "wrong account or password", attemptsLeft: threshold - attempt)
        }
        guard user.enabled else {
            // The password was right: release the claimed attempt rather than count a failure.
            try await store.clearLoginFailures(key)
            throw SesameError(.userDisabled, "user is disabled")
        }
        if hasher.needsRehash(user.passwordHash) {
            // Hashes made at another cost would make this account's logins take another time
            // than an unknown account's; replace it now that the password is known.
            do {
                try await store.updatePasswordHash(uid: user.uid, hash: try await hasher.hash(password))
            } catch {
                logger.warning("password rehash failed", metadata: ["uid": "\(user.uid)"])
            }
        }
        return (user, key)
    }


    /// Claims the next attempt of `key`. When every slot is held by attempts still being
    /// checked (concurrent logins, or kanfang refreshes that each check the password), waits
    /// for them to end rather than refuse: a right password releases its slot, a wrong one
    /// keeps it, so waiting neither refuses honest concurrency nor lets more than the threshold
    /// of guesses run.
    func claimAttempt(_ key: LoginAttemptKey) async throws -> Int {
        let giveUp = ContinuousClock.now + claimPatience
        while true {
            switch try await store.beginLoginAttempt(
                key, at: clock.unixNow(), policy: configuration.lockout)
            {
            case .allowed(let n):
                return n
            case .frozen(let until):
                throw SesameError(.frozen, "account frozen, try again later", frozenUntil: until)
            case .busy(let until):
                guard ContinuousClock.now < giveUp else {
                    throw SesameError(.frozen, "account frozen, try again later", frozenUntil: until)
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 5...25)))
            }
        }
    }

    // MARK: Refresh

    /// What a client presents to refresh.
    public enum RefreshCredential: Sendable {
        /// A refresh token (raw, without any `Bearer ` prefix).
        case refreshToken(String)
        /// The session's access token, expired or not (kanfang only).
        case accessToken(String)
    }

    /// The session a credential belongs to, without consuming anything; `nil` when the
    /// credential is not one Sesame issued. For dialects that must check more before
    /// rotating (kanfang's `authKey`/`authValue`).
    public func peek(_ credential: RefreshCredential) async throws -> SessionState? {
        switch credential {
        case .refreshToken(let token):
            guard let key = RefreshTokenKey(token: token) else { return nil }
            return try await store.sessionState(refreshToken: key)
        case .accessToken(let token):
            guard let claims = await signedClaims(token) else { return nil }
            return try await store.sessionState(id: claims.sid)
        }
    }

    /// Counts a refresh of `client` against its per-address limit, or throws
    /// ``SesameError/Code/rateLimited`` (counted in the refresh metrics) without counting it.
    /// ``refresh(_:dialect:clientID:clearing:from:)`` calls it; a dialect that checks more
    /// before rotating (kanfang's password) calls it first and passes no address to `refresh`.
    public func admitRefresh(from client: String?, dialect: Dialect) throws {
        do {
            try limiter.admitRefresh(from: client)
        } catch {
            metrics.refresh(dialect, outcome: "rate-limited")
            throw error
        }
    }

    /// Rotates the presented credential's refresh token and returns the new pair.
    ///
    /// Inside the grace window the same successor comes back; after it, a used refresh token
    /// revokes its whole session.
    ///
    /// - Throws: ``SesameError`` with ``SesameError/Code/invalidToken`` for anything that is
    ///   not a live, current (or just-rotated) token of this dialect and client;
    ///   ``SesameError/Code/rateLimited`` when `client` used up its refreshes (nothing consumed).
    public func refresh(
        _ credential: RefreshCredential, dialect: Dialect, clientID: String? = nil, clearing key: LoginAttemptKey? = nil,
        from client: String? = nil
    ) async throws -> TokenPair {
        try admitRefresh(from: client, dialect: dialect)
        var outcome = "rejected"
        defer { metrics.refresh(dialect, outcome: outcome) }
        let now = clock.unixNow()
        let presented: RefreshTokenKey
        // Only a legacy token can have been rotated before schema v5, to a legacy successor.
        var presentedIsLegacy = false
        let binding: [UInt8]
        let kind: SuccessorDeriver.Kind
        switch credential {
        case .refreshToken(let token):
            guard var tokenKey = RefreshTokenKey(token: token) else { throw SesameError.invalidToken() }
            if tokenKey.location == nil {
                // A legacy token names no row: one read finds it, and the writer then goes by
                // primary key like for any other token (and its successor is a located one).
                guard let record = try await store.refreshToken(tokenKey) else { throw SesameError.invalidToken() }
                tokenKey = record.key
                presentedIsLegacy = true
            }
            kind = .refreshToken
            presented = tokenKey
            binding = deriver.binding(of: token)
        case .accessToken(let token):
            // The access token names the refresh token it was issued with (`jti`) and carries
            // that token's binding (`rtb`, signed); an expired one is accepted, a forged or
            // foreign one is not.
            guard let claims = await signedClaims(token), let rtb = claims.rtb,
                let claimedBinding = RandomToken.decodeBase64URL(rtb), claimedBinding.count == 32,
                let record = try await store.refreshToken(id: claims.jti, sessionID: claims.sid)
            else { throw SesameError.invalidToken() }
            kind = .accessToken
            presented = record.key
            presentedIsLegacy = !record.isLocated
            binding = claimedBinding
        }
        // The successor names its row: the presented token's session and an id derived like
        // its secret, so that a retry within the grace window derives the very same token.
        let secret = deriver.successorSecret(ofBinding: binding)
        let successorID = deriver.successorID(ofBinding: binding)
        let located = presented.location.flatMap { RefreshTokenKey.token(sessionID: $0.sessionID, id: successorID, secret: secret) }
        let successor = located ?? RandomToken.base64URL(secret)
        let successorHash = RandomToken.hash(successor)
        // The same successor in the legacy format, which a rotation made before schema v5 issued.
        let legacySuccessor = presentedIsLegacy && located != nil ? RandomToken.base64URL(secret) : nil
        let legacySuccessorHash = legacySuccessor.map(RandomToken.hash)
        let policy = RefreshPolicy(
            dialect: dialect, clientID: clientID, kind: kind, refreshLifetime: configuration.lifetimes(for: dialect).refresh,
            grace: configuration.refreshGrace, successorHash: successorHash, legacySuccessorHash: legacySuccessorHash, now: now)
        let result = try await store.rotate(
            RotationRequest(
                token: presented, successorHash: successorHash, successorID: successorID,
                successorIsLocated: RefreshTokenKey.isLocated(successor), now: now, clearing: key)
        ) { input in policy.decide(input) }
        switch result {
        case .rotated(let state, let record), .replayed(let state, let record):
            if case .rotated = result { outcome = "rotated" } else { outcome = "replayed" }
            // A retry of a rotation made before schema v5 returns the legacy successor it made.
            let token = record.tokenHash == successorHash ? successor : legacySuccessor ?? successor
            return try await pair(
                session: state.session, user: state.user, domain: state.domain, refreshToken: token, record: record, now: now)
        case .revoked(let state, let reason):
            outcome = "reuse-revoked"
            logger.warning(
                "refresh token reuse detected, session revoked",
                metadata: ["sid": "\(state.session.id)", "uid": "\(state.user.uid)", "reason": "\(reason)"])
            throw SesameError.invalidToken()
        case .rejected(let reason):
            logger.debug("refresh refused", metadata: ["reason": "\(reason)"])
            throw SesameError.invalidToken()
        case .notFound:
            throw SesameError.invalidToken()
        }
    }

    // MARK: Access tokens

    /// The session behind a valid, unexpired access token of `dialect`, checked against the
    /// store at this call: a revoked session, disabled user or disabled domain fails at once.
    ///
    /// - Throws: ``SesameError`` with ``SesameError/Code/invalidToken``.
    public func authenticate(accessToken: String, dialect: Dialect) async throws -> SessionState {
        guard let claims = await signedClaims(accessToken) else { throw SesameError.invalidToken() }
        let now = clock.unixNow()
        guard claims.exp > now, claims.nbf <= now else { throw SesameError.invalidToken("token expired") }
        guard let state = try await store.sessionState(id: claims.sid), state.session.dialect == dialect,
            state.user.uid == claims.uid, state.isActive(at: now)
        else { throw SesameError.invalidToken() }
        return state
    }

    /// Revokes the session of `accessToken`.
    public func logout(accessToken: String, dialect: Dialect) async throws {
        let state = try await authenticate(accessToken: accessToken, dialect: dialect)
        let now = clock.unixNow()
        _ = try await store.revokeSession(id: state.session.id, at: now, reason: "logout")
    }

    // MARK: Helpers

    /// The claims of an access token this server signed (any age): signature by one of its keys
    /// under that key's algorithm, `type: AccessToken`, this issuer. `nil` otherwise.
    func signedClaims(_ token: String) async -> AccessTokenClaims? {
        guard !token.isEmpty, token.utf8.count <= 8_192, let claims = try? await keys.verifySignature(token),
            claims.type == "AccessToken", claims.iss == issuer
        else { return nil }
        return claims
    }

    /// enduser tokens name the user domain, oauth tokens the client; kanfang tokens have no `aud`.
    static func audience(of session: Session, domain: UserDomain) -> String? {
        switch session.dialect {
        case .enduser: domain.name
        case .oauth: session.clientID
        case .kanfang: nil
        }
    }

    private func pair(
        session: Session, user: User, domain: UserDomain, refreshToken: String, record: RefreshTokenRecord, now: Int64
    ) async throws -> TokenPair {
        let lifetimes = configuration.lifetimes(for: session.dialect)
        var exp = now + lifetimes.access
        if let end = session.absoluteExpiresAt { exp = min(exp, end) }
        let claims = AccessTokenClaims(
            iss: issuer, sub: user.uid, uid: user.uid, sid: session.id, jti: record.id, iat: now,
            nbf: session.dialect == .enduser ? now - 120 : now, exp: exp,
            aud: Self.audience(of: session, domain: domain),
            rtb: session.dialect == .kanfang ? RandomToken.base64URL(deriver.binding(of: refreshToken)) : nil)
        let token = try await keys.sign(claims)
        return TokenPair(
            accessToken: token, accessExpiresAt: exp, refreshToken: refreshToken, refreshExpiresAt: record.expiresAt,
            issuedAt: now, session: session, user: user)
    }
}
