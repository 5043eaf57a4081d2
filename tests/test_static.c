/* test_static.c: static files over real sockets: types, lengths, bodies (a multi-MB file
   streamed intact, with sendfile and with read + write), HEAD, ETag / If-None-Match /
   If-Modified-Since → 304, ranges → 206 / 416, index files and the trailing-slash
   redirect, 403 / 404 / 405, path traversal attempts (plain, encoded, NUL, absolute,
   backslash, symlinks out of the root), compiled-in assets with the same checks, a slow
   reader (the server's write buffer stays bounded), clients that leave mid-file,
   concurrent downloads, the stream's sendfile segment ordered between buffered writes,
   curl interop, and tools/embed_assets.py. The Windows build (under wine) runs the same
   cases on CreateFileW/ReadFile, plus the names Windows reads otherwise (alternate data
   streams, device names, trailing dots); the symlink case there needs the right to make
   links (skips without it), the FIFO case is POSIX only.

   The server runs its loop on a thread of its own; the tests are blocking clients. The
   served tree is made by the test in a temporary directory. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include "tn_test_client.h"
#include <pthread.h>
#include <dirent.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <poll.h>
#if defined(_WIN32)
#  include <sys/utime.h>
/* mingw has no memmem */
static void *memmem(const void *h, size_t hn, const void *n, size_t nn) {
    const unsigned char *p = (const unsigned char *)h;
    size_t i;
    if (nn == 0) return (void *)(uintptr_t)h;
    for (i = 0; i + nn <= hn; i++)
        if (p[i] == *(const unsigned char *)n && memcmp(p + i, n, nn) == 0) return (void *)(uintptr_t)(p + i);
    return NULL;
}
#endif

#define BIG_SIZE (8u * 1024 * 1024 + 12345)

/* ---- the served tree ---- */
static char g_tmp[256], g_root[300];
static unsigned char *g_big;   /* content of big.bin */

static void put_file(const char *rel, const void *data, size_t n) {
    char p[512];
    FILE *f;
    snprintf(p, sizeof p, "%s/%s", g_tmp, rel);
    f = fopen(p, "wb");
    TN_CHECK(f != NULL);
    TN_CHECK(fwrite(data, 1, n, f) == n);
    fclose(f);
}

static void put_str(const char *rel, const char *s) { put_file(rel, s, strlen(s)); }

static void mk(const char *rel) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", g_tmp, rel);
    TN_CHECK(mkdir(p, 0755) == 0);
}

/* A symbolic link at rel (under g_tmp) to target (dir: target is a directory). POSIX: 1.
   Windows: 0 when none could be made (no SeCreateSymbolicLinkPrivilege and no developer
   mode; wine 8's CreateSymbolicLinkW says yes and makes nothing, hence the look after). */
static int ln(const char *target, const char *rel, int dir) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", g_tmp, rel);
#if defined(_WIN32)
    {
        wchar_t wt[512], wp[512];
        int i;
        TN_CHECK(MultiByteToWideChar(CP_UTF8, 0, target, -1, wt, 512) > 0);
        TN_CHECK(MultiByteToWideChar(CP_UTF8, 0, p, -1, wp, 512) > 0);
        for (i = 0; wt[i]; i++)
            if (wt[i] == L'/') wt[i] = L'\\';
        for (i = 0; wp[i]; i++)
            if (wp[i] == L'/') wp[i] = L'\\';
        /* 0x2: SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE (developer mode) */
        if (!CreateSymbolicLinkW(wp, wt, (dir ? SYMBOLIC_LINK_FLAG_DIRECTORY : 0) | 0x2)) return 0;
        return GetFileAttributesW(wp) != INVALID_FILE_ATTRIBUTES;
    }
#else
    (void)dir;
    TN_CHECK(symlink(target, p) == 0);
    return 1;
#endif
}

/* The links inside and out of the root (0: none could be made, Windows only). */
static int make_links(void) {
    if (!ln("hello.txt", "root/link_in", 0)) return 0;
    TN_CHECK(ln("sub", "root/link_dir_in", 1));
    TN_CHECK(ln("../secret.txt", "root/link_out", 0));
    TN_CHECK(ln("..", "root/link_out_dir", 1));
    TN_CHECK(ln("../rootsib/s.txt", "root/link_sib", 0));
    TN_CHECK(ln(g_tmp, "root/link_abs_out", 1));
    return 1;
}

static void make_tree(void) {
    unsigned char png[64];
    uint32_t x = 12345;
    size_t i;
#if defined(_WIN32)
    char t[MAX_PATH + 1];
    DWORD tl = GetTempPathA(sizeof t, t);
    TN_CHECK(tl > 0 && tl < sizeof t);
    snprintf(g_tmp, sizeof g_tmp, "%stn_static_%d_%lu", t, (int)getpid(), (unsigned long)GetTickCount());
    TN_CHECK(mkdir(g_tmp, 0755) == 0);
#else
    char p[512];
    snprintf(g_tmp, sizeof g_tmp, "/tmp/tn_static_%d_XXXXXX", (int)getpid());
    TN_CHECK(mkdtemp(g_tmp) != NULL);
#endif
    snprintf(g_root, sizeof g_root, "%s/root", g_tmp);
    mk("root");
    mk("rootsib");   /* a sibling whose name starts with the root's */
    put_str("secret.txt", "TOPSECRET outside the root\n");
    put_str("rootsib/s.txt", "TOPSECRET in a sibling\n");
    put_str("root/hello.txt", "Hello, static\n");
    put_str("root/page.html", "<h1>page</h1>\n");
    put_str("root/style.css", "body{}\n");
    put_str("root/app.js", "let a=1;\n");
    put_str("root/data.json", "{\"a\":1}\n");
    put_str("root/noext", "raw");
    put_str("root/empty.txt", "");
    put_str("root/%2e%2e", "a file literally named %2e%2e\n");
    for (i = 0; i < sizeof png; i++) png[i] = (unsigned char)(i * 7);
    put_file("root/img.png", png, sizeof png);
    g_big = (unsigned char *)malloc(BIG_SIZE);
    for (i = 0; i < BIG_SIZE; i++) {
        x = x * 1103515245u + 12345u;
        g_big[i] = (unsigned char)(x >> 16);
    }
    put_file("root/big.bin", g_big, BIG_SIZE);
    mk("root/sub");
    put_str("root/sub/index.html", "<p>sub index</p>\n");
    put_str("root/sub/inner.txt", "inner\n");
    mk("root/emptydir");
#if !defined(_WIN32)   /* Windows: links only in symlinks_in_and_out (they need a privilege); no FIFOs */
    make_links();
    snprintf(p, sizeof p, "%s/root/pipe", g_tmp);
    TN_CHECK(mkfifo(p, 0644) == 0);
#endif
}

#if defined(_WIN32)
/* rm -rf for the Windows build: a link (reparse point) is removed, never entered */
static void rm_rf(const char *path) {
    DIR *d = opendir(path);
    struct dirent *de;
    char p[600];
    DWORD at;
    TN_CHECK(d != NULL);
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", path, de->d_name);
        at = GetFileAttributesA(p);
        TN_CHECK(at != INVALID_FILE_ATTRIBUTES);
        if ((at & FILE_ATTRIBUTE_DIRECTORY) && !(at & FILE_ATTRIBUTE_REPARSE_POINT)) rm_rf(p);
        else if (at & FILE_ATTRIBUTE_DIRECTORY) TN_CHECKF(RemoveDirectoryA(p), "rmdir %s", p);
        else TN_CHECKF(DeleteFileA(p), "remove %s", p);
    }
    closedir(d);
    TN_CHECKF(rmdir(path) == 0, "rmdir %s", path);
}
#endif

static void rm_tree(void) {
#if defined(_WIN32)
    rm_rf(g_tmp);
#else
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    TN_CHECK(system(cmd) == 0);
#endif
    free(g_big);
}

/* ---- compiled-in assets ---- */
static unsigned char g_asset_big[300000];
static tn_static_asset g_assets[] = {
    {"index.html", (const unsigned char *)"<h1>asset index</h1>\n", 21, NULL, "\"idx-1\"", 1700000000, NULL, 0},
    {"css/site.css", (const unsigned char *)"p{color:red}\n", 13, NULL, NULL, 1700000000, NULL, 0},
    {"/docs/index.html", (const unsigned char *)"docs\n", 5, "text/x-custom", "\"docs\"", 0, NULL, 0},
    {"big.bin", g_asset_big, sizeof g_asset_big, NULL, "\"big\"", 1700000000, NULL, 0},
};

/* gzip-stored assets (filled by the gzip tests: the plain text and its gzip) */
static char g_ztext[200000];
static unsigned char g_zdata[200000];
static tn_static_asset g_zassets[] = {
    {"big.txt", g_zdata, 0, NULL, NULL, 1700000000, "gzip", sizeof g_ztext},
    {"bad.txt", g_zdata, 0, NULL, "\"bad\"", 0, "gzip", sizeof g_ztext + 5},   /* plain_len wrong */
};

/* ---- counting allocator (peak bytes in use), shared with the test thread ---- */
static pthread_mutex_t g_amu = PTHREAD_MUTEX_INITIALIZER;
static size_t g_in_use, g_peak;

