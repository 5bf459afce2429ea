import Foundation
import SesameCore
import SesamePostgres
import SesameSQLite
import SesameTestSupport
import Testing

/// Registered oauth clients in the store, on every database: constraints, hashing, removal.
@Suite struct ClientStoreTests {
    func admin(_ h: TestHarness) -> Administration {
        Administration(store: h.store, clock: h.clock, hasher: h.service.hasher)
    }

    @Test(arguments: StoreKind.available) func theMigrationComesAfterV1(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let applied: [String]
        if let postgres = h.postgres {
            applied = try await postgres.store.appliedMigrations()
        } else {
            applied = try await h.probe.texts("SELECT identifier FROM grdb_migrations ORDER BY rowid")
        }
        #expect(applied == ["v1-core", "v2-oauth-clients", "v3-keys-kek", "v4-tokens-by-session", "v5-located-refresh-tokens"])
    }

    @Test(arguments: StoreKind.available) func clientIDsAreUniqueAcrossDomains(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        try await admin(h).addDomain(name: "C.DM.2", secret: String(repeating: "k", count: 32))
        try await admin(h).addClient(id: "web", domain: "default", secret: nil)
        await #expect(throws: SesameError(.conflict, "")) { try await admin(h).addClient(id: "web", domain: "C.DM.2", secret: nil) }
        // The constraint, not a Swift check, decides.
        await #expect(throws: SesameError(.conflict, "")) {
            try await h.store.createClient(OAuthClient(id: "web", domainID: h.domain.id, secretHash: nil, createdAt: 0))
        }
    }

    @Test(arguments: StoreKind.available) func aClientNeedsAnExistingDomain(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        await #expect(throws: SesameError(.notFound, "")) { try await admin(h).addClient(id: "web", domain: "nowhere", secret: nil) }
        await #expect(throws: SesameError(.notFound, "")) {
            try await h.store.createClient(OAuthClient(id: "web", domainID: 999, secretHash: nil, createdAt: 0))
        }
    }

    @Test(arguments: ["", "with space", "slash/", "colon:", "percent%", String(repeating: "a", count: 129), "ü"])
    func malformedClientIDsAreRefused(id: String) async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        await #expect(throws: SesameError(.invalidInput, "")) { try await admin(h).addClient(id: id, domain: "default", secret: nil) }
    }

    @Test(arguments: ["12345", String(repeating: "s", count: 257), "tab\there-ok", "new\nline-x"])
    func malformedSecretsAreRefused(secret: String) async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        await #expect(throws: SesameError(.invalidInput, "")) { try await admin(h).addClient(id: "web", domain: "default", secret: secret) }
    }

    @Test(arguments: StoreKind.available) func secretsAreStoredOnlyAsSaltedKeyedHashes(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let secret = "the-same-secret-for-two-clients"
        let a = try await admin(h).addClient(id: "a", domain: "default", secret: secret)
        let b = try await admin(h).addClient(id: "b", domain: "default", secret: secret)
        let fetched = try #require(try await h.store.client(id: "a"))
        #expect(fetched == a)
        #expect(a.secretHash != b.secretHash, "a fresh salt per secret")
        #expect(a.secretHash?.hasPrefix("hmac-sha256$") == true)
        let stored = try await h.probe.texts("SELECT secret_hash FROM clients")
        #expect(stored.count == 2 && stored.allSatisfy { !$0.contains(secret) })
        if let sqlite = h.sqlite {
            let file = try Data(contentsOf: URL(fileURLWithPath: sqlite.path))
                + ((try? Data(contentsOf: URL(fileURLWithPath: sqlite.path + "-wal"))) ?? Data())
            #expect(file.range(of: Data(secret.utf8)) == nil)
        }
        #expect(h.service.clientSecrets.verify(secret, against: a.secretHash))
        #expect(!h.service.clientSecrets.verify(secret + "x", against: a.secretHash))
        #expect(!h.service.clientSecrets.verify(secret, against: nil))
        #expect(!h.service.clientSecrets.verify(secret, against: "hmac-sha256$$"))
        // Another store's key gives another hash: the key matters.
        #expect(!ClientSecretHasher(key: RandomToken.bytes(32)).verify(secret, against: a.secretHash))
    }

    @Test(arguments: StoreKind.available) func clientsAreListedByDomain(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        try await admin(h).addDomain(name: "C.DM.2", secret: String(repeating: "k", count: 32))
        try await admin(h).addClient(id: "zeta", domain: "default", secret: nil)
        try await admin(h).addClient(id: "alpha", domain: "C.DM.2", secret: "alpha-secret-123")
        #expect(try await h.store.clients(domainID: nil).map(\.id) == ["alpha", "zeta"])
        #expect(try await h.store.clients(domainID: h.domain.id).map(\.id) == ["zeta"])
        #expect(try await admin(h).clients(domain: "C.DM.2").map(\.domain) == ["C.DM.2"])
        #expect(try await h.store.client(id: "nobody") == nil)
    }

    /// Removing a client revokes its live sessions in the same transaction, leaves other
    /// clients' and other dialects' sessions alone, and is audited.
    @Test(arguments: StoreKind.available) func removingAClientRevokesItsSessions(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        try await admin(h).addClient(id: "web", domain: "default", secret: nil)
        try await admin(h).addClient(id: "other", domain: "default", secret: nil)
        let mine = try await h.service.login(domain: h.domain, identifier: .anyOf("alice"), password: h.password, dialect: .oauth, clientID: "web")
        let theirs = try await h.service.login(domain: h.domain, identifier: .anyOf("alice"), password: h.password, dialect: .oauth, clientID: "other")
        let enduser = try await h.login(.enduser)
        try await admin(h).removeClient(id: "web")
        #expect(try await h.store.client(id: "web") == nil)
        #expect(try await h.store.sessionState(id: mine.session.id)?.session.revokeReason == "client-removed")
        #expect(try await h.store.sessionState(id: theirs.session.id)?.session.revokedAt == nil)
        #expect(try await h.store.sessionState(id: enduser.session.id)?.session.revokedAt == nil)
        await #expect(throws: SesameError(.notFound, "")) { try await admin(h).removeClient(id: "web") }
        #expect(try await h.store.removeClient(id: "web", at: 0) == false)
        let kinds = try await h.store.auditEvents(limit: 10).map(\.kind)
        #expect(kinds.contains("client-added") && kinds.contains("client-removed"))
    }

    @Test(arguments: StoreKind.available) func refreshTokensAreFoundByHashWithoutBeingConsumed(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let pair = try await h.login()
        let record = try #require(try await h.store.refreshToken(RefreshTokenKey(token: pair.refreshToken)!))
        #expect(record.sessionID == pair.session.id && record.rotatedAt == nil)
        #expect(try await h.store.refreshToken(RefreshTokenKey(hash: RandomToken.bytes(32))) == nil)
        _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        #expect(try await h.store.refreshToken(RefreshTokenKey(token: pair.refreshToken)!)?.rotatedAt != nil)
    }
}
