/* test_http_gzip.c: the HTTP server's gzip: compress_response (Tornado's type list, the
   minimum length, Accept-Encoding q-values, the statuses and encodings left alone, Vary
   merged, a weak ETag, streamed responses flushed chunk by chunk, the compressor's memory)
   and decompress_request (whole, chunked and streamed bodies; a bomb is 413 at
   max_body_size, corrupt or truncated gzip 400), over real sockets on 127.0.0.1. zlib (when
   zlib1g-dev is there) is the oracle that decodes our output and encodes the request
   bodies; curl --compressed and Python Tornado's client read our gzip. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include "tn_test_client.h"
#include <pthread.h>

#if defined(__has_include)
#  if __has_include(<zlib.h>)
#    include <zlib.h>
#    define HAVE_ZLIB 1
#  endif
#endif
#ifndef HAVE_ZLIB
#  define HAVE_ZLIB 0
#endif

/* ---- gzip both ways: zlib when it is there, else our own codec (tested against zlib in
   test_deflate) ---- */
static size_t gunzip(const void *in, size_t n, char *out, size_t cap) {
#if HAVE_ZLIB
    z_stream z;
    int rc;
    memset(&z, 0, sizeof z);
    TN_CHECK(inflateInit2(&z, 16 + 15) == Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    rc = inflate(&z, Z_FINISH);
    TN_CHECKF(rc == Z_STREAM_END, "zlib inflate: %d", rc);
    TN_EQ_UINT(z.avail_in, 0);
    n = (size_t)z.total_out;
    inflateEnd(&z);
    return n;
#else
    tn_inflate_opts o;
    size_t len;
    memset(&o, 0, sizeof o);
    o.format = TN_DEFLATE_GZIP;
    TN_OK_RC(tn_inflate_once(&o, in, n, out, cap, &len));
    return len;
#endif
}

static size_t gzip_bytes(const void *in, size_t n, char *out, size_t cap) {
#if HAVE_ZLIB
    z_stream z;
    memset(&z, 0, sizeof z);
    TN_CHECK(deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 9, Z_DEFAULT_STRATEGY) == Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    TN_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
    n = (size_t)z.total_out;
    deflateEnd(&z);
    return n;
#else
    tn_deflate_opts o;
    size_t len;
    memset(&o, 0, sizeof o);
    o.format = TN_DEFLATE_GZIP;
    o.level = 9;
    TN_OK_RC(tn_deflate_once(&o, in, n, out, cap, &len));
    return len;
#endif
}

/* Text that compresses: numbered lines. */
static void fill_text(char *p, size_t n) {
    size_t i = 0;
    int line = 0;
    while (i < n) {
        char tmp[64];
        int k = snprintf(tmp, sizeof tmp, "line %d of the gzip test text\n", line++);
        size_t take = (size_t)k < n - i ? (size_t)k : n - i;
        memcpy(p + i, tmp, take);
        i += take;
    }
}

/* ---- the server under test ---- */
typedef struct server {
    tn_loop *loop;
    tn_http_server *srv;
    pthread_t th;
    int port;
    tn_request *held;          /* /chunks: the streamed response waiting for its second part */
    uint64_t streamed;         /* /upload: decoded bytes the body callback saw */
    volatile int stream_status;
    volatile int stream_done;
} server;

static char g_text[16384];

static void second_part(tn_loop *loop, void *user) {
    server *s = (server *)user;
    (void)loop;
    TN_OK_RC(tn_response_write(s->held, "and the second part, later\n", 27, NULL, NULL));
    TN_OK_RC(tn_response_finish(s->held));
    s->held = NULL;
}

/* The request's headers steer the answer: X-Type, X-Len, X-Status, X-Vary, X-ETag, X-CE. */
static void handler(tn_request *req, void *user) {
    server *s = (server *)user;
    tn_str path = tn_request_path(req), v;
    char type[128] = "text/html; charset=UTF-8", tmp[128];
    size_t len = 2000;
    int status = 200;
    if (tn_request_header(req, "X-Type", &v) == TN_OK) snprintf(type, sizeof type, "%.*s", (int)v.len, v.ptr);
    if (tn_request_header(req, "X-Len", &v) == TN_OK) len = (size_t)atol(v.ptr);
    if (tn_request_header(req, "X-Status", &v) == TN_OK) status = atoi(v.ptr);
    if (tn_request_header(req, "X-Vary", &v) == TN_OK) {
        snprintf(tmp, sizeof tmp, "%.*s", (int)v.len, v.ptr);
        TN_OK_RC(tn_response_set_header(req, "Vary", tmp));
    }
    if (tn_request_header(req, "X-ETag", &v) == TN_OK) {
        snprintf(tmp, sizeof tmp, "%.*s", (int)v.len, v.ptr);
        TN_OK_RC(tn_response_set_header(req, "ETag", tmp));
    }
    if (tn_request_header(req, "X-CE", &v) == TN_OK) {
        snprintf(tmp, sizeof tmp, "%.*s", (int)v.len, v.ptr);
        TN_OK_RC(tn_response_set_header(req, "Content-Encoding", tmp));
    }
    if (tn_str_eq_c(path, "/chunks")) {   /* a first part now, the second 400 ms later */
        TN_OK_RC(tn_response_set_header(req, "Content-Type", type));
        TN_OK_RC(tn_response_start(req, 200, -1));
        TN_OK_RC(tn_response_write(req, "the first part, at once\n", 24, NULL, NULL));
        s->held = req;
        TN_OK_RC(tn_loop_call_later(s->loop, 400, second_part, s, NULL));
    } else if (tn_str_eq_c(path, "/fixed")) {   /* streamed with a known length: as is */
        TN_OK_RC(tn_response_set_header(req, "Content-Type", type));
        TN_OK_RC(tn_response_start(req, 200, (int64_t)len));
        TN_OK_RC(tn_response_write(req, g_text, len, NULL, NULL));
        TN_OK_RC(tn_response_finish(req));
    } else if (tn_str_eq_c(path, "/echo")) {
        tn_str body = tn_request_body(req), ce, cce;
        char *out = (char *)malloc(body.len + 128);
        int n;
        if (tn_request_header(req, "Content-Encoding", &ce) != TN_OK) ce = tn_str_c("-");
        if (tn_request_header(req, "X-Consumed-Content-Encoding", &cce) != TN_OK) cce = tn_str_c("-");
        n = snprintf(out, 128, "%lu %.*s %.*s\n", (unsigned long)body.len, (int)ce.len, ce.ptr, (int)cce.len, cce.ptr);
        memcpy(out + n, body.ptr, body.len);
        TN_OK_RC(tn_respond(req, 200, "application/octet-stream", out, (size_t)n + body.len));
        free(out);
    } else {
        TN_OK_RC(tn_respond(req, status, type, g_text, len));
    }
}

static void on_body(tn_request *req, int status, tn_str data, void *user) {
    server *s = (server *)user;
    char buf[64];
    int n;
    if (status == TN_MORE) {
        s->streamed += data.len;
        return;
    }
    s->stream_status = status;
    s->stream_done = 1;
    if (status != TN_OK) return;
    n = snprintf(buf, sizeof buf, "streamed %lu", (unsigned long)s->streamed);
    tn_respond(req, 200, "text/plain", buf, (size_t)n);
}

static void on_headers(tn_request *req, void *user) {
    server *s = (server *)user;
    if (tn_str_eq_c(tn_request_path(req), "/upload")) {
        s->streamed = 0;
        TN_OK_RC(tn_request_stream_body(req, on_body, s));
    }
}

static void *server_thread(void *u) {
    tn_loop_run(((server *)u)->loop);
    return NULL;
}

static server *start_server(const tn_http_server_opts *o_in, counting_alloc *ca) {
    server *s = (server *)calloc(1, sizeof *s);
    tn_http_server_opts o;
    tn_loop_opts lo;
    memset(&o, 0, sizeof o);
    if (o_in) o = *o_in;
    o.on_headers = on_headers;
    memset(&lo, 0, sizeof lo);
    if (ca) lo.allocator = tn_test_counting(ca);
    TN_OK_RC(tn_loop_new(&lo, &s->loop));
    TN_OK_RC(tn_http_server_new(s->loop, &o, handler, s, &s->srv));
    TN_OK_RC(tn_http_server_listen(s->srv, "127.0.0.1", 0));
    s->port = tn_http_server_port(s->srv);
    if (!g_text[0]) fill_text(g_text, sizeof g_text);
    TN_CHECK(pthread_create(&s->th, NULL, server_thread, s) == 0);
    return s;
}

static void on_srv_closed(tn_loop *loop, void *user) {
    (void)user;
    tn_loop_stop(loop);
}
static void close_srv(tn_loop *loop, void *user) {
    (void)loop;
    TN_OK_RC(tn_http_server_close(((server *)user)->srv, 2000, on_srv_closed, user));
}
static void stop_server(server *s) {
    TN_OK_RC(tn_loop_post(s->loop, close_srv, s));
    TN_CHECK(pthread_join(s->th, NULL) == 0);
    TN_OK_RC(tn_loop_free(s->loop));
    free(s);
}

static server *gzip_server(void) {
    tn_http_server_opts o;
    memset(&o, 0, sizeof o);
    o.compress_response = 1;
    o.gzip = tn_http_gzip();
    return start_server(&o, NULL);
}

/* One request (extra header lines in hdrs, each ending in \r\n) on a fresh connection. */
static void get(int port, const char *method, const char *path, const char *hdrs, cli_resp *r) {
    char req[2048];
    static char buf[65536];
    int fd = cli_connect(port, 0), closed;
    size_t n;
    snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: x\r\n%s\r\n", method, path, hdrs);
    cli_sends(fd, req);
    n = cli_recv_resp(fd, buf, sizeof buf, 5000, &closed, 1, strcmp(method, "HEAD") == 0);
    close(fd);
    TN_CHECK(cli_parse_resp(buf, n, strcmp(method, "HEAD") == 0, closed, r) > 0);
}

/* The response is gzip of the first len bytes of g_text. */
static void check_gzipped(const cli_resp *r, size_t len) {
    static char out[32768];
    const char *ce = cli_hdr(r, "Content-Encoding");
    TN_CHECK(ce && strcmp(ce, "gzip") == 0);
    TN_CHECK(r->blen < len);   /* it did compress */
    TN_EQ_UINT(gunzip(r->body, r->blen, out, sizeof out), len);
    TN_EQ_MEM(out, g_text, len);
}

static int is_plain(const cli_resp *r, size_t len) {
    return cli_hdr(r, "Content-Encoding") == NULL && r->blen == len && memcmp(r->body, g_text, len) == 0;
}

/* ---- compress_response ---- */
TN_TEST(gzip_types_and_min_length) {
    server *s = gzip_server();
    cli_resp r;
    static const char *const yes[] = { "text/html", "text/plain; charset=utf-8", "TEXT/CSS", "application/json",
                                       "application/javascript", "application/x-javascript", "application/xml",
                                       "application/atom+xml", "application/xhtml+xml", "image/svg+xml",
                                       "application/vnd.api+json", "application/rss+xml" };
    static const char *const no[] = { "image/png", "application/octet-stream", "application/pdf",
                                      "application/jsonx", "video/mp4", "textual/x" };
    char h[256];
    size_t i;
    for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        snprintf(h, sizeof h, "Accept-Encoding: gzip\r\nX-Type: %s\r\n", yes[i]);
        get(s->port, "GET", "/", h, &r);
        TN_EQ_INT(r.status, 200);
        check_gzipped(&r, 2000);
        TN_EQ_UINT((uint64_t)atol(cli_hdr(&r, "Content-Length")), r.blen);
        TN_EQ_STR(cli_hdr(&r, "Vary"), "Accept-Encoding");
    }
    for (i = 0; i < sizeof no / sizeof no[0]; i++) {
        snprintf(h, sizeof h, "Accept-Encoding: gzip\r\nX-Type: %s\r\n", no[i]);
        get(s->port, "GET", "/", h, &r);
        TN_CHECKF(is_plain(&r, 2000), "%s", no[i]);
        TN_CHECK(cli_hdr(&r, "Vary") == NULL);
    }
    /* MIN_LENGTH 1024: one byte under is sent as is, the length itself is compressed */
    get(s->port, "GET", "/", "Accept-Encoding: gzip\r\nX-Len: 1023\r\n", &r);
    TN_CHECK(is_plain(&r, 1023));
    get(s->port, "GET", "/", "Accept-Encoding: gzip\r\nX-Len: 1024\r\n", &r);
    check_gzipped(&r, 1024);
    /* a big one (several deflate blocks) */
    get(s->port, "GET", "/", "Accept-Encoding: gzip\r\nX-Len: 16000\r\n", &r);
    check_gzipped(&r, 16000);
    stop_server(s);
}

