/* ws.c: WebSocket (RFC 6455) frame codec, close payloads and handshake helpers, pure (no I/O). */
#include "ws.h"
#include "internal.h"
#include "crypto.h"
#include "http_parse.h"

#if TN_HAS_WEBSOCKET

/* ---- policy ----------------------------------------------------------------------------
   The frame parser is a push parser over any split of the input (one byte at a time
   works): bytes in, events out, no I/O, no allocation. It keeps at most a partial header
   (14 bytes) and a control payload (125 bytes) between calls; data payload is never held
   back: each piece is unmasked (in place or into caller memory) and handed out at once.
   Refused, as RFC 6455 requires and Tornado does (all TN_EWS_PROTOCOL → close 1002):
   - reserved opcodes (3-7, 0xB-0xF);
   - RSV bits no extension claimed (tn_ws_parser.rsv_allowed); claimed bits only on the
     first frame of a data message, which is how permessage-deflate (RFC 7692 §6.1) uses
     RSV1 and the only place a registered extension uses them;
   - a client frame without a mask (server role), a server frame with one (client role);
   - control frames with FIN clear or a payload over 125 bytes;
   - a length that is not in its shortest encoding (RFC 6455 §5.2: "the minimal number of
     bytes MUST be used"), or a 64-bit length with the top bit set;
   - a continuation frame with no message open, a TEXT/BINARY frame while one is open
     (control frames may come between fragments).
   Checks run as soon as the bytes they need are in: opcode, RSV, mask bit and control
   rules at the second header byte, length rules at the end of the header, the message
   size at the header too (running message length + this frame's declared length, so an
   oversized message fails before its payload arrives: TN_EWS_TOO_BIG → 1009), UTF-8 of
   text messages at the first bad byte of a piece (TN_EWS_BAD_UTF8 → 1007). Errors are
   sticky: a connection that broke the protocol is closed, never resynchronised.
   What the parser does not judge: close payloads (tn_ws_close_parse does), frames after a
   close (the endpoint stops reading), extension semantics (compressed messages are handed
   out as received, flagged by their RSV bits). */

enum { TN__WS_HEAD = 0, TN__WS_DATA = 1, TN__WS_CTL = 2, TN__WS_ERROR = 3 };

/* ---- masking: SSE2 when available, 8 bytes at a time otherwise (same results) ---- */

/* The key rotated to `phase`: k[j] = key[(phase + j) & 3]; returns the same 4 bytes as a
   word in memory order. The pattern repeats every 4 bytes, so a 64-bit word of two copies
   (or a 128-bit vector of four) is right in either byte order. */
TN__PRIVATE uint32_t tn__ws_key_word(const unsigned char key[4], uint64_t phase, unsigned char k[4]) {
    unsigned s = (unsigned)(phase & 3);
    uint32_t w;
    k[0] = key[s];
    k[1] = key[(s + 1) & 3];
    k[2] = key[(s + 2) & 3];
    k[3] = key[(s + 3) & 3];
    memcpy(&w, k, 4);
    return w;
}

/* dst[i..n) = src[i..n) ^ pattern, 8 bytes at a time, then one 4-byte word, then bytewise
   (i is a multiple of 4). */
TN__PRIVATE void tn__ws_mask_words(unsigned char *dst, const unsigned char *src, size_t i, size_t n,
                                   const unsigned char k[4], uint32_t kw32) {
    uint64_t kw = ((uint64_t)kw32 << 32) | kw32;
    for (; n - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, src + i, 8);
        w ^= kw;
        memcpy(dst + i, &w, 8);
    }
    if (n - i >= 4) {
        uint32_t w;
        memcpy(&w, src + i, 4);
        w ^= kw32;
        memcpy(dst + i, &w, 4);
        i += 4;
    }
    for (; i < n; i++) dst[i] = (unsigned char)(src[i] ^ k[i & 3]);
}

