/* http_server.c: HTTP/1.1 server connections: parse in place, bodies, responses, timeouts. */
#include "http_server.h"
#include "http_util.h"
#include "internal.h"
#include "deflate.h"

#if TN_HAS_HTTP_SERVER

/* Connection states. */
enum { TN__HC_HEAD = 1, TN__HC_BODY, TN__HC_HANDLER, TN__HC_DRAIN, TN__HC_CLOSING, TN__HC_LINGER,
       TN__HC_DETACHED };

/* After an error response the client may still be sending (a body we refused): closing at
   once would reset the connection and could destroy the response before the client reads
   it. So the write side is shut, input is read and discarded for a bounded time and size,
   then the connection closes (nginx's lingering close). */
#define TN__LINGER_MS 2000
#define TN__LINGER_BYTES (1024u * 1024u)

typedef struct tn__hconn tn__hconn;

typedef struct tn__rcb { tn_response_cb cb; void *user; } tn__rcb;

struct tn_request {
    /* (first the two fields nearly every call reads: at the struct's start, x86-64 reaches
       them with a one-byte displacement, as it does the cleared fields that follow) */
    tn__hconn *conn;               /* NULL once the connection is gone */
    tn_http_server *srv;
    /* (cleared for every request, tn__hs_req_get, from close_cb up to p) */
    tn_request_cb close_cb;
    void *close_user;
    tn_request_cb finish_cb;
    void *finish_user;
    tn_body_cb body_cb;
    void *body_user;
    void *user;
    size_t held;                   /* stream bytes the request still occupies (head + body) */
    uint64_t body_seen;            /* streamed body bytes delivered */
    uint64_t out_sent;             /* body bytes written */
    int status;
    unsigned char in_on_headers;
    unsigned char dispatched;      /* the handler has it */
    unsigned char started;         /* response head written */
    unsigned char finished;
    unsigned char out_chunked;
    unsigned char head_only;       /* HEAD: no body on the wire */
    unsigned char close_after;     /* the connection ends with this response */
    unsigned char conn_upgrade;    /* the handler asked for "Connection: Upgrade" (101 only) */
    unsigned char remote_ip_known; /* remote_ip is filled (asked for: xheaders or the socket) */
    unsigned char paused;
    unsigned char streaming_done;
#if TN_HAS_DEFLATE
    unsigned char gunzip;          /* the body is gzip and is inflated */
    unsigned char inf_end;         /* the inflater reached the end of a member */
#endif
    /* (from here on not cleared: set where a request needs them, or kept empty between
       requests; the parser's inputs are the server's, set once) */
    tn_http_request p;             /* the parsed head: slices into the stream buffer or own */
    const char *protocol;          /* (NULL until the head is in) */
    tn_str body;                   /* (empty until the head is in) */
    size_t head_len;               /* bytes of the head in the stream buffer (tn__hc_head_done) */
    const char *base;              /* where p's slices point (to rebase after a move) */
    const char *ct;                /* tn_respond's content_type while the call runs (the finish
                                      callback and access log may ask for it), else NULL (also
                                      between requests: set and cleared by tn_respond alone) */
    size_t ctl;
    tn_http_chunked chunked;       /* buffered or streamed chunked body: decoder state (set then) */
    size_t dec_end;                /* chunked: end of the decoded body (offset in buffer) */
    char *own;                     /* streamed bodies: the head copied out of the buffer (NULL between) */
    uint64_t body_left;            /* streamed length-delimited body still to come */
    uint64_t start_ns;             /* (access_log only) */
    int64_t out_length;            /* Content-Length sent, -1 chunked/close-delimited */
    uint32_t wcb_head, wcb_len;    /* the write callbacks' ring (wcbs; empty between requests) */
    uint32_t in_wcb;               /* a write callback is running: the request stays */
#if TN_HAS_DEFLATE
    tn_deflater *gz;               /* compressing this streamed response (compress_response) */
    char *gzbuf;                   /* its output scratch */
    size_t gzcap;
    tn_inflater *inf;              /* inflating this request's body (decompress_request) */
    char *inflated;                /* the inflated buffered body (all NULL between requests) */
#endif
    tn_request *next_free;
    tn_buf out;                    /* response header lines set by the handler (emptied) */
    tn__rcb *wcbs;                 /* response write callbacks not run yet, in order (a ring) */
    uint32_t wcb_cap;
    char remote_ip[TN_ADDR_STRLEN];
    char reason[64];               /* a custom reason phrase, "" = the standard one */
    /* the header array (max_headers entries) follows the struct in the same allocation */
};

/* (tn__hs_req_get clears 64 bytes from close_cb, then the rest before p) */
#define TN__HS_REQ_CLEAR offsetof(tn_request, close_cb)
typedef char tn__hs_req_clear_check[offsetof(tn_request, p) >= TN__HS_REQ_CLEAR + 64 ? 1 : -1];

#if TN_HAS_DEFLATE
/* The gzip codec (opts.gzip = tn_http_gzip()): the server reaches compression and
   inflation only through this table, so a program that never names tn_http_gzip does not
   link the deflate codec (--gc-sections drops the table, these functions and the codec). */
struct tn_http_gzip_codec {
    /* tn_respond: its content type (ct, ctl bytes; NULL: none given) stored with the
       handler's lines, then the whole body compressed into *out (allocated), headers set.
       Returns 1 (compressed), 0 (not wanted, or an error: the body goes as is), TN_ENOMEM
       (the content type could not be stored: nothing done) */
    int (*whole)(tn_request *r, int status, const char *ct, size_t ctl, const void *body, size_t len, char **out,
                 size_t *out_len);
    /* tn_response_start without a length: the compressor made if the response is wanted */
    void (*start)(tn_request *r, int status);
    /* a streamed piece (flush TN_DEFLATE_SYNC, or TN_DEFLATE_FINISH at the end) into r->gzbuf */
    int (*piece)(tn_request *r, const void *data, size_t len, int flush, size_t *n);
    /* a buffered gzip body inflated; on an error answered (tn__hc_fail) and nonzero */
    int (*inflate_body)(tn__hconn *c, tn_request *r);
    int (*inflate_piece)(tn__hconn *c, tn_request *r, tn_str data);
    void (*setup)(tn_request *r);                    /* a head with a body: decompress_request */
    void (*release)(tn_allocator *a, tn_request *r); /* the request's codec state, if any, freed */
};
#endif

/* A connection's state lives in its stream's allocation, after the tcp server's record
   (tn__tcp_conn_state): one allocation per connection, reached only through the tcp
   server's accessors (tn__hc_stream). Every idle connection holds one: kept small (the
   peer's address is asked of the socket when a handler wants it, not stored). */
struct tn__hconn {                 /* (its server: tn__hc_srv, through the tcp server) */
    tn_request *req;               /* being read or handled; NULL when idle */
    tn__hconn *ready_next;         /* in the server's ready list (next request to start) */
    tn__hconn *tq_prev, *tq_next;
    uint32_t deadline;             /* in a timeout queue: loop time, low 32 bits (tn__hs_tq_left);
                                      lingering: bytes discarded */
    unsigned char state;           /* TN__HC_* */
    unsigned char flags;           /* TN__HCF_* */
    unsigned char ready;           /* queued in the server's ready list */
    signed char tq;                /* timeout queue it is in, or TN__TQ_NONE */
};

#define TN__HCF_READING 1u         /* a fill is pending */
#define TN__HCF_WATCH 2u           /* the stream's close watch is on (tn__hc_watch) */

/* Streamed request bodies (tn_request_stream_body): reached only through srv->sb. */
struct tn__hs_sb_ops {
    /* the head is complete and the handler streams the body: take it from here */
    void (*head)(tn__hconn *c, tn_request *r, const char *base, size_t head_len);
    /* state TN__HC_BODY: the buffered bytes, data */
    void (*body)(tn__hconn *c, tn_request *r, tn_str data);
};

/* (the fields the per-request code uses come first, where x86-64 reaches them with a
   one-byte displacement; the options, 200 bytes, and what only setup and close read after) */
struct tn_http_server {
    tn_loop *loop;
    tn_tcp_server *tcp;
    tn_request *free_reqs;         /* reusable request objects */
    size_t nfree;
    /* the start of every response head, kept formatted: "HTTP/1.1 200 OK\r\n" (the status
       line of most responses), "Date: ...\r\n" (rewritten once a second), then the Server
       line if any (tn__hs_pre_make) */
    char *pre;
    size_t pre_len;
    tn__hconn *ready_head, *ready_tail;
    /* Timeouts without a timer per connection: each kind has one fixed duration, so a queue
       kept in arrival order is sorted by deadline; one server timer serves all queues. */
    tn__hconn *tq_head[3], *tq_tail[3];
    tn_timer_id tq_timer;
    uint64_t tq_timer_at;
#if TN_HAS_DATE
    uint64_t date_ms;              /* the loop time the Date was last checked at */
    int64_t date_sec;              /* the second srv->pre's Date shows */
#endif
    int closing;
    int in_ready;                  /* tn__hs_on_ready runs */
    tn__defer ready_d;             /* starts the next request of the connections in ready_* */
    /* streamed request bodies' code (tn__hs_sb), set by tn_request_stream_body: a program
       that never streams a body does not link it (--gc-sections) */
    const struct tn__hs_sb_ops *sb;
    /* the removal of header lines (tn__response_remove_header), set by the calls that add
       them (tn__hs_add_header): tn_respond's content_type reaches it only through this, so
       a program that never sets a header does not link it */
    int (*hdr_rm)(tn_request *r, const char *name, const char *prefix);
    size_t nconns;                 /* connections (not detached): the tcp server lists them */
    tn_request *orphans;           /* handled requests whose client left (freed at close) */
    tn_request_cb on_request;
    void *user;
    tn_http_server_opts opts;      /* resolved */
    char *server_header;           /* owned copy */
    size_t server_header_len;
    size_t req_size;
    tn_timer_id close_timer;
    tn_cb close_cb;
    void *close_user;
};

#define TN__HS_REQ_CACHE 256

/* The hot path of a response (head formatting, the write, the request's release): inlined
   into its callers in speed-optimized builds (a call chain per request costs more than the
   work in it), kept as single functions under -Os. */
#if !defined(__OPTIMIZE_SIZE__) && !defined(TN__UNAMALGAMATED) && (defined(__GNUC__) || defined(__clang__))
#  define TN__HS_HOT static inline __attribute__((always_inline, unused))
#else
#  define TN__HS_HOT TN__PRIVATE
#endif

/* The connection's stream (the allocation its state lives in). */
TN__PRIVATE tn_stream *tn__hc_stream(tn__hconn *c) { return tn__tcp_conn_stream(c); }
/* The connection's server: the user of the tcp server that accepted it (not stored: every
   idle connection would pay a pointer for it). */
TN__PRIVATE tn_http_server *tn__hc_srv(tn__hconn *c) {
    return (tn_http_server *)tn__tcp_conn_server_user(tn__hc_stream(c));
}

TN__PRIVATE void tn__hc_next(tn__hconn *c);
TN__PRIVATE void tn__hc_on_close(tn_stream *s, int cause, void *user);
/* 1 once the connection's stream was detached (tn_request_detach): its close callback is
   no longer ours. The connection's bytes may then hold the new owner's state: only this
   (which reads the stream) tells a detached connection. */
TN__PRIVATE int tn__hc_detached(const tn_stream *s) { return tn__stream_close_cb(s) != tn__hc_on_close; }
TN__PRIVATE void tn__hc_process(tn__hconn *c);
TN__PRIVATE void tn__hc_fail(tn__hconn *c, int status);
TN__PRIVATE void tn__hc_fill(tn__hconn *c, size_t seen);

/* The stream's close watch (a client leaving is noticed while no read is pending): on while
   a handler has a request. Between pipelined requests already buffered it stays on, rather
   than going off and on again per request (two changes of poll interest each); it goes off
   (tn__hc_unwatch) wherever the connection may next wait on the poller other than in a
   handler: a fill, an error reply, a head with a body or on_headers, the end of a burst
   (tn__hs_on_ready). */
TN__PRIVATE void tn__hc_watch(tn__hconn *c, int on) {
    if (on) c->flags |= TN__HCF_WATCH;
    else c->flags &= (unsigned char)~TN__HCF_WATCH;
    tn__stream_watch_close(tn__hc_stream(c), on);
}

TN__PRIVATE void tn__hc_unwatch(tn__hconn *c) {
    if (c->flags & TN__HCF_WATCH) tn__hc_watch(c, 0);
}

/* A string literal as a tn_str, its length known when compiling (tn_str_c counts it at run
   time, a call for each). */
#define TN__HS_LIT(s) tn_str_make(s, sizeof(s) - 1)

/* ---- small formatting helpers ---- */
TN__PRIVATE char *tn__hs_put_str(char *p, const char *s, size_t n) {
    memcpy(p, s, n);
    return p + n;
}

/* tn__hs_put_str for a length not known at compile time (a content type, a short body):
   up to 16 bytes by two overlapping moves in speed builds, no call and no rep movs. */
#if !defined(__OPTIMIZE_SIZE__)
TN__HS_HOT char *tn__hs_put_var(char *p, const char *s, size_t n) {
    if (n - 4 <= 12) {   /* 4..16 */
        if (n >= 8) {
            uint64_t a, b;
            memcpy(&a, s, 8);
            memcpy(&b, s + n - 8, 8);
            memcpy(p, &a, 8);
            memcpy(p + n - 8, &b, 8);
        } else {
            uint32_t a, b;
            memcpy(&a, s, 4);
            memcpy(&b, s + n - 4, 4);
            memcpy(p, &a, 4);
            memcpy(p + n - 4, &b, 4);
        }
        return p + n;
    }
    memcpy(p, s, n);
    return p + n;
}
#else
#  define tn__hs_put_var tn__hs_put_str
#endif

