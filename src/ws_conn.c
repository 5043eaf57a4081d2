/* ws_conn.c: WebSocket connections: upgrade, client handshake, message reassembly in the read buffer, ping/pong, close. */
#include "ws_conn.h"
#include "url.h"
#include "internal.h"

#if TN_HAS_WEBSOCKET

/* How a tn_ws works.
   READING parses in place: the stream holds the bytes (tn__stream_fill / peek / consume),
   tn_ws_parse unmasks them where they lie, and the payload of a message in several
   frames or reads is moved down over the frame headers, so the message ends up contiguous
   in the read buffer, ready to hand over without a copy. Between messages everything is
   consumed, so an idle connection holds no read buffer (the stream releases it).
   WRITING goes straight to the socket when nothing is queued (header and payload in one
   gather write, the payload not copied). When one read brought several frames, the stream
   is corked while they are parsed, so the answers (echoes, pongs) leave together in one
   system call when tn__ws_on_data uncorks.
   CLOSING: tx_closed once our close frame is queued, rx_closed once the peer's arrived (or
   reading stopped on an error). With both, the server drops the TCP connection when its
   close frame has left; the client waits for the server to do so. close_timer bounds every
   wait. The stream's close callback ends the tn_ws: its handle closes and on_close runs
   from the loop's closing phase, then the memory goes. */

enum { TN__WS_CONNECTING = 1, TN__WS_OPEN, TN__WS_GONE };

typedef struct tn__ws_scb { tn_ws_send_cb cb; void *user; } tn__ws_scb;

/* A client's handshake state: allocated by tn_ws_connect, freed when it ends. */
typedef struct tn__ws_client {
    tn_connector *conn;            /* connecting; NULL once the connector reported */
    tn_ws_connect_cb cb;           /* NULL once called */
    tn_timer_id timer;             /* the whole handshake's deadline */
    tn_buf req;                    /* the request, until it is written */
    char *host;                    /* for tn_tcp_connect */
    char *offered;                 /* the offered subprotocols, "a,b" (or NULL) */
    tn_ws_deflate_opts zopts;      /* permessage-deflate as offered (when zoffered) */
    int zoffered;
    tn_tls_ctx *tls;               /* wss://: the context (a reference), NULL for ws:// */
    int aborted;                   /* tn_ws_abort while connecting */
    int timed_out;
    char key[TN_WS_KEY_SIZE + 1];
    tn_http_response res;
    tn_http_header hdrs[TORNADO_WS_MAX_RESPONSE_HEADERS];
} tn__ws_client;

/* The handler and the resolved options, shared by the loop's connections that have the
   same (a list in the loop's TN__LOOP_SLOT_WS, at most TN__WS_CONFS long: past that a
   connection gets a copy of its own), freed with the last connection using it. */
#define TN__WS_CONFS 16
/* The client's masking buffer (TN__LOOP_SLOT_WS_TX): as large as one read, so a message a
   read could bring leaves in one write. */
#define TN__WS_TX_CHUNK TORNADO_READ_CHUNK_SIZE
typedef struct tn__ws_conf tn__ws_conf;
struct tn__ws_conf {
    tn__ws_conf *next;             /* in the loop's list */
    tn_loop *loop;
    tn_ws_handler cb;
    uint64_t max_msg;
    uint32_t max_wbuf, ping_interval, ping_timeout, close_timeout;   /* bytes / ms, clamped */
    uint32_t refs;
    int listed;
};

/* What an idle connection without a subprotocol, compression, keepalive or send callbacks
   does not need: allocated on the first need, then kept until the connection goes (so
   sending with callbacks allocates nothing per message). */
typedef struct tn__ws_cold {
    tn__ws_client *cl;             /* client, during the handshake */
    char *subprotocol;             /* owned, or NULL */
    struct tn__ws_z *z;            /* permessage-deflate (ws_deflate.c), NULL when not agreed */
    char *close_reason;            /* the peer's close reason (owned), or NULL */
    tn__ws_scb *scbs;              /* send callbacks waiting for their bytes (a ring) */
    tn_timer_id ping_timer, close_timer;
    uint32_t scb_head, scb_len, scb_cap;
    uint32_t last_ping, last_pong; /* loop time (ms), low 32 bits */
    int close_code;                /* the peer's close code, 1006 until a valid one came */
    unsigned char close_reason_len;
} tn__ws_cold;

/* The receiving state while a frame or message spans reads (NULL between messages:
   parsing then uses the stack, and every position is 0). */
typedef struct tn__ws_rx {
    tn_ws_parser p;
    size_t pos;                    /* read-buffer bytes fed to the parser */
    size_t msg_start;              /* offset of the open message's payload in the buffer */
    size_t msg_len;                /* payload bytes of the open message so far */
} tn__ws_rx;

/* The part every connection has, idle or not. A server's lives in the spare bytes of its
   stream's block (the HTTP state the upgrade left dead, tn__hs_spare: no allocation of
   its own, as an HTTP keep-alive connection); a client's (or one whose spare bytes are too
   few) is allocated as a tn__ws_own, with its stream and a loop handle. */
struct tn_ws {
    tn__ws_conf *conf;             /* handler and options (shared) */
    void *user;
    tn__ws_cold *x;                /* NULL until needed (tn__ws_x) */
    tn__ws_rx *rx;                 /* NULL between messages */
    unsigned state : 2;            /* TN__WS_* */
    unsigned has_s : 1;            /* the stream is ours (tn__ws_s): 0 while a client connects and once gone */
    unsigned embedded : 1;         /* in the stream's spare bytes */
    unsigned own : 1;              /* a tn__ws_own */
    unsigned client : 1;           /* 1: our frames are masked */
    unsigned opened : 1;           /* on_close is due */
    unsigned tx_closed : 1;        /* our close frame is queued */
    unsigned rx_closed : 1;        /* the peer's close frame came, or reading stopped */
    unsigned rx_open : 1;          /* a data message is being received */
    unsigned tx_frag : 1;          /* a fragmented send is open */
    unsigned ending : 1;           /* the TCP connection is being ended */
    unsigned rx_z : 1;             /* the message being received is compressed (RSV1) */
    unsigned tx_z : 1;             /* RSV1 on the data frame being queued */
};

/* A tn_ws allocated on its own. */
typedef struct tn__ws_own {
    tn_ws ws;                      /* first: a tn_ws * is a tn__ws_own * */
    tn_stream *s;
    tn__handle h;                  /* on_close runs from the loop's closing phase, then the memory goes */
} tn__ws_own;

#define TN__WS_OWN(ws) ((tn__ws_own *)(void *)(ws))
#define TN__WS_LOOP(ws) ((ws)->conf->loop)
#define TN__WS_S(ws) tn__ws_s(ws)
#if TN_HAS_DEFLATE
#  define TN__WS_Z(ws) ((ws)->x ? (ws)->x->z : NULL)
#endif

TN__PRIVATE tn_stream *tn__ws_s(const tn_ws *ws) {
    if (!ws->has_s) return NULL;
#if TN_HAS_HTTP_SERVER
    if (ws->embedded) return tn__hs_spare_stream((void *)(uintptr_t)ws);
#endif
    return ((const tn__ws_own *)(const void *)ws)->s;
}

TN__PRIVATE void tn__ws_set_s(tn_ws *ws, tn_stream *s) {
    if (!ws->embedded) TN__WS_OWN(ws)->s = s;
    ws->has_s = s != NULL;
}

TN__PRIVATE void tn__ws_read(tn_ws *ws);
TN__PRIVATE void tn__ws_end_tcp(tn_ws *ws);

/* ---- the object ---- */

