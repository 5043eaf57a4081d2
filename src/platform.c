/* platform.c: system includes, private macros, errno mapping, fd flags, clock, locks. */
#include "base.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <unistd.h>
#if defined(__linux__)
#  include <sys/epoll.h>
#  include <sys/eventfd.h>
#endif
#if TN_HAS_THREADS
#  include <pthread.h>
#endif
/* sendfile(2) for static files on plain sockets (Linux); elsewhere read + write. */
#if TN_HAS_FILESYSTEM && defined(__linux__)
#  include <sys/sendfile.h>
#  define TN__HAVE_SENDFILE 1
#else
#  define TN__HAVE_SENDFILE 0
#endif
/* Nanoseconds of a struct stat's modification time (static files' ETag). */
#if defined(__APPLE__)
#  define TN__STAT_MTIME_NSEC(st) ((int64_t)(st)->st_mtimespec.tv_nsec)
#else
#  define TN__STAT_MTIME_NSEC(st) ((int64_t)(st)->st_mtim.tv_nsec)
#endif
/* SSE2 scanning in the HTTP parser; TORNADO_NO_SIMD forces the portable fallback. */
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__)) && !defined(TORNADO_NO_SIMD)
#  include <emmintrin.h>
#  define TN__HAVE_SSE2 1
#else
#  define TN__HAVE_SSE2 0
#endif
/* Random bytes (crypto.c): getrandom() where glibc has it (2.25+), arc4random_buf() on the
   BSDs and Apple (declared in <stdlib.h>), BCryptGenRandom() on Windows. */
#if defined(__linux__) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 25))
#  include <sys/random.h>
#  define TN__HAVE_GETRANDOM 1
#else
#  define TN__HAVE_GETRANDOM 0
#endif
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || \
    defined(__DragonFly__)
#  define TN__HAVE_ARC4RANDOM 1
#else
#  define TN__HAVE_ARC4RANDOM 0
#endif
#if defined(_WIN32)
#  include <windows.h>
#  include <bcrypt.h>
#  if defined(_MSC_VER)
#    pragma comment(lib, "bcrypt")
#  endif
#endif

#if defined(__GLIBC__) && !defined(__USE_POSIX199309)
#  error "tornado.h: POSIX is hidden (strict -std=c99 and a system header came first). Include tornado.h before system headers where TORNADO_IMPLEMENTATION is defined, or build with -D_GNU_SOURCE."
#endif
/* GNU extensions (accept4, pipe2, SOCK_NONBLOCK) only where the includer got them. */
#if defined(__linux__) && (defined(__USE_GNU) || (!defined(__GLIBC__) && defined(_GNU_SOURCE)))
#  define TN__HAVE_GNU 1
#else
#  define TN__HAVE_GNU 0
#endif

/* ---- private decoration and helpers ---- */
#if defined(__GNUC__) || defined(__clang__)
#  define TN__PRIVATE static __attribute__((unused))
#  define TN__LIKELY(x) __builtin_expect(!!(x), 1)
#  define TN__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#  define TN__PRIVATE static
#  define TN__LIKELY(x) (x)
#  define TN__UNLIKELY(x) (x)
#endif

#ifndef TN_ASSERT
#  define TN_ASSERT(x) assert(x)
#endif

#define TN__DEF(v, d) ((v) ? (v) : (d))
#define TN__MIN(a, b) ((a) < (b) ? (a) : (b))
#define TN__MAX(a, b) ((a) > (b) ? (a) : (b))
#define TN__UNUSED(x) ((void)(x))
/* Sizes and durations stored in 32 bits (per-connection state stays small). */
TN__PRIVATE uint32_t tn__clamp_u32(uint64_t v) { return v > 0xffffffffu ? 0xffffffffu : (uint32_t)v; }

#if defined(MSG_NOSIGNAL)
#  define TN__SEND_FLAGS MSG_NOSIGNAL
#else
#  define TN__SEND_FLAGS 0
#endif

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
typedef pthread_mutex_t tn__mutex;
TN__PRIVATE int tn__mutex_init(tn__mutex *m) { return pthread_mutex_init(m, NULL) == 0 ? TN_OK : TN_ESYS; }
TN__PRIVATE void tn__mutex_destroy(tn__mutex *m) { (void)pthread_mutex_destroy(m); }
TN__PRIVATE void tn__mutex_lock(tn__mutex *m) { (void)pthread_mutex_lock(m); }
TN__PRIVATE void tn__mutex_unlock(tn__mutex *m) { (void)pthread_mutex_unlock(m); }
#else
typedef int tn__mutex;
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