TN__PRIVATE void tn__ws_mask_scalar(unsigned char *dst, const unsigned char *src, size_t n, const unsigned char key[4],
                                    uint64_t phase) {
    unsigned char k[4];
    uint32_t kw = tn__ws_key_word(key, phase, k);
    tn__ws_mask_words(dst, src, 0, n, k, kw);
}

#if TN__HAVE_SSE2
TN__PRIVATE void tn__ws_mask_sse2(unsigned char *dst, const unsigned char *src, size_t n, const unsigned char key[4],
                                  uint64_t phase) {
    unsigned char k[4];
    uint32_t kw = tn__ws_key_word(key, phase, k);
    __m128i kv = _mm_set1_epi32((int)kw);   /* x86 is little-endian: lanes repeat k[0..3] in memory */
    size_t i = 0;
    for (; n - i >= 64; i += 64) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 32));
        __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 48));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_xor_si128(a, kv));
        _mm_storeu_si128((__m128i *)(void *)(dst + i + 16), _mm_xor_si128(b, kv));
        _mm_storeu_si128((__m128i *)(void *)(dst + i + 32), _mm_xor_si128(c, kv));
        _mm_storeu_si128((__m128i *)(void *)(dst + i + 48), _mm_xor_si128(d, kv));
    }
    for (; n - i >= 16; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_xor_si128(a, kv));
    }
    tn__ws_mask_words(dst, src, i, n, k, kw);
}
#endif

TN__PRIVATE void tn__ws_mask(unsigned char *dst, const unsigned char *src, size_t n, const unsigned char key[4],
                             uint64_t phase) {
#if TN__HAVE_SSE2
    tn__ws_mask_sse2(dst, src, n, key, phase);
#else
    tn__ws_mask_scalar(dst, src, n, key, phase);
#endif
}

TN_API void tn_ws_mask(char *data, size_t n, const unsigned char key[4], uint64_t phase) {
    tn__ws_mask((unsigned char *)data, (const unsigned char *)data, n, key, phase);
}

TN_API void tn_ws_mask_copy(char *dst, const char *src, size_t n, const unsigned char key[4], uint64_t phase) {
    tn__ws_mask((unsigned char *)dst, (const unsigned char *)src, n, key, phase);
}

/* ---- frame parser ---- */

TN__PRIVATE int tn__ws_fail(tn_ws_parser *p, int err) {
    p->_state = TN__WS_ERROR;
    p->_err = err;
    return err;
}

/* Header size announced by the first two bytes. */
TN__PRIVATE size_t tn__ws_head_size(unsigned b1) {
    unsigned len7 = b1 & 0x7f;
    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((b1 & 0x80) ? 4 : 0);
}

/* The rules the first two header bytes decide (see the policy above). */
TN__PRIVATE int tn__ws_check_start(const tn_ws_parser *p, unsigned b0, unsigned b1) {
    unsigned op = b0 & 0x0f, rsv = b0 & 0x70;
    int masked = (b1 & 0x80) != 0;
    if ((op >= 3 && op <= 7) || op > TN_WS_PONG) return TN_EWS_PROTOCOL;
    if (op & 8) {
        if (!(b0 & 0x80) || (b1 & 0x7f) > TN_WS_MAX_CONTROL || rsv) return TN_EWS_PROTOCOL;
    } else if (op == TN_WS_CONT) {
        if (!p->_msg_opcode || rsv) return TN_EWS_PROTOCOL;
    } else if (p->_msg_opcode || (rsv & ~p->rsv_allowed)) {
        return TN_EWS_PROTOCOL;
    }
    if (masked != (p->role != TN_WS_CLIENT)) return TN_EWS_PROTOCOL;
    return TN_OK;
}

/* A complete header at h (its size already known to be right): fill p->_frame, check the
   length rules and the message size, and open a data message. */
