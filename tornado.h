/* tornado.h v0.1.0: Tornado's networking core as one C header (MIT license, see LICENSE).
   Generated from src/ by amalgamate.py; edit src/, not this file.

   TABLE OF CONTENTS  (search ">>name" to jump to a module)
     declarations (always compiled)
       >>config.h       compile-time toggles and limits, version, and the user guide.
       >>platform.h     public platform types (sockets), API decoration, C++ linkage.
       >>base.h         result codes, allocator and logger hooks, monotonic clock, tn_str slices.
       >>buf.h          tn_buf, a growable byte buffer with a consumable front.
       >>loop.h         event loop: fd watchers, timer heap, deferred callbacks, thread-safe post, run modes.
       >>http_util.h    URLs, escaping, query/form args, header params, dates, Range, reasons.
       >>multipart.h    incremental multipart/form-data (RFC 7578) push parser.
     implementation (compiled where TORNADO_IMPLEMENTATION is defined)
       >>platform.c     system includes, private macros, errno mapping, fd flags, clock, locks.
       >>base.c         result code names, tn_str helpers, allocator wrappers, logging.
       >>buf.c          tn_buf implementation.
       >>loop.c         the event loop: handles, deferred queue, timer heap, fd table, wakeup, run.
       >>poll_epoll.c   the epoll backend (Linux, level-triggered).
       >>poll_poll.c    the portable poll() backend (any POSIX system; also the test reference).
       >>http_util.c    URL, escaping, query, header-parameter, date, Range and reason code.
       >>multipart.c    the multipart/form-data push parser.

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
/* >>http_util.h  (src/http_util.h)                                         */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_util.h"
#endif
/* http_util.h: URLs, escaping, query/form args, header params, dates, Range, reasons. */
/* #include "buf.h" (inlined above) */

TN__BEGIN_DECLS

/* Pure functions over bytes: no I/O, no allocation (except the *_buf variants, which
   append to a caller's tn_buf). Parsers return tn_str slices into their input.

   Formatters come in two forms with the same output:
     tn_x(..., char *out, size_t cap, size_t *out_len)
         *out_len (may be NULL) always receives the full output length, excluding a NUL.
         out == NULL: size query only, returns TN_OK. cap >= *out_len: output written, and a
         NUL added when cap > *out_len. Otherwise TN_EBUFFER_FULL (out holds a prefix).
     tn_x_buf(tn_buf *b, ...)
         appends to b. Returns TN_OK or TN_ENOMEM (b is then left as it was). */

/* ---- limits ---- */
/* Most pairs tn_query_next returns before TN_ELIMIT (Python's max_num_fields idea). */
#ifndef TORNADO_MAX_QUERY_PAIRS
#define TORNADO_MAX_QUERY_PAIRS 10000u
#endif
/* Longest URL tn_url_parse accepts (TN_EURI_TOO_LONG beyond). */
#ifndef TORNADO_MAX_URL_BYTES
#define TORNADO_MAX_URL_BYTES 65536u
#endif

/* ======================================================================================
   URLs (RFC 3986)
   ====================================================================================== */

/* tn_url: the parts of a URI reference. Every tn_str points into the parsed input (valid
   as long as it is). Delimiters are not included ("http", not "http:"; the query without
   '?'). An absent part is an empty slice; the TN_URL_HAS_* bits in flags tell absent from
   present-but-empty ("http://h/?" has an empty query that is present). */
typedef struct tn_url {
    tn_str scheme;     /* "http"; empty for a relative reference */
    tn_str authority;  /* everything between "//" and the path: userinfo@host:port */
    tn_str userinfo;   /* "user:pass" (still percent-encoded) */
    tn_str host;       /* reg-name, IPv4, or IPv6 literal WITHOUT its brackets */
    tn_str port_str;   /* the port digits as written (may be empty with TN_URL_HAS_PORT) */
    tn_str path;       /* "/a/b" (still percent-encoded); may be empty */
    tn_str query;      /* without '?' */
    tn_str fragment;   /* without '#' */
    int port;          /* 0..65535, or -1 when absent or empty */
    unsigned flags;    /* TN_URL_HAS_* | TN_URL_IPV6 */
} tn_url;

enum {
    TN_URL_HAS_SCHEME = 1u << 0,
    TN_URL_HAS_AUTHORITY = 1u << 1,  /* "//" was present */
    TN_URL_HAS_USERINFO = 1u << 2,   /* '@' was present */
    TN_URL_HAS_PORT = 1u << 3,       /* ':' after the host was present */
    TN_URL_HAS_QUERY = 1u << 4,      /* '?' was present */
    TN_URL_HAS_FRAGMENT = 1u << 5,   /* '#' was present */
    TN_URL_IPV6 = 1u << 6            /* host was a bracketed literal "[...]" */
};

/* Parse a URI reference (absolute "http://u@h:1/p?q#f", network-path "//h/p", absolute
   path "/p?q", or relative "a/b"). Strict about structure, lenient about characters:
     - rejected: bytes <= 0x20 and 0x7F anywhere (tab, space, CR, LF, NUL, ...); a bad
       scheme; more than one '@' or '[' ']' in userinfo; a malformed IPv6 literal; a host
       character outside RFC 3986 reg-name (bytes >= 0x80 are allowed for raw IDNs); a
       non-digit or > 65535 port; a ':' in the first segment of a scheme-less relative path.
     - accepted as is: bytes >= 0x80 and characters such as | { } ^ in path/query/fragment,
       malformed %-escapes (decode with tn_url_unescape, which can be strict), a '#' or
       '?' inside the fragment, IPv6 zone ids with or without "%25" ("[fe80::1%eth0]").
     - "scheme:/path" (no authority) is a valid URI here (llhttp rejects it), and so
       "host:443" parses as scheme "host": for CONNECT's authority-form target use
       tn_split_host_port instead.
   The parts reassemble to the input exactly: scheme ":" "//" userinfo "@" host (in []
   when TN_URL_IPV6) ":" port_str path "?" query "#" fragment, each delimiter present
   iff its TN_URL_HAS_* bit is set.
   Returns: TN_OK; TN_EBAD_URL (malformed); TN_EURI_TOO_LONG (len > TORNADO_MAX_URL_BYTES);
   TN_EINVAL (out NULL). On error *out is zeroed. */
TN_API int tn_url_parse(tn_str url, tn_url *out);

/* Resolve a URI reference against an absolute base URI (RFC 3986 section 5.2: what
   urljoin does for a redirect's relative Location). Both are parsed with tn_url_parse;
   dot segments are removed from the resulting path; the fragment comes from ref.
   "ref" with its own scheme is taken as is (strict resolver: "http:g" stays "http:g").
   out receives the result NUL-terminated; cap >= base.len + ref.len + 8 always suffices,
   and a smaller cap is refused (TN_EBUFFER_FULL, *out_len = that bound) even when the
   result would fit. Returns: TN_OK; TN_EBAD_URL (base or ref malformed, or base without
   a scheme); TN_EURI_TOO_LONG; TN_EBUFFER_FULL. */
TN_API int tn_url_resolve(tn_str base, tn_str ref, char *out, size_t cap, size_t *out_len);
/* tn_url_resolve appending to a tn_buf. Returns: TN_OK; TN_EBAD_URL; TN_EURI_TOO_LONG;
   TN_ENOMEM. */
TN_API int tn_url_resolve_buf(tn_buf *b, tn_str base, tn_str ref);

/* RFC 3986 5.2.4 remove_dot_segments on path[0..len), in place: "/a/b/../c/./d" →
   "/a/c/d"; ".." never climbs above the start ("/../x" → "/x"). Only literal "." and
   ".." segments count ("%2E%2E" does not): for a file-system path, percent-decode first
   (refusing a decoded NUL), then call this. Returns the new length (<= len; no NUL is
   added). */
TN_API size_t tn_url_remove_dot_segments(char *path, size_t len);

/* Split "host:port", "[v6]:port", "host" or "[v6]" (Tornado's split_host_and_port).
   *host: slice of netloc (IPv6 without brackets). *port: 0..65535, or -1 when absent or
   empty ("host:"). An unbracketed string with several ':' (a bare IPv6 address) is all
   host. Returns: TN_OK; TN_EBAD_URL (non-digit or out-of-range port, unclosed '[').
   Unlike Tornado, "h:abc" is an error rather than a host named "h:abc". */
TN_API int tn_split_host_port(tn_str netloc, tn_str *host, int *port);

/* Escaping flags for tn_url_escape / tn_url_unescape / tn_query_iter_init. */
enum {
    TN_URL_PLUS = 1u << 0,   /* escape: space → '+' ; unescape: '+' → space */
    TN_URL_STRICT = 1u << 1  /* unescape: a '%' not followed by two hex digits is an error */
};

/* Percent-escape (Tornado url_escape). Unreserved bytes A-Z a-z 0-9 - . _ ~ are kept,
   every other byte becomes %XX (upper-case hex). With TN_URL_PLUS (Tornado's default,
   quote_plus) space becomes '+' and '/' is escaped; without it (quote, for paths) '/' is
   kept and space is %20. Output length is at most 3 * in.len.
   Returns: TN_OK; TN_EBUFFER_FULL. See the formatter contract above. */
TN_API int tn_url_escape(tn_str in, unsigned flags, char *out, size_t cap, size_t *out_len);
/* tn_url_escape appending to a tn_buf. Returns: TN_OK; TN_ENOMEM. */
TN_API int tn_url_escape_buf(tn_buf *b, tn_str in, unsigned flags);

/* Percent-decode (Tornado url_unescape with encoding=None: bytes out). out may equal
   in.ptr (decode in place: output is never longer than input); cap >= in.len always
   suffices. With TN_URL_PLUS '+' becomes a space. A malformed escape ("%zz", "%4") is
   copied through literally (as Python does), or with TN_URL_STRICT rejected.
   Returns: TN_OK; TN_EBAD_ENCODING (strict mode); TN_EBUFFER_FULL (cap too small; with
   out NULL, a size query returning TN_OK). *out_len gets the decoded length. */
TN_API int tn_url_unescape(tn_str in, unsigned flags, char *out, size_t cap, size_t *out_len);

/* Append query arguments to a URL (Tornado url_concat). pairs holds npairs key/value
   couples as 2*npairs tn_str (key0, value0, key1, value1, ...); repeated keys are kept.
   Each key and value is escaped with TN_URL_PLUS and joined as k=v with '&'. The
   existing query is kept verbatim; '&' joins when it is non-empty, '?' is added when
   absent, and a "#fragment" stays at the end. With npairs 0 the URL is copied unchanged.
   Returns: TN_OK; TN_EBUFFER_FULL (see the formatter contract above). */
TN_API int tn_url_concat(tn_str url, const tn_str *pairs, size_t npairs, char *out, size_t cap,
                         size_t *out_len);
/* tn_url_concat appending to a tn_buf. Returns: TN_OK; TN_ENOMEM. */
TN_API int tn_url_concat_buf(tn_buf *b, tn_str url, const tn_str *pairs, size_t npairs);

