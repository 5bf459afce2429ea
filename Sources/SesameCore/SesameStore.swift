/// Everything the token core needs from a database. One implementation per database (SQLite,
/// PostgreSQL), all passing the same store test suite. Stores read and write rows; the rules are
/// the core's pure types, which stores apply: ``RefreshPolicy`` (rotation), ``LockoutPolicy``,
/// and ``AuditKind`` with its event builders.
///
/// Implementations keep the invariants in the schema: UNIQUE names and identifiers, NOT NULL,
/// foreign keys, and *one current refresh token per session* as a partial UNIQUE index. Every
/// method that writes is one transaction and durable when it returns.
public protocol SesameStore: Sendable {
    // MARK: Bootstrap

    /// Succeeds when the database answers a trivial query (for `/health`).
    func ping() async throws

    /// The secret named `name`, created with `make()` on first use. Concurrent first uses by
    /// several processes all get the same value.
    func secret(named name: String, orCreate make: @Sendable () -> [UInt8]) async throws -> [UInt8]

    /// All signing keys, newest first.
    func signingKeys() async throws -> [SigningKeyRecord]

    /// Inserts `key` unless a key that is not retired already exists.
    func insertSigningKeyIfNoneActive(_ key: SigningKeyRecord) async throws

    /// Inserts `key` and retires every other key that is not retired yet, at `now`, in one
    /// transaction: `key` signs from then on. Returns the `kid`s retired.
    func rotateSigningKey(to key: SigningKeyRecord, at now: Int64) async throws -> [String]

    /// Retires the key `kid` at `now` (it stops signing, and verifies until its tokens expire);
    /// `false` when no such key is active.
    func retireSigningKey(kid: String, at now: Int64) async throws -> Bool

    /// Seals every secret (signing keys, the `secrets` table, domain secrets) with `newKEK`, in
    /// one transaction: rows in clear, and rows sealed with the store's current KEK. The store
    /// then uses `newKEK`. Returns how many rows were rewritten.
    /// - Throws: ``SesameError/Code/invalidInput`` when a row does not open with the current KEK.
    func reseal(with newKEK: KeyEncryptionKey) async throws -> Int

    // MARK: Domains

    /// Creates a domain. Throws ``SesameError/Code/conflict`` when the name is taken.
    func createDomain(name: String, secret: String, at now: Int64) async throws -> UserDomain
    func domain(named name: String) async throws -> UserDomain?
    func domains() async throws -> [UserDomain]
    /// Enables or disables a domain; `false` when no such domain.
    func setDomainEnabled(name: String, enabled: Bool) async throws -> Bool

    // MARK: Users

    /// Creates a user. Throws ``SesameError/Code/conflict`` when the e-mail, phone or user
    /// name is taken in the domain, ``SesameError/Code/notFound`` for an unknown domain.
    func createUser(_ user: User) async throws
    func user(uid: String) async throws -> User?
    /// The user `identifier` names in `domainID`, if any.
    func findUser(domainID: Int64, identifier: AccountIdentifier) async throws -> User?
    /// Users, optionally of one domain, in registration order.
    func users(domainID: Int64?) async throws -> [User]
    /// Disables the user and revokes all of its sessions in one transaction; `false` when no
    /// such user.
    func disableUser(uid: String, at now: Int64) async throws -> Bool
    /// Replaces a user's password hash (a rehash at the configured cost).
    func updatePasswordHash(uid: String, hash: String) async throws
    /// Enables a user; `false` when no such user.
    func setUserEnabled(uid: String) async throws -> Bool

    // MARK: OAuth clients

    /// Registers `client`. Throws ``SesameError/Code/conflict`` when its `client_id` is taken,
    /// ``SesameError/Code/notFound`` when its domain does not exist.
    func createClient(_ client: OAuthClient) async throws
    /// The client with this `client_id`; `nil` when none.
    func client(id: String) async throws -> OAuthClient?
    /// Clients, optionally of one domain, ordered by `client_id`.
    func clients(domainID: Int64?) async throws -> [OAuthClient]
    /// Deletes the client and revokes every live session it created (reason `client-removed`),
    /// in one transaction; `false` when no such client. A client registered later under the
    /// same `client_id` inherits nothing: the old sessions stay revoked.
    func removeClient(id: String, at now: Int64) async throws -> Bool

