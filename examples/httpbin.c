/* httpbin.c: a test server in the spirit of httpbin.org, on the web layer (tn_app).

   Build and run:  make build/examples/httpbin && ./build/examples/httpbin --port 8080
   Try:            curl -i http://127.0.0.1:8080/get?a=1&a=2
                   curl -F name=x -F file=@README.md http://127.0.0.1:8080/post
                   curl -T README.md http://127.0.0.1:8080/          (echoes the body)
                   curl -N http://127.0.0.1:8080/stream/5           (chunked JSON lines)
                   curl -iL http://127.0.0.1:8080/redirect/3
                   curl -i http://127.0.0.1:8080/status/418
                   curl -i -c jar 'http://127.0.0.1:8080/cookies/set?k=v'
                   curl -s --data-binary @README.md http://127.0.0.1:8080/echo
                   curl -s --compressed http://127.0.0.1:8080/gzip
                   curl -s http://127.0.0.1:8080/deflate | python3 -c 'import sys,zlib; print(zlib.decompress(sys.stdin.buffer.read()).decode())'
   Compression:    answers are gzipped for clients that accept gzip (the server's
                   compress_response: JSON, text and other compressible types of 1 KiB or
                   more, and streams); /gzip and /deflate are always encoded (gzip, and
                   zlib-wrapped deflate, as httpbin.org); request bodies sent with
                   Content-Encoding: gzip are inflated (decompress_request): /echo then shows
                   X-Consumed-Content-Encoding and the decoded body's length.
   Routes:         / (any method: 200, body echoed), /get, /post, /headers, /status/{code},
                   /redirect/{n}, /delay/{ms}, /stream/{n}, /bytes/{n}, /cookies,
                   /cookies/set?name=value, /echo (the parsed request as JSON), /gzip,
                   /deflate.
   Options:        --host ADDR (default 127.0.0.1), --port N (default 8080; 0 picks one),
                   --cert FILE --key FILE (serve https; needs TORNADO_WITH_OPENSSL) */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tls_flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PAIRS 256
#define MAX_DELAY_MS 10000
#define MAX_REDIRECTS 50
#define MAX_STREAM_LINES 10000
#define MAX_BYTES (10 * 1024 * 1024)

typedef struct pair { tn_str k, v; } pair;

