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
        let (mode, sync) = try await h.store.pool.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"))
        }
        #expect(mode == "wal")
        #expect(sync == 2)  // FULL
        #expect(try await h.store.integrityCheck() == "ok")
    }

    @Test func reopeningRunsNoMigrationTwice() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let again = try SQLiteStore(path: h.store.path)
        #expect(try await again.domains().map(\.name) == ["default"])
    }

    @Test func domainNamesAreUnique() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        await #expect(throws: SesameError(.conflict, "")) {
            _ = try await h.store.createDomain(name: "default", secret: String(repeating: "x", count: 20), at: 0)
        }
    }

    @Test(arguments: [
        ("alice@example.com", nil, nil), (nil, "17132136550", nil), (nil, nil, "alice"),
    ] as [(String?, String?, String?)])
    func identifiersAreUniqueWithinADomain(email: String?, phone: String?, username: String?) async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        await #expect(throws: SesameError(.conflict, "")) {
            _ = try await h.addUser(email: email, phone: phone, username: username, password: "another-pass")
        }
    }

    @Test func theSameEmailMayLiveInTwoDomains() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let admin = Administration(store: h.store, clock: h.clock, hasher: h.service.hasher)
        try await admin.addDomain(name: "C.DM.10271.5", secret: String(repeating: "k", count: 32))
        let other = try await admin.addUser(.init(domain: "C.DM.10271.5", email: h.email, password: "other-pass"))
        #expect(other.uid != h.user.uid)
    }

    @Test func aUserNeedsAnIdentifierEvenBypassingSwiftChecks() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        var user = h.user
        user.uid = "U-none"
        user.email = nil
        user.phone = nil
        user.internationalCode = nil
        user.username = nil
        await #expect(throws: SesameError.self) { try await h.store.createUser(user) }
    }

    @Test func theDatabaseRefusesASecondCurrentRefreshToken() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let pair = try await h.login()
        await #expect(throws: DatabaseError.self) {
            try await h.store.pool.write { db in
                try db.execute(
                    sql: "INSERT INTO refresh_tokens (token_hash, id, session_id, issued_at, expires_at) VALUES (?, 'x', ?, 0, 1)",
                    arguments: [Data(RandomToken.bytes(32)), pair.session.id])
            }
        }
    }

    @Test func refreshTokensAreStoredOnlyAsHashes() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let pair = try await h.login()
        let refreshed = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        let file = try Data(contentsOf: URL(fileURLWithPath: h.store.path))
            + ((try? Data(contentsOf: URL(fileURLWithPath: h.store.path + "-wal"))) ?? Data())
        for token in [pair.refreshToken, refreshed.refreshToken] {
            #expect(file.range(of: Data(token.utf8)) == nil)
        }
        let hashes = try await h.store.pool.read { db in try Data.fetchAll(db, sql: "SELECT token_hash FROM refresh_tokens") }
        #expect(Set(hashes) == Set([Data(RandomToken.hash(pair.refreshToken)), Data(RandomToken.hash(refreshed.refreshToken))]))
    }

    /// A copy of the database, successor key included, yields no usable refresh token: the
    /// successor of every stored value is not the session's current token.
    @Test func theDatabaseAloneDerivesNoCurrentToken() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        var current: [String] = []
        for dialect in [Dialect.enduser, .kanfang] {
            let pair = try await h.login(dialect)
            current.append(try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: dialect).refreshToken)
        }
        let key = try await h.store.pool.read { db in try Data.fetchOne(db, sql: "SELECT value FROM secrets WHERE name = 'successor-key'") }
        let deriver = SuccessorDeriver(key: Array(try #require(key)))
        let blobs = try await h.store.pool.read { db in
            try Data.fetchAll(db, sql: "SELECT token_hash FROM refresh_tokens UNION ALL SELECT successor_hash FROM refresh_tokens WHERE successor_hash IS NOT NULL")
                + (try String.fetchAll(db, sql: "SELECT id FROM refresh_tokens").map { Data($0.utf8) })
        }
        #expect(blobs.count >= 6)
        for blob in blobs {
            let bytes = Array(blob)
            #expect(!current.contains(deriver.successor(ofBinding: bytes)))
            #expect(!current.contains(deriver.successor(ofBinding: deriver.binding(of: String(decoding: bytes, as: UTF8.self)))))
        }
    }

    @Test func passwordsAreStoredAsBcrypt() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let stored = try #require(try await h.store.user(uid: h.user.uid))
        #expect(stored.passwordHash.hasPrefix("$2"))
        #expect(!stored.passwordHash.contains(h.password))
    }

    @Test func disablingAUserRevokesAllItsSessions() async throws {
        let h = try await TestHarness.make()
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

    @Test func disablingADomainStopsItsSessions() async throws {
        let h = try await TestHarness.make()
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

    @Test func auditTrailRecordsLoginsAndAdminActions() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        _ = try await h.login()
        let kinds = try await h.store.auditEvents(limit: 10).map(\.kind)
        #expect(kinds.contains("login") && kinds.contains("user-added") && kinds.contains("domain-added"))
    }
}