/* Encode pairs as application/x-www-form-urlencoded ("a=1&b=x+y"; Python urlencode).
   pairs as in tn_url_concat. Returns: TN_OK; TN_EBUFFER_FULL. */
TN_API int tn_form_encode(const tn_str *pairs, size_t npairs, char *out, size_t cap,
                          size_t *out_len);
/* tn_form_encode appending to a tn_buf. Returns: TN_OK; TN_ENOMEM. */
TN_API int tn_form_encode_buf(tn_buf *b, const tn_str *pairs, size_t npairs);

/* ======================================================================================
   Query strings and application/x-www-form-urlencoded bodies
   ====================================================================================== */

/* tn_query_iter: walks "k=v&k2=v2" pairs (WHATWG urlencoded parsing, Python parse_qsl
   with keep_blank_values=True, as Tornado uses). Sequences split on '&' only; empty
   sequences ("a=1&&b=2") are skipped; "k" without '=' is key "k" with an empty value;
   only the first '=' splits. Repeated keys and empty values are kept. Initialise with
   tn_query_iter_init; fields are private. */
typedef struct tn_query_iter {
    const char *_p;
    size_t _len;
    size_t _pos;
    size_t _count;
    unsigned _flags;
} tn_query_iter;

/* Start iterating over query (the part after '?', or a whole form body). flags:
   TN_URL_STRICT makes tn_query_next_decoded reject malformed %-escapes ('+' always
   decodes to space). */
TN_API void tn_query_iter_init(tn_query_iter *it, tn_str query, unsigned flags);

/* Next pair, raw (still escaped): slices into the query.
   Returns: 1 (a pair), 0 (end), TN_ELIMIT (more than TORNADO_MAX_QUERY_PAIRS pairs). */
TN_API int tn_query_next(tn_query_iter *it, tn_str *key, tn_str *value);

/* Next pair, decoded ('+' → space, %XX → byte). buf (cap bytes) receives the decoded key
   then value; *key and *value point into it and stay valid until buf is reused. cap >= the
   raw pair's length always suffices. buf NULL: decode IN PLACE into the query bytes, which
   must then be writable (the iterator was given memory the caller owns); each pair's
   decoded key and value stay inside that pair's own bytes, so later pairs are unaffected.
   Returns: 1; 0 (end); TN_ELIMIT; TN_EBUFFER_FULL (the pair is skipped);
   TN_EBAD_ENCODING (strict mode; the pair is skipped, iteration may continue). */
TN_API int tn_query_next_decoded(tn_query_iter *it, char *buf, size_t cap, tn_str *key,
                                 tn_str *value);

/* ======================================================================================
   Header parameters: Content-Type / Content-Disposition style  value *( ";" name=value )
   ====================================================================================== */

/* tn_param_iter: walks the "; name=value" parameters after a header's main value.
   Fields are private. */
typedef struct tn_param_iter {
    const char *_p;
    size_t _len;
    size_t _pos;
} tn_param_iter;

/* The main value of a parameterised header ("multipart/form-data" in
   "multipart/form-data; boundary=x"), trimmed of whitespace, and (if it is not NULL) an
   iterator positioned on the parameters. Never fails; an empty header gives "". */
TN_API tn_str tn_header_value(tn_str header, tn_param_iter *it);

/* Next parameter. *name is trimmed (case kept; compare with tn_str_ieq). *raw is the
   value as written: a token, or a quoted-string INCLUDING its quotes (decode with
   tn_param_unquote). Parameters without '=' are skipped (as Tornado's _parse_header).
   Returns: 1; 0 (end); TN_EPARSE (unterminated quoted-string, or bytes after a closing
   quote before the next ';'; the iterator then stops). */
TN_API int tn_param_next(tn_param_iter *it, tn_str *name, tn_str *raw);

/* Decode a raw parameter value. A token is returned as is (*value = raw). A quoted-string
   loses its quotes; if it holds no backslash, *value is a slice of raw (buf unused);
   otherwise "\\" → "\" and "\"" → "\"" are decoded into buf, and any other backslash is
   kept literally (Tornado's rule, which keeps Windows paths such as "C:\dir\f.txt"
   intact). buf may be raw.ptr (in place, if writable). cap >= raw.len always suffices.
   Returns: TN_OK; TN_EBUFFER_FULL (buf NULL or too small while decoding is needed). */
TN_API int tn_param_unquote(tn_str raw, char *buf, size_t cap, tn_str *value);

/* Find parameter `name` (ASCII case-insensitive) and decode it. An RFC 5987/8187
   extended parameter "name*=UTF-8''%E2%82%AC.txt" (charset UTF-8 or ISO-8859-1, the
   latter converted to UTF-8) is preferred over a plain "name=" when both are present.
   *value is a slice of header when no decoding is needed, else a slice of buf.
   cap >= header.len always suffices.
   Returns: TN_OK; TN_ENOENT (absent); TN_EPARSE (malformed parameter list, or a name*
   value that is malformed or in another charset, when no plain name= exists);
   TN_EBUFFER_FULL. */
TN_API int tn_header_param(tn_str header, const char *name, char *buf, size_t cap,
                           tn_str *value);

/* ======================================================================================
   HTTP dates (RFC 9110 section 5.6.7)
   ====================================================================================== */

/* Length of an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (29), without the NUL. */
#define TN_HTTP_DATE_LEN 29

/* Format Unix time t (seconds, UTC; negative = before 1970) as IMF-fixdate into out,
   which must hold TN_HTTP_DATE_LEN + 1 bytes (NUL-terminated). Locale-independent
   (Tornado format_timestamp). Years 0001..9999 only.
   Returns: TN_OK; TN_EINVAL (t outside those years, or out NULL). */
TN_API int tn_http_date_format(int64_t t, char *out);

/* Parse an HTTP-date in any of the three forms RFC 9110 requires recipients to accept:
     IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
     RFC 850      "Sunday, 06-Nov-94 08:49:37 GMT"   (yy: 70..99 → 19yy, 00..69 → 20yy)
     asctime      "Sun Nov  6 08:49:37 1994"         (also "Nov 06")
   Day and month names match ASCII case-insensitively; the day name must be a valid one
   for the form but is not checked against the date (as Go's http.ParseTime). Fields are
   range-checked (day within its month, leap years, hour <= 23, minute <= 59, second <= 60
   where 60 is a leap second counted as the next minute). Leading/trailing whitespace is
   ignored; anything else extra is an error.
   Returns: TN_OK with *out = Unix seconds; TN_EPARSE. */
TN_API int tn_http_date_parse(tn_str s, int64_t *out);

/* ======================================================================================
   Range requests (RFC 9110 section 14)
   ====================================================================================== */

/* An inclusive byte range [first, last] of a representation. */
typedef struct tn_range {
    uint64_t first;
    uint64_t last;
} tn_range;

/* Most ranges tn_range_parse resolves (beyond: TN_ELIMIT, and the caller serves 200). */
#ifndef TORNADO_MAX_RANGES
#define TORNADO_MAX_RANGES 16u
#endif

/* Parse a Range header ("bytes=0-499", "bytes=-500", "bytes=9500-", "bytes=0-0,-1";
   unit case-insensitive, OWS around ',' and empty list elements allowed) and resolve it
   against a representation of `size` bytes. Satisfiable ranges are written in header
   order into out[0..*count), last clamped to size-1; unsatisfiable ones (first >= size,
   or a suffix of 0) are dropped. Positions beyond 2^64-1 saturate. Overlapping ranges are
   not merged.
   Returns:
     TN_OK          *count >= 1 ranges: answer 206;
     TN_EBAD_RANGE  valid syntax but nothing satisfiable: answer 416 with
                    the Content-Range of tn_content_range_format with r NULL;
     TN_EPARSE      not a valid bytes Range (other unit, junk, last < first): ignore the
                    header and answer 200 (RFC 9110 14.2);
     TN_ELIMIT      more than min(cap, TORNADO_MAX_RANGES) range specs: ignore (200);
     TN_EINVAL      out or count NULL, or cap 0. */
TN_API int tn_range_parse(tn_str header, uint64_t size, tn_range *out, size_t cap,
                          size_t *count);

/* Format a Content-Range value: "bytes 0-499/1234", or with r NULL the 416 form
   (an asterisk in place of the range, then "/1234").
   Returns: TN_OK; TN_EINVAL (r->last < r->first); TN_EBUFFER_FULL (see the formatter
   contract; 72 bytes always suffice). */
TN_API int tn_content_range_format(const tn_range *r, uint64_t size, char *out, size_t cap,
                                   size_t *out_len);

/* ======================================================================================
   Status reasons, HTML and JSON escaping
   ====================================================================================== */

/* Reason phrase for an HTTP status code: every code in the IANA registry with its
   RFC 9110 name ("Content Too Large", "Unprocessable Content"; 418 is "I'm a Teapot"
   as Python reports it), and "Unknown" for anything else. Never NULL; static storage. */
TN_API const char *tn_http_reason(int status);

/* xhtml escape (Tornado xhtml_escape): & < > " ' become &amp; &lt; &gt; &quot; &#39;,
   everything else is copied. Returns: TN_OK; TN_EBUFFER_FULL (formatter contract). */
TN_API int tn_xhtml_escape(tn_str in, char *out, size_t cap, size_t *out_len);
/* tn_xhtml_escape appending to a tn_buf. Returns: TN_OK; TN_ENOMEM. */
TN_API int tn_xhtml_escape_buf(tn_buf *b, tn_str in);

/* Escape the contents of a JSON string (no surrounding quotes): '"' → \", '\' → \\,
   \b \f \n \r \t, other bytes < 0x20 → \u00XX, "</" → "<\/" (Tornado json_encode, safe
   inside <script>), and U+2028 / U+2029 → \u2028 / \u2029. Other bytes, including
   UTF-8 (not validated), are copied. Returns: TN_OK; TN_EBUFFER_FULL. */
TN_API int tn_json_escape(tn_str in, char *out, size_t cap, size_t *out_len);
/* tn_json_escape appending to a tn_buf. Returns: TN_OK; TN_ENOMEM. */
TN_API int tn_json_escape_buf(tn_buf *b, tn_str in);

TN__END_DECLS
/* <<http_util.h  end of src/http_util.h */

/* ======================================================================== */
/* >>multipart.h  (src/multipart.h)                                         */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/multipart.h"
#endif
/* multipart.h: incremental multipart/form-data (RFC 7578) push parser. */
/* #include "http_util.h" (inlined above) */

TN__BEGIN_DECLS

/* Most bytes of one part's header block, including its closing empty line; also the
   size of two internal buffers in tn_multipart (beyond: TN_EHEADER_TOO_LARGE). */
#ifndef TORNADO_MULTIPART_MAX_HEADER_BYTES
#define TORNADO_MULTIPART_MAX_HEADER_BYTES 4096
#endif
/* Most parts in one body (beyond: TN_ELIMIT). */
#ifndef TORNADO_MULTIPART_MAX_PARTS
#define TORNADO_MULTIPART_MAX_PARTS 1000u
#endif
/* Longest boundary accepted (RFC 2046 says 70; some clients go further). */
#define TN_MULTIPART_MAX_BOUNDARY 200

