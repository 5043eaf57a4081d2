/* test_http_client.c: tn_http_client over real sockets on 127.0.0.1: fetch, keep-alive pool
   and its safety, redirects, timeouts by phase, streaming both ways, limits, malformed and
   hostile responses from scripted raw servers, cancellation, the blocking fetch; and real
   peers: the project's httpbin example, nginx, Python Tornado's server, tinyproxy.

   Most cases run the server under test and the client on one loop (tn_http_server or a
   scripted tn_tcp_server), so nothing races; the blocking fetch uses a server thread. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include "tn_test_client.h"
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <fcntl.h>

/* ---- a fetch's answer, copied out of the callback ---- */
typedef struct answer {
    int done, code, error, redirects, reused, num_headers;
    char msg[160];
    char body[8192];
    size_t body_len;
    char url[512];
    char hdr[2048];           /* "Name: value\n" lines */
    uint64_t queue_us, total_us, first_us;
    tn_http_client *cl;
    char stream[300000];      /* streaming callback data */
    size_t stream_len;
    int chunks, lines, pause_every;
    char line_text[2048];
    tn_http_fetch *paused;
    uint64_t hash, stream_hash;   /* FNV-1a of the whole body / of the streamed bytes */
} answer;

static uint64_t fnv(uint64_t h, const char *p, size_t n) {
    size_t i;
    if (!h) h = 1469598103934665603ull;
    for (i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static void on_answer(tn_http_fetch *f, const tn_http_fetch_res *r, void *user) {
    answer *a = (answer *)user;
    size_t i, hl = 0;
    (void)f;
    TN_CHECKF(!a->done, "fetch callback ran twice");
    a->done = 1;
    a->code = r->code;
    a->error = r->error;
    a->redirects = r->redirects;
    a->reused = r->reused;
    a->num_headers = (int)r->num_headers;
    snprintf(a->msg, sizeof a->msg, "%s", r->error_msg ? r->error_msg : "(null)");
    a->body_len = r->body.len;
    memcpy(a->body, r->body.ptr ? r->body.ptr : "", r->body.len < sizeof a->body - 1 ? r->body.len : sizeof a->body - 1);
    a->body[r->body.len < sizeof a->body - 1 ? r->body.len : sizeof a->body - 1] = 0;
    snprintf(a->url, sizeof a->url, "%.*s", (int)r->effective_url.len, r->effective_url.ptr);
    for (i = 0; i < r->num_headers && hl < sizeof a->hdr - 1; i++)
        hl += (size_t)snprintf(a->hdr + hl, sizeof a->hdr - hl, "%.*s: %.*s\n", (int)r->headers[i].name.len,
                               r->headers[i].name.ptr, (int)r->headers[i].value.len, r->headers[i].value.ptr);
    a->hash = fnv(0, r->body.ptr, r->body.len);
    a->queue_us = r->time_queue_us;
    a->total_us = r->time_total_us;
    a->first_us = r->time_first_byte_us;
}

static void on_chunk(tn_http_fetch *f, tn_str chunk, void *user) {
    answer *a = (answer *)user;
    if (a->stream_len + chunk.len <= sizeof a->stream) memcpy(a->stream + a->stream_len, chunk.ptr, chunk.len);
    a->stream_len += chunk.len;
    a->stream_hash = fnv(a->stream_hash, chunk.ptr, chunk.len);
    a->chunks++;
    if (a->pause_every && a->chunks % a->pause_every == 0) {
        tn_http_fetch_pause(f);
        a->paused = f;
    }
}

static void on_line(tn_http_fetch *f, tn_str line, void *user) {
    answer *a = (answer *)user;
    size_t n = strlen(a->line_text);
    (void)f;
    a->lines++;
    snprintf(a->line_text + n, sizeof a->line_text - n, "%.*s", (int)line.len, line.ptr);
}

static tn_loop *new_loop(void) {
    tn_loop *loop;
    TN_OK_RC(tn_loop_new(NULL, &loop));
    return loop;
}

/* Run until a->done (or ms passes). */
static void wait_answer(tn_loop *loop, answer *a, uint64_t ms) {
    (void)tn_loop_run_until(loop, &a->done, ms);
    TN_CHECKF(a->done, "no answer within %llu ms", (unsigned long long)ms);
}

static int start_fetch(tn_http_client *cl, const tn_http_fetch_req *req, answer *a, tn_http_fetch **out) {
    memset(a, 0, sizeof *a);
    return tn_http_client_fetch(cl, req, on_answer, a, out);
}

static void get(tn_loop *loop, tn_http_client *cl, const char *url, answer *a) {
    tn_http_fetch_req req;
    memset(&req, 0, sizeof req);
    req.url = url;
    TN_OK_RC(start_fetch(cl, &req, a, NULL));
    wait_answer(loop, a, 10000);
}

static volatile int g_closed;
static void on_closed(tn_loop *loop, void *user) {
    (void)loop;
    (void)user;
    g_closed++;
}

static void close_client(tn_loop *loop, tn_http_client *cl) {
    int before = g_closed;
    TN_OK_RC(tn_http_client_close(cl, on_closed, NULL));
    while (g_closed == before) TN_CHECK(tn_loop_run_once(loop, 100) >= 0);
}

/* ---- the in-loop HTTP server ---- */
typedef struct site {
    tn_http_server *srv;
    int port;
    int requests;
    tn_request *held;
    char base[64];
    char other[64];   /* the same server under another origin (localhost) */
} site;
static site g_site;

static void site_handler(tn_request *req, void *user) {
    site *s = (site *)user;
    tn_str path = tn_request_path(req), q = tn_request_query(req), v;
    char buf[4096];
    s->requests++;
    if (path.len > 7 && memcmp(path.ptr, "http://", 7) == 0) {   /* absolute-form: playing a proxy */
        const char *slash = (const char *)memchr(path.ptr + 7, '/', path.len - 7);
        path = slash ? tn_str_make(slash, path.len - (size_t)(slash - path.ptr)) : tn_str_c("/");
    }
    if (tn_str_eq_c(path, "/hello")) {
        tn_respond(req, 200, "text/plain", "Hello, world", 12);
    } else if (tn_str_eq_c(path, "/echo")) {
        /* method, body, and a few request headers */
        tn_str m = tn_request_method(req), b = tn_request_body(req), auth = tn_str_c(""), cookie = tn_str_c(""),
               ct = tn_str_c(""), te = tn_str_c(""), cl = tn_str_c("");
        int n;
        (void)tn_request_header(req, "Authorization", &auth);
        (void)tn_request_header(req, "Cookie", &cookie);
        (void)tn_request_header(req, "Content-Type", &ct);
        (void)tn_request_header(req, "Transfer-Encoding", &te);
        (void)tn_request_header(req, "Content-Length", &cl);
        n = snprintf(buf, sizeof buf, "%.*s|%.*s|auth=%.*s|cookie=%.*s|ct=%.*s|te=%.*s|cl=%.*s", (int)m.len, m.ptr,
                     (int)(b.len > 2000 ? 2000 : b.len), b.ptr ? b.ptr : "", (int)auth.len, auth.ptr, (int)cookie.len,
                     cookie.ptr, (int)ct.len, ct.ptr, (int)te.len, te.ptr, (int)cl.len, cl.ptr);
        tn_respond(req, 200, "text/plain", buf, (size_t)n);
    } else if (tn_str_eq_c(path, "/len")) {
        int n = snprintf(buf, sizeof buf, "%lu", (unsigned long)tn_request_body(req).len);
        tn_respond(req, 200, "text/plain", buf, (size_t)n);
    } else if (path.len > 10 && memcmp(path.ptr, "/redirect/", 10) == 0) {
        int n = atoi(path.ptr + 10);
        if (n <= 0) {
            tn_respond(req, 200, "text/plain", "done", 4);
        } else {
            snprintf(buf, sizeof buf, "/redirect/%d", n - 1);
            tn_response_set_header(req, "Location", buf);
            tn_respond(req, 302, "text/plain", "moved", 5);
        }
    } else if (tn_str_eq_c(path, "/to")) {
        /* /to?CODE&URL : redirect with that code to that URL (URL not escaped) */
        const char *amp = (const char *)memchr(q.ptr, '&', q.len);
        snprintf(buf, sizeof buf, "%.*s", (int)(q.len - (size_t)(amp + 1 - q.ptr)), amp + 1);
        tn_response_set_header(req, "Location", buf);
        tn_respond(req, atoi(q.ptr), "text/plain", "", 0);
    } else if (tn_str_eq_c(path, "/loop")) {
        tn_response_set_header(req, "Location", "/loop");
        tn_respond(req, 302, NULL, "", 0);
    } else if (tn_str_eq_c(path, "/big")) {
        static char big[300000];
        size_t n = (size_t)atoi(q.ptr), i;
        for (i = 0; i < n && i < sizeof big; i++) big[i] = (char)('a' + i % 26);
        tn_respond(req, 200, "application/octet-stream", big, n);
    } else if (tn_str_eq_c(path, "/chunked")) {
        int i, n = atoi(q.ptr);
        tn_response_start(req, 200, -1);
        for (i = 0; i < n; i++) {
            int k = snprintf(buf, sizeof buf, "chunk %d;", i);
            tn_response_write(req, buf, (size_t)k, NULL, NULL);
        }
        tn_response_finish(req);
    } else if (tn_str_eq_c(path, "/status")) {
        tn_respond(req, atoi(q.ptr), NULL, "", 0);
    } else if (tn_str_eq_c(path, "/ims")) {
        if (tn_request_header(req, "If-Modified-Since", &v) == 0) tn_respond(req, 304, NULL, NULL, 0);
        else tn_respond(req, 200, "text/plain", "fresh", 5);
    } else if (tn_str_eq_c(path, "/ua")) {
        if (tn_request_header(req, "User-Agent", &v) != 0) v = tn_str_c("(none)");
        tn_respond(req, 200, "text/plain", v.ptr, v.len);
    } else if (tn_str_eq_c(path, "/hdr")) {
        size_t n, i, bl = 0;
        const tn_http_header *h = tn_request_headers(req, &n);
        for (i = 0; i < n; i++)
            bl += (size_t)snprintf(buf + bl, sizeof buf - bl, "%.*s=%.*s\n", (int)h[i].name.len, h[i].name.ptr,
                                   (int)h[i].value.len, h[i].value.ptr);
        tn_respond(req, 200, "text/plain", buf, bl);
    } else if (tn_str_eq_c(path, "/stall")) {
        s->held = req;   /* never answered (the server's close drops it) */
    } else {
        tn_respond_error(req, 404, NULL);
    }
}

static void start_site(tn_loop *loop) {
    tn_http_server_opts o;
    memset(&o, 0, sizeof o);
    memset(&g_site, 0, sizeof g_site);
    TN_OK_RC(tn_http_server_new(loop, &o, site_handler, &g_site, &g_site.srv));
    TN_OK_RC(tn_http_server_listen(g_site.srv, "127.0.0.1", 0));
    g_site.port = tn_http_server_port(g_site.srv);
    snprintf(g_site.base, sizeof g_site.base, "http://127.0.0.1:%d", g_site.port);
    snprintf(g_site.other, sizeof g_site.other, "http://localhost:%d", g_site.port);
}

static void stop_site(tn_loop *loop) {
    int before = g_closed;
    TN_OK_RC(tn_http_server_close(g_site.srv, 100, on_closed, NULL));
    while (g_closed == before) TN_CHECK(tn_loop_run_once(loop, 100) >= 0);
}

static void free_loop(tn_loop *loop) {
    int i;
    for (i = 0; i < 5; i++) (void)tn_loop_run_once(loop, 0);
    TN_OK_RC(tn_loop_free(loop));
}

static char *url(const char *base, const char *path) {
    static char u[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(u[k], sizeof u[k], "%s%s", base, path);
    return u[k];
}

/* ---- scripted raw servers: each connection reads a head, answers with canned bytes ---- */
typedef struct raw {
    tn_tcp_server *srv;
    int port;
    const char *resp;       /* bytes sent for each request */
    size_t resp_len;        /* 0 = strlen */
    int close_after;        /* close once the answer is sent */
    int close_on_second;    /* the 2nd request on a connection: close without answering */
    int silent;             /* read requests, never answer */
    const char *late;       /* written unasked on the idle connection after each answer */
    int conns, requests;
} raw;

typedef struct raw_conn { raw *r; int n; tn_stream *s; tn_timer_id t; } raw_conn;

static void raw_late(tn_loop *loop, void *user) {
    raw_conn *rc = (raw_conn *)user;
    (void)loop;
    rc->t = 0;
    tn_stream_write(rc->s, rc->r->late, strlen(rc->r->late), NULL, NULL);
}

static void raw_read(tn_stream *s, raw_conn *rc);

static void raw_written(tn_stream *s, int status, void *user) {
    raw_conn *rc = (raw_conn *)user;
    if (status != TN_OK) return;
    if (rc->r->close_after) tn_stream_close(s, NULL, NULL);
    else raw_read(s, rc);
    if (rc->r->late && !tn_stream_closed(s)) tn_loop_call_later(tn_stream_loop(s), 20, raw_late, rc, &rc->t);
}

static void raw_on_head(tn_stream *s, int status, tn_str data, void *user) {
    raw_conn *rc = (raw_conn *)user;
    raw *r = rc->r;
    (void)data;
    if (status != TN_OK) return;
    r->requests++;
    rc->n++;
    if (r->silent) {
        raw_read(s, rc);
        return;
    }
    if (r->close_on_second && rc->n == 2) {
        tn_stream_close(s, NULL, NULL);
        return;
    }
    tn_stream_write(s, r->resp, r->resp_len ? r->resp_len : strlen(r->resp), raw_written, rc);
}

static void raw_read(tn_stream *s, raw_conn *rc) {
    if (tn_stream_read_until(s, "\r\n\r\n", 4, 65536, raw_on_head, rc) != 0) tn_stream_close(s, NULL, NULL);
}

static void raw_conn_closed(tn_stream *s, int cause, void *user) {
    raw_conn *rc = (raw_conn *)user;
    (void)cause;
    if (rc->t) tn_loop_cancel(tn_stream_loop(s), rc->t);
    free(user);
}

static void raw_on_conn(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    raw_conn *rc = (raw_conn *)calloc(1, sizeof *rc);
    (void)srv;
    (void)peer;
    rc->r = (raw *)user;
    rc->s = s;
    rc->r->conns++;
    tn_stream_set_close_cb(s, raw_conn_closed, rc);
    raw_read(s, rc);
}

static void raw_start(tn_loop *loop, raw *r, const char *resp) {
    memset(r, 0, sizeof *r);
    r->resp = resp;
    TN_OK_RC(tn_tcp_server_new(loop, NULL, raw_on_conn, r, &r->srv));
    TN_OK_RC(tn_tcp_server_listen(r->srv, "127.0.0.1", 0));
    r->port = tn_tcp_server_port(r->srv);
}

static void raw_stop(tn_loop *loop, raw *r) {
    int before = g_closed;
    TN_OK_RC(tn_tcp_server_close(r->srv, on_closed, NULL));
    while (g_closed == before) TN_CHECK(tn_loop_run_once(loop, 100) >= 0);
}

static char *raw_url(raw *r, const char *path) {
    static char u[256];
    snprintf(u, sizeof u, "http://127.0.0.1:%d%s", r->port, path);
    return u;
}


static char g_tmp[128];
static void rm_tmp(void) {
    char cmd[200];
    if (!g_tmp[0]) return;
#if defined(_WIN32)   /* cmd.exe: backslashes ("/t" would be a switch) */
    {
        char *c;
        snprintf(cmd, sizeof cmd, "rmdir /s /q \"%s\"", g_tmp);
        for (c = cmd; *c; c++)
            if (*c == '/' && c > cmd + 12) *c = '\\';
    }
#else
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_tmp);
#endif
    (void)system(cmd);
}
static const char *tmpdir(void) {
    snprintf(g_tmp, sizeof g_tmp, "/tmp/tn_hcl_%d", (int)getpid());
    mkdir(g_tmp, 0755);
    return g_tmp;
}

TN_TEST(proxy_absolute_form_in_loop) {
    /* the site plays the proxy: an absolute-form request for a host nobody resolves */
    tn_loop *loop = new_loop();
    tn_http_client *cl;
    tn_http_client_opts o;
    tn_http_fetch_req req;
    answer a;
    start_site(loop);
    memset(&o, 0, sizeof o);
    o.proxy_host = "127.0.0.1";
    o.proxy_port = g_site.port;
    o.proxy_username = "user";
    o.proxy_password = "pw";
    TN_OK_RC(tn_http_client_new(loop, &o, &cl));
    get(loop, cl, "http://example.invalid:8080/hdr", &a);
    TN_EQ_INT(a.code, 200);
    TN_CHECK(strstr(a.body, "Host=example.invalid:8080\n") != NULL);
    TN_CHECK(strstr(a.body, "Proxy-Authorization=Basic dXNlcjpwdw==\n") != NULL);
    get(loop, cl, "http://other.invalid/hello", &a);   /* same proxy connection for any origin */
    TN_EQ_STR(a.body, "Hello, world");
    TN_EQ_INT(a.reused, 1);
    memset(&req, 0, sizeof req);                      /* no_proxy: straight to the origin */
    req.url = url(g_site.base, "/hello");
    req.no_proxy = 1;
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_INT(a.code, 200);
    TN_EQ_INT(a.reused, 0);
    close_client(loop, cl);
    stop_site(loop);
    free_loop(loop);
}

TN_TEST(tinyproxy_absolute_form_and_connect) {
    tn_loop *loop;
    tn_http_client *cl, *cl1;
    tn_http_fetch_req req;
    answer a;
    char conf[256], log[256], line[1024];
    int port;
    pid_t pid;
    FILE *fp;
    if (!have_cmd("tinyproxy")) TN_SKIP("tinyproxy not found (apt-get install tinyproxy)");
    loop = new_loop();
    start_site(loop);
    port = free_port();
    snprintf(conf, sizeof conf, "%s/tinyproxy.conf", tmpdir());
    snprintf(log, sizeof log, "%s/tinyproxy.log", g_tmp);
    fp = fopen(conf, "w");
    fprintf(fp, "Port %d\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nMaxClients 50\nLogLevel Info\n"
                "BasicAuth user secret\nDisableViaHeader No\nViaProxyName \"tinyproxy\"\n", port);
    if (getuid() == 0) fprintf(fp, "User nobody\nGroup nogroup\n");
    fclose(fp);
    {
        char *argv[] = { (char *)"tinyproxy", (char *)"-d", (char *)"-c", conf, NULL };
        if (!have_cmd("tinyproxy") || access("/usr/bin/tinyproxy", X_OK) != 0) argv[0] = (char *)"/usr/sbin/tinyproxy";
        else argv[0] = (char *)"/usr/bin/tinyproxy";
        pid = spawn(argv, log);
    }
    TN_CHECKF(wait_port(port, 5000), "tinyproxy did not start (see %s)", log);
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    {   /* tinyproxy closes a client connection after an absolute-form answer, without saying
           so: pooled, the next request would race that FIN (a POST on it fails with 599, not
           retried, as RFC 9112 9.3.1 asks). These two go through a client that never pools. */
        tn_http_client_opts co;
        memset(&co, 0, sizeof co);
        co.no_keep_alive = 1;
        TN_OK_RC(tn_http_client_new(loop, &co, &cl1));
    }
    memset(&req, 0, sizeof req);
    req.proxy_host = "127.0.0.1";
    req.proxy_port = port;
    req.proxy_username = "user";
    req.proxy_password = "secret";

    /* absolute-form through the proxy: it adds Via */
    req.url = url(g_site.base, "/hdr");
    TN_OK_RC(start_fetch(cl1, &req, &a, NULL));
    wait_answer(loop, &a, 10000);
    TN_EQ_INT(a.code, 200);
    TN_CHECKF(strstr(a.body, "tinyproxy") != NULL, "no Via from the proxy: %s", a.body);
    TN_CHECK(strstr(a.body, "Proxy-Authorization") == NULL);   /* the proxy consumed it */
    req.url = url(g_site.base, "/echo");
    req.method = "POST";
    req.body = tn_str_c("through the proxy");
    TN_OK_RC(start_fetch(cl1, &req, &a, NULL));
    wait_answer(loop, &a, 10000);
    TN_CHECKF(a.code == 200, "POST through the proxy: %d (%s, reused %d)", a.code, a.msg, a.reused);
    TN_CHECK(strncmp(a.body, "POST|through the proxy|", 23) == 0);
    {
        int before = g_closed;
        TN_OK_RC(tn_http_client_close(cl1, on_closed, NULL));
        while (g_closed == before) TN_CHECK(tn_loop_run_once(loop, 100) >= 0);
    }

    /* a CONNECT tunnel (what https:// uses), here for http:// */
    memset(&req.method, 0, sizeof req.method);
    req.body = tn_str_make(NULL, 0);
    req.proxy_tunnel = 1;
    req.url = url(g_site.base, "/hdr");
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 10000);
    TN_EQ_INT(a.code, 200);
    TN_CHECKF(strstr(a.body, "tinyproxy") == NULL, "a tunnel is opaque: %s", a.body);
    TN_CHECK(strstr(a.body, "Host=127.0.0.1:") != NULL);
    get(loop, cl, url(g_site.base, "/hello"), &a);   /* (direct, for contrast) */
    req.url = url(g_site.base, "/hello");
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));        /* the tunnel is pooled like a connection */
    wait_answer(loop, &a, 10000);
    TN_EQ_STR(a.body, "Hello, world");
    TN_EQ_INT(a.reused, 1);

    /* wrong credentials: 407 as an answer; a refused tunnel is a 599 that says so */
    req.proxy_password = "wrong";
    req.proxy_tunnel = 0;
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 10000);
    TN_CHECKF(a.code == 407 || a.code == 401, "code %d", a.code);   /* tinyproxy 1.11 says 401 */
    req.proxy_tunnel = 1;
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 10000);
    TN_EQ_INT(a.code, 599);
    TN_EQ_RC(a.error, TN_EREFUSED);
    TN_CHECKF(strncmp(a.msg, "Proxy refused the CONNECT tunnel (answered 40", 45) == 0, "%s", a.msg);
    close_client(loop, cl);
    reap(pid);
    /* the proxy's log shows both kinds of request */
    fp = fopen(log, "r");
    {
        int connects = 0, gets = 0;
        while (fp && fgets(line, sizeof line, fp)) {
            if (strstr(line, "CONNECT 127.0.0.1:")) connects++;
            if (strstr(line, "GET http://127.0.0.1:")) gets++;
        }
        if (fp) fclose(fp);
        TN_CHECKF(connects >= 2 && gets >= 1, "tinyproxy log: %d CONNECT, %d GET", connects, gets);
    }
    rm_tmp();
    stop_site(loop);
    free_loop(loop);
}

