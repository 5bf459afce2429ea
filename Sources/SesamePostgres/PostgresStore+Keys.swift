import Foundation
import Logging
import PostgresNIO
import SesameCore
import Synchronization

// Secrets, signing keys and the key-encryption key: sealing at rest, `reseal`.
extension PostgresStore {
    /// Refuses a store sealed with another KEK (or with one, when none is given), and seals the
    /// rows still in clear when a KEK is given.
    func checkSealing() async throws {
        let sealer = self.sealer
        let ids = try await rows(
            """
            SELECT kek_id FROM signing_keys WHERE kek_id IS NOT NULL UNION SELECT kek_id FROM secrets WHERE kek_id IS NOT NULL
            UNION SELECT secret_kek_id FROM domains WHERE secret_kek_id IS NOT NULL
            """
        ).map { try $0[0].decode(String.self) }
        try sealer.check(storedIDs: Set(ids))
        guard sealer.kek != nil else { return }
        let count = try await transaction { connection in
            try await self.reseal(connection, from: sealer, to: sealer, onlyClear: true)
        }
        sealedAtOpen.withLock { $0 = count }
    }

    /// Rewrites every secret row `to` seals; rows in clear only when `onlyClear`.
    func reseal(_ connection: PostgresConnection, from: SecretSealer, to: SecretSealer, onlyClear: Bool) async throws -> Int {
        // Keeps processes starting together from sealing the same rows twice.
        let lockName = "sesame-seal:" + (url.schema ?? "public")
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockName)))", logger: logger)
        var count = 0
        /// One text column of `table`, row by row; `table/key` is each row's sealing context.
        func resealText(_ table: String, key: String, column: String, kekColumn: String) async throws {
            let filter = onlyClear ? " WHERE \(kekColumn) IS NULL" : ""
            let select: PostgresQuery =
                "SELECT \(unescaped: key), \(unescaped: column), \(unescaped: kekColumn) FROM \(unescaped: table)\(unescaped: filter) FOR UPDATE"
            for row in try await rows(connection, select) {
                let name = try row[key].decode(String.self)
                let context = "\(table)/\(name)"
                let clear = try from.open(
                    text: try row[column].decode(String.self), kekID: try row[kekColumn].decode(String?.self), context: context)
                let (stored, id) = try to.seal(text: clear, context: context)
                try await connection.query(
                    "UPDATE \(unescaped: table) SET \(unescaped: column) = \(stored), \(unescaped: kekColumn) = \(id) WHERE \(unescaped: key) = \(name)",
                    logger: logger)
                count += 1
            }
        }
        try await resealText("signing_keys", key: "kid", column: "private_key_pem", kekColumn: "kek_id")
        try await resealText("domains", key: "name", column: "secret", kekColumn: "secret_kek_id")
        // The secrets table holds bytes, not text.
        let filter = onlyClear ? " WHERE kek_id IS NULL" : ""
        for row in try await rows(connection, "SELECT name, value, kek_id FROM secrets\(unescaped: filter) FOR UPDATE") {
            let name = try row["name"].decode(String.self)
            let context = "secrets/\(name)"
            let clear = try from.open(
                Array(try row["value"].decode(Data.self)), kekID: try row["kek_id"].decode(String?.self), context: context)
            let (stored, id) = try to.seal(clear, context: context)
            try await connection.query("UPDATE secrets SET value = \(Data(stored)), kek_id = \(id) WHERE name = \(name)", logger: logger)
            count += 1
        }
        return count
    }

    public func reseal(with newKEK: KeyEncryptionKey) async throws -> Int {
        let from = sealer
        let to = SecretSealer(kek: newKEK)
        let count = try await transaction { connection in try await self.reseal(connection, from: from, to: to, onlyClear: false) }
        sealerBox.withLock { $0 = to }
        return count
    }

    // MARK: Bootstrap

    /// How long `/health` waits for the database before calling it unreachable.
    public static let pingTimeout = Duration.seconds(3)

    public func ping() async throws {
        try await withDeadline(Self.pingTimeout) { try await self.client.query("SELECT 1", logger: self.logger).collect() }
    }

    public func secret(named name: String, orCreate make: @Sendable () -> [UInt8]) async throws -> [UInt8] {
        let sealer = self.sealer
        let context = "secrets/\(name)"
        let (fresh, freshID) = try sealer.seal(make(), context: context)
        return try await transaction { connection in
            try await connection.query(
                "INSERT INTO secrets (name, value, kek_id) VALUES (\(name), \(Data(fresh)), \(freshID)) ON CONFLICT (name) DO NOTHING",
                logger: self.logger)
            guard let stored = try await self.rows(connection, "SELECT value, kek_id FROM secrets WHERE name = \(name)").first else {
                throw SesameError(.notFound, "secret \(name) vanished")
            }
            return try sealer.open(
                Array(try stored["value"].decode(Data.self)), kekID: try stored["kek_id"].decode(String?.self), context: context)
        }
    }

    public func signingKeys() async throws -> [SigningKeyRecord] {
        let sealer = self.sealer
        return try await rows("SELECT * FROM signing_keys ORDER BY created_at DESC, kid").map { row in
            let kid = try row["kid"].decode(String.self)
            return SigningKeyRecord(
                kid: kid, algorithm: try row["algorithm"].decode(String.self),
                privateKeyPEM: try sealer.open(
                    text: try row["private_key_pem"].decode(String.self), kekID: try row["kek_id"].decode(String?.self),
                    context: "signing_keys/\(kid)"),
                createdAt: try row["created_at"].decode(Int64.self), retiredAt: try row["retired_at"].decode(Int64?.self))
        }
    }

    public func insertSigningKeyIfNoneActive(_ key: SigningKeyRecord) async throws {
        let (pem, kekID) = try sealer.seal(text: key.privateKeyPEM, context: "signing_keys/\(key.kid)")
        try await transaction { connection in
            // Processes starting together must not each add a key.
            let lockName = "sesame-signing-keys:" + (self.url.schema ?? "public")
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockName)))", logger: self.logger)
            try await connection.query(
                """
                INSERT INTO signing_keys (kid, algorithm, private_key_pem, created_at, retired_at, kek_id)
                SELECT \(key.kid), \(key.algorithm), \(pem), \(key.createdAt), \(key.retiredAt), \(kekID)
                WHERE NOT EXISTS (SELECT 1 FROM signing_keys WHERE retired_at IS NULL)
                """, logger: self.logger)
        }
    }

    public func rotateSigningKey(to key: SigningKeyRecord, at now: Int64) async throws -> [String] {
        let (pem, kekID) = try sealer.seal(text: key.privateKeyPEM, context: "signing_keys/\(key.kid)")
        return try await transaction { connection in
            let lockName = "sesame-signing-keys:" + (self.url.schema ?? "public")
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockName)))", logger: self.logger)
            let retired = try await self.rows(
                connection, "UPDATE signing_keys SET retired_at = \(now) WHERE retired_at IS NULL RETURNING kid"
            ).map { try $0["kid"].decode(String.self) }.sorted()
            try await connection.query(
                """
                INSERT INTO signing_keys (kid, algorithm, private_key_pem, created_at, retired_at, kek_id)
                VALUES (\(key.kid), \(key.algorithm), \(pem), \(key.createdAt), NULL, \(kekID))
                """, logger: self.logger)
            return retired
        }
    }

    public func retireSigningKey(kid: String, at now: Int64) async throws -> Bool {
        try await transaction { connection in
            try await self.rows(
                connection, "UPDATE signing_keys SET retired_at = \(now) WHERE kid = \(kid) AND retired_at IS NULL RETURNING kid"
            ).count == 1
        }
    }
}
