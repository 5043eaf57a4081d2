/* test_ws.c: the WebSocket codec: every length encoding, masking (SSE2 and scalar against a
   byte loop at every alignment, length and phase), every split point of a frame sequence
   (in place and into caller memory), each protocol error, message size, UTF-8 across
   fragments, close payloads, frame writing, and the handshake helpers (RFC 6455 vectors,
   400/426/403 cases, subprotocols, extensions, client key and response). */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include "tn_test_client.h"

static const unsigned char KEY[4] = {0x37, 0xfa, 0x21, 0x3d};

/* ---- building frames ---- */

typedef struct wbuf {
    unsigned char *p;
    size_t len, cap;
} wbuf;

static void wb_put(wbuf *b, const void *data, size_t n) {
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = (unsigned char *)realloc(b->p, b->cap);
        TN_CHECK(b->p != NULL);
    }
    if (n) memcpy(b->p + b->len, data, n);
    b->len += n;
}

/* A valid frame through the public writer; masked with KEY when `masked`. */
static void put_frame(wbuf *b, int fin, unsigned rsv, int opcode, int masked, const void *payload, size_t n) {
    tn_ws_frame f;
    char head[TN_WS_MAX_HEADER];
    int h;
    memset(&f, 0, sizeof f);
    f.fin = fin;
    f.rsv = rsv;
    f.opcode = opcode;
    f.masked = masked;
    memcpy(f.mask, KEY, 4);
    f.length = n;
    h = tn_ws_write_header(head, sizeof head, &f);
    TN_CHECKF(h > 0, "write_header: %s", tn_err_name(h));
    TN_EQ_UINT((size_t)h, tn_ws_header_size(n, masked));
    wb_put(b, head, (size_t)h);
    wb_put(b, payload, n);
    if (masked) tn_ws_mask((char *)b->p + b->len - n, n, KEY, 0);
}

/* Raw header bytes (for frames the writer refuses): b0, b1, then extra bytes. */
static void put_raw(wbuf *b, const unsigned char *bytes, size_t n) { wb_put(b, bytes, n); }

/* ---- a transcript of what the parser delivered ---- */

typedef struct tlog {
    wbuf out;            /* "D<op>r<rsv>:<len>:" message "|" and "C<op>:<len>:" payload "|" */
    wbuf msg;            /* the data message being reassembled */
    int rc;              /* TN_EINCOMPLETE at the end, or the error */
    int frame_open;      /* a data frame's FRAME_START was seen, its FRAME_END not yet */
    uint64_t next_off;   /* expected ev.offset of the next piece of the open frame */
    int events;
} tlog;

static void tlog_free(tlog *L) {
    free(L->out.p);
    free(L->msg.p);
    memset(L, 0, sizeof *L);
}

static void tlog_event(tlog *L, const tn_ws_event *ev) {
    char tag[64];
    L->events++;
    TN_EQ_UINT(ev->offset + ev->data.len <= ev->frame.length, 1);
    if (ev->frame.opcode & 8) {
        TN_EQ_UINT(ev->flags, TN_WS_EV_FRAME_START | TN_WS_EV_FRAME_END | TN_WS_EV_MESSAGE_END);
        TN_EQ_UINT(ev->data.len, ev->frame.length);
        TN_EQ_INT(ev->opcode, ev->frame.opcode);
        snprintf(tag, sizeof tag, "C%d:%u:", ev->opcode, (unsigned)ev->data.len);
        wb_put(&L->out, tag, strlen(tag));
        wb_put(&L->out, ev->data.ptr, ev->data.len);
        wb_put(&L->out, "|", 1);
        return;
    }
    if (ev->flags & TN_WS_EV_FRAME_START) {
        TN_CHECK(!L->frame_open);
        TN_EQ_UINT(ev->offset, 0);
        L->frame_open = 1;
        L->next_off = 0;
    }
    TN_CHECK(L->frame_open);
    TN_EQ_UINT(ev->offset, L->next_off);
    TN_EQ_UINT(ev->message_offset, L->msg.len);
    TN_CHECK(ev->opcode == TN_WS_TEXT || ev->opcode == TN_WS_BINARY);
    L->next_off += ev->data.len;
    wb_put(&L->msg, ev->data.ptr, ev->data.len);
    if (ev->flags & TN_WS_EV_FRAME_END) {
        TN_EQ_UINT(L->next_off, ev->frame.length);
        L->frame_open = 0;
    } else {
        TN_CHECK(!(ev->flags & TN_WS_EV_MESSAGE_END));
    }
    if (ev->flags & TN_WS_EV_MESSAGE_END) {
        TN_CHECK(ev->frame.fin);
        snprintf(tag, sizeof tag, "D%dr%u:%u:", ev->opcode, ev->rsv, (unsigned)L->msg.len);
        wb_put(&L->out, tag, strlen(tag));
        wb_put(&L->out, L->msg.p, L->msg.len);
        wb_put(&L->out, "|", 1);
        L->msg.len = 0;
    }
}

/* Feed s[0..n) to a parser configured like `proto`, cut at cuts[0..ncuts) (ascending).
   cap == 0: tn_ws_parse in place; else tn_ws_parse_into with an output buffer of cap bytes. */
static void run_cuts(const tn_ws_parser *proto, const unsigned char *s, size_t n, const size_t *cuts, size_t ncuts,
                     size_t cap, tlog *L) {
    tn_ws_parser p = *proto;
    unsigned char *work = (unsigned char *)malloc(n + 1);
    char *out = (char *)malloc(cap + 1);
    size_t start = 0, k;
    memcpy(work, s, n);
    L->rc = TN_EINCOMPLETE;
    for (k = 0; k <= ncuts; k++) {
        size_t end = k < ncuts ? cuts[k] : n, pos = start;
        for (;;) {
            tn_ws_event ev;
            int rc;
            memset(&ev, 0xa5, sizeof ev);
            if (cap == 0) rc = tn_ws_parse(&p, (char *)work + pos, end - pos, &ev);
            else rc = tn_ws_parse_into(&p, (const char *)work + pos, end - pos, out, cap, &ev);
            if (rc == TN_EINCOMPLETE) break;
            if (rc < 0) {
                L->rc = rc;
                TN_EQ_RC(cap == 0 ? tn_ws_parse(&p, (char *)work, 1, &ev)
                                  : tn_ws_parse_into(&p, (const char *)work, 1, out, cap, &ev), rc);   /* sticky */
                goto done;
            }
            TN_CHECK(rc > 0 && (size_t)rc <= end - pos);
            if (cap && !(ev.frame.opcode & 8)) TN_CHECK(ev.data.len <= cap && ev.data.ptr == out);
            tlog_event(L, &ev);
            pos += (size_t)rc;
        }
        start = end;
    }
done:
    free(work);
    free(out);
}

static void run_whole(const tn_ws_parser *proto, const unsigned char *s, size_t n, tlog *L) {
    run_cuts(proto, s, n, NULL, 0, 0, L);
}

static int parse_rc(const tn_ws_parser *proto, const wbuf *b) {
    tlog L;
    int rc;
    memset(&L, 0, sizeof L);
    run_whole(proto, b->p, b->len, &L);
    rc = L.rc;
    tlog_free(&L);
    return rc;
}

/* The same result fed whole, byte by byte, and in place vs into 3-byte memory. */
static int parse_rc_all_ways(const tn_ws_parser *proto, const wbuf *b) {
    tlog A, B, C;
    size_t *cuts = (size_t *)malloc((b->len + 1) * sizeof *cuts), i;
    int rc;
    memset(&A, 0, sizeof A);
    memset(&B, 0, sizeof B);
    memset(&C, 0, sizeof C);
    for (i = 1; i < b->len; i++) cuts[i - 1] = i;
    run_whole(proto, b->p, b->len, &A);
    run_cuts(proto, b->p, b->len, cuts, b->len ? b->len - 1 : 0, 0, &B);
    run_cuts(proto, b->p, b->len, NULL, 0, 3, &C);
    TN_EQ_RC(B.rc, A.rc);
    TN_EQ_RC(C.rc, A.rc);
    TN_CHECK(A.out.len == B.out.len && (A.out.len == 0 || memcmp(A.out.p, B.out.p, A.out.len) == 0));
    TN_CHECK(A.out.len == C.out.len && (A.out.len == 0 || memcmp(A.out.p, C.out.p, A.out.len) == 0));
    rc = A.rc;
    tlog_free(&A);
    tlog_free(&B);
    tlog_free(&C);
    free(cuts);
    return rc;
}

static tn_ws_parser server_parser(void) {
    tn_ws_parser p;
    memset(&p, 0, sizeof p);
    return p;
}

static tn_ws_parser client_parser(void) {
    tn_ws_parser p = server_parser();
    p.role = TN_WS_CLIENT;
    return p;
}

/* ---- tests ---- */

TN_TEST(length_encodings) {
    static const uint64_t lens[] = {0, 1, 125, 126, 127, 200, 65535, 65536, 70000};
    static const size_t heads[] = {2, 2, 2, 4, 4, 4, 4, 10, 10};
    size_t i;
    for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        int masked;
        for (masked = 0; masked < 2; masked++) {
            tn_ws_parser p = masked ? server_parser() : client_parser();
            unsigned char *payload = (unsigned char *)malloc((size_t)lens[i] + 1);
            wbuf b = {0, 0, 0};
            tn_ws_event ev;
            size_t j;
            int rc;
            for (j = 0; j < lens[i]; j++) payload[j] = (unsigned char)(j * 7 + 3);
            put_frame(&b, 1, 0, TN_WS_BINARY, masked, payload, (size_t)lens[i]);
            TN_EQ_UINT(b.len, heads[i] + (masked ? 4 : 0) + lens[i]);
            /* the length bytes as RFC 6455 §5.2 lays them out */
            if (heads[i] == 2) TN_EQ_UINT(b.p[1] & 0x7f, lens[i]);
            if (heads[i] == 4) {
                TN_EQ_UINT(b.p[1] & 0x7f, 126);
                TN_EQ_UINT(((unsigned)b.p[2] << 8) | b.p[3], lens[i]);
            }
            if (heads[i] == 10) {
                TN_EQ_UINT(b.p[1] & 0x7f, 127);
                TN_EQ_UINT(b.p[2] | b.p[3] | b.p[4] | b.p[5], 0);
                TN_EQ_UINT(((uint64_t)b.p[6] << 24) | ((uint64_t)b.p[7] << 16) | ((uint64_t)b.p[8] << 8) | b.p[9],
                           lens[i]);
            }
            TN_EQ_UINT((b.p[1] & 0x80) != 0, masked);
            rc = tn_ws_parse(&p, (char *)b.p, b.len, &ev);
            TN_EQ_INT(rc, (int)b.len);
            TN_EQ_UINT(ev.frame.length, lens[i]);
            TN_EQ_INT(ev.frame.fin, 1);
            TN_EQ_INT(ev.frame.opcode, TN_WS_BINARY);
            TN_EQ_INT(ev.frame.masked, masked);
            if (masked) TN_EQ_MEM(ev.frame.mask, KEY, 4);
            TN_EQ_UINT(ev.flags, TN_WS_EV_FRAME_START | TN_WS_EV_FRAME_END | TN_WS_EV_MESSAGE_END);
            TN_EQ_UINT(ev.data.len, lens[i]);
            TN_CHECK(lens[i] == 0 || memcmp(ev.data.ptr, payload, (size_t)lens[i]) == 0);
            TN_CHECK(lens[i] == 0 || ev.data.ptr == (const char *)b.p + heads[i] + (masked ? 4 : 0));   /* in place */
            TN_EQ_RC(tn_ws_parse(&p, (char *)b.p, 0, &ev), TN_EINCOMPLETE);
            free(payload);
            free(b.p);
        }
    }
}

