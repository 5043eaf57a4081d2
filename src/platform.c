/* platform.c: errno mapping, fd flags, sockets, clock, locks (the system includes are in internal.h). */
#include "internal.h"

/* Sizes and durations stored in 32 bits (per-connection state stays small). */
TN__PRIVATE uint32_t tn__clamp_u32(uint64_t v) { return v > 0xffffffffu ? 0xffffffffu : (uint32_t)v; }

/* Map an errno value to a TN_E* code. Callers never read errno after a tn_ call. */
TN__PRIVATE int tn__err_from_errno(int e) {
    switch (e) {
    case 0: return TN_ESYS;
    case EINVAL: return TN_EINVAL;
    case ENOMEM: return TN_ENOMEM;
#if defined(ENOBUFS)
    case ENOBUFS: return TN_ENOMEM;
#endif
    case EAGAIN: return TN_EAGAIN;
#if defined(EWOULDBLOCK) && EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK: return TN_EAGAIN;
#endif
#if defined(EINPROGRESS)
    case EINPROGRESS: return TN_EAGAIN;
#endif
    case ETIMEDOUT: return TN_ETIMEOUT;
    case ECONNRESET: return TN_ERESET;
#if defined(ECONNABORTED)
    case ECONNABORTED: return TN_ERESET;
#endif
    case ECONNREFUSED: return TN_EREFUSED;
    case ENETUNREACH: return TN_EUNREACH;
    case EHOSTUNREACH: return TN_EUNREACH;
#if defined(ENETDOWN)
    case ENETDOWN: return TN_EUNREACH;
#endif
    case EADDRINUSE: return TN_EADDRINUSE;
    case EADDRNOTAVAIL: return TN_EADDRNOTAVAIL;
    case EACCES: return TN_EACCES;
    case EPERM: return TN_EACCES;
    case EEXIST: return TN_EEXIST;
    case ENOENT: return TN_ENOENT;
#if defined(EOPNOTSUPP)
    case EOPNOTSUPP: return TN_ENOTSUP;
#endif
#if defined(ENOPROTOOPT)
    case ENOPROTOOPT: return TN_ENOTSUP;
#endif
#if defined(EAFNOSUPPORT)
    case EAFNOSUPPORT: return TN_ENOTSUP;
#endif
    case EBUSY: return TN_EBUSY;
    case EPIPE: return TN_EPIPE;
    case ENOTCONN: return TN_ENOTCONN;
    case EMFILE: return TN_EMFILE;
    case ENFILE: return TN_EMFILE;
    case EBADF: return TN_ECLOSED;
    default: return TN_ESYS;
    }
}

TN__PRIVATE int tn__last_err(void) { return tn__err_from_errno(errno); }

/* Make an fd non-blocking and close-on-exec. */
TN__PRIVATE int tn__fd_setup(int fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return tn__last_err();
    fl = fcntl(fd, F_GETFD);
    if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0) return tn__last_err();
    return TN_OK;
}

/* close() that preserves errno and never retries (EINTR on close leaves the fd closed). */
TN__PRIVATE void tn__fd_close(int fd) {
    int saved = errno;
    if (fd >= 0) (void)close(fd);
    errno = saved;
}

/* A socket created non-blocking and close-on-exec; SIGPIPE suppressed where needed. */
TN__PRIVATE int tn__socket(int family, int type, int *out) {
    int fd;
#if TN__HAVE_GNU
    fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return tn__last_err();
#else
    int rc;
    fd = socket(family, type, 0);
    if (fd < 0) return tn__last_err();
    rc = tn__fd_setup(fd);
    if (rc != 0) { tn__fd_close(fd); return rc; }
#endif
#if defined(SO_NOSIGPIPE)
    { int one = 1; (void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one); }
#endif
    *out = fd;
    return TN_OK;
}

