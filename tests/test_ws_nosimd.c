/* test_ws_nosimd.c: the WebSocket codec tests again with the portable masking loop
   (TORNADO_NO_SIMD), so the SSE2 and scalar paths are both proven. */
#define TORNADO_NO_SIMD
#include "test_ws.c"
