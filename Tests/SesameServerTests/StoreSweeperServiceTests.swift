import Logging
import SesameCore
import SesameSQLite
import SesameServer
import SesameTestSupport
import ServiceLifecycle
import Testing

@Suite struct StoreSweeperServiceTests {
    /// swift-service-lifecycle logs each service's description at debug: the sweeper names
    /// itself, not the token service it holds (the secrets campaign saw the whole service,
    /// configuration and keys' public halves, in a debug log).
    @Test func describesItselfWithoutTheTokenService() async throws {
        let h = try await TestHarness.make()
        defer { h.cleanUp() }
        let sweeper = StoreSweeper(service: h.service, interval: 60, retention: 5)
        #expect(String(describing: sweeper) == "StoreSweeper(interval: 60 s, retention: 5 s)")
        #expect(!"\(sweeper)".contains("TokenService"))
    }

    /// The sweeper sweeps on start and returns normally on graceful shutdown.
    @Test func sweepsThenStopsOnGracefulShutdown() async throws {
        let h = try await TestHarness.make { $0.enduser.refresh = 10 }
        defer { h.cleanUp() }
        _ = try await h.login()
        h.clock.advance(by: 1_000)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let group = ServiceGroup(
            configuration: .init(services: [StoreSweeper(service: h.service, interval: 3_600, retention: 0)], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Wait (bounded) until the first sweep has removed the expired session.
            for _ in 0..<500 where try await h.store.sessions(uid: nil, limit: 10).count > 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await h.store.sessions(uid: nil, limit: 10).isEmpty)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