TN__HS_HOT char *tn__hs_put_u64(char *p, uint64_t v) {
    uint64_t t = v;
    size_t n = 1;
#if !defined(__OPTIMIZE_SIZE__)   /* (-Os: every length by the loop below) */
    if (v < 100) {   /* small bodies */
        static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                    "8081828384858687888990919293949596979899";
        if (v >= 10) {   /* two digits by one 2-byte move, no division */
            memcpy(p, pairs + 2 * v, 2);
            return p + 2;
        }
        *p = (char)('0' + (int)v);
        return p + 1;
    }
#endif
#if UINTPTR_MAX > 0xffffffffu
    while (t >= 10) {   /* the digits are counted, then written from the last */
        t /= 10;
        n++;
    }
    p += n;
    do *--p = (char)('0' + (int)(v % 10)); while ((v /= 10) != 0);
    return p + n;
#else   /* 32-bit targets: no 64-bit division routine linked */
    {
        char d[20];
        (void)t;
        n = 0;
        do d[n++] = (char)('0' + (int)tn__div64_small(&v, 10)); while (v != 0);
        while (n > 0) *p++ = d[--n];
        return p;
    }
#endif
}

/* A status line's code: always three digits (100..999). */
TN__PRIVATE char *tn__hs_put_status(char *p, int status) {
    int i;
    for (i = 2; i >= 0; i--, status /= 10) p[i] = (char)('0' + status % 10);   /* (one division: a loop) */
    return p + 3;
}

/* "HTTP/1.1 " status " " reason CRLF: a response's status line (but the usual 200's, kept
   formatted in srv->pre) and an error reply's. */
TN__PRIVATE char *tn__hs_put_status_line(char *p, int status, const char *reason) {
    p = tn__hs_put_str(p, "HTTP/1.1 ", 9);
    p = tn__hs_put_status(p, status);
    *p++ = ' ';
    p = tn__hs_put_str(p, reason, strlen(reason));
    return tn__hs_put_str(p, "\r\n", 2);
}

TN__PRIVATE int tn__hs_hdr_token_ok(const char *s) {
    return s && tn_http_is_token(tn_str_c(s));
}

/* Response header values: no byte below 0x20 (CR and LF above all: no response splitting)
   and no DEL, as Tornado rejects them. Returns the value's length, or (size_t)-1 if it
   has such a byte (one pass: the length is had with the check). */
TN__PRIVATE size_t tn__hs_hdr_value_len(const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    for (;; p++) {
        unsigned c = *p;
        if (c - 0x20u >= 0x5fu) {   /* below 0x20 (NUL too), 0x7f and up */
            if (c == 0) return (size_t)(p - (const unsigned char *)s);
            if (c < 0x20 || c == 0x7f) return (size_t)-1;
        }
    }
}

TN__PRIVATE int tn__hs_hdr_value_ok(const char *s) { return s && tn__hs_hdr_value_len(s) != (size_t)-1; }

/* ---- requests: a small cache so the steady state allocates nothing ---- */
TN__PRIVATE tn_request *tn__hs_req_get(tn_http_server *srv) {
    tn_request *r = srv->free_reqs;
    if (r) {   /* a cached request keeps its storage (out, the empty ring) and the rest */
        srv->free_reqs = r->next_free;
        srv->nfree--;
        if (tn_buf_size(&r->out)) tn_buf_consume(&r->out, tn_buf_size(&r->out));
#if !defined(__OPTIMIZE_SIZE__)
        /* the parser's outputs (an error reply's access log sees what was parsed), and no
           parse to resume */
        memset(&r->p.method, 0, offsetof(tn_http_request, _st) - offsetof(tn_http_request, method));
        r->p._st.base = NULL;
#endif
    } else {
        /* (cleared whole, the header array too: new requests are rare, the cache serves) */
        r = (tn_request *)tn__calloc(tn__loop_alloc(srv->loop), srv->req_size);
        if (!r) return NULL;
        (void)tn_buf_init(&r->out, tn__loop_alloc(srv->loop));
#if !defined(__OPTIMIZE_SIZE__)
        r->srv = srv;
        r->p.headers = (tn_http_header *)(void *)(r + 1);
        r->p.max_headers = srv->opts.max_headers;
        r->p.max_header_bytes = srv->opts.max_header_size;
        r->p.max_target_length = srv->opts.max_target_length;
#endif
    }
#if !defined(__OPTIMIZE_SIZE__)
    /* (in two pieces of at most 64 bytes: compilers store those inline, not by rep stos) */
    memset((char *)r + TN__HS_REQ_CLEAR, 0, 64);
    memset((char *)r + TN__HS_REQ_CLEAR + 64, 0, offsetof(tn_request, p) - TN__HS_REQ_CLEAR - 64);
    r->protocol = NULL;
    r->body = tn_str_make(NULL, 0);
#else
    /* -Os: one clear of everything but the kept storage, the inputs set again */
    memset(r, 0, offsetof(tn_request, next_free));
    r->srv = srv;
    r->p.headers = (tn_http_header *)(void *)(r + 1);
    r->p.max_headers = srv->opts.max_headers;
    r->p.max_header_bytes = srv->opts.max_header_size;
    r->p.max_target_length = srv->opts.max_target_length;
#endif
    r->remote_ip[0] = r->reason[0] = 0;
    r->out_length = -1;
    if (srv->opts.access_log) r->start_ns = tn_time_ns();
    return r;
}

/* The codec state of a request (compressor, inflater, their buffers): gone with it (only
   a server with opts.gzip ever has any). */
TN__PRIVATE void tn__hs_req_codec_free(tn_allocator *a, tn_request *r) {
#if TN_HAS_DEFLATE
    if (r->srv->opts.gzip) r->srv->opts.gzip->release(a, r);
#else
    (void)a;
    (void)r;
#endif
}

TN__PRIVATE void tn__hs_req_free(tn_allocator *a, tn_request *r) {
    tn__hs_req_codec_free(a, r);
    tn_buf_free(&r->out);
    tn__free(a, r->wcbs);
    tn__free(a, r);
}

/* tn__hs_req_put for a request that left nothing behind (no codec, no write callback
   pending, no copied head, the usual header storage): back to the cache at once, else the
   full tn__hs_req_put. */
TN__PRIVATE void tn__hs_req_put(tn_request *r);
#if defined(__OPTIMIZE_SIZE__)
#  define tn__hs_req_put_fast tn__hs_req_put   /* (-Os: one release path) */
#else
TN__HS_HOT void tn__hs_req_put_fast(tn_request *r) {
    tn_http_server *srv = r->srv;
    if (TN__LIKELY(!srv->opts.gzip && !r->wcb_len && !r->in_wcb && !r->own && srv->nfree < TN__HS_REQ_CACHE &&
                   tn_buf_size(&r->out) < 4096 && tn_buf_capacity(&r->out) <= 16384 && r->wcb_cap <= 64)) {
        r->next_free = srv->free_reqs;
        srv->free_reqs = r;
        srv->nfree++;
        return;
    }
    tn__hs_req_put(r);
}
#endif

TN__PRIVATE void tn__hs_req_put(tn_request *r) {
    tn_http_server *srv = r->srv;
    tn_allocator *a = tn__loop_alloc(srv->loop);
    tn__hs_req_codec_free(a, r);
    if (r->wcb_len > 0 || r->in_wcb > 0) return;   /* the last write callback releases it */
    tn__free(a, r->own);
    r->own = NULL;
    if (srv->nfree < TN__HS_REQ_CACHE && tn_buf_size(&r->out) < 4096 && tn_buf_capacity(&r->out) <= 16384 && r->wcb_cap <= 64) {
        r->next_free = srv->free_reqs;
        srv->free_reqs = r;
        srv->nfree++;
        return;
    }
    tn__hs_req_free(a, r);
}

/* Point every slice of the parsed head at a new copy of the bytes. */
TN__PRIVATE void tn__hs_req_rebase(tn_request *r, const char *nb) {
    const char *ob = r->base;
    size_t i;
    if (ob == nb) return;
    /* only slices of the head move (a renamed field's name is a string constant) */
#define TN__MOVE(str) \
    do { \
        if ((str).ptr && (uintptr_t)(str).ptr - (uintptr_t)ob <= r->head_len) (str).ptr = nb + ((str).ptr - ob); \
    } while (0)
    TN__MOVE(r->p.method);
    TN__MOVE(r->p.target);
    for (i = 0; i < r->p.num_headers; i++) {
        TN__MOVE(r->p.headers[i].name);
        TN__MOVE(r->p.headers[i].value);
    }
#undef TN__MOVE
    r->base = nb;
}

/* ---- timeouts: per-server queues (idle, head, body) and one timer ---- */
enum { TN__TQ_NONE = -1, TN__TQ_IDLE = 0, TN__TQ_HEADER = 1, TN__TQ_BODY = 2 };

/* Deadlines are kept in 32 bits (every idle connection holds one) and compared by their
   signed distance from now, so a timeout is at most 2^31 - 1 ms (~24.8 days): longer ones
   are clamped. */
#define TN__HS_TQ_MAX_MS 0x7fffffffu

TN__PRIVATE uint64_t tn__hs_tq_ms(const tn_http_server *srv, int kind) {
    uint64_t ms = kind == TN__TQ_IDLE ? srv->opts.idle_connection_timeout_ms
                : kind == TN__TQ_HEADER ? srv->opts.header_timeout_ms : srv->opts.body_timeout_ms;
    return TN__MIN(ms, (uint64_t)TN__HS_TQ_MAX_MS);
}

/* Milliseconds from now to the connection's deadline (<= 0: due). */
TN__PRIVATE int64_t tn__hs_tq_left(const tn__hconn *c, uint64_t now) {
    return (int32_t)(c->deadline - (uint32_t)now);
}

TN__PRIVATE void tn__hs_tq_unlink(tn__hconn *c) {
    tn_http_server *srv = tn__hc_srv(c);
    int k = c->tq;
    if (k == TN__TQ_NONE) return;
    if (c->tq_prev) c->tq_prev->tq_next = c->tq_next;
    else srv->tq_head[k] = c->tq_next;
    if (c->tq_next) c->tq_next->tq_prev = c->tq_prev;
    else srv->tq_tail[k] = c->tq_prev;
    c->tq_prev = c->tq_next = NULL;
    c->tq = TN__TQ_NONE;
}

TN__PRIVATE void tn__hs_tq_arm(tn_http_server *srv);

TN__PRIVATE void tn__hs_tq_on_timer(tn_loop *loop, void *user) {
    tn_http_server *srv = (tn_http_server *)user;
    int k;
    srv->tq_timer = 0;
    for (k = 0; k < 3; k++) {
        tn__hconn *c;
        while ((c = srv->tq_head[k]) != NULL && tn__hs_tq_left(c, tn_loop_now(loop)) <= 0) {
            tn__hs_tq_unlink(c);
            (void)tn_stream_abort(tn__hc_stream(c), TN_ETIMEOUT);
        }
    }
    tn__hs_tq_arm(srv);
}

/* Arm the server's timer for the earliest deadline, unless it already fires by then. */
TN__PRIVATE void tn__hs_tq_arm(tn_http_server *srv) {
    uint64_t now = tn_loop_now(srv->loop), first = 0;
    int k, any = 0;
    for (k = 0; k < 3; k++) {
        if (srv->tq_head[k]) {
            int64_t left = tn__hs_tq_left(srv->tq_head[k], now);
            uint64_t at = now + (uint64_t)(left > 0 ? left : 0);
            if (!any || at < first) first = at;
            any = 1;
        }
    }
    if (!any) return;
    if (srv->tq_timer && srv->tq_timer_at <= first) return;
    if (srv->tq_timer) (void)tn_loop_cancel(srv->loop, srv->tq_timer);
    srv->tq_timer = 0;
    srv->tq_timer_at = first;
    if (tn_loop_call_at(srv->loop, first, tn__hs_tq_on_timer, srv, &srv->tq_timer) != 0)
        TN__LLOG(srv->loop, TN_LOG_ERROR, TN_ENOMEM, "http server: timeouts not armed (out of memory)");
}

/* Put the connection under one kind of timeout (counted from now), or none. */
TN__PRIVATE void tn__hc_deadline(tn__hconn *c, int kind) {
    tn_http_server *srv = tn__hc_srv(c);
    uint64_t ms;
    tn__hs_tq_unlink(c);
    if (kind == TN__TQ_NONE || (ms = tn__hs_tq_ms(srv, kind)) == 0) return;
    c->deadline = (uint32_t)(tn_loop_now(srv->loop) + ms);   /* the iteration's time: no clock read */
    c->tq = (signed char)kind;
    c->tq_prev = srv->tq_tail[kind];
    if (srv->tq_tail[kind]) srv->tq_tail[kind]->tq_next = c;
    else srv->tq_head[kind] = c;
    srv->tq_tail[kind] = c;
    if (!srv->tq_timer || tn_loop_now(srv->loop) + ms < srv->tq_timer_at) tn__hs_tq_arm(srv);
}

/* ---- the response ---- */
/* srv->pre: the status line of a 200, then the Date line at a fixed place, then Server.
   TORNADO_NO_DATE (a device without a real-time clock: RFC 9110 §6.6.1 says such an origin
   server must not send Date) leaves the Date line out, and with it the clock reads and the
   date formatting. */
#define TN__HS_PRE_STATUS 17                  /* "HTTP/1.1 200 OK\r\n" */
#if TN_HAS_DATE
#  define TN__HS_PRE_DATE (TN__HS_PRE_STATUS + 6)   /* the date's 29 characters, after "Date: " */
#  define TN__HS_DATE_LINE 37                 /* "Date: " + 29 + "\r\n" */
#else
#  define TN__HS_DATE_LINE 0
#endif

