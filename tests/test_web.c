/* test_web.c: the web layer (tn_app + tn_web_*) over real sockets on 127.0.0.1: routing
   (captures, 404, 405 + Allow, HEAD), arguments (query, urlencoded, multipart, files,
   repeated keys, missing → 400), cookies and signed cookies, redirects, error pages, ETag
   and If-None-Match, XSRF, header injection, JSON, flush, async handlers, no allocation in
   the steady state; interop with Python Tornado (signed values both ways) and curl (form
   POST, -F upload).

   The app runs its loop on a thread of its own; the tests are blocking clients. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include "tn_test_client.h"
#include <pthread.h>
#include <sys/socket.h>

#define SECRET "a secret only the tests know"

/* ---- a counting allocator (server thread only) ---- */
static volatile long g_allocs, g_live;
static void *c_alloc(size_t n, void *u) { (void)u; g_allocs++; g_live++; return malloc(n); }
static void *c_realloc(void *p, size_t n, void *u) {
    (void)u;
    g_allocs++;
    if (!p) g_live++;
    return realloc(p, n);
}
static void c_free(void *p, void *u) {
    (void)u;
    if (p) g_live--;
    free(p);
}

/* ---- the app under test ---- */
typedef struct app_t {
    tn_loop *loop;
    tn_app *app;
    pthread_t th;
    int port;
    volatile int closed_cbs;
    tn_request *held;
} app_t;

static app_t *g;

static void w(tn_request *req, const char *s) { TN_OK_RC(tn_web_write_str(req, s)); }
static void ws(tn_request *req, tn_str s) { TN_OK_RC(tn_web_write(req, s.ptr, s.len)); }

static void h_hello(tn_request *req, const tn_route_match *m, void *user) {
    (void)m; (void)user;
    w(req, "Hello, world");
}

static void h_user(tn_request *req, const tn_route_match *m, void *user) {
    tn_str id, nope;
    (void)user;
    TN_OK_RC(tn_web_path_arg(req, "id", &id));
    TN_EQ_RC(tn_web_path_arg(req, "nope", &nope), TN_ENOENT);
    TN_EQ_INT(m->num_captures, 1);
    w(req, "user=");
    ws(req, id);
}

static void h_args(tn_request *req, const tn_route_match *m, void *user) {
    tn_str v, all[8];
    size_t n, i;
    (void)m; (void)user;
    w(req, "a=");
    if (tn_web_get_argument(req, "a", &v) == TN_OK) ws(req, v);
    else w(req, "(none)");
    n = tn_web_get_arguments(req, "a", all, 8);
    tn_web_writef(req, "|n=%d|all=", (int)n);
    for (i = 0; i < n && i < 8; i++) {
        if (i) w(req, ",");
        ws(req, all[i]);
    }
    w(req, "|b=");
    ws(req, tn_web_get_argument_or(req, "b", "dflt"));
    w(req, "|q=");
    if (tn_web_get_query_argument(req, "a", &v) == TN_OK) ws(req, v);
    w(req, "|body=");
    if (tn_web_get_body_argument(req, "a", &v) == TN_OK) ws(req, v);
    w(req, "|");
}

static void h_require(tn_request *req, const tn_route_match *m, void *user) {
    tn_str v;
    (void)m; (void)user;
    if (tn_web_require_argument(req, "x", &v) != TN_OK) return;
    w(req, "x=");
    ws(req, v);
}

static void h_upload(tn_request *req, const tn_route_match *m, void *user) {
    size_t n, i;
    const tn_web_file *f = tn_web_get_files(req, &n);
    tn_str v;
    (void)m; (void)user;
    for (i = 0; i < n; i++)
        tn_web_writef(req, "%.*s:%.*s:%.*s:%d:%.*s\n", (int)f[i].name.len, f[i].name.ptr, (int)f[i].filename.len,
                      f[i].filename.ptr, (int)f[i].content_type.len, f[i].content_type.ptr, (int)f[i].body.len,
                      (int)f[i].body.len, f[i].body.ptr);
    TN_CHECK(n == 0 || tn_web_get_file(req, "nope") == NULL);
    if (n) TN_CHECK(tn_web_get_file(req, "f1") == &f[0]);
    n = tn_web_get_arguments(req, "field", NULL, 0);
    tn_web_writef(req, "fields=%d", (int)n);
    if (tn_web_get_body_argument(req, "field", &v) == TN_OK) {
        w(req, " last=");
        ws(req, v);
    }
}

static void h_cookie(tn_request *req, const tn_route_match *m, void *user) {
    tn_str v;
    (void)m; (void)user;
    if (tn_web_get_cookie(req, "c", &v) == TN_OK) {
        w(req, "c=");
        ws(req, v);
    } else {
        w(req, "no c");
    }
    TN_OK_RC(tn_web_set_cookie(req, "out", tn_str_c("v1"), NULL));
    TN_OK_RC(tn_web_set_cookie(req, "out", tn_str_c("v2"), NULL));   /* replaces v1 */
    {
        tn_set_cookie_opts o;
        memset(&o, 0, sizeof o);
        o.http_only = 1;
        o.path = tn_str_c("/p");
        TN_OK_RC(tn_web_set_cookie(req, "other", tn_str_c("x"), &o));
    }
    TN_EQ_RC(tn_web_set_cookie(req, "bad", tn_str_c("a;b\r\nX: y"), NULL), TN_EINVAL);
    TN_OK_RC(tn_web_clear_cookie(req, "gone", NULL));
    if (tn_web_get_cookie(req, "clearall", &v) == TN_OK) TN_OK_RC(tn_web_clear_all_cookies(req, NULL));
}

static void h_setsecure(tn_request *req, const tn_route_match *m, void *user) {
    tn_str v = tn_web_get_argument_or(req, "v", "hello secure");
    (void)m; (void)user;
    TN_OK_RC(tn_web_set_secure_cookie(req, "s", v, NULL));
    w(req, "set");
}

static void h_getsecure(tn_request *req, const tn_route_match *m, void *user) {
    tn_str v;
    int rc = tn_web_get_secure_cookie(req, "s", 0, &v);
    (void)m; (void)user;
    if (rc == TN_OK) {
        w(req, "s=");
        ws(req, v);
    } else {
        w(req, tn_err_name(rc));
    }
}

static void h_redirect(tn_request *req, const tn_route_match *m, void *user) {
    tn_str code;
    char num[8];
    (void)m; (void)user;
    TN_OK_RC(tn_web_path_arg(req, "code", &code));
    snprintf(num, sizeof num, "%.*s", (int)code.len, code.ptr);
    TN_EQ_RC(tn_web_redirect(req, "/x\r\nSet-Cookie: evil=1", 302), TN_EINVAL);
    TN_EQ_RC(tn_web_redirect(req, "/x", 200), TN_EINVAL);
    TN_OK_RC(tn_web_redirect(req, "/target?x=1", atoi(num)));
}

static void h_error(tn_request *req, const tn_route_match *m, void *user) {
    (void)m; (void)user;
    w(req, "discarded output");
    TN_OK_RC(tn_web_set_header(req, "X-Gone", "1"));
    TN_OK_RC(tn_web_set_cookie(req, "kept", tn_str_c("1"), NULL));
    TN_OK_RC(tn_web_send_error(req, 503, "<b>Busy</b> & 'x'"));
    TN_EQ_RC(tn_web_write_str(req, "late"), TN_EINVAL);   /* finished */
}

