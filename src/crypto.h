/* crypto.h: SHA-1, SHA-256, HMAC, constant-time compare, base64, hex, UTF-8 validation, random bytes. */
#ifndef TN_CRYPTO_H
#define TN_CRYPTO_H
#include "base.h"

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
