import Foundation
import Logging
import SesameCore
import SesamePostgres
import SesameTestSupport
import Testing

/// At `trace`, PostgresNIO logs every backend message, data rows included, as hex. The secrets
/// campaign (Campaigns/leaks.py) found the successor key whole, and the tails of domain
/// secrets, in a `SESAME_LOG_LEVEL=trace` log on PostgreSQL. The store never lets PostgresNIO
/// log below `debug`.
@Suite(.enabled(if: PostgresTestDatabase.url != nil, Comment(rawValue: PostgresTestDatabase.skipReason)))
struct PostgresLogSecrecyTests {
    @Test func storedSecretsNeverReachATraceLevelLog() async throws {
        let capture = LogCapture()
        let url = try PostgresTestDatabase.freshSchemaURL()
        let store = try PostgresStore(url: PostgresConnectionURL(parsing: url), poolSize: 2, logger: capture.logger(level: .trace))
        let runner = Task { await store.run() }
        defer { runner.cancel() }
        try await store.prepare(waitingUpTo: .seconds(10))

        let key = try await store.secret(named: "successor-key") { (0..<32).map { _ in UInt8.random(in: 0...255) } }
        let domainSecret = "S" + UUID().uuidString + UUID().uuidString
        _ = try await store.createDomain(name: "leaky", secret: domainSecret, at: 1)
        let domain = try #require(try await store.domain(named: "leaky"))
        #expect(domain.secret == domainSecret)

        let lines = capture.all
        #expect(!lines.isEmpty, "the pool logs its connections at debug")
        for secret in [key, Array(domainSecret.utf8)] {
            for fragment in Self.hexFragments(of: secret) + [domainSecret] {
                #expect(!lines.contains { $0.contains(fragment) }, "a stored secret reached the log: \(fragment)")
            }
        }
    }

    /// Lower-case hex of every 8-byte window of `bytes`: PostgresNIO prints the first and last
    /// 32 bytes of a longer row, so a secret can appear in part.
    static func hexFragments(of bytes: [UInt8]) -> [String] {
        let hex = bytes.map { String(format: "%02x", $0) }
        return (0...(hex.count - 8)).map { hex[$0..<($0 + 8)].joined() }
    }
}
