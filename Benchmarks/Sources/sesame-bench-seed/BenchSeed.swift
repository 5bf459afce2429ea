import ArgumentParser
import Foundation
import GRDB
import Logging
import SesameCore
import SesameSQLite

#if canImport(Glibc)
import Glibc
#endif

/// Seeds a SQLite store for `Benchmarks/run-load.sh`, fast: users and sessions are written
/// straight into the store in large transactions instead of through logins, and the tokens
/// the load scripts present are written to text files, one per line.
///
/// Every user gets the same bcrypt hash of ``password``, computed once at `--bcrypt-cost`
/// (the server's configured cost): a login costs exactly what a real one does, while seeding
/// hashes only once. Sessions and their first refresh tokens are shaped exactly as
/// ``TokenService/login(domain:identifier:password:dialect:clientID:)`` makes them (random
/// 256-bit token, stored as its SHA-256). Access tokens for `userInfo` come from real
/// rotations through ``TokenService/refresh(_:dialect:clientID:clearing:)``.
///
/// Run again on an existing store, it reuses the domain and users and adds sessions.
@main
struct BenchSeed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sesame-bench-seed", abstract: "Seed a SQLite store for the load benchmark (never a real store).")

    static let password = "bench-pass-1"
    static let domainName = "default"

    @Option(help: "The SQLite file (created when missing).") var database: String
    @Option(help: "The iss claim the server under test uses (for userInfo access tokens).") var issuer: String
    @Option(help: "Directory for the token files.") var out: String
    @Option(help: "Users to create (on a fresh store).") var users = 10_000
    @Option(help: "bcrypt cost of the users' password hash (the server's configured cost).") var bcryptCost = 10
    @Option(help: "Users listed in login-users.txt, with their request signature.") var loginUsers = 1_000
    @Option(help: "enduser sessions to create.") var enduserSessions = 10_000
    @Option(help: "kanfang sessions to create.") var kanfangSessions = 10_000
    @Option(help: "enduser sessions refreshed once, whose access tokens go to userinfo-access.txt.") var userinfoSessions = 1_000
    @Option(help: "Write at most this many tokens per file (the rest are seeded only).") var writeAtMost = 20_000
    @Option(help: "Prefix of the token files' names.") var prefix = ""
    @Option(help: "Time this many bcrypt verifications, one at a time, and print BCRYPT_MS=<mean>.") var measureBcrypt = 0

    func run() async throws {
        let started = ContinuousClock.now
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let store = try SQLiteStore(path: database)
        // Random keys into indexes of a million rows: a page cache that holds them keeps the
        // seeding CPU-bound (this process only; the server keeps its own settings).
        try await store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA cache_size = -524288") }
        var configuration = SesameConfiguration()
        configuration.bcryptCost = bcryptCost
        var logger = Logger(label: "sesame-bench-seed")
        logger.logLevel = .warning
        let service = try await TokenService.start(
            store: store, configuration: configuration, issuer: issuer, logger: logger)
        let now = service.clock.unixNow()

        let domain: UserDomain
        var uids: [String]
        if let existing = try await store.domain(named: Self.domainName) {
            domain = existing
            uids = try await store.users(domainID: domain.id).map(\.uid)
        } else {
            domain = try await store.createDomain(name: Self.domainName, secret: RandomToken.make(byteCount: 24), at: now)
            let hash = try await service.hasher.hash(Self.password)
            let fresh = (0..<users).map { _ in "U" + Self.hex(RandomToken.bytes(10)) }
            uids = fresh
            try await store.pool.write { db in
                let statement = try db.cachedStatement(
                    sql: """
                        INSERT INTO users (uid, domain_id, email, username, nickname, password_hash, enabled, registered_at)
                        VALUES (?, ?, ?, ?, ?, ?, 1, ?)
                        """)
                for (i, uid) in fresh.enumerated() {
                    try statement.execute(arguments: [uid, domain.id, "u\(i)@bench.test", "u\(i)", "Bench \(i)", hash, now])
                }
            }
            let logins = (0..<min(loginUsers, users)).map { i -> String in
                let email = "u\(i)@bench.test"
                return "\(email) \(RequestSignature.expected([email, Self.password, ""], secret: domain.secret))"
            }
            try write(logins, to: "login-users.txt")
        }
        guard !uids.isEmpty else { throw ValidationError("the store has no users in domain \(Self.domainName)") }

        let enduser = try await insertSessions(enduserSessions, dialect: .enduser, uids: uids, store: store, service: service, now: now)
        try write(enduser.prefix(writeAtMost), to: prefix + "enduser-refresh.txt")
        let kanfang = try await insertSessions(kanfangSessions, dialect: .kanfang, uids: uids, store: store, service: service, now: now)
        try write(kanfang.prefix(writeAtMost), to: prefix + "kanfang-refresh.txt")

        let forUserInfo = try await insertSessions(userinfoSessions, dialect: .enduser, uids: uids, store: store, service: service, now: now)
        let accessTokens = try await withThrowingTaskGroup(of: String.self) { group in
            var tokens: [String] = []
            var next = forUserInfo.makeIterator()
            for _ in 0..<64 {
                guard let token = next.next() else { break }
                group.addTask { try await service.refresh(.refreshToken(token), dialect: .enduser).accessToken }
            }
            while let access = try await group.next() {
                tokens.append(access)
                if let token = next.next() {
                    group.addTask { try await service.refresh(.refreshToken(token), dialect: .enduser).accessToken }
                }
            }
            return tokens
        }
        try write(accessTokens.prefix(writeAtMost), to: prefix + "userinfo-access.txt")
        if measureBcrypt > 0 {
            // CPU time, not wall time: what one hash costs a core that is free, whatever else
            // runs on this machine. Nothing else runs in this process meanwhile.
            let hash = try await service.hasher.hash(Self.password)
            let before = Self.processCPUSeconds()
            for _ in 0..<measureBcrypt { _ = try await service.hasher.verify(Self.password, against: hash) }
            let cpu = Self.processCPUSeconds() - before
            print("BCRYPT_MS=\(String(format: "%.1f", cpu * 1_000 / Double(measureBcrypt)))")
        }
        let elapsed = ContinuousClock.now - started
        print(
            "seeded \(uids.count) users, \(enduser.count) enduser + \(kanfang.count) kanfang + \(forUserInfo.count) userInfo sessions in \(elapsed)"
        )
    }

    /// Inserts `count` live sessions of `dialect`, spread over `uids`, each with a first refresh
    /// token; returns the raw tokens. Transactions of 20,000 sessions.
    func insertSessions(
        _ count: Int, dialect: Dialect, uids: [String], store: SQLiteStore, service: TokenService, now: Int64
    ) async throws -> [String] {
        let lifetime = service.configuration.lifetimes(for: dialect).refresh
        var tokens: [String] = []
        tokens.reserveCapacity(count)
        var done = 0
        while done < count {
            let batch = min(20_000, count - done)
            // Tokens in the located format, as `TokenService` issues them at login.
            let rows = (0..<batch).map { i -> (session: String, uid: String, token: String, id: String) in
                let session = RandomToken.make(byteCount: 16)
                let id = RandomToken.make(byteCount: 16)
                let token = RefreshTokenKey.token(sessionID: session, id: id, secret: RandomToken.bytes(32))!
                return (session, uids[(done + i) % uids.count], token, id)
            }
            try await store.pool.write { db in
                let session = try db.cachedStatement(
                    sql: "INSERT INTO sessions (id, uid, dialect, client_id, created_at) VALUES (?, ?, ?, NULL, ?)")
                let token = try db.cachedStatement(
                    sql: "INSERT INTO refresh_tokens (token_hash, id, session_id, issued_at, expires_at, located) VALUES (?, ?, ?, ?, ?, 1)")
                for row in rows {
                    try session.execute(arguments: [row.session, row.uid, dialect.rawValue, now])
                    try token.execute(arguments: [Data(RandomToken.hash(row.token)), row.id, row.session, now, now + lifetime])
                }
            }
            tokens += rows.map(\.token)
            done += batch
        }
        return tokens
    }

    func write(_ lines: some Sequence<String>, to name: String) throws {
        let text = lines.joined(separator: "\n") + "\n"
        try text.write(toFile: (out as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// CPU time (user + system) of this process so far, in seconds.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