TN__PRIVATE int tn__ws_take_head(tn_ws_parser *p, const unsigned char *h) {
    tn_ws_frame *f = &p->_frame;
    unsigned len7 = h[1] & 0x7f;
    const unsigned char *q = h + 2;
    uint64_t len = len7;
    if (len7 == 126) {
        len = ((uint64_t)q[0] << 8) | q[1];
        if (len < 126) return TN_EWS_PROTOCOL;
        q += 2;
    } else if (len7 == 127) {
        int i;
        len = 0;
        for (i = 0; i < 8; i++) len = (len << 8) | q[i];
        if ((len >> 63) || len < 65536) return TN_EWS_PROTOCOL;
        q += 8;
    }
    f->fin = (h[0] & 0x80) != 0;
    f->opcode = h[0] & 0x0f;
    f->rsv = h[0] & 0x70;
    f->masked = (h[1] & 0x80) != 0;
    if (f->masked) memcpy(f->mask, q, 4);
    else memset(f->mask, 0, 4);
    f->length = len;
    p->_left = len;
    if (f->opcode & 8) {
        p->_state = TN__WS_CTL;
        p->_clen = 0;
        return TN_OK;
    }
    {
        uint64_t max = TN__DEF(p->max_message_size, (uint64_t)TORNADO_MAX_WS_MESSAGE);
        uint64_t sofar = f->opcode == TN_WS_CONT ? p->_msg_len : 0;
        if (len > max || sofar > max - len) return TN_EWS_TOO_BIG;
    }
    if (f->opcode != TN_WS_CONT) {
        p->_msg_opcode = f->opcode;
        p->_msg_rsv = f->rsv;
        p->_msg_len = 0;
        tn_utf8_init(&p->_utf8);
    }
    p->_state = TN__WS_DATA;
    return TN_OK;
}

/* The parser proper. in/len: input; dst_base: where payload goes (the input itself for
   in-place unmasking, with dst_in_place set, or caller memory of cap bytes). */
