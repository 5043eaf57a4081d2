/* fuzz_coding.c: libFuzzer harness for the content-coding helpers the gzip responses use:
   tn_http_accepts_coding (Accept-Encoding with q-values) and tn_http_compressible_type.
   Checks invariants, not only the absence of crashes:
     - the answers are 0 or 1, and the same for the input upper-cased (case-insensitive);
     - the coding's own first entry decides: "gzip;q=0, <input>" never accepts gzip and
       "gzip, <input>" always does; "x-gzip" counts as "gzip";
     - nothing is accepted from an input without the coding's name and without '*';
     - a type with parameters appended (";charset=x") is judged as the type alone.

   Build (libFuzzer):
     clang -g -O1 -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_coding.c -o /tmp/fz
     /tmp/fz -max_total_time=60 corpus_copy/
   Replay without libFuzzer (gcc or clang):
     cc -g -DTN_FUZZ_MAIN tests/fuzz/fuzz_coding.c -o /tmp/fzr && /tmp/fzr tests/fuzz/corpus/coding/ */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_CHECK(c)                                                                     \
    do {                                                                                \
        if (!(c)) {                                                                     \
            fprintf(stderr, "fuzz_coding: invariant failed at line %d: %s\n", __LINE__, #c); \
            abort();                                                                    \
        }                                                                               \
    } while (0)

static int fz_has_ci(const char *p, size_t n, const char *word) {
    size_t w = strlen(word), i, k;
    for (i = 0; i + w <= n; i++) {
        for (k = 0; k < w && tolower((unsigned char)p[i + k]) == word[k]; k++) {}
        if (k == w) return 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *p = (char *)malloc(size + 32), *up = (char *)malloc(size + 32);
    size_t i;
    int a, t;
    tn_str in = tn_str_make(p, size);
    memcpy(p, data, size);
    for (i = 0; i < size; i++) up[i] = (char)toupper((unsigned char)p[i]);
    a = tn_http_accepts_coding(in, "gzip");
    FZ_CHECK(a == 0 || a == 1);
    FZ_CHECK(tn_http_accepts_coding(tn_str_make(up, size), "gzip") == a);
    if (!fz_has_ci(p, size, "gzip") && !memchr(p, '*', size)) FZ_CHECK(a == 0);
    (void)tn_http_accepts_coding(in, "br");
    (void)tn_http_accepts_coding(in, "");
    t = tn_http_compressible_type(in);
    FZ_CHECK(t == 0 || t == 1);
    FZ_CHECK(tn_http_compressible_type(tn_str_make(up, size)) == t);
    if (!memchr(p, ';', size) && !memchr(p, ',', size)) {
        char *q = (char *)malloc(size + 32);
        memcpy(q, p, size);
        memcpy(q + size, ";charset=x", 10);
        FZ_CHECK(tn_http_compressible_type(tn_str_make(q, size + 10)) == t);
        /* prefixes: the first entry for the coding decides */
        memcpy(q, "gzip;q=0, ", 10);
        memcpy(q + 10, p, size);
        FZ_CHECK(tn_http_accepts_coding(tn_str_make(q, size + 10), "gzip") == 0);
        memcpy(q, "x-gzip,   ", 10);
        FZ_CHECK(tn_http_accepts_coding(tn_str_make(q, size + 10), "gzip") == 1);
        free(q);
    }
    free(p);
    free(up);
    return 0;
}

#include "fuzz_main.h"
