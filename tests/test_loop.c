/* test_loop.c: the event loop: timers, periodic skip, deferred, post, async, fd watchers,
   run modes, allocator accounting. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include <pthread.h>
#if defined(_WIN32)
/* WSAPoll watches sockets only: the fd watcher cases watch a loopback socket pair there
   (tests/win/sys/socket.h), pipes elsewhere */
#  include <sys/socket.h>
#  define fd_pair(fds) socketpair(AF_UNIX, SOCK_STREAM, 0, fds)
#else
#  define fd_pair(fds) pipe(fds)
#  include <fcntl.h>
#  include <sys/resource.h>
#endif

static tn_loop *new_counted_loop(counting_alloc *ca) {
    tn_loop_opts o;
    tn_loop *loop = NULL;
    memset(&o, 0, sizeof o);
    o.allocator = tn_test_counting(ca);
    TN_OK_RC(tn_loop_new(&o, &loop));
    return loop;
}

static tn_loop *new_loop(void) {
    tn_loop *loop = NULL;
    TN_OK_RC(tn_loop_new(NULL, &loop));
    return loop;
}

/* ---- timers ---- */
typedef struct rec {
    int order[32];
    int n;
    tn_loop *loop;
    tn_timer_id ids[8];
    int stop_at;
} rec;

typedef struct tag { rec *r; int id; } tag;

static void record(tn_loop *loop, void *user) {
    tag *t = (tag *)user;
    (void)loop;
    t->r->order[t->r->n++] = t->id;
}

TN_TEST(timer_order) {
    tn_loop *loop = new_loop();
    rec r;
    tag t[6];
    int i, done = 0;
    memset(&r, 0, sizeof r);
    for (i = 0; i < 6; i++) { t[i].r = &r; t[i].id = i; }
    /* deadlines 30, 10, 20, 10, 0: equal deadlines fire in the order they were added */
    TN_OK_RC(tn_loop_call_later(loop, 30, record, &t[0], NULL));
    TN_OK_RC(tn_loop_call_later(loop, 10, record, &t[1], NULL));
    TN_OK_RC(tn_loop_call_later(loop, 20, record, &t[2], NULL));
    TN_OK_RC(tn_loop_call_later(loop, 10, record, &t[3], NULL));
    TN_OK_RC(tn_loop_call_at(loop, 0, record, &t[4], NULL));   /* in the past: fires first */
    while (r.n < 5 && done++ < 1000) TN_CHECK(tn_loop_run_once(loop, 100) >= 0);
    TN_EQ_INT(r.n, 5);
    TN_EQ_INT(r.order[0], 4);
    TN_EQ_INT(r.order[1], 1);
    TN_EQ_INT(r.order[2], 3);
    TN_EQ_INT(r.order[3], 2);
    TN_EQ_INT(r.order[4], 0);
    TN_OK_RC(tn_loop_free(loop));
}

TN_TEST(timer_fires_on_time) {
    tn_loop *loop = new_loop();
    rec r;
    tag t;
    uint64_t t0 = tn_time_ms(), el;
    memset(&r, 0, sizeof r);
    t.r = &r; t.id = 1;
    TN_OK_RC(tn_loop_call_later(loop, 50, record, &t, NULL));
    while (r.n == 0) TN_CHECK(tn_loop_run_once(loop, -1) >= 0);
    el = tn_time_ms() - t0;
    TN_CHECKF(el >= 50 && el < 500, "fired after %lu ms", (unsigned long)el);
    TN_OK_RC(tn_loop_free(loop));
}

static void cancel_others(tn_loop *loop, void *user) {
    rec *r = (rec *)user;
    r->order[r->n++] = 100;
    TN_OK_RC(tn_loop_cancel(loop, r->ids[1]));           /* due later: cancelled */
    TN_EQ_RC(tn_loop_cancel(loop, r->ids[0]), TN_ENOENT); /* itself, a one-shot firing now */
}

TN_TEST(timer_cancel) {
    tn_loop *loop = new_loop();
    rec r;
    tag t[3];
    int i, spins = 0;
    memset(&r, 0, sizeof r);
    for (i = 0; i < 3; i++) { t[i].r = &r; t[i].id = i; }
    /* cancel before it fires */
    TN_OK_RC(tn_loop_call_later(loop, 5, record, &t[0], &r.ids[2]));
    TN_EQ_INT(tn_loop_timer_pending(loop, r.ids[2]), 1);
    TN_OK_RC(tn_loop_cancel(loop, r.ids[2]));
    TN_EQ_INT(tn_loop_timer_pending(loop, r.ids[2]), 0);
    TN_EQ_RC(tn_loop_cancel(loop, r.ids[2]), TN_ENOENT);   /* twice: harmless */
    TN_EQ_RC(tn_loop_cancel(loop, 0), TN_ENOENT);
    /* cancel from inside a callback, including the firing timer itself */
    TN_OK_RC(tn_loop_call_later(loop, 1, cancel_others, &r, &r.ids[0]));
    TN_OK_RC(tn_loop_call_later(loop, 30, record, &t[1], &r.ids[1]));
    /* cancel after fire: the id is stale, even when its slot is reused */
    TN_OK_RC(tn_loop_call_later(loop, 0, record, &t[2], &r.ids[3]));
    while (r.n < 2 && spins++ < 100) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
    TN_EQ_RC(tn_loop_cancel(loop, r.ids[3]), TN_ENOENT);
    TN_OK_RC(tn_loop_call_later(loop, 1000, record, &t[2], &r.ids[4]));   /* reuses a slot */
    TN_EQ_RC(tn_loop_cancel(loop, r.ids[3]), TN_ENOENT);
    TN_EQ_INT(tn_loop_timer_pending(loop, r.ids[4]), 1);
    {   /* run past the 30 ms timer: it must not fire */
        uint64_t end = tn_time_ms() + 60;
        while (tn_time_ms() < end) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
    }
    TN_EQ_INT(r.n, 2);
    TN_EQ_INT(r.order[0] == 100 ? r.order[1] : r.order[0], 2);
    TN_OK_RC(tn_loop_cancel(loop, r.ids[4]));
    TN_OK_RC(tn_loop_free(loop));
}

