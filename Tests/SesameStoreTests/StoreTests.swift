import Foundation
import GRDB
import SesameCore
import SesameSQLite
import SesameTestSupport
import Testing

/// The store's invariants on a real SQLite file.
@Suite struct StoreTests {
    @Test func walModeAndFullSynchronousAreOn() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let sqlite = try #require(h.sqlite)
        let (mode, sync, limit) = try await sqlite.pool.write { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
                try Int.fetchOne(db, sql: "PRAGMA journal_size_limit")
            )
        }
        #expect(mode == "wal")
        #expect(sync == 2)  // FULL
        // The WAL file shrinks back to 64 MiB after a large transaction.
        #expect(limit == SQLiteStore.walSizeLimit)
        #expect(try await sqlite.integrityCheck() == "ok")
    }

    /// The inline readers close before the pool: the writer, closing last, copies the WAL into
    /// the database file and removes it, so that the next start does not begin with a checkpoint
    /// of everything the last run wrote.
    @Test func closingTheStoreLeavesNoWAL() async throws {
        let directory = try TemporaryDirectory("sesame-close")
        defer { directory.remove() }
        let path = directory.path("sesame.sqlite")
        do {
            let store = try SQLiteStore(path: path)
            try await store.recordAudit(AuditEvent(at: 1, kind: "test"))
            // A read on an inline connection, and one through the pool.
            #expect(try await store.sessionState(id: "S-none") == nil)
            #expect(try await store.auditEvents(limit: 1).count == 1)
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        }
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    /// Opening checkpoints the WAL, but never waits for it: a store that another process is
    /// reading (a server beside the CLI) opens at once.
    @Test func openingBesideAReaderDoesNotWaitForTheCheckpoint() async throws {
        let directory = try TemporaryDirectory("sesame-open")
        defer { directory.remove() }
        let path = directory.path("sesame.sqlite")
        let first = try SQLiteStore(path: path)
        try await first.recordAudit(AuditEvent(at: 1, kind: "test"))
        // Another connection in the middle of a read: a TRUNCATE checkpoint would wait for it.
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        let reader = try DatabaseQueue(path: path, configuration: configuration)
        try reader.inDatabase { db in
            try db.execute(sql: "BEGIN")
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_events")
        }
        try await first.recordAudit(AuditEvent(at: 2, kind: "test"))
        let start = ContinuousClock.now
        let second = try SQLiteStore(path: path)
        // The busy timeout is 10 s; giving up at once takes milliseconds.
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(try await second.auditEvents(limit: 10).count == 2)
        try reader.inDatabase { db in try db.execute(sql: "COMMIT") }
    }

    @Test func reopeningRunsNoMigrationTwice() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let again = try SQLiteStore(path: try #require(h.sqlite).path)
        #expect(try await again.domains().map(\.name) == ["default"])
    }

    @Test(arguments: StoreKind.available) func domainNamesAreUnique(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        await #expect(throws: SesameError(.conflict, "")) {
            _ = try await h.store.createDomain(name: "default", secret: String(repeating: "x", count: 20), at: 0)
        }
    }

    @Test(arguments: StoreKind.available, [
        ("alice@example.com", nil, nil), (nil, "17132136550", nil), (nil, nil, "alice"),
    ] as [(String?, String?, String?)])
    func identifiersAreUniqueWithinADomain(store: StoreKind, identifiers: (email: String?, phone: String?, username: String?)) async throws {
        let (email, phone, username) = identifiers
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        await #expect(throws: SesameError(.conflict, "")) {
            _ = try await h.addUser(email: email, phone: phone, username: username, password: "another-pass")
        }
    }

    @Test(arguments: StoreKind.available) func theSameEmailMayLiveInTwoDomains(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let admin = Administration(store: h.store, clock: h.clock, hasher: h.service.hasher)
        try await admin.addDomain(name: "C.DM.10271.5", secret: String(repeating: "k", count: 32))
        let other = try await admin.addUser(.init(domain: "C.DM.10271.5", email: h.email, password: "other-pass"))
        #expect(other.uid != h.user.uid)
    }

    @Test(arguments: StoreKind.available) func aUserNeedsAnIdentifierEvenBypassingSwiftChecks(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        var user = h.user
        user.uid = "U-none"
        user.email = nil
        user.phone = nil
        user.internationalCode = nil
        user.username = nil
        await #expect(throws: SesameError.self) { try await h.store.createUser(user) }
    }

    @Test(arguments: StoreKind.available) func theDatabaseRefusesASecondCurrentRefreshToken(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let pair = try await h.login()
        await #expect(throws: (any Error).self) {
            try await h.probe.execute(
                "INSERT INTO refresh_tokens (token_hash, id, session_id, issued_at, expires_at) VALUES (?, 'x', ?, 0, 1)",
                [.blob(RandomToken.bytes(32)), .text(pair.session.id)])
        }
        // The same row for a session of its own is accepted: the refusal above is the index's.
        #expect(try await h.probe.integer("SELECT count(*) FROM refresh_tokens WHERE id = 'x'") == 0)
    }

    @Test(arguments: StoreKind.available) func refreshTokensAreStoredOnlyAsHashes(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let pair = try await h.login()
        let refreshed = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        if let sqlite = h.sqlite {
            let file = try Data(contentsOf: URL(fileURLWithPath: sqlite.path))
                + ((try? Data(contentsOf: URL(fileURLWithPath: sqlite.path + "-wal"))) ?? Data())
            for token in [pair.refreshToken, refreshed.refreshToken] {
                #expect(file.range(of: Data(token.utf8)) == nil)
            }
        }
        let hashes = try await h.probe.blobs("SELECT token_hash FROM refresh_tokens")
        #expect(Set(hashes) == Set([RandomToken.hash(pair.refreshToken), RandomToken.hash(refreshed.refreshToken)]))
        // No column of any table holds a token in clear.
        for token in [pair.refreshToken, refreshed.refreshToken] {
            #expect(try await h.probe.integer("SELECT count(*) FROM refresh_tokens WHERE id = ?", [.text(token)]) == 0)
        }
    }

    /// A copy of the database, successor key included, yields no usable refresh token: the
    /// successor of every stored value is not the session's current token.
    @Test(arguments: StoreKind.available) func theDatabaseAloneDerivesNoCurrentToken(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        var current: [String] = []
        for dialect in [Dialect.enduser, .kanfang] {
            let pair = try await h.login(dialect)
            current.append(try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: dialect).refreshToken)
        }
        let key = try await h.probe.blobs("SELECT value FROM secrets WHERE name = 'successor-key'").first
        let deriver = SuccessorDeriver(key: try #require(key))
        let blobs =
            try await h.probe.blobs(
                "SELECT token_hash FROM refresh_tokens UNION ALL SELECT successor_hash FROM refresh_tokens WHERE successor_hash IS NOT NULL")
            + (try await h.probe.texts("SELECT id FROM refresh_tokens").map { Array($0.utf8) })
        #expect(blobs.count >= 6)
        // A current token's 32 secret bytes: the last 32 of what its text encodes (a located
        // token puts the session's and its own id in front; both are public).
        let secrets = try current.map { try #require(RandomToken.decodeBase64URL($0)).suffix(32).map { $0 } }
        #expect(current.allSatisfy { $0.utf8.count == RefreshTokenKey.locatedLength })
        for blob in blobs {
            let bytes = Array(blob)
            // Neither a stored value nor what the key derives from it is a current token's secret.
            #expect(!secrets.contains(bytes))
            #expect(!secrets.contains(deriver.successorSecret(ofBinding: bytes)))
            #expect(!secrets.contains(deriver.successorSecret(ofBinding: deriver.binding(of: String(decoding: bytes, as: UTF8.self)))))
        }
        // The store keeps a token only as its hash: no column holds its text or its secret.
        let texts = try await h.probe.texts("SELECT id || ' ' || session_id FROM refresh_tokens")
        for (token, secret) in zip(current, secrets) {
            #expect(!texts.contains { $0.contains(token) || $0.contains(RandomToken.base64URL(secret)) })
            #expect(!blobs.contains { Array($0) == secret })
            #expect(try await h.probe.integer("SELECT count(*) FROM refresh_tokens WHERE token_hash = ?", [.blob(RandomToken.hash(token))]) == 1)
        }
    }

    @Test(arguments: StoreKind.available) func passwordsAreStoredAsBcrypt(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let stored = try #require(try await h.store.user(uid: h.user.uid))
        #expect(stored.passwordHash.hasPrefix("$2"))
        #expect(!stored.passwordHash.contains(h.password))
    }

    @Test(arguments: StoreKind.available) func disablingAUserRevokesAllItsSessions(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let a = try await h.login(.enduser)
        let b = try await h.login(.kanfang)
        try await Administration(store: h.store, clock: h.clock, hasher: h.service.hasher).disableUser(uid: h.user.uid)
        for (pair, dialect) in [(a, Dialect.enduser), (b, Dialect.kanfang)] {
            let state = try #require(try await h.store.sessionState(id: pair.session.id))
            #expect(state.session.revokeReason == "user-disabled")
            await #expect(throws: SesameError(.invalidToken, "")) {
                _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: dialect)
            }
        }
        await #expect(throws: SesameError(.userDisabled, "")) { _ = try await h.login() }
    }

    @Test(arguments: StoreKind.available) func disablingADomainStopsItsSessions(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let pair = try await h.login()
        try await Administration(store: h.store, clock: h.clock, hasher: h.service.hasher).setDomainEnabled(name: "default", enabled: false)
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.authenticate(accessToken: pair.accessToken, dialect: .enduser)
        }
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        }
    }

    @Test(arguments: StoreKind.available) func auditTrailRecordsLoginsAndAdminActions(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        _ = try await h.login()
        let kinds = try await h.store.auditEvents(limit: 10).map(\.kind)
        #expect(kinds.contains("login") && kinds.contains("user-added") && kinds.contains("domain-added"))
    }
}
