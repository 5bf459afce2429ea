import Foundation
import GRDB
import Logging
import SesameCore
@testable import SesamePostgres
@testable import SesameSQLite
import SesameTestSupport
import Testing

/// Migration v4 rebuilt SQLite's refresh-token table (clustered by session) and replaced two of
/// PostgreSQL's token indexes by one; v5 keeps the hash index for legacy tokens only: a store
/// last written at v3 keeps every token, and every rule about tokens still holds after the upgrade.
@Suite struct TokenTableMigrationTests {
    static let sessionID = "S-legacy"
    static let rotated = (hash: RandomToken.bytes(32), id: "T-first")
    static let current = (hash: RandomToken.bytes(32), id: "T-second")

    /// A domain, a user and a session whose first refresh token was rotated into the second,
    /// written with v3's columns (the SQL both databases accept).
    static let v3Rows: [(String, [SQLArgument])] = [
        ("INSERT INTO domains (name, secret, created_at) VALUES ('legacy', ?, 1000)", [.text(String(repeating: "s", count: 32))]),
        (
            "INSERT INTO users (uid, domain_id, email, password_hash, registered_at) SELECT 'U-legacy', id, 'old@example.com', 'x', 1000 FROM domains WHERE name = 'legacy'",
            []
        ),
        ("INSERT INTO sessions (id, uid, dialect, created_at) VALUES (?, 'U-legacy', 'enduser', 1000)", [.text(sessionID)]),
        (
            "INSERT INTO refresh_tokens (token_hash, id, session_id, issued_at, expires_at, rotated_at, successor_hash) VALUES (?, ?, ?, 1000, 9000, 2000, ?)",
            [.blob(rotated.hash), .text(rotated.id), .text(sessionID), .blob(current.hash)]
        ),
        (
            "INSERT INTO refresh_tokens (token_hash, id, session_id, issued_at, expires_at) VALUES (?, ?, ?, 2000, 10000)",
            [.blob(current.hash), .text(current.id), .text(sessionID)]
        ),
    ]