TN__PRIVATE int tn__hs_pre_make(tn_http_server *srv) {
    size_t sl = srv->server_header_len, n = TN__HS_PRE_STATUS + TN__HS_DATE_LINE + (sl ? sl + 10 : 0);
    char *p = (char *)tn__alloc(tn__loop_alloc(srv->loop), n);
    if (!p) return TN_ENOMEM;
    srv->pre = p;
    srv->pre_len = n;
    p = tn__hs_put_str(p, "HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n", TN__HS_PRE_STATUS + TN__HS_DATE_LINE);
    if (sl) {
        p = tn__hs_put_str(p, "Server: ", 8);
        p = tn__hs_put_str(p, srv->server_header, sl);
        (void)tn__hs_put_str(p, "\r\n", 2);
    }
#if TN_HAS_DATE
    srv->date_sec = -1;
#  if !defined(__OPTIMIZE_SIZE__)
    srv->date_ms = (uint64_t)-1;
#  endif
#endif
    return TN_OK;
}

#if TN_HAS_DATE

TN__PRIVATE void tn__hs_date_check(tn_http_server *srv) {
    int64_t now = (int64_t)time(NULL);
    char d[32];
#if !defined(__OPTIMIZE_SIZE__)
    srv->date_ms = tn_loop_now(srv->loop);
#endif
    if (now == srv->date_sec) return;
    srv->date_sec = now;
    if (tn_http_date_format(now, d) < 0) memcpy(d, "Thu, 01 Jan 1970 00:00:00 GMT", 29);
    memcpy(srv->pre + TN__HS_PRE_DATE, d, 29);
}

/* The Date line up to date: the clock is read once per millisecond of loop time (the loop's
   time moves once per iteration: pipelined responses answered in one share one reading, as
   nginx's cached time), not per response. */
#if !defined(__OPTIMIZE_SIZE__)
TN__HS_HOT void tn__hs_date(tn_http_server *srv) {
    if (tn_loop_now(srv->loop) != srv->date_ms) tn__hs_date_check(srv);
}
#else
#  define tn__hs_date tn__hs_date_check   /* (-Os: the clock read per response, as before) */
#endif
#else
#  define tn__hs_date(srv) ((void)0)       /* TORNADO_NO_DATE: no Date line to keep */
#endif /* TN_HAS_DATE */

/* Format the response head into buf (at least 512 bytes + the Server line + the handler's
   header lines + ctl). ct: a Content-Type line to write before the handler's lines (tn_respond,
   when the handler set none), or NULL. Returns the length. */
TN__HS_HOT size_t tn__hs_req_format_head(tn_request *r, char *buf, int status, int64_t length, const char *ct,
                                          size_t ctl) {
    tn_http_server *srv = r->srv;
    char *p = buf;
    size_t n = tn_buf_size(&r->out);
    tn__hs_date(srv);
    if (status == 200 && !r->reason[0]) {
        p = tn__hs_put_str(p, srv->pre, srv->pre_len);
    } else {
#if defined(__OPTIMIZE_SIZE__)
        p = tn__hs_put_status_line(p, status, r->reason[0] ? r->reason : tn_http_reason(status));
#else   /* (speed builds: written here, inline) */
        const char *reason = r->reason[0] ? r->reason : tn_http_reason(status);
        p = tn__hs_put_str(p, "HTTP/1.1 ", 9);
        p = tn__hs_put_status(p, status);
        *p++ = ' ';
        p = tn__hs_put_str(p, reason, strlen(reason));
        p = tn__hs_put_str(p, "\r\n", 2);
#endif
        p = tn__hs_put_str(p, srv->pre + TN__HS_PRE_STATUS, srv->pre_len - TN__HS_PRE_STATUS);
    }
    if (status >= 200 && status != 204 && status != 304) {
        if (length >= 0) {
            p = tn__hs_put_str(p, "Content-Length: ", 16);
            p = tn__hs_put_u64(p, (uint64_t)length);
            p = tn__hs_put_str(p, "\r\n", 2);
        } else if (r->out_chunked) {
            p = tn__hs_put_str(p, "Transfer-Encoding: chunked\r\n", 28);
        }
    }
    if (status == 101) {
        if (r->conn_upgrade) p = tn__hs_put_str(p, "Connection: Upgrade\r\n", 21);   /* Upgrade: the handler's */
    } else if (r->close_after) {
        p = tn__hs_put_str(p, "Connection: close\r\n", 19);
    } else if (r->p.version == 10) {
        p = tn__hs_put_str(p, "Connection: keep-alive\r\n", 24);
    }
    if (ct) {
        p = tn__hs_put_str(p, "Content-Type: ", 14);
        p = tn__hs_put_var(p, ct, ctl);
        p = tn__hs_put_str(p, "\r\n", 2);
    }
    if (n) p = tn__hs_put_str(p, tn_buf_ptr(&r->out), n);
    p = tn__hs_put_str(p, "\r\n", 2);
    return (size_t)(p - buf);
}

/* A body up to this size is copied after the head (one buffer: a plain send); a larger one
   goes as the second piece of a gather write. */
#define TN__HS_INLINE_BODY 1024

/* Write the head (and a first piece of body) in one write. ct, ctl: as tn__hs_req_format_head. */
TN__HS_HOT int tn__hs_req_send_head(tn_request *r, int status, int64_t length, const void *body, size_t blen,
                                     const char *ct, size_t ctl) {
    tn_stream *s = tn__hc_stream(r->conn);
    size_t need = 512 + tn_buf_size(&r->out) + r->srv->pre_len + ctl, hl;
    char stack[1024], *buf = stack;   /* a larger body's head: no allocation when it fits */
    tn_str v[2];
    int rc;
    if (blen <= TN__HS_INLINE_BODY) {
        /* formatted straight into the stream's write buffer: no copy of the head */
        if ((rc = tn__stream_write_space(s, need + blen, &buf)) != 0) return rc;
    } else if (need > sizeof stack && !(buf = (char *)tn__alloc(tn__loop_alloc(r->srv->loop), need))) {
        return TN_ENOMEM;
    }
    hl = tn__hs_req_format_head(r, buf, status, length, ct, ctl);   /* (one call: -Os keeps one copy) */
    if (blen <= TN__HS_INLINE_BODY) {
        if (blen) (void)tn__hs_put_var(buf + hl, (const char *)body, blen);
        return tn__stream_write_commit(s, hl + blen);
    }
    v[0] = tn_str_make(buf, hl);
    v[1] = tn_str_make((const char *)body, blen);
    rc = tn_stream_writev(s, v, 2, NULL, NULL);
    if (buf != stack) tn__free(tn__loop_alloc(r->srv->loop), buf);
    return rc;
}

TN__PRIVATE void tn__hc_after_write(tn_stream *s, int status, void *user);

/* Start the connection's next request from the loop (never from inside the handler's call:
   pipelined requests would otherwise recurse). One deferred node serves every connection. */
TN__HS_HOT void tn__hc_schedule(tn__hconn *c) {
    tn_http_server *srv = tn__hc_srv(c);
    if (c->ready) return;
    c->ready = 1;
    c->ready_next = NULL;
    if (srv->ready_tail) srv->ready_tail->ready_next = c;
    else srv->ready_head = c;
    srv->ready_tail = c;
    tn__defer_queue(srv->loop, &srv->ready_d);
}

TN__PRIVATE void tn__hc_unschedule(tn__hconn *c) {
    tn_http_server *srv = tn__hc_srv(c);
    tn__hconn **pp, *prev = NULL;
    if (!c->ready) return;
    for (pp = &srv->ready_head; *pp; prev = *pp, pp = &(*pp)->ready_next) {
        if (*pp == c) {
            *pp = c->ready_next;
            if (srv->ready_tail == c) srv->ready_tail = prev;
            break;
        }
    }
    c->ready = 0;
}

/* The handler is done with the request (its response finished, it was detached, or a
   response call found the client gone): the finish callback runs, once. */
TN__PRIVATE void tn__hs_req_end(tn_request *r) {
    tn_request_cb cb = r->finish_cb;
    r->finished = 1;
    r->finish_cb = NULL;
    if (cb) cb(r, r->finish_user);
}

/* Microseconds since the request began: the access log's duration. */
TN__PRIVATE uint64_t tn__hs_elapsed_us(const tn_request *r) {
    uint64_t d = tn_time_ns() - r->start_ns;
    (void)tn__div64_small(&d, 1000);
    return d;
}

/* The access log's call for a request answered with status (opts.access_log is set): one
   copy for responses and the server's own error replies. */
TN__PRIVATE void tn__hs_log(tn_request *r, int status, uint64_t sent) {
    tn_http_server *srv = r->srv;
    srv->opts.access_log(r, status, sent, tn__hs_elapsed_us(r), srv->opts.access_log_user);
}

/* The response is complete: log, release the request, and go on with the connection. */
TN__HS_HOT void tn__hs_req_done(tn_request *r) {
    tn__hconn *c = r->conn;
    tn_http_server *srv = r->srv;
    /* HEAD: out_sent counts the length promised, none sent */
    if (srv->opts.access_log) tn__hs_log(r, r->status, r->head_only ? 0 : r->out_sent);
    tn__hs_req_end(r);
    r->ct = NULL;   /* (tn_respond's content type: the caller's string, not kept past the call) */
    if (!c) {
        tn__hs_req_put(r);
        return;
    }
    c->req = NULL;
    if (r->held) tn__stream_consume(tn__hc_stream(c), r->held);
    if (r->close_after || srv->closing) {
        c->state = TN__HC_CLOSING;
        tn__hs_req_put(r);
        tn__stream_cork(tn__hc_stream(c), 0);   /* held pipelined responses go out first */
        /* close once the response is out */
        if (tn_stream_write(tn__hc_stream(c), "", 0, tn__hc_after_write, c) != 0) (void)tn_stream_close(tn__hc_stream(c), NULL, NULL);
        return;
    }
    tn__hs_req_put_fast(r);
    if (tn__stream_peek(tn__hc_stream(c)).len > 0) {
        /* more requests already buffered (pipelining): hold the responses and send them
           together once the buffer runs dry; within tn__hs_on_ready the close watch stays
           on for the next one (tn__hc_watch), which it turns off for any it leaves */
        tn__stream_cork(tn__hc_stream(c), 1);
        if (!srv->in_ready) tn__hc_unwatch(c);
    } else if (!tn_stream_closed(tn__hc_stream(c)) &&
               (tn_stream_write_buffer_size(tn__hc_stream(c)) == 0 || tn__stream_corked(tn__hc_stream(c)))) {
        /* nothing buffered: wait for the next request now, as tn__hc_process would from the
           loop (no handler runs from here: a read never completes inside the call) */
        c->state = TN__HC_HEAD;
        tn__hc_deadline(c, TN__TQ_IDLE);
        tn__hc_fill(c, 0);
        return;
    } else {
        tn__hc_unwatch(c);
    }
    if (tn_stream_write_buffer_size(tn__hc_stream(c)) > 0 && !tn__stream_corked(tn__hc_stream(c))) {
        /* backpressure: the next request waits until this response has left */
        c->state = TN__HC_DRAIN;
        if (tn_stream_write(tn__hc_stream(c), "", 0, tn__hc_after_write, c) != 0) (void)tn_stream_close(tn__hc_stream(c), NULL, NULL);
        return;
    }
    tn__hc_schedule(c);
}

TN__PRIVATE void tn__hc_on_linger(tn_stream *s, int status, tn_str data, void *user) {
    tn__hconn *c = (tn__hconn *)user;
    if (status != TN_MORE) return;   /* EOF or error: the stream closes by itself */
    if ((size_t)c->deadline + data.len > TN__LINGER_BYTES) (void)tn_stream_close(s, NULL, NULL);
    else c->deadline += (uint32_t)data.len;     /* bytes discarded so far */
}

TN__PRIVATE void tn__hc_after_write(tn_stream *s, int status, void *user) {
    tn__hconn *c = (tn__hconn *)user;
    if (status != TN_OK) return;   /* the stream is closing; the close callback cleans up */
    if (c->state == TN__HC_LINGER) {
        tn__hs_tq_unlink(c);
        c->deadline = 0;
        (void)tn__stream_shutdown_write(s);
        tn__stream_consume(s, tn__stream_peek(s).len);
        tn_stream_set_idle_timeout(s, TN__LINGER_MS);
        if (tn_stream_read_until_close(s, TN_READ_STREAMING, tn__hc_on_linger, c) != TN_OK)
            (void)tn_stream_close(s, NULL, NULL);
    } else if (c->state == TN__HC_CLOSING) {
        (void)tn_stream_close(s, NULL, NULL);
    } else if (c->state == TN__HC_DRAIN) {
        tn__hc_schedule(c);
    }
}

TN__PRIVATE int tn__hs_req_check(const tn_request *r) {
    if (!r || r->finished) return TN_EINVAL;
    return TN_OK;
}

/* Misuse a handler should hear about (a header after the response started, a framing
   header): a warning in the loop's log, and the call fails with TN_EINVAL. */
TN__PRIVATE int tn__hs_misuse(const tn_request *r, const char *what, const char *name) {
    (void)r; (void)what; (void)name;   /* TORNADO_NO_LOG */
    TN__LLOG(r->srv->loop, TN_LOG_WARN, TN_EINVAL, "http response: %s%s%s", what, name ? ": " : "", name ? name : "");
    return TN_EINVAL;
}

/* The client is gone: the connection closed, or is closing. Every response call follows
   one rule then: it fails with TN_ECLOSED and the request ends there (its finish callback
   runs; its close callback, if it has not run, never will) and is released. */
