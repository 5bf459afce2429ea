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
        if environment["SESAME_KEK"] != nil, environment["SESAME_KEK_FILE"] != nil {
            throw SesameError(.invalidInput, "give the KEK by SESAME_KEK or SESAME_KEK_FILE, not both")
        }
        var s = ServerSettings()
        for setting in settings { try setting.apply(to: &s, from: environment) }
        return s
    }

    /// The `iss` of new tokens: ``SesameConfiguration/issuer`` or `http://HOST:PORT`.
    public var issuer: String {
        if let issuer = core.issuer { return issuer }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(shownHost):\(port)"
    }

    /// Every setting, core and server, in the order `--help` and `config check` list them.
    /// Defaults are the properties' initial values above.
    public static let settings: [Setting<ServerSettings>] = [
        .value(
            "SESAME_DATABASE_URL", \.database, "sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB", flagName: "--database"
        ) { try DatabaseURL(parsing: $0.text) },
        .value("SESAME_KEK_FILE", \.kek, "file holding the key-encryption key (32 bytes in Base64)", shown: Self.kekShown) {
            try KeyEncryptionKey(contentsOfFile: $0.text)
        },
        .value(
            "SESAME_KEK", \.kek, "the key-encryption key itself, Base64 (prefer SESAME_KEK_FILE)", secret: true, shown: Self.kekShown
        ) { value in
            do { return try KeyEncryptionKey(base64: value.text) } catch { throw value.invalid("32 bytes in Base64 (sesame kek generate)") }
        },
        .value("SESAME_HOST", \.host, "address to listen on") { $0.text },
        .integer("SESAME_PORT", \.port, in: 0...65_535, rule: "a port number", "port to listen on; 0 picks a free one"),
    ] + SesameConfiguration.settings.map { $0.lifted(\ServerSettings.core) } + [
        .value(
            "SESAME_TRUSTED_PROXIES", \.limits.clientAddresses.trustedProxies,
            "comma-separated proxies whose X-Forwarded-For names the client",
            shown: { $0.isEmpty ? "none" : $0.map(\.description).joined(separator: ",") }
        ) { try IPAddressRange.list($0.text, setting: $0.key) },
        .integer(
            "SESAME_MAX_BODY_BYTES", \.limits.maxBodyBytes, in: 1_024...16_777_216, rule: "from 1024 to 16777216",
            "largest request body, bytes (1024 to 16777216)"),
        .seconds("SESAME_IDLE_TIMEOUT", \.idleTimeoutSeconds, in: 1...3_600, "seconds before an idle connection is closed"),
        .seconds("SESAME_SWEEP_INTERVAL", \.sweepInterval, in: 0...86_400, "seconds between store sweeps; 0 = off"),
        .seconds(
            "SESAME_MEMORY_TRIM_INTERVAL", \.memoryTrimInterval, in: 0...86_400,
            "seconds between returns of freed heap memory to the system (malloc_trim); 0 = off"),
        .seconds("SESAME_SWEEP_RETENTION", \.sweepRetention, in: 0...31_536_000, "seconds ended sessions and expired tokens are kept"),
        .integer(
            "SESAME_DATABASE_POOL_SIZE", \.store.poolSize, in: 1...1_000, rule: "from 1 to 1000 connections",
            "PostgreSQL: the most connections one process opens (1 to 1000)"),
        .seconds(
            "SESAME_DATABASE_WAIT", \.store.waitSeconds, in: 0...3_600,
            "PostgreSQL: seconds to wait for the server at start (0 to 3600)"),
        .seconds("SESAME_AUDIT_RETENTION", \.auditRetention, in: 0...3_153_600_000, "seconds audit events are kept; 0 = for ever"),
        .value("SESAME_LOG_LEVEL", \.logLevel, "trace, debug, info, notice, warning, error or critical", shown: \.rawValue) {
            guard let level = Logger.Level(rawValue: $0.text.lowercased()) else {
                throw $0.invalid("trace, debug, info, notice, warning, error or critical")
            }
            return level
        },
        .value("SESAME_LOG_FORMAT", \.logFormat, "text, or json for one JSON object per line", shown: \.rawValue) {
            guard let format = LogFormat(rawValue: $0.text.lowercased()) else { throw $0.invalid("text or json") }
            return format
        },
    ]

    /// A KEK is never shown: `none` by default.
    static func kekShown(_ kek: KeyEncryptionKey?) -> String { kek == nil ? "none" : "****" }
}

extension ServerSettings: SettingsTarget {}
