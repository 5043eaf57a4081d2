/* crypto.c: SHA-1, SHA-256, HMAC, constant-time compare, base64, hex, UTF-8 validation, random bytes. */
#include "crypto.h"
#include "internal.h"

/* ---- byte order helpers (the compiler turns these into single loads / bswaps) ---- */
TN__PRIVATE uint32_t tn__cr_load_be32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

TN__PRIVATE void tn__cr_store_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

TN__PRIVATE void tn__cr_store_be64(unsigned char *p, uint64_t v) {
    tn__cr_store_be32(p, (uint32_t)(v >> 32));
    tn__cr_store_be32(p + 4, (uint32_t)v);
}

#define TN__CR_ROTL32(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define TN__CR_ROTR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* Wipe memory the optimiser may not remove (key material). */
TN__PRIVATE void tn__cr_wipe(void *p, size_t n) {
    volatile unsigned char *v = (volatile unsigned char *)p;
    while (n--) *v++ = 0;
}

/* ======================================================================================
   SHA-1 (FIPS 180-4 section 6.1). The message schedule is kept in a 16-word ring. */
/* SHA-1 and SHA-256 buffer input and pad the same way (64-byte blocks, big-endian bit
   length); only the block function and the digest width differ. */
typedef void (*tn__md_blocks_fn)(uint32_t *h, const unsigned char *p, size_t nblocks);

TN__PRIVATE void tn__md_update(uint32_t *h, unsigned char buf[64], size_t *nbuf, uint64_t *len,
                               tn__md_blocks_fn blocks, const unsigned char *p, size_t n) {
    if (n == 0) return;
    *len += n;
    if (*nbuf) {
        size_t take = TN__MIN(n, 64 - *nbuf);
        memcpy(buf + *nbuf, p, take);
        *nbuf += take;
        p += take;
        n -= take;
        if (*nbuf < 64) return;
        blocks(h, buf, 1);
        *nbuf = 0;
    }
    if (n >= 64) {
        blocks(h, p, n / 64);
        p += n & ~(size_t)63;
        n &= 63;
    }
    if (n) {
        memcpy(buf, p, n);
        *nbuf = n;
    }
}

TN__PRIVATE void tn__md_final(uint32_t *h, unsigned char buf[64], size_t *nbuf, uint64_t len,
                              tn__md_blocks_fn blocks, int words, unsigned char *out) {
    int i;
    buf[(*nbuf)++] = 0x80;
    if (*nbuf > 56) {
        memset(buf + *nbuf, 0, 64 - *nbuf);
        blocks(h, buf, 1);
        *nbuf = 0;
    }
    memset(buf + *nbuf, 0, 56 - *nbuf);
    tn__cr_store_be64(buf + 56, len * 8);
    blocks(h, buf, 1);
    for (i = 0; i < words; i++) tn__cr_store_be32(out + 4 * i, h[i]);
    *nbuf = 0;
}

TN__PRIVATE void tn__sha1_blocks(uint32_t h[5], const unsigned char *p, size_t nblocks) {
    uint32_t w[16];
    while (nblocks--) {
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], t;
        int i;
        for (i = 0; i < 16; i++) w[i] = tn__cr_load_be32(p + 4 * i);
        for (i = 0; i < 80; i++) {
            uint32_t f, k;
            if (i >= 16) {
                uint32_t x = w[(i + 13) & 15] ^ w[(i + 8) & 15] ^ w[(i + 2) & 15] ^ w[i & 15];
                w[i & 15] = TN__CR_ROTL32(x, 1);
            }
            if (i < 20) {
                f = (b & c) | (~b & d);
                k = 0x5a827999u;
            } else if (i < 40) {
                f = b ^ c ^ d;
                k = 0x6ed9eba1u;
            } else if (i < 60) {
                f = (b & c) | (b & d) | (c & d);
                k = 0x8f1bbcdcu;
            } else {
                f = b ^ c ^ d;
                k = 0xca62c1d6u;
            }
            t = TN__CR_ROTL32(a, 5) + f + e + k + w[i & 15];
            e = d;
            d = c;
            c = TN__CR_ROTL32(b, 30);
            b = a;
            a = t;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
        p += 64;
    }
}