/* Events delivered to a tn_multipart_cb, in this order for each part:
   PART_BEGIN, PART_DATA (zero or more), PART_END; then DONE once after the close
   delimiter "--boundary--". */
enum {
    TN_MULTIPART_PART_BEGIN = 1,
    TN_MULTIPART_PART_DATA = 2,
    TN_MULTIPART_PART_END = 3,
    TN_MULTIPART_DONE = 4
};

/* Bits of tn_multipart_part.flags. */
enum {
    TN_MULTIPART_HAS_NAME = 1u << 0,      /* a name= parameter was present */
    TN_MULTIPART_HAS_FILENAME = 1u << 1   /* a filename= or filename*= parameter */
};

/* tn_multipart_part: one part's headers. Valid from its PART_BEGIN until its PART_END
   callback returns (the strings point into the parser's buffers).
   Tornado keeps a part only when disposition is "form-data" and name is non-empty, and
   treats it as a file only when filename is non-empty (content type defaulting to
   "application/unknown"); the parser reports every part and leaves that choice to you. */
typedef struct tn_multipart_part {
    tn_str name;          /* decoded name parameter of Content-Disposition ("" if none) */
    tn_str filename;      /* decoded filename (filename* preferred); "" if none */
    tn_str content_type;  /* Content-Type value, trimmed; "" when absent */
    tn_str disposition;   /* Content-Disposition main value, e.g. "form-data"; "" if absent */
    tn_str headers;       /* raw header block: each line with its CRLF, no closing blank line */
    unsigned index;       /* 0 for the first part */
    unsigned flags;       /* TN_MULTIPART_HAS_* */
} tn_multipart_part;

/* Called synchronously from tn_multipart_feed. event is a TN_MULTIPART_* value; part is
   the current part (NULL for DONE); data holds PART_DATA bytes: a slice of the fed input
   whenever possible (zero-copy), or of the parser's own copy of the delimiter when bytes
   held back at the end of a previous feed turned out to be content. data is valid only
   during the call; empty chunks are never delivered. Return 0 to continue; anything else
   stops the parser, and tn_multipart_feed returns it (a positive value becomes
   TN_ECANCELED). */
typedef int (*tn_multipart_cb)(int event, const tn_multipart_part *part, tn_str data, void *user);

/* tn_multipart_opts: limits; zero-initialise, 0 means the default.
     max_header_bytes  default and maximum TORNADO_MULTIPART_MAX_HEADER_BYTES (4096)
     max_parts         default TORNADO_MULTIPART_MAX_PARTS (1000) */
typedef struct tn_multipart_opts {
    size_t max_header_bytes;  /* per part header block, including the blank line */
    size_t max_parts;         /* parts per body */
} tn_multipart_opts;

/* tn_multipart: parser state, caller-allocated (about 8.5 KB with the default limits:
   no allocation happens). Initialise with tn_multipart_init; fields are private. */
typedef struct tn_multipart {
    tn_multipart_cb _cb;
    void *_user;
    int _state;
    int _err;
    size_t _match;        /* delimiter bytes matched at the end of the previous feed */
    size_t _dlen;         /* strlen("\r\n--") + boundary length */
    size_t _hlen;         /* header bytes buffered */
    size_t _max_header;
    size_t _max_parts;
    size_t _parts;
    tn_multipart_part _part;
    char _delim[4 + TN_MULTIPART_MAX_BOUNDARY];
    char _hdr[TORNADO_MULTIPART_MAX_HEADER_BYTES];
    char _dec[TORNADO_MULTIPART_MAX_HEADER_BYTES];
} tn_multipart;

/* Get the boundary from a Content-Type value. The media type must be
   multipart/form-data (ASCII case-insensitive); quotes around the boundary are removed.
   *boundary points into content_type, or into buf if unescaping was needed (cap >=
   content_type.len suffices; buf may be NULL otherwise).
   Returns: TN_OK; TN_ENOTSUP (another media type); TN_EBAD_MULTIPART (no boundary, or a
   malformed parameter list); TN_EBUFFER_FULL. */
TN_API int tn_multipart_boundary(tn_str content_type, char *buf, size_t cap, tn_str *boundary);

/* Start parsing a body with this boundary (without the leading "--"). The boundary is
   copied. opts may be NULL. Bytes before the first delimiter (preamble) and after the
   close delimiter (epilogue, including trailing garbage, as Tornado 2.3) are ignored.
   Returns: TN_OK; TN_EBAD_MULTIPART (boundary empty, longer than
   TN_MULTIPART_MAX_BOUNDARY, or holding control or non-ASCII bytes); TN_EINVAL (mp or cb
   NULL). */
TN_API int tn_multipart_init(tn_multipart *mp, tn_str boundary, const tn_multipart_opts *opts,
                             tn_multipart_cb cb, void *user);

/* Feed the next slice of the body (any split works; len 0 is fine). Consumes everything:
   up to boundary-length + 3 trailing bytes that might start a delimiter are remembered
   by state (not copied) until the next feed decides. After DONE, input is ignored.
   Returns: TN_OK; TN_EBAD_MULTIPART (malformed: bad delimiter line, header line without
   ':' or with control bytes, folded header, malformed Content-Disposition parameters);
   TN_EHEADER_TOO_LARGE (part header block over max_header_bytes); TN_ELIMIT (more than
   max_parts parts); or a callback's stop value. Errors are sticky: later feeds return
   the same code without calling back. */
TN_API int tn_multipart_feed(tn_multipart *mp, const char *data, size_t len);

/* Declare the end of the body. Returns: TN_OK if the close delimiter was seen (DONE was
   delivered); the sticky error if one occurred; TN_EBAD_MULTIPART otherwise (truncated
   body: no PART_END or DONE is delivered). */
TN_API int tn_multipart_finish(tn_multipart *mp);

TN__END_DECLS
/* <<multipart.h  end of src/multipart.h */

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
/* >>http_util.c  (src/http_util.c)                                         */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_util.c"
#endif
/* http_util.c: URL, escaping, query, header-parameter, date, Range and reason code. */
/* #include "http_util.h" (inlined above) */

/* ---- character classes ---- */
TN__PRIVATE int tn__is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
TN__PRIVATE int tn__is_digit(int c) { return c >= '0' && c <= '9'; }
TN__PRIVATE int tn__is_alnum(int c) { return tn__is_alpha(c) || tn__is_digit(c); }
TN__PRIVATE int tn__hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
TN__PRIVATE int tn__is_unreserved(int c) {
    return tn__is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
TN__PRIVATE int tn__is_subdelim(int c) {
    switch (c) {
    case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=':
        return 1;
    default:
        return 0;
    }
}
TN__PRIVATE int tn__is_ows(int c) { return c == ' ' || c == '\t'; }

static const char tn__hex_upper[] = "0123456789ABCDEF";
static const char tn__hex_lower[] = "0123456789abcdef";

TN__PRIVATE tn_str tn__trim(tn_str s) {
    while (s.len && tn__is_ows((unsigned char)s.ptr[0])) { s.ptr++; s.len--; }
    while (s.len && tn__is_ows((unsigned char)s.ptr[s.len - 1])) s.len--;
    return s;
}

/* ---- output writer: counts always, writes while the caller's buffer has room ----
   The *_buf variants run a formatter twice: once to size (p NULL), then into reserved
   tn_buf space, so a tn_buf is never left half-written. */
typedef struct tn__w {
    char *p;
    size_t cap;
    size_t n;
    int full;
} tn__w;

TN__PRIVATE void tn__w_init(tn__w *w, char *p, size_t cap) {
    w->p = p;
    w->cap = cap;
    w->n = 0;
    w->full = 0;
}

TN__PRIVATE void tn__w_put(tn__w *w, const char *s, size_t k) {
    if (w->p && !w->full) {
        if (k <= w->cap - w->n) {
            if (k) memcpy(w->p + w->n, s, k);
        } else {
            w->full = 1;
        }
    }
    w->n += k;
}

TN__PRIVATE void tn__w_ch(tn__w *w, char c) {
    if (w->p && !w->full) {
        if (w->n < w->cap) w->p[w->n] = c;
        else w->full = 1;
    }
    w->n++;
}

TN__PRIVATE int tn__w_end(tn__w *w, size_t *out_len) {
    if (out_len) *out_len = w->n;
    if (!w->p) return TN_OK;
    if (w->full || w->n > w->cap) return TN_EBUFFER_FULL;
    if (w->n < w->cap) w->p[w->n] = '\0';
    return TN_OK;
}

/* Reserve room for n bytes (+1 spare) at the end of b and set up a writer over it. */
TN__PRIVATE int tn__w_buf_begin(tn__w *w, tn_buf *b, size_t n) {
    int rc;
    if (!b) return TN_EINVAL;
    if (n == (size_t)-1) return TN_ENOMEM;
    if ((rc = tn_buf_reserve(b, n + 1)) != 0) return rc;
    tn__w_init(w, b->data + b->len, n + 1);
    return TN_OK;
}

TN__PRIVATE void tn__w_u64(tn__w *w, uint64_t v) {
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    tn__w_put(w, tmp + i, sizeof tmp - i);
}

/* ======================================================================================
   URLs
   ====================================================================================== */

TN__PRIVATE int tn__valid_ipv4(const char *s, size_t n) {
    size_t i = 0;
    int part;
    for (part = 0; part < 4; part++) {
        unsigned v = 0;
        size_t d = 0;
        if (part > 0) {
            if (i >= n || s[i] != '.') return 0;
            i++;
        }
        while (i < n && tn__is_digit((unsigned char)s[i]) && d < 4) {
            v = v * 10u + (unsigned)(s[i] - '0');
            i++;
            d++;
        }
        if (d == 0 || d > 3 || v > 255) return 0;
    }
    return i == n;
}

TN__PRIVATE int tn__valid_ipv6(const char *s, size_t n) {
    size_t i = 0, j;
    int groups = 0, dbl = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        dbl = 1;
        i = 2;
        if (i == n) return 1;
    } else if (n == 0 || s[0] == ':') {
        return 0;
    }
    for (;;) {
        j = i;
        while (j < n && tn__hexval((unsigned char)s[j]) >= 0) j++;
        if (j < n && s[j] == '.') {   /* an embedded IPv4 address ends the literal */
            if (!tn__valid_ipv4(s + i, n - i)) return 0;
            groups += 2;
            break;
        }
        if (j == i || j - i > 4) return 0;
        groups++;
        i = j;
        if (i == n) break;
        if (s[i] != ':') return 0;
        i++;
        if (i < n && s[i] == ':') {
            if (dbl) return 0;
            dbl = 1;
            i++;
            if (i == n) break;
        } else if (i == n) {
            return 0;
        }
        if (groups > 8) return 0;
    }
    return dbl ? groups <= 7 : groups == 8;
}

