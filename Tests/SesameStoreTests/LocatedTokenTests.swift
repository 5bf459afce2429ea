import Foundation
import SesameCore
import SesameTestSupport
import Testing

/// Refresh tokens that name their row (schema v5): issued at login and at every refresh, found by
/// primary key, useless without their secret; and the legacy tokens issued before keep working.
@Suite struct LocatedTokenTests {
    /// Makes the session's current token a legacy one (43 characters, hash-indexed), as if it
    /// had been issued before v5; returns it.
    static func makeCurrentTokenLegacy(_ h: TestHarness, session: String) async throws -> String {
        let legacy = RandomToken.make()
        try await h.probe.execute(
            "UPDATE refresh_tokens SET token_hash = ?, located = (1 = 0) WHERE session_id = ? AND rotated_at IS NULL",
            [.blob(RandomToken.hash(legacy)), .text(session)])
        return legacy
    }

    static func locatedRows(_ h: TestHarness, session: String) async throws -> (located: Int?, legacy: Int?) {
        (
            try await h.probe.integer("SELECT count(*) FROM refresh_tokens WHERE session_id = ? AND located", [.text(session)]),
            try await h.probe.integer("SELECT count(*) FROM refresh_tokens WHERE session_id = ? AND NOT located", [.text(session)])
        )
    }

    @Test(arguments: StoreKind.available) func loginAndRefreshIssueTokensThatNameTheirRow(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        var pair = try await h.login()
        for _ in 0..<3 {
            let key = try #require(RefreshTokenKey(token: pair.refreshToken))
            #expect(pair.refreshToken.utf8.count == RefreshTokenKey.locatedLength)
            let record = try #require(try await h.store.refreshToken(key))
            #expect(key.location == .init(sessionID: pair.session.id, id: record.id) && record.isLocated && record.rotatedAt == nil)
            pair = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        }
        let rows = try await Self.locatedRows(h, session: pair.session.id)
        #expect(rows.located == 4 && rows.legacy == 0)
    }

    /// The session's id and a token's id are public (`sid` and `jti` of every access token):
    /// with another secret they find nothing, neither to refresh nor to revoke by reuse.
    @Test(arguments: StoreKind.available) func theIDsWithoutTheSecretFindNothing(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let first = try await h.login()
        let location = try #require(RefreshTokenKey(token: first.refreshToken)?.location)
        let forgedFirst = try #require(RefreshTokenKey.token(sessionID: location.sessionID, id: location.id, secret: RandomToken.bytes(32)))
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.refresh(.refreshToken(forgedFirst), dialect: .enduser)
        }
        #expect(try await h.service.peek(.refreshToken(forgedFirst)) == nil)
        let second = try await h.service.refresh(.refreshToken(first.refreshToken), dialect: .enduser)
        // After the grace window a used token's real text would revoke the session; a forged one
        // with its ids does not.
        h.clock.advance(by: 11)
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.refresh(.refreshToken(forgedFirst), dialect: .enduser)
        }
        #expect(try await h.store.sessionState(id: first.session.id)?.session.revokedAt == nil)
        _ = try await h.service.refresh(.refreshToken(second.refreshToken), dialect: .enduser)
    }

    /// A token issued before v5 refreshes; its successor names its row; a retry within the grace
    /// window gets that successor again; reuse after it still revokes the session.
    @Test(arguments: StoreKind.available) func legacyTokensRefreshIntoLocatedOnes(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let pair = try await h.login()
        let legacy = try await Self.makeCurrentTokenLegacy(h, session: pair.session.id)
        #expect(try await h.service.peek(.refreshToken(legacy))?.session.id == pair.session.id)
        let next = try await h.service.refresh(.refreshToken(legacy), dialect: .enduser)
        #expect(next.session.id == pair.session.id)
        #expect(RefreshTokenKey(token: next.refreshToken)?.location?.sessionID == pair.session.id)
        h.clock.advance(by: 5)
        let retry = try await h.service.refresh(.refreshToken(legacy), dialect: .enduser)
        #expect(retry.refreshToken == next.refreshToken)
        let rows = try await Self.locatedRows(h, session: pair.session.id)
        #expect(rows.located == 1 && rows.legacy == 1)
        h.clock.advance(by: 11)
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.refresh(.refreshToken(legacy), dialect: .enduser)
        }
        #expect(try await h.store.sessionState(id: pair.session.id)?.session.revokeReason == "reuse")
        await #expect(throws: SesameError(.invalidToken, "")) {
            _ = try await h.service.refresh(.refreshToken(next.refreshToken), dialect: .enduser)
        }
    }

    /// A legacy token rotated before the upgrade got a legacy successor; a retry just after the
    /// upgrade, within the grace window, gets that same successor back, which then refreshes.
    @Test(arguments: StoreKind.available) func aRetryOfARotationMadeBeforeV5GetsItsLegacySuccessor(store: StoreKind) async throws {
        let h = try await TestHarness.make(store: store)
        defer { h.cleanUp() }
        let pair = try await h.login()
        let legacy = try await Self.makeCurrentTokenLegacy(h, session: pair.session.id)
        let deriver = h.service.deriver
        let legacySuccessor = deriver.successor(ofBinding: deriver.binding(of: legacy))
        let now = h.clock.unixNow()
        try await h.probe.execute(
            "UPDATE refresh_tokens SET rotated_at = ?, successor_hash = ? WHERE session_id = ? AND rotated_at IS NULL",
            [.integer(now), .blob(RandomToken.hash(legacySuccessor)), .text(pair.session.id)])
        try await h.probe.execute(
            """
            INSERT INTO refresh_tokens (token_hash, id, session_id, issued_at, expires_at, located)
            VALUES (?, ?, ?, ?, ?, (1 = 0))
            """,
            [
                .blob(RandomToken.hash(legacySuccessor)), .text(RandomToken.make(byteCount: 16)), .text(pair.session.id), .integer(now),
                .integer(now + 3_600),
            ])
        h.clock.advance(by: 3)
        let retry = try await h.service.refresh(.refreshToken(legacy), dialect: .enduser)
        #expect(retry.refreshToken == legacySuccessor)
        let next = try await h.service.refresh(.refreshToken(legacySuccessor), dialect: .enduser)
        #expect(RefreshTokenKey(token: next.refreshToken)?.location?.sessionID == pair.session.id)
    }
}
