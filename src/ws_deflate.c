/* ws_deflate.c: permessage-deflate (RFC 7692): negotiation (pure) and the per-connection compressor state tn_ws uses. */
#include "ws.h"
#include "deflate.h"
#include "internal.h"

#if TN_HAS_WEBSOCKET

/* Part of the ws module (prefix tn__ws_), in its own file so the extension reads apart
   from the connection code. Negotiation is text only and always built; the compressor
   state (tn__ws_z) needs the deflate codec.

   What a compressed connection holds (x86-64, tn__ws_z_memory gives the figure for a
   connection): the decompressor (deflate.h: 13.9 KiB + 2^bits of history: 46 KiB at the
   peer's 15 bits, 14.4 KiB at 9), the compressor (27 KiB at our default 12 bits, 195 KiB at
   15, 7.8 KiB at 8), about 200 B of state, and two buffers that live only while a message
   is being compressed or decompressed (kept up to 64 KiB for the next message, larger ones
   freed after it). Both codec states are made once, when the extension is agreed, and
   reused for every message (reset between messages under no_context_takeover): nothing
   is allocated per message in the steady state. */

/* ---- negotiation ---- */

TN__PRIVATE int tn__ws_z_bits(tn_str v) {
    if (v.len == 1 && v.ptr[0] >= '8' && v.ptr[0] <= '9') return v.ptr[0] - '0';
    if (v.len == 2 && v.ptr[0] == '1' && v.ptr[1] >= '0' && v.ptr[1] <= '5') return 10 + (v.ptr[1] - '0');
    return 0;
}

TN_API int tn_ws_deflate_parse(const tn_ws_extension *ext, tn_ws_deflate_params *out) {
    tn_str rest, name, value;
    tn_ws_deflate_params p;
    unsigned seen = 0, bit;
    memset(&p, 0, sizeof p);
    p.server_max_window_bits = p.client_max_window_bits = 15;
    if (!ext || !out || !tn_str_ieq(ext->name, tn_str_c("permessage-deflate"))) return TN_EINVAL;
    rest = ext->params;
    while (tn_ws_ext_param_next(&rest, &name, &value)) {
        if (tn_str_ieq(name, tn_str_c("server_no_context_takeover"))) {
            bit = 1;
            if (value.len) return TN_EINVAL;
            p.server_no_context_takeover = 1;
        } else if (tn_str_ieq(name, tn_str_c("client_no_context_takeover"))) {
            bit = 2;
            if (value.len) return TN_EINVAL;
            p.client_no_context_takeover = 1;
        } else if (tn_str_ieq(name, tn_str_c("server_max_window_bits"))) {
            bit = 4;
            if (!(p.server_max_window_bits = tn__ws_z_bits(value))) return TN_EINVAL;
            p.server_max_window_bits_named = 1;
        } else if (tn_str_ieq(name, tn_str_c("client_max_window_bits"))) {
            bit = 8;
            if (value.len && !(p.client_max_window_bits = tn__ws_z_bits(value))) return TN_EINVAL;
            p.client_max_window_bits_named = 1;
        } else {
            return TN_EINVAL;
        }
        if (seen & bit) return TN_EINVAL;
        seen |= bit;
    }
    *out = p;
    return TN_OK;
}

/* Resolved options: 0 → default, out of range → -1. */
TN__PRIVATE int tn__ws_z_opt(int v, int def, int lo, int hi) { return v == 0 ? def : v < lo || v > hi ? -1 : v; }

TN_API int tn_ws_deflate_negotiate(const tn_ws_deflate_opts *o, const tn_ws_extension *offers, size_t n,
                                   tn_ws_deflate_params *out) {
    tn_ws_deflate_opts d;
    size_t i;
    int win, maxwin;
    memset(&d, 0, sizeof d);
    if (o) d = *o;
    win = tn__ws_z_opt(d.window_bits, TORNADO_WS_DEFLATE_WINDOW_BITS, 8, 15);
    maxwin = tn__ws_z_opt(d.max_window_bits, 15, 9, 15);
    if (win < 0 || maxwin < 0 || !out) return TN_ENOENT;
    for (i = 0; i < n; i++) {
        tn_ws_deflate_params p;
        if (tn_ws_deflate_parse(&offers[i], &p) != TN_OK) continue;   /* not ours, or declined */
        /* our compressor's window: only announced when the client asked for a limit */
        if (p.server_max_window_bits_named) p.server_max_window_bits = TN__MIN(p.server_max_window_bits, win);
        if (p.client_max_window_bits_named) {
            p.client_max_window_bits = TN__MIN(p.client_max_window_bits, maxwin);
            p.client_max_window_bits_named = p.client_max_window_bits < 15;   /* 15: nothing to say */
        }
        if (d.no_context_takeover) p.server_no_context_takeover = 1;
        /* the client's client_no_context_takeover is a hint: taken only when we want it
           (its history makes its messages smaller, and our decompressor exists anyway) */
        p.client_no_context_takeover = d.peer_no_context_takeover != 0;
        *out = p;
        return TN_OK;
    }
    return TN_ENOENT;
}