/* ======================================================================================= */

TN_TEST(get_head_and_response_fields) {
    tn_loop *loop = new_loop();
    tn_http_client *cl;
    tn_http_client_opts o;
    tn_http_fetch_req req;
    answer a;
    start_site(loop);
    memset(&o, 0, sizeof o);
    TN_OK_RC(tn_http_client_new(loop, &o, &cl));
    tn_http_client_get_opts(cl, &o);
    TN_EQ_INT(o.max_clients, 10);
    TN_EQ_UINT(o.max_buffer_size, 104857600u);
    TN_EQ_UINT(o.max_body_size, 104857600u);
    TN_EQ_UINT(o.max_header_size, 65536u);

    get(loop, cl, url(g_site.base, "/hello"), &a);
    TN_EQ_INT(a.code, 200);
    TN_EQ_RC(a.error, TN_OK);
    TN_EQ_STR(a.msg, "");
    TN_EQ_STR(a.body, "Hello, world");
    TN_CHECK(strstr(a.hdr, "Content-Length: 12\n") != NULL);
    TN_CHECK(strstr(a.hdr, "Server: ") != NULL);
    TN_EQ_STR(a.url, url(g_site.base, "/hello"));
    TN_CHECK(a.total_us > 0 && a.first_us > 0 && a.first_us <= a.total_us);
    TN_EQ_INT(a.reused, 0);

    /* the second one rides the pooled connection */
    get(loop, cl, url(g_site.base, "/hello?x=1#frag"), &a);
    TN_EQ_INT(a.code, 200);
    TN_EQ_INT(a.reused, 1);

    memset(&req, 0, sizeof req);
    req.url = url(g_site.base, "/hello");
    req.method = "HEAD";
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_INT(a.code, 200);
    TN_EQ_INT(a.body_len, 0);
    TN_CHECK(strstr(a.hdr, "Content-Length: 12\n") != NULL);

    get(loop, cl, url(g_site.base, "/status?204"), &a);
    TN_EQ_INT(a.code, 204);
    get(loop, cl, url(g_site.base, "/nope"), &a);
    TN_EQ_INT(a.code, 404);
    TN_EQ_RC(a.error, TN_OK);   /* an HTTP answer is not an error: the code says it */

    /* If-Modified-Since → 304 without body, on the same connection */
    memset(&req, 0, sizeof req);
    req.url = url(g_site.base, "/ims");
    req.if_modified_since = 784111777;
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_INT(a.code, 304);
    TN_EQ_INT(a.body_len, 0);

    /* user agent: none by default (Tornado), the request's, then the client default */
    get(loop, cl, url(g_site.base, "/ua"), &a);
    TN_EQ_STR(a.body, "(none)");
    memset(&req, 0, sizeof req);
    req.url = url(g_site.base, "/ua");
    req.user_agent = "fetch-test/1";
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_STR(a.body, "fetch-test/1");
    {
        tn_http_client_stats st;
        tn_http_client_get_stats(cl, &st);
        TN_EQ_UINT(st.connections_opened, 1);   /* everything above on one connection */
        TN_EQ_UINT(st.requests_reused, 7);
        TN_EQ_UINT(st.idle, 1);
    }
    close_client(loop, cl);
    stop_site(loop);
    free_loop(loop);
}