    @Test func aV3SQLiteStoreUpgradesWithItsTokens() async throws {
        let directory = try TemporaryDirectory("sesame-v3")
        defer { directory.remove() }
        let path = directory.path("sesame.sqlite")
        do {
            let pool = try DatabasePool(path: path)
            try SQLiteSchema.migrator.migrate(pool, upTo: "v3-keys-kek")
            try await pool.write { db in
                for (sql, arguments) in Self.v3Rows {
                    try db.execute(sql: sql, arguments: StatementArguments(arguments.map(Self.grdb)))
                }
            }
            try pool.close()
        }
        let store = try SQLiteStore(path: path)
        // The rebuild went through the WAL; opening checkpointed it and truncated the file.
        let walSize = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int
        #expect(walSize == 0)
        try await Self.checkUpgraded(store, probe: SQLProbe(store))
        #expect(try await store.integrityCheck() == "ok")
        #expect(try await SQLProbe(store).integer("SELECT count(*) FROM pragma_foreign_key_check") == 0)
        // The table is clustered by session now: its primary key is (session_id, id).
        #expect(
            try await SQLProbe(store).texts("SELECT name FROM pragma_table_info('refresh_tokens') WHERE pk > 0 ORDER BY pk")
                == ["session_id", "id"])
        // v5: the hash index covers the legacy (unlocated) rows only.
        let hashIndex = try await SQLProbe(store).texts("SELECT sql FROM sqlite_master WHERE name = 'refresh_tokens_by_hash'")
        #expect(hashIndex.first?.hasSuffix("WHERE located = 0") == true)
    }

    @Test(.enabled(if: PostgresTestDatabase.url != nil, Comment(rawValue: PostgresTestDatabase.skipReason)))
    func aV3PostgresStoreUpgradesWithItsTokens() async throws {
        var logger = Logger(label: "sesame-test-upgrade")
        logger.logLevel = .critical
        let store = try PostgresStore(
            url: PostgresConnectionURL(parsing: try PostgresTestDatabase.freshSchemaURL()), poolSize: 2, logger: logger)
        let runner = Task { await store.run() }
        defer { runner.cancel() }
        try await store.migrate(through: "v3-keys-kek")
        #expect(try await store.appliedMigrations() == ["v1-core", "v2-oauth-clients", "v3-keys-kek"])
        let probe = SQLProbe(store)
        for (sql, arguments) in Self.v3Rows { try await probe.execute(sql, arguments) }
        try await store.migrate()
        try await Self.checkUpgraded(store, probe: probe)
        let indexes = try await probe.texts("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'refresh_tokens' ORDER BY indexname")
        // v4's (session_id, id) index became the primary key at v5; the hash index covers legacy rows.
        #expect(indexes.contains("refresh_tokens_pkey") && indexes.contains("refresh_tokens_by_hash"))
        #expect(!indexes.contains("refresh_tokens_by_session") && !indexes.contains("refresh_tokens_id_key"))
        #expect(
            try await probe.texts(
                """
                SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                WHERE i.indrelid = 'refresh_tokens'::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)
                """) == ["session_id", "id"])
        let hashIndex = try await probe.texts(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'refresh_tokens_by_hash'")
        #expect(hashIndex.first?.contains("WHERE (NOT located)") == true)
    }

    /// What must hold on an upgraded store, whichever database it is.
    static func checkUpgraded(_ store: any SesameStore, probe: SQLProbe) async throws {
        // Both tokens, every column intact, found by hash (legacy tokens, through the partial
        // hash index) and by (id, session).
        let first = try #require(try await store.refreshToken(RefreshTokenKey(hash: rotated.hash)))
        #expect(!first.isLocated)
        #expect(first.id == rotated.id && first.sessionID == sessionID && first.issuedAt == 1000 && first.expiresAt == 9000)
        #expect(first.rotatedAt == 2000 && first.successorHash == current.hash)
        let second = try #require(try await store.refreshToken(id: current.id, sessionID: sessionID))
        #expect(second.tokenHash == current.hash && second.rotatedAt == nil && second.successorHash == nil)
        #expect(try await store.refreshToken(id: current.id, sessionID: "S-other") == nil)
        #expect(try await store.sessionState(refreshToken: RefreshTokenKey(hash: current.hash))?.user.uid == "U-legacy")

        // The current token rotates; the rotated one is seen as rotated.
        let successorHash = RandomToken.bytes(32)
        let result = try await store.rotate(
            RotationRequest(
                token: RefreshTokenKey(hash: current.hash), successorHash: successorHash, successorID: "T-third", successorIsLocated: false,
                now: 3000)
        ) { input in input.token.rotatedAt == nil ? .rotate(successorExpiresAt: 11000) : .reject(reason: "rotated") }
        guard case .rotated(_, let successor) = result else {
            Issue.record("expected a rotation, got \(result)")
            return
        }
        #expect(successor.tokenHash == successorHash && successor.sessionID == sessionID)
        let again = try await store.rotate(
            RotationRequest(
                token: RefreshTokenKey(hash: rotated.hash, location: .init(sessionID: sessionID, id: rotated.id)),
                successorHash: RandomToken.bytes(32), successorID: "T-x", successorIsLocated: true, now: 3000)
        ) { input in input.token.rotatedAt == nil ? .rotate(successorExpiresAt: 11000) : .reject(reason: "rotated") }
        guard case .rejected(let reason) = again, reason == "rotated" else {
            Issue.record("expected the rotated token to be refused, got \(again)")
            return
        }

        // The rules: one current token per session, hashes unique, ids unique within a session.
        await #expect(throws: (any Error).self) {
            try await probe.execute(
                "INSERT INTO refresh_tokens (token_hash, id, session_id, issued_at, expires_at) VALUES (?, 'T-fourth', ?, 0, 1)",
                [.blob(RandomToken.bytes(32)), .text(sessionID)])
        }
        await #expect(throws: (any Error).self) {
            try await probe.execute(
                "INSERT INTO refresh_tokens (token_hash, id, session_id, issued_at, expires_at, rotated_at, successor_hash) VALUES (?, 'T-fifth', ?, 0, 1, 1, ?)",
                [.blob(successorHash), .text(sessionID), .blob(RandomToken.bytes(32))])
        }
        await #expect(throws: (any Error).self) {
            try await probe.execute(
                "INSERT INTO refresh_tokens (token_hash, id, session_id, issued_at, expires_at, rotated_at, successor_hash) VALUES (?, ?, ?, 0, 1, 1, ?)",
                [.blob(RandomToken.bytes(32)), .text(rotated.id), .text(sessionID), .blob(RandomToken.bytes(32))])
        }
        #expect(try await probe.integer("SELECT count(*) FROM refresh_tokens") == 3)
    }

    static func grdb(_ argument: SQLArgument) -> (any DatabaseValueConvertible)? {
        switch argument {
        case .text(let text): text
        case .blob(let bytes): Data(bytes)
        case .integer(let value): value
        }
    }
}
