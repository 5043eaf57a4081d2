/* http_server.h: HTTP/1.1 server: keep-alive, pipelining, 100-continue, bodies, limits, timeouts. */
#ifndef TN_HTTP_SERVER_H
#define TN_HTTP_SERVER_H
#include "tcp.h"
#include "http_parse.h"

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
typedef struct tn_http_gzip_codec tn_http_gzip_codec;   /* opaque: see tn_http_gzip */

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
     gzip                the gzip codec for compress_response and decompress_request:
                         opts.gzip = tn_http_gzip(). Only a program that names tn_http_gzip
                         links the deflate codec (a server without gzip does not carry it);
                         NULL (the default) with either option on makes tn_http_server_new
                         fail with TN_EINVAL (under TORNADO_NO_DEFLATE tn_http_gzip() is NULL
                         and both options are ignored)
     compress_response   1: gzip responses for clients whose Accept-Encoding accepts gzip
                         (Tornado's compress_response; off by default as there), when the
                         Content-Type is compressible (tn_http_compressible_type), the status
                         is not 1xx/204/206/304, no Content-Encoding was set, and: tn_respond
                         bodies of TORNADO_GZIP_MIN_LENGTH (1024) bytes or more; streamed
                         responses started without a length (tn_response_start(..., -1)),
                         each tn_response_write compressed and flushed (a chunk the client
                         can decode at once). Adds Content-Encoding: gzip and Vary:
                         Accept-Encoding (merged with a Vary set), makes a strong ETag weak
                         (W/"..."), and frames the compressed bytes (Content-Length of the
                         gzip body, or chunked). The compressor is allocated per response from
                         the loop's allocator (tn_respond: for the call; streamed: until the
                         response ends): about 195 KiB at window 15, 27 KiB at 12 (deflate.h).
                         Needs the codec (not TORNADO_NO_DEFLATE: then ignored).
     compress_level      1..9; 0 = TORNADO_GZIP_LEVEL (6)
     compress_window_bits
                         9..15; 0 = TORNADO_GZIP_WINDOW_BITS (15). A whole response uses no
                         more window than its length needs. (Both unchecked and left 0 under
                         TORNADO_NO_DEFLATE, where compression is ignored.)
     decompress_request  1: request bodies with Content-Encoding: gzip (or x-gzip) are
                         inflated before the handler sees them, buffered or streamed (Tornado's
                         decompress_request): the field is renamed X-Consumed-Content-Encoding
                         (Content-Length stays the wire length), max_body_size applies to the
                         decoded size (413; streamed: TN_EBODY_TOO_LARGE to the body callback),
                         corrupt or truncated gzip is 400 (streamed: TN_EBAD_DEFLATE /
                         TN_EBAD_CHECKSUM). The inflater (about 46 KiB) lives while the body
                         is read. Concatenated gzip members are decoded one after the other.
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
    int compress_response;
    int compress_level;
    int compress_window_bits;
    int decompress_request;
    const tn_http_gzip_codec *gzip;
} tn_http_server_opts;

/* The gzip codec of compress_response / decompress_request (opts.gzip = tn_http_gzip()),
   a table of the server's compressing and inflating functions: naming it is what links the
   deflate codec into a program. NULL under TORNADO_NO_DEFLATE. */
TN_API const tn_http_gzip_codec *tn_http_gzip(void);

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
/* 1 if the request's Accept-Encoding fields accept this content coding ("gzip"), with the
   q-value rules of tn_http_accepts_coding; 0 otherwise (no Accept-Encoding: 0). */
TN_API int tn_request_accepts_coding(const tn_request *req, const char *coding);
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
