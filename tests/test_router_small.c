/* test_router_small.c: the router tests again, built with -Os (the Makefile adds it): a
   size-optimized build (__OPTIMIZE_SIZE__) has no literal-segment trie (every route is a
   candidate, tried in adding order), and it must match, capture, answer 405/Allow and fail
   exactly as the trie build every other build of these tests proves. */
#include "test_router.c"
#if !defined(__OPTIMIZE_SIZE__)
#  error "build with -Os (see the Makefile)"
#endif
