/* http_util.h: header parameters, HTTP dates, Range, status reasons, HTML/JSON escaping. */
#ifndef TN_HTTP_UTIL_H
#define TN_HTTP_UTIL_H
#include "buf.h"

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
   Content codings (gzip responses): Accept-Encoding and compressible types
   ====================================================================================== */

/* 1 if an Accept-Encoding field value accepts `coding` ("gzip"), else 0. The list is
   "coding;q=v" entries (RFC 9110 12.5.3): the coding's own entry decides (q=0 refuses it;
   "x-gzip" counts as "gzip"), else a "*" entry does; a coding not named is refused (the
   empty value and "identity" accept nothing else). q is parsed as 0.000 .. 1 (a malformed
   q counts as 0). */
TN_API int tn_http_accepts_coding(tn_str accept_encoding, const char *coding);

/* 1 if a response of this Content-Type is worth compressing (Tornado's
   GZipContentEncoding list): text/ (any subtype), application/javascript, application/x-javascript,
   application/xml, application/atom+xml, application/json, application/xhtml+xml,
   image/svg+xml, and any type ending in +json or +xml. Parameters (";charset=...") and
   case are ignored. */
TN_API int tn_http_compressible_type(tn_str content_type);

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
