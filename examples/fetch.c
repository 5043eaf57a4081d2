/* fetch.c: a small curl on tn_http_client: several URLs fetched concurrently.

   Build and run:  make build/examples/fetch && ./build/examples/fetch http://127.0.0.1:8080/get
   Options:  -i            print the response head before the body
             -X METHOD     request method (default GET, or POST with -d)
             -H 'N: v'     add a request header (repeatable)
             -d DATA       request body; -d @FILE reads it from FILE
             -o FILE       write bodies to FILE instead of stdout
             -L            follow redirects (up to 5)
             --max-time S  whole-transfer timeout in seconds (default 20)
             --proxy [user:pass@]host:port   an HTTP proxy
             -v            the exchange on stderr (response head, reuse, timings)
             --raw         no decoding: gzip/deflate bodies are not asked for (no
                           Accept-Encoding is sent) and are written as they came (with
                           -H 'Accept-Encoding: gzip' that is the gzip bytes). Without
                           it, compressed answers are decoded (Tornado's
                           decompress_response, the client's default)
             --cacert FILE trust these CAs for https (not the system's), --insecure
                           (no verification), --cert FILE --key FILE (a client
                           certificate); need TORNADO_WITH_OPENSSL
   With several URLs, bodies are printed in command-line order once all are done; when
   stderr is a terminal, each transfer has a live progress line. Exit status: 0 if every
   transfer got an HTTP answer, 1 otherwise (curl's spirit). */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tls_flags.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_URLS 64
#define MAX_HDRS 32

typedef struct transfer {
    const char *url;
    int done, code, index;
    char *data;            /* the body, when it is not written as it arrives */
    size_t len, cap;
    uint64_t got, total;   /* bytes so far / Content-Length (0 = unknown) */
    uint64_t t0;
} transfer;

static transfer g_t[MAX_URLS];
static int g_n, g_left, g_head, g_verbose, g_progress, g_failed;
static FILE *g_out;
static tn_loop *g_loop;

static void put_body(transfer *t, tn_str chunk) {
    if (g_n == 1) {   /* one transfer: straight out */
        fwrite(chunk.ptr, 1, chunk.len, g_out);
        return;
    }
    if (t->len + chunk.len > t->cap) {
        size_t cap = (t->cap ? t->cap * 2 : 65536);
        while (cap < t->len + chunk.len) cap *= 2;
        if (!(t->data = (char *)realloc(t->data, cap))) exit(3);
        t->cap = cap;
    }
    memcpy(t->data + t->len, chunk.ptr, chunk.len);
    t->len += chunk.len;
}

static void on_chunk(tn_http_fetch *f, tn_str chunk, void *user) {
    transfer *t = (transfer *)user;
    (void)f;
    t->got += chunk.len;
    put_body(t, chunk);
}

static void on_line(tn_http_fetch *f, tn_str line, void *user) {
    transfer *t = (transfer *)user;
    (void)f;
    if (line.len > 16 && strncasecmp(line.ptr, "Content-Length:", 15) == 0) t->total = strtoull(line.ptr + 15, NULL, 10);
    if (g_verbose) fprintf(stderr, "< %.*s", (int)line.len, line.ptr);
    if (g_head) put_body(t, line);
}

static void on_done(tn_http_fetch *f, const tn_http_fetch_res *r, void *user) {
    transfer *t = (transfer *)user;
    (void)f;
    t->done = 1;
    t->code = r->code;
    if (r->error) {
        g_failed = 1;
        fprintf(stderr, "fetch: %s: %d %s (%s)\n", t->url, r->code, r->error_msg, tn_err_name(r->error));
    }
    if (g_verbose)
        fprintf(stderr, "* %s: %d after %d redirect(s), %s connection; queue %.1f ms, connect %.1f ms, "
                        "first byte %.1f ms, total %.1f ms\n", t->url, r->code, r->redirects, r->reused ? "reused" : "new",
                r->time_queue_us / 1e3, r->time_connect_us / 1e3, r->time_first_byte_us / 1e3, r->time_total_us / 1e3);
    if (--g_left == 0) tn_loop_stop(g_loop);
}

static void progress(tn_loop *loop, void *user) {
    int i;
    (void)loop;
    (void)user;
    for (i = 0; i < g_n; i++) {
        transfer *t = &g_t[i];
        double secs = (tn_time_ms() - t->t0) / 1000.0;
        fprintf(stderr, "\r\033[K[%d] %-4s %9.1f kB", i + 1, t->done ? (t->code == 599 ? "fail" : "done") : "...",
                t->got / 1024.0);
        if (t->total) fprintf(stderr, " / %.1f kB (%3.0f%%)", t->total / 1024.0, 100.0 * (double)t->got / (double)t->total);
        fprintf(stderr, " %8.1f kB/s  %s\n", secs > 0 ? t->got / 1024.0 / secs : 0.0, t->url);
    }
    fprintf(stderr, "\033[%dA", g_n);   /* back up: the next round rewrites these lines */
}

/* "-d @file": the file's bytes (malloc'd), else the argument itself. */
static char *load_body(const char *arg, size_t *len) {
    FILE *fp;
    char *buf;
    long n;
    if (arg[0] != '@') {
        *len = strlen(arg);
        return (char *)arg;
    }
    if (!(fp = fopen(arg + 1, "rb")) || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0) {
        fprintf(stderr, "fetch: cannot read %s\n", arg + 1);
        exit(2);
    }
    rewind(fp);
    buf = (char *)malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, fp) != (size_t)n) exit(2);
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

