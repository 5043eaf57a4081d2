/* platform.c: errno/WSA error mapping, fd flags, socket calls, the loop wakeup, clock, locks, threads (POSIX, Windows, lwIP firmware; the system includes are in internal.h). */
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
#if defined(_WIN32)
    /* Winsock's codes (WSAGetLastError, SO_ERROR): 10000 and up, apart from errno's */
    case WSAEINTR: return TN_EAGAIN;
    case WSAEWOULDBLOCK: return TN_EAGAIN;
    case WSAEINPROGRESS: return TN_EAGAIN;
    case WSAEALREADY: return TN_EAGAIN;
    case WSAEINVAL: return TN_EINVAL;
    case WSAEFAULT: return TN_EINVAL;
    case WSAENOBUFS: return TN_ENOMEM;
    case WSAETIMEDOUT: return TN_ETIMEOUT;
    case WSAECONNRESET: return TN_ERESET;
    case WSAECONNABORTED: return TN_ERESET;
    case WSAENETRESET: return TN_ERESET;
    case WSAECONNREFUSED: return TN_EREFUSED;
    case WSAENETUNREACH: return TN_EUNREACH;
    case WSAEHOSTUNREACH: return TN_EUNREACH;
    case WSAENETDOWN: return TN_EUNREACH;
    case WSAEHOSTDOWN: return TN_EUNREACH;
    case WSAEADDRINUSE: return TN_EADDRINUSE;
    case WSAEADDRNOTAVAIL: return TN_EADDRNOTAVAIL;
    case WSAEACCES: return TN_EACCES;
    case WSAEOPNOTSUPP: return TN_ENOTSUP;
    case WSAENOPROTOOPT: return TN_ENOTSUP;
    case WSAEAFNOSUPPORT: return TN_ENOTSUP;
    case WSAEPROTONOSUPPORT: return TN_ENOTSUP;
    case WSAESHUTDOWN: return TN_EPIPE;
    case WSAENOTCONN: return TN_ENOTCONN;
    case WSAEMFILE: return TN_EMFILE;
    case WSAENOTSOCK: return TN_ECLOSED;
    case WSANOTINITIALISED: return TN_ESYS;
#endif
    default: return TN_ESYS;
    }
}

#if defined(_WIN32)
/* The last Winsock error (every socket call here reports through it), else errno's. */
TN__PRIVATE int tn__last_err(void) {
    int e = WSAGetLastError();
    return tn__err_from_errno(e ? e : errno);
}
#else
TN__PRIVATE int tn__last_err(void) { return tn__err_from_errno(errno); }
#endif

#if defined(_WIN32)
/* platform.h spells tn_socket uintptr_t (no <winsock2.h> there): it must be SOCKET's size
   and sign, and TN_INVALID_SOCKET must be INVALID_SOCKET. */
typedef char tn__socket_is_SOCKET[sizeof(tn_socket) == sizeof(SOCKET) && (SOCKET)0 - 1 > 0 &&
                                  TN_INVALID_SOCKET == INVALID_SOCKET ? 1 : -1];

/* Make a socket non-blocking and not inherited by child processes. */
TN__PRIVATE int tn__fd_setup(tn_socket fd) {
    u_long one = 1;
    if (ioctlsocket(TN__SOCK(fd), FIONBIO, &one) != 0) return tn__last_err();
    (void)SetHandleInformation((HANDLE)TN__SOCK(fd), HANDLE_FLAG_INHERIT, 0);
    return TN_OK;
}

/* closesocket() that preserves the last error. */
TN__PRIVATE void tn__fd_close(tn_socket fd) {
    int saved = WSAGetLastError();
    if (fd != TN_INVALID_SOCKET) (void)closesocket(TN__SOCK(fd));
    WSASetLastError(saved);
}

TN__PRIVATE int tn__socket(int family, int type, tn_socket *out) {
    SOCKET s = socket(family, type, 0);
    int rc;
    if (s == INVALID_SOCKET) return tn__last_err();
    if ((rc = tn__fd_setup(s)) != 0) {
        tn__fd_close(s);
        return rc;
    }
    *out = s;
    return TN_OK;
}

/* No pollable pipes on Windows (WSAPoll takes sockets only). */
TN__PRIVATE int tn__pipe(int fds[2]) {
    fds[0] = fds[1] = -1;
    return TN_ENOTSUP;
}

#else
#if TN__LWIP
/* Make a socket non-blocking (lwIP: no exec, no close-on-exec). */
TN__PRIVATE int tn__fd_setup(tn_socket fd) {
    int fl = lwip_fcntl(fd, F_GETFL, 0);
    if (fl < 0 || lwip_fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return tn__last_err();
    return TN_OK;
}
#else
/* Make an fd non-blocking and close-on-exec. */
TN__PRIVATE int tn__fd_setup(tn_socket fd) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return tn__last_err();
    fl = fcntl(fd, F_GETFD);
    if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0) return tn__last_err();
    return TN_OK;
}
#endif

/* close() that preserves errno and never retries (EINTR on close leaves the fd closed). */
TN__PRIVATE void tn__fd_close(tn_socket fd) {
    int saved = errno;
    if (fd >= 0) (void)TN__OS(close)(fd);
    errno = saved;
}

