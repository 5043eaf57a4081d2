/* internal.h: the implementation's private prelude (system headers, TN__PRIVATE and friends): internal, not API. */
#ifndef TN_INTERNAL_H
#define TN_INTERNAL_H
/* Everything below is compiled only with TORNADO_IMPLEMENTATION, before any module's
   implementation: system headers are included here and nowhere else, and the private
   decoration (TN__PRIVATE: static and unused-tolerant) and helper macros every module
   uses are defined once. Nothing here is part of the API; names may change at any time. */
#include "base.h"
#include "tcp.h"          /* the private interface below names the public types */
#include "http_server.h"
#include "ws.h"           /* tn_ws_deflate_* for ws_deflate.c's private interface */

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
#if TN__LWIP
/* Firmware (TORNADO_PLATFORM_LWIP): lwIP's BSD socket API, called by its lwip_* names
   (TN__OS below), so the user's LWIP_COMPAT_SOCKETS and LWIP_POSIX_SOCKETS_IO_NAMES
   choices do not matter; poll through lwip_poll (LWIP_SOCKET_POLL). The clock and the
   random bytes come from the application's tn_port_* functions (platform.h). Another
   TCP/IP stack plugs in with headers and lwip_*-named functions of the same meaning. */
#  include <lwip/opt.h>
#  include <lwip/sockets.h>
#  include <lwip/inet.h>
#  if LWIP_DNS
#    include <lwip/netdb.h>
#  endif
#  if !LWIP_SOCKET
#    error "tornado.h: TORNADO_PLATFORM_LWIP needs lwIP's socket API (LWIP_SOCKET=1 in lwipopts.h)"
#  endif
#  if !LWIP_SOCKET_POLL
#    error "tornado.h: TORNADO_PLATFORM_LWIP waits with lwip_poll: set LWIP_SOCKET_POLL=1 in lwipopts.h"
#  endif
#  if !LWIP_NETIF_LOOPBACK && !LWIP_HAVE_LOOPIF
#    error "tornado.h: TORNADO_PLATFORM_LWIP wakes its loop over the loopback: set LWIP_NETIF_LOOPBACK=1 in lwipopts.h"
#  endif
#  if !LWIP_IPV6
/* An IPv4-only lwIP has no sockaddr_in6 and makes AF_INET6 AF_UNSPEC: net.c keeps its
   IPv6 code (a tn_addr's shape); lwip_inet_pton refuses IPv6 literals (TN_EINVAL) and a
   socket of that family fails (TN_ENOTSUP). */
struct sockaddr_in6 {
    u8_t sin6_len;
    sa_family_t sin6_family;
    in_port_t sin6_port;
    u32_t sin6_flowinfo;
    struct in6_addr sin6_addr;
    u32_t sin6_scope_id;
};
#    undef AF_INET6
#    define AF_INET6 10
#  endif
#  define TN__OS(name) lwip_##name
#  define TN__HAVE_GETADDRINFO LWIP_DNS   /* else numeric addresses only */
#  define TN__HAVE_UNIX_SOCKETS 0
#  define TN__HAVE_FORK 0
#elif defined(_WIN32)
/* Windows (Winsock 2, Vista or later: WSAPoll, inet_ntop, SRW locks, condition variables).
   A tn_socket is a SOCKET (platform.h spells it uintptr_t: the same type as UINT_PTR);
   platform.c maps WSAGetLastError() into TN_E* codes. */
#  include <winsock2.h>
#  include <ws2tcpip.h>
#  include <windows.h>
#  include <bcrypt.h>
#  if defined(_MSC_VER)
#    pragma comment(lib, "ws2_32")
#    pragma comment(lib, "bcrypt")
#    include <BaseTsd.h>
typedef SSIZE_T ssize_t;
#  endif
#  define TN__SOCK(fd) ((SOCKET)(fd))
#  define TN__OS(name) name
#  define TN__HAVE_GETADDRINFO 1
#  define TN__HAVE_UNIX_SOCKETS 0
#  define TN__HAVE_FORK 0
#else
#  include <sys/socket.h>
#  include <sys/un.h>
#  include <sys/uio.h>
#  include <sys/wait.h>
#  include <netinet/in.h>
#  include <netinet/tcp.h>
#  include <arpa/inet.h>
#  include <netdb.h>
#  include <poll.h>
#  include <unistd.h>
#  define TN__OS(name) name          /* the system's socket calls (lwIP: lwip_name) */
#  define TN__HAVE_GETADDRINFO 1
#  define TN__HAVE_UNIX_SOCKETS 1
#  define TN__HAVE_FORK 1
#endif
/* TORNADO_NO_RESOLVER: the paths of a platform without getaddrinfo (numeric addresses). */
#if !TN_HAS_RESOLVER
#  undef TN__HAVE_GETADDRINFO
#  define TN__HAVE_GETADDRINFO 0
#endif
/* TN__LINUX (config.h): Linux and not TORNADO_GENERIC_POSIX. Everything Linux-only below
   hangs off it, so the generic-POSIX build takes exactly the paths macOS and the BSDs take. */
