/* http_client.c: tn_http_client: fetch queue, connection pool, request writer, response reader, redirects, proxies. */
#include "http_client.h"
#include "internal.h"
#include "url.h"
#include "http_util.h"
#include "http_cookie.h"
#include "deflate.h"

#if TN_HAS_HTTP_CLIENT

/* ---- hooks other modules fill in -------------------------------------------------------
   TLS: a connection to an https:// origin (directly, or through a CONNECT tunnel) is
   handed to tn__hcl_tls_start with the origin's host name once TCP (and the tunnel) is up.
   With TORNADO_WITH_OPENSSL it starts TLS on the stream (tn_stream_start_tls) with the
   context the request asks for (tn__hcl_tls_ctx); the handshake callback
   (tn__hcl_tls_done) sends the request or fails the fetch with OpenSSL's reason. Without
   it https:// fetches fail with TN_ENOTSUP.

   Decoders (decompress_response): tn__hcl_decoders lists the content codings that can be
   decoded; with the DEFLATE module they are "gzip" and "deflate" (below). Accept-Encoding
   is sent only when the list is not empty, so without a decoder servers answer
   uncompressed. A decoder's state comes from the loop's allocator once per response; it
   hands out decoded bytes in pieces of at most TN__HCL_DEC_PIECE bytes from its own buffer,
   and stops with TN_ELIMIT at max_output decoded bytes (max_body_size), so a bomb costs
   no memory beyond the cap. */
typedef struct tn__hcl_decoder {
    const char *coding;                                               /* "gzip" */
    void *(*start)(const tn_allocator *a, uint64_t max_output);      /* NULL: out of memory */
    /* Decode from *in (advanced past what was taken) into one piece *out (valid until the
       next call). Call again while *in is not empty or a piece came out.
       Returns TN_OK, 1 (the stream is complete; bytes after it are ignored), or < 0
       (TN_ELIMIT at max_output, or corrupt data: error() says what). */
    int (*run)(void *st, tn_str *in, tn_str *out);
    const char *(*error)(void *st);
    void (*end)(void *st, const tn_allocator *a);
} tn__hcl_decoder;

#if TN_HAS_DEFLATE
#define TN__HCL_DEC_PIECE 16384

typedef struct tn__hcl_inflate {
    tn_inflater *inf;
    uint64_t max_output;
    int probe;                /* deflate: the first two bytes decide zlib or raw (0: decided) */
    size_t nhead;
    unsigned char head[2];
    char out[TN__HCL_DEC_PIECE];
    /* the inflater's memory follows */
} tn__hcl_inflate;

TN__PRIVATE void *tn__hcl_inflate_start(const tn_allocator *a, uint64_t max_output, int format) {
    tn_inflate_opts o;
    tn__hcl_inflate *d;
    size_t size;
    memset(&o, 0, sizeof o);
    o.format = format;
    o.max_output = max_output ? max_output : 1;
    size = tn_inflater_size(&o);
    if (!size || !(d = (tn__hcl_inflate *)tn__alloc(a, sizeof *d + size))) return NULL;
    memset(d, 0, sizeof *d);
    d->max_output = o.max_output;
    d->probe = format == TN_DEFLATE_ZLIB;
    if (tn_inflater_init(d + 1, size, &o, &d->inf) != TN_OK) {
        tn__free(a, d);
        return NULL;
    }
    return d;
}
TN__PRIVATE void *tn__hcl_gzip_start(const tn_allocator *a, uint64_t max_output) {
    return tn__hcl_inflate_start(a, max_output, TN_DEFLATE_GZIP);
}
/* "deflate" is zlib (RFC 9110 §8.4.1.2); servers that send raw DEFLATE under that name
   exist (old IIS, some proxies), so browsers and curl accept those too: a first two bytes
   that are not a zlib header (method 8, window <= 32 KiB, check bits) mean raw DEFLATE. */
TN__PRIVATE void *tn__hcl_zlib_start(const tn_allocator *a, uint64_t max_output) {
    return tn__hcl_inflate_start(a, max_output, TN_DEFLATE_ZLIB);
}

TN__PRIVATE int tn__hcl_inflate_run(void *st, tn_str *in, tn_str *out) {
    tn__hcl_inflate *d = (tn__hcl_inflate *)st;
    size_t used = 0, made = 0;
    int rc;
    *out = tn_str_make(NULL, 0);
    if (d->probe) {
        while (d->nhead < 2 && in->len > 0) {
            d->head[d->nhead++] = (unsigned char)in->ptr[0];
            in->ptr++;
            in->len--;
        }
        if (d->nhead < 2) return TN_OK;
        d->probe = 0;
        if ((d->head[0] & 0x0f) != 8 || (d->head[0] >> 4) > 7 || ((d->head[0] << 8) | d->head[1]) % 31 != 0) {
            tn_inflate_opts o;
            memset(&o, 0, sizeof o);
            o.format = TN_DEFLATE_RAW;
            o.max_output = d->max_output;
            if (tn_inflater_init(d + 1, tn_inflater_size(&o), &o, &d->inf) != TN_OK) return TN_EINVAL;
        }
        rc = tn_inflate(d->inf, d->head, 2, &used, d->out, sizeof d->out, &made);
        if (rc < 0) return rc;
        if (used < 2) return TN_EINVAL;   /* two bytes always go in: the output is empty */
        *out = tn_str_make(d->out, made);
        return rc == TN_INFLATE_END ? 1 : TN_OK;
    }
    rc = tn_inflate(d->inf, in->ptr, in->len, &used, d->out, sizeof d->out, &made);
    in->ptr += used;
    in->len -= used;
    *out = tn_str_make(d->out, made);
    if (rc < 0) return rc;
    return rc == TN_INFLATE_END ? 1 : TN_OK;
}
TN__PRIVATE const char *tn__hcl_inflate_error(void *st) { return tn_inflater_error(((tn__hcl_inflate *)st)->inf); }
TN__PRIVATE void tn__hcl_inflate_end(void *st, const tn_allocator *a) { tn__free(a, st); }

static const tn__hcl_decoder tn__hcl_gzip_dec = { "gzip", tn__hcl_gzip_start, tn__hcl_inflate_run,
                                                  tn__hcl_inflate_error, tn__hcl_inflate_end };
static const tn__hcl_decoder tn__hcl_deflate_dec = { "deflate", tn__hcl_zlib_start, tn__hcl_inflate_run,
                                                     tn__hcl_inflate_error, tn__hcl_inflate_end };
static const tn__hcl_decoder *const tn__hcl_decoders[] = { &tn__hcl_gzip_dec, &tn__hcl_deflate_dec, NULL };
#else
static const tn__hcl_decoder *const tn__hcl_decoders[] = { NULL };   /* TORNADO_NO_DEFLATE */
#endif

TN__PRIVATE const tn__hcl_decoder *tn__hcl_decoder_find(tn_str coding) {
    size_t i;
    for (i = 0; tn__hcl_decoders[i]; i++)
        if (tn_str_ieq(coding, tn_str_c(tn__hcl_decoders[i]->coding))) return tn__hcl_decoders[i];
    return NULL;
}

/* ---- types ------------------------------------------------------------------------------ */
typedef struct tn__hcl_conn tn__hcl_conn;

enum {   /* fetch states */
    TN__HCL_QUEUED = 0,   /* waiting for a slot (max_clients) */
    TN__HCL_CONNECT,      /* TCP connect (resolve included) */
    TN__HCL_TUNNEL,       /* CONNECT exchange with a proxy */
    TN__HCL_ACTIVE,       /* request on a connection */
    TN__HCL_DONE          /* answered (or the answer is deferred) */
};

enum { TN__HCL_R_HEAD = 0, TN__HCL_R_BODY };

struct tn__hcl_conn {
    tn_http_client *cl;
    tn_stream *s;
    tn_connector *cx;              /* while connecting */
    tn_http_fetch *f;              /* the fetch using it; NULL when idle or orphaned */
    tn__hcl_conn *prev, *next;     /* the client's list (idle ones first, most recent first) */
    char *key;                     /* pool key: origin (and proxy) */
    tn_timer_id idle_timer;
    uint64_t uses;
    int idle;
};

struct tn_http_client {
    tn__handle h;
    tn__defer dispatch_d;          /* starts queued fetches from the loop */
    tn_http_client_opts o;         /* resolved; strings and headers point into store */
    char *store;
    tn_http_fetch *q_head, *q_tail;   /* waiting for a slot, FIFO */
    tn_http_fetch *a_head;         /* in flight */
    tn__hcl_conn *conns;
    tn_buf scratch;                /* request heads are built here (writes copy) */
    tn_http_client_stats st;
    size_t fetches;                /* fetch handles not yet answered (the client outlives them) */
    tn_tls_ctx *tls;               /* the default client context (opts.tls or made on first use) */
    tn_tls_ctx *tls_own;           /* the last context a request's TLS fields asked for ... */
    char *tls_own_key;             /* ... and those fields (tn__hcl_tls_key) */
    int closing;
    tn_cb close_cb;
    void *close_user;
};

struct tn_http_fetch {
    tn__handle h;
    tn__defer done_d;              /* a cancelled fetch answers from the loop */
    tn_http_client *cl;
    tn_http_fetch *prev, *next;    /* queue or in-flight list */
    tn_http_fetch_cb cb;
    void *user;
    int state;

    /* the request (copied; url and method change on redirects) */
    tn_buf url;                    /* NUL-terminated */
    tn_url u;
    const char *method;
    tn_http_header *hdrs;
    unsigned char *hdr_drop;       /* 1: not sent any more (redirect rules) */
    size_t nhdrs;
    const char *body;
    size_t body_len;
    int has_body;
    tn_http_producer_cb producer;
    void *producer_user;
    const char *auth_user, *auth_pass;
    const char *user_agent, *source_ip;
    const char *proxy_host, *proxy_user, *proxy_pass;
    const char *ca_certs, *client_cert, *client_key;
    int no_validate;
    int proxy_port;
    int proxy_tunnel;
    uint64_t connect_timeout, request_timeout;
    int64_t if_modified_since;
    int max_redirects;
    unsigned char follow, decompress, expect_continue, no_ipv6;
    tn_http_chunk_cb stream_cb;
    void *stream_user;
    tn_http_line_cb line_cb;
    void *line_user;

    /* the current exchange */
    tn__hcl_conn *conn;
    tn_timer_id timer;
    tn_http_response p;
    tn_http_header *rh;            /* max_headers */
    tn_http_chunked ch;
    tn_buf head_copy;              /* streaming: the final head, parsed again here */
    const char *head_base;         /* where the head was parsed (slices are rebased from it) */
    size_t scan, head_len, dec_end;
    uint64_t body_left, body_seen, body_limit;
    uint64_t prod_bytes;
    int rstate;
    int redirects;
    int prod_pending;
    const tn__hcl_decoder *dec;
    void *dec_state;
    tn_buf dec_out;
    unsigned char dec_done;        /* the decoder saw the end of the coded stream */
    unsigned char got_bytes, reused, retried, fresh_only, redirect_hop, conn_close;
    unsigned char req_sent, body_ready, body_ended, chunked_out, waiting_continue, body_skipped;
    unsigned char in_producer, paused, tls_up, canceled;
    int error;
    const char *error_msg;
    char msg[160];
    uint64_t t_start, t_queue, t_connect0, t_connect, t_first;
};

#define TN__HCL_NOW_US() (tn_time_ns() / 1000u)

TN__PRIVATE void tn__hcl_start(tn_http_fetch *f);
TN__PRIVATE void tn__hcl_process(tn_http_fetch *f);
TN__PRIVATE void tn__hcl_fail(tn_http_fetch *f, int err, const char *msg);
TN__PRIVATE void tn__hcl_send_request(tn_http_fetch *f);
TN__PRIVATE void tn__hcl_maybe_closed(tn_http_client *cl);
TN__PRIVATE void tn__hcl_dispatch_later(tn_http_client *cl);

/* ---- small helpers ---------------------------------------------------------------------- */
TN__PRIVATE int tn__hcl_is_token(tn_str s) {
    size_t i;
    static const char *const extra = "!#$%&'*+-.^_`|~";
    if (s.len == 0) return 0;
    for (i = 0; i < s.len; i++) {
        unsigned char ch = (unsigned char)s.ptr[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch && strchr(extra, ch))))
            return 0;
    }
    return 1;
}

