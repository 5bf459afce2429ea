import ArgumentParser
import CSesameMalloc
import Foundation
import Hummingbird
import Logging
import SesameCore
import SesameServer
import SesameTelemetry

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the token service until SIGTERM or SIGINT, then drain and exit 0.",
        discussion: """
            Prints a line containing 'listening' on standard output once it accepts connections.

            Every setting has a flag, named after its SESAME_* variable, which it
            overrides (and the configuration file), checked the same way
            (--name VALUE or --name=VALUE):
            \(SettingsHelp.flagList)
            """)

    @OptionGroup var store: StoreOptions

    @Flag(help: "Create a demo domain, user and public oauth client if missing, and print curl commands to try every dialect.")
    var demo = false

    /// The setting flags, parsed against ``ServerSettings/settings``.
    @Argument(parsing: .allUnrecognized, help: .hidden) var settingFlags: [String] = []

    func run() async throws {
        let settings = try await reportingErrors {
            try store.settings(extraFlags: try SettingSources.parseFlags(settingFlags))
        }
        let logger = Self.logger(settings)
        if settings.kek == nil {
            logger.warning(
                "no key-encryption key: private signing keys, the secrets table and domain secrets are stored in clear; set SESAME_KEK_FILE (sesame kek generate)"
            )
        }
        let telemetry = Telemetry()
        try await reportingErrors {
            try await StoreFactory.withStore(settings.database, options: settings.store, kek: settings.kek, logger: logger) { opened in
                if let sealed = (opened as? any SealsSecrets)?.rowsSealedAtOpen, sealed > 0 {
                    logger.notice("secrets sealed with the key-encryption key", metadata: ["rows": "\(sealed)"])
                }
                let service = try await TokenService.start(
                    store: MeasuredStore(opened, metrics: telemetry.metrics), configuration: settings.core, issuer: settings.issuer,
                    logger: logger, metrics: telemetry.metrics)
                logger.info(
                    "store open",
                    metadata: [
                        "database": "\(settings.database)", "signing_kid": "\(service.keys.activeKid)",
                        "kek": "\(settings.kek.map { $0.id } ?? "none")",
                        // CSesameMalloc caps glibc's arenas unless MALLOC_ARENA_MAX is set.
                        "malloc_arenas": "\(sesame_malloc_arenas_capped() != 0 ? "\(SESAME_MALLOC_ARENA_MAX)" : "default")",
                    ])

                let demoSeed = demo ? try await DemoSeed.ensure(service: service) : nil
                let app = SesameApplication.make(service: service, settings: settings, telemetry: telemetry) { host, port in
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

    /// The server's logger: standard error, text or JSON, every line inside a request carrying
    /// its `request_id`.
    static func logger(_ settings: ServerSettings) -> Logger {
        var logger = Logger(label: "sesame") { label in
            switch settings.logFormat {
            case .json: JSONLogHandler(label: label, metadataProvider: RequestID.metadataProvider)
            case .text: StreamLogHandler.standardError(label: label, metadataProvider: RequestID.metadataProvider)
            }
        }
        logger.logLevel = settings.logLevel
        return logger
    }
}