TN__PRIVATE int tn__ws_run(tn_ws_parser *p, const unsigned char *in, size_t len, unsigned char *out, size_t cap,
                           int in_place, tn_ws_event *ev) {
    size_t pos = 0;
    unsigned flags = 0;
    if (p->_state == TN__WS_ERROR) return p->_err;
    if (len > 0x7fffffffu) len = 0x7fffffffu;   /* the result is an int: take at most INT_MAX per call */

    if (p->_state == TN__WS_HEAD) {
        int rc;
        if (p->_hlen == 0 && len >= 2 && len >= tn__ws_head_size(in[1])) {
            /* fast path: the whole header is in the input */
            if ((rc = tn__ws_check_start(p, in[0], in[1])) != TN_OK) return tn__ws_fail(p, rc);
            if ((rc = tn__ws_take_head(p, in)) != TN_OK) return tn__ws_fail(p, rc);
            pos = tn__ws_head_size(in[1]);
        } else {
            size_t hl = p->_hlen, need, take;
            while (hl < 2 && pos < len) p->_hdr[hl++] = in[pos++];
            if (hl < 2) {
                p->_hlen = (unsigned char)hl;
                return TN_EINCOMPLETE;
            }
            if ((rc = tn__ws_check_start(p, p->_hdr[0], p->_hdr[1])) != TN_OK) return tn__ws_fail(p, rc);
            need = tn__ws_head_size(p->_hdr[1]);
            take = TN__MIN(need - hl, len - pos);
            memcpy(p->_hdr + hl, in + pos, take);
            hl += take;
            pos += take;
            if (hl < need) {
                p->_hlen = (unsigned char)hl;
                return TN_EINCOMPLETE;
            }
            p->_hlen = 0;
            if ((rc = tn__ws_take_head(p, p->_hdr)) != TN_OK) return tn__ws_fail(p, rc);
        }
        flags = TN_WS_EV_FRAME_START;
    }

    if (p->_state == TN__WS_CTL) {
        const tn_ws_frame *f = &p->_frame;
        size_t take = (size_t)TN__MIN(p->_left, (uint64_t)(len - pos));
        unsigned char *c = p->_ctl + p->_clen;
        if (f->masked) tn__ws_mask(c, in + pos, take, f->mask, p->_clen);
        else if (take) memcpy(c, in + pos, take);
        p->_clen = (unsigned char)(p->_clen + take);
        p->_left -= take;
        pos += take;
        if (p->_left) return TN_EINCOMPLETE;   /* pos == len: all of it is gathered */
        ev->frame = *f;
        ev->opcode = f->opcode;
        ev->rsv = 0;
        ev->flags = TN_WS_EV_FRAME_START | TN_WS_EV_FRAME_END | TN_WS_EV_MESSAGE_END;
        ev->data = tn_str_make((const char *)p->_ctl, p->_clen);
        ev->offset = 0;
        ev->message_offset = 0;
        p->_state = TN__WS_HEAD;
        return (int)pos;
    }

    /* TN__WS_DATA */
    {
        const tn_ws_frame *f = &p->_frame;
        size_t take = (size_t)TN__MIN(p->_left, (uint64_t)(len - pos));
        uint64_t off = f->length - p->_left;
        unsigned char *dst;
        if (!in_place && take > cap) {
            take = cap;
            if (take == 0 && !flags) return TN_EBUFFER_FULL;
        }
        if (take == 0 && !flags && p->_left) return TN_EINCOMPLETE;   /* pos == len == 0 */
        dst = in_place ? (unsigned char *)in + pos : out;
        if (f->masked) tn__ws_mask(dst, in + pos, take, f->mask, off);
        else if (!in_place && take) memcpy(dst, in + pos, take);
        if (p->_msg_opcode == TN_WS_TEXT && !p->_msg_rsv && !(p->flags & TN_WS_NO_UTF8_CHECK) &&
            tn_utf8_feed(&p->_utf8, dst, take) != TN_OK)
            return tn__ws_fail(p, TN_EWS_BAD_UTF8);
        ev->frame = *f;
        ev->opcode = p->_msg_opcode;
        ev->rsv = p->_msg_rsv;
        ev->data = tn_str_make((const char *)dst, take);
        ev->offset = off;
        ev->message_offset = p->_msg_len;
        p->_left -= take;
        p->_msg_len += take;
        pos += take;
        if (p->_left == 0) {
            flags |= TN_WS_EV_FRAME_END;
            p->_state = TN__WS_HEAD;
            if (f->fin) {
                flags |= TN_WS_EV_MESSAGE_END;
                if (p->_msg_opcode == TN_WS_TEXT && !p->_msg_rsv && !(p->flags & TN_WS_NO_UTF8_CHECK) &&
                    tn_utf8_finish(&p->_utf8) != TN_OK)
                    return tn__ws_fail(p, TN_EWS_BAD_UTF8);
                p->_msg_opcode = 0;
                p->_msg_rsv = 0;
                p->_msg_len = 0;
            }
        }
        ev->flags = flags;
        return (int)pos;
    }
}

TN_API int tn_ws_parse(tn_ws_parser *p, char *buf, size_t len, tn_ws_event *ev) {
    return tn__ws_run(p, (const unsigned char *)buf, len, NULL, 0, 1, ev);
}

TN_API int tn_ws_parse_into(tn_ws_parser *p, const char *in, size_t len, char *out, size_t cap, tn_ws_event *ev) {
    return tn__ws_run(p, (const unsigned char *)in, len, (unsigned char *)out, cap, 0, ev);
}

TN_API void tn_ws_parser_reset(tn_ws_parser *p) {
    tn_ws_parser keep;
    memset(&keep, 0, sizeof keep);
    keep.role = p->role;
    keep.rsv_allowed = p->rsv_allowed;
    keep.flags = p->flags;
    keep.max_message_size = p->max_message_size;
    *p = keep;
}