TN_TEST(request_validation) {
    tn_loop *loop = new_loop();
    tn_http_client *cl;
    tn_http_fetch_req req;
    tn_http_header h[1];
    answer a;
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    memset(&req, 0, sizeof req);
    TN_EQ_RC(start_fetch(cl, &req, &a, NULL), TN_EINVAL);               /* no URL */
    req.url = "ftp://x/";
    TN_EQ_RC(start_fetch(cl, &req, &a, NULL), TN_EINVAL);
    req.url = "/relative";
    TN_EQ_RC(start_fetch(cl, &req, &a, NULL), TN_EINVAL);
    req.url = "http://h/ bad";
    TN_EQ_RC(start_fetch(cl, &req, &a, NULL), TN_EINVAL);
    req.url = "http://h/";
    req.method = "POST";                                                 /* POST needs a body */
    TN_EQ_RC(start_fetch(cl, &req, &a, NULL), TN_EINVAL);
    req.method = "GET";
    req.body = tn_str_c("x");                                            /* GET must not have one */
    TN_EQ_RC(start_fetch(cl, &req, &a, NULL), TN_EINVAL);
    req.body = tn_str_c("");
    req.method = "PROPFIND";                                             /* non-standard */
    TN_EQ_RC(start_fetch(cl, &req, &a, NULL), TN_EINVAL);
    req.method = "GE T";
    req.allow_nonstandard_methods = 1;
    TN_EQ_RC(start_fetch(cl, &req, &a, NULL), TN_EINVAL);                /* not a token */
    req.method = NULL;
    h[0].name = tn_str_c("X-Bad");
    h[0].value = tn_str_c("a\r\nInjected: 1");
    req.headers = h;
    req.num_headers = 1;
    TN_EQ_RC(start_fetch(cl, &req, &a, NULL), TN_EINVAL);                /* header injection */
    h[0].name = tn_str_c("Bad Name");
    h[0].value = tn_str_c("v");
    TN_EQ_RC(start_fetch(cl, &req, &a, NULL), TN_EINVAL);
    close_client(loop, cl);
    free_loop(loop);
}

TN_TEST(bodies_auth_and_headers) {
    tn_loop *loop = new_loop();
    tn_http_client *cl;
    tn_http_client_opts o;
    tn_http_fetch_req req;
    tn_http_header dh[2], h[3];
    answer a;
    start_site(loop);
    memset(&o, 0, sizeof o);
    dh[0].name = tn_str_c("X-Default");
    dh[0].value = tn_str_c("from-client");
    dh[1].name = tn_str_c("X-Over");
    dh[1].value = tn_str_c("client");
    o.headers = dh;
    o.num_headers = 2;
    o.user_agent = "client-ua";
    TN_OK_RC(tn_http_client_new(loop, &o, &cl));

    memset(&req, 0, sizeof req);
    req.url = url(g_site.base, "/echo");
    req.method = "POST";
    req.body = tn_str_c("a=1&b=2");
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_STR(a.body, "POST|a=1&b=2|auth=|cookie=|ct=application/x-www-form-urlencoded|te=|cl=7");

    /* an empty PUT body still has Content-Length: 0 */
    req.method = "PUT";
    req.body = tn_str_c("");
    req.has_body = 1;
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_STR(a.body, "PUT||auth=|cookie=|ct=|te=|cl=0");

    /* basic auth from the options and from the URL */
    memset(&req, 0, sizeof req);
    req.url = url(g_site.base, "/echo");
    req.auth_username = "Aladdin";
    req.auth_password = "open sesame";
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_CHECK(strstr(a.body, "auth=Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==") != NULL);
    {
        char u[128];
        snprintf(u, sizeof u, "http://Aladdin:open%%20sesame@127.0.0.1:%d/echo", g_site.port);
        memset(&req, 0, sizeof req);
        req.url = u;
        TN_OK_RC(start_fetch(cl, &req, &a, NULL));
        wait_answer(loop, &a, 5000);
        TN_CHECK(strstr(a.body, "auth=Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==") != NULL);
    }

    /* ordered, repeatable headers; the request's field wins over the client default */
    memset(&req, 0, sizeof req);
    req.url = url(g_site.base, "/hdr");
    h[0].name = tn_str_c("X-Rep");
    h[0].value = tn_str_c("1");
    h[1].name = tn_str_c("X-Rep");
    h[1].value = tn_str_c("2");
    h[2].name = tn_str_c("x-over");
    h[2].value = tn_str_c("request");
    req.headers = h;
    req.num_headers = 3;
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_CHECK(strstr(a.body, "X-Rep=1\nX-Rep=2\n") != NULL);
    TN_CHECK(strstr(a.body, "x-over=request\n") != NULL);
    TN_CHECK(strstr(a.body, "X-Over=client") == NULL);
    TN_CHECK(strstr(a.body, "X-Default=from-client\n") != NULL);
    TN_CHECK(strstr(a.body, "User-Agent=client-ua\n") != NULL);
    TN_CHECK(strstr(a.body, "Host=127.0.0.1:") != NULL);
#if TN_HAS_DEFLATE
    TN_CHECK(strstr(a.body, "Accept-Encoding=gzip, deflate\n") != NULL);   /* decompress_response (default) */
#else
    TN_CHECK(strstr(a.body, "Accept-Encoding") == NULL);   /* no decoder built in: none asked for */
#endif

    /* a large upload */
    {
        static char big[200000];
        memset(big, 'z', sizeof big);
        memset(&req, 0, sizeof req);
        req.url = url(g_site.base, "/len");
        req.method = "POST";
        req.body = tn_str_make(big, sizeof big);
        TN_OK_RC(start_fetch(cl, &req, &a, NULL));
        wait_answer(loop, &a, 5000);
        TN_EQ_STR(a.body, "200000");
    }
    close_client(loop, cl);
    stop_site(loop);
    free_loop(loop);
}

/* ---- body producer: chunked when no length is known, flow-controlled ---- */
typedef struct producer { int left, calls, piece; } producer;
static void produce(tn_http_fetch *f, void *user) {
    producer *p = (producer *)user;
    char buf[5000];
    p->calls++;
    if (p->left == 0) {
        TN_OK_RC(tn_http_fetch_write_end(f));
        return;
    }
    memset(buf, 'a' + p->left % 26, sizeof buf);
    TN_OK_RC(tn_http_fetch_write(f, buf, (size_t)p->piece));
    p->left--;
}

TN_TEST(body_producer_and_expect_continue) {
    tn_loop *loop = new_loop();
    tn_http_client *cl;
    tn_http_fetch_req req;
    tn_http_header h[1];
    producer p;
    answer a;
    start_site(loop);
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    memset(&req, 0, sizeof req);
    memset(&p, 0, sizeof p);
    p.left = 40;
    p.piece = 5000;
    req.url = url(g_site.base, "/len");
    req.method = "POST";
    req.body_producer = produce;
    req.producer_user = &p;
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_INT(a.code, 200);
    TN_EQ_STR(a.body, "200000");
    TN_EQ_INT(p.calls, 41);   /* called again only once each write had gone out */

    /* chunked on the wire; with Content-Length set it is sent as is */
    memset(&p, 0, sizeof p);
    p.left = 3;
    p.piece = 10;
    req.url = url(g_site.base, "/echo");
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_CHECK(strstr(a.body, "te=chunked|cl=") != NULL);
    memset(&p, 0, sizeof p);
    p.left = 3;
    p.piece = 10;
    h[0].name = tn_str_c("Content-Length");
    h[0].value = tn_str_c("30");
    req.headers = h;
    req.num_headers = 1;
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_CHECK(strstr(a.body, "te=|cl=30") != NULL);
    TN_EQ_INT(a.reused, 1);

    /* Expect: 100-continue: the body goes after the server's 100 */
    memset(&req, 0, sizeof req);
    req.url = url(g_site.base, "/len");
    req.method = "POST";
    req.body = tn_str_c("0123456789");
    req.expect_100_continue = 1;
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_INT(a.code, 200);
    TN_EQ_STR(a.body, "10");
    close_client(loop, cl);
    stop_site(loop);
    free_loop(loop);
}

TN_TEST(streaming_and_header_callbacks) {
    tn_loop *loop = new_loop();
    tn_http_client *cl;
    tn_http_fetch_req req;
    answer a;
    start_site(loop);
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    memset(&req, 0, sizeof req);
    req.url = url(g_site.base, "/chunked?500");
    req.streaming_callback = on_chunk;
    req.streaming_user = &a;
    req.header_callback = on_line;
    req.header_user = &a;
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_INT(a.code, 200);
    TN_EQ_INT(a.body_len, 0);                   /* streamed: not in the response */
    TN_CHECK(strstr(a.hdr, "Transfer-Encoding: chunked") != NULL);   /* headers still there */
    TN_CHECK(a.stream_len > 4000);
    TN_CHECK(memcmp(a.stream, "chunk 0;chunk 1;", 16) == 0);
    TN_CHECK(memcmp(a.stream + a.stream_len - 10, "chunk 499;", 10) == 0);
    TN_CHECK(strncmp(a.line_text, "HTTP/1.1 200 OK\r\n", 17) == 0);
    TN_CHECK(strstr(a.line_text, "\r\n\r\n") == a.line_text + strlen(a.line_text) - 4);
    TN_CHECK(a.lines >= 4);

    close_client(loop, cl);
    stop_site(loop);
    free_loop(loop);
}

