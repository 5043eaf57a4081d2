/* poll_epoll.c: the epoll backend (Linux, level-triggered). */
#include "loop.h"
#include "internal.h"

#if TN__POLL_EPOLL

#define TN__EPOLL_BATCH 1024

typedef struct tn__epoll {
    int epfd;
    struct epoll_event events[TN__EPOLL_BATCH];
} tn__epoll;

TN__PRIVATE const char *tn__poll_name(void) { return "epoll"; }
TN__PRIVATE tn_socket tn__poll_fd(tn_loop *loop) {
    const tn__epoll *p = (const tn__epoll *)*tn__loop_backend(loop);
    return p ? p->epfd : TN_INVALID_SOCKET;
}

/* On failure the state stays for tn__poll_free (the loop's release) to undo. */
TN__PRIVATE int tn__poll_init(tn_loop *loop) {
    tn__epoll *p = (tn__epoll *)tn__calloc(tn__loop_alloc(loop), sizeof *p);
    if (!p) return TN_ENOMEM;
    *tn__loop_backend(loop) = p;
    if ((p->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) return tn__last_err();
    return tn__loop_fired_reserve(loop, TN__EPOLL_BATCH);
}

TN__PRIVATE void tn__poll_free(tn_loop *loop) {
    tn__epoll *p = (tn__epoll *)*tn__loop_backend(loop);
    if (!p) return;
    tn__fd_close(p->epfd);
    tn__free(tn__loop_alloc(loop), p);
    *tn__loop_backend(loop) = NULL;
}

/* TN_EV_READ and TN_EV_WRITE are epoll's bits (Tornado took its values from epoll): kept. */
typedef char tn__epoll_bits_match[(int)EPOLLIN == (int)TN_EV_READ && (int)EPOLLOUT == (int)TN_EV_WRITE ? 1 : -1];

TN__PRIVATE uint32_t tn__epoll_mask(int events) {
    uint32_t m = (uint32_t)events & (uint32_t)(EPOLLIN | EPOLLOUT);
    if (events & TN__EV_RDHUP) m |= (uint32_t)EPOLLRDHUP;
    return m;
}

TN__PRIVATE int tn__epoll_ctl(tn_loop *loop, int op, int fd, int slot, int events) {
    tn__epoll *p = (tn__epoll *)*tn__loop_backend(loop);
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = tn__epoll_mask(events);
    ev.data.fd = slot;   /* reported back as the slot (the fd itself unless TN__FD_MAP) */
    if (epoll_ctl(p->epfd, op, fd, &ev) != 0) return tn__last_err();
    return TN_OK;
}

TN__PRIVATE int tn__poll_add(tn_loop *loop, int fd, int slot, int events) {
    int rc = tn__epoll_ctl(loop, EPOLL_CTL_ADD, fd, slot, events);
    /* an fd closed without remove_fd leaves a stale registration on a reused number */
    if (rc == TN_EEXIST) rc = tn__epoll_ctl(loop, EPOLL_CTL_MOD, fd, slot, events);
    return rc;
}

TN__PRIVATE int tn__poll_mod(tn_loop *loop, int fd, int slot, int events) {
    return tn__epoll_ctl(loop, EPOLL_CTL_MOD, fd, slot, events);
}

TN__PRIVATE int tn__poll_del(tn_loop *loop, int fd, int slot) {
    int rc = tn__epoll_ctl(loop, EPOLL_CTL_DEL, fd, slot, 0);
    /* not registered (ENOENT) or already closed (EBADF): gone either way */
    return rc == TN_ENOENT || rc == TN_ECLOSED ? TN_OK : rc;
}

TN__PRIVATE int tn__poll_wait(tn_loop *loop, int timeout_ms) {
    tn__epoll *p = (tn__epoll *)*tn__loop_backend(loop);
    int n, i;
    n = epoll_wait(p->epfd, p->events, TN__EPOLL_BATCH, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : tn__last_err();
    for (i = 0; i < n; i++) {
        uint32_t e = p->events[i].events;
        int ev = 0;
        if (e & (EPOLLIN | EPOLLPRI | EPOLLRDHUP)) ev |= TN_EV_READ;
        if (e & EPOLLOUT) ev |= TN_EV_WRITE;
        if (e & (EPOLLERR | EPOLLHUP)) ev |= TN_EV_ERROR | TN_EV_READ;
        if (e & (EPOLLRDHUP | EPOLLERR | EPOLLHUP)) ev |= TN__EV_RDHUP;
        tn__loop_fired(loop)[i].slot = p->events[i].data.fd;
        tn__loop_fired(loop)[i].events = ev;
    }
    return n;
}

#endif /* TN__POLL_EPOLL */
