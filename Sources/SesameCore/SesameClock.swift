import Foundation
import Synchronization

/// The source of time for everything that expires: tokens, grace windows, lockouts.
///
/// Production code uses ``SystemClock``; tests inject a ``ManualClock`` and move it forward
/// instead of sleeping.
public protocol SesameClock: Sendable {
    /// The current time.
    func now() -> Date
}

extension SesameClock {
    /// The current time as whole Unix seconds (what every stored timestamp uses).
    public func unixNow() -> Int64 { Int64(now().timeIntervalSince1970.rounded(.down)) }
}

/// The wall clock.
public struct SystemClock: SesameClock {
    public init() {}
    public func now() -> Date { Date() }
}

/// A clock that only moves when told to. For tests of expiry, grace windows and lockouts.
///
/// ```swift
/// let clock = ManualClock(unixSeconds: 1_700_000_000)
/// clock.advance(by: 7_201)   // the access token has now expired
/// ```
public final class ManualClock: SesameClock {
    private let current: Mutex<Date>

    /// Creates a clock stopped at `unixSeconds`.
    public init(unixSeconds: Int64 = 1_700_000_000) {
        self.current = Mutex(Date(timeIntervalSince1970: TimeInterval(unixSeconds)))
    }

    public func now() -> Date { current.withLock { $0 } }

    /// Moves the clock forward (or backward, with a negative value) by `seconds`.
    public func advance(by seconds: Int64) {
        current.withLock { $0 = $0.addingTimeInterval(TimeInterval(seconds)) }
    }
}
