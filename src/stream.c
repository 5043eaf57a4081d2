/* stream.c: tn_stream: lazy buffered reads, queued writes, deferred close, transports. */
#include "stream.h"
#include "internal.h"


/* TN__RD_FILL (internal, for protocol layers that parse in place): completes as soon as
   the buffer holds more than rn bytes; the callback sees everything buffered and nothing
   is consumed (tn__stream_consume does that). */
enum { TN__RD_NONE = 0, TN__RD_BYTES, TN__RD_UNTIL, TN__RD_INTO, TN__RD_CLOSE, TN__RD_FILL };

#define TN__DELIM_INLINE 8
#define TN__PUMP_ROUNDS 64

typedef struct tn__wcb { uint64_t end; tn_write_cb cb; void *user; } tn__wcb;

/* The write bookkeeping, allocated with the first write that has a callback (or the first
   file segment) and kept until the stream goes: streams written without callbacks (and
   every idle one that never had any) carry a NULL pointer instead. The callbacks waiting
   for their bytes are entries [head, head + len) of an array of cap right after this
   header: pushed at the end, taken from the front (no ring arithmetic, no division). */
typedef struct tn__wq {
    uint64_t queued, sent;         /* byte totals since the block was made: queued - sent is
                                      what is not sent yet (tn__stream_unsent) */
    struct tn__sfseg *sf;          /* a queued file segment (tn__stream_sendfile), or NULL */
    uint32_t head, len, cap;       /* the waiting callbacks */
} tn__wq;
#define TN__WQ_HDR ((sizeof(tn__wq) + 7u) & ~(size_t)7u)
#define TN__WQ_CBS(q) ((tn__wcb *)(void *)((char *)(q) + TN__WQ_HDR))
#define TN__WQ_FIRST 2             /* entries at first (then doubled) */

/* The idle timeout, allocated when one is set and freed when it is unset: streams without
   one (an HTTP server's connections: its own timeout queues serve those) carry NULL. */
typedef struct tn__idle {
    tn_timer_id timer;
    uint32_t ms;                   /* clamped to ~49 days */
    uint32_t last_io;              /* loop time of the last byte moved, low 32 bits */
} tn__idle;


/* No padding holes, and the fields the code touches most within the first 128 bytes: an
   x86-64 access to those takes a one-byte displacement, not four (the handle comes first, so
   the small fields follow it, then the buffers, then the pending read). Every idle server
   connection holds one of these, so each field has to earn its place. */
struct tn_stream {
    tn__handle h;

    tn_socket fd;                  /* a pipe stream's int fd on POSIX (tn_socket is int there) */
    int16_t cause;                 /* the close cause: a TN_E* code (tn__stream_close_now) */
    unsigned char events;          /* interest registered with the loop (TN_EV_*, TN__EV_RDHUP) */
    unsigned char rkind;           /* the pending read (TN__RD_*) */
    struct {                       /* resolved options, stored compactly (see tn_stream_get_opts) */
        uint32_t max_buffer_size;  /* sizes are clamped to 4 GiB - 1 */
        uint32_t max_write_buffer_size;
        uint32_t read_chunk_size;
    } opts;
    /* (bit fields: the small ones share 4 bytes, which keeps the connection's allocation
       under a 16-byte step of the malloc chunk; the two read most, events and rkind, are
       bytes of their own, and the unit follows a 4-byte field, so compilers that start a
       new unit after a byte (MSVC, MinGW) lay it out in the same 24 bytes) */
    unsigned int dlen : 7;         /* read_until: delimiter length (1..64) */
    unsigned int tpwant : 8;       /* interest the transport asked for (tn__stream_transport_want) */
    unsigned int rflags : 2;       /* TN_READ_PARTIAL, TN_READ_STREAMING */
    unsigned int closed : 1;
    unsigned int eof : 1;
    unsigned int watch_close : 1;  /* idle (no read pending): still notice the peer leaving */
    unsigned int peer_busy : 1;    /* no RDHUP: a peek found bytes, so a FIN waits for the next read */
    unsigned int corked : 1;       /* writes queue without being sent (see tn__stream_cork) */
    unsigned int reported : 1;     /* the close sequence ran */
    unsigned int delivering : 1;   /* a finished read's callback runs; rdone: its buffered bytes */
    unsigned int bulk : 1;         /* the last read filled its buffer: read straight into rbuf */
    unsigned int lend : 1;         /* a fill's reader keeps offsets, not pointers, past its
                                      callback: reads may go in the loop's buffer, as the
                                      public kinds' do (tn__stream_lend_reads) */
    unsigned int lent : 1;         /* rbuf is the loop's buffer, lent while a read's callbacks run */
    unsigned int pumping : 1;      /* tn__stream_pump runs: it settles the interest once, at its end */

    tn__cbuf *rbuf;                /* NULL whenever it empties (storage released) */
    tn__cbuf *wbuf;                /* NULL whenever it empties */
    tn__wq *wq;                    /* write callbacks, totals, file segment; NULL until needed */
    tn__idle *idle;                /* the idle timeout, or NULL */
    const tn__transport_ops *ops;

    /* the pending read */
    size_t rn;                     /* bytes wanted (BYTES, INTO) or max_bytes (UNTIL) */
    size_t rdone;                  /* streaming: delivered; INTO: filled; UNTIL: bytes searched */
    union {
        char inl[TN__DELIM_INLINE];   /* UNTIL: a delimiter of up to 8 bytes, held here */
        char *delim;               /* UNTIL: a longer delimiter (allocated) */
        char *into;                /* INTO: the caller's buffer */
    } rp;
    tn_read_cb rcb;
    void *ruser;

    tn_close_cb ccb;
    void *cuser;
    void *user;
    void *tp;                      /* the transport's state (TLS), or NULL: tn__stream_transport */
    tn__stream_owner *owner;       /* bookkeeping hook of the tcp server, or NULL */
    tn__defer dispatch;            /* deferred pump: completions never run inside API calls */
};

/* The calls a protocol layer makes per message (in-place writes, consuming input): inlined
   into it in speed-optimized builds, single functions under -Os. */
#if !defined(__OPTIMIZE_SIZE__) && !defined(TN__UNAMALGAMATED) && (defined(__GNUC__) || defined(__clang__))
#  define TN__STREAM_HOT static inline __attribute__((always_inline, unused))
#else
#  define TN__STREAM_HOT TN__PRIVATE
#endif

/* Small helpers several paths share: GCC's -Os inlines a copy into each caller when it
   counts the call as dearer, which it is not for these (noinline: one copy). */
#if defined(__OPTIMIZE_SIZE__) && !defined(TN__UNAMALGAMATED) && (defined(__GNUC__) || defined(__clang__))
#  define TN__STREAM_SHARED TN__PRIVATE __attribute__((noinline))
#else
#  define TN__STREAM_SHARED TN__PRIVATE
#endif

/* ---- buffer storage ---- */

/* Room for n more bytes at the end of a buffer. An empty one takes one of the loop's blocks
   when n fits (no allocator call per request); otherwise (or out of memory) the allocator
   gives the storage as usual. Returns TN_OK or TN_ENOMEM. */
TN__PRIVATE int tn__stream_buf_reserve(tn_stream *s, tn__cbuf **b, size_t n) {
    char *p;
    if (!*b && tn__cbuf_fits(TN__LOOP_BLOCK, n) && (p = tn__loop_block_take(s->h.loop)) != NULL)
        *b = tn__cbuf_adopt(p, TN__LOOP_BLOCK);
    return tn__cbuf_reserve(tn__loop_alloc(s->h.loop), b, n);
}

