/* http_parse.h: HTTP/1.1 request/response parser, framing rules, chunked codec, header utilities (no I/O). */
#ifndef TN_HTTP_PARSE_H
#define TN_HTTP_PARSE_H
#include "base.h"

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
   long as that buffer is unchanged. Once a call has returned anything but TN_EINCOMPLETE
   (a complete head or an error), the struct is ready for the next message as it is: no
   zeroing needed, the next call starts afresh and overwrites every output. To abandon a parse
   that is still incomplete, zero the struct again (or call tn_http_request_reset, which keeps
   the inputs). */
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
   HEAD/CONNECT), which decides the body framing. Outputs point into the parsed buffer. Reuse
   after a complete head or an error as for tn_http_request. */
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