/* many timers, most cancelled: the rest fire in deadline order and the heap sheds the
   cancelled entries instead of growing without bound */
typedef struct many_t { uint64_t last; int fired; int out_of_order; } many_t;
static void many_fire(tn_loop *loop, void *user) {
    many_t *m = (many_t *)user;
    uint64_t now = tn_loop_now(loop);
    if (now < m->last) m->out_of_order++;
    m->last = now;
    m->fired++;
}

TN_TEST(timer_cancel_many_compacts) {
    tn_loop *loop = new_loop();
    static tn_timer_id ids[20000];
    many_t m;
    int i, round;
    memset(&m, 0, sizeof m);
    for (round = 0; round < 5; round++) {
        for (i = 0; i < 20000; i++) TN_OK_RC(tn_loop_call_later(loop, 60000 + (uint64_t)(i % 97), many_fire, &m, &ids[i]));
        for (i = 0; i < 20000; i++) TN_OK_RC(tn_loop_cancel(loop, ids[i]));
    }
    TN_CHECKF(loop->heap_len < 30000, "heap holds %lu entries for 0 live timers", (unsigned long)loop->heap_len);
    for (i = 0; i < 3000; i++) TN_OK_RC(tn_loop_call_later(loop, (uint64_t)(i % 40), many_fire, &m, &ids[i]));
    for (i = 0; i < 3000; i += 3) TN_OK_RC(tn_loop_cancel(loop, ids[i]));
    while (m.fired < 2000) TN_CHECK(tn_loop_run_once(loop, 100) >= 0);
    TN_EQ_INT(m.fired, 2000);
    TN_EQ_INT(m.out_of_order, 0);
    TN_EQ_INT(tn_loop_run_once(loop, 50), 0);   /* nothing else fires */
    TN_OK_RC(tn_loop_free(loop));
}

/* ---- periodic: skip semantics on a fake clock ---- */
typedef struct fake_clock { uint64_t now; } fake_clock;
static uint64_t fake_now(void *u) { return ((fake_clock *)u)->now; }

typedef struct per { int calls; uint64_t at[16]; fake_clock *clk; uint64_t overrun; tn_timer_id id; int cancel_at; } per;

static void on_beat(tn_loop *loop, void *user) {
    per *p = (per *)user;
    p->at[p->calls++] = tn_loop_now(loop);
    p->clk->now += p->overrun;   /* the callback "takes" this long */
    p->overrun = 0;
    if (p->cancel_at && p->calls == p->cancel_at) TN_OK_RC(tn_loop_cancel(loop, p->id));
}

TN_TEST(periodic_skips_missed_beats) {
    fake_clock clk;
    tn_loop_opts o;
    tn_loop *loop;
    per p;
    memset(&o, 0, sizeof o);
    memset(&p, 0, sizeof p);
    clk.now = 1000;
    o.clock = fake_now;
    o.clock_user = &clk;
    TN_OK_RC(tn_loop_new(&o, &loop));
    p.clk = &clk;
    TN_OK_RC(tn_loop_call_every(loop, 100, on_beat, &p, &p.id));
    clk.now = 1100;
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_EQ_INT(p.calls, 1);
    TN_EQ_UINT(p.at[0], 1100);
    /* the next beat overruns by 250 ms: beats at 1300 and 1400 are skipped, not replayed */
    clk.now = 1200;
    p.overrun = 250;
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_EQ_INT(p.calls, 2);
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);   /* now = 1450: nothing due until 1500 */
    TN_EQ_INT(p.calls, 2);
    clk.now = 1499;
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_EQ_INT(p.calls, 2);
    clk.now = 1500;
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_EQ_INT(p.calls, 3);
    TN_EQ_UINT(p.at[2], 1500);
    /* a clock jump of ten intervals fires once, and stays on the 100 ms grid */
    clk.now = 2550;
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_EQ_INT(p.calls, 4);
    clk.now = 2599;
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_EQ_INT(p.calls, 4);
    clk.now = 2600;
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_EQ_INT(p.calls, 5);
    /* cancelled from inside its own callback: no more beats */
    p.cancel_at = 6;
    clk.now = 2700;
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_EQ_INT(p.calls, 6);
    TN_EQ_INT(tn_loop_timer_pending(loop, p.id), 0);
    clk.now = 5000;
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_EQ_INT(p.calls, 6);
    TN_EQ_RC(tn_loop_call_every(loop, 0, on_beat, &p, NULL), TN_EINVAL);
    TN_OK_RC(tn_loop_free(loop));
}

