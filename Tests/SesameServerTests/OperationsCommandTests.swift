import Foundation
import Hummingbird
import SesameCore
import SesameServer
import SesameTestSupport
import Testing

/// `sesame key`, `kek`, `audit` and `config`, black-box, and a running server picking up a
/// key rotated by the CLI.
@Suite(.serialized) struct OperationsCommandTests {
    func tempDatabase() throws -> (URL, String) {
        let directory = try TemporaryDirectory("sesame-ops")
        return (directory.url, directory.sqliteURL)
    }

    static let secret = "a-domain-secret-of-some-length"

    static func kid(of token: String) throws -> String {
        let data = Data(try #require(RandomToken.decodeBase64URL(String(token.split(separator: ".")[0]))))
        return try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["kid"] as? String)
    }

    @Test func keyCommandsAndARunningServerPicksUpTheRotation() async throws {
        let (dir, db) = try tempDatabase()
        defer { try? FileManager.default.removeItem(at: dir) }
        let kekFile = dir.appendingPathComponent("kek").path
        let generated = try await SesameProcess.run(["kek", "generate"])
        #expect(generated.status == 0)
        try Data(generated.stdout.utf8).write(to: URL(fileURLWithPath: kekFile))
        let kekText = generated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try KeyEncryptionKey(base64: kekText).id.count == 16)
        let env = ["SESAME_KEK_FILE": kekFile]

