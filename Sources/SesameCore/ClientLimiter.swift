import Synchronization

/// Applies ``ClientLimits`` in memory, thread-safely; time comes from the injected clock.
///
/// Memory is bounded: at most ``maxTracked`` windows are kept; past that, ended windows are
/// dropped first, then the oldest ones.
public final class ClientLimiter: Sendable {
    public enum Kind: UInt8, Sendable {
        case loginFailure
        case refresh
    }

    struct Key: Hashable {
        let kind: Kind
        /// 4 bytes (IPv4) or the first 8 of an IPv6 address.
        let client: [UInt8]
    }

    struct Window {
        var start: Int64
        var count: Int
    }

    public let limits: ClientLimits
    let clock: any SesameClock
    let windows = Mutex<[Key: Window]>([:])
    /// The most windows kept at once.
    public let maxTracked: Int

    public init(limits: ClientLimits, clock: any SesameClock, maxTracked: Int = 100_000) {
        self.limits = limits
        self.clock = clock
        self.maxTracked = maxTracked
    }

    /// Throws ``SesameError/Code/rateLimited`` (with `retryAfter`) when `client` has used up its
    /// failed logins. `nil` (no known address) and exempt addresses always pass.
    public func admitLogin(from client: String?) throws {
        guard limits.loginFailures > 0, let key = key(.loginFailure, client) else { return }
        let now = clock.unixNow()
        let retry: Int64? = windows.withLock { table in
            guard let w = table[key], now < w.start + limits.loginWindow, w.count >= limits.loginFailures else { return nil }
            return w.start + limits.loginWindow - now
        }
        if let retry { throw SesameError(.rateLimited, "too many failed logins from this address", retryAfter: retry) }
    }

    /// Counts a failed login of `client`.
    public func recordLoginFailure(from client: String?) {
        guard limits.loginFailures > 0, let key = key(.loginFailure, client) else { return }
        _ = count(key, window: limits.loginWindow, limit: Int.max)
    }

    /// Counts a refresh of `client`, or throws ``SesameError/Code/rateLimited`` (counting
    /// nothing) when its window is used up.
    public func admitRefresh(from client: String?) throws {
        guard limits.refreshes > 0, let key = key(.refresh, client) else { return }
        if let retry = count(key, window: limits.refreshWindow, limit: limits.refreshes) {
            throw SesameError(.rateLimited, "too many refreshes from this address", retryAfter: retry)
        }
    }

    /// The number of windows kept (for tests and metrics).
    public var trackedCount: Int { windows.withLock { $0.count } }

    /// Adds one to `key`'s window unless it already holds `limit`; returns the seconds until
    /// the window ends when refused.
    func count(_ key: Key, window: Int64, limit: Int) -> Int64? {
        let now = clock.unixNow()
        return windows.withLock { table -> Int64? in
            var w = table[key] ?? Window(start: now, count: 0)
            if now >= w.start + window { w = Window(start: now, count: 0) }
            if w.count >= limit { return w.start + window - now }
            w.count += 1
            if table[key] == nil, table.count >= maxTracked { evict(&table, now: now) }
            table[key] = w
            return nil
        }
    }

    func evict(_ table: inout [Key: Window], now: Int64) {
        let longest = max(limits.loginWindow, limits.refreshWindow)
        table = table.filter { now < $0.value.start + longest }
        if table.count >= maxTracked {
            let keep = table.sorted { $0.value.start > $1.value.start }.prefix(maxTracked / 2)
            table = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }

    func key(_ kind: Kind, _ client: String?) -> Key? {
        guard let client, let bytes = IPAddressRange.bytes(of: client) else { return nil }
        if limits.exempt.contains(where: { $0.contains(bytes: bytes) }) { return nil }
        return Key(kind: kind, client: bytes.count == 16 ? Array(bytes[0..<8]) : bytes)
    }
}