/* ---- deferred callbacks ---- */
typedef struct dctx { int n; int order[8]; tn_loop *loop; int self_requeue; } dctx;
static void d_a(tn_loop *loop, void *u) { dctx *d = (dctx *)u; (void)loop; d->order[d->n++] = 1; }
static void d_b(tn_loop *loop, void *u) { dctx *d = (dctx *)u; (void)loop; d->order[d->n++] = 2; }
static void d_self(tn_loop *loop, void *u) {
    dctx *d = (dctx *)u;
    d->self_requeue++;
    TN_OK_RC(tn_loop_defer(loop, d_self, d));   /* runs next iteration, not this one */
}

TN_TEST(defer_fifo_and_bounded) {
    tn_loop *loop = new_loop();
    dctx d;
    uint64_t t0;
    int rc;
    memset(&d, 0, sizeof d);
    TN_OK_RC(tn_loop_defer(loop, d_a, &d));
    TN_OK_RC(tn_loop_defer(loop, d_b, &d));
    TN_EQ_INT(d.n, 0);   /* never inside the call */
    rc = tn_loop_run_once(loop, 0);
    TN_EQ_INT(rc, 2);
    TN_EQ_INT(d.order[0], 1);
    TN_EQ_INT(d.order[1], 2);
    /* a callback that re-defers itself runs once per iteration and does not block: with a
       callback pending, run_once(1000) must not wait for its timeout (three of them would
       take 3 s; 300 ms allows for a loaded machine and sanitizers) */
    TN_OK_RC(tn_loop_defer(loop, d_self, &d));
    t0 = tn_time_ns();
    TN_CHECK(tn_loop_run_once(loop, 1000) >= 0);
    TN_CHECK(tn_loop_run_once(loop, 1000) >= 0);
    TN_CHECK(tn_loop_run_once(loop, 1000) >= 0);
    TN_EQ_INT(d.self_requeue, 3);
    TN_CHECKF(tn_time_ns() - t0 < 300000000u, "3 run_once(1000) with a callback pending took %lu ms",
              (unsigned long)((tn_time_ns() - t0) / 1000000));
    TN_OK_RC(tn_loop_free(loop));   /* the pending one is dropped */
}

TN_TEST(run_once_zero_returns_at_once) {
    tn_loop *loop = new_loop();
    uint64_t t0;
    int i;
    TN_OK_RC(tn_loop_call_later(loop, 10000, d_a, NULL, NULL));
    t0 = tn_time_ns();
    for (i = 0; i < 100; i++) TN_EQ_INT(tn_loop_run_once(loop, 0), 0);
    /* (under wine each WSAPoll is a round trip to wineserver: 0.7 ms there, so 10x the room) */
    TN_CHECKF(tn_time_ns() - t0 < (tn_test_under_wine() ? 500000000u : 50000000u), "100 empty run_once(0) took %lu us",
              (unsigned long)((tn_time_ns() - t0) / 1000));
    TN_OK_RC(tn_loop_free(loop));
}

/* ---- post from another thread wakes a loop blocked in poll ---- */
typedef struct xt { tn_loop *loop; uint64_t sent_ns; uint64_t got_ns; volatile int done; int count; } xt;

static void on_posted(tn_loop *loop, void *u) {
    xt *x = (xt *)u;
    (void)loop;
    x->got_ns = tn_time_ns();
    x->count++;
    x->done = 1;
}

static void *poster(void *u) {
    xt *x = (xt *)u;
    struct timespec ts = {0, 50 * 1000000};
    nanosleep(&ts, NULL);   /* let the loop block first */
    x->sent_ns = tn_time_ns();
    if (tn_loop_post(x->loop, on_posted, x) != 0) abort();
    return NULL;
}

TN_TEST(post_wakes_blocked_loop) {
    tn_loop *loop = new_loop();
    xt x;
    pthread_t th;
    int rc;
    memset(&x, 0, sizeof x);
    x.loop = loop;
    TN_CHECK(pthread_create(&th, NULL, poster, &x) == 0);
    rc = tn_loop_run_once(loop, 5000);   /* blocks until the post */
    TN_CHECK(pthread_join(th, NULL) == 0);
    if (!x.done) rc = tn_loop_run_once(loop, 5000);
    TN_CHECK(rc >= 0);
    TN_EQ_INT(x.count, 1);
    /* (under wine a plain WSAPoll wakes 30-50 ms after a send from another thread, measured
       without the library: 10x the room there) */
    TN_CHECKF(x.got_ns - x.sent_ns < (tn_test_under_wine() ? 250000000u : 25000000u), "woke after %lu us",
              (unsigned long)((x.got_ns - x.sent_ns) / 1000));
    TN_OK_RC(tn_loop_free(loop));
}

