/* http_parse.c: strict incremental HTTP/1.1 head parser, framing, chunked codec, header utilities. */
#include "base.h"
#include "internal.h"
#include "http_parse.h"
#include "url.h"

/* ---- character classes ---- */

/* Byte classes, one table: bit 0 TN__HTTP_C_TCHAR, tchar (RFC 9110 §5.6.2):
   "!#$%&'*+-.^_`|~", DIGIT, ALPHA; bit 1 TN__HTTP_C_TARGET, the bytes a request-target may
   hold (RFC 3986 section 2 and RFC 9112 section 3.2): the visible ASCII bytes except
   " # < > \ ^ ` { | }, which no URI contains ('%' is allowed unchecked); bit 2
   TN__HTTP_C_SCHEME, the bytes of a URI scheme after its first (ALPHA, DIGIT, "+-.", RFC
   3986 section 3.1). The high nibble is the byte's class in a chunk extension
   (TN__HTTP_CK_CLASS). One table for all of them: none costs a table of its own. */
#define TN__HTTP_C_TCHAR 1
#define TN__HTTP_C_TARGET 2
#define TN__HTTP_C_SCHEME 4
static const unsigned char tn__http_cls[256] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x50, 0x00, 0x00,   /* 0x00 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   /* 0x10 */
    0x20, 0x13, 0x60, 0x11, 0x13, 0x13, 0x13, 0x13, 0x82, 0x82, 0x13, 0x17, 0x82, 0x17, 0x17, 0x82,   /* 0x20 */
    0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x82, 0x42, 0x80, 0x32, 0x80, 0x82,   /* 0x30 */
    0x82, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17,   /* 0x40 */
    0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x82, 0x70, 0x82, 0x11, 0x13,   /* 0x50 */
    0x11, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17,   /* 0x60 */
    0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x17, 0x80, 0x11, 0x80, 0x13, 0x00,   /* 0x70 */
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,   /* 0x80 */
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,   /* 0x90 */
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,   /* 0xa0 */
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,   /* 0xb0 */
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,   /* 0xc0 */
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,   /* 0xd0 */
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,   /* 0xe0 */
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,   /* 0xf0 */
};

#define TN__HTTP_TCHAR(c) (tn__http_cls[(unsigned char)(c)] & TN__HTTP_C_TCHAR)
#define TN__HTTP_TARGET(c) (tn__http_cls[(unsigned char)(c)] & TN__HTTP_C_TARGET)

/* 1 if c is a tchar. The one tchar check: later modules (multipart, cookies, router,
   server) call this rather than keep their own copy. */
TN__PRIVATE int tn__http_is_tchar(int c) { return TN__HTTP_TCHAR(c); }
#define TN__HTTP_WS(c) ((c) == ' ' || (c) == '\t')

/* ASCII case-insensitive equality of s[0..n) and a lowercase literal lit[0..n). */
TN__PRIVATE int tn__http_ieq_lit(const char *s, size_t n, const char *lit, size_t litn) {
    size_t i;
    if (n != litn) return 0;
    for (i = 0; i < n; i++)
        if (tn__lower((unsigned char)s[i]) != (unsigned char)lit[i]) return 0;
    return 1;
}

/* A field name (a token) equal to a lowercase literal of letters and '-': 8 bytes at a time,
   the last 8 overlapping (n >= 8). OR-ing 0x20 maps only A-Z onto a-z among token bytes, so
   the test is exact (and in field values too, which hold no control bytes). */
TN__PRIVATE int tn__http_name_is(const char *s, size_t n, const char *lit, size_t litn) {
    uint64_t a, b;
    size_t i;
    if (n != litn) return 0;
    if (n < 8) {
        while (n--)
            if ((*s++ | 0x20) != *lit++) return 0;
        return 1;
    }
    for (i = 0; i + 8 < n; i += 8) {
        memcpy(&a, s + i, 8);
        memcpy(&b, lit + i, 8);
        if ((a | 0x2020202020202020ull) != b) return 0;
    }
    memcpy(&a, s + n - 8, 8);
    memcpy(&b, lit + n - 8, 8);
    return (a | 0x2020202020202020ull) == b;
}

/* s equal to the n-byte literal lit (case-sensitive, as methods are). */
#define TN__HTTP_STR_IS(s, lit) ((s).len == sizeof(lit) - 1 && memcmp((s).ptr, lit, sizeof(lit) - 1) == 0)

/* Same for a tn_str against any C string (both sides folded). */
TN__PRIVATE int tn__http_ieq_c(tn_str s, const char *c) {
    size_t i;
    for (i = 0; i < s.len; i++) {
        if (c[i] == 0) return 0;
        if (tn__lower((unsigned char)s.ptr[i]) != tn__lower((unsigned char)c[i])) return 0;
    }
    return c[i] == 0;
}

/* ---- scanners: compile-time SIMD (SSE4.2, also under -mavx2; SSE2) or a scalar loop, identical results ---- */

/* Two builds of the parser, equally strict (the tests run both): -O2 and the like get the
   fast paths (hot helpers forced inline, the SIMD field-line walk, byte-at-a-time starts and
   8-lookup loops before the scanners, the common method and version by one compare), and a
   size-optimized build (-Os, -Oz: the compiler defines __OPTIMIZE_SIZE__) gets the compact
   one: the scanners alone, called, not inlined; the SIMD 16-byte scans stay (a few dozen
   bytes each; the last bytes of a scan by the scalar loop, not an overlapping block; tokens
   by the cheap letters-digits test, the table finishing),
   TORNADO_NO_SIMD removes them; cold helpers called from several places are not inlined. make size measures the compact build. */
#if defined(__OPTIMIZE_SIZE__)
#  define TN__HTTP_FAST 0
#else
#  define TN__HTTP_FAST 1
#endif
/* Hot helpers are forced inline: the head parser calls them once or twice per line. */
#if TN__HTTP_FAST && (defined(__GNUC__) || defined(__clang__))
#  define TN__HTTP_INLINE static inline __attribute__((always_inline, unused))
#elif defined(__GNUC__) || defined(__clang__)
#  define TN__HTTP_INLINE static __attribute__((unused))
#else
#  define TN__HTTP_INLINE static
#endif
/* Cold helpers called from several places: a size-optimized build keeps one copy. */
#if !TN__HTTP_FAST && (defined(__GNUC__) || defined(__clang__))
#  define TN__HTTP_NOINLINE static __attribute__((noinline, unused))
#else
#  define TN__HTTP_NOINLINE TN__PRIVATE
#endif

/* Where optional whitespace (SP, HTAB) from p ends: forced inline in fast builds, one copy
   in size-optimized ones. */
#if TN__HTTP_FAST
TN__HTTP_INLINE const char *tn__http_ows(const char *p, const char *end) {
#else
TN__HTTP_NOINLINE const char *tn__http_ows(const char *p, const char *end) {
#endif
    while (p < end && TN__HTTP_WS(*p)) p++;
    return p;
}

#if TN__HAVE_SSE42
/* Byte classes by nibble lookup (SSSE3 pshufb, part of every SSE4.2 target): a byte b is in
   the class when lo[b & 15] & hi[b >> 4] is not zero, bit h-2 standing for high nibble h in
   2..7 (both classes below lie within 0x21..0x7E, so bytes >= 0x80 and controls get 0).
   Tables made from tn__http_cls (tests prove all 256 bytes). */
#  define TN__HTTP_NIB_HI 0, 0, 1, 2, 4, 8, 0x10, 0x20, 0, 0, 0, 0, 0, 0, 0, 0
#  define TN__HTTP_NIB_TCHAR 0x3a, 0x3f, 0x3e, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3e, 0x3e, 0x3d, 0x15, 0x34, 0x15, 0x3d, 0x1c
#  define TN__HTTP_NIB_TARGET 0x2e, 0x3f, 0x3e, 0x3e, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x1f, 0x15, 0x1f, 0x35, 0x1f
/* Mask of the bytes of p[0..16) outside the class. */
TN__HTTP_INLINE unsigned tn__http_nib16(const char *p, __m128i lo_t, __m128i hi_t) {
    const __m128i f = _mm_set1_epi8(0x0f);
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i lo = _mm_shuffle_epi8(lo_t, _mm_and_si128(v, f));
    __m128i hi = _mm_shuffle_epi8(hi_t, _mm_and_si128(_mm_srli_epi16(v, 4), f));
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(lo, hi), _mm_setzero_si128()));
}
#endif

/* Masks of the bytes of p[0..16) that end a scan: one function a class and instruction set. */
#if TN__HAVE_SSE2
/* Value bytes: controls (< 0x20, found as min(v, 0x1f) == v) and DEL. Five instructions a
   block, fewer than _mm_cmpestri over the same ranges, so SSE4.2 builds use it too. */
TN__HTTP_INLINE unsigned tn__http_value16v(__m128i v) {
    __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))));
}
TN__HTTP_INLINE unsigned tn__http_value16(const char *p) {
    return tn__http_value16v(_mm_loadu_si128((const __m128i *)(const void *)p));
}
#  if TN__HAVE_SSE42
TN__HTTP_INLINE unsigned tn__http_target16(const char *p) {
    return tn__http_nib16(p, _mm_setr_epi8(TN__HTTP_NIB_TARGET), _mm_setr_epi8(TN__HTTP_NIB_HI));
}
TN__HTTP_INLINE unsigned tn__http_token16(const char *p) {
    return tn__http_nib16(p, _mm_setr_epi8(TN__HTTP_NIB_TCHAR), _mm_setr_epi8(TN__HTTP_NIB_HI));
}
#  else
/* Target bytes, five compares: a signed v < 0x21 finds controls, SP and bytes >= 0x80;
   v > 'z' finds { | } ~ DEL; (v | 0x62) == 0x7e finds < > \ ^ | ~ (and some controls);
   (v | 1) == '#' finds " #; then '`'. '~' is the one allowed byte the masks catch: it is
   taken out at the end. */
