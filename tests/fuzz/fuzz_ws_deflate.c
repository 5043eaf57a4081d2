/* fuzz_ws_deflate.c: libFuzzer harness for WebSocket permessage-deflate (ws_deflate.c). The
   first input byte picks the options and a split point; the input up to the first newline is
   a Sec-WebSocket-Extensions value, the rest a compressed message payload.
   Invariants: negotiation never fails on anything but TN_ENOENT / TN_EWS_HANDSHAKE; an answer
   the server formats parses back to the same parameters and satisfies the client check for
   an offer the server could answer; the payload decompresses to the same bytes and result
   whole (capped at the message limit, never more held) and streamed in pieces, in one piece
   or two; and the payload itself compressed by a client's state decompresses back to it on
   the server's state, twice (context carried over). The connection state functions are the
   ws module's private ones, reached through the amalgamation. */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include "fuzz_check.h"

static tn_allocator g_libc;   /* the library's libc allocator (tn__allocator_resolve) */

typedef struct fz_sink {
    unsigned char *p;
    size_t len, cap;
    int lasts;
} fz_sink;

static int fz_take(void *user, const char *data, size_t len, int last) {
    fz_sink *s = (fz_sink *)user;
    if (s->len + len > s->cap) {
        s->cap = (s->len + len) * 2 + 64;
        s->p = (unsigned char *)realloc(s->p, s->cap);
        FZ_CHECK(s->p != NULL);
    }
    if (len) memcpy(s->p + s->len, data, len);
    s->len += len;
    s->lasts += last;
    return 0;
}

static void fz_negotiate(unsigned sel, const char *hv, size_t n, tn_ws_deflate_params *agreed, int *ok) {
    tn_http_header h;
    tn_ws_extension ex[8], back[2];
    tn_ws_deflate_params p, q;
    tn_ws_deflate_opts o;
    size_t ne = 0, nb = 0;
    char ans[128];
    int rc, len;
    memset(&o, 0, sizeof o);
    o.level = (int)(sel & 3) * 3;
    o.window_bits = sel & 4 ? 9 : 0;
    o.max_window_bits = sel & 8 ? 10 : 0;
    o.no_context_takeover = (sel >> 4) & 1;
    o.peer_no_context_takeover = (sel >> 5) & 1;
    h.name = tn_str_c("Sec-WebSocket-Extensions");
    h.value = tn_str_make(hv, n);
    rc = tn_ws_parse_extensions(&h, 1, ex, 8, &ne);
    if (rc != TN_OK && rc != TN_ELIMIT) return;
    /* as a client's answer */
    rc = tn_ws_deflate_check_response(&o, ex, ne, &p);
    FZ_CHECK(rc == TN_OK || rc == TN_ENOENT || rc == TN_EWS_HANDSHAKE);
    if (rc == TN_OK) FZ_CHECK(p.server_max_window_bits >= 8 && p.server_max_window_bits <= 15);
    /* as offers to a server */
    rc = tn_ws_deflate_negotiate(&o, ex, ne, &p);
    FZ_CHECK(rc == TN_OK || rc == TN_ENOENT);
    if (rc != TN_OK) return;
    len = tn_ws_deflate_format(&p, ans, sizeof ans);
    FZ_CHECK(len > 0 && (size_t)len == strlen(ans));
    h.value = tn_str_make(ans, (size_t)len);
    FZ_CHECK(tn_ws_parse_extensions(&h, 1, back, 2, &nb) == TN_OK && nb == 1);
    FZ_CHECK(tn_ws_deflate_parse(&back[0], &q) == TN_OK);
    FZ_CHECK(q.server_no_context_takeover == p.server_no_context_takeover);
    FZ_CHECK(q.client_no_context_takeover == p.client_no_context_takeover);
    FZ_CHECK(q.server_max_window_bits == p.server_max_window_bits);
    FZ_CHECK(q.client_max_window_bits == p.client_max_window_bits);
    *agreed = p;
    *ok = 1;
}

