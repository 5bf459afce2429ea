import Logging
import SesameCore
import SesameHTTP

/// Everything `sesame serve` needs: where to listen, which store, the core's configuration.
///
/// Environment keys beyond ``SesameConfiguration``'s: `SESAME_DATABASE_URL`, `SESAME_HOST`,
/// `SESAME_PORT`, `SESAME_MAX_BODY_BYTES`, `SESAME_IDLE_TIMEOUT`, `SESAME_SWEEP_INTERVAL`,
/// `SESAME_SWEEP_RETENTION`, `SESAME_LOG_LEVEL`, `SESAME_DATABASE_POOL_SIZE`, `SESAME_DATABASE_WAIT`, `SESAME_TRUSTED_PROXIES`.
public struct ServerSettings: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var database = DatabaseURL.defaultValue
    public var core = SesameConfiguration()
    public var limits = HTTPLimits()
    public var logLevel = Logger.Level.info
    /// Seconds an idle keep-alive connection stays open.
    public var idleTimeoutSeconds: Int64 = 60
    /// Seconds between store sweeps; 0 turns the sweeper off.
    public var sweepInterval: Int64 = 3_600
    /// Seconds ended sessions and expired tokens are kept before a sweep deletes them.
    public var sweepRetention: Int64 = 86_400
    /// PostgreSQL pool size and start-up wait.
    public var store = StoreFactory.Options()

    public init() {}

    /// Defaults overlaid with `environment`'s `SESAME_*` variables.
    public static func fromEnvironment(_ environment: [String: String]) throws -> ServerSettings {
        let env = EnvironmentReader(environment)
        var s = ServerSettings()
        s.core = try s.core.overlaid(with: environment)
        if let v = env.text("SESAME_DATABASE_URL") { s.database = try DatabaseURL(parsing: v) }
        s.host = env.text("SESAME_HOST") ?? s.host
        s.port = try env.integer("SESAME_PORT", in: 0...65_535, rule: "a port number") ?? s.port
        s.limits.maxBodyBytes =
            try env.integer("SESAME_MAX_BODY_BYTES", in: 1_024...16_777_216, rule: "from 1024 to 16777216") ?? s.limits.maxBodyBytes
        s.idleTimeoutSeconds =
            try env.integer("SESAME_IDLE_TIMEOUT", in: 1...3_600, rule: "from 1 to 3600 seconds") ?? s.idleTimeoutSeconds
        s.sweepInterval =
            try env.integer("SESAME_SWEEP_INTERVAL", in: 0...86_400, rule: "from 0 (off) to 86400 seconds") ?? s.sweepInterval
        s.sweepRetention =
            try env.integer("SESAME_SWEEP_RETENTION", in: 0...31_536_000, rule: "from 0 to 31536000 seconds") ?? s.sweepRetention
        s.store.poolSize =
            try env.integer("SESAME_DATABASE_POOL_SIZE", in: 1...1_000, rule: "from 1 to 1000 connections").map { Int($0) } ?? s.store.poolSize
        s.store.waitSeconds =
            try env.integer("SESAME_DATABASE_WAIT", in: 0...3_600, rule: "from 0 to 3600 seconds") ?? s.store.waitSeconds
        if let v = env.text("SESAME_TRUSTED_PROXIES") {
            s.limits.clientAddresses.trustedProxies = try IPAddressRange.list(v, setting: "SESAME_TRUSTED_PROXIES")
        }
        if let v = env.text("SESAME_LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: v.lowercased()) else {
                throw SesameError(.invalidInput, "SESAME_LOG_LEVEL must be trace, debug, info, notice, warning, error or critical")
            }
            s.logLevel = level
        }
        return s
    }

    /// The `iss` of new tokens: ``SesameConfiguration/issuer`` or `http://HOST:PORT`.
    public var issuer: String {
        if let issuer = core.issuer { return issuer }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(shownHost):\(port)"
    }
}