TN__HTTP_INLINE unsigned tn__http_target16(const char *p) {
    const __m128i tilde = _mm_set1_epi8(0x7e);
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x21)), _mm_cmpgt_epi8(v, _mm_set1_epi8(0x7a)));
    bad = _mm_or_si128(bad, _mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(0x62)), tilde));
    bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(_mm_or_si128(v, _mm_set1_epi8(0x01)), _mm_set1_epi8(0x23)),
                                         _mm_cmpeq_epi8(v, _mm_set1_epi8(0x60))));
    return (unsigned)_mm_movemask_epi8(_mm_andnot_si128(_mm_cmpeq_epi8(v, tilde), bad));
}
/* Token bytes: a tchar is in 0x21..0x7E and not one of the delimiters "(),/:;<=>?@[\]{}
   (RFC 9110 §5.6.2). */
TN__HTTP_INLINE unsigned tn__http_token16(const char *p) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i vis = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x20)), _mm_cmplt_epi8(v, _mm_set1_epi8(0x7f)));
    __m128i d = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x27)), _mm_cmplt_epi8(v, _mm_set1_epi8(0x2a)));
    d = _mm_or_si128(d, _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x39)), _mm_cmplt_epi8(v, _mm_set1_epi8(0x41))));
    d = _mm_or_si128(d, _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x5a)), _mm_cmplt_epi8(v, _mm_set1_epi8(0x5e))));
    d = _mm_or_si128(d, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x22)));
    d = _mm_or_si128(d, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x2c)));
    d = _mm_or_si128(d, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x2f)));
    d = _mm_or_si128(d, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7b)));
    d = _mm_or_si128(d, _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7d)));
    return (unsigned)((_mm_movemask_epi8(vis) ^ 0xffff) | _mm_movemask_epi8(d));
}
#  endif
#endif

#if TN__HAVE_SSE2 && (!TN__HAVE_SSE42 || TN__HTTP_FAST)
/* Mask of the bytes of p[0..16) that are not letters, digits, '-' or '.' (all tchars): the
   names nearly all fields have, in 10 instructions where the SSE2 tchar test takes 27. A
   signed compare after an add tests a range: (b | 0x20) + 0x1f lands in -128..-103 for the
   letters, b + 0x53 in -128..-116 for '-' '.' '/' and the digits, '/' taken out after. (Fast
   builds with SSE4.2 use it too: the one-block field lines and Host values.) */
TN__HTTP_INLINE unsigned tn__http_alnum16v(__m128i v) {
    __m128i letter = _mm_cmplt_epi8(_mm_add_epi8(_mm_or_si128(v, _mm_set1_epi8(0x20)), _mm_set1_epi8(0x1f)),
                                    _mm_set1_epi8(-102));
    __m128i digit = _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('/')),
                                     _mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(0x53)), _mm_set1_epi8(-115)));
    return (unsigned)_mm_movemask_epi8(_mm_or_si128(letter, digit)) ^ 0xffffu;
}
TN__HTTP_INLINE unsigned tn__http_alnum16(const char *p) {
    return tn__http_alnum16v(_mm_loadu_si128((const __m128i *)(const void *)p));
}
#endif

/* The SIMD part of a scan from p: 16-byte blocks, then one 16-byte block ending at `end`
   (read from the buffer that starts at lo: never past either end) with the bytes before p
   shifted out. Jumps to the caller's `found` with p at the first byte that ends the scan (or
   at end); falls through when the buffer is shorter than 16 bytes. AVX2 builds (-mavx2) take
   these 16-byte SSE4.2 blocks (VEX-encoded): 32-byte AVX2 blocks were tried and measured
   slower here (bench_parse -mavx2, chrome-703B: 6.0M/s against 6.7M/s with 16-byte blocks;
   header lines are short, and the 256-bit work cost more than it saved on this machine). */
#if TN__HAVE_SSE2 && !TN__HTTP_FAST
/* (size-optimized: the 16-byte blocks, then the scalar loop for the last few bytes) */
#  define TN__HTTP_SCAN(cls)                                                             \
    while (end - p >= 16) {                                                             \
        unsigned m_ = tn__http_##cls##16(p);                                            \
        if (m_) { p += __builtin_ctz(m_); goto found; }                                 \
        p += 16;                                                                        \
    }
#elif TN__HAVE_SSE2
#  define TN__HTTP_SCAN(cls)                                                             \
    while (end - p >= 16) {                                                             \
        unsigned m_ = tn__http_##cls##16(p);                                            \
        if (m_) { p += __builtin_ctz(m_); goto found; }                                 \
        p += 16;                                                                        \
    }                                                                                   \
    if (p == end) goto found;                                                           \
    if (end - lo >= 16) {                                                               \
        unsigned m_ = tn__http_##cls##16(end - 16) >> (16 - (end - p));                 \
        if (m_) { p += __builtin_ctz(m_); goto found; }                                 \
        p = end;                                                                        \
        goto found;                                                                     \
    }
#else
#  define TN__HTTP_SCAN(cls)
#endif

/* First byte in [p, end) that is a control byte (< 0x20) or DEL, else end. Used for field
   values and reason phrases: HTAB, CR and LF stop the scan and are judged by the caller;
   obs-text (>= 0x80) passes. */
TN__HTTP_INLINE const char *tn__http_scan_value(const char *lo, const char *p, const char *end) {
    TN__HTTP_SCAN(value)
    (void)lo;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f) return p;
        p++;
    }
    return end;
#if TN__HAVE_SSE2
found:
    return p;
#endif
}

#if TN__HTTP_FAST
/* tn__http_scan_value with the first 8 bytes looked at one by one: a short value ("a", "OK")
   ends without waiting for a SIMD result, a longer one goes on in the scanner. */
TN__HTTP_INLINE const char *tn__http_scan_value_short(const char *lo, const char *p, const char *end) {
    const char *stop = end - p > 8 ? p + 8 : end;
    for (; p < stop; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f) return p;
    }
    return p == end ? end : tn__http_scan_value(lo, p, end);
}
#else
#  define tn__http_scan_value_short tn__http_scan_value
#endif

/* First byte in [p, end) that cannot be in a request-target (TN__HTTP_C_TARGET), else end. */
TN__HTTP_INLINE const char *tn__http_scan_target(const char *lo, const char *p, const char *end) {
    TN__HTTP_SCAN(target)
#if !TN__HAVE_SSE2 && TN__HTTP_FAST
    {
        const unsigned char *t = tn__http_cls;
        while (end - p >= 8) {   /* 8 lookups ANDed: one branch per 8 bytes */
            const unsigned char *u = (const unsigned char *)p;
            if (!(t[u[0]] & t[u[1]] & t[u[2]] & t[u[3]] & t[u[4]] & t[u[5]] & t[u[6]] & t[u[7]] & TN__HTTP_C_TARGET)) break;
            p += 8;
        }
    }
#endif
    (void)lo;
    while (p < end && TN__HTTP_TARGET(*p)) p++;
    return p;
#if TN__HAVE_SSE2
found:
    return p;
#endif
}

/* First non-tchar byte in [p, end), else end. A size-optimized SSE2 build skips whole blocks
   by the cheap class test (letters, digits, '-', '.': tchars all) and lets the table finish,
   without the 27-instruction tchar test. */
#if TN__HAVE_SSE2 && !TN__HAVE_SSE42 && !TN__HTTP_FAST
#  define TN__HTTP_TOKEN_ALNUM 1
#else
#  define TN__HTTP_TOKEN_ALNUM 0
#endif
TN__HTTP_INLINE const char *tn__http_scan_token(const char *lo, const char *p, const char *end) {
#if TN__HTTP_TOKEN_ALNUM
    while (end - p >= 16 && !tn__http_alnum16(p)) p += 16;
#else
    TN__HTTP_SCAN(token)
#endif
#if !TN__HAVE_SSE2 && TN__HTTP_FAST
    {
        const unsigned char *t = tn__http_cls;
        while (end - p >= 8) {   /* 8 lookups ANDed: one branch per 8 bytes */
            const unsigned char *u = (const unsigned char *)p;
            if (!(t[u[0]] & t[u[1]] & t[u[2]] & t[u[3]] & t[u[4]] & t[u[5]] & t[u[6]] & t[u[7]] & TN__HTTP_C_TCHAR)) break;
            p += 8;
        }
    }
#endif
    (void)lo;
    while (p < end && TN__HTTP_TCHAR(*p)) p++;
    return p;
#if TN__HAVE_SSE2 && !TN__HTTP_TOKEN_ALNUM
found:
    return p;
#endif
}

TN_API int tn_http_is_token(tn_str s) {
    return s.len > 0 && tn__http_scan_token(s.ptr, s.ptr, s.ptr + s.len) == s.ptr + s.len;
}

/* ---- head parsing ---- */

/* "HTTP/1.x" at p. Returns 8, TN_EINCOMPLETE or TN_EBAD_VERSION; *version = 10 or 11. */
TN__PRIVATE int tn__http_version(const char *p, const char *end, int *version) {
    static const char pat[] = "HTTP/1.#";
    size_t i;
#if TN__HTTP_FAST   /* (a shortcut to the loop's answer: size-optimized builds take the loop) */
    if (TN__LIKELY(end - p >= 8) && memcmp(p, "HTTP/1.", 7) == 0 && p[7] >= '0' && p[7] <= '9') {
        *version = p[7] == '0' ? 10 : 11;
        return 8;
    }
#endif
    for (i = 0; i < 8; i++) {
        if (p + i == end) return TN_EINCOMPLETE;
        if (pat[i] == '#' ? (p[i] < '0' || p[i] > '9') : p[i] != pat[i]) return TN_EBAD_VERSION;
    }
    *version = p[7] == '0' ? 10 : 11;
    return 8;
}

/* CRLF at p. Returns 2, TN_EINCOMPLETE, TN_EPARSE (bare CR or bare LF) or `other`. */
TN__PRIVATE int tn__http_crlf(const char *p, const char *end, int other) {
    if (p == end) return TN_EINCOMPLETE;
    if (*p == '\r') {
        if (p + 1 == end) return TN_EINCOMPLETE;
        return p[1] == '\n' ? 2 : TN_EPARSE;
    }
    return *p == '\n' ? TN_EPARSE : other;
}

/* Where an incomplete parse stopped: the next call resumes scanning at the end of the bytes
   it had with the scanner named by the phase and reparses the line only once that scanner
   stops early. */
enum { TN__HTTP_PH_LINE = 0, TN__HTTP_PH_TOKEN = 1, TN__HTTP_PH_TARGET = 2, TN__HTTP_PH_VALUE = 3 };

