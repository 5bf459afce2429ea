/// The rules of rotation, as a pure function of what the store read. Stores apply its verdict
/// inside their transaction, so the rules live here once for every database.
public struct RefreshPolicy: Sendable {
    public var dialect: Dialect
    /// The oauth client making the request; must match the session's.
    public var clientID: String?
    public var kind: SuccessorDeriver.Kind
    public var refreshLifetime: Int64
    public var grace: Int64
    /// SHA-256 of the successor derived from the presented credential.
    public var successorHash: [UInt8]
    /// SHA-256 of the same successor in the legacy format, when it differs: a token rotated
    /// before schema v5 got that one, and a retry within the grace window must still find it.
    public var legacySuccessorHash: [UInt8]?
    public var now: Int64

    public init(
        dialect: Dialect, clientID: String?, kind: SuccessorDeriver.Kind, refreshLifetime: Int64, grace: Int64,
        successorHash: [UInt8], legacySuccessorHash: [UInt8]? = nil, now: Int64
    ) {
        self.dialect = dialect
        self.clientID = clientID
        self.kind = kind
        self.refreshLifetime = refreshLifetime
        self.grace = grace
        self.successorHash = successorHash
        self.legacySuccessorHash = legacySuccessorHash
        self.now = now
    }

    /// The verdict for `input`.
    ///
    /// - A token of another dialect or client, of a dead session, user or domain: reject.
    /// - The current token, not expired: rotate, the successor living `refreshLifetime`
    ///   capped by the session's absolute end.
    /// - A token rotated no more than `grace` seconds ago: replay its successor, provided the
    ///   successor derived from what was presented is the one recorded.
    /// - A refresh token rotated longer ago: reuse, revoke the session. (A stale *access* token
    ///   presented to kanfang is only refused: access tokens are not single-use.)
    public func decide(_ input: RotationInput) -> RotationDecision {
        let session = input.state.session
        guard session.dialect == dialect else { return .reject(reason: "dialect") }
        guard session.clientID == clientID else { return .reject(reason: "client") }
        guard input.state.isActive(at: now) else { return .reject(reason: "inactive") }
        let token = input.token
        guard let rotatedAt = token.rotatedAt else {
            guard token.expiresAt > now else { return .reject(reason: "expired") }
            var expiry = now + refreshLifetime
            if let end = session.absoluteExpiresAt { expiry = min(expiry, end) }
            return .rotate(successorExpiresAt: expiry)
        }
        if now - rotatedAt <= grace {
            guard let recorded = token.successorHash,
                ConstantTime.equals(recorded, successorHash) || legacySuccessorHash.map({ ConstantTime.equals(recorded, $0) }) == true
            else {
                return .reject(reason: "grace-mismatch")
            }
            return .replay
        }
        switch kind {
        case .refreshToken: return .revokeSession(reason: "reuse")
        case .accessToken: return .reject(reason: "stale-access-token")
        }
    }
}