TN__PRIVATE int tn__hs_req_gone(tn_request *r) {
    tn_http_server *srv = r->srv;
    tn__hconn *c = r->conn;
    if (c) {
        c->req = NULL;   /* the stream is closing: its close callback must not see r */
        r->conn = NULL;
    } else {
        tn_request **pp;
        for (pp = &srv->orphans; *pp; pp = &(*pp)->next_free)
            if (*pp == r) {
                *pp = r->next_free;
                break;
            }
    }
    tn__hs_req_end(r);
    tn__hs_req_put(r);
    return TN_ECLOSED;
}

/* 1 while the request's client can still get a response. */
TN__PRIVATE int tn__hs_req_live(const tn_request *r) {
    return r->conn && !tn_stream_closed(tn__hc_stream(r->conn));
}

/* ---- response headers: the server's one store, "Name: value\r\n" lines in r->out ---- */
/* Find the next line at or after *pos named name (and, with prefix, whose value starts
   with it); with named 0, the next line that is not (name NULL: any line). Returns its
   offset or (size_t)-1; *end gets the offset after it, *value the value. */
TN__PRIVATE size_t tn__hs_hdr_find(const tn_request *r, size_t pos, const char *name, const char *prefix, int named,
                                   size_t *end, tn_str *value) {
    const char *p = tn_buf_ptr(&r->out);
    size_t n = tn_buf_size(&r->out), nl = name ? strlen(name) : 0, pl = prefix ? strlen(prefix) : 0;
    while (pos < n) {
        const char *eol = (const char *)memchr(p + pos, '\n', n - pos);
        size_t e = eol ? (size_t)(eol - p) + 1 : n;
        tn_str v = tn_str_make(NULL, 0);
        int is = name && e - pos >= nl + 4 && p[pos + nl] == ':' &&
                 tn_str_ieq(tn_str_make(p + pos, nl), tn_str_make(name, nl));
        if (is) {
            v = tn_str_make(p + pos + nl + 2, e - pos - nl - 4);
            is = !prefix || (v.len >= pl && memcmp(v.ptr, prefix, pl) == 0);
        }
        if (is == named) {
            if (end) *end = e;
            if (value) *value = v;
            return pos;
        }
        pos = e;
    }
    return (size_t)-1;
}

/* Remove every line tn__hs_hdr_find finds (named 0: every other line). Returns 1 if any. */
TN__PRIVATE int tn__hs_hdr_drop(tn_request *r, const char *name, const char *prefix, int named) {
    size_t at, pos = 0, end;
    int found = 0;
    while ((at = tn__hs_hdr_find(r, pos, name, prefix, named, &end, NULL)) != (size_t)-1) {
        char *p = tn_buf_ptr(&r->out);
        memmove(p + at, p + end, tn_buf_size(&r->out) - end);
        tn_buf_truncate(&r->out, tn_buf_size(&r->out) - (end - at));
        found = 1;
        pos = at;
    }
    return found;
}

/* Remove every line named name (with prefix: whose value starts with it). Returns 1 if any. */
TN__PRIVATE int tn__response_remove_header(tn_request *r, const char *name, const char *prefix) {
    return tn__hs_hdr_drop(r, name, prefix, 1);
}

/* Framing is the server's: Content-Length and Transfer-Encoding follow from how the
   response is sent (tn_respond's length, tn_response_start's content_length), Connection
   from keep-alive. A handler may ask for "Connection: close" (the connection ends after
   this response) and, for a 101 response, "Connection: Upgrade"; other framing headers are
   refused. Returns 1 when the header was handled here, 0 to store it, or TN_EINVAL. */
TN__PRIVATE int tn__hs_hdr_framing(tn_request *r, const char *name, const char *value) {
    tn_str n = tn_str_c(name);
    if (tn_str_ieq(n, TN__HS_LIT("Content-Length")) || tn_str_ieq(n, TN__HS_LIT("Transfer-Encoding")))
        return tn__hs_misuse(r, "framing is the server's (the length given to tn_respond or tn_response_start)", name);
    if (!tn_str_ieq(n, TN__HS_LIT("Connection"))) return 0;
    if (tn_http_token_list_has(tn_str_c(value), "close")) r->close_after = 1;
    else if (tn_http_token_list_has(tn_str_c(value), "upgrade")) r->conn_upgrade = 1;
    else return tn__hs_misuse(r, "Connection is the server's (only \"close\" or, for 101, \"upgrade\")", value);
    return 1;
}

TN__PRIVATE int tn__hs_hdr_check(tn_request *r, const char *name, const char *value) {
    if (tn__hs_req_check(r) != 0 || !name || !value) return TN_EINVAL;
    if (r->started) return tn__hs_misuse(r, "header set after the response started", name);
    if (!tn__hs_hdr_token_ok(name)) return tn__hs_misuse(r, "header name is not a token", name);
    if (!tn__hs_hdr_value_ok(value)) return tn__hs_misuse(r, "header value has control characters", name);
    return tn__hs_hdr_framing(r, name, value);
}

/* Append the line "name: value\r\n" (lengths known), in one piece. */
TN__PRIVATE int tn__hs_add_line(tn_request *r, const char *name, size_t nl, const char *value, size_t vl) {
    char *p;
    if (tn_buf_reserve(&r->out, nl + vl + 4) != 0) return TN_ENOMEM;
    p = tn_buf_ptr(&r->out) + tn_buf_size(&r->out);
    p = tn__hs_put_str(p, name, nl);
    p = tn__hs_put_str(p, ": ", 2);
    p = tn__hs_put_str(p, value, vl);
    (void)tn__hs_put_str(p, "\r\n", 2);
    tn_buf_commit(&r->out, nl + vl + 4);
    return TN_OK;
}

TN__PRIVATE int tn__hs_add_header(tn_request *r, const char *name, const char *value) {
    r->srv->hdr_rm = tn__response_remove_header;
    return tn__hs_add_line(r, name, strlen(name), value, strlen(value));
}

TN_API int tn_request_accepts_coding(const tn_request *req, const char *coding) {
    size_t i;
    if (!req || !coding) return 0;
    for (i = 0; i < req->p.num_headers; i++)
        if (tn_str_ieq(req->p.headers[i].name, TN__HS_LIT("Accept-Encoding")) &&
            tn_http_accepts_coding(req->p.headers[i].value, coding))
            return 1;
    return 0;
}

#if TN_HAS_DEFLATE
/* ---- compress_response: gzip for clients that accept it ---- */
/* 1 if this response is to be gzipped: the option, the client, the status, the type, and
   no Content-Encoding of the handler's. */
TN__PRIVATE int tn__response_gzip_wanted(tn_request *r, int status) {
    tn_str v;
    if (!r->srv->opts.compress_response || !r->srv->opts.gzip) return 0;
    if (status < 200 || status == 204 || status == 206 || status == 304) return 0;
    if (tn__hs_hdr_find(r, 0, "Content-Encoding", NULL, 1, NULL, NULL) != (size_t)-1) return 0;
    if (tn__hs_hdr_find(r, 0, "Content-Type", NULL, 1, NULL, &v) == (size_t)-1 || !tn_http_compressible_type(v)) return 0;
    return tn_request_accepts_coding(r, "gzip");
}

/* The headers of a gzipped response: Content-Encoding, Vary (merged), a weak ETag. */
TN__PRIVATE int tn__hs_gzip_headers(tn_request *r) {
    tn_str v;
    size_t pos = 0, at, end;
    int have_vary = 0;
    char tmp[256];
    if (tn__hs_add_header(r, "Content-Encoding", "gzip") != 0) return TN_ENOMEM;
    while ((at = tn__hs_hdr_find(r, pos, "Vary", NULL, 1, &end, &v)) != (size_t)-1) {
        if (tn_http_token_list_has(v, "accept-encoding") || tn_http_token_list_has(v, "*")) have_vary = 2;
        else if (!have_vary) have_vary = 1;
        pos = end;
    }
    if (have_vary == 1) {   /* append to the first Vary line */
        char *line;
        at = tn__hs_hdr_find(r, 0, "Vary", NULL, 1, &end, &v);
        if (tn_buf_reserve(&r->out, 17) != 0) return TN_ENOMEM;
        line = tn_buf_ptr(&r->out);
        memmove(line + end - 2 + 17, line + end - 2, tn_buf_size(&r->out) - (end - 2));
        memcpy(line + end - 2, ", Accept-Encoding", 17);
        tn_buf_commit(&r->out, 17);
    } else if (have_vary == 0 && tn__hs_add_header(r, "Vary", "Accept-Encoding") != 0) {
        return TN_ENOMEM;
    }
    if (tn__hs_hdr_find(r, 0, "ETag", NULL, 1, NULL, &v) != (size_t)-1 && v.len > 0 && v.ptr[0] == '"' &&
        v.len + 3 < sizeof tmp) {
        memcpy(tmp, "W/", 2);   /* another representation: equal as a weak validator only */
        memcpy(tmp + 2, v.ptr, v.len);
        tmp[v.len + 2] = 0;
        (void)tn__response_remove_header(r, "ETag", NULL);
        if (tn__hs_add_header(r, "ETag", tmp) != 0) return TN_ENOMEM;
    }
    return TN_OK;
}

TN__PRIVATE void tn__hs_gzip_opts(const tn_request *r, size_t len, tn_deflate_opts *o) {
    int w = r->srv->opts.compress_window_bits;
    memset(o, 0, sizeof *o);
    o->format = TN_DEFLATE_GZIP;
    o->level = r->srv->opts.compress_level;
    o->allocator = tn__loop_alloc(r->srv->loop);
    if (len) {   /* a whole body needs no more history than its own length */
        while (w > 9 && ((size_t)1 << (w - 1)) >= len) w--;
    }
    o->window_bits = w;
}

/* tn_respond: compress the whole body into *out (allocated; the caller frees it). Returns
   TN_OK with the headers set, or an error (then the body goes as is). */
TN__PRIVATE int tn__hs_gzip_whole(tn_request *r, int status, const char *ct, size_t ctl, const void *body, size_t len,
                                  char **out, size_t *out_len) {
    tn_deflate_opts o;
    size_t cap;
    char *buf;
    int rc;
    if (ct) {   /* the decision reads the stored lines */
        r->srv->hdr_rm = tn__response_remove_header;
        if (tn__hs_add_line(r, "Content-Type", 12, ct, ctl) != 0) return TN_ENOMEM;
    }
    if (len < TORNADO_GZIP_MIN_LENGTH || !tn__response_gzip_wanted(r, status)) return 0;
    cap = tn_deflate_bound(len);
    if (!(buf = (char *)tn__alloc(tn__loop_alloc(r->srv->loop), cap))) return 0;
    tn__hs_gzip_opts(r, len, &o);
    rc = tn_deflate_once(&o, body, len, buf, cap, out_len);
    if (rc == TN_OK) rc = tn__hs_gzip_headers(r);
    if (rc != TN_OK) {
        tn__free(tn__loop_alloc(r->srv->loop), buf);
        return 0;
    }
    *out = buf;
    return 1;
}

/* Streamed: compress data (flush: TN_DEFLATE_SYNC or _FINISH) into r->gzbuf; *n the size. */
TN__PRIVATE int tn__hs_gzip_piece(tn_request *r, const void *data, size_t len, int flush, size_t *n) {
    tn_allocator *a = tn__loop_alloc(r->srv->loop);
    size_t off = 0;
    *n = 0;
    for (;;) {
        size_t used, made;
        int rc;
        if (r->gzcap - *n < 64) {
            size_t cap = r->gzcap ? r->gzcap * 2 : TN__MAX((size_t)1024, len / 2 + 64);
            char *nb = (char *)tn__realloc(a, r->gzbuf, cap);
            if (!nb) return TN_ENOMEM;
            r->gzbuf = nb;
            r->gzcap = cap;
        }
        rc = tn_deflate(r->gz, (const char *)data + off, len - off, &used, r->gzbuf + *n, r->gzcap - *n, &made, flush);
        off += used;
        *n += made;
        if (rc == TN_DEFLATE_DONE) return TN_OK;
        if (rc < 0) return rc;
    }
}

/* tn_response_start without a length: compress if wanted (out of memory: sent as is). */
TN__PRIVATE void tn__hs_gzip_start(tn_request *r, int status) {
    tn_deflate_opts o;
    if (!tn__response_gzip_wanted(r, status)) return;
    tn__hs_gzip_opts(r, 0, &o);
    if (tn_deflater_new(&o, &r->gz) == TN_OK && tn__hs_gzip_headers(r) != TN_OK) {
        tn_deflater_free(r->gz);
        r->gz = NULL;
    }
}
#endif

TN_API int tn_response_clear_header(tn_request *req, const char *name) {
    if (tn__hs_req_check(req) != 0 || !name || req->started) return TN_EINVAL;
    if (tn_str_ieq(tn_str_c(name), TN__HS_LIT("Connection")) && (req->close_after || req->conn_upgrade)) {
        req->conn_upgrade = 0;   /* a Connection: close asked for stays: the server decides */
        return TN_OK;
    }
    return tn__response_remove_header(req, name, NULL) ? TN_OK : TN_ENOENT;
}

TN_API int tn_response_clear_headers(tn_request *req, const char *keep) {
    if (tn__hs_req_check(req) != 0 || req->started) return TN_EINVAL;
    (void)tn__hs_hdr_drop(req, keep, NULL, 0);   /* every line not named keep */
    req->conn_upgrade = 0;
    return TN_OK;
}

