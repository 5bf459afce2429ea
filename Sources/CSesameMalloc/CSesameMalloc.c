// Caps glibc's malloc arenas in every program that links this target (the `sesame`
// executable, through SesameServer), and lets the server return freed heap memory
// (MemoryTrimmer).
//
// glibc gives a thread that meets a locked arena a new one, up to eight per core, and returns
// little of their memory to the system: a server whose event-loop, database and bcrypt threads
// take turns allocating grows its resident memory as those arenas fill (the PostgreSQL soak,
// docs/RELIABILITY.md, the soak campaign). Two arenas are enough for the few threads that allocate at
// once here.
//
// glibc fixes its arena limit when it creates its second arena, which the Swift runtime's
// threads do before `main` runs: the cap must be set earlier, so it is set in a constructor,
// which runs when the executable loads, before any thread exists. An operator's own
// MALLOC_ARENA_MAX (read by glibc itself) is left alone.

#include "CSesameMalloc.h"

#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static int capped = 0;

__attribute__((constructor)) static void sesame_cap_malloc_arenas(void) {
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
    if (getenv("MALLOC_ARENA_MAX") == NULL) {
        capped = mallopt(M_ARENA_MAX, SESAME_MALLOC_ARENA_MAX) == 1;
    }
#endif
}

int sesame_malloc_arenas_capped(void) { return capped; }

int sesame_malloc_trim(void) {
#if defined(__GLIBC__)
    return malloc_trim(0);
#else
    return 0;
#endif
}
