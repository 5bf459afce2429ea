import Foundation
import SesameCore
import SesameSQLite
import SesameTestSupport
import Testing

@Suite struct DurabilityTests {
    /// Every acknowledged token is still valid after the store is closed and reopened on the
    /// same database (signing key and successor key included).
    @Test(arguments: StoreKind.available) func acknowledgedTokensSurviveARestartOfTheStore(store: StoreKind) async throws {
        var pairs: [TokenPair] = []
        var configuration = SesameConfiguration()
        configuration.bcryptCost = 4
        let first = try await TestHarness.make(store: store)
        for i in 0..<20 {
            let pair = try await first.login()
            pairs.append(i.isMultiple(of: 2) ? try await first.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser) : pair)
        }
        let h: TestHarness
        switch store {
        case .sqlite:
            let sqlite = try #require(first.sqlite)
            let reopened = try SQLiteStore(path: sqlite.path)
            #expect(try await reopened.integrityCheck() == "ok")
            h = try await TestHarness.make(directory: first.directory, store: reopened, configuration: configuration)
        case .postgres:
            let url = try #require(first.postgres).url
            first.postgres?.close()
            let reopened = try await PostgresTestDatabase.openStore(url: url)
            h = try await TestHarness.make(directory: first.directory, postgres: reopened, configuration: configuration)
        }
        defer {
            first.cleanUp()
            h.cleanUp()
        }
        for pair in pairs {
            #expect(try await h.service.authenticate(accessToken: pair.accessToken, dialect: .enduser).session.id == pair.session.id)
            _ = try await h.service.refresh(.refreshToken(pair.refreshToken), dialect: .enduser)
        }
    }
}
