/* ws.h: WebSocket (RFC 6455) frame codec, close payloads and handshake helpers, pure (no I/O). */
#ifndef TN_WS_H
#define TN_WS_H
#include "base.h"
#include "crypto.h"
#include "http_parse.h"

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
   (TN_EWS_PROTOCOL), 1007 (TN_EWS_BAD_UTF8, TN_EBAD_ENCODING, TN_EBAD_DEFLATE: a compressed
   message that does not decode), 1009 (TN_EWS_TOO_BIG), 1011
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

/* ---- permessage-deflate (RFC 7692) negotiation -------------------------------------------
   Pure text work over Sec-WebSocket-Extensions, usable without tn_ws: a server picks the
   first acceptable offer (tn_ws_deflate_negotiate) and writes its answer
   (tn_ws_deflate_format); a client writes its offer (tn_ws_deflate_offer) and checks the
   answer (tn_ws_deflate_check_response). The compression itself is tn_ws's (ws_conn.h),
   built only with the deflate codec (TN_HAS_DEFLATE). */

/* tn_ws_deflate_opts: our side's wishes, the same struct for a server and a client
   (tn_ws_opts.compression: NULL = no compression, Tornado's compression_options None; a
   zeroed struct = on with the defaults, Tornado's empty dict).
     level               1 (fast) .. 9 (small); 0 = 6 (Tornado's compression_level)
     window_bits         8..15, 0 = TORNADO_WS_DEFLATE_WINDOW_BITS (12): the window our
                         compressor uses (its memory: deflate.h's table, 27 KiB at 12,
                         195 KiB at 15); lowered to what the peer allows
     max_window_bits     9..15, 0 = 15: the largest window we let the peer compress with
                         (our decompressor holds 2^bits + 14 KiB). A client asks for it
                         (server_max_window_bits); a server can only when the client
                         offered client_max_window_bits (else the peer may use 32 KiB)
     no_context_takeover 1: our compressor forgets its history after every message
                         (declared: server_no_context_takeover / client_no_context_takeover)
     peer_no_context_takeover 1: ask the peer to do the same (a client asks with
                         server_no_context_takeover, a server answers with
                         client_no_context_takeover); our decompressor then starts afresh
                         for every message */
typedef struct tn_ws_deflate_opts {
    int level;
    int window_bits;
    int max_window_bits;
    int no_context_takeover;
    int peer_no_context_takeover;
} tn_ws_deflate_opts;

/* tn_ws_deflate_params: what was agreed (a value type). Window bits are 8..15; 15 when the
   parameter was not named. *_named: the parameter appeared (client_max_window_bits may
   appear without a value in an offer: it then means "the client supports it"). */
typedef struct tn_ws_deflate_params {
    int server_no_context_takeover;
    int client_no_context_takeover;
    int server_max_window_bits;
    int client_max_window_bits;
    int server_max_window_bits_named;
    int client_max_window_bits_named;
} tn_ws_deflate_params;

/* Parse one "permessage-deflate" element's parameters (ext from tn_ws_parse_extensions).
   Returns: TN_OK; TN_EINVAL (not permessage-deflate; an unknown or repeated parameter; a
   window size that is not 8..15 in decimal without leading zeros, missing where required;
   a *_no_context_takeover with a value). */
TN_API int tn_ws_deflate_parse(const tn_ws_extension *ext, tn_ws_deflate_params *out);

/* Server: the first permessage-deflate offer in offers[0..n) (the client's order) whose
   parameters are all valid and supported, answered as o asks (o NULL = defaults):
   server_max_window_bits offered → ours is min(offer, o->window_bits); client_max_window_bits
   offered → min(offer or 15, o->max_window_bits) (a client that did not offer it may use
   32 KiB); server_no_context_takeover offered or o->no_context_takeover → declared;
   o->peer_no_context_takeover → client_no_context_takeover (the client's own
   client_no_context_takeover is only a hint, not echoed). *out is the answer.
   Returns: TN_OK; TN_ENOENT (no acceptable offer: go on without compression). */
TN_API int tn_ws_deflate_negotiate(const tn_ws_deflate_opts *o, const tn_ws_extension *offers, size_t n,
                                   tn_ws_deflate_params *out);

/* Server: the Sec-WebSocket-Extensions value for an answer ("permessage-deflate" and the
   parameters that differ from the defaults) into out[0..cap) with a NUL.
   Returns: the length; TN_EBUFFER_FULL (128 bytes always suffice). */
TN_API int tn_ws_deflate_format(const tn_ws_deflate_params *p, char *out, size_t cap);

/* Client: the offer for o (NULL = defaults) into out[0..cap) with a NUL: always
   client_max_window_bits (we accept any window the server picks for us), and
   server_max_window_bits / server_no_context_takeover / client_no_context_takeover as o
   asks. Returns: the length; TN_EBUFFER_FULL (128 bytes suffice); TN_EINVAL (bad option). */
TN_API int tn_ws_deflate_offer(const tn_ws_deflate_opts *o, char *out, size_t cap);

/* Client: check the server's answer exts[0..n) (from tn_ws_parse_extensions over the
   response; n = 0: compression declined, *out untouched, TN_ENOENT) against the offer made
   with o. Fails (RFC 7692 §7.1) on: another extension or a second element; an invalid or
   unknown parameter; client_max_window_bits when the offer did not name it (ours always
   does) ; server_max_window_bits above what we asked; a server that ignored our
   server_no_context_takeover. Returns: TN_OK (*out agreed); TN_ENOENT; TN_EWS_HANDSHAKE. */
TN_API int tn_ws_deflate_check_response(const tn_ws_deflate_opts *o, const tn_ws_extension *exts, size_t n,
                                        tn_ws_deflate_params *out);

TN__END_DECLS
#endif /* TN_HAS_WEBSOCKET */

#endif /* TN_WS_H */