/* The inside of "[...]": IPv6 (optionally with a zone id "%25eth0" or "%eth0") or
   IPvFuture ("v1.x"). */
TN__PRIVATE int tn__valid_ip_literal(const char *s, size_t n) {
    size_t i, pct;
    if (n >= 1 && (s[0] == 'v' || s[0] == 'V')) {
        i = 1;
        while (i < n && tn__hexval((unsigned char)s[i]) >= 0) i++;
        if (i == 1 || i >= n || s[i] != '.') return 0;
        if (++i == n) return 0;
        for (; i < n; i++) {
            int c = (unsigned char)s[i];
            if (!tn__is_unreserved(c) && !tn__is_subdelim(c) && c != ':') return 0;
        }
        return 1;
    }
    for (pct = 0; pct < n && s[pct] != '%'; pct++) {}
    if (pct < n) {
        if (pct + 1 == n) return 0;   /* empty zone id */
        for (i = pct + 1; i < n; i++) {
            int c = (unsigned char)s[i];
            if (!tn__is_unreserved(c) && c != '%') return 0;
        }
    }
    return tn__valid_ipv6(s, pct);
}

/* Port digits → 0..65535; empty → -1; anything else → TN_EBAD_URL. */
TN__PRIVATE int tn__parse_port(const char *s, size_t n, int *port) {
    size_t i;
    long v = 0;
    *port = -1;
    if (n == 0) return TN_OK;
    for (i = 0; i < n; i++) {
        if (!tn__is_digit((unsigned char)s[i])) return TN_EBAD_URL;
        v = v * 10 + (s[i] - '0');
        if (v > 65535) return TN_EBAD_URL;
    }
    *port = (int)v;
    return TN_OK;
}

TN__PRIVATE int tn__parse_authority(const char *a, size_t m, tn_url *u) {
    size_t k, at = (size_t)-1, hs, he, ps;
    int rc;
    for (k = 0; k < m; k++) {
        if (a[k] == '@') {
            if (at != (size_t)-1) return TN_EBAD_URL;   /* "a:b@@host" */
            at = k;
        }
    }
    hs = 0;
    if (at != (size_t)-1) {
        for (k = 0; k < at; k++) {
            int c = (unsigned char)a[k];
            if (!(tn__is_unreserved(c) || tn__is_subdelim(c) || c == ':' || c == '%' || c >= 0x80))
                return TN_EBAD_URL;
        }
        u->userinfo = tn_str_make(a, at);
        u->flags |= TN_URL_HAS_USERINFO;
        hs = at + 1;
    }
    if (hs < m && a[hs] == '[') {
        for (he = hs + 1; he < m && a[he] != ']'; he++) {}
        if (he >= m) return TN_EBAD_URL;
        if (!tn__valid_ip_literal(a + hs + 1, he - hs - 1)) return TN_EBAD_URL;
        u->host = tn_str_make(a + hs + 1, he - hs - 1);
        u->flags |= TN_URL_IPV6;
        ps = he + 1;
        if (ps < m && a[ps] != ':') return TN_EBAD_URL;
    } else {
        for (he = hs; he < m && a[he] != ':'; he++) {
            int c = (unsigned char)a[he];
            if (!(tn__is_unreserved(c) || tn__is_subdelim(c) || c == '%' || c >= 0x80))
                return TN_EBAD_URL;
        }
        u->host = tn_str_make(a + hs, he - hs);
        ps = he;
    }
    if (ps < m) {   /* a[ps] == ':' */
        u->flags |= TN_URL_HAS_PORT;
        u->port_str = tn_str_make(a + ps + 1, m - ps - 1);
        if ((rc = tn__parse_port(a + ps + 1, m - ps - 1, &u->port)) != 0) return rc;
    }
    return TN_OK;
}

TN_API int tn_url_parse(tn_str url, tn_url *out) {
    const char *s = url.ptr;
    size_t n = url.len, i, j;
    int rc = TN_EBAD_URL;
    if (!out) return TN_EINVAL;
    memset(out, 0, sizeof *out);
    out->port = -1;
    if (n > TORNADO_MAX_URL_BYTES) { rc = TN_EURI_TOO_LONG; goto fail; }
    if (n && !s) { rc = TN_EINVAL; goto fail; }
    if (!s) s = "";
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f) goto fail;
    }
    i = 0;
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    if (n && tn__is_alpha((unsigned char)s[0])) {
        for (j = 1; j < n; j++) {
            int c = (unsigned char)s[j];
            if (!(tn__is_alnum(c) || c == '+' || c == '-' || c == '.')) break;
        }
        if (j < n && s[j] == ':') {
            out->scheme = tn_str_make(s, j);
            out->flags |= TN_URL_HAS_SCHEME;
            i = j + 1;
        }
    }
    if (!(out->flags & TN_URL_HAS_SCHEME)) {
        /* a relative-path reference: its first segment cannot hold ':' (RFC 3986 4.2) */
        for (j = 0; j < n && s[j] != '/' && s[j] != '?' && s[j] != '#'; j++)
            if (s[j] == ':') goto fail;
    }
    if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
        i += 2;
        for (j = i; j < n && s[j] != '/' && s[j] != '?' && s[j] != '#'; j++) {}
        out->flags |= TN_URL_HAS_AUTHORITY;
        out->authority = tn_str_make(s + i, j - i);
        if ((rc = tn__parse_authority(s + i, j - i, out)) != 0) goto fail;
        i = j;
    }
    for (j = i; j < n && s[j] != '?' && s[j] != '#'; j++) {}
    out->path = tn_str_make(s + i, j - i);
    i = j;
    if (i < n && s[i] == '?') {
        i++;
        for (j = i; j < n && s[j] != '#'; j++) {}
        out->query = tn_str_make(s + i, j - i);
        out->flags |= TN_URL_HAS_QUERY;
        i = j;
    }
    if (i < n && s[i] == '#') {
        i++;
        out->fragment = tn_str_make(s + i, n - i);
        out->flags |= TN_URL_HAS_FRAGMENT;
    }
    return TN_OK;
fail:
    memset(out, 0, sizeof *out);
    return rc ? rc : TN_EBAD_URL;
}

/* RFC 3986 5.2.4 remove_dot_segments over s[0..n), in place (the output never gets
   ahead of the input). Returns the new length. */
TN__PRIVATE size_t tn__remove_dot_segments(char *s, size_t n) {
    size_t i = 0, o = 0;
    while (i < n) {
        size_t rest = n - i;
        if (rest >= 3 && memcmp(s + i, "../", 3) == 0) {
            i += 3;
        } else if (rest >= 2 && memcmp(s + i, "./", 2) == 0) {
            i += 2;
        } else if (rest >= 3 && memcmp(s + i, "/./", 3) == 0) {
            i += 2;                                    /* input now starts at the last '/' */
        } else if (rest == 2 && memcmp(s + i, "/.", 2) == 0) {
            s[o++] = '/';
            i = n;
        } else if ((rest >= 4 && memcmp(s + i, "/../", 4) == 0) ||
                   (rest == 3 && memcmp(s + i, "/..", 3) == 0)) {
            while (o > 0 && s[o - 1] != '/') o--;      /* drop the last output segment */
            if (o > 0) o--;                            /* and its '/' */
            if (rest == 3) {
                s[o++] = '/';
                i = n;
            } else {
                i += 3;
            }
        } else if ((rest == 1 && s[i] == '.') || (rest == 2 && memcmp(s + i, "..", 2) == 0)) {
            i = n;
        } else {
            if (s[i] == '/') s[o++] = s[i++];
            while (i < n && s[i] != '/') s[o++] = s[i++];
        }
    }
    return o;
}

/* Resolve into out, which holds at least base.len + ref.len + 8 bytes. */
TN__PRIVATE size_t tn__url_resolve_into(const tn_url *b, const tn_url *r, char *out) {
    size_t n = 0, ps;
    const tn_url *auth_from = r, *query_from = r;
    tn_str path;
#define TN__OUT(p, l) do { if (l) memcpy(out + n, (p), (l)); n += (l); } while (0)
    if (r->flags & TN_URL_HAS_SCHEME) {
        TN__OUT(r->scheme.ptr, r->scheme.len);
    } else {
        TN__OUT(b->scheme.ptr, b->scheme.len);
        if (!(r->flags & TN_URL_HAS_AUTHORITY)) auth_from = b;
    }
    out[n++] = ':';
    if (auth_from->flags & TN_URL_HAS_AUTHORITY) {
        out[n++] = '/';
        out[n++] = '/';
        TN__OUT(auth_from->authority.ptr, auth_from->authority.len);
    }
    ps = n;
    if (auth_from == r) {
        path = r->path;
        TN__OUT(path.ptr, path.len);
    } else if (r->path.len == 0) {
        TN__OUT(b->path.ptr, b->path.len);
        if (!(r->flags & TN_URL_HAS_QUERY)) query_from = b;
    } else if (r->path.ptr[0] == '/') {
        TN__OUT(r->path.ptr, r->path.len);
    } else {
        /* merge: the base path up to its last '/', then the reference path */
        if ((b->flags & TN_URL_HAS_AUTHORITY) && b->path.len == 0) {
            out[n++] = '/';
        } else {
            size_t k = b->path.len;
            while (k > 0 && b->path.ptr[k - 1] != '/') k--;
            TN__OUT(b->path.ptr, k);
        }
        TN__OUT(r->path.ptr, r->path.len);
    }
    if (auth_from == r || r->path.len != 0)   /* an empty reference path keeps the base's */
        n = ps + tn__remove_dot_segments(out + ps, n - ps);
    if (query_from->flags & TN_URL_HAS_QUERY) {
        out[n++] = '?';
        TN__OUT(query_from->query.ptr, query_from->query.len);
    }
    if (r->flags & TN_URL_HAS_FRAGMENT) {
        out[n++] = '#';
        TN__OUT(r->fragment.ptr, r->fragment.len);
    }
#undef TN__OUT
    out[n] = '\0';
    return n;
}

TN__PRIVATE int tn__url_resolve_parse(tn_str base, tn_str ref, tn_url *b, tn_url *r) {
    int rc;
    if ((rc = tn_url_parse(base, b)) != 0) return rc;
    if (!(b->flags & TN_URL_HAS_SCHEME)) return TN_EBAD_URL;
    return tn_url_parse(ref, r);
}

TN_API int tn_url_resolve(tn_str base, tn_str ref, char *out, size_t cap, size_t *out_len) {
    tn_url b, r;
    size_t bound = base.len + ref.len + 8;
    int rc = tn__url_resolve_parse(base, ref, &b, &r);
    if (rc) return rc;
    if (!out || cap < bound) {
        if (out_len) *out_len = bound;
        return TN_EBUFFER_FULL;
    }
    bound = tn__url_resolve_into(&b, &r, out);
    if (out_len) *out_len = bound;
    return TN_OK;
}