/* Release a buffer's storage: a block-sized one back to the loop, the rest freed. */
TN__PRIVATE void tn__stream_buf_release(tn_stream *s, tn__cbuf **b) {
    size_t size;
    char *p = tn__cbuf_detach(b, &size);
    if (!p) return;
    if (b == &s->rbuf && s->lent) {   /* the loop's buffer goes back to the loop */
        s->lent = 0;
        (void)tn__loop_scratch_back(s->h.loop, p);
        return;
    }
    if (size == TN__LOOP_BLOCK) tn__loop_block_give(s->h.loop, p);
    else tn__free(tn__loop_alloc(s->h.loop), p);
}

/* ---- transports ---- */
/* (the system calls are platform.c's: EINTR, SIGPIPE and Winsock are handled there) */
TN__PRIVATE long tn__stream_sock_read(tn_stream *s, void *buf, size_t n) { return tn__sock_recv(s->fd, buf, n); }
TN__PRIVATE long tn__stream_sock_write(tn_stream *s, const void *buf, size_t n) { return tn__sock_send(s->fd, buf, n); }
TN__PRIVATE long tn__stream_fd_read(tn_stream *s, void *buf, size_t n) { return tn__fd_read((int)s->fd, buf, n); }
TN__PRIVATE long tn__stream_fd_write(tn_stream *s, const void *buf, size_t n) { return tn__fd_write((int)s->fd, buf, n); }
TN__PRIVATE long tn__stream_sock_writev(tn_stream *s, const tn_str *bufs, int n) { return tn__sock_sendv(s->fd, bufs, n); }
TN__PRIVATE long tn__stream_fd_writev(tn_stream *s, const tn_str *bufs, int n) { return tn__fd_writev((int)s->fd, bufs, n); }

TN__PRIVATE int tn__stream_sock_shutdown(tn_stream *s) {
    return tn__sock_shutdown_write(s->fd);
}

/* A pipe's write side ends when its fd closes: nothing to do before that. */
TN__PRIVATE int tn__stream_fd_shutdown(tn_stream *s) {
    (void)s;
    return TN_OK;
}

/* Transports with hooks of their own (closing, closed, pending, ready, the interest they
   ask for) exist only with TLS built in: without it the code that serves them folds away. */
#define TN__STREAM_LAYERED TN_HAS_OPENSSL

static const tn__transport_ops tn__stream_socket_ops = {
    tn__stream_sock_read, tn__stream_sock_write, tn__stream_sock_writev, tn__stream_sock_shutdown, NULL, NULL, NULL, NULL, NULL
};
static const tn__transport_ops tn__stream_pipe_ops = {
    tn__stream_fd_read, tn__stream_fd_write, tn__stream_fd_writev, tn__stream_fd_shutdown, NULL, NULL, NULL, NULL, NULL
};

/* One queued file segment (tn__stream_sendfile): byte-stream positions [at, end) come from
   fd at off; buffered bytes before `at` go first, those after it later. Allocated only
   while a file is being sent, so idle streams do not carry it. send: tn__stream_send_file,
   set by tn__stream_sendfile, so a program that queues no file does not link it. */
typedef struct tn__sfseg {
    long (*send)(tn_stream *s);
    int fd;                        /* not owned by the stream */
    int64_t off;
    uint64_t at, end;
} tn__sfseg;

/* A byte moved: the idle timeout (if any) starts over. */
TN__STREAM_SHARED void tn__stream_touch(tn_stream *s) {
    if (s->idle) s->idle->last_io = (uint32_t)tn_loop_now(s->h.loop);
}

/* ---- closing ---- */
TN__PRIVATE void tn__stream_queue(tn_stream *s) { tn__defer_queue(s->h.loop, &s->dispatch); }

/* The queued file segment, or NULL: never one without sendfile (TN__HAVE_SENDFILE 0: the
   code that handles one folds away). */
#define TN__STREAM_SF(s) (TN__HAVE_SENDFILE && (s)->wq ? (s)->wq->sf : NULL)

TN__PRIVATE void tn__stream_sf_done(tn_stream *s) {
    if (!TN__STREAM_SF(s)) return;
    tn__free(tn__loop_alloc(s->h.loop), s->wq->sf);
    s->wq->sf = NULL;
}

/* Bytes queued and not yet sent: buffered bytes plus what is left of a file segment. */
TN__PRIVATE uint64_t tn__stream_unsent(const tn_stream *s) {
    uint64_t n = tn__cbuf_size(s->wbuf);
    const tn__sfseg *sf = TN__STREAM_SF(s);
    if (sf) n += sf->end - TN__MAX(s->wq->sent, sf->at);
    return n;
}

/* The idle timer (if any) stops. */
TN__PRIVATE void tn__stream_idle_stop(tn_stream *s) {
    if (s->idle && s->idle->timer) {
        (void)tn_loop_cancel(s->h.loop, s->idle->timer);
        s->idle->timer = 0;
    }
}

TN__PRIVATE void tn__stream_close_now(tn_stream *s, int cause) {
    tn_loop *loop = s->h.loop;
    if (s->closed) return;
    s->closed = 1;
    s->cause = (int16_t)(cause >= -32768 && cause <= 32767 ? cause : (int)TN_ESYS);   /* (every TN_E* fits) */
    if (TN__STREAM_LAYERED && s->ops->closing) s->ops->closing(s, cause);   /* TLS: close_notify while the fd is open */
    if (s->fd != TN_INVALID_SOCKET) {
        (void)tn_loop_remove_fd(loop, s->fd);
        tn__fd_close(s->fd);
        s->fd = TN_INVALID_SOCKET;
    }
    tn__stream_idle_stop(s);
    tn__stream_buf_release(s, &s->wbuf);   /* unsent data is dropped now, not at finalise */
    tn__stream_sf_done(s);    /* a queued file segment too (its callback reports the cause) */
    tn__stream_queue(s);      /* the close sequence (callbacks) runs from the loop ... */
    (void)tn__handle_close(&s->h);   /* ... and the memory goes after it (pending node) */
}

/* Run write callbacks in order. err 0: those whose bytes are sent, with TN_OK (stops if a
   callback closes the stream); else every one left, with err (the close sequence). */
TN__PRIVATE void tn__stream_complete_writes(tn_stream *s, int err) {
    tn__wq *q = s->wq;   /* (a callback that writes may grow it: reloaded after each) */
    unsigned open = !s->closed;
    while (q && q->len > 0) {
        tn__wcb w = TN__WQ_CBS(q)[q->head];
        if (!err && (w.end > q->sent || s->reported)) break;
        q->head++;
        q->len--;
        w.cb(s, err, w.user);
        q = s->wq;
        /* a callback closed the stream: the close sequence reports the rest (in it, every
           write whose bytes went out still reports TN_OK: closed already, nothing stops) */
        if (!err && open && s->closed) break;
    }
}

/* End the pending read (its callback is the caller's business): a long delimiter's storage
   goes. (rp is left as it is: only a read of its kind reads it, after its starter set it.) */
TN__PRIVATE void tn__stream_end_read(tn_stream *s) {
    if (s->rkind == TN__RD_UNTIL && s->dlen > TN__DELIM_INLINE) tn__free(tn__loop_alloc(s->h.loop), s->rp.delim);
    s->rkind = TN__RD_NONE;
}

/* The close sequence, run from the loop: the pending read fails, written bytes report OK,
   the rest fail, the close callback runs, then the stream is finalised. */
TN__PRIVATE void tn__stream_finish_close(tn_stream *s) {
    int err = s->cause ? (int)s->cause : (int)TN_ECLOSED;
    if (s->reported) return;
    if (TN__STREAM_LAYERED && s->ops->closed) s->ops->closed(s, err);   /* TLS: a handshake that never finished */
    if (s->rkind != TN__RD_NONE) {
        tn_read_cb cb = s->rcb;
        void *u = s->ruser;
        tn__stream_end_read(s);
        cb(s, err, tn_str_make(NULL, 0), u);
    }
    tn__stream_complete_writes(s, 0);
    s->reported = 1;
    tn__stream_complete_writes(s, err);
    if (s->ccb) s->ccb(s, s->cause, s->cuser);
}

