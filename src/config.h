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
     TORNADO_NO_ETAG            off       the web layer computes no ETag (no SHA-1 of each whole
                                          200 GET/HEAD body, no 304 from If-None-Match against
                                          it); a handler's own ETag and static files' stay
     TORNADO_NO_DATE            off       the HTTP server sends no Date header (a device without
                                          a real-time clock: RFC 9110 6.6.1); no clock reads or
                                          date formatting per response
     TORNADO_NO_WEBSOCKET       off       leave out WebSocket (frame codec, handshake, server
                                          upgrade and client connections)
     TORNADO_NO_SIMD            off       portable loops instead of SSE2 (HTTP scanning, also its
                                          SSE4.2/AVX2 paths under -msse4.2/-mavx2; WebSocket masking)
     TORNADO_NO_FILESYSTEM      off       no file system: static files only from compiled-in
                                          asset tables (tn_static_serve_assets); no sendfile
     TORNADO_NO_RESOLVER        off       no name lookup (getaddrinfo): numeric addresses only,
                                          a name is TN_ERESOLVE (tn_resolver_add_override can
                                          still map one to an address); listening on every
                                          interface (host NULL) is 0.0.0.0, or :: with TN_AF_INET6
     TORNADO_NO_DEFLATE         off       leave out the inflate/deflate codec (gzip, zlib, raw)
     TORNADO_WITH_OPENSSL       off       TLS through OpenSSL 3 (link -lssl -lcrypto): https in
                                          the server, app and client, tn_stream_start_tls
     TORNADO_POLL_EPOLL         auto      force the epoll backend (Linux; default there)
     TORNADO_POLL_POLL          auto      force the poll() backend (default elsewhere)
     TORNADO_GENERIC_POSIX      off       on Linux, take the paths of macOS and the BSDs:
                                          poll, pipe wakeup, accept + fcntl, no MSG_NOSIGNAL
                                          (SIGPIPE ignored at loop creation if SIG_DFL), no
                                          sendfile, no POLLRDHUP (an idle stream peeks a byte
                                          to notice a peer that left); for testing
     TORNADO_PLATFORM_LWIP      off       firmware: lwIP's BSD sockets (lwip_* calls, lwip_poll,
                                          a loopback UDP wakeup); the application defines
                                          tn_port_now_ms() and tn_port_random() (platform.h);
                                          implies TORNADO_NO_THREADS and TORNADO_NO_FILESYSTEM
     TORNADO_LINE_DIRECTIVES    off       #line directives pointing into src/ (development)
     TN_ASSERT(x)               assert()  checks for programmer errors (never peer input)

   Footprint: built with -ffunction-sections -fdata-sections -Wl,--gc-sections, a program
   links only what it calls (gzip only with opts.gzip = tn_http_gzip(), the XSRF check only
   with tn_app_opts.xsrf_check): there the NO_WEBSOCKET/HTTP_CLIENT/DEFLATE/THREADS/WEB
   toggles change nothing for a program that does not use those parts (NO_THREADS: but the
   loop's wakeup fd, then opened by the first post or async handle), while NO_LOG (log calls
   and strings), NO_SIMD (the SSE4.2/AVX2 parser paths), NO_FILESYSTEM (sendfile, the
   stream's file segments) and NO_RESOLVER (getaddrinfo) shrink any server. make size prints the figures (README: Footprint).

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
     TORNADO_GZIP_MIN_LENGTH             1024         whole responses shorter are not gzipped
     TORNADO_GZIP_LEVEL                  6            compress_response deflate level (Tornado's)
     TORNADO_GZIP_WINDOW_BITS            15           compress_response window (2^15 = 32 KiB)
     TORNADO_MAX_WS_MESSAGE              10485760     WebSocket message (10 MiB, Tornado's) → 1009
     TORNADO_WS_CLOSE_TIMEOUT_MS         5000         wait for the peer's close frame (Tornado's 5 s)
     TORNADO_WS_PING_TIMEOUT_MS          30000        least default ping timeout (Tornado's: max(3 ×
                                                      ping interval, 30 s))
     TORNADO_WS_MAX_RESPONSE_HEADERS     32           header fields of a WebSocket client's 101
     TORNADO_WS_DEFLATE_WINDOW_BITS      12           permessage-deflate: our compressor's window
                                                      (2^bits bytes; its state: 27 KiB at 12, 195
                                                      KiB at 15, 7.8 KiB at 8) when the options
                                                      say 0
     TORNADO_TLS_HANDSHAKE_TIMEOUT_MS    10000        a TLS handshake must finish within this

   ALLOCATOR
   ---------
   tn_loop_opts.allocator = { alloc, realloc, free, user }: every object of that loop
   allocates through it (all NULL = libc; a partial set is TN_EINVAL). Out of memory is
   TN_ENOMEM for the operation that needed memory, never a crash. With threads, post() and
   the threaded resolver may call the allocator from other threads.
   TLS: our part (contexts, each connection's state, ciphertext the socket did not take
   yet) goes through the loop's allocator; OpenSSL's own memory does not. OpenSSL has one
   process-wide allocator (CRYPTO_set_mem_functions, which works only before its first
   allocation) and a loop's allocator is per loop, so tornado.h leaves it alone. An idle
   TLS connection holds about 13-14 KB of OpenSSL memory (the SSL object, its cipher
   states and session; record buffers are released while idle) besides the ~0.4 KB of
   ours. To count or cap it, call CRYPTO_set_mem_functions at the start of main.

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

   INSIDE ANOTHER LOOP  (a game engine, a GUI toolkit, an RTOS superloop owns the wait)
   -------------------
   Before each wait: ms = tn_loop_next_timeout(loop) (0 now, -1 no timer); wait on the
   fds tn_loop_poll_fds lists (or tn_loop_backend_fd: the epoll fd) for at most ms; then
   tn_loop_run_once(loop, 0), which processes what is ready and never blocks.

   PLATFORMS AND STATE
   -------------------
   Built and tested on Linux (epoll and poll backends), gcc and clang, C99 and C++.
   macOS and the BSDs use the poll() backend; their code paths are tested on Linux with
   TORNADO_GENERIC_POSIX. No kqueue backend. Windows (Vista+): WSAPoll, link ws2_32 and
   bcrypt, no pthreads needed; a tn_socket is the SOCKET (uintptr_t); each loop owns a
   WSAStartup reference; static files through CreateFileW/ReadFile (no sendfile); no unix
   sockets, pipes or fork_processes there. Cross-built with mingw-w64 and tested under wine.
   Firmware (TORNADO_PLATFORM_LWIP): lwIP's socket API with an RTOS (NO_SYS=0; lwipopts.h:
   LWIP_SOCKET, LWIP_SOCKET_POLL, LWIP_NETIF_LOOPBACK), the port hooks tn_port_now_ms and
   tn_port_random defined by the application, wall-clock time from the C library's time();
   no threads, file system, pipes, unix sockets or fork_processes. Built and linked for a
   Cortex-M4 (examples/firmware/firmware.c), and run by the tests on the host's lwIP over a
   tap device (tests/test_lwip_unix.py).

   GZIP
   ----
   Tornado's compress_response and decompress_request are options of tn_http_server_opts
   (tn_app_opts.server for an app), with the codec they use named in opts.gzip =
   tn_http_gzip() (only a program that names it links deflate; either option without it
   makes tn_http_server_new fail with TN_EINVAL): compress_response = 1 gzips answers of compressible
   types (text, JSON, JS, SVG, XML...) for clients that accept gzip, whole ones of 1 KiB or
   more (TORNADO_GZIP_MIN_LENGTH) and streamed ones chunk by chunk; decompress_request = 1
   inflates gzip request bodies, with max_body_size on the decoded size. Static files:
   tn_static_opts.precompressed serves "<file>.gz" siblings; tools/embed_assets.py --gzip
   stores compiled-in assets compressed. The HTTP client decodes gzip and deflate by
   default (no_decompress turns it off). Memory: see http_server.h and deflate.h.

   WebSocket permessage-deflate: tn_ws_opts.compression (NULL = off, as Tornado's
   compression_options None; a zeroed tn_ws_deflate_opts = on: level 6, our window
   2^TORNADO_WS_DEFLATE_WINDOW_BITS, context takeover). Memory per compressed connection
   with the defaults: about 83 KiB (decompressor 46 KiB at the peer's 32 KiB window,
   compressor 27 KiB, buffers); small devices: level 1, window_bits 9-10, max_window_bits 9
   (asks the peer for 512 B: a client always can, a server when the client offers
   client_max_window_bits) give about 33 KiB.
