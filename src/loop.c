/* loop.c: the event loop: handles, deferred queue, timer heap, fd table, wakeup, run. */
#include "loop.h"
#include "internal.h"

/* (the private types shared with the modules above are in internal.h) */

/* Cold helpers called from more than one place: one copy, not one inlined into each. */
#if defined(__GNUC__) || defined(__clang__)
#  define TN__LOOP_NOINLINE static __attribute__((noinline, unused))
#else
#  define TN__LOOP_NOINLINE TN__PRIVATE
#endif



/* The fd table: one watcher per slot. POSIX and lwIP: the slot is the fd (small dense
   ints). Windows: a SOCKET is a handle value, neither small nor dense, so slots are handed
   out densely (freed ones chained for reuse) and a hash map finds a socket's slot
   (TN__FD_MAP, internal.h). */

typedef struct tn__fdw {              /* one fd watcher (24 bytes: one per open socket) */
    tn_fd_cb cb;
    void *user;
#if TN__FD_MAP
    tn_socket fd;                     /* the watched socket */
    int next_free;                    /* inactive: the next free slot + 1 (0 = end) */
#endif
    uint32_t iter_added;              /* skip events polled before it was added (low bits) */
    unsigned char events;             /* what the owner asked for (TN__EV_INTEREST bits) */
    unsigned char backend_events;     /* what the poller has (0 = not registered) */
    unsigned int dirty : 1;           /* queued in loop->dirty for the next flush */
    unsigned int active : 1;
    unsigned int internal : 1;        /* not counted as alive (owned by a handle or the loop) */
} tn__fdw;


#define TN__EV_INTEREST (TN_EV_READ | TN_EV_WRITE | TN__EV_RDHUP)
#if TN__FD_MAP
#  define TN__FDW_FD(w, slot) ((w)->fd)
#else
#  define TN__FDW_FD(w, slot) ((tn_socket)(slot))
#endif

/* Timers: a slot array (the id names a slot and its generation) and a binary min-heap of
   self-contained entries, so sifting touches only the heap. Cancel is O(1): the slot is
   released and its heap entry, now stale (generation mismatch), is skipped when it
   surfaces; the heap is rebuilt when stale entries outnumber live ones. */
typedef struct tn__heapent {
    uint64_t when;
    uint64_t seq;                     /* FIFO among equal deadlines */
    uint32_t slot;
    uint32_t gen;                     /* the slot's generation when pushed */
} tn__heapent;

typedef struct tn__timer {
    uint64_t when;
    uint64_t interval;                /* > 0: periodic */
    tn_cb cb;                         /* NULL: the slot is free */
    void *user;
    uint32_t gen;                     /* bumped on release: stale ids and entries never match */
    uint32_t next_free;               /* free-list link (slot index + 1, 0 = end) */
    int firing;                       /* its callback is running now */
    int cancelled;                    /* cancelled while firing */
} tn__timer;

typedef struct tn__user_defer { tn__defer d; tn_cb cb; void *user; tn_loop *loop; } tn__user_defer;

struct tn_async {
    tn__handle h;
    tn_cb cb;
    void *user;
    tn_cb close_cb;
    void *close_user;
    volatile sig_atomic_t pending;
    tn_async *anext, *aprev;
};

/* (the fields the per-iteration and per-event code reads most come first: x86-64 reaches
   the first 128 bytes with a one-byte displacement; the options last) */
struct tn_loop {
    tn_allocator *a;                  /* &opts.allocator */
    /* fd table (indexed by slot: see tn__fdw) */
    tn__fdw *fds;
    size_t nfds;                      /* entries initialised: one past the highest slot seen */
    /* timers: a heap of entries naming slots of the timer table */
    tn__heapent *heap;
    size_t heap_len;
    tn__timer *timers;
    /* deferred queue */
    tn__defer *dq_head, *dq_tail;
    int *dirty;                       /* slots whose interest changed since the last poll */
    size_t ndirty;
    uint64_t now;
    char *blocks;                     /* tn__loop_block_take: spare blocks, each one's first
                                         bytes linking the next */
    size_t nblocks;
    tn__fired *fired;
    int running;
    int stop;
    tn__handle *live;                 /* objects */

    size_t live_count;
    tn__handle *closing_head, *closing_tail;
    char *scratch;                    /* tn__loop_scratch_lend: one read buffer for every stream */
    int scratch_lent;                 /* tn__loop_scratch_lend: a stream reads in it now */
    int freeing;
    size_t blocks_out, blocks_peak;   /* lent, most lent and spare at once */
    size_t fds_cap;
    size_t user_fds;
#if TN__FD_MAP
    int *fdmap;                       /* socket -> slot: open addressing, -1 empty */
    size_t fdmap_cap, fdmap_n;        /* capacity (a power of two, at most half full), entries */
    int fd_free;                      /* free slot chain: slot + 1, 0 = none */
#endif
    size_t fired_cap;
    size_t dirty_cap;
    void *backend;                    /* the poller's state */
    void *user;
    uint64_t iter;

    size_t ntimers, timers_cap;
    uint32_t timer_free;              /* free-list head (slot index + 1) */
    size_t heap_cap;
    size_t heap_stale;                /* entries of released slots still in the heap */
    uint64_t timer_seq;
    /* tn__timer_rearm once tn_loop_call_every made a periodic timer (a program without
       one does not link it) */
    void (*timer_rearm)(tn_loop *loop, uint32_t slot);

    /* wakeup and cross-thread posts */
    tn_socket wake_fd[2];             /* tn__wake_open: read end, write end (eventfd: equal) */
    tn__mutex post_lock;
    tn__defer *post_head, *post_tail;
    int wake_pending;
    int post_closed;
    tn_async *asyncs;
    /* tn__async_run_all once tn_async_new made an async handle (a program without one does
       not link it) */
    void (*async_run)(tn_loop *loop);

    void *slots[TN__LOOP_SLOTS];      /* tn__loop_slot: per-loop state of other modules */
    tn_loop_opts opts;                /* resolved */
};


/* Make room for n fired events. */
/* The loop's allocator, for the objects of every module on this loop. */
TN__PRIVATE tn_allocator *tn__loop_alloc(const tn_loop *loop) { return loop->a; }

/* A buffer of TORNADO_READ_CHUNK_SIZE bytes owned by the loop (allocated on first use,
   freed with the loop), lent to one stream at a time as its read buffer while that read's
   callbacks run, or NULL (lent already, or out of memory); tn__loop_scratch_back takes it
   back (1 if p was it). Streams read into it when they hold nothing and keep only what the
   callbacks leave, so a connection never holds a whole read chunk for a small request, and
   the allocator sees small requests instead of 64 KiB ones. */