TN__PRIVATE void tn__stream_finalize(tn__handle *h) {
    tn_stream *s = (tn_stream *)h;
    tn_allocator *a = tn__loop_alloc(h->loop);
    if (s->owner) s->owner->on_free(s, s->owner);
    if (s->ops->free) s->ops->free(s);
    /* (the close sequence ran before this: it ended the read, and the close released the
       write buffer and a file segment; nothing can start or queue one on a closed stream) */
    tn__stream_buf_release(s, &s->rbuf);
    tn__free(a, s->wq);
    tn__free(a, s->idle);
    tn__free(a, s);
}
static const tn__handle_type tn__stream_type = { "stream", tn__stream_finalize };

/* ---- events ---- */
TN__PRIVATE void tn__stream_update_events(tn_stream *s) {
    int want = 0;
    /* (inside the pump's callbacks the state may change several times: a WebSocket echo
       ends its read, writes, and reads again; the pump registers only where it ends up) */
    if (s->closed || s->pumping) return;
    if (s->rkind != TN__RD_NONE && !s->eof) want |= TN_EV_READ;
    else if (s->watch_close && !s->eof) want |= TN__HAVE_RDHUP ? TN__EV_RDHUP : (s->peer_busy ? 0 : TN_EV_READ);
    if (!s->corked && tn__stream_unsent(s) > 0) want |= TN_EV_WRITE;
    if (TN__UNLIKELY(TN__STREAM_LAYERED && s->tpwant)) {   /* a transport with its own needs (TLS) */
        if (s->tpwant & TN__TP_BLOCKED) want &= ~TN_EV_WRITE;
        want |= s->tpwant & (TN_EV_READ | TN_EV_WRITE);
    }
    if (want != s->events) {
        int rc = tn_loop_update_fd(s->h.loop, s->fd, want);
        if (rc != 0) {
            tn__stream_close_now(s, rc);
            return;
        }
        s->events = (unsigned)want & 0x1fu;
    }
}

/* After a change: the loop runs what is due (write callbacks, a read that may complete, the
   close sequence), or else the interest follows the state. */
TN__PRIVATE void tn__stream_settle(tn_stream *s, int due) {
    if (s->closed || due) tn__stream_queue(s);
    else tn__stream_update_events(s);
}

/* Send a piece of the queued file segment (sendfile(2); only queued where it exists). */
TN__PRIVATE long tn__stream_send_file(tn_stream *s) {
#if TN__HAVE_SENDFILE
    const tn__sfseg *sf = s->wq->sf;
    uint64_t done = s->wq->sent - sf->at, left = sf->end - s->wq->sent;
    size_t n = (size_t)TN__MIN(left, (uint64_t)(1u << 30));
    off_t off = (off_t)(sf->off + (int64_t)done);
    for (;;) {
        ssize_t r = sendfile(s->fd, sf->fd, &off, n);
        if (r > 0) return (long)r;
        if (r == 0) return TN_ESYS;   /* the file shrank: the promised length cannot be met */
        if (errno != EINTR) return tn__last_err();
    }
#else
    (void)s;
    return TN_ENOTSUP;
#endif
}

/* Send what is queued until the transport would block: buffered bytes, with a queued file
   segment spliced in at its position in the byte stream. */
TN__PRIVATE void tn__stream_flush(tn_stream *s) {
    while (!s->closed && tn__stream_unsent(s) > 0) {
        long r;
        size_t nbuf = tn__cbuf_size(s->wbuf);
        const tn__sfseg *sf = TN__STREAM_SF(s);
        if (sf && s->wq->sent >= sf->at) {
            r = sf->send(s);
            if (r > 0) {
                s->wq->sent += (uint64_t)r;
                tn__stream_touch(s);
                if (s->wq->sent >= sf->end) tn__stream_sf_done(s);
                continue;
            }
        } else {
            if (sf) nbuf = (size_t)TN__MIN((uint64_t)nbuf, sf->at - s->wq->sent);
            r = s->ops->write(s, tn__cbuf_ptr(s->wbuf), nbuf);
        }
        if (r > 0) {
            tn__cbuf_consume(s->wbuf, (size_t)r);
            if (s->wq) s->wq->sent += (uint64_t)r;
            tn__stream_touch(s);
        } else if (r == TN_EAGAIN || r == 0) {
            break;
        } else {
            tn__stream_close_now(s, r == TN_EPIPE ? TN_ERESET : (int)r);
            return;
        }
    }
    if (tn__cbuf_size(s->wbuf) == 0) tn__stream_buf_release(s, &s->wbuf);
}

/* Release the read buffer's storage once it holds nothing (idle streams hold none). */
TN__PRIVATE void tn__stream_trim(tn_stream *s) {
    if (tn__cbuf_size(s->rbuf) == 0) tn__stream_buf_release(s, &s->rbuf);
}

/* Finish (or continue) the pending read with data from the read buffer. */
TN__PRIVATE void tn__stream_deliver(tn_stream *s, int status, const char *p, size_t n, int from_buf, int finished) {
    tn_read_cb cb = s->rcb;
    void *u = s->ruser;
    if (finished) tn__stream_end_read(s);
    if (from_buf && finished) {   /* tn__stream_unread: these go when cb returns */
        s->rdone = n;
        s->delivering = 1;
    }
    cb(s, status, tn_str_make(p, n), u);
    s->delivering = 0;
    if (from_buf) {
        tn__cbuf_consume(s->rbuf, n);
        tn__stream_trim(s);
    }
}

/* The read kinds a program may never start (BYTES, UNTIL, INTO) complete by code their
   starters put in the loop (tn__loop_slot, one slot a kind): a program that never starts
   one links none of it (--gc-sections). try_read: as tn__stream_try_read, with the
   buffered bytes p[0..avail); 0 goes on to the checks every kind shares. */
typedef struct tn__stream_rdk {
    int (*try_read)(tn_stream *s, const char *p, size_t avail);
} tn__stream_rdk;

TN__PRIVATE int tn__stream_try_bytes(tn_stream *s, const char *p, size_t avail) {
    if (s->rflags & TN_READ_STREAMING) {
        size_t left = s->rn - s->rdone, take;
        if (left == 0) {
            tn__stream_deliver(s, TN_OK, NULL, 0, 0, 1);
            return 1;
        }
        if (avail == 0) return 0;
        take = TN__MIN(avail, left);
        s->rdone += take;
        tn__stream_deliver(s, TN_MORE, p, take, 1, 0);
        return 1;
    }
    if (avail >= s->rn) {
        tn__stream_deliver(s, TN_OK, p, s->rn, 1, 1);
        return 1;
    }
    if ((s->rflags & TN_READ_PARTIAL) && avail > 0) {
        tn__stream_deliver(s, TN_OK, p, avail, 1, 1);
        return 1;
    }
    return 0;
}

/* Position of the delimiter in hay[0..n), or -1. */
TN__PRIVATE long tn__stream_find(const char *hay, size_t n, const char *needle, size_t m) {
    const char *p = hay, *end = hay + n;
    if (m == 0 || n < m) return -1;
    while ((size_t)(end - p) >= m) {
        p = (const char *)memchr(p, (unsigned char)needle[0], (size_t)(end - p) - m + 1);
        if (!p) return -1;
        if (memcmp(p, needle, m) == 0) return (long)(p - hay);
        p++;
    }
    return -1;
}

