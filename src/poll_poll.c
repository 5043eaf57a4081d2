/* poll_poll.c: the poll() backends: POSIX poll() (any POSIX system; also the test reference), lwIP's lwip_poll and Windows' WSAPoll. */
#include "loop.h"
#include "internal.h"

#if TN__POLL_POLL || TN__POLL_WSAPOLL

/* One dense array handed to poll() (or WSAPoll, which takes the same shape of array over
   sockets), an index from the loop's slot for the fd (the fd itself on POSIX and lwIP;
   Windows: a dense index the loop keeps per SOCKET) to its position, and (TN__FD_MAP)
   back from each position to its slot. WSAPoll refuses flags it does not support
   (POLLPRI): it gets POLLRDNORM and POLLWRNORM only, and has no peer-left flag (streams
   peek instead: TN__HAVE_RDHUP is 0). */
#if TN__POLL_WSAPOLL
typedef WSAPOLLFD tn__pfd;
#  define TN__PFD_IN POLLRDNORM
#  define TN__PFD_READY (POLLRDNORM | POLLRDBAND)
#  define TN__PFD_OUT POLLWRNORM
#else
typedef struct pollfd tn__pfd;
#  define TN__PFD_IN POLLIN
#  define TN__PFD_READY (POLLIN | POLLPRI)
#  define TN__PFD_OUT POLLOUT
#endif

typedef struct tn__pollset {
    tn__pfd *pfds;            /* the set handed to poll() */
    size_t n, cap;
#if TN__FD_MAP
    int *slots;               /* position in pfds → the loop's slot */
    size_t slots_cap;
#endif
    int *index;               /* slot → position in pfds, -1 when absent */
    size_t index_cap;
} tn__pollset;

/* The loop's slot of the entry at pos (without TN__FD_MAP the slot is the fd). */
#if TN__FD_MAP
#  define TN__PFD_SLOT(p, pos) ((p)->slots[pos])
#else
#  define TN__PFD_SLOT(p, pos) ((int)(p)->pfds[pos].fd)
#endif

TN__PRIVATE const char *tn__poll_name(void) { return TN__POLL_WSAPOLL ? "wsapoll" : "poll"; }
TN__PRIVATE tn_socket tn__poll_fd(tn_loop *loop) { (void)loop; return TN_INVALID_SOCKET; }   /* tn_loop_poll_fds */

TN__PRIVATE int tn__poll_init(tn_loop *loop) {
    tn__pollset *p = (tn__pollset *)tn__calloc(tn__loop_alloc(loop), sizeof *p);
    if (!p) return TN_ENOMEM;
    *tn__loop_backend(loop) = p;
    return TN_OK;
}

TN__PRIVATE void tn__poll_free(tn_loop *loop) {
    tn__pollset *p = (tn__pollset *)*tn__loop_backend(loop);
    if (!p) return;
    tn__free(tn__loop_alloc(loop), p->pfds);
    tn__free(tn__loop_alloc(loop), p->index);
#if TN__FD_MAP
    tn__free(tn__loop_alloc(loop), p->slots);
#endif
    tn__free(tn__loop_alloc(loop), p);
    *tn__loop_backend(loop) = NULL;
}

TN__PRIVATE short tn__poll_mask(int events) {
    int m = ((events & TN_EV_READ) ? TN__PFD_IN : 0) | ((events & TN_EV_WRITE) ? TN__PFD_OUT : 0);
#if TN__HAVE_POLLRDHUP
    if (events & TN__EV_RDHUP) m |= POLLRDHUP;
#endif
    return (short)m;
}