TN_API int tn_ws_error_close_code(int code) {
    switch (code) {
    case TN_EWS_PROTOCOL: return 1002;
    case TN_EWS_BAD_UTF8:
    case TN_EBAD_ENCODING:
    case TN_EBAD_DEFLATE: return 1007;   /* permessage-deflate data that does not decode */
    case TN_EWS_TOO_BIG: return 1009;
    default: return code < 0 && code != TN_EINCOMPLETE ? 1011 : 0;
    }
}

/* ---- frame writing ---- */

TN_API size_t tn_ws_header_size(uint64_t length, int masked) {
    return 2 + (length < 126 ? 0 : length < 65536 ? 2 : 8) + (masked ? 4 : 0);
}

TN_API int tn_ws_write_header(char *out, size_t cap, const tn_ws_frame *f) {
    unsigned char *o = (unsigned char *)out;
    int op = f->opcode;
    size_t n, i = 2;
    if (!(op == TN_WS_CONT || op == TN_WS_TEXT || op == TN_WS_BINARY || op == TN_WS_CLOSE || op == TN_WS_PING ||
          op == TN_WS_PONG))
        return TN_EINVAL;
    if ((f->rsv & ~0x70u) || (f->length >> 63)) return TN_EINVAL;
    if ((op & 8) && (!f->fin || f->length > TN_WS_MAX_CONTROL)) return TN_EINVAL;
    n = tn_ws_header_size(f->length, f->masked);
    if (cap < n) return TN_EBUFFER_FULL;
    o[0] = (unsigned char)((f->fin ? 0x80 : 0) | f->rsv | (unsigned)op);
    o[1] = (unsigned char)(f->masked ? 0x80 : 0);
    if (f->length < 126) {
        o[1] |= (unsigned char)f->length;
    } else if (f->length < 65536) {
        o[1] |= 126;
        o[2] = (unsigned char)(f->length >> 8);
        o[3] = (unsigned char)f->length;
        i = 4;
    } else {
        int k;
        o[1] |= 127;
        for (k = 0; k < 8; k++) o[2 + k] = (unsigned char)(f->length >> (56 - 8 * k));
        i = 10;
    }
    if (f->masked) memcpy(o + i, f->mask, 4);
    return (int)n;
}

/* ---- close frames ---- */

TN_API int tn_ws_close_code_valid(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

TN_API int tn_ws_close_payload(char *out, size_t cap, int code, const char *reason, size_t reason_len) {
    if (code == 0) return reason_len ? TN_EINVAL : 0;
    if (!tn_ws_close_code_valid(code) || reason_len > TN_WS_MAX_CONTROL - 2) return TN_EINVAL;
    if (tn_utf8_validate(reason, reason_len) != TN_OK) return TN_EBAD_ENCODING;
    if (cap < 2 + reason_len) return TN_EBUFFER_FULL;
    out[0] = (char)(unsigned char)(code >> 8);
    out[1] = (char)(unsigned char)code;
    if (reason_len) memcpy(out + 2, reason, reason_len);
    return (int)(2 + reason_len);
}

TN_API int tn_ws_close_parse(const char *payload, size_t len, int *code, tn_str *reason) {
    const unsigned char *u = (const unsigned char *)payload;
    int c;
    *code = 1005;
    *reason = tn_str_make(NULL, 0);
    if (len == 0) return TN_OK;
    if (len == 1 || len > TN_WS_MAX_CONTROL) return TN_EWS_PROTOCOL;
    c = (u[0] << 8) | u[1];
    if (!tn_ws_close_code_valid(c)) return TN_EWS_PROTOCOL;
    if (tn_utf8_validate(payload + 2, len - 2) != TN_OK) return TN_EWS_BAD_UTF8;
    *code = c;
    *reason = tn_str_make(payload + 2, len - 2);
    return TN_OK;
}

/* ---- opening handshake ---- */

/* tchar (RFC 9110 §5.6.2): the characters of tokens (subprotocols, extension names). */
TN__PRIVATE int tn__ws_tchar(unsigned char c) {
    if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) return 1;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
        return 1;
    default:
        return 0;
    }
}