TN_API int tn_response_get_header(const tn_request *req, const char *name, tn_str *value) {
    if (!req || !name || !value) return TN_EINVAL;
    if (req->ct && tn_str_ieq(tn_str_c(name), TN__HS_LIT("Content-Type"))) {   /* tn_respond's, while it runs */
        *value = tn_str_make(req->ct, req->ctl);
        return TN_OK;
    }
    return tn__hs_hdr_find(req, 0, name, NULL, 1, NULL, value) != (size_t)-1 ? TN_OK : TN_ENOENT;
}

TN_API int tn_response_add_header(tn_request *req, const char *name, const char *value) {
    int rc = tn__hs_hdr_check(req, name, value);
    if (rc != 0) return rc < 0 ? rc : TN_OK;
    return tn__hs_add_header(req, name, value);
}

TN_API int tn_response_set_header(tn_request *req, const char *name, const char *value) {
    int rc = tn__hs_hdr_check(req, name, value);
    if (rc != 0) return rc < 0 ? rc : TN_OK;
    (void)tn__response_remove_header(req, name, NULL);
    return tn__hs_add_header(req, name, value);
}

TN__PRIVATE int tn__response_set_known(tn_request *r, const char *name, const char *value) {
    if (tn__hs_req_check(r) != 0) return TN_EINVAL;
    if (r->started) return tn__hs_misuse(r, "header set after the response started", name);
    (void)tn__response_remove_header(r, name, NULL);
    return tn__hs_add_header(r, name, value);
}

TN__PRIVATE int tn__response_clear_known(tn_request *r, const char *name) {
    if (tn__hs_req_check(r) != 0 || r->started) return TN_EINVAL;
    return tn__response_remove_header(r, name, NULL) ? TN_OK : TN_ENOENT;
}

TN_API int tn_response_set_reason(tn_request *req, const char *reason) {
    size_t n, i;
    if (tn__hs_req_check(req) != 0 || req->started || !reason) return TN_EINVAL;
    n = strlen(reason);
    if (n >= sizeof req->reason) return TN_EINVAL;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)reason[i];
        if ((ch < 32 && ch != '\t') || ch == 127) return TN_EINVAL;   /* no CR/LF: no splitting */
    }
    memcpy(req->reason, reason, n + 1);
    return TN_OK;
}

TN_API int tn_respond(tn_request *req, int status, const char *content_type, const void *body, size_t len) {
    char *gz = NULL;
    size_t ctl = 0;
    int rc;
    if (tn__hs_req_check(req) != 0 || status < 100 || status > 999 || (!body && len)) return TN_EINVAL;
    if (req->started) return TN_EBUSY;
    if (content_type && (ctl = tn__hs_hdr_value_len(content_type)) == (size_t)-1) return TN_EINVAL;
    if (!tn__hs_req_live(req)) return tn__hs_req_gone(req);
    /* the line goes straight into the head, not into the stored ones: a Content-Type the
       handler set gives way (stored lines are the header calls', which set srv->hdr_rm) */
    if (content_type && tn_buf_size(&req->out)) (void)req->srv->hdr_rm(req, "Content-Type", NULL);
#if TN_HAS_DEFLATE
    if (req->srv->opts.gzip) {   /* (the codec stores the line: its decision reads it) */
        if ((rc = req->srv->opts.gzip->whole(req, status, content_type, ctl, body, len, &gz, &len)) < 0) return rc;
        if (rc) body = gz;   /* else (not wanted, out of memory) the body goes as is */
        content_type = NULL;
    }
#endif
    req->started = 1;
    req->status = status;
    req->out_length = (int64_t)len;
    req->ct = content_type;
    req->ctl = ctl;
    rc = tn__hs_req_send_head(req, status, (int64_t)len, body, req->head_only ? 0 : len, content_type, ctl);
    tn__free(tn__loop_alloc(req->srv->loop), gz);
    if (rc != 0) {
        req->started = 0;
        req->ct = NULL;
        return rc;
    }
    req->out_sent = req->head_only ? 0 : len;
    tn__hs_req_done(req);
    return TN_OK;
}

/* Tornado's default error page: "<html><title>404: Not Found</title><body>404: Not
   Found</body></html>", the reason escaped by `escape` (tn_xhtml_escape_buf), or NULL for a
   reason known to need none (the web layer's own errors: so an app that never passes a
   reason of its own does not link the escaper). One page for the app's and static files'
   errors. */
TN__PRIVATE int tn__response_error_html(tn_buf *out, int status, const char *reason, int (*escape)(tn_buf *, tn_str)) {
    char code[16];
    int i, n = snprintf(code, sizeof code, "%d: ", status);
    static const char *const parts[3] = { "<html><title>", "</title><body>", "</body></html>" };
    for (i = 0; i < 2; i++) {
        if (tn_buf_append(out, parts[i], strlen(parts[i])) != 0 || tn_buf_append(out, code, (size_t)n) != 0 ||
            (escape ? escape(out, tn_str_c(reason)) : tn_buf_append(out, reason, strlen(reason))) != 0)
            return TN_ENOMEM;
    }
    return tn_buf_append(out, parts[2], strlen(parts[2]));
}

TN_API int tn_respond_error(tn_request *req, int status, const char *reason) {
    tn_buf page;
    int rc;
    if (tn__hs_req_check(req) != 0 || status < 100 || status > 999) return TN_EINVAL;
    (void)tn_buf_init(&page, tn__loop_alloc(req->srv->loop));
    if (!reason) reason = tn_http_reason(status);
    rc = tn__response_error_html(&page, status, reason, tn_xhtml_escape_buf);
    if (rc == TN_OK) rc = tn_respond(req, status, "text/html; charset=UTF-8", tn_buf_ptr(&page), tn_buf_size(&page));
    tn_buf_free(&page);
    return rc;
}

TN_API int tn_response_start(tn_request *req, int status, int64_t content_length) {
    int rc;
    if (tn__hs_req_check(req) != 0 || status < 100 || status > 999) return TN_EINVAL;
    if (req->started) return TN_EBUSY;
    if (!tn__hs_req_live(req)) return tn__hs_req_gone(req);
    req->status = status;
    req->out_length = content_length;
#if TN_HAS_DEFLATE
    if (content_length < 0 && !req->head_only && req->srv->opts.gzip) req->srv->opts.gzip->start(req, status);
#endif
    if (content_length < 0 && status >= 200 && status != 204 && status != 304 && !req->head_only) {
        if (req->p.version >= 11) req->out_chunked = 1;
        else req->close_after = 1;   /* HTTP/1.0: the end of the body is the end of the connection */
    }
    rc = tn__hs_req_send_head(req, status, content_length, NULL, 0, NULL, 0);
    if (rc != 0) return rc;
    req->started = 1;
    return TN_OK;
}

/* A response write's callback waits in the request's ring; the stream calls back with the
   request, and callbacks come in write order. */
TN__PRIVATE int tn__hs_req_wcb_push(tn_request *r, tn_response_cb cb, void *user) {
    tn__rcb *w;
    if (tn__ring_grow(tn__loop_alloc(r->srv->loop), (void **)&r->wcbs, &r->wcb_head, r->wcb_len, &r->wcb_cap, sizeof *r->wcbs) != 0)
        return TN_ENOMEM;
    w = &r->wcbs[(r->wcb_head + r->wcb_len) % r->wcb_cap];
    w->cb = cb;
    w->user = user;
    r->wcb_len++;
    return TN_OK;
}

/* A streamed write reached the socket (or failed): tell the handler. The request stays
   allocated until its last write callback has run, even if it was finished meanwhile. */
TN__PRIVATE void tn__hs_req_on_written(tn_stream *s, int status, void *u) {
    tn_request *r = (tn_request *)u;
    tn__rcb w = r->wcbs[r->wcb_head];
    (void)s;
    r->wcb_head = (r->wcb_head + 1) % r->wcb_cap;
    r->wcb_len--;
    r->in_wcb++;               /* the callback may write more, or finish the response */
    w.cb(r, status, w.user);
    if (--r->in_wcb == 0 && r->wcb_len == 0 && r->finished) tn__hs_req_put(r);
}

TN_API int tn_response_write(tn_request *req, const void *data, size_t len, tn_response_cb cb, void *user) {
    char hdr[24];
    tn_str v[3];
    size_t nv = 0;
    int rc;
    if (tn__hs_req_check(req) != 0 || !req->started || (!data && len)) return TN_EINVAL;
    if (!tn__hs_req_live(req)) return tn__hs_req_gone(req);
    if (req->out_length >= 0 && req->out_sent + len > (uint64_t)req->out_length) return TN_EINVAL;
#if TN_HAS_DEFLATE
    if (req->gz && len > 0) {   /* compressed and flushed: the client can decode it at once */
        size_t n;
        if ((rc = req->srv->opts.gzip->piece(req, data, len, TN_DEFLATE_SYNC, &n)) != 0) return rc;
        data = req->gzbuf;
        len = n;
    }
#endif
    if (!req->head_only && len > 0) {
        if (req->out_chunked) {
            int h = tn_http_format_chunk_header(hdr, sizeof hdr, len);
            if (h < 0) return h;
            v[nv++] = tn_str_make(hdr, (size_t)h);
        }
        v[nv++] = tn_str_make((const char *)data, len);
        if (req->out_chunked) v[nv++] = tn_str_make("\r\n", 2);
    }
    if (cb && tn__hs_req_wcb_push(req, cb, user) != 0) return TN_ENOMEM;
    /* an empty gather write still reports, in order, once everything before it left */
    rc = tn_stream_writev(tn__hc_stream(req->conn), v, nv, cb ? tn__hs_req_on_written : NULL, req);
    if (rc != 0) {
        if (cb) req->wcb_len--;   /* the callback just pushed: it is the newest */
        return rc;
    }
    req->out_sent += len;
    return TN_OK;
}

#if TN_HAS_FILESYSTEM
/* Internal (static files): like tn_response_write, but the body bytes are count bytes of
   file_fd from offset, sent with sendfile(2) (tn__stream_sendfile). file_fd must stay open
   until cb has run. Not for HEAD or chunked responses. Returns TN_OK, TN_EINVAL,
   TN_ECLOSED, TN_ENOTSUP (no sendfile for this connection: write the bytes instead),
   TN_EBUSY, TN_ENOMEM. */
TN__PRIVATE int tn__response_sendfile(tn_request *req, int file_fd, int64_t offset, uint64_t count,
                                      tn_response_cb cb, void *user) {
    int rc;
    if (tn__hs_req_check(req) != 0 || !req->started || !cb || count == 0) return TN_EINVAL;
    if (!tn__hs_req_live(req)) return tn__hs_req_gone(req);
    if (req->head_only || req->out_chunked) return TN_ENOTSUP;
    if (req->out_length >= 0 && req->out_sent + count > (uint64_t)req->out_length) return TN_EINVAL;
    if (tn__hs_req_wcb_push(req, cb, user) != 0) return TN_ENOMEM;
    rc = tn__stream_sendfile(tn__hc_stream(req->conn), file_fd, offset, count, tn__hs_req_on_written, req);
    if (rc != 0) {
        req->wcb_len--;
        return rc;
    }
    req->out_sent += count;
    return TN_OK;
}
#endif

TN_API int tn_response_finish(tn_request *req) {
    if (tn__hs_req_check(req) != 0) return TN_EINVAL;
    if (!tn__hs_req_live(req)) return tn__hs_req_gone(req);
    if (!req->started) return TN_EINVAL;
    if (req->out_length >= 0 && req->out_sent < (uint64_t)req->out_length && !req->head_only) {
        req->close_after = 1;   /* short body: the framing is broken, end the connection */
        (void)tn_stream_abort(tn__hc_stream(req->conn), TN_EINVAL);
        return TN_EINVAL;
    }
#if TN_HAS_DEFLATE
    if (req->gz) {   /* the final block and the gzip trailer */
        size_t n;
        char hdr[24];
        tn_str v[3];
        int rc = req->srv->opts.gzip->piece(req, NULL, 0, TN_DEFLATE_FINISH, &n), h = 0;
        if (rc != 0) return rc;
        if (req->out_chunked) h = tn_http_format_chunk_header(hdr, sizeof hdr, n);
        v[0] = tn_str_make(hdr, (size_t)(h > 0 ? h : 0));
        v[1] = tn_str_make(req->gzbuf, n);
        v[2] = tn_str_make("\r\n", req->out_chunked ? 2 : 0);
        if ((rc = tn_stream_writev(tn__hc_stream(req->conn), v, 3, NULL, NULL)) != 0) return rc;
        req->out_sent += n;
    }
#endif
    if (req->out_chunked && !req->head_only) {
        int rc = tn_stream_write(tn__hc_stream(req->conn), "0\r\n\r\n", 5, NULL, NULL);
        if (rc != 0) return rc;
    }
    tn__hs_req_done(req);
    return TN_OK;
}

TN_API int tn_request_detach(tn_request *req, tn_stream **stream) {
    tn__hconn *c;
    if (tn__hs_req_check(req) != 0 || !stream) return TN_EINVAL;
    if (!tn__hs_req_live(req)) return tn__hs_req_gone(req);
    if (req->started && req->status != 101) return TN_EINVAL;
    c = req->conn;
    *stream = tn__hc_stream(c);
    tn__hs_req_end(req);
    if (req->held) tn__stream_consume(tn__hc_stream(c), req->held);
    tn__hs_req_put(req);
    c->req = NULL;
    /* the stream forgets us (our state stays inert in its memory); it stays open */
    tn__hc_watch(c, 0);
    tn_stream_set_close_cb(tn__hc_stream(c), NULL, NULL);
    c->state = TN__HC_DETACHED;
    tn__hs_tq_unlink(c);
    /* the tcp server still counts this stream; it is released when the stream closes */
    {
        tn__hc_srv(c)->nconns--;
        tn__hc_unschedule(c);   /* its memory stays with the stream, now the caller's */
    }
    return TN_OK;
}

