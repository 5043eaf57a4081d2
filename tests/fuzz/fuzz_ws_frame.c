/* fuzz_ws_frame.c: libFuzzer harness for the WebSocket frame codec. The first input byte
   picks the parser's role, claimed RSV bits, UTF-8 checking, message limit, a split point and
   an output capacity; the rest is the byte stream. Invariants: feeding the stream whole, in
   two pieces, byte by byte (small inputs) and into caller memory of a small capacity gives
   the same events and the same result; consumed counts and event offsets stay in bounds;
   every complete frame re-encoded with tn_ws_write_header + tn_ws_mask is byte-identical to
   its input (lengths must be minimal, so the encoding is canonical); SSE2 and scalar masking
   agree; close payloads that validate rebuild identically; and the extension / subprotocol
   list parsers, fed the input as a header value, return slices inside it. */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include "fuzz_check.h"

typedef struct fz_out {
    unsigned char *p;
    size_t len, cap;
} fz_out;

static void fz_put(fz_out *o, const void *d, size_t n) {
    if (o->len + n > o->cap) {
        o->cap = (o->len + n) * 2 + 64;
        o->p = (unsigned char *)realloc(o->p, o->cap);
        FZ_CHECK(o->p != NULL);
    }
    if (n) memcpy(o->p + o->len, d, n);
    o->len += n;
}

typedef struct fz_run {
    fz_out log;       /* events: header fields, flags and data */
    fz_out frames;    /* complete frames re-encoded */
    fz_out payload;   /* the open frame's payload so far */
    size_t log_done;  /* log bytes up to the last complete frame */
    tn_ws_frame open; /* its header */
    size_t complete;  /* input bytes of complete frames */
    int rc;
} fz_run;

static void fz_free(fz_run *r) {
    free(r->log.p);
    free(r->frames.p);
    free(r->payload.p);
}

static void fz_event(fz_run *r, const tn_ws_event *ev, size_t consumed_to) {
    unsigned char rec[24];
    FZ_CHECK(ev->offset + ev->data.len <= ev->frame.length);
    if (ev->flags & TN_WS_EV_FRAME_START) {
        FZ_CHECK(ev->offset == 0);
        r->open = ev->frame;
        r->payload.len = 0;
    }
    FZ_CHECK(ev->offset == r->payload.len);
    FZ_CHECK(ev->frame.length == r->open.length && ev->frame.opcode == r->open.opcode);
    if (ev->frame.opcode & 8) {
        FZ_CHECK(ev->flags == (TN_WS_EV_FRAME_START | TN_WS_EV_FRAME_END | TN_WS_EV_MESSAGE_END));
        FZ_CHECK(ev->data.len <= TN_WS_MAX_CONTROL && ev->frame.fin && ev->opcode == ev->frame.opcode);
    } else {
        FZ_CHECK(ev->opcode == TN_WS_TEXT || ev->opcode == TN_WS_BINARY);
        if (ev->flags & TN_WS_EV_MESSAGE_END) FZ_CHECK((ev->flags & TN_WS_EV_FRAME_END) && ev->frame.fin);
    }
    fz_put(&r->payload, ev->data.ptr, ev->data.len);
    /* the log: what must not depend on how the input was split (not the piece sizes) */
    if (ev->flags & TN_WS_EV_FRAME_START) {
        rec[0] = 'F';
        rec[1] = (unsigned char)ev->frame.opcode;
        rec[2] = (unsigned char)(ev->frame.rsv | (unsigned)ev->frame.fin | (unsigned)ev->frame.masked << 1);
        rec[3] = (unsigned char)ev->opcode;
        rec[4] = (unsigned char)ev->rsv;
        memcpy(rec + 5, &ev->frame.length, 8);
        fz_put(&r->log, rec, 13);
    }
    if (ev->flags & TN_WS_EV_FRAME_END) {
        char head[TN_WS_MAX_HEADER];
        size_t start = r->frames.len;
        uint64_t msg_end = ev->message_offset + ev->data.len;   /* independent of piece sizes */
        int h;
        FZ_CHECK(r->payload.len == ev->frame.length);
        fz_put(&r->log, "E", 1);
        fz_put(&r->log, &msg_end, sizeof msg_end);
        fz_put(&r->log, r->payload.p, r->payload.len);
        if (ev->flags & TN_WS_EV_MESSAGE_END) fz_put(&r->log, "M", 1);
        r->log_done = r->log.len;
        /* re-encode */
        h = tn_ws_write_header(head, sizeof head, &ev->frame);
        FZ_CHECK(h > 0);
        fz_put(&r->frames, head, (size_t)h);
        fz_put(&r->frames, r->payload.p, r->payload.len);
        if (ev->frame.masked)
            tn_ws_mask((char *)r->frames.p + start + h, r->payload.len, ev->frame.mask, 0);
        r->complete = consumed_to;
        if (ev->frame.opcode == TN_WS_CLOSE) {
            int code;
            tn_str reason;
            if (tn_ws_close_parse((const char *)r->payload.p, r->payload.len, &code, &reason) == TN_OK) {
                char again[TN_WS_MAX_CONTROL];
                int n = tn_ws_close_payload(again, sizeof again, code == 1005 ? 0 : code, reason.ptr, reason.len);
                FZ_CHECK(n >= 0 && (size_t)n == r->payload.len);
                FZ_CHECK(n == 0 || memcmp(again, r->payload.p, r->payload.len) == 0);
            }
        }
    }
}

