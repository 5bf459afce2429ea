import SesameCore
import SesameSQLite

/// Opens the store a ``DatabaseURL`` names, running migrations.
public enum StoreFactory {
    /// - Throws: ``SesameError`` when the URL names a database this build cannot open.
    public static func open(_ url: DatabaseURL) throws -> any SesameStore {
        switch url {
        case .sqlite(let path):
            return try SQLiteStore(path: path)
        case .postgres:
            throw SesameError(.invalidInput, "PostgreSQL is not supported by this build yet; use sqlite:PATH")
        }
    }
}
