/* test_web_noetag.c: the web layer built with TORNADO_NO_ETAG, over real sockets on
   127.0.0.1. The toggle leaves out Tornado's computed ETag (the SHA-1 of every whole 200
   GET/HEAD body, and the 304 an If-None-Match earns against it): a response then has no
   ETag unless its handler sets one, If-None-Match is not answered with 304, and everything
   else (the body, its length, HEAD, a handler's own ETag, static assets' ETags) is as in
   the default build (tests/test_web.c proves those with the ETag on). */
#define TORNADO_NO_ETAG
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include "tn_test_client.h"
#include <pthread.h>
#include <sys/socket.h>

typedef struct app_t {
    tn_loop *loop;
    tn_app *app;
    pthread_t th;
    int port;
} app_t;

static void h_hello(tn_request *req, const tn_route_match *m, void *user) {
    (void)m;
    (void)user;
    TN_OK_RC(tn_web_write_str(req, "Hello, world"));
}

static void h_own(tn_request *req, const tn_route_match *m, void *user) {
    (void)m;
    (void)user;
    TN_OK_RC(tn_web_set_header(req, "ETag", "\"mine\""));
    TN_OK_RC(tn_web_write_str(req, "own"));
}

/* (no ETag of its own: the asset's is its data's SHA-1, computed by the static module) */
static const tn_static_asset g_assets[] = {
    {"asset.txt", (const unsigned char *)"an asset\n", 9, NULL, NULL, 0, NULL, 0},
};

static void h_static(tn_request *req, const tn_route_match *m, void *user) {
    (void)user;
    TN_EQ_RC(tn_static_serve_assets(req, g_assets, 1, m->captures[0].value, NULL), TN_OK);
}

static void *app_thread(void *u) {
    app_t *a = (app_t *)u;
    tn_loop_run(a->loop);
    return NULL;
}

static app_t *start_app(void) {
    app_t *a = (app_t *)calloc(1, sizeof *a);
    TN_OK_RC(tn_loop_new(NULL, &a->loop));
    TN_OK_RC(tn_app_new(a->loop, NULL, &a->app));
    TN_OK_RC(tn_app_route(a->app, "GET", "/hello", h_hello, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/own", h_own, a));
    TN_OK_RC(tn_app_route(a->app, "GET", "/static/{path}", h_static, a));
    TN_OK_RC(tn_app_listen(a->app, "127.0.0.1", 0));
    a->port = tn_http_server_port(tn_app_server(a->app));
    TN_CHECK(pthread_create(&a->th, NULL, app_thread, a) == 0);
    return a;
}

static void on_app_closed(tn_loop *loop, void *user) {
    (void)user;
    tn_loop_stop(loop);
}
static void close_app(tn_loop *loop, void *user) {
    (void)loop;
    TN_OK_RC(tn_app_close(((app_t *)user)->app, 300, on_app_closed, user));
}
static void stop_app(app_t *a) {
    TN_OK_RC(tn_loop_post(a->loop, close_app, a));
    TN_CHECK(pthread_join(a->th, NULL) == 0);
    TN_OK_RC(tn_loop_free(a->loop));
    free(a);
}

static char g_raw[65536];

static void roundtrip(int port, const char *req, cli_resp *r) {
    int fd = cli_connect(port, 0), closed, head = strncmp(req, "HEAD ", 5) == 0;
    size_t len;
    cli_sends(fd, req);
    len = cli_recv_resp(fd, g_raw, sizeof g_raw, 5000, &closed, 1, head);
    TN_CHECKF(cli_parse_resp(g_raw, len, head, closed, r) > 0, "no response to %.60s", req);
    close(fd);
}

TN_TEST(no_computed_etag_and_no_304) {
    app_t *a = start_app();
    static cli_resp r;
    roundtrip(a->port, "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "Hello, world");
    TN_EQ_STR(cli_hdr(&r, "Content-Length"), "12");
    TN_CHECK(cli_hdr(&r, "Etag") == NULL);
    /* the tag the default build sends for this body (sha1("Hello, world")) earns nothing,
       nor does "*": the full response comes */
    roundtrip(a->port, "GET /hello HTTP/1.1\r\nHost: t\r\n"
                       "If-None-Match: \"e02aa1b106d5c7c6a98def2b13005d5b84fd8dc8\"\r\n\r\n", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "Hello, world");
    roundtrip(a->port, "GET /hello HTTP/1.1\r\nHost: t\r\nIf-None-Match: *\r\n\r\n", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "Hello, world");
    TN_CHECK(cli_hdr(&r, "Etag") == NULL);
    /* HEAD: the length, no body, no ETag */
    roundtrip(a->port, "HEAD /hello HTTP/1.1\r\nHost: t\r\nIf-None-Match: *\r\n\r\n", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(cli_hdr(&r, "Content-Length"), "12");
    TN_EQ_INT(r.blen, 0);
    TN_CHECK(cli_hdr(&r, "Etag") == NULL);
    stop_app(a);
}

TN_TEST(own_and_static_etags_stay) {
    app_t *a = start_app();
    static cli_resp r;
    char req[256], tag[128];
    /* a handler's own ETag is sent (and, as in Tornado, not compared) */
    roundtrip(a->port, "GET /own HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"mine\"\r\n\r\n", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(cli_hdr(&r, "Etag"), "\"mine\"");
    TN_EQ_STR(r.body, "own");
    /* static assets keep theirs, and their 304 */
    roundtrip(a->port, "GET /static/asset.txt HTTP/1.1\r\nHost: t\r\n\r\n", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "an asset\n");
    TN_CHECK(cli_hdr(&r, "Etag") != NULL);
    snprintf(tag, sizeof tag, "%s", cli_hdr(&r, "Etag"));
    snprintf(req, sizeof req, "GET /static/asset.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: %s\r\n\r\n", tag);
    roundtrip(a->port, req, &r);
    TN_EQ_INT(r.status, 304);
    stop_app(a);
}

TN_TESTS(
    TN_CASE(no_computed_etag_and_no_304),
    TN_CASE(own_and_static_etags_stay)
)