TN__PRIVATE int tn__ws_z_put(char *out, size_t cap, size_t *len, const char *s, int num) {
    char tmp[48];
    size_t n = strlen(s);
    if (n + 3 > sizeof tmp) return 0;
    memcpy(tmp, s, n);
    if (num) {
        tmp[n++] = '=';
        if (num >= 10) tmp[n++] = '1';
        tmp[n++] = (char)('0' + num % 10);
    }
    if (*len + n + 1 > cap) return 0;
    memcpy(out + *len, tmp, n);
    *len += n;
    out[*len] = '\0';
    return 1;
}

TN_API int tn_ws_deflate_format(const tn_ws_deflate_params *p, char *out, size_t cap) {
    size_t len = 0;
    if (!p || !out) return TN_EINVAL;
    if (!tn__ws_z_put(out, cap, &len, "permessage-deflate", 0) ||
        (p->server_no_context_takeover && !tn__ws_z_put(out, cap, &len, "; server_no_context_takeover", 0)) ||
        (p->client_no_context_takeover && !tn__ws_z_put(out, cap, &len, "; client_no_context_takeover", 0)) ||
        (p->server_max_window_bits_named &&
         !tn__ws_z_put(out, cap, &len, "; server_max_window_bits", p->server_max_window_bits)) ||
        (p->client_max_window_bits_named &&
         !tn__ws_z_put(out, cap, &len, "; client_max_window_bits", p->client_max_window_bits)))
        return TN_EBUFFER_FULL;
    return (int)len;
}

TN_API int tn_ws_deflate_offer(const tn_ws_deflate_opts *o, char *out, size_t cap) {
    tn_ws_deflate_opts d;
    size_t len = 0;
    int maxwin;
    memset(&d, 0, sizeof d);
    if (o) d = *o;
    maxwin = tn__ws_z_opt(d.max_window_bits, 15, 9, 15);
    if (!out || maxwin < 0 || tn__ws_z_opt(d.window_bits, 15, 8, 15) < 0 || d.level < 0 || d.level > 9)
        return TN_EINVAL;
    if (!tn__ws_z_put(out, cap, &len, "permessage-deflate", 0) ||
        (d.peer_no_context_takeover && !tn__ws_z_put(out, cap, &len, "; server_no_context_takeover", 0)) ||
        (d.no_context_takeover && !tn__ws_z_put(out, cap, &len, "; client_no_context_takeover", 0)) ||
        (maxwin < 15 && !tn__ws_z_put(out, cap, &len, "; server_max_window_bits", maxwin)) ||
        !tn__ws_z_put(out, cap, &len, "; client_max_window_bits", 0))
        return TN_EBUFFER_FULL;
    return (int)len;
}

TN_API int tn_ws_deflate_check_response(const tn_ws_deflate_opts *o, const tn_ws_extension *exts, size_t n,
                                        tn_ws_deflate_params *out) {
    tn_ws_deflate_opts d;
    tn_ws_deflate_params p;
    int maxwin;
    memset(&d, 0, sizeof d);
    if (o) d = *o;
    maxwin = tn__ws_z_opt(d.max_window_bits, 15, 9, 15);
    if (n == 0) return TN_ENOENT;
    if (n != 1 || !out || maxwin < 0 || tn_ws_deflate_parse(&exts[0], &p) != TN_OK) return TN_EWS_HANDSHAKE;
    /* a window the server set for us is fine (we offered client_max_window_bits, any value);
       its own may be announced unasked (it may always use less), but not above our limit */
    if (p.server_max_window_bits > maxwin || (maxwin < 15 && !p.server_max_window_bits_named)) return TN_EWS_HANDSHAKE;
    if (d.peer_no_context_takeover && !p.server_no_context_takeover) return TN_EWS_HANDSHAKE;
    *out = p;
    return TN_OK;
}

/* ---- the per-connection state ---- */
#if TN_HAS_DEFLATE

enum { TN__WS_Z_KEEP = 65536, TN__WS_Z_CHUNK = 16384 };

