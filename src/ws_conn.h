/* ws_conn.h: WebSocket connections (tn_ws): server upgrade, client connect, messages, ping/pong, close handshake. */
#ifndef TN_WS_CONN_H
#define TN_WS_CONN_H
#include "ws.h"
#include "tcp.h"
#include "http_server.h"
#include "tls.h"

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
   MEMORY: an idle server connection costs what an idle HTTP keep-alive connection does (its
   tn_ws lives in the stream's block; handler and options are shared by the loop's
   connections that have the same). A subprotocol, keepalive, send callbacks or
   compression add a small part of its own (kept until the connection goes); a frame or
   message that spans reads holds the parser until it is complete.
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
                             by SNI and verified against the certificate. Not used for ws://
     (a client masks each frame with a fresh key from the loop's random pool into one buffer
     of TORNADO_READ_CHUNK_SIZE bytes per loop, made at its first send: a frame up to that
     size leaves in one write)
   Both:
     compression             permessage-deflate (RFC 7692; needs the deflate codec, else
                             ignored): NULL = off (Tornado's compression_options None), a
                             zeroed tn_ws_deflate_opts = on with the defaults (level 6, our
                             window 2^TORNADO_WS_DEFLATE_WINDOW_BITS, context takeover).
                             A client offers it, a server accepts the first acceptable offer
                             (tn_ws_deflate_negotiate); an answer naming parameters we did
                             not offer fails the client's handshake (TN_EWS_HANDSHAKE).
                             Compressed messages: RSV1 on the first frame, fragments
                             compressed as one message, control frames never;
                             max_message_size applies to the decompressed size (a "zip bomb"
                             closes 1009 having held at most max_message_size bytes); corrupt
                             data closes 1007. Memory per compressed connection: see
                             tn_ws_compression_memory (about 73 KiB with the defaults). */
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
    const tn_ws_deflate_opts *compression;
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
/* permessage-deflate: 1 with *out (may be NULL) the agreed parameters when the connection
   compresses, else 0. */
TN_API int tn_ws_compression(const tn_ws *ws, tn_ws_deflate_params *out);
/* Bytes of memory the connection's compression holds now (codec states and buffers), 0
   without compression. */
TN_API size_t tn_ws_compression_memory(const tn_ws *ws);
/* The resolved options (server-only and client-only pointers are not kept: NULL). */
TN_API void tn_ws_get_opts(const tn_ws *ws, tn_ws_opts *out);

TN__END_DECLS
#endif /* TN_HAS_WEBSOCKET */

#endif /* TN_WS_CONN_H */