static void h_headers(tn_request *req, const tn_route_match *m, void *user) {
    (void)m; (void)user;
    TN_EQ_RC(tn_web_set_header(req, "X-Bad", "a\r\nInjected: yes"), TN_EINVAL);
    TN_EQ_RC(tn_web_set_header(req, "X-Bad", "a\nb"), TN_EINVAL);
    TN_EQ_RC(tn_web_set_header(req, "X-Bad", "nul\x01"), TN_EINVAL);
    TN_EQ_RC(tn_web_set_header(req, "Bad Name", "v"), TN_EINVAL);
    TN_EQ_RC(tn_web_set_header(req, "Bad:Name", "v"), TN_EINVAL);
    TN_EQ_RC(tn_web_set_header(req, "Content-Length", "5"), TN_EINVAL);
    TN_OK_RC(tn_web_add_header(req, "X-Multi", "1"));
    TN_OK_RC(tn_web_add_header(req, "X-Multi", "2"));
    TN_OK_RC(tn_web_set_header(req, "X-Set", "old"));
    TN_OK_RC(tn_web_set_header(req, "x-set", "new"));
    TN_EQ_STR(tn_web_get_header(req, "X-SET"), "new");
    TN_OK_RC(tn_web_set_header(req, "X-Gone", "x"));
    TN_OK_RC(tn_web_clear_header(req, "x-gone"));
    TN_EQ_RC(tn_web_clear_header(req, "x-gone"), TN_ENOENT);
    TN_OK_RC(tn_web_set_header(req, "Content-Type", "text/plain"));
    TN_OK_RC(tn_web_set_status(req, 201));
    TN_EQ_INT(tn_web_get_status(req), 201);
    TN_EQ_RC(tn_web_set_status(req, 42), TN_EINVAL);
    w(req, "headers");
}

static void h_json(tn_request *req, const tn_route_match *m, void *user) {
    static const char weird[] = "q\"b\\s</script>\n\x01";
    (void)m; (void)user;
    TN_OK_RC(tn_web_write_json(req, "{\"s\": ", 6));
    TN_OK_RC(tn_web_write_json_str(req, tn_str_make(weird, sizeof weird - 1)));
    TN_OK_RC(tn_web_write_str(req, "}"));
}

/* A JSON string alone is JSON too (tn_web_write_json_str sets the type as tn_web_write_json does). */
static void h_json_str(tn_request *req, const tn_route_match *m, void *user) {
    (void)m; (void)user;
    TN_OK_RC(tn_web_write_json_str(req, tn_str_c("just a string")));
}

static void h_flush(tn_request *req, const tn_route_match *m, void *user) {
    (void)m; (void)user;
    TN_OK_RC(tn_web_set_header(req, "Content-Type", "text/plain"));
    w(req, "first,");
    TN_OK_RC(tn_web_flush(req, NULL, NULL));
    TN_EQ_RC(tn_web_set_header(req, "X-Late", "1"), TN_EINVAL);   /* head already sent */
    w(req, "second");
}

static void finish_later(tn_loop *loop, void *user) {
    app_t *a = (app_t *)user;
    (void)loop;
    if (!a->held) return;
    w(a->held, "later");
    TN_OK_RC(tn_web_finish(a->held));
    a->held = NULL;
}

static volatile int g_gone;
static void on_gone(tn_request *req, void *user) {
    (void)req;
    g_gone++;
    ((app_t *)user)->closed_cbs++;
    ((app_t *)user)->held = NULL;
}

static void h_async(tn_request *req, const tn_route_match *m, void *user) {
    app_t *a = (app_t *)user;
    (void)m;
    tn_web_async(req);
    tn_web_on_close(req, on_gone, a);
    tn_web_set_data(req, a);
    TN_CHECK(tn_web_get_data(req) == a);
    TN_CHECK(tn_web_app(req) == a->app);
    a->held = req;
    tn_loop_call_later(a->loop, 20, finish_later, a, NULL);
}

static void h_never(tn_request *req, const tn_route_match *m, void *user) {
    app_t *a = (app_t *)user;
    (void)m;
    tn_web_async(req);
    tn_web_on_close(req, on_gone, a);
    a->held = req;
}

static void h_raw(tn_request *req, const tn_route_match *m, void *user) {
    (void)m; (void)user;
    TN_OK_RC(tn_respond(req, 200, "text/plain", "raw", 3));
}

static void h_etag_custom(tn_request *req, const tn_route_match *m, void *user) {
    (void)m; (void)user;
    TN_OK_RC(tn_web_set_header(req, "Etag", "\"mine\""));
    w(req, "custom");
}

static void h_url(tn_request *req, const tn_route_match *m, void *user) {
    (void)m; (void)user;
    ws(req, tn_web_full_url(req));
    tn_web_writef(req, " %s %s", tn_request_remote_ip(req), tn_request_protocol(req));
}

static void h_form(tn_request *req, const tn_route_match *m, void *user) {
    (void)m; (void)user;
    if (tn_str_eq_c(tn_request_method(req), "GET")) ws(req, tn_web_xsrf_form_html(req));
    else w(req, "posted");
}

static void h_big(tn_request *req, const tn_route_match *m, void *user) {   /* 2900 bytes of text */
    int i;
    (void)m; (void)user;
    TN_OK_RC(tn_web_set_header(req, "Content-Type", "text/plain"));
    for (i = 0; i < 100; i++) tn_web_writef(req, "line %04d of a big page.....\n", i);
}

static void h_post(tn_request *req, const tn_route_match *m, void *user) {
    (void)m; (void)user;
    w(req, "post ok");
}

static void h_not_found(tn_request *req, const tn_route_match *m, void *user) {
    (void)user;
    TN_EQ_INT(m->route, -1);
    TN_OK_RC(tn_web_set_status(req, 404));
    w(req, "custom 404 for ");
    ws(req, tn_request_path(req));
}

static void error_page(tn_request *req, int status, const char *reason, void *user) {
    (void)user;
    TN_OK_RC(tn_web_set_header(req, "Content-Type", "text/plain"));
    tn_web_writef(req, "oops %d %s", status, reason);
}

static void h_detach(tn_request *req, const tn_route_match *m, void *user) {
    tn_stream *s;
    (void)m; (void)user;
    w(req, "never sent");
    TN_OK_RC(tn_web_detach(req, &s));
    TN_EQ_RC(tn_web_write_str(req, "x"), TN_EINVAL);   /* the app let go of it */
    TN_OK_RC(tn_stream_write(s, "RAW BYTES", 9, NULL, NULL));
    TN_OK_RC(tn_stream_close(s, NULL, NULL));
}

typedef struct sink { unsigned long bytes, chunks; } sink;
static sink g_sink;
static void on_data(tn_request *req, tn_str chunk, void *user) {
    (void)req; (void)user;
    TN_CHECK(chunk.len > 0);
    g_sink.bytes += chunk.len;
    g_sink.chunks++;
}
static void h_streamed(tn_request *req, const tn_route_match *m, void *user) {
    tn_str id;
    (void)user;
    TN_EQ_INT(tn_request_body(req).len, 0);
    TN_OK_RC(tn_web_path_arg(req, "id", &id));
    tn_web_writef(req, "%.*s got %lu bytes", (int)id.len, id.ptr, g_sink.bytes);
    TN_CHECK(m->num_captures == 1);
    g_sink.bytes = g_sink.chunks = 0;
}

static void *app_thread(void *u) {
    app_t *a = (app_t *)u;
    tn_loop_run(a->loop);
    return NULL;
}

enum { F_XSRF = 1, F_CUSTOM = 2, F_COUNT = 4, F_GZIP = 8 };   /* F_GZIP: compress_response + decompress_request */

