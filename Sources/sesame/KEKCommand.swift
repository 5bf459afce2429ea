import ArgumentParser
import SesameCore

struct KEKCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kek", abstract: "The key-encryption key that seals secrets at rest.", subcommands: [Generate.self, Rotate.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a new random KEK (32 bytes, Base64) on standard output.",
            discussion: "sesame kek generate > /etc/sesame/kek && chmod 600 /etc/sesame/kek   (same as: openssl rand -base64 32)")

        func run() async throws {
            print(KeyEncryptionKey.generate().base64)
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal every secret of the store with a new KEK, in one transaction.",
            discussion: """
                The store is opened with the current KEK (--kek-file, SESAME_KEK_FILE or SESAME_KEK; none if
                its secrets are still in clear). Stop the servers first, and start them again with the new KEK.
                """)
        @Option(help: "File holding the new KEK (sesame kek generate).") var newKekFile: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await reportingErrors {
                let newKEK = try KeyEncryptionKey(contentsOfFile: newKekFile)
                let count = try await withAdministration(store) { try await $0.rotateKEK(to: newKEK) }
                print("\(count) secrets sealed with KEK \(newKEK.id)")
            }
        }
    }
}
