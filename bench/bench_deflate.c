/* bench_deflate.c: tornado.h's deflate/inflate against zlib and libdeflate on two corpora.
   Build: make build/bench/bench_deflate (links -lz -ldeflate: bench only)
   Run:   ./build/bench/bench_deflate [seconds-per-figure] FILE...
   The text corpus is the FILEs concatenated (make bench: the src .c files and tornado.h); the JSON
   corpus is generated (deterministic, about the same size). Prints one line per codec:
     deflate CORPUS CODEC LEVEL compress-MB/s ratio inflate-MB/s
   All streams are zlib format. Inflate figures are output MB/s decoding the codec's own
   stream; "inflate-zlib6" lines decode zlib -6's stream with each inflater. A missing
   peer library (zlib1g-dev, libdeflate-dev) leaves its lines out. Rates are per
   second of this process's CPU time (clock()). */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__has_include)
#  if __has_include(<zlib.h>)
#    define HAVE_ZLIB 1
#  endif
#  if __has_include(<libdeflate.h>)
#    define HAVE_LIBDEFLATE 1
#  endif
#endif
#ifdef HAVE_ZLIB
#  include <zlib.h>
#endif
#ifdef HAVE_LIBDEFLATE
#  include <libdeflate.h>
#endif

static double budget = 0.6;
static volatile size_t sink;

static double now_s(void) { return (double)clock() / CLOCKS_PER_SEC; }

typedef size_t (*comp_fn)(int level, const unsigned char *in, size_t n, unsigned char *out, size_t cap);
typedef size_t (*decomp_fn)(const unsigned char *in, size_t n, unsigned char *out, size_t cap);

static size_t ours_comp(int level, const unsigned char *in, size_t n, unsigned char *out, size_t cap) {
    tn_deflate_opts o;
    size_t len = 0;
    memset(&o, 0, sizeof o);
    o.level = level;
    return tn_deflate_once(&o, in, n, out, cap, &len) == TN_OK ? len : 0;
}
static size_t ours_decomp(const unsigned char *in, size_t n, unsigned char *out, size_t cap) {
    size_t len = 0;
    return tn_inflate_once(NULL, in, n, out, cap, &len) == TN_OK ? len : 0;
}
#ifdef HAVE_ZLIB
static size_t zlib_comp(int level, const unsigned char *in, size_t n, unsigned char *out, size_t cap) {
    uLongf len = (uLongf)cap;
    return compress2(out, &len, in, (uLong)n, level) == Z_OK ? (size_t)len : 0;
}
static size_t zlib_decomp(const unsigned char *in, size_t n, unsigned char *out, size_t cap) {
    uLongf len = (uLongf)cap;
    return uncompress(out, &len, in, (uLong)n) == Z_OK ? (size_t)len : 0;
}
#endif
#ifdef HAVE_LIBDEFLATE
static struct libdeflate_compressor *ldc[13];
static struct libdeflate_decompressor *ldd;
static size_t ld_comp(int level, const unsigned char *in, size_t n, unsigned char *out, size_t cap) {
    if (!ldc[level]) ldc[level] = libdeflate_alloc_compressor(level);
    return libdeflate_zlib_compress(ldc[level], in, n, out, cap);
}
static size_t ld_decomp(const unsigned char *in, size_t n, unsigned char *out, size_t cap) {
    size_t len = 0;
    if (!ldd) ldd = libdeflate_alloc_decompressor();
    return libdeflate_zlib_decompress(ldd, in, n, out, cap, &len) == LIBDEFLATE_SUCCESS ? len : 0;
}
#endif

/* MB/s of input for compress, of output for decompress */
static double time_comp(comp_fn f, int level, const unsigned char *in, size_t n, unsigned char *out, size_t cap,
                        size_t *clen) {
    double t0 = now_s(), t;
    unsigned long reps = 0;
    do {
        *clen = f(level, in, n, out, cap);
        sink += *clen;
        reps++;
        t = now_s() - t0;
    } while (t < budget);
    return (double)n * reps / t / 1e6;
}
static double time_decomp(decomp_fn f, const unsigned char *in, size_t n, unsigned char *out, size_t cap,
                          const unsigned char *expect, size_t expect_len) {
    double t0 = now_s(), t;
    unsigned long reps = 0;
    size_t len;
    do {
        len = f(in, n, out, cap);
        reps++;
        t = now_s() - t0;
    } while (t < budget);
    if (len != expect_len || memcmp(out, expect, len) != 0) {
        fprintf(stderr, "bench_deflate: a round trip failed\n");
        exit(1);
    }
    return (double)expect_len * reps / t / 1e6;
}