/* posted callbacks join the deferred queue in order, behind what was deferred before the
   loop woke, and a callback deferred by one of them runs after the last of them */
static char seq[16];
static int nseq;
static void seq_add(tn_loop *loop, void *u) {
    (void)loop;
    if (nseq < 15) seq[nseq++] = *(const char *)u;
}
static void rec_defer(tn_loop *loop, void *u) {
    seq_add(loop, u);
    if (tn_loop_defer(loop, seq_add, (void *)"E") != 0) abort();
}

TN_TEST(post_order_with_defer) {
    tn_loop *loop = new_loop();
    int i;
    memset(seq, 0, sizeof seq);
    nseq = 0;
    TN_OK_RC(tn_loop_defer(loop, seq_add, (void *)"A"));
    TN_OK_RC(tn_loop_post(loop, rec_defer, (void *)"B"));
    TN_OK_RC(tn_loop_post(loop, seq_add, (void *)"C"));
    TN_OK_RC(tn_loop_defer(loop, seq_add, (void *)"D"));
    for (i = 0; i < 10 && nseq < 5; i++) TN_CHECK(tn_loop_run_once(loop, 100) >= 0);
    TN_EQ_STR(seq, "ADBCE");
    TN_OK_RC(tn_loop_post(loop, seq_add, (void *)"F"));
    TN_OK_RC(tn_loop_post(loop, seq_add, (void *)"G"));
    for (i = 0; i < 10 && nseq < 7; i++) TN_CHECK(tn_loop_run_once(loop, 100) >= 0);
    TN_EQ_STR(seq, "ADBCEFG");
    TN_OK_RC(tn_loop_free(loop));
}

/* many threads post many callbacks: all arrive, each exactly once */
typedef struct many { tn_loop *loop; int count; } many;
static void on_many(tn_loop *loop, void *u) { (void)loop; ((many *)u)->count++; }
static void *many_poster(void *u) {
    many *m = (many *)u;
    int i;
    for (i = 0; i < 2000; i++)
        while (tn_loop_post(m->loop, on_many, m) != 0) {}
    return NULL;
}

TN_TEST(post_many_threads) {
    tn_loop *loop = new_loop();
    many m;
    pthread_t th[4];
    int i;
    uint64_t end;
    m.loop = loop;
    m.count = 0;
    for (i = 0; i < 4; i++) TN_CHECK(pthread_create(&th[i], NULL, many_poster, &m) == 0);
    end = tn_time_ms() + 10000;
    while (m.count < 8000 && tn_time_ms() < end) TN_CHECK(tn_loop_run_once(loop, 100) >= 0);
    for (i = 0; i < 4; i++) TN_CHECK(pthread_join(th[i], NULL) == 0);
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_EQ_INT(m.count, 8000);
    TN_OK_RC(tn_loop_free(loop));
}

/* ---- async handle from a signal handler ---- */
static tn_async *g_async;
#if defined(_WIN32)
/* the C runtime's signals: raise() runs the handler in-process and resets it: re-armed */
#  define TEST_SIG SIGTERM
static void on_sig(int sig) { (void)signal(sig, on_sig); (void)tn_async_send(g_async); }
static int arm_signal(void) { return signal(TEST_SIG, on_sig) == SIG_ERR ? -1 : 0; }
#else
#  define TEST_SIG SIGUSR1
static void on_sig(int sig) { (void)sig; (void)tn_async_send(g_async); }
static int arm_signal(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sigemptyset(&sa.sa_mask);
    return sigaction(TEST_SIG, &sa, NULL);
}
#endif
static void on_async(tn_loop *loop, void *u) { (void)loop; (*(int *)u)++; }
static void on_async_closed(tn_loop *loop, void *u) { (void)loop; *(int *)u = 1; }

TN_TEST(async_from_signal) {
    tn_loop *loop = new_loop();
    int calls = 0, closed = 0;
    TN_OK_RC(tn_async_new(loop, on_async, &calls, &g_async));
    TN_CHECK(arm_signal() == 0);
    TN_CHECK(raise(TEST_SIG) == 0);
    TN_CHECK(raise(TEST_SIG) == 0);   /* coalesces with the first */
    TN_CHECK(tn_loop_run_once(loop, 1000) >= 0);
    TN_EQ_INT(calls, 1);
    TN_EQ_UINT(tn_loop_alive(loop), 1);
    TN_EQ_RC(tn_loop_free(loop), TN_EBUSY);   /* the async is still open */
    TN_OK_RC(tn_async_close(g_async, on_async_closed, &closed));
    TN_EQ_RC(tn_async_close(g_async, NULL, NULL), TN_ECLOSED);
    TN_EQ_INT(closed, 0);   /* deferred */
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_EQ_INT(closed, 1);
    TN_OK_RC(tn_loop_free(loop));
}

/* ---- fd watchers ---- */
typedef struct fdctx { int fds[2]; int reads; int other_fd; tn_loop *loop; int removed_other; } fdctx;