        #expect(try await SesameProcess.run(["domain", "add", "default", "--secret", Self.secret, "--database", db], environment: env).status == 0)
        #expect(
            try await SesameProcess.run(
                ["user", "add", "--database", db, "--domain", "default", "--username", "eve", "--password-stdin"], stdin: "eve-pass-12\n",
                environment: env
            ).status == 0)

        let (server, port) = try await SesameProcess.serve(
            database: db, extra: ["--key-reload-interval", "1", "--log-format", "json", "--log-level", "debug"], environment: env)
        func kanfangLogin() async throws -> String {
            let reply = try await LiveHTTP.send(port: port, .get, "/v2/Authorization/GetAccessToken?authKey=eve&authValue=eve-pass-12")
            return try #require((reply.json["payload"] as? [String: Any])?["token"] as? String)
        }
        let firstToken = try await kanfangLogin()
        let firstKid = try Self.kid(of: firstToken)

        let listed = try await SesameProcess.run(["key", "list", "--database", db], environment: env)
        #expect(listed.status == 0 && listed.stdout.contains(firstKid) && listed.stdout.contains("ES256") && listed.stdout.contains("active"))

        let rotated = try await SesameProcess.run(["key", "rotate", "--algorithm", "EdDSA", "--database", db], environment: env)
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let newKid = rotated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // The running server switches within its reload interval, without a restart.
        let deadline = ContinuousClock.now + .seconds(20)
        var latest = firstToken
        while try Self.kid(of: latest) != newKid, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            latest = try await kanfangLogin()
        }
        #expect(try Self.kid(of: latest) == newKid)
        let listedAfter = try await SesameProcess.run(["key", "list", "--database", db], environment: env)
        #expect(listedAfter.stdout.split(separator: "\n").contains { $0.contains(firstKid) && $0.contains("verifying-only") })
        #expect(listedAfter.stdout.split(separator: "\n").contains { $0.contains(newKid) && $0.contains("EdDSA") && $0.contains("\tactive") })

        let retired = try await SesameProcess.run(["key", "retire", newKid, "--database", db], environment: env)
        #expect(retired.status == 0)
        let replacement = retired.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!replacement.isEmpty && replacement != newKid)
        let again = try await SesameProcess.run(["key", "retire", newKid, "--database", db], environment: env)
        #expect(again.status != 0 && again.stderr.contains("no active signing key"))
        let badAlgorithm = try await SesameProcess.run(["key", "rotate", "--algorithm", "HS256", "--database", db], environment: env)
        #expect(badAlgorithm.status != 0 && badAlgorithm.stderr.contains("ES256, RS256 or EdDSA"))

        // Without the KEK, the store refuses to open (its secrets are sealed).
        let noKEK = try await SesameProcess.run(["key", "list", "--database", db])
        #expect(noKEK.status != 0 && noKEK.stderr.contains("KEK"))

        // The audit trail has the logins, the key actions and nothing secret.
        let audit = try await SesameProcess.run(["audit", "list", "--database", db, "--json", "--limit", "100"], environment: env)
        #expect(audit.status == 0, "\(audit.stderr)")
        let events = try #require(try JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [[String: Any]])
        let kinds = Set(events.compactMap { $0["kind"] as? String })
        #expect(kinds.isSuperset(of: ["domain-added", "user-added", "login", "key-rotated", "key-retired"]))
        // Every kind recorded is one AuditKind lists (the CLI's --kind accepts only those).
        #expect(kinds.isSubset(of: Set(AuditKind.all.map(\.rawValue))), "\(kinds)")
        let unknown = try await SesameProcess.run(["audit", "list", "--database", db, "--kind", "logins"], environment: env)
        #expect(unknown.status != 0 && unknown.stderr.contains("--kind must be one of") && unknown.stderr.contains("refresh-reuse"))
        let logins = try await SesameProcess.run(["audit", "list", "--database", db, "--kind", "login", "--limit", "1"], environment: env)
        #expect(logins.stdout.split(separator: "\n").count == 1 && logins.stdout.contains("\tlogin\t"))
        #expect(!audit.stdout.contains("eve-pass-12") && !audit.stdout.contains(kekText))

        server.send(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        // JSON logs: one object per line, the key change logged, never the KEK, password or a token.
        let lines = server.stderr.split(separator: "\n")
        #expect(!lines.isEmpty)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["message"] != nil && object?["ts"] != nil && object?["level"] != nil, "\(line)")
        }
        #expect(server.stderr.contains("signing key changed") && server.stderr.contains("request_id"))
        for secret in [kekText, "eve-pass-12", firstToken, latest, Self.secret] {
            #expect(!server.stderr.contains(secret))
        }
    }

    @Test func kekRotateReSealsTheStore() async throws {
        let (dir, db) = try tempDatabase()
        defer { try? FileManager.default.removeItem(at: dir) }
        let old = dir.appendingPathComponent("old").path
        let new = dir.appendingPathComponent("new").path
        try Data(KeyEncryptionKey.generate().base64.utf8).write(to: URL(fileURLWithPath: old))
        try Data(KeyEncryptionKey.generate().base64.utf8).write(to: URL(fileURLWithPath: new))
        #expect(try await SesameProcess.run(["domain", "add", "default", "--secret", Self.secret, "--database", db]).status == 0)
        // From clear to the first KEK, then to the next.
        let first = try await SesameProcess.run(["kek", "rotate", "--new-kek-file", old, "--database", db])
        #expect(first.status == 0 && first.stdout.contains("1 secrets sealed"), "\(first.stderr)")
        let second = try await SesameProcess.run(["kek", "rotate", "--new-kek-file", new, "--database", db, "--kek-file", old])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try await SesameProcess.run(["domain", "list", "--database", db, "--kek-file", old]).status != 0)
        #expect(try await SesameProcess.run(["domain", "list", "--database", db, "--kek-file", new]).stdout.contains("default"))
        let both = try await SesameProcess.run(["domain", "list", "--database", db, "--kek-file", new], environment: ["SESAME_KEK": "x"])
        #expect(both.status != 0 && both.stderr.contains("not both"))
    }

    @Test func configFileIsTheLowestSourceAndConfigCheckMasksSecrets() async throws {
        let (dir, db) = try tempDatabase()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("sesame.json").path
        let kek = KeyEncryptionKey.generate().base64
        try Data(
            """
            {"database_url": "postgres://sesame:pg-s3cret@db:5432/sesame", "refresh_grace": 7, "lockout_threshold": 3,
             "kanfang_refresh_requires_credentials": false, "kek": "\(kek)", "log_format": "json"}
            """.utf8
        ).write(to: URL(fileURLWithPath: file))
        let check = try await SesameProcess.run(
            ["config", "check", "--config", file, "--lockout-threshold", "4"], environment: ["SESAME_REFRESH_GRACE": "8"])
        #expect(check.status == 0, "\(check.stderr)")
        let lines = check.stdout.split(separator: "\n").map(String.init)
        func line(_ key: String) -> String { lines.first { $0.hasPrefix(key + " ") } ?? "" }
        #expect(line("SESAME_REFRESH_GRACE").contains("8") && line("SESAME_REFRESH_GRACE").hasSuffix("(environment)"))
        #expect(line("SESAME_LOCKOUT_THRESHOLD").contains("4") && line("SESAME_LOCKOUT_THRESHOLD").hasSuffix("(flag)"))
        #expect(line("SESAME_KANFANG_REFRESH_REQUIRES_CREDENTIALS").contains("false") && line("SESAME_KANFANG_REFRESH_REQUIRES_CREDENTIALS").hasSuffix("(file)"))
        #expect(line("SESAME_KEK").contains("****") && line("SESAME_DATABASE_URL").contains("sesame:****@db"))
        #expect(line("SESAME_PORT").contains("8080") && line("SESAME_PORT").hasSuffix("(default)"))
        #expect(!check.stdout.contains(kek) && !check.stdout.contains("pg-s3cret"))
        // Every setting of the table is listed, in help and in check.
        let help = try await SesameProcess.run(["--help"])
        let serveHelp = try await SesameProcess.run(["serve", "--help"])
        for setting in ServerSettings.settings {
            #expect(!line(setting.key).isEmpty, "\(setting.key) missing from config check")
            #expect(help.stdout.contains(setting.key), "\(setting.key) missing from --help")
            if setting.hasFlag { #expect(serveHelp.stdout.contains(setting.flag), "\(setting.flag) missing from serve --help") }
        }
        #expect(!serveHelp.stdout.contains("--kek "))

        // Unknown keys and invalid values are errors naming them; the environment overrides a bad file value.
        try Data(#"{"refresh_grace": 5, "refresh_grase": 5}"#.utf8).write(to: URL(fileURLWithPath: file))
        let unknown = try await SesameProcess.run(["config", "check"], environment: ["SESAME_CONFIG_FILE": file])
        #expect(unknown.status != 0 && unknown.stderr.contains("refresh_grase"))
        try Data(#"{"port": "http"}"#.utf8).write(to: URL(fileURLWithPath: file))
        let invalid = try await SesameProcess.run(["config", "check", "--config", file])
        #expect(invalid.status != 0 && invalid.stderr.contains("SESAME_PORT"))
        #expect(try await SesameProcess.run(["config", "check", "--config", file], environment: ["SESAME_PORT": "9"]).status == 0)
        try Data(#"{"port": [1]}"#.utf8).write(to: URL(fileURLWithPath: file))
        #expect(try await SesameProcess.run(["config", "check", "--config", file]).status != 0)
        let unknownFlag = try await SesameProcess.run(["config", "check", "--no-such-flag", "1"])
        #expect(unknownFlag.status != 0 && unknownFlag.stderr.contains("--no-such-flag"))

        // serve takes the file too: the database it names is used.
        try Data(#"{"database_url": "\#(db)", "port": 0, "host": "127.0.0.1"}"#.utf8).write(to: URL(fileURLWithPath: file))
        let server = try SesameProcess.launch(["serve", "--config", file])
        _ = try await server.waitForLine(containing: "listening")
        server.send(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        #expect(FileManager.default.fileExists(atPath: String(db.dropFirst("sqlite:".count))))
        #expect(server.stderr.contains("no key-encryption key"))
    }
}
