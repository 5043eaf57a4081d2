/* test_http_server.c: the HTTP/1.1 server over real sockets on 127.0.0.1: keep-alive,
   pipelining, bodies (length, chunked, streamed, 100-continue), responses (whole, streamed,
   HEAD), every limit and timeout, slow clients, clients that leave, graceful close,
   detach, xheaders; and interop with curl and Python Tornado's HTTP client.

   The server runs its loop on a thread of its own; the tests are blocking clients. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include "tn_test_client.h"
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <poll.h>

/* ---- the server under test ---- */
typedef struct server {
    tn_loop *loop;
    tn_http_server *srv;
    pthread_t th;
    int port;
    volatile int handled;
    volatile int closed_cbs;
    volatile int logged;
    volatile int last_status;
    pthread_mutex_t log_mu;    /* guards logged and log[] (written on the server thread) */
    struct { int status; uint64_t bytes, usec; char method[16], path[32], ip[TN_ADDR_STRLEN], proto[8]; } log[16];
    tn_request *held;          /* a request the handler keeps (async / never answers) */
    char last_ip[TN_ADDR_STRLEN];
    char last_proto[16];
    uint64_t streamed_bytes;
    volatile int stream_done;
    volatile int stream_status;
    volatile int stream_ends;  /* final body callbacks (TN_OK or an error): one per request */
    char order[128];           /* /order?X: the X of each request, in the order handled */
    volatile int norder;
    volatile int paused, release;   /* pause_loop: the loop thread waits for release */
    volatile int body_pauses;       /* /upload-paused: times the body was paused */
    volatile int bytes_while_paused;/* body bytes delivered between a pause and its resume */
    int body_is_paused;
    tn_request *paused_req;
    char finish_ct[32];        /* /retry-type: the Content-Type its finish callback saw */
} server;

static server *g;   /* the handlers below read their settings from here */

static void on_close_req(tn_request *req, void *user) {
    (void)req;
    ((server *)user)->closed_cbs++;
}

static void async_answer(tn_loop *loop, void *user) {
    server *s = (server *)user;
    (void)loop;
    if (s->held) tn_respond(s->held, 200, "text/plain", "later", 5);
    s->held = NULL;
}

static void on_written(tn_request *req, int status, void *user);

typedef struct streamer { int left; } streamer;

/* A finish callback runs inside the response call: the response's headers, tn_respond's
   Content-Type among them, are still there to ask for. */
static void retry_finished(tn_request *req, void *user) {
    server *s = (server *)user;
    tn_str v;
    if (tn_response_get_header(req, "Content-Type", &v) != TN_OK) v = tn_str_c("none");
    snprintf(s->finish_ct, sizeof s->finish_ct, "%.*s", (int)v.len, v.ptr);
}
static streamer g_streamer;

static void on_written(tn_request *req, int status, void *user) {
    streamer *st = (streamer *)user;
    char chunk[1000];
    if (status != TN_OK) return;
    if (st->left == 0) {
        tn_response_finish(req);
        return;
    }
    memset(chunk, 'a' + st->left % 26, sizeof chunk);
    st->left--;
    TN_OK_RC(tn_response_write(req, chunk, sizeof chunk, on_written, st));
}

/* ---- the response model: framing headers, one header store, finish and gone ---- */
static struct {
    volatile int finished;     /* finish callbacks run */
    volatile int closed;       /* close callbacks run */
    volatile int gone_rc;      /* what the late write returned */
    volatile int late_done;
    tn_request *held;
} g_rm;

static void rm_on_finish(tn_request *req, void *user) {
    (void)req; (void)user;
    g_rm.finished++;
}
static void rm_on_close(tn_request *req, void *user) {
    (void)req; (void)user;
    g_rm.closed++;
}
static void rm_late_write(tn_loop *loop, void *user) {
    (void)loop; (void)user;
    g_rm.gone_rc = tn_response_write(g_rm.held, "late", 4, NULL, NULL);   /* the client left */
    g_rm.held = NULL;   /* released by that call: not touched again */
    g_rm.late_done = 1;
}

static void framing_handler(tn_request *req) {
    tn_str v;
    /* framing is the server's: refused at the server level, not only by the web layer */
    TN_EQ_RC(tn_response_set_header(req, "Content-Length", "5"), TN_EINVAL);
    TN_EQ_RC(tn_response_add_header(req, "transfer-encoding", "chunked"), TN_EINVAL);
    TN_EQ_RC(tn_response_set_header(req, "Connection", "keep-alive"), TN_EINVAL);
    /* no name kept: every line goes */
    TN_OK_RC(tn_response_add_header(req, "X-Z", "1"));
    TN_OK_RC(tn_response_add_header(req, "Set-Cookie", "z=1"));
    TN_OK_RC(tn_response_clear_headers(req, NULL));
    TN_EQ_RC(tn_response_get_header(req, "X-Z", &v), TN_ENOENT);
    TN_EQ_RC(tn_response_get_header(req, "Set-Cookie", &v), TN_ENOENT);
    TN_OK_RC(tn_response_set_header(req, "X-A", "1"));
    TN_OK_RC(tn_response_add_header(req, "Set-Cookie", "a=1"));
    TN_OK_RC(tn_response_add_header(req, "X-B", "2"));
    TN_OK_RC(tn_response_add_header(req, "Set-Cookie", "b=2"));
    TN_OK_RC(tn_response_add_header(req, "X-Set-Cookie", "3"));
    TN_OK_RC(tn_response_add_header(req, "set-cookie", "c=3"));
    TN_OK_RC(tn_response_add_header(req, "Set-Cookie2", "4"));
    TN_OK_RC(tn_response_get_header(req, "x-a", &v));
    TN_CHECK(tn_str_eq_c(v, "1"));
    /* the lines named keep stay (its case does not matter), in order; the others go, where
       ever they are (names that only start or end like keep's too) */
    TN_OK_RC(tn_response_clear_headers(req, "SET-COOKIE"));
    TN_EQ_RC(tn_response_get_header(req, "X-A", &v), TN_ENOENT);
    TN_EQ_RC(tn_response_get_header(req, "X-B", &v), TN_ENOENT);
    TN_EQ_RC(tn_response_get_header(req, "X-Set-Cookie", &v), TN_ENOENT);
    TN_EQ_RC(tn_response_get_header(req, "Set-Cookie2", &v), TN_ENOENT);
    TN_OK_RC(tn_response_get_header(req, "Set-Cookie", &v));
    TN_CHECK(tn_str_eq_c(v, "a=1"));
    /* asking to close: the server writes its one Connection line and closes after */
    TN_OK_RC(tn_response_set_header(req, "Connection", "close"));
    tn_request_set_finish_cb(req, rm_on_finish, NULL);
    TN_OK_RC(tn_respond(req, 200, "text/plain", "Hello, world", 12));
}