TN_API int tn_url_resolve_buf(tn_buf *buf, tn_str base, tn_str ref) {
    tn_url b, r;
    size_t bound = base.len + ref.len + 8;
    int rc = tn__url_resolve_parse(base, ref, &b, &r);
    if (rc) return rc;
    if (!buf) return TN_EINVAL;
    if ((rc = tn_buf_reserve(buf, bound)) != 0) return rc;
    buf->len += tn__url_resolve_into(&b, &r, buf->data + buf->len);
    return TN_OK;
}

TN_API size_t tn_url_remove_dot_segments(char *path, size_t len) {
    return path ? tn__remove_dot_segments(path, len) : 0;
}

TN_API int tn_split_host_port(tn_str netloc, tn_str *host, int *port) {
    const char *s = netloc.ptr;
    size_t n = netloc.len, i, colons = 0, last = 0;
    tn_str h;
    int p = -1, rc;
    h.ptr = s;
    h.len = n;
    if (n && s[0] == '[') {
        for (i = 1; i < n && s[i] != ']'; i++) {}
        if (i >= n) return TN_EBAD_URL;
        h = tn_str_make(s + 1, i - 1);
        if (i + 1 < n) {
            if (s[i + 1] != ':') return TN_EBAD_URL;
            if ((rc = tn__parse_port(s + i + 2, n - i - 2, &p)) != 0) return rc;
        }
    } else {
        for (i = 0; i < n; i++)
            if (s[i] == ':') { colons++; last = i; }
        if (colons == 1) {
            h = tn_str_make(s, last);
            if ((rc = tn__parse_port(s + last + 1, n - last - 1, &p)) != 0) return rc;
        }
    }
    if (host) *host = h;
    if (port) *port = p;
    return TN_OK;
}

/* ---- escaping ---- */
TN__PRIVATE void tn__url_escape_w(tn__w *w, tn_str in, unsigned flags) {
    size_t i, run = 0;
    int plus = (flags & TN_URL_PLUS) != 0;
    if (!in.len) return;
    for (i = 0; i < in.len; i++) {
        unsigned char c = (unsigned char)in.ptr[i];
        char esc[3];
        if (tn__is_unreserved(c) || (c == '/' && !plus)) {
            run++;
            continue;
        }
        tn__w_put(w, in.ptr + i - run, run);
        run = 0;
        if (c == ' ' && plus) {
            tn__w_ch(w, '+');
        } else {
            esc[0] = '%';
            esc[1] = tn__hex_upper[c >> 4];
            esc[2] = tn__hex_upper[c & 15];
            tn__w_put(w, esc, 3);
        }
    }
    tn__w_put(w, in.ptr + in.len - run, run);
}

TN_API int tn_url_escape(tn_str in, unsigned flags, char *out, size_t cap, size_t *out_len) {
    tn__w w;
    tn__w_init(&w, out, cap);
    tn__url_escape_w(&w, in, flags);
    return tn__w_end(&w, out_len);
}

TN_API int tn_url_escape_buf(tn_buf *b, tn_str in, unsigned flags) {
    tn__w w;
    int rc;
    tn__w_init(&w, NULL, 0);
    tn__url_escape_w(&w, in, flags);
    if ((rc = tn__w_buf_begin(&w, b, w.n)) != 0) return rc;
    tn__url_escape_w(&w, in, flags);
    b->len += w.n;
    return TN_OK;
}

/* Decoded length of in; -1 (via *bad) for a malformed escape in strict mode. */
TN__PRIVATE size_t tn__unescape_len(tn_str in, unsigned flags, int *bad) {
    size_t i, n = 0;
    *bad = 0;
    for (i = 0; i < in.len; i++, n++) {
        if (in.ptr[i] != '%') continue;
        if (i + 2 < in.len && tn__hexval((unsigned char)in.ptr[i + 1]) >= 0 &&
            tn__hexval((unsigned char)in.ptr[i + 2]) >= 0) {
            i += 2;
        } else if (flags & TN_URL_STRICT) {
            *bad = 1;
        }
    }
    return n;
}

/* Decode in → out (out may equal in.ptr); out has room for the decoded length. */
TN__PRIVATE size_t tn__unescape_into(tn_str in, unsigned flags, char *out) {
    size_t i, o = 0;
    for (i = 0; i < in.len; i++) {
        char c = in.ptr[i];
        if (c == '%' && i + 2 < in.len && tn__hexval((unsigned char)in.ptr[i + 1]) >= 0 &&
            tn__hexval((unsigned char)in.ptr[i + 2]) >= 0) {
            c = (char)(tn__hexval((unsigned char)in.ptr[i + 1]) * 16 +
                       tn__hexval((unsigned char)in.ptr[i + 2]));
            i += 2;
        } else if (c == '+' && (flags & TN_URL_PLUS)) {
            c = ' ';
        }
        out[o++] = c;
    }
    return o;
}

TN_API int tn_url_unescape(tn_str in, unsigned flags, char *out, size_t cap, size_t *out_len) {
    int bad;
    size_t n = tn__unescape_len(in, flags, &bad);
    if (out_len) *out_len = n;
    if (bad) return TN_EBAD_ENCODING;
    if (!out) return TN_OK;
    if (n > cap) return TN_EBUFFER_FULL;
    tn__unescape_into(in, flags, out);
    if (n < cap) out[n] = '\0';
    return TN_OK;
}

TN__PRIVATE void tn__pairs_w(tn__w *w, const tn_str *pairs, size_t npairs) {
    size_t i;
    for (i = 0; i < npairs; i++) {
        if (i) tn__w_ch(w, '&');
        tn__url_escape_w(w, pairs[2 * i], TN_URL_PLUS);
        tn__w_ch(w, '=');
        tn__url_escape_w(w, pairs[2 * i + 1], TN_URL_PLUS);
    }
}

TN__PRIVATE void tn__url_concat_w(tn__w *w, tn_str url, const tn_str *pairs, size_t npairs) {
    const char *hash, *q;
    size_t base;
    if (!url.ptr) url = tn_str_make("", 0);
    if (npairs == 0 || !pairs) {
        tn__w_put(w, url.ptr, url.len);
        return;
    }
    hash = url.len ? (const char *)memchr(url.ptr, '#', url.len) : NULL;
    base = hash ? (size_t)(hash - url.ptr) : url.len;
    q = base ? (const char *)memchr(url.ptr, '?', base) : NULL;
    tn__w_put(w, url.ptr, base);
    if (!q) tn__w_ch(w, '?');
    else if (url.ptr[base - 1] != '?' && url.ptr[base - 1] != '&') tn__w_ch(w, '&');
    tn__pairs_w(w, pairs, npairs);
    tn__w_put(w, url.ptr + base, url.len - base);
}

TN_API int tn_url_concat(tn_str url, const tn_str *pairs, size_t npairs, char *out, size_t cap,
                         size_t *out_len) {
    tn__w w;
    tn__w_init(&w, out, cap);
    tn__url_concat_w(&w, url, pairs, npairs);
    return tn__w_end(&w, out_len);
}

TN_API int tn_url_concat_buf(tn_buf *b, tn_str url, const tn_str *pairs, size_t npairs) {
    tn__w w;
    int rc;
    tn__w_init(&w, NULL, 0);
    tn__url_concat_w(&w, url, pairs, npairs);
    if ((rc = tn__w_buf_begin(&w, b, w.n)) != 0) return rc;
    tn__url_concat_w(&w, url, pairs, npairs);
    b->len += w.n;
    return TN_OK;
}

TN_API int tn_form_encode(const tn_str *pairs, size_t npairs, char *out, size_t cap,
                          size_t *out_len) {
    tn__w w;
    tn__w_init(&w, out, cap);
    if (pairs) tn__pairs_w(&w, pairs, npairs);
    return tn__w_end(&w, out_len);
}

TN_API int tn_form_encode_buf(tn_buf *b, const tn_str *pairs, size_t npairs) {
    tn__w w;
    int rc;
    tn__w_init(&w, NULL, 0);
    if (pairs) tn__pairs_w(&w, pairs, npairs);
    if ((rc = tn__w_buf_begin(&w, b, w.n)) != 0) return rc;
    if (pairs) tn__pairs_w(&w, pairs, npairs);
    b->len += w.n;
    return TN_OK;
}

/* ======================================================================================
   Query strings
   ====================================================================================== */

TN_API void tn_query_iter_init(tn_query_iter *it, tn_str query, unsigned flags) {
    it->_p = query.ptr;
    it->_len = query.ptr ? query.len : 0;
    it->_pos = 0;
    it->_count = 0;
    it->_flags = flags;
}

TN_API int tn_query_next(tn_query_iter *it, tn_str *key, tn_str *value) {
    while (it->_pos < it->_len) {
        size_t start = it->_pos, end;
        const char *amp = (const char *)memchr(it->_p + start, '&', it->_len - start);
        const char *eq;
        end = amp ? (size_t)(amp - it->_p) : it->_len;
        if (end == start) {
            it->_pos = end + 1;
            continue;
        }
        if (it->_count >= TORNADO_MAX_QUERY_PAIRS) return TN_ELIMIT;
        it->_pos = amp ? end + 1 : end;
        it->_count++;
        eq = (const char *)memchr(it->_p + start, '=', end - start);
        if (eq) {
            *key = tn_str_make(it->_p + start, (size_t)(eq - (it->_p + start)));
            *value = tn_str_make(eq + 1, (size_t)(it->_p + end - (eq + 1)));
        } else {
            *key = tn_str_make(it->_p + start, end - start);
            *value = tn_str_make(it->_p + end, 0);
        }
        return 1;
    }
    return 0;
}

TN_API int tn_query_next_decoded(tn_query_iter *it, char *buf, size_t cap, tn_str *key,
                                 tn_str *value) {
    tn_str k, v;
    size_t kn, vn;
    int bad1, bad2;
    unsigned fl = (it->_flags & TN_URL_STRICT) | TN_URL_PLUS;
    int r = tn_query_next(it, &k, &v);
    if (r != 1) return r;
    kn = tn__unescape_len(k, fl, &bad1);
    vn = tn__unescape_len(v, fl, &bad2);
    if (bad1 || bad2) return TN_EBAD_ENCODING;
    if (buf) {
        if (kn > cap || vn > cap - kn) return TN_EBUFFER_FULL;
        tn__unescape_into(k, fl, buf);
        tn__unescape_into(v, fl, buf + kn);
        *key = tn_str_make(buf, kn);
        *value = tn_str_make(buf + kn, vn);
    } else {
        /* in place: the caller promised the query bytes are writable */
        tn__unescape_into(k, fl, (char *)(uintptr_t)k.ptr);
        tn__unescape_into(v, fl, (char *)(uintptr_t)v.ptr);
        *key = tn_str_make(k.ptr, kn);
        *value = tn_str_make(v.ptr, vn);
    }
    return 1;
}

/* ======================================================================================
   Header parameters
   ====================================================================================== */

TN_API tn_str tn_header_value(tn_str header, tn_param_iter *it) {
    const char *semi = header.len ? (const char *)memchr(header.ptr, ';', header.len) : NULL;
    size_t end = semi ? (size_t)(semi - header.ptr) : header.len;
    if (it) {
        it->_p = header.ptr;
        it->_len = header.ptr ? header.len : 0;
        it->_pos = end;
    }
    return tn__trim(tn_str_make(header.ptr, end));
}

