/* ws_echo.c: a WebSocket echo server: every path upgrades, every message comes back.

   Build and run:  make build/examples/ws_echo && ./build/examples/ws_echo --port 9001
   Try:            ./build/examples/ws_client ws://127.0.0.1:9001/   (type lines)
                   or in a browser console: s = new WebSocket("ws://127.0.0.1:9001/");
                   s.onmessage = e => console.log(e.data); s.onopen = () => s.send("hi")
   Options:        --host ADDR (default 127.0.0.1), --port N (default 9001), --any-origin
                   (accept browsers from any page; by default Origin must match Host),
                   --cert FILE --key FILE (serve wss; needs TORNADO_WITH_OPENSSL),
                   --compress (accept permessage-deflate offers, default settings)
   It is the server side of the Autobahn|Testsuite run (tests/test_autobahn.py). */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tls_flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int any_origin(tn_str origin, tn_str host, void *user) {
    (void)origin;
    (void)host;
    (void)user;
    return 1;
}

static void on_message(tn_ws *ws, int opcode, tn_str data, void *user) {
    (void)user;
    /* the reply is copied; a full write buffer or a closing peer just drops it */
    (void)tn_ws_send(ws, opcode, data.ptr, data.len, NULL, NULL);
}

static tn_ws_opts g_opts;
static tn_ws_deflate_opts g_deflate;   /* zeroed: permessage-deflate with the defaults */

static void on_request(tn_request *req, void *user) {
    tn_ws_handler h;
    (void)user;
    memset(&h, 0, sizeof h);
    h.on_message = on_message;
    /* a refused handshake is answered (400, 426, 403) by tn_ws_accept itself */
    (void)tn_ws_accept(req, &g_opts, &h, NULL, NULL);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 9001, i, rc;
    tn_loop *loop;
    tn_http_server *srv;
    tn_http_server_opts so;
    ex_tls tls = { 0 };
    memset(&g_opts, 0, sizeof g_opts);
    g_opts.max_message_size = 64u << 20;   /* Autobahn's largest messages are 16 MiB */
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) port = atoi(argv[++i]);
        else if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) host = argv[++i];
        else if (strcmp(argv[i], "--any-origin") == 0) g_opts.check_origin = any_origin;
        else if (strcmp(argv[i], "--compress") == 0) g_opts.compression = &g_deflate;
        else if (!ex_tls_flag(&tls, argc, argv, &i, 0)) {
            fprintf(stderr, "usage: %s [--host ADDR] [--port N] [--any-origin] [--compress] [--cert FILE --key FILE]\n", argv[0]);
            return 2;
        }
    }
    memset(&so, 0, sizeof so);
    if ((rc = tn_loop_new(NULL, &loop)) == 0) so.tls = ex_tls_ctx(loop, &tls, 0);
    if (rc != 0 || (rc = tn_http_server_new(loop, &so, on_request, NULL, &srv)) != 0 ||
        (rc = tn_http_server_listen(srv, host, port)) != 0) {
        fprintf(stderr, "ws_echo: %s\n", tn_strerror(rc));
        return 1;
    }
    printf("ws_echo: %s://%s:%d/\n", tls.cert ? "wss" : "ws", host, tn_http_server_port(srv));
    fflush(stdout);
    return tn_loop_run(loop) == 0 ? 0 : 1;
}
