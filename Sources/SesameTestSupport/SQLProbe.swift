import Foundation
import GRDB
import Logging
import PostgresNIO
import SesamePostgres
import SesameSQLite

/// A value bound to a `?` placeholder of a ``SQLProbe`` query.
public enum SQLArgument: Sendable {
    case text(String)
    case blob([UInt8])
    case integer(Int64)
}

/// Raw SQL against either store, for tests that check what the database itself holds (no
/// forks, hashes only). Write the SQL once, with `?` placeholders, in the dialect both
/// databases share.
public struct SQLProbe: Sendable {
    enum Backend: Sendable {
        case sqlite(SQLiteStore)
        case postgres(PostgresStore)
    }

    let backend: Backend

    init(backend: Backend) { self.backend = backend }

    /// A probe on a SQLite store.
    public init(_ store: SQLiteStore) { self.backend = .sqlite(store) }
    /// A probe on a PostgreSQL store.
    public init(_ store: PostgresStore) { self.backend = .postgres(store) }

    /// The first column of the first row as an integer (`count(*)` and the like).
    public func integer(_ sql: String, _ arguments: [SQLArgument] = []) async throws -> Int? {
        switch backend {
        case .sqlite(let store):
            return try await store.pool.read { db in try Int.fetchOne(db, sql: sql, arguments: Self.grdb(arguments)) }
        case .postgres(let store):
            return try await Self.rows(store, sql, arguments).first.map { Int(try $0[0].decode(Int64.self)) }
        }
    }

    /// The first column of every row as bytes.
    public func blobs(_ sql: String, _ arguments: [SQLArgument] = []) async throws -> [[UInt8]] {
        switch backend {
        case .sqlite(let store):
            return try await store.pool.read { db in try Data.fetchAll(db, sql: sql, arguments: Self.grdb(arguments)).map { Array($0) } }
        case .postgres(let store):
            return try await Self.rows(store, sql, arguments).map { Array(try $0[0].decode(Data.self)) }
        }
    }

    /// The first column of every row as text.
    public func texts(_ sql: String, _ arguments: [SQLArgument] = []) async throws -> [String] {
        switch backend {
        case .sqlite(let store):
            return try await store.pool.read { db in try String.fetchAll(db, sql: sql, arguments: Self.grdb(arguments)) }
        case .postgres(let store):
            return try await Self.rows(store, sql, arguments).map { try $0[0].decode(String.self) }
        }
    }

    /// Runs a statement that writes; throws the database's own error when a constraint refuses it.
    public func execute(_ sql: String, _ arguments: [SQLArgument] = []) async throws {
        switch backend {
        case .sqlite(let store):
            try await store.pool.write { db in try db.execute(sql: sql, arguments: Self.grdb(arguments)) }
        case .postgres(let store):
            _ = try await Self.rows(store, sql, arguments)
        }
    }

    static func grdb(_ arguments: [SQLArgument]) -> StatementArguments {
        StatementArguments(
            arguments.map { argument -> (any DatabaseValueConvertible)? in
                switch argument {
                case .text(let s): return s
                case .blob(let b): return Data(b)
                case .integer(let i): return i
                }
            })
    }

    /// Runs `sql` with `?` turned into `$1, $2, ...`.
    static func rows(_ store: PostgresStore, _ sql: String, _ arguments: [SQLArgument]) async throws -> [PostgresRandomAccessRow] {
        var numbered = ""
        var index = 0
        for character in sql {
            if character == "?" {
                index += 1
                numbered += "$\(index)"
            } else {
                numbered.append(character)
            }
        }
        var bindings = PostgresBindings()
        for argument in arguments {
            switch argument {
            case .text(let s): bindings.append(s)
            case .blob(let b): try bindings.append(Data(b))
            case .integer(let i): bindings.append(i)
            }
        }
        let query = PostgresQuery(unsafeSQL: numbered, binds: bindings)
        return try await store.withConnection { connection in
            try await connection.query(query, logger: Logger(label: "sesame-test-probe")).collect().map { $0.makeRandomAccess() }
        }
    }
}