/* After tn_request_detach the connection's HTTP state is dead, all of it: its bytes are
   spare, for the stream's new owner to keep its own state in (the WebSocket: one
   allocation per connection, as for HTTP). s: a detached stream; the spare bytes start
   8-byte aligned. (What is detached is told by the stream, tn__hc_detached, not by these
   bytes.) */
TN__PRIVATE size_t tn__hs_spare_size(void) { return sizeof(tn__hconn); }
TN__PRIVATE void *tn__hs_spare(tn_stream *s) {
    TN_ASSERT(tn__hc_detached(s));
    return tn__tcp_conn_state(s);
}
TN__PRIVATE tn_stream *tn__hs_spare_stream(void *spare) { return tn__tcp_conn_stream(spare); }

/* ---- errors on the wire ---- */
TN__PRIVATE void tn__hc_fail(tn__hconn *c, int status) {
    char buf[256], *p = buf;
    const char *reason = tn_http_reason(status);
    tn_http_server *srv = tn__hc_srv(c);
    if (c->req) {
        /* the server's own error replies are logged too (Tornado logs every request); a
           handler that had the request from on_headers hears that its part is over */
        if (srv->opts.access_log) tn__hs_log(c->req, status, 0);
        tn__hs_req_end(c->req);
        tn__hs_req_put(c->req);
        c->req = NULL;
    }
    c->state = TN__HC_LINGER;
    tn__hc_unwatch(c);
    tn__hc_deadline(c, TN__TQ_NONE);
    tn__hs_date(srv);
    p = tn__hs_put_status_line(p, status, reason);
#if TN_HAS_DATE
    p = tn__hs_put_str(p, srv->pre + TN__HS_PRE_STATUS, TN__HS_DATE_LINE);
#endif
    p = tn__hs_put_str(p, "Content-Length: 0\r\nConnection: close\r\n\r\n", 40);
    tn__stream_cork(tn__hc_stream(c), 0);   /* responses to earlier pipelined requests go first */
    if (tn_stream_write(tn__hc_stream(c), buf, (size_t)(p - buf), tn__hc_after_write, c) != 0) (void)tn_stream_close(tn__hc_stream(c), NULL, NULL);
}

/* ---- reading requests ---- */
TN__PRIVATE void tn__hc_on_data(tn_stream *s, int status, tn_str data, void *user);

TN__PRIVATE void tn__hc_fill(tn__hconn *c, size_t seen) {
    int rc;
    tn__stream_cork(tn__hc_stream(c), 0);   /* about to wait for the client: send what is held */
    rc = tn__stream_fill(tn__hc_stream(c), seen, tn__hc_on_data, c);
    if (rc == TN_OK) c->flags |= TN__HCF_READING;
    else if (rc != TN_ECLOSED) (void)tn_stream_abort(tn__hc_stream(c), rc);
    tn__hc_unwatch(c);   /* (after the read is pending: the interest goes to reading in one change) */
}

TN__PRIVATE void tn__hc_on_data(tn_stream *s, int status, tn_str data, void *user) {
    tn__hconn *c = (tn__hconn *)user;
    (void)s;
    (void)data;
    c->flags &= (unsigned char)~TN__HCF_READING;
    if (status != TN_OK) return;   /* closing: the close callback cleans up */
    tn__hc_process(c);
}

#if TN_HAS_DEFLATE
/* ---- decompress_request: gzip request bodies inflated for the handler ---- */
/* Content-Encoding: gzip (or x-gzip) with the option on: the field becomes
   X-Consumed-Content-Encoding (Tornado's) and the body is inflated. */
TN__PRIVATE void tn__hs_req_gunzip_setup(tn_request *r) {
    size_t i;
    if (!r->srv->opts.decompress_request) return;
    for (i = 0; i < r->p.num_headers; i++) {
        tn_http_header *h = &r->p.headers[i];
        if (tn_str_ieq(h->name, TN__HS_LIT("Content-Encoding"))) {
            tn_str v = tn_header_value(h->value, NULL);
            if (tn_str_ieq(v, TN__HS_LIT("gzip")) || tn_str_ieq(v, TN__HS_LIT("x-gzip"))) {
                h->name = TN__HS_LIT("X-Consumed-Content-Encoding");
                r->gunzip = 1;
            }
            return;
        }
    }
}

TN__PRIVATE int tn__hs_req_inflater(tn_request *r) {
    tn_inflate_opts o;
    if (r->inf) return TN_OK;
    memset(&o, 0, sizeof o);
    o.format = TN_DEFLATE_GZIP;
    o.max_output = r->srv->opts.max_body_size;
    o.allocator = tn__loop_alloc(r->srv->loop);
    return tn_inflater_new(&o, &r->inf);
}

/* A buffered gzip body: inflate it into r->inflated (grown as needed, never past
   max_body_size + 1 bytes). Returns 0, or the status to answer (400, 413, 503). */
TN__PRIVATE int tn__hs_req_inflate_body(tn_request *r) {
    tn_allocator *a = tn__loop_alloc(r->srv->loop);
    uint64_t max = r->srv->opts.max_body_size;
    size_t off = 0, n = 0, cap;
    if (r->body.len == 0) return 0;
    if (tn__hs_req_inflater(r) != TN_OK) return 503;
    cap = (size_t)TN__MIN((uint64_t)r->body.len * 4 + 1024, max + 1);
    if (!(r->inflated = (char *)tn__alloc(a, cap))) return 503;
    for (;;) {
        size_t used, made;
        int rc = tn_inflate(r->inf, r->body.ptr + off, r->body.len - off, &used, r->inflated + n, cap - n, &made);
        off += used;
        n += made;
        if (rc == TN_ELIMIT || n > max) return 413;   /* a bomb stops here: nothing more is allocated */
        if (rc < 0) return 400;
        if (rc == TN_INFLATE_END) {
            if (off == r->body.len) break;
            tn_inflater_reset(r->inf);   /* another gzip member follows */
        } else if (n == cap) {
            size_t ncap = (size_t)TN__MIN((uint64_t)cap * 2, max + 1);
            char *nb = (char *)tn__realloc(a, r->inflated, ncap);
            if (!nb) return 503;
            r->inflated = nb;
            cap = ncap;
        } else if (off == r->body.len) {
            return 400;   /* truncated */
        }
    }
    tn_inflater_free(r->inf);
    r->inf = NULL;
    r->body = tn_str_make(r->inflated, n);
    return 0;
}

TN__PRIVATE int tn__hs_req_gunzip_body(tn__hconn *c, tn_request *r) {
    int st = tn__hs_req_inflate_body(r);
    if (st) {
        TN__LLOG(r->srv->loop, TN_LOG_DEBUG, TN_EBAD_DEFLATE, "http: gzip request body: answered %d", st);
        tn__hc_fail(c, st);
    }
    return st;
}

/* A streamed gzip body: inflate a piece and hand the output to the body callback.
   Returns 0, 1 (the request is gone), -1 (an error was reported; the connection closes). */
TN__PRIVATE int tn__hs_req_inflate_piece(tn__hconn *c, tn_request *r, tn_str data) {
    char out[4096];
    size_t off = 0;
    int rc = tn__hs_req_inflater(r) == TN_OK ? TN_OK : TN_ENOMEM;
    while (rc >= 0) {
        size_t used, made = 0;
        if (r->inf_end && off < data.len) {
            tn_inflater_reset(r->inf);   /* another gzip member follows */
            r->inf_end = 0;
        }
        rc = tn_inflate(r->inf, data.ptr + off, data.len - off, &used, out, sizeof out, &made);
        off += used;
        if (rc == TN_ELIMIT || r->body_seen + made > r->srv->opts.max_body_size) rc = TN_EBODY_TOO_LARGE;
        if (rc < 0) break;
        if (rc == TN_INFLATE_END) r->inf_end = 1;
        if (made > 0) {
            r->body_seen += made;
            r->body_cb(r, TN_MORE, tn_str_make(out, made), r->body_user);
            if (c->req != r || !r->conn) return 1;
        }
        if (off == data.len && made < sizeof out) return 0;
    }
    r->streaming_done = 1;   /* reported once: neither the close nor TN_OK follow */
    r->body_cb(r, rc, tn_str_make(NULL, 0), r->body_user);
    if (c->req == r) (void)tn_stream_abort(tn__hc_stream(c), rc);
    return -1;
}

TN__PRIVATE void tn__hs_gzip_release(tn_allocator *a, tn_request *r) {
    if (!r->gz && !r->inf && !r->gzbuf && !r->inflated) return;
    tn_deflater_free(r->gz);
    tn_inflater_free(r->inf);
    tn__free(a, r->gzbuf);
    tn__free(a, r->inflated);
    r->gz = NULL;
    r->inf = NULL;
    r->gzbuf = r->inflated = NULL;
    r->gzcap = 0;
}

TN_API const tn_http_gzip_codec *tn_http_gzip(void) {
    static const tn_http_gzip_codec codec = { tn__hs_gzip_whole, tn__hs_gzip_start, tn__hs_gzip_piece,
                                              tn__hs_req_gunzip_body, tn__hs_req_inflate_piece,
                                              tn__hs_req_gunzip_setup, tn__hs_gzip_release };
    return &codec;
}
#else
TN_API const tn_http_gzip_codec *tn_http_gzip(void) { return NULL; }
#endif

TN__HS_HOT void tn__hc_dispatch(tn__hconn *c) {
    tn_request *r = c->req;
#if TN_HAS_DEFLATE
    if (r->gunzip && tn__hc_srv(c)->opts.gzip->inflate_body(c, r) != 0) return;   /* answered */
#endif
    /* pipelined requests behind this one: hold responses, send them together */
    if (tn__stream_peek(tn__hc_stream(c)).len > r->held) tn__stream_cork(tn__hc_stream(c), 1);
    c->state = TN__HC_HANDLER;
    r->dispatched = 1;
    tn__hc_deadline(c, TN__TQ_NONE);
    if (!(c->flags & TN__HCF_WATCH)) tn__hc_watch(c, 1);   /* notice a client that leaves while we work */
    tn__hc_srv(c)->on_request(r, tn__hc_srv(c)->user);
    if (tn__hc_detached(tn__hc_stream(c))) return;   /* the handler owns the stream (and c's bytes) now */
    if (c->req == r) tn__stream_cork(tn__hc_stream(c), 0);   /* answered later: do not hold earlier responses */
}

/* xheaders (Tornado's): the client's address from X-Real-Ip, else from X-Forwarded-For (its
   last entry: the one our proxy added); the protocol from X-Scheme, else from
   X-Forwarded-Proto (its first token); each taken only when valid. Read when asked
   (tn_request_remote_ip, tn_request_protocol), from the fields of a head the server took
   (protocol set: a head refused with 400 is not trusted for them), so a program that asks
   for neither does not link this. *v: the first of names k and k + 1 present. */
TN__PRIVATE int tn__hs_xh_get(const tn_request *r, int k, tn_str *v) {
    static const char names[4][18] = { "X-Real-Ip", "X-Forwarded-For", "X-Scheme", "X-Forwarded-Proto" };
    return r->srv->opts.xheaders && r->protocol &&
           (tn_http_header_get(r->p.headers, r->p.num_headers, names[k], v) == TN_OK ||
            tn_http_header_get(r->p.headers, r->p.num_headers, names[k + 1], v) == TN_OK);
}

/* The head is complete: check it, decide the body, and hand over or read on. */
TN__PRIVATE void tn__hc_head_done(tn__hconn *c, const char *base, size_t head_len) {
    tn_request *r = c->req;
    tn_http_server *srv = tn__hc_srv(c);
    if (srv->opts.on_headers || r->p.body_kind != TN_HTTP_BODY_NONE) tn__hc_unwatch(c);   /* not straight to the handler */
    r->head_len = head_len;
    r->held = head_len;
    r->base = base;
    if (r->p.version >= 11 && !(r->p.flags & TN_HTTP_F_HOST)) {
        TN__LLOG(srv->loop, TN_LOG_DEBUG, TN_EPARSE, "http: HTTP/1.1 request without one Host: answered 400");
        tn__hc_fail(c, 400);   /* RFC 9112 §3.2: exactly one Host */
        return;
    }
    if (r->p.target_form == TN_HTTP_TARGET_AUTHORITY) {
        tn__hc_fail(c, 405);   /* CONNECT: not a proxy */
        return;
    }
    if (r->p.body_kind == TN_HTTP_BODY_LENGTH && r->p.content_length > srv->opts.max_body_size) {
        TN__LLOG(srv->loop, TN_LOG_DEBUG, TN_EBODY_TOO_LARGE, "http: Content-Length %llu over max_body_size %llu: answered 413",
                 (unsigned long long)r->p.content_length, (unsigned long long)srv->opts.max_body_size);
        tn__hc_fail(c, 413);
        return;
    }
    r->head_only = tn_str_eq_c(r->p.method, "HEAD");
    r->close_after = srv->opts.no_keep_alive || !(r->p.flags & TN_HTTP_F_KEEP_ALIVE);
#if TN_HAS_OPENSSL
    r->protocol = tn_stream_is_tls(tn__hc_stream(c)) ? "https" : "http";
#else
    r->protocol = "http";
#endif
#if TN_HAS_DEFLATE
    if (srv->opts.gzip && r->p.body_kind != TN_HTTP_BODY_NONE) srv->opts.gzip->setup(r);
#endif
#if !defined(__OPTIMIZE_SIZE__)
    if (r->p.body_kind == TN_HTTP_BODY_CHUNKED) {   /* a fresh decoder */
        memset(&r->chunked, 0, sizeof r->chunked);
        r->chunked.max_body_bytes = srv->opts.max_body_size;
    }
#else
    r->chunked.max_body_bytes = srv->opts.max_body_size;   /* (-Os: cleared with the request) */
#endif
    r->dec_end = head_len;
    if (srv->opts.on_headers) {
        r->in_on_headers = 1;
        srv->opts.on_headers(r, srv->user);
        r->in_on_headers = 0;
        if (!c->req) return;   /* answered (or detached) from on_headers */
    }
    if (r->p.body_kind != TN_HTTP_BODY_NONE && (r->p.flags & TN_HTTP_F_EXPECT_CONTINUE) &&
        tn__stream_peek(tn__hc_stream(c)).len == head_len) {
        (void)tn_stream_write(tn__hc_stream(c), "HTTP/1.1 100 Continue\r\n\r\n", 25, NULL, NULL);
    }
    if (r->body_cb) {   /* (set from on_headers: tn_request_stream_body set srv->sb) */
        srv->sb->head(c, r, base, head_len);
        return;
    }
    if (r->p.body_kind == TN_HTTP_BODY_NONE) {
        tn__hc_dispatch(c);
        return;
    }
    c->state = TN__HC_BODY;
    tn__hc_deadline(c, TN__TQ_BODY);
    tn__hc_process(c);
}