TN_TEST(gzip_accept_encoding_q_values) {
    server *s = gzip_server();
    cli_resp r;
    static const char *const yes[] = { "gzip", "GZIP", "deflate, gzip", "gzip;q=0.5", "br;q=1.0, gzip;q=0.001",
                                       "*", "*;q=0.1", "x-gzip", "identity, *;q=1", "*;q=0, gzip",
                                       " gzip ; q=1 , br", "gzip;q=1.000" };
    static const char *const no[] = { "gzip;q=0", "gzip; q=0.000", "GZIP;Q=0", "identity", "br, deflate",
                                      "*;q=0", "gzip;q=0, *", "", "gzipx", "gzip;q=2", "gzip;q=0.0000" };
    char h[256];
    size_t i;
    for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        snprintf(h, sizeof h, "Accept-Encoding: %s\r\n", yes[i]);
        get(s->port, "GET", "/", h, &r);
        TN_CHECKF(cli_hdr(&r, "Content-Encoding") != NULL, "'%s' should accept gzip", yes[i]);
        check_gzipped(&r, 2000);
    }
    for (i = 0; i < sizeof no / sizeof no[0]; i++) {
        snprintf(h, sizeof h, "Accept-Encoding: %s\r\n", no[i]);
        get(s->port, "GET", "/", h, &r);
        TN_CHECKF(is_plain(&r, 2000), "'%s' should refuse gzip", no[i]);
    }
    get(s->port, "GET", "/", "", &r);   /* no Accept-Encoding at all */
    TN_CHECK(is_plain(&r, 2000));
    /* the pure function */
    TN_EQ_INT(tn_http_accepts_coding(tn_str_c("gzip;q=0.8, deflate"), "deflate"), 1);
    TN_EQ_INT(tn_http_accepts_coding(tn_str_c("gzip;q=0.8, deflate;q=0"), "deflate"), 0);
    TN_EQ_INT(tn_http_compressible_type(tn_str_c(" text/html ; charset=x")), 1);
    TN_EQ_INT(tn_http_compressible_type(tn_str_c("text/")), 0);
    stop_server(s);
}