static void on_readable(tn_loop *loop, tn_socket fd, int ev, void *u) {
    fdctx *c = (fdctx *)u;
    char buf[16];
    TN_CHECK(ev & TN_EV_READ);
    (void)read(fd, buf, sizeof buf);
    c->reads++;
    /* remove another watcher whose event is already pending in this iteration */
    if (c->other_fd >= 0 && !c->removed_other) {
        TN_OK_RC(tn_loop_remove_fd(loop, c->other_fd));
        c->removed_other = 1;
    }
    TN_OK_RC(tn_loop_remove_fd(loop, fd));   /* removing itself from its own callback */
}

TN_TEST(fd_watchers) {
    tn_loop *loop = new_loop();
    fdctx a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    TN_CHECK(fd_pair(a.fds) == 0);
    TN_CHECK(fd_pair(b.fds) == 0);
    a.other_fd = b.fds[0];
    b.other_fd = a.fds[0];
    TN_OK_RC(tn_loop_add_fd(loop, a.fds[0], TN_EV_READ, on_readable, &a));
    TN_EQ_RC(tn_loop_add_fd(loop, a.fds[0], TN_EV_READ, on_readable, &a), TN_EEXIST);
    TN_OK_RC(tn_loop_add_fd(loop, b.fds[0], TN_EV_READ, on_readable, &b));
    TN_EQ_UINT(tn_loop_alive(loop), 2);
    TN_CHECK(write(a.fds[1], "x", 1) == 1);
    TN_CHECK(write(b.fds[1], "y", 1) == 1);
    TN_CHECK(tn_loop_run_once(loop, 1000) >= 0);
    /* exactly one of them ran: the first removed the other before its turn */
    TN_EQ_INT(a.reads + b.reads, 1);
    TN_EQ_UINT(tn_loop_alive(loop), 0);
    TN_EQ_RC(tn_loop_remove_fd(loop, a.fds[0]), TN_ENOENT);
    TN_EQ_RC(tn_loop_update_fd(loop, a.fds[0], TN_EV_READ), TN_ENOENT);
    close(a.fds[0]); close(a.fds[1]); close(b.fds[0]); close(b.fds[1]);
    TN_OK_RC(tn_loop_free(loop));
}

static void count_write(tn_loop *loop, tn_socket fd, int ev, void *u) {
    (void)loop; (void)fd;
    if (ev & TN_EV_WRITE) (*(int *)u)++;
}

TN_TEST(fd_update_pause) {
    tn_loop *loop = new_loop();
    int fds[2], n = 0;
    TN_CHECK(fd_pair(fds) == 0);
    TN_OK_RC(tn_loop_add_fd(loop, fds[1], TN_EV_WRITE, count_write, &n));
    TN_CHECK(tn_loop_run_once(loop, 100) >= 0);
    TN_EQ_INT(n, 1);
    TN_OK_RC(tn_loop_update_fd(loop, fds[1], 0));   /* paused: no event, no spin */
    TN_EQ_INT(tn_loop_run_once(loop, 20), 0);
    TN_EQ_INT(n, 1);
    TN_OK_RC(tn_loop_update_fd(loop, fds[1], TN_EV_WRITE));
    TN_CHECK(tn_loop_run_once(loop, 100) >= 0);
    TN_EQ_INT(n, 2);
    TN_OK_RC(tn_loop_remove_fd(loop, fds[1]));
    close(fds[0]); close(fds[1]);
    TN_OK_RC(tn_loop_free(loop));
}

/* Many watchers added and removed in a scattered order (on Windows this drives the loop's
   SOCKET -> slot map through growth, deletions and slot reuse): each callback gets its own
   fd, removed watchers stay quiet, and tn_loop_poll_fds lists exactly the watched fds. */
#define MANY_PAIRS 48
typedef struct manyctx { tn_socket fd; int reads; int wrong_fd; } manyctx;

static void many_read(tn_loop *loop, tn_socket fd, int ev, void *u) {
    manyctx *m = (manyctx *)u;
    char buf[8];
    (void)loop;
    if (fd != m->fd) m->wrong_fd++;
    if (ev & TN_EV_READ) {
        (void)read(fd, buf, sizeof buf);
        m->reads++;
    }
}

#define MANY_WATCHED(i) ((i) % 3 != 0 || (i) % 6 == 0)