TN_API void tn_sha1_init(tn_sha1_ctx *ctx) {
    ctx->_h[0] = 0x67452301u;
    ctx->_h[1] = 0xefcdab89u;
    ctx->_h[2] = 0x98badcfeu;
    ctx->_h[3] = 0x10325476u;
    ctx->_h[4] = 0xc3d2e1f0u;
    ctx->_len = 0;
    ctx->_nbuf = 0;
}

TN_API void tn_sha1_update(tn_sha1_ctx *ctx, const void *data, size_t n) {
    tn__md_update(ctx->_h, ctx->_buf, &ctx->_nbuf, &ctx->_len, tn__sha1_blocks, (const unsigned char *)data, n);
}

TN_API void tn_sha1_final(tn_sha1_ctx *ctx, unsigned char out[TN_SHA1_SIZE]) {
    tn__md_final(ctx->_h, ctx->_buf, &ctx->_nbuf, ctx->_len, tn__sha1_blocks, 5, out);
}

TN_API void tn_sha1(const void *data, size_t n, unsigned char out[TN_SHA1_SIZE]) {
    tn_sha1_ctx c;
    tn_sha1_init(&c);
    tn_sha1_update(&c, data, n);
    tn_sha1_final(&c, out);
}

/* ======================================================================================
   SHA-256 (FIPS 180-4 section 6.2). Rounds are unrolled by eight with rotating variable
   names, so no register shuffling is needed. */