TN_TEST(streaming_pause_resume) {
    tn_loop *loop = new_loop();
    tn_http_client *cl;
    tn_http_fetch_req req;
    tn_http_fetch *f;
    answer a;
    int i, pauses = 0;
    start_site(loop);
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    memset(&req, 0, sizeof req);
    req.url = url(g_site.base, "/big?250000");
    req.streaming_callback = on_chunk;
    req.streaming_user = &a;
    TN_OK_RC(start_fetch(cl, &req, &a, &f));
    a.pause_every = 1;
    for (i = 0; i < 5000 && !a.done; i++) {
        (void)tn_loop_run_once(loop, 20);
        if (a.paused) {
            int chunks = a.chunks, k;
            tn_http_fetch *pf = a.paused;
            for (k = 0; k < 3; k++) (void)tn_loop_run_once(loop, 5);
            TN_EQ_INT(a.chunks, chunks);   /* paused: nothing more until resume */
            a.paused = NULL;
            pauses++;
            if (!a.done) tn_http_fetch_resume(pf);
        }
    }
    TN_CHECK(a.done);
    TN_EQ_INT(a.code, 200);
    TN_EQ_UINT(a.stream_len, 250000);
    TN_CHECK(pauses >= 2);
    for (i = 0; i < 250000 && i < (int)sizeof a.stream; i++)
        if (a.stream[i] != (char)('a' + i % 26)) TN_CHECKF(0, "byte %d differs", i);
    close_client(loop, cl);
    stop_site(loop);
    free_loop(loop);
}

TN_TEST(redirects) {
    tn_loop *loop = new_loop();
    tn_http_client *cl;
    tn_http_fetch_req req;
    tn_http_header h[3];
    answer a;
    char to[512];
    start_site(loop);
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));

    get(loop, cl, url(g_site.base, "/redirect/3"), &a);
    TN_EQ_INT(a.code, 200);
    TN_EQ_STR(a.body, "done");
    TN_EQ_INT(a.redirects, 3);
    TN_EQ_STR(a.url, url(g_site.base, "/redirect/0"));

    /* five are followed (Tornado's max_redirects), the sixth 3xx is the answer */
    get(loop, cl, url(g_site.base, "/redirect/5"), &a);
    TN_EQ_INT(a.code, 200);
    get(loop, cl, url(g_site.base, "/redirect/6"), &a);
    TN_EQ_INT(a.code, 302);
    TN_EQ_RC(a.error, TN_ELIMIT);
    TN_CHECK(strstr(a.msg, "Too many redirects") != NULL);
    TN_CHECK(strstr(a.hdr, "Location: /redirect/0") != NULL);
    get(loop, cl, url(g_site.base, "/loop"), &a);
    TN_EQ_INT(a.code, 302);
    TN_EQ_RC(a.error, TN_ELIMIT);
    TN_EQ_INT(a.redirects, 5);

    /* not followed when asked */
    memset(&req, 0, sizeof req);
    req.url = url(g_site.base, "/redirect/2");
    req.no_follow_redirects = 1;
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_INT(a.code, 302);
    TN_EQ_RC(a.error, TN_OK);
    TN_CHECK(strstr(a.hdr, "Location: /redirect/1") != NULL);

    /* 302/301/303 turn POST into GET without a body; 307/308 keep both */
    {
        static const int codes[] = { 301, 302, 303, 307, 308 };
        int i;
        for (i = 0; i < 5; i++) {
            char path[64];
            snprintf(path, sizeof path, "/to?%d&/echo", codes[i]);
            memset(&req, 0, sizeof req);
            req.url = url(g_site.base, path);
            req.method = "POST";
            req.body = tn_str_c("payload");
            h[0].name = tn_str_c("Content-Type");
            h[0].value = tn_str_c("text/x-mine");
            req.headers = h;
            req.num_headers = 1;
            TN_OK_RC(start_fetch(cl, &req, &a, NULL));
            wait_answer(loop, &a, 5000);
            TN_EQ_INT(a.code, 200);
            TN_EQ_INT(a.redirects, 1);
            if (codes[i] < 304) TN_EQ_STR(a.body, "GET||auth=|cookie=|ct=|te=|cl=");
            else TN_EQ_STR(a.body, "POST|payload|auth=|cookie=|ct=text/x-mine|te=|cl=7");
        }
        /* 303 turns a PUT into GET too; 301 keeps a PUT (only POST changes) */
        snprintf(to, sizeof to, "/to?303&/echo");
        memset(&req, 0, sizeof req);
        req.url = url(g_site.base, to);
        req.method = "PUT";
        req.body = tn_str_c("p");
        TN_OK_RC(start_fetch(cl, &req, &a, NULL));
        wait_answer(loop, &a, 5000);
        TN_CHECK(strncmp(a.body, "GET||", 5) == 0);
        snprintf(to, sizeof to, "/to?301&/echo");
        req.url = url(g_site.base, to);
        TN_OK_RC(start_fetch(cl, &req, &a, NULL));
        wait_answer(loop, &a, 5000);
        TN_CHECK(strncmp(a.body, "PUT|p|", 6) == 0);
    }

    /* relative Location ("../echo") resolved against the request URL */
    memset(&req, 0, sizeof req);
    req.url = url(g_site.base, "/to?302&../echo");
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_INT(a.code, 200);
    TN_EQ_STR(a.url, url(g_site.base, "/echo"));

    /* Authorization and Cookie stay with their origin */
    h[0].name = tn_str_c("Authorization");
    h[0].value = tn_str_c("Bearer secret");
    h[1].name = tn_str_c("Cookie");
    h[1].value = tn_str_c("sid=1");
    memset(&req, 0, sizeof req);
    req.headers = h;
    req.num_headers = 2;
    snprintf(to, sizeof to, "/to?302&%s/echo", g_site.base);   /* same origin */
    req.url = url(g_site.base, to);
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_CHECK(strstr(a.body, "auth=Bearer secret|cookie=sid=1|") != NULL);
    snprintf(to, sizeof to, "/to?302&%s/echo", g_site.other);  /* another origin */
    req.url = url(g_site.base, to);
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_INT(a.code, 200);
    TN_CHECK(strstr(a.body, "auth=|cookie=|") != NULL);
    req.headers = NULL;
    req.num_headers = 0;
    req.auth_username = "u";
    req.auth_password = "p";
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_CHECK(strstr(a.body, "auth=|") != NULL);

    /* a Location that is not http(s) */
    memset(&req, 0, sizeof req);
    req.url = url(g_site.base, "/to?302&ftp://x/");
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_INT(a.code, 599);
    TN_EQ_RC(a.error, TN_EBAD_URL);
    close_client(loop, cl);
    stop_site(loop);
    free_loop(loop);
}

TN_TEST(no_response_errors_are_599) {
    tn_loop *loop = new_loop();
    tn_http_client *cl;
    tn_http_fetch_req req;
    answer a;
    int port;
    {   /* a port nobody listens on */
        tn_socket fd;
        size_t n;
        TN_OK_RC(tn_bind_sockets("127.0.0.1", 0, NULL, &fd, 1, &n));
        {
            tn_addr ad;
            TN_OK_RC(tn_socket_local_addr(fd, &ad));
            port = tn_addr_port(&ad);
        }
        tn_socket_close(fd);
    }
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    {
        char u[64];
        snprintf(u, sizeof u, "http://127.0.0.1:%d/", port);
        get(loop, cl, u, &a);
        TN_EQ_INT(a.code, 599);
        TN_EQ_RC(a.error, TN_EREFUSED);
        TN_EQ_STR(a.msg, tn_strerror(TN_EREFUSED));
    }
    get(loop, cl, "http://no-such-host.invalid/", &a);
    TN_EQ_INT(a.code, 599);
    TN_EQ_RC(a.error, TN_ERESOLVE);

    /* https:// waits for the TLS module: a clear error, not a hang */
    get(loop, cl, "https://127.0.0.1:1/", &a);
    TN_EQ_INT(a.code, 599);
    TN_EQ_RC(a.error, TN_ENOTSUP);
    TN_CHECK(strstr(a.msg, "TLS not built in") != NULL);

    /* a fetch on a closing client */
    memset(&req, 0, sizeof req);
    req.url = "http://127.0.0.1:1/";
    TN_OK_RC(tn_http_client_close(cl, on_closed, NULL));
    TN_EQ_RC(start_fetch(cl, &req, &a, NULL), TN_ECLOSED);
    while (tn_loop_alive(loop) > 0) (void)tn_loop_run_once(loop, 10);
    free_loop(loop);
}

