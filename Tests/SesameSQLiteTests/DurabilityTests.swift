import Foundation
import SesameCore
import SesameSQLite
import SesameTestSupport
import Testing

@Suite struct DurabilityTests {
    /// Every acknowledged token is still valid after the store is closed and reopened on the
    /// same file (signing key and successor key included).
    @Test func acknowledgedTokensSurviveARestartOfTheStore() async throws {
        let directory: URL
        let path: String
        var pairs: [TokenPair] = []
        let clock = ManualClock()
        var configuration = SesameConfiguration()
        configuration.bcryptCost = 4
        do {
            let h = try await TestHarness.make(configure: { $0.bcryptCost = 4 })
            directory = h.directory
            path = h.store.path
            for i in 0..<20 {
                let pair = try await h.login()
                pairs.append(i.isMultiple(of: 2) ? try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser) : pair)
            }
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        let reopened = try SQLiteStore(path: path)
        #expect(try await reopened.integrityCheck() == "ok")
        let h = try await TestHarness.make(directory: directory, store: reopened, configuration: configuration, clock: clock)
        for pair in pairs {
            #expect(try await h.service.authenticate(accessToken: pair.accessToken, dialect: .enduser).session.id == pair.session.id)
            _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        }
    }
}
