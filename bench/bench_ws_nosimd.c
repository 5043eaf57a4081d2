/* bench_ws_nosimd.c: bench_ws with the portable masking loop (TORNADO_NO_SIMD), for the
   SSE2-vs-scalar comparison in bench/run.py. */
#define TORNADO_NO_SIMD
#include "bench_ws.c"
