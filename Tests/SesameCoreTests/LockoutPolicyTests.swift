import SesameCore
import Testing

/// The lockout state machine, once for every store: from the stored row to the slot and the writes.
@Suite struct LockoutPolicyTests {
    static let policy = LockoutPolicy(threshold: 3, lockSeconds: 100)
    typealias Row = LockoutPolicy.Row

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var stored: Row?
        var now: Int64
        var slot: LoginAttemptSlot
        var written: Row?
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "first attempt", stored: nil, now: 10, slot: .allowed(attempt: 1), written: Row(failures: 1, lockedUntil: nil, updatedAt: 10)),
        Case(
            name: "next attempt", stored: Row(failures: 1, lockedUntil: nil, updatedAt: 5), now: 10, slot: .allowed(attempt: 2),
            written: Row(failures: 2, lockedUntil: nil, updatedAt: 10)),
        Case(name: "frozen", stored: Row(failures: 3, lockedUntil: 50, updatedAt: 5), now: 49, slot: .frozen(until: 50), written: nil),
        Case(
            name: "freeze over: a fresh count", stored: Row(failures: 3, lockedUntil: 50, updatedAt: 5), now: 50,
            slot: .allowed(attempt: 1), written: Row(failures: 1, lockedUntil: nil, updatedAt: 50)),
        Case(name: "every slot in flight", stored: Row(failures: 3, lockedUntil: nil, updatedAt: 20), now: 119, slot: .busy(until: 120), written: nil),
        Case(
            name: "claims that never ended expire", stored: Row(failures: 3, lockedUntil: nil, updatedAt: 20), now: 120,
            slot: .allowed(attempt: 1), written: Row(failures: 1, lockedUntil: nil, updatedAt: 120)),
    ]

    @Test(arguments: cases)
    func claims(_ c: Case) {
        let claim = Self.policy.claim(c.stored, at: c.now)
        #expect(claim.slot == c.slot)
        #expect(claim.write == c.written)
    }

    @Test func onlyTheThresholdthFailureFreezes() {
        let key = LoginAttemptKey(domainID: 7, identifier: "alice@example.com")
        let second = Self.policy.failure(key, attempt: 2, at: 10)
        #expect(second.lockUntil == nil)
        #expect(second.events.map(\.kind) == ["login-failed"])
        let third = Self.policy.failure(key, attempt: 3, at: 10)
        #expect(third.lockUntil == 110)
        #expect(third.events.map(\.kind) == ["lockout", "login-failed"])
        // Events never name the identifier.
        #expect((second.events + third.events).allSatisfy { !$0.detail.contains("alice") && $0.uid == nil })
    }
}
