/// What the store keeps of one refresh token: never the token, only its SHA-256.
public struct RefreshTokenRecord: Sendable, Equatable {
    /// Random identifier; the `jti` of the access tokens issued with this refresh token.
    public var id: String
    /// SHA-256 of the token.
    public var tokenHash: [UInt8]
    public var sessionID: String
    /// Unix seconds.
    public var issuedAt: Int64
    /// Unix seconds.
    public var expiresAt: Int64
    /// When it was rotated; `nil` while it is the session's current refresh token.
    public var rotatedAt: Int64?
    /// SHA-256 of the successor it was rotated to.
    public var successorHash: [UInt8]?
    /// Whether the token's text names this row (``RefreshTokenKey``'s located format): such a
    /// row is found by its primary key, and its hash is left out of the hash index.
    public var isLocated: Bool

    public init(
        id: String, tokenHash: [UInt8], sessionID: String, issuedAt: Int64, expiresAt: Int64,
        rotatedAt: Int64? = nil, successorHash: [UInt8]? = nil, isLocated: Bool = false
    ) {
        self.id = id
        self.tokenHash = tokenHash
        self.sessionID = sessionID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.rotatedAt = rotatedAt
        self.successorHash = successorHash
        self.isLocated = isLocated
    }

    /// The key that finds this row by its primary key.
    public var key: RefreshTokenKey { RefreshTokenKey(hash: tokenHash, location: .init(sessionID: sessionID, id: id)) }
}