TN_TEST(length_rules) {
    tn_ws_parser c = client_parser();
    /* non-minimal 16-bit (125 in two bytes), non-minimal 64-bit (65535 in eight), top bit */
    static const unsigned char nm16[] = {0x82, 126, 0x00, 125};
    static const unsigned char ok16[] = {0x82, 126, 0x00, 126};
    static const unsigned char nm64[] = {0x82, 127, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char ok64[] = {0x82, 127, 0, 0, 0, 0, 0, 1, 0x00, 0x00};
    static const unsigned char top[] = {0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0};
    static const unsigned char huge[] = {0x82, 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    wbuf b = {0, 0, 0};
    put_raw(&b, nm16, sizeof nm16);
    TN_EQ_RC(parse_rc_all_ways(&c, &b), TN_EWS_PROTOCOL);
    b.len = 0;
    put_raw(&b, nm64, sizeof nm64);
    TN_EQ_RC(parse_rc_all_ways(&c, &b), TN_EWS_PROTOCOL);
    b.len = 0;
    put_raw(&b, top, sizeof top);
    TN_EQ_RC(parse_rc_all_ways(&c, &b), TN_EWS_PROTOCOL);
    b.len = 0;
    put_raw(&b, ok16, sizeof ok16);   /* header fine: waits for payload */
    TN_EQ_RC(parse_rc(&c, &b), TN_EINCOMPLETE);
    b.len = 0;
    put_raw(&b, ok64, sizeof ok64);
    TN_EQ_RC(parse_rc(&c, &b), TN_EINCOMPLETE);
    /* the largest legal length passes the codec's length rules; the size limit refuses it */
    b.len = 0;
    put_raw(&b, huge, sizeof huge);
    TN_EQ_RC(parse_rc_all_ways(&c, &b), TN_EWS_TOO_BIG);
    c.max_message_size = UINT64_MAX;
    TN_EQ_RC(parse_rc(&c, &b), TN_EINCOMPLETE);
    free(b.p);
}

/* Reference: a byte at a time. */
static void mask_ref(unsigned char *dst, const unsigned char *src, size_t n, const unsigned char *key, uint64_t phase) {
    size_t i;
    for (i = 0; i < n; i++) dst[i] = (unsigned char)(src[i] ^ key[(phase + i) & 3]);
}

TN_TEST(mask_simd_vs_scalar) {
    static unsigned char src[400], ref[400], a[400], b[400];
    static const unsigned char keys[3][4] = {{0x37, 0xfa, 0x21, 0x3d}, {0, 0, 0, 0}, {0xff, 0x01, 0x80, 0x7f}};
    size_t i, align, len, k;
    uint64_t phase;
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__)) && !defined(TORNADO_NO_SIMD)
    TN_EQ_INT(TN__HAVE_SSE2, 1);   /* the default build really takes the SSE2 path */
#else
    TN_EQ_INT(TN__HAVE_SSE2, 0);
#endif
    for (i = 0; i < sizeof src; i++) src[i] = (unsigned char)(i * 131 + 17);
    for (k = 0; k < 3; k++)
        for (align = 0; align < 16; align++)
            for (len = 0; len <= 300; len++)
                for (phase = 0; phase < 6; phase++) {
                    const uint64_t ph = phase < 4 ? phase : (phase == 4 ? 0xfffffffffffffffdull : 1000001);
                    mask_ref(ref, src + align, len, keys[k], ph);
                    /* copy, to another alignment */
                    memset(a, 0, sizeof a);
                    tn__ws_mask_scalar(a + (align ^ 5), src + align, len, keys[k], ph);
                    TN_CHECKF(memcmp(a + (align ^ 5), ref, len) == 0, "scalar copy align %u len %u phase %u",
                              (unsigned)align, (unsigned)len, (unsigned)phase);
                    /* in place */
                    memcpy(b + align, src + align, len);
                    tn__ws_mask_scalar(b + align, b + align, len, keys[k], ph);
                    TN_CHECK(memcmp(b + align, ref, len) == 0);
#if TN__HAVE_SSE2
                    memset(a, 0, sizeof a);
                    tn__ws_mask_sse2(a + (align ^ 5), src + align, len, keys[k], ph);
                    TN_CHECKF(memcmp(a + (align ^ 5), ref, len) == 0, "sse2 copy align %u len %u phase %u",
                              (unsigned)align, (unsigned)len, (unsigned)phase);
                    memcpy(b + align, src + align, len);
                    tn__ws_mask_sse2(b + align, b + align, len, keys[k], ph);
                    TN_CHECK(memcmp(b + align, ref, len) == 0);
#endif
                    /* the public calls */
                    memcpy(b + align, src + align, len);
                    tn_ws_mask((char *)b + align, len, keys[k], ph);
                    TN_CHECK(memcmp(b + align, ref, len) == 0);
                    tn_ws_mask_copy((char *)a + 1, (const char *)src + align, len, keys[k], ph);
                    TN_CHECK(memcmp(a + 1, ref, len) == 0);
                    /* bytes around the output are untouched */
                    memset(a, 0xee, sizeof a);
                    tn_ws_mask_copy((char *)a + 8, (const char *)src + align, len, keys[k], ph);
                    TN_EQ_UINT(a[7], 0xee);
                    TN_EQ_UINT(a[8 + len], 0xee);
                }
    /* masking twice restores; pieces with a carried phase equal the whole */
    memcpy(a, src, 300);
    tn_ws_mask((char *)a, 300, KEY, 0);
    memcpy(b, src, 300);
    for (i = 0; i < 300; i += 7) tn_ws_mask((char *)b + i, i + 7 <= 300 ? 7 : 300 - i, KEY, i);
    TN_EQ_MEM(a, b, 300);
    tn_ws_mask((char *)a, 300, KEY, 0);
    TN_EQ_MEM(a, src, 300);
}

/* A sequence with every feature: a fragmented text message whose UTF-8 characters straddle
   frames, control frames between its fragments, a 16-bit-length binary message, a close. */
static void build_sequence(wbuf *b, int masked) {
    static const char f1[] = "H\xc3";                 /* 'H', first byte of U+00E9 */
    static const char f2[] = "\xa9llo \xe2\x82";      /* rest of it, 2 of 3 bytes of U+20AC */
    static const char f3[] = "\xac!";
    unsigned char bin[130], close[5];
    size_t i;
    for (i = 0; i < sizeof bin; i++) bin[i] = (unsigned char)(255 - i);
    put_frame(b, 0, 0, TN_WS_TEXT, masked, f1, 2);
    put_frame(b, 1, 0, TN_WS_PING, masked, "p!", 2);
    put_frame(b, 0, 0, TN_WS_CONT, masked, f2, 7);
    put_frame(b, 1, 0, TN_WS_PONG, masked, "", 0);
    put_frame(b, 0, 0, TN_WS_CONT, masked, "", 0);
    put_frame(b, 1, 0, TN_WS_CONT, masked, f3, 2);
    put_frame(b, 1, 0, TN_WS_TEXT, masked, "", 0);
    put_frame(b, 1, 0, TN_WS_BINARY, masked, bin, sizeof bin);
    TN_EQ_INT(tn_ws_close_payload((char *)close, sizeof close, 1000, "bye", 3), 5);
    put_frame(b, 1, 0, TN_WS_CLOSE, masked, close, 5);
}

static void check_sequence(const tlog *L) {
    static const char want_head[] = "C9:2:p!|C10:0:|D1r0:11:H\xc3\xa9llo \xe2\x82\xac!|D1r0:0:|D2r0:130:";
    TN_EQ_RC(L->rc, TN_EINCOMPLETE);
    TN_CHECK(L->out.len > sizeof want_head);
    TN_CHECKF(memcmp(L->out.p, want_head, sizeof want_head - 1) == 0, "transcript: %.*s", (int)L->out.len, L->out.p);
    TN_CHECK(memcmp(L->out.p + L->out.len - 12, "|C8:5:\x03\xe8" "bye|", 12) == 0);
}

TN_TEST(every_split_point) {
    int masked;
    for (masked = 0; masked < 2; masked++) {
        tn_ws_parser proto = masked ? server_parser() : client_parser();
        wbuf b = {0, 0, 0};
        tlog whole, t;
        size_t i, j, cut[2], caps[] = {1, 2, 3, 5, 64, 1000};
        size_t *all;
        build_sequence(&b, masked);
        memset(&whole, 0, sizeof whole);
        run_whole(&proto, b.p, b.len, &whole);
        check_sequence(&whole);
        /* one byte at a time */
        all = (size_t *)malloc(b.len * sizeof *all);
        for (i = 1; i < b.len; i++) all[i - 1] = i;
        memset(&t, 0, sizeof t);
        run_cuts(&proto, b.p, b.len, all, b.len - 1, 0, &t);
        TN_CHECK(t.out.len == whole.out.len && memcmp(t.out.p, whole.out.p, t.out.len) == 0);
        tlog_free(&t);
        /* every 2-way and a sample of 3-way splits, in place */
        for (i = 0; i <= b.len; i++) {
            cut[0] = i;
            memset(&t, 0, sizeof t);
            run_cuts(&proto, b.p, b.len, cut, 1, 0, &t);
            TN_CHECKF(t.out.len == whole.out.len && memcmp(t.out.p, whole.out.p, t.out.len) == 0, "split at %u",
                      (unsigned)i);
            TN_EQ_RC(t.rc, TN_EINCOMPLETE);
            tlog_free(&t);
            for (j = i; j <= b.len; j += 5) {
                cut[1] = j;
                memset(&t, 0, sizeof t);
                run_cuts(&proto, b.p, b.len, cut, 2, 0, &t);
                TN_CHECKF(t.out.len == whole.out.len && memcmp(t.out.p, whole.out.p, t.out.len) == 0,
                          "split at %u, %u", (unsigned)i, (unsigned)j);
                tlog_free(&t);
            }
        }
        /* into caller memory of several sizes, whole and byte by byte */
        for (i = 0; i < sizeof caps / sizeof caps[0]; i++) {
            memset(&t, 0, sizeof t);
            run_cuts(&proto, b.p, b.len, NULL, 0, caps[i], &t);
            TN_CHECK(t.out.len == whole.out.len && memcmp(t.out.p, whole.out.p, t.out.len) == 0);
            tlog_free(&t);
            memset(&t, 0, sizeof t);
            run_cuts(&proto, b.p, b.len, all, b.len - 1, caps[i], &t);
            TN_CHECK(t.out.len == whole.out.len && memcmp(t.out.p, whole.out.p, t.out.len) == 0);
            tlog_free(&t);
        }
        free(all);
        tlog_free(&whole);
        free(b.p);
    }
}