TN__PRIVATE char *tn__loop_scratch_lend(tn_loop *loop) {
    if (loop->scratch_lent) return NULL;
    if (!loop->scratch) loop->scratch = (char *)tn__alloc(loop->a, TORNADO_READ_CHUNK_SIZE);
    if (loop->scratch) loop->scratch_lent = 1;
    return loop->scratch;
}

TN__PRIVATE int tn__loop_scratch_back(tn_loop *loop, const char *p) {
    if (!p || p != loop->scratch) return 0;
    loop->scratch_lent = 0;
    return 1;
}

TN__PRIVATE char *tn__loop_block_take(tn_loop *loop) {
    char *p = loop->blocks;
    if (p) {
        memcpy(&loop->blocks, p, sizeof loop->blocks);
        loop->nblocks--;
    } else if (!(p = (char *)tn__alloc(loop->a, TN__LOOP_BLOCK))) {
        return NULL;
    }
    if (++loop->blocks_out > loop->blocks_peak) loop->blocks_peak = loop->blocks_out;
    return p;
}

TN__PRIVATE void tn__loop_block_give(tn_loop *loop, char *p) {
    loop->blocks_out--;
    if (loop->nblocks + loop->blocks_out >= loop->blocks_peak) {
        tn__free(loop->a, p);
        return;
    }
    memcpy(p, &loop->blocks, sizeof loop->blocks);
    loop->blocks = p;
    loop->nblocks++;
}

/* Free the spare blocks beyond keep (a poll wait found nothing to do; the loop's release).
   Off the request path, so one copy serves both callers. */
TN__LOOP_NOINLINE void tn__loop_blocks_trim(tn_loop *loop, size_t keep) {
    while (loop->nblocks > keep) {
        char *p = loop->blocks;
        memcpy(&loop->blocks, p, sizeof loop->blocks);
        loop->nblocks--;
        tn__free(loop->a, p);
    }
    loop->blocks_peak = loop->blocks_out + loop->nblocks;
}

TN__PRIVATE int tn__loop_fired_reserve(tn_loop *loop, size_t n) {
    return tn__grow(loop->a, (void **)&loop->fired, &loop->fired_cap, n, sizeof(tn__fired));
}

/* For the poller backend: the fired array (room made by tn__loop_fired_reserve) and the
   slot where the backend keeps its state. */
TN__PRIVATE tn__fired *tn__loop_fired(tn_loop *loop) { return loop->fired; }
TN__PRIVATE void **tn__loop_backend(tn_loop *loop) { return &loop->backend; }
/* A slot for another module's per-loop state (TN__LOOP_SLOT_*): NULL until it fills it;
   what a slot holds when the loop is freed must be one plain allocation (freed then). */
TN__PRIVATE void **tn__loop_slot(tn_loop *loop, int which) { return &loop->slots[which]; }

/* The loop's logger (TN__LLOG in internal.h goes through it). */
TN__PRIVATE const tn_logger *tn__loop_logger(const tn_loop *loop) { return &loop->opts.logger; }

/* ---- handles ---- */
TN__PRIVATE void tn__handle_init(tn_loop *loop, tn__handle *h, const tn__handle_type *type) {
    memset(h, 0, sizeof *h);
    h->loop = loop;
    h->type = type;
    h->next = loop->live;
    if (loop->live) loop->live->prev = h;
    loop->live = h;
    loop->live_count++;
}

/* Request close: the handle moves from the live list to the closing queue (it still counts
   as alive); the finalizer runs in the closing phase. Returns TN_ECLOSED if already. */
TN__PRIVATE int tn__handle_close(tn__handle *h) {
    tn_loop *loop = h->loop;
    if (h->closing) return TN_ECLOSED;
    h->closing = 1;
    if (h->prev) h->prev->next = h->next;
    else loop->live = h->next;
    if (h->next) h->next->prev = h->prev;
    h->prev = h->next = NULL;
    if (loop->closing_tail) loop->closing_tail->next = h;
    else loop->closing_head = h;
    loop->closing_tail = h;
    return TN_OK;
}

/* The closing phase: finalise every closed handle with no queued deferred node. Handles
   closed by a finalizer are handled in the same phase; ones still waiting stay queued. */
TN__PRIVATE int tn__loop_run_closing(tn_loop *loop) {
    tn__handle **pp = &loop->closing_head, *h, *prev = NULL;
    int n = 0;
    while ((h = *pp) != NULL) {
        if (h->pending > 0) {   /* stays queued */
            prev = h;
            pp = &h->next;
            continue;
        }
        *pp = h->next;
        if (loop->closing_tail == h) loop->closing_tail = prev;
        h->next = NULL;
        loop->live_count--;
        h->type->finalize(h);   /* frees h; a handle it closes joins the queue's end */
        n++;
    }
    return n;
}

/* ---- deferred queue ---- */
TN__PRIVATE void tn__defer_init(tn__defer *d, void (*fn)(tn__defer *), tn__handle *owner) {
    d->next = NULL;
    d->fn = fn;
    d->owner = owner;
}

/* 1 if d is in the loop's deferred queue: linked to a next node, or the last one. */
TN__PRIVATE int tn__defer_queued(const tn_loop *loop, const tn__defer *d) { return d->next || loop->dq_tail == d; }

/* Queue d (no-op if already queued). Never fails: the node is caller-owned. */
TN__PRIVATE void tn__defer_queue(tn_loop *loop, tn__defer *d) {
    if (tn__defer_queued(loop, d)) return;
    if (d->owner) d->owner->pending++;
    if (loop->dq_tail) loop->dq_tail->next = d;
    else loop->dq_head = d;
    loop->dq_tail = d;
}

/* Take d out of the queue if it is queued (its owner is about to go away). O(queue). */
TN__PRIVATE void tn__defer_unqueue(tn_loop *loop, tn__defer *d) {
    tn__defer **pp, *prev = NULL;
    if (!tn__defer_queued(loop, d)) return;
    for (pp = &loop->dq_head; *pp; prev = *pp, pp = &(*pp)->next) {
        if (*pp == d) {
            *pp = d->next;
            if (loop->dq_tail == d) loop->dq_tail = prev;
            d->next = NULL;
            if (d->owner) d->owner->pending--;
            return;
        }
    }
}

/* Run the nodes queued before this phase began, at most max of them. */
TN__PRIVATE int tn__loop_run_deferred(tn_loop *loop, int max) {
    tn__defer *last = loop->dq_tail, *d;
    int n = 0;
    while ((d = loop->dq_head) != NULL && n < max) {
        int was_last;
        loop->dq_head = d->next;
        if (!loop->dq_head) loop->dq_tail = NULL;
        was_last = (d == last);
        d->next = NULL;
        if (d->owner) d->owner->pending--;
        n++;
        d->fn(d);   /* may free d (public nodes) */
        if (was_last) break;
    }
    return n;
}