/* Feed in[0..n) in pieces of `step` bytes (0 = whole); cap 0 = in place, else into memory. */
static void fz_parse(const tn_ws_parser *proto, const unsigned char *in, size_t n, size_t step, size_t cap,
                     fz_run *r) {
    tn_ws_parser p = *proto;
    unsigned char *work = (unsigned char *)malloc(n ? n : 1);
    char *out = (char *)malloc(cap ? cap : 1);
    size_t start = 0;
    memset(r, 0, sizeof *r);
    r->rc = TN_EINCOMPLETE;
    if (n) memcpy(work, in, n);
    while (start < n) {
        size_t end = step ? (n - start < step ? n : start + step) : n, pos = start;
        for (;;) {
            tn_ws_event ev;
            int rc = cap ? tn_ws_parse_into(&p, (const char *)work + pos, end - pos, out, cap, &ev)
                         : tn_ws_parse(&p, (char *)work + pos, end - pos, &ev);
            if (rc == TN_EINCOMPLETE) break;
            if (rc < 0) {
                FZ_CHECK(rc == TN_EWS_PROTOCOL || rc == TN_EWS_TOO_BIG || rc == TN_EWS_BAD_UTF8);
                FZ_CHECK(tn_ws_error_close_code(rc) >= 1002);
                r->rc = rc;
                r->log.len = r->log_done;   /* how much of a failing frame was seen depends on the split */
                goto done;
            }
            FZ_CHECK((size_t)rc <= end - pos);
            if (cap && !(ev.frame.opcode & 8)) FZ_CHECK(ev.data.len <= cap && (ev.data.len == 0 || ev.data.ptr == out));
            if (!cap && !(ev.frame.opcode & 8) && ev.data.len)
                FZ_CHECK(ev.data.ptr >= (const char *)work + pos && ev.data.ptr + ev.data.len <= (const char *)work + pos + rc);
            pos += (size_t)rc;
            fz_event(r, &ev, pos);
        }
        start = end;
    }
done:
    free(work);
    free(out);
}

static int fz_same(const fz_run *a, const fz_run *b) {
    return a->rc == b->rc && a->log.len == b->log.len && (a->log.len == 0 || memcmp(a->log.p, b->log.p, a->log.len) == 0);
}