/* The shared handler and options for o and h (a reference), or NULL (no memory). */
TN__PRIVATE tn__ws_conf *tn__ws_conf_get(tn_loop *loop, const tn_ws_opts *o, const tn_ws_handler *h) {
    tn__ws_conf **head = (tn__ws_conf **)tn__loop_slot(loop, TN__LOOP_SLOT_WS), *c;
    uint64_t interval = o->ping_interval_ms;
    uint64_t max_msg = TN__DEF(o->max_message_size, (uint64_t)TORNADO_MAX_WS_MESSAGE);
    uint32_t max_wbuf = tn__clamp_u32(o->max_write_buffer_size), ping_interval = tn__clamp_u32(interval);
    uint32_t ping_timeout =
        tn__clamp_u32(TN__DEF(o->ping_timeout_ms, TN__MAX(3 * interval, (uint64_t)TORNADO_WS_PING_TIMEOUT_MS)));
    uint32_t close_timeout = tn__clamp_u32(TN__DEF(o->close_timeout_ms, (uint64_t)TORNADO_WS_CLOSE_TIMEOUT_MS));
    size_t n = 0;
    for (c = *head; c; c = c->next, n++) {
        if (c->max_msg == max_msg && c->max_wbuf == max_wbuf && c->ping_interval == ping_interval &&
            c->ping_timeout == ping_timeout && c->close_timeout == close_timeout &&
            c->cb.on_message == h->on_message && c->cb.on_fragment == h->on_fragment && c->cb.on_ping == h->on_ping &&
            c->cb.on_pong == h->on_pong && c->cb.on_close == h->on_close) {
            c->refs++;
            return c;
        }
    }
    if (!(c = (tn__ws_conf *)tn__calloc(tn__loop_alloc(loop), sizeof *c))) return NULL;
    c->loop = loop;
    c->cb = *h;
    c->max_msg = max_msg;
    c->max_wbuf = max_wbuf;
    c->ping_interval = ping_interval;
    c->ping_timeout = ping_timeout;
    c->close_timeout = close_timeout;
    c->refs = 1;
    if (n < TN__WS_CONFS) {
        c->listed = 1;
        c->next = *head;
        *head = c;
    }
    return c;
}

TN__PRIVATE void tn__ws_conf_put(tn__ws_conf *c) {
    if (!c || --c->refs > 0) return;
    if (c->listed) {
        tn__ws_conf **pp = (tn__ws_conf **)tn__loop_slot(c->loop, TN__LOOP_SLOT_WS);
        while (*pp != c) pp = &(*pp)->next;
        *pp = c->next;
    }
    tn__free(tn__loop_alloc(c->loop), c);
}

/* The cold part, allocated on first use; NULL: no memory. */
TN__PRIVATE tn__ws_cold *tn__ws_x(tn_ws *ws) {
    if (!ws->x && (ws->x = (tn__ws_cold *)tn__calloc(tn__loop_alloc(TN__WS_LOOP(ws)), sizeof *ws->x)) != NULL)
        ws->x->close_code = 1006;
    return ws->x;
}

TN__PRIVATE void tn__ws_client_free(tn_ws *ws) {
    tn_allocator *a = tn__loop_alloc(TN__WS_LOOP(ws));
    tn__ws_client *cl = ws->x ? ws->x->cl : NULL;
    if (!cl) return;
    if (cl->timer) (void)tn_loop_cancel(TN__WS_LOOP(ws), cl->timer);
    tn_buf_free(&cl->req);
    tn__free(a, cl->host);
    tn__free(a, cl->offered);
#if TN_HAS_OPENSSL
    if (cl->tls) tn_tls_ctx_free(cl->tls);
#endif
    tn__free(a, cl);
    ws->x->cl = NULL;
}

/* Free what the connection holds besides its hot part (and the conf reference). */
TN__PRIVATE void tn__ws_release(tn_ws *ws) {
    tn_allocator *a = tn__loop_alloc(TN__WS_LOOP(ws));
    tn__free(a, ws->rx);
    ws->rx = NULL;
    if (ws->x) {
        tn__ws_client_free(ws);
#if TN_HAS_DEFLATE
        tn__ws_z_free(ws->x->z);
#endif
        tn__free(a, ws->x->close_reason);
        tn__free(a, ws->x->subprotocol);
        tn__free(a, ws->x->scbs);
        tn__free(a, ws->x);
        ws->x = NULL;
    }
    tn__ws_conf_put(ws->conf);
    ws->conf = NULL;
}

/* on_close (if due), then everything goes: the connection is over. */
TN__PRIVATE void tn__ws_end(tn_ws *ws) {
    if (ws->opened && ws->conf->cb.on_close) {
        tn_str reason = ws->x ? tn_str_make(ws->x->close_reason, ws->x->close_reason_len) : tn_str_make(NULL, 0);
        ws->conf->cb.on_close(ws, ws->x ? ws->x->close_code : 1006, reason, ws->user);
    }
    tn__ws_release(ws);
}

TN__PRIVATE void tn__ws_finalize(tn__handle *h) {
    tn__ws_own *o = (tn__ws_own *)(void *)((char *)h - offsetof(tn__ws_own, h));
    tn_allocator *a = tn__loop_alloc(h->loop);
    tn__ws_end(&o->ws);
    tn__free(a, o);
}
static const tn__handle_type tn__ws_type = { "websocket", tn__ws_finalize };

/* A tn__ws_own (its handle not started yet), or NULL. */
TN__PRIVATE tn_ws *tn__ws_new_own(tn_loop *loop, tn__ws_conf *conf, void *user, int client) {
    tn__ws_own *o = (tn__ws_own *)tn__calloc(tn__loop_alloc(loop), sizeof *o);
    if (!o) return NULL;
    o->h.loop = loop;   /* tn__handle_init sets it again */
    o->ws.conf = conf;
    o->ws.user = user;
    o->ws.client = client != 0;
    o->ws.own = 1;
    return &o->ws;
}

/* Free a tn__ws_own whose handle never started (an error path). */
TN__PRIVATE void tn__ws_free_unstarted(tn_ws *ws) {
    tn_allocator *a = tn__loop_alloc(TN__WS_LOOP(ws));
    tn__ws_release(ws);
    tn__free(a, TN__WS_OWN(ws));
}

/* Undo a tn_ws not started (an error path): its parts, and itself if it is a tn__ws_own. */
TN__PRIVATE void tn__ws_drop(tn_ws *ws) {
    if (ws->own) tn__ws_free_unstarted(ws);
    else tn__ws_release(ws);   /* tn_ws_accept's, still on its stack */
}

TN__PRIVATE void tn__ws_cancel_timers(tn_ws *ws) {
    if (!ws->x) return;
    if (ws->x->ping_timer) (void)tn_loop_cancel(TN__WS_LOOP(ws), ws->x->ping_timer);
    if (ws->x->close_timer) (void)tn_loop_cancel(TN__WS_LOOP(ws), ws->x->close_timer);
    ws->x->ping_timer = ws->x->close_timer = 0;
}

/* ---- sending ---- */

TN__PRIVATE void tn__ws_on_sent(tn_stream *s, int status, void *user) {
    tn_ws *ws = (tn_ws *)user;
    tn__ws_scb w;
    (void)s;
    if (!ws->x || ws->x->scb_len == 0) return;
    w = ws->x->scbs[ws->x->scb_head];
    ws->x->scb_head = (ws->x->scb_head + 1) % ws->x->scb_cap;
    ws->x->scb_len--;
    w.cb(ws, status, w.user);
}

#define TN__WS_ONE_WRITE 256   /* a server frame up to this size (header included) is sent as one buffer */

/* Queue one frame. cb (may be NULL) runs when it left. limit: honour max_write_buffer_size
   (close frames and pongs skip it: they must go out). */
