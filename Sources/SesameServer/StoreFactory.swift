import Logging
import SesameCore
import SesamePostgres
import SesameSQLite

/// Opens the store a ``DatabaseURL`` names, runs migrations, and keeps it usable for the
/// duration of a body.
///
/// ```swift
/// try await StoreFactory.withStore(settings.database, options: settings.storeOptions, logger: logger) { store in
///     let service = try await TokenService.start(store: store, ...)
/// }
/// ```
public enum StoreFactory {
    /// How a store is opened.
    public struct Options: Sendable, Equatable {
        /// PostgreSQL: the most connections one process opens.
        public var poolSize: Int
        /// PostgreSQL: how long to wait, retrying, for the server at start.
        public var waitSeconds: Int64

        public init(poolSize: Int = 10, waitSeconds: Int64 = 30) {
            self.poolSize = poolSize
            self.waitSeconds = waitSeconds
        }
    }

    /// Runs `body` with the store `url` names, migrated and ready.
    ///
    /// For PostgreSQL the connection pool runs in a child task for exactly as long as `body`
    /// does (structured: it ends when `body` returns or throws), after waiting up to
    /// ``Options/waitSeconds`` for the server.
    ///
    /// - Throws: ``SesameError`` when the store cannot be opened, reached or migrated.
    /// - Parameter kek: seals secrets at rest (``SecretSealer``); `nil` keeps them in clear. A
    ///   store whose secrets are sealed refuses to open without its KEK.
    public static func withStore<T: Sendable>(
        _ url: DatabaseURL, options: Options = Options(), kek: KeyEncryptionKey? = nil, logger: Logger,
        _ body: (any SesameStore) async throws -> T
    ) async throws -> T {
        switch url {
        case .sqlite(let path):
            return try await body(try SQLiteStore(path: path, kek: kek))
        case .postgres(let text):
            var poolLogger = logger
            poolLogger[metadataKey: "component"] = "postgres"
            let store = try PostgresStore(
                url: PostgresConnectionURL(parsing: text), poolSize: options.poolSize, kek: kek, logger: poolLogger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await store.run() }
                defer { group.cancelAll() }
                try await store.prepare(waitingUpTo: .seconds(options.waitSeconds))
                return try await body(store)
            }
        }
    }
}
