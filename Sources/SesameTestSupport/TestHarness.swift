import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SesameCore
import SesameHTTP
import SesamePostgres
import SesameSQLite
import SesameServer
import SesameTelemetry

/// A token core on a real store — a SQLite file in a fresh temporary directory, or a fresh
/// schema on the PostgreSQL test server — with a manual clock, bcrypt at cost 4 (fast), and one
/// domain with one user. Every test builds its own.
///
/// ```swift
/// let h = try await TestHarness.make(store: .postgres)
/// let pair = try await h.service.login(domain: h.domain, identifier: .email(h.email), password: h.password, dialect: .enduser)
/// ```
public struct TestHarness: Sendable {
    public let directory: URL
    public let store: any SesameStore
    /// Which database ``store`` is.
    public let kind: StoreKind
    /// The SQLite store, for SQLite-only checks; `nil` on PostgreSQL.
    public let sqlite: SQLiteStore?
    /// The PostgreSQL fixture (its URL names the test's schema); `nil` on SQLite.
    public let postgres: PostgresTestStore?
    /// Raw SQL on whichever database ``store`` is.
    public let probe: SQLProbe
    public let clock: ManualClock
    public let service: TokenService
    /// The Prometheus registry the service and the router record into.
    public let telemetry: Telemetry
    public let domain: UserDomain
    public let user: User
    public let email = "alice@example.com"
    public let phone = "17132136550"
    public let username = "alice"
    public let password = "secret-pass1"
    public static let domainSecret = "57Fk69oYgbs2aWWN362NtZwYB2RqKNqQ7yZESnF5VM22"
    public static let issuer = "http://sesame.test"

    /// - Parameters:
    ///   - domainName: the seeded domain's name (default `default`, which is also the kanfang domain).
    ///   - configure: adjusts the configuration before the core starts.
    ///   - kind: the database; ``StoreKind/postgres`` needs `SESAME_TEST_POSTGRES_URL`.
    ///   - kek: seals the store's secrets at rest.
    public static func make(
        store kind: StoreKind = .sqlite, domainName: String = "default", logger: Logger? = nil, kek: KeyEncryptionKey? = nil,
        configure: (inout SesameConfiguration) -> Void = { _ in }
    ) async throws -> TestHarness {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sesame-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var configuration = SesameConfiguration()
        configuration.bcryptCost = 4
        configure(&configuration)
        switch kind {
        case .sqlite:
            let store = try SQLiteStore(path: directory.appendingPathComponent("sesame.sqlite").path, kek: kek)
            return try await make(directory: directory, store: store, configuration: configuration, domainName: domainName, logger: logger)
        case .postgres:
            let fixture = try await PostgresTestDatabase.openStore(kek: kek)
            return try await make(
                directory: directory, backend: .postgres(fixture), configuration: configuration, domainName: domainName,
                clock: ManualClock(), logger: logger)
        }
    }

    /// A harness over an existing SQLite store (for restart tests): seeds only when the domain is new.
    public static func make(
        directory: URL, store: SQLiteStore, configuration: SesameConfiguration, domainName: String = "default",
        clock: ManualClock = ManualClock(), logger: Logger? = nil
    ) async throws -> TestHarness {
        try await make(
            directory: directory, backend: .sqlite(store), configuration: configuration, domainName: domainName, clock: clock,
            logger: logger)
    }

    /// A harness over an existing PostgreSQL fixture (for restart tests): seeds only when the domain is new.
    public static func make(
        directory: URL, postgres: PostgresTestStore, configuration: SesameConfiguration, domainName: String = "default",
        clock: ManualClock = ManualClock(), logger: Logger? = nil
    ) async throws -> TestHarness {
        try await make(
            directory: directory, backend: .postgres(postgres), configuration: configuration, domainName: domainName, clock: clock,
            logger: logger)
    }

    enum Backend {
        case sqlite(SQLiteStore)
        case postgres(PostgresTestStore)
    }

    static func make(
        directory: URL, backend: Backend, configuration: SesameConfiguration, domainName: String,
        clock: ManualClock, logger: Logger?
    ) async throws -> TestHarness {
        let store: any SesameStore
        let probe: SQLProbe
        let kind: StoreKind
        var sqlite: SQLiteStore?
        var postgres: PostgresTestStore?
        switch backend {
        case .sqlite(let s):
            (store, probe, kind, sqlite) = (s, SQLProbe(backend: .sqlite(s)), .sqlite, s)
        case .postgres(let fixture):
            (store, probe, kind, postgres) = (fixture.store, SQLProbe(backend: .postgres(fixture.store)), .postgres, fixture)
        }
        let logger = logger ?? {
            var quiet = Logger(label: "sesame-test")
            quiet.logLevel = .critical
            return quiet
        }()
        let telemetry = Telemetry()
        let service = try await TokenService.start(
            store: MeasuredStore(store, metrics: telemetry.metrics), configuration: configuration, issuer: issuer, clock: clock,
            logger: logger, metrics: telemetry.metrics)
        let admin = Administration(store: store, clock: clock, hasher: service.hasher)
        let domain: UserDomain
        let user: User
        if let existing = try await store.domain(named: domainName),
            let existingUser = try await store.findUser(domainID: existing.id, identifier: .username("alice"))
        {
            domain = existing
            user = existingUser
        } else {
            domain = try await admin.addDomain(name: domainName, secret: domainSecret)
            user = try await admin.addUser(
                .init(
                    domain: domainName, email: "alice@example.com", phone: "17132136550", username: "alice",
                    nickname: "Alice", password: "secret-pass1"))
        }
        return TestHarness(
            directory: directory, store: store, kind: kind, sqlite: sqlite, postgres: postgres, probe: probe, clock: clock,
            service: service, telemetry: telemetry, domain: domain, user: user)
    }

    /// The full router, for `app.test(.router)`.
    public func router(limits: HTTPLimits = HTTPLimits()) -> Router<SesameRequestContext> {
        SesameApplication.router(service: service, limits: limits, telemetry: telemetry)
    }

    /// An application on a free loopback port, for `app.test(.live)`.
    public func application() -> some ApplicationProtocol {
        var settings = ServerSettings()
        settings.port = 0
        settings.core = service.configuration
        return SesameApplication.make(service: service, settings: settings, telemetry: telemetry)
    }

    /// Another user in the harness's domain.
    public func addUser(email: String? = nil, phone: String? = nil, username: String? = nil, password: String) async throws -> User {
        try await Administration(store: store, clock: clock, hasher: service.hasher).addUser(
            .init(domain: domain.name, email: email, phone: phone, username: username, password: password))
    }

    /// Logs alice in through `dialect` directly on the core.
    public func login(_ dialect: Dialect = .enduser) async throws -> TokenPair {
        try await service.login(domain: domain, identifier: .email(email), password: password, dialect: dialect)
    }

    /// Removes the temporary directory and stops a PostgreSQL pool.
    public func cleanUp() {
        try? FileManager.default.removeItem(at: directory)
        postgres?.close()
    }
}