TN_TEST(gzip_statuses_encodings_vary_etag_head) {
    server *s = gzip_server();
    cli_resp r, h;
    /* 206, 204, 304 and an already encoded body go as they are */
    get(s->port, "GET", "/", "Accept-Encoding: gzip\r\nX-Status: 206\r\n", &r);
    TN_EQ_INT(r.status, 206);
    TN_CHECK(is_plain(&r, 2000));
    get(s->port, "GET", "/", "Accept-Encoding: gzip\r\nX-Status: 304\r\nX-Len: 0\r\n", &r);
    TN_EQ_INT(r.status, 304);
    TN_CHECK(cli_hdr(&r, "Content-Encoding") == NULL);
    get(s->port, "GET", "/", "Accept-Encoding: gzip\r\nX-Status: 204\r\nX-Len: 0\r\n", &r);
    TN_EQ_INT(r.status, 204);
    TN_CHECK(cli_hdr(&r, "Content-Encoding") == NULL);
    get(s->port, "GET", "/", "Accept-Encoding: gzip\r\nX-CE: br\r\n", &r);
    TN_EQ_STR(cli_hdr(&r, "Content-Encoding"), "br");
    TN_EQ_UINT(r.blen, 2000);
    TN_CHECK(cli_hdr_n(&r, "Content-Encoding", 1) == NULL);
    /* other statuses with a body are compressed (an error page too) */
    get(s->port, "GET", "/", "Accept-Encoding: gzip\r\nX-Status: 404\r\n", &r);
    TN_EQ_INT(r.status, 404);
    check_gzipped(&r, 2000);
    /* Vary merged with the handler's; not repeated when it is there */
    get(s->port, "GET", "/", "Accept-Encoding: gzip\r\nX-Vary: Cookie\r\n", &r);
    check_gzipped(&r, 2000);
    TN_EQ_STR(cli_hdr(&r, "Vary"), "Cookie, Accept-Encoding");
    TN_CHECK(cli_hdr_n(&r, "Vary", 1) == NULL);
    get(s->port, "GET", "/", "Accept-Encoding: gzip\r\nX-Vary: accept-encoding, Origin\r\n", &r);
    check_gzipped(&r, 2000);
    TN_EQ_STR(cli_hdr(&r, "Vary"), "accept-encoding, Origin");
    TN_CHECK(cli_hdr_n(&r, "Vary", 1) == NULL);
    /* a strong ETag becomes weak (the gzip bytes are another representation); weak stays */
    get(s->port, "GET", "/", "Accept-Encoding: gzip\r\nX-ETag: \"abc\"\r\n", &r);
    TN_EQ_STR(cli_hdr(&r, "ETag"), "W/\"abc\"");
    get(s->port, "GET", "/", "Accept-Encoding: gzip\r\nX-ETag: W/\"abc\"\r\n", &r);
    TN_EQ_STR(cli_hdr(&r, "ETag"), "W/\"abc\"");
    get(s->port, "GET", "/", "X-ETag: \"abc\"\r\n", &r);   /* not compressed: unchanged */
    TN_EQ_STR(cli_hdr(&r, "ETag"), "\"abc\"");
    /* HEAD: the same head as GET (the compressed length), no body */
    get(s->port, "GET", "/", "Accept-Encoding: gzip\r\n", &r);
    get(s->port, "HEAD", "/", "Accept-Encoding: gzip\r\n", &h);
    TN_EQ_STR(cli_hdr(&h, "Content-Encoding"), "gzip");
    TN_EQ_STR(cli_hdr(&h, "Content-Length"), cli_hdr(&r, "Content-Length"));
    TN_EQ_UINT(h.blen, 0);
    /* off by default */
    stop_server(s);
    s = start_server(NULL, NULL);
    get(s->port, "GET", "/", "Accept-Encoding: gzip\r\n", &r);
    TN_CHECK(is_plain(&r, 2000));
    stop_server(s);
}

