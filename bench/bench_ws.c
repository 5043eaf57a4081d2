/* bench_ws.c: WebSocket frame codec throughput: parse + unmask of masked client frames
   (20-byte and 16 KiB payloads, binary and text), and masking alone (about 5 s in total).
   Build: make build/bench/bench_ws (SSE2 where the compiler offers it) and
   build/bench/bench_ws_nosimd (the portable 8-byte loop). Run: ./build/bench/bench_ws [seconds].
   Prints one line per input: "ws  <name>  <frames/s>  <GB/s>" (GB/s of wire bytes, header
   included). A micro-benchmark of pure functions: no socket, no peer process. Rates are per
   second of this process's CPU time (clock()). */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile size_t sink;

static double now_s(void) { return (double)clock() / CLOCKS_PER_SEC; }

static void report(const char *name, double secs, double frames, double bytes) {
    printf("ws  %-22s %12.0f  %6.2f\n", name, frames / secs, bytes / secs / 1e9);
    fflush(stdout);
}

/* A buffer of masked frames of `payload` bytes each, about `total` bytes in all. */
static char *make_frames(size_t payload, int opcode, size_t total, size_t *len, size_t *count) {
    static const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t per = tn_ws_header_size(payload, 1) + payload, n = total / per, i, j;
    char *buf = (char *)malloc(n * per), *p = buf;
    tn_ws_frame f;
    memset(&f, 0, sizeof f);
    f.fin = 1;
    f.opcode = opcode;
    f.masked = 1;
    memcpy(f.mask, key, 4);
    f.length = payload;
    for (i = 0; i < n; i++) {
        int h = tn_ws_write_header(p, TN_WS_MAX_HEADER, &f);
        for (j = 0; j < payload; j++) p[h + j] = (char)('a' + (i + j) % 26);   /* ASCII: valid text */
        tn_ws_mask(p + h, payload, key, 0);
        p += (size_t)h + payload;
    }
    *len = n * per;
    *count = n;
    return buf;
}

/* Binary frames parsed in place, frame after frame, over a 1 MiB buffer, again and again.
   Unmasking in place toggles the payload between masked and clear on each pass; headers
   are untouched, so every pass parses the same frames. */
static void bench_parse(const char *name, size_t payload, double budget) {
    size_t len, count, acc = 0;
    char *buf = make_frames(payload, TN_WS_BINARY, 1u << 20, &len, &count);
    double t0 = now_s(), t, frames = 0, bytes = 0;
    tn_ws_parser p;
    memset(&p, 0, sizeof p);
    do {
        size_t pos = 0, got = 0;
        while (pos < len) {
            tn_ws_event ev;
            int rc = tn_ws_parse(&p, buf + pos, len - pos, &ev);
            if (rc <= 0) {
                fprintf(stderr, "bench_ws: %s did not parse (%s)\n", name, tn_err_name(rc));
                exit(1);
            }
            acc += ev.data.len;
            got++;
            pos += (size_t)rc;
        }
        if (got != count) {
            fprintf(stderr, "bench_ws: %s: %u events for %u frames\n", name, (unsigned)got, (unsigned)count);
            exit(1);
        }
        frames += (double)count;
        bytes += (double)len;
        t = now_s() - t0;
    } while (t < budget);
    sink = acc;
    report(name, t, frames, bytes);
    free(buf);
}

/* Text frames with the parser's UTF-8 check on, unmasked into a separate buffer
   (tn_ws_parse_into: the input stays masked, so every pass sees the same text). */
static void bench_parse_text(const char *name, size_t payload, double budget) {
    size_t len, count, acc = 0;
    char *buf = make_frames(payload, TN_WS_TEXT, 1u << 20, &len, &count);
    char *out = (char *)malloc(payload);
    double t0 = now_s(), t, frames = 0, bytes = 0;
    tn_ws_parser p;
    memset(&p, 0, sizeof p);
    do {
        size_t pos = 0;
        while (pos < len) {
            tn_ws_event ev;
            int rc = tn_ws_parse_into(&p, buf + pos, len - pos, out, payload, &ev);
            if (rc <= 0) {
                fprintf(stderr, "bench_ws: %s did not parse (%s)\n", name, tn_err_name(rc));
                exit(1);
            }
            acc += ev.data.len;
            pos += (size_t)rc;
        }
        frames += (double)count;
        bytes += (double)len;
        t = now_s() - t0;
    } while (t < budget);
    sink = acc;
    report(name, t, frames, bytes);
    free(out);
    free(buf);
}

static void bench_mask(size_t n, double budget) {
    static const unsigned char key[4] = {1, 2, 3, 4};
    char *buf = (char *)calloc(1, n);
    double t0 = now_s(), t, calls = 0;
    char name[32];
    do {
        int i;
        for (i = 0; i < 1000; i++) tn_ws_mask(buf, n, key, (uint64_t)i);
        calls += 1000;
        t = now_s() - t0;
    } while (t < budget);
    sink = (size_t)buf[n / 2];
    snprintf(name, sizeof name, "mask-%uB", (unsigned)n);
    report(name, t, calls, calls * (double)n);
    free(buf);
}

int main(int argc, char **argv) {
    double budget = argc > 1 ? atof(argv[1]) : 0.8;
    printf("# tornado.h WebSocket codec (%s masking), %.1f s CPU per input; columns: input, frames/s, GB/s\n",
#if defined(__SSE2__) && !defined(TORNADO_NO_SIMD)
           "SSE2",
#else
           "scalar",
#endif
           budget);
    bench_parse("parse-binary-20B", 20, budget);
    bench_parse("parse-binary-16KiB", 16384, budget);
    bench_parse_text("parse-text-utf8-20B", 20, budget);
    bench_parse_text("parse-text-utf8-16KiB", 16384, budget);
    bench_mask(16384, budget);
    bench_mask(20, budget);
    return 0;
}
