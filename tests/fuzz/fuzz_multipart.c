/* fuzz_multipart.c: the multipart/form-data push parser, checked against invariants:
     - the body fed whole, split at a fuzz-chosen point, and (for short bodies) byte by
       byte gives the same events, the same part headers, the same data bytes, the same
       result code;
     - events come in a valid order (BEGIN DATA* END ... DONE), nothing after an error;
     - data chunks are non-empty slices of the fed input or of the parser itself;
     - part strings point into the parser's buffers; total data <= body size.
   Input layout: byte 0 selects the boundary (bits 0-1) and a small header limit (bit 2);
   bytes 1-2 are the split point; the rest is the body.
   Build: clang -g -O1 -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_multipart.c -o fm
   Replay: cc -DTN_FUZZ_MAIN -g tests/fuzz/fuzz_multipart.c -o fm && ./fm FILE_OR_DIR... */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                        \
    do {                                                                                \
        if (!(c)) {                                                                     \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);   \
            abort();                                                                    \
        }                                                                               \
    } while (0)

typedef struct rec {
    char *log;          /* events and data, serialized */
    size_t n, cap;
    int in_part, done, last_data;
    size_t data_total;
    const char *lo, *hi;   /* current fed slice */
    const tn_multipart *mp;
} rec;

static void put(rec *r, const void *p, size_t k) {
    if (r->n + k > r->cap) {
        r->cap = (r->n + k) * 2 + 64;
        r->log = (char *)realloc(r->log, r->cap);
        CHECK(r->log != NULL);
    }
    if (k) memcpy(r->log + r->n, p, k);
    r->n += k;
}

static void in_parser(const rec *r, tn_str s) {
    if (s.len == 0) return;
    CHECK(s.ptr >= (const char *)r->mp && s.ptr + s.len <= (const char *)(r->mp + 1));
}

static void put_str(rec *r, tn_str s) {
    uint32_t l = (uint32_t)s.len;
    put(r, &l, sizeof l);
    put(r, s.ptr, s.len);
}

static int cb(int ev, const tn_multipart_part *p, tn_str data, void *user) {
    rec *r = (rec *)user;
    CHECK(!r->done);
    switch (ev) {
    case TN_MULTIPART_PART_BEGIN:
        CHECK(!r->in_part && p);
        r->in_part = 1;
        in_parser(r, p->name);
        in_parser(r, p->filename);
        in_parser(r, p->content_type);
        in_parser(r, p->disposition);
        in_parser(r, p->headers);
        put(r, "B", 1);
        put_str(r, p->name);
        put_str(r, p->filename);
        put_str(r, p->content_type);
        put_str(r, p->disposition);
        put_str(r, p->headers);
        put(r, &p->flags, sizeof p->flags);
        put(r, &p->index, sizeof p->index);
        r->last_data = 0;
        break;
    case TN_MULTIPART_PART_DATA:
        CHECK(r->in_part && p);
        CHECK(data.len > 0);
        CHECK((data.ptr >= r->lo && data.ptr + data.len <= r->hi) ||
              (data.ptr >= (const char *)r->mp && data.ptr + data.len <= (const char *)(r->mp + 1)));
        if (!r->last_data) put(r, "D", 1);
        put(r, data.ptr, data.len);
        r->data_total += data.len;
        r->last_data = 1;
        break;
    case TN_MULTIPART_PART_END:
        CHECK(r->in_part && p);
        r->in_part = 0;
        put(r, "E", 1);
        r->last_data = 0;
        break;
    case TN_MULTIPART_DONE:
        CHECK(!r->in_part && !p);
        r->done = 1;
        put(r, "X", 1);
        break;
    default:
        CHECK(0);
    }
    return 0;
}

static const char *const boundaries[4] = { "b", "XyZ", "----WebKitFormBoundary7MA4YWxkTrZu0gW", "--" };

static int run(const char *boundary, const tn_multipart_opts *o, const char *body, size_t n,
               const size_t *cuts, size_t ncuts, rec *r) {
    static tn_multipart mp;
    size_t i, prev = 0;
    int rc = 0, rc2;
    memset(r, 0, sizeof *r);
    r->mp = &mp;
    CHECK(tn_multipart_init(&mp, tn_str_c(boundary), o, cb, r) == 0);
    for (i = 0; i <= ncuts && rc == 0; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        r->lo = body + prev;
        r->hi = body + end;
        rc = tn_multipart_feed(&mp, body + prev, end - prev);
        prev = end;
    }
    rc2 = tn_multipart_finish(&mp);
    if (rc) CHECK(rc2 == rc);
    if (rc2 == 0) CHECK(r->done);
    CHECK(r->data_total <= n);
    return rc2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rec a, b;
    tn_multipart_opts o;
    const char *boundary;
    char *body;
    size_t n, cut, i;
    int ra, rb;
    if (size < 3) return 0;
    boundary = boundaries[data[0] & 3];
    memset(&o, 0, sizeof o);
    if (data[0] & 4) {
        o.max_header_bytes = 64;
        o.max_parts = 4;
    }
    n = size - 3;
    body = (char *)malloc(n ? n : 1);   /* exact size: ASan catches over-reads */
    if (n) memcpy(body, data + 3, n);
    cut = n ? ((size_t)data[1] << 8 | data[2]) % (n + 1) : 0;

    ra = run(boundary, &o, body, n, NULL, 0, &a);
    rb = run(boundary, &o, body, n, &cut, 1, &b);
    CHECK(ra == rb);
    CHECK(a.n == b.n && (a.n == 0 || memcmp(a.log, b.log, a.n) == 0));
    free(b.log);
    if (n <= 1024) {
        size_t *each = (size_t *)malloc((n + 1) * sizeof *each);
        for (i = 0; i < n; i++) each[i] = i + 1;
        rb = run(boundary, &o, body, n, each, n ? n - 1 : 0, &b);
        CHECK(ra == rb);
        CHECK(a.n == b.n && (a.n == 0 || memcmp(a.log, b.log, a.n) == 0));
        free(b.log);
        free(each);
    }
    free(a.log);
    free(body);
    return 0;
}

#include "fuzz_main.h"