/* A socket created non-blocking and close-on-exec; SIGPIPE suppressed where needed. */
TN__PRIVATE int tn__socket(int family, int type, tn_socket *out) {
    int fd;
#if TN__HAVE_GNU
    fd = TN__OS(socket)(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return tn__last_err();
#else
    int rc;
    fd = TN__OS(socket)(family, type, 0);
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

/* A pipe pair, both ends non-blocking and close-on-exec (lwIP: no pipes). */
TN__PRIVATE int tn__pipe(int fds[2]) {
#if TN__LWIP
    fds[0] = fds[1] = TN_INVALID_SOCKET;
    return TN_ENOTSUP;
#elif TN__HAVE_GNU
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return tn__last_err();
    return TN_OK;
#else
    int rc;
    if (pipe(fds) != 0) return tn__last_err();
    if ((rc = tn__fd_setup(fds[0])) != 0 || (rc = tn__fd_setup(fds[1])) != 0) {
        tn__fd_close(fds[0]);
        tn__fd_close(fds[1]);
        fds[0] = fds[1] = -1;   /* (closed: nobody may close these numbers again) */
        return rc;
    }
    return TN_OK;
#endif
}

#endif

#if defined(_WIN32)
/* ---- the loop's wakeup (tn_loop_post, tn_async_send) ----
   Windows: a connected pair of loopback TCP sockets (WSAPoll watches sockets only). */
TN__PRIVATE int tn__wake_open(tn_socket fds[2]) {
    struct sockaddr_in a;
    int len = (int)sizeof a, rc = TN_OK;
    SOCKET s, lfd, c;
    fds[0] = fds[1] = TN_INVALID_SOCKET;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((s = socket(AF_INET, SOCK_STREAM, 0)) == INVALID_SOCKET) return tn__last_err();
    lfd = s;
    if (bind(s, (struct sockaddr *)&a, len) != 0 || listen(s, 1) != 0 ||
        getsockname(s, (struct sockaddr *)&a, &len) != 0 ||
        (s = socket(AF_INET, SOCK_STREAM, 0)) == INVALID_SOCKET) {
        rc = tn__last_err();
        tn__fd_close(lfd);
        return rc;
    }
    c = s;
    if (connect(c, (struct sockaddr *)&a, len) != 0 || (s = accept(lfd, NULL, NULL)) == INVALID_SOCKET) {
        rc = tn__last_err();
        tn__fd_close(lfd);
        tn__fd_close(c);
        return rc;
    }
    tn__fd_close(lfd);
    fds[0] = s;   /* the accepted end is read */
    fds[1] = c;
    if ((rc = tn__fd_setup(fds[0])) != 0 || (rc = tn__fd_setup(fds[1])) != 0 ||
        (rc = tn__sock_setopt(fds[1], IPPROTO_TCP, TCP_NODELAY, 1)) != 0) {
        tn__wake_close(fds);
        return rc;
    }
    return TN_OK;
}

/* One byte; a full socket buffer already means "awake". */
TN__PRIVATE void tn__wake_signal(tn_socket wfd) {
    int saved = WSAGetLastError();
    char c = 1;
    (void)send(TN__SOCK(wfd), &c, 1, 0);
    WSASetLastError(saved);
}

TN__PRIVATE void tn__wake_drain(tn_socket rfd) {
    char drain[64];
    while (recv(TN__SOCK(rfd), drain, (int)sizeof drain, 0) > 0) {}
}

TN__PRIVATE void tn__wake_close(tn_socket fds[2]) {
    if (fds[1] != fds[0]) tn__fd_close(fds[1]);
    tn__fd_close(fds[0]);
    fds[0] = fds[1] = TN_INVALID_SOCKET;
}

#elif TN__LWIP
/* ---- the loop's wakeup (tn_loop_post, tn_async_send) ----
   lwIP: a UDP socket the loop watches and a datagram sent to it over the loopback. Needs
   LWIP_NETIF_LOOPBACK (or LWIP_HAVE_LOOPIF). With a loopback interface (LWIP_HAVE_LOOPIF)
   one socket bound to 127.0.0.1 and connected to itself does it (fds[0] == fds[1]).
   Without one, lwIP sends loopback traffic from the default netif's address, which a socket
   bound to 127.0.0.1 cannot use (ERR_RTE): the watched socket is then bound to every
   address (a stray datagram from the network only wakes the loop once more) and a second
   one, connected to 127.0.0.1 and its port, signals. lwip_send is a task's call: wake the
   loop from tasks, not from interrupt handlers. */
TN__PRIVATE int tn__wake_open(tn_socket fds[2]) {
    struct sockaddr_in a;
    socklen_t len = (socklen_t)sizeof a;
    int r, w, rc;
    fds[0] = fds[1] = TN_INVALID_SOCKET;
    if ((rc = tn__socket(AF_INET, SOCK_DGRAM, &r)) != 0) return rc;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = LWIP_HAVE_LOOPIF ? htonl(INADDR_LOOPBACK) : htonl(INADDR_ANY);
    if (lwip_bind(r, (struct sockaddr *)&a, len) != 0 || lwip_getsockname(r, (struct sockaddr *)&a, &len) != 0) {
        rc = tn__last_err();
        tn__fd_close(r);
        return rc;
    }
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (LWIP_HAVE_LOOPIF) w = r;
    else if ((rc = tn__socket(AF_INET, SOCK_DGRAM, &w)) != 0) {
        tn__fd_close(r);
        return rc;
    }
    if (lwip_connect(w, (struct sockaddr *)&a, len) != 0) {
        rc = tn__last_err();
        if (w != r) tn__fd_close(w);
        tn__fd_close(r);
        return rc;
    }
    fds[0] = r;
    fds[1] = w;
    return TN_OK;
}

/* One datagram; a full receive queue already means "awake". */
TN__PRIVATE void tn__wake_signal(tn_socket wfd) {
    int saved = errno;
    char c = 1;
    (void)lwip_send(wfd, &c, 1, 0);
    errno = saved;
}

TN__PRIVATE void tn__wake_drain(tn_socket rfd) {
    char drain[16];
    while (lwip_recv(rfd, drain, sizeof drain, 0) > 0) {}
}

TN__PRIVATE void tn__wake_close(tn_socket fds[2]) {
    if (fds[1] != fds[0]) tn__fd_close(fds[1]);
    tn__fd_close(fds[0]);
    fds[0] = fds[1] = TN_INVALID_SOCKET;
}

#else
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

#endif

#if defined(_WIN32)
/* Winsock lengths are ints: one call moves at most INT_MAX bytes. */
#  define TN__IOLEN(n) ((int)((n) > (size_t)INT_MAX ? (size_t)INT_MAX : (n)))

TN__PRIVATE long tn__sock_peek(tn_socket fd, void *buf, size_t n) {
    int r = recv(TN__SOCK(fd), (char *)buf, TN__IOLEN(n), MSG_PEEK);
    return r >= 0 ? (long)r : tn__last_err();
}

TN__PRIVATE long tn__sock_recv(tn_socket fd, void *buf, size_t n) {
    int r = recv(TN__SOCK(fd), (char *)buf, TN__IOLEN(n), 0);
    return r >= 0 ? (long)r : tn__last_err();
}

TN__PRIVATE long tn__sock_send(tn_socket fd, const void *buf, size_t n) {
    int r = send(TN__SOCK(fd), (const char *)buf, TN__IOLEN(n), 0);
    return r >= 0 ? (long)r : tn__last_err();
}

TN__PRIVATE long tn__sock_sendv(tn_socket fd, const tn_str *bufs, int n) {
    WSABUF wb[16];
    DWORD sent = 0;
    int i;
    if (n > 16) n = 16;
    for (i = 0; i < n; i++) {
        wb[i].buf = (char *)(uintptr_t)bufs[i].ptr;
        wb[i].len = (ULONG)TN__IOLEN(bufs[i].len);
    }
    if (WSASend(TN__SOCK(fd), wb, (DWORD)n, &sent, 0, NULL, NULL) != 0) return tn__last_err();
    return (long)sent;
}

TN__PRIVATE long tn__fd_read(int fd, void *buf, size_t n) { (void)fd; (void)buf; (void)n; return TN_ENOTSUP; }
TN__PRIVATE long tn__fd_write(int fd, const void *buf, size_t n) { (void)fd; (void)buf; (void)n; return TN_ENOTSUP; }
TN__PRIVATE long tn__fd_writev(int fd, const tn_str *bufs, int n) { (void)fd; (void)bufs; (void)n; return TN_ENOTSUP; }

TN__PRIVATE int tn__sock_shutdown_write(tn_socket fd) {
    return shutdown(TN__SOCK(fd), SD_SEND) == 0 ? TN_OK : tn__last_err();
}

TN__PRIVATE int tn__sock_setopt(tn_socket fd, int level, int name, int value) {
    return setsockopt(TN__SOCK(fd), level, name, (const char *)&value, (int)sizeof value) == 0 ? TN_OK
                                                                                             : tn__last_err();
}

TN__PRIVATE int tn__sock_error(tn_socket fd) {
    int err = 0, len = (int)sizeof err;
    if (getsockopt(TN__SOCK(fd), SOL_SOCKET, SO_ERROR, (char *)&err, &len) != 0)
        return WSAGetLastError() == WSAENOTSOCK ? TN_OK : tn__last_err();
    return err ? tn__err_from_errno(err) : TN_OK;
}

TN__PRIVATE int tn__sock_connect(tn_socket fd, const struct sockaddr *sa, size_t len) {
    int e;
    if (connect(TN__SOCK(fd), sa, (int)len) == 0) return TN_OK;
    e = WSAGetLastError();
    return e == WSAEWOULDBLOCK || e == WSAEINPROGRESS ? TN_EAGAIN : tn__err_from_errno(e);
}

TN__PRIVATE int tn__sock_accept(tn_socket lfd, tn_socket *out, struct sockaddr *sa, size_t *len) {
    int l = (int)*len, rc;
    SOCKET s = accept(TN__SOCK(lfd), sa, &l);
    if (s == INVALID_SOCKET) return tn__last_err();
    if ((rc = tn__fd_setup(s)) != 0) {
        tn__fd_close(s);
        return rc;
    }
    *len = (size_t)l;
    *out = s;
    return TN_OK;
}

TN__PRIVATE int tn__sock_bind_listen(tn_socket fd, const struct sockaddr *sa, size_t len, int backlog) {
    if (bind(TN__SOCK(fd), sa, (int)len) != 0 || listen(TN__SOCK(fd), backlog) != 0) return tn__last_err();
    return TN_OK;
}

TN__PRIVATE int tn__sock_name(tn_socket fd, int which, struct sockaddr *sa, size_t *len) {
    int l = (int)*len, r = which ? getpeername(TN__SOCK(fd), sa, &l) : getsockname(TN__SOCK(fd), sa, &l);
    if (r != 0) return tn__last_err();
    *len = (size_t)l;
    return TN_OK;
}

TN__PRIVATE int tn__cpu_count(void) {
    SYSTEM_INFO si;
    GetSystemInfo(&si);
    return si.dwNumberOfProcessors > 0 ? (int)si.dwNumberOfProcessors : 1;
}

/* WSAStartup is reference-counted: each loop takes one reference and gives it back. */
TN__PRIVATE int tn__net_startup(void) {
    WSADATA wd;
    int e = WSAStartup(MAKEWORD(2, 2), &wd);
    return e == 0 ? TN_OK : tn__err_from_errno(e);
}
TN__PRIVATE void tn__net_cleanup(void) { (void)WSACleanup(); }
#else
TN__PRIVATE long tn__sock_peek(tn_socket fd, void *buf, size_t n) {
    for (;;) {
        ssize_t r = TN__OS(recv)(fd, buf, n, MSG_PEEK);
        if (r >= 0) return (long)r;
        if (errno != EINTR) return tn__last_err();
    }
}

TN__PRIVATE long tn__sock_recv(tn_socket fd, void *buf, size_t n) {
    for (;;) {
        ssize_t r = TN__OS(recv)(fd, buf, n, 0);
        if (r >= 0) return (long)r;
        if (errno != EINTR) return tn__last_err();
    }
}

TN__PRIVATE long tn__sock_send(tn_socket fd, const void *buf, size_t n) {
    for (;;) {
        ssize_t r = TN__OS(send)(fd, buf, n, TN__SEND_FLAGS);
        if (r >= 0) return (long)r;
        if (errno != EINTR) return tn__last_err();
    }
}

/* tn_str has struct iovec's layout (a pointer, then a size_t: checked here), so a vector of
   them goes to the kernel as it is, at most 16 at a time (POSIX's smallest IOV_MAX). */
typedef char tn__str_is_iovec[sizeof(tn_str) == sizeof(struct iovec) &&
                              offsetof(tn_str, ptr) == offsetof(struct iovec, iov_base) &&
                              offsetof(tn_str, len) == offsetof(struct iovec, iov_len) &&
                              sizeof(((tn_str *)0)->len) == sizeof(((struct iovec *)0)->iov_len) ? 1 : -1];
#define TN__IOV(bufs) ((struct iovec *)(uintptr_t)(bufs))
#define TN__IOV_N(n) ((n) > 16 ? 16 : (n))

TN__PRIVATE long tn__sock_sendv(tn_socket fd, const tn_str *bufs, int n) {
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = TN__IOV(bufs);
    msg.msg_iovlen = (size_t)TN__IOV_N(n);
    for (;;) {
        ssize_t r = TN__OS(sendmsg)(fd, &msg, TN__SEND_FLAGS);
        if (r >= 0) return (long)r;
        if (errno != EINTR) return tn__last_err();
    }
}

#if TN__LWIP
/* no pipes or files on lwIP (tn_stream_new_pipe: TN_ENOTSUP) */
TN__PRIVATE long tn__fd_read(int fd, void *buf, size_t n) { (void)fd; (void)buf; (void)n; return TN_ENOTSUP; }
TN__PRIVATE long tn__fd_write(int fd, const void *buf, size_t n) { (void)fd; (void)buf; (void)n; return TN_ENOTSUP; }
TN__PRIVATE long tn__fd_writev(int fd, const tn_str *bufs, int n) { (void)fd; (void)bufs; (void)n; return TN_ENOTSUP; }
#else
TN__PRIVATE long tn__fd_read(int fd, void *buf, size_t n) {
    for (;;) {
        ssize_t r = read(fd, buf, n);
        if (r >= 0) return (long)r;
        if (errno != EINTR) return tn__last_err();
    }
}

TN__PRIVATE long tn__fd_write(int fd, const void *buf, size_t n) {
    for (;;) {
        ssize_t r = write(fd, buf, n);
        if (r >= 0) return (long)r;
        if (errno != EINTR) return tn__last_err();
    }
}

TN__PRIVATE long tn__fd_writev(int fd, const tn_str *bufs, int n) {
    for (;;) {
        ssize_t r = writev(fd, TN__IOV(bufs), TN__IOV_N(n));
        if (r >= 0) return (long)r;
        if (errno != EINTR) return tn__last_err();
    }
}
#endif

TN__PRIVATE int tn__sock_shutdown_write(tn_socket fd) {
    return TN__OS(shutdown)(fd, SHUT_WR) == 0 ? TN_OK : tn__last_err();
}

TN__PRIVATE int tn__sock_setopt(tn_socket fd, int level, int name, int value) {
    return TN__OS(setsockopt)(fd, level, name, &value, sizeof value) == 0 ? TN_OK : tn__last_err();
}

TN__PRIVATE int tn__sock_error(tn_socket fd) {
    int err = 0;
    socklen_t len = (socklen_t)sizeof err;
    if (TN__OS(getsockopt)(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno == ENOTSOCK ? TN_OK : tn__last_err();
    return err ? tn__err_from_errno(err) : TN_OK;
}

TN__PRIVATE int tn__sock_connect(tn_socket fd, const struct sockaddr *sa, size_t len) {
    if (TN__OS(connect)(fd, sa, (socklen_t)len) == 0) return TN_OK;
    return errno == EINPROGRESS || errno == EINTR ? TN_EAGAIN : tn__last_err();
}

TN__PRIVATE int tn__sock_accept(tn_socket lfd, tn_socket *out, struct sockaddr *sa, size_t *len) {
    socklen_t l = (socklen_t)*len;
    int fd;
    for (;;) {
#if TN__HAVE_GNU
        fd = accept4(lfd, sa, &l, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
        fd = TN__OS(accept)(lfd, sa, &l);
#endif
        if (fd >= 0) break;
        if (errno == EINTR) continue;
        return tn__last_err();
    }
#if !TN__HAVE_GNU
    {
        int rc = tn__fd_setup(fd);
        if (rc != 0) { tn__fd_close(fd); return rc; }
    }
#endif
#if defined(SO_NOSIGPIPE)
    (void)tn__sock_setopt(fd, SOL_SOCKET, SO_NOSIGPIPE, 1);
#endif
    *len = (size_t)l;
    *out = fd;
    return TN_OK;
}

TN__PRIVATE int tn__sock_bind_listen(tn_socket fd, const struct sockaddr *sa, size_t len, int backlog) {
    if (TN__OS(bind)(fd, sa, (socklen_t)len) != 0 || TN__OS(listen)(fd, backlog) != 0) return tn__last_err();
    return TN_OK;
}

TN__PRIVATE int tn__sock_name(tn_socket fd, int which, struct sockaddr *sa, size_t *len) {
    socklen_t l = (socklen_t)*len;
    int r = which ? TN__OS(getpeername)(fd, sa, &l) : TN__OS(getsockname)(fd, sa, &l);
    if (r != 0) return tn__last_err();
    *len = (size_t)l;
    return TN_OK;
}

TN__PRIVATE int tn__cpu_count(void) {
    long n = -1;
#if defined(_SC_NPROCESSORS_ONLN) && !TN__LWIP
    n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
    return n > 0 ? (int)n : 1;
}

TN__PRIVATE int tn__net_startup(void) { return TN_OK; }
TN__PRIVATE void tn__net_cleanup(void) {}
#endif

/* ---- clock ---- */
#if defined(_WIN32)
TN_API uint64_t tn_time_ns(void) {
    static LARGE_INTEGER freq;   /* constant since boot: reading it twice is harmless */
    LARGE_INTEGER now;
    if (freq.QuadPart == 0) QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (uint64_t)(now.QuadPart / freq.QuadPart) * 1000000000u +
           (uint64_t)(now.QuadPart % freq.QuadPart) * 1000000000u / (uint64_t)freq.QuadPart;
}
#elif TN__LWIP
TN_API uint64_t tn_time_ns(void) { return tn_port_now_ms() * 1000000u; }   /* the application's clock */
#else
TN_API uint64_t tn_time_ns(void) {
    struct timespec ts;
#if defined(CLOCK_MONOTONIC)
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
#endif
        (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif

#if TN__LWIP
TN_API uint64_t tn_time_ms(void) { return tn_port_now_ms(); }
#else
TN_API uint64_t tn_time_ms(void) { return tn_time_ns() / 1000000u; }
#endif

/* ---- locks (no-ops under TORNADO_NO_THREADS) ---- */
#if TN_HAS_THREADS && defined(_WIN32)
/* Win32: SRW locks, condition variables, CreateThread (no pthread library needed) */
TN__PRIVATE int tn__mutex_init(tn__mutex *m) { InitializeSRWLock(m); return TN_OK; }
TN__PRIVATE void tn__mutex_destroy(tn__mutex *m) { (void)m; }
TN__PRIVATE void tn__mutex_lock(tn__mutex *m) { AcquireSRWLockExclusive(m); }
TN__PRIVATE void tn__mutex_unlock(tn__mutex *m) { ReleaseSRWLockExclusive(m); }
TN__PRIVATE int tn__cond_init(tn__cond *c) { InitializeConditionVariable(c); return TN_OK; }
TN__PRIVATE void tn__cond_destroy(tn__cond *c) { (void)c; }
TN__PRIVATE void tn__cond_wait(tn__cond *c, tn__mutex *m) { (void)SleepConditionVariableSRW(c, m, INFINITE, 0); }
TN__PRIVATE void tn__cond_signal(tn__cond *c) { WakeConditionVariable(c); }
TN__PRIVATE void tn__cond_broadcast(tn__cond *c) { WakeAllConditionVariable(c); }
TN__PRIVATE DWORD WINAPI tn__thread_main(LPVOID arg) {
    tn__thread *t = (tn__thread *)arg;
    (void)t->fn(t->arg);
    return 0;
}
TN__PRIVATE int tn__thread_start(tn__thread *t, void *(*fn)(void *), void *arg) {
    t->fn = fn;
    t->arg = arg;
    t->h = CreateThread(NULL, 0, tn__thread_main, t, 0, NULL);
    return t->h ? TN_OK : TN_ESYS;
}
TN__PRIVATE void tn__thread_join(tn__thread *t) {
    (void)WaitForSingleObject(t->h, INFINITE);
    (void)CloseHandle(t->h);
}
#elif TN_HAS_THREADS
TN__PRIVATE int tn__mutex_init(tn__mutex *m) { return pthread_mutex_init(m, NULL) == 0 ? TN_OK : TN_ESYS; }
TN__PRIVATE void tn__mutex_destroy(tn__mutex *m) { (void)pthread_mutex_destroy(m); }
TN__PRIVATE void tn__mutex_lock(tn__mutex *m) { (void)pthread_mutex_lock(m); }
TN__PRIVATE void tn__mutex_unlock(tn__mutex *m) { (void)pthread_mutex_unlock(m); }
TN__PRIVATE int tn__cond_init(tn__cond *c) { return pthread_cond_init(c, NULL) == 0 ? TN_OK : TN_ESYS; }
TN__PRIVATE void tn__cond_destroy(tn__cond *c) { (void)pthread_cond_destroy(c); }
TN__PRIVATE void tn__cond_wait(tn__cond *c, tn__mutex *m) { (void)pthread_cond_wait(c, m); }
TN__PRIVATE void tn__cond_signal(tn__cond *c) { (void)pthread_cond_signal(c); }
TN__PRIVATE void tn__cond_broadcast(tn__cond *c) { (void)pthread_cond_broadcast(c); }
TN__PRIVATE int tn__thread_start(tn__thread *t, void *(*fn)(void *), void *arg) {
    return pthread_create(t, NULL, fn, arg) == 0 ? TN_OK : TN_ESYS;
}
TN__PRIVATE void tn__thread_join(tn__thread *t) { (void)pthread_join(*t, NULL); }
#else
TN__PRIVATE int tn__mutex_init(tn__mutex *m) { *m = 0; return TN_OK; }
TN__PRIVATE void tn__mutex_destroy(tn__mutex *m) { (void)m; }
TN__PRIVATE void tn__mutex_lock(tn__mutex *m) { (void)m; }
TN__PRIVATE void tn__mutex_unlock(tn__mutex *m) { (void)m; }
#endif

/* Ignore SIGPIPE process-wide only where the platform has neither MSG_NOSIGNAL nor
   SO_NOSIGPIPE (writes to pipes still need it everywhere: see tn__ignore_sigpipe_once). */
#if defined(_WIN32) || TN__LWIP
TN__PRIVATE void tn__ignore_sigpipe_once(void) {}   /* no SIGPIPE on Windows or lwIP */
#else
TN__PRIVATE void tn__ignore_sigpipe_once(void) {
    static volatile sig_atomic_t done = 0;
    if (!done) {
        struct sigaction sa;
        done = 1;
        if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
            sa.sa_handler = SIG_IGN;   /* (the mask and flags as they were: ignored for SIG_IGN) */
            (void)sigaction(SIGPIPE, &sa, NULL);
        }
    }
}
#endif

/* ---- files (static files): open under a root without leaving it, positioned reads ---- */
#if TN_HAS_FILESYSTEM && defined(_WIN32)
/* Longest path handled, in UTF-16 units (the root's final path, root + rel): longer is
   TN_ENOENT, as POSIX's ENAMETOOLONG. Without the "\\?\" prefix CreateFileW stops at
   MAX_PATH anyway unless the program is long-path aware. */
#define TN__FILE_WMAX 4608

TN__PRIVATE int tn__file_win_err(DWORD e) {
    switch (e) {
    case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND: case ERROR_INVALID_NAME:
    case ERROR_BAD_PATHNAME: case ERROR_FILENAME_EXCED_RANGE: case ERROR_DIRECTORY:
    case ERROR_INVALID_DRIVE: case ERROR_BAD_NETPATH: case ERROR_BAD_NET_NAME:
    case ERROR_NO_UNICODE_TRANSLATION: case ERROR_CANT_RESOLVE_FILENAME:
        return TN_ENOENT;
    case ERROR_ACCESS_DENIED: case ERROR_CANT_ACCESS_FILE: return TN_EACCES;
    case ERROR_SHARING_VIOLATION: case ERROR_LOCK_VIOLATION: return TN_EBUSY;
    case ERROR_NOT_ENOUGH_MEMORY: case ERROR_OUTOFMEMORY: return TN_ENOMEM;
    case ERROR_TOO_MANY_OPEN_FILES: return TN_EMFILE;
    default: return TN_ESYS;
    }
}

/* One path segment (n bytes, no '/') that names, on Windows, exactly the plain file it
   spells. Refused: ':' (an alternate data stream "a.txt::$DATA", a drive "C:"), a trailing
   '.' or ' ' (Windows drops them: "secret.txt." opens "secret.txt"), control characters and
   < > " | ? * \ (not names; wildcards), and the device names CON PRN AUX NUL CONIN$ CONOUT$
   COM0-9 LPT0-9 (also with ¹ ² ³), with or without an extension or spaces before it
   ("con.txt", "nul .txt" are the console and the null device, in any directory). */
TN__PRIVATE int tn__file_win_name_ok(const char *seg, size_t n) {
    static const char dev[][8] = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"};
    size_t i, base = 0;
    if (n == 0 || seg[n - 1] == '.' || seg[n - 1] == ' ') return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)seg[i];
        if (c < 32 || c == ':' || c == '<' || c == '>' || c == '"' || c == '|' || c == '?' || c == '*' || c == '\\')
            return 0;
    }
    while (base < n && seg[base] != '.') base++;
    while (base > 0 && seg[base - 1] == ' ') base--;
    for (i = 0; i < sizeof dev / sizeof dev[0]; i++)
        if (tn_str_ieq(tn_str_make(seg, base), tn_str_c(dev[i]))) return 0;
    if ((base == 4 || base == 5) &&
        (tn_str_ieq(tn_str_make(seg, 3), tn_str_c("COM")) || tn_str_ieq(tn_str_make(seg, 3), tn_str_c("LPT")))) {
        unsigned char d0 = (unsigned char)seg[3], d1 = base == 5 ? (unsigned char)seg[4] : 0;
        if (base == 4 && d0 >= '0' && d0 <= '9') return 0;
        if (base == 5 && d0 == 0xC2 && (d1 == 0xB9 || d1 == 0xB2 || d1 == 0xB3)) return 0;
    }
    return 1;
}

/* CreateFileW for reading (others may read, write, rename or delete the file meanwhile, as
   on POSIX). A directory opens only with FILE_FLAG_BACKUP_SEMANTICS, which for a process
   holding SeBackupPrivilege enabled also skips the access check: so that flag is tried
   only after a plain open was refused, and only a directory is kept from it. */
TN__PRIVATE HANDLE tn__file_win_open(const wchar_t *p, DWORD flags) {
    const DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
    BY_HANDLE_FILE_INFORMATION bi;
    HANDLE h = CreateFileW(p, GENERIC_READ, share, NULL, OPEN_EXISTING, flags | FILE_FLAG_SEQUENTIAL_SCAN, NULL);
    if (h != INVALID_HANDLE_VALUE || GetLastError() != ERROR_ACCESS_DENIED) return h;
    h = CreateFileW(p, GENERIC_READ, share, NULL, OPEN_EXISTING, flags | FILE_FLAG_BACKUP_SEMANTICS, NULL);
    if (h == INVALID_HANDLE_VALUE) return h;
    if (!GetFileInformationByHandle(h, &bi) || !(bi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
        CloseHandle(h);
        SetLastError(ERROR_ACCESS_DENIED);
        return INVALID_HANDLE_VALUE;
    }
    return h;
}

/* UTF-8 s (n bytes) as UTF-16 at w[0..cap), '/' made '\'; the length, or -1 (invalid
   UTF-8, too long). */
TN__PRIVATE int tn__file_win_wide(const char *s, size_t n, wchar_t *w, int cap) {
    int k, i;
    if (n == 0) return 0;
    if (n > (size_t)INT_MAX) return -1;
    k = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, (int)n, w, cap);
    if (k <= 0) return -1;
    for (i = 0; i < k; i++)
        if (w[i] == L'/') w[i] = L'\\';
    return k;
}

/* The handle's final path (links resolved, "\\?\C:\..." form) in w[0..cap); its length or -1. */
TN__PRIVATE int tn__file_win_final(HANDLE h, wchar_t *w, DWORD cap) {
    DWORD k = GetFinalPathNameByHandleW(h, w, cap, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
    return k == 0 || k >= cap ? -1 : (int)k;
}

/* Windows has no openat: the checks are on names first, then on what was opened. Each
   segment must pass tn__file_win_name_ok (the caller already refused backslashes, '..',
   absolute paths, so no drive, UNC or device form can be spelled). The file is opened
   with FILE_FLAG_OPEN_REPARSE_POINT (O_NOFOLLOW's counterpart): a symbolic link or
   junction as the last segment is seen as one and only then followed. Unless follow_out,
   the handle's final path (GetFinalPathNameByHandleW: every link and junction on the way
   resolved, for the object actually opened, so no race can swap a component between check
   and use) must lie under the root's final path; else TN_EACCES. */
TN__PRIVATE int tn__file_open_under(const char *root, char *rel, int follow_out, tn__file *out, tn__file_info *info) {
    wchar_t rfin[TN__FILE_WMAX], path[TN__FILE_WMAX];
    BY_HANDLE_FILE_INFORMATION bi;
    size_t i = 0, rl = strlen(rel);
    int rfl = 0, pl, k, rc;
    HANDLE h;
    uint64_t t;
    int64_t d;
    while (i < rl) {
        size_t j = i;
        while (j < rl && rel[j] != '/') j++;
        if (!tn__file_win_name_ok(rel + i, j - i)) return TN_EACCES;
        i = j + 1;
    }
    if ((pl = tn__file_win_wide(root, strlen(root), path, TN__FILE_WMAX - 2)) <= 0) return TN_ENOENT;
    path[pl] = 0;
    if (!follow_out) {
        h = tn__file_win_open(path, 0);
        if (h == INVALID_HANDLE_VALUE) return tn__file_win_err(GetLastError());
        rfl = tn__file_win_final(h, rfin, TN__FILE_WMAX);
        CloseHandle(h);
        if (rfl <= 0) return TN_ESYS;
        if (rfin[rfl - 1] == L'\\') rfl--;   /* a drive's root, "\\?\C:\" */
    }
    if (rl) {
        if (path[pl - 1] != L'\\') path[pl++] = L'\\';
        if ((k = tn__file_win_wide(rel, rl, path + pl, TN__FILE_WMAX - 1 - pl)) < 0) return TN_ENOENT;
        pl += k;
    }
    path[pl] = 0;
    h = tn__file_win_open(path, FILE_FLAG_OPEN_REPARSE_POINT);
    if (h == INVALID_HANDLE_VALUE) return tn__file_win_err(GetLastError());
    if (!GetFileInformationByHandle(h, &bi)) goto fail;
    if (bi.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
        /* a link (or another reparse point): open what it leads to, checked below */
        CloseHandle(h);
        if ((h = tn__file_win_open(path, 0)) == INVALID_HANDLE_VALUE) return tn__file_win_err(GetLastError());
        if (!GetFileInformationByHandle(h, &bi)) goto fail;
    }
    if (!follow_out) {
        int fl = tn__file_win_final(h, path, TN__FILE_WMAX);
        if (fl < 0) goto fail;
        if (fl < rfl || memcmp(path, rfin, (size_t)rfl * sizeof(wchar_t)) != 0 ||
            (fl > rfl && path[rfl] != L'\\')) {
            CloseHandle(h);
            return TN_EACCES;
        }
    }
    info->kind = (bi.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) ? TN__FILE_DIR
                 : GetFileType(h) == FILE_TYPE_DISK                ? TN__FILE_REG
                                                                   : TN__FILE_OTHER;
    info->size = ((uint64_t)bi.nFileSizeHigh << 32) | bi.nFileSizeLow;
    info->id = ((uint64_t)bi.nFileIndexHigh << 32) | bi.nFileIndexLow;
    /* FILETIME: 100 ns units since 1601; 11644473600 s before 1970 */
    t = ((uint64_t)bi.ftLastWriteTime.dwHighDateTime << 32) | bi.ftLastWriteTime.dwLowDateTime;
    d = (int64_t)t - INT64_C(116444736000000000);
    info->mtime = d >= 0 ? d / 10000000 : -((-d + 9999999) / 10000000);   /* floor */
    info->mtime_ns = (uint64_t)d * 100u;
    *out = h;
    return TN_OK;
fail:
    rc = tn__file_win_err(GetLastError());
    CloseHandle(h);
    return rc;
}

TN__PRIVATE long tn__file_pread(tn__file f, void *buf, size_t n, uint64_t off) {
    OVERLAPPED ov;
    DWORD got = 0;
    memset(&ov, 0, sizeof ov);
    ov.Offset = (DWORD)off;
    ov.OffsetHigh = (DWORD)(off >> 32);
    if (n > 0x40000000u) n = 0x40000000u;
    if (!ReadFile(f, buf, (DWORD)n, &got, &ov)) return GetLastError() == ERROR_HANDLE_EOF ? 0 : TN_ESYS;
    return (long)got;
}

TN__PRIVATE void tn__file_close(tn__file f) {
    if (f != TN__FILE_NONE) (void)CloseHandle(f);
}

#elif TN_HAS_FILESYSTEM
TN__PRIVATE int tn__file_err(int e) {
    if (e == ENOENT || e == ENOTDIR || e == ENAMETOOLONG || e == ELOOP) return TN_ENOENT;
    if (e == EACCES || e == EPERM) return TN_EACCES;
    return tn__err_from_errno(e);
}

/* A symlink met while walking: open it only if its target stays under the root (both
   resolved with realpath), or anywhere with follow_out. prefix is the relative path up to
   and including the link. Returns an fd, -1 (errno set), or -2 (escapes). */
TN__PRIVATE int tn__file_open_link(const char *root, int follow_out, int dirfd, const char *seg, const char *prefix,
                                   int flags) {
    char rroot[PATH_MAX], full[PATH_MAX], real[PATH_MAX];
    size_t rl;
    int fd;
    if (follow_out) {
        do fd = openat(dirfd, seg, flags & ~O_NOFOLLOW); while (fd < 0 && errno == EINTR);
        return fd;
    }
    if (!realpath(root, rroot)) return -1;
    if ((size_t)snprintf(full, sizeof full, "%s/%s", root, prefix) >= sizeof full) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (!realpath(full, real)) return -1;   /* dangling: ENOENT */
    rl = strlen(rroot);
    if (rl == 1) rl = 0;   /* the root is "/" */
    if (strncmp(real, rroot, rl) != 0 || (real[rl] != '/' && real[rl] != 0)) return -2;
    do fd = open(real, flags); while (fd < 0 && errno == EINTR);   /* real has no links left */
    return fd;
}

/* One component at a time relative to the previous directory's fd (openat), each with
   O_NOFOLLOW, so no symlink is followed without tn__file_open_link's check. */
TN__PRIVATE int tn__file_open_under(const char *root, char *rel, int follow_out, tn__file *out, tn__file_info *info) {
    int dirfd, fd;
    char *seg = rel;
    struct stat st;
    do dirfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC); while (dirfd < 0 && errno == EINTR);
    if (dirfd < 0) return tn__file_err(errno);
    fd = dirfd;
    while (*seg) {
        char *slash = strchr(seg, '/');
        int last = slash == NULL, flags, e;
        flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | (last ? 0 : O_DIRECTORY);
        if (slash) *slash = 0;
        do fd = openat(dirfd, seg, flags); while (fd < 0 && errno == EINTR);
        e = errno;
        if (fd < 0 && e != ENOENT) {
            struct stat ls;
            if (fstatat(dirfd, seg, &ls, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(ls.st_mode)) {
                fd = tn__file_open_link(root, follow_out, dirfd, seg, rel, flags);
                e = fd == -2 ? EACCES : errno;
            }
        }
        if (slash) *slash = '/';
        (void)close(dirfd);
        if (fd < 0) return tn__file_err(e);
        dirfd = fd;
        seg = slash ? slash + 1 : seg + strlen(seg);
    }
    if (fstat(fd, &st) != 0) {
        int e = errno;
        (void)close(fd);
        return tn__file_err(e);
    }
    info->kind = S_ISREG(st.st_mode) ? TN__FILE_REG : S_ISDIR(st.st_mode) ? TN__FILE_DIR : TN__FILE_OTHER;
    info->size = (uint64_t)st.st_size;
    info->mtime = (int64_t)st.st_mtime;
    info->id = (uint64_t)st.st_ino;
    info->mtime_ns = (uint64_t)((int64_t)st.st_mtime * 1000000000 + TN__STAT_MTIME_NSEC(&st));
    *out = fd;
    return TN_OK;
}

TN__PRIVATE long tn__file_pread(tn__file f, void *buf, size_t n, uint64_t off) {
    ssize_t r;
    if (n > 0x40000000u) n = 0x40000000u;
    do r = pread(f, buf, n, (off_t)off); while (r < 0 && errno == EINTR);
    return r < 0 ? tn__last_err() : (long)r;
}

TN__PRIVATE void tn__file_close(tn__file f) {
    if (f >= 0) (void)close(f);   /* never retried: EINTR on close leaves the fd closed */
}
#endif