#if TN__POLL_EPOLL
#  include <sys/epoll.h>
#endif
#if TN__LINUX
#  include <sys/eventfd.h>
#  define TN__HAVE_EVENTFD 1
#else
#  define TN__HAVE_EVENTFD 0
#endif
/* A peer's FIN reported without reading (poll's POLLRDHUP): Linux only. */
#if TN__LINUX && defined(POLLRDHUP)
#  define TN__HAVE_POLLRDHUP 1
#else
#  define TN__HAVE_POLLRDHUP 0
#endif
#if TN_HAS_THREADS && !defined(_WIN32)
#  include <pthread.h>
#endif
#if TN_HAS_OPENSSL
#  include <openssl/ssl.h>
#  include <openssl/err.h>
#  include <openssl/x509v3.h>
#  include <openssl/pem.h>
#endif
/* sendfile(2) for static files on plain sockets (Linux); elsewhere read + write. */
#if TN_HAS_FILESYSTEM && TN__LINUX
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
/* An open file (static files): a POSIX fd, or a Windows HANDLE; TN__FILE_NONE is none. */
#if TN_HAS_FILESYSTEM && defined(_WIN32)
typedef HANDLE tn__file;
#  define TN__FILE_NONE INVALID_HANDLE_VALUE
#else
typedef int tn__file;
#  define TN__FILE_NONE (-1)
#endif
/* SSE2 scanning in the HTTP parser and WebSocket masking; TORNADO_NO_SIMD forces the portable fallback. */
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__)) && !defined(TORNADO_NO_SIMD)
#  include <emmintrin.h>
#  define TN__HAVE_SSE2 1
#else
#  define TN__HAVE_SSE2 0
#endif
/* The HTTP parser's SSE4.2 scanners (SSSE3 byte shuffles), chosen at compile time when the
   compiler targets SSE4.2 (-msse4.2, -mavx2, -march=...). */
#if TN__HAVE_SSE2 && defined(__SSE4_2__)
#  include <nmmintrin.h>
#  define TN__HAVE_SSE42 1
#else
#  define TN__HAVE_SSE42 0
#endif
/* AVX2 (-mavx2, -march=...): the parser's 64-byte field-line bitmaps in two 32-byte blocks. */
#if TN__HAVE_SSE42 && defined(__AVX2__)
#  include <immintrin.h>
#  define TN__HAVE_AVX2 1
#else
#  define TN__HAVE_AVX2 0
#endif
/* Random bytes (crypto.c): getrandom() where glibc has it (2.25+), arc4random_buf() on the
   BSDs and Apple (declared in <stdlib.h>), BCryptGenRandom() on Windows. */
#if TN__LINUX && defined(__GLIBC__) && \
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

#if defined(__GLIBC__) && !defined(__USE_POSIX199309)
#  error "tornado.h: POSIX is hidden (strict -std=c99 and a system header came first). Include tornado.h before system headers where TORNADO_IMPLEMENTATION is defined, or build with -D_GNU_SOURCE."
#endif
/* GNU extensions (accept4, pipe2, SOCK_NONBLOCK) only where the includer got them. */
#if TN__LINUX && (defined(__USE_GNU) || (!defined(__GLIBC__) && defined(_GNU_SOURCE)))
#  define TN__HAVE_GNU 1
#else
#  define TN__HAVE_GNU 0
#endif

/* ---- private decoration and helpers ---- */
#if defined(TN__UNAMALGAMATED)
/* The unamalgamated build (make test's "unamalgamated" step) compiles each src/ file as its
   own translation unit and links them: private functions then need external linkage. Two
   modules defining one private name fail that link. */
#  define TN__PRIVATE
#  define TN__LIKELY(x) (x)
#  define TN__UNLIKELY(x) (x)
#elif defined(__GNUC__) || defined(__clang__)
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

/* SIGPIPE: MSG_NOSIGNAL per send on Linux (and the BSDs that have it, untested); SO_NOSIGPIPE
   per socket where defined (macOS, tn__socket and accept); with neither (and under
   TORNADO_GENERIC_POSIX, which leaves both out on Linux) the loop ignores SIGPIPE process-wide
   when it is created, if it was left at SIG_DFL (tn__ignore_sigpipe_once). */
#if defined(MSG_NOSIGNAL) && TN__LINUX
#  define TN__SEND_FLAGS MSG_NOSIGNAL
#else
#  define TN__SEND_FLAGS 0
#endif


/* ======================================================================================
   THE PRIVATE INTERFACE BETWEEN MODULES
   What one module offers the modules above it and nothing else: the types they embed and
   the functions they call, declared here once so every src/ file compiles on its own
   (the unamalgamated build). A module's struct fields stay in its .c file; only what is
   listed here crosses a module boundary. Grouped by the module that defines it.
   ====================================================================================== */