TN__PRIVATE int tn__ws_frame(tn_ws *ws, int opcode, int fin, const void *data, size_t len, tn_ws_send_cb cb,
                             void *user, int limit) {
    char hdr[TN_WS_MAX_HEADER];
    tn_ws_frame f;
    tn_write_cb wcb = cb ? tn__ws_on_sent : NULL;
    int n, rc;
    memset(&f, 0, sizeof f);
    f.fin = fin;
    f.opcode = opcode;
    f.rsv = ws->tx_z ? TN_WS_RSV1 : 0;
    f.length = len;
    f.masked = ws->client;
    /* a fresh mask per frame from the CSPRNG, through the loop's pool (no system call per frame) */
    if (f.masked && (rc = tn__random_pooled(tn__loop_alloc(TN__WS_LOOP(ws)), tn__loop_slot(TN__WS_LOOP(ws), TN__LOOP_SLOT_RANDOM),
                                            f.mask, sizeof f.mask)) != TN_OK)
        return rc;
    n = tn_ws_write_header(hdr, sizeof hdr, &f);
    if (n < 0) return n;
    if (limit && ws->conf->max_wbuf && tn_stream_write_buffer_size(TN__WS_S(ws)) + (size_t)n + len > ws->conf->max_wbuf)
        return TN_EBUFFER_FULL;
    if (cb) {
        tn__ws_cold *x = tn__ws_x(ws);
        tn__ws_scb *w;
        if (!x || tn__ring_grow(tn__loop_alloc(TN__WS_LOOP(ws)), (void **)&x->scbs, &x->scb_head, x->scb_len, &x->scb_cap,
                                sizeof *x->scbs) != 0)
            return TN_ENOMEM;
        w = &x->scbs[(x->scb_head + x->scb_len) % x->scb_cap];
        w->cb = cb;
        w->user = user;
        x->scb_len++;
    }
    if (!f.masked && len <= TN__WS_ONE_WRITE - (size_t)n) {
        /* a small frame leaves as one piece: send(2) takes it for less than sendmsg(2)
           gathers two (the 20-byte echo's CPU per message, make bench) */
        char one[TN__WS_ONE_WRITE];
        memcpy(one, hdr, (size_t)n);
        if (len) memcpy(one + n, data, len);
        rc = tn_stream_write(TN__WS_S(ws), one, (size_t)n + len, wcb, ws);
    } else if (!f.masked) {
        tn_str v[2];
        v[0] = tn_str_make(hdr, (size_t)n);
        v[1] = tn_str_make((const char *)data, len);
        rc = tn_stream_writev(TN__WS_S(ws), v, 2, wcb, ws);
    } else {
        /* the client masks into the loop's buffer for it (made on first need, one per
           loop): a frame of up to TN__WS_TX_CHUNK bytes leaves in one write; a larger one
           in pieces, corked so they leave together (the writes copy what the socket does
           not take at once, so the buffer is free again when each returns) */
        void **slot = tn__loop_slot(TN__WS_LOOP(ws), TN__LOOP_SLOT_WS_TX);
        char small[256], *chunk;
        size_t off = 0, cap;
        int corked = tn__stream_corked(TN__WS_S(ws));
        if (!*slot) *slot = tn__alloc(tn__loop_alloc(TN__WS_LOOP(ws)), TN__WS_TX_CHUNK);
        chunk = *slot ? (char *)*slot : small;   /* (out of memory: slower, still correct) */
        cap = *slot ? TN__WS_TX_CHUNK : sizeof small;
        memcpy(chunk, hdr, (size_t)n);
        if (!corked && (size_t)n + len > cap) tn__stream_cork(TN__WS_S(ws), 1);
        rc = TN_OK;
        for (;;) {
            size_t at = off == 0 ? (size_t)n : 0, take = TN__MIN(len - off, cap - at);
            int last = off + take == len;
            if (take) tn_ws_mask_copy(chunk + at, (const char *)data + off, take, f.mask, off);
            rc = tn_stream_write(TN__WS_S(ws), chunk, at + take, last ? wcb : NULL, last ? ws : NULL);
            off += take;
            if (rc != TN_OK || last) break;
        }
        if (rc != TN_OK && off > 0) {
            /* part of a frame is queued: the framing is broken, the connection with it */
            (void)tn_stream_abort(TN__WS_S(ws), rc);
        }
        if (!corked) tn__stream_cork(TN__WS_S(ws), 0);
    }
    if (rc != TN_OK && cb) ws->x->scb_len--;   /* the callback we queued is the ring's last */
    return rc;
}

TN__PRIVATE int tn__ws_can_send(const tn_ws *ws) {
    if (!ws || ws->state != TN__WS_OPEN || !TN__WS_S(ws) || ws->tx_closed || tn_stream_closed(TN__WS_S(ws))) return TN_ECLOSED;
    return TN_OK;
}

#if TN_HAS_DEFLATE
/* A compressed message or fragment: RSV1 on a message's first frame (RFC 7692 §6). */
TN__PRIVATE int tn__ws_frame_z(tn_ws *ws, int opcode, int fin, const void *data, size_t len, tn_ws_send_cb cb,
                               void *user) {
    tn_str c;
    int rc = tn__ws_z_deflate(ws->x->z, data, len, fin, &c);
    if (rc == TN_OK) {
        ws->tx_z = opcode != TN_WS_CONT;
        rc = tn__ws_frame(ws, opcode, fin, c.ptr, c.len, cb, user, 1);
        ws->tx_z = 0;
    }
    /* not sent: the peer never sees what the compressor just took in, so it starts afresh
       (its next output refers only to itself: still decodable with the peer's history) */
    if (rc != TN_OK) tn__ws_z_unsend(ws->x->z);
    return rc;
}
#define TN__WS_FRAME_DATA(ws, op, fin, d, n, cb, u) \
    (TN__WS_Z(ws) ? tn__ws_frame_z(ws, op, fin, d, n, cb, u) : tn__ws_frame(ws, op, fin, d, n, cb, u, 1))
#else
#define TN__WS_FRAME_DATA(ws, op, fin, d, n, cb, u) tn__ws_frame(ws, op, fin, d, n, cb, u, 1)
#endif

TN_API int tn_ws_send(tn_ws *ws, int opcode, const void *data, size_t len, tn_ws_send_cb cb, void *user) {
    int rc;
    if (!ws || (opcode != TN_WS_TEXT && opcode != TN_WS_BINARY) || (len && !data)) return TN_EINVAL;
    if ((rc = tn__ws_can_send(ws)) != TN_OK) return rc;
    if (ws->tx_frag) return TN_EINVAL;
    if (opcode == TN_WS_TEXT && tn_utf8_validate((const char *)data, len) != TN_OK) return TN_EBAD_ENCODING;
    return TN__WS_FRAME_DATA(ws, opcode, 1, data, len, cb, user);
}

TN_API int tn_ws_send_fragment(tn_ws *ws, int opcode, const void *data, size_t len, int fin, tn_ws_send_cb cb,
                               void *user) {
    int rc;
    if (!ws || (len && !data)) return TN_EINVAL;
    if ((rc = tn__ws_can_send(ws)) != TN_OK) return rc;
    if (ws->tx_frag ? opcode != TN_WS_CONT : (opcode != TN_WS_TEXT && opcode != TN_WS_BINARY)) return TN_EINVAL;
    rc = TN__WS_FRAME_DATA(ws, opcode, fin != 0, data, len, cb, user);
    if (rc == TN_OK) ws->tx_frag = !fin;
    return rc;
}

TN_API int tn_ws_ping(tn_ws *ws, const void *data, size_t len) {
    int rc;
    if (!ws || len > TN_WS_MAX_CONTROL || (len && !data)) return TN_EINVAL;
    if ((rc = tn__ws_can_send(ws)) != TN_OK) return rc;
    return tn__ws_frame(ws, TN_WS_PING, 1, data, len, NULL, NULL, 1);
}

/* ---- closing ---- */

TN__PRIVATE void tn__ws_on_close_timer(tn_loop *loop, void *user) {
    tn_ws *ws = (tn_ws *)user;
    (void)loop;
    ws->x->close_timer = 0;
    if (TN__WS_S(ws)) (void)tn_stream_abort(TN__WS_S(ws), TN_ETIMEOUT);
}

TN__PRIVATE void tn__ws_arm_close_timer(tn_ws *ws) {
    if (!TN__WS_S(ws) || (ws->x && ws->x->close_timer)) return;
    if (!tn__ws_x(ws) || tn_loop_call_later(TN__WS_LOOP(ws), ws->conf->close_timeout, tn__ws_on_close_timer, ws, &ws->x->close_timer) != TN_OK)
        (void)tn_stream_abort(TN__WS_S(ws), TN_ENOMEM);
}

/* Queue our close frame (payload already built). */
TN__PRIVATE int tn__ws_send_close(tn_ws *ws, const char *payload, size_t len) {
    int rc;
    if (ws->tx_closed) return TN_ECLOSED;
    ws->tx_closed = 1;
    if (ws->x && ws->x->ping_timer) {
        (void)tn_loop_cancel(TN__WS_LOOP(ws), ws->x->ping_timer);
        ws->x->ping_timer = 0;
    }
    rc = tn__ws_frame(ws, TN_WS_CLOSE, 1, payload, len, NULL, NULL, 0);
    if (rc != TN_OK) (void)tn_stream_abort(TN__WS_S(ws), rc);
    else tn__ws_arm_close_timer(ws);
    return rc;
}

TN__PRIVATE void tn__ws_discard(tn_stream *s, int status, tn_str data, void *user) {
    (void)s;
    (void)status;
    (void)data;
    (void)user;   /* the client waits for the server's FIN; the stream closes itself at EOF */
}

TN__PRIVATE void tn__ws_after_flush(tn_stream *s, int status, void *user) {
    tn_ws *ws = (tn_ws *)user;
    if (status != TN_OK) return;
    if (!ws->client) {
        (void)tn_stream_close(s, NULL, NULL);   /* the server closes the TCP connection first */
        return;
    }
    tn__stream_consume(s, tn__stream_peek(s).len);
    if (tn_stream_read_until_close(s, TN_READ_STREAMING, tn__ws_discard, ws) != TN_OK) (void)tn_stream_close(s, NULL, NULL);
}

