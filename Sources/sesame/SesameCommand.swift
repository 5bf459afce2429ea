import ArgumentParser
import Foundation
import Logging
import SesameCore
import SesameServer

@main
struct SesameCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sesame",
        abstract: "A self-hosted token service: log in, refresh, check and revoke tokens.",
        discussion: """
            Settings come from flags, then SESAME_* environment variables, then defaults. Every
            variable below has a `serve` flag of the same name (SESAME_REFRESH_GRACE is
            --refresh-grace); see `sesame serve --help`.

            Environment (durations in seconds):
              SESAME_DATABASE_URL        sqlite:PATH (default sqlite:./sesame-data/sesame.sqlite) or postgres://...
              SESAME_HOST, SESAME_PORT   listening address (default 127.0.0.1:8080)
              SESAME_ISSUER              the tokens' iss (default http://HOST:PORT)
              SESAME_ENDUSER_ACCESS_TTL  (7200)     SESAME_ENDUSER_REFRESH_TTL  (2592000)
              SESAME_KANFANG_ACCESS_TTL  (172800)   SESAME_KANFANG_REFRESH_TTL  (2592000)
              SESAME_OAUTH_ACCESS_TTL    (900)      SESAME_OAUTH_REFRESH_TTL    (2592000)
              SESAME_SESSION_ABSOLUTE_TTL (0 = no cap on a session's total life)
              SESAME_REFRESH_GRACE       (10) seconds a rotated refresh token still returns its successor
              SESAME_LOCKOUT_THRESHOLD   (5) failures in a row that freeze an identifier
              SESAME_LOCKOUT_SECONDS     (1200) how long the freeze lasts
              SESAME_BCRYPT_COST         (10)
              SESAME_KANFANG_DOMAIN      (default) the user domain kanfang accounts live in
              SESAME_KANFANG_REFRESH_REQUIRES_CREDENTIALS (true) RefreshToken demands authKey/authValue
              SESAME_ENDUSER_REVEAL_UNKNOWN_ACCOUNTS (false) answer 5031/5004 for unknown accounts
              SESAME_MAX_BODY_BYTES      (65536) larger bodies are refused in the dialect's envelope
              SESAME_IDLE_TIMEOUT        (60) seconds before an idle keep-alive connection is closed
              SESAME_SWEEP_INTERVAL      (3600) seconds between deletions of ended sessions and expired tokens; 0 = off
              SESAME_SWEEP_RETENTION     (86400) seconds ended sessions and expired tokens are kept first
              SESAME_LOG_LEVEL           (info) trace, debug, info, notice, warning, error, critical
              SESAME_DATABASE_POOL_SIZE  (10) PostgreSQL connections per process
              SESAME_DATABASE_WAIT       (30) seconds to wait for PostgreSQL at start, retrying
              SESAME_IP_LOGIN_FAILURES   (30) failed logins per client address per window; 0 = off
              SESAME_IP_LOGIN_WINDOW     (600)
              SESAME_IP_REFRESHES        (600) refreshes per client address per window; 0 = off
              SESAME_IP_REFRESH_WINDOW   (60)
              SESAME_IP_LIMIT_EXEMPT     (127.0.0.0/8,::1) addresses and CIDR blocks never limited
              SESAME_TRUSTED_PROXIES     (none) proxies whose X-Forwarded-For names the client
            """,
        subcommands: [ServeCommand.self, DomainCommand.self, UserCommand.self, ClientCommand.self, SessionCommand.self]
    )
}

/// `--database`, shared by every command that opens the store.
struct DatabaseOption: ParsableArguments {
    @Option(name: .long, help: "sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB (env SESAME_DATABASE_URL).")
    var database: String?

    func url() throws -> DatabaseURL {
        if let database { return try DatabaseURL(parsing: database) }
        if let env = ProcessInfo.processInfo.environment["SESAME_DATABASE_URL"] { return try DatabaseURL(parsing: env) }
        return DatabaseURL.defaultValue
    }
}

/// Failures shown to the operator: the core's message, never a stack or SQL.
struct CLIError: Error, CustomStringConvertible {
    let description: String
}

/// Runs `body`, turning ``SesameError`` into a one-line message and exit code 1.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as SesameError {
        throw CLIError(description: error.message)
    }
}

/// Runs `body` with the administration façade over the store `option` names (open only for
/// the duration of `body`).
func withAdministration<T: Sendable>(_ option: DatabaseOption, _ body: (Administration) async throws -> T) async throws -> T {
    let settings = try ServerSettings.fromEnvironment(ProcessInfo.processInfo.environment)
    var logger = Logger(label: "sesame")
    logger.logLevel = .warning
    return try await StoreFactory.withStore(try option.url(), options: settings.store, logger: logger) { store in
        try await body(Administration(store: store, hasher: PasswordHasher(cost: settings.core.bcryptCost)))
    }
}

func formatTime(_ unix: Int64?) -> String {
    guard let unix else { return "-" }
    let f = ISO8601DateFormatter()
    return f.string(from: Date(timeIntervalSince1970: TimeInterval(unix)))
}