static app_t *start_app(int flags) {
    app_t *a = (app_t *)calloc(1, sizeof *a);
    tn_app_opts o;
    tn_loop_opts lo;
    memset(&o, 0, sizeof o);
    memset(&lo, 0, sizeof lo);
    if (flags & F_COUNT) {
        lo.allocator.alloc = c_alloc;
        lo.allocator.realloc = c_realloc;
        lo.allocator.free = c_free;
    }
    o.cookie_secret = SECRET;
    o.xsrf_cookies = (flags & F_XSRF) != 0;
    o.xsrf_check = tn_web_check_xsrf;
    o.server.compress_response = (flags & F_GZIP) != 0;
    o.server.decompress_request = (flags & F_GZIP) != 0;
    o.server.gzip = tn_http_gzip();
    TN_OK_RC(tn_loop_new(&lo, &a->loop));
    TN_OK_RC(tn_app_new(a->loop, &o, &a->app));
    TN_OK_RC(tn_app_route(a->app, "GET", "/hello", h_hello, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/users/{id}", h_user, a));
    TN_OK_RC(tn_app_route(a->app, "GET,POST,PUT", "/args", h_args, a));
    TN_OK_RC(tn_app_route(a->app, "POST", "/require", h_require, a));
    TN_OK_RC(tn_app_route(a->app, "POST", "/upload", h_upload, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/cookie", h_cookie, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/setsecure", h_setsecure, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/getsecure", h_getsecure, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/redirect/{code}", h_redirect, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/error", h_error, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/headers", h_headers, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/json", h_json, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/json_str", h_json_str, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/flush", h_flush, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/async", h_async, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/never", h_never, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/raw", h_raw, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/etag-custom", h_etag_custom, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/url", h_url, a));
    TN_OK_RC(tn_app_route(a->app, "GET,POST", "/form", h_form, a));
    TN_OK_RC(tn_app_route(a->app, "*", "/post", h_post, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/big", h_big, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/detach", h_detach, a));
    TN_OK_RC(tn_app_route_stream(a->app, "POST,PUT", "/stream/{id}", on_data, h_streamed, a));
    TN_EQ_RC(tn_app_route_stream(a->app, "POST", "/s2", NULL, h_streamed, a), TN_EINVAL);
    TN_EQ_RC(tn_app_route(a->app, "GET", "/bad/{x", h_hello, a), TN_EINVAL);
    TN_CHECK(strstr(tn_router_last_error(tn_app_router(a->app)), "not closed") != NULL);
    if (flags & F_CUSTOM) {
        tn_app_set_not_found(a->app, h_not_found, a);
        tn_app_set_error_page(a->app, error_page, a);
    }
    TN_CHECK(tn_app_server(a->app) == NULL);
    TN_OK_RC(tn_app_listen(a->app, "127.0.0.1", 0));
    a->port = tn_http_server_port(tn_app_server(a->app));
    g = a;
    TN_CHECK(pthread_create(&a->th, NULL, app_thread, a) == 0);
    return a;
}

static void on_app_closed(tn_loop *loop, void *user) {
    (void)user;
    tn_loop_stop(loop);
}
static void close_app(tn_loop *loop, void *user) {
    app_t *a = (app_t *)user;
    (void)loop;
    TN_OK_RC(tn_app_close(a->app, 300, on_app_closed, a));
    TN_EQ_RC(tn_app_close(a->app, 300, on_app_closed, a), TN_ECLOSED);
}
static void stop_app(app_t *a) {
    TN_OK_RC(tn_loop_post(a->loop, close_app, a));
    TN_CHECK(pthread_join(a->th, NULL) == 0);
    TN_OK_RC(tn_loop_free(a->loop));
    free(a);
}

/* ---- client helpers (the blocking client is in tn_test_client.h) ---- */
static char g_raw[65536];

/* Send a request on fd and read one response into r. */
static void roundtrip_fd(int fd, const char *req, cli_resp *r, int head) {
    int closed;
    size_t len;
    cli_sends(fd, req);
    len = cli_recv_resp(fd, g_raw, sizeof g_raw, 5000, &closed, 1, head);
    TN_CHECKF(cli_parse_resp(g_raw, len, head, closed, r) > 0, "%s %.60s",
              closed ? "connection closed before a response to" : "no response to", req);
}

static void roundtrip(int port, const char *req, cli_resp *r) {
    int fd = cli_connect(port, 0);
    roundtrip_fd(fd, req, r, strncmp(req, "HEAD ", 5) == 0);
    close(fd);
}

#define GET(path) "GET " path " HTTP/1.1\r\nHost: t\r\n\r\n"

/* ---- tests ---- */
TN_TEST(routing_captures_404_405_head) {
    app_t *a = start_app(0);
    static cli_resp r;
    char req[512];
    roundtrip(a->port, GET("/hello"), &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "Hello, world");
    TN_EQ_STR(cli_hdr(&r, "Content-Type"), "text/html; charset=UTF-8");
    TN_EQ_STR(cli_hdr(&r, "Etag"), "\"e02aa1b106d5c7c6a98def2b13005d5b84fd8dc8\"");   /* sha1("Hello, world") */
    TN_CHECK(cli_find_hdr(r.h, r.nh, "ETag", 0) && tn_str_eq_c(cli_find_hdr(r.h, r.nh, "ETag", 0)->name, "ETag"));
    /* (spelled "ETag", as static files spell it) */
    /* captures are percent-decoded, '+' stays */
    roundtrip(a->port, GET("/users/J%C3%BCrgen%20a+b%2Fc"), &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "user=J\xc3\xbcrgen a+b/c");
    /* 404: Tornado's page */
    roundtrip(a->port, GET("/missing"), &r);
    TN_EQ_INT(r.status, 404);
    TN_EQ_STR(r.body, "<html><title>404: Not Found</title><body>404: Not Found</body></html>");
    TN_EQ_STR(cli_hdr(&r, "Content-Type"), "text/html; charset=UTF-8");
    {   /* the layer's own error pages write their table reasons unescaped: none holds a
           character that needs it (tn_web_send_error's reasons are escaped) */
        static const int own[] = { 400, 403, 404, 405 };
        size_t i;
        for (i = 0; i < sizeof own / sizeof own[0]; i++)
            TN_CHECKF(strpbrk(tn_http_reason(own[i]), "&<>\"'") == NULL, "reason of %d", own[i]);
    }
    /* 405 with Allow */
    roundtrip(a->port, "DELETE /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    TN_EQ_INT(r.status, 405);
    TN_EQ_STR(cli_hdr(&r, "Allow"), "GET, HEAD");
    TN_CHECK(strstr(r.body, "405: Method Not Allowed") != NULL);
    roundtrip(a->port, "POST /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", &r);
    TN_EQ_INT(r.status, 405);
    /* HEAD is answered by the GET handler, without a body but with its length and ETag */
    roundtrip(a->port, "HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(cli_hdr(&r, "Content-Length"), "12");
    TN_EQ_STR(cli_hdr(&r, "Etag"), "\"e02aa1b106d5c7c6a98def2b13005d5b84fd8dc8\"");
    TN_EQ_INT(r.blen, 0);
    /* a raw tn_respond inside an app handler works, also on a keep-alive connection */
    {
        int fd = cli_connect(a->port, 0), i;
        for (i = 0; i < 3; i++) {
            roundtrip_fd(fd, GET("/raw"), &r, 0);
            TN_EQ_INT(r.status, 200);
            TN_EQ_STR(r.body, "raw");
            roundtrip_fd(fd, GET("/hello"), &r, 0);
            TN_EQ_STR(r.body, "Hello, world");
        }
        close(fd);
    }
    /* full URL, remote ip, protocol */
    snprintf(req, sizeof req, "GET /url?x=1 HTTP/1.1\r\nHost: example.com:8080\r\n\r\n");
    roundtrip(a->port, req, &r);
    TN_EQ_STR(r.body, "http://example.com:8080/url?x=1 127.0.0.1 http");
    stop_app(a);
}

TN_TEST(custom_not_found_and_error_page) {
    app_t *a = start_app(F_CUSTOM);
    static cli_resp r;
    roundtrip(a->port, GET("/nowhere/%41"), &r);
    TN_EQ_INT(r.status, 404);
    TN_EQ_STR(r.body, "custom 404 for /nowhere/%41");
    roundtrip(a->port, GET("/error"), &r);
    TN_EQ_INT(r.status, 503);
    TN_EQ_STR(r.body, "oops 503 <b>Busy</b> & 'x'");
    TN_EQ_STR(cli_hdr(&r, "Content-Type"), "text/plain");
    roundtrip(a->port, "PUT /hello HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", &r);
    TN_EQ_INT(r.status, 405);
    TN_EQ_STR(r.body, "oops 405 Method Not Allowed");
    TN_EQ_STR(cli_hdr(&r, "Allow"), "GET, HEAD");
    stop_app(a);
}

TN_TEST(send_error_page_escapes_and_discards) {
    app_t *a = start_app(0);
    static cli_resp r;
    roundtrip(a->port, GET("/error"), &r);
    TN_EQ_INT(r.status, 503);
    TN_EQ_STR(r.body, "<html><title>503: &lt;b&gt;Busy&lt;/b&gt; &amp; &#39;x&#39;</title>"
                      "<body>503: &lt;b&gt;Busy&lt;/b&gt; &amp; &#39;x&#39;</body></html>");
    TN_CHECK(cli_hdr(&r, "X-Gone") == NULL);                  /* headers were reset */
    TN_EQ_STR(cli_hdr(&r, "Set-Cookie"), "kept=1; Path=/");   /* cookies survive, as in Tornado */
    TN_CHECK(cli_hdr(&r, "Etag") == NULL);
    stop_app(a);
}

TN_TEST(arguments_query_form_multipart_missing) {
    app_t *a = start_app(0);
    static cli_resp r;
    static char req[4096];
    const char *mp;
    /* query: repeated keys, last wins; '+' and %XX decoded; whitespace stripped */
    roundtrip(a->port, GET("/args?a=1&a=%20two+2%20&b=+x%01y+&c"), &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "a=two 2|n=2|all=1,two 2|b=x y|q=two 2|body=|");
    roundtrip(a->port, GET("/args"), &r);
    TN_EQ_STR(r.body, "a=(none)|n=0|all=|b=dflt|q=|body=|");
    /* urlencoded body, any method; query and body kept apart by the source variants */
    snprintf(req, sizeof req, "PUT /args?a=q HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                              "Content-Length: 15\r\n\r\na=b1&b=%%26&a=b2");
    roundtrip(a->port, req, &r);
    TN_EQ_STR(r.body, "a=b2|n=3|all=q,b1,b2|b=&|q=q|body=b2|");
    /* body ignored with another content type */
    snprintf(req, sizeof req, "POST /args HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\na=1");
    roundtrip(a->port, req, &r);
    TN_EQ_STR(r.body, "a=(none)|n=0|all=|b=dflt|q=|body=|");
    /* multipart: fields (repeated) and files */
    mp = "--XyZ\r\n"
         "Content-Disposition: form-data; name=\"field\"\r\n\r\n"
         "one\r\n"
         "--XyZ\r\n"
         "Content-Disposition: form-data; name=\"f1\"; filename=\"a.txt\"\r\n"
         "Content-Type: text/plain\r\n\r\n"
         "file\r\nbody\r\n"
         "--XyZ\r\n"
         "Content-Disposition: form-data; name=\"field\"\r\n\r\n"
         " two \r\n"
         "--XyZ\r\n"
         "Content-Disposition: form-data; name=\"f2\"; filename=\"b.bin\"\r\n\r\n"
         "\r\n"
         "--XyZ\r\n"
         "Content-Disposition: attachment; name=\"skipped\"\r\n\r\n"
         "x\r\n"
         "--XyZ--\r\n";
    snprintf(req, sizeof req, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
                              "Content-Length: %d\r\n\r\n%s", (int)strlen(mp), mp);
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "f1:a.txt:text/plain:10:file\r\nbody\nf2:b.bin:application/unknown:0:\nfields=2 last=two");
    /* malformed multipart: ignored (what parsed before the error stays), never a crash */
    snprintf(req, sizeof req, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary=XyZ\r\n"
                              "Content-Length: 19\r\n\r\n--XyZ\r\nno colon\r\n\r\n");
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "fields=0");
    snprintf(req, sizeof req, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data\r\n"
                              "Content-Length: 3\r\n\r\nabc");
    roundtrip(a->port, req, &r);
    TN_EQ_STR(r.body, "fields=0");
    /* a required argument: present, then missing → 400 */
    snprintf(req, sizeof req, "POST /require?x=%%20yes%%20 HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "x=yes");
    snprintf(req, sizeof req, "POST /require?y=1 HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.status, 400);
    TN_EQ_STR(r.body, "<html><title>400: Bad Request</title><body>400: Bad Request</body></html>");
    stop_app(a);
}

/* The value of Set-Cookie `name` (up to ';') from r. */
static const char *set_cookie_value(const cli_resp *r, const char *name) {
    static char out[1024];
    int i;
    const char *v;
    size_t nl = strlen(name);
    for (i = 0; (v = cli_hdr_n(r, "Set-Cookie", i)) != NULL; i++) {
        if (strncmp(v, name, nl) == 0 && v[nl] == '=') {
            const char *e = strchr(v, ';');
            size_t n = e ? (size_t)(e - v - nl - 1) : strlen(v + nl + 1);
            snprintf(out, sizeof out, "%.*s", (int)n, v + nl + 1);
            return out;
        }
    }
    return NULL;
}

TN_TEST(cookies_and_signed_cookies) {
    app_t *a = start_app(0);
    static cli_resp r;
    static char req[4096], sv[1024];
    int i, n_out = 0;
    const char *v;
    roundtrip(a->port, "GET /cookie HTTP/1.1\r\nHost: t\r\nCookie: a=1; c=\"q\\\"v\"; z=2\r\n\r\n", &r);
    TN_EQ_STR(r.body, "c=q\"v");
    for (i = 0; (v = cli_hdr_n(&r, "Set-Cookie", i)) != NULL; i++) {
        if (strncmp(v, "out=", 4) == 0) {
            n_out++;
            TN_EQ_STR(v, "out=v2; Path=/");
        }
    }
    TN_EQ_INT(n_out, 1);
    TN_CHECK(set_cookie_value(&r, "other") != NULL);
    TN_CHECK(strstr(cli_hdr_n(&r, "Set-Cookie", 1), "HttpOnly") != NULL);
    TN_EQ_STR(set_cookie_value(&r, "gone"), "");
    TN_CHECK(set_cookie_value(&r, "bad") == NULL);
    roundtrip(a->port, GET("/cookie"), &r);
    TN_EQ_STR(r.body, "no c");
    /* clear_all_cookies expires what the request carried (a bad name is skipped) */
    roundtrip(a->port, "GET /cookie HTTP/1.1\r\nHost: t\r\nCookie: clearall=1; x=2; out=3; b@d=4\r\n\r\n", &r);
    TN_EQ_STR(set_cookie_value(&r, "clearall"), "");
    TN_EQ_STR(set_cookie_value(&r, "x"), "");
    TN_EQ_STR(set_cookie_value(&r, "out"), "");   /* replaced the one set earlier */
    {
        int i2;
        const char *sc;
        for (i2 = 0; (sc = cli_hdr_n(&r, "Set-Cookie", i2)) != NULL; i2++)
            if (strncmp(sc, "x=", 2) == 0) TN_CHECK(strstr(sc, "Expires=") != NULL);
    }
    /* signed cookie: set, then sent back */
    roundtrip(a->port, GET("/setsecure?v=hello%7Cworld%00%FF"), &r);
    TN_EQ_INT(r.status, 200);
    v = cli_hdr(&r, "Set-Cookie");
    TN_CHECKF(v != NULL, "no Set-Cookie");
    TN_CHECK(strncmp(v, "s=2|1:0|10:", 11) == 0);
    TN_CHECK(strstr(v, "Expires=") != NULL);
    snprintf(sv, sizeof sv, "%s", set_cookie_value(&r, "s"));
    snprintf(req, sizeof req, "GET /getsecure HTTP/1.1\r\nHost: t\r\nCookie: s=%s\r\n\r\n", sv);
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.blen, 2 + 13);   /* the argument's NUL became a space (Tornado's cleaning) */
    TN_EQ_MEM(r.body, "s=hello|world \xff", 15);
    /* tampered: treated as absent */
    {
        char *sig = strrchr(sv, '|');
        TN_CHECK(sig != NULL);
        sig[1] = sig[1] == 'a' ? 'b' : 'a';
    }
    snprintf(req, sizeof req, "GET /getsecure HTTP/1.1\r\nHost: t\r\nCookie: s=%s\r\n\r\n", sv);
    roundtrip(a->port, req, &r);
    TN_EQ_STR(r.body, "TN_EBAD_SIGNATURE");
    roundtrip(a->port, "GET /getsecure HTTP/1.1\r\nHost: t\r\nCookie: s=garbage\r\n\r\n", &r);
    TN_EQ_STR(r.body, "TN_EPARSE");
    roundtrip(a->port, GET("/getsecure"), &r);
    TN_EQ_STR(r.body, "TN_ENOENT");
    stop_app(a);
}

TN_TEST(redirects_each_code) {
    app_t *a = start_app(0);
    static cli_resp r;
    static const int codes[] = {301, 302, 303, 307, 308};
    size_t i;
    char req[256];
    for (i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        snprintf(req, sizeof req, "GET /redirect/%d HTTP/1.1\r\nHost: t\r\n\r\n", codes[i]);
        roundtrip(a->port, req, &r);
        TN_EQ_INT(r.status, codes[i]);
        TN_EQ_STR(cli_hdr(&r, "Location"), "/target?x=1");
        TN_EQ_INT(r.blen, 0);
        TN_CHECK(cli_hdr(&r, "Set-Cookie") == NULL);
    }
    roundtrip(a->port, GET("/redirect/0"), &r);   /* 0 = default 302 */
    TN_EQ_INT(r.status, 302);
    stop_app(a);
}

TN_TEST(etag_and_if_none_match) {
    app_t *a = start_app(0);
    static cli_resp r;
    const char *tag = "\"e02aa1b106d5c7c6a98def2b13005d5b84fd8dc8\"";
    char req[512];
    snprintf(req, sizeof req, "GET /hello HTTP/1.1\r\nHost: t\r\nIf-None-Match: %s\r\n\r\n", tag);
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.status, 304);
    TN_EQ_STR(cli_hdr(&r, "Etag"), tag);
    TN_CHECK(cli_hdr(&r, "Content-Length") == NULL && cli_hdr(&r, "Content-Type") == NULL);
    /* weak comparison, lists, '*' */
    snprintf(req, sizeof req, "GET /hello HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"zzz\", W/%s\r\n\r\n", tag);
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.status, 304);
    roundtrip(a->port, "GET /hello HTTP/1.1\r\nHost: t\r\nIf-None-Match: *\r\n\r\n", &r);
    TN_EQ_INT(r.status, 304);
    roundtrip(a->port, "HEAD /hello HTTP/1.1\r\nHost: t\r\nIf-None-Match: *\r\n\r\n", &r);
    TN_EQ_INT(r.status, 304);
    roundtrip(a->port, "GET /hello HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"other\", junk\r\n\r\n", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "Hello, world");
    /* a handler's own Etag is kept and not compared (Tornado) */
    roundtrip(a->port, "GET /etag-custom HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"mine\"\r\n\r\n", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(cli_hdr(&r, "Etag"), "\"mine\"");
    /* not for other methods or statuses */
    roundtrip(a->port, "POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nIf-None-Match: *\r\n\r\n", &r);
    TN_EQ_INT(r.status, 200);
    TN_CHECK(cli_hdr(&r, "Etag") == NULL);
    roundtrip(a->port, GET("/missing"), &r);
    TN_CHECK(cli_hdr(&r, "Etag") == NULL);
    stop_app(a);
}

/* compress_response and decompress_request under the web layer: the app's ETag (computed
   on the plain body) is sent weak with the gzip body and still gives 304; flushed
   responses are chunked gzip; a gzip form body is parsed after inflating. */
TN_TEST(gzip_responses_and_requests_in_the_app) {
    app_t *a = start_app(F_GZIP);
    static cli_resp r;
    static char out[8192], req[1024], etag[128];
    tn_inflate_opts io;
    tn_deflate_opts dopt;
    size_t n;
    char gz[256];
    memset(&io, 0, sizeof io);
    io.format = TN_DEFLATE_GZIP;
    roundtrip(a->port, "GET /big HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(cli_hdr(&r, "Content-Encoding"), "gzip");
    TN_EQ_STR(cli_hdr(&r, "Vary"), "Accept-Encoding");
    TN_OK_RC(tn_inflate_once(&io, r.body, r.blen, out, sizeof out, &n));
    TN_EQ_UINT(n, 2900);
    TN_CHECK(memcmp(out, "line 0000 of a big page.....\nline 0001", 38) == 0);
    snprintf(etag, sizeof etag, "%s", cli_hdr(&r, "Etag"));
    TN_CHECK(strncmp(etag, "W/\"", 3) == 0);
    snprintf(req, sizeof req, "GET /big HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\nIf-None-Match: %s\r\n\r\n", etag);
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.status, 304);
    TN_CHECK(cli_hdr(&r, "Content-Encoding") == NULL);
    roundtrip(a->port, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n", &r);   /* no gzip asked for */
    TN_CHECK(cli_hdr(&r, "Content-Encoding") == NULL);
    TN_EQ_UINT(r.blen, 2900);
    TN_EQ_STR(cli_hdr(&r, "Etag"), etag + 2);   /* the strong form */
    /* under MIN_LENGTH: as is */
    roundtrip(a->port, "GET /hello HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n", &r);
    TN_CHECK(cli_hdr(&r, "Content-Encoding") == NULL);
    TN_EQ_STR(r.body, "Hello, world");
    /* flushed: chunked gzip, whatever the size */
    roundtrip(a->port, "GET /flush HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n", &r);
    TN_EQ_STR(cli_hdr(&r, "Content-Encoding"), "gzip");
    TN_EQ_STR(cli_hdr(&r, "Transfer-Encoding"), "chunked");
    TN_OK_RC(tn_inflate_once(&io, r.body, r.blen, out, sizeof out, &n));
    TN_EQ_UINT(n, 12);
    TN_EQ_MEM(out, "first,second", 12);
    /* a gzip form body */
    memset(&dopt, 0, sizeof dopt);
    dopt.format = TN_DEFLATE_GZIP;
    TN_OK_RC(tn_deflate_once(&dopt, "a=zipped&b=2", 12, gz, sizeof gz, &n));
    {
        int fd = cli_connect(a->port, 0);
        snprintf(req, sizeof req, "POST /args HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                 "Content-Encoding: gzip\r\nContent-Length: %lu\r\n\r\n", (unsigned long)n);
        cli_sends(fd, req);
        cli_send(fd, gz, n);
        roundtrip_fd(fd, "", &r, 0);
        close(fd);
    }
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "a=zipped|n=1|all=zipped|b=2|q=|body=zipped|");
    stop_app(a);
}

TN_TEST(xsrf_accept_and_reject) {
    app_t *a = start_app(F_XSRF);
    static cli_resp r;
    static char req[2048], cookie[256], token[256], token2[256];
    const char *v, *p;
    /* GET is exempt and hands out the cookie and a masked token */
    roundtrip(a->port, GET("/form"), &r);
    TN_EQ_INT(r.status, 200);
    v = set_cookie_value(&r, "_xsrf");
    TN_CHECK(v != NULL && strncmp(v, "2|", 2) == 0);
    snprintf(cookie, sizeof cookie, "%s", v);
    p = strstr(r.body, "value=\"");
    TN_CHECK(strncmp(r.body, "<input type=\"hidden\" name=\"_xsrf\" value=\"2|", 43) == 0 && p);
    snprintf(token, sizeof token, "%.*s", (int)(strchr(p + 7, '"') - p - 7), p + 7);
    /* the cookie holds this request's token itself (Tornado sets xsrf_token as the cookie) */
    TN_EQ_STR(token, cookie);
    /* with the cookie, the next GET's token is masked afresh but no new cookie is set */
    snprintf(req, sizeof req, "GET /form HTTP/1.1\r\nHost: t\r\nCookie: _xsrf=%s\r\n\r\n", cookie);
    roundtrip(a->port, req, &r);
    TN_CHECK(set_cookie_value(&r, "_xsrf") == NULL);
    p = strstr(r.body, "value=\"");
    snprintf(token2, sizeof token2, "%.*s", (int)(strchr(p + 7, '"') - p - 7), p + 7);
    TN_CHECK(strcmp(token, token2) != 0);   /* fresh mask each time (BREACH) */
    /* POST without anything → 403; safe methods pass */
    roundtrip(a->port, "POST /post HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", &r);
    TN_EQ_INT(r.status, 403);
    TN_CHECK(strstr(r.body, "403: Forbidden") != NULL);
    roundtrip(a->port, "OPTIONS /post HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    TN_EQ_INT(r.status, 200);
    /* token without cookie → 403 */
    snprintf(req, sizeof req, "POST /post HTTP/1.1\r\nHost: t\r\nX-Xsrftoken: %s\r\nContent-Length: 0\r\n\r\n", token);
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.status, 403);
    /* cookie + form argument → accepted */
    snprintf(req, sizeof req, "POST /post HTTP/1.1\r\nHost: t\r\nCookie: _xsrf=%s\r\n"
                              "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n_xsrf=%s",
             cookie, (int)(6 + strlen(token)), token);
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "post ok");
    /* cookie + either header, any unsafe method, any token masking of the same secret */
    snprintf(req, sizeof req, "DELETE /post HTTP/1.1\r\nHost: t\r\nCookie: _xsrf=%s\r\nX-Xsrftoken: %s\r\n\r\n", cookie, token2);
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.status, 200);
    snprintf(req, sizeof req, "PUT /post HTTP/1.1\r\nHost: t\r\nCookie: _xsrf=%s\r\nX-Csrftoken: %s\r\nContent-Length: 0\r\n\r\n", cookie, cookie);
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.status, 200);
    /* wrong token, malformed token → 403 */
    snprintf(req, sizeof req, "PATCH /post HTTP/1.1\r\nHost: t\r\nCookie: _xsrf=%s\r\nX-Xsrftoken: 2|00000000|%s|1\r\nContent-Length: 0\r\n\r\n",
             cookie, "00112233445566778899aabbccddeeff");
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.status, 403);
    snprintf(req, sizeof req, "POST /post HTTP/1.1\r\nHost: t\r\nCookie: _xsrf=%s\r\nX-Xsrftoken: 2|zz|x\r\nContent-Length: 0\r\n\r\n", cookie);
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.status, 403);
    /* 404 comes before the XSRF check */
    roundtrip(a->port, "POST /nowhere HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", &r);
    TN_EQ_INT(r.status, 404);
    stop_app(a);
}

