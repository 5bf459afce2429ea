/// What the `sesame` CLI does to a store: domains, users, oauth clients, sessions. Validates input the way
/// the login paths will expect it, and leaves uniqueness to the store's constraints.
public struct Administration: Sendable {
    public let store: any SesameStore
    public let clock: any SesameClock
    public let hasher: PasswordHasher

    public init(store: any SesameStore, clock: any SesameClock = SystemClock(), hasher: PasswordHasher) {
        self.store = store
        self.clock = clock
        self.hasher = hasher
    }

    /// The fields of a new user.
    public struct NewUser: Sendable {
        public var domain: String
        public var email: String?
        public var phone: String?
        public var internationalCode: String
        public var username: String?
        public var nickname: String?
        public var password: String

        public init(
            domain: String, email: String? = nil, phone: String? = nil, internationalCode: String = "86",
            username: String? = nil, nickname: String? = nil, password: String
        ) {
            self.domain = domain
            self.email = email
            self.phone = phone
            self.internationalCode = internationalCode
            self.username = username
            self.nickname = nickname
            self.password = password
        }
    }

    /// Creates a user domain.
    /// - Throws: ``SesameError/Code/invalidInput`` for a bad name or a secret under 16
    ///   characters, ``SesameError/Code/conflict`` when the name is taken.
    @discardableResult
    public func addDomain(name: String, secret: String) async throws -> UserDomain {
        guard UserDomain.isValidName(name) else {
            throw SesameError(.invalidInput, "domain name must match ^[A-Za-z0-9._-]{1,64}$")
        }
        guard (16...256).contains(secret.utf8.count) else {
            throw SesameError(.invalidInput, "domain secret must be 16 to 256 bytes")
        }
        let now = clock.unixNow()
        let domain = try await store.createDomain(name: name, secret: secret, at: now)
        try await store.recordAudit(AuditEvent(at: now, kind: .domainAdded, detail: name))
        return domain
    }

    /// Disables (or re-enables) a domain: its users can no longer log in, and its sessions
    /// stop passing checks while it is disabled.
    public func setDomainEnabled(name: String, enabled: Bool) async throws {
        guard try await store.setDomainEnabled(name: name, enabled: enabled) else {
            throw SesameError(.notFound, "no domain named \(name)")
        }
        try await store.recordAudit(
            AuditEvent(at: clock.unixNow(), kind: enabled ? .domainEnabled : .domainDisabled, detail: name))
    }

    /// Creates a user and returns it.
    /// - Throws: ``SesameError/Code/invalidInput``, ``SesameError/Code/notFound`` (domain),
    ///   ``SesameError/Code/conflict``.
    public func addUser(_ new: NewUser) async throws -> User {
        guard let domain = try await store.domain(named: new.domain) else {
            throw SesameError(.notFound, "no domain named \(new.domain)")
        }
        let email = try new.email.map { e -> String in
            guard AccountRules.isValidEmail(e) else { throw SesameError(.invalidInput, "malformed e-mail") }
            return AccountRules.normalizedEmail(e)
        }
        var code: String?
        let phone = try new.phone.map { p -> String in
            guard let c = AccountRules.normalizedInternationalCode(new.internationalCode) else {
                throw SesameError(.invalidInput, "malformed international code")
            }
            guard AccountRules.isValidPhone(p) else { throw SesameError(.invalidInput, "malformed phone number") }
            code = c
            return p
        }
        if let u = new.username {
            guard AccountRules.isValidUsername(u) else {
                throw SesameError(.invalidInput, "user name must be 1 to 64 characters without spaces")
            }
        }
        guard email != nil || phone != nil || new.username != nil else {
            throw SesameError(.invalidInput, "a user needs an e-mail, a phone or a user name")
        }
        guard AccountRules.isValidPassword(new.password) else {
            throw SesameError(.invalidInput, "password must be 6 to 20 characters")
        }
        let now = clock.unixNow()
        let user = User(
            uid: "U" + RandomToken.bytes(10).hexString(), domainID: domain.id, email: email, phone: phone,
            internationalCode: code, username: new.username, nickname: new.nickname,
            passwordHash: try await hasher.hash(new.password), enabled: true, registeredAt: now, lastLoginAt: nil)
        try await store.createUser(user)
        try await store.recordAudit(AuditEvent(at: now, kind: .userAdded, uid: user.uid, detail: domain.name))
        return user
    }

