import ArgumentParser
import SesameCore

struct DomainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domain", abstract: "Manage user domains.",
        subcommands: [Add.self, List.self, Disable.self, Enable.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user domain.")
        @Argument(help: "Domain name, ^[A-Za-z0-9._-]{1,64}$ (family A's userDomain).") var name: String
        @Option(help: "The domain secret clients sign requests with (16 to 256 bytes).") var secret: String
        @OptionGroup var database: StoreOptions

        func run() async throws {
            try await reportingErrors {
                let domain = try await withAdministration(database) { try await $0.addDomain(name: name, secret: secret) }
                print(domain.name)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List user domains (secrets are not shown).")
        @OptionGroup var database: StoreOptions

        func run() async throws {
            try await reportingErrors {
                for d in try await withAdministration(database, { try await $0.store.domains() }) {
                    print("\(d.name)\t\(d.enabled ? "enabled" : "disabled")\tcreated \(formatTime(d.createdAt))")
                }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a domain: no logins, and its sessions stop passing checks.")
        @Argument var name: String
        @OptionGroup var database: StoreOptions

        func run() async throws {
            try await reportingErrors { try await withAdministration(database) { try await $0.setDomainEnabled(name: name, enabled: false) } }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled domain again.")
        @Argument var name: String
        @OptionGroup var database: StoreOptions

        func run() async throws {
            try await reportingErrors { try await withAdministration(database) { try await $0.setDomainEnabled(name: name, enabled: true) } }
        }
    }
}
