import Foundation
import Hummingbird
import SesameCore
import SesamePostgres
import SesameTestSupport
import Testing

/// Two `sesame serve` processes on one PostgreSQL database, black-box over real sockets: what
/// an operator gets behind a load balancer.
@Suite(.serialized, .enabled(if: PostgresTestDatabase.url != nil, Comment(rawValue: PostgresTestDatabase.skipReason)))
struct MultiProcessTests {
    static let secret = "a-domain-secret-of-some-length"
    static let environment = ["SESAME_BCRYPT_COST": "4", "SESAME_ISSUER": "http://sesame.multi.test"]

    /// A fresh schema with domain `default` and `count` users `u0@example.com`... made through the CLI.
    func seed(users count: Int) async throws -> String {
        let url = try PostgresTestDatabase.freshSchemaURL()
        let domain = try await SesameProcess.run(["domain", "add", "default", "--secret", Self.secret, "--database", url])
        #expect(domain.status == 0, "\(domain.stderr)")
        for i in 0..<count {
            let add = try await SesameProcess.run(
                ["user", "add", "--database", url, "--domain", "default", "--email", "u\(i)@example.com", "--password-stdin"],
                stdin: "pass-\(i)-word\n", environment: Self.environment)
            #expect(add.status == 0, "\(add.stderr)")
        }
        return url
    }

    func login(port: Int, user i: Int) async throws -> (access: String, refresh: String) {
        let form = try Enduser.emailLogin(email: "u\(i)@example.com", password: "pass-\(i)-word", domain: "default", secret: Self.secret)
        let reply = try await LiveHTTP.send(port: port, .post, Enduser.base + "emailPwdLogin", form: form)
        return try Self.pair(reply.json)
    }

    func refresh(port: Int, _ token: String) async throws -> (code: Int?, pair: (access: String, refresh: String)?) {
        let reply = try await LiveHTTP.send(port: port, .put, Enduser.base + "refreshToken", form: [("refreshToken", token)])
        let code = reply.json["code"] as? Int
        return (code, code == 200 ? try Self.pair(reply.json) : nil)
    }

    static func pair(_ json: [String: Any]) throws -> (access: String, refresh: String) {
        let data = try #require(json["data"] as? [String: Any], "no data in \(json)")
        let access = try #require((data["accessToken"] as? [String: Any])?["token"] as? String)
        let refresh = try #require((data["refreshToken"] as? [String: Any])?["token"] as? String)
        return (access, refresh)
    }

    @Test func loginsOnOneProcessRefreshOnTheOtherAndConcurrentRefreshesGiveOneSuccessor() async throws {
        let url = try await seed(users: 2)
        // Both start at the same instant on a schema with no signing key yet: the advisory
        // locks make them agree on one key and one migration run.
        async let first = SesameProcess.serve(database: url, environment: Self.environment)
        async let second = SesameProcess.serve(database: url, environment: Self.environment)
        let (a, portA) = try await first
        let (b, portB) = try await second
        defer {
            a.send(SIGKILL)
            b.send(SIGKILL)
        }

        // Logged in on A, refreshed on B, the access tokens of each accepted by the other.
        let pair = try await login(port: portA, user: 0)
        #expect(try await LiveHTTP.send(port: portB, .get, Enduser.base + "userInfo", headers: [.authorization: pair.access]).json["code"] as? Int == 200)
        let refreshed = try await refresh(port: portB, pair.refresh)
        #expect(refreshed.code == 200)
        let next = try #require(refreshed.pair)
        #expect(try await LiveHTTP.send(port: portA, .get, Enduser.base + "userInfo", headers: [.authorization: next.access]).json["code"] as? Int == 200)

        // 16 refreshes of one token at once, split across both processes: all answered, one successor.
        for _ in 0..<5 {
            let current = try await login(port: portB, user: 1).refresh
            let results = try await withThrowingTaskGroup(of: (Int?, String?).self) { group in
                for i in 0..<16 {
                    group.addTask {
                        let r = try await self.refresh(port: i.isMultiple(of: 2) ? portA : portB, current)
                        return (r.code, r.pair?.refresh)
                    }
                }
                return try await group.reduce(into: [(Int?, String?)]()) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.0 == 200 }, "codes: \(results.map(\.0))")
            #expect(Set(results.compactMap(\.1)).count == 1)
        }