#if TN__HAVE_AVX2 && TN__HTTP_FAST
/* The 64-byte field-line walk (AVX2 builds): bitmaps of the 64
   bytes from `w`, bit i standing for w[i]. stop: the bytes that end a name (':', controls,
   DEL); ctl: the bytes that end a value (controls, DEL). The window starts at the byte
   searched from, or ends at `end` when fewer than 64 bytes are left (the buffer holds at
   least 64: the walk runs only then). Two 32-byte blocks fill a window; with SSE2 or SSE4.2
   alone its four 16-byte blocks cost more than tn__http_line16 (bench_parse chrome-703B:
   8.9M/s against 9.3M/s with SSE2, 9.1M/s against 9.7M/s with SSE4.2; 10.6M/s against
   9.7M/s with AVX2, hence the walk there). */
typedef struct tn__http_bm {
    const char *w;
    uint64_t stop, ctl;
} tn__http_bm;

TN__HTTP_INLINE void tn__http_bm_fill(tn__http_bm *b, const char *p, const char *end) {
    const char *w = end - p >= 64 ? p : end - 64;
    /* two 32-byte blocks: controls as min(v, 0x1f) == v, DEL, ':' */
    const __m256i c1f = _mm256_set1_epi8(0x1f), del = _mm256_set1_epi8(0x7f), colon = _mm256_set1_epi8(':');
    __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)w);
    __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(w + 32));
    __m256i c0 = _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_min_epu8(v0, c1f), v0), _mm256_cmpeq_epi8(v0, del));
    __m256i c1 = _mm256_or_si256(_mm256_cmpeq_epi8(_mm256_min_epu8(v1, c1f), v1), _mm256_cmpeq_epi8(v1, del));
    uint64_t ctl = (uint64_t)(uint32_t)_mm256_movemask_epi8(c0) | (uint64_t)(uint32_t)_mm256_movemask_epi8(c1) << 32;
    uint64_t col = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v0, colon)) |
                   (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v1, colon)) << 32;
    b->w = w;
    b->stop = ctl | col;
    b->ctl = ctl;
}

/* First byte at or after p that is in the class (ctl != 0: value ends, else name ends); end
   when none is before it. */
TN__HTTP_INLINE const char *tn__http_bm_find(tn__http_bm *b, const char *p, const char *end, int ctl) {
    if (p >= end) return end;
    for (;;) {
        if (b->w && (size_t)(p - b->w) < 64) {
            uint64_t m = (ctl ? b->ctl : b->stop) >> (p - b->w);
            if (m) return p + __builtin_ctzll(m);
            p = b->w + 64;
            if (p >= end) return end;
        }
        tn__http_bm_fill(b, p, end);
    }
}

/* 1 if every byte of [p, q) is a tchar (q <= end, end - lo >= 16). Off the critical path: the
   names are found by their ':' and checked here. */
TN__HTTP_INLINE int tn__http_all_tchar(const char *p, const char *q, const char *end) {
    while (q - p >= 16) {
        if (tn__http_token16(p)) return 0;
        p += 16;
    }
    if (p < q) {
        unsigned m, n = (unsigned)(q - p);
        if (end - p >= 16) m = tn__http_token16(p);
        else m = tn__http_token16(end - 16) >> (16 - (end - p));
        if (m & ((1u << n) - 1)) return 0;
    }
    return 1;
}

/* The plain lines (name ":" [SP] value CRLF, no HTAB, no trailing whitespace, room left)
   from p by bitmaps: one find for the ':' and one for the CR, each a shift and a count, not
   a load-compare-count chain per 16 bytes. Returns where it stopped: the first other line
   (or the empty line, an error, an incomplete line) goes to the byte-exact loop, from its
   start, which decides it as it always did: this walk only takes lines that loop would
   accept alike. */
TN__HTTP_INLINE const char *tn__http_bm_walk(const char *p, const char *end, tn_http_header *h, size_t max, size_t *kp) {
    tn__http_bm bm;
    size_t k = *kp;
    bm.w = NULL;
    bm.stop = bm.ctl = 0;
    while (end - p >= 2 && *p != '\r' && k < max) {
        /* both finds start at p: the line's CR is its first control byte when the name
           before the ':' holds none (the check on q), so the next line's start depends on
           p alone, not on the ':' and the byte after it */
        const char *q = tn__http_bm_find(&bm, p, end, 0), *v, *e = tn__http_bm_find(&bm, p, end, 1);
        if (TN__UNLIKELY(q == end || *q != ':' || q == p)) break;
        v = q + 1;
        if (TN__LIKELY(v < end) && *v == ' ') v++;
        if (TN__UNLIKELY(end - e < 2 || e[0] != '\r' || e[1] != '\n' || TN__HTTP_WS(e[-1]))) break;
        if (TN__UNLIKELY(v < e && TN__HTTP_WS(*v))) break;
        if (TN__UNLIKELY(!tn__http_all_tchar(p, q, end))) break;
        h[k].name.ptr = p;
        h[k].name.len = (size_t)(q - p);
        h[k].value.ptr = v;
        h[k].value.len = (size_t)(e - v);
        k++;
        p = e + 2;
    }
    *kp = k;
    return p;
}
#endif

#if TN__HAVE_SSE2 && TN__HTTP_FAST
/* One plain field line at p read by 16-byte blocks: a name of 1 to 15 letters, digits, '-',
   '.' (the first block holds it and its ':'), one optional SP, a value with no control byte
   (HTAB included) and no whitespace at either end, CRLF. Stored in *h, and the line's end
   (after the CRLF) returned; any other line (or fewer than 16 bytes left) gives NULL and goes
   to the byte-exact loop, which decides it as it always did: this path takes only lines
   that loop would accept alike. A short line costs one block: one mask of the ':' and the
   controls finds both the name's end and the CR. */
TN__HTTP_INLINE const char *tn__http_line16(const char *lo, const char *p, const char *end, tn_http_header *h) {
    __m128i v;
    unsigned ctl, col, q, m;
    const char *vs, *e;
    if (end - p < 16) return NULL;
    v = _mm_loadu_si128((const __m128i *)(const void *)p);
    ctl = tn__http_value16v(v);
    col = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':')));
    if (!(col | ctl)) return NULL;
    q = (unsigned)__builtin_ctz(col | ctl);   /* the name ends at the first ':' or control */
    if (!((col >> q) & 1u) || q == 0 || (tn__http_alnum16v(v) & ((1u << q) - 1))) return NULL;
    vs = p + q + 1;
    if (vs == end) return NULL;
    if (*vs == ' ') vs++;
    m = vs - p < 16 ? ctl >> (vs - p) : 0;
    e = m ? vs + __builtin_ctz(m) : tn__http_scan_value(lo, p + 16, end);
    /* (e is the value's first control byte: an HTAB at either end of it would be e itself) */
    if (e == vs || end - e < 2 || memcmp(e, "\r\n", 2) != 0 || e[-1] == ' ' || *vs == ' ') return NULL;
    h->name.ptr = p;
    h->name.len = q;
    h->value.ptr = vs;
    h->value.len = (size_t)(e - vs);
    return e + 2;
}
#endif

/* Parse field lines from *pp until the empty line. Returns 1 (complete; *pp after the empty
   line), TN_EINCOMPLETE (*pp at the start of the incomplete line, complete lines before it
   stored, *phase the scanner to resume with: the line was valid up to end), or an error. */
TN__HTTP_INLINE int tn__http_fields(const char *lo, const char **pp, const char *end, tn_http_header *h, size_t max,
                                    size_t *num, int *phase) {
    const char *p = *pp, *name;
    size_t k = *num;
    int rc;
#if TN__HAVE_AVX2 && TN__HTTP_FAST
    int walked = 0;
#endif
    for (;;) {
        const char *vstart, *vend;
        size_t nlen;
        name = p;
        if (TN__UNLIKELY(end - p < 2)) {
            *phase = p < end && *p == '\r' ? TN__HTTP_PH_LINE : TN__HTTP_PH_TOKEN;
            rc = TN_EINCOMPLETE;
            if (p < end && *p == '\n') rc = TN_EPARSE;
            else if (p < end && *p != '\r' && !TN__HTTP_TCHAR(*p))
                rc = TN__HTTP_WS(*p) ? (k ? TN_EBAD_HEADER_VALUE : TN_EBAD_HEADER_NAME) : TN_EBAD_HEADER_NAME;
            break;
        }
        if (*p == '\r') {
            if (p[1] != '\n') { rc = TN_EPARSE; break; }
            name = p + 2;
            rc = 1;
            break;
        }
#if TN__HAVE_AVX2 && TN__HTTP_FAST
        if (!walked && k < max && end - lo >= 64) {   /* the walk, once */
            const char *n = tn__http_bm_walk(p, end, h, max, &k);
            walked = 1;
            if (n != p) {
                p = n;
                continue;
            }
        }
#endif
#if TN__HAVE_SSE2 && TN__HTTP_FAST
        if (TN__LIKELY(k < max)) {
            const char *n = tn__http_line16(lo, p, end, &h[k]);
            if (TN__LIKELY(n != NULL)) {
                k++;
                p = n;
                continue;
            }
        }
#endif
#if TN__HTTP_FAST
        /* short names byte by byte (no SIMD result to wait for), longer ones by the scanner */
        {
            const char *lim = end - p > 8 ? p + 8 : end;
            if (TN__LIKELY(lim - p >= 4) && (TN__HTTP_TCHAR(p[0]) & TN__HTTP_TCHAR(p[1]) & TN__HTTP_TCHAR(p[2]) &
                                              TN__HTTP_TCHAR(p[3])))
                p += 4;   /* the first 4 name bytes by one branch (nearly every name has them) */
            while (p < lim && TN__HTTP_TCHAR(*p)) p++;
        }
        if (p - name == 8) p = tn__http_scan_token(lo, p, end);
#else
        p = tn__http_scan_token(lo, p, end);
#endif
        if (TN__UNLIKELY(p == end)) {
            *phase = TN__HTTP_PH_TOKEN;
            rc = TN_EINCOMPLETE;
            break;
        }
        if (TN__UNLIKELY(*p != ':' || p == name)) {
            if (p == name && *p == '\n') rc = TN_EPARSE;
            else if (p == name && TN__HTTP_WS(*p)) rc = k ? TN_EBAD_HEADER_VALUE : TN_EBAD_HEADER_NAME;
            else rc = TN_EBAD_HEADER_NAME;
            break;
        }
        nlen = (size_t)(p - name);
        p++;
        if (TN__HTTP_FAST && TN__LIKELY(p < end) && *p == ' ') p++;   /* (the usual one space, before the call) */
        p = tn__http_ows(p, end);
        vstart = p;
        for (;;) {
            p = tn__http_scan_value_short(lo, p, end);
            if (TN__UNLIKELY(p == end)) {
                *phase = TN__HTTP_PH_VALUE;
                rc = TN_EINCOMPLETE;
                goto out;
            }
            if (TN__LIKELY(*p != '\t')) break;
            p++;
        }
        if (TN__LIKELY(*p == '\r')) {
            if (TN__UNLIKELY(p + 1 == end)) {
                *phase = TN__HTTP_PH_LINE;
                rc = TN_EINCOMPLETE;
                break;
            }
            if (TN__UNLIKELY(p[1] != '\n')) { rc = TN_EBAD_HEADER_VALUE; break; }   /* bare CR */
        } else {
            rc = *p == '\n' ? TN_EPARSE : TN_EBAD_HEADER_VALUE;
            break;
        }
        vend = p;   /* vend[-1] is readable: at least the ':' precedes */
        if (!TN__HTTP_FAST || TN__UNLIKELY(TN__HTTP_WS(vend[-1])))   /* (size-optimized builds: the loop alone) */
            while (vend > vstart && TN__HTTP_WS(vend[-1])) vend--;
        if (TN__UNLIKELY(k >= max)) { rc = TN_ETOO_MANY_HEADERS; break; }
        h[k].name.ptr = name;
        h[k].name.len = nlen;
        h[k].value.ptr = vstart;
        h[k].value.len = (size_t)(vend - vstart);
        k++;
        p += 2;
    }
out:
    *pp = name;
    *num = k;
    return rc;
}