TN_TEST(headers_json_flush_async) {
    app_t *a = start_app(0);
    static cli_resp r;
    int fd, i;
    roundtrip(a->port, GET("/headers"), &r);
    TN_EQ_INT(r.status, 201);
    TN_EQ_STR(r.body, "headers");
    TN_EQ_STR(cli_hdr_n(&r, "X-Multi", 0), "1");
    TN_EQ_STR(cli_hdr_n(&r, "X-Multi", 1), "2");
    TN_EQ_STR(cli_hdr(&r, "X-Set"), "new");
    TN_CHECK(cli_hdr_n(&r, "X-Set", 1) == NULL);
    TN_CHECK(cli_hdr(&r, "X-Gone") == NULL && cli_hdr(&r, "X-Bad") == NULL && cli_hdr(&r, "Injected") == NULL);
    TN_EQ_STR(cli_hdr(&r, "Content-Type"), "text/plain");
    TN_EQ_STR(cli_hdr(&r, "Content-Length"), "7");
    /* JSON */
    roundtrip(a->port, GET("/json"), &r);
    TN_EQ_STR(r.body, "{\"s\": \"q\\\"b\\\\s<\\/script>\\n\\u0001\"}");
    TN_EQ_STR(cli_hdr(&r, "Content-Type"), "application/json; charset=UTF-8");
    roundtrip(a->port, GET("/json_str"), &r);
    TN_EQ_STR(r.body, "\"just a string\"");
    TN_EQ_STR(cli_hdr(&r, "Content-Type"), "application/json; charset=UTF-8");
    /* flush: the head goes early, chunked */
    roundtrip(a->port, GET("/flush"), &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "first,second");
    TN_EQ_STR(cli_hdr(&r, "Transfer-Encoding"), "chunked");
    TN_CHECK(cli_hdr(&r, "Etag") == NULL);
    /* async: answered later, on a keep-alive connection, several times */
    fd = cli_connect(a->port, 0);
    for (i = 0; i < 3; i++) {
        roundtrip_fd(fd, GET("/async"), &r, 0);
        TN_EQ_STR(r.body, "later");
    }
    close(fd);
    /* a client that leaves an async request: the close callback runs once */
    fd = cli_connect(a->port, 0);
    cli_sends(fd, GET("/never"));
    usleep(50000);
    close(fd);
    for (i = 0; i < 100 && a->closed_cbs == 0; i++) usleep(10000);
    TN_EQ_INT(a->closed_cbs, 1);
    roundtrip(a->port, GET("/hello"), &r);
    TN_EQ_STR(r.body, "Hello, world");
    stop_app(a);
}