TN__PRIVATE void tn__user_defer_run(tn__defer *d) {
    tn__user_defer *u = (tn__user_defer *)d;
    tn_loop *loop = u->loop;
    tn_cb cb = u->cb;
    void *user = u->user;
    tn__free(loop->a, u);
    cb(loop, user);
}

/* A node carrying a user's callback (tn_loop_defer, tn_loop_post); NULL when out of memory. */
TN__PRIVATE tn__user_defer *tn__user_defer_new(tn_loop *loop, tn_cb cb, void *user) {
    tn__user_defer *u = (tn__user_defer *)tn__alloc(loop->a, sizeof *u);
    if (!u) return NULL;
    tn__defer_init(&u->d, tn__user_defer_run, NULL);
    u->cb = cb;
    u->user = user;
    u->loop = loop;
    return u;
}

TN_API int tn_loop_defer(tn_loop *loop, tn_cb cb, void *user) {
    tn__user_defer *u;
    if (!loop || !cb) return TN_EINVAL;
    if (!(u = tn__user_defer_new(loop, cb, user))) return TN_ENOMEM;
    tn__defer_queue(loop, &u->d);
    return TN_OK;
}

/* ---- wakeup ---- */
TN__PRIVATE void tn__loop_wake(tn_loop *loop) {
    tn__wake_signal(loop->wake_fd[1]);   /* async-signal-safe (platform.c) */
}

TN__PRIVATE void tn__loop_on_wake(tn_loop *loop, tn_socket fd, int events, void *user);

/* The wakeup fd, watched. Opened with the loop; under TORNADO_NO_THREADS (posts come from
   the loop thread, async sends from it or a signal handler) by the first tn_loop_post or
   tn_async_new instead, so a program that makes neither does not link the wakeup. */
TN__PRIVATE int tn__loop_wake_open(tn_loop *loop) {
    int rc;
    if (loop->wake_fd[0] != TN_INVALID_SOCKET) return TN_OK;
    if ((rc = tn__wake_open(loop->wake_fd)) != TN_OK) return rc;
    if ((rc = tn__loop_add_fd(loop, loop->wake_fd[0], TN_EV_READ, tn__loop_on_wake, NULL, 1)) != TN_OK) {
        tn__wake_close(loop->wake_fd);
        loop->wake_fd[0] = loop->wake_fd[1] = TN_INVALID_SOCKET;
    }
    return rc;
}

TN_API int tn_loop_post(tn_loop *loop, tn_cb cb, void *user) {
    tn__user_defer *u;
    int wake = 0, rc;
    if (!loop || !cb) return TN_EINVAL;
    if (!TN_HAS_THREADS && (rc = tn__loop_wake_open(loop)) != TN_OK) return rc;
    if (!(u = tn__user_defer_new(loop, cb, user))) return TN_ENOMEM;
    tn__mutex_lock(&loop->post_lock);
    if (loop->post_closed) {
        tn__mutex_unlock(&loop->post_lock);
        tn__free(loop->a, u);
        return TN_ECLOSED;
    }
    if (loop->post_tail) loop->post_tail->next = &u->d;
    else loop->post_head = &u->d;
    loop->post_tail = &u->d;
    if (!loop->wake_pending) {
        loop->wake_pending = 1;
        wake = 1;
    }
    /* wake under the lock: the loop cannot be freed between unlock and write */
    if (wake) tn__loop_wake(loop);
    tn__mutex_unlock(&loop->post_lock);
    return TN_OK;
}

TN__PRIVATE int tn__async_take(tn_async *a) {
#if defined(__GNUC__) || defined(__clang__)
    return __atomic_exchange_n(&a->pending, 0, __ATOMIC_ACQ_REL) != 0;
#else
    int p = a->pending;
    a->pending = 0;
    return p != 0;
#endif
}

/* Run the callbacks of the async handles that were sent to. */
TN__PRIVATE void tn__async_run_all(tn_loop *loop) {
    tn_async *a, *anext;
    for (a = loop->asyncs; a; a = anext) {
        anext = a->anext;
        if (!a->h.closing && tn__async_take(a)) a->cb(loop, a->user);
    }
}

TN__PRIVATE void tn__loop_on_wake(tn_loop *loop, tn_socket fd, int events, void *user) {
    tn__defer *head, *tail;
    (void)events;
    (void)user;
    /* drain first, then take the list: a post that lands after the drain wakes us again */
    tn__wake_drain(fd);
    tn__mutex_lock(&loop->post_lock);
    loop->wake_pending = 0;
    head = loop->post_head;
    tail = loop->post_tail;
    loop->post_head = loop->post_tail = NULL;
    tn__mutex_unlock(&loop->post_lock);
    if (head) {   /* the posted nodes (fresh, no owner) join the deferred queue as they are */
        if (loop->dq_tail) loop->dq_tail->next = head;
        else loop->dq_head = head;
        loop->dq_tail = tail;
    }
    if (loop->async_run) loop->async_run(loop);
}

/* ---- async handles ---- */
TN__PRIVATE void tn__async_finalize(tn__handle *h) {
    tn_async *a = (tn_async *)h;
    tn_loop *loop = h->loop;
    if (a->close_cb) a->close_cb(loop, a->close_user);
    tn__free(loop->a, a);
}
static const tn__handle_type tn__async_type = { "async", tn__async_finalize };

TN_API int tn_async_new(tn_loop *loop, tn_cb cb, void *user, tn_async **out) {
    tn_async *a;
    int rc;
    if (!loop || !cb || !out) return TN_EINVAL;
    if (!TN_HAS_THREADS && (rc = tn__loop_wake_open(loop)) != TN_OK) return rc;
    a = (tn_async *)tn__calloc(loop->a, sizeof *a);
    if (!a) return TN_ENOMEM;
    tn__handle_init(loop, &a->h, &tn__async_type);
    a->cb = cb;
    a->user = user;
    a->anext = loop->asyncs;
    if (loop->asyncs) loop->asyncs->aprev = a;
    loop->asyncs = a;
    loop->async_run = tn__async_run_all;
    *out = a;
    return TN_OK;
}

TN_API int tn_async_send(tn_async *a) {
    if (a->h.closing) return TN_ECLOSED;
#if defined(__GNUC__) || defined(__clang__)
    if (__atomic_exchange_n(&a->pending, 1, __ATOMIC_ACQ_REL) == 0) tn__loop_wake(a->h.loop);
#else
    if (!a->pending) { a->pending = 1; tn__loop_wake(a->h.loop); }
#endif
    return TN_OK;
}

TN_API int tn_async_close(tn_async *a, tn_cb cb, void *user) {
    tn_loop *loop;
    if (!a) return TN_EINVAL;
    if (a->h.closing) return TN_ECLOSED;
    loop = a->h.loop;
    if (a->aprev) a->aprev->anext = a->anext;
    else loop->asyncs = a->anext;
    if (a->anext) a->anext->aprev = a->aprev;
    a->close_cb = cb;
    a->close_user = user;
    return tn__handle_close(&a->h);
}