/* What the framing fields of a head say. */
typedef struct tn__http_framing {
    unsigned flags;
    int te_others;         /* codings other than chunked */
    int te_chunked;        /* how many times chunked appears */
    int hosts;
    uint64_t cl;
    /* the yes/no answers in bytes: a store of 1 is 3 bytes of x86-64 code shorter */
    unsigned char te_bad;            /* syntax error in a Transfer-Encoding list */
    unsigned char te_last_chunked;   /* the final coding is chunked */
    unsigned char cl_bad, host_bad, upgrade, expect_continue;
} tn__http_framing;

/* One Content-Length field: a list of equal decimal values (RFC 9110 §8.6, RFC 9112 §6.3). */
TN__HTTP_INLINE void tn__http_content_length(tn_str v, tn__http_framing *f) {
    const char *p = v.ptr, *end = v.ptr + v.len;
    if (v.len == 0) { f->cl_bad = 1; return; }
    for (;;) {
        uint64_t x = 0;
        const char *d = p;
        while (p < end && *p >= '0' && *p <= '9') {
            /* x >= 10^18 would pass INT64_MAX after one more digit; below it x * 10 + 9 fits */
            if (x >= 1000000000000000000ull) { f->cl_bad = 1; return; }
            x = x * 10 + (unsigned)(*p - '0');
            p++;
        }
        if (p == d || x > (uint64_t)INT64_MAX) { f->cl_bad = 1; return; }
        if ((f->flags & TN_HTTP_F_CONTENT_LENGTH) && f->cl != x) { f->cl_bad = 1; return; }
        f->cl = x;
        f->flags |= TN_HTTP_F_CONTENT_LENGTH;
        p = tn__http_ows(p, end);
        if (p == end) return;
        if (*p != ',') { f->cl_bad = 1; return; }
        p++;
        p = tn__http_ows(p, end);
    }
}

/* One Transfer-Encoding field: a list of codings; chunked must be last and appear once. */
TN__PRIVATE void tn__http_transfer_encoding(tn_str v, tn__http_framing *f) {
    const char *p = v.ptr, *end = v.ptr + v.len;
    f->flags |= TN_HTTP_F_TRANSFER_ENCODING;
    if (v.len == 0) { f->te_bad = 1; return; }
    for (;;) {
        const char *t = p;
        size_t n;
        p = tn__http_scan_token(v.ptr, p, end);
        n = (size_t)(p - t);
        if (n == 0) { f->te_bad = 1; return; }
        if (tn__http_ieq_lit(t, n, "chunked", 7)) {
            f->te_last_chunked = 1;
            f->te_chunked++;
        } else {
            f->te_last_chunked = 0;
            f->te_others++;
        }
        p = tn__http_ows(p, end);
        /* parameters: only on codings other than chunked; token=(token|quoted) */
        while (p < end && *p == ';') {
            if (f->te_last_chunked) { f->te_bad = 1; return; }
            p++;
            p = tn__http_ows(p, end);
            t = p;
            p = tn__http_scan_token(v.ptr, p, end);
            if (p == t || p == end || *p != '=') { f->te_bad = 1; return; }
            p++;
            if (p < end && *p == '"') {
                p++;
                while (p < end && *p != '"') {
                    if (*p == '\\' && p + 1 < end) p++;
                    p++;
                }
                if (p >= end) { f->te_bad = 1; return; }
                p++;
            } else {
                t = p;
                p = tn__http_scan_token(v.ptr, p, end);
                if (p == t) { f->te_bad = 1; return; }
            }
            p = tn__http_ows(p, end);
        }
        if (p == end) return;
        if (*p != ',') { f->te_bad = 1; return; }
        p++;
        p = tn__http_ows(p, end);
    }
}

/* Connection options (RFC 9110 §7.6.1): one pass over the list for close, keep-alive, upgrade. */
TN__PRIVATE void tn__http_connection(tn_str v, tn__http_framing *f) {
    const char *p = v.ptr, *end = v.ptr + v.len;
#if TN__HTTP_FAST
    /* the usual single options: folding with 0x20 is exact here (values hold no controls) */
    if (v.len == 10 && tn__http_name_is(p, 10, "keep-alive", 10)) { f->flags |= TN_HTTP_F_CONN_KEEP_ALIVE; return; }
    if (v.len == 5 && tn__http_name_is(p, 5, "close", 5)) { f->flags |= TN_HTTP_F_CONN_CLOSE; return; }
#endif
    while (p < end) {
        const char *s, *e;
        size_t n;
        while (p < end && (TN__HTTP_WS(*p) || *p == ',')) p++;
        s = p;
        while (p < end && *p != ',') p++;
        e = p;
        while (e > s && TN__HTTP_WS(e[-1])) e--;
        n = (size_t)(e - s);
        if (tn__http_ieq_lit(s, n, "close", 5)) f->flags |= TN_HTTP_F_CONN_CLOSE;   /* (it compares the lengths) */
        else if (tn__http_ieq_lit(s, n, "keep-alive", 10)) f->flags |= TN_HTTP_F_CONN_KEEP_ALIVE;
        else if (tn__http_ieq_lit(s, n, "upgrade", 7)) f->flags |= TN_HTTP_F_CONN_UPGRADE;
    }
}

/* A field name of 4 to 8 bytes equal to a lowercase literal (letters and '-'): one or two
   loads, folded like tn__http_name_is. */
TN__HTTP_INLINE int tn__http_name_is_short(const char *s, size_t n, const char *lit) {
    uint32_t a, b, c, d;
    memcpy(&a, s, 4);
    memcpy(&b, lit, 4);
    memcpy(&c, s + n - 4, 4);
    memcpy(&d, lit + n - 4, 4);
    return ((a | 0x20202020u) == b) & ((c | 0x20202020u) == d);
}

#if TN__HTTP_FAST
/* 1 if each of the 8 bytes of x is a letter, digit, '-' or '.': per-byte range tests in one
   word. With every byte below 0x80 no sum below carries into the next byte; a high bit then
   says "at least": y >= 'a' and not y >= '{' on the case-folded bytes, x >= '-' and not
   x >= ':' on the bytes as they are, and not '/' (x ^ '/' nonzero). */
TN__HTTP_INLINE int tn__http_host8(uint64_t x) {
    const uint64_t ones = 0x0101010101010101ull, hi = 0x8080808080808080ull;
    uint64_t y = x | 0x2020202020202020ull;
    uint64_t letter = (y + ones * (0x80 - 'a')) & ~(y + ones * (0x80 - '{'));
    uint64_t digit = (x + ones * (0x80 - '-')) & ~(x + ones * (0x80 - ':')) & ((x ^ ones * '/') + ones * 0x7f);
    return (x & hi) == 0 && ((letter | digit) & hi) == hi;
}

/* 1 if a Host value is letters, digits, '-' and '.' only (or empty), with or without a
   port (':' and up to 5 digits, at most 65535): a reg-name[:port] that
   tn_url_parse_host_port accepts as it is, decided here without the call. Any other value
   (an IP literal, %XX, a bad byte, a bad port) gets the full check. The host: 8 bytes a
   word, the last word overlapping (n >= 8), shorter values byte by byte. */
TN__HTTP_INLINE int tn__http_plain_host(tn_str v) {
    const unsigned char *s = (const unsigned char *)v.ptr, *d = s + v.len, *lim = v.len > 5 ? d - 5 : s;
    unsigned port = 0, mul = 1, dig;
    size_t i;
    while (d > lim && (dig = d[-1] - (unsigned)'0') < 10u) {   /* the port's digits, from the end */
        port += dig * mul;
        mul *= 10;
        d--;
    }
    if (d > s && d[-1] == ':') {   /* a port: taken off */
        if (port > 65535) return 0;
        v.len = (size_t)(d - 1 - s);
    }
    if (v.len >= 8) {
        uint64_t x;
        for (i = 0; i + 8 < v.len; i += 8) {
            memcpy(&x, s + i, 8);
            if (!tn__http_host8(x)) return 0;
        }
        memcpy(&x, s + v.len - 8, 8);
        return tn__http_host8(x);
    }
    for (i = 0; i < v.len; i++) {
        unsigned c = s[i];
        if (!((c | 0x20) - 'a' < 26u || c - '0' < 10u || c - '-' < 2u)) return 0;
    }
    return 1;
}
#endif

