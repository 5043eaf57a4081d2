/* tornado.h v0.1.0: Tornado's networking core as one C header (MIT license, see LICENSE).
   Generated from src/ by amalgamate.py; edit src/, not this file.

   TABLE OF CONTENTS  (search ">>name" to jump to a module)
     declarations (always compiled)
       >>config.h       compile-time toggles and limits, version, and the user guide.
       >>platform.h     public platform types (sockets), API decoration, C++ linkage.
       >>base.h         result codes, allocator and logger hooks, monotonic clock, tn_str slices.
       >>buf.h          tn_buf, a growable byte buffer with a consumable front.
       >>loop.h         event loop: fd watchers, timer heap, deferred callbacks, thread-safe post, run modes.
       >>http_parse.h   HTTP/1.1 request/response parser, framing rules, chunked codec, header utilities (no I/O).
     implementation (compiled where TORNADO_IMPLEMENTATION is defined)
       >>platform.c     system includes, private macros, errno mapping, fd flags, clock, locks.
       >>base.c         result code names, tn_str helpers, allocator wrappers, logging.
       >>buf.c          tn_buf implementation.
       >>loop.c         the event loop: handles, deferred queue, timer heap, fd table, wakeup, run.
       >>poll_epoll.c   the epoll backend (Linux, level-triggered).
       >>poll_poll.c    the portable poll() backend (any POSIX system; also the test reference).
       >>http_parse.c   strict incremental HTTP/1.1 head parser, framing, chunked codec, header utilities.

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
/* >>http_parse.h  (src/http_parse.h)                                       */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_parse.h"
#endif
/* http_parse.h: HTTP/1.1 request/response parser, framing rules, chunked codec, header utilities (no I/O). */
/* #include "base.h" (inlined above) */

TN__BEGIN_DECLS

/* ---- policy ----------------------------------------------------------------------------
   Strict RFC 9110/9112 parsing, chosen so that two hops cannot frame a message differently
   (request smuggling):
   - Bare LF: rejected (TN_EPARSE). RFC 9112 §2.2 lets a recipient accept a lone LF as a line
     terminator (MAY); we do not, because a hop that does not split on a lone LF would see
     "X: a\nTransfer-Encoding: chunked" as one field while we would see two, and the same holds
     for chunk-size lines. (Tornado itself accepts bare LF; no mainstream client sends it.)
   - Bare CR, NUL and other control bytes (except HTAB in values) in any line: rejected.
   - obs-fold (a field line starting with SP/HTAB): rejected in requests and responses (a
     zero-copy parser cannot replace it with SP as RFC 9112 §5.2 requires for responses).
   - Whitespace between a field name and its colon: rejected (RFC 9112 §5.1).
   - Content-Length with Transfer-Encoding, differing or malformed Content-Length values, more
     than one Host, Transfer-Encoding in HTTP/1.0, a request whose final transfer coding is
     not chunked (400) or which uses codings other than chunked (501): rejected.
   - Empty lines (CRLF) before a start line are skipped (RFC 9112 §2.2), within the head limit.
   - Any token is a method (RFC 9110 §9.1); "*" only with OPTIONS; CONNECT needs host:port.
   - HTTP/1.0 and HTTP/1.1 are parsed (HTTP/1.2..1.9 as 1.1); other versions are TN_EBAD_VERSION. */

/* ---- limits (each overridable; 0 in a parser struct means "use the macro") ---- */
#ifndef TORNADO_MAX_HEADER_BYTES
#define TORNADO_MAX_HEADER_BYTES 65536u      /* start line + fields + blank line (Tornado: 64 KiB) */
#endif
#ifndef TORNADO_MAX_TARGET_LENGTH
#define TORNADO_MAX_TARGET_LENGTH 8192u      /* request-target bytes (RFC 9112 §3: >= 8000) */
#endif
#ifndef TORNADO_MAX_BODY_BYTES
#define TORNADO_MAX_BODY_BYTES 104857600u    /* decoded chunked body bytes (Tornado: 100 MiB) */
#endif
#ifndef TORNADO_MAX_CHUNK_LINE
#define TORNADO_MAX_CHUNK_LINE 4096u         /* chunk-size line incl. extensions and CRLF */
#endif
#ifndef TORNADO_MAX_TRAILER_BYTES
#define TORNADO_MAX_TRAILER_BYTES 8192u      /* trailer section incl. final CRLF */
#endif

/* tn_http_header: one field line, both slices point into the parsed buffer.
   name: the field name as received (a token, never empty); value: the field value with
   leading and trailing whitespace removed (may be empty). */
typedef struct tn_http_header {
    tn_str name;
    tn_str value;
} tn_http_header;

/* How the message body is delimited (RFC 9112 §6.3). */
enum {
    TN_HTTP_BODY_NONE = 0,      /* no body (length 0, HEAD response, 1xx/204/304, CONNECT 2xx) */
    TN_HTTP_BODY_LENGTH = 1,    /* exactly content_length bytes follow */
    TN_HTTP_BODY_CHUNKED = 2,   /* chunked coding: use tn_http_decode_chunked */
    TN_HTTP_BODY_UNTIL_CLOSE = 3 /* responses only: read until the server closes */
};

/* Request-target forms (RFC 9112 §3.2). */
enum {
    TN_HTTP_TARGET_ORIGIN = 1,     /* "/path?query" */
    TN_HTTP_TARGET_ABSOLUTE = 2,   /* "http://host/path" (proxies) */
    TN_HTTP_TARGET_AUTHORITY = 3,  /* "host:port", CONNECT only */
    TN_HTTP_TARGET_ASTERISK = 4    /* "*", OPTIONS only */
};

/* Message flags, set once the header section is complete. */
enum {
    TN_HTTP_F_KEEP_ALIVE = 1u << 0,       /* the connection may carry another message after this one */
    TN_HTTP_F_CONN_CLOSE = 1u << 1,       /* Connection: close seen */
    TN_HTTP_F_CONN_KEEP_ALIVE = 1u << 2,  /* Connection: keep-alive seen */
    TN_HTTP_F_CONN_UPGRADE = 1u << 3,     /* Connection: upgrade seen */
    TN_HTTP_F_UPGRADE = 1u << 4,          /* protocol switch after this message: request with
                                             Connection: upgrade + Upgrade, CONNECT request, 101
                                             response, 2xx response to CONNECT */
    TN_HTTP_F_EXPECT_CONTINUE = 1u << 5,  /* HTTP/1.1 request with Expect: 100-continue */
    TN_HTTP_F_CONTENT_LENGTH = 1u << 6,   /* a (valid) Content-Length was present */
    TN_HTTP_F_CHUNKED = 1u << 7,          /* Transfer-Encoding ends in chunked */
    TN_HTTP_F_HOST = 1u << 8,             /* exactly one Host field was present (requests) */
    TN_HTTP_F_TRANSFER_ENCODING = 1u << 9 /* a Transfer-Encoding field was present */
};

/* Private resume state shared by both parsers (fields are internal; zero = fresh start). */
typedef struct tn__http_pstate {
    const char *base;   /* buffer seen on the previous call (a moved buffer restarts the parse) */
    size_t pos;         /* offset of the first line not yet accepted */
    size_t scan;        /* bytes already scanned without finding the end of the current line */
    size_t mark;        /* offset of the request-target (limit check while incomplete) */
    int state;          /* 0 start line, 1 header fields */
    int phase;          /* which scanner resumes at scan */
} tn__http_pstate;

/* tn_http_request: a parsed request head (a value type, zero-initialise it).
   Inputs, set before the first call and kept while resuming:
     headers, max_headers    the caller's header array and its capacity (0 = no headers allowed)
     max_header_bytes        limit on the head, default TORNADO_MAX_HEADER_BYTES
     max_target_length       limit on the request-target, default TORNADO_MAX_TARGET_LENGTH
   Outputs: every tn_str points into the buffer given to tn_http_parse_request and is valid as
   long as that buffer is unchanged. To parse the next message, zero the struct again (or call
   tn_http_request_reset, which keeps the inputs). */
