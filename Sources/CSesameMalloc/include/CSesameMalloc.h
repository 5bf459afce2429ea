#ifndef C_SESAME_MALLOC_H
#define C_SESAME_MALLOC_H

/// The most malloc arenas the `sesame` executable lets glibc create, unless the environment
/// sets MALLOC_ARENA_MAX (see CSesameMalloc.c).
#define SESAME_MALLOC_ARENA_MAX 2

/// Whether the cap was applied when the executable loaded (0 elsewhere than glibc, or when
/// MALLOC_ARENA_MAX was set).
int sesame_malloc_arenas_capped(void);

/// Returns the heap's free memory to the system (glibc's malloc_trim(0): free pages inside
/// the arenas too, not only at their tops). Returns 1 when memory was released, 0 when none
/// was or elsewhere than glibc.
int sesame_malloc_trim(void);

#endif