#define TN__WS_OWS(c) ((c) == ' ' || (c) == '\t')

/* Bytes of s[i..n) that are tchars, from i. */
TN__PRIVATE size_t tn__ws_token_end(const char *s, size_t i, size_t n) {
    while (i < n && tn__ws_tchar((unsigned char)s[i])) i++;
    return i;
}

TN__PRIVATE size_t tn__ws_skip_ows(const char *s, size_t i, size_t n) {
    while (i < n && TN__WS_OWS(s[i])) i++;
    return i;
}

TN_API void tn_ws_accept_key(tn_str key, char out[TN_WS_ACCEPT_SIZE + 1]) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[TN_SHA1_SIZE];
    tn_sha1_ctx ctx;
    tn_sha1_init(&ctx);
    tn_sha1_update(&ctx, key.ptr, key.len);
    tn_sha1_update(&ctx, guid, sizeof guid - 1);
    tn_sha1_final(&ctx, digest);
    tn_base64_encode(digest, sizeof digest, out, TN_WS_ACCEPT_SIZE + 1, NULL, TN_BASE64_STD);
}

/* The one field named `name`, if there is exactly one. */
TN__PRIVATE int tn__ws_single(const tn_http_header *h, size_t num, const char *name, tn_str *value) {
    if (tn_http_header_count(h, num, name) != 1) return 0;
    return tn_http_header_get(h, num, name, value) == TN_OK;
}

TN_API int tn_ws_check_origin(const tn_http_header *headers, size_t num) {
    tn_str origin, host;
    size_t n = tn_http_header_count(headers, num, "Origin"), i, a;
    if (n == 0) return TN_OK;
    if (n > 1 || !tn__ws_single(headers, num, "Origin", &origin) || !tn__ws_single(headers, num, "Host", &host))
        return TN_EWS_ORIGIN;
    /* origin = scheme "://" host [ ":" port ]: compare the authority with Host */
    for (i = 1; i + 3 <= origin.len && memcmp(origin.ptr + i, "://", 3) != 0; i++) {}
    if (i + 3 > origin.len) return TN_EWS_ORIGIN;
    a = i + 3;
    for (i = a; i < origin.len && origin.ptr[i] != '/' && origin.ptr[i] != '?' && origin.ptr[i] != '#'; i++) {}
    if (i == a || host.len == 0) return TN_EWS_ORIGIN;
    return tn_str_ieq(tn_str_make(origin.ptr + a, i - a), host) ? TN_OK : TN_EWS_ORIGIN;
}

TN_API int tn_ws_check_request(tn_str method, int http_version, const tn_http_header *headers, size_t num,
                               unsigned flags, tn_str *key) {
    tn_str v, k;
    unsigned char raw[18];
    size_t raw_len = 0;
    if (!tn_str_eq_c(method, "GET") || http_version < 11) return TN_EWS_HANDSHAKE;
    if (!tn_http_header_has_token(headers, num, "Upgrade", "websocket") ||
        !tn_http_header_has_token(headers, num, "Connection", "upgrade"))
        return TN_EWS_HANDSHAKE;
    if (!tn__ws_single(headers, num, "Sec-WebSocket-Version", &v) || !tn_str_eq_c(v, "13")) return TN_EWS_VERSION;
    if (!tn__ws_single(headers, num, "Sec-WebSocket-Key", &k) || k.len != TN_WS_KEY_SIZE ||
        tn_base64_decode(k.ptr, k.len, raw, sizeof raw, &raw_len, TN_BASE64_STD) != TN_OK || raw_len != 16)
        return TN_EWS_HANDSHAKE;
    if (!(flags & TN_WS_ANY_ORIGIN) && tn_ws_check_origin(headers, num) != TN_OK) return TN_EWS_ORIGIN;
    if (key) *key = k;
    return TN_OK;
}