/* (a limit's close returns 0: the shared checks then see a closed stream) */
TN__PRIVATE int tn__stream_try_until(tn_stream *s, const char *p, size_t avail) {
    size_t dl = s->dlen, from = s->rdone > dl - 1 ? s->rdone - (dl - 1) : 0;
    long at = tn__stream_find(p + from, avail - from, dl > TN__DELIM_INLINE ? s->rp.delim : s->rp.inl, dl);
    if (at >= 0) {
        size_t total = from + (size_t)at + dl;
        if (s->rn && total > s->rn) {
            tn__stream_close_now(s, TN_ELIMIT);
            return 0;
        }
        s->rdone = 0;
        tn__stream_deliver(s, TN_OK, p, total, 1, 1);
        return 1;
    }
    s->rdone = avail;
    if (s->rn && avail > s->rn) tn__stream_close_now(s, TN_ELIMIT);
    return 0;
}

TN__PRIVATE int tn__stream_try_into(tn_stream *s, const char *p, size_t avail) {
    size_t take = TN__MIN(avail, s->rn - s->rdone);
    if (take > 0) {
        memcpy(s->rp.into + s->rdone, p, take);
        s->rdone += take;
        tn__cbuf_consume(s->rbuf, take);
        tn__stream_trim(s);
    }
    if (s->rdone == s->rn || ((s->rflags & TN_READ_PARTIAL) && s->rdone > 0)) {
        tn__stream_deliver(s, TN_OK, s->rp.into, s->rdone, 0, 1);
        return 1;
    }
    return 0;
}

static const tn__stream_rdk tn__stream_rdk_bytes = { tn__stream_try_bytes };
static const tn__stream_rdk tn__stream_rdk_until = { tn__stream_try_until };
static const tn__stream_rdk tn__stream_rdk_into = { tn__stream_try_into };

/* A starter's registration of its kind's code with the stream's loop. */
TN__PRIVATE void tn__stream_rdk_set(tn_stream *s, int kind, const tn__stream_rdk *k) {
    *tn__loop_slot(s->h.loop, TN__LOOP_SLOT_RD_BYTES + kind - TN__RD_BYTES) = (void *)(uintptr_t)k;
}

/* Try to complete the pending read from what is buffered. Returns 1 if a callback ran, 0
   if more bytes are needed (or the stream closed on a limit or at EOF). */
TN__PRIVATE int tn__stream_try_read(tn_stream *s) {
    size_t avail = tn__cbuf_size(s->rbuf);
    const char *p = tn__cbuf_ptr(s->rbuf);
    switch (s->rkind) {
    case TN__RD_BYTES:
    case TN__RD_UNTIL:
    case TN__RD_INTO: {
        const tn__stream_rdk *k =
            (const tn__stream_rdk *)*tn__loop_slot(s->h.loop, TN__LOOP_SLOT_RD_BYTES + (int)s->rkind - TN__RD_BYTES);
        if (k->try_read(s, p, avail)) return 1;
        break;
    }
    case TN__RD_FILL:
        if (avail > s->rn) {
            tn__stream_deliver(s, TN_OK, p, avail, 0, 1);
            return 1;
        }
        break;
    case TN__RD_CLOSE:
        if ((s->rflags & TN_READ_STREAMING) && avail > 0) {
            tn__stream_deliver(s, TN_MORE, p, avail, 1, 0);
            return 1;
        }
        if (s->eof) {
            if (s->rflags & TN_READ_STREAMING) tn__stream_deliver(s, TN_OK, NULL, 0, 0, 1);
            else tn__stream_deliver(s, TN_OK, p, avail, 1, 1);
            tn__stream_close_now(s, TN_EEOF);
            return 1;
        }
        break;
    default:
        return 0;
    }
    if (s->eof && !s->closed) tn__stream_close_now(s, TN_EEOF);   /* cannot complete */
    /* a full buffer that does not satisfy the read never will: fail now rather than when
       (if ever) the peer sends another byte */
    else if (!s->closed && tn__cbuf_size(s->rbuf) >= s->opts.max_buffer_size) tn__stream_close_now(s, TN_EBUFFER_FULL);
    return 0;
}

TN__PRIVATE void tn__stream_read_some(tn_stream *s);

/* The loop's buffer lent for a read goes back once that read's callbacks have run: the
   bytes they left (a partial frame) move to storage of the stream's own (a closed stream
   drops them). */
TN__PRIVATE void tn__stream_unlend(tn_stream *s) {
    tn__cbuf *b = s->rbuf;
    size_t n;
    if (TN__LIKELY(!s->lent)) return;
    n = tn__cbuf_size(b);
    s->rbuf = NULL;
    s->lent = 0;
    if (n > 0 && !s->closed) {
        if (tn__stream_buf_reserve(s, &s->rbuf, n) != 0) {
            tn__stream_close_now(s, TN_ENOMEM);
        } else {
            memcpy(tn__cbuf_tail(s->rbuf), tn__cbuf_ptr(b), n);
            tn__cbuf_commit(s->rbuf, n);
        }
    }
    (void)tn__loop_scratch_back(s->h.loop, (char *)b);
}

/* Run completions: sent writes, then reads the buffer can satisfy (bounded, so a callback
   that keeps asking for zero bytes cannot spin here), then re-arm interest. */
TN__PRIVATE void tn__stream_pump(tn_stream *s) {
    int rounds = 0, outer = !s->pumping;
    if (s->closed) {
        tn__stream_finish_close(s);
        tn__stream_unlend(s);
        return;
    }
    s->pumping = 1;
    tn__stream_complete_writes(s, 0);
    while (!s->closed && s->rkind != TN__RD_NONE) {
        if (++rounds > TN__PUMP_ROUNDS) {
            tn__stream_queue(s);
            break;
        }
        if (!tn__stream_try_read(s)) {
            /* input the transport holds (TLS records already read) is not announced by the fd */
            if (s->closed || s->eof || !TN__STREAM_LAYERED || !s->ops->pending || !s->ops->pending(s)) break;
            tn__stream_read_some(s);
        }
    }
    if (outer) s->pumping = 0;
    tn__stream_settle(s, 0);   /* (a closed stream's close sequence runs from the loop) */
    tn__stream_unlend(s);   /* the loop's buffer goes back before the loop goes on */
}

TN__PRIVATE void tn__stream_on_dispatch(tn__defer *d) {
    tn_stream *s = (tn_stream *)(void *)((char *)d - offsetof(tn_stream, dispatch));
    tn__stream_pump(s);
}

/* Read from the transport once: into the caller's buffer for read_into when nothing is
   buffered, otherwise into the read buffer (bounded by max_buffer_size). */
TN__PRIVATE void tn__stream_read_some(tn_stream *s) {
    long r;
    tn__stream_unlend(s);   /* (a transport's pending input read again from pump) */
    if (s->rkind == TN__RD_INTO && tn__cbuf_size(s->rbuf) == 0) {
        r = s->ops->read(s, s->rp.into + s->rdone, s->rn - s->rdone);
        if (r > 0) s->rdone += (size_t)r;
    } else {
        size_t have = tn__cbuf_size(s->rbuf), room;
        char *scratch;
        if (have >= s->opts.max_buffer_size) {
            tn__stream_close_now(s, TN_EBUFFER_FULL);
            return;
        }
        room = TN__MIN(s->opts.read_chunk_size, s->opts.max_buffer_size - have);
        if (!s->rbuf && !s->bulk && tn__cbuf_fits(TORNADO_READ_CHUNK_SIZE, TORNADO_READ_CHUNK_SIZE / 2) &&
            (scratch = tn__loop_scratch_lend(s->h.loop)) != NULL) {
            /* nothing held: read in the loop's buffer, lent until the callbacks have run
               (tn__stream_unlend then keeps what they leave, in a block or an allocation
               of that size): no copy and no allocation for the bytes of a whole read. A
               protocol layer's fill whose callbacks keep pointers into the buffer (the HTTP
               server's requests) has only what came kept at once instead (the public reads'
               data is valid until their callback returns; tn__stream_lend_reads) */
            s->rbuf = tn__cbuf_adopt(scratch, TORNADO_READ_CHUNK_SIZE);
            s->lent = 1;
            room = TN__MIN(room, tn__cbuf_room(s->rbuf));
        } else if (tn__cbuf_reserve(tn__loop_alloc(s->h.loop), &s->rbuf, room) != 0) {
            tn__stream_close_now(s, TN_ENOMEM);
            return;
        } else {
            room = TN__MIN(tn__cbuf_room(s->rbuf), s->opts.max_buffer_size - have);
        }
        r = s->ops->read(s, tn__cbuf_tail(s->rbuf), room);
        if (r > 0) tn__cbuf_commit(s->rbuf, (size_t)r);
        if (s->lent && (r <= 0 || (s->rkind == TN__RD_FILL && !s->lend))) tn__stream_unlend(s);
        /* a full read means more is coming (a body, a bulk transfer): read the next
           straight into the buffer, without the copy */
        s->bulk = r > 0 && (size_t)r == room;
    }
    if (r > 0) {
        tn__stream_touch(s);
    } else if (r == 0) {
        s->eof = 1;
        tn__stream_trim(s);
    } else if (r != TN_EAGAIN) {
        tn__stream_close_now(s, r == TN_EPIPE ? TN_ERESET : (int)r);
    } else {
        tn__stream_trim(s);
    }
}