TN_TEST(large_frame_pieces) {
    /* a 64-bit-length masked frame fed in odd pieces: the mask phase carries across them */
    size_t n = 200003, i, pos = 0, step = 1;
    unsigned char *payload = (unsigned char *)malloc(n), *got = (unsigned char *)malloc(n);
    size_t got_len = 0;
    wbuf b = {0, 0, 0};
    tn_ws_parser p = server_parser();
    int events = 0;
    for (i = 0; i < n; i++) payload[i] = (unsigned char)(i ^ (i >> 8));
    put_frame(&b, 1, 0, TN_WS_BINARY, 1, payload, n);
    TN_EQ_UINT(b.len, n + 14);
    while (pos < b.len) {
        size_t end = TN__MIN(b.len, pos + step);
        for (;;) {
            tn_ws_event ev;
            int rc = tn_ws_parse(&p, (char *)b.p + pos, end - pos, &ev);
            if (rc == TN_EINCOMPLETE) {
                pos = end;
                break;
            }
            TN_CHECK(rc > 0);
            events++;
            TN_EQ_UINT(ev.offset, got_len);
            memcpy(got + got_len, ev.data.ptr, ev.data.len);
            got_len += ev.data.len;
            pos += (size_t)rc;
            if (ev.flags & TN_WS_EV_MESSAGE_END) TN_EQ_UINT(got_len, n);
        }
        step = step * 3 + 1;
    }
    TN_EQ_UINT(got_len, n);
    TN_EQ_MEM(got, payload, n);
    TN_CHECK(events > 5);
    free(payload);
    free(got);
    free(b.p);
}

TN_TEST(header_event_before_payload) {
    /* a data frame's header gives an event at once, before any payload; pieces follow */
    tn_ws_parser p = server_parser();
    wbuf b = {0, 0, 0};
    tn_ws_event ev;
    put_frame(&b, 1, 0, TN_WS_TEXT, 1, "hello", 5);
    TN_EQ_INT(tn_ws_parse(&p, (char *)b.p, 1, &ev), TN_EINCOMPLETE);
    TN_EQ_INT(tn_ws_parse(&p, (char *)b.p + 1, 5, &ev), 5);
    TN_EQ_UINT(ev.flags, TN_WS_EV_FRAME_START);
    TN_EQ_UINT(ev.data.len, 0);
    TN_EQ_UINT(ev.frame.length, 5);
    TN_EQ_INT(tn_ws_parse(&p, (char *)b.p + 6, 2, &ev), 2);
    TN_EQ_UINT(ev.flags, 0);
    TN_EQ_TSTR(ev.data, "he");
    TN_EQ_INT(tn_ws_parse(&p, (char *)b.p + 8, 3, &ev), 3);
    TN_EQ_UINT(ev.flags, TN_WS_EV_FRAME_END | TN_WS_EV_MESSAGE_END);
    TN_EQ_TSTR(ev.data, "llo");
    TN_EQ_UINT(ev.offset, 2);
    /* into memory: a zero-capacity buffer cannot take payload */
    b.len = 0;
    put_frame(&b, 1, 0, TN_WS_BINARY, 1, "abc", 3);
    {
        char out[2];
        TN_EQ_INT(tn_ws_parse_into(&p, (const char *)b.p, b.len, out, 0, &ev), 6);   /* header only */
        TN_EQ_RC(tn_ws_parse_into(&p, (const char *)b.p + 6, 3, out, 0, &ev), TN_EBUFFER_FULL);
        TN_EQ_INT(tn_ws_parse_into(&p, (const char *)b.p + 6, 3, out, 2, &ev), 2);
        TN_CHECK(ev.data.ptr == out);
        TN_EQ_TSTR(ev.data, "ab");
        TN_EQ_INT(tn_ws_parse_into(&p, (const char *)b.p + 8, 1, out, 2, &ev), 1);
        TN_EQ_TSTR(ev.data, "c");
        TN_EQ_UINT(ev.flags, TN_WS_EV_FRAME_END | TN_WS_EV_MESSAGE_END);
        TN_EQ_UINT(b.p[6], 'a' ^ KEY[0]);   /* the input was left masked */
    }
    free(b.p);
}

static int raw_rc(const tn_ws_parser *p, const unsigned char *bytes, size_t n) {
    wbuf b = {0, 0, 0};
    int rc;
    put_raw(&b, bytes, n);
    rc = parse_rc_all_ways(p, &b);
    free(b.p);
    return rc;
}

TN_TEST(protocol_errors) {
    tn_ws_parser s = server_parser(), c = client_parser();
    unsigned op;
    wbuf b = {0, 0, 0};
    /* reserved opcodes, either role */
    for (op = 3; op < 16; op++) {
        unsigned char f[] = {(unsigned char)(0x80 | op), 0x00};
        if (op >= 8 && op <= 10) continue;
        TN_EQ_RC(raw_rc(&c, f, 2), TN_EWS_PROTOCOL);
        f[1] = 0x80;
        TN_EQ_RC(raw_rc(&s, f, 2), TN_EWS_PROTOCOL);
    }
    /* masking by role */
    {
        static const unsigned char unmasked[] = {0x81, 0x01, 'a'};
        static const unsigned char masked[] = {0x81, 0x81, 1, 2, 3, 4, 'a' ^ 1};
        TN_EQ_RC(raw_rc(&s, unmasked, sizeof unmasked), TN_EWS_PROTOCOL);
        TN_EQ_RC(raw_rc(&c, masked, sizeof masked), TN_EWS_PROTOCOL);
        TN_EQ_RC(raw_rc(&s, masked, sizeof masked), TN_EINCOMPLETE);
        TN_EQ_RC(raw_rc(&c, unmasked, sizeof unmasked), TN_EINCOMPLETE);
    }
    /* control frames: fragmented, or longer than 125 (in 7 or 16 bits) */
    {
        static const unsigned char ping_nofin[] = {0x09, 0x00};
        static const unsigned char ping126[] = {0x89, 126, 0x00, 126};
        static const unsigned char close126[] = {0x88, 126, 0x00, 200};
        static const unsigned char ping125[] = {0x89, 125};
        TN_EQ_RC(raw_rc(&c, ping_nofin, 2), TN_EWS_PROTOCOL);
        TN_EQ_RC(raw_rc(&c, ping126, sizeof ping126), TN_EWS_PROTOCOL);
        TN_EQ_RC(raw_rc(&c, close126, sizeof close126), TN_EWS_PROTOCOL);
        TN_EQ_RC(raw_rc(&c, ping125, sizeof ping125), TN_EINCOMPLETE);
    }
    /* fragmentation state */
    {
        static const unsigned char cont[] = {0x80, 0x00};
        static const unsigned char text_open[] = {0x01, 0x01, 'a', 0x81, 0x00};   /* TEXT while one is open */
        static const unsigned char bin_open[] = {0x02, 0x00, 0x82, 0x00};
        static const unsigned char ok[] = {0x01, 0x01, 'a', 0x89, 0x00, 0x80, 0x01, 'b', 0x81, 0x00};
        static const unsigned char cont_after[] = {0x81, 0x01, 'a', 0x80, 0x00};   /* message already ended */
        TN_EQ_RC(raw_rc(&c, cont, 2), TN_EWS_PROTOCOL);
        TN_EQ_RC(raw_rc(&c, text_open, sizeof text_open), TN_EWS_PROTOCOL);
        TN_EQ_RC(raw_rc(&c, bin_open, sizeof bin_open), TN_EWS_PROTOCOL);
        TN_EQ_RC(raw_rc(&c, ok, sizeof ok), TN_EINCOMPLETE);
        TN_EQ_RC(raw_rc(&c, cont_after, sizeof cont_after), TN_EWS_PROTOCOL);
    }
    /* RSV bits: refused unless claimed; claimed ones only on a data message's first frame */
    {
        static const unsigned char rsv1_text[] = {0xc1, 0x01, 'x'};
        static const unsigned char rsv2_text[] = {0xa1, 0x00};
        static const unsigned char rsv3_bin[] = {0x92, 0x00};
        static const unsigned char rsv1_ping[] = {0xc9, 0x00};
        static const unsigned char rsv1_cont[] = {0x41, 0x00, 0xc0, 0x00};
        static const unsigned char rsv1_frag[] = {0x41, 0x01, 0xff, 0x80, 0x01, 0xfe};   /* not UTF-8: compressed */
        tn_ws_parser d = client_parser();
        TN_EQ_RC(raw_rc(&c, rsv1_text, sizeof rsv1_text), TN_EWS_PROTOCOL);
        TN_EQ_RC(raw_rc(&c, rsv2_text, sizeof rsv2_text), TN_EWS_PROTOCOL);
        TN_EQ_RC(raw_rc(&c, rsv3_bin, sizeof rsv3_bin), TN_EWS_PROTOCOL);
        d.rsv_allowed = TN_WS_RSV1;
        TN_EQ_RC(raw_rc(&d, rsv1_text, sizeof rsv1_text), TN_EINCOMPLETE);
        TN_EQ_RC(raw_rc(&d, rsv2_text, sizeof rsv2_text), TN_EWS_PROTOCOL);
        TN_EQ_RC(raw_rc(&d, rsv1_ping, sizeof rsv1_ping), TN_EWS_PROTOCOL);
        TN_EQ_RC(raw_rc(&d, rsv1_cont, sizeof rsv1_cont), TN_EWS_PROTOCOL);
        TN_EQ_RC(raw_rc(&d, rsv1_frag, sizeof rsv1_frag), TN_EINCOMPLETE);
        {   /* the message's RSV bits are reported on every piece */
            tn_ws_event ev;
            unsigned char m[sizeof rsv1_frag];
            tn_ws_parser e = d;
            memcpy(m, rsv1_frag, sizeof m);
            TN_EQ_INT(tn_ws_parse(&e, (char *)m, 3, &ev), 3);
            TN_EQ_UINT(ev.rsv, TN_WS_RSV1);
            TN_EQ_INT(tn_ws_parse(&e, (char *)m + 3, 3, &ev), 3);
            TN_EQ_UINT(ev.rsv, TN_WS_RSV1);
            TN_EQ_UINT(ev.frame.rsv, 0);
            TN_EQ_INT(ev.opcode, TN_WS_TEXT);
            TN_EQ_INT(ev.frame.opcode, TN_WS_CONT);
        }
    }
    /* errors show at the earliest byte: the second header byte decides these */
    {
        tn_ws_parser e = client_parser();
        tn_ws_event ev;
        char two[2] = {(char)0x83, 0x7f};   /* reserved opcode, length still unknown */
        TN_EQ_RC(tn_ws_parse(&e, two, 1, &ev), TN_EINCOMPLETE);
        TN_EQ_RC(tn_ws_parse(&e, two + 1, 1, &ev), TN_EWS_PROTOCOL);
        TN_EQ_RC(tn_ws_parse(&e, two, 2, &ev), TN_EWS_PROTOCOL);   /* sticky */
        tn_ws_parser_reset(&e);
        TN_EQ_INT(e.role, TN_WS_CLIENT);
        two[0] = (char)0x82;
        two[1] = 0;
        TN_EQ_INT(tn_ws_parse(&e, two, 2, &ev), 2);
    }
    free(b.p);
}

