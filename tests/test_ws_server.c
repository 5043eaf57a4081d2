/* test_ws_server.c: WebSocket connections (tn_ws) over real sockets: the server upgrade from
   the raw HTTP server and from a tn_app route (Tornado's handshake rules: 400, 426, 403,
   origin allow-list and callback, subprotocols), messages (text, binary, fragmented with
   pings between, 16 MiB, streaming receive), limits (1009, 1007, 1002, write buffer), the
   close handshake (echo, codes, timeouts, exactly one on_close), keepalive pings, the
   client (against our server, refused, bad answers, wss), and memory per idle connection.
   The peer of the server tests is a blocking raw-socket client built on the frame codec. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include "tn_test_client.h"
#include <pthread.h>
#include <sys/resource.h>

/* ---- the server under test: a loop on a thread ---- */

#define MAX_WS 4096

typedef struct server {
    tn_loop *loop;
    tn_http_server *srv;
    tn_app *app;
    pthread_t th;
    int port;
    tn_ws_opts opts;               /* for tn_ws_accept */
    tn_ws *open[MAX_WS];
    volatile int opens, messages, closes, pings, pongs, fragments, send_cbs, send_errs;
    volatile int close_code;
    char close_reason[128];
    volatile int last_opcode;
    volatile size_t last_len;
    volatile int accept_rc;
    volatile int stream_bytes;
    int streaming;                 /* use on_fragment */
    int no_send_cb;                /* echo without a completion callback */
    int server_closes_after;       /* > 0: the server closes after this many messages */
    int close_with;                /* the code it closes with */
    int vary_limit;                /* > 0: max_message_size = vary_limit + the number in the path ("/v7") */
    char cookie[64];               /* tn_app route: the cookie seen at open */
    char capture[64];              /* tn_app route: the path capture seen at open */
    volatile size_t zmem;          /* tn_ws_compression_memory at the last message */
    volatile int zon;              /* the last message's connection compresses */
} server;

static server *g;

static void ws_track(server *s, tn_ws *ws, int add) {
    int i;
    for (i = 0; i < MAX_WS; i++)
        if (add ? s->open[i] == NULL : s->open[i] == ws) {
            s->open[i] = add ? ws : NULL;
            return;
        }
}

static void on_sent(tn_ws *ws, int status, void *user) {
    server *s = (server *)user;
    (void)ws;
    if (status == TN_OK) s->send_cbs++;
    else s->send_errs++;
}

static void on_message(tn_ws *ws, int opcode, tn_str data, void *user) {
    server *s = (server *)user;
    s->zmem = tn_ws_compression_memory(ws);
    s->zon = tn_ws_compression(ws, NULL);
    s->messages++;
    s->last_opcode = opcode;
    s->last_len = data.len;
    if (s->server_closes_after && s->messages >= s->server_closes_after) {
        TN_OK_RC(tn_ws_close(ws, s->close_with, "bye", 3));
        TN_EQ_RC(tn_ws_send(ws, TN_WS_TEXT, "x", 1, NULL, NULL), TN_ECLOSED);
        TN_EQ_RC(tn_ws_close(ws, 1000, NULL, 0), TN_ECLOSED);
        return;
    }
    TN_OK_RC(tn_ws_send(ws, opcode, data.ptr, data.len, s->no_send_cb ? NULL : on_sent, s));   /* echo */
}

static void on_fragment(tn_ws *ws, int opcode, tn_str data, int last, void *user) {
    server *s = (server *)user;
    char msg[64];
    s->fragments++;
    s->stream_bytes += (int)data.len;
    if (last) {
        int n = snprintf(msg, sizeof msg, "streamed %d", s->stream_bytes);
        s->messages++;
        s->last_opcode = opcode;
        TN_OK_RC(tn_ws_send(ws, TN_WS_TEXT, msg, (size_t)n, NULL, NULL));
        s->stream_bytes = 0;
    }
}

static void on_ping(tn_ws *ws, tn_str data, void *user) {
    (void)ws;
    (void)data;
    ((server *)user)->pings++;
}

static void on_pong(tn_ws *ws, tn_str data, void *user) {
    (void)ws;
    (void)data;
    ((server *)user)->pongs++;
}

static void on_close(tn_ws *ws, int code, tn_str reason, void *user) {
    server *s = (server *)user;
    s->close_code = code;
    snprintf(s->close_reason, sizeof s->close_reason, "%.*s", (int)reason.len, reason.ptr ? reason.ptr : "");
    ws_track(s, ws, 0);
    __sync_synchronize();   /* the test thread reads code and reason once it sees the count */
    s->closes++;
}

static tn_ws_handler handler_for(server *s) {
    tn_ws_handler h;
    memset(&h, 0, sizeof h);
    if (s->streaming) h.on_fragment = on_fragment;
    else h.on_message = on_message;
    h.on_ping = on_ping;
    h.on_pong = on_pong;
    h.on_close = on_close;
    return h;
}

/* The raw HTTP server's request handler: every path upgrades, except /plain. */
static void http_handler(tn_request *req, void *user) {
    server *s = (server *)user;
    tn_ws_handler h = handler_for(s);
    tn_ws *ws = NULL;
    if (tn_str_eq_c(tn_request_path(req), "/plain")) {
        tn_respond(req, 200, "text/plain", "plain", 5);
        return;
    }
    if (tn_str_eq_c(tn_request_path(req), "/refuse")) {   /* an HTTP error before accepting */
        tn_respond_error(req, 401, NULL);
        return;
    }
    if (s->vary_limit) {   /* options of its own per connection */
        tn_ws_opts o = s->opts;
        tn_str p = tn_request_path(req);
        o.max_message_size = (uint64_t)s->vary_limit + (uint64_t)atoi(p.len > 2 ? p.ptr + 2 : "0");
        s->accept_rc = tn_ws_accept(req, &o, &h, s, &ws);
    } else {
        s->accept_rc = tn_ws_accept(req, &s->opts, &h, s, &ws);
    }
    if (s->accept_rc == TN_OK) {
        s->opens++;
        ws_track(s, ws, 1);   /* req is gone from here on */
    }
}

/* A tn_app route with a capture: reads the capture and a cookie, then accepts. */
static void app_ws_route(tn_request *req, const tn_route_match *m, void *user) {
    server *s = (server *)user;
    tn_ws_handler h = handler_for(s);
    tn_str cap, cookie;
    tn_ws *ws = NULL;
    (void)m;
    if (tn_web_path_arg(req, "room", &cap) == TN_OK)
        snprintf(s->capture, sizeof s->capture, "%.*s", (int)cap.len, cap.ptr);
    if (tn_web_get_cookie(req, "user", &cookie) == TN_OK)
        snprintf(s->cookie, sizeof s->cookie, "%.*s", (int)cookie.len, cookie.ptr);
    if (tn_str_eq_c(cap, "forbidden")) {
        tn_web_send_error(req, 403, NULL);
        return;
    }
    tn_web_set_cookie(req, "seen", tn_str_c("1"), NULL);
    s->accept_rc = tn_ws_accept(req, &s->opts, &h, s, &ws);
    if (s->accept_rc == TN_OK) {
        s->opens++;
        ws_track(s, ws, 1);
        TN_OK_RC(tn_ws_send(ws, TN_WS_TEXT, "welcome", 7, NULL, NULL));
    }
}

static void *server_thread(void *u) {
    tn_loop_run(((server *)u)->loop);
    return NULL;
}

static counting_alloc *g_loop_ca;

static server *start_server_opts(const tn_ws_opts *wo, int use_app) {
    server *s = (server *)calloc(1, sizeof *s);
    tn_loop_opts lo;
    memset(&lo, 0, sizeof lo);
    if (wo) s->opts = *wo;
    if (g_loop_ca) lo.allocator = tn_test_counting(g_loop_ca);
    TN_OK_RC(tn_loop_new(&lo, &s->loop));
    if (use_app) {
        TN_OK_RC(tn_app_new(s->loop, NULL, &s->app));
        TN_OK_RC(tn_app_route(s->app, "GET", "/room/{room}", app_ws_route, s));
        TN_OK_RC(tn_app_listen(s->app, "127.0.0.1", 0));
        s->port = tn_http_server_port(tn_app_server(s->app));
    } else {
        TN_OK_RC(tn_http_server_new(s->loop, NULL, http_handler, s, &s->srv));
        TN_OK_RC(tn_http_server_listen(s->srv, "127.0.0.1", 0));
        s->port = tn_http_server_port(s->srv);
    }
    g = s;
    return s;
}

static void run_server(server *s) { TN_CHECK(pthread_create(&s->th, NULL, server_thread, s) == 0); }

static server *start_server(const tn_ws_opts *wo) {
    server *s = start_server_opts(wo, 0);
    run_server(s);
    return s;
}

static void on_srv_closed(tn_loop *loop, void *user) {
    (void)user;
    tn_loop_stop(loop);
}

static void close_all(tn_loop *loop, void *user) {
    server *s = (server *)user;
    int i;
    (void)loop;
    for (i = 0; i < MAX_WS; i++)
        if (s->open[i]) (void)tn_ws_abort(s->open[i]);
    if (s->app) TN_OK_RC(tn_app_close(s->app, 2000, on_srv_closed, s));
    else TN_OK_RC(tn_http_server_close(s->srv, 2000, on_srv_closed, s));
}

/* Stop from the test thread: open WebSockets are aborted (the HTTP server does not own
   detached connections), the server closes, and nothing may be left alive. */
static void stop_server(server *s) {
    TN_OK_RC(tn_loop_post(s->loop, close_all, s));
    TN_CHECK(pthread_join(s->th, NULL) == 0);
    TN_OK_RC(tn_loop_free(s->loop));
    free(s);
}

static void wait_for(volatile int *v, int want, int ms) {
    int i;
    for (i = 0; i < ms / 5 && *v < want; i++) usleep(5000);
    __sync_synchronize();   /* what the server thread wrote before the count is seen whole */
}

/* ---- a blocking WebSocket client on a raw socket (the codec frames it) ---- */

typedef struct wcli {
    int fd;
    tn_ws_parser p;
    char *in;
    size_t in_len, in_cap;
    char head[4096];               /* the handshake answer */
} wcli;

static const char *KEY = "dGhlIHNhbXBsZSBub25jZQ==";   /* RFC 6455's sample */
static unsigned g_rx_rsv;                                /* RSV bits of the last message received */

/* Send a handshake request (extra: more header lines, each ending in \r\n) and read the
   answer head. Returns the status. */
static int wcli_open_req(wcli *c, int port, const char *path, const char *extra) {
    char req[2048];
    size_t n = 0;
    memset(c, 0, sizeof *c);
    c->p.role = TN_WS_CLIENT;
    c->p.max_message_size = (uint64_t)1 << 40;
    c->fd = cli_connect(port, 0);
    snprintf(req, sizeof req,
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
             path, port, KEY, extra ? extra : "");
    cli_sends(c->fd, req);
    /* read byte by byte up to the end of the head, so frames after it stay in the socket */
    while (n + 1 < sizeof c->head) {
        long k = cli_recv_some(c->fd, c->head + n, 1, 3000);
        if (k <= 0) break;
        n++;
        if (n >= 4 && memcmp(c->head + n - 4, "\r\n\r\n", 4) == 0) break;
    }
    c->head[n] = 0;
    if (n < 12) return 0;
    return atoi(c->head + 9);
}

