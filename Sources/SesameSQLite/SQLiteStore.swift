import Foundation
import GRDB
import SesameCore
import Synchronization

/// The embedded store: one SQLite file in WAL mode with `synchronous=FULL`, so that every
/// acknowledged write survives `kill -9` and power loss.
///
/// Writes go through GRDB's single writer connection, each in one IMMEDIATE transaction;
/// reads run concurrently on the pool's reader connections.
///
/// With a key-encryption key, the private signing keys, the `secrets` table and the domain
/// secrets are sealed at rest (``SecretSealer``); rows written in clear before are sealed when
/// the store opens with a KEK.
///
/// ```swift
/// let store = try SQLiteStore(path: "./sesame-data/sesame.sqlite", kek: try KeyEncryptionKey(contentsOfFile: "/etc/sesame/kek"))
/// ```
public final class SQLiteStore: SesameStore, SealsSecrets {
    /// The GRDB pool; exposed for tests and tools that inspect the file.
    public let pool: DatabasePool
    public let path: String
    /// How many rows in clear were sealed when the store opened with a KEK.
    public let rowsSealedAtOpen: Int
    let sealerBox: Mutex<SecretSealer>
    var sealer: SecretSealer { sealerBox.withLock { $0 } }
    /// Batches concurrent rotations into one commit.
    let rotations: RotationGroupCommit
    /// Runs the hot point reads on the calling thread (``InlineReaders``).
    let inline: InlineReaders
    /// Copies the WAL into the database file off the writer (``WALCheckpointer``).
    let checkpointer: WALCheckpointer

    /// Opens (creating if needed) the database at `path`, and runs pending migrations.
    ///
    /// - Parameters:
    ///   - path: the SQLite file; its directory is created when missing.
    ///   - kek: seals secrets at rest; `nil` writes them in clear.
    /// - Throws: when the file cannot be opened or migrated; ``SesameError/Code/invalidInput``
    ///   when it holds secrets sealed with another KEK than `kek` (or `kek` is `nil`).
    public init(path: String, kek: KeyEncryptionKey? = nil) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            // The store holds password hashes and key material: only its owner may read it.
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        // A new database file is created owner-only; SQLite gives its -wal and -shm files the
        // database file's permissions.
        if !FileManager.default.fileExists(atPath: path) {
            // When this fails, so does the open below (same directory).
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // Statement arguments (hashes, secrets, password hashes) never appear in errors or logs.
        configuration.publicStatementArguments = false
        // Another process (the CLI next to a running server) may hold the write lock briefly.
        configuration.busyMode = .timeout(10)
        let pool = try DatabasePool(path: path, configuration: configuration)
        self.pool = pool
        self.path = path
        let checkpointer = try WALCheckpointer(path: path)
        self.checkpointer = checkpointer
        self.rotations = RotationGroupCommit(pool: pool) { checkpointer.nudge() }
        // FULL makes every commit fsync the WAL, so an acknowledged write survives power loss,
        // not only a crash of the process. It must be set on the writer connection *after*
        // the pool opened it: GRDB's WAL setup sets NORMAL, which loses the last commits on
        // power loss. Only the writer connection commits, and it lives as long as the pool.
        let synchronous = try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // The writer touches a few random pages of the token indexes per rotation: a 16 MiB
            // page cache (instead of 2 MiB) keeps their upper levels and the hot leaves in
            // memory. The writer's own checkpoints run inside a commit, so they are spaced out to
            // 4,000 WAL pages (16 MiB); the background checkpointer (``WALCheckpointer``) copies
            // most of those pages meanwhile, so that the writer's checkpoint has little left. Readers
            // keep SQLite's default cache (memory stays flat whatever the store's size).
            try db.execute(sql: "PRAGMA cache_size = -16384")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 4000")
            // The WAL file keeps the size of the largest transaction it ever held (a migration, a
            // large sweep) unless this limit truncates it when it starts over.
            try db.execute(sql: "PRAGMA journal_size_limit = \(Self.walSizeLimit)")
            return try Int.fetchOne(db, sql: "PRAGMA synchronous")
        }
        guard synchronous == 2 else {
            throw DatabaseError(message: "could not set PRAGMA synchronous = FULL")
        }
        try SQLiteSchema.migrator.migrate(pool)
        // What the WAL holds now — a migration that rewrote a whole table (v4 did), or what a
        // crashed process left — is copied into the database file before the first request,
        // and the WAL truncated: otherwise the first commit's checkpoint would copy it all
        // while every rotation waits. When another process (a server beside this CLI) is using
        // the store, the checkpoint gives up at once instead of waiting for it.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA busy_timeout = 0")
            _ = try? db.checkpoint(.truncate)
            try db.execute(sql: "PRAGMA busy_timeout = 10000")
        }
        // One inline reader per core (the cooperative pool has as many threads), at most 8:
        // each keeps its own page cache (up to 2 MiB), and a read that finds them all busy
        // goes through the pool.
        self.inline = try InlineReaders(path: path, count: min(8, max(2, ProcessInfo.processInfo.activeProcessorCount)))
        let sealer = SecretSealer(kek: kek)
        self.sealerBox = Mutex(sealer)
        let storedIDs = try pool.read { db in
            try String.fetchSet(
                db,
                sql: """
                    SELECT kek_id FROM signing_keys WHERE kek_id IS NOT NULL UNION SELECT kek_id FROM secrets WHERE kek_id IS NOT NULL
                    UNION SELECT secret_kek_id FROM domains WHERE secret_kek_id IS NOT NULL
                    """)
        }
        try sealer.check(storedIDs: storedIDs)
        if kek != nil {
            rowsSealedAtOpen = try pool.write { db in try Self.reseal(db, from: sealer, to: sealer, onlyClear: true) }
        } else {
            rowsSealedAtOpen = 0
        }
    }

    deinit {
        // The pool closes its readers and then the writer, which, being the last connection,
        // checkpoints the WAL and removes it. The inline readers must not outlive it: a
        // read-only connection closing last leaves the whole WAL for the next start to copy.
        inline.close()
        checkpointer.close()
    }

    /// The size, in bytes, the WAL file is truncated to when it starts over (64 MiB).
    public static let walSizeLimit = 64 << 20
}