TN_TEST(fd_watchers_many) {
    tn_loop *loop = new_loop();
    int fds[MANY_PAIRS][2], i, round, pending, watched = 0, listed;
    manyctx m[MANY_PAIRS];
    tn_pollfd pf[MANY_PAIRS + 1];
    size_t n, k;
    memset(m, 0, sizeof m);
    for (i = 0; i < MANY_PAIRS; i++) {
        TN_CHECK(fd_pair(fds[i]) == 0);
        m[i].fd = fds[i][0];
        TN_OK_RC(tn_loop_add_fd(loop, fds[i][0], TN_EV_READ, many_read, &m[i]));
    }
    /* every third goes, from the end; then every sixth comes back */
    for (i = MANY_PAIRS - 1; i >= 0; i--)
        if (i % 3 == 0) TN_OK_RC(tn_loop_remove_fd(loop, fds[i][0]));
    for (i = 0; i < MANY_PAIRS; i++) {
        if (i % 3 == 0) TN_EQ_RC(tn_loop_update_fd(loop, fds[i][0], TN_EV_READ), TN_ENOENT);
        else TN_EQ_RC(tn_loop_add_fd(loop, fds[i][0], TN_EV_READ, many_read, &m[i]), TN_EEXIST);
    }
    for (i = 0; i < MANY_PAIRS; i += 6) TN_OK_RC(tn_loop_add_fd(loop, fds[i][0], TN_EV_READ, many_read, &m[i]));
    for (i = 0; i < MANY_PAIRS; i++) watched += MANY_WATCHED(i);
    TN_EQ_UINT(tn_loop_alive(loop), (size_t)watched);
    n = tn_loop_poll_fds(loop, pf, MANY_PAIRS + 1);
    TN_EQ_UINT(n, (size_t)watched + 1);   /* and the loop's own wakeup fd */
    for (listed = 0, k = 0; k < n; k++) {
        for (i = 0; i < MANY_PAIRS && m[i].fd != pf[k].fd; i++) {}
        if (i == MANY_PAIRS) continue;   /* (the wakeup fd) */
        TN_CHECKF(MANY_WATCHED(i), "poll_fds listed pair %d, not watched", i);
        TN_EQ_INT(pf[k].events, TN_EV_READ);
        listed++;
    }
    TN_EQ_INT(listed, watched);
    for (i = 0; i < MANY_PAIRS; i++) TN_CHECK(write(fds[i][1], "x", 1) == 1);
    for (round = 0; round < 200; round++) {
        TN_CHECK(tn_loop_run_once(loop, 50) >= 0);
        for (pending = 0, i = 0; i < MANY_PAIRS; i++) pending += MANY_WATCHED(i) && m[i].reads == 0;
        if (!pending) break;
    }
    for (i = 0; i < MANY_PAIRS; i++) {
        TN_EQ_INT(m[i].wrong_fd, 0);
        TN_EQ_INT(m[i].reads, MANY_WATCHED(i) ? 1 : 0);
    }
    for (i = 0; i < MANY_PAIRS; i++) {
        TN_EQ_RC(tn_loop_remove_fd(loop, fds[i][0]), MANY_WATCHED(i) ? TN_OK : TN_ENOENT);
        close(fds[i][0]);
        close(fds[i][1]);
    }
    TN_EQ_UINT(tn_loop_alive(loop), 0);
    TN_OK_RC(tn_loop_free(loop));
}

/* Watchers on sparse, large descriptor values (Windows SOCKETs are arbitrary handle values,
   not small dense ints): pipe ends moved to the top of the open-file limit and scattered
   below it. With the SOCKET -> slot map (TN__FD_MAP, the Windows build and build.fdmap.*)
   this drives hashing of far-apart keys; without it, the watcher table's growth to a large
   index. Each callback gets its own fd, and poll_fds reports the values as they are. */
#define SPARSE_PAIRS 6
TN_TEST(fd_watchers_sparse) {
#if defined(_WIN32)
    TN_SKIP("POSIX only: moves descriptors with fcntl(F_DUPFD); the Windows run gets real SOCKET values");
#else
    tn_loop *loop = new_loop();
    struct rlimit rl;
    long top, want[SPARSE_PAIRS];
    int fds[SPARSE_PAIRS][2], i, round, pending;
    manyctx m[SPARSE_PAIRS];
    tn_pollfd pf[SPARSE_PAIRS + 1];
    size_t n, k;
    TN_CHECK(getrlimit(RLIMIT_NOFILE, &rl) == 0);
    top = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536 ? 65536 : (long)rl.rlim_cur;
    if (top < 512) TN_SKIP("open-file limit %ld is too low for sparse descriptors", top);
    /* far apart, not in order, one at the very top */
    want[0] = top - 1; want[1] = 257; want[2] = top / 2 + 13; want[3] = 300;
    want[4] = top / 4 + 1; want[5] = top - 97;
    memset(m, 0, sizeof m);
    for (i = 0; i < SPARSE_PAIRS; i++) {
        int p[2], hi;
        TN_CHECK(pipe(p) == 0);
        hi = fcntl(p[0], F_DUPFD, (int)want[i]);
        TN_CHECKF(hi == (int)want[i], "F_DUPFD %ld gave %d", want[i], hi);
        close(p[0]);
        fds[i][0] = hi;
        fds[i][1] = p[1];
        m[i].fd = hi;
        TN_OK_RC(tn_loop_add_fd(loop, hi, TN_EV_READ, many_read, &m[i]));
    }
    TN_EQ_RC(tn_loop_add_fd(loop, fds[2][0], TN_EV_READ, many_read, &m[2]), TN_EEXIST);
    TN_OK_RC(tn_loop_remove_fd(loop, fds[3][0]));   /* one leaves: its slot must not answer */
    TN_EQ_UINT(tn_loop_alive(loop), (size_t)SPARSE_PAIRS - 1);
    n = tn_loop_poll_fds(loop, pf, SPARSE_PAIRS + 1);
    TN_EQ_UINT(n, (size_t)SPARSE_PAIRS);   /* five pipes and the loop's wakeup fd */
    for (i = 0; i < SPARSE_PAIRS; i++) {
        int seen = 0;
        for (k = 0; k < n; k++) seen += pf[k].fd == fds[i][0];
        TN_EQ_INT(seen, i == 3 ? 0 : 1);
    }
    for (i = 0; i < SPARSE_PAIRS; i++) TN_CHECK(write(fds[i][1], "x", 1) == 1);
    for (round = 0; round < 200; round++) {
        TN_CHECK(tn_loop_run_once(loop, 50) >= 0);
        for (pending = 0, i = 0; i < SPARSE_PAIRS; i++) pending += i != 3 && m[i].reads == 0;
        if (!pending) break;
    }
    for (i = 0; i < SPARSE_PAIRS; i++) {
        TN_EQ_INT(m[i].wrong_fd, 0);
        TN_EQ_INT(m[i].reads, i == 3 ? 0 : 1);
    }
    for (i = 0; i < SPARSE_PAIRS; i++) {
        TN_EQ_RC(tn_loop_remove_fd(loop, fds[i][0]), i == 3 ? TN_ENOENT : TN_OK);
        close(fds[i][0]);
        close(fds[i][1]);
    }
    TN_EQ_UINT(tn_loop_alive(loop), 0);
    TN_OK_RC(tn_loop_free(loop));
#endif
}