TN_API int tn_param_next(tn_param_iter *it, tn_str *name, tn_str *raw) {
    const char *p = it->_p;
    size_t n = it->_len, pos = it->_pos;
    for (;;) {
        size_t ns, ne, vs;
        while (pos < n && (tn__is_ows((unsigned char)p[pos]) || p[pos] == ';')) pos++;
        if (pos >= n) {
            it->_pos = n;
            return 0;
        }
        ns = pos;
        while (pos < n && p[pos] != '=' && p[pos] != ';') pos++;
        ne = pos;
        while (ne > ns && tn__is_ows((unsigned char)p[ne - 1])) ne--;
        if (pos >= n || p[pos] == ';' || ne == ns) {
            /* no '=' (or no name): skipped, as Tornado does; skip a value too */
            if (pos < n && p[pos] == '=') {
                while (pos < n && p[pos] != ';') pos++;
            }
            continue;
        }
        pos++;   /* '=' */
        while (pos < n && tn__is_ows((unsigned char)p[pos])) pos++;
        vs = pos;
        if (pos < n && p[pos] == '"') {
            pos++;
            while (pos < n && p[pos] != '"') pos += (p[pos] == '\\' && pos + 1 < n) ? 2 : 1;
            if (pos >= n) {
                it->_pos = n;
                return TN_EPARSE;
            }
            pos++;
            *raw = tn_str_make(p + vs, pos - vs);
            while (pos < n && tn__is_ows((unsigned char)p[pos])) pos++;
            if (pos < n && p[pos] != ';') {
                it->_pos = n;
                return TN_EPARSE;
            }
        } else {
            size_t ve;
            while (pos < n && p[pos] != ';') pos++;
            ve = pos;
            while (ve > vs && tn__is_ows((unsigned char)p[ve - 1])) ve--;
            *raw = tn_str_make(p + vs, ve - vs);
        }
        *name = tn_str_make(p + ns, ne - ns);
        it->_pos = pos;
        return 1;
    }
}

TN_API int tn_param_unquote(tn_str raw, char *buf, size_t cap, tn_str *value) {
    const char *s;
    size_t n, i, o, need;
    if (raw.len < 2 || raw.ptr[0] != '"' || raw.ptr[raw.len - 1] != '"') {
        *value = raw;
        return TN_OK;
    }
    s = raw.ptr + 1;
    n = raw.len - 2;
    if (!memchr(s, '\\', n)) {
        *value = tn_str_make(s, n);
        return TN_OK;
    }
    for (i = 0, need = 0; i < n; i++, need++)
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '\\' || s[i + 1] == '"')) i++;
    if (!buf || cap < need) return TN_EBUFFER_FULL;
    for (i = 0, o = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '\\' || s[i + 1] == '"')) i++;
        buf[o++] = s[i];
    }
    *value = tn_str_make(buf, o);
    return TN_OK;
}

/* RFC 8187 ext-value: charset "'" [ language ] "'" value-chars. */
TN__PRIVATE int tn__ext_value_decode(tn_str raw, char *buf, size_t cap, tn_str *value) {
    const char *s = raw.ptr;
    size_t n = raw.len, q1, q2, i, o, need = 0;
    int latin1;
    for (q1 = 0; q1 < n && s[q1] != '\''; q1++) {}
    if (q1 >= n) return TN_EPARSE;
    for (q2 = q1 + 1; q2 < n && s[q2] != '\''; q2++) {}
    if (q2 >= n) return TN_EPARSE;
    if (tn_str_ieq(tn_str_make(s, q1), tn_str_c("UTF-8"))) latin1 = 0;
    else if (tn_str_ieq(tn_str_make(s, q1), tn_str_c("ISO-8859-1"))) latin1 = 1;
    else return TN_EPARSE;
    for (i = q2 + 1; i < n; i++) {
        int c = (unsigned char)s[i], b = c;
        if (c == '%') {
            if (i + 2 >= n || tn__hexval((unsigned char)s[i + 1]) < 0 ||
                tn__hexval((unsigned char)s[i + 2]) < 0)
                return TN_EPARSE;
            b = tn__hexval((unsigned char)s[i + 1]) * 16 + tn__hexval((unsigned char)s[i + 2]);
            i += 2;
        } else if (!(tn__is_alnum(c) || (c && strchr("!#$&+-.^_`|~", c)))) {
            return TN_EPARSE;
        }
        need += (latin1 && b >= 0x80) ? 2 : 1;
    }
    if (!buf || cap < need) return TN_EBUFFER_FULL;
    for (i = q2 + 1, o = 0; i < n; i++) {
        int b = (unsigned char)s[i];
        if (b == '%') {
            b = tn__hexval((unsigned char)s[i + 1]) * 16 + tn__hexval((unsigned char)s[i + 2]);
            i += 2;
        }
        if (latin1 && b >= 0x80) {
            buf[o++] = (char)(0xC0 | (b >> 6));
            buf[o++] = (char)(0x80 | (b & 0x3F));
        } else {
            buf[o++] = (char)b;
        }
    }
    *value = tn_str_make(buf, o);
    return TN_OK;
}

TN_API int tn_header_param(tn_str header, const char *name, char *buf, size_t cap,
                           tn_str *value) {
    tn_param_iter it;
    tn_str pn, raw, plain, ext;
    size_t nlen = name ? strlen(name) : 0;
    int r, have_plain = 0, have_ext = 0;
    if (!name || !value) return TN_EINVAL;
    plain.ptr = ext.ptr = NULL;
    plain.len = ext.len = 0;
    tn_header_value(header, &it);
    while ((r = tn_param_next(&it, &pn, &raw)) == 1) {
        if (!have_plain && tn_str_ieq(pn, tn_str_make(name, nlen))) {
            plain = raw;
            have_plain = 1;
        } else if (!have_ext && pn.len == nlen + 1 && pn.ptr[nlen] == '*' &&
                   tn_str_ieq(tn_str_make(pn.ptr, nlen), tn_str_make(name, nlen))) {
            ext = raw;
            have_ext = 1;
        }
    }
    if (r < 0) return r;
    if (have_ext) {
        r = tn__ext_value_decode(ext, buf, cap, value);
        if (r == TN_OK || r == TN_EBUFFER_FULL || !have_plain) return r;
    }
    if (have_plain) return tn_param_unquote(plain, buf, cap, value);
    return TN_ENOENT;
}

/* ======================================================================================
   HTTP dates
   ====================================================================================== */