/* Without a peer-left signal (poll on macOS and the BSDs, TORNADO_GENERIC_POSIX, WSAPoll): an
   idle stream watching for close watches readability and peeks one byte. Nothing (EOF): the
   peer left. Bytes: they wait for the next read, and so does any FIN behind them (the read
   interest is dropped so level-triggered poll does not spin). */
TN__PRIVATE void tn__stream_peek_close(tn_stream *s) {
    char c;
    long r = tn__sock_peek(s->fd, &c, 1);
    if (r == 0) tn__stream_close_now(s, TN_EEOF);
    else if (r == TN_EAGAIN) return;
    else if (r < 0 && s->ops == &tn__stream_socket_ops && !s->tp) tn__stream_close_now(s, (int)r);
    else {
        s->peer_busy = 1;   /* bytes (or not a socket): wait for the next read */
        tn__stream_update_events(s);
    }
}

TN__PRIVATE void tn__stream_on_io(tn_loop *loop, tn_socket fd, int events, void *user) {
    tn_stream *s = (tn_stream *)user;
    (void)loop;
    (void)fd;
    if (TN__UNLIKELY(TN__STREAM_LAYERED && s->tpwant)) {
        /* the transport asked for this event: it makes its progress first, then the stream
           retries both directions (cheap when the fd is not ready: TN_EAGAIN) */
        int rc = s->ops->ready(s);
        if (rc < 0) tn__stream_close_now(s, rc);
        events |= TN_EV_READ | TN_EV_WRITE;
    }
    if (!s->closed && (events & TN_EV_WRITE)) tn__stream_flush(s);
    if (!s->closed && (events & (TN_EV_READ | TN_EV_ERROR)) && s->rkind != TN__RD_NONE && !s->eof)
        tn__stream_read_some(s);
    else if (!s->closed && (events & TN__EV_RDHUP) && s->rkind == TN__RD_NONE && s->watch_close)
        tn__stream_close_now(s, TN_EEOF);   /* the peer left while we were not reading */
    else if (!TN__HAVE_RDHUP && !s->closed && (events & TN_EV_READ) && s->rkind == TN__RD_NONE && s->watch_close)
        tn__stream_peek_close(s);
    if (!s->closed && (events & TN_EV_ERROR) && s->rkind == TN__RD_NONE && tn__stream_unsent(s) == 0) {
        int err = tn__sock_error(s->fd);   /* TN_OK for a pipe */
        if (err < 0 && err != TN_ECLOSED) tn__stream_close_now(s, err);
    }
    tn__stream_pump(s);
}

TN__PRIVATE void tn__stream_on_idle(tn_loop *loop, void *user) {
    tn_stream *s = (tn_stream *)user;
    tn__idle *t = s->idle;   /* (it exists while its timer is set) */
    uint64_t idle = (uint32_t)((uint32_t)tn_loop_now(loop) - t->last_io), ms = t->ms;
    t->timer = 0;
    if (s->closed || ms == 0) return;
    if (idle >= ms) {
        tn__stream_close_now(s, TN_ETIMEOUT);
        return;
    }
    if (tn_loop_call_later(loop, ms - idle, tn__stream_on_idle, s, &t->timer) != 0)
        tn__stream_close_now(s, TN_ENOMEM);
}

TN_API void tn_stream_set_idle_timeout(tn_stream *s, uint64_t ms) {
    tn_loop *loop = s->h.loop;
    tn__idle *t = s->idle;
    if (s->closed) return;
    ms = tn__clamp_u32(ms);
    tn__stream_idle_stop(s);
    if (ms == 0) {   /* none: the block goes */
        tn__free(tn__loop_alloc(loop), t);
        s->idle = NULL;
        return;
    }
    if (!t && !(t = s->idle = (tn__idle *)tn__alloc(tn__loop_alloc(loop), sizeof *t))) {
        tn__stream_close_now(s, TN_ENOMEM);
        return;
    }
    t->ms = (uint32_t)ms;
    t->last_io = (uint32_t)tn_loop_now(loop);
    tn__stream_on_idle(loop, s);   /* (nothing idle yet: it sets the timer for ms) */
}

/* ---- construction ---- */
/* The stream's size rounded for an owner's area right after it (tn__stream_extra). */
#define TN__STREAM_SIZE ((sizeof(tn_stream) + 7u) & ~(size_t)7u)   /* owner state: 8-byte aligned */

/* The options with their defaults, stored compactly in s (see tn_stream_get_opts). */
TN__PRIVATE void tn__stream_opts_resolve(const tn_stream_opts *opts, tn_stream *s) {
    size_t max = 0, chunk = 0, wmax = 0;
    if (opts) {
        max = opts->max_buffer_size;
        chunk = opts->read_chunk_size;
        wmax = opts->max_write_buffer_size;
    }
    max = s->opts.max_buffer_size = tn__clamp_u32(TN__DEF(max, TORNADO_MAX_BUFFER_SIZE));
    chunk = TN__DEF(chunk, TORNADO_READ_CHUNK_SIZE);
    if (chunk > max / 2) chunk = TN__MAX(max / 2, 1);
    s->opts.read_chunk_size = (uint32_t)TN__MIN(chunk, (size_t)0x40000000u);
    s->opts.max_write_buffer_size = tn__clamp_u32(TN__DEF(wmax, TORNADO_MAX_WRITE_BUFFER_SIZE));
}

/* setup: make fd non-blocking and close-on-exec (0 for sockets we created that way).
   extra: bytes for the owner's per-connection state in the same allocation. */
TN__PRIVATE int tn__stream_new(tn_loop *loop, tn_socket fd, const tn__transport_ops *ops, const tn_stream_opts *opts,
                               int setup, size_t extra, tn_stream **out) {
    tn_stream *s;
    int rc;
    if (!loop || fd == TN_INVALID_SOCKET || !out) return TN_EINVAL;
    *out = NULL;
    if (setup && (rc = tn__fd_setup(fd)) != 0) return rc;
    s = (tn_stream *)tn__calloc(tn__loop_alloc(loop), TN__STREAM_SIZE + extra);
    if (!s) return TN_ENOMEM;
    tn__stream_opts_resolve(opts, s);
    s->fd = fd;
    s->ops = ops;
    /* internal watcher: the stream is counted as a live handle, not as a user fd */
    if ((rc = tn__loop_add_fd(loop, fd, 0, tn__stream_on_io, s, 1)) != 0) {
        tn__free(tn__loop_alloc(loop), s);
        return rc;
    }
    tn__handle_init(loop, &s->h, &tn__stream_type);
    tn__defer_init(&s->dispatch, tn__stream_on_dispatch, &s->h);
    if (opts && opts->idle_timeout_ms) tn_stream_set_idle_timeout(s, opts->idle_timeout_ms);
    *out = s;
    return TN_OK;
}