TN_TEST(message_size_limit) {
    tn_ws_parser p = client_parser();
    wbuf b = {0, 0, 0};
    tn_ws_event ev;
    char *big = (char *)calloc(1, 300);
    p.max_message_size = 100;
    put_frame(&b, 1, 0, TN_WS_BINARY, 0, big, 100);   /* exactly the limit */
    TN_EQ_RC(parse_rc(&p, &b), TN_EINCOMPLETE);
    b.len = 0;
    put_frame(&b, 1, 0, TN_WS_BINARY, 0, big, 101);
    TN_EQ_RC(parse_rc_all_ways(&p, &b), TN_EWS_TOO_BIG);
    /* across fragments: 60 + 40 fits, a third fragment does not; a ping between is free */
    b.len = 0;
    put_frame(&b, 0, 0, TN_WS_TEXT, 0, big, 60);
    put_frame(&b, 1, 0, TN_WS_PING, 0, big, 125);
    put_frame(&b, 0, 0, TN_WS_CONT, 0, big, 40);
    TN_EQ_RC(parse_rc_all_ways(&p, &b), TN_EINCOMPLETE);
    put_frame(&b, 1, 0, TN_WS_CONT, 0, big, 1);
    TN_EQ_RC(parse_rc_all_ways(&p, &b), TN_EWS_TOO_BIG);
    /* the limit is per message: the next one starts from zero */
    b.len = 0;
    put_frame(&b, 1, 0, TN_WS_BINARY, 0, big, 100);
    put_frame(&b, 1, 0, TN_WS_TEXT, 0, big, 100);
    TN_EQ_RC(parse_rc_all_ways(&p, &b), TN_EINCOMPLETE);
    /* refused at the header, before the payload arrives */
    b.len = 0;
    put_frame(&b, 1, 0, TN_WS_BINARY, 0, big, 300);
    p = client_parser();
    p.max_message_size = 100;
    TN_EQ_RC(tn_ws_parse(&p, (char *)b.p, 4, &ev), TN_EWS_TOO_BIG);
    /* default: TORNADO_MAX_WS_MESSAGE (10 MiB) */
    {
        static const unsigned char hdr[] = {0x82, 127, 0, 0, 0, 0, 0, 0xa0, 0x00, 0x01};
        static const unsigned char hdr_ok[] = {0x82, 127, 0, 0, 0, 0, 0, 0xa0, 0x00, 0x00};
        tn_ws_parser q = client_parser();
        TN_EQ_RC(raw_rc(&q, hdr, sizeof hdr), TN_EWS_TOO_BIG);
        TN_EQ_RC(raw_rc(&q, hdr_ok, sizeof hdr_ok), TN_EINCOMPLETE);
    }
    TN_EQ_INT(tn_ws_error_close_code(TN_EWS_TOO_BIG), 1009);
    free(big);
    free(b.p);
}

TN_TEST(utf8_text) {
    tn_ws_parser p = client_parser();
    wbuf b = {0, 0, 0};
    /* valid characters of every length split across fragments, pings between */
    static const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
    size_t i, n = sizeof s - 1;
    for (i = 0; i < n; i++) {
        put_frame(&b, i + 1 == n, 0, i ? TN_WS_CONT : TN_WS_TEXT, 0, s + i, 1);
        if (i % 3 == 1) put_frame(&b, 1, 0, TN_WS_PING, 0, "\xff", 1);   /* binary ping payload is fine */
    }
    TN_EQ_RC(parse_rc_all_ways(&p, &b), TN_EINCOMPLETE);
    /* a character cut off at the end of the message */
    b.len = 0;
    put_frame(&b, 0, 0, TN_WS_TEXT, 0, "ok\xe2\x82", 4);
    TN_EQ_RC(parse_rc_all_ways(&p, &b), TN_EINCOMPLETE);   /* could still complete */
    put_frame(&b, 1, 0, TN_WS_CONT, 0, "", 0);
    TN_EQ_RC(parse_rc_all_ways(&p, &b), TN_EWS_BAD_UTF8);
    /* invalid bytes: overlong, surrogate, stray continuation, F5 */
    {
        static const char *bad[] = {"\xc0\xaf", "\xed\xa0\x80", "\x80", "\xf5\x80\x80\x80", "ab\xff"};
        for (i = 0; i < 5; i++) {
            b.len = 0;
            put_frame(&b, 1, 0, TN_WS_TEXT, 0, bad[i], strlen(bad[i]));
            TN_EQ_RC(parse_rc_all_ways(&p, &b), TN_EWS_BAD_UTF8);
        }
    }
    /* fail fast: the bad byte is refused before the rest of the frame arrives */
    {
        tn_ws_parser q = client_parser();
        tn_ws_event ev;
        char f[] = {(char)0x81, 10, 'a', 'b', (char)0xc0};
        TN_EQ_INT(tn_ws_parse(&q, f, 2, &ev), 2);
        TN_EQ_INT(tn_ws_parse(&q, f + 2, 2, &ev), 2);
        TN_EQ_RC(tn_ws_parse(&q, f + 4, 1, &ev), TN_EWS_BAD_UTF8);
    }
    /* binary messages and unchecked parsers take anything */
    b.len = 0;
    put_frame(&b, 1, 0, TN_WS_BINARY, 0, "\xff\xfe", 2);
    TN_EQ_RC(parse_rc(&p, &b), TN_EINCOMPLETE);
    b.len = 0;
    put_frame(&b, 1, 0, TN_WS_TEXT, 0, "\xff\xfe", 2);
    p.flags = TN_WS_NO_UTF8_CHECK;
    TN_EQ_RC(parse_rc(&p, &b), TN_EINCOMPLETE);
    /* close reasons are the close parser's business, not the frame parser's */
    b.len = 0;
    put_frame(&b, 1, 0, TN_WS_CLOSE, 0, "\x03\xe8\xff", 3);
    p.flags = 0;
    TN_EQ_RC(parse_rc(&p, &b), TN_EINCOMPLETE);
    TN_EQ_INT(tn_ws_error_close_code(TN_EWS_BAD_UTF8), 1007);
    TN_EQ_INT(tn_ws_error_close_code(TN_EBAD_ENCODING), 1007);
    free(b.p);
}

TN_TEST(close_payloads) {
    char out[200];
    int code;
    tn_str reason;
    static const int good[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
                               4000, 4999};
    static const int bad[] = {0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535};
    size_t i;
    char reason123[124];
    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        TN_EQ_INT(tn_ws_close_code_valid(good[i]), 1);
        TN_EQ_INT(tn_ws_close_payload(out, sizeof out, good[i], "why", 3), 5);
        TN_OK_RC(tn_ws_close_parse(out, 5, &code, &reason));
        TN_EQ_INT(code, good[i]);
        TN_EQ_TSTR(reason, "why");
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned char raw[2];
        TN_EQ_INT(tn_ws_close_code_valid(bad[i]), 0);
        if (bad[i]) TN_EQ_RC(tn_ws_close_payload(out, sizeof out, bad[i], "", 0), TN_EINVAL);
        raw[0] = (unsigned char)(bad[i] >> 8);
        raw[1] = (unsigned char)bad[i];
        TN_EQ_RC(tn_ws_close_parse((const char *)raw, 2, &code, &reason), TN_EWS_PROTOCOL);
    }
    /* empty payload: no status (1005) */
    TN_OK_RC(tn_ws_close_parse(out, 0, &code, &reason));
    TN_EQ_INT(code, 1005);
    TN_EQ_UINT(reason.len, 0);
    TN_EQ_INT(tn_ws_close_payload(out, sizeof out, 0, NULL, 0), 0);
    TN_EQ_RC(tn_ws_close_payload(out, sizeof out, 0, "x", 1), TN_EINVAL);   /* reason needs a code */
    /* one byte: 1002 */
    TN_EQ_RC(tn_ws_close_parse("\x03", 1, &code, &reason), TN_EWS_PROTOCOL);
    TN_EQ_INT(tn_ws_error_close_code(TN_EWS_PROTOCOL), 1002);
    /* reason must be UTF-8: 1007 */
    TN_EQ_RC(tn_ws_close_parse("\x03\xe8\xc3", 3, &code, &reason), TN_EWS_BAD_UTF8);
    TN_EQ_RC(tn_ws_close_payload(out, sizeof out, 1000, "\xc3", 1), TN_EBAD_ENCODING);
    TN_OK_RC(tn_ws_close_parse("\x03\xe8\xc3\xa9", 4, &code, &reason));
    /* lengths: a 123-byte reason fits (125 in all), 124 does not */
    memset(reason123, 'r', sizeof reason123);
    TN_EQ_INT(tn_ws_close_payload(out, sizeof out, 1001, reason123, 123), 125);
    TN_OK_RC(tn_ws_close_parse(out, 125, &code, &reason));
    TN_EQ_UINT(reason.len, 123);
    TN_EQ_RC(tn_ws_close_payload(out, sizeof out, 1001, reason123, 124), TN_EINVAL);
    TN_EQ_RC(tn_ws_close_parse(out, 126, &code, &reason), TN_EWS_PROTOCOL);
    TN_EQ_RC(tn_ws_close_payload(out, 4, 1000, "abc", 3), TN_EBUFFER_FULL);
    TN_EQ_INT(tn_ws_close_payload(out, 2, 1000, NULL, 0), 2);
    TN_EQ_MEM(out, "\x03\xe8", 2);
}

