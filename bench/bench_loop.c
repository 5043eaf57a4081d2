/* bench_loop.c: event loop throughput: deferred callbacks, cross-thread posts, timers.
   Prints one line per figure: "loop <name> <count> <seconds> <per-second>". */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static long remaining;

static void chain(tn_loop *loop, void *user) {
    (void)user;
    if (--remaining > 0) tn_loop_defer(loop, chain, NULL);
}

static void count_down(tn_loop *loop, void *user) {
    (void)loop;
    (void)user;
    remaining--;
}

static double secs(uint64_t t0) { return (double)(tn_time_ns() - t0) / 1e9; }

static void report(const char *name, long n, double s) {
    printf("loop %-22s %10ld %8.3f s %14.0f /s\n", name, n, s, (double)n / s);
    fflush(stdout);
}

typedef struct poster { tn_loop *loop; long n; } poster;
static void *post_thread(void *u) {
    poster *p = (poster *)u;
    long i;
    for (i = 0; i < p->n; i++)
        while (tn_loop_post(p->loop, count_down, NULL) != 0) {}
    return NULL;
}

int main(void) {
    tn_loop *loop;
    uint64_t t0;
    long n, i;
    if (tn_loop_new(NULL, &loop) != 0) return 1;

    /* 1. deferred callbacks, each scheduling the next (the loop's hot path) */
    n = 2000000;
    remaining = n;
    t0 = tn_time_ns();
    tn_loop_defer(loop, chain, NULL);
    while (remaining > 0) tn_loop_run_once(loop, 0);
    report("deferred_callbacks", n, secs(t0));

    /* 2. callbacks posted from another thread */
    {
        poster p;
        pthread_t th;
        n = 1000000;
        p.loop = loop;
        p.n = n;
        remaining = n;
        t0 = tn_time_ns();
        pthread_create(&th, NULL, post_thread, &p);
        while (remaining > 0) tn_loop_run_once(loop, 10);
        pthread_join(th, NULL);
        report("posted_callbacks", n, secs(t0));
    }

    /* 3. timers: schedule n timers spread over 0..99 ms, run until all fired */
    n = 1000000;
    remaining = n;
    srand(1);
    t0 = tn_time_ns();
    for (i = 0; i < n; i++) tn_loop_call_later(loop, (uint64_t)(rand() % 100), count_down, NULL, NULL);
    while (remaining > 0) tn_loop_run_once(loop, -1);
    report("timers_scheduled+fired", n, secs(t0));

    /* 4. timers cancelled before they fire (a request timeout that is not reached) */
    {
        tn_timer_id *ids = (tn_timer_id *)malloc(sizeof(tn_timer_id) * 100000);
        long rounds = 10;
        t0 = tn_time_ns();
        for (i = 0; i < rounds * 100000; i++) {
            long k = i % 100000;
            tn_loop_call_later(loop, 30000, count_down, NULL, &ids[k]);
            if (k == 99999) {
                long j;
                for (j = 0; j < 100000; j++) tn_loop_cancel(loop, ids[j]);
            }
        }
        report("timers_added+cancelled", rounds * 100000, secs(t0));
        free(ids);
    }
    return tn_loop_free(loop) == 0 ? 0 : 1;
}