/* Work on whatever the stream holds, by state; read more when needed. */
TN__PRIVATE void tn__hc_process(tn__hconn *c) {
    tn_http_server *srv = tn__hc_srv(c);
    tn_str data = tn__stream_peek(tn__hc_stream(c));
    tn_request *r;
    int rc;
    if (c->state == TN__HC_HEAD) {
        if (data.len == 0) {
            tn__hc_deadline(c, TN__TQ_IDLE);
            tn__hc_fill(c, 0);
            return;
        }
        int fresh = !c->req;
        if (fresh) {
            if (!(c->req = tn__hs_req_get(srv))) {
                tn__hc_fail(c, 503);
                return;
            }
            c->req->conn = c;
        }
        r = c->req;
        rc = tn_http_parse_request(data.ptr, data.len, &r->p);
        /* the first byte of a request: it must now arrive whole in header_timeout (a head
           that is here whole goes on at once: its next deadline, if any, is set below) */
        if (rc == TN_EINCOMPLETE) {
            if (fresh) tn__hc_deadline(c, TN__TQ_HEADER);
            tn__hc_fill(c, data.len);
            return;
        }
        if (rc < 0) {
            int st = tn_http_error_status(rc);
            TN__LLOG(srv->loop, TN_LOG_DEBUG, rc, "http: bad request: answered %d", st ? st : 400);
            tn__hc_fail(c, st ? st : 400);
            return;
        }
        if (fresh && srv->opts.on_headers) tn__hc_deadline(c, TN__TQ_HEADER);   /* (on_headers may keep it) */
        tn__hc_head_done(c, data.ptr, (size_t)rc);
        return;
    }
    if (c->state != TN__HC_BODY) return;
    r = c->req;
    if (r->body_cb) {
        srv->sb->body(c, r, data);
        return;
    }
    tn__hs_req_rebase(r, data.ptr);   /* (if the buffer grew and moved) */
    if (r->p.body_kind == TN_HTTP_BODY_LENGTH) {
        if (data.len - r->head_len >= r->p.content_length) {
            r->body = tn_str_make(data.ptr + r->head_len, (size_t)r->p.content_length);
            r->held = r->head_len + (size_t)r->p.content_length;
            tn__hc_dispatch(c);
            return;
        }
        tn__hc_fill(c, data.len);
        return;
    }
    /* buffered chunked body: decode in place right after the decoded part */
    if (data.len > r->dec_end) {
        char *raw = (char *)(uintptr_t)data.ptr + r->dec_end;
        size_t len = data.len - r->dec_end;
        rc = tn_http_decode_chunked(&r->chunked, raw, &len);
        if (rc < 0 && rc != TN_EINCOMPLETE) {
            tn__hc_fail(c, tn_http_error_status(rc));   /* 413 body, 431 trailer, 400 framing */
            return;
        }
        r->dec_end += len;
        /* keep the decoded body and (when complete) the next request's bytes; drop the rest */
        tn__stream_truncate(tn__hc_stream(c), r->dec_end + (rc >= 0 ? (size_t)rc : 0));
        if (rc >= 0) {
            r->body = tn_str_make(data.ptr + r->head_len, r->dec_end - r->head_len);
            r->held = r->dec_end;
            tn__hc_dispatch(c);
            return;
        }
    }
    tn__hc_fill(c, r->dec_end);
}

/* ---- streamed request bodies (tn_request_stream_body) ---- */
/* A streamed body piece to the handler (inflated first with decompress_request). Returns
   0, 1 (the request is gone), -1 (an error was reported). */
TN__PRIVATE int tn__hc_body_piece(tn__hconn *c, tn_request *r, tn_str data) {
#if TN_HAS_DEFLATE
    if (r->gunzip) return tn__hc_srv(c)->opts.gzip->inflate_piece(c, r, data);
#endif
    r->body_seen += data.len;
    r->body_cb(r, TN_MORE, data, r->body_user);
    return c->req != r || !r->conn;
}

/* Streamed body: hand out what is buffered, consuming it. Returns 1 when the body ended,
   0 when more is to come, -1 after a framing error (reported; the connection is closing). */
TN__PRIVATE int tn__hc_stream_body(tn__hconn *c, tn_str data) {
    tn_request *r = c->req;
    if (r->p.body_kind == TN_HTTP_BODY_LENGTH) {
        size_t take = (size_t)TN__MIN((uint64_t)data.len, r->body_left);
        if (take > 0) {
            int st;
            r->body_left -= take;
            if ((st = tn__hc_body_piece(c, r, tn_str_make(data.ptr, take))) != 0) return st;
            tn__stream_consume(tn__hc_stream(c), take);
        }
        return r->body_left == 0;
    } else {
        size_t len = data.len;
        int rc = tn_http_decode_chunked(&r->chunked, (char *)(uintptr_t)data.ptr, &len);
        if (rc < 0 && rc != TN_EINCOMPLETE) {
            r->streaming_done = 1;   /* reported once: neither the close nor TN_OK follow */
            r->body_cb(r, rc, tn_str_make(NULL, 0), r->body_user);
            if (c->req == r) (void)tn_stream_abort(tn__hc_stream(c), rc);
            return -1;
        }
        if (len > 0) {
            int st = tn__hc_body_piece(c, r, tn_str_make(data.ptr, len));
            if (st != 0) return st;
        }
        if (rc == TN_EINCOMPLETE) {
            tn__stream_consume(tn__hc_stream(c), data.len);
            return 0;
        }
        /* complete: the rc bytes after the body (the next request) sit at data.ptr + len;
           what lies beyond them is spent chunk framing */
        tn__stream_truncate(tn__hc_stream(c), len + (size_t)rc);
        tn__stream_consume(tn__hc_stream(c), len);
        return 1;
    }
}

/* The streamed body's head: it moves out of the buffer so the body can be consumed, and
   the body (if any) is read. */
TN__PRIVATE void tn__hs_sb_head(tn__hconn *c, tn_request *r, const char *base, size_t head_len) {
    r->own = (char *)tn__alloc(tn__loop_alloc(r->srv->loop), head_len);
    if (!r->own) {
        tn__hc_fail(c, 503);
        return;
    }
    memcpy(r->own, base, head_len);
    tn__hs_req_rebase(r, r->own);
    tn__stream_consume(tn__hc_stream(c), head_len);
    r->held = 0;
    r->body_left = r->p.body_kind == TN_HTTP_BODY_LENGTH ? r->p.content_length : 0;
    if (r->p.body_kind == TN_HTTP_BODY_NONE) {
        r->streaming_done = 1;
        c->state = TN__HC_HANDLER;
        r->dispatched = 1;
        r->body_cb(r, TN_OK, tn_str_make(NULL, 0), r->body_user);
        return;
    }
    c->state = TN__HC_BODY;
    tn__hc_deadline(c, TN__TQ_BODY);
    r->dispatched = 1;   /* the handler owns it from on_headers on */
    tn__hc_unwatch(c);
    tn__hc_process(c);
}

/* The streamed body's bytes (state TN__HC_BODY): handed out, then read on unless paused. */
TN__PRIVATE void tn__hs_sb_body(tn__hconn *c, tn_request *r, tn_str data) {
    if (data.len > 0 && !r->paused) {
        int ended = tn__hc_stream_body(c, data);
        if (ended < 0 || c->req != r) return;
        if (ended) {
            if (!r->conn) return;
#if TN_HAS_DEFLATE
            if (r->gunzip && r->inf && !r->inf_end) {   /* the gzip stream stopped early */
                r->streaming_done = 1;
                r->body_cb(r, TN_EBAD_DEFLATE, tn_str_make(NULL, 0), r->body_user);
                if (c->req == r) (void)tn_stream_abort(tn__hc_stream(c), TN_EBAD_DEFLATE);
                return;
            }
#endif
            r->streaming_done = 1;
            r->held = 0;
            c->state = TN__HC_HANDLER;
            tn__hc_watch(c, 1);
            tn__hc_deadline(c, TN__TQ_NONE);
            r->body_cb(r, TN_OK, tn_str_make(NULL, 0), r->body_user);
            return;
        }
        data = tn__stream_peek(tn__hc_stream(c));
    }
    if (!r->paused) tn__hc_fill(c, data.len);
}

static const struct tn__hs_sb_ops tn__hs_sb = { tn__hs_sb_head, tn__hs_sb_body };

TN_API int tn_request_stream_body(tn_request *req, tn_body_cb cb, void *user) {
    if (!req || !cb || !req->in_on_headers) return TN_EINVAL;
    if (req->body_cb) return TN_EBUSY;
    req->body_cb = cb;
    req->body_user = user;
    req->srv->sb = &tn__hs_sb;   /* (the server's streamed-body code: linked with this call) */
    return TN_OK;
}

/* Start on the next request of a keep-alive connection (pipelined bytes first). */
TN__PRIVATE void tn__hc_next(tn__hconn *c) {
    c->state = TN__HC_HEAD;
    tn__hc_process(c);
}

/* Passes per loop iteration. Each pass starts the next request of every connection
   scheduled before it, in order (fair); a connection whose pipelined request was answered at
   once is rescheduled and gets its next turn in the following pass. So up to this many
   buffered requests per connection are answered in one iteration, with no poll (and no
   change of poller interest) between them, and still no recursion inside handlers. */
#define TN__HS_BURST 32

TN__PRIVATE void tn__hs_on_ready(tn__defer *d) {
    tn_http_server *srv = (tn_http_server *)(void *)((char *)d - offsetof(tn_http_server, ready_d));
    tn__hconn *c;
    int pass;
    srv->in_ready = 1;
    for (pass = 0; pass < TN__HS_BURST && srv->ready_head; pass++) {
        tn__hconn *last = srv->ready_tail;
        c = srv->ready_head;
        /* only those scheduled before this pass: a connection rescheduled now waits a pass */
        srv->ready_head = srv->ready_tail = NULL;
        while (c) {
            tn__hconn *next = c->ready_next;
            int was_last = c == last;
            c->ready = 0;
            if (!tn__hc_detached(tn__hc_stream(c)) && !tn_stream_closed(tn__hc_stream(c)) && c->state != TN__HC_CLOSING &&
                c->state != TN__HC_LINGER) {
                if (c->state == TN__HC_BODY) tn__hc_process(c);   /* a resumed streamed body */
                else tn__hc_next(c);
            }
            if (was_last) break;
            c = next;
        }
    }
    /* rescheduling queued the node again: drop it when nothing is left for it; those left
       for the next iteration wait on the poller with their close watch off, as after any
       response */
    srv->in_ready = 0;
    if (!srv->ready_head) tn__defer_unqueue(srv->loop, &srv->ready_d);
    for (c = srv->ready_head; c; c = c->ready_next)
        if (!tn__hc_detached(tn__hc_stream(c)) && !c->req) tn__hc_unwatch(c);
}

/* ---- connections ---- */
TN__PRIVATE void tn__hc_on_close(tn_stream *s, int cause, void *user) {
    tn__hconn *c = (tn__hconn *)user;
    tn_http_server *srv = tn__hc_srv(c);
    tn_request *r = c->req;
    (void)s;
    (void)cause;
    tn__hs_tq_unlink(c);
    if (r) {
        r->conn = NULL;
        if (!r->dispatched || r->finished) {
            tn__hs_req_put(r);
        } else if (r->close_cb) {
            r->close_cb(r, r->close_user);
            if (!r->finished) {
                r->finished = 1;
                tn__hs_req_put(r);
            }
        } else if (r->body_cb && !r->streaming_done) {
            r->body_cb(r, cause ? cause : TN_ECLOSED, tn_str_make(NULL, 0), r->body_user);
            r->next_free = srv->orphans;
            srv->orphans = r;
        } else {
            /* the handler still holds it: released when it answers (or at server close) */
            r->next_free = srv->orphans;
            srv->orphans = r;
        }
    }
    srv->nconns--;
    tn__hc_unschedule(c);   /* the connection's memory goes with the stream, after this */
}

TN__PRIVATE void tn__hs_on_conn(tn_tcp_server *tcp, tn_stream *s, const tn_addr *peer, void *user) {
    tn_http_server *srv = (tn_http_server *)user;
    tn__hconn *c = (tn__hconn *)tn__tcp_conn_state(s);   /* allocated (zeroed) with the stream */
    (void)tcp;
    (void)peer;
    c->state = TN__HC_HEAD;
    c->tq = TN__TQ_NONE;
    srv->nconns++;
    tn_stream_set_close_cb(s, tn__hc_on_close, c);
    /* responses leave in one write each: Nagle would only delay them (as nginx, nodelay) */
    (void)tn_stream_set_nodelay(s, 1);
    tn__hc_process(c);
}