typedef struct tn_http_request {
    tn_http_header *headers;     /* in: caller's array; out: filled with num_headers fields */
    size_t max_headers;          /* in: capacity of headers */
    size_t max_header_bytes;     /* in: 0 = TORNADO_MAX_HEADER_BYTES */
    size_t max_target_length;    /* in: 0 = TORNADO_MAX_TARGET_LENGTH */
    tn_str method;               /* out: e.g. "GET" (case-sensitive token) */
    tn_str target;               /* out: request-target as received */
    int target_form;             /* out: TN_HTTP_TARGET_* */
    int version;                 /* out: 10 (HTTP/1.0) or 11 (HTTP/1.1 and 1.2..1.9) */
    size_t num_headers;          /* out: fields stored in headers */
    unsigned flags;              /* out: TN_HTTP_F_* */
    int body_kind;               /* out: TN_HTTP_BODY_NONE, _LENGTH or _CHUNKED */
    uint64_t content_length;     /* out: body bytes when body_kind is TN_HTTP_BODY_LENGTH */
    tn__http_pstate _st;         /* private */
} tn_http_request;

/* tn_http_response: a parsed response head (zero-initialise it). Inputs as for
   tn_http_request, plus request_method: the method of the request this answers (empty = not
   HEAD/CONNECT), which decides the body framing. Outputs point into the parsed buffer. */
typedef struct tn_http_response {
    tn_http_header *headers;     /* in/out: as in tn_http_request */
    size_t max_headers;          /* in */
    size_t max_header_bytes;     /* in: 0 = TORNADO_MAX_HEADER_BYTES */
    tn_str request_method;       /* in: method of the matching request ("HEAD" → no body) */
    int version;                 /* out: 10 or 11 */
    int status;                  /* out: 100..999 */
    tn_str reason;               /* out: reason phrase (may be empty) */
    size_t num_headers;          /* out */
    unsigned flags;              /* out: TN_HTTP_F_* */
    int body_kind;               /* out: TN_HTTP_BODY_* */
    uint64_t content_length;     /* out: when body_kind is TN_HTTP_BODY_LENGTH */
    tn__http_pstate _st;         /* private */
} tn_http_response;

/* Parse a request head from buf[0..len). Call again with the same (grown) buffer after more
   bytes arrive: lines already accepted are not rescanned (a buffer at a new address restarts
   from its beginning, which is correct but slower).
   Policy: strict RFC 9112. Lines must end in CRLF (a bare LF or bare CR is rejected); empty
   lines (CRLF) before the request line are skipped and counted in the result; obs-fold,
   whitespace before a colon, control bytes in names/values, and ambiguous framing are errors.
   Returns: bytes consumed by the head (> 0; the body, if any, starts there), TN_EINCOMPLETE,
   or: TN_EBAD_METHOD, TN_EBAD_TARGET, TN_EBAD_VERSION, TN_EBAD_HEADER_NAME,
   TN_EBAD_HEADER_VALUE, TN_EPARSE (bad line terminator), TN_ETOO_MANY_HEADERS,
   TN_EHEADER_TOO_LARGE, TN_EURI_TOO_LONG, TN_EBAD_CONTENT_LENGTH, TN_EBAD_TRANSFER_ENCODING,
   TN_EUNSUPPORTED_TE. Map a code to a status with tn_http_error_status. */
TN_API int tn_http_parse_request(const char *buf, size_t len, tn_http_request *req);

/* Parse a response head from buf[0..len); resumable like tn_http_parse_request.
   Returns: bytes consumed (> 0), TN_EINCOMPLETE, or TN_EBAD_VERSION, TN_EBAD_STATUS,
   TN_EBAD_HEADER_NAME, TN_EBAD_HEADER_VALUE, TN_EPARSE, TN_ETOO_MANY_HEADERS,
   TN_EHEADER_TOO_LARGE, TN_EBAD_CONTENT_LENGTH, TN_EBAD_TRANSFER_ENCODING, TN_EUNSUPPORTED_TE.
   A 1xx response other than 101 is a complete interim message: parse the next head after it. */
TN_API int tn_http_parse_response(const char *buf, size_t len, tn_http_response *res);

/* Clear outputs and resume state, keeping the inputs (headers, limits, request_method). */
TN_API void tn_http_request_reset(tn_http_request *req);
TN_API void tn_http_response_reset(tn_http_response *res);

/* The HTTP status a server should answer a parse error with: 400, 413 (TN_EBODY_TOO_LARGE),
   414 (TN_EURI_TOO_LONG), 431 (TN_EHEADER_TOO_LARGE, TN_ETOO_MANY_HEADERS), 501
   (TN_EUNSUPPORTED_TE). Returns 0 for TN_OK, TN_EINCOMPLETE and positive values. */
TN_API int tn_http_error_status(int code);

/* ---- framing helpers (pure functions of a parsed head) ---- */

/* 1 if the connection may be reused after this request: HTTP/1.1 without Connection: close, or
   HTTP/1.0 with Connection: keep-alive (and without close). Same as TN_HTTP_F_KEEP_ALIVE. */
TN_API int tn_http_request_keep_alive(const tn_http_request *req);
/* 1 if the connection may be reused after this response (as above, and the body is not
   delimited by close). */
TN_API int tn_http_response_keep_alive(const tn_http_response *res);
/* Body framing of a response to a request with method `request_method` (RFC 9112 §6.3):
   HEAD, 1xx, 204, 304 and 2xx-to-CONNECT have no body. Writes the length for
   TN_HTTP_BODY_LENGTH into *length (may be NULL). Returns TN_HTTP_BODY_*. */
TN_API int tn_http_response_body(const tn_http_response *res, tn_str request_method, uint64_t *length);

/* ---- chunked transfer coding ---- */

/* tn_http_chunked: an incremental chunked-body decoder (zero-initialise it; set the limits
   before the first call if the defaults do not suit).
     max_body_bytes      decoded data limit, default TORNADO_MAX_BODY_BYTES
     max_chunk_line      chunk-size line limit (size, extensions, CRLF), default TORNADO_MAX_CHUNK_LINE
     max_trailer_bytes   trailer section limit, default TORNADO_MAX_TRAILER_BYTES
   Trailer fields are validated like header fields and then discarded. Chunk extensions are
   validated (token[=token|quoted-string]) and discarded. */
typedef struct tn_http_chunked {
    uint64_t max_body_bytes;     /* in: 0 = TORNADO_MAX_BODY_BYTES */
    size_t max_chunk_line;       /* in: 0 = TORNADO_MAX_CHUNK_LINE */
    size_t max_trailer_bytes;    /* in: 0 = TORNADO_MAX_TRAILER_BYTES */
    uint64_t body_bytes;         /* out: data bytes decoded so far */
    uint64_t num_chunks;         /* out: non-empty chunks started so far */
    int _state;                  /* private */
    int _sub;
    uint64_t _left;
    size_t _count;
} tn_http_chunked;

/* Decode chunked data in place. buf[0..*len) holds received bytes (after what earlier calls
   consumed); on return buf[0..*len) holds the decoded body data from this call.
   Returns: TN_EINCOMPLETE (all input used, more needed); a value >= 0 when the body is
   complete: that many bytes followed the body and were moved to buf[*len..*len+ret) (the
   next message); or TN_EBAD_CHUNK (bad size, extension or missing CRLF), TN_EBODY_TOO_LARGE,
   TN_EHEADER_TOO_LARGE (trailers), TN_EBAD_HEADER_NAME / TN_EBAD_HEADER_VALUE (trailers). */
TN_API int tn_http_decode_chunked(tn_http_chunked *dec, char *buf, size_t *len);

/* Write a chunk header "<hex size>\r\n" for a chunk of `size` (> 0) bytes into out[0..cap).
   The chunk's data must be followed by "\r\n". Returns the bytes written, TN_EINVAL (size 0:
   use tn_http_format_chunk_end) or TN_EBUFFER_FULL (20 bytes always suffice). */
TN_API int tn_http_format_chunk_header(char *out, size_t cap, uint64_t size);
/* Write the last chunk "0\r\n", each trailer "Name: value\r\n", and the final "\r\n".
   Names must be tokens and values must not contain CR, LF or NUL (no injection).
   Returns bytes written, TN_EBAD_HEADER_NAME, TN_EBAD_HEADER_VALUE or TN_EBUFFER_FULL. */
TN_API int tn_http_format_chunk_end(char *out, size_t cap, const tn_http_header *trailers, size_t num_trailers);

