/* tornado.h v0.1.0: Tornado's networking core as one C header (MIT license, see LICENSE).
   Generated from src/ by amalgamate.py; edit src/, not this file.

   TABLE OF CONTENTS  (search ">>name" to jump to a module)
     declarations (always compiled)
       >>config.h       compile-time toggles and limits, version, and the user guide.
       >>platform.h     public platform types (sockets), API decoration, C++ linkage.
       >>base.h         result codes, allocator and logger hooks, monotonic clock, tn_str slices.
       >>buf.h          tn_buf, a growable byte buffer with a consumable front.
       >>loop.h         event loop: fd watchers, timer heap, deferred callbacks, thread-safe post, run modes.
       >>crypto.h       SHA-1, SHA-256, HMAC, constant-time compare, base64, hex, UTF-8 validation, random bytes.
       >>http_cookie.h  Cookie header parsing, Set-Cookie formatting, Tornado signed values (v2), HTTP Basic auth.
     implementation (compiled where TORNADO_IMPLEMENTATION is defined)
       >>platform.c     system includes, private macros, errno mapping, fd flags, clock, locks.
       >>base.c         result code names, tn_str helpers, allocator wrappers, logging.
       >>buf.c          tn_buf implementation.
       >>loop.c         the event loop: handles, deferred queue, timer heap, fd table, wakeup, run.
       >>poll_epoll.c   the epoll backend (Linux, level-triggered).
       >>poll_poll.c    the portable poll() backend (any POSIX system; also the test reference).
       >>crypto.c       SHA-1, SHA-256, HMAC, constant-time compare, base64, hex, UTF-8 validation, random bytes.
       >>http_cookie.c  Cookie header parsing, Set-Cookie formatting, Tornado signed values (v2), HTTP Basic auth.

   QUICK START, TOGGLES, LIMITS, ALLOCATOR, ERRORS & LOGGING, THREADING: see >>config.h below. */

#ifndef TORNADO_H_INCLUDED
#define TORNADO_H_INCLUDED

/* ======================================================================== */
/* >>config.h  (src/config.h)                                               */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/config.h"
#endif
/* config.h: compile-time toggles and limits, version, and the user guide. */
/*
   QUICK START
   -----------
   Do this in exactly one C or C++ file:

       #define TORNADO_IMPLEMENTATION
       #include "tornado.h"

   Other files include "tornado.h" without the define. A TCP echo server:

       static void on_read(tn_stream *s, int status, tn_str data, void *user);
       static void start_read(tn_stream *s) {
           tn_stream_read_bytes(s, 65536, TN_READ_PARTIAL, on_read, NULL);
       }
       static void on_read(tn_stream *s, int status, tn_str data, void *user) {
           (void)user;
           if (status < 0) return;                  // closed: the stream frees itself
           tn_stream_write(s, data.ptr, data.len, NULL, NULL);   // copies
           start_read(s);
       }
       static void on_conn(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
           (void)srv; (void)peer; (void)user;
           start_read(s);
       }
       int main(void) {
           tn_loop *loop;
           tn_tcp_server *srv;
           if (tn_loop_new(NULL, &loop) != 0) return 1;          // NULL options = defaults
           if (tn_tcp_server_new(loop, NULL, on_conn, NULL, &srv) != 0) return 1;
           if (tn_tcp_server_listen(srv, "127.0.0.1", 8888) != 0) return 1;
           return tn_loop_run(loop);         // or tn_loop_run_once(loop, 0) once per frame
       }

   CONVENTIONS
   -----------
   - Fallible calls return 0 (TN_OK) or a negative TN_E* code; tn_strerror(code) names it.
   - Options structs work zeroed: 0 means "the default" (documented above each struct).
   - Callbacks are never called from inside the call that scheduled them; they run from the
     loop. If a call that takes a callback fails, the callback is never called; otherwise it
     is called exactly once (streaming reads: once per chunk, then once more to finish).
   - Data handed to a callback as tn_str is borrowed: valid until the callback returns.
   - Writes copy: the caller's memory is free again when the call returns.
   - Objects close with tn_x_close(obj, cb, user), callable from any callback; memory is
     released after the close callback. No callback of an object fires after its close cb.

   TOGGLES  (define before including; the same set in every file that includes tornado.h)
   -------
     macro                      default   effect
     TORNADO_IMPLEMENTATION     off       compile the implementation into this file
     TORNADO_STATIC             off       make every function static (private copy per file)
     TORNADO_NO_THREADS         off       no pthread: no locks, no threaded resolver;
                                          tn_loop_post is then loop-thread only
     TORNADO_NO_LOG             off       compile logging out
     TORNADO_POLL_EPOLL         auto      force the epoll backend (Linux; default there)
     TORNADO_POLL_POLL          auto      force the poll() backend (default elsewhere)
     TORNADO_LINE_DIRECTIVES    off       #line directives pointing into src/ (development)
     TN_ASSERT(x)               assert()  checks for programmer errors (never peer input)

   LIMITS AND DEFAULTS  (each overridable with -D; options structs override per object)
   -------------------
     macro                               default      what
     TORNADO_MAX_BUFFER_SIZE             104857600    stream read buffer cap (100 MB)
     TORNADO_READ_CHUNK_SIZE             65536        bytes asked of the kernel per read
     TORNADO_MAX_WRITE_BUFFER_SIZE       0            stream write buffer cap (0 = none)
     TORNADO_BACKLOG                     128          listen() backlog
     TORNADO_ACCEPT_BATCH                128          accepts per readable event
     TORNADO_MAX_DEFERRED_PER_ITER       4096         deferred callbacks run per iteration
     TORNADO_CONNECT_TIMEOUT_MS          20000        tcp connect (resolve included)
     TORNADO_HAPPY_EYEBALLS_DELAY_MS     300          head start of the first family
     TORNADO_RESOLVER_THREADS            4            threads of the threaded resolver
     TORNADO_MAX_POLL_WAIT_MS            3600000      longest single wait in the poller

   ALLOCATOR
   ---------
   tn_loop_opts.allocator = { alloc, realloc, free, user }: every object of that loop
   allocates through it (all NULL = libc; a partial set is TN_EINVAL). Out of memory is
   TN_ENOMEM for the operation that needed memory, never a crash. With threads, post() and
   the threaded resolver may call the allocator from other threads.

   ERRORS & LOGGING
   ----------------
   Codes: the TN__ERRORS list in >>base.h. tn_loop_opts.logger = { func, user } receives
   (user, level, code, message, file, line); the library is silent without one.

   THREADING
   ---------
   One thread per loop. tn_loop_post() is the one call safe from any thread; tn_async_send()
   is safe from any thread and from signal handlers. Everything else: the loop's thread.
*/
/* The implementation needs POSIX and a few GNU calls (accept4, pipe2). Ask glibc for them
   when the includer has not; this works when tornado.h comes before any system header in
   the file that defines TORNADO_IMPLEMENTATION (or compile with -D_GNU_SOURCE). */
#if defined(TORNADO_IMPLEMENTATION) && defined(__linux__) && !defined(_GNU_SOURCE)
#  define _GNU_SOURCE 1
#endif

#ifndef TORNADO_VERSION
#define TORNADO_VERSION_MAJOR 0
#define TORNADO_VERSION_MINOR 1
#define TORNADO_VERSION_PATCH 0
#define TORNADO_VERSION "0.1.0"
#endif

/* ---- feature toggles → internal 0/1 macros (only these are tested in code) ---- */
#if defined(TORNADO_NO_THREADS)
#  define TN_HAS_THREADS 0
#else
#  define TN_HAS_THREADS 1
#endif

#if defined(TORNADO_NO_LOG)
#  define TN_HAS_LOG 0
#else
#  define TN_HAS_LOG 1
#endif

/* ---- poller backend: autodetect, or forced by TORNADO_POLL_* ---- */
#if defined(TORNADO_POLL_EPOLL) && defined(TORNADO_POLL_POLL)
#  error "tornado.h: define at most one TORNADO_POLL_* backend"
#endif
#if defined(TORNADO_POLL_EPOLL)
#  if !defined(__linux__)
#    error "tornado.h: TORNADO_POLL_EPOLL needs Linux"
#  endif
#  define TN__POLL_EPOLL 1
#  define TN__POLL_POLL 0
#elif defined(TORNADO_POLL_POLL)
#  define TN__POLL_EPOLL 0
#  define TN__POLL_POLL 1
#elif defined(__linux__)
#  define TN__POLL_EPOLL 1
#  define TN__POLL_POLL 0
#else
#  define TN__POLL_EPOLL 0
#  define TN__POLL_POLL 1
#endif

/* ---- limits (0 in an options struct means: use these) ---- */
#ifndef TORNADO_MAX_BUFFER_SIZE
#define TORNADO_MAX_BUFFER_SIZE 104857600u
#endif
#ifndef TORNADO_READ_CHUNK_SIZE
#define TORNADO_READ_CHUNK_SIZE 65536u
#endif
#ifndef TORNADO_MAX_WRITE_BUFFER_SIZE
#define TORNADO_MAX_WRITE_BUFFER_SIZE 0u
#endif
#ifndef TORNADO_BACKLOG
#define TORNADO_BACKLOG 128
#endif
#ifndef TORNADO_ACCEPT_BATCH
#define TORNADO_ACCEPT_BATCH 128
#endif
#ifndef TORNADO_MAX_DEFERRED_PER_ITER
#define TORNADO_MAX_DEFERRED_PER_ITER 4096
#endif
#ifndef TORNADO_CONNECT_TIMEOUT_MS
#define TORNADO_CONNECT_TIMEOUT_MS 20000u
#endif
#ifndef TORNADO_HAPPY_EYEBALLS_DELAY_MS
#define TORNADO_HAPPY_EYEBALLS_DELAY_MS 300u
#endif
#ifndef TORNADO_RESOLVER_THREADS
#define TORNADO_RESOLVER_THREADS 4
#endif
#ifndef TORNADO_MAX_POLL_WAIT_MS
#define TORNADO_MAX_POLL_WAIT_MS 3600000u
#endif
/* <<config.h  end of src/config.h */

/* ======================================================================== */
/* >>platform.h  (src/platform.h)                                           */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/platform.h"
#endif
/* platform.h: public platform types (sockets), API decoration, C++ linkage. */
#include <stddef.h>
#include <stdint.h>

#if defined(TORNADO_STATIC)
#  define TN_API static
#else
#  define TN_API extern
#endif

#ifdef __cplusplus
#  define TN__BEGIN_DECLS extern "C" {
#  define TN__END_DECLS }
#else
#  define TN__BEGIN_DECLS
#  define TN__END_DECLS
#endif

TN__BEGIN_DECLS

/* A socket or file descriptor. POSIX: an int; invalid is TN_INVALID_SOCKET (-1). */
typedef int tn_socket;
#define TN_INVALID_SOCKET (-1)

TN__END_DECLS
/* <<platform.h  end of src/platform.h */

/* ======================================================================== */
/* >>base.h  (src/base.h)                                                   */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/base.h"
#endif
/* base.h: result codes, allocator and logger hooks, monotonic clock, tn_str slices. */
/* #include "platform.h" (inlined above) */

TN__BEGIN_DECLS

/* ---- result codes ------------------------------------------------------------------
   Every fallible call returns TN_OK (0) or one of these negative codes. The list is the
   single source of the enum, tn_strerror() and tn_err_name(). */
#define TN__ERRORS(X)                                                                  \
    X(TN_EINVAL,            -1,  "invalid argument")                                  \
    X(TN_ENOMEM,            -2,  "out of memory")                                     \
    X(TN_EAGAIN,            -3,  "resource temporarily unavailable")                  \
    X(TN_ECLOSED,           -4,  "object is closed")                                  \
    X(TN_ECANCELED,         -5,  "operation canceled")                                \
    X(TN_ETIMEOUT,          -6,  "timed out")                                         \
    X(TN_EEOF,              -7,  "end of stream")                                     \
    X(TN_ERESET,            -8,  "connection reset by peer")                          \
    X(TN_EREFUSED,          -9,  "connection refused")                                \
    X(TN_EUNREACH,          -10, "network or host unreachable")                       \
    X(TN_EADDRINUSE,        -11, "address already in use")                            \
    X(TN_EADDRNOTAVAIL,     -12, "address not available")                             \
    X(TN_EACCES,            -13, "permission denied")                                 \
    X(TN_EEXIST,            -14, "already exists")                                    \
    X(TN_ENOENT,            -15, "no such entry")                                     \
    X(TN_ENOTSUP,           -16, "not supported")                                     \
    X(TN_EBUSY,             -17, "busy: an operation of this kind is already pending") \
    X(TN_EBUFFER_FULL,      -18, "buffer limit reached")                              \
    X(TN_ELIMIT,            -19, "limit exceeded")                                    \
    X(TN_ERESOLVE,          -20, "name resolution failed")                            \
    X(TN_EPIPE,             -21, "broken pipe")                                       \
    X(TN_ENOTCONN,          -22, "not connected")                                     \
    X(TN_EMFILE,            -23, "too many open files")                               \
    X(TN_ESYS,              -24, "system error")                                      \
    X(TN_EINCOMPLETE,       -25, "incomplete input")                                  \
    X(TN_EPARSE,            -26, "malformed input")                                   \
    X(TN_EBAD_METHOD,       -27, "invalid request method")                            \
    X(TN_EBAD_TARGET,       -28, "invalid request target")                            \
    X(TN_EBAD_VERSION,      -29, "invalid HTTP version")                              \
    X(TN_EBAD_STATUS,       -30, "invalid status line")                               \
    X(TN_EBAD_HEADER_NAME,  -31, "invalid header name")                               \
    X(TN_EBAD_HEADER_VALUE, -32, "invalid header value")                              \
    X(TN_ETOO_MANY_HEADERS, -33, "too many headers")                                  \
    X(TN_EHEADER_TOO_LARGE, -34, "header section too large")                          \
    X(TN_EURI_TOO_LONG,     -35, "request target too long")                           \
    X(TN_EBAD_CONTENT_LENGTH, -36, "invalid Content-Length")                          \
    X(TN_EBAD_TRANSFER_ENCODING, -37, "invalid Transfer-Encoding")                    \
    X(TN_EUNSUPPORTED_TE,   -38, "unsupported transfer coding")                       \
    X(TN_EBAD_CHUNK,        -39, "invalid chunked encoding")                          \
    X(TN_EBODY_TOO_LARGE,   -40, "body too large")                                    \
    X(TN_EBAD_URL,          -41, "invalid URL")                                       \
    X(TN_EBAD_ENCODING,     -42, "invalid percent, base64 or UTF-8 encoding")          \
    X(TN_EBAD_MULTIPART,    -43, "invalid multipart body")                            \
    X(TN_EBAD_SIGNATURE,    -44, "signature mismatch")                                \
    X(TN_EEXPIRED,          -45, "expired")                                           \
    X(TN_EBAD_RANGE,        -46, "invalid or unsatisfiable range")

enum {
    TN_OK = 0,
#define TN__ERR_ENUM(name, value, text) name = value,
    TN__ERRORS(TN__ERR_ENUM)
#undef TN__ERR_ENUM
    TN__ERR_LAST_
};

/* A human-readable message for a code (never NULL; "unknown error" for foreign codes). */
TN_API const char *tn_strerror(int code);
/* The code's symbolic name, e.g. "TN_ETIMEOUT" ("TN_OK" for 0, "?" when unknown). */
TN_API const char *tn_err_name(int code);

/* ---- tn_str: a borrowed, length-counted byte slice (not NUL-terminated) ---- */
typedef struct tn_str {
    const char *ptr;   /* first byte (may be NULL when len is 0) */
    size_t len;        /* number of bytes */
} tn_str;

TN_API tn_str tn_str_make(const char *ptr, size_t len);
TN_API tn_str tn_str_c(const char *cstr);           /* from a C string (NULL → empty) */
TN_API int tn_str_eq(tn_str a, tn_str b);            /* byte equality: 1 or 0 */
TN_API int tn_str_ieq(tn_str a, tn_str b);           /* ASCII case-insensitive equality */
TN_API int tn_str_eq_c(tn_str a, const char *cstr);  /* equal to a C string: 1 or 0 */

/* ---- allocator hook ----------------------------------------------------------------
   tn_allocator: how a loop (and everything attached to it) gets memory.
   All three NULL: libc malloc/realloc/free. A partial set is rejected with TN_EINVAL.
   alloc/realloc return NULL on failure; the library turns that into TN_ENOMEM. */
typedef struct tn_allocator {
    void *(*alloc)(size_t size, void *user);
    void *(*realloc)(void *ptr, size_t size, void *user);
    void (*free)(void *ptr, void *user);
    void *user;
} tn_allocator;

/* ---- logger hook -------------------------------------------------------------------
   tn_logger: receives library log lines; the library is silent when func is NULL.
   code is a TN_E* value (0 if none); file/line locate the message in the source. */
enum { TN_LOG_ERROR = 1, TN_LOG_WARN = 2, TN_LOG_INFO = 3, TN_LOG_DEBUG = 4 };
typedef struct tn_logger {
    void (*func)(void *user, int level, int code, const char *msg, const char *file, int line);
    void *user;
    int level;   /* most verbose level delivered; 0 = TN_LOG_INFO */
} tn_logger;

/* ---- clock -------------------------------------------------------------------------- */
/* Monotonic time in milliseconds / nanoseconds from an unspecified start. */
TN_API uint64_t tn_time_ms(void);
TN_API uint64_t tn_time_ns(void);

TN__END_DECLS
/* <<base.h  end of src/base.h */

/* ======================================================================== */
/* >>buf.h  (src/buf.h)                                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/buf.h"
#endif
/* buf.h: tn_buf, a growable byte buffer with a consumable front. */
/* #include "base.h" (inlined above) */

TN__BEGIN_DECLS

/* tn_buf: bytes live in data[head .. len); consuming from the front advances head, and
   space is reclaimed (compacted) when the buffer must grow. Zero-init plus an allocator
   (NULL = libc) via tn_buf_init. Growth rounds up to 4 KB and at least doubles. */
