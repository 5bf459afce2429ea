import Foundation
import GRDB
import SesameCore
import Synchronization

// Secrets, signing keys and the key-encryption key: sealing at rest, `reseal`.
extension SQLiteStore {
    /// Rewrites every secret row `to` seals; rows in clear only when `onlyClear`.
    static func reseal(_ db: Database, from: SecretSealer, to: SecretSealer, onlyClear: Bool) throws -> Int {
        var count = 0
        /// One text column of `table`, row by row; `table/key` is each row's sealing context.
        func resealText(_ table: String, key: String, column: String, kekColumn: String) throws {
            let filter = onlyClear ? " WHERE \(kekColumn) IS NULL" : ""
            for row in try Row.fetchAll(db, sql: "SELECT \(key), \(column), \(kekColumn) FROM \(table)" + filter) {
                let name: String = row[0]
                let context = "\(table)/\(name)"
                let clear = try from.open(text: row[1], kekID: row[2], context: context)
                let (stored, id) = try to.seal(text: clear, context: context)
                try db.execute(
                    sql: "UPDATE \(table) SET \(column) = ?, \(kekColumn) = ? WHERE \(key) = ?", arguments: [stored, id, name])
                count += 1
            }
        }
        try resealText("signing_keys", key: "kid", column: "private_key_pem", kekColumn: "kek_id")
        try resealText("domains", key: "name", column: "secret", kekColumn: "secret_kek_id")
        // The secrets table holds bytes, not text.
        for row in try Row.fetchAll(db, sql: "SELECT name, value, kek_id FROM secrets" + (onlyClear ? " WHERE kek_id IS NULL" : "")) {
            let name: String = row["name"]
            let context = "secrets/\(name)"
            let value: Data = row["value"]
            let clear = try from.open(Array(value), kekID: row["kek_id"], context: context)
            let (stored, id) = try to.seal(clear, context: context)
            try db.execute(sql: "UPDATE secrets SET value = ?, kek_id = ? WHERE name = ?", arguments: [Data(stored), id, name])
            count += 1
        }
        return count
    }

    public func reseal(with newKEK: KeyEncryptionKey) async throws -> Int {
        let from = sealer
        let to = SecretSealer(kek: newKEK)
        let count = try await pool.write { db in try Self.reseal(db, from: from, to: to, onlyClear: false) }
        sealerBox.withLock { $0 = to }
        return count
    }

    // MARK: Bootstrap

    public func ping() async throws {
        _ = try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }
    }

    public func secret(named name: String, orCreate make: @Sendable () -> [UInt8]) async throws -> [UInt8] {
        let sealer = self.sealer
        let context = "secrets/\(name)"
        let fresh = try sealer.seal(make(), context: context)
        return try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO secrets (name, value, kek_id) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                arguments: [name, Data(fresh.stored), fresh.kekID])
            guard let row = try Row.fetchOne(db, sql: "SELECT value, kek_id FROM secrets WHERE name = ?", arguments: [name]) else {
                throw SesameError(.notFound, "secret \(name) vanished")
            }
            let value: Data = row["value"]
            return try sealer.open(Array(value), kekID: row["kek_id"], context: context)
        }
    }

    public func signingKeys() async throws -> [SigningKeyRecord] {
        let sealer = self.sealer
        return try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM signing_keys ORDER BY created_at DESC, kid").map { row in
                let kid: String = row["kid"]
                return SigningKeyRecord(
                    kid: kid, algorithm: row["algorithm"],
                    privateKeyPEM: try sealer.open(text: row["private_key_pem"], kekID: row["kek_id"], context: "signing_keys/\(kid)"),
                    createdAt: row["created_at"], retiredAt: row["retired_at"])
            }
        }
    }

    public func insertSigningKeyIfNoneActive(_ key: SigningKeyRecord) async throws {
        let sealed = try sealer.seal(text: key.privateKeyPEM, context: "signing_keys/\(key.kid)")
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO signing_keys (kid, algorithm, private_key_pem, created_at, retired_at, kek_id)
                    SELECT ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE retired_at IS NULL)
                    """,
                arguments: [key.kid, key.algorithm, sealed.stored, key.createdAt, key.retiredAt, sealed.kekID])
        }
    }

    public func rotateSigningKey(to key: SigningKeyRecord, at now: Int64) async throws -> [String] {
        let sealed = try sealer.seal(text: key.privateKeyPEM, context: "signing_keys/\(key.kid)")
        return try await pool.write { db in
            let retired = try String.fetchAll(db, sql: "SELECT kid FROM signing_keys WHERE retired_at IS NULL ORDER BY kid")
            try db.execute(sql: "UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL", arguments: [now])
            try db.execute(
                sql: "INSERT INTO signing_keys (kid, algorithm, private_key_pem, created_at, retired_at, kek_id) VALUES (?, ?, ?, ?, NULL, ?)",
                arguments: [key.kid, key.algorithm, sealed.stored, key.createdAt, sealed.kekID])
            return retired
        }
    }

    public func retireSigningKey(kid: String, at now: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE signing_keys SET retired_at = ? WHERE kid = ? AND retired_at IS NULL", arguments: [now, kid])
            return db.changesCount == 1
        }
    }
}
