/// The kinds of audit event, one list for the core, the stores and the CLI. Raw values are
/// what the `audit_events.kind` column holds and what `sesame audit --kind` filters on.
///
/// ```swift
/// try await store.recordAudit(AuditEvent(at: now, kind: .userAdded, uid: user.uid, detail: domain.name))
/// ```
public struct AuditKind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// A session was created by a successful login.
    public static let login = AuditKind(rawValue: "login")
    /// A password check failed.
    public static let loginFailed = AuditKind(rawValue: "login-failed")
    /// An identifier was frozen after too many failures.
    public static let lockout = AuditKind(rawValue: "lockout")
    /// A refresh token was rotated.
    public static let refresh = AuditKind(rawValue: "refresh")
    /// A used refresh token came back: its session was revoked.
    public static let refreshReuse = AuditKind(rawValue: "refresh-reuse")
    /// A session was revoked (logout, revocation, administrator).
    public static let sessionRevoked = AuditKind(rawValue: "session-revoked")
    public static let userAdded = AuditKind(rawValue: "user-added")
    public static let userDisabled = AuditKind(rawValue: "user-disabled")
    public static let userEnabled = AuditKind(rawValue: "user-enabled")
    public static let domainAdded = AuditKind(rawValue: "domain-added")
    public static let domainDisabled = AuditKind(rawValue: "domain-disabled")
    public static let domainEnabled = AuditKind(rawValue: "domain-enabled")
    public static let clientAdded = AuditKind(rawValue: "client-added")
    public static let clientRemoved = AuditKind(rawValue: "client-removed")
    public static let keyRotated = AuditKind(rawValue: "key-rotated")
    public static let keyRetired = AuditKind(rawValue: "key-retired")
    public static let kekRotated = AuditKind(rawValue: "kek-rotated")

    /// Every kind Sesame records.
    public static let all: [AuditKind] = [
        .login, .loginFailed, .lockout, .refresh, .refreshReuse, .sessionRevoked, .userAdded, .userDisabled, .userEnabled,
        .domainAdded, .domainDisabled, .domainEnabled, .clientAdded, .clientRemoved, .keyRotated, .keyRetired, .kekRotated,
    ]
}

/// The `revoke_reason` a session gets when something other than its own client ends it.
public enum RevokeReason {
    /// Its user was disabled.
    public static let userDisabled = "user-disabled"
    /// Its oauth client was removed.
    public static let clientRemoved = "client-removed"
}

extension AuditEvent {
    /// An event of `kind` (see ``AuditKind``).
    public init(at: Int64, kind: AuditKind, uid: String? = nil, sessionID: String? = nil, detail: String = "") {
        self.init(at: at, kind: kind.rawValue, uid: uid, sessionID: sessionID, detail: detail)
    }

    /// `login`: `session` was created; the detail is its dialect.
    public static func login(_ session: Session) -> AuditEvent {
        AuditEvent(at: session.createdAt, kind: .login, uid: session.uid, sessionID: session.id, detail: session.dialect.rawValue)
    }

    /// `refresh`: the session of `state` rotated a token at `now`; the detail is its dialect.
    public static func refresh(_ state: SessionState, at now: Int64) -> AuditEvent {
        AuditEvent(at: now, kind: .refresh, uid: state.user.uid, sessionID: state.session.id, detail: state.session.dialect.rawValue)
    }

    /// `refresh-reuse`: the session of `state` was revoked at `now` for `reason`.
    public static func refreshReuse(_ state: SessionState, reason: String, at now: Int64) -> AuditEvent {
        AuditEvent(at: now, kind: .refreshReuse, uid: state.user.uid, sessionID: state.session.id, detail: reason)
    }

    /// `session-revoked`: session `id` of `uid` was revoked at `now` for `reason`.
    public static func sessionRevoked(id: String, uid: String?, reason: String, at now: Int64) -> AuditEvent {
        AuditEvent(at: now, kind: .sessionRevoked, uid: uid, sessionID: id, detail: reason)
    }

    /// `lockout`: an identifier of domain `domainID` froze. Names no identifier and no uid.
    public static func lockout(domainID: Int64, at now: Int64) -> AuditEvent {
        AuditEvent(at: now, kind: .lockout, detail: "domain \(domainID)")
    }

    /// `login-failed`: attempt `attempt` in domain `domainID` failed. Names no identifier.
    public static func loginFailed(domainID: Int64, attempt: Int, at now: Int64) -> AuditEvent {
        AuditEvent(at: now, kind: .loginFailed, detail: "domain \(domainID), attempt \(attempt)")
    }
}
