import ArgumentParser
import Foundation
import SesameCore

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users.", subcommands: [Add.self, List.self, Disable.self, Enable.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user and print its uid alone on standard output.",
            discussion: "The password is read from standard input (first line), never from a flag.")
        @Option(help: "The user's domain.") var domain: String
        @Option(help: "E-mail address (unique in the domain).") var email: String?
        @Option(help: "Phone number, digits only (unique in the domain with its international code).") var phone: String?
        @Option(help: "International code of the phone (default 86).") var internationalCode: String = "86"
        @Option(help: "User name (unique in the domain; kanfang's authKey).") var username: String?
        @Option(help: "Display name.") var nickname: String?
        @Flag(help: "Read the password from standard input (required).") var passwordStdin = false
        @OptionGroup var database: StoreOptions

        func validate() throws {
            guard passwordStdin else { throw ValidationError("--password-stdin is required: pipe the password in") }
            guard email != nil || phone != nil || username != nil else {
                throw ValidationError("give at least one of --email, --phone, --username")
            }
        }

        func run() async throws {
            guard let line = readLine(strippingNewline: true) else {
                throw CLIError(description: "no password on standard input")
            }
            let password = line.hasSuffix("\r") ? String(line.dropLast()) : line
            try await reportingErrors {
                let user = try await withAdministration(database) {
                    try await $0.addUser(
                        .init(
                            domain: domain, email: email, phone: phone, internationalCode: internationalCode,
                            username: username, nickname: nickname, password: password))
                }
                print(user.uid)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")
        @Option(help: "Only users of this domain.") var domain: String?
        @OptionGroup var database: StoreOptions

        func run() async throws {
            try await reportingErrors {
                let users = try await withAdministration(database) { admin in
                    var domainID: Int64?
                    if let domain {
                        guard let d = try await admin.store.domain(named: domain) else {
                            throw SesameError(.notFound, "no domain named \(domain)")
                        }
                        domainID = d.id
                    }
                    return try await admin.store.users(domainID: domainID)
                }
                for u in users {
                    let phone = u.phone.map { "+\(u.internationalCode ?? "") \($0)" }
                    print(
                        [u.uid, u.email ?? "-", phone ?? "-", u.username ?? "-", u.enabled ? "enabled" : "disabled",
                         "last login \(formatTime(u.lastLoginAt))"].joined(separator: "\t"))
                }
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled user again (revoked sessions stay revoked).")
        @Argument var uid: String
        @OptionGroup var database: StoreOptions

        func run() async throws {
            try await reportingErrors { try await withAdministration(database) { try await $0.enableUser(uid: uid) } }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user and revoke all of its sessions.")
        @Argument var uid: String
        @OptionGroup var database: StoreOptions

        func run() async throws {
            try await reportingErrors { try await withAdministration(database) { try await $0.disableUser(uid: uid) } }
        }
    }
}
