/* bench_parse.c: HTTP/1.1 head parser throughput on three named inputs, side by side with
   C peers in the same process, plus a chunked-body decode figure (about 5 s in total).
   Build: make build/bench/bench_parse (-O2: the SSE2 scan on x86-64), and
   build/bench/bench_parse_sse42 / bench_parse_avx2 (-O2 -msse4.2 / -O2 -mavx2: the paths the
   compiler enables). Run: ./build/bench/bench_parse [seconds-per-input].
   Peers, linked into the bench only, never into tornado.h:
     http_parser     Debian's libhttp-parser-dev (node's former parser), when the Makefile
                     finds it (it then defines TN_BENCH_HTTP_PARSER and links -lhttp_parser)
     picohttpparser  not a Debian package: bench/run.py compiles this file with
                     -DTN_BENCH_PICO and picohttpparser.c from a checkout outside the repo
                     (PICOHTTPPARSER_DIR, default ../picohttpparser) when one is there
   Method: for every input, each parser runs a batch of about 20 ms in turn, round after round
   (alternating, so drift in a shared machine's speed hits all alike); a figure is the median
   of the rounds' messages per second of this process's CPU time (clock()). Every parser
   stores every header (name and value slices) and the sums of what it returns go to a
   volatile sink; a parse that does not give the expected header count aborts the run.
   Output: "parse  <input>  <parser>  <messages/s>  <GB/s>" lines. A second argument names
   the one input to run (and skips the chunked figure), for a profiler:
   ./build/bench/bench_parse 5 chrome-703B. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef TN_BENCH_HTTP_PARSER
#  include <http_parser.h>
#endif
#ifdef TN_BENCH_PICO
#  include "picohttpparser.h"
#endif

/* A Chrome-style browser request of 703 bytes, 9 headers (picohttpparser's benchmark request,
   CRLF line ends, a shorter cookie). */
static const char chrome[] =
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
    "Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxx; "
    "__utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; "
    "__utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral\r\n"
    "\r\n";