TN_API int tn_ws_handshake_status(int code) {
    switch (code) {
    case TN_OK: return 0;
    case TN_EWS_VERSION: return 426;
    case TN_EWS_ORIGIN: return 403;
    default: return code < 0 ? 400 : 0;
    }
}

/* Walk the comma-separated token list of every field named `name`: *field and *pos start
   at 0; each call stores the next element in *elem. Returns 1, 0 (end) or TN_EWS_HANDSHAKE
   (an element that is not a token). */
TN__PRIVATE int tn__ws_list_next(const tn_http_header *h, size_t num, const char *name, size_t *field, size_t *pos,
                                 tn_str *elem) {
    size_t i = tn_http_header_next(h, num, name, *field);
    while (i < num) {
        const char *s = h[i].value.ptr;
        size_t n = h[i].value.len, p = *pos;
        for (;;) {
            size_t b, e;
            p = tn__ws_skip_ows(s, p, n);
            if (p < n && s[p] == ',') {   /* empty element */
                p++;
                continue;
            }
            if (p == n) break;
            b = p;
            e = tn__ws_token_end(s, b, n);
            p = tn__ws_skip_ows(s, e, n);
            if (e == b || (p < n && s[p] != ',')) return TN_EWS_HANDSHAKE;
            if (p < n) p++;
            *field = i;
            *pos = p;
            *elem = tn_str_make(s + b, e - b);
            return 1;
        }
        i = tn_http_header_next(h, num, name, i + 1);
        *pos = 0;
    }
    *field = num;
    return 0;
}

TN_API int tn_ws_parse_protocols(const tn_http_header *headers, size_t num, tn_str *out, size_t max,
                                 size_t *count) {
    size_t field = 0, pos = 0, n = 0;
    tn_str e;
    int rc;
    *count = 0;
    while ((rc = tn__ws_list_next(headers, num, "Sec-WebSocket-Protocol", &field, &pos, &e)) == 1) {
        if (n < max) {
            out[n] = e;
            *count = n + 1;
        }
        n++;   /* keep going: a malformed element after the first max is still an error */
    }
    return rc < 0 ? rc : n > max ? TN_ELIMIT : TN_OK;
}

TN_API int tn_ws_select_protocol(const tn_http_header *headers, size_t num, const char *const *supported,
                                 size_t nsupported, tn_str *chosen) {
    size_t field = 0, pos = 0, i;
    tn_str e;
    int rc;
    *chosen = tn_str_make(NULL, 0);
    /* the list is checked whole first, so a malformed tail is an error even after a match */
    while ((rc = tn__ws_list_next(headers, num, "Sec-WebSocket-Protocol", &field, &pos, &e)) == 1) {}
    if (rc < 0) return rc;
    field = 0;
    pos = 0;
    while (tn__ws_list_next(headers, num, "Sec-WebSocket-Protocol", &field, &pos, &e) == 1)
        for (i = 0; i < nsupported; i++)
            if (tn_str_eq_c(e, supported[i])) {
                *chosen = e;
                return TN_OK;
            }
    return TN_ENOENT;
}

/* One extension parameter at s[i..n) (after its ';' and whitespace): name [ "=" value ].
   Returns the index after it (and after trailing whitespace), or n + 1 when malformed.
   *name / *value (may be NULL) receive the parts, value without quotes. */
TN__PRIVATE size_t tn__ws_ext_param(const char *s, size_t i, size_t n, tn_str *name, tn_str *value) {
    size_t e = tn__ws_token_end(s, i, n), vb, ve;
    if (e == i) return n + 1;
    if (name) *name = tn_str_make(s + i, e - i);
    if (value) *value = tn_str_make(NULL, 0);
    i = tn__ws_skip_ows(s, e, n);
    if (i == n || s[i] != '=') return i;
    i = tn__ws_skip_ows(s, i + 1, n);
    if (i < n && s[i] == '"') {
        /* quoted-string whose content must be a token (RFC 6455 §9.1): no escapes needed */
        vb = i + 1;
        ve = tn__ws_token_end(s, vb, n);
        if (ve == vb || ve == n || s[ve] != '"') return n + 1;
        i = ve + 1;
    } else {
        vb = i;
        ve = tn__ws_token_end(s, vb, n);
        if (ve == vb) return n + 1;
        i = ve;
    }
    if (value) *value = tn_str_make(s + vb, ve - vb);
    return tn__ws_skip_ows(s, i, n);
}