TN__PRIVATE int tn__poll_add(tn_loop *loop, tn_socket fd, int slot, int events) {
    tn__pollset *p = (tn__pollset *)*tn__loop_backend(loop);
    int rc;
    if (slot < 0) return TN_EINVAL;
    if ((size_t)slot >= p->index_cap) {
        size_t old = p->index_cap, i;
        rc = tn__grow(tn__loop_alloc(loop), (void **)&p->index, &p->index_cap, (size_t)slot + 1, sizeof(int));
        if (rc != 0) return rc;
        for (i = old; i < p->index_cap; i++) p->index[i] = -1;
    }
    if (p->index[slot] >= 0) {
        p->pfds[p->index[slot]].events = tn__poll_mask(events);
        return TN_OK;
    }
    if ((rc = tn__grow(tn__loop_alloc(loop), (void **)&p->pfds, &p->cap, p->n + 1, sizeof(tn__pfd))) != 0) return rc;
#if TN__FD_MAP
    if ((rc = tn__grow(tn__loop_alloc(loop), (void **)&p->slots, &p->slots_cap, p->n + 1, sizeof(int))) != 0) return rc;
#endif
    if ((rc = tn__loop_fired_reserve(loop, p->n + 1)) != 0) return rc;
    p->pfds[p->n].fd = fd;
    p->pfds[p->n].events = tn__poll_mask(events);
    p->pfds[p->n].revents = 0;
#if TN__FD_MAP
    p->slots[p->n] = slot;
#endif
    p->index[slot] = (int)p->n++;
    return TN_OK;
}

TN__PRIVATE int tn__poll_mod(tn_loop *loop, tn_socket fd, int slot, int events) {
    tn__pollset *p = (tn__pollset *)*tn__loop_backend(loop);
    (void)fd;
    if (slot < 0 || (size_t)slot >= p->index_cap || p->index[slot] < 0) return TN_ENOENT;
    p->pfds[p->index[slot]].events = tn__poll_mask(events);
    return TN_OK;
}

TN__PRIVATE int tn__poll_del(tn_loop *loop, tn_socket fd, int slot) {
    tn__pollset *p = (tn__pollset *)*tn__loop_backend(loop);
    int pos;
    (void)fd;
    if (slot < 0 || (size_t)slot >= p->index_cap || (pos = p->index[slot]) < 0) return TN_OK;
    p->n--;
    if ((size_t)pos != p->n) {   /* the last entry fills the hole */
        p->pfds[pos] = p->pfds[p->n];
#if TN__FD_MAP
        p->slots[pos] = p->slots[p->n];
#endif
        p->index[TN__PFD_SLOT(p, pos)] = pos;
    }
    p->index[slot] = -1;
    return TN_OK;
}

TN__PRIVATE int tn__poll_wait(tn_loop *loop, int timeout_ms) {
    tn__pollset *p = (tn__pollset *)*tn__loop_backend(loop);
    size_t i;
    int n, k = 0;
#if TN__POLL_WSAPOLL
    if (p->n == 0) {   /* WSAPoll rejects an empty set: just sleep */
        Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
        return 0;
    }
    n = WSAPoll(p->pfds, (ULONG)p->n, timeout_ms);
    if (n == SOCKET_ERROR) return tn__last_err();
#else
    n = TN__OS(poll)(p->pfds, (nfds_t)p->n, timeout_ms);   /* lwIP: lwip_poll */
    if (n < 0) return errno == EINTR ? 0 : tn__last_err();
#endif
    for (i = 0; i < p->n && k < n; i++) {
        short r = p->pfds[i].revents;
        int ev = 0;
        if (!r) continue;
        if (r & TN__PFD_READY) ev |= TN_EV_READ;
        if (r & TN__PFD_OUT) ev |= TN_EV_WRITE;
        /* POLLHUP: the connection is gone both ways (a failed connect included) */
        if (r & (POLLERR | POLLHUP | POLLNVAL)) ev |= TN_EV_ERROR | TN_EV_READ | TN__EV_RDHUP;
#if TN__HAVE_POLLRDHUP
        if (r & POLLRDHUP) ev |= TN__EV_RDHUP | TN_EV_READ;
#endif
        tn__loop_fired(loop)[k].slot = TN__PFD_SLOT(p, i);
        tn__loop_fired(loop)[k].events = ev;
        k++;
    }
    return k;
}

#endif /* TN__POLL_POLL || TN__POLL_WSAPOLL */
