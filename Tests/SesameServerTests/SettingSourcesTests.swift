import Foundation
import SesameCore
import SesameServer
import Testing

/// The one table of settings and its sources: file < environment < flags.
@Suite struct SettingSourcesTests {
    func file(_ json: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sesame-config-\(UUID().uuidString).json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func theTableHasNoDuplicateKeysFlagsOrFileKeys() {
        let settings = ServerSettings.settings
        #expect(Set(settings.map(\.key)).count == settings.count)
        #expect(Set(settings.map(\.flag)).count == settings.count)
        #expect(Set(settings.map(\.fileKey)).count == settings.count)
        #expect(settings.allSatisfy { $0.key.hasPrefix("SESAME_") && !$0.help.isEmpty && !$0.defaultText.isEmpty })
        // Secrets have no flag; everything else has one.
        #expect(settings.filter(\.isSecret).map(\.key) == ["SESAME_KEK"])
        #expect(settings.allSatisfy { $0.hasFlag != $0.isSecret })
        // Every core setting is in the server's table.
        #expect(Set(SesameConfiguration.settings.map(\.key)).isSubset(of: Set(settings.map(\.key))))
    }

    /// The defaults shown are the values a default ``ServerSettings`` holds (they are read from
    /// it), spelled as an operator would set them: each one, set explicitly, changes nothing.
    @Test func everyShownDefaultIsTheDefault() throws {
        for setting in ServerSettings.settings where !["none", "http://HOST:PORT"].contains(setting.defaultText) {
            let set = try ServerSettings.fromEnvironment([setting.key: setting.defaultText])
            #expect(set == ServerSettings(), "\(setting.key)=\(setting.defaultText) is not the default")
        }
        #expect(ServerSettings.settings.first { $0.key == "SESAME_BCRYPT_COST" }?.defaultText == "\(SesameConfiguration().bcryptCost)")
    }

    /// The operator's guide names every setting (its reference table is the operator's `--help`).
    @Test func theOperatorGuideListsEverySetting() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let guide = try String(contentsOf: root.appendingPathComponent("docs/OPERATOR_GUIDE.md"), encoding: .utf8)
        for setting in ServerSettings.settings {
            #expect(guide.contains("`\(setting.key)`"), "\(setting.key) missing from docs/OPERATOR_GUIDE.md")
        }
    }

    @Test func fileThenEnvironmentThenFlags() throws {
        let path = try file(#"{"refresh_grace": 3, "lockout_threshold": 4, "bcrypt_cost": 6, "enduser_reveal_unknown_accounts": true, "issuer": "https://a.example"}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sources = try SettingSources.resolve(
            environment: ["SESAME_LOCKOUT_THRESHOLD": "7", "SESAME_BCRYPT_COST": "8", "HOME": "/root"],
            flags: try SettingSources.parseFlags(["--bcrypt-cost", "9", "--sweep-interval=0"]), configFile: path)
        let s = try sources.settings()
        #expect(s.core.refreshGrace == 3 && s.core.lockoutThreshold == 7 && s.core.bcryptCost == 9 && s.sweepInterval == 0)
        #expect(s.core.enduserRevealUnknownAccounts && s.core.issuer == "https://a.example")
        #expect(sources.sources["SESAME_REFRESH_GRACE"] == .file && sources.sources["SESAME_LOCKOUT_THRESHOLD"] == .environment)
        #expect(sources.sources["SESAME_BCRYPT_COST"] == .flag && sources.values["HOME"] == nil)
        let report = Dictionary(uniqueKeysWithValues: sources.report().map { ($0.key, $0) })
        #expect(report["SESAME_PORT"]?.source == .defaultValue && report["SESAME_PORT"]?.value == "8080")
    }

    @Test func theConfigFileComesFromTheEnvironmentToo() throws {
        let path = try file(#"{"port": 9999}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let s = try SettingSources.resolve(environment: ["SESAME_CONFIG_FILE": path]).settings()
        #expect(s.port == 9999)
    }

    @Test(arguments: [
        (#"{"refresh_grase": 1}"#, "refresh_grase"), (#"{"SESAME_PORT": 1}"#, "SESAME_PORT"), (#"{"config_file": "x"}"#, "config_file"),
        (#"[1, 2]"#, "one JSON object"), (#"{"port": {"a": 1}}"#, "strings, numbers and booleans"), ("not json", "one JSON object"),
    ])
    func badFilesNameTheProblem(json: String, expected: String) throws {
        let path = try file(json)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect {
            _ = try SettingSources.resolve(environment: [:], configFile: path)
        } throws: { error in
            (error as? SesameError)?.code == .invalidInput && (error as? SesameError)?.message.contains(expected) == true
        }
    }

    @Test(arguments: [["--no-such", "1"], ["--refresh-grace"], ["--kek", "x"], ["positional"]])
    func badFlagsAreRefused(arguments: [String]) {
        #expect(throws: SesameError(.invalidInput, "")) { _ = try SettingSources.parseFlags(arguments) }
    }

    @Test func secretsAreMaskedInTheReport() throws {
        let (_, kek) = KeyEncryptionKey.generate()
        let sources = try SettingSources.resolve(environment: [
            "SESAME_KEK": kek, "SESAME_DATABASE_URL": "postgres://u:p4ss@db:5432/sesame",
        ])
        let shown = sources.report().map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
        #expect(!shown.contains(kek) && !shown.contains("p4ss") && shown.contains("SESAME_KEK=****"))
        let broken = try SettingSources.resolve(environment: ["SESAME_DATABASE_URL": "mysql://u:p4ss@db"])
        #expect(!broken.report().map(\.value).joined().contains("p4ss"))
    }
}