/* ---- fd watchers ---- */
#if TN__FD_MAP
/* A socket's home bucket: Winsock handles are multiples of 4; Fibonacci hashing spreads them. */
TN__PRIVATE size_t tn__fdmap_home(const tn_loop *loop, tn_socket fd) {
    uint64_t h = ((uint64_t)fd >> 2) * (uint64_t)0x9E3779B97F4A7C15u;
    return (size_t)(h >> 32) & (loop->fdmap_cap - 1);
}

/* Put slot (its watcher's fd set) in the map; the map has room. */
TN__PRIVATE void tn__fdmap_put(tn_loop *loop, int slot) {
    size_t i = tn__fdmap_home(loop, loop->fds[slot].fd);
    while (loop->fdmap[i] >= 0) i = (i + 1) & (loop->fdmap_cap - 1);
    loop->fdmap[i] = slot;
    loop->fdmap_n++;
}

/* Room for one more entry at most half full: double and re-insert. */
TN__PRIVATE int tn__fdmap_reserve(tn_loop *loop) {
    int *old = loop->fdmap, *m;
    size_t oldcap = loop->fdmap_cap, cap = oldcap ? oldcap : 64, i;
    if ((loop->fdmap_n + 1) * 2 <= oldcap) return TN_OK;
    while ((loop->fdmap_n + 1) * 2 > cap) cap *= 2;
    if (cap > (size_t)-1 / sizeof(int) || !(m = (int *)tn__alloc(loop->a, cap * sizeof(int)))) return TN_ENOMEM;
    for (i = 0; i < cap; i++) m[i] = -1;
    loop->fdmap = m;
    loop->fdmap_cap = cap;
    loop->fdmap_n = 0;
    for (i = 0; i < oldcap; i++)
        if (old[i] >= 0) tn__fdmap_put(loop, old[i]);
    tn__free(loop->a, old);
    return TN_OK;
}

/* Take slot out of the map; later entries of its run shift back over the hole (no
   tombstones, so lookups stay short however many sockets come and go). */
TN__PRIVATE void tn__fdmap_del(tn_loop *loop, int slot) {
    size_t mask = loop->fdmap_cap - 1, i = tn__fdmap_home(loop, loop->fds[slot].fd), j;
    while (loop->fdmap[i] != slot) {
        if (loop->fdmap[i] < 0) return;   /* not there */
        i = (i + 1) & mask;
    }
    for (j = (i + 1) & mask; loop->fdmap[j] >= 0; j = (j + 1) & mask) {
        size_t home = tn__fdmap_home(loop, loop->fds[loop->fdmap[j]].fd);
        /* the entry at j may move to the hole at i unless its home lies in (i, j] */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            loop->fdmap[i] = loop->fdmap[j];
            i = j;
        }
    }
    loop->fdmap[i] = -1;
    loop->fdmap_n--;
}
#endif

/* The slot watching fd, or -1 (POSIX: fd itself when the table reaches it). */
TN__PRIVATE int tn__loop_slot_find(const tn_loop *loop, tn_socket fd) {
#if TN__FD_MAP
    size_t i;
    if (loop->fdmap_cap == 0 || fd == TN_INVALID_SOCKET) return -1;
    for (i = tn__fdmap_home(loop, fd); loop->fdmap[i] >= 0; i = (i + 1) & (loop->fdmap_cap - 1))
        if (loop->fds[loop->fdmap[i]].fd == fd) return loop->fdmap[i];
    return -1;
#else
    if (fd < 0 || (size_t)fd >= loop->nfds) return -1;
    return (int)fd;
#endif
}

/* The slot of a zeroed, inactive watcher for fd, or -1 when out of memory. */
TN__PRIVATE int tn__loop_slot_new(tn_loop *loop, tn_socket fd) {
#if TN__FD_MAP
    int k;
    if (tn__fdmap_reserve(loop) != TN_OK) return -1;
    if (loop->fd_free) {
        k = loop->fd_free - 1;
        loop->fd_free = loop->fds[k].next_free;
    } else {
        if (loop->nfds >= (size_t)INT_MAX ||
            tn__grow(loop->a, (void **)&loop->fds, &loop->fds_cap, loop->nfds + 1, sizeof(tn__fdw)) != 0)
            return -1;
        k = (int)loop->nfds++;
    }
    memset(&loop->fds[k], 0, sizeof loop->fds[k]);
    loop->fds[k].fd = fd;
    tn__fdmap_put(loop, k);
    return k;
#else
    if ((size_t)fd >= loop->nfds) {
        /* zero only up to this fd: capacity beyond the highest fd seen stays untouched
           (not resident) until used */
        if (tn__grow(loop->a, (void **)&loop->fds, &loop->fds_cap, (size_t)fd + 1, sizeof(tn__fdw)) != 0)
            return -1;
        memset(loop->fds + loop->nfds, 0, ((size_t)fd + 1 - loop->nfds) * sizeof(tn__fdw));
        loop->nfds = (size_t)fd + 1;
    }
    /* (zeroed already: an unused slot is zeroed when the table grows and when released) */
    return (int)fd;
#endif
}

/* The watcher leaves its slot (Windows: the map, and the slot joins the free chain). */
TN__PRIVATE void tn__loop_slot_release(tn_loop *loop, int slot) {
#if TN__FD_MAP
    tn__fdmap_del(loop, slot);
    memset(&loop->fds[slot], 0, sizeof loop->fds[slot]);
    loop->fds[slot].fd = TN_INVALID_SOCKET;
    loop->fds[slot].next_free = loop->fd_free;
    loop->fd_free = slot + 1;
#else
    memset(&loop->fds[slot], 0, sizeof loop->fds[slot]);
#endif
}

/* The slot of the active watcher on fd, or -1. */
TN__PRIVATE int tn__loop_fdw(const tn_loop *loop, tn_socket fd) {
    int k = tn__loop_slot_find(loop, fd);
    return k >= 0 && loop->fds[k].active ? k : -1;
}

/* Bring the poller in line with a watcher's interest. Interest 0 takes the fd out of the
   poller entirely, so a hung-up fd nobody reads cannot spin the loop. */
TN__PRIVATE int tn__loop_sync_fd(tn_loop *loop, int slot, tn__fdw *w) {
    int rc = TN_OK, want = w->events;
    if (want == w->backend_events) return TN_OK;
    if (want == 0) rc = tn__poll_del(loop, TN__FDW_FD(w, slot), slot);
    else if (w->backend_events == 0) rc = tn__poll_add(loop, TN__FDW_FD(w, slot), slot, want);
    else rc = tn__poll_mod(loop, TN__FDW_FD(w, slot), slot, want);
    if (rc == TN_OK) w->backend_events = (unsigned char)want;
    return rc;
}

