import Foundation
import HummingbirdBcrypt
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// bcrypt hashing and verification, always off the cooperative thread pool and the event
/// loops (a hash at cost 10 takes about 90 ms).
public struct PasswordHasher: Sendable {
    /// The bcrypt cost of new hashes.
    public let cost: Int
    private let threadPool: NIOThreadPool
    /// A hash of a random password at ``cost``, verified against when the account does not
    /// exist, so that "unknown account" costs the same time as "wrong password".
    private let dummyHash: String

    /// bcrypt's own threads, one per core. Each lowers its scheduling priority (nice +10 on
    /// Linux) before hashing, so that during a login storm the event loops and the store's
    /// writer still get the CPU first: refreshes keep their latency, and logins use what is
    /// left (all of it when nothing else runs).
    public static let defaultThreadPool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: max(1, ProcessInfo.processInfo.activeProcessorCount))
        pool.start()
        return pool
    }()

    /// - Parameters:
    ///   - cost: bcrypt cost, 4...31.
    ///   - threadPool: where hashing runs.
    public init(cost: Int, threadPool: NIOThreadPool = PasswordHasher.defaultThreadPool) {
        precondition((4...31).contains(cost), "bcrypt cost must be 4...31")
        self.cost = cost
        self.threadPool = threadPool
        self.dummyHash = Bcrypt.hash(RandomToken.make(byteCount: 16), cost: UInt8(cost))
    }

    /// A new bcrypt hash of `password`.
    public func hash(_ password: String) async throws -> String {
        let cost = UInt8(self.cost)
        return try await threadPool.runIfActive {
            Self.yieldToLatencySensitiveThreads()
            return Bcrypt.hash(password, cost: cost)
        }
    }

    /// Whether `password` matches `hash`; with `hash == nil` it burns the same time against
    /// the dummy hash and answers `false`.
    ///
    /// A password with a NUL byte never matches: bcrypt's C implementation stops reading at
    /// NUL, so `right-password\0anything` would otherwise pass.
    public func verify(_ password: String, against hash: String?) async throws -> Bool {
        let usable = !password.utf8.contains(0)
        let target = usable ? (hash ?? dummyHash) : dummyHash
        let matches = try await threadPool.runIfActive {
            Self.yieldToLatencySensitiveThreads()
            return Bcrypt.verify(password, hash: target)
        }
        return usable && hash != nil && matches
    }

    /// Whether `hash` was made at another cost than ``cost`` (and should be replaced at the
    /// next successful login, so that every account costs the same time as the dummy hash).
    public func needsRehash(_ hash: String) -> Bool {
        // Modular crypt format: $2b$10$<salt+hash>
        let parts = hash.split(separator: "$", omittingEmptySubsequences: true)
        guard parts.count >= 2, let stored = Int(parts[1]) else { return true }
        return stored != cost
    }

    /// Lowers the calling thread's priority to nice +10 (Linux: `setpriority` with `who = 0`
    /// applies to the calling thread only). Idempotent; elsewhere a no-op.
    static func yieldToLatencySensitiveThreads() {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
    }
}