        // Reuse after the grace window is detected whichever process sees it: the old token of
        // a rotated pair, presented to the other process, revokes the session there too.
        let probe = try await PostgresTestDatabase.openStore(url: url)
        defer { probe.close() }
        let forks = try await SQLProbe(probe.store).integer(
            "SELECT count(*) FROM (SELECT session_id FROM refresh_tokens WHERE rotated_at IS NULL GROUP BY session_id HAVING count(*) > 1) AS f")
        #expect(forks == 0)
        #expect(try await probe.store.signingKeys().count == 1)
        #expect(try await probe.store.appliedMigrations() == ["v1-core", "v2-oauth-clients", "v3-keys-kek", "v4-tokens-by-session", "v5-located-refresh-tokens"])
    }

    /// Refresh load on both processes, `kill -9` of one in the middle: the other keeps serving,
    /// and every acknowledged refresh token still refreshes (through the survivor).
    @Test func killingOneProcessMidLoadLosesNoAcknowledgedToken() async throws {
        let chains = 8
        let url = try await seed(users: chains)
        let (a, portA) = try await SesameProcess.serve(database: url, environment: Self.environment)
        let (b, portB) = try await SesameProcess.serve(database: url, environment: Self.environment)
        defer { b.send(SIGKILL) }

        var start: [String] = []
        for i in 0..<chains { start.append(try await login(port: i.isMultiple(of: 2) ? portA : portB, user: i).refresh) }

        // Each chain refreshes in a loop, alternating processes, keeping its last acknowledged
        // token. Once A is gone, requests to it fail to connect and the chain retries on B with
        // the token it still holds (a rotation A committed without answering is replayed there,
        // inside the grace window).
        let killed = ManagedFlag()
        let afterKill = ManagedCounter()
        let acknowledged = try await withThrowingTaskGroup(of: (Int, String, Int).self) { group in
            for chain in 0..<chains {
                let initial = start[chain]
                group.addTask {
                    var token = initial
                    var rotations = 0
                    for step in 0..<150 {
                        let useA = step.isMultiple(of: 2) && !killed.isSet
                        do {
                            let r = try await self.refresh(port: useA ? portA : portB, token)
                            guard r.code == 200, let pair = r.pair else {
                                Issue.record("chain \(chain) step \(step): code \(String(describing: r.code))")
                                break
                            }
                            token = pair.refresh
                            rotations += 1
                            if killed.isSet { afterKill.increment() }
                        } catch {
                            // Only A may fail, and only once it was killed.
                            #expect(useA, "a request to the surviving process failed: \(error)")
                        }
                    }
                    return (chain, token, rotations)
                }
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(300))
                a.send(SIGKILL)
                killed.set()
                return (-1, "", 0)
            }
            return try await group.reduce(into: [(Int, String, Int)]()) { $0.append($1) }
        }
        _ = try await a.waitForExit()
        #expect(a.wasKilledBySignal)

        #expect(afterKill.value > 0, "the load ended before the kill")
        #expect(try await LiveHTTP.send(port: portB, .get, "/health").status == .ok)
        for (chain, token, rotations) in acknowledged where chain >= 0 {
            #expect(rotations > 0, "chain \(chain) never rotated")
            let r = try await refresh(port: portB, token)
            #expect(r.code == 200, "chain \(chain): its last acknowledged token was lost (code \(String(describing: r.code)))")
        }
        let probe = try await PostgresTestDatabase.openStore(url: url)
        defer { probe.close() }
        let forks = try await SQLProbe(probe.store).integer(
            "SELECT count(*) FROM (SELECT session_id FROM refresh_tokens WHERE rotated_at IS NULL GROUP BY session_id HAVING count(*) > 1) AS f")
        #expect(forks == 0)
        let revoked = try await SQLProbe(probe.store).integer("SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL")
        #expect(revoked == 0, "a session was wrongly revoked")
    }

    /// `serve` waits for a database that is not up yet, logging each retry, and gives up after
    /// SESAME_DATABASE_WAIT seconds with a clear message and a non-zero exit.
    @Test func serveWaitsBoundedForAnUnreachableDatabase() async throws {
        // A loopback port nobody listens on.
        let url = "postgres://sesame:pw@127.0.0.1:1/sesame?sslmode=disable"
        let started = ContinuousClock.now
        let p = try SesameProcess.launch(["serve", "--database", url, "--port", "0"], environment: ["SESAME_DATABASE_WAIT": "5"])
        let status = try await p.waitForExit(timeout: .seconds(30))
        #expect(status != 0)
        #expect(ContinuousClock.now - started < .seconds(60), "bounded: it must give up, however busy the machine")
        #expect(p.stderr.contains("unreachable"), "\(p.stderr)")
        #expect(p.stdout.contains("retrying") || p.stderr.contains("retrying"))
        #expect(!p.stderr.contains(":pw@") && !p.stdout.contains(":pw@"))
    }
}

/// A count incremented from many tasks.
final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}

/// A flag set once, read from many tasks.
final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
