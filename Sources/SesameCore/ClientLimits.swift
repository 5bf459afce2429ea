/// Per-client-address limits on failed logins and on refreshes: a brake on password spraying
/// and token guessing from one address, on top of the per-identifier lockout.
///
/// Counted per process, in fixed windows: an address that reaches `loginFailures` failed
/// logins within `loginWindow` seconds is refused every login until the window ends; one that
/// sends `refreshes` refreshes within `refreshWindow` seconds is refused refreshes until its
/// window ends. A refused request consumes nothing. IPv6 addresses count per /64 (one host's
/// usual allocation), IPv4 per address. Addresses in `exempt` are never limited.
public struct ClientLimits: Sendable, Equatable {
    /// Failed logins per window per address; 0 turns the limit off (`SESAME_IP_LOGIN_FAILURES`).
    public var loginFailures = 30
    /// Seconds (`SESAME_IP_LOGIN_WINDOW`).
    public var loginWindow: Int64 = 600
    /// Refreshes per window per address; 0 turns the limit off (`SESAME_IP_REFRESHES`).
    public var refreshes = 600
    /// Seconds (`SESAME_IP_REFRESH_WINDOW`).
    public var refreshWindow: Int64 = 60
    /// Addresses and blocks never limited (`SESAME_IP_LIMIT_EXEMPT`, comma-separated);
    /// loopback by default, so local tools and benchmarks are not throttled.
    public var exempt: [IPAddressRange] = [try! IPAddressRange(parsing: "127.0.0.0/8"), try! IPAddressRange(parsing: "::1")]

    public init() {}
}