TN_API int tn_ws_parse_extensions(const tn_http_header *headers, size_t num, tn_ws_extension *out, size_t max,
                                  size_t *count) {
    size_t f, n = 0;
    *count = 0;
    for (f = tn_http_header_next(headers, num, "Sec-WebSocket-Extensions", 0); f < num;
         f = tn_http_header_next(headers, num, "Sec-WebSocket-Extensions", f + 1)) {
        const char *s = headers[f].value.ptr;
        size_t len = headers[f].value.len, p = 0;
        for (;;) {
            size_t b, e, pb, pe;
            p = tn__ws_skip_ows(s, p, len);
            if (p < len && s[p] == ',') {
                p++;
                continue;
            }
            if (p == len) break;
            b = p;
            e = tn__ws_token_end(s, b, len);
            if (e == b) return TN_EWS_HANDSHAKE;
            pb = e;
            p = pe = tn__ws_skip_ows(s, e, len);
            while (p < len && s[p] == ';') {
                p = tn__ws_ext_param(s, tn__ws_skip_ows(s, p + 1, len), len, NULL, NULL);
                if (p > len) return TN_EWS_HANDSHAKE;
                pe = p;
            }
            while (pe > pb && TN__WS_OWS(s[pe - 1])) pe--;
            if (p < len && s[p] != ',') return TN_EWS_HANDSHAKE;
            if (n < max) {
                out[n].name = tn_str_make(s + b, e - b);
                out[n].params = tn_str_make(s + pb, pe - pb);
                *count = n + 1;
            }
            n++;
        }
    }
    return n > max ? TN_ELIMIT : TN_OK;
}

TN_API int tn_ws_ext_param_next(tn_str *rest, tn_str *name, tn_str *value) {
    const char *s = rest->ptr;
    size_t n = rest->len, i = tn__ws_skip_ows(s, 0, n);
    if (i == n || s[i] != ';') return 0;
    i = tn__ws_ext_param(s, tn__ws_skip_ows(s, i + 1, n), n, name, value);
    if (i > n) {   /* not from tn_ws_parse_extensions: stop */
        *rest = tn_str_make(s + n, 0);
        return 0;
    }
    *rest = tn_str_make(s + i, n - i);
    return 1;
}

TN_API int tn_ws_client_key(char out[TN_WS_KEY_SIZE + 1]) {
    unsigned char raw[16];
    int rc = tn_random_bytes(raw, sizeof raw);
    if (rc != TN_OK) return rc;
    return tn_base64_encode(raw, sizeof raw, out, TN_WS_KEY_SIZE + 1, NULL, TN_BASE64_STD);
}

TN_API int tn_ws_check_response(int status, const tn_http_header *headers, size_t num, tn_str key) {
    char want[TN_WS_ACCEPT_SIZE + 1];
    tn_str got;
    if (status != 101) return TN_EWS_HANDSHAKE;
    if (!tn_http_header_has_token(headers, num, "Upgrade", "websocket") ||
        !tn_http_header_has_token(headers, num, "Connection", "upgrade"))
        return TN_EWS_HANDSHAKE;
    if (!tn__ws_single(headers, num, "Sec-WebSocket-Accept", &got)) return TN_EWS_HANDSHAKE;
    tn_ws_accept_key(key, want);
    return tn_str_eq_c(got, want) ? TN_OK : TN_EWS_HANDSHAKE;
}

#endif /* TN_HAS_WEBSOCKET */
