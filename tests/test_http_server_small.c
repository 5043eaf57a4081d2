/* test_http_server_small.c: the HTTP server tests again, built with -Os (the Makefile adds
   it): a size-optimized build (__OPTIMIZE_SIZE__) takes the server's compact shapes (one
   clear of a request, no inlined hot path, the clock read per response, every length
   formatted by one loop, the chunked decoder cleared with the request), and they must
   behave exactly as the ones every other build of these tests proves. */
#include "test_http_server.c"
#if !defined(__OPTIMIZE_SIZE__)
#  error "build with -Os (see the Makefile)"
#endif
