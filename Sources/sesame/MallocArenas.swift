import CSesameMalloc
import Foundation

/// Caps glibc's malloc arenas before any thread allocates.
///
/// glibc gives every thread that meets a locked arena a new one, up to eight per core, and
/// returns little of their memory to the system. A server whose event-loop, database and
/// bcrypt threads take turns allocating then grows its resident memory by arenas filling up
/// (the PostgreSQL soak rose 11 % over 24 minutes with the default, and stayed within 1.5 %
/// with two arenas: docs/RELIABILITY.md, finding 6). Two arenas are plenty for the 2–4 threads
/// that allocate at once here.
///
/// An operator's own `MALLOC_ARENA_MAX` (glibc reads it at start) is left alone. Elsewhere than
/// glibc this does nothing.
enum MallocArenas {
    static let defaultMaximum: Int32 = 2

    static func cap(environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard environment["MALLOC_ARENA_MAX"] == nil else { return }
        _ = sesame_cap_malloc_arenas(defaultMaximum)
    }
}
