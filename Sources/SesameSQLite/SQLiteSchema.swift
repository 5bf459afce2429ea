import GRDB

/// The versioned schema. Shipped migrations are never edited: a change is a new migration.
///
/// The invariants live here, not in Swift:
/// - domain names, and e-mail / phone / user name within a domain, are UNIQUE;
/// - every user has at least one identifier (CHECK);
/// - a session's user, a token's session, a user's domain exist (foreign keys);
/// - **one current refresh token per session**: a partial UNIQUE index over
///   `refresh_tokens(session_id) WHERE rotated_at IS NULL`, so no interleaving of
///   rotations can ever leave a session with two;
/// - a refresh token's hash is UNIQUE, and its `id` is unique within its session (v4);
/// - `client_id` is UNIQUE, and a client's domain exists (v2).
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-core") { db in
            try db.execute(
                sql: """
                    CREATE TABLE secrets (
                        name TEXT PRIMARY KEY NOT NULL,
                        value BLOB NOT NULL CHECK (length(value) >= 32)
                    ) STRICT;

                    CREATE TABLE signing_keys (
                        kid TEXT PRIMARY KEY NOT NULL,
                        algorithm TEXT NOT NULL CHECK (algorithm IN ('ES256', 'RS256', 'EdDSA')),
                        private_key_pem TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        retired_at INTEGER
                    ) STRICT;

                    CREATE TABLE domains (
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),
                        secret TEXT NOT NULL CHECK (length(secret) >= 16),
                        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
                        created_at INTEGER NOT NULL
                    ) STRICT;

                    CREATE TABLE users (
                        uid TEXT PRIMARY KEY NOT NULL,
                        domain_id INTEGER NOT NULL REFERENCES domains(id),
                        email TEXT,
                        phone TEXT,
                        international_code TEXT,
                        username TEXT,
                        nickname TEXT,
                        password_hash TEXT NOT NULL,
                        enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
                        registered_at INTEGER NOT NULL,
                        last_login_at INTEGER,
                        CHECK (email IS NOT NULL OR phone IS NOT NULL OR username IS NOT NULL),
                        CHECK ((phone IS NULL) = (international_code IS NULL)),
                        UNIQUE (domain_id, email),
                        UNIQUE (domain_id, international_code, phone),
                        UNIQUE (domain_id, username)
                    ) STRICT;
                    CREATE INDEX users_by_phone ON users(domain_id, phone);

                    CREATE TABLE sessions (
                        id TEXT PRIMARY KEY NOT NULL,
                        uid TEXT NOT NULL REFERENCES users(uid),
                        dialect TEXT NOT NULL CHECK (dialect IN ('enduser', 'kanfang', 'oauth')),
                        client_id TEXT,
                        created_at INTEGER NOT NULL,
                        absolute_expires_at INTEGER,
                        revoked_at INTEGER,
                        revoke_reason TEXT,
                        CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL))
                    ) STRICT;
                    CREATE INDEX sessions_by_user ON sessions(uid, created_at);

                    CREATE TABLE refresh_tokens (
                        token_hash BLOB PRIMARY KEY NOT NULL CHECK (length(token_hash) = 32),
                        id TEXT NOT NULL UNIQUE,
                        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                        issued_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        rotated_at INTEGER,
                        successor_hash BLOB CHECK (successor_hash IS NULL OR length(successor_hash) = 32),
                        CHECK ((rotated_at IS NULL) = (successor_hash IS NULL))
                    ) STRICT, WITHOUT ROWID;
                    CREATE UNIQUE INDEX refresh_tokens_one_current ON refresh_tokens(session_id) WHERE rotated_at IS NULL;
                    CREATE INDEX refresh_tokens_by_session ON refresh_tokens(session_id);

                    CREATE TABLE login_failures (
                        domain_id INTEGER NOT NULL REFERENCES domains(id),
                        identifier TEXT NOT NULL,
                        failures INTEGER NOT NULL CHECK (failures >= 0),
                        locked_until INTEGER,
                        updated_at INTEGER NOT NULL,
                        PRIMARY KEY (domain_id, identifier)
                    ) STRICT, WITHOUT ROWID;

                    CREATE TABLE audit_events (
                        id INTEGER PRIMARY KEY,
                        at INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        uid TEXT,
                        session_id TEXT,
                        detail TEXT NOT NULL DEFAULT ''
                    ) STRICT;
                    CREATE INDEX audit_events_by_time ON audit_events(at);
                    """)
        }
        // Registered oauth clients. Sessions name their client by `client_id` text (v1 has no
        // foreign key there, and SQLite cannot add one without rebuilding the table): removing
        // a client revokes its sessions in the same transaction instead.
        migrator.registerMigration("v2-oauth-clients") { db in
            try db.execute(
                sql: """
                    CREATE TABLE clients (
                        client_id TEXT PRIMARY KEY NOT NULL CHECK (length(client_id) BETWEEN 1 AND 128),
                        domain_id INTEGER NOT NULL REFERENCES domains(id),
                        secret_hash TEXT CHECK (secret_hash IS NULL OR length(secret_hash) > 0),
                        created_at INTEGER NOT NULL
                    ) STRICT;
                    CREATE INDEX clients_by_domain ON clients(domain_id);
                    CREATE INDEX sessions_by_client ON sessions(client_id) WHERE client_id IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v3-keys-kek") { db in
            // kek_id: NULL while the value is in clear; else the id of the key-encryption key
            // that sealed it (KeyEncryptionKey.id), the value then being AES-GCM sealed.
            try db.execute(
                sql: """
                    ALTER TABLE signing_keys ADD COLUMN kek_id TEXT;
                    ALTER TABLE secrets ADD COLUMN kek_id TEXT;
                    ALTER TABLE domains ADD COLUMN secret_kek_id TEXT;
                    CREATE INDEX audit_events_by_uid ON audit_events(uid, id);
                    CREATE INDEX audit_events_by_kind ON audit_events(kind, id);
                    """)
        }
        // Refresh tokens clustered by session. v1 kept them in token-hash order, with an index on
        // `id` and one on `session_id`: a rotation updated one random page and inserted into
        // another, and wrote both indexes. Keyed by `(session_id, id)`, a rotation's update and
        // insert land on the same page (its session's), and one index (`token_hash`, for
        // lookups by the presented token) replaces two. `id` becomes unique within its session,
        // which is how every lookup names it (`jti` with `sid`). The table is rebuilt (SQLite
        // cannot change a primary key in place); GRDB defers the foreign-key checks to the end
        // of the migration.
        migrator.registerMigration("v4-tokens-by-session") { db in
            try db.execute(
                sql: """
                    CREATE TABLE refresh_tokens_v4 (
                        session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                        id TEXT NOT NULL,
                        token_hash BLOB NOT NULL CHECK (length(token_hash) = 32),
                        issued_at INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL,
                        rotated_at INTEGER,
                        successor_hash BLOB CHECK (successor_hash IS NULL OR length(successor_hash) = 32),
                        CHECK ((rotated_at IS NULL) = (successor_hash IS NULL)),
                        PRIMARY KEY (session_id, id)
                    ) STRICT, WITHOUT ROWID;
                    INSERT INTO refresh_tokens_v4 (session_id, id, token_hash, issued_at, expires_at, rotated_at, successor_hash)
                    SELECT session_id, id, token_hash, issued_at, expires_at, rotated_at, successor_hash FROM refresh_tokens;
                    DROP TABLE refresh_tokens;
                    ALTER TABLE refresh_tokens_v4 RENAME TO refresh_tokens;
                    CREATE UNIQUE INDEX refresh_tokens_by_hash ON refresh_tokens(token_hash);
                    CREATE UNIQUE INDEX refresh_tokens_one_current ON refresh_tokens(session_id) WHERE rotated_at IS NULL;
                    """)
        }
        // Refresh tokens that name their row (`RefreshTokenKey`'s located format): the rotation
        // finds such a token by its primary key, so its hash is left out of the hash index, and
        // issuing it writes one random page less. The index keeps the tokens issued before,
        // found by their hash until they are rotated or expire. Adding the column rewrites no
        // row; the index is rebuilt once, over the legacy rows (all of them, at this step).
        migrator.registerMigration("v5-located-refresh-tokens") { db in
            try db.execute(
                sql: """
                    ALTER TABLE refresh_tokens ADD COLUMN located INTEGER NOT NULL DEFAULT 0 CHECK (located IN (0, 1));
                    DROP INDEX refresh_tokens_by_hash;
                    CREATE UNIQUE INDEX refresh_tokens_by_hash ON refresh_tokens(token_hash) WHERE located = 0;
                    """)
        }
        return migrator
    }
}