    /// Disables a user and revokes all of its sessions.
    public func disableUser(uid: String) async throws {
        let now = clock.unixNow()
        guard try await store.disableUser(uid: uid, at: now) else { throw SesameError(.notFound, "no user \(uid)") }
        try await store.recordAudit(AuditEvent(at: now, kind: .userDisabled, uid: uid))
    }

    /// Enables a disabled user again (its revoked sessions stay revoked).
    public func enableUser(uid: String) async throws {
        guard try await store.setUserEnabled(uid: uid) else { throw SesameError(.notFound, "no user \(uid)") }
        try await store.recordAudit(AuditEvent(at: clock.unixNow(), kind: .userEnabled, uid: uid))
    }

    /// Registers an oauth client of `domain`; with a `secret` it is confidential (the secret is
    /// stored only as a hash), without one it is public. Records a `client-added` audit event.
    ///
    /// - Throws: ``SesameError/Code/invalidInput`` for a malformed `client_id` or secret,
    ///   ``SesameError/Code/notFound`` for an unknown domain, ``SesameError/Code/conflict`` when
    ///   the `client_id` is taken.
    @discardableResult
    public func addClient(id: String, domain domainName: String, secret: String?) async throws -> OAuthClient {
        guard OAuthClient.isValidID(id) else {
            throw SesameError(.invalidInput, "client_id must match ^[A-Za-z0-9._~-]{1,128}$")
        }
        if let secret, !OAuthClient.isValidSecret(secret) {
            throw SesameError(.invalidInput, "client secret must be 6 to 256 bytes without control characters")
        }
        guard let domain = try await store.domain(named: domainName) else {
            throw SesameError(.notFound, "no domain named \(domainName)")
        }
        let hasher = try await ClientSecretHasher.load(from: store)
        let now = clock.unixNow()
        let client = OAuthClient(id: id, domainID: domain.id, secretHash: secret.map(hasher.hash), createdAt: now)
        try await store.createClient(client)
        try await store.recordAudit(
            AuditEvent(at: now, kind: .clientAdded, detail: "\(id) in \(domain.name), \(client.isConfidential ? "confidential" : "public")"))
        return client
    }

    /// Removes an oauth client and revokes every session it created. Records a
    /// `client-removed` audit event.
    /// - Throws: ``SesameError/Code/notFound`` when no such client.
    public func removeClient(id: String) async throws {
        let now = clock.unixNow()
        guard try await store.removeClient(id: id, at: now) else { throw SesameError(.notFound, "no client \(id)") }
        try await store.recordAudit(AuditEvent(at: now, kind: .clientRemoved, detail: id))
    }

    /// Registered clients with their domains' names, optionally of one domain, by `client_id`.
    /// - Throws: ``SesameError/Code/notFound`` for an unknown domain.
    public func clients(domain domainName: String? = nil) async throws -> [(client: OAuthClient, domain: String)] {
        let domains = try await store.domains()
        var domainID: Int64?
        if let domainName {
            guard let d = domains.first(where: { $0.name == domainName }) else {
                throw SesameError(.notFound, "no domain named \(domainName)")
            }
            domainID = d.id
        }
        let names = Dictionary(uniqueKeysWithValues: domains.map { ($0.id, $0.name) })
        return try await store.clients(domainID: domainID).map { ($0, names[$0.domainID] ?? "?") }
    }

    /// Revokes one session.
    public func revokeSession(id: String) async throws {
        let now = clock.unixNow()
        guard try await store.revokeSession(id: id, at: now, reason: "admin") else {
            throw SesameError(.notFound, "no live session \(id)")
        }
    }
}
