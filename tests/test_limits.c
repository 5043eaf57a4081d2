/* test_limits.c: THE TINY-LIMITS BUILD. Every TORNADO_* limit macro of the library is set to
   a small value below, before tornado.h is included with TORNADO_IMPLEMENTATION, so the
   whole library in this binary is compiled with tiny limits (as mongoose's test build uses
   -DMG_MAX_HTTP_HEADERS=7). The cases then drive each limit through the real paths with
   zeroed options (so the macro is what applies), mostly over real sockets on 127.0.0.1 with
   a tn_http_server or a tn_app, and check the exact outcome at the limit and one past it:
   an off-by-one or a macro the code ignores fails here.

   Responses are read with a minimal status reader of our own (the library's response
   parser is built with the same tiny TORNADO_MAX_HEADER_BYTES, too small for a response
   head); requests that succeed ask for "Connection: close" so the end of a response is
   the close.

   Adding a TORNADO_* limit macro to src/? Define it here and add a case. TLS limits need
   OpenSSL, which this build leaves out: TORNADO_TLS_HANDSHAKE_TIMEOUT_MS has its tiny-limit
   build and cases in tests/test_tls_limits.c. */

/* ---- the tiny limits (value, and the case that covers it) ---- */
#define TORNADO_MAX_BUFFER_SIZE 64u            /* stream_read_bytes_limit, stream_read_until_limit */
#define TORNADO_READ_CHUNK_SIZE 16u            /* stream_opts_resolved */
#define TORNADO_MAX_WRITE_BUFFER_SIZE 1024u    /* stream_write_buffer_limit (fits every response here) */
#define TORNADO_BACKLOG 1                      /* tcp_backlog (Linux: the kernel queues backlog + 1) */
#define TORNADO_ACCEPT_BATCH 1                 /* tcp_accept_batch */
#define TORNADO_MAX_DEFERRED_PER_ITER 4        /* loop_deferred_per_iter, loop_deferred_no_starvation */
#define TORNADO_CONNECT_TIMEOUT_MS 200u        /* tcp_connect_timeout */
#define TORNADO_HAPPY_EYEBALLS_DELAY_MS 60u    /* tcp_happy_eyeballs_delay (needs ::1) */
#define TORNADO_RESOLVER_THREADS 2             /* resolver_threads (Linux: counts /proc/self/task) */
#define TORNADO_MAX_POLL_WAIT_MS 50u           /* loop_max_poll_wait */
#define TORNADO_MAX_HEADER_BYTES 128u          /* http_header_bytes */
#define TORNADO_MAX_HEADERS 4                  /* http_header_count */
#define TORNADO_MAX_TARGET_LENGTH 32u          /* http_target_length */
#define TORNADO_MAX_BODY_BYTES 256u            /* http_body_length, http_body_chunked */
#define TORNADO_MAX_CHUNK_LINE 8u              /* http_chunk_line */
#define TORNADO_MAX_TRAILER_BYTES 16u          /* http_trailer_bytes */
#define TORNADO_HTTP_IDLE_TIMEOUT_MS 400u      /* http_idle_timeout */
#define TORNADO_HTTP_HEADER_TIMEOUT_MS 250u    /* http_header_timeout */
#define TORNADO_MAX_ROUTE_CAPTURES 2           /* router_captures, web_captures */
#define TORNADO_MAX_QUERY_PAIRS 4u             /* query_pairs, web_query_pairs */
#define TORNADO_MAX_URL_BYTES 48u              /* url_bytes */
#define TORNADO_MAX_RANGES 2u                  /* range_count, web_static_ranges */
#define TORNADO_MULTIPART_MAX_HEADER_BYTES 64  /* multipart_header_bytes, web_multipart */
#define TORNADO_MULTIPART_MAX_PARTS 2u         /* multipart_parts, web_multipart */
#define TORNADO_MAX_INFLATE_SIZE 100u          /* inflate_output_cap */
#define TORNADO_GZIP_MIN_LENGTH 16u            /* http_gzip_min_length */
#define TORNADO_GZIP_LEVEL 1                   /* http_gzip_min_length (resolved options) */
#define TORNADO_GZIP_WINDOW_BITS 9             /* http_gzip_min_length (resolved options) */
#define TORNADO_MAX_WS_MESSAGE 50u             /* ws_message_size */
#define TORNADO_HTTP_CLIENT_MAX_CLIENTS 3      /* http_client_defaults */
#define TORNADO_HTTP_CLIENT_TIMEOUT_MS 300u    /* http_client_timeout */
#define TORNADO_HTTP_CLIENT_MAX_REDIRECTS 2    /* covered with explicit options in test_http_client */
#define TORNADO_HTTP_CLIENT_POOL_IDLE_MS 700u  /* http_client_defaults */
#define TORNADO_WS_CLOSE_TIMEOUT_MS 150u       /* ws_close_timeout */
#define TORNADO_WS_PING_TIMEOUT_MS 200u        /* ws_ping_timeout */
#define TORNADO_WS_MAX_RESPONSE_HEADERS 4u     /* ws_response_headers */

#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include "tn_test_client.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <arpa/inet.h>

/* ======================================================================================
   Helpers: a server on its own thread, a blocking client, a status reader
   ====================================================================================== */

typedef struct server {
    tn_loop *loop;
    tn_http_server *srv;
    tn_app *app;
    pthread_t th;
    int port;
    volatile int handled;
} server;

static void *server_thread(void *u) {
    tn_loop_run(((server *)u)->loop);
    return NULL;
}

static void on_closed_stop(tn_loop *loop, void *user) {
    (void)user;
    tn_loop_stop(loop);
}

static void close_server(tn_loop *loop, void *user) {
    server *s = (server *)user;
    (void)loop;
    if (s->app) TN_OK_RC(tn_app_close(s->app, 1000, on_closed_stop, s));
    else TN_OK_RC(tn_http_server_close(s->srv, 1000, on_closed_stop, s));
}

static void start_thread(server *s) {
    TN_CHECK(pthread_create(&s->th, NULL, server_thread, s) == 0);
}

static void stop_server(server *s) {
    TN_OK_RC(tn_loop_post(s->loop, close_server, s));
    TN_CHECK(pthread_join(s->th, NULL) == 0);
    TN_OK_RC(tn_loop_free(s->loop));
    free(s);
}

/* The plain server's handler: "/echo" answers "n=<body bytes>", anything else "ok". */
static void http_handler(tn_request *req, void *user) {
    server *s = (server *)user;
    char out[64];
    s->handled++;
    if (tn_str_eq_c(tn_request_path(req), "/gz15") || tn_str_eq_c(tn_request_path(req), "/gz16")) {
        size_t n = tn_str_eq_c(tn_request_path(req), "/gz16") ? 16 : 15;
        tn_respond(req, 200, "text/plain", "aaaaaaaaaaaaaaaaaaaa", n);
    } else if (tn_str_eq_c(tn_request_path(req), "/echo")) {
        int n = snprintf(out, sizeof out, "n=%lu", (unsigned long)tn_request_body(req).len);
        tn_respond(req, 200, "text/plain", out, (size_t)n);
    } else {
        tn_respond(req, 200, "text/plain", "ok", 2);
    }
}

/* A tn_http_server with zeroed options: every limit is the macro's. */
static server *start_http(void) {
    server *s = (server *)calloc(1, sizeof *s);
    TN_OK_RC(tn_loop_new(NULL, &s->loop));
    TN_OK_RC(tn_http_server_new(s->loop, NULL, http_handler, s, &s->srv));
    TN_OK_RC(tn_http_server_listen(s->srv, "127.0.0.1", 0));
    s->port = tn_http_server_port(s->srv);
    start_thread(s);
    return s;
}

/* The status of the response in buf ("HTTP/1.1 NNN ..."), 0 if there is none; *body gets
   what follows the head. */
static int resp_status(const char *buf, const char **body) {
    int st = 0;
    const char *e;
    if (sscanf(buf, "HTTP/1.1 %d ", &st) != 1) return 0;
    e = strstr(buf, "\r\n\r\n");
    if (body) *body = e ? e + 4 : "";
    return st;
}

/* Send req[0..len) on a fresh connection, read until the server closes (every request here
   asks for the close, or is refused, which closes); the status, 0 when none came. The
   response is left in out (NUL-terminated). */
static int exchange_n(int port, const char *req, size_t len, char *out, size_t cap) {
    int fd = cli_connect(port, 0), closed = 0, st;
    cli_send_lenient(fd, req, len);
    cli_recv(fd, out, cap, 5000, &closed);
    close(fd);
    TN_CHECKF(closed, "the server did not close after: %.60s", req);
    st = resp_status(out, NULL);
    return st;
}

static int exchange(int port, const char *req, char *out, size_t cap) {
    return exchange_n(port, req, strlen(req), out, cap);
}

/* The body of the response in out (after exchange). */
static const char *resp_body(const char *out) {
    const char *b = "";
    (void)resp_status(out, &b);
    return b;
}

/* A GET head of exactly total bytes: "GET /x HTTP/1.1", Host, Connection: close, and one
   "X: aaa..." field padded to size. */
static void head_of_size(char *out, size_t total) {
    static const char start[] = "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX: ";
    size_t pad;
    TN_CHECK(total >= sizeof start - 1 + 4);
    pad = total - (sizeof start - 1) - 4;
    memcpy(out, start, sizeof start - 1);
    memset(out + sizeof start - 1, 'a', pad);
    memcpy(out + sizeof start - 1 + pad, "\r\n\r\n", 5);
    TN_EQ_UINT(strlen(out), total);
}