typedef struct tn_buf {
    char *data;       /* storage (NULL until the first append) */
    size_t head;      /* first unconsumed byte */
    size_t len;       /* one past the last byte */
    size_t cap;       /* allocated bytes */
    tn_allocator a;   /* resolved allocator */
} tn_buf;

/* Initialise (alloc may be NULL for libc). Returns TN_OK or TN_EINVAL (partial allocator). */
TN_API int tn_buf_init(tn_buf *b, const tn_allocator *alloc);
/* Release the storage; the buffer stays usable (empty). */
TN_API void tn_buf_free(tn_buf *b);
/* Make room for at least n more bytes after the end. Returns TN_OK or TN_ENOMEM. */
TN_API int tn_buf_reserve(tn_buf *b, size_t n);
/* Append n bytes (copied). Returns TN_OK or TN_ENOMEM (the buffer is then unchanged). */
TN_API int tn_buf_append(tn_buf *b, const void *p, size_t n);
/* Drop n bytes from the front (n is clamped to the size). */
TN_API void tn_buf_consume(tn_buf *b, size_t n);
/* Pointer to and count of the unconsumed bytes. */
TN_API char *tn_buf_ptr(const tn_buf *b);
TN_API size_t tn_buf_size(const tn_buf *b);

TN__END_DECLS
/* <<buf.h  end of src/buf.h */

/* ======================================================================== */
/* >>loop.h  (src/loop.h)                                                   */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/loop.h"
#endif
/* loop.h: event loop: fd watchers, timer heap, deferred callbacks, thread-safe post, run modes. */
/* #include "buf.h" (inlined above) */

TN__BEGIN_DECLS

/* tn_loop: one event loop, used from one thread (tn_loop_post and tn_async_send excepted).

   One iteration (tn_loop_run_once) runs these phases in order:
     1. timers that are due (a timer added while timers run waits for the next pass)
     2. poll for I/O; the wait ends at the nearest timer, at once if callbacks are deferred,
        and never later than the run_once timeout
     3. I/O callbacks of fd watchers (a watcher removed during this phase gets no more calls)
     4. timers that became due during the wait
     5. deferred callbacks (tn_loop_defer, tn_loop_post, tn_async_send), FIFO, at most
        max_deferred_per_iter of them, so a callback that defers itself cannot starve I/O
     6. closing: objects closed during this iteration get their close callback and are freed */
typedef struct tn_loop tn_loop;

/* I/O readiness bits (Tornado's values). TN_EV_ERROR is always reported; it is only
   delivered to a watcher that also asks for READ or WRITE. */
enum { TN_EV_READ = 0x001, TN_EV_WRITE = 0x004, TN_EV_ERROR = 0x008 };

/* A plain loop callback (timers, deferred and posted callbacks). */
typedef void (*tn_cb)(tn_loop *loop, void *user);
/* An fd watcher's callback: events is a mask of TN_EV_*. */
typedef void (*tn_fd_cb)(tn_loop *loop, tn_socket fd, int events, void *user);

/* tn_loop_opts: options for tn_loop_new; zero-init gives the defaults.
     allocator              all NULL = libc; partial = TN_EINVAL
     logger                 func NULL = silent
     clock                  NULL = tn_time_ms (monotonic); a hook for fake time in tests
     max_deferred_per_iter  0 = TORNADO_MAX_DEFERRED_PER_ITER (4096) */
typedef struct tn_loop_opts {
    tn_allocator allocator;                /* memory for the loop and all its objects */
    tn_logger logger;                      /* where library log lines go */
    uint64_t (*clock)(void *clock_user);   /* milliseconds, monotonic */
    void *clock_user;                      /* passed to clock */
    int max_deferred_per_iter;             /* bound on deferred callbacks per iteration */
} tn_loop_opts;

/* Create a loop. opts may be NULL (defaults); it need not outlive the call.
   Returns: TN_OK, TN_EINVAL (partial allocator), TN_ENOMEM, TN_ESYS/TN_EMFILE (poller). */
TN_API int tn_loop_new(const tn_loop_opts *opts, tn_loop **out);
/* Free a loop that is not running. Objects already closed are finalised first (their
   close callbacks run). Pending timers and deferred callbacks are dropped without being
   called. If objects are still alive (fd watchers, streams, servers, ...) the loop is not
   freed: each is logged at TN_LOG_WARN and TN_EBUSY is returned; close them and call
   again. Returns: TN_OK, TN_EBUSY, TN_EINVAL (called while running). */
TN_API int tn_loop_free(tn_loop *loop);
/* Number of objects still alive on the loop (what tn_loop_free would report). */
TN_API size_t tn_loop_alive(const tn_loop *loop);
/* The resolved options (allocator and logger included). */
TN_API const tn_loop_opts *tn_loop_get_opts(const tn_loop *loop);
/* Name of the compiled-in poller backend: "epoll" or "poll". */
TN_API const char *tn_loop_backend(const tn_loop *loop);
TN_API void tn_loop_set_user(tn_loop *loop, void *user);
TN_API void *tn_loop_get_user(const tn_loop *loop);

/* ---- running ---- */
/* Run until tn_loop_stop. If stop was called while the loop was not running, returns at
   once (Tornado's rule). Returns TN_OK, or an error from the poller. */
TN_API int tn_loop_run(tn_loop *loop);
/* Run one iteration, waiting at most timeout_ms for I/O (-1 = as long as needed; 0 =
   never block, for game frames and firmware superloops). Returns the number of callbacks
   run (>= 0), or a negative TN_E* code. */
TN_API int tn_loop_run_once(tn_loop *loop, int timeout_ms);
/* Ask tn_loop_run / tn_loop_run_until to return after the current iteration. */
TN_API void tn_loop_stop(tn_loop *loop);
/* Run until *flag becomes non-zero (checked after every iteration), tn_loop_stop, or
   timeout_ms passes (0 = no limit). Tornado's run_sync. Returns TN_OK (flag set),
   TN_ETIMEOUT, TN_ECANCELED (stopped), or a poller error. */
TN_API int tn_loop_run_until(tn_loop *loop, const volatile int *flag, uint64_t timeout_ms);
/* The loop's time in ms, cached at the start of each iteration (tn_loop_update_time
   refreshes it). Timers are on this clock. */
TN_API uint64_t tn_loop_now(const tn_loop *loop);
TN_API uint64_t tn_loop_update_time(tn_loop *loop);

/* ---- fd watchers (one per fd) ---- */
/* Watch fd for events (TN_EV_READ | TN_EV_WRITE). The fd should be non-blocking.
   Returns: TN_OK, TN_EEXIST (fd already watched), TN_EINVAL, TN_ENOMEM, or a poller error.
   cb runs on each iteration in which the fd is ready, until tn_loop_remove_fd. */
TN_API int tn_loop_add_fd(tn_loop *loop, tn_socket fd, int events, tn_fd_cb cb, void *user);
/* Change the events of a watched fd (0 = pause). Returns TN_OK, TN_ENOENT, or an error. */
TN_API int tn_loop_update_fd(tn_loop *loop, tn_socket fd, int events);
/* Stop watching fd (the fd is not closed). Safe from any callback, including cb itself.
   Returns TN_OK or TN_ENOENT. */
TN_API int tn_loop_remove_fd(tn_loop *loop, tn_socket fd);

/* ---- timers ---- */
/* A timer handle: a plain value, so cancelling after the timer fired is always safe. 0 is
   never a valid id. */
typedef uint64_t tn_timer_id;

/* Call cb once, delay_ms from now (tn_loop_now). out may be NULL.
   Returns TN_OK or TN_ENOMEM (cb is then never called). */
TN_API int tn_loop_call_later(tn_loop *loop, uint64_t delay_ms, tn_cb cb, void *user, tn_timer_id *out);
/* Call cb once at loop time when_ms (a time in the past fires on the next timer phase). */
TN_API int tn_loop_call_at(tn_loop *loop, uint64_t when_ms, tn_cb cb, void *user, tn_timer_id *out);
/* Call cb every interval_ms (> 0), first at now + interval_ms, until cancelled. A callback
   that overruns skips the missed beats and stays on schedule (Tornado's PeriodicCallback):
   it never fires twice to catch up. Returns TN_OK, TN_EINVAL (interval 0), TN_ENOMEM. */
TN_API int tn_loop_call_every(tn_loop *loop, uint64_t interval_ms, tn_cb cb, void *user, tn_timer_id *out);
/* Cancel a timer; safe from any callback (the timer's own included) and after it fired.
   Returns TN_OK (it will not fire again) or TN_ENOENT (already fired, cancelled, or 0). */
TN_API int tn_loop_cancel(tn_loop *loop, tn_timer_id id);
/* 1 if the timer will still fire (periodic timers until cancelled), else 0. */
TN_API int tn_loop_timer_pending(const tn_loop *loop, tn_timer_id id);

/* ---- deferred callbacks ---- */
/* Run cb on the loop's next deferred phase (FIFO). Loop thread only.
   Returns TN_OK or TN_ENOMEM (cb then never runs). */
TN_API int tn_loop_defer(tn_loop *loop, tn_cb cb, void *user);
/* Thread-safe: run cb on the loop's thread, waking it if it is blocked. FIFO among posts.
   The only tn_ call safe from any thread (under TORNADO_NO_THREADS: loop thread only).
   Not async-signal-safe (it allocates): use tn_async_send in a signal handler.
   Returns TN_OK, TN_ENOMEM, or TN_ECLOSED (the loop is being freed). */
TN_API int tn_loop_post(tn_loop *loop, tn_cb cb, void *user);

/* ---- async handles: a wakeup safe from other threads and from signal handlers ---- */
typedef struct tn_async tn_async;
/* Create an async handle whose cb runs on the loop thread after tn_async_send. */
TN_API int tn_async_new(tn_loop *loop, tn_cb cb, void *user, tn_async **out);
/* Async-signal-safe and thread-safe. Sends made before cb runs coalesce into one call.
   Returns TN_OK, or TN_ECLOSED once the handle is closing. */
TN_API int tn_async_send(tn_async *a);
/* Close: cb (may be NULL) runs in the closing phase, then the handle is freed. Do not
   send after close. Returns TN_OK or TN_ECLOSED (already closing). */
TN_API int tn_async_close(tn_async *a, tn_cb cb, void *user);

TN__END_DECLS
/* <<loop.h  end of src/loop.h */

/* ======================================================================== */
/* >>crypto.h  (src/crypto.h)                                               */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/crypto.h"
#endif
/* crypto.h: SHA-1, SHA-256, HMAC, constant-time compare, base64, hex, UTF-8 validation, random bytes. */
/* #include "base.h" (inlined above) */

TN__BEGIN_DECLS

/* ---- SHA-1 (FIPS 180-4) ---------------------------------------------------------------
   For the WebSocket handshake and HMAC-SHA1; not for new security designs.
   Streaming: tn_sha1_init, tn_sha1_update (any number of times, any split), tn_sha1_final.
   The context needs no cleanup; after final it must be re-initialised before reuse. */
#define TN_SHA1_SIZE 20        /* digest bytes */
#define TN_SHA1_BLOCK 64       /* block bytes */

/* tn_sha1_ctx: a SHA-1 context. Fields are private (leading underscore); set up by tn_sha1_init. */
typedef struct tn_sha1_ctx {
    uint32_t _h[5];            /* chaining state */
    uint64_t _len;             /* total bytes hashed so far */
    unsigned char _buf[64];    /* partial block */
    size_t _nbuf;              /* bytes in _buf */
} tn_sha1_ctx;

/* Start a SHA-1 computation. */
TN_API void tn_sha1_init(tn_sha1_ctx *ctx);
/* Hash n more bytes (data may be NULL when n is 0). */
TN_API void tn_sha1_update(tn_sha1_ctx *ctx, const void *data, size_t n);
/* Finish: write the 20-byte digest to out. */
TN_API void tn_sha1_final(tn_sha1_ctx *ctx, unsigned char out[TN_SHA1_SIZE]);
/* One-shot SHA-1 of n bytes into out (20 bytes). */
TN_API void tn_sha1(const void *data, size_t n, unsigned char out[TN_SHA1_SIZE]);

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------------------------- */
#define TN_SHA256_SIZE 32      /* digest bytes */
#define TN_SHA256_BLOCK 64     /* block bytes */

/* tn_sha256_ctx: a SHA-256 context. Fields are private; set up by tn_sha256_init. */
typedef struct tn_sha256_ctx {
    uint32_t _h[8];            /* chaining state */
    uint64_t _len;             /* total bytes hashed so far */
    unsigned char _buf[64];    /* partial block */
    size_t _nbuf;              /* bytes in _buf */
} tn_sha256_ctx;

/* Start a SHA-256 computation. */
TN_API void tn_sha256_init(tn_sha256_ctx *ctx);
/* Hash n more bytes (data may be NULL when n is 0). */
TN_API void tn_sha256_update(tn_sha256_ctx *ctx, const void *data, size_t n);
/* Finish: write the 32-byte digest to out. */
TN_API void tn_sha256_final(tn_sha256_ctx *ctx, unsigned char out[TN_SHA256_SIZE]);
/* One-shot SHA-256 of n bytes into out (32 bytes). */
TN_API void tn_sha256(const void *data, size_t n, unsigned char out[TN_SHA256_SIZE]);

/* ---- HMAC (RFC 2104) over SHA-256 and SHA-1 -------------------------------------------
   Keys of any length (longer than 64 bytes are hashed first, as the RFC says).
   Streaming: _init with the key, _update any number of times, _final. */

/* tn_hmac_sha256_ctx: an HMAC-SHA256 context (inner and outer hash). Fields are private. */
typedef struct tn_hmac_sha256_ctx {
    tn_sha256_ctx _inner;
    tn_sha256_ctx _outer;
} tn_hmac_sha256_ctx;

/* Start an HMAC-SHA256 with key (key may be NULL when key_len is 0). */
TN_API void tn_hmac_sha256_init(tn_hmac_sha256_ctx *ctx, const void *key, size_t key_len);
/* Authenticate n more bytes. */
TN_API void tn_hmac_sha256_update(tn_hmac_sha256_ctx *ctx, const void *data, size_t n);
/* Finish: write the 32-byte MAC to out and wipe the key material from ctx. */
TN_API void tn_hmac_sha256_final(tn_hmac_sha256_ctx *ctx, unsigned char out[TN_SHA256_SIZE]);
/* One-shot HMAC-SHA256 into out (32 bytes). */
TN_API void tn_hmac_sha256(const void *key, size_t key_len, const void *data, size_t n,
                           unsigned char out[TN_SHA256_SIZE]);

/* tn_hmac_sha1_ctx: an HMAC-SHA1 context. Fields are private. */
typedef struct tn_hmac_sha1_ctx {
    tn_sha1_ctx _inner;
    tn_sha1_ctx _outer;
} tn_hmac_sha1_ctx;

/* Start an HMAC-SHA1 with key. */
TN_API void tn_hmac_sha1_init(tn_hmac_sha1_ctx *ctx, const void *key, size_t key_len);
/* Authenticate n more bytes. */
TN_API void tn_hmac_sha1_update(tn_hmac_sha1_ctx *ctx, const void *data, size_t n);
/* Finish: write the 20-byte MAC to out and wipe the key material from ctx. */
TN_API void tn_hmac_sha1_final(tn_hmac_sha1_ctx *ctx, unsigned char out[TN_SHA1_SIZE]);
/* One-shot HMAC-SHA1 into out (20 bytes). */
TN_API void tn_hmac_sha1(const void *key, size_t key_len, const void *data, size_t n,
                         unsigned char out[TN_SHA1_SIZE]);

/* ---- constant-time comparison ----------------------------------------------------------
   Time depends only on n (or on the lengths), never on where the bytes differ: use it to
   compare MACs and tokens. */

/* 1 if the n bytes at a and b are equal, else 0. */
TN_API int tn_ct_equal(const void *a, const void *b, size_t n);
/* 1 if a and b are equal, else 0. Lengths are not secret: different lengths return 0 at
   once; equal lengths are compared in constant time. */
TN_API int tn_ct_str_equal(tn_str a, tn_str b);

/* ---- base64 (RFC 4648) -----------------------------------------------------------------
   flags: TN_BASE64_STD (0) is the standard alphabet with '=' padding; TN_BASE64_URL selects
   the URL-safe alphabet ('-' and '_'); TN_BASE64_NOPAD leaves padding out when encoding and
   requires it to be absent when decoding. Decoding is strict: no whitespace, no characters
   outside the alphabet, padding exactly as the flags say, and unused bits of the last
   character must be zero (so every input has one encoding; RFC 4648 section 3.5). */
enum { TN_BASE64_STD = 0, TN_BASE64_URL = 1, TN_BASE64_NOPAD = 2 };

/* Length of the encoding of n bytes under flags (without a NUL). SIZE_MAX on overflow. */
TN_API size_t tn_base64_encoded_size(size_t n, int flags);
/* An upper bound of the bytes decoded from n characters (exact for padded input with no
   padding characters). */
TN_API size_t tn_base64_decoded_max(size_t n);
/* Encode n bytes of src into out (cap bytes). *out_len (may be NULL) receives the encoded
   length; a NUL is written after it when cap leaves room (not counted).
   Returns: TN_OK; TN_EBUFFER_FULL if cap < tn_base64_encoded_size(n, flags) (nothing is
   written; *out_len is the size needed); TN_EINVAL for unknown flags. */
TN_API int tn_base64_encode(const void *src, size_t n, char *out, size_t cap, size_t *out_len,
                            int flags);
/* Decode n characters of src into out (cap bytes). *out_len (may be NULL) receives the
   decoded length. out may equal src (in-place decoding works: output never passes input).
   Returns: TN_OK; TN_EBAD_ENCODING for a character outside the alphabet, bad padding, a
   bad length or non-zero trailing bits; TN_EBUFFER_FULL if cap is too small (check against
   tn_base64_decoded_max(n) to avoid it); TN_EINVAL for unknown flags. */
