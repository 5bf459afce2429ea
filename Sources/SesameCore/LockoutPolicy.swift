/// The rules of login lockout, as pure functions of the stored failure row. Stores read the
/// row and write what the policy returns, inside their own transaction, so the state machine
/// lives here once for every database.
///
/// ```swift
/// let policy = LockoutPolicy(threshold: 5, lockSeconds: 1_200)
/// let claim = policy.claim(stored, at: now)   // read inside the store's transaction
/// if let row = claim.write { /* upsert row */ }
/// return claim.slot
/// ```
public struct LockoutPolicy: Sendable, Equatable {
    /// Failures that freeze an identifier.
    public var threshold: Int
    /// How long a freeze lasts, and how long an unfinished claim holds its slot.
    public var lockSeconds: Int64

    /// A policy freezing after `threshold` failures for `lockSeconds`.
    public init(threshold: Int, lockSeconds: Int64) {
        self.threshold = threshold
        self.lockSeconds = lockSeconds
    }

    /// The failure-count row of one identifier, as a store keeps it.
    public struct Row: Sendable, Equatable {
        /// Attempts claimed (and not cleared) since the count last started.
        public var failures: Int
        /// Frozen until this Unix time; `nil` when not frozen.
        public var lockedUntil: Int64?
        /// When the last attempt was claimed.
        public var updatedAt: Int64

        public init(failures: Int, lockedUntil: Int64?, updatedAt: Int64) {
            self.failures = failures
            self.lockedUntil = lockedUntil
            self.updatedAt = updatedAt
        }
    }

    /// The outcome of ``claim(_:at:)``.
    public struct Claim: Sendable, Equatable {
        /// What the store answers.
        public var slot: LoginAttemptSlot
        /// The row to write (insert or replace); `nil` writes nothing.
        public var write: Row?
    }

    /// Claims the next attempt given the `stored` row (`nil` when none), at `now`.
    ///
    /// - Frozen (`lockedUntil > now`): ``LoginAttemptSlot/frozen(until:)``, nothing written.
    /// - A freeze that is over: the count starts afresh.
    /// - Every slot held by attempts still being checked: ``LoginAttemptSlot/busy(until:)``,
    ///   unless the last claim is `lockSeconds` old (a claim that never ended, e.g. a crash
    ///   mid-check), when the count starts afresh.
    /// - Otherwise: attempt `failures + 1`, written unfrozen with `updatedAt = now`.
    public func claim(_ stored: Row?, at now: Int64) -> Claim {
        var failures = stored?.failures ?? 0
        let updatedAt = stored?.updatedAt ?? now
        if let lockedUntil = stored?.lockedUntil {
            if lockedUntil > now { return Claim(slot: .frozen(until: lockedUntil), write: nil) }
            failures = 0
        } else if failures >= threshold {
            if now - updatedAt < lockSeconds { return Claim(slot: .busy(until: updatedAt + lockSeconds), write: nil) }
            failures = 0
        }
        failures += 1
        return Claim(slot: .allowed(attempt: failures), write: Row(failures: failures, lockedUntil: nil, updatedAt: now))
    }

    /// What a failed attempt writes.
    public struct Failure: Sendable, Equatable {
        /// Freeze the identifier until this Unix time; `nil` leaves the row as it is.
        public var lockUntil: Int64?
        /// Audit events to append, in order.
        public var events: [AuditEvent]
    }

    /// The writes for the failure of attempt `attempt` of `key` at `now`: the `threshold`-th
    /// (or later) freezes the identifier until `now + lockSeconds` and records a `lockout`
    /// event; every failure records a `login-failed` event. The events never name the identifier.
    public func failure(_ key: LoginAttemptKey, attempt: Int, at now: Int64) -> Failure {
        var events: [AuditEvent] = []
        var lockUntil: Int64?
        if attempt >= threshold {
            lockUntil = now + lockSeconds
            events.append(.lockout(domainID: key.domainID, at: now))
        }
        events.append(.loginFailed(domainID: key.domainID, attempt: attempt, at: now))
        return Failure(lockUntil: lockUntil, events: events)
    }
}