struct tn__ws_z {
    tn_inflater *inf;
    tn_deflater *def;
    const tn_allocator *a;
    char *rx, *tx;                 /* decompressed message piece / compressed message */
    size_t rx_len, rx_cap, tx_cap;
    uint64_t rx_total;             /* decompressed bytes of the open message */
    tn_utf8_state utf8;
    tn_ws_deflate_params params;
    int inf_reset, def_reset;      /* no_context_takeover per direction */
    int text;                      /* the open message is text */
    int inf_bits, def_bits, level;
};

TN__PRIVATE int tn__ws_z_new(const tn_allocator *a, const tn_ws_deflate_opts *o, const tn_ws_deflate_params *p,
                             int client, tn__ws_z **out) {
    tn_inflate_opts io;
    tn_deflate_opts dopt;
    tn_ws_deflate_opts d;
    tn__ws_z *z;
    int rc, win;
    memset(&d, 0, sizeof d);
    if (o) d = *o;
    *out = NULL;
    win = tn__ws_z_opt(d.window_bits, TORNADO_WS_DEFLATE_WINDOW_BITS, 8, 15);
    if (win < 0 || d.level < 0 || d.level > 9) return TN_EINVAL;
    z = (tn__ws_z *)tn__calloc(a, sizeof *z);
    if (!z) return TN_ENOMEM;
    z->a = a;
    z->params = *p;
    memset(&io, 0, sizeof io);
    io.format = TN_DEFLATE_RAW;
    io.window_bits = client ? p->server_max_window_bits : p->client_max_window_bits;
    io.max_output = UINT64_MAX;   /* the message limit is applied per message, below */
    io.allocator = a;
    memset(&dopt, 0, sizeof dopt);
    dopt.format = TN_DEFLATE_RAW;
    dopt.level = d.level;
    dopt.window_bits = TN__MIN(win, client ? p->client_max_window_bits : p->server_max_window_bits);
    dopt.allocator = a;
    z->inf_bits = io.window_bits;
    z->def_bits = dopt.window_bits;
    z->level = d.level;
    z->inf_reset = client ? p->server_no_context_takeover : p->client_no_context_takeover;
    z->def_reset = client ? p->client_no_context_takeover : p->server_no_context_takeover;
    rc = tn_inflater_new(&io, &z->inf);
    if (rc == TN_OK) rc = tn_deflater_new(&dopt, &z->def);
    if (rc != TN_OK) {
        tn__ws_z_free(z);
        return rc;
    }
    *out = z;
    return TN_OK;
}

TN__PRIVATE void tn__ws_z_free(tn__ws_z *z) {
    if (!z) return;
    tn_inflater_free(z->inf);
    tn_deflater_free(z->def);
    tn__free(z->a, z->rx);
    tn__free(z->a, z->tx);
    tn__free(z->a, z);
}

TN__PRIVATE void tn__ws_z_params(const tn__ws_z *z, tn_ws_deflate_params *out) { *out = z->params; }

TN__PRIVATE size_t tn__ws_z_memory(const tn__ws_z *z) {
    tn_inflate_opts io;
    tn_deflate_opts dopt;
    memset(&io, 0, sizeof io);
    memset(&dopt, 0, sizeof dopt);
    io.format = dopt.format = TN_DEFLATE_RAW;
    io.window_bits = z->inf_bits;
    dopt.window_bits = z->def_bits;
    dopt.level = z->level;
    return sizeof *z + tn_inflater_size(&io) + tn_deflater_size(&dopt) + z->rx_cap + z->tx_cap;
}

/* Grow a buffer to at least `need` bytes (doubling, at most `most`). */
TN__PRIVATE int tn__ws_z_grow(const tn_allocator *a, char **buf, size_t *cap, size_t need, size_t most) {
    size_t n = *cap ? *cap : 4096;
    char *p;
    while (n < need) n = n > SIZE_MAX / 2 ? SIZE_MAX : n * 2;
    if (n > most) n = most;
    if (n < need) return TN_ENOMEM;
    if (!(p = (char *)tn__realloc(a, *buf, n))) return TN_ENOMEM;
    *buf = p;
    *cap = n;
    return TN_OK;
}

