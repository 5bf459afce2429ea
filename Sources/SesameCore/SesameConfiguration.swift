/// Every setting of the token core, with the defaults of CONTRACT.md.
///
/// Environment keys (all optional; durations in seconds):
/// `SESAME_ENDUSER_ACCESS_TTL`, `SESAME_ENDUSER_REFRESH_TTL`, `SESAME_KANFANG_ACCESS_TTL`,
/// `SESAME_KANFANG_REFRESH_TTL`, `SESAME_OAUTH_ACCESS_TTL`, `SESAME_OAUTH_REFRESH_TTL`,
/// `SESAME_SESSION_ABSOLUTE_TTL` (0 = none), `SESAME_REFRESH_GRACE`,
/// `SESAME_LOCKOUT_THRESHOLD` (count), `SESAME_LOCKOUT_SECONDS`, `SESAME_BCRYPT_COST`,
/// `SESAME_ISSUER`, `SESAME_KANFANG_DOMAIN`, `SESAME_KANFANG_REFRESH_REQUIRES_CREDENTIALS`,
/// `SESAME_ENDUSER_REVEAL_UNKNOWN_ACCOUNTS`, `SESAME_IP_LOGIN_FAILURES`, `SESAME_IP_LOGIN_WINDOW`,
/// `SESAME_IP_REFRESHES`, `SESAME_IP_REFRESH_WINDOW`, `SESAME_IP_LIMIT_EXEMPT`.
public struct SesameConfiguration: Sendable, Equatable {
    /// Lifetimes of one dialect's tokens, in seconds.
    public struct Lifetimes: Sendable, Equatable {
        public var access: Int64
        public var refresh: Int64
        public init(access: Int64, refresh: Int64) {
            self.access = access
            self.refresh = refresh
        }
    }

    public var enduser = Lifetimes(access: 7_200, refresh: 2_592_000)
    public var kanfang = Lifetimes(access: 172_800, refresh: 2_592_000)
    public var oauth = Lifetimes(access: 900, refresh: 2_592_000)
    /// The longest a session may live however often it refreshes; `nil` for no cap.
    public var sessionAbsoluteLifetime: Int64?
    /// How long after a rotation the rotated refresh token still returns the same successor.
    public var refreshGrace: Int64 = 10
    /// Failures in a row that freeze an identifier.
    public var lockoutThreshold: Int = 5
    /// How long a frozen identifier stays frozen.
    public var lockoutSeconds: Int64 = 1_200
    /// bcrypt cost for new password hashes (4...31).
    public var bcryptCost: Int = 10
    /// The `iss` claim; `nil` means `http://HOST:PORT` of the listening address.
    public var issuer: String?
    /// The user domain that kanfang accounts live in.
    public var kanfangDomain: String = "default"
    /// Whether kanfang's `RefreshToken` demands `authKey`/`authValue` (the seed's version) or not
    /// (the family's later revision).
    public var kanfangRefreshRequiresCredentials: Bool = true
    /// When true, enduser logins answer 5031/5004 for unknown accounts instead of the
    /// wrong-password code. Off by default: it lets anyone enumerate accounts.
    public var enduserRevealUnknownAccounts: Bool = false

    /// Per-client-address limits on failed logins and refreshes.
    public var clientLimits = ClientLimits()

    public init() {}

    /// The lifetimes of `dialect`.
    public func lifetimes(for dialect: Dialect) -> Lifetimes {
        switch dialect {
        case .enduser: enduser
        case .kanfang: kanfang
        case .oauth: oauth
        }
    }