/* ---- platform.c ---- */
TN__PRIVATE int tn__err_from_errno(int e);
TN__PRIVATE int tn__last_err(void);
TN__PRIVATE uint32_t tn__clamp_u32(uint64_t v);
/* tn__fd_setup/tn__fd_close take sockets; on POSIX (tn_socket is int) pipes and files too. */
TN__PRIVATE int tn__fd_setup(tn_socket fd);
TN__PRIVATE void tn__fd_close(tn_socket fd);
TN__PRIVATE int tn__socket(int family, int type, tn_socket *out);
TN__PRIVATE int tn__pipe(int fds[2]);
TN__PRIVATE void tn__ignore_sigpipe_once(void);
/* The loop's wakeup channel: fds[0] is watched for reading, fds[1] signalled (may be equal). */
TN__PRIVATE int tn__wake_open(tn_socket fds[2]);
TN__PRIVATE void tn__wake_signal(tn_socket wfd);
TN__PRIVATE void tn__wake_drain(tn_socket rfd);
TN__PRIVATE void tn__wake_close(tn_socket fds[2]);
/* Socket calls: > 0 bytes (or 0: EOF for reads) or a TN_E* code (TN_EAGAIN: would block);
   EINTR retried, SIGPIPE suppressed, Winsock's types and errors hidden. */
TN__PRIVATE long tn__sock_peek(tn_socket fd, void *buf, size_t n);   /* recv(MSG_PEEK) */
TN__PRIVATE long tn__sock_recv(tn_socket fd, void *buf, size_t n);
TN__PRIVATE long tn__sock_send(tn_socket fd, const void *buf, size_t n);
TN__PRIVATE long tn__sock_sendv(tn_socket fd, const tn_str *bufs, int n);   /* n <= 16 */
/* Pipes and other plain fds (tn_stream_new_pipe): POSIX only (TN_ENOTSUP on Windows). */
TN__PRIVATE long tn__fd_read(int fd, void *buf, size_t n);
TN__PRIVATE long tn__fd_write(int fd, const void *buf, size_t n);
TN__PRIVATE long tn__fd_writev(int fd, const tn_str *bufs, int n);
TN__PRIVATE int tn__sock_shutdown_write(tn_socket fd);
/* An int socket option (setsockopt); TN_OK or a TN_E* code. */
TN__PRIVATE int tn__sock_setopt(tn_socket fd, int level, int name, int value);
/* The socket's pending error (SO_ERROR) as a TN_E* code, TN_OK if none (or not a socket). */
TN__PRIVATE int tn__sock_error(tn_socket fd);
/* connect: TN_OK (connected), TN_EAGAIN (in progress: wait for writability), or an error. */
TN__PRIVATE int tn__sock_connect(tn_socket fd, const struct sockaddr *sa, size_t len);
/* accept: the new socket non-blocking, close-on-exec/non-inheritable; TN_EAGAIN if none. */
TN__PRIVATE int tn__sock_accept(tn_socket lfd, tn_socket *out, struct sockaddr *sa, size_t *len);
/* bind + listen; getsockname/getpeername (which 0 = local, 1 = peer) */
TN__PRIVATE int tn__sock_bind_listen(tn_socket fd, const struct sockaddr *sa, size_t len, int backlog);
TN__PRIVATE int tn__sock_name(tn_socket fd, int which, struct sockaddr *sa, size_t *len);
#if TN_HAS_FILESYSTEM
/* Files (static files), a POSIX and a Win32 body. tn__file_open_under opens rel ('/'
   separated, already cleaned: no empty, ".", ".." segment, no backslash, not absolute;
   written to during the call, restored after) under root without leaving it: a symbolic
   link (a reparse point on Windows) is followed only when its target stays under the
   root's real path, or anywhere with follow_out; Windows also refuses names that mean
   something else there (tn__file_open_under's Win32 body). Returns TN_OK with *out and
   *info, TN_ENOENT (missing, a path through a non-directory, too long), TN_EACCES
   (refused: permissions, out of the root, a name Windows reads otherwise) or another
   TN_E* code. tn__file_pread: bytes read at off (0 at the end) or a TN_E* code. */
