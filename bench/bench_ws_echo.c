/* bench_ws_echo.c: a load generator for WebSocket echo servers (ours and the peers), built
   on tornado.h's own client (tn_ws_connect).
     bench_ws_echo URL CONNS SIZE SECONDS [INFLIGHT]
   opens CONNS connections to URL; each keeps INFLIGHT (default 1) binary messages of SIZE
   bytes in flight: every echo that comes back (checked: same length) sends the next one.
   Counts the echoes for SECONDS after all connections are open and prints
     msgs/s N cpu S
   where S is this process's CPU time (user + system) over the wall time of the run: near
   1.0 means the generator (one thread) saturated first. The same generator measures every
   server, so the ratios between servers are what matters. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct run {
    tn_loop *loop;
    int conns, up, failed, closed, stopping;
    size_t size;
    long inflight;
    uint64_t deadline_ms;
    uint64_t echoes;
    char *payload;
} run;

static run R;

static void on_message(tn_ws *ws, int opcode, tn_str data, void *user) {
    (void)user;
    if (opcode != TN_WS_BINARY || data.len != R.size) {
        fprintf(stderr, "bad echo: opcode %d, %lu bytes\n", opcode, (unsigned long)data.len);
        R.failed++;
        (void)tn_ws_abort(ws);
        return;
    }
    R.echoes++;
    if (R.stopping) return;
    (void)tn_ws_send(ws, TN_WS_BINARY, R.payload, R.size, NULL, NULL);
}

static void on_close(tn_ws *ws, int code, tn_str reason, void *user) {
    (void)ws; (void)code; (void)reason; (void)user;
    R.closed++;
}

static void on_connected(tn_ws *ws, int status, int http_status, void *user) {
    (void)user;
    if (status != TN_OK) {
        fprintf(stderr, "connect: %s (HTTP %d)\n", tn_strerror(status), http_status);
        R.failed++;
        R.closed++;
        return;
    }
    tn_stream_set_nodelay(tn_ws_stream(ws), 1);
    R.up++;
}

static double cpu_now(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
    tn_ws **ws;
    tn_ws_opts o;
    tn_ws_handler h;
    double secs, cpu0, cpu;
    uint64_t t0, start;
    int i;
    long k;
    size_t j;
    if (argc < 5) {
        fprintf(stderr, "usage: %s URL CONNS SIZE SECONDS [INFLIGHT]\n", argv[0]);
        return 2;
    }
    R.conns = atoi(argv[2]);
    R.size = (size_t)atol(argv[3]);
    R.inflight = argc > 5 ? atol(argv[5]) : 1;
    R.payload = (char *)malloc(R.size ? R.size : 1);
    for (j = 0; j < R.size; j++) R.payload[j] = (char)(j * 7 + 1);
    ws = (tn_ws **)calloc((size_t)R.conns, sizeof *ws);
    memset(&o, 0, sizeof o);
    o.max_message_size = 64u << 20;
    memset(&h, 0, sizeof h);
    h.on_message = on_message;
    h.on_close = on_close;
    if (tn_loop_new(NULL, &R.loop) != 0) return 1;
    for (i = 0; i < R.conns; i++) {
        int rc = tn_ws_connect(R.loop, argv[1], &o, &h, on_connected, NULL, &ws[i]);
        if (rc != TN_OK) {
            fprintf(stderr, "tn_ws_connect: %s\n", tn_strerror(rc));
            return 1;
        }
    }
    start = tn_time_ms();
    while (R.up + R.failed < R.conns && tn_time_ms() - start < 20000) tn_loop_run_once(R.loop, 100);
    if (R.failed || R.up < R.conns) return 1;
    for (i = 0; i < R.conns; i++)
        for (k = 0; k < R.inflight; k++) (void)tn_ws_send(ws[i], TN_WS_BINARY, R.payload, R.size, NULL, NULL);
    /* a short warm-up, then the measured window */
    start = tn_time_ms();
    while (tn_time_ms() - start < 300) tn_loop_run_once(R.loop, 10);
    R.echoes = 0;
    t0 = tn_time_ns();
    cpu0 = cpu_now();
    R.deadline_ms = tn_time_ms() + (uint64_t)(atof(argv[4]) * 1000);
    while (tn_time_ms() < R.deadline_ms && !R.failed) tn_loop_run_once(R.loop, 10);
    secs = (double)(tn_time_ns() - t0) / 1e9;
    cpu = cpu_now() - cpu0;
    printf("msgs/s %.0f cpu %.2f\n", (double)R.echoes / secs, cpu / secs);
    fflush(stdout);
    R.stopping = 1;
    for (i = 0; i < R.conns; i++) (void)tn_ws_close(ws[i], 1000, NULL, 0);
    start = tn_time_ms();
    while (R.closed < R.conns && tn_time_ms() - start < 5000) tn_loop_run_once(R.loop, 10);
    tn_loop_free(R.loop);
    free(ws);
    free(R.payload);
    return R.failed ? 1 : 0;
}