/* The smallest valid HTTP/1.1 request: 27 bytes, 1 header. */
static const char minimal[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

/* A typical response head: 282 bytes, 8 headers. */
static const char response[] =
    "HTTP/1.1 200 OK\r\n"
    "Date: Sat, 21 Nov 2026 06:00:00 GMT\r\n"
    "Server: tornado.h/1.0 (Linux)\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Length: 14320\r\n"
    "Cache-Control: private, max-age=0, must-revalidate\r\n"
    "Connection: keep-alive\r\n"
    "Vary: Accept-Encoding\r\n"
    "ETag: \"5f2b-1a3c9e7d40a8b1c2d3\"\r\n"
    "\r\n";

typedef struct input {
    const char *name;
    const char *msg;
    size_t len;
    int response;
    size_t headers;   /* expected header count */
} input;

static const input inputs[] = {
    {"chrome-703B", chrome, sizeof chrome - 1, 0, 9},
    {"minimal-27B", minimal, sizeof minimal - 1, 0, 1},
    {"response-282B", response, sizeof response - 1, 1, 8},
};
#define NINPUTS (sizeof inputs / sizeof inputs[0])

static volatile size_t sink;

static double now_s(void) { return (double)clock() / CLOCKS_PER_SEC; }

static void bad(const char *parser, const input *in) {
    fprintf(stderr, "bench_parse: %s did not parse %s\n", parser, in->name);
    exit(1);
}

/* Each runner parses `in` n times and returns a sum over what it parsed (checked once). */

static size_t run_tornado(const input *in, unsigned long n) {
    tn_http_header h[64];
    size_t acc = 0;
    unsigned long i;
    if (!in->response) {
        tn_http_request r;
        memset(&r, 0, sizeof r);   /* once: after a complete head the struct is ready for the next */
        r.headers = h;
        r.max_headers = 64;
        for (i = 0; i < n; i++) {
            acc += (size_t)tn_http_parse_request(in->msg, in->len, &r) + r.num_headers + h[0].value.len;
        }
        if (r.num_headers != in->headers) bad("tornado.h", in);
    } else {
        tn_http_response r;
        memset(&r, 0, sizeof r);
        r.headers = h;
        r.max_headers = 64;
        for (i = 0; i < n; i++) {
            acc += (size_t)tn_http_parse_response(in->msg, in->len, &r) + r.num_headers + h[0].value.len;
        }
        if (r.num_headers != in->headers) bad("tornado.h", in);
    }
    return acc;
}

#ifdef TN_BENCH_HTTP_PARSER
/* http_parser reports slices through callbacks: store them as the others do. */
typedef struct hp_msg {
    const char *url;
    size_t url_len;
    struct { const char *name, *value; size_t name_len, value_len; } h[64];
    size_t num;
} hp_msg;

static int hp_url(http_parser *p, const char *at, size_t len) {
    hp_msg *m = (hp_msg *)p->data;
    m->url = at;
    m->url_len = len;
    return 0;
}
static int hp_field(http_parser *p, const char *at, size_t len) {
    hp_msg *m = (hp_msg *)p->data;
    if (m->num == 64) return 1;
    m->h[m->num].name = at;
    m->h[m->num].name_len = len;
    return 0;
}
static int hp_value(http_parser *p, const char *at, size_t len) {
    hp_msg *m = (hp_msg *)p->data;
    m->h[m->num].value = at;
    m->h[m->num].value_len = len;
    m->num++;
    return 0;
}
static int hp_done(http_parser *p) {
    return p->type == HTTP_RESPONSE ? 1 : 0;   /* a response head: no body follows here */
}

static size_t run_http_parser(const input *in, unsigned long n) {
    http_parser_settings s;
    http_parser p;
    hp_msg m;
    size_t acc = 0;
    unsigned long i;
    m.num = 0;
    memset(&s, 0, sizeof s);
    s.on_url = hp_url;
    s.on_header_field = hp_field;
    s.on_header_value = hp_value;
    s.on_headers_complete = hp_done;
    for (i = 0; i < n; i++) {
        size_t got;
        m.num = 0;
        http_parser_init(&p, in->response ? HTTP_RESPONSE : HTTP_REQUEST);
        p.data = &m;
        got = http_parser_execute(&p, &s, in->msg, in->len);
        acc += got + m.num + m.h[0].value_len;
    }
    if (m.num != in->headers || HTTP_PARSER_ERRNO(&p) != HPE_OK) bad("http_parser", in);
    return acc;
}
#endif

#ifdef TN_BENCH_PICO
static size_t run_pico(const input *in, unsigned long n) {
    struct phr_header h[64];
    size_t acc = 0, num = 0;
    unsigned long i;
    int rc = 0;
    for (i = 0; i < n; i++) {
        const char *method, *path, *msg;
        size_t method_len, path_len, msg_len;
        int minor, status;
        num = 64;
        if (!in->response)
            rc = phr_parse_request(in->msg, in->len, &method, &method_len, &path, &path_len, &minor, h, &num, 0);
        else
            rc = phr_parse_response(in->msg, in->len, &minor, &status, &msg, &msg_len, h, &num, 0);
        acc += (size_t)rc + num + h[0].value_len;
    }
    if (rc != (int)in->len || num != in->headers) bad("picohttpparser", in);
    return acc;
}
#endif

typedef struct peer {
    const char *name;
    size_t (*run)(const input *, unsigned long);
} peer;

static const peer peers[] = {
    {"tornado.h", run_tornado},
#ifdef TN_BENCH_HTTP_PARSER
    {"http_parser", run_http_parser},
#endif
#ifdef TN_BENCH_PICO
    {"picohttpparser", run_pico},
#endif
};
#define NPEERS (sizeof peers / sizeof peers[0])
#define MAX_ROUNDS 64

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void bench_input(const input *in, double budget) {
    double rates[NPEERS][MAX_ROUNDS];
    unsigned long batch[NPEERS];
    int rounds, r;
    size_t k;
    /* size each parser's batch to about 20 ms */
    for (k = 0; k < NPEERS; k++) {
        unsigned long n = 1000;
        double t;
        for (;;) {
            double t0 = now_s();
            sink = peers[k].run(in, n);
            t = now_s() - t0;
            if (t > 0.005 || n > (1ul << 30)) break;
            n *= 4;
        }
        batch[k] = (unsigned long)((double)n * 0.02 / (t > 0 ? t : 0.001)) + 1;
    }
    rounds = (int)(budget / (0.02 * (double)NPEERS));
    if (rounds < 5) rounds = 5;
    if (rounds > MAX_ROUNDS) rounds = MAX_ROUNDS;
    for (r = 0; r < rounds; r++) {
        for (k = 0; k < NPEERS; k++) {
            double t0 = now_s(), t;
            sink = peers[k].run(in, batch[k]);
            t = now_s() - t0;
            rates[k][r] = (double)batch[k] / (t > 0 ? t : 1e-6);
        }
    }
    for (k = 0; k < NPEERS; k++) {
        double med;
        qsort(rates[k], (size_t)rounds, sizeof rates[k][0], cmp_double);
        med = rates[k][rounds / 2];
        printf("parse  %-14s %-15s %12.0f  %6.2f\n", in->name, peers[k].name, med, med * (double)in->len / 1e9);
        fflush(stdout);
    }
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
    printf("parse  %-14s %-15s %12.0f  %6.2f\n", "chunked-4K", "tornado.h", n / t, (double)n * (double)len / t / 1e9);
}

int main(int argc, char **argv) {
    double budget = argc > 1 ? atof(argv[1]) : 1.2;
    size_t i;
    printf("# tornado.h HTTP parser, %s scan; %.1f s CPU per input; columns: input, parser, messages/s (median "
           "of alternating rounds), GB/s\n",
#if defined(TORNADO_NO_SIMD) || !defined(__x86_64__) && !defined(__i386__)
           "scalar"
#elif defined(__AVX2__)
           "SSE4.2 (-mavx2 build)"
#elif defined(__SSE4_2__)
           "SSE4.2"
#elif defined(__SSE2__)
           "SSE2"
#else
           "scalar"
#endif
           , budget);
    for (i = 0; i < NINPUTS; i++) {
        if (argc > 2 && strcmp(argv[2], inputs[i].name) != 0) continue;
        if (inputs[i].len != (i == 0 ? 703u : i == 1 ? 27u : 282u)) {
            fprintf(stderr, "bench_parse: %s is %u bytes\n", inputs[i].name, (unsigned)inputs[i].len);
            return 1;
        }
        bench_input(&inputs[i], budget);
    }
    if (argc <= 2) bench_chunked(budget / 3);
    return 0;
}
