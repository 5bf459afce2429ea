import ArgumentParser
import Foundation
import Hummingbird
import Logging
import SesameCore
import SesameServer

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the token service until SIGTERM or SIGINT, then drain and exit 0.",
        discussion: "Prints a line containing 'listening' on standard output once it accepts connections.")

    @OptionGroup var database: DatabaseOption

    @Option(help: "Address to listen on (env SESAME_HOST, default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (env SESAME_PORT, default 8080).")
    var port: Int?

    @Option(help: "The tokens' iss claim (env SESAME_ISSUER, default http://HOST:PORT).")
    var issuer: String?

    @Option(help: "User domain for kanfang accounts (env SESAME_KANFANG_DOMAIN, default 'default').")
    var kanfangDomain: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical (env SESAME_LOG_LEVEL).")
    var logLevel: String?

    @Flag(help: "Create a demo domain, user and public oauth client if missing, and print curl commands to try every dialect.")
    var demo = false

    @Option(help: "enduser access token lifetime, seconds (SESAME_ENDUSER_ACCESS_TTL).") var enduserAccessTtl: String?
    @Option(help: "enduser refresh token lifetime, seconds (SESAME_ENDUSER_REFRESH_TTL).") var enduserRefreshTtl: String?
    @Option(help: "kanfang access token lifetime, seconds (SESAME_KANFANG_ACCESS_TTL).") var kanfangAccessTtl: String?
    @Option(help: "kanfang refresh token lifetime, seconds (SESAME_KANFANG_REFRESH_TTL).") var kanfangRefreshTtl: String?
    @Option(help: "oauth access token lifetime, seconds (SESAME_OAUTH_ACCESS_TTL).") var oauthAccessTtl: String?
    @Option(help: "oauth refresh token lifetime, seconds (SESAME_OAUTH_REFRESH_TTL).") var oauthRefreshTtl: String?
    @Option(help: "Cap on a session's whole life, seconds; 0 = none (SESAME_SESSION_ABSOLUTE_TTL).") var sessionAbsoluteTtl: String?
    @Option(help: "Grace window of a rotated refresh token, seconds (SESAME_REFRESH_GRACE).") var refreshGrace: String?
    @Option(help: "Failures in a row that freeze an identifier (SESAME_LOCKOUT_THRESHOLD).") var lockoutThreshold: String?
    @Option(help: "How long a freeze lasts, seconds (SESAME_LOCKOUT_SECONDS).") var lockoutSeconds: String?
    @Option(help: "bcrypt cost of new password hashes, 4...31 (SESAME_BCRYPT_COST).") var bcryptCost: String?
    @Option(help: "true/false: kanfang RefreshToken demands authKey/authValue (SESAME_KANFANG_REFRESH_REQUIRES_CREDENTIALS).")
    var kanfangRefreshRequiresCredentials: String?
    @Option(help: "true/false: enduser answers 5031/5004 for unknown accounts (SESAME_ENDUSER_REVEAL_UNKNOWN_ACCOUNTS).")
    var enduserRevealUnknownAccounts: String?
    @Option(help: "Largest request body, bytes (SESAME_MAX_BODY_BYTES).") var maxBodyBytes: String?
    @Option(help: "Seconds before an idle connection is closed (SESAME_IDLE_TIMEOUT).") var idleTimeout: String?
    @Option(help: "Seconds between store sweeps; 0 = off (SESAME_SWEEP_INTERVAL).") var sweepInterval: String?
    @Option(help: "Seconds ended sessions and expired tokens are kept (SESAME_SWEEP_RETENTION).") var sweepRetention: String?
    @Option(help: "PostgreSQL: most connections this process opens (SESAME_DATABASE_POOL_SIZE).") var databasePoolSize: String?
    @Option(help: "Failed logins per window per client address; 0 = off (SESAME_IP_LOGIN_FAILURES).") var ipLoginFailures: String?
    @Option(help: "Seconds of the failed-login window (SESAME_IP_LOGIN_WINDOW).") var ipLoginWindow: String?
    @Option(help: "Refreshes per window per client address; 0 = off (SESAME_IP_REFRESHES).") var ipRefreshes: String?
    @Option(help: "Seconds of the refresh window (SESAME_IP_REFRESH_WINDOW).") var ipRefreshWindow: String?
    @Option(help: "Addresses/CIDR blocks never limited, comma-separated (SESAME_IP_LIMIT_EXEMPT).") var ipLimitExempt: String?
    @Option(help: "Proxies whose X-Forwarded-For is believed, comma-separated (SESAME_TRUSTED_PROXIES).") var trustedProxies: String?
    @Option(help: "PostgreSQL: seconds to wait for the server at start, retrying (SESAME_DATABASE_WAIT).") var databaseWait: String?

    /// Every flag with the environment variable it overrides.
    var overrides: [(String, String?)] {
        [
            ("SESAME_HOST", host), ("SESAME_PORT", port.map(String.init)), ("SESAME_ISSUER", issuer),
            ("SESAME_KANFANG_DOMAIN", kanfangDomain), ("SESAME_LOG_LEVEL", logLevel),
            ("SESAME_ENDUSER_ACCESS_TTL", enduserAccessTtl), ("SESAME_ENDUSER_REFRESH_TTL", enduserRefreshTtl),
            ("SESAME_KANFANG_ACCESS_TTL", kanfangAccessTtl), ("SESAME_KANFANG_REFRESH_TTL", kanfangRefreshTtl),
            ("SESAME_OAUTH_ACCESS_TTL", oauthAccessTtl), ("SESAME_OAUTH_REFRESH_TTL", oauthRefreshTtl),
            ("SESAME_SESSION_ABSOLUTE_TTL", sessionAbsoluteTtl), ("SESAME_REFRESH_GRACE", refreshGrace),
            ("SESAME_LOCKOUT_THRESHOLD", lockoutThreshold), ("SESAME_LOCKOUT_SECONDS", lockoutSeconds),
            ("SESAME_BCRYPT_COST", bcryptCost),
            ("SESAME_KANFANG_REFRESH_REQUIRES_CREDENTIALS", kanfangRefreshRequiresCredentials),
            ("SESAME_ENDUSER_REVEAL_UNKNOWN_ACCOUNTS", enduserRevealUnknownAccounts),
            ("SESAME_MAX_BODY_BYTES", maxBodyBytes), ("SESAME_IDLE_TIMEOUT", idleTimeout),
            ("SESAME_SWEEP_INTERVAL", sweepInterval), ("SESAME_SWEEP_RETENTION", sweepRetention),
            ("SESAME_DATABASE_POOL_SIZE", databasePoolSize), ("SESAME_DATABASE_WAIT", databaseWait),
            ("SESAME_IP_LOGIN_FAILURES", ipLoginFailures), ("SESAME_IP_LOGIN_WINDOW", ipLoginWindow),
            ("SESAME_IP_REFRESHES", ipRefreshes), ("SESAME_IP_REFRESH_WINDOW", ipRefreshWindow),
            ("SESAME_IP_LIMIT_EXEMPT", ipLimitExempt), ("SESAME_TRUSTED_PROXIES", trustedProxies),
        ]
    }

    func run() async throws {
        // Flags over environment variables over defaults: a flag replaces its variable, and
        // both go through the same validation.
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in overrides { if let value { environment[key] = value } }
        let settings = try await reportingErrors {
            var s = try ServerSettings.fromEnvironment(environment)
            s.database = try database.url()
            return s
        }

        var logger = Logger(label: "sesame")
        logger.logLevel = settings.logLevel
        try await reportingErrors {
            try await StoreFactory.withStore(settings.database, options: settings.store, logger: logger) { store in
                let service = try await TokenService.start(
                    store: store, configuration: settings.core, issuer: settings.issuer, logger: logger)
                logger.info("store open", metadata: ["database": "\(settings.database)"])

                let demoSeed = demo ? try await DemoSeed.ensure(service: service) : nil
                let app = SesameApplication.make(service: service, settings: settings) { host, port in
                    let base = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
                    print("sesame listening on \(base)")
                    if let demoSeed { print("\n" + demoSeed.instructions(baseURL: base) + "\n") }
                    fflush(nil)  // all streams: stdout may be a pipe, and tests wait for this line
                }
                try await app.runService()
            }
        }
        logger.info("stopped")
    }
}