static void *cnt_alloc(size_t n, void *u) {
    size_t *p = (size_t *)malloc(n + 16);
    (void)u;
    if (!p) return NULL;
    *p = n;
    pthread_mutex_lock(&g_amu);
    g_in_use += n;
    if (g_in_use > g_peak) g_peak = g_in_use;
    pthread_mutex_unlock(&g_amu);
    return (char *)p + 16;
}
static void cnt_free(void *q, void *u) {
    size_t *p;
    (void)u;
    if (!q) return;
    p = (size_t *)(void *)((char *)q - 16);
    pthread_mutex_lock(&g_amu);
    g_in_use -= *p;
    pthread_mutex_unlock(&g_amu);
    free(p);
}
static void *cnt_realloc(void *q, size_t n, void *u) {
    void *r;
    if (!q) return cnt_alloc(n, u);
    r = cnt_alloc(n, u);
    if (!r) return NULL;
    memcpy(r, q, TN__MIN(n, *(size_t *)(void *)((char *)q - 16)));
    cnt_free(q, u);
    return r;
}
static void peak_reset(void) {
    pthread_mutex_lock(&g_amu);
    g_peak = g_in_use;
    pthread_mutex_unlock(&g_amu);
}
static size_t peak_get(void) {
    size_t v;
    pthread_mutex_lock(&g_amu);
    v = g_peak;
    pthread_mutex_unlock(&g_amu);
    return v;
}

/* ---- the server under test ---- */
typedef struct server {
    tn_loop *loop;
    tn_http_server *srv;
    pthread_t th;
    int port;
    tn_timer_id sampler;
    volatile size_t max_wbuf;   /* largest stream write buffer (memory) seen by the sampler */
    volatile int saw_sendfile;  /* the sampler saw a file segment queued (sendfile path) */
    volatile int last_rc;
    volatile int user_close_cbs;  /* close callbacks the application set (chained) */
} server;

static void user_close(tn_request *req, void *user) {
    (void)req;
    ((server *)user)->user_close_cbs++;
}

static void route(tn_request *req, void *user) {
    server *s = (server *)user;
    tn_str p = tn_request_path(req);
    tn_static_opts o;
    memset(&o, 0, sizeof o);
    o.root = g_root;
#define PFX(lit) (p.len >= sizeof(lit) - 1 && memcmp(p.ptr, lit, sizeof(lit) - 1) == 0)
#define REST(lit) tn_str_make(p.ptr + sizeof(lit) - 1, p.len - (sizeof(lit) - 1))
    if (tn_str_eq_c(p, "/static")) {
        s->last_rc = tn_static_serve(req, &o, tn_str_make("", 0));
    } else if (PFX("/static/")) {
        s->last_rc = tn_static_serve(req, &o, REST("/static/"));
    } else if (PFX("/nosf/")) {   /* read + write instead of sendfile; a max_age */
        o.no_sendfile = 1;
        o.max_age = 60;
        s->last_rc = tn_static_serve(req, &o, REST("/nosf/"));
    } else if (PFX("/chain/")) {   /* the application has its own close callback */
        tn_request_set_close_cb(req, user_close, s);
        s->last_rc = tn_static_serve(req, &o, REST("/chain/"));
    } else if (PFX("/out/")) {
        o.follow_symlinks_out = 1;
        s->last_rc = tn_static_serve(req, &o, REST("/out/"));
    } else if (PFX("/nodef/")) {
        o.default_filename = "";
        s->last_rc = tn_static_serve(req, &o, REST("/nodef/"));
    } else if (PFX("/pre/")) {   /* precompressed "<file>.gz" siblings */
        o.precompressed = 1;
        s->last_rc = tn_static_serve(req, &o, REST("/pre/"));
    } else if (PFX("/zassets/")) {   /* gzip-stored assets */
        s->last_rc = tn_static_serve_assets(req, g_zassets, 2, REST("/zassets/"), NULL);
    } else if (tn_str_eq_c(p, "/assets")) {
        s->last_rc = tn_static_serve_assets(req, g_assets, 4, tn_str_make("", 0), NULL);
    } else if (PFX("/assets/")) {
        s->last_rc = tn_static_serve_assets(req, g_assets, 4, REST("/assets/"), NULL);
    } else {
        tn_respond(req, 404, "text/plain", "no route", 8);
    }
#undef PFX
#undef REST
}

/* Every 5 ms: the largest write buffer (bytes held in memory) of any connection. */
static void sample_conn(tn_stream *st, void *user) {
    server *s = (server *)user;
    if (tn__cbuf_size(st->wbuf) > s->max_wbuf) s->max_wbuf = tn__cbuf_size(st->wbuf);
    if (st->wq && st->wq->sf) s->saw_sendfile = 1;
}

static void sample(tn_loop *loop, void *user) {
    server *s = (server *)user;
    (void)loop;
    tn__tcp_server_each(s->srv->tcp, sample_conn, s);
}

static void *server_thread(void *u) {
    tn_loop_run(((server *)u)->loop);
    return NULL;
}

static const tn_http_server_opts *g_srv_opts;   /* the next server's options (NULL: defaults) */

static server *start_server(void) {
    server *s = (server *)calloc(1, sizeof *s);
    tn_loop_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.allocator.alloc = cnt_alloc;
    lo.allocator.realloc = cnt_realloc;
    lo.allocator.free = cnt_free;
    TN_OK_RC(tn_loop_new(&lo, &s->loop));
    TN_OK_RC(tn_http_server_new(s->loop, g_srv_opts, route, s, &s->srv));
    TN_OK_RC(tn_http_server_listen(s->srv, "127.0.0.1", 0));
    TN_OK_RC(tn_loop_call_every(s->loop, 5, sample, s, &s->sampler));
    s->port = tn_http_server_port(s->srv);
    TN_CHECK(pthread_create(&s->th, NULL, server_thread, s) == 0);
    return s;
}

static void on_srv_closed(tn_loop *loop, void *user) {
    (void)user;
    tn_loop_stop(loop);
}
static void close_srv(tn_loop *loop, void *user) {
    server *s = (server *)user;
    tn_loop_cancel(loop, s->sampler);
    TN_OK_RC(tn_http_server_close(s->srv, 2000, on_srv_closed, s));
}

/* Graceful stop; every object must be gone afterwards (and, with ASan, every byte). */
static void stop_server(server *s) {
    TN_OK_RC(tn_loop_post(s->loop, close_srv, s));
    TN_CHECK(pthread_join(s->th, NULL) == 0);
    TN_OK_RC(tn_loop_free(s->loop));
    free(s);
}

/* Open descriptors (Windows: the process's handles), to see that every file was closed.
   wine 8 counts 0 handles always; there rm_tree catches a file left open instead (a file
   still open stays in its directory, delete pending, and the directory's removal fails). */
static int count_fds(void) {
#if defined(_WIN32)
    DWORD n = 0;
    return GetProcessHandleCount(GetCurrentProcess(), &n) ? (int)n : -1;
#else
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d) return -1;
    while (readdir(d)) n++;
    closedir(d);
    return n;
#endif
}

/* ---- client helpers (the blocking client is in tn_test_client.h) ---- */

/* A response read until the server closes: the first head, as text and parsed, and every
   byte after it (the body, and any responses pipelined after it), which may be megabytes. */
typedef struct resp {
    int status;
    char head[8192];                     /* NUL-terminated */
    tn_http_header h[CLI_MAX_HEADERS];   /* into head */
    size_t nh;
    unsigned char *body;                 /* NUL-terminated */
    size_t body_len;
} resp;

/* Read until the server closes (the requests say Connection: close). */
static void read_all(int fd, resp *r) {
    size_t cap = 1 << 16, len = 0, hlen;
    unsigned char *buf = (unsigned char *)malloc(cap);
    tn_http_response p;
    char *sep;
    for (;;) {
        long k;
        if (len == cap) buf = (unsigned char *)realloc(buf, cap *= 2);
        k = cli_recv_some(fd, buf + len, cap - len, 10000);
        TN_CHECKF(k >= 0, "no answer within 10 s");
        if (k == 0) break;
        len += (size_t)k;
    }
    memset(r, 0, sizeof *r);
    sep = len ? (char *)memmem(buf, len, "\r\n\r\n", 4) : NULL;
    TN_CHECKF(sep != NULL, "no complete head (%lu bytes)", (unsigned long)len);
    hlen = (size_t)(sep - (char *)buf) + 4;
    TN_CHECK(hlen < sizeof r->head);
    memcpy(r->head, buf, hlen);
    TN_EQ_INT(cli_parse_head(r->head, hlen, 0, &p, r->h), hlen);
    r->status = p.status;
    r->nh = p.num_headers;
    r->body_len = len - hlen;
    r->body = (unsigned char *)malloc(r->body_len + 1);
    memcpy(r->body, sep + 4, r->body_len);
    r->body[r->body_len] = 0;
    free(buf);
}

/* One request on a fresh connection: METHOD target, extra header lines (each ending in
   \r\n, may be ""). */
static void req(server *s, const char *method, const char *target, const char *extra, resp *r) {
    char buf[4096];
    int fd = cli_connect(s->port, 0);
    snprintf(buf, sizeof buf, "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s\r\n", method, target, extra);
    cli_sends(fd, buf);
    read_all(fd, r);
    close(fd);
}

static void resp_free(resp *r) { free(r->body); }

/* The value of header name (case-sensitive as we send them), or "" when absent. */
static const char *hdr(const resp *r, const char *name, char *out, size_t cap) {
    const tn_http_header *f;
    int i;
    out[0] = 0;
    for (i = 0; (f = cli_find_hdr(r->h, r->nh, name, i)) != NULL; i++) {
        if (tn_str_eq_c(f->name, name)) {
            snprintf(out, cap, "%.*s", (int)f->value.len, f->value.ptr);
            break;
        }
    }
    return out;
}

#define EXPECT_HDR(r, name, val)                                                        \
    do {                                                                                \
        char hv_[256];                                                                  \
        TN_EQ_STR(hdr(r, name, hv_, sizeof hv_), val);                                  \
    } while (0)

static void expect_body(const resp *r, int status, const char *body) {
    char cl[32];
    TN_CHECKF(r->status == status, "status %d, want %d\n%s", r->status, status, r->head);
    TN_EQ_UINT(r->body_len, strlen(body));
    TN_CHECK(memcmp(r->body, body, r->body_len) == 0);
    snprintf(cl, sizeof cl, "%lu", (unsigned long)strlen(body));
    EXPECT_HDR(r, "Content-Length", cl);
}