*/
/* The implementation needs POSIX and a few GNU calls (accept4, pipe2). Ask glibc for them
   when the includer has not; this works when tornado.h comes before any system header in
   the file that defines TORNADO_IMPLEMENTATION (or compile with -D_GNU_SOURCE). */
#if defined(TORNADO_IMPLEMENTATION) && defined(__linux__) && !defined(_GNU_SOURCE)
#  define _GNU_SOURCE 1
#endif
/* Windows: the implementation needs Vista's Winsock (WSAPoll, inet_ntop) and the lean
   <windows.h> (no winsock 1); set before any system header, like _GNU_SOURCE above. */
#if defined(TORNADO_IMPLEMENTATION) && defined(_WIN32)
#  if !defined(_WIN32_WINNT) || _WIN32_WINNT < 0x0600
#    undef _WIN32_WINNT
#    define _WIN32_WINNT 0x0600
#  endif
#  if !defined(WIN32_LEAN_AND_MEAN)
#    define WIN32_LEAN_AND_MEAN 1
#  endif
#endif

#ifndef TORNADO_VERSION
#define TORNADO_VERSION_MAJOR 0
#define TORNADO_VERSION_MINOR 1
#define TORNADO_VERSION_PATCH 0
#define TORNADO_VERSION "0.1.0"
#endif

