import ArgumentParser
import SesameCore

struct SessionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "session", abstract: "Inspect and revoke sessions.", subcommands: [List.self, Revoke.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List sessions, newest first.")
        @Option(help: "Only sessions of this uid.") var uid: String?
        @Option(help: "At most this many.") var limit: Int = 100
        @OptionGroup var database: StoreOptions

        func run() async throws {
            try await reportingErrors {
                for s in try await withAdministration(database, { try await $0.store.sessions(uid: uid, limit: max(1, limit)) }) {
                    let state = s.revokedAt == nil ? "live" : "revoked (\(s.revokeReason ?? "")) \(formatTime(s.revokedAt))"
                    print([s.id, s.uid, s.dialect.rawValue, "created \(formatTime(s.createdAt))", state].joined(separator: "\t"))
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a session: its refresh tokens stop working at once.")
        @Argument var id: String
        @OptionGroup var database: StoreOptions

        func run() async throws {
            try await reportingErrors { try await withAdministration(database) { try await $0.revokeSession(id: id) } }
        }
    }
}