static int usage(void) {
    fprintf(stderr, "usage: fetch [-i] [-v] [-L] [--raw] [-X METHOD] [-H 'Name: value']... [-d DATA|@FILE] [-o FILE]\n"
                    "             [--max-time SECONDS] [--proxy [user:pass@]host:port]\n"
                    "             [--cacert FILE] [--insecure] [--cert FILE --key FILE] URL...\n");
    return 2;
}

int main(int argc, char **argv) {
    tn_http_client *cl;
    tn_http_client_opts co;
    tn_http_fetch_req req;
    tn_http_header hdrs[MAX_HDRS];
    char proxy_host[256], proxy_user[256];
    size_t nh = 0, blen = 0;
    const char *body = NULL, *out = NULL;
    ex_tls tls = { 0 };
    int i, rc;
    memset(&req, 0, sizeof req);
    memset(&co, 0, sizeof co);
    req.no_follow_redirects = 1;   /* curl's default; -L follows */
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (ex_tls_flag(&tls, argc, argv, &i, 1)) continue;
        if (!strcmp(a, "-i")) g_head = 1;
        else if (!strcmp(a, "-v")) g_verbose = 1;
        else if (!strcmp(a, "-L")) req.no_follow_redirects = 0;
        else if (!strcmp(a, "--raw")) req.no_decompress = 1;
        else if (!strcmp(a, "-X") && more) req.method = argv[++i];
        else if (!strcmp(a, "-o") && more) out = argv[++i];
        else if (!strcmp(a, "-d") && more) body = load_body(argv[++i], &blen);
        else if (!strcmp(a, "--max-time") && more) req.request_timeout_ms = req.connect_timeout_ms = (uint64_t)(atof(argv[++i]) * 1000);
        else if (!strcmp(a, "-H") && more) {
            const char *h = argv[++i], *colon = strchr(h, ':');
            if (!colon || nh == MAX_HDRS) return usage();
            hdrs[nh].name = tn_str_make(h, (size_t)(colon - h));
            for (colon++; *colon == ' '; colon++) {}
            hdrs[nh++].value = tn_str_c(colon);
        } else if (!strcmp(a, "--proxy") && more) {
            const char *p = argv[++i], *at, *colon;
            if (!strncmp(p, "http://", 7)) p += 7;
            if ((at = strrchr(p, '@')) != NULL) {
                snprintf(proxy_user, sizeof proxy_user, "%.*s", (int)(at - p), p);
                if ((colon = strchr(proxy_user, ':')) != NULL) {
                    proxy_user[colon - proxy_user] = 0;
                    co.proxy_password = colon + 1;
                }
                co.proxy_username = proxy_user;
                p = at + 1;
            }
            snprintf(proxy_host, sizeof proxy_host, "%s", p);
            if ((colon = strrchr(proxy_host, ':')) != NULL) {
                proxy_host[colon - proxy_host] = 0;
                co.proxy_port = atoi(colon + 1);
            }
            co.proxy_host = proxy_host;
        } else if (a[0] == '-') {
            return usage();
        } else if (g_n < MAX_URLS) {
            g_t[g_n].index = g_n;
            g_t[g_n++].url = a;
        }
    }
    if (g_n == 0) return usage();
    if (body) {
        req.body = tn_str_make(body, blen);
        req.has_body = 1;
        if (!req.method) req.method = "POST";
    }
    req.headers = hdrs;
    req.num_headers = nh;
    req.ca_certs = tls.cacert;   /* the client's own TLS fields: it makes the context */
    req.client_cert = tls.cert;
    req.client_key = tls.key;
    req.no_validate_cert = tls.insecure;
    req.allow_nonstandard_methods = 1;   /* a tool sends what it is told */
    req.streaming_callback = on_chunk;
    req.header_callback = on_line;
    g_out = out ? fopen(out, "wb") : stdout;
    if (!g_out) {
        fprintf(stderr, "fetch: cannot write %s\n", out);
        return 2;
    }
    g_progress = g_n > 1 && isatty(2) && !g_verbose;
    if (tn_loop_new(NULL, &g_loop) != 0 || tn_http_client_new(g_loop, &co, &cl) != 0) return 3;
    for (i = 0; i < g_n; i++) {
        req.url = g_t[i].url;
        req.streaming_user = req.header_user = &g_t[i];
        g_t[i].t0 = tn_time_ms();
        if (g_verbose) fprintf(stderr, "> %s %s\n", req.method ? req.method : "GET", req.url);
        if ((rc = tn_http_client_fetch(cl, &req, on_done, &g_t[i], NULL)) != 0) {
            fprintf(stderr, "fetch: %s: %s\n", g_t[i].url, tn_strerror(rc));
            g_failed = 1;
            g_t[i].done = 1;
            continue;
        }
        g_left++;
    }
    if (g_progress) tn_loop_call_every(g_loop, 250, progress, NULL, NULL);
    if (g_left > 0) tn_loop_run(g_loop);
    if (g_progress) {
        progress(g_loop, NULL);
        fprintf(stderr, "\033[%dB", g_n);
    }
    for (i = 0; i < g_n && g_n > 1; i++) {
        fwrite(g_t[i].data ? g_t[i].data : "", 1, g_t[i].len, g_out);
        free(g_t[i].data);
    }
    if (out) fclose(g_out);
    /* a tool exits here: the loop and its connections go with the process */
    return g_failed ? 1 : 0;
}
