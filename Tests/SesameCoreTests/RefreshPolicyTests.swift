import SesameCore
import Testing

@Suite struct RefreshPolicyTests {
    static let now: Int64 = 1_700_000_000
    static let successor = Array(repeating: UInt8(7), count: 32)

    func input(
        dialect: Dialect = .enduser, clientID: String? = nil, rotatedAt: Int64? = nil, successor: [UInt8]? = nil,
        expiresAt: Int64 = now + 100, revoked: Bool = false, userEnabled: Bool = true, domainEnabled: Bool = true,
        absoluteEnd: Int64? = nil
    ) -> RotationInput {
        let session = Session(
            id: "s", uid: "u", dialect: dialect, clientID: clientID, createdAt: Self.now - 1000,
            absoluteExpiresAt: absoluteEnd, revokedAt: revoked ? Self.now - 1 : nil, revokeReason: revoked ? "logout" : nil)
        let user = User(
            uid: "u", domainID: 1, email: "a@b.c", phone: nil, internationalCode: nil, username: nil, nickname: nil,
            passwordHash: "x", enabled: userEnabled, registeredAt: 0, lastLoginAt: nil)
        let domain = UserDomain(id: 1, name: "d", secret: String(repeating: "s", count: 16), enabled: domainEnabled, createdAt: 0)
        let token = RefreshTokenRecord(
            id: "t", tokenHash: Array(repeating: 1, count: 32), sessionID: "s", issuedAt: Self.now - 500, expiresAt: expiresAt,
            rotatedAt: rotatedAt, successorHash: successor)
        return RotationInput(token: token, state: SessionState(session: session, user: user, domain: domain))
    }

    func policy(kind: SuccessorDeriver.Kind = .refreshToken, dialect: Dialect = .enduser) -> RefreshPolicy {
        RefreshPolicy(
            dialect: dialect, clientID: nil, kind: kind, refreshLifetime: 1_000, grace: 10, successorHash: Self.successor,
            now: Self.now)
    }

    @Test func currentTokenRotatesWithFullLifetime() {
        #expect(policy().decide(input()) == .rotate(successorExpiresAt: Self.now + 1_000))
    }

    @Test func successorLifetimeIsCappedByTheSessionsAbsoluteEnd() {
        #expect(policy().decide(input(absoluteEnd: Self.now + 50)) == .rotate(successorExpiresAt: Self.now + 50))
    }

    @Test func withinGraceTheSameSuccessorIsReplayed() {
        #expect(policy().decide(input(rotatedAt: Self.now - 10, successor: Self.successor)) == .replay)
        #expect(policy().decide(input(rotatedAt: Self.now, successor: Self.successor)) == .replay)
    }

    @Test func withinGraceADifferentDerivationIsRefused() {
        let other = Array(repeating: UInt8(9), count: 32)
        #expect(policy().decide(input(rotatedAt: Self.now - 1, successor: other)) == .reject(reason: "grace-mismatch"))
    }

    @Test func afterGraceReuseRevokesTheSession() {
        #expect(policy().decide(input(rotatedAt: Self.now - 11, successor: Self.successor)) == .revokeSession(reason: "reuse"))
    }

    @Test func reuseIsDetectedEvenOnceTheUsedTokenHasExpired() {
        #expect(
            policy().decide(input(rotatedAt: Self.now - 5_000, successor: Self.successor, expiresAt: Self.now - 1))
                == .revokeSession(reason: "reuse"))
    }

    @Test func aStaleAccessTokenIsRefusedNotTreatedAsReuse() {
        #expect(
            policy(kind: .accessToken, dialect: .enduser).decide(input(rotatedAt: Self.now - 11, successor: Self.successor))
                == .reject(reason: "stale-access-token"))
    }

    @Test(arguments: [
        (Dialect.kanfang, "dialect"), (Dialect.oauth, "dialect"),
    ])
    func anotherDialectsTokenIsRejected(dialect: Dialect, reason: String) {
        #expect(policy().decide(input(dialect: dialect)) == .reject(reason: reason))
    }

    @Test func anotherClientsTokenIsRejected() {
        #expect(policy().decide(input(clientID: "other")) == .reject(reason: "client"))
    }

    @Test func expiredCurrentTokenIsRejected() {
        #expect(policy().decide(input(expiresAt: Self.now)) == .reject(reason: "expired"))
    }

    @Test(arguments: [
        (true, true, true), (false, false, true), (false, true, false),
    ])
    func deadSessionUserOrDomainIsRejected(revoked: Bool, userEnabled: Bool, domainEnabled: Bool) {
        #expect(
            policy().decide(input(revoked: revoked, userEnabled: userEnabled, domainEnabled: domainEnabled))
                == .reject(reason: "inactive"))
    }

    @Test func sessionPastItsAbsoluteEndIsRejected() {
        #expect(policy().decide(input(absoluteEnd: Self.now)) == .reject(reason: "inactive"))
    }
}
