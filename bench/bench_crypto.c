/* bench_crypto.c: hashing throughput of tornado.h's portable C SHA-256, SHA-1 and
   HMAC-SHA256 (the signed cookies' and XSRF tokens' MAC; SHA-1 is WebSocket's accept key and
   the computed ETag), beside OpenSSL's libcrypto in the same process when it links (the
   peer: its assembly uses the CPU's SHA extensions where there are any). Rounds alternate
   between the two; each figure is the median of 5.
   Build: make build/bench/bench_crypto   Run: ./build/bench/bench_crypto [seconds-per-figure]
   Prints "crypto <figure> <ours> <openssl or ->" per line: MB/s for the hashes (1 MiB
   inputs), thousands per second for HMAC-SHA256 of 64 bytes (a cookie's size). Rates are per
   second of this process's CPU time (clock()). */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__has_include)
#  if __has_include(<openssl/evp.h>) && __has_include(<openssl/hmac.h>) && defined(TN_BENCH_OPENSSL)
#    include <openssl/evp.h>
#    include <openssl/hmac.h>
#    define HAVE_OPENSSL 1
#  endif
#endif
#ifndef HAVE_OPENSSL
#  define HAVE_OPENSSL 0
#endif

#define BUF (1u << 20)
#define ROUNDS 5

static unsigned char g_buf[BUF];
static volatile unsigned g_sink;

static double now_s(void) { return (double)clock() / CLOCKS_PER_SEC; }

enum { SHA256, SHA1, HMAC64, NFIG };
static const char *const g_names[NFIG] = { "sha256-1MiB-MB/s", "sha1-1MiB-MB/s", "hmac-sha256-64B-k/s" };

/* One call of the figure's operation by one implementation (peer 0: ours, 1: OpenSSL);
   returns the bytes (hashes) or 1 (HMAC) it counts for. */
static double op(int fig, int peer) {
    unsigned char d[64];
    if (peer == 0) {
        if (fig == SHA256) tn_sha256(g_buf, BUF, d);
        else if (fig == SHA1) tn_sha1(g_buf, BUF, d);
        else tn_hmac_sha256("a cookie secret", 15, g_buf, 64, d);
    } else {
#if HAVE_OPENSSL
        unsigned len = 0;
        if (fig == SHA256) EVP_Digest(g_buf, BUF, d, &len, EVP_sha256(), NULL);
        else if (fig == SHA1) EVP_Digest(g_buf, BUF, d, &len, EVP_sha1(), NULL);
        else HMAC(EVP_sha256(), "a cookie secret", 15, g_buf, 64, d, &len);
#endif
    }
    g_sink += d[0];
    return fig == HMAC64 ? 1.0 : (double)BUF;
}

static double rate(int fig, int peer, double budget) {
    double t0 = now_s(), t, units = 0;
    do {
        int k;
        for (k = 0; k < (fig == HMAC64 ? 2000 : 4); k++) units += op(fig, peer);
        t = now_s() - t0;
    } while (t < budget);
    return fig == HMAC64 ? units / t / 1e3 : units / t / 1e6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    double budget = argc > 1 ? atof(argv[1]) : 0.3;
    int fig, r, peer;
    unsigned i;
    for (i = 0; i < BUF; i++) g_buf[i] = (unsigned char)(i * 2654435761u >> 24);
    for (fig = 0; fig < NFIG; fig++) {
        double v[2][ROUNDS];
        for (r = 0; r < ROUNDS; r++)
            for (peer = 0; peer < 1 + HAVE_OPENSSL; peer++) v[peer][r] = rate(fig, peer, budget);
        qsort(v[0], ROUNDS, sizeof(double), cmp_double);
        if (HAVE_OPENSSL) {
            qsort(v[1], ROUNDS, sizeof(double), cmp_double);
            printf("crypto %s %.1f %.1f\n", g_names[fig], v[0][ROUNDS / 2], v[1][ROUNDS / 2]);
        } else {
            printf("crypto %s %.1f -\n", g_names[fig], v[0][ROUNDS / 2]);
        }
        fflush(stdout);
    }
    return 0;
}
