/// An access token and a refresh token, as issued by a login or a refresh.
public struct TokenPair: Sendable {
    /// A signed JWT.
    public var accessToken: String
    /// Unix seconds.
    public var accessExpiresAt: Int64
    /// Opaque Base64URL text (``RefreshTokenKey`` describes its two formats).
    /// - Warning: Never log it.
    public var refreshToken: String
    /// Unix seconds.
    public var refreshExpiresAt: Int64
    /// When the pair was issued (Unix seconds); relative lifetimes are counted from here.
    public var issuedAt: Int64
    public var session: Session
    public var user: User

    public init(
        accessToken: String, accessExpiresAt: Int64, refreshToken: String, refreshExpiresAt: Int64, issuedAt: Int64,
        session: Session, user: User
    ) {
        self.accessToken = accessToken
        self.accessExpiresAt = accessExpiresAt
        self.refreshToken = refreshToken
        self.refreshExpiresAt = refreshExpiresAt
        self.issuedAt = issuedAt
        self.session = session
        self.user = user
    }
}