/* A value a header line can carry: no CR, LF or NUL (no injection). */
TN__PRIVATE int tn__hcl_value_ok(tn_str s) {
    size_t i;
    for (i = 0; i < s.len; i++)
        if (s.ptr[i] == '\r' || s.ptr[i] == '\n' || s.ptr[i] == '\0') return 0;
    return 1;
}

TN__PRIVATE int tn__hcl_cstr_ok(const char *s) { return !s || tn__hcl_value_ok(tn_str_c(s)); }

TN__PRIVATE int tn__hcl_method_is(const tn_http_fetch *f, const char *m) { return strcmp(f->method, m) == 0; }

TN__PRIVATE int tn__hcl_idempotent(const char *m) {
    return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "PUT") || !strcmp(m, "DELETE") ||
           !strcmp(m, "OPTIONS") || !strcmp(m, "TRACE");
}

/* The request's own field named name (not dropped), or NULL. */
TN__PRIVATE const tn_http_header *tn__hcl_req_header(const tn_http_fetch *f, const char *name) {
    size_t i;
    for (i = 0; i < f->nhdrs; i++)
        if (!f->hdr_drop[i] && tn_str_ieq(f->hdrs[i].name, tn_str_c(name))) return &f->hdrs[i];
    return NULL;
}

TN__PRIVATE int tn__hcl_is_https(const tn_url *u) { return tn_str_ieq(u->scheme, tn_str_c("https")); }
TN__PRIVATE int tn__hcl_port(const tn_url *u) { return u->port > 0 ? u->port : (tn__hcl_is_https(u) ? 443 : 80); }

/* Parse f->url into f->u; only absolute http(s) URLs with a host. */
TN__PRIVATE int tn__hcl_parse_url(tn_http_fetch *f) {
    tn_str s = tn_str_make(tn_buf_ptr(&f->url), tn_buf_size(&f->url));
    if (tn_url_parse(s, &f->u) != 0) return TN_EBAD_URL;
    if (!tn_str_ieq(f->u.scheme, tn_str_c("http")) && !tn_str_ieq(f->u.scheme, tn_str_c("https"))) return TN_EBAD_URL;
    if (f->u.host.len == 0 || f->u.host.len > 255 || f->u.port == 0) return TN_EBAD_URL;
    return TN_OK;
}

TN__PRIVATE int tn__hcl_set_url(tn_http_fetch *f, tn_str url) {
    tn_buf nb;
    (void)tn_buf_init(&nb, tn__loop_alloc(f->h.loop));
    if (tn_buf_append(&nb, url.ptr, url.len) != 0 || tn_buf_append(&nb, "", 1) != 0) {
        tn_buf_free(&nb);
        return TN_ENOMEM;
    }
    nb.len--;   /* keep the NUL after the bytes */
    tn_buf_free(&f->url);
    f->url = nb;
    return tn__hcl_parse_url(f);
}

TN__PRIVATE void tn__hcl_set_msg(tn_http_fetch *f, const char *fmt, int a) {
    snprintf(f->msg, sizeof f->msg, fmt, a);
    f->error_msg = f->msg;
}