/* ======================================================================================
   HTTP server limits (tn_http_server, zeroed options)
   ====================================================================================== */

/* compress_response: a whole body one byte under TORNADO_GZIP_MIN_LENGTH goes as is, one
   of the length is gzipped; level and window default to the macros. */
TN_TEST(http_gzip_min_length) {
    server *s = (server *)calloc(1, sizeof *s);
    tn_http_server_opts o;
    char out[1024];
    const char *b;
    memset(&o, 0, sizeof o);
    o.compress_response = 1;
    o.gzip = tn_http_gzip();
    TN_OK_RC(tn_loop_new(NULL, &s->loop));
    TN_OK_RC(tn_http_server_new(s->loop, &o, http_handler, s, &s->srv));
    TN_EQ_INT(tn_http_server_get_opts(s->srv)->compress_level, TORNADO_GZIP_LEVEL);
    TN_EQ_INT(tn_http_server_get_opts(s->srv)->compress_window_bits, TORNADO_GZIP_WINDOW_BITS);
    TN_OK_RC(tn_http_server_listen(s->srv, "127.0.0.1", 0));
    s->port = tn_http_server_port(s->srv);
    start_thread(s);
    TN_EQ_INT(exchange(s->port, "GET /gz15 HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
                       out, sizeof out), 200);
    TN_CHECK(strstr(out, "Content-Encoding") == NULL);
    TN_EQ_STR(resp_body(out), "aaaaaaaaaaaaaaa");
    TN_EQ_INT(exchange(s->port, "GET /gz16 HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
                       out, sizeof out), 200);
    TN_CHECK(strstr(out, "Content-Encoding: gzip\r\n") != NULL);
    b = resp_body(out);
    TN_CHECK((unsigned char)b[0] == 0x1f && (unsigned char)b[1] == 0x8b);
    stop_server(s);
}

TN_TEST(http_header_bytes) {
    server *s = start_http();
    char req[512], out[4096];
    size_t max = TORNADO_MAX_HEADER_BYTES;
    TN_EQ_UINT(tn_http_server_get_opts(s->srv)->max_header_size, max);
    head_of_size(req, max);                          /* exactly the limit: served */
    TN_EQ_INT(exchange(s->port, req, out, sizeof out), 200);
    TN_CHECK(strcmp(resp_body(out), "ok") == 0);
    head_of_size(req, max + 1);                      /* one byte more: 431 */
    TN_EQ_INT(exchange(s->port, req, out, sizeof out), 431);
    /* an unfinished head: refused as soon as it has more than the limit, not at its end */
    head_of_size(req, max + 1);
    req[max + 1 - 2] = 0;                            /* no closing blank line: max - 1 bytes */
    TN_EQ_UINT(strlen(req), max - 1);
    {
        int fd = cli_connect(s->port, 0), closed;
        cli_sends(fd, req);
        TN_EQ_INT(cli_recv_some(fd, out, sizeof out, 150), -1);   /* under the limit: waits */
        cli_sends(fd, "aa");                                        /* now max + 1 bytes, no end */
        cli_recv(fd, out, sizeof out, 5000, &closed);
        close(fd);
        TN_CHECK(closed);
        TN_EQ_INT(resp_status(out, NULL), 431);
    }
    TN_EQ_INT(s->handled, 1);
    stop_server(s);
}

TN_TEST(http_header_count) {
    server *s = start_http();
    char out[4096];
    TN_EQ_UINT(tn_http_server_get_opts(s->srv)->max_headers, TORNADO_MAX_HEADERS);
    /* 4 fields (the limit): Host, Connection, A, B */
    TN_EQ_INT(exchange(s->port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nA: 1\r\nB: 2\r\n\r\n", out,
                       sizeof out), 200);
    /* 5 fields: 431 */
    TN_EQ_INT(exchange(s->port, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n",
                       out, sizeof out), 431);
    TN_EQ_INT(s->handled, 1);
    stop_server(s);
}

TN_TEST(http_target_length) {
    server *s = start_http();
    char target[64], req[256], out[4096];
    size_t max = TORNADO_MAX_TARGET_LENGTH;
    TN_EQ_UINT(tn_http_server_get_opts(s->srv)->max_target_length, max);
    memset(target, 'a', sizeof target);
    target[0] = '/';
    snprintf(req, sizeof req, "GET %.*s HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", (int)max, target);
    TN_EQ_INT(exchange(s->port, req, out, sizeof out), 200);   /* exactly the limit */
    snprintf(req, sizeof req, "GET %.*s HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", (int)max + 1, target);
    TN_EQ_INT(exchange(s->port, req, out, sizeof out), 414);   /* one byte more */
    /* a target still arriving: 414 as soon as it is over, without its end */
    snprintf(req, sizeof req, "GET %.*s", (int)max, target);
    {
        int fd = cli_connect(s->port, 0), closed;
        cli_sends(fd, req);
        TN_EQ_INT(cli_recv_some(fd, out, sizeof out, 150), -1);   /* at the limit: waits */
        cli_sends(fd, "a");
        cli_recv(fd, out, sizeof out, 5000, &closed);
        close(fd);
        TN_CHECK(closed);
        TN_EQ_INT(resp_status(out, NULL), 414);
    }
    TN_EQ_INT(s->handled, 1);
    stop_server(s);
}

static size_t post_cl(char *req, size_t cap, size_t n) {
    int k = snprintf(req, cap, "POST /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\nContent-Length: %lu\r\n\r\n",
                     (unsigned long)n);
    TN_CHECK(k > 0 && (size_t)k + n < cap);
    memset(req + k, 'b', n);
    return (size_t)k + n;
}

TN_TEST(http_body_length) {
    server *s = start_http();
    char req[1024], out[4096];
    size_t max = TORNADO_MAX_BODY_BYTES, n;
    TN_EQ_UINT(tn_http_server_get_opts(s->srv)->max_body_size, max);
    n = post_cl(req, sizeof req, max);
    TN_EQ_INT(exchange_n(s->port, req, n, out, sizeof out), 200);
    TN_CHECK(strcmp(resp_body(out), "n=256") == 0);
    n = post_cl(req, sizeof req, max + 1);
    TN_EQ_INT(exchange_n(s->port, req, n, out, sizeof out), 413);
    TN_EQ_INT(s->handled, 1);
    stop_server(s);
}

#define CHUNKED_HEAD "POST /echo HTTP/1.1\r\nHost: a\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"

/* A chunked request: two chunks of 128 bytes ("80" hex), then extra (more chunks, or ""),
   then the last chunk and the trailer section `trailer` (ending in the blank line). */
static size_t chunked_req(char *req, const char *extra, const char *line0, const char *trailer) {
    char data[129];
    memset(data, 'c', 128);
    data[128] = 0;
    return (size_t)sprintf(req, "%s80\r\n%s\r\n80\r\n%s\r\n%s%s%s", CHUNKED_HEAD, data, data, extra, line0, trailer);
}

TN_TEST(http_body_chunked) {
    server *s = start_http();
    char req[1024], out[4096];
    size_t n = chunked_req(req, "", "0\r\n", "\r\n");   /* 256 bytes: the limit */
    TN_EQ_INT(exchange_n(s->port, req, n, out, sizeof out), 200);
    TN_CHECK(strcmp(resp_body(out), "n=256") == 0);
    n = chunked_req(req, "1\r\nx\r\n", "0\r\n", "\r\n");   /* 257 bytes */
    TN_EQ_INT(exchange_n(s->port, req, n, out, sizeof out), 413);
    TN_EQ_INT(s->handled, 1);
    stop_server(s);
}

TN_TEST(http_chunk_line) {
    server *s = start_http();
    char req[1024], out[4096];
    size_t n;
    /* the chunk-size line counts its extensions and CRLF: "1;abcd\r\n" is 8 bytes */
    TN_EQ_UINT(strlen("1;abcd\r\n"), TORNADO_MAX_CHUNK_LINE);
    n = chunked_req(req, "1;abcd\r\nx\r\n", "0\r\n", "\r\n");
    TN_EQ_INT(exchange_n(s->port, req, n, out, sizeof out), 413);   /* 257 body bytes, line fine */
    n = (size_t)sprintf(req, "%s1;abcd\r\nx\r\n0\r\n\r\n", CHUNKED_HEAD);
    TN_EQ_INT(exchange_n(s->port, req, n, out, sizeof out), 200);
    TN_CHECK(strcmp(resp_body(out), "n=1") == 0);
    n = (size_t)sprintf(req, "%s1;abcde\r\nx\r\n0\r\n\r\n", CHUNKED_HEAD);   /* 9 bytes: 400 */
    TN_EQ_INT(exchange_n(s->port, req, n, out, sizeof out), 400);
    /* the last chunk's line is bounded the same way */
    n = (size_t)sprintf(req, "%s1\r\nx\r\n0;abcd\r\n\r\n", CHUNKED_HEAD);
    TN_EQ_INT(exchange_n(s->port, req, n, out, sizeof out), 200);
    n = (size_t)sprintf(req, "%s1\r\nx\r\n0;abcde\r\n\r\n", CHUNKED_HEAD);
    TN_EQ_INT(exchange_n(s->port, req, n, out, sizeof out), 400);
    TN_EQ_INT(s->handled, 2);
    stop_server(s);
}