/* Interest changes are applied lazily, right before the next poll: a watcher that drops
   READ and takes it back within one iteration (the usual read-callback-starts-next-read
   pattern) costs no system call. If the list cannot grow, sync at once. */
TN__PRIVATE int tn__loop_mark_dirty(tn_loop *loop, int slot, tn__fdw *w) {
    if (w->dirty) return TN_OK;
    if (w->events == w->backend_events) return TN_OK;
    if (tn__grow(loop->a, (void **)&loop->dirty, &loop->dirty_cap, loop->ndirty + 1, sizeof(int)) != 0)
        return tn__loop_sync_fd(loop, slot, w);
    loop->dirty[loop->ndirty++] = slot;
    w->dirty = 1;
    return TN_OK;
}

/* Apply pending interest changes. Fds the poller refused (e.g. closed without
   tn_loop_remove_fd) stay listed, to be reported after the wait. */
TN__PRIVATE void tn__loop_flush_dirty(tn_loop *loop) {
    size_t i, kept = 0;
    for (i = 0; i < loop->ndirty; i++) {
        int slot = loop->dirty[i];
        tn__fdw *w = &loop->fds[slot];   /* (the table never shrinks) */
        if (!w->dirty) continue;   /* (a released watcher's slot is zeroed: dirty means active) */
        w->dirty = 0;
        if (tn__loop_sync_fd(loop, slot, w) != TN_OK && w->events) loop->dirty[kept++] = slot;
    }
    loop->ndirty = kept;
}

/* After the wait: refused watchers get TN_EV_ERROR, so their owners hear of it. (The flush
   kept active watchers with interest only, and no callback ran since.) */
TN__PRIVATE int tn__loop_report_refused(tn_loop *loop, int nfired) {
    size_t i;
    for (i = 0; i < loop->ndirty; i++) {
        int slot = loop->dirty[i];
        tn__fdw *w = &loop->fds[slot];
        if (tn__loop_fired_reserve(loop, (size_t)nfired + 1) == TN_OK) {
            loop->fired[nfired].slot = slot;
            loop->fired[nfired].events = TN_EV_ERROR | w->events;
            nfired++;
        }
    }
    loop->ndirty = 0;
    return nfired;
}

TN__PRIVATE int tn__loop_add_fd(tn_loop *loop, tn_socket fd, int events, tn_fd_cb cb, void *user, int internal) {
    tn__fdw *w;
    int rc, slot;
    if (fd == TN_INVALID_SOCKET || !cb) return TN_EINVAL;
#if !TN__FD_MAP
    if (fd < 0) return TN_EINVAL;
#endif
    if (tn__loop_fdw(loop, fd) >= 0) return TN_EEXIST;
    if ((slot = tn__loop_slot_new(loop, fd)) < 0) return TN_ENOMEM;
    w = &loop->fds[slot];
    w->events = (unsigned char)(events & TN__EV_INTEREST);
    if ((rc = tn__loop_sync_fd(loop, slot, w)) != 0) {   /* report EBADF etc. now */
        tn__loop_slot_release(loop, slot);
        return rc;
    }
    w->cb = cb;
    w->user = user;
    w->active = 1;
    w->internal = internal;
    w->iter_added = (uint32_t)loop->iter;
    if (!internal) loop->user_fds++;
    return TN_OK;
}

TN_API int tn_loop_add_fd(tn_loop *loop, tn_socket fd, int events, tn_fd_cb cb, void *user) {
    if (!loop) return TN_EINVAL;
    return tn__loop_add_fd(loop, fd, events, cb, user, 0);
}

TN_API int tn_loop_update_fd(tn_loop *loop, tn_socket fd, int events) {
    int slot = loop ? tn__loop_fdw(loop, fd) : -1;
    tn__fdw *w;
    if (slot < 0) return TN_ENOENT;
    w = &loop->fds[slot];
    w->events = (unsigned char)(events & TN__EV_INTEREST);
    return tn__loop_mark_dirty(loop, slot, w);
}

TN_API int tn_loop_remove_fd(tn_loop *loop, tn_socket fd) {
    int slot = loop ? tn__loop_fdw(loop, fd) : -1;
    tn__fdw *w;
    if (slot < 0) return TN_ENOENT;
    w = &loop->fds[slot];
    if (w->backend_events) (void)tn__poll_del(loop, fd, slot);
    if (!w->internal) loop->user_fds--;
    tn__loop_slot_release(loop, slot);
    return TN_OK;
}

TN__PRIVATE int tn__loop_dispatch_io(tn_loop *loop, int nfired) {
    int i, n = 0;
    for (i = 0; i < nfired; i++) {
        int slot = loop->fired[i].slot, ev = loop->fired[i].events, mask;
        tn__fdw *w = &loop->fds[slot];   /* (a slot once registered: the table never shrinks) */
        /* re-check: an earlier callback may have removed this watcher, or removed it and
           added a new one on a reused fd number or slot (which must not see these stale
           events) */
        if (!w->active || w->iter_added == (uint32_t)loop->iter) continue;
        mask = ev & w->events;
        if ((ev & TN_EV_ERROR) && w->events) mask |= TN_EV_ERROR;
        if (!mask) continue;
        w->cb(loop, TN__FDW_FD(w, slot), mask, w->user);
        n++;
    }
    return n;
}

/* ---- timers ---- */
TN__PRIVATE int tn__heap_less(const tn__heapent *x, const tn__heapent *y) {
    return x->when < y->when || (x->when == y->when && x->seq < y->seq);
}

TN__PRIVATE void tn__heap_down(tn__heapent *h, size_t len, size_t pos) {
    tn__heapent e = h[pos];
    for (;;) {
        size_t l = 2 * pos + 1, m;
        if (l >= len) break;
        m = (l + 1 < len && tn__heap_less(&h[l + 1], &h[l])) ? l + 1 : l;
        if (!tn__heap_less(&h[m], &e)) break;
        h[pos] = h[m];
        pos = m;
    }
    h[pos] = e;
}

TN__PRIVATE void tn__heap_pop(tn_loop *loop) {
    loop->heap[0] = loop->heap[--loop->heap_len];
    if (loop->heap_len > 0) tn__heap_down(loop->heap, loop->heap_len, 0);
}

TN__PRIVATE int tn__heap_stale_entry(const tn_loop *loop, const tn__heapent *e) {
    return loop->timers[e->slot].gen != e->gen;
}

/* Drop stale entries from the top, so heap[0] (if any) is a live timer. */
TN__PRIVATE void tn__heap_prune_top(tn_loop *loop) {
    while (loop->heap_len > 0 && tn__heap_stale_entry(loop, &loop->heap[0])) {
        tn__heap_pop(loop);
        loop->heap_stale--;
    }
}