static void wcli_open(wcli *c, int port, const char *path) {
    int st = wcli_open_req(c, port, path, NULL);
    TN_CHECKF(st == 101, "handshake: %s", c->head);
    TN_CHECK(strstr(c->head, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != NULL);
    TN_CHECK(strstr(c->head, "Upgrade: websocket\r\n") != NULL);
    TN_CHECK(strstr(c->head, "Connection: Upgrade\r\n") != NULL);
}

/* Send one frame, masked (mask 0: an unmasked frame, a protocol error from a client), with
   RSV bits (a compressed message's first frame: TN_WS_RSV1). */
static void wcli_frame_rsv(wcli *c, int opcode, int fin, unsigned rsv, const void *data, size_t len, int mask) {
    char hdr[TN_WS_MAX_HEADER], *buf = (char *)malloc(len + TN_WS_MAX_HEADER);
    tn_ws_frame f;
    int n;
    memset(&f, 0, sizeof f);
    f.fin = fin;
    f.opcode = opcode;
    f.rsv = rsv;
    f.length = len;
    f.masked = mask;
    memcpy(f.mask, "\x12\x34\x56\x78", 4);
    n = tn_ws_write_header(hdr, sizeof hdr, &f);
    TN_CHECK(n > 0);
    memcpy(buf, hdr, (size_t)n);
    if (len) memcpy(buf + n, data, len);
    if (mask) tn_ws_mask(buf + n, len, f.mask, 0);
    cli_send_lenient(c->fd, buf, (size_t)n + len);
    free(buf);
}

static void wcli_frame(wcli *c, int opcode, int fin, const void *data, size_t len, int mask) {
    wcli_frame_rsv(c, opcode, fin, 0, data, len, mask);
}

static void wcli_send(wcli *c, int opcode, const void *data, size_t len) { wcli_frame(c, opcode, 1, data, len, 1); }

/* Raw bytes, e.g. a hand-made bad frame. */
static void wcli_raw(wcli *c, const char *bytes, size_t n) { cli_send_lenient(c->fd, bytes, n); }

/* Receive the next message or control frame. Returns its opcode (payload in *out, malloc'd,
   NUL-terminated; *len its length), 0 on EOF or timeout, -1 on a protocol error. */
static int wcli_recv(wcli *c, char **out, size_t *len, int timeout_ms) {
    char *msg = NULL;
    size_t mlen = 0;
    for (;;) {
        while (c->in_len > 0) {
            tn_ws_event ev;
            int rc = tn_ws_parse(&c->p, c->in, c->in_len, &ev);
            size_t used = rc == TN_EINCOMPLETE ? c->in_len : (size_t)rc;
            if (rc < 0 && rc != TN_EINCOMPLETE) {
                free(msg);
                return -1;
            }
            if (rc > 0) {
                msg = (char *)realloc(msg, mlen + ev.data.len + 1);
                memcpy(msg + mlen, ev.data.ptr, ev.data.len);
                mlen += ev.data.len;
            }
            memmove(c->in, c->in + used, c->in_len - used);
            c->in_len -= used;
            if (rc > 0 && (ev.flags & TN_WS_EV_MESSAGE_END)) {
                g_rx_rsv = ev.rsv;
                if (!msg) msg = (char *)malloc(1);
                msg[mlen] = 0;
                *out = msg;
                *len = mlen;
                return ev.opcode;
            }
        }
        if (c->in_cap - c->in_len < 65536) {
            c->in_cap = c->in_cap * 2 + 65536;
            c->in = (char *)realloc(c->in, c->in_cap);
        }
        {
            long k = cli_recv_some(c->fd, c->in + c->in_len, c->in_cap - c->in_len, timeout_ms);
            if (k <= 0) {
                free(msg);
                return 0;
            }
            c->in_len += (size_t)k;
        }
    }
}

/* Expect a message of this opcode and content. */
static void wcli_expect(wcli *c, int opcode, const char *data, size_t len) {
    char *m = NULL;
    size_t n = 0;
    int op = wcli_recv(c, &m, &n, 5000);
    TN_EQ_INT(op, opcode);
    TN_EQ_UINT(n, len);
    if (len) TN_CHECK(memcmp(m, data, len) == 0);
    free(m);
}

/* Expect a close frame with this code (0: an empty one); then the server ends the TCP
   connection. */
static void wcli_expect_close(wcli *c, int code) {
    char *m = NULL, *m2 = NULL;
    size_t n = 0, n2 = 0;
    int op = wcli_recv(c, &m, &n, 7000);
    TN_EQ_INT(op, TN_WS_CLOSE);
    if (code == 0) {
        TN_EQ_UINT(n, 0);
    } else {
        TN_CHECK(n >= 2);
        TN_EQ_INT(((unsigned char)m[0] << 8) | (unsigned char)m[1], code);
    }
    free(m);
    TN_EQ_INT(wcli_recv(c, &m2, &n2, 7000), 0);   /* then EOF */
}

static void wcli_close(wcli *c) {
    close(c->fd);
    free(c->in);
}

/* ---- tests: the handshake ---- */

TN_TEST(handshake_accepts_and_echoes) {
    server *s = start_server(NULL);
    wcli c;
    wcli_open(&c, s->port, "/echo");
    wcli_send(&c, TN_WS_TEXT, "hello", 5);
    wcli_expect(&c, TN_WS_TEXT, "hello", 5);
    wcli_send(&c, TN_WS_BINARY, "\x00\xff\x01", 3);
    wcli_expect(&c, TN_WS_BINARY, "\x00\xff\x01", 3);
    wcli_send(&c, TN_WS_TEXT, "", 0);
    wcli_expect(&c, TN_WS_TEXT, "", 0);
    /* a plain request on another connection still works */
    {
        char buf[1024];
        int closed;
        int fd = cli_connect(s->port, 0);
        cli_sends(fd, "GET /plain HTTP/1.1\r\nHost: t\r\n\r\n");
        cli_recv_n(fd, buf, sizeof buf, 2000, &closed, 1);
        TN_CHECK(strstr(buf, "HTTP/1.1 200") != NULL);
        close(fd);
    }
    wcli_send(&c, TN_WS_CLOSE, "\x03\xe8" "done", 6);
    wcli_expect_close(&c, 1000);
    wait_for(&s->closes, 1, 2000);
    TN_EQ_INT(s->closes, 1);
    TN_EQ_INT(s->close_code, 1000);
    TN_EQ_STR(s->close_reason, "done");
    TN_EQ_INT(s->send_cbs, 3);
    wcli_close(&c);
    stop_server(s);
}

/* Every refusal: its status, the connection still speaks HTTP (keep-alive) or closes. */
static void expect_status(int port, const char *req, int status, const char *must) {
    char buf[4096];
    int closed;
    int fd = cli_connect(port, 0);
    cli_sends(fd, req);
    cli_recv_n(fd, buf, sizeof buf, 3000, &closed, 1);
    TN_CHECKF(atoi(buf + 9) == status, "want %d, got: %.200s", status, buf);
    if (must) TN_CHECKF(strstr(buf, must) != NULL, "missing %s in: %.300s", must, buf);
    close(fd);
}

#define HS_BASE "Host: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
#define HS_KEY "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define HS_V13 "Sec-WebSocket-Version: 13\r\n"

TN_TEST(handshake_refusals) {
    server *s = start_server(NULL);
    /* 400: not GET, no Upgrade, wrong Upgrade, no Connection upgrade, bad or missing key, HTTP/1.0 */
    expect_status(s->port, "POST /x HTTP/1.1\r\n" HS_BASE HS_KEY HS_V13 "Content-Length: 0\r\n\r\n", 400, NULL);
    expect_status(s->port, "GET /x HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\n" HS_KEY HS_V13 "\r\n", 400, NULL);
    expect_status(s->port, "GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n" HS_KEY HS_V13 "\r\n", 400, NULL);
    expect_status(s->port, "GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n" HS_KEY HS_V13 "\r\n", 400, NULL);
    expect_status(s->port, "GET /x HTTP/1.1\r\n" HS_BASE "Sec-WebSocket-Key: c2hvcnQ=\r\n" HS_V13 "\r\n", 400, NULL);
    expect_status(s->port, "GET /x HTTP/1.1\r\n" HS_BASE HS_V13 "\r\n", 400, NULL);
    /* 426 with the version we speak */
    expect_status(s->port, "GET /x HTTP/1.1\r\n" HS_BASE HS_KEY "Sec-WebSocket-Version: 8\r\n\r\n", 426,
                  "Sec-WebSocket-Version: 13\r\n");
    expect_status(s->port, "GET /x HTTP/1.1\r\n" HS_BASE HS_KEY "\r\n", 426, "Sec-WebSocket-Version: 13\r\n");
    /* 403: a cross-origin request; the same origin, case-insensitive, and no Origin pass */
    expect_status(s->port, "GET /x HTTP/1.1\r\n" HS_BASE HS_KEY HS_V13 "Origin: http://evil.example\r\n\r\n", 403, NULL);
    expect_status(s->port, "GET /x HTTP/1.1\r\n" HS_BASE HS_KEY HS_V13 "Origin: http://H\r\n\r\n", 101, NULL);
    expect_status(s->port, "GET /x HTTP/1.1\r\n" HS_BASE HS_KEY HS_V13 "\r\n", 101, NULL);
    /* Connection as a list, any case */
    expect_status(s->port, "GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\nConnection: keep-alive, UPGRADE\r\n" HS_KEY HS_V13 "\r\n", 101, NULL);
    /* a handler may answer with an HTTP error instead */
    expect_status(s->port, "GET /refuse HTTP/1.1\r\n" HS_BASE HS_KEY HS_V13 "\r\n", 401, NULL);
    TN_EQ_RC(s->accept_rc, TN_OK);
    stop_server(s);
}

static int origin_cb(tn_str origin, tn_str host, void *user) {
    (void)host;
    (void)user;
    return tn_str_eq_c(origin, "https://friend.example");
}

TN_TEST(origin_allow_list_callback_and_subprotocols) {
    static const char *const allowed[] = { "https://app.example" };
    static const char *const protos[] = { "chat.v2", "chat.v1" };
    tn_ws_opts o;
    server *s;
    wcli c;
    memset(&o, 0, sizeof o);
    o.allowed_origins = allowed;
    o.num_allowed_origins = 1;
    o.check_origin = origin_cb;
    o.subprotocols = protos;
    o.num_subprotocols = 2;
    s = start_server(&o);
    expect_status(s->port, "GET /x HTTP/1.1\r\n" HS_BASE HS_KEY HS_V13 "Origin: https://app.example\r\n\r\n", 101, NULL);
    expect_status(s->port, "GET /x HTTP/1.1\r\n" HS_BASE HS_KEY HS_V13 "Origin: https://friend.example\r\n\r\n", 101, NULL);
    expect_status(s->port, "GET /x HTTP/1.1\r\n" HS_BASE HS_KEY HS_V13 "Origin: http://h\r\n\r\n", 403,
                  "Cross origin websockets not allowed");
    {   /* the handler stores the result after the refusal went out */
        int i;
        for (i = 0; i < 200 && s->accept_rc != TN_EWS_ORIGIN; i++) usleep(5000);
    }
    TN_EQ_RC(s->accept_rc, TN_EWS_ORIGIN);
    /* the client's first choice we support wins; none in common: no header, still 101 */
    TN_EQ_INT(wcli_open_req(&c, s->port, "/p", "Sec-WebSocket-Protocol: x, chat.v1\r\nSec-WebSocket-Protocol: chat.v2\r\n"), 101);
    TN_CHECKF(strstr(c.head, "Sec-WebSocket-Protocol: chat.v1\r\n") != NULL, "%s", c.head);
    wcli_close(&c);
    TN_EQ_INT(wcli_open_req(&c, s->port, "/p", "Sec-WebSocket-Protocol: other\r\n"), 101);
    TN_CHECK(strstr(c.head, "Sec-WebSocket-Protocol") == NULL);
    wcli_close(&c);
    TN_EQ_INT(wcli_open_req(&c, s->port, "/p", "Sec-WebSocket-Protocol: a b\r\n"), 400);
    wcli_close(&c);
    stop_server(s);
}

TN_TEST(app_route_with_capture_cookie_and_refusal) {
    server *s = start_server_opts(NULL, 1);
    wcli c;
    run_server(s);
    TN_EQ_INT(wcli_open_req(&c, s->port, "/room/lobby%20one", "Cookie: user=ann\r\n"), 101);
    TN_CHECKF(strstr(c.head, "Set-Cookie: seen=1") != NULL, "%s", c.head);
    wcli_expect(&c, TN_WS_TEXT, "welcome", 7);
    TN_EQ_STR(s->capture, "lobby one");
    TN_EQ_STR(s->cookie, "ann");
    wcli_send(&c, TN_WS_TEXT, "hi", 2);
    wcli_expect(&c, TN_WS_TEXT, "hi", 2);
    wcli_close(&c);
    wait_for(&s->closes, 1, 2000);
    TN_EQ_INT(s->closes, 1);
    TN_EQ_INT(s->close_code, 1006);   /* the client left without a close frame */
    TN_EQ_INT(wcli_open_req(&c, s->port, "/room/forbidden", NULL), 403);
    wcli_close(&c);
    expect_status(s->port, "GET /room/x HTTP/1.1\r\n" HS_BASE HS_KEY "Sec-WebSocket-Version: 7\r\n\r\n", 426, NULL);
    stop_server(s);
}

/* ---- messages ---- */

TN_TEST(fragmented_message_with_pings_between) {
    server *s = start_server(NULL);
    wcli c;
    char *m = NULL;
    size_t n;
    wcli_open(&c, s->port, "/f");
    /* "héllo wörld" cut inside the two-byte characters, a ping between fragments */
    wcli_frame(&c, TN_WS_TEXT, 0, "h\xc3", 2, 1);
    wcli_frame(&c, TN_WS_PING, 1, "p1", 2, 1);
    wcli_frame(&c, TN_WS_CONT, 0, "\xa9llo w\xc3", 7, 1);
    wcli_frame(&c, TN_WS_CONT, 0, "", 0, 1);
    wcli_frame(&c, TN_WS_PONG, 1, "u", 1, 1);
    wcli_frame(&c, TN_WS_CONT, 1, "\xb6rld", 4, 1);
    TN_EQ_INT(wcli_recv(&c, &m, &n, 3000), TN_WS_PONG);   /* the pong comes first */
    TN_EQ_TSTR(tn_str_make(m, n), "p1");
    free(m);
    wcli_expect(&c, TN_WS_TEXT, "h\xc3\xa9llo w\xc3\xb6rld", 13);
    TN_EQ_INT(s->pings, 1);
    TN_EQ_INT(s->pongs, 1);
    /* the same with every byte a separate write */
    {
        char frames[64];
        size_t k;
        tn_ws_frame f;
        int h;
        memset(&f, 0, sizeof f);
        f.fin = 1;
        f.opcode = TN_WS_BINARY;
        f.length = 5;
        f.masked = 1;
        memcpy(f.mask, "abcd", 4);
        h = tn_ws_write_header(frames, sizeof frames, &f);
        memcpy(frames + h, "12345", 5);
        tn_ws_mask(frames + h, 5, f.mask, 0);
        for (k = 0; k < (size_t)h + 5; k++) {
            wcli_raw(&c, frames + k, 1);
            usleep(2000);
        }
        wcli_expect(&c, TN_WS_BINARY, "12345", 5);
    }
    wcli_close(&c);
    stop_server(s);
}

TN_TEST_UNUSED static void big_message(int fragments) {
    tn_ws_opts o;
    server *s;
    wcli c;
    size_t n = 16u << 20, i, piece = n / (size_t)fragments;
    char *big = (char *)malloc(n), *m = NULL;
    size_t got = 0;
    memset(&o, 0, sizeof o);
    o.max_message_size = 20u << 20;
    s = start_server(&o);
    for (i = 0; i < n; i++) big[i] = (char)(i * 7 + (i >> 13));
    wcli_open(&c, s->port, "/big");
    for (i = 0; i < (size_t)fragments; i++)
        wcli_frame(&c, i == 0 ? TN_WS_BINARY : TN_WS_CONT, i + 1 == (size_t)fragments, big + i * piece,
                   i + 1 == (size_t)fragments ? n - i * piece : piece, 1);
    TN_EQ_INT(wcli_recv(&c, &m, &got, 20000), TN_WS_BINARY);
    TN_EQ_UINT(got, n);
    TN_CHECK(memcmp(m, big, n) == 0);
    free(m);
    free(big);
    wcli_close(&c);
    stop_server(s);
}

TN_TEST(sixteen_mib_messages) {
    TN_SLOW_UNDER_WINE("16 MiB messages each way (20 s there)");
    big_message(1);
    big_message(7);
}

/* Connections with the same handler and options share one copy of them (a list per loop,
   16 long; past that a connection gets its own): 24 connections with 24 limits open
   together, each holds exactly its own (its limit echoes, one byte more closes 1009), and
   every copy is freed with its last connection (the counting allocator ends at 0). */
TN_TEST(options_shared_and_own) {
    enum { N = 24, BASE = 1000 };
    static counting_alloc ca;
    static wcli cs[N];
    server *s;
    char big[BASE + N + 1], path[16];
    int i;
    memset(big, 'v', sizeof big);
    g_loop_ca = &ca;
    s = start_server_opts(NULL, 0);
    g_loop_ca = NULL;
    s->vary_limit = BASE;
    s->no_send_cb = 1;
    run_server(s);
    for (i = 0; i < N; i++) {
        snprintf(path, sizeof path, "/v%d", i);
        wcli_open(&cs[i], s->port, path);
    }
    for (i = 0; i < N; i++) {
        wcli_send(&cs[i], TN_WS_BINARY, big, (size_t)(BASE + i));
        wcli_expect(&cs[i], TN_WS_BINARY, big, (size_t)(BASE + i));
    }
    for (i = 0; i < N; i++) {
        wcli_send(&cs[i], TN_WS_BINARY, big, (size_t)(BASE + i + 1));
        wcli_expect_close(&cs[i], 1009);
        wcli_close(&cs[i]);
    }
    wait_for(&s->closes, N, 5000);
    TN_EQ_INT(s->closes, N);
    stop_server(s);
    TN_EQ_INT(ca.live, 0);
}

TN_TEST(limits_and_bad_input_close_with_codes) {
    tn_ws_opts o;
    server *s;
    wcli c;
    char big[2000];
    memset(&o, 0, sizeof o);
    o.max_message_size = 1000;
    s = start_server(&o);
    memset(big, 'a', sizeof big);
    /* 1009: too big in one frame, and in fragments */
    wcli_open(&c, s->port, "/l");
    wcli_send(&c, TN_WS_BINARY, big, 1001);
    wcli_expect_close(&c, 1009);
    wcli_close(&c);
    wcli_open(&c, s->port, "/l");
    wcli_frame(&c, TN_WS_TEXT, 0, big, 600, 1);
    wcli_frame(&c, TN_WS_CONT, 1, big, 401, 1);
    wcli_expect_close(&c, 1009);
    wcli_close(&c);
    /* exactly the limit passes */
    wcli_open(&c, s->port, "/l");
    wcli_send(&c, TN_WS_BINARY, big, 1000);
    wcli_expect(&c, TN_WS_BINARY, big, 1000);
    wcli_close(&c);
    /* 1007: bad UTF-8, failing fast (the message is not complete yet) */
    wcli_open(&c, s->port, "/l");
    wcli_frame(&c, TN_WS_TEXT, 0, "ok \xc0\xaf", 5, 1);
    wcli_expect_close(&c, 1007);
    wcli_close(&c);
    /* 1002: unmasked, reserved opcode, RSV bit, continuation without start, fragmented ping,
       a new message inside a fragmented one, long control frame */
    wcli_open(&c, s->port, "/l");
    wcli_frame(&c, TN_WS_TEXT, 1, "x", 1, 0);
    wcli_expect_close(&c, 1002);
    wcli_close(&c);
    wcli_open(&c, s->port, "/l");
    wcli_raw(&c, "\x83\x80\x00\x00\x00\x00", 6);
    wcli_expect_close(&c, 1002);
    wcli_close(&c);
    wcli_open(&c, s->port, "/l");
    wcli_raw(&c, "\xc1\x80\x00\x00\x00\x00", 6);
    wcli_expect_close(&c, 1002);
    wcli_close(&c);
    wcli_open(&c, s->port, "/l");
    wcli_frame(&c, TN_WS_CONT, 1, "x", 1, 1);
    wcli_expect_close(&c, 1002);
    wcli_close(&c);
    wcli_open(&c, s->port, "/l");
    wcli_raw(&c, "\x09\x81\x00\x00\x00\x00x", 7);   /* a ping without FIN */
    wcli_expect_close(&c, 1002);
    wcli_close(&c);
    wcli_open(&c, s->port, "/l");
    wcli_frame(&c, TN_WS_TEXT, 0, "x", 1, 1);
    wcli_frame(&c, TN_WS_TEXT, 1, "y", 1, 1);
    wcli_expect_close(&c, 1002);
    wcli_close(&c);
    wcli_open(&c, s->port, "/l");
    wcli_raw(&c, "\x89\xfe\x00\x7e\x00\x00\x00\x00", 8);
    wcli_expect_close(&c, 1002);
    wcli_close(&c);
    /* close frames: 1 byte, invalid codes → 1002; reason not UTF-8 → 1007; empty → empty */
    wcli_open(&c, s->port, "/l");
    wcli_send(&c, TN_WS_CLOSE, "\x03", 1);
    wcli_expect_close(&c, 1002);
    wcli_close(&c);
    wcli_open(&c, s->port, "/l");
    wcli_send(&c, TN_WS_CLOSE, "\x03\xed", 2);   /* 1005 may not be sent */
    wcli_expect_close(&c, 1002);
    wcli_close(&c);
    wcli_open(&c, s->port, "/l");
    wcli_send(&c, TN_WS_CLOSE, "\x03\xe8\xff", 3);
    wcli_expect_close(&c, 1007);
    wcli_close(&c);
    wcli_open(&c, s->port, "/l");
    wcli_send(&c, TN_WS_CLOSE, "", 0);
    wcli_expect_close(&c, 0);
    wcli_close(&c);
    wcli_open(&c, s->port, "/l");
    wcli_send(&c, TN_WS_CLOSE, "\x0f\xa0" "app", 5);   /* 4000 is echoed */
    wcli_expect_close(&c, 4000);
    wcli_close(&c);
    wait_for(&s->closes, 16, 3000);
    TN_EQ_INT(s->closes, 16);
    TN_EQ_INT(s->close_code, 4000);
    TN_EQ_STR(s->close_reason, "app");
    stop_server(s);
}

TN_TEST(streaming_receive_hands_over_pieces) {
    server *s = start_server_opts(NULL, 0);
    wcli c;
    char *chunk = (char *)calloc(1, 300000);
    s->streaming = 1;
    run_server(s);
    wcli_open(&c, s->port, "/s");
    wcli_frame(&c, TN_WS_BINARY, 0, chunk, 300000, 1);
    wcli_frame(&c, TN_WS_CONT, 1, chunk, 5, 1);
    wcli_expect(&c, TN_WS_TEXT, "streamed 300005", 15);
    TN_CHECK(s->fragments >= 2);
    wcli_close(&c);
    free(chunk);
    stop_server(s);
}

/* ---- closing and keepalive ---- */

TN_TEST(server_close_handshake_and_timeout) {
    tn_ws_opts o;
    server *s;
    wcli c;
    char *m = NULL;
    size_t n;
    double t0;
    memset(&o, 0, sizeof o);
    o.close_timeout_ms = 300;
    s = start_server(&o);
    s->server_closes_after = 1;
    s->close_with = 4001;
    /* the client answers: a clean close, on_close has the client's code */
    wcli_open(&c, s->port, "/c");
    wcli_send(&c, TN_WS_TEXT, "x", 1);
    TN_EQ_INT(wcli_recv(&c, &m, &n, 3000), TN_WS_CLOSE);
    TN_EQ_UINT(n, 5);
    TN_CHECK(memcmp(m, "\x0f\xa1" "bye", 5) == 0);
    free(m);
    wcli_send(&c, TN_WS_TEXT, "ignored", 7);   /* messages after our close are dropped */
    wcli_send(&c, TN_WS_CLOSE, "\x0f\xa1", 2);
    TN_EQ_INT(wcli_recv(&c, &m, &n, 3000), 0);   /* EOF */
    wait_for(&s->closes, 1, 2000);
    TN_EQ_INT(s->close_code, 4001);
    TN_EQ_INT(s->messages, 1);
    wcli_close(&c);
    /* the client never answers: dropped after close_timeout_ms, on_close says 1006 */
    s->messages = 0;
    wcli_open(&c, s->port, "/c");
    wcli_send(&c, TN_WS_TEXT, "x", 1);
    t0 = tn_test_ms();
    TN_EQ_INT(wcli_recv(&c, &m, &n, 3000), TN_WS_CLOSE);
    free(m);
    TN_EQ_INT(wcli_recv(&c, &m, &n, 3000), 0);
    TN_CHECKF(tn_test_ms() - t0 >= 250 && tn_test_ms() - t0 < 2000, "%.0f ms", tn_test_ms() - t0);
    wait_for(&s->closes, 2, 2000);
    TN_EQ_INT(s->closes, 2);
    TN_EQ_INT(s->close_code, 1006);
    wcli_close(&c);
    stop_server(s);
}

TN_TEST(keepalive_pings_and_timeout) {
    tn_ws_opts o;
    server *s;
    wcli c;
    char *m = NULL;
    size_t n;
    int i;
    memset(&o, 0, sizeof o);
    o.ping_interval_ms = 100;
    o.ping_timeout_ms = 350;
    o.close_timeout_ms = 300;
    s = start_server(&o);
    /* answering pings keeps the connection */
    wcli_open(&c, s->port, "/k");
    for (i = 0; i < 6; i++) {
        TN_EQ_INT(wcli_recv(&c, &m, &n, 2000), TN_WS_PING);
        wcli_send(&c, TN_WS_PONG, m, n);
        free(m);
    }
    TN_EQ_INT(s->closes, 0);
    /* silence: pings keep coming, then a close (no code), then the drop */
    for (;;) {
        int op = wcli_recv(&c, &m, &n, 3000);
        free(m);
        m = NULL;
        if (op != TN_WS_PING) {
            TN_EQ_INT(op, TN_WS_CLOSE);
            TN_EQ_UINT(n, 0);
            break;
        }
    }
    TN_EQ_INT(wcli_recv(&c, &m, &n, 3000), 0);
    wait_for(&s->closes, 1, 2000);
    TN_EQ_INT(s->close_code, 1006);
    TN_CHECK(s->pongs >= 6);
    wcli_close(&c);
    stop_server(s);
}

/* ---- backpressure: write buffer cap and send callbacks ---- */

static volatile int g_wb_rc[4];
static void wb_message(tn_ws *ws, int opcode, tn_str data, void *user) {
    static char blob[300000];
    (void)opcode;
    (void)data;
    (void)user;
    g_wb_rc[0] = tn_ws_send(ws, TN_WS_BINARY, blob, sizeof blob, NULL, NULL);
    g_wb_rc[1] = (int)(tn_ws_buffered_amount(ws) > 0);
    g_wb_rc[2] = tn_ws_send(ws, TN_WS_BINARY, blob, sizeof blob, NULL, NULL);
    g_wb_rc[3] = tn_ws_send(ws, TN_WS_TEXT, "\xff", 1, NULL, NULL);
}

static void wb_handler(tn_request *req, void *user) {
    tn_ws_opts o;
    tn_ws_handler h;
    tn_ws *ws;
    memset(&o, 0, sizeof o);
    memset(&h, 0, sizeof h);
    o.max_write_buffer_size = 400000;
    h.on_message = wb_message;
    h.on_close = on_close;
    if (tn_ws_accept(req, &o, &h, user, &ws) == TN_OK) ws_track((server *)user, ws, 1);
}

TN_TEST(write_buffer_limit) {
    server *s = (server *)calloc(1, sizeof *s);
    wcli c;
    TN_OK_RC(tn_loop_new(NULL, &s->loop));
    TN_OK_RC(tn_http_server_new(s->loop, NULL, wb_handler, s, &s->srv));
    TN_OK_RC(tn_http_server_listen(s->srv, "127.0.0.1", 0));
    s->port = tn_http_server_port(s->srv);
    run_server(s);
    {
        int st;
        memset(&c, 0, sizeof c);
        /* a small receive window so the first 300 KB cannot all leave at once */
        st = wcli_open_req(&c, s->port, "/w", NULL);
        TN_EQ_INT(st, 101);
    }
    wcli_send(&c, TN_WS_TEXT, "go", 2);
    usleep(300000);
    TN_EQ_RC(g_wb_rc[0], TN_OK);
    TN_EQ_RC(g_wb_rc[3], TN_EBAD_ENCODING);
    /* the second 300 KB would exceed 400 KB unsent unless the first left at once */
    TN_CHECK(g_wb_rc[2] == TN_EBUFFER_FULL || (g_wb_rc[2] == TN_OK && g_wb_rc[1] == 0));
    wcli_close(&c);
    stop_server(s);
}

/* ---- the client ---- */

typedef struct cres {
    volatile int done, status, http_status, messages, closes, close_code;
    char sub[32];
    char last[64];
    tn_ws *ws;
    int zon;                       /* the connection compresses (tn_ws_compression) */
    tn_ws_deflate_params zp;
} cres;
static cres g_c;

static void c_message(tn_ws *ws, int opcode, tn_str data, void *user) {
    cres *r = (cres *)user;
    (void)opcode;
    r->messages++;
    snprintf(r->last, sizeof r->last, "%.*s", (int)data.len, data.ptr);
    if (r->messages == 1) TN_OK_RC(tn_ws_send_fragment(ws, TN_WS_TEXT, "frag", 4, 0, NULL, NULL));
    if (r->messages == 1) TN_OK_RC(tn_ws_ping(ws, "pp", 2));
    if (r->messages == 1) TN_EQ_RC(tn_ws_send(ws, TN_WS_TEXT, "no", 2, NULL, NULL), TN_EINVAL);
    if (r->messages == 1) TN_OK_RC(tn_ws_send_fragment(ws, TN_WS_CONT, "ments", 5, 1, NULL, NULL));
    if (r->messages == 2) TN_OK_RC(tn_ws_close(ws, 1000, "client done", 11));
}

static void c_close(tn_ws *ws, int code, tn_str reason, void *user) {
    cres *r = (cres *)user;
    (void)ws;
    (void)reason;
    r->close_code = code;
    __sync_synchronize();
    r->closes++;
}

static void c_connected(tn_ws *ws, int status, int http_status, void *user) {
    cres *r = (cres *)user;
    r->status = status;
    r->http_status = http_status;
    r->done = 1;
    if (status == TN_OK) {
        snprintf(r->sub, sizeof r->sub, "%s", tn_ws_subprotocol(ws));
        r->zon = tn_ws_compression(ws, &r->zp);
        TN_OK_RC(tn_ws_send(ws, TN_WS_TEXT, "hello from client", 17, NULL, NULL));
    }
}

static char g_url[128];
static const char *const g_offer[] = { "chat.v1", "x" };
static const tn_ws_deflate_opts *g_client_z;   /* start_client offers permessage-deflate */
static void start_client(tn_loop *loop, void *user) {
    tn_ws_handler h;
    tn_ws_opts o;
    tn_http_header extra[1];
    memset(&h, 0, sizeof h);
    memset(&o, 0, sizeof o);
    h.on_message = c_message;
    h.on_close = c_close;
    extra[0].name = tn_str_c("Origin");
    extra[0].value = tn_str_c("http://127.0.0.1");
    o.headers = extra;
    o.num_headers = 1;
    o.subprotocols = g_offer;
    o.num_subprotocols = 2;
    o.connect_timeout_ms = 2000;
    o.compression = g_client_z;
    TN_OK_RC(tn_ws_connect(loop, g_url, &o, &h, c_connected, user, &g_c.ws));
}

TN_TEST(client_against_our_server) {
    static const char *const protos[] = { "chat.v1" };
    tn_ws_opts o;
    server *s;
    memset(&o, 0, sizeof o);
    o.subprotocols = protos;
    o.num_subprotocols = 1;
    o.check_origin = origin_cb;   /* "http://127.0.0.1" is not the Host (has a port): needs the callback */
    o.allowed_origins = (const char *const[]){ "http://127.0.0.1" };
    o.num_allowed_origins = 1;
    s = start_server(&o);
    snprintf(g_url, sizeof g_url, "ws://127.0.0.1:%d/chat?x=1", s->port);
    TN_OK_RC(tn_loop_post(s->loop, start_client, &g_c));
    wait_for(&g_c.closes, 1, 5000);
    TN_EQ_RC(g_c.status, TN_OK);
    TN_EQ_INT(g_c.http_status, 101);
    TN_EQ_STR(g_c.sub, "chat.v1");
    TN_EQ_INT(g_c.messages, 2);
    TN_EQ_STR(g_c.last, "fragments");
    TN_EQ_INT(g_c.closes, 1);
    TN_EQ_INT(g_c.close_code, 1000);   /* the server echoed our code */
    wait_for(&s->closes, 1, 2000);
    TN_EQ_INT(s->close_code, 1000);
    TN_EQ_STR(s->close_reason, "client done");
    TN_EQ_INT(s->pings, 1);
    stop_server(s);
}

/* Failures: refused (promptly), not a WebSocket server (the HTTP status), wss, bad URLs. */
static void failing_client(tn_loop *loop, void *user) {
    tn_ws_handler h;
    memset(&h, 0, sizeof h);
    h.on_message = c_message;
    h.on_close = c_close;
    TN_OK_RC(tn_ws_connect(loop, g_url, NULL, &h, c_connected, user, NULL));
}

TN_TEST(client_failures) {
    tn_loop *loop;
    tn_ws_handler h;
    server *s;
    double t0;
    int port;
    memset(&h, 0, sizeof h);
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_EQ_RC(tn_ws_connect(loop, "wss://example.com/", NULL, &h, c_connected, NULL, NULL), TN_ENOTSUP);
    TN_EQ_RC(tn_ws_connect(loop, "http://example.com/", NULL, &h, c_connected, NULL, NULL), TN_EINVAL);
    TN_EQ_RC(tn_ws_connect(loop, "ws:///nohost", NULL, &h, c_connected, NULL, NULL), TN_EINVAL);
    TN_OK_RC(tn_loop_free(loop));
    /* refused: a port nobody listens on */
    {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sa;
        socklen_t sl = sizeof sa;
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(0x7f000001);
        TN_CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
        getsockname(fd, (struct sockaddr *)&sa, &sl);
        port = ntohs(sa.sin_port);
        close(fd);
    }
    s = start_server(NULL);
    snprintf(g_url, sizeof g_url, "ws://127.0.0.1:%d/", port);
    memset(&g_c, 0, sizeof g_c);
    t0 = tn_test_ms();
    TN_OK_RC(tn_loop_post(s->loop, failing_client, &g_c));
    wait_for(&g_c.done, 1, 5000);
    TN_EQ_RC(g_c.status, TN_EREFUSED);
    TN_CHECK(tn_test_ms() - t0 < 1000);
    /* an HTTP server that does not upgrade: the status is reported */
    snprintf(g_url, sizeof g_url, "ws://127.0.0.1:%d/refuse", s->port);
    memset(&g_c, 0, sizeof g_c);
    TN_OK_RC(tn_loop_post(s->loop, failing_client, &g_c));
    wait_for(&g_c.done, 1, 5000);
    TN_EQ_RC(g_c.status, TN_EWS_HANDSHAKE);
    TN_EQ_INT(g_c.http_status, 401);
    TN_EQ_INT(g_c.closes, 0);
    stop_server(s);
}

/* A raw server that answers 101 with a wrong accept key. */
static void *bad_server(void *u) {
    int lfd = *(int *)u, fd;
    char buf[2048];
    fd = accept(lfd, NULL, NULL);
    if (fd < 0) return NULL;
    (void)recv(fd, buf, sizeof buf, 0);
    cli_sends(fd, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n");
    usleep(300000);
    close(fd);
    return NULL;
}

static void run_loop_until_done(tn_loop *loop) {
    int i;
    for (i = 0; i < 500 && !g_c.done; i++) tn_loop_run_once(loop, 10);
    for (i = 0; i < 20; i++) tn_loop_run_once(loop, 1);
}

TN_TEST(client_rejects_a_wrong_accept_key_and_times_out) {
    tn_loop *loop;
    tn_ws_handler h;
    pthread_t th;
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    tn_ws_opts o;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(0x7f000001);
    TN_CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0);
    TN_CHECK(listen(lfd, 8) == 0);
    getsockname(lfd, (struct sockaddr *)&sa, &sl);
    snprintf(g_url, sizeof g_url, "ws://127.0.0.1:%d/", ntohs(sa.sin_port));
    TN_CHECK(pthread_create(&th, NULL, bad_server, &lfd) == 0);
    memset(&h, 0, sizeof h);
    h.on_close = c_close;
    TN_OK_RC(tn_loop_new(NULL, &loop));
    memset(&g_c, 0, sizeof g_c);
    TN_OK_RC(tn_ws_connect(loop, g_url, NULL, &h, c_connected, &g_c, NULL));
    run_loop_until_done(loop);
    TN_EQ_RC(g_c.status, TN_EWS_HANDSHAKE);
    TN_EQ_INT(g_c.http_status, 101);
    pthread_join(th, NULL);
    /* a server that accepts the TCP connection and never answers: the handshake times out */
    memset(&o, 0, sizeof o);
    o.connect_timeout_ms = 200;
    memset(&g_c, 0, sizeof g_c);
    TN_OK_RC(tn_ws_connect(loop, g_url, &o, &h, c_connected, &g_c, NULL));
    run_loop_until_done(loop);
    TN_EQ_RC(g_c.status, TN_ETIMEOUT);
    /* aborted before the answer */
    memset(&g_c, 0, sizeof g_c);
    TN_OK_RC(tn_ws_connect(loop, g_url, &o, &h, c_connected, &g_c, &g_c.ws));
    TN_OK_RC(tn_ws_abort(g_c.ws));
    TN_EQ_INT(g_c.done, 0);   /* never inside the call */
    run_loop_until_done(loop);
    TN_EQ_RC(g_c.status, TN_ECANCELED);
    TN_EQ_INT(g_c.closes, 0);
    close(lfd);
    TN_OK_RC(tn_loop_free(loop));
}

/* ---- permessage-deflate (RFC 7692) ---- */

/* The raw client's side of the extension: a compressor and a decompressor (raw DEFLATE). */
typedef struct zpeer {
    tn_deflater *d;
    tn_inflater *i;
} zpeer;

static void zpeer_init(zpeer *z, int bits) {
    tn_deflate_opts d;
    tn_inflate_opts i;
    memset(&d, 0, sizeof d);
    memset(&i, 0, sizeof i);
    d.format = i.format = TN_DEFLATE_RAW;
    d.window_bits = bits;
    i.max_output = UINT64_MAX;
    TN_OK_RC(tn_deflater_new(&d, &z->d));
    TN_OK_RC(tn_inflater_new(&i, &z->i));
}

static void zpeer_free(zpeer *z) {
    tn_deflater_free(z->d);
    tn_inflater_free(z->i);
}

/* Compress a message (sync flush, the 00 00 ff ff tail dropped) into a malloc'd buffer. */
static char *zcomp(zpeer *z, const void *in, size_t n, size_t *out_len) {
    size_t cap = tn_deflate_bound(n) + 64, used = 0, c, prod;
    char *out = (char *)malloc(cap);
    const char *p = (const char *)in;
    int rc;
    do {
        rc = tn_deflate(z->d, p, n, &c, out + used, cap - used, &prod, TN_DEFLATE_SYNC);
        p += c;
        n -= c;
        used += prod;
        TN_CHECK(rc >= 0 && used < cap);
    } while (rc != TN_DEFLATE_DONE);
    TN_CHECK(used >= 4 && memcmp(out + used - 4, "\0\0\377\377", 4) == 0);
    *out_len = used - 4;
    return out;
}

/* Decompress a received message (the tail appended); returns the length. */
static size_t zinfl(zpeer *z, const char *in, size_t n, char *out, size_t cap) {
    char *buf = (char *)malloc(n + 4);
    size_t c, prod;
    memcpy(buf, in, n);
    memcpy(buf + n, "\0\0\377\377", 4);
    TN_OK_RC(tn_inflate(z->i, buf, n + 4, &c, out, cap, &prod));
    TN_EQ_UINT(c, n + 4);
    free(buf);
    return prod;
}

static const char *ZOFFER = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";

/* Open with an offer; the answer must carry `answer` as its extensions header. */
static void wcli_open_z(wcli *c, int port, const char *offer, const char *answer) {
    char want[256];
    TN_EQ_INT(wcli_open_req(c, port, "/z", offer), 101);
    snprintf(want, sizeof want, "Sec-WebSocket-Extensions: %s\r\n", answer);
    TN_CHECKF(strstr(c->head, want) != NULL, "answer: %s", c->head);
    c->p.rsv_allowed = TN_WS_RSV1;
}

/* Send `msg` compressed; receive the echo, which must be compressed; returns its wire size. */
static size_t z_roundtrip(wcli *c, zpeer *z, const char *msg, size_t n) {
    size_t clen, got, wire;
    char *cm = zcomp(z, msg, n, &clen), *m = NULL, *plain = (char *)malloc(n + 16);
    wcli_frame_rsv(c, TN_WS_TEXT, 1, TN_WS_RSV1, cm, clen, 1);
    TN_EQ_INT(wcli_recv(c, &m, &wire, 5000), TN_WS_TEXT);
    TN_EQ_UINT(g_rx_rsv, TN_WS_RSV1);
    got = zinfl(z, m, wire, plain, n + 16);
    TN_EQ_UINT(got, n);
    TN_CHECK(memcmp(plain, msg, n) == 0);
    free(cm);
    free(m);
    free(plain);
    return wire;
}

static char *text_of(size_t n) {
    static const char *words[] = { "tornado ", "websocket ", "deflate ", "message ", "window ", "frame " };
    char *t = (char *)malloc(n + 1);
    size_t i = 0, k = 7;
    while (i < n) {
        const char *w = words[(k = k * 1103515245u + 12345u) >> 16 & 3 ? (k >> 20) % 6 : 0];
        while (*w && i < n) t[i++] = *w++;
    }
    t[n] = 0;
    return t;
}

TN_TEST(deflate_echo_takeover_fragments_memory) {
    static tn_ws_deflate_opts zo;   /* zeroed: the defaults */
    tn_ws_opts o;
    server *s;
    wcli c, c2;
    zpeer z;
    char *msg = text_of(3000), *cm, *m = NULL;
    size_t clen, w1, w2, n;
    memset(&o, 0, sizeof o);
    o.compression = &zo;
    s = start_server(&o);
    zpeer_init(&z, 15);
    wcli_open_z(&c, s->port, ZOFFER, "permessage-deflate");
    /* the same message twice: the second refers to the first (context takeover, both ways) */
    w1 = z_roundtrip(&c, &z, msg, 3000);
    w2 = z_roundtrip(&c, &z, msg, 3000);
    TN_CHECKF(w1 < 3000 / 2 && w2 < w1 / 4, "wire sizes %u then %u", (unsigned)w1, (unsigned)w2);
    TN_EQ_INT(s->zon, 1);
    printf("  memory per compressed connection (defaults, after a 3000-byte message): %u bytes\n", (unsigned)s->zmem);
    TN_CHECK(s->zmem > 20000 && s->zmem < 200000);
    /* one compressed message in three frames, a ping between: RSV1 on the first only */
    cm = zcomp(&z, msg, 3000, &clen);
    wcli_frame_rsv(&c, TN_WS_TEXT, 0, TN_WS_RSV1, cm, clen / 3, 1);
    wcli_frame(&c, TN_WS_PING, 1, "p", 1, 1);
    wcli_frame(&c, TN_WS_CONT, 0, cm + clen / 3, clen / 3, 1);
    wcli_frame(&c, TN_WS_CONT, 1, cm + 2 * (clen / 3), clen - 2 * (clen / 3), 1);
    free(cm);
    TN_EQ_INT(wcli_recv(&c, &m, &n, 5000), TN_WS_PONG);   /* control frames: never compressed */
    TN_EQ_UINT(g_rx_rsv, 0);
    TN_EQ_STR(m, "p");
    free(m);
    {
        char *plain = (char *)malloc(3100);
        TN_EQ_INT(wcli_recv(&c, &m, &n, 5000), TN_WS_TEXT);
        TN_EQ_UINT(g_rx_rsv, TN_WS_RSV1);
        TN_EQ_UINT(zinfl(&z, m, n, plain, 3100), 3000);
        TN_CHECK(memcmp(plain, msg, 3000) == 0);
        free(plain);
        free(m);
    }
    /* an uncompressed message on a compressing connection is fine (RSV1 clear); the echo
       is compressed; an empty compressed message is the single byte 00 */
    wcli_send(&c, TN_WS_BINARY, "plain", 5);
    TN_EQ_INT(wcli_recv(&c, &m, &n, 5000), TN_WS_BINARY);
    TN_EQ_UINT(g_rx_rsv, TN_WS_RSV1);
    {
        char plain[16];
        TN_EQ_UINT(zinfl(&z, m, n, plain, sizeof plain), 5);
        TN_CHECK(memcmp(plain, "plain", 5) == 0);
    }
    free(m);
    TN_EQ_UINT(z_roundtrip(&c, &z, "", 0), 1);
    /* a client that offers nothing gets no compression from the same server */
    wcli_open(&c2, s->port, "/plain-ws");
    TN_CHECK(strstr(c2.head, "Sec-WebSocket-Extensions") == NULL);
    wcli_send(&c2, TN_WS_TEXT, "hi", 2);
    wcli_expect(&c2, TN_WS_TEXT, "hi", 2);
    TN_EQ_UINT(g_rx_rsv, 0);
    TN_EQ_INT(s->zon, 0);
    wcli_send(&c, TN_WS_CLOSE, "\x03\xe8", 2);
    wcli_expect_close(&c, 1000);
    wcli_close(&c);
    wcli_close(&c2);
    zpeer_free(&z);
    free(msg);
    stop_server(s);
}

TN_TEST(deflate_no_context_takeover_and_windows) {
    static tn_ws_deflate_opts zo;
    tn_ws_opts o;
    server *s;
    wcli c;
    zpeer z;
    char *msg = text_of(3000);
    size_t w1, w2;
    memset(&o, 0, sizeof o);
    zo.no_context_takeover = 1;      /* our compressor forgets after each message */
    zo.max_window_bits = 9;          /* the client must compress within 512 bytes */
    zo.level = 1;
    o.compression = &zo;
    s = start_server(&o);
    zpeer_init(&z, 9);
    wcli_open_z(&c, s->port,
                "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10; client_max_window_bits\r\n",
                "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9");
    w1 = z_roundtrip(&c, &z, msg, 3000);
    w2 = z_roundtrip(&c, &z, msg, 3000);
    TN_EQ_UINT(w2, w1);   /* no history: the same message compresses to the same size */
    printf("  memory per compressed connection (level 1, windows 10/9, no takeover): %u bytes\n", (unsigned)s->zmem);
    TN_CHECK(s->zmem < 40000);
    wcli_close(&c);
    zpeer_free(&z);
    free(msg);
    stop_server(s);
}

/* Limits and bad input: 1009 on the decompressed size (a bomb holds at most the limit),
   1007 for data that does not decompress or text that is not UTF-8, 1002 for RSV1 where
   it may not be. */
static void z_bad(server *s, const char *offer, void (*send_fn)(wcli *c, zpeer *z), int code) {
    wcli c;
    zpeer z;
    zpeer_init(&z, 15);
    if (offer) wcli_open_z(&c, s->port, offer, "permessage-deflate");
    else wcli_open(&c, s->port, "/noz");
    c.p.rsv_allowed = TN_WS_RSV1;
    send_fn(&c, &z);
    wcli_expect_close(&c, code);
    wcli_close(&c);
    zpeer_free(&z);
}
static void send_exact_limit(wcli *c, zpeer *z) {
    char *zero = (char *)calloc(1, 65537), *cm;
    size_t clen;
    char *m = NULL;
    size_t n;
    cm = zcomp(z, zero, 65536, &clen);   /* exactly the limit: echoed */
    wcli_frame_rsv(c, TN_WS_BINARY, 1, TN_WS_RSV1, cm, clen, 1);
    free(cm);
    TN_EQ_INT(wcli_recv(c, &m, &n, 5000), TN_WS_BINARY);
    free(m);
    cm = zcomp(z, zero, 65537, &clen);   /* one byte more: 1009 */
    wcli_frame_rsv(c, TN_WS_BINARY, 1, TN_WS_RSV1, cm, clen, 1);
    free(cm);
    free(zero);
}
static void send_bomb(wcli *c, zpeer *z) {
    size_t n = 8u << 20, clen;
    char *zero = (char *)calloc(1, n), *cm = zcomp(z, zero, n, &clen);
    TN_CHECK(clen < 20000);   /* 8 MiB of zeros in a few KiB */
    wcli_frame_rsv(c, TN_WS_BINARY, 1, TN_WS_RSV1, cm, clen, 1);
    free(cm);
    free(zero);
}
static void send_corrupt(wcli *c, zpeer *z) {
    (void)z;
    wcli_frame_rsv(c, TN_WS_BINARY, 1, TN_WS_RSV1, "\xff\xff\xff\xff", 4, 1);   /* reserved block type */
}
static void send_bad_utf8(wcli *c, zpeer *z) {
    size_t clen;
    char *cm = zcomp(z, "ok \xc3\x28 no", 9, &clen);
    wcli_frame_rsv(c, TN_WS_TEXT, 1, TN_WS_RSV1, cm, clen, 1);
    free(cm);
}
static void send_rsv1_cont(wcli *c, zpeer *z) {
    (void)z;
    wcli_frame(c, TN_WS_TEXT, 0, "ab", 2, 1);
    wcli_frame_rsv(c, TN_WS_CONT, 1, TN_WS_RSV1, "cd", 2, 1);
}
static void send_rsv1_ping(wcli *c, zpeer *z) {
    (void)z;
    wcli_frame_rsv(c, TN_WS_PING, 1, TN_WS_RSV1, "", 0, 1);
}
static void send_rsv1_unagreed(wcli *c, zpeer *z) {
    size_t clen;
    char *cm = zcomp(z, "hello", 5, &clen);
    wcli_frame_rsv(c, TN_WS_TEXT, 1, TN_WS_RSV1, cm, clen, 1);
    free(cm);
}

TN_TEST(deflate_limits_and_bad_input) {
    static tn_ws_deflate_opts zo;
    tn_ws_opts o;
    server *s;
    memset(&o, 0, sizeof o);
    o.compression = &zo;
    o.max_message_size = 65536;
    s = start_server(&o);
    z_bad(s, ZOFFER, send_exact_limit, 1009);
    z_bad(s, ZOFFER, send_bomb, 1009);
    z_bad(s, ZOFFER, send_corrupt, 1007);
    z_bad(s, ZOFFER, send_bad_utf8, 1007);
    z_bad(s, ZOFFER, send_rsv1_cont, 1002);
    z_bad(s, ZOFFER, send_rsv1_ping, 1002);
    z_bad(s, NULL, send_rsv1_unagreed, 1002);   /* not negotiated: RSV1 is not claimed */
    TN_EQ_INT(s->messages, 1);                   /* only the message at the limit */
    stop_server(s);
}

TN_TEST(deflate_streaming_receive) {
    static tn_ws_deflate_opts zo;
    tn_ws_opts o;
    server *s;
    wcli c;
    zpeer z;
    char *zero = (char *)calloc(1, 300000), *cm;
    size_t clen;
    memset(&o, 0, sizeof o);
    o.compression = &zo;
    s = start_server_opts(&o, 0);
    s->streaming = 1;
    run_server(s);
    zpeer_init(&z, 15);
    wcli_open_z(&c, s->port, ZOFFER, "permessage-deflate");
    cm = zcomp(&z, zero, 300000, &clen);
    wcli_frame_rsv(&c, TN_WS_BINARY, 0, TN_WS_RSV1, cm, clen / 2, 1);
    wcli_frame(&c, TN_WS_CONT, 1, cm + clen / 2, clen - clen / 2, 1);
    free(cm);
    {
        char *m = NULL, plain[64];
        size_t n, k;
        TN_EQ_INT(wcli_recv(&c, &m, &n, 5000), TN_WS_TEXT);
        k = zinfl(&z, m, n, plain, sizeof plain - 1);
        plain[k] = 0;
        TN_EQ_STR(plain, "streamed 300000");
        free(m);
    }
    TN_CHECKF(s->fragments >= 300000 / 16384, "%d pieces", s->fragments);   /* handed over in pieces */
    wcli_close(&c);
    zpeer_free(&z);
    free(zero);
    stop_server(s);
}

/* Our client with compression against our server: fragments, a ping, close; and against a
   server that does not compress (declined: the connection goes on uncompressed). */
TN_TEST(deflate_client_against_our_server) {
    static tn_ws_deflate_opts zo, co;
    static const char *const protos[] = { "chat.v1" };
    tn_ws_opts o;
    server *s;
    int round;
    co.max_window_bits = 10;
    co.peer_no_context_takeover = 1;
    for (round = 0; round < 2; round++) {
        memset(&o, 0, sizeof o);
        o.subprotocols = protos;
        o.num_subprotocols = 1;
        o.check_origin = origin_cb;
        o.allowed_origins = (const char *const[]){ "http://127.0.0.1" };
        o.num_allowed_origins = 1;
        o.compression = round == 0 ? &zo : NULL;
        s = start_server(&o);
        snprintf(g_url, sizeof g_url, "ws://127.0.0.1:%d/chat", s->port);
        memset(&g_c, 0, sizeof g_c);
        g_client_z = &co;
        TN_OK_RC(tn_loop_post(s->loop, start_client, &g_c));
        wait_for(&g_c.closes, 1, 5000);
        g_client_z = NULL;
        TN_CHECKF(g_c.status == TN_OK, "round %d: %s", round, tn_strerror(g_c.status));
        TN_EQ_INT(g_c.zon, round == 0);
        if (round == 0) {
            TN_EQ_INT(g_c.zp.server_max_window_bits, 10);
            TN_EQ_INT(g_c.zp.server_no_context_takeover, 1);
        }
        TN_EQ_INT(s->zon, round == 0);
        TN_EQ_INT(g_c.messages, 2);
        TN_EQ_STR(g_c.last, "fragments");
        TN_EQ_INT(g_c.close_code, 1000);
        wait_for(&s->closes, 1, 2000);
        TN_EQ_STR(s->close_reason, "client done");
        stop_server(s);
    }
}

/* A raw server whose 101 (with the right accept key) carries g_ext_answer. */
static const char *g_ext_answer;
static void *ext_server(void *u) {
    int lfd = *(int *)u, fd;
    char buf[4096], accept_key[TN_WS_ACCEPT_SIZE + 1], res[512];
    const char *k;
    long n;
    fd = accept(lfd, NULL, NULL);
    if (fd < 0) return NULL;
    n = recv(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = 0;
    k = strstr(buf, "Sec-WebSocket-Key: ");
    if (k) tn_ws_accept_key(tn_str_make(k + 19, TN_WS_KEY_SIZE), accept_key);
    snprintf(res, sizeof res,
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Extensions: %s\r\n\r\n",
             k ? accept_key : "x", g_ext_answer);
    cli_sends(fd, res);
    usleep(200000);
    close(fd);
    return NULL;
}

TN_TEST(deflate_client_rejects_bad_answers) {
    static const char *bad[] = { "permessage-deflate; client_max_window_bits=16", "permessage-deflate; foo",
                                 "x-webkit-deflate-frame", "permessage-deflate, permessage-deflate",
                                 "permessage-deflate; server_max_window_bits=12",   /* we asked for 11 */
                                 "permessage-deflate; server_no_context_takeover=1" };
    static tn_ws_deflate_opts co;
    size_t i;
    co.max_window_bits = 11;
    for (i = 0; i < sizeof bad / sizeof bad[0] + 1; i++) {
        tn_loop *loop;
        tn_ws_handler h;
        tn_ws_opts o;
        pthread_t th;
        struct sockaddr_in sa;
        socklen_t sl = sizeof sa;
        int lfd = socket(AF_INET, SOCK_STREAM, 0);
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(0x7f000001);
        TN_CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0);
        TN_CHECK(listen(lfd, 8) == 0);
        getsockname(lfd, (struct sockaddr *)&sa, &sl);
        snprintf(g_url, sizeof g_url, "ws://127.0.0.1:%d/", ntohs(sa.sin_port));
        /* the last round: a good answer, to show the raw server is right */
        g_ext_answer = i < sizeof bad / sizeof bad[0] ? bad[i] : "permessage-deflate; server_max_window_bits=9";
        TN_CHECK(pthread_create(&th, NULL, ext_server, &lfd) == 0);
        memset(&h, 0, sizeof h);
        h.on_close = c_close;
        memset(&o, 0, sizeof o);
        o.compression = &co;
        TN_OK_RC(tn_loop_new(NULL, &loop));
        memset(&g_c, 0, sizeof g_c);
        TN_OK_RC(tn_ws_connect(loop, g_url, &o, &h, c_connected, &g_c, NULL));
        run_loop_until_done(loop);
        if (i < sizeof bad / sizeof bad[0]) {
            TN_CHECKF(g_c.status == TN_EWS_HANDSHAKE, "accepted: %s", bad[i]);
        } else {
            TN_EQ_RC(g_c.status, TN_OK);
            TN_EQ_INT(g_c.zon, 1);
            TN_EQ_INT(g_c.zp.server_max_window_bits, 9);
        }
        pthread_join(th, NULL);
        for (sl = 0; sl < 20; sl++) tn_loop_run_once(loop, 5);
        close(lfd);
        TN_OK_RC(tn_loop_free(loop));
    }
}

/* ---- reads in the loop's buffer ---- */

/* A WebSocket connection's reads go in the loop's buffer, lent while that read's callbacks
   run (the frames are parsed by offset), and the client masks in a buffer of the loop's:
   one loop holds the server and two clients echoing messages of 20 B to 200 KiB (more than
   one read: frames span reads, and what a read leaves is kept), every echo checked byte for
   byte, both clients in flight at once (the buffer serves one read after the other). Once
   warm, 16 KiB echoes allocate (almost) nothing: copying each read into storage of the
   connection's own costs two allocations per echo (server and client). */
typedef struct lendc {
    tn_ws *ws;
    int up, closed, bad, who;
    unsigned sent, got, want;
    size_t size;
} lendc;

static char *g_lend_buf;

static void lend_fill(char *p, size_t n, unsigned seq, int who) {
    size_t i;
    for (i = 0; i < n; i++) p[i] = (char)(i * 31u + (i >> 9) + seq * 7u + (unsigned)who * 101u);
}

static void lend_send(lendc *c) {
    lend_fill(g_lend_buf, c->size, c->sent, c->who);
    TN_OK_RC(tn_ws_send(c->ws, TN_WS_BINARY, g_lend_buf, c->size, NULL, NULL));
    c->sent++;
}

static void lend_message(tn_ws *ws, int opcode, tn_str data, void *user) {
    lendc *c = (lendc *)user;
    char *want = (char *)malloc(c->size ? c->size : 1);
    (void)ws;
    lend_fill(want, c->size, c->got, c->who);
    if (opcode != TN_WS_BINARY || data.len != c->size || memcmp(data.ptr, want, c->size) != 0) c->bad++;
    free(want);
    c->got++;
    if (c->sent < c->want) lend_send(c);
}

static void lend_connected(tn_ws *ws, int status, int http_status, void *user) {
    lendc *c = (lendc *)user;
    (void)ws;
    (void)http_status;
    TN_EQ_RC(status, TN_OK);
    c->up = 1;
}

static void lend_close(tn_ws *ws, int code, tn_str reason, void *user) {
    (void)ws;
    (void)code;
    (void)reason;
    ((lendc *)user)->closed = 1;
}

/* Each client echoes `count` messages of `size` bytes, both at once; returns when done. */
static void lend_round(tn_loop *loop, lendc *c, size_t size, unsigned count) {
    int i, spins = 0;
    for (i = 0; i < 2; i++) {
        c[i].size = size;
        c[i].sent = c[i].got = 0;
        c[i].want = count;
        lend_send(&c[i]);
    }
    while ((c[0].got < count || c[1].got < count) && spins++ < 200000) tn_loop_run_once(loop, 10);
    for (i = 0; i < 2; i++) {
        TN_CHECKF(c[i].got == count, "client %d: %u of %u echoes of %lu bytes", i, c[i].got, count, (unsigned long)size);
        TN_EQ_INT(c[i].bad, 0);
    }
}

TN_TEST(reads_in_the_loop_buffer) {
    static counting_alloc ca;
    /* (125/126: the 7- and 16-bit lengths; 252/253: the largest server frame sent as one
       buffer with its 4-byte header, and the smallest sent in two pieces) */
    static const size_t sizes[] = { 20, 125, 126, 252, 253, 16384, 65000, 65536 - 24, 65536 + 3, 200000 };
    lendc c[2];
    tn_ws_handler h;
    tn_ws_opts o;
    server *s;
    char url[64];
    long before;
    size_t k;
    int i, spins = 0;
    g_lend_buf = (char *)malloc(200000);
    memset(c, 0, sizeof c);
    memset(&h, 0, sizeof h);
    h.on_message = lend_message;
    h.on_close = lend_close;
    memset(&o, 0, sizeof o);
    o.max_message_size = 1u << 20;
    g_loop_ca = &ca;
    s = start_server_opts(&o, 0);
    g_loop_ca = NULL;
    s->no_send_cb = 1;
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/lend", s->port);
    for (i = 0; i < 2; i++) {
        c[i].who = i;
        TN_OK_RC(tn_ws_connect(s->loop, url, &o, &h, lend_connected, &c[i], &c[i].ws));
    }
    while ((!c[0].up || !c[1].up) && spins++ < 1000) tn_loop_run_once(s->loop, 10);
    TN_CHECK(c[0].up && c[1].up);
    for (k = 0; k < sizeof sizes / sizeof sizes[0]; k++) lend_round(s->loop, c, sizes[k], 5);
    lend_round(s->loop, c, 16384, 20);   /* warm */
    before = ca.total + ca.reallocs;
    lend_round(s->loop, c, 16384, 200);
    TN_CHECKF(ca.total + ca.reallocs - before <= 40, "%ld allocations for 400 echoes of 16 KiB",
              ca.total + ca.reallocs - before);
    TN_EQ_INT(s->messages, 2 * ((int)(sizeof sizes / sizeof sizes[0]) * 5 + 20 + 200));
    for (i = 0; i < 2; i++) TN_OK_RC(tn_ws_close(c[i].ws, 1000, NULL, 0));
    spins = 0;
    while ((!c[0].closed || !c[1].closed || s->closes < 2) && spins++ < 1000) tn_loop_run_once(s->loop, 10);
    TN_CHECK(c[0].closed && c[1].closed);
    TN_EQ_INT(s->closes, 2);
    TN_OK_RC(tn_http_server_close(s->srv, 1000, NULL, NULL));
    for (spins = 0; spins < 20; spins++) tn_loop_run_once(s->loop, 5);
    TN_OK_RC(tn_loop_free(s->loop));
    free(s);
    free(g_lend_buf);
    TN_EQ_INT(ca.live, 0);
}

/* ---- memory: many idle WebSocket connections ---- */

TN_TEST(idle_connections_memory) {
    enum { N = 1100, A = 600, B = 1000 };   /* fds ~1200 to ~2000: the loop's fd table keeps its size */
    static counting_alloc ca;
    static wcli cs[N];
    server *s;
    long at_a = 0, at_b = 0, per;
    int i;
    TN_SLOW_UNDER_WINE("1100 WebSocket connections (over a minute there)");
#if !defined(_WIN32)   /* (Windows has no open-file limit of this kind) */
    {
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
        if (rl.rlim_cur < 2 * N + 100) TN_SKIP("needs %d open files (ulimit -n)", 2 * N + 100);
    }
#endif
    g_loop_ca = &ca;
    s = start_server_opts(NULL, 0);
    g_loop_ca = NULL;
    s->no_send_cb = 1;
    run_server(s);
    for (i = 0; i < N; i++) {
        wcli_open(&cs[i], s->port, "/idle");
        wcli_send(&cs[i], TN_WS_TEXT, "hi", 2);   /* one message each way: then idle */
        wcli_expect(&cs[i], TN_WS_TEXT, "hi", 2);
        if (i == A - 1 || i == B - 1) {
            usleep(100000);
            if (i == A - 1) at_a = ca.bytes;
            else at_b = ca.bytes;
        }
    }
    per = (at_b - at_a) / (B - A);
    fprintf(stderr, "heap per idle WebSocket connection: %ld bytes\n", per);
    /* one block, as an idle HTTP keep-alive connection: the stream (208 on LP64), the tcp
       server's record (16) and the HTTP state the upgrade left dead (40), whose bytes the
       40-byte hot tn_ws takes over (tn__hs_spare); handler and options are shared by all
       the server's connections, no cold part (no subprotocol, keepalive, send callback or
       compression here), no parser while idle, no read buffer. Send callbacks would add
       the tn_ws's cold part (88) with its ring (64) and the stream's write bookkeeping
       (40 + 24 per callback ring entry, 2 at first), allocated on first use and kept. */
    TN_CHECKF(per > 0 && per <= (long)(sizeof(void *) == 8 ? 264 : 300), "%ld bytes per idle WebSocket connection", per);
    for (i = 0; i < N; i++) wcli_close(&cs[i]);
    wait_for(&s->closes, N, 5000);
    TN_EQ_INT(s->closes, N);
    stop_server(s);
    TN_EQ_INT(ca.live, 0);
}

/* ---- interop with real peers: Python Tornado, Python websockets, node ws ---- */

#define PY "/usr/bin/python3"
#define PEER "tests/ws_interop_peer.py"
#define NODE_PEER "tests/node/ws_peer.js"   /* node's ws from npm (tests/node/package.json) */

/* The command that runs the peer lib ("tornado", "websockets", "node"): node's script
   speaks the same protocol as PEER. */
static const char *peer_cmd(const char *lib) {
    return strcmp(lib, "node") == 0 ? "node " NODE_PEER : PY " " PEER;
}

static void need_peer(const char *lib) {
    char cmd[256], out[64];
    TN_LINUX_PEER(strcmp(lib, "node") == 0 ? "node (npm ws)" : strcmp(lib, "tornado") == 0 ? "python3 with Tornado"
                                                                             : "python3 with websockets");
    if (strcmp(lib, "node") == 0) {
        const char *why = NULL;
        run_cmd("command -v node >/dev/null && echo yes", out, sizeof out);
        if (strncmp(out, "yes", 3) != 0) why = "node not found (apt-get install nodejs npm)";
        else if (access("tests/node/node_modules/ws/package.json", R_OK) != 0)
            why = "npm package ws not installed (npm install --prefix tests/node)";
        if (why && getenv("CI")) TN_CHECKF(0, "%s (CI=1: no skipping)", why);
        if (why) TN_SKIP("%s", why);
        return;
    }
    if (access(PY, X_OK) != 0 || access(PEER, R_OK) != 0) TN_SKIP("needs " PY " and " PEER " (run from the repo root)");
    snprintf(cmd, sizeof cmd, PY " -c 'import %s; print(\"yes\")' 2>/dev/null",
             strcmp(lib, "tornado") == 0 ? "tornado.websocket" : "websockets");
    run_cmd(cmd, out, sizeof out);
    if (strncmp(out, "yes", 3) != 0) TN_SKIP("install python3-%s (apt-get install python3-%s)", lib, lib);
}

/* Their client against our server: text, binary, 16 MiB, fragments (websockets), ping, and
   their close code echoed. */
static void peer_client(const char *lib, int deflate) {
    static tn_ws_deflate_opts zo;
    tn_ws_opts o;
    server *s;
    char cmd[256], out[512];
    need_peer(lib);
    memset(&o, 0, sizeof o);
    o.max_message_size = 64u << 20;
    if (deflate) o.compression = &zo;
    s = start_server(&o);
    snprintf(cmd, sizeof cmd, "%s client %s %d%s 2>&1", peer_cmd(lib), strcmp(lib, "node") ? lib : "", s->port,
             deflate ? " deflate" : "");
    run_cmd(cmd, out, sizeof out);
    TN_CHECKF(strncmp(out, "ok", 2) == 0, "%s client: %s", lib, out);
    wait_for(&s->closes, 1, 3000);
    TN_EQ_INT(s->closes, 1);
    TN_EQ_INT(s->close_code, 4002);
    TN_EQ_STR(s->close_reason, "done");
    TN_CHECK(s->pings >= 1);
    TN_EQ_INT(s->zon, deflate);   /* compressed messages only when asked for */
    stop_server(s);
}

TN_TEST(interop_tornado_client) { peer_client("tornado", 0); }
TN_TEST(interop_websockets_client) { peer_client("websockets", 0); }
TN_TEST(interop_node_ws_client) { peer_client("node", 0); }
TN_TEST(interop_tornado_client_deflate) { peer_client("tornado", 1); }
TN_TEST(interop_websockets_client_deflate) { peer_client("websockets", 1); }

/* Our client against their server. */
typedef struct pres {
    int state, echoes, closes, close_code, pongs;
    char reason[64];
    char *big;
    int frag;
    int zon;
    int ping_after;   /* Tornado 6.2 with compression: a control frame between the fragments of
                         a compressed message clears its "compressed" flag (websocket.py reads
                         RSV1 from every frame with a nonzero opcode), so the ping goes after */
} pres;

static void p_next(tn_ws *ws, pres *r) {
    r->state++;
    switch (r->state) {
    case 1: TN_OK_RC(tn_ws_send(ws, TN_WS_TEXT, "h\xc3\xa9llo", 6, NULL, NULL)); break;
    case 2: TN_OK_RC(tn_ws_send(ws, TN_WS_BINARY, r->big, 70000, NULL, NULL)); break;
    case 3: TN_OK_RC(tn_ws_send(ws, TN_WS_BINARY, r->big, 16u << 20, NULL, NULL)); break;
    case 4:
        TN_OK_RC(tn_ws_send_fragment(ws, TN_WS_TEXT, "fr\xc3", 3, 0, NULL, NULL));
        if (!r->ping_after) TN_OK_RC(tn_ws_ping(ws, "pp", 2));
        TN_OK_RC(tn_ws_send_fragment(ws, TN_WS_CONT, "\xa9", 1, 0, NULL, NULL));
        TN_OK_RC(tn_ws_send_fragment(ws, TN_WS_CONT, "agments", 7, 1, NULL, NULL));
        if (r->ping_after) TN_OK_RC(tn_ws_ping(ws, "pp", 2));
        break;
    case 5:
        if (r->frag) {
            TN_OK_RC(tn_ws_send(ws, TN_WS_TEXT, "frag-me", 7, NULL, NULL));
            break;
        }
        r->state++;
        /* fall through */
    default: TN_OK_RC(tn_ws_send(ws, TN_WS_TEXT, "close-me", 8, NULL, NULL)); break;
    }
}

static void p_message(tn_ws *ws, int opcode, tn_str data, void *user) {
    pres *r = (pres *)user;
    r->echoes++;
    switch (r->state) {
    case 1: TN_EQ_INT(opcode, TN_WS_TEXT); TN_EQ_TSTR(data, "h\xc3\xa9llo"); break;
    case 2: TN_EQ_INT(opcode, TN_WS_BINARY); TN_EQ_UINT(data.len, 70000); TN_CHECK(memcmp(data.ptr, r->big, 70000) == 0); break;
    case 3: TN_EQ_UINT(data.len, 16u << 20); TN_CHECK(memcmp(data.ptr, r->big, 16u << 20) == 0); break;
    case 4: TN_EQ_INT(opcode, TN_WS_TEXT); TN_EQ_TSTR(data, "fr\xc3\xa9" "agments"); break;
    case 5: TN_EQ_TSTR(data, "fragments"); break;
    default: TN_CHECKF(0, "unexpected message in state %d", r->state);
    }
    p_next(ws, r);
}

static void p_pong(tn_ws *ws, tn_str data, void *user) {
    (void)ws;
    TN_EQ_TSTR(data, "pp");
    ((pres *)user)->pongs++;
}

static void p_close(tn_ws *ws, int code, tn_str reason, void *user) {
    pres *r = (pres *)user;
    (void)ws;
    r->close_code = code;
    snprintf(r->reason, sizeof r->reason, "%.*s", (int)reason.len, reason.ptr ? reason.ptr : "");
    __sync_synchronize();
    r->closes++;
}

static void p_connected(tn_ws *ws, int status, int http_status, void *user) {
    TN_OK_RC(status);
    TN_EQ_INT(http_status, 101);
    ((pres *)user)->zon = tn_ws_compression(ws, NULL);
    p_next(ws, (pres *)user);
}

static void peer_server(const char *lib, int deflate) {
    static tn_ws_deflate_opts zo;
    static pres r;
    char cmd[256], url[64], line[32];
    tn_ws_handler h;
    tn_ws_opts o;
    tn_loop *loop;
    FILE *p;
    int i;
    size_t k;
    need_peer(lib);
    memset(&r, 0, sizeof r);
    r.frag = strcmp(lib, "tornado") != 0;   /* Python Tornado cannot send fragments */
    r.ping_after = deflate && !r.frag;
    r.big = (char *)malloc(16u << 20);
    for (k = 0; k < (16u << 20); k++) r.big[k] = (char)(k * 31 + (k >> 11));
    snprintf(cmd, sizeof cmd, "%s server %s%s", peer_cmd(lib), strcmp(lib, "node") ? lib : "", deflate ? " deflate" : "");
    p = popen(cmd, "r");
    TN_CHECK(p != NULL);
    TN_CHECK(fgets(line, sizeof line, p) != NULL);
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/chat", atoi(line));
    memset(&h, 0, sizeof h);
    memset(&o, 0, sizeof o);
    o.max_message_size = 64u << 20;
    if (deflate) o.compression = &zo;
    h.on_message = p_message;
    h.on_pong = p_pong;
    h.on_close = p_close;
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_OK_RC(tn_ws_connect(loop, url, &o, &h, p_connected, &r, NULL));
    for (i = 0; i < 3000 && !r.closes; i++) tn_loop_run_once(loop, 10);
    TN_EQ_INT(r.closes, 1);
    TN_EQ_INT(r.echoes, r.frag ? 5 : 4);
    TN_EQ_INT(r.pongs, 1);
    TN_EQ_INT(r.close_code, 4001);
    TN_EQ_STR(r.reason, "bye \xe2\x9c\x93");
    TN_EQ_INT(r.zon, deflate);   /* the server agreed (Tornado and websockets both can) */
    TN_OK_RC(tn_loop_free(loop));
    pclose(p);
    free(r.big);
}

TN_TEST(interop_tornado_server) { peer_server("tornado", 0); }
TN_TEST(interop_websockets_server) { peer_server("websockets", 0); }
TN_TEST(interop_node_ws_server) { peer_server("node", 0); }
TN_TEST(interop_tornado_server_deflate) { peer_server("tornado", 1); }
TN_TEST(interop_websockets_server_deflate) { peer_server("websockets", 1); }

TN_TESTS(
    TN_CASE(handshake_accepts_and_echoes),
    TN_CASE(handshake_refusals),
    TN_CASE(origin_allow_list_callback_and_subprotocols),
    TN_CASE(app_route_with_capture_cookie_and_refusal),
    TN_CASE(fragmented_message_with_pings_between),
    TN_CASE(sixteen_mib_messages),
    TN_CASE(limits_and_bad_input_close_with_codes),
    TN_CASE(streaming_receive_hands_over_pieces),
    TN_CASE(server_close_handshake_and_timeout),
    TN_CASE(keepalive_pings_and_timeout),
    TN_CASE(write_buffer_limit),
    TN_CASE(client_against_our_server),
    TN_CASE(deflate_echo_takeover_fragments_memory),
    TN_CASE(deflate_no_context_takeover_and_windows),
    TN_CASE(deflate_limits_and_bad_input),
    TN_CASE(deflate_streaming_receive),
    TN_CASE(deflate_client_against_our_server),
    TN_CASE(deflate_client_rejects_bad_answers),
    TN_CASE(client_failures),
    TN_CASE(client_rejects_a_wrong_accept_key_and_times_out),
    TN_CASE(interop_tornado_client),
    TN_CASE(interop_websockets_client),
    TN_CASE(interop_tornado_server),
    TN_CASE(interop_websockets_server),
    TN_CASE(interop_node_ws_client),
    TN_CASE(interop_node_ws_server),
    /* (16 MiB compressed both ways through a Python peer: over a minute under ASan on a
       loaded machine) */
    TN_CASE_T(interop_tornado_client_deflate, 150),
    TN_CASE_T(interop_websockets_client_deflate, 150),
    TN_CASE_T(interop_tornado_server_deflate, 150),
    TN_CASE_T(interop_websockets_server_deflate, 150),
    TN_CASE(reads_in_the_loop_buffer),
    TN_CASE(idle_connections_memory),
    TN_CASE(options_shared_and_own)
)
