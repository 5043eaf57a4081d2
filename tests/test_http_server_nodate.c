/* test_http_server_nodate.c: the HTTP server built with TORNADO_NO_DATE, over real sockets
   on 127.0.0.1. The toggle is for a device without a real-time clock, which RFC 9110
   §6.6.1 forbids to send Date: no response carries one (whole, streamed, chunked, the
   server's own error replies, pipelined), and every other line is as in the default
   build (tests/test_http_server.c proves the Date line there). */
#define TORNADO_NO_DATE
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include "tn_test_client.h"
#include <pthread.h>
#include <sys/socket.h>

typedef struct server {
    tn_loop *loop;
    tn_http_server *srv;
    pthread_t th;
    int port;
} server;

static void on_request(tn_request *req, void *user) {
    tn_str path = tn_request_path(req);
    (void)user;
    if (tn_str_eq_c(path, "/missing")) {
        TN_OK_RC(tn_respond(req, 404, "text/plain", "no", 2));
    } else if (tn_str_eq_c(path, "/stream")) {   /* no length: chunked */
        TN_OK_RC(tn_response_start(req, 200, -1));
        TN_OK_RC(tn_response_write(req, "part one,", 9, NULL, NULL));
        TN_OK_RC(tn_response_write(req, "part two", 8, NULL, NULL));
        TN_OK_RC(tn_response_finish(req));
    } else {
        TN_OK_RC(tn_respond(req, 200, "text/plain", "Hello, world", 12));
    }
}

static void *server_thread(void *u) {
    tn_loop_run(((server *)u)->loop);
    return NULL;
}

static server *start_server(void) {
    server *s = (server *)calloc(1, sizeof *s);
    TN_OK_RC(tn_loop_new(NULL, &s->loop));
    TN_OK_RC(tn_http_server_new(s->loop, NULL, on_request, s, &s->srv));
    TN_OK_RC(tn_http_server_listen(s->srv, "127.0.0.1", 0));
    s->port = tn_http_server_port(s->srv);
    TN_CHECK(pthread_create(&s->th, NULL, server_thread, s) == 0);
    return s;
}

static void on_closed(tn_loop *loop, void *user) {
    (void)user;
    tn_loop_stop(loop);
}
static void close_server(tn_loop *loop, void *user) {
    (void)loop;
    TN_OK_RC(tn_http_server_close(((server *)user)->srv, 300, on_closed, user));
}
static void stop_server(server *s) {
    TN_OK_RC(tn_loop_post(s->loop, close_server, s));
    TN_CHECK(pthread_join(s->th, NULL) == 0);
    TN_OK_RC(tn_loop_free(s->loop));
    free(s);
}

static char g_raw[65536];

/* Send req on a new connection; the raw bytes of want responses land in g_raw. */
static size_t exchange(int port, const char *req, int want, int *closed) {
    int fd = cli_connect(port, 0);
    size_t len;
    cli_sends(fd, req);
    len = cli_recv_n(fd, g_raw, sizeof g_raw - 1, 5000, closed, want);
    g_raw[len] = 0;
    close(fd);
    return len;
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    const char *p = hay;
    while ((p = strstr(p, needle)) != NULL) {
        n++;
        p += strlen(needle);
    }
    return n;
}

TN_TEST(responses_carry_no_date) {
    server *s = start_server();
    int closed;
    static cli_resp r;
    size_t len = exchange(s->port, "GET / HTTP/1.1\r\nHost: t\r\n\r\n", 1, &closed);
    TN_CHECKF(cli_parse_resp(g_raw, len, 0, closed, &r) > 0, "no response: %s", g_raw);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "Hello, world");
    TN_CHECK(cli_hdr(&r, "Date") == NULL);
    /* the kept head starts the response: the status line, then Server where Date was */
    TN_CHECKF(strncmp(g_raw, "HTTP/1.1 200 OK\r\nServer: tornado.h/", 35) == 0, "got: %s", g_raw);
    TN_EQ_STR(cli_hdr(&r, "Content-Length"), "12");
    /* another status: its own status line, then the same lines */
    len = exchange(s->port, "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n", 1, &closed);
    TN_CHECKF(cli_parse_resp(g_raw, len, 0, closed, &r) > 0, "no response: %s", g_raw);
    TN_EQ_INT(r.status, 404);
    TN_CHECKF(strncmp(g_raw, "HTTP/1.1 404 Not Found\r\nServer: tornado.h/", 42) == 0, "got: %s", g_raw);
    TN_CHECK(cli_hdr(&r, "Date") == NULL);
    TN_EQ_STR(r.body, "no");
    /* a streamed response without a length goes chunked, still without Date */
    len = exchange(s->port, "GET /stream HTTP/1.1\r\nHost: t\r\n\r\n", 1, &closed);
    TN_CHECKF(cli_parse_resp(g_raw, len, 0, closed, &r) > 0, "no response: %s", g_raw);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(cli_hdr(&r, "Transfer-Encoding"), "chunked");
    TN_EQ_STR(r.body, "part one,part two");
    TN_CHECK(cli_hdr(&r, "Date") == NULL);
    stop_server(s);
}

TN_TEST(pipelined_and_error_replies_carry_no_date) {
    server *s = start_server();
    int closed;
    static cli_resp r;
    size_t len = exchange(s->port, "GET / HTTP/1.1\r\nHost: t\r\n\r\nGET /missing HTTP/1.1\r\nHost: t\r\n\r\n"
                                   "GET / HTTP/1.1\r\nHost: t\r\n\r\n", 3, &closed);
    TN_EQ_INT(count(g_raw, "HTTP/1.1 "), 3);
    TN_EQ_INT(count(g_raw, "Server: tornado.h/"), 3);
    TN_EQ_INT(count(g_raw, "Date:"), 0);
    /* the server's own reply to a bad request (HTTP/1.1 without Host: 400, then close) */
    len = exchange(s->port, "GET / HTTP/1.1\r\n\r\n", 1, &closed);
    TN_CHECKF(cli_parse_resp(g_raw, len, 0, closed, &r) > 0, "no response: %s", g_raw);
    TN_EQ_INT(r.status, 400);
    TN_CHECKF(strncmp(g_raw, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 66) == 0,
              "got: %s", g_raw);
    TN_CHECK(cli_hdr(&r, "Date") == NULL);
    stop_server(s);
}

TN_TESTS(
    TN_CASE(responses_carry_no_date),
    TN_CASE(pipelined_and_error_replies_carry_no_date)
)
