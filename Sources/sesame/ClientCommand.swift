import ArgumentParser
import Foundation
import SesameCore

struct ClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client", abstract: "Manage oauth clients.", subcommands: [Add.self, List.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register an oauth client of a user domain and print its client_id.",
            discussion: """
                With --secret or --secret-stdin the client is confidential and must authenticate
                (HTTP Basic or client_secret); without either it is public and sends client_id
                alone. The secret is stored only as a hash. Generate secrets, e.g.
                `openssl rand -hex 32`; --secret-stdin keeps them out of the shell history.
                """)
        @Argument(help: "The client_id, ^[A-Za-z0-9._~-]{1,128}$.") var clientID: String
        @Option(help: "The user domain whose users the client logs in.") var domain: String
        @Option(help: "The client secret (6 to 256 bytes; 32 random bytes or more advised).") var secret: String?
        @Flag(help: "Read the client secret from standard input (first line) instead.") var secretStdin = false
        @OptionGroup var database: StoreOptions

        func validate() throws {
            if secret != nil && secretStdin { throw ValidationError("give --secret or --secret-stdin, not both") }
        }

        func run() async throws {
            var secret = self.secret
            if secretStdin {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    throw CLIError(description: "no client secret on standard input")
                }
                secret = line.hasSuffix("\r") ? String(line.dropLast()) : line
            }
            try await reportingErrors {
                let client = try await withAdministration(database) {
                    try await $0.addClient(id: clientID, domain: domain, secret: secret)
                }
                if let secret, secret.utf8.count < 32 {
                    FileHandle.standardError.write(
                        Data("warning: a client secret under 32 bytes can be guessed from a copy of the database; generate one with 'openssl rand -hex 32'\n".utf8))
                }
                print(client.id)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List oauth clients (secrets are never shown).")
        @Option(help: "Only clients of this domain.") var domain: String?
        @OptionGroup var database: StoreOptions

        func run() async throws {
            try await reportingErrors {
                for (client, domainName) in try await withAdministration(database, { try await $0.clients(domain: domain) }) {
                    print(
                        [client.id, domainName, client.isConfidential ? "confidential" : "public",
                         "created \(formatTime(client.createdAt))"].joined(separator: "\t"))
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an oauth client and revoke every session it created.")
        @Argument(help: "The client_id.") var clientID: String
        @OptionGroup var database: StoreOptions

        func run() async throws {
            try await reportingErrors { try await withAdministration(database) { try await $0.removeClient(id: clientID) } }
        }
    }
}