static void handler(tn_request *req, void *user) {
    server *s = (server *)user;
    tn_str path = tn_request_path(req), body = tn_request_body(req), v;
    char buf[512];
    s->handled++;
    snprintf(s->last_ip, sizeof s->last_ip, "%s", tn_request_remote_ip(req));
    snprintf(s->last_proto, sizeof s->last_proto, "%s", tn_request_protocol(req));
    if (tn_str_eq_c(path, "/")) {
        tn_respond(req, 200, "text/plain", "Hello, world", 12);
    } else if (tn_str_eq_c(path, "/order")) {
        tn_str q = tn_request_query(req);
        if (s->norder < (int)sizeof s->order - 1 && q.len > 0) s->order[s->norder++] = q.ptr[0];
        tn_respond(req, 200, "text/plain", q.ptr, q.len);
    } else if (tn_str_eq_c(path, "/echo")) {
        /* the body back, with its method and length */
        snprintf(buf, sizeof buf, "%.*s %lu ", (int)tn_request_method(req).len, tn_request_method(req).ptr,
                 (unsigned long)body.len);
        {
            size_t hl = strlen(buf);
            char *out = (char *)malloc(hl + body.len + 1);
            memcpy(out, buf, hl);
            if (body.len) memcpy(out + hl, body.ptr, body.len);
            tn_respond(req, 200, "text/plain", out, hl + body.len);
            free(out);
        }
    } else if (tn_str_eq_c(path, "/header")) {
        if (tn_request_header(req, "X-Test", &v) != TN_OK) v = tn_str_c("none");
        TN_EQ_RC(tn_response_set_header(req, "X-Bad", "a\r\nInjected: yes"), TN_EINVAL);
        TN_EQ_RC(tn_response_set_header(req, "Bad Name", "v"), TN_EINVAL);
        TN_OK_RC(tn_response_add_header(req, "X-Multi", "1"));
        TN_OK_RC(tn_response_add_header(req, "X-Multi", "2"));
        TN_OK_RC(tn_response_set_header(req, "X-Gone", "x"));
        TN_OK_RC(tn_response_clear_header(req, "x-gone"));
        TN_OK_RC(tn_response_set_header(req, "Set-Cookie", "a=1"));
        tn_respond(req, 200, "text/plain", v.ptr, v.len);
    } else if (tn_str_eq_c(path, "/retry-type")) {
        tn_request_set_finish_cb(req, retry_finished, s);
        /* a tn_respond that fails (its body over max_write_buffer_size), then one that
           succeeds: the failed call's Content-Type line must not stay behind; with "?h" a
           header set first (the server's general header removal) */
        static const char big[1000] = { 0 };
        if (tn_request_query(req).len) TN_OK_RC(tn_response_set_header(req, "X-Set", "1"));
        TN_EQ_RC(tn_respond(req, 200, "text/first", big, sizeof big), TN_EBUFFER_FULL);
        TN_OK_RC(tn_respond(req, 200, "text/second", "ok", 2));
    } else if (tn_str_eq_c(path, "/stream")) {
        g_streamer.left = 50;   /* 50 KB in 1 KB chunks, each after the previous left */
        TN_OK_RC(tn_response_start(req, 200, -1));
        on_written(req, TN_OK, &g_streamer);
    } else if (tn_str_eq_c(path, "/length")) {
        TN_OK_RC(tn_response_start(req, 200, 10));
        TN_OK_RC(tn_response_write(req, "01234", 5, NULL, NULL));
        TN_EQ_RC(tn_response_write(req, "567890", 6, NULL, NULL), TN_EINVAL);   /* over the length */
        TN_OK_RC(tn_response_write(req, "56789", 5, NULL, NULL));
        TN_OK_RC(tn_response_finish(req));
    } else if (tn_str_eq_c(path, "/async")) {
        s->held = req;
        tn_request_set_close_cb(req, on_close_req, s);
        tn_loop_call_later(s->loop, 50, async_answer, s, NULL);
    } else if (tn_str_eq_c(path, "/never")) {
        s->held = req;   /* never answered; the client will leave */
        tn_request_set_close_cb(req, on_close_req, s);
    } else if (tn_str_eq_c(path, "/slow")) {
        s->held = req;
        tn_request_set_close_cb(req, on_close_req, s);
        tn_loop_call_later(s->loop, 300, async_answer, s, NULL);
    } else if (tn_str_eq_c(path, "/framing")) {
        framing_handler(req);
    } else if (tn_str_eq_c(path, "/gone")) {
        /* started, then the client leaves; written to later */
        g_rm.held = req;
        tn_request_set_finish_cb(req, rm_on_finish, NULL);
        TN_OK_RC(tn_response_start(req, 200, -1));
        tn_loop_call_later(s->loop, 300, rm_late_write, NULL, NULL);
    } else if (tn_str_eq_c(path, "/leave")) {
        /* never answered, with both callbacks: the close callback runs, the finish one not */
        tn_request_set_finish_cb(req, rm_on_finish, NULL);
        tn_request_set_close_cb(req, rm_on_close, NULL);
    } else if (tn_str_eq_c(path, "/big")) {
        static char big[3000];   /* over the 1 KB a head shares its write with */
        if (!big[0]) memset(big, 'b', sizeof big);
        tn_respond(req, 200, "text/plain", big, sizeof big);
    } else if (tn_str_eq_c(path, "/ctype")) {
        /* the query as the content type and as the body (their lengths vary) */
        tn_str q = tn_request_query(req);
        snprintf(buf, sizeof buf, "%.*s", (int)q.len, q.ptr);
        tn_respond(req, 200, buf, q.ptr, q.len);
    } else if (tn_str_eq_c(path, "/status")) {
        tn_respond(req, 204, NULL, NULL, 0);
    } else if (tn_str_eq_c(path, "/teapot")) {
        TN_EQ_RC(tn_response_set_reason(req, "Bad\r\nX: y"), TN_EINVAL);
        TN_OK_RC(tn_response_set_reason(req, "I'm a teapot"));
        tn_respond(req, 418, "text/plain", "short and stout", 15);
    } else {
        tn_respond(req, 404, "text/plain", "Not Found", 9);
    }
}

static void on_body(tn_request *req, int status, tn_str data, void *user) {
    server *s = (server *)user;
    if (status == TN_MORE) {
        s->streamed_bytes += data.len;
        return;
    }
    s->stream_status = status;
    s->stream_done = 1;
    s->stream_ends++;
    if (status == TN_OK) {
        char buf[64];
        int n = snprintf(buf, sizeof buf, "streamed %lu", (unsigned long)s->streamed_bytes);
        tn_respond(req, 200, "text/plain", buf, (size_t)n);
    }
}

/* /upload-paused: the body is paused after every piece and resumed 20 ms later from a
   timer (flow control, as a handler writing to a slow disk would do) */
static void resume_body(tn_loop *loop, void *user) {
    server *s = (server *)user;
    (void)loop;
    s->body_is_paused = 0;
    tn_request_resume(s->paused_req);
}

static void on_body_paused(tn_request *req, int status, tn_str data, void *user) {
    server *s = (server *)user;
    if (status == TN_MORE) {
        if (s->body_is_paused) s->bytes_while_paused += (int)data.len;
        s->streamed_bytes += data.len;
        if (!s->body_is_paused) {
            s->body_is_paused = 1;
            s->body_pauses++;
            s->paused_req = req;
            tn_request_pause(req);
            TN_OK_RC(tn_loop_call_later(s->loop, 20, resume_body, s, NULL));
        }
        return;
    }
    on_body(req, status, data, user);
}

static void on_headers(tn_request *req, void *user) {
    server *s = (server *)user;
    if (tn_str_eq_c(tn_request_path(req), "/upload")) TN_OK_RC(tn_request_stream_body(req, on_body, s));
    if (tn_str_eq_c(tn_request_path(req), "/upload-paused")) TN_OK_RC(tn_request_stream_body(req, on_body_paused, s));
}

static void access_log(const tn_request *req, int status, uint64_t bytes, uint64_t usec, void *user) {
    server *s = (server *)user;
    tn_str m = tn_request_method(req), p = tn_request_path(req);
    pthread_mutex_lock(&s->log_mu);
    if (s->logged < 16) {
        s->log[s->logged].status = status;
        s->log[s->logged].bytes = bytes;
        s->log[s->logged].usec = usec;
        snprintf(s->log[s->logged].method, sizeof s->log[0].method, "%.*s", (int)m.len, m.ptr ? m.ptr : "");
        snprintf(s->log[s->logged].path, sizeof s->log[0].path, "%.*s", (int)p.len, p.ptr ? p.ptr : "");
        snprintf(s->log[s->logged].ip, sizeof s->log[0].ip, "%s", tn_request_remote_ip(req));
        snprintf(s->log[s->logged].proto, sizeof s->log[0].proto, "%s", tn_request_protocol(req) ? tn_request_protocol(req) : "");
    }
    s->logged++;
    s->last_status = status;
    pthread_mutex_unlock(&s->log_mu);
}

static void *server_thread(void *u) {
    server *s = (server *)u;
    tn_loop_run(s->loop);
    return NULL;
}

static counting_alloc *g_loop_ca;   /* set: the next server's loop counts its memory */

static server *start_server(const tn_http_server_opts *o_in) {
    server *s = (server *)calloc(1, sizeof *s);
    tn_http_server_opts o;
    memset(&o, 0, sizeof o);
    if (o_in) o = *o_in;
    if (!o.on_headers) o.on_headers = on_headers;
    o.access_log = access_log;
    o.access_log_user = s;
    pthread_mutex_init(&s->log_mu, NULL);
    if (g_loop_ca) {
        tn_loop_opts lo;
        memset(&lo, 0, sizeof lo);
        lo.allocator = tn_test_counting(g_loop_ca);
        TN_OK_RC(tn_loop_new(&lo, &s->loop));
    } else {
        TN_OK_RC(tn_loop_new(NULL, &s->loop));
    }
    TN_OK_RC(tn_http_server_new(s->loop, &o, handler, s, &s->srv));
    TN_OK_RC(tn_http_server_listen(s->srv, "127.0.0.1", 0));
    s->port = tn_http_server_port(s->srv);
    g = s;
    TN_CHECK(pthread_create(&s->th, NULL, server_thread, s) == 0);
    return s;
}

static void on_srv_closed(tn_loop *loop, void *user) {
    (void)user;
    tn_loop_stop(loop);
}
static void close_srv(tn_loop *loop, void *user) {
    server *s = (server *)user;
    (void)loop;
    TN_OK_RC(tn_http_server_close(s->srv, 2000, on_srv_closed, s));
}

/* Graceful stop from the test thread; every object must be gone afterwards. */
static void stop_server(server *s) {
    TN_OK_RC(tn_loop_post(s->loop, close_srv, s));
    TN_CHECK(pthread_join(s->th, NULL) == 0);
    TN_OK_RC(tn_loop_free(s->loop));
    free(s);
}

/* ---- client helpers (the blocking client is in tn_test_client.h) ---- */

/* Count "HTTP/1.1 NNN" status lines with the given code. */
static int count_status(const char *buf, int code) {
    char pat[32];
    int n = 0;
    const char *p = buf;
    snprintf(pat, sizeof pat, "HTTP/1.1 %d ", code);
    while ((p = strstr(p, pat)) != NULL) {
        n++;
        p++;
    }
    return n;
}

/* One request on a fresh connection: returns the response (up to cap) and whether the
   server closed the connection. */
static size_t exchange(int port, const char *req, char *buf, size_t cap, int wait_ms, int *closed) {
    int fd = cli_connect(port, 0);
    size_t n;
    cli_send_lenient(fd, req, strlen(req));
    n = cli_recv(fd, buf, cap, wait_ms, closed);
    close(fd);
    return n;
}

