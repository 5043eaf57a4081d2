/* url.h: URLs (RFC 3986): parse, resolve, host:port, percent-escaping, query strings and forms. */
#ifndef TN_URL_H
#define TN_URL_H
#include "buf.h"

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