/* ---- JSON output into a tn_buf ---- */
static void put(tn_buf *b, const char *s) { tn_buf_append(b, s, strlen(s)); }
static void put_str(tn_buf *b, tn_str s) {   /* a quoted, escaped JSON string */
    put(b, "\"");
    tn_json_escape_buf(b, s);
    put(b, "\"");
}
static void put_num(tn_buf *b, unsigned long long n) {
    char num[24];
    snprintf(num, sizeof num, "%llu", n);
    put(b, num);
}
static void put_hex_sha256(tn_buf *b, tn_str data) {
    unsigned char dig[TN_SHA256_SIZE];
    char hex[2 * TN_SHA256_SIZE + 1];
    tn_sha256(data.ptr, data.len, dig);
    tn_hex_encode(dig, sizeof dig, hex, sizeof hex, NULL);
    put_str(b, tn_str_c(hex));
}
/* pairs as an object: a repeated key becomes an array of its values (httpbin's way) */
static void put_pairs(tn_buf *b, const pair *p, size_t n) {
    size_t i, j, count;
    put(b, "{");
    for (i = 0; i < n; i++) {
        for (j = 0; j < i && !tn_str_eq(p[j].k, p[i].k); j++) {}
        if (j < i) continue;   /* written with its first occurrence */
        for (count = 0, j = i; j < n; j++) count += tn_str_eq(p[j].k, p[i].k);
        if (i) put(b, ", ");
        put_str(b, p[i].k);
        put(b, count > 1 ? ": [" : ": ");
        for (count = 0, j = i; j < n; j++) {
            if (!tn_str_eq(p[j].k, p[i].k)) continue;
            if (count++) put(b, ", ");
            put_str(b, p[j].v);
        }
        if (count > 1) put(b, "]");
    }
    put(b, "}");
}
/* Decode "a=1&b=2" into pairs pointing into scratch (at least s.len bytes). */
static size_t parse_form(tn_str s, char *scratch, pair *out, size_t cap) {
    tn_query_iter it;
    size_t n = 0, used = 0;
    int rc;
    tn_query_iter_init(&it, s, 0);
    while (n < cap && (rc = tn_query_next_decoded(&it, scratch + used, s.len - used, &out[n].k, &out[n].v)) != 0) {
        if (rc < 0) break;
        used = (size_t)(out[n].v.ptr + out[n].v.len - scratch);
        n++;
    }
    return n;
}
static void put_args(tn_buf *b, tn_str query) {
    pair p[MAX_PAIRS];
    char *scratch = (char *)malloc(query.len + 1);
    put_pairs(b, p, scratch ? parse_form(query, scratch, p, MAX_PAIRS) : 0);
    free(scratch);
}
/* headers as an object; repeated fields joined with ", " */
static void put_headers(tn_buf *b, tn_request *req) {
    size_t n, i, j;
    const tn_http_header *h = tn_request_headers(req, &n);
    put(b, "{");
    for (i = 0; i < n; i++) {
        for (j = 0; j < i && !tn_str_ieq(h[j].name, h[i].name); j++) {}
        if (j < i) continue;
        put(b, i ? ", " : "");
        put_str(b, h[i].name);
        put(b, ": \"");
        for (j = i; j < n; j++) {
            if (!tn_str_ieq(h[j].name, h[i].name)) continue;
            if (j > i) put(b, ", ");
            tn_json_escape_buf(b, h[j].value);
        }
        put(b, "\"");
    }
    put(b, "}");
}
/* the fields every JSON answer carries: args, headers, origin, url */
static void put_common(tn_buf *b, tn_request *req) {
    put(b, "\"args\": ");
    put_args(b, tn_request_query(req));
    put(b, ", \"headers\": ");
    put_headers(b, req);
    put(b, ", \"origin\": ");
    put_str(b, tn_str_c(tn_request_remote_ip(req)));
    put(b, ", \"url\": ");
    put_str(b, tn_web_full_url(req));
}
static void send_json(tn_request *req, tn_buf *b) {
    put(b, "\n");
    tn_web_write_json(req, tn_buf_ptr(b), tn_buf_size(b));
    tn_buf_free(b);
}
/* A decimal path capture (at most 9 digits), or -1. */
static long num_arg(tn_request *req, const char *name) {
    tn_str v;
    long n = 0;
    size_t i;
    if (tn_web_path_arg(req, name, &v) != TN_OK || v.len == 0 || v.len > 9) return -1;
    for (i = 0; i < v.len; i++) {
        if (v.ptr[i] < '0' || v.ptr[i] > '9') return -1;
        n = n * 10 + (v.ptr[i] - '0');
    }
    return n;
}

/* ---- handlers ---- */
static void root(tn_request *req, const tn_route_match *m, void *user) {   /* any method */
    tn_str body = tn_request_body(req), ct;
    char type[256] = "application/octet-stream";
    (void)m; (void)user;
    if (tn_request_header(req, "Content-Type", &ct) == TN_OK && ct.len < sizeof type)
        snprintf(type, sizeof type, "%.*s", (int)ct.len, ct.ptr);
    tn_respond(req, 200, type, body.ptr, body.len);
}

static void get(tn_request *req, const tn_route_match *m, void *user) {
    tn_buf b;
    (void)m; (void)user;
    tn_buf_init(&b, NULL);
    put(&b, "{");
    put_common(&b, req);
    put(&b, "}");
    send_json(req, &b);
}

/* multipart fields that are not files: bytes in data, offsets in at[] */
typedef struct form { tn_buf data; size_t n, at[MAX_PAIRS][4]; } form;