TN_API int tn_stream_new_socket(tn_loop *loop, tn_socket fd, const tn_stream_opts *opts, tn_stream **out) {
    return tn__stream_new(loop, fd, &tn__stream_socket_ops, opts, 1, 0, out);
}

TN_API int tn_stream_new_pipe(tn_loop *loop, int fd, const tn_stream_opts *opts, tn_stream **out) {
#if defined(_WIN32)   /* WSAPoll watches sockets only */
    (void)loop;
    (void)fd;
    (void)opts;
    if (out) *out = NULL;
    return TN_ENOTSUP;
#else
    if (fd < 0) return TN_EINVAL;
    return tn__stream_new(loop, fd, &tn__stream_pipe_ops, opts, 1, 0, out);
#endif
}

/* A socket from tn__net_accept / tn__socket: already non-blocking and close-on-exec. */
TN__PRIVATE int tn__stream_new_own_socket(tn_loop *loop, tn_socket fd, const tn_stream_opts *opts, size_t extra,
                                          tn_stream **out) {
    return tn__stream_new(loop, fd, &tn__stream_socket_ops, opts, 0, extra, out);
}

/* The owner's area allocated with the stream (zeroed; lives exactly as long as the stream),
   and back from that area to its stream. */
TN__PRIVATE void *tn__stream_extra(tn_stream *s) { return (char *)s + TN__STREAM_SIZE; }
TN__PRIVATE tn_stream *tn__stream_from_extra(void *extra) {
    return (tn_stream *)(void *)((char *)extra - TN__STREAM_SIZE);
}

/* The stream's owner (the tcp server that accepted it), told when the memory goes. */
TN__PRIVATE void tn__stream_set_owner(tn_stream *s, tn__stream_owner *o) { s->owner = o; }
TN__PRIVATE tn__stream_owner *tn__stream_get_owner(const tn_stream *s) { return s->owner; }

/* Put a transport under the stream (e.g. TLS over an accepted socket): its ops and state
   (freed by ops->free with the stream). Buffered bytes stay; later reads and writes go
   through the new transport. */
TN__PRIVATE void tn__stream_set_transport(tn_stream *s, const tn__transport_ops *ops, void *state) {
    s->ops = ops;
    s->tp = state;
}
TN__PRIVATE void *tn__stream_transport(const tn_stream *s) { return s->tp; }
TN__PRIVATE const tn__transport_ops *tn__stream_transport_ops(const tn_stream *s) { return s->ops; }

/* The transport's own interest (TN_EV_READ, TN_EV_WRITE, TN__TP_BLOCKED; 0 = none): added
   to the stream's until the transport says otherwise; its ready hook runs when the fd
   reports any event while this is not 0. */
TN__PRIVATE void tn__stream_transport_want(tn_stream *s, int events) {
    if (s->tpwant == (unsigned char)events) return;
    s->tpwant = (unsigned)events & 0xffu;
    tn__stream_update_events(s);
}

/* The stream's handle: owner of a transport's deferred nodes, so the stream is not freed
   while one is queued. */
TN__PRIVATE tn__handle *tn__stream_handle(tn_stream *s) { return &s->h; }

/* ---- reads ---- */
/* (BYTES, UNTIL and INTO start only from their public starters, which register the kind's
   completion code with the loop: tn__stream_rdk_set) */
TN__PRIVATE int tn__stream_start_read(tn_stream *s, int kind, int flags, size_t n, tn_read_cb cb, void *user) {
    if (!s || !cb) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    if (s->rkind != TN__RD_NONE) return TN_EBUSY;
    s->rkind = (unsigned)kind & 7u;
    s->rflags = (unsigned)flags & (TN_READ_PARTIAL | TN_READ_STREAMING);
    s->peer_busy = 0;
    s->rn = n;
    s->rdone = 0;
    s->rcb = cb;
    s->ruser = user;
    /* it may complete now: from the loop, never inside this call; else only new bytes can
       complete it: just watch the fd */
    tn__stream_settle(s, tn__cbuf_size(s->rbuf) > 0 || s->eof || (n == 0 && (kind == TN__RD_BYTES || kind == TN__RD_INTO)) ||
                             (TN__STREAM_LAYERED && s->ops->pending && s->ops->pending(s)));
    return TN_OK;
}

TN_API int tn_stream_read_bytes(tn_stream *s, size_t n, int flags, tn_read_cb cb, void *user) {
    if (s && !(flags & TN_READ_STREAMING) && n > s->opts.max_buffer_size) return TN_EBUFFER_FULL;
    if (s) tn__stream_rdk_set(s, TN__RD_BYTES, &tn__stream_rdk_bytes);
    return tn__stream_start_read(s, TN__RD_BYTES, flags, n, cb, user);
}

TN_API int tn_stream_read_until(tn_stream *s, const void *delim, size_t delim_len, size_t max_bytes,
                                tn_read_cb cb, void *user) {
    int rc;
    char *d = NULL;
    if (!s || !delim || delim_len == 0 || delim_len > 64) return TN_EINVAL;
    if (s->rkind != TN__RD_NONE) return TN_EBUSY;
    tn__stream_rdk_set(s, TN__RD_UNTIL, &tn__stream_rdk_until);
    if (delim_len > TN__DELIM_INLINE && !(d = (char *)tn__alloc(tn__loop_alloc(s->h.loop), delim_len))) return TN_ENOMEM;
    rc = tn__stream_start_read(s, TN__RD_UNTIL, 0, max_bytes, cb, user);
    if (rc != 0) {
        tn__free(tn__loop_alloc(s->h.loop), d);
        return rc;
    }
    if (d) s->rp.delim = d;
    memcpy(d ? d : s->rp.inl, delim, delim_len);
    s->dlen = (unsigned)delim_len & 0x7fu;
    return TN_OK;
}

TN_API int tn_stream_read_into(tn_stream *s, void *buf, size_t n, int flags, tn_read_cb cb, void *user) {
    int rc;
    if (!buf && n > 0) return TN_EINVAL;
    if (s) tn__stream_rdk_set(s, TN__RD_INTO, &tn__stream_rdk_into);
    rc = tn__stream_start_read(s, TN__RD_INTO, flags & TN_READ_PARTIAL, n, cb, user);
    if (rc == 0) s->rp.into = (char *)buf;
    return rc;
}

TN_API int tn_stream_read_until_close(tn_stream *s, int flags, tn_read_cb cb, void *user) {
    return tn__stream_start_read(s, TN__RD_CLOSE, flags & TN_READ_STREAMING, 0, cb, user);
}

/* ---- writes ---- */
/* Room for one more write callback at the end of the array: the entries moved down over
   the spent front when that frees at least half of it (so each entry moves O(1) times
   amortised), else the block made (its totals start from what is unsent now) or doubled. */
TN__PRIVATE int tn__stream_wcb_reserve(tn_stream *s) {
    tn__wq *q = s->wq;
    size_t ncap = TN__WQ_FIRST;
    if (q) {
        if (q->head + q->len < q->cap) return TN_OK;
        if (q->len <= q->cap / 2) {
            memmove(TN__WQ_CBS(q), TN__WQ_CBS(q) + q->head, q->len * sizeof(tn__wcb));
            q->head = 0;
            return TN_OK;
        }
        ncap = (size_t)q->cap * 2;
    }
    if (ncap > 0xffffffffu || ncap > (((size_t)-1) - TN__WQ_HDR) / sizeof(tn__wcb)) return TN_ENOMEM;
    q = (tn__wq *)tn__realloc(tn__loop_alloc(s->h.loop), q, TN__WQ_HDR + ncap * sizeof(tn__wcb));
    if (!q) return TN_ENOMEM;   /* (the block, if any, stays as it was) */
    if (!s->wq) {
        memset(q, 0, sizeof *q);
        q->queued = tn__cbuf_size(s->wbuf);   /* (no file segment without the block) */
    }
    q->cap = (uint32_t)ncap;
    s->wq = q;
    return TN_OK;
}

