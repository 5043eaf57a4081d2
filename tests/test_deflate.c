/* test_deflate.c: the deflate codec against zlib as the oracle (linked here only): round
   trips both ways (ours -> zlib, zlib -> ours) over random data, text, JSON, compressed data,
   runs and empty input at every level and window, in every format; streams split at every
   byte and output one byte at a time; sync flushes; corrupt, truncated and bomb inputs;
   checksums; memory figures and caller memory. Without zlib.h (zlib1g-dev) the cases that
   need the oracle skip. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"

#if defined(__has_include)
#  if __has_include(<zlib.h>)
#    include <zlib.h>
#    define HAVE_ZLIB 1
#  endif
#endif
#ifndef HAVE_ZLIB
#  define HAVE_ZLIB 0
#  if defined(_WIN32)
#    define NEED_ZLIB() TN_SKIP("no zlib for this Windows build (mingw-w64): the oracle runs in the Linux builds")
#  else
#    define NEED_ZLIB() TN_SKIP("zlib.h not found (apt-get install zlib1g-dev)")
#  endif
#else
#  define NEED_ZLIB() ((void)0)
#endif

/* ---- corpora ---- */
static uint32_t rng_state = 0x9e3779b9u;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

enum { C_EMPTY, C_RANDOM, C_TEXT, C_JSON, C_RUNS, C_SMALLALPHA, C_COMPRESSED, C_COUNT };
static const char *corpus_name[C_COUNT] = {"empty", "random", "text", "json", "runs", "smallalpha", "compressed"};

static size_t make_text(unsigned char *out, size_t n) {
    /* this file's own text, repeated: real source code */
    FILE *f = fopen(__FILE__, "rb");
    size_t len = 0;
    if (f) {
        len = fread(out, 1, n, f);
        fclose(f);
    }
    if (len == 0) {
        const char *s = "the quick brown fox jumps over the lazy dog; ";
        while (len < n) {
            size_t k = strlen(s) < n - len ? strlen(s) : n - len;
            memcpy(out + len, s, k);
            len += k;
        }
    }
    while (len < n) {
        size_t k = len < n - len ? len : n - len;
        memcpy(out + len, out, k);
        len += k;
    }
    return n;
}

static size_t make_json(unsigned char *out, size_t n) {
    static const char *names[] = {"alice", "bob", "carol", "dave", "erin"};
    size_t len = 0;
    int i = 0;
    char rec[200];
    while (len < n) {
        uint32_t r = rnd();
        int k = snprintf(rec, sizeof rec, "{\"id\":%d,\"name\":\"%s\",\"score\":%u.%02u,\"ok\":%s},", i++,
                         names[r % 5], r % 1000, (r >> 10) % 100, r & 1 ? "true" : "false");
        size_t m = (size_t)k < n - len ? (size_t)k : n - len;
        memcpy(out + len, rec, m);
        len += m;
    }
    return n;
}

/* corpus c of n bytes into out (out holds n bytes) */
static size_t make_corpus(int c, unsigned char *out, size_t n) {
    size_t i;
    switch (c) {
    case C_EMPTY: return 0;
    case C_RANDOM:
        for (i = 0; i < n; i++) out[i] = (unsigned char)rnd();
        return n;
    case C_TEXT: return make_text(out, n);
    case C_JSON: return make_json(out, n);
    case C_RUNS:
        for (i = 0; i < n;) {
            size_t run = 1 + rnd() % 300, k;
            unsigned char b = (unsigned char)(rnd() % 4);
            for (k = 0; k < run && i < n; k++) out[i++] = b;
        }
        return n;
    case C_SMALLALPHA:
        for (i = 0; i < n; i++) out[i] = (unsigned char)('a' + rnd() % 3);
        return n;
    default: {   /* already-compressed data: our level-6 output of text, then random-ish */
        unsigned char *t = (unsigned char *)malloc(n * 4 + 64), *z = (unsigned char *)malloc(tn_deflate_bound(n * 4) + 64);
        size_t zl = 0, m;
        make_text(t, n * 4);
        TN_OK_RC(tn_deflate_once(NULL, t, n * 4, z, tn_deflate_bound(n * 4) + 64, &zl));
        m = zl < n ? zl : n;
        memcpy(out, z, m);
        for (i = m; i < n; i++) out[i] = (unsigned char)rnd();
        free(t);
        free(z);
        return n;
    }
    }
}

/* ---- helpers ---- */
#if HAVE_ZLIB
static int zlib_wbits(int format, int wbits) {
    return format == TN_DEFLATE_RAW ? -wbits : format == TN_DEFLATE_GZIP ? wbits + 16 : wbits;
}

/* zlib decompress (any format), return 0 on success */
static int zlib_inflate_all(int format, const unsigned char *in, size_t n, unsigned char *out, size_t cap,
                            size_t *out_len) {
    z_stream z;
    int rc;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, zlib_wbits(format, 15)) != Z_OK) return -1;
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    rc = inflate(&z, Z_FINISH);
    *out_len = z.total_out;
    inflateEnd(&z);
    return rc == Z_STREAM_END && z.avail_in == 0 ? 0 : -1;
}