enum { TN__FILE_OTHER = 0, TN__FILE_REG = 1, TN__FILE_DIR = 2 };
typedef struct tn__file_info {
    uint64_t size;
    int64_t mtime;        /* Unix seconds */
    uint64_t id;          /* inode, or the volume's file index */
    uint64_t mtime_ns;    /* modification time in nanoseconds since 1970 (ETags) */
    int kind;             /* TN__FILE_* */
} tn__file_info;
TN__PRIVATE int tn__file_open_under(const char *root, char *rel, int follow_out, tn__file *out, tn__file_info *info);
TN__PRIVATE long tn__file_pread(tn__file f, void *buf, size_t n, uint64_t off);
TN__PRIVATE void tn__file_close(tn__file f);
#endif
/* Number of online processors (1 if unknown). */
TN__PRIVATE int tn__cpu_count(void);
/* Process-wide network start/stop, owned by loops (WSAStartup/WSACleanup; no-ops on POSIX). */
TN__PRIVATE int tn__net_startup(void);
TN__PRIVATE void tn__net_cleanup(void);
#if TN_HAS_THREADS
#  if defined(_WIN32)
typedef SRWLOCK tn__mutex;
typedef CONDITION_VARIABLE tn__cond;
typedef struct tn__thread { HANDLE h; void *(*fn)(void *); void *arg; } tn__thread;
#  else
typedef pthread_mutex_t tn__mutex;
typedef pthread_cond_t tn__cond;
typedef pthread_t tn__thread;
#  endif
#else
typedef int tn__mutex;
typedef int tn__cond;
typedef int tn__thread;
#endif
TN__PRIVATE int tn__mutex_init(tn__mutex *m);
TN__PRIVATE void tn__mutex_destroy(tn__mutex *m);
TN__PRIVATE void tn__mutex_lock(tn__mutex *m);
TN__PRIVATE void tn__mutex_unlock(tn__mutex *m);
#if TN_HAS_THREADS
/* Condition variables and threads (the threaded resolver): pthreads, or Win32's own. */
TN__PRIVATE int tn__cond_init(tn__cond *c);
TN__PRIVATE void tn__cond_destroy(tn__cond *c);
TN__PRIVATE void tn__cond_wait(tn__cond *c, tn__mutex *m);
TN__PRIVATE void tn__cond_signal(tn__cond *c);
TN__PRIVATE void tn__cond_broadcast(tn__cond *c);
/* Start fn(arg) on a new thread (t stays where it is until joined); TN_OK or TN_ESYS. */
TN__PRIVATE int tn__thread_start(tn__thread *t, void *(*fn)(void *), void *arg);
TN__PRIVATE void tn__thread_join(tn__thread *t);
#endif

/* ---- base.c ---- */
TN__PRIVATE void *tn__libc_alloc(size_t n, void *u);
TN__PRIVATE void *tn__libc_realloc(void *p, size_t n, void *u);
TN__PRIVATE void tn__libc_free(void *p, void *u);
/* The libc allocator (malloc, realloc, free): one constant every module points at. */
TN__PRIVATE const tn_allocator *tn__libc(void);
TN__PRIVATE int tn__allocator_resolve(const tn_allocator *in, tn_allocator *out);
TN__PRIVATE void *tn__alloc(const tn_allocator *a, size_t n);
TN__PRIVATE void *tn__calloc(const tn_allocator *a, size_t n);
TN__PRIVATE void *tn__realloc(const tn_allocator *a, void *p, size_t n);
TN__PRIVATE void tn__free(const tn_allocator *a, void *p);
TN__PRIVATE char *tn__strdup(const tn_allocator *a, const char *s);
TN__PRIVATE char *tn__strndup(const tn_allocator *a, const char *s, size_t n);
TN__PRIVATE int tn__grow(const tn_allocator *a, void **arr, size_t *cap, size_t need, size_t elem);
/* *v / d in place (1 <= d <= 65535), returning *v % d; no 64-bit division routine on 32-bit
   targets (tn__div64_small32 is that path, defined everywhere so it is tested everywhere). */