    // MARK: Lockout

    /// Claims the next login attempt of `key`, before the password is checked, so that
    /// concurrent guesses each take a slot and at most `policy.threshold` of them ever run. The
    /// store reads the failure row, asks ``LockoutPolicy/claim(_:at:)`` and writes its answer.
    ///
    /// Every claim must end in ``recordLoginFailure(_:attempt:at:policy:)`` or in
    /// a clearing write. Claims that never end (a crash mid-check) hold their slots at most
    /// `lockSeconds` after the last claim, then the count starts afresh.
    func beginLoginAttempt(_ key: LoginAttemptKey, at now: Int64, policy: LockoutPolicy) async throws -> LoginAttemptSlot
    /// Records that the attempt claimed by ``beginLoginAttempt(_:at:policy:)`` failed;
    /// writes what ``LockoutPolicy/failure(_:attempt:at:)`` says (the freeze and the audit events).
    func recordLoginFailure(_ key: LoginAttemptKey, attempt: Int, at now: Int64, policy: LockoutPolicy) async throws
    /// Releases every claimed attempt of `key` (the password was right).
    func clearLoginFailures(_ key: LoginAttemptKey) async throws

    // MARK: Sessions

    /// Creates a session with its first refresh token, clears the failure count of `key` and
    /// records the user's login time, in one transaction.
    func createSession(_ session: Session, firstToken: RefreshTokenRecord, clearing key: LoginAttemptKey?) async throws

    /// Looks up the presented token and applies `decide`'s verdict, all in one short write
    /// transaction (so that concurrent rotations serialise and can later be group-committed).
    func rotate(
        _ request: RotationRequest,
        decide: @escaping @Sendable (RotationInput) -> RotationDecision
    ) async throws -> RotationResult

    /// The refresh token with this id (an access token's `jti`) in this session; `nil` when unknown.
    func refreshToken(id: String, sessionID: String) async throws -> RefreshTokenRecord?

    /// The refresh token `key` finds, used or current; `nil` when unknown. With a location, the
    /// row at that primary key if its hash is `key.hash`; without, a legacy (unlocated) row with
    /// that hash. (For introspection, revocation and the look-up before a legacy token's
    /// rotation, which must not consume it.)
    func refreshToken(_ key: RefreshTokenKey) async throws -> RefreshTokenRecord?

    /// The session with its user and domain; `nil` when unknown.
    func sessionState(id: String) async throws -> SessionState?
    /// The session, user and domain of the refresh token `key` finds (as
    /// ``refreshToken(_:)``); `nil` when unknown.
    func sessionState(refreshToken key: RefreshTokenKey) async throws -> SessionState?
    /// Revokes a live session and records a `session-revoked` audit event with `reason`, in one
    /// transaction; `false` when unknown or already revoked.
    func revokeSession(id: String, at now: Int64, reason: String) async throws -> Bool
    /// Sessions, optionally of one user, newest first, at most `limit`.
    func sessions(uid: String?, limit: Int) async throws -> [Session]

    // MARK: Housekeeping

    /// Deletes what can no longer matter, in short batches so that no write waits long:
    /// refresh tokens that expired before `cutoff` (used ones are kept until then, for reuse
    /// detection), sessions revoked before `cutoff` or with no token left, and login-failure
    /// counts that are neither frozen nor touched since `staleFailuresBefore`.
    func sweep(cutoff: Int64, now: Int64, staleFailuresBefore: Int64) async throws -> SweepReport

    // MARK: Audit

    /// Appends an audit event.
    func recordAudit(_ event: AuditEvent) async throws
    /// The newest audit events matching `query`, newest first.
    func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent]
    /// Deletes audit events older than `cutoff` (in short batches); returns how many.
    func deleteAuditEvents(before cutoff: Int64) async throws -> Int
}

extension SesameStore {
    /// The newest audit events, at most `limit`.
    public func auditEvents(limit: Int) async throws -> [AuditEvent] {
        try await auditEvents(AuditQuery(limit: limit))
    }
}

/// Which audit events to read.
public struct AuditQuery: Sendable, Equatable {
    /// At most this many (newest first).
    public var limit: Int
    /// Only events of this uid.
    public var uid: String?
    /// Only events of this kind (`login`, `refresh`, ...).
    public var kind: String?