/* Both close frames are out (or the connection failed): end the TCP connection once our
   frames have left, bounded by the close timer. */
TN__PRIVATE void tn__ws_end_tcp(tn_ws *ws) {
    if (ws->ending || !TN__WS_S(ws)) return;
    ws->ending = 1;
    ws->rx_closed = 1;
    tn__ws_arm_close_timer(ws);
    if (tn_stream_write(TN__WS_S(ws), "", 0, tn__ws_after_flush, ws) != TN_OK) (void)tn_stream_close(TN__WS_S(ws), NULL, NULL);
}

/* Fail the connection (RFC 6455 §7.1.7): a close frame with the error's code, then the
   TCP connection ends; nothing more is read. */
TN__PRIVATE void tn__ws_fail_conn(tn_ws *ws, int err) {
    char payload[2];
    int code = tn_ws_error_close_code(err);
    ws->rx_closed = 1;
    if (!ws->tx_closed) {
        int n = tn_ws_close_payload(payload, sizeof payload, code ? code : 1011, NULL, 0);
        if (tn__ws_send_close(ws, payload, n > 0 ? (size_t)n : 0) != TN_OK) return;
    }
    tn__ws_end_tcp(ws);
}

TN_API int tn_ws_close(tn_ws *ws, int code, const char *reason, size_t reason_len) {
    char payload[TN_WS_MAX_CONTROL];
    int n, rc;
    if (!ws) return TN_EINVAL;
    if ((rc = tn__ws_can_send(ws)) != TN_OK) return rc;
    if (code == 0 && reason_len) code = 1000;
    n = tn_ws_close_payload(payload, sizeof payload, code, reason, reason_len);
    if (n < 0) return n;
    if ((rc = tn__ws_send_close(ws, payload, (size_t)n)) != TN_OK) return rc;
    if (ws->rx_closed) tn__ws_end_tcp(ws);
    return TN_OK;
}

TN_API int tn_ws_abort(tn_ws *ws) {
    if (!ws || ws->state == TN__WS_GONE) return TN_ECLOSED;
    if (ws->state == TN__WS_CONNECTING) {
        if (ws->x->cl->aborted) return TN_ECLOSED;
        ws->x->cl->aborted = 1;
        if (ws->x->cl->conn) tn_tcp_connect_cancel(ws->x->cl->conn);
        else if (TN__WS_S(ws)) (void)tn_stream_abort(TN__WS_S(ws), TN_ECANCELED);
        return TN_OK;
    }
    if (!TN__WS_S(ws) || tn_stream_closed(TN__WS_S(ws))) return TN_ECLOSED;
    ws->rx_closed = ws->tx_closed = 1;
    return tn_stream_abort(TN__WS_S(ws), TN_ECANCELED);
}

/* ---- receiving ---- */

/* A control frame. Returns 1 to go on reading, 0 to stop. */
TN__PRIVATE int tn__ws_control(tn_ws *ws, const tn_ws_event *ev) {
    switch (ev->opcode) {
    case TN_WS_PING:
        if (!ws->tx_closed && tn__ws_frame(ws, TN_WS_PONG, 1, ev->data.ptr, ev->data.len, NULL, NULL, 0) != TN_OK) {
            (void)tn_stream_abort(TN__WS_S(ws), TN_ENOMEM);
            return 0;
        }
        if (ws->conf->cb.on_ping) ws->conf->cb.on_ping(ws, ev->data, ws->user);
        break;
    case TN_WS_PONG:
        if (ws->x) ws->x->last_pong = (uint32_t)tn_loop_now(TN__WS_LOOP(ws));   /* keepalive (it has x) */
        if (ws->conf->cb.on_pong) ws->conf->cb.on_pong(ws, ev->data, ws->user);
        break;
    default: {   /* TN_WS_CLOSE */
        int code, rc;
        tn_str reason;
        rc = tn_ws_close_parse(ev->data.ptr, ev->data.len, &code, &reason);
        if (rc != TN_OK) {
            tn__ws_fail_conn(ws, rc);   /* 1002 (bad code, 1 byte) or 1007 (reason not UTF-8) */
            return 0;
        }
        if (!tn__ws_x(ws)) {
            (void)tn_stream_abort(TN__WS_S(ws), TN_ENOMEM);
            return 0;
        }
        ws->x->close_code = code;
        if (reason.len && (ws->x->close_reason = (char *)tn__alloc(tn__loop_alloc(TN__WS_LOOP(ws)), reason.len)) != NULL) {
            memcpy(ws->x->close_reason, reason.ptr, reason.len);   /* the parser's copy may be on the stack */
            ws->x->close_reason_len = (unsigned char)reason.len;
        }
        ws->rx_closed = 1;
        if (!ws->tx_closed) {
            /* echo the peer's code (Tornado), without a reason */
            char payload[2];
            int n = code == 1005 ? 0 : tn_ws_close_payload(payload, sizeof payload, code, NULL, 0);
            if (tn__ws_send_close(ws, payload, n > 0 ? (size_t)n : 0) != TN_OK) return 0;
        }
        tn__ws_end_tcp(ws);
        return 0;
    }
    }
    return TN__WS_S(ws) && !tn_stream_closed(TN__WS_S(ws)) && !ws->rx_closed;
}

#if TN_HAS_DEFLATE
typedef struct tn__ws_zctx { tn_ws *ws; int opcode; } tn__ws_zctx;

/* Streaming receive of a compressed message: each decompressed piece. */
TN__PRIVATE int tn__ws_zsink(void *user, const char *data, size_t len, int last) {
    tn__ws_zctx *c = (tn__ws_zctx *)user;
    tn_ws *ws = c->ws;
    if (len || last) ws->conf->cb.on_fragment(ws, c->opcode, tn_str_make(data, len), last, ws->user);
    return !TN__WS_S(ws) || tn_stream_closed(TN__WS_S(ws)) || ws->rx_closed || ws->tx_closed;
}

/* A piece of a compressed message: decompressed as it arrives (into the tn__ws_z, or
   handed over in pieces when streaming), the wire bytes consumed at once. Returns 1 to go
   on, 0 to stop. */
TN__PRIVATE int tn__ws_zdata(tn_ws *ws, tn__ws_rx *r, const tn_ws_event *ev, int first, int last) {
    if (!ws->tx_closed && (ws->conf->cb.on_fragment || ws->conf->cb.on_message)) {
        tn__ws_zctx c;
        int rc;
        c.ws = ws;
        c.opcode = ev->opcode;
        rc = tn__ws_z_inflate(ws->x->z, ev->data.ptr, ev->data.len, first, last, ev->opcode == TN_WS_TEXT, ws->conf->max_msg,
                              ws->conf->cb.on_fragment ? tn__ws_zsink : NULL, &c);
        if (rc == TN_ECANCELED) return 0;   /* the user closed from on_fragment */
        if (rc != TN_OK) {
            tn__ws_fail_conn(ws, rc);   /* 1009 (too big inflated), 1007 (corrupt, bad UTF-8) */
            return 0;
        }
        if (last && !ws->conf->cb.on_fragment) ws->conf->cb.on_message(ws, ev->opcode, tn__ws_z_message(ws->x->z), ws->user);
    }
    if (last) {
        tn__ws_z_done(ws->x->z);
        ws->rx_open = ws->rx_z = 0;
    }
    if (!TN__WS_S(ws) || tn_stream_closed(TN__WS_S(ws)) || ws->rx_closed) return 0;
    tn__stream_consume(TN__WS_S(ws), r->pos);
    r->pos = 0;
    r->msg_start = r->msg_len = 0;
    return 1;
}
#endif