/* The callback for everything queued so far (there is room: tn__stream_wcb_reserve). */
TN__PRIVATE void tn__stream_wcb_push(tn_stream *s, tn_write_cb cb, void *user) {
    tn__wq *q = s->wq;
    tn__wcb *w = &TN__WQ_CBS(q)[q->head + q->len];
    w->end = q->queued;
    w->cb = cb;
    w->user = user;
    q->len++;
}

/* Send what is queued now, and schedule the write callbacks that completes. */
TN__PRIVATE void tn__stream_send_queued(tn_stream *s) {
    tn__stream_flush(s);
    if (!s->closed) {
        tn__wq *q = s->wq;
        if (q && q->len > 0 && q->sent >= TN__WQ_CBS(q)[q->head].end) tn__stream_queue(s);
        tn__stream_update_events(s);
    }
}

/* A corked stream about to queue n more bytes that its write buffer has no room for sends
   what it holds first (the early part of a batch goes out now), so a batch of large
   responses reuses the loop's buffer block instead of growing a buffer for each batch.
   Returns whether nothing is left queued (the n bytes may then be written straight
   through). A stream that cannot send (the peer is slow) keeps queueing and grows. */
TN__PRIVATE int tn__stream_corked_make_room(tn_stream *s, size_t n) {
    if (s->wbuf ? n <= tn__cbuf_room(s->wbuf) : tn__cbuf_fits(TN__LOOP_BLOCK, n)) return 0;
    if (tn__stream_unsent(s) > 0) tn__stream_send_queued(s);
    return !s->closed && tn__stream_unsent(s) == 0;
}

TN_API int tn_stream_writev(tn_stream *s, const tn_str *bufs, size_t nbufs, tn_write_cb cb, void *user) {
    size_t total = 0, sent = 0, i;
    int err = 0, direct = !s || !s->corked;
    if (!s || (!bufs && nbufs > 0)) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    for (i = 0; i < nbufs; i++) {
        if (!bufs[i].ptr && bufs[i].len) return TN_EINVAL;
        total += bufs[i].len;
    }
    if (s->opts.max_write_buffer_size && tn__cbuf_size(s->wbuf) + total > s->opts.max_write_buffer_size)
        return TN_EBUFFER_FULL;
    if (cb && tn__stream_wcb_reserve(s) != 0) return TN_ENOMEM;
    if (s->corked && total > 0) {
        direct = tn__stream_corked_make_room(s, total);
        if (s->closed) return TN_ECLOSED;
    }
    if (tn__stream_unsent(s) == 0 && total > 0 && direct) {
        /* nothing queued: hand it to the transport right away, in one gather write */
        while (sent < total) {
            tn_str v[TN__IOV_MAX];
            size_t skip = sent;
            int nv = 0;
            long r;
            for (i = 0; i < nbufs && nv < TN__IOV_MAX; i++) {
                if (skip >= bufs[i].len) {
                    skip -= bufs[i].len;
                    continue;
                }
                v[nv++] = tn_str_make(bufs[i].ptr + skip, bufs[i].len - skip);
                skip = 0;
            }
#if defined(__OPTIMIZE_SIZE__)
            r = s->ops->writev(s, v, nv);   /* (one piece too: a single call site) */
#else
            r = nv == 1 ? s->ops->write(s, v[0].ptr, v[0].len) : s->ops->writev(s, v, nv);
#endif
            if (r > 0) {
                sent += (size_t)r;
            } else if (r == TN_EAGAIN || r == 0) {
                break;
            } else {
                err = r == TN_EPIPE ? TN_ERESET : (int)r;
                break;
            }
        }
        if (sent > 0) {
            if (s->wq) s->wq->sent += sent;
            tn__stream_touch(s);
        }
    }
    if (!err && sent < total) {
        /* queue what is left (all or nothing, so a failure leaves the stream consistent) */
        size_t skip = sent, need = total - sent;
        if (tn__stream_buf_reserve(s, &s->wbuf, need) != 0) {
            if (sent == 0) return TN_ENOMEM;
            err = TN_ENOMEM;   /* part went out: the byte stream is broken */
        } else {
            for (i = 0; i < nbufs; i++) {
                if (skip >= bufs[i].len) {
                    skip -= bufs[i].len;
                    continue;
                }
                memcpy(tn__cbuf_tail(s->wbuf), bufs[i].ptr + skip, bufs[i].len - skip);   /* (room reserved) */
                tn__cbuf_commit(s->wbuf, bufs[i].len - skip);
                skip = 0;
            }
        }
    }
    if (s->wq) s->wq->queued += total;
    if (cb) tn__stream_wcb_push(s, cb, user);
    if (err) tn__stream_close_now(s, err);   /* cb (if any) then reports err */
    tn__stream_settle(s, cb && s->wq->sent >= s->wq->queued);
    return TN_OK;
}

/* Writing in place: room for n bytes at the end of the write buffer (*out), for a protocol
   layer to format its output there rather than into a buffer of its own that is then
   copied; tn__stream_write_commit queues what it filled. Returns TN_OK, TN_ECLOSED,
   TN_ENOMEM. */
TN__STREAM_HOT int tn__stream_write_space(tn_stream *s, size_t n, char **out) {
    if (s->closed) return TN_ECLOSED;
#if !defined(__OPTIMIZE_SIZE__)
    if (tn__cbuf_room(s->wbuf) < n)   /* (room at the end already: responses held by a cork) */
#endif
    {
        if (s->corked) {
            (void)tn__stream_corked_make_room(s, n);
            if (s->closed) return TN_ECLOSED;
        }
        if (tn__stream_buf_reserve(s, &s->wbuf, n) != 0) return TN_ENOMEM;
    }
    *out = tn__cbuf_tail(s->wbuf);
    return TN_OK;
}

/* Queue the first n bytes (n > 0) of the room tn__stream_write_space gave, with no
   callback: as tn_stream_write, sent at once when nothing is queued ahead and the stream
   is not corked. Returns TN_OK, or TN_EBUFFER_FULL (past max_write_buffer_size: nothing
   is queued). */
TN__STREAM_HOT int tn__stream_write_commit(tn_stream *s, size_t n) {
    int first = tn__stream_unsent(s) == 0;
    if (s->opts.max_write_buffer_size && tn__cbuf_size(s->wbuf) + n > s->opts.max_write_buffer_size) {
        if (tn__cbuf_size(s->wbuf) == 0) tn__stream_buf_release(s, &s->wbuf);
        return TN_EBUFFER_FULL;
    }
    tn__cbuf_commit(s->wbuf, n);
    if (s->wq) s->wq->queued += n;
    if (s->corked) return TN_OK;   /* (interest stays: a corked stream does not wait to write) */
    if (first) tn__stream_flush(s);
    tn__stream_settle(s, 0);
    return TN_OK;
}

TN_API int tn_stream_write(tn_stream *s, const void *data, size_t n, tn_write_cb cb, void *user) {
    tn_str b;
    b.ptr = (const char *)data;
    b.len = n;
    return tn_stream_writev(s, &b, 1, cb, user);
}

/* ---- internal API for protocol layers (same translation unit) ---- */

/* Wait until the buffer holds more than `seen` bytes; cb sees all buffered bytes, none
   consumed. Returns as tn_stream_read_bytes. */
TN__PRIVATE int tn__stream_fill(tn_stream *s, size_t seen, tn_read_cb cb, void *user) {
    return tn__stream_start_read(s, TN__RD_FILL, 0, seen, cb, user);
}

