/// The writes that apply a ``RotationDecision``, worked out from the rows the store read: the
/// store executes them mechanically in the rotation's transaction and returns ``result``.
///
/// ```swift
/// switch RotationPlan(request, input, decide(input)) {
/// case .rotate(let mark, let successor, let event): // UPDATE mark ... ; INSERT successor; INSERT event
/// case .replay(let candidates): // the first row found among candidates
/// case .revoke(let sessionID, let reason, let event): // UPDATE sessions ...; INSERT event
/// case .reject(let reason): return .rejected(reason: reason)
/// }
/// ```
public enum RotationPlan: Sendable, Equatable {
    /// Mark the presented token's row rotated (only while it is still current: when no row
    /// changes, answer `.rejected(reason: RotationPlan.alreadyRotated)`), insert `successor`,
    /// append `event`, and answer `.rotated(state, successor:)`.
    case rotate(mark: Mark, successor: RefreshTokenRecord, event: AuditEvent)
    /// Look up the successor of an earlier rotation: the first of `candidates` found, answered
    /// as `.replayed(state, successor:)`; none found: `.rejected(reason: RotationPlan.successorMissing)`.
    case replay(candidates: [RefreshTokenKey])
    /// Revoke session `sessionID` (if still live) for `reason`, append `event`, and answer
    /// `.revoked(state, reason:)`.
    case revoke(sessionID: String, reason: String, event: AuditEvent)
    /// Write nothing; answer `.rejected(reason:)`.
    case reject(reason: String)

    /// The update that marks a token rotated.
    public struct Mark: Sendable, Equatable {
        /// The primary key of the presented token's row.
        public var location: RefreshTokenKey.Location
        public var rotatedAt: Int64
        public var successorHash: [UInt8]
    }

    /// The reason when a concurrent rotation marked the token first.
    public static let alreadyRotated = "already-rotated"
    /// The reason when a replay finds no recorded successor.
    public static let successorMissing = "successor-missing"

    /// The plan for `decision`, taken on `input` (read for `request`).
    public init(_ request: RotationRequest, _ input: RotationInput, _ decision: RotationDecision) {
        let token = input.token
        let location = RefreshTokenKey.Location(sessionID: token.sessionID, id: token.id)
        switch decision {
        case .rotate(let expiresAt):
            let successor = RefreshTokenRecord(
                id: request.successorID, tokenHash: request.successorHash, sessionID: token.sessionID,
                issuedAt: request.now, expiresAt: expiresAt, isLocated: request.successorIsLocated)
            self = .rotate(
                mark: Mark(location: location, rotatedAt: request.now, successorHash: request.successorHash),
                successor: successor, event: .refresh(input.state, at: request.now))
        case .replay:
            // The successor this request derived, at its primary key; or, for a rotation made
            // before schema v5, the legacy successor it recorded, by its hash.
            guard let hash = token.successorHash else {
                self = .reject(reason: Self.successorMissing)
                return
            }
            self = .replay(candidates: [
                RefreshTokenKey(hash: hash, location: .init(sessionID: token.sessionID, id: request.successorID)),
                RefreshTokenKey(hash: hash),
            ])
        case .revokeSession(let reason):
            self = .revoke(sessionID: token.sessionID, reason: reason, event: .refreshReuse(input.state, reason: reason, at: request.now))
        case .reject(let reason):
            self = .reject(reason: reason)
        }
    }
}
