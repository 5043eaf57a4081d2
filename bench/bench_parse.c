/* bench_parse.c: HTTP/1.1 parser throughput on three inputs (about 5 s in total).
   Build: make build/bench/bench_parse   Run: ./build/bench/bench_parse [seconds-per-input]
   Prints one line per input: "parse  <name>  <messages/s>  <GB/s>". Rates are per second of
   this process's CPU time (clock()), so a shared, busy machine does not halve them. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A typical browser request (the picohttpparser benchmark's request, with CRLF). */
static const char browser[] =
    "GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n"
    "Host: www.kittyhell.com\r\n"
    "User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10_6_6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 "
    "Pathtraq/0.9\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n"
    "Accept-Encoding: gzip,deflate\r\n"
    "Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n"
    "Keep-Alive: 115\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; "
    "__utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; "
    "__utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral\r\n"
    "\r\n";

static const char minimal[] = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";

static volatile size_t sink;

static double now_s(void) { return (double)clock() / CLOCKS_PER_SEC; }

static void report(const char *name, double secs, unsigned long n, size_t bytes_per) {
    printf("parse  %-16s %10.0f  %6.2f\n", name, n / secs, (double)n * (double)bytes_per / secs / 1e9);
    fflush(stdout);
}

static void bench_request(const char *name, const char *msg, size_t len, double budget) {
    tn_http_header h[64];
    tn_http_request r;
    unsigned long n = 0;
    double t0 = now_s(), t;
    size_t acc = 0;
    do {
        int i;
        for (i = 0; i < 20000; i++) {
            memset(&r, 0, sizeof r);
            r.headers = h;
            r.max_headers = 64;
            acc += (size_t)tn_http_parse_request(msg, len, &r) + r.num_headers;
        }
        n += 20000;
        t = now_s() - t0;
    } while (t < budget);
    sink = acc;
    if (acc != n * (len + (size_t)r.num_headers)) {
        fprintf(stderr, "bench_parse: %s did not parse\n", name);
        exit(1);
    }
    report(name, t, n, len);
}

/* A response head plus a chunked body of 8 x 512-byte chunks, decoded in place. */
static void bench_chunked(double budget) {
    static char msg[8192], work[8192];
    tn_http_header h[64];
    tn_http_response r;
    tn_http_chunked d;
    size_t len = 0, body_at, i;
    unsigned long n = 0;
    double t0, t;
    size_t acc = 0;
    len += (size_t)sprintf(msg, "HTTP/1.1 200 OK\r\nServer: tornado\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                "Date: Sat, 21 Nov 2026 06:00:00 GMT\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (i = 0; i < 8; i++) {
        len += (size_t)tn_http_format_chunk_header(msg + len, sizeof msg - len, 512);
        memset(msg + len, 'a' + (int)i, 512);
        len += 512;
        memcpy(msg + len, "\r\n", 2);
        len += 2;
    }
    len += (size_t)tn_http_format_chunk_end(msg + len, sizeof msg - len, NULL, 0);
    t0 = now_s();
    do {
        int k;
        for (k = 0; k < 2000; k++) {
            int rc;
            size_t blen;
            memset(&r, 0, sizeof r);
            r.headers = h;
            r.max_headers = 64;
            rc = tn_http_parse_response(msg, len, &r);
            if (rc <= 0 || r.body_kind != TN_HTTP_BODY_CHUNKED) {
                fprintf(stderr, "bench_parse: chunked response did not parse (%d)\n", rc);
                exit(1);
            }
            body_at = (size_t)rc;
            blen = len - body_at;
            memcpy(work, msg + body_at, blen);   /* in-place decoding consumes its input */
            memset(&d, 0, sizeof d);
            if (tn_http_decode_chunked(&d, work, &blen) != 0 || blen != 4096) {
                fprintf(stderr, "bench_parse: chunked body did not decode\n");
                exit(1);
            }
            acc += blen;
        }
        n += 2000;
        t = now_s() - t0;
    } while (t < budget);
    sink = acc;
    report("chunked-resp-4K", t, n, len);
}

int main(int argc, char **argv) {
    double budget = argc > 1 ? atof(argv[1]) : 1.6;
    printf("# tornado.h HTTP parser (%s scan), %.1f s CPU per input; columns: input, messages/s, GB/s\n",
#if defined(__SSE2__) && !defined(TORNADO_NO_SIMD)
           "SSE2",
#else
           "scalar",
#endif
           budget);
    bench_request("browser-700B", browser, sizeof browser - 1, budget);
    bench_request("minimal-GET", minimal, sizeof minimal - 1, budget);
    bench_chunked(budget);
    return 0;
}