TN_TEST(streamed_request_body_route) {
    app_t *a = start_app(0);
    static cli_resp r;
    static char req[300000];
    int fd, n;
    /* length-delimited, big: delivered in chunks, never buffered whole */
    n = snprintf(req, sizeof req, "POST /stream/a%%20b HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\n");
    memset(req + n, 'x', 200000);
    req[n + 200000] = 0;
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "a b got 200000 bytes");
    /* chunked, then an empty body, on one keep-alive connection, then an ordinary route */
    fd = cli_connect(a->port, 0);
    roundtrip_fd(fd, "PUT /stream/c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", &r, 0);
    TN_EQ_STR(r.body, "c got 11 bytes");
    roundtrip_fd(fd, "POST /stream/d HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", &r, 0);
    TN_EQ_STR(r.body, "d got 0 bytes");
    roundtrip_fd(fd, "POST /args HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                     "Content-Length: 3\r\n\r\na=1", &r, 0);
    TN_EQ_STR(r.body, "a=1|n=1|all=1|b=dflt|q=|body=1|");
    close(fd);
    /* 405 for a streaming route's path is decided by the ordinary dispatch */
    roundtrip(a->port, "DELETE /stream/x HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    TN_EQ_INT(r.status, 405);
    TN_EQ_STR(cli_hdr(&r, "Allow"), "POST, PUT");
    stop_app(a);
    /* with XSRF: the body is drained, then 403; a header token passes */
    a = start_app(F_XSRF);
    roundtrip(a->port, "POST /stream/e HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", &r);
    TN_EQ_INT(r.status, 403);
    roundtrip(a->port, "POST /stream/f HTTP/1.1\r\nHost: t\r\nCookie: _xsrf=abcd\r\nX-Xsrftoken: abcd\r\n"
                       "Content-Length: 5\r\n\r\nhello", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "f got 5 bytes");
    stop_app(a);
}

/* Random arguments, cookies, entity-tags, XSRF tokens and multipart bodies (inside valid
   HTTP framing): every request gets an answer, nothing crashes (run under ASan too). */
TN_TEST(random_input_is_answered) {
    app_t *a = start_app(F_XSRF);
    static cli_resp r;
    static char req[8192], q[200], hv[200], body[1200];
    static const char qs[] = "a=&%+;,0fzZ_x2|\"'<>";
    static const char qt[] = "a=&%+;,0fzZ_x2'";   /* the query: URI bytes only (| " < > are a 400) */
    static const char mps[] = "-\r\n:;=\"aXyZform-dataname";
    int fd = cli_connect(a->port, 0), i, j, n;
    unsigned seed = 12345;
#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff)
    for (i = 0; i < 300; i++) {
        int ql = (int)(RND() % 60), hl = (int)(RND() % 60), bl = (int)(RND() % 1000);
        for (j = 0; j < ql; j++) q[j] = qt[RND() % (sizeof qt - 1)];
        q[ql] = 0;
        for (j = 0; j < hl; j++) hv[j] = (char)(0x21 + RND() % 0x5e);
        hv[hl] = 0;
        if (i % 3 == 0) {
            static const char part[] = "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\"\r\n\r\n";
            memcpy(body, part, sizeof part - 1);
            for (j = 0; j < bl; j++) body[sizeof part - 1 + (size_t)j] = mps[RND() % (sizeof mps - 1)];
            bl += (int)sizeof part - 1;
        } else {
            for (j = 0; j < bl; j++) body[j] = qs[RND() % (sizeof qs - 1)];
        }
        n = snprintf(req, sizeof req,
                     "%s /%s?%s HTTP/1.1\r\nHost: t\r\nCookie: _xsrf=%s; s=%s\r\nIf-None-Match: %s\r\n"
                     "X-Xsrftoken: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
                     i % 2 ? "POST" : "GET", i % 3 == 0 ? "upload" : (i % 5 == 0 ? "getsecure" : "args"), q, hv, hv,
                     hv, hv, i % 3 == 0 ? "multipart/form-data; boundary=XyZ" : "application/x-www-form-urlencoded",
                     bl);
        body[bl] = 0;
        TN_CHECK(n + bl < (int)sizeof req);
        if (getenv("TN_WEB_DEBUG")) fprintf(stderr, "[%d] %s\n", i, req);
        memcpy(req + n, body, (size_t)bl);
        req[n + bl] = 0;
        {   /* roundtrip_fd sends with strlen: send the body bytes too */
            cli_send(fd, req, (size_t)n);
            roundtrip_fd(fd, body, &r, 0);   /* body is NUL-free */
        }
        TN_CHECKF(r.status == 200 || r.status == 400 || r.status == 403 || r.status == 404 || r.status == 405 ||
                      r.status == 304, "status %d", r.status);
    }
#undef RND
    close(fd);
    stop_app(a);
}

TN_TEST(bad_input_is_4xx) {
    app_t *a = start_app(0);
    static cli_resp r;
    roundtrip(a->port, "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    TN_EQ_INT(r.status, 400);
    roundtrip(a->port, GET("/args?%zz=%%&a=%ff%00x&&=&a"), &r);
    TN_EQ_INT(r.status, 200);
    TN_CHECK(strncmp(r.body, "a=|n=2|", 7) == 0);
    roundtrip(a->port, GET("/users/%00"), &r);
    TN_EQ_INT(r.status, 200);
    stop_app(a);
}

/* The web layer adds no allocation per request once warm: app requests cost what a bare
   tn_respond costs (the stream layer itself re-allocates the read buffer of a connection
   that went idle between requests, by design). */
TN_TEST(steady_state_allocates_nothing) {
    app_t *a = start_app(F_COUNT);
    static cli_resp r;
    int fd = cli_connect(a->port, 0), i;
    long before, base;
    const char *reqs = "GET /args?a=1&a=2&b=3 HTTP/1.1\r\nHost: t\r\nCookie: c=1\r\n\r\n";
    for (i = 0; i < 20; i++) {
        roundtrip_fd(fd, reqs, &r, 0);
        roundtrip_fd(fd, GET("/cookie"), &r, 0);
        roundtrip_fd(fd, GET("/missing"), &r, 0);
        roundtrip_fd(fd, GET("/raw"), &r, 0);
    }
    before = g_allocs;
    for (i = 0; i < 300; i++) roundtrip_fd(fd, GET("/raw"), &r, 0);
    base = g_allocs - before;
    before = g_allocs;
    for (i = 0; i < 100; i++) {
        roundtrip_fd(fd, reqs, &r, 0);
        TN_EQ_STR(r.body, "a=2|n=2|all=1,2|b=3|q=2|body=|");
        roundtrip_fd(fd, GET("/cookie"), &r, 0);
        roundtrip_fd(fd, GET("/missing"), &r, 0);
    }
    TN_EQ_INT(g_allocs - before, base);
    close(fd);
    stop_app(a);
    TN_EQ_INT(g_live, 0);   /* the app, its contexts and scratch all went back */
}

/* Closing the app with requests in flight: a held async request is cut at the deadline
   (its close callback runs), a detached connection is the handler's; nothing leaks. */
TN_TEST(close_with_requests_in_flight_and_detach) {
    app_t *a = start_app(F_COUNT);
    char buf[256];
    int fd, fd2, i;
    ssize_t k;
    size_t n = 0;
    fd = cli_connect(a->port, 0);
    cli_sends(fd, GET("/never"));
    fd2 = cli_connect(a->port, 0);
    cli_sends(fd2, GET("/detach"));
    while (n < 9 && (k = recv(fd2, buf + n, sizeof buf - 1 - n, 0)) > 0) n += (size_t)k;
    buf[n] = 0;
    TN_EQ_STR(buf, "RAW BYTES");
    close(fd2);
    for (i = 0; i < 100 && !g->held; i++) usleep(5000);
    TN_CHECK(a->held != NULL);
    stop_app(a);   /* the app closes with a 300 ms deadline: /never is cut then */
    close(fd);
    TN_EQ_INT(g_gone, 1);
    TN_EQ_INT(g_live, 0);
}

/* ---- interop ---- */
TN_TEST(python_tornado_signed_cookies_both_ways) {
    app_t *a;
    static cli_resp r;
    static char cmd[4096], out[4096], sv[1024], req[8192];
    TN_LINUX_PEER("python3 with Tornado");
    if (system("/usr/bin/python3 -c 'import tornado.web' >/dev/null 2>&1") != 0)
        TN_SKIP("Python Tornado not found (apt-get install python3-tornado)");
    a = start_app(0);
    /* ours → Python */
    roundtrip(a->port, GET("/setsecure?v=caf%C3%A9+%7C+ok"), &r);
    snprintf(sv, sizeof sv, "%s", set_cookie_value(&r, "s"));
    if (sv[0] == '"') {   /* a quoted cookie value: Python's SimpleCookie would unquote it */
        memmove(sv, sv + 1, strlen(sv));
        sv[strlen(sv) - 1] = 0;
    }
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import tornado.web as w; "
             "print(w.decode_signed_value('%s', 's', '%s').decode('utf-8'))\" 2>&1", SECRET, sv);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "caf\xc3\xa9 | ok\n");
    /* Python → ours */
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import tornado.web as w; "
             "print(w.create_signed_value('%s', 's', 'from python \\xe9').decode())\" 2>&1", SECRET);
    run_cmd(cmd, out, sizeof out);
    TN_CHECK(strncmp(out, "2|", 2) == 0);
    out[strcspn(out, "\n")] = 0;
    snprintf(req, sizeof req, "GET /getsecure HTTP/1.1\r\nHost: t\r\nCookie: s=%s\r\n\r\n", out);
    roundtrip(a->port, req, &r);
    TN_EQ_STR(r.body, "s=from python \xc3\xa9");
    /* our XSRF cookie and the masked form token carry the same secret for Tornado */
    roundtrip(a->port, GET("/form"), &r);
    {
        static char ck[256], tok[256];
        const char *p = strstr(r.body, "value=\"");
        snprintf(ck, sizeof ck, "%s", set_cookie_value(&r, "_xsrf"));
        TN_CHECK(p != NULL);
        snprintf(tok, sizeof tok, "%.*s", (int)(strchr(p + 7, '"') - p - 7), p + 7);
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 -c \"import tornado.web as w; d = w.RequestHandler._decode_xsrf_token; "
                 "a = d(None, '%s'); b = d(None, '%s'); print(a[0], b[0], len(a[1]), a[1] == b[1])\" 2>&1", ck, tok);
        run_cmd(cmd, out, sizeof out);
        TN_EQ_STR(out, "2 2 16 True\n");
    }
    /* a legacy version 1 value from Python is still read (Tornado's min_version=1) */
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import tornado.web as w; "
             "print(w.create_signed_value('%s', 's', 'old v1', version=1).decode())\" 2>&1", SECRET);
    run_cmd(cmd, out, sizeof out);
    out[strcspn(out, "\n")] = 0;
    TN_CHECK(strncmp(out, "2|", 2) != 0);
    snprintf(req, sizeof req, "GET /getsecure HTTP/1.1\r\nHost: t\r\nCookie: s=%s\r\n\r\n", out);
    roundtrip(a->port, req, &r);
    TN_EQ_STR(r.body, "s=old v1");
    /* and Python's cookie signed for another name is refused */
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import tornado.web as w; "
             "print(w.create_signed_value('%s', 't', 'x').decode())\" 2>&1", SECRET);
    run_cmd(cmd, out, sizeof out);
    out[strcspn(out, "\n")] = 0;
    snprintf(req, sizeof req, "GET /getsecure HTTP/1.1\r\nHost: t\r\nCookie: s=%s\r\n\r\n", out);
    roundtrip(a->port, req, &r);
    TN_EQ_STR(r.body, "TN_EBAD_SIGNATURE");
    stop_app(a);
}

