/* fuzz_inflate.c: libFuzzer harness for the deflate codec. The first input byte picks the
   mode and options, the rest is data.
   Inflate mode (even first byte): the data is a compressed stream in the chosen format and
   window; invariants: decoding never writes past the output given or produces more than the
   cap; decoding whole, in two pieces (split point from the data) with small output pieces,
   and byte by byte give the same result code and the same bytes; after TN_INFLATE_END the
   consumed count is the same.
   Round-trip mode (odd first byte): the data is compressed at the chosen level, window and
   format, with sync flushes and input/output pieces chosen from the data, then inflated (by
   the inflater with exactly that window): the bytes come back, the output fits
   tn_deflate_bound, and sync points end in 00 00 ff ff. */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include "fuzz_check.h"

#define FZ_OUT_CAP 65536

typedef struct fz_result {
    int rc;
    size_t used, made;
} fz_result;

/* Inflate in[0..n) with input pieces of `step` bytes and output pieces of `ostep` (0 = all). */
static fz_result fz_inflate(const tn_inflate_opts *o, const unsigned char *in, size_t n, size_t step, size_t ostep,
                            unsigned char *out) {
    tn_inflater *st;
    fz_result r;
    r.used = r.made = 0;
    r.rc = TN_OK;
    FZ_CHECK(tn_inflater_new(o, &st) == TN_OK);
    for (;;) {
        size_t avail = n - r.used, cap = FZ_OUT_CAP - r.made, c = 99, p = 99;
        if (step && avail > step) avail = step;
        if (ostep && cap > ostep) cap = ostep;
        r.rc = tn_inflate(st, in + r.used, avail, &c, out + r.made, cap, &p);
        FZ_CHECK(c <= avail && p <= cap);
        r.used += c;
        r.made += p;
        FZ_CHECK(tn_inflater_total_out(st) == r.made);
        if (r.rc != TN_OK) break;
        if (r.rc == TN_OK) FZ_CHECK(c == avail || p == cap);   /* progress stops only at a limit */
        if (c == 0 && p == 0) break;
    }
    FZ_CHECK(r.rc == TN_OK || r.rc == TN_INFLATE_END || r.rc == TN_EBAD_DEFLATE || r.rc == TN_EBAD_CHECKSUM ||
             r.rc == TN_ELIMIT);
    if (r.rc < 0) FZ_CHECK(tn_inflater_error(st)[0] != 0);
    if (r.rc == TN_ELIMIT) FZ_CHECK(r.made == o->max_output);
    tn_inflater_free(st);
    return r;
}

static void fz_same(fz_result a, const unsigned char *oa, fz_result b, const unsigned char *ob) {
    FZ_CHECK(a.rc == b.rc);
    FZ_CHECK(a.made == b.made && memcmp(oa, ob, a.made) == 0);
    if (a.rc == TN_INFLATE_END) FZ_CHECK(a.used == b.used);
}

static void fz_inflate_mode(unsigned sel, const unsigned char *data, size_t size) {
    static const uint64_t caps[4] = {FZ_OUT_CAP, 100, 4096, 1};
    tn_inflate_opts o;
    unsigned char *o1 = (unsigned char *)malloc(FZ_OUT_CAP), *o2 = (unsigned char *)malloc(FZ_OUT_CAP);
    fz_result a, b;
    size_t split = size ? (size_t)data[size / 2] * 7 % size + 1 : 1;
    memset(&o, 0, sizeof o);
    o.format = (int)((sel >> 1) & 3);
    o.window_bits = 8 + (int)((sel >> 3) & 7);
    if (o.format != TN_DEFLATE_RAW) o.window_bits = 15;
    o.max_output = caps[(sel >> 6) & 3];
    a = fz_inflate(&o, data, size, 0, 0, o1);
    b = fz_inflate(&o, data, size, split, 1 + split % 300, o2);
    fz_same(a, o1, b, o2);
    if (size <= 2048) {
        b = fz_inflate(&o, data, size, 1, 1, o2);
        fz_same(a, o1, b, o2);
    }
    free(o1);
    free(o2);
}

static void fz_roundtrip_mode(unsigned sel, const unsigned char *data, size_t size) {
    tn_deflate_opts d;
    tn_inflate_opts o;
    tn_deflater *st;
    size_t cap = tn_deflate_bound(size) + 10 * 64 + 64, pos = 0, zl = 0, step, ostep, sync_at;
    unsigned char *z = (unsigned char *)malloc(cap), *back = (unsigned char *)malloc(size + 1);
    fz_result r;
    unsigned char k = size ? data[size - 1] : 0;
    memset(&d, 0, sizeof d);
    d.format = (int)((sel >> 1) % 3);
    d.level = 1 + (int)((sel >> 3) % 9);
    d.window_bits = 8 + (int)(k & 7);
    step = (k >> 3) & 1 ? 1 + (size_t)k * 13 : 0;
    ostep = (k >> 4) & 1 ? 1 + (size_t)k : 0;
    sync_at = (k >> 5) & 1 ? size / 3 : (size_t)-1;
    FZ_CHECK(tn_deflater_new(&d, &st) == TN_OK);
    for (;;) {
        size_t stop = pos < sync_at ? (sync_at < size ? sync_at : size) : size, avail = stop - pos, c, p, ocap;
        int flush = stop == size ? TN_DEFLATE_FINISH : TN_DEFLATE_SYNC, rc;
        if (step && avail > step) {
            avail = step;
            flush = TN_DEFLATE_NO_FLUSH;
        }
        ocap = cap - zl;
        if (ostep && ocap > ostep) ocap = ostep;
        rc = tn_deflate(st, data + pos, avail, &c, z + zl, ocap, &p, flush);
        FZ_CHECK(rc == TN_OK || rc == TN_DEFLATE_DONE);
        FZ_CHECK(c <= avail && p <= ocap);
        pos += c;
        zl += p;
        FZ_CHECK(zl < cap);
        if (rc == TN_DEFLATE_DONE) {
            FZ_CHECK(pos == stop);
            if (flush == TN_DEFLATE_FINISH) break;
            FZ_CHECK(zl >= 4 && memcmp(z + zl - 4, "\x00\x00\xff\xff", 4) == 0);
            sync_at = (size_t)-1;
        }
    }
    tn_deflater_free(st);
    if (sync_at == (size_t)-1 && !((k >> 5) & 1)) FZ_CHECK(zl <= tn_deflate_bound(size));
    memset(&o, 0, sizeof o);
    o.format = d.format;
    o.window_bits = d.window_bits;
    o.max_output = size ? size : 1;
    {
        unsigned char *out = (unsigned char *)malloc(FZ_OUT_CAP);
        r = fz_inflate(&o, z, zl, 0, 0, out);
        FZ_CHECK(r.rc == TN_INFLATE_END && r.used == zl && r.made == size && memcmp(out, data, size) == 0);
        free(out);
    }
    free(z);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    unsigned sel;
    if (size < 1) return 0;
    sel = data[0];
    if (size - 1 > FZ_OUT_CAP / 2) size = FZ_OUT_CAP / 2 + 1;
    if (sel & 1) fz_roundtrip_mode(sel, data + 1, size - 1);
    else fz_inflate_mode(sel, data + 1, size - 1);
    return 0;
}

#include "fuzz_main.h"