/* A pipe pair, both ends non-blocking and close-on-exec. */
TN__PRIVATE int tn__pipe(int fds[2]) {
#if TN__HAVE_GNU
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return tn__last_err();
    return TN_OK;
#else
    int rc;
    if (pipe(fds) != 0) return tn__last_err();
    if ((rc = tn__fd_setup(fds[0])) != 0 || (rc = tn__fd_setup(fds[1])) != 0) {
        tn__fd_close(fds[0]);
        tn__fd_close(fds[1]);
        return rc;
    }
    return TN_OK;
#endif
}

/* ---- the loop's wakeup (tn_loop_post, tn_async_send) ----
   Linux: one eventfd (fds[0] == fds[1]); elsewhere (and TORNADO_GENERIC_POSIX): a pipe. */
TN__PRIVATE int tn__wake_open(tn_socket fds[2]) {
#if TN__HAVE_EVENTFD
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) return tn__last_err();
    fds[0] = fds[1] = fd;
    return TN_OK;
#else
    return tn__pipe(fds);
#endif
}

/* Async-signal-safe: one write; a full pipe or counter already means "awake". */
TN__PRIVATE void tn__wake_signal(tn_socket wfd) {
    int saved = errno;
    ssize_t r;
#if TN__HAVE_EVENTFD
    uint64_t one = 1;
    do r = write(wfd, &one, sizeof one); while (r < 0 && errno == EINTR);
#else
    char c = 1;
    do r = write(wfd, &c, 1); while (r < 0 && errno == EINTR);
#endif
    (void)r;
    errno = saved;
}

TN__PRIVATE void tn__wake_drain(tn_socket rfd) {
    char drain[64];
    ssize_t r;
    do r = read(rfd, drain, sizeof drain); while (r > 0 || (r < 0 && errno == EINTR));
}

TN__PRIVATE void tn__wake_close(tn_socket fds[2]) {
    if (fds[1] != fds[0]) tn__fd_close(fds[1]);
    tn__fd_close(fds[0]);
    fds[0] = fds[1] = TN_INVALID_SOCKET;
}

TN__PRIVATE long tn__sock_peek(tn_socket fd, void *buf, size_t n) {
    for (;;) {
        ssize_t r = recv(fd, buf, n, MSG_PEEK);
        if (r >= 0) return (long)r;
        if (errno != EINTR) return tn__last_err();
    }
}

/* ---- clock ---- */
TN_API uint64_t tn_time_ns(void) {
    struct timespec ts;
#if defined(CLOCK_MONOTONIC)
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
#endif
        (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

TN_API uint64_t tn_time_ms(void) { return tn_time_ns() / 1000000u; }

/* ---- locks (no-ops under TORNADO_NO_THREADS) ---- */
#if TN_HAS_THREADS
TN__PRIVATE int tn__mutex_init(tn__mutex *m) { return pthread_mutex_init(m, NULL) == 0 ? TN_OK : TN_ESYS; }
TN__PRIVATE void tn__mutex_destroy(tn__mutex *m) { (void)pthread_mutex_destroy(m); }
TN__PRIVATE void tn__mutex_lock(tn__mutex *m) { (void)pthread_mutex_lock(m); }
TN__PRIVATE void tn__mutex_unlock(tn__mutex *m) { (void)pthread_mutex_unlock(m); }
#else
TN__PRIVATE int tn__mutex_init(tn__mutex *m) { *m = 0; return TN_OK; }
TN__PRIVATE void tn__mutex_destroy(tn__mutex *m) { (void)m; }
TN__PRIVATE void tn__mutex_lock(tn__mutex *m) { (void)m; }
TN__PRIVATE void tn__mutex_unlock(tn__mutex *m) { (void)m; }
#endif

/* Ignore SIGPIPE process-wide only where the platform has neither MSG_NOSIGNAL nor
   SO_NOSIGPIPE (writes to pipes still need it everywhere: see tn__ignore_sigpipe_once). */
TN__PRIVATE void tn__ignore_sigpipe_once(void) {
    static volatile sig_atomic_t done = 0;
    if (!done) {
        struct sigaction sa;
        done = 1;
        if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = SIG_IGN;
            sigemptyset(&sa.sa_mask);
            (void)sigaction(SIGPIPE, &sa, NULL);
        }
    }
}