/* ---- feature toggles → internal 0/1 macros (only these are tested in code) ---- */
/* The firmware port (TORNADO_PLATFORM_LWIP): lwIP's BSD sockets, no threads, no file system. */
#if defined(TORNADO_PLATFORM_LWIP)
#  define TN__LWIP 1
#else
#  define TN__LWIP 0
#endif

#if defined(TORNADO_NO_RESOLVER)
#  define TN_HAS_RESOLVER 0
#else
#  define TN_HAS_RESOLVER 1
#endif

#if defined(TORNADO_NO_THREADS) || TN__LWIP   /* lwIP: one loop task, no pthreads */
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

#if defined(TORNADO_NO_ETAG)
#  define TN_HAS_ETAG 0
#else
#  define TN_HAS_ETAG 1
#endif

#if defined(TORNADO_NO_DATE)
#  define TN_HAS_DATE 0
#else
#  define TN_HAS_DATE 1
#endif

#if defined(TORNADO_NO_WEBSOCKET)
#  define TN_HAS_WEBSOCKET 0
#else
#  define TN_HAS_WEBSOCKET 1
#endif

#if defined(TORNADO_NO_FILESYSTEM) || TN__LWIP   /* firmware: asset tables only */
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

/* ---- platform: Linux's extras, or the generic POSIX paths ----
   TORNADO_GENERIC_POSIX makes a Linux build take the paths every other POSIX system takes
   (macOS, the BSDs): poll backend, a pipe wakeup, accept + fcntl, no MSG_NOSIGNAL, read +
   write instead of sendfile, no POLLRDHUP, /dev/urandom. make test runs the suite so. */
#if defined(TORNADO_PLATFORM_LWIP) && (defined(_WIN32) || defined(TORNADO_GENERIC_POSIX))
#  error "tornado.h: TORNADO_PLATFORM_LWIP replaces the system's sockets: not with _WIN32 or TORNADO_GENERIC_POSIX"
#endif
#if defined(__linux__) && !defined(TORNADO_GENERIC_POSIX) && !TN__LWIP
#  define TN__LINUX 1
#else
#  define TN__LINUX 0
#endif

/* ---- poller backend: autodetect, or forced by TORNADO_POLL_* ---- */
#if defined(TORNADO_POLL_EPOLL) && defined(TORNADO_POLL_POLL)
#  error "tornado.h: define at most one TORNADO_POLL_* backend"
#endif
#if defined(TORNADO_POLL_EPOLL)
#  if !TN__LINUX
#    error "tornado.h: TORNADO_POLL_EPOLL needs Linux (and not TORNADO_GENERIC_POSIX or TORNADO_PLATFORM_LWIP)"
#  endif
#  define TN__POLL_EPOLL 1
#  define TN__POLL_POLL 0
#elif defined(_WIN32)
#  define TN__POLL_EPOLL 0   /* Windows: always WSAPoll (poll_poll.c) */
#  define TN__POLL_POLL 0
#elif defined(TORNADO_POLL_POLL)
#  define TN__POLL_EPOLL 0
#  define TN__POLL_POLL 1
#elif TN__LINUX
#  define TN__POLL_EPOLL 1
#  define TN__POLL_POLL 0
#else
#  define TN__POLL_EPOLL 0
#  define TN__POLL_POLL 1
#endif

#if defined(_WIN32)
#  define TN__POLL_WSAPOLL 1
#else
#  define TN__POLL_WSAPOLL 0
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
/* http server compress_response (gzip): a whole response (tn_respond) shorter than this is
   sent as is (Tornado's GZipContentEncoding.MIN_LENGTH); streamed ones are always compressed. */
#ifndef TORNADO_GZIP_MIN_LENGTH
#define TORNADO_GZIP_MIN_LENGTH 1024u
#endif
/* http server compress_response: deflate level (Tornado's 6) and window bits (zlib's 15:
   a streamed response's compressor takes 195 KiB at 15, 27 KiB at 12; see deflate.h) when
   the options say 0. */
#ifndef TORNADO_GZIP_LEVEL
#define TORNADO_GZIP_LEVEL 6
#endif
#ifndef TORNADO_GZIP_WINDOW_BITS
#define TORNADO_GZIP_WINDOW_BITS 15
#endif
/* ws: largest WebSocket message payload when a parser says 0 (Tornado: 10 MiB; beyond:
   TN_EWS_TOO_BIG, close 1009). */
#ifndef TORNADO_MAX_WS_MESSAGE
#define TORNADO_MAX_WS_MESSAGE 10485760u
#endif
/* ws: permessage-deflate, the window our compressor uses when tn_ws_deflate_opts says 0
   (8..15; memory per compressed connection: see tn_ws_deflate_opts and deflate.h). */
#ifndef TORNADO_WS_DEFLATE_WINDOW_BITS
#define TORNADO_WS_DEFLATE_WINDOW_BITS 12
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
