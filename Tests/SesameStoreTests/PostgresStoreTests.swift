import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import SesameCore
@testable import SesamePostgres
import SesameServer
import SesameTestSupport
import Testing

/// Whether the PostgreSQL half of the store suite ran: skipped, with the reason, when no test
/// server is configured; a failure in CI (`SESAME_TEST_REQUIRE_POSTGRES=1`), which must never
/// skip it.
@Suite struct PostgresAvailabilityTests {
    @Test(.enabled(if: PostgresTestDatabase.url != nil, Comment(rawValue: PostgresTestDatabase.skipReason)))
    func postgresStoreTestsRun() async throws {
        let fixture = try await PostgresTestDatabase.openStore()
        defer { fixture.close() }
        try await fixture.store.ping()
        #expect(StoreKind.available.contains(.postgres))
    }

    @Test func continuousIntegrationNeverSkipsPostgres() {
        if ProcessInfo.processInfo.environment["SESAME_TEST_REQUIRE_POSTGRES"] == "1" {
            #expect(PostgresTestDatabase.url != nil, "CI requires the PostgreSQL tests, but SESAME_TEST_POSTGRES_URL is not set")
        }
    }
}

/// URL parsing needs no server.
@Suite struct PostgresConnectionURLTests {
    @Test func aFullURLIsParsedWithPercentDecodedCredentials() throws {
        let url = try PostgresConnectionURL(parsing: "postgres://app%40x:p%3Ass%2Fw@db.internal:6543/tokens?sslmode=require&schema=sesame_a")
        #expect(url.username == "app@x")
        #expect(url.password == "p:ss/w")
        #expect(url.host == "db.internal")
        #expect(url.port == 6543)
        #expect(url.database == "tokens")
        #expect(url.tls == .require)
        #expect(url.schema == "sesame_a")
        let defaults = try PostgresConnectionURL(parsing: "postgresql://app@[::1]/tokens")
        #expect(defaults.port == 5432 && defaults.tls == .prefer && defaults.schema == nil && defaults.password == nil && defaults.host == "::1")
    }

    @Test(arguments: [
        "postgres://", "postgres://host/db", "postgres://user@/db", "postgres://user@host", "postgres://user@host/",
        "postgres://user@host/db?sslmode=maybe", "postgres://user@host/db?schema=a;drop", "postgres://user@host/db?schema=1abc",
        "postgres://user@host/db?colour=blue", "postgres://user@host:99999/db", "mysql://user@host/db",
    ])
    func malformedURLsAreRefusedWithAReason(text: String) {
        #expect(throws: SesameError(.invalidInput, "")) { try PostgresConnectionURL(parsing: text) }
    }

    @Test func theDatabaseURLMasksThePassword() throws {
        let url = try DatabaseURL(parsing: "postgres://app:hunter22@db:5432/tokens")
        #expect(!url.description.contains("hunter22"))
        #expect(url.description.contains("app:****@db:5432/tokens"))
        #expect(throws: SesameError(.invalidInput, "")) { try DatabaseURL(parsing: "postgres://app:pw@db:5432/") }
    }
}

/// What only PostgreSQL has: many pools (processes) on one database.
@Suite(.enabled(if: PostgresTestDatabase.url != nil, Comment(rawValue: PostgresTestDatabase.skipReason)))
struct PostgresStoreTests {
    /// Eight stores opening one new schema at the same instant: each migration runs once, and
    /// every store starts on the complete schema.
    @Test func concurrentStartsMigrateOnce() async throws {
        let url = try PostgresTestDatabase.freshSchemaURL()
        let fixtures = try await withThrowingTaskGroup(of: PostgresTestStore.self) { group in
            for _ in 0..<8 { group.addTask { try await PostgresTestDatabase.openStore(url: url) } }
            return try await group.reduce(into: [PostgresTestStore]()) { $0.append($1) }
        }
        defer { fixtures.forEach { $0.close() } }
        for fixture in fixtures {
            #expect(try await fixture.store.appliedMigrations() == ["v1-core", "v2-oauth-clients", "v3-keys-kek", "v4-tokens-by-session", "v5-located-refresh-tokens"])
            #expect(try await fixture.store.domains().isEmpty)
        }
    }