/* deterministic JSON: an array of records like an API response */
static size_t make_json(unsigned char *out, size_t target) {
    static const char *names[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"};
    static const char *tags[] = {"admin", "beta", "staff", "guest", "ops", "dev", "qa", "sales"};
    static const char *cities[] = {"Paris", "Berlin", "Lisbon", "Oslo", "Tokyo", "Lima", "Cairo", "Austin"};
    uint32_t x = 12345;
    size_t n = 0;
    int i = 0;
    n += (size_t)sprintf((char *)out + n, "[");
    while (n < target - 400) {
        uint32_t a, b, c;
        x ^= x << 13; x ^= x >> 17; x ^= x << 5; a = x;
        x ^= x << 13; x ^= x >> 17; x ^= x << 5; b = x;
        x ^= x << 13; x ^= x >> 17; x ^= x << 5; c = x;
        n += (size_t)sprintf((char *)out + n,
                             "%s{\"id\":%d,\"name\":\"%s %s\",\"email\":\"%s.%u@example.com\",\"age\":%u,"
                             "\"score\":%u.%02u,\"active\":%s,\"city\":\"%s\",\"tags\":[\"%s\",\"%s\"],"
                             "\"created\":\"2024-%02u-%02uT%02u:%02u:%02uZ\",\"balance\":%u}",
                             i ? "," : "", 100000 + i, names[a % 10], names[(a >> 4) % 10], names[a % 10], b % 10000,
                             18 + a % 60, b % 1000, c % 100, c & 1 ? "true" : "false", cities[(b >> 3) % 8],
                             tags[c % 8], tags[(c >> 5) % 8], 1 + a % 12, 1 + b % 28, c % 24, a % 60, b % 60,
                             c % 1000000);
        i++;
    }
    n += (size_t)sprintf((char *)out + n, "]");
    return n;
}

static void run(const char *corpus, const unsigned char *in, size_t n) {
    size_t cap = tn_deflate_bound(n) + 1024, clen = 0, zlen6 = 0;
    unsigned char *c = (unsigned char *)malloc(cap), *d = (unsigned char *)malloc(n + 64);
    unsigned char *z6 = (unsigned char *)malloc(cap);
    struct { const char *name; comp_fn c; decomp_fn d; } codecs[3];
    static const int levels[] = {1, 6};
    size_t k, l, nc = 0;
    codecs[nc].name = "tornado.h", codecs[nc].c = ours_comp, codecs[nc++].d = ours_decomp;
#ifdef HAVE_ZLIB
    codecs[nc].name = "zlib", codecs[nc].c = zlib_comp, codecs[nc++].d = zlib_decomp;
#endif
#ifdef HAVE_LIBDEFLATE
    codecs[nc].name = "libdeflate", codecs[nc].c = ld_comp, codecs[nc++].d = ld_decomp;
#endif
    for (l = 0; l < 2; l++)
        for (k = 0; k < nc; k++) {
            double cs = time_comp(codecs[k].c, levels[l], in, n, c, cap, &clen);
            double ds = time_decomp(codecs[k].d, c, clen, d, n + 64, in, n);
            printf("deflate %-5s %-10s %d %8.1f %7.4f %8.1f\n", corpus, codecs[k].name, levels[l], cs,
                   (double)clen / (double)n, ds);
            fflush(stdout);
        }
    zlen6 = ours_comp(6, in, n, z6, cap);   /* without zlib: our own stream */
#ifdef HAVE_ZLIB
    zlen6 = zlib_comp(6, in, n, z6, cap);
#endif
    for (k = 0; k < nc; k++)
        printf("inflate-zlib6 %-5s %-10s %8.1f\n", corpus, codecs[k].name,
               time_decomp(codecs[k].d, z6, zlen6, d, n + 64, in, n));
    free(c);
    free(d);
    free(z6);
}

int main(int argc, char **argv) {
    size_t cap = 64u << 20, n = 0;
    unsigned char *text = (unsigned char *)malloc(cap), *json = (unsigned char *)malloc(4u << 20);
    int i = 1;
    if (argc > 1 && atof(argv[1]) > 0) budget = atof(argv[i++]);
    for (; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (!f) {
            fprintf(stderr, "bench_deflate: cannot open %s\n", argv[i]);
            return 1;
        }
        n += fread(text + n, 1, cap - n, f);
        fclose(f);
    }
    if (n == 0) {
        fprintf(stderr, "usage: bench_deflate [seconds] FILE...\n");
        return 2;
    }
    run("text", text, n);
    run("json", json, make_json(json, n));
    printf("corpus text %zu bytes\n", n);
    free(text);
    free(json);
    return 0;
}