TN_TEST(http_trailer_bytes) {
    server *s = start_http();
    char req[1024], out[4096];
    size_t n;
    /* the trailer section counts every byte after the last chunk's line, final CRLF included */
    TN_EQ_UINT(strlen("X: 123456789\r\n\r\n"), TORNADO_MAX_TRAILER_BYTES);
    n = (size_t)sprintf(req, "%s1\r\nx\r\n0\r\nX: 123456789\r\n\r\n", CHUNKED_HEAD);
    TN_EQ_INT(exchange_n(s->port, req, n, out, sizeof out), 200);
    TN_CHECK(strcmp(resp_body(out), "n=1") == 0);
    /* one byte more: TN_EHEADER_TOO_LARGE from the decoder; trailer fields are header
       fields, so the server answers 431 (tn_http_error_status, as for the head) */
    n = (size_t)sprintf(req, "%s1\r\nx\r\n0\r\nX: 1234567890\r\n\r\n", CHUNKED_HEAD);
    TN_EQ_INT(exchange_n(s->port, req, n, out, sizeof out), 431);
    TN_EQ_INT(s->handled, 1);
    stop_server(s);
}

/* The decoder itself with zeroed limits: the exact codes behind the statuses above. */
TN_TEST(chunked_decoder_codes) {
    struct { const char *in; int rc; } cases[] = {
        {"1;abcd\r\nx\r\n0\r\n\r\n", 0},
        {"1;abcde\r\nx\r\n0\r\n\r\n", TN_EBAD_CHUNK},
        {"1\r\nx\r\n0\r\nX: 123456789\r\n\r\n", 0},
        {"1\r\nx\r\n0\r\nX: 1234567890\r\n\r\n", TN_EHEADER_TOO_LARGE},
        {"80\r\n", TN_EINCOMPLETE},
    };
    char buf[512];
    size_t i, len;
    tn_http_chunked d;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&d, 0, sizeof d);
        len = strlen(cases[i].in);
        memcpy(buf, cases[i].in, len);
        TN_EQ_RC(tn_http_decode_chunked(&d, buf, &len), cases[i].rc);
    }
    /* the body limit: 256 decoded bytes pass, 257 do not (checked at the size line) */
    memset(&d, 0, sizeof d);
    len = (size_t)sprintf(buf, "100\r\n");
    TN_EQ_RC(tn_http_decode_chunked(&d, buf, &len), TN_EINCOMPLETE);
    memset(&d, 0, sizeof d);
    len = (size_t)sprintf(buf, "101\r\n");
    TN_EQ_RC(tn_http_decode_chunked(&d, buf, &len), TN_EBODY_TOO_LARGE);
}

/* The request parser with zeroed limits (TORNADO_MAX_HEADER_BYTES, _TARGET_LENGTH). */
TN_TEST(request_parser_codes) {
    char req[512], target[64];
    tn_http_header h[8];
    tn_http_request r;
    memset(&r, 0, sizeof r);
    r.headers = h;
    r.max_headers = 8;
    head_of_size(req, TORNADO_MAX_HEADER_BYTES);
    TN_EQ_INT(tn_http_parse_request(req, strlen(req), &r), (int)TORNADO_MAX_HEADER_BYTES);
    tn_http_request_reset(&r);
    head_of_size(req, TORNADO_MAX_HEADER_BYTES + 1);
    TN_EQ_RC(tn_http_parse_request(req, strlen(req), &r), TN_EHEADER_TOO_LARGE);
    memset(target, 'a', sizeof target);
    target[0] = '/';
    tn_http_request_reset(&r);
    sprintf(req, "GET %.*s HTTP/1.1\r\nHost: a\r\n\r\n", (int)TORNADO_MAX_TARGET_LENGTH, target);
    TN_EQ_INT(tn_http_parse_request(req, strlen(req), &r), (int)strlen(req));
    tn_http_request_reset(&r);
    sprintf(req, "GET %.*s HTTP/1.1\r\nHost: a\r\n\r\n", (int)TORNADO_MAX_TARGET_LENGTH + 1, target);
    TN_EQ_RC(tn_http_parse_request(req, strlen(req), &r), TN_EURI_TOO_LONG);
    TN_EQ_INT(tn_http_error_status(TN_EURI_TOO_LONG), 414);
}

