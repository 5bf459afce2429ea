import Logging
import SesameCore
import SesameHTTP
import SesameTelemetry

/// Everything `sesame serve` needs: where to listen, which store, the core's configuration.
///
/// Every setting is one entry of ``settings`` (the core's plus the server's): it names the
/// `SESAME_*` variable, and so the `serve` flag and the configuration-file key, its default,
/// its help line, and how its value is checked. Sources, lowest priority first: defaults, the
/// configuration file (``SettingSources``), the environment, flags.
public struct ServerSettings: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var database = DatabaseURL.defaultValue
    public var core = SesameConfiguration()
    public var limits = HTTPLimits()
    public var logLevel = Logger.Level.info
    /// `text` (one line per event, human-readable) or `json` (one object per line).
    public var logFormat = LogFormat.text
    /// Seconds an idle keep-alive connection stays open.
    public var idleTimeoutSeconds: Int64 = 60
    /// Seconds between store sweeps; 0 turns the sweeper off.
    public var sweepInterval: Int64 = 3_600
    /// Seconds ended sessions and expired tokens are kept before a sweep deletes them.
    public var sweepRetention: Int64 = 86_400
    /// Seconds between returns of freed heap memory to the system (``MemoryTrimmer``); 0 = off.
    public var memoryTrimInterval: Int64 = 60
    /// PostgreSQL pool size and start-up wait.
    public var store = StoreFactory.Options()
    /// Seconds audit events are kept before a sweep deletes them; 0 keeps them for ever.
    public var auditRetention: Int64 = 7_776_000
    /// The key-encryption key sealing secrets at rest; `nil` when none was given.
    public var kek: KeyEncryptionKey?

    public init() {}

    /// Defaults overlaid with `environment`'s `SESAME_*` variables.
    /// - Throws: ``SesameError/Code/invalidInput`` naming the first invalid variable.
    public static func fromEnvironment(_ environment: [String: String]) throws -> ServerSettings {
        let env = EnvironmentReader(environment)
        if env.text("SESAME_KEK") != nil, env.text("SESAME_KEK_FILE") != nil {
            throw SesameError(.invalidInput, "give the KEK by SESAME_KEK or SESAME_KEK_FILE, not both")
        }
        var s = ServerSettings()
        for setting in settings { try setting.apply(&s, env) }
        return s
    }

    /// The `iss` of new tokens: ``SesameConfiguration/issuer`` or `http://HOST:PORT`.
    public var issuer: String {
        if let issuer = core.issuer { return issuer }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(shownHost):\(port)"
    }

    static func seconds(
        _ key: String, default value: Int64, in range: ClosedRange<Int64>, _ help: String,
        _ path: any WritableKeyPath<ServerSettings, Int64> & Sendable
    ) -> Setting<ServerSettings> {
        Setting(key, default: "\(value)", help) { s, env in
            if let v = try env.integer(key, in: range, rule: "from \(range.lowerBound) to \(range.upperBound) seconds") {
                s[keyPath: path] = v
            }
        }
    }

    /// Every setting, core and server, in the order `--help` and `config check` list them.
    public static let settings: [Setting<ServerSettings>] = [
        Setting("SESAME_DATABASE_URL", default: "sqlite:./sesame-data/sesame.sqlite", "sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB", flagName: "--database") { s, env in
            if let v = env.text("SESAME_DATABASE_URL") { s.database = try DatabaseURL(parsing: v) }
        },
        Setting("SESAME_KEK_FILE", default: "none", "file holding the key-encryption key (32 bytes in Base64)") { s, env in
            if let v = env.text("SESAME_KEK_FILE") { s.kek = try KeyEncryptionKey(contentsOfFile: v) }
        },
        Setting("SESAME_KEK", default: "none", "the key-encryption key itself, Base64 (prefer SESAME_KEK_FILE)", secret: true) { s, env in
            if let v = env.text("SESAME_KEK") {
                do { s.kek = try KeyEncryptionKey(base64: v) } catch {
                    throw SesameError(.invalidInput, "SESAME_KEK must be 32 bytes in Base64 (sesame kek generate)")
                }
            }
        },
        Setting("SESAME_HOST", default: "127.0.0.1", "address to listen on") { s, env in
            if let v = env.text("SESAME_HOST") { s.host = v }
        },
        Setting("SESAME_PORT", default: "8080", "port to listen on; 0 picks a free one") { s, env in
            if let v = try env.integer("SESAME_PORT", in: 0...65_535, rule: "a port number") { s.port = v }
        },
    ] + SesameConfiguration.settings.map { $0.lifted(\ServerSettings.core) } + [
        Setting("SESAME_TRUSTED_PROXIES", default: "none", "comma-separated proxies whose X-Forwarded-For names the client") { s, env in
            if let v = env.text("SESAME_TRUSTED_PROXIES") {
                s.limits.clientAddresses.trustedProxies = try IPAddressRange.list(v, setting: "SESAME_TRUSTED_PROXIES")
            }
        },
        Setting("SESAME_MAX_BODY_BYTES", default: "65536", "largest request body, bytes (1024 to 16777216)") { s, env in
            if let v = try env.integer("SESAME_MAX_BODY_BYTES", in: 1_024...16_777_216, rule: "from 1024 to 16777216") {
                s.limits.maxBodyBytes = v
            }
        },
        seconds("SESAME_IDLE_TIMEOUT", default: 60, in: 1...3_600, "seconds before an idle connection is closed", \.idleTimeoutSeconds),
        seconds("SESAME_SWEEP_INTERVAL", default: 3_600, in: 0...86_400, "seconds between store sweeps; 0 = off", \.sweepInterval),
        seconds(
            "SESAME_MEMORY_TRIM_INTERVAL", default: 60, in: 0...86_400,
            "seconds between returns of freed heap memory to the system (malloc_trim); 0 = off", \.memoryTrimInterval),
        seconds(
            "SESAME_SWEEP_RETENTION", default: 86_400, in: 0...31_536_000, "seconds ended sessions and expired tokens are kept",
            \.sweepRetention),
        Setting("SESAME_DATABASE_POOL_SIZE", default: "10", "PostgreSQL: the most connections one process opens (1 to 1000)") { s, env in
            if let v = try env.integer("SESAME_DATABASE_POOL_SIZE", in: 1...1_000, rule: "from 1 to 1000 connections") {
                s.store.poolSize = v
            }
        },
        Setting("SESAME_DATABASE_WAIT", default: "30", "PostgreSQL: seconds to wait for the server at start (0 to 3600)") { s, env in
            if let v = try env.integer("SESAME_DATABASE_WAIT", in: Int64(0)...3_600, rule: "from 0 to 3600 seconds") {
                s.store.waitSeconds = v
            }
        },
        seconds(
            "SESAME_AUDIT_RETENTION", default: 7_776_000, in: 0...3_153_600_000, "seconds audit events are kept; 0 = for ever",
            \.auditRetention),
        Setting("SESAME_LOG_LEVEL", default: "info", "trace, debug, info, notice, warning, error or critical") { s, env in
            guard let v = env.text("SESAME_LOG_LEVEL") else { return }
            guard let level = Logger.Level(rawValue: v.lowercased()) else {
                throw SesameError(.invalidInput, "SESAME_LOG_LEVEL must be trace, debug, info, notice, warning, error or critical")
            }
            s.logLevel = level
        },
        Setting("SESAME_LOG_FORMAT", default: "text", "text, or json for one JSON object per line") { s, env in
            guard let v = env.text("SESAME_LOG_FORMAT") else { return }
            guard let format = LogFormat(rawValue: v.lowercased()) else {
                throw SesameError(.invalidInput, "SESAME_LOG_FORMAT must be text or json")
            }
            s.logFormat = format
        },
    ]
}