TN__PRIVATE uint32_t tn__div64_small32(uint64_t *v, uint32_t d);
TN__PRIVATE uint32_t tn__div64_small(uint64_t *v, uint32_t d);
TN__PRIVATE int tn__ring_grow(const tn_allocator *a, void **items, uint32_t *head, uint32_t len, uint32_t *cap, size_t elem);
TN__PRIVATE int tn__hexval(int c);
TN__PRIVATE int tn__lower(int c);
TN__PRIVATE int tn__is_alpha(int c);
TN__PRIVATE int tn__is_digit(int c);
TN__PRIVATE int tn__is_alnum(int c);
#if TN_HAS_LOG
TN__PRIVATE void tn__log_at(const tn_logger *lg, int level, int code, const char *file, int line,
                            const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
#  define TN__LOG(lg, level, code, ...) tn__log_at((lg), (level), (code), __FILE__, __LINE__, __VA_ARGS__)
#else
#  define TN__LOG(lg, level, code, ...) ((void)(lg), (void)(level), (void)(code))
#endif

/* ---- crypto.c ---- */
/* n (<= 64) random bytes from a pool refilled TN__RANDOM_POOL bytes at a time from
   tn_random_bytes (one system call for many WebSocket masks). *pool: the caller's slot (a
   loop's TN__LOOP_SLOT_RANDOM), allocated on first use, one plain allocation. Bytes handed
   out are wiped from the pool: never given twice. A new source (tn_random_set_source)
   empties every pool; without memory for the pool, every call goes to tn_random_bytes. */
TN__PRIVATE int tn__random_pooled(const tn_allocator *a, void **pool, void *out, size_t n);

/* ---- buf.c: formatter output (url, http_util): counts always, writes while the caller's
   buffer has room. The *_buf variants of a formatter run it twice: once to size (p NULL),
   then into reserved tn_buf space, so a tn_buf is never left half-written. ---- */
typedef struct tn__buf_w {
    char *p;
    size_t cap;
    size_t n;
    int full;
} tn__buf_w;
TN__PRIVATE void tn__buf_w_init(tn__buf_w *w, char *p, size_t cap);
TN__PRIVATE void tn__buf_w_put(tn__buf_w *w, const char *s, size_t k);
TN__PRIVATE void tn__buf_w_ch(tn__buf_w *w, char c);
TN__PRIVATE void tn__buf_w_u64(tn__buf_w *w, uint64_t v);
TN__PRIVATE int tn__buf_w_end(tn__buf_w *w, size_t *out_len);
TN__PRIVATE int tn__buf_w_reserve(tn__buf_w *w, tn_buf *b, size_t n);
/* tn__cbuf: a compact byte buffer for state held per connection (a stream's read and write
   buffers): the owner keeps one pointer, NULL while empty and holding no storage; the
   offsets live in a header at the front of the storage, so an idle owner pays 8 bytes, not
   a tn_buf's 40. Bytes live in [ptr, ptr + size); consuming advances the front; reserve
   grows (4 KB steps, at least doubling; the consumed front is reclaimed first) with the
   allocator the owner passes (always the same one). Releasing is the owner's: detach takes
   the storage away (NULL if none) with its whole size, to free or give back. adopt lays an
   empty buffer over storage of size bytes (tn__cbuf_fits: whether n bytes fit in it). */
typedef struct tn__cbuf tn__cbuf;
TN__PRIVATE int tn__cbuf_fits(size_t size, size_t n);
TN__PRIVATE tn__cbuf *tn__cbuf_adopt(char *p, size_t size);
TN__PRIVATE char *tn__cbuf_detach(tn__cbuf **bp, size_t *size);
TN__PRIVATE int tn__cbuf_reserve(const tn_allocator *a, tn__cbuf **bp, size_t n);
TN__PRIVATE int tn__cbuf_append(const tn_allocator *a, tn__cbuf **bp, const void *p, size_t n);
TN__PRIVATE void tn__cbuf_consume(tn__cbuf *b, size_t n);
/* Keep only the first n bytes (n <= size). */
TN__PRIVATE void tn__cbuf_truncate(tn__cbuf *b, size_t n);
TN__PRIVATE char *tn__cbuf_ptr(const tn__cbuf *b);
TN__PRIVATE size_t tn__cbuf_size(const tn__cbuf *b);
/* Filling in place: the free space after the bytes (room bytes at tail; reserve first),
   and n bytes written there taken in. */
TN__PRIVATE char *tn__cbuf_tail(const tn__cbuf *b);
TN__PRIVATE size_t tn__cbuf_room(const tn__cbuf *b);
TN__PRIVATE void tn__cbuf_commit(tn__cbuf *b, size_t n);

/* ---- loop.c ---- */
/* A deferred-callback node. Objects embed theirs (no allocation per deferral); the public
   tn_loop_defer/tn_loop_post allocate one. owner (may be NULL) cannot be finalised while
   one of its nodes is queued, so a deferred call never sees freed memory. */
typedef struct tn__defer tn__defer;
struct tn__defer {
    tn__defer *next;               /* queued: next set, or the queue's tail (no flag: every
                                      stream embeds one, so 8 bytes per connection) */
    void (*fn)(tn__defer *d);
    struct tn__handle *owner;
};

/* The base of every object a loop tracks (stream, server, async, resolver, ...).
   Closing is deferred: tn__handle_close queues the handle; the closing phase calls
   finalize (which calls the user's close callback and frees the object) once no deferred
   node of the handle is queued. */
typedef struct tn__handle tn__handle;
typedef struct tn__handle_type {      /* one static instance per kind of handle */
    char kind[16];                    /* "stream", "tcp_server", ... for reports (an array, not
                                         a pointer: no string kept in the shared string section) */
    void (*finalize)(tn__handle *h);  /* close callback + free; runs once */
} tn__handle_type;
struct tn__handle {
    tn_loop *loop;
    tn__handle *prev, *next;          /* the live list; once closing, next links the closing queue */
    const tn__handle_type *type;
    int closing;                      /* close requested (queued or finalised) */
    unsigned pending;                 /* deferred nodes of this handle still queued */
};

/* The loop's fd table is indexed by slot; TN__FD_MAP 1: slots are dense indices a hash map
   gives each socket (Windows, where a SOCKET is a handle value), 0: the slot is the fd
   (POSIX, lwIP). Tests may force the map elsewhere with -DTN__FD_MAP=1. */
#if !defined(TN__FD_MAP)
#  if defined(_WIN32)
#    define TN__FD_MAP 1
#  else
#    define TN__FD_MAP 0
#  endif
#endif
/* A poller's report: the watcher's slot in the loop's fd table (the fd itself on POSIX and
   lwIP; Windows: a dense index, see loop.c) and what happened. */
typedef struct tn__fired { int slot; int events; } tn__fired;

/* Internal interest: the peer closed (or half-closed) the connection, reported without
   reading (epoll EPOLLRDHUP, poll POLLRDHUP). Lets a stream notice a departed client while
   it deliberately reads nothing (backpressure). Where unsupported it never fires. */
#define TN__EV_RDHUP 0x010
/* 1 when the compiled backend reports TN__EV_RDHUP; else streams peek (tn__stream_peek_close). */
#define TN__HAVE_RDHUP (TN__POLL_EPOLL || (TN__POLL_POLL && TN__HAVE_POLLRDHUP))

TN__PRIVATE void tn__handle_init(tn_loop *loop, tn__handle *h, const tn__handle_type *type);
TN__PRIVATE int tn__handle_close(tn__handle *h);
TN__PRIVATE void tn__defer_init(tn__defer *d, void (*fn)(tn__defer *), tn__handle *owner);
TN__PRIVATE void tn__defer_queue(tn_loop *loop, tn__defer *d);
TN__PRIVATE void tn__defer_unqueue(tn_loop *loop, tn__defer *d);
TN__PRIVATE tn_allocator *tn__loop_alloc(const tn_loop *loop);
TN__PRIVATE char *tn__loop_scratch_lend(tn_loop *loop);
TN__PRIVATE int tn__loop_scratch_back(tn_loop *loop, const char *p);
/* Buffer blocks of TN__LOOP_BLOCK bytes (the loop's allocator) that streams borrow for a
   small read or write buffer and give back when it empties: busy connections then call no
   allocator per request (and the heap does not shrink and refault between requests). The
   loop keeps as many spare blocks as were once out together, and frees all but
   TN__LOOP_BLOCKS_KEEP of them when a poll wait ends with nothing ready (the load is
   gone). take returns NULL when out of memory. */
#define TN__LOOP_BLOCK 4096
#define TN__LOOP_BLOCKS_KEEP 8
TN__PRIVATE char *tn__loop_block_take(tn_loop *loop);
TN__PRIVATE void tn__loop_block_give(tn_loop *loop, char *p);
TN__PRIVATE const tn_logger *tn__loop_logger(const tn_loop *loop);
/* Watch fd for an object of the library (internal = 1: counted as its handle, not a user fd). */
TN__PRIVATE int tn__loop_add_fd(tn_loop *loop, tn_socket fd, int events, tn_fd_cb cb, void *user, int internal);
#define TN__LLOG(loop, level, code, ...) TN__LOG(tn__loop_logger(loop), level, code, __VA_ARGS__)
/* For the poller backend (poll_*.c): room for n fired events, the array, the state slot. */
TN__PRIVATE int tn__loop_fired_reserve(tn_loop *loop, size_t n);
TN__PRIVATE tn__fired *tn__loop_fired(tn_loop *loop);
TN__PRIVATE void **tn__loop_backend(tn_loop *loop);
/* Per-loop state of other modules, one pointer each (tn__loop_slot): the random pool
   (crypto.c, tn__random_pooled), the WebSocket options shared by connections and the
   buffer WebSocket clients mask their frames in (ws_conn.c), allocations the loop frees;
   then pointers to static data the loop leaves alone: the stream's completion code of the
   read kinds a program may never start (stream.c, tn__stream_rdk: one slot a kind, set by
   the kind's starter). */
enum {
    TN__LOOP_SLOT_RANDOM, TN__LOOP_SLOT_WS, TN__LOOP_SLOT_WS_TX, TN__LOOP_SLOTS_HEAP,
    TN__LOOP_SLOT_RD_BYTES = TN__LOOP_SLOTS_HEAP, TN__LOOP_SLOT_RD_UNTIL, TN__LOOP_SLOT_RD_INTO, TN__LOOP_SLOTS
};
TN__PRIVATE void **tn__loop_slot(tn_loop *loop, int which);

/* ---- the poller backend contract (one backend compiled in; see poll_*.c) ---- */
/* On failure what tn__poll_init set up stays for tn__poll_free (the loop's release). */
TN__PRIVATE int tn__poll_init(tn_loop *loop);
TN__PRIVATE void tn__poll_free(tn_loop *loop);
/* fd and the loop's slot for it (equal on POSIX and lwIP); tn__poll_wait reports slots. */
TN__PRIVATE int tn__poll_add(tn_loop *loop, tn_socket fd, int slot, int events);
TN__PRIVATE int tn__poll_mod(tn_loop *loop, tn_socket fd, int slot, int events);
TN__PRIVATE int tn__poll_del(tn_loop *loop, tn_socket fd, int slot);
/* Wait up to timeout_ms (-1 = forever) and fill loop->fired; returns the count or an error. */
TN__PRIVATE int tn__poll_wait(tn_loop *loop, int timeout_ms);
TN__PRIVATE const char *tn__poll_name(void);
/* One fd that is readable when the backend has events (epoll), else TN_INVALID_SOCKET. */
TN__PRIVATE tn_socket tn__poll_fd(tn_loop *loop);

/* ---- net.c ---- */
TN__PRIVATE int tn__net_accept(tn_socket lfd, tn_socket *out, tn_addr *peer);
TN__PRIVATE const struct sockaddr *tn__net_csa(const tn_addr *a);

/* ---- stream.c ---- */
#define TN__IOV_MAX 16
/* A transport moves bytes for a stream: the plain socket and pipe transports in stream.c,
   TLS in tls.c. read/write return > 0 bytes, 0 (read: EOF), or a negative TN_E* code
   (TN_EAGAIN: try again when the fd is ready). shutdown ends the write side (a socket's
   FIN; a TLS transport sends close_notify first); free releases the transport's state (the
   stream's transport slot, tn__stream_transport) when the stream goes. Every caller above
   the stream goes through these, so a transport plugs in under all of them unchanged.
   The optional hooks (NULL for plain sockets, whose fast path never looks further) serve
   a transport with a life of its own (TLS: a handshake, ciphertext it queued itself):
     pending  1 when it holds input the fd will not announce (decrypted or undecrypted
              bytes already read from the socket): the stream reads again without waiting
     ready    the fd became ready for what the transport asked (tn__stream_transport_want):
              make progress (send queued bytes, continue a handshake); < 0 closes the stream
     closing  the stream is closing and its fd is still open (cause TN_OK: a graceful
              close, the time for a goodbye such as close_notify)
     closed   the close sequence begins, from the loop, before the pending callbacks run */
typedef struct tn__transport_ops {
    long (*read)(tn_stream *s, void *buf, size_t n);
    long (*write)(tn_stream *s, const void *buf, size_t n);
    long (*writev)(tn_stream *s, const tn_str *bufs, int n);   /* gather write, n <= TN__IOV_MAX */
    int (*shutdown)(tn_stream *s);
    void (*free)(tn_stream *s);                                 /* may be NULL */
    int (*pending)(const tn_stream *s);                         /* the rest may be NULL too */
    int (*ready)(tn_stream *s);
    void (*closing)(tn_stream *s, int cause);
    void (*closed)(tn_stream *s, int cause);
} tn__transport_ops;

/* Interest a transport asks of the loop beyond the stream's own (tn__stream_transport_want):
   TN_EV_READ and/or TN_EV_WRITE, plus TN__TP_BLOCKED: the transport cannot take writes
   now, so queued plaintext alone does not make the stream watch for writability. */
#define TN__TP_BLOCKED 0x80

/* The owner of a stream (a tcp server) learns when the stream's memory goes
   (tn__stream_set_owner). */
typedef struct tn__stream_owner tn__stream_owner;
struct tn__stream_owner { void (*on_free)(tn_stream *s, tn__stream_owner *o); };

TN__PRIVATE int tn__stream_new_own_socket(tn_loop *loop, tn_socket fd, const tn_stream_opts *opts, size_t extra, tn_stream **out);
TN__PRIVATE void *tn__stream_extra(tn_stream *s);
TN__PRIVATE tn_stream *tn__stream_from_extra(void *extra);
TN__PRIVATE void tn__stream_set_owner(tn_stream *s, tn__stream_owner *o);
TN__PRIVATE tn__stream_owner *tn__stream_get_owner(const tn_stream *s);
TN__PRIVATE void tn__stream_set_transport(tn_stream *s, const tn__transport_ops *ops, void *state);
TN__PRIVATE void *tn__stream_transport(const tn_stream *s);
TN__PRIVATE const tn__transport_ops *tn__stream_transport_ops(const tn_stream *s);
TN__PRIVATE void tn__stream_transport_want(tn_stream *s, int events);
TN__PRIVATE tn__handle *tn__stream_handle(tn_stream *s);
TN__PRIVATE int tn__stream_fill(tn_stream *s, size_t seen, tn_read_cb cb, void *user);
TN__PRIVATE tn_str tn__stream_peek(const tn_stream *s);
TN__PRIVATE size_t tn__stream_unread(const tn_stream *s);
TN__PRIVATE void tn__stream_consume(tn_stream *s, size_t n);
TN__PRIVATE void tn__stream_truncate(tn_stream *s, size_t n);
TN__PRIVATE void tn__stream_cork(tn_stream *s, int on);
TN__PRIVATE int tn__stream_corked(const tn_stream *s);
/* A protocol layer whose fill callbacks keep offsets into the read buffer, never pointers,
   once they return (the WebSocket layer; not the HTTP server, whose requests are slices of
   it) lets its reads go in the loop's buffer, as the public read kinds' always do: no copy
   and no allocation for what one read brings; what the callbacks leave is kept as usual. */
TN__PRIVATE void tn__stream_lend_reads(tn_stream *s, int on);
TN__PRIVATE int tn__stream_write_space(tn_stream *s, size_t n, char **out);
TN__PRIVATE int tn__stream_write_commit(tn_stream *s, size_t n);
TN__PRIVATE int tn__stream_shutdown_write(tn_stream *s);
TN__PRIVATE void tn__stream_watch_close(tn_stream *s, int on);
TN__PRIVATE int tn__stream_sendfile(tn_stream *s, int file_fd, int64_t offset, uint64_t count, tn_write_cb cb, void *user);
TN__PRIVATE int tn__stream_quiet(const tn_stream *s);
TN__PRIVATE tn_close_cb tn__stream_close_cb(const tn_stream *s);

/* ---- tls.c ---- */
#if TN_HAS_OPENSSL
TN__PRIVATE void tn__tls_ctx_ref(tn_tls_ctx *ctx);
#endif

/* ---- tcp.c ---- */
TN__PRIVATE void tn__tcp_server_set_conn_extra(tn_tcp_server *srv, size_t n);
TN__PRIVATE void *tn__tcp_conn_state(tn_stream *s);
TN__PRIVATE tn_stream *tn__tcp_conn_stream(void *state);
TN__PRIVATE void *tn__tcp_conn_server_user(const tn_stream *s);
TN__PRIVATE void tn__tcp_server_each(tn_tcp_server *srv, void (*fn)(tn_stream *s, void *ctx), void *ctx);

/* ---- http_parse.c ---- */
TN__PRIVATE int tn__http_is_tchar(int c);
/* url.c: RFC 3986 byte classes (unreserved, sub-delims, ':', '%'), for the router's pchars */
enum { TN__URL_U = 1, TN__URL_S = 2, TN__URL_COLON = 4, TN__URL_PCT = 8 };
TN__PRIVATE int tn__url_is(int c, unsigned mask);

/* ---- http_server.c ---- */
#if TN_HAS_HTTP_SERVER
TN__PRIVATE int tn__response_remove_header(tn_request *r, const char *name, const char *prefix);
/* tn_response_set_header for a name and value the caller vouches for (a token that is no
   framing field; no control byte in the value): the checks that need the HTTP grammar are
   skipped, so a layer whose only headers are its own does not link them. */
TN__PRIVATE int tn__response_set_known(tn_request *r, const char *name, const char *value);
/* tn_response_clear_header for a name that is not Connection. */
TN__PRIVATE int tn__response_clear_known(tn_request *r, const char *name);
TN__PRIVATE int tn__response_error_html(tn_buf *out, int status, const char *reason, int (*escape)(tn_buf *, tn_str));
/* A detached connection's spare bytes (tn__hs_spare_size of them) and back. */
TN__PRIVATE size_t tn__hs_spare_size(void);
TN__PRIVATE void *tn__hs_spare(tn_stream *s);
TN__PRIVATE tn_stream *tn__hs_spare_stream(void *spare);
#if TN_HAS_DEFLATE
/* 1 if the server's compress_response would gzip this response now (the option, the
   client's Accept-Encoding, the status, the Content-Type set, no Content-Encoding). */
TN__PRIVATE int tn__response_gzip_wanted(tn_request *r, int status);
#endif
#if TN_HAS_FILESYSTEM
TN__PRIVATE int tn__response_sendfile(tn_request *req, int file_fd, int64_t offset, uint64_t count,
                                      tn_response_cb cb, void *user);
#endif
#endif

/* ---- ws_deflate.c (the ws module's permessage-deflate state, used by ws_conn.c) ---- */
#if TN_HAS_WEBSOCKET && TN_HAS_DEFLATE
typedef struct tn__ws_z tn__ws_z;
/* Streaming receive: a piece of the decompressed message (last: its end); nonzero stops. */
typedef int (*tn__ws_z_sink)(void *user, const char *data, size_t len, int last);
/* Compressor + decompressor for agreed params p (client: our side is the client). */
TN__PRIVATE int tn__ws_z_new(const tn_allocator *a, const tn_ws_deflate_opts *o, const tn_ws_deflate_params *p,
                             int client, tn__ws_z **out);
TN__PRIVATE void tn__ws_z_free(tn__ws_z *z);
TN__PRIVATE void tn__ws_z_params(const tn__ws_z *z, tn_ws_deflate_params *out);
TN__PRIVATE size_t tn__ws_z_memory(const tn__ws_z *z);
/* Compress a message or fragment (sync flush; fin drops the 00 00 ff ff tail). *out is
   valid until the next call. */
TN__PRIVATE int tn__ws_z_deflate(tn__ws_z *z, const void *data, size_t len, int fin, tn_str *out);
/* The last tn__ws_z_deflate output was not sent: the compressor starts afresh. */
TN__PRIVATE void tn__ws_z_unsend(tn__ws_z *z);
/* Decompress a piece of a message's payload (first: the message starts; last: it ends,
   the tail is appended). Without sink the message gathers (tn__ws_z_message) up to limit
   bytes; with sink it is handed over in pieces. Returns TN_OK, TN_EWS_TOO_BIG,
   TN_EWS_BAD_UTF8 (text), TN_EBAD_DEFLATE, TN_ENOMEM, TN_ECANCELED (the sink said stop). */
TN__PRIVATE int tn__ws_z_inflate(tn__ws_z *z, const char *in, size_t len, int first, int last, int text,
                                 uint64_t limit, tn__ws_z_sink sink, void *user);
TN__PRIVATE tn_str tn__ws_z_message(const tn__ws_z *z);
/* The message was handed over: forget it (big buffers are freed). */
TN__PRIVATE void tn__ws_z_done(tn__ws_z *z);
#endif

#endif /* TN_INTERNAL_H */