TN_TEST(http_idle_timeout) {
    server *s = start_http();
    char out[4096];
    int fd, closed;
    double t0;
    TN_EQ_UINT(tn_http_server_get_opts(s->srv)->idle_connection_timeout_ms, TORNADO_HTTP_IDLE_TIMEOUT_MS);
    /* after a keep-alive response, the connection waits for the next request this long */
    fd = cli_connect(s->port, 0);
    cli_sends(fd, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    TN_CHECK(cli_recv_some(fd, out, sizeof out, 5000) > 0);
    t0 = tn_test_ms();
    /* still open half way (the deadline started a little before t0, when the server wrote) */
    TN_EQ_INT(cli_recv_some(fd, out, sizeof out, (int)TORNADO_HTTP_IDLE_TIMEOUT_MS / 2), -1);
    cli_recv(fd, out, sizeof out, 5000, &closed);
    TN_CHECK(closed);
    TN_EQ_UINT(strlen(out), 0);   /* closed without a word */
    TN_CHECKF(tn_test_ms() - t0 < TORNADO_HTTP_IDLE_TIMEOUT_MS + 2000, "closed after %.0f ms", tn_test_ms() - t0);
    close(fd);
    stop_server(s);
}

TN_TEST(http_header_timeout) {
    server *s = start_http();
    char out[4096];
    int fd, closed;
    double t0;
    TN_EQ_UINT(tn_http_server_get_opts(s->srv)->header_timeout_ms, TORNADO_HTTP_HEADER_TIMEOUT_MS);
    /* a head that never ends (slowloris): closed this long after its first byte */
    fd = cli_connect(s->port, 0);
    t0 = tn_test_ms();
    cli_sends(fd, "GET / HTTP/1.1\r\n");
    TN_EQ_INT(cli_recv_some(fd, out, sizeof out, (int)TORNADO_HTTP_HEADER_TIMEOUT_MS / 2), -1);   /* still open */
    cli_sends(fd, "Host: a\r\n");   /* progress does not extend it */
    cli_recv(fd, out, sizeof out, 5000, &closed);
    TN_CHECK(closed);
    TN_EQ_UINT(strlen(out), 0);
    TN_CHECKF(tn_test_ms() - t0 >= TORNADO_HTTP_HEADER_TIMEOUT_MS - 20, "closed after %.0f ms", tn_test_ms() - t0);
    /* well before the idle timeout (400 ms) would have applied */
    TN_CHECKF(tn_test_ms() - t0 < TORNADO_HTTP_IDLE_TIMEOUT_MS + 2000, "closed after %.0f ms", tn_test_ms() - t0);
    close(fd);
    stop_server(s);
}

/* ======================================================================================
   Web layer (tn_app, zeroed options): route captures, query pairs, multipart, ranges
   ====================================================================================== */

static void web_caps(tn_request *req, const tn_route_match *m, void *user) {
    tn_str a, b;
    (void)user;
    TN_EQ_UINT(m->num_captures, 2);
    TN_OK_RC(tn_web_path_arg(req, "a", &a));
    TN_OK_RC(tn_web_path_arg(req, "b", &b));
    tn_web_writef(req, "a=%.*s b=%.*s", (int)a.len, a.ptr, (int)b.len, b.ptr);
}

static void web_query(tn_request *req, const tn_route_match *m, void *user) {
    tn_str v[16];
    (void)m;
    (void)user;
    tn_web_writef(req, "%lu", (unsigned long)tn_web_get_arguments(req, "a", v, 16));
}

static void web_mp(tn_request *req, const tn_route_match *m, void *user) {
    tn_str v;
    (void)m;
    (void)user;
    tn_web_writef(req, "a=%d b=%d c=%d", tn_web_get_body_argument(req, "a", &v) == TN_OK,
                  tn_web_get_body_argument(req, "b", &v) == TN_OK, tn_web_get_body_argument(req, "c", &v) == TN_OK);
}

static const unsigned char g_file[] = "0123456789";
static const tn_static_asset g_assets[] = {
    {"f.txt", g_file, 10, "text/plain", NULL, 0, NULL, 0},
};

static void web_static(tn_request *req, const tn_route_match *m, void *user) {
    (void)user;
    tn_web_async(req);   /* the static layer answers itself */
    tn_static_serve_assets(req, g_assets, 1, m->captures[0].value, NULL);
}

static server *start_app(void) {
    server *s = (server *)calloc(1, sizeof *s);
    TN_OK_RC(tn_loop_new(NULL, &s->loop));
    TN_OK_RC(tn_app_new(s->loop, NULL, &s->app));
    TN_OK_RC(tn_app_route(s->app, "GET", "/c/{a}/{b}", web_caps, NULL));   /* the limit: 2 */
    TN_EQ_RC(tn_app_route(s->app, "GET", "/t/{a}/{b}/{c}", web_caps, NULL), TN_ELIMIT);
    TN_EQ_RC(tn_app_route(s->app, "GET", "/t/{a}/{b}/{c*}", web_caps, NULL), TN_ELIMIT);
    TN_OK_RC(tn_app_route(s->app, "GET", "/q", web_query, NULL));
    TN_OK_RC(tn_app_route(s->app, "POST", "/mp", web_mp, NULL));
    TN_OK_RC(tn_app_route(s->app, "GET", "/s/{path*}", web_static, NULL));
    TN_OK_RC(tn_app_listen(s->app, "127.0.0.1", 0));
    s->port = tn_http_server_port(tn_app_server(s->app));
    start_thread(s);
    return s;
}

TN_TEST(web_captures) {
    server *s = start_app();
    char out[4096];
    TN_EQ_INT(exchange(s->port, "GET /c/x/y HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", out, sizeof out), 200);
    TN_CHECK(strcmp(resp_body(out), "a=x b=y") == 0);
    TN_EQ_INT(exchange(s->port, "GET /t/x/y/z HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", out, sizeof out),
              404);   /* the refused route was never added */
    stop_server(s);
}

TN_TEST(web_query_pairs) {
    server *s = start_app();
    char out[4096];
    TN_EQ_INT(exchange(s->port, "GET /q?a=1&a=2&a=3&a=4 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", out,
                       sizeof out), 200);
    TN_CHECK(strcmp(resp_body(out), "4") == 0);
    /* a fifth pair is past the limit: parsing stops there (what came before is kept) */
    TN_EQ_INT(exchange(s->port, "GET /q?a=1&a=2&a=3&a=4&a=5 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", out,
                       sizeof out), 200);
    TN_CHECK(strcmp(resp_body(out), "4") == 0);
    /* empty sequences are not pairs */
    TN_EQ_INT(exchange(s->port, "GET /q?a=1&&a=2&a=3&&a=4 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", out,
                       sizeof out), 200);
    TN_CHECK(strcmp(resp_body(out), "4") == 0);
    stop_server(s);
}

/* A multipart/form-data body: parts named names[0..n), each "1"; part `big` (or -1) gets
   an extra header line that makes its header block exactly hdr_bytes long. */
static size_t mp_body(char *out, const char *const *names, int n, int big, size_t hdr_bytes) {
    size_t len = 0;
    int i;
    for (i = 0; i < n; i++) {
        char block[256];
        size_t bl = (size_t)sprintf(block, "Content-Disposition: form-data; name=\"%s\"\r\n", names[i]);
        if (i == big) {
            size_t pad;
            TN_CHECK(hdr_bytes >= bl + 3 + 2 + 2);
            pad = hdr_bytes - bl - 3 - 2 - 2;
            memcpy(block + bl, "X: ", 3);
            memset(block + bl + 3, 'p', pad);
            bl += 3 + pad;
            memcpy(block + bl, "\r\n", 2);
            bl += 2;
        }
        memcpy(block + bl, "\r\n", 2);
        bl += 2;
        if (i == big) TN_EQ_UINT(bl, hdr_bytes);
        len += (size_t)sprintf(out + len, "--b\r\n%.*s1\r\n", (int)bl, block);
    }
    len += (size_t)sprintf(out + len, "--b--\r\n");
    return len;
}

static const char *const g_names[] = {"a", "b", "c"};

static int mp_count_cb(int event, const tn_multipart_part *part, tn_str data, void *user) {
    (void)part;
    (void)data;
    if (event == TN_MULTIPART_PART_END) (*(int *)user)++;
    return 0;
}

TN_TEST(multipart_parts_and_header_bytes) {
    tn_multipart mp;
    char body[1024];
    size_t n;
    int ends;
    /* parts: 2 (the limit) pass, a third is TN_ELIMIT after the first two ended */
    n = mp_body(body, g_names, 2, -1, 0);
    ends = 0;
    TN_OK_RC(tn_multipart_init(&mp, tn_str_c("b"), NULL, mp_count_cb, &ends));
    TN_OK_RC(tn_multipart_feed(&mp, body, n));
    TN_OK_RC(tn_multipart_finish(&mp));
    TN_EQ_INT(ends, 2);
    n = mp_body(body, g_names, 3, -1, 0);
    ends = 0;
    TN_OK_RC(tn_multipart_init(&mp, tn_str_c("b"), NULL, mp_count_cb, &ends));
    TN_EQ_RC(tn_multipart_feed(&mp, body, n), TN_ELIMIT);
    TN_EQ_RC(tn_multipart_finish(&mp), TN_ELIMIT);
    TN_EQ_INT(ends, 2);
    /* header block: 64 bytes (the limit, blank line included) pass, 65 do not */
    n = mp_body(body, g_names, 1, 0, TORNADO_MULTIPART_MAX_HEADER_BYTES);
    ends = 0;
    TN_OK_RC(tn_multipart_init(&mp, tn_str_c("b"), NULL, mp_count_cb, &ends));
    TN_OK_RC(tn_multipart_feed(&mp, body, n));
    TN_OK_RC(tn_multipart_finish(&mp));
    TN_EQ_INT(ends, 1);
    n = mp_body(body, g_names, 1, 0, TORNADO_MULTIPART_MAX_HEADER_BYTES + 1);
    ends = 0;
    TN_OK_RC(tn_multipart_init(&mp, tn_str_c("b"), NULL, mp_count_cb, &ends));
    TN_EQ_RC(tn_multipart_feed(&mp, body, n), TN_EHEADER_TOO_LARGE);
    TN_EQ_INT(ends, 0);
    /* the macro is also the ceiling of the per-parser option */
    {
        tn_multipart_opts o;
        memset(&o, 0, sizeof o);
        o.max_header_bytes = 100000;
        TN_OK_RC(tn_multipart_init(&mp, tn_str_c("b"), &o, mp_count_cb, &ends));
        TN_EQ_RC(tn_multipart_feed(&mp, body, n), TN_EHEADER_TOO_LARGE);
    }
}

static int post_mp(int port, const char *body, size_t blen, char *out, size_t cap) {
    char req[1024];
    int k = snprintf(req, sizeof req,
                     "POST /mp HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
                     "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: %lu\r\n\r\n",
                     (unsigned long)blen);
    TN_CHECK(k > 0 && (size_t)k <= TORNADO_MAX_HEADER_BYTES);   /* the head itself fits the tiny limit */
    TN_CHECK(blen <= TORNADO_MAX_BODY_BYTES);
    memcpy(req + k, body, blen);
    return exchange_n(port, req, (size_t)k + blen, out, cap);
}

TN_TEST(web_multipart) {
    server *s = start_app();
    char body[1024], out[4096];
    size_t n;
    n = mp_body(body, g_names, 2, -1, 0);
    TN_EQ_INT(post_mp(s->port, body, n, out, sizeof out), 200);
    TN_CHECK(strcmp(resp_body(out), "a=1 b=1 c=0") == 0);
    n = mp_body(body, g_names, 3, -1, 0);   /* a third part: dropped, the first two kept */
    TN_EQ_INT(post_mp(s->port, body, n, out, sizeof out), 200);
    TN_CHECK(strcmp(resp_body(out), "a=1 b=1 c=0") == 0);
    n = mp_body(body, g_names, 2, 1, TORNADO_MULTIPART_MAX_HEADER_BYTES);
    TN_EQ_INT(post_mp(s->port, body, n, out, sizeof out), 200);
    TN_CHECK(strcmp(resp_body(out), "a=1 b=1 c=0") == 0);
    n = mp_body(body, g_names, 2, 1, TORNADO_MULTIPART_MAX_HEADER_BYTES + 1);   /* b's block too big */
    TN_EQ_INT(post_mp(s->port, body, n, out, sizeof out), 200);
    TN_CHECK(strcmp(resp_body(out), "a=1 b=0 c=0") == 0);
    stop_server(s);
}

TN_TEST(web_static_ranges) {
    server *s = start_app();
    char out[4096];
    /* one satisfiable range: 206 */
    TN_EQ_INT(exchange(s->port, "GET /s/f.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\nRange: bytes=0-1\r\n\r\n",
                       out, sizeof out), 206);
    TN_CHECK(strcmp(resp_body(out), "01") == 0);
    /* 2 range specs (the limit), none satisfiable: 416 */
    TN_EQ_INT(exchange(s->port,
                       "GET /s/f.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\nRange: bytes=20-30,40-50\r\n\r\n",
                       out, sizeof out), 416);
    /* 3 specs: over the limit, the header is ignored: the whole file, 200 */
    TN_EQ_INT(exchange(s->port,
                       "GET /s/f.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
                       "Range: bytes=20-30,40-50,60-70\r\n\r\n",
                       out, sizeof out), 200);
    TN_CHECK(strcmp(resp_body(out), "0123456789") == 0);
    stop_server(s);
}

/* ======================================================================================
   Pure limits: router, query iterator, URL, ranges
   ====================================================================================== */

TN_TEST(router_captures) {
    tn_router *r;
    tn_route_capture caps[TORNADO_MAX_ROUTE_CAPTURES];
    tn_route_match m;
    int h = 0;
    TN_OK_RC(tn_router_new(NULL, &r));
    TN_OK_RC(tn_router_add(r, "GET", "/a/{x}/{y}", &h, NULL));
    TN_OK_RC(tn_router_add(r, "GET", "/b/{x}/{rest*}", &h, NULL));
    TN_EQ_RC(tn_router_add(r, "GET", "/c/{x}/{y}/{z}", &h, NULL), TN_ELIMIT);
    TN_EQ_RC(tn_router_add(r, "GET", "/c/{x}/{y}/{*}", &h, NULL), TN_ELIMIT);
    TN_CHECK(strstr(tn_router_last_error(r), "TORNADO_MAX_ROUTE_CAPTURES") != NULL);
    TN_EQ_UINT(tn_router_count(r), 2);
    memset(&m, 0, sizeof m);
    m.captures = caps;
    m.max_captures = TORNADO_MAX_ROUTE_CAPTURES;   /* "always large enough" */
    TN_OK_RC(tn_router_match(r, tn_str_c("GET"), tn_str_c("/b/1/2/3"), &m));
    TN_EQ_UINT(m.num_captures, 2);
    TN_EQ_TSTR(caps[1].value, "2/3");
    tn_router_free(r);
}

TN_TEST(query_pairs) {
    tn_query_iter it;
    tn_str k, v;
    int i;
    tn_query_iter_init(&it, tn_str_c("a=1&b=2&c=3&d=4"), 0);
    for (i = 0; i < 4; i++) TN_EQ_INT(tn_query_next(&it, &k, &v), 1);
    TN_EQ_INT(tn_query_next(&it, &k, &v), 0);   /* exactly the limit: a clean end */
    tn_query_iter_init(&it, tn_str_c("a=1&b=2&c=3&d=4&e=5"), 0);
    for (i = 0; i < 4; i++) TN_EQ_INT(tn_query_next(&it, &k, &v), 1);
    TN_EQ_RC(tn_query_next(&it, &k, &v), TN_ELIMIT);
    {
        char buf[64];
        tn_query_iter_init(&it, tn_str_c("a=1&b=2&c=3&d=4&e=5"), 0);
        for (i = 0; i < 4; i++) TN_EQ_INT(tn_query_next_decoded(&it, buf, sizeof buf, &k, &v), 1);
        TN_EQ_RC(tn_query_next_decoded(&it, buf, sizeof buf, &k, &v), TN_ELIMIT);
    }
}

TN_TEST(url_bytes) {
    char url[128];
    tn_url u;
    size_t max = TORNADO_MAX_URL_BYTES;
    memset(url, 'a', sizeof url);
    memcpy(url, "http://h/", 9);
    TN_OK_RC(tn_url_parse(tn_str_make(url, max), &u));
    TN_EQ_UINT(u.path.len, max - 8);
    TN_EQ_RC(tn_url_parse(tn_str_make(url, max + 1), &u), TN_EURI_TOO_LONG);
}

TN_TEST(range_count) {
    tn_range rg[8];
    size_t n;
    TN_OK_RC(tn_range_parse(tn_str_c("bytes=0-0,2-2"), 10, rg, 8, &n));
    TN_EQ_UINT(n, 2);
    TN_EQ_RC(tn_range_parse(tn_str_c("bytes=0-0,2-2,4-4"), 10, rg, 8, &n), TN_ELIMIT);
    /* unsatisfiable specs count too (the limit is on what the client may ask for) */
    TN_EQ_RC(tn_range_parse(tn_str_c("bytes=20-30,40-50"), 10, rg, 8, &n), TN_EBAD_RANGE);
    TN_EQ_RC(tn_range_parse(tn_str_c("bytes=20-30,40-50,60-70"), 10, rg, 8, &n), TN_ELIMIT);
}

/* ======================================================================================
   Streams (TORNADO_MAX_BUFFER_SIZE, _READ_CHUNK_SIZE, _MAX_WRITE_BUFFER_SIZE): a
   tn_tcp_server with zeroed options on this thread, a blocking client
   ====================================================================================== */

typedef struct conn {
    tn_loop *loop;
    tn_tcp_server *srv;
    tn_stream *s;
    int fd;                  /* the client's end */
    volatile int got;        /* read callbacks that ended the read (TN_OK or an error) */
    int status;              /* that callback's status */
    size_t len;              /* its data length */
    size_t streamed;         /* TN_MORE bytes */
    int close_cause;
    volatile int closed;
} conn;

static void on_accept(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    conn *c = (conn *)user;
    (void)srv;
    (void)peer;
    c->s = s;
}

static void on_stream_close(tn_stream *s, int cause, void *user) {
    conn *c = (conn *)user;
    (void)s;
    c->close_cause = cause;
    c->closed = 1;
    c->s = NULL;
}

static void on_read(tn_stream *s, int status, tn_str data, void *user) {
    conn *c = (conn *)user;
    (void)s;
    if (status == TN_MORE) {
        c->streamed += data.len;
        return;
    }
    c->status = status;
    c->len = data.len;
    c->got++;
}

static void conn_open(conn *c) {
    memset(c, 0, sizeof *c);
    TN_OK_RC(tn_loop_new(NULL, &c->loop));
    TN_OK_RC(tn_tcp_server_new(c->loop, NULL, on_accept, c, &c->srv));
    TN_OK_RC(tn_tcp_server_listen(c->srv, "127.0.0.1", 0));
    c->fd = cli_connect(tn_tcp_server_port(c->srv), 0);
    while (!c->s) TN_CHECK(tn_loop_run_once(c->loop, 100) >= 0);
    tn_stream_set_close_cb(c->s, on_stream_close, c);
}

static void conn_wait(conn *c, int got) {
    double t0 = tn_test_ms();
    while (c->got < got && tn_test_ms() - t0 < 3000) TN_CHECK(tn_loop_run_once(c->loop, 50) >= 0);
    TN_CHECKF(c->got >= got, "read callback %d did not come", got);
}

static void conn_close(conn *c) {
    close(c->fd);
    if (c->s) (void)tn_stream_close(c->s, NULL, NULL);
    TN_OK_RC(tn_tcp_server_close(c->srv, NULL, NULL));
    while (tn_loop_alive(c->loop) > 0) TN_CHECK(tn_loop_run_once(c->loop, 50) >= 0);
    TN_OK_RC(tn_loop_free(c->loop));
}

static void send_fill(int fd, char ch, size_t n, const char *tail) {
    char buf[256];
    memset(buf, ch, n);
    memcpy(buf + n, tail, strlen(tail));
    cli_send(fd, buf, n + strlen(tail));
}

TN_TEST(stream_opts_resolved) {
    conn c;
    tn_stream_opts o;
    conn_open(&c);
    tn_stream_get_opts(c.s, &o);
    TN_EQ_UINT(o.max_buffer_size, TORNADO_MAX_BUFFER_SIZE);
    TN_EQ_UINT(o.read_chunk_size, TORNADO_READ_CHUNK_SIZE);   /* 16 <= 64 / 2: kept */
    TN_EQ_UINT(o.max_write_buffer_size, TORNADO_MAX_WRITE_BUFFER_SIZE);
    conn_close(&c);
}

TN_TEST(stream_read_bytes_limit) {
    conn c;
    conn_open(&c);
    /* more than max_buffer_size in one result: refused at once, the callback never runs,
       the stream stays usable */
    TN_EQ_RC(tn_stream_read_bytes(c.s, TORNADO_MAX_BUFFER_SIZE + 1, 0, on_read, &c), TN_EBUFFER_FULL);
    TN_EQ_INT(tn_stream_closed(c.s), 0);
    TN_EQ_INT(tn_stream_reading(c.s), 0);
    /* exactly max_buffer_size: fine */
    TN_OK_RC(tn_stream_read_bytes(c.s, TORNADO_MAX_BUFFER_SIZE, 0, on_read, &c));
    send_fill(c.fd, 'a', TORNADO_MAX_BUFFER_SIZE, "");
    conn_wait(&c, 1);
    TN_OK_RC(c.status);
    TN_EQ_UINT(c.len, TORNADO_MAX_BUFFER_SIZE);
    /* streamed, a larger count is fine: chunks leave the buffer as they come */
    TN_OK_RC(tn_stream_read_bytes(c.s, 3 * TORNADO_MAX_BUFFER_SIZE, TN_READ_STREAMING, on_read, &c));
    send_fill(c.fd, 'b', 3 * TORNADO_MAX_BUFFER_SIZE, "");
    conn_wait(&c, 2);
    TN_OK_RC(c.status);
    TN_EQ_UINT(c.streamed, 3 * TORNADO_MAX_BUFFER_SIZE);
    conn_close(&c);
}

TN_TEST(stream_read_until_limit) {
    conn c;
    conn_open(&c);
    /* the delimiter as the 64th byte: found within the buffer */
    TN_OK_RC(tn_stream_read_until(c.s, "\n", 1, 0, on_read, &c));
    send_fill(c.fd, 'a', TORNADO_MAX_BUFFER_SIZE - 1, "\n");
    conn_wait(&c, 1);
    TN_OK_RC(c.status);
    TN_EQ_UINT(c.len, TORNADO_MAX_BUFFER_SIZE);
    /* a full buffer without the delimiter: TN_EBUFFER_FULL and the stream closes, without
       waiting for bytes that could never fit */
    TN_OK_RC(tn_stream_read_until(c.s, "\n", 1, 0, on_read, &c));
    send_fill(c.fd, 'a', TORNADO_MAX_BUFFER_SIZE, "");
    conn_wait(&c, 2);
    TN_EQ_RC(c.status, TN_EBUFFER_FULL);
    while (!c.closed) TN_CHECK(tn_loop_run_once(c.loop, 50) >= 0);
    TN_EQ_RC(c.close_cause, TN_EBUFFER_FULL);
    conn_close(&c);
}

TN_TEST(stream_read_until_close_limit) {
    conn c;
    conn_open(&c);
    /* 63 bytes then EOF: the whole content */
    TN_OK_RC(tn_stream_read_until_close(c.s, 0, on_read, &c));
    send_fill(c.fd, 'a', TORNADO_MAX_BUFFER_SIZE - 1, "");
    shutdown(c.fd, SHUT_WR);
    conn_wait(&c, 1);
    TN_OK_RC(c.status);
    TN_EQ_UINT(c.len, TORNADO_MAX_BUFFER_SIZE - 1);
    conn_close(&c);
    /* a full buffer and no EOF: the read cannot complete */
    conn_open(&c);
    TN_OK_RC(tn_stream_read_until_close(c.s, 0, on_read, &c));
    send_fill(c.fd, 'a', TORNADO_MAX_BUFFER_SIZE, "");
    conn_wait(&c, 1);
    TN_EQ_RC(c.status, TN_EBUFFER_FULL);
    conn_close(&c);
}

TN_TEST(stream_write_buffer_limit) {
    conn c;
    static char data[TORNADO_MAX_WRITE_BUFFER_SIZE + 1];
    conn_open(&c);
    /* nothing queued: exactly the cap is accepted, one byte more is refused (nothing queued) */
    TN_EQ_RC(tn_stream_write(c.s, data, TORNADO_MAX_WRITE_BUFFER_SIZE + 1, NULL, NULL), TN_EBUFFER_FULL);
    TN_EQ_UINT(tn_stream_write_buffer_size(c.s), 0);
    TN_OK_RC(tn_stream_write(c.s, data, TORNADO_MAX_WRITE_BUFFER_SIZE, NULL, NULL));
    TN_EQ_INT(tn_stream_closed(c.s), 0);
    conn_close(&c);
}

/* ======================================================================================
   Loop: deferred callbacks per iteration, longest poll wait
   ====================================================================================== */

static int g_deferred;

static void count_cb(tn_loop *loop, void *user) {
    (void)loop;
    (void)user;
    g_deferred++;
}

TN_TEST(loop_deferred_per_iter) {
    tn_loop *loop;
    int i;
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_EQ_INT(tn_loop_get_opts(loop)->max_deferred_per_iter, TORNADO_MAX_DEFERRED_PER_ITER);
    g_deferred = 0;
    for (i = 0; i < TORNADO_MAX_DEFERRED_PER_ITER; i++) TN_OK_RC(tn_loop_defer(loop, count_cb, NULL));
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_EQ_INT(g_deferred, TORNADO_MAX_DEFERRED_PER_ITER);   /* the limit: all in one iteration */
    g_deferred = 0;
    for (i = 0; i < TORNADO_MAX_DEFERRED_PER_ITER + 1; i++) TN_OK_RC(tn_loop_defer(loop, count_cb, NULL));
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_EQ_INT(g_deferred, TORNADO_MAX_DEFERRED_PER_ITER);   /* one more: it waits a turn */
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_EQ_INT(g_deferred, TORNADO_MAX_DEFERRED_PER_ITER + 1);
    TN_OK_RC(tn_loop_free(loop));
}

/* Ten callbacks that each defer themselves again: a busy chain. I/O still gets its turn
   every iteration, and each iteration runs the bound's worth of the chain. */
static int g_io, g_chain_left;

static void chain_cb(tn_loop *loop, void *user) {
    (void)user;
    g_deferred++;
    if (g_chain_left > 0) {
        g_chain_left--;
        TN_OK_RC(tn_loop_defer(loop, chain_cb, NULL));
    }
}

static void io_cb(tn_loop *loop, tn_socket fd, int events, void *user) {
    (void)loop;
    (void)fd;
    (void)user;
    if (events & TN_EV_READ) g_io++;   /* level-triggered: the byte stays unread */
}

TN_TEST(loop_deferred_no_starvation) {
    tn_loop *loop;
    int sv[2], i;
    TN_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    TN_CHECK(fcntl(sv[0], F_SETFL, O_NONBLOCK) == 0);
    TN_CHECK(write(sv[1], "x", 1) == 1);
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_OK_RC(tn_loop_add_fd(loop, sv[0], TN_EV_READ, io_cb, NULL));
    g_deferred = 0;
    g_io = 0;
    g_chain_left = 1000;
    for (i = 0; i < 10; i++) TN_OK_RC(tn_loop_defer(loop, chain_cb, NULL));
    for (i = 1; i <= 5; i++) {
        TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
        TN_EQ_INT(g_io, i);
        TN_EQ_INT(g_deferred, i * TORNADO_MAX_DEFERRED_PER_ITER);
    }
    TN_OK_RC(tn_loop_remove_fd(loop, sv[0]));
    g_chain_left = 0;
    while (tn_loop_run_once(loop, 0) > 0) {}
    TN_OK_RC(tn_loop_free(loop));
    close(sv[0]);
    close(sv[1]);
}

static void never_cb(tn_loop *loop, void *user) {
    (void)loop;
    (void)user;
    TN_CHECK(!"the far timer fired");
}

TN_TEST(loop_max_poll_wait) {
    tn_loop *loop;
    tn_timer_id id;
    double t0, dt;
    int i;
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_OK_RC(tn_loop_call_later(loop, 10000, never_cb, NULL, &id));
    /* one wait ends at TORNADO_MAX_POLL_WAIT_MS though the nearest timer is 10 s away */
    for (i = 0; i < 3; i++) {
        t0 = tn_test_ms();
        TN_EQ_INT(tn_loop_run_once(loop, -1), 0);
        dt = tn_test_ms() - t0;
        TN_CHECKF(dt >= TORNADO_MAX_POLL_WAIT_MS - 10 && dt < 1000, "waited %.0f ms", dt);
    }
    /* and with nothing to wait for at all */
    TN_OK_RC(tn_loop_cancel(loop, id));
    t0 = tn_test_ms();
    TN_EQ_INT(tn_loop_run_once(loop, -1), 0);
    dt = tn_test_ms() - t0;
    TN_CHECKF(dt >= TORNADO_MAX_POLL_WAIT_MS - 10 && dt < 1000, "waited %.0f ms", dt);
    TN_OK_RC(tn_loop_free(loop));
}

/* ======================================================================================
   TCP: backlog, accept batch, connect timeout, happy eyeballs; resolver threads
   ====================================================================================== */

/* A non-blocking connect to 127.0.0.1:port; 1 if it completed within ms. (Linux only) */
TN_TEST_UNUSED static int try_connect(int port, int ms, int *fd_out) {
    struct sockaddr_in sa;
    struct pollfd p;
    int fd = socket(AF_INET, SOCK_STREAM, 0), err = 0;
    socklen_t el = sizeof err;
    TN_CHECK(fd >= 0);
    TN_CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(0x7f000001);
    *fd_out = fd;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) return 1;
    TN_CHECK(errno == EINPROGRESS);
    p.fd = fd;
    p.events = POLLOUT;
    if (poll(&p, 1, ms) <= 0) return 0;
    TN_CHECK(getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0);
    return err == 0;
}

