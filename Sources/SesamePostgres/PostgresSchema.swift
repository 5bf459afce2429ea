/// The versioned PostgreSQL schema, the same tables and invariants as SQLite's `SQLiteSchema`.
/// Shipped migrations are never edited: a change is a new migration, appended.
///
/// Migrations run at start inside one transaction that first takes a transaction-level advisory
/// lock named after the schema, so several processes starting at once apply each migration
/// exactly once and none of them starts on a half-migrated schema.
///
/// The invariants live here, not in Swift: UNIQUE names and identifiers, CHECKs, foreign keys,
/// and **one current refresh token per session** as a partial UNIQUE index.
enum PostgresSchema {
    struct Migration {
        let name: String
        /// One statement per element: the extended query protocol runs one statement at a time.
        let statements: [String]
    }

    static let migrations: [Migration] = [
        Migration(
            name: "v1-core",
            statements: [
                """
                CREATE TABLE secrets (
                    name TEXT PRIMARY KEY,
                    value BYTEA NOT NULL CHECK (length(value) >= 32)
                )
                """,
                """
                CREATE TABLE signing_keys (
                    kid TEXT PRIMARY KEY,
                    algorithm TEXT NOT NULL CHECK (algorithm IN ('ES256', 'RS256', 'EdDSA')),
                    private_key_pem TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    retired_at BIGINT
                )
                """,
                """
                CREATE TABLE domains (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
                    secret TEXT NOT NULL CHECK (length(secret) >= 16),
                    enabled BOOLEAN NOT NULL DEFAULT TRUE,
                    created_at BIGINT NOT NULL,
                    CONSTRAINT domains_name_unique UNIQUE (name)
                )
                """,
                """
                CREATE TABLE users (
                    uid TEXT PRIMARY KEY,
                    domain_id BIGINT NOT NULL REFERENCES domains(id),
                    email TEXT,
                    phone TEXT,
                    international_code TEXT,
                    username TEXT,
                    nickname TEXT,
                    password_hash TEXT NOT NULL,
                    enabled BOOLEAN NOT NULL DEFAULT TRUE,
                    registered_at BIGINT NOT NULL,
                    last_login_at BIGINT,
                    CHECK (email IS NOT NULL OR phone IS NOT NULL OR username IS NOT NULL),
                    CHECK ((phone IS NULL) = (international_code IS NULL)),
                    CONSTRAINT users_email_unique UNIQUE (domain_id, email),
                    CONSTRAINT users_phone_unique UNIQUE (domain_id, international_code, phone),
                    CONSTRAINT users_username_unique UNIQUE (domain_id, username)
                )
                """,
                "CREATE INDEX users_by_phone ON users(domain_id, phone)",
                """
                CREATE TABLE sessions (
                    id TEXT PRIMARY KEY,
                    uid TEXT NOT NULL REFERENCES users(uid),
                    dialect TEXT NOT NULL CHECK (dialect IN ('enduser', 'kanfang', 'oauth')),
                    client_id TEXT,
                    created_at BIGINT NOT NULL,
                    absolute_expires_at BIGINT,
                    revoked_at BIGINT,
                    revoke_reason TEXT,
                    CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL))
                )
                """,
                "CREATE INDEX sessions_by_user ON sessions(uid, created_at)",
                """
                CREATE TABLE refresh_tokens (
                    token_hash BYTEA PRIMARY KEY CHECK (length(token_hash) = 32),
                    id TEXT NOT NULL UNIQUE,
                    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                    issued_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    rotated_at BIGINT,
                    successor_hash BYTEA CHECK (successor_hash IS NULL OR length(successor_hash) = 32),
                    CHECK ((rotated_at IS NULL) = (successor_hash IS NULL))
                )
                """,
                "CREATE UNIQUE INDEX refresh_tokens_one_current ON refresh_tokens(session_id) WHERE rotated_at IS NULL",
                "CREATE INDEX refresh_tokens_by_session ON refresh_tokens(session_id)",
                "CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens(expires_at)",
                """
                CREATE TABLE login_failures (
                    domain_id BIGINT NOT NULL REFERENCES domains(id),
                    identifier TEXT NOT NULL,
                    failures BIGINT NOT NULL CHECK (failures >= 0),
                    locked_until BIGINT,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (domain_id, identifier)
                )
                """,
                """
                CREATE TABLE audit_events (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    at BIGINT NOT NULL,
                    kind TEXT NOT NULL,
                    uid TEXT,
                    session_id TEXT,
                    detail TEXT NOT NULL DEFAULT ''
                )
                """,
                "CREATE INDEX audit_events_by_time ON audit_events(at)",
            ]),
        // Registered oauth clients, as SQLite's v2. Sessions keep naming their client by
        // `client_id` text, as on SQLite; removing a client revokes its sessions in the same
        // transaction instead of a foreign key.
        Migration(
            name: "v2-oauth-clients",
            statements: [
                """
                CREATE TABLE clients (
                    client_id TEXT PRIMARY KEY CHECK (length(client_id) BETWEEN 1 AND 128),
                    domain_id BIGINT NOT NULL REFERENCES domains(id),
                    secret_hash TEXT CHECK (secret_hash IS NULL OR length(secret_hash) > 0),
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX clients_by_domain ON clients(domain_id)",
                "CREATE INDEX sessions_by_client ON sessions(client_id) WHERE client_id IS NOT NULL",
            ]),
        Migration(
            name: "v3-keys-kek",
            statements: [
                // kek_id: NULL while the value is in clear; else the id of the key-encryption key
                // that sealed it (KeyEncryptionKey.id), the value then being AES-GCM sealed.
                "ALTER TABLE signing_keys ADD COLUMN kek_id TEXT",
                "ALTER TABLE secrets ADD COLUMN kek_id TEXT",
                "ALTER TABLE domains ADD COLUMN secret_kek_id TEXT",
                "CREATE INDEX audit_events_by_uid ON audit_events(uid, id)",
                "CREATE INDEX audit_events_by_kind ON audit_events(kind, id)",
            ]),
        // As SQLite's v4: a refresh token's `id` is unique within its session, which is how every
        // lookup names it (`jti` with `sid`), and one index on `(session_id, id)` replaces the
        // two on `id` and on `session_id`. A rotation's update is not a HOT update (`rotated_at`
        // is in the one-current index's predicate), so it writes every index twice: one index
        // fewer saves two index insertions per rotation.
        Migration(
            name: "v4-tokens-by-session",
            statements: [
                "CREATE UNIQUE INDEX refresh_tokens_by_session_id ON refresh_tokens(session_id, id)",
                "DROP INDEX refresh_tokens_by_session",
                "ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_id_key",
            ]),
        // As SQLite's v5: tokens that name their row (`RefreshTokenKey`'s located format) are
        // found by `(session_id, id)`, which becomes the primary key, and their hash is left out
        // of the hash index, which keeps the legacy tokens only. Each rotation then inserts into
        // two indexes instead of three (and, not being HOT, updates two instead of three).
        Migration(
            name: "v5-located-refresh-tokens",
            statements: [
                "ALTER TABLE refresh_tokens ADD COLUMN located BOOLEAN NOT NULL DEFAULT false",
                "ALTER TABLE refresh_tokens DROP CONSTRAINT refresh_tokens_pkey",
                "ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY USING INDEX refresh_tokens_by_session_id",
                "CREATE UNIQUE INDEX refresh_tokens_by_hash ON refresh_tokens(token_hash) WHERE NOT located",
            ]),
    ]
}
