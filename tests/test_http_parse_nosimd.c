/* test_http_parse_nosimd.c: the HTTP parser tests again with the portable scanners
   (TORNADO_NO_SIMD), so the SSE2 and scalar paths are both proven. */
#define TORNADO_NO_SIMD
#include "test_http_parse.c"