    /// Reads every `SESAME_*` setting present in `environment` over `self`.
    ///
    /// - Throws: ``SesameError`` with code ``SesameError/Code/invalidInput`` naming the first
    ///   variable whose value is not valid.
    public func overlaid(with environment: [String: String]) throws -> SesameConfiguration {
        let env = EnvironmentReader(environment)
        let tenYears: Int64 = 10 * 365 * 86_400
        func lifetime(_ key: String) throws -> Int64? {
            try env.integer(key, in: 1...tenYears, rule: "a whole number of seconds above 0")
        }
        var c = self
        c.enduser.access = try lifetime("SESAME_ENDUSER_ACCESS_TTL") ?? c.enduser.access
        c.enduser.refresh = try lifetime("SESAME_ENDUSER_REFRESH_TTL") ?? c.enduser.refresh
        c.kanfang.access = try lifetime("SESAME_KANFANG_ACCESS_TTL") ?? c.kanfang.access
        c.kanfang.refresh = try lifetime("SESAME_KANFANG_REFRESH_TTL") ?? c.kanfang.refresh
        c.oauth.access = try lifetime("SESAME_OAUTH_ACCESS_TTL") ?? c.oauth.access
        c.oauth.refresh = try lifetime("SESAME_OAUTH_REFRESH_TTL") ?? c.oauth.refresh
        c.lockoutSeconds = try lifetime("SESAME_LOCKOUT_SECONDS") ?? c.lockoutSeconds
        c.refreshGrace =
            try env.integer("SESAME_REFRESH_GRACE", in: 0...tenYears, rule: "a whole number of seconds") ?? c.refreshGrace
        if let absolute = try env.integer("SESAME_SESSION_ABSOLUTE_TTL", in: 0...tenYears, rule: "a whole number of seconds") {
            c.sessionAbsoluteLifetime = absolute == 0 ? nil : absolute
        }
        c.lockoutThreshold =
            try env.integer("SESAME_LOCKOUT_THRESHOLD", in: 1...1000, rule: "a count from 1 to 1000") ?? c.lockoutThreshold
        c.bcryptCost = try env.integer("SESAME_BCRYPT_COST", in: 4...31, rule: "from 4 to 31") ?? c.bcryptCost
        if let v = env.text("SESAME_ISSUER") {
            guard v.hasPrefix("http://") || v.hasPrefix("https://") else {
                throw SesameError(.invalidInput, "SESAME_ISSUER must be an http:// or https:// URL")
            }
            c.issuer = v
        }
        if let v = env.text("SESAME_KANFANG_DOMAIN") {
            guard UserDomain.isValidName(v) else {
                throw SesameError(.invalidInput, "SESAME_KANFANG_DOMAIN must match ^[A-Za-z0-9._-]{1,64}$")
            }
            c.kanfangDomain = v
        }
        c.kanfangRefreshRequiresCredentials =
            try env.flag("SESAME_KANFANG_REFRESH_REQUIRES_CREDENTIALS") ?? c.kanfangRefreshRequiresCredentials
        c.enduserRevealUnknownAccounts = try env.flag("SESAME_ENDUSER_REVEAL_UNKNOWN_ACCOUNTS") ?? c.enduserRevealUnknownAccounts
        c.clientLimits.loginFailures =
            try env.integer("SESAME_IP_LOGIN_FAILURES", in: 0...1_000_000, rule: "a count; 0 turns the limit off")
            ?? c.clientLimits.loginFailures
        c.clientLimits.loginWindow =
            try env.integer("SESAME_IP_LOGIN_WINDOW", in: 1...86_400, rule: "from 1 to 86400 seconds") ?? c.clientLimits.loginWindow
        c.clientLimits.refreshes =
            try env.integer("SESAME_IP_REFRESHES", in: 0...10_000_000, rule: "a count; 0 turns the limit off") ?? c.clientLimits.refreshes
        c.clientLimits.refreshWindow =
            try env.integer("SESAME_IP_REFRESH_WINDOW", in: 1...86_400, rule: "from 1 to 86400 seconds") ?? c.clientLimits.refreshWindow
        if let v = env.text("SESAME_IP_LIMIT_EXEMPT") {
            c.clientLimits.exempt = try IPAddressRange.list(v, setting: "SESAME_IP_LIMIT_EXEMPT")
        }
        return c
    }
}

extension String {
    /// The string without leading and trailing white space.
    public func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