static int on_part(int event, const tn_multipart_part *part, tn_str chunk, void *user) {
    form *f = (form *)user;
    if (f->n == MAX_PAIRS || (part && part->filename.len)) return 0;   /* files: tn_web_get_files */
    if (event == TN_MULTIPART_PART_BEGIN) {
        f->at[f->n][0] = tn_buf_size(&f->data);
        f->at[f->n][1] = part->name.len;
        tn_buf_append(&f->data, part->name.ptr, part->name.len);
        f->at[f->n][2] = tn_buf_size(&f->data);
    } else if (event == TN_MULTIPART_PART_DATA) {
        tn_buf_append(&f->data, chunk.ptr, chunk.len);
    } else if (event == TN_MULTIPART_PART_END) {
        f->at[f->n][3] = tn_buf_size(&f->data) - f->at[f->n][2];
        f->n++;
    }
    return 0;
}

/* /gzip and /deflate: httpbin.org's always-encoded answers ({"gzipped": true, ...} as gzip,
   {"deflated": true, ...} as zlib-wrapped deflate: HTTP's "deflate" coding, RFC 9110 8.4.1.2),
   whatever the client's Accept-Encoding says. */
static void encoded(tn_request *req, const tn_route_match *m, void *user) {
    int gzip = user != NULL;
    tn_buf b;
    tn_deflate_opts o;
    size_t cap, n;
    char *z;
    (void)m;
    tn_buf_init(&b, NULL);
    put(&b, gzip ? "{\"gzipped\": true, \"headers\": " : "{\"deflated\": true, \"headers\": ");
    put_headers(&b, req);
    put(&b, ", \"method\": ");
    put_str(&b, tn_request_method(req));
    put(&b, ", \"origin\": ");
    put_str(&b, tn_str_c(tn_request_remote_ip(req)));
    put(&b, "}\n");
    memset(&o, 0, sizeof o);
    o.format = gzip ? TN_DEFLATE_GZIP : TN_DEFLATE_ZLIB;
    cap = tn_deflate_bound(tn_buf_size(&b));
    z = (char *)malloc(cap);
    if (!z || tn_deflate_once(&o, tn_buf_ptr(&b), tn_buf_size(&b), z, cap, &n) != TN_OK) {
        tn_web_send_error(req, 500, NULL);
    } else {
        /* a Content-Encoding set by the handler: the server's compress_response keeps off */
        tn_web_set_header(req, "Content-Type", "application/json");
        tn_web_set_header(req, "Content-Encoding", gzip ? "gzip" : "deflate");
        tn_web_write(req, z, n);
    }
    free(z);
    tn_buf_free(&b);
}

static void post(tn_request *req, const tn_route_match *m, void *user) {
    tn_str body = tn_request_body(req), ct = tn_str_c(""), boundary;
    static pair p[MAX_PAIRS];
    size_t n = 0, nfiles = 0, i;
    const tn_web_file *files = tn_web_get_files(req, &nfiles);
    char *scratch = NULL, bbuf[256];
    form *f = NULL;
    tn_buf b;
    (void)m; (void)user;
    tn_buf_init(&b, NULL);
    tn_request_header(req, "Content-Type", &ct);
    if (ct.len >= 33 && tn_str_ieq(tn_str_make(ct.ptr, 33), tn_str_c("application/x-www-form-urlencoded"))) {
        if ((scratch = (char *)malloc(body.len + 1)) != NULL) n = parse_form(body, scratch, p, MAX_PAIRS);
    } else if (tn_multipart_boundary(ct, bbuf, sizeof bbuf, &boundary) == TN_OK && (f = (form *)calloc(1, sizeof *f))) {
        tn_multipart *mp = (tn_multipart *)malloc(sizeof *mp);   /* about 8.5 KB: not on the stack */
        tn_buf_init(&f->data, NULL);
        if (!mp || tn_multipart_init(mp, boundary, NULL, on_part, f) != TN_OK ||
            tn_multipart_feed(mp, body.ptr, body.len) != TN_OK || tn_multipart_finish(mp) != TN_OK) {
            tn_web_send_error(req, 400, "Malformed multipart body");
            n = MAX_PAIRS + 1;
        }
        for (; n < f->n; n++) {
            p[n].k = tn_str_make(tn_buf_ptr(&f->data) + f->at[n][0], f->at[n][1]);
            p[n].v = tn_str_make(tn_buf_ptr(&f->data) + f->at[n][2], f->at[n][3]);
        }
        free(mp);
    }
    if (n > MAX_PAIRS) {   /* answered with 400 */
        tn_buf_free(&f->data);
        free(f);
        return;
    }
    put(&b, "{\"form\": ");
    put_pairs(&b, p, n);
    put(&b, ", \"files\": [");
    for (i = 0; i < nfiles; i++) {
        put(&b, i ? ", {\"name\": " : "{\"name\": ");
        put_str(&b, files[i].name);
        put(&b, ", \"filename\": ");
        put_str(&b, files[i].filename);
        put(&b, ", \"content_type\": ");
        put_str(&b, files[i].content_type);
        put(&b, ", \"size\": ");
        put_num(&b, files[i].body.len);
        put(&b, ", \"sha256\": ");
        put_hex_sha256(&b, files[i].body);
        put(&b, "}");
    }
    put(&b, "], \"body_length\": ");
    put_num(&b, body.len);
    put(&b, ", ");
    put_common(&b, req);
    put(&b, "}");
    send_json(req, &b);
    if (f) tn_buf_free(&f->data);
    free(f);
    free(scratch);
}

