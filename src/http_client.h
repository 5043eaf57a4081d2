/* http_client.h: async HTTP/1.1 client: fetch, keep-alive pool, redirects, timeouts, streaming, proxies. */
#ifndef TN_HTTP_CLIENT_H
#define TN_HTTP_CLIENT_H
#include "tcp.h"
#include "http_parse.h"

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