static const char tn__wday_names[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const tn__wday_long[7] = { "Sunday", "Monday", "Tuesday", "Wednesday",
                                              "Thursday", "Friday", "Saturday" };
static const char tn__mon_names[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

TN__PRIVATE int tn__is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

TN__PRIVATE int tn__days_in_month(int64_t y, int m) {
    static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && tn__is_leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. Years are counted from March so
   that February (and its leap day) ends the year; 400-year eras repeat exactly. */
TN__PRIVATE int64_t tn__days_from_civil(int64_t y, int m, int d) {
    int64_t era, yoe, doy, doe;
    if (m <= 2) y--;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;                                        /* 0..399 */
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;      /* 0..365, from March 1 */
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                /* 0..146096 */
    return era * 146097 + doe - 719468;                         /* 719468: 0000-03-01 → 1970 */
}

/* The inverse of tn__days_from_civil. */
TN__PRIVATE void tn__civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    int64_t era, doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

TN__PRIVATE void tn__put2(char *p, int v) {
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

TN_API int tn_http_date_format(int64_t t, char *out) {
    static const int64_t tmin = -62135596800LL;   /* 0001-01-01T00:00:00Z */
    static const int64_t tmax = 253402300799LL;   /* 9999-12-31T23:59:59Z */
    int64_t days, secs, y;
    int m, d, wd;
    if (!out || t < tmin || t > tmax) return TN_EINVAL;
    days = t / 86400;
    secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    tn__civil_from_days(days, &y, &m, &d);
    wd = (int)(((days % 7) + 11) % 7);   /* 1970-01-01 was a Thursday (4) */
    memcpy(out, tn__wday_names[wd], 3);
    out[3] = ',';
    out[4] = ' ';
    tn__put2(out + 5, d);
    out[7] = ' ';
    memcpy(out + 8, tn__mon_names[m - 1], 3);
    out[11] = ' ';
    tn__put2(out + 12, (int)(y / 100));
    tn__put2(out + 14, (int)(y % 100));
    out[16] = ' ';
    tn__put2(out + 17, (int)(secs / 3600));
    out[19] = ':';
    tn__put2(out + 20, (int)(secs / 60 % 60));
    out[22] = ':';
    tn__put2(out + 23, (int)(secs % 60));
    memcpy(out + 25, " GMT", 5);   /* with the NUL */
    return TN_OK;
}

typedef struct tn__cur {
    const char *p;
    size_t n;
    size_t i;
} tn__cur;

TN__PRIVATE int tn__cur_lit(tn__cur *c, const char *lit) {
    size_t k = strlen(lit);
    if (c->n - c->i < k || memcmp(c->p + c->i, lit, k) != 0) return 0;
    c->i += k;
    return 1;
}

TN__PRIVATE int tn__cur_digits(tn__cur *c, size_t k, int *v) {
    size_t j;
    int r = 0;
    if (c->n - c->i < k) return 0;
    for (j = 0; j < k; j++) {
        int ch = (unsigned char)c->p[c->i + j];
        if (!tn__is_digit(ch)) return 0;
        r = r * 10 + (ch - '0');
    }
    c->i += k;
    *v = r;
    return 1;
}

/* One of `names` (ASCII case-insensitive); returns its index or -1. */
TN__PRIVATE int tn__cur_name(tn__cur *c, const char *const *names, int count) {
    int k;
    for (k = 0; k < count; k++) {
        size_t len = strlen(names[k]);
        if (c->n - c->i >= len && tn_str_ieq(tn_str_make(c->p + c->i, len), tn_str_make(names[k], len))) {
            c->i += len;
            return k;
        }
    }
    return -1;
}

TN__PRIVATE int tn__cur_time(tn__cur *c, int *hh, int *mm, int *ss) {
    return tn__cur_digits(c, 2, hh) && tn__cur_lit(c, ":") && tn__cur_digits(c, 2, mm) &&
           tn__cur_lit(c, ":") && tn__cur_digits(c, 2, ss);
}

TN_API int tn_http_date_parse(tn_str s, int64_t *out) {
    static const char *const wd3[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const mon[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    tn__cur c;
    int y = 0, m = 1, d = 0, hh = 0, mm = 0, ss = 0, ok;
    size_t namelen;
    if (!out) return TN_EINVAL;
    s = tn__trim(s);
    c.p = s.ptr;
    c.n = s.len;
    c.i = 0;
    for (namelen = 0; namelen < s.len && tn__is_alpha((unsigned char)s.ptr[namelen]); namelen++) {}
    if (namelen == 3 && namelen < s.len && s.ptr[3] == ',') {
        /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
        ok = tn__cur_name(&c, wd3, 7) >= 0 && tn__cur_lit(&c, ", ") && tn__cur_digits(&c, 2, &d) &&
             tn__cur_lit(&c, " ") && (m = tn__cur_name(&c, mon, 12) + 1) > 0 &&
             tn__cur_lit(&c, " ") && tn__cur_digits(&c, 4, &y) && tn__cur_lit(&c, " ") &&
             tn__cur_time(&c, &hh, &mm, &ss) && tn__cur_lit(&c, " GMT");
    } else if (namelen > 3 && namelen < s.len && s.ptr[namelen] == ',') {
        /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
        int k = tn__cur_name(&c, tn__wday_long, 7);
        ok = k >= 0 && c.i == namelen && tn__cur_lit(&c, ", ") && tn__cur_digits(&c, 2, &d) &&
             tn__cur_lit(&c, "-") && (m = tn__cur_name(&c, mon, 12) + 1) > 0 &&
             tn__cur_lit(&c, "-") && tn__cur_digits(&c, 2, &y) && tn__cur_lit(&c, " ") &&
             tn__cur_time(&c, &hh, &mm, &ss) && tn__cur_lit(&c, " GMT");
        y += y < 70 ? 2000 : 1900;
    } else if (namelen == 3 && namelen < s.len && s.ptr[3] == ' ') {
        /* asctime: Sun Nov  6 08:49:37 1994 */
        ok = tn__cur_name(&c, wd3, 7) >= 0 && tn__cur_lit(&c, " ") &&
             (m = tn__cur_name(&c, mon, 12) + 1) > 0 && tn__cur_lit(&c, " ") &&
             (tn__cur_lit(&c, " ") ? tn__cur_digits(&c, 1, &d) : tn__cur_digits(&c, 2, &d)) &&
             tn__cur_lit(&c, " ") && tn__cur_time(&c, &hh, &mm, &ss) && tn__cur_lit(&c, " ") &&
             tn__cur_digits(&c, 4, &y);
    } else {
        return TN_EPARSE;
    }
    if (!ok || c.i != c.n) return TN_EPARSE;
    if (d < 1 || d > tn__days_in_month(y, m) || hh > 23 || mm > 59 || ss > 60) return TN_EPARSE;
    *out = tn__days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
    return TN_OK;
}

/* ======================================================================================
   Range
   ====================================================================================== */

/* 1*DIGIT with saturation at UINT64_MAX; returns digits consumed. */
TN__PRIVATE size_t tn__digits_u64(const char *s, size_t n, uint64_t *v) {
    size_t i = 0;
    uint64_t r = 0;
    while (i < n && tn__is_digit((unsigned char)s[i])) {
        unsigned dgt = (unsigned)(s[i] - '0');
        if (r > (UINT64_MAX - dgt) / 10u) r = UINT64_MAX;
        else r = r * 10u + dgt;
        i++;
    }
    *v = r;
    return i;
}

TN_API int tn_range_parse(tn_str header, uint64_t size, tn_range *out, size_t cap,
                          size_t *count) {
    const char *s;
    size_t n, i, limit, specs = 0, got = 0;
    if (!out || !count || cap == 0) return TN_EINVAL;
    *count = 0;
    header = tn__trim(header);
    s = header.ptr;
    n = header.len;
    if (n < 6 || !tn_str_ieq(tn_str_make(s, 6), tn_str_c("bytes="))) return TN_EPARSE;
    limit = TN__MIN(cap, (size_t)TORNADO_MAX_RANGES);
    i = 6;
    for (;;) {
        size_t es = i, ee, k;
        uint64_t first, last;
        while (i < n && s[i] != ',') i++;
        ee = i;
        while (es < ee && tn__is_ows((unsigned char)s[es])) es++;
        while (ee > es && tn__is_ows((unsigned char)s[ee - 1])) ee--;
        if (es < ee) {
            if (++specs > limit) return TN_ELIMIT;
            if (s[es] == '-') {   /* suffix-range: "-" suffix-length */
                k = tn__digits_u64(s + es + 1, ee - es - 1, &last);
                if (k == 0 || es + 1 + k != ee) return TN_EPARSE;
                if (last > 0 && size > 0) {
                    out[got].first = last >= size ? 0 : size - last;
                    out[got].last = size - 1;
                    got++;
                }
            } else {              /* int-range: first-pos "-" [ last-pos ] */
                k = tn__digits_u64(s + es, ee - es, &first);
                if (k == 0 || es + k >= ee || s[es + k] != '-') return TN_EPARSE;
                es += k + 1;
                last = UINT64_MAX;
                if (es < ee) {
                    k = tn__digits_u64(s + es, ee - es, &last);
                    if (k == 0 || es + k != ee) return TN_EPARSE;
                    if (last < first) return TN_EPARSE;
                }
                if (first < size) {
                    out[got].first = first;
                    out[got].last = last >= size ? size - 1 : last;
                    got++;
                }
            }
        }
        if (i >= n) break;
        i++;   /* ',' */
    }
    if (specs == 0) return TN_EPARSE;
    *count = got;
    return got ? TN_OK : TN_EBAD_RANGE;
}

TN__PRIVATE void tn__content_range_w(tn__w *w, const tn_range *r, uint64_t size) {
    tn__w_put(w, "bytes ", 6);
    if (r) {
        tn__w_u64(w, r->first);
        tn__w_ch(w, '-');
        tn__w_u64(w, r->last);
    } else {
        tn__w_ch(w, '*');
    }
    tn__w_ch(w, '/');
    tn__w_u64(w, size);
}

TN_API int tn_content_range_format(const tn_range *r, uint64_t size, char *out, size_t cap,
                                   size_t *out_len) {
    tn__w w;
    if (r && r->last < r->first) return TN_EINVAL;
    tn__w_init(&w, out, cap);
    tn__content_range_w(&w, r, size);
    return tn__w_end(&w, out_len);
}

/* ======================================================================================
   Reasons and escaping
   ====================================================================================== */

TN_API const char *tn_http_reason(int status) {
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 306: return "(Unused)";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a Teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    default: return "Unknown";
    }
}

TN__PRIVATE void tn__xhtml_escape_w(tn__w *w, tn_str in) {
    size_t i, run = 0;
    if (!in.len) return;
    for (i = 0; i < in.len; i++) {
        const char *rep;
        switch (in.ptr[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: run++; continue;
        }
        tn__w_put(w, in.ptr + i - run, run);
        run = 0;
        tn__w_put(w, rep, strlen(rep));
    }
    tn__w_put(w, in.ptr + in.len - run, run);
}

TN_API int tn_xhtml_escape(tn_str in, char *out, size_t cap, size_t *out_len) {
    tn__w w;
    tn__w_init(&w, out, cap);
    tn__xhtml_escape_w(&w, in);
    return tn__w_end(&w, out_len);
}

TN_API int tn_xhtml_escape_buf(tn_buf *b, tn_str in) {
    tn__w w;
    int rc;
    tn__w_init(&w, NULL, 0);
    tn__xhtml_escape_w(&w, in);
    if ((rc = tn__w_buf_begin(&w, b, w.n)) != 0) return rc;
    tn__xhtml_escape_w(&w, in);
    b->len += w.n;
    return TN_OK;
}

TN__PRIVATE void tn__json_escape_w(tn__w *w, tn_str in) {
    size_t i, run = 0;
    const unsigned char *s = (const unsigned char *)in.ptr;
    if (!in.len) return;
    for (i = 0; i < in.len; i++) {
        unsigned c = s[i];
        char esc[6];
        const char *rep = NULL;
        size_t replen = 2;
        if (c == '"') rep = "\\\"";
        else if (c == '\\') rep = "\\\\";
        else if (c == '\b') rep = "\\b";
        else if (c == '\f') rep = "\\f";
        else if (c == '\n') rep = "\\n";
        else if (c == '\r') rep = "\\r";
        else if (c == '\t') rep = "\\t";
        else if (c == '/' && i > 0 && s[i - 1] == '<') rep = "\\/";
        else if (c < 0x20) {
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = tn__hex_lower[c >> 4];
            esc[5] = tn__hex_lower[c & 15];
            rep = esc;
            replen = 6;
        } else if (c == 0xE2 && i + 2 < in.len && s[i + 1] == 0x80 &&
                   (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
            rep = s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
            replen = 6;
            tn__w_put(w, in.ptr + i - run, run);
            run = 0;
            tn__w_put(w, rep, replen);
            i += 2;
            continue;
        }
        if (!rep) {
            run++;
            continue;
        }
        tn__w_put(w, in.ptr + i - run, run);
        run = 0;
        tn__w_put(w, rep, replen);
    }
    tn__w_put(w, in.ptr + in.len - run, run);
}

TN_API int tn_json_escape(tn_str in, char *out, size_t cap, size_t *out_len) {
    tn__w w;
    tn__w_init(&w, out, cap);
    tn__json_escape_w(&w, in);
    return tn__w_end(&w, out_len);
}

TN_API int tn_json_escape_buf(tn_buf *b, tn_str in) {
    tn__w w;
    int rc;
    tn__w_init(&w, NULL, 0);
    tn__json_escape_w(&w, in);
    if ((rc = tn__w_buf_begin(&w, b, w.n)) != 0) return rc;
    tn__json_escape_w(&w, in);
    b->len += w.n;
    return TN_OK;
}
/* <<http_util.c  end of src/http_util.c */

/* ======================================================================== */
/* >>multipart.c  (src/multipart.c)                                         */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/multipart.c"
#endif
/* multipart.c: the multipart/form-data push parser. */
/* #include "multipart.h" (inlined above) */

/* States. The body is scanned for the delimiter "\r\n--boundary"; the parser starts as
   if a CRLF preceded the body, so a body that opens with "--boundary" matches at once. */
enum {
    TN__MP_PREAMBLE = 0,  /* before the first delimiter: bytes are discarded */
    TN__MP_BODY,          /* inside a part: bytes are delivered */
    TN__MP_AFTER,         /* just after a delimiter: "--", padding or CRLF */
    TN__MP_DASH2,         /* after "--boundary-": expect the second '-' */
    TN__MP_PAD,           /* transport padding (SP / HTAB) before CRLF */
    TN__MP_LF,            /* after CR: expect LF */
    TN__MP_HEADERS,       /* buffering a part's header block */
    TN__MP_DONE,          /* after the close delimiter: epilogue, ignored */
    TN__MP_ERROR
};

TN__PRIVATE int tn__mp_call(tn_multipart *mp, int ev, const tn_multipart_part *part,
                            const char *p, size_t n) {
    int r;
    if (ev == TN_MULTIPART_PART_DATA && n == 0) return TN_OK;
    r = mp->_cb(ev, part, tn_str_make(p, n), mp->_user);
    if (r > 0) r = TN_ECANCELED;
    return r;
}

TN_API int tn_multipart_boundary(tn_str content_type, char *buf, size_t cap, tn_str *boundary) {
    tn_str mt = tn_header_value(content_type, NULL);
    int rc;
    if (!boundary) return TN_EINVAL;
    if (!tn_str_ieq(mt, tn_str_c("multipart/form-data"))) return TN_ENOTSUP;
    rc = tn_header_param(content_type, "boundary", buf, cap, boundary);
    if (rc == TN_ENOENT || rc == TN_EPARSE || (rc == TN_OK && boundary->len == 0))
        return TN_EBAD_MULTIPART;
    return rc;
}

TN_API int tn_multipart_init(tn_multipart *mp, tn_str boundary, const tn_multipart_opts *opts,
                             tn_multipart_cb cb, void *user) {
    size_t i;
    if (!mp || !cb) return TN_EINVAL;
    memset(mp, 0, sizeof *mp);
    mp->_state = TN__MP_ERROR;
    mp->_err = TN_EBAD_MULTIPART;
    if (boundary.len == 0 || boundary.len > TN_MULTIPART_MAX_BOUNDARY) return TN_EBAD_MULTIPART;
    for (i = 0; i < boundary.len; i++) {
        unsigned char c = (unsigned char)boundary.ptr[i];
        if (c < 0x20 || c >= 0x7f) return TN_EBAD_MULTIPART;
    }
    mp->_cb = cb;
    mp->_user = user;
    memcpy(mp->_delim, "\r\n--", 4);
    memcpy(mp->_delim + 4, boundary.ptr, boundary.len);
    mp->_dlen = 4 + boundary.len;
    mp->_max_header = TORNADO_MULTIPART_MAX_HEADER_BYTES;
    mp->_max_parts = TORNADO_MULTIPART_MAX_PARTS;
    if (opts && opts->max_header_bytes && opts->max_header_bytes < mp->_max_header)
        mp->_max_header = opts->max_header_bytes;
    if (opts && opts->max_parts) mp->_max_parts = opts->max_parts;
    mp->_state = TN__MP_PREAMBLE;
    mp->_err = TN_OK;
    mp->_match = 2;   /* the virtual CRLF before the body */
    return TN_OK;
}

/* A complete delimiter was just consumed. */
TN__PRIVATE int tn__mp_delimiter(tn_multipart *mp) {
    int was_body = mp->_state == TN__MP_BODY;
    mp->_state = TN__MP_AFTER;
    if (was_body) return tn__mp_call(mp, TN_MULTIPART_PART_END, &mp->_part, NULL, 0);
    return TN_OK;
}

/* Scan p[0..n) for the delimiter in PREAMBLE or BODY state; *used gets the bytes consumed.
   Only delim[0] is '\r' (the boundary has no control bytes), so after a failed partial
   match no suffix of the matched bytes can start a delimiter: scanning resumes at the
   byte that failed. */
TN__PRIVATE int tn__mp_scan(tn_multipart *mp, const char *p, size_t n, size_t *used) {
    const char *d = mp->_delim;
    size_t D = mp->_dlen, i = 0, ds = 0;
    int emit = mp->_state == TN__MP_BODY, rc;
    if (mp->_match) {
        size_t j = mp->_match;
        while (j < D && i < n && p[i] == d[j]) {
            i++;
            j++;
        }
        if (j == D) {
            mp->_match = 0;
            *used = i;
            return tn__mp_delimiter(mp);
        }
        if (i == n) {
            mp->_match = j;
            *used = n;
            return TN_OK;
        }
        /* the held bytes were content after all: deliver them from our delimiter copy */
        if (emit && (rc = tn__mp_call(mp, TN_MULTIPART_PART_DATA, &mp->_part, d, mp->_match)) != 0)
            return rc;
        mp->_match = 0;
    }
    for (;;) {
        const char *r = i < n ? (const char *)memchr(p + i, '\r', n - i) : NULL;
        size_t ri, k = 0;
        if (!r) {
            *used = n;
            return emit ? tn__mp_call(mp, TN_MULTIPART_PART_DATA, &mp->_part, p + ds, n - ds) : TN_OK;
        }
        ri = (size_t)(r - p);
        while (k < D && ri + k < n && p[ri + k] == d[k]) k++;
        if (k == D || ri + k == n) {
            if (emit && (rc = tn__mp_call(mp, TN_MULTIPART_PART_DATA, &mp->_part, p + ds, ri - ds)) != 0)
                return rc;
            if (k == D) {
                *used = ri + D;
                return tn__mp_delimiter(mp);
            }
            mp->_match = k;   /* a possible delimiter runs off the end of this slice */
            *used = n;
            return TN_OK;
        }
        i = ri + 1;
    }
}

TN__PRIVATE int tn__is_tchar(int c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Parse the buffered header block (mp->_hdr[0..len), every line ending in CRLF) into
   mp->_part. */
TN__PRIVATE int tn__mp_parse_headers(tn_multipart *mp, size_t len) {
    const char *h = mp->_hdr;
    size_t pos = 0, dec_used = 0;
    int have_cd = 0, have_ct = 0, rc;
    tn_multipart_part *pt = &mp->_part;
    memset(pt, 0, sizeof *pt);
    pt->headers = tn_str_make(h, len);
    pt->index = (unsigned)mp->_parts;
    pt->name = pt->filename = pt->content_type = pt->disposition = tn_str_make(h, 0);
    while (pos < len) {
        size_t ls = pos, le, k;
        tn_str name, value;
        const char *lf = (const char *)memchr(h + pos, '\n', len - pos);
        if (!lf) return TN_EBAD_MULTIPART;
        le = (size_t)(lf - h);
        if (le == ls || h[le - 1] != '\r') return TN_EBAD_MULTIPART;   /* bare LF */
        pos = le + 1;
        le--;   /* drop CR */
        for (k = ls; k < le && tn__is_tchar((unsigned char)h[k]); k++) {}
        if (k == ls || k >= le || h[k] != ':') return TN_EBAD_MULTIPART;   /* incl. folding */
        name = tn_str_make(h + ls, k - ls);
        value = tn_str_make(h + k + 1, le - k - 1);
        for (k = 0; k < value.len; k++) {
            unsigned char c = (unsigned char)value.ptr[k];
            if ((c < 0x20 && c != '\t') || c == 0x7f) return TN_EBAD_MULTIPART;
        }
        while (value.len && (value.ptr[0] == ' ' || value.ptr[0] == '\t')) {
            value.ptr++;
            value.len--;
        }
        while (value.len && (value.ptr[value.len - 1] == ' ' || value.ptr[value.len - 1] == '\t'))
            value.len--;
        if (!have_cd && tn_str_ieq(name, tn_str_c("Content-Disposition"))) {
            tn_str v;
            have_cd = 1;
            pt->disposition = tn_header_value(value, NULL);
            rc = tn_header_param(value, "name", mp->_dec + dec_used, sizeof mp->_dec - dec_used, &v);
            if (rc == TN_OK) {
                pt->name = v;
                pt->flags |= TN_MULTIPART_HAS_NAME;
                if (v.ptr == mp->_dec + dec_used) dec_used += v.len;   /* decoded into _dec */
            } else if (rc != TN_ENOENT) {
                return TN_EBAD_MULTIPART;
            }
            rc = tn_header_param(value, "filename", mp->_dec + dec_used, sizeof mp->_dec - dec_used, &v);
            if (rc == TN_OK) {
                pt->filename = v;
                pt->flags |= TN_MULTIPART_HAS_FILENAME;
            } else if (rc != TN_ENOENT) {
                return TN_EBAD_MULTIPART;
            }
        } else if (!have_ct && tn_str_ieq(name, tn_str_c("Content-Type"))) {
            have_ct = 1;
            pt->content_type = value;
        }
    }
    return TN_OK;
}

TN_API int tn_multipart_feed(tn_multipart *mp, const char *data, size_t len) {
    size_t i = 0, used;
    int rc = TN_OK;
    if (!mp) return TN_EINVAL;
    if (mp->_err) return mp->_err;
    if (len && !data) return TN_EINVAL;
    while (i < len && rc == TN_OK) {
        char c;
        switch (mp->_state) {
        case TN__MP_PREAMBLE:
        case TN__MP_BODY:
            used = 0;
            rc = tn__mp_scan(mp, data + i, len - i, &used);
            i += used;
            break;
        case TN__MP_AFTER:
            c = data[i++];
            if (c == '-') mp->_state = TN__MP_DASH2;
            else if (c == ' ' || c == '\t') mp->_state = TN__MP_PAD;
            else if (c == '\r') mp->_state = TN__MP_LF;
            else rc = TN_EBAD_MULTIPART;
            break;
        case TN__MP_DASH2:
            if (data[i++] != '-') {
                rc = TN_EBAD_MULTIPART;
                break;
            }
            mp->_state = TN__MP_DONE;
            rc = tn__mp_call(mp, TN_MULTIPART_DONE, NULL, NULL, 0);
            break;
        case TN__MP_PAD:
            c = data[i++];
            if (c == '\r') mp->_state = TN__MP_LF;
            else if (c != ' ' && c != '\t') rc = TN_EBAD_MULTIPART;
            break;
        case TN__MP_LF:
            if (data[i++] != '\n') {
                rc = TN_EBAD_MULTIPART;
                break;
            }
            if (mp->_parts >= mp->_max_parts) {
                rc = TN_ELIMIT;
                break;
            }
            mp->_hlen = 0;
            mp->_state = TN__MP_HEADERS;
            break;
        case TN__MP_HEADERS: {
            /* copy up to the end of the header block (a blank line) */
            size_t h;
            while (i < len) {
                if (mp->_hlen >= mp->_max_header) {
                    rc = TN_EHEADER_TOO_LARGE;
                    break;
                }
                c = data[i++];
                mp->_hdr[mp->_hlen++] = c;
                if (c != '\n') continue;
                h = mp->_hlen;
                if ((h == 2 && mp->_hdr[0] == '\r') ||
                    (h >= 4 && memcmp(mp->_hdr + h - 4, "\r\n\r\n", 4) == 0)) {
                    rc = tn__mp_parse_headers(mp, h - 2);
                    if (rc) break;
                    mp->_parts++;
                    mp->_state = TN__MP_BODY;
                    mp->_match = 0;
                    rc = tn__mp_call(mp, TN_MULTIPART_PART_BEGIN, &mp->_part, NULL, 0);
                    break;
                }
            }
            break;
        }
        case TN__MP_DONE:
            return TN_OK;
        default:
            rc = TN_EBAD_MULTIPART;
            break;
        }
    }
    if (rc) {
        mp->_err = rc;
        mp->_state = TN__MP_ERROR;
    }
    return rc;
}

TN_API int tn_multipart_finish(tn_multipart *mp) {
    if (!mp) return TN_EINVAL;
    if (mp->_err) return mp->_err;
    if (mp->_state == TN__MP_DONE) return TN_OK;
    mp->_err = TN_EBAD_MULTIPART;
    mp->_state = TN__MP_ERROR;
    return TN_EBAD_MULTIPART;
}
/* <<multipart.c  end of src/multipart.c */

#endif /* TORNADO_IMPLEMENTATION */