/* A piece of a data message, lying at buffer offset `at`. Returns 1 to go on, 0 to stop. */
TN__PRIVATE int tn__ws_data(tn_ws *ws, tn__ws_rx *r, const tn_ws_event *ev, char *base, size_t at) {
    int last = (ev->flags & TN_WS_EV_MESSAGE_END) != 0;
    int first = (ev->flags & TN_WS_EV_FRAME_START) && ev->frame.opcode != TN_WS_CONT;
    if (first) {
        ws->rx_open = 1;
        ws->rx_z = (ev->rsv & TN_WS_RSV1) != 0;   /* the parser allows it only when agreed */
        r->msg_start = at;
        r->msg_len = 0;
    }
#if TN_HAS_DEFLATE
    if (ws->rx_z) return tn__ws_zdata(ws, r, ev, first, last);
    if (TN__WS_Z(ws) && r->msg_len + ev->data.len > ws->conf->max_msg) {   /* the parser allowed compression's slack */
        tn__ws_fail_conn(ws, TN_EWS_TOO_BIG);
        return 0;
    }
#endif
    if (ws->conf->cb.on_fragment || ws->tx_closed || !ws->conf->cb.on_message) {
        /* streaming receive (or a message nobody takes): hand over and forget the bytes */
        if (last) ws->rx_open = 0;
        if (ws->conf->cb.on_fragment && !ws->tx_closed && (ev->data.len || last))
            ws->conf->cb.on_fragment(ws, ev->opcode, ev->data, last, ws->user);
        if (!TN__WS_S(ws) || tn_stream_closed(TN__WS_S(ws)) || ws->rx_closed) return 0;
        tn__stream_consume(TN__WS_S(ws), r->pos);
        r->pos = 0;
        r->msg_start = 0;
        return 1;
    }
    if (ev->data.len && r->msg_start + r->msg_len != at)
        memmove(base + r->msg_start + r->msg_len, base + at, ev->data.len);
    r->msg_len += ev->data.len;
    if (!last) return 1;
    ws->rx_open = 0;
    ws->conf->cb.on_message(ws, ev->opcode, tn_str_make(base + r->msg_start, r->msg_len), ws->user);
    if (!TN__WS_S(ws) || tn_stream_closed(TN__WS_S(ws)) || ws->rx_closed) return 0;
    tn__stream_consume(TN__WS_S(ws), r->pos);
    r->pos = 0;
    r->msg_start = r->msg_len = 0;
    return 1;
}

/* Parse what the read buffer holds, then wait for more. The parser lives on the stack
   while whole frames arrive (an idle connection keeps none); only a frame or message
   that continues in a later read gets its state copied to ws->rx (a value type), freed
   once the connection is between messages again. */
TN__PRIVATE void tn__ws_process(tn_ws *ws) {
    tn__ws_rx local, *r = ws->rx;
    tn_stream *s = TN__WS_S(ws);
    int boundary = 1;   /* the parser stands between frames with nothing gathered */
    tn_ws_event ev;     /* (set by each parse that returns one; zeroed once for the compiler's
                           flow analysis, which cannot see that, in builds that inline it) */
    memset(&ev, 0, sizeof ev);
    if (!r) {
        uint64_t max = ws->conf->max_msg;
        /* a fresh parser: every field zero but the header and control buffers, which its
           counts (_hlen, _clen: zero) say hold nothing (zeroing them cost more than the
           rest of a small message's parse) */
        memset(&local.p, 0, offsetof(tn_ws_parser, _hdr));
        local.pos = local.msg_start = local.msg_len = 0;
        local.p.role = ws->client ? TN_WS_CLIENT : TN_WS_SERVER;
        local.p.max_message_size = max;
#if TN_HAS_DEFLATE
        if (TN__WS_Z(ws)) {   /* compressed: the limit is on the decompressed size (tn__ws_zdata); the
                                 wire size may exceed it a little for data that does not compress */
            local.p.rsv_allowed = TN_WS_RSV1;
            local.p.max_message_size = max + TN__MIN(max / 8 + 1024, UINT64_MAX - max);
        }
#endif
        r = &local;
    }
    for (;;) {
        tn_str buf = tn__stream_peek(s);
        char *base = (char *)(uintptr_t)buf.ptr;
        int rc;
        if (r->pos >= buf.len) break;
        rc = tn_ws_parse(&r->p, base + r->pos, buf.len - r->pos, &ev);
        if (rc == TN_EINCOMPLETE) {   /* a partial header or control frame, kept in the parser */
            r->pos = buf.len;
            boundary = 0;
            break;
        }
        if (rc < 0) {
            tn__ws_fail_conn(ws, rc);
            return;
        }
        r->pos += (size_t)rc;
        boundary = (ev.flags & TN_WS_EV_FRAME_END) != 0;
        /* more frames behind this one: batch the answers (a lone frame's answer goes
           straight out, its payload not copied); tn__ws_on_data uncorks */
        if (r->pos < buf.len && !tn__stream_corked(s)) tn__stream_cork(s, 1);
        if (ev.opcode & 8) {
            if (!tn__ws_control(ws, &ev)) return;
        } else if (!tn__ws_data(ws, r, &ev, base, r->pos - ev.data.len)) {
            return;
        }
    }
    if (ws->rx_open && !ws->rx_z && !ws->conf->cb.on_fragment && !ws->tx_closed && ws->conf->cb.on_message) {
        /* keep the message so far at the front: drop the headers before it and the spent
           bytes behind it; the next payload lands right after it */
        tn__stream_truncate(s, r->msg_start + r->msg_len);
        tn__stream_consume(s, r->msg_start);
        r->pos = r->msg_len;
        r->msg_start = 0;
    } else {
        tn__stream_consume(s, r->pos);
        r->pos = 0;
    }
    if (boundary && !ws->rx_open) {   /* between messages: every position is 0 */
        tn__free(tn__loop_alloc(TN__WS_LOOP(ws)), ws->rx);
        ws->rx = NULL;
    } else if (r == &local) {
        ws->rx = (tn__ws_rx *)tn__alloc(tn__loop_alloc(TN__WS_LOOP(ws)), sizeof *ws->rx);
        if (!ws->rx) {
            (void)tn_stream_abort(s, TN_ENOMEM);
            return;
        }
        *ws->rx = local;
    }
    tn__ws_read(ws);
}

TN__PRIVATE void tn__ws_on_data(tn_stream *s, int status, tn_str data, void *user) {
    tn_ws *ws = (tn_ws *)user;
    int corked;
    (void)data;
    if (status != TN_OK) return;   /* the stream is closing: its close callback ends us */
    /* tn__ws_process corks the stream when one read brought several frames: what the
       callbacks send in answer (echoes, pongs) then leaves in one system call, here */
    corked = tn__stream_corked(s);
    tn__ws_process(ws);
    if (!corked && tn__stream_corked(s)) tn__stream_cork(s, 0);
}

TN__PRIVATE void tn__ws_read(tn_ws *ws) {
    int rc;
    if (!TN__WS_S(ws) || ws->rx_closed || tn_stream_closed(TN__WS_S(ws))) return;
    rc = tn__stream_fill(TN__WS_S(ws), ws->rx ? ws->rx->pos : 0, tn__ws_on_data, ws);
    if (rc != TN_OK && rc != TN_ECLOSED) (void)tn_stream_abort(TN__WS_S(ws), rc);
}

/* ---- keepalive ---- */

TN__PRIVATE void tn__ws_on_ping_timer(tn_loop *loop, void *user) {
    tn_ws *ws = (tn_ws *)user;
    uint32_t now = (uint32_t)tn_loop_now(loop);
    if (!TN__WS_S(ws) || ws->tx_closed || ws->state != TN__WS_OPEN) return;
    /* only when a ping went out recently: a process that was suspended does not close
       connections whose pongs it could not see (Tornado) */
    if (ws->x->last_ping && (uint64_t)(uint32_t)(now - ws->x->last_ping) < 2 * (uint64_t)ws->conf->ping_interval &&
        (uint32_t)(now - ws->x->last_pong) > ws->conf->ping_timeout) {
        (void)tn_ws_close(ws, 0, NULL, 0);
        return;
    }
    if (tn__ws_frame(ws, TN_WS_PING, 1, NULL, 0, NULL, NULL, 0) == TN_OK) ws->x->last_ping = now ? now : 1;
}

/* The connection is open (state and opened set): keepalive and reading start. */
TN__PRIVATE void tn__ws_start(tn_ws *ws) {
    if (!TN__WS_S(ws) || tn_stream_closed(TN__WS_S(ws))) return;
    if (ws->conf->ping_interval && !ws->tx_closed) {   /* keepalive: its state is in x */
        if (!tn__ws_x(ws) ||
            tn_loop_call_every(TN__WS_LOOP(ws), ws->conf->ping_interval, tn__ws_on_ping_timer, ws, &ws->x->ping_timer) != TN_OK) {
            (void)tn_stream_abort(TN__WS_S(ws), TN_ENOMEM);
            return;
        }
        ws->x->last_pong = (uint32_t)tn_loop_now(TN__WS_LOOP(ws));
    }
    tn__stream_lend_reads(TN__WS_S(ws), 1);   /* frames are parsed by offset (tn__ws_process) */
    tn__ws_read(ws);
}

TN__PRIVATE void tn__ws_client_fail(tn_ws *ws, int status, int http_status);

