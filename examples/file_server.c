/* file_server.c: serve a directory over HTTP with tn_static_serve, straight from the HTTP
   server's request callback (no web layer needed): index.html for directories, ETag and
   Last-Modified with 304s, single byte ranges, HEAD, no path traversal, sendfile; a
   precompressed "name.gz" next to "name" goes to clients that accept gzip (gzip -k name
   makes one), and --gzip compresses text files on the fly for them.

   Build and run:  make build/examples/file_server && ./build/examples/file_server --root .
   Try:            curl -i http://127.0.0.1:8000/README.md
                   curl -r 0-99 http://127.0.0.1:8000/tornado.h
                   curl -I http://127.0.0.1:8000/tornado.h
                   curl -i -H 'If-None-Match: "<the ETag>"' http://127.0.0.1:8000/README.md
                   curl --compressed -v http://127.0.0.1:8000/README.md   (with --gzip)
   Options:        --root DIR (default .), --host ADDR (default 127.0.0.1),
                   --port N (default 8000; 0 picks a free one), --max-age SECONDS,
                   --gzip (compress_response: text, JSON, SVG... gzipped on the fly) */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tls_flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static tn_static_opts g_opts;

static void handle(tn_request *req, void *user) {
    tn_str path = tn_request_path(req);   /* starts with '/'; still percent-encoded */
    (void)user;
    if (path.len == 0 || path.ptr[0] != '/') {
        tn_respond(req, 400, "text/plain", "Bad path\n", 9);
        return;
    }
#if TN_HAS_FILESYSTEM
    tn_static_serve(req, &g_opts, tn_str_make(path.ptr + 1, path.len - 1));   /* relative */
#else   /* TORNADO_NO_FILESYSTEM builds: no files to serve */
    tn_respond(req, 501, "text/plain", "No file system in this build\n", 29);
#endif
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 8000, i, rc;
    tn_loop *loop;
    tn_http_server *srv;
    tn_http_server_opts so;
    ex_tls tls = { 0 };
    int gzip = 0;
    g_opts.root = ".";
    g_opts.precompressed = 1;   /* name.gz siblings, always */
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--host") && i + 1 < argc) host = argv[++i];
        else if (!strcmp(argv[i], "--root") && i + 1 < argc) g_opts.root = argv[++i];
        else if (!strcmp(argv[i], "--max-age") && i + 1 < argc) g_opts.max_age = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--gzip")) gzip = 1;
        else if (!ex_tls_flag(&tls, argc, argv, &i, 0)) {
            fprintf(stderr, "usage: %s [--root DIR] [--host ADDR] [--port N] [--max-age SECONDS] [--gzip] [--cert FILE --key FILE]\n",
                    argv[0]);
            return 2;
        }
    }
    if (tn_loop_new(NULL, &loop) != 0) return 1;
    memset(&so, 0, sizeof so);
    so.tls = ex_tls_ctx(loop, &tls, 0);
    so.compress_response = gzip;
    so.gzip = tn_http_gzip();   /* the codec compress_response uses */
    if (tn_http_server_new(loop, &so, handle, NULL, &srv) != 0) return 1;
    if ((rc = tn_http_server_listen(srv, host, port)) != 0) {
        fprintf(stderr, "listen %s:%d: %s\n", host, port, tn_strerror(rc));
        return 1;
    }
    printf("serving %s on %s://%s:%d/\n", g_opts.root, tls.cert ? "https" : "http", host, tn_http_server_port(srv));
    fflush(stdout);
    return tn_loop_run(loop) == 0 ? 0 : 1;
}
