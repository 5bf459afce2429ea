import SesameCore
import Testing

/// The per-address limits, on an injected clock.
@Suite struct ClientLimiterTests {
    func limiter(_ configure: (inout ClientLimits) -> Void = { _ in }) -> (ClientLimiter, ManualClock) {
        var limits = ClientLimits()
        limits.exempt = []
        configure(&limits)
        let clock = ManualClock()
        return (ClientLimiter(limits: limits, clock: clock), clock)
    }

    @Test func failedLoginsBlockTheAddressUntilTheWindowEnds() throws {
        let (l, clock) = limiter { $0.loginFailures = 3; $0.loginWindow = 600 }
        for _ in 0..<3 {
            try l.admitLogin(from: "203.0.113.7")
            l.recordLoginFailure(from: "203.0.113.7")
        }
        clock.advance(by: 100)
        let error = try #require(throws: SesameError.self) { try l.admitLogin(from: "203.0.113.7") }
        #expect(error.code == .rateLimited && error.retryAfter == 500)
        try l.admitLogin(from: "203.0.113.8")  // another address is not affected
        clock.advance(by: 500)
        try l.admitLogin(from: "203.0.113.7")  // the window ended
    }

    @Test func refreshesAreCountedAndARefusalCountsNothing() throws {
        let (l, clock) = limiter { $0.refreshes = 5; $0.refreshWindow = 60 }
        for _ in 0..<5 { try l.admitRefresh(from: "198.51.100.1") }
        for _ in 0..<3 {
            #expect(throws: SesameError(.rateLimited, "")) { try l.admitRefresh(from: "198.51.100.1") }
        }
        clock.advance(by: 60)
        for _ in 0..<5 { try l.admitRefresh(from: "198.51.100.1") }
        #expect(throws: SesameError(.rateLimited, "")) { try l.admitRefresh(from: "198.51.100.1") }
    }

    @Test func ipv6CountsPerSlash64AndMappedIPv4AsIPv4() throws {
        let (l, _) = limiter { $0.refreshes = 2 }
        try l.admitRefresh(from: "2001:db8:1:2::1")
        try l.admitRefresh(from: "2001:db8:1:2:ffff::9")  // same /64
        #expect(throws: SesameError(.rateLimited, "")) { try l.admitRefresh(from: "2001:db8:1:2::abcd") }
        try l.admitRefresh(from: "2001:db8:1:3::1")  // another /64
        try l.admitRefresh(from: "192.0.2.1")
        try l.admitRefresh(from: "::ffff:192.0.2.1")
        #expect(throws: SesameError(.rateLimited, "")) { try l.admitRefresh(from: "192.0.2.1") }
    }

    @Test func exemptAddressesUnknownAddressesAndZeroLimitsAreNeverLimited() throws {
        var defaults = ClientLimits()
        defaults.refreshes = 1
        let l = ClientLimiter(limits: defaults, clock: ManualClock())
        for _ in 0..<10 {
            try l.admitRefresh(from: "127.0.0.1")  // loopback is exempt by default
            try l.admitRefresh(from: "::1")
            try l.admitRefresh(from: nil)
            try l.admitRefresh(from: "not an address")
        }
        let (off, _) = limiter { $0.refreshes = 0; $0.loginFailures = 0 }
        for _ in 0..<10 {
            try off.admitRefresh(from: "192.0.2.9")
            off.recordLoginFailure(from: "192.0.2.9")
            try off.admitLogin(from: "192.0.2.9")
        }
        #expect(off.trackedCount == 0)
    }

    @Test func memoryStaysBounded() throws {
        var limits = ClientLimits()
        limits.exempt = []
        let l = ClientLimiter(limits: limits, clock: ManualClock(), maxTracked: 1_000)
        for i in 0..<5_000 { try l.admitRefresh(from: "10.\(i / 65_536).\(i / 256 % 256).\(i % 256)") }
        #expect(l.trackedCount <= 1_000)
    }

    @Test(arguments: [
        ("10.0.0.0/8", "10.200.3.4", true), ("10.0.0.0/8", "11.0.0.1", false), ("192.0.2.7", "192.0.2.7", true),
        ("192.0.2.7", "192.0.2.8", false), ("::1", "::1", true), ("2001:db8::/32", "2001:db8:ffff::1", true),
        ("2001:db8::/32", "2001:db9::1", false), ("0.0.0.0/0", "8.8.8.8", true), ("10.0.0.0/8", "::1", false),
        ("192.0.2.0/24", "::ffff:192.0.2.55", true),
    ])
    func addressRangesMatch(range: String, address: String, expected: Bool) throws {
        #expect(try IPAddressRange(parsing: range).contains(address) == expected)
    }

    @Test(arguments: ["", "10.0.0.0/33", "::1/129", "10.0.0", "example.com", "10.0.0.0/x", "1.2.3.4/8/8"])
    func malformedRangesAreRefused(text: String) {
        #expect(throws: SesameError(.invalidInput, "")) { try IPAddressRange(parsing: text) }
    }

    @Test func theEnvironmentConfiguresTheLimits() throws {
        let c = try SesameConfiguration().overlaid(with: [
            "SESAME_IP_LOGIN_FAILURES": "7", "SESAME_IP_LOGIN_WINDOW": "60", "SESAME_IP_REFRESHES": "0",
            "SESAME_IP_REFRESH_WINDOW": "30", "SESAME_IP_LIMIT_EXEMPT": "10.0.0.0/8, ::1",
        ])
        #expect(c.clientLimits.loginFailures == 7 && c.clientLimits.loginWindow == 60)
        #expect(c.clientLimits.refreshes == 0 && c.clientLimits.refreshWindow == 30)
        #expect(c.clientLimits.exempt.map(\.description) == ["10.0.0.0/8", "0:0:0:0:0:0:0:1"])
        #expect(throws: SesameError(.invalidInput, "")) {
            try SesameConfiguration().overlaid(with: ["SESAME_IP_LIMIT_EXEMPT": "10.0.0.0/8,bogus"])
        }
    }
}