TN__PRIVATE void tn__ws_on_stream_close(tn_stream *s, int cause, void *user) {
    tn_ws *ws = (tn_ws *)user;
    (void)s;
    tn__ws_set_s(ws, NULL);
    tn__ws_cancel_timers(ws);
    if (ws->state == TN__WS_CONNECTING) {
        tn__ws_client_fail(ws, ws->x->cl->aborted ? TN_ECANCELED : cause ? cause : TN_ECLOSED, 0);
        return;
    }
    ws->state = TN__WS_GONE;
    /* in the stream's memory: on_close now (the close sequence runs from the loop), before
       that memory goes; on its own: from the loop's closing phase */
    if (ws->embedded) tn__ws_end(ws);
    else (void)tn__handle_close(&TN__WS_OWN(ws)->h);
}

/* ---- server ---- */
#if TN_HAS_HTTP_SERVER

/* Tornado's answers to a refused handshake. */
TN__PRIVATE int tn__ws_refuse(tn_request *req, int err) {
    const char *msg;
    int status = tn_ws_handshake_status(err), rc;
    if (err == TN_EWS_VERSION) {
        (void)tn_response_set_header(req, "Sec-WebSocket-Version", "13");
        msg = "Unsupported WebSocket version: Sec-WebSocket-Version: 13 is supported";
    } else if (err == TN_EWS_ORIGIN) {
        msg = "Cross origin websockets not allowed";
    } else {
        msg = "Can \"Upgrade\" only to \"WebSocket\" with a valid Sec-WebSocket-Key";
    }
    rc = tn_respond(req, status, "text/plain; charset=UTF-8", msg, strlen(msg));
    return rc == TN_ECLOSED ? TN_ECLOSED : err;
}

/* The origin check with the caller's allow-list or callback. */
TN__PRIVATE int tn__ws_origin_ok(tn_request *req, const tn_ws_opts *o) {
    tn_str origin, host = tn_str_make("", 0);
    size_t i;
    if (tn_request_header(req, "Origin", &origin) != TN_OK) return 1;
    for (i = 0; i < o->num_allowed_origins; i++)
        if (o->allowed_origins[i] && tn_str_eq_c(origin, o->allowed_origins[i])) return 1;
    if (!o->check_origin) return 0;
    (void)tn_request_header(req, "Host", &host);
    return o->check_origin(origin, host, o->check_origin_user) != 0;
}

TN_API int tn_ws_accept(tn_request *req, const tn_ws_opts *opts, const tn_ws_handler *h, void *user, tn_ws **out) {
    tn_ws_opts o;
    const tn_http_header *hd;
    size_t nh;
    tn_str key, proto = tn_str_make(NULL, 0);
    char accept[TN_WS_ACCEPT_SIZE + 1];
    tn_loop *loop;
    tn_stream *s = NULL;
    tn_ws tmp, *ws;
    tn__ws_conf *conf;
    int custom, rc, zok = 0, own;
    char zhdr[128];
    if (out) *out = NULL;
    if (!req || !h) return TN_EINVAL;
    memset(&o, 0, sizeof o);
    if (opts) o = *opts;
    loop = tn_http_server_loop(tn_request_server(req));
    hd = tn_request_headers(req, &nh);
    custom = o.num_allowed_origins > 0 || o.check_origin;
    rc = tn_ws_check_request(tn_request_method(req), tn_request_version(req), hd, nh, custom ? TN_WS_ANY_ORIGIN : 0,
                             &key);
    if (rc == TN_OK && custom && !tn__ws_origin_ok(req, &o)) rc = TN_EWS_ORIGIN;
    if (rc == TN_OK && o.num_subprotocols) {
        rc = tn_ws_select_protocol(hd, nh, o.subprotocols, o.num_subprotocols, &proto);
        if (rc == TN_ENOENT) rc = TN_OK;   /* none in common: go on without one (Tornado) */
    }
    if (rc != TN_OK) return tn__ws_refuse(req, rc);
    /* built here, then moved into the stream's spare bytes once it is detached (a
       tn__ws_own where they are too few) */
    own = tn__hs_spare_size() < sizeof(tn_ws);
    memset(&tmp, 0, sizeof tmp);
    conf = tn__ws_conf_get(loop, &o, h);
    ws = !conf ? NULL : own ? tn__ws_new_own(loop, conf, user, 0) : &tmp;
    if (ws) {
        ws->conf = conf;
        ws->user = user;
    } else {
        tn__ws_conf_put(conf);
    }
    if (ws && proto.len && (!tn__ws_x(ws) || !(ws->x->subprotocol = tn__strndup(tn__loop_alloc(loop), proto.ptr, proto.len)))) {
        tn__ws_drop(ws);
        ws = NULL;
    }
#if TN_HAS_DEFLATE
    if (ws && o.compression) {
        /* the first acceptable permessage-deflate offer; a malformed header or none
           acceptable: no compression (the connection goes on, as Tornado's) */
        tn_ws_extension exts[8];
        tn_ws_deflate_params zp;
        size_t ne = 0;
        int erc = tn_ws_parse_extensions(hd, nh, exts, sizeof exts / sizeof exts[0], &ne);
        if ((erc == TN_OK || erc == TN_ELIMIT) && tn_ws_deflate_negotiate(o.compression, exts, ne, &zp) == TN_OK &&
            tn_ws_deflate_format(&zp, zhdr, sizeof zhdr) > 0) {
            if (tn__ws_x(ws) && tn__ws_z_new(tn__loop_alloc(loop), o.compression, &zp, 0, &ws->x->z) == TN_OK) {
                zok = 1;
            } else {   /* out of memory, or bad options */
                tn__ws_drop(ws);
                ws = NULL;
            }
        }
    }
#endif
    if (!ws) {
        rc = tn_respond_error(req, 500, NULL);
        return rc == TN_ECLOSED ? TN_ECLOSED : TN_ENOMEM;
    }
    tn_ws_accept_key(key, accept);
    if ((rc = tn_response_set_header(req, "Upgrade", "websocket")) != TN_OK ||
        (rc = tn_response_set_header(req, "Connection", "Upgrade")) != TN_OK ||
        (rc = tn_response_set_header(req, "Sec-WebSocket-Accept", accept)) != TN_OK ||
        (ws->x && ws->x->subprotocol &&
         (rc = tn_response_set_header(req, "Sec-WebSocket-Protocol", ws->x->subprotocol)) != TN_OK) ||
        (zok && (rc = tn_response_set_header(req, "Sec-WebSocket-Extensions", zhdr)) != TN_OK) ||
        (rc = tn_response_start(req, 101, 0)) != TN_OK || (rc = tn_request_detach(req, &s)) != TN_OK) {
        tn__ws_drop(ws);
        return rc;
    }
    if (own) {
        tn__handle_init(loop, &TN__WS_OWN(ws)->h, &tn__ws_type);
    } else {
        ws = (tn_ws *)tn__hs_spare(s);
        *ws = tmp;
        ws->embedded = 1;
    }
    tn__ws_set_s(ws, s);
    tn__stream_cork(s, 0);   /* a pipelining client's frames may have corked it: the 101 goes now */
    tn_stream_set_close_cb(s, tn__ws_on_stream_close, ws);
    ws->state = TN__WS_OPEN;
    ws->opened = 1;
    tn__ws_start(ws);
    if (out) *out = ws;
    return TN_OK;
}
#endif /* TN_HAS_HTTP_SERVER */

/* ---- client ---- */

TN__PRIVATE void tn__ws_client_fail(tn_ws *ws, int status, int http_status) {
    tn_ws_connect_cb cb = ws->x->cl ? ws->x->cl->cb : NULL;
    if (ws->state == TN__WS_GONE) return;
    ws->state = TN__WS_GONE;   /* never opened: no on_close */
    if (ws->x->cl) {
        ws->x->cl->cb = NULL;
        if (ws->x->cl->timer) (void)tn_loop_cancel(TN__WS_LOOP(ws), ws->x->cl->timer);
        ws->x->cl->timer = 0;
    }
    if (cb) cb(ws, status, http_status, ws->user);
    /* with a stream, its close callback closes us (it still points here until then) */
    if (TN__WS_S(ws)) (void)tn_stream_abort(TN__WS_S(ws), status);
    else (void)tn__handle_close(&TN__WS_OWN(ws)->h);
}

TN__PRIVATE void tn__ws_on_hs_timer(tn_loop *loop, void *user) {
    tn_ws *ws = (tn_ws *)user;
    (void)loop;
    ws->x->cl->timer = 0;
    ws->x->cl->timed_out = 1;
    if (ws->x->cl->conn) tn_tcp_connect_cancel(ws->x->cl->conn);   /* reports TN_ECANCELED, read as a timeout */
    else tn__ws_client_fail(ws, TN_ETIMEOUT, 0);
}

