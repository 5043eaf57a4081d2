/* tornado.h v0.1.0: Tornado's networking core as one C header (MIT license, see LICENSE).
   Generated from src/ by amalgamate.py; edit src/, not this file.

   TABLE OF CONTENTS  (search ">>name" to jump to a module)
     declarations (always compiled)
       >>config.h       compile-time toggles and limits, version, and the user guide.
       >>platform.h     public platform types (sockets), API decoration, C++ linkage.
       >>base.h         result codes, allocator and logger hooks, monotonic clock, tn_str slices.
       >>buf.h          tn_buf, a growable byte buffer with a consumable front.
       >>loop.h         event loop: fd watchers, timer heap, deferred callbacks, thread-safe post, run modes.
       >>net.h          sockets: addresses, binding (v4/v6, reuse_port, unix), resolvers (blocking, threaded, override table).
       >>stream.h       buffered async byte streams over a transport (socket, pipe; TLS later).
       >>tls.h          TLS through OpenSSL 3 under streams: contexts (certificates, trust, SNI, ALPN), start_tls, connection info.
       >>tcp.h          TCP server (listen, accept, connection cap, multi-process) and client connect (happy eyeballs).
       >>crypto.h       SHA-1, SHA-256, HMAC, constant-time compare, base64, hex, UTF-8 validation, random bytes.
       >>deflate.h      inflate/deflate codec (RFC 1950 zlib, 1951 raw DEFLATE, 1952 gzip), CRC-32, Adler-32; pure and streaming.
       >>url.h          URLs (RFC 3986): parse, resolve, host:port, percent-escaping, query strings and forms.
       >>http_util.h    header parameters, HTTP dates, Range, status reasons, HTML/JSON escaping.
       >>http_parse.h   HTTP/1.1 request/response parser, framing rules, chunked codec, header utilities (no I/O).
       >>multipart.h    incremental multipart/form-data (RFC 7578) push parser.
       >>http_cookie.h  Cookie header parsing, Set-Cookie formatting, Tornado signed values (v2), HTTP Basic auth.
       >>ws.h           WebSocket (RFC 6455) frame codec, close payloads and handshake helpers, pure (no I/O).
       >>http_server.h  HTTP/1.1 server: keep-alive, pipelining, 100-continue, bodies, limits, timeouts.
       >>http_client.h  async HTTP/1.1 client: fetch, keep-alive pool, redirects, timeouts, streaming, proxies.
       >>ws_conn.h      WebSocket connections (tn_ws): server upgrade, client connect, messages, ping/pong, close handshake.
       >>router.h       web router: method + path patterns with named captures, first match wins, 404/405.
       >>static.h       static files (Tornado's StaticFileHandler) from a directory or compiled-in assets.
       >>web.h          web application layer: tn_app (routes, handlers), arguments, files, cookies, signed cookies, XSRF, ETag, errors.
     implementation (compiled where TORNADO_IMPLEMENTATION is defined)
       >>internal.h     the implementation's private prelude (system headers, TN__PRIVATE and friends): internal, not API.
       >>platform.c     errno mapping, fd flags, sockets, clock, locks (the system includes are in internal.h).
       >>base.c         result code names, tn_str helpers, allocator wrappers, logging.
       >>buf.c          tn_buf implementation.
       >>loop.c         the event loop: handles, deferred queue, timer heap, fd table, wakeup, run.
       >>poll_epoll.c   the epoll backend (Linux, level-triggered).
       >>poll_poll.c    the portable poll() backend (any POSIX system; also the test reference).
       >>net.c          addresses, bind/listen, unix sockets, accept, resolvers.
       >>stream.c       tn_stream: lazy buffered reads, queued writes, deferred close, transports.
       >>tls.c          the TLS transport: OpenSSL over memory BIOs in the stream's transport slot, contexts, SNI, ALPN, verification.
       >>tcp.c          tcp server (accept batches, connection cap), fork_processes, happy-eyeballs connect.
       >>crypto.c       SHA-1, SHA-256, HMAC, constant-time compare, base64, hex, UTF-8 validation, random bytes.
       >>deflate.c      DEFLATE codec: table-driven streaming inflate, hash-chain lazy deflate, CRC-32 (slice-by-8), Adler-32.
       >>url.c          URL parsing and resolution (RFC 3986), host:port, percent-escaping, query strings and forms.
       >>http_util.c    header parameters, HTTP dates, Range, status reasons, HTML and JSON escaping.
       >>http_parse.c   strict incremental HTTP/1.1 head parser, framing, chunked codec, header utilities.
       >>multipart.c    the multipart/form-data push parser.
       >>http_cookie.c  Cookie header parsing, Set-Cookie formatting, Tornado signed values (v2), HTTP Basic auth.
       >>ws.c           WebSocket (RFC 6455) frame codec, close payloads and handshake helpers, pure (no I/O).
       >>http_server.c  HTTP/1.1 server connections: parse in place, bodies, responses, timeouts.
       >>http_client.c  tn_http_client: fetch queue, connection pool, request writer, response reader, redirects, proxies.
       >>ws_conn.c      WebSocket connections: upgrade, client handshake, message reassembly in the read buffer, ping/pong, close.
       >>router.c       web router: patterns compiled into segments, a literal-segment trie, first match wins.
       >>static.c       static files: safe path resolution, conditional GET, ranges, streaming, sendfile.
       >>web_internal.h the web layer's private types, shared by web.c, web_args.c and web_cookie.c: internal, not API.
       >>web.c          web application layer: the app, routes, dispatch, per-request context, the response (headers, body, ETag, errors, redirects).
       >>web_args.c     the web layer's request side: data slot, arguments (query, form, multipart), files, cookies in, URLs.
       >>web_cookie.c   the web layer's cookies out, signed cookies and XSRF tokens.

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
#ifndef TN_CONFIG_H
#define TN_CONFIG_H
/*
   QUICK START
   -----------
   Do this in exactly one C or C++ file:

       #define TORNADO_IMPLEMENTATION
       #include "tornado.h"

   Other files include "tornado.h" without the define. A TCP echo server:

       #include <string.h>                      // after tornado.h, for memset
       static void on_read(tn_stream *s, int status, tn_str data, void *user);
       static void start_read(tn_stream *s) {
           tn_stream_read_bytes(s, 65536, TN_READ_PARTIAL, on_read, NULL);
       }
       static void on_written(tn_stream *s, int status, void *user) {
           (void)user;
           if (status == 0) start_read(s);      // the echo left: only now read more
       }
       static void on_read(tn_stream *s, int status, tn_str data, void *user) {
           (void)user;
           if (status < 0) return;              // closed: the stream frees itself
           if (tn_stream_write(s, data.ptr, data.len, on_written, NULL) != 0)   // copies
               tn_stream_close(s, NULL, NULL);
       }
       static void on_conn(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
           (void)srv; (void)peer; (void)user;
           start_read(s);
       }
       int main(void) {
           tn_loop_opts opts;
           tn_loop *loop;
           tn_tcp_server *srv;
           memset(&opts, 0, sizeof opts);       // zeroed options = every default
           opts.logger.func = tn_log_stderr;    // the library's log lines on stderr
           opts.logger.level = TN_LOG_DEBUG;    // (default level: TN_LOG_INFO)
           if (tn_loop_new(&opts, &loop) != 0) return 1;
           if (tn_tcp_server_new(loop, NULL, on_conn, NULL, &srv) != 0) return 1;
           if (tn_tcp_server_listen(srv, "127.0.0.1", 8888) != 0) return 1;
           return tn_loop_run(loop);         // or tn_loop_run_once(loop, 0) once per frame
       }

   Backpressure: the next read starts from the write callback, once the echo has gone to
   the kernel. Reads are lazy (bytes are read only while a read is pending), so a client
   that sends without reading stalls in its own socket buffers. Reading again straight
   from on_read would queue all it sends in the server's memory. (Or cap the queue with
   tn_tcp_server_opts.stream.max_write_buffer_size: writes past it fail TN_EBUFFER_FULL.)

   A web app (routes, arguments, cookies, XSRF; see web.h and examples/web_app.c):

       static void hello(tn_request *req, const tn_route_match *m, void *user) {
           tn_str name;
           (void)m; (void)user;
           tn_web_path_arg(req, "name", &name);            // percent-decoded capture
           tn_web_writef(req, "Hello, %.*s", (int)name.len, name.ptr);
       }                                                   // finished when it returns
       int serve_web(tn_loop *loop) {                      // from main(), after tn_loop_new
           tn_app *app;
           if (tn_app_new(loop, NULL, &app) != 0) return 1;
           tn_app_route(app, "GET", "/hello/{name}", hello, NULL);
           if (tn_app_listen(app, "127.0.0.1", 8888) != 0) return 1;
           return tn_loop_run(loop);
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
     TORNADO_NO_HTTP_SERVER     off       leave the HTTP server out (needs TORNADO_NO_WEB too)
     TORNADO_NO_HTTP_CLIENT     off       leave the HTTP client out (tn_http_client, fetch)
     TORNADO_NO_LOG             off       compile logging out
     TORNADO_NO_WEB             off       leave out the web layer (router, tn_app, static files)
     TORNADO_NO_WEBSOCKET       off       leave out WebSocket (frame codec, handshake, server
                                          upgrade and client connections)
     TORNADO_NO_SIMD            off       portable loops instead of SSE2 (HTTP scanning, WebSocket
                                          masking)
     TORNADO_NO_FILESYSTEM      off       no file system: static files only from compiled-in
                                          asset tables (tn_static_serve_assets); no sendfile
     TORNADO_NO_DEFLATE         off       leave out the inflate/deflate codec (gzip, zlib, raw)
    TORNADO_WITH_OPENSSL       off       TLS through OpenSSL 3 (link -lssl -lcrypto): https in
                                         the server, app and client, tn_stream_start_tls
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
     TORNADO_BACKLOG                     1024         listen() backlog (Tornado: 128; bursts of
                                                      connects overflow that, Linux caps it at somaxconn)
     TORNADO_ACCEPT_BATCH                128          accepts per readable event
     TORNADO_MAX_DEFERRED_PER_ITER       4096         deferred callbacks run per iteration
     TORNADO_CONNECT_TIMEOUT_MS          20000        tcp connect (resolve included)
     TORNADO_HAPPY_EYEBALLS_DELAY_MS     300          head start of the first family
     TORNADO_RESOLVER_THREADS            4            threads of the threaded resolver
     TORNADO_MAX_POLL_WAIT_MS            3600000      longest single wait in the poller
     TORNADO_MAX_HEADER_BYTES            65536        HTTP head (start line + fields) → 431
     TORNADO_MAX_HEADERS                 100          HTTP header fields per message → 431
     TORNADO_MAX_TARGET_LENGTH           8192         request-target bytes → 414
     TORNADO_MAX_BODY_BYTES              104857600    request body (100 MiB) → 413
     TORNADO_HTTP_IDLE_TIMEOUT_MS        3600000      keep-alive idle connection (Tornado's)
     TORNADO_HTTP_HEADER_TIMEOUT_MS      30000        a head must arrive within this (slowloris)
     TORNADO_MAX_CHUNK_LINE              4096         chunk-size line, extensions included
     TORNADO_MAX_TRAILER_BYTES           8192         trailer section of a chunked body
     TORNADO_MAX_URL_BYTES               65536        URL tn_url_parse accepts
     TORNADO_HTTP_CLIENT_MAX_CLIENTS     10           client fetches in flight (more queue)
     TORNADO_HTTP_CLIENT_TIMEOUT_MS      20000        client connect and request timeouts
     TORNADO_HTTP_CLIENT_MAX_REDIRECTS   5            redirects a fetch follows
     TORNADO_HTTP_CLIENT_POOL_IDLE_MS    60000        idle pooled client connection lifetime
     TORNADO_MAX_QUERY_PAIRS             10000        query/form pairs parsed (then TN_ELIMIT)
     TORNADO_MULTIPART_MAX_HEADER_BYTES  4096         one multipart part's header block
     TORNADO_MULTIPART_MAX_PARTS         1000         parts in one multipart body
     TORNADO_MAX_RANGES                  16           ranges in one Range header (beyond: 200)
     TORNADO_MAX_ROUTE_CAPTURES          16           captures ({name}, {name*}) per route
     TORNADO_MAX_INFLATE_SIZE            104857600    decoded bytes per inflate stream → TN_ELIMIT
     TORNADO_MAX_WS_MESSAGE              10485760     WebSocket message (10 MiB, Tornado's) → 1009
     TORNADO_WS_CLOSE_TIMEOUT_MS         5000         wait for the peer's close frame (Tornado's 5 s)
     TORNADO_WS_PING_TIMEOUT_MS          30000        least default ping timeout (Tornado's: max(3 ×
                                                      ping interval, 30 s))
     TORNADO_WS_MAX_RESPONSE_HEADERS     32           header fields of a WebSocket client's 101
     TORNADO_TLS_HANDSHAKE_TIMEOUT_MS    10000        a TLS handshake must finish within this

   ALLOCATOR
   ---------
   tn_loop_opts.allocator = { alloc, realloc, free, user }: every object of that loop
   allocates through it (all NULL = libc; a partial set is TN_EINVAL). Out of memory is
   TN_ENOMEM for the operation that needed memory, never a crash. With threads, post() and
   the threaded resolver may call the allocator from other threads.

   ERRORS & LOGGING
   ----------------
   Codes: the TN__ERRORS list in >>base.h. tn_loop_opts.logger = { func, user, level }
   receives (user, level, code, message, file, line) for messages up to level (0 =
   TN_LOG_INFO); the library is silent without one. tn_log_stderr is a ready func that
   prints one line per message ("tornado: warn TN_EINVAL: route not added: ...").

   THREADING
   ---------
   One thread per loop. tn_loop_post() is the one call safe from any thread; tn_async_send()
   is safe from any thread and from signal handlers. Everything else: the loop's thread.

   PLATFORMS AND STATE
   -------------------
   Built and tested on Linux (epoll and poll backends), gcc and clang, C99 and C++.
   Not built yet: wss://, the WebSocket endpoints, compression of HTTP bodies, and other
   platforms (kqueue for the BSDs and macOS, WSAPoll for Windows).
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

#if defined(TORNADO_NO_HTTP_SERVER)
#  define TN_HAS_HTTP_SERVER 0
#else
#  define TN_HAS_HTTP_SERVER 1
#endif

#if defined(TORNADO_NO_HTTP_CLIENT)
#  define TN_HAS_HTTP_CLIENT 0
#else
#  define TN_HAS_HTTP_CLIENT 1
#endif

#if defined(TORNADO_NO_LOG)
#  define TN_HAS_LOG 0
#else
#  define TN_HAS_LOG 1
#endif

#if defined(TORNADO_NO_WEB)
#  define TN_HAS_WEB 0
#else
#  define TN_HAS_WEB 1
#endif
#if TN_HAS_WEB && !TN_HAS_HTTP_SERVER
#  error "tornado.h: the web layer needs the HTTP server: define TORNADO_NO_WEB with TORNADO_NO_HTTP_SERVER"
#endif

#if defined(TORNADO_NO_WEBSOCKET)
#  define TN_HAS_WEBSOCKET 0
#else
#  define TN_HAS_WEBSOCKET 1
#endif

#if defined(TORNADO_NO_FILESYSTEM)
#  define TN_HAS_FILESYSTEM 0
#else
#  define TN_HAS_FILESYSTEM 1
#endif

#if defined(TORNADO_NO_DEFLATE)
#  define TN_HAS_DEFLATE 0
#else
#  define TN_HAS_DEFLATE 1
#endif
/* TLS needs OpenSSL 3 headers where the implementation is compiled, and -lssl -lcrypto. */
#if defined(TORNADO_WITH_OPENSSL)
#  define TN_HAS_OPENSSL 1
#else
#  define TN_HAS_OPENSSL 0
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
#define TORNADO_BACKLOG 1024
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
#ifndef TORNADO_MAX_HEADERS
#define TORNADO_MAX_HEADERS 100
#endif
#ifndef TORNADO_HTTP_IDLE_TIMEOUT_MS
#define TORNADO_HTTP_IDLE_TIMEOUT_MS 3600000u
#endif
#ifndef TORNADO_HTTP_HEADER_TIMEOUT_MS
#define TORNADO_HTTP_HEADER_TIMEOUT_MS 30000u
#endif
#ifndef TORNADO_MAX_POLL_WAIT_MS
#define TORNADO_MAX_POLL_WAIT_MS 3600000u
#endif
#ifndef TORNADO_MAX_ROUTE_CAPTURES
#define TORNADO_MAX_ROUTE_CAPTURES 16
#endif

/* http_parse: 0 in a parser struct means "use the macro" */
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
/* Most ranges tn_range_parse resolves (beyond: TN_ELIMIT, and the caller serves 200). */
#ifndef TORNADO_MAX_RANGES
#define TORNADO_MAX_RANGES 16u
#endif
/* Most bytes of one part's header block, including its closing empty line; also the
   size of two internal buffers in tn_multipart (beyond: TN_EHEADER_TOO_LARGE). */
#ifndef TORNADO_MULTIPART_MAX_HEADER_BYTES
#define TORNADO_MULTIPART_MAX_HEADER_BYTES 4096
#endif
/* Most parts in one body (beyond: TN_ELIMIT). */
#ifndef TORNADO_MULTIPART_MAX_PARTS
#define TORNADO_MULTIPART_MAX_PARTS 1000u
#endif
/* Most pairs tn_query_next returns before TN_ELIMIT (Python's max_num_fields idea). */
#ifndef TORNADO_MAX_QUERY_PAIRS
#define TORNADO_MAX_QUERY_PAIRS 10000u
#endif
/* deflate: decoded bytes per inflate stream when its options say 0 (beyond: TN_ELIMIT). */
#ifndef TORNADO_MAX_INFLATE_SIZE
#define TORNADO_MAX_INFLATE_SIZE 104857600u
#endif
/* ws: largest WebSocket message payload when a parser says 0 (Tornado: 10 MiB; beyond:
   TN_EWS_TOO_BIG, close 1009). */
#ifndef TORNADO_MAX_WS_MESSAGE
#define TORNADO_MAX_WS_MESSAGE 10485760u
#endif
/* tls: a handshake not done within this closes the stream (TN_ETIMEOUT): a stalled peer
   cannot hold a connection slot. */
#ifndef TORNADO_TLS_HANDSHAKE_TIMEOUT_MS
#define TORNADO_TLS_HANDSHAKE_TIMEOUT_MS 10000u
#endif
/* http_client defaults (each option's 0) */
#ifndef TORNADO_HTTP_CLIENT_MAX_CLIENTS
#define TORNADO_HTTP_CLIENT_MAX_CLIENTS 10          /* fetches in flight per client (Tornado) */
#endif
#ifndef TORNADO_HTTP_CLIENT_TIMEOUT_MS
#define TORNADO_HTTP_CLIENT_TIMEOUT_MS 20000u       /* connect_timeout and request_timeout (Tornado) */
#endif
#ifndef TORNADO_HTTP_CLIENT_MAX_REDIRECTS
#define TORNADO_HTTP_CLIENT_MAX_REDIRECTS 5         /* redirects followed per fetch (Tornado) */
#endif
#ifndef TORNADO_HTTP_CLIENT_POOL_IDLE_MS
#define TORNADO_HTTP_CLIENT_POOL_IDLE_MS 60000u     /* an idle pooled connection is closed after this */
#endif
/* ws: how long an endpoint that sent a close frame waits for the peer's before dropping
   the connection (Tornado: 5 s). */
#ifndef TORNADO_WS_CLOSE_TIMEOUT_MS
#define TORNADO_WS_CLOSE_TIMEOUT_MS 5000u
#endif
/* ws: the default ping timeout is max(3 * ping interval, this) (Tornado's). */
#ifndef TORNADO_WS_PING_TIMEOUT_MS
#define TORNADO_WS_PING_TIMEOUT_MS 30000u
#endif
/* ws: most header fields in the server's 101 answer a WebSocket client reads (beyond:
   TN_EWS_HANDSHAKE). */
#ifndef TORNADO_WS_MAX_RESPONSE_HEADERS
#define TORNADO_WS_MAX_RESPONSE_HEADERS 32u
#endif
/* Longest URL tn_url_parse accepts (TN_EURI_TOO_LONG beyond). */
#ifndef TORNADO_MAX_URL_BYTES
#define TORNADO_MAX_URL_BYTES 65536u
#endif

#endif /* TN_CONFIG_H */
/* <<config.h  end of src/config.h */

/* ======================================================================== */
/* >>platform.h  (src/platform.h)                                           */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/platform.h"
#endif
/* platform.h: public platform types (sockets), API decoration, C++ linkage. */
#ifndef TN_PLATFORM_H
#define TN_PLATFORM_H
/* #include "config.h" (inlined above) */
#include <stddef.h>
#include <stdint.h>

#if defined(TORNADO_STATIC) && (defined(__GNUC__) || defined(__clang__))
#  define TN_API static __attribute__((unused))   /* a private copy: unused parts are fine */
#elif defined(TORNADO_STATIC)
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

#endif /* TN_PLATFORM_H */
/* <<platform.h  end of src/platform.h */

/* ======================================================================== */
/* >>base.h  (src/base.h)                                                   */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/base.h"
#endif
/* base.h: result codes, allocator and logger hooks, monotonic clock, tn_str slices. */
#ifndef TN_BASE_H
#define TN_BASE_H
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
/* <<base.h  end of src/base.h */

/* ======================================================================== */
/* >>buf.h  (src/buf.h)                                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/buf.h"
#endif
/* buf.h: tn_buf, a growable byte buffer with a consumable front. */
#ifndef TN_BUF_H
#define TN_BUF_H
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
    const tn_allocator *a;   /* the allocator (not copied: it must outlive the buffer) */
} tn_buf;

/* Initialise. alloc may be NULL (libc); otherwise it must be complete (all three functions)
   and outlive the buffer. Returns TN_OK or TN_EINVAL (partial allocator). */
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

#endif /* TN_BUF_H */
/* <<buf.h  end of src/buf.h */

/* ======================================================================== */
/* >>loop.h  (src/loop.h)                                                   */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/loop.h"
#endif
/* loop.h: event loop: fd watchers, timer heap, deferred callbacks, thread-safe post, run modes. */
#ifndef TN_LOOP_H
#define TN_LOOP_H
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
   close callbacks run). Pending timers and tn_loop_defer/tn_loop_post callbacks are
   dropped without being called. If objects are still alive (fd watchers, streams, servers, ...) the loop is not
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

/* Call cb once, delay_ms from now (the clock is read afresh, so a timer set after a slow
   callback never fires early). out may be NULL.
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

#endif /* TN_LOOP_H */
/* <<loop.h  end of src/loop.h */

/* ======================================================================== */
/* >>net.h  (src/net.h)                                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/net.h"
#endif
/* net.h: sockets: addresses, binding (v4/v6, reuse_port, unix), resolvers (blocking, threaded, override table). */
#ifndef TN_NET_H
#define TN_NET_H
/* #include "loop.h" (inlined above) */

TN__BEGIN_DECLS

/* ---- addresses ---- */
enum { TN_AF_UNSPEC = 0, TN_AF_UNIX = 1, TN_AF_INET = 4, TN_AF_INET6 = 6 };

/* tn_addr: a socket address of any family (holds a struct sockaddr_storage). */
typedef struct tn_addr {
    union { uint64_t align_; unsigned char bytes[128]; } u;   /* the sockaddr */
    uint32_t len;                                            /* its length; 0 = empty */
} tn_addr;

/* Split "host:port", "[v6]:port", "host" or "[v6]" (Tornado's split_host_and_port).
   *host: slice of netloc (IPv6 without brackets). *port: 0..65535, or -1 when absent or
   empty ("host:"). An unbracketed string with several ':' (a bare IPv6 address) is all
   host. The host is not checked (tn_url_parse_host_port does that). Returns: TN_OK;
   TN_EBAD_URL (non-digit or out-of-range port, unclosed '[', bytes after ']').
   Unlike Tornado, "h:abc" is an error rather than a host named "h:abc". */
TN_API int tn_split_host_port(tn_str netloc, tn_str *host, int *port);

/* Room for any text tn_addr_format writes (a unix path included). */
#define TN_ADDR_STRLEN 128

/* An address from an IP literal ("127.0.0.1", "::1", "[::1]") and a port.
   Returns TN_OK or TN_EINVAL (not an IP literal, or port outside 0..65535). */
TN_API int tn_addr_from_ip(const char *ip, int port, tn_addr *out);
/* An AF_UNIX address. Returns TN_OK or TN_EINVAL (path empty or too long). */
TN_API int tn_addr_from_unix(const char *path, tn_addr *out);
/* TN_AF_INET, TN_AF_INET6, TN_AF_UNIX, or TN_AF_UNSPEC (empty/unknown). */
TN_API int tn_addr_family(const tn_addr *a);
/* The port, or -1 for families without one. */
TN_API int tn_addr_port(const tn_addr *a);
/* Set the port of an IP address. Returns TN_OK or TN_EINVAL. */
TN_API int tn_addr_set_port(tn_addr *a, int port);
/* The IP as text ("::1", no brackets), or the unix path. Returns the length or TN_EINVAL
   (TN_EBUFFER_FULL if n is too small; TN_ADDR_STRLEN always suffices). */
TN_API int tn_addr_ip(const tn_addr *a, char *buf, size_t n);
/* "127.0.0.1:8888", "[::1]:8888" or "unix:/path". Returns the length or an error as above. */
TN_API int tn_addr_format(const tn_addr *a, char *buf, size_t n);
/* 1 if two addresses are the same family, IP and port (or path), else 0. */
TN_API int tn_addr_equal(const tn_addr *a, const tn_addr *b);
/* 1 if s is an IPv4 or IPv6 literal (no brackets, no port); 0 otherwise ("" included). */
TN_API int tn_is_valid_ip(const char *s);

/* ---- sockets ---- */
/* Close a socket (EINTR is not retried: the fd is gone either way). */
TN_API void tn_socket_close(tn_socket fd);
/* The local / peer address of a socket. Returns TN_OK or an error code. */
TN_API int tn_socket_local_addr(tn_socket fd, tn_addr *out);
TN_API int tn_socket_peer_addr(tn_socket fd, tn_addr *out);

/* tn_bind_opts: options for tn_bind_sockets; zero-init gives Tornado's defaults.
     family      TN_AF_UNSPEC: every address the host resolves to (v4 and v6)
     backlog     0 = TORNADO_BACKLOG (1024)
     reuse_port  SO_REUSEPORT (several processes share the port); TN_ENOTSUP if missing
     dual_stack  0: IPv6 sockets are v6-only (IPV6_V6ONLY, as Tornado); 1: also accept v4 */
typedef struct tn_bind_opts {
    int family;
    int backlog;
    int reuse_port;
    int dual_stack;
} tn_bind_opts;

/* Create listening sockets for host:port, one per resolved address (duplicates skipped).
   host NULL or "" = all interfaces (v4 and v6); a name listens on all its addresses.
   port 0 picks a free port, the same one for every family. Sockets are non-blocking,
   close-on-exec, SO_REUSEADDR. Up to cap fds are stored in out and *n_out is set.
   Blocking (getaddrinfo): call before the loop runs. Returns TN_OK, TN_ERESOLVE,
   TN_EADDRINUSE, TN_EACCES, TN_ENOTSUP (reuse_port), TN_ELIMIT (more than cap), ...
   On error no socket is left open. */
TN_API int tn_bind_sockets(const char *host, int port, const tn_bind_opts *opts,
                           tn_socket *out, size_t cap, size_t *n_out);
/* A listening unix socket at path: a stale socket file there is removed; any other kind
   of file is TN_EEXIST. mode 0 = 0600; backlog 0 = TORNADO_BACKLOG. */
TN_API int tn_bind_unix(const char *path, int mode, int backlog, tn_socket *out);

/* ---- resolvers ---- */
typedef struct tn_resolver tn_resolver;
typedef struct tn_resolve_req tn_resolve_req;

/* Result of a resolve: status TN_OK with n >= 1 addresses (port filled in), or an error
   (TN_ERESOLVE, TN_ECANCELED, TN_ENOMEM) with n = 0. addrs is borrowed: valid until the
   callback returns. */
typedef void (*tn_resolve_cb)(int status, const tn_addr *addrs, size_t n, void *user);

enum { TN_RESOLVER_BLOCKING = 0, TN_RESOLVER_THREADED = 1 };

/* tn_resolver_opts: zero-init = a blocking resolver.
     kind     TN_RESOLVER_BLOCKING: getaddrinfo on the loop thread (blocks the loop; the
              result is delivered on a later iteration, like Tornado's BlockingResolver).
              TN_RESOLVER_THREADED: a pool of threads, results posted back to the loop
              (TN_ENOTSUP under TORNADO_NO_THREADS).
     threads  pool size, 0 = TORNADO_RESOLVER_THREADS (4) */
typedef struct tn_resolver_opts {
    int kind;
    int threads;
} tn_resolver_opts;

TN_API int tn_resolver_new(tn_loop *loop, const tn_resolver_opts *opts, tn_resolver **out);
/* Map a name before resolving (Tornado's OverrideResolver; tests and firmware).
   from: "host" (any port) or "host:port" (that port only; wins over "host").
   to:   one or more comma-separated targets, each "ip", "ip:port", "[v6]:port", or a host
         name (resolved normally, port kept unless given). Order is kept.
   Returns TN_OK, TN_EINVAL, TN_ENOMEM. */
TN_API int tn_resolver_add_override(tn_resolver *r, const char *from, const char *to);
/* Resolve host for a TCP connection on port. family TN_AF_UNSPEC, TN_AF_INET or
   TN_AF_INET6. IP literals resolve without a lookup. cb is called exactly once on a later
   iteration (never inside this call). *out (may be NULL) identifies the request for
   tn_resolve_cancel until cb runs. r may be NULL: a blocking lookup without overrides on
   loop. Returns TN_OK (cb will run), TN_EINVAL, TN_ENOMEM, TN_ECLOSED. */
TN_API int tn_resolve(tn_loop *loop, tn_resolver *r, const char *host, int port, int family,
                      tn_resolve_cb cb, void *user, tn_resolve_req **out);
/* Cancel a request whose callback has not run: it will run with TN_ECANCELED. */
TN_API void tn_resolve_cancel(tn_resolve_req *req);
/* Close: pending requests finish with TN_ECANCELED, worker threads stop, then cb (may be
   NULL) runs in the closing phase and the resolver is freed. */
TN_API int tn_resolver_close(tn_resolver *r, tn_cb cb, void *user);

TN__END_DECLS

#endif /* TN_NET_H */
/* <<net.h  end of src/net.h */

/* ======================================================================== */
/* >>stream.h  (src/stream.h)                                               */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/stream.h"
#endif
/* stream.h: buffered async byte streams over a transport (socket, pipe; TLS later). */
#ifndef TN_STREAM_H
#define TN_STREAM_H
/* #include "net.h" (inlined above) */

TN__BEGIN_DECLS

/* tn_stream: Tornado's IOStream. Reads are lazy: the stream reads from its transport only
   while a read is pending and the buffer cannot satisfy it, which gives backpressure for
   free; an idle stream holds no read buffer. One read may be pending at a time; writes
   queue without limit unless max_write_buffer_size is set.

   Lifetime: a stream closes itself on EOF (when a pending read cannot be satisfied from
   what is buffered), on errors and limits, or when the owner calls tn_stream_close or
   tn_stream_abort. Then, in order: the pending read callback runs with an error, pending
   write callbacks run with an error, the close callback runs with the cause, and the
   stream is freed. No callback of the stream runs after its close callback. */
typedef struct tn_stream tn_stream;

/* tn_stream_opts: zero-init gives Tornado's defaults.
     max_buffer_size        0 = TORNADO_MAX_BUFFER_SIZE (100 MB): most bytes buffered for a
                            read; a read the full buffer does not satisfy fails and closes
                            the stream (TN_EBUFFER_FULL)
     read_chunk_size        0 = TORNADO_READ_CHUNK_SIZE (64 KB), at most max_buffer_size/2:
                            room made in the read buffer before each read (a read then
                            takes as much as the buffer has room for, one system call)
     max_write_buffer_size  0 = unlimited: tn_stream_write fails with TN_EBUFFER_FULL when
                            unsent bytes would exceed it
     idle_timeout_ms        0 = none: close with TN_ETIMEOUT after this long without a byte
                            read or written (tn_stream_set_idle_timeout changes it)
   A stream keeps these in 32 bits: larger values are clamped (4 GiB - 1 bytes, ~49 days). */
typedef struct tn_stream_opts {
    size_t max_buffer_size;
    size_t read_chunk_size;
    size_t max_write_buffer_size;
    uint64_t idle_timeout_ms;
} tn_stream_opts;

/* Read flags. */
enum {
    TN_READ_PARTIAL = 1,    /* complete with whatever is available (at least 1 byte) */
    TN_READ_STREAMING = 2   /* deliver chunks as they arrive (status TN_MORE), then TN_OK */
};
/* Status of a streaming chunk that has more to follow (a positive, non-error status). */
#define TN_MORE 1

/* A read completed. status: TN_OK (data is the result), TN_MORE (a streaming chunk; the
   callback will run again), or an error with empty data: TN_EEOF (closed before the read
   could complete), TN_ELIMIT (read_until max_bytes), TN_EBUFFER_FULL, TN_ERESET,
   TN_ETIMEOUT, TN_ECLOSED (closed locally). data is borrowed: valid until the callback
   returns. The callback may start the next read, write, or close the stream. */
typedef void (*tn_read_cb)(tn_stream *s, int status, tn_str data, void *user);
/* A write's bytes were handed to the transport (TN_OK), or the stream closed first. */
typedef void (*tn_write_cb)(tn_stream *s, int status, void *user);
/* The stream closed. cause: TN_OK (tn_stream_close), TN_EEOF (peer closed), TN_ERESET,
   TN_ETIMEOUT, TN_ELIMIT, TN_EBUFFER_FULL, TN_ENOMEM, or the code given to tn_stream_abort.
   The stream is freed when this returns. */
typedef void (*tn_close_cb)(tn_stream *s, int cause, void *user);

/* Wrap a connected socket (takes ownership of fd on success; it is made non-blocking).
   opts may be NULL. Returns TN_OK, TN_EINVAL, TN_ENOMEM, TN_EEXIST (fd already watched). */
TN_API int tn_stream_new_socket(tn_loop *loop, tn_socket fd, const tn_stream_opts *opts, tn_stream **out);
/* Wrap one end of a pipe (or any fd read() and write() work on). Takes ownership. */
TN_API int tn_stream_new_pipe(tn_loop *loop, int fd, const tn_stream_opts *opts, tn_stream **out);

/* Read exactly n bytes (TN_READ_PARTIAL: 1..n bytes as soon as any are there;
   TN_READ_STREAMING: chunks as they arrive, then an empty TN_OK). n may be 0.
   Returns TN_OK (cb will run), TN_EBUSY (a read is pending), TN_ECLOSED, TN_EINVAL,
   TN_EBUFFER_FULL (n > max_buffer_size without TN_READ_STREAMING: no read starts). */
TN_API int tn_stream_read_bytes(tn_stream *s, size_t n, int flags, tn_read_cb cb, void *user);
/* Read up to and including the first occurrence of delim (1..64 bytes). If it is not
   found within max_bytes (0 = no limit but max_buffer_size), the read fails with
   TN_ELIMIT and the stream closes. Returns as tn_stream_read_bytes. */
TN_API int tn_stream_read_until(tn_stream *s, const void *delim, size_t delim_len, size_t max_bytes,
                                tn_read_cb cb, void *user);
/* Read into the caller's buffer buf[0..n) (exactly n bytes; TN_READ_PARTIAL: as soon as
   any). buf must stay valid until cb runs; data in cb points into buf. When the stream's
   buffer is empty the transport reads straight into buf (no copy). */
TN_API int tn_stream_read_into(tn_stream *s, void *buf, size_t n, int flags, tn_read_cb cb, void *user);
/* Read until the peer closes: the whole content with TN_OK (bounded by max_buffer_size),
   or with TN_READ_STREAMING chunks (TN_MORE) and then an empty TN_OK at EOF. */
TN_API int tn_stream_read_until_close(tn_stream *s, int flags, tn_read_cb cb, void *user);

/* Queue n bytes (copied: data is free again when this returns); sends at once when
   possible. cb (may be NULL) runs once these bytes went to the transport, or with an error
   if the stream closes first. Returns TN_OK, TN_ECLOSED, TN_EBUFFER_FULL (over
   max_write_buffer_size: nothing queued), TN_ENOMEM.
   Backpressure: writes queue without limit unless max_write_buffer_size is set, so a peer
   that sends but never reads would grow the queue. A program that reads and writes back
   (an echo, a proxy) starts its next read from the write callback: then at most one
   read's worth waits per stream, and a slow reader slows the sender (TCP flow control). */
TN_API int tn_stream_write(tn_stream *s, const void *data, size_t n, tn_write_cb cb, void *user);
/* Queue several buffers as one write (sent with one gather system call when possible,
   e.g. a response head and its body). Same contract as tn_stream_write. */
TN_API int tn_stream_writev(tn_stream *s, const tn_str *bufs, size_t nbufs, tn_write_cb cb, void *user);

/* Register the close callback (replaces an earlier one). */
TN_API void tn_stream_set_close_cb(tn_stream *s, tn_close_cb cb, void *user);
/* Close now (unsent data is dropped; use write callbacks to flush first). cb, if not NULL,
   replaces the close callback. Returns TN_OK or TN_ECLOSED (already closing). */
TN_API int tn_stream_close(tn_stream *s, tn_close_cb cb, void *user);
/* Close now with a cause (an error code the close callback and pending callbacks see). */
TN_API int tn_stream_abort(tn_stream *s, int cause);

/* Close with TN_ETIMEOUT after ms without a byte moving (0 = off). */
TN_API void tn_stream_set_idle_timeout(tn_stream *s, uint64_t ms);
/* TCP_NODELAY on a socket stream. Returns TN_OK or an error (ignored on closed streams). */
TN_API int tn_stream_set_nodelay(tn_stream *s, int on);

TN_API int tn_stream_closed(const tn_stream *s);            /* 1 once closing */
TN_API int tn_stream_reading(const tn_stream *s);           /* 1 while a read is pending */
TN_API int tn_stream_writing(const tn_stream *s);           /* 1 while bytes wait to be sent */
TN_API size_t tn_stream_read_buffer_size(const tn_stream *s);   /* bytes buffered, unread */
TN_API size_t tn_stream_write_buffer_size(const tn_stream *s);  /* bytes queued, unsent */
TN_API tn_socket tn_stream_fd(const tn_stream *s);
/* The peer's socket address (a socket stream). Returns TN_OK, TN_ECLOSED, or the system's
   error (e.g. TN_ENOTCONN once the peer reset the connection). */
TN_API int tn_stream_peer(const tn_stream *s, tn_addr *out);
TN_API tn_loop *tn_stream_loop(const tn_stream *s);
/* The resolved options (defaults filled in). */
TN_API void tn_stream_get_opts(const tn_stream *s, tn_stream_opts *out);
TN_API void tn_stream_set_user(tn_stream *s, void *user);
TN_API void *tn_stream_get_user(const tn_stream *s);

TN__END_DECLS

#endif /* TN_STREAM_H */
/* <<stream.h  end of src/stream.h */

/* ======================================================================== */
/* >>tls.h  (src/tls.h)                                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/tls.h"
#endif
/* tls.h: TLS through OpenSSL 3 under streams: contexts (certificates, trust, SNI, ALPN), start_tls, connection info. */
#ifndef TN_TLS_H
#define TN_TLS_H
/* #include "stream.h" (inlined above) */

TN__BEGIN_DECLS

/* A TLS context: one side's settings (certificates, trust anchors, versions, ALPN), shared
   by every connection made with it (Tornado's ssl_options / an ssl.SSLContext). Declared
   in every build so options structs can carry one; only TORNADO_WITH_OPENSSL makes them. */
typedef struct tn_tls_ctx tn_tls_ctx;

#if TN_HAS_OPENSSL

enum { TN_TLS_CLIENT = 0, TN_TLS_SERVER = 1 };
/* Protocol versions (0 = the default: TLS 1.2 at least, the newest at most). */
enum { TN_TLS_1_0 = 10, TN_TLS_1_1 = 11, TN_TLS_1_2 = 12, TN_TLS_1_3 = 13 };
/* Peer verification (0 = the side's default: clients verify the server, servers ask for
   no client certificate). */
enum { TN_TLS_VERIFY_NONE = 1, TN_TLS_VERIFY_OPTIONAL = 2, TN_TLS_VERIFY_REQUIRED = 3 };

/* The server's SNI callback: the context for the name the client asked for (NULL: keep the
   default). name is borrowed; the returned context must stay alive while connections use it. */
typedef tn_tls_ctx *(*tn_tls_sni_cb)(const char *name, void *user);

/* tn_tls_opts: zero-init gives a client that verifies servers against the system's trust
   store; a server needs side = TN_TLS_SERVER and a certificate with its key.
     side           TN_TLS_CLIENT (0) or TN_TLS_SERVER
     cert_file      PEM file: the certificate, then its chain (leaf first)
     key_file       PEM file: its private key (NULL: the key is in cert_file)
     cert_pem, key_pem  the same from memory (used when the *_file is NULL; for firmware
                    without a file system, TORNADO_NO_FILESYSTEM)
     key_password   passphrase of an encrypted key (NULL: none)
     verify         clients: 0 = TN_TLS_VERIFY_REQUIRED: the server's certificate chain and
                    its name (DNS names with RFC 6125 wildcards, IP addresses against IP
                    SANs); TN_TLS_VERIFY_NONE turns verification off, which lets anyone in
                    the path read and change the traffic: for tests only.
                    servers: 0 = TN_TLS_VERIFY_NONE; TN_TLS_VERIFY_OPTIONAL verifies a
                    client certificate when one is sent; TN_TLS_VERIFY_REQUIRED (mutual
                    TLS) refuses clients without a valid one
     ca_file, ca_dir, ca_pem  trust anchors (PEM; a directory in OpenSSL's hashed layout);
                    none given: clients use the system store, servers trust nothing
     min_version    0 = TN_TLS_1_2; below 1.2 only with allow_legacy_versions
     max_version    0 = the newest OpenSSL has (TLS 1.3)
     allow_legacy_versions  1: min_version may be TN_TLS_1_0 or TN_TLS_1_1 (insecure)
     ciphers        TLS 1.2 cipher list (OpenSSL syntax); NULL = forward-secret AEAD only
                    (ECDHE with AES-GCM or ChaCha20-Poly1305)
     ciphersuites   TLS 1.3 suites; NULL = OpenSSL's (AES-GCM, ChaCha20-Poly1305)
     alpn           comma-separated protocols: servers accept these in this order of
                    preference (NULL = "http/1.1"; "" = no ALPN), clients offer them (NULL =
                    none)
     handshake_timeout_ms  0 = TORNADO_TLS_HANDSHAKE_TIMEOUT_MS (10 s): a handshake not
                    done by then closes the stream with TN_ETIMEOUT
     no_session_tickets  servers: 1 = no session resumption by tickets (on by default)
     sni_cb, sni_user    servers: choose a context by server name (after the names added
                    with tn_tls_ctx_add_server_name)
   Always: compression off, renegotiation refused, close_notify sent on a graceful close. */
typedef struct tn_tls_opts {
    int side;
    const char *cert_file;
    const char *key_file;
    tn_str cert_pem;
    tn_str key_pem;
    const char *key_password;
    int verify;
    const char *ca_file;
    const char *ca_dir;
    tn_str ca_pem;
    int min_version;
    int max_version;
    int allow_legacy_versions;
    const char *ciphers;
    const char *ciphersuites;
    const char *alpn;
    uint64_t handshake_timeout_ms;
    int no_session_tickets;
    tn_tls_sni_cb sni_cb;
    void *sni_user;
} tn_tls_opts;

/* Make a context for connections of loop (opts NULL: a verifying client). Certificates,
   keys and trust anchors are loaded now; a failure is logged with OpenSSL's reason
   ("no such file", "bad decrypt", "key values mismatch") at TN_LOG_WARN.
   Returns TN_OK; TN_EINVAL (bad options: a server without a certificate, a version below
   1.2 without allow_legacy_versions, an unknown cipher); TN_ENOENT (a file missing);
   TN_ENOTSUP (a file under TORNADO_NO_FILESYSTEM); TN_ETLS (OpenSSL refused a certificate,
   key or list); TN_ENOMEM. */
TN_API int tn_tls_ctx_new(tn_loop *loop, const tn_tls_opts *opts, tn_tls_ctx **out);
/* SNI for servers: connections asking for name ("example.com", or "*.example.com" for one
   label under it; any case) get sub's certificate. ctx keeps a reference to sub.
   Returns TN_OK, TN_EINVAL (not two server contexts, empty name), TN_ENOMEM. */
TN_API int tn_tls_ctx_add_server_name(tn_tls_ctx *ctx, const char *name, tn_tls_ctx *sub);
/* Drop the caller's reference: the context goes when no stream or server uses it. */
TN_API void tn_tls_ctx_free(tn_tls_ctx *ctx);

/* The handshake finished (status TN_OK), or failed: TN_ETLS_VERIFY (the peer's certificate:
   tn_stream_tls_error says why, "certificate has expired", "hostname mismatch"), TN_ETLS
   (the protocol: "wrong version number", "no shared cipher", ...), TN_ETIMEOUT (the
   handshake timeout), TN_EEOF or TN_ERESET (the peer left), TN_ECLOSED (closed locally).
   On failure the stream is closing: this runs before its close callback. */
typedef void (*tn_tls_handshake_cb)(tn_stream *s, int status, void *user);

/* Tornado's IOStream.start_tls: put TLS under a connected plain stream, as the side ctx
   says, and start the handshake (it goes on by itself; reads and writes wait for it).
   server_hostname (clients): the name sent by SNI (not for IP literals) and verified
   against the certificate; required unless ctx does not verify. cb (may be NULL) runs
   exactly once, from the loop. The stream must be idle: no read pending, nothing
   buffered either way (bytes already read would belong to the handshake).
   tn_tcp_server_opts.tls and tn_http_server_opts.tls do this for each accepted stream.
   Returns TN_OK; TN_EINVAL (s or ctx NULL, no hostname to verify); TN_EBUSY (a read
   pending, bytes buffered, TLS already on); TN_ECLOSED; TN_ENOMEM; TN_ETLS. */
TN_API int tn_stream_start_tls(tn_stream *s, tn_tls_ctx *ctx, const char *server_hostname, tn_tls_handshake_cb cb,
                               void *user);

/* tn_tls_info: a TLS stream's state. Strings are static or live as long as the stream.
     done            1 once the handshake finished
     version         "TLSv1.3", "TLSv1.2" ("" before the handshake)
     cipher          e.g. "TLS_AES_256_GCM_SHA384"
     alpn            the protocol agreed by ALPN (empty: none)
     server_name     the SNI name (servers: what the client asked for; "" = none)
     session_reused  1: resumed (ticket or session id), no full handshake
     peer_verified   1: the peer sent a certificate and it verified */
typedef struct tn_tls_info {
    int done;
    const char *version;
    const char *cipher;
    tn_str alpn;
    const char *server_name;
    int session_reused;
    int peer_verified;
} tn_tls_info;

/* 1 if TLS is on the stream. */
TN_API int tn_stream_is_tls(const tn_stream *s);
/* Returns TN_OK or TN_EINVAL (not a TLS stream). */
TN_API int tn_stream_tls_info(const tn_stream *s, tn_tls_info *out);
/* Why TLS failed on this stream, as OpenSSL says it ("certificate has expired", "hostname
   mismatch", "wrong version number", "handshake timed out", "truncated: no close_notify");
   "" when nothing failed. Static text. */
TN_API const char *tn_stream_tls_error(const tn_stream *s);
/* The verified peer certificate's subject, RFC 2253 ("CN=alice,O=Example"), into
   buf[0..cap) with a NUL. Returns its length, TN_ENOENT (no verified certificate: none
   sent, or verification off), TN_EBUFFER_FULL, TN_EINVAL. */
TN_API int tn_stream_tls_peer_subject(const tn_stream *s, char *buf, size_t cap);

#endif /* TN_HAS_OPENSSL */

TN__END_DECLS

#endif /* TN_TLS_H */
/* <<tls.h  end of src/tls.h */

/* ======================================================================== */
/* >>tcp.h  (src/tcp.h)                                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/tcp.h"
#endif
/* tcp.h: TCP server (listen, accept, connection cap, multi-process) and client connect (happy eyeballs). */
#ifndef TN_TCP_H
#define TN_TCP_H
/* #include "tls.h" (inlined above) */

TN__BEGIN_DECLS

/* ---- server ---- */
typedef struct tn_tcp_server tn_tcp_server;

/* A new connection. s is ready for reads and writes and owned by the caller from now on
   (close it when done); peer is borrowed for the duration of the call. */
typedef void (*tn_tcp_conn_cb)(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user);

/* tn_tcp_server_opts: zero-init gives the defaults.
     stream           options of every accepted stream
     bind             options for tn_tcp_server_listen (family, backlog, reuse_port, ...)
     max_connections  0 = unlimited; at the cap the server stops accepting (connections
                      wait in the kernel's backlog) until one of its streams closes
     accept_batch     0 = TORNADO_ACCEPT_BATCH (128): accepts per readiness event
     nodelay          1: TCP_NODELAY on accepted sockets
     tls              NULL = plain TCP; else a server context (TORNADO_WITH_OPENSSL):
                      every accepted stream speaks TLS with it (tn_stream_start_tls), as
                      Tornado's TCPServer(ssl_options=...); the server keeps a reference.
                      Without OpenSSL built in, tn_tcp_server_new refuses it (TN_ENOTSUP) */
typedef struct tn_tcp_server_opts {
    tn_stream_opts stream;
    tn_bind_opts bind;
    size_t max_connections;
    int accept_batch;
    int nodelay;
    tn_tls_ctx *tls;
} tn_tcp_server_opts;

/* Create a server; it accepts nothing until a listen or add_socket.
   Returns TN_OK, TN_EINVAL, TN_ENOMEM. */
TN_API int tn_tcp_server_new(tn_loop *loop, const tn_tcp_server_opts *opts, tn_tcp_conn_cb cb, void *user,
                             tn_tcp_server **out);
/* Bind host:port (see tn_bind_sockets: NULL/"" = all interfaces, port 0 = a free port)
   and start accepting. May be called several times. Returns TN_OK or a bind error. */
TN_API int tn_tcp_server_listen(tn_tcp_server *srv, const char *host, int port);
/* Listen on a unix socket (mode 0 = 0600). */
TN_API int tn_tcp_server_listen_unix(tn_tcp_server *srv, const char *path, int mode);
/* Adopt an already-listening socket (e.g. bound before tn_fork_processes). The server owns
   it from now on. Returns TN_OK, TN_EINVAL, TN_ENOMEM, TN_EEXIST. */
TN_API int tn_tcp_server_add_socket(tn_tcp_server *srv, tn_socket fd);
/* The port of the first listening socket (-1 if none). */
TN_API int tn_tcp_server_port(const tn_tcp_server *srv);
/* Connections accepted and still open. */
TN_API size_t tn_tcp_server_connections(const tn_tcp_server *srv);
/* Stop accepting and close the listening sockets; open connections go on. */
TN_API void tn_tcp_server_stop(tn_tcp_server *srv);
/* Stop, then free the server once its last connection has closed: cb (may be NULL) runs
   then. Returns TN_OK or TN_ECLOSED. */
TN_API int tn_tcp_server_close(tn_tcp_server *srv, tn_cb cb, void *user);
TN_API void tn_tcp_server_set_user(tn_tcp_server *srv, void *user);
TN_API void *tn_tcp_server_get_user(const tn_tcp_server *srv);

/* ---- multi-process (POSIX) ---- */
/* Tornado's fork_processes: fork n children (n <= 0: one per CPU) and return in each child
   with *task_id in 0..n-1. The parent stays here: a child that exits abnormally (signal
   or non-zero status) is restarted with the same task id, at most max_restarts times in
   all (0 = 100). When every child has exited normally the parent returns TN_OK with
   *task_id = -1 (it should then exit). Too many restarts: TN_ELIMIT in the parent. Create
   loops only after this call. Returns TN_OK, TN_EINVAL, TN_ESYS (fork failed). */
TN_API int tn_fork_processes(int n, int max_restarts, int *task_id);
/* The task id given by tn_fork_processes in this process, or -1. */
TN_API int tn_task_id(void);
/* Online CPUs (at least 1). */
TN_API int tn_cpu_count(void);

/* ---- client ---- */
typedef struct tn_connector tn_connector;

/* The connection is up (status TN_OK, s owned by the caller), or failed: TN_ETIMEOUT,
   TN_EREFUSED, TN_EUNREACH, TN_ERESOLVE, TN_ECANCELED, ... with s NULL. */
typedef void (*tn_connect_cb)(int status, tn_stream *s, void *user);

/* tn_connect_opts: zero-init gives the defaults.
     family            TN_AF_UNSPEC (both), TN_AF_INET or TN_AF_INET6
     timeout_ms        0 = TORNADO_CONNECT_TIMEOUT_MS (20 s) for resolve + connect
     fallback_delay_ms 0 = TORNADO_HAPPY_EYEBALLS_DELAY_MS (300): head start of the first
                       address family before the other family is tried in parallel
     source_ip         NULL = any; else bind to this local IP before connecting
     source_port       0 = any
     resolver          NULL = blocking getaddrinfo; else the resolver (with its overrides)
     stream            options of the new stream */
typedef struct tn_connect_opts {
    int family;
    uint64_t timeout_ms;
    uint64_t fallback_delay_ms;
    const char *source_ip;
    int source_port;
    tn_resolver *resolver;
    tn_stream_opts stream;
} tn_connect_opts;

/* Connect to host:port. Addresses are split by family: the first address's family goes
   first, address by address; the other family starts after fallback_delay_ms or as soon
   as the first family has failed; the first connection up wins and the others are closed
   (Tornado's TCPClient). cb runs exactly once, from the loop. *out (may be NULL) is valid
   until cb runs, for tn_tcp_connect_cancel. Returns TN_OK, TN_EINVAL, TN_ENOMEM. */
TN_API int tn_tcp_connect(tn_loop *loop, const char *host, int port, const tn_connect_opts *opts,
                          tn_connect_cb cb, void *user, tn_connector **out);
/* Give up: cb runs with TN_ECANCELED (unless it already ran). */
TN_API void tn_tcp_connect_cancel(tn_connector *c);

TN__END_DECLS

#endif /* TN_TCP_H */
/* <<tcp.h  end of src/tcp.h */

/* ======================================================================== */
/* >>crypto.h  (src/crypto.h)                                               */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/crypto.h"
#endif
/* crypto.h: SHA-1, SHA-256, HMAC, constant-time compare, base64, hex, UTF-8 validation, random bytes. */
#ifndef TN_CRYPTO_H
#define TN_CRYPTO_H
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
/* Bytes from hex (either case): writes in.len/2 bytes to out (cap bytes); *out_len (may be
   NULL) receives that count.
   Returns: TN_OK; TN_EPARSE (odd length or a non-hex character); TN_EBUFFER_FULL. */
TN_API int tn_hex_decode(tn_str in, void *out, size_t cap, size_t *out_len);

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

#endif /* TN_CRYPTO_H */
/* <<crypto.h  end of src/crypto.h */

/* ======================================================================== */
/* >>deflate.h  (src/deflate.h)                                             */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/deflate.h"
#endif
/* deflate.h: inflate/deflate codec (RFC 1950 zlib, 1951 raw DEFLATE, 1952 gzip), CRC-32, Adler-32; pure and streaming. */
#ifndef TN_DEFLATE_H
#define TN_DEFLATE_H
/* #include "base.h" (inlined above) */

#if TN_HAS_DEFLATE
TN__BEGIN_DECLS

/* ---- contract ---------------------------------------------------------------------------
   A push codec over bytes, like the HTTP parser: no I/O, no allocation after init, any input
   split, output in pieces the caller sizes (down to one byte). The state lives in memory the
   caller gives (tn_inflater_init / tn_deflater_init with tn_*_size bytes) or comes from an
   allocator once (tn_inflater_new / tn_deflater_new); NULL allocator = libc.

   Inflate (decompress):
   - every block type (stored, fixed, dynamic Huffman); zlib and gzip wrappers with their
     checksums verified (Adler-32; CRC-32 and ISIZE; the gzip header CRC when FHCRC is set);
     a preset dictionary (zlib FDICT) is refused. Ends at the end of the first gzip member:
     what follows is not consumed (reset and continue for concatenated members).
   - max_output caps the decoded bytes: a "zip bomb" stops with TN_ELIMIT when it would
     produce one byte more, having produced exactly max_output bytes; nothing is allocated.
   - corrupt input is TN_EBAD_DEFLATE (tn_inflater_error says which rule broke: bad block
     type, stored length mismatch, over-subscribed or incomplete code, missing end-of-block,
     bad repeat, distance too far back, invalid symbol, bad header) or TN_EBAD_CHECKSUM. After
     an error every call returns the same code until reset.
   - input that stops early is not an error by itself (more may come): a caller that has no
     more input and did not get TN_INFLATE_END has a truncated stream (tn_inflate_once says
     TN_EINCOMPLETE).

   Deflate (compress):
   - levels 1..9 (0 = 6, Tornado's gzip level): 1-3 greedy hash-chain matching (1 is the fast
     level), 4-9 lazy matching (6 is the default); longer chains at higher levels.
   - window_bits 8..15: history of 256 B .. 32 KiB (matches never reach further, so a peer
     with that window can decode; permessage-deflate's max_window_bits). zlib's inflate
     needs window_bits >= 9 in a zlib header; raw and gzip streams decode with any window.
   - each block is dynamic Huffman, fixed Huffman or stored, whichever is smallest.
   - flush: TN_DEFLATE_SYNC ends the block and appends an empty stored block (00 00 ff ff):
     all input so far is decodable (permessage-deflate strips those four bytes);
     TN_DEFLATE_FINISH ends the stream (final block and the zlib/gzip trailer).

   Memory (x86-64; tn_inflater_size / tn_deflater_size give the exact figure for a build):
     inflater, any format: 13.9 KiB of tables and state + 2^window_bits bytes of history
       window_bits 15: 46.0 KiB   12: 18.0 KiB   8: 14.2 KiB
     deflater, every level: 2.8 KiB of state + window buffer (2^w + max(2^w / 2, 1024) + 262)
     + chain links (2 * 2^w) + hash heads (2 * 2^min(max(w - 1, 9), 14)) + symbol buffer
     (2 * max(1024, 3 * 2^w / 4)), in bytes:
       window_bits 15: 195 KiB   14: 99 KiB   12: 27 KiB   10: 10.1 KiB   8: 7.8 KiB
     (zlib's deflateInit2 default state is about 268 KiB, its inflate state 7 KiB + 32 KiB.)
     The stack use of a call is below 4 KiB. */

/* Output cap of an inflater whose max_output is 0: TORNADO_MAX_INFLATE_SIZE (config.h, 100 MiB). */

/* Container formats. */
enum {
    TN_DEFLATE_ZLIB = 0,   /* RFC 1950: 2-byte header, Adler-32 trailer (the default) */
    TN_DEFLATE_RAW = 1,    /* RFC 1951 only (permessage-deflate, zip entries) */
    TN_DEFLATE_GZIP = 2,   /* RFC 1952: gzip header, CRC-32 + length trailer */
    TN_DEFLATE_AUTO = 3    /* inflate only: gzip if the stream starts with 1f 8b, else zlib */
};

/* Flush modes for tn_deflate. */
enum {
    TN_DEFLATE_NO_FLUSH = 0,   /* compress what fits; keep the rest for better matches */
    TN_DEFLATE_SYNC = 1,       /* end the block + empty stored block: the output so far decodes
                                  to all input so far */
    TN_DEFLATE_FINISH = 2      /* end the stream: final block and trailer */
};

/* Positive results (0 is TN_OK: progress, call again). */
enum {
    TN_INFLATE_END = 1,   /* tn_inflate: the stream (and its trailer) is complete */
    TN_DEFLATE_DONE = 1   /* tn_deflate: all input consumed and the flush/finish fully written */
};

/* tn_inflate_opts: how to decode. Zeroed = zlib format, 32 KiB window, 100 MiB cap, libc.
     format       TN_DEFLATE_ZLIB (0), _RAW, _GZIP or _AUTO
     window_bits  8..15: the largest distance accepted is 2^bits (0 = 15); a zlib header that
                  asks for more is TN_EBAD_DEFLATE. Raw streams: use the sender's window.
     max_output   decoded bytes allowed (0 = TORNADO_MAX_INFLATE_SIZE); UINT64_MAX = no cap
     allocator    for tn_inflater_new and tn_inflate_once (NULL = libc) */
typedef struct tn_inflate_opts {
    int format;
    int window_bits;
    uint64_t max_output;
    const tn_allocator *allocator;
} tn_inflate_opts;

/* tn_deflate_opts: how to encode. Zeroed = zlib format, level 6, 32 KiB window, libc.
     format       TN_DEFLATE_ZLIB (0), _RAW or _GZIP
     level        1 (fastest) .. 9 (smallest); 0 = 6
     window_bits  8..15 (0 = 15): see the memory table above
     allocator    for tn_deflater_new and tn_deflate_once (NULL = libc) */
typedef struct tn_deflate_opts {
    int format;
    int level;
    int window_bits;
    const tn_allocator *allocator;
} tn_deflate_opts;

/* Opaque codec states. */
typedef struct tn_inflater tn_inflater;
typedef struct tn_deflater tn_deflater;

/* ---- inflate ---- */

/* Bytes of memory tn_inflater_init needs for these options (NULL = defaults); 0 when the
   options are invalid. */
TN_API size_t tn_inflater_size(const tn_inflate_opts *opts);
/* Set up an inflater in caller memory (mem: size bytes, any alignment; it must stay valid
   and untouched while the inflater is used; nothing to free). opts may be NULL.
   Returns: TN_OK; TN_EINVAL (bad option, NULL mem, size below tn_inflater_size). */
TN_API int tn_inflater_init(void *mem, size_t size, const tn_inflate_opts *opts, tn_inflater **out);
/* Allocate an inflater through opts->allocator. Returns: TN_OK, TN_EINVAL, TN_ENOMEM. */
TN_API int tn_inflater_new(const tn_inflate_opts *opts, tn_inflater **out);
/* Free an inflater made by tn_inflater_new (NULL is ignored; init'ed ones need nothing). */
TN_API void tn_inflater_free(tn_inflater *st);
/* Forget the current stream (and any error): the next byte starts a new one. */
TN_API void tn_inflater_reset(tn_inflater *st);

/* Decode: read from in[0..in_len), write to out[0..out_cap). *consumed and *produced say how
   far it got (both always set). Input is taken as long as there is output space: call again
   with the rest of the input and/or more output space. in may be NULL when in_len is 0.
   Returns:
     TN_INFLATE_END    the stream is complete (bytes after it are left unconsumed)
     TN_OK             progress: more input is needed (*consumed == in_len) or out is full
     TN_EBAD_DEFLATE   corrupt data (tn_inflater_error has the detail)
     TN_EBAD_CHECKSUM  the Adler-32, CRC-32, gzip length or header CRC does not match
     TN_ELIMIT         decoding would pass max_output (*produced bytes up to it were written) */
TN_API int tn_inflate(tn_inflater *st, const void *in, size_t in_len, size_t *consumed, void *out,
                      size_t out_cap, size_t *produced);
/* Decoded bytes so far in this stream. */
TN_API uint64_t tn_inflater_total_out(const tn_inflater *st);
/* What went wrong (a static string; "" while there is no error). */
TN_API const char *tn_inflater_error(const tn_inflater *st);

/* One shot: decode all of in (which must hold exactly one stream) into out.
   Returns: TN_OK with *out_len; TN_EBUFFER_FULL (out too small); TN_EINCOMPLETE (truncated);
   TN_EBAD_DEFLATE (also: bytes after the end of the stream); TN_EBAD_CHECKSUM; TN_ELIMIT;
   TN_ENOMEM; TN_EINVAL. Uses opts->allocator for about 47 KiB of state, freed on return. */
TN_API int tn_inflate_once(const tn_inflate_opts *opts, const void *in, size_t in_len, void *out,
                           size_t out_cap, size_t *out_len);

/* ---- deflate ---- */

/* Bytes of memory tn_deflater_init needs (NULL = defaults); 0 when the options are invalid. */
TN_API size_t tn_deflater_size(const tn_deflate_opts *opts);
/* Set up a deflater in caller memory (see tn_inflater_init). Returns: TN_OK, TN_EINVAL. */
TN_API int tn_deflater_init(void *mem, size_t size, const tn_deflate_opts *opts, tn_deflater **out);
/* Allocate a deflater through opts->allocator. Returns: TN_OK, TN_EINVAL, TN_ENOMEM. */
TN_API int tn_deflater_new(const tn_deflate_opts *opts, tn_deflater **out);
/* Free a deflater made by tn_deflater_new (NULL is ignored). */
TN_API void tn_deflater_free(tn_deflater *st);
/* Start a new stream with the same options (history forgotten). */
TN_API void tn_deflater_reset(tn_deflater *st);

/* Encode: take input from in[0..in_len), write compressed bytes to out[0..out_cap). Input is
   buffered inside (up to the window), so output may lag it until a flush. With SYNC or
   FINISH, call again (same flush, the rest of the input, more output space) until it
   returns TN_DEFLATE_DONE. (A call with another flush mode first completes the pending
   flush without reporting it.) After FINISH is done only tn_deflater_reset helps.
   Returns: TN_DEFLATE_DONE (flush complete; with NO_FLUSH: never), TN_OK (progress: input
   consumed or output full), TN_EINVAL (bad flush, or called after the stream finished). */
TN_API int tn_deflate(tn_deflater *st, const void *in, size_t in_len, size_t *consumed, void *out,
                      size_t out_cap, size_t *produced, int flush);
/* Largest compressed size of len input bytes in one stream with one FINISH (any level,
   window and format, no SYNC flushes: each of those adds at most 10 bytes). */
TN_API size_t tn_deflate_bound(size_t len);
/* One shot: compress in to out (of out_cap >= tn_deflate_bound(in_len) bytes to be sure).
   Returns: TN_OK with *out_len; TN_EBUFFER_FULL; TN_ENOMEM; TN_EINVAL. */
TN_API int tn_deflate_once(const tn_deflate_opts *opts, const void *in, size_t in_len, void *out,
                           size_t out_cap, size_t *out_len);

/* ---- checksums (start with 0 for CRC-32 and 1 for Adler-32, or pass the previous value) ---- */
TN_API uint32_t tn_crc32(uint32_t crc, const void *data, size_t n);     /* gzip's CRC-32 */
TN_API uint32_t tn_adler32(uint32_t adler, const void *data, size_t n); /* zlib's Adler-32 */

TN__END_DECLS
#endif /* TN_HAS_DEFLATE */

#endif /* TN_DEFLATE_H */
/* <<deflate.h  end of src/deflate.h */

/* ======================================================================== */
/* >>url.h  (src/url.h)                                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/url.h"
#endif
/* url.h: URLs (RFC 3986): parse, resolve, host:port, percent-escaping, query strings and forms. */
#ifndef TN_URL_H
#define TN_URL_H
/* #include "buf.h" (inlined above) */

TN__BEGIN_DECLS

/* Pure functions over bytes: no I/O, no allocation (except the *_buf variants, which
   append to a caller's tn_buf). Parsers return tn_str slices into their input. http_util.h
   follows the same conventions.

   Formatters come in two forms with the same output:
     tn_x(..., char *out, size_t cap, size_t *out_len)
         *out_len (may be NULL) always receives the full output length, excluding a NUL.
         out == NULL: size query only, returns TN_OK. cap >= *out_len: output written, and a
         NUL added when cap > *out_len. Otherwise TN_EBUFFER_FULL (out holds a prefix).
     tn_x_buf(tn_buf *b, ...)
         appends to b. Returns TN_OK or TN_ENOMEM (b is then left as it was). */

/* Limits: TORNADO_MAX_QUERY_PAIRS, TORNADO_MAX_URL_BYTES (config.h). */

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
       tn_url_parse_host_port instead.
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

/* Check and split host [":" port] by RFC 3986 (section 3.2.2-3.2.3): the syntax of the Host
   header field (RFC 9110 section 7.2) and, with a port, of CONNECT's authority-form target.
   host: a reg-name (unreserved, sub-delims and %XX escapes, ASCII only; IPv4 addresses are
   reg-names too) or an IP-literal in brackets (IPv6 or IPvFuture, no zone id). port: digits
   up to 65535, possibly empty ("host:"). Rejected: userinfo ("a@b"), spaces and controls,
   non-ASCII bytes, a bad %-escape, a malformed IP literal, a bare IPv6 address, a bad port.
   An empty s is a valid empty host (RFC 9112 section 3.2 allows "Host:" without a value).
   *host (IPv6 without brackets) and *port (-1 when absent or empty) as tn_split_host_port;
   both may be NULL. Returns: TN_OK; TN_EBAD_URL. */
TN_API int tn_url_parse_host_port(tn_str s, tn_str *host, int *port);

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

TN__END_DECLS

#endif /* TN_URL_H */
/* <<url.h  end of src/url.h */

/* ======================================================================== */
/* >>http_util.h  (src/http_util.h)                                         */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_util.h"
#endif
/* http_util.h: header parameters, HTTP dates, Range, status reasons, HTML/JSON escaping. */
#ifndef TN_HTTP_UTIL_H
#define TN_HTTP_UTIL_H
/* #include "buf.h" (inlined above) */

TN__BEGIN_DECLS

/* Pure functions over bytes, with the parser and formatter conventions described at the top
   of url.h (tn_x into a caller's buffer with *out_len, or tn_x_buf appending to a tn_buf). */

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

/* Most ranges tn_range_parse resolves: TORNADO_MAX_RANGES (config.h). */

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
   Entity-tags: If-None-Match, If-Match (RFC 9110 sections 8.8.3, 13.1.1, 13.1.2)
   ====================================================================================== */

/* Comparison for tn_http_etag_match. */
enum {
    TN_ETAG_WEAK = 0,    /* If-None-Match (13.1.2): the opaque-tags are equal, W/ ignored */
    TN_ETAG_STRONG = 1   /* If-Match (13.1.1): both tags strong and equal */
};

/* 1 if the If-None-Match or If-Match field value `list` matches the entity-tag `etag` (as
   sent in ETag: quotes included, optionally "W/"-prefixed), else 0. `list` is "*", which
   matches any current representation (call only when there is one), or a comma-separated
   list of entity-tags [W/]"opaque" with optional whitespace around commas and empty
   elements allowed (RFC 9110 5.6.1). A malformed list (an unquoted or unterminated tag, a
   '*' inside a list, a control byte) or a malformed `etag` matches nothing, so the
   condition fails safe: If-None-Match serves the full response, If-Match refuses. A request
   with several If-None-Match fields matches when any field does. */
TN_API int tn_http_etag_match(tn_str list, tn_str etag, int comparison);

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

#endif /* TN_HTTP_UTIL_H */
/* <<http_util.h  end of src/http_util.h */

/* ======================================================================== */
/* >>http_parse.h  (src/http_parse.h)                                       */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_parse.h"
#endif
/* http_parse.h: HTTP/1.1 request/response parser, framing rules, chunked codec, header utilities (no I/O). */
#ifndef TN_HTTP_PARSE_H
#define TN_HTTP_PARSE_H
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
   - A Host value that is not an RFC 3986 host[:port] (tn_url_parse_host_port: no spaces,
     userinfo, bad port or IP literal, non-ASCII): rejected, as RFC 9112 §3.2 requires (400).
   - Content-Length with Transfer-Encoding, differing or malformed Content-Length values, more
     than one Host, Transfer-Encoding in HTTP/1.0, a request whose final transfer coding is
     not chunked (400) or which uses codings other than chunked (501): rejected.
   - Empty lines (CRLF) before a start line are skipped (RFC 9112 §2.2), within the head limit.
   - Any token is a method (RFC 9110 §9.1); "*" only with OPTIONS; CONNECT needs host:port
     (checked like Host).
   - HTTP/1.0 and HTTP/1.1 are parsed (HTTP/1.2..1.9 as 1.1); other versions are TN_EBAD_VERSION. */

/* Limits: TORNADO_MAX_HEADER_BYTES, _TARGET_LENGTH, _BODY_BYTES, _CHUNK_LINE, _TRAILER_BYTES
   (config.h); 0 in a parser struct means "use the macro". */

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
   validated (";" token ["=" token / quoted-string], with SP/HTAB allowed around ';' and '='
   as RFC 9112 §7.1.1 says, but not at the end of the line) and discarded. */
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
/* 1 if s is a token (RFC 9110 §5.6.2): one or more of A-Z a-z 0-9 !#$%&'*+-.^_`|~, the
   syntax of field names, methods, transfer codings and cookie names. */
TN_API int tn_http_is_token(tn_str s);
/* 1 if the comma-separated list `value` has the element `token` (case-insensitive; parameters
   after ';' and surrounding whitespace are ignored), else 0. */
TN_API int tn_http_token_list_has(tn_str value, const char *token);
/* 1 if any field named `name` contains the list element `token`, e.g.
   tn_http_header_has_token(h, n, "Connection", "upgrade"). */
TN_API int tn_http_header_has_token(const tn_http_header *headers, size_t num, const char *name, const char *token);

TN__END_DECLS

#endif /* TN_HTTP_PARSE_H */
/* <<http_parse.h  end of src/http_parse.h */

/* ======================================================================== */
/* >>multipart.h  (src/multipart.h)                                         */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/multipart.h"
#endif
/* multipart.h: incremental multipart/form-data (RFC 7578) push parser. */
#ifndef TN_MULTIPART_H
#define TN_MULTIPART_H
/* #include "http_util.h" (inlined above) */

TN__BEGIN_DECLS

/* Limits: TORNADO_MULTIPART_MAX_HEADER_BYTES, TORNADO_MULTIPART_MAX_PARTS (config.h). */
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

#endif /* TN_MULTIPART_H */
/* <<multipart.h  end of src/multipart.h */

/* ======================================================================== */
/* >>http_cookie.h  (src/http_cookie.h)                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_cookie.h"
#endif
/* http_cookie.h: Cookie header parsing, Set-Cookie formatting, Tornado signed values (v2), HTTP Basic auth. */
#ifndef TN_HTTP_COOKIE_H
#define TN_HTTP_COOKIE_H
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

#endif /* TN_HTTP_COOKIE_H */
/* <<http_cookie.h  end of src/http_cookie.h */

/* ======================================================================== */
/* >>ws.h  (src/ws.h)                                                       */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/ws.h"
#endif
/* ws.h: WebSocket (RFC 6455) frame codec, close payloads and handshake helpers, pure (no I/O). */
#ifndef TN_WS_H
#define TN_WS_H
/* #include "base.h" (inlined above) */
/* #include "crypto.h" (inlined above) */
/* #include "http_parse.h" (inlined above) */

#if TN_HAS_WEBSOCKET
TN__BEGIN_DECLS

/* Everything here is a pure function over bytes, usable without the loop (a game or a
   firmware that brings its own sockets): the frame parser takes bytes and gives events,
   the writers fill caller buffers, the handshake helpers read tn_http_header arrays from
   the HTTP parser. Nothing allocates. The codec's policy (what is refused and why) is
   written at the top of ws.c. Errors map to close codes with tn_ws_close_code and to HTTP
   statuses with tn_ws_handshake_status. */

/* Largest message payload by default: TORNADO_MAX_WS_MESSAGE (config.h, 10 MiB) → close 1009. */

#define TN_WS_MAX_HEADER 14        /* longest frame header: 2 + 8 (length) + 4 (mask key) */
#define TN_WS_MAX_CONTROL 125      /* longest control frame payload */
#define TN_WS_KEY_SIZE 24          /* Sec-WebSocket-Key: base64 of 16 bytes, no NUL */
#define TN_WS_ACCEPT_SIZE 28       /* Sec-WebSocket-Accept: base64 of a SHA-1, no NUL */

/* Opcodes (RFC 6455 §5.2). 3-7 and 0xB-0xF are reserved: the parser refuses them. */
enum {
    TN_WS_CONT = 0x0,      /* continuation of a fragmented message */
    TN_WS_TEXT = 0x1,      /* UTF-8 text message */
    TN_WS_BINARY = 0x2,    /* binary message */
    TN_WS_CLOSE = 0x8,     /* close: optional 2-byte code + UTF-8 reason */
    TN_WS_PING = 0x9,      /* ping: answer with a pong carrying the same payload */
    TN_WS_PONG = 0xA       /* pong */
};

/* RSV bits as they sit in the first header byte (extensions claim them). */
enum { TN_WS_RSV1 = 0x40, TN_WS_RSV2 = 0x20, TN_WS_RSV3 = 0x10 };

/* Which side of the connection the parser reads for (RFC 6455 §5.1). */
enum {
    TN_WS_SERVER = 0,      /* default: reads a client's frames, which must be masked */
    TN_WS_CLIENT = 1       /* reads a server's frames, which must not be masked */
};

/* tn_ws_frame: one frame header (a value type). The parser fills it; tn_ws_write_header
   writes one. */
typedef struct tn_ws_frame {
    int fin;                   /* 1: last frame of the message (control frames: always 1) */
    int opcode;                /* TN_WS_CONT, _TEXT, _BINARY, _CLOSE, _PING, _PONG */
    unsigned rsv;              /* TN_WS_RSV1 | _RSV2 | _RSV3 bits, 0 without extensions */
    int masked;                /* 1: the payload is masked with mask[] (client → server) */
    unsigned char mask[4];     /* masking key when masked (write: pick it with tn_random_bytes) */
    uint64_t length;           /* payload bytes (< 2^63) */
} tn_ws_frame;

/* ---- frame parser ----------------------------------------------------------------------- */

/* Parser flags (tn_ws_parser.flags). */
enum {
    TN_WS_NO_UTF8_CHECK = 1u << 0   /* do not validate text messages (the caller does) */
};

/* Event flags (tn_ws_event.flags). */
enum {
    TN_WS_EV_FRAME_START = 1u << 0,  /* first event of a frame: ev.frame is new */
    TN_WS_EV_FRAME_END = 1u << 1,    /* the frame's payload is complete */
    TN_WS_EV_MESSAGE_END = 1u << 2   /* the message is complete (FRAME_END of a FIN frame;
                                        every control frame) */
};

/* tn_ws_parser: an incremental frame parser (a value type: zero-initialise it, set the
   inputs, then feed bytes with tn_ws_parse or tn_ws_parse_into). One parser reads one
   direction of one connection. The zeroed struct is a server's parser with the default
   limit, no extensions and UTF-8 checks on.
     role               TN_WS_SERVER (0): frames must be masked; TN_WS_CLIENT: must not be
     rsv_allowed        RSV bits an extension negotiated (TN_WS_RSV1 for permessage-deflate);
                        accepted only on the first frame of a data message, 0 = none
     flags              TN_WS_NO_UTF8_CHECK
     max_message_size   limit on a message's payload (all its frames), 0 = TORNADO_MAX_WS_MESSAGE
   Inputs may change between messages. Private fields start with '_'. */
typedef struct tn_ws_parser {
    int role;                    /* in: TN_WS_SERVER or TN_WS_CLIENT */
    unsigned rsv_allowed;        /* in: RSV bits an extension claims */
    unsigned flags;              /* in: TN_WS_NO_UTF8_CHECK */
    uint64_t max_message_size;   /* in: 0 = TORNADO_MAX_WS_MESSAGE */
    tn_ws_frame _frame;          /* private: the current frame */
    uint64_t _left;              /* payload bytes of the current frame still to come */
    uint64_t _msg_len;           /* payload bytes of the open data message so far */
    int _state;
    int _err;                    /* sticky error */
    int _msg_opcode;             /* TEXT/BINARY while a data message is open, else 0 */
    unsigned _msg_rsv;           /* RSV bits of the open message's first frame */
    tn_utf8_state _utf8;         /* text validation across frames and calls */
    unsigned char _hlen;         /* header bytes gathered in _hdr */
    unsigned char _clen;         /* control payload bytes gathered in _ctl */
    unsigned char _hdr[TN_WS_MAX_HEADER];
    unsigned char _ctl[TN_WS_MAX_CONTROL];
} tn_ws_parser;

/* tn_ws_event: what one tn_ws_parse call found (a value type).
   A data frame gives one event with TN_WS_EV_FRAME_START as soon as its header is complete
   (carrying whatever payload followed it, possibly none), then one event per further piece
   of payload as bytes arrive; the last has TN_WS_EV_FRAME_END. A control frame gives exactly
   one event with its whole payload and FRAME_START | FRAME_END | MESSAGE_END. */
typedef struct tn_ws_event {
    tn_ws_frame frame;           /* header of the frame this event belongs to */
    int opcode;                  /* the message's opcode: TEXT or BINARY for data frames
                                    (continuations report their message's), else the
                                    control opcode */
    unsigned rsv;                /* RSV bits of the message's first frame (compressed
                                    messages: TN_WS_RSV1) */
    unsigned flags;              /* TN_WS_EV_* */
    tn_str data;                 /* payload piece, unmasked (may be empty) */
    uint64_t offset;             /* offset of data in the frame's payload */
    uint64_t message_offset;     /* offset of data in the message's payload (data frames) */
} tn_ws_event;

/* Parse frames from buf[0..len), unmasking payload in place (buf is modified).
   Any split of the input works: a partial header is kept in the parser, payload is handed
   out as it arrives, and the mask phase carries over. Call in a loop until it returns
   TN_EINCOMPLETE: each positive return is one event.
   Text messages without RSV bits are checked as UTF-8 piece by piece (failing at the first
   bad byte, across frames and calls); messages with RSV bits (compressed) are not: check
   them after decoding with tn_utf8_feed. Control payloads are gathered in the parser and
   delivered whole.
   Returns: bytes consumed (> 0) with *ev filled; TN_EINCOMPLETE: all len bytes were taken
   (kept in the parser or delivered earlier), no event, call again with the next bytes; or
   an error, after which the parser keeps returning it:
     TN_EWS_PROTOCOL   reserved opcode, RSV bit not claimed, unmasked client frame or masked
                       server frame, control frame fragmented or over 125 bytes, non-minimal
                       or >= 2^63 length, continuation without a message, data frame inside
                       a fragmented message                                         (→ 1002)
     TN_EWS_TOO_BIG    the message would exceed max_message_size, seen at the frame
                       header before its payload arrives                            (→ 1009)
     TN_EWS_BAD_UTF8   invalid UTF-8 in a text message                              (→ 1007)
   Lifetime: ev->data points into buf, or into the parser for control frames (valid until
   the next call on the parser). */
TN_API int tn_ws_parse(tn_ws_parser *p, char *buf, size_t len, tn_ws_event *ev);

/* As tn_ws_parse, but the input is left untouched and payload is unmasked into
   out[0..cap): ev->data points into out (control frames: into the parser). At most cap
   payload bytes are taken per call, so a return value can be less than len with more
   payload pending: call again with the rest (and an emptied out).
   Returns: as tn_ws_parse, plus TN_EBUFFER_FULL (cap is 0 while payload is pending; not
   sticky). */
TN_API int tn_ws_parse_into(tn_ws_parser *p, const char *in, size_t len, char *out, size_t cap,
                            tn_ws_event *ev);

/* Start over (a new connection): clears everything but the inputs. */
TN_API void tn_ws_parser_reset(tn_ws_parser *p);

/* The close code an endpoint should send after a codec or decoding error: 1002
   (TN_EWS_PROTOCOL), 1007 (TN_EWS_BAD_UTF8, TN_EBAD_ENCODING), 1009 (TN_EWS_TOO_BIG), 1011
   (any other error: an unexpected condition); 0 for TN_OK, TN_EINCOMPLETE and positive
   values. */
TN_API int tn_ws_error_close_code(int code);

/* ---- frame writing ---------------------------------------------------------------------- */

/* Size of the header tn_ws_write_header writes for a payload of `length` bytes (2..14). */
TN_API size_t tn_ws_header_size(uint64_t length, int masked);

/* Write f's header into out[0..cap): FIN, RSV, opcode, the shortest length encoding, and
   the mask key when f->masked. The payload follows it; mask it with tn_ws_mask (or
   tn_ws_mask_copy) using the same key and phase 0.
   Returns: bytes written (2..14; TN_WS_MAX_HEADER always suffices); TN_EINVAL (reserved
   opcode, RSV bits outside 0x70, length >= 2^63, a control frame without fin or with more
   than 125 bytes); TN_EBUFFER_FULL (nothing written). */
TN_API int tn_ws_write_header(char *out, size_t cap, const tn_ws_frame *f);

/* XOR data[0..n) with the masking key in place (masking and unmasking are the same).
   phase: offset of data[0] in the frame's payload (only its low two bits matter), so a
   payload can be masked in pieces. SSE2 when the compiler offers it, else 8 bytes at a
   time. */
TN_API void tn_ws_mask(char *data, size_t n, const unsigned char key[4], uint64_t phase);
/* Masked copy: dst[i] = src[i] ^ key[(phase + i) & 3] for i < n. dst and src may be the
   same pointer but must not otherwise overlap. */
TN_API void tn_ws_mask_copy(char *dst, const char *src, size_t n, const unsigned char key[4], uint64_t phase);

/* ---- close frames (RFC 6455 §5.5.1, §7.4) -----------------------------------------------
   Valid codes on the wire: 1000-1003, 1007-1014 (1012-1014 are IANA-registered) and
   3000-4999. 1004 is reserved; 1005, 1006 and 1015 are never sent; 1016-2999 are
   unassigned; others are out of range. */

/* 1 if `code` may appear in a close frame, else 0. */
TN_API int tn_ws_close_code_valid(int code);

/* Build a close payload: the code (network order) and the reason, into out[0..cap).
   code 0 means "no code": an empty payload (the reason must then be empty too).
   Returns: bytes written (0, or 2 + reason_len <= 125); TN_EINVAL (invalid code, a reason
   without a code, reason_len > 123); TN_EBAD_ENCODING (reason not UTF-8); TN_EBUFFER_FULL
   (nothing written; 125 bytes always suffice). */
TN_API int tn_ws_close_payload(char *out, size_t cap, int code, const char *reason, size_t reason_len);

/* Validate a received close payload and split it. An empty payload gives *code = 1005 (no
   status received) and an empty reason.
   Returns: TN_OK; TN_EWS_PROTOCOL (1 byte, over 125 bytes, or an invalid code: answer
   1002); TN_EWS_BAD_UTF8 (reason not UTF-8: answer 1007). *reason points into payload. */
TN_API int tn_ws_close_parse(const char *payload, size_t len, int *code, tn_str *reason);

/* ---- opening handshake (RFC 6455 §4) ---------------------------------------------------- */

/* Flags for tn_ws_check_request. */
enum {
    TN_WS_ANY_ORIGIN = 1u << 0   /* skip the same-origin check (the caller checks Origin) */
};

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)).
   out receives 28 characters and a NUL. */
TN_API void tn_ws_accept_key(tn_str key, char out[TN_WS_ACCEPT_SIZE + 1]);

/* Validate a server-side upgrade request (method, HTTP version 10/11 and header fields as
   tn_http_parse_request gives them). Checked in this order:
     - GET, HTTP/1.1, an Upgrade list containing "websocket" and a Connection list
       containing "upgrade" (case-insensitive)                       else TN_EWS_HANDSHAKE
     - Sec-WebSocket-Version: 13 (absent or anything else)          else TN_EWS_VERSION
       (answer 426 with "Sec-WebSocket-Version: 13")
     - exactly one Sec-WebSocket-Key that base64-decodes to 16 bytes else TN_EWS_HANDSHAKE
     - unless flags has TN_WS_ANY_ORIGIN: an Origin field, when present, names the same
       host[:port] as Host (Tornado's check_origin; no Origin = allowed) else TN_EWS_ORIGIN
   *key (may be NULL) receives the key on success (a slice of the header value), for
   tn_ws_accept_key. Map errors to statuses with tn_ws_handshake_status. */
TN_API int tn_ws_check_request(tn_str method, int http_version, const tn_http_header *headers, size_t num,
                               unsigned flags, tn_str *key);

/* The same-origin check alone: TN_OK when there is no Origin field or its host[:port]
   equals Host (ASCII case-insensitive; "null" and other opaque origins never match), else
   TN_EWS_ORIGIN. */
TN_API int tn_ws_check_origin(const tn_http_header *headers, size_t num);

/* The HTTP status for a handshake error: 400 (TN_EWS_HANDSHAKE and other errors), 426
   (TN_EWS_VERSION), 403 (TN_EWS_ORIGIN); 0 for TN_OK. */
TN_API int tn_ws_handshake_status(int code);

/* The subprotocols a client offers: every element of every Sec-WebSocket-Protocol field,
   in order, into out[0..max) as slices of the header values; *count gets the number.
   Empty list elements are skipped.
   Returns: TN_OK; TN_EWS_HANDSHAKE (an element that is not a token, anywhere in the
   list); TN_ELIMIT (a well-formed list of more than max elements; out holds the first max). */
TN_API int tn_ws_parse_protocols(const tn_http_header *headers, size_t num, tn_str *out, size_t max,
                                 size_t *count);

/* Pick a subprotocol: the first one the client offers (its order of preference) that is
   in supported[0..nsupported) (exact, case-sensitive match). *chosen points into the
   header value. Returns: TN_OK; TN_ENOENT (none in common, or none offered: go on without
   Sec-WebSocket-Protocol, as Tornado does); TN_EWS_HANDSHAKE (malformed list). */
TN_API int tn_ws_select_protocol(const tn_http_header *headers, size_t num, const char *const *supported,
                                 size_t nsupported, tn_str *chosen);

/* tn_ws_extension: one offer or answer of Sec-WebSocket-Extensions (RFC 6455 §9.1), not
   acted upon: name and its raw parameter text, walked with tn_ws_ext_param_next. */
typedef struct tn_ws_extension {
    tn_str name;                 /* e.g. "permessage-deflate" */
    tn_str params;               /* "; a=1; b" after the name, as received (may be empty) */
} tn_ws_extension;

/* Every extension of every Sec-WebSocket-Extensions field, in order, into out[0..max);
   *count gets the number. Syntax is checked: extension = token *( ";" token [ "=" (token
   | quoted-string) ] ), elements separated by commas, whitespace around delimiters.
   Returns: TN_OK; TN_EWS_HANDSHAKE (malformed anywhere); TN_ELIMIT (well-formed but more
   than max; out holds the first max). */
TN_API int tn_ws_parse_extensions(const tn_http_header *headers, size_t num, tn_ws_extension *out,
                                  size_t max, size_t *count);

/* Next parameter of an extension: *rest starts as ext.params and advances. *name is the
   parameter name, *value its value without quotes (empty when the parameter has none).
   Returns 1, or 0 at the end. Only for params from tn_ws_parse_extensions (validated). */
TN_API int tn_ws_ext_param_next(tn_str *rest, tn_str *name, tn_str *value);

/* Client: a fresh Sec-WebSocket-Key (16 random bytes from tn_random_bytes, base64) into
   out: 24 characters and a NUL. Returns TN_OK or the random source's error. */
TN_API int tn_ws_client_key(char out[TN_WS_KEY_SIZE + 1]);

/* Client: validate the server's answer to a handshake sent with `key`: status 101, an
   Upgrade list containing "websocket", a Connection list containing "upgrade", exactly one
   Sec-WebSocket-Accept equal to tn_ws_accept_key(key). Whether Sec-WebSocket-Protocol and
   Sec-WebSocket-Extensions name only what was offered is the caller's check (parse them
   with the functions above). Returns: TN_OK; TN_EWS_HANDSHAKE. */
TN_API int tn_ws_check_response(int status, const tn_http_header *headers, size_t num, tn_str key);

TN__END_DECLS
#endif /* TN_HAS_WEBSOCKET */

#endif /* TN_WS_H */
/* <<ws.h  end of src/ws.h */

/* ======================================================================== */
/* >>http_server.h  (src/http_server.h)                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_server.h"
#endif
/* http_server.h: HTTP/1.1 server: keep-alive, pipelining, 100-continue, bodies, limits, timeouts. */
#ifndef TN_HTTP_SERVER_H
#define TN_HTTP_SERVER_H
/* #include "tcp.h" (inlined above) */
/* #include "http_parse.h" (inlined above) */

#if TN_HAS_HTTP_SERVER
TN__BEGIN_DECLS

/* tn_http_server: Tornado's HTTPServer. Each request is handed to the request callback
   once its head and (buffered) body are in; the handler answers with tn_respond, or streams
   with tn_response_start / tn_response_write / tn_response_finish, now or later (async).
   Requests on one connection are answered in order (pipelining); a connection is reused
   (keep-alive) unless the request or no_keep_alive says otherwise.

   Bad input never reaches the handler: malformed requests get 400, an over-long target 414,
   an over-large head or too many fields 431, a body over max_body_size 413, an unsupported
   transfer coding 501, an HTTP/1.1 request without exactly one Host 400; then the
   connection closes. */
typedef struct tn_http_server tn_http_server;
typedef struct tn_request tn_request;

/* The request is ready (head and buffered body), or (on_headers) its head is. */
typedef void (*tn_request_cb)(tn_request *req, void *user);
/* A streamed request body chunk: status TN_MORE with data, then TN_OK (empty) at the end,
   or an error (TN_ECLOSED, TN_ETIMEOUT, TN_EBODY_TOO_LARGE, TN_EBAD_CHUNK, ...), exactly
   once, after which no call follows and the connection closes (no response can be sent).
   data is borrowed until the callback returns. */
typedef void (*tn_body_cb)(tn_request *req, int status, tn_str data, void *user);
/* A streamed response write went to the socket (TN_OK) or the connection closed first. */
typedef void (*tn_response_cb)(tn_request *req, int status, void *user);
/* One call per finished request, like Tornado's log_request: the status sent, the body
   bytes written (chunk framing not counted), and the microseconds from the request's
   first byte to its response being queued. Error replies the server sends itself (400,
   405, 413, 414, 431, 503, ...) are logged too, with whatever of the request was parsed
   (method and target may be empty); a connection that could not get a request object
   (out of memory), timed out, or closed before a response is not logged. */
typedef void (*tn_access_log_cb)(const tn_request *req, int status, uint64_t body_bytes, uint64_t usec, void *user);

/* tn_http_server_opts: zero-init gives the defaults.
     tcp                 listening sockets, max_connections, stream buffers
     max_header_size     0 = TORNADO_MAX_HEADER_BYTES (64 KiB): larger heads get 431
     max_headers         0 = TORNADO_MAX_HEADERS (100): more fields get 431
     max_target_length   0 = TORNADO_MAX_TARGET_LENGTH (8 KiB): longer targets get 414
     max_body_size       0 = TORNADO_MAX_BODY_BYTES (100 MiB): larger bodies get 413
     idle_connection_timeout_ms
                         0 = TORNADO_HTTP_IDLE_TIMEOUT_MS (3600 s, Tornado's
                         idle_connection_timeout): a keep-alive connection waiting for its
                         next request is closed after this long. (Not tcp.stream.idle_timeout_ms,
                         the stream's own timer, which counts time without any byte moving
                         whatever the connection is doing; it is off by default.)
     header_timeout_ms   0 = TORNADO_HTTP_HEADER_TIMEOUT_MS (30 s): a head must arrive whole
                         within this long of its first byte (slowloris)
     body_timeout_ms     0 = none: the body must arrive within this long of the head
                         (these three are clamped to 2^31 - 1 ms, ~24.8 days)
     no_keep_alive       1: one request per connection
     xheaders            1: trust X-Real-Ip / X-Forwarded-For (last entry) and
                         X-Forwarded-Proto / X-Scheme from a fronting proxy
     server_header       NULL = "tornado.h/<version>"; "" = no Server header
     on_headers          optional: runs when a head has arrived, before its body; may call
                         tn_request_stream_body to take the body in chunks
     access_log          optional: one call per finished request, error replies included
     tls                 NULL = plain http; else a server TLS context (tn_tls_ctx_new with
                         TORNADO_WITH_OPENSSL): https on every address the server listens
                         on, requests say protocol "https" (the same as tcp.tls) */
typedef struct tn_http_server_opts {
    tn_tcp_server_opts tcp;
    size_t max_header_size;
    size_t max_headers;
    size_t max_target_length;
    uint64_t max_body_size;
    uint64_t idle_connection_timeout_ms;
    uint64_t header_timeout_ms;
    uint64_t body_timeout_ms;
    int no_keep_alive;
    int xheaders;
    const char *server_header;
    tn_request_cb on_headers;
    tn_access_log_cb access_log;
    void *access_log_user;
    tn_tls_ctx *tls;
} tn_http_server_opts;

/* Create a server; on_request runs for every complete request. opts may be NULL.
   Returns TN_OK, TN_EINVAL, TN_ENOMEM. */
TN_API int tn_http_server_new(tn_loop *loop, const tn_http_server_opts *opts, tn_request_cb on_request,
                              void *user, tn_http_server **out);
/* Listen on host:port (see tn_bind_sockets), a unix socket, or an adopted socket. */
TN_API int tn_http_server_listen(tn_http_server *srv, const char *host, int port);
TN_API int tn_http_server_listen_unix(tn_http_server *srv, const char *path, int mode);
TN_API int tn_http_server_add_socket(tn_http_server *srv, tn_socket fd);
/* The port of the first listening socket (-1 if none). */
TN_API int tn_http_server_port(const tn_http_server *srv);
/* Open connections. */
TN_API size_t tn_http_server_connections(const tn_http_server *srv);
/* Graceful shutdown: stop accepting; idle connections close now; requests in flight may
   finish until deadline_ms from now (0 = no deadline), after which their connections are
   closed; then cb (may be NULL) runs and the server is freed. Returns TN_OK or TN_ECLOSED. */
TN_API int tn_http_server_close(tn_http_server *srv, uint64_t deadline_ms, tn_cb cb, void *user);
TN_API const tn_http_server_opts *tn_http_server_get_opts(const tn_http_server *srv);
TN_API tn_loop *tn_http_server_loop(const tn_http_server *srv);

/* ---- the request ----
   Every tn_str returned here points into memory the request owns: valid until the response
   is finished (or the request's close callback has run). */
TN_API tn_str tn_request_method(const tn_request *req);
TN_API tn_str tn_request_target(const tn_request *req);    /* as received: path?query */
TN_API tn_str tn_request_path(const tn_request *req);      /* target up to '?' (raw, escaped) */
TN_API tn_str tn_request_query(const tn_request *req);     /* after '?', empty if none */
TN_API int tn_request_version(const tn_request *req);      /* 10 or 11 */
/* All fields in received order; *n gets the count. */
TN_API const tn_http_header *tn_request_headers(const tn_request *req, size_t *n);
/* The first field named name (case-insensitive). Returns TN_OK or TN_ENOENT. */
TN_API int tn_request_header(const tn_request *req, const char *name, tn_str *value);
/* The buffered body (empty while streaming or when there is none). */
TN_API tn_str tn_request_body(const tn_request *req);
/* The client's IP ("127.0.0.1", "::1"; "unix" for unix sockets), after xheaders. Asked
   of the socket on first use (idle connections do not store it): "" if the client was
   already gone then. */
TN_API const char *tn_request_remote_ip(const tn_request *req);
/* "https" when the request came over TLS, else "http" (xheaders may say https). */
TN_API const char *tn_request_protocol(const tn_request *req);
/* The peer's socket address (IP and port; family only for unix sockets).
   Returns TN_OK or TN_ECLOSED (the client is gone). */
TN_API int tn_request_peer(const tn_request *req, tn_addr *out);
TN_API tn_http_server *tn_request_server(const tn_request *req);
/* The connection's stream (borrowed; NULL once the client is gone), to inspect it: TLS
   details and the verified client certificate (tn_stream_tls_info,
   tn_stream_tls_peer_subject), the peer. Reading from or writing to it is the server's
   business: use tn_request_detach to take it over. */
TN_API tn_stream *tn_request_stream(const tn_request *req);
TN_API void tn_request_set_user(tn_request *req, void *user);
TN_API void *tn_request_get_user(const tn_request *req);
/* Runs if the connection closes before the response is finished (the client left, a
   timeout, shutdown). After it returns the request is gone: do not touch it again.
   A handler that answers asynchronously should set one. */
TN_API void tn_request_set_close_cb(tn_request *req, tn_request_cb cb, void *user);
/* The close callback set now (e.g. to chain it: a layer that takes the close callback over
   for a while and calls the previous one). */
TN_API void tn_request_get_close_cb(const tn_request *req, tn_request_cb *cb, void **user);
/* Runs once when the handler's part ends: the response was finished (tn_respond,
   tn_response_finish), the request was detached, or a response call found the client gone
   (TN_ECLOSED). It runs inside that call, just before the request is released (Tornado's
   on_finish). Exactly one of the close and finish callbacks runs for a dispatched request. */
TN_API void tn_request_set_finish_cb(tn_request *req, tn_request_cb cb, void *user);
/* From on_headers only: deliver the body in chunks to cb instead of buffering it.
   Returns TN_OK, TN_EINVAL (not in on_headers), TN_EBUSY (already streaming). */
TN_API int tn_request_stream_body(tn_request *req, tn_body_cb cb, void *user);
/* Flow control for a streamed body: stop reading / read again. */
TN_API void tn_request_pause(tn_request *req);
TN_API void tn_request_resume(tn_request *req);

/* ---- the response ----
   The server keeps the response headers (one store for the server and the web layer).
   Header names must be tokens and values free of control characters (no response
   splitting): otherwise TN_EINVAL. Date and Server are added. Framing is the server's:
   Content-Length and Transfer-Encoding follow from tn_respond's length or
   tn_response_start's content_length, and setting them is refused (TN_EINVAL and a warning
   in the loop's log); "Connection: close" makes this the connection's last response (the
   server writes the one Connection line), "Connection: Upgrade" is sent with a 101 only,
   and other Connection values are refused.

   When the client is gone, every response call (tn_respond, tn_response_start,
   tn_response_write, tn_response_finish, tn_request_detach) follows one rule: it returns
   TN_ECLOSED and the request is released (the finish callback runs; the close callback
   does not): do not touch the request again. */
/* Set (replace) / add a response header before the response starts. */
TN_API int tn_response_set_header(tn_request *req, const char *name, const char *value);
TN_API int tn_response_add_header(tn_request *req, const char *name, const char *value);
/* The first value set for name (borrowed: valid until headers change). TN_OK or TN_ENOENT. */
TN_API int tn_response_get_header(const tn_request *req, const char *name, tn_str *value);
/* Remove every header set so far except those named keep (NULL: all), e.g. an error page
   that keeps the Set-Cookie lines. Returns TN_OK or TN_EINVAL (started). */
TN_API int tn_response_clear_headers(tn_request *req, const char *keep);
/* A reason phrase other than the standard one for the status (before the response starts;
   at most 63 bytes, no control characters). Returns TN_OK or TN_EINVAL. */
TN_API int tn_response_set_reason(tn_request *req, const char *reason);
/* Remove every header of that name set so far. Returns TN_OK or TN_ENOENT. */
TN_API int tn_response_clear_header(tn_request *req, const char *name);
/* The whole response in one call: status line, headers, body (copied), finished.
   content_type may be NULL (no Content-Type). HEAD requests get the head only.
   Returns TN_OK, TN_EINVAL, TN_EBUSY (already started), TN_ECLOSED (client gone: the
   request is released), TN_ENOMEM. */
TN_API int tn_respond(tn_request *req, int status, const char *content_type, const void *body, size_t len);
/* An error response with Tornado's default page ("<html><title>404: Not Found</title>
   <body>404: Not Found</body></html>", text/html); reason NULL = the standard phrase.
   Returns as tn_respond. */
TN_API int tn_respond_error(tn_request *req, int status, const char *reason);
/* Start a streamed response: content_length >= 0 sends Content-Length; -1 streams with
   chunked coding (HTTP/1.1) or until close (HTTP/1.0). */
TN_API int tn_response_start(tn_request *req, int status, int64_t content_length);
/* Write body bytes (copied). cb (may be NULL) runs when they reached the socket: wait for
   it before writing more to bound memory (backpressure). */
TN_API int tn_response_write(tn_request *req, const void *data, size_t len, tn_response_cb cb, void *user);
/* Finish the response; the request is released (do not touch it again). Returns TN_OK,
   TN_EINVAL (not started, or fewer bytes than Content-Length), TN_ECLOSED. */
TN_API int tn_response_finish(tn_request *req);
/* Take the connection over (protocol upgrade, e.g. WebSocket): after a 101 response was
   sent with tn_response_start(req, 101, 0) + tn_response_finish, or instead of any response.
   The stream is yours from now on (close it when done); bytes the client sent after the
   head are still buffered in it, ready for your first read. The request is released.
   Returns TN_OK, TN_EINVAL (a response is half written), TN_ECLOSED (client gone). */
TN_API int tn_request_detach(tn_request *req, tn_stream **stream);

TN__END_DECLS
#endif /* TN_HAS_HTTP_SERVER */

#endif /* TN_HTTP_SERVER_H */
/* <<http_server.h  end of src/http_server.h */

/* ======================================================================== */
/* >>http_client.h  (src/http_client.h)                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_client.h"
#endif
/* http_client.h: async HTTP/1.1 client: fetch, keep-alive pool, redirects, timeouts, streaming, proxies. */
#ifndef TN_HTTP_CLIENT_H
#define TN_HTTP_CLIENT_H
/* #include "tcp.h" (inlined above) */
/* #include "http_parse.h" (inlined above) */

#if TN_HAS_HTTP_CLIENT
TN__BEGIN_DECLS

/* Tornado's AsyncHTTPClient, with what its simple client leaves out: keep-alive
   connections are pooled per scheme/host/port (and proxy), and HTTP proxies are spoken to
   (absolute-form requests for http://, CONNECT tunnels for https:// or on request).

   A fetch answers exactly once through its callback with a tn_http_fetch_res: the HTTP
   response, or code 599 ("no HTTP response") with an error code and message naming what
   went wrong (connection refused, resolve failure, "Timeout in request queue", "Timeout
   while connecting", "Timeout during request", a framing error, a limit, ...).

   Response framing follows the strict parser (http_parse.h) with the duties RFC 9112
   gives a user agent: an obs-fold in a response header is replaced by spaces (§5.2),
   bodies delimited by close are read to EOF, HEAD/1xx/204/304 have no body, interim 1xx
   responses are skipped (100 Continue releases an expect_100_continue body). Conflicting
   framing (Content-Length with Transfer-Encoding, two different lengths, bad chunk sizes)
   fails the fetch; it is never guessed at.

   Pool safety: a connection goes back to the pool only after its whole response was read
   and neither side said Connection: close. A request whose pooled connection turns out to
   be closed before any response byte is sent again once on a fresh connection, if it is
   idempotent (GET, HEAD, PUT, DELETE, OPTIONS, TRACE) and its body is not produced.

   A fetch in a few lines (the callback runs from the loop, exactly once):

       static void done(tn_http_fetch *f, const tn_http_fetch_res *res, void *user) {
           (void)f; (void)user;
           if (res->error) printf("%d %s\n", res->code, res->error_msg);   // 599 + why
           else printf("%d, %zu bytes\n", res->code, res->body.len);
       }
       ...
       tn_http_client *cl;
       tn_http_fetch_req req = {0};                 // C++: tn_http_fetch_req req = {};
       tn_http_client_new(loop, NULL, &cl);         // NULL options = Tornado's defaults
       req.url = "http://127.0.0.1:8888/hello";
       tn_http_client_fetch(cl, &req, done, NULL, NULL);

   https:// needs TORNADO_WITH_OPENSSL (without it such fetches fail with TN_ENOTSUP, "TLS
   not built in"); certificates are verified unless a request sets no_validate_cert.
   decompress_response (on unless a request sets no_decompress, as in Tornado) sends
   Accept-Encoding: gzip, deflate and decodes such bodies with the DEFLATE module: the
   response's body (or each streamed chunk) is the decoded bytes and Content-Encoding is
   renamed X-Consumed-Content-Encoding (Tornado's rename). "deflate" is zlib, or raw
   DEFLATE when the first two bytes are no zlib header (servers that send that exist;
   browsers and curl accept it too). max_body_size applies to the decoded size (a bomb
   stops at the cap: TN_EBODY_TOO_LARGE, no memory beyond it); corrupt or truncated data is
   a 599 whose message names the coding and the inflater's reason. The decoder (about
   62 KiB) comes from the loop's allocator once per coded response; streamed bodies are
   handed out in pieces of at most 16 KiB, all of one read's pieces before a pause takes
   effect. With TORNADO_NO_DEFLATE nothing is decoded and no Accept-Encoding is sent. */

/* Defaults: TORNADO_HTTP_CLIENT_MAX_CLIENTS, _TIMEOUT_MS, _MAX_REDIRECTS, _POOL_IDLE_MS (config.h). */

typedef struct tn_http_client tn_http_client;
typedef struct tn_http_fetch tn_http_fetch;

/* tn_http_client_opts: zero-init gives Tornado's defaults.
     max_clients         0 = TORNADO_HTTP_CLIENT_MAX_CLIENTS (10): fetches in flight; more
                         wait in a queue, and the wait counts toward request_timeout
     max_header_size     0 = TORNADO_MAX_HEADER_BYTES (64 KiB): a response head
     max_headers         0 = TORNADO_MAX_HEADERS (100): fields in a response head
     max_buffer_size     0 = TORNADO_MAX_BUFFER_SIZE (100 MB): most bytes buffered per
                         connection (a whole response without streaming_callback)
     max_body_size       0 = max_buffer_size: a response body; without streaming_callback
                         the smaller of the two applies (Tornado)
     pool_idle_timeout_ms 0 = TORNADO_HTTP_CLIENT_POOL_IDLE_MS (60 s)
     pool_max_idle_per_host 0 = max_clients: idle connections kept per scheme/host/port
     no_keep_alive       1: send Connection: close and never pool (Tornado's simple client)
     resolver            NULL = blocking getaddrinfo; its override table is Tornado's
                         hostname_mapping (tn_resolver_add_override). Not owned.
     headers, num_headers  default request headers (copied), sent unless a request sets
                         a field of the same name
     user_agent          NULL = no User-Agent unless a request sets one (Tornado)
     proxy_host, proxy_port, proxy_username, proxy_password
                         a client-wide HTTP proxy (port 0 = 8080); a request's own
                         proxy_host wins
     tls                 NULL = a verifying client context made on first use (the system
                         trust store, ALPN "http/1.1"); else this client context for
                         https:// (in-memory CAs, client certificates, versions: see
                         tn_tls_opts). The client keeps a reference. A request's
                         no_validate_cert, ca_certs or client_cert make a context of their
                         own instead (cached: one at a time). Needs TORNADO_WITH_OPENSSL. */
typedef struct tn_http_client_opts {
    size_t max_clients;
    size_t max_header_size;
    size_t max_headers;
    size_t max_buffer_size;
    uint64_t max_body_size;
    uint64_t pool_idle_timeout_ms;
    size_t pool_max_idle_per_host;
    int no_keep_alive;
    tn_resolver *resolver;
    const tn_http_header *headers;
    size_t num_headers;
    const char *user_agent;
    const char *proxy_host;
    int proxy_port;
    const char *proxy_username;
    const char *proxy_password;
    tn_tls_ctx *tls;
} tn_http_client_opts;

/* Streaming callback: a piece of the final response's body, in order (redirect hops are
   not shown). chunk is borrowed: valid until the callback returns. Call
   tn_http_fetch_pause(f) here to stop reading (backpressure) until tn_http_fetch_resume. */
typedef void (*tn_http_chunk_cb)(tn_http_fetch *f, tn_str chunk, void *user);
/* Header callback: each raw line of the final response head, the status line first and the
   empty line "\r\n" last, each with its CRLF (Tornado's header_callback). Borrowed. */
typedef void (*tn_http_line_cb)(tn_http_fetch *f, tn_str line, void *user);
/* Body producer: called when the request is ready for (more) body: once the head is sent
   (after 100 Continue with expect_100_continue), then each time everything written so far
   has gone to the kernel. It writes with tn_http_fetch_write (any amount, copied) and ends
   with tn_http_fetch_write_end. A producer that has nothing yet returns without writing
   and calls tn_http_fetch_write later; it is called again once that write has gone out. */
typedef void (*tn_http_producer_cb)(tn_http_fetch *f, void *user);

/* tn_http_fetch_req: one request (a value type; zero-init, then set url). Strings,
   headers and body are copied by tn_http_client_fetch: they need not outlive the call.
     url                  "http://user:pass@host:port/path?query" (the fragment is not sent)
     method               NULL = "GET". POST, PUT and PATCH need a body (empty is fine),
                          other methods must not have one, and methods other than GET,
                          HEAD, POST, PUT, DELETE, PATCH and OPTIONS are refused, unless
                          allow_nonstandard_methods (Tornado)
     headers, num_headers fields sent in order (repeatable); Host, Content-Length,
                          Transfer-Encoding and Connection are the client's unless set here
     body                 has_body or body.len > 0: this body, with Content-Length
     has_body             1: send body even when it is empty (Content-Length: 0)
     body_producer        stream the body (see tn_http_producer_cb): sent as is when headers
                          carry a Content-Length, else with chunked transfer coding
     auth_username, auth_password   Basic authorization (else the URL's userinfo)
     connect_timeout_ms   0 = 20 s: resolve + connect (+ proxy tunnel)
     request_timeout_ms   0 = 20 s: the whole fetch, time queued behind max_clients included
     if_modified_since    0 = none; else Unix seconds, sent as If-Modified-Since
     no_follow_redirects  1: a 3xx is the answer (Tornado: follow_redirects=False)
     max_redirects        0 = TORNADO_HTTP_CLIENT_MAX_REDIRECTS (5); < 0: none
     user_agent           NULL = the client's
     no_decompress        1: do not ask for compressed bodies and pass any as sent (Tornado:
                          decompress_response True by default; see above)
     streaming_callback   body chunks as they arrive; the response's body is then empty
     header_callback      each raw header line of the final response
     expect_100_continue  send Expect: 100-continue and the body only after 100
     no_ipv6              1: IPv4 only (Tornado: allow_ipv6 True by default)
     source_ip            NULL = any: the local address to connect from
     allow_nonstandard_methods  no checks on the method and the body
     no_validate_cert     1: https:// without verifying the server's certificate or name.
                          Anyone on the path can then read and change the exchange: for
                          tests against self-signed servers only (Tornado: validate_cert)
     ca_certs             NULL = the client's context (the system store); else a PEM file
                          of CAs to trust instead
     client_cert, client_key  PEM files: a client certificate for mutual TLS (the key may
                          sit in the cert file); https:// connections carrying these are
                          pooled apart from others
     proxy_host, proxy_port, proxy_username, proxy_password  an HTTP proxy for this request
                          (port 0 = 8080; NULL host = the client's proxy)
     no_proxy             1: no proxy, not even the client's
     proxy_tunnel         1: CONNECT tunnel for http:// too (https:// always tunnels) */
typedef struct tn_http_fetch_req {
    const char *url;
    const char *method;
    const tn_http_header *headers;
    size_t num_headers;
    tn_str body;
    int has_body;
    tn_http_producer_cb body_producer;
    void *producer_user;
    const char *auth_username;
    const char *auth_password;
    uint64_t connect_timeout_ms;
    uint64_t request_timeout_ms;
    int64_t if_modified_since;
    int no_follow_redirects;
    int max_redirects;
    const char *user_agent;
    int no_decompress;
    tn_http_chunk_cb streaming_callback;
    void *streaming_user;
    tn_http_line_cb header_callback;
    void *header_user;
    int expect_100_continue;
    int no_ipv6;
    const char *source_ip;
    int allow_nonstandard_methods;
    int no_validate_cert;
    const char *ca_certs;
    const char *client_cert;
    const char *client_key;
    const char *proxy_host;
    int proxy_port;
    const char *proxy_username;
    const char *proxy_password;
    int no_proxy;
    int proxy_tunnel;
} tn_http_fetch_req;

/* The answer code when there is no HTTP response (Tornado's convention). */
#define TN_HTTP_NO_RESPONSE 599

/* tn_http_fetch_res: what a fetch got. Every pointer is borrowed: valid until the fetch
   callback returns (tn_http_fetch_sync hands out an owned copy).
     code          the final response's status, or 599 (no complete HTTP response)
     error         TN_OK when a whole response arrived; else why not: TN_EREFUSED,
                   TN_ERESOLVE, TN_ETIMEOUT, TN_ECANCELED, TN_ENOTSUP (https without TLS),
                   a framing code (TN_EBAD_CONTENT_LENGTH, TN_EBAD_CHUNK, ...),
                   TN_EHEADER_TOO_LARGE, TN_EBODY_TOO_LARGE, TN_EEOF (truncated), ...
                   With code 3xx and TN_ELIMIT: max_redirects was reached (the last 3xx
                   and its headers are here).
     error_msg     a sentence for error ("Timeout while connecting", ...); "" when TN_OK
     reason, version, headers (received order, repeated fields kept), effective_url
                   (after redirects), body (empty with streaming_callback)
     redirects     redirects followed; reused: the final request went on a pooled connection
     time_*_us     microseconds from the fetch call: queue (until it got a slot), connect
                   (time spent connecting, 0 on a pooled connection), first_byte (until the
                   first byte of the final response), total (request_time) */
typedef struct tn_http_fetch_res {
    int code;
    int error;
    const char *error_msg;
    tn_str reason;
    int version;
    const tn_http_header *headers;
    size_t num_headers;
    tn_str effective_url;
    tn_str body;
    int redirects;
    int reused;
    uint64_t time_queue_us;
    uint64_t time_connect_us;
    uint64_t time_first_byte_us;
    uint64_t time_total_us;
} tn_http_fetch_res;

/* The fetch is over (exactly once per successful tn_http_client_fetch). res is borrowed;
   f is valid during the call only. */
typedef void (*tn_http_fetch_cb)(tn_http_fetch *f, const tn_http_fetch_res *res, void *user);

/* Create a client on loop. opts may be NULL; it need not outlive the call.
   Returns TN_OK, TN_EINVAL (bad default header), TN_ENOMEM. */
TN_API int tn_http_client_new(tn_loop *loop, const tn_http_client_opts *opts, tn_http_client **out);
/* Close: fetches queued or in flight finish with 599 / TN_ECANCELED, pooled connections
   close, then cb (may be NULL) runs in the closing phase and the client is freed.
   Returns TN_OK or TN_ECLOSED (already closing). */
TN_API int tn_http_client_close(tn_http_client *c, tn_cb cb, void *user);
/* Start a fetch; cb runs exactly once, from the loop, never inside this call. *out (may be
   NULL) is valid until cb runs (tn_http_fetch_cancel, pause/resume, write).
   Returns TN_OK, TN_EINVAL (no URL, a malformed URL or scheme other than http/https, bad
   header name or value, a method/body combination Tornado refuses), TN_ECLOSED, TN_ENOMEM. */
TN_API int tn_http_client_fetch(tn_http_client *c, const tn_http_fetch_req *req, tn_http_fetch_cb cb, void *user,
                                tn_http_fetch **out);
/* Give up: cb runs (from the loop) with code 599 and TN_ECANCELED unless it already ran
   or is about to. A connection in use is closed; a queued fetch just leaves the queue. */
TN_API void tn_http_fetch_cancel(tn_http_fetch *f);
/* Stop reading the response body (call from the streaming callback) / read again. */
TN_API void tn_http_fetch_pause(tn_http_fetch *f);
TN_API void tn_http_fetch_resume(tn_http_fetch *f);
/* Body producer writes (see tn_http_producer_cb). data is copied.
   Returns TN_OK, TN_EINVAL (no producer, or already ended), TN_ECLOSED (the fetch is
   over, or its connection is not up yet), TN_ENOMEM. */
TN_API int tn_http_fetch_write(tn_http_fetch *f, const void *data, size_t n);
TN_API int tn_http_fetch_write_end(tn_http_fetch *f);
/* The client's counters: connections opened, requests sent on a reused connection,
   fetches waiting in the queue, fetches in flight, idle pooled connections. */
typedef struct tn_http_client_stats {
    uint64_t connections_opened;
    uint64_t requests_reused;
    uint64_t retries;
    size_t queued;
    size_t active;
    size_t idle;
} tn_http_client_stats;
TN_API void tn_http_client_get_stats(const tn_http_client *c, tn_http_client_stats *out);
/* The resolved options (defaults filled in; header and string pointers are the client's). */
TN_API void tn_http_client_get_opts(const tn_http_client *c, tn_http_client_opts *out);

/* Blocking fetch on a private loop (scripts and tools; Tornado's HTTPClient). opts may be
   NULL. On TN_OK *out is an owned copy of the response (599 answers included): free it
   with tn_http_fetch_res_free. Returns TN_OK, TN_EINVAL, TN_ENOMEM, or a loop error. */
TN_API int tn_http_fetch_sync(const tn_http_fetch_req *req, const tn_http_client_opts *opts, tn_http_fetch_res **out);
TN_API void tn_http_fetch_res_free(tn_http_fetch_res *res);

TN__END_DECLS
#endif /* TN_HAS_HTTP_CLIENT */

#endif /* TN_HTTP_CLIENT_H */
/* <<http_client.h  end of src/http_client.h */

/* ======================================================================== */
/* >>ws_conn.h  (src/ws_conn.h)                                             */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/ws_conn.h"
#endif
/* ws_conn.h: WebSocket connections (tn_ws): server upgrade, client connect, messages, ping/pong, close handshake. */
#ifndef TN_WS_CONN_H
#define TN_WS_CONN_H
/* #include "ws.h" (inlined above) */
/* #include "tcp.h" (inlined above) */
/* #include "http_server.h" (inlined above) */
/* #include "tls.h" (inlined above) */

#if TN_HAS_WEBSOCKET
TN__BEGIN_DECLS

/* tn_ws: one WebSocket connection (RFC 6455) on a stream, Tornado's WebSocketHandler and
   WebSocketClientConnection in one object. A server gets one from tn_ws_accept (inside an
   HTTP request handler, raw server or tn_app route), a client from tn_ws_connect. Both
   sides share the message, ping and close API below.

   RECEIVING: every data message arrives whole in on_message (text is UTF-8, checked as it
   arrives across fragments, failing at the first bad byte: close 1007), reassembled in
   the stream's read buffer (a message in one frame is handed over without a copy), up to
   max_message_size (else close 1009). With on_fragment set instead, each piece of payload
   is handed over as it arrives and nothing is reassembled (messages larger than memory).
   Control frames may come between fragments. Pings are answered with a pong carrying the
   same payload (then on_ping runs).
   SENDING copies (the data is free again when the call returns); the optional callback
   runs once the frame went to the socket, or with an error if the connection closes first.
   tn_ws_buffered_amount says how much is still queued; max_write_buffer_size bounds it.
   CLOSING (Tornado's semantics): tn_ws_close sends a close frame and waits up to
   close_timeout_ms for the peer's, then the connection is dropped. A close frame from the
   peer is answered with the same code. A protocol error closes with 1002, invalid UTF-8
   with 1007, an oversized message with 1009. on_close runs exactly once, from the loop,
   when the connection is gone; the tn_ws is freed when it returns.
   One thread: the loop's. Callbacks never run inside the call that caused them. */
typedef struct tn_ws tn_ws;

/* A whole message: opcode TN_WS_TEXT or TN_WS_BINARY; data borrowed until the callback
   returns. The callback may send, close or abort. */
typedef void (*tn_ws_message_cb)(tn_ws *ws, int opcode, tn_str data, void *user);
/* Streaming receive: one piece of a message's payload as it arrives (possibly empty);
   last is 1 on the message's final piece. opcode is the message's (TEXT or BINARY). */
typedef void (*tn_ws_fragment_cb)(tn_ws *ws, int opcode, tn_str data, int last, void *user);
/* A ping or pong arrived (payload borrowed until the callback returns). */
typedef void (*tn_ws_control_cb)(tn_ws *ws, tn_str data, void *user);
/* The connection is gone. code and reason are the peer's close frame (1005: it had no
   code), or 1006 (abnormal: the peer sent no valid close frame: it left, timed out, broke
   the protocol, or tn_ws_abort). reason is borrowed until the callback returns. The tn_ws
   is freed after it returns. */
typedef void (*tn_ws_close_cb)(tn_ws *ws, int code, tn_str reason, void *user);
/* A send completed: TN_OK (the frame went to the socket) or the error that closed the
   connection first (TN_ECLOSED, TN_ERESET, ...). */
typedef void (*tn_ws_send_cb)(tn_ws *ws, int status, void *user);
/* Client: the handshake finished. status TN_OK: ws is open (http_status 101). Otherwise
   ws is being freed (do not keep it; on_close will not run) and status says why:
   TN_EREFUSED, TN_ETIMEOUT (connect_timeout_ms), TN_ERESOLVE, TN_EWS_HANDSHAKE (the
   server answered http_status, or sent a bad upgrade response), TN_ECANCELED
   (tn_ws_abort before the handshake ended), ... */
typedef void (*tn_ws_connect_cb)(tn_ws *ws, int status, int http_status, void *user);

/* tn_ws_handler: the connection's callbacks (copied). on_message or on_fragment should be
   set (a message with neither is dropped); the others may be NULL. */
typedef struct tn_ws_handler {
    tn_ws_message_cb on_message;
    tn_ws_fragment_cb on_fragment;   /* set: streaming receive, on_message is not used */
    tn_ws_control_cb on_ping;        /* after the automatic pong was queued */
    tn_ws_control_cb on_pong;
    tn_ws_close_cb on_close;
} tn_ws_handler;

/* Tornado's check_origin: return 1 to allow origin (the Origin header value) on a server
   whose Host header is host. */
typedef int (*tn_ws_origin_fn)(tn_str origin, tn_str host, void *user);

/* tn_ws_opts: zero-init gives Tornado's defaults. Options are copied.
     max_message_size        0 = TORNADO_MAX_WS_MESSAGE (10 MiB): a larger message closes
                             the connection with 1009 (the limit applies to the whole
                             message, also in streaming receive)
     max_write_buffer_size   0 = unlimited: a send that would queue more unsent bytes fails
                             with TN_EBUFFER_FULL (nothing is queued)
     ping_interval_ms        0 = off: send a ping this often ...
     ping_timeout_ms         ... and close when no pong came within this long
                             (0 = max(3 * ping_interval_ms, TORNADO_WS_PING_TIMEOUT_MS))
     close_timeout_ms        0 = TORNADO_WS_CLOSE_TIMEOUT_MS (5 s): after sending a close
                             frame, wait this long for the peer's, then drop the connection
   Server (tn_ws_accept):
     subprotocols            the subprotocols supported, in no particular order: the first
                             one the client offers that is in this list is chosen (none in
                             common: no Sec-WebSocket-Protocol, the connection goes on)
     allowed_origins         exact Origin values allowed (e.g. "https://example.com")
     check_origin            called for a request with an Origin header: 1 allows it
     By default an Origin must name the same host[:port] as Host, else 403 (a request
     without Origin is allowed); allowed_origins and check_origin replace that check
     (either one allowing is enough).
   Client (tn_ws_connect):
     connect_timeout_ms      0 = TORNADO_CONNECT_TIMEOUT_MS (20 s): resolve, connect and
                             the handshake together
     headers                 extra request header fields (copied), e.g. Origin, Cookie
     subprotocols            offered in Sec-WebSocket-Protocol, in order of preference
     connect                 the TCP connection (family, source address, resolver, stream
                             options); its timeout_ms is replaced by connect_timeout_ms
     tls                     wss:// (TORNADO_WITH_OPENSSL): the TLS client context (a
                             reference is kept while connecting); NULL = one made for the
                             connection as the HTTP client's default: verifying the server
                             against the system store, ALPN http/1.1. The URL's host is sent
                             by SNI and verified against the certificate. Not used for ws:// */
typedef struct tn_ws_opts {
    uint64_t max_message_size;
    size_t max_write_buffer_size;
    uint64_t ping_interval_ms;
    uint64_t ping_timeout_ms;
    uint64_t close_timeout_ms;
    const char *const *subprotocols;
    size_t num_subprotocols;
    const char *const *allowed_origins;
    size_t num_allowed_origins;
    tn_ws_origin_fn check_origin;
    void *check_origin_user;
    uint64_t connect_timeout_ms;
    const tn_http_header *headers;
    size_t num_headers;
    tn_connect_opts connect;
    tn_tls_ctx *tls;
} tn_ws_opts;

#if TN_HAS_HTTP_SERVER
/* Server: accept a WebSocket upgrade on req, from its request handler (a raw server's or a
   tn_app route's: read path captures, headers and cookies first, they go with the request).
   Tornado's checks: GET only; "Upgrade: websocket" and a Connection list containing
   "upgrade", else 400; Sec-WebSocket-Key must decode to 16 bytes, else 400; a
   Sec-WebSocket-Version other than 13 gets 426 with "Sec-WebSocket-Version: 13"; the
   origin check (see tn_ws_opts) gets 403. On a failed check the error response is sent
   and the request is released. Otherwise the 101 response goes out (with the handler's
   response headers, e.g. Set-Cookie, and the chosen subprotocol), the connection is
   detached from the HTTP server (tn_request_detach) and *out is the open WebSocket: send
   at once if you like. The server no longer owns the connection: tn_http_server_close and
   tn_app_close leave it open; close or abort your WebSockets before freeing the loop. To refuse a client, answer with an HTTP error instead of calling
   this. opts may be NULL. The request is released either way: do not touch req again.
   Returns: TN_OK; TN_EWS_HANDSHAKE, TN_EWS_VERSION, TN_EWS_ORIGIN (answered 400, 426,
   403); TN_EINVAL (req or h NULL, a response already started: nothing sent); TN_ENOMEM
   (answered 500); TN_ECLOSED (the client is gone). */
TN_API int tn_ws_accept(tn_request *req, const tn_ws_opts *opts, const tn_ws_handler *h, void *user, tn_ws **out);
#endif

/* Client: connect to url ("ws://host[:port]/path?query", or "wss://" over TLS: built with
   TORNADO_WITH_OPENSSL, else TN_ENOTSUP), send the upgrade request with a fresh random key, and check the
   answer: 101 with the right Sec-WebSocket-Accept (and, if the server chose one, a
   subprotocol we offered). wss:// runs the TLS handshake (opts.tls) between the TCP connect
   and the upgrade request: its failure is the connect status (TN_ETLS_VERIFY: the server's
   certificate, OpenSSL's reason logged; TN_ETLS: the protocol). cb runs exactly once, from the loop. *out (may be NULL) is the
   connection from now on (tn_ws_abort cancels the handshake). opts may be NULL.
   Returns: TN_OK; TN_EINVAL (a bad URL, a header field with CR/LF, a subprotocol that is
   not a token); TN_ENOTSUP ("wss://": TLS not built in, logged); TN_ENOMEM; for wss://
   without opts.tls, the errors of tn_tls_ctx_new (logged). */
TN_API int tn_ws_connect(tn_loop *loop, const char *url, const tn_ws_opts *opts, const tn_ws_handler *h,
                         tn_ws_connect_cb cb, void *user, tn_ws **out);

/* Send a whole message: opcode TN_WS_TEXT (data must be UTF-8: checked) or TN_WS_BINARY.
   cb (may be NULL) runs once, when the frame went to the socket, or with an error.
   Returns: TN_OK; TN_EINVAL (bad opcode, a fragmented send is open); TN_EBAD_ENCODING
   (text not UTF-8); TN_ECLOSED (closing or closed: a close frame was sent); TN_EBUFFER_FULL
   (over max_write_buffer_size: nothing queued); TN_ENOMEM. */
TN_API int tn_ws_send(tn_ws *ws, int opcode, const void *data, size_t len, tn_ws_send_cb cb, void *user);
/* Send a message in fragments: the first with opcode TN_WS_TEXT or TN_WS_BINARY, the next
   ones with TN_WS_CONT; fin = 1 on the last. Pings, pongs and the close may go between
   fragments; other messages may not (TN_EINVAL). Text fragments are not checked (a
   character may span fragments): the peer checks the whole message.
   Returns: as tn_ws_send. */
TN_API int tn_ws_send_fragment(tn_ws *ws, int opcode, const void *data, size_t len, int fin, tn_ws_send_cb cb,
                               void *user);
/* Send a ping (payload at most 125 bytes); the peer's pong reaches on_pong.
   Returns: TN_OK; TN_EINVAL (len > 125); TN_ECLOSED; TN_EBUFFER_FULL; TN_ENOMEM. */
TN_API int tn_ws_ping(tn_ws *ws, const void *data, size_t len);
/* Start the close handshake: a close frame with code (0: none; with a reason, 1000 as
   Tornado) and reason (UTF-8, at most 123 bytes); messages arriving afterwards are dropped;
   on_close runs when the peer answered (or close_timeout_ms passed).
   Returns: TN_OK; TN_EINVAL (code not valid on the wire, reason too long); TN_EBAD_ENCODING
   (reason not UTF-8); TN_ECLOSED (already closing). */
TN_API int tn_ws_close(tn_ws *ws, int code, const char *reason, size_t reason_len);
/* Drop the connection now, without a close handshake (on_close gets 1006; a client whose
   handshake has not finished gets its connect callback with TN_ECANCELED).
   Returns TN_OK or TN_ECLOSED (already gone). */
TN_API int tn_ws_abort(tn_ws *ws);

/* Bytes queued for the socket and not sent yet (the stream's write buffer). */
TN_API size_t tn_ws_buffered_amount(const tn_ws *ws);
/* The subprotocol agreed on ("" = none); valid as long as the tn_ws. */
TN_API const char *tn_ws_subprotocol(const tn_ws *ws);
/* 1 once a close frame was sent or received, or the connection is gone. */
TN_API int tn_ws_closing(const tn_ws *ws);
/* The underlying stream (e.g. tn_stream_set_nodelay, tn_stream_peer), NULL once gone or
   while a client connects. Do not read from or write to it. */
TN_API tn_stream *tn_ws_stream(const tn_ws *ws);
TN_API tn_loop *tn_ws_loop(const tn_ws *ws);
TN_API void tn_ws_set_user(tn_ws *ws, void *user);
TN_API void *tn_ws_get_user(const tn_ws *ws);
/* The resolved options (server-only and client-only pointers are not kept: NULL). */
TN_API void tn_ws_get_opts(const tn_ws *ws, tn_ws_opts *out);

TN__END_DECLS
#endif /* TN_HAS_WEBSOCKET */

#endif /* TN_WS_CONN_H */
/* <<ws_conn.h  end of src/ws_conn.h */

/* ======================================================================== */
/* >>router.h  (src/router.h)                                               */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/router.h"
#endif
/* router.h: web router: method + path patterns with named captures, first match wins, 404/405. */
#ifndef TN_ROUTER_H
#define TN_ROUTER_H
/* #include "base.h" (inlined above) */

#if TN_HAS_WEB
TN__BEGIN_DECLS

/* ---- router ------------------------------------------------------------------------------
   A pure table from (method, path) to an opaque handler pointer: no I/O, no loop. Routes are
   tried in the order they were added and the first that matches wins (Tornado's rule). The
   router allocates only in tn_router_new and tn_router_add; matching allocates nothing.

   PATTERNS  (validated by tn_router_add; anything else is TN_EINVAL)
     /users            literal segments, compared byte for byte with the raw path
     /users/{id}       {name}: one whole segment, non-empty, never containing '/'
     /files/{name}.txt a capture may have a literal prefix and suffix inside its segment
                       (one capture per segment; the capture itself is never empty)
     /static/{path*}   {name*}: the rest of the path after "/static/", possibly empty and
                       containing '/'; only as the whole last segment. "/static" (no slash)
                       does not match it.
     /static/{*}       an unnamed rest capture (reported with an empty name); a last
                       segment of just '*' means the same
     /a/?              a trailing "/?" makes the final slash optional: /a and /a/ both match
   Names are [A-Za-z_][A-Za-z0-9_]*, unique within a pattern, at most
   TORNADO_MAX_ROUTE_CAPTURES per pattern. Literal bytes are RFC 3986 path characters
   (A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) + , ; = : @) and %HH escapes; '*' only as a whole last
   segment; no empty segment except the last ("/a/" is a route of its own). A segment may
   not start with ':' followed by a name ("/users/:id" is TN_EINVAL: write "/users/{id}");
   ':' anywhere else is a literal ("/v1/{name}:cancel").

   TRAILING SLASH  strict by default: "/a" and "/a/" are different routes; add "/a/?" to
   accept both with one route.

   PATHS  tn_router_match looks at the raw path bytes only (the caller strips "?query"):
   they must start with '/' and hold no NUL byte, else TN_EINVAL (a 400 at the server).
   Nothing is decoded or normalised first: "%2F" is not a separator, "/a/../b" is three
   segments, and a literal matches only the exact bytes written in the pattern. Capture
   values are slices of the path, still percent-encoded: decode them with tn_url_unescape.

   METHODS  compared case-sensitively (RFC 9110 §9.1). A HEAD request matches a GET route
   when no route for the path names HEAD itself (explicitly, or with "*"), because servers
   answer HEAD like GET (RFC 9110 §9.3.2); the server then sends no body.

   THREADS  adding needs the router to itself; once built, a router may be matched from
   several threads at once (tn_router_match and tn_router_allow only read it). */
typedef struct tn_router tn_router;

/* tn_route_capture: one named capture of a match. Both slices stay valid as long as the
   path given to tn_router_match (value) and the router (name) do. */
typedef struct tn_route_capture {
    tn_str name;    /* the name from the pattern; empty for the unnamed catch-all {*} */
    tn_str value;   /* raw bytes of the path (still percent-encoded); may be empty only
                       for a rest capture */
} tn_route_capture;

/* tn_route_match: in/out of tn_router_match. Set captures/max_captures (the caller's array
   and its capacity; NULL/0 when the routes have no captures); the rest is output. An
   array of TORNADO_MAX_ROUTE_CAPTURES entries is always large enough. */
typedef struct tn_route_match {
    tn_route_capture *captures;  /* in: caller's array, filled in pattern order */
    size_t max_captures;         /* in: its capacity */
    size_t num_captures;         /* out: captures of the matched route (also when they did
                                    not fit: TN_EBUFFER_FULL) */
    void *handler;               /* out: the route's handler; the not-found handler on
                                    TN_ENOENT; NULL otherwise */
    void *user;                  /* out: the route's (or not-found) user pointer */
    int route;                   /* out: index of the matched route in adding order, or -1 */
    tn_str pattern;              /* out: the matched route's pattern (owned by the router) */
} tn_route_match;

/* Create an empty router. alloc (copied; may be NULL = libc) serves every allocation.
   Returns: TN_OK with *out set; TN_EINVAL (partial allocator); TN_ENOMEM. */
TN_API int tn_router_new(const tn_allocator *alloc, tn_router **out);

/* Free the router and everything it owns (NULL is fine). Match results that point at
   pattern text or capture names become invalid. */
TN_API void tn_router_free(tn_router *router);

/* Append a route. methods: one method ("GET"), a comma-separated list ("GET,HEAD" or
   "GET, POST"), or "*" (or NULL) for any method; each a token (RFC 9110 §5.6.2). pattern:
   see PATTERNS above; both strings are copied. handler and user are returned by a match
   as given (handler is opaque: to route to a function, point it at a record holding the
   function pointer, since ISO C cannot convert function pointers to void *).
   Returns: TN_OK; TN_EINVAL (bad method list or pattern: tn_router_last_error says why and
   where; the router is unchanged); TN_ELIMIT (more than TORNADO_MAX_ROUTE_CAPTURES
   captures, or too many routes); TN_ENOMEM (the router is unchanged). */
TN_API int tn_router_add(tn_router *router, const char *methods, const char *pattern, void *handler,
                         void *user);

/* Why the last tn_router_add failed, e.g. "pattern \"/a/{x\" at byte 4: '{' is not
   closed", or "" after a success. Owned by the router, valid until the next add. */
TN_API const char *tn_router_last_error(const tn_router *router);

/* Set the handler returned (with TN_ENOENT) when no pattern matches a path: Tornado's
   default_handler_class. NULL/NULL (the default) returns no handler. */
TN_API void tn_router_set_not_found(tn_router *router, void *handler, void *user);

/* Match a request. method is the request method (case-sensitive); path the raw path
   without the query (see PATHS). First added route whose pattern and method both match
   wins; HEAD falls back to GET routes (see METHODS).
   Returns: TN_OK with m->handler, user, route, pattern and captures;
            TN_ENOENT: no pattern matches the path (404); m->handler/user are the
              not-found handler's (NULL if none set), no captures;
            TN_EMETHOD_NOT_ALLOWED: some pattern matches the path, none with this method
              (405; tn_router_allow gives the Allow header value);
            TN_EBUFFER_FULL: a route matched but has more captures than m->max_captures
              (handler, user, route, pattern and num_captures are set; the first
              max_captures captures are written);
            TN_EINVAL: path empty, not starting with '/', or containing NUL; method empty.
   Never allocates. Time: linear in the path length for each candidate route, and only
   routes whose leading literal segments equal the path's are candidates. */
TN_API int tn_router_match(const tn_router *router, tn_str method, tn_str path, tn_route_match *m);

/* The value of a capture by name, from a successful match. Returns: 1 with *value set (value
   may be NULL), or 0 when the matched route has no such capture. */
TN_API int tn_route_match_get(const tn_route_match *m, const char *name, tn_str *value);

/* Format the Allow header value for a path: every method of every route whose pattern
   matches it, each once, standard methods first in the order GET, HEAD, POST, PUT, DELETE,
   PATCH, OPTIONS, TRACE, CONNECT, then other methods in the order routes name them; joined
   by ", " (e.g. "GET, HEAD, POST"). HEAD is listed when a GET route matches (see METHODS);
   a "*" route contributes all nine standard methods. Writes into out (cap bytes; a NUL
   follows when room remains); *out_len (may be NULL) gets the length, also on
   TN_EBUFFER_FULL (call with cap 0 to learn the size).
   Returns: TN_OK; TN_ENOENT (no pattern matches: empty value); TN_EBUFFER_FULL; TN_EINVAL
   (bad path, as for tn_router_match). */
TN_API int tn_router_allow(const tn_router *router, tn_str path, char *out, size_t cap, size_t *out_len);

/* The number of routes added. */
TN_API size_t tn_router_count(const tn_router *router);

TN__END_DECLS
#endif /* TN_HAS_WEB */

#endif /* TN_ROUTER_H */
/* <<router.h  end of src/router.h */

/* ======================================================================== */
/* >>static.h  (src/static.h)                                               */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/static.h"
#endif
/* static.h: static files (Tornado's StaticFileHandler) from a directory or compiled-in assets. */
#ifndef TN_STATIC_H
#define TN_STATIC_H
/* #include "http_server.h" (inlined above) */

#if TN_HAS_WEB && TN_HAS_HTTP_SERVER
TN__BEGIN_DECLS

/* Static files answer a tn_request straight from the HTTP server (no web layer needed):
   give them the percent-encoded path relative to the served root, typically a router
   capture such as "/static/{path*}".

   What a GET or HEAD gets (as Tornado's StaticFileHandler):
     200  the file; Content-Type by extension (tn_static_mime_type), Content-Length,
          ETag, Last-Modified, Accept-Ranges: bytes, Cache-Control when configured.
          HEAD sends the same head and never reads the file.
     304  If-None-Match matches the ETag (a list, "*", weak comparison), or, without
          If-None-Match, If-Modified-Since is not older than the file.
     206  one byte range ("bytes=0-99", "bytes=-500", "bytes=100-"), with Content-Range;
          If-Range that does not match turns the range off. A range covering the whole
          file gets 200 (as Tornado: some browsers dislike 206 for "bytes=0-").
          Several ranges: the whole file with 200 (no multipart/byteranges).
     416  nothing satisfiable, with Content-Range "bytes <asterisk>/N".
     301  a directory without its trailing slash: Location = request path + "/" (query
          kept; a request path starting with "//" gets 403 instead: no open redirect).
     403  a path that tries to leave the root ("..", encoded or not; a backslash; NUL; an
          absolute path; a symlink pointing out of the root unless follow_symlinks_out),
          something that is not a regular file, or a directory when default_filename is "".
     404  no such file (a directory without its default file too, as Tornado).
     405  any other method (Allow: GET, HEAD).
     500  the file cannot be opened for another reason (EMFILE, EIO, ...).
   Every answer is complete when the call returns or streams on by itself; the caller does
   not touch the request again once tn_static_serve* returned TN_OK. While a body streams,
   the request's close callback is taken over (one set earlier still runs if the client
   leaves first).

   Path safety: rel_path is percent-decoded exactly once ("%252e%252e" names a file
   called "%2e%2e"), then refused if it holds NUL, a backslash, a leading '/', or a ".."
   segment; "." and empty segments are dropped. The file is then opened one component at
   a time with openat(2) relative to the previous directory, each with O_NOFOLLOW, so no
   symlink is followed unchecked; a symlink met on the way is resolved with realpath(3)
   and followed only if it stays inside the root's real path (or follow_symlinks_out).
   Only regular files are served.

   Files are sent in 64 KiB pieces, each written when the previous one reached the socket
   (memory stays bounded however slow the client), or with sendfile(2) on Linux plain
   sockets (no copy through user space at all). Reads of the file block the loop thread
   for one piece at a time, as Tornado's do. The ETag is made from the inode, size and
   modification time (no read of the content; Tornado hashes the content: stable across
   machines, but a whole read per file). */

/* Ten years in seconds: the cache time of versioned URLs (Tornado's CACHE_MAX_AGE). */
#define TN_STATIC_VERSIONED_MAX_AGE 315360000

/* tn_static_opts: zero-init gives the defaults.
     root                 directory served by tn_static_serve (not needed for assets);
                          relative to the working directory unless absolute
     default_filename     NULL = "index.html": served for a directory; "" = none (403)
     max_age              0 = no Cache-Control (browser heuristics, Tornado's default);
                          > 0: "Cache-Control: max-age=N" and Expires
     no_versioned_cache   1: do not give URLs with a "v" query argument (?v=<hash>, as
                          Tornado's static_url makes) the ten-year cache time
     follow_symlinks_out  1: follow symlinks that lead out of the root (otherwise 403);
                          symlinks that stay inside the root are always followed
     no_sendfile          1: always read + write, never sendfile(2) */
typedef struct tn_static_opts {
    const char *root;
    const char *default_filename;
    int64_t max_age;
    int no_versioned_cache;
    int follow_symlinks_out;
    int no_sendfile;
} tn_static_opts;

/* One compiled-in file (tools/embed_assets.py writes tables of these).
     path          relative path without a leading '/', e.g. "css/site.css"
     data, len     the content (static storage: it is sent without a copy per request)
     content_type  NULL = by extension of path (tn_static_mime_type)
     etag          the ETag as sent, quotes included ("\"1a2b...\""); NULL = computed per
                   request (SHA-1 of data: a pass over the data every time)
     mtime         Unix seconds for Last-Modified / If-Modified-Since; 0 = none */
typedef struct tn_static_asset {
    const char *path;
    const unsigned char *data;
    size_t len;
    const char *content_type;
    const char *etag;
    int64_t mtime;
} tn_static_asset;

#if TN_HAS_FILESYSTEM
/* Serve the file rel_path (percent-encoded, relative: no leading '/') under opts->root.
   The response is sent (or streams on) by itself; see the status list above.
   Returns TN_OK (an answer was given or is under way, 403/404/500 included: the request
   is no longer the caller's), TN_EINVAL (req, opts or opts->root NULL: nothing sent),
   TN_ECLOSED (the client is gone; the request is released), TN_EBUSY (a response was
   already started) or TN_ENOMEM (nothing could be sent) as from tn_respond. */
TN_API int tn_static_serve(tn_request *req, const tn_static_opts *opts, tn_str rel_path);
#endif

/* Serve rel_path (percent-encoded) from table[0..n): the same conditional, range, HEAD,
   cache and directory rules as tn_static_serve ("" or "dir/" serves the default file,
   "dir" redirects to "dir/" when "dir/<default>" exists). opts may be NULL (root unused).
   Returns as tn_static_serve (TN_EINVAL when req is NULL, or table NULL with n > 0). */
TN_API int tn_static_serve_assets(tn_request *req, const tn_static_asset *table, size_t n, tn_str rel_path,
                                  const tn_static_opts *opts);

/* The Content-Type for a file name by its extension (ASCII case-insensitive): the common
   web types, "text/..." ones with "; charset=utf-8"; "application/octet-stream" when
   unknown. Static storage, never NULL. */
TN_API const char *tn_static_mime_type(tn_str path);

TN__END_DECLS
#endif /* TN_HAS_WEB && TN_HAS_HTTP_SERVER */

#endif /* TN_STATIC_H */
/* <<static.h  end of src/static.h */

/* ======================================================================== */
/* >>web.h  (src/web.h)                                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/web.h"
#endif
/* web.h: web application layer: tn_app (routes, handlers), arguments, files, cookies, signed cookies, XSRF, ETag, errors. */
#ifndef TN_WEB_H
#define TN_WEB_H
/* #include "router.h" (inlined above) */
/* #include "http_server.h" (inlined above) */
/* #include "http_cookie.h" (inlined above) */
/* #include "multipart.h" (inlined above) */

#if TN_HAS_WEB
#if !defined(TN__PRINTF) && (defined(__GNUC__) || defined(__clang__))
#  define TN__PRINTF(f, a) __attribute__((format(printf, f, a)))
#elif !defined(TN__PRINTF)
#  define TN__PRINTF(f, a)
#endif
TN__BEGIN_DECLS

/* ---- tn_app: Tornado's Application + RequestHandler core --------------------------------
   An app owns a router and (after tn_app_listen) an HTTP server. For every request it
   matches the route (first match wins), answers 404 (or calls the not-found handler) and
   405 with Allow itself, checks XSRF when asked, and calls the route's handler with the
   request. HEAD is answered by GET handlers (the server sends no body).

   THE HANDLER works on the tn_request with the tn_web_* helpers below (Tornado's
   RequestHandler methods) and/or the server's own calls (tn_respond, tn_response_*):
       static void hello(tn_request *req, const tn_route_match *m, void *user) {
           tn_str name = tn_web_get_argument_or(req, "name", "world");
           tn_web_writef(req, "Hello, %.*s", (int)name.len, name.ptr);
       }   // finished on return, as a synchronous Tornado handler
   The response is finished when the handler returns (Tornado's synchronous handler)
   unless the handler finished it itself, or called tn_web_async(req) to answer later
   (then it must call tn_web_finish, tn_web_send_error, tn_web_redirect or tn_respond
   eventually, from the loop thread). Output written with tn_web_write is buffered until
   tn_web_flush or the finish; at the finish a 200 GET/HEAD response gets an ETag (quoted
   SHA-1 hex of the body, as Tornado) unless one was set, and If-None-Match turns it into a
   304 without a body; a body without Content-Type gets "text/html; charset=UTF-8".
   A handler that streams with the server's tn_response_start / tn_response_write itself
   must call tn_web_async first (the app cannot see that a response was started).

   PER-REQUEST STATE lives in a context the app keeps in the request's user slot
   (tn_request_set_user): in app handlers use tn_web_set_data / tn_web_get_data and
   tn_web_on_close instead of the tn_request_* equivalents. Contexts and their scratch
   memory are cached by the app, so the steady state allocates nothing.

   LIFETIMES: every tn_str a tn_web_* call returns stays valid until the response is
   finished (or the close callback has run). One thread: the loop's. */
typedef struct tn_app tn_app;

/* A route handler. m holds the matched route and its raw captures (tn_web_path_arg
   decodes them); valid during the call. user is the pointer given to tn_app_route. */
typedef void (*tn_handler_fn)(tn_request *req, const tn_route_match *m, void *user);

/* An error page writer (Tornado's write_error): write the body with tn_web_write (headers
   may be set); the app finishes the response after it returns. reason is the reason
   phrase (never NULL). */
typedef void (*tn_error_page_fn)(tn_request *req, int status, const char *reason, void *user);

/* tn_app_opts: zero-init gives the defaults.
     server          options for the server tn_app_listen creates (on_headers must be NULL:
                     the app uses it for streaming routes; access_log is honoured)
     cookie_secret   HMAC key for signed cookies (copied); NULL: tn_web_*_secure_cookie
                     return TN_EINVAL
     key_version     Tornado's key_version written into signed values (0 = none)
     xsrf_cookies    1: Tornado's xsrf_cookies: POST, PUT, PATCH, DELETE (every method but
                     GET, HEAD, OPTIONS) need an _xsrf argument or an X-Xsrftoken /
                     X-Csrftoken header matching the _xsrf cookie, else 403
     xsrf_cookie     attributes of the _xsrf cookie (zero = Path=/ only) */
typedef struct tn_app_opts {
    tn_http_server_opts server;
    const char *cookie_secret;
    unsigned key_version;
    int xsrf_cookies;
    tn_set_cookie_opts xsrf_cookie;
} tn_app_opts;

/* Create an app on loop. opts may be NULL (defaults); it is copied.
   Returns: TN_OK; TN_EINVAL (loop or out NULL, opts.server.on_headers set); TN_ENOMEM. */
TN_API int tn_app_new(tn_loop *loop, const tn_app_opts *opts, tn_app **out);
/* Add a route: methods and pattern as in tn_router_add ("GET", "GET,POST", "*" or NULL;
   "/users/{id}", "/static/{path*}"). Routes match in the order they were added.
   Returns: TN_OK; TN_EINVAL (bad pattern or methods: tn_router_last_error(tn_app_router(app))
   says why, and the loop's logger gets it at TN_LOG_WARN; fn NULL); TN_ELIMIT; TN_ENOMEM. */
TN_API int tn_app_route(tn_app *app, const char *methods, const char *pattern, tn_handler_fn fn, void *user);
/* A chunk of a streamed request body (Tornado's data_received): borrowed, valid during the
   call. May be called zero times (empty body). tn_request_pause / tn_request_resume give
   flow control. */
typedef void (*tn_data_fn)(tn_request *req, tn_str chunk, void *user);
/* Add a streaming route (Tornado's @stream_request_body): the route is matched as soon as
   the head arrives, on_data gets the body chunk by chunk (nothing is buffered, so
   max_body_size can be large), then fn runs as for tn_app_route. Body arguments and files
   are not parsed for these requests; with xsrf_cookies the token must come in a header
   (or the query).
   Returns: as tn_app_route (also TN_EINVAL when on_data is NULL). */
TN_API int tn_app_route_stream(tn_app *app, const char *methods, const char *pattern, tn_data_fn on_data,
                               tn_handler_fn fn, void *user);
/* Handle requests no route matches (default: tn_web_send_error 404). fn NULL restores it.
   m has no captures and route -1. No XSRF check runs before it. */
TN_API void tn_app_set_not_found(tn_app *app, tn_handler_fn fn, void *user);
/* Replace the default error page ("<html><title>404: Not Found</title><body>404: Not
   Found</body></html>"); fn NULL restores it. */
TN_API void tn_app_set_error_page(tn_app *app, tn_error_page_fn fn, void *user);
/* Listen on host:port (creating the app's server on the first call, with opts.server);
   port 0 picks a free port (tn_http_server_port(tn_app_server(app))). May be called again
   for more addresses. Returns: as tn_http_server_new and tn_http_server_listen. */
TN_API int tn_app_listen(tn_app *app, const char *host, int port);
/* The app's server (NULL before tn_app_listen), e.g. for listen_unix or the port. */
TN_API tn_http_server *tn_app_server(const tn_app *app);
/* The app's router (for tn_router_last_error, tn_router_count). */
TN_API tn_router *tn_app_router(const tn_app *app);
/* The resolved options (cookie_secret points at the app's copy). */
TN_API const tn_app_opts *tn_app_get_opts(const tn_app *app);
/* Close the server gracefully (as tn_http_server_close with deadline_ms), then free the
   app; cb (may be NULL) runs after that, from the loop, never inside this call.
   Returns: TN_OK; TN_EINVAL; TN_ECLOSED (already closing); TN_ENOMEM. */
TN_API int tn_app_close(tn_app *app, uint64_t deadline_ms, tn_cb cb, void *user);

/* ---- request helpers (app handlers only) ---- */
/* Per-request pointer for the handler (the request's user slot belongs to the app). */
TN_API void tn_web_set_data(tn_request *req, void *data);
TN_API void *tn_web_get_data(const tn_request *req);
/* Runs if the client leaves before the response is finished; the request is gone after. */
TN_API void tn_web_on_close(tn_request *req, tn_request_cb cb, void *user);
/* The app that dispatched req, or NULL when req did not come from an app. */
TN_API tn_app *tn_web_app(const tn_request *req);

/* A path capture by name, percent-decoded without '+' → space (Tornado's plus=False).
   Returns: TN_OK; TN_ENOENT (no such capture: *value empty); TN_ENOMEM. */
TN_API int tn_web_path_arg(tn_request *req, const char *name, tn_str *value);

/* Arguments, Tornado's get_argument: from the query and the body (urlencoded or
   multipart/form-data, parsed on first use for any method), decoded, control bytes other
   than \t \n \r replaced by spaces, surrounding whitespace stripped. The LAST value of a
   repeated name wins. Returns: TN_OK; TN_ENOENT (missing: *value empty). */
TN_API int tn_web_get_argument(tn_request *req, const char *name, tn_str *value);
/* The argument, or def (NULL = "") when missing. */
TN_API tn_str tn_web_get_argument_or(tn_request *req, const char *name, const char *def);
/* A required argument: when it is missing, a 400 error page is sent (Tornado's
   MissingArgumentError) and TN_ENOENT returned: the handler should just return. */
TN_API int tn_web_require_argument(tn_request *req, const char *name, tn_str *value);
/* Every value of name in order (query first, then body): writes up to cap into out and
   returns the total count (Tornado's get_arguments). */
TN_API size_t tn_web_get_arguments(tn_request *req, const char *name, tn_str *out, size_t cap);
/* Only the query (get_query_argument) or only the body (get_body_argument). */
TN_API int tn_web_get_query_argument(tn_request *req, const char *name, tn_str *value);
TN_API int tn_web_get_body_argument(tn_request *req, const char *name, tn_str *value);

/* tn_web_file: an uploaded file (a multipart part with a non-empty filename). */
typedef struct tn_web_file {
    tn_str name;          /* the form field name */
    tn_str filename;      /* as the client sent it (decoded; not a safe path!) */
    tn_str content_type;  /* "application/unknown" when the part had none (Tornado) */
    tn_str body;          /* the bytes (a slice of the request body) */
} tn_web_file;
/* Every uploaded file in order; *n gets the count (0: the array may be NULL). */
TN_API const tn_web_file *tn_web_get_files(tn_request *req, size_t *n);
/* The first file uploaded under field name, or NULL. */
TN_API const tn_web_file *tn_web_get_file(tn_request *req, const char *name);

/* A request cookie by name (last wins, quoted values decoded).
   Returns: TN_OK; TN_ENOENT; TN_ENOMEM. */
TN_API int tn_web_get_cookie(tn_request *req, const char *name, tn_str *value);
/* A signed cookie (Tornado v2, cookie_secret) no older than max_age_days (<= 0: 31);
   legacy version 1 values are read too, as Tornado's default min_version=1 does.
   Returns: TN_OK with the decoded value; TN_ENOENT (absent); TN_EBAD_SIGNATURE, TN_EPARSE,
   TN_EEXPIRED, TN_EBAD_ENCODING (forged, malformed or old: treat as absent; *value empty);
   TN_EINVAL (no cookie_secret); TN_ENOMEM. */
TN_API int tn_web_get_secure_cookie(tn_request *req, const char *name, double max_age_days, tn_str *value);
/* protocol "://" Host target, e.g. "http://example.com/a?b=1" (Tornado's full_url). */
TN_API tn_str tn_web_full_url(tn_request *req);

/* ---- response helpers ---- */
/* Status for the response (default 200). Returns: TN_OK; TN_EINVAL (not 100..999 or after
   the head was flushed). The status line carries the standard reason phrase (the server
   has no custom reasons yet; "Unknown" for unregistered codes); tn_web_send_error can put
   a custom reason in the error page. */
TN_API int tn_web_set_status(tn_request *req, int status);
TN_API int tn_web_get_status(const tn_request *req);
/* Set (replace, case-insensitive) / add / remove response headers before the head is
   flushed. Names must be tokens; values may not hold control bytes other than tab
   (no header injection). Returns: TN_OK; TN_EINVAL; TN_ENOMEM; clear: TN_ENOENT. */
TN_API int tn_web_set_header(tn_request *req, const char *name, const char *value);
TN_API int tn_web_add_header(tn_request *req, const char *name, const char *value);
TN_API int tn_web_clear_header(tn_request *req, const char *name);
/* The first response header value set so far (NUL-terminated), or NULL. */
TN_API const char *tn_web_get_header(const tn_request *req, const char *name);
/* Append body bytes to the response buffer (copied). Returns: TN_OK; TN_EINVAL
   (finished); TN_ENOMEM. */
TN_API int tn_web_write(tn_request *req, const void *data, size_t len);
TN_API int tn_web_write_str(tn_request *req, const char *s);
/* printf-style write. Returns as tn_web_write. */
TN_API int tn_web_writef(tn_request *req, const char *fmt, ...) TN__PRINTF(2, 3);
/* JSON: write s as a quoted JSON string ("a\"b", escaped with tn_json_escape). */
TN_API int tn_web_write_json_str(tn_request *req, tn_str s);
/* JSON: write json (an object the caller built) and set Content-Type
   "application/json; charset=UTF-8" (Tornado's write(dict)). */
TN_API int tn_web_write_json(tn_request *req, const char *json, size_t len);
/* Send the head (on the first flush; the body is then chunked) and what is buffered.
   cb (may be NULL) runs when those bytes reached the socket (backpressure), or with an
   error if the client left. Returns: TN_OK; TN_EINVAL; TN_ECLOSED; TN_ENOMEM. */
TN_API int tn_web_flush(tn_request *req, tn_response_cb cb, void *user);
/* Finish the response (ETag / 304 / Content-Type as described above). The request is
   released: do not touch it again. Returns: TN_OK; TN_EINVAL (already finished);
   TN_ECLOSED (client gone); TN_ENOMEM. */
TN_API int tn_web_finish(tn_request *req);
/* Keep the request open after the handler returns (answer later). */
TN_API void tn_web_async(tn_request *req);
/* Redirect to url (relative allowed) with status 301, 302, 303, 307 or 308 (0 = 302)
   and finish. Returns: TN_OK; TN_EINVAL (status, url with control bytes, head flushed). */
TN_API int tn_web_redirect(tn_request *req, const char *url, int status);
/* Tornado's send_error: discard unflushed output and headers, set status, write the error
   page (the app's hook or the default, reason xhtml-escaped; reason NULL = the standard
   phrase) and finish. After a flush it can only finish. Returns as tn_web_finish. */
TN_API int tn_web_send_error(tn_request *req, int status, const char *reason);
/* Take the connection over (see tn_request_detach) and release the app's state. */
TN_API int tn_web_detach(tn_request *req, tn_stream **stream);

/* ---- cookies out ---- */
/* Set-Cookie name=value with opts (NULL: Path=/). A second call for one name replaces
   the first. Returns: TN_OK; TN_EINVAL (see tn_set_cookie_format); TN_ENOMEM. */
TN_API int tn_web_set_cookie(tn_request *req, const char *name, tn_str value, const tn_set_cookie_opts *opts);
/* Expire the cookie (value "", Expires one year ago). Path and domain must match the
   ones it was set with; opts NULL = Path=/. */
TN_API int tn_web_clear_cookie(tn_request *req, const char *name, const tn_set_cookie_opts *opts);
/* Expire every cookie the request carried (Tornado's clear_all_cookies); opts as for
   tn_web_clear_cookie; names no Set-Cookie can carry are skipped. Returns: TN_OK;
   TN_EINVAL (bad opts or req); TN_ENOMEM. */
TN_API int tn_web_clear_all_cookies(tn_request *req, const tn_set_cookie_opts *opts);
/* Sign value (Tornado v2, cookie_secret, now) and set it. opts NULL: Path=/ and Expires
   in 30 days (Tornado's expires_days=30); with opts, its attributes as given.
   Returns: TN_OK; TN_EINVAL (no cookie_secret, bad name); TN_ENOMEM. */
TN_API int tn_web_set_secure_cookie(tn_request *req, const char *name, tn_str value, const tn_set_cookie_opts *opts);

/* ---- XSRF ---- */
/* The XSRF token for forms ("2|mask|masked token|timestamp", freshly masked each
   request, as Tornado 3.2.2+); sets the _xsrf cookie when the request had no valid one.
   Empty on failure (randomness or memory). */
TN_API tn_str tn_web_xsrf_token(tn_request *req);
/* <input type="hidden" name="_xsrf" value="TOKEN"/> for an HTML form. */
TN_API tn_str tn_web_xsrf_form_html(tn_request *req);
/* The check the app runs before handlers when xsrf_cookies is on (call it yourself
   otherwise). Returns: TN_OK; TN_EACCES (missing or wrong token; nothing is sent). */
TN_API int tn_web_check_xsrf(tn_request *req);

TN__END_DECLS
#endif /* TN_HAS_WEB */

#endif /* TN_WEB_H */
/* <<web.h  end of src/web.h */

#endif /* TORNADO_H_INCLUDED */

#if (defined(TORNADO_IMPLEMENTATION) || defined(__INTELLISENSE__) || defined(__CDT_PARSER__)) \
    && !defined(TORNADO_IMPLEMENTATION_INCLUDED)
#define TORNADO_IMPLEMENTATION_INCLUDED

/* ======================================================================== */
/* >>internal.h  (src/internal.h)                                           */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/internal.h"
#endif
/* internal.h: the implementation's private prelude (system headers, TN__PRIVATE and friends): internal, not API. */
#ifndef TN_INTERNAL_H
#define TN_INTERNAL_H
/* Everything below is compiled only with TORNADO_IMPLEMENTATION, before any module's
   implementation: system headers are included here and nowhere else, and the private
   decoration (TN__PRIVATE: static and unused-tolerant) and helper macros every module
   uses are defined once. Nothing here is part of the API; names may change at any time. */
/* #include "base.h" (inlined above) */
/* #include "tcp.h" (inlined above) */          /* the private interface below names the public types */
/* #include "http_server.h" (inlined above) */

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
#if TN_HAS_OPENSSL
#  include <openssl/ssl.h>
#  include <openssl/err.h>
#  include <openssl/x509v3.h>
#  include <openssl/pem.h>
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

#if defined(MSG_NOSIGNAL)
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
TN__PRIVATE int tn__fd_setup(int fd);
TN__PRIVATE void tn__fd_close(int fd);
TN__PRIVATE int tn__socket(int family, int type, int *out);
TN__PRIVATE int tn__pipe(int fds[2]);
TN__PRIVATE void tn__ignore_sigpipe_once(void);
#if TN_HAS_THREADS
typedef pthread_mutex_t tn__mutex;
#else
typedef int tn__mutex;
#endif
TN__PRIVATE int tn__mutex_init(tn__mutex *m);
TN__PRIVATE void tn__mutex_destroy(tn__mutex *m);
TN__PRIVATE void tn__mutex_lock(tn__mutex *m);
TN__PRIVATE void tn__mutex_unlock(tn__mutex *m);

/* ---- base.c ---- */
TN__PRIVATE void *tn__libc_alloc(size_t n, void *u);
TN__PRIVATE void *tn__libc_realloc(void *p, size_t n, void *u);
TN__PRIVATE void tn__libc_free(void *p, void *u);
TN__PRIVATE int tn__allocator_resolve(const tn_allocator *in, tn_allocator *out);
TN__PRIVATE void *tn__alloc(const tn_allocator *a, size_t n);
TN__PRIVATE void *tn__calloc(const tn_allocator *a, size_t n);
TN__PRIVATE void *tn__realloc(const tn_allocator *a, void *p, size_t n);
TN__PRIVATE void tn__free(const tn_allocator *a, void *p);
TN__PRIVATE char *tn__strdup(const tn_allocator *a, const char *s);
TN__PRIVATE char *tn__strndup(const tn_allocator *a, const char *s, size_t n);
TN__PRIVATE int tn__grow(const tn_allocator *a, void **arr, size_t *cap, size_t need, size_t elem);
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

/* ---- loop.c ---- */
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
typedef struct tn__handle_type {      /* one static instance per kind of handle */
    const char *kind;                 /* "stream", "tcp_server", ... for reports */
    void (*finalize)(tn__handle *h);  /* close callback + free; runs once */
} tn__handle_type;
struct tn__handle {
    tn_loop *loop;
    tn__handle *prev, *next;          /* the live list; once closing, next links the closing queue */
    const tn__handle_type *type;
    int closing;                      /* close requested (queued or finalised) */
    unsigned pending;                 /* deferred nodes of this handle still queued */
};

typedef struct tn__fired { int fd; int events; } tn__fired;

/* Internal interest: the peer closed (or half-closed) the connection, reported without
   reading (epoll EPOLLRDHUP, poll POLLRDHUP). Lets a stream notice a departed client while
   it deliberately reads nothing (backpressure). Where unsupported it never fires. */
#define TN__EV_RDHUP 0x010

TN__PRIVATE void tn__handle_init(tn_loop *loop, tn__handle *h, const tn__handle_type *type);
TN__PRIVATE int tn__handle_close(tn__handle *h);
TN__PRIVATE void tn__defer_init(tn__defer *d, void (*fn)(tn__defer *), tn__handle *owner);
TN__PRIVATE void tn__defer_queue(tn_loop *loop, tn__defer *d);
TN__PRIVATE void tn__defer_unqueue(tn_loop *loop, tn__defer *d);
TN__PRIVATE tn_allocator *tn__loop_alloc(const tn_loop *loop);
TN__PRIVATE const tn_logger *tn__loop_logger(const tn_loop *loop);
/* Watch fd for an object of the library (internal = 1: counted as its handle, not a user fd). */
TN__PRIVATE int tn__loop_add_fd(tn_loop *loop, tn_socket fd, int events, tn_fd_cb cb, void *user, int internal);
#define TN__LLOG(loop, level, code, ...) TN__LOG(tn__loop_logger(loop), level, code, __VA_ARGS__)
/* For the poller backend (poll_*.c): room for n fired events, the array, the state slot. */
TN__PRIVATE int tn__loop_fired_reserve(tn_loop *loop, size_t n);
TN__PRIVATE tn__fired *tn__loop_fired(tn_loop *loop);
TN__PRIVATE void **tn__loop_backend(tn_loop *loop);

/* ---- the poller backend contract (one backend compiled in; see poll_*.c) ---- */
TN__PRIVATE int tn__poll_init(tn_loop *loop);
TN__PRIVATE void tn__poll_free(tn_loop *loop);
TN__PRIVATE int tn__poll_add(tn_loop *loop, int fd, int events);
TN__PRIVATE int tn__poll_mod(tn_loop *loop, int fd, int events);
TN__PRIVATE int tn__poll_del(tn_loop *loop, int fd);
/* Wait up to timeout_ms (-1 = forever) and fill loop->fired; returns the count or an error. */
TN__PRIVATE int tn__poll_wait(tn_loop *loop, int timeout_ms);
TN__PRIVATE const char *tn__poll_name(void);

/* ---- net.c ---- */
TN__PRIVATE int tn__net_accept(int lfd, int *out, tn_addr *peer);
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

TN__PRIVATE int tn__stream_new_own_socket(tn_loop *loop, int fd, const tn_stream_opts *opts, size_t extra, tn_stream **out);
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
TN__PRIVATE int tn__stream_shutdown_write(tn_stream *s);
TN__PRIVATE void tn__stream_watch_close(tn_stream *s, int on);
TN__PRIVATE int tn__stream_sendfile(tn_stream *s, int file_fd, int64_t offset, uint64_t count, tn_write_cb cb, void *user);
TN__PRIVATE int tn__stream_quiet(const tn_stream *s);

/* ---- tls.c ---- */
#if TN_HAS_OPENSSL
TN__PRIVATE void tn__tls_ctx_ref(tn_tls_ctx *ctx);
#endif

/* ---- tcp.c ---- */
TN__PRIVATE void tn__tcp_server_set_conn_extra(tn_tcp_server *srv, size_t n);
TN__PRIVATE void *tn__tcp_conn_state(tn_stream *s);
TN__PRIVATE tn_stream *tn__tcp_conn_stream(void *state);
TN__PRIVATE void tn__tcp_server_each(tn_tcp_server *srv, void (*fn)(tn_stream *s, void *ctx), void *ctx);

/* ---- http_parse.c ---- */
TN__PRIVATE int tn__http_is_tchar(int c);

/* ---- http_server.c ---- */
#if TN_HAS_HTTP_SERVER
TN__PRIVATE int tn__response_remove_header(tn_request *r, const char *name, const char *prefix);
TN__PRIVATE int tn__response_error_html(tn_buf *out, int status, const char *reason);
#if TN_HAS_FILESYSTEM
TN__PRIVATE int tn__response_sendfile(tn_request *req, int file_fd, int64_t offset, uint64_t count,
                                      tn_response_cb cb, void *user);
#endif
#endif

#endif /* TN_INTERNAL_H */
/* <<internal.h  end of src/internal.h */

/* ======================================================================== */
/* >>platform.c  (src/platform.c)                                           */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/platform.c"
#endif
/* platform.c: errno mapping, fd flags, sockets, clock, locks (the system includes are in internal.h). */
/* #include "internal.h" (inlined above) */

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
/* <<platform.c  end of src/platform.c */

/* ======================================================================== */
/* >>base.c  (src/base.c)                                                   */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/base.c"
#endif
/* base.c: result code names, tn_str helpers, allocator wrappers, logging. */
/* #include "base.h" (inlined above) */
/* #include "internal.h" (inlined above) */

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

/* ASCII classes shared by the parsers (url, http_util, ...). */
TN__PRIVATE int tn__is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
TN__PRIVATE int tn__is_digit(int c) { return c >= '0' && c <= '9'; }
TN__PRIVATE int tn__is_alnum(int c) { return tn__is_alpha(c) || tn__is_digit(c); }

/* The value of a hex digit (0-9, a-f, A-F), or -1: the one copy for every module. */
TN__PRIVATE int tn__hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

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

/* Copies in the allocator's memory (NULL when out of memory). */
TN__PRIVATE char *tn__strdup(const tn_allocator *a, const char *s) {
    size_t n = strlen(s) + 1;
    char *p = (char *)tn__alloc(a, n);
    if (p) memcpy(p, s, n);
    return p;
}

TN__PRIVATE char *tn__strndup(const tn_allocator *a, const char *s, size_t n) {
    char *p = (char *)tn__alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
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

/* Make room for one more item in a FIFO ring (items[(head + i) % cap] for i < len): a full
   ring moves, unwrapped, into storage twice the size (4 items at first). */
TN__PRIVATE int tn__ring_grow(const tn_allocator *a, void **items, uint32_t *head, uint32_t len, uint32_t *cap,
                              size_t elem) {
    size_t ncap, first;
    char *p;
    if (len < *cap) return TN_OK;
    ncap = *cap ? (size_t)*cap * 2 : 4;
    if (ncap > 0xffffffffu || ncap > ((size_t)-1) / elem) return TN_ENOMEM;
    p = (char *)tn__alloc(a, ncap * elem);
    if (!p) return TN_ENOMEM;
    if (len > 0) {
        first = TN__MIN((size_t)len, (size_t)(*cap - *head));
        memcpy(p, (char *)*items + (size_t)*head * elem, first * elem);
        memcpy(p + first * elem, *items, (len - first) * elem);
    }
    tn__free(a, *items);
    *items = p;
    *head = 0;
    *cap = (uint32_t)ncap;
    return TN_OK;
}

/* ---- logging ---- */
TN_API void tn_log_stderr(void *user, int level, int code, const char *msg, const char *file, int line) {
    static const char *const names[] = {"log", "error", "warn", "info", "debug"};
    char out[640];
    const char *base = file ? file : "?", *p;
    int n;
    (void)user;
    for (p = base; *p; p++)
        if (*p == '/' || *p == '\\') base = p + 1;
    n = snprintf(out, sizeof out, "tornado: %s%s%s: %s (%s:%d)\n", names[level >= 1 && level <= 4 ? level : 0],
                 code ? " " : "", code ? tn_err_name(code) : "", msg ? msg : "", base, line);
    if (n < 0) return;
    if ((size_t)n >= sizeof out) memcpy(out + sizeof out - 5, "...\n", 5);   /* cut, still one line */
    fputs(out, stderr);
}

#if TN_HAS_LOG
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
/* #include "internal.h" (inlined above) */

static const tn_allocator tn__libc_allocator = { tn__libc_alloc, tn__libc_realloc, tn__libc_free, NULL };

TN_API int tn_buf_init(tn_buf *b, const tn_allocator *alloc) {
    memset(b, 0, sizeof *b);
    if (alloc && (!alloc->alloc || !alloc->realloc || !alloc->free)) {
        b->a = &tn__libc_allocator;
        return (alloc->alloc || alloc->realloc || alloc->free) ? TN_EINVAL : TN_OK;
    }
    b->a = alloc ? alloc : &tn__libc_allocator;
    return TN_OK;
}

TN_API void tn_buf_free(tn_buf *b) {
    tn__free(b->a, b->data);
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
        p = (char *)tn__alloc(b->a, ncap);
        if (!p) return TN_ENOMEM;
        if (used) memcpy(p, b->data + b->head, used);
        tn__free(b->a, b->data);
    } else {
        p = (char *)tn__realloc(b->a, b->data, ncap);
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

/* ---- formatter output (url, http_util): counts always, writes while the caller's buffer
   has room. The *_buf variants of a formatter run it twice: once to size (p NULL), then into reserved
   tn_buf space, so a tn_buf is never left half-written. */

TN__PRIVATE void tn__buf_w_init(tn__buf_w *w, char *p, size_t cap) {
    w->p = p;
    w->cap = cap;
    w->n = 0;
    w->full = 0;
}

TN__PRIVATE void tn__buf_w_put(tn__buf_w *w, const char *s, size_t k) {
    if (w->p && !w->full) {
        if (k <= w->cap - w->n) {
            if (k) memcpy(w->p + w->n, s, k);
        } else {
            w->full = 1;
        }
    }
    w->n += k;
}

TN__PRIVATE void tn__buf_w_ch(tn__buf_w *w, char c) {
    if (w->p && !w->full) {
        if (w->n < w->cap) w->p[w->n] = c;
        else w->full = 1;
    }
    w->n++;
}

TN__PRIVATE int tn__buf_w_end(tn__buf_w *w, size_t *out_len) {
    if (out_len) *out_len = w->n;
    if (!w->p) return TN_OK;
    if (w->full || w->n > w->cap) return TN_EBUFFER_FULL;
    if (w->n < w->cap) w->p[w->n] = '\0';
    return TN_OK;
}

/* Reserve room for n bytes (+1 spare) at the end of b and set up a writer over it. */
TN__PRIVATE int tn__buf_w_reserve(tn__buf_w *w, tn_buf *b, size_t n) {
    int rc;
    if (!b) return TN_EINVAL;
    if (n == (size_t)-1) return TN_ENOMEM;
    if ((rc = tn_buf_reserve(b, n + 1)) != 0) return rc;
    tn__buf_w_init(w, b->data + b->len, n + 1);
    return TN_OK;
}

TN__PRIVATE void tn__buf_w_u64(tn__buf_w *w, uint64_t v) {
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    tn__buf_w_put(w, tmp + i, sizeof tmp - i);
}
/* <<buf.c  end of src/buf.c */

/* ======================================================================== */
/* >>loop.c  (src/loop.c)                                                   */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/loop.c"
#endif
/* loop.c: the event loop: handles, deferred queue, timer heap, fd table, wakeup, run. */
/* #include "loop.h" (inlined above) */
/* #include "internal.h" (inlined above) */

/* (the private types shared with the modules above are in internal.h) */



typedef struct tn__fdw {              /* one fd watcher (24 bytes: one per open socket) */
    tn_fd_cb cb;
    void *user;
    uint32_t iter_added;              /* skip events polled before it was added (low bits) */
    unsigned char events;             /* what the owner asked for (TN__EV_INTEREST bits) */
    unsigned char backend_events;     /* what the poller has (0 = not registered) */
    unsigned int dirty : 1;           /* queued in loop->dirty for the next flush */
    unsigned int active : 1;
    unsigned int internal : 1;        /* not counted as alive (owned by a handle or the loop) */
} tn__fdw;


#define TN__EV_INTEREST (TN_EV_READ | TN_EV_WRITE | TN__EV_RDHUP)

/* Timers: a slot array (the id names a slot and its generation) and a binary min-heap of
   self-contained entries, so sifting touches only the heap. Cancel is O(1): the slot is
   released and its heap entry, now stale (generation mismatch), is skipped when it
   surfaces; the heap is rebuilt when stale entries outnumber live ones. */
typedef struct tn__heapent {
    uint64_t when;
    uint64_t seq;                     /* FIFO among equal deadlines */
    uint32_t slot;
    uint32_t gen;                     /* the slot's generation when pushed */
} tn__heapent;

typedef struct tn__timer {
    uint64_t when;
    uint64_t interval;                /* > 0: periodic */
    tn_cb cb;                         /* NULL: the slot is free */
    void *user;
    uint32_t gen;                     /* bumped on release: stale ids and entries never match */
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
    size_t nfds;                      /* entries initialised: one past the highest fd seen */
    size_t fds_cap;
    size_t user_fds;
    tn__fired *fired;
    size_t fired_cap;
    int *dirty;                       /* fds whose interest changed since the last poll */
    size_t ndirty, dirty_cap;
    void *backend;                    /* the poller's state */

    /* timers */
    tn__timer *timers;
    size_t ntimers, timers_cap;
    uint32_t timer_free;              /* free-list head (slot index + 1) */
    tn__heapent *heap;
    size_t heap_len, heap_cap;
    size_t heap_stale;                /* entries of released slots still in the heap */
    uint64_t timer_seq;

    /* wakeup and cross-thread posts */
    int wake_fd[2];                   /* eventfd: [0] == [1]; pipe: read, write */
    tn__mutex post_lock;
    tn__defer *post_head, *post_tail;
    int wake_pending;
    int post_closed;
    tn_async *asyncs;
};


/* Make room for n fired events. */
/* The loop's allocator, for the objects of every module on this loop. */
TN__PRIVATE tn_allocator *tn__loop_alloc(const tn_loop *loop) { return loop->a; }

TN__PRIVATE int tn__loop_fired_reserve(tn_loop *loop, size_t n) {
    return tn__grow(loop->a, (void **)&loop->fired, &loop->fired_cap, n, sizeof(tn__fired));
}

/* For the poller backend: the fired array (room made by tn__loop_fired_reserve) and the
   slot where the backend keeps its state. */
TN__PRIVATE tn__fired *tn__loop_fired(tn_loop *loop) { return loop->fired; }
TN__PRIVATE void **tn__loop_backend(tn_loop *loop) { return &loop->backend; }

/* The loop's logger (TN__LLOG in internal.h goes through it). */
TN__PRIVATE const tn_logger *tn__loop_logger(const tn_loop *loop) { return &loop->opts.logger; }

/* ---- handles ---- */
TN__PRIVATE void tn__handle_init(tn_loop *loop, tn__handle *h, const tn__handle_type *type) {
    memset(h, 0, sizeof *h);
    h->loop = loop;
    h->type = type;
    h->next = loop->live;
    if (loop->live) loop->live->prev = h;
    loop->live = h;
    loop->live_count++;
}

/* Request close: the handle moves from the live list to the closing queue (it still counts
   as alive); the finalizer runs in the closing phase. Returns TN_ECLOSED if already. */
TN__PRIVATE int tn__handle_close(tn__handle *h) {
    tn_loop *loop = h->loop;
    if (h->closing) return TN_ECLOSED;
    h->closing = 1;
    if (h->prev) h->prev->next = h->next;
    else loop->live = h->next;
    if (h->next) h->next->prev = h->prev;
    h->prev = h->next = NULL;
    if (loop->closing_tail) loop->closing_tail->next = h;
    else loop->closing_head = h;
    loop->closing_tail = h;
    return TN_OK;
}

/* The closing phase: finalise every closed handle with no queued deferred node. Handles
   closed by a finalizer are handled in the same phase; ones still waiting stay queued. */
TN__PRIVATE int tn__loop_run_closing(tn_loop *loop) {
    tn__handle *h, *waiting_head = NULL, *waiting_tail = NULL;
    int n = 0;
    while ((h = loop->closing_head) != NULL) {
        loop->closing_head = h->next;
        if (!loop->closing_head) loop->closing_tail = NULL;
        h->next = NULL;
        if (h->pending > 0) {
            if (waiting_tail) waiting_tail->next = h;
            else waiting_head = h;
            waiting_tail = h;
            continue;
        }
        loop->live_count--;
        h->type->finalize(h);   /* frees h */
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

/* Take d out of the queue if it is queued (its owner is about to go away). O(queue). */
TN__PRIVATE void tn__defer_unqueue(tn_loop *loop, tn__defer *d) {
    tn__defer **pp, *prev = NULL;
    if (!d->queued) return;
    for (pp = &loop->dq_head; *pp; prev = *pp, pp = &(*pp)->next) {
        if (*pp == d) {
            *pp = d->next;
            if (loop->dq_tail == d) loop->dq_tail = prev;
            d->next = NULL;
            d->queued = 0;
            if (d->owner) d->owner->pending--;
            return;
        }
    }
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

/* A node carrying a user's callback (tn_loop_defer, tn_loop_post); NULL when out of memory. */
TN__PRIVATE tn__user_defer *tn__user_defer_new(tn_loop *loop, tn_cb cb, void *user) {
    tn__user_defer *u = (tn__user_defer *)tn__alloc(loop->a, sizeof *u);
    if (!u) return NULL;
    tn__defer_init(&u->d, tn__user_defer_run, NULL);
    u->cb = cb;
    u->user = user;
    u->loop = loop;
    return u;
}

TN_API int tn_loop_defer(tn_loop *loop, tn_cb cb, void *user) {
    tn__user_defer *u;
    if (!loop || !cb) return TN_EINVAL;
    if (!(u = tn__user_defer_new(loop, cb, user))) return TN_ENOMEM;
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
    if (!(u = tn__user_defer_new(loop, cb, user))) return TN_ENOMEM;
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
    /* drain first, then take the list: a post that lands after the drain wakes us again */
    do r = read(fd, drain, sizeof drain); while (r > 0 || (r < 0 && errno == EINTR));
    tn__mutex_lock(&loop->post_lock);
    loop->wake_pending = 0;
    head = loop->post_head;
    loop->post_head = loop->post_tail = NULL;
    tn__mutex_unlock(&loop->post_lock);
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
static const tn__handle_type tn__async_type = { "async", tn__async_finalize };

TN_API int tn_async_new(tn_loop *loop, tn_cb cb, void *user, tn_async **out) {
    tn_async *a;
    if (!loop || !cb || !out) return TN_EINVAL;
    a = (tn_async *)tn__calloc(loop->a, sizeof *a);
    if (!a) return TN_ENOMEM;
    tn__handle_init(loop, &a->h, &tn__async_type);
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

/* Bring the poller in line with a watcher's interest. Interest 0 takes the fd out of the
   poller entirely, so a hung-up fd nobody reads cannot spin the loop. */
TN__PRIVATE int tn__loop_sync_fd(tn_loop *loop, int fd, tn__fdw *w) {
    int rc = TN_OK, want = w->events;
    if (want == w->backend_events) return TN_OK;
    if (want == 0) rc = tn__poll_del(loop, fd);
    else if (w->backend_events == 0) rc = tn__poll_add(loop, fd, want);
    else rc = tn__poll_mod(loop, fd, want);
    if (rc == TN_OK) w->backend_events = (unsigned char)want;
    return rc;
}

/* Interest changes are applied lazily, right before the next poll: a watcher that drops
   READ and takes it back within one iteration (the usual read-callback-starts-next-read
   pattern) costs no system call. If the list cannot grow, sync at once. */
TN__PRIVATE int tn__loop_mark_dirty(tn_loop *loop, int fd, tn__fdw *w) {
    if (w->dirty) return TN_OK;
    if (w->events == w->backend_events) return TN_OK;
    if (tn__grow(loop->a, (void **)&loop->dirty, &loop->dirty_cap, loop->ndirty + 1, sizeof(int)) != 0)
        return tn__loop_sync_fd(loop, fd, w);
    loop->dirty[loop->ndirty++] = fd;
    w->dirty = 1;
    return TN_OK;
}

/* Apply pending interest changes. Fds the poller refused (e.g. closed without
   tn_loop_remove_fd) stay listed, to be reported after the wait. */
TN__PRIVATE void tn__loop_flush_dirty(tn_loop *loop) {
    size_t i, kept = 0;
    for (i = 0; i < loop->ndirty; i++) {
        int fd = loop->dirty[i];
        tn__fdw *w;
        if ((size_t)fd >= loop->nfds) continue;
        w = &loop->fds[fd];
        if (!w->active || !w->dirty) continue;
        w->dirty = 0;
        if (tn__loop_sync_fd(loop, fd, w) != TN_OK && w->events) loop->dirty[kept++] = fd;
    }
    loop->ndirty = kept;
}

/* After the wait: refused watchers get TN_EV_ERROR, so their owners hear of it. */
TN__PRIVATE int tn__loop_report_refused(tn_loop *loop, int nfired) {
    size_t i;
    for (i = 0; i < loop->ndirty; i++) {
        int fd = loop->dirty[i];
        tn__fdw *w = &loop->fds[fd];
        if (w->active && w->events && tn__loop_fired_reserve(loop, (size_t)nfired + 1) == TN_OK) {
            loop->fired[nfired].fd = fd;
            loop->fired[nfired].events = TN_EV_ERROR | w->events;
            nfired++;
        }
    }
    loop->ndirty = 0;
    return nfired;
}

TN__PRIVATE int tn__loop_add_fd(tn_loop *loop, tn_socket fd, int events, tn_fd_cb cb, void *user, int internal) {
    tn__fdw *w;
    int rc;
    if (fd < 0 || !cb) return TN_EINVAL;
    if ((size_t)fd >= loop->nfds) {
        /* zero only up to this fd: capacity beyond the highest fd seen stays untouched
           (not resident) until used */
        rc = tn__grow(loop->a, (void **)&loop->fds, &loop->fds_cap, (size_t)fd + 1, sizeof(tn__fdw));
        if (rc != 0) return rc;
        memset(loop->fds + loop->nfds, 0, ((size_t)fd + 1 - loop->nfds) * sizeof(tn__fdw));
        loop->nfds = (size_t)fd + 1;
    }
    w = &loop->fds[fd];
    if (w->active) return TN_EEXIST;
    memset(w, 0, sizeof *w);
    w->events = (unsigned char)(events & TN__EV_INTEREST);
    if ((rc = tn__loop_sync_fd(loop, fd, w)) != 0) return rc;   /* report EBADF etc. now */
    w->cb = cb;
    w->user = user;
    w->active = 1;
    w->internal = internal;
    w->iter_added = (uint32_t)loop->iter;
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
    w->events = (unsigned char)(events & TN__EV_INTEREST);
    return tn__loop_mark_dirty(loop, fd, w);
}

TN_API int tn_loop_remove_fd(tn_loop *loop, tn_socket fd) {
    tn__fdw *w = loop ? tn__loop_fdw(loop, fd) : NULL;
    if (!w) return TN_ENOENT;
    if (w->backend_events) (void)tn__poll_del(loop, fd);
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
        if (!w || w->iter_added == (uint32_t)loop->iter) continue;
        mask = ev & w->events;
        if ((ev & TN_EV_ERROR) && w->events) mask |= TN_EV_ERROR;
        if (!mask) continue;
        w->cb(loop, fd, mask, w->user);
        n++;
    }
    return n;
}

/* ---- timers ---- */
TN__PRIVATE int tn__heap_less(const tn__heapent *x, const tn__heapent *y) {
    return x->when < y->when || (x->when == y->when && x->seq < y->seq);
}

TN__PRIVATE void tn__heap_up(tn__heapent *h, size_t pos) {
    tn__heapent e = h[pos];
    while (pos > 0) {
        size_t parent = (pos - 1) / 2;
        if (!tn__heap_less(&e, &h[parent])) break;
        h[pos] = h[parent];
        pos = parent;
    }
    h[pos] = e;
}

TN__PRIVATE void tn__heap_down(tn__heapent *h, size_t len, size_t pos) {
    tn__heapent e = h[pos];
    for (;;) {
        size_t l = 2 * pos + 1, m;
        if (l >= len) break;
        m = (l + 1 < len && tn__heap_less(&h[l + 1], &h[l])) ? l + 1 : l;
        if (!tn__heap_less(&h[m], &e)) break;
        h[pos] = h[m];
        pos = m;
    }
    h[pos] = e;
}

TN__PRIVATE void tn__heap_pop(tn_loop *loop) {
    loop->heap[0] = loop->heap[--loop->heap_len];
    if (loop->heap_len > 0) tn__heap_down(loop->heap, loop->heap_len, 0);
}

TN__PRIVATE int tn__heap_stale_entry(const tn_loop *loop, const tn__heapent *e) {
    return loop->timers[e->slot].gen != e->gen;
}

/* Drop stale entries from the top, so heap[0] (if any) is a live timer. */
TN__PRIVATE void tn__heap_prune_top(tn_loop *loop) {
    while (loop->heap_len > 0 && tn__heap_stale_entry(loop, &loop->heap[0])) {
        tn__heap_pop(loop);
        loop->heap_stale--;
    }
}

/* Rebuild without stale entries once they outnumber the live ones (amortised O(1)). */
TN__PRIVATE void tn__heap_compact(tn_loop *loop) {
    size_t i, n = 0;
    if (loop->heap_stale < 1024 || loop->heap_stale * 2 < loop->heap_len) return;
    for (i = 0; i < loop->heap_len; i++)
        if (!tn__heap_stale_entry(loop, &loop->heap[i])) loop->heap[n++] = loop->heap[i];
    loop->heap_len = n;
    loop->heap_stale = 0;
    for (i = n / 2; i-- > 0;) tn__heap_down(loop->heap, n, i);
}

TN__PRIVATE int tn__heap_push(tn_loop *loop, uint32_t slot) {
    tn__heapent *e;
    int rc = tn__grow(loop->a, (void **)&loop->heap, &loop->heap_cap, loop->heap_len + 1, sizeof(tn__heapent));
    if (rc != 0) return rc;
    e = &loop->heap[loop->heap_len++];
    e->when = loop->timers[slot].when;
    e->seq = loop->timer_seq++;
    e->slot = slot;
    e->gen = loop->timers[slot].gen;
    tn__heap_up(loop->heap, loop->heap_len - 1);
    return TN_OK;
}

/* Free a slot; queued is 1 when its heap entry is still in the heap (it becomes stale). */
TN__PRIVATE void tn__timer_release(tn_loop *loop, uint32_t slot, int queued) {
    tn__timer *t = &loop->timers[slot];
    t->gen++;
    t->cb = NULL;
    t->firing = t->cancelled = 0;
    t->next_free = loop->timer_free;
    loop->timer_free = slot + 1;
    if (queued) {
        loop->heap_stale++;
        tn__heap_compact(loop);
    }
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
    if (!loop->timer_free) {
        if (loop->ntimers >= 0xfffffff0u) return TN_ENOMEM;
        rc = tn__grow(loop->a, (void **)&loop->timers, &loop->timers_cap, loop->ntimers + 1, sizeof(tn__timer));
        if (rc != 0) return rc;
        slot = (uint32_t)loop->ntimers++;
        memset(&loop->timers[slot], 0, sizeof(tn__timer));
        loop->timers[slot].gen = 1;
        loop->timers[slot].next_free = loop->timer_free;
        loop->timer_free = slot + 1;
    }
    slot = loop->timer_free - 1;
    t = &loop->timers[slot];
    t->when = when;
    t->interval = interval;
    if ((rc = tn__heap_push(loop, slot)) != 0) return rc;   /* the slot stays free */
    t->cb = cb;
    t->user = user;
    loop->timer_free = t->next_free;
    t->next_free = 0;
    if (out) *out = tn__timer_id(loop, slot);
    return TN_OK;
}

TN_API int tn_loop_call_at(tn_loop *loop, uint64_t when_ms, tn_cb cb, void *user, tn_timer_id *out) {
    return tn__timer_add(loop, when_ms, 0, cb, user, out);
}

/* Relative timers count from the current time, not the iteration's cached time, so a
   timer set after a slow callback or a pause outside the loop never fires early. */
TN_API int tn_loop_call_later(tn_loop *loop, uint64_t delay_ms, tn_cb cb, void *user, tn_timer_id *out) {
    if (!loop) return TN_EINVAL;
    return tn__timer_add(loop, tn_loop_update_time(loop) + delay_ms, 0, cb, user, out);
}

TN_API int tn_loop_call_every(tn_loop *loop, uint64_t interval_ms, tn_cb cb, void *user, tn_timer_id *out) {
    if (!loop || interval_ms == 0) return TN_EINVAL;
    return tn__timer_add(loop, tn_loop_update_time(loop) + interval_ms, interval_ms, cb, user, out);
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
    tn__timer_release(loop, (uint32_t)s, 1);
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
    for (;;) {
        tn__heapent top;
        tn__timer *t;
        tn__heap_prune_top(loop);
        if (loop->heap_len == 0) break;
        top = loop->heap[0];
        if (top.when > loop->now || top.seq >= seq_limit) break;
        tn__heap_pop(loop);
        t = &loop->timers[top.slot];
        t->firing = 1;
        n++;
        t->cb(loop, t->user);
        t = &loop->timers[top.slot];   /* the callback may have grown the slot array */
        if (t->interval > 0 && !t->cancelled) {
            /* periodic: next beat on the original grid, after the time the callback took;
               missed beats are skipped */
            uint64_t next = t->when + t->interval;
            tn_loop_update_time(loop);
            if (next <= loop->now) next += ((loop->now - next) / t->interval + 1) * t->interval;
            t->when = next;
            t->firing = 0;
            if (tn__heap_push(loop, top.slot) != 0) {
                TN__LLOG(loop, TN_LOG_ERROR, TN_ENOMEM, "periodic timer dropped: out of memory");
                tn__timer_release(loop, top.slot, 0);
            }
        } else {
            tn__timer_release(loop, top.slot, 0);
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
    tn__free(&a, loop->dirty);
    tn__free(&a, loop->timers);
    tn__free(&a, loop->heap);
    tn__free(&a, loop);
}

/* The options with their defaults; a is the resolved allocator (tn__allocator_resolve). */
TN__PRIVATE void tn__loop_opts_resolve(const tn_loop_opts *in, const tn_allocator *a, tn_loop_opts *o) {
    memset(o, 0, sizeof *o);
    if (in) *o = *in;
    o->allocator = *a;
    o->max_deferred_per_iter = TN__DEF(o->max_deferred_per_iter, TORNADO_MAX_DEFERRED_PER_ITER);
    if (o->max_deferred_per_iter < 1) o->max_deferred_per_iter = 1;
    o->logger.level = TN__DEF(o->logger.level, TN_LOG_INFO);
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
    tn__loop_opts_resolve(opts, &a, &loop->opts);
    loop->a = &loop->opts.allocator;
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

/* Loop teardown: the user's deferred callbacks are dropped without being called; the
   objects' own nodes (close sequences, failure reports) still run, so every close
   callback is delivered. */
TN__PRIVATE void tn__loop_settle_deferred(tn_loop *loop) {
    tn__defer *d;
    while ((d = loop->dq_head) != NULL) {
        loop->dq_head = d->next;
        if (!loop->dq_head) loop->dq_tail = NULL;
        d->queued = 0;
        d->next = NULL;
        if (d->owner) d->owner->pending--;
        if (d->fn == tn__user_defer_run) tn__free(loop->a, d);
        else d->fn(d);
    }
}

/* Objects still open: live handles not closing, plus user fd watchers. */
TN__PRIVATE size_t tn__loop_open_count(const tn_loop *loop) {
    const tn__handle *h;
    size_t n = loop->user_fds;
    for (h = loop->live; h; h = h->next) n++;   /* closing handles are in the closing queue */
    return n;
}

TN_API int tn_loop_free(tn_loop *loop) {
    int round;
    tn__defer *d;
    if (!loop) return TN_EINVAL;
    if (loop->running) return TN_EINVAL;
    if (tn__loop_open_count(loop) == 0) {
        /* finalise what was closed (close callbacks run); deferred calls are dropped */
        for (round = 0; round < 64 && (loop->closing_head || loop->dq_head); round++) {
            tn__loop_settle_deferred(loop);
            (void)tn__loop_run_closing(loop);
        }
    }
    if (tn_loop_alive(loop) > 0) {
        tn__handle *h;
        size_t i;
        TN__LLOG(loop, TN_LOG_WARN, TN_EBUSY, "tn_loop_free: %lu objects still alive",
                 (unsigned long)tn_loop_alive(loop));
        for (h = loop->live; h; h = h->next)
            TN__LLOG(loop, TN_LOG_WARN, TN_EBUSY, "  alive: %s", h->type->kind);
        for (h = loop->closing_head; h; h = h->next)
            TN__LLOG(loop, TN_LOG_WARN, TN_EBUSY, "  alive: %s (closing)", h->type->kind);
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
    tn__loop_settle_deferred(loop);
    tn__loop_release(loop);
    return TN_OK;
}

TN_API void tn_loop_stop(tn_loop *loop) { loop->stop = 1; }

/* 1 if a closed handle can be finalised now (one still waiting on its deferred nodes or,
   for a server, on its connections, must not make the loop spin). */
TN__PRIVATE int tn__loop_closing_ready(const tn_loop *loop) {
    const tn__handle *h;
    for (h = loop->closing_head; h; h = h->next)
        if (h->pending == 0) return 1;
    return 0;
}

TN__PRIVATE int tn__loop_poll_timeout(tn_loop *loop, int timeout_ms) {
    uint64_t t = TORNADO_MAX_POLL_WAIT_MS;
    if (loop->dq_head || loop->stop || tn__loop_closing_ready(loop)) return 0;
    tn__heap_prune_top(loop);
    if (loop->heap_len > 0) {
        uint64_t when = loop->heap[0].when;
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
    if (loop->ndirty) tn__loop_flush_dirty(loop);
    if (loop->ndirty) wait = 0;   /* refusals to report */
    rc = tn__poll_wait(loop, wait);
    if (rc >= 0 && loop->ndirty) rc = tn__loop_report_refused(loop, rc);
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
/* #include "internal.h" (inlined above) */

#if TN__POLL_EPOLL

#define TN__EPOLL_BATCH 1024

typedef struct tn__epoll {
    int epfd;
    struct epoll_event events[TN__EPOLL_BATCH];
} tn__epoll;

TN__PRIVATE const char *tn__poll_name(void) { return "epoll"; }

TN__PRIVATE int tn__poll_init(tn_loop *loop) {
    tn__epoll *p = (tn__epoll *)tn__calloc(tn__loop_alloc(loop), sizeof *p);
    if (!p) return TN_ENOMEM;
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (p->epfd < 0) {
        int rc = tn__last_err();
        tn__free(tn__loop_alloc(loop), p);
        return rc;
    }
    if (tn__loop_fired_reserve(loop, TN__EPOLL_BATCH) != 0) {
        tn__fd_close(p->epfd);
        tn__free(tn__loop_alloc(loop), p);
        return TN_ENOMEM;
    }
    *tn__loop_backend(loop) = p;
    return TN_OK;
}

TN__PRIVATE void tn__poll_free(tn_loop *loop) {
    tn__epoll *p = (tn__epoll *)*tn__loop_backend(loop);
    if (!p) return;
    tn__fd_close(p->epfd);
    tn__free(tn__loop_alloc(loop), p);
    *tn__loop_backend(loop) = NULL;
}

TN__PRIVATE uint32_t tn__epoll_mask(int events) {
    uint32_t m = 0;
    if (events & TN_EV_READ) m |= (uint32_t)EPOLLIN;
    if (events & TN_EV_WRITE) m |= (uint32_t)EPOLLOUT;
    if (events & TN__EV_RDHUP) m |= (uint32_t)EPOLLRDHUP;
    return m;
}

TN__PRIVATE int tn__epoll_ctl(tn_loop *loop, int op, int fd, int events) {
    tn__epoll *p = (tn__epoll *)*tn__loop_backend(loop);
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
    tn__epoll *p = (tn__epoll *)*tn__loop_backend(loop);
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    if (epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, &ev) != 0 && errno != ENOENT && errno != EBADF)
        return tn__last_err();
    return TN_OK;
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
        tn__loop_fired(loop)[i].fd = p->events[i].data.fd;
        tn__loop_fired(loop)[i].events = ev;
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
/* #include "internal.h" (inlined above) */

#if TN__POLL_POLL

typedef struct tn__pollset {
    struct pollfd *pfds;      /* the set handed to poll() */
    size_t n, cap;
    int *index;               /* fd → position in pfds, -1 when absent */
    size_t index_cap;
} tn__pollset;

TN__PRIVATE const char *tn__poll_name(void) { return "poll"; }

TN__PRIVATE int tn__poll_init(tn_loop *loop) {
    tn__pollset *p = (tn__pollset *)tn__calloc(tn__loop_alloc(loop), sizeof *p);
    if (!p) return TN_ENOMEM;
    *tn__loop_backend(loop) = p;
    return TN_OK;
}

TN__PRIVATE void tn__poll_free(tn_loop *loop) {
    tn__pollset *p = (tn__pollset *)*tn__loop_backend(loop);
    if (!p) return;
    tn__free(tn__loop_alloc(loop), p->pfds);
    tn__free(tn__loop_alloc(loop), p->index);
    tn__free(tn__loop_alloc(loop), p);
    *tn__loop_backend(loop) = NULL;
}

TN__PRIVATE short tn__poll_mask(int events) {
    int m = ((events & TN_EV_READ) ? POLLIN : 0) | ((events & TN_EV_WRITE) ? POLLOUT : 0);
#if defined(POLLRDHUP)
    if (events & TN__EV_RDHUP) m |= POLLRDHUP;
#endif
    return (short)m;
}

TN__PRIVATE int tn__poll_add(tn_loop *loop, int fd, int events) {
    tn__pollset *p = (tn__pollset *)*tn__loop_backend(loop);
    int rc;
    if ((size_t)fd >= p->index_cap) {
        size_t old = p->index_cap, i;
        rc = tn__grow(tn__loop_alloc(loop), (void **)&p->index, &p->index_cap, (size_t)fd + 1, sizeof(int));
        if (rc != 0) return rc;
        for (i = old; i < p->index_cap; i++) p->index[i] = -1;
    }
    if (p->index[fd] >= 0) {
        p->pfds[p->index[fd]].events = tn__poll_mask(events);
        return TN_OK;
    }
    if ((rc = tn__grow(tn__loop_alloc(loop), (void **)&p->pfds, &p->cap, p->n + 1, sizeof(struct pollfd))) != 0) return rc;
    if ((rc = tn__loop_fired_reserve(loop, p->n + 1)) != 0) return rc;
    p->pfds[p->n].fd = fd;
    p->pfds[p->n].events = tn__poll_mask(events);
    p->pfds[p->n].revents = 0;
    p->index[fd] = (int)p->n++;
    return TN_OK;
}

TN__PRIVATE int tn__poll_mod(tn_loop *loop, int fd, int events) {
    tn__pollset *p = (tn__pollset *)*tn__loop_backend(loop);
    if ((size_t)fd >= p->index_cap || p->index[fd] < 0) return TN_ENOENT;
    p->pfds[p->index[fd]].events = tn__poll_mask(events);
    return TN_OK;
}

TN__PRIVATE int tn__poll_del(tn_loop *loop, int fd) {
    tn__pollset *p = (tn__pollset *)*tn__loop_backend(loop);
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
    tn__pollset *p = (tn__pollset *)*tn__loop_backend(loop);
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
        if (r & (POLLERR | POLLHUP | POLLNVAL)) ev |= TN_EV_ERROR | TN_EV_READ | TN__EV_RDHUP;
#if defined(POLLRDHUP)
        if (r & POLLRDHUP) ev |= TN__EV_RDHUP | TN_EV_READ;
#endif
        tn__loop_fired(loop)[k].fd = p->pfds[i].fd;
        tn__loop_fired(loop)[k].events = ev;
        k++;
    }
    return k;
}

#endif /* TN__POLL_POLL */
/* <<poll_poll.c  end of src/poll_poll.c */

/* ======================================================================== */
/* >>net.c  (src/net.c)                                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/net.c"
#endif
/* net.c: addresses, bind/listen, unix sockets, accept, resolvers. */
/* #include "net.h" (inlined above) */
/* #include "internal.h" (inlined above) */

/* ---- addresses ---- */
TN__PRIVATE struct sockaddr *tn__net_sa(tn_addr *a) { return (struct sockaddr *)(void *)a->u.bytes; }
TN__PRIVATE const struct sockaddr *tn__net_csa(const tn_addr *a) { return (const struct sockaddr *)(const void *)a->u.bytes; }

TN__PRIVATE void tn__addr_set(tn_addr *a, const void *sa, size_t len) {
    memset(a, 0, sizeof *a);
    if (len > sizeof a->u.bytes) len = sizeof a->u.bytes;
    memcpy(a->u.bytes, sa, len);
    a->len = (uint32_t)len;
}

/* Port digits: 0..65535, empty → -1; anything else → TN_EBAD_URL. */
TN__PRIVATE int tn__net_parse_port(const char *s, size_t n, int *port) {
    size_t i;
    long v = 0;
    *port = -1;
    if (n == 0) return TN_OK;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return TN_EBAD_URL;
        v = v * 10 + (s[i] - '0');
        if (v > 65535) return TN_EBAD_URL;
    }
    *port = (int)v;
    return TN_OK;
}

/* The one host:port splitter (the resolver, url.c's authority and Host checks use it). */
TN_API int tn_split_host_port(tn_str netloc, tn_str *host, int *port) {
    const char *s = netloc.ptr;
    size_t n = netloc.len, i, colons = 0, last = 0;
    tn_str h;
    int p = -1, rc;
    h.ptr = s;
    h.len = n;
    if (n && s[0] == '[') {
        const char *close = (const char *)memchr(s, ']', n);
        if (!close) return TN_EBAD_URL;
        i = (size_t)(close - s);
        h = tn_str_make(s + 1, i - 1);
        if (i + 1 < n) {
            if (s[i + 1] != ':') return TN_EBAD_URL;
            if ((rc = tn__net_parse_port(s + i + 2, n - i - 2, &p)) != 0) return rc;
        }
    } else {
        for (i = 0; i < n; i++)
            if (s[i] == ':') { colons++; last = i; }
        if (colons == 1) {
            h = tn_str_make(s, last);
            if ((rc = tn__net_parse_port(s + last + 1, n - last - 1, &p)) != 0) return rc;
        }
    }
    if (host) *host = h;
    if (port) *port = p;
    return TN_OK;
}

TN_API int tn_addr_family(const tn_addr *a) {
    if (!a || a->len == 0) return TN_AF_UNSPEC;
    switch (tn__net_csa(a)->sa_family) {
    case AF_INET: return TN_AF_INET;
    case AF_INET6: return TN_AF_INET6;
    case AF_UNIX: return TN_AF_UNIX;
    default: return TN_AF_UNSPEC;
    }
}

TN_API int tn_addr_port(const tn_addr *a) {
    switch (tn_addr_family(a)) {
    case TN_AF_INET: return ntohs(((const struct sockaddr_in *)(const void *)a->u.bytes)->sin_port);
    case TN_AF_INET6: return ntohs(((const struct sockaddr_in6 *)(const void *)a->u.bytes)->sin6_port);
    default: return -1;
    }
}

TN_API int tn_addr_set_port(tn_addr *a, int port) {
    if (port < 0 || port > 65535) return TN_EINVAL;
    switch (tn_addr_family(a)) {
    case TN_AF_INET: ((struct sockaddr_in *)(void *)a->u.bytes)->sin_port = htons((uint16_t)port); return TN_OK;
    case TN_AF_INET6: ((struct sockaddr_in6 *)(void *)a->u.bytes)->sin6_port = htons((uint16_t)port); return TN_OK;
    default: return TN_EINVAL;
    }
}

TN_API int tn_addr_from_ip(const char *ip, int port, tn_addr *out) {
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    char tmp[64];
    size_t n;
    if (!ip || !out || port < 0 || port > 65535) return TN_EINVAL;
    n = strlen(ip);
    if (n >= 2 && ip[0] == '[' && ip[n - 1] == ']') {   /* "[::1]" */
        if (n - 2 >= sizeof tmp) return TN_EINVAL;
        memcpy(tmp, ip + 1, n - 2);
        tmp[n - 2] = 0;
        ip = tmp;
        if (strchr(ip, ':') == NULL) return TN_EINVAL;
    }
    memset(&v4, 0, sizeof v4);
    if (inet_pton(AF_INET, ip, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons((uint16_t)port);
        tn__addr_set(out, &v4, sizeof v4);
        return TN_OK;
    }
    memset(&v6, 0, sizeof v6);
    if (inet_pton(AF_INET6, ip, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons((uint16_t)port);
        tn__addr_set(out, &v6, sizeof v6);
        return TN_OK;
    }
    return TN_EINVAL;
}

TN_API int tn_addr_from_unix(const char *path, tn_addr *out) {
    struct sockaddr_un un;
    size_t n;
    if (!path || !out) return TN_EINVAL;
    n = strlen(path);
    if (n == 0 || n >= sizeof un.sun_path) return TN_EINVAL;
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    memcpy(un.sun_path, path, n + 1);
    tn__addr_set(out, &un, offsetof(struct sockaddr_un, sun_path) + n + 1);
    return TN_OK;
}

TN_API int tn_is_valid_ip(const char *s) {
    unsigned char b[16];
    if (!s || !*s) return 0;
    return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

TN__PRIVATE int tn__net_put(char *buf, size_t n, const char *s) {
    size_t len = strlen(s);
    if (len >= n) return TN_EBUFFER_FULL;
    memcpy(buf, s, len + 1);
    return (int)len;
}

TN_API int tn_addr_ip(const tn_addr *a, char *buf, size_t n) {
    char tmp[TN_ADDR_STRLEN];
    if (!a || !buf) return TN_EINVAL;
    switch (tn_addr_family(a)) {
    case TN_AF_INET:
        if (!inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)a->u.bytes)->sin_addr, tmp, sizeof tmp))
            return TN_EINVAL;
        return tn__net_put(buf, n, tmp);
    case TN_AF_INET6:
        if (!inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)a->u.bytes)->sin6_addr, tmp, sizeof tmp))
            return TN_EINVAL;
        return tn__net_put(buf, n, tmp);
    case TN_AF_UNIX: {
        const struct sockaddr_un *un = (const struct sockaddr_un *)(const void *)a->u.bytes;
        size_t off = offsetof(struct sockaddr_un, sun_path), len = 0;
        while (off + len < a->len && len < sizeof un->sun_path && un->sun_path[len]) len++;
        if (len >= n) return TN_EBUFFER_FULL;
        memcpy(buf, un->sun_path, len);
        buf[len] = 0;
        return (int)len;
    }
    default:
        return TN_EINVAL;
    }
}

TN_API int tn_addr_format(const tn_addr *a, char *buf, size_t n) {
    char ip[TN_ADDR_STRLEN], tmp[TN_ADDR_STRLEN + 16];
    int rc = tn_addr_ip(a, ip, sizeof ip);
    if (rc < 0) return rc;
    switch (tn_addr_family(a)) {
    case TN_AF_INET: snprintf(tmp, sizeof tmp, "%s:%d", ip, tn_addr_port(a)); break;
    case TN_AF_INET6: snprintf(tmp, sizeof tmp, "[%s]:%d", ip, tn_addr_port(a)); break;
    default: snprintf(tmp, sizeof tmp, "unix:%s", ip); break;
    }
    return tn__net_put(buf, n, tmp);
}

TN_API int tn_addr_equal(const tn_addr *a, const tn_addr *b) {
    int fa = tn_addr_family(a);
    if (fa != tn_addr_family(b) || fa == TN_AF_UNSPEC) return 0;
    if (fa == TN_AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)(const void *)a->u.bytes;
        const struct sockaddr_in *y = (const struct sockaddr_in *)(const void *)b->u.bytes;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (fa == TN_AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)(const void *)a->u.bytes;
        const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)(const void *)b->u.bytes;
        return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0 &&
               x->sin6_scope_id == y->sin6_scope_id;
    }
    return a->len == b->len && memcmp(a->u.bytes, b->u.bytes, a->len) == 0;
}

/* ---- sockets ---- */
TN_API void tn_socket_close(tn_socket fd) { tn__fd_close(fd); }

TN_API int tn_socket_local_addr(tn_socket fd, tn_addr *out) {
    socklen_t len = (socklen_t)sizeof out->u.bytes;
    memset(out, 0, sizeof *out);
    if (getsockname(fd, tn__net_sa(out), &len) != 0) return tn__last_err();
    out->len = (uint32_t)len;
    return TN_OK;
}

TN_API int tn_socket_peer_addr(tn_socket fd, tn_addr *out) {
    socklen_t len = (socklen_t)sizeof out->u.bytes;
    memset(out, 0, sizeof *out);
    if (getpeername(fd, tn__net_sa(out), &len) != 0) return tn__last_err();
    out->len = (uint32_t)len;
    return TN_OK;
}

/* Accept one connection: non-blocking and close-on-exec. TN_EAGAIN when none is queued. */
TN__PRIVATE int tn__net_accept(int lfd, int *out, tn_addr *peer) {
    socklen_t len = (socklen_t)sizeof peer->u.bytes;
    int fd = -1;
    memset(peer, 0, sizeof *peer);
    for (;;) {
#if TN__HAVE_GNU
        fd = accept4(lfd, tn__net_sa(peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
        fd = accept(lfd, tn__net_sa(peer), &len);
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
    { int one = 1; (void)setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one); }
#endif
    peer->len = (uint32_t)len;
    *out = fd;
    return TN_OK;
}

/* Map a getaddrinfo failure. */
TN__PRIVATE int tn__net_gai_err(int e) {
    switch (e) {
    case EAI_MEMORY: return TN_ENOMEM;
#if defined(EAI_SYSTEM)
    case EAI_SYSTEM: return tn__last_err();
#endif
    default: return TN_ERESOLVE;
    }
}

TN__PRIVATE int tn__net_af(int family) {
    return family == TN_AF_INET ? AF_INET : family == TN_AF_INET6 ? AF_INET6 : AF_UNSPEC;
}

/* Resolve host:port into a fresh array (allocated with a; free with tn__free). Literal IPs
   skip the lookup. Duplicate addresses are dropped; order is kept. */
TN__PRIVATE int tn__net_getaddrinfo(const tn_allocator *a, const char *host, int port, int family, int passive,
                                tn_addr **out, size_t *n_out) {
    struct addrinfo hints, *res = NULL, *ai;
    char portstr[16];
    tn_addr *arr;
    size_t n = 0, cap = 0, i;
    int rc;
    *out = NULL;
    *n_out = 0;
    if (port < 0 || port > 65535) return TN_EINVAL;
    if (host && *host) {
        tn_addr lit;
        if (tn_addr_from_ip(host, port, &lit) == TN_OK) {
            int f = tn_addr_family(&lit);
            if (family != TN_AF_UNSPEC && family != f) return TN_ERESOLVE;
            arr = (tn_addr *)tn__alloc(a, sizeof *arr);
            if (!arr) return TN_ENOMEM;
            *arr = lit;
            *out = arr;
            *n_out = 1;
            return TN_OK;
        }
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = tn__net_af(family);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    snprintf(portstr, sizeof portstr, "%d", port);
    rc = getaddrinfo((host && *host) ? host : NULL, portstr, &hints, &res);
    if (rc != 0) return tn__net_gai_err(rc);
    for (ai = res; ai; ai = ai->ai_next) cap++;
    arr = (tn_addr *)tn__alloc(a, (cap ? cap : 1) * sizeof *arr);
    if (!arr) {
        freeaddrinfo(res);
        return TN_ENOMEM;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        tn_addr cur;
        int dup = 0;
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        tn__addr_set(&cur, ai->ai_addr, ai->ai_addrlen);
        for (i = 0; i < n && !dup; i++) dup = tn_addr_equal(&arr[i], &cur);
        if (!dup) arr[n++] = cur;
    }
    freeaddrinfo(res);
    if (n == 0) {
        tn__free(a, arr);
        return TN_ERESOLVE;
    }
    *out = arr;
    *n_out = n;
    return TN_OK;
}

TN__PRIVATE int tn__net_listen_on(const tn_addr *addr, const tn_bind_opts *o, int backlog, int *out) {
    int fd = -1, rc, one = 1;
    int fam = tn__net_csa(addr)->sa_family;
    if ((rc = tn__socket(fam, SOCK_STREAM, &fd)) != 0) return rc;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (o->reuse_port) {
#if defined(SO_REUSEPORT)
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
            rc = tn__last_err();
            tn__fd_close(fd);
            return rc == TN_ESYS ? TN_ENOTSUP : rc;
        }
#else
        tn__fd_close(fd);
        return TN_ENOTSUP;
#endif
    }
    if (fam == AF_INET6) {
        int v6only = o->dual_stack ? 0 : 1;
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only);
    }
    if (bind(fd, tn__net_csa(addr), (socklen_t)addr->len) != 0 || listen(fd, backlog) != 0) {
        rc = tn__last_err();
        tn__fd_close(fd);
        return rc;
    }
    *out = fd;
    return TN_OK;
}

TN__PRIVATE void tn__net_bind_opts_resolve(const tn_bind_opts *in, tn_bind_opts *o) {
    memset(o, 0, sizeof *o);
    if (in) *o = *in;
    o->backlog = TN__DEF(o->backlog, TORNADO_BACKLOG);
}

TN_API int tn_bind_sockets(const char *host, int port, const tn_bind_opts *opts,
                           tn_socket *out, size_t cap, size_t *n_out) {
    tn_bind_opts o;
    tn_allocator a;
    tn_addr *addrs;
    size_t n, i, made = 0;
    int rc, backlog, chosen = port;
    if (!out || !n_out || port < 0 || port > 65535) return TN_EINVAL;
    *n_out = 0;
    tn__net_bind_opts_resolve(opts, &o);
    backlog = o.backlog;
    (void)tn__allocator_resolve(NULL, &a);
    rc = tn__net_getaddrinfo(&a, host, port, o.family, 1, &addrs, &n);
    if (rc != 0) return rc;
    for (i = 0; i < n; i++) {
        int fd = -1;
        if (made >= cap) {
            rc = TN_ELIMIT;
            break;
        }
        /* port 0: the first socket picks a port; the others bind the same one */
        if (chosen != 0) (void)tn_addr_set_port(&addrs[i], chosen);
        rc = tn__net_listen_on(&addrs[i], &o, backlog, &fd);
        if (rc == TN_EADDRNOTAVAIL && n > 1 && tn_addr_family(&addrs[i]) == TN_AF_INET6) {
            rc = TN_OK;   /* a host without working IPv6: skip that family (Tornado 3.1) */
            continue;
        }
        if (rc != 0) break;
        out[made++] = fd;
        if (chosen == 0) {
            tn_addr bound;
            if ((rc = tn_socket_local_addr(fd, &bound)) != 0) break;
            chosen = tn_addr_port(&bound);
        }
    }
    tn__free(&a, addrs);
    if (rc == 0 && made == 0) rc = TN_EADDRNOTAVAIL;
    if (rc != 0) {
        for (i = 0; i < made; i++) tn__fd_close(out[i]);
        return rc;
    }
    *n_out = made;
    return TN_OK;
}

TN_API int tn_bind_unix(const char *path, int mode, int backlog, tn_socket *out) {
    tn_addr addr;
    struct stat st;
    int fd = -1, rc;
    if (!out || (rc = tn_addr_from_unix(path, &addr)) != 0) return TN_EINVAL;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) return TN_EEXIST;
        if (unlink(path) != 0) return tn__last_err();   /* a stale socket */
    } else if (errno != ENOENT) {
        return tn__last_err();
    }
    if ((rc = tn__socket(AF_UNIX, SOCK_STREAM, &fd)) != 0) return rc;
    if (bind(fd, tn__net_csa(&addr), (socklen_t)addr.len) != 0 ||
        chmod(path, (mode_t)(mode ? mode : 0600)) != 0 ||
        listen(fd, backlog ? backlog : TORNADO_BACKLOG) != 0) {
        rc = tn__last_err();
        tn__fd_close(fd);
        return rc;
    }
    *out = fd;
    return TN_OK;
}

/* ---- resolvers ---- */
typedef struct tn__net_override {
    char *host;          /* lower-case host */
    int port;            /* -1: any port */
    char *to;            /* target list text */
    struct tn__net_override *next;
} tn__net_override;

struct tn_resolve_req {
    tn__handle h;                   /* a live object until its callback ran */
    tn__defer d;                    /* blocking mode: the deferred lookup */
    tn_resolver *r;                 /* NULL: a plain blocking lookup */
    tn_resolve_cb cb;
    void *user;
    char *host;                     /* after override: the first name to look up */
    char *targets;                  /* override target list (owned), or NULL */
    int port;
    int family;
    int cancelled;
    int status;
    tn_addr *addrs;
    size_t naddrs;
    tn_resolve_req *qnext;          /* threaded: job / done queues */
};

struct tn_resolver {
    tn__handle h;
    tn_resolver_opts opts;
    tn__net_override *overrides;
    tn_cb close_cb;
    void *close_user;
#if TN_HAS_THREADS
    pthread_t *threads;
    int nthreads;
    pthread_cond_t cond;
    tn__mutex lock;
    tn_resolve_req *jobs_head, *jobs_tail;
    tn_resolve_req *done_head, *done_tail;
    int stopping;
    tn_async *async;                /* workers wake the loop through it */
#endif
};

TN_API int tn_resolver_add_override(tn_resolver *r, const char *from, const char *to) {
    tn_str hs;
    const char *h;
    size_t hl, i;
    int port;
    tn__net_override *o;
    tn_allocator *a;
    if (!r || !from || !to || !*to || r->h.closing) return TN_EINVAL;
    if (tn_split_host_port(tn_str_c(from), &hs, &port) != 0 || hs.len == 0) return TN_EINVAL;
    h = hs.ptr;
    hl = hs.len;
    a = tn__loop_alloc(r->h.loop);
    o = (tn__net_override *)tn__calloc(a, sizeof *o);
    if (!o) return TN_ENOMEM;
    o->host = tn__strndup(a, h, hl);
    o->to = tn__strdup(a, to);
    if (!o->host || !o->to) {
        tn__free(a, o->host);
        tn__free(a, o->to);
        tn__free(a, o);
        return TN_ENOMEM;
    }
    for (i = 0; i < hl; i++) o->host[i] = (char)tn__lower((unsigned char)o->host[i]);
    o->port = port;
    o->next = r->overrides;
    r->overrides = o;
    return TN_OK;
}

TN__PRIVATE const tn__net_override *tn__net_override_find(const tn_resolver *r, const char *host, int port) {
    const tn__net_override *o, *any = NULL;
    size_t hl = strlen(host);
    for (o = r->overrides; o; o = o->next) {
        if (strlen(o->host) != hl || !tn_str_ieq(tn_str_make(o->host, hl), tn_str_make(host, hl))) continue;
        if (o->port == port) return o;
        if (o->port < 0 && !any) any = o;
    }
    return any;
}

/* Append addresses to req (growing its array). */
TN__PRIVATE int tn__net_req_add_addrs(tn_resolve_req *q, const tn_allocator *a, const tn_addr *add, size_t n) {
    size_t i, j;
    tn_addr *arr = (tn_addr *)tn__realloc(a, q->addrs, (q->naddrs + n) * sizeof *arr);
    if (!arr) return TN_ENOMEM;
    q->addrs = arr;
    for (i = 0; i < n; i++) {
        int dup = 0;
        for (j = 0; j < q->naddrs && !dup; j++) dup = tn_addr_equal(&arr[j], &add[i]);
        if (!dup) arr[q->naddrs++] = add[i];
    }
    return TN_OK;
}

/* Do the lookup(s) of a request; safe on a worker thread (touches only the request and
   the allocator). With override targets, each target is an IP (used as is) or a name. */
TN__PRIVATE void tn__net_req_lookup(tn_resolve_req *q, const tn_allocator *a) {
    int rc = TN_OK, any = 0;
    if (q->targets) {
        const char *p = q->targets;
        while (*p && rc != TN_ENOMEM) {
            const char *end = strchr(p, ',');
            size_t len;
            tn_str h;
            int tport;
            char *name;
            if (!end) end = p + strlen(p);
            while (p < end && (*p == ' ' || *p == '\t')) p++;
            len = (size_t)(end - p);
            while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
            if (len > 0 && tn_split_host_port(tn_str_make(p, len), &h, &tport) == 0 && h.len > 0 &&
                (name = tn__strndup(a, h.ptr, h.len)) != NULL) {
                tn_addr *res;
                size_t n;
                int r2 = tn__net_getaddrinfo(a, name, tport >= 0 ? tport : q->port, q->family, 0, &res, &n);
                tn__free(a, name);
                if (r2 == 0) {
                    r2 = tn__net_req_add_addrs(q, a, res, n);
                    tn__free(a, res);
                    if (r2 == 0) any = 1;
                }
                if (r2 == TN_ENOMEM) rc = TN_ENOMEM;
            } else if (len > 0) {
                rc = TN_ERESOLVE;   /* a malformed target: reported unless another works */
            }
            p = *end ? end + 1 : end;
        }
        q->status = any ? TN_OK : (rc == TN_OK ? TN_ERESOLVE : rc);
        return;
    }
    q->status = tn__net_getaddrinfo(a, q->host, q->port, q->family, 0, &q->addrs, &q->naddrs);
}

TN__PRIVATE void tn__net_req_finalize(tn__handle *h) {
    tn_resolve_req *q = (tn_resolve_req *)h;
    tn_allocator *a = tn__loop_alloc(h->loop);
    tn__free(a, q->addrs);
    tn__free(a, q->host);
    tn__free(a, q->targets);
    tn__free(a, q);
}
static const tn__handle_type tn__net_resolve_req_type = { "resolve request", tn__net_req_finalize };

/* Deliver a finished request on the loop thread, then retire it. A resolver is not
   finalised while it has requests in flight (each holds one count of r->h.pending). */
TN__PRIVATE void tn__net_req_complete(tn_resolve_req *q) {
    int status = q->cancelled ? TN_ECANCELED : q->status;
    tn_resolver *r = q->r;
    q->cb(status, status == TN_OK ? q->addrs : NULL, status == TN_OK ? q->naddrs : 0, q->user);
    (void)tn__handle_close(&q->h);
    if (r) r->h.pending--;
}

#define TN__NET_REQ_OF(dp) ((tn_resolve_req *)(void *)((char *)(dp) - offsetof(tn_resolve_req, d)))

TN__PRIVATE void tn__net_req_run_blocking(tn__defer *d) {
    tn_resolve_req *q = TN__NET_REQ_OF(d);
    if (!q->cancelled) tn__net_req_lookup(q, tn__loop_alloc(q->h.loop));
    tn__net_req_complete(q);
}

TN__PRIVATE void tn__net_req_run_done(tn__defer *d) { tn__net_req_complete(TN__NET_REQ_OF(d)); }

#if TN_HAS_THREADS
TN__PRIVATE void *tn__net_resolver_worker(void *arg) {
    tn_resolver *r = (tn_resolver *)arg;
    const tn_allocator *a = tn__loop_alloc(r->h.loop);
    for (;;) {
        tn_resolve_req *q;
        tn__mutex_lock(&r->lock);
        while (!r->jobs_head && !r->stopping) pthread_cond_wait(&r->cond, &r->lock);
        int stopping;
        q = r->jobs_head;
        if (!q) {   /* stopping and nothing left */
            tn__mutex_unlock(&r->lock);
            return NULL;
        }
        r->jobs_head = q->qnext;
        if (!r->jobs_head) r->jobs_tail = NULL;
        q->qnext = NULL;
        stopping = r->stopping;
        tn__mutex_unlock(&r->lock);
        if (!stopping) tn__net_req_lookup(q, a);   /* q->cancelled is read on the loop side */
        else q->status = TN_ECANCELED;
        tn__mutex_lock(&r->lock);
        if (r->done_tail) r->done_tail->qnext = q;
        else r->done_head = q;
        r->done_tail = q;
        tn__mutex_unlock(&r->lock);
        (void)tn_async_send(r->async);
    }
}

TN__PRIVATE void tn__net_resolver_on_async(tn_loop *loop, void *user) {
    tn_resolver *r = (tn_resolver *)user;
    tn_resolve_req *q;
    (void)loop;
    tn__mutex_lock(&r->lock);
    q = r->done_head;
    r->done_head = r->done_tail = NULL;
    tn__mutex_unlock(&r->lock);
    while (q) {
        tn_resolve_req *next = q->qnext;
        tn__net_req_complete(q);
        q = next;
    }
}

TN__PRIVATE int tn__net_resolver_start_threads(tn_resolver *r) {
    int i, want = r->opts.threads;
    if (r->threads) return TN_OK;
    r->threads = (pthread_t *)tn__calloc(tn__loop_alloc(r->h.loop), (size_t)want * sizeof(pthread_t));
    if (!r->threads) return TN_ENOMEM;
    for (i = 0; i < want; i++) {
        if (pthread_create(&r->threads[i], NULL, tn__net_resolver_worker, r) != 0) break;
        r->nthreads++;
    }
    return r->nthreads > 0 ? TN_OK : TN_ESYS;
}
#endif

TN__PRIVATE void tn__net_resolver_finalize(tn__handle *h) {
    tn_resolver *r = (tn_resolver *)h;
    tn_loop *loop = h->loop;
    tn__net_override *o = r->overrides;
    while (o) {
        tn__net_override *n = o->next;
        tn__free(tn__loop_alloc(loop), o->host);
        tn__free(tn__loop_alloc(loop), o->to);
        tn__free(tn__loop_alloc(loop), o);
        o = n;
    }
#if TN_HAS_THREADS
    if (r->opts.kind == TN_RESOLVER_THREADED) {
        pthread_cond_destroy(&r->cond);
        tn__mutex_destroy(&r->lock);
        tn__free(tn__loop_alloc(loop), r->threads);
    }
#endif
    if (r->close_cb) r->close_cb(loop, r->close_user);
    tn__free(tn__loop_alloc(loop), r);
}
static const tn__handle_type tn__net_resolver_type = { "resolver", tn__net_resolver_finalize };

TN__PRIVATE void tn__net_resolver_opts_resolve(const tn_resolver_opts *in, tn_resolver_opts *o) {
    memset(o, 0, sizeof *o);
    if (in) *o = *in;
    o->threads = TN__DEF(o->threads, TORNADO_RESOLVER_THREADS);
}

TN_API int tn_resolver_new(tn_loop *loop, const tn_resolver_opts *opts, tn_resolver **out) {
    tn_resolver *r;
    if (!loop || !out) return TN_EINVAL;
    *out = NULL;
    r = (tn_resolver *)tn__calloc(tn__loop_alloc(loop), sizeof *r);
    if (!r) return TN_ENOMEM;
    tn__net_resolver_opts_resolve(opts, &r->opts);
    if (r->opts.kind != TN_RESOLVER_BLOCKING && r->opts.kind != TN_RESOLVER_THREADED) {
        tn__free(tn__loop_alloc(loop), r);
        return TN_EINVAL;
    }
    if (r->opts.kind == TN_RESOLVER_THREADED) {
#if TN_HAS_THREADS
        int rc;
        if (pthread_cond_init(&r->cond, NULL) != 0) {
            tn__free(tn__loop_alloc(loop), r);
            return TN_ESYS;
        }
        if ((rc = tn__mutex_init(&r->lock)) != 0 ||
            (rc = tn_async_new(loop, tn__net_resolver_on_async, r, &r->async)) != 0) {
            pthread_cond_destroy(&r->cond);
            tn__mutex_destroy(&r->lock);
            tn__free(tn__loop_alloc(loop), r);
            return rc;
        }
#else
        tn__free(tn__loop_alloc(loop), r);
        return TN_ENOTSUP;
#endif
    }
    tn__handle_init(loop, &r->h, &tn__net_resolver_type);
    *out = r;
    return TN_OK;
}

TN_API int tn_resolve(tn_loop *loop, tn_resolver *r, const char *host, int port, int family,
                      tn_resolve_cb cb, void *user, tn_resolve_req **out) {
    tn_resolve_req *q;
    tn_allocator *a;
    const tn__net_override *o = NULL;
    if (out) *out = NULL;
    if (!loop || !host || !cb || port < 0 || port > 65535) return TN_EINVAL;
    if (family != TN_AF_UNSPEC && family != TN_AF_INET && family != TN_AF_INET6) return TN_EINVAL;
    if (r && (r->h.closing || r->h.loop != loop)) return r->h.closing ? TN_ECLOSED : TN_EINVAL;
    a = tn__loop_alloc(loop);
    q = (tn_resolve_req *)tn__calloc(a, sizeof *q);
    if (!q) return TN_ENOMEM;
    q->r = r;
    q->cb = cb;
    q->user = user;
    q->port = port;
    q->family = family;
    if (r) o = tn__net_override_find(r, host, port);
    if (o) q->targets = tn__strdup(a, o->to);
    else q->host = tn__strdup(a, host);
    if (!q->targets && !q->host) {
        tn__free(a, q);
        return TN_ENOMEM;
    }
#if TN_HAS_THREADS
    if (r && r->opts.kind == TN_RESOLVER_THREADED) {
        int rc = tn__net_resolver_start_threads(r);
        if (rc != 0) {
            tn__free(a, q->targets);
            tn__free(a, q->host);
            tn__free(a, q);
            return rc;
        }
        tn__handle_init(loop, &q->h, &tn__net_resolve_req_type);
        tn__mutex_lock(&r->lock);
        if (r->jobs_tail) r->jobs_tail->qnext = q;
        else r->jobs_head = q;
        r->jobs_tail = q;
        pthread_cond_signal(&r->cond);
        tn__mutex_unlock(&r->lock);
        r->h.pending++;
        if (out) *out = q;
        return TN_OK;
    }
#endif
    tn__handle_init(loop, &q->h, &tn__net_resolve_req_type);
    tn__defer_init(&q->d, tn__net_req_run_blocking, &q->h);
    tn__defer_queue(loop, &q->d);
    if (r) r->h.pending++;
    if (out) *out = q;
    return TN_OK;
}

TN_API void tn_resolve_cancel(tn_resolve_req *req) {
    if (req) req->cancelled = 1;
}

TN_API int tn_resolver_close(tn_resolver *r, tn_cb cb, void *user) {
    if (!r) return TN_EINVAL;
    if (r->h.closing) return TN_ECLOSED;
    r->close_cb = cb;
    r->close_user = user;
#if TN_HAS_THREADS
    if (r->opts.kind == TN_RESOLVER_THREADED) {
        int i;
        tn_resolve_req *q;
        /* queued jobs finish as cancelled; running lookups complete, then workers exit */
        tn__mutex_lock(&r->lock);
        for (q = r->jobs_head; q; q = q->qnext) q->cancelled = 1;
        r->stopping = 1;
        pthread_cond_broadcast(&r->cond);
        tn__mutex_unlock(&r->lock);
        for (i = 0; i < r->nthreads; i++) (void)pthread_join(r->threads[i], NULL);
        r->nthreads = 0;
        /* what finished is delivered from the loop, never inside this call */
        tn__mutex_lock(&r->lock);
        q = r->done_head;
        r->done_head = r->done_tail = NULL;
        tn__mutex_unlock(&r->lock);
        while (q) {
            tn_resolve_req *next = q->qnext;
            tn__defer_init(&q->d, tn__net_req_run_done, &q->h);
            tn__defer_queue(r->h.loop, &q->d);
            q = next;
        }
        (void)tn_async_close(r->async, NULL, NULL);
    }
#endif
    return tn__handle_close(&r->h);
}
/* <<net.c  end of src/net.c */

/* ======================================================================== */
/* >>stream.c  (src/stream.c)                                               */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/stream.c"
#endif
/* stream.c: tn_stream: lazy buffered reads, queued writes, deferred close, transports. */
/* #include "stream.h" (inlined above) */
/* #include "internal.h" (inlined above) */


/* TN__RD_FILL (internal, for protocol layers that parse in place): completes as soon as
   the buffer holds more than rn bytes; the callback sees everything buffered and nothing
   is consumed (tn__stream_consume does that). */
enum { TN__RD_NONE = 0, TN__RD_BYTES, TN__RD_UNTIL, TN__RD_INTO, TN__RD_CLOSE, TN__RD_FILL };

#define TN__DELIM_INLINE 8
#define TN__PUMP_ROUNDS 64

typedef struct tn__wcb { uint64_t end; tn_write_cb cb; void *user; } tn__wcb;


/* Pointers first, then 32-bit fields, then bytes: no padding holes. Every idle server
   connection holds one of these, so each field has to earn its place. */
struct tn_stream {
    tn__handle h;
    tn__defer dispatch;            /* deferred pump: completions never run inside API calls */
    const tn__transport_ops *ops;
    void *tp;                      /* the transport's state (TLS), or NULL: tn__stream_transport */
    tn__stream_owner *owner;       /* bookkeeping hook of the tcp server, or NULL */

    /* the pending read */
    size_t rn;                     /* bytes wanted (BYTES, INTO) or max_bytes (UNTIL) */
    size_t rdone;                  /* streaming: delivered; INTO: filled; UNTIL: bytes searched */
    union {
        char inl[TN__DELIM_INLINE];   /* UNTIL: a delimiter of up to 8 bytes, held here */
        char *delim;               /* UNTIL: a longer delimiter (allocated) */
        char *into;                /* INTO: the caller's buffer */
    } rp;
    tn_read_cb rcb;
    void *ruser;
    tn_buf rbuf;                   /* storage released whenever it empties */

    /* writes */
    tn_buf wbuf;
    uint64_t wqueued, wsent;       /* byte totals */
    tn__wcb *wcbs;                 /* callbacks waiting for their bytes, in order (a ring) */
    struct tn__sfseg *sf;          /* a queued file segment (tn__stream_sendfile), or NULL */

    tn_close_cb ccb;
    void *cuser;
    tn_timer_id idle_timer;
    void *user;

    int fd;
    int cause;
    struct {                       /* resolved options, stored compactly (see tn_stream_get_opts) */
        uint32_t max_buffer_size;  /* sizes are clamped to 4 GiB - 1 */
        uint32_t max_write_buffer_size;
        uint32_t read_chunk_size;
        uint32_t idle_timeout_ms;  /* clamped to ~49 days */
    } opts;
    uint32_t wcb_head, wcb_len, wcb_cap;
    uint32_t last_io;              /* loop time of the last byte moved, low 32 bits (idle timeout) */
    unsigned char events;          /* interest registered with the loop (TN_EV_*) */
    unsigned char rkind;           /* the pending read (TN__RD_*) */
    unsigned char rflags;
    unsigned char dlen;            /* read_until: delimiter length (1..64) */
    unsigned char tpwant;          /* interest the transport asked for (tn__stream_transport_want) */
    unsigned int closed : 1;
    unsigned int eof : 1;
    unsigned int watch_close : 1;  /* idle (no read pending): still notice the peer leaving */
    unsigned int corked : 1;       /* writes queue without being sent (see tn__stream_cork) */
    unsigned int reported : 1;     /* the close sequence ran */
    unsigned int delivering : 1;   /* a finished read's callback runs; rdone: its buffered bytes */
};

/* ---- transports ---- */
TN__PRIVATE long tn__stream_sock_read(tn_stream *s, void *buf, size_t n) {
    for (;;) {
        ssize_t r = recv(s->fd, buf, n, 0);
        if (r >= 0) return (long)r;
        if (errno != EINTR) return tn__last_err();
    }
}

TN__PRIVATE long tn__stream_sock_write(tn_stream *s, const void *buf, size_t n) {
    for (;;) {
        ssize_t r = send(s->fd, buf, n, TN__SEND_FLAGS);
        if (r >= 0) return (long)r;
        if (errno != EINTR) return tn__last_err();
    }
}

TN__PRIVATE long tn__stream_fd_read(tn_stream *s, void *buf, size_t n) {
    for (;;) {
        ssize_t r = read(s->fd, buf, n);
        if (r >= 0) return (long)r;
        if (errno != EINTR) return tn__last_err();
    }
}

TN__PRIVATE long tn__stream_fd_write(tn_stream *s, const void *buf, size_t n) {
    for (;;) {
        ssize_t r = write(s->fd, buf, n);
        if (r >= 0) return (long)r;
        if (errno != EINTR) return tn__last_err();
    }
}

TN__PRIVATE int tn__stream_iov(struct iovec *iov, const tn_str *bufs, int n) {
    int i;
    for (i = 0; i < n; i++) {
        iov[i].iov_base = (void *)(uintptr_t)bufs[i].ptr;
        iov[i].iov_len = bufs[i].len;
    }
    return n;
}

TN__PRIVATE long tn__stream_sock_writev(tn_stream *s, const tn_str *bufs, int n) {
    struct iovec iov[TN__IOV_MAX];
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = (size_t)tn__stream_iov(iov, bufs, n);
    for (;;) {
        ssize_t r = sendmsg(s->fd, &msg, TN__SEND_FLAGS);
        if (r >= 0) return (long)r;
        if (errno != EINTR) return tn__last_err();
    }
}

TN__PRIVATE long tn__stream_fd_writev(tn_stream *s, const tn_str *bufs, int n) {
    struct iovec iov[TN__IOV_MAX];
    for (;;) {
        ssize_t r = writev(s->fd, iov, tn__stream_iov(iov, bufs, n));
        if (r >= 0) return (long)r;
        if (errno != EINTR) return tn__last_err();
    }
}

TN__PRIVATE int tn__stream_sock_shutdown(tn_stream *s) {
    return shutdown(s->fd, SHUT_WR) == 0 ? TN_OK : tn__last_err();
}

/* A pipe's write side ends when its fd closes: nothing to do before that. */
TN__PRIVATE int tn__stream_fd_shutdown(tn_stream *s) {
    (void)s;
    return TN_OK;
}

static const tn__transport_ops tn__stream_socket_ops = {
    tn__stream_sock_read, tn__stream_sock_write, tn__stream_sock_writev, tn__stream_sock_shutdown, NULL, NULL, NULL, NULL, NULL
};
static const tn__transport_ops tn__stream_pipe_ops = {
    tn__stream_fd_read, tn__stream_fd_write, tn__stream_fd_writev, tn__stream_fd_shutdown, NULL, NULL, NULL, NULL, NULL
};

/* One queued file segment (tn__stream_sendfile): byte-stream positions [at, end) come from
   fd at off; buffered bytes before `at` go first, those after it later. Allocated only
   while a file is being sent, so idle streams do not carry it. */
typedef struct tn__sfseg {
    int fd;                        /* not owned by the stream */
    int64_t off;
    uint64_t at, end;
} tn__sfseg;

/* ---- closing ---- */
TN__PRIVATE void tn__stream_queue(tn_stream *s) { tn__defer_queue(s->h.loop, &s->dispatch); }

TN__PRIVATE void tn__stream_sf_done(tn_stream *s) {
    tn__free(tn__loop_alloc(s->h.loop), s->sf);
    s->sf = NULL;
}

/* Bytes queued and not yet sent: buffered bytes plus what is left of a file segment. */
TN__PRIVATE uint64_t tn__stream_unsent(const tn_stream *s) {
    uint64_t n = tn_buf_size(&s->wbuf);
    if (s->sf) n += s->sf->end - TN__MAX(s->wsent, s->sf->at);
    return n;
}

TN__PRIVATE void tn__stream_close_now(tn_stream *s, int cause) {
    tn_loop *loop = s->h.loop;
    if (s->closed) return;
    s->closed = 1;
    s->cause = cause;
    if (s->ops->closing) s->ops->closing(s, cause);   /* TLS: close_notify while the fd is open */
    if (s->fd >= 0) {
        (void)tn_loop_remove_fd(loop, s->fd);
        tn__fd_close(s->fd);
        s->fd = -1;
    }
    if (s->idle_timer) {
        (void)tn_loop_cancel(loop, s->idle_timer);
        s->idle_timer = 0;
    }
    tn_buf_free(&s->wbuf);   /* unsent data is dropped now, not at finalise */
    tn__stream_sf_done(s);    /* a queued file segment too (its callback reports the cause) */
    tn__stream_queue(s);      /* the close sequence (callbacks) runs from the loop ... */
    (void)tn__handle_close(&s->h);   /* ... and the memory goes after it (pending node) */
}

/* Complete write callbacks whose bytes are sent; stops if a callback closes the stream. */
TN__PRIVATE void tn__stream_complete_writes(tn_stream *s) {
    while (s->wcb_len > 0 && s->wcbs[s->wcb_head].end <= s->wsent && !s->reported) {
        tn__wcb w = s->wcbs[s->wcb_head];
        s->wcb_head = (s->wcb_head + 1) % s->wcb_cap;
        s->wcb_len--;
        w.cb(s, TN_OK, w.user);
        if (s->closed) break;
    }
}

/* End the pending read (its callback is the caller's business): a long delimiter's storage goes. */
TN__PRIVATE void tn__stream_end_read(tn_stream *s) {
    if (s->rkind == TN__RD_UNTIL && s->dlen > TN__DELIM_INLINE) tn__free(tn__loop_alloc(s->h.loop), s->rp.delim);
    memset(&s->rp, 0, sizeof s->rp);
    s->rkind = TN__RD_NONE;
}

/* The close sequence, run from the loop: the pending read fails, written bytes report OK,
   the rest fail, the close callback runs, then the stream is finalised. */
TN__PRIVATE void tn__stream_finish_close(tn_stream *s) {
    int err = s->cause ? s->cause : TN_ECLOSED;
    if (s->reported) return;
    if (s->ops->closed) s->ops->closed(s, err);   /* TLS: a handshake that never finished */
    if (s->rkind != TN__RD_NONE) {
        tn_read_cb cb = s->rcb;
        void *u = s->ruser;
        tn__stream_end_read(s);
        cb(s, err, tn_str_make(NULL, 0), u);
    }
    tn__stream_complete_writes(s);
    s->reported = 1;
    while (s->wcb_len > 0) {
        tn__wcb w = s->wcbs[s->wcb_head];
        s->wcb_head = (s->wcb_head + 1) % s->wcb_cap;
        s->wcb_len--;
        w.cb(s, err, w.user);
    }
    if (s->ccb) s->ccb(s, s->cause, s->cuser);
}

TN__PRIVATE void tn__stream_finalize(tn__handle *h) {
    tn_stream *s = (tn_stream *)h;
    tn_allocator *a = tn__loop_alloc(h->loop);
    if (s->owner) s->owner->on_free(s, s->owner);
    if (s->ops->free) s->ops->free(s);
    tn__stream_end_read(s);
    tn_buf_free(&s->rbuf);
    tn_buf_free(&s->wbuf);
    tn__free(a, s->wcbs);
    tn__free(a, s);
}
static const tn__handle_type tn__stream_type = { "stream", tn__stream_finalize };

/* ---- events ---- */
TN__PRIVATE void tn__stream_update_events(tn_stream *s) {
    int want = 0;
    if (s->closed) return;
    if (s->rkind != TN__RD_NONE && !s->eof) want |= TN_EV_READ;
    else if (s->watch_close && !s->eof) want |= TN__EV_RDHUP;
    if (tn__stream_unsent(s) > 0 && !s->corked) want |= TN_EV_WRITE;
    if (TN__UNLIKELY(s->tpwant)) {   /* a transport with its own needs (TLS) */
        if (s->tpwant & TN__TP_BLOCKED) want &= ~TN_EV_WRITE;
        want |= s->tpwant & (TN_EV_READ | TN_EV_WRITE);
    }
    if (want != s->events) {
        int rc = tn_loop_update_fd(s->h.loop, s->fd, want);
        if (rc != 0) {
            tn__stream_close_now(s, rc);
            return;
        }
        s->events = (unsigned char)want;
    }
}

/* Send a piece of the queued file segment (sendfile(2); only queued where it exists). */
TN__PRIVATE long tn__stream_send_file(tn_stream *s) {
#if TN__HAVE_SENDFILE
    uint64_t done = s->wsent - s->sf->at, left = s->sf->end - s->wsent;
    size_t n = (size_t)TN__MIN(left, (uint64_t)(1u << 30));
    off_t off = (off_t)(s->sf->off + (int64_t)done);
    for (;;) {
        ssize_t r = sendfile(s->fd, s->sf->fd, &off, n);
        if (r > 0) return (long)r;
        if (r == 0) return TN_ESYS;   /* the file shrank: the promised length cannot be met */
        if (errno != EINTR) return tn__last_err();
    }
#else
    (void)s;
    return TN_ENOTSUP;
#endif
}

/* Send what is queued until the transport would block: buffered bytes, with a queued file
   segment spliced in at its position in the byte stream. */
TN__PRIVATE void tn__stream_flush(tn_stream *s) {
    while (!s->closed && tn__stream_unsent(s) > 0) {
        long r;
        size_t nbuf = tn_buf_size(&s->wbuf);
        if (s->sf && s->wsent >= s->sf->at) {
            r = tn__stream_send_file(s);
            if (r > 0) {
                s->wsent += (uint64_t)r;
                s->last_io = (uint32_t)tn_loop_now(s->h.loop);
                if (s->wsent >= s->sf->end) tn__stream_sf_done(s);
                continue;
            }
        } else {
            if (s->sf) nbuf = (size_t)TN__MIN((uint64_t)nbuf, s->sf->at - s->wsent);
            r = s->ops->write(s, tn_buf_ptr(&s->wbuf), nbuf);
        }
        if (r > 0) {
            tn_buf_consume(&s->wbuf, (size_t)r);
            s->wsent += (uint64_t)r;
            s->last_io = (uint32_t)tn_loop_now(s->h.loop);
        } else if (r == TN_EAGAIN || r == 0) {
            break;
        } else {
            tn__stream_close_now(s, r == TN_EPIPE ? TN_ERESET : (int)r);
            return;
        }
    }
    if (tn_buf_size(&s->wbuf) == 0) tn_buf_free(&s->wbuf);
}

/* Release the read buffer's storage once it holds nothing (idle streams hold none). */
TN__PRIVATE void tn__stream_trim(tn_stream *s) {
    if (tn_buf_size(&s->rbuf) == 0 && s->rbuf.data) tn_buf_free(&s->rbuf);
}

/* Finish (or continue) the pending read with data from the read buffer. */
TN__PRIVATE void tn__stream_deliver(tn_stream *s, int status, const char *p, size_t n, int from_buf, int finished) {
    tn_read_cb cb = s->rcb;
    void *u = s->ruser;
    if (finished) tn__stream_end_read(s);
    if (from_buf && finished) {   /* tn__stream_unread: these go when cb returns */
        s->rdone = n;
        s->delivering = 1;
    }
    cb(s, status, tn_str_make(p, n), u);
    s->delivering = 0;
    if (from_buf) {
        tn_buf_consume(&s->rbuf, n);
        tn__stream_trim(s);
    }
}

/* Position of the delimiter in hay[0..n), or -1. */
TN__PRIVATE long tn__stream_find(const char *hay, size_t n, const char *needle, size_t m) {
    const char *p = hay, *end = hay + n;
    if (m == 0 || n < m) return -1;
    while ((size_t)(end - p) >= m) {
        p = (const char *)memchr(p, (unsigned char)needle[0], (size_t)(end - p) - m + 1);
        if (!p) return -1;
        if (memcmp(p, needle, m) == 0) return (long)(p - hay);
        p++;
    }
    return -1;
}

/* Try to complete the pending read from what is buffered. Returns 1 if a callback ran, 0
   if more bytes are needed (or the stream closed on a limit or at EOF). */
TN__PRIVATE int tn__stream_try_read(tn_stream *s) {
    size_t avail = tn_buf_size(&s->rbuf);
    const char *p = tn_buf_ptr(&s->rbuf);
    switch (s->rkind) {
    case TN__RD_BYTES:
        if (s->rflags & TN_READ_STREAMING) {
            size_t left = s->rn - s->rdone, take;
            if (left == 0) {
                tn__stream_deliver(s, TN_OK, NULL, 0, 0, 1);
                return 1;
            }
            if (avail == 0) break;
            take = TN__MIN(avail, left);
            s->rdone += take;
            tn__stream_deliver(s, TN_MORE, p, take, 1, 0);
            return 1;
        }
        if (avail >= s->rn) {
            tn__stream_deliver(s, TN_OK, p, s->rn, 1, 1);
            return 1;
        }
        if ((s->rflags & TN_READ_PARTIAL) && avail > 0) {
            tn__stream_deliver(s, TN_OK, p, avail, 1, 1);
            return 1;
        }
        break;
    case TN__RD_UNTIL: {
        size_t dl = s->dlen, from = s->rdone > dl - 1 ? s->rdone - (dl - 1) : 0;
        long at = tn__stream_find(p + from, avail - from, dl > TN__DELIM_INLINE ? s->rp.delim : s->rp.inl, dl);
        if (at >= 0) {
            size_t total = from + (size_t)at + dl;
            if (s->rn && total > s->rn) {
                tn__stream_close_now(s, TN_ELIMIT);
                return 0;
            }
            s->rdone = 0;
            tn__stream_deliver(s, TN_OK, p, total, 1, 1);
            return 1;
        }
        s->rdone = avail;
        if (s->rn && avail > s->rn) tn__stream_close_now(s, TN_ELIMIT);
        break;
    }
    case TN__RD_INTO: {
        size_t take = TN__MIN(avail, s->rn - s->rdone);
        if (take > 0) {
            memcpy(s->rp.into + s->rdone, p, take);
            s->rdone += take;
            tn_buf_consume(&s->rbuf, take);
            tn__stream_trim(s);
        }
        if (s->rdone == s->rn || ((s->rflags & TN_READ_PARTIAL) && s->rdone > 0)) {
            tn__stream_deliver(s, TN_OK, s->rp.into, s->rdone, 0, 1);
            return 1;
        }
        break;
    }
    case TN__RD_FILL:
        if (avail > s->rn) {
            tn__stream_deliver(s, TN_OK, p, avail, 0, 1);
            return 1;
        }
        break;
    case TN__RD_CLOSE:
        if ((s->rflags & TN_READ_STREAMING) && avail > 0) {
            tn__stream_deliver(s, TN_MORE, p, avail, 1, 0);
            return 1;
        }
        if (s->eof) {
            if (s->rflags & TN_READ_STREAMING) tn__stream_deliver(s, TN_OK, NULL, 0, 0, 1);
            else tn__stream_deliver(s, TN_OK, p, avail, 1, 1);
            tn__stream_close_now(s, TN_EEOF);
            return 1;
        }
        break;
    default:
        return 0;
    }
    if (s->eof && !s->closed) tn__stream_close_now(s, TN_EEOF);   /* cannot complete */
    /* a full buffer that does not satisfy the read never will: fail now rather than when
       (if ever) the peer sends another byte */
    else if (!s->closed && tn_buf_size(&s->rbuf) >= s->opts.max_buffer_size) tn__stream_close_now(s, TN_EBUFFER_FULL);
    return 0;
}

TN__PRIVATE void tn__stream_read_some(tn_stream *s);

/* Run completions: sent writes, then reads the buffer can satisfy (bounded, so a callback
   that keeps asking for zero bytes cannot spin here), then re-arm interest. */
TN__PRIVATE void tn__stream_pump(tn_stream *s) {
    int rounds = 0;
    if (s->closed) {
        tn__stream_finish_close(s);
        return;
    }
    tn__stream_complete_writes(s);
    while (!s->closed && s->rkind != TN__RD_NONE) {
        if (++rounds > TN__PUMP_ROUNDS) {
            tn__stream_queue(s);
            break;
        }
        if (!tn__stream_try_read(s)) {
            /* input the transport holds (TLS records already read) is not announced by the fd */
            if (s->closed || s->eof || !s->ops->pending || !s->ops->pending(s)) break;
            tn__stream_read_some(s);
        }
    }
    if (s->closed) tn__stream_queue(s);   /* the close sequence runs from the loop */
    else tn__stream_update_events(s);
}

TN__PRIVATE void tn__stream_on_dispatch(tn__defer *d) {
    tn_stream *s = (tn_stream *)(void *)((char *)d - offsetof(tn_stream, dispatch));
    tn__stream_pump(s);
}

/* Read from the transport once: into the caller's buffer for read_into when nothing is
   buffered, otherwise into the read buffer (bounded by max_buffer_size). */
TN__PRIVATE void tn__stream_read_some(tn_stream *s) {
    long r;
    if (s->rkind == TN__RD_INTO && tn_buf_size(&s->rbuf) == 0) {
        r = s->ops->read(s, s->rp.into + s->rdone, s->rn - s->rdone);
        if (r > 0) s->rdone += (size_t)r;
    } else {
        size_t have = tn_buf_size(&s->rbuf), room;
        if (have >= s->opts.max_buffer_size) {
            tn__stream_close_now(s, TN_EBUFFER_FULL);
            return;
        }
        room = TN__MIN(s->opts.read_chunk_size, s->opts.max_buffer_size - have);
        if (tn_buf_reserve(&s->rbuf, room) != 0) {
            tn__stream_close_now(s, TN_ENOMEM);
            return;
        }
        room = TN__MIN(s->rbuf.cap - s->rbuf.len, s->opts.max_buffer_size - have);
        r = s->ops->read(s, s->rbuf.data + s->rbuf.len, room);
        if (r > 0) s->rbuf.len += (size_t)r;
    }
    if (r > 0) {
        s->last_io = (uint32_t)tn_loop_now(s->h.loop);
    } else if (r == 0) {
        s->eof = 1;
        tn__stream_trim(s);
    } else if (r != TN_EAGAIN) {
        tn__stream_close_now(s, r == TN_EPIPE ? TN_ERESET : (int)r);
    } else {
        tn__stream_trim(s);
    }
}

TN__PRIVATE void tn__stream_on_io(tn_loop *loop, tn_socket fd, int events, void *user) {
    tn_stream *s = (tn_stream *)user;
    (void)loop;
    (void)fd;
    if (TN__UNLIKELY(s->tpwant)) {
        /* the transport asked for this event: it makes its progress first, then the stream
           retries both directions (cheap when the fd is not ready: TN_EAGAIN) */
        int rc = s->ops->ready(s);
        if (rc < 0) tn__stream_close_now(s, rc);
        events |= TN_EV_READ | TN_EV_WRITE;
    }
    if (!s->closed && (events & TN_EV_WRITE)) tn__stream_flush(s);
    if (!s->closed && (events & (TN_EV_READ | TN_EV_ERROR)) && s->rkind != TN__RD_NONE && !s->eof)
        tn__stream_read_some(s);
    else if (!s->closed && (events & TN__EV_RDHUP) && s->rkind == TN__RD_NONE && s->watch_close)
        tn__stream_close_now(s, TN_EEOF);   /* the peer left while we were not reading */
    if (!s->closed && (events & TN_EV_ERROR) && s->rkind == TN__RD_NONE && tn__stream_unsent(s) == 0) {
        int err = 0;
        socklen_t len = (socklen_t)sizeof err;
        if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err != 0)
            tn__stream_close_now(s, tn__err_from_errno(err));
    }
    tn__stream_pump(s);
}

TN__PRIVATE void tn__stream_on_idle(tn_loop *loop, void *user) {
    tn_stream *s = (tn_stream *)user;
    uint64_t idle = (uint32_t)((uint32_t)tn_loop_now(loop) - s->last_io), ms = s->opts.idle_timeout_ms;
    s->idle_timer = 0;
    if (s->closed || ms == 0) return;
    if (idle >= ms) {
        tn__stream_close_now(s, TN_ETIMEOUT);
        return;
    }
    if (tn_loop_call_later(loop, ms - idle, tn__stream_on_idle, s, &s->idle_timer) != 0)
        tn__stream_close_now(s, TN_ENOMEM);
}

TN_API void tn_stream_set_idle_timeout(tn_stream *s, uint64_t ms) {
    tn_loop *loop = s->h.loop;
    if (s->closed) return;
    if (s->idle_timer) (void)tn_loop_cancel(loop, s->idle_timer);
    s->idle_timer = 0;
    s->opts.idle_timeout_ms = tn__clamp_u32(ms);
    ms = s->opts.idle_timeout_ms;
    s->last_io = (uint32_t)tn_loop_now(loop);
    if (ms && tn_loop_call_later(loop, ms, tn__stream_on_idle, s, &s->idle_timer) != 0)
        tn__stream_close_now(s, TN_ENOMEM);
}

/* ---- construction ---- */
/* The stream's size rounded for an owner's area right after it (tn__stream_extra). */
#define TN__STREAM_SIZE ((sizeof(tn_stream) + 7u) & ~(size_t)7u)   /* owner state: 8-byte aligned */

/* The options with their defaults, stored compactly in s (see tn_stream_get_opts). */
TN__PRIVATE void tn__stream_opts_resolve(const tn_stream_opts *opts, tn_stream *s) {
    tn_stream_opts o;
    size_t chunk;
    memset(&o, 0, sizeof o);
    if (opts) o = *opts;
    s->opts.max_buffer_size = tn__clamp_u32(TN__DEF(o.max_buffer_size, TORNADO_MAX_BUFFER_SIZE));
    chunk = TN__DEF(o.read_chunk_size, TORNADO_READ_CHUNK_SIZE);
    if (chunk > s->opts.max_buffer_size / 2) chunk = TN__MAX(s->opts.max_buffer_size / 2, 1);
    s->opts.read_chunk_size = (uint32_t)TN__MIN(chunk, (size_t)0x40000000u);
    s->opts.max_write_buffer_size = tn__clamp_u32(TN__DEF(o.max_write_buffer_size, TORNADO_MAX_WRITE_BUFFER_SIZE));
    s->opts.idle_timeout_ms = tn__clamp_u32(o.idle_timeout_ms);
}

/* setup: make fd non-blocking and close-on-exec (0 for sockets we created that way).
   extra: bytes for the owner's per-connection state in the same allocation. */
TN__PRIVATE int tn__stream_new(tn_loop *loop, int fd, const tn__transport_ops *ops, const tn_stream_opts *opts,
                               int setup, size_t extra, tn_stream **out) {
    tn_stream *s;
    int rc;
    if (!loop || fd < 0 || !out) return TN_EINVAL;
    *out = NULL;
    if (setup && (rc = tn__fd_setup(fd)) != 0) return rc;
    s = (tn_stream *)tn__calloc(tn__loop_alloc(loop), TN__STREAM_SIZE + extra);
    if (!s) return TN_ENOMEM;
    tn__stream_opts_resolve(opts, s);
    s->fd = fd;
    s->ops = ops;
    (void)tn_buf_init(&s->rbuf, tn__loop_alloc(loop));
    (void)tn_buf_init(&s->wbuf, tn__loop_alloc(loop));
    /* internal watcher: the stream is counted as a live handle, not as a user fd */
    if ((rc = tn__loop_add_fd(loop, fd, 0, tn__stream_on_io, s, 1)) != 0) {
        tn__free(tn__loop_alloc(loop), s);
        return rc;
    }
    tn__handle_init(loop, &s->h, &tn__stream_type);
    tn__defer_init(&s->dispatch, tn__stream_on_dispatch, &s->h);
    s->last_io = (uint32_t)tn_loop_now(loop);
    if (s->opts.idle_timeout_ms) tn_stream_set_idle_timeout(s, s->opts.idle_timeout_ms);
    *out = s;
    return TN_OK;
}

TN_API int tn_stream_new_socket(tn_loop *loop, tn_socket fd, const tn_stream_opts *opts, tn_stream **out) {
    return tn__stream_new(loop, fd, &tn__stream_socket_ops, opts, 1, 0, out);
}

TN_API int tn_stream_new_pipe(tn_loop *loop, int fd, const tn_stream_opts *opts, tn_stream **out) {
    return tn__stream_new(loop, fd, &tn__stream_pipe_ops, opts, 1, 0, out);
}

/* A socket from tn__net_accept / tn__socket: already non-blocking and close-on-exec. */
TN__PRIVATE int tn__stream_new_own_socket(tn_loop *loop, int fd, const tn_stream_opts *opts, size_t extra,
                                          tn_stream **out) {
    return tn__stream_new(loop, fd, &tn__stream_socket_ops, opts, 0, extra, out);
}

/* The owner's area allocated with the stream (zeroed; lives exactly as long as the stream),
   and back from that area to its stream. */
TN__PRIVATE void *tn__stream_extra(tn_stream *s) { return (char *)s + TN__STREAM_SIZE; }
TN__PRIVATE tn_stream *tn__stream_from_extra(void *extra) {
    return (tn_stream *)(void *)((char *)extra - TN__STREAM_SIZE);
}

/* The stream's owner (the tcp server that accepted it), told when the memory goes. */
TN__PRIVATE void tn__stream_set_owner(tn_stream *s, tn__stream_owner *o) { s->owner = o; }
TN__PRIVATE tn__stream_owner *tn__stream_get_owner(const tn_stream *s) { return s->owner; }

/* Put a transport under the stream (e.g. TLS over an accepted socket): its ops and state
   (freed by ops->free with the stream). Buffered bytes stay; later reads and writes go
   through the new transport. */
TN__PRIVATE void tn__stream_set_transport(tn_stream *s, const tn__transport_ops *ops, void *state) {
    s->ops = ops;
    s->tp = state;
}
TN__PRIVATE void *tn__stream_transport(const tn_stream *s) { return s->tp; }
TN__PRIVATE const tn__transport_ops *tn__stream_transport_ops(const tn_stream *s) { return s->ops; }

/* The transport's own interest (TN_EV_READ, TN_EV_WRITE, TN__TP_BLOCKED; 0 = none): added
   to the stream's until the transport says otherwise; its ready hook runs when the fd
   reports any event while this is not 0. */
TN__PRIVATE void tn__stream_transport_want(tn_stream *s, int events) {
    if (s->tpwant == (unsigned char)events) return;
    s->tpwant = (unsigned char)events;
    tn__stream_update_events(s);
}

/* The stream's handle: owner of a transport's deferred nodes, so the stream is not freed
   while one is queued. */
TN__PRIVATE tn__handle *tn__stream_handle(tn_stream *s) { return &s->h; }

/* ---- reads ---- */
TN__PRIVATE int tn__stream_start_read(tn_stream *s, int kind, int flags, size_t n, tn_read_cb cb, void *user) {
    if (!s || !cb) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    if (s->rkind != TN__RD_NONE) return TN_EBUSY;
    s->rkind = (unsigned char)kind;
    s->rflags = (unsigned char)flags;
    s->rn = n;
    s->rdone = 0;
    s->rcb = cb;
    s->ruser = user;
    if (tn_buf_size(&s->rbuf) > 0 || s->eof || (n == 0 && (kind == TN__RD_BYTES || kind == TN__RD_INTO)) ||
        (s->ops->pending && s->ops->pending(s)))
        tn__stream_queue(s);           /* may complete now: from the loop, never inside this call */
    else
        tn__stream_update_events(s);   /* only new bytes can complete it: just watch the fd */
    return TN_OK;
}

TN_API int tn_stream_read_bytes(tn_stream *s, size_t n, int flags, tn_read_cb cb, void *user) {
    if (s && !(flags & TN_READ_STREAMING) && n > s->opts.max_buffer_size) return TN_EBUFFER_FULL;
    return tn__stream_start_read(s, TN__RD_BYTES, flags, n, cb, user);
}

TN_API int tn_stream_read_until(tn_stream *s, const void *delim, size_t delim_len, size_t max_bytes,
                                tn_read_cb cb, void *user) {
    int rc;
    char *d = NULL;
    if (!s || !delim || delim_len == 0 || delim_len > 64) return TN_EINVAL;
    if (s->rkind != TN__RD_NONE) return TN_EBUSY;
    if (delim_len > TN__DELIM_INLINE && !(d = (char *)tn__alloc(tn__loop_alloc(s->h.loop), delim_len))) return TN_ENOMEM;
    rc = tn__stream_start_read(s, TN__RD_UNTIL, 0, max_bytes, cb, user);
    if (rc != 0) {
        tn__free(tn__loop_alloc(s->h.loop), d);
        return rc;
    }
    if (d) s->rp.delim = d;
    memcpy(d ? d : s->rp.inl, delim, delim_len);
    s->dlen = (unsigned char)delim_len;
    return TN_OK;
}

TN_API int tn_stream_read_into(tn_stream *s, void *buf, size_t n, int flags, tn_read_cb cb, void *user) {
    int rc;
    if (!buf && n > 0) return TN_EINVAL;
    rc = tn__stream_start_read(s, TN__RD_INTO, flags & TN_READ_PARTIAL, n, cb, user);
    if (rc == 0) s->rp.into = (char *)buf;
    return rc;
}

TN_API int tn_stream_read_until_close(tn_stream *s, int flags, tn_read_cb cb, void *user) {
    return tn__stream_start_read(s, TN__RD_CLOSE, flags & TN_READ_STREAMING, 0, cb, user);
}

/* ---- writes ---- */
/* Room for one more write callback in the ring (grown by doubling, unrolled to 0..len). */
TN__PRIVATE int tn__stream_wcb_reserve(tn_stream *s) {
    return tn__ring_grow(tn__loop_alloc(s->h.loop), (void **)&s->wcbs, &s->wcb_head, s->wcb_len, &s->wcb_cap, sizeof *s->wcbs);
}

/* The callback for everything queued so far (the ring has room: tn__stream_wcb_reserve). */
TN__PRIVATE void tn__stream_wcb_push(tn_stream *s, tn_write_cb cb, void *user) {
    tn__wcb *w = &s->wcbs[(s->wcb_head + s->wcb_len) % s->wcb_cap];
    w->end = s->wqueued;
    w->cb = cb;
    w->user = user;
    s->wcb_len++;
}

TN_API int tn_stream_writev(tn_stream *s, const tn_str *bufs, size_t nbufs, tn_write_cb cb, void *user) {
    size_t total = 0, sent = 0, i;
    int err = 0;
    if (!s || (!bufs && nbufs > 0)) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    for (i = 0; i < nbufs; i++) {
        if (!bufs[i].ptr && bufs[i].len) return TN_EINVAL;
        total += bufs[i].len;
    }
    if (s->opts.max_write_buffer_size && tn_buf_size(&s->wbuf) + total > s->opts.max_write_buffer_size)
        return TN_EBUFFER_FULL;
    if (cb && tn__stream_wcb_reserve(s) != 0) return TN_ENOMEM;
    if (tn__stream_unsent(s) == 0 && total > 0 && !s->corked) {
        /* nothing queued: hand it to the transport right away, in one gather write */
        while (sent < total) {
            tn_str v[TN__IOV_MAX];
            size_t skip = sent;
            int nv = 0;
            long r;
            for (i = 0; i < nbufs && nv < TN__IOV_MAX; i++) {
                if (skip >= bufs[i].len) {
                    skip -= bufs[i].len;
                    continue;
                }
                v[nv++] = tn_str_make(bufs[i].ptr + skip, bufs[i].len - skip);
                skip = 0;
            }
            r = nv == 1 ? s->ops->write(s, v[0].ptr, v[0].len) : s->ops->writev(s, v, nv);
            if (r > 0) {
                sent += (size_t)r;
            } else if (r == TN_EAGAIN || r == 0) {
                break;
            } else {
                err = r == TN_EPIPE ? TN_ERESET : (int)r;
                break;
            }
        }
        if (sent > 0) {
            s->wsent += sent;
            s->last_io = (uint32_t)tn_loop_now(s->h.loop);
        }
    }
    if (!err && sent < total) {
        /* queue what is left (all or nothing, so a failure leaves the stream consistent) */
        size_t skip = sent, need = total - sent;
        if (tn_buf_reserve(&s->wbuf, need) != 0) {
            if (sent == 0) return TN_ENOMEM;
            err = TN_ENOMEM;   /* part went out: the byte stream is broken */
        } else {
            for (i = 0; i < nbufs; i++) {
                if (skip >= bufs[i].len) {
                    skip -= bufs[i].len;
                    continue;
                }
                (void)tn_buf_append(&s->wbuf, bufs[i].ptr + skip, bufs[i].len - skip);
                skip = 0;
            }
        }
    }
    s->wqueued += total;
    if (cb) tn__stream_wcb_push(s, cb, user);
    if (err) tn__stream_close_now(s, err);   /* cb (if any) then reports err */
    if (s->closed || (cb && s->wsent >= s->wqueued)) tn__stream_queue(s);
    else tn__stream_update_events(s);
    return TN_OK;
}

TN_API int tn_stream_write(tn_stream *s, const void *data, size_t n, tn_write_cb cb, void *user) {
    tn_str b;
    b.ptr = (const char *)data;
    b.len = n;
    return tn_stream_writev(s, &b, 1, cb, user);
}

/* ---- internal API for protocol layers (same translation unit) ---- */

/* Wait until the buffer holds more than `seen` bytes; cb sees all buffered bytes, none
   consumed. Returns as tn_stream_read_bytes. */
TN__PRIVATE int tn__stream_fill(tn_stream *s, size_t seen, tn_read_cb cb, void *user) {
    return tn__stream_start_read(s, TN__RD_FILL, 0, seen, cb, user);
}

/* Drop n bytes from the front of the read buffer (storage released when empty). */
TN__PRIVATE void tn__stream_consume(tn_stream *s, size_t n) {
    tn_buf_consume(&s->rbuf, n);
    tn__stream_trim(s);
}

/* Keep only the first n unconsumed bytes (n <= what is buffered): a protocol layer that
   decoded in place drops the spent framing behind what it keeps. */
TN__PRIVATE void tn__stream_truncate(tn_stream *s, size_t n) {
    if (n < tn_buf_size(&s->rbuf)) s->rbuf.len = s->rbuf.head + n;
    tn__stream_trim(s);
}

/* Bytes buffered beyond what a running read callback is being handed (those go when it
   returns): what a new owner of the byte stream (start_tls) would inherit. */
TN__PRIVATE size_t tn__stream_unread(const tn_stream *s) {
    return tn_buf_size(&s->rbuf) - (s->delivering && s->rkind == TN__RD_NONE ? s->rdone : 0);
}

/* The unconsumed bytes (borrowed; valid until the next read or consume). */
TN__PRIVATE tn_str tn__stream_peek(const tn_stream *s) {
    return tn_str_make(tn_buf_ptr(&s->rbuf), tn_buf_size(&s->rbuf));
}

/* Cork: queue writes without sending them (e.g. responses to pipelined requests, sent
   together in one system call); uncorking sends what is queued at once. */
TN__PRIVATE void tn__stream_cork(tn_stream *s, int on) {
    if (s->closed || s->corked == on) return;
    s->corked = on != 0;
    if (!on) {
        tn__stream_flush(s);
        if (!s->closed) {
            if (s->wcb_len > 0 && s->wsent >= s->wcbs[s->wcb_head].end) tn__stream_queue(s);
            tn__stream_update_events(s);
        }
    }
}

TN__PRIVATE int tn__stream_corked(const tn_stream *s) { return s->corked; }

/* End the write side through the transport (a socket's FIN; TLS: close_notify first) once
   everything queued is sent: call it from a write callback. Reads go on. */
TN__PRIVATE int tn__stream_shutdown_write(tn_stream *s) {
    int rc;
    if (s->closed) return TN_ECLOSED;
    rc = s->ops->shutdown(s);
    if (!s->closed) tn__stream_update_events(s);
    return rc;
}

/* 1 if the stream is quiet: nothing buffered, no EOF seen, and (on a socket) nothing the
   peer sent is waiting in the kernel: no byte and no FIN, peeked without consuming. A pooled
   client connection is reused only when quiet: a server that closed it, or wrote to it
   unasked (a 408), makes the next response unreliable. Over TLS the transport must hold
   no input either (and the socket is peeked the same way); a pipe counts as quiet when
   nothing is buffered. */
TN__PRIVATE int tn__stream_quiet(const tn_stream *s) {
    char c;
    ssize_t r;
    if (s->closed || s->eof || tn_buf_size(&s->rbuf) > 0) return 0;
    if (s->ops->pending && s->ops->pending(s)) return 0;
    if (s->ops != &tn__stream_socket_ops && !s->tp) return 1;   /* a pipe */
    r = recv(s->fd, &c, 1, MSG_PEEK);
    return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* While no read is pending, still watch for the peer closing (on platforms that report
   it without reading); the stream then closes with TN_EEOF. */
TN__PRIVATE void tn__stream_watch_close(tn_stream *s, int on) {
    s->watch_close = on != 0;
    if (!s->closed) tn__stream_update_events(s);
}

/* Queue count bytes of file_fd from offset after everything queued so far; they go out
   with sendfile(2) when the socket is writable, and writes queued later follow them. The
   caller keeps file_fd open until cb has run (exactly once: TN_OK once the bytes went to
   the socket, or the close cause). One file segment may be queued at a time. Only plain
   sockets on platforms with sendfile: otherwise TN_ENOTSUP and nothing is queued (the
   caller reads and writes instead). A file that turns out shorter than count closes the
   stream (TN_ESYS). Returns TN_OK, TN_EINVAL, TN_ECLOSED, TN_EBUSY, TN_ENOTSUP, TN_ENOMEM. */
TN__PRIVATE int tn__stream_sendfile(tn_stream *s, int file_fd, int64_t offset, uint64_t count, tn_write_cb cb,
                                    void *user) {
    if (!s || file_fd < 0 || offset < 0 || count == 0 || !cb) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    if (!TN__HAVE_SENDFILE || s->ops != &tn__stream_socket_ops) return TN_ENOTSUP;
    if (s->sf) return TN_EBUSY;
    if (tn__stream_wcb_reserve(s) != 0) return TN_ENOMEM;
    if (!(s->sf = (tn__sfseg *)tn__alloc(tn__loop_alloc(s->h.loop), sizeof *s->sf))) return TN_ENOMEM;
    s->sf->fd = file_fd;
    s->sf->off = offset;
    s->sf->at = s->wqueued;
    s->wqueued += count;
    s->sf->end = s->wqueued;
    tn__stream_wcb_push(s, cb, user);
    if (tn_buf_size(&s->wbuf) == 0) tn__stream_flush(s);   /* nothing ahead of it: send now */
    if (s->closed || s->wsent >= s->wqueued) tn__stream_queue(s);
    else tn__stream_update_events(s);
    return TN_OK;
}

/* ---- close and accessors ---- */
TN_API void tn_stream_set_close_cb(tn_stream *s, tn_close_cb cb, void *user) {
    s->ccb = cb;
    s->cuser = user;
}

TN_API int tn_stream_close(tn_stream *s, tn_close_cb cb, void *user) {
    if (!s) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    if (cb) tn_stream_set_close_cb(s, cb, user);
    tn__stream_close_now(s, TN_OK);
    return TN_OK;
}

TN_API int tn_stream_abort(tn_stream *s, int cause) {
    if (!s) return TN_EINVAL;
    if (s->closed) return TN_ECLOSED;
    tn__stream_close_now(s, cause);
    return TN_OK;
}

TN_API int tn_stream_set_nodelay(tn_stream *s, int on) {
    int v = on ? 1 : 0;
    if (s->closed) return TN_ECLOSED;
    if (setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v) != 0) {
        int rc = tn__last_err();
        return rc == TN_ERESET || rc == TN_EINVAL ? TN_OK : rc;   /* reset peers: ignored */
    }
    return TN_OK;
}

TN_API int tn_stream_closed(const tn_stream *s) { return s->closed; }
TN_API int tn_stream_reading(const tn_stream *s) { return s->rkind != TN__RD_NONE; }
TN_API int tn_stream_writing(const tn_stream *s) { return tn__stream_unsent(s) > 0; }
TN_API size_t tn_stream_read_buffer_size(const tn_stream *s) { return tn_buf_size(&s->rbuf); }
TN_API size_t tn_stream_write_buffer_size(const tn_stream *s) { return (size_t)tn__stream_unsent(s); }
TN_API tn_socket tn_stream_fd(const tn_stream *s) { return s->fd; }
TN_API int tn_stream_peer(const tn_stream *s, tn_addr *out) {
    if (s->closed) return TN_ECLOSED;
    return tn_socket_peer_addr(s->fd, out);
}
TN_API tn_loop *tn_stream_loop(const tn_stream *s) { return s->h.loop; }
TN_API void tn_stream_get_opts(const tn_stream *s, tn_stream_opts *out) {
    memset(out, 0, sizeof *out);
    out->max_buffer_size = s->opts.max_buffer_size;
    out->read_chunk_size = s->opts.read_chunk_size;
    out->max_write_buffer_size = s->opts.max_write_buffer_size;
    out->idle_timeout_ms = s->opts.idle_timeout_ms;
}
TN_API void tn_stream_set_user(tn_stream *s, void *user) { s->user = user; }
TN_API void *tn_stream_get_user(const tn_stream *s) { return s->user; }
/* <<stream.c  end of src/stream.c */

/* ======================================================================== */
/* >>tls.c  (src/tls.c)                                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/tls.c"
#endif
/* tls.c: the TLS transport: OpenSSL over memory BIOs in the stream's transport slot, contexts, SNI, ALPN, verification. */
/* #include "tls.h" (inlined above) */
/* #include "internal.h" (inlined above) */

#if TN_HAS_OPENSSL

/* How it fits under a stream. OpenSSL never touches the socket: its BIO (our own BIO
   method, one per connection for both directions) moves ciphertext through the stream's
   previous transport (the plain socket), which never blocks. Reads: OpenSSL reads the
   socket itself (a record's header, then its body), so ciphertext is copied once, from
   the kernel into OpenSSL's buffer (read-ahead would save a recv per record but keeps
   about 2 KB more per idle connection: measured with bench/idle_conns.py --tls). Writes: each record goes straight to the
   socket; what the socket does not take waits in a small queue of ours (t->out), freed
   when drained. With SSL_MODE_RELEASE_BUFFERS OpenSSL frees its own record buffers when
   they are empty, so an idle connection holds no buffer at all: only the SSL object.
   So it works with every poller and never blocks. What the stream cannot see, the
   transport tells it: records already read but not yet decrypted (pending), ciphertext
   queued because the socket was full, a handshake waiting for the peer while the stream
   waits for nothing (tn__stream_transport_want + ready). */

#define TN__TLS_OUT_MAX 65536         /* queued ciphertext beyond which writes wait */
#define TN__TLS_WRITE_MAX 65536       /* plaintext encrypted per write call */

typedef struct tn__tls_name { char *name; tn_tls_ctx *ctx; } tn__tls_name;

struct tn_tls_ctx {
    tn_loop *loop;
    SSL_CTX *ssl;
    BIO_METHOD *biom;                  /* our BIO (tn__tls_bio_*) */
    unsigned refs;
    int side;
    int verify;                        /* resolved: TN_TLS_VERIFY_* */
    uint64_t hs_timeout_ms;
    unsigned char *alpn;               /* wire format (length-prefixed names), or NULL */
    unsigned alpn_len;
    tn_tls_sni_cb sni_cb;
    void *sni_user;
    tn__tls_name *names;
    size_t nnames, cap;
    char *password;                    /* while loading only */
};

typedef struct tn__tls {
    tn_stream *s;
    tn_tls_ctx *ctx;
    SSL *ssl;
    BIO *bio;                          /* ours: reads and writes the inner transport */
    char *out;                         /* ciphertext the socket did not take yet, or NULL */
    size_t ooff, olen, ocap;           /* out[ooff..olen) waits */
    long rres;                         /* the inner transport's last read: > 0, 0 (EOF), error */
    int werr;                          /* the inner transport's write failed (sticky) */
    const tn__transport_ops *inner;    /* the plain transport under TLS */
    tn_tls_handshake_cb hcb;
    void *huser;
    tn__defer hs_d;                    /* reports the handshake (never inside an API call) */
    tn_timer_id hs_timer;
    const char *err;                   /* static text of the failure, or NULL */
    int hs_status;
    unsigned char hs_done, hs_reported, rstalled, shut_sent, fin_pending, verifying;
} tn__tls;

TN__PRIVATE tn__tls *tn__tls_of(const tn_stream *s) { return (tn__tls *)tn__stream_transport(s); }

TN__PRIVATE int tn__tls_flush_out(tn__tls *t);

/* ---- errors ---- */
/* OpenSSL's reason for the newest queued error (static text), and the queue emptied. */
TN__PRIVATE const char *tn__tls_reason(void) {
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return r ? r : "TLS error";
}

/* A handshake or record failure: the code and the text (a verification failure says what
   was wrong with the certificate, not "certificate verify failed"). */
TN__PRIVATE long tn__tls_fail(tn__tls *t, int sslerr) {
    long v = SSL_get_verify_result(t->ssl);
    int rc = TN_ETLS;
    if (sslerr == SSL_ERROR_SSL && v != X509_V_OK && t->verifying) {
        t->err = X509_verify_cert_error_string(v);
        ERR_clear_error();
        rc = TN_ETLS_VERIFY;
    } else if (sslerr == SSL_ERROR_SSL) {
        t->err = tn__tls_reason();
    } else {
        ERR_clear_error();
        t->err = "TLS error";
    }
    TN__LLOG(tn_stream_loop(t->s), TN_LOG_DEBUG, rc, "tls: %s", t->err);
    (void)tn__tls_flush_out(t);   /* the alert telling the peer why, when the socket takes it */
    return rc;
}

/* ---- moving ciphertext ---- */
/* Send queued ciphertext until the socket is full; the queue's memory goes when it is
   empty. Returns TN_OK or an error. */
TN__PRIVATE int tn__tls_flush_out(tn__tls *t) {
    while (t->olen > t->ooff && !t->werr) {
        long w = t->inner->write(t->s, t->out + t->ooff, t->olen - t->ooff);
        if (w > 0) t->ooff += (size_t)w;
        else if (w == TN_EAGAIN || w == 0) return TN_OK;
        else t->werr = w == TN_EPIPE ? TN_ERESET : (int)w;
    }
    if (t->werr) return t->werr;
    if (t->out) {
        tn__free(tn__loop_alloc(tn_stream_loop(t->s)), t->out);
        t->out = NULL;
        t->ooff = t->olen = t->ocap = 0;
    }
    if (t->fin_pending) {   /* close_notify went: now the FIN */
        t->fin_pending = 0;
        return t->inner->shutdown(t->s);
    }
    return TN_OK;
}

/* ---- our BIO: OpenSSL's network side is the inner transport ---- */
TN__PRIVATE int tn__tls_bio_read(BIO *b, char *buf, size_t n, size_t *got) {
    tn__tls *t = (tn__tls *)BIO_get_data(b);
    long r;
    BIO_clear_retry_flags(b);
    *got = 0;
    if (t->rres == 0) return 0;   /* EOF stays EOF */
    r = t->inner->read(t->s, buf, n);
    t->rres = r;
    if (r > 0) {
        *got = (size_t)r;
        t->rstalled = 0;
        return 1;
    }
    if (r == TN_EAGAIN) BIO_set_retry_read(b);
    return 0;
}

/* Never "retry": a record goes to the socket now, or what it did not take is queued. */
TN__PRIVATE int tn__tls_bio_write(BIO *b, const char *buf, size_t n, size_t *done) {
    tn__tls *t = (tn__tls *)BIO_get_data(b);
    size_t off = 0;
    BIO_clear_retry_flags(b);
    *done = n;
    if (t->werr) return 1;   /* the connection is failing: flush_out reports it */
    if (t->olen == t->ooff) {
        long w = t->inner->write(t->s, buf, n);
        if (w > 0) off = (size_t)w;
        else if (w != TN_EAGAIN && w != 0) {
            t->werr = w == TN_EPIPE ? TN_ERESET : (int)w;
            return 1;
        }
    }
    if (off < n) {
        size_t need = n - off, live = t->olen - t->ooff;
        if (t->ooff > 0 && live + need <= t->ocap) {   /* slide the unsent rest to the front */
            memmove(t->out, t->out + t->ooff, live);
            t->ooff = 0;
            t->olen = live;
        }
        if (t->olen + need > t->ocap) {
            size_t cap = TN__MAX(t->olen + need, t->ocap * 2);
            char *p = (char *)tn__realloc(tn__loop_alloc(tn_stream_loop(t->s)), t->out, cap);
            if (!p) {
                t->werr = TN_ENOMEM;
                return 1;
            }
            t->out = p;
            t->ocap = cap;
        }
        memcpy(t->out + t->olen, buf + off, need);
        t->olen += need;
    }
    return 1;
}

TN__PRIVATE long tn__tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
    tn__tls *t = (tn__tls *)BIO_get_data(b);
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_EOF: return t && t->rres == 0;
    case BIO_CTRL_WPENDING: return t ? (long)(t->olen - t->ooff) : 0;
    default: return 0;
    }
}

/* A failed OpenSSL call: the transport's own failure when there was one (the peer left,
   the socket broke), else OpenSSL's. */
TN__PRIVATE long tn__tls_io_fail(tn__tls *t, int sslerr) {
    if (t->rres == 0 || (t->rres < 0 && t->rres != TN_EAGAIN) || t->werr) {
        ERR_clear_error();
        if (t->werr) return t->werr;
        if (t->rres < 0) return t->rres;
        if (!t->hs_done) {
            t->err = "connection closed during the handshake";
            return TN_EEOF;
        }
        t->err = "truncated: no close_notify";   /* the socket ended without close_notify */
        return TN_ETLS_TRUNCATED;
    }
    return tn__tls_fail(t, sslerr);
}

/* The interest the transport needs now: queued ciphertext wants writability; a handshake
   wants the peer's bytes and holds writes back. */
TN__PRIVATE void tn__tls_update(tn__tls *t) {
    int ev = 0;
    size_t out = t->olen - t->ooff;
    if (out > 0) ev |= TN_EV_WRITE;
    if (!t->hs_done) ev |= TN_EV_READ | TN__TP_BLOCKED;
    else if (out >= TN__TLS_OUT_MAX) ev |= TN__TP_BLOCKED;
    tn__stream_transport_want(t->s, ev);
}

TN__PRIVATE void tn__tls_report(tn__tls *t, int status) {
    tn_tls_handshake_cb cb = t->hcb;
    if (t->hs_reported) return;
    t->hs_reported = 1;
    t->hcb = NULL;
    if (cb) cb(t->s, status, t->huser);
}

TN__PRIVATE void tn__tls_on_hs_defer(tn__defer *d) {
    tn__tls *t = (tn__tls *)(void *)((char *)d - offsetof(tn__tls, hs_d));
    if (!tn_stream_closed(t->s)) tn__tls_report(t, TN_OK);   /* else the close sequence reports */
}

/* After every OpenSSL call: has the handshake just finished? */
TN__PRIVATE void tn__tls_check_done(tn__tls *t) {
    if (t->hs_done || !SSL_is_init_finished(t->ssl)) return;
    t->hs_done = 1;
    if (t->hs_timer) {
        (void)tn_loop_cancel(tn_stream_loop(t->s), t->hs_timer);
        t->hs_timer = 0;
    }
    if (t->hcb) tn__defer_queue(tn_stream_loop(t->s), &t->hs_d);
    else t->hs_reported = 1;
}

/* Drive the handshake as far as the bytes at hand allow. Returns TN_OK or an error. */
TN__PRIVATE int tn__tls_handshake(tn__tls *t) {
    if (!t->hs_done) {
        int rc = SSL_do_handshake(t->ssl);
        if (rc == 1) tn__tls_check_done(t);
        else {
            int e = SSL_get_error(t->ssl, rc);
            if (e != SSL_ERROR_WANT_READ) return (int)tn__tls_io_fail(t, e);
            t->rstalled = 1;   /* the socket is dry: wait for the peer */
        }
    }
    return tn__tls_flush_out(t);
}

/* ---- the transport ---- */
TN__PRIVATE long tn__tls_read(tn_stream *s, void *buf, size_t n) {
    tn__tls *t = tn__tls_of(s);
    size_t got = 0, k;
    long ret;
    int frc;
    while (got < n) {
        int rc = SSL_read_ex(t->ssl, (char *)buf + got, n - got, &k), e;
        if (rc == 1) {
            got += k;
            continue;
        }
        e = SSL_get_error(t->ssl, rc);
        if (e == SSL_ERROR_WANT_READ) {   /* the socket is dry (OpenSSL read it through our BIO) */
            t->rstalled = 1;
            break;
        }
        if (e == SSL_ERROR_ZERO_RETURN) {   /* close_notify: a clean end */
            if (got > 0) break;
            ret = 0;
            goto done;
        }
        if (got > 0 && t->rres == 0) break;   /* the data first, the EOF on the next call */
        return tn__tls_io_fail(t, e);
    }
    ret = got > 0 ? (long)got : (long)TN_EAGAIN;
done:
    tn__tls_check_done(t);
    if ((frc = tn__tls_flush_out(t)) != 0) return frc;   /* handshake replies, tickets */
    tn__tls_update(t);
    return ret;
}

/* Encrypt n bytes (n <= TN__TLS_WRITE_MAX) and send them (or queue what the socket does
   not take). Returns n, TN_EAGAIN (the handshake waits for the peer) or an error. */
TN__PRIVATE long tn__tls_put(tn__tls *t, const void *buf, size_t n) {
    size_t done = 0;
    int rc = SSL_write_ex(t->ssl, buf, n, &done), e;
    if (rc == 1) return (long)done;
    e = SSL_get_error(t->ssl, rc);
    if (e == SSL_ERROR_WANT_READ) {
        t->rstalled = 1;
        return TN_EAGAIN;
    }
    return tn__tls_io_fail(t, e);
}

TN__PRIVATE long tn__tls_writev(tn_stream *s, const tn_str *bufs, int nb) {
    tn__tls *t = tn__tls_of(s);
    long total = 0, r = 0;
    char tmp[4096];
    size_t m = 0;
    int i, frc;
    if (t->olen - t->ooff >= TN__TLS_OUT_MAX) {
        if ((frc = tn__tls_flush_out(t)) != 0) return frc;
        if (t->olen - t->ooff >= TN__TLS_OUT_MAX) {
            tn__tls_update(t);
            return TN_EAGAIN;
        }
    }
    /* small pieces (a response head, a short body) are gathered into one record */
    for (i = 0; i < nb && total < TN__TLS_WRITE_MAX; i++) {
        size_t len = bufs[i].len;
        if (len == 0) continue;
        if (m + len <= sizeof tmp) {
            memcpy(tmp + m, bufs[i].ptr, len);
            m += len;
            continue;
        }
        if (m > 0) {
            if ((r = tn__tls_put(t, tmp, m)) <= 0) break;
            total += r;
            m = 0;
            if (len <= sizeof tmp) {
                memcpy(tmp, bufs[i].ptr, len);
                m = len;
                continue;
            }
            if (total >= TN__TLS_WRITE_MAX) break;
        }
        len = TN__MIN(len, (size_t)(TN__TLS_WRITE_MAX - total));
        if ((r = tn__tls_put(t, bufs[i].ptr, len)) <= 0) break;
        total += r;
    }
    if (m > 0 && r >= 0 && (i == nb || total < TN__TLS_WRITE_MAX) && (r = tn__tls_put(t, tmp, m)) > 0) total += r;
    tn__tls_check_done(t);
    if ((frc = tn__tls_flush_out(t)) != 0) return frc;
    tn__tls_update(t);
    if (total > 0) return total;
    return r < 0 ? r : (long)TN_EAGAIN;
}

TN__PRIVATE long tn__tls_write(tn_stream *s, const void *buf, size_t n) {
    tn_str b;
    b.ptr = (const char *)buf;
    b.len = n;
    return tn__tls_writev(s, &b, 1);
}

/* End the write side: close_notify, then the FIN once it is sent. */
TN__PRIVATE int tn__tls_shutdown(tn_stream *s) {
    tn__tls *t = tn__tls_of(s);
    int rc;
    if (!t->shut_sent && t->hs_done) {
        t->shut_sent = 1;
        (void)SSL_shutdown(t->ssl);
        ERR_clear_error();
    }
    t->fin_pending = 1;
    rc = tn__tls_flush_out(t);
    tn__tls_update(t);
    return rc;
}

TN__PRIVATE int tn__tls_pending(const tn_stream *s) {
    const tn__tls *t = tn__tls_of(s);
    /* a close_notify already read is an EOF to report even if the peer keeps the socket open */
    return SSL_pending(t->ssl) > 0 || (!t->rstalled && SSL_has_pending(t->ssl)) ||
           (SSL_get_shutdown(t->ssl) & SSL_RECEIVED_SHUTDOWN) != 0;
}

TN__PRIVATE int tn__tls_ready(tn_stream *s) {
    tn__tls *t = tn__tls_of(s);
    int rc = t->hs_done ? tn__tls_flush_out(t) : tn__tls_handshake(t);
    if (rc == 0) tn__tls_update(t);
    return rc;
}

/* Graceful close: say goodbye while the socket is open (best effort, never waits). */
TN__PRIVATE void tn__tls_closing(tn_stream *s, int cause) {
    tn__tls *t = tn__tls_of(s);
    if (t->hs_timer) {
        (void)tn_loop_cancel(tn_stream_loop(s), t->hs_timer);
        t->hs_timer = 0;
    }
    if (cause == TN_OK && t->hs_done && !t->shut_sent) {
        t->shut_sent = 1;
        (void)SSL_shutdown(t->ssl);
        ERR_clear_error();
        (void)tn__tls_flush_out(t);
    }
}

TN__PRIVATE void tn__tls_closed(tn_stream *s, int cause) {
    tn__tls *t = tn__tls_of(s);
    tn__defer_unqueue(tn_stream_loop(s), &t->hs_d);
    tn__tls_report(t, t->hs_done ? TN_OK : cause);
}

TN__PRIVATE void tn__tls_free(tn_stream *s) {
    tn__tls *t = tn__tls_of(s);
    tn_loop *loop = tn_stream_loop(s);
    if (t->hs_timer) (void)tn_loop_cancel(loop, t->hs_timer);
    tn__defer_unqueue(loop, &t->hs_d);
    SSL_free(t->ssl);   /* and the BIO */
    tn__free(tn__loop_alloc(loop), t->out);
    tn_tls_ctx_free(t->ctx);
    if (t->inner->free) t->inner->free(s);
    tn__free(tn__loop_alloc(loop), t);
}

static const tn__transport_ops tn__tls_ops = {
    tn__tls_read, tn__tls_write, tn__tls_writev, tn__tls_shutdown, tn__tls_free,
    tn__tls_pending, tn__tls_ready, tn__tls_closing, tn__tls_closed
};

TN__PRIVATE void tn__tls_on_timeout(tn_loop *loop, void *user) {
    tn__tls *t = (tn__tls *)user;
    (void)loop;
    t->hs_timer = 0;
    if (t->hs_done || tn_stream_closed(t->s)) return;
    t->err = "handshake timed out";
    TN__LLOG(loop, TN_LOG_DEBUG, TN_ETIMEOUT, "tls: handshake timed out");
    (void)tn_stream_abort(t->s, TN_ETIMEOUT);
}

/* ---- contexts ---- */
TN__PRIVATE int tn__tls_pw_cb(char *buf, int size, int rwflag, void *u) {
    const char *pw = (const char *)u;
    size_t n;
    (void)rwflag;
    if (!pw) return 0;
    n = strlen(pw);
    if (n > (size_t)size) n = (size_t)size;
    memcpy(buf, pw, n);
    return (int)n;
}

/* Load errors: the reason, logged; a missing file is TN_ENOENT. */
TN__PRIVATE int tn__tls_load_fail(tn_loop *loop, const char *what, const char *name) {
    unsigned long e = ERR_peek_last_error();
    const char *r = tn__tls_reason();
    int rc = (ERR_GET_LIB(e) == ERR_LIB_SYS || ERR_GET_REASON(e) == ERR_R_SYS_LIB) ? TN_ENOENT : TN_ETLS;
    TN__LLOG(loop, TN_LOG_WARN, rc, "tls: %s%s%s: %s", what, name ? " " : "", name ? name : "", r);
    return rc;
}

/* A certificate chain and its key from memory (PEM). */
TN__PRIVATE int tn__tls_use_pem(tn_tls_ctx *c, tn_str cert, tn_str key) {
    BIO *b = BIO_new_mem_buf(cert.ptr, (int)cert.len);
    X509 *x;
    EVP_PKEY *k;
    if (!b) return TN_ENOMEM;
    x = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL);
    if (!x || SSL_CTX_use_certificate(c->ssl, x) != 1) {
        X509_free(x);
        BIO_free(b);
        return tn__tls_load_fail(c->loop, "certificate from memory", NULL);
    }
    X509_free(x);
    (void)SSL_CTX_clear_chain_certs(c->ssl);
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (SSL_CTX_add0_chain_cert(c->ssl, x) != 1) {
            X509_free(x);
            BIO_free(b);
            return tn__tls_load_fail(c->loop, "certificate chain from memory", NULL);
        }
    }
    ERR_clear_error();   /* the end of the PEM data */
    BIO_free(b);
    if (!key.ptr) key = cert;
    if (!(b = BIO_new_mem_buf(key.ptr, (int)key.len))) return TN_ENOMEM;
    k = PEM_read_bio_PrivateKey(b, NULL, tn__tls_pw_cb, c->password);
    BIO_free(b);
    if (!k || SSL_CTX_use_PrivateKey(c->ssl, k) != 1) {
        EVP_PKEY_free(k);
        return tn__tls_load_fail(c->loop, "private key from memory", NULL);
    }
    EVP_PKEY_free(k);
    return TN_OK;
}

TN__PRIVATE int tn__tls_add_ca_pem(tn_tls_ctx *c, tn_str pem) {
    X509_STORE *st = SSL_CTX_get_cert_store(c->ssl);
    BIO *b = BIO_new_mem_buf(pem.ptr, (int)pem.len);
    X509 *x;
    int n = 0;
    if (!b) return TN_ENOMEM;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        int ok = X509_STORE_add_cert(st, x);
        X509_free(x);
        if (ok != 1) {
            BIO_free(b);
            return tn__tls_load_fail(c->loop, "CA certificate from memory", NULL);
        }
        n++;
    }
    ERR_clear_error();
    BIO_free(b);
    if (n == 0) {
        TN__LLOG(c->loop, TN_LOG_WARN, TN_ETLS, "tls: ca_pem holds no certificate");
        return TN_ETLS;
    }
    return TN_OK;
}

/* "h2,http/1.1" into ALPN's wire format. */
TN__PRIVATE int tn__tls_alpn_wire(tn_tls_ctx *c, const char *list) {
    size_t n = strlen(list), i, start = 0, o = 0;
    unsigned char *w;
    if (n == 0) return TN_OK;
    if (n > 1024) return TN_EINVAL;
    if (!(w = (unsigned char *)tn__alloc(tn__loop_alloc(c->loop), n + 1))) return TN_ENOMEM;
    for (i = 0; i <= n; i++) {
        if (i == n || list[i] == ',') {
            size_t len = i - start;
            if (len == 0 || len > 255) {
                tn__free(tn__loop_alloc(c->loop), w);
                return TN_EINVAL;
            }
            w[o++] = (unsigned char)len;
            memcpy(w + o, list + start, len);
            o += len;
            start = i + 1;
        }
    }
    c->alpn = w;
    c->alpn_len = (unsigned)o;
    return TN_OK;
}

TN__PRIVATE int tn__tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                    const unsigned char *in, unsigned int inlen, void *arg) {
    tn_tls_ctx *c = (tn_tls_ctx *)arg;
    unsigned char *o = NULL;
    (void)ssl;
    if (!c->alpn || SSL_select_next_proto(&o, outlen, c->alpn, c->alpn_len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = o;
    return SSL_TLSEXT_ERR_OK;
}

/* One label of wildcard: "*.example.com" matches "a.example.com", not "a.b.example.com". */
TN__PRIVATE int tn__tls_name_match(const char *pat, const char *name) {
    if (pat[0] == '*' && pat[1] == '.') {
        const char *dot = strchr(name, '.');
        return dot && dot != name && tn_str_ieq(tn_str_c(dot), tn_str_c(pat + 1));
    }
    return tn_str_ieq(tn_str_c(pat), tn_str_c(name));
}

TN__PRIVATE int tn__tls_servername(SSL *ssl, int *al, void *arg) {
    tn_tls_ctx *c = (tn_tls_ctx *)arg, *sub = NULL;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    size_t i;
    (void)al;
    if (!name) return SSL_TLSEXT_ERR_OK;
    for (i = 0; i < c->nnames && !sub; i++)
        if (tn__tls_name_match(c->names[i].name, name)) sub = c->names[i].ctx;
    if (!sub && c->sni_cb) sub = c->sni_cb(name, c->sni_user);
    if (sub && sub != c && sub->side == TN_TLS_SERVER && !SSL_set_SSL_CTX(ssl, sub->ssl)) return SSL_TLSEXT_ERR_ALERT_FATAL;
    return SSL_TLSEXT_ERR_OK;
}

TN__PRIVATE int tn__tls_version(int v) {
    switch (v) {
    case TN_TLS_1_0: return TLS1_VERSION;
    case TN_TLS_1_1: return TLS1_1_VERSION;
    case TN_TLS_1_2: return TLS1_2_VERSION;
    case TN_TLS_1_3: return TLS1_3_VERSION;
    default: return -1;
    }
}

/* Everything of opts applied to c->ssl. */
TN__PRIVATE int tn__tls_ctx_setup(tn_tls_ctx *c, const tn_tls_opts *o) {
    SSL_CTX *x = c->ssl;
    int minv = tn__tls_version(TN__DEF(o->min_version, TN_TLS_1_2));
    int maxv = o->max_version ? tn__tls_version(o->max_version) : 0;
    int rc;
    uint64_t opt = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;
    if (minv < 0 || maxv < 0 || (minv < TLS1_2_VERSION && !o->allow_legacy_versions) || (maxv && maxv < minv))
        return TN_EINVAL;
    if (SSL_CTX_set_min_proto_version(x, minv) != 1 || SSL_CTX_set_max_proto_version(x, maxv) != 1)
        return tn__tls_load_fail(c->loop, "versions", NULL);
    if (minv < TLS1_2_VERSION) SSL_CTX_set_security_level(x, 0);   /* asked for explicitly */
    if (c->side == TN_TLS_SERVER) {
        opt |= SSL_OP_CIPHER_SERVER_PREFERENCE;
        if (o->no_session_tickets) opt |= SSL_OP_NO_TICKET;
    }
    (void)SSL_CTX_set_options(x, opt);
    (void)SSL_CTX_set_mode(x, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_set_cipher_list(x, o->ciphers ? o->ciphers : "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL") != 1) {
        (void)tn__tls_load_fail(c->loop, "cipher list", o->ciphers);
        return TN_EINVAL;
    }
    if (o->ciphersuites && SSL_CTX_set_ciphersuites(x, o->ciphersuites) != 1) {
        (void)tn__tls_load_fail(c->loop, "TLS 1.3 cipher suites", o->ciphersuites);
        return TN_EINVAL;
    }
    c->password = (char *)(uintptr_t)o->key_password;
    SSL_CTX_set_default_passwd_cb(x, tn__tls_pw_cb);
    SSL_CTX_set_default_passwd_cb_userdata(x, c->password);
    /* certificate and key */
    if (o->cert_file || o->key_file) {
#if TN_HAS_FILESYSTEM
        if (!o->cert_file) return TN_EINVAL;
        if (SSL_CTX_use_certificate_chain_file(x, o->cert_file) != 1)
            return tn__tls_load_fail(c->loop, "certificate", o->cert_file);
        if (SSL_CTX_use_PrivateKey_file(x, o->key_file ? o->key_file : o->cert_file, SSL_FILETYPE_PEM) != 1)
            return tn__tls_load_fail(c->loop, "private key", o->key_file ? o->key_file : o->cert_file);
#else
        return TN_ENOTSUP;
#endif
    } else if (o->cert_pem.len) {
        if ((rc = tn__tls_use_pem(c, o->cert_pem, o->key_pem)) != 0) return rc;
    } else if (c->side == TN_TLS_SERVER && !o->sni_cb) {
        TN__LLOG(c->loop, TN_LOG_WARN, TN_EINVAL, "tls: a server context needs a certificate and key");
        return TN_EINVAL;
    }
    if ((o->cert_file || o->cert_pem.len) && SSL_CTX_check_private_key(x) != 1)
        return tn__tls_load_fail(c->loop, "private key", "does not match the certificate");
    SSL_CTX_set_default_passwd_cb_userdata(x, NULL);
    c->password = NULL;
    /* trust anchors */
    if (o->ca_file || o->ca_dir) {
#if TN_HAS_FILESYSTEM
        if (o->ca_file && SSL_CTX_load_verify_file(x, o->ca_file) != 1)
            return tn__tls_load_fail(c->loop, "CA file", o->ca_file);
        if (o->ca_dir && SSL_CTX_load_verify_dir(x, o->ca_dir) != 1)
            return tn__tls_load_fail(c->loop, "CA directory", o->ca_dir);
#else
        return TN_ENOTSUP;
#endif
    }
    if (o->ca_pem.len && (rc = tn__tls_add_ca_pem(c, o->ca_pem)) != 0) return rc;
    /* verification */
    c->verify = o->verify ? o->verify : (c->side == TN_TLS_CLIENT ? TN_TLS_VERIFY_REQUIRED : TN_TLS_VERIFY_NONE);
    if (c->verify < TN_TLS_VERIFY_NONE || c->verify > TN_TLS_VERIFY_REQUIRED) return TN_EINVAL;
    if (c->side == TN_TLS_CLIENT) {
        if (c->verify != TN_TLS_VERIFY_NONE && !o->ca_file && !o->ca_dir && !o->ca_pem.len &&
            SSL_CTX_set_default_verify_paths(x) != 1)
            return tn__tls_load_fail(c->loop, "system trust store", NULL);
        SSL_CTX_set_verify(x, c->verify == TN_TLS_VERIFY_NONE ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    } else {
        static const unsigned char sid[] = "tornado.h";
        int mode = SSL_VERIFY_NONE;
        if (c->verify == TN_TLS_VERIFY_OPTIONAL) mode = SSL_VERIFY_PEER;
        if (c->verify == TN_TLS_VERIFY_REQUIRED) mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        SSL_CTX_set_verify(x, mode, NULL);
        (void)SSL_CTX_set_session_id_context(x, sid, (unsigned)(sizeof sid - 1));
        SSL_CTX_set_num_tickets(x, o->no_session_tickets ? 0 : 1);
        SSL_CTX_set_tlsext_servername_callback(x, tn__tls_servername);
        SSL_CTX_set_tlsext_servername_arg(x, c);
        SSL_CTX_set_alpn_select_cb(x, tn__tls_alpn_select, c);
    }
    /* ALPN */
    if ((rc = tn__tls_alpn_wire(c, o->alpn ? o->alpn : (c->side == TN_TLS_SERVER ? "http/1.1" : ""))) != 0) return rc;
    if (c->side == TN_TLS_CLIENT && c->alpn && SSL_CTX_set_alpn_protos(x, c->alpn, c->alpn_len) != 0)
        return TN_ENOMEM;
    c->hs_timeout_ms = TN__DEF(o->handshake_timeout_ms, TORNADO_TLS_HANDSHAKE_TIMEOUT_MS);
    c->sni_cb = o->sni_cb;
    c->sni_user = o->sni_user;
    return TN_OK;
}

TN_API int tn_tls_ctx_new(tn_loop *loop, const tn_tls_opts *opts, tn_tls_ctx **out) {
    tn_tls_opts o;
    tn_tls_ctx *c;
    int rc;
    if (!loop || !out) return TN_EINVAL;
    *out = NULL;
    memset(&o, 0, sizeof o);
    if (opts) o = *opts;
    if (o.side != TN_TLS_CLIENT && o.side != TN_TLS_SERVER) return TN_EINVAL;
    if (!(c = (tn_tls_ctx *)tn__calloc(tn__loop_alloc(loop), sizeof *c))) return TN_ENOMEM;
    c->loop = loop;
    c->refs = 1;
    c->side = o.side;
    ERR_clear_error();
    c->ssl = SSL_CTX_new(o.side == TN_TLS_SERVER ? TLS_server_method() : TLS_client_method());
    c->biom = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_get_new_index(), "tornado.h stream");
    if (!c->ssl || !c->biom || BIO_meth_set_read_ex(c->biom, tn__tls_bio_read) != 1 ||
        BIO_meth_set_write_ex(c->biom, tn__tls_bio_write) != 1 || BIO_meth_set_ctrl(c->biom, tn__tls_bio_ctrl) != 1) {
        SSL_CTX_free(c->ssl);
        BIO_meth_free(c->biom);
        tn__free(tn__loop_alloc(loop), c);
        ERR_clear_error();
        return TN_ENOMEM;
    }
    if ((rc = tn__tls_ctx_setup(c, &o)) != 0) {
        ERR_clear_error();
        tn_tls_ctx_free(c);
        return rc;
    }
    *out = c;
    return TN_OK;
}

TN_API int tn_tls_ctx_add_server_name(tn_tls_ctx *ctx, const char *name, tn_tls_ctx *sub) {
    tn_allocator *a;
    char *dup;
    if (!ctx || !sub || !name || !*name || ctx->side != TN_TLS_SERVER || sub->side != TN_TLS_SERVER) return TN_EINVAL;
    a = tn__loop_alloc(ctx->loop);
    if (tn__grow(a, (void **)&ctx->names, &ctx->cap, ctx->nnames + 1, sizeof *ctx->names) != 0) return TN_ENOMEM;
    if (!(dup = tn__strdup(a, name))) return TN_ENOMEM;
    ctx->names[ctx->nnames].name = dup;
    ctx->names[ctx->nnames].ctx = sub;
    ctx->nnames++;
    sub->refs++;
    return TN_OK;
}

/* One more holder of ctx (a server, a stream); tn_tls_ctx_free drops it. */
TN__PRIVATE void tn__tls_ctx_ref(tn_tls_ctx *ctx) { ctx->refs++; }

TN_API void tn_tls_ctx_free(tn_tls_ctx *ctx) {
    tn_allocator *a;
    size_t i;
    if (!ctx || --ctx->refs > 0) return;
    a = tn__loop_alloc(ctx->loop);
    for (i = 0; i < ctx->nnames; i++) {
        tn__free(a, ctx->names[i].name);
        tn_tls_ctx_free(ctx->names[i].ctx);
    }
    tn__free(a, ctx->names);
    tn__free(a, ctx->alpn);
    SSL_CTX_free(ctx->ssl);
    BIO_meth_free(ctx->biom);
    tn__free(a, ctx);
}

/* ---- streams ---- */
TN_API int tn_stream_start_tls(tn_stream *s, tn_tls_ctx *ctx, const char *server_hostname, tn_tls_handshake_cb cb,
                               void *user) {
    tn_loop *loop;
    tn__tls *t;
    tn_addr ip;
    int is_ip, rc;
    if (!s || !ctx) return TN_EINVAL;
    if (tn_stream_closed(s)) return TN_ECLOSED;
    if (tn__stream_transport(s) || tn_stream_reading(s) || tn__stream_unread(s) || tn_stream_writing(s))
        return TN_EBUSY;
    if (ctx->side == TN_TLS_CLIENT && ctx->verify != TN_TLS_VERIFY_NONE && (!server_hostname || !*server_hostname))
        return TN_EINVAL;
    loop = tn_stream_loop(s);
    if (!(t = (tn__tls *)tn__calloc(tn__loop_alloc(loop), sizeof *t))) return TN_ENOMEM;
    ERR_clear_error();
    t->s = s;
    t->ssl = SSL_new(ctx->ssl);
    t->bio = BIO_new(ctx->biom);
    t->rres = 1;
    if (!t->ssl || !t->bio) {
        rc = TN_ENOMEM;
        goto fail;
    }
    BIO_set_data(t->bio, t);
    BIO_set_init(t->bio, 1);
    SSL_set_bio(t->ssl, t->bio, t->bio);   /* owned by ssl from here (one reference for both) */
    if (ctx->side == TN_TLS_SERVER) {
        SSL_set_accept_state(t->ssl);
        t->verifying = ctx->verify != TN_TLS_VERIFY_NONE;
    } else {
        SSL_set_connect_state(t->ssl);
        is_ip = server_hostname && tn_addr_from_ip(server_hostname, 0, &ip) == TN_OK;
        if (server_hostname && *server_hostname && !is_ip && !SSL_set_tlsext_host_name(t->ssl, server_hostname)) {
            rc = TN_EINVAL;   /* SNI: names only, never IP literals (RFC 6066) */
            goto fail;
        }
        if (ctx->verify != TN_TLS_VERIFY_NONE) {
            t->verifying = 1;
            if (is_ip) {
                char buf[TN_ADDR_STRLEN];
                if (tn_addr_ip(&ip, buf, sizeof buf) < 0 ||
                    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), buf) != 1) {
                    rc = TN_EINVAL;
                    goto fail;
                }
            } else {
                SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                if (SSL_set1_host(t->ssl, server_hostname) != 1) {
                    rc = TN_EINVAL;
                    goto fail;
                }
            }
        }
    }
    if (ctx->hs_timeout_ms && (rc = tn_loop_call_later(loop, ctx->hs_timeout_ms, tn__tls_on_timeout, t, &t->hs_timer)) != 0)
        goto fail;
    t->ctx = ctx;
    ctx->refs++;
    t->hcb = cb;
    t->huser = user;
    t->inner = tn__stream_transport_ops(s);
    tn__defer_init(&t->hs_d, tn__tls_on_hs_defer, tn__stream_handle(s));
    tn__stream_set_transport(s, &tn__tls_ops, t);
    /* the client speaks first; either side then waits for the peer (errors close the
       stream from the loop, through ready) */
    if (ctx->side == TN_TLS_CLIENT) {
        int hrc = tn__tls_handshake(t);
        if (hrc != 0) {
            (void)tn_stream_abort(s, hrc);
            return TN_OK;
        }
    }
    tn__tls_update(t);
    return TN_OK;
fail:
    ERR_clear_error();
    if (t->ssl) SSL_free(t->ssl);
    else {
        BIO_free(t->bio);
    }
    tn__free(tn__loop_alloc(loop), t);
    return rc;
}

TN_API int tn_stream_is_tls(const tn_stream *s) {
    return s && tn__stream_transport_ops(s) == &tn__tls_ops;
}

TN_API int tn_stream_tls_info(const tn_stream *s, tn_tls_info *out) {
    const tn__tls *t;
    const unsigned char *alpn = NULL;
    unsigned alen = 0;
    const char *sn;
    if (!out) return TN_EINVAL;
    memset(out, 0, sizeof *out);
    out->version = out->cipher = out->server_name = "";
    if (!tn_stream_is_tls(s)) return TN_EINVAL;
    t = tn__tls_of(s);
    out->done = t->hs_done;
    if (!t->hs_done) return TN_OK;
    out->version = SSL_get_version(t->ssl);
    out->cipher = SSL_get_cipher_name(t->ssl);
    SSL_get0_alpn_selected(t->ssl, &alpn, &alen);
    out->alpn = tn_str_make((const char *)alpn, alen);
    sn = SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name);
    out->server_name = sn ? sn : "";
    out->session_reused = SSL_session_reused(t->ssl) == 1;
    out->peer_verified = SSL_get0_peer_certificate(t->ssl) != NULL && SSL_get_verify_result(t->ssl) == X509_V_OK &&
                         SSL_get_verify_mode(t->ssl) != SSL_VERIFY_NONE;
    return TN_OK;
}

TN_API const char *tn_stream_tls_error(const tn_stream *s) {
    return tn_stream_is_tls(s) && tn__tls_of(s)->err ? tn__tls_of(s)->err : "";
}

TN_API int tn_stream_tls_peer_subject(const tn_stream *s, char *buf, size_t cap) {
    tn_tls_info info;
    X509 *x;
    BIO *b;
    char *p;
    long n;
    if (!buf || cap == 0 || tn_stream_tls_info(s, &info) != 0) return TN_EINVAL;
    buf[0] = 0;
    if (!info.peer_verified || !(x = SSL_get0_peer_certificate(tn__tls_of(s)->ssl))) return TN_ENOENT;
    if (!(b = BIO_new(BIO_s_mem()))) return TN_ENOMEM;
    if (X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) < 0) {
        BIO_free(b);
        ERR_clear_error();
        return TN_ETLS;
    }
    n = BIO_get_mem_data(b, &p);
    if (n < 0 || (size_t)n >= cap) {
        BIO_free(b);
        return TN_EBUFFER_FULL;
    }
    memcpy(buf, p, (size_t)n);
    buf[n] = 0;
    BIO_free(b);
    return (int)n;
}

#endif /* TN_HAS_OPENSSL */
/* <<tls.c  end of src/tls.c */

/* ======================================================================== */
/* >>tcp.c  (src/tcp.c)                                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/tcp.c"
#endif
/* tcp.c: tcp server (accept batches, connection cap), fork_processes, happy-eyeballs connect. */
/* #include "tcp.h" (inlined above) */
/* #include "internal.h" (inlined above) */

/* ---- server ---- */
/* Each accepted connection carries the server's record at the start of the area allocated
   with its stream (tn__stream_extra): the links of the server's connection list. A protocol
   layer's per-connection state follows it (tn__tcp_server_set_conn_extra, tn__tcp_conn_state). */
typedef struct tn__tcp_conn tn__tcp_conn;
struct tn__tcp_conn { tn__tcp_conn *prev, *next; };
#define TN__TCP_CONN_SIZE ((sizeof(tn__tcp_conn) + 7u) & ~(size_t)7u)   /* keeps the state 8-byte aligned */

struct tn_tcp_server {
    tn__handle h;                  /* h.pending counts open connections: no finalise before 0 */
    tn__stream_owner owner;        /* each accepted stream points here */
    tn_tcp_server_opts opts;
    tn_tcp_conn_cb cb;
    void *user;
    int *fds;                      /* listening sockets */
    size_t nfds, fds_cap;
    size_t conns;
    tn__tcp_conn *first;           /* open connections (O(1) insert and remove) */
    int paused;                    /* not accepting: at the cap, or waiting out EMFILE */
    int stopped;
    tn_timer_id retry_timer;
    size_t conn_extra;             /* bytes allocated with each accepted stream for a protocol
                                      layer's connection state (tn__tcp_conn_state) */
    tn_cb close_cb;
    void *close_user;
    void *uptr;
};

#define TN__ACCEPT_RETRY_MS 100

TN__PRIVATE void tn__tcp_srv_set_accepting(tn_tcp_server *srv, int on) {
    size_t i;
    srv->paused = !on;
    for (i = 0; i < srv->nfds; i++) (void)tn_loop_update_fd(srv->h.loop, srv->fds[i], on ? TN_EV_READ : 0);
}

TN__PRIVATE int tn__tcp_srv_at_cap(const tn_tcp_server *srv) {
    return srv->opts.max_connections && srv->conns >= srv->opts.max_connections;
}

TN__PRIVATE void tn__tcp_srv_retry(tn_loop *loop, void *user) {
    tn_tcp_server *srv = (tn_tcp_server *)user;
    (void)loop;
    srv->retry_timer = 0;
    if (!srv->stopped && !tn__tcp_srv_at_cap(srv)) tn__tcp_srv_set_accepting(srv, 1);
}

/* Bytes of protocol state to allocate (zeroed) with each accepted connection from now on. */
TN__PRIVATE void tn__tcp_server_set_conn_extra(tn_tcp_server *srv, size_t n) { srv->conn_extra = n; }

/* A connection's record, its stream, and the protocol state after the record. */
TN__PRIVATE tn__tcp_conn *tn__tcp_conn_of(tn_stream *s) { return (tn__tcp_conn *)tn__stream_extra(s); }
TN__PRIVATE tn_stream *tn__tcp_conn_stream_of(tn__tcp_conn *c) { return tn__stream_from_extra(c); }
TN__PRIVATE void *tn__tcp_conn_state(tn_stream *s) { return (char *)tn__stream_extra(s) + TN__TCP_CONN_SIZE; }
TN__PRIVATE tn_stream *tn__tcp_conn_stream(void *state) {
    return tn__tcp_conn_stream_of((tn__tcp_conn *)(void *)((char *)state - TN__TCP_CONN_SIZE));
}

/* The server that accepted s, or NULL. */
TN__PRIVATE tn_tcp_server *tn__tcp_conn_server(const tn_stream *s) {
    tn__stream_owner *o = tn__stream_get_owner(s);
    return o ? (tn_tcp_server *)(void *)((char *)o - offsetof(tn_tcp_server, owner)) : NULL;
}

/* Call fn for each open connection of srv (fn may close the one it is given: streams are
   freed only in the loop's closing phase, after this returns). */
TN__PRIVATE void tn__tcp_server_each(tn_tcp_server *srv, void (*fn)(tn_stream *s, void *ctx), void *ctx) {
    tn__tcp_conn *c, *next;
    for (c = srv->first; c; c = next) {
        next = c->next;
        fn(tn__tcp_conn_stream_of(c), ctx);
    }
}

TN__PRIVATE void tn__tcp_srv_conn_freed(tn_stream *s, tn__stream_owner *o) {
    tn_tcp_server *srv = tn__tcp_conn_server(s);
    tn__tcp_conn *c = tn__tcp_conn_of(s);
    (void)o;
    if (c->prev) c->prev->next = c->next;
    else srv->first = c->next;
    if (c->next) c->next->prev = c->prev;
    srv->conns--;
    srv->h.pending--;
    if (srv->paused && !srv->stopped && !srv->retry_timer && !tn__tcp_srv_at_cap(srv)) tn__tcp_srv_set_accepting(srv, 1);
}

TN__PRIVATE void tn__tcp_srv_on_accept(tn_loop *loop, tn_socket lfd, int events, void *user) {
    tn_tcp_server *srv = (tn_tcp_server *)user;
    int i;
    (void)events;
    for (i = 0; i < srv->opts.accept_batch && !srv->stopped; i++) {
        tn_addr peer;
        tn_stream *s;
        tn__tcp_conn *c;
        int fd = -1, rc;
        if (tn__tcp_srv_at_cap(srv)) {
            tn__tcp_srv_set_accepting(srv, 0);
            break;
        }
        rc = tn__net_accept(lfd, &fd, &peer);
        if (rc == TN_EAGAIN) break;
        if (rc == TN_ERESET) continue;   /* aborted before we got to it */
        if (rc != TN_OK) {
            /* out of fds or memory: pause instead of spinning on a level-triggered fd */
            TN__LLOG(loop, TN_LOG_WARN, rc, "accept failed (%s); pausing %d ms", tn_strerror(rc), TN__ACCEPT_RETRY_MS);
            tn__tcp_srv_set_accepting(srv, 0);
            if (tn_loop_call_later(loop, TN__ACCEPT_RETRY_MS, tn__tcp_srv_retry, srv, &srv->retry_timer) != 0)
                tn__tcp_srv_set_accepting(srv, 1);
            break;
        }
        rc = tn__stream_new_own_socket(loop, fd, &srv->opts.stream, TN__TCP_CONN_SIZE + srv->conn_extra, &s);
        if (rc != 0) {
            TN__LLOG(loop, TN_LOG_WARN, rc, "dropping connection: %s", tn_strerror(rc));
            tn__fd_close(fd);
            continue;
        }
        if (srv->opts.nodelay) (void)tn_stream_set_nodelay(s, 1);
        tn__stream_set_owner(s, &srv->owner);
        c = tn__tcp_conn_of(s);
        c->next = srv->first;
        if (srv->first) srv->first->prev = c;
        srv->first = c;
        srv->conns++;
        srv->h.pending++;
#if TN_HAS_OPENSSL
        if (srv->opts.tls && (rc = tn_stream_start_tls(s, srv->opts.tls, NULL, NULL, NULL)) != 0) {
            TN__LLOG(loop, TN_LOG_WARN, rc, "dropping connection: TLS: %s", tn_strerror(rc));
            (void)tn_stream_close(s, NULL, NULL);   /* counted until its memory goes */
            continue;
        }
#endif
        srv->cb(srv, s, &peer, srv->user);
    }
}

TN__PRIVATE void tn__tcp_srv_finalize(tn__handle *h) {
    tn_tcp_server *srv = (tn_tcp_server *)h;
    tn_loop *loop = h->loop;
    if (srv->close_cb) srv->close_cb(loop, srv->close_user);
#if TN_HAS_OPENSSL
    tn_tls_ctx_free(srv->opts.tls);
#endif
    tn__free(tn__loop_alloc(loop), srv->fds);
    tn__free(tn__loop_alloc(loop), srv);
}
static const tn__handle_type tn__tcp_server_type = { "tcp_server", tn__tcp_srv_finalize };

TN__PRIVATE void tn__tcp_server_opts_resolve(const tn_tcp_server_opts *in, tn_tcp_server_opts *o) {
    memset(o, 0, sizeof *o);
    if (in) *o = *in;
    o->accept_batch = TN__DEF(o->accept_batch, TORNADO_ACCEPT_BATCH);
    if (o->accept_batch < 1) o->accept_batch = 1;
}

TN_API int tn_tcp_server_new(tn_loop *loop, const tn_tcp_server_opts *opts, tn_tcp_conn_cb cb, void *user,
                             tn_tcp_server **out) {
    tn_tcp_server *srv;
    if (!loop || !cb || !out) return TN_EINVAL;
    *out = NULL;
#if !TN_HAS_OPENSSL
    if (opts && opts->tls) return TN_ENOTSUP;
#endif
    srv = (tn_tcp_server *)tn__calloc(tn__loop_alloc(loop), sizeof *srv);
    if (!srv) return TN_ENOMEM;
    tn__tcp_server_opts_resolve(opts, &srv->opts);
#if TN_HAS_OPENSSL
    if (srv->opts.tls) tn__tls_ctx_ref(srv->opts.tls);   /* kept until the server goes */
#endif
    srv->cb = cb;
    srv->user = user;
    srv->owner.on_free = tn__tcp_srv_conn_freed;
    tn__handle_init(loop, &srv->h, &tn__tcp_server_type);
    *out = srv;
    return TN_OK;
}

TN_API int tn_tcp_server_add_socket(tn_tcp_server *srv, tn_socket fd) {
    int rc;
    if (!srv || fd < 0) return TN_EINVAL;
    if (srv->h.closing) return TN_ECLOSED;
    if ((rc = tn__grow(tn__loop_alloc(srv->h.loop), (void **)&srv->fds, &srv->fds_cap, srv->nfds + 1, sizeof(int))) != 0) return rc;
    if ((rc = tn__fd_setup(fd)) != 0) return rc;
    rc = tn__loop_add_fd(srv->h.loop, fd, srv->paused ? 0 : TN_EV_READ, tn__tcp_srv_on_accept, srv, 1);
    if (rc != 0) return rc;
    srv->fds[srv->nfds++] = fd;
    srv->stopped = 0;
    return TN_OK;
}

TN_API int tn_tcp_server_listen(tn_tcp_server *srv, const char *host, int port) {
    tn_socket fds[16];
    size_t n = 0, i;
    int rc;
    if (!srv) return TN_EINVAL;
    if ((rc = tn_bind_sockets(host, port, &srv->opts.bind, fds, 16, &n)) != 0) {
        TN__LLOG(srv->h.loop, TN_LOG_WARN, rc, "listen on %s port %d failed: %s", host && *host ? host : "*", port,
                 tn_strerror(rc));
        return rc;
    }
    for (i = 0; i < n; i++) {
        if ((rc = tn_tcp_server_add_socket(srv, fds[i])) != 0) {
            size_t j;
            for (j = i; j < n; j++) tn__fd_close(fds[j]);
            return rc;
        }
    }
    return TN_OK;
}

TN_API int tn_tcp_server_listen_unix(tn_tcp_server *srv, const char *path, int mode) {
    tn_socket fd;
    int rc;
    if (!srv) return TN_EINVAL;
    if ((rc = tn_bind_unix(path, mode, srv->opts.bind.backlog, &fd)) != 0) {
        TN__LLOG(srv->h.loop, TN_LOG_WARN, rc, "listen on unix socket %s failed: %s", path ? path : "(null)", tn_strerror(rc));
        return rc;
    }
    if ((rc = tn_tcp_server_add_socket(srv, fd)) != 0) tn__fd_close(fd);
    return rc;
}

TN_API int tn_tcp_server_port(const tn_tcp_server *srv) {
    tn_addr a;
    if (!srv || srv->nfds == 0 || tn_socket_local_addr(srv->fds[0], &a) != 0) return -1;
    return tn_addr_port(&a);
}

TN_API size_t tn_tcp_server_connections(const tn_tcp_server *srv) { return srv->conns; }

TN_API void tn_tcp_server_stop(tn_tcp_server *srv) {
    size_t i;
    if (!srv) return;
    for (i = 0; i < srv->nfds; i++) {
        (void)tn_loop_remove_fd(srv->h.loop, srv->fds[i]);
        tn__fd_close(srv->fds[i]);
    }
    srv->nfds = 0;
    srv->stopped = 1;
    if (srv->retry_timer) (void)tn_loop_cancel(srv->h.loop, srv->retry_timer);
    srv->retry_timer = 0;
}

TN_API int tn_tcp_server_close(tn_tcp_server *srv, tn_cb cb, void *user) {
    if (!srv) return TN_EINVAL;
    if (srv->h.closing) return TN_ECLOSED;
    tn_tcp_server_stop(srv);
    srv->close_cb = cb;
    srv->close_user = user;
    return tn__handle_close(&srv->h);
}

TN_API void tn_tcp_server_set_user(tn_tcp_server *srv, void *user) { srv->uptr = user; }
TN_API void *tn_tcp_server_get_user(const tn_tcp_server *srv) { return srv->uptr; }

/* ---- fork_processes ---- */
static int tn__task_id_value = -1;

TN_API int tn_task_id(void) { return tn__task_id_value; }

TN_API int tn_cpu_count(void) {
    long n = -1;
#if defined(_SC_NPROCESSORS_ONLN)
    n = sysconf(_SC_NPROCESSORS_ONLN);
#endif
    return n > 0 ? (int)n : 1;
}

TN_API int tn_fork_processes(int n, int max_restarts, int *task_id) {
    pid_t *pids;
    int i, alive = 0, restarts = 0;
    if (!task_id || tn__task_id_value >= 0) return TN_EINVAL;
    if (n <= 0) n = tn_cpu_count();
    if (max_restarts <= 0) max_restarts = 100;
    *task_id = -1;
    pids = (pid_t *)calloc((size_t)n, sizeof *pids);
    if (!pids) return TN_ENOMEM;
    for (i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            free(pids);
            return tn__last_err();
        }
        if (pid == 0) {
            free(pids);
            tn__task_id_value = i;
            *task_id = i;
            return TN_OK;
        }
        pids[i] = pid;
        alive++;
    }
    while (alive > 0) {
        int status = 0, id = -1, j;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (j = 0; j < n; j++)
            if (pids[j] == pid) id = j;
        if (id < 0) continue;   /* not one of ours */
        pids[id] = 0;
        alive--;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;   /* clean exit: not restarted */
        if (++restarts > max_restarts) {
            free(pids);
            return TN_ELIMIT;
        }
        pid = fork();
        if (pid < 0) {
            free(pids);
            return tn__last_err();
        }
        if (pid == 0) {
            free(pids);
            tn__task_id_value = id;
            *task_id = id;
            return TN_OK;
        }
        pids[id] = pid;
        alive++;
    }
    free(pids);
    return TN_OK;
}

/* ---- client: happy-eyeballs connect ---- */
struct tn_connector {
    tn__handle h;                  /* h.pending: the resolve request while it is out */
    tn__defer done_d;              /* delivers the result from the loop */
    tn_connect_opts opts;
    char *source_ip;
    tn_connect_cb cb;
    void *user;
    tn_resolve_req *req;
    tn_addr *addrs;
    size_t naddrs;
    size_t *chain[2];              /* address indices: [0] first family, [1] the other */
    size_t len[2], pos[2];
    int started[2];
    int fd[2];                     /* attempt in flight per chain, -1 if none */
    tn_timer_id timeout_timer, fallback_timer;
    int last_err;
    int done;
    int status;
    tn_stream *result;
};

TN__PRIVATE void tn__tcp_cx_try(tn_connector *c, int chain);

TN__PRIVATE void tn__tcp_cx_drop_attempt(tn_connector *c, int chain) {
    if (c->fd[chain] >= 0) {
        (void)tn_loop_remove_fd(c->h.loop, c->fd[chain]);
        tn__fd_close(c->fd[chain]);
        c->fd[chain] = -1;
    }
}

/* Settle the connector (once): attempts and timers go, the callback is deferred. */
TN__PRIVATE void tn__tcp_cx_finish(tn_connector *c, int status, tn_stream *s) {
    tn_loop *loop = c->h.loop;
    if (c->done) return;
    c->done = 1;
    c->status = status;
    c->result = s;
    tn__tcp_cx_drop_attempt(c, 0);
    tn__tcp_cx_drop_attempt(c, 1);
    if (c->timeout_timer) (void)tn_loop_cancel(loop, c->timeout_timer);
    if (c->fallback_timer) (void)tn_loop_cancel(loop, c->fallback_timer);
    c->timeout_timer = c->fallback_timer = 0;
    if (c->req) tn_resolve_cancel(c->req);
    tn__defer_queue(loop, &c->done_d);   /* the callback runs from the loop ... */
    (void)tn__handle_close(&c->h);        /* ... and the memory goes after it */
}

TN__PRIVATE void tn__tcp_cx_on_done(tn__defer *d) {
    tn_connector *c = (tn_connector *)(void *)((char *)d - offsetof(tn_connector, done_d));
    c->cb(c->status, c->result, c->user);
}

TN__PRIVATE void tn__tcp_cx_finalize(tn__handle *h) {
    tn_connector *c = (tn_connector *)h;
    tn_allocator *a = tn__loop_alloc(h->loop);
    tn__free(a, c->source_ip);
    tn__free(a, c->addrs);
    tn__free(a, c->chain[0]);
    tn__free(a, c->chain[1]);
    tn__free(a, c);
}
static const tn__handle_type tn__tcp_connector_type = { "tcp_connector", tn__tcp_cx_finalize };

TN__PRIVATE void tn__tcp_cx_success(tn_connector *c, int chain, int fd) {
    tn_stream *s;
    int rc;
    (void)tn_loop_remove_fd(c->h.loop, fd);
    if (c->fd[chain] == fd) c->fd[chain] = -1;
    rc = tn__stream_new_own_socket(c->h.loop, fd, &c->opts.stream, 0, &s);
    if (rc != 0) {
        tn__fd_close(fd);
        tn__tcp_cx_finish(c, rc, NULL);
        return;
    }
    tn__tcp_cx_finish(c, TN_OK, s);
}

TN__PRIVATE void tn__tcp_cx_on_writable(tn_connector *c, int chain) {
    int fd = c->fd[chain], err = 0;
    socklen_t len = (socklen_t)sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err == 0) {
        tn__tcp_cx_success(c, chain, fd);
        return;
    }
    c->last_err = tn__err_from_errno(err);
    tn__tcp_cx_drop_attempt(c, chain);
    tn__tcp_cx_try(c, chain);
}

TN__PRIVATE void tn__tcp_cx_on_w0(tn_loop *loop, tn_socket fd, int ev, void *u) {
    (void)loop; (void)fd; (void)ev;
    tn__tcp_cx_on_writable((tn_connector *)u, 0);
}

TN__PRIVATE void tn__tcp_cx_on_w1(tn_loop *loop, tn_socket fd, int ev, void *u) {
    (void)loop; (void)fd; (void)ev;
    tn__tcp_cx_on_writable((tn_connector *)u, 1);
}

TN__PRIVATE void tn__tcp_cx_start_chain(tn_connector *c, int chain) {
    if (c->started[chain] || c->len[chain] == 0) return;
    c->started[chain] = 1;
    tn__tcp_cx_try(c, chain);
}

/* Start the next address of a chain; when the chain runs out, start the other chain at
   once, or fail if nothing is left in flight. */
TN__PRIVATE void tn__tcp_cx_try(tn_connector *c, int chain) {
    tn_loop *loop = c->h.loop;
    while (!c->done && c->pos[chain] < c->len[chain]) {
        const tn_addr *a = &c->addrs[c->chain[chain][c->pos[chain]++]];
        int fd = -1, rc;
        if ((rc = tn__socket(tn__net_csa(a)->sa_family, SOCK_STREAM, &fd)) != 0) {
            c->last_err = rc;
            continue;
        }
        if (c->source_ip) {
            tn_addr src;
            if (tn_addr_from_ip(c->source_ip, c->opts.source_port, &src) != 0 ||
                tn_addr_family(&src) != tn_addr_family(a)) {
                c->last_err = TN_EADDRNOTAVAIL;
                tn__fd_close(fd);
                continue;
            }
            if (bind(fd, tn__net_csa(&src), (socklen_t)src.len) != 0) {
                c->last_err = tn__last_err();
                tn__fd_close(fd);
                continue;
            }
        }
        if (connect(fd, tn__net_csa(a), (socklen_t)a->len) == 0) {
            c->fd[chain] = fd;
            tn__tcp_cx_success(c, chain, fd);   /* immediate (e.g. unix-like loopback paths) */
            return;
        }
        if (errno == EINPROGRESS || errno == EINTR) {
            rc = tn__loop_add_fd(loop, fd, TN_EV_WRITE, chain ? tn__tcp_cx_on_w1 : tn__tcp_cx_on_w0, c, 1);
            if (rc == 0) {
                c->fd[chain] = fd;
                return;
            }
        } else {
            rc = tn__last_err();
        }
        c->last_err = rc;
        tn__fd_close(fd);
    }
    if (c->done) return;
    /* this chain is spent: the other family starts now rather than after the delay */
    if (!c->started[1 - chain] && c->len[1 - chain] > 0) {
        if (c->fallback_timer) (void)tn_loop_cancel(loop, c->fallback_timer);
        c->fallback_timer = 0;
        tn__tcp_cx_start_chain(c, 1 - chain);
        return;
    }
    if (c->fd[0] < 0 && c->fd[1] < 0 && c->pos[0] >= c->len[0] && c->pos[1] >= c->len[1])
        tn__tcp_cx_finish(c, c->last_err ? c->last_err : TN_EREFUSED, NULL);
}

TN__PRIVATE void tn__tcp_cx_on_fallback(tn_loop *loop, void *user) {
    tn_connector *c = (tn_connector *)user;
    (void)loop;
    c->fallback_timer = 0;
    tn__tcp_cx_start_chain(c, 1);
}

TN__PRIVATE void tn__tcp_cx_on_timeout(tn_loop *loop, void *user) {
    tn_connector *c = (tn_connector *)user;
    (void)loop;
    c->timeout_timer = 0;
    tn__tcp_cx_finish(c, TN_ETIMEOUT, NULL);
}

TN__PRIVATE void tn__tcp_cx_on_resolved(int status, const tn_addr *addrs, size_t n, void *user) {
    tn_connector *c = (tn_connector *)user;
    tn_allocator *a = tn__loop_alloc(c->h.loop);
    size_t i;
    int first;
    c->h.pending--;
    c->req = NULL;
    if (c->done) return;
    if (status != TN_OK) {
        tn__tcp_cx_finish(c, status, NULL);
        return;
    }
    c->addrs = (tn_addr *)tn__alloc(a, n * sizeof *addrs);
    c->chain[0] = (size_t *)tn__alloc(a, n * sizeof(size_t));
    c->chain[1] = (size_t *)tn__alloc(a, n * sizeof(size_t));
    if (!c->addrs || !c->chain[0] || !c->chain[1]) {
        tn__tcp_cx_finish(c, TN_ENOMEM, NULL);
        return;
    }
    memcpy(c->addrs, addrs, n * sizeof *addrs);
    c->naddrs = n;
    first = tn_addr_family(&addrs[0]);
    for (i = 0; i < n; i++) {
        int ch = tn_addr_family(&addrs[i]) == first ? 0 : 1;
        c->chain[ch][c->len[ch]++] = i;
    }
    if (c->len[1] > 0 &&
        tn_loop_call_later(c->h.loop, c->opts.fallback_delay_ms, tn__tcp_cx_on_fallback, c, &c->fallback_timer) != 0) {
        tn__tcp_cx_finish(c, TN_ENOMEM, NULL);
        return;
    }
    tn__tcp_cx_start_chain(c, 0);
}

TN__PRIVATE void tn__tcp_connect_opts_resolve(const tn_connect_opts *in, tn_connect_opts *o) {
    memset(o, 0, sizeof *o);
    if (in) *o = *in;
    o->timeout_ms = TN__DEF(o->timeout_ms, TORNADO_CONNECT_TIMEOUT_MS);
    o->fallback_delay_ms = TN__DEF(o->fallback_delay_ms, TORNADO_HAPPY_EYEBALLS_DELAY_MS);
}

TN_API int tn_tcp_connect(tn_loop *loop, const char *host, int port, const tn_connect_opts *opts,
                          tn_connect_cb cb, void *user, tn_connector **out) {
    tn_connector *c;
    int rc;
    if (out) *out = NULL;
    if (!loop || !host || !cb || port <= 0 || port > 65535) return TN_EINVAL;
    c = (tn_connector *)tn__calloc(tn__loop_alloc(loop), sizeof *c);
    if (!c) return TN_ENOMEM;
    tn__tcp_connect_opts_resolve(opts, &c->opts);
    c->fd[0] = c->fd[1] = -1;
    c->cb = cb;
    c->user = user;
    if (c->opts.source_ip && !(c->source_ip = tn__strdup(tn__loop_alloc(loop), c->opts.source_ip))) {
        tn__free(tn__loop_alloc(loop), c);
        return TN_ENOMEM;
    }
    c->opts.source_ip = NULL;
    if ((rc = tn_loop_call_later(loop, c->opts.timeout_ms, tn__tcp_cx_on_timeout, c, &c->timeout_timer)) != 0) {
        tn__free(tn__loop_alloc(loop), c->source_ip);
        tn__free(tn__loop_alloc(loop), c);
        return rc;
    }
    rc = tn_resolve(loop, c->opts.resolver, host, port, c->opts.family, tn__tcp_cx_on_resolved, c, &c->req);
    if (rc != 0) {
        (void)tn_loop_cancel(loop, c->timeout_timer);
        tn__free(tn__loop_alloc(loop), c->source_ip);
        tn__free(tn__loop_alloc(loop), c);
        return rc;
    }
    tn__handle_init(loop, &c->h, &tn__tcp_connector_type);
    tn__defer_init(&c->done_d, tn__tcp_cx_on_done, &c->h);
    c->h.pending++;   /* the resolve callback still refers to c */
    if (out) *out = c;
    return TN_OK;
}

TN_API void tn_tcp_connect_cancel(tn_connector *c) {
    if (c) tn__tcp_cx_finish(c, TN_ECANCELED, NULL);
}
/* <<tcp.c  end of src/tcp.c */

/* ======================================================================== */
/* >>crypto.c  (src/crypto.c)                                               */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/crypto.c"
#endif
/* crypto.c: SHA-1, SHA-256, HMAC, constant-time compare, base64, hex, UTF-8 validation, random bytes. */
/* #include "crypto.h" (inlined above) */
/* #include "internal.h" (inlined above) */

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
/* SHA-1 and SHA-256 buffer input and pad the same way (64-byte blocks, big-endian bit
   length); only the block function and the digest width differ. */
typedef void (*tn__md_blocks_fn)(uint32_t *h, const unsigned char *p, size_t nblocks);

TN__PRIVATE void tn__md_update(uint32_t *h, unsigned char buf[64], size_t *nbuf, uint64_t *len,
                               tn__md_blocks_fn blocks, const unsigned char *p, size_t n) {
    if (n == 0) return;
    *len += n;
    if (*nbuf) {
        size_t take = TN__MIN(n, 64 - *nbuf);
        memcpy(buf + *nbuf, p, take);
        *nbuf += take;
        p += take;
        n -= take;
        if (*nbuf < 64) return;
        blocks(h, buf, 1);
        *nbuf = 0;
    }
    if (n >= 64) {
        blocks(h, p, n / 64);
        p += n & ~(size_t)63;
        n &= 63;
    }
    if (n) {
        memcpy(buf, p, n);
        *nbuf = n;
    }
}

TN__PRIVATE void tn__md_final(uint32_t *h, unsigned char buf[64], size_t *nbuf, uint64_t len,
                              tn__md_blocks_fn blocks, int words, unsigned char *out) {
    int i;
    buf[(*nbuf)++] = 0x80;
    if (*nbuf > 56) {
        memset(buf + *nbuf, 0, 64 - *nbuf);
        blocks(h, buf, 1);
        *nbuf = 0;
    }
    memset(buf + *nbuf, 0, 56 - *nbuf);
    tn__cr_store_be64(buf + 56, len * 8);
    blocks(h, buf, 1);
    for (i = 0; i < words; i++) tn__cr_store_be32(out + 4 * i, h[i]);
    *nbuf = 0;
}

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
    tn__md_update(ctx->_h, ctx->_buf, &ctx->_nbuf, &ctx->_len, tn__sha1_blocks, (const unsigned char *)data, n);
}

TN_API void tn_sha1_final(tn_sha1_ctx *ctx, unsigned char out[TN_SHA1_SIZE]) {
    tn__md_final(ctx->_h, ctx->_buf, &ctx->_nbuf, ctx->_len, tn__sha1_blocks, 5, out);
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
    tn__md_update(ctx->_h, ctx->_buf, &ctx->_nbuf, &ctx->_len, tn__sha256_blocks, (const unsigned char *)data, n);
}

TN_API void tn_sha256_final(tn_sha256_ctx *ctx, unsigned char out[TN_SHA256_SIZE]) {
    tn__md_final(ctx->_h, ctx->_buf, &ctx->_nbuf, ctx->_len, tn__sha256_blocks, 8, out);
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

TN_API int tn_hex_decode(tn_str in, void *out, size_t cap, size_t *out_len) {
    unsigned char *o = (unsigned char *)out;
    size_t i;
    if (in.len % 2) return TN_EPARSE;
    if (in.len / 2 > cap) return TN_EBUFFER_FULL;
    for (i = 0; i < in.len; i += 2) {
        int hi = tn__hexval((unsigned char)in.ptr[i]), lo = tn__hexval((unsigned char)in.ptr[i + 1]);
        if (hi < 0 || lo < 0) return TN_EPARSE;
        o[i / 2] = (unsigned char)(hi * 16 + lo);
    }
    if (out_len) *out_len = in.len / 2;
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
/* >>deflate.c  (src/deflate.c)                                             */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/deflate.c"
#endif
/* deflate.c: DEFLATE codec: table-driven streaming inflate, hash-chain lazy deflate, CRC-32 (slice-by-8), Adler-32. */
/* #include "deflate.h" (inlined above) */
/* #include "internal.h" (inlined above) */

#if TN_HAS_DEFLATE
/* ---- policy ----------------------------------------------------------------------------
   - Inflate accepts what zlib's inflate accepts, no more: incomplete Huffman codes only when
     they are a single code of one bit or no code at all (RFC 1951 3.2.7's one distance code),
     a literal/length code must contain end-of-block, distances may not reach before the
     stream start or beyond the window, stored lengths must match their complement, symbols
     286/287 and distances 30/31 are errors, zlib headers need CM 8, a valid FCHECK and no
     preset dictionary, gzip headers need CM 8 and no reserved flag bits.
   - Inflate never allocates: the history window and the decode tables sit in the state.
     Output goes straight to the caller's buffer; the last 2^window_bits bytes of it are
     copied into the history at the end of each call (so any output size works, down to one
     byte), and matches reaching before this call's output read from the history.
   - Deflate keeps a window buffer (history + lookahead), hash heads and chain links as 16-bit
     positions (rebased when the window slides), and a block's symbols as 16-bit units
     (a literal is one unit, a match two). A block ends when the symbol buffer fills or on a
     flush; it is written as dynamic Huffman, fixed Huffman or stored, whichever is smallest
     (stored only while the block's bytes are still in the window). Block output goes straight
     to the caller's buffer, through a small pending buffer when that is short, and resumes
     where it stopped when the output space runs out.
   - Matches are at least 4 bytes (the hash covers 4 bytes), at most 258, never farther than
     2^window_bits. */

/* ---- little-endian loads/stores and bit helpers ---- */
TN__PRIVATE uint64_t tn__deflate_ld64(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}
TN__PRIVATE uint32_t tn__deflate_ld32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}
TN__PRIVATE void tn__deflate_st64(unsigned char *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}
/* Index of the lowest set bit (x != 0). */
TN__PRIVATE unsigned tn__deflate_ctz64(uint64_t x) {
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctzll(x);
#else
    unsigned n = 0;
    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
#endif
}
/* The low n bits of v in reverse order. */
TN__PRIVATE unsigned tn__deflate_rev(unsigned v, unsigned n) {
    unsigned r = 0;
    while (n--) {
        r = (r << 1) | (v & 1);
        v >>= 1;
    }
    return r;
}

/* ---- checksums ---- */
/* CRC-32 tables for slicing by 8: [k][n] is the CRC of byte n followed by k zero bytes (reflected
   polynomial 0xedb88320; generated once with a ten-line script, checked by the tests). */
static const uint32_t tn__deflate_crc_tab[8][256] = {
  {
    0x00000000,0x77073096,0xee0e612c,0x990951ba,0x076dc419,0x706af48f,0xe963a535,0x9e6495a3,
    0x0edb8832,0x79dcb8a4,0xe0d5e91e,0x97d2d988,0x09b64c2b,0x7eb17cbd,0xe7b82d07,0x90bf1d91,
    0x1db71064,0x6ab020f2,0xf3b97148,0x84be41de,0x1adad47d,0x6ddde4eb,0xf4d4b551,0x83d385c7,
    0x136c9856,0x646ba8c0,0xfd62f97a,0x8a65c9ec,0x14015c4f,0x63066cd9,0xfa0f3d63,0x8d080df5,
    0x3b6e20c8,0x4c69105e,0xd56041e4,0xa2677172,0x3c03e4d1,0x4b04d447,0xd20d85fd,0xa50ab56b,
    0x35b5a8fa,0x42b2986c,0xdbbbc9d6,0xacbcf940,0x32d86ce3,0x45df5c75,0xdcd60dcf,0xabd13d59,
    0x26d930ac,0x51de003a,0xc8d75180,0xbfd06116,0x21b4f4b5,0x56b3c423,0xcfba9599,0xb8bda50f,
    0x2802b89e,0x5f058808,0xc60cd9b2,0xb10be924,0x2f6f7c87,0x58684c11,0xc1611dab,0xb6662d3d,
    0x76dc4190,0x01db7106,0x98d220bc,0xefd5102a,0x71b18589,0x06b6b51f,0x9fbfe4a5,0xe8b8d433,
    0x7807c9a2,0x0f00f934,0x9609a88e,0xe10e9818,0x7f6a0dbb,0x086d3d2d,0x91646c97,0xe6635c01,
    0x6b6b51f4,0x1c6c6162,0x856530d8,0xf262004e,0x6c0695ed,0x1b01a57b,0x8208f4c1,0xf50fc457,
    0x65b0d9c6,0x12b7e950,0x8bbeb8ea,0xfcb9887c,0x62dd1ddf,0x15da2d49,0x8cd37cf3,0xfbd44c65,
    0x4db26158,0x3ab551ce,0xa3bc0074,0xd4bb30e2,0x4adfa541,0x3dd895d7,0xa4d1c46d,0xd3d6f4fb,
    0x4369e96a,0x346ed9fc,0xad678846,0xda60b8d0,0x44042d73,0x33031de5,0xaa0a4c5f,0xdd0d7cc9,
    0x5005713c,0x270241aa,0xbe0b1010,0xc90c2086,0x5768b525,0x206f85b3,0xb966d409,0xce61e49f,
    0x5edef90e,0x29d9c998,0xb0d09822,0xc7d7a8b4,0x59b33d17,0x2eb40d81,0xb7bd5c3b,0xc0ba6cad,
    0xedb88320,0x9abfb3b6,0x03b6e20c,0x74b1d29a,0xead54739,0x9dd277af,0x04db2615,0x73dc1683,
    0xe3630b12,0x94643b84,0x0d6d6a3e,0x7a6a5aa8,0xe40ecf0b,0x9309ff9d,0x0a00ae27,0x7d079eb1,
    0xf00f9344,0x8708a3d2,0x1e01f268,0x6906c2fe,0xf762575d,0x806567cb,0x196c3671,0x6e6b06e7,
    0xfed41b76,0x89d32be0,0x10da7a5a,0x67dd4acc,0xf9b9df6f,0x8ebeeff9,0x17b7be43,0x60b08ed5,
    0xd6d6a3e8,0xa1d1937e,0x38d8c2c4,0x4fdff252,0xd1bb67f1,0xa6bc5767,0x3fb506dd,0x48b2364b,
    0xd80d2bda,0xaf0a1b4c,0x36034af6,0x41047a60,0xdf60efc3,0xa867df55,0x316e8eef,0x4669be79,
    0xcb61b38c,0xbc66831a,0x256fd2a0,0x5268e236,0xcc0c7795,0xbb0b4703,0x220216b9,0x5505262f,
    0xc5ba3bbe,0xb2bd0b28,0x2bb45a92,0x5cb36a04,0xc2d7ffa7,0xb5d0cf31,0x2cd99e8b,0x5bdeae1d,
    0x9b64c2b0,0xec63f226,0x756aa39c,0x026d930a,0x9c0906a9,0xeb0e363f,0x72076785,0x05005713,
    0x95bf4a82,0xe2b87a14,0x7bb12bae,0x0cb61b38,0x92d28e9b,0xe5d5be0d,0x7cdcefb7,0x0bdbdf21,
    0x86d3d2d4,0xf1d4e242,0x68ddb3f8,0x1fda836e,0x81be16cd,0xf6b9265b,0x6fb077e1,0x18b74777,
    0x88085ae6,0xff0f6a70,0x66063bca,0x11010b5c,0x8f659eff,0xf862ae69,0x616bffd3,0x166ccf45,
    0xa00ae278,0xd70dd2ee,0x4e048354,0x3903b3c2,0xa7672661,0xd06016f7,0x4969474d,0x3e6e77db,
    0xaed16a4a,0xd9d65adc,0x40df0b66,0x37d83bf0,0xa9bcae53,0xdebb9ec5,0x47b2cf7f,0x30b5ffe9,
    0xbdbdf21c,0xcabac28a,0x53b39330,0x24b4a3a6,0xbad03605,0xcdd70693,0x54de5729,0x23d967bf,
    0xb3667a2e,0xc4614ab8,0x5d681b02,0x2a6f2b94,0xb40bbe37,0xc30c8ea1,0x5a05df1b,0x2d02ef8d,
  },
  {
    0x00000000,0x191b3141,0x32366282,0x2b2d53c3,0x646cc504,0x7d77f445,0x565aa786,0x4f4196c7,
    0xc8d98a08,0xd1c2bb49,0xfaefe88a,0xe3f4d9cb,0xacb54f0c,0xb5ae7e4d,0x9e832d8e,0x87981ccf,
    0x4ac21251,0x53d92310,0x78f470d3,0x61ef4192,0x2eaed755,0x37b5e614,0x1c98b5d7,0x05838496,
    0x821b9859,0x9b00a918,0xb02dfadb,0xa936cb9a,0xe6775d5d,0xff6c6c1c,0xd4413fdf,0xcd5a0e9e,
    0x958424a2,0x8c9f15e3,0xa7b24620,0xbea97761,0xf1e8e1a6,0xe8f3d0e7,0xc3de8324,0xdac5b265,
    0x5d5daeaa,0x44469feb,0x6f6bcc28,0x7670fd69,0x39316bae,0x202a5aef,0x0b07092c,0x121c386d,
    0xdf4636f3,0xc65d07b2,0xed705471,0xf46b6530,0xbb2af3f7,0xa231c2b6,0x891c9175,0x9007a034,
    0x179fbcfb,0x0e848dba,0x25a9de79,0x3cb2ef38,0x73f379ff,0x6ae848be,0x41c51b7d,0x58de2a3c,
    0xf0794f05,0xe9627e44,0xc24f2d87,0xdb541cc6,0x94158a01,0x8d0ebb40,0xa623e883,0xbf38d9c2,
    0x38a0c50d,0x21bbf44c,0x0a96a78f,0x138d96ce,0x5ccc0009,0x45d73148,0x6efa628b,0x77e153ca,
    0xbabb5d54,0xa3a06c15,0x888d3fd6,0x91960e97,0xded79850,0xc7cca911,0xece1fad2,0xf5facb93,
    0x7262d75c,0x6b79e61d,0x4054b5de,0x594f849f,0x160e1258,0x0f152319,0x243870da,0x3d23419b,
    0x65fd6ba7,0x7ce65ae6,0x57cb0925,0x4ed03864,0x0191aea3,0x188a9fe2,0x33a7cc21,0x2abcfd60,
    0xad24e1af,0xb43fd0ee,0x9f12832d,0x8609b26c,0xc94824ab,0xd05315ea,0xfb7e4629,0xe2657768,
    0x2f3f79f6,0x362448b7,0x1d091b74,0x04122a35,0x4b53bcf2,0x52488db3,0x7965de70,0x607eef31,
    0xe7e6f3fe,0xfefdc2bf,0xd5d0917c,0xcccba03d,0x838a36fa,0x9a9107bb,0xb1bc5478,0xa8a76539,
    0x3b83984b,0x2298a90a,0x09b5fac9,0x10aecb88,0x5fef5d4f,0x46f46c0e,0x6dd93fcd,0x74c20e8c,
    0xf35a1243,0xea412302,0xc16c70c1,0xd8774180,0x9736d747,0x8e2de606,0xa500b5c5,0xbc1b8484,
    0x71418a1a,0x685abb5b,0x4377e898,0x5a6cd9d9,0x152d4f1e,0x0c367e5f,0x271b2d9c,0x3e001cdd,
    0xb9980012,0xa0833153,0x8bae6290,0x92b553d1,0xddf4c516,0xc4eff457,0xefc2a794,0xf6d996d5,
    0xae07bce9,0xb71c8da8,0x9c31de6b,0x852aef2a,0xca6b79ed,0xd37048ac,0xf85d1b6f,0xe1462a2e,
    0x66de36e1,0x7fc507a0,0x54e85463,0x4df36522,0x02b2f3e5,0x1ba9c2a4,0x30849167,0x299fa026,
    0xe4c5aeb8,0xfdde9ff9,0xd6f3cc3a,0xcfe8fd7b,0x80a96bbc,0x99b25afd,0xb29f093e,0xab84387f,
    0x2c1c24b0,0x350715f1,0x1e2a4632,0x07317773,0x4870e1b4,0x516bd0f5,0x7a468336,0x635db277,
    0xcbfad74e,0xd2e1e60f,0xf9ccb5cc,0xe0d7848d,0xaf96124a,0xb68d230b,0x9da070c8,0x84bb4189,
    0x03235d46,0x1a386c07,0x31153fc4,0x280e0e85,0x674f9842,0x7e54a903,0x5579fac0,0x4c62cb81,
    0x8138c51f,0x9823f45e,0xb30ea79d,0xaa1596dc,0xe554001b,0xfc4f315a,0xd7626299,0xce7953d8,
    0x49e14f17,0x50fa7e56,0x7bd72d95,0x62cc1cd4,0x2d8d8a13,0x3496bb52,0x1fbbe891,0x06a0d9d0,
    0x5e7ef3ec,0x4765c2ad,0x6c48916e,0x7553a02f,0x3a1236e8,0x230907a9,0x0824546a,0x113f652b,
    0x96a779e4,0x8fbc48a5,0xa4911b66,0xbd8a2a27,0xf2cbbce0,0xebd08da1,0xc0fdde62,0xd9e6ef23,
    0x14bce1bd,0x0da7d0fc,0x268a833f,0x3f91b27e,0x70d024b9,0x69cb15f8,0x42e6463b,0x5bfd777a,
    0xdc656bb5,0xc57e5af4,0xee530937,0xf7483876,0xb809aeb1,0xa1129ff0,0x8a3fcc33,0x9324fd72,
  },
  {
    0x00000000,0x01c26a37,0x0384d46e,0x0246be59,0x0709a8dc,0x06cbc2eb,0x048d7cb2,0x054f1685,
    0x0e1351b8,0x0fd13b8f,0x0d9785d6,0x0c55efe1,0x091af964,0x08d89353,0x0a9e2d0a,0x0b5c473d,
    0x1c26a370,0x1de4c947,0x1fa2771e,0x1e601d29,0x1b2f0bac,0x1aed619b,0x18abdfc2,0x1969b5f5,
    0x1235f2c8,0x13f798ff,0x11b126a6,0x10734c91,0x153c5a14,0x14fe3023,0x16b88e7a,0x177ae44d,
    0x384d46e0,0x398f2cd7,0x3bc9928e,0x3a0bf8b9,0x3f44ee3c,0x3e86840b,0x3cc03a52,0x3d025065,
    0x365e1758,0x379c7d6f,0x35dac336,0x3418a901,0x3157bf84,0x3095d5b3,0x32d36bea,0x331101dd,
    0x246be590,0x25a98fa7,0x27ef31fe,0x262d5bc9,0x23624d4c,0x22a0277b,0x20e69922,0x2124f315,
    0x2a78b428,0x2bbade1f,0x29fc6046,0x283e0a71,0x2d711cf4,0x2cb376c3,0x2ef5c89a,0x2f37a2ad,
    0x709a8dc0,0x7158e7f7,0x731e59ae,0x72dc3399,0x7793251c,0x76514f2b,0x7417f172,0x75d59b45,
    0x7e89dc78,0x7f4bb64f,0x7d0d0816,0x7ccf6221,0x798074a4,0x78421e93,0x7a04a0ca,0x7bc6cafd,
    0x6cbc2eb0,0x6d7e4487,0x6f38fade,0x6efa90e9,0x6bb5866c,0x6a77ec5b,0x68315202,0x69f33835,
    0x62af7f08,0x636d153f,0x612bab66,0x60e9c151,0x65a6d7d4,0x6464bde3,0x662203ba,0x67e0698d,
    0x48d7cb20,0x4915a117,0x4b531f4e,0x4a917579,0x4fde63fc,0x4e1c09cb,0x4c5ab792,0x4d98dda5,
    0x46c49a98,0x4706f0af,0x45404ef6,0x448224c1,0x41cd3244,0x400f5873,0x4249e62a,0x438b8c1d,
    0x54f16850,0x55330267,0x5775bc3e,0x56b7d609,0x53f8c08c,0x523aaabb,0x507c14e2,0x51be7ed5,
    0x5ae239e8,0x5b2053df,0x5966ed86,0x58a487b1,0x5deb9134,0x5c29fb03,0x5e6f455a,0x5fad2f6d,
    0xe1351b80,0xe0f771b7,0xe2b1cfee,0xe373a5d9,0xe63cb35c,0xe7fed96b,0xe5b86732,0xe47a0d05,
    0xef264a38,0xeee4200f,0xeca29e56,0xed60f461,0xe82fe2e4,0xe9ed88d3,0xebab368a,0xea695cbd,
    0xfd13b8f0,0xfcd1d2c7,0xfe976c9e,0xff5506a9,0xfa1a102c,0xfbd87a1b,0xf99ec442,0xf85cae75,
    0xf300e948,0xf2c2837f,0xf0843d26,0xf1465711,0xf4094194,0xf5cb2ba3,0xf78d95fa,0xf64fffcd,
    0xd9785d60,0xd8ba3757,0xdafc890e,0xdb3ee339,0xde71f5bc,0xdfb39f8b,0xddf521d2,0xdc374be5,
    0xd76b0cd8,0xd6a966ef,0xd4efd8b6,0xd52db281,0xd062a404,0xd1a0ce33,0xd3e6706a,0xd2241a5d,
    0xc55efe10,0xc49c9427,0xc6da2a7e,0xc7184049,0xc25756cc,0xc3953cfb,0xc1d382a2,0xc011e895,
    0xcb4dafa8,0xca8fc59f,0xc8c97bc6,0xc90b11f1,0xcc440774,0xcd866d43,0xcfc0d31a,0xce02b92d,
    0x91af9640,0x906dfc77,0x922b422e,0x93e92819,0x96a63e9c,0x976454ab,0x9522eaf2,0x94e080c5,
    0x9fbcc7f8,0x9e7eadcf,0x9c381396,0x9dfa79a1,0x98b56f24,0x99770513,0x9b31bb4a,0x9af3d17d,
    0x8d893530,0x8c4b5f07,0x8e0de15e,0x8fcf8b69,0x8a809dec,0x8b42f7db,0x89044982,0x88c623b5,
    0x839a6488,0x82580ebf,0x801eb0e6,0x81dcdad1,0x8493cc54,0x8551a663,0x8717183a,0x86d5720d,
    0xa9e2d0a0,0xa820ba97,0xaa6604ce,0xaba46ef9,0xaeeb787c,0xaf29124b,0xad6fac12,0xacadc625,
    0xa7f18118,0xa633eb2f,0xa4755576,0xa5b73f41,0xa0f829c4,0xa13a43f3,0xa37cfdaa,0xa2be979d,
    0xb5c473d0,0xb40619e7,0xb640a7be,0xb782cd89,0xb2cddb0c,0xb30fb13b,0xb1490f62,0xb08b6555,
    0xbbd72268,0xba15485f,0xb853f606,0xb9919c31,0xbcde8ab4,0xbd1ce083,0xbf5a5eda,0xbe9834ed,
  },
  {
    0x00000000,0xb8bc6765,0xaa09c88b,0x12b5afee,0x8f629757,0x37def032,0x256b5fdc,0x9dd738b9,
    0xc5b428ef,0x7d084f8a,0x6fbde064,0xd7018701,0x4ad6bfb8,0xf26ad8dd,0xe0df7733,0x58631056,
    0x5019579f,0xe8a530fa,0xfa109f14,0x42acf871,0xdf7bc0c8,0x67c7a7ad,0x75720843,0xcdce6f26,
    0x95ad7f70,0x2d111815,0x3fa4b7fb,0x8718d09e,0x1acfe827,0xa2738f42,0xb0c620ac,0x087a47c9,
    0xa032af3e,0x188ec85b,0x0a3b67b5,0xb28700d0,0x2f503869,0x97ec5f0c,0x8559f0e2,0x3de59787,
    0x658687d1,0xdd3ae0b4,0xcf8f4f5a,0x7733283f,0xeae41086,0x525877e3,0x40edd80d,0xf851bf68,
    0xf02bf8a1,0x48979fc4,0x5a22302a,0xe29e574f,0x7f496ff6,0xc7f50893,0xd540a77d,0x6dfcc018,
    0x359fd04e,0x8d23b72b,0x9f9618c5,0x272a7fa0,0xbafd4719,0x0241207c,0x10f48f92,0xa848e8f7,
    0x9b14583d,0x23a83f58,0x311d90b6,0x89a1f7d3,0x1476cf6a,0xaccaa80f,0xbe7f07e1,0x06c36084,
    0x5ea070d2,0xe61c17b7,0xf4a9b859,0x4c15df3c,0xd1c2e785,0x697e80e0,0x7bcb2f0e,0xc377486b,
    0xcb0d0fa2,0x73b168c7,0x6104c729,0xd9b8a04c,0x446f98f5,0xfcd3ff90,0xee66507e,0x56da371b,
    0x0eb9274d,0xb6054028,0xa4b0efc6,0x1c0c88a3,0x81dbb01a,0x3967d77f,0x2bd27891,0x936e1ff4,
    0x3b26f703,0x839a9066,0x912f3f88,0x299358ed,0xb4446054,0x0cf80731,0x1e4da8df,0xa6f1cfba,
    0xfe92dfec,0x462eb889,0x549b1767,0xec277002,0x71f048bb,0xc94c2fde,0xdbf98030,0x6345e755,
    0x6b3fa09c,0xd383c7f9,0xc1366817,0x798a0f72,0xe45d37cb,0x5ce150ae,0x4e54ff40,0xf6e89825,
    0xae8b8873,0x1637ef16,0x048240f8,0xbc3e279d,0x21e91f24,0x99557841,0x8be0d7af,0x335cb0ca,
    0xed59b63b,0x55e5d15e,0x47507eb0,0xffec19d5,0x623b216c,0xda874609,0xc832e9e7,0x708e8e82,
    0x28ed9ed4,0x9051f9b1,0x82e4565f,0x3a58313a,0xa78f0983,0x1f336ee6,0x0d86c108,0xb53aa66d,
    0xbd40e1a4,0x05fc86c1,0x1749292f,0xaff54e4a,0x322276f3,0x8a9e1196,0x982bbe78,0x2097d91d,
    0x78f4c94b,0xc048ae2e,0xd2fd01c0,0x6a4166a5,0xf7965e1c,0x4f2a3979,0x5d9f9697,0xe523f1f2,
    0x4d6b1905,0xf5d77e60,0xe762d18e,0x5fdeb6eb,0xc2098e52,0x7ab5e937,0x680046d9,0xd0bc21bc,
    0x88df31ea,0x3063568f,0x22d6f961,0x9a6a9e04,0x07bda6bd,0xbf01c1d8,0xadb46e36,0x15080953,
    0x1d724e9a,0xa5ce29ff,0xb77b8611,0x0fc7e174,0x9210d9cd,0x2aacbea8,0x38191146,0x80a57623,
    0xd8c66675,0x607a0110,0x72cfaefe,0xca73c99b,0x57a4f122,0xef189647,0xfdad39a9,0x45115ecc,
    0x764dee06,0xcef18963,0xdc44268d,0x64f841e8,0xf92f7951,0x41931e34,0x5326b1da,0xeb9ad6bf,
    0xb3f9c6e9,0x0b45a18c,0x19f00e62,0xa14c6907,0x3c9b51be,0x842736db,0x96929935,0x2e2efe50,
    0x2654b999,0x9ee8defc,0x8c5d7112,0x34e11677,0xa9362ece,0x118a49ab,0x033fe645,0xbb838120,
    0xe3e09176,0x5b5cf613,0x49e959fd,0xf1553e98,0x6c820621,0xd43e6144,0xc68bceaa,0x7e37a9cf,
    0xd67f4138,0x6ec3265d,0x7c7689b3,0xc4caeed6,0x591dd66f,0xe1a1b10a,0xf3141ee4,0x4ba87981,
    0x13cb69d7,0xab770eb2,0xb9c2a15c,0x017ec639,0x9ca9fe80,0x241599e5,0x36a0360b,0x8e1c516e,
    0x866616a7,0x3eda71c2,0x2c6fde2c,0x94d3b949,0x090481f0,0xb1b8e695,0xa30d497b,0x1bb12e1e,
    0x43d23e48,0xfb6e592d,0xe9dbf6c3,0x516791a6,0xccb0a91f,0x740cce7a,0x66b96194,0xde0506f1,
  },
  {
    0x00000000,0x3d6029b0,0x7ac05360,0x47a07ad0,0xf580a6c0,0xc8e08f70,0x8f40f5a0,0xb220dc10,
    0x30704bc1,0x0d106271,0x4ab018a1,0x77d03111,0xc5f0ed01,0xf890c4b1,0xbf30be61,0x825097d1,
    0x60e09782,0x5d80be32,0x1a20c4e2,0x2740ed52,0x95603142,0xa80018f2,0xefa06222,0xd2c04b92,
    0x5090dc43,0x6df0f5f3,0x2a508f23,0x1730a693,0xa5107a83,0x98705333,0xdfd029e3,0xe2b00053,
    0xc1c12f04,0xfca106b4,0xbb017c64,0x866155d4,0x344189c4,0x0921a074,0x4e81daa4,0x73e1f314,
    0xf1b164c5,0xccd14d75,0x8b7137a5,0xb6111e15,0x0431c205,0x3951ebb5,0x7ef19165,0x4391b8d5,
    0xa121b886,0x9c419136,0xdbe1ebe6,0xe681c256,0x54a11e46,0x69c137f6,0x2e614d26,0x13016496,
    0x9151f347,0xac31daf7,0xeb91a027,0xd6f18997,0x64d15587,0x59b17c37,0x1e1106e7,0x23712f57,
    0x58f35849,0x659371f9,0x22330b29,0x1f532299,0xad73fe89,0x9013d739,0xd7b3ade9,0xead38459,
    0x68831388,0x55e33a38,0x124340e8,0x2f236958,0x9d03b548,0xa0639cf8,0xe7c3e628,0xdaa3cf98,
    0x3813cfcb,0x0573e67b,0x42d39cab,0x7fb3b51b,0xcd93690b,0xf0f340bb,0xb7533a6b,0x8a3313db,
    0x0863840a,0x3503adba,0x72a3d76a,0x4fc3feda,0xfde322ca,0xc0830b7a,0x872371aa,0xba43581a,
    0x9932774d,0xa4525efd,0xe3f2242d,0xde920d9d,0x6cb2d18d,0x51d2f83d,0x167282ed,0x2b12ab5d,
    0xa9423c8c,0x9422153c,0xd3826fec,0xeee2465c,0x5cc29a4c,0x61a2b3fc,0x2602c92c,0x1b62e09c,
    0xf9d2e0cf,0xc4b2c97f,0x8312b3af,0xbe729a1f,0x0c52460f,0x31326fbf,0x7692156f,0x4bf23cdf,
    0xc9a2ab0e,0xf4c282be,0xb362f86e,0x8e02d1de,0x3c220dce,0x0142247e,0x46e25eae,0x7b82771e,
    0xb1e6b092,0x8c869922,0xcb26e3f2,0xf646ca42,0x44661652,0x79063fe2,0x3ea64532,0x03c66c82,
    0x8196fb53,0xbcf6d2e3,0xfb56a833,0xc6368183,0x74165d93,0x49767423,0x0ed60ef3,0x33b62743,
    0xd1062710,0xec660ea0,0xabc67470,0x96a65dc0,0x248681d0,0x19e6a860,0x5e46d2b0,0x6326fb00,
    0xe1766cd1,0xdc164561,0x9bb63fb1,0xa6d61601,0x14f6ca11,0x2996e3a1,0x6e369971,0x5356b0c1,
    0x70279f96,0x4d47b626,0x0ae7ccf6,0x3787e546,0x85a73956,0xb8c710e6,0xff676a36,0xc2074386,
    0x4057d457,0x7d37fde7,0x3a978737,0x07f7ae87,0xb5d77297,0x88b75b27,0xcf1721f7,0xf2770847,
    0x10c70814,0x2da721a4,0x6a075b74,0x576772c4,0xe547aed4,0xd8278764,0x9f87fdb4,0xa2e7d404,
    0x20b743d5,0x1dd76a65,0x5a7710b5,0x67173905,0xd537e515,0xe857cca5,0xaff7b675,0x92979fc5,
    0xe915e8db,0xd475c16b,0x93d5bbbb,0xaeb5920b,0x1c954e1b,0x21f567ab,0x66551d7b,0x5b3534cb,
    0xd965a31a,0xe4058aaa,0xa3a5f07a,0x9ec5d9ca,0x2ce505da,0x11852c6a,0x562556ba,0x6b457f0a,
    0x89f57f59,0xb49556e9,0xf3352c39,0xce550589,0x7c75d999,0x4115f029,0x06b58af9,0x3bd5a349,
    0xb9853498,0x84e51d28,0xc34567f8,0xfe254e48,0x4c059258,0x7165bbe8,0x36c5c138,0x0ba5e888,
    0x28d4c7df,0x15b4ee6f,0x521494bf,0x6f74bd0f,0xdd54611f,0xe03448af,0xa794327f,0x9af41bcf,
    0x18a48c1e,0x25c4a5ae,0x6264df7e,0x5f04f6ce,0xed242ade,0xd044036e,0x97e479be,0xaa84500e,
    0x4834505d,0x755479ed,0x32f4033d,0x0f942a8d,0xbdb4f69d,0x80d4df2d,0xc774a5fd,0xfa148c4d,
    0x78441b9c,0x4524322c,0x028448fc,0x3fe4614c,0x8dc4bd5c,0xb0a494ec,0xf704ee3c,0xca64c78c,
  },
  {
    0x00000000,0xcb5cd3a5,0x4dc8a10b,0x869472ae,0x9b914216,0x50cd91b3,0xd659e31d,0x1d0530b8,
    0xec53826d,0x270f51c8,0xa19b2366,0x6ac7f0c3,0x77c2c07b,0xbc9e13de,0x3a0a6170,0xf156b2d5,
    0x03d6029b,0xc88ad13e,0x4e1ea390,0x85427035,0x9847408d,0x531b9328,0xd58fe186,0x1ed33223,
    0xef8580f6,0x24d95353,0xa24d21fd,0x6911f258,0x7414c2e0,0xbf481145,0x39dc63eb,0xf280b04e,
    0x07ac0536,0xccf0d693,0x4a64a43d,0x81387798,0x9c3d4720,0x57619485,0xd1f5e62b,0x1aa9358e,
    0xebff875b,0x20a354fe,0xa6372650,0x6d6bf5f5,0x706ec54d,0xbb3216e8,0x3da66446,0xf6fab7e3,
    0x047a07ad,0xcf26d408,0x49b2a6a6,0x82ee7503,0x9feb45bb,0x54b7961e,0xd223e4b0,0x197f3715,
    0xe82985c0,0x23755665,0xa5e124cb,0x6ebdf76e,0x73b8c7d6,0xb8e41473,0x3e7066dd,0xf52cb578,
    0x0f580a6c,0xc404d9c9,0x4290ab67,0x89cc78c2,0x94c9487a,0x5f959bdf,0xd901e971,0x125d3ad4,
    0xe30b8801,0x28575ba4,0xaec3290a,0x659ffaaf,0x789aca17,0xb3c619b2,0x35526b1c,0xfe0eb8b9,
    0x0c8e08f7,0xc7d2db52,0x4146a9fc,0x8a1a7a59,0x971f4ae1,0x5c439944,0xdad7ebea,0x118b384f,
    0xe0dd8a9a,0x2b81593f,0xad152b91,0x6649f834,0x7b4cc88c,0xb0101b29,0x36846987,0xfdd8ba22,
    0x08f40f5a,0xc3a8dcff,0x453cae51,0x8e607df4,0x93654d4c,0x58399ee9,0xdeadec47,0x15f13fe2,
    0xe4a78d37,0x2ffb5e92,0xa96f2c3c,0x6233ff99,0x7f36cf21,0xb46a1c84,0x32fe6e2a,0xf9a2bd8f,
    0x0b220dc1,0xc07ede64,0x46eaacca,0x8db67f6f,0x90b34fd7,0x5bef9c72,0xdd7beedc,0x16273d79,
    0xe7718fac,0x2c2d5c09,0xaab92ea7,0x61e5fd02,0x7ce0cdba,0xb7bc1e1f,0x31286cb1,0xfa74bf14,
    0x1eb014d8,0xd5ecc77d,0x5378b5d3,0x98246676,0x852156ce,0x4e7d856b,0xc8e9f7c5,0x03b52460,
    0xf2e396b5,0x39bf4510,0xbf2b37be,0x7477e41b,0x6972d4a3,0xa22e0706,0x24ba75a8,0xefe6a60d,
    0x1d661643,0xd63ac5e6,0x50aeb748,0x9bf264ed,0x86f75455,0x4dab87f0,0xcb3ff55e,0x006326fb,
    0xf135942e,0x3a69478b,0xbcfd3525,0x77a1e680,0x6aa4d638,0xa1f8059d,0x276c7733,0xec30a496,
    0x191c11ee,0xd240c24b,0x54d4b0e5,0x9f886340,0x828d53f8,0x49d1805d,0xcf45f2f3,0x04192156,
    0xf54f9383,0x3e134026,0xb8873288,0x73dbe12d,0x6eded195,0xa5820230,0x2316709e,0xe84aa33b,
    0x1aca1375,0xd196c0d0,0x5702b27e,0x9c5e61db,0x815b5163,0x4a0782c6,0xcc93f068,0x07cf23cd,
    0xf6999118,0x3dc542bd,0xbb513013,0x700de3b6,0x6d08d30e,0xa65400ab,0x20c07205,0xeb9ca1a0,
    0x11e81eb4,0xdab4cd11,0x5c20bfbf,0x977c6c1a,0x8a795ca2,0x41258f07,0xc7b1fda9,0x0ced2e0c,
    0xfdbb9cd9,0x36e74f7c,0xb0733dd2,0x7b2fee77,0x662adecf,0xad760d6a,0x2be27fc4,0xe0beac61,
    0x123e1c2f,0xd962cf8a,0x5ff6bd24,0x94aa6e81,0x89af5e39,0x42f38d9c,0xc467ff32,0x0f3b2c97,
    0xfe6d9e42,0x35314de7,0xb3a53f49,0x78f9ecec,0x65fcdc54,0xaea00ff1,0x28347d5f,0xe368aefa,
    0x16441b82,0xdd18c827,0x5b8cba89,0x90d0692c,0x8dd55994,0x46898a31,0xc01df89f,0x0b412b3a,
    0xfa1799ef,0x314b4a4a,0xb7df38e4,0x7c83eb41,0x6186dbf9,0xaada085c,0x2c4e7af2,0xe712a957,
    0x15921919,0xdececabc,0x585ab812,0x93066bb7,0x8e035b0f,0x455f88aa,0xc3cbfa04,0x089729a1,
    0xf9c19b74,0x329d48d1,0xb4093a7f,0x7f55e9da,0x6250d962,0xa90c0ac7,0x2f987869,0xe4c4abcc,
  },
  {
    0x00000000,0xa6770bb4,0x979f1129,0x31e81a9d,0xf44f2413,0x52382fa7,0x63d0353a,0xc5a73e8e,
    0x33ef4e67,0x959845d3,0xa4705f4e,0x020754fa,0xc7a06a74,0x61d761c0,0x503f7b5d,0xf64870e9,
    0x67de9cce,0xc1a9977a,0xf0418de7,0x56368653,0x9391b8dd,0x35e6b369,0x040ea9f4,0xa279a240,
    0x5431d2a9,0xf246d91d,0xc3aec380,0x65d9c834,0xa07ef6ba,0x0609fd0e,0x37e1e793,0x9196ec27,
    0xcfbd399c,0x69ca3228,0x582228b5,0xfe552301,0x3bf21d8f,0x9d85163b,0xac6d0ca6,0x0a1a0712,
    0xfc5277fb,0x5a257c4f,0x6bcd66d2,0xcdba6d66,0x081d53e8,0xae6a585c,0x9f8242c1,0x39f54975,
    0xa863a552,0x0e14aee6,0x3ffcb47b,0x998bbfcf,0x5c2c8141,0xfa5b8af5,0xcbb39068,0x6dc49bdc,
    0x9b8ceb35,0x3dfbe081,0x0c13fa1c,0xaa64f1a8,0x6fc3cf26,0xc9b4c492,0xf85cde0f,0x5e2bd5bb,
    0x440b7579,0xe27c7ecd,0xd3946450,0x75e36fe4,0xb044516a,0x16335ade,0x27db4043,0x81ac4bf7,
    0x77e43b1e,0xd19330aa,0xe07b2a37,0x460c2183,0x83ab1f0d,0x25dc14b9,0x14340e24,0xb2430590,
    0x23d5e9b7,0x85a2e203,0xb44af89e,0x123df32a,0xd79acda4,0x71edc610,0x4005dc8d,0xe672d739,
    0x103aa7d0,0xb64dac64,0x87a5b6f9,0x21d2bd4d,0xe47583c3,0x42028877,0x73ea92ea,0xd59d995e,
    0x8bb64ce5,0x2dc14751,0x1c295dcc,0xba5e5678,0x7ff968f6,0xd98e6342,0xe86679df,0x4e11726b,
    0xb8590282,0x1e2e0936,0x2fc613ab,0x89b1181f,0x4c162691,0xea612d25,0xdb8937b8,0x7dfe3c0c,
    0xec68d02b,0x4a1fdb9f,0x7bf7c102,0xdd80cab6,0x1827f438,0xbe50ff8c,0x8fb8e511,0x29cfeea5,
    0xdf879e4c,0x79f095f8,0x48188f65,0xee6f84d1,0x2bc8ba5f,0x8dbfb1eb,0xbc57ab76,0x1a20a0c2,
    0x8816eaf2,0x2e61e146,0x1f89fbdb,0xb9fef06f,0x7c59cee1,0xda2ec555,0xebc6dfc8,0x4db1d47c,
    0xbbf9a495,0x1d8eaf21,0x2c66b5bc,0x8a11be08,0x4fb68086,0xe9c18b32,0xd82991af,0x7e5e9a1b,
    0xefc8763c,0x49bf7d88,0x78576715,0xde206ca1,0x1b87522f,0xbdf0599b,0x8c184306,0x2a6f48b2,
    0xdc27385b,0x7a5033ef,0x4bb82972,0xedcf22c6,0x28681c48,0x8e1f17fc,0xbff70d61,0x198006d5,
    0x47abd36e,0xe1dcd8da,0xd034c247,0x7643c9f3,0xb3e4f77d,0x1593fcc9,0x247be654,0x820cede0,
    0x74449d09,0xd23396bd,0xe3db8c20,0x45ac8794,0x800bb91a,0x267cb2ae,0x1794a833,0xb1e3a387,
    0x20754fa0,0x86024414,0xb7ea5e89,0x119d553d,0xd43a6bb3,0x724d6007,0x43a57a9a,0xe5d2712e,
    0x139a01c7,0xb5ed0a73,0x840510ee,0x22721b5a,0xe7d525d4,0x41a22e60,0x704a34fd,0xd63d3f49,
    0xcc1d9f8b,0x6a6a943f,0x5b828ea2,0xfdf58516,0x3852bb98,0x9e25b02c,0xafcdaab1,0x09baa105,
    0xfff2d1ec,0x5985da58,0x686dc0c5,0xce1acb71,0x0bbdf5ff,0xadcafe4b,0x9c22e4d6,0x3a55ef62,
    0xabc30345,0x0db408f1,0x3c5c126c,0x9a2b19d8,0x5f8c2756,0xf9fb2ce2,0xc813367f,0x6e643dcb,
    0x982c4d22,0x3e5b4696,0x0fb35c0b,0xa9c457bf,0x6c636931,0xca146285,0xfbfc7818,0x5d8b73ac,
    0x03a0a617,0xa5d7ada3,0x943fb73e,0x3248bc8a,0xf7ef8204,0x519889b0,0x6070932d,0xc6079899,
    0x304fe870,0x9638e3c4,0xa7d0f959,0x01a7f2ed,0xc400cc63,0x6277c7d7,0x539fdd4a,0xf5e8d6fe,
    0x647e3ad9,0xc209316d,0xf3e12bf0,0x55962044,0x90311eca,0x3646157e,0x07ae0fe3,0xa1d90457,
    0x579174be,0xf1e67f0a,0xc00e6597,0x66796e23,0xa3de50ad,0x05a95b19,0x34414184,0x92364a30,
  },
  {
    0x00000000,0xccaa009e,0x4225077d,0x8e8f07e3,0x844a0efa,0x48e00e64,0xc66f0987,0x0ac50919,
    0xd3e51bb5,0x1f4f1b2b,0x91c01cc8,0x5d6a1c56,0x57af154f,0x9b0515d1,0x158a1232,0xd92012ac,
    0x7cbb312b,0xb01131b5,0x3e9e3656,0xf23436c8,0xf8f13fd1,0x345b3f4f,0xbad438ac,0x767e3832,
    0xaf5e2a9e,0x63f42a00,0xed7b2de3,0x21d12d7d,0x2b142464,0xe7be24fa,0x69312319,0xa59b2387,
    0xf9766256,0x35dc62c8,0xbb53652b,0x77f965b5,0x7d3c6cac,0xb1966c32,0x3f196bd1,0xf3b36b4f,
    0x2a9379e3,0xe639797d,0x68b67e9e,0xa41c7e00,0xaed97719,0x62737787,0xecfc7064,0x205670fa,
    0x85cd537d,0x496753e3,0xc7e85400,0x0b42549e,0x01875d87,0xcd2d5d19,0x43a25afa,0x8f085a64,
    0x562848c8,0x9a824856,0x140d4fb5,0xd8a74f2b,0xd2624632,0x1ec846ac,0x9047414f,0x5ced41d1,
    0x299dc2ed,0xe537c273,0x6bb8c590,0xa712c50e,0xadd7cc17,0x617dcc89,0xeff2cb6a,0x2358cbf4,
    0xfa78d958,0x36d2d9c6,0xb85dde25,0x74f7debb,0x7e32d7a2,0xb298d73c,0x3c17d0df,0xf0bdd041,
    0x5526f3c6,0x998cf358,0x1703f4bb,0xdba9f425,0xd16cfd3c,0x1dc6fda2,0x9349fa41,0x5fe3fadf,
    0x86c3e873,0x4a69e8ed,0xc4e6ef0e,0x084cef90,0x0289e689,0xce23e617,0x40ace1f4,0x8c06e16a,
    0xd0eba0bb,0x1c41a025,0x92cea7c6,0x5e64a758,0x54a1ae41,0x980baedf,0x1684a93c,0xda2ea9a2,
    0x030ebb0e,0xcfa4bb90,0x412bbc73,0x8d81bced,0x8744b5f4,0x4beeb56a,0xc561b289,0x09cbb217,
    0xac509190,0x60fa910e,0xee7596ed,0x22df9673,0x281a9f6a,0xe4b09ff4,0x6a3f9817,0xa6959889,
    0x7fb58a25,0xb31f8abb,0x3d908d58,0xf13a8dc6,0xfbff84df,0x37558441,0xb9da83a2,0x7570833c,
    0x533b85da,0x9f918544,0x111e82a7,0xddb48239,0xd7718b20,0x1bdb8bbe,0x95548c5d,0x59fe8cc3,
    0x80de9e6f,0x4c749ef1,0xc2fb9912,0x0e51998c,0x04949095,0xc83e900b,0x46b197e8,0x8a1b9776,
    0x2f80b4f1,0xe32ab46f,0x6da5b38c,0xa10fb312,0xabcaba0b,0x6760ba95,0xe9efbd76,0x2545bde8,
    0xfc65af44,0x30cfafda,0xbe40a839,0x72eaa8a7,0x782fa1be,0xb485a120,0x3a0aa6c3,0xf6a0a65d,
    0xaa4de78c,0x66e7e712,0xe868e0f1,0x24c2e06f,0x2e07e976,0xe2ade9e8,0x6c22ee0b,0xa088ee95,
    0x79a8fc39,0xb502fca7,0x3b8dfb44,0xf727fbda,0xfde2f2c3,0x3148f25d,0xbfc7f5be,0x736df520,
    0xd6f6d6a7,0x1a5cd639,0x94d3d1da,0x5879d144,0x52bcd85d,0x9e16d8c3,0x1099df20,0xdc33dfbe,
    0x0513cd12,0xc9b9cd8c,0x4736ca6f,0x8b9ccaf1,0x8159c3e8,0x4df3c376,0xc37cc495,0x0fd6c40b,
    0x7aa64737,0xb60c47a9,0x3883404a,0xf42940d4,0xfeec49cd,0x32464953,0xbcc94eb0,0x70634e2e,
    0xa9435c82,0x65e95c1c,0xeb665bff,0x27cc5b61,0x2d095278,0xe1a352e6,0x6f2c5505,0xa386559b,
    0x061d761c,0xcab77682,0x44387161,0x889271ff,0x825778e6,0x4efd7878,0xc0727f9b,0x0cd87f05,
    0xd5f86da9,0x19526d37,0x97dd6ad4,0x5b776a4a,0x51b26353,0x9d1863cd,0x1397642e,0xdf3d64b0,
    0x83d02561,0x4f7a25ff,0xc1f5221c,0x0d5f2282,0x079a2b9b,0xcb302b05,0x45bf2ce6,0x89152c78,
    0x50353ed4,0x9c9f3e4a,0x121039a9,0xdeba3937,0xd47f302e,0x18d530b0,0x965a3753,0x5af037cd,
    0xff6b144a,0x33c114d4,0xbd4e1337,0x71e413a9,0x7b211ab0,0xb78b1a2e,0x39041dcd,0xf5ae1d53,
    0x2c8e0fff,0xe0240f61,0x6eab0882,0xa201081c,0xa8c40105,0x646e019b,0xeae10678,0x264b06e6,
  },
};

TN_API uint32_t tn_crc32(uint32_t crc, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    const uint32_t(*t)[256] = tn__deflate_crc_tab;
    uint32_t c = ~crc;
    while (n >= 8) {
        uint32_t a = tn__deflate_ld32(p) ^ c, b = tn__deflate_ld32(p + 4);
        c = t[7][a & 0xff] ^ t[6][(a >> 8) & 0xff] ^ t[5][(a >> 16) & 0xff] ^ t[4][a >> 24] ^
            t[3][b & 0xff] ^ t[2][(b >> 8) & 0xff] ^ t[1][(b >> 16) & 0xff] ^ t[0][b >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ t[0][(c ^ *p++) & 0xff];
    return ~c;
}

/* Adler-32 with the modulo deferred: 5552 bytes is the most that cannot overflow 32 bits. */
TN_API uint32_t tn_adler32(uint32_t adler, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    uint32_t a = adler & 0xffff, b = adler >> 16;
#if TN__HAVE_SSE2
    /* 16 bytes a step: a gains the byte sum (psadbw); b gains 16 * a-before-the-step (summed
       in ps) plus the bytes weighted 16..1 (pmaddwd). At most 5552 bytes between reductions. */
    while (n >= 16) {
        const __m128i zero = _mm_setzero_si128();
        const __m128i w_first = _mm_set_epi16(9, 10, 11, 12, 13, 14, 15, 16);
        const __m128i w_last = _mm_set_epi16(1, 2, 3, 4, 5, 6, 7, 8);
        __m128i vs1 = zero, vs2 = zero, vps = zero;
        size_t steps = n / 16 > 347 ? 347 : n / 16;
        uint32_t t[4];
        uint64_t bb = b + (uint64_t)a * (steps * 16);
        n -= steps * 16;
        while (steps--) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            vps = _mm_add_epi32(vps, vs1);
            vs1 = _mm_add_epi32(vs1, _mm_sad_epu8(v, zero));
            vs2 = _mm_add_epi32(vs2, _mm_madd_epi16(_mm_unpacklo_epi8(v, zero), w_first));
            vs2 = _mm_add_epi32(vs2, _mm_madd_epi16(_mm_unpackhi_epi8(v, zero), w_last));
            p += 16;
        }
        _mm_storeu_si128((__m128i *)(void *)t, vps);
        bb += 16 * ((uint64_t)t[0] + t[1] + t[2] + t[3]);
        _mm_storeu_si128((__m128i *)(void *)t, vs2);
        bb += (uint64_t)t[0] + t[1] + t[2] + t[3];
        _mm_storeu_si128((__m128i *)(void *)t, vs1);
        a = (uint32_t)(((uint64_t)a + t[0] + t[1] + t[2] + t[3]) % 65521u);
        b = (uint32_t)(bb % 65521u);
    }
#endif
    while (n) {
        size_t k = n < 5552 ? n : 5552;
        n -= k;
        while (k >= 8) {
            a += p[0]; b += a; a += p[1]; b += a; a += p[2]; b += a; a += p[3]; b += a;
            a += p[4]; b += a; a += p[5]; b += a; a += p[6]; b += a; a += p[7]; b += a;
            p += 8;
            k -= 8;
        }
        while (k--) {
            a += *p++;
            b += a;
        }
        a %= 65521u;
        b %= 65521u;
    }
    return (b << 16) | a;
}

/* ---- the DEFLATE alphabet (RFC 1951 3.2.5) ---- */
static const uint16_t tn__deflate_len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                                  31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t tn__deflate_len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                  2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const uint16_t tn__deflate_dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                                   33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                                   1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const uint8_t tn__deflate_dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                                   6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
/* the order code length code lengths are sent in (3.2.7) */
static const uint8_t tn__deflate_clen_order[19] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

/* ===================================== inflate ===================================== */

/* Decode tables: a primary table indexed by the next LBITS (DBITS) input bits, with
   subtables for longer codes. An entry is one 32-bit word:
     bits 0-3   code length in bits (for a subtable pointer: the primary bits)
     bits 4-7   extra bits that follow (length/distance), or the subtable's index bits
     bits 8-11  flags: literal, end of block, subtable pointer, invalid
     bits 16-31 literal byte, length or distance base, subtable offset, or precode symbol
   Sizes: a subtable of s index bits needs at least s+1 codes of a complete code, so 288
   codes need at most 2^10 + 48 * 2^5 entries and 30 codes at most 2^8 + 4 * 2^7. */
#define TN__INF_LBITS 10
#define TN__INF_DBITS 8
#define TN__INF_LSIZE 2560
#define TN__INF_DSIZE 768
#define TN__INF_LIT 0x100u
#define TN__INF_EOB 0x200u
#define TN__INF_SUB 0x400u
#define TN__INF_BAD 0x800u

enum {
    TN__INF_HEAD, TN__INF_GZ_FIXED, TN__INF_GZ_XLEN, TN__INF_GZ_EXTRA, TN__INF_GZ_NAME, TN__INF_GZ_COMMENT,
    TN__INF_GZ_HCRC, TN__INF_BLOCK, TN__INF_STORED_LEN, TN__INF_STORED, TN__INF_TABLE, TN__INF_PRECODE,
    TN__INF_LENS, TN__INF_DECODE, TN__INF_LEN_EXTRA, TN__INF_DIST, TN__INF_DIST_EXTRA, TN__INF_COPY,
    TN__INF_TRAILER, TN__INF_END, TN__INF_ERROR
};

struct tn_inflater {
    uint64_t bitbuf;          /* input bits, low bits first; bits above bitcnt are 0 or the next input */
    uint64_t total_out;       /* decoded bytes of this stream */
    uint64_t max_out;         /* cap on total_out */
    unsigned char *win;       /* history: the last whave (<= wsize) output bytes, ring ending at wnext */
    uint32_t wsize, whave, wnext;
    uint32_t check;           /* running Adler-32 (zlib) or CRC-32 (gzip) of the output */
    uint32_t hcrc;            /* CRC-32 of the gzip header so far */
    uint32_t len, dist;       /* stored bytes left; match length and distance */
    unsigned bitcnt;
    unsigned extra;           /* extra bits still to read for len or dist */
    unsigned gzflags, gzcount;
    unsigned hlit, hdist, hclen, nlens;
    int mode, format, cfg_format, wbits, last, fixed_ready, err;
    const char *msg;
    void *mem;                /* allocation to free (tn_inflater_new), else NULL */
    tn_allocator alloc;
    unsigned char lens[320];  /* code lengths of the current dynamic block */
    uint32_t pre[128];        /* code length code, 7 bits direct */
    uint32_t lt[TN__INF_LSIZE];
    uint32_t dt[TN__INF_DSIZE];
};

/* The table entry (without the code length) for a symbol. kind: 0 literal/length, 1 distance,
   2 code length code. */
TN__PRIVATE uint32_t tn__inf_sym_entry(int kind, unsigned sym) {
    if (kind == 2) return (uint32_t)sym << 16;
    if (kind == 1) {
        if (sym >= 30) return TN__INF_BAD;
        return (uint32_t)tn__deflate_dist_base[sym] << 16 | (uint32_t)tn__deflate_dist_extra[sym] << 4;
    }
    if (sym < 256) return TN__INF_LIT | (uint32_t)sym << 16;
    if (sym == 256) return TN__INF_EOB;
    if (sym >= 286) return TN__INF_BAD;
    return (uint32_t)tn__deflate_len_base[sym - 257] << 16 | (uint32_t)tn__deflate_len_extra[sym - 257] << 4;
}

/* The next canonical code after `code` (bit-reversed, len bits). */
TN__PRIVATE unsigned tn__inf_next(unsigned code, unsigned len) {
    unsigned bit = 1u << (len - 1);
    while (code & bit) bit >>= 1;
    return bit ? (code & (bit - 1)) | bit : 0;
}

/* Build a decode table for n code lengths. Returns NULL or what is wrong with the code. */
TN__PRIVATE const char *tn__inf_build(uint32_t *table, unsigned tb, unsigned cap, const unsigned char *lens,
                                      unsigned n, int kind) {
    unsigned count[16], offs[16], cnt[16], i, len, max = 0, size = 1u << tb, code = 0, idx = 0;
    unsigned next_free = size, cur = ~0u, sub = 0, sb = 0;
    uint16_t sorted[320];
    int left = 1;
    memset(count, 0, sizeof count);
    for (i = 0; i < n; i++) count[lens[i]]++;
    count[0] = 0;
    for (len = 1; len <= 15; len++) {
        left = 2 * left - (int)count[len];
        if (left < 0) return "over-subscribed Huffman code";
        if (count[len]) max = len;
    }
    /* incomplete: only no code at all or one one-bit code (zlib's rule) */
    if (left > 0 && (kind == 2 || max > 1)) return "incomplete Huffman code";
    offs[1] = 0;
    for (len = 1; len < 15; len++) offs[len + 1] = offs[len] + count[len];
    for (i = 0; i < n; i++)
        if (lens[i]) sorted[offs[lens[i]]++] = (uint16_t)i;
    if (left > 0)
        for (i = 0; i < size; i++) table[i] = TN__INF_BAD | 1u;
    for (len = 1; len <= max && len <= tb; len++) {
        for (i = 0; i < count[len]; i++) {
            uint32_t e = tn__inf_sym_entry(kind, sorted[idx++]) | len;
            unsigned j;
            for (j = code; j < size; j += 1u << len) table[j] = e;
            code = tn__inf_next(code, len);
        }
    }
    memcpy(cnt, count, sizeof cnt);
    for (len = tb + 1; len <= max; len++) {
        for (i = 0; i < count[len]; i++) {
            unsigned prefix = code & (size - 1), j;
            uint32_t e = tn__inf_sym_entry(kind, sorted[idx++]) | len;
            if (prefix != cur) {   /* a new subtable: as wide as the codes under this prefix need */
                int l;
                sb = len - tb;
                l = 1 << sb;
                for (;;) {
                    l -= (int)cnt[tb + sb];
                    if (l <= 0 || tb + sb >= max) break;
                    sb++;
                    l <<= 1;
                }
                if (next_free + (1u << sb) > cap) return "Huffman table overflow";
                cur = prefix;
                sub = next_free;
                next_free += 1u << sb;
                table[prefix] = TN__INF_SUB | (uint32_t)sub << 16 | sb << 4 | tb;
            }
            for (j = code >> tb; j < (1u << sb); j += 1u << (len - tb)) table[sub + j] = e;
            cnt[len]--;
            code = tn__inf_next(code, len);
        }
    }
    return NULL;
}

TN__PRIVATE void tn__inf_build_fixed(tn_inflater *st) {
    unsigned char l[288];
    memset(l, 8, 144);
    memset(l + 144, 9, 112);
    memset(l + 256, 7, 24);
    memset(l + 280, 8, 8);
    tn__inf_build(st->lt, TN__INF_LBITS, TN__INF_LSIZE, l, 288, 0);
    memset(l, 5, 32);
    tn__inf_build(st->dt, TN__INF_DBITS, TN__INF_DSIZE, l, 32, 1);
    st->fixed_ready = 1;
}

/* Copy a match of n bytes at distance dist to out, when it may start in the history window
   (before out_start, this call's first output byte). The caller checked the distance. */
TN__PRIVATE void tn__inf_copy_slow(const tn_inflater *st, const unsigned char *out_start, unsigned char *out,
                                   uint32_t dist, size_t n) {
    size_t here = (size_t)(out - out_start);
    const unsigned char *src;
    if (dist > here) {
        uint32_t back = dist - (uint32_t)here, mask = st->wsize - 1, pos = (st->wnext - back) & mask;
        while (n && back) {
            size_t k = n;
            if (k > back) k = back;
            if (k > st->wsize - pos) k = st->wsize - pos;
            memcpy(out, st->win + pos, k);
            out += k;
            n -= k;
            back -= (uint32_t)k;
            pos = (pos + (uint32_t)k) & mask;
        }
    }
    src = out - dist;
    while (n--) *out++ = *src++;
}

/* Append this call's output to the history ring. */
TN__PRIVATE void tn__inf_window(tn_inflater *st, const unsigned char *p, size_t n) {
    if (n >= st->wsize) {
        memcpy(st->win, p + n - st->wsize, st->wsize);
        st->wnext = 0;
        st->whave = st->wsize;
        return;
    }
    while (n) {
        size_t k = st->wsize - st->wnext;
        if (k > n) k = n;
        memcpy(st->win + st->wnext, p, k);
        p += k;
        n -= k;
        st->wnext = (st->wnext + (uint32_t)k) & (st->wsize - 1);
        st->whave = st->whave + (uint32_t)k > st->wsize ? st->wsize : st->whave + (uint32_t)k;
    }
}

TN__PRIVATE int tn__inf_resolve(const tn_inflate_opts *o, tn_inflate_opts *r) {
    tn_inflate_opts z;
    if (!o) {
        memset(&z, 0, sizeof z);
        o = &z;
    }
    *r = *o;
    if (r->format < TN_DEFLATE_ZLIB || r->format > TN_DEFLATE_AUTO) return TN_EINVAL;
    r->window_bits = TN__DEF(r->window_bits, 15);
    if (r->window_bits < 8 || r->window_bits > 15) return TN_EINVAL;
    r->max_output = TN__DEF(r->max_output, (uint64_t)TORNADO_MAX_INFLATE_SIZE);
    return TN_OK;
}

TN_API size_t tn_inflater_size(const tn_inflate_opts *opts) {
    tn_inflate_opts r;
    if (tn__inf_resolve(opts, &r) != TN_OK) return 0;
    return sizeof(tn_inflater) + 15 + ((size_t)1 << r.window_bits);
}

TN_API void tn_inflater_reset(tn_inflater *st) {
    st->bitbuf = 0;
    st->bitcnt = 0;
    st->total_out = 0;
    st->whave = st->wnext = 0;
    st->check = 0;
    st->hcrc = 0;
    st->len = st->dist = 0;
    st->extra = st->gzflags = st->gzcount = 0;
    st->mode = TN__INF_HEAD;
    st->format = st->cfg_format;
    st->last = 0;
    st->fixed_ready = 0;
    st->err = 0;
    st->msg = "";
}

TN__PRIVATE tn_inflater *tn__inf_setup(void *mem, const tn_inflate_opts *r) {
    unsigned char *p = (unsigned char *)mem;
    tn_inflater *st;
    p += (16 - ((uintptr_t)p & 15)) & 15;
    st = (tn_inflater *)(void *)p;
    memset(st, 0, sizeof *st);
    st->win = p + sizeof *st;
    st->wsize = 1u << r->window_bits;
    st->wbits = r->window_bits;
    st->max_out = r->max_output;
    st->cfg_format = r->format;
    tn_inflater_reset(st);
    return st;
}

TN_API int tn_inflater_init(void *mem, size_t size, const tn_inflate_opts *opts, tn_inflater **out) {
    tn_inflate_opts r;
    *out = NULL;
    if (!mem || tn__inf_resolve(opts, &r) != TN_OK || size < tn_inflater_size(&r)) return TN_EINVAL;
    *out = tn__inf_setup(mem, &r);
    return TN_OK;
}

TN_API int tn_inflater_new(const tn_inflate_opts *opts, tn_inflater **out) {
    tn_inflate_opts r;
    tn_allocator a;
    void *mem;
    *out = NULL;
    if (tn__inf_resolve(opts, &r) != TN_OK || tn__allocator_resolve(r.allocator, &a) != TN_OK) return TN_EINVAL;
    mem = tn__alloc(&a, tn_inflater_size(&r));
    if (!mem) return TN_ENOMEM;
    *out = tn__inf_setup(mem, &r);
    (*out)->mem = mem;
    (*out)->alloc = a;
    return TN_OK;
}

TN_API void tn_inflater_free(tn_inflater *st) {
    if (st && st->mem) {
        tn_allocator a = st->alloc;
        tn__free(&a, st->mem);
    }
}

TN_API uint64_t tn_inflater_total_out(const tn_inflater *st) { return st->total_out; }
TN_API const char *tn_inflater_error(const tn_inflater *st) { return st->msg; }

/* At the end of a call: checksum the output not yet summed (from ck), count it, keep the
   last window's worth as history. */
TN__PRIVATE void tn__inf_account(tn_inflater *st, const unsigned char *out_start, const unsigned char *ck,
                                 const unsigned char *out) {
    if (out > ck && st->format != TN_DEFLATE_RAW && st->mode != TN__INF_ERROR)
        st->check = st->format == TN_DEFLATE_GZIP ? tn_crc32(st->check, ck, (size_t)(out - ck))
                                                  : tn_adler32(st->check, ck, (size_t)(out - ck));
    if (out > out_start) {
        st->total_out += (uint64_t)(out - out_start);
        if (st->mode != TN__INF_END) tn__inf_window(st, out_start, (size_t)(out - out_start));
    }
}

TN_API int tn_inflate(tn_inflater *st, const void *in_, size_t in_len, size_t *consumed, void *out_,
                      size_t out_cap, size_t *produced) {
    const unsigned char *in = (const unsigned char *)in_, *in_start, *in_end;
    unsigned char *out = (unsigned char *)out_, *out_start = out, *out_end, *ck = out;
    uint64_t bitbuf = st->bitbuf;
    unsigned bitcnt = st->bitcnt;
    uint64_t room = st->max_out - st->total_out;
    int capped = 0, rc = TN_OK;
    uint32_t e;
    if (!in) in_len = 0;
    in_start = in;
    in_end = in + in_len;
    if (!out) out_cap = 0;
    out_end = out + out_cap;
    if (room < out_cap) {
        out_end = out + room;
        capped = 1;
    }

/* input bits: PULL takes one byte (or returns for more input), NEED makes n bits available */
#define TN__INF_PULL()                                                                  \
    do {                                                                                \
        if (in == in_end) goto need_input;                                              \
        bitbuf |= (uint64_t)*in++ << bitcnt;                                            \
        bitcnt += 8;                                                                    \
    } while (0)
#define TN__INF_NEED(n)                                                                 \
    do {                                                                                \
        while (bitcnt < (unsigned)(n)) TN__INF_PULL();                                  \
    } while (0)
#define TN__INF_BITS(n) ((uint32_t)bitbuf & ((1u << (n)) - 1u))
#define TN__INF_DROP(n)                                                                 \
    do {                                                                                \
        bitbuf >>= (n);                                                                 \
        bitcnt -= (unsigned)(n);                                                        \
    } while (0)
#define TN__INF_FAIL(code, text)                                                        \
    do {                                                                                \
        rc = (code);                                                                    \
        st->msg = (text);                                                               \
        goto fail;                                                                      \
    } while (0)
/* look up the entry for the next code of `table` (tb primary bits) in e */
#define TN__INF_LOOKUP(table, tb)                                                       \
    do {                                                                                \
        e = (table)[(uint32_t)bitbuf & ((1u << (tb)) - 1u)];                            \
        if (e & TN__INF_SUB)                                                            \
            e = (table)[(e >> 16) + ((uint32_t)(bitbuf >> (tb)) & ((1u << ((e >> 4) & 15)) - 1u))]; \
    } while (0)

    for (;;) {
        switch (st->mode) {
        case TN__INF_HEAD:
            if (st->format == TN_DEFLATE_RAW) {
                st->mode = TN__INF_BLOCK;
                break;
            }
            if (st->format == TN_DEFLATE_AUTO) {
                TN__INF_NEED(8);
                st->format = TN__INF_BITS(8) == 0x1f ? TN_DEFLATE_GZIP : TN_DEFLATE_ZLIB;
            }
            if (st->format == TN_DEFLATE_GZIP) {
                st->mode = TN__INF_GZ_FIXED;
                break;
            }
            TN__INF_NEED(16);
            {
                uint32_t cmf = TN__INF_BITS(8), flg = (uint32_t)(bitbuf >> 8) & 0xff;
                if ((cmf * 256 + flg) % 31) TN__INF_FAIL(TN_EBAD_DEFLATE, "incorrect zlib header check");
                if ((cmf & 15) != 8) TN__INF_FAIL(TN_EBAD_DEFLATE, "unknown compression method");
                if ((cmf >> 4) > 7) TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid window size in zlib header");
                if ((int)(cmf >> 4) + 8 > st->wbits) TN__INF_FAIL(TN_EBAD_DEFLATE, "zlib window larger than allowed");
                if (flg & 0x20) TN__INF_FAIL(TN_EBAD_DEFLATE, "preset dictionary not supported");
            }
            TN__INF_DROP(16);
            st->check = 1;
            st->mode = TN__INF_BLOCK;
            break;
        case TN__INF_GZ_FIXED:   /* ID1 ID2 CM FLG MTIME(4) XFL OS */
            while (st->gzcount < 10) {
                unsigned char b;
                TN__INF_NEED(8);
                b = (unsigned char)bitbuf;
                if ((st->gzcount == 0 && b != 0x1f) || (st->gzcount == 1 && b != 0x8b))
                    TN__INF_FAIL(TN_EBAD_DEFLATE, "not a gzip header");
                if (st->gzcount == 2 && b != 8) TN__INF_FAIL(TN_EBAD_DEFLATE, "unknown compression method");
                if (st->gzcount == 3) {
                    if (b & 0xe0) TN__INF_FAIL(TN_EBAD_DEFLATE, "reserved gzip flag set");
                    st->gzflags = b;
                }
                TN__INF_DROP(8);
                st->hcrc = tn_crc32(st->hcrc, &b, 1);
                st->gzcount++;
            }
            st->gzcount = 0;
            st->len = 0;
            st->mode = TN__INF_GZ_XLEN;
            /* fall through */
        case TN__INF_GZ_XLEN:
            while ((st->gzflags & 4) && st->gzcount < 2) {
                unsigned char b;
                TN__INF_NEED(8);
                b = (unsigned char)bitbuf;
                TN__INF_DROP(8);
                st->hcrc = tn_crc32(st->hcrc, &b, 1);
                st->len |= (uint32_t)b << (8 * st->gzcount++);
            }
            st->mode = TN__INF_GZ_EXTRA;
            /* fall through */
        case TN__INF_GZ_EXTRA:
            while ((st->gzflags & 4) && st->len) {
                unsigned char b;
                TN__INF_NEED(8);
                b = (unsigned char)bitbuf;
                TN__INF_DROP(8);
                st->hcrc = tn_crc32(st->hcrc, &b, 1);
                st->len--;
            }
            st->mode = TN__INF_GZ_NAME;
            /* fall through */
        case TN__INF_GZ_NAME:
        case TN__INF_GZ_COMMENT:   /* zero-terminated strings, FNAME (8) then FCOMMENT (16) */
            while (st->gzflags & (st->mode == TN__INF_GZ_NAME ? 8u : 16u)) {
                unsigned char b;
                TN__INF_NEED(8);
                b = (unsigned char)bitbuf;
                TN__INF_DROP(8);
                st->hcrc = tn_crc32(st->hcrc, &b, 1);
                if (b == 0) break;
            }
            if (st->mode == TN__INF_GZ_NAME) {
                st->mode = TN__INF_GZ_COMMENT;
                break;
            }
            st->mode = TN__INF_GZ_HCRC;
            /* fall through */
        case TN__INF_GZ_HCRC:
            if (st->gzflags & 2) {
                TN__INF_NEED(16);
                if (TN__INF_BITS(16) != (st->hcrc & 0xffff))
                    TN__INF_FAIL(TN_EBAD_CHECKSUM, "gzip header CRC mismatch");
                TN__INF_DROP(16);
            }
            st->check = 0;
            st->mode = TN__INF_BLOCK;
            break;
        case TN__INF_BLOCK:
            if (st->last) {
                TN__INF_DROP(bitcnt & 7);
                st->gzcount = 0;
                st->mode = st->format == TN_DEFLATE_RAW ? TN__INF_END : TN__INF_TRAILER;
                break;
            }
            TN__INF_NEED(3);
            st->last = (int)TN__INF_BITS(1);
            switch ((bitbuf >> 1) & 3) {
            case 0: st->mode = TN__INF_STORED_LEN; break;
            case 1:
                if (!st->fixed_ready) tn__inf_build_fixed(st);
                st->mode = TN__INF_DECODE;
                break;
            case 2: st->mode = TN__INF_TABLE; break;
            default: TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid block type");
            }
            TN__INF_DROP(3);
            break;
        case TN__INF_STORED_LEN:
            TN__INF_DROP(bitcnt & 7);
            TN__INF_NEED(32);
            if (TN__INF_BITS(16) != (~(uint32_t)(bitbuf >> 16) & 0xffff))
                TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid stored block lengths");
            st->len = TN__INF_BITS(16);
            TN__INF_DROP(32);
            st->mode = TN__INF_STORED;
            /* fall through */
        case TN__INF_STORED:
            while (st->len) {
                size_t n;
                if (out == out_end) goto out_full;
                if (bitcnt >= 8) {   /* whole bytes still in the bit buffer come first */
                    *out++ = (unsigned char)bitbuf;
                    TN__INF_DROP(8);
                    st->len--;
                    continue;
                }
                if (in == in_end) goto need_input;
                bitbuf = 0;   /* read-ahead bits (of bytes now copied) are void */
                n = st->len;
                if (n > (size_t)(in_end - in)) n = (size_t)(in_end - in);
                if (n > (size_t)(out_end - out)) n = (size_t)(out_end - out);
                memcpy(out, in, n);
                in += n;
                out += n;
                st->len -= (uint32_t)n;
            }
            st->mode = TN__INF_BLOCK;
            break;
        case TN__INF_TABLE:
            TN__INF_NEED(14);
            st->hlit = TN__INF_BITS(5) + 257;
            st->hdist = ((uint32_t)(bitbuf >> 5) & 31) + 1;
            st->hclen = ((uint32_t)(bitbuf >> 10) & 15) + 4;
            TN__INF_DROP(14);
            if (st->hlit > 286 || st->hdist > 30) TN__INF_FAIL(TN_EBAD_DEFLATE, "too many length or distance codes");
            st->nlens = 0;
            st->mode = TN__INF_PRECODE;
            /* fall through */
        case TN__INF_PRECODE:
            while (st->nlens < st->hclen) {
                TN__INF_NEED(3);
                st->lens[tn__deflate_clen_order[st->nlens++]] = (unsigned char)TN__INF_BITS(3);
                TN__INF_DROP(3);
            }
            while (st->nlens < 19) st->lens[tn__deflate_clen_order[st->nlens++]] = 0;
            if ((st->msg = tn__inf_build(st->pre, 7, 128, st->lens, 19, 2)) != NULL)
                TN__INF_FAIL(TN_EBAD_DEFLATE, st->msg);
            st->msg = "";
            st->nlens = 0;
            st->mode = TN__INF_LENS;
            /* fall through */
        case TN__INF_LENS:
            while (st->nlens < st->hlit + st->hdist) {
                unsigned sym, clen, rep, xb;
                unsigned char v = 0;
                for (;;) {
                    e = st->pre[TN__INF_BITS(7)];
                    if ((e & 15) <= bitcnt) break;
                    TN__INF_PULL();
                }
                sym = e >> 16;
                clen = e & 15;
                if (sym < 16) {
                    TN__INF_DROP(clen);
                    st->lens[st->nlens++] = (unsigned char)sym;
                    continue;
                }
                xb = sym == 16 ? 2 : sym == 17 ? 3 : 7;
                TN__INF_NEED(clen + xb);
                TN__INF_DROP(clen);
                rep = (sym == 18 ? 11 : 3) + TN__INF_BITS(xb);
                TN__INF_DROP(xb);
                if (sym == 16) {
                    if (st->nlens == 0) TN__INF_FAIL(TN_EBAD_DEFLATE, "repeat with no first length");
                    v = st->lens[st->nlens - 1];
                }
                if (st->nlens + rep > st->hlit + st->hdist) TN__INF_FAIL(TN_EBAD_DEFLATE, "too many length repeats");
                while (rep--) st->lens[st->nlens++] = v;
            }
            if (st->lens[256] == 0) TN__INF_FAIL(TN_EBAD_DEFLATE, "missing end-of-block code");
            if ((st->msg = tn__inf_build(st->lt, TN__INF_LBITS, TN__INF_LSIZE, st->lens, st->hlit, 0)) != NULL ||
                (st->msg = tn__inf_build(st->dt, TN__INF_DBITS, TN__INF_DSIZE, st->lens + st->hlit, st->hdist, 1)) != NULL)
                TN__INF_FAIL(TN_EBAD_DEFLATE, st->msg);
            st->msg = "";
            st->fixed_ready = 0;
            st->mode = TN__INF_DECODE;
            /* fall through */
        case TN__INF_DECODE:
            /* fast loop: at least 16 input bytes (two refills of up to 8) and room for the
               longest match plus word-copy slack. After a refill (>= 56 bits) three literals
               (<= 45 bits) or a length code with its extra bits (<= 20) fit; a second refill
               covers the distance (<= 28 bits). */
            while (in_end - in >= 16 && out_end - out >= 274) {
                uint32_t len, dist, x;
                size_t here;
                unsigned char *stop;
                const unsigned char *src;
                bitbuf |= tn__deflate_ld64(in) << bitcnt;
                in += (63 - bitcnt) >> 3;
                bitcnt |= 56;
                TN__INF_LOOKUP(st->lt, TN__INF_LBITS);
                if (e & TN__INF_LIT) {
                    TN__INF_DROP(e & 15);
                    *out++ = (unsigned char)(e >> 16);
                    TN__INF_LOOKUP(st->lt, TN__INF_LBITS);
                    if (!(e & TN__INF_LIT)) goto length;
                    TN__INF_DROP(e & 15);
                    *out++ = (unsigned char)(e >> 16);
                    TN__INF_LOOKUP(st->lt, TN__INF_LBITS);
                    if (!(e & TN__INF_LIT)) goto length;
                    TN__INF_DROP(e & 15);
                    *out++ = (unsigned char)(e >> 16);
                    continue;
                }
            length:
                if (TN__UNLIKELY(e & (TN__INF_EOB | TN__INF_BAD))) {
                    if (e & TN__INF_BAD) TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid literal/length code");
                    TN__INF_DROP(e & 15);
                    st->mode = TN__INF_BLOCK;
                    break;
                }
                TN__INF_DROP(e & 15);
                x = (e >> 4) & 15;
                len = (e >> 16) + TN__INF_BITS(x);
                TN__INF_DROP(x);
                bitbuf |= tn__deflate_ld64(in) << bitcnt;
                in += (63 - bitcnt) >> 3;
                bitcnt |= 56;
                TN__INF_LOOKUP(st->dt, TN__INF_DBITS);
                if (TN__UNLIKELY(e & TN__INF_BAD)) TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid distance code");
                TN__INF_DROP(e & 15);
                x = (e >> 4) & 15;
                dist = (e >> 16) + TN__INF_BITS(x);
                TN__INF_DROP(x);
                here = (size_t)(out - out_start);
                if (TN__UNLIKELY(dist > here)) {
                    if (dist > st->wsize || dist - here > st->whave)
                        TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid distance too far back");
                    tn__inf_copy_slow(st, out_start, out, dist, len);
                    out += len;
                    continue;
                }
                if (TN__UNLIKELY(dist > st->wsize)) TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid distance too far back");
                src = out - dist;
                stop = out + len;
                if (dist >= 8) {
                    do {   /* 16 bytes a round; may write up to 15 bytes past stop (in the slack) */
                        tn__deflate_st64(out, tn__deflate_ld64(src));
                        tn__deflate_st64(out + 8, tn__deflate_ld64(src + 8));
                        out += 16;
                        src += 16;
                    } while (out < stop);
                    out = stop;
                } else if (dist == 1) {
                    memset(out, out[-1], len);
                    out = stop;
                } else {
                    while (out < stop) *out++ = *src++;
                }
            }
            if (st->mode != TN__INF_DECODE) break;
            for (;;) {   /* one symbol, a bit at a time near the ends of the buffers */
                TN__INF_LOOKUP(st->lt, TN__INF_LBITS);
                if ((e & 15) <= bitcnt) break;
                TN__INF_PULL();
            }
            if (e & TN__INF_LIT) {
                if (out == out_end) goto out_full;
                TN__INF_DROP(e & 15);
                *out++ = (unsigned char)(e >> 16);
                break;
            }
            if (e & TN__INF_BAD) TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid literal/length code");
            TN__INF_DROP(e & 15);
            if (e & TN__INF_EOB) {
                st->mode = TN__INF_BLOCK;
                break;
            }
            st->len = e >> 16;
            st->extra = (e >> 4) & 15;
            st->mode = TN__INF_LEN_EXTRA;
            /* fall through */
        case TN__INF_LEN_EXTRA:
            TN__INF_NEED(st->extra);
            st->len += TN__INF_BITS(st->extra);
            TN__INF_DROP(st->extra);
            st->mode = TN__INF_DIST;
            /* fall through */
        case TN__INF_DIST:
            for (;;) {
                TN__INF_LOOKUP(st->dt, TN__INF_DBITS);
                if ((e & 15) <= bitcnt) break;
                TN__INF_PULL();
            }
            if (e & TN__INF_BAD) TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid distance code");
            TN__INF_DROP(e & 15);
            st->dist = e >> 16;
            st->extra = (e >> 4) & 15;
            st->mode = TN__INF_DIST_EXTRA;
            /* fall through */
        case TN__INF_DIST_EXTRA:
            TN__INF_NEED(st->extra);
            st->dist += TN__INF_BITS(st->extra);
            TN__INF_DROP(st->extra);
            if (st->dist > st->wsize || st->dist > st->whave + (uint64_t)(out - out_start))
                TN__INF_FAIL(TN_EBAD_DEFLATE, "invalid distance too far back");
            st->mode = TN__INF_COPY;
            /* fall through */
        case TN__INF_COPY:
            while (st->len) {
                size_t n = st->len;
                if (out == out_end) goto out_full;
                if (n > (size_t)(out_end - out)) n = (size_t)(out_end - out);
                tn__inf_copy_slow(st, out_start, out, st->dist, n);
                out += n;
                st->len -= (uint32_t)n;
            }
            st->mode = TN__INF_DECODE;
            break;
        case TN__INF_TRAILER:
            if (out > ck) {
                st->check = st->format == TN_DEFLATE_GZIP ? tn_crc32(st->check, ck, (size_t)(out - ck))
                                                          : tn_adler32(st->check, ck, (size_t)(out - ck));
                ck = out;
            }
            if (st->format == TN_DEFLATE_ZLIB) {
                uint32_t v;
                TN__INF_NEED(32);
                v = (uint32_t)bitbuf;
                v = (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
                if (v != st->check) TN__INF_FAIL(TN_EBAD_CHECKSUM, "Adler-32 mismatch");
                TN__INF_DROP(32);
            } else {
                if (st->gzcount == 0) {
                    TN__INF_NEED(32);
                    if ((uint32_t)bitbuf != st->check) TN__INF_FAIL(TN_EBAD_CHECKSUM, "CRC-32 mismatch");
                    TN__INF_DROP(32);
                    st->gzcount = 1;
                }
                TN__INF_NEED(32);
                if ((uint32_t)bitbuf != (uint32_t)(st->total_out + (uint64_t)(out - out_start)))
                    TN__INF_FAIL(TN_EBAD_CHECKSUM, "gzip length mismatch");
                TN__INF_DROP(32);
            }
            st->mode = TN__INF_END;
            /* fall through */
        case TN__INF_END:
            rc = TN_INFLATE_END;
            goto done;
        default:   /* TN__INF_ERROR */
            rc = st->err;
            goto done;
        }
    }
out_full:
    if (capped && out == out_end) TN__INF_FAIL(TN_ELIMIT, "output limit reached");
    goto done;
need_input:   /* all input taken; the bits in hand are all needed by the next step: keep them */
    goto finish;
fail:
    st->mode = TN__INF_ERROR;
    st->err = rc;
done:
    tn__inf_account(st, out_start, ck, out);
    {   /* whole bytes read ahead into the bit buffer go back to the caller (only this call's) */
        size_t back = bitcnt >> 3;
        if (back > (size_t)(in - in_start)) back = (size_t)(in - in_start);
        in -= back;
        bitcnt -= 8 * (unsigned)back;
    }
    goto store;
finish:
    tn__inf_account(st, out_start, ck, out);
store:
    st->bitbuf = bitbuf & (bitcnt ? ~(uint64_t)0 >> (64 - bitcnt) : 0);
    st->bitcnt = bitcnt;
    *consumed = (size_t)(in - in_start);
    *produced = (size_t)(out - out_start);
    return rc;
#undef TN__INF_PULL
#undef TN__INF_NEED
#undef TN__INF_BITS
#undef TN__INF_DROP
#undef TN__INF_FAIL
#undef TN__INF_LOOKUP
}

TN_API int tn_inflate_once(const tn_inflate_opts *opts, const void *in, size_t in_len, void *out, size_t out_cap,
                           size_t *out_len) {
    tn_inflater *st;
    size_t used = 0, made = 0;
    int rc;
    *out_len = 0;
    rc = tn_inflater_new(opts, &st);
    if (rc != TN_OK) return rc;
    rc = tn_inflate(st, in, in_len, &used, out, out_cap, &made);
    *out_len = made;
    if (rc == TN_INFLATE_END) {
        rc = used == in_len ? TN_OK : TN_EBAD_DEFLATE;
    } else if (rc == TN_OK) {
        unsigned char one;
        size_t u2 = 0, m2 = 0;
        rc = TN_EINCOMPLETE;
        if (used < in_len) rc = TN_EBUFFER_FULL;
        else if (made == out_cap && tn_inflate(st, NULL, 0, &u2, &one, 1, &m2) >= 0 && m2 > 0) rc = TN_EBUFFER_FULL;
    }
    tn_inflater_free(st);
    return rc;
}

/* ===================================== deflate ===================================== */

#define TN__DEF_LOOKAHEAD (258 + 4)   /* the longest match plus the 4 hashed bytes */
#define TN__DEF_PEND 400              /* pending output: a block header or trailer, or a few symbols */

/* Matcher parameters per level: chain = candidates tried per position, nice = stop at this
   length, good = quarter the chain once a match this long is in hand (lazy levels), lazy =
   do not look for a better match after one this long (lazy levels) or insert the hashes of
   matches up to this long (greedy levels: longer ones are skipped over). */
typedef struct tn__def_level {
    uint16_t chain, nice, good, lazy;
    uint8_t greedy;
} tn__def_level;
static const tn__def_level tn__def_levels[10] = {
    {0, 0, 0, 0, 0},        {4, 16, 0, 6, 1},      {8, 24, 0, 8, 1},       {24, 48, 0, 12, 1},
    {16, 32, 6, 8, 0},      {32, 64, 8, 16, 0},    {64, 258, 8, 32, 0},    {256, 192, 16, 64, 0},
    {1024, 258, 32, 128, 0}, {4096, 258, 64, 258, 0},
};

enum { TN__DEF_PARSE, TN__DEF_SYMS, TN__DEF_STORED, TN__DEF_FINISHED };

struct tn_deflater {
    uint64_t bitbuf;          /* output bits not yet whole bytes (bitcnt < 8 between writes) */
    uint64_t win_abs;         /* stream offset of win[0] */
    uint64_t blk_abs;         /* stream offset of the current block's first byte */
    uint64_t total_in;
    unsigned char *win;       /* bsize bytes (+ 8 bytes of slack for word compares) */
    uint16_t *head;           /* hash -> latest position (0 = none) */
    uint16_t *prev;           /* position -> previous position with the same hash */
    uint16_t *syms;           /* the block: literal byte, or 0x8000 | (len - 3) then dist - 1 */
    uint32_t wsize, bsize, off, hash_shift, hash_mask;
    uint32_t pos, end;        /* next position to parse; end of the data in win */
    uint32_t block_bytes;     /* input bytes covered by syms */
    uint32_t nsyms, syms_cap;
    uint32_t prev_len, prev_dist;
    uint32_t emit_i;          /* next syms unit to write (dynamic/fixed block) */
    uint32_t st_src, st_left, st_chunk;   /* stored block: next byte, bytes left, left in chunk */
    uint32_t check;
    unsigned bitcnt;
    unsigned pend_len, pend_pos;
    int have_prev;            /* lazy: the decision for pos - 1 is pending (prev_len/prev_dist) */
    int phase, final_block, flush_stage, flush_mode, header_done;
    int format, level, wbits;
    tn__def_level p;
    void *mem;
    tn_allocator alloc;
    uint32_t lfreq[286], dfreq[30];
    uint16_t lcode[288], dcode[32];
    unsigned char llen[288], dlen[32];
    unsigned char pend[TN__DEF_PEND];
};

/* Length code (minus 257) of each match length - 3, and distance code of each distance - 1
   (below 256 directly, else at 256 + (d >> 7)); generated from the tables of RFC 1951 3.2.5. */
static const unsigned char tn__def_lsym[256] = {
    0,1,2,3,4,5,6,7,8,8,9,9,10,10,11,11,12,12,12,12,13,13,13,13,14,14,14,14,15,15,15,15,
    16,16,16,16,16,16,16,16,17,17,17,17,17,17,17,17,18,18,18,18,18,18,18,18,19,19,19,19,19,19,19,19,
    20,20,20,20,20,20,20,20,20,20,20,20,20,20,20,20,21,21,21,21,21,21,21,21,21,21,21,21,21,21,21,21,
    22,22,22,22,22,22,22,22,22,22,22,22,22,22,22,22,23,23,23,23,23,23,23,23,23,23,23,23,23,23,23,23,
    24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,
    25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,
    26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,
    27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,28,
};
static const unsigned char tn__def_dsym[512] = {
    0,1,2,3,4,4,5,5,6,6,6,6,7,7,7,7,8,8,8,8,8,8,8,8,9,9,9,9,9,9,9,9,
    10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,10,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,11,
    12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,12,
    13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,13,
    14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,
    14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,14,
    15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,
    15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,15,
    0,14,16,17,18,18,19,19,20,20,20,20,21,21,21,21,22,22,22,22,22,22,22,22,23,23,23,23,23,23,23,23,
    24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,24,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,25,
    26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,26,
    27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,27,
    28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,
    28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,28,
    29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,
    29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,29,
};

TN__PRIVATE unsigned tn__def_dist_code(uint32_t d) { return d < 256 ? tn__def_dsym[d] : tn__def_dsym[256 + (d >> 7)]; }

/* Sizes of the parts for window bits w (see the memory table in deflate.h). */
TN__PRIVATE void tn__def_dims(int w, uint32_t *wsize, uint32_t *bsize, uint32_t *hash_bits, uint32_t *syms_cap) {
    uint32_t ws = 1u << w, slide = ws / 2 > 1024 ? ws / 2 : 1024;
    int hb = w - 1 < 9 ? 9 : w - 1 > 14 ? 14 : w - 1;
    *wsize = ws;
    *bsize = ws + slide + TN__DEF_LOOKAHEAD;
    *hash_bits = (uint32_t)hb;
    *syms_cap = 3 * ws / 4 > 1024 ? 3 * ws / 4 : 1024;
}

TN__PRIVATE int tn__def_resolve(const tn_deflate_opts *o, tn_deflate_opts *r) {
    tn_deflate_opts z;
    if (!o) {
        memset(&z, 0, sizeof z);
        o = &z;
    }
    *r = *o;
    if (r->format < TN_DEFLATE_ZLIB || r->format > TN_DEFLATE_GZIP) return TN_EINVAL;
    r->level = TN__DEF(r->level, 6);
    if (r->level < 1 || r->level > 9) return TN_EINVAL;
    r->window_bits = TN__DEF(r->window_bits, 15);
    if (r->window_bits < 8 || r->window_bits > 15) return TN_EINVAL;
    return TN_OK;
}

TN_API size_t tn_deflater_size(const tn_deflate_opts *opts) {
    tn_deflate_opts r;
    uint32_t ws, bs, hb, sc;
    if (tn__def_resolve(opts, &r) != TN_OK) return 0;
    tn__def_dims(r.window_bits, &ws, &bs, &hb, &sc);
    return sizeof(tn_deflater) + 15 + 2 * ((size_t)ws + ((size_t)1 << hb) + sc) + bs + 8;
}

TN_API void tn_deflater_reset(tn_deflater *st) {
    memset(st->head, 0, (st->hash_mask + 1) * sizeof *st->head);
    st->bitbuf = 0;
    st->bitcnt = 0;
    st->win_abs = st->blk_abs = st->total_in = 0;
    st->off = 0;
    st->pos = st->end = 0;
    st->block_bytes = st->nsyms = 0;
    st->prev_len = st->prev_dist = 0;
    st->have_prev = 0;
    st->emit_i = 0;
    st->st_src = st->st_left = st->st_chunk = 0;
    st->check = st->format == TN_DEFLATE_ZLIB ? 1 : 0;
    st->pend_len = st->pend_pos = 0;
    st->phase = TN__DEF_PARSE;
    st->final_block = st->flush_stage = st->flush_mode = st->header_done = 0;
    memset(st->lfreq, 0, sizeof st->lfreq);
    memset(st->dfreq, 0, sizeof st->dfreq);
}

TN__PRIVATE tn_deflater *tn__def_setup(void *mem, const tn_deflate_opts *r) {
    unsigned char *p = (unsigned char *)mem;
    tn_deflater *st;
    uint32_t ws, bs, hb, sc;
    p += (16 - ((uintptr_t)p & 15)) & 15;
    st = (tn_deflater *)(void *)p;
    memset(st, 0, sizeof *st);
    tn__def_dims(r->window_bits, &ws, &bs, &hb, &sc);
    p += sizeof *st;
    st->head = (uint16_t *)(void *)p;
    p += 2 * ((size_t)1 << hb);
    st->prev = (uint16_t *)(void *)p;
    p += 2 * (size_t)ws;
    st->syms = (uint16_t *)(void *)p;
    p += 2 * (size_t)sc;
    st->win = p;
    memset(st->prev, 0, 2 * (size_t)ws);
    memset(st->win, 0, (size_t)bs + 8);   /* word compares may look past the data */
    st->wsize = ws;
    st->bsize = bs;
    st->hash_shift = 32 - hb;
    st->hash_mask = (1u << hb) - 1;
    st->syms_cap = sc;
    st->format = r->format;
    st->level = r->level;
    st->wbits = r->window_bits;
    st->p = tn__def_levels[r->level];
    tn_deflater_reset(st);
    return st;
}

TN_API int tn_deflater_init(void *mem, size_t size, const tn_deflate_opts *opts, tn_deflater **out) {
    tn_deflate_opts r;
    *out = NULL;
    if (!mem || tn__def_resolve(opts, &r) != TN_OK || size < tn_deflater_size(&r)) return TN_EINVAL;
    *out = tn__def_setup(mem, &r);
    return TN_OK;
}

TN_API int tn_deflater_new(const tn_deflate_opts *opts, tn_deflater **out) {
    tn_deflate_opts r;
    tn_allocator a;
    void *mem;
    *out = NULL;
    if (tn__def_resolve(opts, &r) != TN_OK || tn__allocator_resolve(r.allocator, &a) != TN_OK) return TN_EINVAL;
    mem = tn__alloc(&a, tn_deflater_size(&r));
    if (!mem) return TN_ENOMEM;
    *out = tn__def_setup(mem, &r);
    (*out)->mem = mem;
    (*out)->alloc = a;
    return TN_OK;
}

TN_API void tn_deflater_free(tn_deflater *st) {
    if (st && st->mem) {
        tn_allocator a = st->alloc;
        tn__free(&a, st->mem);
    }
}

TN_API size_t tn_deflate_bound(size_t len) { return len + (len >> 3) + (len >> 7) + 32; }

/* ---- bit output into the pending buffer (headers, trailers, block boundaries) ---- */
TN__PRIVATE void tn__def_put(tn_deflater *st, uint32_t bits, unsigned n) {
    st->bitbuf |= (uint64_t)bits << st->bitcnt;
    st->bitcnt += n;
    while (st->bitcnt >= 8) {
        st->pend[st->pend_len++] = (unsigned char)st->bitbuf;
        st->bitbuf >>= 8;
        st->bitcnt -= 8;
    }
}
TN__PRIVATE void tn__def_align(tn_deflater *st) {
    if (st->bitcnt) tn__def_put(st, 0, 8 - st->bitcnt);
}
TN__PRIVATE void tn__def_put_be32(tn_deflater *st, uint32_t v) {
    tn__def_put(st, v >> 24, 8);
    tn__def_put(st, (v >> 16) & 0xff, 8);
    tn__def_put(st, (v >> 8) & 0xff, 8);
    tn__def_put(st, v & 0xff, 8);
}
TN__PRIVATE void tn__def_put_le32(tn_deflater *st, uint32_t v) {
    tn__def_put(st, v & 0xffff, 16);
    tn__def_put(st, v >> 16, 16);
}

/* ---- Huffman code construction ---- */
TN__PRIVATE int tn__def_key_cmp(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Code lengths (<= limit) for n symbols from their frequencies: Huffman's algorithm with two
   queues over the leaves sorted by weight; when the tree is too deep the weights are
   flattened and it is built again. Fewer than two used symbols get two one-bit codes. */
TN__PRIVATE void tn__def_huff(const uint32_t *freq, unsigned n, unsigned limit, unsigned char *lens) {
    uint32_t f[288], key[288], w[576];
    uint16_t parent[576];
    unsigned char depth[576];
    unsigned m, i;
    memcpy(f, freq, n * sizeof *f);
    for (;;) {
        unsigned li = 0, ni, nn, k, maxd = 0;
        m = 0;
        for (i = 0; i < n; i++) {
            lens[i] = 0;
            if (f[i]) key[m++] = (f[i] << 9) | i;   /* weights stay below 2^23 */
        }
        if (m <= 1) {
            unsigned a = m ? (key[0] & 511) : 0;
            lens[a] = 1;
            lens[a ? 0 : 1] = 1;
            return;
        }
        qsort(key, m, sizeof *key, tn__def_key_cmp);
        for (i = 0; i < m; i++) w[i] = key[i] >> 9;
        ni = nn = m;
        for (k = 0; k + 1 < m; k++) {
            unsigned a = (li < m && (ni >= nn || w[li] <= w[ni])) ? li++ : ni++;
            unsigned b = (li < m && (ni >= nn || w[li] <= w[ni])) ? li++ : ni++;
            w[nn] = w[a] + w[b];
            parent[a] = parent[b] = (uint16_t)nn;
            nn++;
        }
        depth[nn - 1] = 0;
        for (i = nn - 1; i-- > 0;) {
            depth[i] = (unsigned char)(depth[parent[i]] + 1);
            if (i < m && depth[i] > maxd) maxd = depth[i];
        }
        if (maxd <= limit) {
            for (i = 0; i < m; i++) lens[key[i] & 511] = depth[i];
            return;
        }
        for (i = 0; i < n; i++)
            if (f[i]) f[i] = (f[i] >> 1) | 1;
    }
}

/* Canonical codes, bit-reversed for LSB-first output. */
TN__PRIVATE void tn__def_codes(const unsigned char *lens, unsigned n, uint16_t *codes) {
    unsigned count[16], next[16], i, c = 0;
    memset(count, 0, sizeof count);
    for (i = 0; i < n; i++) count[lens[i]]++;
    count[0] = 0;
    next[0] = 0;
    for (i = 1; i < 16; i++) {
        c = (c + count[i - 1]) << 1;
        next[i] = c;
    }
    for (i = 0; i < n; i++)
        codes[i] = lens[i] ? (uint16_t)tn__deflate_rev(next[lens[i]]++, lens[i]) : 0;
}

TN__PRIVATE void tn__def_fixed_lens(unsigned char *llen, unsigned char *dlen) {
    memset(llen, 8, 144);
    memset(llen + 144, 9, 112);
    memset(llen + 256, 7, 24);
    memset(llen + 280, 8, 8);
    memset(dlen, 5, 32);
}

/* Bits of the block's symbols under the given code lengths. */
TN__PRIVATE uint64_t tn__def_data_bits(const tn_deflater *st, const unsigned char *llen, const unsigned char *dlen) {
    uint64_t bits = 0;
    unsigned i;
    for (i = 0; i < 286; i++) bits += (uint64_t)st->lfreq[i] * llen[i];
    for (i = 0; i < 29; i++) bits += (uint64_t)st->lfreq[257 + i] * tn__deflate_len_extra[i];
    for (i = 0; i < 30; i++) bits += (uint64_t)st->dfreq[i] * (dlen[i] + tn__deflate_dist_extra[i]);
    return bits;
}

/* Run-length code the code lengths (RFC 1951 3.2.7): sym[i] 0..18 with extra value xv[i]. */
TN__PRIVATE unsigned tn__def_rle(const unsigned char *all, unsigned total, unsigned char *sym, unsigned char *xv) {
    unsigned i = 0, n = 0;
    while (i < total) {
        unsigned v = all[i], run = 1;
        while (i + run < total && all[i + run] == v) run++;
        i += run;
        if (v == 0) {
            while (run >= 11) {
                unsigned r = run > 138 ? 138 : run;
                sym[n] = 18;
                xv[n++] = (unsigned char)(r - 11);
                run -= r;
            }
            if (run >= 3) {
                sym[n] = 17;
                xv[n++] = (unsigned char)(run - 3);
                run = 0;
            }
        } else {
            sym[n] = (unsigned char)v;
            xv[n++] = 0;
            run--;
            while (run >= 3) {
                unsigned r = run > 6 ? 6 : run;
                sym[n] = 16;
                xv[n++] = (unsigned char)(r - 3);
                run -= r;
            }
        }
        while (run--) {
            sym[n] = (unsigned char)v;
            xv[n++] = 0;
        }
    }
    return n;
}

/* End the block: choose dynamic, fixed or stored, write its header into pend and switch to
   writing its symbols (or bytes). */
TN__PRIVATE void tn__def_start_block(tn_deflater *st, int final) {
    unsigned char all[316], rsym[316], rxv[316], plen[19], fl[288], fd[32];
    uint16_t pcode[19];
    uint32_t pfreq[19];
    unsigned hlit = 286, hdist = 30, hclen = 19, nr, i;
    uint64_t dyn, fix, sto = ~(uint64_t)0;
    st->lfreq[256]++;
    memset(st->llen + 286, 0, 2);   /* symbols 286/287 and distances 30/31 are never used */
    memset(st->dlen + 30, 0, 2);
    tn__def_huff(st->lfreq, 286, 15, st->llen);
    tn__def_huff(st->dfreq, 30, 15, st->dlen);
    while (hlit > 257 && st->llen[hlit - 1] == 0) hlit--;
    while (hdist > 1 && st->dlen[hdist - 1] == 0) hdist--;
    memcpy(all, st->llen, hlit);
    memcpy(all + hlit, st->dlen, hdist);
    nr = tn__def_rle(all, hlit + hdist, rsym, rxv);
    memset(pfreq, 0, sizeof pfreq);
    for (i = 0; i < nr; i++) pfreq[rsym[i]]++;
    tn__def_huff(pfreq, 19, 7, plen);
    tn__def_codes(plen, 19, pcode);
    while (hclen > 4 && plen[tn__deflate_clen_order[hclen - 1]] == 0) hclen--;
    dyn = 3 + 14 + 3 * (uint64_t)hclen;
    for (i = 0; i < nr; i++) dyn += plen[rsym[i]] + (rsym[i] == 16 ? 2 : rsym[i] == 17 ? 3 : rsym[i] == 18 ? 7 : 0);
    dyn += tn__def_data_bits(st, st->llen, st->dlen);
    tn__def_fixed_lens(fl, fd);
    fix = 3 + tn__def_data_bits(st, fl, fd);
    if (st->block_bytes && st->blk_abs >= st->win_abs)   /* the block's bytes are still in the window */
        sto = (uint64_t)st->block_bytes * 8 + 40 * ((uint64_t)st->block_bytes / 65535 + 1) + 7;
    st->final_block = final;
    if (sto <= dyn && sto <= fix) {
        st->st_src = (uint32_t)(st->blk_abs - st->win_abs);
        st->st_left = st->block_bytes;
        st->st_chunk = 0;
        st->phase = TN__DEF_STORED;
        return;
    }
    if (fix <= dyn) {
        tn__def_put(st, (unsigned)final | 2u, 3);
        memcpy(st->llen, fl, 288);
        memcpy(st->dlen, fd, 32);
    } else {
        tn__def_put(st, (unsigned)final | 4u, 3);
        tn__def_put(st, hlit - 257, 5);
        tn__def_put(st, hdist - 1, 5);
        tn__def_put(st, hclen - 4, 4);
        for (i = 0; i < hclen; i++) tn__def_put(st, plen[tn__deflate_clen_order[i]], 3);
        for (i = 0; i < nr; i++) {
            tn__def_put(st, pcode[rsym[i]], plen[rsym[i]]);
            if (rsym[i] >= 16) tn__def_put(st, rxv[i], rsym[i] == 16 ? 2 : rsym[i] == 17 ? 3 : 7);
        }
    }
    tn__def_codes(st->llen, 288, st->lcode);
    tn__def_codes(st->dlen, 32, st->dcode);
    st->emit_i = 0;
    st->phase = TN__DEF_SYMS;
}

/* The block is out: start the next one. */
TN__PRIVATE void tn__def_end_block(tn_deflater *st) {
    st->blk_abs += st->block_bytes;
    st->block_bytes = 0;
    st->nsyms = 0;
    memset(st->lfreq, 0, sizeof st->lfreq);
    memset(st->dfreq, 0, sizeof st->dfreq);
    st->phase = TN__DEF_PARSE;
}

/* Write the block's symbols (and end-of-block) to *outp, or to pend when the caller's space
   is short; stops when the space runs out. */
TN__PRIVATE void tn__def_emit(tn_deflater *st, unsigned char **outp, unsigned char *out_end) {
    unsigned char *p = *outp, *e = out_end;
    int to_pend = out_end - p < 64;
    uint64_t bb = st->bitbuf;
    unsigned bc = st->bitcnt;
    uint32_t i = st->emit_i, n = st->nsyms;
    const uint16_t *s = st->syms;
    if (to_pend) {
        p = st->pend + st->pend_len;
        e = st->pend + TN__DEF_PEND;
    }
    while (i <= n && e - p >= 16) {
        if (i == n) {   /* end of block */
            bb |= (uint64_t)st->lcode[256] << bc;
            bc += st->llen[256];
            i++;
        } else if (!(s[i] & 0x8000)) {
            bb |= (uint64_t)st->lcode[s[i]] << bc;
            bc += st->llen[s[i]];
            i++;
        } else {
            uint32_t l = s[i] & 0xff, d = s[i + 1];
            unsigned ls = tn__def_lsym[l], ds = tn__def_dist_code(d);
            bb |= (uint64_t)st->lcode[257 + ls] << bc;
            bc += st->llen[257 + ls];
            bb |= (uint64_t)(l + 3 - tn__deflate_len_base[ls]) << bc;
            bc += tn__deflate_len_extra[ls];
            bb |= (uint64_t)st->dcode[ds] << bc;
            bc += st->dlen[ds];
            bb |= (uint64_t)(d + 1 - tn__deflate_dist_base[ds]) << bc;
            bc += tn__deflate_dist_extra[ds];
            i += 2;
        }
        tn__deflate_st64(p, bb);
        p += bc >> 3;
        bb >>= bc & ~7u;
        bc &= 7;
    }
    st->bitbuf = bb;
    st->bitcnt = bc;
    st->emit_i = i;
    if (to_pend) st->pend_len = (unsigned)(p - st->pend);
    else *outp = p;
    if (i > n) tn__def_end_block(st);
}

/* ---- matching ---- */
#define TN__DEF_HASH(st, p) ((uint32_t)(tn__deflate_ld32(p) * 2654435761u) >> (st)->hash_shift)

TN__PRIVATE uint32_t tn__def_insert(tn_deflater *st, uint32_t pos) {
    uint32_t h = TN__DEF_HASH(st, st->win + pos), cand = st->head[h];
    st->prev[(pos + st->off) & (st->wsize - 1)] = (uint16_t)cand;
    st->head[h] = (uint16_t)pos;
    return cand;
}

/* Common prefix length of a and b, at most max. */
TN__PRIVATE unsigned tn__def_common(const unsigned char *a, const unsigned char *b, unsigned max) {
    unsigned n = 0;
    while (n + 8 <= max) {
        uint64_t x = tn__deflate_ld64(a + n) ^ tn__deflate_ld64(b + n);
        if (x) return n + (tn__deflate_ctz64(x) >> 3);
        n += 8;
    }
    while (n < max && a[n] == b[n]) n++;
    return n;
}

/* The longest match at pos longer than best, following the chain from cand; 0 if none. */
TN__PRIVATE unsigned tn__def_longest(const tn_deflater *st, uint32_t pos, uint32_t cand, unsigned best, unsigned max,
                                     uint32_t *dist) {
    const unsigned char *cur = st->win + pos;
    uint32_t limit = pos > st->wsize ? pos - st->wsize : 0, first, mask = st->wsize - 1;
    unsigned chain = st->p.chain, nice = st->p.nice < max ? st->p.nice : max, found = 0;
    if (best >= max) return 0;
    if (st->p.good && best >= st->p.good) chain >>= 2;
    first = tn__deflate_ld32(cur);
    while (cand > limit && chain--) {
        const unsigned char *m = st->win + cand;
        /* the 4 bytes ending at the length to beat, then the first 4: most candidates fail fast */
        if (tn__deflate_ld32(m + best - 3) == tn__deflate_ld32(cur + best - 3) && tn__deflate_ld32(m) == first) {
            unsigned len = 4 + tn__def_common(m + 4, cur + 4, max - 4);
            if (len > best) {
                best = len;
                *dist = pos - cand;
                found = 1;
                if (len >= nice) break;
            }
        }
        cand = st->prev[(cand + st->off) & mask];
    }
    return found ? best : 0;
}

TN__PRIVATE void tn__def_lit(tn_deflater *st, unsigned c) {
    st->syms[st->nsyms++] = (uint16_t)c;
    st->lfreq[c]++;
    st->block_bytes++;
}
TN__PRIVATE void tn__def_match(tn_deflater *st, uint32_t len, uint32_t dist) {
    st->syms[st->nsyms++] = (uint16_t)(0x8000 | (len - 3));
    st->syms[st->nsyms++] = (uint16_t)(dist - 1);
    st->lfreq[257 + tn__def_lsym[len - 3]]++;
    st->dfreq[tn__def_dist_code(dist - 1)]++;
    st->block_bytes += len;
}

/* Greedy parse (levels 1-3) until the symbol buffer fills or the lookahead runs short (to the
   end of the data when flushing). */
TN__PRIVATE void tn__def_parse_greedy(tn_deflater *st, int flushing) {
    uint32_t pos = st->pos, end = st->end;
    while (st->nsyms + 2 <= st->syms_cap) {
        uint32_t look = end - pos, len = 0, dist = 0;
        if (look < TN__DEF_LOOKAHEAD && (!flushing || look == 0)) break;
        if (look >= 4) {
            uint32_t cand = tn__def_insert(st, pos);
            if (cand) len = tn__def_longest(st, pos, cand, 3, look < 258 ? look : 258, &dist);
        }
        if (len >= 4) {
            tn__def_match(st, len, dist);
            if (len <= st->p.lazy) {
                uint32_t q, stop = pos + len;
                for (q = pos + 1; q < stop && end - q >= 4; q++) tn__def_insert(st, q);
            }
            pos += len;
        } else {
            tn__def_lit(st, st->win[pos]);
            pos++;
        }
    }
    st->pos = pos;
}

/* Lazy parse (levels 4-9): a match at pos - 1 is taken only if pos has no longer one. */
TN__PRIVATE void tn__def_parse_lazy(tn_deflater *st, int flushing) {
    uint32_t pos = st->pos, end = st->end;
    while (st->nsyms + 2 <= st->syms_cap) {
        uint32_t look = end - pos, len = 0, dist = 0;
        if (look < TN__DEF_LOOKAHEAD) {
            if (!flushing) break;
            if (look == 0) {
                if (st->have_prev) tn__def_lit(st, st->win[pos - 1]);   /* a 1-byte tail */
                st->have_prev = 0;
                break;
            }
        }
        if (look >= 4) {
            uint32_t cand = tn__def_insert(st, pos);
            if (cand && !(st->have_prev && st->prev_len >= st->p.lazy))
                len = tn__def_longest(st, pos, cand, st->have_prev && st->prev_len > 3 ? st->prev_len : 3,
                                      look < 258 ? look : 258, &dist);
        }
        if (st->have_prev && st->prev_len >= 4 && len <= st->prev_len) {
            uint32_t q, stop = pos - 1 + st->prev_len;
            tn__def_match(st, st->prev_len, st->prev_dist);
            for (q = pos + 1; q < stop && end - q >= 4; q++) tn__def_insert(st, q);
            pos = stop;
            st->have_prev = 0;
            continue;
        }
        if (st->have_prev) tn__def_lit(st, st->win[pos - 1]);
        st->have_prev = 1;
        st->prev_len = len;
        st->prev_dist = dist;
        pos++;
    }
    st->pos = pos;
}

/* Drop the oldest bytes to make room: keep the window's worth before pos. */
TN__PRIVATE void tn__def_slide(tn_deflater *st) {
    uint32_t shift = st->pos - st->wsize, i, n = st->hash_mask + 1;
    memmove(st->win, st->win + shift, st->end - shift);
    st->pos -= shift;
    st->end -= shift;
    st->win_abs += shift;
    st->off = (st->off + shift) & (st->wsize - 1);
    for (i = 0; i < n; i++) st->head[i] = (uint16_t)(st->head[i] > shift ? st->head[i] - shift : 0);
    for (i = 0; i < st->wsize; i++) st->prev[i] = (uint16_t)(st->prev[i] > shift ? st->prev[i] - shift : 0);
}

TN__PRIVATE void tn__def_header(tn_deflater *st) {
    if (st->format == TN_DEFLATE_ZLIB) {
        unsigned cmf = (unsigned)(st->wbits - 8) << 4 | 8;
        unsigned flg = (unsigned)(st->level == 1 ? 0 : st->level < 6 ? 1 : st->level == 6 ? 2 : 3) << 6;
        flg |= 31 - (cmf * 256 + flg) % 31;
        tn__def_put(st, cmf, 8);
        tn__def_put(st, flg, 8);
    } else if (st->format == TN_DEFLATE_GZIP) {
        static const unsigned char gz[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255};
        unsigned i;
        for (i = 0; i < 10; i++) tn__def_put(st, gz[i], 8);
    }
    st->header_done = 1;
}

TN_API int tn_deflate(tn_deflater *st, const void *in_, size_t in_len, size_t *consumed, void *out_,
                      size_t out_cap, size_t *produced, int flush) {
    const unsigned char *in = (const unsigned char *)in_, *in_start, *in_end;
    unsigned char *out = (unsigned char *)out_, *out_start = out, *out_end;
    int rc = TN_OK;
    if (!in) in_len = 0;
    if (!out) out_cap = 0;
    in_start = in;
    in_end = in + in_len;
    out_end = out + out_cap;
    *consumed = *produced = 0;
    if (flush < TN_DEFLATE_NO_FLUSH || flush > TN_DEFLATE_FINISH) return TN_EINVAL;
    if (st->phase == TN__DEF_FINISHED)
        return flush == TN_DEFLATE_FINISH && in_len == 0 ? (int)TN_DEFLATE_DONE : (int)TN_EINVAL;
    if (!st->header_done) tn__def_header(st);
    for (;;) {
        uint32_t look;
        if (st->pend_pos < st->pend_len) {   /* pending bytes go first */
            size_t n = st->pend_len - st->pend_pos;
            if (n > (size_t)(out_end - out)) n = (size_t)(out_end - out);
            memcpy(out, st->pend + st->pend_pos, n);
            out += n;
            st->pend_pos += (unsigned)n;
            if (st->pend_pos < st->pend_len) break;   /* output full */
            st->pend_pos = st->pend_len = 0;
        }
        if (st->phase == TN__DEF_SYMS) {
            if (out == out_end) break;
            tn__def_emit(st, &out, out_end);
            continue;
        }
        if (st->phase == TN__DEF_STORED) {
            size_t n;
            if (st->st_chunk == 0) {
                if (st->st_left == 0) {
                    tn__def_end_block(st);
                    continue;
                }
                st->st_chunk = st->st_left > 65535 ? 65535 : st->st_left;
                tn__def_put(st, st->final_block && st->st_chunk == st->st_left ? 1u : 0u, 3);
                tn__def_align(st);
                tn__def_put(st, st->st_chunk, 16);
                tn__def_put(st, st->st_chunk ^ 0xffffu, 16);
                continue;
            }
            if (out == out_end) break;
            n = st->st_chunk;
            if (n > (size_t)(out_end - out)) n = (size_t)(out_end - out);
            memcpy(out, st->win + st->st_src, n);
            out += n;
            st->st_src += (uint32_t)n;
            st->st_chunk -= (uint32_t)n;
            st->st_left -= (uint32_t)n;
            continue;
        }
        if (st->phase == TN__DEF_FINISHED) {
            rc = TN_DEFLATE_DONE;
            break;
        }
        /* parsing */
        if (st->nsyms + 2 > st->syms_cap) {
            tn__def_start_block(st, 0);
            continue;
        }
        if (st->flush_stage == 0 && in < in_end && (st->end < st->bsize || st->end - st->pos < TN__DEF_LOOKAHEAD)) {
            size_t n;
            if (st->end == st->bsize) {
                if (st->nsyms && st->blk_abs < st->win_abs + (st->pos - st->wsize)) {
                    /* the slide would drop the block's first bytes: a block of mostly literals
                       (incompressible data) ends here, while it can still be stored */
                    uint32_t lits = 0, i;
                    for (i = 0; i < 256; i++) lits += st->lfreq[i];
                    if ((uint64_t)lits * 10 >= (uint64_t)st->block_bytes * 9) {
                        tn__def_start_block(st, 0);
                        continue;
                    }
                }
                tn__def_slide(st);
            }
            n = st->bsize - st->end;
            if (n > (size_t)(in_end - in)) n = (size_t)(in_end - in);
            memcpy(st->win + st->end, in, n);
            if (st->format == TN_DEFLATE_ZLIB) st->check = tn_adler32(st->check, in, n);
            else if (st->format == TN_DEFLATE_GZIP) st->check = tn_crc32(st->check, in, n);
            st->total_in += n;
            st->end += (uint32_t)n;
            in += n;
        }
        look = st->end - st->pos;
        {
            int flushing = flush != TN_DEFLATE_NO_FLUSH && in == in_end;
            if (look >= TN__DEF_LOOKAHEAD || (flushing && (look > 0 || st->have_prev))) {
                if (st->p.greedy) tn__def_parse_greedy(st, flushing);
                else tn__def_parse_lazy(st, flushing);
                continue;
            }
        }
        if (in < in_end && st->flush_stage == 0) continue;
        if (flush == TN_DEFLATE_NO_FLUSH && st->flush_stage == 0) break;
        if (st->flush_stage == 0) {   /* all input parsed: end the block */
            st->flush_mode = flush;
            st->flush_stage = 1;
            if (st->nsyms > 0 || flush == TN_DEFLATE_FINISH) tn__def_start_block(st, flush == TN_DEFLATE_FINISH);
            continue;
        }
        if (st->flush_stage == 1) {
            if (st->flush_mode == TN_DEFLATE_FINISH) {
                tn__def_align(st);
                if (st->format == TN_DEFLATE_ZLIB) tn__def_put_be32(st, st->check);
                else if (st->format == TN_DEFLATE_GZIP) {
                    tn__def_put_le32(st, st->check);
                    tn__def_put_le32(st, (uint32_t)st->total_in);
                }
            } else {   /* empty stored block: 000, align, 00 00 ff ff */
                tn__def_put(st, 0, 3);
                tn__def_align(st);
                tn__def_put(st, 0, 16);
                tn__def_put(st, 0xffff, 16);
            }
            st->flush_stage = 2;
            continue;
        }
        st->flush_stage = 0;   /* stage 2 and the pending bytes are out */
        if (st->flush_mode == TN_DEFLATE_FINISH) st->phase = TN__DEF_FINISHED;
        else if (flush != st->flush_mode) continue;   /* a sync ended under another request: go on */
        rc = TN_DEFLATE_DONE;
        break;
    }
    *consumed = (size_t)(in - in_start);
    *produced = (size_t)(out - out_start);
    return rc;
}

TN_API int tn_deflate_once(const tn_deflate_opts *opts, const void *in, size_t in_len, void *out, size_t out_cap,
                           size_t *out_len) {
    tn_deflater *st;
    size_t used = 0, made = 0;
    int rc;
    *out_len = 0;
    rc = tn_deflater_new(opts, &st);
    if (rc != TN_OK) return rc;
    rc = tn_deflate(st, in, in_len, &used, out, out_cap, &made, TN_DEFLATE_FINISH);
    *out_len = made;
    tn_deflater_free(st);
    return rc == TN_DEFLATE_DONE ? TN_OK : rc < 0 ? rc : TN_EBUFFER_FULL;
}

#endif /* TN_HAS_DEFLATE */
/* <<deflate.c  end of src/deflate.c */

/* ======================================================================== */
/* >>url.c  (src/url.c)                                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/url.c"
#endif
/* url.c: URL parsing and resolution (RFC 3986), host:port, percent-escaping, query strings and forms. */
/* #include "url.h" (inlined above) */
/* #include "internal.h" (inlined above) */
/* #include "net.h" (inlined above) */

/* ---- character classes (RFC 3986 section 2) ---- */
TN__PRIVATE int tn__url_is_unreserved(int c) {
    return tn__is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
TN__PRIVATE int tn__url_is_subdelim(int c) {
    switch (c) {
    case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=':
        return 1;
    default:
        return 0;
    }
}

static const char tn__url_hex_upper[] = "0123456789ABCDEF";

/* ======================================================================================
   URLs
   ====================================================================================== */

TN__PRIVATE int tn__url_valid_ipv4(const char *s, size_t n) {
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

TN__PRIVATE int tn__url_valid_ipv6(const char *s, size_t n) {
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
            if (!tn__url_valid_ipv4(s + i, n - i)) return 0;
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
TN__PRIVATE int tn__url_valid_ip_literal(const char *s, size_t n) {
    size_t i, pct;
    if (n >= 1 && (s[0] == 'v' || s[0] == 'V')) {
        i = 1;
        while (i < n && tn__hexval((unsigned char)s[i]) >= 0) i++;
        if (i == 1 || i >= n || s[i] != '.') return 0;
        if (++i == n) return 0;
        for (; i < n; i++) {
            int c = (unsigned char)s[i];
            if (!tn__url_is_unreserved(c) && !tn__url_is_subdelim(c) && c != ':') return 0;
        }
        return 1;
    }
    for (pct = 0; pct < n && s[pct] != '%'; pct++) {}
    if (pct < n) {
        if (pct + 1 == n) return 0;   /* empty zone id */
        for (i = pct + 1; i < n; i++) {
            int c = (unsigned char)s[i];
            if (!tn__url_is_unreserved(c) && c != '%') return 0;
        }
    }
    return tn__url_valid_ipv6(s, pct);
}

/* A host without its port: an IP-literal when it was bracketed, else a reg-name. strict:
   the Host header's rules (ASCII only, well-formed %XX, no IPv6 zone id); otherwise
   tn_url_parse's (bytes >= 0x80 for raw IDNs, any '%', zone ids). */
TN__PRIVATE int tn__url_host_ok(tn_str h, int bracketed, int strict) {
    size_t i;
    if (bracketed) {
        if (strict && h.len && memchr(h.ptr, '%', h.len)) return 0;
        return tn__url_valid_ip_literal(h.ptr, h.len);
    }
    for (i = 0; i < h.len; i++) {
        int c = (unsigned char)h.ptr[i];
        if (tn__url_is_unreserved(c) || tn__url_is_subdelim(c)) continue;
        if (c == '%' && strict) {
            if (h.len - i < 3 || tn__hexval((unsigned char)h.ptr[i + 1]) < 0 ||
                tn__hexval((unsigned char)h.ptr[i + 2]) < 0)
                return 0;
            i += 2;
            continue;
        }
        if (!strict && (c == '%' || c >= 0x80)) continue;
        return 0;
    }
    return 1;
}

/* host [":" port]: split by the one splitter (net's tn_split_host_port), then check the host. */
TN__PRIVATE int tn__url_host_port(tn_str s, int strict, tn_str *host, int *port, int *bracketed) {
    int rc = tn_split_host_port(s, host, port);
    if (rc != 0) return rc;
    *bracketed = s.len > 0 && s.ptr[0] == '[';
    return tn__url_host_ok(*host, *bracketed, strict) ? TN_OK : TN_EBAD_URL;
}

/* reg-name bytes without '%' (RFC 3986 3.2.2: unreserved / sub-delims), for the fast path. */
static const unsigned char tn__url_regname[256] = {
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,1,0,0,1,0,1,1,1,1,1,1,1,1,1,0,1,1,1,1,1,1,1,1,1,1,0,1,0,1,0,0,
    0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,0,0,0,1,
    0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,0,0,1,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
};

TN_API int tn_url_parse_host_port(tn_str s, tn_str *host, int *port) {
    tn_str h;
    int p = -1, br, rc;
    size_t i = 0, j;
    if (!s.ptr) s = tn_str_make("", 0);
    /* fast path (every request's Host): plain reg-name bytes, then nothing or ":" digits */
    while (s.len - i >= 8) {   /* 8 lookups ANDed: one branch per 8 bytes */
        const unsigned char *u = (const unsigned char *)s.ptr + i, *t = tn__url_regname;
        if (!(t[u[0]] & t[u[1]] & t[u[2]] & t[u[3]] & t[u[4]] & t[u[5]] & t[u[6]] & t[u[7]])) break;
        i += 8;
    }
    while (i < s.len && tn__url_regname[(unsigned char)s.ptr[i]]) i++;
    h = tn_str_make(s.ptr, i);
    if (i < s.len && s.ptr[i] == ':' && s.len - i <= 6) {
        int v = 0;
        for (j = i + 1; j < s.len && tn__is_digit((unsigned char)s.ptr[j]); j++) v = v * 10 + (s.ptr[j] - '0');
        if (j == s.len && v <= 65535) {
            p = j > i + 1 ? v : -1;
            i = s.len;
        }
    }
    /* anything else (%XX, [IP-literal], errors): the general path decides */
    if (i != s.len && (rc = tn__url_host_port(s, 1, &h, &p, &br)) != 0) return rc;
    if (host) *host = h;
    if (port) *port = p;
    return TN_OK;
}

TN__PRIVATE int tn__url_parse_authority(const char *a, size_t m, tn_url *u) {
    size_t k, at = (size_t)-1, hs, ps;
    int rc, br;
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
            if (!(tn__url_is_unreserved(c) || tn__url_is_subdelim(c) || c == ':' || c == '%' || c >= 0x80))
                return TN_EBAD_URL;
        }
        u->userinfo = tn_str_make(a, at);
        u->flags |= TN_URL_HAS_USERINFO;
        hs = at + 1;
    }
    if ((rc = tn__url_host_port(tn_str_make(a + hs, m - hs), 0, &u->host, &u->port, &br)) != 0) return rc;
    if (br) u->flags |= TN_URL_IPV6;
    ps = (size_t)(u->host.ptr + u->host.len - a) + (size_t)br;   /* just after the host (and ']') */
    if (ps < m) {   /* a[ps] == ':' */
        u->flags |= TN_URL_HAS_PORT;
        u->port_str = tn_str_make(a + ps + 1, m - ps - 1);
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
        if ((rc = tn__url_parse_authority(s + i, j - i, out)) != 0) goto fail;
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
TN__PRIVATE size_t tn__url_remove_dots(char *s, size_t n) {
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
        n = ps + tn__url_remove_dots(out + ps, n - ps);
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
    return path ? tn__url_remove_dots(path, len) : 0;
}

/* ---- escaping ---- */
TN__PRIVATE void tn__url_escape_w(tn__buf_w *w, tn_str in, unsigned flags) {
    size_t i, run = 0;
    int plus = (flags & TN_URL_PLUS) != 0;
    if (!in.len) return;
    for (i = 0; i < in.len; i++) {
        unsigned char c = (unsigned char)in.ptr[i];
        char esc[3];
        if (tn__url_is_unreserved(c) || (c == '/' && !plus)) {
            run++;
            continue;
        }
        tn__buf_w_put(w, in.ptr + i - run, run);
        run = 0;
        if (c == ' ' && plus) {
            tn__buf_w_ch(w, '+');
        } else {
            esc[0] = '%';
            esc[1] = tn__url_hex_upper[c >> 4];
            esc[2] = tn__url_hex_upper[c & 15];
            tn__buf_w_put(w, esc, 3);
        }
    }
    tn__buf_w_put(w, in.ptr + in.len - run, run);
}

TN_API int tn_url_escape(tn_str in, unsigned flags, char *out, size_t cap, size_t *out_len) {
    tn__buf_w w;
    tn__buf_w_init(&w, out, cap);
    tn__url_escape_w(&w, in, flags);
    return tn__buf_w_end(&w, out_len);
}

TN_API int tn_url_escape_buf(tn_buf *b, tn_str in, unsigned flags) {
    tn__buf_w w;
    int rc;
    tn__buf_w_init(&w, NULL, 0);
    tn__url_escape_w(&w, in, flags);
    if ((rc = tn__buf_w_reserve(&w, b, w.n)) != 0) return rc;
    tn__url_escape_w(&w, in, flags);
    b->len += w.n;
    return TN_OK;
}

/* Decoded length of in; -1 (via *bad) for a malformed escape in strict mode. */
TN__PRIVATE size_t tn__url_unescape_len(tn_str in, unsigned flags, int *bad) {
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
TN__PRIVATE size_t tn__url_unescape_into(tn_str in, unsigned flags, char *out) {
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
    size_t n = tn__url_unescape_len(in, flags, &bad);
    if (out_len) *out_len = n;
    if (bad) return TN_EBAD_ENCODING;
    if (!out) return TN_OK;
    if (n > cap) return TN_EBUFFER_FULL;
    tn__url_unescape_into(in, flags, out);
    if (n < cap) out[n] = '\0';
    return TN_OK;
}

TN__PRIVATE void tn__url_pairs_w(tn__buf_w *w, const tn_str *pairs, size_t npairs) {
    size_t i;
    for (i = 0; i < npairs; i++) {
        if (i) tn__buf_w_ch(w, '&');
        tn__url_escape_w(w, pairs[2 * i], TN_URL_PLUS);
        tn__buf_w_ch(w, '=');
        tn__url_escape_w(w, pairs[2 * i + 1], TN_URL_PLUS);
    }
}

TN__PRIVATE void tn__url_concat_w(tn__buf_w *w, tn_str url, const tn_str *pairs, size_t npairs) {
    const char *hash, *q;
    size_t base;
    if (!url.ptr) url = tn_str_make("", 0);
    if (npairs == 0 || !pairs) {
        tn__buf_w_put(w, url.ptr, url.len);
        return;
    }
    hash = url.len ? (const char *)memchr(url.ptr, '#', url.len) : NULL;
    base = hash ? (size_t)(hash - url.ptr) : url.len;
    q = base ? (const char *)memchr(url.ptr, '?', base) : NULL;
    tn__buf_w_put(w, url.ptr, base);
    if (!q) tn__buf_w_ch(w, '?');
    else if (url.ptr[base - 1] != '?' && url.ptr[base - 1] != '&') tn__buf_w_ch(w, '&');
    tn__url_pairs_w(w, pairs, npairs);
    tn__buf_w_put(w, url.ptr + base, url.len - base);
}

TN_API int tn_url_concat(tn_str url, const tn_str *pairs, size_t npairs, char *out, size_t cap,
                         size_t *out_len) {
    tn__buf_w w;
    tn__buf_w_init(&w, out, cap);
    tn__url_concat_w(&w, url, pairs, npairs);
    return tn__buf_w_end(&w, out_len);
}

TN_API int tn_url_concat_buf(tn_buf *b, tn_str url, const tn_str *pairs, size_t npairs) {
    tn__buf_w w;
    int rc;
    tn__buf_w_init(&w, NULL, 0);
    tn__url_concat_w(&w, url, pairs, npairs);
    if ((rc = tn__buf_w_reserve(&w, b, w.n)) != 0) return rc;
    tn__url_concat_w(&w, url, pairs, npairs);
    b->len += w.n;
    return TN_OK;
}

TN_API int tn_form_encode(const tn_str *pairs, size_t npairs, char *out, size_t cap,
                          size_t *out_len) {
    tn__buf_w w;
    tn__buf_w_init(&w, out, cap);
    if (pairs) tn__url_pairs_w(&w, pairs, npairs);
    return tn__buf_w_end(&w, out_len);
}

TN_API int tn_form_encode_buf(tn_buf *b, const tn_str *pairs, size_t npairs) {
    tn__buf_w w;
    int rc;
    tn__buf_w_init(&w, NULL, 0);
    if (pairs) tn__url_pairs_w(&w, pairs, npairs);
    if ((rc = tn__buf_w_reserve(&w, b, w.n)) != 0) return rc;
    if (pairs) tn__url_pairs_w(&w, pairs, npairs);
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
    kn = tn__url_unescape_len(k, fl, &bad1);
    vn = tn__url_unescape_len(v, fl, &bad2);
    if (bad1 || bad2) return TN_EBAD_ENCODING;
    if (buf) {
        if (kn > cap || vn > cap - kn) return TN_EBUFFER_FULL;
        tn__url_unescape_into(k, fl, buf);
        tn__url_unescape_into(v, fl, buf + kn);
        *key = tn_str_make(buf, kn);
        *value = tn_str_make(buf + kn, vn);
    } else {
        /* in place: the caller promised the query bytes are writable */
        tn__url_unescape_into(k, fl, (char *)(uintptr_t)k.ptr);
        tn__url_unescape_into(v, fl, (char *)(uintptr_t)v.ptr);
        *key = tn_str_make(k.ptr, kn);
        *value = tn_str_make(v.ptr, vn);
    }
    return 1;
}
/* <<url.c  end of src/url.c */

/* ======================================================================== */
/* >>http_util.c  (src/http_util.c)                                         */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_util.c"
#endif
/* http_util.c: header parameters, HTTP dates, Range, status reasons, HTML and JSON escaping. */
/* #include "http_util.h" (inlined above) */
/* #include "internal.h" (inlined above) */

/* ---- character classes ---- */
TN__PRIVATE int tn__hu_is_ows(int c) { return c == ' ' || c == '\t'; }

static const char tn__hu_hex_lower[] = "0123456789abcdef";

TN__PRIVATE tn_str tn__hu_trim(tn_str s) {
    while (s.len && tn__hu_is_ows((unsigned char)s.ptr[0])) { s.ptr++; s.len--; }
    while (s.len && tn__hu_is_ows((unsigned char)s.ptr[s.len - 1])) s.len--;
    return s;
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
    return tn__hu_trim(tn_str_make(header.ptr, end));
}

TN_API int tn_param_next(tn_param_iter *it, tn_str *name, tn_str *raw) {
    const char *p = it->_p;
    size_t n = it->_len, pos = it->_pos;
    for (;;) {
        size_t ns, ne, vs;
        while (pos < n && (tn__hu_is_ows((unsigned char)p[pos]) || p[pos] == ';')) pos++;
        if (pos >= n) {
            it->_pos = n;
            return 0;
        }
        ns = pos;
        while (pos < n && p[pos] != '=' && p[pos] != ';') pos++;
        ne = pos;
        while (ne > ns && tn__hu_is_ows((unsigned char)p[ne - 1])) ne--;
        if (pos >= n || p[pos] == ';' || ne == ns) {
            /* no '=' (or no name): skipped, as Tornado does; skip a value too */
            if (pos < n && p[pos] == '=') {
                while (pos < n && p[pos] != ';') pos++;
            }
            continue;
        }
        pos++;   /* '=' */
        while (pos < n && tn__hu_is_ows((unsigned char)p[pos])) pos++;
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
            while (pos < n && tn__hu_is_ows((unsigned char)p[pos])) pos++;
            if (pos < n && p[pos] != ';') {
                it->_pos = n;
                return TN_EPARSE;
            }
        } else {
            size_t ve;
            while (pos < n && p[pos] != ';') pos++;
            ve = pos;
            while (ve > vs && tn__hu_is_ows((unsigned char)p[ve - 1])) ve--;
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
TN__PRIVATE int tn__hu_ext_value_decode(tn_str raw, char *buf, size_t cap, tn_str *value) {
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
        r = tn__hu_ext_value_decode(ext, buf, cap, value);
        if (r == TN_OK || r == TN_EBUFFER_FULL || !have_plain) return r;
    }
    if (have_plain) return tn_param_unquote(plain, buf, cap, value);
    return TN_ENOENT;
}

/* ======================================================================================
   HTTP dates
   ====================================================================================== */

static const char tn__hu_wday_names[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const tn__hu_wday_long[7] = { "Sunday", "Monday", "Tuesday", "Wednesday",
                                              "Thursday", "Friday", "Saturday" };
static const char tn__hu_mon_names[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

TN__PRIVATE int tn__hu_is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

TN__PRIVATE int tn__hu_days_in_month(int64_t y, int m) {
    static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && tn__hu_is_leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. Years are counted from March so
   that February (and its leap day) ends the year; 400-year eras repeat exactly. */
TN__PRIVATE int64_t tn__hu_days_from_civil(int64_t y, int m, int d) {
    int64_t era, yoe, doy, doe;
    if (m <= 2) y--;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;                                        /* 0..399 */
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;      /* 0..365, from March 1 */
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                /* 0..146096 */
    return era * 146097 + doe - 719468;                         /* 719468: 0000-03-01 → 1970 */
}

/* The inverse of tn__hu_days_from_civil. */
TN__PRIVATE void tn__hu_civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
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

TN__PRIVATE void tn__hu_put2(char *p, int v) {
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
    tn__hu_civil_from_days(days, &y, &m, &d);
    wd = (int)(((days % 7) + 11) % 7);   /* 1970-01-01 was a Thursday (4) */
    memcpy(out, tn__hu_wday_names[wd], 3);
    out[3] = ',';
    out[4] = ' ';
    tn__hu_put2(out + 5, d);
    out[7] = ' ';
    memcpy(out + 8, tn__hu_mon_names[m - 1], 3);
    out[11] = ' ';
    tn__hu_put2(out + 12, (int)(y / 100));
    tn__hu_put2(out + 14, (int)(y % 100));
    out[16] = ' ';
    tn__hu_put2(out + 17, (int)(secs / 3600));
    out[19] = ':';
    tn__hu_put2(out + 20, (int)(secs / 60 % 60));
    out[22] = ':';
    tn__hu_put2(out + 23, (int)(secs % 60));
    memcpy(out + 25, " GMT", 5);   /* with the NUL */
    return TN_OK;
}

typedef struct tn__hu_cur {
    const char *p;
    size_t n;
    size_t i;
} tn__hu_cur;

TN__PRIVATE int tn__hu_cur_lit(tn__hu_cur *c, const char *lit) {
    size_t k = strlen(lit);
    if (c->n - c->i < k || memcmp(c->p + c->i, lit, k) != 0) return 0;
    c->i += k;
    return 1;
}

TN__PRIVATE int tn__hu_cur_digits(tn__hu_cur *c, size_t k, int *v) {
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
TN__PRIVATE int tn__hu_cur_name(tn__hu_cur *c, const char *const *names, int count) {
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

TN__PRIVATE int tn__hu_cur_time(tn__hu_cur *c, int *hh, int *mm, int *ss) {
    return tn__hu_cur_digits(c, 2, hh) && tn__hu_cur_lit(c, ":") && tn__hu_cur_digits(c, 2, mm) &&
           tn__hu_cur_lit(c, ":") && tn__hu_cur_digits(c, 2, ss);
}

TN_API int tn_http_date_parse(tn_str s, int64_t *out) {
    static const char *const wd3[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const mon[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    tn__hu_cur c;
    int y = 0, m = 1, d = 0, hh = 0, mm = 0, ss = 0, ok;
    size_t namelen;
    if (!out) return TN_EINVAL;
    s = tn__hu_trim(s);
    c.p = s.ptr;
    c.n = s.len;
    c.i = 0;
    for (namelen = 0; namelen < s.len && tn__is_alpha((unsigned char)s.ptr[namelen]); namelen++) {}
    if (namelen == 3 && namelen < s.len && s.ptr[3] == ',') {
        /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
        ok = tn__hu_cur_name(&c, wd3, 7) >= 0 && tn__hu_cur_lit(&c, ", ") && tn__hu_cur_digits(&c, 2, &d) &&
             tn__hu_cur_lit(&c, " ") && (m = tn__hu_cur_name(&c, mon, 12) + 1) > 0 &&
             tn__hu_cur_lit(&c, " ") && tn__hu_cur_digits(&c, 4, &y) && tn__hu_cur_lit(&c, " ") &&
             tn__hu_cur_time(&c, &hh, &mm, &ss) && tn__hu_cur_lit(&c, " GMT");
    } else if (namelen > 3 && namelen < s.len && s.ptr[namelen] == ',') {
        /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
        int k = tn__hu_cur_name(&c, tn__hu_wday_long, 7);
        ok = k >= 0 && c.i == namelen && tn__hu_cur_lit(&c, ", ") && tn__hu_cur_digits(&c, 2, &d) &&
             tn__hu_cur_lit(&c, "-") && (m = tn__hu_cur_name(&c, mon, 12) + 1) > 0 &&
             tn__hu_cur_lit(&c, "-") && tn__hu_cur_digits(&c, 2, &y) && tn__hu_cur_lit(&c, " ") &&
             tn__hu_cur_time(&c, &hh, &mm, &ss) && tn__hu_cur_lit(&c, " GMT");
        y += y < 70 ? 2000 : 1900;
    } else if (namelen == 3 && namelen < s.len && s.ptr[3] == ' ') {
        /* asctime: Sun Nov  6 08:49:37 1994 */
        ok = tn__hu_cur_name(&c, wd3, 7) >= 0 && tn__hu_cur_lit(&c, " ") &&
             (m = tn__hu_cur_name(&c, mon, 12) + 1) > 0 && tn__hu_cur_lit(&c, " ") &&
             (tn__hu_cur_lit(&c, " ") ? tn__hu_cur_digits(&c, 1, &d) : tn__hu_cur_digits(&c, 2, &d)) &&
             tn__hu_cur_lit(&c, " ") && tn__hu_cur_time(&c, &hh, &mm, &ss) && tn__hu_cur_lit(&c, " ") &&
             tn__hu_cur_digits(&c, 4, &y);
    } else {
        return TN_EPARSE;
    }
    if (!ok || c.i != c.n) return TN_EPARSE;
    if (d < 1 || d > tn__hu_days_in_month(y, m) || hh > 23 || mm > 59 || ss > 60) return TN_EPARSE;
    *out = tn__hu_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
    return TN_OK;
}

/* ======================================================================================
   Range
   ====================================================================================== */

/* 1*DIGIT with saturation at UINT64_MAX; returns digits consumed. */
TN__PRIVATE size_t tn__hu_digits_u64(const char *s, size_t n, uint64_t *v) {
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
    header = tn__hu_trim(header);
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
        while (es < ee && tn__hu_is_ows((unsigned char)s[es])) es++;
        while (ee > es && tn__hu_is_ows((unsigned char)s[ee - 1])) ee--;
        if (es < ee) {
            if (++specs > limit) return TN_ELIMIT;
            if (s[es] == '-') {   /* suffix-range: "-" suffix-length */
                k = tn__hu_digits_u64(s + es + 1, ee - es - 1, &last);
                if (k == 0 || es + 1 + k != ee) return TN_EPARSE;
                if (last > 0 && size > 0) {
                    out[got].first = last >= size ? 0 : size - last;
                    out[got].last = size - 1;
                    got++;
                }
            } else {              /* int-range: first-pos "-" [ last-pos ] */
                k = tn__hu_digits_u64(s + es, ee - es, &first);
                if (k == 0 || es + k >= ee || s[es + k] != '-') return TN_EPARSE;
                es += k + 1;
                last = UINT64_MAX;
                if (es < ee) {
                    k = tn__hu_digits_u64(s + es, ee - es, &last);
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

TN__PRIVATE void tn__hu_content_range_w(tn__buf_w *w, const tn_range *r, uint64_t size) {
    tn__buf_w_put(w, "bytes ", 6);
    if (r) {
        tn__buf_w_u64(w, r->first);
        tn__buf_w_ch(w, '-');
        tn__buf_w_u64(w, r->last);
    } else {
        tn__buf_w_ch(w, '*');
    }
    tn__buf_w_ch(w, '/');
    tn__buf_w_u64(w, size);
}

TN_API int tn_content_range_format(const tn_range *r, uint64_t size, char *out, size_t cap,
                                   size_t *out_len) {
    tn__buf_w w;
    if (r && r->last < r->first) return TN_EINVAL;
    tn__buf_w_init(&w, out, cap);
    tn__hu_content_range_w(&w, r, size);
    return tn__buf_w_end(&w, out_len);
}

/* ======================================================================================
   Entity-tags
   ====================================================================================== */

/* entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text, at s[i..n).
   Returns the index just after it (*opaque = the bytes between the quotes), or 0. */
TN__PRIVATE size_t tn__hu_etag(const char *s, size_t n, size_t i, int *weak, tn_str *opaque) {
    size_t q;
    *weak = 0;
    if (n - i >= 2 && s[i] == 'W' && s[i + 1] == '/') {
        *weak = 1;
        i += 2;
    }
    if (i >= n || s[i] != '"') return 0;
    for (q = i + 1; q < n && s[q] != '"'; q++) {
        unsigned char c = (unsigned char)s[q];
        if (c < 0x21 || c == 0x7f) return 0;
    }
    if (q >= n) return 0;
    *opaque = tn_str_make(s + i + 1, q - i - 1);
    return q + 1;
}

TN_API int tn_http_etag_match(tn_str list, tn_str etag, int comparison) {
    tn_str ours, theirs;
    int our_weak, their_weak, found = 0;
    size_t i = 0, e;
    if (!etag.ptr || !list.ptr) return 0;
    e = tn__hu_etag(etag.ptr, etag.len, 0, &our_weak, &ours);
    if (e == 0 || e != etag.len) return 0;
    list = tn__hu_trim(list);
    if (list.len == 1 && list.ptr[0] == '*') return 1;
    for (;;) {
        while (i < list.len && (tn__hu_is_ows((unsigned char)list.ptr[i]) || list.ptr[i] == ',')) i++;
        if (i >= list.len) break;
        if ((e = tn__hu_etag(list.ptr, list.len, i, &their_weak, &theirs)) == 0) return 0;
        if (tn_str_eq(theirs, ours) && (comparison != TN_ETAG_STRONG || (!our_weak && !their_weak))) found = 1;
        i = e;
        while (i < list.len && tn__hu_is_ows((unsigned char)list.ptr[i])) i++;
        if (i < list.len && list.ptr[i] != ',') return 0;
    }
    return found;
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

TN__PRIVATE void tn__hu_xhtml_escape_w(tn__buf_w *w, tn_str in) {
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
        tn__buf_w_put(w, in.ptr + i - run, run);
        run = 0;
        tn__buf_w_put(w, rep, strlen(rep));
    }
    tn__buf_w_put(w, in.ptr + in.len - run, run);
}

TN_API int tn_xhtml_escape(tn_str in, char *out, size_t cap, size_t *out_len) {
    tn__buf_w w;
    tn__buf_w_init(&w, out, cap);
    tn__hu_xhtml_escape_w(&w, in);
    return tn__buf_w_end(&w, out_len);
}

TN_API int tn_xhtml_escape_buf(tn_buf *b, tn_str in) {
    tn__buf_w w;
    int rc;
    tn__buf_w_init(&w, NULL, 0);
    tn__hu_xhtml_escape_w(&w, in);
    if ((rc = tn__buf_w_reserve(&w, b, w.n)) != 0) return rc;
    tn__hu_xhtml_escape_w(&w, in);
    b->len += w.n;
    return TN_OK;
}

TN__PRIVATE void tn__hu_json_escape_w(tn__buf_w *w, tn_str in) {
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
            esc[4] = tn__hu_hex_lower[c >> 4];
            esc[5] = tn__hu_hex_lower[c & 15];
            rep = esc;
            replen = 6;
        } else if (c == 0xE2 && i + 2 < in.len && s[i + 1] == 0x80 &&
                   (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
            rep = s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
            replen = 6;
            tn__buf_w_put(w, in.ptr + i - run, run);
            run = 0;
            tn__buf_w_put(w, rep, replen);
            i += 2;
            continue;
        }
        if (!rep) {
            run++;
            continue;
        }
        tn__buf_w_put(w, in.ptr + i - run, run);
        run = 0;
        tn__buf_w_put(w, rep, replen);
    }
    tn__buf_w_put(w, in.ptr + in.len - run, run);
}

TN_API int tn_json_escape(tn_str in, char *out, size_t cap, size_t *out_len) {
    tn__buf_w w;
    tn__buf_w_init(&w, out, cap);
    tn__hu_json_escape_w(&w, in);
    return tn__buf_w_end(&w, out_len);
}

TN_API int tn_json_escape_buf(tn_buf *b, tn_str in) {
    tn__buf_w w;
    int rc;
    tn__buf_w_init(&w, NULL, 0);
    tn__hu_json_escape_w(&w, in);
    if ((rc = tn__buf_w_reserve(&w, b, w.n)) != 0) return rc;
    tn__hu_json_escape_w(&w, in);
    b->len += w.n;
    return TN_OK;
}
/* <<http_util.c  end of src/http_util.c */

/* ======================================================================== */
/* >>http_parse.c  (src/http_parse.c)                                       */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_parse.c"
#endif
/* http_parse.c: strict incremental HTTP/1.1 head parser, framing, chunked codec, header utilities. */
/* #include "base.h" (inlined above) */
/* #include "internal.h" (inlined above) */
/* #include "http_parse.h" (inlined above) */
/* #include "url.h" (inlined above) */

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

/* 1 if c is a tchar. The one tchar check: later modules (multipart, cookies, router,
   server) call this rather than keep their own copy. */
TN__PRIVATE int tn__http_is_tchar(int c) { return tn__http_tchar[(unsigned char)c]; }
#define TN__HTTP_WS(c) ((c) == ' ' || (c) == '\t')

/* ASCII case-insensitive equality of s[0..n) and a lowercase literal lit[0..n). */
TN__PRIVATE int tn__http_ieq_lit(const char *s, size_t n, const char *lit, size_t litn) {
    size_t i;
    if (n != litn) return 0;
    for (i = 0; i < n; i++)
        if (tn__lower((unsigned char)s[i]) != (unsigned char)lit[i]) return 0;
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
        if (tn__lower((unsigned char)s.ptr[i]) != tn__lower((unsigned char)c[i])) return 0;
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

/* Bytes a request-target may hold (RFC 3986 section 2 and RFC 9112 section 3.2): the visible
   ASCII bytes except " # < > \ ^ ` { | }, which no URI contains; '%' is allowed unchecked. */
static const unsigned char tn__http_target_ok[256] = {
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,1,0,0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,1,0,1,
    1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,1,0,1,
    0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,0,0,1,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
};

/* First byte in [p, end) that cannot be in a request-target (tn__http_target_ok), else end.
   SSE2, five compares: a signed v < 0x21 finds controls, SP and bytes >= 0x80; v > 'z' finds
   { | } ~ DEL; (v | 0x62) == 0x7e finds < > \ ^ | ~ (and some controls); (v | 1) == '#' finds
   " #; then '`'. '~' is the one allowed byte the masks catch: it is taken out at the end. */
TN__PRIVATE const char *tn__http_scan_target(const char *p, const char *end) {
#if TN__HAVE_SSE2
    const __m128i sp1 = _mm_set1_epi8(0x21), z = _mm_set1_epi8(0x7a), tilde = _mm_set1_epi8(0x7e);
    const __m128i m62 = _mm_set1_epi8(0x62), one = _mm_set1_epi8(0x01), hash = _mm_set1_epi8(0x23);
    const __m128i btick = _mm_set1_epi8(0x60);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, sp1), _mm_cmpgt_epi8(v, z));
        int mask;
        bad = _mm_or_si128(bad, _mm_cmpeq_epi8(_mm_or_si128(v, m62), tilde));
        bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(v, one), hash), _mm_cmpeq_epi8(v, btick)));
        mask = _mm_movemask_epi8(_mm_andnot_si128(_mm_cmpeq_epi8(v, tilde), bad));
        if (mask) return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
#else
    const unsigned char *t = tn__http_target_ok;
    while (end - p >= 8) {   /* 8 lookups ANDed: one branch per 8 bytes */
        const unsigned char *u = (const unsigned char *)p;
        if (!(t[u[0]] & t[u[1]] & t[u[2]] & t[u[3]] & t[u[4]] & t[u[5]] & t[u[6]] & t[u[7]])) break;
        p += 8;
    }
#endif
    while (p < end && tn__http_target_ok[(unsigned char)*p]) p++;
    return p;
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

TN_API int tn_http_is_token(tn_str s) {
    return s.len > 0 && tn__http_scan_token(s.ptr, s.ptr + s.len) == s.ptr + s.len;
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
enum { TN__HTTP_PH_LINE = 0, TN__HTTP_PH_TOKEN = 1, TN__HTTP_PH_TARGET = 2, TN__HTTP_PH_VALUE = 3 };
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
        stop->phase = TN__HTTP_PH_TOKEN;
        if (TN__UNLIKELY(p == end)) return TN_EINCOMPLETE;
        if (*p == '\r') {
            stop->phase = TN__HTTP_PH_LINE;
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
        stop->phase = TN__HTTP_PH_VALUE;
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
                stop->phase = TN__HTTP_PH_LINE;
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
    int hosts, host_bad, upgrade, expect_continue;
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
            if (n == 4 && tn__http_name_is(nm, 4, "host", 4)) {
                f->hosts++;
                if (tn_url_parse_host_port(h[i].value, NULL, NULL) != 0) f->host_bad = 1;
            }
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
    if (st->phase == TN__HTTP_PH_LINE) return 1;
    p = buf + st->scan;
    if (st->phase == TN__HTTP_PH_TOKEN) {
        p = tn__http_scan_token(p, end);
    } else if (st->phase == TN__HTTP_PH_TARGET) {
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
        /* authority-form (RFC 9112 §3.2.3): uri-host ":" port, nothing else */
        tn_str host;
        int port;
        if (tn_url_parse_host_port(t, &host, &port) != 0 || host.len == 0 || port < 0) return TN_EBAD_TARGET;
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
        if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, p, 0, TN__HTTP_PH_LINE, p, max_head);
        if (rc < 0) TN__HTTP_FAIL(rc);
        line = p;
        p = tn__http_scan_token(p, end);
        if (p == end) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_TOKEN, end, max_head);
        if (*p != ' ' || p == line) TN__HTTP_FAIL((p == line && *p == '\n') ? TN_EPARSE : TN_EBAD_METHOD);
        req->method.ptr = line;
        req->method.len = (size_t)(p - line);
        t = ++p;
        p = tn__http_scan_target(p, end);
        if ((size_t)(p - t) > max_target) TN__HTTP_FAIL(TN_EURI_TOO_LONG);
        if (p == end) {
            st->mark = (size_t)(t - buf);
            return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_TARGET, end, max_head);
        }
        if (*p != ' ' || p == t) TN__HTTP_FAIL((p != t && (*p == '\r' || *p == '\n')) ? TN_EBAD_VERSION : TN_EBAD_TARGET);
        req->target.ptr = t;
        req->target.len = (size_t)(p - t);
        p++;
        rc = tn__http_version(p, end, &req->version);
        if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_LINE, p, max_head);
        if (rc < 0) TN__HTTP_FAIL(rc);
        p += rc;
        rc = tn__http_crlf(p, end, TN_EBAD_VERSION);
        if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_LINE, p, max_head);
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
    if (f.host_bad) return TN_EBAD_HEADER_VALUE;    /* RFC 9112 §3.2: Host is not host[:port] */
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
        if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, p, 0, TN__HTTP_PH_LINE, p, max_head);
        if (rc < 0) TN__HTTP_FAIL(rc);
        line = p;
        rc = tn__http_version(p, end, &res->version);
        if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_LINE, line, max_head);
        if (rc < 0) TN__HTTP_FAIL(rc);
        p += rc;
        /* SP 3DIGIT [SP reason] CRLF; the SP before an empty reason may be missing */
        for (i = 0; i < 4; i++) {
            if (p + i == end) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_LINE, line, max_head);
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
        if (p == end) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_LINE, line, max_head);
        if (*p == ' ') p++;
        else if (*p != '\r' && *p != '\n') TN__HTTP_FAIL(TN_EBAD_STATUS);
        r = p;
        for (;;) {
            p = tn__http_scan_value(p, end);
            if (p == end) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_VALUE, end, max_head);
            if (*p != '\t') break;
            p++;
        }
        res->reason.ptr = r;
        res->reason.len = (size_t)(p - r);
        rc = tn__http_crlf(p, end, TN_EBAD_STATUS);
        if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_LINE, line, max_head);
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
    TN__HTTP_CK_SIZE = 0, TN__HTTP_CK_EXT_NAME0, TN__HTTP_CK_EXT_NAME, TN__HTTP_CK_EXT_VAL0,
    TN__HTTP_CK_EXT_VAL, TN__HTTP_CK_EXT_QUOTED, TN__HTTP_CK_EXT_QESC, TN__HTTP_CK_EXT_VALEND,
    TN__HTTP_CK_EXT_SEMI, TN__HTTP_CK_EXT_EQ, TN__HTTP_CK_SIZE_LF, TN__HTTP_CK_DATA, TN__HTTP_CK_DATA_CR,
    TN__HTTP_CK_DATA_LF, TN__HTTP_CK_TR_START, TN__HTTP_CK_TR_NAME, TN__HTTP_CK_TR_VALUE, TN__HTTP_CK_TR_LF,
    TN__HTTP_CK_FINAL_LF, TN__HTTP_CK_DONE, TN__HTTP_CK_ERROR
};

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

    if (d->_state == TN__HTTP_CK_ERROR) { *len = 0; return TN_EBAD_CHUNK; }
    if (d->_state == TN__HTTP_CK_DONE) { *len = 0; return n > 0x7fffffffu ? 0x7fffffff : (int)n; }
    if (n > 0x7fffffffu) return TN_EINVAL;
    for (;;) {
        unsigned char c;
        if (d->_state == TN__HTTP_CK_DATA) {
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
            d->_state = TN__HTTP_CK_DATA_CR;
            continue;
        }
        if (src == n) break;
        c = (unsigned char)buf[src++];
        if (d->_state < TN__HTTP_CK_DATA) {
            if (++d->_count > max_line) { rc = TN_EBAD_CHUNK; goto fail; }
        } else if (d->_state >= TN__HTTP_CK_TR_START) {
            if (++d->_count > max_trailer) { rc = TN_EHEADER_TOO_LARGE; goto fail; }
        }
        switch (d->_state) {
        case TN__HTTP_CK_SIZE: {
            int v = tn__hexval(c);
            if (v >= 0) {
                if (d->_left >> 60) { rc = TN_EBAD_CHUNK; goto fail; }   /* overflow */
                d->_left = (d->_left << 4) | (uint64_t)v;
                d->_sub++;
            } else if (c == ';' || c == '\r' || TN__HTTP_WS(c)) {
                if ((rc = tn__http_chunk_size_end(d)) != 0) goto fail;
                d->_state = c == ';' ? TN__HTTP_CK_EXT_NAME0 : c == '\r' ? TN__HTTP_CK_SIZE_LF : TN__HTTP_CK_EXT_SEMI;
            } else {
                rc = TN_EBAD_CHUNK;
                goto fail;
            }
            break;
        }
        /* chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ) (RFC 9112 §7.1.1): BWS (SP,
           HTAB) only where a ';' or '=' follows, so a line never ends in whitespace */
        case TN__HTTP_CK_EXT_NAME0:
            if (TN__HTTP_WS(c)) break;
            if (!TN__HTTP_TCHAR(c)) { rc = TN_EBAD_CHUNK; goto fail; }
            d->_state = TN__HTTP_CK_EXT_NAME;
            break;
        case TN__HTTP_CK_EXT_NAME:
            if (TN__HTTP_TCHAR(c)) break;
            if (c == '=') d->_state = TN__HTTP_CK_EXT_VAL0;
            else if (c == ';') d->_state = TN__HTTP_CK_EXT_NAME0;
            else if (c == '\r') d->_state = TN__HTTP_CK_SIZE_LF;
            else if (TN__HTTP_WS(c)) d->_state = TN__HTTP_CK_EXT_EQ;
            else { rc = TN_EBAD_CHUNK; goto fail; }
            break;
        case TN__HTTP_CK_EXT_EQ:
            if (TN__HTTP_WS(c)) break;
            if (c == '=') d->_state = TN__HTTP_CK_EXT_VAL0;
            else if (c == ';') d->_state = TN__HTTP_CK_EXT_NAME0;
            else { rc = TN_EBAD_CHUNK; goto fail; }
            break;
        case TN__HTTP_CK_EXT_VAL0:
            if (TN__HTTP_WS(c)) break;
            if (c == '"') d->_state = TN__HTTP_CK_EXT_QUOTED;
            else if (TN__HTTP_TCHAR(c)) d->_state = TN__HTTP_CK_EXT_VAL;
            else { rc = TN_EBAD_CHUNK; goto fail; }
            break;
        case TN__HTTP_CK_EXT_VAL:
            if (TN__HTTP_TCHAR(c)) break;
            if (c == ';') d->_state = TN__HTTP_CK_EXT_NAME0;
            else if (c == '\r') d->_state = TN__HTTP_CK_SIZE_LF;
            else if (TN__HTTP_WS(c)) d->_state = TN__HTTP_CK_EXT_SEMI;
            else { rc = TN_EBAD_CHUNK; goto fail; }
            break;
        case TN__HTTP_CK_EXT_QUOTED:
            if (c == '"') d->_state = TN__HTTP_CK_EXT_VALEND;
            else if (c == '\\') d->_state = TN__HTTP_CK_EXT_QESC;
            else if (c == '\t' || (c >= 0x20 && c != 0x7f)) break;
            else { rc = TN_EBAD_CHUNK; goto fail; }
            break;
        case TN__HTTP_CK_EXT_QESC:
            if (c == '\t' || (c >= 0x20 && c != 0x7f)) d->_state = TN__HTTP_CK_EXT_QUOTED;
            else { rc = TN_EBAD_CHUNK; goto fail; }
            break;
        case TN__HTTP_CK_EXT_VALEND:
            if (c == ';') d->_state = TN__HTTP_CK_EXT_NAME0;
            else if (c == '\r') d->_state = TN__HTTP_CK_SIZE_LF;
            else if (TN__HTTP_WS(c)) d->_state = TN__HTTP_CK_EXT_SEMI;
            else { rc = TN_EBAD_CHUNK; goto fail; }
            break;
        case TN__HTTP_CK_EXT_SEMI:   /* BWS after the size or a value: the next extension's ';' */
            if (TN__HTTP_WS(c)) break;
            if (c == ';') d->_state = TN__HTTP_CK_EXT_NAME0;
            else { rc = TN_EBAD_CHUNK; goto fail; }
            break;
        case TN__HTTP_CK_SIZE_LF:
            if (c != '\n') { rc = TN_EBAD_CHUNK; goto fail; }
            d->_count = 0;
            if (d->_left == 0) {
                d->_state = TN__HTTP_CK_TR_START;
            } else {
                d->num_chunks++;
                d->_state = TN__HTTP_CK_DATA;
            }
            break;
        case TN__HTTP_CK_DATA_CR:
            if (c != '\r') { rc = TN_EBAD_CHUNK; goto fail; }
            d->_state = TN__HTTP_CK_DATA_LF;
            break;
        case TN__HTTP_CK_DATA_LF:
            if (c != '\n') { rc = TN_EBAD_CHUNK; goto fail; }
            d->_state = TN__HTTP_CK_SIZE;
            d->_count = 0;
            d->_sub = 0;
            d->_left = 0;
            break;
        case TN__HTTP_CK_TR_START:
            if (c == '\r') d->_state = TN__HTTP_CK_FINAL_LF;
            else if (TN__HTTP_TCHAR(c)) d->_state = TN__HTTP_CK_TR_NAME;
            else { rc = c == '\n' ? TN_EBAD_CHUNK : TN_EBAD_HEADER_NAME; goto fail; }
            break;
        case TN__HTTP_CK_TR_NAME:
            if (TN__HTTP_TCHAR(c)) break;
            if (c == ':') d->_state = TN__HTTP_CK_TR_VALUE;
            else { rc = TN_EBAD_HEADER_NAME; goto fail; }
            break;
        case TN__HTTP_CK_TR_VALUE:
            if (c == '\r') d->_state = TN__HTTP_CK_TR_LF;
            else if (c == '\t' || (c >= 0x20 && c != 0x7f)) break;
            else { rc = TN_EBAD_HEADER_VALUE; goto fail; }
            break;
        case TN__HTTP_CK_TR_LF:
            if (c != '\n') { rc = TN_EBAD_HEADER_VALUE; goto fail; }
            d->_state = TN__HTTP_CK_TR_START;
            break;
        case TN__HTTP_CK_FINAL_LF:
            if (c != '\n') { rc = TN_EBAD_CHUNK; goto fail; }
            d->_state = TN__HTTP_CK_DONE;
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
    d->_state = TN__HTTP_CK_ERROR;
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

/* ======================================================================== */
/* >>multipart.c  (src/multipart.c)                                         */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/multipart.c"
#endif
/* multipart.c: the multipart/form-data push parser. */
/* #include "multipart.h" (inlined above) */
/* #include "internal.h" (inlined above) */
/* #include "http_parse.h" (inlined above) */

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
        for (k = ls; k < le && tn__http_is_tchar((unsigned char)h[k]); k++) {}
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

/* ======================================================================== */
/* >>http_cookie.c  (src/http_cookie.c)                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_cookie.c"
#endif
/* http_cookie.c: Cookie header parsing, Set-Cookie formatting, Tornado signed values (v2), HTTP Basic auth. */
/* #include "http_cookie.h" (inlined above) */
/* #include "internal.h" (inlined above) */
/* #include "http_util.h" (inlined above) */
/* #include "http_parse.h" (inlined above) */

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
TN__PRIVATE int tn__ck_space(unsigned char c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
}

TN__PRIVATE tn_str tn__ck_trim(const char *p, size_t n) {
    while (n && tn__ck_space((unsigned char)p[0])) { p++; n--; }
    while (n && tn__ck_space((unsigned char)p[n - 1])) n--;
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
            name = tn__ck_trim(chunk, (size_t)(eq - chunk));
            value = tn__ck_trim(eq + 1, clen - (size_t)(eq - chunk) - 1);
        } else {
            name = tn_str_make(chunk, 0);
            value = tn__ck_trim(chunk, clen);
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

/* RFC 6265 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E. These are also
   exactly the printable bytes Python's http.cookies leaves unescaped inside quotes. */
TN__PRIVATE int tn__ck_is_cookie_octet(unsigned char c) {
    return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
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
    if (!tn_http_is_token(name)) return TN_EINVAL;
    /* value: never CTL, space or DEL; otherwise cookie-octets, or quoted */
    for (i = 0; i < value.len; i++) {
        unsigned char c = (unsigned char)value.ptr[i];
        if (c <= 0x20 || c == 0x7f) return TN_EINVAL;
        if (!tn__ck_is_cookie_octet(c)) needs_quote = 1;
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
            if (tn__ck_is_cookie_octet(c)) {
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
        char date[TN_HTTP_DATE_LEN + 1];
        if (tn_http_date_format(opts->expires, date) < 0) return TN_EINVAL;   /* the shared formatter */
        tn__ck_wr_cstr(&w, "; Expires=");
        tn__ck_wr_put(&w, date, TN_HTTP_DATE_LEN);
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
TN__PRIVATE int tn__ck_sv_field(tn_str v, size_t *pos, tn_str *field) {
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
TN__PRIVATE int tn__ck_sv_int(tn_str f, int allow_neg, int64_t *out) {
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

typedef struct tn__ck_sv_parts {
    int64_t key_version;
    tn_str timestamp, name, value, sig;
    size_t signed_len;   /* bytes covered by the signature */
} tn__ck_sv_parts;

TN__PRIVATE int tn__ck_sv_parse(tn_str v, tn__ck_sv_parts *pp) {
    size_t pos = 2;
    tn_str kv;
    if (v.len < 2 || v.ptr[0] != '2' || v.ptr[1] != '|') return TN_EPARSE;
    if (tn__ck_sv_field(v, &pos, &kv) != TN_OK || tn__ck_sv_int(kv, 0, &pp->key_version) != TN_OK ||
        pp->key_version > 0xffffffffu)
        return TN_EPARSE;
    if (tn__ck_sv_field(v, &pos, &pp->timestamp) != TN_OK) return TN_EPARSE;
    if (tn__ck_sv_field(v, &pos, &pp->name) != TN_OK) return TN_EPARSE;
    if (tn__ck_sv_field(v, &pos, &pp->value) != TN_OK) return TN_EPARSE;
    pp->signed_len = pos;
    pp->sig = tn_str_make(v.ptr + pos, v.len - pos);
    return TN_OK;
}

TN_API int tn_signed_value_key_version(tn_str signed_value, unsigned *key_version) {
    tn__ck_sv_parts pp;
    if (tn__ck_sv_parse(signed_value, &pp) != TN_OK) return TN_EPARSE;
    if (key_version) *key_version = (unsigned)pp.key_version;
    return TN_OK;
}

TN_API int tn_signed_value_decode(tn_str secret, tn_str name, tn_str signed_value, int64_t now,
                                  double max_age_days, char *out, size_t cap, size_t *out_len) {
    tn__ck_sv_parts pp;
    unsigned char mac[TN_SHA256_SIZE];
    char hex[2 * TN_SHA256_SIZE];
    int64_t ts;
    size_t need;
    if (out_len) *out_len = 0;
    if (tn__ck_sv_parse(signed_value, &pp) != TN_OK) return TN_EPARSE;
    tn_hmac_sha256(secret.ptr, secret.len, signed_value.ptr, pp.signed_len, mac);
    (void)tn_hex_encode(mac, sizeof mac, hex, sizeof hex, NULL);
    if (!tn_ct_str_equal(pp.sig, tn_str_make(hex, sizeof hex))) return TN_EBAD_SIGNATURE;
    if (!tn_str_eq(pp.name, name)) return TN_EBAD_SIGNATURE;
    if (tn__ck_sv_int(pp.timestamp, 1, &ts) != TN_OK) return TN_EPARSE;
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
    if (tn__ck_sv_int(tsf, 1, &ts) != TN_OK) return TN_EPARSE;
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

/* ======================================================================== */
/* >>ws.c  (src/ws.c)                                                       */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/ws.c"
#endif
/* ws.c: WebSocket (RFC 6455) frame codec, close payloads and handshake helpers, pure (no I/O). */
/* #include "ws.h" (inlined above) */
/* #include "internal.h" (inlined above) */
/* #include "crypto.h" (inlined above) */
/* #include "http_parse.h" (inlined above) */

#if TN_HAS_WEBSOCKET

/* ---- policy ----------------------------------------------------------------------------
   The frame parser is a push parser over any split of the input (one byte at a time
   works): bytes in, events out, no I/O, no allocation. It keeps at most a partial header
   (14 bytes) and a control payload (125 bytes) between calls; data payload is never held
   back: each piece is unmasked (in place or into caller memory) and handed out at once.
   Refused, as RFC 6455 requires and Tornado does (all TN_EWS_PROTOCOL → close 1002):
   - reserved opcodes (3-7, 0xB-0xF);
   - RSV bits no extension claimed (tn_ws_parser.rsv_allowed); claimed bits only on the
     first frame of a data message, which is how permessage-deflate (RFC 7692 §6.1) uses
     RSV1 and the only place a registered extension uses them;
   - a client frame without a mask (server role), a server frame with one (client role);
   - control frames with FIN clear or a payload over 125 bytes;
   - a length that is not in its shortest encoding (RFC 6455 §5.2: "the minimal number of
     bytes MUST be used"), or a 64-bit length with the top bit set;
   - a continuation frame with no message open, a TEXT/BINARY frame while one is open
     (control frames may come between fragments).
   Checks run as soon as the bytes they need are in: opcode, RSV, mask bit and control
   rules at the second header byte, length rules at the end of the header, the message
   size at the header too (running message length + this frame's declared length, so an
   oversized message fails before its payload arrives: TN_EWS_TOO_BIG → 1009), UTF-8 of
   text messages at the first bad byte of a piece (TN_EWS_BAD_UTF8 → 1007). Errors are
   sticky: a connection that broke the protocol is closed, never resynchronised.
   What the parser does not judge: close payloads (tn_ws_close_parse does), frames after a
   close (the endpoint stops reading), extension semantics (compressed messages are handed
   out as received, flagged by their RSV bits). */

enum { TN__WS_HEAD = 0, TN__WS_DATA = 1, TN__WS_CTL = 2, TN__WS_ERROR = 3 };

/* ---- masking: SSE2 when available, 8 bytes at a time otherwise (same results) ---- */

/* The key rotated to `phase`: k[j] = key[(phase + j) & 3]; returns the same 4 bytes as a
   word in memory order. The pattern repeats every 4 bytes, so a 64-bit word of two copies
   (or a 128-bit vector of four) is right in either byte order. */
TN__PRIVATE uint32_t tn__ws_key_word(const unsigned char key[4], uint64_t phase, unsigned char k[4]) {
    unsigned s = (unsigned)(phase & 3);
    uint32_t w;
    k[0] = key[s];
    k[1] = key[(s + 1) & 3];
    k[2] = key[(s + 2) & 3];
    k[3] = key[(s + 3) & 3];
    memcpy(&w, k, 4);
    return w;
}

/* dst[i..n) = src[i..n) ^ pattern, 8 bytes at a time, then bytewise (i is a multiple of 4). */
TN__PRIVATE void tn__ws_mask_words(unsigned char *dst, const unsigned char *src, size_t i, size_t n,
                                   const unsigned char k[4], uint32_t kw32) {
    uint64_t kw = ((uint64_t)kw32 << 32) | kw32;
    for (; n - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, src + i, 8);
        w ^= kw;
        memcpy(dst + i, &w, 8);
    }
    for (; i < n; i++) dst[i] = (unsigned char)(src[i] ^ k[i & 3]);
}

TN__PRIVATE void tn__ws_mask_scalar(unsigned char *dst, const unsigned char *src, size_t n, const unsigned char key[4],
                                    uint64_t phase) {
    unsigned char k[4];
    uint32_t kw = tn__ws_key_word(key, phase, k);
    tn__ws_mask_words(dst, src, 0, n, k, kw);
}

#if TN__HAVE_SSE2
TN__PRIVATE void tn__ws_mask_sse2(unsigned char *dst, const unsigned char *src, size_t n, const unsigned char key[4],
                                  uint64_t phase) {
    unsigned char k[4];
    uint32_t kw = tn__ws_key_word(key, phase, k);
    __m128i kv = _mm_set1_epi32((int)kw);   /* x86 is little-endian: lanes repeat k[0..3] in memory */
    size_t i = 0;
    for (; n - i >= 64; i += 64) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 32));
        __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 48));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_xor_si128(a, kv));
        _mm_storeu_si128((__m128i *)(void *)(dst + i + 16), _mm_xor_si128(b, kv));
        _mm_storeu_si128((__m128i *)(void *)(dst + i + 32), _mm_xor_si128(c, kv));
        _mm_storeu_si128((__m128i *)(void *)(dst + i + 48), _mm_xor_si128(d, kv));
    }
    for (; n - i >= 16; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_xor_si128(a, kv));
    }
    tn__ws_mask_words(dst, src, i, n, k, kw);
}
#endif

TN__PRIVATE void tn__ws_mask(unsigned char *dst, const unsigned char *src, size_t n, const unsigned char key[4],
                             uint64_t phase) {
#if TN__HAVE_SSE2
    tn__ws_mask_sse2(dst, src, n, key, phase);
#else
    tn__ws_mask_scalar(dst, src, n, key, phase);
#endif
}

TN_API void tn_ws_mask(char *data, size_t n, const unsigned char key[4], uint64_t phase) {
    tn__ws_mask((unsigned char *)data, (const unsigned char *)data, n, key, phase);
}

TN_API void tn_ws_mask_copy(char *dst, const char *src, size_t n, const unsigned char key[4], uint64_t phase) {
    tn__ws_mask((unsigned char *)dst, (const unsigned char *)src, n, key, phase);
}

/* ---- frame parser ---- */

TN__PRIVATE int tn__ws_fail(tn_ws_parser *p, int err) {
    p->_state = TN__WS_ERROR;
    p->_err = err;
    return err;
}

/* Header size announced by the first two bytes. */
TN__PRIVATE size_t tn__ws_head_size(unsigned b1) {
    unsigned len7 = b1 & 0x7f;
    return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((b1 & 0x80) ? 4 : 0);
}

/* The rules the first two header bytes decide (see the policy above). */
TN__PRIVATE int tn__ws_check_start(const tn_ws_parser *p, unsigned b0, unsigned b1) {
    unsigned op = b0 & 0x0f, rsv = b0 & 0x70;
    int masked = (b1 & 0x80) != 0;
    if ((op >= 3 && op <= 7) || op > TN_WS_PONG) return TN_EWS_PROTOCOL;
    if (op & 8) {
        if (!(b0 & 0x80) || (b1 & 0x7f) > TN_WS_MAX_CONTROL || rsv) return TN_EWS_PROTOCOL;
    } else if (op == TN_WS_CONT) {
        if (!p->_msg_opcode || rsv) return TN_EWS_PROTOCOL;
    } else if (p->_msg_opcode || (rsv & ~p->rsv_allowed)) {
        return TN_EWS_PROTOCOL;
    }
    if (masked != (p->role != TN_WS_CLIENT)) return TN_EWS_PROTOCOL;
    return TN_OK;
}

/* A complete header at h (its size already known to be right): fill p->_frame, check the
   length rules and the message size, and open a data message. */
TN__PRIVATE int tn__ws_take_head(tn_ws_parser *p, const unsigned char *h) {
    tn_ws_frame *f = &p->_frame;
    unsigned len7 = h[1] & 0x7f;
    const unsigned char *q = h + 2;
    uint64_t len = len7;
    if (len7 == 126) {
        len = ((uint64_t)q[0] << 8) | q[1];
        if (len < 126) return TN_EWS_PROTOCOL;
        q += 2;
    } else if (len7 == 127) {
        int i;
        len = 0;
        for (i = 0; i < 8; i++) len = (len << 8) | q[i];
        if ((len >> 63) || len < 65536) return TN_EWS_PROTOCOL;
        q += 8;
    }
    f->fin = (h[0] & 0x80) != 0;
    f->opcode = h[0] & 0x0f;
    f->rsv = h[0] & 0x70;
    f->masked = (h[1] & 0x80) != 0;
    if (f->masked) memcpy(f->mask, q, 4);
    else memset(f->mask, 0, 4);
    f->length = len;
    p->_left = len;
    if (f->opcode & 8) {
        p->_state = TN__WS_CTL;
        p->_clen = 0;
        return TN_OK;
    }
    {
        uint64_t max = TN__DEF(p->max_message_size, (uint64_t)TORNADO_MAX_WS_MESSAGE);
        uint64_t sofar = f->opcode == TN_WS_CONT ? p->_msg_len : 0;
        if (len > max || sofar > max - len) return TN_EWS_TOO_BIG;
    }
    if (f->opcode != TN_WS_CONT) {
        p->_msg_opcode = f->opcode;
        p->_msg_rsv = f->rsv;
        p->_msg_len = 0;
        tn_utf8_init(&p->_utf8);
    }
    p->_state = TN__WS_DATA;
    return TN_OK;
}

/* The parser proper. in/len: input; dst_base: where payload goes (the input itself for
   in-place unmasking, with dst_in_place set, or caller memory of cap bytes). */
TN__PRIVATE int tn__ws_run(tn_ws_parser *p, const unsigned char *in, size_t len, unsigned char *out, size_t cap,
                           int in_place, tn_ws_event *ev) {
    size_t pos = 0;
    unsigned flags = 0;
    if (p->_state == TN__WS_ERROR) return p->_err;
    if (len > 0x7fffffffu) len = 0x7fffffffu;   /* the result is an int: take at most INT_MAX per call */

    if (p->_state == TN__WS_HEAD) {
        int rc;
        if (p->_hlen == 0 && len >= 2 && len >= tn__ws_head_size(in[1])) {
            /* fast path: the whole header is in the input */
            if ((rc = tn__ws_check_start(p, in[0], in[1])) != TN_OK) return tn__ws_fail(p, rc);
            if ((rc = tn__ws_take_head(p, in)) != TN_OK) return tn__ws_fail(p, rc);
            pos = tn__ws_head_size(in[1]);
        } else {
            size_t hl = p->_hlen, need, take;
            while (hl < 2 && pos < len) p->_hdr[hl++] = in[pos++];
            if (hl < 2) {
                p->_hlen = (unsigned char)hl;
                return TN_EINCOMPLETE;
            }
            if ((rc = tn__ws_check_start(p, p->_hdr[0], p->_hdr[1])) != TN_OK) return tn__ws_fail(p, rc);
            need = tn__ws_head_size(p->_hdr[1]);
            take = TN__MIN(need - hl, len - pos);
            memcpy(p->_hdr + hl, in + pos, take);
            hl += take;
            pos += take;
            if (hl < need) {
                p->_hlen = (unsigned char)hl;
                return TN_EINCOMPLETE;
            }
            p->_hlen = 0;
            if ((rc = tn__ws_take_head(p, p->_hdr)) != TN_OK) return tn__ws_fail(p, rc);
        }
        flags = TN_WS_EV_FRAME_START;
    }

    if (p->_state == TN__WS_CTL) {
        const tn_ws_frame *f = &p->_frame;
        size_t take = (size_t)TN__MIN(p->_left, (uint64_t)(len - pos));
        unsigned char *c = p->_ctl + p->_clen;
        if (f->masked) tn__ws_mask(c, in + pos, take, f->mask, p->_clen);
        else if (take) memcpy(c, in + pos, take);
        p->_clen = (unsigned char)(p->_clen + take);
        p->_left -= take;
        pos += take;
        if (p->_left) return TN_EINCOMPLETE;   /* pos == len: all of it is gathered */
        ev->frame = *f;
        ev->opcode = f->opcode;
        ev->rsv = 0;
        ev->flags = TN_WS_EV_FRAME_START | TN_WS_EV_FRAME_END | TN_WS_EV_MESSAGE_END;
        ev->data = tn_str_make((const char *)p->_ctl, p->_clen);
        ev->offset = 0;
        ev->message_offset = 0;
        p->_state = TN__WS_HEAD;
        return (int)pos;
    }

    /* TN__WS_DATA */
    {
        const tn_ws_frame *f = &p->_frame;
        size_t take = (size_t)TN__MIN(p->_left, (uint64_t)(len - pos));
        uint64_t off = f->length - p->_left;
        unsigned char *dst;
        if (!in_place && take > cap) {
            take = cap;
            if (take == 0 && !flags) return TN_EBUFFER_FULL;
        }
        if (take == 0 && !flags && p->_left) return TN_EINCOMPLETE;   /* pos == len == 0 */
        dst = in_place ? (unsigned char *)in + pos : out;
        if (f->masked) tn__ws_mask(dst, in + pos, take, f->mask, off);
        else if (!in_place && take) memcpy(dst, in + pos, take);
        if (p->_msg_opcode == TN_WS_TEXT && !p->_msg_rsv && !(p->flags & TN_WS_NO_UTF8_CHECK) &&
            tn_utf8_feed(&p->_utf8, dst, take) != TN_OK)
            return tn__ws_fail(p, TN_EWS_BAD_UTF8);
        ev->frame = *f;
        ev->opcode = p->_msg_opcode;
        ev->rsv = p->_msg_rsv;
        ev->data = tn_str_make((const char *)dst, take);
        ev->offset = off;
        ev->message_offset = p->_msg_len;
        p->_left -= take;
        p->_msg_len += take;
        pos += take;
        if (p->_left == 0) {
            flags |= TN_WS_EV_FRAME_END;
            p->_state = TN__WS_HEAD;
            if (f->fin) {
                flags |= TN_WS_EV_MESSAGE_END;
                if (p->_msg_opcode == TN_WS_TEXT && !p->_msg_rsv && !(p->flags & TN_WS_NO_UTF8_CHECK) &&
                    tn_utf8_finish(&p->_utf8) != TN_OK)
                    return tn__ws_fail(p, TN_EWS_BAD_UTF8);
                p->_msg_opcode = 0;
                p->_msg_rsv = 0;
                p->_msg_len = 0;
            }
        }
        ev->flags = flags;
        return (int)pos;
    }
}

TN_API int tn_ws_parse(tn_ws_parser *p, char *buf, size_t len, tn_ws_event *ev) {
    return tn__ws_run(p, (const unsigned char *)buf, len, NULL, 0, 1, ev);
}

TN_API int tn_ws_parse_into(tn_ws_parser *p, const char *in, size_t len, char *out, size_t cap, tn_ws_event *ev) {
    return tn__ws_run(p, (const unsigned char *)in, len, (unsigned char *)out, cap, 0, ev);
}

TN_API void tn_ws_parser_reset(tn_ws_parser *p) {
    tn_ws_parser keep;
    memset(&keep, 0, sizeof keep);
    keep.role = p->role;
    keep.rsv_allowed = p->rsv_allowed;
    keep.flags = p->flags;
    keep.max_message_size = p->max_message_size;
    *p = keep;
}

TN_API int tn_ws_error_close_code(int code) {
    switch (code) {
    case TN_EWS_PROTOCOL: return 1002;
    case TN_EWS_BAD_UTF8:
    case TN_EBAD_ENCODING: return 1007;
    case TN_EWS_TOO_BIG: return 1009;
    default: return code < 0 && code != TN_EINCOMPLETE ? 1011 : 0;
    }
}

/* ---- frame writing ---- */

TN_API size_t tn_ws_header_size(uint64_t length, int masked) {
    return 2 + (length < 126 ? 0 : length < 65536 ? 2 : 8) + (masked ? 4 : 0);
}

TN_API int tn_ws_write_header(char *out, size_t cap, const tn_ws_frame *f) {
    unsigned char *o = (unsigned char *)out;
    int op = f->opcode;
    size_t n, i = 2;
    if (!(op == TN_WS_CONT || op == TN_WS_TEXT || op == TN_WS_BINARY || op == TN_WS_CLOSE || op == TN_WS_PING ||
          op == TN_WS_PONG))
        return TN_EINVAL;
    if ((f->rsv & ~0x70u) || (f->length >> 63)) return TN_EINVAL;
    if ((op & 8) && (!f->fin || f->length > TN_WS_MAX_CONTROL)) return TN_EINVAL;
    n = tn_ws_header_size(f->length, f->masked);
    if (cap < n) return TN_EBUFFER_FULL;
    o[0] = (unsigned char)((f->fin ? 0x80 : 0) | f->rsv | (unsigned)op);
    o[1] = (unsigned char)(f->masked ? 0x80 : 0);
    if (f->length < 126) {
        o[1] |= (unsigned char)f->length;
    } else if (f->length < 65536) {
        o[1] |= 126;
        o[2] = (unsigned char)(f->length >> 8);
        o[3] = (unsigned char)f->length;
        i = 4;
    } else {
        int k;
        o[1] |= 127;
        for (k = 0; k < 8; k++) o[2 + k] = (unsigned char)(f->length >> (56 - 8 * k));
        i = 10;
    }
    if (f->masked) memcpy(o + i, f->mask, 4);
    return (int)n;
}

/* ---- close frames ---- */

TN_API int tn_ws_close_code_valid(int code) {
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

TN_API int tn_ws_close_payload(char *out, size_t cap, int code, const char *reason, size_t reason_len) {
    if (code == 0) return reason_len ? TN_EINVAL : 0;
    if (!tn_ws_close_code_valid(code) || reason_len > TN_WS_MAX_CONTROL - 2) return TN_EINVAL;
    if (tn_utf8_validate(reason, reason_len) != TN_OK) return TN_EBAD_ENCODING;
    if (cap < 2 + reason_len) return TN_EBUFFER_FULL;
    out[0] = (char)(unsigned char)(code >> 8);
    out[1] = (char)(unsigned char)code;
    if (reason_len) memcpy(out + 2, reason, reason_len);
    return (int)(2 + reason_len);
}

TN_API int tn_ws_close_parse(const char *payload, size_t len, int *code, tn_str *reason) {
    const unsigned char *u = (const unsigned char *)payload;
    int c;
    *code = 1005;
    *reason = tn_str_make(NULL, 0);
    if (len == 0) return TN_OK;
    if (len == 1 || len > TN_WS_MAX_CONTROL) return TN_EWS_PROTOCOL;
    c = (u[0] << 8) | u[1];
    if (!tn_ws_close_code_valid(c)) return TN_EWS_PROTOCOL;
    if (tn_utf8_validate(payload + 2, len - 2) != TN_OK) return TN_EWS_BAD_UTF8;
    *code = c;
    *reason = tn_str_make(payload + 2, len - 2);
    return TN_OK;
}

/* ---- opening handshake ---- */

/* tchar (RFC 9110 §5.6.2): the characters of tokens (subprotocols, extension names). */
TN__PRIVATE int tn__ws_tchar(unsigned char c) {
    if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) return 1;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
        return 1;
    default:
        return 0;
    }
}

#define TN__WS_OWS(c) ((c) == ' ' || (c) == '\t')

/* Bytes of s[i..n) that are tchars, from i. */
TN__PRIVATE size_t tn__ws_token_end(const char *s, size_t i, size_t n) {
    while (i < n && tn__ws_tchar((unsigned char)s[i])) i++;
    return i;
}

TN__PRIVATE size_t tn__ws_skip_ows(const char *s, size_t i, size_t n) {
    while (i < n && TN__WS_OWS(s[i])) i++;
    return i;
}

TN_API void tn_ws_accept_key(tn_str key, char out[TN_WS_ACCEPT_SIZE + 1]) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char digest[TN_SHA1_SIZE];
    tn_sha1_ctx ctx;
    tn_sha1_init(&ctx);
    tn_sha1_update(&ctx, key.ptr, key.len);
    tn_sha1_update(&ctx, guid, sizeof guid - 1);
    tn_sha1_final(&ctx, digest);
    tn_base64_encode(digest, sizeof digest, out, TN_WS_ACCEPT_SIZE + 1, NULL, TN_BASE64_STD);
}

/* The one field named `name`, if there is exactly one. */
TN__PRIVATE int tn__ws_single(const tn_http_header *h, size_t num, const char *name, tn_str *value) {
    if (tn_http_header_count(h, num, name) != 1) return 0;
    return tn_http_header_get(h, num, name, value) == TN_OK;
}

TN_API int tn_ws_check_origin(const tn_http_header *headers, size_t num) {
    tn_str origin, host;
    size_t n = tn_http_header_count(headers, num, "Origin"), i, a;
    if (n == 0) return TN_OK;
    if (n > 1 || !tn__ws_single(headers, num, "Origin", &origin) || !tn__ws_single(headers, num, "Host", &host))
        return TN_EWS_ORIGIN;
    /* origin = scheme "://" host [ ":" port ]: compare the authority with Host */
    for (i = 1; i + 3 <= origin.len && memcmp(origin.ptr + i, "://", 3) != 0; i++) {}
    if (i + 3 > origin.len) return TN_EWS_ORIGIN;
    a = i + 3;
    for (i = a; i < origin.len && origin.ptr[i] != '/' && origin.ptr[i] != '?' && origin.ptr[i] != '#'; i++) {}
    if (i == a || host.len == 0) return TN_EWS_ORIGIN;
    return tn_str_ieq(tn_str_make(origin.ptr + a, i - a), host) ? TN_OK : TN_EWS_ORIGIN;
}

TN_API int tn_ws_check_request(tn_str method, int http_version, const tn_http_header *headers, size_t num,
                               unsigned flags, tn_str *key) {
    tn_str v, k;
    unsigned char raw[18];
    size_t raw_len = 0;
    if (!tn_str_eq_c(method, "GET") || http_version < 11) return TN_EWS_HANDSHAKE;
    if (!tn_http_header_has_token(headers, num, "Upgrade", "websocket") ||
        !tn_http_header_has_token(headers, num, "Connection", "upgrade"))
        return TN_EWS_HANDSHAKE;
    if (!tn__ws_single(headers, num, "Sec-WebSocket-Version", &v) || !tn_str_eq_c(v, "13")) return TN_EWS_VERSION;
    if (!tn__ws_single(headers, num, "Sec-WebSocket-Key", &k) || k.len != TN_WS_KEY_SIZE ||
        tn_base64_decode(k.ptr, k.len, raw, sizeof raw, &raw_len, TN_BASE64_STD) != TN_OK || raw_len != 16)
        return TN_EWS_HANDSHAKE;
    if (!(flags & TN_WS_ANY_ORIGIN) && tn_ws_check_origin(headers, num) != TN_OK) return TN_EWS_ORIGIN;
    if (key) *key = k;
    return TN_OK;
}

TN_API int tn_ws_handshake_status(int code) {
    switch (code) {
    case TN_OK: return 0;
    case TN_EWS_VERSION: return 426;
    case TN_EWS_ORIGIN: return 403;
    default: return code < 0 ? 400 : 0;
    }
}

/* Walk the comma-separated token list of every field named `name`: *field and *pos start
   at 0; each call stores the next element in *elem. Returns 1, 0 (end) or TN_EWS_HANDSHAKE
   (an element that is not a token). */
TN__PRIVATE int tn__ws_list_next(const tn_http_header *h, size_t num, const char *name, size_t *field, size_t *pos,
                                 tn_str *elem) {
    size_t i = tn_http_header_next(h, num, name, *field);
    while (i < num) {
        const char *s = h[i].value.ptr;
        size_t n = h[i].value.len, p = *pos;
        for (;;) {
            size_t b, e;
            p = tn__ws_skip_ows(s, p, n);
            if (p < n && s[p] == ',') {   /* empty element */
                p++;
                continue;
            }
            if (p == n) break;
            b = p;
            e = tn__ws_token_end(s, b, n);
            p = tn__ws_skip_ows(s, e, n);
            if (e == b || (p < n && s[p] != ',')) return TN_EWS_HANDSHAKE;
            if (p < n) p++;
            *field = i;
            *pos = p;
            *elem = tn_str_make(s + b, e - b);
            return 1;
        }
        i = tn_http_header_next(h, num, name, i + 1);
        *pos = 0;
    }
    *field = num;
    return 0;
}

TN_API int tn_ws_parse_protocols(const tn_http_header *headers, size_t num, tn_str *out, size_t max,
                                 size_t *count) {
    size_t field = 0, pos = 0, n = 0;
    tn_str e;
    int rc;
    *count = 0;
    while ((rc = tn__ws_list_next(headers, num, "Sec-WebSocket-Protocol", &field, &pos, &e)) == 1) {
        if (n < max) {
            out[n] = e;
            *count = n + 1;
        }
        n++;   /* keep going: a malformed element after the first max is still an error */
    }
    return rc < 0 ? rc : n > max ? TN_ELIMIT : TN_OK;
}

TN_API int tn_ws_select_protocol(const tn_http_header *headers, size_t num, const char *const *supported,
                                 size_t nsupported, tn_str *chosen) {
    size_t field = 0, pos = 0, i;
    tn_str e;
    int rc;
    *chosen = tn_str_make(NULL, 0);
    /* the list is checked whole first, so a malformed tail is an error even after a match */
    while ((rc = tn__ws_list_next(headers, num, "Sec-WebSocket-Protocol", &field, &pos, &e)) == 1) {}
    if (rc < 0) return rc;
    field = 0;
    pos = 0;
    while (tn__ws_list_next(headers, num, "Sec-WebSocket-Protocol", &field, &pos, &e) == 1)
        for (i = 0; i < nsupported; i++)
            if (tn_str_eq_c(e, supported[i])) {
                *chosen = e;
                return TN_OK;
            }
    return TN_ENOENT;
}

/* One extension parameter at s[i..n) (after its ';' and whitespace): name [ "=" value ].
   Returns the index after it (and after trailing whitespace), or n + 1 when malformed.
   *name / *value (may be NULL) receive the parts, value without quotes. */
TN__PRIVATE size_t tn__ws_ext_param(const char *s, size_t i, size_t n, tn_str *name, tn_str *value) {
    size_t e = tn__ws_token_end(s, i, n), vb, ve;
    if (e == i) return n + 1;
    if (name) *name = tn_str_make(s + i, e - i);
    if (value) *value = tn_str_make(NULL, 0);
    i = tn__ws_skip_ows(s, e, n);
    if (i == n || s[i] != '=') return i;
    i = tn__ws_skip_ows(s, i + 1, n);
    if (i < n && s[i] == '"') {
        /* quoted-string whose content must be a token (RFC 6455 §9.1): no escapes needed */
        vb = i + 1;
        ve = tn__ws_token_end(s, vb, n);
        if (ve == vb || ve == n || s[ve] != '"') return n + 1;
        i = ve + 1;
    } else {
        vb = i;
        ve = tn__ws_token_end(s, vb, n);
        if (ve == vb) return n + 1;
        i = ve;
    }
    if (value) *value = tn_str_make(s + vb, ve - vb);
    return tn__ws_skip_ows(s, i, n);
}

TN_API int tn_ws_parse_extensions(const tn_http_header *headers, size_t num, tn_ws_extension *out, size_t max,
                                  size_t *count) {
    size_t f, n = 0;
    *count = 0;
    for (f = tn_http_header_next(headers, num, "Sec-WebSocket-Extensions", 0); f < num;
         f = tn_http_header_next(headers, num, "Sec-WebSocket-Extensions", f + 1)) {
        const char *s = headers[f].value.ptr;
        size_t len = headers[f].value.len, p = 0;
        for (;;) {
            size_t b, e, pb, pe;
            p = tn__ws_skip_ows(s, p, len);
            if (p < len && s[p] == ',') {
                p++;
                continue;
            }
            if (p == len) break;
            b = p;
            e = tn__ws_token_end(s, b, len);
            if (e == b) return TN_EWS_HANDSHAKE;
            pb = e;
            p = pe = tn__ws_skip_ows(s, e, len);
            while (p < len && s[p] == ';') {
                p = tn__ws_ext_param(s, tn__ws_skip_ows(s, p + 1, len), len, NULL, NULL);
                if (p > len) return TN_EWS_HANDSHAKE;
                pe = p;
            }
            while (pe > pb && TN__WS_OWS(s[pe - 1])) pe--;
            if (p < len && s[p] != ',') return TN_EWS_HANDSHAKE;
            if (n < max) {
                out[n].name = tn_str_make(s + b, e - b);
                out[n].params = tn_str_make(s + pb, pe - pb);
                *count = n + 1;
            }
            n++;
        }
    }
    return n > max ? TN_ELIMIT : TN_OK;
}

TN_API int tn_ws_ext_param_next(tn_str *rest, tn_str *name, tn_str *value) {
    const char *s = rest->ptr;
    size_t n = rest->len, i = tn__ws_skip_ows(s, 0, n);
    if (i == n || s[i] != ';') return 0;
    i = tn__ws_ext_param(s, tn__ws_skip_ows(s, i + 1, n), n, name, value);
    if (i > n) {   /* not from tn_ws_parse_extensions: stop */
        *rest = tn_str_make(s + n, 0);
        return 0;
    }
    *rest = tn_str_make(s + i, n - i);
    return 1;
}

TN_API int tn_ws_client_key(char out[TN_WS_KEY_SIZE + 1]) {
    unsigned char raw[16];
    int rc = tn_random_bytes(raw, sizeof raw);
    if (rc != TN_OK) return rc;
    return tn_base64_encode(raw, sizeof raw, out, TN_WS_KEY_SIZE + 1, NULL, TN_BASE64_STD);
}

TN_API int tn_ws_check_response(int status, const tn_http_header *headers, size_t num, tn_str key) {
    char want[TN_WS_ACCEPT_SIZE + 1];
    tn_str got;
    if (status != 101) return TN_EWS_HANDSHAKE;
    if (!tn_http_header_has_token(headers, num, "Upgrade", "websocket") ||
        !tn_http_header_has_token(headers, num, "Connection", "upgrade"))
        return TN_EWS_HANDSHAKE;
    if (!tn__ws_single(headers, num, "Sec-WebSocket-Accept", &got)) return TN_EWS_HANDSHAKE;
    tn_ws_accept_key(key, want);
    return tn_str_eq_c(got, want) ? TN_OK : TN_EWS_HANDSHAKE;
}

#endif /* TN_HAS_WEBSOCKET */
/* <<ws.c  end of src/ws.c */

/* ======================================================================== */
/* >>http_server.c  (src/http_server.c)                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_server.c"
#endif
/* http_server.c: HTTP/1.1 server connections: parse in place, bodies, responses, timeouts. */
/* #include "http_server.h" (inlined above) */
/* #include "http_util.h" (inlined above) */
/* #include "internal.h" (inlined above) */

#if TN_HAS_HTTP_SERVER

/* Connection states. */
enum { TN__HC_HEAD = 1, TN__HC_BODY, TN__HC_HANDLER, TN__HC_DRAIN, TN__HC_CLOSING, TN__HC_LINGER,
       TN__HC_DETACHED };

/* After an error response the client may still be sending (a body we refused): closing at
   once would reset the connection and could destroy the response before the client reads
   it. So the write side is shut, input is read and discarded for a bounded time and size,
   then the connection closes (nginx's lingering close). */
#define TN__LINGER_MS 2000
#define TN__LINGER_BYTES (1024u * 1024u)

typedef struct tn__hconn tn__hconn;

typedef struct tn__rcb { tn_response_cb cb; void *user; } tn__rcb;

struct tn_request {
    tn__hconn *conn;               /* NULL once the connection is gone */
    tn_http_server *srv;
    tn_http_request p;             /* the parsed head: slices into the stream buffer or own */
    size_t head_len;               /* bytes of the head in the stream buffer */
    size_t held;                   /* stream bytes the request still occupies (head + body) */
    const char *base;              /* where p's slices point (to rebase after a move) */
    tn_str body;
    tn_http_chunked chunked;       /* buffered chunked body: decoder state */
    size_t dec_end;                /* chunked: end of the decoded body (offset in buffer) */
    char *own;                     /* streamed bodies: the head copied out of the buffer */
    tn_buf out;                    /* response header lines set by the handler */
    tn_request_cb close_cb;
    void *close_user;
    tn_request_cb finish_cb;
    void *finish_user;
    tn_body_cb body_cb;
    void *body_user;
    void *user;
    uint64_t body_left;            /* streamed length-delimited body still to come */
    uint64_t body_seen;            /* streamed body bytes delivered */
    uint64_t start_ns;
    int64_t out_length;            /* Content-Length sent, -1 chunked/close-delimited */
    uint64_t out_sent;             /* body bytes written */
    int status;
    int in_on_headers;
    int dispatched;                /* the handler has it */
    int started;                   /* response head written */
    int finished;
    int out_chunked;
    int head_only;                 /* HEAD: no body on the wire */
    int close_after;               /* the connection ends with this response */
    int conn_upgrade;              /* the handler asked for "Connection: Upgrade" (101 only) */
    int remote_ip_known;           /* remote_ip is filled (xheaders, or asked of the socket) */
    int paused;
    int streaming_done;
    tn__rcb *wcbs;                 /* response write callbacks not run yet, in order (a ring) */
    uint32_t wcb_head, wcb_len, wcb_cap;
    uint32_t in_wcb;               /* a write callback is running: the request stays */
    char remote_ip[TN_ADDR_STRLEN];
    char reason[64];               /* a custom reason phrase, "" = the standard one */
    const char *protocol;
    tn_request *next_free;
    /* the header array (max_headers entries) follows the struct in the same allocation */
};

/* A connection's state lives in its stream's allocation, after the tcp server's record
   (tn__tcp_conn_state): one allocation per connection, reached only through the tcp
   server's accessors (tn__hc_stream). Every idle connection holds one: kept small (the
   peer's address is asked of the socket when a handler wants it, not stored). */
struct tn__hconn {
    tn_http_server *srv;
    tn_request *req;               /* being read or handled; NULL when idle */
    tn__hconn *ready_next;         /* in the server's ready list (next request to start) */
    tn__hconn *tq_prev, *tq_next;
    uint32_t deadline;             /* in a timeout queue: loop time, low 32 bits (tn__hs_tq_left);
                                      lingering: bytes discarded */
    unsigned char state;           /* TN__HC_* */
    unsigned char reading;         /* a fill is pending */
    unsigned char ready;           /* queued in the server's ready list */
    signed char tq;                /* timeout queue it is in, or TN__TQ_NONE */
};

struct tn_http_server {
    tn_loop *loop;
    tn_tcp_server *tcp;
    tn_http_server_opts opts;      /* resolved */
    char *server_header;           /* owned copy */
    tn_request_cb on_request;
    void *user;
    size_t nconns;                 /* connections (not detached): the tcp server lists them */
    tn_request *free_reqs;         /* reusable request objects */
    size_t nfree;
    tn_request *orphans;           /* handled requests whose client left (freed at close) */
    tn__defer ready_d;             /* starts the next request of the connections below */
    tn__hconn *ready_head, *ready_tail;
    size_t req_size;
    int64_t date_sec;
    char date_line[48];            /* "Date: ...\r\n" */
    size_t date_len;
    /* Timeouts without a timer per connection: each kind has one fixed duration, so a queue
       kept in arrival order is sorted by deadline; one server timer serves all queues. */
    tn__hconn *tq_head[3], *tq_tail[3];
    tn_timer_id tq_timer;
    uint64_t tq_timer_at;
    int closing;
    tn_timer_id close_timer;
    tn_cb close_cb;
    void *close_user;
};

#define TN__HS_REQ_CACHE 256

/* The connection's stream (the allocation its state lives in). */
TN__PRIVATE tn_stream *tn__hc_stream(tn__hconn *c) { return tn__tcp_conn_stream(c); }

TN__PRIVATE void tn__hc_next(tn__hconn *c);
TN__PRIVATE void tn__hc_process(tn__hconn *c);
TN__PRIVATE void tn__hc_fail(tn__hconn *c, int status);

/* ---- small formatting helpers ---- */
TN__PRIVATE char *tn__hs_put_str(char *p, const char *s, size_t n) {
    memcpy(p, s, n);
    return p + n;
}

TN__PRIVATE char *tn__hs_put_u64(char *p, uint64_t v) {
    char tmp[24];
    int n = 0;
    do tmp[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
    while (n > 0) *p++ = tmp[--n];
    return p;
}

TN__PRIVATE int tn__hs_hdr_token_ok(const char *s) {
    return s && tn_http_is_token(tn_str_c(s));
}

/* Response header values: no byte below 0x20 (CR and LF above all: no response splitting)
   and no DEL, as Tornado rejects them. */
TN__PRIVATE int tn__hs_hdr_value_ok(const char *s) {
    if (!s) return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return 0;
    return 1;
}

/* ---- requests: a small cache so the steady state allocates nothing ---- */
TN__PRIVATE tn_request *tn__hs_req_get(tn_http_server *srv) {
    tn_request *r = srv->free_reqs;
    tn_buf keep;
    tn__rcb *keep_wcbs = NULL;     /* storage kept with a cached request (the ring is empty) */
    uint32_t keep_cap = 0;
    if (r) {
        srv->free_reqs = r->next_free;
        srv->nfree--;
        keep = r->out;
        keep_wcbs = r->wcbs;
        keep_cap = r->wcb_cap;
    } else {
        r = (tn_request *)tn__alloc(tn__loop_alloc(srv->loop), srv->req_size);
        if (!r) return NULL;
        (void)tn_buf_init(&keep, tn__loop_alloc(srv->loop));
    }
    memset(r, 0, sizeof *r);
    r->out = keep;
    r->wcbs = keep_wcbs;
    r->wcb_cap = keep_cap;
    tn_buf_consume(&r->out, tn_buf_size(&r->out));
    r->srv = srv;
    r->p.headers = (tn_http_header *)(void *)(r + 1);
    r->p.max_headers = srv->opts.max_headers;
    r->p.max_header_bytes = srv->opts.max_header_size;
    r->p.max_target_length = srv->opts.max_target_length;
    r->out_length = -1;
    if (srv->opts.access_log) r->start_ns = tn_time_ns();
    return r;
}

TN__PRIVATE void tn__hs_req_free(tn_allocator *a, tn_request *r) {
    tn_buf_free(&r->out);
    tn__free(a, r->wcbs);
    tn__free(a, r);
}

TN__PRIVATE void tn__hs_req_put(tn_request *r) {
    tn_http_server *srv = r->srv;
    tn_allocator *a = tn__loop_alloc(srv->loop);
    if (r->wcb_len > 0 || r->in_wcb > 0) return;   /* the last write callback releases it */
    tn__free(a, r->own);
    r->own = NULL;
    if (srv->nfree < TN__HS_REQ_CACHE && tn_buf_size(&r->out) < 4096 && r->out.cap <= 16384 && r->wcb_cap <= 64) {
        r->next_free = srv->free_reqs;
        srv->free_reqs = r;
        srv->nfree++;
        return;
    }
    tn__hs_req_free(a, r);
}

/* Point every slice of the parsed head at a new copy of the bytes. */
TN__PRIVATE void tn__hs_req_rebase(tn_request *r, const char *nb) {
    const char *ob = r->base;
    size_t i;
    if (ob == nb) return;
#define TN__MOVE(str) do { if ((str).ptr) (str).ptr = nb + ((str).ptr - ob); } while (0)
    TN__MOVE(r->p.method);
    TN__MOVE(r->p.target);
    for (i = 0; i < r->p.num_headers; i++) {
        TN__MOVE(r->p.headers[i].name);
        TN__MOVE(r->p.headers[i].value);
    }
#undef TN__MOVE
    r->base = nb;
}

/* ---- timeouts: per-server queues (idle, head, body) and one timer ---- */
enum { TN__TQ_NONE = -1, TN__TQ_IDLE = 0, TN__TQ_HEADER = 1, TN__TQ_BODY = 2 };

/* Deadlines are kept in 32 bits (every idle connection holds one) and compared by their
   signed distance from now, so a timeout is at most 2^31 - 1 ms (~24.8 days): longer ones
   are clamped. */
#define TN__HS_TQ_MAX_MS 0x7fffffffu

TN__PRIVATE uint64_t tn__hs_tq_ms(const tn_http_server *srv, int kind) {
    uint64_t ms = kind == TN__TQ_IDLE ? srv->opts.idle_connection_timeout_ms
                : kind == TN__TQ_HEADER ? srv->opts.header_timeout_ms : srv->opts.body_timeout_ms;
    return TN__MIN(ms, (uint64_t)TN__HS_TQ_MAX_MS);
}

/* Milliseconds from now to the connection's deadline (<= 0: due). */
TN__PRIVATE int64_t tn__hs_tq_left(const tn__hconn *c, uint64_t now) {
    return (int32_t)(c->deadline - (uint32_t)now);
}

TN__PRIVATE void tn__hs_tq_unlink(tn__hconn *c) {
    tn_http_server *srv = c->srv;
    int k = c->tq;
    if (k == TN__TQ_NONE) return;
    if (c->tq_prev) c->tq_prev->tq_next = c->tq_next;
    else srv->tq_head[k] = c->tq_next;
    if (c->tq_next) c->tq_next->tq_prev = c->tq_prev;
    else srv->tq_tail[k] = c->tq_prev;
    c->tq_prev = c->tq_next = NULL;
    c->tq = TN__TQ_NONE;
}

TN__PRIVATE void tn__hs_tq_arm(tn_http_server *srv);

TN__PRIVATE void tn__hs_tq_on_timer(tn_loop *loop, void *user) {
    tn_http_server *srv = (tn_http_server *)user;
    int k;
    srv->tq_timer = 0;
    for (k = 0; k < 3; k++) {
        tn__hconn *c;
        while ((c = srv->tq_head[k]) != NULL && tn__hs_tq_left(c, tn_loop_now(loop)) <= 0) {
            tn__hs_tq_unlink(c);
            (void)tn_stream_abort(tn__hc_stream(c), TN_ETIMEOUT);
        }
    }
    tn__hs_tq_arm(srv);
}

/* Arm the server's timer for the earliest deadline, unless it already fires by then. */
TN__PRIVATE void tn__hs_tq_arm(tn_http_server *srv) {
    uint64_t now = tn_loop_now(srv->loop), first = 0;
    int k, any = 0;
    for (k = 0; k < 3; k++) {
        if (srv->tq_head[k]) {
            int64_t left = tn__hs_tq_left(srv->tq_head[k], now);
            uint64_t at = now + (uint64_t)(left > 0 ? left : 0);
            if (!any || at < first) first = at;
            any = 1;
        }
    }
    if (!any) return;
    if (srv->tq_timer && srv->tq_timer_at <= first) return;
    if (srv->tq_timer) (void)tn_loop_cancel(srv->loop, srv->tq_timer);
    srv->tq_timer = 0;
    srv->tq_timer_at = first;
    if (tn_loop_call_at(srv->loop, first, tn__hs_tq_on_timer, srv, &srv->tq_timer) != 0)
        TN__LLOG(srv->loop, TN_LOG_ERROR, TN_ENOMEM, "http server: timeouts not armed (out of memory)");
}

/* Put the connection under one kind of timeout (counted from now), or none. */
TN__PRIVATE void tn__hc_deadline(tn__hconn *c, int kind) {
    tn_http_server *srv = c->srv;
    uint64_t ms;
    tn__hs_tq_unlink(c);
    if (kind == TN__TQ_NONE || (ms = tn__hs_tq_ms(srv, kind)) == 0) return;
    c->deadline = (uint32_t)(tn_loop_now(srv->loop) + ms);   /* the iteration's time: no clock read */
    c->tq = (signed char)kind;
    c->tq_prev = srv->tq_tail[kind];
    if (srv->tq_tail[kind]) srv->tq_tail[kind]->tq_next = c;
    else srv->tq_head[kind] = c;
    srv->tq_tail[kind] = c;
    if (!srv->tq_timer || tn_loop_now(srv->loop) + ms < srv->tq_timer_at) tn__hs_tq_arm(srv);
}

/* ---- the response ---- */
TN__PRIVATE void tn__hs_date(tn_http_server *srv) {
    int64_t now = (int64_t)time(NULL);
    char d[32];
    if (now == srv->date_sec) return;
    srv->date_sec = now;
    if (tn_http_date_format(now, d) < 0) strcpy(d, "Thu, 01 Jan 1970 00:00:00 GMT");
    srv->date_len = (size_t)snprintf(srv->date_line, sizeof srv->date_line, "Date: %s\r\n", d);
}

/* Format the response head into buf (at least 512 bytes + the handler's header lines).
   Returns the length. */
TN__PRIVATE size_t tn__hs_req_format_head(tn_request *r, char *buf, int status, int64_t length) {
    tn_http_server *srv = r->srv;
    const char *reason = r->reason[0] ? r->reason : tn_http_reason(status);
    char *p = buf;
    p = tn__hs_put_str(p, "HTTP/1.1 ", 9);
    p = tn__hs_put_u64(p, (uint64_t)status);
    *p++ = ' ';
    p = tn__hs_put_str(p, reason, strlen(reason));
    p = tn__hs_put_str(p, "\r\n", 2);
    tn__hs_date(srv);
    p = tn__hs_put_str(p, srv->date_line, srv->date_len);
    if (srv->server_header[0]) {
        p = tn__hs_put_str(p, "Server: ", 8);
        p = tn__hs_put_str(p, srv->server_header, strlen(srv->server_header));
        p = tn__hs_put_str(p, "\r\n", 2);
    }
    if (status >= 200 && status != 204 && status != 304) {
        if (length >= 0) {
            p = tn__hs_put_str(p, "Content-Length: ", 16);
            p = tn__hs_put_u64(p, (uint64_t)length);
            p = tn__hs_put_str(p, "\r\n", 2);
        } else if (r->out_chunked) {
            p = tn__hs_put_str(p, "Transfer-Encoding: chunked\r\n", 28);
        }
    }
    if (status == 101) {
        if (r->conn_upgrade) p = tn__hs_put_str(p, "Connection: Upgrade\r\n", 21);   /* Upgrade: the handler's */
    } else if (r->close_after) {
        p = tn__hs_put_str(p, "Connection: close\r\n", 19);
    } else if (r->p.version == 10) {
        p = tn__hs_put_str(p, "Connection: keep-alive\r\n", 24);
    }
    p = tn__hs_put_str(p, tn_buf_ptr(&r->out) ? tn_buf_ptr(&r->out) : "", tn_buf_size(&r->out));
    p = tn__hs_put_str(p, "\r\n", 2);
    return (size_t)(p - buf);
}

/* Write the head (and a first piece of body) in one gather write. */
TN__PRIVATE int tn__hs_req_send_head(tn_request *r, int status, int64_t length, const void *body, size_t blen,
                                  tn_write_cb cb, void *user) {
    char stack[1024];
    char *buf = stack;
    size_t need = 512 + tn_buf_size(&r->out) + (r->srv->server_header ? strlen(r->srv->server_header) : 0);
    tn_str v[2];
    int rc;
    if (need > sizeof stack) {
        buf = (char *)tn__alloc(tn__loop_alloc(r->srv->loop), need);
        if (!buf) return TN_ENOMEM;
    }
    v[0] = tn_str_make(buf, tn__hs_req_format_head(r, buf, status, length));
    v[1] = tn_str_make((const char *)body, blen);
    rc = tn_stream_writev(tn__hc_stream(r->conn), v, blen ? 2 : 1, cb, user);
    if (buf != stack) tn__free(tn__loop_alloc(r->srv->loop), buf);
    return rc;
}

TN__PRIVATE void tn__hc_after_write(tn_stream *s, int status, void *user);

/* Start the connection's next request from the loop (never from inside the handler's call:
   pipelined requests would otherwise recurse). One deferred node serves every connection. */
TN__PRIVATE void tn__hc_schedule(tn__hconn *c) {
    tn_http_server *srv = c->srv;
    if (c->ready) return;
    c->ready = 1;
    c->ready_next = NULL;
    if (srv->ready_tail) srv->ready_tail->ready_next = c;
    else srv->ready_head = c;
    srv->ready_tail = c;
    tn__defer_queue(srv->loop, &srv->ready_d);
}

TN__PRIVATE void tn__hc_unschedule(tn__hconn *c) {
    tn_http_server *srv = c->srv;
    tn__hconn **pp, *prev = NULL;
    if (!c->ready) return;
    for (pp = &srv->ready_head; *pp; prev = *pp, pp = &(*pp)->ready_next) {
        if (*pp == c) {
            *pp = c->ready_next;
            if (srv->ready_tail == c) srv->ready_tail = prev;
            break;
        }
    }
    c->ready = 0;
}

/* The handler is done with the request (its response finished, it was detached, or a
   response call found the client gone): the finish callback runs, once. */
TN__PRIVATE void tn__hs_req_end(tn_request *r) {
    tn_request_cb cb = r->finish_cb;
    r->finished = 1;
    r->finish_cb = NULL;
    if (cb) cb(r, r->finish_user);
}

/* The response is complete: log, release the request, and go on with the connection. */
TN__PRIVATE void tn__hs_req_done(tn_request *r) {
    tn__hconn *c = r->conn;
    tn_http_server *srv = r->srv;
    if (srv->opts.access_log)
        srv->opts.access_log(r, r->status, r->head_only ? 0 : r->out_sent, (tn_time_ns() - r->start_ns) / 1000,
                             srv->opts.access_log_user);   /* HEAD: out_sent counts the length promised, none sent */
    tn__hs_req_end(r);
    if (!c) {
        tn__hs_req_put(r);
        return;
    }
    c->req = NULL;
    if (r->held) tn__stream_consume(tn__hc_stream(c), r->held);
    if (r->close_after || srv->closing) {
        c->state = TN__HC_CLOSING;
        tn__hs_req_put(r);
        tn__stream_cork(tn__hc_stream(c), 0);   /* held pipelined responses go out first */
        /* close once the response is out */
        if (tn_stream_write(tn__hc_stream(c), "", 0, tn__hc_after_write, c) != 0) (void)tn_stream_close(tn__hc_stream(c), NULL, NULL);
        return;
    }
    tn__hs_req_put(r);
    tn__stream_watch_close(tn__hc_stream(c), 0);
    /* more requests already buffered (pipelining): hold the responses and send them
       together once the buffer runs dry */
    if (tn__stream_peek(tn__hc_stream(c)).len > 0) tn__stream_cork(tn__hc_stream(c), 1);
    if (tn_stream_write_buffer_size(tn__hc_stream(c)) > 0 && !tn__stream_corked(tn__hc_stream(c))) {
        /* backpressure: the next request waits until this response has left */
        c->state = TN__HC_DRAIN;
        if (tn_stream_write(tn__hc_stream(c), "", 0, tn__hc_after_write, c) != 0) (void)tn_stream_close(tn__hc_stream(c), NULL, NULL);
        return;
    }
    tn__hc_schedule(c);
}

TN__PRIVATE void tn__hc_on_linger(tn_stream *s, int status, tn_str data, void *user) {
    tn__hconn *c = (tn__hconn *)user;
    if (status != TN_MORE) return;   /* EOF or error: the stream closes by itself */
    if ((size_t)c->deadline + data.len > TN__LINGER_BYTES) (void)tn_stream_close(s, NULL, NULL);
    else c->deadline += (uint32_t)data.len;     /* bytes discarded so far */
}

TN__PRIVATE void tn__hc_after_write(tn_stream *s, int status, void *user) {
    tn__hconn *c = (tn__hconn *)user;
    if (status != TN_OK) return;   /* the stream is closing; the close callback cleans up */
    if (c->state == TN__HC_LINGER) {
        tn__hs_tq_unlink(c);
        c->deadline = 0;
        (void)tn__stream_shutdown_write(s);
        tn__stream_consume(s, tn__stream_peek(s).len);
        tn_stream_set_idle_timeout(s, TN__LINGER_MS);
        if (tn_stream_read_until_close(s, TN_READ_STREAMING, tn__hc_on_linger, c) != TN_OK)
            (void)tn_stream_close(s, NULL, NULL);
    } else if (c->state == TN__HC_CLOSING) {
        (void)tn_stream_close(s, NULL, NULL);
    } else if (c->state == TN__HC_DRAIN) {
        tn__hc_schedule(c);
    }
}

TN__PRIVATE int tn__hs_req_check(const tn_request *r) {
    if (!r || r->finished) return TN_EINVAL;
    return TN_OK;
}

/* Misuse a handler should hear about (a header after the response started, a framing
   header): a warning in the loop's log, and the call fails with TN_EINVAL. */
TN__PRIVATE int tn__hs_misuse(const tn_request *r, const char *what, const char *name) {
    (void)r; (void)what; (void)name;   /* TORNADO_NO_LOG */
    TN__LLOG(r->srv->loop, TN_LOG_WARN, TN_EINVAL, "http response: %s%s%s", what, name ? ": " : "", name ? name : "");
    return TN_EINVAL;
}

/* The client is gone: the connection closed, or is closing. Every response call follows
   one rule then: it fails with TN_ECLOSED and the request ends there (its finish callback
   runs; its close callback, if it has not run, never will) and is released. */
TN__PRIVATE int tn__hs_req_gone(tn_request *r) {
    tn_http_server *srv = r->srv;
    tn__hconn *c = r->conn;
    if (c) {
        c->req = NULL;   /* the stream is closing: its close callback must not see r */
        r->conn = NULL;
    } else {
        tn_request **pp;
        for (pp = &srv->orphans; *pp; pp = &(*pp)->next_free)
            if (*pp == r) {
                *pp = r->next_free;
                break;
            }
    }
    tn__hs_req_end(r);
    tn__hs_req_put(r);
    return TN_ECLOSED;
}

/* 1 while the request's client can still get a response. */
TN__PRIVATE int tn__hs_req_live(const tn_request *r) {
    return r->conn && !tn_stream_closed(tn__hc_stream(r->conn));
}

/* ---- response headers: the server's one store, "Name: value\r\n" lines in r->out ---- */
/* Find the next line at or after *pos named name (and, with prefix, whose value starts
   with it). Returns its offset or (size_t)-1; *end gets the offset after it, *value the
   value. */
TN__PRIVATE size_t tn__hs_hdr_find(const tn_request *r, size_t pos, const char *name, const char *prefix,
                                   size_t *end, tn_str *value) {
    const char *p = tn_buf_ptr(&r->out);
    size_t n = tn_buf_size(&r->out), nl = strlen(name), pl = prefix ? strlen(prefix) : 0;
    while (pos < n) {
        const char *eol = (const char *)memchr(p + pos, '\n', n - pos);
        size_t e = eol ? (size_t)(eol - p) + 1 : n;
        if (e - pos >= nl + 4 && p[pos + nl] == ':' && tn_str_ieq(tn_str_make(p + pos, nl), tn_str_make(name, nl))) {
            tn_str v = tn_str_make(p + pos + nl + 2, e - pos - nl - 4);
            if (!prefix || (v.len >= pl && memcmp(v.ptr, prefix, pl) == 0)) {
                if (end) *end = e;
                if (value) *value = v;
                return pos;
            }
        }
        pos = e;
    }
    return (size_t)-1;
}

/* Remove every line named name (with prefix: whose value starts with it). Returns 1 if any. */
TN__PRIVATE int tn__response_remove_header(tn_request *r, const char *name, const char *prefix) {
    size_t at, pos = 0, end;
    int found = 0;
    while ((at = tn__hs_hdr_find(r, pos, name, prefix, &end, NULL)) != (size_t)-1) {
        char *p = tn_buf_ptr(&r->out);
        memmove(p + at, p + end, tn_buf_size(&r->out) - end);
        r->out.len -= end - at;
        found = 1;
        pos = at;
    }
    return found;
}

/* Framing is the server's: Content-Length and Transfer-Encoding follow from how the
   response is sent (tn_respond's length, tn_response_start's content_length), Connection
   from keep-alive. A handler may ask for "Connection: close" (the connection ends after
   this response) and, for a 101 response, "Connection: Upgrade"; other framing headers are
   refused. Returns 1 when the header was handled here, 0 to store it, or TN_EINVAL. */
TN__PRIVATE int tn__hs_hdr_framing(tn_request *r, const char *name, const char *value) {
    tn_str n = tn_str_c(name);
    if (tn_str_ieq(n, tn_str_c("Content-Length")) || tn_str_ieq(n, tn_str_c("Transfer-Encoding")))
        return tn__hs_misuse(r, "framing is the server's (the length given to tn_respond or tn_response_start)", name);
    if (!tn_str_ieq(n, tn_str_c("Connection"))) return 0;
    if (tn_http_token_list_has(tn_str_c(value), "close")) r->close_after = 1;
    else if (tn_http_token_list_has(tn_str_c(value), "upgrade")) r->conn_upgrade = 1;
    else return tn__hs_misuse(r, "Connection is the server's (only \"close\" or, for 101, \"upgrade\")", value);
    return 1;
}

TN__PRIVATE int tn__hs_hdr_check(tn_request *r, const char *name, const char *value) {
    if (tn__hs_req_check(r) != 0 || !name || !value) return TN_EINVAL;
    if (r->started) return tn__hs_misuse(r, "header set after the response started", name);
    if (!tn__hs_hdr_token_ok(name)) return tn__hs_misuse(r, "header name is not a token", name);
    if (!tn__hs_hdr_value_ok(value)) return tn__hs_misuse(r, "header value has control characters", name);
    return tn__hs_hdr_framing(r, name, value);
}

TN__PRIVATE int tn__hs_add_header(tn_request *r, const char *name, const char *value) {
    size_t nl = strlen(name), vl = strlen(value);
    if (tn_buf_reserve(&r->out, nl + vl + 4) != 0) return TN_ENOMEM;
    (void)tn_buf_append(&r->out, name, nl);
    (void)tn_buf_append(&r->out, ": ", 2);
    (void)tn_buf_append(&r->out, value, vl);
    (void)tn_buf_append(&r->out, "\r\n", 2);
    return TN_OK;
}

TN_API int tn_response_clear_header(tn_request *req, const char *name) {
    if (tn__hs_req_check(req) != 0 || !name || req->started) return TN_EINVAL;
    if (tn_str_ieq(tn_str_c(name), tn_str_c("Connection")) && (req->close_after || req->conn_upgrade)) {
        req->conn_upgrade = 0;   /* a Connection: close asked for stays: the server decides */
        return TN_OK;
    }
    return tn__response_remove_header(req, name, NULL) ? TN_OK : TN_ENOENT;
}

TN_API int tn_response_clear_headers(tn_request *req, const char *keep) {
    size_t pos = 0;
    if (tn__hs_req_check(req) != 0 || req->started) return TN_EINVAL;
    while (pos < tn_buf_size(&req->out)) {
        char *p = tn_buf_ptr(&req->out);
        const char *eol = (const char *)memchr(p + pos, '\n', tn_buf_size(&req->out) - pos);
        size_t end = eol ? (size_t)(eol - p) + 1 : tn_buf_size(&req->out), kl = keep ? strlen(keep) : 0;
        if (keep && end - pos > kl && p[pos + kl] == ':' && tn_str_ieq(tn_str_make(p + pos, kl), tn_str_make(keep, kl))) {
            pos = end;
            continue;
        }
        memmove(p + pos, p + end, tn_buf_size(&req->out) - end);
        req->out.len -= end - pos;
    }
    req->conn_upgrade = 0;
    return TN_OK;
}

TN_API int tn_response_get_header(const tn_request *req, const char *name, tn_str *value) {
    if (!req || !name || !value) return TN_EINVAL;
    return tn__hs_hdr_find(req, 0, name, NULL, NULL, value) != (size_t)-1 ? TN_OK : TN_ENOENT;
}

TN_API int tn_response_add_header(tn_request *req, const char *name, const char *value) {
    int rc = tn__hs_hdr_check(req, name, value);
    if (rc != 0) return rc < 0 ? rc : TN_OK;
    return tn__hs_add_header(req, name, value);
}

TN_API int tn_response_set_header(tn_request *req, const char *name, const char *value) {
    int rc = tn__hs_hdr_check(req, name, value);
    if (rc != 0) return rc < 0 ? rc : TN_OK;
    (void)tn__response_remove_header(req, name, NULL);
    return tn__hs_add_header(req, name, value);
}

TN_API int tn_response_set_reason(tn_request *req, const char *reason) {
    size_t n, i;
    if (tn__hs_req_check(req) != 0 || req->started || !reason) return TN_EINVAL;
    n = strlen(reason);
    if (n >= sizeof req->reason) return TN_EINVAL;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)reason[i];
        if ((ch < 32 && ch != '\t') || ch == 127) return TN_EINVAL;   /* no CR/LF: no splitting */
    }
    memcpy(req->reason, reason, n + 1);
    return TN_OK;
}

TN_API int tn_respond(tn_request *req, int status, const char *content_type, const void *body, size_t len) {
    int rc;
    if (tn__hs_req_check(req) != 0 || status < 100 || status > 999 || (!body && len)) return TN_EINVAL;
    if (req->started) return TN_EBUSY;
    if (content_type && !tn__hs_hdr_value_ok(content_type)) return TN_EINVAL;
    if (!tn__hs_req_live(req)) return tn__hs_req_gone(req);
    if (content_type && (rc = tn_response_set_header(req, "Content-Type", content_type)) != 0) return rc;
    req->started = 1;
    req->status = status;
    req->out_length = (int64_t)len;
    rc = tn__hs_req_send_head(req, status, (int64_t)len, body, req->head_only ? 0 : len, NULL, NULL);
    if (rc != 0) {
        req->started = 0;
        return rc;
    }
    req->out_sent = req->head_only ? 0 : len;
    tn__hs_req_done(req);
    return TN_OK;
}

/* Tornado's default error page: "<html><title>404: Not Found</title><body>404: Not
   Found</body></html>", the reason escaped. One page for the app's and static files' errors. */
TN__PRIVATE int tn__response_error_html(tn_buf *out, int status, const char *reason) {
    char code[16];
    int i, n = snprintf(code, sizeof code, "%d: ", status);
    static const char *const parts[3] = { "<html><title>", "</title><body>", "</body></html>" };
    for (i = 0; i < 2; i++) {
        if (tn_buf_append(out, parts[i], strlen(parts[i])) != 0 || tn_buf_append(out, code, (size_t)n) != 0 ||
            tn_xhtml_escape_buf(out, tn_str_c(reason)) != 0)
            return TN_ENOMEM;
    }
    return tn_buf_append(out, parts[2], strlen(parts[2]));
}

TN_API int tn_respond_error(tn_request *req, int status, const char *reason) {
    tn_buf page;
    int rc;
    if (tn__hs_req_check(req) != 0 || status < 100 || status > 999) return TN_EINVAL;
    (void)tn_buf_init(&page, tn__loop_alloc(req->srv->loop));
    if (!reason) reason = tn_http_reason(status);
    rc = tn__response_error_html(&page, status, reason);
    if (rc == TN_OK) rc = tn_respond(req, status, "text/html; charset=UTF-8", tn_buf_ptr(&page), tn_buf_size(&page));
    tn_buf_free(&page);
    return rc;
}

TN_API int tn_response_start(tn_request *req, int status, int64_t content_length) {
    int rc;
    if (tn__hs_req_check(req) != 0 || status < 100 || status > 999) return TN_EINVAL;
    if (req->started) return TN_EBUSY;
    if (!tn__hs_req_live(req)) return tn__hs_req_gone(req);
    req->status = status;
    req->out_length = content_length;
    if (content_length < 0 && status >= 200 && status != 204 && status != 304 && !req->head_only) {
        if (req->p.version >= 11) req->out_chunked = 1;
        else req->close_after = 1;   /* HTTP/1.0: the end of the body is the end of the connection */
    }
    rc = tn__hs_req_send_head(req, status, content_length, NULL, 0, NULL, NULL);
    if (rc != 0) return rc;
    req->started = 1;
    return TN_OK;
}

/* A response write's callback waits in the request's ring; the stream calls back with the
   request, and callbacks come in write order. */
TN__PRIVATE int tn__hs_req_wcb_push(tn_request *r, tn_response_cb cb, void *user) {
    tn__rcb *w;
    if (tn__ring_grow(tn__loop_alloc(r->srv->loop), (void **)&r->wcbs, &r->wcb_head, r->wcb_len, &r->wcb_cap, sizeof *r->wcbs) != 0)
        return TN_ENOMEM;
    w = &r->wcbs[(r->wcb_head + r->wcb_len) % r->wcb_cap];
    w->cb = cb;
    w->user = user;
    r->wcb_len++;
    return TN_OK;
}

/* A streamed write reached the socket (or failed): tell the handler. The request stays
   allocated until its last write callback has run, even if it was finished meanwhile. */
TN__PRIVATE void tn__hs_req_on_written(tn_stream *s, int status, void *u) {
    tn_request *r = (tn_request *)u;
    tn__rcb w = r->wcbs[r->wcb_head];
    (void)s;
    r->wcb_head = (r->wcb_head + 1) % r->wcb_cap;
    r->wcb_len--;
    r->in_wcb++;               /* the callback may write more, or finish the response */
    w.cb(r, status, w.user);
    if (--r->in_wcb == 0 && r->wcb_len == 0 && r->finished) tn__hs_req_put(r);
}

TN_API int tn_response_write(tn_request *req, const void *data, size_t len, tn_response_cb cb, void *user) {
    char hdr[24];
    tn_str v[3];
    size_t nv = 0;
    int rc;
    if (tn__hs_req_check(req) != 0 || !req->started || (!data && len)) return TN_EINVAL;
    if (!tn__hs_req_live(req)) return tn__hs_req_gone(req);
    if (req->out_length >= 0 && req->out_sent + len > (uint64_t)req->out_length) return TN_EINVAL;
    if (!req->head_only && len > 0) {
        if (req->out_chunked) {
            int h = tn_http_format_chunk_header(hdr, sizeof hdr, len);
            if (h < 0) return h;
            v[nv++] = tn_str_make(hdr, (size_t)h);
        }
        v[nv++] = tn_str_make((const char *)data, len);
        if (req->out_chunked) v[nv++] = tn_str_make("\r\n", 2);
    }
    if (cb && tn__hs_req_wcb_push(req, cb, user) != 0) return TN_ENOMEM;
    /* an empty gather write still reports, in order, once everything before it left */
    rc = tn_stream_writev(tn__hc_stream(req->conn), v, nv, cb ? tn__hs_req_on_written : NULL, req);
    if (rc != 0) {
        if (cb) req->wcb_len--;   /* the callback just pushed: it is the newest */
        return rc;
    }
    req->out_sent += len;
    return TN_OK;
}

#if TN_HAS_FILESYSTEM
/* Internal (static files): like tn_response_write, but the body bytes are count bytes of
   file_fd from offset, sent with sendfile(2) (tn__stream_sendfile). file_fd must stay open
   until cb has run. Not for HEAD or chunked responses. Returns TN_OK, TN_EINVAL,
   TN_ECLOSED, TN_ENOTSUP (no sendfile for this connection: write the bytes instead),
   TN_EBUSY, TN_ENOMEM. */
TN__PRIVATE int tn__response_sendfile(tn_request *req, int file_fd, int64_t offset, uint64_t count,
                                      tn_response_cb cb, void *user) {
    int rc;
    if (tn__hs_req_check(req) != 0 || !req->started || !cb || count == 0) return TN_EINVAL;
    if (!tn__hs_req_live(req)) return tn__hs_req_gone(req);
    if (req->head_only || req->out_chunked) return TN_ENOTSUP;
    if (req->out_length >= 0 && req->out_sent + count > (uint64_t)req->out_length) return TN_EINVAL;
    if (tn__hs_req_wcb_push(req, cb, user) != 0) return TN_ENOMEM;
    rc = tn__stream_sendfile(tn__hc_stream(req->conn), file_fd, offset, count, tn__hs_req_on_written, req);
    if (rc != 0) {
        req->wcb_len--;
        return rc;
    }
    req->out_sent += count;
    return TN_OK;
}
#endif

TN_API int tn_response_finish(tn_request *req) {
    if (tn__hs_req_check(req) != 0) return TN_EINVAL;
    if (!tn__hs_req_live(req)) return tn__hs_req_gone(req);
    if (!req->started) return TN_EINVAL;
    if (req->out_length >= 0 && req->out_sent < (uint64_t)req->out_length && !req->head_only) {
        req->close_after = 1;   /* short body: the framing is broken, end the connection */
        (void)tn_stream_abort(tn__hc_stream(req->conn), TN_EINVAL);
        return TN_EINVAL;
    }
    if (req->out_chunked && !req->head_only) {
        int rc = tn_stream_write(tn__hc_stream(req->conn), "0\r\n\r\n", 5, NULL, NULL);
        if (rc != 0) return rc;
    }
    tn__hs_req_done(req);
    return TN_OK;
}

TN_API int tn_request_detach(tn_request *req, tn_stream **stream) {
    tn__hconn *c;
    if (tn__hs_req_check(req) != 0 || !stream) return TN_EINVAL;
    if (!tn__hs_req_live(req)) return tn__hs_req_gone(req);
    if (req->started && req->status != 101) return TN_EINVAL;
    c = req->conn;
    *stream = tn__hc_stream(c);
    tn__hs_req_end(req);
    if (req->held) tn__stream_consume(tn__hc_stream(c), req->held);
    tn__hs_req_put(req);
    c->req = NULL;
    /* the stream forgets us (our state stays inert in its memory); it stays open */
    tn__stream_watch_close(tn__hc_stream(c), 0);
    tn_stream_set_close_cb(tn__hc_stream(c), NULL, NULL);
    c->state = TN__HC_DETACHED;
    tn__hs_tq_unlink(c);
    /* the tcp server still counts this stream; it is released when the stream closes */
    {
        c->srv->nconns--;
        tn__hc_unschedule(c);   /* its memory stays with the stream, now the caller's */
    }
    return TN_OK;
}

/* ---- errors on the wire ---- */
TN__PRIVATE void tn__hc_fail(tn__hconn *c, int status) {
    char buf[256], *p = buf;
    const char *reason = tn_http_reason(status);
    tn_http_server *srv = c->srv;
    if (c->req) {
        /* the server's own error replies are logged too (Tornado logs every request); a
           handler that had the request from on_headers hears that its part is over */
        if (srv->opts.access_log)
            srv->opts.access_log(c->req, status, 0, (tn_time_ns() - c->req->start_ns) / 1000, srv->opts.access_log_user);
        tn__hs_req_end(c->req);
        tn__hs_req_put(c->req);
        c->req = NULL;
    }
    c->state = TN__HC_LINGER;
    tn__hc_deadline(c, TN__TQ_NONE);
    tn__hs_date(srv);
    p = tn__hs_put_str(p, "HTTP/1.1 ", 9);
    p = tn__hs_put_u64(p, (uint64_t)status);
    *p++ = ' ';
    p = tn__hs_put_str(p, reason, strlen(reason));
    p = tn__hs_put_str(p, "\r\n", 2);
    p = tn__hs_put_str(p, srv->date_line, srv->date_len);
    p = tn__hs_put_str(p, "Content-Length: 0\r\nConnection: close\r\n\r\n", 40);
    tn__stream_cork(tn__hc_stream(c), 0);   /* responses to earlier pipelined requests go first */
    if (tn_stream_write(tn__hc_stream(c), buf, (size_t)(p - buf), tn__hc_after_write, c) != 0) (void)tn_stream_close(tn__hc_stream(c), NULL, NULL);
}

/* ---- reading requests ---- */
TN__PRIVATE void tn__hc_on_data(tn_stream *s, int status, tn_str data, void *user);

TN__PRIVATE void tn__hc_fill(tn__hconn *c, size_t seen) {
    int rc;
    tn__stream_cork(tn__hc_stream(c), 0);   /* about to wait for the client: send what is held */
    rc = tn__stream_fill(tn__hc_stream(c), seen, tn__hc_on_data, c);
    if (rc == TN_OK) c->reading = 1;
    else if (rc != TN_ECLOSED) (void)tn_stream_abort(tn__hc_stream(c), rc);
}

TN__PRIVATE void tn__hc_on_data(tn_stream *s, int status, tn_str data, void *user) {
    tn__hconn *c = (tn__hconn *)user;
    (void)s;
    (void)data;
    c->reading = 0;
    if (status != TN_OK) return;   /* closing: the close callback cleans up */
    tn__hc_process(c);
}

TN__PRIVATE void tn__hc_dispatch(tn__hconn *c) {
    tn_request *r = c->req;
    /* pipelined requests behind this one: hold responses, send them together */
    if (tn__stream_peek(tn__hc_stream(c)).len > r->held) tn__stream_cork(tn__hc_stream(c), 1);
    c->state = TN__HC_HANDLER;
    r->dispatched = 1;
    tn__hc_deadline(c, TN__TQ_NONE);
    tn__stream_watch_close(tn__hc_stream(c), 1);   /* notice a client that leaves while we work */
    c->srv->on_request(r, c->srv->user);
    if (c->state == TN__HC_DETACHED) return;   /* the handler owns the stream now */
    if (c->req == r) tn__stream_cork(tn__hc_stream(c), 0);   /* answered later: do not hold earlier responses */
}

TN__PRIVATE const char *tn__hs_first_token(tn_str v, size_t *len) {
    size_t i = 0, j;
    while (i < v.len && (v.ptr[i] == ' ' || v.ptr[i] == '\t')) i++;
    j = i;
    while (j < v.len && v.ptr[j] != ',' && v.ptr[j] != ' ' && v.ptr[j] != '\t') j++;
    *len = j - i;
    return v.ptr + i;
}

TN__PRIVATE void tn__hs_req_apply_xheaders(tn_request *r) {
    tn_str v;
    char ip[TN_ADDR_STRLEN];
    if (tn_http_header_get(r->p.headers, r->p.num_headers, "X-Real-Ip", &v) == TN_OK ||
        tn_http_header_get(r->p.headers, r->p.num_headers, "X-Forwarded-For", &v) == TN_OK) {
        /* X-Forwarded-For: the last entry is the one our proxy added */
        size_t start = v.len, end = v.len;
        while (end > 0 && (v.ptr[end - 1] == ' ' || v.ptr[end - 1] == '\t')) end--;
        start = end;
        while (start > 0 && v.ptr[start - 1] != ',') start--;
        while (start < end && (v.ptr[start] == ' ' || v.ptr[start] == '\t')) start++;
        if (end > start && end - start < sizeof ip) {
            memcpy(ip, v.ptr + start, end - start);
            ip[end - start] = 0;
            if (tn_is_valid_ip(ip)) {
                memcpy(r->remote_ip, ip, end - start + 1);
                r->remote_ip_known = 1;
            }
        }
    }
    if (tn_http_header_get(r->p.headers, r->p.num_headers, "X-Scheme", &v) == TN_OK ||
        tn_http_header_get(r->p.headers, r->p.num_headers, "X-Forwarded-Proto", &v) == TN_OK) {
        size_t n;
        const char *t = tn__hs_first_token(v, &n);
        if (tn_str_ieq(tn_str_make(t, n), tn_str_c("https"))) r->protocol = "https";
        else if (tn_str_ieq(tn_str_make(t, n), tn_str_c("http"))) r->protocol = "http";
    }
}

/* The head is complete: check it, decide the body, and hand over or read on. */
TN__PRIVATE void tn__hc_head_done(tn__hconn *c, const char *base, size_t head_len) {
    tn_request *r = c->req;
    tn_http_server *srv = c->srv;
    r->head_len = head_len;
    r->held = head_len;
    r->base = base;
    if (r->p.version >= 11 && !(r->p.flags & TN_HTTP_F_HOST)) {
        TN__LLOG(srv->loop, TN_LOG_DEBUG, TN_EPARSE, "http: HTTP/1.1 request without one Host: answered 400");
        tn__hc_fail(c, 400);   /* RFC 9112 §3.2: exactly one Host */
        return;
    }
    if (r->p.target_form == TN_HTTP_TARGET_AUTHORITY) {
        tn__hc_fail(c, 405);   /* CONNECT: not a proxy */
        return;
    }
    if (r->p.body_kind == TN_HTTP_BODY_LENGTH && r->p.content_length > srv->opts.max_body_size) {
        TN__LLOG(srv->loop, TN_LOG_DEBUG, TN_EBODY_TOO_LARGE, "http: Content-Length %llu over max_body_size %llu: answered 413",
                 (unsigned long long)r->p.content_length, (unsigned long long)srv->opts.max_body_size);
        tn__hc_fail(c, 413);
        return;
    }
    r->head_only = tn_str_eq_c(r->p.method, "HEAD");
    r->close_after = srv->opts.no_keep_alive || !(r->p.flags & TN_HTTP_F_KEEP_ALIVE);
#if TN_HAS_OPENSSL
    r->protocol = tn_stream_is_tls(tn__hc_stream(c)) ? "https" : "http";
#else
    r->protocol = "http";
#endif
    if (srv->opts.xheaders) tn__hs_req_apply_xheaders(r);   /* else remote_ip is filled on demand */
    r->chunked.max_body_bytes = srv->opts.max_body_size;
    r->dec_end = head_len;
    if (srv->opts.on_headers) {
        r->in_on_headers = 1;
        srv->opts.on_headers(r, srv->user);
        r->in_on_headers = 0;
        if (!c->req) return;   /* answered (or detached) from on_headers */
    }
    if (r->p.body_kind != TN_HTTP_BODY_NONE && (r->p.flags & TN_HTTP_F_EXPECT_CONTINUE) &&
        tn__stream_peek(tn__hc_stream(c)).len == head_len) {
        (void)tn_stream_write(tn__hc_stream(c), "HTTP/1.1 100 Continue\r\n\r\n", 25, NULL, NULL);
    }
    if (r->body_cb) {
        /* streamed body: the head moves out of the buffer so the body can be consumed */
        r->own = (char *)tn__alloc(tn__loop_alloc(srv->loop), head_len);
        if (!r->own) {
            tn__hc_fail(c, 503);
            return;
        }
        memcpy(r->own, base, head_len);
        tn__hs_req_rebase(r, r->own);
        tn__stream_consume(tn__hc_stream(c), head_len);
        r->held = 0;
        r->body_left = r->p.body_kind == TN_HTTP_BODY_LENGTH ? r->p.content_length : 0;
    }
    if (r->p.body_kind == TN_HTTP_BODY_NONE) {
        if (r->body_cb) {
            r->streaming_done = 1;
            c->state = TN__HC_HANDLER;
            r->dispatched = 1;
            r->body_cb(r, TN_OK, tn_str_make(NULL, 0), r->body_user);
            return;
        }
        tn__hc_dispatch(c);
        return;
    }
    c->state = TN__HC_BODY;
    tn__hc_deadline(c, TN__TQ_BODY);
    if (r->body_cb) {
        r->dispatched = 1;   /* the handler owns it from on_headers on */
        tn__stream_watch_close(tn__hc_stream(c), 0);
    }
    tn__hc_process(c);
}

/* Streamed body: hand out what is buffered, consuming it. Returns 1 when the body ended,
   0 when more is to come, -1 after a framing error (reported; the connection is closing). */
TN__PRIVATE int tn__hc_stream_body(tn__hconn *c, tn_str data) {
    tn_request *r = c->req;
    if (r->p.body_kind == TN_HTTP_BODY_LENGTH) {
        size_t take = (size_t)TN__MIN((uint64_t)data.len, r->body_left);
        if (take > 0) {
            r->body_left -= take;
            r->body_seen += take;
            r->body_cb(r, TN_MORE, tn_str_make(data.ptr, take), r->body_user);
            if (c->req != r || !r->conn) return 1;
            tn__stream_consume(tn__hc_stream(c), take);
        }
        return r->body_left == 0;
    } else {
        size_t len = data.len;
        int rc = tn_http_decode_chunked(&r->chunked, (char *)(uintptr_t)data.ptr, &len);
        if (rc < 0 && rc != TN_EINCOMPLETE) {
            r->streaming_done = 1;   /* reported once: neither the close nor TN_OK follow */
            r->body_cb(r, rc, tn_str_make(NULL, 0), r->body_user);
            if (c->req == r) (void)tn_stream_abort(tn__hc_stream(c), rc);
            return -1;
        }
        if (len > 0) {
            r->body_seen += len;
            r->body_cb(r, TN_MORE, tn_str_make(data.ptr, len), r->body_user);
            if (c->req != r || !r->conn) return 1;
        }
        if (rc == TN_EINCOMPLETE) {
            tn__stream_consume(tn__hc_stream(c), data.len);
            return 0;
        }
        /* complete: the rc bytes after the body (the next request) sit at data.ptr + len;
           what lies beyond them is spent chunk framing */
        tn__stream_truncate(tn__hc_stream(c), len + (size_t)rc);
        tn__stream_consume(tn__hc_stream(c), len);
        return 1;
    }
}

/* Work on whatever the stream holds, by state; read more when needed. */
TN__PRIVATE void tn__hc_process(tn__hconn *c) {
    tn_http_server *srv = c->srv;
    tn_str data = tn__stream_peek(tn__hc_stream(c));
    tn_request *r;
    int rc;
    if (c->state == TN__HC_HEAD) {
        if (data.len == 0) {
            tn__hc_deadline(c, TN__TQ_IDLE);
            tn__hc_fill(c, 0);
            return;
        }
        if (!c->req) {
            /* the first byte of a request: it must now arrive whole in header_timeout */
            if (!(c->req = tn__hs_req_get(srv))) {
                tn__hc_fail(c, 503);
                return;
            }
            c->req->conn = c;
            tn__hc_deadline(c, TN__TQ_HEADER);
        }
        r = c->req;
        rc = tn_http_parse_request(data.ptr, data.len, &r->p);
        if (rc == TN_EINCOMPLETE) {
            tn__hc_fill(c, data.len);
            return;
        }
        if (rc < 0) {
            int st = tn_http_error_status(rc);
            TN__LLOG(srv->loop, TN_LOG_DEBUG, rc, "http: bad request (%s): answered %d", tn_strerror(rc), st ? st : 400);
            tn__hc_fail(c, st ? st : 400);
            return;
        }
        tn__hc_head_done(c, data.ptr, (size_t)rc);
        return;
    }
    if (c->state != TN__HC_BODY) return;
    r = c->req;
    if (r->body_cb) {
        if (data.len > 0 && !r->paused) {
            int ended = tn__hc_stream_body(c, data);
            if (ended < 0 || c->req != r) return;
            if (ended) {
                if (!r->conn) return;
                r->streaming_done = 1;
                r->held = 0;
                c->state = TN__HC_HANDLER;
                tn__stream_watch_close(tn__hc_stream(c), 1);
                tn__hc_deadline(c, TN__TQ_NONE);
                r->body_cb(r, TN_OK, tn_str_make(NULL, 0), r->body_user);
                return;
            }
            data = tn__stream_peek(tn__hc_stream(c));
        }
        if (!r->paused) tn__hc_fill(c, data.len);
        return;
    }
    if (data.ptr != r->base) tn__hs_req_rebase(r, data.ptr);   /* the buffer grew and moved */
    if (r->p.body_kind == TN_HTTP_BODY_LENGTH) {
        if (data.len - r->head_len >= r->p.content_length) {
            r->body = tn_str_make(data.ptr + r->head_len, (size_t)r->p.content_length);
            r->held = r->head_len + (size_t)r->p.content_length;
            tn__hc_dispatch(c);
            return;
        }
        tn__hc_fill(c, data.len);
        return;
    }
    /* buffered chunked body: decode in place right after the decoded part */
    if (data.len > r->dec_end) {
        char *raw = (char *)(uintptr_t)data.ptr + r->dec_end;
        size_t len = data.len - r->dec_end;
        rc = tn_http_decode_chunked(&r->chunked, raw, &len);
        if (rc < 0 && rc != TN_EINCOMPLETE) {
            tn__hc_fail(c, tn_http_error_status(rc));   /* 413 body, 431 trailer, 400 framing */
            return;
        }
        r->dec_end += len;
        /* keep the decoded body and (when complete) the next request's bytes; drop the rest */
        tn__stream_truncate(tn__hc_stream(c), r->dec_end + (rc >= 0 ? (size_t)rc : 0));
        if (rc >= 0) {
            r->body = tn_str_make(data.ptr + r->head_len, r->dec_end - r->head_len);
            r->held = r->dec_end;
            tn__hc_dispatch(c);
            return;
        }
    }
    tn__hc_fill(c, r->dec_end);
}

/* Start on the next request of a keep-alive connection (pipelined bytes first). */
TN__PRIVATE void tn__hc_next(tn__hconn *c) {
    c->state = TN__HC_HEAD;
    tn__hc_process(c);
}

TN__PRIVATE void tn__hs_on_ready(tn__defer *d) {
    tn_http_server *srv = (tn_http_server *)(void *)((char *)d - offsetof(tn_http_server, ready_d));
    tn__hconn *c = srv->ready_head, *last = srv->ready_tail;
    /* only those scheduled before this pass: a connection rescheduled now waits a turn */
    srv->ready_head = srv->ready_tail = NULL;
    while (c) {
        tn__hconn *next = c->ready_next;
        int was_last = c == last;
        c->ready = 0;
        if (c->state != TN__HC_DETACHED && !tn_stream_closed(tn__hc_stream(c)) && c->state != TN__HC_CLOSING &&
            c->state != TN__HC_LINGER)
            tn__hc_next(c);
        if (was_last) break;
        c = next;
    }
}

/* ---- connections ---- */
TN__PRIVATE void tn__hc_on_close(tn_stream *s, int cause, void *user) {
    tn__hconn *c = (tn__hconn *)user;
    tn_http_server *srv = c->srv;
    tn_request *r = c->req;
    (void)s;
    (void)cause;
    tn__hs_tq_unlink(c);
    if (r) {
        r->conn = NULL;
        if (!r->dispatched || r->finished) {
            tn__hs_req_put(r);
        } else if (r->close_cb) {
            r->close_cb(r, r->close_user);
            if (!r->finished) {
                r->finished = 1;
                tn__hs_req_put(r);
            }
        } else if (r->body_cb && !r->streaming_done) {
            r->body_cb(r, cause ? cause : TN_ECLOSED, tn_str_make(NULL, 0), r->body_user);
            r->next_free = srv->orphans;
            srv->orphans = r;
        } else {
            /* the handler still holds it: released when it answers (or at server close) */
            r->next_free = srv->orphans;
            srv->orphans = r;
        }
    }
    srv->nconns--;
    tn__hc_unschedule(c);   /* the connection's memory goes with the stream, after this */
}

TN__PRIVATE void tn__hs_on_conn(tn_tcp_server *tcp, tn_stream *s, const tn_addr *peer, void *user) {
    tn_http_server *srv = (tn_http_server *)user;
    tn__hconn *c = (tn__hconn *)tn__tcp_conn_state(s);   /* allocated (zeroed) with the stream */
    (void)tcp;
    (void)peer;
    c->srv = srv;
    c->state = TN__HC_HEAD;
    c->tq = TN__TQ_NONE;
    srv->nconns++;
    tn_stream_set_close_cb(s, tn__hc_on_close, c);
    /* responses leave in one write each: Nagle would only delay them (as nginx, nodelay) */
    (void)tn_stream_set_nodelay(s, 1);
    tn__hc_process(c);
}

/* ---- server ---- */
TN__PRIVATE void tn__hs_free(tn_http_server *srv) {
    tn_allocator *a = tn__loop_alloc(srv->loop);
    if (srv->tq_timer) (void)tn_loop_cancel(srv->loop, srv->tq_timer);
    if (srv->close_timer) (void)tn_loop_cancel(srv->loop, srv->close_timer);
    tn__defer_unqueue(srv->loop, &srv->ready_d);
    while (srv->free_reqs) {
        tn_request *r = srv->free_reqs;
        srv->free_reqs = r->next_free;
        tn__hs_req_free(a, r);
    }
    while (srv->orphans) {
        tn_request *r = srv->orphans;
        srv->orphans = r->next_free;
        tn__free(a, r->own);
        tn__hs_req_free(a, r);
    }
    tn__free(a, srv->server_header);
    tn__free(a, srv);
}

TN__PRIVATE void tn__hs_on_tcp_closed(tn_loop *loop, void *user) {
    tn_http_server *srv = (tn_http_server *)user;
    tn_cb cb = srv->close_cb;
    void *cu = srv->close_user;
    tn__hs_free(srv);
    if (cb) cb(loop, cu);
}

/* Graceful close, for each connection: idle ones go now, busy ones after their response. */
TN__PRIVATE void tn__hs_close_conn(tn_stream *s, void *ctx) {
    tn__hconn *c = (tn__hconn *)tn__tcp_conn_state(s);
    (void)ctx;
    if (c->state == TN__HC_DETACHED) return;
    if (!c->req && c->state != TN__HC_DRAIN) (void)tn_stream_close(s, NULL, NULL);
    else if (c->req) c->req->close_after = 1;
}

TN__PRIVATE void tn__hs_abort_conn(tn_stream *s, void *ctx) {
    (void)ctx;
    if (((tn__hconn *)tn__tcp_conn_state(s))->state != TN__HC_DETACHED) (void)tn_stream_abort(s, TN_ETIMEOUT);
}

TN__PRIVATE void tn__hs_on_deadline(tn_loop *loop, void *user) {
    tn_http_server *srv = (tn_http_server *)user;
    (void)loop;
    srv->close_timer = 0;
    tn__tcp_server_each(srv->tcp, tn__hs_abort_conn, NULL);
}

/* The options with their defaults (server_header is copied by the caller). */
TN__PRIVATE void tn__hs_opts_resolve(const tn_http_server_opts *in, tn_http_server_opts *o) {
    memset(o, 0, sizeof *o);
    if (in) *o = *in;
    o->max_header_size = TN__DEF(o->max_header_size, TORNADO_MAX_HEADER_BYTES);
    o->max_headers = TN__DEF(o->max_headers, TORNADO_MAX_HEADERS);
    o->max_target_length = TN__DEF(o->max_target_length, TORNADO_MAX_TARGET_LENGTH);
    o->max_body_size = TN__DEF(o->max_body_size, TORNADO_MAX_BODY_BYTES);
    o->idle_connection_timeout_ms = TN__DEF(o->idle_connection_timeout_ms, TORNADO_HTTP_IDLE_TIMEOUT_MS);
    o->header_timeout_ms = TN__DEF(o->header_timeout_ms, TORNADO_HTTP_HEADER_TIMEOUT_MS);
    /* the stream buffer holds a head and a buffered body at once */
    if (!o->tcp.stream.max_buffer_size)
        o->tcp.stream.max_buffer_size = (size_t)TN__MIN((uint64_t)((size_t)-1 / 2), o->max_body_size + o->max_header_size + 65536);
    if (!o->server_header) o->server_header = "tornado.h/" TORNADO_VERSION;
    if (!o->tcp.tls) o->tcp.tls = o->tls;
}

TN_API int tn_http_server_new(tn_loop *loop, const tn_http_server_opts *opts, tn_request_cb on_request,
                              void *user, tn_http_server **out) {
    tn_http_server *srv;
    const char *sh;
    int rc;
    if (!loop || !on_request || !out) return TN_EINVAL;
    *out = NULL;
    srv = (tn_http_server *)tn__calloc(tn__loop_alloc(loop), sizeof *srv);
    if (!srv) return TN_ENOMEM;
    tn__hs_opts_resolve(opts, &srv->opts);
    srv->loop = loop;
    srv->on_request = on_request;
    srv->user = user;
    sh = srv->opts.server_header;
    if (!tn__hs_hdr_value_ok(sh) || !(srv->server_header = tn__strdup(tn__loop_alloc(loop), sh))) {
        tn__free(tn__loop_alloc(loop), srv);
        return TN_EINVAL;
    }
    srv->opts.server_header = srv->server_header;
    srv->req_size = sizeof(tn_request) + srv->opts.max_headers * sizeof(tn_http_header);
    srv->date_sec = -1;
    if ((rc = tn_tcp_server_new(loop, &srv->opts.tcp, tn__hs_on_conn, srv, &srv->tcp)) != 0) {
        tn__free(tn__loop_alloc(loop), srv->server_header);
        tn__free(tn__loop_alloc(loop), srv);
        return rc;
    }
    tn__tcp_server_set_conn_extra(srv->tcp, sizeof(tn__hconn));
    tn__defer_init(&srv->ready_d, tn__hs_on_ready, NULL);
    *out = srv;
    return TN_OK;
}

TN_API int tn_http_server_listen(tn_http_server *srv, const char *host, int port) {
    return srv ? tn_tcp_server_listen(srv->tcp, host, port) : TN_EINVAL;
}
TN_API int tn_http_server_listen_unix(tn_http_server *srv, const char *path, int mode) {
    return srv ? tn_tcp_server_listen_unix(srv->tcp, path, mode) : TN_EINVAL;
}
TN_API int tn_http_server_add_socket(tn_http_server *srv, tn_socket fd) {
    return srv ? tn_tcp_server_add_socket(srv->tcp, fd) : TN_EINVAL;
}
TN_API int tn_http_server_port(const tn_http_server *srv) { return tn_tcp_server_port(srv->tcp); }
TN_API size_t tn_http_server_connections(const tn_http_server *srv) { return srv->nconns; }
TN_API const tn_http_server_opts *tn_http_server_get_opts(const tn_http_server *srv) { return &srv->opts; }
TN_API tn_loop *tn_http_server_loop(const tn_http_server *srv) { return srv->loop; }

TN_API int tn_http_server_close(tn_http_server *srv, uint64_t deadline_ms, tn_cb cb, void *user) {
    int rc;
    if (!srv) return TN_EINVAL;
    if (srv->closing) return TN_ECLOSED;
    srv->closing = 1;
    srv->close_cb = cb;
    srv->close_user = user;
    /* idle connections go now; busy ones after their response (or at the deadline) */
    tn__tcp_server_each(srv->tcp, tn__hs_close_conn, NULL);
    if (deadline_ms && srv->nconns > 0)
        (void)tn_loop_call_later(srv->loop, deadline_ms, tn__hs_on_deadline, srv, &srv->close_timer);
    rc = tn_tcp_server_close(srv->tcp, tn__hs_on_tcp_closed, srv);
    return rc;
}

/* ---- request accessors ---- */
TN_API tn_str tn_request_method(const tn_request *req) { return req->p.method; }
TN_API tn_str tn_request_target(const tn_request *req) { return req->p.target; }
TN_API tn_str tn_request_path(const tn_request *req) {
    const char *q = req->p.target.len ? (const char *)memchr(req->p.target.ptr, '?', req->p.target.len) : NULL;
    return tn_str_make(req->p.target.ptr, q ? (size_t)(q - req->p.target.ptr) : req->p.target.len);
}
TN_API tn_str tn_request_query(const tn_request *req) {
    const char *q = req->p.target.len ? (const char *)memchr(req->p.target.ptr, '?', req->p.target.len) : NULL;
    if (!q) return tn_str_make(NULL, 0);
    return tn_str_make(q + 1, req->p.target.len - (size_t)(q + 1 - req->p.target.ptr));
}
TN_API int tn_request_version(const tn_request *req) { return req->p.version; }
TN_API const tn_http_header *tn_request_headers(const tn_request *req, size_t *n) {
    if (n) *n = req->p.num_headers;
    return req->p.headers;
}
TN_API int tn_request_header(const tn_request *req, const char *name, tn_str *value) {
    return tn_http_header_get(req->p.headers, req->p.num_headers, name, value);
}
TN_API tn_str tn_request_body(const tn_request *req) { return req->body; }
TN_API const char *tn_request_remote_ip(const tn_request *req) {
    tn_request *r = (tn_request *)(uintptr_t)req;   /* filled on first use: a system call */
    if (!r->remote_ip_known) {
        tn_addr a;
        r->remote_ip_known = 1;   /* "" if the client is already gone */
        if (tn_request_peer(r, &a) == TN_OK &&
            (tn_addr_family(&a) == TN_AF_UNIX || tn_addr_ip(&a, r->remote_ip, sizeof r->remote_ip) < 0))
            strcpy(r->remote_ip, "unix");
    }
    return r->remote_ip;
}
TN_API const char *tn_request_protocol(const tn_request *req) { return req->protocol; }
TN_API int tn_request_peer(const tn_request *req, tn_addr *out) {
    if (!req->conn) return TN_ECLOSED;
    return tn_stream_peer(tn__hc_stream(req->conn), out);
}
TN_API tn_http_server *tn_request_server(const tn_request *req) { return req->srv; }
TN_API tn_stream *tn_request_stream(const tn_request *req) { return req->conn ? tn__hc_stream(req->conn) : NULL; }
TN_API void tn_request_set_user(tn_request *req, void *user) { req->user = user; }
TN_API void *tn_request_get_user(const tn_request *req) { return req->user; }
TN_API void tn_request_set_close_cb(tn_request *req, tn_request_cb cb, void *user) {
    req->close_cb = cb;
    req->close_user = user;
}
TN_API void tn_request_get_close_cb(const tn_request *req, tn_request_cb *cb, void **user) {
    *cb = req->close_cb;
    *user = req->close_user;
}
TN_API void tn_request_set_finish_cb(tn_request *req, tn_request_cb cb, void *user) {
    req->finish_cb = cb;
    req->finish_user = user;
}

TN_API int tn_request_stream_body(tn_request *req, tn_body_cb cb, void *user) {
    if (!req || !cb || !req->in_on_headers) return TN_EINVAL;
    if (req->body_cb) return TN_EBUSY;
    req->body_cb = cb;
    req->body_user = user;
    return TN_OK;
}

TN_API void tn_request_pause(tn_request *req) { req->paused = 1; }

TN_API void tn_request_resume(tn_request *req) {
    if (!req->paused) return;
    req->paused = 0;
    if (req->conn && req->conn->state == TN__HC_BODY && !req->conn->reading)
        tn__hc_schedule(req->conn);
}

#endif /* TN_HAS_HTTP_SERVER */
/* <<http_server.c  end of src/http_server.c */

/* ======================================================================== */
/* >>http_client.c  (src/http_client.c)                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/http_client.c"
#endif
/* http_client.c: tn_http_client: fetch queue, connection pool, request writer, response reader, redirects, proxies. */
/* #include "http_client.h" (inlined above) */
/* #include "internal.h" (inlined above) */
/* #include "url.h" (inlined above) */
/* #include "http_util.h" (inlined above) */
/* #include "http_cookie.h" (inlined above) */
/* #include "deflate.h" (inlined above) */

#if TN_HAS_HTTP_CLIENT

/* ---- hooks other modules fill in -------------------------------------------------------
   TLS: a connection to an https:// origin (directly, or through a CONNECT tunnel) is
   handed to tn__hcl_tls_start with the origin's host name once TCP (and the tunnel) is up.
   With TORNADO_WITH_OPENSSL it starts TLS on the stream (tn_stream_start_tls) with the
   context the request asks for (tn__hcl_tls_ctx); the handshake callback
   (tn__hcl_tls_done) sends the request or fails the fetch with OpenSSL's reason. Without
   it https:// fetches fail with TN_ENOTSUP.

   Decoders (decompress_response): tn__hcl_decoders lists the content codings that can be
   decoded; with the DEFLATE module they are "gzip" and "deflate" (below). Accept-Encoding
   is sent only when the list is not empty, so without a decoder servers answer
   uncompressed. A decoder's state comes from the loop's allocator once per response; it
   hands out decoded bytes in pieces of at most TN__HCL_DEC_PIECE bytes from its own buffer,
   and stops with TN_ELIMIT at max_output decoded bytes (max_body_size), so a bomb costs
   no memory beyond the cap. */
typedef struct tn__hcl_decoder {
    const char *coding;                                               /* "gzip" */
    void *(*start)(const tn_allocator *a, uint64_t max_output);      /* NULL: out of memory */
    /* Decode from *in (advanced past what was taken) into one piece *out (valid until the
       next call). Call again while *in is not empty or a piece came out.
       Returns TN_OK, 1 (the stream is complete; bytes after it are ignored), or < 0
       (TN_ELIMIT at max_output, or corrupt data: error() says what). */
    int (*run)(void *st, tn_str *in, tn_str *out);
    const char *(*error)(void *st);
    void (*end)(void *st, const tn_allocator *a);
} tn__hcl_decoder;

#if TN_HAS_DEFLATE
#define TN__HCL_DEC_PIECE 16384

typedef struct tn__hcl_inflate {
    tn_inflater *inf;
    uint64_t max_output;
    int probe;                /* deflate: the first two bytes decide zlib or raw (0: decided) */
    size_t nhead;
    unsigned char head[2];
    char out[TN__HCL_DEC_PIECE];
    /* the inflater's memory follows */
} tn__hcl_inflate;

TN__PRIVATE void *tn__hcl_inflate_start(const tn_allocator *a, uint64_t max_output, int format) {
    tn_inflate_opts o;
    tn__hcl_inflate *d;
    size_t size;
    memset(&o, 0, sizeof o);
    o.format = format;
    o.max_output = max_output ? max_output : 1;
    size = tn_inflater_size(&o);
    if (!size || !(d = (tn__hcl_inflate *)tn__alloc(a, sizeof *d + size))) return NULL;
    memset(d, 0, sizeof *d);
    d->max_output = o.max_output;
    d->probe = format == TN_DEFLATE_ZLIB;
    if (tn_inflater_init(d + 1, size, &o, &d->inf) != TN_OK) {
        tn__free(a, d);
        return NULL;
    }
    return d;
}
TN__PRIVATE void *tn__hcl_gzip_start(const tn_allocator *a, uint64_t max_output) {
    return tn__hcl_inflate_start(a, max_output, TN_DEFLATE_GZIP);
}
/* "deflate" is zlib (RFC 9110 §8.4.1.2); servers that send raw DEFLATE under that name
   exist (old IIS, some proxies), so browsers and curl accept those too: a first two bytes
   that are not a zlib header (method 8, window <= 32 KiB, check bits) mean raw DEFLATE. */
TN__PRIVATE void *tn__hcl_zlib_start(const tn_allocator *a, uint64_t max_output) {
    return tn__hcl_inflate_start(a, max_output, TN_DEFLATE_ZLIB);
}

TN__PRIVATE int tn__hcl_inflate_run(void *st, tn_str *in, tn_str *out) {
    tn__hcl_inflate *d = (tn__hcl_inflate *)st;
    size_t used = 0, made = 0;
    int rc;
    *out = tn_str_make(NULL, 0);
    if (d->probe) {
        while (d->nhead < 2 && in->len > 0) {
            d->head[d->nhead++] = (unsigned char)in->ptr[0];
            in->ptr++;
            in->len--;
        }
        if (d->nhead < 2) return TN_OK;
        d->probe = 0;
        if ((d->head[0] & 0x0f) != 8 || (d->head[0] >> 4) > 7 || ((d->head[0] << 8) | d->head[1]) % 31 != 0) {
            tn_inflate_opts o;
            memset(&o, 0, sizeof o);
            o.format = TN_DEFLATE_RAW;
            o.max_output = d->max_output;
            if (tn_inflater_init(d + 1, tn_inflater_size(&o), &o, &d->inf) != TN_OK) return TN_EINVAL;
        }
        rc = tn_inflate(d->inf, d->head, 2, &used, d->out, sizeof d->out, &made);
        if (rc < 0) return rc;
        if (used < 2) return TN_EINVAL;   /* two bytes always go in: the output is empty */
        *out = tn_str_make(d->out, made);
        return rc == TN_INFLATE_END ? 1 : TN_OK;
    }
    rc = tn_inflate(d->inf, in->ptr, in->len, &used, d->out, sizeof d->out, &made);
    in->ptr += used;
    in->len -= used;
    *out = tn_str_make(d->out, made);
    if (rc < 0) return rc;
    return rc == TN_INFLATE_END ? 1 : TN_OK;
}
TN__PRIVATE const char *tn__hcl_inflate_error(void *st) { return tn_inflater_error(((tn__hcl_inflate *)st)->inf); }
TN__PRIVATE void tn__hcl_inflate_end(void *st, const tn_allocator *a) { tn__free(a, st); }

static const tn__hcl_decoder tn__hcl_gzip_dec = { "gzip", tn__hcl_gzip_start, tn__hcl_inflate_run,
                                                  tn__hcl_inflate_error, tn__hcl_inflate_end };
static const tn__hcl_decoder tn__hcl_deflate_dec = { "deflate", tn__hcl_zlib_start, tn__hcl_inflate_run,
                                                     tn__hcl_inflate_error, tn__hcl_inflate_end };
static const tn__hcl_decoder *const tn__hcl_decoders[] = { &tn__hcl_gzip_dec, &tn__hcl_deflate_dec, NULL };
#else
static const tn__hcl_decoder *const tn__hcl_decoders[] = { NULL };   /* TORNADO_NO_DEFLATE */
#endif

TN__PRIVATE const tn__hcl_decoder *tn__hcl_decoder_find(tn_str coding) {
    size_t i;
    for (i = 0; tn__hcl_decoders[i]; i++)
        if (tn_str_ieq(coding, tn_str_c(tn__hcl_decoders[i]->coding))) return tn__hcl_decoders[i];
    return NULL;
}

/* ---- types ------------------------------------------------------------------------------ */
typedef struct tn__hcl_conn tn__hcl_conn;

enum {   /* fetch states */
    TN__HCL_QUEUED = 0,   /* waiting for a slot (max_clients) */
    TN__HCL_CONNECT,      /* TCP connect (resolve included) */
    TN__HCL_TUNNEL,       /* CONNECT exchange with a proxy */
    TN__HCL_ACTIVE,       /* request on a connection */
    TN__HCL_DONE          /* answered (or the answer is deferred) */
};

enum { TN__HCL_R_HEAD = 0, TN__HCL_R_BODY };

struct tn__hcl_conn {
    tn_http_client *cl;
    tn_stream *s;
    tn_connector *cx;              /* while connecting */
    tn_http_fetch *f;              /* the fetch using it; NULL when idle or orphaned */
    tn__hcl_conn *prev, *next;     /* the client's list (idle ones first, most recent first) */
    char *key;                     /* pool key: origin (and proxy) */
    tn_timer_id idle_timer;
    uint64_t uses;
    int idle;
};

struct tn_http_client {
    tn__handle h;
    tn__defer dispatch_d;          /* starts queued fetches from the loop */
    tn_http_client_opts o;         /* resolved; strings and headers point into store */
    char *store;
    tn_http_fetch *q_head, *q_tail;   /* waiting for a slot, FIFO */
    tn_http_fetch *a_head;         /* in flight */
    tn__hcl_conn *conns;
    tn_buf scratch;                /* request heads are built here (writes copy) */
    tn_http_client_stats st;
    size_t fetches;                /* fetch handles not yet answered (the client outlives them) */
    tn_tls_ctx *tls;               /* the default client context (opts.tls or made on first use) */
    tn_tls_ctx *tls_own;           /* the last context a request's TLS fields asked for ... */
    char *tls_own_key;             /* ... and those fields (tn__hcl_tls_key) */
    int closing;
    tn_cb close_cb;
    void *close_user;
};

struct tn_http_fetch {
    tn__handle h;
    tn__defer done_d;              /* a cancelled fetch answers from the loop */
    tn_http_client *cl;
    tn_http_fetch *prev, *next;    /* queue or in-flight list */
    tn_http_fetch_cb cb;
    void *user;
    int state;

    /* the request (copied; url and method change on redirects) */
    tn_buf url;                    /* NUL-terminated */
    tn_url u;
    const char *method;
    tn_http_header *hdrs;
    unsigned char *hdr_drop;       /* 1: not sent any more (redirect rules) */
    size_t nhdrs;
    const char *body;
    size_t body_len;
    int has_body;
    tn_http_producer_cb producer;
    void *producer_user;
    const char *auth_user, *auth_pass;
    const char *user_agent, *source_ip;
    const char *proxy_host, *proxy_user, *proxy_pass;
    const char *ca_certs, *client_cert, *client_key;
    int no_validate;
    int proxy_port;
    int proxy_tunnel;
    uint64_t connect_timeout, request_timeout;
    int64_t if_modified_since;
    int max_redirects;
    unsigned char follow, decompress, expect_continue, no_ipv6;
    tn_http_chunk_cb stream_cb;
    void *stream_user;
    tn_http_line_cb line_cb;
    void *line_user;

    /* the current exchange */
    tn__hcl_conn *conn;
    tn_timer_id timer;
    tn_http_response p;
    tn_http_header *rh;            /* max_headers */
    tn_http_chunked ch;
    tn_buf head_copy;              /* streaming: the final head, parsed again here */
    const char *head_base;         /* where the head was parsed (slices are rebased from it) */
    size_t scan, head_len, dec_end;
    uint64_t body_left, body_seen, body_limit;
    uint64_t prod_bytes;
    int rstate;
    int redirects;
    int prod_pending;
    const tn__hcl_decoder *dec;
    void *dec_state;
    tn_buf dec_out;
    unsigned char dec_done;        /* the decoder saw the end of the coded stream */
    unsigned char got_bytes, reused, retried, fresh_only, redirect_hop, conn_close;
    unsigned char req_sent, body_ready, body_ended, chunked_out, waiting_continue, body_skipped;
    unsigned char in_producer, paused, tls_up, canceled;
    int error;
    const char *error_msg;
    char msg[160];
    uint64_t t_start, t_queue, t_connect0, t_connect, t_first;
};

#define TN__HCL_NOW_US() (tn_time_ns() / 1000u)

TN__PRIVATE void tn__hcl_start(tn_http_fetch *f);
TN__PRIVATE void tn__hcl_process(tn_http_fetch *f);
TN__PRIVATE void tn__hcl_fail(tn_http_fetch *f, int err, const char *msg);
TN__PRIVATE void tn__hcl_send_request(tn_http_fetch *f);
TN__PRIVATE void tn__hcl_maybe_closed(tn_http_client *cl);
TN__PRIVATE void tn__hcl_dispatch_later(tn_http_client *cl);

/* ---- small helpers ---------------------------------------------------------------------- */
TN__PRIVATE int tn__hcl_is_token(tn_str s) {
    size_t i;
    static const char *const extra = "!#$%&'*+-.^_`|~";
    if (s.len == 0) return 0;
    for (i = 0; i < s.len; i++) {
        unsigned char ch = (unsigned char)s.ptr[i];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch && strchr(extra, ch))))
            return 0;
    }
    return 1;
}

/* A value a header line can carry: no CR, LF or NUL (no injection). */
TN__PRIVATE int tn__hcl_value_ok(tn_str s) {
    size_t i;
    for (i = 0; i < s.len; i++)
        if (s.ptr[i] == '\r' || s.ptr[i] == '\n' || s.ptr[i] == '\0') return 0;
    return 1;
}

TN__PRIVATE int tn__hcl_cstr_ok(const char *s) { return !s || tn__hcl_value_ok(tn_str_c(s)); }

TN__PRIVATE int tn__hcl_method_is(const tn_http_fetch *f, const char *m) { return strcmp(f->method, m) == 0; }

TN__PRIVATE int tn__hcl_idempotent(const char *m) {
    return !strcmp(m, "GET") || !strcmp(m, "HEAD") || !strcmp(m, "PUT") || !strcmp(m, "DELETE") ||
           !strcmp(m, "OPTIONS") || !strcmp(m, "TRACE");
}

/* The request's own field named name (not dropped), or NULL. */
TN__PRIVATE const tn_http_header *tn__hcl_req_header(const tn_http_fetch *f, const char *name) {
    size_t i;
    for (i = 0; i < f->nhdrs; i++)
        if (!f->hdr_drop[i] && tn_str_ieq(f->hdrs[i].name, tn_str_c(name))) return &f->hdrs[i];
    return NULL;
}

TN__PRIVATE int tn__hcl_is_https(const tn_url *u) { return tn_str_ieq(u->scheme, tn_str_c("https")); }
TN__PRIVATE int tn__hcl_port(const tn_url *u) { return u->port > 0 ? u->port : (tn__hcl_is_https(u) ? 443 : 80); }

/* Parse f->url into f->u; only absolute http(s) URLs with a host. */
TN__PRIVATE int tn__hcl_parse_url(tn_http_fetch *f) {
    tn_str s = tn_str_make(tn_buf_ptr(&f->url), tn_buf_size(&f->url));
    if (tn_url_parse(s, &f->u) != 0) return TN_EBAD_URL;
    if (!tn_str_ieq(f->u.scheme, tn_str_c("http")) && !tn_str_ieq(f->u.scheme, tn_str_c("https"))) return TN_EBAD_URL;
    if (f->u.host.len == 0 || f->u.host.len > 255 || f->u.port == 0) return TN_EBAD_URL;
    return TN_OK;
}

TN__PRIVATE int tn__hcl_set_url(tn_http_fetch *f, tn_str url) {
    tn_buf nb;
    (void)tn_buf_init(&nb, tn__loop_alloc(f->h.loop));
    if (tn_buf_append(&nb, url.ptr, url.len) != 0 || tn_buf_append(&nb, "", 1) != 0) {
        tn_buf_free(&nb);
        return TN_ENOMEM;
    }
    nb.len--;   /* keep the NUL after the bytes */
    tn_buf_free(&f->url);
    f->url = nb;
    return tn__hcl_parse_url(f);
}

TN__PRIVATE void tn__hcl_set_msg(tn_http_fetch *f, const char *fmt, int a) {
    snprintf(f->msg, sizeof f->msg, fmt, a);
    f->error_msg = f->msg;
}

/* ---- connections ------------------------------------------------------------------------- */
TN__PRIVATE void tn__hcl_conn_unlink(tn__hcl_conn *c) {
    tn_http_client *cl = c->cl;
    if (c->prev) c->prev->next = c->next;
    else if (cl->conns == c) cl->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

TN__PRIVATE void tn__hcl_conn_push_front(tn__hcl_conn *c) {
    tn_http_client *cl = c->cl;
    c->prev = NULL;
    c->next = cl->conns;
    if (cl->conns) cl->conns->prev = c;
    cl->conns = c;
}

TN__PRIVATE void tn__hcl_conn_free(tn__hcl_conn *c) {
    tn_http_client *cl = c->cl;
    tn_allocator *a = tn__loop_alloc(cl->h.loop);
    tn__hcl_conn_unlink(c);
    if (c->idle_timer) (void)tn_loop_cancel(cl->h.loop, c->idle_timer);
    if (c->idle) cl->st.idle--;
    tn__free(a, c->key);
    tn__free(a, c);
    tn__hcl_maybe_closed(cl);
}

TN__PRIVATE void tn__hcl_conn_lost(tn__hcl_conn *c, int cause);

/* The stream closed (any cause): a fetch still on it learns why; the connection goes. */
TN__PRIVATE void tn__hcl_conn_on_close(tn_stream *s, int cause, void *user) {
    tn__hcl_conn *c = (tn__hcl_conn *)user;
    (void)s;
    c->s = NULL;
    if (c->f) tn__hcl_conn_lost(c, cause ? cause : TN_ECLOSED);
    tn__hcl_conn_free(c);
}

TN__PRIVATE void tn__hcl_conn_close(tn__hcl_conn *c) {
    c->f = NULL;
    if (c->s && !tn_stream_closed(c->s)) (void)tn_stream_close(c->s, NULL, NULL);
}

TN__PRIVATE void tn__hcl_conn_on_idle_timeout(tn_loop *loop, void *user) {
    tn__hcl_conn *c = (tn__hcl_conn *)user;
    (void)loop;
    c->idle_timer = 0;
    tn__hcl_conn_close(c);
}

TN__PRIVATE size_t tn__hcl_idle_for(const tn_http_client *cl, const char *key) {
    const tn__hcl_conn *c;
    size_t n = 0;
    for (c = cl->conns; c; c = c->next)
        if (c->idle && strcmp(c->key, key) == 0) n++;
    return n;
}

/* The fetch is done with the connection: pool it when reusable, else close it. */
TN__PRIVATE void tn__hcl_conn_release(tn__hcl_conn *c, int reusable) {
    tn_http_client *cl = c->cl;
    c->f = NULL;
    if (!c->s || tn_stream_closed(c->s)) return;   /* its close callback frees it */
    if (!reusable || cl->closing || cl->o.no_keep_alive || tn_stream_reading(c->s) ||
        tn__hcl_idle_for(cl, c->key) >= cl->o.pool_max_idle_per_host ||
        tn_loop_call_later(cl->h.loop, cl->o.pool_idle_timeout_ms, tn__hcl_conn_on_idle_timeout, c, &c->idle_timer) != 0) {
        tn__hcl_conn_close(c);
        return;
    }
    c->idle = 1;
    cl->st.idle++;
    tn__stream_watch_close(c->s, 1);   /* a server that closes an idle connection is noticed */
    tn__hcl_conn_unlink(c);
    tn__hcl_conn_push_front(c);
}

/* An idle pooled connection for key, taken out of the pool, or NULL. */
TN__PRIVATE tn__hcl_conn *tn__hcl_conn_take(tn_http_client *cl, const char *key) {
    tn__hcl_conn *c;
    for (c = cl->conns; c; c = c->next) {
        if (!c->idle) continue;
        if (strcmp(c->key, key) != 0 || !c->s || tn_stream_closed(c->s)) continue;
        if (!tn__stream_quiet(c->s)) {
            /* the server closed it or spoke unasked: not reusable (its close frees it) */
            tn__hcl_conn_close(c);
            continue;
        }
        c->idle = 0;
        cl->st.idle--;
        if (c->idle_timer) (void)tn_loop_cancel(cl->h.loop, c->idle_timer);
        c->idle_timer = 0;
        tn__stream_watch_close(c->s, 0);
        return c;
    }
    return NULL;
}

/* ---- answering ----------------------------------------------------------------------------- */
TN__PRIVATE void tn__hcl_list_remove(tn_http_fetch *f) {
    tn_http_client *cl = f->cl;
    tn_http_fetch **head = f->state == TN__HCL_QUEUED ? &cl->q_head : &cl->a_head;
    if (f->prev) f->prev->next = f->next;
    else if (*head == f) *head = f->next;
    if (f->next) f->next->prev = f->prev;
    else if (f->state == TN__HCL_QUEUED && cl->q_tail == f) cl->q_tail = f->prev;
    f->prev = f->next = NULL;
    if (f->state == TN__HCL_QUEUED) cl->st.queued--;
    else cl->st.active--;
}

/* Leave the client's lists and timers (the answer is about to be given). */
TN__PRIVATE void tn__hcl_detach(tn_http_fetch *f) {
    tn_http_client *cl = f->cl;
    if (f->state == TN__HCL_DONE) return;
    tn__hcl_list_remove(f);
    f->state = TN__HCL_DONE;
    if (f->timer) (void)tn_loop_cancel(f->h.loop, f->timer);
    f->timer = 0;
    if (cl->q_head) tn__hcl_dispatch_later(cl);
}

/* After the answer: the fetch's memory goes in the closing phase. */
TN__PRIVATE void tn__hcl_end(tn_http_fetch *f) {
    tn_http_client *cl = f->cl;
    if (f->dec_state && f->dec) f->dec->end(f->dec_state, tn__loop_alloc(f->h.loop));
    f->dec_state = NULL;
    (void)tn__handle_close(&f->h);
    cl->fetches--;
    tn__hcl_maybe_closed(cl);
}

TN__PRIVATE void tn__hcl_res_times(tn_http_fetch *f, tn_http_fetch_res *r) {
    uint64_t now = TN__HCL_NOW_US();
    r->time_queue_us = (f->t_queue ? f->t_queue : now) - f->t_start;
    r->time_connect_us = f->t_connect;
    r->time_first_byte_us = f->t_first ? f->t_first - f->t_start : 0;
    r->time_total_us = now - f->t_start;
}

/* An answer without an HTTP response: 599. */
TN__PRIVATE void tn__hcl_answer_error(tn_http_fetch *f) {
    tn_http_fetch_res r;
    memset(&r, 0, sizeof r);
    r.code = TN_HTTP_NO_RESPONSE;
    r.error = f->error;
    r.error_msg = f->error_msg ? f->error_msg : tn_strerror(f->error);
    r.effective_url = tn_str_make(tn_buf_ptr(&f->url), tn_buf_size(&f->url));
    r.redirects = f->redirects;
    r.reused = f->reused;
    tn__hcl_res_times(f, &r);
    f->cb(f, &r, f->user);
}

TN__PRIVATE void tn__hcl_on_done_deferred(tn__defer *d) {
    tn_http_fetch *f = (tn_http_fetch *)(void *)((char *)d - offsetof(tn_http_fetch, done_d));
    tn__hcl_answer_error(f);
    tn__hcl_end(f);
}

/* Take the fetch off its connection (closed: the exchange is unfinished) or connector. */
TN__PRIVATE void tn__hcl_drop_conn(tn_http_fetch *f) {
    tn__hcl_conn *c = f->conn;
    f->conn = NULL;
    if (!c) return;
    c->f = NULL;
    if (c->cx) tn_tcp_connect_cancel(c->cx);   /* its callback frees c */
    else if (c->s && !tn_stream_closed(c->s)) (void)tn_stream_abort(c->s, TN_ECANCELED);
}

/* Fail with 599 now (called from loop callbacks only). */
TN__PRIVATE void tn__hcl_fail(tn_http_fetch *f, int err, const char *msg) {
    if (f->state == TN__HCL_DONE) return;
    f->error = err;
    if (msg) f->error_msg = msg;
    else if (!f->error_msg) f->error_msg = tn_strerror(err);
    tn__hcl_drop_conn(f);
    tn__hcl_detach(f);
    tn__hcl_answer_error(f);
    tn__hcl_end(f);
}

TN_API void tn_http_fetch_cancel(tn_http_fetch *f) {
    if (!f || f->state == TN__HCL_DONE) return;
    f->error = TN_ECANCELED;
    f->error_msg = "Request cancelled";
    f->canceled = 1;
    tn__hcl_drop_conn(f);
    tn__hcl_detach(f);
    tn__defer_queue(f->h.loop, &f->done_d);   /* the answer comes from the loop */
}

/* ---- timeouts ---------------------------------------------------------------------------- */
TN__PRIVATE void tn__hcl_on_timer(tn_loop *loop, void *user) {
    tn_http_fetch *f = (tn_http_fetch *)user;
    (void)loop;
    f->timer = 0;
    if (f->state == TN__HCL_QUEUED) tn__hcl_fail(f, TN_ETIMEOUT, "Timeout in request queue");
    else if (f->state == TN__HCL_CONNECT || f->state == TN__HCL_TUNNEL) tn__hcl_fail(f, TN_ETIMEOUT, "Timeout while connecting");
    else tn__hcl_fail(f, TN_ETIMEOUT, "Timeout during request");
}

/* (Re)arm the fetch's timer for start + ms. */
TN__PRIVATE int tn__hcl_arm(tn_http_fetch *f, uint64_t ms) {
    uint64_t elapsed = (TN__HCL_NOW_US() - f->t_start) / 1000u;
    if (f->timer) (void)tn_loop_cancel(f->h.loop, f->timer);
    f->timer = 0;
    return tn_loop_call_later(f->h.loop, ms > elapsed ? ms - elapsed : 0, tn__hcl_on_timer, f, &f->timer);
}

/* ---- queue ------------------------------------------------------------------------------- */
TN__PRIVATE void tn__hcl_on_dispatch(tn__defer *d) {
    tn_http_client *cl = (tn_http_client *)(void *)((char *)d - offsetof(tn_http_client, dispatch_d));
    while (cl->q_head && cl->st.active < cl->o.max_clients && !cl->closing) {
        tn_http_fetch *f = cl->q_head;
        tn__hcl_list_remove(f);
        f->state = TN__HCL_CONNECT;
        f->next = cl->a_head;
        if (cl->a_head) cl->a_head->prev = f;
        cl->a_head = f;
        cl->st.active++;
        f->t_queue = TN__HCL_NOW_US();
        if (tn__hcl_arm(f, f->request_timeout) != 0) {
            tn__hcl_fail(f, TN_ENOMEM, NULL);
            continue;
        }
        tn__hcl_start(f);
    }
}

TN__PRIVATE void tn__hcl_dispatch_later(tn_http_client *cl) { tn__defer_queue(cl->h.loop, &cl->dispatch_d); }

/* The TLS fields of a request that need a context of their own, as a string ("" = none). */
TN__PRIVATE int tn__hcl_tls_key(const tn_http_fetch *f, char *key, size_t cap) {
    int n;
    if (!f->no_validate && !f->ca_certs && !f->client_cert && !f->client_key) {
        key[0] = 0;
        return TN_OK;
    }
    n = snprintf(key, cap, "%d|%s|%s|%s", f->no_validate, f->ca_certs ? f->ca_certs : "",
                 f->client_cert ? f->client_cert : "", f->client_key ? f->client_key : "");
    return n < 0 || (size_t)n >= cap ? TN_EINVAL : TN_OK;
}

/* ---- connecting -------------------------------------------------------------------------- */
/* Where the TCP connection goes and the pool key of the connection: the origin, or the
   proxy (shared by every http:// origin), or a tunnel through the proxy to the origin. */
TN__PRIVATE int tn__hcl_route(tn_http_fetch *f, char *key, size_t cap, const char **host, char *hostbuf, int *port,
                              int *tunnel) {
    int n;
    *tunnel = 0;
    if (f->proxy_host) {
        *host = f->proxy_host;
        *port = f->proxy_port;
        *tunnel = tn__hcl_is_https(&f->u) || f->proxy_tunnel;
        /* the credentials are part of the key: a tunnel opened for one identity is not
           handed to a request made with another */
        if (*tunnel)
            n = snprintf(key, cap, "%s:%d>%.*s://%.*s:%d", f->proxy_host, f->proxy_port, (int)f->u.scheme.len,
                         f->u.scheme.ptr, (int)f->u.host.len, f->u.host.ptr, tn__hcl_port(&f->u));
        else
            n = snprintf(key, cap, "%s:%d>", f->proxy_host, f->proxy_port);
    } else {
        memcpy(hostbuf, f->u.host.ptr, f->u.host.len);
        hostbuf[f->u.host.len] = 0;
        *host = hostbuf;
        *port = tn__hcl_port(&f->u);
        n = snprintf(key, cap, "%.*s://%s:%d", (int)f->u.scheme.len, f->u.scheme.ptr, hostbuf, *port);
    }
    if (n < 0 || (size_t)n >= cap) return TN_EINVAL;
    for (n = 0; key[n]; n++) key[n] = (char)tn__lower((unsigned char)key[n]);   /* names: any case */
    if (tn__hcl_is_https(&f->u)) {   /* TLS settings of their own: pooled apart */
        char tk[1100];
        size_t len = (size_t)n;
        if (tn__hcl_tls_key(f, tk, sizeof tk) != 0) return TN_EINVAL;
        if (tk[0]) {
            n = snprintf(key + len, cap - len, " tls:%s", tk);
            if (n < 0 || (size_t)n >= cap - len) return TN_EINVAL;
            n += (int)len;
        }
    }
    if (*tunnel) {   /* credentials as given (case matters) */
        size_t len = (size_t)n;
        n = snprintf(key + len, cap - len, " %s:%s", f->proxy_user ? f->proxy_user : "", f->proxy_pass ? f->proxy_pass : "");
        if (n < 0 || (size_t)n >= cap - len) return TN_EINVAL;
    }
    return TN_OK;
}

#if TN_HAS_OPENSSL
/* The client context for f: the client's, or one made for the request's TLS fields (the
   last one is kept for the next request with the same fields). */
TN__PRIVATE int tn__hcl_tls_ctx(tn_http_fetch *f, tn_tls_ctx **out) {
    tn_http_client *cl = f->cl;
    tn_allocator *a = tn__loop_alloc(cl->h.loop);
    tn_tls_opts o;
    char key[1100];
    int rc;
    memset(&o, 0, sizeof o);
    o.alpn = "http/1.1";
    if ((rc = tn__hcl_tls_key(f, key, sizeof key)) != 0) return rc;
    if (!key[0]) {
        if (!cl->tls && (rc = tn_tls_ctx_new(cl->h.loop, &o, &cl->tls)) != 0) return rc;
        *out = cl->tls;
        return TN_OK;
    }
    if (cl->tls_own && strcmp(cl->tls_own_key, key) == 0) {
        *out = cl->tls_own;
        return TN_OK;
    }
    o.verify = f->no_validate ? TN_TLS_VERIFY_NONE : 0;
    o.ca_file = f->ca_certs;
    o.cert_file = f->client_cert ? f->client_cert : f->client_key;
    o.key_file = f->client_key;
    tn_tls_ctx_free(cl->tls_own);   /* streams using it keep their reference */
    cl->tls_own = NULL;
    tn__free(a, cl->tls_own_key);
    if (!(cl->tls_own_key = tn__strdup(a, key))) return TN_ENOMEM;
    if ((rc = tn_tls_ctx_new(cl->h.loop, &o, &cl->tls_own)) != 0) return rc;
    *out = cl->tls_own;
    return TN_OK;
}

TN__PRIVATE void tn__hcl_conn_ready(tn_http_fetch *f);

/* The handshake ended: send the request, or fail with OpenSSL's reason. */
TN__PRIVATE void tn__hcl_tls_done(tn_stream *s, int status, void *user) {
    tn__hcl_conn *c = (tn__hcl_conn *)user;
    tn_http_fetch *f = c->f;
    if (!f || f->conn != c) return;   /* the fetch gave up on this connection */
    if (status != TN_OK) {
        const char *why = tn_stream_tls_error(s);
        snprintf(f->msg, sizeof f->msg, "TLS handshake failed: %s", *why ? why : tn_strerror(status));
        tn__hcl_fail(f, status, f->msg);
        return;
    }
    f->tls_up = 1;
    tn__hcl_conn_ready(f);
}
#endif

/* The transport hook for https:// (see the top of this file). c NULL: only "is TLS built
   in?" (TN_OK or TN_ENOTSUP). */
TN__PRIVATE int tn__hcl_tls_start(tn__hcl_conn *c, tn_http_fetch *f) {
#if TN_HAS_OPENSSL
    tn_tls_ctx *ctx;
    char host[256];
    int rc;
    if (!c) return TN_OK;
    if ((rc = tn__hcl_tls_ctx(f, &ctx)) != 0) {
        snprintf(f->msg, sizeof f->msg, "TLS: the client context could not be made (%s)", tn_strerror(rc));
        tn__hcl_fail(f, rc, f->msg);
        return TN_OK;   /* answered */
    }
    if (f->u.host.len >= sizeof host) return TN_EBAD_URL;
    memcpy(host, f->u.host.ptr, f->u.host.len);
    host[f->u.host.len] = 0;
    return tn_stream_start_tls(c->s, ctx, host, tn__hcl_tls_done, c);
#else
    (void)c;
    (void)f;
    return TN_ENOTSUP;
#endif
}

TN__PRIVATE void tn__hcl_on_data(tn_stream *s, int status, tn_str data, void *user);

TN__PRIVATE void tn__hcl_fill(tn_http_fetch *f, size_t seen) {
    int rc = tn__stream_fill(f->conn->s, seen, tn__hcl_on_data, f->conn);
    if (rc != 0) tn__hcl_fail(f, rc, NULL);
}

/* The connection is up (TCP, tunnel and TLS as needed): send the request. */
TN__PRIVATE void tn__hcl_conn_ready(tn_http_fetch *f) {
    if (tn__hcl_is_https(&f->u) && !f->tls_up) {
        int rc = tn__hcl_tls_start(f->conn, f);
        if (rc == TN_ENOTSUP) {
            tn__hcl_fail(f, TN_ENOTSUP, "TLS not built in: https:// needs the TLS module");
            return;
        }
        if (rc != 0) tn__hcl_fail(f, rc, NULL);
        return;   /* the TLS module calls back when the handshake is done */
    }
    if (f->t_connect0) f->t_connect += TN__HCL_NOW_US() - f->t_connect0;
    f->t_connect0 = 0;
    tn__hcl_send_request(f);
}

TN__PRIVATE size_t tn__hcl_put_proxy_auth(tn_http_fetch *f, tn_buf *b) {
    char auth[512];
    size_t n = 0;
    if (!f->proxy_user) return 0;
    if (tn_basic_auth_encode(tn_str_c(f->proxy_user), tn_str_c(f->proxy_pass ? f->proxy_pass : ""), auth, sizeof auth, &n) != 0)
        return 0;
    (void)tn_buf_append(b, "Proxy-Authorization: ", 21);
    (void)tn_buf_append(b, auth, n);
    (void)tn_buf_append(b, "\r\n", 2);
    return n;
}

TN__PRIVATE void tn__hcl_on_connected(int status, tn_stream *s, void *user) {
    tn__hcl_conn *c = (tn__hcl_conn *)user;
    tn_http_fetch *f = c->f;
    tn_http_client *cl = c->cl;
    c->cx = NULL;
    if (status != TN_OK || !f) {
        if (s) tn_stream_close(s, NULL, NULL);   /* nobody wants it any more */
        tn__hcl_conn_free(c);
        if (f) {
            f->conn = NULL;
            if (status == TN_ETIMEOUT) tn__hcl_fail(f, status, "Timeout while connecting");
            else tn__hcl_fail(f, status, NULL);
        }
        return;
    }
    c->s = s;
    cl->st.connections_opened++;
    tn_stream_set_close_cb(s, tn__hcl_conn_on_close, c);
    (void)tn_stream_set_nodelay(s, 1);
    if (f->proxy_host && (tn__hcl_is_https(&f->u) || f->proxy_tunnel)) {
        /* CONNECT host:port HTTP/1.1 through the proxy */
        tn_buf *b = &cl->scratch;
        char line[300];
        int n = snprintf(line, sizeof line, "CONNECT %s%.*s%s:%d HTTP/1.1\r\nHost: %s%.*s%s:%d\r\n",
                         (f->u.flags & TN_URL_IPV6) ? "[" : "", (int)f->u.host.len, f->u.host.ptr,
                         (f->u.flags & TN_URL_IPV6) ? "]" : "", tn__hcl_port(&f->u),
                         (f->u.flags & TN_URL_IPV6) ? "[" : "", (int)f->u.host.len, f->u.host.ptr,
                         (f->u.flags & TN_URL_IPV6) ? "]" : "", tn__hcl_port(&f->u));
        tn_buf_consume(b, tn_buf_size(b));
        if (n < 0 || (size_t)n >= sizeof line || tn_buf_append(b, line, (size_t)n) != 0) {
            tn__hcl_fail(f, TN_ENOMEM, NULL);
            return;
        }
        (void)tn__hcl_put_proxy_auth(f, b);
        if (tn_buf_append(b, "\r\n", 2) != 0 || tn_stream_write(s, tn_buf_ptr(b), tn_buf_size(b), NULL, NULL) != 0) {
            tn__hcl_fail(f, TN_ENOMEM, NULL);
            return;
        }
        f->state = TN__HCL_TUNNEL;
        f->rstate = TN__HCL_R_HEAD;
        f->scan = 0;
        tn_http_response_reset(&f->p);
        f->p.request_method = tn_str_c("CONNECT");
        tn__hcl_fill(f, 0);
        return;
    }
    tn__hcl_conn_ready(f);
}

/* Find or open a connection for the fetch's current URL, then send. */
TN__PRIVATE void tn__hcl_start(tn_http_fetch *f) {
    tn_http_client *cl = f->cl;
    tn_allocator *a = tn__loop_alloc(f->h.loop);
    char key[2400], hostbuf[256];
    const char *host;
    int port, tunnel, rc;
    tn__hcl_conn *c;
    tn_connect_opts co;
    f->state = TN__HCL_CONNECT;
    f->tls_up = 0;
    if (tn__hcl_route(f, key, sizeof key, &host, hostbuf, &port, &tunnel) != 0) {
        tn__hcl_fail(f, TN_EBAD_URL, NULL);
        return;
    }
    if (tn__hcl_is_https(&f->u)) {
        /* fail early and clearly while no TLS module is built in */
        if (tn__hcl_tls_start(NULL, f) == TN_ENOTSUP) {
            tn__hcl_fail(f, TN_ENOTSUP, "TLS not built in: https:// needs the TLS module");
            return;
        }
    }
    if (!f->fresh_only && (c = tn__hcl_conn_take(cl, key)) != NULL) {
        c->f = f;
        f->conn = c;
        f->reused = 1;
        cl->st.requests_reused++;
        f->tls_up = tunnel && tn__hcl_is_https(&f->u);   /* a pooled tunnel is already up */
        tn__hcl_send_request(f);
        return;
    }
    f->reused = 0;
    c = (tn__hcl_conn *)tn__calloc(a, sizeof *c);
    if (!c || !(c->key = tn__strdup(a, key))) {
        tn__free(a, c);
        tn__hcl_fail(f, TN_ENOMEM, NULL);
        return;
    }
    c->cl = cl;
    memset(&co, 0, sizeof co);
    co.family = f->no_ipv6 ? TN_AF_INET : TN_AF_UNSPEC;
    co.timeout_ms = f->connect_timeout;
    co.source_ip = f->source_ip;
    co.resolver = cl->o.resolver;
    co.stream.max_buffer_size = cl->o.max_buffer_size + cl->o.max_header_size;
    c->f = f;
    f->conn = c;
    tn__hcl_conn_push_front(c);
    f->t_connect0 = TN__HCL_NOW_US();
    rc = tn_tcp_connect(f->h.loop, host, port, &co, tn__hcl_on_connected, c, &c->cx);
    if (rc != 0) {
        f->conn = NULL;
        tn__hcl_conn_free(c);
        tn__hcl_fail(f, rc, NULL);
    }
}

/* ---- the request -------------------------------------------------------------------------- */
TN__PRIVATE int tn__hcl_put(tn_buf *b, const char *s, size_t n) { return tn_buf_append(b, s, n); }
TN__PRIVATE int tn__hcl_puts(tn_buf *b, const char *s) { return tn_buf_append(b, s, strlen(s)); }
TN__PRIVATE int tn__hcl_put_field(tn_buf *b, const char *name, tn_str value) {
    int rc = tn__hcl_puts(b, name);
    if (!rc) rc = tn__hcl_put(b, ": ", 2);
    if (!rc) rc = tn__hcl_put(b, value.ptr, value.len);
    if (!rc) rc = tn__hcl_put(b, "\r\n", 2);
    return rc;
}

TN__PRIVATE int tn__hcl_has_field(const tn_http_fetch *f, const char *name) {
    size_t i;
    const tn_http_client_opts *o = &f->cl->o;
    if (tn__hcl_req_header(f, name)) return 1;
    for (i = 0; i < o->num_headers; i++)
        if (tn_str_ieq(o->headers[i].name, tn_str_c(name))) return 1;
    return 0;
}

/* Build the request head into the client's scratch buffer. */
/* host[:port] of u, an IPv6 literal in brackets, no userinfo (Host and absolute-form). */
TN__PRIVATE int tn__hcl_put_authority(tn_buf *b, const tn_url *u) {
    int rc = 0;
    if (u->flags & TN_URL_IPV6) rc |= tn__hcl_put(b, "[", 1);
    rc |= tn__hcl_put(b, u->host.ptr, u->host.len);
    if (u->flags & TN_URL_IPV6) rc |= tn__hcl_put(b, "]", 1);
    if (u->port_str.len) {
        rc |= tn__hcl_put(b, ":", 1);
        rc |= tn__hcl_put(b, u->port_str.ptr, u->port_str.len);
    }
    return rc;
}

TN__PRIVATE int tn__hcl_build_head(tn_http_fetch *f) {
    tn_http_client *cl = f->cl;
    tn_buf *b = &cl->scratch;
    const tn_url *u = &f->u;
    const tn_http_client_opts *o = &cl->o;
    int rc = 0, absolute = f->proxy_host && !f->proxy_tunnel && !tn__hcl_is_https(u);
    size_t i;
    char tmp[64];
    tn_buf_consume(b, tn_buf_size(b));
    rc |= tn__hcl_puts(b, f->method);
    rc |= tn__hcl_put(b, " ", 1);
    if (absolute) {   /* absolute-form to a proxy: scheme://host[:port] without userinfo */
        rc |= tn__hcl_put(b, u->scheme.ptr, u->scheme.len);
        rc |= tn__hcl_put(b, "://", 3);
        rc |= tn__hcl_put_authority(b, u);
    }
    if (u->path.len) rc |= tn__hcl_put(b, u->path.ptr, u->path.len);
    else rc |= tn__hcl_put(b, "/", 1);
    if (u->flags & TN_URL_HAS_QUERY) {
        rc |= tn__hcl_put(b, "?", 1);
        rc |= tn__hcl_put(b, u->query.ptr, u->query.len);
    }
    rc |= tn__hcl_puts(b, " HTTP/1.1\r\n");
    if (!tn__hcl_has_field(f, "Host")) {
        rc |= tn__hcl_puts(b, "Host: ");
        rc |= tn__hcl_put_authority(b, u);
        rc |= tn__hcl_put(b, "\r\n", 2);
    }
    if (!tn__hcl_has_field(f, "User-Agent")) {
        const char *ua = f->user_agent ? f->user_agent : o->user_agent;
        if (ua) rc |= tn__hcl_put_field(b, "User-Agent", tn_str_c(ua));
    }
    if (f->decompress && tn__hcl_decoders[0] && !tn__hcl_has_field(f, "Accept-Encoding")) {
        rc |= tn__hcl_puts(b, "Accept-Encoding: ");
        for (i = 0; tn__hcl_decoders[i]; i++) {
            if (i) rc |= tn__hcl_put(b, ", ", 2);
            rc |= tn__hcl_puts(b, tn__hcl_decoders[i]->coding);
        }
        rc |= tn__hcl_put(b, "\r\n", 2);
    }
    if (!tn__hcl_has_field(f, "Authorization")) {
        char auth[1024];
        size_t n = 0;
        int have = 0;
        if (f->auth_user) {
            have = tn_basic_auth_encode(tn_str_c(f->auth_user), tn_str_c(f->auth_pass ? f->auth_pass : ""), auth,
                                        sizeof auth, &n) == 0;
        } else if (u->flags & TN_URL_HAS_USERINFO) {
            /* user:pass from the URL, percent-decoded */
            char ui[512];
            size_t ul = 0;
            if (u->userinfo.len < sizeof ui && tn_url_unescape(u->userinfo, 0, ui, sizeof ui, &ul) == 0) {
                const char *colon = (const char *)memchr(ui, ':', ul);
                tn_str user = tn_str_make(ui, colon ? (size_t)(colon - ui) : ul);
                tn_str pass = colon ? tn_str_make(colon + 1, ul - (size_t)(colon + 1 - ui)) : tn_str_make("", 0);
                have = tn_basic_auth_encode(user, pass, auth, sizeof auth, &n) == 0;
            }
        }
        if (have) rc |= tn__hcl_put_field(b, "Authorization", tn_str_make(auth, n));
    }
    if (absolute && !tn__hcl_has_field(f, "Proxy-Authorization")) (void)tn__hcl_put_proxy_auth(f, b);
    if (f->if_modified_since && !tn__hcl_has_field(f, "If-Modified-Since") &&
        tn_http_date_format(f->if_modified_since, tmp) == 0)
        rc |= tn__hcl_put_field(b, "If-Modified-Since", tn_str_c(tmp));
    if ((o->no_keep_alive) && !tn__hcl_has_field(f, "Connection")) rc |= tn__hcl_puts(b, "Connection: close\r\n");
    f->chunked_out = 0;
    if (f->producer) {
        if (!tn__hcl_has_field(f, "Content-Length")) {
            f->chunked_out = 1;
            if (!tn__hcl_has_field(f, "Transfer-Encoding")) rc |= tn__hcl_puts(b, "Transfer-Encoding: chunked\r\n");
        }
    } else if (f->has_body && !tn__hcl_has_field(f, "Content-Length")) {
        int n = snprintf(tmp, sizeof tmp, "Content-Length: %lu\r\n", (unsigned long)f->body_len);
        rc |= tn__hcl_put(b, tmp, (size_t)n);
    }
    if ((f->has_body || f->producer) && tn__hcl_method_is(f, "POST") && !tn__hcl_has_field(f, "Content-Type"))
        rc |= tn__hcl_puts(b, "Content-Type: application/x-www-form-urlencoded\r\n");
    if (f->expect_continue && (f->has_body || f->producer) && !tn__hcl_has_field(f, "Expect"))
        rc |= tn__hcl_puts(b, "Expect: 100-continue\r\n");
    for (i = 0; i < o->num_headers; i++)
        if (!tn__hcl_req_header(f, o->headers[i].name.ptr))   /* the request's own field wins */
            rc |= tn__hcl_put_field(b, o->headers[i].name.ptr, o->headers[i].value);
    for (i = 0; i < f->nhdrs; i++)
        if (!f->hdr_drop[i]) rc |= tn__hcl_put_field(b, f->hdrs[i].name.ptr, f->hdrs[i].value);
    rc |= tn__hcl_put(b, "\r\n", 2);
    return rc ? TN_ENOMEM : TN_OK;
}

TN__PRIVATE void tn__hcl_call_producer(tn_http_fetch *f) {
    if (f->state != TN__HCL_ACTIVE || f->body_ended || f->in_producer) return;
    f->in_producer = 1;
    f->producer(f, f->producer_user);
    f->in_producer = 0;
}

/* The fetch whose connection reported, if that fetch is still on it. */
TN__PRIVATE tn_http_fetch *tn__hcl_conn_fetch(void *user) {
    tn__hcl_conn *c = (tn__hcl_conn *)user;
    return c->f && c->f->conn == c && c->f->state == TN__HCL_ACTIVE ? c->f : NULL;
}

TN__PRIVATE void tn__hcl_on_body_sent(tn_stream *s, int status, void *user) {
    tn_http_fetch *f = tn__hcl_conn_fetch(user);
    (void)s;
    if (f && status == TN_OK) f->req_sent = 1;
}

TN__PRIVATE void tn__hcl_on_head_sent(tn_stream *s, int status, void *user) {
    tn_http_fetch *f = tn__hcl_conn_fetch(user);
    (void)s;
    if (!f || status != TN_OK) return;   /* the read side reports the failure */
    if (f->producer) {
        if (!f->waiting_continue) {
            f->body_ready = 1;
            tn__hcl_call_producer(f);
        }
    } else if (!f->waiting_continue) {
        f->req_sent = 1;
    }
}

TN__PRIVATE void tn__hcl_on_prod_sent(tn_stream *s, int status, void *user) {
    tn_http_fetch *f = tn__hcl_conn_fetch(user);
    (void)s;
    if (!f || status != TN_OK) return;
    f->prod_pending--;
    if (f->prod_pending == 0 && f->body_ended) f->req_sent = 1;
    else if (f->prod_pending == 0) tn__hcl_call_producer(f);
}

/* Send the body held back for 100 Continue. */
TN__PRIVATE void tn__hcl_send_body(tn_http_fetch *f) {
    f->waiting_continue = 0;
    if (f->producer) {
        f->body_ready = 1;
        tn__hcl_call_producer(f);
    } else if (tn_stream_write(f->conn->s, f->body, f->body_len, tn__hcl_on_body_sent, f->conn) != 0) {
        tn__hcl_fail(f, TN_ENOMEM, NULL);
    }
}

TN__PRIVATE void tn__hcl_send_request(tn_http_fetch *f) {
    tn_http_client *cl = f->cl;
    tn__hcl_conn *c = f->conn;
    tn_str v[2];
    int rc, hold_body;
    f->state = TN__HCL_ACTIVE;
    c->uses++;
    f->rstate = TN__HCL_R_HEAD;
    f->scan = 0;
    f->got_bytes = f->req_sent = f->body_ready = f->body_ended = f->body_skipped = f->redirect_hop = 0;
    f->prod_pending = 0;
    f->prod_bytes = 0;
    f->body_seen = 0;
    tn_http_response_reset(&f->p);
    f->p.request_method = tn_str_c(f->method);
    if ((rc = tn__hcl_build_head(f)) != 0) {
        tn__hcl_fail(f, rc, NULL);
        return;
    }
    f->waiting_continue = f->expect_continue && (f->has_body || f->producer);
    hold_body = f->waiting_continue || f->producer || !f->has_body;
    v[0] = tn_str_make(tn_buf_ptr(&cl->scratch), tn_buf_size(&cl->scratch));
    v[1] = tn_str_make(f->body, f->body_len);
    rc = tn_stream_writev(c->s, v, hold_body ? 1 : 2, tn__hcl_on_head_sent, c);
    if (rc != 0) {
        tn__hcl_fail(f, rc, NULL);
        return;
    }
    tn__hcl_fill(f, 0);
}

TN_API int tn_http_fetch_write(tn_http_fetch *f, const void *data, size_t n) {
    tn_str v[3];
    char hex[24];
    int rc, hl;
    if (!f || !f->producer || f->body_ended) return TN_EINVAL;
    if (f->state != TN__HCL_ACTIVE || !f->conn || !f->conn->s || !f->body_ready) return TN_ECLOSED;
    if (n == 0) return TN_OK;
    if (f->chunked_out) {
        hl = tn_http_format_chunk_header(hex, sizeof hex, (uint64_t)n);
        v[0] = tn_str_make(hex, (size_t)hl);
        v[1] = tn_str_make((const char *)data, n);
        v[2] = tn_str_make("\r\n", 2);
        rc = tn_stream_writev(f->conn->s, v, 3, tn__hcl_on_prod_sent, f->conn);
    } else {
        rc = tn_stream_write(f->conn->s, data, n, tn__hcl_on_prod_sent, f->conn);
    }
    if (rc == 0) {
        f->prod_pending++;
        f->prod_bytes += n;
    }
    return rc;
}

TN_API int tn_http_fetch_write_end(tn_http_fetch *f) {
    int rc = TN_OK;
    if (!f || !f->producer || f->body_ended) return TN_EINVAL;
    if (f->state != TN__HCL_ACTIVE || !f->conn || !f->conn->s || !f->body_ready) return TN_ECLOSED;
    if (f->chunked_out) rc = tn_stream_write(f->conn->s, "0\r\n\r\n", 5, tn__hcl_on_prod_sent, f->conn);
    else rc = tn_stream_write(f->conn->s, "", 0, tn__hcl_on_prod_sent, f->conn);
    if (rc != 0) return rc;
    f->prod_pending++;
    f->body_ended = 1;
    return TN_OK;
}

/* ---- the response ------------------------------------------------------------------------ */
/* A connection failed under a fetch (read error, EOF, reset, close). */
TN__PRIVATE void tn__hcl_conn_lost(tn__hcl_conn *c, int cause) {
    tn_http_fetch *f = c->f;
    if (!f || f->conn != c) return;
    if (f->state == TN__HCL_ACTIVE && f->rstate == TN__HCL_R_HEAD && !f->got_bytes && f->reused && !f->retried &&
        !f->producer && tn__hcl_idempotent(f->method) && (cause == TN_EEOF || cause == TN_ERESET || cause == TN_EPIPE)) {
        /* the server had closed the pooled connection: once more on a fresh one */
        f->retried = 1;
        f->fresh_only = 1;
        f->cl->st.retries++;
        tn__hcl_drop_conn(f);
        tn__hcl_start(f);
        return;
    }
    if (f->state == TN__HCL_TUNNEL && cause == TN_EEOF) {
        tn__hcl_fail(f, TN_EEOF, "Proxy closed the connection during CONNECT");
        return;
    }
    if (cause == TN_EEOF)
        tn__hcl_fail(f, TN_EEOF, f->got_bytes ? "Connection closed before the response was complete"
                                               : "Connection closed without a response");
    else if (cause == TN_EBUFFER_FULL)
        tn__hcl_fail(f, TN_EBODY_TOO_LARGE, "Response larger than max_buffer_size");
    else
        tn__hcl_fail(f, cause, NULL);
}

/* Length of the response head at the front of p[0..n) (its blank line included), 0 while
   incomplete. Folded lines (obs-fold) inside it are unfolded in place: RFC 9112 §5.2 has a
   user agent replace each CRLF + SP/HTAB with spaces. A fold right after the status line
   is left for the parser to reject (RFC 9112 §2.2). */
TN__PRIVATE size_t tn__hcl_head_end(tn_http_fetch *f, char *p, size_t n) {
    size_t j = f->scan, end = 0, first;
    const char *nl;
    while (j < n && (nl = (const char *)memchr(p + j, '\n', n - j)) != NULL) {
        j = (size_t)(nl - p);
        if ((j >= 1 && p[j - 1] == '\n') || (j >= 2 && p[j - 1] == '\r' && p[j - 2] == '\n')) {
            end = j + 1;
            break;
        }
        j++;
    }
    if (!end) {
        f->scan = n;
        return 0;
    }
    nl = (const char *)memchr(p, '\n', end);
    first = (size_t)(nl - p);
    for (j = first + 1; j + 1 < end; j++) {
        nl = (const char *)memchr(p + j, '\n', end - 1 - j);
        if (!nl) break;
        j = (size_t)(nl - p);
        if (p[j + 1] == ' ' || p[j + 1] == '\t') {
            p[j] = ' ';
            if (p[j - 1] == '\r') p[j - 1] = ' ';
        }
    }
    return end;
}

/* Deliver the final head's raw lines to the header callback. */
TN__PRIVATE void tn__hcl_emit_lines(tn_http_fetch *f, const char *p, size_t n) {
    size_t i = 0;
    while (i < n && f->state == TN__HCL_ACTIVE) {
        const char *nl = (const char *)memchr(p + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - p) + 1 : n;
        f->line_cb(f, tn_str_make(p + i, e - i), f->line_user);
        i = e;
    }
}

TN__PRIVATE int tn__hcl_is_redirect(int st) { return st == 301 || st == 302 || st == 303 || st == 307 || st == 308; }

TN__PRIVATE void tn__hcl_rebase(tn_http_fetch *f, const char *base) {
    size_t i;
    uintptr_t ob = (uintptr_t)f->head_base, nb = (uintptr_t)base;
    if (base == f->head_base) return;
    for (i = 0; i < f->p.num_headers; i++) {
        f->rh[i].name.ptr = (const char *)(nb + ((uintptr_t)f->rh[i].name.ptr - ob));
        f->rh[i].value.ptr = (const char *)(nb + ((uintptr_t)f->rh[i].value.ptr - ob));
    }
    if (f->p.reason.ptr) f->p.reason.ptr = (const char *)(nb + ((uintptr_t)f->p.reason.ptr - ob));
    f->head_base = base;
}

TN__PRIVATE void tn__hcl_follow(tn_http_fetch *f, size_t consumed, int reusable);

/* The whole response is here. body: the buffered body (empty when streamed); consumed:
   bytes of the stream buffer it occupies; err: set on a final answer that is an error
   (too many redirects). */
/* decompress_response: decode `in`; the pieces go to the streaming callback, or are
   collected in dec_out (buffered bodies, at most body_limit bytes: the decoder's cap).
   last: no more input comes, so a coded stream that did not end is truncated.
   Returns 0, or -1 when the fetch is over (failed, or ended by the callback). */
TN__PRIVATE int tn__hcl_decode(tn_http_fetch *f, tn_str in, int last) {
    int rc = TN_OK;
    tn_str out;
    while (!f->dec_done) {
        rc = f->dec->run(f->dec_state, &in, &out);
        if (rc < 0) break;
        if (rc == 1) f->dec_done = 1;
        if (out.len) {
            if (f->stream_cb) {
                f->stream_cb(f, out, f->stream_user);
                if (f->state != TN__HCL_ACTIVE) return -1;
            } else if (tn_buf_append(&f->dec_out, out.ptr, out.len) != 0) {
                tn__hcl_fail(f, TN_ENOMEM, NULL);
                return -1;
            }
        } else if (in.len == 0) {
            break;
        }
    }
    if (rc == TN_ELIMIT) {
        tn__hcl_fail(f, TN_EBODY_TOO_LARGE, "Response body larger than max_body_size (after decoding)");
        return -1;
    }
    if (rc < 0 || (last && !f->dec_done)) {
        snprintf(f->msg, sizeof f->msg, "Content-Encoding %s could not be decoded: %s", f->dec->coding,
                 rc < 0 ? f->dec->error(f->dec_state) : "the data ends early");
        tn__hcl_fail(f, rc < 0 ? rc : TN_EINCOMPLETE, f->msg);
        return -1;
    }
    return 0;
}

TN__PRIVATE void tn__hcl_complete(tn_http_fetch *f, tn_str body, size_t consumed) {
    tn__hcl_conn *c = f->conn;
    tn_stream *s = c->s;
    tn_http_fetch_res r;
    int reusable;
    reusable = !f->conn_close && !f->body_skipped && tn_http_response_keep_alive(&f->p) && s &&
               !tn_stream_closed(s);
    if (f->producer ? (!f->body_ended || f->prod_pending) : !f->req_sent) reusable = 0;
    if (f->redirect_hop) {
        tn__hcl_follow(f, consumed, reusable);   /* the hop's body is not wanted */
        return;
    }
    if (f->dec) {
        /* decompress_response: the body is the decoded one (streamed: the rest of it), and
           as in Tornado Content-Encoding is renamed X-Consumed-Content-Encoding */
        size_t i = tn_http_header_next(f->rh, f->p.num_headers, "Content-Encoding", 0);
        if (tn__hcl_decode(f, f->stream_cb ? tn_str_make(NULL, 0) : body, 1) != 0) return;
        if (!f->stream_cb) body = tn_str_make(tn_buf_ptr(&f->dec_out), tn_buf_size(&f->dec_out));
        if (i < f->p.num_headers) f->rh[i].name = tn_str_c("X-Consumed-Content-Encoding");
    }
    tn__hcl_detach(f);
    memset(&r, 0, sizeof r);
    r.code = f->p.status;
    r.error = f->error;
    r.error_msg = f->error ? (f->error_msg ? f->error_msg : tn_strerror(f->error)) : "";
    r.reason = f->p.reason;
    r.version = f->p.version;
    r.headers = f->rh;
    r.num_headers = f->p.num_headers;
    r.effective_url = tn_str_make(tn_buf_ptr(&f->url), tn_buf_size(&f->url));
    r.body = body;
    r.redirects = f->redirects;
    r.reused = f->reused;
    tn__hcl_res_times(f, &r);
    f->cb(f, &r, f->user);
    f->conn = NULL;
    if (s && !tn_stream_closed(s)) {
        tn__stream_consume(s, consumed);
        if (tn__stream_peek(s).len > 0) reusable = 0;   /* bytes beyond the response: not HTTP we can trust */
    }
    if (c->f == f) tn__hcl_conn_release(c, reusable);
    tn__hcl_end(f);
}

/* A redirect hop is read: move to the Location and start again (Tornado's rules). */
TN__PRIVATE void tn__hcl_follow(tn_http_fetch *f, size_t consumed, int reusable) {
    tn__hcl_conn *c = f->conn;
    tn_allocator *a = tn__loop_alloc(f->h.loop);
    tn_buf nb;
    tn_str loc = tn_str_make(NULL, 0);
    tn_url old = f->u;
    char oldorigin[600], neworigin[600];
    int st = f->p.status, rc;
    size_t i;
    tn_stream *s = c->s;
    (void)tn_http_header_get(f->rh, f->p.num_headers, "Location", &loc);
    (void)tn_buf_init(&nb, a);
    rc = tn_url_resolve_buf(&nb, tn_str_make(tn_buf_ptr(&f->url), tn_buf_size(&f->url)), loc);
    snprintf(oldorigin, sizeof oldorigin, "%.*s://%.*s:%d", (int)old.scheme.len, old.scheme.ptr, (int)old.host.len,
             old.host.ptr, tn__hcl_port(&old));
    /* the Location is copied: the hop's bytes can go, and the connection with them */
    if (s && !tn_stream_closed(s)) {
        tn__stream_consume(s, consumed);
        if (tn__stream_peek(s).len > 0) reusable = 0;
    }
    f->conn = NULL;
    tn__hcl_conn_release(c, reusable);
    if (rc == 0) {
        /* drop a fragment: it is not sent and not part of the effective URL */
        char *hash = (char *)memchr(tn_buf_ptr(&nb), '#', tn_buf_size(&nb));
        if (hash) nb.len = nb.head + (size_t)(hash - tn_buf_ptr(&nb));
        rc = tn__hcl_set_url(f, tn_str_make(tn_buf_ptr(&nb), tn_buf_size(&nb)));
    }
    tn_buf_free(&nb);
    if (rc != 0) {
        tn__hcl_fail(f, rc == TN_ENOMEM ? rc : TN_EBAD_URL, "Redirect to a Location that is not an http(s) URL");
        return;
    }
    f->redirects++;
    snprintf(neworigin, sizeof neworigin, "%.*s://%.*s:%d", (int)f->u.scheme.len, f->u.scheme.ptr, (int)f->u.host.len,
             f->u.host.ptr, tn__hcl_port(&f->u));
    for (i = 0; neworigin[i]; i++) neworigin[i] = (char)tn__lower((unsigned char)neworigin[i]);
    for (i = 0; oldorigin[i]; i++) oldorigin[i] = (char)tn__lower((unsigned char)oldorigin[i]);
    if (strcmp(oldorigin, neworigin) != 0) {
        /* credentials and cookies stay with their origin */
        for (i = 0; i < f->nhdrs; i++)
            if (tn_str_ieq(f->hdrs[i].name, tn_str_c("Authorization")) || tn_str_ieq(f->hdrs[i].name, tn_str_c("Cookie")))
                f->hdr_drop[i] = 1;
        f->auth_user = f->auth_pass = NULL;
    }
    if ((st == 303 && !tn__hcl_method_is(f, "HEAD")) || ((st == 301 || st == 302) && tn__hcl_method_is(f, "POST"))) {
        f->method = "GET";
        f->has_body = 0;
        f->body_len = 0;
        for (i = 0; i < f->nhdrs; i++) {
            tn_str n = f->hdrs[i].name;
            if ((n.len >= 8 && tn_str_ieq(tn_str_make(n.ptr, 8), tn_str_c("Content-"))) ||
                tn_str_ieq(n, tn_str_c("Transfer-Encoding")))
                f->hdr_drop[i] = 1;
        }
    }
    f->fresh_only = 0;
    f->retried = 0;
    f->redirect_hop = 0;
    tn__hcl_start(f);
}

/* Streaming: hand out what is buffered of the body. Returns 1 when the body ended, 0 when
   more is to come, -1 when the fetch is over (failed, or cancelled in the callback). */
TN__PRIVATE int tn__hcl_stream_body(tn_http_fetch *f, tn_str data) {
    tn_stream *s = f->conn->s;
    char *p = (char *)(uintptr_t)data.ptr;
    size_t len = data.len;
    int rc = TN_EINCOMPLETE;
    switch (f->p.body_kind) {
    case TN_HTTP_BODY_LENGTH:
        len = (size_t)TN__MIN((uint64_t)len, f->body_left);
        f->body_left -= len;
        break;
    case TN_HTTP_BODY_CHUNKED:
        rc = tn_http_decode_chunked(&f->ch, p, &len);
        if (rc < 0 && rc != TN_EINCOMPLETE) {
            tn__hcl_fail(f, rc, NULL);
            return -1;
        }
        break;
    default:   /* until close */
        if (f->body_seen + len > f->body_limit) {
            tn__hcl_fail(f, TN_EBODY_TOO_LARGE, "Response body larger than max_body_size");
            return -1;
        }
        break;
    }
    f->body_seen += len;
    if (len > 0) {
        tn_str chunk = tn_str_make(p, len);
        if (f->dec) {
            if (tn__hcl_decode(f, chunk, 0) != 0) return -1;   /* pieces to the callback */
        } else {
            f->stream_cb(f, chunk, f->stream_user);
        }
        if (f->state != TN__HCL_ACTIVE) return -1;
    }
    if (f->p.body_kind == TN_HTTP_BODY_CHUNKED) {
        if (rc == TN_EINCOMPLETE) {
            tn__stream_consume(s, data.len);
            return 0;
        }
        tn__stream_truncate(s, len + (size_t)rc);   /* what follows the body stays */
        tn__stream_consume(s, len);
        return 1;
    }
    tn__stream_consume(s, len);
    return f->p.body_kind == TN_HTTP_BODY_LENGTH && f->body_left == 0;
}

/* The final head is parsed (at data[0..head_len)): set up the body. */
TN__PRIVATE int tn__hcl_head_done(tn_http_fetch *f, tn_str data) {
    tn_http_client *cl = f->cl;
    int st = f->p.status, streaming;
    uint64_t limit;
    tn_str v;
    if (f->waiting_continue) {
        /* a final answer without 100 Continue: the body is not sent, and the server may
           still be waiting for it, so the connection is not reused */
        f->waiting_continue = 0;
        f->body_skipped = 1;
    }
    if (f->follow && tn__hcl_is_redirect(st) && tn_http_header_get(f->rh, f->p.num_headers, "Location", &v) == 0) {
        if (f->redirects >= f->max_redirects) {
            f->error = TN_ELIMIT;
            tn__hcl_set_msg(f, "Too many redirects (max_redirects %d)", f->max_redirects);
        } else if (f->producer && st != 303 && !(st <= 302 && tn__hcl_method_is(f, "POST"))) {
            f->error = TN_ENOTSUP;
            f->error_msg = "Redirect would resend a produced body";
        } else {
            f->redirect_hop = 1;
        }
    }
    streaming = f->stream_cb && !f->redirect_hop;
    limit = cl->o.max_body_size;
    if (!streaming && limit > cl->o.max_buffer_size) limit = cl->o.max_buffer_size;
    f->body_limit = limit;
    if (f->p.body_kind == TN_HTTP_BODY_LENGTH && f->p.content_length > limit) {
        tn__hcl_fail(f, TN_EBODY_TOO_LARGE, "Response body larger than max_body_size");
        return -1;
    }
    memset(&f->ch, 0, sizeof f->ch);
    f->ch.max_body_bytes = limit ? limit : 1;
    f->body_left = f->p.content_length;
    if (f->dec_state && f->dec) f->dec->end(f->dec_state, tn__loop_alloc(f->h.loop));
    f->dec_state = NULL;
    f->dec = NULL;
    f->dec_done = 0;
    /* decompress_response: the decoder caps the decoded bytes at the body limit */
    if (f->decompress && !f->redirect_hop && f->p.body_kind != TN_HTTP_BODY_NONE &&
        tn_http_header_get(f->rh, f->p.num_headers, "Content-Encoding", &v) == 0 &&
        (f->dec = tn__hcl_decoder_find(v)) != NULL) {
        tn_buf_consume(&f->dec_out, tn_buf_size(&f->dec_out));
        if (!(f->dec_state = f->dec->start(tn__loop_alloc(f->h.loop), limit))) {
            tn__hcl_fail(f, TN_ENOMEM, NULL);
            return -1;
        }
    }
    if (f->line_cb && !f->redirect_hop) {
        tn__hcl_emit_lines(f, data.ptr, f->head_len);
        if (f->state != TN__HCL_ACTIVE) return -1;
    }
    f->head_base = data.ptr;
    if (streaming) {
        /* the head moves to its own buffer so the body can be consumed as it streams */
        tn_buf_consume(&f->head_copy, tn_buf_size(&f->head_copy));
        if (tn_buf_append(&f->head_copy, data.ptr, f->head_len) != 0) {
            tn__hcl_fail(f, TN_ENOMEM, NULL);
            return -1;
        }
        tn__hcl_rebase(f, tn_buf_ptr(&f->head_copy));
        tn__stream_consume(f->conn->s, f->head_len);
        f->head_len = 0;
    }
    f->dec_end = f->head_len;
    f->rstate = TN__HCL_R_BODY;
    return 0;
}

/* Work on what the connection has buffered; read more when needed. */
TN__PRIVATE void tn__hcl_process(tn_http_fetch *f) {
    tn_stream *s = f->conn->s;
    for (;;) {
        tn_str data = tn__stream_peek(s);
        if (f->rstate == TN__HCL_R_HEAD) {
            size_t end;
            int rc;
            while (data.len >= 2 && data.ptr[0] == '\r' && data.ptr[1] == '\n') {   /* RFC 9112 §2.2 */
                tn__stream_consume(s, 2);
                data = tn__stream_peek(s);
                f->scan = 0;
            }
            if (data.len > 0 && !f->got_bytes) {
                f->got_bytes = 1;
                f->t_first = TN__HCL_NOW_US();
            }
            end = tn__hcl_head_end(f, (char *)(uintptr_t)data.ptr, data.len);
            if (end == 0 && data.len > f->cl->o.max_header_size) end = data.len;
            if (end == 0) {
                tn__hcl_fill(f, data.len);
                return;
            }
            tn_http_response_reset(&f->p);
            rc = tn_http_parse_response(data.ptr, end, &f->p);
            if (rc == TN_EINCOMPLETE) rc = end > f->cl->o.max_header_size ? TN_EHEADER_TOO_LARGE : TN_EPARSE;
            if (rc < 0) {
                tn__hcl_fail(f, rc, NULL);
                return;
            }
            f->scan = 0;
            if (f->state == TN__HCL_TUNNEL) {
                if (f->p.status / 100 != 2) {
                    tn__hcl_set_msg(f, "Proxy refused the CONNECT tunnel (answered %d)", f->p.status);
                    tn__hcl_fail(f, TN_EREFUSED, f->msg);
                    return;
                }
                tn__stream_consume(s, (size_t)rc);
                f->p.request_method = tn_str_c(f->method);
                f->tls_up = 0;
                tn__hcl_conn_ready(f);
                return;
            }
            if (f->p.status < 200) {
                if (f->p.status == 101) {
                    tn__hcl_fail(f, TN_ENOTSUP, "Unexpected 101 Switching Protocols");
                    return;
                }
                tn__stream_consume(s, (size_t)rc);   /* interim response: skipped */
                if (f->p.status == 100 && f->waiting_continue) {
                    tn__hcl_send_body(f);
                    if (f->state != TN__HCL_ACTIVE) return;
                }
                tn_http_response_reset(&f->p);
                f->p.request_method = tn_str_c(f->method);
                f->got_bytes = 0;
                continue;
            }
            f->head_len = (size_t)rc;
            if (tn__hcl_head_done(f, data) != 0) return;
            continue;
        }
        /* the body */
        if (f->stream_cb && !f->redirect_hop) {
            if (f->p.body_kind == TN_HTTP_BODY_NONE) {
                tn__hcl_complete(f, tn_str_make(NULL, 0), 0);
                return;
            }
            if (data.len > 0 && !f->paused) {
                int ended = tn__hcl_stream_body(f, data);
                if (ended < 0) return;
                if (ended) {
                    tn__hcl_complete(f, tn_str_make(NULL, 0), 0);   /* checks the decoder ended */
                    return;
                }
                data = tn__stream_peek(s);
            }
            if (!f->paused) tn__hcl_fill(f, data.len);
            return;
        }
        tn__hcl_rebase(f, data.ptr);
        switch (f->p.body_kind) {
        case TN_HTTP_BODY_NONE:
            tn__hcl_complete(f, tn_str_make(NULL, 0), f->head_len);
            return;
        case TN_HTTP_BODY_LENGTH:
            if (data.len - f->head_len >= f->p.content_length) {
                tn__hcl_complete(f, tn_str_make(data.ptr + f->head_len, (size_t)f->p.content_length),
                                 f->head_len + (size_t)f->p.content_length);
                return;
            }
            tn__hcl_fill(f, data.len);
            return;
        case TN_HTTP_BODY_CHUNKED:
            if (data.len > f->dec_end) {
                char *raw = (char *)(uintptr_t)data.ptr + f->dec_end;
                size_t len = data.len - f->dec_end;
                int rc = tn_http_decode_chunked(&f->ch, raw, &len);
                if (rc < 0 && rc != TN_EINCOMPLETE) {
                    tn__hcl_fail(f, rc, rc == TN_EBODY_TOO_LARGE ? "Response body larger than max_body_size" : NULL);
                    return;
                }
                f->dec_end += len;
                tn__stream_truncate(s, f->dec_end + (rc >= 0 ? (size_t)rc : 0));
                if (rc >= 0) {
                    data = tn__stream_peek(s);
                    tn__hcl_complete(f, tn_str_make(data.ptr + f->head_len, f->dec_end - f->head_len), f->dec_end);
                    return;
                }
            }
            tn__hcl_fill(f, f->dec_end);
            return;
        default:   /* until close: EOF completes it (tn__hcl_on_data) */
            if (data.len - f->head_len > f->body_limit) {
                tn__hcl_fail(f, TN_EBODY_TOO_LARGE, "Response body larger than max_body_size");
                return;
            }
            tn__hcl_fill(f, data.len);
            return;
        }
    }
}

TN__PRIVATE void tn__hcl_on_data(tn_stream *s, int status, tn_str data, void *user) {
    tn__hcl_conn *c = (tn__hcl_conn *)user;
    tn_http_fetch *f = c->f;
    (void)data;
    if (!f || f->conn != c || (f->state != TN__HCL_ACTIVE && f->state != TN__HCL_TUNNEL)) return;
    if (status == TN_EEOF && f->rstate == TN__HCL_R_BODY && f->p.body_kind == TN_HTTP_BODY_UNTIL_CLOSE) {
        /* the body was delimited by the close: it is complete (EOF came with nothing new) */
        tn_str all = tn__stream_peek(s);
        if (f->stream_cb && !f->redirect_hop) {
            if (all.len > 0 && tn__hcl_stream_body(f, all) < 0) return;
            tn__hcl_complete(f, tn_str_make(NULL, 0), 0);
        } else {
            tn__hcl_rebase(f, all.ptr);
            tn__hcl_complete(f, tn_str_make(all.ptr + f->head_len, all.len - f->head_len), all.len);
        }
        return;
    }
    if (status < 0) {
        tn__hcl_conn_lost(c, status);
        return;
    }
    tn__hcl_process(f);
}

TN_API void tn_http_fetch_pause(tn_http_fetch *f) {
    if (f && f->state == TN__HCL_ACTIVE) f->paused = 1;
}

TN_API void tn_http_fetch_resume(tn_http_fetch *f) {
    if (!f || !f->paused) return;
    f->paused = 0;
    if (f->state == TN__HCL_ACTIVE && f->conn && f->conn->s && !tn_stream_reading(f->conn->s)) tn__hcl_fill(f, 0);
}

/* ---- fetch --------------------------------------------------------------------------------- */
TN__PRIVATE void tn__hcl_fetch_finalize(tn__handle *h) {
    tn_http_fetch *f = (tn_http_fetch *)h;
    tn_allocator *a = tn__loop_alloc(h->loop);
    tn_buf_free(&f->url);
    tn_buf_free(&f->head_copy);
    tn_buf_free(&f->dec_out);
    tn__free(a, f);
}
static const tn__handle_type tn__hcl_fetch_type = { "http_fetch", tn__hcl_fetch_finalize };

/* Copy a string into the fetch's arena. */
TN__PRIVATE const char *tn__hcl_arena_str(char **at, const char *s, size_t n) {
    char *d = *at;
    if (!s) return NULL;
    memcpy(d, s, n);
    d[n] = 0;
    *at += n + 1;
    return d;
}

TN__PRIVATE int tn__hcl_method_ok(const char *m) {
    static const char *const std[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", NULL };
    size_t i;
    for (i = 0; std[i]; i++)
        if (!strcmp(m, std[i])) return 1;
    return 0;
}

#define TN__HCL_SLEN(s) ((s) ? strlen(s) + 1 : 0)

TN_API int tn_http_client_fetch(tn_http_client *cl, const tn_http_fetch_req *req, tn_http_fetch_cb cb, void *user,
                                tn_http_fetch **out) {
    tn_allocator *a;
    tn_http_fetch *f;
    const char *method, *ph;
    size_t need, i, nh;
    char *at;
    int rc, body, needs_body;
    if (out) *out = NULL;
    if (!cl || !req || !req->url || !cb) return TN_EINVAL;
    if (cl->closing) return TN_ECLOSED;
    a = tn__loop_alloc(cl->h.loop);
    method = req->method ? req->method : "GET";
    if (!tn__hcl_is_token(tn_str_c(method))) return TN_EINVAL;
    body = req->has_body || req->body.len > 0 || req->body_producer;
    if (!req->allow_nonstandard_methods) {
        if (!tn__hcl_method_ok(method)) return TN_EINVAL;
        needs_body = !strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH");
        if (needs_body != body) return TN_EINVAL;   /* Tornado: body required / not allowed */
    }
    if (req->body.len && !req->body.ptr) return TN_EINVAL;
    nh = req->headers ? req->num_headers : 0;
    for (i = 0; i < nh; i++)
        if (!tn__hcl_is_token(req->headers[i].name) || !tn__hcl_value_ok(req->headers[i].value)) return TN_EINVAL;
    if (!tn__hcl_cstr_ok(req->user_agent) || !tn__hcl_cstr_ok(req->auth_username) || !tn__hcl_cstr_ok(req->auth_password) ||
        !tn__hcl_cstr_ok(req->proxy_host) || !tn__hcl_cstr_ok(req->proxy_username) || !tn__hcl_cstr_ok(req->proxy_password))
        return TN_EINVAL;
    ph = req->no_proxy ? NULL : req->proxy_host ? req->proxy_host : cl->o.proxy_host;
    /* one allocation: the fetch, the response header array, the request's copies */
    need = sizeof *f + cl->o.max_headers * sizeof(tn_http_header) + nh * (sizeof(tn_http_header) + 1) + 16;
    for (i = 0; i < nh; i++) need += req->headers[i].name.len + req->headers[i].value.len + 2;
    need += strlen(method) + 1 + TN__HCL_SLEN(req->auth_username) + TN__HCL_SLEN(req->auth_password) +
            TN__HCL_SLEN(req->user_agent) + TN__HCL_SLEN(req->source_ip) + TN__HCL_SLEN(ph) +
            TN__HCL_SLEN(req->proxy_username) + TN__HCL_SLEN(req->proxy_password) + req->body.len + 1 +
            TN__HCL_SLEN(req->ca_certs) + TN__HCL_SLEN(req->client_cert) + TN__HCL_SLEN(req->client_key);
    f = (tn_http_fetch *)tn__calloc(a, need);
    if (!f) return TN_ENOMEM;
    f->h.loop = cl->h.loop;   /* for tn__hcl_set_url before the handle is live */
    (void)tn_buf_init(&f->url, a);
    (void)tn_buf_init(&f->head_copy, a);
    (void)tn_buf_init(&f->dec_out, a);
    f->rh = (tn_http_header *)(void *)(f + 1);
    f->hdrs = f->rh + cl->o.max_headers;
    f->hdr_drop = (unsigned char *)(f->hdrs + nh);
    at = (char *)(f->hdr_drop + nh);
    f->nhdrs = nh;
    for (i = 0; i < nh; i++) {
        f->hdrs[i].name.ptr = tn__hcl_arena_str(&at, req->headers[i].name.ptr, req->headers[i].name.len);
        f->hdrs[i].name.len = req->headers[i].name.len;
        f->hdrs[i].value.ptr = tn__hcl_arena_str(&at, req->headers[i].value.ptr ? req->headers[i].value.ptr : "",
                                                 req->headers[i].value.len);
        f->hdrs[i].value.len = req->headers[i].value.len;
    }
    f->method = tn__hcl_arena_str(&at, method, strlen(method));
    f->auth_user = tn__hcl_arena_str(&at, req->auth_username, req->auth_username ? strlen(req->auth_username) : 0);
    f->auth_pass = tn__hcl_arena_str(&at, req->auth_password, req->auth_password ? strlen(req->auth_password) : 0);
    f->user_agent = tn__hcl_arena_str(&at, req->user_agent, req->user_agent ? strlen(req->user_agent) : 0);
    f->source_ip = tn__hcl_arena_str(&at, req->source_ip, req->source_ip ? strlen(req->source_ip) : 0);
    f->ca_certs = tn__hcl_arena_str(&at, req->ca_certs, req->ca_certs ? strlen(req->ca_certs) : 0);
    f->client_cert = tn__hcl_arena_str(&at, req->client_cert, req->client_cert ? strlen(req->client_cert) : 0);
    f->client_key = tn__hcl_arena_str(&at, req->client_key, req->client_key ? strlen(req->client_key) : 0);
    f->no_validate = req->no_validate_cert != 0;
    f->proxy_host = tn__hcl_arena_str(&at, ph, ph ? strlen(ph) : 0);
    if (req->proxy_host && !req->no_proxy) {
        f->proxy_port = req->proxy_port;
        f->proxy_user = tn__hcl_arena_str(&at, req->proxy_username, req->proxy_username ? strlen(req->proxy_username) : 0);
        f->proxy_pass = tn__hcl_arena_str(&at, req->proxy_password, req->proxy_password ? strlen(req->proxy_password) : 0);
    } else if (ph) {
        f->proxy_port = cl->o.proxy_port;
        f->proxy_user = cl->o.proxy_username;
        f->proxy_pass = cl->o.proxy_password;
    }
    if (f->proxy_port <= 0) f->proxy_port = 8080;
    f->proxy_tunnel = req->proxy_tunnel;
    f->body = tn__hcl_arena_str(&at, req->body.len ? req->body.ptr : "", req->body.len);
    f->body_len = req->body.len;
    f->has_body = (req->has_body || req->body.len > 0) && !req->body_producer;
    f->producer = req->body_producer;
    f->producer_user = req->producer_user;
    f->connect_timeout = TN__DEF(req->connect_timeout_ms, TORNADO_HTTP_CLIENT_TIMEOUT_MS);
    f->request_timeout = TN__DEF(req->request_timeout_ms, TORNADO_HTTP_CLIENT_TIMEOUT_MS);
    f->if_modified_since = req->if_modified_since;
    f->follow = !req->no_follow_redirects;
    f->max_redirects = req->max_redirects < 0 ? 0 : TN__DEF(req->max_redirects, TORNADO_HTTP_CLIENT_MAX_REDIRECTS);
    f->decompress = !req->no_decompress;
    f->expect_continue = req->expect_100_continue != 0;
    f->no_ipv6 = req->no_ipv6 != 0;
    f->stream_cb = req->streaming_callback;
    f->stream_user = req->streaming_user;
    f->line_cb = req->header_callback;
    f->line_user = req->header_user;
    f->conn_close = (unsigned char)(tn_http_header_has_token(f->hdrs, nh, "Connection", "close") || cl->o.no_keep_alive);
    f->p.headers = f->rh;
    f->p.max_headers = cl->o.max_headers;
    f->p.max_header_bytes = cl->o.max_header_size;
    f->cb = cb;
    f->user = user;
    f->cl = cl;
    if ((rc = tn__hcl_set_url(f, tn_str_c(req->url))) != 0) {
        tn_buf_free(&f->url);
        tn__free(a, f);
        return rc == TN_ENOMEM ? rc : TN_EINVAL;
    }
    f->t_start = TN__HCL_NOW_US();
    /* queued: the queue wait is bounded by min(connect, request) timeout (Tornado) */
    if ((rc = tn__hcl_arm(f, TN__MIN(f->connect_timeout, f->request_timeout))) != 0) {
        tn_buf_free(&f->url);
        tn__free(a, f);
        return rc;
    }
    tn__handle_init(cl->h.loop, &f->h, &tn__hcl_fetch_type);
    tn__defer_init(&f->done_d, tn__hcl_on_done_deferred, &f->h);
    f->state = TN__HCL_QUEUED;
    f->prev = cl->q_tail;
    if (cl->q_tail) cl->q_tail->next = f;
    else cl->q_head = f;
    cl->q_tail = f;
    cl->st.queued++;
    cl->fetches++;
    tn__hcl_dispatch_later(cl);
    if (out) *out = f;
    return TN_OK;
}

/* ---- client -------------------------------------------------------------------------------- */
TN__PRIVATE void tn__hcl_client_finalize(tn__handle *h) {
    tn_http_client *cl = (tn_http_client *)h;
    tn_allocator *a = tn__loop_alloc(h->loop);
    if (cl->close_cb) cl->close_cb(h->loop, cl->close_user);
    tn_buf_free(&cl->scratch);
#if TN_HAS_OPENSSL
    tn_tls_ctx_free(cl->tls);
    tn_tls_ctx_free(cl->tls_own);
#endif
    tn__free(a, cl->tls_own_key);
    tn__free(a, cl->store);
    tn__free(a, cl);
}
static const tn__handle_type tn__hcl_client_type = { "http_client", tn__hcl_client_finalize };

/* A closing client goes once its fetches have answered and its connections are gone. */
TN__PRIVATE void tn__hcl_maybe_closed(tn_http_client *cl) {
    if (cl->closing && !cl->fetches && !cl->conns) (void)tn__handle_close(&cl->h);
}

TN__PRIVATE void tn__hcl_client_opts_resolve(const tn_http_client_opts *in, tn_http_client_opts *o) {
    memset(o, 0, sizeof *o);
    if (in) *o = *in;
    o->max_clients = TN__DEF(o->max_clients, TORNADO_HTTP_CLIENT_MAX_CLIENTS);
    o->max_header_size = TN__DEF(o->max_header_size, TORNADO_MAX_HEADER_BYTES);
    o->max_headers = TN__DEF(o->max_headers, TORNADO_MAX_HEADERS);
    o->max_buffer_size = TN__DEF(o->max_buffer_size, TORNADO_MAX_BUFFER_SIZE);
    o->max_body_size = TN__DEF(o->max_body_size, (uint64_t)o->max_buffer_size);
    o->pool_idle_timeout_ms = TN__DEF(o->pool_idle_timeout_ms, TORNADO_HTTP_CLIENT_POOL_IDLE_MS);
    o->pool_max_idle_per_host = TN__DEF(o->pool_max_idle_per_host, o->max_clients);
    if (o->proxy_port <= 0) o->proxy_port = 8080;
    if (!o->headers) o->num_headers = 0;
}

TN_API int tn_http_client_new(tn_loop *loop, const tn_http_client_opts *opts, tn_http_client **out) {
    tn_allocator *a;
    tn_http_client *cl;
    tn_http_client_opts o;
    size_t need = 0, i;
    char *at;
    tn_http_header *hs;
    if (!loop || !out) return TN_EINVAL;
    *out = NULL;
#if !TN_HAS_OPENSSL
    if (opts && opts->tls) return TN_ENOTSUP;
#endif
    a = tn__loop_alloc(loop);
    tn__hcl_client_opts_resolve(opts, &o);
    for (i = 0; i < o.num_headers; i++) {
        if (!tn__hcl_is_token(o.headers[i].name) || !tn__hcl_value_ok(o.headers[i].value)) return TN_EINVAL;
        need += o.headers[i].name.len + o.headers[i].value.len + 2;
    }
    if (!tn__hcl_cstr_ok(o.user_agent) || !tn__hcl_cstr_ok(o.proxy_host) || !tn__hcl_cstr_ok(o.proxy_username) ||
        !tn__hcl_cstr_ok(o.proxy_password))
        return TN_EINVAL;
    need += o.num_headers * sizeof(tn_http_header) + TN__HCL_SLEN(o.user_agent) + TN__HCL_SLEN(o.proxy_host) +
            TN__HCL_SLEN(o.proxy_username) + TN__HCL_SLEN(o.proxy_password) + 8;
    cl = (tn_http_client *)tn__calloc(a, sizeof *cl);
    if (!cl) return TN_ENOMEM;
    if (!(cl->store = (char *)tn__calloc(a, need))) {
        tn__free(a, cl);
        return TN_ENOMEM;
    }
    hs = (tn_http_header *)(void *)cl->store;
    at = (char *)(hs + o.num_headers);
    for (i = 0; i < o.num_headers; i++) {
        hs[i].name.ptr = tn__hcl_arena_str(&at, o.headers[i].name.ptr, o.headers[i].name.len);
        hs[i].name.len = o.headers[i].name.len;
        hs[i].value.ptr = tn__hcl_arena_str(&at, o.headers[i].value.ptr ? o.headers[i].value.ptr : "", o.headers[i].value.len);
        hs[i].value.len = o.headers[i].value.len;
    }
    o.headers = o.num_headers ? hs : NULL;
    o.user_agent = tn__hcl_arena_str(&at, o.user_agent, o.user_agent ? strlen(o.user_agent) : 0);
    o.proxy_host = tn__hcl_arena_str(&at, o.proxy_host, o.proxy_host ? strlen(o.proxy_host) : 0);
    o.proxy_username = tn__hcl_arena_str(&at, o.proxy_username, o.proxy_username ? strlen(o.proxy_username) : 0);
    o.proxy_password = tn__hcl_arena_str(&at, o.proxy_password, o.proxy_password ? strlen(o.proxy_password) : 0);
    cl->o = o;
#if TN_HAS_OPENSSL
    if ((cl->tls = o.tls) != NULL) tn__tls_ctx_ref(cl->tls);
#endif
    (void)tn_buf_init(&cl->scratch, a);
    tn__handle_init(loop, &cl->h, &tn__hcl_client_type);
    tn__defer_init(&cl->dispatch_d, tn__hcl_on_dispatch, &cl->h);
    *out = cl;
    return TN_OK;
}

TN_API int tn_http_client_close(tn_http_client *cl, tn_cb cb, void *user) {
    tn__hcl_conn *c, *next;
    if (!cl) return TN_EINVAL;
    if (cl->closing) return TN_ECLOSED;
    cl->closing = 1;
    cl->close_cb = cb;
    cl->close_user = user;
    while (cl->q_head) tn_http_fetch_cancel(cl->q_head);
    while (cl->a_head) tn_http_fetch_cancel(cl->a_head);
    for (c = cl->conns; c; c = next) {
        next = c->next;
        if (c->cx) tn_tcp_connect_cancel(c->cx);
        else tn__hcl_conn_close(c);
    }
    tn__hcl_maybe_closed(cl);
    return TN_OK;
}

TN_API void tn_http_client_get_stats(const tn_http_client *cl, tn_http_client_stats *out) { *out = cl->st; }
TN_API void tn_http_client_get_opts(const tn_http_client *cl, tn_http_client_opts *out) { *out = cl->o; }

/* ---- blocking fetch -------------------------------------------------------------------------- */
typedef struct tn__hcl_sync {
    tn_http_fetch_res *res;
    int done, closed, rc;
} tn__hcl_sync;

/* An owned deep copy of a response, in one libc allocation. */
TN__PRIVATE tn_http_fetch_res *tn__hcl_res_copy(const tn_http_fetch_res *r) {
    size_t need = sizeof *r + r->num_headers * sizeof(tn_http_header) + r->reason.len + r->effective_url.len +
                  r->body.len + strlen(r->error_msg ? r->error_msg : "") + 8, i;
    tn_http_fetch_res *c;
    tn_http_header *h;
    char *at;
    for (i = 0; i < r->num_headers; i++) need += r->headers[i].name.len + r->headers[i].value.len + 2;
    if (!(c = (tn_http_fetch_res *)malloc(need))) return NULL;
    *c = *r;
    h = (tn_http_header *)(void *)(c + 1);
    at = (char *)(h + r->num_headers);
    for (i = 0; i < r->num_headers; i++) {
        h[i].name = tn_str_make(tn__hcl_arena_str(&at, r->headers[i].name.ptr, r->headers[i].name.len), r->headers[i].name.len);
        h[i].value = tn_str_make(tn__hcl_arena_str(&at, r->headers[i].value.len ? r->headers[i].value.ptr : "", r->headers[i].value.len),
                                 r->headers[i].value.len);
    }
    c->headers = h;
    c->reason = tn_str_make(tn__hcl_arena_str(&at, r->reason.len ? r->reason.ptr : "", r->reason.len), r->reason.len);
    c->effective_url = tn_str_make(tn__hcl_arena_str(&at, r->effective_url.len ? r->effective_url.ptr : "", r->effective_url.len),
                                   r->effective_url.len);
    c->body = tn_str_make(tn__hcl_arena_str(&at, r->body.len ? r->body.ptr : "", r->body.len), r->body.len);
    c->error_msg = tn__hcl_arena_str(&at, r->error_msg ? r->error_msg : "", strlen(r->error_msg ? r->error_msg : ""));
    return c;
}

TN__PRIVATE void tn__hcl_sync_done(tn_http_fetch *f, const tn_http_fetch_res *res, void *user) {
    tn__hcl_sync *sy = (tn__hcl_sync *)user;
    (void)f;
    sy->res = tn__hcl_res_copy(res);
    if (!sy->res) sy->rc = TN_ENOMEM;
    sy->done = 1;
}

TN__PRIVATE void tn__hcl_sync_closed(tn_loop *loop, void *user) {
    (void)loop;
    ((tn__hcl_sync *)user)->closed = 1;
}

TN_API int tn_http_fetch_sync(const tn_http_fetch_req *req, const tn_http_client_opts *opts, tn_http_fetch_res **out) {
    tn_loop *loop;
    tn_http_client *cl;
    tn__hcl_sync sy;
    int rc;
    if (!out) return TN_EINVAL;
    *out = NULL;
    memset(&sy, 0, sizeof sy);
    if ((rc = tn_loop_new(NULL, &loop)) != 0) return rc;
    if ((rc = tn_http_client_new(loop, opts, &cl)) != 0) {
        (void)tn_loop_free(loop);
        return rc;
    }
    rc = tn_http_client_fetch(cl, req, tn__hcl_sync_done, &sy, NULL);
    if (rc == 0) {
        while (!sy.done) {
            int r = tn_loop_run_once(loop, -1);
            if (r < 0) {
                rc = r;
                break;
            }
        }
    }
    (void)tn_http_client_close(cl, tn__hcl_sync_closed, &sy);
    while (!sy.closed && tn_loop_run_once(loop, 100) >= 0) {}
    (void)tn_loop_free(loop);
    if (rc == 0) rc = sy.rc;
    if (rc != 0) {
        free(sy.res);
        return rc;
    }
    *out = sy.res;
    return TN_OK;
}

TN_API void tn_http_fetch_res_free(tn_http_fetch_res *res) { free(res); }

#endif /* TN_HAS_HTTP_CLIENT */
/* <<http_client.c  end of src/http_client.c */

/* ======================================================================== */
/* >>ws_conn.c  (src/ws_conn.c)                                             */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/ws_conn.c"
#endif
/* ws_conn.c: WebSocket connections: upgrade, client handshake, message reassembly in the read buffer, ping/pong, close. */
/* #include "ws_conn.h" (inlined above) */
/* #include "url.h" (inlined above) */
/* #include "internal.h" (inlined above) */

#if TN_HAS_WEBSOCKET

/* How a tn_ws works.
   READING parses in place: the stream holds the bytes (tn__stream_fill / peek / consume),
   tn_ws_parse unmasks them where they lie, and the payload of a message in several
   frames or reads is moved down over the frame headers, so the message ends up contiguous
   in the read buffer, ready to hand over without a copy. Between messages everything is
   consumed, so an idle connection holds no read buffer (the stream releases it).
   CLOSING: tx_closed once our close frame is queued, rx_closed once the peer's arrived (or
   reading stopped on an error). With both, the server drops the TCP connection when its
   close frame has left; the client waits for the server to do so. close_timer bounds every
   wait. The stream's close callback ends the tn_ws: its handle closes and on_close runs
   from the loop's closing phase, then the memory goes. */

enum { TN__WS_CONNECTING = 1, TN__WS_OPEN, TN__WS_GONE };

typedef struct tn__ws_scb { tn_ws_send_cb cb; void *user; } tn__ws_scb;

/* A client's handshake state: allocated by tn_ws_connect, freed when it ends. */
typedef struct tn__ws_client {
    tn_connector *conn;            /* connecting; NULL once the connector reported */
    tn_ws_connect_cb cb;           /* NULL once called */
    tn_timer_id timer;             /* the whole handshake's deadline */
    tn_buf req;                    /* the request, until it is written */
    char *host;                    /* for tn_tcp_connect */
    char *offered;                 /* the offered subprotocols, "a,b" (or NULL) */
    tn_tls_ctx *tls;               /* wss://: the context (a reference), NULL for ws:// */
    int aborted;                   /* tn_ws_abort while connecting */
    int timed_out;
    char key[TN_WS_KEY_SIZE + 1];
    tn_http_response res;
    tn_http_header hdrs[TORNADO_WS_MAX_RESPONSE_HEADERS];
} tn__ws_client;

struct tn_ws {
    tn__handle h;
    tn_stream *s;                  /* NULL while a client connects and once gone */
    tn_ws_handler cb;
    void *user;
    tn__ws_client *cl;             /* client, during the handshake */
    char *subprotocol;             /* owned, or NULL */
    tn_ws_parser *rx;              /* the frame parser while a frame or message spans reads;
                                      NULL between messages (parsing then uses the stack) */
    char *close_reason;            /* the peer's close reason (owned), or NULL */
    tn__ws_scb *scbs;              /* send callbacks waiting for their bytes (a ring) */
    uint64_t max_msg;              /* resolved options */
    size_t rx_pos;                 /* read-buffer bytes fed to the parser */
    size_t msg_start;              /* offset of the open message's payload in the buffer */
    size_t msg_len;                /* payload bytes of the open message so far */
    tn_timer_id ping_timer, close_timer;
    uint32_t scb_head, scb_len, scb_cap;
    uint32_t max_wbuf, ping_interval, ping_timeout, close_timeout;   /* bytes / ms, clamped */
    uint32_t last_ping, last_pong; /* loop time (ms), low 32 bits */
    int close_code;                /* the peer's close code, 1006 until a valid one came */
    unsigned char close_reason_len;
    unsigned char state;           /* TN__WS_* */
    unsigned char client;          /* 1: our frames are masked */
    unsigned char opened;          /* on_close is due */
    unsigned char tx_closed;       /* our close frame is queued */
    unsigned char rx_closed;       /* the peer's close frame came, or reading stopped */
    unsigned char rx_open;         /* a data message is being received */
    unsigned char tx_frag;         /* a fragmented send is open */
    unsigned char ending;          /* the TCP connection is being ended */
};

TN__PRIVATE void tn__ws_read(tn_ws *ws);
TN__PRIVATE void tn__ws_end_tcp(tn_ws *ws);

/* ---- the object ---- */

TN__PRIVATE void tn__ws_client_free(tn_ws *ws) {
    tn_allocator *a = tn__loop_alloc(ws->h.loop);
    tn__ws_client *cl = ws->cl;
    if (!cl) return;
    if (cl->timer) (void)tn_loop_cancel(ws->h.loop, cl->timer);
    tn_buf_free(&cl->req);
    tn__free(a, cl->host);
    tn__free(a, cl->offered);
#if TN_HAS_OPENSSL
    if (cl->tls) tn_tls_ctx_free(cl->tls);
#endif
    tn__free(a, cl);
    ws->cl = NULL;
}

TN__PRIVATE void tn__ws_finalize(tn__handle *h) {
    tn_ws *ws = (tn_ws *)h;
    tn_allocator *a = tn__loop_alloc(h->loop);
    if (ws->opened && ws->cb.on_close)
        ws->cb.on_close(ws, ws->close_code, tn_str_make(ws->close_reason, ws->close_reason_len), ws->user);
    tn__ws_client_free(ws);
    tn__free(a, ws->rx);
    tn__free(a, ws->close_reason);
    tn__free(a, ws->subprotocol);
    tn__free(a, ws->scbs);
    tn__free(a, ws);
}
static const tn__handle_type tn__ws_type = { "websocket", tn__ws_finalize };

TN__PRIVATE void tn__ws_cancel_timers(tn_ws *ws) {
    if (ws->ping_timer) (void)tn_loop_cancel(ws->h.loop, ws->ping_timer);
    if (ws->close_timer) (void)tn_loop_cancel(ws->h.loop, ws->close_timer);
    ws->ping_timer = ws->close_timer = 0;
}

/* The options every tn_ws keeps, resolved. */
TN__PRIVATE void tn__ws_resolve(tn_ws *ws, const tn_ws_opts *o) {
    uint64_t interval = o->ping_interval_ms;
    ws->max_msg = TN__DEF(o->max_message_size, (uint64_t)TORNADO_MAX_WS_MESSAGE);
    ws->max_wbuf = tn__clamp_u32(o->max_write_buffer_size);
    ws->ping_interval = tn__clamp_u32(interval);
    ws->ping_timeout = tn__clamp_u32(TN__DEF(o->ping_timeout_ms, TN__MAX(3 * interval, (uint64_t)TORNADO_WS_PING_TIMEOUT_MS)));
    ws->close_timeout = tn__clamp_u32(TN__DEF(o->close_timeout_ms, (uint64_t)TORNADO_WS_CLOSE_TIMEOUT_MS));
}

TN__PRIVATE tn_ws *tn__ws_new(tn_loop *loop, const tn_ws_opts *o, const tn_ws_handler *h, void *user, int client) {
    tn_ws *ws = (tn_ws *)tn__calloc(tn__loop_alloc(loop), sizeof *ws);
    if (!ws) return NULL;
    ws->h.loop = loop;   /* tn__handle_init sets it again: lets the error paths free */
    ws->cb = *h;
    ws->user = user;
    ws->client = (unsigned char)client;
    ws->close_code = 1006;
    tn__ws_resolve(ws, o);
    return ws;
}

/* ---- sending ---- */

TN__PRIVATE void tn__ws_on_sent(tn_stream *s, int status, void *user) {
    tn_ws *ws = (tn_ws *)user;
    tn__ws_scb w;
    (void)s;
    if (ws->scb_len == 0) return;
    w = ws->scbs[ws->scb_head];
    ws->scb_head = (ws->scb_head + 1) % ws->scb_cap;
    ws->scb_len--;
    w.cb(ws, status, w.user);
}

/* Queue one frame. cb (may be NULL) runs when it left. limit: honour max_write_buffer_size
   (close frames and pongs skip it: they must go out). */
TN__PRIVATE int tn__ws_frame(tn_ws *ws, int opcode, int fin, const void *data, size_t len, tn_ws_send_cb cb,
                             void *user, int limit) {
    char hdr[TN_WS_MAX_HEADER];
    tn_ws_frame f;
    tn_write_cb wcb = cb ? tn__ws_on_sent : NULL;
    int n, rc;
    memset(&f, 0, sizeof f);
    f.fin = fin;
    f.opcode = opcode;
    f.length = len;
    f.masked = ws->client;
    if (f.masked && (rc = tn_random_bytes(f.mask, sizeof f.mask)) != TN_OK) return rc;
    n = tn_ws_write_header(hdr, sizeof hdr, &f);
    if (n < 0) return n;
    if (limit && ws->max_wbuf && tn_stream_write_buffer_size(ws->s) + (size_t)n + len > ws->max_wbuf)
        return TN_EBUFFER_FULL;
    if (cb) {
        tn__ws_scb *w;
        if (tn__ring_grow(tn__loop_alloc(ws->h.loop), (void **)&ws->scbs, &ws->scb_head, ws->scb_len, &ws->scb_cap,
                          sizeof *ws->scbs) != 0)
            return TN_ENOMEM;
        w = &ws->scbs[(ws->scb_head + ws->scb_len) % ws->scb_cap];
        w->cb = cb;
        w->user = user;
        ws->scb_len++;
    }
    if (!f.masked) {
        tn_str v[2];
        v[0] = tn_str_make(hdr, (size_t)n);
        v[1] = tn_str_make((const char *)data, len);
        rc = tn_stream_writev(ws->s, v, len ? 2 : 1, wcb, ws);
    } else {
        /* the client masks into a stack buffer: header and payload in pieces, corked so
           they leave together */
        char chunk[8192];
        size_t off = 0;
        int corked = tn__stream_corked(ws->s);
        memcpy(chunk, hdr, (size_t)n);
        if (!corked && (size_t)n + len > sizeof chunk) tn__stream_cork(ws->s, 1);
        rc = TN_OK;
        for (;;) {
            size_t at = off == 0 ? (size_t)n : 0, take = TN__MIN(len - off, sizeof chunk - at);
            int last = off + take == len;
            if (take) tn_ws_mask_copy(chunk + at, (const char *)data + off, take, f.mask, off);
            rc = tn_stream_write(ws->s, chunk, at + take, last ? wcb : NULL, last ? ws : NULL);
            off += take;
            if (rc != TN_OK || last) break;
        }
        if (rc != TN_OK && off > 0) {
            /* part of a frame is queued: the framing is broken, the connection with it */
            (void)tn_stream_abort(ws->s, rc);
        }
        if (!corked) tn__stream_cork(ws->s, 0);
    }
    if (rc != TN_OK && cb) ws->scb_len--;   /* the callback we queued is the ring's last */
    return rc;
}

TN__PRIVATE int tn__ws_can_send(const tn_ws *ws) {
    if (!ws || ws->state != TN__WS_OPEN || !ws->s || ws->tx_closed || tn_stream_closed(ws->s)) return TN_ECLOSED;
    return TN_OK;
}

TN_API int tn_ws_send(tn_ws *ws, int opcode, const void *data, size_t len, tn_ws_send_cb cb, void *user) {
    int rc;
    if (!ws || (opcode != TN_WS_TEXT && opcode != TN_WS_BINARY) || (len && !data)) return TN_EINVAL;
    if ((rc = tn__ws_can_send(ws)) != TN_OK) return rc;
    if (ws->tx_frag) return TN_EINVAL;
    if (opcode == TN_WS_TEXT && tn_utf8_validate((const char *)data, len) != TN_OK) return TN_EBAD_ENCODING;
    return tn__ws_frame(ws, opcode, 1, data, len, cb, user, 1);
}

TN_API int tn_ws_send_fragment(tn_ws *ws, int opcode, const void *data, size_t len, int fin, tn_ws_send_cb cb,
                               void *user) {
    int rc;
    if (!ws || (len && !data)) return TN_EINVAL;
    if ((rc = tn__ws_can_send(ws)) != TN_OK) return rc;
    if (ws->tx_frag ? opcode != TN_WS_CONT : (opcode != TN_WS_TEXT && opcode != TN_WS_BINARY)) return TN_EINVAL;
    rc = tn__ws_frame(ws, opcode, fin != 0, data, len, cb, user, 1);
    if (rc == TN_OK) ws->tx_frag = !fin;
    return rc;
}

TN_API int tn_ws_ping(tn_ws *ws, const void *data, size_t len) {
    int rc;
    if (!ws || len > TN_WS_MAX_CONTROL || (len && !data)) return TN_EINVAL;
    if ((rc = tn__ws_can_send(ws)) != TN_OK) return rc;
    return tn__ws_frame(ws, TN_WS_PING, 1, data, len, NULL, NULL, 1);
}

/* ---- closing ---- */

TN__PRIVATE void tn__ws_on_close_timer(tn_loop *loop, void *user) {
    tn_ws *ws = (tn_ws *)user;
    (void)loop;
    ws->close_timer = 0;
    if (ws->s) (void)tn_stream_abort(ws->s, TN_ETIMEOUT);
}

TN__PRIVATE void tn__ws_arm_close_timer(tn_ws *ws) {
    if (ws->close_timer || !ws->s) return;
    if (tn_loop_call_later(ws->h.loop, ws->close_timeout, tn__ws_on_close_timer, ws, &ws->close_timer) != TN_OK)
        (void)tn_stream_abort(ws->s, TN_ENOMEM);
}

/* Queue our close frame (payload already built). */
TN__PRIVATE int tn__ws_send_close(tn_ws *ws, const char *payload, size_t len) {
    int rc;
    if (ws->tx_closed) return TN_ECLOSED;
    ws->tx_closed = 1;
    if (ws->ping_timer) {
        (void)tn_loop_cancel(ws->h.loop, ws->ping_timer);
        ws->ping_timer = 0;
    }
    rc = tn__ws_frame(ws, TN_WS_CLOSE, 1, payload, len, NULL, NULL, 0);
    if (rc != TN_OK) (void)tn_stream_abort(ws->s, rc);
    else tn__ws_arm_close_timer(ws);
    return rc;
}

TN__PRIVATE void tn__ws_discard(tn_stream *s, int status, tn_str data, void *user) {
    (void)s;
    (void)status;
    (void)data;
    (void)user;   /* the client waits for the server's FIN; the stream closes itself at EOF */
}

TN__PRIVATE void tn__ws_after_flush(tn_stream *s, int status, void *user) {
    tn_ws *ws = (tn_ws *)user;
    if (status != TN_OK) return;
    if (!ws->client) {
        (void)tn_stream_close(s, NULL, NULL);   /* the server closes the TCP connection first */
        return;
    }
    tn__stream_consume(s, tn__stream_peek(s).len);
    if (tn_stream_read_until_close(s, TN_READ_STREAMING, tn__ws_discard, ws) != TN_OK) (void)tn_stream_close(s, NULL, NULL);
}

/* Both close frames are out (or the connection failed): end the TCP connection once our
   frames have left, bounded by the close timer. */
TN__PRIVATE void tn__ws_end_tcp(tn_ws *ws) {
    if (ws->ending || !ws->s) return;
    ws->ending = 1;
    ws->rx_closed = 1;
    tn__ws_arm_close_timer(ws);
    if (tn_stream_write(ws->s, "", 0, tn__ws_after_flush, ws) != TN_OK) (void)tn_stream_close(ws->s, NULL, NULL);
}

/* Fail the connection (RFC 6455 §7.1.7): a close frame with the error's code, then the
   TCP connection ends; nothing more is read. */
TN__PRIVATE void tn__ws_fail_conn(tn_ws *ws, int err) {
    char payload[2];
    int code = tn_ws_error_close_code(err);
    ws->rx_closed = 1;
    if (!ws->tx_closed) {
        int n = tn_ws_close_payload(payload, sizeof payload, code ? code : 1011, NULL, 0);
        if (tn__ws_send_close(ws, payload, n > 0 ? (size_t)n : 0) != TN_OK) return;
    }
    tn__ws_end_tcp(ws);
}

TN_API int tn_ws_close(tn_ws *ws, int code, const char *reason, size_t reason_len) {
    char payload[TN_WS_MAX_CONTROL];
    int n, rc;
    if (!ws) return TN_EINVAL;
    if ((rc = tn__ws_can_send(ws)) != TN_OK) return rc;
    if (code == 0 && reason_len) code = 1000;
    n = tn_ws_close_payload(payload, sizeof payload, code, reason, reason_len);
    if (n < 0) return n;
    if ((rc = tn__ws_send_close(ws, payload, (size_t)n)) != TN_OK) return rc;
    if (ws->rx_closed) tn__ws_end_tcp(ws);
    return TN_OK;
}

TN_API int tn_ws_abort(tn_ws *ws) {
    if (!ws || ws->state == TN__WS_GONE) return TN_ECLOSED;
    if (ws->state == TN__WS_CONNECTING) {
        if (ws->cl->aborted) return TN_ECLOSED;
        ws->cl->aborted = 1;
        if (ws->cl->conn) tn_tcp_connect_cancel(ws->cl->conn);
        else if (ws->s) (void)tn_stream_abort(ws->s, TN_ECANCELED);
        return TN_OK;
    }
    if (!ws->s || tn_stream_closed(ws->s)) return TN_ECLOSED;
    ws->rx_closed = ws->tx_closed = 1;
    return tn_stream_abort(ws->s, TN_ECANCELED);
}

/* ---- receiving ---- */

/* A control frame. Returns 1 to go on reading, 0 to stop. */
TN__PRIVATE int tn__ws_control(tn_ws *ws, const tn_ws_event *ev) {
    switch (ev->opcode) {
    case TN_WS_PING:
        if (!ws->tx_closed && tn__ws_frame(ws, TN_WS_PONG, 1, ev->data.ptr, ev->data.len, NULL, NULL, 0) != TN_OK) {
            (void)tn_stream_abort(ws->s, TN_ENOMEM);
            return 0;
        }
        if (ws->cb.on_ping) ws->cb.on_ping(ws, ev->data, ws->user);
        break;
    case TN_WS_PONG:
        ws->last_pong = (uint32_t)tn_loop_now(ws->h.loop);
        if (ws->cb.on_pong) ws->cb.on_pong(ws, ev->data, ws->user);
        break;
    default: {   /* TN_WS_CLOSE */
        int code, rc;
        tn_str reason;
        rc = tn_ws_close_parse(ev->data.ptr, ev->data.len, &code, &reason);
        if (rc != TN_OK) {
            tn__ws_fail_conn(ws, rc);   /* 1002 (bad code, 1 byte) or 1007 (reason not UTF-8) */
            return 0;
        }
        ws->close_code = code;
        if (reason.len && (ws->close_reason = (char *)tn__alloc(tn__loop_alloc(ws->h.loop), reason.len)) != NULL) {
            memcpy(ws->close_reason, reason.ptr, reason.len);   /* the parser's copy may be on the stack */
            ws->close_reason_len = (unsigned char)reason.len;
        }
        ws->rx_closed = 1;
        if (!ws->tx_closed) {
            /* echo the peer's code (Tornado), without a reason */
            char payload[2];
            int n = code == 1005 ? 0 : tn_ws_close_payload(payload, sizeof payload, code, NULL, 0);
            if (tn__ws_send_close(ws, payload, n > 0 ? (size_t)n : 0) != TN_OK) return 0;
        }
        tn__ws_end_tcp(ws);
        return 0;
    }
    }
    return ws->s && !tn_stream_closed(ws->s) && !ws->rx_closed;
}

/* A piece of a data message, lying at buffer offset `at`. Returns 1 to go on, 0 to stop. */
TN__PRIVATE int tn__ws_data(tn_ws *ws, const tn_ws_event *ev, char *base, size_t at) {
    int last = (ev->flags & TN_WS_EV_MESSAGE_END) != 0;
    if ((ev->flags & TN_WS_EV_FRAME_START) && ev->frame.opcode != TN_WS_CONT) {
        ws->rx_open = 1;
        ws->msg_start = at;
        ws->msg_len = 0;
    }
    if (ws->cb.on_fragment || ws->tx_closed || !ws->cb.on_message) {
        /* streaming receive (or a message nobody takes): hand over and forget the bytes */
        if (last) ws->rx_open = 0;
        if (ws->cb.on_fragment && !ws->tx_closed && (ev->data.len || last))
            ws->cb.on_fragment(ws, ev->opcode, ev->data, last, ws->user);
        if (!ws->s || tn_stream_closed(ws->s) || ws->rx_closed) return 0;
        tn__stream_consume(ws->s, ws->rx_pos);
        ws->rx_pos = 0;
        ws->msg_start = 0;
        return 1;
    }
    if (ev->data.len && ws->msg_start + ws->msg_len != at)
        memmove(base + ws->msg_start + ws->msg_len, base + at, ev->data.len);
    ws->msg_len += ev->data.len;
    if (!last) return 1;
    ws->rx_open = 0;
    ws->cb.on_message(ws, ev->opcode, tn_str_make(base + ws->msg_start, ws->msg_len), ws->user);
    if (!ws->s || tn_stream_closed(ws->s) || ws->rx_closed) return 0;
    tn__stream_consume(ws->s, ws->rx_pos);
    ws->rx_pos = 0;
    ws->msg_start = ws->msg_len = 0;
    return 1;
}

/* Parse what the read buffer holds, then wait for more. The parser lives on the stack
   while whole frames arrive (an idle connection keeps none); only a frame or message
   that continues in a later read gets its state copied to ws->rx (a value type), freed
   once the connection is between messages again. */
TN__PRIVATE void tn__ws_process(tn_ws *ws) {
    tn_ws_parser local, *p = ws->rx;
    int boundary = 1;   /* the parser stands between frames with nothing gathered */
    if (!p) {
        memset(&local, 0, sizeof local);
        local.role = ws->client ? TN_WS_CLIENT : TN_WS_SERVER;
        local.max_message_size = ws->max_msg;
        p = &local;
    }
    for (;;) {
        tn_str buf = tn__stream_peek(ws->s);
        char *base = (char *)(uintptr_t)buf.ptr;
        tn_ws_event ev;
        int rc;
        if (ws->rx_pos >= buf.len) break;
        rc = tn_ws_parse(p, base + ws->rx_pos, buf.len - ws->rx_pos, &ev);
        if (rc == TN_EINCOMPLETE) {   /* a partial header or control frame, kept in the parser */
            ws->rx_pos = buf.len;
            boundary = 0;
            break;
        }
        if (rc < 0) {
            tn__ws_fail_conn(ws, rc);
            return;
        }
        ws->rx_pos += (size_t)rc;
        boundary = (ev.flags & TN_WS_EV_FRAME_END) != 0;
        if (ev.opcode & 8) {
            if (!tn__ws_control(ws, &ev)) return;
        } else if (!tn__ws_data(ws, &ev, base, ws->rx_pos - ev.data.len)) {
            return;
        }
    }
    if (boundary && !ws->rx_open) {
        tn__free(tn__loop_alloc(ws->h.loop), ws->rx);
        ws->rx = NULL;
    } else if (p == &local) {
        ws->rx = (tn_ws_parser *)tn__alloc(tn__loop_alloc(ws->h.loop), sizeof *ws->rx);
        if (!ws->rx) {
            (void)tn_stream_abort(ws->s, TN_ENOMEM);
            return;
        }
        *ws->rx = local;
    }
    if (ws->rx_open && !ws->cb.on_fragment && !ws->tx_closed && ws->cb.on_message) {
        /* keep the message so far at the front: drop the headers before it and the spent
           bytes behind it; the next payload lands right after it */
        tn__stream_truncate(ws->s, ws->msg_start + ws->msg_len);
        tn__stream_consume(ws->s, ws->msg_start);
        ws->rx_pos = ws->msg_len;
        ws->msg_start = 0;
    } else {
        tn__stream_consume(ws->s, ws->rx_pos);
        ws->rx_pos = 0;
    }
    tn__ws_read(ws);
}

TN__PRIVATE void tn__ws_on_data(tn_stream *s, int status, tn_str data, void *user) {
    (void)s;
    (void)data;
    if (status != TN_OK) return;   /* the stream is closing: its close callback ends us */
    tn__ws_process((tn_ws *)user);
}

TN__PRIVATE void tn__ws_read(tn_ws *ws) {
    int rc;
    if (!ws->s || ws->rx_closed || tn_stream_closed(ws->s)) return;
    rc = tn__stream_fill(ws->s, ws->rx_pos, tn__ws_on_data, ws);
    if (rc != TN_OK && rc != TN_ECLOSED) (void)tn_stream_abort(ws->s, rc);
}

/* ---- keepalive ---- */

TN__PRIVATE void tn__ws_on_ping_timer(tn_loop *loop, void *user) {
    tn_ws *ws = (tn_ws *)user;
    uint32_t now = (uint32_t)tn_loop_now(loop);
    if (!ws->s || ws->tx_closed || ws->state != TN__WS_OPEN) return;
    /* only when a ping went out recently: a process that was suspended does not close
       connections whose pongs it could not see (Tornado) */
    if (ws->last_ping && (uint64_t)(uint32_t)(now - ws->last_ping) < 2 * (uint64_t)ws->ping_interval &&
        (uint32_t)(now - ws->last_pong) > ws->ping_timeout) {
        (void)tn_ws_close(ws, 0, NULL, 0);
        return;
    }
    if (tn__ws_frame(ws, TN_WS_PING, 1, NULL, 0, NULL, NULL, 0) == TN_OK) ws->last_ping = now ? now : 1;
}

/* The connection is open (state and opened set): keepalive and reading start. */
TN__PRIVATE void tn__ws_start(tn_ws *ws) {
    if (!ws->s || tn_stream_closed(ws->s)) return;
    ws->last_pong = (uint32_t)tn_loop_now(ws->h.loop);
    if (ws->ping_interval && !ws->tx_closed &&
        tn_loop_call_every(ws->h.loop, ws->ping_interval, tn__ws_on_ping_timer, ws, &ws->ping_timer) != TN_OK) {
        (void)tn_stream_abort(ws->s, TN_ENOMEM);
        return;
    }
    tn__ws_read(ws);
}

TN__PRIVATE void tn__ws_client_fail(tn_ws *ws, int status, int http_status);

TN__PRIVATE void tn__ws_on_stream_close(tn_stream *s, int cause, void *user) {
    tn_ws *ws = (tn_ws *)user;
    (void)s;
    ws->s = NULL;
    tn__ws_cancel_timers(ws);
    if (ws->state == TN__WS_CONNECTING) {
        tn__ws_client_fail(ws, ws->cl->aborted ? TN_ECANCELED : cause ? cause : TN_ECLOSED, 0);
        return;
    }
    ws->state = TN__WS_GONE;
    (void)tn__handle_close(&ws->h);
}

/* ---- server ---- */
#if TN_HAS_HTTP_SERVER

/* Tornado's answers to a refused handshake. */
TN__PRIVATE int tn__ws_refuse(tn_request *req, int err) {
    const char *msg;
    int status = tn_ws_handshake_status(err), rc;
    if (err == TN_EWS_VERSION) {
        (void)tn_response_set_header(req, "Sec-WebSocket-Version", "13");
        msg = "Unsupported WebSocket version: Sec-WebSocket-Version: 13 is supported";
    } else if (err == TN_EWS_ORIGIN) {
        msg = "Cross origin websockets not allowed";
    } else {
        msg = "Can \"Upgrade\" only to \"WebSocket\" with a valid Sec-WebSocket-Key";
    }
    rc = tn_respond(req, status, "text/plain; charset=UTF-8", msg, strlen(msg));
    return rc == TN_ECLOSED ? TN_ECLOSED : err;
}

/* The origin check with the caller's allow-list or callback. */
TN__PRIVATE int tn__ws_origin_ok(tn_request *req, const tn_ws_opts *o) {
    tn_str origin, host = tn_str_make("", 0);
    size_t i;
    if (tn_request_header(req, "Origin", &origin) != TN_OK) return 1;
    for (i = 0; i < o->num_allowed_origins; i++)
        if (o->allowed_origins[i] && tn_str_eq_c(origin, o->allowed_origins[i])) return 1;
    if (!o->check_origin) return 0;
    (void)tn_request_header(req, "Host", &host);
    return o->check_origin(origin, host, o->check_origin_user) != 0;
}

TN_API int tn_ws_accept(tn_request *req, const tn_ws_opts *opts, const tn_ws_handler *h, void *user, tn_ws **out) {
    tn_ws_opts o;
    const tn_http_header *hd;
    size_t nh;
    tn_str key, proto = tn_str_make(NULL, 0);
    char accept[TN_WS_ACCEPT_SIZE + 1];
    tn_loop *loop;
    tn_stream *s;
    tn_ws *ws;
    int custom, rc;
    if (out) *out = NULL;
    if (!req || !h) return TN_EINVAL;
    memset(&o, 0, sizeof o);
    if (opts) o = *opts;
    loop = tn_http_server_loop(tn_request_server(req));
    hd = tn_request_headers(req, &nh);
    custom = o.num_allowed_origins > 0 || o.check_origin;
    rc = tn_ws_check_request(tn_request_method(req), tn_request_version(req), hd, nh, custom ? TN_WS_ANY_ORIGIN : 0,
                             &key);
    if (rc == TN_OK && custom && !tn__ws_origin_ok(req, &o)) rc = TN_EWS_ORIGIN;
    if (rc == TN_OK && o.num_subprotocols) {
        rc = tn_ws_select_protocol(hd, nh, o.subprotocols, o.num_subprotocols, &proto);
        if (rc == TN_ENOENT) rc = TN_OK;   /* none in common: go on without one (Tornado) */
    }
    if (rc != TN_OK) return tn__ws_refuse(req, rc);
    ws = tn__ws_new(loop, &o, h, user, 0);
    if (ws && proto.len && !(ws->subprotocol = tn__strndup(tn__loop_alloc(loop), proto.ptr, proto.len))) {
        tn__free(tn__loop_alloc(loop), ws);
        ws = NULL;
    }
    if (!ws) {
        rc = tn_respond_error(req, 500, NULL);
        return rc == TN_ECLOSED ? TN_ECLOSED : TN_ENOMEM;
    }
    tn_ws_accept_key(key, accept);
    if ((rc = tn_response_set_header(req, "Upgrade", "websocket")) != TN_OK ||
        (rc = tn_response_set_header(req, "Connection", "Upgrade")) != TN_OK ||
        (rc = tn_response_set_header(req, "Sec-WebSocket-Accept", accept)) != TN_OK ||
        (ws->subprotocol && (rc = tn_response_set_header(req, "Sec-WebSocket-Protocol", ws->subprotocol)) != TN_OK) ||
        (rc = tn_response_start(req, 101, 0)) != TN_OK || (rc = tn_request_detach(req, &s)) != TN_OK) {
        tn__free(tn__loop_alloc(loop), ws->subprotocol);
        tn__free(tn__loop_alloc(loop), ws);
        return rc;
    }
    tn__handle_init(loop, &ws->h, &tn__ws_type);
    ws->s = s;
    tn__stream_cork(s, 0);   /* a pipelining client's frames may have corked it: the 101 goes now */
    tn_stream_set_close_cb(s, tn__ws_on_stream_close, ws);
    ws->state = TN__WS_OPEN;
    ws->opened = 1;
    tn__ws_start(ws);
    if (out) *out = ws;
    return TN_OK;
}
#endif /* TN_HAS_HTTP_SERVER */

/* ---- client ---- */

TN__PRIVATE void tn__ws_client_fail(tn_ws *ws, int status, int http_status) {
    tn_ws_connect_cb cb = ws->cl ? ws->cl->cb : NULL;
    if (ws->state == TN__WS_GONE) return;
    ws->state = TN__WS_GONE;   /* never opened: no on_close */
    if (ws->cl) {
        ws->cl->cb = NULL;
        if (ws->cl->timer) (void)tn_loop_cancel(ws->h.loop, ws->cl->timer);
        ws->cl->timer = 0;
    }
    if (cb) cb(ws, status, http_status, ws->user);
    /* with a stream, its close callback closes us (it still points here until then) */
    if (ws->s) (void)tn_stream_abort(ws->s, status);
    else (void)tn__handle_close(&ws->h);
}

TN__PRIVATE void tn__ws_on_hs_timer(tn_loop *loop, void *user) {
    tn_ws *ws = (tn_ws *)user;
    (void)loop;
    ws->cl->timer = 0;
    ws->cl->timed_out = 1;
    if (ws->cl->conn) tn_tcp_connect_cancel(ws->cl->conn);   /* reports TN_ECANCELED, read as a timeout */
    else tn__ws_client_fail(ws, TN_ETIMEOUT, 0);
}

/* The server's 101 is complete in buf[0..n): check it. Returns TN_OK or TN_EWS_HANDSHAKE. */
TN__PRIVATE int tn__ws_check_answer(tn_ws *ws) {
    tn__ws_client *cl = ws->cl;
    tn_http_response *r = &cl->res;
    tn_str proto;
    int rc = tn_ws_check_response(r->status, r->headers, r->num_headers, tn_str_c(cl->key));
    if (rc != TN_OK) return rc;
    /* no extension was offered: the server may not use one */
    if (tn_http_header_count(r->headers, r->num_headers, "Sec-WebSocket-Extensions") > 0) return TN_EWS_HANDSHAKE;
    if (tn_http_header_get(r->headers, r->num_headers, "Sec-WebSocket-Protocol", &proto) == TN_OK) {
        const char *p = cl->offered;
        int found = 0;
        if (tn_http_header_count(r->headers, r->num_headers, "Sec-WebSocket-Protocol") != 1) return TN_EWS_HANDSHAKE;
        while (p && *p && !found) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            found = tn_str_eq(tn_str_make(p, n), proto);
            p = e ? e + 1 : NULL;
        }
        if (!found) return TN_EWS_HANDSHAKE;
        if (!(ws->subprotocol = tn__strndup(tn__loop_alloc(ws->h.loop), proto.ptr, proto.len))) return TN_ENOMEM;
    }
    return TN_OK;
}

TN__PRIVATE void tn__ws_on_answer(tn_stream *s, int status, tn_str data, void *user) {
    tn_ws *ws = (tn_ws *)user;
    tn__ws_client *cl = ws->cl;
    tn_ws_connect_cb cb;
    int rc, rc2, http_status;
    if (status != TN_OK) return;   /* closing: the close callback reports it */
    rc = tn_http_parse_response(data.ptr, data.len, &cl->res);
    if (rc == TN_EINCOMPLETE) {
        if ((rc = tn__stream_fill(s, data.len, tn__ws_on_answer, ws)) != TN_OK) tn__ws_client_fail(ws, rc, 0);
        return;
    }
    http_status = rc > 0 ? cl->res.status : 0;
    if (rc < 0) {
        tn__ws_client_fail(ws, TN_EWS_HANDSHAKE, 0);
        return;
    }
    if ((rc2 = tn__ws_check_answer(ws)) != TN_OK) {
        tn__ws_client_fail(ws, rc2, http_status);
        return;
    }
    tn__stream_consume(s, (size_t)rc);   /* what follows the head is already frames */
    cb = cl->cb;
    cl->cb = NULL;
    tn__ws_client_free(ws);
    ws->state = TN__WS_OPEN;
    ws->opened = 1;
    cb(ws, TN_OK, 101, ws->user);
    if (ws->state == TN__WS_OPEN) tn__ws_start(ws);
}

/* The connection is up (TCP, and TLS for wss://): send the upgrade request. */
TN__PRIVATE void tn__ws_send_request(tn_ws *ws) {
    tn__ws_client *cl = ws->cl;
    int rc = tn_stream_write(ws->s, tn_buf_ptr(&cl->req), tn_buf_size(&cl->req), NULL, NULL);
    tn_buf_free(&cl->req);
    if (rc == TN_OK) rc = tn__stream_fill(ws->s, 0, tn__ws_on_answer, ws);
    if (rc != TN_OK) tn__ws_client_fail(ws, rc, 0);
}

#if TN_HAS_OPENSSL
/* wss://: the handshake ended. A failure (the stream is closing) fails the connect with
   the handshake's status (TN_ETLS_VERIFY, TN_ETLS, ...), OpenSSL's reason logged. */
TN__PRIVATE void tn__ws_on_tls(tn_stream *s, int status, void *user) {
    tn_ws *ws = (tn_ws *)user;
    if (ws->state != TN__WS_CONNECTING || !ws->cl || ws->cl->aborted) return;   /* the close callback reports */
    if (status != TN_OK) {
        const char *why = tn_stream_tls_error(s);
        TN__LLOG(ws->h.loop, TN_LOG_WARN, status, "ws: TLS handshake with %s failed: %s", ws->cl->host,
                 *why ? why : tn_strerror(status));
        tn__ws_client_fail(ws, status, 0);
        return;
    }
    tn__ws_send_request(ws);
}
#endif

TN__PRIVATE void tn__ws_on_connected(int status, tn_stream *s, void *user) {
    tn_ws *ws = (tn_ws *)user;
    tn__ws_client *cl = ws->cl;
    cl->conn = NULL;
    if (status == TN_OK && cl->aborted) {
        (void)tn_stream_close(s, NULL, NULL);
        status = TN_ECANCELED;
    }
    if (status != TN_OK) {
        tn__ws_client_fail(ws, cl->timed_out ? TN_ETIMEOUT : status, 0);
        return;
    }
    ws->s = s;
    tn_stream_set_close_cb(s, tn__ws_on_stream_close, ws);
#if TN_HAS_OPENSSL
    if (cl->tls) {   /* wss://: the upgrade request waits for the handshake */
        int rc;
        if ((rc = tn_stream_start_tls(s, cl->tls, cl->host, tn__ws_on_tls, ws)) != TN_OK) tn__ws_client_fail(ws, rc, 0);
        return;
    }
#endif
    tn__ws_send_request(ws);
}

/* A header line for the request: name a token, value without CR, LF or NUL. */
TN__PRIVATE int tn__ws_put_header(tn_buf *b, tn_str name, tn_str value) {
    size_t i;
    if (!tn_http_is_token(name)) return TN_EINVAL;
    for (i = 0; i < value.len; i++)
        if (value.ptr[i] == '\r' || value.ptr[i] == '\n' || value.ptr[i] == '\0') return TN_EINVAL;
    if (tn_buf_reserve(b, name.len + value.len + 4) != 0) return TN_ENOMEM;
    (void)tn_buf_append(b, name.ptr, name.len);
    (void)tn_buf_append(b, ": ", 2);
    (void)tn_buf_append(b, value.ptr, value.len);
    (void)tn_buf_append(b, "\r\n", 2);
    return TN_OK;
}

/* Build the upgrade request into cl->req. */
TN__PRIVATE int tn__ws_build_request(tn_ws *ws, const tn_url *u, const tn_ws_opts *o) {
    tn__ws_client *cl = ws->cl;
    tn_buf *b = &cl->req;
    tn_buf protos;
    tn_str host = u->authority;
    size_t i;
    int rc = TN_OK;
    const char *at = (const char *)memchr(host.ptr, '@', host.len);
    if (at) host = tn_str_make(at + 1, host.len - (size_t)(at + 1 - host.ptr));
    tn_buf_init(&protos, tn__loop_alloc(ws->h.loop));
    if (tn_buf_append(b, "GET ", 4) != 0 ||
        tn_buf_append(b, u->path.len ? u->path.ptr : "/", u->path.len ? u->path.len : 1) != 0 ||
        (u->query.len && (tn_buf_append(b, "?", 1) != 0 || tn_buf_append(b, u->query.ptr, u->query.len) != 0)) ||
        tn_buf_append(b, " HTTP/1.1\r\n", 11) != 0)
        return TN_ENOMEM;
    if ((rc = tn__ws_put_header(b, tn_str_c("Host"), host)) != TN_OK ||
        (rc = tn__ws_put_header(b, tn_str_c("Upgrade"), tn_str_c("websocket"))) != TN_OK ||
        (rc = tn__ws_put_header(b, tn_str_c("Connection"), tn_str_c("Upgrade"))) != TN_OK ||
        (rc = tn__ws_put_header(b, tn_str_c("Sec-WebSocket-Key"), tn_str_c(cl->key))) != TN_OK ||
        (rc = tn__ws_put_header(b, tn_str_c("Sec-WebSocket-Version"), tn_str_c("13"))) != TN_OK)
        return rc;
    for (i = 0; i < o->num_subprotocols; i++) {
        tn_str p = tn_str_c(o->subprotocols[i] ? o->subprotocols[i] : "");
        if (!tn_http_is_token(p)) rc = TN_EINVAL;
        else if ((i && tn_buf_append(&protos, ",", 1) != 0) || tn_buf_append(&protos, p.ptr, p.len) != 0) rc = TN_ENOMEM;
        if (rc != TN_OK) break;
    }
    if (rc == TN_OK && o->num_subprotocols) {
        if (tn_buf_append(&protos, "", 1) != 0) rc = TN_ENOMEM;   /* NUL */
        else if (!(cl->offered = tn__strdup(tn__loop_alloc(ws->h.loop), tn_buf_ptr(&protos)))) rc = TN_ENOMEM;
        else rc = tn__ws_put_header(b, tn_str_c("Sec-WebSocket-Protocol"), tn_str_c(cl->offered));
    }
    tn_buf_free(&protos);
    for (i = 0; rc == TN_OK && i < o->num_headers; i++) rc = tn__ws_put_header(b, o->headers[i].name, o->headers[i].value);
    if (rc == TN_OK && tn_buf_append(b, "\r\n", 2) != 0) rc = TN_ENOMEM;
    return rc;
}

TN_API int tn_ws_connect(tn_loop *loop, const char *url, const tn_ws_opts *opts, const tn_ws_handler *h,
                         tn_ws_connect_cb cb, void *user, tn_ws **out) {
    tn_ws_opts o;
    tn_url u;
    tn_allocator *a;
    tn__ws_client *cl;
    tn_connect_opts co;
    tn_ws *ws;
    uint64_t timeout;
    int rc, port, tls;
    if (out) *out = NULL;
    if (!loop || !url || !h || !cb) return TN_EINVAL;
    a = tn__loop_alloc(loop);
    memset(&o, 0, sizeof o);
    if (opts) o = *opts;
    if (tn_url_parse(tn_str_c(url), &u) != TN_OK || !(u.flags & TN_URL_HAS_AUTHORITY) || u.host.len == 0 ||
        u.fragment.len)
        return TN_EINVAL;
    tls = tn_str_ieq(u.scheme, tn_str_c("wss"));
    if (tls && !TN_HAS_OPENSSL) {
        TN__LLOG(loop, TN_LOG_ERROR, TN_ENOTSUP, "ws: wss:// needs TLS, which is not built in (TORNADO_WITH_OPENSSL)");
        return TN_ENOTSUP;
    }
    if (!tls && !tn_str_ieq(u.scheme, tn_str_c("ws"))) return TN_EINVAL;
    port = u.port > 0 ? u.port : tls ? 443 : 80;
    ws = tn__ws_new(loop, &o, h, user, 1);
    if (!ws) return TN_ENOMEM;
    cl = ws->cl = (tn__ws_client *)tn__calloc(a, sizeof *cl);
    if (!cl) {
        tn__free(a, ws);
        return TN_ENOMEM;
    }
    tn_buf_init(&cl->req, a);
    cl->cb = cb;
    cl->res.headers = cl->hdrs;
    cl->res.max_headers = TORNADO_WS_MAX_RESPONSE_HEADERS;
    cl->res.request_method = tn_str_c("GET");
    rc = tn_ws_client_key(cl->key);
    if (rc >= 0) rc = tn__ws_build_request(ws, &u, &o);
    if (rc >= 0 && !(cl->host = tn__strndup(a, u.host.ptr, u.host.len))) rc = TN_ENOMEM;
#if TN_HAS_OPENSSL
    if (rc >= 0 && tls) {   /* opts.tls, else a verifying client as the HTTP client's default */
        tn_tls_opts to;
        memset(&to, 0, sizeof to);
        to.alpn = "http/1.1";
        if (o.tls) tn__tls_ctx_ref(cl->tls = o.tls);
        else if ((rc = tn_tls_ctx_new(loop, &to, &cl->tls)) != TN_OK)
            TN__LLOG(loop, TN_LOG_ERROR, rc, "ws: the TLS client context could not be made");
    }
#endif
    timeout = TN__DEF(o.connect_timeout_ms, (uint64_t)TORNADO_CONNECT_TIMEOUT_MS);
    co = o.connect;
    co.timeout_ms = timeout;
    if (rc >= 0) rc = tn_tcp_connect(loop, cl->host, port, &co, tn__ws_on_connected, ws, &cl->conn);
    if (rc >= 0 && tn_loop_call_later(loop, timeout, tn__ws_on_hs_timer, ws, &cl->timer) != TN_OK) {
        tn_tcp_connect_cancel(cl->conn);   /* its callback finds us failed */
        cl->cb = NULL;
        rc = TN_ENOMEM;
    }
    if (rc < 0 && cl->conn) {
        /* the connector still calls back: let it find a dead handshake */
        tn__handle_init(loop, &ws->h, &tn__ws_type);
        ws->state = TN__WS_CONNECTING;
        return rc;
    }
    if (rc < 0) {
        tn__ws_client_free(ws);
        tn__free(a, ws);
        return rc;
    }
    tn__handle_init(loop, &ws->h, &tn__ws_type);
    ws->state = TN__WS_CONNECTING;
    if (out) *out = ws;
    return TN_OK;
}

/* ---- accessors ---- */

TN_API size_t tn_ws_buffered_amount(const tn_ws *ws) {
    return ws && ws->s ? tn_stream_write_buffer_size(ws->s) : 0;
}
TN_API const char *tn_ws_subprotocol(const tn_ws *ws) { return ws && ws->subprotocol ? ws->subprotocol : ""; }
TN_API int tn_ws_closing(const tn_ws *ws) {
    return !ws || ws->state == TN__WS_GONE || ws->tx_closed || ws->rx_closed || !ws->s || tn_stream_closed(ws->s);
}
TN_API tn_stream *tn_ws_stream(const tn_ws *ws) { return ws && ws->state == TN__WS_OPEN ? ws->s : NULL; }
TN_API tn_loop *tn_ws_loop(const tn_ws *ws) { return ws->h.loop; }
TN_API void tn_ws_set_user(tn_ws *ws, void *user) { ws->user = user; }
TN_API void *tn_ws_get_user(const tn_ws *ws) { return ws->user; }
TN_API void tn_ws_get_opts(const tn_ws *ws, tn_ws_opts *out) {
    memset(out, 0, sizeof *out);
    out->max_message_size = ws->max_msg;
    out->max_write_buffer_size = ws->max_wbuf;
    out->ping_interval_ms = ws->ping_interval;
    out->ping_timeout_ms = ws->ping_timeout;
    out->close_timeout_ms = ws->close_timeout;
}

#endif /* TN_HAS_WEBSOCKET */
/* <<ws_conn.c  end of src/ws_conn.c */

/* ======================================================================== */
/* >>router.c  (src/router.c)                                               */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/router.c"
#endif
/* router.c: web router: patterns compiled into segments, a literal-segment trie, first match wins. */
/* #include "router.h" (inlined above) */
/* #include "internal.h" (inlined above) */
/* #include "http_parse.h" (inlined above) */

#if TN_HAS_WEB

/* How it works. tn_router_add compiles a pattern into segments (a literal, a capture with a
   literal prefix/suffix, or a rest capture) and files the route in a trie keyed by its
   leading literal segments (at most TN__RT_TRIE_DEPTH of them). tn_router_match walks the
   trie along the path's segments; the candidates are the routes filed at the nodes on that
   walk, and each node's list is in adding order, so merging the lists by route index visits
   candidates in adding order: the first one that matches (pattern, then method) wins. A
   candidate is checked from the segment where its trie prefix ends, one pass over the rest
   of the path. Routes whose first segment is not a literal sit at the root and are
   candidates for every path. */

#define TN__RT_TRIE_DEPTH 16
#define TN__RT_MAX_ROUTES 0x7fffffffu

enum { TN__RT_LIT = 0, TN__RT_CAP = 1, TN__RT_REST = 2 };

/* Standard methods: bit i is tn__rt_std[i]; TN__RT_ANY marks a "*" route. */
#define TN__RT_NSTD 9
#define TN__RT_STD_ALL 0x1ffu
#define TN__RT_GET 0x1u
#define TN__RT_HEAD 0x2u
#define TN__RT_ANY 0x80000000u
static const char *const tn__rt_std[TN__RT_NSTD] = {"GET",   "HEAD",    "POST",  "PUT",    "DELETE",
                                                    "PATCH", "OPTIONS", "TRACE", "CONNECT"};

/* One compiled segment; offsets index the route's pattern text. */
typedef struct tn__rt_seg {
    uint32_t pre, pre_len;     /* LIT: the whole segment; CAP: the literal before the capture */
    uint32_t suf, suf_len;     /* CAP: the literal after the capture */
    uint32_t name, name_len;   /* CAP/REST: the capture name (may be empty for REST) */
    uint32_t kind;             /* TN__RT_LIT, TN__RT_CAP, TN__RT_REST */
} tn__rt_seg;

typedef struct tn__rt_route {
    void *mem;            /* one owned block: custom[], segs[], pattern text, method text */
    tn_str *custom;       /* methods outside the standard nine (slices of the method text) */
    tn__rt_seg *segs;
    const char *pattern;  /* NUL-terminated copy */
    void *handler;
    void *user;
    uint32_t pattern_len;
    uint32_t nsegs;
    uint32_t ncaps;
    uint32_t ncustom;
    uint32_t depth;       /* leading literal segments matched by the trie */
    uint32_t mask;        /* standard method bits | TN__RT_ANY */
    int opt_slash;        /* pattern ended in "/?" */
} tn__rt_route;

typedef struct tn__rt_node {
    const char *key;      /* segment bytes (a slice of the text of the route that made it) */
    size_t key_len;
    uint32_t *kids;       /* child node indices, sorted by key */
    size_t nkids, kids_cap;
    uint32_t *routes;     /* routes filed here, ascending */
    size_t nroutes, routes_cap;
} tn__rt_node;

struct tn_router {
    tn_allocator a;
    tn__rt_route *routes;
    size_t nroutes, routes_cap;
    tn__rt_node *nodes;   /* nodes[0] is the root */
    size_t nnodes, nodes_cap;
    void *nf_handler;
    void *nf_user;
    char err[200];
};

/* ---- character classes ---- */

/* RFC 3986 pchar minus '%' (checked apart) and '*' (reserved for the catch-all). */
TN__PRIVATE int tn__rt_litchar(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("-._~!$&'()+,;=:@", c) != NULL);
}

TN__PRIVATE int tn__rt_namechar(unsigned char c, int first) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

/* The standard-method bit of a method, or 0 for any other. */
TN__PRIVATE uint32_t tn__rt_method_bit(const char *p, size_t n) {
    switch (n) {
    case 3:
        if (memcmp(p, "GET", 3) == 0) return 1u << 0;
        if (memcmp(p, "PUT", 3) == 0) return 1u << 3;
        return 0;
    case 4:
        if (memcmp(p, "HEAD", 4) == 0) return 1u << 1;
        if (memcmp(p, "POST", 4) == 0) return 1u << 2;
        return 0;
    case 5:
        if (memcmp(p, "PATCH", 5) == 0) return 1u << 5;
        if (memcmp(p, "TRACE", 5) == 0) return 1u << 7;
        return 0;
    case 6: return memcmp(p, "DELETE", 6) == 0 ? 1u << 4 : 0;
    case 7:
        if (memcmp(p, "OPTIONS", 7) == 0) return 1u << 6;
        if (memcmp(p, "CONNECT", 7) == 0) return 1u << 8;
        return 0;
    default: return 0;
    }
}

/* ---- errors from tn_router_add ---- */

TN__PRIVATE int tn__rt_fail(tn_router *r, int code, const char *what, const char *text, size_t off,
                            const char *why) {
    if (off == (size_t)-1)
        snprintf(r->err, sizeof r->err, "%s \"%.80s\": %s", what, text, why);
    else
        snprintf(r->err, sizeof r->err, "%s \"%.80s\" at byte %lu: %s", what, text, (unsigned long)off, why);
    return code;
}

/* ---- parsing (run twice: once to validate and count with segs NULL, once to fill) ---- */

/* Parse a method list into a mask and (when custom is not NULL) custom slices of text.
   Returns: TN_OK with *mask and *ncustom; TN_EINVAL. */
TN__PRIVATE int tn__rt_parse_methods(tn_router *r, const char *text, size_t n, uint32_t *mask,
                                     tn_str *custom, uint32_t *ncustom) {
    size_t i = 0;
    *mask = 0;
    *ncustom = 0;
    if (n == 1 && text[0] == '*') {
        *mask = TN__RT_ANY;
        return TN_OK;
    }
    for (;;) {
        size_t s, e;
        uint32_t bit;
        while (i < n && (text[i] == ' ' || text[i] == '\t')) i++;
        s = i;
        while (i < n && text[i] != ',' && text[i] != ' ' && text[i] != '\t') {
            if (!tn__http_is_tchar((unsigned char)text[i]))
                return tn__rt_fail(r, TN_EINVAL, "methods", text, i, "not a token character");
            i++;
        }
        e = i;
        while (i < n && (text[i] == ' ' || text[i] == '\t')) i++;
        if (e == s) return tn__rt_fail(r, TN_EINVAL, "methods", text, s, "empty method");
        if (e - s == 1 && text[s] == '*')
            return tn__rt_fail(r, TN_EINVAL, "methods", text, s, "\"*\" must stand alone");
        if (i < n && text[i] != ',') return tn__rt_fail(r, TN_EINVAL, "methods", text, i, "expected ','");
        bit = tn__rt_method_bit(text + s, e - s);
        if (bit) {
            *mask |= bit;
        } else {
            if (custom) custom[*ncustom] = tn_str_make(text + s, e - s);
            (*ncustom)++;
        }
        if (i >= n) break;
        i++;   /* ',' */
    }
    return TN_OK;
}

/* Parse a pattern (n bytes, a trailing "/?" already removed) into segments.
   Returns: TN_OK with *nsegs and *ncaps; TN_EINVAL; TN_ELIMIT. */
TN__PRIVATE int tn__rt_parse_pattern(tn_router *r, const char *pat, size_t n, tn__rt_seg *segs,
                                     uint32_t *nsegs, uint32_t *ncaps) {
    uint32_t names[TORNADO_MAX_ROUTE_CAPTURES + 1][2];
    size_t i = 1;
    *nsegs = 0;
    *ncaps = 0;
    if (n == 0 || pat[0] != '/') return tn__rt_fail(r, TN_EINVAL, "pattern", pat, 0, "must start with '/'");
    for (;;) {
        size_t s = i, e = i, lit_end;
        tn__rt_seg sg;
        while (e < n && pat[e] != '/') e++;
        memset(&sg, 0, sizeof sg);
        sg.kind = TN__RT_LIT;
        sg.pre = (uint32_t)s;
        if (e == s && e < n) return tn__rt_fail(r, TN_EINVAL, "pattern", pat, s, "empty segment (\"//\")");
        if (e - s == 1 && pat[s] == '*') {
            sg.kind = TN__RT_REST;
            sg.name = (uint32_t)s;
            sg.name_len = 0;
            if (e < n) return tn__rt_fail(r, TN_EINVAL, "pattern", pat, s, "'*' must be the last segment");
        } else {
            /* ":name" starting a segment is how Express, Sinatra and Rails spell a capture;
               here it would be a literal that only the path "/users/:id" matches: a route
               that silently never fires. ':' is a legal pchar (RFC 3986
               §3.3), and Tornado's regex routes treat it as a literal too, so only this
               shape is refused: ':' first in a segment and a name start after it. ':'
               elsewhere ("/v1/{name}:cancel", "/a:b") and before anything else (":8080",
               "::", ":{x}") stays literal. A real path segment like ":id" can still be
               routed with a capture ("/{seg}") that the handler checks. */
            if (e - s >= 2 && pat[s] == ':' && tn__rt_namechar((unsigned char)pat[s + 1], 1)) {
                char why[78];   /* with the rest of the message, fits r->err */
                size_t k = s + 1;
                int nl;
                while (k < e && tn__rt_namechar((unsigned char)pat[k], 0)) k++;
                nl = (int)TN__MIN(k - s - 1, 20);
                snprintf(why, sizeof why, "\":%.*s\" is not a capture here: write {%.*s}", nl, pat + s + 1, nl,
                         pat + s + 1);
                return tn__rt_fail(r, TN_EINVAL, "pattern", pat, s, why);
            }
            /* literal bytes up to '{' or the segment end */
            for (i = s; i < e && pat[i] != '{'; i++) {
                unsigned char c = (unsigned char)pat[i];
                if (c == '%') {
                    if (i + 2 >= e || tn__hexval((unsigned char)pat[i + 1]) < 0 || tn__hexval((unsigned char)pat[i + 2]) < 0)
                        return tn__rt_fail(r, TN_EINVAL, "pattern", pat, i, "'%' must be followed by two hex digits");
                    i += 2;
                } else if (c == '}') {
                    return tn__rt_fail(r, TN_EINVAL, "pattern", pat, i, "'}' without '{'");
                } else if (c == '*') {
                    return tn__rt_fail(r, TN_EINVAL, "pattern", pat, i, "'*' is only allowed as a whole last segment");
                } else if (c == '?') {
                    return tn__rt_fail(r, TN_EINVAL, "pattern", pat, i, "'?' is only allowed in a trailing \"/?\"");
                } else if (!tn__rt_litchar(c)) {
                    return tn__rt_fail(r, TN_EINVAL, "pattern", pat, i, "byte not allowed in a path pattern");
                }
            }
            lit_end = i;
            sg.pre_len = (uint32_t)(lit_end - s);
            if (i < e) {   /* a capture */
                size_t ns = i + 1, ne, k;
                int rest = 0;
                for (ne = ns; ne < e && pat[ne] != '}'; ne++) {}
                if (ne >= e) return tn__rt_fail(r, TN_EINVAL, "pattern", pat, i, "'{' is not closed");
                if (ne > ns && pat[ne - 1] == '*') rest = 1;
                for (k = ns; k < ne - (size_t)rest; k++)
                    if (!tn__rt_namechar((unsigned char)pat[k], k == ns))
                        return tn__rt_fail(r, TN_EINVAL, "pattern", pat, k,
                                           pat[k] == '{' ? "'{' inside a capture" : "bad capture name character");
                if (!rest && ne == ns) return tn__rt_fail(r, TN_EINVAL, "pattern", pat, i, "empty capture name");
                sg.name = (uint32_t)ns;
                sg.name_len = (uint32_t)(ne - ns - (size_t)rest);
                if (rest) {
                    if (lit_end != s || ne + 1 != e)
                        return tn__rt_fail(r, TN_EINVAL, "pattern", pat, i, "a rest capture {x*} must be a whole segment");
                    if (e < n)
                        return tn__rt_fail(r, TN_EINVAL, "pattern", pat, i, "a rest capture {x*} must be the last segment");
                    sg.kind = TN__RT_REST;
                    sg.pre_len = 0;
                } else {
                    sg.kind = TN__RT_CAP;
                    sg.suf = (uint32_t)(ne + 1);
                    for (k = ne + 1; k < e; k++) {
                        unsigned char c = (unsigned char)pat[k];
                        if (c == '{') return tn__rt_fail(r, TN_EINVAL, "pattern", pat, k, "two captures in one segment");
                        if (c == '%') {
                            if (k + 2 >= e || tn__hexval((unsigned char)pat[k + 1]) < 0 ||
                                tn__hexval((unsigned char)pat[k + 2]) < 0)
                                return tn__rt_fail(r, TN_EINVAL, "pattern", pat, k,
                                                   "'%' must be followed by two hex digits");
                            k += 2;
                        } else if (c == '}') {
                            return tn__rt_fail(r, TN_EINVAL, "pattern", pat, k, "'}' without '{'");
                        } else if (c == '*') {
                            return tn__rt_fail(r, TN_EINVAL, "pattern", pat, k,
                                               "'*' is only allowed as a whole last segment");
                        } else if (c == '?') {
                            return tn__rt_fail(r, TN_EINVAL, "pattern", pat, k,
                                               "'?' is only allowed in a trailing \"/?\"");
                        } else if (!tn__rt_litchar(c)) {
                            return tn__rt_fail(r, TN_EINVAL, "pattern", pat, k, "byte not allowed in a path pattern");
                        }
                    }
                    sg.suf_len = (uint32_t)(e - ne - 1);
                }
            }
        }
        if (sg.kind != TN__RT_LIT) {
            uint32_t c;
            if (*ncaps >= TORNADO_MAX_ROUTE_CAPTURES)
                return tn__rt_fail(r, TN_ELIMIT, "pattern", pat, (size_t)-1,
                                   "more captures than TORNADO_MAX_ROUTE_CAPTURES");
            if (sg.name_len) {
                for (c = 0; c < *ncaps; c++)
                    if (names[c][1] == sg.name_len && memcmp(pat + names[c][0], pat + sg.name, sg.name_len) == 0)
                        return tn__rt_fail(r, TN_EINVAL, "pattern", pat, sg.name, "duplicate capture name");
            }
            names[*ncaps][0] = sg.name;
            names[*ncaps][1] = sg.name_len;
            (*ncaps)++;
        }
        if (segs) segs[*nsegs] = sg;
        (*nsegs)++;
        if (e >= n) break;
        i = e + 1;
    }
    return TN_OK;
}

/* ---- trie ---- */

TN__PRIVATE int tn__rt_keycmp(const char *a, size_t an, const char *b, size_t bn) {
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c) return c;
    return an < bn ? -1 : an > bn ? 1 : 0;
}

/* Index in node's kids of the child with this key, or of where it would go (*found 0). */
TN__PRIVATE size_t tn__rt_kid_find(const tn_router *r, const tn__rt_node *nd, const char *k, size_t kn, int *found) {
    size_t lo = 0, hi = nd->nkids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const tn__rt_node *c = &r->nodes[nd->kids[mid]];
        int cmp = tn__rt_keycmp(c->key, c->key_len, k, kn);
        if (cmp == 0) {
            *found = 1;
            return mid;
        }
        if (cmp < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = 0;
    return lo;
}

TN__PRIVATE int tn__rt_grow(const tn_allocator *a, void *arrp, size_t *cap, size_t need, size_t elem) {
    void *p;
    int rc;
    memcpy(&p, arrp, sizeof p);
    rc = tn__grow(a, &p, cap, need, elem);
    memcpy(arrp, &p, sizeof p);
    return rc;
}

/* Undo the nodes created since first_new (a chain hanging from one existing parent). */
TN__PRIVATE void tn__rt_trie_rollback(tn_router *r, uint32_t parent, size_t kid_slot, size_t first_new) {
    size_t i;
    if (r->nnodes <= first_new) return;
    {
        tn__rt_node *p = &r->nodes[parent];
        memmove(p->kids + kid_slot, p->kids + kid_slot + 1, (p->nkids - kid_slot - 1) * sizeof(uint32_t));
        p->nkids--;
    }
    for (i = first_new; i < r->nnodes; i++) {
        tn__free(&r->a, r->nodes[i].kids);
        tn__free(&r->a, r->nodes[i].routes);
    }
    r->nnodes = first_new;
}

/* File route index ri (whose first depth segments are literals) in the trie. */
TN__PRIVATE int tn__rt_trie_insert(tn_router *r, const tn__rt_route *rt, uint32_t ri) {
    uint32_t node = 0, d, parent = 0;
    size_t first_new = r->nnodes, slot = 0;
    int created = 0;
    tn__rt_node *nd;
    for (d = 0; d < rt->depth; d++) {
        const tn__rt_seg *sg = &rt->segs[d];
        const char *k = rt->pattern + sg->pre;
        int found;
        size_t at = tn__rt_kid_find(r, &r->nodes[node], k, sg->pre_len, &found);
        if (!found) {
            tn__rt_node *nn;
            if (tn__rt_grow(&r->a, &r->nodes, &r->nodes_cap, r->nnodes + 1, sizeof(tn__rt_node)) != 0 ||
                tn__rt_grow(&r->a, &r->nodes[node].kids, &r->nodes[node].kids_cap, r->nodes[node].nkids + 1,
                            sizeof(uint32_t)) != 0) {
                if (created) tn__rt_trie_rollback(r, parent, slot, first_new);
                return TN_ENOMEM;
            }
            nd = &r->nodes[node];
            memmove(nd->kids + at + 1, nd->kids + at, (nd->nkids - at) * sizeof(uint32_t));
            nd->kids[at] = (uint32_t)r->nnodes;
            nd->nkids++;
            if (!created) {
                created = 1;
                parent = node;
                slot = at;
            }
            nn = &r->nodes[r->nnodes];
            memset(nn, 0, sizeof *nn);
            nn->key = k;
            nn->key_len = sg->pre_len;
            node = (uint32_t)r->nnodes++;
        } else {
            node = r->nodes[node].kids[at];
        }
    }
    nd = &r->nodes[node];
    if (tn__rt_grow(&r->a, &nd->routes, &nd->routes_cap, nd->nroutes + 1, sizeof(uint32_t)) != 0) {
        if (created) tn__rt_trie_rollback(r, parent, slot, first_new);
        return TN_ENOMEM;
    }
    nd->routes[nd->nroutes++] = ri;
    return TN_OK;
}

/* ---- candidates: the routes filed along the path's trie walk, in adding order ---- */

typedef struct tn__rt_iter {
    const tn_router *r;
    size_t n;                                   /* lists */
    const tn__rt_node *node[TN__RT_TRIE_DEPTH + 1];
    size_t pos[TN__RT_TRIE_DEPTH + 1];          /* path offset after the node's segments */
    size_t cur[TN__RT_TRIE_DEPTH + 1];          /* next entry of each list */
} tn__rt_iter;

TN__PRIVATE void tn__rt_iter_init(tn__rt_iter *it, const tn_router *r, const char *p, size_t len) {
    const tn__rt_node *nd = &r->nodes[0];
    size_t pos = 0, d = 0;
    it->r = r;
    it->n = 0;
    for (;;) {
        const char *s, *e;
        size_t at;
        int found;
        if (nd->nroutes) {
            it->node[it->n] = nd;
            it->pos[it->n] = pos;
            it->cur[it->n] = 0;
            it->n++;
        }
        if (d >= TN__RT_TRIE_DEPTH || pos >= len || nd->nkids == 0) break;
        s = p + pos + 1;   /* p[pos] is '/' */
        e = (const char *)memchr(s, '/', len - pos - 1);
        if (!e) e = p + len;
        at = tn__rt_kid_find(r, nd, s, (size_t)(e - s), &found);
        if (!found) break;
        nd = &r->nodes[nd->kids[at]];
        pos = (size_t)(e - p);
        d++;
    }
}

/* Next candidate in adding order. Returns: 1 with *ri and *pos, or 0 when done. */
TN__PRIVATE int tn__rt_iter_next(tn__rt_iter *it, uint32_t *ri, size_t *pos) {
    size_t i, best = (size_t)-1;
    uint32_t bv = 0;
    for (i = 0; i < it->n; i++) {
        if (it->cur[i] < it->node[i]->nroutes) {
            uint32_t v = it->node[i]->routes[it->cur[i]];
            if (best == (size_t)-1 || v < bv) {
                best = i;
                bv = v;
            }
        }
    }
    if (best == (size_t)-1) return 0;
    it->cur[best]++;
    *ri = bv;
    *pos = it->pos[best];
    return 1;
}

/* Match the route's segments after its trie prefix against p from pos (at a '/' or the
   end). Captures go to caps while they fit; *ncaps counts them all. Returns 1 or 0. */
TN__PRIVATE int tn__rt_match_from(const tn__rt_route *rt, const char *p, size_t len, size_t pos,
                                  tn_route_capture *caps, size_t max, size_t *ncaps) {
    uint32_t i;
    size_t nc = 0;
    const char *pat = rt->pattern;
    for (i = rt->depth; i < rt->nsegs; i++) {
        const tn__rt_seg *sg = &rt->segs[i];
        size_t s, e, sl;
        const char *q;
        if (pos >= len) return 0;
        s = pos + 1;
        if (sg->kind == TN__RT_REST) {
            if (nc < max) {
                caps[nc].name = tn_str_make(pat + sg->name, sg->name_len);
                caps[nc].value = tn_str_make(p + s, len - s);
            }
            *ncaps = nc + 1;
            return 1;
        }
        q = (const char *)memchr(p + s, '/', len - s);
        e = q ? (size_t)(q - p) : len;
        sl = e - s;
        if (sg->kind == TN__RT_LIT) {
            if (sl != sg->pre_len || memcmp(p + s, pat + sg->pre, sl) != 0) return 0;
        } else {
            if (sl <= (size_t)sg->pre_len + sg->suf_len || memcmp(p + s, pat + sg->pre, sg->pre_len) != 0 ||
                memcmp(p + e - sg->suf_len, pat + sg->suf, sg->suf_len) != 0)
                return 0;
            if (nc < max) {
                caps[nc].name = tn_str_make(pat + sg->name, sg->name_len);
                caps[nc].value = tn_str_make(p + s + sg->pre_len, sl - sg->pre_len - sg->suf_len);
            }
            nc++;
        }
        pos = e;
    }
    if (pos != len && !(rt->opt_slash && pos + 1 == len)) return 0;
    *ncaps = nc;
    return 1;
}

TN__PRIVATE int tn__rt_method_ok(const tn__rt_route *rt, uint32_t bit, tn_str method) {
    uint32_t i;
    if (rt->mask & TN__RT_ANY) return 1;
    if (bit) return (rt->mask & bit) != 0;
    for (i = 0; i < rt->ncustom; i++)
        if (tn_str_eq(rt->custom[i], method)) return 1;
    return 0;
}

TN__PRIVATE int tn__rt_check_path(tn_str path) {
    if (path.len == 0 || !path.ptr || path.ptr[0] != '/' || memchr(path.ptr, 0, path.len) != NULL) return TN_EINVAL;
    return TN_OK;
}

/* ---- public ---- */

TN_API int tn_router_new(const tn_allocator *alloc, tn_router **out) {
    tn_allocator a;
    tn_router *r;
    int rc = tn__allocator_resolve(alloc, &a);
    *out = NULL;
    if (rc != 0) return rc;
    r = (tn_router *)tn__calloc(&a, sizeof *r);
    if (!r) return TN_ENOMEM;
    r->a = a;
    r->nodes = (tn__rt_node *)tn__calloc(&a, sizeof(tn__rt_node));
    if (!r->nodes) {
        tn__free(&a, r);
        return TN_ENOMEM;
    }
    r->nnodes = 1;
    r->nodes_cap = 1;
    *out = r;
    return TN_OK;
}

TN_API void tn_router_free(tn_router *r) {
    size_t i;
    tn_allocator a;
    if (!r) return;
    a = r->a;
    for (i = 0; i < r->nroutes; i++) tn__free(&a, r->routes[i].mem);
    for (i = 0; i < r->nnodes; i++) {
        tn__free(&a, r->nodes[i].kids);
        tn__free(&a, r->nodes[i].routes);
    }
    tn__free(&a, r->routes);
    tn__free(&a, r->nodes);
    tn__free(&a, r);
}

TN_API int tn_router_add(tn_router *r, const char *methods, const char *pattern, void *handler, void *user) {
    size_t plen, mlen, base_len, size, off_segs, off_text;
    uint32_t mask, ncustom, nsegs, ncaps, d;
    int opt = 0, rc;
    tn__rt_route rt;
    char *mem, *text;
    r->err[0] = 0;
    if (!pattern) return tn__rt_fail(r, TN_EINVAL, "pattern", "(null)", (size_t)-1, "missing");
    if (!methods) methods = "*";
    plen = strlen(pattern);
    mlen = strlen(methods);
    if (plen > 0xffffff) return tn__rt_fail(r, TN_EINVAL, "pattern", pattern, (size_t)-1, "too long");
    if (mlen > 0xffffff) return tn__rt_fail(r, TN_EINVAL, "methods", methods, (size_t)-1, "too long");
    if (r->nroutes >= TN__RT_MAX_ROUTES) return tn__rt_fail(r, TN_ELIMIT, "pattern", pattern, (size_t)-1, "too many routes");
    rc = tn__rt_parse_methods(r, methods, mlen, &mask, NULL, &ncustom);
    if (rc != 0) return rc;
    base_len = plen;
    if (plen >= 2 && pattern[plen - 1] == '?' && pattern[plen - 2] == '/') {
        opt = 1;
        base_len = plen - 2;
        if (base_len == 0 || pattern[base_len - 1] == '/')
            return tn__rt_fail(r, TN_EINVAL, "pattern", pattern, plen - 2, "\"/?\" must follow a non-empty segment");
    }
    rc = tn__rt_parse_pattern(r, pattern, base_len, NULL, &nsegs, &ncaps);
    if (rc != 0) return rc;   /* the message quotes the whole pattern; offsets agree */
    if (opt) {
        size_t k = base_len;
        while (k > 0 && pattern[k - 1] != '/') k--;
        if (pattern[base_len - 1] == '*' || (pattern[base_len - 1] == '}' && pattern[base_len - 2] == '*'))
            return tn__rt_fail(r, TN_EINVAL, "pattern", pattern, k, "\"/?\" cannot follow a rest capture");
    }
    /* one block: custom[ncustom] | segs[nsegs] | pattern NUL | methods NUL */
    off_segs = ncustom * sizeof(tn_str);
    off_text = off_segs + nsegs * sizeof(tn__rt_seg);
    size = off_text + plen + 1 + mlen + 1;
    mem = (char *)tn__alloc(&r->a, size);
    if (!mem) return TN_ENOMEM;
    text = mem + off_text;
    memcpy(text, pattern, plen + 1);
    memcpy(text + plen + 1, methods, mlen + 1);
    memset(&rt, 0, sizeof rt);
    rt.mem = mem;
    rt.custom = (tn_str *)(void *)mem;
    rt.segs = (tn__rt_seg *)(void *)(mem + off_segs);
    rt.pattern = text;
    rt.pattern_len = (uint32_t)plen;
    rt.handler = handler;
    rt.user = user;
    rt.opt_slash = opt;
    (void)tn__rt_parse_methods(r, text + plen + 1, mlen, &rt.mask, rt.custom, &rt.ncustom);
    (void)tn__rt_parse_pattern(r, text, base_len, rt.segs, &rt.nsegs, &rt.ncaps);
    for (d = 0; d < rt.nsegs && d < TN__RT_TRIE_DEPTH && rt.segs[d].kind == TN__RT_LIT; d++) {}
    rt.depth = d;
    if (tn__rt_grow(&r->a, &r->routes, &r->routes_cap, r->nroutes + 1, sizeof(tn__rt_route)) != 0) {
        tn__free(&r->a, mem);
        return TN_ENOMEM;
    }
    rc = tn__rt_trie_insert(r, &rt, (uint32_t)r->nroutes);
    if (rc != 0) {
        tn__free(&r->a, mem);
        return rc;
    }
    r->routes[r->nroutes++] = rt;
    return TN_OK;
}

TN_API const char *tn_router_last_error(const tn_router *r) { return r->err; }

TN_API void tn_router_set_not_found(tn_router *r, void *handler, void *user) {
    r->nf_handler = handler;
    r->nf_user = user;
}

TN_API size_t tn_router_count(const tn_router *r) { return r->nroutes; }

TN_API int tn_router_match(const tn_router *r, tn_str method, tn_str path, tn_route_match *m) {
    tn__rt_iter it;
    uint32_t ri, bit, fallback = 0;
    size_t pos, fb_pos = 0, nc = 0;
    int have_fb = 0, path_hit = 0;
    const tn__rt_route *rt;
    m->num_captures = 0;
    m->handler = NULL;
    m->user = NULL;
    m->route = -1;
    m->pattern = tn_str_make(NULL, 0);
    if (tn__rt_check_path(path) != 0 || method.len == 0 || !method.ptr) return TN_EINVAL;
    bit = tn__rt_method_bit(method.ptr, method.len);
    tn__rt_iter_init(&it, r, path.ptr, path.len);
    while (tn__rt_iter_next(&it, &ri, &pos)) {
        rt = &r->routes[ri];
        if (!tn__rt_match_from(rt, path.ptr, path.len, pos, m->captures, m->max_captures, &nc)) continue;
        path_hit = 1;
        if (tn__rt_method_ok(rt, bit, method)) goto found;
        if (bit == TN__RT_HEAD && !have_fb && (rt->mask & TN__RT_GET)) {
            have_fb = 1;
            fallback = ri;
            fb_pos = pos;
        }
    }
    if (have_fb) {
        ri = fallback;
        rt = &r->routes[ri];
        (void)tn__rt_match_from(rt, path.ptr, path.len, fb_pos, m->captures, m->max_captures, &nc);
        goto found;
    }
    if (path_hit) return TN_EMETHOD_NOT_ALLOWED;
    m->handler = r->nf_handler;
    m->user = r->nf_user;
    return TN_ENOENT;
found:
    m->handler = rt->handler;
    m->user = rt->user;
    m->route = (int)ri;
    m->pattern = tn_str_make(rt->pattern, rt->pattern_len);
    m->num_captures = nc;
    return nc > m->max_captures ? TN_EBUFFER_FULL : TN_OK;
}

TN_API int tn_route_match_get(const tn_route_match *m, const char *name, tn_str *value) {
    size_t i, n = m->num_captures < m->max_captures ? m->num_captures : m->max_captures;
    size_t nl = strlen(name);
    for (i = 0; i < n; i++) {
        if (m->captures[i].name.len == nl && memcmp(m->captures[i].name.ptr, name, nl) == 0) {
            if (value) *value = m->captures[i].value;
            return 1;
        }
    }
    return 0;
}

/* A bounded writer that keeps counting past the end, so callers learn the size. */
typedef struct tn__rt_wr {
    char *p;
    size_t cap, len;
} tn__rt_wr;

TN__PRIVATE void tn__rt_put(tn__rt_wr *w, const char *s, size_t n) {
    if (w->len > 0) {
        if (w->len + 2 <= w->cap) memcpy(w->p + w->len, ", ", 2);
        w->len += 2;
    }
    if (w->len + n <= w->cap && n) memcpy(w->p + w->len, s, n);
    w->len += n;
}

/* 1 when a route before ri matching the path (or ri itself before slot j) names method. */
TN__PRIVATE int tn__rt_custom_seen(const tn_router *r, tn_str path, uint32_t ri, uint32_t j, tn_str method) {
    tn__rt_iter it;
    uint32_t k, ci;
    size_t pos, nc;
    for (k = 0; k < j; k++)
        if (tn_str_eq(r->routes[ri].custom[k], method)) return 1;
    tn__rt_iter_init(&it, r, path.ptr, path.len);
    while (tn__rt_iter_next(&it, &ci, &pos) && ci < ri) {
        const tn__rt_route *rt = &r->routes[ci];
        if (rt->mask & TN__RT_ANY) continue;
        if (!tn__rt_match_from(rt, path.ptr, path.len, pos, NULL, 0, &nc)) continue;
        for (k = 0; k < rt->ncustom; k++)
            if (tn_str_eq(rt->custom[k], method)) return 1;
    }
    return 0;
}

TN_API int tn_router_allow(const tn_router *r, tn_str path, char *out, size_t cap, size_t *out_len) {
    tn__rt_iter it;
    tn__rt_wr w;
    uint32_t ri, mask = 0, i;
    size_t pos, nc;
    int hit = 0;
    w.p = out;
    w.cap = out ? cap : 0;
    w.len = 0;
    if (out_len) *out_len = 0;
    if (out && cap) out[0] = 0;
    if (tn__rt_check_path(path) != 0) return TN_EINVAL;
    tn__rt_iter_init(&it, r, path.ptr, path.len);
    while (tn__rt_iter_next(&it, &ri, &pos)) {
        const tn__rt_route *rt = &r->routes[ri];
        if (!tn__rt_match_from(rt, path.ptr, path.len, pos, NULL, 0, &nc)) continue;
        hit = 1;
        mask |= (rt->mask & TN__RT_ANY) ? TN__RT_STD_ALL : rt->mask;
    }
    if (!hit) return TN_ENOENT;
    if (mask & TN__RT_GET) mask |= TN__RT_HEAD;
    for (i = 0; i < TN__RT_NSTD; i++)
        if (mask & (1u << i)) tn__rt_put(&w, tn__rt_std[i], strlen(tn__rt_std[i]));
    tn__rt_iter_init(&it, r, path.ptr, path.len);
    while (tn__rt_iter_next(&it, &ri, &pos)) {
        const tn__rt_route *rt = &r->routes[ri];
        if (rt->ncustom == 0 || (rt->mask & TN__RT_ANY)) continue;
        if (!tn__rt_match_from(rt, path.ptr, path.len, pos, NULL, 0, &nc)) continue;
        for (i = 0; i < rt->ncustom; i++)
            if (!tn__rt_custom_seen(r, path, ri, i, rt->custom[i])) tn__rt_put(&w, rt->custom[i].ptr, rt->custom[i].len);
    }
    if (out_len) *out_len = w.len;
    if (w.len < w.cap) out[w.len] = 0;
    return w.len < w.cap ? TN_OK : TN_EBUFFER_FULL;
}

#endif /* TN_HAS_WEB */
/* <<router.c  end of src/router.c */

/* ======================================================================== */
/* >>static.c  (src/static.c)                                               */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/static.c"
#endif
/* static.c: static files: safe path resolution, conditional GET, ranges, streaming, sendfile. */
/* #include "static.h" (inlined above) */
/* #include "http_util.h" (inlined above) */
/* #include "crypto.h" (inlined above) */
/* #include "internal.h" (inlined above) */
/* #include "url.h" (inlined above) */

#if TN_HAS_WEB && TN_HAS_HTTP_SERVER

#define TN__ST_CHUNK 65536u        /* Tornado's static read chunk */
#define TN__ST_PATH_MAX 4096u      /* longest decoded relative path (longer: 404) */
#define TN__ST_ETAG_MAX 96u

/* ---- MIME types ---- */
typedef struct tn__st_mime { const char *ext; const char *type; } tn__st_mime;

static const tn__st_mime tn__st_mimes[] = {
    {"html", "text/html; charset=utf-8"}, {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"}, {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"}, {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"}, {"csv", "text/csv; charset=utf-8"},
    {"xml", "text/xml; charset=utf-8"}, {"json", "application/json"},
    {"map", "application/json"}, {"webmanifest", "application/manifest+json"},
    {"wasm", "application/wasm"}, {"pdf", "application/pdf"}, {"zip", "application/zip"},
    {"gz", "application/gzip"}, {"tgz", "application/gzip"}, {"bz2", "application/x-bzip2"},
    {"xz", "application/x-xz"}, {"tar", "application/x-tar"}, {"png", "image/png"},
    {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"gif", "image/gif"}, {"webp", "image/webp"},
    {"avif", "image/avif"}, {"svg", "image/svg+xml"}, {"ico", "image/vnd.microsoft.icon"},
    {"bmp", "image/bmp"}, {"woff", "font/woff"}, {"woff2", "font/woff2"}, {"ttf", "font/ttf"},
    {"otf", "font/otf"}, {"mp3", "audio/mpeg"}, {"ogg", "audio/ogg"}, {"wav", "audio/wav"},
    {"mp4", "video/mp4"}, {"webm", "video/webm"},
};

TN_API const char *tn_static_mime_type(tn_str path) {
    size_t i = path.len, k;
    tn_str ext;
    while (i > 0 && path.ptr[i - 1] != '.' && path.ptr[i - 1] != '/') i--;
    if (i == 0 || path.ptr[i - 1] != '.') return "application/octet-stream";
    ext = tn_str_make(path.ptr + i, path.len - i);
    for (k = 0; k < sizeof tn__st_mimes / sizeof tn__st_mimes[0]; k++)
        if (tn_str_ieq(ext, tn_str_c(tn__st_mimes[k].ext))) return tn__st_mimes[k].type;
    return "application/octet-stream";
}

/* ---- what is served: a file (fd) or memory, and its validators ---- */
typedef struct tn__st_entity {
    int fd;                        /* -1 for memory; owned: closed when done */
    const unsigned char *mem;
    uint64_t size;
    int64_t mtime;                 /* Unix seconds */
    int has_mtime;
    char etag[TN__ST_ETAG_MAX];    /* quoted */
    const char *ctype;
} tn__st_entity;

/* A transfer in progress: one piece in flight, the next sent from its completion. */
typedef struct tn__st_send {
    tn_request *req;
    tn_allocator *a;
    int fd;
    const unsigned char *mem;
    uint64_t off, left;
    int use_sendfile;
    char *buf;                     /* TN__ST_CHUNK bytes (file read path) */
    tn_request_cb prev_close;      /* the close callback set before ours (chained) */
    void *prev_close_user;
} tn__st_send;

TN__PRIVATE tn_allocator *tn__st_alloc(tn_request *req) { return tn__loop_alloc(tn_http_server_loop(tn_request_server(req))); }

TN__PRIVATE void tn__st_close_fd(int fd) {
#if TN_HAS_FILESYSTEM
    tn__fd_close(fd);
#else
    (void)fd;
#endif
}

TN__PRIVATE void tn__st_free(tn__st_send *st) {
    if (st->fd >= 0) tn__st_close_fd(st->fd);
    tn__free(st->a, st->buf);
    tn__free(st->a, st);
}

/* The connection went away mid-transfer (the server releases the request after this).
   A close callback the caller had set runs too. */
TN__PRIVATE void tn__st_on_close(tn_request *req, void *user) {
    tn__st_send *st = (tn__st_send *)user;
    tn_request_cb prev = st->prev_close;
    void *prev_user = st->prev_close_user;
    tn__st_free(st);
    if (prev) prev(req, prev_user);
}

TN__PRIVATE void tn__st_pump(tn__st_send *st);

TN__PRIVATE void tn__st_on_written(tn_request *req, int status, void *user) {
    (void)req;
    if (status != TN_OK) return;   /* closing: tn__st_on_close frees the transfer */
    tn__st_pump((tn__st_send *)user);
}

/* Send the next piece, or finish. Failures end the connection (the Content-Length sent
   cannot be honoured); the close callback then frees the transfer. */
TN__PRIVATE void tn__st_pump(tn__st_send *st) {
    tn_request *req = st->req;
    uint64_t n;
    int rc;
    if (st->left == 0) {
        tn_request_set_close_cb(req, st->prev_close, st->prev_close_user);
        (void)tn_response_finish(req);
        tn__st_free(st);
        return;
    }
    n = TN__MIN(st->left, (uint64_t)TN__ST_CHUNK);
    if (st->mem) {
        rc = tn_response_write(req, st->mem + st->off, (size_t)n, tn__st_on_written, st);
    } else {
#if TN_HAS_FILESYSTEM
        rc = TN_ENOTSUP;
        if (st->use_sendfile) {
            rc = tn__response_sendfile(req, st->fd, (int64_t)st->off, st->left, tn__st_on_written, st);
            if (rc == TN_OK) n = st->left;
            else if (rc == TN_ENOTSUP) st->use_sendfile = 0;
        }
        if (rc == TN_ENOTSUP) {
            ssize_t r;
            if (!st->buf && !(st->buf = (char *)tn__alloc(st->a, TN__ST_CHUNK))) {
                rc = TN_ENOMEM;
            } else {
                do r = pread(st->fd, st->buf, (size_t)n, (off_t)st->off); while (r < 0 && errno == EINTR);
                if (r > 0) {
                    n = (uint64_t)r;
                    rc = tn_response_write(req, st->buf, (size_t)n, tn__st_on_written, st);
                } else {
                    rc = TN_ESYS;   /* read error, or the file shrank under us */
                }
            }
        }
#else
        rc = TN_EINVAL;
#endif
    }
    if (rc == TN_ECLOSED) {
        tn__st_free(st);   /* the client is gone and the request released: no close callback follows */
        return;
    }
    if (rc != TN_OK) {
        /* finishing short of the Content-Length aborts the connection; tn__st_on_close then
           frees the transfer (the connection is still there) */
        (void)tn_response_finish(req);
        return;
    }
    st->off += n;
    st->left -= n;
}

/* ---- request helpers ---- */

/* Calls fn on every header field named name (case-insensitive); stops when fn returns 1. */
TN__PRIVATE int tn__st_each_header(tn_request *req, const char *name, int (*fn)(tn_str v, const char *arg),
                                   const char *arg, int *found) {
    size_t n, i;
    const tn_http_header *h = tn_request_headers(req, &n);
    *found = 0;
    for (i = 0; i < n; i++) {
        if (!tn_str_ieq(h[i].name, tn_str_c(name))) continue;
        *found = 1;
        if (fn(h[i].value, arg)) return 1;
    }
    return 0;
}

TN__PRIVATE tn_str tn__st_trim(tn_str s) {
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) s.ptr++, s.len--;
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t')) s.len--;
    return s;
}

/* If-None-Match value against our ETag (http_util's matcher: "*", or a weak match in the list). */
TN__PRIVATE int tn__st_inm_match(tn_str v, const char *etag) {
    return tn_http_etag_match(v, tn_str_c(etag), TN_ETAG_WEAK);
}

/* A "v" query argument with a value (Tornado's static_url versioning). */
TN__PRIVATE int tn__st_versioned(tn_request *req) {
    tn_query_iter it;
    tn_str k, v;
    tn_query_iter_init(&it, tn_request_query(req), 0);
    while (tn_query_next(&it, &k, &v) == 1)
        if (tn_str_eq_c(k, "v") && v.len > 0) return 1;
    return 0;
}

TN__PRIVATE int tn__st_error(tn_request *req, int status) {
    if (status == 405) (void)tn_response_set_header(req, "Allow", "GET, HEAD");
    return tn_respond_error(req, status, NULL);   /* the same page as the app's errors */
}

/* GET or HEAD (1 = HEAD); other methods get 405 from the caller. */
TN__PRIVATE int tn__st_method(tn_request *req, int *head) {
    tn_str m = tn_request_method(req);
    *head = tn_str_eq_c(m, "HEAD");
    return *head || tn_str_eq_c(m, "GET");
}

/* Percent-decode rel once and check it: no NUL, no backslash, not absolute, no ".."
   segment. Writes the normalised path ("a/b/c": no empty or "." segments, no leading or
   trailing '/') NUL-terminated to out; *want_dir says it ended with '/'. Returns 0, or
   403 / 404 for the caller to send. */
TN__PRIVATE int tn__st_clean(tn_str rel, char *out, size_t cap, size_t *out_len, int *want_dir) {
    size_t n = 0, i = 0, o = 0;
    if (rel.len >= cap) return 404;
    if (tn_url_unescape(rel, 0, out, cap - 1, &n) != TN_OK) return 404;
    if (memchr(out, 0, n) || memchr(out, '\\', n)) return 403;
    if (n > 0 && out[0] == '/') return 403;
    *want_dir = n > 0 && out[n - 1] == '/';
    while (i < n) {
        size_t j = i;
        while (j < n && out[j] != '/') j++;
        if (j - i == 2 && out[i] == '.' && out[i + 1] == '.') return 403;
        if (j > i && !(j - i == 1 && out[i] == '.')) {
            if (o > 0) out[o++] = '/';
            memmove(out + o, out + i, j - i);
            o += j - i;
        }
        i = j + 1;
    }
    out[o] = 0;
    *out_len = o;
    return 0;
}

/* ---- the response, common to files and assets ---- */

/* Headers, then 304 / 416 / 206 / 200, then the body (or just the head for HEAD).
   Takes ownership of e->fd. */
TN__PRIVATE int tn__st_send_entity(tn_request *req, const tn_static_opts *opts, tn__st_entity *e, int head) {
    char date[TN_HTTP_DATE_LEN + 1], val[96];
    tn_str hv;
    int found = 0, status = 200, rc, not_modified = 0;
    int64_t max_age = opts ? opts->max_age : 0;
    uint64_t first = 0, len = e->size;
    tn__st_send *st;

    /* validators and caching go on every answer, 304 included (as Tornado) */
    rc = tn_response_set_header(req, "ETag", e->etag);
    if (rc == TN_OK && e->has_mtime && tn_http_date_format(e->mtime, date) == TN_OK)
        rc = tn_response_set_header(req, "Last-Modified", date);
    if (!(opts && opts->no_versioned_cache) && tn__st_versioned(req)) max_age = TN_STATIC_VERSIONED_MAX_AGE;
    if (rc == TN_OK && max_age > 0) {
        snprintf(val, sizeof val, "max-age=%lld", (long long)max_age);
        rc = tn_response_set_header(req, "Cache-Control", val);
        if (rc == TN_OK && tn_http_date_format((int64_t)time(NULL) + max_age, date) == TN_OK)
            rc = tn_response_set_header(req, "Expires", date);
    }
    if (rc != TN_OK) goto fail;

    /* conditional GET: If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2) */
    if (tn__st_each_header(req, "If-None-Match", tn__st_inm_match, e->etag, &found)) {
        not_modified = 1;
    } else if (!found && e->has_mtime && tn_request_header(req, "If-Modified-Since", &hv) == TN_OK) {
        int64_t since;
        not_modified = tn_http_date_parse(hv, &since) == TN_OK && e->mtime <= since;
    }
    if (not_modified) {
        tn__st_close_fd(e->fd);
        return tn_respond(req, 304, NULL, NULL, 0);
    }

    if ((rc = tn_response_set_header(req, "Content-Type", e->ctype)) != TN_OK ||
        (rc = tn_response_set_header(req, "Accept-Ranges", "bytes")) != TN_OK)
        goto fail;

    /* one byte range → 206; several → the whole file; none satisfiable → 416 */
    if (tn_request_header(req, "Range", &hv) == TN_OK) {
        tn_range rg[TORNADO_MAX_RANGES];
        size_t count = 0;
        tn_str ir;
        int use = 1;
        if (tn_request_header(req, "If-Range", &ir) == TN_OK) {
            ir = tn__st_trim(ir);
            if (ir.len && (ir.ptr[0] == '"' || ir.ptr[0] == 'W')) {
                use = tn_str_eq(ir, tn_str_c(e->etag));   /* strong comparison */
            } else {
                int64_t t;
                use = e->has_mtime && tn_http_date_parse(ir, &t) == TN_OK && t == e->mtime;
            }
        }
        rc = use ? tn_range_parse(hv, e->size, rg, TORNADO_MAX_RANGES, &count) : TN_EPARSE;
        if (rc == TN_EBAD_RANGE) {
            tn__st_close_fd(e->fd);
            (void)tn_content_range_format(NULL, e->size, val, sizeof val, NULL);
            if ((rc = tn_response_set_header(req, "Content-Range", val)) != TN_OK) return rc;
            return tn_respond(req, 416, NULL, NULL, 0);
        }
        if (rc == TN_OK && count == 1 && !(rg[0].first == 0 && rg[0].last + 1 == e->size)) {
            status = 206;
            first = rg[0].first;
            len = rg[0].last - rg[0].first + 1;
            (void)tn_content_range_format(&rg[0], e->size, val, sizeof val, NULL);
            if ((rc = tn_response_set_header(req, "Content-Range", val)) != TN_OK) goto fail;
        }
    }

    if (head || len == 0) {
        /* the head only: HEAD never reads the file (the server sends no body for HEAD) */
        tn__st_close_fd(e->fd);
        if ((rc = tn_response_start(req, status, (int64_t)len)) != TN_OK) return rc;
        return tn_response_finish(req);
    }
    st = (tn__st_send *)tn__calloc(tn__st_alloc(req), sizeof *st);
    if (!st) {
        rc = TN_ENOMEM;
        goto fail;
    }
    st->req = req;
    st->a = tn__st_alloc(req);
    st->fd = e->fd;
    st->mem = e->mem;
    st->off = first;
    st->left = len;
    st->use_sendfile = TN__HAVE_SENDFILE && e->fd >= 0 && !(opts && opts->no_sendfile);
    if ((rc = tn_response_start(req, status, (int64_t)len)) != TN_OK) {
        tn__st_free(st);
        return rc;
    }
    tn_request_get_close_cb(req, &st->prev_close, &st->prev_close_user);
    tn_request_set_close_cb(req, tn__st_on_close, st);
    tn__st_pump(st);
    return TN_OK;
fail:
    /* out of memory or a bad asset ETag: the request still gets an answer */
    tn__st_close_fd(e->fd);
    (void)tn_response_clear_header(req, "Content-Range");
    return tn__st_error(req, 500);
}

/* Answer a directory request that lacks its trailing slash: 301 to path + "/" (the query
   kept). A path starting with "//" would make a protocol-relative Location (an open
   redirect), so it gets 403 instead. */
TN__PRIVATE int tn__st_redirect_slash(tn_request *req) {
    tn_str path = tn_request_path(req), q = tn_request_query(req);
    char *loc;
    int rc;
    if (path.len >= 2 && path.ptr[0] == '/' && path.ptr[1] == '/') return tn__st_error(req, 403);
    loc = (char *)tn__alloc(tn__st_alloc(req), path.len + q.len + 3);
    if (!loc) return TN_ENOMEM;
    memcpy(loc, path.ptr, path.len);
    loc[path.len] = '/';
    if (q.len) {
        loc[path.len + 1] = '?';
        memcpy(loc + path.len + 2, q.ptr, q.len);
        loc[path.len + 2 + q.len] = 0;
    } else {
        loc[path.len + 1] = 0;
    }
    rc = tn_response_set_header(req, "Location", loc);
    tn__free(tn__st_alloc(req), loc);
    if (rc != TN_OK) return rc;
    return tn_respond(req, 301, NULL, NULL, 0);
}

TN__PRIVATE int tn__st_path_has_slash(tn_request *req) {
    tn_str p = tn_request_path(req);
    return p.len > 0 && p.ptr[p.len - 1] == '/';
}

/* ---- files ---- */
#if TN_HAS_FILESYSTEM

/* A symlink met while walking: open it only if its target stays under the root (both
   resolved with realpath), or anywhere with follow_symlinks_out. prefix is the relative
   path up to and including the link. Returns an fd, -1 (errno set), or -2 (escapes). */
TN__PRIVATE int tn__st_open_link(const tn_static_opts *o, int dirfd, const char *seg, const char *prefix,
                                 int flags) {
    char rroot[PATH_MAX], full[PATH_MAX], real[PATH_MAX];
    size_t rl;
    int fd;
    if (o->follow_symlinks_out) {
        do fd = openat(dirfd, seg, flags & ~O_NOFOLLOW); while (fd < 0 && errno == EINTR);
        return fd;
    }
    if (!realpath(o->root, rroot)) return -1;
    if ((size_t)snprintf(full, sizeof full, "%s/%s", o->root, prefix) >= sizeof full) {
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

TN__PRIVATE int tn__st_errno_status(int e) {
    if (e == ENOENT || e == ENOTDIR || e == ENAMETOOLONG || e == ELOOP) return 404;
    if (e == EACCES || e == EPERM) return 403;
    return 500;
}

/* Open path (normalised by tn__st_clean) under the root, one component at a time relative
   to the previous directory's fd, never following a symlink without checking it. Returns
   0 with *out (and *st) set, or the status to answer. */
TN__PRIVATE int tn__st_open(const tn_static_opts *o, char *path, int *out, struct stat *st) {
    int dirfd, fd;
    char *seg = path;
    do dirfd = open(o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC); while (dirfd < 0 && errno == EINTR);
    if (dirfd < 0) return tn__st_errno_status(errno);
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
                fd = tn__st_open_link(o, dirfd, seg, path, flags);
                e = fd == -2 ? EACCES : errno;
            }
        }
        if (slash) *slash = '/';
        tn__fd_close(dirfd);
        if (fd < 0) return fd == -2 ? 403 : tn__st_errno_status(e);
        dirfd = fd;
        seg = slash ? slash + 1 : seg + strlen(seg);
    }
    if (fstat(fd, st) != 0) {
        int e = errno;
        tn__fd_close(fd);
        return tn__st_errno_status(e);
    }
    *out = fd;
    return 0;
}

TN_API int tn_static_serve(tn_request *req, const tn_static_opts *opts, tn_str rel_path) {
    char path[TN__ST_PATH_MAX];
    size_t plen = 0;
    int head, want_dir = 0, fd = -1, st_code;
    struct stat sb;
    tn__st_entity e;
    const char *def;
    if (!req || !opts || !opts->root) return TN_EINVAL;
    if (!tn__st_method(req, &head)) return tn__st_error(req, 405);
    if ((st_code = tn__st_clean(rel_path, path, sizeof path, &plen, &want_dir)) != 0) return tn__st_error(req, st_code);
    if ((st_code = tn__st_open(opts, path, &fd, &sb)) != 0) return tn__st_error(req, st_code);
    if (S_ISDIR(sb.st_mode)) {
        tn__fd_close(fd);
        if (!tn__st_path_has_slash(req)) return tn__st_redirect_slash(req);
        def = opts->default_filename ? opts->default_filename : "index.html";
        if (!def[0] || strchr(def, '/') || plen + strlen(def) + 2 > sizeof path) return tn__st_error(req, 403);
        if (plen) path[plen++] = '/';
        memcpy(path + plen, def, strlen(def) + 1);
        plen += strlen(def);
        if ((st_code = tn__st_open(opts, path, &fd, &sb)) != 0) return tn__st_error(req, st_code);
        want_dir = 0;
    }
    if (!S_ISREG(sb.st_mode) || want_dir) {
        tn__fd_close(fd);
        return tn__st_error(req, want_dir && S_ISREG(sb.st_mode) ? 404 : 403);
    }
    memset(&e, 0, sizeof e);
    e.fd = fd;
    e.size = (uint64_t)sb.st_size;
    e.mtime = (int64_t)sb.st_mtime;
    e.has_mtime = 1;
    snprintf(e.etag, sizeof e.etag, "\"%llx-%llx-%llx\"", (unsigned long long)sb.st_ino, (unsigned long long)e.size,
             (unsigned long long)((int64_t)sb.st_mtime * 1000000000 + TN__STAT_MTIME_NSEC(&sb)));
    e.ctype = tn_static_mime_type(tn_str_make(path, plen));
    return tn__st_send_entity(req, opts, &e, head);
}
#endif /* TN_HAS_FILESYSTEM */

/* ---- compiled-in assets ---- */
TN__PRIVATE const tn_static_asset *tn__st_find(const tn_static_asset *t, size_t n, const char *path, size_t len) {
    size_t i;
    for (i = 0; i < n; i++) {
        tn_str p = tn_str_c(t[i].path);
        while (p.len && p.ptr[0] == '/') p.ptr++, p.len--;
        if (p.len == len && memcmp(p.ptr, path, len) == 0) return &t[i];
    }
    return NULL;
}

TN_API int tn_static_serve_assets(tn_request *req, const tn_static_asset *table, size_t n, tn_str rel_path,
                                  const tn_static_opts *opts) {
    char path[TN__ST_PATH_MAX];
    size_t plen = 0;
    int head, want_dir = 0, st_code;
    const tn_static_asset *a = NULL;
    const char *def = opts && opts->default_filename ? opts->default_filename : "index.html";
    tn__st_entity e;
    if (!req || (!table && n > 0)) return TN_EINVAL;
    if (!tn__st_method(req, &head)) return tn__st_error(req, 405);
    if ((st_code = tn__st_clean(rel_path, path, sizeof path, &plen, &want_dir)) != 0) return tn__st_error(req, st_code);
    if (plen && !want_dir) a = tn__st_find(table, n, path, plen);
    if (!a && def[0] && plen + strlen(def) + 2 <= sizeof path) {
        /* a directory: "" or "dir/" serves dir/<default>; "dir" redirects there first */
        size_t dl = plen;
        if (dl) path[dl++] = '/';
        memcpy(path + dl, def, strlen(def) + 1);
        a = tn__st_find(table, n, path, dl + strlen(def));
        if (a && !tn__st_path_has_slash(req)) return tn__st_redirect_slash(req);
        plen = dl + strlen(def);
    }
    if (!a) return tn__st_error(req, 404);
    memset(&e, 0, sizeof e);
    e.fd = -1;
    e.mem = a->data;
    e.size = a->len;
    e.mtime = a->mtime;
    e.has_mtime = a->mtime != 0;
    if (a->etag && strlen(a->etag) < sizeof e.etag) {
        memcpy(e.etag, a->etag, strlen(a->etag) + 1);
    } else {
        unsigned char h[TN_SHA1_SIZE];
        tn_sha1(a->data, a->len, h);
        e.etag[0] = '"';
        (void)tn_hex_encode(h, sizeof h, e.etag + 1, sizeof e.etag - 2, NULL);
        memcpy(e.etag + 1 + 2 * TN_SHA1_SIZE, "\"", 2);
    }
    e.ctype = a->content_type ? a->content_type : tn_static_mime_type(tn_str_make(path, plen));
    return tn__st_send_entity(req, opts, &e, head);
}

#endif /* TN_HAS_WEB && TN_HAS_HTTP_SERVER */
/* <<static.c  end of src/static.c */

/* ======================================================================== */
/* >>web_internal.h  (src/web_internal.h)                                   */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/web_internal.h"
#endif
/* web_internal.h: the web layer's private types, shared by web.c, web_args.c and web_cookie.c: internal, not API. */
#ifndef TN_WEB_INTERNAL_H
#define TN_WEB_INTERNAL_H
/* #include "web.h" (inlined above) */
/* #include "internal.h" (inlined above) */

#if TN_HAS_WEB
/* One module in three files (the app and response / request arguments / cookies out and
   XSRF): these types and functions are the web module's own, used by its files only. */
typedef struct tn__web_route {
    tn_handler_fn fn;               /* function pointers live in a record: the router holds void * */
    tn_data_fn on_data;             /* streaming routes: body chunks */
    void *user;
    struct tn__web_route *next;
} tn__web_route;

typedef struct tn__web_arg {
    tn_str name;
    tn_str value;                   /* decoded, cleaned, stripped */
    int body;                       /* 0 query, 1 body */
} tn__web_arg;

/* Scratch memory of one request: bump allocation in blocks that never move, so slices
   handed out stay valid until the request ends. The newest block is kept for reuse. */
typedef struct tn__web_block {
    struct tn__web_block *next;
    size_t cap;
    size_t used;
} tn__web_block;

typedef struct tn__web_ctx tn__web_ctx;
struct tn__web_ctx {
    tn_app *app;
    tn_request *req;                /* NULL once the request is gone */
    tn__web_ctx *next_free;
    tn_route_match m;
    tn_route_capture caps[TORNADO_MAX_ROUTE_CAPTURES];
    tn_buf body;                    /* buffered response body */
    tn__web_block *blocks;
    tn__web_arg *args;
    size_t nargs, args_cap;
    tn_web_file *files;
    size_t nfiles, files_cap;
    tn_request_cb close_cb;
    void *close_user;
    void *data;
    tn_str xsrf;                    /* the masked token made for this request */
    unsigned char xsrf_raw[64];
    size_t xsrf_raw_len;
    int64_t xsrf_ts;
    int xsrf_state;                 /* 0 not read, 1 from the cookie, 2 generated */
    int status;
    int refs;                       /* > 0 while the app is inside a call for this request */
    int xsrf_failed;                /* streaming route: answer 403 once the body is drained */
    int rematched;                  /* streaming route: captures re-pointed after the head moved */
    int args_parsed;
    int async;
    int started;                    /* head flushed */
    int finished;
};

struct tn_app {
    tn_loop *loop;
    const tn_allocator *a;
    tn_app_opts opts;
    char *secret;
    tn_router *router;
    tn_http_server *srv;
    tn__web_route *routes;
    tn__web_route not_found;        /* fn NULL: the default 404 */
    tn_error_page_fn error_fn;
    void *error_user;
    tn__web_ctx *free_ctx;
    size_t nfree;
    tn_multipart *mp;               /* one parser, reused (parsing never spans a callback) */
    size_t nstream;                 /* streaming routes */
    int closing;
    tn_cb close_cb;
    void *close_user;
};

#define TN__WEB_CTX_CACHE 256
#define TN__WEB_BLOCK 4096
#define TN__WEB_KEEP_BYTES 65536

/* web.c: per-request scratch memory and the context of a live request */
TN__PRIVATE char *tn__web_scratch(tn__web_ctx *c, size_t n);
TN__PRIVATE tn_str tn__web_copy(tn__web_ctx *c, const char *p, size_t n);
TN__PRIVATE tn__web_ctx *tn__web_ctx_of(const tn_request *req);
TN__PRIVATE int tn__web_error(tn__web_ctx *c, int status, const char *reason, const char *allow);
#endif /* TN_HAS_WEB */

#endif /* TN_WEB_INTERNAL_H */
/* <<web_internal.h  end of src/web_internal.h */

/* ======================================================================== */
/* >>web.c  (src/web.c)                                                     */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/web.c"
#endif
/* web.c: web application layer: the app, routes, dispatch, per-request context, the response (headers, body, ETag, errors, redirects). */
/* #include "web.h" (inlined above) */
/* #include "internal.h" (inlined above) */
/* #include "web_internal.h" (inlined above) */
/* #include "url.h" (inlined above) */

#if TN_HAS_WEB


TN__PRIVATE int tn__web_finish(tn__web_ctx *c);

/* ---- scratch ---- */
TN__PRIVATE char *tn__web_scratch(tn__web_ctx *c, size_t n) {
    tn__web_block *b = c->blocks, *nb;
    size_t size;
    n = (n + 7) & ~(size_t)7;
    if (b && b->cap - b->used >= n) {
        char *p = (char *)(b + 1) + b->used;
        b->used += n;
        return p;
    }
    size = TN__MAX(n, (size_t)TN__WEB_BLOCK);
    if (b && b->cap * 2 > size && b->cap <= TN__WEB_KEEP_BYTES) size = b->cap * 2;
    nb = (tn__web_block *)tn__alloc(c->app->a, sizeof *nb + size);
    if (!nb) return NULL;
    nb->next = b;
    nb->cap = size;
    nb->used = n;
    c->blocks = nb;
    return (char *)(nb + 1);
}

TN__PRIVATE tn_str tn__web_copy(tn__web_ctx *c, const char *p, size_t n) {
    char *d = tn__web_scratch(c, n + 1);
    if (!d) return tn_str_make(NULL, 0);
    if (n) memcpy(d, p, n);
    d[n] = 0;
    return tn_str_make(d, n);
}

/* ---- contexts ---- */
TN__PRIVATE void tn__web_ctx_free(const tn_allocator *a, tn__web_ctx *c) {
    while (c->blocks) {
        tn__web_block *b = c->blocks;
        c->blocks = b->next;
        tn__free(a, b);
    }
    tn_buf_free(&c->body);
    tn__free(a, c->args);
    tn__free(a, c->files);
    tn__free(a, c);
}

TN__PRIVATE tn__web_ctx *tn__web_ctx_get(tn_app *app) {
    tn__web_ctx *c = app->free_ctx;
    if (c) {
        app->free_ctx = c->next_free;
        app->nfree--;
        return c;
    }
    c = (tn__web_ctx *)tn__calloc(app->a, sizeof *c);
    if (!c) return NULL;
    c->app = app;
    (void)tn_buf_init(&c->body, app->a);
    return c;
}

/* The request is over: reset the context and cache it (trimmed) or free it. */
TN__PRIVATE void tn__web_release(tn__web_ctx *c) {
    tn_app *app = c->app;
    tn__web_block *b;
    if (c->req && tn_request_get_user(c->req) == (void *)c) tn_request_set_user(c->req, NULL);
    c->req = NULL;
    if (app->nfree >= TN__WEB_CTX_CACHE) {
        tn__web_ctx_free(app->a, c);
        return;
    }
    /* keep the newest scratch block if it is modest, drop the rest */
    b = c->blocks;
    if (b) {
        tn__web_block *rest = b->next;
        while (rest) {
            tn__web_block *n = rest->next;
            tn__free(app->a, rest);
            rest = n;
        }
        b->next = NULL;
        b->used = 0;
        if (b->cap > TN__WEB_KEEP_BYTES) {
            tn__free(app->a, b);
            c->blocks = NULL;
        }
    }
    tn_buf_consume(&c->body, tn_buf_size(&c->body));
    if (c->body.cap > TN__WEB_KEEP_BYTES) tn_buf_free(&c->body);
    if (c->args_cap > 256) {
        tn__free(app->a, c->args);
        c->args = NULL;
        c->args_cap = 0;
    }
    if (c->files_cap > 64) {
        tn__free(app->a, c->files);
        c->files = NULL;
        c->files_cap = 0;
    }
    c->nargs = c->nfiles = 0;
    c->close_cb = NULL;
    c->close_user = NULL;
    c->data = NULL;
    c->xsrf = tn_str_make(NULL, 0);
    c->xsrf_raw_len = 0;
    c->xsrf_state = 0;
    c->refs = c->args_parsed = c->async = c->started = c->finished = c->xsrf_failed = 0;
    c->rematched = 0;
    c->next_free = app->free_ctx;
    app->free_ctx = c;
    app->nfree++;
}

TN__PRIVATE void tn__web_unref(tn__web_ctx *c) {
    if (--c->refs == 0 && c->finished) tn__web_release(c);
}

/* The context of a live request from an app, or NULL. */
TN__PRIVATE tn__web_ctx *tn__web_ctx_of(const tn_request *req) {
    tn__web_ctx *c = req ? (tn__web_ctx *)tn_request_get_user(req) : NULL;
    if (!c || c->req != req || c->finished) return NULL;
    return c;
}

/* ---- dispatch ---- */
TN__PRIVATE void tn__web_on_close(tn_request *req, void *user) {
    tn__web_ctx *c = (tn__web_ctx *)user;
    if (c->req != req) return;
    if (c->close_cb) c->close_cb(req, c->close_user);
    c->finished = 1;
    c->req = NULL;
    if (c->refs == 0) tn__web_release(c);
}

/* The server says the handler's part is over (the response finished, the request was
   detached, or a response call found the client gone), however the handler got there:
   through this layer or with the server's calls directly. */
TN__PRIVATE void tn__web_on_finish(tn_request *req, void *user) {
    tn__web_ctx *c = (tn__web_ctx *)user;
    if (c->req != req) return;
    c->finished = 1;
    c->req = NULL;
    if (c->refs == 0) tn__web_release(c);
}

TN__PRIVATE int tn__web_is_safe_method(tn_str m) {
    return tn_str_eq_c(m, "GET") || tn_str_eq_c(m, "HEAD") || tn_str_eq_c(m, "OPTIONS");
}

TN__PRIVATE int tn__web_error(tn__web_ctx *c, int status, const char *reason, const char *allow);

/* Attach a fresh context to req and match its route. */
TN__PRIVATE tn__web_ctx *tn__web_attach(tn_app *app, tn_request *req, int *rc) {
    tn__web_ctx *c = tn__web_ctx_get(app);
    if (!c) return NULL;
    c->req = req;
    c->status = 200;
    c->refs = 1;
    tn_request_set_user(req, c);
    tn_request_set_close_cb(req, tn__web_on_close, c);
    tn_request_set_finish_cb(req, tn__web_on_finish, c);
    memset(&c->m, 0, sizeof c->m);
    c->m.captures = c->caps;
    c->m.max_captures = TORNADO_MAX_ROUTE_CAPTURES;
    *rc = tn_router_match(app->router, tn_request_method(req), tn_request_path(req), &c->m);
    return c;
}

TN__PRIVATE void tn__web_on_request(tn_request *req, void *user) {
    tn_app *app = (tn_app *)user;
    tn_str method = tn_request_method(req);
    int rc;
    tn__web_ctx *c = tn__web_attach(app, req, &rc);
    if (!c) {
        (void)tn_respond(req, 503, "text/plain", "Service Unavailable", 19);
        return;
    }
    if (rc == TN_OK) {
        const tn__web_route *r = (const tn__web_route *)c->m.handler;
        if (app->opts.xsrf_cookies && !tn__web_is_safe_method(method) && tn_web_check_xsrf(req) != TN_OK)
            (void)tn__web_error(c, 403, NULL, NULL);
        else
            r->fn(req, &c->m, r->user);
    } else if (rc == TN_ENOENT) {
        c->m.route = -1;
        c->m.num_captures = 0;
        if (app->not_found.fn) app->not_found.fn(req, &c->m, app->not_found.user);
        else (void)tn__web_error(c, 404, NULL, NULL);
    } else if (rc == TN_EMETHOD_NOT_ALLOWED) {
        char allow[512];
        size_t al = 0;
        if (tn_router_allow(app->router, tn_request_path(req), allow, sizeof allow, &al) != TN_OK) allow[0] = 0;
        (void)tn__web_error(c, 405, NULL, allow[0] ? allow : NULL);
    } else {
        (void)tn__web_error(c, 400, NULL, NULL);
    }
    /* a synchronous handler's response ends when it returns */
    if (!c->finished && !c->async && c->req) (void)tn__web_finish(c);
    tn__web_unref(c);
}

/* Streaming routes (Tornado's stream_request_body): the route is matched when the head
   arrives; body chunks go to on_data as they come; the handler runs at the end. */
TN__PRIVATE void tn__web_on_body(tn_request *req, int status, tn_str data, void *user) {
    tn__web_ctx *c = (tn__web_ctx *)user;
    const tn__web_route *r;
    if (c->req != req || c->finished) return;
    if (!c->rematched) {
        /* the server moved the head out of its buffer after on_headers: match again so
           the captures point at the moved path */
        c->rematched = 1;
        (void)tn_router_match(c->app->router, tn_request_method(req), tn_request_path(req), &c->m);
    }
    r = (const tn__web_route *)c->m.handler;
    c->refs++;
    if (status == TN_MORE) {
        if (!c->xsrf_failed) r->on_data(req, data, r->user);
    } else if (status == TN_OK) {
        if (c->xsrf_failed) (void)tn__web_error(c, 403, NULL, NULL);
        else r->fn(req, &c->m, r->user);
        if (!c->finished && !c->async && c->req) (void)tn__web_finish(c);
    }
    /* errors: the connection closes next and the close callback ends the request */
    tn__web_unref(c);
}

TN__PRIVATE void tn__web_on_headers(tn_request *req, void *user) {
    tn_app *app = (tn_app *)user;
    tn__web_ctx *c;
    const tn__web_route *r;
    tn_route_capture caps[TORNADO_MAX_ROUTE_CAPTURES];
    tn_route_match m;
    tn_str method = tn_request_method(req);
    int rc;
    if (app->nstream == 0) return;
    memset(&m, 0, sizeof m);
    m.captures = caps;
    m.max_captures = TORNADO_MAX_ROUTE_CAPTURES;
    if (tn_router_match(app->router, method, tn_request_path(req), &m) != TN_OK) return;
    r = (const tn__web_route *)m.handler;
    if (!r->on_data) return;   /* an ordinary route: dispatched with its whole body */
    /* an empty length-delimited body goes the ordinary way (no chunk, then the handler):
       the server does not end a streamed body of Content-Length 0 by itself */
    {
        tn_str cl;
        if (tn_request_header(req, "Content-Length", &cl) == TN_OK && tn_str_eq_c(cl, "0")) return;
    }
    if (!(c = tn__web_attach(app, req, &rc))) return;
    if (tn_request_stream_body(req, tn__web_on_body, c) != TN_OK) {
        c->finished = 1;
        c->req = NULL;
        tn_request_set_user(req, NULL);
        tn_request_set_close_cb(req, NULL, NULL);
        tn_request_set_finish_cb(req, NULL, NULL);
        tn__web_unref(c);
        return;
    }
    /* the token can only come from a header here: body arguments are not parsed */
    if (app->opts.xsrf_cookies && !tn__web_is_safe_method(method) && tn_web_check_xsrf(req) != TN_OK)
        c->xsrf_failed = 1;
    tn__web_unref(c);   /* refs 0, not finished: the context lives on with the request */
}

/* ---- the app ---- */
TN_API int tn_app_new(tn_loop *loop, const tn_app_opts *opts, tn_app **out) {
    tn_app *app;
    int rc;
    if (!loop || !out) return TN_EINVAL;
    *out = NULL;
    if (opts && opts->server.on_headers) return TN_EINVAL;
    app = (tn_app *)tn__calloc(tn__loop_alloc(loop), sizeof *app);
    if (!app) return TN_ENOMEM;
    app->loop = loop;
    app->a = tn__loop_alloc(loop);
    if (opts) app->opts = *opts;
    if (app->opts.cookie_secret) {
        if (!(app->secret = tn__strdup(app->a, app->opts.cookie_secret))) {
            tn__free(app->a, app);
            return TN_ENOMEM;
        }
        app->opts.cookie_secret = app->secret;
    }
    if ((rc = tn_router_new(app->a, &app->router)) != 0) {
        tn__free(app->a, app->secret);
        tn__free(app->a, app);
        return rc;
    }
    *out = app;
    return TN_OK;
}

/* Both route kinds: a plain handler, or a streamed-body handler (on_data not NULL). */
TN__PRIVATE int tn__web_add_route(tn_app *app, const char *methods, const char *pattern, tn_data_fn on_data,
                                  tn_handler_fn fn, void *user) {
    tn__web_route *r;
    int rc;
    if (!app || !fn || app->closing) return TN_EINVAL;
    r = (tn__web_route *)tn__calloc(app->a, sizeof *r);
    if (!r) return TN_ENOMEM;
    r->fn = fn;
    r->on_data = on_data;
    r->user = user;
    if ((rc = tn_router_add(app->router, methods, pattern, r, user)) != 0) {
        const char *why = tn_router_last_error(app->router);   /* quotes the pattern, says where */
        if (why[0]) TN__LLOG(app->loop, TN_LOG_WARN, rc, "route not added: %s", why);
        else TN__LLOG(app->loop, TN_LOG_WARN, rc, "route \"%s\" not added: %s", pattern, tn_strerror(rc));
        tn__free(app->a, r);
        return rc;
    }
    r->next = app->routes;
    app->routes = r;
    if (on_data) app->nstream++;
    return TN_OK;
}

TN_API int tn_app_route(tn_app *app, const char *methods, const char *pattern, tn_handler_fn fn, void *user) {
    return tn__web_add_route(app, methods, pattern, NULL, fn, user);
}

TN_API int tn_app_route_stream(tn_app *app, const char *methods, const char *pattern, tn_data_fn on_data,
                               tn_handler_fn fn, void *user) {
    if (!on_data) return TN_EINVAL;
    return tn__web_add_route(app, methods, pattern, on_data, fn, user);
}

TN_API void tn_app_set_not_found(tn_app *app, tn_handler_fn fn, void *user) {
    app->not_found.fn = fn;
    app->not_found.user = user;
}

TN_API void tn_app_set_error_page(tn_app *app, tn_error_page_fn fn, void *user) {
    app->error_fn = fn;
    app->error_user = user;
}

TN_API int tn_app_listen(tn_app *app, const char *host, int port) {
    int rc;
    if (!app || app->closing) return TN_EINVAL;
    if (!app->srv) {
        tn_http_server_opts so = app->opts.server;
        so.on_headers = tn__web_on_headers;
        if ((rc = tn_http_server_new(app->loop, &so, tn__web_on_request, app, &app->srv)) != 0) return rc;
    }
    return tn_http_server_listen(app->srv, host, port);
}

TN_API tn_http_server *tn_app_server(const tn_app *app) { return app->srv; }
TN_API tn_router *tn_app_router(const tn_app *app) { return app->router; }
TN_API const tn_app_opts *tn_app_get_opts(const tn_app *app) { return &app->opts; }

TN__PRIVATE void tn__web_app_free(tn_app *app) {
    const tn_allocator *a = app->a;
    while (app->routes) {
        tn__web_route *r = app->routes;
        app->routes = r->next;
        tn__free(a, r);
    }
    while (app->free_ctx) {
        tn__web_ctx *c = app->free_ctx;
        app->free_ctx = c->next_free;
        tn__web_ctx_free(a, c);
    }
    tn_router_free(app->router);
    tn__free(a, app->mp);
    tn__free(a, app->secret);
    tn__free(a, app);
}

TN__PRIVATE void tn__web_app_closed(tn_loop *loop, void *user) {
    tn_app *app = (tn_app *)user;
    tn_cb cb = app->close_cb;
    void *cu = app->close_user;
    tn__web_app_free(app);
    if (cb) cb(loop, cu);
}

TN_API int tn_app_close(tn_app *app, uint64_t deadline_ms, tn_cb cb, void *user) {
    if (!app) return TN_EINVAL;
    if (app->closing) return TN_ECLOSED;
    app->closing = 1;
    app->close_cb = cb;
    app->close_user = user;
    if (app->srv) return tn_http_server_close(app->srv, deadline_ms, tn__web_app_closed, app);
    return tn_loop_defer(app->loop, tn__web_app_closed, app);
}

/* ---- response helpers ---- */
TN_API int tn_web_set_status(tn_request *req, int status) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || c->started || status < 100 || status > 999) return TN_EINVAL;
    c->status = status;
    return TN_OK;
}
TN_API int tn_web_get_status(const tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    return c ? c->status : 0;
}

/* Response headers live in the server's store (tn_response_set_header and friends), which
   also refuses framing headers; these only add "not after the head went out". */
TN_API int tn_web_set_header(tn_request *req, const char *name, const char *value) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || c->started) return TN_EINVAL;
    return tn_response_set_header(req, name, value);
}
TN_API int tn_web_add_header(tn_request *req, const char *name, const char *value) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || c->started) return TN_EINVAL;
    return tn_response_add_header(req, name, value);
}
TN_API int tn_web_clear_header(tn_request *req, const char *name) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || c->started || !name) return TN_EINVAL;
    return tn_response_clear_header(req, name);
}
TN_API const char *tn_web_get_header(const tn_request *req, const char *name) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str v;
    if (!c || !name || tn_response_get_header(req, name, &v) != TN_OK) return NULL;
    return tn__web_copy(c, v.ptr, v.len).ptr;   /* NUL-terminated, valid for the request */
}

TN_API int tn_web_write(tn_request *req, const void *data, size_t len) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || (!data && len)) return TN_EINVAL;
    return tn_buf_append(&c->body, data, len);
}
TN_API int tn_web_write_str(tn_request *req, const char *s) { return tn_web_write(req, s, s ? strlen(s) : 0); }

TN_API int tn_web_writef(tn_request *req, const char *fmt, ...) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    va_list ap;
    int n;
    if (!c || !fmt) return TN_EINVAL;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return TN_EINVAL;
    if (tn_buf_reserve(&c->body, (size_t)n + 1) != 0) return TN_ENOMEM;
    va_start(ap, fmt);
    (void)vsnprintf(tn_buf_ptr(&c->body) + tn_buf_size(&c->body), (size_t)n + 1, fmt, ap);
    va_end(ap);
    c->body.len += (size_t)n;
    return TN_OK;
}

/* JSON bodies say so (Tornado sets the type when write() gets a dict), unless the
   handler chose a type or the head already went out. */
TN__PRIVATE int tn__web_json_type(tn__web_ctx *c) {
    tn_str v;
    if (c->started || tn_response_get_header(c->req, "Content-Type", &v) == TN_OK) return TN_OK;
    return tn_response_set_header(c->req, "Content-Type", "application/json; charset=UTF-8");
}

TN_API int tn_web_write_json_str(tn_request *req, tn_str s) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    size_t before;
    if (!c) return TN_EINVAL;
    before = c->body.len;
    if (tn_buf_append(&c->body, "\"", 1) != 0 || tn_json_escape_buf(&c->body, s) != 0 ||
        tn_buf_append(&c->body, "\"", 1) != 0) {
        c->body.len = before;
        return TN_ENOMEM;
    }
    return tn__web_json_type(c);
}

TN_API int tn_web_write_json(tn_request *req, const char *json, size_t len) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    int rc;
    if (!c) return TN_EINVAL;
    if ((rc = tn_web_write(req, json, len)) != 0) return rc;
    return tn__web_json_type(c);
}

TN__PRIVATE void tn__web_default_ctype(tn__web_ctx *c) {
    tn_str v;
    if (tn_buf_size(&c->body) > 0 && tn_response_get_header(c->req, "Content-Type", &v) != TN_OK)
        (void)tn_response_set_header(c->req, "Content-Type", "text/html; charset=UTF-8");
}

TN__PRIVATE int tn__web_flush(tn__web_ctx *c, tn_response_cb cb, void *user) {
    int rc = TN_OK;
    c->refs++;
    if (!c->started) {
        tn__web_default_ctype(c);
        rc = tn_response_start(c->req, c->status, -1);
        if (rc == TN_OK) c->started = 1;
    }
    if (rc == TN_OK && (tn_buf_size(&c->body) > 0 || cb)) {
        rc = tn_response_write(c->req, tn_buf_ptr(&c->body), tn_buf_size(&c->body), cb, user);
        tn_buf_consume(&c->body, tn_buf_size(&c->body));
    }
    tn__web_unref(c);
    return rc;
}

TN_API int tn_web_flush(tn_request *req, tn_response_cb cb, void *user) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c) return TN_EINVAL;
    return tn__web_flush(c, cb, user);
}

TN__PRIVATE int tn__web_finish(tn__web_ctx *c) {
    int rc;
    if (c->finished || !c->req) return TN_EINVAL;
    c->refs++;
    if (!c->started) {
        tn_str method = tn_request_method(c->req);
        int status = c->status;
        tn_str have;
        if (status == 200 && (tn_str_eq_c(method, "GET") || tn_str_eq_c(method, "HEAD")) &&
            tn_response_get_header(c->req, "ETag", &have) != TN_OK) {
            unsigned char dig[TN_SHA1_SIZE];
            char etag[2 * TN_SHA1_SIZE + 3];
            tn_str inm;
            tn_sha1(tn_buf_ptr(&c->body), tn_buf_size(&c->body), dig);
            etag[0] = '"';
            (void)tn_hex_encode(dig, sizeof dig, etag + 1, 2 * TN_SHA1_SIZE + 1, NULL);
            etag[2 * TN_SHA1_SIZE + 1] = '"';
            etag[2 * TN_SHA1_SIZE + 2] = 0;
            (void)tn_response_set_header(c->req, "ETag", etag);
            if (tn_request_header(c->req, "If-None-Match", &inm) == TN_OK &&
                tn_http_etag_match(inm, tn_str_make(etag, sizeof etag - 1), TN_ETAG_WEAK))
                status = c->status = 304;
        }
        if (status == 204 || status == 304 || status < 200) {
            tn_buf_consume(&c->body, tn_buf_size(&c->body));
            (void)tn_response_clear_header(c->req, "Content-Type");
            (void)tn_response_clear_header(c->req, "Content-Encoding");
            (void)tn_response_clear_header(c->req, "Content-Language");
        } else {
            tn__web_default_ctype(c);
        }
        rc = tn_respond(c->req, status, NULL, tn_buf_ptr(&c->body), tn_buf_size(&c->body));
    } else {
        rc = TN_OK;
        if (tn_buf_size(&c->body) > 0)
            rc = tn_response_write(c->req, tn_buf_ptr(&c->body), tn_buf_size(&c->body), NULL, NULL);
        if (rc == TN_OK) rc = tn_response_finish(c->req);   /* TN_ECLOSED: already released */
    }
    if (rc == TN_OK || rc == TN_ECLOSED) c->finished = 1;
    tn__web_unref(c);
    return rc;
}

TN_API int tn_web_finish(tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c) return TN_EINVAL;
    return tn__web_finish(c);
}

TN_API void tn_web_async(tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (c) c->async = 1;
}

TN_API int tn_web_redirect(tn_request *req, const char *url, int status) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    int rc;
    if (!c || c->started || !url) return TN_EINVAL;
    if (status == 0) status = 302;
    if (status < 300 || status > 399) return TN_EINVAL;
    if ((rc = tn_web_set_header(req, "Location", url)) != 0) return rc;
    c->status = status;
    return tn__web_finish(c);
}

/* send_error: keep the Set-Cookie lines (Tornado keeps its cookie jar), drop the rest. */
TN__PRIVATE int tn__web_error(tn__web_ctx *c, int status, const char *reason, const char *allow) {
    int rc;
    if (c->finished || !c->req) return TN_EINVAL;
    if (c->started) return tn__web_finish(c);
    c->refs++;
    (void)tn_response_clear_headers(c->req, "Set-Cookie");
    tn_buf_consume(&c->body, tn_buf_size(&c->body));
    c->status = status;
    if (allow) (void)tn_response_set_header(c->req, "Allow", allow);
    if (!reason) reason = tn_http_reason(status);
    if (status != 304) {
        if (c->app->error_fn) {
            c->app->error_fn(c->req, status, reason, c->app->error_user);
        } else {
            (void)tn__response_error_html(&c->body, status, reason);
        }
    }
    rc = (!c->finished && c->req) ? tn__web_finish(c) : TN_OK;
    tn__web_unref(c);
    return rc;
}

TN_API int tn_web_send_error(tn_request *req, int status, const char *reason) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || status < 100 || status > 999) return TN_EINVAL;
    return tn__web_error(c, status, reason, NULL);
}

TN_API int tn_web_detach(tn_request *req, tn_stream **stream) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    int rc;
    if (!c) return TN_EINVAL;
    if ((rc = tn_request_detach(req, stream)) != TN_OK) return rc;
    return TN_OK;   /* the finish callback ended the context */
}

#endif /* TN_HAS_WEB */
/* <<web.c  end of src/web.c */

/* ======================================================================== */
/* >>web_args.c  (src/web_args.c)                                           */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/web_args.c"
#endif
/* web_args.c: the web layer's request side: data slot, arguments (query, form, multipart), files, cookies in, URLs. */
/* #include "web.h" (inlined above) */
/* #include "internal.h" (inlined above) */
/* #include "web_internal.h" (inlined above) */
/* #include "url.h" (inlined above) */

#if TN_HAS_WEB

/* ---- request helpers ---- */
TN_API void tn_web_set_data(tn_request *req, void *data) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (c) c->data = data;
}
TN_API void *tn_web_get_data(const tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    return c ? c->data : NULL;
}
TN_API void tn_web_on_close(tn_request *req, tn_request_cb cb, void *user) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c) return;
    c->close_cb = cb;
    c->close_user = user;
}
TN_API tn_app *tn_web_app(const tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    return c ? c->app : NULL;
}

TN_API int tn_web_path_arg(tn_request *req, const char *name, tn_str *value) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str raw;
    char *d;
    size_t n = 0;
    *value = tn_str_make(NULL, 0);
    if (!c || !name) return TN_EINVAL;
    if (!tn_route_match_get(&c->m, name, &raw)) return TN_ENOENT;
    if (!(d = tn__web_scratch(c, raw.len + 1))) return TN_ENOMEM;
    (void)tn_url_unescape(raw, 0, d, raw.len + 1, &n);
    d[n] = 0;
    *value = tn_str_make(d, n);
    return TN_OK;
}

/* Tornado's argument cleaning: control bytes other than \t \n \r become spaces, then
   surrounding whitespace goes. Works in place on scratch memory. */
TN__PRIVATE tn_str tn__web_clean(char *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r' && ch != 0x0b && ch != 0x0c) p[i] = ' ';
    }
    while (n > 0 && (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r') || (p[0] >= 0x1c && p[0] <= 0x1f))) {
        p++;
        n--;
    }
    while (n > 0 && (p[n - 1] == ' ' || (p[n - 1] >= '\t' && p[n - 1] <= '\r') || (p[n - 1] >= 0x1c && p[n - 1] <= 0x1f)))
        n--;
    return tn_str_make(p, n);
}

TN__PRIVATE int tn__web_add_arg(tn__web_ctx *c, tn_str name, tn_str value, int body) {
    if (tn__grow(c->app->a, (void **)&c->args, &c->args_cap, c->nargs + 1, sizeof *c->args) != 0) return TN_ENOMEM;
    c->args[c->nargs].name = name;
    c->args[c->nargs].value = value;
    c->args[c->nargs].body = body;
    c->nargs++;
    return TN_OK;
}

/* Decode "k=v&..." (copied into scratch, decoded in place) into arguments. */
TN__PRIVATE int tn__web_parse_qs(tn__web_ctx *c, tn_str qs, int body) {
    tn_query_iter it;
    tn_str k, v, copy;
    int rc;
    if (qs.len == 0) return TN_OK;
    copy = tn__web_copy(c, qs.ptr, qs.len);
    if (!copy.ptr) return TN_ENOMEM;
    tn_query_iter_init(&it, copy, 0);
    while ((rc = tn_query_next_decoded(&it, NULL, 0, &k, &v)) != 0) {
        if (rc < 0) {
            if (rc == TN_ELIMIT) break;
            continue;
        }
        if (tn__web_add_arg(c, k, tn__web_clean((char *)(uintptr_t)v.ptr, v.len), body) != 0) return TN_ENOMEM;
    }
    return TN_OK;
}

typedef struct tn__web_mp {
    tn__web_ctx *c;
    tn_str name, filename, ctype;
    const char *data;
    size_t len;
    int keep, is_file;
} tn__web_mp;

TN__PRIVATE int tn__web_mp_cb(int event, const tn_multipart_part *part, tn_str data, void *user) {
    tn__web_mp *s = (tn__web_mp *)user;
    tn__web_ctx *c = s->c;
    if (event == TN_MULTIPART_PART_BEGIN) {
        s->keep = tn_str_ieq(part->disposition, tn_str_c("form-data")) && part->name.len > 0;
        s->is_file = part->filename.len > 0;
        s->data = NULL;
        s->len = 0;
        if (!s->keep) return 0;
        s->name = tn__web_copy(c, part->name.ptr, part->name.len);
        s->filename = tn__web_copy(c, part->filename.ptr, part->filename.len);
        s->ctype = part->content_type.len ? tn__web_copy(c, part->content_type.ptr, part->content_type.len)
                                          : tn_str_c("application/unknown");
        if (!s->name.ptr || !s->filename.ptr || !s->ctype.ptr) return TN_ENOMEM;
    } else if (event == TN_MULTIPART_PART_DATA) {
        if (!s->keep) return 0;
        if (!s->data) {
            s->data = data.ptr;
            s->len = data.len;
        } else if (data.ptr == s->data + s->len) {
            s->len += data.len;   /* one feed of a whole body: the pieces are contiguous */
        } else {
            char *d = tn__web_scratch(c, s->len + data.len);
            if (!d) return TN_ENOMEM;
            memcpy(d, s->data, s->len);
            memcpy(d + s->len, data.ptr, data.len);
            s->data = d;
            s->len += data.len;
        }
    } else if (event == TN_MULTIPART_PART_END) {
        if (!s->keep) return 0;
        if (s->is_file) {
            tn_web_file *f;
            if (tn__grow(c->app->a, (void **)&c->files, &c->files_cap, c->nfiles + 1, sizeof *c->files) != 0)
                return TN_ENOMEM;
            f = &c->files[c->nfiles++];
            f->name = s->name;
            f->filename = s->filename;
            f->content_type = s->ctype;
            f->body = tn_str_make(s->data ? s->data : "", s->len);
        } else {
            tn_str v = tn__web_copy(c, s->data ? s->data : "", s->len);
            if (!v.ptr) return TN_ENOMEM;
            if (tn__web_add_arg(c, s->name, tn__web_clean((char *)(uintptr_t)v.ptr, v.len), 1) != 0) return TN_ENOMEM;
        }
    }
    return 0;
}

TN__PRIVATE int tn__web_starts_with_i(tn_str s, const char *prefix) {
    size_t n = strlen(prefix);
    return s.len >= n && tn_str_ieq(tn_str_make(s.ptr, n), tn_str_make(prefix, n));
}

/* Parse query and body arguments once. Malformed bodies are ignored, as Tornado does
   (what parsed before the error is kept). */
TN__PRIVATE int tn__web_parse_args(tn__web_ctx *c) {
    tn_str ct, body, enc;
    if (c->args_parsed) return TN_OK;
    c->args_parsed = 1;
    if (tn__web_parse_qs(c, tn_request_query(c->req), 0) != 0) return TN_ENOMEM;
    body = tn_request_body(c->req);
    if (body.len == 0 || tn_request_header(c->req, "Content-Type", &ct) != TN_OK) return TN_OK;
    if (tn_request_header(c->req, "Content-Encoding", &enc) == TN_OK) return TN_OK;   /* Tornado: unsupported */
    if (tn__web_starts_with_i(ct, "application/x-www-form-urlencoded")) {
        return tn__web_parse_qs(c, body, 1);
    } else if (tn__web_starts_with_i(ct, "multipart/form-data")) {
        tn_multipart *mp;
        tn__web_mp st;
        tn_str boundary;
        char *bbuf = tn__web_scratch(c, ct.len + 1);
        int rc;
        if (!bbuf) return TN_ENOMEM;
        if (tn_multipart_boundary(ct, bbuf, ct.len + 1, &boundary) != TN_OK) return TN_OK;
        if (!c->app->mp && !(c->app->mp = (tn_multipart *)tn__alloc(c->app->a, sizeof *mp))) return TN_ENOMEM;
        mp = c->app->mp;
        memset(&st, 0, sizeof st);
        st.c = c;
        rc = tn_multipart_init(mp, boundary, NULL, tn__web_mp_cb, &st);
        if (rc == TN_OK) rc = tn_multipart_feed(mp, body.ptr, body.len);
        if (rc == TN_OK) rc = tn_multipart_finish(mp);
        if (rc == TN_ENOMEM) return rc;
    }
    return TN_OK;
}

/* which: 1 query, 2 body, 3 both. */
TN__PRIVATE size_t tn__web_args(tn_request *req, const char *name, int which, tn_str *out, size_t cap) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    size_t i, n = 0;
    tn_str nm = tn_str_c(name);
    if (!c || !name) return 0;
    (void)tn__web_parse_args(c);
    for (i = 0; i < c->nargs; i++) {
        if (!(which & (c->args[i].body ? 2 : 1)) || !tn_str_eq(c->args[i].name, nm)) continue;
        if (n < cap) out[n] = c->args[i].value;
        n++;
    }
    return n;
}

/* The last value (Tornado: args[-1]). */
TN__PRIVATE int tn__web_arg_last(tn_request *req, const char *name, int which, tn_str *value) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    size_t i;
    tn_str nm = tn_str_c(name);
    *value = tn_str_make("", 0);
    if (!c || !name) return TN_EINVAL;
    (void)tn__web_parse_args(c);
    for (i = c->nargs; i-- > 0;) {
        if ((which & (c->args[i].body ? 2 : 1)) && tn_str_eq(c->args[i].name, nm)) {
            *value = c->args[i].value;
            return TN_OK;
        }
    }
    return TN_ENOENT;
}

TN_API int tn_web_get_argument(tn_request *req, const char *name, tn_str *value) {
    return tn__web_arg_last(req, name, 3, value);
}
TN_API int tn_web_get_query_argument(tn_request *req, const char *name, tn_str *value) {
    return tn__web_arg_last(req, name, 1, value);
}
TN_API int tn_web_get_body_argument(tn_request *req, const char *name, tn_str *value) {
    return tn__web_arg_last(req, name, 2, value);
}
TN_API tn_str tn_web_get_argument_or(tn_request *req, const char *name, const char *def) {
    tn_str v;
    if (tn__web_arg_last(req, name, 3, &v) == TN_OK) return v;
    return tn_str_c(def ? def : "");
}
TN_API int tn_web_require_argument(tn_request *req, const char *name, tn_str *value) {
    int rc = tn__web_arg_last(req, name, 3, value);
    tn__web_ctx *c;
    if (rc == TN_ENOENT && (c = tn__web_ctx_of(req)) != NULL) {
        (void)tn__web_error(c, 400, NULL, NULL);
    }
    return rc;
}
TN_API size_t tn_web_get_arguments(tn_request *req, const char *name, tn_str *out, size_t cap) {
    return tn__web_args(req, name, 3, out, cap);
}

TN_API const tn_web_file *tn_web_get_files(tn_request *req, size_t *n) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (n) *n = 0;
    if (!c) return NULL;
    (void)tn__web_parse_args(c);
    if (n) *n = c->nfiles;
    return c->files;
}

TN_API const tn_web_file *tn_web_get_file(tn_request *req, const char *name) {
    size_t i, n;
    const tn_web_file *f = tn_web_get_files(req, &n);
    for (i = 0; i < n; i++)
        if (tn_str_eq_c(f[i].name, name)) return &f[i];
    return NULL;
}

TN_API int tn_web_get_cookie(tn_request *req, const char *name, tn_str *value) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str hdr;
    tn_cookie ck;
    *value = tn_str_make("", 0);
    if (!c || !name) return TN_EINVAL;
    if (tn_request_header(req, "Cookie", &hdr) != TN_OK) return TN_ENOENT;
    if (!tn_cookie_get(hdr, tn_str_c(name), &ck)) return TN_ENOENT;
    if (ck.quoted) {
        size_t n = 0;
        char *d = tn__web_scratch(c, ck.value.len + 1);
        if (!d) return TN_ENOMEM;
        (void)tn_cookie_unquote(ck.value, d, ck.value.len + 1, &n);
        *value = tn_str_make(d, n);
    } else {
        *value = ck.value;
    }
    return TN_OK;
}

TN_API int tn_web_get_secure_cookie(tn_request *req, const char *name, double max_age_days, tn_str *value) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str raw;
    size_t cap, n = 0;
    char *d;
    int rc;
    *value = tn_str_make("", 0);
    if (!c || !name || !c->app->secret) return TN_EINVAL;
    if ((rc = tn_web_get_cookie(req, name, &raw)) != TN_OK) return rc;
    cap = tn_base64_decoded_max(raw.len) + 1;
    if (!(d = tn__web_scratch(c, cap))) return TN_ENOMEM;
    rc = tn_signed_value_decode(tn_str_c(c->app->secret), tn_str_c(name), raw, (int64_t)time(NULL), max_age_days, d,
                                cap, &n);
    if (rc == TN_EPARSE && !(raw.len > 1 && raw.ptr[0] >= '1' && raw.ptr[0] <= '9' && raw.ptr[1] == '|'))
        /* no version prefix: a version 1 value, which Tornado still reads by default */
        rc = tn_signed_value_decode_v1(tn_str_c(c->app->secret), tn_str_c(name), raw, (int64_t)time(NULL),
                                       max_age_days, d, cap, &n);
    if (rc != TN_OK) return rc;
    d[n] = 0;
    *value = tn_str_make(d, n);
    return TN_OK;
}

TN_API tn_str tn_web_full_url(tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str host, target = tn_request_target(req);
    const char *proto = tn_request_protocol(req);
    size_t pl = strlen(proto), n;
    char *d;
    if (!c) return tn_str_make("", 0);
    if (tn_request_header(req, "Host", &host) != TN_OK || host.len == 0) host = tn_str_c("127.0.0.1");   /* Tornado */
    n = pl + 3 + host.len + target.len;
    if (!(d = tn__web_scratch(c, n + 1))) return tn_str_make("", 0);
    memcpy(d, proto, pl);
    memcpy(d + pl, "://", 3);
    if (host.len) memcpy(d + pl + 3, host.ptr, host.len);
    if (target.len) memcpy(d + pl + 3 + host.len, target.ptr, target.len);
    d[n] = 0;
    return tn_str_make(d, n);
}

#endif /* TN_HAS_WEB */
/* <<web_args.c  end of src/web_args.c */

/* ======================================================================== */
/* >>web_cookie.c  (src/web_cookie.c)                                       */
/* ======================================================================== */
#ifdef TORNADO_LINE_DIRECTIVES
#line 1 "src/web_cookie.c"
#endif
/* web_cookie.c: the web layer's cookies out, signed cookies and XSRF tokens. */
/* #include "web.h" (inlined above) */
/* #include "internal.h" (inlined above) */
/* #include "web_internal.h" (inlined above) */

#if TN_HAS_WEB

/* ---- cookies out ---- */
TN__PRIVATE int tn__web_set_cookie(tn__web_ctx *c, const char *name, tn_str value, const tn_set_cookie_opts *o) {
    char stack[512], *out = stack;
    size_t n = 0, nl = strlen(name);
    char *prefix;
    int rc;
    if (c->started) return TN_EINVAL;
    rc = tn_set_cookie_format(tn_str_c(name), value, o, stack, sizeof stack, &n);
    if (rc == TN_EBUFFER_FULL) {
        if (!(out = tn__web_scratch(c, n + 1))) return TN_ENOMEM;
        rc = tn_set_cookie_format(tn_str_c(name), value, o, out, n + 1, &n);
    }
    if (rc != TN_OK) return rc;
    out[n] = 0;
    /* a second cookie of one name replaces the first (Tornado's cookie jar) */
    if (!(prefix = tn__web_scratch(c, nl + 2))) return TN_ENOMEM;
    memcpy(prefix, name, nl);
    prefix[nl] = '=';
    prefix[nl + 1] = 0;
    (void)tn__response_remove_header(c->req, "Set-Cookie", prefix);
    return tn_response_add_header(c->req, "Set-Cookie", out);
}

TN_API int tn_web_set_cookie(tn_request *req, const char *name, tn_str value, const tn_set_cookie_opts *opts) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || !name) return TN_EINVAL;
    return tn__web_set_cookie(c, name, value, opts);
}

TN_API int tn_web_clear_cookie(tn_request *req, const char *name, const tn_set_cookie_opts *opts) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_set_cookie_opts o;
    if (!c || !name) return TN_EINVAL;
    if (opts) o = *opts;
    else memset(&o, 0, sizeof o);
    o.has_expires = 1;
    o.expires = (int64_t)time(NULL) - 365 * 86400;
    o.has_max_age = 0;
    return tn__web_set_cookie(c, name, tn_str_make("", 0), &o);
}

TN_API int tn_web_clear_all_cookies(tn_request *req, const tn_set_cookie_opts *opts) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str hdr;
    tn_cookie ck;
    size_t pos = 0;
    int rc = TN_OK;
    if (!c) return TN_EINVAL;
    if (tn_request_header(req, "Cookie", &hdr) != TN_OK) return TN_OK;
    while (tn_cookie_next(hdr, &pos, &ck)) {
        tn_str name = tn__web_copy(c, ck.name.ptr, ck.name.len);
        int r;
        if (!name.ptr) return TN_ENOMEM;
        if (name.len == 0) continue;
        r = tn_web_clear_cookie(req, name.ptr, opts);
        if (r == TN_ENOMEM) rc = r;   /* a name no Set-Cookie can carry is skipped */
    }
    return rc;
}

TN_API int tn_web_set_secure_cookie(tn_request *req, const char *name, tn_str value, const tn_set_cookie_opts *opts) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_set_cookie_opts o;
    tn_str secret;
    size_t n = 0;
    char *d;
    int64_t now = (int64_t)time(NULL);
    if (!c || !name || !c->app->secret) return TN_EINVAL;
    secret = tn_str_c(c->app->secret);
    (void)tn_signed_value_create(secret, tn_str_c(name), value, now, c->app->opts.key_version, NULL, 0, &n);
    if (!(d = tn__web_scratch(c, n + 1))) return TN_ENOMEM;
    if (tn_signed_value_create(secret, tn_str_c(name), value, now, c->app->opts.key_version, d, n + 1, &n) != TN_OK)
        return TN_ENOMEM;
    if (opts) {
        o = *opts;
    } else {
        memset(&o, 0, sizeof o);
        o.has_expires = 1;
        o.expires = now + 30 * 86400;
    }
    return tn__web_set_cookie(c, name, tn_str_make(d, n), &o);
}

/* ---- XSRF (Tornado's v2 masked tokens; v1 hex and raw tokens are read too) ---- */
/* Tornado's _decode_xsrf_token: the raw token bytes (and timestamp) of a cookie or a
   submitted token. Returns TN_OK or TN_EPARSE. */
TN__PRIVATE int tn__web_xsrf_decode(tn_str tok, unsigned char *raw, size_t cap, size_t *n, int64_t *ts) {
    size_t i = 0;
    *ts = (int64_t)time(NULL);
    while (i < tok.len && tok.ptr[i] >= '0' && tok.ptr[i] <= '9') i++;
    if (i > 0 && tok.ptr[0] != '0' && i < tok.len && tok.ptr[i] == '|') {
        /* versioned: only 2 is known: "2|mask|masked|timestamp" */
        tn_str f[4];
        size_t k = 0, start = 0, j;
        unsigned char mask[4];
        size_t ml = 0;
        int64_t t = 0;
        if (i != 1 || tok.ptr[0] != '2') return TN_EPARSE;
        for (j = 0; j <= tok.len; j++) {
            if (j == tok.len || tok.ptr[j] == '|') {
                if (k == 4) return TN_EPARSE;
                f[k++] = tn_str_make(tok.ptr + start, j - start);
                start = j + 1;
            }
        }
        if (k != 4) return TN_EPARSE;
        if (tn_hex_decode(f[1], mask, sizeof mask, &ml) != TN_OK || ml != 4) return TN_EPARSE;
        if (tn_hex_decode(f[2], raw, cap, n) != TN_OK) return TN_EPARSE;
        for (j = 0; j < *n; j++) raw[j] ^= mask[j % 4];
        if (f[3].len == 0 || f[3].len > 18) return TN_EPARSE;
        for (j = 0; j < f[3].len; j++) {
            if (f[3].ptr[j] < '0' || f[3].ptr[j] > '9') return TN_EPARSE;
            t = t * 10 + (f[3].ptr[j] - '0');
        }
        *ts = t;
        return TN_OK;
    }
    /* version 1: hex, or the bytes as they are */
    if (tn_hex_decode(tok, raw, cap, n) == TN_OK) return TN_OK;
    if (tok.len > cap) return TN_EPARSE;
    if (tok.len) memcpy(raw, tok.ptr, tok.len);
    *n = tok.len;
    return TN_OK;
}

/* The raw token from the _xsrf cookie, or a new random one (Tornado _get_raw_xsrf_token). */
TN__PRIVATE int tn__web_xsrf_raw(tn__web_ctx *c) {
    tn_str ck;
    if (c->xsrf_state) return TN_OK;
    if (tn_web_get_cookie(c->req, "_xsrf", &ck) == TN_OK && ck.len > 0 &&
        tn__web_xsrf_decode(ck, c->xsrf_raw, sizeof c->xsrf_raw, &c->xsrf_raw_len, &c->xsrf_ts) == TN_OK &&
        c->xsrf_raw_len > 0) {
        c->xsrf_state = 1;
        return TN_OK;
    }
    if (tn_random_bytes(c->xsrf_raw, 16) != TN_OK) return TN_ESYS;
    c->xsrf_raw_len = 16;
    c->xsrf_ts = (int64_t)time(NULL);
    c->xsrf_state = 2;
    return TN_OK;
}

TN_API tn_str tn_web_xsrf_token(tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    unsigned char mask[4], masked[64];
    char *d, *p;
    size_t i, cap;
    if (!c) return tn_str_make("", 0);
    if (c->xsrf.len) return c->xsrf;
    if (tn__web_xsrf_raw(c) != TN_OK || tn_random_bytes(mask, 4) != TN_OK) return tn_str_make("", 0);
    for (i = 0; i < c->xsrf_raw_len; i++) masked[i] = (unsigned char)(c->xsrf_raw[i] ^ mask[i % 4]);
    cap = 2 + 8 + 1 + 2 * c->xsrf_raw_len + 1 + 24;
    if (!(d = tn__web_scratch(c, cap))) return tn_str_make("", 0);
    p = d;
    memcpy(p, "2|", 2);
    p += 2;
    (void)tn_hex_encode(mask, 4, p, 9, NULL);
    p += 8;
    *p++ = '|';
    (void)tn_hex_encode(masked, c->xsrf_raw_len, p, 2 * c->xsrf_raw_len + 1, NULL);
    p += 2 * c->xsrf_raw_len;
    p += snprintf(p, 24, "|%lld", (long long)c->xsrf_ts);
    c->xsrf = tn_str_make(d, (size_t)(p - d));
    if (c->xsrf_state == 2 && !c->started) (void)tn__web_set_cookie(c, "_xsrf", c->xsrf, &c->app->opts.xsrf_cookie);
    return c->xsrf;
}

TN_API tn_str tn_web_xsrf_form_html(tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str tok = tn_web_xsrf_token(req);
    static const char a[] = "<input type=\"hidden\" name=\"_xsrf\" value=\"", b[] = "\"/>";
    size_t n;
    char *d;
    if (!c || !tok.len) return tn_str_make("", 0);
    /* the token is hex, digits and '|': nothing to escape */
    n = sizeof a - 1 + tok.len + sizeof b - 1;
    if (!(d = tn__web_scratch(c, n + 1))) return tn_str_make("", 0);
    memcpy(d, a, sizeof a - 1);
    memcpy(d + sizeof a - 1, tok.ptr, tok.len);
    memcpy(d + sizeof a - 1 + tok.len, b, sizeof b);
    return tn_str_make(d, n);
}

TN_API int tn_web_check_xsrf(tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str tok;
    unsigned char raw[64];
    size_t n = 0;
    int64_t ts;
    if (!c) return TN_EINVAL;
    if ((tn_web_get_argument(req, "_xsrf", &tok) != TN_OK || tok.len == 0) &&
        (tn_request_header(req, "X-Xsrftoken", &tok) != TN_OK || tok.len == 0) &&
        (tn_request_header(req, "X-Csrftoken", &tok) != TN_OK || tok.len == 0))
        return TN_EACCES;
    if (tn__web_xsrf_decode(tok, raw, sizeof raw, &n, &ts) != TN_OK || n == 0) return TN_EACCES;
    if (tn__web_xsrf_raw(c) != TN_OK) return TN_EACCES;
    if (!tn_ct_str_equal(tn_str_make((const char *)raw, n), tn_str_make((const char *)c->xsrf_raw, c->xsrf_raw_len)))
        return TN_EACCES;
    return TN_OK;
}

#endif /* TN_HAS_WEB */
/* <<web_cookie.c  end of src/web_cookie.c */

#endif /* TORNADO_IMPLEMENTATION */
