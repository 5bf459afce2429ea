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
            Settings come from flags, then SESAME_* environment variables, then a
            JSON configuration file (--config FILE or SESAME_CONFIG_FILE; its keys are
            the variables' names without SESAME_, lower-cased), then defaults. Every
            variable below but SESAME_KEK has a `serve` flag of the same name
            (SESAME_REFRESH_GRACE is --refresh-grace); see `sesame serve --help`.
            `sesame config check` prints the settings in effect and their sources.

            Environment (durations in seconds; default in parentheses):
            \(SettingsHelp.environmentList)
            """,
        version: SesameVersion.current,
        subcommands: [
            ServeCommand.self, DomainCommand.self, UserCommand.self, ClientCommand.self, SessionCommand.self, KeyCommand.self,
            KEKCommand.self, AuditCommand.self, ConfigCommand.self,
        ]
    )
}

/// The help lines generated from ``ServerSettings/settings``, so that `--help` cannot drift
/// from what is read.
enum SettingsHelp {
    /// Two lines per setting (name and default, then its help), so that no line wraps.
    static var environmentList: String {
        ServerSettings.settings.map { "  \($0.key) (\($0.defaultText))\n      \($0.help)" }.joined(separator: "\n")
    }

    /// `serve`'s setting flags (those that are not options of their own).
    static var flagList: String {
        ServerSettings.settings.filter { $0.hasFlag && !StoreOptions.ownFlags.contains($0.flag) }
            .map { "  \($0.flag) VALUE (default \($0.defaultText))\n      \($0.help)" }.joined(separator: "\n")
    }
}

/// `--database`, `--kek-file` and `--config`, shared by every command that opens the store.
struct StoreOptions: ParsableArguments {
    static let ownFlags: Set<String> = ["--database", "--kek-file"]

    @Option(name: .long, help: "sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB (env SESAME_DATABASE_URL).")
    var database: String?

    @Option(name: .long, help: "File holding the key-encryption key, Base64 (env SESAME_KEK_FILE; or SESAME_KEK).")
    var kekFile: String?

    @Option(name: .long, help: "JSON configuration file, below environment and flags (env SESAME_CONFIG_FILE).")
    var config: String?

    /// The merged sources, with `extraFlags` (`SESAME_*` → value) over these options.
    func sources(extraFlags: [String: String] = [:]) throws -> SettingSources {
        var flags = extraFlags
        if let database { flags["SESAME_DATABASE_URL"] = database }
        if let kekFile { flags["SESAME_KEK_FILE"] = kekFile }
        return try SettingSources.resolve(environment: ProcessInfo.processInfo.environment, flags: flags, configFile: config)
    }

    /// The validated settings.
    func settings(extraFlags: [String: String] = [:]) throws -> ServerSettings {
        try sources(extraFlags: extraFlags).settings()
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

/// Runs `body` with the administration façade over the store `options` name, opened with
/// their KEK (open only for the duration of `body`).
func withAdministration<T: Sendable>(_ options: StoreOptions, _ body: (Administration) async throws -> T) async throws -> T {
    let settings = try options.settings()
    var logger = Logger(label: "sesame")
    logger.logLevel = .warning
    return try await StoreFactory.withStore(settings.database, options: settings.store, kek: settings.kek, logger: logger) { store in
        try await body(Administration(store: store, hasher: PasswordHasher(cost: settings.core.bcryptCost)))
    }
}

func formatTime(_ unix: Int64?) -> String {
    guard let unix else { return "-" }
    let f = ISO8601DateFormatter()
    return f.string(from: Date(timeIntervalSince1970: TimeInterval(unix)))
}