/* A streamed response: chunked gzip, each write flushed: the first part decodes before the
   second is even written. */
TN_TEST(gzip_streamed_chunks_arrive_incrementally) {
    counting_alloc ca;
    tn_http_server_opts o;
    server *s;
    char buf[8192], out[4096];
    int fd, closed;
    size_t n, len;
    tn_http_response p;
    tn_http_header hh[CLI_MAX_HEADERS];
    tn_http_chunked dec;
    tn_inflater *inf;
    tn_inflate_opts io;
    size_t used, made, total = 0;
    long k;
    int rc, head;
    memset(&ca, 0, sizeof ca);
    memset(&o, 0, sizeof o);
    o.compress_response = 1;
    o.gzip = tn_http_gzip();
    o.compress_window_bits = 12;
    s = start_server(&o, &ca);
    fd = cli_connect(s->port, 0);
    cli_sends(fd, "GET /chunks HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
    /* read until the head and the first chunk's data are in, well before the 400 ms */
    len = 0;
    for (;;) {
        k = cli_recv_some(fd, buf + len, sizeof buf - 1 - len, 300);
        TN_CHECKF(k > 0, "the first part was held back");
        len += (size_t)k;
        head = cli_parse_head(buf, len, 0, &p, hh);
        if (head > 0) {
            size_t l = len - (size_t)head;
            char copy[8192];
            memset(&dec, 0, sizeof dec);
            memcpy(copy, buf + head, l);
            (void)tn_http_decode_chunked(&dec, copy, &l);
            if (l > 0) {
                memset(&io, 0, sizeof io);
                io.format = TN_DEFLATE_GZIP;
                TN_OK_RC(tn_inflater_new(&io, &inf));
                rc = tn_inflate(inf, copy, l, &used, out, sizeof out, &made);
                TN_EQ_RC(rc, TN_OK);   /* not the end yet */
                TN_EQ_UINT(made, 24);
                TN_EQ_MEM(out, "the first part, at once\n", 24);
                total = made;
                tn_inflater_free(inf);
                break;
            }
        }
    }
    TN_EQ_INT(p.status, 200);
    TN_EQ_INT(p.body_kind, TN_HTTP_BODY_CHUNKED);
    {
        const tn_http_header *ce = cli_find_hdr(hh, p.num_headers, "Content-Encoding", 0);
        TN_CHECK(ce && tn_str_eq_c(ce->value, "gzip"));
        TN_CHECK(cli_find_hdr(hh, p.num_headers, "Content-Length", 0) == NULL);
    }
    /* the whole answer decodes to both parts, with a valid gzip trailer */
    while (cli_complete_responses(buf, len, 0) < 1) {
        k = cli_recv_some(fd, buf + len, sizeof buf - 1 - len, 3000);
        TN_CHECK(k > 0);
        len += (size_t)k;
    }
    {
        cli_resp r;
        TN_CHECK(cli_parse_resp(buf, len, 0, 0, &r) > 0);
        n = gunzip(r.body, r.blen, out, sizeof out);
        TN_EQ_UINT(n, 51);
        TN_EQ_MEM(out, "the first part, at once\nand the second part, later\n", 51);
    }
    (void)total;
    /* the same connection serves on (keep-alive), and the compressor is gone */
    cli_sends(fd, "GET /fixed HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nX-Len: 3000\r\n\r\n");
    n = cli_recv_resp(fd, buf, sizeof buf, 3000, &closed, 1, 0);
    {
        cli_resp r;
        TN_CHECK(cli_parse_resp(buf, n, 0, 0, &r) > 0);
        TN_CHECK(is_plain(&r, 3000));   /* a known length: not compressed */
    }
    close(fd);
    stop_server(s);
    TN_EQ_INT(ca.live, 0);
}

/* HTTP/1.0: no chunks, the gzip body ends with the connection. */
TN_TEST(gzip_streamed_http10) {
    server *s = gzip_server();
    char buf[8192], out[1024];
    int fd = cli_connect(s->port, 0), closed;
    size_t n;
    cli_resp r;
    cli_sends(fd, "GET /chunks HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n");
    n = cli_recv(fd, buf, sizeof buf, 3000, &closed);
    close(fd);
    TN_CHECK(closed);
    TN_CHECK(cli_parse_resp(buf, n, 0, 1, &r) > 0);
    TN_EQ_STR(cli_hdr(&r, "Content-Encoding"), "gzip");
    TN_EQ_UINT(gunzip(r.body, r.blen, out, sizeof out), 51);
    stop_server(s);
}

/* Memory: nothing of the compressor stays once a whole response is out; idle connections
   are unchanged by the option (test_http_server measures them). */
TN_TEST(gzip_whole_response_memory_released) {
    counting_alloc ca;
    tn_http_server_opts o;
    server *s;
    cli_resp r;
    int i;
    memset(&ca, 0, sizeof ca);
    memset(&o, 0, sizeof o);
    o.compress_response = 1;
    o.gzip = tn_http_gzip();
    o.compress_level = 1;
    s = start_server(&o, &ca);
    for (i = 0; i < 5; i++) {
        get(s->port, "GET", "/", "Accept-Encoding: gzip\r\nX-Len: 16000\r\n", &r);
        check_gzipped(&r, 16000);
    }
    stop_server(s);
    TN_EQ_INT(ca.live, 0);
    /* bad options are refused */
    {
        tn_loop *loop;
        tn_http_server *srv;
        TN_OK_RC(tn_loop_new(NULL, &loop));
        o.compress_level = 10;
        TN_EQ_RC(tn_http_server_new(loop, &o, handler, NULL, &srv), TN_EINVAL);
        o.compress_level = 0;
        o.compress_window_bits = 8;
        TN_EQ_RC(tn_http_server_new(loop, &o, handler, NULL, &srv), TN_EINVAL);
        o.compress_window_bits = 0;   /* the options without the codec (opts.gzip) */
        o.gzip = NULL;
        TN_EQ_RC(tn_http_server_new(loop, &o, handler, NULL, &srv), TN_EINVAL);
        o.compress_response = 0;
        o.decompress_request = 1;
        TN_EQ_RC(tn_http_server_new(loop, &o, handler, NULL, &srv), TN_EINVAL);
        o.gzip = tn_http_gzip();
        TN_OK_RC(tn_http_server_new(loop, &o, handler, NULL, &srv));
        TN_OK_RC(tn_http_server_close(srv, 0, NULL, NULL));
        TN_OK_RC(tn_loop_free(loop));
    }
}

/* ---- decompress_request ---- */
static server *gunzip_server(uint64_t max_body) {
    tn_http_server_opts o;
    memset(&o, 0, sizeof o);
    o.decompress_request = 1;
    o.gzip = tn_http_gzip();
    o.max_body_size = max_body;
    return start_server(&o, NULL);
}

/* POST body (len bytes) with extra headers; chunked: in 3 chunks. The response in r. */
static void post(int port, const char *path, const char *hdrs, const char *body, size_t len, int chunked, cli_resp *r) {
    static char buf[65536];
    char head[1024];
    int fd = cli_connect(port, 0), closed;
    size_t n;
    if (chunked) {
        size_t a = len / 3, b = 2 * len / 3;
        snprintf(head, sizeof head, "POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n%s\r\n", path, hdrs);
        cli_sends(fd, head);
        snprintf(head, sizeof head, "%lx\r\n", (unsigned long)a);
        cli_sends(fd, head);
        cli_send_lenient(fd, body, a);
        snprintf(head, sizeof head, "\r\n%lx\r\n", (unsigned long)(b - a));
        cli_sends(fd, head);
        cli_send_lenient(fd, body + a, b - a);
        snprintf(head, sizeof head, "\r\n%lx\r\n", (unsigned long)(len - b));
        cli_sends(fd, head);
        cli_send_lenient(fd, body + b, len - b);
        cli_send_lenient(fd, "\r\n0\r\n\r\n", 7);
    } else {
        snprintf(head, sizeof head, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %lu\r\n%s\r\n", path,
                 (unsigned long)len, hdrs);
        cli_sends(fd, head);
        cli_send_lenient(fd, body, len);
    }
    n = cli_recv_resp(fd, buf, sizeof buf, 5000, &closed, 1, 0);
    close(fd);
    memset(r, 0, sizeof *r);
    TN_CHECKF(cli_parse_resp(buf, n, 0, closed, r) > 0, "%s: %lu bytes: %.200s", path, (unsigned long)n, buf);
}

TN_TEST(decompress_request_whole_and_chunked) {
    server *s = gunzip_server(64 * 1024);
    static char gz[65536], two[65536];
    size_t n, m;
    cli_resp r;
    char expect[64];
    n = gzip_bytes(g_text, 10000, gz, sizeof gz);
    TN_CHECK(n < 2000);
    post(s->port, "/echo", "Content-Encoding: gzip\r\n", gz, n, 0, &r);
    TN_EQ_INT(r.status, 200);
    snprintf(expect, sizeof expect, "10000 - gzip\n");
    TN_EQ_MEM(r.body, expect, strlen(expect));
    TN_EQ_MEM(r.body + strlen(expect), g_text, 10000);
    post(s->port, "/echo", "Content-Encoding: GZIP\r\n", gz, n, 1, &r);   /* chunked framing */
    TN_EQ_INT(r.status, 200);
    TN_EQ_MEM(r.body, "10000 - GZIP\n", 13);
    TN_EQ_MEM(r.body + 13, g_text, 10000);
    /* two gzip members one after the other decode as one body */
    memcpy(two, gz, n);
    m = gzip_bytes(g_text, 500, two + n, sizeof two - n);
    post(s->port, "/echo", "Content-Encoding: gzip\r\n", two, n + m, 0, &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_MEM(r.body, "10500 - gzip\n", 13);
    /* other encodings, and plain bodies, pass as they are */
    post(s->port, "/echo", "Content-Encoding: br\r\n", gz, n, 0, &r);
    TN_EQ_INT(r.status, 200);
    snprintf(expect, sizeof expect, "%lu br -\n", (unsigned long)n);
    TN_EQ_MEM(r.body, expect, strlen(expect));
    post(s->port, "/echo", "", "plain", 5, 0, &r);
    TN_EQ_MEM(r.body, "5 - -\nplain", 11);
    stop_server(s);
    /* the option off: the gzip bytes reach the handler untouched */
    s = start_server(NULL, NULL);
    post(s->port, "/echo", "Content-Encoding: gzip\r\n", gz, n, 0, &r);
    snprintf(expect, sizeof expect, "%lu gzip -\n", (unsigned long)n);
    TN_EQ_MEM(r.body, expect, strlen(expect));
    TN_EQ_MEM(r.body + strlen(expect), gz, n);
    stop_server(s);
}

TN_TEST(decompress_request_bomb_corrupt_truncated) {
    server *s = gunzip_server(12000);
    char *zeros = (char *)calloc(1, 4u << 20);
    static char gz[65536], bad[65536];
    size_t n;
    cli_resp r;
    /* 4 MiB of zeros in about 4 KiB: over max_body_size once decoded */
    n = gzip_bytes(zeros, 4u << 20, gz, sizeof gz);
    TN_CHECK(n < 8192);
    post(s->port, "/echo", "Content-Encoding: gzip\r\n", gz, n, 0, &r);
    TN_EQ_INT(r.status, 413);
    post(s->port, "/echo", "Content-Encoding: gzip\r\n", gz, n, 1, &r);
    TN_EQ_INT(r.status, 413);
    /* exactly at the limit passes */
    n = gzip_bytes(zeros, 12000, gz, sizeof gz);
    post(s->port, "/echo", "Content-Encoding: gzip\r\n", gz, n, 0, &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_MEM(r.body, "12000 - gzip\n", 13);
    n = gzip_bytes(zeros, 12001, gz, sizeof gz);
    post(s->port, "/echo", "Content-Encoding: gzip\r\n", gz, n, 0, &r);
    TN_EQ_INT(r.status, 413);
    /* corrupt: a flipped byte in the deflate data, a bad CRC, not gzip at all; truncated */
    n = gzip_bytes(g_text, 10000, gz, sizeof gz);
    memcpy(bad, gz, n);
    bad[n / 2] ^= 0x55;
    post(s->port, "/echo", "Content-Encoding: gzip\r\n", bad, n, 0, &r);
    TN_EQ_INT(r.status, 400);
    memcpy(bad, gz, n);
    bad[n - 6] ^= 1;   /* CRC-32 */
    post(s->port, "/echo", "Content-Encoding: gzip\r\n", bad, n, 0, &r);
    TN_EQ_INT(r.status, 400);
    post(s->port, "/echo", "Content-Encoding: gzip\r\n", "not gzip at all", 15, 0, &r);
    TN_EQ_INT(r.status, 400);
    post(s->port, "/echo", "Content-Encoding: gzip\r\n", gz, n - 10, 0, &r);
    TN_EQ_INT(r.status, 400);
    /* the server is fine afterwards */
    post(s->port, "/echo", "Content-Encoding: gzip\r\n", gz, n, 0, &r);
    TN_EQ_INT(r.status, 200);
    free(zeros);
    stop_server(s);
}

static void wait_done(server *s) {
    uint64_t end = tn_time_ms() + 3000;
    while (!s->stream_done && tn_time_ms() < end) usleep(2000);
}

TN_TEST(decompress_request_streamed_body) {
    server *s = gunzip_server(64 * 1024);
    char *zeros = (char *)calloc(1, 1u << 20);
    static char gz[65536];
    size_t n;
    cli_resp r;
    n = gzip_bytes(g_text, 16000, gz, sizeof gz);
    post(s->port, "/upload", "Content-Encoding: gzip\r\n", gz, n, 0, &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_STR(r.body, "streamed 16000");
    post(s->port, "/upload", "Content-Encoding: gzip\r\n", gz, n, 1, &r);
    TN_EQ_STR(r.body, "streamed 16000");
    /* a bomb: the body callback hears TN_EBODY_TOO_LARGE, the connection closes */
    n = gzip_bytes(zeros, 1u << 20, gz, sizeof gz);
    s->stream_done = 0;
    {
        char head[256], buf[1024];
        int fd = cli_connect(s->port, 0), closed;
        snprintf(head, sizeof head, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: %lu\r\n\r\n",
                 (unsigned long)n);
        cli_sends(fd, head);
        cli_send_lenient(fd, gz, n);
        (void)cli_recv(fd, buf, sizeof buf, 3000, &closed);
        TN_CHECK(closed);
        close(fd);
    }
    wait_done(s);
    TN_EQ_RC(s->stream_status, TN_EBODY_TOO_LARGE);
    TN_CHECK(s->streamed <= 64 * 1024);
    /* corrupt */
    n = gzip_bytes(g_text, 16000, gz, sizeof gz);
    gz[n / 2] ^= 0x55;
    s->stream_done = 0;
    {
        char head[256], buf[1024];
        int fd = cli_connect(s->port, 0), closed;
        snprintf(head, sizeof head, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: %lu\r\n\r\n",
                 (unsigned long)n);
        cli_sends(fd, head);
        cli_send_lenient(fd, gz, n);
        (void)cli_recv(fd, buf, sizeof buf, 3000, &closed);
        TN_CHECK(closed);
        close(fd);
    }
    wait_done(s);
    TN_CHECKF(s->stream_status == TN_EBAD_DEFLATE || s->stream_status == TN_EBAD_CHECKSUM, "%d", s->stream_status);
    /* truncated: the body ends before the gzip stream does */
    gz[n / 2] ^= 0x55;
    s->stream_done = 0;
    {
        char head[256], buf[1024];
        int fd = cli_connect(s->port, 0), closed;
        snprintf(head, sizeof head, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: %lu\r\n\r\n",
                 (unsigned long)(n - 8));
        cli_sends(fd, head);
        cli_send_lenient(fd, gz, n - 8);
        (void)cli_recv(fd, buf, sizeof buf, 3000, &closed);
        TN_CHECK(closed);
        close(fd);
    }
    wait_done(s);
    TN_EQ_RC(s->stream_status, TN_EBAD_DEFLATE);
    free(zeros);
    stop_server(s);
}

/* ---- interop ---- */
TN_TEST(curl_compressed_reads_our_gzip) {
    server *s;
    char cmd[1024], out[4096];
    if (!have_cmd("curl")) TN_SKIP("curl not found (apt-get install curl)");
    s = gzip_server();
    /* curl --compressed decodes; the bytes match the text's first 5000 bytes */
    snprintf(cmd, sizeof cmd,
             "curl -s --compressed -H 'X-Len: 5000' -D /dev/stderr http://127.0.0.1:%d/ 2>/tmp/tn_gz_h_%d | cksum; "
             "grep -ic '^content-encoding: gzip' /tmp/tn_gz_h_%d; rm -f /tmp/tn_gz_h_%d",
             s->port, (int)getpid(), (int)getpid(), (int)getpid());
    run_cmd(cmd, out, sizeof out);
    {
        char want[160];
        FILE *f = fopen("/tmp/tn_gz_text", "wb");
        char ck[128];
        fwrite(g_text, 1, 5000, f);
        fclose(f);
        run_cmd("cksum < /tmp/tn_gz_text; rm -f /tmp/tn_gz_text", ck, sizeof ck);
        snprintf(want, sizeof want, "%s1\n", ck);
        TN_EQ_STR(out, want);
    }
    /* a streamed response */
    snprintf(cmd, sizeof cmd, "curl -s --compressed http://127.0.0.1:%d/chunks", s->port);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "the first part, at once\nand the second part, later\n");
    stop_server(s);
    /* curl sends a gzip body (a file gzip(1) made) to decompress_request */
    s = gunzip_server(0);
    if (!have_cmd("gzip")) TN_SKIP("gzip not found (apt-get install gzip)");
    snprintf(cmd, sizeof cmd,
             "printf 'hello gzip body %%.0s' $(seq 1 300) | gzip -c > /tmp/tn_gz_b_%d && "
             "curl -s -H 'Content-Encoding: gzip' --data-binary @/tmp/tn_gz_b_%d http://127.0.0.1:%d/echo | head -c 20; "
             "rm -f /tmp/tn_gz_b_%d",
             (int)getpid(), (int)getpid(), s->port, (int)getpid());
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "4800 - gzip\nhello gz");
    stop_server(s);
}

TN_TEST(python_tornado_client_reads_our_gzip) {
    server *s;
    char cmd[2048], out[4096];
    TN_LINUX_PEER("python3 with Tornado");
    if (system("/usr/bin/python3 -c 'import tornado' >/dev/null 2>&1") != 0)
        TN_SKIP("Python Tornado not found (apt-get install python3-tornado)");
    s = gzip_server();
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"\n"
             "from tornado.httpclient import HTTPClient\n"
             "c = HTTPClient()\n"
             "r = c.fetch('http://127.0.0.1:%d/', headers={'X-Len': '9000'}, decompress_response=True)\n"
             "print(r.code, len(r.body), r.headers.get('X-Consumed-Content-Encoding'), r.body.startswith(b'line 0 of'))\n"
             "r = c.fetch('http://127.0.0.1:%d/chunks', decompress_response=True)\n"
             "print(r.code, r.body == b'the first part, at once\\\\nand the second part, later\\\\n')\n"
             "r = c.fetch('http://127.0.0.1:%d/', headers={'X-Len': '9000'}, decompress_response=False)\n"
             "print(r.headers.get('Content-Encoding'))\n"
             "\" 2>&1",
             s->port, s->port, s->port);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "200 9000 gzip True\n200 True\nNone\n");
    stop_server(s);
}

TN_TESTS(
    TN_CASE(gzip_types_and_min_length),
    TN_CASE(gzip_accept_encoding_q_values),
    TN_CASE(gzip_statuses_encodings_vary_etag_head),
    TN_CASE(gzip_streamed_chunks_arrive_incrementally),
    TN_CASE(gzip_streamed_http10),
    TN_CASE(gzip_whole_response_memory_released),
    TN_CASE(decompress_request_whole_and_chunked),
    TN_CASE(decompress_request_bomb_corrupt_truncated),
    TN_CASE(decompress_request_streamed_body),
    TN_CASE(curl_compressed_reads_our_gzip),
    TN_CASE(python_tornado_client_reads_our_gzip)
)