/* ---- header utilities (ASCII case-insensitive names, fields in received order) ---- */

/* Index of the first field named `name` at or after index `from`, or num if none.
   Iterate all values: for (i = tn_http_header_next(h, n, "Set-Cookie", 0); i < n;
   i = tn_http_header_next(h, n, "Set-Cookie", i + 1)) use h[i].value. */
TN_API size_t tn_http_header_next(const tn_http_header *headers, size_t num, const char *name, size_t from);
/* The first field named `name`, or NULL. The pointer is into `headers`. */
TN_API const tn_http_header *tn_http_header_find(const tn_http_header *headers, size_t num, const char *name);
/* The value of the first field named `name` in *value. Returns TN_OK or TN_ENOENT (*value empty). */
TN_API int tn_http_header_get(const tn_http_header *headers, size_t num, const char *name, tn_str *value);
/* Number of fields named `name`. */
TN_API size_t tn_http_header_count(const tn_http_header *headers, size_t num, const char *name);
/* All values of `name` joined with ", " into out[0..cap), NUL-terminated; *out_len (may be
   NULL) gets the length without the NUL. Returns TN_OK, TN_ENOENT or TN_EBUFFER_FULL. */
TN_API int tn_http_header_join(const tn_http_header *headers, size_t num, const char *name, char *out, size_t cap, size_t *out_len);
/* 1 if the comma-separated list `value` has the element `token` (case-insensitive; parameters
   after ';' and surrounding whitespace are ignored), else 0. */
TN_API int tn_http_token_list_has(tn_str value, const char *token);
/* 1 if any field named `name` contains the list element `token`, e.g.
   tn_http_header_has_token(h, n, "Connection", "upgrade"). */
TN_API int tn_http_header_has_token(const tn_http_header *headers, size_t num, const char *name, const char *token);

TN__END_DECLS
/* <<http_parse.h  end of src/http_parse.h */

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
/* SSE2 scanning in the HTTP parser; TORNADO_NO_SIMD forces the portable fallback. */
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__)) && !defined(TORNADO_NO_SIMD)
#  include <emmintrin.h>
#  define TN__HAVE_SSE2 1
#else
#  define TN__HAVE_SSE2 0
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
/* >>http_parse.c  (src/http_parse.c)                                       */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_parse.c"
#endif
/* http_parse.c: strict incremental HTTP/1.1 head parser, framing, chunked codec, header utilities. */
/* #include "base.h" (inlined above) */
/* #include "http_parse.h" (inlined above) */

/* ---- character classes ---- */

/* tchar (RFC 9110 §5.6.2): "!#$%&'*+-.^_`|~", DIGIT, ALPHA. */
static const unsigned char tn__http_tchar[256] = {
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,1,0,1,1,1,1,1,0,0,1,1,0,1,1,0,1,1,1,1,1,1,1,1,1,1,0,0,0,0,0,0,
    0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,0,0,1,1,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,1,0,1,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
};

#define TN__HTTP_TCHAR(c) (tn__http_tchar[(unsigned char)(c)])
#define TN__HTTP_WS(c) ((c) == ' ' || (c) == '\t')

TN__PRIVATE int tn__http_lc(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* ASCII case-insensitive equality of s[0..n) and a lowercase literal lit[0..n). */
TN__PRIVATE int tn__http_ieq_lit(const char *s, size_t n, const char *lit, size_t litn) {
    size_t i;
    if (n != litn) return 0;
    for (i = 0; i < n; i++)
        if (tn__http_lc((unsigned char)s[i]) != (unsigned char)lit[i]) return 0;
    return 1;
}

/* A field name (a token) equal to a lowercase literal of letters and '-': 8 bytes at a time.
   OR-ing 0x20 maps only A-Z onto a-z among token bytes, so the test is exact. */
TN__PRIVATE int tn__http_name_is(const char *s, size_t n, const char *lit, size_t litn) {
    if (n != litn) return 0;
    while (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, lit, 8);
        if ((a | 0x2020202020202020ull) != b) return 0;
        s += 8;
        lit += 8;
        n -= 8;
    }
    while (n--)
        if ((*s++ | 0x20) != *lit++) return 0;
    return 1;
}

/* Same for a tn_str against any C string (both sides folded). */
TN__PRIVATE int tn__http_ieq_c(tn_str s, const char *c) {
    size_t i;
    for (i = 0; i < s.len; i++) {
        if (c[i] == 0) return 0;
        if (tn__http_lc((unsigned char)s.ptr[i]) != tn__http_lc((unsigned char)c[i])) return 0;
    }
    return c[i] == 0;
}

/* ---- scanners: SSE2 when available, a scalar loop with identical results otherwise ---- */

/* First byte in [p, end) that is a control byte (< 0x20) or DEL, else end. Used for field
   values and reason phrases: HTAB, CR and LF stop the scan and are judged by the caller;
   obs-text (>= 0x80) passes. */
TN__PRIVATE const char *tn__http_scan_value(const char *p, const char *end) {
#if TN__HAVE_SSE2
    const __m128i lim = _mm_set1_epi8(0x1f);
    const __m128i del = _mm_set1_epi8(0x7f);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, lim), v);
        int mask = _mm_movemask_epi8(_mm_or_si128(ctl, _mm_cmpeq_epi8(v, del)));
        if (mask) return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
#endif
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f) return p;
        p++;
    }
    return end;
}

/* First byte in [p, end) that cannot be in a request-target: control, SP, DEL or >= 0x80. */
TN__PRIVATE const char *tn__http_scan_target(const char *p, const char *end) {
#if TN__HAVE_SSE2
    const __m128i sp1 = _mm_set1_epi8(0x21);
    const __m128i del = _mm_set1_epi8(0x7f);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* signed compare: bytes >= 0x80 are negative, so they count as < 0x21 too */
        __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, sp1), _mm_cmpeq_epi8(v, del));
        int mask = _mm_movemask_epi8(bad);
        if (mask) return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
#endif
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c <= 0x20 || c >= 0x7f) return p;
        p++;
    }
    return end;
}

/* First non-tchar byte in [p, end), else end. SSE2: a byte is a tchar when it is in
   0x21..0x7E and not one of the delimiters "(),/:;<=>?@[\]{} (RFC 9110 §5.6.2). */
TN__PRIVATE const char *tn__http_scan_token(const char *p, const char *end) {
#if TN__HAVE_SSE2
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i vis = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x20)), _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f)));
        __m128i d = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x27)), _mm_cmplt_epi8(v, _mm_set1_epi8(0x2a)));
        int mask;
        d = _mm_or_si128(d, _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x39)), _mm_cmplt_epi8(v, _mm_set1_epi8(0x41))));
        d = _mm_or_si128(d, _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x5a)), _mm_cmplt_epi8(v, _mm_set1_epi8(0x5e))));
        d = _mm_or_si128(d, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x22)));
        d = _mm_or_si128(d, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x2c)));
        d = _mm_or_si128(d, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x2f)));
        d = _mm_or_si128(d, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7b)));
        d = _mm_or_si128(d, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7d)));
        mask = (_mm_movemask_epi8(vis) ^ 0xffff) | _mm_movemask_epi8(d);
        if (mask) return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
#else
    const unsigned char *t = tn__http_tchar;
    while (end - p >= 8) {   /* 8 lookups ANDed: one branch per 8 bytes */
        const unsigned char *u = (const unsigned char *)p;
        if (!(t[u[0]] & t[u[1]] & t[u[2]] & t[u[3]] & t[u[4]] & t[u[5]] & t[u[6]] & t[u[7]])) break;
        p += 8;
    }
#endif
    while (p < end && TN__HTTP_TCHAR(*p)) p++;
    return p;
}

/* ---- head parsing ---- */

/* "HTTP/1.x" at p. Returns 8, TN_EINCOMPLETE or TN_EBAD_VERSION; *version = 10 or 11. */
TN__PRIVATE int tn__http_version(const char *p, const char *end, int *version) {
    static const char pat[] = "HTTP/1.#";
    size_t i;
    if (TN__LIKELY(end - p >= 8) && memcmp(p, "HTTP/1.", 7) == 0 && p[7] >= '0' && p[7] <= '9') {
        *version = p[7] == '0' ? 10 : 11;
        return 8;
    }
    for (i = 0; i < 8; i++) {
        if (p + i == end) return TN_EINCOMPLETE;
        if (pat[i] == '#' ? (p[i] < '0' || p[i] > '9') : p[i] != pat[i]) return TN_EBAD_VERSION;
    }
    *version = p[7] == '0' ? 10 : 11;
    return 8;
}

