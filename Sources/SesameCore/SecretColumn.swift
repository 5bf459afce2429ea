/// A column that holds a secret, sealed with the key-encryption key when the store has one
/// (``SecretSealer``). The list of them, and the sealing context of each row, live here so that
/// every store seals, opens and reseals the same columns the same way.
public struct SecretColumn: Sendable, Equatable {
    /// The table.
    public var table: String
    /// The column naming the row (its primary key); its value is part of the sealing context.
    public var key: String
    /// The column holding the secret.
    public var column: String
    /// The column holding the id of the KEK that sealed it; NULL while in clear.
    public var kekColumn: String
    /// Whether the column holds bytes (`BLOB`/`BYTEA`) rather than text.
    public var holdsBytes: Bool

    /// The sealing context of the row `name`: `table/name`, so that a sealed value moved to
    /// another row or table no longer opens.
    public func context(_ name: String) -> String { "\(table)/\(name)" }

    /// Private signing keys (PEM).
    public static let signingKeys = SecretColumn(
        table: "signing_keys", key: "kid", column: "private_key_pem", kekColumn: "kek_id", holdsBytes: false)
    /// Domain secrets.
    public static let domains = SecretColumn(table: "domains", key: "name", column: "secret", kekColumn: "secret_kek_id", holdsBytes: false)
    /// The `secrets` table (bytes).
    public static let secrets = SecretColumn(table: "secrets", key: "name", column: "value", kekColumn: "kek_id", holdsBytes: true)

    /// Every secret column, in the order a reseal rewrites them.
    public static let all: [SecretColumn] = [.signingKeys, .domains, .secrets]
}

/// A secret cell as a store reads or writes it.
public enum SecretValue: Sendable, Equatable {
    case text(String)
    case bytes([UInt8])
}

/// Reseals secret cells: opens each with `from` and seals it with `to`.
///
/// ```swift
/// let plan = ResealPlan(from: sealer, to: SecretSealer(kek: newKEK), onlyClear: false)
/// for column in SecretColumn.all {
///     for cell in /* SELECT key, column, kekColumn (WHERE kekColumn IS NULL when plan.onlyClear) */ {
///         let (stored, kekID) = try plan.reseal(cell.value, kekID: cell.kekID, of: column, row: cell.name)
///         // UPDATE ... SET column = stored, kekColumn = kekID WHERE key = name
///     }
/// }
/// ```
public struct ResealPlan: Sendable {
    public var from: SecretSealer
    public var to: SecretSealer
    /// Only the rows in clear (sealing at open with a KEK), not those sealed already.
    public var onlyClear: Bool

    public init(from: SecretSealer, to: SecretSealer, onlyClear: Bool) {
        self.from = from
        self.to = to
        self.onlyClear = onlyClear
    }

    /// `value` of row `name` of `column`, opened with ``from`` and sealed with ``to``.
    /// - Throws: ``SesameError/Code/invalidInput`` when the value does not open with ``from``.
    public func reseal(_ value: SecretValue, kekID: String?, of column: SecretColumn, row name: String) throws -> (
        stored: SecretValue, kekID: String?
    ) {
        let context = column.context(name)
        switch value {
        case .text(let text):
            let (stored, id) = try to.seal(text: try from.open(text: text, kekID: kekID, context: context), context: context)
            return (.text(stored), id)
        case .bytes(let bytes):
            let (stored, id) = try to.seal(try from.open(bytes, kekID: kekID, context: context), context: context)
            return (.bytes(stored), id)
        }
    }
}