/* The server's 101 is complete in buf[0..n): check it. Returns TN_OK or TN_EWS_HANDSHAKE. */
TN__PRIVATE int tn__ws_check_answer(tn_ws *ws) {
    tn__ws_client *cl = ws->x->cl;
    tn_http_response *r = &cl->res;
    tn_str proto;
    int rc = tn_ws_check_response(r->status, r->headers, r->num_headers, tn_str_c(cl->key));
    if (rc != TN_OK) return rc;
#if TN_HAS_DEFLATE
    if (cl->zoffered) {   /* permessage-deflate: declined, or agreed within what we offered */
        tn_ws_extension exts[2];
        tn_ws_deflate_params zp;
        size_t ne = 0;
        if (tn_ws_parse_extensions(r->headers, r->num_headers, exts, 2, &ne) != TN_OK) return TN_EWS_HANDSHAKE;
        rc = tn_ws_deflate_check_response(&cl->zopts, exts, ne, &zp);
        if (rc == TN_OK && (rc = tn__ws_z_new(tn__loop_alloc(TN__WS_LOOP(ws)), &cl->zopts, &zp, 1, &ws->x->z)) != TN_OK) return rc;
        if (rc != TN_OK && rc != TN_ENOENT) return rc;
    } else
#endif
    /* no extension was offered: the server may not use one */
    if (tn_http_header_count(r->headers, r->num_headers, "Sec-WebSocket-Extensions") > 0) return TN_EWS_HANDSHAKE;
    if (tn_http_header_get(r->headers, r->num_headers, "Sec-WebSocket-Protocol", &proto) == TN_OK) {
        const char *p = cl->offered;
        int found = 0;
        if (tn_http_header_count(r->headers, r->num_headers, "Sec-WebSocket-Protocol") != 1) return TN_EWS_HANDSHAKE;
        while (p && *p && !found) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            found = tn_str_eq(tn_str_make(p, n), proto);
            p = e ? e + 1 : NULL;
        }
        if (!found) return TN_EWS_HANDSHAKE;
        if (!(ws->x->subprotocol = tn__strndup(tn__loop_alloc(TN__WS_LOOP(ws)), proto.ptr, proto.len))) return TN_ENOMEM;
    }
    return TN_OK;
}

TN__PRIVATE void tn__ws_on_answer(tn_stream *s, int status, tn_str data, void *user) {
    tn_ws *ws = (tn_ws *)user;
    tn__ws_client *cl = ws->x->cl;
    tn_ws_connect_cb cb;
    int rc, rc2, http_status;
    if (status != TN_OK) return;   /* closing: the close callback reports it */
    rc = tn_http_parse_response(data.ptr, data.len, &cl->res);
    if (rc == TN_EINCOMPLETE) {
        if ((rc = tn__stream_fill(s, data.len, tn__ws_on_answer, ws)) != TN_OK) tn__ws_client_fail(ws, rc, 0);
        return;
    }
    http_status = rc > 0 ? cl->res.status : 0;
    if (rc < 0) {
        tn__ws_client_fail(ws, TN_EWS_HANDSHAKE, 0);
        return;
    }
    if ((rc2 = tn__ws_check_answer(ws)) != TN_OK) {
        tn__ws_client_fail(ws, rc2, http_status);
        return;
    }
    tn__stream_consume(s, (size_t)rc);   /* what follows the head is already frames */
    cb = cl->cb;
    cl->cb = NULL;
    tn__ws_client_free(ws);
    ws->state = TN__WS_OPEN;
    ws->opened = 1;
    cb(ws, TN_OK, 101, ws->user);
    if (ws->state == TN__WS_OPEN) tn__ws_start(ws);
}

/* The connection is up (TCP, and TLS for wss://): send the upgrade request. */
TN__PRIVATE void tn__ws_send_request(tn_ws *ws) {
    tn__ws_client *cl = ws->x->cl;
    int rc = tn_stream_write(TN__WS_S(ws), tn_buf_ptr(&cl->req), tn_buf_size(&cl->req), NULL, NULL);
    tn_buf_free(&cl->req);
    if (rc == TN_OK) rc = tn__stream_fill(TN__WS_S(ws), 0, tn__ws_on_answer, ws);
    if (rc != TN_OK) tn__ws_client_fail(ws, rc, 0);
}

#if TN_HAS_OPENSSL
/* wss://: the handshake ended. A failure (the stream is closing) fails the connect with
   the handshake's status (TN_ETLS_VERIFY, TN_ETLS, ...), OpenSSL's reason logged. */
TN__PRIVATE void tn__ws_on_tls(tn_stream *s, int status, void *user) {
    tn_ws *ws = (tn_ws *)user;
    if (ws->state != TN__WS_CONNECTING || !ws->x->cl || ws->x->cl->aborted) return;   /* the close callback reports */
    if (status != TN_OK) {
        const char *why = tn_stream_tls_error(s);
        TN__LLOG(TN__WS_LOOP(ws), TN_LOG_WARN, status, "ws: TLS handshake with %s failed: %s", ws->x->cl->host,
                 *why ? why : tn_strerror(status));
        tn__ws_client_fail(ws, status, 0);
        return;
    }
    tn__ws_send_request(ws);
}
#endif

TN__PRIVATE void tn__ws_on_connected(int status, tn_stream *s, void *user) {
    tn_ws *ws = (tn_ws *)user;
    tn__ws_client *cl = ws->x->cl;
    cl->conn = NULL;
    if (status == TN_OK && cl->aborted) {
        (void)tn_stream_close(s, NULL, NULL);
        status = TN_ECANCELED;
    }
    if (status != TN_OK) {
        tn__ws_client_fail(ws, cl->timed_out ? TN_ETIMEOUT : status, 0);
        return;
    }
    tn__ws_set_s(ws, s);
    tn_stream_set_close_cb(s, tn__ws_on_stream_close, ws);
#if TN_HAS_OPENSSL
    if (cl->tls) {   /* wss://: the upgrade request waits for the handshake */
        int rc;
        if ((rc = tn_stream_start_tls(s, cl->tls, cl->host, tn__ws_on_tls, ws)) != TN_OK) tn__ws_client_fail(ws, rc, 0);
        return;
    }
#endif
    tn__ws_send_request(ws);
}

/* A header line for the request: name a token, value without CR, LF or NUL. */
TN__PRIVATE int tn__ws_put_header(tn_buf *b, tn_str name, tn_str value) {
    size_t i;
    if (!tn_http_is_token(name)) return TN_EINVAL;
    for (i = 0; i < value.len; i++)
        if (value.ptr[i] == '\r' || value.ptr[i] == '\n' || value.ptr[i] == '\0') return TN_EINVAL;
    if (tn_buf_reserve(b, name.len + value.len + 4) != 0) return TN_ENOMEM;
    (void)tn_buf_append(b, name.ptr, name.len);
    (void)tn_buf_append(b, ": ", 2);
    (void)tn_buf_append(b, value.ptr, value.len);
    (void)tn_buf_append(b, "\r\n", 2);
    return TN_OK;
}