/* CRLF at p. Returns 2, TN_EINCOMPLETE, TN_EPARSE (bare CR or bare LF) or `other`. */
TN__PRIVATE int tn__http_crlf(const char *p, const char *end, int other) {
    if (p == end) return TN_EINCOMPLETE;
    if (*p == '\r') {
        if (p + 1 == end) return TN_EINCOMPLETE;
        return p[1] == '\n' ? 2 : TN_EPARSE;
    }
    return *p == '\n' ? TN_EPARSE : other;
}

/* Where an incomplete parse stopped: the next call resumes scanning at `scan` with the
   scanner named by `phase` and reparses the line only once that scanner stops early. */
enum { TN__PH_LINE = 0, TN__PH_TOKEN = 1, TN__PH_TARGET = 2, TN__PH_VALUE = 3 };
typedef struct tn__http_stop {
    const char *scan;
    int phase;
} tn__http_stop;

/* Parse field lines from *pp until the empty line. Returns 1 (complete; *pp after the empty
   line), TN_EINCOMPLETE (*pp at the start of the incomplete line, complete lines before it
   stored, *stop says how far the line was validated), or an error. */
TN__PRIVATE int tn__http_fields(const char **pp, const char *end, tn_http_header *h, size_t max, size_t *num,
                                tn__http_stop *stop) {
    const char *p = *pp;
    stop->scan = end;
    for (;;) {
        const char *line = p, *name, *vstart, *vend;
        size_t n;
        *pp = line;
        stop->phase = TN__PH_TOKEN;
        if (TN__UNLIKELY(p == end)) return TN_EINCOMPLETE;
        if (*p == '\r') {
            stop->phase = TN__PH_LINE;
            if (p + 1 == end) return TN_EINCOMPLETE;
            if (p[1] != '\n') return TN_EPARSE;
            *pp = p + 2;
            return 1;
        }
        name = p;
        p = tn__http_scan_token(p, end);
        if (TN__UNLIKELY(p == end)) return TN_EINCOMPLETE;
        if (TN__UNLIKELY(*p != ':' || p == name)) {
            if (p == name && *p == '\n') return TN_EPARSE;
            if (p == name && TN__HTTP_WS(*p)) return *num ? TN_EBAD_HEADER_VALUE : TN_EBAD_HEADER_NAME;
            return TN_EBAD_HEADER_NAME;
        }
        n = (size_t)(p - name);
        p++;
        stop->phase = TN__PH_VALUE;
        while (p < end && TN__HTTP_WS(*p)) p++;
        vstart = p;
        for (;;) {
            p = tn__http_scan_value(p, end);
            if (TN__UNLIKELY(p == end)) return TN_EINCOMPLETE;
            if (*p != '\t') break;
            p++;
        }
        if (TN__LIKELY(*p == '\r')) {
            if (p + 1 == end) {
                stop->phase = TN__PH_LINE;
                return TN_EINCOMPLETE;
            }
            if (p[1] != '\n') return TN_EBAD_HEADER_VALUE;   /* bare CR */
        } else {
            return *p == '\n' ? TN_EPARSE : TN_EBAD_HEADER_VALUE;
        }
        vend = p;
        while (vend > vstart && TN__HTTP_WS(vend[-1])) vend--;
        p += 2;
        if (TN__UNLIKELY(*num >= max)) return TN_ETOO_MANY_HEADERS;
        h[*num].name.ptr = name;
        h[*num].name.len = n;
        h[*num].value.ptr = vstart;
        h[*num].value.len = (size_t)(vend - vstart);
        ++*num;
    }
}

/* What the framing fields of a head say. */
typedef struct tn__http_framing {
    unsigned flags;
    int te_bad;            /* syntax error in a Transfer-Encoding list */
    int te_others;         /* codings other than chunked */
    int te_chunked;        /* how many times chunked appears */
    int te_last_chunked;   /* the final coding is chunked */
    int cl_bad;
    uint64_t cl;
    int hosts, upgrade, expect_continue;
} tn__http_framing;

/* One Content-Length field: a list of equal decimal values (RFC 9110 §8.6, RFC 9112 §6.3). */
TN__PRIVATE void tn__http_content_length(tn_str v, tn__http_framing *f) {
    const char *p = v.ptr, *end = v.ptr + v.len;
    if (v.len == 0) { f->cl_bad = 1; return; }
    for (;;) {
        uint64_t x = 0;
        const char *d = p;
        while (p < end && *p >= '0' && *p <= '9') {
            unsigned dig = (unsigned)(*p - '0');
            if (x > (UINT64_MAX - dig) / 10) { f->cl_bad = 1; return; }
            x = x * 10 + dig;
            p++;
        }
        if (p == d || x > (uint64_t)INT64_MAX) { f->cl_bad = 1; return; }
        if ((f->flags & TN_HTTP_F_CONTENT_LENGTH) && f->cl != x) { f->cl_bad = 1; return; }
        f->cl = x;
        f->flags |= TN_HTTP_F_CONTENT_LENGTH;
        while (p < end && TN__HTTP_WS(*p)) p++;
        if (p == end) return;
        if (*p != ',') { f->cl_bad = 1; return; }
        p++;
        while (p < end && TN__HTTP_WS(*p)) p++;
    }
}

/* One Transfer-Encoding field: a list of codings; chunked must be last and appear once. */
TN__PRIVATE void tn__http_transfer_encoding(tn_str v, tn__http_framing *f) {
    const char *p = v.ptr, *end = v.ptr + v.len;
    f->flags |= TN_HTTP_F_TRANSFER_ENCODING;
    if (v.len == 0) { f->te_bad = 1; return; }
    for (;;) {
        const char *t = p;
        size_t n;
        p = tn__http_scan_token(p, end);
        n = (size_t)(p - t);
        if (n == 0) { f->te_bad = 1; return; }
        if (tn__http_ieq_lit(t, n, "chunked", 7)) {
            f->te_last_chunked = 1;
            f->te_chunked++;
        } else {
            f->te_last_chunked = 0;
            f->te_others++;
        }
        while (p < end && TN__HTTP_WS(*p)) p++;
        /* parameters: only on codings other than chunked; token=(token|quoted) */
        while (p < end && *p == ';') {
            if (f->te_last_chunked) { f->te_bad = 1; return; }
            p++;
            while (p < end && TN__HTTP_WS(*p)) p++;
            t = p;
            p = tn__http_scan_token(p, end);
            if (p == t || p == end || *p != '=') { f->te_bad = 1; return; }
            p++;
            if (p < end && *p == '"') {
                p++;
                while (p < end && *p != '"') {
                    if (*p == '\\' && p + 1 < end) p++;
                    p++;
                }
                if (p >= end) { f->te_bad = 1; return; }
                p++;
            } else {
                t = p;
                p = tn__http_scan_token(p, end);
                if (p == t) { f->te_bad = 1; return; }
            }
            while (p < end && TN__HTTP_WS(*p)) p++;
        }
        if (p == end) return;
        if (*p != ',') { f->te_bad = 1; return; }
        p++;
        while (p < end && TN__HTTP_WS(*p)) p++;
    }
}

/* Connection options (RFC 9110 §7.6.1): one pass over the list for close, keep-alive, upgrade. */
TN__PRIVATE void tn__http_connection(tn_str v, tn__http_framing *f) {
    const char *p = v.ptr, *end = v.ptr + v.len;
    while (p < end) {
        const char *s, *e;
        size_t n;
        while (p < end && (TN__HTTP_WS(*p) || *p == ',')) p++;
        s = p;
        while (p < end && *p != ',') p++;
        e = p;
        while (e > s && TN__HTTP_WS(e[-1])) e--;
        n = (size_t)(e - s);
        if (n == 5 && tn__http_ieq_lit(s, 5, "close", 5)) f->flags |= TN_HTTP_F_CONN_CLOSE;
        else if (n == 10 && tn__http_ieq_lit(s, 10, "keep-alive", 10)) f->flags |= TN_HTTP_F_CONN_KEEP_ALIVE;
        else if (n == 7 && tn__http_ieq_lit(s, 7, "upgrade", 7)) f->flags |= TN_HTTP_F_CONN_UPGRADE;
    }
}