TN_TEST(timeouts_name_their_phase) {
    tn_loop *loop = new_loop();
    tn_http_client *cl;
    tn_http_client_opts o;
    tn_http_fetch_req req;
    answer a, b;
    raw r;
    int lfd, fill[8], i, port;
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    double t0;
    /* during the request: the server reads and never answers */
    raw_start(loop, &r, "");
    r.silent = 1;
    memset(&o, 0, sizeof o);
    o.max_clients = 1;
    TN_OK_RC(tn_http_client_new(loop, &o, &cl));
    memset(&req, 0, sizeof req);
    req.url = raw_url(&r, "/");
    req.request_timeout_ms = 300;
    t0 = tn_test_ms();
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    /* in the queue: max_clients 1 and the first one holds the slot */
    req.request_timeout_ms = 150;
    TN_OK_RC(start_fetch(cl, &req, &b, NULL));
    wait_answer(loop, &b, 5000);
    TN_EQ_INT(b.code, 599);
    TN_EQ_RC(b.error, TN_ETIMEOUT);
    TN_EQ_STR(b.msg, "Timeout in request queue");
    TN_CHECK(b.queue_us >= 140000);
    wait_answer(loop, &a, 5000);
    TN_EQ_INT(a.code, 599);
    TN_EQ_RC(a.error, TN_ETIMEOUT);
    TN_EQ_STR(a.msg, "Timeout during request");
    TN_CHECK(tn_test_ms() - t0 < 1500);
    close_client(loop, cl);
    raw_stop(loop, &r);

    /* a server that stalls after the head: the body never comes */
    raw_start(loop, &r, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial");
    TN_OK_RC(tn_http_client_new(loop, &o, &cl));
    memset(&req, 0, sizeof req);
    req.url = raw_url(&r, "/");
    req.request_timeout_ms = 200;
    t0 = tn_test_ms();
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_INT(a.code, 599);
    TN_EQ_STR(a.msg, "Timeout during request");
    TN_CHECK(a.first_us > 0);
    TN_CHECK(tn_test_ms() - t0 < 1000);

    /* while connecting: a listener whose accept queue is full drops our SYN */
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    TN_CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0);
    TN_CHECK(listen(lfd, 0) == 0);
    TN_CHECK(getsockname(lfd, (struct sockaddr *)&sa, &sl) == 0);
    port = ntohs(sa.sin_port);
    for (i = 0; i < 3; i++) {
        struct timeval tv = { 0, 200000 };
        fill[i] = socket(AF_INET, SOCK_STREAM, 0);
        setsockopt(fill[i], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
#if defined(_WIN32)   /* Winsock's connect ignores SO_SNDTIMEO: leave it in progress instead */
        (void)fcntl(fill[i], F_SETFL, O_NONBLOCK);
#endif
        (void)connect(fill[i], (struct sockaddr *)&sa, sizeof sa);
    }
    {
        char u[64];
        snprintf(u, sizeof u, "http://127.0.0.1:%d/", port);
        memset(&req, 0, sizeof req);
        req.url = u;
        req.connect_timeout_ms = 200;
        TN_OK_RC(start_fetch(cl, &req, &a, NULL));
        wait_answer(loop, &a, 5000);
        TN_EQ_INT(a.code, 599);
        TN_EQ_RC(a.error, TN_ETIMEOUT);
        TN_EQ_STR(a.msg, "Timeout while connecting");
    }
    for (i = 0; i < 3; i++) close(fill[i]);
    close(lfd);
    close_client(loop, cl);
    raw_stop(loop, &r);
    free_loop(loop);
}

/* A raw response → the expected code/error. */
typedef struct rcase {
    const char *name;
    const char *resp;
    int close_after;
    int code, error;
    const char *body;
} rcase;

TN_TEST(malformed_and_hostile_responses) {
    static char huge_head[80000];
    static const rcase cases[] = {
        { "cl+te", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 0, 599, TN_EBAD_TRANSFER_ENCODING, NULL },
        { "two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 0, 599, TN_EBAD_CONTENT_LENGTH, NULL },
        { "same lengths", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 0, 200, 0, "abc" },
        { "bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 0, 599, TN_EBAD_CHUNK, NULL },
        { "chunk overflow", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabc\r\n", 0, 599, TN_EBAD_CHUNK, NULL },
        { "truncated length", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this", 1, 599, TN_EEOF, NULL },
        { "truncated chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 1, 599, TN_EEOF, NULL },
        { "truncated head", "HTTP/1.1 200 OK\r\nContent-Le", 1, 599, TN_EEOF, NULL },
        { "nothing", "", 1, 599, TN_EEOF, NULL },
        { "bad status", "HTTP/1.1 2x0 OK\r\n\r\n", 0, 599, TN_EBAD_STATUS, NULL },
        { "not http", "SSH-2.0-OpenSSH\r\n\r\n", 0, 599, TN_EBAD_VERSION, NULL },
        { "bare lf", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 0, 599, TN_EPARSE, NULL },
        { "until close", "HTTP/1.0 200 OK\r\nX: y\r\n\r\nread to the end", 1, 200, 0, "read to the end" },
        { "until close 1.1", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it", 1, 200, 0, "all of it" },
        { "obs-fold", "HTTP/1.1 200 OK\r\nX-Folded: one\r\n  two\r\n\ttwo-b\r\nContent-Length: 2\r\n\r\nok", 0, 200, 0, "ok" },
        { "fold after status", "HTTP/1.1 200 OK\r\n X: y\r\nContent-Length: 2\r\n\r\nok", 0, 599, TN_EBAD_HEADER_NAME, NULL },
        { "interim 1xx", "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal", 0, 200, 0, "final" },
        { "101", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n", 0, 599, TN_ENOTSUP, NULL },
        { "204 no length", "HTTP/1.1 204 No Content\r\n\r\n", 0, 204, 0, "" },
        { "304 with length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", 0, 304, 0, "" },
        { "leading crlf", "\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", 0, 200, 0, "x" },
        { "chunked trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\n", 0, 200, 0, "abcde" },
        { "huge head", huge_head, 0, 599, TN_EHEADER_TOO_LARGE, NULL },
    };
    tn_loop *loop = new_loop();
    tn_http_client *cl;
    size_t i;
    memset(huge_head, 'a', sizeof huge_head - 1);
    memcpy(huge_head, "HTTP/1.1 200 OK\r\nX-Big: ", 24);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        raw r;
        answer a;
        tn_http_fetch_req req;
        TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
        raw_start(loop, &r, cases[i].resp);
        if (getenv("TN_DEBUG")) fprintf(stderr, "case %s\n", cases[i].name);
        r.close_after = cases[i].close_after;
        memset(&req, 0, sizeof req);
        req.url = raw_url(&r, "/");
        req.request_timeout_ms = 3000;
        TN_OK_RC(start_fetch(cl, &req, &a, NULL));
        wait_answer(loop, &a, 5000);
        if (a.code != cases[i].code || a.error != cases[i].error)
            TN_CHECKF(0, "case %s: got %d %s (%s), want %d %s", cases[i].name, a.code, tn_err_name(a.error), a.msg,
                      cases[i].code, tn_err_name(cases[i].error));
        if (cases[i].body) TN_CHECKF(strcmp(a.body, cases[i].body) == 0, "case %s: body \"%s\"", cases[i].name, a.body);
        if (strcmp(cases[i].name, "obs-fold") == 0)
            TN_CHECKF(strstr(a.hdr, "X-Folded: one    two  \ttwo-b\n") != NULL, "unfolded: %s", a.hdr);
        close_client(loop, cl);   /* its pooled connection would keep the raw server open */
        raw_stop(loop, &r);
    }
    free_loop(loop);
}

TN_TEST(limits_body_and_head) {
    tn_loop *loop = new_loop();
    tn_http_client *cl;
    tn_http_client_opts o;
    tn_http_fetch_req req;
    answer a;
    start_site(loop);
    memset(&o, 0, sizeof o);
    o.max_body_size = 1000;
    o.max_header_size = 400;
    TN_OK_RC(tn_http_client_new(loop, &o, &cl));
    get(loop, cl, url(g_site.base, "/big?1000"), &a);
    TN_EQ_INT(a.code, 200);
    TN_EQ_UINT(a.body_len, 1000);
    get(loop, cl, url(g_site.base, "/big?1001"), &a);           /* Content-Length over: before reading */
    TN_EQ_INT(a.code, 599);
    TN_EQ_RC(a.error, TN_EBODY_TOO_LARGE);
    get(loop, cl, url(g_site.base, "/chunked?200"), &a);        /* chunked over: while reading */
    TN_EQ_INT(a.code, 599);
    TN_EQ_RC(a.error, TN_EBODY_TOO_LARGE);
    memset(&req, 0, sizeof req);                                /* streaming: max_body_size still holds */
    req.url = url(g_site.base, "/chunked?200");
    req.streaming_callback = on_chunk;
    req.streaming_user = &a;
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_RC(a.error, TN_EBODY_TOO_LARGE);
    {
        char big[600];
        tn_http_header h[1];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = 0;
        memset(&req, 0, sizeof req);   /* a reply head over max_header_size: the Location echoes it */
        snprintf(big, sizeof big, "/to?302&/");
        memset(big + 9, 'x', 500);
        big[509] = 0;
        req.url = url(g_site.base, big);
        req.no_follow_redirects = 1;
        TN_OK_RC(start_fetch(cl, &req, &a, NULL));
        wait_answer(loop, &a, 5000);
        TN_EQ_INT(a.code, 599);
        TN_EQ_RC(a.error, TN_EHEADER_TOO_LARGE);
        (void)h;
    }
    close_client(loop, cl);
    stop_site(loop);
    free_loop(loop);
}

TN_TEST(pool_safety_and_retry) {
    tn_loop *loop = new_loop();
    tn_http_client *cl;
    tn_http_client_stats st;
    tn_http_fetch_req req;
    answer a;
    raw r;
    /* the server answers once per connection, then closes on the next request unanswered */
    raw_start(loop, &r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    r.close_on_second = 1;
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    get(loop, cl, raw_url(&r, "/"), &a);
    TN_EQ_INT(a.code, 200);
    get(loop, cl, raw_url(&r, "/"), &a);   /* pooled, closed under it, sent again on a fresh one */
    TN_EQ_INT(a.code, 200);
    TN_EQ_STR(a.body, "ok");
    TN_EQ_INT(a.reused, 0);
    tn_http_client_get_stats(cl, &st);
    TN_EQ_UINT(st.retries, 1);
    TN_EQ_UINT(st.connections_opened, 2);
    /* a POST is not idempotent: no second try */
    memset(&req, 0, sizeof req);
    req.url = raw_url(&r, "/");
    req.method = "POST";
    req.body = tn_str_c("x");
    TN_OK_RC(start_fetch(cl, &req, &a, NULL));
    wait_answer(loop, &a, 5000);
    TN_EQ_INT(a.code, 599);
    TN_EQ_RC(a.error, TN_EEOF);
    TN_EQ_STR(a.msg, "Connection closed without a response");
    tn_http_client_get_stats(cl, &st);
    TN_EQ_UINT(st.retries, 1);
    close_client(loop, cl);
    raw_stop(loop, &r);

    /* Connection: close from the server, or from the request: never pooled */
    raw_start(loop, &r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    get(loop, cl, raw_url(&r, "/"), &a);
    get(loop, cl, raw_url(&r, "/"), &a);
    TN_EQ_INT(a.code, 200);
    TN_EQ_INT(r.conns, 2);
    tn_http_client_get_stats(cl, &st);
    TN_EQ_UINT(st.idle, 0);
    close_client(loop, cl);
    raw_stop(loop, &r);
    /* bytes after the response: not trusted, not pooled */
    raw_start(loop, &r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokGARBAGE");
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    get(loop, cl, raw_url(&r, "/"), &a);
    TN_EQ_STR(a.body, "ok");
    get(loop, cl, raw_url(&r, "/"), &a);
    TN_EQ_INT(r.conns, 2);
    close_client(loop, cl);
    raw_stop(loop, &r);
    /* a server that writes to an idle pooled connection unasked (a 408): not reused, and
       its stray bytes are never taken for the next response */
    raw_start(loop, &r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    r.late = "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n";
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    get(loop, cl, raw_url(&r, "/"), &a);
    {
        int i;
        for (i = 0; i < 10; i++) (void)tn_loop_run_once(loop, 10);   /* the 408 arrives */
    }
    get(loop, cl, raw_url(&r, "/"), &a);
    TN_EQ_INT(a.code, 200);
    TN_EQ_INT(a.reused, 0);
    TN_EQ_INT(r.conns, 2);
    close_client(loop, cl);
    raw_stop(loop, &r);
    /* an idle pooled connection the server closes is noticed and dropped */
    raw_start(loop, &r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    r.close_after = 1;
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    get(loop, cl, raw_url(&r, "/"), &a);
    {
        int i;
        for (i = 0; i < 20; i++) (void)tn_loop_run_once(loop, 10);
    }
    tn_http_client_get_stats(cl, &st);
    TN_EQ_UINT(st.idle, 0);
    get(loop, cl, raw_url(&r, "/"), &a);
    TN_EQ_INT(a.code, 200);
    tn_http_client_get_stats(cl, &st);
    TN_EQ_UINT(st.retries, 0);
    close_client(loop, cl);
    raw_stop(loop, &r);
    free_loop(loop);
}

/* ---- many requests through max_clients ---- */
typedef struct many { int done, ok, reused, queued_waits, target; uint64_t max_queue_us; } many;
static void on_many(tn_http_fetch *f, const tn_http_fetch_res *r, void *user) {
    many *m = (many *)user;
    (void)f;
    m->done++;
    if (r->code == 200 && r->body.len == 12) m->ok++;
    if (r->reused) m->reused++;
    if (r->time_queue_us > 1000) m->queued_waits++;
    if (r->time_queue_us > m->max_queue_us) m->max_queue_us = r->time_queue_us;
}

TN_TEST(thousand_requests_through_ten_slots) {
    counting_alloc ca;
    tn_loop_opts lo;
    tn_loop *loop;
    tn_http_client *cl;
    tn_http_client_stats st;
    tn_http_fetch_req req;
    many m;
    int i, all = 1;
    memset(&ca, 0, sizeof ca);
    memset(&lo, 0, sizeof lo);
    lo.allocator = tn_test_counting(&ca);
    TN_OK_RC(tn_loop_new(&lo, &loop));
    start_site(loop);
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    memset(&m, 0, sizeof m);
    memset(&req, 0, sizeof req);
    req.url = url(g_site.base, "/hello");
    for (i = 0; i < 1000; i++) TN_OK_RC(tn_http_client_fetch(cl, &req, on_many, &m, NULL));
    tn_http_client_get_stats(cl, &st);
    TN_EQ_UINT(st.queued, 1000);
    while (m.done < 1000 && all) all = tn_loop_run_once(loop, 1000) >= 0;
    TN_EQ_INT(m.done, 1000);
    TN_EQ_INT(m.ok, 1000);
    tn_http_client_get_stats(cl, &st);
    TN_CHECKF(st.connections_opened <= 10, "%llu connections", (unsigned long long)st.connections_opened);
    TN_EQ_UINT(st.requests_reused + st.connections_opened, 1000);
    TN_EQ_INT(m.reused, (int)st.requests_reused);
    TN_CHECK(m.queued_waits > 500);   /* most waited for a slot, and say so */
    TN_EQ_INT(g_site.requests, 1000);
    printf("  1000 requests: %llu connections, %llu reused, max queue wait %.1f ms\n",
           (unsigned long long)st.connections_opened, (unsigned long long)st.requests_reused, m.max_queue_us / 1000.0);
    close_client(loop, cl);
    stop_site(loop);
    free_loop(loop);
    TN_EQ_INT(ca.live, 0);
}

#define STALLS(i) ((i) == 0 || (i) == 3 || (i) == 6 || (i) == 9)   /* never answered */
TN_TEST(cancel_queued_and_in_flight_frees_everything) {
    counting_alloc ca;
    tn_loop_opts lo;
    tn_loop *loop;
    tn_http_client *cl;
    tn_http_client_opts o;
    tn_http_fetch_req req;
    tn_http_fetch *f[30];
    answer *a = (answer *)calloc(30, sizeof *a);
    int i, k;
    memset(&ca, 0, sizeof ca);
    memset(&lo, 0, sizeof lo);
    lo.allocator = tn_test_counting(&ca);
    TN_OK_RC(tn_loop_new(&lo, &loop));
    start_site(loop);
    memset(&o, 0, sizeof o);
    o.max_clients = 5;
    TN_OK_RC(tn_http_client_new(loop, &o, &cl));
    memset(&req, 0, sizeof req);
    for (i = 0; i < 30; i++) {
        req.url = url(g_site.base, STALLS(i) ? "/stall" : "/big?100000");
        TN_OK_RC(tn_http_client_fetch(cl, &req, on_answer, &a[i], &f[i]));
    }
    for (k = 0; k < 5; k++) (void)tn_loop_run_once(loop, 10);   /* some connect, some answer */
    for (i = 0; i < 30; i += 2)
        if (!a[i].done) tn_http_fetch_cancel(f[i]);
    for (i = 0; i < 30; i += 2) TN_CHECK(!a[i].done || a[i].code == 200);   /* answers come from the loop */
    for (k = 0; k < 200; k++) {
        int left = 0;
        (void)tn_loop_run_once(loop, 10);
        for (i = 1; i < 30; i += 2) left += !a[i].done && !STALLS(i);
        if (!left) break;
    }
    for (i = 0; i < 30; i++) {
        if (i % 2 == 0) TN_CHECK(a[i].done && (a[i].code == 200 || (a[i].code == 599 && a[i].error == TN_ECANCELED)));
        else if (!STALLS(i)) TN_CHECK(a[i].done && a[i].code == 200 && a[i].body_len == 100000);
        else TN_CHECK(!a[i].done);
    }
    /* closing the client cancels the rest (the stalled ones) */
    close_client(loop, cl);
    for (i = 0; i < 30; i++) {
        TN_CHECK(a[i].done);
        if (STALLS(i)) TN_EQ_RC(a[i].error, TN_ECANCELED);
    }
    stop_site(loop);
    free_loop(loop);
    TN_EQ_INT(ca.live, 0);
    free(a);
}

/* ---- the blocking fetch, against a server on its own thread ---- */
static void *site_thread(void *u) {
    tn_loop_run((tn_loop *)u);
    return NULL;
}
static void stop_loop(tn_loop *loop, void *user) {
    (void)user;
    tn_http_server_close(g_site.srv, 100, NULL, NULL);
    tn_loop_stop(loop);
}

TN_TEST(fetch_sync) {
    tn_loop *loop = new_loop();
    pthread_t th;
    tn_http_fetch_req req;
    tn_http_fetch_res *res = NULL;
    start_site(loop);
    TN_CHECK(pthread_create(&th, NULL, site_thread, loop) == 0);
    memset(&req, 0, sizeof req);
    req.url = url(g_site.base, "/redirect/2");
    TN_OK_RC(tn_http_fetch_sync(&req, NULL, &res));
    TN_EQ_INT(res->code, 200);
    TN_EQ_TSTR(res->body, "done");
    TN_EQ_INT(res->redirects, 2);
    TN_CHECK(res->num_headers >= 3);
    TN_EQ_TSTR(res->reason, "OK");
    tn_http_fetch_res_free(res);
    req.url = "http://127.0.0.1:1/";
    TN_OK_RC(tn_http_fetch_sync(&req, NULL, &res));
    TN_EQ_INT(res->code, 599);
    TN_EQ_RC(res->error, TN_EREFUSED);
    tn_http_fetch_res_free(res);
    req.url = NULL;
    TN_EQ_RC(tn_http_fetch_sync(&req, NULL, &res), TN_EINVAL);
    TN_OK_RC(tn_loop_post(loop, stop_loop, NULL));
    TN_CHECK(pthread_join(th, NULL) == 0);
    while (tn_loop_alive(loop) > 0) (void)tn_loop_run_once(loop, 10);
    free_loop(loop);
}


#if TN_HAS_DEFLATE
/* ---- decompress_response: gzip and deflate bodies from scripted servers ---- */
static char g_gz_text[60000];
static size_t g_gz_text_len;

/* head + body into one malloc'ed response; chunk > 0: chunked coding in pieces of chunk bytes */
static char *gz_response(const char *head, const char *body, size_t n, size_t chunk, size_t *out_len) {
    char *r = (char *)malloc(strlen(head) + n + (chunk ? n / chunk + 1 : 0) * 24 + 64), *w = r;
    size_t i;
    w += sprintf(w, "%s", head);
    if (!chunk) {
        memcpy(w, body, n);
        w += n;
    } else {
        for (i = 0; i < n; i += chunk) {
            size_t k = n - i < chunk ? n - i : chunk;
            w += sprintf(w, "%lx\r\n", (unsigned long)k);
            memcpy(w, body + i, k);
            w += k;
            w += sprintf(w, "\r\n");
        }
        w += sprintf(w, "0\r\n\r\n");
    }
    *out_len = (size_t)(w - r);
    return r;
}

static char *gz_encode(int format, const char *in, size_t n, size_t *out_len) {
    tn_deflate_opts o;
    char *out = (char *)malloc(tn_deflate_bound(n));
    memset(&o, 0, sizeof o);
    o.format = format;
    TN_OK_RC(tn_deflate_once(&o, in, n, out, tn_deflate_bound(n), out_len));
    return out;
}

/* Serve resp once from a raw server and fetch it (streamed into a when stream is set). */
static void gz_fetch(tn_loop *loop, tn_http_client *cl, const char *resp, size_t len, int stream, int no_decompress,
                     answer *a) {
    raw r;
    tn_http_fetch_req req;
    raw_start(loop, &r, resp);
    r.resp_len = len;
    r.close_after = 1;
    memset(&req, 0, sizeof req);
    req.url = raw_url(&r, "/gz");
    req.no_decompress = no_decompress;
    if (stream) {
        req.streaming_callback = on_chunk;
        req.streaming_user = a;
    }
    TN_OK_RC(start_fetch(cl, &req, a, NULL));
    wait_answer(loop, a, 10000);
    raw_stop(loop, &r);
}

TN_TEST(decompress_response_gzip_deflate) {
    tn_loop *loop = new_loop();
    tn_http_client *cl, *small;
    tn_http_client_opts o;
    answer a;
    char *gz, *zl, *rw, *resp, *bomb, *bad;
    size_t gz_len, zl_len, rw_len, len, bomb_len, i;
    uint64_t want;
    static char zeros[8 << 20];
    for (i = 0; g_gz_text_len + 64 < sizeof g_gz_text; i++)
        g_gz_text_len += (size_t)sprintf(g_gz_text + g_gz_text_len, "line %lu of the gzip test, %lu\n",
                                         (unsigned long)i, (unsigned long)(i * i % 977));
    want = fnv(0, g_gz_text, g_gz_text_len);
    gz = gz_encode(TN_DEFLATE_GZIP, g_gz_text, g_gz_text_len, &gz_len);
    zl = gz_encode(TN_DEFLATE_ZLIB, g_gz_text, g_gz_text_len, &zl_len);
    rw = gz_encode(TN_DEFLATE_RAW, g_gz_text, g_gz_text_len, &rw_len);
    TN_CHECK(gz_len < g_gz_text_len / 2);
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));

    /* gzip with a Content-Length: the body is the decoded one, Content-Encoding renamed */
    {
        char head[256];
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %lu\r\n\r\n",
                 (unsigned long)gz_len);
        resp = gz_response(head, gz, gz_len, 0, &len);
        gz_fetch(loop, cl, resp, len, 0, 0, &a);
        TN_EQ_INT(a.code, 200);
        TN_EQ_INT(a.error, 0);
        TN_EQ_UINT(a.body_len, g_gz_text_len);
        TN_CHECK(a.hash == want);
        TN_CHECK(strstr(a.hdr, "X-Consumed-Content-Encoding: gzip\n") != NULL);
        TN_CHECK(strstr(a.hdr, "\nContent-Encoding") == NULL);
        /* decompress_response off: the bytes as sent, the header kept */
        gz_fetch(loop, cl, resp, len, 0, 1, &a);
        TN_EQ_INT(a.code, 200);
        TN_EQ_UINT(a.body_len, gz_len);
        TN_CHECK(a.hash == fnv(0, gz, gz_len));
        TN_CHECK(strstr(a.hdr, "Content-Encoding: gzip\n") != NULL);
        free(resp);
    }
    /* chunked + gzip, buffered and streamed (the callback gets decoded pieces) */
    resp = gz_response("HTTP/1.1 200 OK\r\nContent-Encoding: GZIP\r\nTransfer-Encoding: chunked\r\n\r\n", gz, gz_len,
                       777, &len);
    gz_fetch(loop, cl, resp, len, 0, 0, &a);
    TN_EQ_INT(a.code, 200);
    TN_EQ_UINT(a.body_len, g_gz_text_len);
    TN_CHECK(a.hash == want);
    gz_fetch(loop, cl, resp, len, 1, 0, &a);
    TN_EQ_INT(a.code, 200);
    TN_EQ_INT(a.error, 0);
    TN_EQ_UINT(a.stream_len, g_gz_text_len);
    TN_CHECK(a.stream_hash == want);
    TN_EQ_UINT(a.body_len, 0);
    {   /* paused after every piece, resumed a little later: all of it, in order */
        raw r;
        tn_http_fetch_req req;
        int k, pauses = 0;
        raw_start(loop, &r, resp);
        r.resp_len = len;
        r.close_after = 1;
        memset(&req, 0, sizeof req);
        req.url = raw_url(&r, "/gz");
        req.streaming_callback = on_chunk;
        req.streaming_user = &a;
        TN_OK_RC(start_fetch(cl, &req, &a, NULL));
        a.pause_every = 1;
        for (k = 0; k < 5000 && !a.done; k++) {
            (void)tn_loop_run_once(loop, 20);
            if (a.paused) {
                int chunks = a.chunks;
                tn_http_fetch *pf = a.paused;
                (void)tn_loop_run_once(loop, 5);
                TN_EQ_INT(a.chunks, chunks);
                a.paused = NULL;
                pauses++;
                if (!a.done) tn_http_fetch_resume(pf);
            }
        }
        TN_CHECK(a.done);
        TN_EQ_INT(a.error, 0);
        TN_CHECK(pauses >= 1);
        TN_EQ_UINT(a.stream_len, g_gz_text_len);
        TN_CHECK(a.stream_hash == want);
        raw_stop(loop, &r);
    }
    free(resp);
    /* streamed, delimited by the close */
    resp = gz_response("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n", gz, gz_len, 0, &len);
    gz_fetch(loop, cl, resp, len, 1, 0, &a);
    TN_EQ_INT(a.error, 0);
    TN_EQ_UINT(a.stream_len, g_gz_text_len);
    TN_CHECK(a.stream_hash == want);
    /* the same, cut short: truncated data is an error, not a short body */
    gz_fetch(loop, cl, resp, len - gz_len / 2, 0, 0, &a);
    TN_EQ_INT(a.code, 599);
    TN_CHECKF(strstr(a.msg, "gzip could not be decoded: the data ends early") != NULL, "%s", a.msg);
    free(resp);
    /* deflate: zlib, and raw DEFLATE from misbehaving servers */
    resp = gz_response("HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n", zl, zl_len,
                       1, &len);   /* one byte per chunk: the zlib header split too */
    gz_fetch(loop, cl, resp, len, 0, 0, &a);
    TN_EQ_INT(a.error, 0);
    TN_EQ_UINT(a.body_len, g_gz_text_len);
    TN_CHECK(a.hash == want);
    free(resp);
    resp = gz_response("HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nConnection: close\r\n\r\n", rw, rw_len, 0, &len);
    gz_fetch(loop, cl, resp, len, 1, 0, &a);
    TN_EQ_INT(a.error, 0);
    TN_EQ_UINT(a.stream_len, g_gz_text_len);
    TN_CHECK(a.stream_hash == want);
    free(resp);
    /* corrupt gzip: 599 with the inflater's reason */
    bad = (char *)malloc(gz_len);
    memcpy(bad, gz, gz_len);
    bad[gz_len - 6] ^= 0x55;   /* the CRC-32 */
    resp = gz_response("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n", bad, gz_len, 0, &len);
    gz_fetch(loop, cl, resp, len, 0, 0, &a);
    TN_EQ_INT(a.code, 599);
    TN_EQ_RC(a.error, TN_EBAD_CHECKSUM);
    TN_CHECKF(strstr(a.msg, "Content-Encoding gzip could not be decoded: ") != NULL, "%s", a.msg);
    free(resp);
    memcpy(bad, gz, gz_len);
    memset(bad + 10, 0xff, 16);   /* the first block */
    resp = gz_response("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n", bad, gz_len, 0, &len);
    gz_fetch(loop, cl, resp, len, 1, 0, &a);
    TN_EQ_INT(a.code, 599);
    TN_EQ_RC(a.error, TN_EBAD_DEFLATE);
    printf("  corrupt gzip: %s\n", a.msg);
    free(resp);
    free(bad);
    /* no body (HEAD-like 204) with Content-Encoding: nothing to decode */
    gz_fetch(loop, cl, "HTTP/1.1 204 No Content\r\nContent-Encoding: gzip\r\n\r\n", 0, 0, 0, &a);
    TN_EQ_INT(a.code, 204);
    TN_EQ_INT(a.error, 0);

    /* a bomb: 8 MiB of zeros in a few KiB, against max_body_size 1 MiB (buffered and streamed):
       stopped at the cap */
    bomb = gz_encode(TN_DEFLATE_GZIP, zeros, sizeof zeros, &bomb_len);
    TN_CHECK(bomb_len < 65536);
    memset(&o, 0, sizeof o);
    o.max_body_size = 1 << 20;
    TN_OK_RC(tn_http_client_new(loop, &o, &small));
    resp = gz_response("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nConnection: close\r\n\r\n", bomb, bomb_len, 0, &len);
    gz_fetch(loop, small, resp, len, 0, 0, &a);
    TN_EQ_INT(a.code, 599);
    TN_EQ_RC(a.error, TN_EBODY_TOO_LARGE);
    TN_CHECKF(strstr(a.msg, "max_body_size") != NULL, "%s", a.msg);
    gz_fetch(loop, small, resp, len, 1, 0, &a);
    TN_EQ_INT(a.code, 599);
    TN_EQ_RC(a.error, TN_EBODY_TOO_LARGE);
    TN_EQ_UINT(a.stream_len, 1 << 20);   /* exactly the cap, in pieces */
    TN_CHECK(a.chunks >= 64);
    free(resp);
    free(bomb);

    free(gz);
    free(zl);
    free(rw);
    close_client(loop, small);
    close_client(loop, cl);
    free_loop(loop);
}
#else
TN_TEST(decompress_response_gzip_deflate) { TN_SKIP("built without the deflate module (TORNADO_NO_DEFLATE)"); }
#endif

/* ---- nginx: redirects, chunked (sub_filter drops the length) and large files,
   keep-alive reuse counted from nginx's access log ---- */
TN_TEST(nginx_interop) {
    tn_loop *loop;
    tn_http_client *cl;
    tn_http_client_opts o;
    tn_http_fetch_req req;
    answer *a = (answer *)calloc(1, sizeof *a);
    char path[256], conf[256], log[256], line[512], base[64], errlog[256];
    int port, i, conns = 0, max_reqs = 0;
    pid_t pid;
    FILE *fp;
    uint64_t big_hash = 0;
    static char big[3000000], text[200000];
    size_t text_len = 0;
    const char *nginx = access("/usr/sbin/nginx", X_OK) == 0 ? "/usr/sbin/nginx" : "nginx";
    if (!have_cmd("nginx")) TN_SKIP("nginx not found (apt-get install nginx-light)");
    loop = new_loop();
    port = free_port();
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    tmpdir();
    snprintf(path, sizeof path, "%s/www", g_tmp);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/www/small.txt", g_tmp);
    fp = fopen(path, "w");
    fputs("hello nginx\n", fp);
    fclose(fp);
    for (i = 0; i < (int)sizeof big; i++) big[i] = (char)((i * 7 + i / 1000) & 0xff);
    big_hash = fnv(0, big, sizeof big);
    snprintf(path, sizeof path, "%s/www/text.txt", g_tmp);   /* gzip on: compressed by nginx */
    fp = fopen(path, "w");
    for (i = 0; text_len + 80 < sizeof text; i++)
        text_len += (size_t)sprintf(text + text_len, "%d: nginx gzip on, line %d of the text file %d\n", i, i * 31 % 1009, i);
    fwrite(text, 1, text_len, fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/www/big.bin", g_tmp);
    fp = fopen(path, "wb");
    fwrite(big, 1, sizeof big, fp);
    fclose(fp);
    snprintf(conf, sizeof conf, "%s/nginx.conf", g_tmp);
    snprintf(log, sizeof log, "%s/access.log", g_tmp);
    snprintf(errlog, sizeof errlog, "%s/nginx.out", g_tmp);
    fp = fopen(conf, "w");
    fprintf(fp,
            "worker_processes 1;\ndaemon off;\npid %s/nginx.pid;\nerror_log %s/error.log;\n"
            "events { worker_connections 1024; }\n"
            "http {\n  log_format c '$connection $connection_requests \"$request\" $status';\n"
            "  access_log %s c;\n  keepalive_requests 1000;\n"
            "  client_body_temp_path %s; proxy_temp_path %s; fastcgi_temp_path %s; uwsgi_temp_path %s; scgi_temp_path %s;\n"
            "  types { text/plain txt; application/octet-stream bin; }\n"
            "  server {\n    listen 127.0.0.1:%d;\n    root %s/www;\n"
            "    location = /r1 { return 301 /r2; }\n    location = /r2 { return 302 /small.txt; }\n"
            "    location = /r3 { return 307 http://127.0.0.1:%d/r1; }\n"
            "    location /sub/ { alias %s/www/; sub_filter 'nginx' 'NGINX'; sub_filter_types *; sub_filter_once off; }\n"
            "    location /gz/ { alias %s/www/; gzip on; gzip_types text/plain; gzip_min_length 1; }\n"
            "  }\n}\n",
            g_tmp, g_tmp, log, g_tmp, g_tmp, g_tmp, g_tmp, g_tmp, port, g_tmp, port, g_tmp, g_tmp);
    fclose(fp);
    {
        char *argv[] = { (char *)nginx, (char *)"-c", conf, (char *)"-e", errlog, NULL };
        pid = spawn(argv, errlog);
    }
    TN_CHECKF(wait_port(port, 5000), "nginx did not start (see %s)", errlog);
    memset(&o, 0, sizeof o);
    o.max_clients = 2;
    TN_OK_RC(tn_http_client_new(loop, &o, &cl));

    get(loop, cl, url(base, "/small.txt"), a);
    TN_EQ_INT(a->code, 200);
    TN_EQ_STR(a->body, "hello nginx\n");
    get(loop, cl, url(base, "/r3"), a);                  /* 307 → 301 → 302 → file */
    TN_EQ_INT(a->code, 200);
    TN_EQ_INT(a->redirects, 3);
    TN_EQ_STR(a->body, "hello nginx\n");
    TN_EQ_STR(a->url, url(base, "/small.txt"));
    get(loop, cl, url(base, "/sub/small.txt"), a);       /* chunked */
    TN_EQ_INT(a->code, 200);
    TN_CHECKF(strstr(a->hdr, "Transfer-Encoding: chunked") != NULL, "%s", a->hdr);
    TN_EQ_STR(a->body, "hello NGINX\n");
#if TN_HAS_DEFLATE
    get(loop, cl, url(base, "/gz/text.txt"), a);         /* gzip on: decoded byte for byte */
    TN_EQ_INT(a->code, 200);
    TN_EQ_INT(a->error, 0);
    TN_CHECKF(strstr(a->hdr, "X-Consumed-Content-Encoding: gzip\n") != NULL, "%s", a->hdr);
    TN_EQ_UINT(a->body_len, text_len);
    TN_EQ_UINT(a->hash, fnv(0, text, text_len));
    memset(&req, 0, sizeof req);                         /* streamed */
    req.url = url(base, "/gz/text.txt");
    req.streaming_callback = on_chunk;
    req.streaming_user = a;
    TN_OK_RC(start_fetch(cl, &req, a, NULL));
    wait_answer(loop, a, 10000);
    TN_EQ_INT(a->error, 0);
    TN_EQ_UINT(a->stream_len, text_len);
    TN_CHECK(memcmp(a->stream, text, text_len) == 0);
    req.streaming_callback = NULL;                       /* decompress_response off: not asked for */
    req.no_decompress = 1;
    TN_OK_RC(start_fetch(cl, &req, a, NULL));
    wait_answer(loop, a, 10000);
    TN_EQ_INT(a->code, 200);
    TN_EQ_UINT(a->body_len, text_len);
    TN_CHECK(strstr(a->hdr, "Content-Encoding") == NULL);
    {   /* ... and asked for by the caller: the gzip bytes as sent */
        tn_http_header ae;
        tn_inflate_opts io;
        size_t n = 0;
        char *plain;
        ae.name = tn_str_c("Accept-Encoding");
        ae.value = tn_str_c("gzip");
        req.headers = &ae;
        req.num_headers = 1;
        req.streaming_callback = on_chunk;
        req.streaming_user = a;
        TN_OK_RC(start_fetch(cl, &req, a, NULL));
        wait_answer(loop, a, 10000);
        TN_EQ_INT(a->code, 200);
        TN_CHECKF(a->stream_len < text_len / 3, "%lu", (unsigned long)a->stream_len);
        memset(&io, 0, sizeof io);
        io.format = TN_DEFLATE_GZIP;
        plain = (char *)malloc(sizeof text);
        TN_OK_RC(tn_inflate_once(&io, a->stream, a->stream_len, plain, sizeof text, &n));
        TN_EQ_UINT(n, text_len);
        TN_CHECK(memcmp(plain, text, text_len) == 0);
        free(plain);
    }
#endif
    get(loop, cl, url(base, "/big.bin"), a);             /* 3 MB, buffered */
    TN_EQ_INT(a->code, 200);
    TN_EQ_UINT(a->body_len, sizeof big);
    TN_EQ_UINT(a->hash, big_hash);
    memset(&req, 0, sizeof req);                         /* the same, streamed */
    req.url = url(base, "/big.bin");
    req.streaming_callback = on_chunk;
    req.streaming_user = a;
    TN_OK_RC(start_fetch(cl, &req, a, NULL));
    wait_answer(loop, a, 10000);
    TN_EQ_INT(a->code, 200);
    TN_EQ_UINT(a->stream_len, sizeof big);
    TN_EQ_UINT(a->stream_hash, big_hash);
    TN_CHECK(a->chunks > 3);
    req.url = url(base, "/sub/big.bin");                 /* chunked and large, streamed */
    TN_OK_RC(start_fetch(cl, &req, a, NULL));
    wait_answer(loop, a, 10000);
    TN_EQ_UINT(a->stream_len, sizeof big);
    req.method = "HEAD";
    req.url = url(base, "/big.bin");
    req.streaming_callback = NULL;
    TN_OK_RC(start_fetch(cl, &req, a, NULL));
    wait_answer(loop, a, 10000);
    TN_EQ_INT(a->code, 200);
    TN_EQ_INT(a->body_len, 0);
    for (i = 0; i < 50; i++) {
        get(loop, cl, url(base, "/small.txt"), a);
        TN_EQ_INT(a->code, 200);
    }
    close_client(loop, cl);
    reap(pid);
    /* nginx's own view: few connections, many requests on each */
    fp = fopen(log, "r");
    {
        int seen[64] = { 0 }, n = 0, total = 0;
        while (fp && fgets(line, sizeof line, fp)) {
            int c = 0, r = 0, k, found = 0;
            if (sscanf(line, "%d %d", &c, &r) != 2) continue;
            total++;
            if (r > max_reqs) max_reqs = r;
            for (k = 0; k < n; k++) found |= seen[k] == c;
            if (!found && n < 64) seen[n++] = c;
        }
        if (fp) fclose(fp);
        conns = n;
        TN_CHECKF(total >= 60, "%d requests logged", total);
        printf("  nginx saw %d requests on %d connections (up to %d on one)\n", total, conns, max_reqs);
    }
    TN_CHECKF(conns <= 3, "%d connections", conns);
    TN_CHECK(max_reqs >= 50);
    rm_tmp();
    free_loop(loop);
    free(a);
}

/* ---- Python Tornado's HTTP server ---- */
TN_TEST(python_tornado_server_interop) {
    tn_loop *loop;
    tn_http_client *cl;
    tn_http_fetch_req req;
    answer *a = (answer *)calloc(1, sizeof *a);
    char script[256], log[256], base[64], portstr[16];
    int port, i;
    pid_t pid;
    FILE *fp;
    tn_http_client_stats st;
    TN_LINUX_PEER("python3 with Tornado");
    if (access("/usr/bin/python3", X_OK) != 0 || system("/usr/bin/python3 -c 'import tornado' >/dev/null 2>&1") != 0)
        TN_SKIP("Python Tornado not found (apt-get install python3-tornado)");
    loop = new_loop();
    port = free_port();
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    snprintf(portstr, sizeof portstr, "%d", port);
    snprintf(script, sizeof script, "%s/tornado_srv.py", tmpdir());
    snprintf(log, sizeof log, "%s/tornado_srv.out", g_tmp);
    fp = fopen(script, "w");
    fputs("import sys, tornado.ioloop, tornado.web, tornado.gen\n"
          "class Hello(tornado.web.RequestHandler):\n"
          "    def get(self): self.write('Hello from Tornado')\n"
          "class Chunks(tornado.web.RequestHandler):\n"
          "    @tornado.gen.coroutine\n"
          "    def get(self):\n"
          "        for i in range(50):\n"
          "            self.write('piece %d;' % i)\n"
          "            yield self.flush()\n"
          "class Post(tornado.web.RequestHandler):\n"
          "    def post(self): self.write('%s:%d' % (self.request.headers.get('Content-Type'), len(self.request.body)))\n"
          "class Redir(tornado.web.RequestHandler):\n"
          "    def get(self): self.redirect('/hello')\n"
          "class Text(tornado.web.RequestHandler):\n"
          "    def get(self):\n"
          "        self.set_header('Content-Type', 'text/plain')\n"
          "        self.write(''.join('line %d of Tornado text\\n' % i for i in range(3000)))\n"
          "app = tornado.web.Application([('/hello', Hello), ('/chunks', Chunks), ('/post', Post), ('/redir', Redir),\n"
          "                               ('/text', Text)], compress_response=True)\n"
          "app.listen(int(sys.argv[1]), '127.0.0.1')\n"
          "tornado.ioloop.IOLoop.current().start()\n", fp);
    fclose(fp);
    {
        char *argv[] = { (char *)"/usr/bin/python3", script, portstr, NULL };
        pid = spawn(argv, log);
    }
    TN_CHECKF(wait_port(port, 10000), "Python Tornado did not start (see %s)", log);
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    get(loop, cl, url(base, "/hello"), a);
    TN_EQ_INT(a->code, 200);
    TN_EQ_STR(a->body, "Hello from Tornado");
    TN_CHECK(strstr(a->hdr, "Server: TornadoServer/") != NULL);
    get(loop, cl, url(base, "/chunks"), a);
    TN_EQ_INT(a->code, 200);
    TN_CHECKF(strstr(a->hdr, "Transfer-Encoding: chunked") != NULL, "%s", a->hdr);
    TN_CHECK(strncmp(a->body, "piece 0;piece 1;", 16) == 0);
    TN_CHECK(strstr(a->body, "piece 49;") != NULL);
#if TN_HAS_DEFLATE
    TN_CHECKF(strstr(a->hdr, "X-Consumed-Content-Encoding: gzip") != NULL, "%s", a->hdr);   /* compress_response */
    get(loop, cl, url(base, "/text"), a);
    TN_EQ_INT(a->code, 200);
    TN_CHECKF(strstr(a->hdr, "X-Consumed-Content-Encoding: gzip") != NULL, "%s", a->hdr);
    {
        static char want[80000];
        size_t wl = 0;
        for (i = 0; i < 3000; i++) wl += (size_t)sprintf(want + wl, "line %d of Tornado text\n", i);
        TN_EQ_UINT(a->body_len, wl);
        TN_EQ_UINT(a->hash, fnv(0, want, wl));
    }
#endif
    get(loop, cl, url(base, "/redir"), a);
    TN_EQ_INT(a->code, 200);
    TN_EQ_INT(a->redirects, 1);
    memset(&req, 0, sizeof req);
    req.url = url(base, "/post");
    req.method = "POST";
    req.body = tn_str_c("k=v&x=y");
    TN_OK_RC(start_fetch(cl, &req, a, NULL));
    wait_answer(loop, a, 5000);
    TN_EQ_STR(a->body, "application/x-www-form-urlencoded:7");
    {
        producer p;
        memset(&p, 0, sizeof p);
        p.left = 20;
        p.piece = 1000;
        req.body = tn_str_make(NULL, 0);
        req.body_producer = produce;
        req.producer_user = &p;
        TN_OK_RC(start_fetch(cl, &req, a, NULL));   /* chunked upload into Tornado */
        wait_answer(loop, a, 5000);
        TN_EQ_STR(a->body, "application/x-www-form-urlencoded:20000");
    }
    for (i = 0; i < 20; i++) get(loop, cl, url(base, "/hello"), a);
    TN_EQ_STR(a->body, "Hello from Tornado");   /* under 1024 bytes: not compressed */
    tn_http_client_get_stats(cl, &st);
    TN_EQ_UINT(st.connections_opened, 1);   /* Tornado keeps the connection alive */
    close_client(loop, cl);
    reap(pid);
    rm_tmp();
    free_loop(loop);
    free(a);
}

/* ---- the project's httpbin example ---- */
TN_TEST(httpbin_example_interop) {
    tn_loop *loop;
    tn_http_client *cl;
    tn_http_fetch_req req;
    answer *a = (answer *)calloc(1, sizeof *a);
    char log[256], base[64], portstr[16];
    int port;
    pid_t pid;
#if defined(_WIN32)   /* the example's Windows build (tests/run.py builds the examples first) */
    char bin[256] = "build/win/examples/httpbin.exe";
    if (access(bin, 0) != 0) {
        if (getenv("CI")) TN_CHECKF(0, "%s not built (CI=1: no skipping)", bin);
        TN_SKIP("%s not built (make %s)", bin, bin);
    }
#else
    char bin[256] = "build/examples/httpbin";
    if (access(bin, X_OK) != 0) {   /* not built yet (the runner builds examples in parallel): our own copy */
        char cmd[512];
        snprintf(bin, sizeof bin, "%s/httpbin", tmpdir());
        snprintf(cmd, sizeof cmd, "cc -std=c99 -O1 -o %s examples/httpbin.c -lpthread", bin);
        TN_CHECKF(system(cmd) == 0, "could not build %s", bin);
    }
#endif
    loop = new_loop();
    port = free_port();
    snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
    snprintf(portstr, sizeof portstr, "%d", port);
    snprintf(log, sizeof log, "%s/httpbin.out", tmpdir());
    {
        char *argv[] = { bin, (char *)"--port", portstr, NULL };
        pid = spawn(argv, log);
    }
    TN_CHECKF(wait_port(port, 5000), "httpbin did not start (see %s)", log);
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    get(loop, cl, url(base, "/get?a=1"), a);
    TN_EQ_INT(a->code, 200);
    TN_CHECK(strstr(a->body, "\"a\"") != NULL);
    get(loop, cl, url(base, "/redirect/4"), a);
    TN_EQ_INT(a->code, 200);
    TN_EQ_INT(a->redirects, 4);
    get(loop, cl, url(base, "/status/418"), a);
    TN_EQ_INT(a->code, 418);
    get(loop, cl, url(base, "/bytes/100000"), a);
    TN_EQ_INT(a->code, 200);
    TN_EQ_UINT(a->body_len, 100000);
    memset(&req, 0, sizeof req);
    req.url = url(base, "/stream/20");
    req.streaming_callback = on_chunk;
    req.streaming_user = a;
    TN_OK_RC(start_fetch(cl, &req, a, NULL));
    wait_answer(loop, a, 5000);
    TN_EQ_INT(a->code, 200);
    TN_CHECK(a->stream_len > 20);
    memset(&req, 0, sizeof req);
    req.url = url(base, "/delay/3000");
    req.request_timeout_ms = 300;
    TN_OK_RC(start_fetch(cl, &req, a, NULL));
    wait_answer(loop, a, 5000);
    TN_EQ_INT(a->code, 599);
    TN_EQ_STR(a->msg, "Timeout during request");
    get(loop, cl, url(base, "/get"), a);   /* the timed-out connection was closed; a fresh one works */
    TN_EQ_INT(a->code, 200);
    close_client(loop, cl);
    reap(pid);
    rm_tmp();
    free_loop(loop);
    free(a);
}

TN_TESTS(
    TN_CASE(get_head_and_response_fields),
    TN_CASE(request_validation),
    TN_CASE(bodies_auth_and_headers),
    TN_CASE(body_producer_and_expect_continue),
    TN_CASE(streaming_and_header_callbacks),
    TN_CASE(streaming_pause_resume),
    TN_CASE(redirects),
    TN_CASE(no_response_errors_are_599),
    TN_CASE(timeouts_name_their_phase),
    TN_CASE(malformed_and_hostile_responses),
    TN_CASE(limits_body_and_head),
    TN_CASE(pool_safety_and_retry),
    TN_CASE(thousand_requests_through_ten_slots),
    TN_CASE(cancel_queued_and_in_flight_frees_everything),
    TN_CASE(fetch_sync),
    TN_CASE(proxy_absolute_form_in_loop),
    TN_CASE(tinyproxy_absolute_form_and_connect),
    TN_CASE(decompress_response_gzip_deflate),
    TN_CASE(nginx_interop),
    TN_CASE(python_tornado_server_interop),
    TN_CASE(httpbin_example_interop)
)