#if TN__HAVE_SSE2 && TN__HTTP_FAST
/* tn__http_plain_host for a value of 1 to 16 bytes ending at e, with 16 readable bytes
   before e: one block. Returns 1 for letters, digits, '-', '.' with at most one ':' and after
   it 1 to 5 digits of at most 65535 (a subset of what tn__http_plain_host accepts), else 0
   (tn__http_plain_host then decides, as before). */
TN__HTTP_INLINE int tn__http_host16(const char *e, size_t n) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(e - 16));
    unsigned in = (0xffffu << (16 - n)) & 0xffffu, col, port, dig;
    col = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(':'))) & in;
    if (tn__http_alnum16v(v) & in & ~col) return 0;
    if (!col) return 1;
    port = in & ~((col << 1) - 1);   /* the bytes after the first ':' */
    dig = (unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(_mm_add_epi8(v, _mm_set1_epi8(0x50)), _mm_set1_epi8(-118)));
    if (!port || (port & 0x07ffu) || (dig & port) != port) return 0;   /* 1..5 digits, no second ':' */
    if (port == 0xf800u && e[-5] >= '6')   /* five digits: at most 65535 */
        return (unsigned)(e[-5] - '0') * 10000u + (unsigned)(e[-4] - '0') * 1000u + (unsigned)(e[-3] - '0') * 100u +
                   (unsigned)(e[-2] - '0') * 10u + (unsigned)(e[-1] - '0') <= 65535u;
    return 1;
}
#endif

/* The framing scan's long names: by words where speed counts; a size-optimized build
   compares them with tn__http_ieq_lit, which it links anyway (the same answer: names are
   tokens, on which folding with 0x20 and tn__lower agree). */
#if TN__HTTP_FAST
#  define TN__HTTP_NAME_IS tn__http_name_is
#else
#  define TN__HTTP_NAME_IS tn__http_ieq_lit
#endif

/* Scan the stored fields for the ones that decide framing and connection handling. lo: the
   start of the buffer they lie in. */
TN__HTTP_INLINE void tn__http_collect(const char *lo, const tn_http_header *h, size_t num, tn__http_framing *f) {
    /* name lengths that matter: 4 host, 6 expect, 7 upgrade, 10 connection, 14 content-length,
       17 transfer-encoding; everything else is skipped with one test */
    const uint32_t lens = (1u << 4) | (1u << 6) | (1u << 7) | (1u << 10) | (1u << 14) | (1u << 17);
    size_t i;
    (void)lo;
    memset(f, 0, sizeof *f);
    for (i = 0; i < num; i++) {
        const char *nm = h[i].name.ptr;
        size_t n = h[i].name.len;
        if (n > 17 || !((lens >> n) & 1u)) continue;
        switch (n) {
        case 4:
            if (tn__http_name_is_short(nm, 4, "host")) {
                f->hosts++;
#if TN__HAVE_SSE2 && TN__HTTP_FAST
                if (h[i].value.len - 1 < 16 && h[i].value.ptr + h[i].value.len - lo >= 16 &&
                    tn__http_host16(h[i].value.ptr + h[i].value.len, h[i].value.len))
                    break;
#endif
                if (
#if TN__HTTP_FAST   /* (size-optimized builds: the full check alone, the same answer) */
                    !tn__http_plain_host(h[i].value) &&
#endif
                    tn_url_parse_host_port(h[i].value, NULL, NULL) != 0)
                    f->host_bad = 1;
            }
            break;
        case 6:
            if (tn__http_name_is_short(nm, 6, "expect") &&
                tn__http_ieq_lit(h[i].value.ptr, h[i].value.len, "100-continue", 12))
                f->expect_continue = 1;
            break;
        case 7:
            if (tn__http_name_is_short(nm, 7, "upgrade")) f->upgrade = 1;
            break;
        case 10:
            if (TN__HTTP_NAME_IS(nm, 10, "connection", 10)) tn__http_connection(h[i].value, f);
            break;
        case 14:
            if (TN__HTTP_NAME_IS(nm, 14, "content-length", 14)) tn__http_content_length(h[i].value, f);
            break;
        default:
            if (TN__HTTP_NAME_IS(nm, 17, "transfer-encoding", 17)) tn__http_transfer_encoding(h[i].value, f);
            break;
        }
    }
    if (f->te_last_chunked && !f->te_bad) f->flags |= TN_HTTP_F_CHUNKED;
}

/* Rules common to requests and responses (RFC 9112 §6.1, §6.3): CL+TE, TE in HTTP/1.0. */
TN__PRIVATE int tn__http_check_framing(const tn__http_framing *f, int version) {
    if (f->cl_bad) return TN_EBAD_CONTENT_LENGTH;
    if (f->flags & TN_HTTP_F_TRANSFER_ENCODING) {
        if (f->flags & TN_HTTP_F_CONTENT_LENGTH) return TN_EBAD_TRANSFER_ENCODING;
        if (version < 11) return TN_EBAD_TRANSFER_ENCODING;
        if (f->te_bad) return TN_EBAD_TRANSFER_ENCODING;
    }
    return TN_OK;
}

TN__PRIVATE size_t tn__http_max_head(size_t v) {
    size_t m = TN__DEF(v, (size_t)TORNADO_MAX_HEADER_BYTES);
    return m > 0x3fffffffu ? 0x3fffffffu : m;
}

/* Resume bookkeeping shared by both parsers. Returns 1 to (re)parse from st->pos, or a
   result when the new bytes do not finish the scan that stopped the previous call (each
   byte is then scanned once, so a head arriving a byte at a time costs linear time).
   max_head here and in tn__http_incomplete: the max_header_bytes field as given (0 = the
   default), resolved only on these paths. */
TN__PRIVATE int tn__http_resume(tn__http_pstate *st, const char *buf, size_t len, size_t *num_headers,
                                size_t max_head, size_t max_target) {
    const char *p, *end = buf + len;
    if (st->base != buf || st->pos > len || st->scan > len) {
        st->base = buf;
        st->pos = 0;
        st->scan = 0;
        st->mark = 0;
        st->state = 0;
        st->phase = 0;
        *num_headers = 0;
        return 1;
    }
    if (st->phase == TN__HTTP_PH_LINE) return 1;
    p = buf + st->scan;
    if (st->phase == TN__HTTP_PH_TOKEN) {
        p = tn__http_scan_token(buf, p, end);
    } else if (st->phase == TN__HTTP_PH_TARGET) {
        p = tn__http_scan_target(buf, p, end);
        if ((size_t)(p - (buf + st->mark)) > max_target) {
            st->base = NULL;
            return TN_EURI_TOO_LONG;
        }
    } else {
        for (;;) {
            p = tn__http_scan_value(buf, p, end);
            if (p == end || *p != '\t') break;
            p++;
        }
    }
    if (p != end) return 1;
    st->scan = len;
    if (len > tn__http_max_head(max_head)) {
        st->base = NULL;
        return TN_EHEADER_TOO_LARGE;
    }
    return TN_EINCOMPLETE;
}

TN__HTTP_NOINLINE int tn__http_incomplete(tn__http_pstate *st, const char *buf, size_t len, const char *line, int state,
                                    int phase, const char *scan, size_t max_head) {
    if (len > tn__http_max_head(max_head)) {
        st->base = NULL;
        return TN_EHEADER_TOO_LARGE;
    }
    st->pos = (size_t)(line - buf);
    st->scan = (size_t)(scan - buf);
    st->state = state;
    st->phase = phase;
    return TN_EINCOMPLETE;
}

TN__PRIVATE int tn__http_target_form(tn_str method, tn_str t) {
    size_t i;
    if (tn_str_eq_c(method, "CONNECT")) {
        /* authority-form (RFC 9112 §3.2.3): uri-host ":" port, nothing else */
        tn_str host;
        int port;
        if (tn_url_parse_host_port(t, &host, &port) != 0 || host.len == 0 || port < 0) return TN_EBAD_TARGET;
        return TN_HTTP_TARGET_AUTHORITY;
    }
    if (t.ptr[0] == '/') return TN_HTTP_TARGET_ORIGIN;
    if (t.len == 1 && t.ptr[0] == '*')
        return tn_str_eq_c(method, "OPTIONS") ? (int)TN_HTTP_TARGET_ASTERISK : (int)TN_EBAD_TARGET;
    /* absolute-form: scheme ":" ..., scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
    if (!((t.ptr[0] | 0x20) >= 'a' && (t.ptr[0] | 0x20) <= 'z')) return TN_EBAD_TARGET;
    for (i = 1; i < t.len; i++) {
        char c = t.ptr[i];
        if (c == ':') return i + 1 < t.len ? (int)TN_HTTP_TARGET_ABSOLUTE : (int)TN_EBAD_TARGET;
        if (!(tn__http_cls[(unsigned char)c] & TN__HTTP_C_SCHEME)) return TN_EBAD_TARGET;
    }
    return TN_EBAD_TARGET;
}

/* Skip empty lines (CRLF) before a start line (RFC 9112 §2.2). Returns 1 with *pp at the
   first other byte, TN_EINCOMPLETE (a CR at the end) or TN_EPARSE. */
TN__PRIVATE int tn__http_skip_empty(const char **pp, const char *end) {
    const char *p = *pp;
    while (p < end && *p == '\r') {
        if (p + 1 == end) {
            *pp = p;
            return TN_EINCOMPLETE;
        }
        if (p[1] != '\n') return TN_EPARSE;
        p += 2;
    }
    *pp = p;
    if (p < end && *p == '\n') return TN_EPARSE;
    return 1;
}

#define TN__HTTP_FAIL(rc) do { st->base = NULL; return (rc); } while (0)

TN_API int tn_http_parse_request(const char *buf, size_t len, tn_http_request *req) {
    tn__http_pstate *st = &req->_st;
    const char *end = buf + len, *p, *line;
    size_t max_head = req->max_header_bytes;   /* as given (0 = the default): resolved where a length is checked */
    size_t max_target = TN__DEF(req->max_target_length, (size_t)TORNADO_MAX_TARGET_LENGTH);
    tn__http_framing f;
    int phase;
    unsigned fl;
    int rc, consumed, state;

    if (buf == NULL) return len ? TN_EINVAL : TN_EINCOMPLETE;
    if (TN__LIKELY(st->base != buf)) {   /* a fresh parse */
        st->base = buf;
        st->pos = 0;
        st->state = 0;
        req->num_headers = 0;
        p = buf;   /* from locals: no reload of what was just stored */
        state = 0;
    } else {
        rc = tn__http_resume(st, buf, len, &req->num_headers, max_head, max_target);
        if (rc != 1) return rc;
        p = buf + st->pos;
        state = st->state;
    }

    if (state == 0) {
        const char *t;
        if (TN__UNLIKELY(p < end && (*p == '\r' || *p == '\n'))) {
            rc = tn__http_skip_empty(&p, end);
            if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, p, 0, TN__HTTP_PH_LINE, p, max_head);
            if (rc < 0) TN__HTTP_FAIL(rc);
        }
        line = p;
#if TN__HTTP_FAST
        /* the common methods by one load, any other token by the scanner */
        if (TN__LIKELY(end - p >= 5) && memcmp(p, "GET ", 4) == 0) {
            p += 3;
        } else if (end - p >= 5 && memcmp(p, "POST ", 5) == 0) {
            p += 4;
        } else
#endif
        {
            p = tn__http_scan_token(buf, p, end);
            if (p == end) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_TOKEN, end, max_head);
            if (*p != ' ' || p == line) TN__HTTP_FAIL((p == line && *p == '\n') ? TN_EPARSE : TN_EBAD_METHOD);
        }
        req->method.ptr = line;
        req->method.len = (size_t)(p - line);
        t = ++p;
#if TN__HAVE_SSE2 && TN__HTTP_FAST
        /* a one-byte target ("/") by itself, longer ones by a 16-byte block (the target and
           what follows), the scanner on from there */
        if (TN__LIKELY(end - p >= 16)) {
            if (TN__HTTP_TARGET(p[0]) && p[1] == ' ') {
                p++;
            } else {
                unsigned m = tn__http_target16(p);
                p = m ? p + __builtin_ctz(m) : tn__http_scan_target(buf, p + 16, end);
            }
        } else {
            p = tn__http_scan_target(buf, p, end);
        }
#elif TN__HTTP_FAST
        /* short targets ("/") byte by byte, longer ones by the scanner */
        {
            const char *lim = end - p > 8 ? p + 8 : end;
            while (p < lim && TN__HTTP_TARGET(*p)) p++;
        }
        if (p - t == 8) p = tn__http_scan_target(buf, p, end);
#else
        p = tn__http_scan_target(buf, p, end);
#endif
        if ((size_t)(p - t) > max_target) TN__HTTP_FAIL(TN_EURI_TOO_LONG);
        if (p == end) {
            st->mark = (size_t)(t - buf);
            return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_TARGET, end, max_head);
        }
        if (*p != ' ' || p == t) TN__HTTP_FAIL((p != t && (*p == '\r' || *p == '\n')) ? TN_EBAD_VERSION : TN_EBAD_TARGET);
        req->target.ptr = t;
        req->target.len = (size_t)(p - t);
        p++;
