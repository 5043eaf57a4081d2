/* base.h: result codes, allocator and logger hooks, monotonic clock, tn_str slices. */
#ifndef TN_BASE_H
#define TN_BASE_H
#include "platform.h"

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
    X(TN_EBAD_ENCODING,     -42, "invalid percent, base64 or UTF-8 encoding")         \
    X(TN_EBAD_MULTIPART,    -43, "invalid multipart body")                            \
    X(TN_EBAD_SIGNATURE,    -44, "signature mismatch")                                \
    X(TN_EEXPIRED,          -45, "expired")                                           \
    X(TN_EBAD_RANGE,        -46, "invalid or unsatisfiable range")                    \
    X(TN_EMETHOD_NOT_ALLOWED, -47, "method not allowed")                              \
    X(TN_EBAD_DEFLATE,      -48, "invalid compressed data")                           \
    X(TN_EBAD_CHECKSUM,     -49, "compressed data checksum mismatch")                 \
    X(TN_EWS_PROTOCOL,      -50, "WebSocket protocol error")                          \
    X(TN_EWS_TOO_BIG,       -51, "WebSocket message too big")                         \
    X(TN_EWS_BAD_UTF8,      -52, "WebSocket text or close reason is not UTF-8")       \
    X(TN_EWS_HANDSHAKE,     -53, "invalid WebSocket handshake")                       \
    X(TN_EWS_VERSION,       -54, "unsupported WebSocket version")                     \
    X(TN_EWS_ORIGIN,        -55, "WebSocket origin not allowed")                      \
    X(TN_ETLS,              -56, "TLS error")                                         \
    X(TN_ETLS_VERIFY,       -57, "TLS certificate verification failed")               \
    X(TN_ETLS_TRUNCATED,    -58, "TLS stream truncated (closed without close_notify)")

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

/* A ready logger for tn_logger.func: one line per message on stderr, e.g.
       tornado: warn TN_EINVAL: route not added: pattern "/a/:id" at byte 3: ... (tornado.h:LINE)
   level, the code's name (left out when code is 0), the message, and the source file's
   base name and line (src/web.c with TORNADO_LINE_DIRECTIVES). user is not used. The line is formatted first and written with one
   call, so lines from loops on different threads do not mix mid-line. Turn it on with
       opts.logger.func = tn_log_stderr;  opts.logger.level = TN_LOG_DEBUG;
   It exists under TORNADO_NO_LOG too; the library then just never calls it. */
TN_API void tn_log_stderr(void *user, int level, int code, const char *msg, const char *file, int line);

/* ---- clock -------------------------------------------------------------------------- */
/* Monotonic time in milliseconds / nanoseconds from an unspecified start. */
TN_API uint64_t tn_time_ms(void);
TN_API uint64_t tn_time_ns(void);

TN__END_DECLS

#endif /* TN_BASE_H */