/* A listening socket made with the default backlog that nobody accepts from, filled with
   `fill` connections (fds in out). */
static int blackhole(int *lfd, int *out, int fill) {
    tn_socket fds[2];
    size_t n = 0;
    tn_addr a;
    int i, port;
    TN_OK_RC(tn_bind_sockets("127.0.0.1", 0, NULL, fds, 2, &n));
    TN_EQ_UINT(n, 1);
    *lfd = fds[0];
    TN_OK_RC(tn_socket_local_addr(fds[0], &a));
    port = tn_addr_port(&a);
    for (i = 0; i < fill; i++) out[i] = cli_connect(port, 0);
    return port;
}

TN_TEST(tcp_backlog) {
#if defined(__linux__)
    int lfd, fds[3], port, i;
    /* Linux queues backlog + 1 finished handshakes: with TORNADO_BACKLOG 1, two connects
       complete (cli_connect blocks until they do) and a third is left waiting (its SYN is
       dropped while the queue is full) */
    port = blackhole(&lfd, fds, TORNADO_BACKLOG + 1);
    TN_EQ_INT(try_connect(port, 300, &fds[2]), 0);
    for (i = 0; i < 3; i++) close(fds[i]);
    tn_socket_close(lfd);
#else
    TN_SKIP("the accept queue length is observed on Linux only");
#endif
}

