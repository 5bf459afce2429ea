/// A store that records the latency of every operation of the store it wraps
/// (`sesame_store_operation_duration_seconds{operation}`), whatever the database.
///
/// Every method forwards to ``base`` unchanged; a new ``SesameStore`` requirement needs one
/// forwarding line here.
public struct MeasuredStore: SesameStore {
    public let base: any SesameStore
    public let metrics: SesameMetrics

    public init(_ base: any SesameStore, metrics: SesameMetrics) {
        self.base = base
        self.metrics = metrics
    }

    public func ping() async throws { try await metrics.measure("ping") { try await base.ping() } }

    public func secret(named name: String, orCreate make: @Sendable () -> [UInt8]) async throws -> [UInt8] {
        try await metrics.measure("secret") { try await base.secret(named: name, orCreate: make) }
    }

    public func signingKeys() async throws -> [SigningKeyRecord] {
        try await metrics.measure("signing_keys") { try await base.signingKeys() }
    }

    public func insertSigningKeyIfNoneActive(_ key: SigningKeyRecord) async throws {
        try await metrics.measure("insert_signing_key") { try await base.insertSigningKeyIfNoneActive(key) }
    }

    public func rotateSigningKey(to key: SigningKeyRecord, at now: Int64) async throws -> [String] {
        try await metrics.measure("rotate_signing_key") { try await base.rotateSigningKey(to: key, at: now) }
    }

    public func retireSigningKey(kid: String, at now: Int64) async throws -> Bool {
        try await metrics.measure("retire_signing_key") { try await base.retireSigningKey(kid: kid, at: now) }
    }

    public func reseal(with newKEK: KeyEncryptionKey) async throws -> Int {
        try await metrics.measure("reseal") { try await base.reseal(with: newKEK) }
    }

    public func createDomain(name: String, secret: String, at now: Int64) async throws -> UserDomain {
        try await metrics.measure("create_domain") { try await base.createDomain(name: name, secret: secret, at: now) }
    }

    public func domain(named name: String) async throws -> UserDomain? {
        try await metrics.measure("domain") { try await base.domain(named: name) }
    }

    public func domains() async throws -> [UserDomain] { try await metrics.measure("domains") { try await base.domains() } }

    public func setDomainEnabled(name: String, enabled: Bool) async throws -> Bool {
        try await metrics.measure("set_domain_enabled") { try await base.setDomainEnabled(name: name, enabled: enabled) }
    }

    public func createUser(_ user: User) async throws { try await metrics.measure("create_user") { try await base.createUser(user) } }

    public func user(uid: String) async throws -> User? { try await metrics.measure("user") { try await base.user(uid: uid) } }

    public func findUser(domainID: Int64, identifier: AccountIdentifier) async throws -> User? {
        try await metrics.measure("find_user") { try await base.findUser(domainID: domainID, identifier: identifier) }
    }

    public func users(domainID: Int64?) async throws -> [User] {
        try await metrics.measure("users") { try await base.users(domainID: domainID) }
    }

    public func disableUser(uid: String, at now: Int64) async throws -> Bool {
        try await metrics.measure("disable_user") { try await base.disableUser(uid: uid, at: now) }
    }

    public func updatePasswordHash(uid: String, hash: String) async throws {
        try await metrics.measure("update_password_hash") { try await base.updatePasswordHash(uid: uid, hash: hash) }
    }

    public func setUserEnabled(uid: String) async throws -> Bool {
        try await metrics.measure("set_user_enabled") { try await base.setUserEnabled(uid: uid) }
    }

    public func beginLoginAttempt(_ key: LoginAttemptKey, at now: Int64, policy: LockoutPolicy) async throws
        -> LoginAttemptSlot
    {
        try await metrics.measure("begin_login_attempt") {
            try await base.beginLoginAttempt(key, at: now, policy: policy)
        }
    }

    public func recordLoginFailure(_ key: LoginAttemptKey, attempt: Int, at now: Int64, policy: LockoutPolicy)
        async throws
    {
        try await metrics.measure("record_login_failure") {
            try await base.recordLoginFailure(key, attempt: attempt, at: now, policy: policy)
        }
    }

    public func clearLoginFailures(_ key: LoginAttemptKey) async throws {
        try await metrics.measure("clear_login_failures") { try await base.clearLoginFailures(key) }
    }

    public func createSession(_ session: Session, firstToken: RefreshTokenRecord, clearing key: LoginAttemptKey?) async throws {
        try await metrics.measure("create_session") { try await base.createSession(session, firstToken: firstToken, clearing: key) }
    }

    public func rotate(_ request: RotationRequest, decide: @escaping @Sendable (RotationInput) -> RotationDecision) async throws
        -> RotationResult
    {
        try await metrics.measure("rotate") { try await base.rotate(request, decide: decide) }
    }

    public func refreshToken(id: String, sessionID: String) async throws -> RefreshTokenRecord? {
        try await metrics.measure("refresh_token") { try await base.refreshToken(id: id, sessionID: sessionID) }
    }

    public func sessionState(id: String) async throws -> SessionState? {
        try await metrics.measure("session_state") { try await base.sessionState(id: id) }
    }

    public func sessionState(refreshToken key: RefreshTokenKey) async throws -> SessionState? {
        try await metrics.measure("session_state_by_token") { try await base.sessionState(refreshToken: key) }
    }

    public func revokeSession(id: String, at now: Int64, reason: String) async throws -> Bool {
        try await metrics.measure("revoke_session") { try await base.revokeSession(id: id, at: now, reason: reason) }
    }

    public func sessions(uid: String?, limit: Int) async throws -> [Session] {
        try await metrics.measure("sessions") { try await base.sessions(uid: uid, limit: limit) }
    }

    public func createClient(_ client: OAuthClient) async throws {
        try await metrics.measure("create_client") { try await base.createClient(client) }
    }

    public func client(id: String) async throws -> OAuthClient? {
        try await metrics.measure("client") { try await base.client(id: id) }
    }

    public func clients(domainID: Int64?) async throws -> [OAuthClient] {
        try await metrics.measure("clients") { try await base.clients(domainID: domainID) }
    }

    public func removeClient(id: String, at now: Int64) async throws -> Bool {
        try await metrics.measure("remove_client") { try await base.removeClient(id: id, at: now) }
    }

    public func refreshToken(_ key: RefreshTokenKey) async throws -> RefreshTokenRecord? {
        try await metrics.measure("refresh_token_by_key") { try await base.refreshToken(key) }
    }

    public func sweep(cutoff: Int64, now: Int64, staleFailuresBefore: Int64) async throws -> SweepReport {
        try await metrics.measure("sweep") { try await base.sweep(cutoff: cutoff, now: now, staleFailuresBefore: staleFailuresBefore) }
    }

    public func recordAudit(_ event: AuditEvent) async throws {
        try await metrics.measure("record_audit") { try await base.recordAudit(event) }
    }

    public func auditEvents(_ query: AuditQuery) async throws -> [AuditEvent] {
        try await metrics.measure("audit_events") { try await base.auditEvents(query) }
    }

    public func deleteAuditEvents(before cutoff: Int64) async throws -> Int {
        try await metrics.measure("delete_audit_events") { try await base.deleteAuditEvents(before: cutoff) }
    }
}
