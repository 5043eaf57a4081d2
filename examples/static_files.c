/* static_files.c: serve a directory (and one compiled-in asset) with tn_static_serve,
   straight from the HTTP server's request callback (no web layer needed).

   Build and run:  make build/examples/static_files && ./build/examples/static_files --root .
   Try:            curl -i http://127.0.0.1:8888/static/README.md
                   curl -r 0-99 http://127.0.0.1:8888/static/tornado.h
                   curl -I http://127.0.0.1:8888/static/tornado.h
                   curl -i http://127.0.0.1:8888/about.txt          (compiled in)
   Options:        --root DIR (default .), --port N (default 8888), --max-age SECONDS */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tn_static_opts g_opts;

/* A table as tools/embed_assets.py writes it (ETag NULL: computed per request). */
static const tn_static_asset g_assets[] = {
    {"about.txt", (const unsigned char *)"Served from the binary.\n", 24, NULL, NULL, 0},
};

static void handle(tn_request *req, void *user) {
    tn_str path = tn_request_path(req);
    (void)user;
    if (path.len >= 8 && memcmp(path.ptr, "/static/", 8) == 0)
        tn_static_serve(req, &g_opts, tn_str_make(path.ptr + 8, path.len - 8));   /* relative */
    else if (tn_str_eq_c(path, "/static"))
        tn_static_serve(req, &g_opts, tn_str_make("", 0));                        /* → 301 */
    else
        tn_static_serve_assets(req, g_assets, 1, tn_str_make(path.ptr + 1, path.len - 1), &g_opts);
}

int main(int argc, char **argv) {
    int port = 8888, i, rc;
    tn_loop *loop;
    tn_http_server *srv;
    g_opts.root = ".";
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--root") && i + 1 < argc) g_opts.root = argv[++i];
        else if (!strcmp(argv[i], "--max-age") && i + 1 < argc) g_opts.max_age = atoll(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--root DIR] [--port N] [--max-age SECONDS]\n", argv[0]);
            return 2;
        }
    }
    if (tn_loop_new(NULL, &loop) != 0 || tn_http_server_new(loop, NULL, handle, NULL, &srv) != 0) return 1;
    if ((rc = tn_http_server_listen(srv, "127.0.0.1", port)) != 0) {
        fprintf(stderr, "listen 127.0.0.1:%d: %s\n", port, tn_strerror(rc));
        return 1;
    }
    printf("serving %s on http://127.0.0.1:%d/static/\n", g_opts.root, port);
    fflush(stdout);
    return tn_loop_run(loop) == 0 ? 0 : 1;
}
