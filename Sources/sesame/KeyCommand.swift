import ArgumentParser
import SesameCore
import SesameServer

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Manage the JWT signing keys.", subcommands: [List.self, Rotate.self, Retire.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List signing keys: kid, algorithm, created, retired, state (active, verifying-only until, expired).")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await reportingErrors {
                let settings = try store.settings()
                let (keys, now) = try await withAdministration(store) { admin in
                    (try await admin.store.signingKeys(), admin.clock.unixNow())
                }
                for key in keys {
                    let state = key.state(at: now, verificationWindow: settings.core.signingKeyVerificationWindow)
                    var shown = state.description
                    if case .verifyingOnly(let until) = state { shown += " until \(formatTime(until))" }
                    print(
                        [key.kid, key.algorithm, "created \(formatTime(key.createdAt))", "retired \(formatTime(key.retiredAt))", shown]
                            .joined(separator: "\t"))
                }
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new key the signing key and print its kid; the previous key keeps verifying its tokens.",
            discussion: "Running servers switch to the new key at their next reload (SESAME_KEY_RELOAD_INTERVAL).")
        @Option(help: "ES256, RS256 or EdDSA (default SESAME_SIGNING_ALGORITHM, ES256).") var algorithm: String?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await reportingErrors {
                let algorithm = try chosenAlgorithm(algorithm, store: store)
                let key = try await withAdministration(store) { try await $0.rotateSigningKey(algorithm: algorithm) }
                print(key.kid)
            }
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop signing with a key; it verifies until the last token it could have signed has expired.",
            discussion: "Retiring the only active key makes a new key (of SESAME_SIGNING_ALGORITHM) the signing key and prints its kid.")
        @Argument(help: "The kid to retire.") var kid: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await reportingErrors {
                let algorithm = try chosenAlgorithm(nil, store: store)
                if let replacement = try await withAdministration(store, { try await $0.retireSigningKey(kid: kid, replacementAlgorithm: algorithm) }) {
                    print(replacement.kid)
                }
            }
        }
    }
}

/// `name` as an algorithm, or the configured one.
func chosenAlgorithm(_ name: String?, store: StoreOptions) throws -> SigningAlgorithm {
    guard let name else { return try store.settings().core.signingAlgorithm }
    guard let algorithm = SigningAlgorithm(name: name) else {
        throw SesameError(.invalidInput, "--algorithm must be ES256, RS256 or EdDSA")
    }
    return algorithm
}
