#include "CSesameMalloc.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int sesame_cap_malloc_arenas(int maximum) {
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
    return mallopt(M_ARENA_MAX, maximum) == 1;
#else
    (void)maximum;
    return 0;
#endif
}