TN_TEST(curl_form_and_multipart_upload) {
    app_t *a;
    static char cmd[2048], out[8192], path[64];
    FILE *f;
    int i;
    if (!have_cmd("curl")) TN_SKIP("curl not found (apt-get install curl)");
    a = start_app(0);
    snprintf(cmd, sizeof cmd, "curl -s -d 'a=1&a=x%%20y&b=%%E2%%82%%AC' http://127.0.0.1:%d/args 2>&1", a->port);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "a=x y|n=2|all=1,x y|b=\xe2\x82\xac|q=|body=x y|");
    snprintf(path, sizeof path, "/tmp/tn_web_upload_%d.bin", (int)getpid());
    f = fopen(path, "w");
    for (i = 0; i < 3000; i++) fputc("\r\n-ab"[i % 5], f);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "curl -s -F 'field=first' -F 'f1=@%s;type=application/octet-stream' -F 'field=second' "
             "http://127.0.0.1:%d/upload 2>&1 | tail -c 40", path, a->port);
    run_cmd(cmd, out, sizeof out);
    TN_CHECKF(strstr(out, "fields=2 last=second") != NULL, "got %s", out);
    snprintf(cmd, sizeof cmd, "curl -s -F 'f1=@%s;type=application/octet-stream' http://127.0.0.1:%d/upload 2>&1 | head -c 60", path, a->port);
    run_cmd(cmd, out, sizeof out);
    {
        char want[128];
        const char *base = strrchr(path, '/') + 1;
        snprintf(want, sizeof want, "f1:%s:application/octet-stream:3000:", base);
        TN_CHECKF(strncmp(out, want, strlen(want)) == 0, "got %s", out);
    }
    unlink(path);
    stop_app(a);
}

