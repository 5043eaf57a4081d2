/* http_cookie.h: Cookie header parsing, Set-Cookie formatting, Tornado signed values (v2), HTTP Basic auth. */
#ifndef TN_HTTP_COOKIE_H
#define TN_HTTP_COOKIE_H
#include "crypto.h"

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
