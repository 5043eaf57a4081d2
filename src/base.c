/* base.c: result code names, tn_str helpers, allocator wrappers, logging. */
#include "base.h"
#include "internal.h"

TN_API const char *tn_strerror(int code) {
    switch (code) {
    case TN_OK: return "success";
#define TN__ERR_TEXT(name, value, text) case name: return text;
    TN__ERRORS(TN__ERR_TEXT)
#undef TN__ERR_TEXT
    default: return "unknown error";
    }
}

TN_API const char *tn_err_name(int code) {
    switch (code) {
    case TN_OK: return "TN_OK";
#define TN__ERR_NAME(name, value, text) case name: return #name;
    TN__ERRORS(TN__ERR_NAME)
#undef TN__ERR_NAME
    default: return "?";
    }
}

TN_API tn_str tn_str_make(const char *ptr, size_t len) {
    tn_str s;
    s.ptr = ptr;
    s.len = len;
    return s;
}

TN_API tn_str tn_str_c(const char *cstr) { return tn_str_make(cstr, cstr ? strlen(cstr) : 0); }

TN_API int tn_str_eq(tn_str a, tn_str b) {
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

TN__PRIVATE int tn__lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/* ASCII classes shared by the parsers (url, http_util, ...). */
TN__PRIVATE int tn__is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
TN__PRIVATE int tn__is_digit(int c) { return c >= '0' && c <= '9'; }
TN__PRIVATE int tn__is_alnum(int c) { return tn__is_alpha(c) || tn__is_digit(c); }

/* *v / d in place for d from 1 to 65535, returning *v % d, with 32-bit divisions only (three
   steps of 16 bits after the high word; each quotient fits because the remainder carried in
   is below d). What 32-bit targets use, so they link no 64-bit division routine
   (__aeabi_uldivmod and __udivmoddi4: 0.75 KB on a Cortex-M); tested on every host. */
TN__PRIVATE uint32_t tn__div64_small32(uint64_t *v, uint32_t d) {
    uint32_t hi = (uint32_t)(*v >> 32), lo = (uint32_t)*v, qh = hi / d, r = hi % d, x, q1, q0;
    x = (r << 16) | (lo >> 16);
    q1 = x / d;
    r = x % d;
    x = (r << 16) | (lo & 0xffffu);
    q0 = x / d;
    *v = ((uint64_t)qh << 32) | ((uint64_t)q1 << 16) | q0;
    return x % d;
}

/* *v / d in place (d from 1 to 65535), returning *v % d: native on 64-bit targets. */
TN__PRIVATE uint32_t tn__div64_small(uint64_t *v, uint32_t d) {
#if UINTPTR_MAX > 0xffffffffu
    uint32_t r = (uint32_t)(*v % d);
    *v /= d;
    return r;
#else
    return tn__div64_small32(v, d);
#endif
}

/* The value of a hex digit (0-9, a-f, A-F), or -1: the one copy for every module. */
TN__PRIVATE int tn__hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

TN_API int tn_str_ieq(tn_str a, tn_str b) {
    size_t i;
    if (a.len != b.len) return 0;
    for (i = 0; i < a.len; i++)
        if (tn__lower((unsigned char)a.ptr[i]) != tn__lower((unsigned char)b.ptr[i])) return 0;
    return 1;
}

TN_API int tn_str_eq_c(tn_str a, const char *cstr) { return tn_str_eq(a, tn_str_c(cstr)); }

/* ---- allocator ----
   A resolved allocator always has all three functions; tn__allocator_resolve fills libc. */
TN__PRIVATE void *tn__libc_alloc(size_t n, void *u) { (void)u; return malloc(n ? n : 1); }
TN__PRIVATE void *tn__libc_realloc(void *p, size_t n, void *u) { (void)u; return realloc(p, n ? n : 1); }
TN__PRIVATE void tn__libc_free(void *p, void *u) { (void)u; free(p); }

TN__PRIVATE const tn_allocator *tn__libc(void) {
    static const tn_allocator libc = { tn__libc_alloc, tn__libc_realloc, tn__libc_free, NULL };
    return &libc;
}

TN__PRIVATE int tn__allocator_resolve(const tn_allocator *in, tn_allocator *out) {
    int missing = in ? !in->alloc + !in->realloc + !in->free : 3;   /* all three or none */
    if (missing == 3) in = tn__libc();
    else if (missing) return TN_EINVAL;
    *out = *in;
    return TN_OK;
}

TN__PRIVATE void *tn__alloc(const tn_allocator *a, size_t n) { return a->alloc(n ? n : 1, a->user); }

TN__PRIVATE void *tn__calloc(const tn_allocator *a, size_t n) {
    void *p = a->alloc(n ? n : 1, a->user);
    if (p) memset(p, 0, n);
    return p;
}

TN__PRIVATE void *tn__realloc(const tn_allocator *a, void *p, size_t n) {
    return a->realloc(p, n ? n : 1, a->user);
}

/* Frees and preserves errno (libuv's rule), so cleanup never hides the real error. */
TN__PRIVATE void tn__free(const tn_allocator *a, void *p) {
    if (p) {
        int saved = errno;
        a->free(p, a->user);
        errno = saved;
    }
}

/* Copies in the allocator's memory (NULL when out of memory). */
TN__PRIVATE char *tn__strdup(const tn_allocator *a, const char *s) {
    size_t n = strlen(s) + 1;
    char *p = (char *)tn__alloc(a, n);
    if (p) memcpy(p, s, n);
    return p;
}

TN__PRIVATE char *tn__strndup(const tn_allocator *a, const char *s, size_t n) {
    char *p = (char *)tn__alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

/* Grow an array of elem-sized items to hold at least need items (capacity doubles). */
TN__PRIVATE int tn__grow(const tn_allocator *a, void **arr, size_t *cap, size_t need, size_t elem) {
    size_t ncap;
    void *p;
    if (need <= *cap) return TN_OK;
    ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > ((size_t)-1) / 2 / elem) return TN_ENOMEM;
        ncap *= 2;
    }
    p = tn__realloc(a, *arr, ncap * elem);
    if (!p) return TN_ENOMEM;
    *arr = p;
    *cap = ncap;
    return TN_OK;
}

