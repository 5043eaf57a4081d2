/* ws_client.c: a WebSocket client: each line of stdin is sent as a text message, every
   message that arrives is printed.

   Build and run:  make build/examples/ws_client && ./build/examples/ws_client ws://127.0.0.1:9001/
   Try:            against ./build/examples/ws_echo, type lines; Ctrl-D closes (code 1000).
   Options:        --binary (send lines as binary messages), --protocol NAME (offer a
                   subprotocol); wss:// (TORNADO_WITH_OPENSSL): --cacert FILE (trust
                   these CAs, not the system's), --insecure (no verification),
                   --cert FILE --key FILE (a client certificate) */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tls_flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static tn_ws *g_ws;
static int g_binary;

static void on_line(tn_stream *s, int status, tn_str line, void *user);

static void on_message(tn_ws *ws, int opcode, tn_str data, void *user) {
    (void)ws;
    (void)user;
    printf("%s: %.*s\n", opcode == TN_WS_TEXT ? "text" : "binary", (int)data.len, data.ptr);
    fflush(stdout);
}

static void on_close(tn_ws *ws, int code, tn_str reason, void *user) {
    (void)ws;
    (void)user;
    printf("closed: %d %.*s\n", code, (int)reason.len, reason.ptr ? reason.ptr : "");
    g_ws = NULL;
    tn_loop_stop(tn_ws_loop(ws));
}

static void on_line(tn_stream *s, int status, tn_str line, void *user) {
    (void)user;
    if (status != TN_OK || !g_ws) {   /* stdin ended: say goodbye */
        if (g_ws) (void)tn_ws_close(g_ws, 1000, NULL, 0);
        if (!tn_stream_closed(s)) tn_stream_close(s, NULL, NULL);
        return;
    }
    while (line.len && (line.ptr[line.len - 1] == '\n' || line.ptr[line.len - 1] == '\r')) line.len--;
    if (tn_ws_send(g_ws, g_binary ? TN_WS_BINARY : TN_WS_TEXT, line.ptr, line.len, NULL, NULL) != TN_OK)
        fprintf(stderr, "ws_client: not sent (closing, or not UTF-8)\n");
    if (tn_stream_read_until(s, "\n", 1, 1 << 20, on_line, NULL) != TN_OK) tn_stream_close(s, NULL, NULL);
}

static void on_connected(tn_ws *ws, int status, int http_status, void *user) {
    tn_stream *in;
    tn_loop *loop = (tn_loop *)user;
    if (status != TN_OK) {
        fprintf(stderr, "ws_client: %s (HTTP status %d)\n", tn_strerror(status), http_status);
        tn_loop_stop(loop);
        return;
    }
    g_ws = ws;
    printf("connected%s%s\n", tn_ws_subprotocol(ws)[0] ? ", subprotocol " : "", tn_ws_subprotocol(ws));
    fflush(stdout);
    if (tn_stream_new_pipe(loop, dup(0), NULL, &in) != TN_OK ||
        tn_stream_read_until(in, "\n", 1, 1 << 20, on_line, NULL) != TN_OK)
        (void)tn_ws_close(ws, 1000, NULL, 0);
}

int main(int argc, char **argv) {
    const char *url = NULL, *proto[1];
    tn_ws_opts o;
    tn_ws_handler h;
    tn_loop *loop;
    ex_tls tls = { 0 };
    int i, rc;
    memset(&o, 0, sizeof o);
    memset(&h, 0, sizeof h);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--binary") == 0) g_binary = 1;
        else if (strcmp(argv[i], "--protocol") == 0 && i + 1 < argc) {
            proto[0] = argv[++i];
            o.subprotocols = proto;
            o.num_subprotocols = 1;
        } else if (ex_tls_flag(&tls, argc, argv, &i, 1)) {
        } else if (!url) url = argv[i];
        else url = NULL, i = argc;
    }
    if (!url) {
        fprintf(stderr, "usage: %s [--binary] [--protocol NAME] [--cacert FILE] [--insecure] [--cert FILE --key FILE] "
                "ws[s]://host:port/path\n", argv[0]);
        return 2;
    }
    h.on_message = on_message;
    h.on_close = on_close;
    if ((rc = tn_loop_new(NULL, &loop)) == 0) o.tls = ex_tls_ctx(loop, &tls, 1);
    if (rc != 0 || (rc = tn_ws_connect(loop, url, &o, &h, on_connected, loop, NULL)) != 0) {
        fprintf(stderr, "ws_client: %s\n", tn_strerror(rc));
        return 1;
    }
    tn_loop_run(loop);
    return 0;
}
