import Crypto
import Foundation
import GRDB
import SesameCore
import SesamePostgres
import SesameSQLite
import SesameTestSupport
import Testing

/// Private signing keys, the successor key and domain secrets are sealed at rest with the KEK,
/// on both databases.
@Suite struct KeyEncryptionTests {
    static let kek = KeyEncryptionKey.generate().kek
    /// What a fresh harness holds that is sealed: one signing key, the successor key, the
    /// client-secret key, one domain secret.
    static let secretRows = 4

    /// The same database opened again by another process, with `kek` (or none), as a thief with
    /// a copy of it would. Throws when the store refuses to open.
    final class Reopened: Sendable {
        let store: any SesameStore
        let fixture: PostgresTestStore?

        init(_ h: TestHarness, kek: KeyEncryptionKey?) async throws {
            if let sqlite = h.sqlite {
                // A consistent copy of the file.
                let copy = h.directory.appendingPathComponent("copy-\(UUID().uuidString).sqlite").path
                try await sqlite.pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [copy]) }
                store = try SQLiteStore(path: copy, kek: kek)
                fixture = nil
            } else {
                let postgres = try #require(h.postgres)
                let opened = try await PostgresTestDatabase.openStore(url: postgres.url, kek: kek)
                store = opened.store
                fixture = opened
            }
        }

        deinit { fixture?.close() }
    }

    struct RawRows {
        var pems: [String]
        var kekIDs: [String]
        var clearRows: Int
        var successor: [UInt8]
        var domainSecrets: [String]
    }

    static func raw(_ h: TestHarness) async throws -> RawRows {
        RawRows(
            pems: try await h.probe.texts("SELECT private_key_pem FROM signing_keys"),
            kekIDs: try await h.probe.texts(
                "SELECT kek_id FROM signing_keys WHERE kek_id IS NOT NULL UNION ALL SELECT kek_id FROM secrets WHERE kek_id IS NOT NULL UNION ALL SELECT secret_kek_id FROM domains WHERE secret_kek_id IS NOT NULL"),
            clearRows: try await h.probe.integer(
                "SELECT (SELECT count(*) FROM signing_keys WHERE kek_id IS NULL) + (SELECT count(*) FROM secrets WHERE kek_id IS NULL) + (SELECT count(*) FROM domains WHERE secret_kek_id IS NULL)")
                ?? -1,
            successor: try await h.probe.blobs("SELECT value FROM secrets WHERE name = 'successor-key'").first ?? [],
            domainSecrets: try await h.probe.texts("SELECT secret FROM domains"))
    }

    @Test(arguments: StoreKind.available) func aCopyOfTheDatabaseWithoutTheKEKYieldsNoKeyAndNoSecret(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store, kek: Self.kek)
        defer { h.cleanUp() }
        let pair = try await h.login(.kanfang)
        let clearKey = try #require(try await h.store.signingKeys().first)
        let clearSuccessor = try await h.store.secret(named: "successor-key") { RandomToken.bytes(32) }

        let rows = try await Self.raw(h)
        #expect(rows.clearRows == 0 && rows.kekIDs.count == Self.secretRows && rows.kekIDs.allSatisfy { $0 == Self.kek.id })
        for pem in rows.pems {
            #expect(!pem.contains("PRIVATE KEY") && !pem.contains(clearKey.privateKeyPEM))
            #expect((try? P256.Signing.PrivateKey(pemRepresentation: pem)) == nil)
        }
        #expect(rows.successor.count == 12 + 32 + 16 && rows.successor != clearSuccessor)
        let clientKey = try await h.store.secret(named: "client-secret-key") { RandomToken.bytes(32) }
        let rawClientKey = try await h.probe.blobs("SELECT value FROM secrets WHERE name = 'client-secret-key'").first ?? []
        #expect(rawClientKey.count == 12 + 32 + 16 && rawClientKey != clientKey)
        #expect(rows.domainSecrets.allSatisfy { !$0.contains(TestHarness.domainSecret) })

        // Without the KEK, or with another one, the copy does not even open.
        await #expect { _ = try await Reopened(h, kek: nil) } throws: { error in
            (error as? SesameError)?.code == .invalidInput && "\(error)".contains("KEK")
        }
        await #expect { _ = try await Reopened(h, kek: KeyEncryptionKey.generate().kek) } throws: { error in
            (error as? SesameError)?.code == .invalidInput
        }
        // With it, it is the same store: same key, same successor, tokens still verify.
        let reopened = try await Reopened(h, kek: Self.kek)
        #expect(try await reopened.store.signingKeys().first == clearKey)
        #expect(try await reopened.store.secret(named: "successor-key") { RandomToken.bytes(32) } == clearSuccessor)
        #expect(try await reopened.store.domain(named: "default")?.secret == TestHarness.domainSecret)
        let other = try await TokenService.start(
            store: reopened.store, configuration: h.service.configuration, issuer: TestHarness.issuer, clock: h.clock,
            logger: h.service.logger)
        #expect(try await other.authenticate(accessToken: pair.accessToken, dialect: .kanfang).user.uid == h.user.uid)
    }

    @Test(arguments: StoreKind.available) func clearRowsAreSealedWhenTheStoreFirstOpensWithAKEK(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let pair = try await h.login()
        let before = try await Self.raw(h)
        #expect(before.pems.allSatisfy { $0.contains("PRIVATE KEY") } && before.kekIDs.isEmpty && before.clearRows == Self.secretRows)

        // SQLite seals the copy, PostgreSQL the shared database: check the one that was sealed.
        let sealed = try await Reopened(h, kek: Self.kek)
        #expect((sealed.store as? any SealsSecrets)?.rowsSealedAtOpen == Self.secretRows)
        let keys = try await sealed.store.signingKeys()
        #expect(keys.allSatisfy { $0.privateKeyPEM.contains("PRIVATE KEY") })
        // Nothing changed for clients: the session refreshes and its access token verifies.
        let service = try await TokenService.start(
            store: sealed.store, configuration: h.service.configuration, issuer: TestHarness.issuer, clock: h.clock,
            logger: h.service.logger)
        #expect(try await service.authenticate(accessToken: pair.accessToken, dialect: .enduser).user.uid == h.user.uid)
        _ = try await service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        if h.kind == .postgres {
            let after = try await Self.raw(h)
            #expect(after.clearRows == 0 && after.pems.allSatisfy { !$0.contains("PRIVATE KEY") })
            // And now the store refuses to be opened without it.
            await #expect(throws: SesameError(.invalidInput, "")) { _ = try await Reopened(h, kek: nil) }
        }
    }

    @Test(arguments: StoreKind.available) func rotatingTheKEKReSealsEveryRow(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store, kek: Self.kek)
        defer { h.cleanUp() }
        let key = try #require(try await h.store.signingKeys().first)
        let next = KeyEncryptionKey.generate().kek
        let admin = Administration(store: h.store, clock: h.clock, hasher: h.service.hasher)
        #expect(try await admin.rotateKEK(to: next) == Self.secretRows)
        #expect(try await h.store.signingKeys().first == key)
        #expect(try await h.store.domain(named: "default")?.secret == TestHarness.domainSecret)
        #expect(try await Self.raw(h).kekIDs.allSatisfy { $0 == next.id })
        await #expect(throws: SesameError(.invalidInput, "")) { _ = try await Reopened(h, kek: Self.kek) }
        let reopened = try await Reopened(h, kek: next)
        #expect(try await reopened.store.signingKeys().first == key)
        #expect(try await reopened.store.auditEvents(AuditQuery(kind: "kek-rotated")).count == 1)
    }

    /// The associated data names the row: a sealed value copied into another row does not open.
    @Test(arguments: StoreKind.available) func aSealedValueMovedToAnotherRowDoesNotOpen(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store, kek: Self.kek)
        defer { h.cleanUp() }
        let admin = Administration(store: h.store, clock: h.clock, hasher: h.service.hasher)
        try await admin.addDomain(name: "other", secret: "another-domain-secret-123")
        try await h.probe.execute("UPDATE domains SET secret = (SELECT secret FROM domains WHERE name = 'other') WHERE name = 'default'")
        await #expect(throws: SesameError(.invalidInput, "")) { _ = try await h.store.domain(named: "default") }
        #expect(try await h.store.domain(named: "other")?.secret == "another-domain-secret-123")
    }

    @Test(arguments: ["", "short", String(repeating: "A", count: 44), "not base64 at all!!"])
    func malformedKEKsAreRefused(text: String) {
        #expect(throws: SesameError(.invalidInput, "")) { _ = try KeyEncryptionKey(base64: text) }
    }

    @Test func aKEKNeverShowsItself() throws {
        let (kek, text) = KeyEncryptionKey.generate()
        #expect(try KeyEncryptionKey(base64: text) == kek)
        #expect(!"\(kek)".contains(text) && "\(kek)" == "KEK(\(kek.id))" && !String(reflecting: kek).contains(text))
    }
}
