/// The oauth dialect's needs of the core: client authentication, introspection and revocation.
/// A session belongs to the client that created it; no other client can refresh it, revoke
/// it or see it active.
extension TokenService {
    /// The registered client `id`, when `secret` is right for it: a confidential client must
    /// present its secret, a public client must present none.
    ///
    /// - Parameter requireSecret: refuse public clients (introspection).
    /// - Throws: ``SesameError`` with ``SesameError/Code/invalidClient`` for an unknown client,
    ///   a missing, wrong or superfluous secret.
    public func authenticateClient(id: String, secret: String?, requireSecret: Bool = false) async throws -> OAuthClient {
        let client = OAuthClient.isValidID(id) ? try await store.client(id: id) : nil
        // Checked even for an unknown or public client, so that every refusal costs the same.
        let secretMatches = clientSecrets.verify(secret ?? "", against: client?.secretHash)
        guard let client else { throw SesameError(.invalidClient, "client authentication failed") }
        if client.isConfidential {
            guard secret != nil, secretMatches else { throw SesameError(.invalidClient, "client authentication failed") }
        } else {
            guard secret == nil else { throw SesameError(.invalidClient, "a public client has no secret to present") }
            guard !requireSecret else { throw SesameError(.invalidClient, "this endpoint requires a confidential client") }
        }
        return client
    }

    /// The user domain of `client`. (Domains are few: looking it up in the list spares the
    /// store protocol a lookup by id.)
    /// - Throws: ``SesameError/Code/invalidClient`` when it no longer exists.
    public func domain(of client: OAuthClient) async throws -> UserDomain {
        guard let domain = try await store.domains().first(where: { $0.id == client.domainID }) else {
            throw SesameError(.invalidClient, "the client's user domain does not exist")
        }
        return domain
    }

    /// What introspection reveals about a live token (RFC 7662 §2.2).
    public struct Introspection: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case accessToken
            case refreshToken
        }

        public var kind: Kind
        public var clientID: String
        /// The user's `uid`.
        public var subject: String
        public var issuer: String
        /// The access token's `jti`, or the refresh token's id.
        public var tokenID: String
        public var sessionID: String
        public var issuedAt: Int64
        public var expiresAt: Int64
        /// Access tokens only.
        public var notBefore: Int64?
        /// Access tokens only: the `aud` claim.
        public var audience: String?
    }

    /// What `client` may learn about `token`: `nil` unless it is an unexpired access token or a
    /// current (not yet rotated), unexpired refresh token of a live oauth session that `client`
    /// created, whose user and domain are enabled. Consumes nothing.
    ///
    /// `token_type_hint` is not needed: the two kinds of token have disjoint shapes.
    public func introspect(_ token: String, client: OAuthClient) async throws -> Introspection? {
        let now = clock.unixNow()
        if let claims = await signedClaims(token) {
            guard claims.exp > now, claims.nbf <= now, let state = try await ownLiveSession(claims.sid, client: client, now: now),
                state.user.uid == claims.uid
            else { return nil }
            return Introspection(
                kind: .accessToken, clientID: client.id, subject: claims.sub, issuer: claims.iss, tokenID: claims.jti,
                sessionID: claims.sid, issuedAt: claims.iat, expiresAt: claims.exp, notBefore: claims.nbf, audience: claims.aud)
        }
        guard let key = RefreshTokenKey(token: token), let record = try await store.refreshToken(key),
            record.rotatedAt == nil, record.expiresAt > now,
            let state = try await ownLiveSession(record.sessionID, client: client, now: now)
        else { return nil }
        return Introspection(
            kind: .refreshToken, clientID: client.id, subject: state.user.uid, issuer: issuer, tokenID: record.id,
            sessionID: record.sessionID, issuedAt: record.issuedAt, expiresAt: record.expiresAt, notBefore: nil, audience: nil)
    }

    /// Revokes the session of `token` when `client` created it (RFC 7009): any refresh token
    /// of the session (current or already rotated), or an unexpired access token of it.
    /// Returns whether a session was revoked; unknown tokens, tokens of other clients or
    /// dialects, and sessions already ended revoke nothing, and the caller cannot tell these
    /// apart from success.
    @discardableResult
    public func revoke(_ token: String, client: OAuthClient) async throws -> Bool {
        let now = clock.unixNow()
        var sessionID: String?
        if let claims = await signedClaims(token) {
            if claims.exp > now { sessionID = claims.sid }
        } else if let key = RefreshTokenKey(token: token), let record = try await store.refreshToken(key) {
            sessionID = record.sessionID
        }
        guard let sessionID, let state = try await store.sessionState(id: sessionID), state.session.dialect == .oauth,
            state.session.clientID == client.id
        else { return false }
        return try await store.revokeSession(id: sessionID, at: now, reason: "revoked")
    }

    /// The session `id` when it is a live oauth session of `client` with an enabled user and domain.
    private func ownLiveSession(_ id: String, client: OAuthClient, now: Int64) async throws -> SessionState? {
        guard let state = try await store.sessionState(id: id), state.session.dialect == .oauth,
            state.session.clientID == client.id, state.isActive(at: now)
        else { return nil }
        return state
    }
}