/* Rebuild without stale entries once they outnumber the live ones (amortised O(1)). */
TN__PRIVATE void tn__heap_compact(tn_loop *loop) {
    size_t i, n = 0;
    if (loop->heap_stale < 1024 || loop->heap_stale * 2 < loop->heap_len) return;
    for (i = 0; i < loop->heap_len; i++)
        if (!tn__heap_stale_entry(loop, &loop->heap[i])) loop->heap[n++] = loop->heap[i];
    loop->heap_len = n;
    loop->heap_stale = 0;
    for (i = n / 2; i-- > 0;) tn__heap_down(loop->heap, n, i);
}

/* Room for one more heap entry (tn__heap_insert then cannot fail). */
TN__PRIVATE int tn__heap_reserve(tn_loop *loop) {
    return tn__grow(loop->a, (void **)&loop->heap, &loop->heap_cap, loop->heap_len + 1, sizeof(tn__heapent));
}

/* Queue the timer t, in slot (room made by tn__heap_reserve): sift its entry up from the end. */
TN__PRIVATE void tn__heap_insert(tn_loop *loop, const tn__timer *t, uint32_t slot) {
    tn__heapent e, *h = loop->heap;
    size_t pos = loop->heap_len++;
    e.when = t->when;
    e.seq = loop->timer_seq++;
    e.slot = slot;
    e.gen = t->gen;
    while (pos > 0) {
        size_t parent = (pos - 1) / 2;
        if (!tn__heap_less(&e, &h[parent])) break;
        h[pos] = h[parent];
        pos = parent;
    }
    h[pos] = e;
}

/* Free a slot (generation bumped: its id and any heap entry of it go stale). */
TN__PRIVATE void tn__timer_release(tn_loop *loop, uint32_t slot) {
    tn__timer *t = &loop->timers[slot];
    t->gen++;
    t->cb = NULL;
    t->firing = t->cancelled = 0;
    t->next_free = loop->timer_free;
    loop->timer_free = slot + 1;
}

TN__PRIVATE tn_timer_id tn__timer_id(const tn__timer *t, uint32_t slot) {
    return ((uint64_t)t->gen << 32) | (uint64_t)(slot + 1);
}

/* The slot of a live timer id, or -1. */
TN__PRIVATE long tn__timer_slot(const tn_loop *loop, tn_timer_id id) {
    uint64_t s = id & 0xffffffffu;
    const tn__timer *t;
    if (s == 0 || s > loop->ntimers) return -1;
    t = &loop->timers[s - 1];
    if (t->gen != (uint32_t)(id >> 32) || !t->cb) return -1;
    return (long)(s - 1);
}

TN__PRIVATE int tn__timer_add(tn_loop *loop, uint64_t when, uint64_t interval, tn_cb cb, void *user, tn_timer_id *out) {
    uint32_t slot;
    tn__timer *t;
    int rc;
    if (!loop || !cb) return TN_EINVAL;
    /* heap room first: once a slot is taken nothing can fail */
    if ((rc = tn__heap_reserve(loop)) != 0) return rc;
    if (loop->timer_free) {
        slot = loop->timer_free - 1;
        t = &loop->timers[slot];
        loop->timer_free = t->next_free;
        t->next_free = 0;
    } else {
        if (loop->ntimers >= 0xfffffff0u) return TN_ENOMEM;
        rc = tn__grow(loop->a, (void **)&loop->timers, &loop->timers_cap, loop->ntimers + 1, sizeof(tn__timer));
        if (rc != 0) return rc;
        slot = (uint32_t)loop->ntimers++;
        t = &loop->timers[slot];
        memset(t, 0, sizeof *t);
        t->gen = 1;
    }
    t->when = when;
    t->interval = interval;
    t->cb = cb;
    t->user = user;
    tn__heap_insert(loop, t, slot);
    if (out) *out = tn__timer_id(t, slot);
    return TN_OK;
}

/* A periodic timer that fired: next beat on the original grid, after the time the callback
   took; missed beats are skipped. */
TN__PRIVATE void tn__timer_rearm(tn_loop *loop, uint32_t slot) {
    tn__timer *t = &loop->timers[slot];
    uint64_t next = t->when + t->interval;
    tn_loop_update_time(loop);
    if (next <= loop->now) next += ((loop->now - next) / t->interval + 1) * t->interval;
    t->when = next;
    t->firing = 0;
    if (tn__heap_reserve(loop) != 0) {
        TN__LLOG(loop, TN_LOG_ERROR, TN_ENOMEM, "periodic timer dropped: out of memory");
        tn__timer_release(loop, slot);
        return;
    }
    tn__heap_insert(loop, t, slot);
}

TN_API int tn_loop_call_at(tn_loop *loop, uint64_t when_ms, tn_cb cb, void *user, tn_timer_id *out) {
    return tn__timer_add(loop, when_ms, 0, cb, user, out);
}

/* Relative timers count from the current time, not the iteration's cached time, so a
   timer set after a slow callback or a pause outside the loop never fires early. */
TN_API int tn_loop_call_later(tn_loop *loop, uint64_t delay_ms, tn_cb cb, void *user, tn_timer_id *out) {
    if (!loop) return TN_EINVAL;
    return tn__timer_add(loop, tn_loop_update_time(loop) + delay_ms, 0, cb, user, out);
}

TN_API int tn_loop_call_every(tn_loop *loop, uint64_t interval_ms, tn_cb cb, void *user, tn_timer_id *out) {
    if (!loop || interval_ms == 0) return TN_EINVAL;
    loop->timer_rearm = tn__timer_rearm;
    return tn__timer_add(loop, tn_loop_update_time(loop) + interval_ms, interval_ms, cb, user, out);
}

TN_API int tn_loop_cancel(tn_loop *loop, tn_timer_id id) {
    long s = loop ? tn__timer_slot(loop, id) : -1;
    tn__timer *t;
    if (s < 0) return TN_ENOENT;
    t = &loop->timers[s];
    if (t->firing) {
        if (t->cancelled || t->interval == 0) return TN_ENOENT;  /* a one-shot is already spent */
        t->cancelled = 1;
        return TN_OK;
    }
    tn__timer_release(loop, (uint32_t)s);
    loop->heap_stale++;   /* its heap entry stays, stale (a generation behind) */
    tn__heap_compact(loop);
    return TN_OK;
}

TN_API int tn_loop_timer_pending(const tn_loop *loop, tn_timer_id id) {
    long s = loop ? tn__timer_slot(loop, id) : -1;
    const tn__timer *t;
    if (s < 0) return 0;
    t = &loop->timers[s];
    if (t->firing) return t->interval > 0 && !t->cancelled;
    return 1;
}