static const uint32_t tn__sha256_k[64] = {
    0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u,
    0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
    0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
    0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
    0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu,
    0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
    0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u,
    0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
    0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
    0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
    0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u,
    0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
    0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u,
    0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
    0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
    0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

#define TN__S256_S0(x) (TN__CR_ROTR32(x, 2) ^ TN__CR_ROTR32(x, 13) ^ TN__CR_ROTR32(x, 22))
#define TN__S256_S1(x) (TN__CR_ROTR32(x, 6) ^ TN__CR_ROTR32(x, 11) ^ TN__CR_ROTR32(x, 25))
#define TN__S256_G0(x) (TN__CR_ROTR32(x, 7) ^ TN__CR_ROTR32(x, 18) ^ ((x) >> 3))
#define TN__S256_G1(x) (TN__CR_ROTR32(x, 17) ^ TN__CR_ROTR32(x, 19) ^ ((x) >> 10))
#define TN__S256_CH(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define TN__S256_MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
/* One round i with working variables named in rotated order. */
#define TN__S256_ROUND(a, b, c, d, e, f, g, h, i)                                             \
    do {                                                                                      \
        uint32_t t1_ = (h) + TN__S256_S1(e) + TN__S256_CH(e, f, g) + tn__sha256_k[i] + w[i];  \
        uint32_t t2_ = TN__S256_S0(a) + TN__S256_MAJ(a, b, c);                                \
        (d) += t1_;                                                                           \
        (h) = t1_ + t2_;                                                                      \
    } while (0)

TN__PRIVATE void tn__sha256_blocks(uint32_t st[8], const unsigned char *p, size_t nblocks) {
    uint32_t w[64];
    while (nblocks--) {
        uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
        int i;
        for (i = 0; i < 16; i++) w[i] = tn__cr_load_be32(p + 4 * i);
        for (i = 16; i < 64; i++)
            w[i] = TN__S256_G1(w[i - 2]) + w[i - 7] + TN__S256_G0(w[i - 15]) + w[i - 16];
        for (i = 0; i < 64; i += 8) {
            TN__S256_ROUND(a, b, c, d, e, f, g, h, i + 0);
            TN__S256_ROUND(h, a, b, c, d, e, f, g, i + 1);
            TN__S256_ROUND(g, h, a, b, c, d, e, f, i + 2);
            TN__S256_ROUND(f, g, h, a, b, c, d, e, i + 3);
            TN__S256_ROUND(e, f, g, h, a, b, c, d, i + 4);
            TN__S256_ROUND(d, e, f, g, h, a, b, c, i + 5);
            TN__S256_ROUND(c, d, e, f, g, h, a, b, i + 6);
            TN__S256_ROUND(b, c, d, e, f, g, h, a, i + 7);
        }
        st[0] += a;
        st[1] += b;
        st[2] += c;
        st[3] += d;
        st[4] += e;
        st[5] += f;
        st[6] += g;
        st[7] += h;
        p += 64;
    }
}

TN_API void tn_sha256_init(tn_sha256_ctx *ctx) {
    ctx->_h[0] = 0x6a09e667u;
    ctx->_h[1] = 0xbb67ae85u;
    ctx->_h[2] = 0x3c6ef372u;
    ctx->_h[3] = 0xa54ff53au;
    ctx->_h[4] = 0x510e527fu;
    ctx->_h[5] = 0x9b05688cu;
    ctx->_h[6] = 0x1f83d9abu;
    ctx->_h[7] = 0x5be0cd19u;
    ctx->_len = 0;
    ctx->_nbuf = 0;
}

TN_API void tn_sha256_update(tn_sha256_ctx *ctx, const void *data, size_t n) {
    tn__md_update(ctx->_h, ctx->_buf, &ctx->_nbuf, &ctx->_len, tn__sha256_blocks, (const unsigned char *)data, n);
}

TN_API void tn_sha256_final(tn_sha256_ctx *ctx, unsigned char out[TN_SHA256_SIZE]) {
    tn__md_final(ctx->_h, ctx->_buf, &ctx->_nbuf, ctx->_len, tn__sha256_blocks, 8, out);
}

TN_API void tn_sha256(const void *data, size_t n, unsigned char out[TN_SHA256_SIZE]) {
    tn_sha256_ctx c;
    tn_sha256_init(&c);
    tn_sha256_update(&c, data, n);
    tn_sha256_final(&c, out);
}

/* ======================================================================================
   HMAC (RFC 2104): H((K ^ opad) || H((K ^ ipad) || m)). Both hash states are primed with
   their padded key block at init, so update/final are plain hash calls. */
TN_API void tn_hmac_sha256_init(tn_hmac_sha256_ctx *ctx, const void *key, size_t key_len) {
    unsigned char k[64], pad[64];
    size_t i;
    memset(k, 0, sizeof k);
    if (key_len > 64) tn_sha256(key, key_len, k);
    else if (key_len) memcpy(k, key, key_len);
    for (i = 0; i < 64; i++) pad[i] = (unsigned char)(k[i] ^ 0x36);
    tn_sha256_init(&ctx->_inner);
    tn_sha256_update(&ctx->_inner, pad, 64);
    for (i = 0; i < 64; i++) pad[i] = (unsigned char)(k[i] ^ 0x5c);
    tn_sha256_init(&ctx->_outer);
    tn_sha256_update(&ctx->_outer, pad, 64);
    tn__cr_wipe(k, sizeof k);
    tn__cr_wipe(pad, sizeof pad);
}

TN_API void tn_hmac_sha256_update(tn_hmac_sha256_ctx *ctx, const void *data, size_t n) {
    tn_sha256_update(&ctx->_inner, data, n);
}

TN_API void tn_hmac_sha256_final(tn_hmac_sha256_ctx *ctx, unsigned char out[TN_SHA256_SIZE]) {
    unsigned char ih[TN_SHA256_SIZE];
    tn_sha256_final(&ctx->_inner, ih);
    tn_sha256_update(&ctx->_outer, ih, sizeof ih);
    tn_sha256_final(&ctx->_outer, out);
    tn__cr_wipe(ctx, sizeof *ctx);
}

TN_API void tn_hmac_sha256(const void *key, size_t key_len, const void *data, size_t n,
                           unsigned char out[TN_SHA256_SIZE]) {
    tn_hmac_sha256_ctx c;
    tn_hmac_sha256_init(&c, key, key_len);
    tn_hmac_sha256_update(&c, data, n);
    tn_hmac_sha256_final(&c, out);
}

TN_API void tn_hmac_sha1_init(tn_hmac_sha1_ctx *ctx, const void *key, size_t key_len) {
    unsigned char k[64], pad[64];
    size_t i;
    memset(k, 0, sizeof k);
    if (key_len > 64) tn_sha1(key, key_len, k);
    else if (key_len) memcpy(k, key, key_len);
    for (i = 0; i < 64; i++) pad[i] = (unsigned char)(k[i] ^ 0x36);
    tn_sha1_init(&ctx->_inner);
    tn_sha1_update(&ctx->_inner, pad, 64);
    for (i = 0; i < 64; i++) pad[i] = (unsigned char)(k[i] ^ 0x5c);
    tn_sha1_init(&ctx->_outer);
    tn_sha1_update(&ctx->_outer, pad, 64);
    tn__cr_wipe(k, sizeof k);
    tn__cr_wipe(pad, sizeof pad);
}

TN_API void tn_hmac_sha1_update(tn_hmac_sha1_ctx *ctx, const void *data, size_t n) {
    tn_sha1_update(&ctx->_inner, data, n);
}

TN_API void tn_hmac_sha1_final(tn_hmac_sha1_ctx *ctx, unsigned char out[TN_SHA1_SIZE]) {
    unsigned char ih[TN_SHA1_SIZE];
    tn_sha1_final(&ctx->_inner, ih);
    tn_sha1_update(&ctx->_outer, ih, sizeof ih);
    tn_sha1_final(&ctx->_outer, out);
    tn__cr_wipe(ctx, sizeof *ctx);
}

TN_API void tn_hmac_sha1(const void *key, size_t key_len, const void *data, size_t n,
                         unsigned char out[TN_SHA1_SIZE]) {
    tn_hmac_sha1_ctx c;
    tn_hmac_sha1_init(&c, key, key_len);
    tn_hmac_sha1_update(&c, data, n);
    tn_hmac_sha1_final(&c, out);
}

/* ======================================================================================
   Constant-time comparison: OR together every difference, branch only at the end. */
TN_API int tn_ct_equal(const void *a, const void *b, size_t n) {
    const volatile unsigned char *x = (const volatile unsigned char *)a;
    const volatile unsigned char *y = (const volatile unsigned char *)b;
    unsigned diff = 0;
    size_t i;
    for (i = 0; i < n; i++) diff |= (unsigned)(x[i] ^ y[i]);
    return (int)(1 & ((diff - 1) >> 8));
}

TN_API int tn_ct_str_equal(tn_str a, tn_str b) {
    if (a.len != b.len) return 0;
    if (a.len == 0) return 1;
    return tn_ct_equal(a.ptr, b.ptr, a.len);
}

/* ======================================================================================
   base64 (RFC 4648 sections 4 and 5). */
static const char tn__b64_std[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char tn__b64_url[65] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The value (0..63) of c in the alphabet, or -1. Branches on the character class only,
   so no table needs initialising (and the function is thread-safe). */
TN__PRIVATE int tn__b64_value(unsigned char c, int url) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (url) {
        if (c == '-') return 62;
        if (c == '_') return 63;
    } else {
        if (c == '+') return 62;
        if (c == '/') return 63;
    }
    return -1;
}

TN_API size_t tn_base64_encoded_size(size_t n, int flags) {
    size_t full = n / 3, rem = n % 3;
    if (full > (((size_t)-1) - 4) / 4) return (size_t)-1;
    if (rem == 0) return full * 4;
    if (flags & TN_BASE64_NOPAD) return full * 4 + rem + 1;
    return full * 4 + 4;
}

TN_API size_t tn_base64_decoded_max(size_t n) { return (n / 4) * 3 + ((n % 4) ? 3 : 0); }

TN_API int tn_base64_encode(const void *src, size_t n, char *out, size_t cap, size_t *out_len,
                            int flags) {
    const unsigned char *p = (const unsigned char *)src;
    const char *al;
    size_t need, i, o = 0;
    if (flags & ~(TN_BASE64_URL | TN_BASE64_NOPAD)) return TN_EINVAL;
    al = (flags & TN_BASE64_URL) ? tn__b64_url : tn__b64_std;
    need = tn_base64_encoded_size(n, flags);
    if (out_len) *out_len = need;
    if (need == (size_t)-1 || cap < need) return TN_EBUFFER_FULL;
    for (i = 0; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
        out[o++] = al[v >> 18];
        out[o++] = al[(v >> 12) & 63];
        out[o++] = al[(v >> 6) & 63];
        out[o++] = al[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        out[o++] = al[v >> 18];
        out[o++] = al[(v >> 12) & 63];
        if (!(flags & TN_BASE64_NOPAD)) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8);
        out[o++] = al[v >> 18];
        out[o++] = al[(v >> 12) & 63];
        out[o++] = al[(v >> 6) & 63];
        if (!(flags & TN_BASE64_NOPAD)) out[o++] = '=';
    }
    if (o < cap) out[o] = '\0';
    return TN_OK;
}

TN_API int tn_base64_decode(const char *src, size_t n, void *out, size_t cap, size_t *out_len,
                            int flags) {
    const unsigned char *p = (const unsigned char *)src;
    unsigned char *q = (unsigned char *)out;
    int url = (flags & TN_BASE64_URL) != 0;
    size_t body = n, tail, need, i, o = 0;
    if (out_len) *out_len = 0;
    if (flags & ~(TN_BASE64_URL | TN_BASE64_NOPAD)) return TN_EINVAL;
    if (flags & TN_BASE64_NOPAD) {
        if (n % 4 == 1) return TN_EBAD_ENCODING;
    } else {
        if (n % 4 != 0) return TN_EBAD_ENCODING;
        /* strip at most two '=' at the very end; any other '=' is rejected below */
        if (body && p[body - 1] == '=') body--;
        if (body && p[body - 1] == '=') body--;
        if (n - body && body % 4 < 2) return TN_EBAD_ENCODING;   /* "====", "x===" */
    }
    tail = body % 4;   /* 0, 2 or 3 characters in the last, partial group */
    need = (body / 4) * 3 + (tail ? tail - 1 : 0);
    if (need > cap) {
        if (out_len) *out_len = need;
        return TN_EBUFFER_FULL;
    }
    for (i = 0; i + 4 <= body; i += 4) {
        int a = tn__b64_value(p[i], url), b = tn__b64_value(p[i + 1], url);
        int c = tn__b64_value(p[i + 2], url), d = tn__b64_value(p[i + 3], url);
        uint32_t v;
        if ((a | b | c | d) < 0) return TN_EBAD_ENCODING;
        v = ((uint32_t)a << 18) | ((uint32_t)b << 12) | ((uint32_t)c << 6) | (uint32_t)d;
        q[o++] = (unsigned char)(v >> 16);
        q[o++] = (unsigned char)(v >> 8);
        q[o++] = (unsigned char)v;
    }
    if (tail) {
        int a = tn__b64_value(p[i], url), b = tn__b64_value(p[i + 1], url);
        int c = tail == 3 ? tn__b64_value(p[i + 2], url) : 0;
        uint32_t v;
        if ((a | b | c) < 0) return TN_EBAD_ENCODING;
        v = ((uint32_t)a << 18) | ((uint32_t)b << 12) | ((uint32_t)c << 6);
        /* canonical form: the bits past the last whole byte must be zero */
        if (tail == 2 ? (v & 0xffffu) != 0 : (v & 0xffu) != 0) return TN_EBAD_ENCODING;
        q[o++] = (unsigned char)(v >> 16);
        if (tail == 3) q[o++] = (unsigned char)(v >> 8);
    }
    if (out_len) *out_len = o;
    return TN_OK;
}

/* ======================================================================================
   hex */
TN_API int tn_hex_encode(const void *src, size_t n, char *out, size_t cap, size_t *out_len) {
    static const char digits[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)src;
    size_t i;
    if (out_len) *out_len = n * 2;
    if (n > ((size_t)-1) / 2 || cap < n * 2) return TN_EBUFFER_FULL;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    if (2 * n < cap) out[2 * n] = '\0';
    return TN_OK;
}

TN_API int tn_hex_decode(tn_str in, void *out, size_t cap, size_t *out_len) {
    unsigned char *o = (unsigned char *)out;
    size_t i;
    if (in.len % 2) return TN_EPARSE;
    if (in.len / 2 > cap) return TN_EBUFFER_FULL;
    for (i = 0; i < in.len; i += 2) {
        int hi = tn__hexval((unsigned char)in.ptr[i]), lo = tn__hexval((unsigned char)in.ptr[i + 1]);
        if (hi < 0 || lo < 0) return TN_EPARSE;
        o[i / 2] = (unsigned char)(hi * 16 + lo);
    }
    if (out_len) *out_len = in.len / 2;
    return TN_OK;
}

/* ======================================================================================
   UTF-8 validation (RFC 3629 section 4 grammar). The state is the number of continuation
   bytes still expected and the allowed range of the next one: the range is narrowed only
   for the first continuation after E0, ED, F0 and F4, which is exactly what excludes
   overlongs, surrogates and code points above U+10FFFF. */
TN_API void tn_utf8_init(tn_utf8_state *st) {
    st->_need = 0;
    st->_lo = 0x80;
    st->_hi = 0xbf;
    st->_bad = 0;
}

TN_API int tn_utf8_feed(tn_utf8_state *st, const void *data, size_t n) {
    const unsigned char *p = (const unsigned char *)data;
    const unsigned char *end = p + n;
    unsigned need = st->_need;
    unsigned lo = st->_lo ? st->_lo : 0x80, hi = st->_hi ? st->_hi : 0xbf;
    if (st->_bad) return TN_EBAD_ENCODING;
    if (n == 0) return TN_OK;
    while (p < end) {
        unsigned c;
        if (need == 0) {
            /* ASCII fast path: eight bytes at a time */
            while ((size_t)(end - p) >= 8) {
                uint64_t w;
                memcpy(&w, p, 8);
                if (w & 0x8080808080808080ull) break;
                p += 8;
            }
            while (p < end && *p < 0x80) p++;
            if (p == end) break;
            c = *p++;
            if (c >= 0xc2 && c <= 0xdf) {
                need = 1;
                lo = 0x80; hi = 0xbf;
            } else if (c >= 0xe0 && c <= 0xef) {
                need = 2;
                lo = c == 0xe0 ? 0xa0 : 0x80;
                hi = c == 0xed ? 0x9f : 0xbf;
            } else if (c >= 0xf0 && c <= 0xf4) {
                need = 3;
                lo = c == 0xf0 ? 0x90 : 0x80;
                hi = c == 0xf4 ? 0x8f : 0xbf;
            } else {
                st->_bad = 1;   /* 80..C1 (stray continuation, overlong lead) or F5..FF */
                return TN_EBAD_ENCODING;
            }
        } else {
            c = *p++;
            if (c < lo || c > hi) {
                st->_bad = 1;
                return TN_EBAD_ENCODING;
            }
            need--;
            lo = 0x80;
            hi = 0xbf;
        }
    }
    st->_need = need;
    st->_lo = (unsigned char)lo;
    st->_hi = (unsigned char)hi;
    return TN_OK;
}

TN_API int tn_utf8_finish(tn_utf8_state *st) {
    int ok = !st->_bad && st->_need == 0;
    tn_utf8_init(st);
    return ok ? TN_OK : TN_EBAD_ENCODING;
}

TN_API int tn_utf8_validate(const void *data, size_t n) {
    tn_utf8_state st;
    tn_utf8_init(&st);
    if (tn_utf8_feed(&st, data, n) != TN_OK) return TN_EBAD_ENCODING;
    return tn_utf8_finish(&st);
}

/* ======================================================================================
   Random bytes. */
static tn_random_fn tn__random_hook = NULL;
static void *tn__random_user = NULL;
static unsigned tn__random_gen = 0;   /* changes with the source: pools refill (tn__random_pooled) */

TN_API void tn_random_set_source(tn_random_fn fn, void *user) {
    tn__random_hook = fn;
    tn__random_gen++;
    tn__random_user = fn ? user : NULL;
}

#if !defined(_WIN32) && !TN__HAVE_ARC4RANDOM && !TN__LWIP
/* Read n bytes from /dev/urandom (the fallback everywhere on POSIX). */
TN__PRIVATE int tn__random_urandom(unsigned char *p, size_t n) {
    int fd, flags = O_RDONLY;
#if defined(O_CLOEXEC)
    flags |= O_CLOEXEC;
#endif
    do {
        fd = open("/dev/urandom", flags);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return tn__last_err();
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            int rc = r < 0 ? tn__last_err() : TN_ESYS;
            tn__fd_close(fd);
            return rc;
        }
        p += r;
        n -= (size_t)r;
    }
    tn__fd_close(fd);
    return TN_OK;
}
#endif