/* A route that cannot be added says why through the loop's logger, not only as TN_EINVAL. */
typedef struct logcap { int n, level, code; char msg[512]; } logcap;
static void capture_log(void *user, int level, int code, const char *msg, const char *file, int line) {
    logcap *l = (logcap *)user;
    (void)file; (void)line;
    l->n++;
    l->level = level;
    l->code = code;
    snprintf(l->msg, sizeof l->msg, "%s", msg);
}
static void set_flag(tn_loop *loop, void *user) { (void)loop; *(int *)user = 1; }

TN_TEST(bad_route_is_logged) {
    tn_loop_opts lo;
    tn_loop *loop;
    tn_app *app;
    logcap l;
    int done = 0;
    memset(&lo, 0, sizeof lo);
    memset(&l, 0, sizeof l);
    lo.logger.func = capture_log;
    lo.logger.user = &l;
    TN_OK_RC(tn_loop_new(&lo, &loop));
    TN_OK_RC(tn_app_new(loop, NULL, &app));
    TN_EQ_RC(tn_app_route(app, "GET", "/users/:id", h_hello, NULL), TN_EINVAL);
    TN_EQ_INT(l.n, 1);
    TN_EQ_INT(l.level, TN_LOG_WARN);
    TN_EQ_RC(l.code, TN_EINVAL);
    TN_EQ_STR(l.msg, "route not added: pattern \"/users/:id\" at byte 7: \":id\" is not a capture here: write {id}");
    TN_EQ_RC(tn_app_route(app, "GET", "users", h_hello, NULL), TN_EINVAL);
    TN_EQ_STR(l.msg, "route not added: pattern \"users\" at byte 0: must start with '/'");
    TN_EQ_RC(tn_app_route_stream(app, "GET POST", "/up", on_data, h_streamed, NULL), TN_EINVAL);
    TN_EQ_STR(l.msg, "route not added: methods \"GET POST\" at byte 4: expected ','");
    TN_EQ_INT(l.n, 3);
    TN_OK_RC(tn_app_route(app, "GET", "/users/{id}", h_hello, NULL));   /* a good one is quiet */
    TN_EQ_INT(l.n, 3);
    {   /* xsrf_cookies without the check it runs (xsrf_check) is refused, loudly */
        tn_app_opts ao;
        tn_app *bad;
        memset(&ao, 0, sizeof ao);
        ao.xsrf_cookies = 1;
        TN_EQ_RC(tn_app_new(loop, &ao, &bad), TN_EINVAL);
        TN_EQ_INT(l.n, 4);
        TN_EQ_STR(l.msg, "web: xsrf_cookies needs opts.xsrf_check = tn_web_check_xsrf");
        l.n = 3;
    }
    TN_OK_RC(tn_app_close(app, 0, set_flag, &done));
    TN_OK_RC(tn_loop_run_until(loop, &done, 5000));
    TN_OK_RC(tn_loop_free(loop));
}

TN_TESTS(
    TN_CASE(routing_captures_404_405_head),
    TN_CASE(bad_route_is_logged),
    TN_CASE(custom_not_found_and_error_page),
    TN_CASE(send_error_page_escapes_and_discards),
    TN_CASE(arguments_query_form_multipart_missing),
    TN_CASE(cookies_and_signed_cookies),
    TN_CASE(redirects_each_code),
    TN_CASE(etag_and_if_none_match),
    TN_CASE(xsrf_accept_and_reject),
    TN_CASE(gzip_responses_and_requests_in_the_app),
    TN_CASE(headers_json_flush_async),
    TN_CASE(streamed_request_body_route),
    TN_CASE(random_input_is_answered),
    TN_CASE(bad_input_is_4xx),
    TN_CASE(steady_state_allocates_nothing),
    TN_CASE(close_with_requests_in_flight_and_detach),
    TN_CASE(python_tornado_signed_cookies_both_ways),
    TN_CASE(curl_form_and_multipart_upload)
)