TN_API int tn_base64_decode(const char *src, size_t n, void *out, size_t cap, size_t *out_len,
                            int flags);

/* ---- hex --------------------------------------------------------------------------------- */
/* Lower-case hex of n bytes: writes 2*n characters to out (cap bytes), plus a NUL when cap
   leaves room. *out_len (may be NULL) receives 2*n.
   Returns: TN_OK; TN_EBUFFER_FULL if cap < 2*n (nothing written). */
TN_API int tn_hex_encode(const void *src, size_t n, char *out, size_t cap, size_t *out_len);

/* ---- UTF-8 validation (RFC 3629) ----------------------------------------------------------
   Accepts exactly the well-formed UTF-8 of RFC 3629: rejects overlong forms, surrogates
   (U+D800..U+DFFF), code points above U+10FFFF, stray continuation bytes and bytes F5..FF.
   Incremental: a message split into fragments at any byte positions (WebSocket text
   frames) is fed piece by piece; tn_utf8_finish then rejects a sequence cut short at the
   end. Fast path for ASCII runs. */

/* tn_utf8_state: zero-initialise (or tn_utf8_init) before the first fragment. Private. */
typedef struct tn_utf8_state {
    unsigned _need;            /* continuation bytes still expected */
    unsigned char _lo, _hi;    /* allowed range of the next continuation byte */
    unsigned char _bad;        /* sticky: an error was seen */
} tn_utf8_state;

/* Reset st to the start of a message. */
TN_API void tn_utf8_init(tn_utf8_state *st);
/* Validate the next fragment (data may be NULL when n is 0).
   Returns: TN_OK (valid so far) or TN_EBAD_ENCODING (and every later call fails until
   tn_utf8_init). */
TN_API int tn_utf8_feed(tn_utf8_state *st, const void *data, size_t n);
/* End of message: TN_OK if everything fed was valid and no sequence is left incomplete,
   else TN_EBAD_ENCODING. Either way st is reset for the next message. */
TN_API int tn_utf8_finish(tn_utf8_state *st);
/* One-shot: TN_OK if the n bytes are valid UTF-8, else TN_EBAD_ENCODING. */
TN_API int tn_utf8_validate(const void *data, size_t n);

/* ---- random bytes ------------------------------------------------------------------------
   Cryptographically secure bytes for WebSocket masks and keys, XSRF tokens, secrets.
   Source: the user hook if one is set; otherwise getrandom() on Linux (falling back to
   /dev/urandom when the kernel lacks it), arc4random_buf() on the BSDs and Apple,
   BCryptGenRandom() on Windows, /dev/urandom elsewhere. */

/* A user source (firmware: a hardware RNG): fill buf with n random bytes, return TN_OK or a
   negative TN_E* code. user is the pointer given to tn_random_set_source. */
typedef int (*tn_random_fn)(void *buf, size_t n, void *user);

/* Install (fn non-NULL) or remove (fn NULL) the user source. Process-wide; set it once at
   start-up, before other threads call tn_random_bytes. */
TN_API void tn_random_set_source(tn_random_fn fn, void *user);
/* Fill buf with n random bytes.
   Returns: TN_OK; TN_ESYS (or the system error) when the OS source fails; the hook's code
   when a user source fails. On failure buf holds no usable randomness. */
TN_API int tn_random_bytes(void *buf, size_t n);

TN__END_DECLS
/* <<crypto.h  end of src/crypto.h */

/* ======================================================================== */
/* >>http_cookie.h  (src/http_cookie.h)                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_cookie.h"
#endif
/* http_cookie.h: Cookie header parsing, Set-Cookie formatting, Tornado signed values (v2), HTTP Basic auth. */
/* #include "crypto.h" (inlined above) */

TN__BEGIN_DECLS

/* ---- Cookie request header --------------------------------------------------------------
   Parsed the way browsers, Django and Tornado (httputil.parse_cookie) do, not by the RFC:
   the header is split at ';'; a chunk is split at its first '=' (a chunk without '=' is a
   value with an empty name); name and value are trimmed of ASCII whitespace (space, HT,
   LF, VT, FF, CR and 0x1C..0x1F, as Python's str.strip); a chunk whose name and value are
   both empty is skipped (checked before unquoting, so a bare "" is a pair with empty name
   and value); a value of two or more bytes that starts and ends with '"' loses those
   quotes. Nothing is rejected: malformed pairs come back as Tornado would see them. */

/* tn_cookie: one name/value pair, both slices into the header passed in (valid as long as
   the header's bytes are). */
typedef struct tn_cookie {
    tn_str name;     /* trimmed; may be empty */
    tn_str value;    /* trimmed; enclosing double quotes removed; escapes still encoded */
    int quoted;      /* 1 if the quotes were removed: the value may hold \" \\ or \ooo escapes,
                        which tn_cookie_unquote decodes */
} tn_cookie;

/* Iterate over the pairs of a Cookie header. *pos is the cursor: set it to 0 first.
   Returns: 1 with the next pair in *out, or 0 at the end (out untouched). */
TN_API int tn_cookie_next(tn_str header, size_t *pos, tn_cookie *out);
/* Find a cookie by exact (case-sensitive) name. When a name repeats, the last pair wins,
   as in Tornado's dict. Returns: 1 with the pair in *out (may be NULL), or 0. */
TN_API int tn_cookie_get(tn_str header, tn_str name, tn_cookie *out);
/* Decode the escapes of a quoted value (tn_cookie.value with quoted = 1), as Python's
   http.cookies does: \ooo (octal 000..377) is that byte, a backslash before any other
   byte except LF is that byte; anything else is copied. Output is never longer than the
   input; out may equal value.ptr. *out_len (may be NULL) receives the length.
   Returns: TN_OK or TN_EBUFFER_FULL (cap < value.len suffices to need it; *out_len then
   holds the exact size needed). */
TN_API int tn_cookie_unquote(tn_str value, char *out, size_t cap, size_t *out_len);

/* ---- Set-Cookie response header value ----------------------------------------------------
   tn_set_cookie_opts: attributes for tn_set_cookie_format. Zero-init (or NULL) gives
   Tornado's set_cookie defaults: Path=/ and nothing else.
     domain       Domain attribute; empty = omitted
     path         Path attribute; empty = "/" (Tornado's default); see no_path
     no_path      1 = no Path attribute at all
     has_expires  1 = Expires from `expires` (Unix seconds, 0..253402300799, written as an
                  IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT")
     has_max_age  1 = Max-Age from `max_age` (seconds; 0 or negative expire at once)
     secure       1 = Secure
     http_only    1 = HttpOnly
     same_site    TN_SAMESITE_OMIT (0) | _STRICT | _LAX | _NONE (NONE requires secure)
     quote        1 = a value with '"', ',', ';', '\' or bytes >= 0x80 is written in double
                  quotes with Python's escapes (\" \\ \ooo), as Tornado's SimpleCookie does;
                  0 = such a value is rejected
   Attributes appear in the order of Python's Morsel: Expires, Path, Domain, Max-Age,
   Secure, HttpOnly, SameSite. */
enum { TN_SAMESITE_OMIT = 0, TN_SAMESITE_STRICT = 1, TN_SAMESITE_LAX = 2, TN_SAMESITE_NONE = 3 };

typedef struct tn_set_cookie_opts {
    tn_str domain;       /* empty = omitted */
    tn_str path;         /* empty = "/" */
    int no_path;         /* 1 = omit Path */
    int has_expires;     /* 1 = write Expires */
    int64_t expires;     /* Unix seconds */
    int has_max_age;     /* 1 = write Max-Age */
    int64_t max_age;     /* seconds */
    int secure;          /* 1 = Secure */
    int http_only;       /* 1 = HttpOnly */
    int same_site;       /* TN_SAMESITE_* */
    int quote;           /* 1 = quote values that need it instead of rejecting them */
} tn_set_cookie_opts;

/* Format the value of a Set-Cookie header ("name=value; Path=/; ...", no header name, no
   CRLF) into out (cap bytes; a NUL follows when room remains). *out_len (may be NULL)
   receives the length, also on TN_EBUFFER_FULL (call with cap 0 to learn the size).
   Cookie injection is refused: the name must be a non-empty RFC 7230 token; the value may
   not contain control bytes, space or DEL (Tornado's rule) and, unless opts->quote, only
   RFC 6265 cookie-octets; domain and path may not contain control bytes, ';' or bytes
   >= 0x7F (domain: no space or ',' either).
   Browser rules that would silently drop the cookie are refused too: SameSite=None needs
   secure; a "__Secure-" name needs secure; a "__Host-" name needs secure, no domain and
   Path=/ (prefixes matched case-insensitively, RFC 6265bis).
   Returns: TN_OK; TN_EINVAL (bad name, value, domain, path, expires range, same_site, or
   a broken browser rule above); TN_EBUFFER_FULL (out contents then unspecified). */
TN_API int tn_set_cookie_format(tn_str name, tn_str value, const tn_set_cookie_opts *opts,
                                char *out, size_t cap, size_t *out_len);

/* ---- signed values (Tornado's create_signed_value / decode_signed_value, version 2) -----
   Layout, byte for byte as Tornado writes it:
       2|<len>:<key_version>|<len>:<timestamp>|<len>:<name>|<len>:<base64(value)>|<sig>
   where each <len> is the decimal byte length of the field after the ':', key_version and
   timestamp are decimal, base64 is standard with padding, and <sig> is the lower-case hex
   HMAC-SHA256, keyed with the secret, of everything before it (final '|' included).
   The clock is the caller's (seconds since the Unix epoch), so results are reproducible.
   Version 1 values (HMAC-SHA1, no version prefix) are not accepted here; see
   tn_signed_value_decode_v1 for reading legacy cookies. Names are compared as
   bytes; Tornado counts a non-ASCII name in characters, so keep names ASCII for interop. */
#define TN_SIGNED_VALUE_MAX_AGE_DAYS 31     /* Tornado's get_secure_cookie default */

/* Sign value under name with secret, stamped with timestamp, into out (cap bytes; a NUL
   follows when room remains). key_version is Tornado's key_version setting (0 when not
   rotating keys). *out_len (may be NULL) receives the length, also on TN_EBUFFER_FULL
   (call with cap 0 to learn the size).
   Returns: TN_OK or TN_EBUFFER_FULL. */
TN_API int tn_signed_value_create(tn_str secret, tn_str name, tn_str value, int64_t timestamp,
                                  unsigned key_version, char *out, size_t cap, size_t *out_len);
/* Check and decode a signed value made for name with secret at time now. max_age_days
   (<= 0 means TN_SIGNED_VALUE_MAX_AGE_DAYS) bounds its age, as Tornado's max_age_days; a
   timestamp in the future is accepted, as in Tornado v2. The decoded value goes to out
   (cap bytes; tn_base64_decoded_max(signed_value.len) always suffices); *out_len (may be
   NULL) receives its length. The checks run in Tornado's order.
   Returns: TN_OK; TN_EPARSE (not a well-formed v2 value); TN_EBAD_SIGNATURE (the HMAC does
   not match, or the value was signed for another name); TN_EEXPIRED (older than
   max_age_days); TN_EBAD_ENCODING (the signed payload is not valid base64);
   TN_EBUFFER_FULL (cap too small; *out_len is the size needed). */
TN_API int tn_signed_value_decode(tn_str secret, tn_str name, tn_str signed_value, int64_t now,
                                  double max_age_days, char *out, size_t cap, size_t *out_len);
/* Legacy: check and decode a version 1 signed value ("base64(value)|timestamp|hex HMAC-SHA1
   of name, base64 value and timestamp concatenated"), as Tornado's decode_signed_value does
   when min_version is 1 (its default). v1 has no separators inside the MAC, which is why
   Tornado added the future-timestamp and leading-zero checks reproduced here and why v2
   exists: accept v1 only to read cookies from old deployments.
   Returns: as tn_signed_value_decode; TN_EBAD_SIGNATURE also for a timestamp more than 31
   days in the future or with a leading zero (Tornado's tampering checks). */
TN_API int tn_signed_value_decode_v1(tn_str secret, tn_str name, tn_str signed_value, int64_t now,
                                     double max_age_days, char *out, size_t cap, size_t *out_len);
/* The key version field of a v2 signed value, without checking the signature: pick the
   secret with it (Tornado's get_signature_key_version), then call tn_signed_value_decode.
   Returns: TN_OK or TN_EPARSE. */
TN_API int tn_signed_value_key_version(tn_str signed_value, unsigned *key_version);

/* ---- HTTP Basic authentication (RFC 7617) ------------------------------------------------ */
/* Write the Authorization header value "Basic base64(user:pass)" into out (cap bytes; a NUL
   follows when room remains). *out_len (may be NULL) receives the length, also on
   TN_EBUFFER_FULL.
   Returns: TN_OK; TN_EINVAL (user contains ':', or either contains a control byte);
   TN_EBUFFER_FULL. */
TN_API int tn_basic_auth_encode(tn_str user, tn_str pass, char *out, size_t cap,
                                size_t *out_len);
/* Parse an Authorization header value "Basic <base64>" (scheme case-insensitive, surrounding
   whitespace allowed). The credentials are decoded into buf (cap bytes;
   tn_base64_decoded_max(header.len) suffices) and split at the first ':' into *user and
   *pass, which point into buf.
   Returns: TN_OK; TN_ENOTSUP (another scheme, e.g. Bearer); TN_EPARSE (no credentials, junk
   after them, or no ':'); TN_EBAD_ENCODING (bad base64); TN_EBUFFER_FULL. */
TN_API int tn_basic_auth_decode(tn_str header, char *buf, size_t cap, tn_str *user,
                                tn_str *pass);

TN__END_DECLS
/* <<http_cookie.h  end of src/http_cookie.h */

#endif /* TORNADO_H_INCLUDED */

#if (defined(TORNADO_IMPLEMENTATION) || defined(__INTELLISENSE__) || defined(__CDT_PARSER__)) \
    && !defined(TORNADO_IMPLEMENTATION_INCLUDED)
#define TORNADO_IMPLEMENTATION_INCLUDED

/* ======================================================================== */
/* >>platform.c  (src/platform.c)                                           */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/platform.c"
#endif
/* platform.c: system includes, private macros, errno mapping, fd flags, clock, locks. */
/* #include "base.h" (inlined above) */

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
/* <<platform.c  end of src/platform.c */

/* ======================================================================== */
/* >>base.c  (src/base.c)                                                   */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/base.c"
#endif
/* base.c: result code names, tn_str helpers, allocator wrappers, logging. */
/* #include "base.h" (inlined above) */

TN_API const char *tn_strerror(int code) {
    switch (code) {
    case TN_OK: return "success";
#define TN__ERR_TEXT(name, value, text) case name: return text;
    TN__ERRORS(TN__ERR_TEXT)
#undef TN__ERR_TEXT
    default: return "unknown error";
    }
}

TN_API const char *tn_err_name(int code) {
    switch (code) {
    case TN_OK: return "TN_OK";
#define TN__ERR_NAME(name, value, text) case name: return #name;
    TN__ERRORS(TN__ERR_NAME)
#undef TN__ERR_NAME
    default: return "?";
    }
}

TN_API tn_str tn_str_make(const char *ptr, size_t len) {
    tn_str s;
    s.ptr = ptr;
    s.len = len;
    return s;
}

TN_API tn_str tn_str_c(const char *cstr) { return tn_str_make(cstr, cstr ? strlen(cstr) : 0); }

TN_API int tn_str_eq(tn_str a, tn_str b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

TN__PRIVATE int tn__lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

TN_API int tn_str_ieq(tn_str a, tn_str b) {
    size_t i;
    if (a.len != b.len) return 0;
    for (i = 0; i < a.len; i++)
        if (tn__lower((unsigned char)a.ptr[i]) != tn__lower((unsigned char)b.ptr[i])) return 0;
    return 1;
}

TN_API int tn_str_eq_c(tn_str a, const char *cstr) { return tn_str_eq(a, tn_str_c(cstr)); }

/* ---- allocator ----
   A resolved allocator always has all three functions; tn__allocator_resolve fills libc. */
TN__PRIVATE void *tn__libc_alloc(size_t n, void *u) { (void)u; return malloc(n ? n : 1); }
TN__PRIVATE void *tn__libc_realloc(void *p, size_t n, void *u) { (void)u; return realloc(p, n ? n : 1); }
TN__PRIVATE void tn__libc_free(void *p, void *u) { (void)u; free(p); }

TN__PRIVATE int tn__allocator_resolve(const tn_allocator *in, tn_allocator *out) {
    if (in == NULL || (!in->alloc && !in->realloc && !in->free)) {
        out->alloc = tn__libc_alloc;
        out->realloc = tn__libc_realloc;
        out->free = tn__libc_free;
        out->user = NULL;
        return TN_OK;
    }
    if (!in->alloc || !in->realloc || !in->free) return TN_EINVAL;
    *out = *in;
    return TN_OK;
}

TN__PRIVATE void *tn__alloc(const tn_allocator *a, size_t n) { return a->alloc(n ? n : 1, a->user); }

TN__PRIVATE void *tn__calloc(const tn_allocator *a, size_t n) {
    void *p = a->alloc(n ? n : 1, a->user);
    if (p) memset(p, 0, n);
    return p;
}

TN__PRIVATE void *tn__realloc(const tn_allocator *a, void *p, size_t n) {
    return a->realloc(p, n ? n : 1, a->user);
}

/* Frees and preserves errno (libuv's rule), so cleanup never hides the real error. */
TN__PRIVATE void tn__free(const tn_allocator *a, void *p) {
    if (p) {
        int saved = errno;
        a->free(p, a->user);
        errno = saved;
    }
}

/* Grow an array of elem-sized items to hold at least need items (capacity doubles). */
TN__PRIVATE int tn__grow(const tn_allocator *a, void **arr, size_t *cap, size_t need, size_t elem) {
    size_t ncap;
    void *p;
    if (need <= *cap) return TN_OK;
    ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > ((size_t)-1) / 2 / elem) return TN_ENOMEM;
        ncap *= 2;
    }
    p = tn__realloc(a, *arr, ncap * elem);
    if (!p) return TN_ENOMEM;
    *arr = p;
    *cap = ncap;
    return TN_OK;
}

