/* test_crypto.c: SHA-1 / SHA-256 (FIPS 180 examples, streaming splits), HMAC (RFC 4231,
   RFC 2202), constant-time compare, base64 (RFC 4648 section 10, strictness, round trips),
   hex, UTF-8 validation (RFC 3629 cases, fragments split at every byte, differential test
   against a slow reference decoder), random bytes and the user hook. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"

/* ---- helpers ---- */
static void hexof(const unsigned char *d, size_t n, char *out) {
    size_t len = 0;
    TN_OK_RC(tn_hex_encode(d, n, out, 2 * n + 1, &len));
    TN_EQ_UINT(len, 2 * n);
}

static size_t unhex(const char *h, unsigned char *out) {
    size_t n = strlen(h) / 2, i;
    for (i = 0; i < n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
    return n;
}

/* xorshift: deterministic pseudo-random test data */
static uint32_t rng_state = 0x12345678u;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static const char *MSG448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
static const char *MSG896 =
    "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

typedef struct hash_vec {
    const char *msg;
    const char *sha1;
    const char *sha256;
} hash_vec;

static const hash_vec HASH_VECS[] = {
    {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d",
     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
     "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
     "a49b2446a02c645bf419f995b67091253a04a259",
     "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
};

/* ---- SHA-1 / SHA-256 ---- */
TN_TEST(sha1_fips_vectors) {
    size_t i;
    for (i = 0; i < sizeof HASH_VECS / sizeof HASH_VECS[0]; i++) {
        unsigned char d[TN_SHA1_SIZE];
        char h[2 * TN_SHA1_SIZE + 1];
        tn_sha1(HASH_VECS[i].msg, strlen(HASH_VECS[i].msg), d);
        hexof(d, sizeof d, h);
        TN_EQ_STR(h, HASH_VECS[i].sha1);
    }
}

TN_TEST(sha256_fips_vectors) {
    size_t i;
    for (i = 0; i < sizeof HASH_VECS / sizeof HASH_VECS[0]; i++) {
        unsigned char d[TN_SHA256_SIZE];
        char h[2 * TN_SHA256_SIZE + 1];
        tn_sha256(HASH_VECS[i].msg, strlen(HASH_VECS[i].msg), d);
        hexof(d, sizeof d, h);
        TN_EQ_STR(h, HASH_VECS[i].sha256);
    }
}

/* One million 'a', fed in uneven pieces (the FIPS 180 long-message example). */
TN_TEST(sha_million_a) {
    static char chunk[1024];
    tn_sha1_ctx c1;
    tn_sha256_ctx c2;
    unsigned char d1[TN_SHA1_SIZE], d2[TN_SHA256_SIZE];
    char h[65];
    size_t done = 0, step = 1;
    memset(chunk, 'a', sizeof chunk);
    tn_sha1_init(&c1);
    tn_sha256_init(&c2);
    while (done < 1000000) {
        size_t n = step < 1000000 - done ? step : 1000000 - done;
        tn_sha1_update(&c1, chunk, n);
        tn_sha256_update(&c2, chunk, n);
        done += n;
        step = step % 997 + 7;
    }
    tn_sha1_final(&c1, d1);
    tn_sha256_final(&c2, d2);
    hexof(d1, sizeof d1, h);
    TN_EQ_STR(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    hexof(d2, sizeof d2, h);
    TN_EQ_STR(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Every two-way split point, and byte-by-byte, equals the one-shot digest; lengths 0..300
   cross every padding boundary (55/56/63/64 bytes mod 64). */
TN_TEST(sha_streaming_splits) {
    unsigned char msg[300];
    size_t len, k, i;
    for (i = 0; i < sizeof msg; i++) msg[i] = (unsigned char)(rnd() >> 24);
    for (len = 0; len <= sizeof msg; len += (len < 130 ? 1 : 17)) {
        unsigned char ref1[20], ref2[32], d1[20], d2[32];
        tn_sha1(msg, len, ref1);
        tn_sha256(msg, len, ref2);
        for (k = 0; k <= len; k++) {
            tn_sha1_ctx c1;
            tn_sha256_ctx c2;
            tn_sha1_init(&c1);
            tn_sha1_update(&c1, msg, k);
            tn_sha1_update(&c1, msg + k, len - k);
            tn_sha1_final(&c1, d1);
            TN_CHECKF(memcmp(d1, ref1, 20) == 0, "sha1 len %u split %u", (unsigned)len, (unsigned)k);
            tn_sha256_init(&c2);
            tn_sha256_update(&c2, msg, k);
            tn_sha256_update(&c2, NULL, 0);
            tn_sha256_update(&c2, msg + k, len - k);
            tn_sha256_final(&c2, d2);
            TN_CHECKF(memcmp(d2, ref2, 32) == 0, "sha256 len %u split %u", (unsigned)len, (unsigned)k);
        }
        {
            tn_sha256_ctx c2;
            tn_sha256_init(&c2);
            for (i = 0; i < len; i++) tn_sha256_update(&c2, msg + i, 1);
            tn_sha256_final(&c2, d2);
            TN_EQ_MEM(d2, ref2, 32);
        }
    }
    /* the published messages, split at every offset */
    for (k = 0; k <= strlen(MSG896); k++) {
        unsigned char d[32];
        char h[65];
        tn_sha256_ctx c;
        tn_sha256_init(&c);
        tn_sha256_update(&c, MSG896, k);
        tn_sha256_update(&c, MSG896 + k, strlen(MSG896) - k);
        tn_sha256_final(&c, d);
        hexof(d, 32, h);
        TN_EQ_STR(h, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    }
    for (k = 0; k <= strlen(MSG448); k++) {
        unsigned char d[20];
        char h[41];
        tn_sha1_ctx c;
        tn_sha1_init(&c);
        tn_sha1_update(&c, MSG448, k);
        tn_sha1_update(&c, MSG448 + k, strlen(MSG448) - k);
        tn_sha1_final(&c, d);
        hexof(d, 20, h);
        TN_EQ_STR(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    }
}

/* ---- HMAC ---- */
typedef struct hmac_vec {
    const char *key_hex;
    const char *data;      /* text, or hex when data_hex */
    int data_hex;
    const char *sha256;    /* may be a prefix (test case 5 is truncated to 128 bits) */
    const char *sha1;
} hmac_vec;

TN_TEST(hmac_sha256_rfc4231) {
    static char aa131[263];
    static const char *T7 = "This is a test using a larger than block-size key and a larger than "
                            "block-size data. The key needs to be hashed before being used by the "
                            "HMAC algorithm.";
    hmac_vec v[7];
    size_t i;
    for (i = 0; i < 262; i++) aa131[i] = 'a';
    aa131[262] = 0;
    memset(v, 0, sizeof v);
    v[0].key_hex = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b";
    v[0].data = "Hi There";
    v[0].sha256 = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";
    v[1].key_hex = "4a656665";
    v[1].data = "what do ya want for nothing?";
    v[1].sha256 = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    v[2].key_hex = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    v[2].data = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
    v[2].data_hex = 1;
    v[2].sha256 = "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe";
    v[3].key_hex = "0102030405060708090a0b0c0d0e0f10111213141516171819";
    v[3].data = "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd";
    v[3].data_hex = 1;
    v[3].sha256 = "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b";
    v[4].key_hex = "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c";
    v[4].data = "Test With Truncation";
    v[4].sha256 = "a3b6167473100ee06e0c796c2955552b";
    v[5].key_hex = aa131;
    v[5].data = "Test Using Larger Than Block-Size Key - Hash Key First";
    v[5].sha256 = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";
    v[6].key_hex = aa131;
    v[6].data = T7;
    v[6].sha256 = "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2";
    for (i = 0; i < 7; i++) {
        unsigned char key[200], data[200], mac[32];
        const void *dp = v[i].data;
        size_t klen = unhex(v[i].key_hex, key), dlen = strlen(v[i].data), k;
        char h[65];
        if (v[i].data_hex) {
            dlen = unhex(v[i].data, data);
            dp = data;
        }
        tn_hmac_sha256(key, klen, dp, dlen, mac);
        hexof(mac, 32, h);
        TN_CHECKF(strncmp(h, v[i].sha256, strlen(v[i].sha256)) == 0, "case %u: %s", (unsigned)(i + 1), h);
        /* streaming, split at every offset */
        for (k = 0; k <= dlen; k++) {
            tn_hmac_sha256_ctx c;
            tn_hmac_sha256_init(&c, key, klen);
            tn_hmac_sha256_update(&c, dp, k);
            tn_hmac_sha256_update(&c, (const char *)dp + k, dlen - k);
            tn_hmac_sha256_final(&c, mac);
            hexof(mac, 32, h);
            TN_CHECKF(strncmp(h, v[i].sha256, strlen(v[i].sha256)) == 0, "case %u split %u",
                      (unsigned)(i + 1), (unsigned)k);
        }
    }
}

TN_TEST(hmac_sha1_rfc2202) {
    unsigned char key[80], data[80], mac[20];
    char h[41];
    size_t kl, dl;
    kl = unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", key);
    tn_hmac_sha1(key, kl, "Hi There", 8, mac);
    hexof(mac, 20, h);
    TN_EQ_STR(h, "b617318655057264e28bc0b6fb378c8ef146be00");
    tn_hmac_sha1("Jefe", 4, "what do ya want for nothing?", 28, mac);
    hexof(mac, 20, h);
    TN_EQ_STR(h, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    kl = unhex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", key);
    memset(data, 0xdd, 50);
    dl = 50;
    tn_hmac_sha1(key, kl, data, dl, mac);
    hexof(mac, 20, h);
    TN_EQ_STR(h, "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
    memset(key, 0xaa, 80);
    tn_hmac_sha1(key, 80, "Test Using Larger Than Block-Size Key - Hash Key First", 54, mac);
    hexof(mac, 20, h);
    TN_EQ_STR(h, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

/* ---- constant-time compare ---- */
TN_TEST(ct_equal) {
    unsigned char a[64], b[64];
    size_t i;
    for (i = 0; i < 64; i++) a[i] = b[i] = (unsigned char)i;
    TN_EQ_INT(tn_ct_equal(a, b, 64), 1);
    TN_EQ_INT(tn_ct_equal(a, b, 0), 1);
    for (i = 0; i < 64; i++) {
        int bit;
        for (bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1u << bit);
            TN_EQ_INT(tn_ct_equal(a, b, 64), 0);
            b[i] ^= (unsigned char)(1u << bit);
        }
    }
    TN_EQ_INT(tn_ct_str_equal(tn_str_c("abc"), tn_str_c("abc")), 1);
    TN_EQ_INT(tn_ct_str_equal(tn_str_c("abc"), tn_str_c("abd")), 0);
    TN_EQ_INT(tn_ct_str_equal(tn_str_c("abc"), tn_str_c("ab")), 0);
    TN_EQ_INT(tn_ct_str_equal(tn_str_c(""), tn_str_make(NULL, 0)), 1);
}

/* ---- base64 ---- */
TN_TEST(base64_rfc4648_vectors) {
    static const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *std[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    static const char *nopad[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    size_t i;
    for (i = 0; i < 7; i++) {
        char out[16], dec[16];
        size_t n = 99, m = 99;
        TN_OK_RC(tn_base64_encode(in[i], strlen(in[i]), out, sizeof out, &n, TN_BASE64_STD));
        TN_EQ_STR(out, std[i]);
        TN_EQ_UINT(n, strlen(std[i]));
        TN_EQ_UINT(tn_base64_encoded_size(strlen(in[i]), 0), strlen(std[i]));
        TN_OK_RC(tn_base64_decode(std[i], strlen(std[i]), dec, sizeof dec, &m, TN_BASE64_STD));
        TN_EQ_UINT(m, strlen(in[i]));
        TN_EQ_MEM(dec, in[i], m);
        TN_CHECK(tn_base64_decoded_max(strlen(std[i])) >= m);
        TN_OK_RC(tn_base64_encode(in[i], strlen(in[i]), out, sizeof out, &n, TN_BASE64_NOPAD));
        TN_EQ_STR(out, nopad[i]);
        TN_EQ_UINT(tn_base64_encoded_size(strlen(in[i]), TN_BASE64_NOPAD), strlen(nopad[i]));
        TN_OK_RC(tn_base64_decode(nopad[i], strlen(nopad[i]), dec, sizeof dec, &m,
                                  TN_BASE64_NOPAD | TN_BASE64_URL));
        TN_EQ_UINT(m, strlen(in[i]));
        TN_EQ_MEM(dec, in[i], m);
    }
}

TN_TEST(base64_url_alphabet) {
    static const unsigned char raw[] = {0xfb, 0xff, 0xbf, 0xfe};
    char out[16];
    unsigned char dec[8];
    size_t n;
    TN_OK_RC(tn_base64_encode(raw, 4, out, sizeof out, &n, TN_BASE64_STD));
    TN_EQ_STR(out, "+/+//g==");
    TN_OK_RC(tn_base64_encode(raw, 4, out, sizeof out, &n, TN_BASE64_URL));
    TN_EQ_STR(out, "-_-__g==");
    TN_OK_RC(tn_base64_encode(raw, 4, out, sizeof out, &n, TN_BASE64_URL | TN_BASE64_NOPAD));
    TN_EQ_STR(out, "-_-__g");
    TN_OK_RC(tn_base64_decode("-_-__g==", 8, dec, sizeof dec, &n, TN_BASE64_URL));
    TN_EQ_UINT(n, 4);
    TN_EQ_MEM(dec, raw, 4);
    TN_EQ_RC(tn_base64_decode("-_-__g==", 8, dec, sizeof dec, &n, TN_BASE64_STD), TN_EBAD_ENCODING);
    TN_EQ_RC(tn_base64_decode("+/+//g==", 8, dec, sizeof dec, &n, TN_BASE64_URL), TN_EBAD_ENCODING);
}

TN_TEST(base64_rejects) {
    static const char *bad_std[] = {
        "Zg=",  "Zg",   "Z",     "Z===",  "====", "Zh==", "Zm9=", "Zm9v\n", "Zm 9v", " Zm9v",
        "Zm9v====", "Zg==Zg==", "Zg=a", "Z=g=", "Zm8*", "Zm\x80v", "Zm9\0", "=Zm9",
    };
    static const char *bad_nopad[] = {"Z", "Zg==", "Zm8=", "Zh", "Zm9", "Zm9vZ", "Zg=" };
    unsigned char dec[32];
    size_t i, n;
    for (i = 0; i < sizeof bad_std / sizeof bad_std[0]; i++) {
        size_t len = strlen(bad_std[i]);
        if (i == sizeof bad_std / sizeof bad_std[0] - 2) len = 4; /* embedded NUL */
        TN_CHECKF(tn_base64_decode(bad_std[i], len, dec, sizeof dec, &n, 0) == TN_EBAD_ENCODING,
                  "accepted \"%s\"", bad_std[i]);
    }
    for (i = 0; i < sizeof bad_nopad / sizeof bad_nopad[0]; i++)
        TN_CHECKF(tn_base64_decode(bad_nopad[i], strlen(bad_nopad[i]), dec, sizeof dec, &n,
                                   TN_BASE64_NOPAD) == TN_EBAD_ENCODING,
                  "nopad accepted \"%s\"", bad_nopad[i]);
    TN_EQ_RC(tn_base64_decode("Zm9v", 4, dec, sizeof dec, &n, 8), TN_EINVAL);
    TN_EQ_RC(tn_base64_encode("x", 1, (char *)dec, sizeof dec, &n, 8), TN_EINVAL);
}

TN_TEST(base64_buffer_sizes) {
    char out[8];
    unsigned char dec[8];
    size_t n = 0;
    TN_EQ_RC(tn_base64_encode("foobar", 6, out, 7, &n, 0), TN_EBUFFER_FULL);
    TN_EQ_UINT(n, 8);
    TN_OK_RC(tn_base64_encode("foobar", 6, out, 8, &n, 0));   /* exact fit, no NUL */
    TN_EQ_MEM(out, "Zm9vYmFy", 8);
    TN_EQ_RC(tn_base64_decode("Zm9vYmFy", 8, dec, 5, &n, 0), TN_EBUFFER_FULL);
    TN_EQ_UINT(n, 6);
    TN_OK_RC(tn_base64_decode("Zm9vYg==", 8, dec, 4, &n, 0));   /* padding: 4 bytes fit */
    TN_EQ_UINT(n, 4);
    TN_EQ_UINT(tn_base64_decoded_max(0), 0);
    TN_EQ_UINT(tn_base64_decoded_max(4), 3);
    TN_EQ_UINT(tn_base64_decoded_max(6), 6);
    TN_EQ_UINT(tn_base64_encoded_size((size_t)-1, 0), (size_t)-1);
}

TN_TEST(base64_round_trips) {
    unsigned char raw[200], dec[200];
    char enc[300];
    int flags;
    size_t len, n, m, i;
    for (flags = 0; flags < 4; flags++) {
        for (len = 0; len <= 130; len++) {
            for (i = 0; i < len; i++) raw[i] = (unsigned char)rnd();
            TN_OK_RC(tn_base64_encode(raw, len, enc, sizeof enc, &n, flags));
            TN_EQ_UINT(n, tn_base64_encoded_size(len, flags));
            TN_OK_RC(tn_base64_decode(enc, n, dec, sizeof dec, &m, flags));
            TN_EQ_UINT(m, len);
            TN_EQ_MEM(dec, raw, len);
            /* in place */
            TN_OK_RC(tn_base64_decode(enc, n, enc, sizeof enc, &m, flags));
            TN_EQ_UINT(m, len);
            TN_EQ_MEM(enc, raw, len);
        }
    }
}

TN_TEST(hex_encode) {
    char out[16];
    size_t n;
    TN_OK_RC(tn_hex_encode("\x00\x01\xab\xff", 4, out, sizeof out, &n));
    TN_EQ_STR(out, "0001abff");
    TN_EQ_UINT(n, 8);
    TN_EQ_RC(tn_hex_encode("\x00\x01\xab\xff", 4, out, 7, &n), TN_EBUFFER_FULL);
    TN_EQ_UINT(n, 8);
    TN_OK_RC(tn_hex_encode("", 0, out, 1, &n));
    TN_EQ_STR(out, "");
}

TN_TEST(hex_decode) {
    unsigned char out[4];
    size_t n = 99;
    TN_OK_RC(tn_hex_decode(tn_str_c("0001aBfF"), out, sizeof out, &n));
    TN_EQ_UINT(n, 4);
    TN_CHECK(memcmp(out, "\x00\x01\xab\xff", 4) == 0);
    TN_OK_RC(tn_hex_decode(tn_str_c(""), out, 0, &n));
    TN_EQ_UINT(n, 0);
    TN_EQ_RC(tn_hex_decode(tn_str_c("abc"), out, sizeof out, &n), TN_EPARSE);        /* odd */
    TN_EQ_RC(tn_hex_decode(tn_str_c("0g"), out, sizeof out, &n), TN_EPARSE);         /* not hex */
    TN_EQ_RC(tn_hex_decode(tn_str_c("0001020304"), out, sizeof out, &n), TN_EBUFFER_FULL);
}

/* ---- UTF-8 ---- */

/* A slow reference: decode code points and check the RFC 3629 rules one by one. */
static int ref_utf8_valid(const unsigned char *p, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i], need, k;
        uint32_t cp, min;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xe0) == 0xc0) { need = 1; cp = c & 0x1f; min = 0x80; }
        else if ((c & 0xf0) == 0xe0) { need = 2; cp = c & 0x0f; min = 0x800; }
        else if ((c & 0xf8) == 0xf0) { need = 3; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (i + need >= n) return 0;
        for (k = 1; k <= need; k++) {
            if ((p[i + k] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        i += need + 1;
    }
    return 1;
}

static int feed_split(const unsigned char *p, size_t n, size_t k) {
    tn_utf8_state st;
    memset(&st, 0, sizeof st);   /* zero-init works as well as tn_utf8_init */
    if (tn_utf8_feed(&st, p, k) != TN_OK) { (void)tn_utf8_finish(&st); return TN_EBAD_ENCODING; }
    if (tn_utf8_feed(&st, p + k, n - k) != TN_OK) { (void)tn_utf8_finish(&st); return TN_EBAD_ENCODING; }
    return tn_utf8_finish(&st);
}

TN_TEST(utf8_valid_and_split) {
    static const char *valid[] = {
        "", "hello", "h\xc3\xa9llo", "\xe2\x82\xac", "\xf0\x90\x8d\x88", "\xf4\x8f\xbf\xbf",
        "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80",
        "\xf0\x90\x80\x80", "\x7f", "ascii run that is long enough for the 8-byte fast path \xe2\x82\xac!",
        "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",
    };
    size_t i, k;
    for (i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        const unsigned char *p = (const unsigned char *)valid[i];
        size_t n = strlen(valid[i]);
        TN_CHECKF(tn_utf8_validate(p, n) == TN_OK, "rejected valid #%u", (unsigned)i);
        for (k = 0; k <= n; k++)
            TN_CHECKF(feed_split(p, n, k) == TN_OK, "valid #%u split at %u", (unsigned)i, (unsigned)k);
        {   /* one byte per fragment */
            tn_utf8_state st;
            tn_utf8_init(&st);
            for (k = 0; k < n; k++) TN_OK_RC(tn_utf8_feed(&st, p + k, 1));
            TN_OK_RC(tn_utf8_finish(&st));
        }
    }
}

TN_TEST(utf8_invalid) {
    static const char *bad[] = {
        "\xc0\x80",           /* overlong NUL */
        "\xc1\xbf",           /* overlong */
        "\xe0\x80\x80",       /* overlong 3-byte */
        "\xe0\x9f\xbf",       /* overlong U+07FF */
        "\xf0\x80\x80\x80",   /* overlong 4-byte */
        "\xf0\x8f\xbf\xbf",   /* overlong U+FFFF */
        "\xed\xa0\x80",       /* U+D800 */
        "\xed\xbf\xbf",       /* U+DFFF */
        "\xed\xa0\x80\xed\xb0\x80", /* CESU-8 surrogate pair */
        "\xf4\x90\x80\x80",   /* U+110000 */
        "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
        "\x80",               /* stray continuation */
        "a\xbf",
        "\xc3\x28",           /* bad continuation */
        "\xe2\x28\xa1", "\xe2\x82\x28", "\xf0\x28\x8c\xbc", "\xf0\x90\x28\xbc",
        "\xc3",               /* truncated at finish */
        "\xe2\x82", "\xf0\x90\x8d", "hello\xf0",
    };
    size_t i, k;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const unsigned char *p = (const unsigned char *)bad[i];
        size_t n = strlen(bad[i]);
        TN_CHECKF(tn_utf8_validate(p, n) == TN_EBAD_ENCODING, "accepted bad #%u", (unsigned)i);
        for (k = 0; k <= n; k++)
            TN_CHECKF(feed_split(p, n, k) == TN_EBAD_ENCODING, "bad #%u split at %u", (unsigned)i,
                      (unsigned)k);
    }
    /* sticky error, and finish resets */
    {
        tn_utf8_state st;
        tn_utf8_init(&st);
        TN_EQ_RC(tn_utf8_feed(&st, "\xff", 1), TN_EBAD_ENCODING);
        TN_EQ_RC(tn_utf8_feed(&st, "ok", 2), TN_EBAD_ENCODING);
        TN_EQ_RC(tn_utf8_finish(&st), TN_EBAD_ENCODING);
        TN_OK_RC(tn_utf8_feed(&st, "ok", 2));
        TN_OK_RC(tn_utf8_finish(&st));
        TN_OK_RC(tn_utf8_feed(&st, "\xe2\x82", 2));
        TN_EQ_RC(tn_utf8_finish(&st), TN_EBAD_ENCODING);
        TN_OK_RC(tn_utf8_finish(&st));
    }
}

/* Every code point from U+0000 to U+10FFFF (encoded by hand) is valid; every surrogate is
   not; and random byte strings agree with the reference at random split points. */
TN_TEST(utf8_exhaustive_and_differential) {
    uint32_t cp;
    int iter;
    for (cp = 0; cp <= 0x10ffff; cp++) {
        unsigned char b[4];
        size_t n;
        if (cp < 0x80) { b[0] = (unsigned char)cp; n = 1; }
        else if (cp < 0x800) { b[0] = (unsigned char)(0xc0 | (cp >> 6)); b[1] = (unsigned char)(0x80 | (cp & 63)); n = 2; }
        else if (cp < 0x10000) {
            b[0] = (unsigned char)(0xe0 | (cp >> 12)); b[1] = (unsigned char)(0x80 | ((cp >> 6) & 63));
            b[2] = (unsigned char)(0x80 | (cp & 63)); n = 3;
        } else {
            b[0] = (unsigned char)(0xf0 | (cp >> 18)); b[1] = (unsigned char)(0x80 | ((cp >> 12) & 63));
            b[2] = (unsigned char)(0x80 | ((cp >> 6) & 63)); b[3] = (unsigned char)(0x80 | (cp & 63)); n = 4;
        }
        if (cp >= 0xd800 && cp <= 0xdfff)
            TN_CHECKF(tn_utf8_validate(b, n) == TN_EBAD_ENCODING, "surrogate U+%04X accepted", (unsigned)cp);
        else
            TN_CHECKF(tn_utf8_validate(b, n) == TN_OK, "U+%04X rejected", (unsigned)cp);
    }
    for (iter = 0; iter < 200000; iter++) {
        unsigned char buf[24];
        size_t n = rnd() % sizeof buf, i, k;
        int expect;
        for (i = 0; i < n; i++) {
            uint32_t r = rnd();
            /* bias towards interesting bytes */
            static const unsigned char pick[] = {0x41, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2,
                                                 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff};
            buf[i] = (r & 1) ? pick[(r >> 1) % sizeof pick] : (unsigned char)(r >> 8);
        }
        expect = ref_utf8_valid(buf, n) ? TN_OK : TN_EBAD_ENCODING;
        k = n ? rnd() % (n + 1) : 0;
        TN_EQ_RC(tn_utf8_validate(buf, n), expect);
        TN_EQ_RC(feed_split(buf, n, k), expect);
    }
}

/* ---- random ---- */
static int fake_source(void *buf, size_t n, void *user) {
    int *calls = (int *)user;
    (*calls)++;
    memset(buf, 0xab, n);
    return *calls >= 2 ? TN_ESYS : TN_OK;
}

TN_TEST(random_bytes) {
    unsigned char a[64], b[64], big[5000];
    int calls = 0, i, nonzero = 0;
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    TN_OK_RC(tn_random_bytes(a, sizeof a));
    TN_OK_RC(tn_random_bytes(b, sizeof b));
    TN_CHECK(memcmp(a, b, sizeof a) != 0);
    for (i = 0; i < 64; i++) nonzero += a[i] != 0;
    TN_CHECK(nonzero > 32);
    TN_OK_RC(tn_random_bytes(big, sizeof big));
    TN_OK_RC(tn_random_bytes(NULL, 0));
    tn_random_set_source(fake_source, &calls);
    TN_OK_RC(tn_random_bytes(a, 8));
    TN_EQ_INT(a[0], 0xab);
    TN_EQ_INT(a[7], 0xab);
    TN_EQ_RC(tn_random_bytes(a, 8), TN_ESYS);
    TN_EQ_INT(calls, 2);
    tn_random_set_source(NULL, NULL);
    TN_OK_RC(tn_random_bytes(a, 8));
    TN_EQ_INT(calls, 2);
}

/* A source that hands out a counter, byte by byte, and counts its calls. */
static unsigned char g_ctr;
static int counting_source(void *buf, size_t n, void *user) {
    unsigned char *p = (unsigned char *)buf;
    size_t i;
    (*(int *)user)++;
    for (i = 0; i < n; i++) p[i] = g_ctr++;
    return TN_OK;
}

/* The pool behind WebSocket masks (tn__random_pooled): one source call per 256 bytes, every
   byte handed out once (the counter comes out in order, no byte twice) and wiped from the
   pool, a new source empties it, large requests go straight to the source. */
TN_TEST(random_pool) {
    tn_allocator a;
    void *pool = NULL;
    unsigned char m[4], big[100];
    int calls = 0, i, j, wiped = 1;
    unsigned char want = 0;
    TN_OK_RC(tn__allocator_resolve(NULL, &a));
    g_ctr = 0;
    tn_random_set_source(counting_source, &calls);
    for (i = 0; i < 64; i++) {
        TN_OK_RC(tn__random_pooled(&a, &pool, m, sizeof m));
        for (j = 0; j < 4; j++) TN_EQ_INT(m[j], want++);
    }
    TN_EQ_INT(calls, 1);   /* 64 masks, one refill */
    for (i = 0; i < 256; i++) wiped &= ((tn__random_pool_s *)pool)->b[i] == 0;
    TN_CHECK(wiped);
    TN_OK_RC(tn__random_pooled(&a, &pool, m, sizeof m));
    TN_EQ_INT(calls, 2);
    TN_EQ_INT(m[0], 0);    /* the counter wrapped: a fresh block of 256 */
    TN_OK_RC(tn__random_pooled(&a, &pool, big, sizeof big));   /* > 64: straight from the source */
    TN_EQ_INT(calls, 3);
    tn_random_set_source(NULL, NULL);
    TN_OK_RC(tn__random_pooled(&a, &pool, m, sizeof m));       /* a new source: refilled from it */
    TN_EQ_INT(calls, 3);
    TN_CHECK(((tn__random_pool_s *)pool)->b[4] != 4 || ((tn__random_pool_s *)pool)->b[5] != 5);
    tn__free(&a, pool);
}

TN_TESTS(TN_CASE(sha1_fips_vectors), TN_CASE(sha256_fips_vectors), TN_CASE(sha_million_a),
         TN_CASE(sha_streaming_splits), TN_CASE(hmac_sha256_rfc4231),
         TN_CASE(hmac_sha1_rfc2202), TN_CASE(ct_equal), TN_CASE(base64_rfc4648_vectors),
         TN_CASE(base64_url_alphabet), TN_CASE(base64_rejects), TN_CASE(base64_buffer_sizes),
         TN_CASE(base64_round_trips), TN_CASE(hex_encode),
    TN_CASE(hex_decode), TN_CASE(utf8_valid_and_split),
         TN_CASE(utf8_invalid), TN_CASE(utf8_exhaustive_and_differential), TN_CASE(random_bytes), TN_CASE(random_pool))
