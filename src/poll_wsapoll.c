/* poll_wsapoll.c: the Windows backend (WSAPoll over sockets; Vista and later). */
#include "loop.h"
#include "internal.h"

#if TN__POLL_WSAPOLL

/* Like poll_poll.c: a dense WSAPOLLFD array and an index from the socket value (an int:
   Winsock handles are small multiples of 4) to its position. */
typedef struct tn__wsapollset {
    WSAPOLLFD *pfds;
    size_t n, cap;
    int *index;               /* socket → position in pfds, -1 when absent */
    size_t index_cap;
} tn__wsapollset;

TN__PRIVATE const char *tn__poll_name(void) { return "wsapoll"; }
TN__PRIVATE tn_socket tn__poll_fd(tn_loop *loop) { (void)loop; return TN_INVALID_SOCKET; }   /* tn_loop_poll_fds */

TN__PRIVATE int tn__poll_init(tn_loop *loop) {
    tn__wsapollset *p = (tn__wsapollset *)tn__calloc(tn__loop_alloc(loop), sizeof *p);
    if (!p) return TN_ENOMEM;
    *tn__loop_backend(loop) = p;
    return TN_OK;
}

TN__PRIVATE void tn__poll_free(tn_loop *loop) {
    tn__wsapollset *p = (tn__wsapollset *)*tn__loop_backend(loop);
    if (!p) return;
    tn__free(tn__loop_alloc(loop), p->pfds);
    tn__free(tn__loop_alloc(loop), p->index);
    tn__free(tn__loop_alloc(loop), p);
    *tn__loop_backend(loop) = NULL;
}

/* WSAPoll refuses flags it does not support (POLLPRI): only POLLRDNORM and POLLWRNORM.
   There is no peer-left flag: streams peek instead (TN__HAVE_RDHUP is 0). */
TN__PRIVATE short tn__wsapoll_mask(int events) {
    return (short)(((events & TN_EV_READ) ? POLLRDNORM : 0) | ((events & TN_EV_WRITE) ? POLLWRNORM : 0));
}

TN__PRIVATE int tn__poll_add(tn_loop *loop, int fd, int events) {
    tn__wsapollset *p = (tn__wsapollset *)*tn__loop_backend(loop);
    int rc;
    if (fd < 0) return TN_EINVAL;
    if ((size_t)fd >= p->index_cap) {
        size_t old = p->index_cap, i;
        rc = tn__grow(tn__loop_alloc(loop), (void **)&p->index, &p->index_cap, (size_t)fd + 1, sizeof(int));
        if (rc != 0) return rc;
        for (i = old; i < p->index_cap; i++) p->index[i] = -1;
    }
    if (p->index[fd] >= 0) {
        p->pfds[p->index[fd]].events = tn__wsapoll_mask(events);
        return TN_OK;
    }
    if ((rc = tn__grow(tn__loop_alloc(loop), (void **)&p->pfds, &p->cap, p->n + 1, sizeof(WSAPOLLFD))) != 0) return rc;
    if ((rc = tn__loop_fired_reserve(loop, p->n + 1)) != 0) return rc;
    p->pfds[p->n].fd = TN__SOCK(fd);
    p->pfds[p->n].events = tn__wsapoll_mask(events);
    p->pfds[p->n].revents = 0;
    p->index[fd] = (int)p->n++;
    return TN_OK;
}

TN__PRIVATE int tn__poll_mod(tn_loop *loop, int fd, int events) {
    tn__wsapollset *p = (tn__wsapollset *)*tn__loop_backend(loop);
    if (fd < 0 || (size_t)fd >= p->index_cap || p->index[fd] < 0) return TN_ENOENT;
    p->pfds[p->index[fd]].events = tn__wsapoll_mask(events);
    return TN_OK;
}

TN__PRIVATE int tn__poll_del(tn_loop *loop, int fd) {
    tn__wsapollset *p = (tn__wsapollset *)*tn__loop_backend(loop);
    int pos;
    if (fd < 0 || (size_t)fd >= p->index_cap || (pos = p->index[fd]) < 0) return TN_OK;
    p->n--;
    if ((size_t)pos != p->n) {
        p->pfds[pos] = p->pfds[p->n];
        p->index[(int)p->pfds[pos].fd] = pos;
    }
    p->index[fd] = -1;
    return TN_OK;
}

TN__PRIVATE int tn__poll_wait(tn_loop *loop, int timeout_ms) {
    tn__wsapollset *p = (tn__wsapollset *)*tn__loop_backend(loop);
    size_t i;
    int n, k = 0;
    if (p->n == 0) {   /* WSAPoll rejects an empty set: just sleep */
        Sleep(timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
        return 0;
    }
    n = WSAPoll(p->pfds, (ULONG)p->n, timeout_ms);
    if (n == SOCKET_ERROR) return tn__last_err();
    for (i = 0; i < p->n && k < n; i++) {
        short r = p->pfds[i].revents;
        int ev = 0;
        if (!r) continue;
        if (r & (POLLRDNORM | POLLRDBAND)) ev |= TN_EV_READ;
        if (r & POLLWRNORM) ev |= TN_EV_WRITE;
        /* POLLHUP: the connection is gone both ways (a failed connect included) */
        if (r & (POLLERR | POLLHUP | POLLNVAL)) ev |= TN_EV_ERROR | TN_EV_READ | TN__EV_RDHUP;
        tn__loop_fired(loop)[k].fd = (int)p->pfds[i].fd;
        tn__loop_fired(loop)[k].events = ev;
        k++;
    }
    return k;
}

#endif /* TN__POLL_WSAPOLL */