/* ---- connections ------------------------------------------------------------------------- */
TN__PRIVATE void tn__hcl_conn_unlink(tn__hcl_conn *c) {
    tn_http_client *cl = c->cl;
    if (c->prev) c->prev->next = c->next;
    else if (cl->conns == c) cl->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

TN__PRIVATE void tn__hcl_conn_push_front(tn__hcl_conn *c) {
    tn_http_client *cl = c->cl;
    c->prev = NULL;
    c->next = cl->conns;
    if (cl->conns) cl->conns->prev = c;
    cl->conns = c;
}

TN__PRIVATE void tn__hcl_conn_free(tn__hcl_conn *c) {
    tn_http_client *cl = c->cl;
    tn_allocator *a = tn__loop_alloc(cl->h.loop);
    tn__hcl_conn_unlink(c);
    if (c->idle_timer) (void)tn_loop_cancel(cl->h.loop, c->idle_timer);
    if (c->idle) cl->st.idle--;
    tn__free(a, c->key);
    tn__free(a, c);
    tn__hcl_maybe_closed(cl);
}

TN__PRIVATE void tn__hcl_conn_lost(tn__hcl_conn *c, int cause);

/* The stream closed (any cause): a fetch still on it learns why; the connection goes. */
TN__PRIVATE void tn__hcl_conn_on_close(tn_stream *s, int cause, void *user) {
    tn__hcl_conn *c = (tn__hcl_conn *)user;
    (void)s;
    c->s = NULL;
    if (c->f) tn__hcl_conn_lost(c, cause ? cause : TN_ECLOSED);
    tn__hcl_conn_free(c);
}

TN__PRIVATE void tn__hcl_conn_close(tn__hcl_conn *c) {
    c->f = NULL;
    if (c->s && !tn_stream_closed(c->s)) (void)tn_stream_close(c->s, NULL, NULL);
}

TN__PRIVATE void tn__hcl_conn_on_idle_timeout(tn_loop *loop, void *user) {
    tn__hcl_conn *c = (tn__hcl_conn *)user;
    (void)loop;
    c->idle_timer = 0;
    tn__hcl_conn_close(c);
}

TN__PRIVATE size_t tn__hcl_idle_for(const tn_http_client *cl, const char *key) {
    const tn__hcl_conn *c;
    size_t n = 0;
    for (c = cl->conns; c; c = c->next)
        if (c->idle && strcmp(c->key, key) == 0) n++;
    return n;
}

/* The fetch is done with the connection: pool it when reusable, else close it. */
TN__PRIVATE void tn__hcl_conn_release(tn__hcl_conn *c, int reusable) {
    tn_http_client *cl = c->cl;
    c->f = NULL;
    if (!c->s || tn_stream_closed(c->s)) return;   /* its close callback frees it */
    if (!reusable || cl->closing || cl->o.no_keep_alive || tn_stream_reading(c->s) ||
        tn__hcl_idle_for(cl, c->key) >= cl->o.pool_max_idle_per_host ||
        tn_loop_call_later(cl->h.loop, cl->o.pool_idle_timeout_ms, tn__hcl_conn_on_idle_timeout, c, &c->idle_timer) != 0) {
        tn__hcl_conn_close(c);
        return;
    }
    c->idle = 1;
    cl->st.idle++;
    tn__stream_watch_close(c->s, 1);   /* a server that closes an idle connection is noticed */
    tn__hcl_conn_unlink(c);
    tn__hcl_conn_push_front(c);
}

/* An idle pooled connection for key, taken out of the pool, or NULL. */
TN__PRIVATE tn__hcl_conn *tn__hcl_conn_take(tn_http_client *cl, const char *key) {
    tn__hcl_conn *c;
    for (c = cl->conns; c; c = c->next) {
        if (!c->idle) continue;
        if (strcmp(c->key, key) != 0 || !c->s || tn_stream_closed(c->s)) continue;
        if (!tn__stream_quiet(c->s)) {
            /* the server closed it or spoke unasked: not reusable (its close frees it) */
            tn__hcl_conn_close(c);
            continue;
        }
        c->idle = 0;
        cl->st.idle--;
        if (c->idle_timer) (void)tn_loop_cancel(cl->h.loop, c->idle_timer);
        c->idle_timer = 0;
        tn__stream_watch_close(c->s, 0);
        return c;
    }
    return NULL;
}

/* ---- answering ----------------------------------------------------------------------------- */
TN__PRIVATE void tn__hcl_list_remove(tn_http_fetch *f) {
    tn_http_client *cl = f->cl;
    tn_http_fetch **head = f->state == TN__HCL_QUEUED ? &cl->q_head : &cl->a_head;
    if (f->prev) f->prev->next = f->next;
    else if (*head == f) *head = f->next;
    if (f->next) f->next->prev = f->prev;
    else if (f->state == TN__HCL_QUEUED && cl->q_tail == f) cl->q_tail = f->prev;
    f->prev = f->next = NULL;
    if (f->state == TN__HCL_QUEUED) cl->st.queued--;
    else cl->st.active--;
}

/* Leave the client's lists and timers (the answer is about to be given). */
TN__PRIVATE void tn__hcl_detach(tn_http_fetch *f) {
    tn_http_client *cl = f->cl;
    if (f->state == TN__HCL_DONE) return;
    tn__hcl_list_remove(f);
    f->state = TN__HCL_DONE;
    if (f->timer) (void)tn_loop_cancel(f->h.loop, f->timer);
    f->timer = 0;
    if (cl->q_head) tn__hcl_dispatch_later(cl);
}

/* After the answer: the fetch's memory goes in the closing phase. */
TN__PRIVATE void tn__hcl_end(tn_http_fetch *f) {
    tn_http_client *cl = f->cl;
    if (f->dec_state && f->dec) f->dec->end(f->dec_state, tn__loop_alloc(f->h.loop));
    f->dec_state = NULL;
    (void)tn__handle_close(&f->h);
    cl->fetches--;
    tn__hcl_maybe_closed(cl);
}

TN__PRIVATE void tn__hcl_res_times(tn_http_fetch *f, tn_http_fetch_res *r) {
    uint64_t now = TN__HCL_NOW_US();
    r->time_queue_us = (f->t_queue ? f->t_queue : now) - f->t_start;
    r->time_connect_us = f->t_connect;
    r->time_first_byte_us = f->t_first ? f->t_first - f->t_start : 0;
    r->time_total_us = now - f->t_start;
}

/* An answer without an HTTP response: 599. */
TN__PRIVATE void tn__hcl_answer_error(tn_http_fetch *f) {
    tn_http_fetch_res r;
    memset(&r, 0, sizeof r);
    r.code = TN_HTTP_NO_RESPONSE;
    r.error = f->error;
    r.error_msg = f->error_msg ? f->error_msg : tn_strerror(f->error);
    r.effective_url = tn_str_make(tn_buf_ptr(&f->url), tn_buf_size(&f->url));
    r.redirects = f->redirects;
    r.reused = f->reused;
    tn__hcl_res_times(f, &r);
    f->cb(f, &r, f->user);
}

TN__PRIVATE void tn__hcl_on_done_deferred(tn__defer *d) {
    tn_http_fetch *f = (tn_http_fetch *)(void *)((char *)d - offsetof(tn_http_fetch, done_d));
    tn__hcl_answer_error(f);
    tn__hcl_end(f);
}

/* Take the fetch off its connection (closed: the exchange is unfinished) or connector. */
TN__PRIVATE void tn__hcl_drop_conn(tn_http_fetch *f) {
    tn__hcl_conn *c = f->conn;
    f->conn = NULL;
    if (!c) return;
    c->f = NULL;
    if (c->cx) tn_tcp_connect_cancel(c->cx);   /* its callback frees c */
    else if (c->s && !tn_stream_closed(c->s)) (void)tn_stream_abort(c->s, TN_ECANCELED);
}

/* Fail with 599 now (called from loop callbacks only). */
TN__PRIVATE void tn__hcl_fail(tn_http_fetch *f, int err, const char *msg) {
    if (f->state == TN__HCL_DONE) return;
    f->error = err;
    if (msg) f->error_msg = msg;
    else if (!f->error_msg) f->error_msg = tn_strerror(err);
    tn__hcl_drop_conn(f);
    tn__hcl_detach(f);
    tn__hcl_answer_error(f);
    tn__hcl_end(f);
}

TN_API void tn_http_fetch_cancel(tn_http_fetch *f) {
    if (!f || f->state == TN__HCL_DONE) return;
    f->error = TN_ECANCELED;
    f->error_msg = "Request cancelled";
    f->canceled = 1;
    tn__hcl_drop_conn(f);
    tn__hcl_detach(f);
    tn__defer_queue(f->h.loop, &f->done_d);   /* the answer comes from the loop */
}

/* ---- timeouts ---------------------------------------------------------------------------- */
TN__PRIVATE void tn__hcl_on_timer(tn_loop *loop, void *user) {
    tn_http_fetch *f = (tn_http_fetch *)user;
    (void)loop;
    f->timer = 0;
    if (f->state == TN__HCL_QUEUED) tn__hcl_fail(f, TN_ETIMEOUT, "Timeout in request queue");
    else if (f->state == TN__HCL_CONNECT || f->state == TN__HCL_TUNNEL) tn__hcl_fail(f, TN_ETIMEOUT, "Timeout while connecting");
    else tn__hcl_fail(f, TN_ETIMEOUT, "Timeout during request");
}

/* (Re)arm the fetch's timer for start + ms. */
TN__PRIVATE int tn__hcl_arm(tn_http_fetch *f, uint64_t ms) {
    uint64_t elapsed = (TN__HCL_NOW_US() - f->t_start) / 1000u;
    if (f->timer) (void)tn_loop_cancel(f->h.loop, f->timer);
    f->timer = 0;
    return tn_loop_call_later(f->h.loop, ms > elapsed ? ms - elapsed : 0, tn__hcl_on_timer, f, &f->timer);
}

/* ---- queue ------------------------------------------------------------------------------- */
TN__PRIVATE void tn__hcl_on_dispatch(tn__defer *d) {
    tn_http_client *cl = (tn_http_client *)(void *)((char *)d - offsetof(tn_http_client, dispatch_d));
    while (cl->q_head && cl->st.active < cl->o.max_clients && !cl->closing) {
        tn_http_fetch *f = cl->q_head;
        tn__hcl_list_remove(f);
        f->state = TN__HCL_CONNECT;
        f->next = cl->a_head;
        if (cl->a_head) cl->a_head->prev = f;
        cl->a_head = f;
        cl->st.active++;
        f->t_queue = TN__HCL_NOW_US();
        if (tn__hcl_arm(f, f->request_timeout) != 0) {
            tn__hcl_fail(f, TN_ENOMEM, NULL);
            continue;
        }
        tn__hcl_start(f);
    }
}

TN__PRIVATE void tn__hcl_dispatch_later(tn_http_client *cl) { tn__defer_queue(cl->h.loop, &cl->dispatch_d); }

/* The TLS fields of a request that need a context of their own, as a string ("" = none). */
TN__PRIVATE int tn__hcl_tls_key(const tn_http_fetch *f, char *key, size_t cap) {
    int n;
    if (!f->no_validate && !f->ca_certs && !f->client_cert && !f->client_key) {
        key[0] = 0;
        return TN_OK;
    }
    n = snprintf(key, cap, "%d|%s|%s|%s", f->no_validate, f->ca_certs ? f->ca_certs : "",
                 f->client_cert ? f->client_cert : "", f->client_key ? f->client_key : "");
    return n < 0 || (size_t)n >= cap ? TN_EINVAL : TN_OK;
}

/* ---- connecting -------------------------------------------------------------------------- */
/* Where the TCP connection goes and the pool key of the connection: the origin, or the
   proxy (shared by every http:// origin), or a tunnel through the proxy to the origin. */
TN__PRIVATE int tn__hcl_route(tn_http_fetch *f, char *key, size_t cap, const char **host, char *hostbuf, int *port,
                              int *tunnel) {
    int n;
    *tunnel = 0;
    if (f->proxy_host) {
        *host = f->proxy_host;
        *port = f->proxy_port;
        *tunnel = tn__hcl_is_https(&f->u) || f->proxy_tunnel;
        /* the credentials are part of the key: a tunnel opened for one identity is not
           handed to a request made with another */
        if (*tunnel)
            n = snprintf(key, cap, "%s:%d>%.*s://%.*s:%d", f->proxy_host, f->proxy_port, (int)f->u.scheme.len,
                         f->u.scheme.ptr, (int)f->u.host.len, f->u.host.ptr, tn__hcl_port(&f->u));
        else
            n = snprintf(key, cap, "%s:%d>", f->proxy_host, f->proxy_port);
    } else {
        memcpy(hostbuf, f->u.host.ptr, f->u.host.len);
        hostbuf[f->u.host.len] = 0;
        *host = hostbuf;
        *port = tn__hcl_port(&f->u);
        n = snprintf(key, cap, "%.*s://%s:%d", (int)f->u.scheme.len, f->u.scheme.ptr, hostbuf, *port);
    }
    if (n < 0 || (size_t)n >= cap) return TN_EINVAL;
    for (n = 0; key[n]; n++) key[n] = (char)tn__lower((unsigned char)key[n]);   /* names: any case */
    if (tn__hcl_is_https(&f->u)) {   /* TLS settings of their own: pooled apart */
        char tk[1100];
        size_t len = (size_t)n;
        if (tn__hcl_tls_key(f, tk, sizeof tk) != 0) return TN_EINVAL;
        if (tk[0]) {
            n = snprintf(key + len, cap - len, " tls:%s", tk);
            if (n < 0 || (size_t)n >= cap - len) return TN_EINVAL;
            n += (int)len;
        }
    }
    if (*tunnel) {   /* credentials as given (case matters) */
        size_t len = (size_t)n;
        n = snprintf(key + len, cap - len, " %s:%s", f->proxy_user ? f->proxy_user : "", f->proxy_pass ? f->proxy_pass : "");
        if (n < 0 || (size_t)n >= cap - len) return TN_EINVAL;
    }
    return TN_OK;
}

#if TN_HAS_OPENSSL
/* The client context for f: the client's, or one made for the request's TLS fields (the
   last one is kept for the next request with the same fields). */
TN__PRIVATE int tn__hcl_tls_ctx(tn_http_fetch *f, tn_tls_ctx **out) {
    tn_http_client *cl = f->cl;
    tn_allocator *a = tn__loop_alloc(cl->h.loop);
    tn_tls_opts o;
    char key[1100];
    int rc;
    memset(&o, 0, sizeof o);
    o.alpn = "http/1.1";
    if ((rc = tn__hcl_tls_key(f, key, sizeof key)) != 0) return rc;
    if (!key[0]) {
        if (!cl->tls && (rc = tn_tls_ctx_new(cl->h.loop, &o, &cl->tls)) != 0) return rc;
        *out = cl->tls;
        return TN_OK;
    }
    if (cl->tls_own && strcmp(cl->tls_own_key, key) == 0) {
        *out = cl->tls_own;
        return TN_OK;
    }
    o.verify = f->no_validate ? TN_TLS_VERIFY_NONE : 0;
    o.ca_file = f->ca_certs;
    o.cert_file = f->client_cert ? f->client_cert : f->client_key;
    o.key_file = f->client_key;
    tn_tls_ctx_free(cl->tls_own);   /* streams using it keep their reference */
    cl->tls_own = NULL;
    tn__free(a, cl->tls_own_key);
    if (!(cl->tls_own_key = tn__strdup(a, key))) return TN_ENOMEM;
    if ((rc = tn_tls_ctx_new(cl->h.loop, &o, &cl->tls_own)) != 0) return rc;
    *out = cl->tls_own;
    return TN_OK;
}

TN__PRIVATE void tn__hcl_conn_ready(tn_http_fetch *f);

/* The handshake ended: send the request, or fail with OpenSSL's reason. */
TN__PRIVATE void tn__hcl_tls_done(tn_stream *s, int status, void *user) {
    tn__hcl_conn *c = (tn__hcl_conn *)user;
    tn_http_fetch *f = c->f;
    if (!f || f->conn != c) return;   /* the fetch gave up on this connection */
    if (status != TN_OK) {
        const char *why = tn_stream_tls_error(s);
        snprintf(f->msg, sizeof f->msg, "TLS handshake failed: %s", *why ? why : tn_strerror(status));
        tn__hcl_fail(f, status, f->msg);
        return;
    }
    f->tls_up = 1;
    tn__hcl_conn_ready(f);
}
#endif

/* The transport hook for https:// (see the top of this file). c NULL: only "is TLS built
   in?" (TN_OK or TN_ENOTSUP). */
TN__PRIVATE int tn__hcl_tls_start(tn__hcl_conn *c, tn_http_fetch *f) {
#if TN_HAS_OPENSSL
    tn_tls_ctx *ctx;
    char host[256];
    int rc;
    if (!c) return TN_OK;
    if ((rc = tn__hcl_tls_ctx(f, &ctx)) != 0) {
        snprintf(f->msg, sizeof f->msg, "TLS: the client context could not be made (%s)", tn_strerror(rc));
        tn__hcl_fail(f, rc, f->msg);
        return TN_OK;   /* answered */
    }
    if (f->u.host.len >= sizeof host) return TN_EBAD_URL;
    memcpy(host, f->u.host.ptr, f->u.host.len);
    host[f->u.host.len] = 0;
    return tn_stream_start_tls(c->s, ctx, host, tn__hcl_tls_done, c);
#else
    (void)c;
    (void)f;
    return TN_ENOTSUP;
#endif
}

TN__PRIVATE void tn__hcl_on_data(tn_stream *s, int status, tn_str data, void *user);

TN__PRIVATE void tn__hcl_fill(tn_http_fetch *f, size_t seen) {
    int rc = tn__stream_fill(f->conn->s, seen, tn__hcl_on_data, f->conn);
    if (rc != 0) tn__hcl_fail(f, rc, NULL);
}

/* The connection is up (TCP, tunnel and TLS as needed): send the request. */
TN__PRIVATE void tn__hcl_conn_ready(tn_http_fetch *f) {
    if (tn__hcl_is_https(&f->u) && !f->tls_up) {
        int rc = tn__hcl_tls_start(f->conn, f);
        if (rc == TN_ENOTSUP) {
            tn__hcl_fail(f, TN_ENOTSUP, "TLS not built in: https:// needs the TLS module");
            return;
        }
        if (rc != 0) tn__hcl_fail(f, rc, NULL);
        return;   /* the TLS module calls back when the handshake is done */
    }
    if (f->t_connect0) f->t_connect += TN__HCL_NOW_US() - f->t_connect0;
    f->t_connect0 = 0;
    tn__hcl_send_request(f);
}

TN__PRIVATE size_t tn__hcl_put_proxy_auth(tn_http_fetch *f, tn_buf *b) {
    char auth[512];
    size_t n = 0;
    if (!f->proxy_user) return 0;
    if (tn_basic_auth_encode(tn_str_c(f->proxy_user), tn_str_c(f->proxy_pass ? f->proxy_pass : ""), auth, sizeof auth, &n) != 0)
        return 0;
    (void)tn_buf_append(b, "Proxy-Authorization: ", 21);
    (void)tn_buf_append(b, auth, n);
    (void)tn_buf_append(b, "\r\n", 2);
    return n;
}

TN__PRIVATE void tn__hcl_on_connected(int status, tn_stream *s, void *user) {
    tn__hcl_conn *c = (tn__hcl_conn *)user;
    tn_http_fetch *f = c->f;
    tn_http_client *cl = c->cl;
    c->cx = NULL;
    if (status != TN_OK || !f) {
        if (s) tn_stream_close(s, NULL, NULL);   /* nobody wants it any more */
        tn__hcl_conn_free(c);
        if (f) {
            f->conn = NULL;
            if (status == TN_ETIMEOUT) tn__hcl_fail(f, status, "Timeout while connecting");
            else tn__hcl_fail(f, status, NULL);
        }
        return;
    }
    c->s = s;
    cl->st.connections_opened++;
    tn_stream_set_close_cb(s, tn__hcl_conn_on_close, c);
    (void)tn_stream_set_nodelay(s, 1);
    if (f->proxy_host && (tn__hcl_is_https(&f->u) || f->proxy_tunnel)) {
        /* CONNECT host:port HTTP/1.1 through the proxy */
        tn_buf *b = &cl->scratch;
        char line[300];
        int n = snprintf(line, sizeof line, "CONNECT %s%.*s%s:%d HTTP/1.1\r\nHost: %s%.*s%s:%d\r\n",
                         (f->u.flags & TN_URL_IPV6) ? "[" : "", (int)f->u.host.len, f->u.host.ptr,
                         (f->u.flags & TN_URL_IPV6) ? "]" : "", tn__hcl_port(&f->u),
                         (f->u.flags & TN_URL_IPV6) ? "[" : "", (int)f->u.host.len, f->u.host.ptr,
                         (f->u.flags & TN_URL_IPV6) ? "]" : "", tn__hcl_port(&f->u));
        tn_buf_consume(b, tn_buf_size(b));
        if (n < 0 || (size_t)n >= sizeof line || tn_buf_append(b, line, (size_t)n) != 0) {
            tn__hcl_fail(f, TN_ENOMEM, NULL);
            return;
        }
        (void)tn__hcl_put_proxy_auth(f, b);
        if (tn_buf_append(b, "\r\n", 2) != 0 || tn_stream_write(s, tn_buf_ptr(b), tn_buf_size(b), NULL, NULL) != 0) {
            tn__hcl_fail(f, TN_ENOMEM, NULL);
            return;
        }
        f->state = TN__HCL_TUNNEL;
        f->rstate = TN__HCL_R_HEAD;
        f->scan = 0;
        tn_http_response_reset(&f->p);
        f->p.request_method = tn_str_c("CONNECT");
        tn__hcl_fill(f, 0);
        return;
    }
    tn__hcl_conn_ready(f);
}

/* Find or open a connection for the fetch's current URL, then send. */
TN__PRIVATE void tn__hcl_start(tn_http_fetch *f) {
    tn_http_client *cl = f->cl;
    tn_allocator *a = tn__loop_alloc(f->h.loop);
    char key[2400], hostbuf[256];
    const char *host;
    int port, tunnel, rc;
    tn__hcl_conn *c;
    tn_connect_opts co;
    f->state = TN__HCL_CONNECT;
    f->tls_up = 0;
    if (tn__hcl_route(f, key, sizeof key, &host, hostbuf, &port, &tunnel) != 0) {
        tn__hcl_fail(f, TN_EBAD_URL, NULL);
        return;
    }
    if (tn__hcl_is_https(&f->u)) {
        /* fail early and clearly while no TLS module is built in */
        if (tn__hcl_tls_start(NULL, f) == TN_ENOTSUP) {
            tn__hcl_fail(f, TN_ENOTSUP, "TLS not built in: https:// needs the TLS module");
            return;
        }
    }
    if (!f->fresh_only && (c = tn__hcl_conn_take(cl, key)) != NULL) {
        c->f = f;
        f->conn = c;
        f->reused = 1;
        cl->st.requests_reused++;
        f->tls_up = tunnel && tn__hcl_is_https(&f->u);   /* a pooled tunnel is already up */
        tn__hcl_send_request(f);
        return;
    }
    f->reused = 0;
    c = (tn__hcl_conn *)tn__calloc(a, sizeof *c);
    if (!c || !(c->key = tn__strdup(a, key))) {
        tn__free(a, c);
        tn__hcl_fail(f, TN_ENOMEM, NULL);
        return;
    }
    c->cl = cl;
    memset(&co, 0, sizeof co);
    co.family = f->no_ipv6 ? TN_AF_INET : TN_AF_UNSPEC;
    co.timeout_ms = f->connect_timeout;
    co.source_ip = f->source_ip;
    co.resolver = cl->o.resolver;
    co.stream.max_buffer_size = cl->o.max_buffer_size + cl->o.max_header_size;
    c->f = f;
    f->conn = c;
    tn__hcl_conn_push_front(c);
    f->t_connect0 = TN__HCL_NOW_US();
    rc = tn_tcp_connect(f->h.loop, host, port, &co, tn__hcl_on_connected, c, &c->cx);
    if (rc != 0) {
        f->conn = NULL;
        tn__hcl_conn_free(c);
        tn__hcl_fail(f, rc, NULL);
    }
}

/* ---- the request -------------------------------------------------------------------------- */
TN__PRIVATE int tn__hcl_put(tn_buf *b, const char *s, size_t n) { return tn_buf_append(b, s, n); }
TN__PRIVATE int tn__hcl_puts(tn_buf *b, const char *s) { return tn_buf_append(b, s, strlen(s)); }
TN__PRIVATE int tn__hcl_put_field(tn_buf *b, const char *name, tn_str value) {
    int rc = tn__hcl_puts(b, name);
    if (!rc) rc = tn__hcl_put(b, ": ", 2);
    if (!rc) rc = tn__hcl_put(b, value.ptr, value.len);
    if (!rc) rc = tn__hcl_put(b, "\r\n", 2);
    return rc;
}

TN__PRIVATE int tn__hcl_has_field(const tn_http_fetch *f, const char *name) {
    size_t i;
    const tn_http_client_opts *o = &f->cl->o;
    if (tn__hcl_req_header(f, name)) return 1;
    for (i = 0; i < o->num_headers; i++)
        if (tn_str_ieq(o->headers[i].name, tn_str_c(name))) return 1;
    return 0;
}

/* Build the request head into the client's scratch buffer. */
/* host[:port] of u, an IPv6 literal in brackets, no userinfo (Host and absolute-form). */
TN__PRIVATE int tn__hcl_put_authority(tn_buf *b, const tn_url *u) {
    int rc = 0;
    if (u->flags & TN_URL_IPV6) rc |= tn__hcl_put(b, "[", 1);
    rc |= tn__hcl_put(b, u->host.ptr, u->host.len);
    if (u->flags & TN_URL_IPV6) rc |= tn__hcl_put(b, "]", 1);
    if (u->port_str.len) {
        rc |= tn__hcl_put(b, ":", 1);
        rc |= tn__hcl_put(b, u->port_str.ptr, u->port_str.len);
    }
    return rc;
}

TN__PRIVATE int tn__hcl_build_head(tn_http_fetch *f) {
    tn_http_client *cl = f->cl;
    tn_buf *b = &cl->scratch;
    const tn_url *u = &f->u;
    const tn_http_client_opts *o = &cl->o;
    int rc = 0, absolute = f->proxy_host && !f->proxy_tunnel && !tn__hcl_is_https(u);
    size_t i;
    char tmp[64];
    tn_buf_consume(b, tn_buf_size(b));
    rc |= tn__hcl_puts(b, f->method);
    rc |= tn__hcl_put(b, " ", 1);
    if (absolute) {   /* absolute-form to a proxy: scheme://host[:port] without userinfo */
        rc |= tn__hcl_put(b, u->scheme.ptr, u->scheme.len);
        rc |= tn__hcl_put(b, "://", 3);
        rc |= tn__hcl_put_authority(b, u);
    }
    if (u->path.len) rc |= tn__hcl_put(b, u->path.ptr, u->path.len);
    else rc |= tn__hcl_put(b, "/", 1);
    if (u->flags & TN_URL_HAS_QUERY) {
        rc |= tn__hcl_put(b, "?", 1);
        rc |= tn__hcl_put(b, u->query.ptr, u->query.len);
    }
    rc |= tn__hcl_puts(b, " HTTP/1.1\r\n");
    if (!tn__hcl_has_field(f, "Host")) {
        rc |= tn__hcl_puts(b, "Host: ");
        rc |= tn__hcl_put_authority(b, u);
        rc |= tn__hcl_put(b, "\r\n", 2);
    }
    if (!tn__hcl_has_field(f, "User-Agent")) {
        const char *ua = f->user_agent ? f->user_agent : o->user_agent;
        if (ua) rc |= tn__hcl_put_field(b, "User-Agent", tn_str_c(ua));
    }
    if (f->decompress && tn__hcl_decoders[0] && !tn__hcl_has_field(f, "Accept-Encoding")) {
        rc |= tn__hcl_puts(b, "Accept-Encoding: ");
        for (i = 0; tn__hcl_decoders[i]; i++) {
            if (i) rc |= tn__hcl_put(b, ", ", 2);
            rc |= tn__hcl_puts(b, tn__hcl_decoders[i]->coding);
        }
        rc |= tn__hcl_put(b, "\r\n", 2);
    }
    if (!tn__hcl_has_field(f, "Authorization")) {
        char auth[1024];
        size_t n = 0;
        int have = 0;
        if (f->auth_user) {
            have = tn_basic_auth_encode(tn_str_c(f->auth_user), tn_str_c(f->auth_pass ? f->auth_pass : ""), auth,
                                        sizeof auth, &n) == 0;
        } else if (u->flags & TN_URL_HAS_USERINFO) {
            /* user:pass from the URL, percent-decoded */
            char ui[512];
            size_t ul = 0;
            if (u->userinfo.len < sizeof ui && tn_url_unescape(u->userinfo, 0, ui, sizeof ui, &ul) == 0) {
                const char *colon = (const char *)memchr(ui, ':', ul);
                tn_str user = tn_str_make(ui, colon ? (size_t)(colon - ui) : ul);
                tn_str pass = colon ? tn_str_make(colon + 1, ul - (size_t)(colon + 1 - ui)) : tn_str_make("", 0);
                have = tn_basic_auth_encode(user, pass, auth, sizeof auth, &n) == 0;
            }
        }
        if (have) rc |= tn__hcl_put_field(b, "Authorization", tn_str_make(auth, n));
    }
    if (absolute && !tn__hcl_has_field(f, "Proxy-Authorization")) (void)tn__hcl_put_proxy_auth(f, b);
    if (f->if_modified_since && !tn__hcl_has_field(f, "If-Modified-Since") &&
        tn_http_date_format(f->if_modified_since, tmp) == 0)
        rc |= tn__hcl_put_field(b, "If-Modified-Since", tn_str_c(tmp));
    if ((o->no_keep_alive) && !tn__hcl_has_field(f, "Connection")) rc |= tn__hcl_puts(b, "Connection: close\r\n");
    f->chunked_out = 0;
    if (f->producer) {
        if (!tn__hcl_has_field(f, "Content-Length")) {
            f->chunked_out = 1;
            if (!tn__hcl_has_field(f, "Transfer-Encoding")) rc |= tn__hcl_puts(b, "Transfer-Encoding: chunked\r\n");
        }
    } else if (f->has_body && !tn__hcl_has_field(f, "Content-Length")) {
        int n = snprintf(tmp, sizeof tmp, "Content-Length: %lu\r\n", (unsigned long)f->body_len);
        rc |= tn__hcl_put(b, tmp, (size_t)n);
    }
    if ((f->has_body || f->producer) && tn__hcl_method_is(f, "POST") && !tn__hcl_has_field(f, "Content-Type"))
        rc |= tn__hcl_puts(b, "Content-Type: application/x-www-form-urlencoded\r\n");
    if (f->expect_continue && (f->has_body || f->producer) && !tn__hcl_has_field(f, "Expect"))
        rc |= tn__hcl_puts(b, "Expect: 100-continue\r\n");
    for (i = 0; i < o->num_headers; i++)
        if (!tn__hcl_req_header(f, o->headers[i].name.ptr))   /* the request's own field wins */
            rc |= tn__hcl_put_field(b, o->headers[i].name.ptr, o->headers[i].value);
    for (i = 0; i < f->nhdrs; i++)
        if (!f->hdr_drop[i]) rc |= tn__hcl_put_field(b, f->hdrs[i].name.ptr, f->hdrs[i].value);
    rc |= tn__hcl_put(b, "\r\n", 2);
    return rc ? TN_ENOMEM : TN_OK;
}

TN__PRIVATE void tn__hcl_call_producer(tn_http_fetch *f) {
    if (f->state != TN__HCL_ACTIVE || f->body_ended || f->in_producer) return;
    f->in_producer = 1;
    f->producer(f, f->producer_user);
    f->in_producer = 0;
}

/* The fetch whose connection reported, if that fetch is still on it. */
TN__PRIVATE tn_http_fetch *tn__hcl_conn_fetch(void *user) {
    tn__hcl_conn *c = (tn__hcl_conn *)user;
    return c->f && c->f->conn == c && c->f->state == TN__HCL_ACTIVE ? c->f : NULL;
}

TN__PRIVATE void tn__hcl_on_body_sent(tn_stream *s, int status, void *user) {
    tn_http_fetch *f = tn__hcl_conn_fetch(user);
    (void)s;
    if (f && status == TN_OK) f->req_sent = 1;
}

TN__PRIVATE void tn__hcl_on_head_sent(tn_stream *s, int status, void *user) {
    tn_http_fetch *f = tn__hcl_conn_fetch(user);
    (void)s;
    if (!f || status != TN_OK) return;   /* the read side reports the failure */
    if (f->producer) {
        if (!f->waiting_continue) {
            f->body_ready = 1;
            tn__hcl_call_producer(f);
        }
    } else if (!f->waiting_continue) {
        f->req_sent = 1;
    }
}

TN__PRIVATE void tn__hcl_on_prod_sent(tn_stream *s, int status, void *user) {
    tn_http_fetch *f = tn__hcl_conn_fetch(user);
    (void)s;
    if (!f || status != TN_OK) return;
    f->prod_pending--;
    if (f->prod_pending == 0 && f->body_ended) f->req_sent = 1;
    else if (f->prod_pending == 0) tn__hcl_call_producer(f);
}

/* Send the body held back for 100 Continue. */
TN__PRIVATE void tn__hcl_send_body(tn_http_fetch *f) {
    f->waiting_continue = 0;
    if (f->producer) {
        f->body_ready = 1;
        tn__hcl_call_producer(f);
    } else if (tn_stream_write(f->conn->s, f->body, f->body_len, tn__hcl_on_body_sent, f->conn) != 0) {
        tn__hcl_fail(f, TN_ENOMEM, NULL);
    }
}

TN__PRIVATE void tn__hcl_send_request(tn_http_fetch *f) {
    tn_http_client *cl = f->cl;
    tn__hcl_conn *c = f->conn;
    tn_str v[2];
    int rc, hold_body;
    f->state = TN__HCL_ACTIVE;
    c->uses++;
    f->rstate = TN__HCL_R_HEAD;
    f->scan = 0;
    f->got_bytes = f->req_sent = f->body_ready = f->body_ended = f->body_skipped = f->redirect_hop = 0;
    f->prod_pending = 0;
    f->prod_bytes = 0;
    f->body_seen = 0;
    tn_http_response_reset(&f->p);
    f->p.request_method = tn_str_c(f->method);
    if ((rc = tn__hcl_build_head(f)) != 0) {
        tn__hcl_fail(f, rc, NULL);
        return;
    }
    f->waiting_continue = f->expect_continue && (f->has_body || f->producer);
    hold_body = f->waiting_continue || f->producer || !f->has_body;
    v[0] = tn_str_make(tn_buf_ptr(&cl->scratch), tn_buf_size(&cl->scratch));
    v[1] = tn_str_make(f->body, f->body_len);
    rc = tn_stream_writev(c->s, v, hold_body ? 1 : 2, tn__hcl_on_head_sent, c);
    if (rc != 0) {
        tn__hcl_fail(f, rc, NULL);
        return;
    }
    tn__hcl_fill(f, 0);
}

TN_API int tn_http_fetch_write(tn_http_fetch *f, const void *data, size_t n) {
    tn_str v[3];
    char hex[24];
    int rc, hl;
    if (!f || !f->producer || f->body_ended) return TN_EINVAL;
    if (f->state != TN__HCL_ACTIVE || !f->conn || !f->conn->s || !f->body_ready) return TN_ECLOSED;
    if (n == 0) return TN_OK;
    if (f->chunked_out) {
        hl = tn_http_format_chunk_header(hex, sizeof hex, (uint64_t)n);
        v[0] = tn_str_make(hex, (size_t)hl);
        v[1] = tn_str_make((const char *)data, n);
        v[2] = tn_str_make("\r\n", 2);
        rc = tn_stream_writev(f->conn->s, v, 3, tn__hcl_on_prod_sent, f->conn);
    } else {
        rc = tn_stream_write(f->conn->s, data, n, tn__hcl_on_prod_sent, f->conn);
    }
    if (rc == 0) {
        f->prod_pending++;
        f->prod_bytes += n;
    }
    return rc;
}

TN_API int tn_http_fetch_write_end(tn_http_fetch *f) {
    int rc = TN_OK;
    if (!f || !f->producer || f->body_ended) return TN_EINVAL;
    if (f->state != TN__HCL_ACTIVE || !f->conn || !f->conn->s || !f->body_ready) return TN_ECLOSED;
    if (f->chunked_out) rc = tn_stream_write(f->conn->s, "0\r\n\r\n", 5, tn__hcl_on_prod_sent, f->conn);
    else rc = tn_stream_write(f->conn->s, "", 0, tn__hcl_on_prod_sent, f->conn);
    if (rc != 0) return rc;
    f->prod_pending++;
    f->body_ended = 1;
    return TN_OK;
}

/* ---- the response ------------------------------------------------------------------------ */
/* A connection failed under a fetch (read error, EOF, reset, close). */
TN__PRIVATE void tn__hcl_conn_lost(tn__hcl_conn *c, int cause) {
    tn_http_fetch *f = c->f;
    if (!f || f->conn != c) return;
    if (f->state == TN__HCL_ACTIVE && f->rstate == TN__HCL_R_HEAD && !f->got_bytes && f->reused && !f->retried &&
        !f->producer && tn__hcl_idempotent(f->method) && (cause == TN_EEOF || cause == TN_ERESET || cause == TN_EPIPE)) {
        /* the server had closed the pooled connection: once more on a fresh one */
        f->retried = 1;
        f->fresh_only = 1;
        f->cl->st.retries++;
        tn__hcl_drop_conn(f);
        tn__hcl_start(f);
        return;
    }
    if (f->state == TN__HCL_TUNNEL && cause == TN_EEOF) {
        tn__hcl_fail(f, TN_EEOF, "Proxy closed the connection during CONNECT");
        return;
    }
    if (cause == TN_EEOF)
        tn__hcl_fail(f, TN_EEOF, f->got_bytes ? "Connection closed before the response was complete"
                                               : "Connection closed without a response");
    else if (cause == TN_EBUFFER_FULL)
        tn__hcl_fail(f, TN_EBODY_TOO_LARGE, "Response larger than max_buffer_size");
    else
        tn__hcl_fail(f, cause, NULL);
}

/* Length of the response head at the front of p[0..n) (its blank line included), 0 while
   incomplete. Folded lines (obs-fold) inside it are unfolded in place: RFC 9112 §5.2 has a
   user agent replace each CRLF + SP/HTAB with spaces. A fold right after the status line
   is left for the parser to reject (RFC 9112 §2.2). */
TN__PRIVATE size_t tn__hcl_head_end(tn_http_fetch *f, char *p, size_t n) {
    size_t j = f->scan, end = 0, first;
    const char *nl;
    while (j < n && (nl = (const char *)memchr(p + j, '\n', n - j)) != NULL) {
        j = (size_t)(nl - p);
        if ((j >= 1 && p[j - 1] == '\n') || (j >= 2 && p[j - 1] == '\r' && p[j - 2] == '\n')) {
            end = j + 1;
            break;
        }
        j++;
    }
    if (!end) {
        f->scan = n;
        return 0;
    }
    nl = (const char *)memchr(p, '\n', end);
    first = (size_t)(nl - p);
    for (j = first + 1; j + 1 < end; j++) {
        nl = (const char *)memchr(p + j, '\n', end - 1 - j);
        if (!nl) break;
        j = (size_t)(nl - p);
        if (p[j + 1] == ' ' || p[j + 1] == '\t') {
            p[j] = ' ';
            if (p[j - 1] == '\r') p[j - 1] = ' ';
        }
    }
    return end;
}

/* Deliver the final head's raw lines to the header callback. */
TN__PRIVATE void tn__hcl_emit_lines(tn_http_fetch *f, const char *p, size_t n) {
    size_t i = 0;
    while (i < n && f->state == TN__HCL_ACTIVE) {
        const char *nl = (const char *)memchr(p + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - p) + 1 : n;
        f->line_cb(f, tn_str_make(p + i, e - i), f->line_user);
        i = e;
    }
}

TN__PRIVATE int tn__hcl_is_redirect(int st) { return st == 301 || st == 302 || st == 303 || st == 307 || st == 308; }

TN__PRIVATE void tn__hcl_rebase(tn_http_fetch *f, const char *base) {
    size_t i;
    uintptr_t ob = (uintptr_t)f->head_base, nb = (uintptr_t)base;
    if (base == f->head_base) return;
    for (i = 0; i < f->p.num_headers; i++) {
        f->rh[i].name.ptr = (const char *)(nb + ((uintptr_t)f->rh[i].name.ptr - ob));
        f->rh[i].value.ptr = (const char *)(nb + ((uintptr_t)f->rh[i].value.ptr - ob));
    }
    if (f->p.reason.ptr) f->p.reason.ptr = (const char *)(nb + ((uintptr_t)f->p.reason.ptr - ob));
    f->head_base = base;
}

TN__PRIVATE void tn__hcl_follow(tn_http_fetch *f, size_t consumed, int reusable);

/* The whole response is here. body: the buffered body (empty when streamed); consumed:
   bytes of the stream buffer it occupies; err: set on a final answer that is an error
   (too many redirects). */
/* decompress_response: decode `in`; the pieces go to the streaming callback, or are
   collected in dec_out (buffered bodies, at most body_limit bytes: the decoder's cap).
   last: no more input comes, so a coded stream that did not end is truncated.
   Returns 0, or -1 when the fetch is over (failed, or ended by the callback). */
TN__PRIVATE int tn__hcl_decode(tn_http_fetch *f, tn_str in, int last) {
    int rc = TN_OK;
    tn_str out;
    while (!f->dec_done) {
        rc = f->dec->run(f->dec_state, &in, &out);
        if (rc < 0) break;
        if (rc == 1) f->dec_done = 1;
        if (out.len) {
            if (f->stream_cb) {
                f->stream_cb(f, out, f->stream_user);
                if (f->state != TN__HCL_ACTIVE) return -1;
            } else if (tn_buf_append(&f->dec_out, out.ptr, out.len) != 0) {
                tn__hcl_fail(f, TN_ENOMEM, NULL);
                return -1;
            }
        } else if (in.len == 0) {
            break;
        }
    }
    if (rc == TN_ELIMIT) {
        tn__hcl_fail(f, TN_EBODY_TOO_LARGE, "Response body larger than max_body_size (after decoding)");
        return -1;
    }
    if (rc < 0 || (last && !f->dec_done)) {
        snprintf(f->msg, sizeof f->msg, "Content-Encoding %s could not be decoded: %s", f->dec->coding,
                 rc < 0 ? f->dec->error(f->dec_state) : "the data ends early");
        tn__hcl_fail(f, rc < 0 ? rc : TN_EINCOMPLETE, f->msg);
        return -1;
    }
    return 0;
}

TN__PRIVATE void tn__hcl_complete(tn_http_fetch *f, tn_str body, size_t consumed) {
    tn__hcl_conn *c = f->conn;
    tn_stream *s = c->s;
    tn_http_fetch_res r;
    int reusable;
    reusable = !f->conn_close && !f->body_skipped && tn_http_response_keep_alive(&f->p) && s &&
               !tn_stream_closed(s);
    if (f->producer ? (!f->body_ended || f->prod_pending) : !f->req_sent) reusable = 0;
    if (f->redirect_hop) {
        tn__hcl_follow(f, consumed, reusable);   /* the hop's body is not wanted */
        return;
    }
    if (f->dec) {
        /* decompress_response: the body is the decoded one (streamed: the rest of it), and
           as in Tornado Content-Encoding is renamed X-Consumed-Content-Encoding */
        size_t i = tn_http_header_next(f->rh, f->p.num_headers, "Content-Encoding", 0);
        if (tn__hcl_decode(f, f->stream_cb ? tn_str_make(NULL, 0) : body, 1) != 0) return;
        if (!f->stream_cb) body = tn_str_make(tn_buf_ptr(&f->dec_out), tn_buf_size(&f->dec_out));
        if (i < f->p.num_headers) f->rh[i].name = tn_str_c("X-Consumed-Content-Encoding");
    }
    tn__hcl_detach(f);
    memset(&r, 0, sizeof r);
    r.code = f->p.status;
    r.error = f->error;
    r.error_msg = f->error ? (f->error_msg ? f->error_msg : tn_strerror(f->error)) : "";
    r.reason = f->p.reason;
    r.version = f->p.version;
    r.headers = f->rh;
    r.num_headers = f->p.num_headers;
    r.effective_url = tn_str_make(tn_buf_ptr(&f->url), tn_buf_size(&f->url));
    r.body = body;
    r.redirects = f->redirects;
    r.reused = f->reused;
    tn__hcl_res_times(f, &r);
    f->cb(f, &r, f->user);
    f->conn = NULL;
    if (s && !tn_stream_closed(s)) {
        tn__stream_consume(s, consumed);
        if (tn__stream_peek(s).len > 0) reusable = 0;   /* bytes beyond the response: not HTTP we can trust */
    }
    if (c->f == f) tn__hcl_conn_release(c, reusable);
    tn__hcl_end(f);
}

/* A redirect hop is read: move to the Location and start again (Tornado's rules). */
TN__PRIVATE void tn__hcl_follow(tn_http_fetch *f, size_t consumed, int reusable) {
    tn__hcl_conn *c = f->conn;
    tn_allocator *a = tn__loop_alloc(f->h.loop);
    tn_buf nb;
    tn_str loc = tn_str_make(NULL, 0);
    tn_url old = f->u;
    char oldorigin[600], neworigin[600];
    int st = f->p.status, rc;
    size_t i;
    tn_stream *s = c->s;
    (void)tn_http_header_get(f->rh, f->p.num_headers, "Location", &loc);
    (void)tn_buf_init(&nb, a);
    rc = tn_url_resolve_buf(&nb, tn_str_make(tn_buf_ptr(&f->url), tn_buf_size(&f->url)), loc);
    snprintf(oldorigin, sizeof oldorigin, "%.*s://%.*s:%d", (int)old.scheme.len, old.scheme.ptr, (int)old.host.len,
             old.host.ptr, tn__hcl_port(&old));
    /* the Location is copied: the hop's bytes can go, and the connection with them */
    if (s && !tn_stream_closed(s)) {
        tn__stream_consume(s, consumed);
        if (tn__stream_peek(s).len > 0) reusable = 0;
    }
    f->conn = NULL;
    tn__hcl_conn_release(c, reusable);
    if (rc == 0) {
        /* drop a fragment: it is not sent and not part of the effective URL */
        char *hash = (char *)memchr(tn_buf_ptr(&nb), '#', tn_buf_size(&nb));
        if (hash) tn_buf_truncate(&nb, (size_t)(hash - tn_buf_ptr(&nb)));
        rc = tn__hcl_set_url(f, tn_str_make(tn_buf_ptr(&nb), tn_buf_size(&nb)));
    }
    tn_buf_free(&nb);
    if (rc != 0) {
        tn__hcl_fail(f, rc == TN_ENOMEM ? rc : TN_EBAD_URL, "Redirect to a Location that is not an http(s) URL");
        return;
    }
    f->redirects++;
    snprintf(neworigin, sizeof neworigin, "%.*s://%.*s:%d", (int)f->u.scheme.len, f->u.scheme.ptr, (int)f->u.host.len,
             f->u.host.ptr, tn__hcl_port(&f->u));
    for (i = 0; neworigin[i]; i++) neworigin[i] = (char)tn__lower((unsigned char)neworigin[i]);
    for (i = 0; oldorigin[i]; i++) oldorigin[i] = (char)tn__lower((unsigned char)oldorigin[i]);
    if (strcmp(oldorigin, neworigin) != 0) {
        /* credentials and cookies stay with their origin */
        for (i = 0; i < f->nhdrs; i++)
            if (tn_str_ieq(f->hdrs[i].name, tn_str_c("Authorization")) || tn_str_ieq(f->hdrs[i].name, tn_str_c("Cookie")))
                f->hdr_drop[i] = 1;
        f->auth_user = f->auth_pass = NULL;
    }
    if ((st == 303 && !tn__hcl_method_is(f, "HEAD")) || ((st == 301 || st == 302) && tn__hcl_method_is(f, "POST"))) {
        f->method = "GET";
        f->has_body = 0;
        f->body_len = 0;
        for (i = 0; i < f->nhdrs; i++) {
            tn_str n = f->hdrs[i].name;
            if ((n.len >= 8 && tn_str_ieq(tn_str_make(n.ptr, 8), tn_str_c("Content-"))) ||
                tn_str_ieq(n, tn_str_c("Transfer-Encoding")))
                f->hdr_drop[i] = 1;
        }
    }
    f->fresh_only = 0;
    f->retried = 0;
    f->redirect_hop = 0;
    tn__hcl_start(f);
}

/* Streaming: hand out what is buffered of the body. Returns 1 when the body ended, 0 when
   more is to come, -1 when the fetch is over (failed, or cancelled in the callback). */
TN__PRIVATE int tn__hcl_stream_body(tn_http_fetch *f, tn_str data) {
    tn_stream *s = f->conn->s;
    char *p = (char *)(uintptr_t)data.ptr;
    size_t len = data.len;
    int rc = TN_EINCOMPLETE;
    switch (f->p.body_kind) {
    case TN_HTTP_BODY_LENGTH:
        len = (size_t)TN__MIN((uint64_t)len, f->body_left);
        f->body_left -= len;
        break;
    case TN_HTTP_BODY_CHUNKED:
        rc = tn_http_decode_chunked(&f->ch, p, &len);
        if (rc < 0 && rc != TN_EINCOMPLETE) {
            tn__hcl_fail(f, rc, NULL);
            return -1;
        }
        break;
    default:   /* until close */
        if (f->body_seen + len > f->body_limit) {
            tn__hcl_fail(f, TN_EBODY_TOO_LARGE, "Response body larger than max_body_size");
            return -1;
        }
        break;
    }
    f->body_seen += len;
    if (len > 0) {
        tn_str chunk = tn_str_make(p, len);
        if (f->dec) {
            if (tn__hcl_decode(f, chunk, 0) != 0) return -1;   /* pieces to the callback */
        } else {
            f->stream_cb(f, chunk, f->stream_user);
        }
        if (f->state != TN__HCL_ACTIVE) return -1;
    }
    if (f->p.body_kind == TN_HTTP_BODY_CHUNKED) {
        if (rc == TN_EINCOMPLETE) {
            tn__stream_consume(s, data.len);
            return 0;
        }
        tn__stream_truncate(s, len + (size_t)rc);   /* what follows the body stays */
        tn__stream_consume(s, len);
        return 1;
    }
    tn__stream_consume(s, len);
    return f->p.body_kind == TN_HTTP_BODY_LENGTH && f->body_left == 0;
}

/* The final head is parsed (at data[0..head_len)): set up the body. */
TN__PRIVATE int tn__hcl_head_done(tn_http_fetch *f, tn_str data) {
    tn_http_client *cl = f->cl;
    int st = f->p.status, streaming;
    uint64_t limit;
    tn_str v;
    if (f->waiting_continue) {
        /* a final answer without 100 Continue: the body is not sent, and the server may
           still be waiting for it, so the connection is not reused */
        f->waiting_continue = 0;
        f->body_skipped = 1;
    }
    if (f->follow && tn__hcl_is_redirect(st) && tn_http_header_get(f->rh, f->p.num_headers, "Location", &v) == 0) {
        if (f->redirects >= f->max_redirects) {
            f->error = TN_ELIMIT;
            tn__hcl_set_msg(f, "Too many redirects (max_redirects %d)", f->max_redirects);
        } else if (f->producer && st != 303 && !(st <= 302 && tn__hcl_method_is(f, "POST"))) {
            f->error = TN_ENOTSUP;
            f->error_msg = "Redirect would resend a produced body";
        } else {
            f->redirect_hop = 1;
        }
    }
    streaming = f->stream_cb && !f->redirect_hop;
    limit = cl->o.max_body_size;
    if (!streaming && limit > cl->o.max_buffer_size) limit = cl->o.max_buffer_size;
    f->body_limit = limit;
    if (f->p.body_kind == TN_HTTP_BODY_LENGTH && f->p.content_length > limit) {
        tn__hcl_fail(f, TN_EBODY_TOO_LARGE, "Response body larger than max_body_size");
        return -1;
    }
    memset(&f->ch, 0, sizeof f->ch);
    f->ch.max_body_bytes = limit ? limit : 1;
    f->body_left = f->p.content_length;
    if (f->dec_state && f->dec) f->dec->end(f->dec_state, tn__loop_alloc(f->h.loop));
    f->dec_state = NULL;
    f->dec = NULL;
    f->dec_done = 0;
    /* decompress_response: the decoder caps the decoded bytes at the body limit */
    if (f->decompress && !f->redirect_hop && f->p.body_kind != TN_HTTP_BODY_NONE &&
        tn_http_header_get(f->rh, f->p.num_headers, "Content-Encoding", &v) == 0 &&
        (f->dec = tn__hcl_decoder_find(v)) != NULL) {
        tn_buf_consume(&f->dec_out, tn_buf_size(&f->dec_out));
        if (!(f->dec_state = f->dec->start(tn__loop_alloc(f->h.loop), limit))) {
            tn__hcl_fail(f, TN_ENOMEM, NULL);
            return -1;
        }
    }
    if (f->line_cb && !f->redirect_hop) {
        tn__hcl_emit_lines(f, data.ptr, f->head_len);
        if (f->state != TN__HCL_ACTIVE) return -1;
    }
    f->head_base = data.ptr;
    if (streaming) {
        /* the head moves to its own buffer so the body can be consumed as it streams */
        tn_buf_consume(&f->head_copy, tn_buf_size(&f->head_copy));
        if (tn_buf_append(&f->head_copy, data.ptr, f->head_len) != 0) {
            tn__hcl_fail(f, TN_ENOMEM, NULL);
            return -1;
        }
        tn__hcl_rebase(f, tn_buf_ptr(&f->head_copy));
        tn__stream_consume(f->conn->s, f->head_len);
        f->head_len = 0;
    }
    f->dec_end = f->head_len;
    f->rstate = TN__HCL_R_BODY;
    return 0;
}

/* Work on what the connection has buffered; read more when needed. */
TN__PRIVATE void tn__hcl_process(tn_http_fetch *f) {
    tn_stream *s = f->conn->s;
    for (;;) {
        tn_str data = tn__stream_peek(s);
        if (f->rstate == TN__HCL_R_HEAD) {
            size_t end;
            int rc;
            while (data.len >= 2 && data.ptr[0] == '\r' && data.ptr[1] == '\n') {   /* RFC 9112 §2.2 */
                tn__stream_consume(s, 2);
                data = tn__stream_peek(s);
                f->scan = 0;
            }
            if (data.len > 0 && !f->got_bytes) {
                f->got_bytes = 1;
                f->t_first = TN__HCL_NOW_US();
            }
            end = tn__hcl_head_end(f, (char *)(uintptr_t)data.ptr, data.len);
            if (end == 0 && data.len > f->cl->o.max_header_size) end = data.len;
            if (end == 0) {
                tn__hcl_fill(f, data.len);
                return;
            }
            tn_http_response_reset(&f->p);
            rc = tn_http_parse_response(data.ptr, end, &f->p);
            if (rc == TN_EINCOMPLETE) rc = end > f->cl->o.max_header_size ? TN_EHEADER_TOO_LARGE : TN_EPARSE;
            if (rc < 0) {
                tn__hcl_fail(f, rc, NULL);
                return;
            }
            f->scan = 0;
            if (f->state == TN__HCL_TUNNEL) {
                if (f->p.status / 100 != 2) {
                    tn__hcl_set_msg(f, "Proxy refused the CONNECT tunnel (answered %d)", f->p.status);
                    tn__hcl_fail(f, TN_EREFUSED, f->msg);
                    return;
                }
                tn__stream_consume(s, (size_t)rc);
                f->p.request_method = tn_str_c(f->method);
                f->tls_up = 0;
                tn__hcl_conn_ready(f);
                return;
            }
            if (f->p.status < 200) {
                if (f->p.status == 101) {
                    tn__hcl_fail(f, TN_ENOTSUP, "Unexpected 101 Switching Protocols");
                    return;
                }
                tn__stream_consume(s, (size_t)rc);   /* interim response: skipped */
                if (f->p.status == 100 && f->waiting_continue) {
                    tn__hcl_send_body(f);
                    if (f->state != TN__HCL_ACTIVE) return;
                }
                tn_http_response_reset(&f->p);
                f->p.request_method = tn_str_c(f->method);
                f->got_bytes = 0;
                continue;
            }
            f->head_len = (size_t)rc;
            if (tn__hcl_head_done(f, data) != 0) return;
            continue;
        }
        /* the body */
        if (f->stream_cb && !f->redirect_hop) {
            if (f->p.body_kind == TN_HTTP_BODY_NONE) {
                tn__hcl_complete(f, tn_str_make(NULL, 0), 0);
                return;
            }
            if (data.len > 0 && !f->paused) {
                int ended = tn__hcl_stream_body(f, data);
                if (ended < 0) return;
                if (ended) {
                    tn__hcl_complete(f, tn_str_make(NULL, 0), 0);   /* checks the decoder ended */
                    return;
                }
                data = tn__stream_peek(s);
            }
            if (!f->paused) tn__hcl_fill(f, data.len);
            return;
        }
        tn__hcl_rebase(f, data.ptr);
        switch (f->p.body_kind) {
        case TN_HTTP_BODY_NONE:
            tn__hcl_complete(f, tn_str_make(NULL, 0), f->head_len);
            return;
        case TN_HTTP_BODY_LENGTH:
            if (data.len - f->head_len >= f->p.content_length) {
                tn__hcl_complete(f, tn_str_make(data.ptr + f->head_len, (size_t)f->p.content_length),
                                 f->head_len + (size_t)f->p.content_length);
                return;
            }
            tn__hcl_fill(f, data.len);
            return;
        case TN_HTTP_BODY_CHUNKED:
            if (data.len > f->dec_end) {
                char *raw = (char *)(uintptr_t)data.ptr + f->dec_end;
                size_t len = data.len - f->dec_end;
                int rc = tn_http_decode_chunked(&f->ch, raw, &len);
                if (rc < 0 && rc != TN_EINCOMPLETE) {
                    tn__hcl_fail(f, rc, rc == TN_EBODY_TOO_LARGE ? "Response body larger than max_body_size" : NULL);
                    return;
                }
                f->dec_end += len;
                tn__stream_truncate(s, f->dec_end + (rc >= 0 ? (size_t)rc : 0));
                if (rc >= 0) {
                    data = tn__stream_peek(s);
                    tn__hcl_complete(f, tn_str_make(data.ptr + f->head_len, f->dec_end - f->head_len), f->dec_end);
                    return;
                }
            }
            tn__hcl_fill(f, f->dec_end);
            return;
        default:   /* until close: EOF completes it (tn__hcl_on_data) */
            if (data.len - f->head_len > f->body_limit) {
                tn__hcl_fail(f, TN_EBODY_TOO_LARGE, "Response body larger than max_body_size");
                return;
            }
            tn__hcl_fill(f, data.len);
            return;
        }
    }
}

TN__PRIVATE void tn__hcl_on_data(tn_stream *s, int status, tn_str data, void *user) {
    tn__hcl_conn *c = (tn__hcl_conn *)user;
    tn_http_fetch *f = c->f;
    (void)data;
    if (!f || f->conn != c || (f->state != TN__HCL_ACTIVE && f->state != TN__HCL_TUNNEL)) return;
    if (status == TN_EEOF && f->rstate == TN__HCL_R_BODY && f->p.body_kind == TN_HTTP_BODY_UNTIL_CLOSE) {
        /* the body was delimited by the close: it is complete (EOF came with nothing new) */
        tn_str all = tn__stream_peek(s);
        if (f->stream_cb && !f->redirect_hop) {
            if (all.len > 0 && tn__hcl_stream_body(f, all) < 0) return;
            tn__hcl_complete(f, tn_str_make(NULL, 0), 0);
        } else {
            tn__hcl_rebase(f, all.ptr);
            tn__hcl_complete(f, tn_str_make(all.ptr + f->head_len, all.len - f->head_len), all.len);
        }
        return;
    }
    if (status < 0) {
        tn__hcl_conn_lost(c, status);
        return;
    }
    tn__hcl_process(f);
}

TN_API void tn_http_fetch_pause(tn_http_fetch *f) {
    if (f && f->state == TN__HCL_ACTIVE) f->paused = 1;
}

TN_API void tn_http_fetch_resume(tn_http_fetch *f) {
    if (!f || !f->paused) return;
    f->paused = 0;
    if (f->state == TN__HCL_ACTIVE && f->conn && f->conn->s && !tn_stream_reading(f->conn->s)) tn__hcl_fill(f, 0);
}

/* ---- fetch --------------------------------------------------------------------------------- */
TN__PRIVATE void tn__hcl_fetch_finalize(tn__handle *h) {
    tn_http_fetch *f = (tn_http_fetch *)h;
    tn_allocator *a = tn__loop_alloc(h->loop);
    tn_buf_free(&f->url);
    tn_buf_free(&f->head_copy);
    tn_buf_free(&f->dec_out);
    tn__free(a, f);
}
static const tn__handle_type tn__hcl_fetch_type = { "http_fetch", tn__hcl_fetch_finalize };

/* Copy a string into the fetch's arena. */
TN__PRIVATE const char *tn__hcl_arena_str(char **at, const char *s, size_t n) {
    char *d = *at;
    if (!s) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    *at += n + 1;
    return d;
}

TN__PRIVATE int tn__hcl_method_ok(const char *m) {
    static const char *const std[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", NULL };
    size_t i;
    for (i = 0; std[i]; i++)
        if (!strcmp(m, std[i])) return 1;
    return 0;
}

#define TN__HCL_SLEN(s) ((s) ? strlen(s) + 1 : 0)

TN_API int tn_http_client_fetch(tn_http_client *cl, const tn_http_fetch_req *req, tn_http_fetch_cb cb, void *user,
                                tn_http_fetch **out) {
    tn_allocator *a;
    tn_http_fetch *f;
    const char *method, *ph;
    size_t need, i, nh;
    char *at;
    int rc, body, needs_body;
    if (out) *out = NULL;
    if (!cl || !req || !req->url || !cb) return TN_EINVAL;
    if (cl->closing) return TN_ECLOSED;
    a = tn__loop_alloc(cl->h.loop);
    method = req->method ? req->method : "GET";
    if (!tn__hcl_is_token(tn_str_c(method))) return TN_EINVAL;
    body = req->has_body || req->body.len > 0 || req->body_producer;
    if (!req->allow_nonstandard_methods) {
        if (!tn__hcl_method_ok(method)) return TN_EINVAL;
        needs_body = !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH");
        if (needs_body != body) return TN_EINVAL;   /* Tornado: body required / not allowed */
    }
    if (req->body.len && !req->body.ptr) return TN_EINVAL;
    nh = req->headers ? req->num_headers : 0;
    for (i = 0; i < nh; i++)
        if (!tn__hcl_is_token(req->headers[i].name) || !tn__hcl_value_ok(req->headers[i].value)) return TN_EINVAL;
    if (!tn__hcl_cstr_ok(req->user_agent) || !tn__hcl_cstr_ok(req->auth_username) || !tn__hcl_cstr_ok(req->auth_password) ||
        !tn__hcl_cstr_ok(req->proxy_host) || !tn__hcl_cstr_ok(req->proxy_username) || !tn__hcl_cstr_ok(req->proxy_password))
        return TN_EINVAL;
    ph = req->no_proxy ? NULL : req->proxy_host ? req->proxy_host : cl->o.proxy_host;
    /* one allocation: the fetch, the response header array, the request's copies */
    need = sizeof *f + cl->o.max_headers * sizeof(tn_http_header) + nh * (sizeof(tn_http_header) + 1) + 16;
    for (i = 0; i < nh; i++) need += req->headers[i].name.len + req->headers[i].value.len + 2;
    need += strlen(method) + 1 + TN__HCL_SLEN(req->auth_username) + TN__HCL_SLEN(req->auth_password) +
            TN__HCL_SLEN(req->user_agent) + TN__HCL_SLEN(req->source_ip) + TN__HCL_SLEN(ph) +
            TN__HCL_SLEN(req->proxy_username) + TN__HCL_SLEN(req->proxy_password) + req->body.len + 1 +
            TN__HCL_SLEN(req->ca_certs) + TN__HCL_SLEN(req->client_cert) + TN__HCL_SLEN(req->client_key);
    f = (tn_http_fetch *)tn__calloc(a, need);
    if (!f) return TN_ENOMEM;
    f->h.loop = cl->h.loop;   /* for tn__hcl_set_url before the handle is live */
    (void)tn_buf_init(&f->url, a);
    (void)tn_buf_init(&f->head_copy, a);
    (void)tn_buf_init(&f->dec_out, a);
    f->rh = (tn_http_header *)(void *)(f + 1);
    f->hdrs = f->rh + cl->o.max_headers;
    f->hdr_drop = (unsigned char *)(f->hdrs + nh);
    at = (char *)(f->hdr_drop + nh);
    f->nhdrs = nh;
    for (i = 0; i < nh; i++) {
        f->hdrs[i].name.ptr = tn__hcl_arena_str(&at, req->headers[i].name.ptr, req->headers[i].name.len);
        f->hdrs[i].name.len = req->headers[i].name.len;
        f->hdrs[i].value.ptr = tn__hcl_arena_str(&at, req->headers[i].value.ptr ? req->headers[i].value.ptr : "",
                                                 req->headers[i].value.len);
        f->hdrs[i].value.len = req->headers[i].value.len;
    }
    f->method = tn__hcl_arena_str(&at, method, strlen(method));
    f->auth_user = tn__hcl_arena_str(&at, req->auth_username, req->auth_username ? strlen(req->auth_username) : 0);
    f->auth_pass = tn__hcl_arena_str(&at, req->auth_password, req->auth_password ? strlen(req->auth_password) : 0);
    f->user_agent = tn__hcl_arena_str(&at, req->user_agent, req->user_agent ? strlen(req->user_agent) : 0);
    f->source_ip = tn__hcl_arena_str(&at, req->source_ip, req->source_ip ? strlen(req->source_ip) : 0);
    f->ca_certs = tn__hcl_arena_str(&at, req->ca_certs, req->ca_certs ? strlen(req->ca_certs) : 0);
    f->client_cert = tn__hcl_arena_str(&at, req->client_cert, req->client_cert ? strlen(req->client_cert) : 0);
    f->client_key = tn__hcl_arena_str(&at, req->client_key, req->client_key ? strlen(req->client_key) : 0);
    f->no_validate = req->no_validate_cert != 0;
    f->proxy_host = tn__hcl_arena_str(&at, ph, ph ? strlen(ph) : 0);
    if (req->proxy_host && !req->no_proxy) {
        f->proxy_port = req->proxy_port;
        f->proxy_user = tn__hcl_arena_str(&at, req->proxy_username, req->proxy_username ? strlen(req->proxy_username) : 0);
        f->proxy_pass = tn__hcl_arena_str(&at, req->proxy_password, req->proxy_password ? strlen(req->proxy_password) : 0);
    } else if (ph) {
        f->proxy_port = cl->o.proxy_port;
        f->proxy_user = cl->o.proxy_username;
        f->proxy_pass = cl->o.proxy_password;
    }
    if (f->proxy_port <= 0) f->proxy_port = 8080;
    f->proxy_tunnel = req->proxy_tunnel;
    f->body = tn__hcl_arena_str(&at, req->body.len ? req->body.ptr : "", req->body.len);
    f->body_len = req->body.len;
    f->has_body = (req->has_body || req->body.len > 0) && !req->body_producer;
    f->producer = req->body_producer;
    f->producer_user = req->producer_user;
    f->connect_timeout = TN__DEF(req->connect_timeout_ms, TORNADO_HTTP_CLIENT_TIMEOUT_MS);
    f->request_timeout = TN__DEF(req->request_timeout_ms, TORNADO_HTTP_CLIENT_TIMEOUT_MS);
    f->if_modified_since = req->if_modified_since;
    f->follow = !req->no_follow_redirects;
    f->max_redirects = req->max_redirects < 0 ? 0 : TN__DEF(req->max_redirects, TORNADO_HTTP_CLIENT_MAX_REDIRECTS);
    f->decompress = !req->no_decompress;
    f->expect_continue = req->expect_100_continue != 0;
    f->no_ipv6 = req->no_ipv6 != 0;
    f->stream_cb = req->streaming_callback;
    f->stream_user = req->streaming_user;
    f->line_cb = req->header_callback;
    f->line_user = req->header_user;
    f->conn_close = (unsigned char)(tn_http_header_has_token(f->hdrs, nh, "Connection", "close") || cl->o.no_keep_alive);
    f->p.headers = f->rh;
    f->p.max_headers = cl->o.max_headers;
    f->p.max_header_bytes = cl->o.max_header_size;
    f->cb = cb;
    f->user = user;
    f->cl = cl;
    if ((rc = tn__hcl_set_url(f, tn_str_c(req->url))) != 0) {
        tn_buf_free(&f->url);
        tn__free(a, f);
        return rc == TN_ENOMEM ? rc : TN_EINVAL;
    }
    f->t_start = TN__HCL_NOW_US();
    /* queued: the queue wait is bounded by min(connect, request) timeout (Tornado) */
    if ((rc = tn__hcl_arm(f, TN__MIN(f->connect_timeout, f->request_timeout))) != 0) {
        tn_buf_free(&f->url);
        tn__free(a, f);
        return rc;
    }
    tn__handle_init(cl->h.loop, &f->h, &tn__hcl_fetch_type);
    tn__defer_init(&f->done_d, tn__hcl_on_done_deferred, &f->h);
    f->state = TN__HCL_QUEUED;
    f->prev = cl->q_tail;
    if (cl->q_tail) cl->q_tail->next = f;
    else cl->q_head = f;
    cl->q_tail = f;
    cl->st.queued++;
    cl->fetches++;
    tn__hcl_dispatch_later(cl);
    if (out) *out = f;
    return TN_OK;
}

/* ---- client -------------------------------------------------------------------------------- */
TN__PRIVATE void tn__hcl_client_finalize(tn__handle *h) {
    tn_http_client *cl = (tn_http_client *)h;
    tn_allocator *a = tn__loop_alloc(h->loop);
    if (cl->close_cb) cl->close_cb(h->loop, cl->close_user);
    tn_buf_free(&cl->scratch);
#if TN_HAS_OPENSSL
    tn_tls_ctx_free(cl->tls);
    tn_tls_ctx_free(cl->tls_own);
#endif
    tn__free(a, cl->tls_own_key);
    tn__free(a, cl->store);
    tn__free(a, cl);
}
static const tn__handle_type tn__hcl_client_type = { "http_client", tn__hcl_client_finalize };

/* A closing client goes once its fetches have answered and its connections are gone. */
TN__PRIVATE void tn__hcl_maybe_closed(tn_http_client *cl) {
    if (cl->closing && !cl->fetches && !cl->conns) (void)tn__handle_close(&cl->h);
}

TN__PRIVATE void tn__hcl_client_opts_resolve(const tn_http_client_opts *in, tn_http_client_opts *o) {
    memset(o, 0, sizeof *o);
    if (in) *o = *in;
    o->max_clients = TN__DEF(o->max_clients, TORNADO_HTTP_CLIENT_MAX_CLIENTS);
    o->max_header_size = TN__DEF(o->max_header_size, TORNADO_MAX_HEADER_BYTES);
    o->max_headers = TN__DEF(o->max_headers, TORNADO_MAX_HEADERS);
    o->max_buffer_size = TN__DEF(o->max_buffer_size, TORNADO_MAX_BUFFER_SIZE);
    o->max_body_size = TN__DEF(o->max_body_size, (uint64_t)o->max_buffer_size);
    o->pool_idle_timeout_ms = TN__DEF(o->pool_idle_timeout_ms, TORNADO_HTTP_CLIENT_POOL_IDLE_MS);
    o->pool_max_idle_per_host = TN__DEF(o->pool_max_idle_per_host, o->max_clients);
    if (o->proxy_port <= 0) o->proxy_port = 8080;
    if (!o->headers) o->num_headers = 0;
}

TN_API int tn_http_client_new(tn_loop *loop, const tn_http_client_opts *opts, tn_http_client **out) {
    tn_allocator *a;
    tn_http_client *cl;
    tn_http_client_opts o;
    size_t need = 0, i;
    char *at;
    tn_http_header *hs;
    if (!loop || !out) return TN_EINVAL;
    *out = NULL;
#if !TN_HAS_OPENSSL
    if (opts && opts->tls) return TN_ENOTSUP;
#endif
    a = tn__loop_alloc(loop);
    tn__hcl_client_opts_resolve(opts, &o);
    for (i = 0; i < o.num_headers; i++) {
        if (!tn__hcl_is_token(o.headers[i].name) || !tn__hcl_value_ok(o.headers[i].value)) return TN_EINVAL;
        need += o.headers[i].name.len + o.headers[i].value.len + 2;
    }
    if (!tn__hcl_cstr_ok(o.user_agent) || !tn__hcl_cstr_ok(o.proxy_host) || !tn__hcl_cstr_ok(o.proxy_username) ||
        !tn__hcl_cstr_ok(o.proxy_password))
        return TN_EINVAL;
    need += o.num_headers * sizeof(tn_http_header) + TN__HCL_SLEN(o.user_agent) + TN__HCL_SLEN(o.proxy_host) +
            TN__HCL_SLEN(o.proxy_username) + TN__HCL_SLEN(o.proxy_password) + 8;
    cl = (tn_http_client *)tn__calloc(a, sizeof *cl);
    if (!cl) return TN_ENOMEM;
    if (!(cl->store = (char *)tn__calloc(a, need))) {
        tn__free(a, cl);
        return TN_ENOMEM;
    }
    hs = (tn_http_header *)(void *)cl->store;
    at = (char *)(hs + o.num_headers);
    for (i = 0; i < o.num_headers; i++) {
        hs[i].name.ptr = tn__hcl_arena_str(&at, o.headers[i].name.ptr, o.headers[i].name.len);
        hs[i].name.len = o.headers[i].name.len;
        hs[i].value.ptr = tn__hcl_arena_str(&at, o.headers[i].value.ptr ? o.headers[i].value.ptr : "", o.headers[i].value.len);
        hs[i].value.len = o.headers[i].value.len;
    }
    o.headers = o.num_headers ? hs : NULL;
    o.user_agent = tn__hcl_arena_str(&at, o.user_agent, o.user_agent ? strlen(o.user_agent) : 0);
    o.proxy_host = tn__hcl_arena_str(&at, o.proxy_host, o.proxy_host ? strlen(o.proxy_host) : 0);
    o.proxy_username = tn__hcl_arena_str(&at, o.proxy_username, o.proxy_username ? strlen(o.proxy_username) : 0);
    o.proxy_password = tn__hcl_arena_str(&at, o.proxy_password, o.proxy_password ? strlen(o.proxy_password) : 0);
    cl->o = o;
#if TN_HAS_OPENSSL
    if ((cl->tls = o.tls) != NULL) tn__tls_ctx_ref(cl->tls);
#endif
    (void)tn_buf_init(&cl->scratch, a);
    tn__handle_init(loop, &cl->h, &tn__hcl_client_type);
    tn__defer_init(&cl->dispatch_d, tn__hcl_on_dispatch, &cl->h);
    *out = cl;
    return TN_OK;
}

TN_API int tn_http_client_close(tn_http_client *cl, tn_cb cb, void *user) {
    tn__hcl_conn *c, *next;
    if (!cl) return TN_EINVAL;
    if (cl->closing) return TN_ECLOSED;
    cl->closing = 1;
    cl->close_cb = cb;
    cl->close_user = user;
    while (cl->q_head) tn_http_fetch_cancel(cl->q_head);
    while (cl->a_head) tn_http_fetch_cancel(cl->a_head);
    for (c = cl->conns; c; c = next) {
        next = c->next;
        if (c->cx) tn_tcp_connect_cancel(c->cx);
        else tn__hcl_conn_close(c);
    }
    tn__hcl_maybe_closed(cl);
    return TN_OK;
}

TN_API void tn_http_client_get_stats(const tn_http_client *cl, tn_http_client_stats *out) { *out = cl->st; }
TN_API void tn_http_client_get_opts(const tn_http_client *cl, tn_http_client_opts *out) { *out = cl->o; }

/* ---- blocking fetch -------------------------------------------------------------------------- */
typedef struct tn__hcl_sync {
    tn_http_fetch_res *res;
    int done, closed, rc;
} tn__hcl_sync;

/* An owned deep copy of a response, in one libc allocation. */
TN__PRIVATE tn_http_fetch_res *tn__hcl_res_copy(const tn_http_fetch_res *r) {
    size_t need = sizeof *r + r->num_headers * sizeof(tn_http_header) + r->reason.len + r->effective_url.len +
                  r->body.len + strlen(r->error_msg ? r->error_msg : "") + 8, i;
    tn_http_fetch_res *c;
    tn_http_header *h;
    char *at;
    for (i = 0; i < r->num_headers; i++) need += r->headers[i].name.len + r->headers[i].value.len + 2;
    if (!(c = (tn_http_fetch_res *)malloc(need))) return NULL;
    *c = *r;
    h = (tn_http_header *)(void *)(c + 1);
    at = (char *)(h + r->num_headers);
    for (i = 0; i < r->num_headers; i++) {
        h[i].name = tn_str_make(tn__hcl_arena_str(&at, r->headers[i].name.ptr, r->headers[i].name.len), r->headers[i].name.len);
        h[i].value = tn_str_make(tn__hcl_arena_str(&at, r->headers[i].value.len ? r->headers[i].value.ptr : "", r->headers[i].value.len),
                                 r->headers[i].value.len);
    }
    c->headers = h;
    c->reason = tn_str_make(tn__hcl_arena_str(&at, r->reason.len ? r->reason.ptr : "", r->reason.len), r->reason.len);
    c->effective_url = tn_str_make(tn__hcl_arena_str(&at, r->effective_url.len ? r->effective_url.ptr : "", r->effective_url.len),
                                   r->effective_url.len);
    c->body = tn_str_make(tn__hcl_arena_str(&at, r->body.len ? r->body.ptr : "", r->body.len), r->body.len);
    c->error_msg = tn__hcl_arena_str(&at, r->error_msg ? r->error_msg : "", strlen(r->error_msg ? r->error_msg : ""));
    return c;
}

TN__PRIVATE void tn__hcl_sync_done(tn_http_fetch *f, const tn_http_fetch_res *res, void *user) {
    tn__hcl_sync *sy = (tn__hcl_sync *)user;
    (void)f;
    sy->res = tn__hcl_res_copy(res);
    if (!sy->res) sy->rc = TN_ENOMEM;
    sy->done = 1;
}

TN__PRIVATE void tn__hcl_sync_closed(tn_loop *loop, void *user) {
    (void)loop;
    ((tn__hcl_sync *)user)->closed = 1;
}

TN_API int tn_http_fetch_sync(const tn_http_fetch_req *req, const tn_http_client_opts *opts, tn_http_fetch_res **out) {
    tn_loop *loop;
    tn_http_client *cl;
    tn__hcl_sync sy;
    int rc;
    if (!out) return TN_EINVAL;
    *out = NULL;
    memset(&sy, 0, sizeof sy);
    if ((rc = tn_loop_new(NULL, &loop)) != 0) return rc;
    if ((rc = tn_http_client_new(loop, opts, &cl)) != 0) {
        (void)tn_loop_free(loop);
        return rc;
    }
    rc = tn_http_client_fetch(cl, req, tn__hcl_sync_done, &sy, NULL);
    if (rc == 0) {
        while (!sy.done) {
            int r = tn_loop_run_once(loop, -1);
            if (r < 0) {
                rc = r;
                break;
            }
        }
    }
    (void)tn_http_client_close(cl, tn__hcl_sync_closed, &sy);
    while (!sy.closed && tn_loop_run_once(loop, 100) >= 0) {}
    (void)tn_loop_free(loop);
    if (rc == 0) rc = sy.rc;
    if (rc != 0) {
        free(sy.res);
        return rc;
    }
    *out = sy.res;
    return TN_OK;
}

TN_API void tn_http_fetch_res_free(tn_http_fetch_res *res) { free(res); }

#endif /* TN_HAS_HTTP_CLIENT */
