/* bench_http_client.c: tn_http_client throughput: URL, CONCURRENCY requests in flight on
   pooled keep-alive connections for SECONDS; prints requests/s and the client's CPU per
   request. Usage: bench_http_client URL [CONCURRENCY=64] [SECONDS=5]
   Output: "client N requests T s R /s CPU_US us/request USER_US us-user/request C conns E errors" */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

static tn_http_client *g_cl;
static tn_http_fetch_req g_req;
static uint64_t g_done, g_errors, g_end;
static int g_stop, g_inflight;
static tn_loop *g_loop;

static void on_done(tn_http_fetch *f, const tn_http_fetch_res *r, void *user);

static void issue(void) {
    if (tn_http_client_fetch(g_cl, &g_req, on_done, NULL, NULL) == 0) g_inflight++;
    else g_errors++;
}

static void on_done(tn_http_fetch *f, const tn_http_fetch_res *r, void *user) {
    (void)f;
    (void)user;
    g_inflight--;
    if (r->code == 200) g_done++;
    else g_errors++;
    if (!g_stop && tn_loop_now(g_loop) >= g_end) g_stop = 1;
    if (!g_stop) issue();
    else if (g_inflight == 0) tn_loop_stop(g_loop);
}

static double cpu(int user_only) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (user_only ? 0 : ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6);
}

int main(int argc, char **argv) {
    tn_http_client_opts o;
    tn_http_client_stats st;
    int conc = argc > 2 ? atoi(argv[2]) : 64, i;
    double secs = argc > 3 ? atof(argv[3]) : 5, c0, u0, t0, t;
    if (argc < 2) {
        fprintf(stderr, "usage: %s URL [CONCURRENCY] [SECONDS]\n", argv[0]);
        return 2;
    }
    memset(&o, 0, sizeof o);
    o.max_clients = (size_t)conc;
    if (tn_loop_new(NULL, &g_loop) != 0 || tn_http_client_new(g_loop, &o, &g_cl) != 0) return 1;
    memset(&g_req, 0, sizeof g_req);
    g_req.url = argv[1];
    c0 = cpu(0);
    u0 = cpu(1);
    t0 = (double)tn_time_ns();
    g_end = tn_loop_now(g_loop) + (uint64_t)(secs * 1000);
    for (i = 0; i < conc; i++) issue();
    tn_loop_run(g_loop);
    t = ((double)tn_time_ns() - t0) / 1e9;
    tn_http_client_get_stats(g_cl, &st);
    printf("client %llu requests %.2f s %.1f /s %.2f us/request %.2f us-user/request %llu conns %llu errors\n",
           (unsigned long long)g_done, t, g_done / t, (cpu(0) - c0) / (double)(g_done ? g_done : 1) * 1e6,
           (cpu(1) - u0) / (double)(g_done ? g_done : 1) * 1e6, (unsigned long long)st.connections_opened,
           (unsigned long long)g_errors);
    return 0;
}