/* Scan the stored fields for the ones that decide framing and connection handling. */
TN__PRIVATE void tn__http_collect(const tn_http_header *h, size_t num, tn__http_framing *f) {
    /* name lengths that matter: 4 host, 6 expect, 7 upgrade, 10 connection, 14 content-length,
       17 transfer-encoding; everything else is skipped with one test */
    const uint32_t lens = (1u << 4) | (1u << 6) | (1u << 7) | (1u << 10) | (1u << 14) | (1u << 17);
    size_t i;
    memset(f, 0, sizeof *f);
    for (i = 0; i < num; i++) {
        const char *nm = h[i].name.ptr;
        size_t n = h[i].name.len;
        int c;
        if (n > 17 || !((lens >> n) & 1u)) continue;
        c = nm[0] | 0x20;
        if (c == 'c') {
            if (n == 14 && tn__http_name_is(nm, 14, "content-length", 14)) tn__http_content_length(h[i].value, f);
            else if (n == 10 && tn__http_name_is(nm, 10, "connection", 10)) tn__http_connection(h[i].value, f);
        } else if (c == 't') {
            if (n == 17 && tn__http_name_is(nm, 17, "transfer-encoding", 17)) tn__http_transfer_encoding(h[i].value, f);
        } else if (c == 'h') {
            if (n == 4 && tn__http_name_is(nm, 4, "host", 4)) f->hosts++;
        } else if (c == 'u') {
            if (n == 7 && tn__http_name_is(nm, 7, "upgrade", 7)) f->upgrade = 1;
        } else if (c == 'e') {
            if (n == 6 && tn__http_name_is(nm, 6, "expect", 6) &&
                tn__http_ieq_lit(h[i].value.ptr, h[i].value.len, "100-continue", 12))
                f->expect_continue = 1;
        }
    }
    if (f->te_last_chunked && !f->te_bad) f->flags |= TN_HTTP_F_CHUNKED;
}

/* Rules common to requests and responses (RFC 9112 §6.1, §6.3): CL+TE, TE in HTTP/1.0. */
TN__PRIVATE int tn__http_check_framing(const tn__http_framing *f, int version) {
    if (f->cl_bad) return TN_EBAD_CONTENT_LENGTH;
    if (f->flags & TN_HTTP_F_TRANSFER_ENCODING) {
        if (f->flags & TN_HTTP_F_CONTENT_LENGTH) return TN_EBAD_TRANSFER_ENCODING;
        if (version < 11) return TN_EBAD_TRANSFER_ENCODING;
        if (f->te_bad) return TN_EBAD_TRANSFER_ENCODING;
    }
    return TN_OK;
}

TN__PRIVATE size_t tn__http_max_head(size_t v) {
    size_t m = TN__DEF(v, (size_t)TORNADO_MAX_HEADER_BYTES);
    return m > 0x3fffffffu ? 0x3fffffffu : m;
}

/* Resume bookkeeping shared by both parsers. Returns 1 to (re)parse from st->pos, or a
   result when the new bytes do not finish the scan that stopped the previous call (each
   byte is then scanned once, so a head arriving a byte at a time costs linear time). */
TN__PRIVATE int tn__http_resume(tn__http_pstate *st, const char *buf, size_t len, size_t *num_headers,
                                size_t max_head, size_t max_target) {
    const char *p, *end = buf + len;
    if (st->base != buf || st->pos > len || st->scan > len) {
        st->base = buf;
        st->pos = 0;
        st->scan = 0;
        st->mark = 0;
        st->state = 0;
        st->phase = 0;
        *num_headers = 0;
        return 1;
    }
    if (st->phase == TN__PH_LINE) return 1;
    p = buf + st->scan;
    if (st->phase == TN__PH_TOKEN) {
        p = tn__http_scan_token(p, end);
    } else if (st->phase == TN__PH_TARGET) {
        p = tn__http_scan_target(p, end);
        if ((size_t)(p - (buf + st->mark)) > max_target) {
            st->base = NULL;
            return TN_EURI_TOO_LONG;
        }
    } else {
        for (;;) {
            p = tn__http_scan_value(p, end);
            if (p == end || *p != '\t') break;
            p++;
        }
    }
    if (p != end) return 1;
    st->scan = len;
    if (len > max_head) {
        st->base = NULL;
        return TN_EHEADER_TOO_LARGE;
    }
    return TN_EINCOMPLETE;
}

TN__PRIVATE int tn__http_incomplete(tn__http_pstate *st, const char *buf, size_t len, const char *line, int state,
                                    int phase, const char *scan, size_t max_head) {
    if (len > max_head) {
        st->base = NULL;
        return TN_EHEADER_TOO_LARGE;
    }
    st->pos = (size_t)(line - buf);
    st->scan = (size_t)(scan - buf);
    st->state = state;
    st->phase = phase;
    return TN_EINCOMPLETE;
}