#if TN__HTTP_FAST
        if (TN__LIKELY(end - p >= 10) && memcmp(p, "HTTP/1.1\r\n", 10) == 0) {   /* the common version */
            req->version = 11;
            p += 10;
        } else
#endif
        {
            rc = tn__http_version(p, end, &req->version);
            if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_LINE, p, max_head);
            if (rc < 0) TN__HTTP_FAIL(rc);
            p += rc;
            rc = tn__http_crlf(p, end, TN_EBAD_VERSION);
            if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_LINE, p, max_head);
            if (rc < 0) TN__HTTP_FAIL(rc);
            p += rc;
        }
        /* (a size-optimized build asks tn__http_target_form every time: the same answer) */
        if (TN__HTTP_FAST && TN__LIKELY(t[0] == '/') && t - line != 8) {
            req->target_form = TN_HTTP_TARGET_ORIGIN;   /* not CONNECT: origin-form */
        } else {
            rc = tn__http_target_form(req->method, req->target);
            if (rc < 0) TN__HTTP_FAIL(rc);
            req->target_form = rc;
        }
        req->num_headers = 0;
    }

    rc = tn__http_fields(buf, &p, end, req->headers, req->headers ? req->max_headers : 0, &req->num_headers, &phase);
    if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, p, 1, phase, end, max_head);
    st->base = NULL;   /* complete or failed: the next call starts afresh */
    if (rc < 0) return rc;
    if ((size_t)(p - buf) > tn__http_max_head(max_head)) return TN_EHEADER_TOO_LARGE;
    consumed = (int)(p - buf);

    tn__http_collect(buf, req->headers, req->num_headers, &f);
    if ((rc = tn__http_check_framing(&f, req->version)) != 0) return rc;
    /* RFC 9112 §6.3: a request whose final coding is not chunked cannot be framed: 400 */
    if ((f.flags & TN_HTTP_F_TRANSFER_ENCODING) && (!f.te_last_chunked || f.te_chunked > 1)) return TN_EBAD_TRANSFER_ENCODING;
    if (f.te_others) return TN_EUNSUPPORTED_TE;
    if (f.hosts > 1) return TN_EBAD_HEADER_VALUE;   /* RFC 9112 §3.2: more than one Host */
    if (f.host_bad) return TN_EBAD_HEADER_VALUE;    /* RFC 9112 §3.2: Host is not host[:port] */
    fl = f.flags;   /* (a local: f's address was taken, its fields live in memory) */
    if (f.hosts == 1) fl |= TN_HTTP_F_HOST;
    if (req->version >= 11) {
        if (f.expect_continue) fl |= TN_HTTP_F_EXPECT_CONTINUE;
        if (f.upgrade && (fl & TN_HTTP_F_CONN_UPGRADE)) fl |= TN_HTTP_F_UPGRADE;
        if (!(fl & TN_HTTP_F_CONN_CLOSE)) fl |= TN_HTTP_F_KEEP_ALIVE;
    } else if ((fl & TN_HTTP_F_CONN_KEEP_ALIVE) && !(fl & TN_HTTP_F_CONN_CLOSE)) {
        fl |= TN_HTTP_F_KEEP_ALIVE;
    }
    req->content_length = 0;
    req->body_kind = TN_HTTP_BODY_NONE;
    if (req->target_form == TN_HTTP_TARGET_AUTHORITY) {
        /* CONNECT: no content (RFC 9110 §9.3.6); the tunnel starts after the head */
        fl |= TN_HTTP_F_UPGRADE;
    } else if (fl & TN_HTTP_F_CHUNKED) {
        req->body_kind = TN_HTTP_BODY_CHUNKED;
    } else if (fl & TN_HTTP_F_CONTENT_LENGTH) {
        req->content_length = f.cl;
        if (f.cl) req->body_kind = TN_HTTP_BODY_LENGTH;
    }
    req->flags = fl;
    return consumed;
}

TN_API int tn_http_parse_response(const char *buf, size_t len, tn_http_response *res) {
    tn__http_pstate *st = &res->_st;
    const char *end = buf + len, *p, *line;
    size_t max_head = res->max_header_bytes;   /* as given: resolved where a length is checked */
    tn__http_framing f;
    int phase;
    int rc, consumed, state;

    if (buf == NULL) return len ? TN_EINVAL : TN_EINCOMPLETE;
    if (TN__LIKELY(st->base != buf)) {   /* a fresh parse */
        st->base = buf;
        st->pos = 0;
        st->state = 0;
        res->num_headers = 0;
        p = buf;   /* from locals: no reload of what was just stored */
        state = 0;
    } else {
        rc = tn__http_resume(st, buf, len, &res->num_headers, max_head, 0);
        if (rc != 1) return rc;
        p = buf + st->pos;
        state = st->state;
    }

    if (state == 0) {
        static const char pat[] = " ###";
        const char *r;
        int i, status = 0;
        if (TN__UNLIKELY(p < end && (*p == '\r' || *p == '\n'))) {
            rc = tn__http_skip_empty(&p, end);
            if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, p, 0, TN__HTTP_PH_LINE, p, max_head);
            if (rc < 0) TN__HTTP_FAIL(rc);
        }
        line = p;
#if TN__HTTP_FAST
        if (TN__LIKELY(end - p >= 13) && memcmp(p, "HTTP/1.1 ", 9) == 0 && tn__is_digit((unsigned char)p[9]) &&
            tn__is_digit((unsigned char)p[10]) && tn__is_digit((unsigned char)p[11]) && p[12] == ' ' && p[9] != '0') {
            /* the common status line head: "HTTP/1.1 DDD " */
            res->version = 11;
            res->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
            p += 13;
            goto reason;
        }
#endif
        rc = tn__http_version(p, end, &res->version);
        if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_LINE, line, max_head);
        if (rc < 0) TN__HTTP_FAIL(rc);
        p += rc;
        /* SP 3DIGIT [SP reason] CRLF; the SP before an empty reason may be missing */
        for (i = 0; i < 4; i++) {
            if (p + i == end) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_LINE, line, max_head);
            if (pat[i] == '#') {
                if (p[i] < '0' || p[i] > '9') TN__HTTP_FAIL(TN_EBAD_STATUS);
                status = status * 10 + (p[i] - '0');
            } else if (p[i] != ' ') {
                TN__HTTP_FAIL(TN_EBAD_VERSION);
            }
        }
        if (status < 100) TN__HTTP_FAIL(TN_EBAD_STATUS);
        res->status = status;
        p += 4;
        if (p == end) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_LINE, line, max_head);
        if (*p == ' ') p++;
        else if (*p != '\r' && *p != '\n') TN__HTTP_FAIL(TN_EBAD_STATUS);
#if TN__HTTP_FAST
    reason:
#endif
        r = p;
        for (;;) {
            p = tn__http_scan_value_short(buf, p, end);
            if (p == end) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_VALUE, end, max_head);
            if (*p != '\t') break;
            p++;
        }
        res->reason.ptr = r;
        res->reason.len = (size_t)(p - r);
        rc = tn__http_crlf(p, end, TN_EBAD_STATUS);
        if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, line, 0, TN__HTTP_PH_LINE, line, max_head);
        if (rc < 0) TN__HTTP_FAIL(rc);
        p += rc;
        res->num_headers = 0;
    }

    rc = tn__http_fields(buf, &p, end, res->headers, res->headers ? res->max_headers : 0, &res->num_headers, &phase);
    if (rc == TN_EINCOMPLETE) return tn__http_incomplete(st, buf, len, p, 1, phase, end, max_head);
    st->base = NULL;
    if (rc < 0) return rc;
    if ((size_t)(p - buf) > tn__http_max_head(max_head)) return TN_EHEADER_TOO_LARGE;
    consumed = (int)(p - buf);

    tn__http_collect(buf, res->headers, res->num_headers, &f);
    if ((rc = tn__http_check_framing(&f, res->version)) != 0) return rc;
    /* RFC 9112 §6.3: chunked not final (or applied twice) → the body runs until close */
    if (f.te_last_chunked && f.te_chunked > 1) f.flags &= ~(unsigned)TN_HTTP_F_CHUNKED;
    if ((f.flags & TN_HTTP_F_CHUNKED) && f.te_others) return TN_EUNSUPPORTED_TE;
    if (res->status == 101) f.flags |= TN_HTTP_F_UPGRADE;
    if (TN__HTTP_STR_IS(res->request_method, "CONNECT") && res->status / 100 == 2) f.flags |= TN_HTTP_F_UPGRADE;
    res->flags = f.flags;
    res->content_length = f.cl;
    res->body_kind = tn_http_response_body(res, res->request_method, &res->content_length);
    if (res->version >= 11 ? !(f.flags & TN_HTTP_F_CONN_CLOSE)
                           : ((f.flags & TN_HTTP_F_CONN_KEEP_ALIVE) && !(f.flags & TN_HTTP_F_CONN_CLOSE))) {
        if (res->body_kind != TN_HTTP_BODY_UNTIL_CLOSE) res->flags |= TN_HTTP_F_KEEP_ALIVE;
    }
    return consumed;
}

TN_API void tn_http_request_reset(tn_http_request *req) {
    tn_http_request keep = *req;
    memset(req, 0, sizeof *req);
    req->headers = keep.headers;
    req->max_headers = keep.max_headers;
    req->max_header_bytes = keep.max_header_bytes;
    req->max_target_length = keep.max_target_length;
}

TN_API void tn_http_response_reset(tn_http_response *res) {
    tn_http_response keep = *res;
    memset(res, 0, sizeof *res);
    res->headers = keep.headers;
    res->max_headers = keep.max_headers;
    res->max_header_bytes = keep.max_header_bytes;
    res->request_method = keep.request_method;
}

TN_API int tn_http_error_status(int code) {
    switch (code) {
    case TN_EBODY_TOO_LARGE: return 413;
    case TN_EURI_TOO_LONG: return 414;
    case TN_EHEADER_TOO_LARGE:
    case TN_ETOO_MANY_HEADERS: return 431;
    case TN_EUNSUPPORTED_TE: return 501;
    default: return code < 0 && code != TN_EINCOMPLETE ? 400 : 0;
    }
}

TN_API int tn_http_request_keep_alive(const tn_http_request *req) {
    return (req->flags & TN_HTTP_F_KEEP_ALIVE) ? 1 : 0;
}

TN_API int tn_http_response_keep_alive(const tn_http_response *res) {
    return (res->flags & TN_HTTP_F_KEEP_ALIVE) ? 1 : 0;
}

TN_API int tn_http_response_body(const tn_http_response *res, tn_str request_method, uint64_t *length) {
    int kind;
    uint64_t n = 0;
    if (TN__HTTP_STR_IS(request_method, "HEAD") || res->status < 200 || res->status == 204 || res->status == 304 ||
        (TN__HTTP_STR_IS(request_method, "CONNECT") && res->status / 100 == 2)) {
        kind = TN_HTTP_BODY_NONE;
    } else if (res->flags & TN_HTTP_F_TRANSFER_ENCODING) {
        kind = (res->flags & TN_HTTP_F_CHUNKED) ? TN_HTTP_BODY_CHUNKED : TN_HTTP_BODY_UNTIL_CLOSE;
    } else if (res->flags & TN_HTTP_F_CONTENT_LENGTH) {
        n = res->content_length;
        kind = n ? TN_HTTP_BODY_LENGTH : TN_HTTP_BODY_NONE;
    } else {
        kind = TN_HTTP_BODY_UNTIL_CLOSE;
    }
    if (length) *length = n;
    return kind;
}

/* ---- chunked coding ---- */

enum {
    TN__HTTP_CK_SIZE = 0, TN__HTTP_CK_EXT_NAME0, TN__HTTP_CK_EXT_NAME, TN__HTTP_CK_EXT_VAL0,
    TN__HTTP_CK_EXT_VAL, TN__HTTP_CK_EXT_QUOTED, TN__HTTP_CK_EXT_QESC, TN__HTTP_CK_EXT_VALEND,
    TN__HTTP_CK_EXT_SEMI, TN__HTTP_CK_EXT_EQ, TN__HTTP_CK_SIZE_LF, TN__HTTP_CK_DATA, TN__HTTP_CK_DATA_CR,
    TN__HTTP_CK_DATA_LF, TN__HTTP_CK_TR_START, TN__HTTP_CK_TR_NAME, TN__HTTP_CK_TR_VALUE, TN__HTTP_CK_TR_LF,
    TN__HTTP_CK_FINAL_LF, TN__HTTP_CK_DONE, TN__HTTP_CK_ERROR
};

/* The class of byte c in a chunk extension (tn__http_cls's high nibble): 0 a control (not
   HTAB), 1 tchar, 2 SP / HTAB, 3 '=', 4 ';', 5 CR, 6 '"', 7 '\\', 8 any other (visible or
   obs-text: quoted-string text). */
#define TN__HTTP_CK_CLASS(c) (tn__http_cls[(unsigned char)(c)] >> 4)

/* The extension states' next state per byte class (TN__HTTP_CK_ERROR: not allowed there). */
#define TN__CKE TN__HTTP_CK_ERROR
static const unsigned char tn__http_ck_ext[9][9] = {
    /*           ctl     tchar                  WS                     '='                    ';'                    CR                    '"'                    '\\'                  other */
    /* NAME0 */ {TN__CKE, TN__HTTP_CK_EXT_NAME, TN__HTTP_CK_EXT_NAME0, TN__CKE, TN__CKE, TN__CKE, TN__CKE, TN__CKE, TN__CKE},
    /* NAME */  {TN__CKE, TN__HTTP_CK_EXT_NAME, TN__HTTP_CK_EXT_EQ, TN__HTTP_CK_EXT_VAL0, TN__HTTP_CK_EXT_NAME0,
                 TN__HTTP_CK_SIZE_LF, TN__CKE, TN__CKE, TN__CKE},
    /* VAL0 */  {TN__CKE, TN__HTTP_CK_EXT_VAL, TN__HTTP_CK_EXT_VAL0, TN__CKE, TN__CKE, TN__CKE, TN__HTTP_CK_EXT_QUOTED,
                 TN__CKE, TN__CKE},
    /* VAL */   {TN__CKE, TN__HTTP_CK_EXT_VAL, TN__HTTP_CK_EXT_SEMI, TN__CKE, TN__HTTP_CK_EXT_NAME0, TN__HTTP_CK_SIZE_LF,
                 TN__CKE, TN__CKE, TN__CKE},
    /* QUOTED */{TN__CKE, TN__HTTP_CK_EXT_QUOTED, TN__HTTP_CK_EXT_QUOTED, TN__HTTP_CK_EXT_QUOTED,
                 TN__HTTP_CK_EXT_QUOTED, TN__CKE, TN__HTTP_CK_EXT_VALEND, TN__HTTP_CK_EXT_QESC, TN__HTTP_CK_EXT_QUOTED},
    /* QESC */  {TN__CKE, TN__HTTP_CK_EXT_QUOTED, TN__HTTP_CK_EXT_QUOTED, TN__HTTP_CK_EXT_QUOTED,
                 TN__HTTP_CK_EXT_QUOTED, TN__CKE, TN__HTTP_CK_EXT_QUOTED, TN__HTTP_CK_EXT_QUOTED, TN__HTTP_CK_EXT_QUOTED},
    /* VALEND */{TN__CKE, TN__CKE, TN__HTTP_CK_EXT_SEMI, TN__CKE, TN__HTTP_CK_EXT_NAME0, TN__HTTP_CK_SIZE_LF, TN__CKE,
                 TN__CKE, TN__CKE},
    /* SEMI */  {TN__CKE, TN__CKE, TN__HTTP_CK_EXT_SEMI, TN__CKE, TN__HTTP_CK_EXT_NAME0, TN__CKE, TN__CKE, TN__CKE,
                 TN__CKE},
    /* EQ */    {TN__CKE, TN__CKE, TN__HTTP_CK_EXT_EQ, TN__HTTP_CK_EXT_VAL0, TN__HTTP_CK_EXT_NAME0, TN__CKE, TN__CKE,
                 TN__CKE, TN__CKE},
};
#undef TN__CKE

/* End of the chunk-size line's size part (at ';' or CR): check the body limit. */
TN__PRIVATE int tn__http_chunk_size_end(tn_http_chunked *d) {
    uint64_t max = TN__DEF(d->max_body_bytes, (uint64_t)TORNADO_MAX_BODY_BYTES);
    if (d->_sub == 0) return TN_EBAD_CHUNK;
    if (d->_left > max || d->body_bytes > max - d->_left) return TN_EBODY_TOO_LARGE;
    return TN_OK;
}