/* Fire due timers that existed when the phase began (seq below the snapshot). */
TN__PRIVATE int tn__loop_run_timers(tn_loop *loop) {
    uint64_t seq_limit = loop->timer_seq;
    int n = 0;
    for (;;) {
        tn__heapent top;
        tn__timer *t;
        tn__heap_prune_top(loop);
        if (loop->heap_len == 0) break;
        top = loop->heap[0];
        if (top.when > loop->now || top.seq >= seq_limit) break;
        tn__heap_pop(loop);
        t = &loop->timers[top.slot];
        t->firing = 1;
        n++;
        t->cb(loop, t->user);
        t = &loop->timers[top.slot];   /* the callback may have grown the slot array */
        if (t->interval > 0 && !t->cancelled) loop->timer_rearm(loop, top.slot);
        else tn__timer_release(loop, top.slot);
    }
    return n;
}

/* ---- loop lifecycle ---- */
TN__PRIVATE uint64_t tn__loop_clock(const tn_loop *loop) {
    return loop->opts.clock ? loop->opts.clock(loop->opts.clock_user) : tn_time_ms();
}

TN_API uint64_t tn_loop_now(const tn_loop *loop) { return loop->now; }

TN_API uint64_t tn_loop_update_time(tn_loop *loop) {
    uint64_t t = tn__loop_clock(loop);
    if (t > loop->now) loop->now = t;   /* never goes backwards */
    return loop->now;
}

TN__PRIVATE void tn__loop_close_wake(tn_loop *loop) {
    if (loop->wake_fd[0] != TN_INVALID_SOCKET) (void)tn_loop_remove_fd(loop, loop->wake_fd[0]);
    tn__wake_close(loop->wake_fd);
    loop->wake_fd[0] = loop->wake_fd[1] = TN_INVALID_SOCKET;
}

/* What tn_loop_new sets up before it can fail (the poller and its fired array, the lock,
   the fd table a failed wakeup watcher grew), then the loop: all its failure path has to
   undo, so a program that never frees its loop links no more than this. (The wakeup is
   opened last, and closed again when it cannot be watched: a failed tn_loop_new holds none.) */
TN__PRIVATE void tn__loop_release_base(tn_loop *loop) {
    const tn_allocator *a = loop->a;
    tn__poll_free(loop);
    tn__mutex_destroy(&loop->post_lock);
    tn__free(a, loop->fds);
#if TN__FD_MAP
    tn__free(a, loop->fdmap);
#endif
    tn__free(a, loop->fired);
    tn__free(a, loop);   /* (tn__free reads the allocator, which the loop holds, before the call) */
    tn__net_cleanup();
}

/* Everything the loop holds (tn_loop_free). */
TN__PRIVATE void tn__loop_release(tn_loop *loop) {
    const tn_allocator *a = loop->a;
    int i;
    tn__loop_close_wake(loop);
    tn__free(a, loop->dirty);
    tn__free(a, loop->timers);
    tn__free(a, loop->heap);
    tn__free(a, loop->scratch);
    tn__loop_blocks_trim(loop, 0);
    for (i = 0; i < TN__LOOP_SLOTS_HEAP; i++) tn__free(a, loop->slots[i]);
    tn__loop_release_base(loop);
}

/* The options with their defaults (the allocator resolved by tn__allocator_resolve). */
TN__PRIVATE int tn__loop_opts_resolve(const tn_loop_opts *in, tn_loop_opts *o) {
    memset(o, 0, sizeof *o);
    if (in) *o = *in;
    o->max_deferred_per_iter = TN__DEF(o->max_deferred_per_iter, TORNADO_MAX_DEFERRED_PER_ITER);
    if (o->max_deferred_per_iter < 1) o->max_deferred_per_iter = 1;
    o->logger.level = TN__DEF(o->logger.level, TN_LOG_INFO);
    return tn__allocator_resolve(&o->allocator, &o->allocator);
}

TN_API int tn_loop_new(const tn_loop_opts *opts, tn_loop **out) {
    tn_loop_opts o;
    tn_loop *loop;
    int rc;
    if (!out) return TN_EINVAL;
    *out = NULL;
    if ((rc = tn__loop_opts_resolve(opts, &o)) != 0) return rc;
    loop = (tn_loop *)tn__calloc(&o.allocator, sizeof *loop);
    if (!loop) return TN_ENOMEM;
    loop->opts = o;
    loop->a = &loop->opts.allocator;
    loop->wake_fd[0] = loop->wake_fd[1] = TN_INVALID_SOCKET;
    if ((rc = tn__net_startup()) != 0) {   /* WSAStartup on Windows: the loop owns a reference */
        tn__free(&o.allocator, loop);
        return rc;
    }
    if ((rc = tn__mutex_init(&loop->post_lock)) != 0) {
        tn__net_cleanup();
        tn__free(&o.allocator, loop);
        return rc;
    }
    /* from here tn__loop_release_base undoes what was done (the poller's state included) */
    if ((rc = tn__poll_init(loop)) == TN_OK) {
        tn__ignore_sigpipe_once();   /* pipes have no MSG_NOSIGNAL */
        if (TN_HAS_THREADS) rc = tn__loop_wake_open(loop);
    }
    if (rc != TN_OK) {
        tn__loop_release_base(loop);
        return rc;
    }
    (void)tn_loop_update_time(loop);   /* (now was 0) */
    *out = loop;
    return TN_OK;
}

TN_API size_t tn_loop_alive(const tn_loop *loop) { return loop->live_count + loop->user_fds; }
TN_API const tn_loop_opts *tn_loop_get_opts(const tn_loop *loop) { return &loop->opts; }
TN_API const char *tn_loop_backend(const tn_loop *loop) { (void)loop; return tn__poll_name(); }
TN_API void tn_loop_set_user(tn_loop *loop, void *user) { loop->user = user; }
TN_API void *tn_loop_get_user(const tn_loop *loop) { return loop->user; }

/* Loop teardown: the user's deferred callbacks are dropped without being called; the
   objects' own nodes (close sequences, failure reports) still run, so every close
   callback is delivered. */
TN__PRIVATE void tn__loop_settle_deferred(tn_loop *loop) {
    tn__defer *d;
    while ((d = loop->dq_head) != NULL) {
        loop->dq_head = d->next;
        if (!loop->dq_head) loop->dq_tail = NULL;
        d->next = NULL;
        if (d->owner) d->owner->pending--;
        if (d->fn == tn__user_defer_run) tn__free(loop->a, d);
        else d->fn(d);
    }
}

/* Objects still open: live handles not closing, plus user fd watchers. */
TN__PRIVATE size_t tn__loop_open_count(const tn_loop *loop) {
    const tn__handle *h;
    size_t n = loop->user_fds;
    for (h = loop->live; h; h = h->next) n++;   /* closing handles are in the closing queue */
    return n;
}