/* ---- tests ---- */
/* The loop thread waits (inside a posted callback) until the test releases it: bytes the
   test sends meanwhile are all waiting in the kernel when the loop next polls. */
static void pause_cb(tn_loop *loop, void *user) {
    server *s = (server *)user;
    (void)loop;
    s->paused = 1;
    while (!s->release) usleep(1000);
}

/* Pipelined requests of several connections: each pass of the server answers one request
   of every ready connection in turn (no connection starves the others), and many passes
   run per loop iteration, so a deep pipeline is answered without a poll per request. */
TN_TEST(pipelined_connections_take_turns) {
    server *s = start_server(NULL);
    enum { N = 40 };
    static char req[N * 64], buf[N * 256];
    int fa = cli_connect(s->port, 0), fb = cli_connect(s->port, 0), closed, i;
    size_t len;
    char *p;
    /* both connections accepted and idle before the pause */
    cli_sends(fa, "GET /order?a HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_recv_n(fa, buf, sizeof buf, 2000, &closed, 1);
    cli_sends(fb, "GET /order?b HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_recv_n(fb, buf, sizeof buf, 2000, &closed, 1);
    TN_EQ_INT(s->norder, 2);
    s->norder = 0;
    TN_OK_RC(tn_loop_post(s->loop, pause_cb, s));
    while (!s->paused) usleep(1000);
    for (len = 0, i = 0; i < N; i++) len += (size_t)sprintf(req + len, "GET /order?A%d HTTP/1.1\r\nHost: t\r\n\r\n", i);
    cli_send_lenient(fa, req, len);
    for (len = 0, i = 0; i < N; i++) len += (size_t)sprintf(req + len, "GET /order?B%d HTTP/1.1\r\nHost: t\r\n\r\n", i);
    cli_send_lenient(fb, req, len);
    usleep(50000);
    s->release = 1;
    cli_recv_n(fa, buf, sizeof buf, 3000, &closed, N);
    TN_EQ_INT(count_status(buf, 200), N);
    for (p = buf, i = 0; i < N; i++) {   /* in order */
        char want[32];
        sprintf(want, "\r\n\r\nA%d", i);
        TN_CHECKF((p = strstr(p, want)) != NULL, "response %d of A out of order", i);
    }
    cli_recv_n(fb, buf, sizeof buf, 3000, &closed, N);
    TN_EQ_INT(count_status(buf, 200), N);
    TN_EQ_INT(s->norder, 2 * N);
    /* turns: as long as both have requests left, A and B alternate */
    for (i = 0; i + 1 < 2 * N; i += 2)
        TN_CHECKF(s->order[i] != s->order[i + 1], "handled in the order %.*s", 2 * N, s->order);
    close(fa);
    close(fb);
    stop_server(s);
}

/* Content types and bodies of every length up to 40 bytes, pipelined: each response's
   Content-Type line and body are the bytes given (the server copies short ones its own way). */
TN_TEST(respond_lengths_pipelined) {
    server *s = start_server(NULL);
    char req[8192], buf[32768], val[48], want[160];
    const char *p = buf;
    int fd = cli_connect(s->port, 0), closed, n;
    size_t len = 0;
    for (n = 1; n <= 40; n++) {
        memset(val, 'a' + n % 26, (size_t)n);
        val[n] = 0;
        val[0] = 'x';
        len += (size_t)snprintf(req + len, sizeof req - len, "GET /ctype?%s HTTP/1.1\r\nHost: t\r\n\r\n", val);
    }
    cli_send_lenient(fd, req, len);
    cli_recv_n(fd, buf, sizeof buf, 3000, &closed, 40);
    TN_EQ_INT(count_status(buf, 200), 40);
    for (n = 1; n <= 40; n++) {
        memset(val, 'a' + n % 26, (size_t)n);
        val[n] = 0;
        val[0] = 'x';
        snprintf(want, sizeof want, "Content-Length: %d\r\nContent-Type: %s\r\n\r\n%s", n, val, val);
        TN_CHECKF((p = strstr(p, want)) != NULL, "response %d: %s", n, want);
        if (!p) break;
    }
    close(fd);
    stop_server(s);
}

TN_TEST(keep_alive_and_pipelining_in_order) {
    server *s = start_server(NULL);
    char buf[8192];
    int fd = cli_connect(s->port, 0), closed, i;
    /* three requests, one at a time, on one connection */
    for (i = 0; i < 3; i++) {
        cli_sends(fd, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
        cli_recv_n(fd, buf, sizeof buf, 2000, &closed, 1);
        TN_EQ_INT(closed, 0);
        TN_EQ_INT(count_status(buf, 200), 1);
        TN_CHECK(strstr(buf, "Content-Length: 12\r\n") != NULL);
        TN_CHECK(strstr(buf, "Date: ") != NULL && strstr(buf, " GMT\r\n") != NULL);
        TN_CHECK(strstr(buf, "Server: tornado.h/") != NULL);
        TN_CHECK(strstr(buf, "\r\n\r\nHello, world") != NULL);
    }
    /* pipelined: three in one write, answered in order */
    cli_sends(fd, "GET /status HTTP/1.1\r\nHost: t\r\n\r\nGET /missing HTTP/1.1\r\nHost: t\r\n\r\n"
                 "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_recv_n(fd, buf, sizeof buf, 2000, &closed, 3);
    TN_EQ_INT(closed, 0);
    TN_CHECK(strstr(buf, "HTTP/1.1 204") != NULL);
    TN_CHECKF(strstr(buf, "HTTP/1.1 404") && strstr(buf, "HTTP/1.1 200"), "got: %s", buf);
    TN_CHECK(strstr(buf, "HTTP/1.1 204") < strstr(buf, "HTTP/1.1 404"));
    TN_CHECK(strstr(buf, "HTTP/1.1 404") < strstr(buf, "HTTP/1.1 200"));
    TN_CHECK(strstr(buf, "HTTP/1.1 204 No Content\r\n") && !strstr(strstr(buf, "204"), "Content-Length: 0\r\n\r\nHTTP/1.1 404"));
    /* pipelined, the last one asking to close: every response arrives, then the close */
    cli_sends(fd, "GET / HTTP/1.1\r\nHost: t\r\n\r\nGET /status HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    cli_recv(fd, buf, sizeof buf, 2000, &closed);
    TN_EQ_INT(closed, 1);
    TN_EQ_INT(count_status(buf, 200), 1);
    TN_EQ_INT(count_status(buf, 204), 1);
    close(fd);
    fd = cli_connect(s->port, 0);
    /* Connection: close is honoured */
    cli_sends(fd, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    cli_recv(fd, buf, sizeof buf, 1000, &closed);
    TN_EQ_INT(closed, 1);
    TN_CHECK(strstr(buf, "Connection: close\r\n") != NULL);
    close(fd);
    TN_EQ_INT(s->handled, 9);
    stop_server(s);
}

TN_TEST(http10_and_head_and_one_byte_writes) {
    server *s = start_server(NULL);
    char buf[4096];
    int closed, fd, i;
    const char *req = "GET / HTTP/1.1\r\nHost: t\r\nX-Pad: 0123456789\r\n\r\n";
    /* HTTP/1.0: closes unless keep-alive is asked for */
    exchange(s->port, "GET / HTTP/1.0\r\n\r\n", buf, sizeof buf, 1000, &closed);
    TN_EQ_INT(closed, 1);
    TN_EQ_INT(count_status(buf, 200), 1);
    fd = cli_connect(s->port, 0);
    cli_sends(fd, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    cli_recv(fd, buf, sizeof buf, 150, &closed);
    TN_EQ_INT(closed, 0);
    TN_CHECK(strstr(buf, "Connection: keep-alive\r\n") != NULL);
    close(fd);
    /* HEAD: the length of the body, but no body */
    exchange(s->port, "HEAD / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", buf, sizeof buf, 1000, &closed);
    TN_CHECK(strstr(buf, "Content-Length: 12\r\n") != NULL);
    TN_CHECK(strstr(buf, "Hello") == NULL);
    /* a request dribbled one byte per write is still served */
    fd = cli_connect(s->port, 0);
    for (i = 0; req[i]; i++) {
        cli_send(fd, req + i, 1);
        usleep(500);
    }
    cli_recv(fd, buf, sizeof buf, 500, &closed);
    TN_EQ_INT(count_status(buf, 200), 1);
    close(fd);
    stop_server(s);
}

TN_TEST(request_bodies_length_chunked_continue) {
    server *s = start_server(NULL);
    char buf[8192];
    int closed, fd;
    exchange(s->port, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello world",
             buf, sizeof buf, 1000, &closed);
    TN_CHECK(strstr(buf, "\r\n\r\nPOST 11 hello world") != NULL);
    exchange(s->port, "PUT /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                      "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nTrailer: x\r\n\r\n",
             buf, sizeof buf, 1000, &closed);
    TN_CHECK(strstr(buf, "\r\n\r\nPUT 11 hello world") != NULL);
    /* a chunked body followed by a pipelined request on the same connection */
    fd = cli_connect(s->port, 0);
    cli_sends(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                 "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_recv(fd, buf, sizeof buf, 300, &closed);
    TN_CHECK(strstr(buf, "POST 3 abc") != NULL);
    TN_CHECK(strstr(buf, "Hello, world") != NULL);
    close(fd);
    /* Expect: 100-continue: the interim response comes before the body is sent */
    fd = cli_connect(s->port, 0);
    cli_sends(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    cli_recv(fd, buf, sizeof buf, 200, &closed);
    TN_EQ_STR(buf, "HTTP/1.1 100 Continue\r\n\r\n");
    cli_sends(fd, "data");
    cli_recv(fd, buf, sizeof buf, 300, &closed);
    TN_CHECK(strstr(buf, "POST 4 data") != NULL);
    close(fd);
    /* a body split over many packets */
    fd = cli_connect(s->port, 0);
    cli_sends(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\n\r\nab");
    usleep(20000);
    cli_sends(fd, "cd");
    usleep(20000);
    cli_sends(fd, "ef");
    cli_recv(fd, buf, sizeof buf, 300, &closed);
    TN_CHECK(strstr(buf, "POST 6 abcdef") != NULL);
    close(fd);
    stop_server(s);
}

TN_TEST(malformed_and_limits_get_status_then_close) {
    tn_http_server_opts o;
    server *s;
    char buf[8192], big[20000];
    int closed, i;
    struct { const char *req; int status; } cases[] = {
        {"GARBAGE\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\n\r\n", 400},                                     /* no Host */
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},               /* two Hosts */
        {"GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400},
        {"GET / HTTP/1.1\nHost: a\n\n", 400},                                 /* bare LF */
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400},   /* RFC 9112 6.3: not chunked last */
        {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
        {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000\r\n\r\n", 413},   /* over max_body_size */
        {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 400},
        {"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 405},
        /* RFC 9112 §3.2: a Host that is not a valid host[:port] (RFC 3986) MUST get a 400 */
        {"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400},
    };
    memset(&o, 0, sizeof o);
    o.max_body_size = 1000;
    o.max_header_size = 4096;
    o.max_headers = 10;
    o.max_target_length = 100;
    s = start_server(&o);
    for (i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
        exchange(s->port, cases[i].req, buf, sizeof buf, 2000, &closed);
        TN_CHECKF(count_status(buf, cases[i].status) == 1, "case %d: wanted %d, got: %.60s", i, cases[i].status, buf);
        TN_CHECKF(closed, "case %d: connection left open", i);
        TN_CHECK(strstr(buf, "Connection: close\r\n") != NULL);
    }
    /* 414: target over 100 bytes */
    memset(big, 'a', 200);
    memcpy(big, "GET /", 5);
    strcpy(big + 200, " HTTP/1.1\r\nHost: a\r\n\r\n");
    exchange(s->port, big, buf, sizeof buf, 2000, &closed);
    TN_EQ_INT(count_status(buf, 414), 1);
    /* 431: too many fields, and a head over 4 KB */
    strcpy(big, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (i = 0; i < 12; i++) strcat(big, "X-F: 1\r\n");
    strcat(big, "\r\n");
    exchange(s->port, big, buf, sizeof buf, 2000, &closed);
    TN_EQ_INT(count_status(buf, 431), 1);
    strcpy(big, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
    memset(big + strlen(big), 'b', 5000);
    strcpy(big + 32 + 5000, "\r\n\r\n");
    exchange(s->port, big, buf, sizeof buf, 2000, &closed);
    TN_EQ_INT(count_status(buf, 431), 1);
    /* 413 for a chunked body that grows past the limit */
    {
        int fd = cli_connect(s->port, 0);
        char chunk[700];
        cli_sends(fd, "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        memset(chunk, 'c', sizeof chunk);
        for (i = 0; i < 2; i++) {
            cli_send_lenient(fd, "2bc\r\n", 5);
            cli_send_lenient(fd, chunk, sizeof chunk);
            cli_send_lenient(fd, "\r\n", 2);
        }
        cli_recv(fd, buf, sizeof buf, 2000, &closed);
        TN_EQ_INT(count_status(buf, 413), 1);
        TN_EQ_INT(closed, 1);
        close(fd);
    }
    TN_EQ_INT(s->handled, 0);   /* none of these reached the handler */
    stop_server(s);
}

TN_TEST(responses_streamed_fixed_and_headers) {
    server *s = start_server(NULL);
    static char buf[200000];
    int closed;
    size_t n;
    char *body;
    n = exchange(s->port, "GET /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", buf, sizeof buf, 3000, &closed);
    TN_CHECK(strstr(buf, "Transfer-Encoding: chunked\r\n") != NULL);
    TN_CHECK(n > 50000 + 50 * 7);   /* 50 chunks of 1000 bytes, each framed */
    TN_CHECK(strstr(buf, "\r\n0\r\n\r\n") != NULL);
    {   /* decode the chunked body with our own decoder: 50 chunks of 1000 bytes */
        tn_http_chunked dec;
        size_t len;
        int rc;
        memset(&dec, 0, sizeof dec);
        body = strstr(buf, "\r\n\r\n") + 4;
        len = n - (size_t)(body - buf);
        rc = tn_http_decode_chunked(&dec, body, &len);
        TN_EQ_INT(rc, 0);
        TN_EQ_UINT(len, 50000);
        TN_EQ_UINT(dec.num_chunks, 50);
    }
    exchange(s->port, "GET /length HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", buf, sizeof buf, 1000, &closed);
    TN_CHECKF(strstr(buf, "Content-Length: 10\r\n") && strstr(buf, "\r\n\r\n0123456789"), "got %s", buf);
    /* an HTTP/1.0 client gets a close-delimited stream */
    exchange(s->port, "GET /stream HTTP/1.0\r\n\r\n", buf, sizeof buf, 3000, &closed);
    TN_EQ_INT(closed, 1);
    TN_CHECK(strstr(buf, "Transfer-Encoding") == NULL);
    TN_CHECK(strstr(buf, "Connection: close\r\n") != NULL);
    exchange(s->port, "GET /header HTTP/1.1\r\nHost: t\r\nX-Test: yes\r\nConnection: close\r\n\r\n", buf, sizeof buf, 1000, &closed);
    TN_CHECK(strstr(buf, "X-Multi: 1\r\nX-Multi: 2\r\n") != NULL);
    TN_CHECK(strstr(buf, "Set-Cookie: a=1\r\n") != NULL);
    TN_CHECK(strstr(buf, "X-Gone") == NULL);
    TN_CHECK(strstr(buf, "Injected") == NULL);
    TN_CHECK(strstr(buf, "\r\n\r\nyes") != NULL);
    exchange(s->port, "GET /teapot HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", buf, sizeof buf, 1000, &closed);
    TN_CHECK(strncmp(buf, "HTTP/1.1 418 I'm a teapot\r\n", 27) == 0);
    stop_server(s);
}

TN_TEST(streamed_request_body) {
    server *s = start_server(NULL);
    char buf[4096], chunk[10000];
    int closed, fd, i;
    fd = cli_connect(s->port, 0);
    cli_sends(fd, "PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
    memset(chunk, 'u', sizeof chunk);
    for (i = 0; i < 10; i++) cli_send(fd, chunk, sizeof chunk);
    cli_recv(fd, buf, sizeof buf, 1000, &closed);
    TN_CHECK(strstr(buf, "streamed 100000") != NULL);
    /* chunked, then the next request on the same connection */
    s->streamed_bytes = 0;
    cli_sends(fd, "PUT /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "a\r\n0123456789\r\n5\r\nabcde\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_recv(fd, buf, sizeof buf, 500, &closed);
    TN_CHECK(strstr(buf, "streamed 15") != NULL);
    TN_CHECK(strstr(buf, "Hello, world") != NULL);
    /* an empty streamed body still ends */
    s->streamed_bytes = 0;
    cli_sends(fd, "PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    cli_recv_n(fd, buf, sizeof buf, 2000, &closed, 1);
    TN_CHECK(strstr(buf, "streamed 0") != NULL);
    close(fd);
    /* bad chunk framing: reported once as an error, the handler never sees TN_OK, and the
       connection closes without a response */
    s->stream_ends = 0;
    s->stream_status = 0;
    fd = cli_connect(s->port, 0);
    cli_sends(fd, "PUT /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\nZZ\r\n");
    cli_recv(fd, buf, sizeof buf, 2000, &closed);
    TN_CHECK(closed);
    TN_EQ_INT((int)strlen(buf), 0);
    usleep(50000);
    TN_EQ_INT(s->stream_ends, 1);
    TN_EQ_RC(s->stream_status, TN_EBAD_CHUNK);
    close(fd);
    stop_server(s);
}

/* A streamed body paused by its handler and resumed from a timer: no bytes arrive while
   paused, the body resumes where it stopped (its bytes are never taken for a request head),
   and the request pipelined behind it is answered after. */
TN_TEST(streamed_request_body_pause_resume) {
    server *s = start_server(NULL);
    static char buf[4096], chunk[20000];
    int closed, fd;
    fd = cli_connect(s->port, 0);
    memset(chunk, 'p', sizeof chunk);
    cli_sends(fd, "PUT /upload-paused HTTP/1.1\r\nHost: t\r\nContent-Length: 60000\r\n\r\n");
    cli_send(fd, chunk, sizeof chunk);
    usleep(30000);
    cli_send(fd, chunk, sizeof chunk);
    usleep(30000);
    cli_send(fd, chunk, sizeof chunk);
    cli_sends(fd, "GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_recv_n(fd, buf, sizeof buf, 5000, &closed, 2);
    TN_CHECKF(strstr(buf, "streamed 60000") != NULL, "got: %.200s", buf);
    TN_CHECK(strstr(buf, "Hello, world") != NULL);
    TN_EQ_INT(count_status(buf, 400), 0);
    TN_CHECK(s->body_pauses >= 2);
    TN_EQ_INT(s->bytes_while_paused, 0);
    TN_EQ_INT(s->stream_status, TN_OK);
    close(fd);
    stop_server(s);
}

TN_TEST(async_handler_and_client_that_leaves) {
    server *s = start_server(NULL);
    char buf[4096];
    int closed, fd;
    uint64_t end;
    exchange(s->port, "GET /async HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", buf, sizeof buf, 1000, &closed);
    TN_CHECK(strstr(buf, "\r\n\r\nlater") != NULL);
    TN_EQ_INT(s->closed_cbs, 0);
    /* a handler that never answers: once the client leaves, the connection is released and
       the request's close callback runs */
    fd = cli_connect(s->port, 0);
    cli_sends(fd, "GET /never HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(50000);
    TN_EQ_UINT(tn_http_server_connections(s->srv), 1);
    close(fd);
    end = tn_time_ms() + 2000;
    while (s->closed_cbs == 0 && tn_time_ms() < end) usleep(2000);
    TN_EQ_INT(s->closed_cbs, 1);
    end = tn_time_ms() + 2000;
    while (tn_http_server_connections(s->srv) > 0 && tn_time_ms() < end) usleep(2000);
    TN_EQ_UINT(tn_http_server_connections(s->srv), 0);
    stop_server(s);
}

TN_TEST(idle_header_and_body_timeouts) {
    tn_http_server_opts o;
    server *s;
    char buf[4096];
    int closed, slow, fd, i;
    uint64_t t0;
    memset(&o, 0, sizeof o);
    o.idle_connection_timeout_ms = 300;
    o.header_timeout_ms = 400;
    o.body_timeout_ms = 400;
    s = start_server(&o);
    /* idle keep-alive connection: closed after ~300 ms */
    fd = cli_connect(s->port, 0);
    t0 = tn_time_ms();
    cli_recv(fd, buf, sizeof buf, 3000, &closed);
    TN_EQ_INT(closed, 1);
    TN_CHECK(tn_time_ms() - t0 >= 250 && tn_time_ms() - t0 < 2000);
    close(fd);
    /* slowloris: a head dribbled forever is cut at the header timeout, while a normal client
       is still served at once */
    slow = cli_connect(s->port, 0);
    cli_sends(slow, "GET / HTTP/1.1\r\n");
    t0 = tn_time_ms();
    for (i = 0; i < 20; i++) {
        char line[32];
        struct pollfd p;
        snprintf(line, sizeof line, "X-%d: y\r\n", i);
        if (send(slow, line, strlen(line), MSG_NOSIGNAL) <= 0) break;
        p.fd = slow;
        p.events = POLLIN;
        if (poll(&p, 1, 0) > 0) break;   /* closed on us */
        if (i == 3) {
            uint64_t q = tn_time_ms();
            exchange(s->port, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", buf, sizeof buf, 1000, &closed);
            TN_EQ_INT(count_status(buf, 200), 1);
            TN_CHECK(tn_time_ms() - q < 200);
        }
        usleep(100000);
    }
    cli_recv(slow, buf, sizeof buf, 2000, &closed);
    TN_EQ_INT(closed, 1);
    TN_CHECKF(tn_time_ms() - t0 < 1500, "slow client held %lu ms", (unsigned long)(tn_time_ms() - t0));
    close(slow);
    /* body timeout */
    fd = cli_connect(s->port, 0);
    cli_sends(fd, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly a bit");
    t0 = tn_time_ms();
    cli_recv(fd, buf, sizeof buf, 3000, &closed);
    TN_EQ_INT(closed, 1);
    TN_CHECK(tn_time_ms() - t0 >= 300 && tn_time_ms() - t0 < 2000);
    close(fd);
    stop_server(s);
}

static int wait_logged(server *s, int n);

TN_TEST(no_keep_alive_max_connections_xheaders) {
    tn_http_server_opts o;
    server *s;
    char buf[4096];
    int closed, fds[3], i;
    memset(&o, 0, sizeof o);
    o.no_keep_alive = 1;
    o.xheaders = 1;
    o.tcp.max_connections = 2;
    s = start_server(&o);
    exchange(s->port, "GET / HTTP/1.1\r\nHost: t\r\n\r\n", buf, sizeof buf, 1000, &closed);
    TN_EQ_INT(closed, 1);   /* one request per connection */
    exchange(s->port, "GET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 10.0.0.1, 192.0.2.7\r\nX-Forwarded-Proto: https\r\n\r\n",
             buf, sizeof buf, 1000, &closed);
    TN_EQ_STR(s->last_ip, "192.0.2.7");
    TN_EQ_STR(s->last_proto, "https");
    exchange(s->port, "GET / HTTP/1.1\r\nHost: t\r\nX-Real-Ip: not-an-ip\r\n\r\n", buf, sizeof buf, 1000, &closed);
    TN_EQ_STR(s->last_ip, "127.0.0.1");
    /* X-Real-Ip first (an invalid one is not replaced by X-Forwarded-For), X-Scheme before
       X-Forwarded-Proto, whitespace around the entries, the first token of the protocol */
    exchange(s->port, "GET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 10.0.0.1\r\nX-Real-Ip: 192.0.2.9\r\n"
             "X-Forwarded-Proto: https\r\nX-Scheme: http\r\n\r\n", buf, sizeof buf, 1000, &closed);
    TN_EQ_STR(s->last_ip, "192.0.2.9");
    TN_EQ_STR(s->last_proto, "http");
    exchange(s->port, "GET / HTTP/1.1\r\nHost: t\r\nX-Real-Ip: 192.0.2.300\r\nX-Forwarded-For: 10.0.0.1\r\n"
             "X-Forwarded-Proto: \t HTTPS, http\r\n\r\n", buf, sizeof buf, 1000, &closed);
    TN_EQ_STR(s->last_ip, "127.0.0.1");
    TN_EQ_STR(s->last_proto, "https");
    exchange(s->port, "GET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 10.0.0.1 ,\t 2001:db8::1 \t\r\n"
             "X-Forwarded-Proto: ftp\r\n\r\n", buf, sizeof buf, 1000, &closed);
    TN_EQ_STR(s->last_ip, "2001:db8::1");
    TN_EQ_STR(s->last_proto, "http");
    exchange(s->port, "GET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 192.0.2.1,\r\nX-Scheme: httpsx\r\n\r\n",
             buf, sizeof buf, 1000, &closed);
    TN_EQ_STR(s->last_ip, "127.0.0.1");   /* an empty last entry */
    TN_EQ_STR(s->last_proto, "http");
    /* the access log asks too (the fields are read when asked), and gets the same; of a
       head the server refused (400: HTTP/1.1 without Host) the fields are not trusted */
    i = wait_logged(s, 7);
    TN_EQ_INT(i, 7);
    TN_EQ_STR(s->log[1].ip, "192.0.2.7");
    TN_EQ_STR(s->log[1].proto, "https");
    exchange(s->port, "GET / HTTP/1.1\r\nX-Real-Ip: 192.0.2.5\r\nX-Scheme: https\r\n\r\n", buf, sizeof buf, 1000, &closed);
    TN_EQ_INT(count_status(buf, 400), 1);
    TN_EQ_INT(wait_logged(s, 8), 8);
    TN_EQ_INT(s->log[7].status, 400);
    TN_EQ_STR(s->log[7].ip, "127.0.0.1");
    /* two connections held open: the third waits until one goes */
    for (i = 0; i < 3; i++) fds[i] = cli_connect(s->port, 0);
    usleep(100000);
    cli_send(fds[2], "GET / HTTP/1.1\r\nHost: t\r\n\r\n", 27);
    cli_recv(fds[2], buf, sizeof buf, 200, &closed);
    TN_EQ_INT((int)strlen(buf), 0);   /* not accepted yet */
    close(fds[0]);
    cli_recv(fds[2], buf, sizeof buf, 2000, &closed);
    TN_EQ_INT(count_status(buf, 200), 1);
    close(fds[1]);
    close(fds[2]);
    stop_server(s);
}

static void set_flag(tn_loop *loop, void *user) {
    (void)loop;
    *(volatile int *)user = 1;
}

/* graceful close: a request in flight finishes; new connections are refused */
TN_TEST(graceful_shutdown) {
    server *s = start_server(NULL);
    char buf[4096];
    volatile int closing = 0;
    int closed, fd = cli_connect(s->port, 0), fd2, rc, err;
    struct sockaddr_in sa;
    uint64_t end;
    cli_sends(fd, "GET /slow HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(50000);
    TN_OK_RC(tn_loop_post(s->loop, close_srv, s));
    TN_OK_RC(tn_loop_post(s->loop, set_flag, (void *)&closing));   /* runs after close_srv */
    end = tn_time_ms() + 2000;
    while (!closing && tn_time_ms() < end) usleep(1000);
    TN_CHECK(closing);
    /* the /slow answer is still 250 ms away: a new connection now is refused */
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)s->port);
    sa.sin_addr.s_addr = htonl(0x7f000001);
    fd2 = socket(AF_INET, SOCK_STREAM, 0);
    TN_CHECK(fd2 >= 0);
    rc = connect(fd2, (struct sockaddr *)&sa, sizeof sa);
    err = errno;
    close(fd2);
    TN_CHECKF(rc < 0 && err == ECONNREFUSED, "connect during shutdown: rc %d, %s", rc, strerror(err));
    cli_recv(fd, buf, sizeof buf, 3000, &closed);
    TN_CHECK(strstr(buf, "\r\n\r\nlater") != NULL);
    TN_CHECK(strstr(buf, "Connection: close\r\n") != NULL);
    TN_EQ_INT(closed, 1);
    close(fd);
    TN_CHECK(pthread_join(s->th, NULL) == 0);
    TN_OK_RC(tn_loop_free(s->loop));
    free(s);
}

/* Wait (bounded) until n requests are logged; the response can reach the client first. */
static int wait_logged(server *s, int n) {
    uint64_t end = tn_time_ms() + 2000;
    int got;
    for (;;) {
        pthread_mutex_lock(&s->log_mu);
        got = s->logged;
        pthread_mutex_unlock(&s->log_mu);
        if (got >= n || tn_time_ms() > end) return got;
        usleep(1000);
    }
}

/* Every request is logged with its status, the body bytes sent and the time it took,
   including the error replies the server sends itself (Tornado logs every request). */
TN_TEST(access_log_sees_every_request) {
    tn_http_server_opts o;
    server *s;
    char buf[65536];
    int closed, i;
    memset(&o, 0, sizeof o);
    o.max_body_size = 1000;
    o.max_header_size = 4096;
    s = start_server(&o);
    exchange(s->port, "GET /missing HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", buf, sizeof buf, 1000, &closed);
    TN_EQ_INT(wait_logged(s, 1), 1);
    exchange(s->port, "POST /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello", buf, sizeof buf, 1000, &closed);
    TN_EQ_INT(wait_logged(s, 2), 2);
    exchange(s->port, "GET /stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", buf, sizeof buf, 2000, &closed);
    TN_EQ_INT(wait_logged(s, 3), 3);
    exchange(s->port, "GET /slow HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", buf, sizeof buf, 2000, &closed);
    TN_EQ_INT(wait_logged(s, 4), 4);
    /* the server's own replies: a malformed request, a body over the limit, a head over it */
    exchange(s->port, "GARBAGE\r\n\r\n", buf, sizeof buf, 1000, &closed);
    TN_EQ_INT(count_status(buf, 400), 1);
    TN_EQ_INT(wait_logged(s, 5), 5);
    exchange(s->port, "PUT /up HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\n\r\n", buf, sizeof buf, 1000, &closed);
    TN_EQ_INT(count_status(buf, 413), 1);
    TN_EQ_INT(wait_logged(s, 6), 6);
    {
        static char big[6000];
        strcpy(big, "GET /h HTTP/1.1\r\nHost: t\r\nX-Big: ");
        memset(big + strlen(big), 'b', 5000);
        strcat(big, "\r\n\r\n");
        exchange(s->port, big, buf, sizeof buf, 1000, &closed);
        TN_EQ_INT(count_status(buf, 431), 1);
    }
    TN_EQ_INT(wait_logged(s, 7), 7);   /* (entries below logged are final: written first, under the lock) */
    {
        static const struct { int status; uint64_t bytes; const char *method, *path; } want[] = {
            {404, 9, "GET", "/missing"}, {200, 12, "POST", "/echo"}, {200, 50000, "GET", "/stream"},
            {200, 5, "GET", "/slow"}, {400, 0, NULL, NULL}, {413, 0, "PUT", "/up"}, {431, 0, NULL, NULL}};
        for (i = 0; i < 7; i++) {
            TN_CHECKF(s->log[i].status == want[i].status && s->log[i].bytes == want[i].bytes,
                      "entry %d: %d %lu bytes, want %d %lu", i, s->log[i].status, (unsigned long)s->log[i].bytes,
                      want[i].status, (unsigned long)want[i].bytes);
            if (want[i].method) {
                TN_EQ_STR(s->log[i].method, want[i].method);
                TN_EQ_STR(s->log[i].path, want[i].path);
            }
            TN_CHECKF(s->log[i].usec < 5000000, "entry %d took %lu us", i, (unsigned long)s->log[i].usec);
        }
        /* /slow answers 300 ms after it arrived, and its log says so */
        TN_CHECKF(s->log[3].usec >= 250000, "/slow logged %lu us", (unsigned long)s->log[3].usec);
        TN_CHECKF(s->log[2].usec > 0, "/stream (50 writes) logged 0 us");
    }
    stop_server(s);
}

/* ---- interop ---- */
TN_TEST(curl_interop) {
    server *s;
    char cmd[1024], out[8192], path[64];
    FILE *f;
    int i;
    if (!have_cmd("curl")) TN_SKIP("curl not found (apt-get install curl)");
    s = start_server(NULL);
    /* keep-alive reuse: two URLs, one connection */
    snprintf(cmd, sizeof cmd, "curl -s -o /dev/null -o /dev/null -w '%%{http_code} %%{num_connects}\\n' http://127.0.0.1:%d/ http://127.0.0.1:%d/ 2>&1", s->port, s->port);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "200 1\n200 0\n");
    /* chunked upload from stdin (-T -) */
    snprintf(cmd, sizeof cmd, "printf 'uploaded via chunks' | curl -s -T - http://127.0.0.1:%d/echo 2>&1", s->port);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "PUT 19 uploaded via chunks");
    /* a large body: curl sends Expect: 100-continue and waits for it */
    snprintf(path, sizeof path, "/tmp/tn_http_body_%d", (int)getpid());
    f = fopen(path, "w");
    for (i = 0; i < 200000; i++) fputc('a' + i % 26, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "curl -s -v -H 'Expect: 100-continue' --expect100-timeout 5 --data-binary @%s http://127.0.0.1:%d/echo 2>&1 | grep -c -e '100 Continue' -e 'POST 200000 abc'", path, s->port);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "2\n");
    unlink(path);
    /* HEAD */
    snprintf(cmd, sizeof cmd, "curl -s -I http://127.0.0.1:%d/ 2>&1 | tr -d '\\r' | grep -e '^HTTP' -e '^Content-Length'", s->port);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "HTTP/1.1 200 OK\nContent-Length: 12\n");
    /* a streamed (chunked) response */
    snprintf(cmd, sizeof cmd, "curl -s http://127.0.0.1:%d/stream | wc -c", s->port);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_INT(atoi(out), 50000);
    stop_server(s);
}

TN_TEST(python_tornado_client_interop) {
    server *s;
    char cmd[2048], out[4096];
    TN_LINUX_PEER("python3 with Tornado");
    if (system("/usr/bin/python3 -c 'import tornado' >/dev/null 2>&1") != 0)
        TN_SKIP("Python Tornado not found (apt-get install python3-tornado)");
    s = start_server(NULL);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"\n"
             "from tornado.httpclient import HTTPClient\n"
             "c = HTTPClient()\n"
             "r = c.fetch('http://127.0.0.1:%d/')\n"
             "print(r.code, r.body.decode())\n"
             "body = bytes(range(256)) * 273 + bytes(range(112))\n"
             "r = c.fetch('http://127.0.0.1:%d/echo', method='POST', body=body)\n"
             "print(r.code, len(body), r.body == b'POST 70000 ' + body, len(r.body))\n"
             "r = c.fetch('http://127.0.0.1:%d/stream')\n"
             "print(r.code, len(r.body))\n"
             "r = c.fetch('http://127.0.0.1:%d/missing', raise_error=False)\n"
             "print(r.code)\n"
             "\" 2>&1", s->port, s->port, s->port, s->port);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "200 Hello, world\n200 70000 True 70011\n200 50000\n404\n");
    stop_server(s);
}

/* ---- unix-socket serving ---- */
TN_TEST(unix_socket_serving) {
    TN_POSIX_ONLY("unix sockets (tn_http_server_listen_unix is TN_ENOTSUP on Windows)");
    tn_loop *loop;
    tn_http_server *srv;
    server st;
    char path[64], buf[2048];
    struct sockaddr_un un;
    int fd, closed;
    pthread_t th;
    memset(&st, 0, sizeof st);
    snprintf(path, sizeof path, "/tmp/tn_http_%d.sock", (int)getpid());
    TN_OK_RC(tn_loop_new(NULL, &loop));
    st.loop = loop;
    TN_OK_RC(tn_http_server_new(loop, NULL, handler, &st, &srv));
    TN_OK_RC(tn_http_server_listen_unix(srv, path, 0));
    st.srv = srv;
    g = &st;
    TN_CHECK(pthread_create(&th, NULL, server_thread, &st) == 0);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    strcpy(un.sun_path, path);
    TN_CHECK(connect(fd, (struct sockaddr *)&un, sizeof un) == 0);
    cli_sends(fd, "GET / HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    cli_recv(fd, buf, sizeof buf, 2000, &closed);
    TN_CHECKF(count_status(buf, 200) == 2, "got %d bytes, closed %d: %s", (int)strlen(buf), closed, buf);
    TN_EQ_STR(st.last_ip, "unix");
    close(fd);
    TN_OK_RC(tn_loop_post(loop, close_srv, &st));
    TN_CHECK(pthread_join(th, NULL) == 0);
    TN_OK_RC(tn_loop_free(loop));
    unlink(path);
}

/* ---- several worker processes on one listening socket (tn_fork_processes) ---- */
static tn_loop *g_worker_loop;

static void worker_stop(tn_loop *loop, void *user) {
    (void)user;
    tn_loop_stop(loop);
}

static void pid_handler(tn_request *req, void *user) {
    char body[32];
    int n = snprintf(body, sizeof body, "%d", (int)getpid());
    int quit = tn_str_eq_c(tn_request_path(req), "/quit");   /* req is gone after tn_respond */
    (void)user;
    tn_respond(req, 200, "text/plain", body, (size_t)n);
    if (quit) tn_loop_call_later(g_worker_loop, 50, worker_stop, NULL, NULL);
}

/* One request on a new connection: the answering worker's pid, or -1. */
static int ask_pid(int port, const char *path) {
    char req[128], buf[1024];
    int closed;
    const char *body;
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
    exchange(port, req, buf, sizeof buf, 3000, &closed);
    if (count_status(buf, 200) != 1 || !(body = strstr(buf, "\r\n\r\n"))) return -1;
    return atoi(body + 4);
}

TN_TEST(multi_process_workers) {
    TN_POSIX_ONLY("fork (tn_fork_processes)");
    tn_socket fds[4];
    size_t nfds, i;
    tn_addr a;
    pid_t sup;
    int port, quit[2] = {0, 0}, nquit = 0, k, status = 0, done = 0;
    uint64_t end;
    TN_OK_RC(tn_bind_sockets("127.0.0.1", 0, NULL, fds, 4, &nfds));
    TN_OK_RC(tn_socket_local_addr(fds[0], &a));
    port = tn_addr_port(&a);
    sup = fork();
    TN_CHECK(sup >= 0);
    if (sup == 0) {
        /* the supervisor: two workers, restarted if they fail, done when both exit cleanly */
        int task = -2, rc;
        tn_http_server *srv;
        setpgid(0, 0);
        rc = tn_fork_processes(2, 3, &task);
        if (task < 0) _exit(rc == TN_OK ? 0 : 1);
        if (tn_loop_new(NULL, &g_worker_loop) != 0 ||
            tn_http_server_new(g_worker_loop, NULL, pid_handler, NULL, &srv) != 0) _exit(2);
        for (i = 0; i < nfds; i++)
            if (tn_http_server_add_socket(srv, fds[i]) != 0) _exit(3);
        tn_loop_run(g_worker_loop);
        _exit(0);
    }
    for (i = 0; i < nfds; i++) tn_socket_close(fds[i]);
    for (k = 0; k < 20; k++) TN_CHECK(ask_pid(port, "/") > 0);   /* the workers answer */
    /* a worker stops after answering /quit, so the next /quit reaches the other one; the
       supervisor returns cleanly once both have exited */
    end = tn_time_ms() + 20000;
    while (!done && tn_time_ms() < end) {
        /* (once both answered, nothing listens any more: a connect would be refused) */
        int p = nquit < 2 ? ask_pid(port, "/quit") : -1;
        if (p > 0 && p != quit[0] && p != quit[1] && nquit < 2) quit[nquit++] = p;
        if (p < 0) usleep(20000);
        done = waitpid(sup, &status, WNOHANG) == sup;
    }
    if (!done) {
        kill(-sup, SIGKILL);
        waitpid(sup, &status, 0);
    }
    TN_CHECK(done);
    TN_EQ_INT(nquit, 2);   /* two different worker processes answered */
    TN_CHECK(WIFEXITED(status));
    TN_EQ_INT(WEXITSTATUS(status), 0);
}

/* Framing headers from a handler are refused by the server itself; the response carries
   exactly one Content-Length and one Connection line; the finish callback runs once. */
TN_TEST(response_framing_is_the_servers) {
    server *s = start_server(NULL);
    char buf[4096];
    int closed;
    size_t n;
    memset(&g_rm, 0, sizeof g_rm);
    n = exchange(s->port, "GET /framing HTTP/1.1\r\nHost: t\r\n\r\n", buf, sizeof buf - 1, 3000, &closed);
    buf[n] = 0;
    TN_EQ_INT(count_status(buf, 200), 1);
    TN_CHECKF(strstr(buf, "Content-Length: 12\r\n") && !strstr(strstr(buf, "Content-Length") + 1, "Content-Length"),
              "one Content-Length: %s", buf);
    TN_CHECKF(!strstr(buf, "Transfer-Encoding"), "%s", buf);
    TN_CHECKF(strstr(buf, "Connection: close\r\n") && !strstr(strstr(buf, "Connection") + 1, "Connection"),
              "one Connection line: %s", buf);
    TN_CHECKF(strstr(buf, "Set-Cookie: a=1\r\n") && strstr(buf, "Set-Cookie: b=2\r\n") && !strstr(buf, "X-A:"),
              "%s", buf);
    TN_CHECKF(strstr(buf, "Set-Cookie: b=2\r\nset-cookie: c=3\r\n") && !strstr(buf, "X-B:") &&
              !strstr(buf, "X-Set-Cookie") && !strstr(buf, "Set-Cookie2") && !strstr(buf, "z=1"), "%s", buf);
    TN_EQ_INT(closed, 1);   /* Connection: close was honoured */
    TN_EQ_INT(g_rm.finished, 1);
    stop_server(s);
}

/* A tn_respond that failed leaves no Content-Type of its own behind: the next call's is the
   one sent, and the one its finish callback sees (tn_respond's content type goes straight
   into the head, and tn_response_get_header answers it while the call runs). */
TN_TEST(respond_after_a_failed_respond) {
    tn_http_server_opts o;
    server *s;
    char buf[4096];
    int closed, k;
    memset(&o, 0, sizeof o);
    o.tcp.stream.max_write_buffer_size = 512;
    s = start_server(&o);
    for (k = 0; k < 2; k++) {
        size_t n = exchange(s->port, k ? "GET /retry-type?h HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
                                : "GET /retry-type HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                            buf, sizeof buf - 1, 3000, &closed);
        buf[n] = 0;
        TN_EQ_INT(count_status(buf, 200), 1);
        TN_CHECKF(strstr(buf, "Content-Type: text/second\r\n") && !strstr(buf, "text/first") &&
                      !strstr(strstr(buf, "Content-Type") + 1, "Content-Type"),
                  "one Content-Type, the second call's: %s", buf);
        TN_CHECKF(!k || strstr(buf, "X-Set: 1\r\n"), "%s", buf);
        TN_CHECKF(strstr(buf, "\r\n\r\nok"), "%s", buf);
        TN_EQ_STR(s->finish_ct, "text/second");   /* what the finish callback saw */
        s->finish_ct[0] = 0;
    }
    stop_server(s);
}

/* One rule after the client left: the call returns TN_ECLOSED and the request is released
   (its finish callback runs once); a request whose close callback is set gets that instead. */
TN_TEST(response_calls_after_client_left) {
    server *s = start_server(NULL);
    char buf[2048];
    int fd, closed, i;
    memset(&g_rm, 0, sizeof g_rm);
    fd = cli_connect(s->port, 0);
    cli_sends(fd, "GET /gone HTTP/1.1\r\nHost: t\r\n\r\n");
    cli_recv_some(fd, buf, sizeof buf, 2000);   /* the head */
    close(fd);
    for (i = 0; i < 300 && !g_rm.late_done; i++) usleep(10000);
    TN_EQ_INT(g_rm.late_done, 1);
    TN_EQ_RC(g_rm.gone_rc, TN_ECLOSED);
    TN_EQ_INT(g_rm.finished, 1);
    TN_EQ_INT(g_rm.closed, 0);
    /* the close callback, not the finish one, when the handler set one and never answered */
    fd = cli_connect(s->port, 0);
    cli_sends(fd, "GET /leave HTTP/1.1\r\nHost: t\r\n\r\n");
    usleep(100000);
    close(fd);
    for (i = 0; i < 300 && !g_rm.closed; i++) usleep(10000);
    TN_EQ_INT(g_rm.closed, 1);
    TN_EQ_INT(g_rm.finished, 1);
    (void)closed;
    stop_server(s);
}

/* ---- 9000 keep-alive connections held open, each served; memory per idle connection ---- */
/* Open, request and read the answers of connections [from, to); count the good ones. */
static int serve_batch(int *fds, int from, int to, int port) {
    char buf[512];
    int i, ok = 0;
    for (i = from; i < to; i++) {
        fds[i] = cli_connect(port, 0);
        cli_send(fds[i], "GET / HTTP/1.1\r\nHost: t\r\n\r\n", 27);
    }
    for (i = from; i < to; i++) {
        int closed;
        size_t n = cli_recv_n(fds[i], buf, sizeof buf, 10000, &closed, 1);
        (void)n;
        if (count_status(buf, 200) == 1 && !closed) ok++;
    }
    return ok;
}

/* The steady state costs no allocator call: once a keep-alive connection has served its
   first requests, more of them (one at a time, and 16 pipelined) with small and >1 KB
   bodies, stored response headers, a 404 and a 204 neither allocate nor reallocate. */
TN_TEST(steady_state_requests_allocate_nothing) {
    static counting_alloc ca;
    static const char *const paths[] = { "/", "/big", "/header", "/nope", "/status", "/order?x" };
    enum { NP = sizeof paths / sizeof paths[0] };
    static char buf[1 << 17];
    char req[4096];
    server *s;
    int fd, round, i, closed = 0;
    long total = 0, reallocs = 0, live = 0;
    g_loop_ca = &ca;
    s = start_server(NULL);
    g_loop_ca = NULL;
    fd = cli_connect(s->port, 0);
    for (round = 0; round < 2; round++) {
        if (round == 1) {
            usleep(50000);   /* the server has settled after the warm-up */
            total = ca.total;
            reallocs = ca.reallocs;
            live = ca.live;
        }
        for (i = 0; i < 20 * NP; i++) {   /* one at a time */
            size_t n = (size_t)snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", paths[i % NP]);
            cli_send(fd, req, n);
            cli_recv_n(fd, buf, sizeof buf, 10000, &closed, 1);
            TN_CHECK(!closed);
        }
        for (i = 0; i < 10; i++) {        /* 16 pipelined */
            size_t n = 0;
            int k;
            for (k = 0; k < 16; k++)
                n += (size_t)snprintf(req + n, sizeof req - n, "GET %s HTTP/1.1\r\nHost: a\r\n\r\n", paths[(i + k) % NP]);
            cli_send(fd, req, n);
            n = cli_recv_n(fd, buf, sizeof buf, 10000, &closed, 16);
            TN_CHECK(!closed);
            {   /* all 16, in order, whole (the batch outgrows one buffer block: sent in parts) */
                static const int status[NP] = { 200, 200, 200, 404, 204, 200 };
                static const size_t blen[NP] = { 12, 3000, 4, 9, 0, 1 };
                static cli_resp r;
                size_t at = 0, used;
                for (k = 0; k < 16; k++) {
                    used = cli_parse_resp(buf + at, n - at, 0, 0, &r);
                    TN_CHECK(used > 0);
                    TN_EQ_INT(r.status, status[(i + k) % NP]);
                    TN_EQ_UINT(r.blen, blen[(i + k) % NP]);
                    at += used;
                }
                TN_EQ_UINT(at, n);
            }
        }
    }
    usleep(50000);
    TN_EQ_INT(ca.total - total, 0);
    TN_EQ_INT(ca.reallocs - reallocs, 0);
    TN_EQ_INT(ca.live - live, 0);
    close(fd);
    stop_server(s);
    TN_EQ_INT(ca.live, 0);
}

/* Decimal lengths: the 32-bit targets' division (tested here on every host) against the
   compiler's, and the Content-Length formatter against printf, at the edges of each path. */
TN_TEST(decimal_lengths_and_small_division) {
    static const uint64_t edge[] = { 0, 1, 9, 10, 99, 100, 999, 65535, 65536, 4294967295u, 4294967296u,
                                     4294967297u, 999999999999ull, 1000000000000000000ull,
                                     18446744073709551615ull, 18446744073709551606ull };
    static const uint32_t div[] = { 1, 3, 7, 10, 1000, 65521, 65535 };
    uint64_t x = 0x9e3779b97f4a7c15ull;
    size_t i, j;
    for (i = 0; i < sizeof edge / sizeof edge[0] + 100000; i++) {
        uint64_t v;
        char got[32], want[32];
        if (i < sizeof edge / sizeof edge[0]) {
            v = edge[i];
        } else {   /* xorshift, at every magnitude */
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            v = x >> (i % 64);
        }
        for (j = 0; j < sizeof div / sizeof div[0]; j++) {
            uint64_t q = v;
            uint32_t r = tn__div64_small32(&q, div[j]);
            TN_CHECKF(q == v / div[j] && r == v % div[j], "%llu / %u", (unsigned long long)v, (unsigned)div[j]);
        }
        *tn__hs_put_u64(got, v) = 0;
        snprintf(want, sizeof want, "%llu", (unsigned long long)v);
        TN_EQ_STR(got, want);
    }
}

TN_TEST(nine_thousand_keep_alive_connections) {
    TN_POSIX_ONLY("rlimits (ulimit -n for 18,000 sockets)");
    enum { N = 9000, A = 4500, B = 7500 };
    static counting_alloc ca;
    server *s;
    struct rlimit rl;
    static int fds[N];
    int i, ok = 0;
    long at_a, at_b, per;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < 2 * N + 100) TN_SKIP("needs %d open files (ulimit -n); have %lu", 2 * N + 100, (unsigned long)rl.rlim_cur);
    g_loop_ca = &ca;
    s = start_server(NULL);
    g_loop_ca = NULL;
    /* every one answered, and every one still open afterwards; between A and B (fds ~9000 to
       ~15000: the fd table keeps its size) the heap grows only by the idle connections */
    ok += serve_batch(fds, 0, A, s->port);
    usleep(100000);   /* the server has settled (it is idle: nothing is read or written) */
    at_a = ca.bytes;
    ok += serve_batch(fds, A, B, s->port);
    usleep(100000);
    at_b = ca.bytes;
    ok += serve_batch(fds, B, N, s->port);
    TN_EQ_INT(ok, N);
    TN_EQ_UINT(tn_http_server_connections(s->srv), N);
    per = (at_b - at_a) / (B - A);
    fprintf(stderr, "heap per idle keep-alive connection: %ld bytes\n", per);
    /* stream (208 bytes on LP64) + tcp record (16) + HTTP state (40) in one block of 264: a
       272-byte malloc chunk; read/write buffers released, no write bookkeeping or idle-timer
       block. 8 bytes more would cost a 16-byte step of the chunk (bench/idle_conns.py) */
    TN_CHECKF(per > 0 && per <= (long)(sizeof(void *) == 8 ? 264 : 300), "%ld bytes per idle connection", per);
    for (i = 0; i < N; i++) close(fds[i]);
    stop_server(s);
    TN_EQ_INT(ca.live, 0);
    TN_EQ_INT(ca.bytes, 0);
}

/* tn_http_server_new when memory runs out: each allocation it makes fails in turn; every
   failure is TN_ENOMEM (a failed copy of the Server value was once TN_EINVAL) and leaves
   nothing allocated. A Server value that would break the head is TN_EINVAL. */
static void on_server_freed(tn_loop *loop, void *user) {
    (void)user;
    tn_loop_stop(loop);
}

TN_TEST(server_new_out_of_memory_is_enomem_and_leaks_nothing) {
    counting_alloc ca;
    tn_loop_opts lo;
    tn_loop *loop;
    tn_http_server *srv = NULL;
    tn_http_server_opts o;
    long base, k;
    int rc = TN_ENOMEM;
    memset(&ca, 0, sizeof ca);
    memset(&lo, 0, sizeof lo);
    lo.allocator = tn_test_counting(&ca);
    TN_OK_RC(tn_loop_new(&lo, &loop));
    base = ca.live;
    memset(&o, 0, sizeof o);
    o.server_header = "x\r\nSet-Cookie: a=b";
    TN_EQ_INT(tn_http_server_new(loop, &o, handler, NULL, &srv), TN_EINVAL);
    TN_EQ_INT(ca.live, base);
    for (k = 1; k < 64 && rc != TN_OK; k++) {
        ca.fail_after = k;
        rc = tn_http_server_new(loop, NULL, handler, NULL, &srv);
        if (rc != TN_OK) {
            TN_EQ_INT(rc, TN_ENOMEM);
            TN_EQ_INT(ca.live, base);
            TN_CHECK(srv == NULL);
        }
    }
    ca.fail_after = 0;
    TN_EQ_INT(rc, TN_OK);
    TN_CHECKF(k > 3, "only %ld allocations failed in turn", k - 2);   /* the server, the Server copy, the head */
    TN_OK_RC(tn_http_server_close(srv, 0, on_server_freed, NULL));
    TN_OK_RC(tn_loop_run(loop));
    TN_OK_RC(tn_loop_free(loop));
    TN_EQ_INT(ca.live, 0);
}

TN_TESTS(TN_CASE(respond_lengths_pipelined),
    TN_CASE(response_framing_is_the_servers),
    TN_CASE(response_calls_after_client_left),
    TN_CASE(respond_after_a_failed_respond),
    TN_CASE(keep_alive_and_pipelining_in_order),
    TN_CASE(pipelined_connections_take_turns),
    TN_CASE(http10_and_head_and_one_byte_writes),
    TN_CASE(request_bodies_length_chunked_continue),
    TN_CASE(malformed_and_limits_get_status_then_close),
    TN_CASE(responses_streamed_fixed_and_headers),
    TN_CASE(streamed_request_body),
    TN_CASE(streamed_request_body_pause_resume),
    TN_CASE(async_handler_and_client_that_leaves),
    TN_CASE(idle_header_and_body_timeouts),
    TN_CASE(no_keep_alive_max_connections_xheaders),
    TN_CASE(graceful_shutdown),
    TN_CASE(access_log_sees_every_request),
    TN_CASE(curl_interop),
    TN_CASE(python_tornado_client_interop),
    TN_CASE(unix_socket_serving),
    TN_CASE(multi_process_workers),
    TN_CASE(steady_state_requests_allocate_nothing),
    TN_CASE(decimal_lengths_and_small_division),
    TN_CASE(server_new_out_of_memory_is_enomem_and_leaks_nothing),
    TN_CASE_T(nine_thousand_keep_alive_connections, 180)
)