/* ---- logging ---- */
#if TN_HAS_LOG
TN__PRIVATE void tn__log_at(const tn_logger *lg, int level, int code, const char *file, int line,
                            const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
TN__PRIVATE void tn__log_at(const tn_logger *lg, int level, int code, const char *file, int line,
                            const char *fmt, ...) {
    char msg[512];
    va_list ap;
    if (!lg || !lg->func || level > TN__DEF(lg->level, TN_LOG_INFO)) return;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lg->func(lg->user, level, code, msg, file, line);
}
#  define TN__LOG(lg, level, code, ...) tn__log_at((lg), (level), (code), __FILE__, __LINE__, __VA_ARGS__)
#else
#  define TN__LOG(lg, level, code, ...) ((void)(lg), (void)(level), (void)(code))
#endif
/* <<base.c  end of src/base.c */

/* ======================================================================== */
/* >>buf.c  (src/buf.c)                                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/buf.c"
#endif
/* buf.c: tn_buf implementation. */
/* #include "buf.h" (inlined above) */

TN_API int tn_buf_init(tn_buf *b, const tn_allocator *alloc) {
    memset(b, 0, sizeof *b);
    return tn__allocator_resolve(alloc, &b->a);
}

TN_API void tn_buf_free(tn_buf *b) {
    tn__free(&b->a, b->data);
    b->data = NULL;
    b->head = b->len = b->cap = 0;
}

TN_API int tn_buf_reserve(tn_buf *b, size_t n) {
    size_t used = b->len - b->head, need, ncap;
    char *p;
    if (b->cap - b->len >= n) return TN_OK;
    if (n > ((size_t)-1) / 2 - used) return TN_ENOMEM;
    need = used + n;
    if (b->head > 0 && b->cap >= need && b->head >= used) {
        /* enough room once the consumed front is reclaimed, and the move is cheap */
        memmove(b->data, b->data + b->head, used);
        b->head = 0;
        b->len = used;
        return TN_OK;
    }
    ncap = TN__MAX(b->cap * 2, need);
    ncap = (ncap + 4095u) & ~(size_t)4095u;
    if (b->head > 0) {
        /* allocate fresh and copy only the live bytes */
        p = (char *)tn__alloc(&b->a, ncap);
        if (!p) return TN_ENOMEM;
        if (used) memcpy(p, b->data + b->head, used);
        tn__free(&b->a, b->data);
    } else {
        p = (char *)tn__realloc(&b->a, b->data, ncap);
        if (!p) return TN_ENOMEM;
    }
    b->data = p;
    b->head = 0;
    b->len = used;
    b->cap = ncap;
    return TN_OK;
}

TN_API int tn_buf_append(tn_buf *b, const void *p, size_t n) {
    int rc;
    if (n == 0) return TN_OK;
    if ((rc = tn_buf_reserve(b, n)) != 0) return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return TN_OK;
}

TN_API void tn_buf_consume(tn_buf *b, size_t n) {
    size_t used = b->len - b->head;
    if (n >= used) {
        b->head = b->len = 0;
    } else {
        b->head += n;
    }
}

TN_API char *tn_buf_ptr(const tn_buf *b) { return b->data ? b->data + b->head : NULL; }
TN_API size_t tn_buf_size(const tn_buf *b) { return b->len - b->head; }
/* <<buf.c  end of src/buf.c */

/* ======================================================================== */
/* >>loop.c  (src/loop.c)                                                   */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/loop.c"
#endif
/* loop.c: the event loop: handles, deferred queue, timer heap, fd table, wakeup, run. */
/* #include "loop.h" (inlined above) */

/* ---- private types shared with the modules above (stream, net, tcp) ---- */

/* A deferred-callback node. Objects embed theirs (no allocation per deferral); the public
   tn_loop_defer/tn_loop_post allocate one. owner (may be NULL) cannot be finalised while
   one of its nodes is queued, so a deferred call never sees freed memory. */
typedef struct tn__defer tn__defer;
struct tn__defer {
    tn__defer *next;
    void (*fn)(tn__defer *d);
    struct tn__handle *owner;
    int queued;
};

/* The base of every object a loop tracks (stream, server, async, resolver, ...).
   Closing is deferred: tn__handle_close queues the handle; the closing phase calls
   finalize (which calls the user's close callback and frees the object) once no deferred
   node of the handle is queued. */
typedef struct tn__handle tn__handle;
struct tn__handle {
    tn_loop *loop;
    tn__handle *prev, *next;          /* the loop's live list */
    tn__handle *close_next;           /* the loop's closing queue */
    const char *kind;                 /* "stream", "tcp_server", ... for reports */
    int closing;                      /* close requested (queued or finalised) */
    unsigned pending;                 /* deferred nodes of this handle still queued */
    void (*finalize)(tn__handle *h);  /* close callback + free; runs once */
};

typedef struct tn__fdw {              /* one fd watcher */
    tn_fd_cb cb;
    void *user;
    int events;                       /* what the user asked for */
    int in_backend;                   /* registered with the poller (events != 0) */
    int active;
    int internal;                     /* the loop's own wakeup fd: not counted as alive */
    uint64_t iter_added;              /* skip events polled before it was added */
} tn__fdw;

typedef struct tn__fired { int fd; int events; } tn__fired;

typedef struct tn__timer {
    uint64_t when;
    uint64_t seq;                     /* FIFO among equal deadlines */
    uint64_t interval;                /* > 0: periodic */
    tn_cb cb;
    void *user;
    uint32_t gen;                     /* bumped on release: stale ids never match */
    int32_t heap_pos;                 /* index in the heap, -1 when not queued */
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

struct tn_loop {
    tn_loop_opts opts;                /* resolved */
    tn_allocator *a;                  /* &opts.allocator */
    void *user;
    uint64_t now;
    uint64_t iter;
    int running;
    int stop;
    int freeing;

    /* objects */
    tn__handle *live;
    size_t live_count;
    tn__handle *closing_head, *closing_tail;

    /* deferred queue */
    tn__defer *dq_head, *dq_tail;

    /* fd table */
    tn__fdw *fds;
    size_t nfds;
    size_t user_fds;
    tn__fired *fired;
    size_t fired_cap;
    void *backend;                    /* the poller's state */

    /* timers: slots + binary min-heap of slot indices */
    tn__timer *timers;
    size_t ntimers, timers_cap;
    uint32_t timer_free;              /* free-list head (slot index + 1) */
    uint32_t *heap;
    size_t heap_len, heap_cap;
    uint64_t timer_seq;

    /* wakeup and cross-thread posts */
    int wake_fd[2];                   /* eventfd: [0] == [1]; pipe: read, write */
    tn__mutex post_lock;
    tn__defer *post_head, *post_tail;
    int wake_pending;
    int post_closed;
    tn_async *asyncs;
};

/* ---- the poller backend contract (one backend compiled in; see poll_*.c) ---- */
TN__PRIVATE int tn__poll_init(tn_loop *loop);
TN__PRIVATE void tn__poll_free(tn_loop *loop);
TN__PRIVATE int tn__poll_add(tn_loop *loop, int fd, int events);
TN__PRIVATE int tn__poll_mod(tn_loop *loop, int fd, int events);
TN__PRIVATE int tn__poll_del(tn_loop *loop, int fd);
/* Wait up to timeout_ms (-1 = forever) and fill loop->fired; returns the count or an error. */
TN__PRIVATE int tn__poll_wait(tn_loop *loop, int timeout_ms);
TN__PRIVATE const char *tn__poll_name(void);

/* Make room for n fired events. */
TN__PRIVATE int tn__loop_fired_reserve(tn_loop *loop, size_t n) {
    return tn__grow(loop->a, (void **)&loop->fired, &loop->fired_cap, n, sizeof(tn__fired));
}

#define TN__LLOG(loop, level, code, ...) TN__LOG(&(loop)->opts.logger, level, code, __VA_ARGS__)

/* ---- handles ---- */
TN__PRIVATE void tn__handle_init(tn_loop *loop, tn__handle *h, const char *kind, void (*finalize)(tn__handle *)) {
    memset(h, 0, sizeof *h);
    h->loop = loop;
    h->kind = kind;
    h->finalize = finalize;
    h->next = loop->live;
    if (loop->live) loop->live->prev = h;
    loop->live = h;
    loop->live_count++;
}

/* Request close: the finalizer runs in the closing phase. Returns TN_ECLOSED if already. */
TN__PRIVATE int tn__handle_close(tn__handle *h) {
    tn_loop *loop = h->loop;
    if (h->closing) return TN_ECLOSED;
    h->closing = 1;
    h->close_next = NULL;
    if (loop->closing_tail) loop->closing_tail->close_next = h;
    else loop->closing_head = h;
    loop->closing_tail = h;
    return TN_OK;
}

TN__PRIVATE void tn__handle_unlink(tn__handle *h) {
    tn_loop *loop = h->loop;
    if (h->prev) h->prev->next = h->next;
    else loop->live = h->next;
    if (h->next) h->next->prev = h->prev;
    h->prev = h->next = NULL;
    loop->live_count--;
}

/* The closing phase: finalise every closed handle with no queued deferred node. Handles
   closed by a finalizer are handled in the same phase; ones still waiting stay queued. */
TN__PRIVATE int tn__loop_run_closing(tn_loop *loop) {
    tn__handle *h, *waiting_head = NULL, *waiting_tail = NULL;
    int n = 0;
    while ((h = loop->closing_head) != NULL) {
        loop->closing_head = h->close_next;
        if (!loop->closing_head) loop->closing_tail = NULL;
        h->close_next = NULL;
        if (h->pending > 0) {
            if (waiting_tail) waiting_tail->close_next = h;
            else waiting_head = h;
            waiting_tail = h;
            continue;
        }
        tn__handle_unlink(h);
        h->finalize(h);   /* frees h */
        n++;
    }
    loop->closing_head = waiting_head;
    loop->closing_tail = waiting_tail;
    return n;
}

/* ---- deferred queue ---- */
TN__PRIVATE void tn__defer_init(tn__defer *d, void (*fn)(tn__defer *), tn__handle *owner) {
    d->next = NULL;
    d->fn = fn;
    d->owner = owner;
    d->queued = 0;
}

/* Queue d (no-op if already queued). Never fails: the node is caller-owned. */
TN__PRIVATE void tn__defer_queue(tn_loop *loop, tn__defer *d) {
    if (d->queued) return;
    d->queued = 1;
    d->next = NULL;
    if (d->owner) d->owner->pending++;
    if (loop->dq_tail) loop->dq_tail->next = d;
    else loop->dq_head = d;
    loop->dq_tail = d;
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
        d->queued = 0;
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

TN_API int tn_loop_defer(tn_loop *loop, tn_cb cb, void *user) {
    tn__user_defer *u;
    if (!loop || !cb) return TN_EINVAL;
    u = (tn__user_defer *)tn__alloc(loop->a, sizeof *u);
    if (!u) return TN_ENOMEM;
    tn__defer_init(&u->d, tn__user_defer_run, NULL);
    u->cb = cb;
    u->user = user;
    u->loop = loop;
    tn__defer_queue(loop, &u->d);
    return TN_OK;
}

/* ---- wakeup ---- */
TN__PRIVATE void tn__loop_wake(tn_loop *loop) {
    /* async-signal-safe: one write(2); a full pipe or counter already means "awake" */
    int saved = errno;
#if defined(__linux__)
    uint64_t one = 1;
    ssize_t r;
    do r = write(loop->wake_fd[1], &one, sizeof one); while (r < 0 && errno == EINTR);
#else
    char c = 1;
    ssize_t r;
    do r = write(loop->wake_fd[1], &c, 1); while (r < 0 && errno == EINTR);
#endif
    (void)r;
    errno = saved;
}

TN_API int tn_loop_post(tn_loop *loop, tn_cb cb, void *user) {
    tn__user_defer *u;
    int wake = 0;
    if (!loop || !cb) return TN_EINVAL;
    u = (tn__user_defer *)tn__alloc(loop->a, sizeof *u);
    if (!u) return TN_ENOMEM;
    tn__defer_init(&u->d, tn__user_defer_run, NULL);
    u->cb = cb;
    u->user = user;
    u->loop = loop;
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

TN__PRIVATE void tn__loop_on_wake(tn_loop *loop, tn_socket fd, int events, void *user) {
    char drain[64];
    ssize_t r;
    tn__defer *head, *d;
    tn_async *a, *anext;
    (void)events;
    (void)user;
    tn__mutex_lock(&loop->post_lock);
    loop->wake_pending = 0;
    head = loop->post_head;
    loop->post_head = loop->post_tail = NULL;
    tn__mutex_unlock(&loop->post_lock);
    do r = read(fd, drain, sizeof drain); while (r > 0 || (r < 0 && errno == EINTR));
    while ((d = head) != NULL) {
        head = d->next;
        tn__defer_queue(loop, d);
    }
    for (a = loop->asyncs; a; a = anext) {
        anext = a->anext;
        if (!a->h.closing && tn__async_take(a)) a->cb(loop, a->user);
    }
}

/* ---- async handles ---- */
TN__PRIVATE void tn__async_finalize(tn__handle *h) {
    tn_async *a = (tn_async *)h;
    tn_loop *loop = h->loop;
    if (a->close_cb) a->close_cb(loop, a->close_user);
    tn__free(loop->a, a);
}

TN_API int tn_async_new(tn_loop *loop, tn_cb cb, void *user, tn_async **out) {
    tn_async *a;
    if (!loop || !cb || !out) return TN_EINVAL;
    a = (tn_async *)tn__calloc(loop->a, sizeof *a);
    if (!a) return TN_ENOMEM;
    tn__handle_init(loop, &a->h, "async", tn__async_finalize);
    a->cb = cb;
    a->user = user;
    a->anext = loop->asyncs;
    if (loop->asyncs) loop->asyncs->aprev = a;
    loop->asyncs = a;
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
TN__PRIVATE tn__fdw *tn__loop_fdw(const tn_loop *loop, tn_socket fd) {
    if (fd < 0 || (size_t)fd >= loop->nfds || !loop->fds[fd].active) return NULL;
    return &loop->fds[fd];
}

/* Register or re-register fd with the poller after its interest changed. Interest 0 is
   taken out of the poller entirely, so a hung-up fd nobody reads cannot spin the loop. */
TN__PRIVATE int tn__loop_sync_fd(tn_loop *loop, int fd, tn__fdw *w, int events) {
    int rc = TN_OK;
    int want = events & (TN_EV_READ | TN_EV_WRITE);
    if (want == 0) {
        if (w->in_backend) rc = tn__poll_del(loop, fd);
        w->in_backend = 0;
    } else if (!w->in_backend) {
        rc = tn__poll_add(loop, fd, want);
        if (rc == TN_OK) w->in_backend = 1;
    } else if (want != (w->events & (TN_EV_READ | TN_EV_WRITE))) {
        rc = tn__poll_mod(loop, fd, want);
    }
    if (rc == TN_OK) w->events = want;
    return rc;
}

TN__PRIVATE int tn__loop_add_fd(tn_loop *loop, tn_socket fd, int events, tn_fd_cb cb, void *user, int internal) {
    tn__fdw *w;
    int rc;
    if (fd < 0 || !cb) return TN_EINVAL;
    if ((size_t)fd >= loop->nfds) {
        size_t old = loop->nfds, ncap = old;
        rc = tn__grow(loop->a, (void **)&loop->fds, &ncap, (size_t)fd + 1, sizeof(tn__fdw));
        if (rc != 0) return rc;
        memset(loop->fds + old, 0, (ncap - old) * sizeof(tn__fdw));
        loop->nfds = ncap;
    }
    w = &loop->fds[fd];
    if (w->active) return TN_EEXIST;
    memset(w, 0, sizeof *w);
    if ((rc = tn__loop_sync_fd(loop, fd, w, events)) != 0) return rc;
    w->cb = cb;
    w->user = user;
    w->active = 1;
    w->internal = internal;
    w->iter_added = loop->iter;
    if (!internal) loop->user_fds++;
    return TN_OK;
}

TN_API int tn_loop_add_fd(tn_loop *loop, tn_socket fd, int events, tn_fd_cb cb, void *user) {
    if (!loop) return TN_EINVAL;
    return tn__loop_add_fd(loop, fd, events, cb, user, 0);
}

TN_API int tn_loop_update_fd(tn_loop *loop, tn_socket fd, int events) {
    tn__fdw *w = loop ? tn__loop_fdw(loop, fd) : NULL;
    if (!w) return TN_ENOENT;
    return tn__loop_sync_fd(loop, fd, w, events);
}

TN_API int tn_loop_remove_fd(tn_loop *loop, tn_socket fd) {
    tn__fdw *w = loop ? tn__loop_fdw(loop, fd) : NULL;
    if (!w) return TN_ENOENT;
    if (w->in_backend) (void)tn__poll_del(loop, fd);
    if (!w->internal) loop->user_fds--;
    memset(w, 0, sizeof *w);
    return TN_OK;
}

TN__PRIVATE int tn__loop_dispatch_io(tn_loop *loop, int nfired) {
    int i, n = 0;
    for (i = 0; i < nfired; i++) {
        int fd = loop->fired[i].fd, ev = loop->fired[i].events, mask;
        tn__fdw *w = tn__loop_fdw(loop, fd);
        /* re-check: an earlier callback may have removed this watcher, or removed it and
           added a new one on a reused fd number (which must not see these stale events) */
        if (!w || w->iter_added == loop->iter) continue;
        mask = ev & w->events;
        if ((ev & TN_EV_ERROR) && w->events) mask |= TN_EV_ERROR;
        if (!mask) continue;
        w->cb(loop, fd, mask, w->user);
        n++;
    }
    return n;
}

/* ---- timers ---- */
TN__PRIVATE int tn__timer_less(const tn_loop *loop, uint32_t a, uint32_t b) {
    const tn__timer *x = &loop->timers[a], *y = &loop->timers[b];
    return x->when < y->when || (x->when == y->when && x->seq < y->seq);
}

TN__PRIVATE void tn__heap_set(tn_loop *loop, size_t pos, uint32_t slot) {
    loop->heap[pos] = slot;
    loop->timers[slot].heap_pos = (int32_t)pos;
}

TN__PRIVATE void tn__heap_up(tn_loop *loop, size_t pos) {
    uint32_t slot = loop->heap[pos];
    while (pos > 0) {
        size_t parent = (pos - 1) / 2;
        if (!tn__timer_less(loop, slot, loop->heap[parent])) break;
        tn__heap_set(loop, pos, loop->heap[parent]);
        pos = parent;
    }
    tn__heap_set(loop, pos, slot);
}

TN__PRIVATE void tn__heap_down(tn_loop *loop, size_t pos) {
    uint32_t slot = loop->heap[pos];
    for (;;) {
        size_t l = 2 * pos + 1, r = l + 1, m = pos;
        uint32_t ms = slot;
        if (l < loop->heap_len && tn__timer_less(loop, loop->heap[l], ms)) { m = l; ms = loop->heap[l]; }
        if (r < loop->heap_len && tn__timer_less(loop, loop->heap[r], ms)) { m = r; ms = loop->heap[r]; }
        if (m == pos) break;
        tn__heap_set(loop, pos, ms);
        pos = m;
    }
    tn__heap_set(loop, pos, slot);
}

TN__PRIVATE void tn__heap_remove(tn_loop *loop, uint32_t slot) {
    size_t pos = (size_t)loop->timers[slot].heap_pos;
    uint32_t last = loop->heap[--loop->heap_len];
    loop->timers[slot].heap_pos = -1;
    if (pos == loop->heap_len) return;
    tn__heap_set(loop, pos, last);
    tn__heap_up(loop, pos);
    tn__heap_down(loop, (size_t)loop->timers[last].heap_pos);
}

TN__PRIVATE int tn__heap_push(tn_loop *loop, uint32_t slot) {
    int rc = tn__grow(loop->a, (void **)&loop->heap, &loop->heap_cap, loop->heap_len + 1, sizeof(uint32_t));
    if (rc != 0) return rc;
    loop->timers[slot].seq = loop->timer_seq++;
    tn__heap_set(loop, loop->heap_len++, slot);
    tn__heap_up(loop, loop->heap_len - 1);
    return TN_OK;
}

TN__PRIVATE void tn__timer_release(tn_loop *loop, uint32_t slot) {
    tn__timer *t = &loop->timers[slot];
    t->gen++;
    t->cb = NULL;
    t->heap_pos = -1;
    t->firing = t->cancelled = 0;
    t->next_free = loop->timer_free;
    loop->timer_free = slot + 1;
}

TN__PRIVATE tn_timer_id tn__timer_id(const tn_loop *loop, uint32_t slot) {
    return ((uint64_t)loop->timers[slot].gen << 32) | (uint64_t)(slot + 1);
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
    if (loop->timer_free) {
        slot = loop->timer_free - 1;
    } else {
        if (loop->ntimers >= 0xfffffff0u) return TN_ENOMEM;
        rc = tn__grow(loop->a, (void **)&loop->timers, &loop->timers_cap, loop->ntimers + 1, sizeof(tn__timer));
        if (rc != 0) return rc;
        slot = (uint32_t)loop->ntimers;
        memset(&loop->timers[slot], 0, sizeof(tn__timer));
        loop->timers[slot].gen = 1;
        loop->timers[slot].heap_pos = -1;
        loop->ntimers++;
        loop->timers[slot].next_free = loop->timer_free;
        loop->timer_free = slot + 1;
    }
    t = &loop->timers[slot];
    t->when = when;
    t->interval = interval;
    t->cb = cb;
    t->user = user;
    if ((rc = tn__heap_push(loop, slot)) != 0) {
        t->cb = NULL;
        return rc;
    }
    loop->timer_free = t->next_free;
    t->next_free = 0;
    if (out) *out = tn__timer_id(loop, slot);
    return TN_OK;
}

TN_API int tn_loop_call_at(tn_loop *loop, uint64_t when_ms, tn_cb cb, void *user, tn_timer_id *out) {
    return tn__timer_add(loop, when_ms, 0, cb, user, out);
}

TN_API int tn_loop_call_later(tn_loop *loop, uint64_t delay_ms, tn_cb cb, void *user, tn_timer_id *out) {
    if (!loop) return TN_EINVAL;
    return tn__timer_add(loop, loop->now + delay_ms, 0, cb, user, out);
}

TN_API int tn_loop_call_every(tn_loop *loop, uint64_t interval_ms, tn_cb cb, void *user, tn_timer_id *out) {
    if (!loop || interval_ms == 0) return TN_EINVAL;
    return tn__timer_add(loop, loop->now + interval_ms, interval_ms, cb, user, out);
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
    tn__heap_remove(loop, (uint32_t)s);
    tn__timer_release(loop, (uint32_t)s);
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
    while (loop->heap_len > 0) {
        uint32_t slot = loop->heap[0];
        tn__timer *t = &loop->timers[slot];
        if (t->when > loop->now || t->seq >= seq_limit) break;
        tn__heap_remove(loop, slot);
        t->firing = 1;
        n++;
        t->cb(loop, t->user);
        t = &loop->timers[slot];   /* the callback may have grown the slot array */
        if (t->interval > 0 && !t->cancelled && t->cb) {
            /* periodic: next beat on the original grid; missed beats are skipped */
            uint64_t next = t->when + t->interval;
            if (next <= loop->now) next += ((loop->now - next) / t->interval + 1) * t->interval;
            t->when = next;
            t->firing = 0;
            if (tn__heap_push(loop, slot) != 0) {
                TN__LLOG(loop, TN_LOG_ERROR, TN_ENOMEM, "periodic timer dropped: out of memory");
                tn__timer_release(loop, slot);
            }
        } else {
            tn__timer_release(loop, slot);
        }
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
    if (loop->wake_fd[0] >= 0) {
        (void)tn_loop_remove_fd(loop, loop->wake_fd[0]);
        tn__fd_close(loop->wake_fd[0]);
    }
    if (loop->wake_fd[1] >= 0 && loop->wake_fd[1] != loop->wake_fd[0]) tn__fd_close(loop->wake_fd[1]);
    loop->wake_fd[0] = loop->wake_fd[1] = -1;
}

TN__PRIVATE void tn__loop_release(tn_loop *loop) {
    tn_allocator a = loop->opts.allocator;
    tn__loop_close_wake(loop);
    tn__poll_free(loop);
    tn__mutex_destroy(&loop->post_lock);
    tn__free(&a, loop->fds);
    tn__free(&a, loop->fired);
    tn__free(&a, loop->timers);
    tn__free(&a, loop->heap);
    tn__free(&a, loop);
}

TN_API int tn_loop_new(const tn_loop_opts *opts, tn_loop **out) {
    tn_allocator a;
    tn_loop *loop;
    int rc;
    if (!out) return TN_EINVAL;
    *out = NULL;
    if ((rc = tn__allocator_resolve(opts ? &opts->allocator : NULL, &a)) != 0) return rc;
    loop = (tn_loop *)tn__calloc(&a, sizeof *loop);
    if (!loop) return TN_ENOMEM;
    if (opts) loop->opts = *opts;
    loop->opts.allocator = a;
    loop->a = &loop->opts.allocator;
    loop->opts.max_deferred_per_iter = TN__DEF(loop->opts.max_deferred_per_iter, TORNADO_MAX_DEFERRED_PER_ITER);
    if (loop->opts.max_deferred_per_iter < 1) loop->opts.max_deferred_per_iter = 1;
    loop->opts.logger.level = TN__DEF(loop->opts.logger.level, TN_LOG_INFO);
    loop->wake_fd[0] = loop->wake_fd[1] = -1;
    if ((rc = tn__mutex_init(&loop->post_lock)) != 0) {
        tn__free(&a, loop);
        return rc;
    }
    if ((rc = tn__poll_init(loop)) != 0) {
        tn__mutex_destroy(&loop->post_lock);
        tn__free(&a, loop);
        return rc;
    }
    tn__ignore_sigpipe_once();   /* pipes have no MSG_NOSIGNAL */
#if defined(__linux__)
    {
        int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (fd < 0) rc = tn__last_err();
        loop->wake_fd[0] = loop->wake_fd[1] = fd;
    }
#else
    rc = tn__pipe(loop->wake_fd);
#endif
    if (rc == TN_OK) rc = tn__loop_add_fd(loop, loop->wake_fd[0], TN_EV_READ, tn__loop_on_wake, NULL, 1);
    if (rc != TN_OK) {
        tn__loop_release(loop);
        return rc;
    }
    loop->now = tn__loop_clock(loop);
    *out = loop;
    return TN_OK;
}

TN_API size_t tn_loop_alive(const tn_loop *loop) { return loop->live_count + loop->user_fds; }
TN_API const tn_loop_opts *tn_loop_get_opts(const tn_loop *loop) { return &loop->opts; }
TN_API const char *tn_loop_backend(const tn_loop *loop) { (void)loop; return tn__poll_name(); }
TN_API void tn_loop_set_user(tn_loop *loop, void *user) { loop->user = user; }
TN_API void *tn_loop_get_user(const tn_loop *loop) { return loop->user; }

TN_API int tn_loop_free(tn_loop *loop) {
    int round;
    tn__defer *d;
    if (!loop) return TN_EINVAL;
    if (loop->running) return TN_EINVAL;
    /* finish closes already requested: their deferred nodes run, then their finalizers */
    for (round = 0; round < 64 && loop->closing_head; round++) {
        (void)tn__loop_run_deferred(loop, loop->opts.max_deferred_per_iter);
        (void)tn__loop_run_closing(loop);
    }
    if (tn_loop_alive(loop) > 0) {
        tn__handle *h;
        size_t i;
        TN__LLOG(loop, TN_LOG_WARN, TN_EBUSY, "tn_loop_free: %lu objects still alive",
                 (unsigned long)tn_loop_alive(loop));
        for (h = loop->live; h; h = h->next)
            TN__LLOG(loop, TN_LOG_WARN, TN_EBUSY, "  alive: %s%s", h->kind, h->closing ? " (closing)" : "");
        for (i = 0; i < loop->nfds; i++)
            if (loop->fds[i].active && !loop->fds[i].internal)
                TN__LLOG(loop, TN_LOG_WARN, TN_EBUSY, "  alive: fd watcher on fd %lu", (unsigned long)i);
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
    while ((d = loop->dq_head) != NULL) {
        loop->dq_head = d->next;
        d->queued = 0;
        if (d->owner) d->owner->pending--;
        if (d->fn == tn__user_defer_run) tn__free(loop->a, d);
    }
    loop->dq_tail = NULL;
    tn__loop_release(loop);
    return TN_OK;
}

TN_API void tn_loop_stop(tn_loop *loop) { loop->stop = 1; }

TN__PRIVATE int tn__loop_poll_timeout(tn_loop *loop, int timeout_ms) {
    uint64_t t = TORNADO_MAX_POLL_WAIT_MS;
    if (loop->dq_head || loop->closing_head || loop->stop) return 0;
    if (loop->heap_len > 0) {
        uint64_t when = loop->timers[loop->heap[0]].when;
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
    rc = tn__poll_wait(loop, wait);
    if (rc < 0) {
        loop->running--;
        return rc;
    }
    tn_loop_update_time(loop);
    n += tn__loop_dispatch_io(loop, rc);
    n += tn__loop_run_timers(loop);
    n += tn__loop_run_deferred(loop, loop->opts.max_deferred_per_iter);
    n += tn__loop_run_closing(loop);
    loop->running--;
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
/* <<loop.c  end of src/loop.c */

/* ======================================================================== */
/* >>poll_epoll.c  (src/poll_epoll.c)                                       */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/poll_epoll.c"
#endif
/* poll_epoll.c: the epoll backend (Linux, level-triggered). */
/* #include "loop.h" (inlined above) */

#if TN__POLL_EPOLL

#define TN__EPOLL_BATCH 1024

typedef struct tn__epoll {
    int epfd;
    struct epoll_event events[TN__EPOLL_BATCH];
} tn__epoll;

TN__PRIVATE const char *tn__poll_name(void) { return "epoll"; }

TN__PRIVATE int tn__poll_init(tn_loop *loop) {
    tn__epoll *p = (tn__epoll *)tn__calloc(loop->a, sizeof *p);
    if (!p) return TN_ENOMEM;
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (p->epfd < 0) {
        int rc = tn__last_err();
        tn__free(loop->a, p);
        return rc;
    }
    if (tn__loop_fired_reserve(loop, TN__EPOLL_BATCH) != 0) {
        tn__fd_close(p->epfd);
        tn__free(loop->a, p);
        return TN_ENOMEM;
    }
    loop->backend = p;
    return TN_OK;
}

TN__PRIVATE void tn__poll_free(tn_loop *loop) {
    tn__epoll *p = (tn__epoll *)loop->backend;
    if (!p) return;
    tn__fd_close(p->epfd);
    tn__free(loop->a, p);
    loop->backend = NULL;
}

TN__PRIVATE uint32_t tn__epoll_mask(int events) {
    uint32_t m = 0;
    if (events & TN_EV_READ) m |= (uint32_t)EPOLLIN;
    if (events & TN_EV_WRITE) m |= (uint32_t)EPOLLOUT;
    return m;
}

TN__PRIVATE int tn__epoll_ctl(tn_loop *loop, int op, int fd, int events) {
    tn__epoll *p = (tn__epoll *)loop->backend;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = tn__epoll_mask(events);
    ev.data.fd = fd;
    if (epoll_ctl(p->epfd, op, fd, &ev) != 0) return tn__last_err();
    return TN_OK;
}

TN__PRIVATE int tn__poll_add(tn_loop *loop, int fd, int events) {
    int rc = tn__epoll_ctl(loop, EPOLL_CTL_ADD, fd, events);
    /* an fd closed without remove_fd leaves a stale registration on a reused number */
    if (rc == TN_EEXIST) rc = tn__epoll_ctl(loop, EPOLL_CTL_MOD, fd, events);
    return rc;
}

TN__PRIVATE int tn__poll_mod(tn_loop *loop, int fd, int events) {
    return tn__epoll_ctl(loop, EPOLL_CTL_MOD, fd, events);
}

TN__PRIVATE int tn__poll_del(tn_loop *loop, int fd) {
    tn__epoll *p = (tn__epoll *)loop->backend;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    if (epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, &ev) != 0 && errno != ENOENT && errno != EBADF)
        return tn__last_err();
    return TN_OK;
}

TN__PRIVATE int tn__poll_wait(tn_loop *loop, int timeout_ms) {
    tn__epoll *p = (tn__epoll *)loop->backend;
    int n, i;
    n = epoll_wait(p->epfd, p->events, TN__EPOLL_BATCH, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : tn__last_err();
    for (i = 0; i < n; i++) {
        uint32_t e = p->events[i].events;
        int ev = 0;
        if (e & (EPOLLIN | EPOLLPRI | EPOLLRDHUP)) ev |= TN_EV_READ;
        if (e & EPOLLOUT) ev |= TN_EV_WRITE;
        if (e & (EPOLLERR | EPOLLHUP)) ev |= TN_EV_ERROR | TN_EV_READ;
        loop->fired[i].fd = p->events[i].data.fd;
        loop->fired[i].events = ev;
    }
    return n;
}

#endif /* TN__POLL_EPOLL */
/* <<poll_epoll.c  end of src/poll_epoll.c */

/* ======================================================================== */
/* >>poll_poll.c  (src/poll_poll.c)                                         */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/poll_poll.c"
#endif
/* poll_poll.c: the portable poll() backend (any POSIX system; also the test reference). */
/* #include "loop.h" (inlined above) */

#if TN__POLL_POLL

typedef struct tn__pollset {
    struct pollfd *pfds;      /* the set handed to poll() */
    size_t n, cap;
    int *index;               /* fd → position in pfds, -1 when absent */
    size_t index_cap;
} tn__pollset;

TN__PRIVATE const char *tn__poll_name(void) { return "poll"; }

TN__PRIVATE int tn__poll_init(tn_loop *loop) {
    tn__pollset *p = (tn__pollset *)tn__calloc(loop->a, sizeof *p);
    if (!p) return TN_ENOMEM;
    loop->backend = p;
    return TN_OK;
}

TN__PRIVATE void tn__poll_free(tn_loop *loop) {
    tn__pollset *p = (tn__pollset *)loop->backend;
    if (!p) return;
    tn__free(loop->a, p->pfds);
    tn__free(loop->a, p->index);
    tn__free(loop->a, p);
    loop->backend = NULL;
}

TN__PRIVATE short tn__poll_mask(int events) {
    return (short)(((events & TN_EV_READ) ? POLLIN : 0) | ((events & TN_EV_WRITE) ? POLLOUT : 0));
}

TN__PRIVATE int tn__poll_add(tn_loop *loop, int fd, int events) {
    tn__pollset *p = (tn__pollset *)loop->backend;
    int rc;
    if ((size_t)fd >= p->index_cap) {
        size_t old = p->index_cap, i;
        rc = tn__grow(loop->a, (void **)&p->index, &p->index_cap, (size_t)fd + 1, sizeof(int));
        if (rc != 0) return rc;
        for (i = old; i < p->index_cap; i++) p->index[i] = -1;
    }
    if (p->index[fd] >= 0) {
        p->pfds[p->index[fd]].events = tn__poll_mask(events);
        return TN_OK;
    }
    if ((rc = tn__grow(loop->a, (void **)&p->pfds, &p->cap, p->n + 1, sizeof(struct pollfd))) != 0) return rc;
    if ((rc = tn__loop_fired_reserve(loop, p->n + 1)) != 0) return rc;
    p->pfds[p->n].fd = fd;
    p->pfds[p->n].events = tn__poll_mask(events);
    p->pfds[p->n].revents = 0;
    p->index[fd] = (int)p->n++;
    return TN_OK;
}

TN__PRIVATE int tn__poll_mod(tn_loop *loop, int fd, int events) {
    tn__pollset *p = (tn__pollset *)loop->backend;
    if ((size_t)fd >= p->index_cap || p->index[fd] < 0) return TN_ENOENT;
    p->pfds[p->index[fd]].events = tn__poll_mask(events);
    return TN_OK;
}

TN__PRIVATE int tn__poll_del(tn_loop *loop, int fd) {
    tn__pollset *p = (tn__pollset *)loop->backend;
    int pos;
    if ((size_t)fd >= p->index_cap || (pos = p->index[fd]) < 0) return TN_OK;
    p->n--;
    if ((size_t)pos != p->n) {
        p->pfds[pos] = p->pfds[p->n];
        p->index[p->pfds[pos].fd] = pos;
    }
    p->index[fd] = -1;
    return TN_OK;
}

TN__PRIVATE int tn__poll_wait(tn_loop *loop, int timeout_ms) {
    tn__pollset *p = (tn__pollset *)loop->backend;
    size_t i;
    int n, k = 0;
    n = poll(p->pfds, (nfds_t)p->n, timeout_ms);
    if (n < 0) return errno == EINTR ? 0 : tn__last_err();
    for (i = 0; i < p->n && k < n; i++) {
        short r = p->pfds[i].revents;
        int ev = 0;
        if (!r) continue;
        if (r & (POLLIN | POLLPRI)) ev |= TN_EV_READ;
        if (r & POLLOUT) ev |= TN_EV_WRITE;
        if (r & (POLLERR | POLLHUP | POLLNVAL)) ev |= TN_EV_ERROR | TN_EV_READ;
        loop->fired[k].fd = p->pfds[i].fd;
        loop->fired[k].events = ev;
        k++;
    }
    return k;
}

#endif /* TN__POLL_POLL */
/* <<poll_poll.c  end of src/poll_poll.c */

/* ======================================================================== */
/* >>crypto.c  (src/crypto.c)                                               */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/crypto.c"
#endif
/* crypto.c: SHA-1, SHA-256, HMAC, constant-time compare, base64, hex, UTF-8 validation, random bytes. */
/* #include "crypto.h" (inlined above) */

/* ---- byte order helpers (the compiler turns these into single loads / bswaps) ---- */
TN__PRIVATE uint32_t tn__cr_load_be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

TN__PRIVATE void tn__cr_store_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

TN__PRIVATE void tn__cr_store_be64(unsigned char *p, uint64_t v) {
    tn__cr_store_be32(p, (uint32_t)(v >> 32));
    tn__cr_store_be32(p + 4, (uint32_t)v);
}

#define TN__CR_ROTL32(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define TN__CR_ROTR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* Wipe memory the optimiser may not remove (key material). */
TN__PRIVATE void tn__cr_wipe(void *p, size_t n) {
    volatile unsigned char *v = (volatile unsigned char *)p;
    while (n--) *v++ = 0;
}

/* ======================================================================================
   SHA-1 (FIPS 180-4 section 6.1). The message schedule is kept in a 16-word ring. */
TN__PRIVATE void tn__sha1_blocks(uint32_t h[5], const unsigned char *p, size_t nblocks) {
    uint32_t w[16];
    while (nblocks--) {
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], t;
        int i;
        for (i = 0; i < 16; i++) w[i] = tn__cr_load_be32(p + 4 * i);
        for (i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i >= 16) {
                uint32_t x = w[(i + 13) & 15] ^ w[(i + 8) & 15] ^ w[(i + 2) & 15] ^ w[i & 15];
                w[i & 15] = TN__CR_ROTL32(x, 1);
            }
            if (i < 20) {
                f = (b & c) | (~b & d);
                k = 0x5a827999u;
            } else if (i < 40) {
                f = b ^ c ^ d;
                k = 0x6ed9eba1u;
            } else if (i < 60) {
                f = (b & c) | (b & d) | (c & d);
                k = 0x8f1bbcdcu;
            } else {
                f = b ^ c ^ d;
                k = 0xca62c1d6u;
            }
            t = TN__CR_ROTL32(a, 5) + f + e + k + w[i & 15];
            e = d;
            d = c;
            c = TN__CR_ROTL32(b, 30);
            b = a;
            a = t;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
        p += 64;
    }
}

TN_API void tn_sha1_init(tn_sha1_ctx *ctx) {
    ctx->_h[0] = 0x67452301u;
    ctx->_h[1] = 0xefcdab89u;
    ctx->_h[2] = 0x98badcfeu;
    ctx->_h[3] = 0x10325476u;
    ctx->_h[4] = 0xc3d2e1f0u;
    ctx->_len = 0;
    ctx->_nbuf = 0;
}

TN_API void tn_sha1_update(tn_sha1_ctx *ctx, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    if (n == 0) return;
    ctx->_len += n;
    if (ctx->_nbuf) {
        size_t take = TN__MIN(n, 64 - ctx->_nbuf);
        memcpy(ctx->_buf + ctx->_nbuf, p, take);
        ctx->_nbuf += take;
        p += take;
        n -= take;
        if (ctx->_nbuf < 64) return;
        tn__sha1_blocks(ctx->_h, ctx->_buf, 1);
        ctx->_nbuf = 0;
    }
    if (n >= 64) {
        tn__sha1_blocks(ctx->_h, p, n / 64);
        p += n & ~(size_t)63;
        n &= 63;
    }
    if (n) {
        memcpy(ctx->_buf, p, n);
        ctx->_nbuf = n;
    }
}

TN_API void tn_sha1_final(tn_sha1_ctx *ctx, unsigned char out[TN_SHA1_SIZE]) {
    uint64_t bits = ctx->_len * 8;
    int i;
    ctx->_buf[ctx->_nbuf++] = 0x80;
    if (ctx->_nbuf > 56) {
        memset(ctx->_buf + ctx->_nbuf, 0, 64 - ctx->_nbuf);
        tn__sha1_blocks(ctx->_h, ctx->_buf, 1);
        ctx->_nbuf = 0;
    }
    memset(ctx->_buf + ctx->_nbuf, 0, 56 - ctx->_nbuf);
    tn__cr_store_be64(ctx->_buf + 56, bits);
    tn__sha1_blocks(ctx->_h, ctx->_buf, 1);
    for (i = 0; i < 5; i++) tn__cr_store_be32(out + 4 * i, ctx->_h[i]);
    ctx->_nbuf = 0;
}

TN_API void tn_sha1(const void *data, size_t n, unsigned char out[TN_SHA1_SIZE]) {
    tn_sha1_ctx c;
    tn_sha1_init(&c);
    tn_sha1_update(&c, data, n);
    tn_sha1_final(&c, out);
}

/* ======================================================================================
   SHA-256 (FIPS 180-4 section 6.2). Rounds are unrolled by eight with rotating variable
   names, so no register shuffling is needed. */
static const uint32_t tn__sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u,
    0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
    0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu,
    0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
    0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u,
    0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u,
    0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
    0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

#define TN__S256_S0(x) (TN__CR_ROTR32(x, 2) ^ TN__CR_ROTR32(x, 13) ^ TN__CR_ROTR32(x, 22))
#define TN__S256_S1(x) (TN__CR_ROTR32(x, 6) ^ TN__CR_ROTR32(x, 11) ^ TN__CR_ROTR32(x, 25))
#define TN__S256_G0(x) (TN__CR_ROTR32(x, 7) ^ TN__CR_ROTR32(x, 18) ^ ((x) >> 3))
#define TN__S256_G1(x) (TN__CR_ROTR32(x, 17) ^ TN__CR_ROTR32(x, 19) ^ ((x) >> 10))
#define TN__S256_CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define TN__S256_MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
/* One round i with working variables named in rotated order. */
#define TN__S256_ROUND(a, b, c, d, e, f, g, h, i)                                             \
    do {                                                                                      \
        uint32_t t1_ = (h) + TN__S256_S1(e) + TN__S256_CH(e, f, g) + tn__sha256_k[i] + w[i];  \
        uint32_t t2_ = TN__S256_S0(a) + TN__S256_MAJ(a, b, c);                                \
        (d) += t1_;                                                                           \
        (h) = t1_ + t2_;                                                                      \
    } while (0)

TN__PRIVATE void tn__sha256_blocks(uint32_t st[8], const unsigned char *p, size_t nblocks) {
    uint32_t w[64];
    while (nblocks--) {
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
        int i;
        for (i = 0; i < 16; i++) w[i] = tn__cr_load_be32(p + 4 * i);
        for (i = 16; i < 64; i++)
            w[i] = TN__S256_G1(w[i - 2]) + w[i - 7] + TN__S256_G0(w[i - 15]) + w[i - 16];
        for (i = 0; i < 64; i += 8) {
            TN__S256_ROUND(a, b, c, d, e, f, g, h, i + 0);
            TN__S256_ROUND(h, a, b, c, d, e, f, g, i + 1);
            TN__S256_ROUND(g, h, a, b, c, d, e, f, i + 2);
            TN__S256_ROUND(f, g, h, a, b, c, d, e, i + 3);
            TN__S256_ROUND(e, f, g, h, a, b, c, d, i + 4);
            TN__S256_ROUND(d, e, f, g, h, a, b, c, i + 5);
            TN__S256_ROUND(c, d, e, f, g, h, a, b, i + 6);
            TN__S256_ROUND(b, c, d, e, f, g, h, a, i + 7);
        }
        st[0] += a;
        st[1] += b;
        st[2] += c;
        st[3] += d;
        st[4] += e;
        st[5] += f;
        st[6] += g;
        st[7] += h;
        p += 64;
    }
}

TN_API void tn_sha256_init(tn_sha256_ctx *ctx) {
    ctx->_h[0] = 0x6a09e667u;
    ctx->_h[1] = 0xbb67ae85u;
    ctx->_h[2] = 0x3c6ef372u;
    ctx->_h[3] = 0xa54ff53au;
    ctx->_h[4] = 0x510e527fu;
    ctx->_h[5] = 0x9b05688cu;
    ctx->_h[6] = 0x1f83d9abu;
    ctx->_h[7] = 0x5be0cd19u;
    ctx->_len = 0;
    ctx->_nbuf = 0;
}

TN_API void tn_sha256_update(tn_sha256_ctx *ctx, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    if (n == 0) return;
    ctx->_len += n;
    if (ctx->_nbuf) {
        size_t take = TN__MIN(n, 64 - ctx->_nbuf);
        memcpy(ctx->_buf + ctx->_nbuf, p, take);
        ctx->_nbuf += take;
        p += take;
        n -= take;
        if (ctx->_nbuf < 64) return;
        tn__sha256_blocks(ctx->_h, ctx->_buf, 1);
        ctx->_nbuf = 0;
    }
    if (n >= 64) {
        tn__sha256_blocks(ctx->_h, p, n / 64);
        p += n & ~(size_t)63;
        n &= 63;
    }
    if (n) {
        memcpy(ctx->_buf, p, n);
        ctx->_nbuf = n;
    }
}

TN_API void tn_sha256_final(tn_sha256_ctx *ctx, unsigned char out[TN_SHA256_SIZE]) {
    uint64_t bits = ctx->_len * 8;
    int i;
    ctx->_buf[ctx->_nbuf++] = 0x80;
    if (ctx->_nbuf > 56) {
        memset(ctx->_buf + ctx->_nbuf, 0, 64 - ctx->_nbuf);
        tn__sha256_blocks(ctx->_h, ctx->_buf, 1);
        ctx->_nbuf = 0;
    }
    memset(ctx->_buf + ctx->_nbuf, 0, 56 - ctx->_nbuf);
    tn__cr_store_be64(ctx->_buf + 56, bits);
    tn__sha256_blocks(ctx->_h, ctx->_buf, 1);
    for (i = 0; i < 8; i++) tn__cr_store_be32(out + 4 * i, ctx->_h[i]);
    ctx->_nbuf = 0;
}

TN_API void tn_sha256(const void *data, size_t n, unsigned char out[TN_SHA256_SIZE]) {
    tn_sha256_ctx c;
    tn_sha256_init(&c);
    tn_sha256_update(&c, data, n);
    tn_sha256_final(&c, out);
}

/* ======================================================================================
   HMAC (RFC 2104): H((K ^ opad) || H((K ^ ipad) || m)). Both hash states are primed with
   their padded key block at init, so update/final are plain hash calls. */
TN_API void tn_hmac_sha256_init(tn_hmac_sha256_ctx *ctx, const void *key, size_t key_len) {
    unsigned char k[64], pad[64];
    size_t i;
    memset(k, 0, sizeof k);
    if (key_len > 64) tn_sha256(key, key_len, k);
    else if (key_len) memcpy(k, key, key_len);
    for (i = 0; i < 64; i++) pad[i] = (unsigned char)(k[i] ^ 0x36);
    tn_sha256_init(&ctx->_inner);
    tn_sha256_update(&ctx->_inner, pad, 64);
    for (i = 0; i < 64; i++) pad[i] = (unsigned char)(k[i] ^ 0x5c);
    tn_sha256_init(&ctx->_outer);
    tn_sha256_update(&ctx->_outer, pad, 64);
    tn__cr_wipe(k, sizeof k);
    tn__cr_wipe(pad, sizeof pad);
}

TN_API void tn_hmac_sha256_update(tn_hmac_sha256_ctx *ctx, const void *data, size_t n) {
    tn_sha256_update(&ctx->_inner, data, n);
}

TN_API void tn_hmac_sha256_final(tn_hmac_sha256_ctx *ctx, unsigned char out[TN_SHA256_SIZE]) {
    unsigned char ih[TN_SHA256_SIZE];
    tn_sha256_final(&ctx->_inner, ih);
    tn_sha256_update(&ctx->_outer, ih, sizeof ih);
    tn_sha256_final(&ctx->_outer, out);
    tn__cr_wipe(ctx, sizeof *ctx);
}

TN_API void tn_hmac_sha256(const void *key, size_t key_len, const void *data, size_t n,
                           unsigned char out[TN_SHA256_SIZE]) {
    tn_hmac_sha256_ctx c;
    tn_hmac_sha256_init(&c, key, key_len);
    tn_hmac_sha256_update(&c, data, n);
    tn_hmac_sha256_final(&c, out);
}

TN_API void tn_hmac_sha1_init(tn_hmac_sha1_ctx *ctx, const void *key, size_t key_len) {
    unsigned char k[64], pad[64];
    size_t i;
    memset(k, 0, sizeof k);
    if (key_len > 64) tn_sha1(key, key_len, k);
    else if (key_len) memcpy(k, key, key_len);
    for (i = 0; i < 64; i++) pad[i] = (unsigned char)(k[i] ^ 0x36);
    tn_sha1_init(&ctx->_inner);
    tn_sha1_update(&ctx->_inner, pad, 64);
    for (i = 0; i < 64; i++) pad[i] = (unsigned char)(k[i] ^ 0x5c);
    tn_sha1_init(&ctx->_outer);
    tn_sha1_update(&ctx->_outer, pad, 64);
    tn__cr_wipe(k, sizeof k);
    tn__cr_wipe(pad, sizeof pad);
}

TN_API void tn_hmac_sha1_update(tn_hmac_sha1_ctx *ctx, const void *data, size_t n) {
    tn_sha1_update(&ctx->_inner, data, n);
}

TN_API void tn_hmac_sha1_final(tn_hmac_sha1_ctx *ctx, unsigned char out[TN_SHA1_SIZE]) {
    unsigned char ih[TN_SHA1_SIZE];
    tn_sha1_final(&ctx->_inner, ih);
    tn_sha1_update(&ctx->_outer, ih, sizeof ih);
    tn_sha1_final(&ctx->_outer, out);
    tn__cr_wipe(ctx, sizeof *ctx);
}

TN_API void tn_hmac_sha1(const void *key, size_t key_len, const void *data, size_t n,
                         unsigned char out[TN_SHA1_SIZE]) {
    tn_hmac_sha1_ctx c;
    tn_hmac_sha1_init(&c, key, key_len);
    tn_hmac_sha1_update(&c, data, n);
    tn_hmac_sha1_final(&c, out);
}

/* ======================================================================================
   Constant-time comparison: OR together every difference, branch only at the end. */
TN_API int tn_ct_equal(const void *a, const void *b, size_t n) {
    const volatile unsigned char *x = (const volatile unsigned char *)a;
    const volatile unsigned char *y = (const volatile unsigned char *)b;
    unsigned diff = 0;
    size_t i;
    for (i = 0; i < n; i++) diff |= (unsigned)(x[i] ^ y[i]);
    return (int)(1 & ((diff - 1) >> 8));
}

TN_API int tn_ct_str_equal(tn_str a, tn_str b) {
    if (a.len != b.len) return 0;
    if (a.len == 0) return 1;
    return tn_ct_equal(a.ptr, b.ptr, a.len);
}

/* ======================================================================================
   base64 (RFC 4648 sections 4 and 5). */
static const char tn__b64_std[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char tn__b64_url[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The value (0..63) of c in the alphabet, or -1. Branches on the character class only,
   so no table needs initialising (and the function is thread-safe). */
TN__PRIVATE int tn__b64_value(unsigned char c, int url) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (url) {
        if (c == '-') return 62;
        if (c == '_') return 63;
    } else {
        if (c == '+') return 62;
        if (c == '/') return 63;
    }
    return -1;
}

TN_API size_t tn_base64_encoded_size(size_t n, int flags) {
    size_t full = n / 3, rem = n % 3;
    if (full > (((size_t)-1) - 4) / 4) return (size_t)-1;
    if (rem == 0) return full * 4;
    if (flags & TN_BASE64_NOPAD) return full * 4 + rem + 1;
    return full * 4 + 4;
}

TN_API size_t tn_base64_decoded_max(size_t n) { return (n / 4) * 3 + ((n % 4) ? 3 : 0); }

TN_API int tn_base64_encode(const void *src, size_t n, char *out, size_t cap, size_t *out_len,
                            int flags) {
    const unsigned char *p = (const unsigned char *)src;
    const char *al;
    size_t need, i, o = 0;
    if (flags & ~(TN_BASE64_URL | TN_BASE64_NOPAD)) return TN_EINVAL;
    al = (flags & TN_BASE64_URL) ? tn__b64_url : tn__b64_std;
    need = tn_base64_encoded_size(n, flags);
    if (out_len) *out_len = need;
    if (need == (size_t)-1 || cap < need) return TN_EBUFFER_FULL;
    for (i = 0; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
        out[o++] = al[v >> 18];
        out[o++] = al[(v >> 12) & 63];
        out[o++] = al[(v >> 6) & 63];
        out[o++] = al[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = al[v >> 18];
        out[o++] = al[(v >> 12) & 63];
        if (!(flags & TN_BASE64_NOPAD)) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8);
        out[o++] = al[v >> 18];
        out[o++] = al[(v >> 12) & 63];
        out[o++] = al[(v >> 6) & 63];
        if (!(flags & TN_BASE64_NOPAD)) out[o++] = '=';
    }
    if (o < cap) out[o] = '\0';
    return TN_OK;
}

TN_API int tn_base64_decode(const char *src, size_t n, void *out, size_t cap, size_t *out_len,
                            int flags) {
    const unsigned char *p = (const unsigned char *)src;
    unsigned char *q = (unsigned char *)out;
    int url = (flags & TN_BASE64_URL) != 0;
    size_t body = n, tail, need, i, o = 0;
    if (out_len) *out_len = 0;
    if (flags & ~(TN_BASE64_URL | TN_BASE64_NOPAD)) return TN_EINVAL;
    if (flags & TN_BASE64_NOPAD) {
        if (n % 4 == 1) return TN_EBAD_ENCODING;
    } else {
        if (n % 4 != 0) return TN_EBAD_ENCODING;
        /* strip at most two '=' at the very end; any other '=' is rejected below */
        if (body && p[body - 1] == '=') body--;
        if (body && p[body - 1] == '=') body--;
        if (n - body && body % 4 < 2) return TN_EBAD_ENCODING;   /* "====", "x===" */
    }
    tail = body % 4;   /* 0, 2 or 3 characters in the last, partial group */
    need = (body / 4) * 3 + (tail ? tail - 1 : 0);
    if (need > cap) {
        if (out_len) *out_len = need;
        return TN_EBUFFER_FULL;
    }
    for (i = 0; i + 4 <= body; i += 4) {
        int a = tn__b64_value(p[i], url), b = tn__b64_value(p[i + 1], url);
        int c = tn__b64_value(p[i + 2], url), d = tn__b64_value(p[i + 3], url);
        uint32_t v;
        if ((a | b | c | d) < 0) return TN_EBAD_ENCODING;
        v = ((uint32_t)a << 18) | ((uint32_t)b << 12) | ((uint32_t)c << 6) | (uint32_t)d;
        q[o++] = (unsigned char)(v >> 16);
        q[o++] = (unsigned char)(v >> 8);
        q[o++] = (unsigned char)v;
    }
    if (tail) {
        int a = tn__b64_value(p[i], url), b = tn__b64_value(p[i + 1], url);
        int c = tail == 3 ? tn__b64_value(p[i + 2], url) : 0;
        uint32_t v;
        if ((a | b | c) < 0) return TN_EBAD_ENCODING;
        v = ((uint32_t)a << 18) | ((uint32_t)b << 12) | ((uint32_t)c << 6);
        /* canonical form: the bits past the last whole byte must be zero */
        if (tail == 2 ? (v & 0xffffu) != 0 : (v & 0xffu) != 0) return TN_EBAD_ENCODING;
        q[o++] = (unsigned char)(v >> 16);
        if (tail == 3) q[o++] = (unsigned char)(v >> 8);
    }
    if (out_len) *out_len = o;
    return TN_OK;
}

/* ======================================================================================
   hex */
TN_API int tn_hex_encode(const void *src, size_t n, char *out, size_t cap, size_t *out_len) {
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)src;
    size_t i;
    if (out_len) *out_len = n * 2;
    if (n > ((size_t)-1) / 2 || cap < n * 2) return TN_EBUFFER_FULL;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    if (2 * n < cap) out[2 * n] = '\0';
    return TN_OK;
}

/* ======================================================================================
   UTF-8 validation (RFC 3629 section 4 grammar). The state is the number of continuation
   bytes still expected and the allowed range of the next one: the range is narrowed only
   for the first continuation after E0, ED, F0 and F4, which is exactly what excludes
   overlongs, surrogates and code points above U+10FFFF. */
TN_API void tn_utf8_init(tn_utf8_state *st) {
    st->_need = 0;
    st->_lo = 0x80;
    st->_hi = 0xbf;
    st->_bad = 0;
}

TN_API int tn_utf8_feed(tn_utf8_state *st, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    const unsigned char *end = p + n;
    unsigned need = st->_need;
    unsigned lo = st->_lo ? st->_lo : 0x80, hi = st->_hi ? st->_hi : 0xbf;
    if (st->_bad) return TN_EBAD_ENCODING;
    if (n == 0) return TN_OK;
    while (p < end) {
        unsigned c;
        if (need == 0) {
            /* ASCII fast path: eight bytes at a time */
            while ((size_t)(end - p) >= 8) {
                uint64_t w;
                memcpy(&w, p, 8);
                if (w & 0x8080808080808080ull) break;
                p += 8;
            }
            while (p < end && *p < 0x80) p++;
            if (p == end) break;
            c = *p++;
            if (c >= 0xc2 && c <= 0xdf) {
                need = 1;
                lo = 0x80; hi = 0xbf;
            } else if (c >= 0xe0 && c <= 0xef) {
                need = 2;
                lo = c == 0xe0 ? 0xa0 : 0x80;
                hi = c == 0xed ? 0x9f : 0xbf;
            } else if (c >= 0xf0 && c <= 0xf4) {
                need = 3;
                lo = c == 0xf0 ? 0x90 : 0x80;
                hi = c == 0xf4 ? 0x8f : 0xbf;
            } else {
                st->_bad = 1;   /* 80..C1 (stray continuation, overlong lead) or F5..FF */
                return TN_EBAD_ENCODING;
            }
        } else {
            c = *p++;
            if (c < lo || c > hi) {
                st->_bad = 1;
                return TN_EBAD_ENCODING;
            }
            need--;
            lo = 0x80;
            hi = 0xbf;
        }
    }
    st->_need = need;
    st->_lo = (unsigned char)lo;
    st->_hi = (unsigned char)hi;
    return TN_OK;
}

TN_API int tn_utf8_finish(tn_utf8_state *st) {
    int ok = !st->_bad && st->_need == 0;
    tn_utf8_init(st);
    return ok ? TN_OK : TN_EBAD_ENCODING;
}

TN_API int tn_utf8_validate(const void *data, size_t n) {
    tn_utf8_state st;
    tn_utf8_init(&st);
    if (tn_utf8_feed(&st, data, n) != TN_OK) return TN_EBAD_ENCODING;
    return tn_utf8_finish(&st);
}

/* ======================================================================================
   Random bytes. */
static tn_random_fn tn__random_hook = NULL;
static void *tn__random_user = NULL;

TN_API void tn_random_set_source(tn_random_fn fn, void *user) {
    tn__random_hook = fn;
    tn__random_user = fn ? user : NULL;
}

#if !defined(_WIN32) && !TN__HAVE_ARC4RANDOM
/* Read n bytes from /dev/urandom (the fallback everywhere on POSIX). */
TN__PRIVATE int tn__random_urandom(unsigned char *p, size_t n) {
    int fd, flags = O_RDONLY;
#if defined(O_CLOEXEC)
    flags |= O_CLOEXEC;
#endif
    do {
        fd = open("/dev/urandom", flags);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return tn__last_err();
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            int rc = r < 0 ? tn__last_err() : TN_ESYS;
            tn__fd_close(fd);
            return rc;
        }
        p += r;
        n -= (size_t)r;
    }
    tn__fd_close(fd);
    return TN_OK;
}
#endif

TN_API int tn_random_bytes(void *buf, size_t n) {
    unsigned char *p = (unsigned char *)buf;
    if (tn__random_hook) return tn__random_hook(buf, n, tn__random_user);
    if (n == 0) return TN_OK;
#if defined(_WIN32)
    while (n > 0) {
        ULONG chunk = n > 0x40000000u ? 0x40000000u : (ULONG)n;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, p, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return TN_ESYS;
        p += chunk;
        n -= chunk;
    }
    return TN_OK;
#elif TN__HAVE_ARC4RANDOM
    arc4random_buf(p, n);
    return TN_OK;
#else
#  if TN__HAVE_GETRANDOM
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == ENOSYS) break;   /* kernel older than 3.17: use the device */
            return tn__last_err();
        }
        p += r;
        n -= (size_t)r;
    }
    if (n == 0) return TN_OK;
#  endif
    return tn__random_urandom(p, n);
#endif
}
/* <<crypto.c  end of src/crypto.c */

/* ======================================================================== */
/* >>http_cookie.c  (src/http_cookie.c)                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_cookie.c"
#endif
/* http_cookie.c: Cookie header parsing, Set-Cookie formatting, Tornado signed values (v2), HTTP Basic auth. */
/* #include "http_cookie.h" (inlined above) */

/* ---- a bounded writer that keeps counting past the end, so callers learn the size ---- */
typedef struct tn__ck_wr {
    char *p;
    size_t cap;
    size_t len;
} tn__ck_wr;

TN__PRIVATE void tn__ck_wr_put(tn__ck_wr *w, const char *s, size_t n) {
    if (w->len <= w->cap && n <= w->cap - w->len && n) memcpy(w->p + w->len, s, n);
    w->len += n;
}

TN__PRIVATE void tn__ck_wr_str(tn__ck_wr *w, tn_str s) { tn__ck_wr_put(w, s.ptr, s.len); }
TN__PRIVATE void tn__ck_wr_cstr(tn__ck_wr *w, const char *s) { tn__ck_wr_put(w, s, strlen(s)); }
TN__PRIVATE void tn__ck_wr_byte(tn__ck_wr *w, char c) { tn__ck_wr_put(w, &c, 1); }

/* Decimal of a signed 64-bit value. */
TN__PRIVATE void tn__ck_wr_i64(tn__ck_wr *w, int64_t v) {
    char tmp[24];
    size_t i = sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--i] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (v < 0) tmp[--i] = '-';
    tn__ck_wr_put(w, tmp + i, sizeof tmp - i);
}

TN__PRIVATE void tn__ck_wr_u64(tn__ck_wr *w, uint64_t u) {
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    tn__ck_wr_put(w, tmp + i, sizeof tmp - i);
}

/* Finish: NUL when room remains, report the length, map overflow to TN_EBUFFER_FULL. */
TN__PRIVATE int tn__ck_wr_done(tn__ck_wr *w, size_t *out_len) {
    if (out_len) *out_len = w->len;
    if (w->len > w->cap) return TN_EBUFFER_FULL;
    if (w->len < w->cap) w->p[w->len] = '\0';
    return TN_OK;
}

/* ======================================================================================
   Cookie header */
TN__PRIVATE int tn__cookie_space(unsigned char c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
}

TN__PRIVATE tn_str tn__cookie_trim(const char *p, size_t n) {
    while (n && tn__cookie_space((unsigned char)p[0])) { p++; n--; }
    while (n && tn__cookie_space((unsigned char)p[n - 1])) n--;
    return tn_str_make(p, n);
}

TN_API int tn_cookie_next(tn_str header, size_t *pos, tn_cookie *out) {
    while (*pos < header.len) {
        const char *chunk = header.ptr + *pos;
        size_t rest = header.len - *pos, clen;
        const char *semi = (const char *)memchr(chunk, ';', rest);
        const char *eq;
        tn_str name, value;
        clen = semi ? (size_t)(semi - chunk) : rest;
        *pos += semi ? clen + 1 : clen;
        eq = clen ? (const char *)memchr(chunk, '=', clen) : NULL;
        if (eq) {
            name = tn__cookie_trim(chunk, (size_t)(eq - chunk));
            value = tn__cookie_trim(eq + 1, clen - (size_t)(eq - chunk) - 1);
        } else {
            name = tn_str_make(chunk, 0);
            value = tn__cookie_trim(chunk, clen);
        }
        if (name.len == 0 && value.len == 0) continue;
        out->name = name;
        out->quoted = 0;
        if (value.len >= 2 && value.ptr[0] == '"' && value.ptr[value.len - 1] == '"') {
            value.ptr++;
            value.len -= 2;
            out->quoted = 1;
        }
        out->value = value;
        return 1;
    }
    return 0;
}

TN_API int tn_cookie_get(tn_str header, tn_str name, tn_cookie *out) {
    size_t pos = 0;
    int found = 0;
    tn_cookie c, last;
    memset(&last, 0, sizeof last);
    while (tn_cookie_next(header, &pos, &c)) {
        if (tn_str_eq(c.name, name)) {
            last = c;
            found = 1;
        }
    }
    if (found && out) *out = last;
    return found;
}

TN_API int tn_cookie_unquote(tn_str value, char *out, size_t cap, size_t *out_len) {
    const unsigned char *p = (const unsigned char *)value.ptr;
    size_t i = 0, o = 0, need = 0;
    /* first pass: the exact size (so TN_EBUFFER_FULL can report it without writing) */
    while (i < value.len) {
        if (p[i] == '\\' && i + 3 < value.len && p[i + 1] >= '0' && p[i + 1] <= '3' &&
            p[i + 2] >= '0' && p[i + 2] <= '7' && p[i + 3] >= '0' && p[i + 3] <= '7') {
            i += 4;
        } else if (p[i] == '\\' && i + 1 < value.len && p[i + 1] != '\n') {
            i += 2;
        } else {
            i += 1;
        }
        need++;
    }
    if (out_len) *out_len = need;
    if (need > cap) return TN_EBUFFER_FULL;
    i = 0;
    while (i < value.len) {
        unsigned char c = p[i];
        if (c == '\\' && i + 3 < value.len && p[i + 1] >= '0' && p[i + 1] <= '3' &&
            p[i + 2] >= '0' && p[i + 2] <= '7' && p[i + 3] >= '0' && p[i + 3] <= '7') {
            c = (unsigned char)(((p[i + 1] - '0') << 6) | ((p[i + 2] - '0') << 3) | (p[i + 3] - '0'));
            i += 4;
        } else if (c == '\\' && i + 1 < value.len && p[i + 1] != '\n') {
            c = p[i + 1];
            i += 2;
        } else {
            i += 1;
        }
        out[o++] = (char)c;
    }
    if (o < cap) out[o] = '\0';
    return TN_OK;
}

/* ======================================================================================
   Set-Cookie */

/* RFC 7230 tchar: the characters of a cookie name. */
TN__PRIVATE int tn__ck_is_tchar(unsigned char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return 1;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 6265 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E. These are also
   exactly the printable bytes Python's http.cookies leaves unescaped inside quotes. */
TN__PRIVATE int tn__is_cookie_octet(unsigned char c) {
    return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

/* IMF-fixdate (RFC 7231 section 7.1.1.1) of t seconds after the epoch into out[29].
   The day count is split into 400-, 100-, 4- and 1-year cycles counted from 0000-03-01,
   which puts the leap day at the end of each cycle. t must be in 0..253402300799. */
TN__PRIVATE void tn__ck_imf_fixdate(int64_t t, char out[29]) {
    static const char wd[] = "ThuFriSatSunMonTueWed";   /* 1970-01-01 was a Thursday */
    static const char mn[] = "MarAprMayJunJulAugSepOctNovDecJanFeb";
    static const int mlen[12] = {31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 29};
    int64_t days = t / 86400, secs = t % 86400, d;
    int64_t year, c400, c100, c4, c1;
    int month = 0, i;
    tn__ck_wr w;
    w.p = out;
    w.cap = 29;
    w.len = 0;
    d = days + 719468;   /* days from 0000-03-01 to 1970-01-01 */
    c400 = d / 146097; d %= 146097;
    c100 = d / 36524; if (c100 == 4) c100 = 3; d -= c100 * 36524;
    c4 = d / 1461; d %= 1461;
    c1 = d / 365; if (c1 == 4) c1 = 3; d -= c1 * 365;
    year = c400 * 400 + c100 * 100 + c4 * 4 + c1;   /* the March-based year */
    while (month < 11 && d >= mlen[month]) d -= mlen[month++];
    if (month >= 10) year++;                        /* January and February */
    tn__ck_wr_put(&w, wd + 3 * (int)(days % 7), 3);
    tn__ck_wr_put(&w, ", ", 2);
    tn__ck_wr_byte(&w, (char)('0' + (int)(d + 1) / 10));
    tn__ck_wr_byte(&w, (char)('0' + (int)(d + 1) % 10));
    tn__ck_wr_byte(&w, ' ');
    tn__ck_wr_put(&w, mn + 3 * month, 3);
    tn__ck_wr_byte(&w, ' ');
    for (i = 1000; i > 0; i /= 10) tn__ck_wr_byte(&w, (char)('0' + (int)(year / i % 10)));
    tn__ck_wr_byte(&w, ' ');
    tn__ck_wr_byte(&w, (char)('0' + (int)(secs / 36000)));
    tn__ck_wr_byte(&w, (char)('0' + (int)(secs / 3600 % 10)));
    tn__ck_wr_byte(&w, ':');
    tn__ck_wr_byte(&w, (char)('0' + (int)(secs % 3600 / 600)));
    tn__ck_wr_byte(&w, (char)('0' + (int)(secs % 3600 / 60 % 10)));
    tn__ck_wr_byte(&w, ':');
    tn__ck_wr_byte(&w, (char)('0' + (int)(secs % 60 / 10)));
    tn__ck_wr_byte(&w, (char)('0' + (int)(secs % 10)));
    tn__ck_wr_put(&w, " GMT", 4);
}

TN_API int tn_set_cookie_format(tn_str name, tn_str value, const tn_set_cookie_opts *opts,
                                char *out, size_t cap, size_t *out_len) {
    tn_set_cookie_opts def;
    tn__ck_wr w;
    size_t i;
    int needs_quote = 0;
    if (out_len) *out_len = 0;
    if (!opts) {
        memset(&def, 0, sizeof def);
        opts = &def;
    }
    /* name: a token */
    if (name.len == 0) return TN_EINVAL;
    for (i = 0; i < name.len; i++)
        if (!tn__ck_is_tchar((unsigned char)name.ptr[i])) return TN_EINVAL;
    /* value: never CTL, space or DEL; otherwise cookie-octets, or quoted */
    for (i = 0; i < value.len; i++) {
        unsigned char c = (unsigned char)value.ptr[i];
        if (c <= 0x20 || c == 0x7f) return TN_EINVAL;
        if (!tn__is_cookie_octet(c)) needs_quote = 1;
    }
    if (needs_quote && !opts->quote) return TN_EINVAL;
    for (i = 0; i < opts->domain.len; i++) {
        unsigned char c = (unsigned char)opts->domain.ptr[i];
        if (c <= 0x20 || c >= 0x7f || c == ';' || c == ',') return TN_EINVAL;
    }
    for (i = 0; i < opts->path.len; i++) {
        unsigned char c = (unsigned char)opts->path.ptr[i];
        if (c < 0x20 || c >= 0x7f || c == ';') return TN_EINVAL;
    }
    if (opts->has_expires && (opts->expires < 0 || opts->expires > INT64_C(253402300799)))
        return TN_EINVAL;
    if (opts->same_site < TN_SAMESITE_OMIT || opts->same_site > TN_SAMESITE_NONE) return TN_EINVAL;
    if (opts->same_site == TN_SAMESITE_NONE && !opts->secure) return TN_EINVAL;
    /* cookie name prefixes (RFC 6265bis section 4.1.3): browsers drop cookies that break
       these rules, so refuse them here where the mistake is visible */
    if (name.len >= 9 && tn_str_ieq(tn_str_make(name.ptr, 9), tn_str_c("__Secure-")) && !opts->secure)
        return TN_EINVAL;
    if (name.len >= 7 && tn_str_ieq(tn_str_make(name.ptr, 7), tn_str_c("__Host-")) &&
        (!opts->secure || opts->domain.len || opts->no_path ||
         (opts->path.len && !tn_str_eq(opts->path, tn_str_c("/")))))
        return TN_EINVAL;

    w.p = out;
    w.cap = cap;
    w.len = 0;
    tn__ck_wr_str(&w, name);
    tn__ck_wr_byte(&w, '=');
    if (!needs_quote) {
        tn__ck_wr_str(&w, value);
    } else {
        tn__ck_wr_byte(&w, '"');
        for (i = 0; i < value.len; i++) {
            unsigned char c = (unsigned char)value.ptr[i];
            if (tn__is_cookie_octet(c)) {
                tn__ck_wr_byte(&w, (char)c);
            } else if (c == '"' || c == '\\') {
                tn__ck_wr_byte(&w, '\\');
                tn__ck_wr_byte(&w, (char)c);
            } else {
                char esc[4];
                esc[0] = '\\';
                esc[1] = (char)('0' + (c >> 6));
                esc[2] = (char)('0' + ((c >> 3) & 7));
                esc[3] = (char)('0' + (c & 7));
                tn__ck_wr_put(&w, esc, 4);
            }
        }
        tn__ck_wr_byte(&w, '"');
    }
    if (opts->has_expires) {
        char date[29];
        tn__ck_imf_fixdate(opts->expires, date);
        tn__ck_wr_cstr(&w, "; Expires=");
        tn__ck_wr_put(&w, date, sizeof date);
    }
    if (!opts->no_path) {
        tn__ck_wr_cstr(&w, "; Path=");
        if (opts->path.len) tn__ck_wr_str(&w, opts->path);
        else tn__ck_wr_byte(&w, '/');
    }
    if (opts->domain.len) {
        tn__ck_wr_cstr(&w, "; Domain=");
        tn__ck_wr_str(&w, opts->domain);
    }
    if (opts->has_max_age) {
        tn__ck_wr_cstr(&w, "; Max-Age=");
        tn__ck_wr_i64(&w, opts->max_age);
    }
    if (opts->secure) tn__ck_wr_cstr(&w, "; Secure");
    if (opts->http_only) tn__ck_wr_cstr(&w, "; HttpOnly");
    if (opts->same_site == TN_SAMESITE_STRICT) tn__ck_wr_cstr(&w, "; SameSite=Strict");
    else if (opts->same_site == TN_SAMESITE_LAX) tn__ck_wr_cstr(&w, "; SameSite=Lax");
    else if (opts->same_site == TN_SAMESITE_NONE) tn__ck_wr_cstr(&w, "; SameSite=None");
    return tn__ck_wr_done(&w, out_len);
}

/* ======================================================================================
   Signed values, version 2 */

TN__PRIVATE void tn__ck_wr_field(tn__ck_wr *w, const char *s, size_t n) {
    tn__ck_wr_u64(w, (uint64_t)n);
    tn__ck_wr_byte(w, ':');
    tn__ck_wr_put(w, s, n);
    tn__ck_wr_byte(w, '|');
}

TN_API int tn_signed_value_create(tn_str secret, tn_str name, tn_str value, int64_t timestamp,
                                  unsigned key_version, char *out, size_t cap, size_t *out_len) {
    char num[24];
    tn__ck_wr w, nw;
    size_t b64 = tn_base64_encoded_size(value.len, TN_BASE64_STD), start;
    unsigned char mac[TN_SHA256_SIZE];
    if (out_len) *out_len = 0;
    if (b64 == (size_t)-1) return TN_EBUFFER_FULL;
    w.p = out;
    w.cap = cap;
    w.len = 0;
    tn__ck_wr_put(&w, "2|", 2);
    nw.p = num;
    nw.cap = sizeof num;
    nw.len = 0;
    tn__ck_wr_u64(&nw, key_version);
    tn__ck_wr_field(&w, num, nw.len);
    nw.len = 0;
    tn__ck_wr_i64(&nw, timestamp);
    tn__ck_wr_field(&w, num, nw.len);
    tn__ck_wr_field(&w, name.ptr, name.len);
    /* the base64 field is written in place once we know it fits */
    tn__ck_wr_u64(&w, (uint64_t)b64);
    tn__ck_wr_byte(&w, ':');
    start = w.len;
    w.len += b64;
    tn__ck_wr_byte(&w, '|');
    if (w.len + 2 * TN_SHA256_SIZE > cap) {
        if (out_len) *out_len = w.len + 2 * TN_SHA256_SIZE;
        return TN_EBUFFER_FULL;
    }
    (void)tn_base64_encode(value.ptr, value.len, out + start, b64, NULL, TN_BASE64_STD);
    tn_hmac_sha256(secret.ptr, secret.len, out, w.len, mac);
    (void)tn_hex_encode(mac, sizeof mac, out + w.len, cap - w.len, NULL);
    w.len += 2 * TN_SHA256_SIZE;
    return tn__ck_wr_done(&w, out_len);
}

/* Parse "<len>:<field>|" at *pos in v, Python's _consume_field with digits only.
   Returns TN_OK with the field, or TN_EPARSE. */
TN__PRIVATE int tn__sv_field(tn_str v, size_t *pos, tn_str *field) {
    size_t i = *pos, n = 0, digits = 0;
    while (i < v.len && v.ptr[i] >= '0' && v.ptr[i] <= '9') {
        if (++digits > 9) return TN_EPARSE;
        n = n * 10 + (size_t)(v.ptr[i] - '0');
        i++;
    }
    if (digits == 0 || i >= v.len || v.ptr[i] != ':') return TN_EPARSE;
    i++;
    if (n > v.len - i || n == v.len - i || v.ptr[i + n] != '|') return TN_EPARSE;
    *field = tn_str_make(v.ptr + i, n);
    *pos = i + n + 1;
    return TN_OK;
}

/* A decimal integer field (optional '-' when allow_neg), at most 18 digits. */
TN__PRIVATE int tn__sv_int(tn_str f, int allow_neg, int64_t *out) {
    size_t i = 0;
    int neg = 0;
    int64_t v = 0;
    if (allow_neg && f.len && f.ptr[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == f.len || f.len - i > 18) return TN_EPARSE;
    for (; i < f.len; i++) {
        if (f.ptr[i] < '0' || f.ptr[i] > '9') return TN_EPARSE;
        v = v * 10 + (f.ptr[i] - '0');
    }
    *out = neg ? -v : v;
    return TN_OK;
}

typedef struct tn__sv_parts {
    int64_t key_version;
    tn_str timestamp, name, value, sig;
    size_t signed_len;   /* bytes covered by the signature */
} tn__sv_parts;

TN__PRIVATE int tn__sv_parse(tn_str v, tn__sv_parts *pp) {
    size_t pos = 2;
    tn_str kv;
    if (v.len < 2 || v.ptr[0] != '2' || v.ptr[1] != '|') return TN_EPARSE;
    if (tn__sv_field(v, &pos, &kv) != TN_OK || tn__sv_int(kv, 0, &pp->key_version) != TN_OK ||
        pp->key_version > 0xffffffffu)
        return TN_EPARSE;
    if (tn__sv_field(v, &pos, &pp->timestamp) != TN_OK) return TN_EPARSE;
    if (tn__sv_field(v, &pos, &pp->name) != TN_OK) return TN_EPARSE;
    if (tn__sv_field(v, &pos, &pp->value) != TN_OK) return TN_EPARSE;
    pp->signed_len = pos;
    pp->sig = tn_str_make(v.ptr + pos, v.len - pos);
    return TN_OK;
}

TN_API int tn_signed_value_key_version(tn_str signed_value, unsigned *key_version) {
    tn__sv_parts pp;
    if (tn__sv_parse(signed_value, &pp) != TN_OK) return TN_EPARSE;
    if (key_version) *key_version = (unsigned)pp.key_version;
    return TN_OK;
}

TN_API int tn_signed_value_decode(tn_str secret, tn_str name, tn_str signed_value, int64_t now,
                                  double max_age_days, char *out, size_t cap, size_t *out_len) {
    tn__sv_parts pp;
    unsigned char mac[TN_SHA256_SIZE];
    char hex[2 * TN_SHA256_SIZE];
    int64_t ts;
    size_t need;
    if (out_len) *out_len = 0;
    if (tn__sv_parse(signed_value, &pp) != TN_OK) return TN_EPARSE;
    tn_hmac_sha256(secret.ptr, secret.len, signed_value.ptr, pp.signed_len, mac);
    (void)tn_hex_encode(mac, sizeof mac, hex, sizeof hex, NULL);
    if (!tn_ct_str_equal(pp.sig, tn_str_make(hex, sizeof hex))) return TN_EBAD_SIGNATURE;
    if (!tn_str_eq(pp.name, name)) return TN_EBAD_SIGNATURE;
    if (tn__sv_int(pp.timestamp, 1, &ts) != TN_OK) return TN_EPARSE;
    if (!(max_age_days > 0)) max_age_days = TN_SIGNED_VALUE_MAX_AGE_DAYS;   /* also NaN */
    if ((double)ts < (double)now - max_age_days * 86400.0) return TN_EEXPIRED;
    if (pp.value.len % 4 != 0) return TN_EBAD_ENCODING;
    need = tn_base64_decoded_max(pp.value.len);
    if (pp.value.len && pp.value.ptr[pp.value.len - 1] == '=') need--;
    if (pp.value.len > 1 && pp.value.ptr[pp.value.len - 2] == '=') need--;
    if (need > cap) {
        if (out_len) *out_len = need;
        return TN_EBUFFER_FULL;
    }
    return tn_base64_decode(pp.value.ptr, pp.value.len, out, cap, out_len, TN_BASE64_STD);
}

TN_API int tn_signed_value_decode_v1(tn_str secret, tn_str name, tn_str signed_value, int64_t now,
                                     double max_age_days, char *out, size_t cap, size_t *out_len) {
    const char *p = signed_value.ptr, *bar1, *bar2;
    size_t n = signed_value.len, need;
    tn_str val, tsf, sig;
    tn_hmac_sha1_ctx h;
    unsigned char mac[TN_SHA1_SIZE];
    char hex[2 * TN_SHA1_SIZE];
    int64_t ts;
    if (out_len) *out_len = 0;
    bar1 = n ? (const char *)memchr(p, '|', n) : NULL;
    if (!bar1) return TN_EPARSE;
    bar2 = (const char *)memchr(bar1 + 1, '|', n - (size_t)(bar1 + 1 - p));
    if (!bar2 || memchr(bar2 + 1, '|', n - (size_t)(bar2 + 1 - p))) return TN_EPARSE;
    val = tn_str_make(p, (size_t)(bar1 - p));
    tsf = tn_str_make(bar1 + 1, (size_t)(bar2 - bar1 - 1));
    sig = tn_str_make(bar2 + 1, n - (size_t)(bar2 + 1 - p));
    tn_hmac_sha1_init(&h, secret.ptr, secret.len);
    tn_hmac_sha1_update(&h, name.ptr, name.len);
    tn_hmac_sha1_update(&h, val.ptr, val.len);
    tn_hmac_sha1_update(&h, tsf.ptr, tsf.len);
    tn_hmac_sha1_final(&h, mac);
    (void)tn_hex_encode(mac, sizeof mac, hex, sizeof hex, NULL);
    if (!tn_ct_str_equal(sig, tn_str_make(hex, sizeof hex))) return TN_EBAD_SIGNATURE;
    if (tn__sv_int(tsf, 1, &ts) != TN_OK) return TN_EPARSE;
    if (!(max_age_days > 0)) max_age_days = TN_SIGNED_VALUE_MAX_AGE_DAYS;
    if ((double)ts < (double)now - max_age_days * 86400.0) return TN_EEXPIRED;
    if ((double)ts > (double)now + 31 * 86400.0) return TN_EBAD_SIGNATURE;
    if (tsf.ptr[0] == '0') return TN_EBAD_SIGNATURE;
    if (val.len % 4 != 0) return TN_EBAD_ENCODING;
    need = tn_base64_decoded_max(val.len);
    if (val.len && val.ptr[val.len - 1] == '=') need--;
    if (val.len > 1 && val.ptr[val.len - 2] == '=') need--;
    if (need > cap) {
        if (out_len) *out_len = need;
        return TN_EBUFFER_FULL;
    }
    return tn_base64_decode(val.ptr, val.len, out, cap, out_len, TN_BASE64_STD);
}

/* ======================================================================================
   HTTP Basic authentication */
TN_API int tn_basic_auth_encode(tn_str user, tn_str pass, char *out, size_t cap,
                                size_t *out_len) {
    size_t i, raw, b64, need, o;
    if (out_len) *out_len = 0;
    for (i = 0; i < user.len; i++) {
        unsigned char c = (unsigned char)user.ptr[i];
        if (c == ':' || c < 0x20 || c == 0x7f) return TN_EINVAL;
    }
    for (i = 0; i < pass.len; i++) {
        unsigned char c = (unsigned char)pass.ptr[i];
        if (c < 0x20 || c == 0x7f) return TN_EINVAL;
    }
    raw = user.len + 1 + pass.len;
    if (raw < user.len) return TN_EBUFFER_FULL;
    b64 = tn_base64_encoded_size(raw, TN_BASE64_STD);
    if (b64 == (size_t)-1 || b64 > ((size_t)-1) - 6) return TN_EBUFFER_FULL;
    need = 6 + b64;
    if (out_len) *out_len = need;
    if (need > cap) return TN_EBUFFER_FULL;
    /* encode user ":" pass in 3-byte groups without a temporary copy: stage each group */
    memcpy(out, "Basic ", 6);
    o = 6;
    {
        unsigned char grp[3];
        size_t g = 0, k;
        for (k = 0; k < raw; k++) {
            grp[g++] = (unsigned char)(k < user.len ? user.ptr[k]
                                       : k == user.len ? ':' : pass.ptr[k - user.len - 1]);
            if (g == 3 || k + 1 == raw) {
                size_t wrote = 0;
                (void)tn_base64_encode(grp, g, out + o, cap - o, &wrote, TN_BASE64_STD);
                o += wrote;
                g = 0;
            }
        }
    }
    if (o < cap) out[o] = '\0';
    return TN_OK;
}

TN_API int tn_basic_auth_decode(tn_str header, char *buf, size_t cap, tn_str *user,
                                tn_str *pass) {
    const char *p = header.ptr, *end = header.ptr + header.len, *tok, *colon;
    size_t n = 0;
    int rc;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) end--;
    tok = p;
    while (p < end && *p != ' ' && *p != '\t') p++;
    if (!tn_str_ieq(tn_str_make(tok, (size_t)(p - tok)), tn_str_c("Basic"))) {
        return p == tok ? TN_EPARSE : TN_ENOTSUP;
    }
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (p == end) return TN_EPARSE;
    tok = p;
    while (p < end && *p != ' ' && *p != '\t') p++;
    if (p != end) return TN_EPARSE;
    rc = tn_base64_decode(tok, (size_t)(end - tok), buf, cap, &n, TN_BASE64_STD);
    if (rc != TN_OK) return rc;
    colon = n ? (const char *)memchr(buf, ':', n) : NULL;
    if (!colon) return TN_EPARSE;
    if (user) *user = tn_str_make(buf, (size_t)(colon - buf));
    if (pass) *pass = tn_str_make(colon + 1, n - (size_t)(colon - buf) - 1);
    return TN_OK;
}
/* <<http_cookie.c  end of src/http_cookie.c */

#endif /* TORNADO_IMPLEMENTATION */
