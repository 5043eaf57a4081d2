/* test_http_parse_sse42.c: the HTTP parser tests again, built with -msse4.2 (the Makefile adds it)
   so the SSE4.2 scanners are proven too. Skips where the CPU lacks SSE4.2. */
#include "test_http_parse.c"
#if defined(__x86_64__) || defined(__i386__)
#  if !defined(__SSE4_2__)
#    error "build with -msse4.2 (see the Makefile)"
#  endif
#  include <stdio.h>
#  include <unistd.h>
__attribute__((constructor)) static void tn_test_need_sse42(void) {
    if (!__builtin_cpu_supports("sse4.2")) {
        printf("skip test_http_parse_sse42: this CPU has no SSE4.2\n");
        fflush(stdout);
        _exit(77);
    }
}
#endif