/* Drop n bytes from the front of the read buffer (storage released when empty). */
TN__PRIVATE void tn__stream_consume(tn_stream *s, size_t n) {
    tn__cbuf_consume(s->rbuf, n);
    tn__stream_trim(s);
}

/* Keep only the first n unconsumed bytes (n <= what is buffered): a protocol layer that
   decoded in place drops the spent framing behind what it keeps. */
TN__PRIVATE void tn__stream_truncate(tn_stream *s, size_t n) {
    tn__cbuf_truncate(s->rbuf, n);
    tn__stream_trim(s);
}

/* Bytes buffered beyond what a running read callback is being handed (those go when it
   returns): what a new owner of the byte stream (start_tls) would inherit. */
TN__PRIVATE size_t tn__stream_unread(const tn_stream *s) {
    return tn__cbuf_size(s->rbuf) - (s->delivering && s->rkind == TN__RD_NONE ? s->rdone : 0);
}

/* The unconsumed bytes (borrowed; valid until the next read or consume). */
TN__PRIVATE tn_str tn__stream_peek(const tn_stream *s) {
    return tn_str_make(tn__cbuf_ptr(s->rbuf), tn__cbuf_size(s->rbuf));
}

/* Cork: queue writes without sending them (e.g. responses to pipelined requests, sent
   together in one system call); uncorking sends what is queued at once. */
TN__PRIVATE void tn__stream_cork(tn_stream *s, int on) {
    if (s->closed || s->corked == on) return;
    s->corked = on != 0;
    if (!on) tn__stream_send_queued(s);
}

TN__PRIVATE int tn__stream_corked(const tn_stream *s) { return s->corked; }

TN__PRIVATE void tn__stream_lend_reads(tn_stream *s, int on) { s->lend = on != 0; }

/* End the write side through the transport (a socket's FIN; TLS: close_notify first) once
   everything queued is sent: call it from a write callback. Reads go on. */
TN__PRIVATE int tn__stream_shutdown_write(tn_stream *s) {
    int rc;
    if (s->closed) return TN_ECLOSED;
    rc = s->ops->shutdown(s);
    if (!s->closed) tn__stream_update_events(s);
    return rc;
}

/* 1 if the stream is quiet: nothing buffered, no EOF seen, and (on a socket) nothing the
   peer sent is waiting in the kernel: no byte and no FIN, peeked without consuming. A pooled
   client connection is reused only when quiet: a server that closed it, or wrote to it
   unasked (a 408), makes the next response unreliable. Over TLS the transport must hold
   no input either (and the socket is peeked the same way); a pipe counts as quiet when
   nothing is buffered. */
TN__PRIVATE int tn__stream_quiet(const tn_stream *s) {
    char c;
    if (s->closed || s->eof || tn__cbuf_size(s->rbuf) > 0) return 0;
    if (TN__STREAM_LAYERED && s->ops->pending && s->ops->pending(s)) return 0;
    if (s->ops != &tn__stream_socket_ops && !s->tp) return 1;   /* a pipe */
    return tn__sock_peek(s->fd, &c, 1) == TN_EAGAIN;
}

/* While no read is pending, still watch for the peer closing (on platforms that report
   it without reading); the stream then closes with TN_EEOF. */
TN__PRIVATE void tn__stream_watch_close(tn_stream *s, int on) {
    s->watch_close = on != 0;
    if (!s->closed) tn__stream_update_events(s);
}

/* Queue count bytes of file_fd from offset after everything queued so far; they go out
   with sendfile(2) when the socket is writable, and writes queued later follow them. The
   caller keeps file_fd open until cb has run (exactly once: TN_OK once the bytes went to
   the socket, or the close cause). One file segment may be queued at a time. Only plain
   sockets on platforms with sendfile: otherwise TN_ENOTSUP and nothing is queued (the
   caller reads and writes instead). A file that turns out shorter than count closes the
   stream (TN_ESYS). Returns TN_OK, TN_EINVAL, TN_ECLOSED, TN_EBUSY, TN_ENOTSUP, TN_ENOMEM. */
TN__PRIVATE int tn__stream_sendfile(tn_stream *s, int file_fd, int64_t offset, uint64_t count, tn_write_cb cb,
                                    void *user) {
    tn__wq *q;
    tn__sfseg *sf;
    if (!s || file_fd < 0 || offset < 0 || count == 0 || !cb) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    if (!TN__HAVE_SENDFILE || s->ops != &tn__stream_socket_ops) return TN_ENOTSUP;
    if (s->wq && s->wq->sf) return TN_EBUSY;
    if (tn__stream_wcb_reserve(s) != 0) return TN_ENOMEM;
    if (!(sf = (tn__sfseg *)tn__alloc(tn__loop_alloc(s->h.loop), sizeof *sf))) return TN_ENOMEM;
    q = s->wq;
    q->sf = sf;
    sf->send = tn__stream_send_file;
    sf->fd = file_fd;
    sf->off = offset;
    sf->at = q->queued;
    q->queued += count;
    sf->end = q->queued;
    tn__stream_wcb_push(s, cb, user);
    if (tn__cbuf_size(s->wbuf) == 0) tn__stream_flush(s);   /* nothing ahead of it: send now */
    tn__stream_settle(s, s->wq->sent >= s->wq->queued);
    return TN_OK;
}

/* ---- close and accessors ---- */
TN_API void tn_stream_set_close_cb(tn_stream *s, tn_close_cb cb, void *user) {
    s->ccb = cb;
    s->cuser = user;
}

/* The close callback set (NULL if none). */
TN__PRIVATE tn_close_cb tn__stream_close_cb(const tn_stream *s) { return s->ccb; }

TN_API int tn_stream_close(tn_stream *s, tn_close_cb cb, void *user) {
    if (!s) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    if (cb) tn_stream_set_close_cb(s, cb, user);
    tn__stream_close_now(s, TN_OK);
    return TN_OK;
}

TN_API int tn_stream_abort(tn_stream *s, int cause) {
    if (!s) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    tn__stream_close_now(s, cause);
    return TN_OK;
}

TN_API int tn_stream_set_nodelay(tn_stream *s, int on) {
    int rc;
    if (s->closed) return TN_ECLOSED;
    rc = tn__sock_setopt(s->fd, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
    return rc == TN_ERESET || rc == TN_EINVAL ? TN_OK : rc;   /* reset peers: ignored */
}

TN_API int tn_stream_closed(const tn_stream *s) { return s->closed; }
TN_API int tn_stream_reading(const tn_stream *s) { return s->rkind != TN__RD_NONE; }
TN_API int tn_stream_writing(const tn_stream *s) { return tn__stream_unsent(s) > 0; }
TN_API size_t tn_stream_read_buffer_size(const tn_stream *s) { return tn__cbuf_size(s->rbuf); }
TN_API size_t tn_stream_write_buffer_size(const tn_stream *s) { return (size_t)tn__stream_unsent(s); }
TN_API tn_socket tn_stream_fd(const tn_stream *s) { return s->fd; }
TN_API int tn_stream_peer(const tn_stream *s, tn_addr *out) {
    if (s->closed) return TN_ECLOSED;
    return tn_socket_peer_addr(s->fd, out);
}
TN_API tn_loop *tn_stream_loop(const tn_stream *s) { return s->h.loop; }
TN_API void tn_stream_get_opts(const tn_stream *s, tn_stream_opts *out) {
    memset(out, 0, sizeof *out);
    out->max_buffer_size = s->opts.max_buffer_size;
    out->read_chunk_size = s->opts.read_chunk_size;
    out->max_write_buffer_size = s->opts.max_write_buffer_size;
    out->idle_timeout_ms = s->idle ? s->idle->ms : 0;
}
TN_API void tn_stream_set_user(tn_stream *s, void *user) { s->user = user; }
TN_API void *tn_stream_get_user(const tn_stream *s) { return s->user; }