TN_API int tn_random_bytes(void *buf, size_t n) {
    unsigned char *p = (unsigned char *)buf;
    if (tn__random_hook) return tn__random_hook(buf, n, tn__random_user);
    if (n == 0) return TN_OK;
#if defined(_WIN32)
    while (n > 0) {
        ULONG chunk = n > 0x40000000u ? 0x40000000u : (ULONG)n;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, p, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return TN_ESYS;
        p += chunk;
        n -= chunk;
    }
    return TN_OK;
#elif TN__LWIP
    return tn_port_random(p, n) == 0 ? TN_OK : TN_ESYS;   /* the application's source */
#elif TN__HAVE_ARC4RANDOM
    arc4random_buf(p, n);
    return TN_OK;
#else
#  if TN__HAVE_GETRANDOM
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (errno == ENOSYS) break;   /* kernel older than 3.17: use the device */
            return tn__last_err();
        }
        p += r;
        n -= (size_t)r;
    }
    if (n == 0) return TN_OK;
#  endif
    return tn__random_urandom(p, n);
#endif
}

/* ---- the random pool (tn__random_pooled) ---- */
#define TN__RANDOM_POOL 256   /* bytes per refill: 64 WebSocket masks per system call */
typedef struct tn__random_pool_s {
    size_t pos;               /* bytes before pos were handed out (and wiped) */
    unsigned gen;             /* tn__random_gen when filled */
    unsigned char b[TN__RANDOM_POOL];
} tn__random_pool_s;

TN__PRIVATE int tn__random_pooled(const tn_allocator *a, void **pool, void *out, size_t n) {
    tn__random_pool_s *p = (tn__random_pool_s *)*pool;
    int rc;
    if (n > TN__RANDOM_POOL / 4) return tn_random_bytes(out, n);
    if (!p) {
        if (!(p = (tn__random_pool_s *)tn__alloc(a, sizeof *p))) return tn_random_bytes(out, n);
        p->pos = TN__RANDOM_POOL;   /* empty */
        *pool = p;
    }
    if (TN__RANDOM_POOL - p->pos < n || p->gen != tn__random_gen) {   /* empty, or from another source */
        if ((rc = tn_random_bytes(p->b, TN__RANDOM_POOL)) != TN_OK) return rc;
        p->pos = 0;
        p->gen = tn__random_gen;
    }
    memcpy(out, p->b + p->pos, n);
    memset(p->b + p->pos, 0, n);
    p->pos += n;
    return TN_OK;
}