TN_API int tn_http_decode_chunked(tn_http_chunked *d, char *buf, size_t *len) {
    size_t n = *len, src = 0, dst = 0;
    size_t max_line = TN__DEF(d->max_chunk_line, (size_t)TORNADO_MAX_CHUNK_LINE);
    size_t max_trailer = TN__DEF(d->max_trailer_bytes, (size_t)TORNADO_MAX_TRAILER_BYTES);
    int rc = TN_OK;

    if (d->_state == TN__HTTP_CK_ERROR) { *len = 0; return TN_EBAD_CHUNK; }
    if (d->_state == TN__HTTP_CK_DONE) { *len = 0; return n > 0x7fffffffu ? 0x7fffffff : (int)n; }
    if (n > 0x7fffffffu) return TN_EINVAL;
    for (;;) {
        unsigned char c;
        if (d->_state == TN__HTTP_CK_DATA) {
            size_t take = n - src;
            if ((uint64_t)take > d->_left) take = (size_t)d->_left;
            if (take) {
                if (dst != src) memmove(buf + dst, buf + src, take);
                dst += take;
                src += take;
                d->_left -= take;
                d->body_bytes += take;
            }
            if (d->_left) break;
            d->_state = TN__HTTP_CK_DATA_CR;
            continue;
        }
        if (src == n) break;
        c = (unsigned char)buf[src++];
        if (d->_state < TN__HTTP_CK_DATA) {
            if (++d->_count > max_line) { rc = TN_EBAD_CHUNK; goto fail; }
        } else if (d->_state >= TN__HTTP_CK_TR_START) {
            if (++d->_count > max_trailer) { rc = TN_EHEADER_TOO_LARGE; goto fail; }
        }
        switch (d->_state) {
        case TN__HTTP_CK_SIZE: {
            int v = tn__hexval(c);
            if (v >= 0) {
                if (d->_left >> 60) { rc = TN_EBAD_CHUNK; goto fail; }   /* overflow */
                d->_left = (d->_left << 4) | (uint64_t)v;
                d->_sub++;
            } else if (c == ';' || c == '\r' || TN__HTTP_WS(c)) {
                if ((rc = tn__http_chunk_size_end(d)) != 0) goto fail;
                d->_state = c == ';' ? TN__HTTP_CK_EXT_NAME0 : c == '\r' ? TN__HTTP_CK_SIZE_LF : TN__HTTP_CK_EXT_SEMI;
            } else {
                rc = TN_EBAD_CHUNK;
                goto fail;
            }
            break;
        }
        /* chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ) (RFC 9112 §7.1.1): BWS (SP,
           HTAB) only where a ';' or '=' follows, so a line never ends in whitespace. The
           extension states step by tn__http_ck_ext (a state per byte class). */
        case TN__HTTP_CK_EXT_NAME0: case TN__HTTP_CK_EXT_NAME: case TN__HTTP_CK_EXT_VAL0:
        case TN__HTTP_CK_EXT_VAL: case TN__HTTP_CK_EXT_QUOTED: case TN__HTTP_CK_EXT_QESC:
        case TN__HTTP_CK_EXT_VALEND: case TN__HTTP_CK_EXT_SEMI: case TN__HTTP_CK_EXT_EQ:
            d->_state = tn__http_ck_ext[d->_state - TN__HTTP_CK_EXT_NAME0][TN__HTTP_CK_CLASS(c)];
            if (d->_state == TN__HTTP_CK_ERROR) { rc = TN_EBAD_CHUNK; goto fail; }
            break;
        case TN__HTTP_CK_SIZE_LF:
            if (c != '\n') { rc = TN_EBAD_CHUNK; goto fail; }
            d->_count = 0;
            if (d->_left == 0) {
                d->_state = TN__HTTP_CK_TR_START;
            } else {
                d->num_chunks++;
                d->_state = TN__HTTP_CK_DATA;
            }
            break;
        case TN__HTTP_CK_DATA_CR:
            if (c != '\r') { rc = TN_EBAD_CHUNK; goto fail; }
            d->_state = TN__HTTP_CK_DATA_LF;
            break;
        case TN__HTTP_CK_DATA_LF:
            if (c != '\n') { rc = TN_EBAD_CHUNK; goto fail; }
            d->_state = TN__HTTP_CK_SIZE;
            d->_count = 0;
            d->_sub = 0;
            d->_left = 0;
            break;
        case TN__HTTP_CK_TR_START:
            if (c == '\r') d->_state = TN__HTTP_CK_FINAL_LF;
            else if (TN__HTTP_TCHAR(c)) d->_state = TN__HTTP_CK_TR_NAME;
            else { rc = c == '\n' ? TN_EBAD_CHUNK : TN_EBAD_HEADER_NAME; goto fail; }
            break;
        case TN__HTTP_CK_TR_NAME:
            if (TN__HTTP_TCHAR(c)) break;
            if (c == ':') d->_state = TN__HTTP_CK_TR_VALUE;
            else { rc = TN_EBAD_HEADER_NAME; goto fail; }
            break;
        case TN__HTTP_CK_TR_VALUE:
            if (c == '\r') d->_state = TN__HTTP_CK_TR_LF;
            else if (TN__HTTP_CK_CLASS(c)) break;   /* (class 0: controls but HTAB, and DEL) */
            else { rc = TN_EBAD_HEADER_VALUE; goto fail; }
            break;
        case TN__HTTP_CK_TR_LF:
            if (c != '\n') { rc = TN_EBAD_HEADER_VALUE; goto fail; }
            d->_state = TN__HTTP_CK_TR_START;
            break;
        case TN__HTTP_CK_FINAL_LF:
            if (c != '\n') { rc = TN_EBAD_CHUNK; goto fail; }
            d->_state = TN__HTTP_CK_DONE;
            if (dst != src) memmove(buf + dst, buf + src, n - src);
            *len = dst;
            return (int)(n - src);
        default:
            rc = TN_EBAD_CHUNK;
            goto fail;
        }
    }
    *len = dst;
    return TN_EINCOMPLETE;
fail:
    d->_state = TN__HTTP_CK_ERROR;
    *len = dst;
    return rc;
}

TN_API int tn_http_format_chunk_header(char *out, size_t cap, uint64_t size) {
    static const char hex[] = "0123456789abcdef";
    char tmp[20];
    size_t n = 0, i;
    if (size == 0) return TN_EINVAL;
    while (size) {
        tmp[n++] = hex[size & 15];
        size >>= 4;
    }
    if (cap < n + 2) return TN_EBUFFER_FULL;
    for (i = 0; i < n; i++) out[i] = tmp[n - 1 - i];
    out[n] = '\r';
    out[n + 1] = '\n';
    return (int)(n + 2);
}

TN_API int tn_http_format_chunk_end(char *out, size_t cap, const tn_http_header *trailers, size_t num_trailers) {
    size_t need = 5, pos = 0, i, j;
    for (i = 0; i < num_trailers; i++) {
        tn_str nm = trailers[i].name, v = trailers[i].value;
        if (nm.len == 0) return TN_EBAD_HEADER_NAME;
        for (j = 0; j < nm.len; j++)
            if (!TN__HTTP_TCHAR(nm.ptr[j])) return TN_EBAD_HEADER_NAME;
        for (j = 0; j < v.len; j++) {
            unsigned char c = (unsigned char)v.ptr[j];
            if ((c < 0x20 && c != '\t') || c == 0x7f) return TN_EBAD_HEADER_VALUE;
        }
        need += nm.len + v.len + 4;
    }
    if (need > cap || need > 0x7fffffffu) return TN_EBUFFER_FULL;
    memcpy(out, "0\r\n", 3);
    pos = 3;
    for (i = 0; i < num_trailers; i++) {
        memcpy(out + pos, trailers[i].name.ptr, trailers[i].name.len);
        pos += trailers[i].name.len;
        out[pos++] = ':';
        out[pos++] = ' ';
        if (trailers[i].value.len) memcpy(out + pos, trailers[i].value.ptr, trailers[i].value.len);
        pos += trailers[i].value.len;
        out[pos++] = '\r';
        out[pos++] = '\n';
    }
    out[pos++] = '\r';
    out[pos++] = '\n';
    return (int)pos;
}

/* ---- header utilities ---- */

TN_API size_t tn_http_header_next(const tn_http_header *headers, size_t num, const char *name, size_t from) {
    size_t i, n = strlen(name);
    for (i = from; i < num; i++)
        if (headers[i].name.len == n && tn__http_ieq_c(headers[i].name, name)) return i;
    return num;
}

TN_API const tn_http_header *tn_http_header_find(const tn_http_header *headers, size_t num, const char *name) {
    size_t i = tn_http_header_next(headers, num, name, 0);
    return i < num ? &headers[i] : NULL;
}

TN_API int tn_http_header_get(const tn_http_header *headers, size_t num, const char *name, tn_str *value) {
    const tn_http_header *h = tn_http_header_find(headers, num, name);
    if (!h) {
        value->ptr = NULL;
        value->len = 0;
        return TN_ENOENT;
    }
    *value = h->value;
    return TN_OK;
}

TN_API size_t tn_http_header_count(const tn_http_header *headers, size_t num, const char *name) {
    size_t i, c = 0;
    for (i = tn_http_header_next(headers, num, name, 0); i < num; i = tn_http_header_next(headers, num, name, i + 1))
        c++;
    return c;
}

TN_API int tn_http_header_join(const tn_http_header *headers, size_t num, const char *name, char *out, size_t cap, size_t *out_len) {
    size_t i, pos = 0;
    int found = 0;
    if (out_len) *out_len = 0;
    if (cap) out[0] = 0;
    for (i = tn_http_header_next(headers, num, name, 0); i < num; i = tn_http_header_next(headers, num, name, i + 1)) {
        size_t need = headers[i].value.len + (found ? 2 : 0);
        if (pos + need + 1 > cap) return TN_EBUFFER_FULL;
        if (found) {
            out[pos++] = ',';
            out[pos++] = ' ';
        }
        if (headers[i].value.len) memcpy(out + pos, headers[i].value.ptr, headers[i].value.len);
        pos += headers[i].value.len;
        found = 1;
    }
    if (!found) return TN_ENOENT;
    out[pos] = 0;
    if (out_len) *out_len = pos;
    return TN_OK;
}

TN_API int tn_http_token_list_has(tn_str value, const char *token) {
    const char *p = value.ptr, *end = value.ptr + value.len;
    size_t tn = strlen(token);
    if (value.len == 0) return 0;
    while (p < end) {
        const char *s, *e;
        while (p < end && (TN__HTTP_WS(*p) || *p == ',')) p++;
        s = p;
        while (p < end && *p != ',' && *p != ';') p++;
        e = p;
        while (e > s && TN__HTTP_WS(e[-1])) e--;
        if ((size_t)(e - s) == tn && tn__http_ieq_c(tn_str_make(s, tn), token)) return 1;
        while (p < end && *p != ',') p++;   /* skip parameters */
    }
    return 0;
}

TN_API int tn_http_header_has_token(const tn_http_header *headers, size_t num, const char *name, const char *token) {
    size_t i;
    for (i = tn_http_header_next(headers, num, name, 0); i < num; i = tn_http_header_next(headers, num, name, i + 1))
        if (tn_http_token_list_has(headers[i].value, token)) return 1;
    return 0;
}