static void sha_hex(const void *p, size_t n, char out[65]) {
    unsigned char h[32];
    tn_sha256(p, n, h);
    tn_hex_encode(h, 32, out, 65, NULL);
}

/* ---- tests ---- */
TN_TEST(mime_types) {
    TN_EQ_STR(tn_static_mime_type(tn_str_c("a/b.html")), "text/html; charset=utf-8");
    TN_EQ_STR(tn_static_mime_type(tn_str_c("X.PNG")), "image/png");
    TN_EQ_STR(tn_static_mime_type(tn_str_c("a.tar.gz")), "application/gzip");
    TN_EQ_STR(tn_static_mime_type(tn_str_c("a.js")), "text/javascript; charset=utf-8");
    TN_EQ_STR(tn_static_mime_type(tn_str_c("dir.d/noext")), "application/octet-stream");
    TN_EQ_STR(tn_static_mime_type(tn_str_c("trailing.")), "application/octet-stream");
    TN_EQ_STR(tn_static_mime_type(tn_str_c("")), "application/octet-stream");
}

TN_TEST(files_types_lengths_bodies) {
    server *s;
    resp r;
    char h1[65], h2[65];
    static const struct { const char *path, *type, *body; } cases[] = {
        {"/static/hello.txt", "text/plain; charset=utf-8", "Hello, static\n"},
        {"/static/page.html", "text/html; charset=utf-8", "<h1>page</h1>\n"},
        {"/static/style.css", "text/css; charset=utf-8", "body{}\n"},
        {"/static/app.js", "text/javascript; charset=utf-8", "let a=1;\n"},
        {"/static/data.json", "application/json", "{\"a\":1}\n"},
        {"/static/noext", "application/octet-stream", "raw"},
        {"/static/empty.txt", "text/plain; charset=utf-8", ""},
        {"/static/sub/inner.txt", "text/plain; charset=utf-8", "inner\n"},
        {"/static/./sub//inner.txt", "text/plain; charset=utf-8", "inner\n"},
        {"/static/%73ub/inner.txt", "text/plain; charset=utf-8", "inner\n"},
        {"/static/%252e%252e", "application/octet-stream", "a file literally named %2e%2e\n"},
        {"/nosf/hello.txt", "text/plain; charset=utf-8", "Hello, static\n"},
    };
    size_t i;
    int fds0 = count_fds();
    make_tree();
    s = start_server();
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        req(s, "GET", cases[i].path, "", &r);
        expect_body(&r, 200, cases[i].body);
        EXPECT_HDR(&r, "Content-Type", cases[i].type);
        EXPECT_HDR(&r, "Accept-Ranges", "bytes");
        TN_CHECK(strstr(r.head, "\r\nETag: \"") != NULL);
        TN_CHECK(strstr(r.head, "\r\nLast-Modified: ") != NULL && strstr(r.head, " GMT\r\n") != NULL);
        TN_CHECK(strstr(r.head, "Cache-Control") == NULL || strncmp(cases[i].path, "/nosf/", 6) == 0);
        resp_free(&r);
    }
    /* binary */
    req(s, "GET", "/static/img.png", "", &r);
    TN_EQ_INT(r.status, 200);
    EXPECT_HDR(&r, "Content-Type", "image/png");
    TN_EQ_UINT(r.body_len, 64);
    TN_EQ_INT(r.body[63], (63 * 7) & 255);
    resp_free(&r);
    /* the multi-MB file, sendfile and read + write, intact */
    sha_hex(g_big, BIG_SIZE, h1);
    req(s, "GET", "/static/big.bin", "", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_UINT(r.body_len, BIG_SIZE);
    sha_hex(r.body, r.body_len, h2);
    TN_EQ_STR(h2, h1);
    resp_free(&r);
    req(s, "GET", "/nosf/big.bin", "", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_UINT(r.body_len, BIG_SIZE);
    sha_hex(r.body, r.body_len, h2);
    TN_EQ_STR(h2, h1);
    EXPECT_HDR(&r, "Cache-Control", "max-age=60");
    resp_free(&r);
    /* several files on one keep-alive connection, pipelined, one of them big */
    {
        int fd = cli_connect(s->port, 0);
        cli_sends(fd, "GET /static/hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"
                      "GET /static/big.bin HTTP/1.1\r\nHost: t\r\n\r\n"
                      "GET /nosf/big.bin HTTP/1.1\r\nHost: t\r\n\r\n"
                      "GET /static/page.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        read_all(fd, &r);
        close(fd);
        TN_EQ_INT(r.status, 200);
        TN_CHECK(r.body_len > 2 * BIG_SIZE);
        TN_CHECK(memcmp(r.body, "Hello, static\n", 14) == 0);
        {
            const char *p = (const char *)memmem(r.body, r.body_len, "\r\n\r\n", 4) + 4;   /* big #1 */
            const char *q;
            TN_CHECK(memcmp(p, g_big, BIG_SIZE) == 0);
            q = (const char *)memmem(p + BIG_SIZE, r.body_len - (size_t)(p + BIG_SIZE - (char *)r.body), "\r\n\r\n", 4) + 4;
            TN_CHECK(memcmp(q, g_big, BIG_SIZE) == 0);
            TN_CHECK(memmem(q + BIG_SIZE, r.body_len - (size_t)(q + BIG_SIZE - (char *)r.body), "<h1>page</h1>\n", 14) != NULL);
        }
        resp_free(&r);
    }
    stop_server(s);
    TN_EQ_INT(count_fds(), fds0);   /* every file descriptor closed */
    rm_tree();
}

TN_TEST(head_sends_length_no_body) {
    server *s;
    resp r;
    char cl[32];
    make_tree();
    s = start_server();
    req(s, "HEAD", "/static/big.bin", "", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_UINT(r.body_len, 0);
    snprintf(cl, sizeof cl, "%u", BIG_SIZE);
    EXPECT_HDR(&r, "Content-Length", cl);
    TN_CHECK(strstr(r.head, "\r\nETag: \"") != NULL);
    resp_free(&r);
    req(s, "HEAD", "/static/hello.txt", "Range: bytes=0-4\r\n", &r);
    TN_EQ_INT(r.status, 206);
    TN_EQ_UINT(r.body_len, 0);
    EXPECT_HDR(&r, "Content-Length", "5");
    EXPECT_HDR(&r, "Content-Range", "bytes 0-4/14");
    resp_free(&r);
    req(s, "HEAD", "/assets/big.bin", "", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_UINT(r.body_len, 0);
    EXPECT_HDR(&r, "Content-Length", "300000");
    resp_free(&r);
    req(s, "POST", "/static/hello.txt", "Content-Length: 0\r\n", &r);
    TN_EQ_INT(r.status, 405);
    EXPECT_HDR(&r, "Allow", "GET, HEAD");
    resp_free(&r);
    stop_server(s);
    rm_tree();
}

TN_TEST(etag_and_dates_give_304) {
    server *s;
    resp r;
    char etag[128], lm[64], line[300], weak[140];
    make_tree();
    s = start_server();
    req(s, "GET", "/static/hello.txt", "", &r);
    hdr(&r, "ETag", etag, sizeof etag);
    hdr(&r, "Last-Modified", lm, sizeof lm);
    TN_CHECK(etag[0] == '"' && lm[0]);
    resp_free(&r);
    /* exact, weak, in a list, "*" */
    snprintf(line, sizeof line, "If-None-Match: %s\r\n", etag);
    req(s, "GET", "/static/hello.txt", line, &r);
    TN_EQ_INT(r.status, 304);
    TN_EQ_UINT(r.body_len, 0);
    EXPECT_HDR(&r, "ETag", etag);
    TN_CHECK(strstr(r.head, "Content-Length") == NULL);
    resp_free(&r);
    snprintf(weak, sizeof weak, "W/%s", etag);
    snprintf(line, sizeof line, "If-None-Match: \"nope\", %s\r\n", weak);
    req(s, "GET", "/static/hello.txt", line, &r);
    TN_EQ_INT(r.status, 304);
    resp_free(&r);
    snprintf(line, sizeof line, "If-None-Match: \"a\"\r\nIf-None-Match: %s\r\n", etag);   /* two fields */
    req(s, "GET", "/static/hello.txt", line, &r);
    TN_EQ_INT(r.status, 304);
    resp_free(&r);
    req(s, "GET", "/static/hello.txt", "If-None-Match: *\r\n", &r);
    TN_EQ_INT(r.status, 304);
    resp_free(&r);
    req(s, "HEAD", "/static/hello.txt", "If-None-Match: *\r\n", &r);
    TN_EQ_INT(r.status, 304);
    resp_free(&r);
    req(s, "GET", "/static/hello.txt", "If-None-Match: \"other\"\r\n", &r);
    expect_body(&r, 200, "Hello, static\n");
    resp_free(&r);
    /* If-Modified-Since: same date or later → 304; earlier → 200; garbage → 200 */
    snprintf(line, sizeof line, "If-Modified-Since: %s\r\n", lm);
    req(s, "GET", "/static/hello.txt", line, &r);
    TN_EQ_INT(r.status, 304);
    resp_free(&r);
    req(s, "GET", "/static/hello.txt", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", &r);
    expect_body(&r, 200, "Hello, static\n");
    resp_free(&r);
    req(s, "GET", "/static/hello.txt", "If-Modified-Since: yesterday\r\n", &r);
    TN_EQ_INT(r.status, 200);
    resp_free(&r);
    /* If-None-Match wins over If-Modified-Since */
    snprintf(line, sizeof line, "If-None-Match: \"other\"\r\nIf-Modified-Since: %s\r\n", lm);
    req(s, "GET", "/static/hello.txt", line, &r);
    TN_EQ_INT(r.status, 200);
    resp_free(&r);
    /* a changed file gets a new ETag */
    {
        char p[512], etag2[128];
        struct timespec ts[2];
        snprintf(p, sizeof p, "%s/hello.txt", g_root);
#if defined(_WIN32)
        struct _utimbuf ub;
        (void)ts;
        ub.actime = ub.modtime = 1600000000;
        TN_CHECK(_utime(p, &ub) == 0);
#else
        ts[0].tv_sec = ts[1].tv_sec = 1600000000;
        ts[0].tv_nsec = ts[1].tv_nsec = 0;
        TN_CHECK(utimensat(AT_FDCWD, p, ts, 0) == 0);
#endif
        req(s, "GET", "/static/hello.txt", "", &r);
        hdr(&r, "ETag", etag2, sizeof etag2);
        TN_CHECK(strcmp(etag, etag2) != 0);
        EXPECT_HDR(&r, "Last-Modified", "Sun, 13 Sep 2020 12:26:40 GMT");
        resp_free(&r);
    }
    /* versioned URLs: ten years */
    req(s, "GET", "/static/hello.txt?v=abc123", "", &r);
    EXPECT_HDR(&r, "Cache-Control", "max-age=315360000");
    TN_CHECK(strstr(r.head, "\r\nExpires: ") != NULL);
    resp_free(&r);
    stop_server(s);
    rm_tree();
}

TN_TEST(ranges_206_416) {
    server *s;
    resp r;
    char want[64], line[200];
    const char *pfx[2] = {"/static", "/nosf"};
    int k;
    make_tree();
    s = start_server();
    req(s, "GET", "/static/hello.txt", "Range: bytes=0-4\r\n", &r);
    expect_body(&r, 206, "Hello");
    EXPECT_HDR(&r, "Content-Range", "bytes 0-4/14");
    resp_free(&r);
    req(s, "GET", "/static/hello.txt", "Range: bytes=-7\r\n", &r);        /* suffix */
    expect_body(&r, 206, "static\n");
    EXPECT_HDR(&r, "Content-Range", "bytes 7-13/14");
    resp_free(&r);
    req(s, "GET", "/static/hello.txt", "Range: bytes=7-\r\n", &r);        /* open */
    expect_body(&r, 206, "static\n");
    resp_free(&r);
    req(s, "GET", "/static/hello.txt", "Range: bytes=13-13\r\n", &r);     /* last byte */
    expect_body(&r, 206, "\n");
    resp_free(&r);
    req(s, "GET", "/static/hello.txt", "Range: bytes=7-1000\r\n", &r);    /* clamped */
    expect_body(&r, 206, "static\n");
    EXPECT_HDR(&r, "Content-Range", "bytes 7-13/14");
    resp_free(&r);
    req(s, "GET", "/static/hello.txt", "Range: bytes=0-\r\n", &r);        /* whole: 200 */
    expect_body(&r, 200, "Hello, static\n");
    TN_CHECK(strstr(r.head, "Content-Range") == NULL);
    resp_free(&r);
    req(s, "GET", "/static/hello.txt", "Range: bytes=0-1,4-5\r\n", &r);   /* several: 200 */
    expect_body(&r, 200, "Hello, static\n");
    resp_free(&r);
    req(s, "GET", "/static/hello.txt", "Range: lines=1-2\r\n", &r);       /* bad: ignored */
    expect_body(&r, 200, "Hello, static\n");
    resp_free(&r);
    req(s, "GET", "/static/hello.txt", "Range: bytes=14-\r\n", &r);       /* unsatisfiable */
    TN_EQ_INT(r.status, 416);
    EXPECT_HDR(&r, "Content-Range", "bytes */14");
    TN_EQ_UINT(r.body_len, 0);
    resp_free(&r);
    req(s, "GET", "/static/empty.txt", "Range: bytes=0-\r\n", &r);
    TN_EQ_INT(r.status, 416);
    EXPECT_HDR(&r, "Content-Range", "bytes */0");
    resp_free(&r);
    /* If-Range: a matching validator keeps the range, another one drops it */
    req(s, "GET", "/static/hello.txt", "", &r);
    {
        char etag[128];
        hdr(&r, "ETag", etag, sizeof etag);
        resp_free(&r);
        snprintf(line, sizeof line, "Range: bytes=0-4\r\nIf-Range: %s\r\n", etag);
        req(s, "GET", "/static/hello.txt", line, &r);
        expect_body(&r, 206, "Hello");
        resp_free(&r);
        req(s, "GET", "/static/hello.txt", "Range: bytes=0-4\r\nIf-Range: \"old\"\r\n", &r);
        expect_body(&r, 200, "Hello, static\n");
        resp_free(&r);
    }
    /* ranges of the big file, through sendfile and through read + write */
    for (k = 0; k < 2; k++) {
        uint64_t a = 1000001, b = 3500000;
        snprintf(want, sizeof want, "%s/big.bin", pfx[k]);
        snprintf(line, sizeof line, "Range: bytes=%llu-%llu\r\n", (unsigned long long)a, (unsigned long long)b);
        req(s, "GET", want, line, &r);
        TN_EQ_INT(r.status, 206);
        TN_EQ_UINT(r.body_len, b - a + 1);
        TN_CHECK(memcmp(r.body, g_big + a, (size_t)(b - a + 1)) == 0);
        resp_free(&r);
        req(s, "GET", want, "Range: bytes=-70000\r\n", &r);
        TN_EQ_UINT(r.body_len, 70000);
        TN_CHECK(memcmp(r.body, g_big + BIG_SIZE - 70000, 70000) == 0);
        resp_free(&r);
    }
    stop_server(s);
    rm_tree();
}

TN_TEST(index_redirect_404_403) {
    server *s;
    resp r;
    make_tree();
    s = start_server();
    req(s, "GET", "/static/sub/", "", &r);
    expect_body(&r, 200, "<p>sub index</p>\n");
    EXPECT_HDR(&r, "Content-Type", "text/html; charset=utf-8");
    resp_free(&r);
    req(s, "GET", "/static/sub", "", &r);
    TN_EQ_INT(r.status, 301);
    EXPECT_HDR(&r, "Location", "/static/sub/");
    resp_free(&r);
    req(s, "GET", "/static/sub?v=1", "", &r);
    EXPECT_HDR(&r, "Location", "/static/sub/?v=1");
    resp_free(&r);
    req(s, "GET", "/static", "", &r);
    TN_EQ_INT(r.status, 301);
    EXPECT_HDR(&r, "Location", "/static/");
    resp_free(&r);
    req(s, "GET", "/static/", "", &r);            /* the root has no index.html (Tornado: 404) */
    TN_EQ_INT(r.status, 404);
    /* the same HTML error page as the app's (Tornado's write_error) */
    EXPECT_HDR(&r, "Content-Type", "text/html; charset=UTF-8");
    TN_EQ_STR((const char *)r.body, "<html><title>404: Not Found</title><body>404: Not Found</body></html>");
    resp_free(&r);
    req(s, "GET", "/static/emptydir/", "", &r);
    TN_EQ_INT(r.status, 404);
    resp_free(&r);
    req(s, "GET", "/nodef/sub/", "", &r);         /* default file turned off */
    TN_EQ_INT(r.status, 403);
    resp_free(&r);
    req(s, "GET", "/static/missing.txt", "", &r);
    TN_EQ_INT(r.status, 404);
    resp_free(&r);
    req(s, "GET", "/static/sub/missing/deeper.txt", "", &r);
    TN_EQ_INT(r.status, 404);
    resp_free(&r);
    req(s, "GET", "/static/hello.txt/", "", &r);  /* a file is not a directory */
    TN_EQ_INT(r.status, 404);
    resp_free(&r);
    req(s, "GET", "/static/hello.txt/x", "", &r);
    TN_EQ_INT(r.status, 404);
    resp_free(&r);
    stop_server(s);
    rm_tree();
}

TN_TEST(traversal_refused) {
    server *s;
    resp r;
    static const char *bad[] = {
        "/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/%2E%2E/secret.txt",
        "/static/..%2fsecret.txt", "/static/sub/..%2f..%2fsecret.txt", "/static/sub/../../secret.txt",
        "/static/.%2e/secret.txt", "/static/hello.txt%00.png", "/static/%00", "/static//etc/passwd",
        "/static/%2fetc%2fpasswd", "/static/..%5csecret.txt", "/static/sub%5c..%5c..%5csecret.txt",
        "/static/link_out", "/static/link_out_dir/secret.txt", "/static/link_sib",
        "/static/link_abs_out/secret.txt", "/static/..", "/static/%2e%2e", "/static/sub/..%2F..%2F",
        "/assets/..%2fsecret.txt", "/assets/%2e%2e/index.html", "/assets/%00",
    };
    size_t i;
    make_tree();
    s = start_server();
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        req(s, "GET", bad[i], "", &r);
        TN_CHECKF(r.status == 403 || r.status == 404, "%s: status %d", bad[i], r.status);
        TN_CHECKF(!memmem(r.body, r.body_len, "TOPSECRET", 9), "%s leaked", bad[i]);
        resp_free(&r);
    }
    /* raw backslashes in the target, if the parser lets them through */
    {
        int fd = cli_connect(s->port, 0);
        cli_sends(fd, "GET /static/..\\secret.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        read_all(fd, &r);
        close(fd);
        TN_CHECK(r.status == 400 || r.status == 403 || r.status == 404);
        TN_CHECK(!memmem(r.body, r.body_len, "TOPSECRET", 9));
        resp_free(&r);
    }
    req(s, "GET", "/out/../secret.txt", "", &r);   /* follow_symlinks_out: never ".." either */
    TN_EQ_INT(r.status, 403);
    resp_free(&r);
    stop_server(s);
    rm_tree();
}

/* Symlinks inside the root are followed, out of it refused (403) unless follow_symlinks_out.
   Windows: the same through CreateSymbolicLinkW links when the process may make them. */
TN_TEST(symlinks_in_and_out) {
    server *s;
    resp r;
    static const char *out[] = {"/static/link_out", "/static/link_out_dir/secret.txt", "/static/link_sib",
                                "/static/link_abs_out/secret.txt"};
    size_t i;
    make_tree();
#if defined(_WIN32)
    if (!make_links()) {
        rm_tree();
        TN_SKIP("no symbolic link could be made (Windows needs SeCreateSymbolicLinkPrivilege or developer "
                "mode; wine 8's CreateSymbolicLinkW makes none)");
    }
#endif
    s = start_server();
    req(s, "GET", "/static/link_in", "", &r);
    expect_body(&r, 200, "Hello, static\n");
    EXPECT_HDR(&r, "Content-Type", "application/octet-stream");
    resp_free(&r);
    req(s, "GET", "/static/link_dir_in/inner.txt", "", &r);
    expect_body(&r, 200, "inner\n");
    EXPECT_HDR(&r, "Content-Type", "text/plain; charset=utf-8");
    resp_free(&r);
    for (i = 0; i < sizeof out / sizeof out[0]; i++) {
        req(s, "GET", out[i], "", &r);
        TN_CHECKF(r.status == 403, "%s: status %d", out[i], r.status);
        TN_CHECKF(!memmem(r.body, r.body_len, "TOPSECRET", 9), "%s leaked", out[i]);
        resp_free(&r);
    }
    /* follow_symlinks_out lets the same link through (the option works both ways) */
    req(s, "GET", "/out/link_out", "", &r);
    expect_body(&r, 200, "TOPSECRET outside the root\n");
    resp_free(&r);
    stop_server(s);
    rm_tree();
}

/* A FIFO is not a regular file: 403, and no hang on open. */
TN_TEST(fifo_not_served) {
    server *s;
    resp r;
    TN_POSIX_ONLY("mkfifo(3): Windows has no FIFOs in its file system");
    make_tree();
    s = start_server();
    req(s, "GET", "/static/pipe", "", &r);
    TN_EQ_INT(r.status, 403);
    resp_free(&r);
    stop_server(s);
    rm_tree();
}

/* Names Windows reads as something else than the file they spell: an alternate data stream
   (hello.txt::$DATA is hello.txt's content under another name), device names in any
   directory with any extension, trailing dots and spaces (dropped by Windows), a drive or
   UNC form, backslashes. The Windows build refuses every one with 403 and leaks nothing;
   on POSIX they are plain (absent) names: 404, the backslash 403. */
TN_TEST(windows_names_refused) {
    server *s;
    resp r;
    static const char *bad[] = {
        "/static/hello.txt::$DATA", "/static/hello.txt:$DATA", "/static/hello.txt%3a%3a%24DATA",
        "/static/hello.txt:alt", "/static/sub:x/inner.txt", "/static/nul", "/static/NUL", "/static/con.txt",
        "/static/Con.Html", "/static/sub/aux.css", "/static/prn", "/static/com1", "/static/LPT9.txt",
        "/static/nul%20.txt", "/static/CONIN$", "/static/conout$.txt", "/static/com%C2%B9",
        "/static/hello.txt.", "/static/hello.txt%20", "/static/hello.txt..", "/static/sub./inner.txt",
        "/static/sub%20/inner.txt", "/static/C:%2fWindows%2fwin.ini", "/static/c:secret.txt",
        "/static/hello.txt%3f", "/static/hello.tx%2a", "/static/%2f%2fserver%2fshare%2fsecret.txt",
    };
    size_t i;
    make_tree();
    s = start_server();
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        req(s, "GET", bad[i], "", &r);
        TN_CHECKF(!memmem(r.body, r.body_len, "Hello, static", 13), "%s served hello.txt", bad[i]);
#if defined(_WIN32)
        TN_CHECKF(r.status == 403, "%s: status %d, want 403", bad[i], r.status);
#else
        TN_CHECKF(r.status == 404 || (r.status == 403 && strstr(bad[i], "%2f%2f")), "%s: status %d", bad[i], r.status);
#endif
        resp_free(&r);
    }
    /* a\..\secret.txt, sent raw and encoded: never the file outside the root */
    req(s, "GET", "/static/sub%5c..%5c..%5csecret.txt", "", &r);
    TN_EQ_INT(r.status, 403);
    resp_free(&r);
    {
        int fd = cli_connect(s->port, 0);
        cli_sends(fd, "GET /static/sub\\..\\..\\secret.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        read_all(fd, &r);
        close(fd);
        TN_CHECKF(r.status == 400 || r.status == 403, "status %d", r.status);
        TN_CHECK(!memmem(r.body, r.body_len, "TOPSECRET", 9));
        resp_free(&r);
    }
    /* the plain names beside them still work (a device-like prefix is no device) */
    put_str("root/console.txt", "not a device\n");
    put_str("root/com10", "not a port\n");
    req(s, "GET", "/static/console.txt", "", &r);
    expect_body(&r, 200, "not a device\n");
    resp_free(&r);
    req(s, "GET", "/static/com10", "", &r);
    expect_body(&r, 200, "not a port\n");
    resp_free(&r);
    req(s, "GET", "/static/sub/inner.txt", "", &r);
    expect_body(&r, 200, "inner\n");
    resp_free(&r);
    stop_server(s);
    rm_tree();
}

TN_TEST(assets_same_rules) {
    server *s;
    resp r;
    char etag[128], expect[64], line[300];
    unsigned char h[TN_SHA1_SIZE];
    size_t i;
    for (i = 0; i < sizeof g_asset_big; i++) g_asset_big[i] = (unsigned char)(i * 31 + (i >> 9));
    s = start_server();
    req(s, "GET", "/assets/css/site.css", "", &r);
    expect_body(&r, 200, "p{color:red}\n");
    EXPECT_HDR(&r, "Content-Type", "text/css; charset=utf-8");
    EXPECT_HDR(&r, "Last-Modified", "Tue, 14 Nov 2023 22:13:20 GMT");
    /* no ETag in the table: SHA-1 of the content, as tools/embed_assets.py makes it */
    tn_sha1("p{color:red}\n", 13, h);
    expect[0] = '"';
    tn_hex_encode(h, sizeof h, expect + 1, sizeof expect - 1, NULL);
    strcat(expect, "\"");
    hdr(&r, "ETag", etag, sizeof etag);
    TN_EQ_STR(etag, expect);
    resp_free(&r);
    snprintf(line, sizeof line, "If-None-Match: %s\r\n", etag);
    req(s, "GET", "/assets/css/site.css", line, &r);
    TN_EQ_INT(r.status, 304);
    TN_EQ_UINT(r.body_len, 0);
    resp_free(&r);
    req(s, "GET", "/assets/css/site.css", "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n", &r);
    TN_EQ_INT(r.status, 304);
    resp_free(&r);
    req(s, "GET", "/assets/", "", &r);
    expect_body(&r, 200, "<h1>asset index</h1>\n");
    EXPECT_HDR(&r, "ETag", "\"idx-1\"");
    EXPECT_HDR(&r, "Content-Type", "text/html; charset=utf-8");
    resp_free(&r);
    req(s, "GET", "/assets", "", &r);
    TN_EQ_INT(r.status, 301);
    EXPECT_HDR(&r, "Location", "/assets/");
    resp_free(&r);
    req(s, "GET", "/assets/docs", "", &r);
    TN_EQ_INT(r.status, 301);
    EXPECT_HDR(&r, "Location", "/assets/docs/");
    resp_free(&r);
    req(s, "GET", "/assets/docs/", "", &r);
    expect_body(&r, 200, "docs\n");
    EXPECT_HDR(&r, "Content-Type", "text/x-custom");
    TN_CHECK(strstr(r.head, "Last-Modified") == NULL);   /* mtime 0: none */
    resp_free(&r);
    req(s, "GET", "/assets/index.html", "Range: bytes=4-8\r\n", &r);
    expect_body(&r, 206, "asset");
    EXPECT_HDR(&r, "Content-Range", "bytes 4-8/21");
    resp_free(&r);
    req(s, "GET", "/assets/index.html", "Range: bytes=21-\r\n", &r);
    TN_EQ_INT(r.status, 416);
    EXPECT_HDR(&r, "Content-Range", "bytes */21");
    resp_free(&r);
    req(s, "HEAD", "/assets/index.html", "", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_UINT(r.body_len, 0);
    EXPECT_HDR(&r, "Content-Length", "21");
    resp_free(&r);
    req(s, "GET", "/assets/missing", "", &r);
    TN_EQ_INT(r.status, 404);
    resp_free(&r);
    req(s, "GET", "/assets/big.bin", "", &r);   /* streamed in pieces */
    TN_EQ_INT(r.status, 200);
    TN_EQ_UINT(r.body_len, sizeof g_asset_big);
    TN_CHECK(memcmp(r.body, g_asset_big, sizeof g_asset_big) == 0);
    resp_free(&r);
    req(s, "GET", "/assets/big.bin", "Range: bytes=100000-\r\n", &r);
    TN_EQ_INT(r.status, 206);
    TN_EQ_UINT(r.body_len, 200000);
    TN_CHECK(memcmp(r.body, g_asset_big + 100000, 200000) == 0);
    resp_free(&r);
    stop_server(s);
}

/* A client that reads 8 MB slowly: the server must not queue the file in memory. Then
   clients that leave in the middle of a file: everything is released. */
TN_TEST(slow_reader_bounded_and_leavers) {
    server *s;
    const char *paths[2] = {"/static/big.bin", "/nosf/big.bin"};
    int k, fds0 = count_fds();
    make_tree();
    s = start_server();
    for (k = 0; k < 2; k++) {
        char buf[4096], h1[65], h2[65];
        size_t got = 0, peak;
        unsigned char *all = (unsigned char *)malloc(BIG_SIZE + 8192);
        int fd = cli_connect(s->port, 8192), i;
        peak_reset();
        s->max_wbuf = 0;
        s->saw_sendfile = 0;
        snprintf(buf, sizeof buf, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", paths[k]);
        cli_sends(fd, buf);
        for (i = 0; i < 40; i++) {   /* ~1 s at ~32 KB/s */
            ssize_t n = recv(fd, all + got, 1024, 0);
            TN_CHECK(n > 0);
            got += (size_t)n;
            usleep(25000);
        }
        peak = peak_get();
        if (getenv("TN_TEST_VERBOSE"))
            fprintf(stderr, "%s: write buffer max %lu, allocator peak %lu, sendfile %d\n", paths[k],
                    (unsigned long)s->max_wbuf, (unsigned long)peak, s->saw_sendfile);
        TN_EQ_INT(s->saw_sendfile, k == 0 && TN__HAVE_SENDFILE);
        TN_CHECKF(s->max_wbuf <= 2 * 65536, "%s: write buffer reached %lu bytes", paths[k], (unsigned long)s->max_wbuf);
        TN_CHECKF(peak <= 1024 * 1024, "%s: allocator peak %lu bytes", paths[k], (unsigned long)peak);
        {   /* the rest at full speed, intact */
            int closed;
            got += cli_recv(fd, (char *)all + got, BIG_SIZE + 8192 - got, 30000, &closed);
            TN_CHECK(closed);
        }
        close(fd);
        {
            unsigned char *body = (unsigned char *)memmem(all, got, "\r\n\r\n", 4) + 4;
            TN_EQ_UINT(got - (size_t)(body - all), BIG_SIZE);
            sha_hex(g_big, BIG_SIZE, h1);
            sha_hex(body, BIG_SIZE, h2);
            TN_EQ_STR(h2, h1);
        }
        free(all);
    }
    /* leavers: read a little of a big file (and of an asset), then close or reset */
    {   /* a finished transfer does not call the application's close callback */
        resp r;
        req(s, "GET", "/chain/hello.txt", "", &r);
        expect_body(&r, 200, "Hello, static\n");
        resp_free(&r);
    }
    for (k = 0; k < 8; k++) {
        static const char *t[4] = {"/static/big.bin", "/nosf/big.bin", "/assets/big.bin", "/chain/big.bin"};
        char buf[4096];
        int fd = cli_connect(s->port, 8192);
        snprintf(buf, sizeof buf, "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", t[k % 4]);
        cli_sends(fd, buf);
        TN_CHECK(recv(fd, buf, sizeof buf, 0) > 0);
        if (k >= 4) {
            struct linger lg;
            lg.l_onoff = 1;
            lg.l_linger = 0;   /* RST */
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
        }
        close(fd);
    }
    {   /* the server notices and releases each transfer */
        int waited = 0;
        while (tn_http_server_connections(s->srv) > 0 && waited++ < 400) usleep(5000);
        TN_EQ_UINT(tn_http_server_connections(s->srv), 0);
        TN_EQ_INT(s->user_close_cbs, 2);   /* the two /chain/ leavers */
    }
    stop_server(s);
    TN_EQ_INT(count_fds(), fds0);
    pthread_mutex_lock(&g_amu);
    TN_EQ_UINT(g_in_use, 0);
    pthread_mutex_unlock(&g_amu);
    rm_tree();
}

/* Several clients download at once, read round-robin: every body intact. */
TN_TEST(concurrent_downloads) {
    enum { N = 6 };
    server *s;
    int fd[N], i, open_n = N;
    unsigned char *buf[N];
    size_t len[N];
    static const char *t[3] = {"/static/big.bin", "/nosf/big.bin", "/assets/big.bin"};
    for (i = 0; i < (int)sizeof g_asset_big; i++) g_asset_big[i] = (unsigned char)(i * 13);
    make_tree();
    s = start_server();
    for (i = 0; i < N; i++) {
        char rq[256];
        fd[i] = cli_connect(s->port, 0);
        snprintf(rq, sizeof rq, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", t[i % 3]);
        cli_sends(fd[i], rq);
        buf[i] = (unsigned char *)malloc(BIG_SIZE + 4096);
        len[i] = 0;
    }
    while (open_n > 0) {
        struct pollfd pf[N];
        for (i = 0; i < N; i++) {
            pf[i].fd = fd[i];
            pf[i].events = POLLIN;
        }
        TN_CHECKF(poll(pf, N, 10000) > 0, "stalled");
        for (i = 0; i < N; i++) {
            ssize_t k;
            if (fd[i] < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            k = recv(fd[i], buf[i] + len[i], TN__MIN((size_t)16384, BIG_SIZE + 4096 - len[i]), 0);
            if (k > 0) {
                len[i] += (size_t)k;
            } else {
                close(fd[i]);
                fd[i] = -1;
                open_n--;
            }
        }
    }
    for (i = 0; i < N; i++) {
        unsigned char *body = (unsigned char *)memmem(buf[i], len[i], "\r\n\r\n", 4);
        const unsigned char *want = i % 3 == 2 ? g_asset_big : g_big;
        size_t wlen = i % 3 == 2 ? sizeof g_asset_big : BIG_SIZE;
        TN_CHECK(body != NULL);
        body += 4;
        TN_EQ_UINT(len[i] - (size_t)(body - buf[i]), wlen);
        TN_CHECKF(memcmp(body, want, wlen) == 0, "client %d: body differs", i);
        free(buf[i]);
    }
    stop_server(s);
    rm_tree();
}

/* ---- the stream's file segment: order around buffered writes, callbacks, close ---- */
typedef struct sf_log { int order[8]; int status[8]; int n; } sf_log;
static sf_log g_sf;
static void sf_cb(tn_stream *st, int status, void *user) {
    (void)st;
    g_sf.order[g_sf.n] = (int)(intptr_t)user;
    g_sf.status[g_sf.n++] = status;
}

TN_TEST(stream_sendfile_ordering) {
    tn_loop *loop;
    tn_stream *st;
    int sv[2], ffd, sz = 4096, i;
    size_t want = 200000 + 1000000 + 1000, got = 0;
    unsigned char *in = (unsigned char *)malloc(want), *a = (unsigned char *)malloc(200000), b[1000];
    char path[400];
    if (!TN__HAVE_SENDFILE) TN_SKIP("no sendfile(2) on this platform: the read + write path is used");
    make_tree();
    snprintf(path, sizeof path, "%s/big.bin", g_root);
    ffd = open(path, O_RDONLY);
    TN_CHECK(ffd >= 0);
    TN_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_OK_RC(tn_stream_new_socket(loop, sv[0], NULL, &st));
    memset(a, 'A', 200000);
    memset(b, 'B', sizeof b);
    memset(&g_sf, 0, sizeof g_sf);
    /* buffered bytes, then a file segment (from offset 5), then more buffered bytes */
    TN_OK_RC(tn_stream_write(st, a, 200000, sf_cb, (void *)1));
    TN_OK_RC(tn__stream_sendfile(st, ffd, 5, 1000000, sf_cb, (void *)2));
    TN_EQ_RC(tn__stream_sendfile(st, ffd, 0, 10, sf_cb, (void *)9), TN_EBUSY);
    TN_OK_RC(tn_stream_write(st, b, sizeof b, sf_cb, (void *)3));
    TN_CHECK(tn_stream_write_buffer_size(st) > 1000000);   /* the segment counts as queued */
    TN_EQ_INT(g_sf.n, 0);                                  /* never inside the call */
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    for (i = 0; i < 100000 && got < want; i++) {
        ssize_t k = recv(sv[1], in + got, want - got, 0);
        if (k > 0) got += (size_t)k;
        tn_loop_run_once(loop, 0);
    }
    TN_EQ_UINT(got, want);
    for (i = 0; i < 10 && g_sf.n < 3; i++) tn_loop_run_once(loop, 0);
    TN_CHECK(memcmp(in, a, 200000) == 0);
    TN_CHECK(memcmp(in + 200000, g_big + 5, 1000000) == 0);
    TN_CHECK(memcmp(in + 1200000, b, sizeof b) == 0);
    TN_EQ_INT(g_sf.n, 3);
    for (i = 0; i < 3; i++) {
        TN_EQ_INT(g_sf.order[i], i + 1);
        TN_EQ_RC(g_sf.status[i], TN_OK);
    }
    /* a segment cut short by close: its callback reports the cause, once */
    memset(&g_sf, 0, sizeof g_sf);
    TN_OK_RC(tn__stream_sendfile(st, ffd, 0, BIG_SIZE, sf_cb, (void *)4));
    tn_loop_run_once(loop, 0);
    TN_OK_RC(tn_stream_abort(st, TN_ECANCELED));
    for (i = 0; i < 5; i++) tn_loop_run_once(loop, 0);
    TN_EQ_INT(g_sf.n, 1);
    TN_EQ_RC(g_sf.status[0], TN_ECANCELED);
    TN_OK_RC(tn_loop_free(loop));
    close(sv[1]);
    close(ffd);
    free(in);
    free(a);
    rm_tree();
}

/* ---- interop ---- */
TN_TEST(curl_interop) {
    server *s;
    char cmd[1024], out[4096], etag[128];
    char *p;
    if (!have_cmd("curl")) TN_SKIP("curl not found (apt-get install curl)");
    make_tree();
    s = start_server();
    /* ranges */
    snprintf(cmd, sizeof cmd, "curl -s -r 0-4 -w ' %%{http_code}' http://127.0.0.1:%d/static/hello.txt", s->port);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "Hello 206");
    snprintf(cmd, sizeof cmd, "curl -s -r -7 -w ' %%{http_code}' http://127.0.0.1:%d/static/hello.txt", s->port);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "static\n 206");
    put_file("slice.bin", g_big + 1000000, 1000000);
    snprintf(cmd, sizeof cmd, "curl -s -r 1000000-1999999 http://127.0.0.1:%d/static/big.bin | cmp -s - %s/slice.bin && echo same",
             s->port, g_tmp);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "same\n");
    /* the whole big file, through curl */
    snprintf(cmd, sizeof cmd, "curl -s http://127.0.0.1:%d/static/big.bin | cmp -s - %s/big.bin && echo same", s->port, g_root);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "same\n");
    /* HEAD */
    snprintf(cmd, sizeof cmd, "curl -s -I http://127.0.0.1:%d/static/page.html | tr -d '\\r' | grep -e '^HTTP' -e '^Content-Length' -e '^Content-Type' -e '^ETag'", s->port);
    run_cmd(cmd, out, sizeof out);
    TN_CHECKF(strncmp(out, "HTTP/1.1 200 OK\nContent-Length: 14\n", 35) == 0, "%s", out);
    TN_CHECK(strstr(out, "Content-Type: text/html; charset=utf-8\n") != NULL);
    p = strstr(out, "ETag: ");
    TN_CHECK(p != NULL);
    snprintf(etag, sizeof etag, "%.*s", (int)strcspn(p + 6, "\n"), p + 6);
    /* If-None-Match */
    snprintf(cmd, sizeof cmd, "curl -s -o /dev/null -w '%%{http_code}' -H 'If-None-Match: %s' http://127.0.0.1:%d/static/page.html", etag, s->port);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "304");
    /* curl's own conditional: -z (If-Modified-Since from a date) */
    snprintf(cmd, sizeof cmd, "curl -s -o /dev/null -w '%%{http_code}' -z 'Jan 1 2100' http://127.0.0.1:%d/static/page.html", s->port);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "304");
    /* directory redirect, followed */
    snprintf(cmd, sizeof cmd, "curl -s -L http://127.0.0.1:%d/static/sub", s->port);
    run_cmd(cmd, out, sizeof out);
    TN_EQ_STR(out, "<p>sub index</p>\n");
    /* traversal as curl sends it (--path-as-is keeps the dots) */
    snprintf(cmd, sizeof cmd, "curl -s --path-as-is -w ' %%{http_code}' http://127.0.0.1:%d/static/../secret.txt", s->port);
    run_cmd(cmd, out, sizeof out);
    TN_CHECK(strstr(out, "TOPSECRET") == NULL && strstr(out, " 403") != NULL);
    stop_server(s);
    rm_tree();
}

/* ---- gzip: precompressed siblings, compress_response on files, gzip-stored assets ---- */
static void text_fill(char *p, size_t n) {
    size_t i = 0;
    int line = 0;
    while (i < n) {
        char tmp[64];
        int k = snprintf(tmp, sizeof tmp, "static line %d, compressible\n", line++);
        size_t take = (size_t)k < n - i ? (size_t)k : n - i;
        memcpy(p + i, tmp, take);
        i += take;
    }
}

static size_t gz_make(const void *in, size_t n, unsigned char *out, size_t cap) {
    tn_deflate_opts o;
    size_t len;
    memset(&o, 0, sizeof o);
    o.format = TN_DEFLATE_GZIP;
    TN_OK_RC(tn_deflate_once(&o, in, n, out, cap, &len));
    return len;
}

/* Decode a chunked body (in place) and gunzip it into out. Returns the plain length. */
static size_t gz_decode(const unsigned char *in, size_t n, int chunked, char *out, size_t cap) {
    tn_inflate_opts o;
    size_t len = n, plain;
    unsigned char *copy = (unsigned char *)malloc(n + 1);
    memcpy(copy, in, n);
    if (chunked) {
        tn_http_chunked dec;
        memset(&dec, 0, sizeof dec);
        TN_CHECK(tn_http_decode_chunked(&dec, (char *)copy, &len) >= 0);
    }
    memset(&o, 0, sizeof o);
    o.format = TN_DEFLATE_GZIP;
    TN_OK_RC(tn_inflate_once(&o, copy, len, out, cap, &plain));
    free(copy);
    return plain;
}

TN_TEST(precompressed_gz_sibling) {
    server *s;
    resp r;
    static char text[3000], out[8192];
    static unsigned char gz[4096];
    size_t gzlen;
    char v[256], plain_etag[128], cl[32];
    make_tree();
    text_fill(text, sizeof text);
    gzlen = gz_make(text, sizeof text, gz, sizeof gz);
    put_file("root/doc.html", text, sizeof text);
    put_file("root/doc.html.gz", gz, gzlen);
    s = start_server();
    /* a gzip client gets the .gz bytes, as gzip, with the original's type */
    req(s, "GET", "/pre/doc.html", "Accept-Encoding: gzip, deflate\r\n", &r);
    TN_EQ_INT(r.status, 200);
    EXPECT_HDR(&r, "Content-Encoding", "gzip");
    EXPECT_HDR(&r, "Content-Type", "text/html; charset=utf-8");
    EXPECT_HDR(&r, "Vary", "Accept-Encoding");
    EXPECT_HDR(&r, "Accept-Ranges", "bytes");
    TN_EQ_UINT(r.body_len, gzlen);
    TN_CHECK(memcmp(r.body, gz, gzlen) == 0);
    TN_EQ_UINT(gz_decode(r.body, r.body_len, 0, out, sizeof out), sizeof text);
    TN_CHECK(memcmp(out, text, sizeof text) == 0);
    hdr(&r, "ETag", v, sizeof v);
    resp_free(&r);
    /* others get the plain file (Vary too: the answer depends on Accept-Encoding) */
    req(s, "GET", "/pre/doc.html", "Accept-Encoding: gzip;q=0, br\r\n", &r);
    TN_EQ_INT(r.status, 200);
    EXPECT_HDR(&r, "Content-Encoding", "");
    EXPECT_HDR(&r, "Vary", "Accept-Encoding");
    TN_EQ_UINT(r.body_len, sizeof text);
    TN_CHECK(memcmp(r.body, text, sizeof text) == 0);
    hdr(&r, "ETag", plain_etag, sizeof plain_etag);
    TN_CHECK(strcmp(v, plain_etag) != 0);   /* two representations, two strong ETags */
    resp_free(&r);
    /* a range is of the gzip bytes */
    req(s, "GET", "/pre/doc.html", "Accept-Encoding: gzip\r\nRange: bytes=0-9\r\n", &r);
    TN_EQ_INT(r.status, 206);
    EXPECT_HDR(&r, "Content-Encoding", "gzip");
    snprintf(cl, sizeof cl, "bytes 0-9/%lu", (unsigned long)gzlen);
    EXPECT_HDR(&r, "Content-Range", cl);
    TN_EQ_UINT(r.body_len, 10);
    TN_CHECK(memcmp(r.body, gz, 10) == 0);
    resp_free(&r);
    /* If-None-Match with the gzip ETag: 304 */
    snprintf(out, sizeof out, "Accept-Encoding: gzip\r\nIf-None-Match: %s\r\n", v);
    req(s, "GET", "/pre/doc.html", out, &r);
    TN_EQ_INT(r.status, 304);
    resp_free(&r);
    /* HEAD: the gzip length */
    req(s, "HEAD", "/pre/doc.html", "Accept-Encoding: gzip\r\n", &r);
    snprintf(cl, sizeof cl, "%lu", (unsigned long)gzlen);
    EXPECT_HDR(&r, "Content-Length", cl);
    TN_EQ_UINT(r.body_len, 0);
    resp_free(&r);
    /* the .gz itself is a plain gzip file; a file without a sibling has no Vary */
    req(s, "GET", "/pre/doc.html.gz", "Accept-Encoding: gzip\r\n", &r);
    EXPECT_HDR(&r, "Content-Type", "application/gzip");
    EXPECT_HDR(&r, "Content-Encoding", "");
    TN_EQ_UINT(r.body_len, gzlen);
    resp_free(&r);
    req(s, "GET", "/pre/hello.txt", "Accept-Encoding: gzip\r\n", &r);
    expect_body(&r, 200, "Hello, static\n");
    EXPECT_HDR(&r, "Vary", "");
    resp_free(&r);
    /* without the option the sibling is ignored */
    req(s, "GET", "/static/doc.html", "Accept-Encoding: gzip\r\n", &r);
    TN_EQ_UINT(r.body_len, sizeof text);
    EXPECT_HDR(&r, "Content-Encoding", "");
    resp_free(&r);
    stop_server(s);
    rm_tree();
}

/* With the server's compress_response, files of compressible types are gzipped on the
   fly (chunked); ranges and other types are sent as they are. */
TN_TEST(compress_response_on_files) {
    server *s;
    resp r;
    tn_http_server_opts o;
    static char text[200000], out[200000];
    make_tree();
    text_fill(text, sizeof text);
    put_file("root/long.txt", text, sizeof text);
    memset(&o, 0, sizeof o);
    o.compress_response = 1;
    o.gzip = tn_http_gzip();
    g_srv_opts = &o;
    s = start_server();
    g_srv_opts = NULL;
    req(s, "GET", "/static/long.txt", "Accept-Encoding: gzip\r\n", &r);
    TN_EQ_INT(r.status, 200);
    EXPECT_HDR(&r, "Content-Encoding", "gzip");
    EXPECT_HDR(&r, "Transfer-Encoding", "chunked");
    EXPECT_HDR(&r, "Content-Length", "");
    TN_CHECK(r.body_len < sizeof text / 3);
    TN_EQ_UINT(gz_decode(r.body, r.body_len, 1, out, sizeof out), sizeof text);
    TN_CHECK(memcmp(out, text, sizeof text) == 0);
    {   /* the ETag is weak now */
        char v[128];
        hdr(&r, "ETag", v, sizeof v);
        TN_CHECK(strncmp(v, "W/\"", 3) == 0);
    }
    resp_free(&r);
    req(s, "GET", "/static/long.txt", "Accept-Encoding: gzip\r\nRange: bytes=10-19\r\n", &r);
    TN_EQ_INT(r.status, 206);
    EXPECT_HDR(&r, "Content-Encoding", "");
    TN_EQ_UINT(r.body_len, 10);
    TN_CHECK(memcmp(r.body, text + 10, 10) == 0);
    resp_free(&r);
    req(s, "GET", "/static/img.png", "Accept-Encoding: gzip\r\n", &r);
    EXPECT_HDR(&r, "Content-Encoding", "");
    EXPECT_HDR(&r, "Content-Length", "64");
    resp_free(&r);
    req(s, "GET", "/static/long.txt", "", &r);   /* no Accept-Encoding */
    TN_EQ_UINT(r.body_len, sizeof text);
    resp_free(&r);
    stop_server(s);
    rm_tree();
}

TN_TEST(gzip_stored_assets) {
    server *s;
    resp r;
    char etag[128], line[256];
    size_t zlen;
    text_fill(g_ztext, sizeof g_ztext);
    zlen = gz_make(g_ztext, sizeof g_ztext, g_zdata, sizeof g_zdata);
    g_zassets[0].len = zlen;
    g_zassets[1].len = zlen;
    s = start_server();
    /* a gzip client: the stored bytes */
    req(s, "GET", "/zassets/big.txt", "Accept-Encoding: gzip\r\n", &r);
    TN_EQ_INT(r.status, 200);
    EXPECT_HDR(&r, "Content-Encoding", "gzip");
    EXPECT_HDR(&r, "Content-Type", "text/plain; charset=utf-8");
    EXPECT_HDR(&r, "Vary", "Accept-Encoding");
    TN_EQ_UINT(r.body_len, zlen);
    TN_CHECK(memcmp(r.body, g_zdata, zlen) == 0);
    hdr(&r, "ETag", etag, sizeof etag);
    TN_CHECK(etag[0] == '"');
    resp_free(&r);
    /* a client without gzip: inflated on the fly, the plain length announced */
    peak_reset();
    req(s, "GET", "/zassets/big.txt", "Range: bytes=0-9\r\n", &r);
    TN_EQ_INT(r.status, 200);   /* no ranges into a gzip stream */
    EXPECT_HDR(&r, "Content-Encoding", "");
    EXPECT_HDR(&r, "Vary", "Accept-Encoding");
    EXPECT_HDR(&r, "Accept-Ranges", "");
    snprintf(line, sizeof line, "%lu", (unsigned long)sizeof g_ztext);
    EXPECT_HDR(&r, "Content-Length", line);
    TN_EQ_UINT(r.body_len, sizeof g_ztext);
    TN_CHECK(memcmp(r.body, g_ztext, sizeof g_ztext) == 0);
    hdr(&r, "ETag", line, sizeof line);
    TN_CHECK(strncmp(line, "W/", 2) == 0 && strcmp(line + 2, etag) == 0);
    fprintf(stderr, "peak heap while inflating a %lu-byte asset: %lu bytes\n", (unsigned long)sizeof g_ztext,
            (unsigned long)peak_get());
    TN_CHECK(peak_get() < 512 * 1024);
    resp_free(&r);
    /* conditional: either ETag form matches weakly */
    snprintf(line, sizeof line, "If-None-Match: %s\r\n", etag);
    req(s, "GET", "/zassets/big.txt", line, &r);
    TN_EQ_INT(r.status, 304);
    resp_free(&r);
    /* HEAD: the plain length, no inflating */
    req(s, "HEAD", "/zassets/big.txt", "", &r);
    snprintf(line, sizeof line, "%lu", (unsigned long)sizeof g_ztext);
    EXPECT_HDR(&r, "Content-Length", line);
    TN_EQ_UINT(r.body_len, 0);
    resp_free(&r);
    /* a table entry whose plain_len is wrong: the connection ends short, nothing worse */
    req(s, "GET", "/zassets/bad.txt", "", &r);
    TN_EQ_INT(r.status, 200);
    TN_EQ_UINT(r.body_len, sizeof g_ztext);
    resp_free(&r);
    req(s, "GET", "/zassets/big.txt", "", &r);   /* the server is fine */
    TN_EQ_UINT(r.body_len, sizeof g_ztext);
    resp_free(&r);
    stop_server(s);
}

/* tools/embed_assets.py --gzip: compressible files stored gzip (encoding, plain_len), the
   others as they are. */
TN_TEST(embed_assets_tool_gzip) {
    char cmd[2048], out[4096], dir[300], want[512];
    static char text[5000];
    if (!have_cmd("python3")) TN_SKIP("python3 not found (apt-get install python3)");
    make_tree();
    text_fill(text, sizeof text);
    put_file("root/sub/long.txt", text, sizeof text);
    snprintf(dir, sizeof dir, "%s/root/sub", g_tmp);
    {
        char p[400];
        FILE *f;
        snprintf(p, sizeof p, "%s/main.c", g_tmp);
        f = fopen(p, "w");
        TN_CHECK(f != NULL);
        fprintf(f, "#include \"tornado.h\"\n#include \"%s/assets.h\"\n#include <stdio.h>\n"
                   "int main(void) {\n    size_t i;\n    for (i = 0; i < web_count; i++)\n"
                   "        printf(\"%%s %%s %%u %%02x%%02x\\n\", web[i].path, web[i].encoding ? web[i].encoding : \"-\",\n"
                   "               (unsigned)web[i].plain_len, web[i].data[0], web[i].data[1]);\n    return 0;\n}\n", g_tmp);
        fclose(f);
    }
    snprintf(cmd, sizeof cmd, "python3 tools/embed_assets.py %.300s --name web --gzip > %.300s/assets.h && "
             "cc -std=c99 -Wall -Wextra -Werror -I. -o %.300s/main %.300s/main.c && %.300s/main",
             dir, g_tmp, g_tmp, g_tmp, g_tmp);
    run_cmd(cmd, out, sizeof out);
    /* the two small files do not shrink by 10%: stored plain */
    snprintf(want, sizeof want, "index.html - 0 3c70\ninner.txt - 0 696e\nlong.txt gzip 5000 1f8b\n");
    TN_EQ_STR(out, want);
    rm_tree();
}

/* tools/embed_assets.py output compiles and holds the files with the ETags the server
   would compute. */
TN_TEST(embed_assets_tool) {
    char cmd[2048], out[4096], dir[300];
    if (!have_cmd("python3")) TN_SKIP("python3 not found (apt-get install python3)");
    make_tree();
    snprintf(dir, sizeof dir, "%s/root/sub", g_tmp);
    {
        char p[400];
        FILE *f;
        snprintf(p, sizeof p, "%s/main.c", g_tmp);
        f = fopen(p, "w");
        TN_CHECK(f != NULL);
        fprintf(f, "#include \"tornado.h\"\n#include \"%s/assets.h\"\n#include <stdio.h>\n"
                   "int main(void) {\n    size_t i;\n    for (i = 0; i < web_count; i++)\n"
                   "        printf(\"%%s %%u %%s %%s %%.*s|\\n\", web[i].path, (unsigned)web[i].len, web[i].content_type,\n"
                   "               web[i].etag, (int)web[i].len, (const char *)web[i].data);\n    return 0;\n}\n", g_tmp);
        fclose(f);
    }
    snprintf(cmd, sizeof cmd, "python3 tools/embed_assets.py %.300s --name web > %.300s/assets.h && "
             "cc -std=c99 -Wall -Wextra -Werror -I. -o %.300s/main %.300s/main.c && %.300s/main",
             dir, g_tmp, g_tmp, g_tmp, g_tmp);
    run_cmd(cmd, out, sizeof out);
    {   /* sorted by path; the ETag is the quoted SHA-1, as the server computes it */
        char want[1024], e1[48], e2[48];
        unsigned char h[TN_SHA1_SIZE];
        tn_sha1("<p>sub index</p>\n", 17, h);
        tn_hex_encode(h, sizeof h, e1, sizeof e1, NULL);
        tn_sha1("inner\n", 6, h);
        tn_hex_encode(h, sizeof h, e2, sizeof e2, NULL);
        snprintf(want, sizeof want, "index.html 17 text/html; charset=utf-8 \"%s\" <p>sub index</p>\n|\n"
                 "inner.txt 6 text/plain; charset=utf-8 \"%s\" inner\n|\n", e1, e2);
        TN_EQ_STR(out, want);
    }
    rm_tree();
}

TN_TESTS(
    TN_CASE(mime_types),
    TN_CASE(files_types_lengths_bodies),
    TN_CASE(head_sends_length_no_body),
    TN_CASE(etag_and_dates_give_304),
    TN_CASE(ranges_206_416),
    TN_CASE(index_redirect_404_403),
    TN_CASE(traversal_refused),
    TN_CASE(symlinks_in_and_out),
    TN_CASE(fifo_not_served),
    TN_CASE(windows_names_refused),
    TN_CASE(assets_same_rules),
    TN_CASE(slow_reader_bounded_and_leavers),
    TN_CASE(concurrent_downloads),
    TN_CASE(stream_sendfile_ordering),
    TN_CASE(curl_interop),
    TN_CASE(embed_assets_tool),
    TN_CASE(precompressed_gz_sibling),
    TN_CASE(compress_response_on_files),
    TN_CASE(gzip_stored_assets),
    TN_CASE(embed_assets_tool_gzip)
)