static int g_accepted;
static tn_stream *g_streams[4];

static void on_accept_count(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    (void)srv;
    (void)peer;
    (void)user;
    g_streams[g_accepted++] = s;
}

TN_TEST(tcp_accept_batch) {
    tn_loop *loop;
    tn_tcp_server *srv;
    int fds[2], port, i;
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_OK_RC(tn_tcp_server_new(loop, NULL, on_accept_count, NULL, &srv));
    TN_OK_RC(tn_tcp_server_listen(srv, "127.0.0.1", 0));
    port = tn_tcp_server_port(srv);
    g_accepted = 0;
    for (i = 0; i < 2; i++) fds[i] = cli_connect(port, 0);   /* both queued (backlog 1 holds 2) */
    /* one readiness event accepts TORNADO_ACCEPT_BATCH (1) of them */
    TN_CHECK(tn_loop_run_once(loop, 1000) >= 0);
    TN_EQ_INT(g_accepted, TORNADO_ACCEPT_BATCH);
    TN_CHECK(tn_loop_run_once(loop, 1000) >= 0);
    TN_EQ_INT(g_accepted, 2 * TORNADO_ACCEPT_BATCH);
    for (i = 0; i < g_accepted; i++) TN_OK_RC(tn_stream_close(g_streams[i], NULL, NULL));
    for (i = 0; i < 2; i++) close(fds[i]);
    TN_OK_RC(tn_tcp_server_close(srv, NULL, NULL));
    while (tn_loop_alive(loop) > 0) TN_CHECK(tn_loop_run_once(loop, 50) >= 0);
    TN_OK_RC(tn_loop_free(loop));
}