    public init(limit: Int = 100, uid: String? = nil, kind: String? = nil) {
        self.limit = limit
        self.uid = uid
        self.kind = kind
    }
}

/// The key failed logins are counted under.
public struct LoginAttemptKey: Sendable, Hashable {
    public var domainID: Int64
    public var identifier: String
    public init(domainID: Int64, identifier: String) {
        self.domainID = domainID
        self.identifier = identifier
    }
}

/// The answer of ``SesameStore/beginLoginAttempt(_:at:policy:)``.
public enum LoginAttemptSlot: Sendable, Equatable {
    /// The password may be checked; this is failure number `attempt` if it is wrong.
    case allowed(attempt: Int)
    /// Frozen until the given Unix time.
    case frozen(until: Int64)
    /// Not frozen, but every remaining slot is held by an attempt still being checked; ask again
    /// once they end. Claims that never end stop counting at the given Unix time.
    case busy(until: Int64)
}

/// What a rotation looks up and what it would write.
public struct RotationRequest: Sendable {
    /// The presented (or, for an access token, the named) refresh token. The core gives it a
    /// location whenever it knows one, so that the writer finds the row by primary key.
    public var token: RefreshTokenKey
    /// SHA-256 of the successor the core derived from the presented credential.
    public var successorHash: [UInt8]
    /// The id a newly inserted successor gets (derived, so that a retry names the same row).
    public var successorID: String
    /// Whether the successor's text names its row (it is then left out of the hash index).
    public var successorIsLocated: Bool
    public var now: Int64
    /// A login-failure count to clear in the same transaction (a password was just checked).
    public var clearing: LoginAttemptKey?

    public init(
        token: RefreshTokenKey, successorHash: [UInt8], successorID: String, successorIsLocated: Bool, now: Int64,
        clearing: LoginAttemptKey? = nil
    ) {
        self.token = token
        self.successorHash = successorHash
        self.successorID = successorID
        self.successorIsLocated = successorIsLocated
        self.now = now
        self.clearing = clearing
    }
}

/// What a store hands the rotation policy, read inside the rotation's transaction.
public struct RotationInput: Sendable {
    public var token: RefreshTokenRecord
    public var state: SessionState
    public init(token: RefreshTokenRecord, state: SessionState) {
        self.token = token
        self.state = state
    }
}

/// The policy's verdict, which the store applies in the same transaction.
public enum RotationDecision: Sendable, Equatable {
    /// Mark the token rotated and insert the successor, expiring at the given time.
    case rotate(successorExpiresAt: Int64)
    /// Return the successor recorded at the earlier rotation.
    case replay
    /// Revoke the whole session (reuse detected) and record an audit event.
    case revokeSession(reason: String)
    /// Refuse; write nothing.
    case reject(reason: String)
}

/// What a rotation did.
public enum RotationResult: Sendable {
    case rotated(SessionState, successor: RefreshTokenRecord)
    case replayed(SessionState, successor: RefreshTokenRecord)
    case revoked(SessionState, reason: String)
    case rejected(reason: String)
    case notFound
}

/// One line of the audit trail. Never holds a token, password or secret.
public struct AuditEvent: Sendable, Equatable {
    public var at: Int64
    /// The raw value of one of ``AuditKind/all``.
    public var kind: String
    public var uid: String?
    public var sessionID: String?
    public var detail: String

    public init(at: Int64, kind: String, uid: String? = nil, sessionID: String? = nil, detail: String = "") {
        self.at = at
        self.kind = kind
        self.uid = uid
        self.sessionID = sessionID
        self.detail = detail
    }
}

/// What ``SesameStore/sweep(cutoff:now:staleFailuresBefore:)`` deleted.
public struct SweepReport: Sendable, Equatable {
    public var refreshTokens: Int
    public var sessions: Int
    public var loginFailures: Int
    /// Audit events past their retention (``SesameStore/deleteAuditEvents(before:)``).
    public var auditEvents: Int

    public init(refreshTokens: Int = 0, sessions: Int = 0, loginFailures: Int = 0, auditEvents: Int = 0) {
        self.refreshTokens = refreshTokens
        self.sessions = sessions
        self.loginFailures = loginFailures
        self.auditEvents = auditEvents
    }
}