TN_TEST(write_header) {
    tn_ws_frame f;
    char out[TN_WS_MAX_HEADER];
    memset(&f, 0, sizeof f);
    f.fin = 1;
    f.opcode = TN_WS_TEXT;
    f.length = 5;
    TN_EQ_INT(tn_ws_write_header(out, sizeof out, &f), 2);
    TN_EQ_MEM(out, "\x81\x05", 2);
    /* RFC 6455 §5.7 examples: a masked "Hello" and a 256-byte binary header */
    f.masked = 1;
    f.mask[0] = 0x37;
    f.mask[1] = 0xfa;
    f.mask[2] = 0x21;
    f.mask[3] = 0x3d;
    TN_EQ_INT(tn_ws_write_header(out, sizeof out, &f), 6);
    TN_EQ_MEM(out, "\x81\x85\x37\xfa\x21\x3d", 6);
    {
        char hello[] = "Hello";
        tn_ws_mask(hello, 5, f.mask, 0);
        TN_EQ_MEM(hello, "\x7f\x9f\x4d\x51\x58", 5);
    }
    f.masked = 0;
    f.opcode = TN_WS_BINARY;
    f.length = 256;
    TN_EQ_INT(tn_ws_write_header(out, sizeof out, &f), 4);
    TN_EQ_MEM(out, "\x82\x7e\x01\x00", 4);
    f.length = 65536;
    TN_EQ_INT(tn_ws_write_header(out, sizeof out, &f), 10);
    TN_EQ_MEM(out, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
    f.rsv = TN_WS_RSV1;
    f.fin = 0;
    TN_EQ_INT(tn_ws_write_header(out, sizeof out, &f), 10);
    TN_EQ_UINT((unsigned char)out[0], 0x42);
    /* refused */
    TN_EQ_RC(tn_ws_write_header(out, 9, &f), TN_EBUFFER_FULL);
    f.rsv = 0x80;
    TN_EQ_RC(tn_ws_write_header(out, sizeof out, &f), TN_EINVAL);
    f.rsv = 0;
    f.length = 1ull << 63;
    TN_EQ_RC(tn_ws_write_header(out, sizeof out, &f), TN_EINVAL);
    f.length = 1;
    f.opcode = 3;
    TN_EQ_RC(tn_ws_write_header(out, sizeof out, &f), TN_EINVAL);
    f.opcode = TN_WS_PING;
    TN_EQ_RC(tn_ws_write_header(out, sizeof out, &f), TN_EINVAL);   /* fin = 0 */
    f.fin = 1;
    f.length = 126;
    TN_EQ_RC(tn_ws_write_header(out, sizeof out, &f), TN_EINVAL);
    f.length = 125;
    TN_EQ_INT(tn_ws_write_header(out, sizeof out, &f), 2);
    TN_EQ_UINT(tn_ws_header_size(0, 1), 6);
    TN_EQ_UINT(tn_ws_header_size(125, 0), 2);
    TN_EQ_UINT(tn_ws_header_size(126, 0), 4);
    TN_EQ_UINT(tn_ws_header_size(65535, 1), 8);
    TN_EQ_UINT(tn_ws_header_size(65536, 1), 14);
    TN_EQ_INT(tn_ws_error_close_code(TN_ENOMEM), 1011);
    TN_EQ_INT(tn_ws_error_close_code(TN_OK), 0);
    TN_EQ_INT(tn_ws_error_close_code(TN_EINCOMPLETE), 0);
}

/* ---- handshake ---- */

typedef struct hdrs {
    tn_http_header h[16];
    size_t n;
} hdrs;

static void hadd(hdrs *hs, const char *name, const char *value) {
    hs->h[hs->n].name = tn_str_c(name);
    hs->h[hs->n].value = tn_str_c(value);
    hs->n++;
}

static void good_request(hdrs *hs) {
    hs->n = 0;
    hadd(hs, "Host", "server.example.com");
    hadd(hs, "Upgrade", "websocket");
    hadd(hs, "Connection", "Upgrade");
    hadd(hs, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    hadd(hs, "Origin", "http://server.example.com");
    hadd(hs, "Sec-WebSocket-Version", "13");
}

/* Replace (or with value NULL remove) field `name`. */
static void hset(hdrs *hs, const char *name, const char *value) {
    size_t i;
    for (i = 0; i < hs->n; i++)
        if (tn_str_ieq(hs->h[i].name, tn_str_c(name))) {
            if (value) {
                hs->h[i].value = tn_str_c(value);
            } else {
                memmove(&hs->h[i], &hs->h[i + 1], (hs->n - i - 1) * sizeof hs->h[0]);
                hs->n--;
            }
            return;
        }
    if (value) hadd(hs, name, value);
}

static int check_req(const hdrs *hs) { return tn_ws_check_request(tn_str_c("GET"), 11, hs->h, hs->n, 0, NULL); }

TN_TEST(accept_key_vector) {
    char out[TN_WS_ACCEPT_SIZE + 1];
    tn_ws_accept_key(tn_str_c("dGhlIHNhbXBsZSBub25jZQ=="), out);
    TN_EQ_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    /* another key: the value Python Tornado's compute_accept_value gives */
    tn_ws_accept_key(tn_str_c("x3JJHMbDL1EzLkh9GBhXDw=="), out);
    TN_EQ_STR(out, "HSmrc0sMlYUkAGmm5OPpG2HaGWk=");
}

TN_TEST(server_handshake) {
    hdrs hs;
    tn_str key;
    good_request(&hs);
    TN_OK_RC(tn_ws_check_request(tn_str_c("GET"), 11, hs.h, hs.n, 0, &key));
    TN_EQ_TSTR(key, "dGhlIHNhbXBsZSBub25jZQ==");
    TN_EQ_INT(tn_ws_handshake_status(TN_OK), 0);
    /* 400: method, HTTP version, Upgrade, Connection, key */
    TN_EQ_RC(tn_ws_check_request(tn_str_c("POST"), 11, hs.h, hs.n, 0, NULL), TN_EWS_HANDSHAKE);
    TN_EQ_RC(tn_ws_check_request(tn_str_c("get"), 11, hs.h, hs.n, 0, NULL), TN_EWS_HANDSHAKE);
    TN_EQ_RC(tn_ws_check_request(tn_str_c("GET"), 10, hs.h, hs.n, 0, NULL), TN_EWS_HANDSHAKE);
    TN_EQ_INT(tn_ws_handshake_status(TN_EWS_HANDSHAKE), 400);
    hset(&hs, "Upgrade", NULL);
    TN_EQ_RC(check_req(&hs), TN_EWS_HANDSHAKE);
    hset(&hs, "Upgrade", "h2c");
    TN_EQ_RC(check_req(&hs), TN_EWS_HANDSHAKE);
    hset(&hs, "Upgrade", "WebSocket");            /* case-insensitive */
    TN_OK_RC(check_req(&hs));
    hset(&hs, "Connection", "keep-alive");
    TN_EQ_RC(check_req(&hs), TN_EWS_HANDSHAKE);
    hset(&hs, "Connection", "keep-alive, UPGRADE");   /* a list (Firefox sends this) */
    TN_OK_RC(check_req(&hs));
    hset(&hs, "Connection", NULL);
    TN_EQ_RC(check_req(&hs), TN_EWS_HANDSHAKE);
    good_request(&hs);
    hset(&hs, "Sec-WebSocket-Key", NULL);
    TN_EQ_RC(check_req(&hs), TN_EWS_HANDSHAKE);
    hset(&hs, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ");      /* no padding */
    TN_EQ_RC(check_req(&hs), TN_EWS_HANDSHAKE);
    hset(&hs, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZSE=");    /* 17 bytes */
    TN_EQ_RC(check_req(&hs), TN_EWS_HANDSHAKE);
    hset(&hs, "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25j!Q==");    /* not base64 */
    TN_EQ_RC(check_req(&hs), TN_EWS_HANDSHAKE);
    hset(&hs, "Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA==");
    TN_OK_RC(check_req(&hs));
    hadd(&hs, "Sec-WebSocket-Key", "AAAAAAAAAAAAAAAAAAAAAA==");    /* two keys */
    TN_EQ_RC(check_req(&hs), TN_EWS_HANDSHAKE);
    /* 426: version */
    good_request(&hs);
    hset(&hs, "Sec-WebSocket-Version", "8");
    TN_EQ_RC(check_req(&hs), TN_EWS_VERSION);
    TN_EQ_INT(tn_ws_handshake_status(TN_EWS_VERSION), 426);
    hset(&hs, "Sec-WebSocket-Version", "13, 8");
    TN_EQ_RC(check_req(&hs), TN_EWS_VERSION);
    hset(&hs, "Sec-WebSocket-Version", NULL);
    TN_EQ_RC(check_req(&hs), TN_EWS_VERSION);
    /* 403: origin */
    good_request(&hs);
    hset(&hs, "Origin", "http://evil.example.com");
    TN_EQ_RC(check_req(&hs), TN_EWS_ORIGIN);
    TN_EQ_INT(tn_ws_handshake_status(TN_EWS_ORIGIN), 403);
    TN_OK_RC(tn_ws_check_request(tn_str_c("GET"), 11, hs.h, hs.n, TN_WS_ANY_ORIGIN, NULL));
    hset(&hs, "Origin", "null");
    TN_EQ_RC(check_req(&hs), TN_EWS_ORIGIN);
    hset(&hs, "Origin", "https://SERVER.example.com");      /* scheme does not matter, case neither */
    TN_OK_RC(check_req(&hs));
    hset(&hs, "Origin", "http://server.example.com:8888");   /* the port does */
    TN_EQ_RC(check_req(&hs), TN_EWS_ORIGIN);
    hset(&hs, "Host", "server.example.com:8888");
    TN_OK_RC(check_req(&hs));
    hset(&hs, "Origin", "http://server.example.com:8888/path");
    TN_OK_RC(check_req(&hs));
    hset(&hs, "Origin", "http://");
    TN_EQ_RC(check_req(&hs), TN_EWS_ORIGIN);
    hset(&hs, "Origin", "://server.example.com:8888");
    TN_EQ_RC(check_req(&hs), TN_EWS_ORIGIN);
    hset(&hs, "Origin", NULL);                               /* no Origin: allowed */
    TN_OK_RC(check_req(&hs));
    TN_OK_RC(tn_ws_check_origin(hs.h, hs.n));
    hadd(&hs, "Origin", "http://server.example.com:8888");
    hadd(&hs, "Origin", "http://server.example.com:8888");
    TN_EQ_RC(tn_ws_check_origin(hs.h, hs.n), TN_EWS_ORIGIN);
    TN_EQ_INT(tn_ws_handshake_status(TN_ELIMIT), 400);
}

TN_TEST(subprotocols) {
    hdrs hs;
    tn_str out[4], chosen;
    size_t n;
    static const char *const mine[] = {"mqtt", "graphql-ws"};
    hs.n = 0;
    TN_OK_RC(tn_ws_parse_protocols(hs.h, hs.n, out, 4, &n));
    TN_EQ_UINT(n, 0);
    TN_EQ_RC(tn_ws_select_protocol(hs.h, hs.n, mine, 2, &chosen), TN_ENOENT);
    hadd(&hs, "Sec-WebSocket-Protocol", "chat, , graphql-ws ,superchat");
    hadd(&hs, "Sec-WebSocket-Protocol", "mqtt");
    TN_OK_RC(tn_ws_parse_protocols(hs.h, hs.n, out, 4, &n));
    TN_EQ_UINT(n, 4);
    TN_EQ_TSTR(out[0], "chat");
    TN_EQ_TSTR(out[1], "graphql-ws");
    TN_EQ_TSTR(out[2], "superchat");
    TN_EQ_TSTR(out[3], "mqtt");
    TN_EQ_RC(tn_ws_parse_protocols(hs.h, hs.n, out, 3, &n), TN_ELIMIT);
    TN_EQ_UINT(n, 3);
    TN_OK_RC(tn_ws_select_protocol(hs.h, hs.n, mine, 2, &chosen));
    TN_EQ_TSTR(chosen, "graphql-ws");   /* the client's order */
    {
        static const char *const other[] = {"Chat"};
        TN_EQ_RC(tn_ws_select_protocol(hs.h, hs.n, other, 1, &chosen), TN_ENOENT);   /* case-sensitive */
    }
    hadd(&hs, "Sec-WebSocket-Protocol", "bad name");   /* malformed after the limit: still malformed */
    TN_EQ_RC(tn_ws_parse_protocols(hs.h, hs.n, out, 2, &n), TN_EWS_HANDSHAKE);
    TN_EQ_RC(tn_ws_parse_protocols(hs.h, hs.n, out, 4, &n), TN_EWS_HANDSHAKE);
    TN_EQ_RC(tn_ws_select_protocol(hs.h, hs.n, mine, 2, &chosen), TN_EWS_HANDSHAKE);
    hs.h[2].value = tn_str_c("a;b");
    TN_EQ_RC(tn_ws_parse_protocols(hs.h, hs.n, out, 8, &n), TN_EWS_HANDSHAKE);
}

TN_TEST(extensions) {
    hdrs hs;
    tn_ws_extension ex[4];
    size_t n;
    tn_str rest, name, value;
    hs.n = 0;
    hadd(&hs, "Sec-WebSocket-Extensions",
         "permessage-deflate; client_max_window_bits, permessage-deflate ;server_no_context_takeover ; "
         "server_max_window_bits = \"10\" ");
    hadd(&hs, "Sec-WebSocket-Extensions", "x-webkit-deflate-frame");
    TN_OK_RC(tn_ws_parse_extensions(hs.h, hs.n, ex, 4, &n));
    TN_EQ_UINT(n, 3);
    TN_EQ_TSTR(ex[0].name, "permessage-deflate");
    TN_EQ_TSTR(ex[0].params, "; client_max_window_bits");
    TN_EQ_TSTR(ex[1].name, "permessage-deflate");
    TN_EQ_TSTR(ex[2].name, "x-webkit-deflate-frame");
    TN_EQ_UINT(ex[2].params.len, 0);
    rest = ex[0].params;
    TN_EQ_INT(tn_ws_ext_param_next(&rest, &name, &value), 1);
    TN_EQ_TSTR(name, "client_max_window_bits");
    TN_EQ_UINT(value.len, 0);
    TN_EQ_INT(tn_ws_ext_param_next(&rest, &name, &value), 0);
    rest = ex[1].params;
    TN_EQ_INT(tn_ws_ext_param_next(&rest, &name, &value), 1);
    TN_EQ_TSTR(name, "server_no_context_takeover");
    TN_EQ_INT(tn_ws_ext_param_next(&rest, &name, &value), 1);
    TN_EQ_TSTR(name, "server_max_window_bits");
    TN_EQ_TSTR(value, "10");
    TN_EQ_INT(tn_ws_ext_param_next(&rest, &name, &value), 0);
    TN_EQ_RC(tn_ws_parse_extensions(hs.h, hs.n, ex, 2, &n), TN_ELIMIT);
    TN_EQ_UINT(n, 2);
    hadd(&hs, "Sec-WebSocket-Extensions", "a;");   /* malformed after the limit */
    TN_EQ_RC(tn_ws_parse_extensions(hs.h, hs.n, ex, 2, &n), TN_EWS_HANDSHAKE);
    /* malformed */
    {
        static const char *bad[] = {"; a", "deflate;", "deflate; =1", "deflate; a=", "deflate; a=\"1",
                                    "deflate; a=\"\"", "deflate; a=\"x y\"", "deflate; a=\"\\x\"", "de flate",
                                    "deflate; a=1 b", "deflate x"};
        size_t i;
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            hs.n = 0;
            hadd(&hs, "Sec-WebSocket-Extensions", bad[i]);
            TN_CHECKF(tn_ws_parse_extensions(hs.h, hs.n, ex, 4, &n) == TN_EWS_HANDSHAKE, "accepted: %s", bad[i]);
        }
    }
    hs.n = 0;
    hadd(&hs, "Sec-WebSocket-Extensions", " , a ,, b;c=d ,");
    TN_OK_RC(tn_ws_parse_extensions(hs.h, hs.n, ex, 4, &n));
    TN_EQ_UINT(n, 2);
    TN_EQ_TSTR(ex[1].params, ";c=d");
}

/* ---- permessage-deflate negotiation (RFC 7692 §7.1) ---- */

static int ext1(const char *value, tn_ws_extension *ex, size_t max, size_t *n) {
    hdrs hs;
    hs.n = 0;
    hadd(&hs, "Sec-WebSocket-Extensions", value);
    return tn_ws_parse_extensions(hs.h, hs.n, ex, max, n);
}

/* The server's answer to an offer header ("" when declined). */
static const char *answer(const tn_ws_deflate_opts *o, const char *offer) {
    static char out[128];
    tn_ws_extension ex[8];
    tn_ws_deflate_params p;
    size_t n = 0;
    TN_OK_RC(ext1(offer, ex, 8, &n));
    if (tn_ws_deflate_negotiate(o, ex, n, &p) != TN_OK) return "";
    TN_CHECK(tn_ws_deflate_format(&p, out, sizeof out) > 0);
    return out;
}

TN_TEST(deflate_parse_params) {
    tn_ws_extension ex[4];
    tn_ws_deflate_params p;
    size_t n, i;
    static const char *bad[] = {
        "permessage-deflate; server_max_window_bits",        /* value required */
        "permessage-deflate; server_max_window_bits=7",     "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",   "permessage-deflate; client_max_window_bits=0",
        "permessage-deflate; client_max_window_bits=x",     "permessage-deflate; server_no_context_takeover=1",
        "permessage-deflate; client_no_context_takeover=\"\"x", "permessage-deflate; foo",
        "permessage-deflate; client_max_window_bits; client_max_window_bits=10",   /* repeated */
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover"};
    TN_OK_RC(ext1("permessage-deflate", ex, 4, &n));
    TN_OK_RC(tn_ws_deflate_parse(&ex[0], &p));
    TN_EQ_INT(p.server_max_window_bits, 15);
    TN_EQ_INT(p.client_max_window_bits, 15);
    TN_EQ_INT(p.server_no_context_takeover + p.client_no_context_takeover, 0);
    TN_OK_RC(ext1("PerMessage-Deflate; Server_No_Context_Takeover; client_no_context_takeover; "
                  "server_max_window_bits=\"8\"; client_max_window_bits=15", ex, 4, &n));
    TN_OK_RC(tn_ws_deflate_parse(&ex[0], &p));
    TN_EQ_INT(p.server_no_context_takeover, 1);
    TN_EQ_INT(p.client_no_context_takeover, 1);
    TN_EQ_INT(p.server_max_window_bits, 8);
    TN_EQ_INT(p.server_max_window_bits_named, 1);
    TN_EQ_INT(p.client_max_window_bits, 15);
    TN_EQ_INT(p.client_max_window_bits_named, 1);
    TN_OK_RC(ext1("permessage-deflate; client_max_window_bits", ex, 4, &n));
    TN_OK_RC(tn_ws_deflate_parse(&ex[0], &p));
    TN_EQ_INT(p.client_max_window_bits_named, 1);
    TN_EQ_INT(p.client_max_window_bits, 15);
    TN_OK_RC(ext1("x-webkit-deflate-frame", ex, 4, &n));
    TN_EQ_RC(tn_ws_deflate_parse(&ex[0], &p), TN_EINVAL);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = ext1(bad[i], ex, 4, &n);
        TN_CHECKF(rc != TN_OK || tn_ws_deflate_parse(&ex[0], &p) == TN_EINVAL, "accepted: %s", bad[i]);
    }
}

TN_TEST(deflate_server_negotiation) {
    tn_ws_deflate_opts o;
    memset(&o, 0, sizeof o);
    /* defaults: the plain offer is accepted as is; the client's hint needs no answer */
    TN_EQ_STR(answer(&o, "permessage-deflate"), "permessage-deflate");
    TN_EQ_STR(answer(&o, "permessage-deflate; client_max_window_bits"), "permessage-deflate");
    /* the client limits our window: answered with min(its value, ours = 12 by default) */
    TN_EQ_STR(answer(&o, "permessage-deflate; server_max_window_bits=10"),
              "permessage-deflate; server_max_window_bits=10");
    TN_EQ_STR(answer(&o, "permessage-deflate; server_max_window_bits=15"),
              "permessage-deflate; server_max_window_bits=12");
    TN_EQ_STR(answer(&o, "permessage-deflate; server_no_context_takeover"),
              "permessage-deflate; server_no_context_takeover");
    /* the first acceptable offer wins: an unknown parameter or a bad value declines that one */
    TN_EQ_STR(answer(&o, "permessage-deflate; foo=1, permessage-deflate; server_max_window_bits=20, "
                         "x-other, permessage-deflate; client_no_context_takeover, permessage-deflate"),
              "permessage-deflate");
    TN_EQ_STR(answer(&o, "x-webkit-deflate-frame, permessage-deflate; mystery"), "");
    /* our own wishes: a smaller window for the client (only when it offered the parameter),
       no context takeover either way */
    o.max_window_bits = 9;
    o.no_context_takeover = 1;
    o.peer_no_context_takeover = 1;
    TN_EQ_STR(answer(&o, "permessage-deflate; client_max_window_bits"),
              "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=9");
    TN_EQ_STR(answer(&o, "permessage-deflate; client_max_window_bits=11"),
              "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=9");
    TN_EQ_STR(answer(&o, "permessage-deflate"),
              "permessage-deflate; server_no_context_takeover; client_no_context_takeover");
    o.max_window_bits = 15;
    o.window_bits = 15;
    TN_EQ_STR(answer(&o, "permessage-deflate; client_max_window_bits=11; server_max_window_bits=8"),
              "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; "
              "client_max_window_bits=11");
    /* bad options decline everything; NULL options = defaults */
    o.window_bits = 16;
    TN_EQ_STR(answer(&o, "permessage-deflate"), "");
    TN_EQ_STR(answer(NULL, "permessage-deflate; server_max_window_bits=9"),
              "permessage-deflate; server_max_window_bits=9");
    {
        tn_ws_deflate_params p;
        char small[20];
        memset(&p, 0, sizeof p);
        p.server_no_context_takeover = 1;
        TN_EQ_RC(tn_ws_deflate_format(&p, small, sizeof small), TN_EBUFFER_FULL);
    }
}

TN_TEST(deflate_client_offer_and_answer) {
    tn_ws_deflate_opts o;
    tn_ws_extension ex[4];
    tn_ws_deflate_params p;
    char out[128];
    size_t n, i;
    memset(&o, 0, sizeof o);
    TN_CHECK(tn_ws_deflate_offer(&o, out, sizeof out) > 0);
    TN_EQ_STR(out, "permessage-deflate; client_max_window_bits");
    TN_CHECK(tn_ws_deflate_offer(NULL, out, sizeof out) > 0);
    TN_EQ_STR(out, "permessage-deflate; client_max_window_bits");
    /* declined (no header): TN_ENOENT; the plain answer; any window the server sets for us */
    memset(ex, 0, sizeof ex);
    TN_EQ_RC(tn_ws_deflate_check_response(&o, ex, 0, &p), TN_ENOENT);
    TN_OK_RC(ext1("permessage-deflate", ex, 4, &n));
    TN_OK_RC(tn_ws_deflate_check_response(&o, ex, n, &p));
    TN_EQ_INT(p.client_max_window_bits, 15);
    TN_OK_RC(ext1("permessage-deflate; client_max_window_bits=9; server_max_window_bits=10; "
                  "server_no_context_takeover; client_no_context_takeover", ex, 4, &n));
    TN_OK_RC(tn_ws_deflate_check_response(&o, ex, n, &p));
    TN_EQ_INT(p.client_max_window_bits, 9);
    TN_EQ_INT(p.server_max_window_bits, 10);
    TN_EQ_INT(p.server_no_context_takeover + p.client_no_context_takeover, 2);
    /* all four asked for */
    o.max_window_bits = 10;
    o.no_context_takeover = 1;
    o.peer_no_context_takeover = 1;
    TN_CHECK(tn_ws_deflate_offer(&o, out, sizeof out) > 0);
    TN_EQ_STR(out, "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                   "server_max_window_bits=10; client_max_window_bits");
    TN_OK_RC(ext1("permessage-deflate; server_no_context_takeover; server_max_window_bits=9", ex, 4, &n));
    TN_OK_RC(tn_ws_deflate_check_response(&o, ex, n, &p));
    /* answers that fail the connection */
    {
        static const char *bad[] = {
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=11",   /* above our limit */
            "permessage-deflate; server_no_context_takeover",                   /* our limit ignored */
            "permessage-deflate; server_max_window_bits=10",                    /* takeover kept */
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; foo",
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10, permessage-deflate",
            "x-webkit-deflate-frame",
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=16"};
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            TN_OK_RC(ext1(bad[i], ex, 4, &n));
            TN_CHECKF(tn_ws_deflate_check_response(&o, ex, n, &p) == TN_EWS_HANDSHAKE, "accepted: %s", bad[i]);
        }
    }
    o.window_bits = 7;
    TN_EQ_RC(tn_ws_deflate_offer(&o, out, sizeof out), TN_EINVAL);
    o.window_bits = 0;
    TN_EQ_RC(tn_ws_deflate_offer(&o, out, 20), TN_EBUFFER_FULL);
}

/* The codec lets RSV1 through only on a message's first frame once an extension claims
   it (RFC 7692 §6.1): continuation and control frames with RSV1 are protocol errors. */
TN_TEST(deflate_rsv1_rules) {
    static const struct { const char *bytes; size_t n; int want; } cases[] = {
        { "\xc1\x00", 2, 1 },                              /* RSV1 text, fin: accepted */
        { "\x41\x00\xc0\x00", 4, 0 },                      /* RSV1 on the continuation */
        { "\xc9\x00", 2, 0 },                              /* RSV1 on a ping */
        { "\xa1\x00", 2, 0 },                              /* RSV2 is not claimed */
        { "\x41\x00\x89\x00\x80\x00", 6, 1 },             /* ping between RSV1 fragments */
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tn_ws_parser p;
        tn_ws_event ev;
        char buf[16];
        size_t off = 0;
        int rc = 0, ends = 0;
        memset(&p, 0, sizeof p);
        p.role = TN_WS_CLIENT;
        p.rsv_allowed = TN_WS_RSV1;
        memcpy(buf, cases[i].bytes, cases[i].n);
        while (off < cases[i].n && (rc = tn_ws_parse(&p, buf + off, cases[i].n - off, &ev)) > 0) {
            off += (size_t)rc;
            if ((ev.flags & TN_WS_EV_MESSAGE_END) && !(ev.opcode & 8)) {
                ends++;
                TN_EQ_UINT(ev.rsv, TN_WS_RSV1);
            }
        }
        if (cases[i].want) TN_CHECKF(rc > 0 && ends == 1, "case %u: rc %d", (unsigned)i, rc);
        else TN_CHECKF(rc == TN_EWS_PROTOCOL, "case %u: rc %d", (unsigned)i, rc);
    }
    TN_EQ_INT(tn_ws_error_close_code(TN_EBAD_DEFLATE), 1007);
}

TN_TEST(client_handshake) {
    char key[TN_WS_KEY_SIZE + 1], key2[TN_WS_KEY_SIZE + 1], accept[TN_WS_ACCEPT_SIZE + 1];
    unsigned char raw[18];
    size_t raw_len;
    hdrs hs;
    TN_OK_RC(tn_ws_client_key(key));
    TN_OK_RC(tn_ws_client_key(key2));
    TN_EQ_UINT(strlen(key), TN_WS_KEY_SIZE);
    TN_CHECK(strcmp(key, key2) != 0);
    TN_OK_RC(tn_base64_decode(key, strlen(key), raw, sizeof raw, &raw_len, TN_BASE64_STD));
    TN_EQ_UINT(raw_len, 16);
    /* a server accepts what the client sends */
    good_request(&hs);
    hset(&hs, "Sec-WebSocket-Key", key);
    TN_OK_RC(check_req(&hs));
    tn_ws_accept_key(tn_str_c(key), accept);
    hs.n = 0;
    hadd(&hs, "Upgrade", "websocket");
    hadd(&hs, "Connection", "Upgrade");
    hadd(&hs, "Sec-WebSocket-Accept", accept);
    TN_OK_RC(tn_ws_check_response(101, hs.h, hs.n, tn_str_c(key)));
    TN_EQ_RC(tn_ws_check_response(200, hs.h, hs.n, tn_str_c(key)), TN_EWS_HANDSHAKE);
    TN_EQ_RC(tn_ws_check_response(101, hs.h, hs.n, tn_str_c(key2)), TN_EWS_HANDSHAKE);
    hset(&hs, "Upgrade", "h2c");
    TN_EQ_RC(tn_ws_check_response(101, hs.h, hs.n, tn_str_c(key)), TN_EWS_HANDSHAKE);
    hset(&hs, "Upgrade", "websocket");
    hset(&hs, "Connection", "close");
    TN_EQ_RC(tn_ws_check_response(101, hs.h, hs.n, tn_str_c(key)), TN_EWS_HANDSHAKE);
    hset(&hs, "Connection", "upgrade");
    hadd(&hs, "Sec-WebSocket-Accept", accept);   /* two */
    TN_EQ_RC(tn_ws_check_response(101, hs.h, hs.n, tn_str_c(key)), TN_EWS_HANDSHAKE);
    hset(&hs, "Sec-WebSocket-Accept", NULL);
    hset(&hs, "Sec-WebSocket-Accept", NULL);
    TN_EQ_RC(tn_ws_check_response(101, hs.h, hs.n, tn_str_c(key)), TN_EWS_HANDSHAKE);
    /* RFC 6455 §1.3 response */
    hadd(&hs, "Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    TN_OK_RC(tn_ws_check_response(101, hs.h, hs.n, tn_str_c("dGhlIHNhbXBsZSBub25jZQ==")));
}

TN_TEST(parsed_request_end_to_end) {
    /* the RFC 6455 §1.2 handshake through the HTTP parser and the checks */
    static const char req[] =
        "GET /chat HTTP/1.1\r\n"
        "Host: server.example.com\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Origin: http://server.example.com\r\n"
        "Sec-WebSocket-Protocol: chat, superchat\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n";
    tn_http_header h[16];
    tn_http_request r;
    tn_str key, chosen;
    char accept[TN_WS_ACCEPT_SIZE + 1];
    static const char *const mine[] = {"superchat"};
    memset(&r, 0, sizeof r);
    r.headers = h;
    r.max_headers = 16;
    TN_EQ_INT(tn_http_parse_request(req, sizeof req - 1, &r), (int)(sizeof req - 1));
    TN_CHECK(r.flags & TN_HTTP_F_UPGRADE);
    TN_OK_RC(tn_ws_check_request(r.method, r.version, r.headers, r.num_headers, 0, &key));
    tn_ws_accept_key(key, accept);
    TN_EQ_STR(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    TN_OK_RC(tn_ws_select_protocol(r.headers, r.num_headers, mine, 1, &chosen));
    TN_EQ_TSTR(chosen, "superchat");
}


/* ---- against a real peer: Python Tornado (tests/ws_tornado_peer.py) ---- */

#define PY "/usr/bin/python3"
#define PEER "tests/ws_tornado_peer.py"

static void need_tornado(void) {
    char out[64];
    TN_LINUX_PEER("python3 with Tornado");
    if (access(PY, X_OK) != 0 || access(PEER, R_OK) != 0) TN_SKIP("needs " PY " and " PEER " (run from the repo root)");
    run_cmd(PY " -c 'import tornado.websocket; print(\"yes\")' 2>/dev/null", out, sizeof out);
    if (strncmp(out, "yes", 3) != 0) TN_SKIP("install python3-tornado (apt-get install python3-tornado)");
}

/* One side of a blocking connection: received bytes, a parser, the data message so far. */
typedef struct wsconn {
    int fd;
    tn_ws_parser p;
    char buf[8192];
    size_t pos, len;
    wbuf msg;
} wsconn;

static void wsconn_init(wsconn *c, int fd, int role) {
    struct timeval tv;
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->p.role = role;
    tv.tv_sec = 15;
    tv.tv_usec = 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* Read an HTTP head into c->buf; bytes after it stay there for the frame parser. Returns
   the head's length. */
static size_t wsconn_read_head(wsconn *c) {
    for (;;) {
        ssize_t k;
        char *end;
        c->buf[c->len] = 0;
        end = strstr(c->buf, "\r\n\r\n");
        if (end) {
            c->pos = (size_t)(end + 4 - c->buf);
            return c->pos;
        }
        TN_CHECK(c->len < sizeof c->buf - 1);
        k = recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, 0);
        TN_CHECKF(k > 0, "connection ended during the handshake");
        c->len += (size_t)k;
    }
}

/* The next message: a whole data message, or a control frame (which may come between a
   data message's fragments). Returns 1, or 0 when the peer closed the connection. */
static int wsconn_next(wsconn *c, int *opcode, wbuf *out) {
    out->len = 0;
    for (;;) {
        tn_ws_event ev;
        int rc;
        if (c->pos == c->len) {
            ssize_t k = recv(c->fd, c->buf, sizeof c->buf, 0);
            TN_CHECKF(k >= 0, "recv: %s", strerror(errno));
            if (k == 0) return 0;
            c->pos = 0;
            c->len = (size_t)k;
        }
        rc = tn_ws_parse(&c->p, c->buf + c->pos, c->len - c->pos, &ev);
        if (rc == TN_EINCOMPLETE) {
            c->pos = c->len;
            continue;
        }
        TN_CHECKF(rc > 0, "parse: %s", tn_err_name(rc));
        c->pos += (size_t)rc;
        if (ev.frame.opcode & 8) {
            wb_put(out, ev.data.ptr, ev.data.len);
            *opcode = ev.opcode;
            return 1;
        }
        wb_put(&c->msg, ev.data.ptr, ev.data.len);
        if (ev.flags & TN_WS_EV_MESSAGE_END) {
            wb_put(out, c->msg.p, c->msg.len);
            c->msg.len = 0;
            *opcode = ev.opcode;
            return 1;
        }
    }
}

/* Send one frame; masked with a fresh random key (client side) or not (server side). */
static void wsconn_send(wsconn *c, int fin, int opcode, const void *payload, size_t n) {
    tn_ws_frame f;
    char *frame = (char *)malloc(TN_WS_MAX_HEADER + n + 1);
    int h;
    memset(&f, 0, sizeof f);
    f.fin = fin;
    f.opcode = opcode;
    f.masked = c->p.role == TN_WS_CLIENT;
    f.length = n;
    if (f.masked) TN_OK_RC(tn_random_bytes(f.mask, 4));
    h = tn_ws_write_header(frame, TN_WS_MAX_HEADER, &f);
    TN_CHECK(h > 0);
    if (f.masked) tn_ws_mask_copy(frame + h, (const char *)payload, n, f.mask, 0);
    else if (n) memcpy(frame + h, payload, n);
    cli_send(c->fd, frame, (size_t)h + n);
    free(frame);
}

static int msg_is(const wbuf *m, const void *s, size_t n) { return m->len == n && (n == 0 || memcmp(m->p, s, n) == 0); }

TN_TEST(client_against_tornado_server) {
    FILE *peer;
    char line[64], key[TN_WS_KEY_SIZE + 1], req[512];
    int port, op;
    wsconn c;
    tn_http_header h[32];
    tn_http_response res;
    wbuf m = {0, 0, 0};
    unsigned char *big = (unsigned char *)malloc(70000);
    size_t i;
    need_tornado();
    peer = popen(PY " " PEER " server", "r");
    TN_CHECK(peer != NULL);
    TN_CHECKF(fgets(line, sizeof line, peer) != NULL && (port = atoi(line)) > 0, "peer did not start");
    wsconn_init(&c, cli_connect(port, 0), TN_WS_CLIENT);
    TN_OK_RC(tn_ws_client_key(key));
    snprintf(req, sizeof req,
             "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:%d\r\n\r\n",
             port, key, port);
    cli_sends(c.fd, req);
    memset(&res, 0, sizeof res);
    res.headers = h;
    res.max_headers = 32;
    TN_EQ_INT(tn_http_parse_response(c.buf, wsconn_read_head(&c), &res), (int)c.pos);
    TN_EQ_INT(res.status, 101);
    TN_OK_RC(tn_ws_check_response(res.status, res.headers, res.num_headers, tn_str_c(key)));
    /* a fragmented text with characters across fragments and a ping between them */
    wsconn_send(&c, 0, TN_WS_TEXT, "h\xc3", 2);
    wsconn_send(&c, 1, TN_WS_PING, "pp", 2);
    wsconn_send(&c, 0, TN_WS_CONT, "\xa9llo \xe2\x82", 7);
    wsconn_send(&c, 1, TN_WS_CONT, "\xac", 1);
    TN_CHECK(wsconn_next(&c, &op, &m));
    TN_EQ_INT(op, TN_WS_PONG);
    TN_CHECK(msg_is(&m, "pp", 2));
    TN_CHECK(wsconn_next(&c, &op, &m));
    TN_EQ_INT(op, TN_WS_TEXT);
    TN_CHECKF(msg_is(&m, "h\xc3\xa9llo \xe2\x82\xac", 10), "echo: %.*s", (int)m.len, m.p);
    /* 64-bit lengths both ways */
    for (i = 0; i < 70000; i++) big[i] = (unsigned char)(i * 13);
    wsconn_send(&c, 1, TN_WS_BINARY, big, 70000);
    TN_CHECK(wsconn_next(&c, &op, &m));
    TN_EQ_INT(op, TN_WS_BINARY);
    TN_CHECK(msg_is(&m, big, 70000));
    /* the server closes: 4001 with a UTF-8 reason; answer with the same code */
    wsconn_send(&c, 1, TN_WS_TEXT, "close-me", 8);
    TN_CHECK(wsconn_next(&c, &op, &m));
    TN_EQ_INT(op, TN_WS_CLOSE);
    {
        int code;
        tn_str reason;
        char payload[TN_WS_MAX_CONTROL];
        int n;
        TN_OK_RC(tn_ws_close_parse((const char *)m.p, m.len, &code, &reason));
        TN_EQ_INT(code, 4001);
        TN_EQ_TSTR(reason, "bye \xe2\x9c\x93");
        n = tn_ws_close_payload(payload, sizeof payload, code, NULL, 0);
        wsconn_send(&c, 1, TN_WS_CLOSE, payload, (size_t)n);
    }
    TN_EQ_INT(wsconn_next(&c, &op, &m), 0);   /* the server closes the TCP connection */
    close(c.fd);
    TN_EQ_INT(pclose(peer), 0);
    free(big);
    free(m.p);
    free(c.msg.p);
}

TN_TEST(server_against_tornado_client) {
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1, op, pings = 0, messages = 0;
    FILE *peer;
    char cmd[256], line[256], resp[256], accept_key[TN_WS_ACCEPT_SIZE + 1];
    wsconn c;
    tn_http_header h[32];
    tn_http_request req;
    tn_str key;
    wbuf m = {0, 0, 0};
    need_tornado();
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(0x7f000001);
    TN_CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(lfd, 4) == 0);
    TN_CHECK(getsockname(lfd, (struct sockaddr *)&sa, &sl) == 0);
    snprintf(cmd, sizeof cmd, PY " " PEER " client %d", ntohs(sa.sin_port));
    peer = popen(cmd, "r");
    TN_CHECK(peer != NULL);
    wsconn_init(&c, accept(lfd, NULL, NULL), TN_WS_SERVER);
    TN_CHECK(c.fd >= 0);
    memset(&req, 0, sizeof req);
    req.headers = h;
    req.max_headers = 32;
    TN_EQ_INT(tn_http_parse_request(c.buf, wsconn_read_head(&c), &req), (int)c.pos);
    TN_OK_RC(tn_ws_check_request(req.method, req.version, req.headers, req.num_headers, 0, &key));
    tn_ws_accept_key(key, accept_key);
    snprintf(resp, sizeof resp,
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: %s\r\n\r\n", accept_key);
    cli_sends(c.fd, resp);
    /* echo until the client closes */
    while (wsconn_next(&c, &op, &m)) {
        if (op == TN_WS_PING) {
            pings++;
            wsconn_send(&c, 1, TN_WS_PONG, m.p, m.len);
        } else if (op == TN_WS_CLOSE) {
            int code;
            tn_str reason;
            TN_OK_RC(tn_ws_close_parse((const char *)m.p, m.len, &code, &reason));
            TN_EQ_INT(code, 1000);
            TN_EQ_TSTR(reason, "done");
            wsconn_send(&c, 1, TN_WS_CLOSE, m.p, m.len);   /* echo the peer's code (Tornado does) */
            break;
        } else if (op == TN_WS_TEXT || op == TN_WS_BINARY) {
            messages++;
            wsconn_send(&c, 1, op, m.p, m.len);
        }
    }
    close(c.fd);
    close(lfd);
    TN_CHECK(fgets(line, sizeof line, peer) != NULL);
    TN_CHECKF(strncmp(line, "ok", 2) == 0, "Tornado client: %s", line);
    TN_EQ_INT(pclose(peer), 0);
    TN_EQ_INT(messages, 3);
    TN_EQ_INT(pings, 1);
    free(m.p);
    free(c.msg.p);
}

TN_TESTS(TN_CASE(length_encodings), TN_CASE(length_rules), TN_CASE(mask_simd_vs_scalar),
         TN_CASE(every_split_point), TN_CASE(large_frame_pieces), TN_CASE(header_event_before_payload),
         TN_CASE(protocol_errors), TN_CASE(message_size_limit), TN_CASE(utf8_text), TN_CASE(close_payloads),
         TN_CASE(write_header), TN_CASE(accept_key_vector), TN_CASE(server_handshake), TN_CASE(subprotocols),
         TN_CASE(extensions), TN_CASE(deflate_parse_params), TN_CASE(deflate_server_negotiation),
         TN_CASE(deflate_client_offer_and_answer), TN_CASE(deflate_rsv1_rules), TN_CASE(client_handshake), TN_CASE(parsed_request_end_to_end),
         TN_CASE(client_against_tornado_server), TN_CASE(server_against_tornado_client))
