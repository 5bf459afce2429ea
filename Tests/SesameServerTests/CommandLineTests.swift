import Foundation
import Hummingbird
import SesameCore
import SesameTestSupport
import Testing

/// The `sesame` executable, black-box, exactly as CONTRACT.md §9 starts it.
@Suite(.serialized) struct CommandLineTests {
    func tempDatabase() throws -> (URL, String) {
        let directory = try TemporaryDirectory("sesame-cli")
        return (directory.url, directory.sqliteURL)
    }

    static let secret = "a-domain-secret-of-some-length"

    @Test func versionIsTheRelease() async throws {
        let version = try await SesameProcess.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == SesameVersion.current)
        #expect(SesameVersion.current == "0.1.0")
    }

    @Test func helpListsEveryCommandAndSetting() async throws {
        let help = try await SesameProcess.run(["--help"])
        #expect(help.status == 0)
        for word in ["serve", "domain", "user", "client", "session"] + [
            "SESAME_ENDUSER_ACCESS_TTL", "SESAME_ENDUSER_REFRESH_TTL", "SESAME_KANFANG_ACCESS_TTL", "SESAME_KANFANG_REFRESH_TTL",
            "SESAME_OAUTH_ACCESS_TTL", "SESAME_OAUTH_REFRESH_TTL", "SESAME_REFRESH_GRACE", "SESAME_LOCKOUT_THRESHOLD",
            "SESAME_LOCKOUT_SECONDS", "SESAME_BCRYPT_COST", "SESAME_ISSUER", "SESAME_KANFANG_DOMAIN",
            "SESAME_KANFANG_REFRESH_REQUIRES_CREDENTIALS", "SESAME_DATABASE_URL", "SESAME_HOST", "SESAME_PORT",
        ] {
            #expect(help.stdout.contains(word), "\(word) missing from --help")
        }
        let serve = try await SesameProcess.run(["serve", "--help"])
        for flag in ["--database", "--host", "--port", "--issuer", "--demo", "--enduser-access-ttl", "--refresh-grace",
                     "--lockout-threshold", "--bcrypt-cost", "--kanfang-refresh-requires-credentials", "--sweep-interval"] {
            #expect(serve.stdout.contains(flag), "\(flag) missing from serve --help")
        }
        let userAdd = try await SesameProcess.run(["user", "add", "--help"])
        for flag in ["--domain", "--email", "--phone", "--international-code", "--username", "--password-stdin", "--database"] {
            #expect(userAdd.stdout.contains(flag))
        }
    }

    @Test func administrationCommands() async throws {
        let (dir, db) = try tempDatabase()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try await SesameProcess.run(["domain", "add", "C.DM.10271.5", "--secret", Self.secret, "--database", db]).status == 0)
        let dup = try await SesameProcess.run(["domain", "add", "C.DM.10271.5", "--secret", Self.secret, "--database", db])
        #expect(dup.status != 0 && dup.stderr.contains("exists"))
        let bad = try await SesameProcess.run(["domain", "add", "bad name", "--secret", Self.secret, "--database", db])
        #expect(bad.status != 0 && bad.stderr.contains("domain name"))

        let add = try await SesameProcess.run(
            ["user", "add", "--database", db, "--domain", "C.DM.10271.5", "--email", "e@example.com", "--phone", "17132136550",
             "--international-code", "86", "--username", "eve", "--password-stdin"], stdin: "eve-pass-12\n")
        #expect(add.status == 0, "\(add.stderr)")
        let uid = add.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!uid.isEmpty && !uid.contains("\n") && add.stdout == uid + "\n")

        let shortPassword = try await SesameProcess.run(
            ["user", "add", "--database", db, "--domain", "C.DM.10271.5", "--email", "f@example.com", "--password-stdin"], stdin: "123\n")
        #expect(shortPassword.status != 0 && shortPassword.stderr.contains("6 to 20"))
        let noStdinFlag = try await SesameProcess.run(["user", "add", "--database", db, "--domain", "C.DM.10271.5", "--email", "g@example.com"])
        #expect(noStdinFlag.status != 0)

        let list = try await SesameProcess.run(["user", "list", "--database", db])
        #expect(list.stdout.contains(uid) && list.stdout.contains("e@example.com") && !list.stdout.contains("$2"))
        let domains = try await SesameProcess.run(["domain", "list", "--database", db])
        #expect(domains.stdout.contains("C.DM.10271.5") && !domains.stdout.contains(Self.secret))

        #expect(try await SesameProcess.run(["user", "disable", uid, "--database", db]).status == 0)
        #expect(try await SesameProcess.run(["user", "disable", "U-nobody", "--database", db]).status != 0)
        #expect(try await SesameProcess.run(["domain", "disable", "C.DM.10271.5", "--database", db]).status == 0)
        #expect(try await SesameProcess.run(["domain", "list", "--database", db]).stdout.contains("disabled"))
        #expect(try await SesameProcess.run(["session", "list", "--database", db]).status == 0)
        #expect(try await SesameProcess.run(["session", "revoke", "nope", "--database", db]).status != 0)
        let badURL = try await SesameProcess.run(["domain", "list", "--database", "mysql://x"])
        #expect(badURL.status != 0 && badURL.stderr.contains("sqlite:PATH"))
    }

    /// serve prints `listening`, serves both dialects, survives `kill -9` without losing an
    /// acknowledged token, and exits 0 on SIGTERM.
    @Test func serveSurvivesKillNineAndExitsCleanlyOnSIGTERM() async throws {
        let (dir, db) = try tempDatabase()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try await SesameProcess.run(["domain", "add", "default", "--secret", Self.secret, "--database", db]).status == 0)
        let add = try await SesameProcess.run(
            ["user", "add", "--database", db, "--domain", "default", "--email", "e@example.com", "--username", "eve", "--password-stdin"],
            stdin: "eve-pass-12\n")
        let uid = add.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        var (server, port) = try await SesameProcess.serve(database: db)
        let form = try Enduser.emailLogin(email: "e@example.com", password: "eve-pass-12", domain: "default", secret: Self.secret)
        let login = try await LiveHTTP.send(port: port, .post, Enduser.base + "emailPwdLogin", form: form)
        #expect(login.json["code"] as? Int == 200)
        let first = try #require(((login.json["data"] as? [String: Any])?["refreshToken"] as? [String: Any])?["token"] as? String)
        let refreshed = try await LiveHTTP.send(port: port, .put, Enduser.base + "refreshToken", form: [("refreshToken", first)])
        let acknowledged = try #require(((refreshed.json["data"] as? [String: Any])?["refreshToken"] as? [String: Any])?["token"] as? String)
        let kanfang = try await LiveHTTP.send(port: port, .get, "/v2/Authorization/GetAccessToken?authKey=eve&authValue=eve-pass-12")
        #expect(kanfang.json["state"] as? Int == 200)

        server.send(SIGKILL)
        _ = try await server.waitForExit()
        #expect(server.wasKilledBySignal)

        (server, port) = try await SesameProcess.serve(database: db)
        let after = try await LiveHTTP.send(port: port, .put, Enduser.base + "refreshToken", form: [("refreshToken", acknowledged)])
        #expect(after.json["code"] as? Int == 200, "the acknowledged refresh token was lost")
        #expect(try await LiveHTTP.send(port: port, .get, "/health").status == .ok)

        // The CLI acts on the same store while the server runs: disabling the user ends its sessions.
        let next = try #require(((after.json["data"] as? [String: Any])?["refreshToken"] as? [String: Any])?["token"] as? String)
        #expect(try await SesameProcess.run(["user", "disable", uid, "--database", db]).status == 0)
        let refused = try await LiveHTTP.send(port: port, .put, Enduser.base + "refreshToken", form: [("refreshToken", next)])
        #expect(refused.json["code"] as? Int == 5032)

        server.send(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        #expect(!server.stderr.contains(acknowledged) && !server.stdout.contains(acknowledged))
        #expect(!server.stderr.contains("eve-pass-12"))
    }

    /// SIGTERM drains: a login still hashing when the signal arrives gets its answer, then the
    /// process exits 0.
    @Test func sigtermDrainsInFlightRequests() async throws {
        let (dir, db) = try tempDatabase()
        defer { try? FileManager.default.removeItem(at: dir) }
        let slow = ["SESAME_BCRYPT_COST": "13"]  // about half a second a hash here
        #expect(try await SesameProcess.run(["domain", "add", "default", "--secret", Self.secret, "--database", db]).status == 0)
        #expect(
            try await SesameProcess.run(
                ["user", "add", "--database", db, "--domain", "default", "--username", "eve", "--password-stdin"],
                stdin: "eve-pass-12\n", environment: slow
            ).status == 0)
        let (server, port) = try await SesameProcess.serve(database: db, environment: slow)
        let login = Task {
            try await LiveHTTP.send(port: port, .get, "/v2/Authorization/GetAccessToken?authKey=eve&authValue=eve-pass-12")
                .json["state"] as? Int
        }
        try await Task.sleep(for: .milliseconds(150))  // the request is in, its bcrypt running
        server.send(SIGTERM)
        let state = try await login.value
        #expect(state == 200, "the in-flight login was dropped")
        #expect(try await server.waitForExit() == 0)
    }

    /// A flag overrides its environment variable, through the same validation.
    @Test func flagsOverrideTheEnvironment() async throws {
        let (dir, db) = try tempDatabase()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = try await SesameProcess.run(["serve", "--database", db, "--refresh-grace", "-3"])
        #expect(bad.status != 0 && bad.stderr.contains("SESAME_REFRESH_GRACE"))
        let badEnv = try await SesameProcess.run(["serve", "--database", db], environment: ["SESAME_LOCKOUT_THRESHOLD": "0"])
        #expect(badEnv.status != 0 && badEnv.stderr.contains("SESAME_LOCKOUT_THRESHOLD"))
        // The flag wins over the (valid) variable: access tokens live 60 s.
        let (server, port) = try await SesameProcess.serve(
            database: db, extra: ["--demo", "--enduser-access-ttl", "60"], environment: ["SESAME_ENDUSER_ACCESS_TTL": "999"])
        let text = server.stdout
        let signature = try #require(text.split(separator: "'").first { $0.hasPrefix("signature=") }).dropFirst("signature=".count)
        let login = try await LiveHTTP.send(
            port: port, .post, Enduser.base + "emailPwdLogin",
            form: [("email", "demo@example.com"), ("pwd", "demo-pass-1"), ("userDomain", "default"), ("signature", String(signature))])
        let access = try #require((login.json["data"] as? [String: Any])?["accessToken"] as? [String: Any])
        let expiry = try #require(access["expirationTime"] as? Int)
        #expect(abs(expiry - Int(Date().timeIntervalSince1970) - 60) <= 5)
        server.send(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    @Test func demoModeSeedsAndPrintsWorkingCommands() async throws {
        let (dir, db) = try tempDatabase()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (server, port) = try await SesameProcess.serve(database: db, extra: ["--demo"])
        _ = try await server.waitForLine(containing: "kanfang")
        let text = server.stdout
        #expect(text.contains("curl") && text.contains("emailPwdLogin") && text.contains("RefreshToken"))
        #expect(text.contains("http://127.0.0.1:\(port)/v2/enduser/enduserapi/emailPwdLogin"), "the commands name the bound port")
        let signature = try #require(text.split(separator: "'").first { $0.hasPrefix("signature=") }).dropFirst("signature=".count)
        let login = try await LiveHTTP.send(
            port: port, .post, Enduser.base + "emailPwdLogin",
            form: [("email", "demo@example.com"), ("pwd", "demo-pass-1"), ("userDomain", "default"), ("signature", String(signature))])
        #expect(login.json["code"] as? Int == 200)
        // The oauth commands work as printed: the public demo client and the demo user.
        #expect(text.contains("http://127.0.0.1:\(port)/oauth/token") && text.contains("client_id=demo-app"))
        let oauth = try await LiveHTTP.send(
            port: port, .post, "/oauth/token",
            form: [("grant_type", "password"), ("client_id", "demo-app"), ("username", "demo"), ("password", "demo-pass-1")])
        #expect(oauth.status == .ok && oauth.json["token_type"] as? String == "Bearer")
        server.send(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }
}