TN__PRIVATE int tn__http_target_form(tn_str method, tn_str t) {
    size_t i;
    if (tn_str_eq_c(method, "CONNECT")) {
        /* authority-form: host ":" port, nothing else */
        size_t colon = t.len;
        if (t.ptr[0] == '/' || t.ptr[0] == '@') return TN_EBAD_TARGET;
        for (i = 0; i < t.len; i++) {
            if (t.ptr[i] == '/' || t.ptr[i] == '?' || t.ptr[i] == '#' || t.ptr[i] == '@') return TN_EBAD_TARGET;
            if (t.ptr[i] == ':') colon = i;
        }
        if (colon == 0 || colon + 1 >= t.len) return TN_EBAD_TARGET;
        for (i = colon + 1; i < t.len; i++)
            if (t.ptr[i] < '0' || t.ptr[i] > '9') return TN_EBAD_TARGET;
        return TN_HTTP_TARGET_AUTHORITY;
    }
    if (t.ptr[0] == '/') return TN_HTTP_TARGET_ORIGIN;
    if (t.len == 1 && t.ptr[0] == '*')
        return tn_str_eq_c(method, "OPTIONS") ? (int)TN_HTTP_TARGET_ASTERISK : (int)TN_EBAD_TARGET;
    /* absolute-form: scheme ":" ..., scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
    if (!((t.ptr[0] | 0x20) >= 'a' && (t.ptr[0] | 0x20) <= 'z')) return TN_EBAD_TARGET;
    for (i = 1; i < t.len; i++) {
        char c = t.ptr[i];
        if (c == ':') return i + 1 < t.len ? (int)TN_HTTP_TARGET_ABSOLUTE : (int)TN_EBAD_TARGET;
        if (!(((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
            return TN_EBAD_TARGET;
    }
    return TN_EBAD_TARGET;
}

/* Skip empty lines (CRLF) before a start line (RFC 9112 §2.2). Returns 1 with *pp at the
   first other byte, TN_EINCOMPLETE (a CR at the end) or TN_EPARSE. */
TN__PRIVATE int tn__http_skip_empty(const char **pp, const char *end) {
    const char *p = *pp;
    while (p < end && *p == '\r') {
        if (p + 1 == end) {
            *pp = p;
            return TN_EINCOMPLETE;
        }
        if (p[1] != '\n') return TN_EPARSE;
        p += 2;
    }
    *pp = p;
    if (p < end && *p == '\n') return TN_EPARSE;
    return 1;
}

#define TN__HTTP_FAIL(rc) do { st->base = NULL; return (rc); } while (0)

TN_API int tn_http_parse_request(const char *buf, size_t len, tn_http_request *req) {
    tn__http_pstate *st = &req->_st;
    const char *end = buf + len, *p, *line;
    size_t max_head = tn__http_max_head(req->max_header_bytes);
    size_t max_target = TN__DEF(req->max_target_length, (size_t)TORNADO_MAX_TARGET_LENGTH);
    tn__http_framing f;
    tn__http_stop stop;
    int rc, consumed;

    if (buf == NULL) return len ? TN_EINVAL : TN_EINCOMPLETE;
    rc = tn__http_resume(st, buf, len, &req->num_headers, max_head, max_target);
    if (rc != 1) return rc;
    p = buf + st->pos;

    if (st->state == 0) {
        const char *t;
        rc = tn__http_skip_empty(&p, end);
        if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, p, 0, TN__PH_LINE, p, max_head);
        if (rc < 0) TN__HTTP_FAIL(rc);
        line = p;
        p = tn__http_scan_token(p, end);
        if (p == end) return tn__http_incomplete(st, buf, len, line, 0, TN__PH_TOKEN, end, max_head);
        if (*p != ' ' || p == line) TN__HTTP_FAIL((p == line && *p == '\n') ? TN_EPARSE : TN_EBAD_METHOD);
        req->method.ptr = line;
        req->method.len = (size_t)(p - line);
        t = ++p;
        p = tn__http_scan_target(p, end);
        if ((size_t)(p - t) > max_target) TN__HTTP_FAIL(TN_EURI_TOO_LONG);
        if (p == end) {
            st->mark = (size_t)(t - buf);
            return tn__http_incomplete(st, buf, len, line, 0, TN__PH_TARGET, end, max_head);
        }
        if (*p != ' ' || p == t) TN__HTTP_FAIL((p != t && (*p == '\r' || *p == '\n')) ? TN_EBAD_VERSION : TN_EBAD_TARGET);
        req->target.ptr = t;
        req->target.len = (size_t)(p - t);
        p++;
        rc = tn__http_version(p, end, &req->version);
        if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, line, 0, TN__PH_LINE, p, max_head);
        if (rc < 0) TN__HTTP_FAIL(rc);
        p += rc;
        rc = tn__http_crlf(p, end, TN_EBAD_VERSION);
        if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, line, 0, TN__PH_LINE, p, max_head);
        if (rc < 0) TN__HTTP_FAIL(rc);
        p += rc;
        rc = tn__http_target_form(req->method, req->target);
        if (rc < 0) TN__HTTP_FAIL(rc);
        req->target_form = rc;
        req->num_headers = 0;
    }

    rc = tn__http_fields(&p, end, req->headers, req->headers ? req->max_headers : 0, &req->num_headers, &stop);
    if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, p, 1, stop.phase, stop.scan, max_head);
    st->base = NULL;   /* complete or failed: the next call starts afresh */
    if (rc < 0) return rc;
    if ((size_t)(p - buf) > max_head) return TN_EHEADER_TOO_LARGE;
    consumed = (int)(p - buf);

    tn__http_collect(req->headers, req->num_headers, &f);
    if ((rc = tn__http_check_framing(&f, req->version)) != 0) return rc;
    /* RFC 9112 §6.3: a request whose final coding is not chunked cannot be framed: 400 */
    if ((f.flags & TN_HTTP_F_TRANSFER_ENCODING) && (!f.te_last_chunked || f.te_chunked > 1)) return TN_EBAD_TRANSFER_ENCODING;
    if (f.te_others) return TN_EUNSUPPORTED_TE;
    if (f.hosts > 1) return TN_EBAD_HEADER_VALUE;   /* RFC 9112 §3.2: more than one Host */
    if (f.hosts == 1) f.flags |= TN_HTTP_F_HOST;
    if (req->version >= 11) {
        if (f.expect_continue) f.flags |= TN_HTTP_F_EXPECT_CONTINUE;
        if (f.upgrade && (f.flags & TN_HTTP_F_CONN_UPGRADE)) f.flags |= TN_HTTP_F_UPGRADE;
        if (!(f.flags & TN_HTTP_F_CONN_CLOSE)) f.flags |= TN_HTTP_F_KEEP_ALIVE;
    } else if ((f.flags & TN_HTTP_F_CONN_KEEP_ALIVE) && !(f.flags & TN_HTTP_F_CONN_CLOSE)) {
        f.flags |= TN_HTTP_F_KEEP_ALIVE;
    }
    req->flags = f.flags;
    req->content_length = 0;
    req->body_kind = TN_HTTP_BODY_NONE;
    if (req->target_form == TN_HTTP_TARGET_AUTHORITY) {
        /* CONNECT: no content (RFC 9110 §9.3.6); the tunnel starts after the head */
        req->flags |= TN_HTTP_F_UPGRADE;
    } else if (f.flags & TN_HTTP_F_CHUNKED) {
        req->body_kind = TN_HTTP_BODY_CHUNKED;
    } else if (f.flags & TN_HTTP_F_CONTENT_LENGTH) {
        req->content_length = f.cl;
        if (f.cl) req->body_kind = TN_HTTP_BODY_LENGTH;
    }
    return consumed;
}

TN_API int tn_http_parse_response(const char *buf, size_t len, tn_http_response *res) {
    tn__http_pstate *st = &res->_st;
    const char *end = buf + len, *p, *line;
    size_t max_head = tn__http_max_head(res->max_header_bytes);
    tn__http_framing f;
    tn__http_stop stop;
    int rc, consumed;

    if (buf == NULL) return len ? TN_EINVAL : TN_EINCOMPLETE;
    rc = tn__http_resume(st, buf, len, &res->num_headers, max_head, 0);
    if (rc != 1) return rc;
    p = buf + st->pos;

    if (st->state == 0) {
        static const char pat[] = " ###";
        const char *r;
        int i, status = 0;
        rc = tn__http_skip_empty(&p, end);
        if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, p, 0, TN__PH_LINE, p, max_head);
        if (rc < 0) TN__HTTP_FAIL(rc);
        line = p;
        rc = tn__http_version(p, end, &res->version);
        if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, line, 0, TN__PH_LINE, line, max_head);
        if (rc < 0) TN__HTTP_FAIL(rc);
        p += rc;
        /* SP 3DIGIT [SP reason] CRLF; the SP before an empty reason may be missing */
        for (i = 0; i < 4; i++) {
            if (p + i == end) return tn__http_incomplete(st, buf, len, line, 0, TN__PH_LINE, line, max_head);
            if (pat[i] == '#') {
                if (p[i] < '0' || p[i] > '9') TN__HTTP_FAIL(TN_EBAD_STATUS);
                status = status * 10 + (p[i] - '0');
            } else if (p[i] != ' ') {
                TN__HTTP_FAIL(TN_EBAD_VERSION);
            }
        }
        if (status < 100) TN__HTTP_FAIL(TN_EBAD_STATUS);
        res->status = status;
        p += 4;
        if (p == end) return tn__http_incomplete(st, buf, len, line, 0, TN__PH_LINE, line, max_head);
        if (*p == ' ') p++;
        else if (*p != '\r' && *p != '\n') TN__HTTP_FAIL(TN_EBAD_STATUS);
        r = p;
        for (;;) {
            p = tn__http_scan_value(p, end);
            if (p == end) return tn__http_incomplete(st, buf, len, line, 0, TN__PH_VALUE, end, max_head);
            if (*p != '\t') break;
            p++;
        }
        res->reason.ptr = r;
        res->reason.len = (size_t)(p - r);
        rc = tn__http_crlf(p, end, TN_EBAD_STATUS);
        if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, line, 0, TN__PH_LINE, line, max_head);
        if (rc < 0) TN__HTTP_FAIL(rc);
        p += rc;
        res->num_headers = 0;
    }

    rc = tn__http_fields(&p, end, res->headers, res->headers ? res->max_headers : 0, &res->num_headers, &stop);
    if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, p, 1, stop.phase, stop.scan, max_head);
    st->base = NULL;
    if (rc < 0) return rc;
    if ((size_t)(p - buf) > max_head) return TN_EHEADER_TOO_LARGE;
    consumed = (int)(p - buf);

    tn__http_collect(res->headers, res->num_headers, &f);
    if ((rc = tn__http_check_framing(&f, res->version)) != 0) return rc;
    /* RFC 9112 §6.3: chunked not final (or applied twice) → the body runs until close */
    if (f.te_last_chunked && f.te_chunked > 1) f.flags &= ~(unsigned)TN_HTTP_F_CHUNKED;
    if ((f.flags & TN_HTTP_F_CHUNKED) && f.te_others) return TN_EUNSUPPORTED_TE;
    if (res->status == 101) f.flags |= TN_HTTP_F_UPGRADE;
    if (tn_str_eq_c(res->request_method, "CONNECT") && res->status / 100 == 2) f.flags |= TN_HTTP_F_UPGRADE;
    res->flags = f.flags;
    res->content_length = f.cl;
    res->body_kind = tn_http_response_body(res, res->request_method, &res->content_length);
    if (res->version >= 11 ? !(f.flags & TN_HTTP_F_CONN_CLOSE)
                           : ((f.flags & TN_HTTP_F_CONN_KEEP_ALIVE) && !(f.flags & TN_HTTP_F_CONN_CLOSE))) {
        if (res->body_kind != TN_HTTP_BODY_UNTIL_CLOSE) res->flags |= TN_HTTP_F_KEEP_ALIVE;
    }
    return consumed;
}