/* Build the upgrade request into cl->req. */
TN__PRIVATE int tn__ws_build_request(tn_ws *ws, const tn_url *u, const tn_ws_opts *o) {
    tn__ws_client *cl = ws->x->cl;
    tn_buf *b = &cl->req;
    tn_buf protos;
    tn_str host = u->authority;
    size_t i;
    int rc = TN_OK;
    const char *at = (const char *)memchr(host.ptr, '@', host.len);
    if (at) host = tn_str_make(at + 1, host.len - (size_t)(at + 1 - host.ptr));
    tn_buf_init(&protos, tn__loop_alloc(TN__WS_LOOP(ws)));
    if (tn_buf_append(b, "GET ", 4) != 0 ||
        tn_buf_append(b, u->path.len ? u->path.ptr : "/", u->path.len ? u->path.len : 1) != 0 ||
        (u->query.len && (tn_buf_append(b, "?", 1) != 0 || tn_buf_append(b, u->query.ptr, u->query.len) != 0)) ||
        tn_buf_append(b, " HTTP/1.1\r\n", 11) != 0)
        return TN_ENOMEM;
    if ((rc = tn__ws_put_header(b, tn_str_c("Host"), host)) != TN_OK ||
        (rc = tn__ws_put_header(b, tn_str_c("Upgrade"), tn_str_c("websocket"))) != TN_OK ||
        (rc = tn__ws_put_header(b, tn_str_c("Connection"), tn_str_c("Upgrade"))) != TN_OK ||
        (rc = tn__ws_put_header(b, tn_str_c("Sec-WebSocket-Key"), tn_str_c(cl->key))) != TN_OK ||
        (rc = tn__ws_put_header(b, tn_str_c("Sec-WebSocket-Version"), tn_str_c("13"))) != TN_OK)
        return rc;
    for (i = 0; i < o->num_subprotocols; i++) {
        tn_str p = tn_str_c(o->subprotocols[i] ? o->subprotocols[i] : "");
        if (!tn_http_is_token(p)) rc = TN_EINVAL;
        else if ((i && tn_buf_append(&protos, ",", 1) != 0) || tn_buf_append(&protos, p.ptr, p.len) != 0) rc = TN_ENOMEM;
        if (rc != TN_OK) break;
    }
    if (rc == TN_OK && o->num_subprotocols) {
        if (tn_buf_append(&protos, "", 1) != 0) rc = TN_ENOMEM;   /* NUL */
        else if (!(cl->offered = tn__strdup(tn__loop_alloc(TN__WS_LOOP(ws)), tn_buf_ptr(&protos)))) rc = TN_ENOMEM;
        else rc = tn__ws_put_header(b, tn_str_c("Sec-WebSocket-Protocol"), tn_str_c(cl->offered));
    }
    tn_buf_free(&protos);
#if TN_HAS_DEFLATE
    if (rc == TN_OK && o->compression) {
        char offer[128];
        int n = tn_ws_deflate_offer(o->compression, offer, sizeof offer);
        if (n < 0) return TN_EINVAL;
        cl->zopts = *o->compression;
        cl->zoffered = 1;
        rc = tn__ws_put_header(b, tn_str_c("Sec-WebSocket-Extensions"), tn_str_make(offer, (size_t)n));
    }
#endif
    for (i = 0; rc == TN_OK && i < o->num_headers; i++) rc = tn__ws_put_header(b, o->headers[i].name, o->headers[i].value);
    if (rc == TN_OK && tn_buf_append(b, "\r\n", 2) != 0) rc = TN_ENOMEM;
    return rc;
}

TN_API int tn_ws_connect(tn_loop *loop, const char *url, const tn_ws_opts *opts, const tn_ws_handler *h,
                         tn_ws_connect_cb cb, void *user, tn_ws **out) {
    tn_ws_opts o;
    tn_url u;
    tn_allocator *a;
    tn__ws_client *cl;
    tn_connect_opts co;
    tn_ws *ws;
    uint64_t timeout;
    int rc, port, tls;
    if (out) *out = NULL;
    if (!loop || !url || !h || !cb) return TN_EINVAL;
    a = tn__loop_alloc(loop);
    memset(&o, 0, sizeof o);
    if (opts) o = *opts;
    if (tn_url_parse(tn_str_c(url), &u) != TN_OK || !(u.flags & TN_URL_HAS_AUTHORITY) || u.host.len == 0 ||
        u.fragment.len)
        return TN_EINVAL;
    tls = tn_str_ieq(u.scheme, tn_str_c("wss"));
    if (tls && !TN_HAS_OPENSSL) {
        TN__LLOG(loop, TN_LOG_ERROR, TN_ENOTSUP, "ws: wss:// needs TLS, which is not built in (TORNADO_WITH_OPENSSL)");
        return TN_ENOTSUP;
    }
    if (!tls && !tn_str_ieq(u.scheme, tn_str_c("ws"))) return TN_EINVAL;
    port = u.port > 0 ? u.port : tls ? 443 : 80;
    {
        tn__ws_conf *conf = tn__ws_conf_get(loop, &o, h);
        if (!conf) return TN_ENOMEM;
        if (!(ws = tn__ws_new_own(loop, conf, user, 1))) {
            tn__ws_conf_put(conf);
            return TN_ENOMEM;
        }
    }
    cl = tn__ws_x(ws) ? (ws->x->cl = (tn__ws_client *)tn__calloc(a, sizeof *cl)) : NULL;
    if (!cl) {
        tn__ws_free_unstarted(ws);
        return TN_ENOMEM;
    }
    tn_buf_init(&cl->req, a);
    cl->cb = cb;
    cl->res.headers = cl->hdrs;
    cl->res.max_headers = TORNADO_WS_MAX_RESPONSE_HEADERS;
    cl->res.request_method = tn_str_c("GET");
    rc = tn_ws_client_key(cl->key);
    if (rc >= 0) rc = tn__ws_build_request(ws, &u, &o);
    if (rc >= 0 && !(cl->host = tn__strndup(a, u.host.ptr, u.host.len))) rc = TN_ENOMEM;
#if TN_HAS_OPENSSL
    if (rc >= 0 && tls) {   /* opts.tls, else a verifying client as the HTTP client's default */
        tn_tls_opts to;
        memset(&to, 0, sizeof to);
        to.alpn = "http/1.1";
        if (o.tls) tn__tls_ctx_ref(cl->tls = o.tls);
        else if ((rc = tn_tls_ctx_new(loop, &to, &cl->tls)) != TN_OK)
            TN__LLOG(loop, TN_LOG_ERROR, rc, "ws: the TLS client context could not be made");
    }
#endif
    timeout = TN__DEF(o.connect_timeout_ms, (uint64_t)TORNADO_CONNECT_TIMEOUT_MS);
    co = o.connect;
    co.timeout_ms = timeout;
    if (rc >= 0) rc = tn_tcp_connect(loop, cl->host, port, &co, tn__ws_on_connected, ws, &cl->conn);
    if (rc >= 0 && tn_loop_call_later(loop, timeout, tn__ws_on_hs_timer, ws, &cl->timer) != TN_OK) {
        tn_tcp_connect_cancel(cl->conn);   /* its callback finds us failed */
        cl->cb = NULL;
        rc = TN_ENOMEM;
    }
    if (rc < 0 && cl->conn) {
        /* the connector still calls back: let it find a dead handshake */
        tn__handle_init(loop, &TN__WS_OWN(ws)->h, &tn__ws_type);
        ws->state = TN__WS_CONNECTING;
        return rc;
    }
    if (rc < 0) {
        tn__ws_free_unstarted(ws);
        return rc;
    }
    tn__handle_init(loop, &TN__WS_OWN(ws)->h, &tn__ws_type);
    ws->state = TN__WS_CONNECTING;
    if (out) *out = ws;
    return TN_OK;
}

/* ---- accessors ---- */

TN_API size_t tn_ws_buffered_amount(const tn_ws *ws) {
    return ws && TN__WS_S(ws) ? tn_stream_write_buffer_size(TN__WS_S(ws)) : 0;
}
TN_API const char *tn_ws_subprotocol(const tn_ws *ws) {
    return ws && ws->x && ws->x->subprotocol ? ws->x->subprotocol : "";
}
TN_API int tn_ws_closing(const tn_ws *ws) {
    return !ws || ws->state == TN__WS_GONE || ws->tx_closed || ws->rx_closed || !TN__WS_S(ws) || tn_stream_closed(TN__WS_S(ws));
}
TN_API tn_stream *tn_ws_stream(const tn_ws *ws) { return ws && ws->state == TN__WS_OPEN ? TN__WS_S(ws) : NULL; }
TN_API tn_loop *tn_ws_loop(const tn_ws *ws) { return TN__WS_LOOP(ws); }
TN_API void tn_ws_set_user(tn_ws *ws, void *user) { ws->user = user; }
TN_API void *tn_ws_get_user(const tn_ws *ws) { return ws->user; }
TN_API int tn_ws_compression(const tn_ws *ws, tn_ws_deflate_params *out) {
#if TN_HAS_DEFLATE
    if (ws && TN__WS_Z(ws)) {
        if (out) tn__ws_z_params(ws->x->z, out);
        return 1;
    }
#endif
    (void)ws;
    (void)out;
    return 0;
}
TN_API size_t tn_ws_compression_memory(const tn_ws *ws) {
#if TN_HAS_DEFLATE
    if (ws && TN__WS_Z(ws)) return tn__ws_z_memory(ws->x->z);
#endif
    (void)ws;
    return 0;
}
TN_API void tn_ws_get_opts(const tn_ws *ws, tn_ws_opts *out) {
    memset(out, 0, sizeof *out);
    out->max_message_size = ws->conf->max_msg;
    out->max_write_buffer_size = ws->conf->max_wbuf;
    out->ping_interval_ms = ws->conf->ping_interval;
    out->ping_timeout_ms = ws->conf->ping_timeout;
    out->close_timeout_ms = ws->conf->close_timeout;
}

#endif /* TN_HAS_WEBSOCKET */