TN__PRIVATE int tn__ws_z_deflate(tn__ws_z *z, const void *data, size_t len, int fin, tn_str *out) {
    const char *in = (const char *)data;
    size_t used = 0;
    int rc;
    if (z->tx_cap > TN__WS_Z_KEEP && len < TN__WS_Z_KEEP / 2) {   /* a big message's buffer goes */
        tn__free(z->a, z->tx);
        z->tx = NULL;
        z->tx_cap = 0;
    }
    for (;;) {
        size_t c, prod;
        if (z->tx_cap - used < 64 &&
            tn__ws_z_grow(z->a, &z->tx, &z->tx_cap, TN__MAX(used + 64, used + len / 2 + 64), SIZE_MAX) != TN_OK)
            return TN_ENOMEM;
        rc = tn_deflate(z->def, in, len, &c, z->tx + used, z->tx_cap - used, &prod, TN_DEFLATE_SYNC);
        in += c;
        len -= c;
        used += prod;
        if (rc == TN_DEFLATE_DONE) break;
        if (rc < 0) return rc;
    }
    /* the sync flush ends with an empty stored block: the message's last frame drops its
       00 00 ff ff (RFC 7692 §7.2.1); earlier fragments keep theirs (it is valid DEFLATE) */
    if (fin && used >= 4 && memcmp(z->tx + used - 4, "\0\0\377\377", 4) == 0) used -= 4;
    if (fin && z->def_reset) tn_deflater_reset(z->def);
    *out = tn_str_make(z->tx, used);
    return TN_OK;
}

TN__PRIVATE void tn__ws_z_unsend(tn__ws_z *z) { tn_deflater_reset(z->def); }

/* After a message: large buffers go, small ones stay for the next message. */
TN__PRIVATE void tn__ws_z_trim(tn__ws_z *z) {
    if (z->rx_cap > TN__WS_Z_KEEP && z->rx_len == 0) {
        tn__free(z->a, z->rx);
        z->rx = NULL;
        z->rx_cap = 0;
    }
}

TN__PRIVATE int tn__ws_z_inflate(tn__ws_z *z, const char *in, size_t len, int first, int last, int text,
                                 uint64_t limit, tn__ws_z_sink sink, void *user) {
    static const char tail[4] = { 0, 0, (char)0xff, (char)0xff };
    /* whole messages gather up to limit + 1 bytes (one more tells the limit was passed);
       streaming hands over pieces of TN__WS_Z_CHUNK */
    size_t most = sink ? (size_t)TN__WS_Z_CHUNK : limit >= (uint64_t)SIZE_MAX ? SIZE_MAX : (size_t)limit + 1;
    int pass, rc;
    if (first) {
        z->rx_len = 0;
        z->rx_total = 0;
        z->text = text;
        tn_utf8_init(&z->utf8);
    }
    for (pass = 0; pass < 2; pass++) {
        const char *p = pass ? tail : in;
        size_t n = pass ? (last ? sizeof tail : 0) : len;
        for (;;) {
            size_t c, prod, room;
            if (z->rx_len == z->rx_cap) {
                if (sink && z->rx_len) {
                    if (sink(user, z->rx, z->rx_len, 0) != 0) return TN_ECANCELED;
                    z->rx_len = 0;
                } else if (tn__ws_z_grow(z->a, &z->rx, &z->rx_cap, z->rx_len + 1, most) != TN_OK) {
                    return z->rx_cap >= most ? TN_EWS_TOO_BIG : TN_ENOMEM;
                }
            }
            room = z->rx_cap - z->rx_len;
            rc = tn_inflate(z->inf, p, n, &c, z->rx + z->rx_len, room, &prod);
            if (prod && z->text && tn_utf8_feed(&z->utf8, z->rx + z->rx_len, prod) != TN_OK) return TN_EWS_BAD_UTF8;
            z->rx_len += prod;
            z->rx_total += prod;
            p += c;
            n -= c;
            if (z->rx_total > limit) return TN_EWS_TOO_BIG;
            if (rc == TN_INFLATE_END) {
                /* a block with BFINAL set (RFC 7692 §7.2.3.3): the stream ended; what
                   follows (the tail we append, or a new stream) starts afresh */
                tn_inflater_reset(z->inf);
                continue;
            }
            if (rc < 0) return rc == TN_ELIMIT ? TN_EWS_TOO_BIG : TN_EBAD_DEFLATE;
            if (n == 0 && prod < room) break;
        }
    }
    if (!last) return TN_OK;
    if (z->text && tn_utf8_finish(&z->utf8) != TN_OK) return TN_EWS_BAD_UTF8;
    if (z->inf_reset) tn_inflater_reset(z->inf);
    if (sink && sink(user, z->rx, z->rx_len, 1) != 0) return TN_ECANCELED;
    return TN_OK;
}

TN__PRIVATE tn_str tn__ws_z_message(const tn__ws_z *z) { return tn_str_make(z->rx, z->rx_len); }

TN__PRIVATE void tn__ws_z_done(tn__ws_z *z) {
    z->rx_len = 0;
    z->rx_total = 0;
    tn__ws_z_trim(z);
}

#endif /* TN_HAS_DEFLATE */
#endif /* TN_HAS_WEBSOCKET */