static void fz_lists(const unsigned char *in, size_t n) {
    tn_http_header h[2];
    tn_ws_extension ex[8];
    tn_str pr[8], name, value, rest, chosen;
    size_t count, i;
    static const char *const sup[] = {"chat", "b"};
    const char *s = (const char *)in;
    h[0].name = tn_str_c("Sec-WebSocket-Extensions");
    h[0].value = tn_str_make(s, n);
    h[1].name = tn_str_c("Sec-WebSocket-Protocol");
    h[1].value = tn_str_make(s, n);
    if (tn_ws_parse_extensions(h, 2, ex, 8, &count) != TN_EWS_HANDSHAKE) {
        FZ_CHECK(count <= 8);
        for (i = 0; i < count; i++) {
            FZ_CHECK(ex[i].name.len > 0 && ex[i].name.ptr >= s && ex[i].name.ptr + ex[i].name.len <= s + n);
            rest = ex[i].params;
            FZ_CHECK(rest.len == 0 || (rest.ptr >= s && rest.ptr + rest.len <= s + n));
            while (tn_ws_ext_param_next(&rest, &name, &value) == 1)
                FZ_CHECK(name.len > 0 && name.ptr >= s && name.ptr + name.len <= s + n);
            FZ_CHECK(rest.len == 0);   /* validated params are walked to their end */
        }
    }
    if (tn_ws_parse_protocols(h, 2, pr, 8, &count) != TN_EWS_HANDSHAKE) {
        for (i = 0; i < count; i++) FZ_CHECK(pr[i].len > 0 && pr[i].ptr >= s && pr[i].ptr + pr[i].len <= s + n);
        FZ_CHECK(tn_ws_select_protocol(h, 2, sup, 2, &chosen) != TN_EWS_HANDSHAKE);
    } else {
        FZ_CHECK(tn_ws_select_protocol(h, 2, sup, 2, &chosen) == TN_EWS_HANDSHAKE);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint64_t limits[4] = {0, 1, 200, 70000};
    tn_ws_parser proto;
    fz_run whole, other;
    unsigned sel;
    const unsigned char *in;
    size_t n, split;
    if (size < 1) return 0;
    sel = data[0];
    in = data + 1;
    n = size - 1;
    memset(&proto, 0, sizeof proto);
    proto.role = (sel & 1) ? TN_WS_CLIENT : TN_WS_SERVER;
    proto.rsv_allowed = (sel & 2) ? TN_WS_RSV1 : 0;
    proto.flags = (sel & 4) ? TN_WS_NO_UTF8_CHECK : 0;
    proto.max_message_size = limits[(sel >> 3) & 3];

    fz_parse(&proto, in, n, 0, 0, &whole);
    /* canonical encoding: the complete frames re-encode to exactly their input */
    FZ_CHECK(whole.frames.len == whole.complete);
    FZ_CHECK(whole.complete == 0 || memcmp(whole.frames.p, in, whole.complete) == 0);

    split = n ? (sel * 31u + n / 3) % n + 1 : 1;
    fz_parse(&proto, in, n, split, 0, &other);
    FZ_CHECK(fz_same(&whole, &other));
    fz_free(&other);
    fz_parse(&proto, in, n, 0, 1 + ((sel >> 5) & 7) * 5, &other);
    FZ_CHECK(fz_same(&whole, &other));
    fz_free(&other);
    if (n <= 512) {
        fz_parse(&proto, in, n, 1, 0, &other);
        FZ_CHECK(fz_same(&whole, &other));
        fz_free(&other);
        fz_parse(&proto, in, n, 1, 3, &other);
        FZ_CHECK(fz_same(&whole, &other));
        fz_free(&other);
    }
    fz_free(&whole);

    /* masking: the compiled path against the scalar one, at an input-chosen phase */
    {
        unsigned char *a = (unsigned char *)malloc(n + 1), *b = (unsigned char *)malloc(n + 1);
        unsigned char key[4] = {0x5a, (unsigned char)sel, 0xc3, 0x01};
        size_t off = n ? sel % (n < 16 ? n : 16) : 0;
        tn_ws_mask_copy((char *)a, (const char *)in + off, n - off, key, sel);
        tn__ws_mask_scalar(b, in + off, n - off, key, sel);
        FZ_CHECK(n - off == 0 || memcmp(a, b, n - off) == 0);
        free(a);
        free(b);
    }
    if (n <= 2048) fz_lists(in, n);
    return 0;
}

#include "fuzz_main.h"
