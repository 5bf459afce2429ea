import Foundation

/// The databases the store tests run against. Parameterise a test with
/// `@Test(arguments: StoreKind.available)`: PostgreSQL is included when
/// `SESAME_TEST_POSTGRES_URL` names a server (CI always sets it), and ``PostgresAvailabilityTests``
/// reports, as a skipped test with the reason, when it is not.
public enum StoreKind: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite
    case postgres

    /// SQLite always; PostgreSQL when the test server is configured.
    public static var available: [StoreKind] {
        PostgresTestDatabase.url == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    public var description: String { rawValue }
}
