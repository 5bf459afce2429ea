#ifndef C_SESAME_MALLOC_H
#define C_SESAME_MALLOC_H

/// Caps the C library's malloc arenas at `maximum` when the C library has them (glibc), and
/// returns whether it did. Swift cannot call mallopt with M_ARENA_MAX itself: the macro is
/// negative, and Swift does not import it.
int sesame_cap_malloc_arenas(int maximum);

#endif