    /// Two token services on two pools (as two processes would be), one database: concurrent
    /// refreshes of one token split across them yield one successor, and reuse after the grace
    /// window seen by either revokes the session for both.
    @Test func twoPoolsShareRotationAndReuseDetection() async throws {
        let h = try await TestHarness.make(store: .postgres)
        defer { h.cleanUp() }
        let other = try await PostgresTestDatabase.openStore(url: try #require(h.postgres).url)
        defer { other.close() }
        let secondService = try await TokenService.start(
            store: other.store, configuration: h.service.configuration, issuer: TestHarness.issuer, clock: h.clock,
            logger: h.service.logger)

        for _ in 0..<5 {
            let pair = try await h.login()
            let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                for i in 0..<16 {
                    let service = i.isMultiple(of: 2) ? h.service : secondService
                    group.addTask { try await service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser).refreshToken }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(tokens.count == 16 && Set(tokens).count == 1)
        }

        let pair = try await h.login()
        let next = try await secondService.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        h.clock.advance(by: 11)
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        }
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await secondService.refresh(.refreshToken(next.refreshToken), dialect: .enduser)
        }
        #expect(try await other.store.sessionState(id: pair.session.id)?.session.revokeReason == "reuse")
    }

    /// Serialization failures and deadlocks roll back and run the transaction again, so no
    /// client ever sees one; other errors surface at once.
    @Test func serializationFailuresAreRetriedOthersAreNot() async throws {
        let h = try await TestHarness.make(store: .postgres)
        defer { h.cleanUp() }
        let store = try #require(h.postgres).store
        let attempts = ManagedCount()
        let value = try await store.transaction { connection in
            if attempts.next() < 3 {
                try await connection.query(
                    "DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = 'serialization_failure'; END $$", logger: Logger(label: "t"))
            }
            return 42
        }
        #expect(value == 42 && attempts.value == 3)

        let deadlocks = ManagedCount()
        await #expect(throws: (any Error).self) {
            try await store.transaction { connection in
                _ = deadlocks.next()
                try await connection.query(
                    "DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = 'deadlock_detected'; END $$", logger: Logger(label: "t"))
            }
        }
        #expect(deadlocks.value == PostgresStore.maxAttempts)

        let others = ManagedCount()
        await #expect(throws: (any Error).self) {
            try await store.transaction { connection in
                _ = others.next()
                try await connection.query("SELECT 1 / 0", logger: Logger(label: "t"))
            }
        }
        #expect(others.value == 1)
    }

    /// `/health` answers 503 once the store cannot be reached, and a request needing the store
    /// gets the dialect's service error, not a hang or a 500 with internals.
    @Test func healthReportsAnUnreachableStore() async throws {
        let h = try await TestHarness.make(store: .postgres)
        defer { h.cleanUp() }
        let app = Application(router: h.router())
        try await app.test(.router) { client in
            #expect(try await client.execute(uri: "/health", method: .get).status == .ok)
            h.postgres?.close()  // the pool is gone: every lease fails
            try await Task.sleep(for: .milliseconds(100))
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .serviceUnavailable)
            let refresh = try await client.execute(
                uri: Enduser.base + "refreshToken", method: .put, headers: [.contentType: "application/x-www-form-urlencoded"],
                body: FormBody.buffer([("refreshToken", String(repeating: "A", count: 43))]))
            #expect(refresh.status == .ok)
            let json = JSONBody.object(refresh.body)
            #expect(json["code"] as? Int == 5000)
        }
    }

    /// An unreachable server makes `prepare` give up after the wait, with `unavailable`.
    @Test func prepareGivesUpOnAnUnreachableServer() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let store = try PostgresStore(
            url: PostgresConnectionURL(parsing: "postgres://u:p@127.0.0.1:1/db?sslmode=disable"), poolSize: 1, logger: logger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await store.run() }
            let started = ContinuousClock.now
            await #expect(throws: SesameError(.unavailable, "")) { try await store.prepare(waitingUpTo: .seconds(1)) }
            #expect(ContinuousClock.now - started < .seconds(60), "bounded: it must give up, however busy the machine")
            group.cancelAll()
        }
    }
}

/// A counter shared by the attempts of a retried transaction.
final class ManagedCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    /// Increments and returns the new count.
    func next() -> Int { lock.withLock { count += 1; return count } }
}