/* ---- server ---- */
TN__PRIVATE void tn__hs_free(tn_http_server *srv) {
    tn_allocator *a = tn__loop_alloc(srv->loop);
    if (srv->tq_timer) (void)tn_loop_cancel(srv->loop, srv->tq_timer);
    if (srv->close_timer) (void)tn_loop_cancel(srv->loop, srv->close_timer);
    tn__defer_unqueue(srv->loop, &srv->ready_d);
    while (srv->free_reqs) {
        tn_request *r = srv->free_reqs;
        srv->free_reqs = r->next_free;
        tn__hs_req_free(a, r);
    }
    while (srv->orphans) {
        tn_request *r = srv->orphans;
        srv->orphans = r->next_free;
        tn__free(a, r->own);
        tn__hs_req_free(a, r);
    }
    tn__free(a, srv->server_header);
    tn__free(a, srv->pre);
    tn__free(a, srv);
}

TN__PRIVATE void tn__hs_on_tcp_closed(tn_loop *loop, void *user) {
    tn_http_server *srv = (tn_http_server *)user;
    tn_cb cb = srv->close_cb;
    void *cu = srv->close_user;
    tn__hs_free(srv);
    if (cb) cb(loop, cu);
}

/* Graceful close, for each connection: idle ones go now, busy ones after their response. */
TN__PRIVATE void tn__hs_close_conn(tn_stream *s, void *ctx) {
    tn__hconn *c = (tn__hconn *)tn__tcp_conn_state(s);
    (void)ctx;
    if (tn__hc_detached(s)) return;
    if (!c->req && c->state != TN__HC_DRAIN) (void)tn_stream_close(s, NULL, NULL);
    else if (c->req) c->req->close_after = 1;
}

TN__PRIVATE void tn__hs_abort_conn(tn_stream *s, void *ctx) {
    (void)ctx;
    if (!tn__hc_detached(s)) (void)tn_stream_abort(s, TN_ETIMEOUT);
}

TN__PRIVATE void tn__hs_on_deadline(tn_loop *loop, void *user) {
    tn_http_server *srv = (tn_http_server *)user;
    (void)loop;
    srv->close_timer = 0;
    tn__tcp_server_each(srv->tcp, tn__hs_abort_conn, NULL);
}

/* The options with their defaults (server_header is copied by the caller). */
TN__PRIVATE void tn__hs_opts_resolve(const tn_http_server_opts *in, tn_http_server_opts *o) {
    memset(o, 0, sizeof *o);
    if (in) *o = *in;
    o->max_header_size = TN__DEF(o->max_header_size, TORNADO_MAX_HEADER_BYTES);
    o->max_headers = TN__DEF(o->max_headers, TORNADO_MAX_HEADERS);
    o->max_target_length = TN__DEF(o->max_target_length, TORNADO_MAX_TARGET_LENGTH);
    o->max_body_size = TN__DEF(o->max_body_size, TORNADO_MAX_BODY_BYTES);
    o->idle_connection_timeout_ms = TN__DEF(o->idle_connection_timeout_ms, TORNADO_HTTP_IDLE_TIMEOUT_MS);
    o->header_timeout_ms = TN__DEF(o->header_timeout_ms, TORNADO_HTTP_HEADER_TIMEOUT_MS);
#if TN_HAS_DEFLATE   /* (without the codec the compression options are ignored) */
    o->compress_level = TN__DEF(o->compress_level, TORNADO_GZIP_LEVEL);
    o->compress_window_bits = TN__DEF(o->compress_window_bits, TORNADO_GZIP_WINDOW_BITS);
#endif
    /* the stream buffer holds a head and a buffered body at once */
    if (!o->tcp.stream.max_buffer_size)
        o->tcp.stream.max_buffer_size = (size_t)TN__MIN((uint64_t)((size_t)-1 / 2), o->max_body_size + o->max_header_size + 65536);
    if (!o->server_header) o->server_header = "tornado.h/" TORNADO_VERSION;
    if (!o->tcp.tls) o->tcp.tls = o->tls;
}

TN_API int tn_http_server_new(tn_loop *loop, const tn_http_server_opts *opts, tn_request_cb on_request,
                              void *user, tn_http_server **out) {
    tn_http_server *srv;
    const char *sh;
    size_t shl;
    int rc;
    if (!loop || !on_request || !out) return TN_EINVAL;
    *out = NULL;
#if TN_HAS_DEFLATE
    if (opts && ((opts->compress_level && (opts->compress_level < 1 || opts->compress_level > 9)) ||
                 (opts->compress_window_bits && (opts->compress_window_bits < 9 || opts->compress_window_bits > 15))))
        return TN_EINVAL;
    if (opts && (opts->compress_response || opts->decompress_request) && !opts->gzip) {
        TN__LLOG(loop, TN_LOG_ERROR, TN_EINVAL, "http: compress_response/decompress_request need opts.gzip = tn_http_gzip()");
        return TN_EINVAL;
    }
#endif
    srv = (tn_http_server *)tn__calloc(tn__loop_alloc(loop), sizeof *srv);
    if (!srv) return TN_ENOMEM;
    tn__hs_opts_resolve(opts, &srv->opts);
    srv->loop = loop;
    srv->on_request = on_request;
    srv->user = user;
    sh = srv->opts.server_header;   /* (never NULL: resolved) */
    if ((shl = tn__hs_hdr_value_len(sh)) == (size_t)-1) {
        rc = TN_EINVAL;   /* a Server value that would break the head (CR, LF, NUL, ...) */
    } else if (!(srv->server_header = tn__strdup(tn__loop_alloc(loop), sh))) {
        rc = TN_ENOMEM;
    } else {
        srv->opts.server_header = srv->server_header;
        srv->server_header_len = shl;
        srv->req_size = sizeof(tn_request) + srv->opts.max_headers * sizeof(tn_http_header);
        if ((rc = tn__hs_pre_make(srv)) == 0 &&
            (rc = tn_tcp_server_new(loop, &srv->opts.tcp, tn__hs_on_conn, srv, &srv->tcp)) == 0) {
            tn__tcp_server_set_conn_extra(srv->tcp, sizeof(tn__hconn));
            tn__defer_init(&srv->ready_d, tn__hs_on_ready, NULL);
            *out = srv;
            return TN_OK;
        }
    }
    /* (one cleanup for every failure: what was not made is NULL) */
    tn__free(tn__loop_alloc(loop), srv->pre);
    tn__free(tn__loop_alloc(loop), srv->server_header);
    tn__free(tn__loop_alloc(loop), srv);
    return rc;
}

TN_API int tn_http_server_listen(tn_http_server *srv, const char *host, int port) {
    return srv ? tn_tcp_server_listen(srv->tcp, host, port) : TN_EINVAL;
}
TN_API int tn_http_server_listen_unix(tn_http_server *srv, const char *path, int mode) {
    return srv ? tn_tcp_server_listen_unix(srv->tcp, path, mode) : TN_EINVAL;
}
TN_API int tn_http_server_add_socket(tn_http_server *srv, tn_socket fd) {
    return srv ? tn_tcp_server_add_socket(srv->tcp, fd) : TN_EINVAL;
}
TN_API int tn_http_server_port(const tn_http_server *srv) { return tn_tcp_server_port(srv->tcp); }
TN_API size_t tn_http_server_connections(const tn_http_server *srv) { return srv->nconns; }
TN_API const tn_http_server_opts *tn_http_server_get_opts(const tn_http_server *srv) { return &srv->opts; }
TN_API tn_loop *tn_http_server_loop(const tn_http_server *srv) { return srv->loop; }

TN_API int tn_http_server_close(tn_http_server *srv, uint64_t deadline_ms, tn_cb cb, void *user) {
    int rc;
    if (!srv) return TN_EINVAL;
    if (srv->closing) return TN_ECLOSED;
    srv->closing = 1;
    srv->close_cb = cb;
    srv->close_user = user;
    /* idle connections go now; busy ones after their response (or at the deadline) */
    tn__tcp_server_each(srv->tcp, tn__hs_close_conn, NULL);
    if (deadline_ms && srv->nconns > 0)
        (void)tn_loop_call_later(srv->loop, deadline_ms, tn__hs_on_deadline, srv, &srv->close_timer);
    rc = tn_tcp_server_close(srv->tcp, tn__hs_on_tcp_closed, srv);
    return rc;
}

/* ---- request accessors ---- */
TN_API tn_str tn_request_method(const tn_request *req) { return req->p.method; }
TN_API tn_str tn_request_target(const tn_request *req) { return req->p.target; }
TN_API tn_str tn_request_path(const tn_request *req) {
    const char *q;
#if !defined(__OPTIMIZE_SIZE__)
    if (req->p.target.len <= 16) {   /* short targets ("/"): no call */
        size_t i;
        for (i = 0; i < req->p.target.len && req->p.target.ptr[i] != '?'; i++) continue;
        return tn_str_make(req->p.target.ptr, i);
    }
#endif
    q = req->p.target.len ? (const char *)memchr(req->p.target.ptr, '?', req->p.target.len) : NULL;
    return tn_str_make(req->p.target.ptr, q ? (size_t)(q - req->p.target.ptr) : req->p.target.len);
}
TN_API tn_str tn_request_query(const tn_request *req) {
    const char *q = req->p.target.len ? (const char *)memchr(req->p.target.ptr, '?', req->p.target.len) : NULL;
    if (!q) return tn_str_make(NULL, 0);
    return tn_str_make(q + 1, req->p.target.len - (size_t)(q + 1 - req->p.target.ptr));
}
TN_API int tn_request_version(const tn_request *req) { return req->p.version; }
TN_API const tn_http_header *tn_request_headers(const tn_request *req, size_t *n) {
    if (n) *n = req->p.num_headers;
    return req->p.headers;
}
TN_API int tn_request_header(const tn_request *req, const char *name, tn_str *value) {
    return tn_http_header_get(req->p.headers, req->p.num_headers, name, value);
}
TN_API tn_str tn_request_body(const tn_request *req) { return req->body; }
TN_API const char *tn_request_remote_ip(const tn_request *req) {
    tn_request *r = (tn_request *)(uintptr_t)req;   /* filled on first use: a system call */
    tn_str v;
    if (!r->remote_ip_known) {
        tn_addr a;
        r->remote_ip_known = 1;
        if (tn__hs_xh_get(r, 0, &v)) {   /* (its last entry, trimmed) */
            size_t s, e = v.len;
            while (e > 0 && (v.ptr[e - 1] == ' ' || v.ptr[e - 1] == '\t')) e--;
            s = e;
            while (s > 0 && v.ptr[s - 1] != ',') s--;
            while (s < e && (v.ptr[s] == ' ' || v.ptr[s] == '\t')) s++;
            if (e > s && e - s < sizeof r->remote_ip) {
                memcpy(r->remote_ip, v.ptr + s, e - s);
                r->remote_ip[e - s] = 0;
                if (tn_is_valid_ip(r->remote_ip)) return r->remote_ip;
                r->remote_ip[0] = 0;
            }
        }
        /* the socket's peer; "" if the client is already gone */
        if (tn_request_peer(r, &a) == TN_OK &&
            (tn_addr_family(&a) == TN_AF_UNIX || tn_addr_ip(&a, r->remote_ip, sizeof r->remote_ip) < 0))
            strcpy(r->remote_ip, "unix");
    }
    return r->remote_ip;
}
TN_API const char *tn_request_protocol(const tn_request *req) {
    tn_str v;
    if (tn__hs_xh_get(req, 2, &v)) {   /* (its first token) */
        size_t s = 0, e;
        while (s < v.len && (v.ptr[s] == ' ' || v.ptr[s] == '\t')) s++;
        e = s;
        while (e < v.len && v.ptr[e] != ',' && v.ptr[e] != ' ' && v.ptr[e] != '\t') e++;
        v = tn_str_make(v.ptr + s, e - s);
        if (tn_str_ieq(v, TN__HS_LIT("https"))) return "https";
        if (tn_str_ieq(v, TN__HS_LIT("http"))) return "http";
    }
    return req->protocol;
}
TN_API int tn_request_peer(const tn_request *req, tn_addr *out) {
    if (!req->conn) return TN_ECLOSED;
    return tn_stream_peer(tn__hc_stream(req->conn), out);
}
TN_API tn_http_server *tn_request_server(const tn_request *req) { return req->srv; }
TN_API tn_stream *tn_request_stream(const tn_request *req) { return req->conn ? tn__hc_stream(req->conn) : NULL; }
TN_API void tn_request_set_user(tn_request *req, void *user) { req->user = user; }
TN_API void *tn_request_get_user(const tn_request *req) { return req->user; }
TN_API void tn_request_set_close_cb(tn_request *req, tn_request_cb cb, void *user) {
    req->close_cb = cb;
    req->close_user = user;
}
TN_API void tn_request_get_close_cb(const tn_request *req, tn_request_cb *cb, void **user) {
    *cb = req->close_cb;
    *user = req->close_user;
}
TN_API void tn_request_set_finish_cb(tn_request *req, tn_request_cb cb, void *user) {
    req->finish_cb = cb;
    req->finish_user = user;
}


TN_API void tn_request_pause(tn_request *req) { req->paused = 1; }

TN_API void tn_request_resume(tn_request *req) {
    if (!req->paused) return;
    req->paused = 0;
    if (req->conn && req->conn->state == TN__HC_BODY && !(req->conn->flags & TN__HCF_READING))
        tn__hc_schedule(req->conn);
}

#endif /* TN_HAS_HTTP_SERVER */
