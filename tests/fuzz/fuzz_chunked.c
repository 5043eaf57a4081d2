/* fuzz_chunked.c: libFuzzer harness for the chunked codec. Invariants: decoding never writes
   more bytes than it read; the decoded length plus the returned leftover fit in the input;
   decoding in two pieces (split at a chosen point) and byte by byte gives the same data and
   the same result as decoding whole; body_bytes counts the data; and encoding the input as
   chunks of input-chosen sizes (with tn_http_format_chunk_header/_end) decodes back to it.
   The first input byte picks limits and the split point. */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include "fuzz_check.h"

static void fz_dec_init(tn_http_chunked *d, unsigned sel) {
    static const uint64_t max_body[4] = {0, 16, 300, 100000};
    static const size_t max_line[4] = {0, 6, 40, 0};
    static const size_t max_trailer[4] = {0, 10, 0, 64};
    memset(d, 0, sizeof *d);
    d->max_body_bytes = max_body[sel & 3];
    d->max_chunk_line = max_line[(sel >> 2) & 3];
    d->max_trailer_bytes = max_trailer[(sel >> 4) & 3];
}

/* Decode `in` fed in pieces of `step` bytes (0 = whole); returns the result, the decoded data
   in out/out_len, and the bytes after the body in rest/rest_len. */
static int fz_decode(const char *in, size_t n, size_t step, unsigned sel, char *out, size_t *out_len, char *rest,
                     size_t *rest_len, uint64_t *body_bytes) {
    tn_http_chunked d;
    size_t pos = 0;
    int rc = TN_EINCOMPLETE;
    char *piece = (char *)malloc(n ? n : 1);
    fz_dec_init(&d, sel);
    *out_len = 0;
    *rest_len = 0;
    while (pos < n || (n == 0 && pos == 0)) {
        size_t len = step ? (n - pos < step ? n - pos : step) : n - pos;
        memcpy(piece, in + pos, len);
        rc = tn_http_decode_chunked(&d, piece, &len);
        FZ_CHECK(len <= (step ? step : n));
        memcpy(out + *out_len, piece, len);
        *out_len += len;
        pos += step ? (n - pos < step ? n - pos : step) : n - pos;
        if (rc != TN_EINCOMPLETE) {
            if (rc >= 0) {
                memcpy(rest, piece + len, (size_t)rc);
                memcpy(rest + rc, in + pos, n - pos);   /* pieces not fed yet also follow the body */
                *rest_len = (size_t)rc + (n - pos);
            }
            break;
        }
        if (n == 0) break;
    }
    *body_bytes = d.body_bytes;
    free(piece);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned sel;
    const char *in;
    char *o1, *o2, *r1, *r2;
    size_t l1, l2, rl1, rl2, split;
    uint64_t b1, b2;
    int rc1, rc2;
    if (size < 1) return 0;
    sel = data[0];
    in = (const char *)data + 1;
    size--;
    o1 = (char *)malloc(size + 1);
    o2 = (char *)malloc(size + 1);
    r1 = (char *)malloc(size + 1);
    r2 = (char *)malloc(size + 1);

    rc1 = fz_decode(in, size, 0, sel, o1, &l1, r1, &rl1, &b1);
    FZ_CHECK(rc1 == TN_EINCOMPLETE || rc1 >= 0 || tn_http_error_status(rc1) >= 400);
    FZ_CHECK(l1 == b1 && l1 + rl1 <= size);
    if (rc1 >= 0) FZ_CHECK((size_t)rc1 == rl1);

    split = size ? (sel * 17u + size / 2) % size + 1 : 1;
    rc2 = fz_decode(in, size, split, sel, o2, &l2, r2, &rl2, &b2);
    FZ_CHECK(rc1 >= 0 ? rc2 >= 0 : rc2 == rc1);
    FZ_CHECK(l1 == l2 && b1 == b2 && memcmp(o1, o2, l1) == 0);
    FZ_CHECK(rl1 == rl2 && memcmp(r1, r2, rl1) == 0);

    if (size <= 1024) {
        rc2 = fz_decode(in, size, 1, sel, o2, &l2, r2, &rl2, &b2);
        FZ_CHECK(rc1 >= 0 ? rc2 >= 0 : rc2 == rc1);
        FZ_CHECK(l1 == l2 && memcmp(o1, o2, l1) == 0);
        FZ_CHECK(rl1 == rl2 && memcmp(r1, r2, rl1) == 0);
    }

    /* encode the input as chunks, then decode it back */
    {
        size_t cap = size * 2 + 64 + (size / 1 + 1) * 24, pos = 0, i = 0, enc_len;
        char *enc = (char *)malloc(cap), *dec = (char *)malloc(cap), *rest = (char *)malloc(cap);
        size_t dl, rl;
        uint64_t bb;
        tn_http_header tr;
        while (i < size) {
            size_t c = 1 + (size_t)((unsigned char)in[i] % 37u);
            int w;
            if (c > size - i) c = size - i;
            w = tn_http_format_chunk_header(enc + pos, cap - pos, c);
            FZ_CHECK(w > 0);
            pos += (size_t)w;
            memcpy(enc + pos, in + i, c);
            pos += c;
            memcpy(enc + pos, "\r\n", 2);
            pos += 2;
            i += c;
        }
        tr.name = tn_str_c("X-Sum");
        tr.value = tn_str_c(sel & 1 ? "abc" : "");
        pos += (size_t)tn_http_format_chunk_end(enc + pos, cap - pos, &tr, sel & 2 ? 1 : 0);
        enc_len = pos;
        rc2 = fz_decode(enc, enc_len, 0, 0, dec, &dl, rest, &rl, &bb);
        FZ_CHECK(rc2 == 0 && dl == size && memcmp(dec, in, size) == 0);
        free(enc);
        free(dec);
        free(rest);
    }
    free(o1);
    free(o2);
    free(r1);
    free(r2);
    return 0;
}

#include "fuzz_main.h"