/* zlib compress with a format, level, window and memLevel */
static size_t zlib_deflate_all(int format, int level, int wbits, int memlevel, const unsigned char *in, size_t n,
                               unsigned char *out, size_t cap) {
    z_stream z;
    size_t len;
    memset(&z, 0, sizeof z);
    TN_EQ_INT(deflateInit2(&z, level, Z_DEFLATED, zlib_wbits(format, wbits), memlevel, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    TN_EQ_INT(deflate(&z, Z_FINISH), Z_STREAM_END);
    len = z.total_out;
    deflateEnd(&z);
    return len;
}
#endif

/* Our inflate of in, fed in pieces of `step` input bytes (0 = all) with out_cap bytes of output
   space per call; returns the last result and the output in out/out_len. */
static int ours_inflate(const tn_inflate_opts *o, const unsigned char *in, size_t n, size_t step, size_t out_cap,
                        unsigned char *out, size_t cap, size_t *out_len, size_t *used) {
    tn_inflater *st;
    size_t pos = 0, olen = 0;
    int rc = TN_OK;
    TN_OK_RC(tn_inflater_new(o, &st));
    for (;;) {
        size_t avail = n - pos, c = 0, p = 0, oc;
        if (step && avail > step) avail = step;
        oc = out_cap && out_cap < cap - olen ? out_cap : cap - olen;
        rc = tn_inflate(st, in + pos, avail, &c, out + olen, oc, &p);
        TN_CHECK(c <= avail && p <= oc);
        pos += c;
        olen += p;
        if (rc != TN_OK) break;
        if (c == 0 && p == 0) break;   /* no progress: truncated, or out of output space */
    }
    TN_EQ_UINT(tn_inflater_total_out(st), olen);
    tn_inflater_free(st);
    *out_len = olen;
    if (used) *used = pos;
    return rc;
}

/* Our deflate of in: input in pieces of `step` bytes (0 = all), output space out_cap per call
   (0 = all), a SYNC flush every `sync_every` input bytes (0 = never), then FINISH. */
static size_t ours_deflate(const tn_deflate_opts *o, const unsigned char *in, size_t n, size_t step, size_t out_cap,
                           size_t sync_every, unsigned char *out, size_t cap) {
    tn_deflater *st;
    size_t pos = 0, olen = 0, next_sync = sync_every ? sync_every : (size_t)-1;
    TN_OK_RC(tn_deflater_new(o, &st));
    for (;;) {
        size_t stop = n < next_sync ? n : next_sync, avail = stop - pos, c = 0, p = 0, oc;
        int flush = stop == n ? TN_DEFLATE_FINISH : TN_DEFLATE_SYNC, rc;
        if (step && avail > step) {
            avail = step;
            flush = TN_DEFLATE_NO_FLUSH;
        }
        oc = out_cap && out_cap < cap - olen ? out_cap : cap - olen;
        rc = tn_deflate(st, in + pos, avail, &c, out + olen, oc, &p, flush);
        TN_CHECK(rc >= 0);
        TN_CHECK(c <= avail && p <= oc);
        pos += c;
        olen += p;
        TN_CHECK(olen < cap);
        if (rc == TN_DEFLATE_DONE) {
            TN_EQ_UINT(pos, stop);
            if (flush == TN_DEFLATE_FINISH) break;
            TN_CHECK(olen >= 4 && memcmp(out + olen - 4, "\x00\x00\xff\xff", 4) == 0);
            next_sync += sync_every;
        }
    }
    tn_deflater_free(st);
    return olen;
}

/* ---- checksums ---- */
TN_TEST(checksums) {
    unsigned char buf[3000];
    size_t i, n;
    TN_EQ_UINT(tn_crc32(0, "123456789", 9), 0xcbf43926u);
    TN_EQ_UINT(tn_adler32(1, "Wikipedia", 9), 0x11e60398u);
    TN_EQ_UINT(tn_crc32(0, NULL, 0), 0);
    TN_EQ_UINT(tn_adler32(1, NULL, 0), 1);
    for (i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(rnd() >> 7);
    for (n = 0; n < sizeof buf; n += 1 + n / 7) {   /* split anywhere = one pass */
        size_t k = n / 3;
        TN_EQ_UINT(tn_crc32(tn_crc32(0, buf, k), buf + k, n - k), tn_crc32(0, buf, n));
        TN_EQ_UINT(tn_adler32(tn_adler32(1, buf, k), buf + k, n - k), tn_adler32(1, buf, n));
#if HAVE_ZLIB
        TN_EQ_UINT(tn_crc32(0, buf, n), crc32(0, buf, (uInt)n));
        TN_EQ_UINT(tn_adler32(1, buf, n), adler32(1, buf, (uInt)n));
#endif
    }
    /* Adler-32's deferred modulo at its worst: 0xff bytes, long */
    {
        unsigned char *ff = (unsigned char *)malloc(100000);
        memset(ff, 0xff, 100000);
#if HAVE_ZLIB
        TN_EQ_UINT(tn_adler32(1, ff, 100000), adler32(1, ff, 100000));
        TN_EQ_UINT(tn_adler32(0xfff0fff0u, ff, 99999), adler32(0xfff0fff0u, ff, 99999));
#endif
        free(ff);
    }
}

/* ---- zlib -> ours ---- */
TN_TEST(zlib_to_ours_all_levels_windows_formats) {
    size_t sizes[] = {0, 1, 100, 5000, 70000};
    size_t si, cap = 300000;
    unsigned char *in = (unsigned char *)malloc(cap), *z = (unsigned char *)malloc(cap * 2),
                  *out = (unsigned char *)malloc(cap);
    int c, level, wbits, format, cases = 0;
    NEED_ZLIB();
#if HAVE_ZLIB
    for (c = 0; c < C_COUNT; c++)
        for (si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            size_t n = make_corpus(c, in, c == C_EMPTY ? 0 : sizes[si]);
            for (format = TN_DEFLATE_ZLIB; format <= TN_DEFLATE_GZIP; format++)
                for (level = 0; level <= 9; level++)
                    for (wbits = 9; wbits <= 15; wbits += (n > 10000 ? 3 : 6)) {
                        size_t zl = zlib_deflate_all(format, level, wbits, 1 + (level + wbits) % 9, in, n, z, cap * 2);
                        size_t ol = 0, used = 0;
                        tn_inflate_opts o;
                        int rc;
                        memset(&o, 0, sizeof o);
                        o.format = (level & 1) && format != TN_DEFLATE_RAW ? TN_DEFLATE_AUTO : format;
                        o.window_bits = format == TN_DEFLATE_RAW ? wbits : 15;
                        rc = ours_inflate(&o, z, zl, 0, 0, out, cap, &ol, &used);
                        if (rc != TN_INFLATE_END) {   /* again, for the detail */
                            tn_inflater *st;
                            size_t c1, p1;
                            TN_OK_RC(tn_inflater_new(&o, &st));
                            tn_inflate(st, z, zl, &c1, out, cap, &p1);
                            printf("  detail: %s\n", tn_inflater_error(st));
                            tn_inflater_free(st);
                        }
                        TN_CHECKF(rc == TN_INFLATE_END && ol == n && memcmp(out, in, n) == 0 && used == zl,
                                  "%s n=%zu format %d level %d wbits %d mem %d: %s out %zu", corpus_name[c], n, format,
                                  level, wbits, 1 + (level + wbits) % 9, tn_err_name(rc), ol);
                        cases++;
                    }
            if (c == C_EMPTY) break;
        }
    TN_CHECK(cases > 500);
#endif
    free(in);
    free(z);
    free(out);
}

/* ---- ours -> zlib ---- */
TN_TEST(ours_to_zlib_all_levels_windows_formats) {
    size_t sizes[] = {0, 1, 3, 300, 20000, 150000};
    size_t si, cap = 200000;
    unsigned char *in = (unsigned char *)malloc(cap), *z = (unsigned char *)malloc(tn_deflate_bound(cap)),
                  *out = (unsigned char *)malloc(cap);
    int c, level, wbits, format, cases = 0;
    NEED_ZLIB();
#if HAVE_ZLIB
    for (c = 0; c < C_COUNT; c++)
        for (si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
            size_t n = make_corpus(c, in, c == C_EMPTY ? 0 : sizes[si]);
            for (level = 1; level <= 9; level++)
                for (wbits = 8; wbits <= 15; wbits += (n > 10000 ? 7 : 1)) {
                    tn_deflate_opts d;
                    tn_inflate_opts o;
                    size_t zl, ol = 0;
                    int rc;
                    format = (level + wbits) % 3;
                    memset(&d, 0, sizeof d);
                    d.format = format;
                    d.level = level;
                    d.window_bits = wbits;
                    zl = ours_deflate(&d, in, n, n > 1000 ? 777 : 0, 0, 0, z, tn_deflate_bound(cap));
                    TN_CHECKF(zl <= tn_deflate_bound(n), "bound %zu > %zu", zl, tn_deflate_bound(n));
                    TN_CHECKF(zlib_inflate_all(format, z, zl, out, cap, &ol) == 0 && ol == n &&
                                  memcmp(out, in, n) == 0,
                              "zlib rejects ours: %s n=%zu format %d level %d wbits %d", corpus_name[c], n, format,
                              level, wbits);
                    /* and ours with exactly that window accepts it (no distance beyond it) */
                    memset(&o, 0, sizeof o);
                    o.format = format;
                    o.window_bits = wbits;
                    rc = ours_inflate(&o, z, zl, 0, 0, out, cap, &ol, NULL);
                    TN_CHECKF(rc == TN_INFLATE_END && ol == n && memcmp(out, in, n) == 0, "ours: %s", tn_err_name(rc));
                    if (c == C_RANDOM && n > 1000) TN_CHECKF(zl <= n + n / 100 + 32, "random grew: %zu -> %zu", n, zl);
                    cases++;
                }
            if (c == C_EMPTY) break;
        }
    TN_CHECK(cases > 300);
#endif
    free(in);
    free(z);
    free(out);
}

/* the ratio is close to zlib's at the same level */
TN_TEST(ratio_vs_zlib) {
    size_t n = 200000, cap = tn_deflate_bound(n);
    unsigned char *in = (unsigned char *)malloc(n), *z = (unsigned char *)malloc(cap);
    int c, level;
    NEED_ZLIB();
#if HAVE_ZLIB
    for (c = C_TEXT; c <= C_JSON; c++) {
        make_corpus(c, in, n);
        for (level = 1; level <= 9; level++) {
            tn_deflate_opts d;
            size_t ours, theirs;
            memset(&d, 0, sizeof d);
            d.level = level;
            TN_OK_RC(tn_deflate_once(&d, in, n, z, cap, &ours));
            theirs = zlib_deflate_all(TN_DEFLATE_ZLIB, level, 15, 8, in, n, z, cap);
            TN_CHECKF(ours <= theirs + theirs / 20, "%s level %d: ours %zu zlib %zu", corpus_name[c], level, ours, theirs);
        }
    }
#endif
    free(in);
    free(z);
}

/* ---- streaming: every split, one byte of output at a time ---- */
TN_TEST(inflate_split_at_every_byte) {
    unsigned char in[600], z[1200], out[700], one[700];
    size_t n = make_corpus(C_TEXT, in, 400), zl = 0, k, ol;
    int format;
    for (format = TN_DEFLATE_ZLIB; format <= TN_DEFLATE_GZIP; format++) {
        tn_deflate_opts d;
        tn_inflate_opts o;
        memset(&d, 0, sizeof d);
        memset(&o, 0, sizeof o);
        d.format = o.format = format;
        TN_OK_RC(tn_deflate_once(&d, in, n, z, sizeof z, &zl));
        for (k = 0; k <= zl; k++) {   /* two pieces, split at k */
            tn_inflater *st;
            size_t c1 = 0, p1 = 0, c2 = 0, p2 = 0;
            int rc;
            TN_OK_RC(tn_inflater_new(&o, &st));
            rc = tn_inflate(st, z, k, &c1, out, sizeof out, &p1);
            TN_CHECK(rc == TN_OK || (rc == TN_INFLATE_END && k == zl));
            TN_EQ_UINT(c1, k);
            rc = tn_inflate(st, z + k, zl - k, &c2, out + p1, sizeof out - p1, &p2);
            TN_EQ_RC(rc, TN_INFLATE_END);
            TN_EQ_UINT(c2, zl - k);
            TN_EQ_UINT(p1 + p2, n);
            TN_EQ_MEM(out, in, n);
            tn_inflater_free(st);
        }
        /* one input byte at a time, one output byte at a time, both */
        TN_EQ_RC(ours_inflate(&o, z, zl, 1, 0, one, sizeof one, &ol, NULL), TN_INFLATE_END);
        TN_CHECK(ol == n && memcmp(one, in, n) == 0);
        TN_EQ_RC(ours_inflate(&o, z, zl, 0, 1, one, sizeof one, &ol, NULL), TN_INFLATE_END);
        TN_CHECK(ol == n && memcmp(one, in, n) == 0);
        TN_EQ_RC(ours_inflate(&o, z, zl, 1, 1, one, sizeof one, &ol, NULL), TN_INFLATE_END);
        TN_CHECK(ol == n && memcmp(one, in, n) == 0);
    }
}

/* the stored-block and match-over-history paths with tiny output pieces, zlib streams */
TN_TEST(inflate_small_pieces_zlib_streams) {
    size_t n = 100000, cap = n * 2, steps[] = {1, 7, 300, 4096};
    unsigned char *in = (unsigned char *)malloc(n), *z = (unsigned char *)malloc(cap), *out = (unsigned char *)malloc(n);
    int c, level, si;
    NEED_ZLIB();
#if HAVE_ZLIB
    for (c = C_RANDOM; c <= C_RUNS; c++) {
        make_corpus(c, in, n);
        for (level = 0; level <= 9; level += 3) {
            size_t zl = zlib_deflate_all(TN_DEFLATE_ZLIB, level, 15, 8, in, n, z, cap), ol;
            for (si = 0; si < 4; si++) {
                TN_EQ_RC(ours_inflate(NULL, z, zl, steps[3 - si], steps[si], out, n, &ol, NULL), TN_INFLATE_END);
                TN_CHECK(ol == n && memcmp(out, in, n) == 0);
            }
        }
    }
#endif
    free(in);
    free(z);
    free(out);
}

TN_TEST(deflate_split_every_byte_and_tiny_output) {
    unsigned char in[700], z[6000], out[800];   /* a sync flush after every byte: ~8 bytes each */
    size_t n = make_corpus(C_TEXT, in, 500), k, zl, ol;
    int level;
    for (level = 1; level <= 9; level += 4) {
        tn_deflate_opts d;
        memset(&d, 0, sizeof d);
        d.level = level;
        for (k = 1; k <= 9; k++) {   /* input pieces of k bytes, output k bytes per call */
            zl = ours_deflate(&d, in, n, k, k, 0, z, sizeof z);
            TN_EQ_RC(ours_inflate(NULL, z, zl, 0, 0, out, sizeof out, &ol, NULL), TN_INFLATE_END);
            TN_CHECK(ol == n && memcmp(out, in, n) == 0);
        }
        for (k = 0; k <= n; k += 1) {   /* two pieces split at k, sync flush at k */
            zl = ours_deflate(&d, in, n, 0, 0, k ? k : n, z, sizeof z);
            TN_EQ_RC(ours_inflate(NULL, z, zl, 0, 0, out, sizeof out, &ol, NULL), TN_INFLATE_END);
            TN_CHECK(ol == n && memcmp(out, in, n) == 0);
        }
    }
}

/* SYNC: after each flush, everything so far decodes (what permessage-deflate needs) */
TN_TEST(deflate_sync_flush_messages) {
    tn_deflater *st;
    tn_inflater *inf;
    tn_deflate_opts d;
    tn_inflate_opts o;
    unsigned char msg[3000], z[4000], out[4000];
    int i, wbits;
    for (wbits = 8; wbits <= 15; wbits += 7) {
        memset(&d, 0, sizeof d);
        memset(&o, 0, sizeof o);
        d.format = o.format = TN_DEFLATE_RAW;
        d.window_bits = o.window_bits = wbits;
        TN_OK_RC(tn_deflater_new(&d, &st));
        TN_OK_RC(tn_inflater_new(&o, &inf));
        for (i = 0; i < 60; i++) {
            size_t n = (size_t)(i % 7 == 0 ? 0 : rnd() % sizeof msg), c = 0, p = 0, c2 = 0, p2 = 0;
            make_corpus(i % 2 ? C_JSON : C_TEXT, msg, n);
            TN_EQ_RC(tn_deflate(st, msg, n, &c, z, sizeof z, &p, TN_DEFLATE_SYNC), TN_DEFLATE_DONE);
            TN_EQ_UINT(c, n);
            TN_CHECK(p >= 4 && memcmp(z + p - 4, "\x00\x00\xff\xff", 4) == 0);
            /* the receiver gets the message without the 4 bytes and adds them back */
            TN_EQ_RC(tn_inflate(inf, z, p, &c2, out, sizeof out, &p2), TN_OK);
            TN_EQ_UINT(c2, p);
            TN_EQ_UINT(p2, n);
            TN_EQ_MEM(out, msg, n);
        }
        tn_deflater_free(st);
        tn_inflater_free(inf);
    }
#if HAVE_ZLIB
    {   /* zlib sees the same */
        z_stream zs;
        size_t n = 2000, c = 0, p = 0;
        memset(&zs, 0, sizeof zs);
        make_corpus(C_TEXT, msg, n);
        memset(&d, 0, sizeof d);
        d.format = TN_DEFLATE_RAW;
        TN_OK_RC(tn_deflater_new(&d, &st));
        TN_EQ_RC(tn_deflate(st, msg, n, &c, z, sizeof z, &p, TN_DEFLATE_SYNC), TN_DEFLATE_DONE);
        TN_EQ_INT(inflateInit2(&zs, -15), Z_OK);
        zs.next_in = z;
        zs.avail_in = (uInt)p;
        zs.next_out = out;
        zs.avail_out = sizeof out;
        TN_EQ_INT(inflate(&zs, Z_SYNC_FLUSH), Z_OK);
        TN_EQ_UINT(zs.total_out, n);
        TN_EQ_MEM(out, msg, n);
        inflateEnd(&zs);
        tn_deflater_free(st);
    }
#endif
}

TN_TEST(deflate_finish_contract) {
    tn_deflater *st;
    unsigned char z[64];
    size_t c = 1, p = 1;
    TN_OK_RC(tn_deflater_new(NULL, &st));
    TN_EQ_RC(tn_deflate(st, NULL, 0, &c, z, sizeof z, &p, TN_DEFLATE_FINISH), TN_DEFLATE_DONE);
    /* an empty zlib stream, as zlib writes it */
    TN_EQ_UINT(p, 8);
    TN_EQ_MEM(z, "\x78\x9c\x03\x00\x00\x00\x00\x01", 8);
    TN_EQ_RC(tn_deflate(st, NULL, 0, &c, z, sizeof z, &p, TN_DEFLATE_FINISH), TN_DEFLATE_DONE);
    TN_EQ_UINT(p, 0);
    TN_EQ_RC(tn_deflate(st, "x", 1, &c, z, sizeof z, &p, TN_DEFLATE_NO_FLUSH), TN_EINVAL);
    TN_EQ_RC(tn_deflate(st, NULL, 0, &c, z, sizeof z, &p, 7), TN_EINVAL);
    tn_deflater_reset(st);
    TN_EQ_RC(tn_deflate(st, "x", 1, &c, z, sizeof z, &p, TN_DEFLATE_NO_FLUSH), TN_OK);
    TN_EQ_UINT(c, 1);
    tn_deflater_free(st);
    {
        size_t zl = 0;
        TN_EQ_RC(tn_deflate_once(NULL, "hello hello hello", 17, z, 5, &zl), TN_EBUFFER_FULL);
        TN_OK_RC(tn_deflate_once(NULL, "hello hello hello", 17, z, sizeof z, &zl));
    }
}

/* ---- corrupt, truncated, bombs ---- */
typedef struct bad_case {
    int format;
    const char *hex;
    int rc;
    const char *what;
} bad_case;

static size_t unhex(const char *h, unsigned char *out) {
    size_t n = 0;
    while (h[0] && h[1]) {
        unsigned v;
        if (h[0] == ' ') {
            h++;
            continue;
        }
        sscanf(h, "%2x", &v);
        out[n++] = (unsigned char)v;
        h += 2;
    }
    return n;
}

TN_TEST(inflate_corrupt_inputs) {
    static const bad_case cases[] = {
        {TN_DEFLATE_RAW, "07", TN_EBAD_DEFLATE, "invalid block type"},
        {TN_DEFLATE_RAW, "01 0500 0000 6161616161", TN_EBAD_DEFLATE, "invalid stored block lengths"},
        {TN_DEFLATE_ZLIB, "789d 0300 0000 0001", TN_EBAD_DEFLATE, "incorrect zlib header check"},
        {TN_DEFLATE_ZLIB, "7a10 0300", TN_EBAD_DEFLATE, "unknown compression method"},
        {TN_DEFLATE_ZLIB, "88 98 03 00", TN_EBAD_DEFLATE, "invalid window size in zlib header"},
        {TN_DEFLATE_ZLIB, "78bb 0300", TN_EBAD_DEFLATE, "preset dictionary not supported"},
        {TN_DEFLATE_ZLIB, "789c 0300 0000 0002", TN_EBAD_CHECKSUM, "Adler-32 mismatch"},
        {TN_DEFLATE_GZIP, "1f8c 0800 0000 0000 00ff 0300 0000 0000 0000 0000", TN_EBAD_DEFLATE, "not a gzip header"},
        {TN_DEFLATE_GZIP, "1f8b 0900 0000 0000 00ff 0300", TN_EBAD_DEFLATE, "unknown compression method"},
        {TN_DEFLATE_GZIP, "1f8b 0820 0000 0000 00ff 0300", TN_EBAD_DEFLATE, "reserved gzip flag set"},
        {TN_DEFLATE_GZIP, "1f8b 0800 0000 0000 00ff 0300 0100 0000 0000 0000", TN_EBAD_CHECKSUM, "CRC-32 mismatch"},
        {TN_DEFLATE_GZIP, "1f8b 0800 0000 0000 00ff 0300 0000 0000 0100 0000", TN_EBAD_CHECKSUM, "gzip length mismatch"},
        {TN_DEFLATE_GZIP, "1f8b 0802 0000 0000 00ff 0000 0300 0000 0000 0000 0000", TN_EBAD_CHECKSUM,
         "gzip header CRC mismatch"},
        /* fixed block: a length/distance pair first: distance 1 with no output yet */
        {TN_DEFLATE_RAW, "03 02", TN_EBAD_DEFLATE, "invalid distance too far back"},
        /* fixed block: literal/length symbol 286 (11000110) */
        {TN_DEFLATE_RAW, "1b 03", TN_EBAD_DEFLATE, "invalid literal/length code"},
        /* fixed block: 'a' then a match with distance code 30 */
        {TN_DEFLATE_RAW, "4b 04 3e 00 00", TN_EBAD_DEFLATE, "invalid distance code"},
        /* dynamic: HLIT 287 */
        {TN_DEFLATE_RAW, "f5 00 00 00 00", TN_EBAD_DEFLATE, "too many length or distance codes"},
        /* dynamic: three code length codes of one bit: over-subscribed */
        {TN_DEFLATE_RAW, "05 00 92 00 00 00", TN_EBAD_DEFLATE, "over-subscribed Huffman code"},
        /* dynamic: one code length code of length 1: incomplete */
        {TN_DEFLATE_RAW, "05 00 02 00 00 00", TN_EBAD_DEFLATE, "incomplete Huffman code"},
        /* dynamic: code lengths 16 (repeat) first */
        {TN_DEFLATE_RAW, "05 00 12 00 00 00", TN_EBAD_DEFLATE, "repeat with no first length"},
        /* dynamic: 258 zero lengths (two 18s): no end-of-block code */
        {TN_DEFLATE_RAW, "05 00 90 e0 7f 1b 00 00", TN_EBAD_DEFLATE, "missing end-of-block code"},
    };
    size_t i;
    unsigned char buf[64], out[256];
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tn_inflate_opts o;
        tn_inflater *st;
        size_t n = unhex(cases[i].hex, buf), c = 0, p = 0;
        int rc;
        memset(&o, 0, sizeof o);
        o.format = cases[i].format;
        TN_OK_RC(tn_inflater_new(&o, &st));
        rc = tn_inflate(st, buf, n, &c, out, sizeof out, &p);
        TN_CHECKF(rc == cases[i].rc, "case %zu (%s): %s, detail \"%s\"", i, cases[i].what, tn_err_name(rc),
                  tn_inflater_error(st));
        TN_CHECKF(strcmp(tn_inflater_error(st), cases[i].what) == 0, "case %zu: \"%s\" != \"%s\"", i,
                  tn_inflater_error(st), cases[i].what);
        /* sticky until reset */
        TN_EQ_RC(tn_inflate(st, buf, n, &c, out, sizeof out, &p), cases[i].rc);
        tn_inflater_reset(st);
        TN_EQ_INT(tn_inflater_error(st)[0], 0);
        tn_inflater_free(st);
    }
}

TN_TEST(inflate_truncated_every_prefix) {
    unsigned char in[3000], z[4000], out[3000];
    size_t n = make_corpus(C_JSON, in, 2000), zl = 0, k, ol;
    int format;
    for (format = TN_DEFLATE_ZLIB; format <= TN_DEFLATE_GZIP; format++) {
        tn_inflate_opts o;
        tn_deflate_opts d;
        memset(&o, 0, sizeof o);
        memset(&d, 0, sizeof d);
        o.format = d.format = format;
        TN_OK_RC(tn_deflate_once(&d, in, n, z, sizeof z, &zl));
        for (k = 0; k < zl; k++) {
            TN_EQ_RC(tn_inflate_once(&o, z, k, out, sizeof out, &ol), TN_EINCOMPLETE);
            TN_CHECK(ol <= n && memcmp(out, in, ol) == 0);
        }
        TN_OK_RC(tn_inflate_once(&o, z, zl, out, sizeof out, &ol));
        TN_EQ_UINT(ol, n);
        TN_EQ_RC(tn_inflate_once(&o, z, zl, out, n - 1, &ol), TN_EBUFFER_FULL);
        /* trailing bytes after the stream */
        z[zl] = 0;
        TN_EQ_RC(tn_inflate_once(&o, z, zl + 1, out, sizeof out, &ol), TN_EBAD_DEFLATE);
    }
}

/* random damage never crashes or over-reads (ASan), and checksummed formats notice */
TN_TEST(inflate_random_corruption) {
    unsigned char in[5000], z[6000], bad[6000], out[20000];
    size_t n = make_corpus(C_TEXT, in, sizeof in), zl = 0, ol;
    int i, format, noticed = 0, total = 0;
    for (format = TN_DEFLATE_ZLIB; format <= TN_DEFLATE_GZIP; format++) {
        tn_inflate_opts o;
        tn_deflate_opts d;
        memset(&o, 0, sizeof o);
        memset(&d, 0, sizeof d);
        o.format = d.format = format;
        TN_OK_RC(tn_deflate_once(&d, in, n, z, sizeof z, &zl));
        for (i = 0; i < 2000; i++) {
            int flips = 1 + (int)(rnd() % 3), f, rc;
            memcpy(bad, z, zl);
            for (f = 0; f < flips; f++) bad[rnd() % zl] ^= (unsigned char)(1u << (rnd() % 8));
            rc = tn_inflate_once(&o, bad, zl, out, sizeof out, &ol);
            TN_CHECK(rc == TN_OK || rc == TN_EBAD_DEFLATE || rc == TN_EBAD_CHECKSUM || rc == TN_EINCOMPLETE ||
                     rc == TN_EBUFFER_FULL);
            if (format != TN_DEFLATE_RAW) {
                total++;
                noticed += rc != TN_OK || (ol == n && memcmp(out, in, n) == 0);
            }
        }
    }
    TN_EQ_INT(noticed, total);
}

TN_TEST(inflate_bomb_stops_at_cap) {
    size_t n = 20u << 20, zl = 0, total = 0;
    unsigned char *zeros = (unsigned char *)calloc(1, n), *z = (unsigned char *)malloc(n / 100), *out;
    tn_inflate_opts o;
    tn_inflater *st;
    tn_deflate_opts d;
    int rc;
    memset(&d, 0, sizeof d);
    d.level = 9;
    TN_OK_RC(tn_deflate_once(&d, zeros, n, z, n / 100, &zl));
    TN_CHECKF(zl < n / 500, "20 MiB of zeros compressed to %zu", zl);
    free(zeros);
    out = (unsigned char *)malloc(65536);
    memset(&o, 0, sizeof o);
    o.max_output = 1u << 20;
    TN_OK_RC(tn_inflater_new(&o, &st));
    {
        size_t pos = 0;
        for (;;) {
            size_t c = 0, p = 0;
            rc = tn_inflate(st, z + pos, zl - pos, &c, out, 65536, &p);
            pos += c;
            total += p;
            if (rc != TN_OK) break;
        }
    }
    TN_EQ_RC(rc, TN_ELIMIT);
    TN_EQ_UINT(total, 1u << 20);
    TN_EQ_UINT(tn_inflater_total_out(st), 1u << 20);
    tn_inflater_free(st);
    /* the default cap (100 MiB) is below 20 MiB? no: it decodes; a 1 MiB cap in one shot */
    {
        unsigned char *big = (unsigned char *)malloc(n);
        size_t ol = 0;
        TN_EQ_RC(tn_inflate_once(&o, z, zl, big, n, &ol), TN_ELIMIT);
        TN_EQ_UINT(ol, 1u << 20);
        o.max_output = n;   /* exactly the size: fine */
        TN_OK_RC(tn_inflate_once(&o, z, zl, big, n, &ol));
        TN_EQ_UINT(ol, n);
        free(big);
    }
    free(out);
    free(z);
}

/* ---- gzip details ---- */
TN_TEST(gzip_header_fields_and_members) {
    unsigned char in[1000], z[3000], out[2000];
    size_t n = make_corpus(C_TEXT, in, sizeof in), zl, ol, used;
    tn_inflate_opts o;
    NEED_ZLIB();
#if HAVE_ZLIB
    {
        z_stream zs;
        gz_header h;
        static unsigned char extra[] = "extra-field";
        memset(&zs, 0, sizeof zs);
        memset(&h, 0, sizeof h);
        h.text = 1;
        h.time = 12345;
        h.name = (Bytef *)"name.txt";
        h.comment = (Bytef *)"a comment";
        h.extra = extra;
        h.extra_len = sizeof extra;
        h.hcrc = 1;
        TN_EQ_INT(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
        TN_EQ_INT(deflateSetHeader(&zs, &h), Z_OK);
        zs.next_in = in;
        zs.avail_in = (uInt)n;
        zs.next_out = z;
        zs.avail_out = sizeof z;
        TN_EQ_INT(deflate(&zs, Z_FINISH), Z_STREAM_END);
        zl = zs.total_out;
        deflateEnd(&zs);
    }
    memset(&o, 0, sizeof o);
    o.format = TN_DEFLATE_GZIP;
    TN_EQ_RC(ours_inflate(&o, z, zl, 1, 0, out, sizeof out, &ol, NULL), TN_INFLATE_END);   /* header byte by byte */
    TN_CHECK(ol == n && memcmp(out, in, n) == 0);
    o.format = TN_DEFLATE_AUTO;
    TN_OK_RC(tn_inflate_once(&o, z, zl, out, sizeof out, &ol));
    /* a damaged header CRC */
    z[20] ^= 1;   /* inside the name */
    o.format = TN_DEFLATE_GZIP;
    TN_EQ_RC(tn_inflate_once(&o, z, zl, out, sizeof out, &ol), TN_EBAD_CHECKSUM);
    z[20] ^= 1;
    /* two members: the first ends the stream, the rest is left unconsumed */
    memcpy(z + zl, z, zl);
    TN_EQ_RC(ours_inflate(&o, z, 2 * zl, 0, 0, out, sizeof out, &ol, &used), TN_INFLATE_END);
    TN_EQ_UINT(used, zl);
    TN_EQ_UINT(ol, n);
#endif
}

/* ---- memory ---- */
TN_TEST(memory_figures_and_caller_memory) {
    tn_deflate_opts d;
    tn_inflate_opts o;
    int w;
    memset(&d, 0, sizeof d);
    memset(&o, 0, sizeof o);
    for (w = 8; w <= 15; w++) {
        o.window_bits = w;
        printf("  inflater bytes, window %d: %zu\n", w, tn_inflater_size(&o));
    }
    for (w = 8; w <= 15; w++) {
        d.window_bits = w;
        printf("  deflater bytes, window %d: %zu\n", w, tn_deflater_size(&d));
    }
    d.window_bits = 15;
    TN_CHECK(tn_deflater_size(&d) < 200 * 1024);   /* zlib's default: about 268 KiB */
    TN_CHECK(tn_inflater_size(NULL) < 48 * 1024);
    d.window_bits = 8;
    TN_CHECK(tn_deflater_size(&d) < 8 * 1024);
    d.window_bits = 16;
    TN_EQ_UINT(tn_deflater_size(&d), 0);
    d.window_bits = 0;
    d.level = 10;
    TN_EQ_UINT(tn_deflater_size(&d), 0);
    d.level = 0;
    o.format = 9;
    TN_EQ_UINT(tn_inflater_size(&o), 0);
    o.format = 0;
    o.window_bits = 0;
    {   /* caller memory at an odd address, and too small */
        size_t dn = tn_deflater_size(NULL), in_n = tn_inflater_size(NULL), zl, ol, c, p;
        unsigned char *dm = (unsigned char *)malloc(dn + 1), *im = (unsigned char *)malloc(in_n + 1);
        unsigned char msg[] = "caller memory caller memory caller memory", z[100], out[100];
        tn_deflater *ds;
        tn_inflater *is;
        TN_EQ_RC(tn_deflater_init(dm + 1, dn - 1, NULL, &ds), TN_EINVAL);
        TN_EQ_RC(tn_inflater_init(im + 1, in_n - 1, NULL, &is), TN_EINVAL);
        TN_OK_RC(tn_deflater_init(dm + 1, dn, NULL, &ds));
        TN_OK_RC(tn_inflater_init(im + 1, in_n, NULL, &is));
        TN_EQ_RC(tn_deflate(ds, msg, sizeof msg, &c, z, sizeof z, &zl, TN_DEFLATE_FINISH), TN_DEFLATE_DONE);
        TN_EQ_RC(tn_inflate(is, z, zl, &c, out, sizeof out, &ol), TN_INFLATE_END);
        TN_EQ_UINT(ol, sizeof msg);
        TN_EQ_MEM(out, msg, sizeof msg);
        (void)p;
        tn_deflater_free(ds);   /* nothing to free: ignored */
        tn_inflater_free(is);
        free(dm);
        free(im);
    }
}

/* one allocation at new, none per call, freed at free; allocation failure is TN_ENOMEM */
TN_TEST(allocator_once_per_state) {
    counting_alloc ca;
    tn_allocator a;
    tn_deflate_opts d;
    tn_inflate_opts o;
    tn_deflater *ds;
    tn_inflater *is;
    unsigned char in[20000], z[25000], out[20000];
    size_t n = make_corpus(C_TEXT, in, sizeof in), pos = 0, zl = 0, ol = 0;
    memset(&ca, 0, sizeof ca);
    a = tn_test_counting(&ca);
    memset(&d, 0, sizeof d);
    memset(&o, 0, sizeof o);
    d.allocator = &a;
    o.allocator = &a;
    TN_OK_RC(tn_deflater_new(&d, &ds));
    TN_OK_RC(tn_inflater_new(&o, &is));
    TN_EQ_INT(ca.total, 2);
    while (pos < n) {
        size_t c = 0, p = 0, k = n - pos < 1000 ? n - pos : 1000;
        TN_CHECK(tn_deflate(ds, in + pos, k, &c, z + zl, sizeof z - zl, &p,
                            pos + k == n ? TN_DEFLATE_FINISH : TN_DEFLATE_NO_FLUSH) >= 0);
        pos += c;
        zl += p;
    }
    {
        size_t c = 0;
        TN_EQ_RC(tn_inflate(is, z, zl, &c, out, sizeof out, &ol), TN_INFLATE_END);
    }
    TN_EQ_UINT(ol, n);
    TN_EQ_INT(ca.total, 2);
    tn_deflater_free(ds);
    tn_inflater_free(is);
    TN_EQ_INT(ca.live, 0);
    ca.fail_after = 1;
    TN_EQ_RC(tn_deflater_new(&d, &ds), TN_ENOMEM);
    ca.fail_after = 1;
    TN_EQ_RC(tn_inflater_new(&o, &is), TN_ENOMEM);
    ca.fail_after = 1;
    TN_EQ_RC(tn_deflate_once(&d, in, 10, z, sizeof z, &zl), TN_ENOMEM);
    TN_EQ_INT(ca.live, 0);
}

/* ---- the fast decode loop's corners ---- */
/* Data shaped to reach every path of the fast loop. Steep: literals from a steep distribution
   (rare bytes get codes longer than the 10-bit primary table: subtables), repeats mostly at
   distances 1..8 (the byte-run and short-period copies) or near, lengths up to 258 (copies past
   the 32 bytes done at once). Otherwise: random literals (so only the repeats made here match)
   and a rare far repeat among many near ones (distance codes longer than the 8-bit primary
   table). */
TN_TEST_UNUSED static size_t make_edgy(unsigned char *out, size_t n, int steep) {
    size_t i = 0, k;
    while (i < n) {
        uint32_t r = rnd() % 1000;
        if (i < 16 || r < 300) {
            uint32_t u = 1 + rnd() % 65535, sym = 65536 / u - 1;   /* P(sym >= s) ~ 1/(s+1) */
            out[i++] = (unsigned char)(!steep ? rnd() : sym > 255 ? 255 : sym);
        } else {
            size_t len = 3 + (rnd() % 8 == 0 ? rnd() % 256 : rnd() % 12), dist;
            if (!steep && r < 303) dist = 1 + rnd() % (1u << (1 + rnd() % 15));
            else if (steep && r < 700) dist = 1 + rnd() % 8;
            else dist = 9 + rnd() % 56;
            if (dist > i) dist = i;
            for (k = 0; k < len && i < n; k++, i++) out[i] = out[i - dist];
        }
    }
    return n;
}

TN_TEST(inflate_fast_loop_corners) {
    size_t n = 300000, cap = n + n / 2 + 1024, outs[] = {0, 300, 777, 4099, 33000}, steps[] = {0, 1000, 17};
    unsigned char *in = (unsigned char *)malloc(n), *z = (unsigned char *)malloc(cap), *out = (unsigned char *)malloc(n);
    int level, strategy, oi, si, cases = 0;
    NEED_ZLIB();
#if HAVE_ZLIB
    for (strategy = 0; strategy < 4; strategy++)   /* default (both data), Z_RLE (distance 1 only), Z_FIXED */
        for (level = 1; level <= 9; level += 4) {
            z_stream zs;
            size_t zl, ol;
            rng_state = 0x9e3779b9u;
            make_edgy(in, n, strategy != 3);
            memset(&zs, 0, sizeof zs);
            TN_EQ_INT(deflateInit2(&zs, level, Z_DEFLATED, 15, 9,
                                   strategy == 1 ? Z_RLE : strategy == 2 ? Z_FIXED : Z_DEFAULT_STRATEGY), Z_OK);
            zs.next_in = in;
            zs.avail_in = (uInt)n;
            zs.next_out = z;
            zs.avail_out = (uInt)cap;
            TN_EQ_INT(deflate(&zs, Z_FINISH), Z_STREAM_END);
            zl = zs.total_out;
            deflateEnd(&zs);
            for (oi = 0; oi < 5; oi++)
                for (si = 0; si < 3; si++) {   /* output pieces: matches reach into the history */
                    TN_EQ_RC(ours_inflate(NULL, z, zl, steps[si], outs[oi], out, n, &ol, NULL), TN_INFLATE_END);
                    TN_CHECKF(ol == n && memcmp(out, in, n) == 0, "strategy %d level %d out %zu step %zu", strategy, level,
                              outs[oi], steps[si]);
                    cases++;
                }
        }
    TN_CHECK(cases == 180);
    {   /* errors found inside the fast loop: distances past the start of the stream (a raw
           stream made with a preset dictionary, decoded without it), and past the window */
        static const char dict[] = "the dictionary: words the stream refers back to, far more than sixteen bytes";
        tn_inflate_opts o;
        tn_inflater *st;
        z_stream zs;
        size_t zl, c, p;
        memset(&zs, 0, sizeof zs);
        TN_EQ_INT(deflateInit2(&zs, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
        TN_EQ_INT(deflateSetDictionary(&zs, (const Bytef *)dict, (uInt)strlen(dict)), Z_OK);
        zs.next_in = (Bytef *)(uintptr_t)dict;
        zs.avail_in = (uInt)strlen(dict);
        zs.next_out = z;
        zs.avail_out = (uInt)cap;
        TN_EQ_INT(deflate(&zs, Z_FINISH), Z_STREAM_END);
        zl = zs.total_out;
        deflateEnd(&zs);
        TN_CHECK(zl < 16);   /* a few matches into the dictionary */
        memset(&o, 0, sizeof o);
        o.format = TN_DEFLATE_RAW;
        memset(z + zl, 0, 64);   /* padding: the fast loop wants 16 input bytes */
        TN_OK_RC(tn_inflater_new(&o, &st));
        TN_EQ_RC(tn_inflate(st, z, zl + 64, &c, out, n, &p), TN_EBAD_DEFLATE);
        TN_CHECK(strcmp(tn_inflater_error(st), "invalid distance too far back") == 0);
        tn_inflater_free(st);
        /* the edgy data has distances up to 32 KiB: a 1 KiB window refuses them */
        make_edgy(in, n, 0);
        zl = zlib_deflate_all(TN_DEFLATE_RAW, 6, 15, 8, in, n, z, cap);
        o.window_bits = 10;
        TN_OK_RC(tn_inflater_new(&o, &st));
        TN_EQ_RC(tn_inflate(st, z, zl, &c, out, n, &p), TN_EBAD_DEFLATE);
        TN_CHECK(strcmp(tn_inflater_error(st), "invalid distance too far back") == 0);
        TN_CHECK(p > 1024 && p < n && memcmp(out, in, p) == 0);   /* right up to the bad match */
        tn_inflater_free(st);
    }
#endif
    free(in);
    free(z);
    free(out);
}

TN_TESTS(TN_CASE(checksums), TN_CASE_T(zlib_to_ours_all_levels_windows_formats, 300),
         TN_CASE_T(ours_to_zlib_all_levels_windows_formats, 300), TN_CASE(ratio_vs_zlib),
         TN_CASE(inflate_split_at_every_byte), TN_CASE_T(inflate_small_pieces_zlib_streams, 200),
         TN_CASE_T(deflate_split_every_byte_and_tiny_output, 200), TN_CASE(deflate_sync_flush_messages),
         TN_CASE(deflate_finish_contract), TN_CASE(inflate_corrupt_inputs), TN_CASE(inflate_truncated_every_prefix),
         TN_CASE(inflate_random_corruption), TN_CASE(inflate_bomb_stops_at_cap), TN_CASE(gzip_header_fields_and_members),
         TN_CASE(memory_figures_and_caller_memory), TN_CASE(allocator_once_per_state),
         TN_CASE_T(inflate_fast_loop_corners, 200))