TN_API void tn_http_request_reset(tn_http_request *req) {
    tn_http_request keep = *req;
    memset(req, 0, sizeof *req);
    req->headers = keep.headers;
    req->max_headers = keep.max_headers;
    req->max_header_bytes = keep.max_header_bytes;
    req->max_target_length = keep.max_target_length;
}

TN_API void tn_http_response_reset(tn_http_response *res) {
    tn_http_response keep = *res;
    memset(res, 0, sizeof *res);
    res->headers = keep.headers;
    res->max_headers = keep.max_headers;
    res->max_header_bytes = keep.max_header_bytes;
    res->request_method = keep.request_method;
}

TN_API int tn_http_error_status(int code) {
    switch (code) {
    case TN_EBODY_TOO_LARGE: return 413;
    case TN_EURI_TOO_LONG: return 414;
    case TN_EHEADER_TOO_LARGE:
    case TN_ETOO_MANY_HEADERS: return 431;
    case TN_EUNSUPPORTED_TE: return 501;
    default: return code < 0 && code != TN_EINCOMPLETE ? 400 : 0;
    }
}

TN_API int tn_http_request_keep_alive(const tn_http_request *req) {
    return (req->flags & TN_HTTP_F_KEEP_ALIVE) ? 1 : 0;
}

TN_API int tn_http_response_keep_alive(const tn_http_response *res) {
    return (res->flags & TN_HTTP_F_KEEP_ALIVE) ? 1 : 0;
}

TN_API int tn_http_response_body(const tn_http_response *res, tn_str request_method, uint64_t *length) {
    int kind;
    uint64_t n = 0;
    if (tn_str_eq_c(request_method, "HEAD") || res->status < 200 || res->status == 204 || res->status == 304 ||
        (tn_str_eq_c(request_method, "CONNECT") && res->status / 100 == 2)) {
        kind = TN_HTTP_BODY_NONE;
    } else if (res->flags & TN_HTTP_F_TRANSFER_ENCODING) {
        kind = (res->flags & TN_HTTP_F_CHUNKED) ? TN_HTTP_BODY_CHUNKED : TN_HTTP_BODY_UNTIL_CLOSE;
    } else if (res->flags & TN_HTTP_F_CONTENT_LENGTH) {
        n = res->content_length;
        kind = n ? TN_HTTP_BODY_LENGTH : TN_HTTP_BODY_NONE;
    } else {
        kind = TN_HTTP_BODY_UNTIL_CLOSE;
    }
    if (length) *length = n;
    return kind;
}

/* ---- chunked coding ---- */

enum {
    TN__CK_SIZE = 0, TN__CK_EXT_NAME0, TN__CK_EXT_NAME, TN__CK_EXT_VAL0, TN__CK_EXT_VAL,
    TN__CK_EXT_QUOTED, TN__CK_EXT_QESC, TN__CK_EXT_VALEND, TN__CK_SIZE_LF, TN__CK_DATA,
    TN__CK_DATA_CR, TN__CK_DATA_LF, TN__CK_TR_START, TN__CK_TR_NAME, TN__CK_TR_VALUE,
    TN__CK_TR_LF, TN__CK_FINAL_LF, TN__CK_DONE, TN__CK_ERROR
};

TN__PRIVATE int tn__http_hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* End of the chunk-size line's size part (at ';' or CR): check the body limit. */
TN__PRIVATE int tn__http_chunk_size_end(tn_http_chunked *d) {
    uint64_t max = TN__DEF(d->max_body_bytes, (uint64_t)TORNADO_MAX_BODY_BYTES);
    if (d->_sub == 0) return TN_EBAD_CHUNK;
    if (d->_left > max || d->body_bytes > max - d->_left) return TN_EBODY_TOO_LARGE;
    return TN_OK;
}

TN_API int tn_http_decode_chunked(tn_http_chunked *d, char *buf, size_t *len) {
    size_t n = *len, src = 0, dst = 0;
    size_t max_line = TN__DEF(d->max_chunk_line, (size_t)TORNADO_MAX_CHUNK_LINE);
    size_t max_trailer = TN__DEF(d->max_trailer_bytes, (size_t)TORNADO_MAX_TRAILER_BYTES);
    int rc = TN_OK;

    if (d->_state == TN__CK_ERROR) { *len = 0; return TN_EBAD_CHUNK; }
    if (d->_state == TN__CK_DONE) { *len = 0; return n > 0x7fffffffu ? 0x7fffffff : (int)n; }
    if (n > 0x7fffffffu) return TN_EINVAL;
    for (;;) {
        unsigned char c;
        if (d->_state == TN__CK_DATA) {
            size_t take = n - src;
            if ((uint64_t)take > d->_left) take = (size_t)d->_left;
            if (take) {
                if (dst != src) memmove(buf + dst, buf + src, take);
                dst += take;
                src += take;
                d->_left -= take;
                d->body_bytes += take;
            }
            if (d->_left) break;
            d->_state = TN__CK_DATA_CR;
            continue;
        }
        if (src == n) break;
        c = (unsigned char)buf[src++];
        if (d->_state < TN__CK_DATA) {
            if (++d->_count > max_line) { rc = TN_EBAD_CHUNK; goto fail; }
        } else if (d->_state >= TN__CK_TR_START) {
            if (++d->_count > max_trailer) { rc = TN_EHEADER_TOO_LARGE; goto fail; }
        }
        switch (d->_state) {
        case TN__CK_SIZE: {
            int v = tn__http_hexval(c);
            if (v >= 0) {
                if (d->_left >> 60) { rc = TN_EBAD_CHUNK; goto fail; }   /* overflow */
                d->_left = (d->_left << 4) | (uint64_t)v;
                d->_sub++;
            } else if (c == ';' || c == '\r') {
                if ((rc = tn__http_chunk_size_end(d)) != 0) goto fail;
                d->_state = c == ';' ? TN__CK_EXT_NAME0 : TN__CK_SIZE_LF;
            } else {
                rc = TN_EBAD_CHUNK;
                goto fail;
            }
            break;
        }
        case TN__CK_EXT_NAME0:
            if (!TN__HTTP_TCHAR(c)) { rc = TN_EBAD_CHUNK; goto fail; }
            d->_state = TN__CK_EXT_NAME;
            break;
        case TN__CK_EXT_NAME:
            if (TN__HTTP_TCHAR(c)) break;
            if (c == '=') d->_state = TN__CK_EXT_VAL0;
            else if (c == ';') d->_state = TN__CK_EXT_NAME0;
            else if (c == '\r') d->_state = TN__CK_SIZE_LF;
            else { rc = TN_EBAD_CHUNK; goto fail; }
            break;
        case TN__CK_EXT_VAL0:
            if (c == '"') d->_state = TN__CK_EXT_QUOTED;
            else if (TN__HTTP_TCHAR(c)) d->_state = TN__CK_EXT_VAL;
            else { rc = TN_EBAD_CHUNK; goto fail; }
            break;
        case TN__CK_EXT_VAL:
            if (TN__HTTP_TCHAR(c)) break;
            if (c == ';') d->_state = TN__CK_EXT_NAME0;
            else if (c == '\r') d->_state = TN__CK_SIZE_LF;
            else { rc = TN_EBAD_CHUNK; goto fail; }
            break;
        case TN__CK_EXT_QUOTED:
            if (c == '"') d->_state = TN__CK_EXT_VALEND;
            else if (c == '\\') d->_state = TN__CK_EXT_QESC;
            else if (c == '\t' || (c >= 0x20 && c != 0x7f)) break;
            else { rc = TN_EBAD_CHUNK; goto fail; }
            break;
        case TN__CK_EXT_QESC:
            if (c == '\t' || (c >= 0x20 && c != 0x7f)) d->_state = TN__CK_EXT_QUOTED;
            else { rc = TN_EBAD_CHUNK; goto fail; }
            break;
        case TN__CK_EXT_VALEND:
            if (c == ';') d->_state = TN__CK_EXT_NAME0;
            else if (c == '\r') d->_state = TN__CK_SIZE_LF;
            else { rc = TN_EBAD_CHUNK; goto fail; }
            break;
        case TN__CK_SIZE_LF:
            if (c != '\n') { rc = TN_EBAD_CHUNK; goto fail; }
            d->_count = 0;
            if (d->_left == 0) {
                d->_state = TN__CK_TR_START;
            } else {
                d->num_chunks++;
                d->_state = TN__CK_DATA;
            }
            break;
        case TN__CK_DATA_CR:
            if (c != '\r') { rc = TN_EBAD_CHUNK; goto fail; }
            d->_state = TN__CK_DATA_LF;
            break;
        case TN__CK_DATA_LF:
            if (c != '\n') { rc = TN_EBAD_CHUNK; goto fail; }
            d->_state = TN__CK_SIZE;
            d->_count = 0;
            d->_sub = 0;
            d->_left = 0;
            break;
        case TN__CK_TR_START:
            if (c == '\r') d->_state = TN__CK_FINAL_LF;
            else if (TN__HTTP_TCHAR(c)) d->_state = TN__CK_TR_NAME;
            else { rc = c == '\n' ? TN_EBAD_CHUNK : TN_EBAD_HEADER_NAME; goto fail; }
            break;
        case TN__CK_TR_NAME:
            if (TN__HTTP_TCHAR(c)) break;
            if (c == ':') d->_state = TN__CK_TR_VALUE;
            else { rc = TN_EBAD_HEADER_NAME; goto fail; }
            break;
        case TN__CK_TR_VALUE:
            if (c == '\r') d->_state = TN__CK_TR_LF;
            else if (c == '\t' || (c >= 0x20 && c != 0x7f)) break;
            else { rc = TN_EBAD_HEADER_VALUE; goto fail; }
            break;
        case TN__CK_TR_LF:
            if (c != '\n') { rc = TN_EBAD_HEADER_VALUE; goto fail; }
            d->_state = TN__CK_TR_START;
            break;
        case TN__CK_FINAL_LF:
            if (c != '\n') { rc = TN_EBAD_CHUNK; goto fail; }
            d->_state = TN__CK_DONE;
            if (dst != src) memmove(buf + dst, buf + src, n - src);
            *len = dst;
            return (int)(n - src);
        default:
            rc = TN_EBAD_CHUNK;
            goto fail;
        }
    }
    *len = dst;
    return TN_EINCOMPLETE;
fail:
    d->_state = TN__CK_ERROR;
    *len = dst;
    return rc;
}

