/// A login: one chain of refresh tokens for one user through one dialect.
public struct Session: Sendable, Equatable {
    /// Random identifier, the JWT `sid`.
    public var id: String
    public var uid: String
    public var dialect: Dialect
    /// The oauth client that created it, if any.
    public var clientID: String?
    /// Unix seconds.
    public var createdAt: Int64
    /// The session's hard end however often it refreshes; `nil` for none.
    public var absoluteExpiresAt: Int64?
    /// Unix seconds; `nil` while live.
    public var revokedAt: Int64?
    /// Why it was revoked (`logout`, `reuse`, `user-disabled`, `admin`).
    public var revokeReason: String?

    public init(
        id: String, uid: String, dialect: Dialect, clientID: String?, createdAt: Int64,
        absoluteExpiresAt: Int64?, revokedAt: Int64?, revokeReason: String?
    ) {
        self.id = id
        self.uid = uid
        self.dialect = dialect
        self.clientID = clientID
        self.createdAt = createdAt
        self.absoluteExpiresAt = absoluteExpiresAt
        self.revokedAt = revokedAt
        self.revokeReason = revokeReason
    }

    /// Whether the session is neither revoked nor past its absolute end at `now`.
    public func isLive(at now: Int64) -> Bool {
        guard revokedAt == nil else { return false }
        if let end = absoluteExpiresAt, end <= now { return false }
        return true
    }
}

/// A session with the state of its user and domain, as checked at every protected call.
public struct SessionState: Sendable, Equatable {
    public var session: Session
    public var user: User
    public var domain: UserDomain

    public init(session: Session, user: User, domain: UserDomain) {
        self.session = session
        self.user = user
        self.domain = domain
    }

    /// Live session, enabled user, enabled domain.
    public func isActive(at now: Int64) -> Bool {
        session.isLive(at: now) && user.enabled && domain.enabled
    }
}
