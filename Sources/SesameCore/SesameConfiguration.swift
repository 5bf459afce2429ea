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
    /// The lockout rule these settings make.
    public var lockout: LockoutPolicy { LockoutPolicy(threshold: lockoutThreshold, lockSeconds: lockoutSeconds) }
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
        var c = self
        for setting in Self.settings { try setting.apply(to: &c, from: environment) }
        return c
    }

    static let tenYears: Int64 = 10 * 365 * 86_400

    static func lifetime(
        _ key: String, _ path: any WritableKeyPath<SesameConfiguration, Int64> & Sendable, _ help: String
    ) -> Setting<SesameConfiguration> {
        .integer(key, path, in: 1...tenYears, rule: "a whole number of seconds above 0", help)
    }

    /// Every setting of the token core, in the order `--help` lists them. Defaults are the
    /// properties' initial values above.
    public static let settings: [Setting<SesameConfiguration>] = [
        lifetime("SESAME_ENDUSER_ACCESS_TTL", \.enduser.access, "enduser access token lifetime, seconds"),
        lifetime("SESAME_ENDUSER_REFRESH_TTL", \.enduser.refresh, "enduser refresh token lifetime, seconds"),
        lifetime("SESAME_KANFANG_ACCESS_TTL", \.kanfang.access, "kanfang access token lifetime, seconds"),
        lifetime("SESAME_KANFANG_REFRESH_TTL", \.kanfang.refresh, "kanfang refresh token lifetime, seconds"),
        lifetime("SESAME_OAUTH_ACCESS_TTL", \.oauth.access, "oauth access token lifetime, seconds"),
        lifetime("SESAME_OAUTH_REFRESH_TTL", \.oauth.refresh, "oauth refresh token lifetime, seconds"),
        .value(
            "SESAME_SESSION_ABSOLUTE_TTL", \.sessionAbsoluteLifetime, "cap on a session's whole life, seconds; 0 = none",
            shown: { "\($0 ?? 0)" }
        ) { value in
            let seconds = try value.integer(in: 0...tenYears, rule: "a whole number of seconds")
            return seconds == 0 ? nil : seconds
        },
        .integer(
            "SESAME_REFRESH_GRACE", \.refreshGrace, in: 0...tenYears, rule: "a whole number of seconds",
            "seconds a rotated refresh token still returns its successor"),
        .integer(
            "SESAME_LOCKOUT_THRESHOLD", \.lockoutThreshold, in: 1...1000, rule: "a count from 1 to 1000",
            "failures in a row that freeze an identifier (1 to 1000)"),
        lifetime("SESAME_LOCKOUT_SECONDS", \.lockoutSeconds, "how long a freeze lasts, seconds"),
        .integer("SESAME_BCRYPT_COST", \.bcryptCost, in: 4...31, rule: "from 4 to 31", "bcrypt cost of new password hashes (4 to 31)"),
        .value("SESAME_ISSUER", \.issuer, "the tokens' iss claim (http:// or https:// URL)", shown: { $0 ?? "http://HOST:PORT" }) {
            guard $0.text.hasPrefix("http://") || $0.text.hasPrefix("https://") else { throw $0.invalid("an http:// or https:// URL") }
            return $0.text
        },
        .value("SESAME_KANFANG_DOMAIN", \.kanfangDomain, "the user domain kanfang accounts live in") {
            guard UserDomain.isValidName($0.text) else { throw SesameError(.invalidInput, "\($0.key) must match ^[A-Za-z0-9._-]{1,64}$") }
            return $0.text
        },
        .flag(
            "SESAME_KANFANG_REFRESH_REQUIRES_CREDENTIALS", \.kanfangRefreshRequiresCredentials,
            "true/false: kanfang RefreshToken demands authKey/authValue"),
        .flag(
            "SESAME_ENDUSER_REVEAL_UNKNOWN_ACCOUNTS", \.enduserRevealUnknownAccounts,
            "true/false: enduser answers 5031/5004 for unknown accounts"),
        .integer(
            "SESAME_IP_LOGIN_FAILURES", \.clientLimits.loginFailures, in: 0...1_000_000, rule: "a count; 0 turns the limit off",
            "failed logins per client address and window; 0 = off"),
        .seconds("SESAME_IP_LOGIN_WINDOW", \.clientLimits.loginWindow, in: 1...86_400, "window of SESAME_IP_LOGIN_FAILURES, seconds"),
        .integer(
            "SESAME_IP_REFRESHES", \.clientLimits.refreshes, in: 0...10_000_000, rule: "a count; 0 turns the limit off",
            "refreshes per client address and window; 0 = off"),
        .seconds("SESAME_IP_REFRESH_WINDOW", \.clientLimits.refreshWindow, in: 1...86_400, "window of SESAME_IP_REFRESHES, seconds"),
        .value(
            "SESAME_IP_LIMIT_EXEMPT", \.clientLimits.exempt, "addresses or CIDR ranges (comma-separated) never limited",
            shown: { $0.map(\.description).joined(separator: ",") }
        ) { try IPAddressRange.list($0.text, setting: $0.key) },
        .seconds(
            "SESAME_KEY_RELOAD_INTERVAL", \.signingKeyReloadInterval, in: 1...3_600,
            "seconds between reloads of the signing keys (1 to 3600)"),
        .value("SESAME_SIGNING_ALGORITHM", \.signingAlgorithm, "algorithm of new signing keys: ES256, RS256 or EdDSA") {
            guard let algorithm = SigningAlgorithm(name: $0.text) else { throw $0.invalid("ES256, RS256 or EdDSA") }
            return algorithm
        },
    ]
}

extension SesameConfiguration: SettingsTarget {}

extension String {
    /// The string without leading and trailing white space.
    public func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
