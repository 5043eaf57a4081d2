/* ws_testee.c: the Autobahn|Testsuite client testee: asks the fuzzing server how many cases
   there are, runs each one (echoing every message back), then asks for the reports.

   Build and run:  make build/examples/ws_testee
                   (wstest -m fuzzingserver -s spec.json &)   # see tests/test_autobahn.py
                   ./build/examples/ws_testee --url ws://127.0.0.1:9001 --agent tornado.h
   Options:        --url BASE (default ws://127.0.0.1:9001), --agent NAME (default tornado.h),
                   --cases N (run only the first N cases), --compress (offer
                   permessage-deflate: cases 12 and 13 need it) */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *g_base = "ws://127.0.0.1:9001", *g_agent = "tornado.h";
static int g_count = -1, g_case, g_limit = -1;
static tn_loop *g_loop;
static int g_compress;
static tn_ws_deflate_opts g_deflate;   /* zeroed: permessage-deflate with the defaults */

static void next(void);

static void on_message(tn_ws *ws, int opcode, tn_str data, void *user) {
    (void)user;
    if (g_count < 0) {   /* /getCaseCount answers with the number */
        char num[32];
        snprintf(num, sizeof num, "%.*s", (int)(data.len < 31 ? data.len : 31), data.ptr);
        g_count = atoi(num);
        if (g_limit >= 0 && g_limit < g_count) g_count = g_limit;
        (void)tn_ws_close(ws, 1000, NULL, 0);
        return;
    }
    (void)tn_ws_send(ws, opcode, data.ptr, data.len, NULL, NULL);
}

static void on_close(tn_ws *ws, int code, tn_str reason, void *user) {
    (void)ws;
    (void)code;
    (void)reason;
    (void)user;
    next();   /* the next case (connects from here: the callback runs from the loop) */
}

static void on_connected(tn_ws *ws, int status, int http_status, void *user) {
    (void)ws;
    (void)user;
    if (status != TN_OK) {
        fprintf(stderr, "ws_testee: case %d: %s (HTTP %d)\n", g_case, tn_strerror(status), http_status);
        next();
    }
}

static void open_url(const char *path) {
    char url[512];
    tn_ws_opts o;
    tn_ws_handler h;
    int rc;
    memset(&o, 0, sizeof o);
    memset(&h, 0, sizeof h);
    o.max_message_size = 64u << 20;   /* case 9 sends 16 MiB messages */
    if (g_compress) o.compression = &g_deflate;
    h.on_message = on_message;
    h.on_close = on_close;
    snprintf(url, sizeof url, "%s%s", g_base, path);
    if ((rc = tn_ws_connect(g_loop, url, &o, &h, on_connected, NULL, NULL)) != TN_OK) {
        fprintf(stderr, "ws_testee: %s: %s\n", url, tn_strerror(rc));
        tn_loop_stop(g_loop);
    }
}

/* After the case count: each case in turn, then the reports, then stop. */
static void next(void) {
    char path[256];
    if (g_count < 0) {
        fprintf(stderr, "ws_testee: no case count\n");
        tn_loop_stop(g_loop);
    } else if (g_case < g_count) {
        g_case++;
        snprintf(path, sizeof path, "/runCase?case=%d&agent=%s", g_case, g_agent);
        open_url(path);
    } else if (g_case == g_count) {
        g_case++;
        snprintf(path, sizeof path, "/updateReports?agent=%s", g_agent);
        open_url(path);
    } else {
        printf("ws_testee: ran %d cases\n", g_count);
        tn_loop_stop(g_loop);
    }
}

int main(int argc, char **argv) {
    int i;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--compress") == 0) g_compress = 1;
        else if (i + 1 >= argc) break;
        else if (strcmp(argv[i], "--url") == 0) g_base = argv[++i];
        else if (strcmp(argv[i], "--agent") == 0) g_agent = argv[++i];
        else if (strcmp(argv[i], "--cases") == 0) g_limit = atoi(argv[++i]);
        else break;
    }
    if (i < argc) {
        fprintf(stderr, "usage: %s [--url ws://host:port] [--agent NAME] [--cases N] [--compress]\n", argv[0]);
        return 2;
    }
    if (tn_loop_new(NULL, &g_loop) != 0) return 1;
    open_url("/getCaseCount");
    tn_loop_run(g_loop);
    return 0;
}