static void headers(tn_request *req, const tn_route_match *m, void *user) {
    tn_buf b;
    (void)m; (void)user;
    tn_buf_init(&b, NULL);
    put(&b, "{\"headers\": ");
    put_headers(&b, req);
    put(&b, "}");
    send_json(req, &b);
}

static void status(tn_request *req, const tn_route_match *m, void *user) {
    long code = num_arg(req, "code");
    (void)m; (void)user;
    /* 1xx are interim responses: a client would wait for the final one after them */
    if (code < 200 || code > 599) {
        tn_web_send_error(req, 400, code >= 100 && code < 200 ? "1xx is not a final status" : "Bad status code");
        return;
    }
    tn_respond(req, (int)code, code == 204 || code == 304 ? NULL : "text/plain; charset=utf-8", "", 0);
}

static void redirect(tn_request *req, const tn_route_match *m, void *user) {
    long n = num_arg(req, "n");
    char to[48];
    (void)m; (void)user;
    if (n < 1 || n > MAX_REDIRECTS) {
        tn_web_send_error(req, 400, "n must be 1..50");
        return;
    }
    if (n == 1) snprintf(to, sizeof to, "/get");
    else snprintf(to, sizeof to, "/redirect/%ld", n - 1);
    tn_web_redirect(req, to, 302);
}

/* /delay/{ms}: answer later from a loop timer; cancel it if the client leaves first */
typedef struct delay { tn_request *req; tn_loop *loop; tn_timer_id timer; long ms; } delay;

static void delay_fire(tn_loop *loop, void *user) {
    delay *d = (delay *)user;
    tn_buf b;
    (void)loop;
    tn_buf_init(&b, NULL);
    put(&b, "{\"delay_ms\": ");
    put_num(&b, (unsigned long long)d->ms);
    put(&b, ", ");
    put_common(&b, d->req);
    put(&b, "}");
    tn_web_on_close(d->req, NULL, NULL);
    send_json(d->req, &b);
    tn_web_finish(d->req);
    free(d);
}
static void delay_gone(tn_request *req, void *user) {   /* the client left: no answer */
    delay *d = (delay *)user;
    (void)req;
    tn_loop_cancel(d->loop, d->timer);
    free(d);
}
static void delay_route(tn_request *req, const tn_route_match *m, void *user) {
    long ms = num_arg(req, "ms");
    delay *d;
    (void)m;
    if (ms < 0 || ms > MAX_DELAY_MS) {
        tn_web_send_error(req, 400, "ms must be 0..10000");
        return;
    }
    if (!(d = (delay *)calloc(1, sizeof *d))) {
        tn_web_send_error(req, 500, NULL);
        return;
    }
    d->req = req;
    d->loop = (tn_loop *)user;
    d->ms = ms;
    if (tn_loop_call_later(d->loop, (uint64_t)ms, delay_fire, d, &d->timer) != TN_OK) {
        free(d);
        tn_web_send_error(req, 500, NULL);
        return;
    }
    tn_web_on_close(req, delay_gone, d);
    tn_web_async(req);
}