typedef struct cx_result {
    volatile int done;
    int status;
    int family;
    double at;
} cx_result;

static void on_connect(int status, tn_stream *s, void *user) {
    cx_result *r = (cx_result *)user;
    r->status = status;
    r->at = tn_test_ms();
    if (s) {
        tn_addr a;
        if (tn_stream_peer(s, &a) == TN_OK) r->family = tn_addr_family(&a);
        (void)tn_stream_close(s, NULL, NULL);
    }
    r->done = 1;
}

TN_TEST(tcp_connect_timeout) {
    tn_loop *loop;
    cx_result r;
    int lfd, fds[2], port, i;
    double t0;
    port = blackhole(&lfd, fds, TORNADO_BACKLOG + 1);   /* a full queue: SYNs are dropped */
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_loop_new(NULL, &loop));
    t0 = tn_test_ms();
    TN_OK_RC(tn_tcp_connect(loop, "127.0.0.1", port, NULL, on_connect, &r, NULL));
    TN_OK_RC(tn_loop_run_until(loop, &r.done, 5000));
    TN_EQ_RC(r.status, TN_ETIMEOUT);
    TN_CHECKF(r.at - t0 >= TORNADO_CONNECT_TIMEOUT_MS - 10 && r.at - t0 < TORNADO_CONNECT_TIMEOUT_MS + 800,
              "timed out after %.0f ms", r.at - t0);
    while (tn_loop_alive(loop) > 0) TN_CHECK(tn_loop_run_once(loop, 50) >= 0);
    TN_OK_RC(tn_loop_free(loop));
    for (i = 0; i < 2; i++) close(fds[i]);
    tn_socket_close(lfd);
}

TN_TEST(tcp_happy_eyeballs_delay) {
    tn_loop *loop;
    tn_resolver *res;
    tn_connect_opts o;
    tn_bind_opts bo;
    tn_socket v6;
    size_t n = 0;
    tn_addr a;
    cx_result r;
    char to[96];
    int lfd, fds[2], port, i;
    double t0;
    memset(&bo, 0, sizeof bo);
    bo.family = TN_AF_INET6;
    if (tn_bind_sockets("::1", 0, &bo, &v6, 1, &n) != TN_OK) TN_SKIP("no IPv6 loopback");
    TN_OK_RC(tn_socket_local_addr(v6, &a));
    /* the first family (IPv4) goes to a full queue and hangs; IPv6 must start after
       TORNADO_HAPPY_EYEBALLS_DELAY_MS and win, well before TORNADO_CONNECT_TIMEOUT_MS */
    port = blackhole(&lfd, fds, TORNADO_BACKLOG + 1);
    snprintf(to, sizeof to, "127.0.0.1:%d,[::1]:%d", port, tn_addr_port(&a));
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_OK_RC(tn_resolver_new(loop, NULL, &res));
    TN_OK_RC(tn_resolver_add_override(res, "dual", to));
    memset(&o, 0, sizeof o);
    o.resolver = res;   /* every limit stays the macro's */
    memset(&r, 0, sizeof r);
    t0 = tn_test_ms();
    TN_OK_RC(tn_tcp_connect(loop, "dual", 80, &o, on_connect, &r, NULL));
    TN_OK_RC(tn_loop_run_until(loop, &r.done, 5000));
    TN_OK_RC(r.status);
    TN_EQ_INT(r.family, TN_AF_INET6);
    TN_CHECKF(r.at - t0 >= TORNADO_HAPPY_EYEBALLS_DELAY_MS - 5 && r.at - t0 < TORNADO_CONNECT_TIMEOUT_MS,
              "connected after %.0f ms", r.at - t0);
    TN_OK_RC(tn_resolver_close(res, NULL, NULL));
    while (tn_loop_alive(loop) > 0) TN_CHECK(tn_loop_run_once(loop, 50) >= 0);
    TN_OK_RC(tn_loop_free(loop));
    for (i = 0; i < 2; i++) close(fds[i]);
    tn_socket_close(lfd);
    tn_socket_close(v6);
}

#if defined(__linux__)
static int thread_count(void) {
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;
    TN_CHECK(d != NULL);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}
#elif defined(_WIN32)
#include <tlhelp32.h>
/* this process's threads, from a Toolhelp snapshot */
static int thread_count(void) {
    HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPTHREAD, 0);
    THREADENTRY32 te;
    int n = 0;
    TN_CHECK(snap != INVALID_HANDLE_VALUE);
    te.dwSize = sizeof te;
    if (Thread32First(snap, &te)) {
        do {
            if (te.th32OwnerProcessID == GetCurrentProcessId()) n++;
            te.dwSize = sizeof te;
        } while (Thread32Next(snap, &te));
    }
    CloseHandle(snap);
    return n;
}
#endif

static void on_resolved(int status, const tn_addr *addrs, size_t n, void *user) {
    (void)addrs;
    (void)n;
    *(int *)user = status == TN_OK ? 1 : status;
}

TN_TEST(resolver_threads) {
#if defined(__linux__) || defined(_WIN32)
    tn_loop *loop;
    tn_resolver *res;
    tn_resolver_opts ro;
    volatile int done = 0;
    int before = thread_count();
    TN_OK_RC(tn_loop_new(NULL, &loop));
    memset(&ro, 0, sizeof ro);
    ro.kind = TN_RESOLVER_THREADED;   /* threads: 0 = TORNADO_RESOLVER_THREADS */
    TN_OK_RC(tn_resolver_new(loop, &ro, &res));
    TN_OK_RC(tn_resolve(loop, res, "localhost", 80, TN_AF_UNSPEC, on_resolved, (void *)&done, NULL));
    TN_OK_RC(tn_loop_run_until(loop, &done, 5000));
    TN_EQ_INT(done, 1);
    TN_EQ_INT(thread_count() - before, TORNADO_RESOLVER_THREADS);
    TN_OK_RC(tn_resolver_close(res, NULL, NULL));
    while (tn_loop_alive(loop) > 0) TN_CHECK(tn_loop_run_once(loop, 50) >= 0);
    TN_OK_RC(tn_loop_free(loop));
    TN_EQ_INT(thread_count(), before);
#else
    TN_SKIP("threads are counted in /proc/self/task (Linux) or a Toolhelp snapshot (Windows)");
#endif
}

/* An inflater with zeroed options stops at TORNADO_MAX_INFLATE_SIZE: a stream of exactly
   that many bytes decodes, one byte more is TN_ELIMIT with the first 100 bytes written. */
TN_TEST(inflate_output_cap) {
    char plain[101], packed[256], out[256];
    size_t plen, n;
    tn_inflate_opts io;
    memset(plain, 'z', sizeof plain);
    memset(&io, 0, sizeof io);
    TN_OK_RC(tn_deflate_once(NULL, plain, 100, packed, sizeof packed, &plen));
    TN_OK_RC(tn_inflate_once(&io, packed, plen, out, sizeof out, &n));
    TN_EQ_UINT(n, 100);
    TN_OK_RC(tn_deflate_once(NULL, plain, 101, packed, sizeof packed, &plen));
    TN_EQ_RC(tn_inflate_once(&io, packed, plen, out, sizeof out, &n), TN_ELIMIT);
}

/* A WebSocket parser with max_message_size 0 applies TORNADO_MAX_WS_MESSAGE: a 50-byte
   frame parses, a 51-byte one fails at its header (TN_EWS_TOO_BIG, close 1009). */
static int ws_frame_of(size_t n) {
    char buf[128];
    tn_ws_frame f;
    tn_ws_parser p;
    tn_ws_event ev;
    int hl, rc;
    memset(&f, 0, sizeof f);
    memset(&p, 0, sizeof p);
    f.fin = 1;
    f.opcode = TN_WS_BINARY;
    f.masked = 1;
    f.length = n;
    hl = tn_ws_write_header(buf, sizeof buf, &f);
    if (hl < 0) return hl;
    memset(buf + hl, 'x', n);   /* the mask is all zero: the payload stays as it is */
    rc = tn_ws_parse(&p, buf, (size_t)hl + n, &ev);
    return rc < 0 ? rc : TN_OK;
}

TN_TEST(ws_message_size) {
    TN_OK_RC(ws_frame_of(50));
    TN_EQ_RC(ws_frame_of(51), TN_EWS_TOO_BIG);
    TN_EQ_INT(tn_ws_error_close_code(TN_EWS_TOO_BIG), 1009);
}

/* The client's defaults are the macros: slots and pool lifetime as resolved options, and a
   fetch with zeroed timeouts to a server that never answers ends as a 599 "Timeout during
   request" after TORNADO_HTTP_CLIENT_TIMEOUT_MS (300 ms), not Tornado's 20 s. */
