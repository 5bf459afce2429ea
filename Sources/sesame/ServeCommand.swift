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

    @Flag(help: "Create a demo domain and user if missing, and print curl commands to try both dialects.")
    var demo = false

    func run() async throws {
        var environment = ProcessInfo.processInfo.environment
        if let host { environment["SESAME_HOST"] = host }
        if let port { environment["SESAME_PORT"] = String(port) }
        if let issuer { environment["SESAME_ISSUER"] = issuer }
        if let kanfangDomain { environment["SESAME_KANFANG_DOMAIN"] = kanfangDomain }
        if let logLevel { environment["SESAME_LOG_LEVEL"] = logLevel }
        let settings = try await reportingErrors {
            var s = try ServerSettings.fromEnvironment(environment)
            s.database = try database.url()
            return s
        }

        var logger = Logger(label: "sesame")
        logger.logLevel = settings.logLevel
        let service = try await reportingErrors {
            let store = try StoreFactory.open(settings.database)
            return try await TokenService.start(
                store: store, configuration: settings.core, issuer: settings.issuer, logger: logger)
        }
        logger.info("store open", metadata: ["database": "\(settings.database)"])

        let demoSeed = demo ? try await DemoSeed.ensure(service: service) : nil
        let app = SesameApplication.make(service: service, settings: settings) { host, port in
            let base = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
            print("sesame listening on \(base)")
            if let demoSeed { print("\n" + demoSeed.instructions(baseURL: base) + "\n") }
            fflush(nil)  // all streams: stdout may be a pipe, and tests wait for this line
        }
        try await app.runService()
        logger.info("stopped")
    }
}