static int fz_inflate_whole(const tn_ws_deflate_params *p, const unsigned char *d, size_t n, size_t split,
                            uint64_t limit, fz_sink *out) {
    tn__ws_z *z;
    int rc;
    FZ_CHECK(tn__ws_z_new(&g_libc, NULL, p, 0, &z) == TN_OK);
    rc = tn__ws_z_inflate(z, (const char *)d, split, 1, split == n, 0, limit, NULL, NULL);
    if (rc == TN_OK && split < n) rc = tn__ws_z_inflate(z, (const char *)d + split, n - split, 0, 1, 0, limit, NULL, NULL);
    if (rc == TN_OK) {
        tn_str m = tn__ws_z_message(z);
        FZ_CHECK(m.len <= limit);
        fz_take(out, m.ptr, m.len, 1);
    }
    FZ_CHECK(tn__ws_z_memory(z) <= 64 * 1024 + 200 * 1024 + (limit + 1) + 4096 * 2);
    tn__ws_z_free(z);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const unsigned char *nl, *pay;
    tn_ws_deflate_params p;
    fz_sink whole, streamed;
    size_t n, split;
    uint64_t limit;
    unsigned sel;
    int ok = 0, rc1, rc2;
    if (size < 1) return 0;
    FZ_CHECK(tn__allocator_resolve(NULL, &g_libc) == TN_OK);
    sel = data[0];
    nl = (const unsigned char *)memchr(data + 1, '\n', size - 1);
    fz_negotiate(sel, (const char *)data + 1, nl ? (size_t)(nl - data - 1) : size - 1, &p, &ok);
    if (!ok) {
        memset(&p, 0, sizeof p);
        p.server_max_window_bits = p.client_max_window_bits = 15;
    }
    pay = nl ? nl + 1 : data + size;
    n = (size_t)(data + size - pay);
    split = n ? (size_t)sel * 7 % (n + 1) : 0;
    limit = sel & 0x40 ? 1000 : 1 << 20;
    memset(&whole, 0, sizeof whole);
    memset(&streamed, 0, sizeof streamed);
    rc1 = fz_inflate_whole(&p, pay, n, split, limit, &whole);
    FZ_CHECK(rc1 == TN_OK || rc1 == TN_EWS_TOO_BIG || rc1 == TN_EBAD_DEFLATE);
    {   /* the same, streamed in pieces */
        tn__ws_z *z;
        FZ_CHECK(tn__ws_z_new(&g_libc, NULL, &p, 0, &z) == TN_OK);
        rc2 = tn__ws_z_inflate(z, (const char *)pay, n, 1, 1, 0, limit, fz_take, &streamed);
        tn__ws_z_free(z);
        FZ_CHECK(rc2 == rc1);
        if (rc1 == TN_OK) {
            FZ_CHECK(streamed.lasts == 1 && streamed.len == whole.len);
            FZ_CHECK(whole.len == 0 || memcmp(whole.p, streamed.p, whole.len) == 0);
        }
    }
    {   /* the payload as a message: compressed by a client, decompressed by a server, twice */
        tn__ws_z *cz, *sz;
        tn_ws_deflate_opts co;
        int round;
        memset(&co, 0, sizeof co);
        co.level = 1 + (int)(sel % 9);
        FZ_CHECK(tn__ws_z_new(&g_libc, &co, &p, 1, &cz) == TN_OK);
        FZ_CHECK(tn__ws_z_new(&g_libc, NULL, &p, 0, &sz) == TN_OK);
        for (round = 0; round < 2; round++) {
            tn_str c, m;
            FZ_CHECK(tn__ws_z_deflate(cz, pay, n, 1, &c) == TN_OK);
            FZ_CHECK(tn__ws_z_inflate(sz, c.ptr, c.len, 1, 1, 0, UINT64_MAX, NULL, NULL) == TN_OK);
            m = tn__ws_z_message(sz);
            FZ_CHECK(m.len == n && (n == 0 || memcmp(m.ptr, pay, n) == 0));
            tn__ws_z_done(sz);
        }
        tn__ws_z_free(cz);
        tn__ws_z_free(sz);
    }
    free(whole.p);
    free(streamed.p);
    return 0;
}

#include "fuzz_main.h"