/* /stream/{n}: n JSON lines, each flushed once the previous one reached the socket */
typedef struct streamer { long i, n; } streamer;

static void stream_next(tn_request *req, int rc, void *user) {
    streamer *s = (streamer *)user;
    if (rc != TN_OK) {   /* the client left: the request is gone */
        free(s);
        return;
    }
    if (s->i == s->n) {
        free(s);
        tn_web_finish(req);
        return;
    }
    tn_web_writef(req, "{\"id\": %ld, \"of\": %ld}\n", s->i++, s->n);
    if (tn_web_flush(req, stream_next, s) != TN_OK) free(s);   /* cb never runs then */
}
static void stream_route(tn_request *req, const tn_route_match *m, void *user) {
    long n = num_arg(req, "n");
    streamer *s;
    (void)m; (void)user;
    if (n < 0 || n > MAX_STREAM_LINES) {
        tn_web_send_error(req, 400, "n must be 0..10000");
        return;
    }
    if (!(s = (streamer *)calloc(1, sizeof *s))) {
        tn_web_send_error(req, 500, NULL);
        return;
    }
    s->n = n;
    tn_web_async(req);
    tn_web_set_header(req, "Content-Type", "application/json");
    if (tn_web_flush(req, stream_next, s) != TN_OK) free(s);   /* sends the head, chunked */
}

static void bytes(tn_request *req, const tn_route_match *m, void *user) {
    long n = num_arg(req, "n");
    unsigned char *data;
    (void)m; (void)user;
    if (n < 0 || n > MAX_BYTES) {
        tn_web_send_error(req, 400, "n must be 0..10485760");
        return;
    }
    if (!(data = (unsigned char *)malloc((size_t)n + 1)) || tn_random_bytes(data, (size_t)n) != TN_OK) {
        free(data);
        tn_web_send_error(req, 500, NULL);
        return;
    }
    tn_respond(req, 200, "application/octet-stream", data, (size_t)n);
    free(data);
}

static void cookies(tn_request *req, const tn_route_match *m, void *user) {
    size_t n, i, j, pos, count = 0;
    const tn_http_header *h = tn_request_headers(req, &n);
    static tn_str names[MAX_PAIRS];
    tn_cookie c;
    tn_buf b;
    (void)m; (void)user;
    for (i = 0; i < n; i++)   /* every name of every Cookie header */
        for (pos = 0; tn_str_ieq(h[i].name, tn_str_c("Cookie")) && tn_cookie_next(h[i].value, &pos, &c);)
            if (c.name.len && count < MAX_PAIRS) names[count++] = c.name;
    tn_buf_init(&b, NULL);
    put(&b, "{\"cookies\": {");
    for (i = 0; i < count; i++) {
        char name[256];
        tn_str v;
        for (j = 0; j < i && !tn_str_eq(names[j], names[i]); j++) {}
        if (j < i || names[i].len >= sizeof name) continue;   /* once per name */
        snprintf(name, sizeof name, "%.*s", (int)names[i].len, names[i].ptr);
        if (tn_web_get_cookie(req, name, &v) != TN_OK) continue;   /* the last value, unquoted */
        put(&b, tn_buf_size(&b) > 13 ? ", " : "");
        put_str(&b, names[i]);
        put(&b, ": ");
        put_str(&b, v);
    }
    put(&b, "}}");
    send_json(req, &b);
}

static void cookies_set(tn_request *req, const tn_route_match *m, void *user) {
    pair p[MAX_PAIRS];
    tn_str q = tn_request_query(req);
    char *scratch = (char *)malloc(q.len + 1);
    size_t n = scratch ? parse_form(q, scratch, p, MAX_PAIRS) : 0, i;
    (void)m; (void)user;
    for (i = 0; i < n; i++) {
        char name[256];
        if (p[i].k.len == 0 || p[i].k.len >= sizeof name) continue;
        snprintf(name, sizeof name, "%.*s", (int)p[i].k.len, p[i].k.ptr);
        if (tn_web_set_cookie(req, name, p[i].v, NULL) != TN_OK) {
            free(scratch);
            tn_web_send_error(req, 400, "Bad cookie name or value");
            return;
        }
    }
    free(scratch);
    tn_web_redirect(req, "/cookies", 302);
}

