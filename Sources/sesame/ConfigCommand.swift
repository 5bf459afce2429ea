import ArgumentParser
import Foundation
import SesameCore
import SesameServer

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Inspect the configuration.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every setting in effect with its source (default, file, environment, flag); secrets masked.",
            discussion: "Takes the same setting flags as `serve`. Exits with status 1 when a setting is invalid.")
        @OptionGroup var store: StoreOptions
        @Argument(parsing: .allUnrecognized, help: .hidden) var settingFlags: [String] = []

        func run() async throws {
            try await reportingErrors {
                let sources = try store.sources(extraFlags: try SettingSources.parseFlags(settingFlags))
                if let file = sources.configFile { print("configuration file: \(file)") }
                let report = sources.report()
                let width = report.map(\.key.count).max() ?? 0
                for line in report {
                    print(line.key.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(line.value)  (\(line.source.rawValue))")
                }
                _ = try sources.settings()
                print("configuration is valid")
            }
        }
    }
}