/* ---- run / stop / run_until ---- */
static void do_stop(tn_loop *loop, void *u) { (void)u; tn_loop_stop(loop); }
static void set_flag(tn_loop *loop, void *u) { (void)loop; *(volatile int *)u = 1; }

TN_TEST(run_stop_run_until) {
    tn_loop *loop = new_loop();
    volatile int flag = 0;
    uint64_t t0;
    TN_OK_RC(tn_loop_call_later(loop, 5, do_stop, NULL, NULL));
    TN_OK_RC(tn_loop_run(loop));
    tn_loop_stop(loop);            /* stop before run: run returns at once */
    TN_OK_RC(tn_loop_run(loop));
    TN_OK_RC(tn_loop_call_later(loop, 10, set_flag, (void *)&flag, NULL));
    TN_OK_RC(tn_loop_run_until(loop, &flag, 5000));
    TN_EQ_INT(flag, 1);
    flag = 0;
    t0 = tn_time_ms();
    TN_EQ_RC(tn_loop_run_until(loop, &flag, 50), TN_ETIMEOUT);
    TN_CHECK(tn_time_ms() - t0 >= 50 && tn_time_ms() - t0 < 1000);
    TN_OK_RC(tn_loop_free(loop));
}

/* ---- allocator ---- */
TN_TEST(allocator_counts_balance) {
    counting_alloc ca;
    tn_loop *loop;
    tn_async *a;
    int i;
    memset(&ca, 0, sizeof ca);
    loop = new_counted_loop(&ca);
    for (i = 0; i < 100; i++) TN_OK_RC(tn_loop_call_later(loop, (uint64_t)i, d_a, NULL, NULL));
    TN_OK_RC(tn_loop_defer(loop, d_a, NULL));
    TN_OK_RC(tn_loop_post(loop, d_a, NULL));
    TN_OK_RC(tn_async_new(loop, on_async, NULL, &a));
    TN_OK_RC(tn_async_close(a, NULL, NULL));
    TN_CHECK(ca.live > 0);
    TN_OK_RC(tn_loop_free(loop));
    TN_EQ_INT(ca.live, 0);
    TN_CHECK(ca.total > 3);
}

TN_TEST(allocator_failure_is_enomem) {
    counting_alloc ca;
    tn_loop_opts o;
    tn_loop *loop = NULL;
    long n;
    int ok = 0;
    /* every allocation of tn_loop_new failing in turn gives TN_ENOMEM and no leak (of
       memory, nor of a descriptor: the lowest free one stays the same) */
    for (n = 1; n < 50 && !ok; n++) {
        int rc;
#if !defined(_WIN32)
        int fd_before = dup(0), fd_after;
        close(fd_before);
#endif
        memset(&ca, 0, sizeof ca);
        memset(&o, 0, sizeof o);
        o.allocator = tn_test_counting(&ca);
        ca.fail_after = n;
        rc = tn_loop_new(&o, &loop);
        if (rc == 0) {
            ok = 1;
            TN_OK_RC(tn_loop_free(loop));
        } else {
            TN_EQ_RC(rc, TN_ENOMEM);
        }
        TN_EQ_INT(ca.live, 0);
#if !defined(_WIN32)
        fd_after = dup(0);
        close(fd_after);
        TN_EQ_INT(fd_after, fd_before);
#endif
    }
    TN_CHECK(ok);
    /* failures after creation: a timer or defer reports TN_ENOMEM and the loop lives on */
    memset(&ca, 0, sizeof ca);
    loop = new_counted_loop(&ca);
    ca.fail_after = 1;
    TN_EQ_RC(tn_loop_defer(loop, d_a, NULL), TN_ENOMEM);
    ca.fail_after = 1;
    TN_EQ_RC(tn_loop_call_later(loop, 1, d_a, NULL, NULL), TN_ENOMEM);
    TN_OK_RC(tn_loop_call_later(loop, 1, d_a, NULL, NULL));
    TN_OK_RC(tn_loop_free(loop));
    TN_EQ_INT(ca.live, 0);
    /* a partial allocator is rejected */
    memset(&o, 0, sizeof o);
    o.allocator.alloc = ca_alloc;
    TN_EQ_RC(tn_loop_new(&o, &loop), TN_EINVAL);
    TN_CHECK(loop == NULL);
}