TN_TEST(http_client_defaults) {
    tn_loop *loop;
    tn_http_client *cl;
    tn_http_client_opts o;
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    tn_http_client_get_opts(cl, &o);
    TN_EQ_UINT(o.max_clients, TORNADO_HTTP_CLIENT_MAX_CLIENTS);
    TN_EQ_UINT(o.pool_idle_timeout_ms, TORNADO_HTTP_CLIENT_POOL_IDLE_MS);
    TN_OK_RC(tn_http_client_close(cl, NULL, NULL));
    tn_loop_run_once(loop, 0);
    TN_OK_RC(tn_loop_free(loop));
}

TN_TEST(http_client_timeout) {
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    tn_http_fetch_req req;
    tn_http_fetch_res *res = NULL;
    char url[64];
    uint64_t t0;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(0x7f000001);
    TN_CHECK(bind(lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(lfd, 8) == 0);
    TN_CHECK(getsockname(lfd, (struct sockaddr *)&sa, &sl) == 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(sa.sin_port));
    memset(&req, 0, sizeof req);
    req.url = url;   /* connected by the kernel's backlog, never answered */
    t0 = tn_time_ms();
    TN_OK_RC(tn_http_fetch_sync(&req, NULL, &res));
    TN_EQ_INT(res->code, 599);
    TN_EQ_RC(res->error, TN_ETIMEOUT);
    TN_CHECKF(tn_time_ms() - t0 >= 250 && tn_time_ms() - t0 < 5000, "took %llu ms",
              (unsigned long long)(tn_time_ms() - t0));
    tn_http_fetch_res_free(res);
    close(lfd);
}

/* ---- WebSocket connections: a raw server answers the client's handshake ---- */

typedef struct ws_raw { int lfd, extra_fields; } ws_raw;

/* Accept one connection, answer the upgrade (with extra_fields more header fields), then
   read and ignore everything until the client leaves. */
static void *ws_raw_server(void *u) {
    ws_raw *r = (ws_raw *)u;
    char buf[2048], acc[TN_WS_ACCEPT_SIZE + 1], out[512];
    const char *k;
    int fd = accept(r->lfd, NULL, NULL), i, n;
    long got = 0, m;
    if (fd < 0) return NULL;
    while (got < (long)sizeof buf - 1 && (m = recv(fd, buf + got, sizeof buf - 1 - (size_t)got, 0)) > 0) {
        got += m;
        buf[got] = 0;
        if (strstr(buf, "\r\n\r\n")) break;
    }
    k = strstr(buf, "Sec-WebSocket-Key: ");
    if (!k) {
        close(fd);
        return NULL;
    }
    tn_ws_accept_key(tn_str_make(k + 19, TN_WS_KEY_SIZE), acc);
    /* short: the head must fit TORNADO_MAX_HEADER_BYTES (128 here) */
    n = snprintf(out, sizeof out, "HTTP/1.1 101 X\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                  "Sec-WebSocket-Accept: %s\r\n", acc);
    for (i = 0; i < r->extra_fields; i++) n += snprintf(out + n, sizeof out - (size_t)n, "X-%d: y\r\n", i);
    n += snprintf(out + n, sizeof out - (size_t)n, "\r\n");
    (void)send(fd, out, (size_t)n, MSG_NOSIGNAL);
    while (recv(fd, buf, sizeof buf, 0) > 0) {}
    close(fd);
    return NULL;
}

static volatile int g_ws_done, g_ws_status, g_ws_closed, g_ws_code;
static double g_ws_close_at;
static void ws_lim_connected(tn_ws *ws, int status, int http_status, void *user) {
    (void)http_status;
    (void)user;
    g_ws_status = status;
    g_ws_done = 1;
    if (status == TN_OK) {
        g_ws_close_at = tn_test_ms();
        TN_OK_RC(tn_ws_close(ws, 1000, NULL, 0));   /* the raw server never answers it */
    }
}
static void ws_lim_closed(tn_ws *ws, int code, tn_str reason, void *user) {
    (void)ws;
    (void)reason;
    (void)user;
    g_ws_code = code;
    g_ws_closed = 1;
}

/* Connect to a raw server answering with `extra` more fields; returns the connect status
   and (when connected) how long the unanswered close took to end the connection. */
static int ws_client_run(int extra, double *close_ms) {
    tn_loop *loop;
    tn_ws_handler h;
    tn_ws_opts o;
    ws_raw r;
    pthread_t th;
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    char url[64];
    int i;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(0x7f000001);
    r.lfd = socket(AF_INET, SOCK_STREAM, 0);
    r.extra_fields = extra;
    TN_CHECK(bind(r.lfd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(r.lfd, 4) == 0);
    getsockname(r.lfd, (struct sockaddr *)&sa, &sl);
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/", ntohs(sa.sin_port));
    TN_CHECK(pthread_create(&th, NULL, ws_raw_server, &r) == 0);
    memset(&h, 0, sizeof h);
    memset(&o, 0, sizeof o);
    h.on_close = ws_lim_closed;
    o.connect.stream.max_buffer_size = 4096;   /* TORNADO_MAX_BUFFER_SIZE is 64 here */
    o.connect_timeout_ms = 2000;
    g_ws_done = g_ws_closed = 0;
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_OK_RC(tn_ws_connect(loop, url, &o, &h, ws_lim_connected, NULL, NULL));
    for (i = 0; i < 300 && !(g_ws_done && (g_ws_status != TN_OK || g_ws_closed)); i++) tn_loop_run_once(loop, 10);
    *close_ms = g_ws_closed ? tn_test_ms() - g_ws_close_at : -1;
    TN_OK_RC(tn_loop_free(loop));
    pthread_join(th, NULL);
    close(r.lfd);
    return g_ws_status;
}

/* A client reads at most TORNADO_WS_MAX_RESPONSE_HEADERS fields in the server's 101. */
TN_TEST(ws_response_headers) {
    double ms;
    TN_OK_RC(ws_client_run(1, &ms));      /* 4 fields */
    TN_EQ_RC(ws_client_run(2, &ms), TN_EWS_HANDSHAKE);
}

/* An unanswered close frame ends the connection after TORNADO_WS_CLOSE_TIMEOUT_MS. */
TN_TEST(ws_close_timeout) {
    double ms;
    TN_OK_RC(ws_client_run(0, &ms));
    TN_EQ_INT(g_ws_code, 1006);
    TN_CHECKF(ms >= 140 && ms < 1000, "closed after %.0f ms", ms);
}

/* ping_timeout 0 resolves to max(3 * ping_interval, TORNADO_WS_PING_TIMEOUT_MS). */
static tn_ws *g_ws_opts_ws;
static void ws_opts_connected(tn_ws *ws, int status, int http_status, void *user) {
    (void)status;
    (void)http_status;
    (void)user;
    g_ws_opts_ws = ws;
}
TN_TEST(ws_ping_timeout) {
    tn_loop *loop;
    tn_ws_handler h;
    tn_ws_opts o, got;
    tn_ws *ws;
    int i;
    memset(&h, 0, sizeof h);
    TN_OK_RC(tn_loop_new(NULL, &loop));
    for (i = 0; i < 2; i++) {
        memset(&o, 0, sizeof o);
        o.ping_interval_ms = i == 0 ? 66 : 67;
        TN_OK_RC(tn_ws_connect(loop, "ws://127.0.0.1:1/", &o, &h, ws_opts_connected, NULL, &ws));
        tn_ws_get_opts(ws, &got);
        TN_EQ_UINT(got.ping_timeout_ms, i == 0 ? 200 : 201);
        TN_EQ_UINT(got.close_timeout_ms, 150);
        TN_OK_RC(tn_ws_abort(ws));
        while (tn_loop_alive(loop) > 0) tn_loop_run_once(loop, 10);
    }
    TN_OK_RC(tn_loop_free(loop));
}

TN_TESTS(
    TN_CASE(http_client_defaults),
    TN_CASE(http_client_timeout),
    TN_CASE(inflate_output_cap),
    TN_CASE(ws_message_size), TN_CASE(ws_response_headers), TN_CASE(ws_close_timeout), TN_CASE(ws_ping_timeout),
    TN_CASE(http_header_bytes), TN_CASE(http_header_count), TN_CASE(http_target_length),
         TN_CASE(http_body_length), TN_CASE(http_gzip_min_length), TN_CASE(http_body_chunked), TN_CASE(http_chunk_line),
         TN_CASE(http_trailer_bytes), TN_CASE(chunked_decoder_codes), TN_CASE(request_parser_codes),
         TN_CASE(http_idle_timeout), TN_CASE(http_header_timeout), TN_CASE(web_captures),
         TN_CASE(web_query_pairs), TN_CASE(multipart_parts_and_header_bytes), TN_CASE(web_multipart),
         TN_CASE(web_static_ranges), TN_CASE(router_captures), TN_CASE(query_pairs), TN_CASE(url_bytes),
         TN_CASE(range_count), TN_CASE(stream_opts_resolved), TN_CASE(stream_read_bytes_limit),
         TN_CASE(stream_read_until_limit), TN_CASE(stream_read_until_close_limit),
         TN_CASE(stream_write_buffer_limit), TN_CASE(loop_deferred_per_iter),
         TN_CASE(loop_deferred_no_starvation), TN_CASE(loop_max_poll_wait), TN_CASE(tcp_backlog),
         TN_CASE(tcp_accept_batch), TN_CASE(tcp_connect_timeout), TN_CASE(tcp_happy_eyeballs_delay),
         TN_CASE(resolver_threads))
