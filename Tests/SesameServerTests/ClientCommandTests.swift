import Foundation
import Hummingbird
import SesameCore
import SesameTestSupport
import Testing

/// `sesame client add|list|remove`, black-box, and a client's life on a served store.
@Suite(.serialized) struct ClientCommandTests {
    func tempDatabase() throws -> (URL, String) {
        let directory = try TemporaryDirectory("sesame-cli")
        return (directory.url, directory.sqliteURL)
    }

    static let domainSecret = "a-domain-secret-of-some-length"
    static let clientSecret = "cli-client-secret-0123456789abcdef0123"

    @Test func addListAndRemoveClients() async throws {
        let (dir, db) = try tempDatabase()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try await SesameProcess.run(["domain", "add", "default", "--secret", Self.domainSecret, "--database", db]).status == 0)
        #expect(try await SesameProcess.run(["domain", "add", "C.DM.1", "--secret", Self.domainSecret, "--database", db]).status == 0)

        let add = try await SesameProcess.run(["client", "add", "web", "--domain", "default", "--database", db, "--secret", Self.clientSecret])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout == "web\n")
        let stdin = try await SesameProcess.run(
            ["client", "add", "backend", "--domain", "C.DM.1", "--database", db, "--secret-stdin"], stdin: Self.clientSecret + "\n")
        #expect(stdin.status == 0, "\(stdin.stderr)")
        #expect(try await SesameProcess.run(["client", "add", "mobile", "--domain", "default", "--database", db]).status == 0)

        let weak = try await SesameProcess.run(["client", "add", "weak", "--domain", "default", "--database", db, "--secret", "short-1"])
        #expect(weak.status == 0 && weak.stderr.contains("warning"))

        let failures: [([String], String?, String)] = [
            (["client", "add", "web", "--domain", "default", "--database", db], nil, "exists"),
            (["client", "add", "new", "--domain", "nowhere", "--database", db], nil, "no domain"),
            (["client", "add", "bad id", "--domain", "default", "--database", db], nil, "client_id"),
            (["client", "add", "new", "--domain", "default", "--database", db, "--secret", "12345"], nil, "6 to 256"),
            (["client", "add", "new", "--domain", "default", "--database", db, "--secret", "abcdefgh", "--secret-stdin"], "x\n", "not both"),
            (["client", "add", "new", "--domain", "default", "--database", db, "--secret-stdin"], "", "standard input"),
            (["client", "remove", "nobody", "--database", db], nil, "no client"),
            (["client", "list", "--domain", "nowhere", "--database", db], nil, "no domain"),
        ]
        for (arguments, input, message) in failures {
            let r = try await SesameProcess.run(arguments, stdin: input)
            #expect(r.status != 0 && r.stderr.contains(message), "\(arguments): \(r.stderr)")
        }

        let list = try await SesameProcess.run(["client", "list", "--database", db])
        #expect(list.status == 0)
        let lines = list.stdout.split(separator: "\n").map(String.init)
        #expect(lines.map { $0.split(separator: "\t").first.map(String.init) ?? "" } == ["backend", "mobile", "weak", "web"])
        #expect(lines.contains { $0.hasPrefix("web\tdefault\tconfidential") })
        #expect(lines.contains { $0.hasPrefix("mobile\tdefault\tpublic") })
        #expect(lines.contains { $0.hasPrefix("backend\tC.DM.1\tconfidential") })
        #expect(!list.stdout.contains(Self.clientSecret) && !list.stdout.contains("hmac"))
        let one = try await SesameProcess.run(["client", "list", "--domain", "C.DM.1", "--database", db])
        #expect(one.stdout.split(separator: "\n").count == 1)

        // The secret is stored only as a hash.
        let file = try Data(contentsOf: dir.appendingPathComponent("sesame.sqlite"))
            + ((try? Data(contentsOf: dir.appendingPathComponent("sesame.sqlite-wal"))) ?? Data())
        #expect(file.range(of: Data(Self.clientSecret.utf8)) == nil)

        #expect(try await SesameProcess.run(["client", "remove", "weak", "--database", db]).status == 0)
        #expect(!(try await SesameProcess.run(["client", "list", "--database", db])).stdout.contains("weak"))
        let help = try await SesameProcess.run(["client", "add", "--help"])
        for flag in ["--domain", "--secret", "--secret-stdin", "--database"] { #expect(help.stdout.contains(flag)) }
    }

    /// A client added by the CLI logs users in on a running server; removing it revokes its
    /// sessions at once.
    @Test func removingAClientRevokesItsSessionsOnALiveServer() async throws {
        let (dir, db) = try tempDatabase()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try await SesameProcess.run(["domain", "add", "default", "--secret", Self.domainSecret, "--database", db]).status == 0)
        #expect(
            try await SesameProcess.run(
                ["user", "add", "--database", db, "--domain", "default", "--username", "eve", "--password-stdin"], stdin: "eve-pass-12\n"
            ).status == 0)
        #expect(try await SesameProcess.run(["client", "add", "web", "--domain", "default", "--database", db, "--secret", Self.clientSecret]).status == 0)
        let (server, port) = try await SesameProcess.serve(database: db)
        let basic = OAuth.basic("web", Self.clientSecret)
        let login = try await LiveHTTP.send(
            port: port, .post, "/oauth/token", form: [("grant_type", "password"), ("username", "eve"), ("password", "eve-pass-12")],
            headers: [.authorization: basic])
        #expect(login.status == .ok)
        let refresh = try #require(login.json["refresh_token"] as? String)
        let access = try #require(login.json["access_token"] as? String)
        let introspected = try await LiveHTTP.send(port: port, .post, "/oauth/introspect", form: [("token", access)], headers: [.authorization: basic])
        #expect(introspected.json["active"] as? Bool == true)

        #expect(try await SesameProcess.run(["client", "remove", "web", "--database", db]).status == 0)
        let after = try await LiveHTTP.send(
            port: port, .post, "/oauth/token", form: [("grant_type", "refresh_token"), ("refresh_token", refresh)],
            headers: [.authorization: basic])
        #expect(after.status == .unauthorized && after.json["error"] as? String == "invalid_client")
        let userInfo = try await LiveHTTP.send(port: port, .get, "/oauth/userinfo", headers: [.authorization: "Bearer " + access])
        #expect(userInfo.status == .unauthorized)
        let sessions = try await SesameProcess.run(["session", "list", "--database", db])
        #expect(sessions.stdout.contains("client-removed"))

        server.send(SIGTERM)
        #expect(try await server.waitForExit() == 0)
        for secret in [Self.clientSecret, refresh, access, "eve-pass-12"] {
            #expect(!server.stdout.contains(secret) && !server.stderr.contains(secret))
        }
    }
}