TN_API int tn_http_format_chunk_header(char *out, size_t cap, uint64_t size) {
    static const char hex[] = "0123456789abcdef";
    char tmp[20];
    size_t n = 0, i;
    if (size == 0) return TN_EINVAL;
    while (size) {
        tmp[n++] = hex[size & 15];
        size >>= 4;
    }
    if (cap < n + 2) return TN_EBUFFER_FULL;
    for (i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    out[n] = '\r';
    out[n + 1] = '\n';
    return (int)(n + 2);
}

TN_API int tn_http_format_chunk_end(char *out, size_t cap, const tn_http_header *trailers, size_t num_trailers) {
    size_t need = 5, pos = 0, i, j;
    for (i = 0; i < num_trailers; i++) {
        tn_str nm = trailers[i].name, v = trailers[i].value;
        if (nm.len == 0) return TN_EBAD_HEADER_NAME;
        for (j = 0; j < nm.len; j++)
            if (!TN__HTTP_TCHAR(nm.ptr[j])) return TN_EBAD_HEADER_NAME;
        for (j = 0; j < v.len; j++) {
            unsigned char c = (unsigned char)v.ptr[j];
            if ((c < 0x20 && c != '\t') || c == 0x7f) return TN_EBAD_HEADER_VALUE;
        }
        need += nm.len + v.len + 4;
    }
    if (need > cap || need > 0x7fffffffu) return TN_EBUFFER_FULL;
    memcpy(out, "0\r\n", 3);
    pos = 3;
    for (i = 0; i < num_trailers; i++) {
        memcpy(out + pos, trailers[i].name.ptr, trailers[i].name.len);
        pos += trailers[i].name.len;
        out[pos++] = ':';
        out[pos++] = ' ';
        if (trailers[i].value.len) memcpy(out + pos, trailers[i].value.ptr, trailers[i].value.len);
        pos += trailers[i].value.len;
        out[pos++] = '\r';
        out[pos++] = '\n';
    }
    out[pos++] = '\r';
    out[pos++] = '\n';
    return (int)pos;
}

/* ---- header utilities ---- */

TN_API size_t tn_http_header_next(const tn_http_header *headers, size_t num, const char *name, size_t from) {
    size_t i, n = strlen(name);
    for (i = from; i < num; i++)
        if (headers[i].name.len == n && tn__http_ieq_c(headers[i].name, name)) return i;
    return num;
}

TN_API const tn_http_header *tn_http_header_find(const tn_http_header *headers, size_t num, const char *name) {
    size_t i = tn_http_header_next(headers, num, name, 0);
    return i < num ? &headers[i] : NULL;
}

TN_API int tn_http_header_get(const tn_http_header *headers, size_t num, const char *name, tn_str *value) {
    const tn_http_header *h = tn_http_header_find(headers, num, name);
    if (!h) {
        value->ptr = NULL;
        value->len = 0;
        return TN_ENOENT;
    }
    *value = h->value;
    return TN_OK;
}

TN_API size_t tn_http_header_count(const tn_http_header *headers, size_t num, const char *name) {
    size_t i, c = 0;
    for (i = tn_http_header_next(headers, num, name, 0); i < num; i = tn_http_header_next(headers, num, name, i + 1))
        c++;
    return c;
}

TN_API int tn_http_header_join(const tn_http_header *headers, size_t num, const char *name, char *out, size_t cap, size_t *out_len) {
    size_t i, pos = 0;
    int found = 0;
    if (out_len) *out_len = 0;
    if (cap) out[0] = 0;
    for (i = tn_http_header_next(headers, num, name, 0); i < num; i = tn_http_header_next(headers, num, name, i + 1)) {
        size_t need = headers[i].value.len + (found ? 2 : 0);
        if (pos + need + 1 > cap) return TN_EBUFFER_FULL;
        if (found) {
            out[pos++] = ',';
            out[pos++] = ' ';
        }
        if (headers[i].value.len) memcpy(out + pos, headers[i].value.ptr, headers[i].value.len);
        pos += headers[i].value.len;
        found = 1;
    }
    if (!found) return TN_ENOENT;
    out[pos] = 0;
    if (out_len) *out_len = pos;
    return TN_OK;
}

TN_API int tn_http_token_list_has(tn_str value, const char *token) {
    const char *p = value.ptr, *end = value.ptr + value.len;
    size_t tn = strlen(token);
    if (value.len == 0) return 0;
    while (p < end) {
        const char *s, *e;
        while (p < end && (TN__HTTP_WS(*p) || *p == ',')) p++;
        s = p;
        while (p < end && *p != ',' && *p != ';') p++;
        e = p;
        while (e > s && TN__HTTP_WS(e[-1])) e--;
        if ((size_t)(e - s) == tn && tn__http_ieq_c(tn_str_make(s, tn), token)) return 1;
        while (p < end && *p != ',') p++;   /* skip parameters */
    }
    return 0;
}

TN_API int tn_http_header_has_token(const tn_http_header *headers, size_t num, const char *name, const char *token) {
    size_t i;
    for (i = tn_http_header_next(headers, num, name, 0); i < num; i = tn_http_header_next(headers, num, name, i + 1))
        if (tn_http_token_list_has(headers[i].value, token)) return 1;
    return 0;
}
/* <<http_parse.c  end of src/http_parse.c */

#endif /* TORNADO_IMPLEMENTATION */