TN_TEST(strerror_names) {
    TN_EQ_STR(tn_err_name(TN_ETIMEOUT), "TN_ETIMEOUT");
    TN_EQ_STR(tn_strerror(TN_OK), "success");
    TN_EQ_STR(tn_strerror(12345), "unknown error");
    TN_EQ_STR(tn_err_name(-9999), "?");
    TN_CHECK(tn_loop_backend(NULL) != NULL);
}

/* ---- the ready stderr logger ---- */
static void fd_noop(tn_loop *loop, tn_socket fd, int events, void *user) {
    (void)loop; (void)fd; (void)events; (void)user;
}

TN_TEST(log_stderr_prints_lines) {
    static const char want[] = "tornado: warn TN_EBUSY: two things (loop.c:42)\n"
                               "tornado: debug: no code (x.c:7)\n"
                               "tornado: error TN_ENOMEM: xxx";
    char path[] = "/tmp/tn_test_logXXXXXX", text[4096], big[1000];
    int fd = mkstemp(path), saved = dup(2), fds[2];
    ssize_t n;
    tn_loop_opts o;
    tn_loop *loop;
    TN_CHECK(fd >= 0 && saved >= 0);
#if defined(_WIN32)   /* "\n" stays "\n" (fd 2 takes this mode with dup2); an open file cannot be removed */
    (void)_setmode(fd, _O_BINARY);
#else
    unlink(path);
#endif
    fflush(stderr);
    TN_CHECK(dup2(fd, 2) != -1);   /* (2 on POSIX, 0 on Windows) */
    /* directly: level, code name, message, base name of the file and the line */
    tn_log_stderr(NULL, TN_LOG_WARN, TN_EBUSY, "two things", "src/loop.c", 42);
    tn_log_stderr(NULL, TN_LOG_DEBUG, 0, "no code", "x.c", 7);
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    tn_log_stderr(NULL, TN_LOG_ERROR, TN_ENOMEM, big, NULL, 1);   /* cut, still one line */
    /* through a loop: tn_loop_free's warnings about a live fd watcher */
    memset(&o, 0, sizeof o);
    o.logger.func = tn_log_stderr;
    o.logger.level = TN_LOG_DEBUG;
    TN_OK_RC(tn_loop_new(&o, &loop));
    TN_CHECK(fd_pair(fds) == 0);
    TN_OK_RC(tn_loop_add_fd(loop, fds[0], TN_EV_READ, fd_noop, NULL));
    TN_EQ_RC(tn_loop_free(loop), TN_EBUSY);
    TN_OK_RC(tn_loop_remove_fd(loop, fds[0]));
    TN_OK_RC(tn_loop_free(loop));
    fflush(stderr);
    TN_CHECK(dup2(saved, 2) != -1);
    close(saved);
    close(fds[0]);
    close(fds[1]);
#if defined(_WIN32)
    TN_CHECK(_lseek(fd, 0, SEEK_SET) == 0);
    n = _read(fd, text, sizeof text - 1);
    close(fd);
    unlink(path);
#else
    n = pread(fd, text, sizeof text - 1, 0);
    close(fd);
#endif
    TN_CHECK(n > 0);
    text[n] = 0;
    TN_CHECKF(strncmp(text, want, strlen(want)) == 0, "got:\n%s", text);
    TN_CHECKF(strstr(text, "xxx...\ntornado: warn TN_EBUSY: tn_loop_free: 1 objects still alive (") != NULL,
              "got:\n%s", text);
    TN_CHECKF(strstr(text, "tornado: warn TN_EBUSY:   alive: fd watcher on fd ") != NULL, "got:\n%s", text);
}

TN_TESTS(
    TN_CASE(timer_order),
    TN_CASE(timer_fires_on_time),
    TN_CASE(timer_cancel),
    TN_CASE(timer_cancel_many_compacts),
    TN_CASE(periodic_skips_missed_beats),
    TN_CASE(defer_fifo_and_bounded),
    TN_CASE(run_once_zero_returns_at_once),
    TN_CASE(post_wakes_blocked_loop),
    TN_CASE(post_order_with_defer), TN_CASE(post_many_threads),
    TN_CASE(async_from_signal),
    TN_CASE(fd_watchers),
    TN_CASE(fd_update_pause),
    TN_CASE(fd_watchers_many),
    TN_CASE(fd_watchers_sparse),
    TN_CASE(run_stop_run_until),
    TN_CASE(allocator_counts_balance),
    TN_CASE(allocator_failure_is_enomem),
    TN_CASE(strerror_names),
    TN_CASE(log_stderr_prints_lines)
)
