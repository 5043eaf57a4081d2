/* test_http_parse_small.c: the HTTP parser tests again, built with -Os (the Makefile adds it):
   a size-optimized build (__OPTIMIZE_SIZE__) takes the parser's compact paths (no forced
   inlining, no SIMD field-line walk, no fast paths before the scanners), and they must be
   exactly as strict as the fast ones every other build of these tests proves. */
#include "test_http_parse.c"
#if !defined(__OPTIMIZE_SIZE__)
#  error "build with -Os (see the Makefile)"
#endif