/* Make room for one more item in a FIFO ring (items[(head + i) % cap] for i < len): a full
   ring moves, unwrapped, into storage twice the size (4 items at first). */
TN__PRIVATE int tn__ring_grow(const tn_allocator *a, void **items, uint32_t *head, uint32_t len, uint32_t *cap,
                              size_t elem) {
    size_t ncap, first;
    char *p;
    if (len < *cap) return TN_OK;
    ncap = *cap ? (size_t)*cap * 2 : 4;
    if (ncap > 0xffffffffu || ncap > ((size_t)-1) / elem) return TN_ENOMEM;
    p = (char *)tn__alloc(a, ncap * elem);
    if (!p) return TN_ENOMEM;
    if (len > 0) {
        first = TN__MIN((size_t)len, (size_t)(*cap - *head));
        memcpy(p, (char *)*items + (size_t)*head * elem, first * elem);
        memcpy(p + first * elem, *items, (len - first) * elem);
    }
    tn__free(a, *items);
    *items = p;
    *head = 0;
    *cap = (uint32_t)ncap;
    return TN_OK;
}

/* ---- logging ---- */
TN_API void tn_log_stderr(void *user, int level, int code, const char *msg, const char *file, int line) {
    static const char names[][6] = {"log", "error", "warn", "info", "debug"};
    char out[640];
    const char *base = file ? file : "?", *p;
    int n;
    (void)user;
    for (p = base; *p; p++)
        if (*p == '/' || *p == '\\') base = p + 1;
    n = snprintf(out, sizeof out, "tornado: %s%s%s: %s (%s:%d)\n", names[level >= 1 && level <= 4 ? level : 0],
                 code ? " " : "", code ? tn_err_name(code) : "", msg ? msg : "", base, line);
    if (n < 0) return;
    if ((size_t)n >= sizeof out) memcpy(out + sizeof out - 5, "...\n", 5);   /* cut, still one line */
    fputs(out, stderr);
}

#if TN_HAS_LOG
TN__PRIVATE void tn__log_at(const tn_logger *lg, int level, int code, const char *file, int line,
                            const char *fmt, ...) {
    char msg[512];
    va_list ap;
    if (!lg || !lg->func || level > TN__DEF(lg->level, TN_LOG_INFO)) return;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lg->func(lg->user, level, code, msg, file, line);
}
#endif
