/* internal.h: the implementation's private prelude (system headers, TN__PRIVATE and friends): internal, not API. */
#ifndef TN_INTERNAL_H
#define TN_INTERNAL_H
/* Everything below is compiled only with TORNADO_IMPLEMENTATION, before any module's
   implementation: system headers are included here and nowhere else, and the private
   decoration (TN__PRIVATE: static and unused-tolerant) and helper macros every module
   uses are defined once. Nothing here is part of the API; names may change at any time. */
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
/* SSE2 scanning in the HTTP parser and WebSocket masking; TORNADO_NO_SIMD forces the portable fallback. */
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

#if defined(MSG_NOSIGNAL)
#  define TN__SEND_FLAGS MSG_NOSIGNAL
#else
#  define TN__SEND_FLAGS 0
#endif

#endif /* TN_INTERNAL_H */
