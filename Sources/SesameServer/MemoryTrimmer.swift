import CSesameMalloc
import ServiceLifecycle

/// Returns freed heap memory to the system every `interval` seconds, as a `Service` beside the
/// HTTP server.
///
/// glibc keeps memory that was freed inside its arenas for reuse, so a process's resident
/// memory stays at the high-water mark of its busiest moment: after a burst of slow requests
/// (many in flight at once) it never comes down. `malloc_trim(0)` hands the free pages back
/// (`MADV_DONTNEED`), so resident memory follows what is in use, and a growth that remains is
/// memory still allocated — which is what the soak campaign watches for. One trim of this
/// process's two arenas takes well under a millisecond. Elsewhere than glibc it does nothing.
public struct MemoryTrimmer: Service {
    /// Seconds between trims.
    public let interval: Int64

    public init(interval: Int64 = 60) {
        self.interval = interval
    }

    /// One trim; whether any memory went back to the system.
    @discardableResult
    public static func trimOnce() -> Bool {
        sesame_malloc_trim() != 0
    }

    /// Trims every `interval` until graceful shutdown or cancellation, then returns normally.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                guard !Task.isCancelled else { break }
                Self.trimOnce()
            }
        }
    }
}

extension MemoryTrimmer: CustomStringConvertible {
    public var description: String { "MemoryTrimmer(interval: \(interval) s)" }
}