TN_API int tn_loop_free(tn_loop *loop) {
    int round;
    tn__defer *d;
    if (!loop) return TN_EINVAL;
    if (loop->running) return TN_EINVAL;
    if (tn__loop_open_count(loop) == 0) {
        /* finalise what was closed (close callbacks run); deferred calls are dropped */
        for (round = 0; round < 64 && (loop->closing_head || loop->dq_head); round++) {
            tn__loop_settle_deferred(loop);
            (void)tn__loop_run_closing(loop);
        }
    }
    if (tn_loop_alive(loop) > 0) {
        tn__handle *h;
        size_t i;
        TN__LLOG(loop, TN_LOG_WARN, TN_EBUSY, "tn_loop_free: %lu objects still alive",
                 (unsigned long)tn_loop_alive(loop));
        for (h = loop->live; h; h = h->next)
            TN__LLOG(loop, TN_LOG_WARN, TN_EBUSY, "  alive: %s", h->type->kind);
        for (h = loop->closing_head; h; h = h->next)
            TN__LLOG(loop, TN_LOG_WARN, TN_EBUSY, "  alive: %s (closing)", h->type->kind);
        /* (Win64: only a handle's low 32 bits are significant, so unsigned long holds it) */
        for (i = 0; i < loop->nfds; i++)
            if (loop->fds[i].active && !loop->fds[i].internal)
                TN__LLOG(loop, TN_LOG_WARN, TN_EBUSY, "  alive: fd watcher on fd %lu",
                         (unsigned long)TN__FDW_FD(&loop->fds[i], i));
        return TN_EBUSY;
    }
    /* no more posts from other threads; drop what is queued without calling it */
    tn__mutex_lock(&loop->post_lock);
    loop->post_closed = 1;
    d = loop->post_head;
    loop->post_head = loop->post_tail = NULL;
    tn__mutex_unlock(&loop->post_lock);
    while (d) {
        tn__defer *n = d->next;
        tn__free(loop->a, d);   /* posted nodes are always tn__user_defer */
        d = n;
    }
    tn__loop_settle_deferred(loop);
    tn__loop_release(loop);
    return TN_OK;
}

TN_API void tn_loop_stop(tn_loop *loop) { loop->stop = 1; }

/* 1 if a closed handle can be finalised now (one still waiting on its deferred nodes or,
   for a server, on its connections, must not make the loop spin). */
TN__PRIVATE int tn__loop_closing_ready(const tn_loop *loop) {
    const tn__handle *h;
    for (h = loop->closing_head; h; h = h->next)
        if (h->pending == 0) return 1;
    return 0;
}

TN__PRIVATE int tn__loop_poll_timeout(tn_loop *loop, int timeout_ms) {
    uint64_t t = TORNADO_MAX_POLL_WAIT_MS;
    if (loop->dq_head || loop->stop || tn__loop_closing_ready(loop)) return 0;
    tn__heap_prune_top(loop);
    if (loop->heap_len > 0) {
        uint64_t when = loop->heap[0].when;
        t = when > loop->now ? when - loop->now : 0;
        if (t > TORNADO_MAX_POLL_WAIT_MS) t = TORNADO_MAX_POLL_WAIT_MS;
    }
    if (timeout_ms >= 0 && (uint64_t)timeout_ms < t) t = (uint64_t)timeout_ms;
    return (int)t;
}

TN_API int tn_loop_run_once(tn_loop *loop, int timeout_ms) {
    int n = 0, rc, wait;
    if (!loop) return TN_EINVAL;
    loop->running++;
    loop->iter++;
    tn_loop_update_time(loop);
    n += tn__loop_run_timers(loop);
    wait = tn__loop_poll_timeout(loop, timeout_ms);
    if (loop->ndirty) tn__loop_flush_dirty(loop);
    if (loop->ndirty) wait = 0;   /* refusals to report */
    rc = tn__poll_wait(loop, wait);
    if (rc >= 0 && loop->ndirty) rc = tn__loop_report_refused(loop, rc);
    if (rc < 0) {
        loop->running--;
        return rc;
    }
    tn_loop_update_time(loop);
    if (rc == 0 && wait != 0 && loop->nblocks > TN__LOOP_BLOCKS_KEEP) tn__loop_blocks_trim(loop, TN__LOOP_BLOCKS_KEEP);
    n += tn__loop_dispatch_io(loop, rc);
    n += tn__loop_run_timers(loop);
    n += tn__loop_run_deferred(loop, loop->opts.max_deferred_per_iter);
    n += tn__loop_run_closing(loop);
    loop->running--;
    return n;
}

/* ---- embedding ---- */
TN_API int tn_loop_next_timeout(tn_loop *loop) {
    if (!loop) return TN_EINVAL;
    if (loop->ndirty) tn__loop_flush_dirty(loop);
    if (loop->ndirty) return 0;   /* refusals to report */
    tn_loop_update_time(loop);
    tn__heap_prune_top(loop);
    if (loop->heap_len == 0 && !loop->dq_head && !loop->stop && !tn__loop_closing_ready(loop)) return -1;
    return tn__loop_poll_timeout(loop, -1);
}

TN_API tn_socket tn_loop_backend_fd(const tn_loop *loop) {
    return loop ? tn__poll_fd((tn_loop *)loop) : TN_INVALID_SOCKET;
}

TN_API size_t tn_loop_poll_fds(tn_loop *loop, tn_pollfd *out, size_t cap) {
    size_t slot, n = 0;
    if (!loop) return 0;
    if (loop->ndirty) tn__loop_flush_dirty(loop);
    for (slot = 0; slot < loop->nfds; slot++) {
        const tn__fdw *w = &loop->fds[slot];
        int ev = w->active ? w->events & (TN_EV_READ | TN_EV_WRITE) : 0;
        if (!ev) continue;
        if (out && n < cap) {
            out[n].fd = TN__FDW_FD(w, slot);
            out[n].events = ev;
        }
        n++;
    }
    return n;
}

TN_API int tn_loop_run(tn_loop *loop) {
    int rc = TN_OK;
    if (!loop) return TN_EINVAL;
    while (!loop->stop) {
        rc = tn_loop_run_once(loop, -1);
        if (rc < 0) break;
        rc = TN_OK;
    }
    loop->stop = 0;
    return rc;
}

TN_API int tn_loop_run_until(tn_loop *loop, const volatile int *flag, uint64_t timeout_ms) {
    uint64_t deadline;
    int rc;
    if (!loop || !flag) return TN_EINVAL;
    deadline = tn_loop_update_time(loop) + timeout_ms;
    for (;;) {
        int wait = -1;
        if (*flag) return TN_OK;
        if (loop->stop) {
            loop->stop = 0;
            return TN_ECANCELED;
        }
        if (timeout_ms) {
            uint64_t now = tn_loop_update_time(loop);
            if (now >= deadline) return TN_ETIMEOUT;
            wait = (int)TN__MIN(deadline - now, (uint64_t)TORNADO_MAX_POLL_WAIT_MS);
        }
        rc = tn_loop_run_once(loop, wait);
        if (rc < 0) return rc;
    }
}
