/// Every setting of the token core, with the defaults of CONTRACT.md.
///
/// Environment keys (all optional; durations in seconds):
/// `SESAME_ENDUSER_ACCESS_TTL`, `SESAME_ENDUSER_REFRESH_TTL`, `SESAME_KANFANG_ACCESS_TTL`,
/// `SESAME_KANFANG_REFRESH_TTL`, `SESAME_OAUTH_ACCESS_TTL`, `SESAME_OAUTH_REFRESH_TTL`,
/// `SESAME_SESSION_ABSOLUTE_TTL` (0 = none), `SESAME_REFRESH_GRACE`,
/// `SESAME_LOCKOUT_THRESHOLD` (count), `SESAME_LOCKOUT_SECONDS`, `SESAME_BCRYPT_COST`,
/// `SESAME_ISSUER`, `SESAME_KANFANG_DOMAIN`, `SESAME_KANFANG_REFRESH_REQUIRES_CREDENTIALS`,
/// `SESAME_ENDUSER_REVEAL_UNKNOWN_ACCOUNTS`, `SESAME_IP_LOGIN_FAILURES`, `SESAME_IP_LOGIN_WINDOW`,
/// `SESAME_IP_REFRESHES`, `SESAME_IP_REFRESH_WINDOW`, `SESAME_IP_LIMIT_EXEMPT`, `SESAME_KEY_RELOAD_INTERVAL`, `SESAME_SIGNING_ALGORITHM`; see ``settings``.
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

    /// The algorithm of signing keys Sesame generates (first start, `sesame key rotate`).
    public var signingAlgorithm: SigningAlgorithm = .es256

    /// Seconds between reloads of the signing keys from the store, so that keys rotated by
    /// another process are used (1 to 3600).
    public var signingKeyReloadInterval: Int64 = 60

    /// The longest access-token lifetime of any dialect.
    public var longestAccessLifetime: Int64 { max(enduser.access, kanfang.access, oauth.access) }

    /// How long a retired signing key keeps verifying: the longest access-token lifetime, plus
    /// one reload interval, during which a server that has not reloaded yet may still sign
    /// with it. After that no token it signed can be unexpired.
    public var signingKeyVerificationWindow: Int64 { longestAccessLifetime + signingKeyReloadInterval }

    /// Reads every `SESAME_*` setting present in `environment` over `self`.
    ///
    /// - Throws: ``SesameError`` with code ``SesameError/Code/invalidInput`` naming the first
    ///   variable whose value is not valid.
    public func overlaid(with environment: [String: String]) throws -> SesameConfiguration {
        let env = EnvironmentReader(environment)
        var c = self
        for setting in Self.settings { try setting.apply(&c, env) }
        return c
    }

    static let tenYears: Int64 = 10 * 365 * 86_400

    static func lifetime(
        _ key: String, default value: Int64, _ help: String, _ path: any WritableKeyPath<SesameConfiguration, Int64> & Sendable
    ) -> Setting<SesameConfiguration> {
        Setting(key, default: "\(value)", help) { c, env in
            if let v = try env.integer(key, in: 1...tenYears, rule: "a whole number of seconds above 0") { c[keyPath: path] = v }
        }
    }

    /// Every setting of the token core, in the order `--help` lists them.
    public static let settings: [Setting<SesameConfiguration>] = [
        lifetime("SESAME_ENDUSER_ACCESS_TTL", default: 7_200, "enduser access token lifetime, seconds", \.enduser.access),
        lifetime("SESAME_ENDUSER_REFRESH_TTL", default: 2_592_000, "enduser refresh token lifetime, seconds", \.enduser.refresh),
        lifetime("SESAME_KANFANG_ACCESS_TTL", default: 172_800, "kanfang access token lifetime, seconds", \.kanfang.access),
        lifetime("SESAME_KANFANG_REFRESH_TTL", default: 2_592_000, "kanfang refresh token lifetime, seconds", \.kanfang.refresh),
        lifetime("SESAME_OAUTH_ACCESS_TTL", default: 900, "oauth access token lifetime, seconds", \.oauth.access),
        lifetime("SESAME_OAUTH_REFRESH_TTL", default: 2_592_000, "oauth refresh token lifetime, seconds", \.oauth.refresh),
        Setting("SESAME_SESSION_ABSOLUTE_TTL", default: "0", "cap on a session's whole life, seconds; 0 = none") { c, env in
            if let v = try env.integer("SESAME_SESSION_ABSOLUTE_TTL", in: 0...tenYears, rule: "a whole number of seconds") {
                c.sessionAbsoluteLifetime = v == 0 ? nil : v
            }
        },
        Setting("SESAME_REFRESH_GRACE", default: "10", "seconds a rotated refresh token still returns its successor") { c, env in
            if let v = try env.integer("SESAME_REFRESH_GRACE", in: 0...tenYears, rule: "a whole number of seconds") { c.refreshGrace = v }
        },
        Setting("SESAME_LOCKOUT_THRESHOLD", default: "5", "failures in a row that freeze an identifier (1 to 1000)") { c, env in
            if let v = try env.integer("SESAME_LOCKOUT_THRESHOLD", in: 1...1000, rule: "a count from 1 to 1000") { c.lockoutThreshold = v }
        },
        lifetime("SESAME_LOCKOUT_SECONDS", default: 1_200, "how long a freeze lasts, seconds", \.lockoutSeconds),
        Setting("SESAME_BCRYPT_COST", default: "10", "bcrypt cost of new password hashes (4 to 31)") { c, env in
            if let v = try env.integer("SESAME_BCRYPT_COST", in: 4...31, rule: "from 4 to 31") { c.bcryptCost = v }
        },
        Setting("SESAME_ISSUER", default: "http://HOST:PORT", "the tokens' iss claim (http:// or https:// URL)") { c, env in
            guard let v = env.text("SESAME_ISSUER") else { return }
            guard v.hasPrefix("http://") || v.hasPrefix("https://") else {
                throw SesameError(.invalidInput, "SESAME_ISSUER must be an http:// or https:// URL")
            }
            c.issuer = v
        },
        Setting("SESAME_KANFANG_DOMAIN", default: "default", "the user domain kanfang accounts live in") { c, env in
            guard let v = env.text("SESAME_KANFANG_DOMAIN") else { return }
            guard UserDomain.isValidName(v) else {
                throw SesameError(.invalidInput, "SESAME_KANFANG_DOMAIN must match ^[A-Za-z0-9._-]{1,64}$")
            }
            c.kanfangDomain = v
        },
        Setting(
            "SESAME_KANFANG_REFRESH_REQUIRES_CREDENTIALS", default: "true", "true/false: kanfang RefreshToken demands authKey/authValue"
        ) { c, env in
            if let v = try env.flag("SESAME_KANFANG_REFRESH_REQUIRES_CREDENTIALS") { c.kanfangRefreshRequiresCredentials = v }
        },
        Setting(
            "SESAME_ENDUSER_REVEAL_UNKNOWN_ACCOUNTS", default: "false", "true/false: enduser answers 5031/5004 for unknown accounts"
        ) { c, env in
            if let v = try env.flag("SESAME_ENDUSER_REVEAL_UNKNOWN_ACCOUNTS") { c.enduserRevealUnknownAccounts = v }
        },
        Setting("SESAME_IP_LOGIN_FAILURES", default: "\(ClientLimits().loginFailures)", "failed logins per client address and window; 0 = off") { c, env in
            if let v = try env.integer("SESAME_IP_LOGIN_FAILURES", in: 0...1_000_000, rule: "a count; 0 turns the limit off") {
                c.clientLimits.loginFailures = v
            }
        },
        Setting("SESAME_IP_LOGIN_WINDOW", default: "\(ClientLimits().loginWindow)", "window of SESAME_IP_LOGIN_FAILURES, seconds") { c, env in
            if let v = try env.integer("SESAME_IP_LOGIN_WINDOW", in: Int64(1)...86_400, rule: "from 1 to 86400 seconds") {
                c.clientLimits.loginWindow = v
            }
        },
        Setting("SESAME_IP_REFRESHES", default: "\(ClientLimits().refreshes)", "refreshes per client address and window; 0 = off") { c, env in
            if let v = try env.integer("SESAME_IP_REFRESHES", in: 0...10_000_000, rule: "a count; 0 turns the limit off") {
                c.clientLimits.refreshes = v
            }
        },
        Setting("SESAME_IP_REFRESH_WINDOW", default: "\(ClientLimits().refreshWindow)", "window of SESAME_IP_REFRESHES, seconds") { c, env in
            if let v = try env.integer("SESAME_IP_REFRESH_WINDOW", in: Int64(1)...86_400, rule: "from 1 to 86400 seconds") {
                c.clientLimits.refreshWindow = v
            }
        },
        Setting("SESAME_IP_LIMIT_EXEMPT", default: "127.0.0.0/8,::1", "addresses or CIDR ranges (comma-separated) never limited") { c, env in
            if let v = env.text("SESAME_IP_LIMIT_EXEMPT") {
                c.clientLimits.exempt = try IPAddressRange.list(v, setting: "SESAME_IP_LIMIT_EXEMPT")
            }
        },
        Setting("SESAME_KEY_RELOAD_INTERVAL", default: "60", "seconds between reloads of the signing keys (1 to 3600)") { c, env in
            if let v = try env.integer("SESAME_KEY_RELOAD_INTERVAL", in: Int64(1)...3_600, rule: "from 1 to 3600 seconds") {
                c.signingKeyReloadInterval = v
            }
        },
        Setting("SESAME_SIGNING_ALGORITHM", default: "ES256", "algorithm of new signing keys: ES256, RS256 or EdDSA") { c, env in
            guard let v = env.text("SESAME_SIGNING_ALGORITHM") else { return }
            guard let algorithm = SigningAlgorithm(name: v) else {
                throw SesameError(.invalidInput, "SESAME_SIGNING_ALGORITHM must be ES256, RS256 or EdDSA")
            }
            c.signingAlgorithm = algorithm
        },
    ]
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