static void echo(tn_request *req, const tn_route_match *m, void *user) {   /* any method */
    size_t n, i;
    const tn_http_header *h = tn_request_headers(req, &n);
    tn_str body = tn_request_body(req);
    tn_buf b;
    (void)m; (void)user;
    tn_buf_init(&b, NULL);
    put(&b, "{\"method\": ");
    put_str(&b, tn_request_method(req));
    put(&b, ", \"target\": ");
    put_str(&b, tn_request_target(req));
    put(&b, ", \"path\": ");
    put_str(&b, tn_request_path(req));
    put(&b, ", \"query\": ");
    put_str(&b, tn_request_query(req));
    put(&b, ", \"version\": ");
    put(&b, tn_request_version(req) == 10 ? "\"HTTP/1.0\"" : "\"HTTP/1.1\"");
    put(&b, ", \"headers\": [");
    for (i = 0; i < n; i++) {
        put(&b, i ? ", [" : "[");
        put_str(&b, h[i].name);
        put(&b, ", ");
        put_str(&b, h[i].value);
        put(&b, "]");
    }
    put(&b, "], \"body_length\": ");
    put_num(&b, body.len);
    put(&b, ", \"body_sha256\": ");
    put_hex_sha256(&b, body);
    put(&b, "}");
    send_json(req, &b);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 8080, i, rc;
    tn_loop *loop;
    tn_app *app;
    tn_app_opts ao;
    ex_tls tls = { 0 };
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--host") && i + 1 < argc) host = argv[++i];
        else if (!ex_tls_flag(&tls, argc, argv, &i, 0)) {
            fprintf(stderr, "usage: %s [--host ADDR] [--port N] [--cert FILE --key FILE]\n", argv[0]);
            return 2;
        }
    }
    if (tn_loop_new(NULL, &loop) != 0) return 1;
    memset(&ao, 0, sizeof ao);
    ao.server.tls = ex_tls_ctx(loop, &tls, 0);
    ao.server.compress_response = 1;    /* gzip for clients that accept it (Tornado's option) */
    ao.server.decompress_request = 1;   /* gzip request bodies inflated for the handlers */
    ao.server.gzip = tn_http_gzip();    /* the codec both use (linked only where named) */
    if (tn_app_new(loop, &ao, &app) != 0) return 1;
    tn_app_route(app, "*", "/", root, NULL);
    tn_app_route(app, "GET", "/get", get, NULL);
    tn_app_route(app, "POST,PUT,PATCH", "/post", post, NULL);
    tn_app_route(app, "GET", "/headers", headers, NULL);
    tn_app_route(app, "*", "/status/{code}", status, NULL);
    tn_app_route(app, "GET", "/redirect/{n}", redirect, NULL);
    tn_app_route(app, "GET", "/delay/{ms}", delay_route, loop);
    tn_app_route(app, "GET", "/stream/{n}", stream_route, NULL);
    tn_app_route(app, "GET", "/bytes/{n}", bytes, NULL);
    tn_app_route(app, "GET", "/cookies", cookies, NULL);
    tn_app_route(app, "GET", "/cookies/set", cookies_set, NULL);
    tn_app_route(app, "*", "/echo", echo, NULL);
    tn_app_route(app, "GET", "/gzip", encoded, (void *)1);
    tn_app_route(app, "GET", "/deflate", encoded, NULL);
    if ((rc = tn_app_listen(app, host, port)) != 0) {
        fprintf(stderr, "listen %s:%d: %s\n", host, port, tn_strerror(rc));
        return 1;
    }
    printf("httpbin on %s://%s:%d/\n", tls.cert ? "https" : "http", host, tn_http_server_port(tn_app_server(app)));
    fflush(stdout);
    return tn_loop_run(loop) == 0 ? 0 : 1;
}
