/* test_http_parse_avx2.c: the HTTP parser tests again, built with -mavx2 (the Makefile adds it)
   so the AVX2 scanners are proven too. Skips where the CPU lacks AVX2. */
#include "test_http_parse.c"
#if defined(__x86_64__) || defined(__i386__)
#  if !defined(__AVX2__)
#    error "build with -mavx2 (see the Makefile)"
#  endif
#  include <stdio.h>
#  include <unistd.h>
__attribute__((constructor)) static void tn_test_need_avx2(void) {
    if (!__builtin_cpu_supports("avx2")) {
        printf("skip test_http_parse_avx2: this CPU has no AVX2\n");
        fflush(stdout);
        _exit(77);
    }
}
#endif
