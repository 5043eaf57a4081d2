/* fuzz_check.h: helpers shared by the HTTP fuzz harnesses: an abort-with-message check and
   reference (byte-at-a-time, table-free) character classes to hold the scanners against. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FZ_FN static __attribute__((unused))

#define FZ_CHECK(cond)                                                                  \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                    \
        }                                                                               \
    } while (0)

FZ_FN int fz_tchar(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}
FZ_FN int fz_value_stop(unsigned char c) { return c < 0x20 || c == 0x7f; }
/* request-target: controls, SP, DEL, non-ASCII and the bytes RFC 3986 excludes from URIs */
FZ_FN int fz_target_stop(unsigned char c) { return c <= 0x20 || c >= 0x7f || strchr("\"#<>\\^`{|}", c) != NULL; }

/* The scanners (AVX2, SSE4.2, SSE2 or scalar, as built) against the reference classes, from
   offset `from`, with the buffer starting at buf (the tail block reads back from `end`) and
   at buf + from (shorter buffers take the byte loop). */
FZ_FN void fz_check_scanners(const char *buf, size_t size, size_t from) {
    const char *end = buf + size, *p;
    size_t i;
    int k;
    if (from > size) from = size;
    for (k = 0; k < 2; k++) {
        const char *lo = k ? buf + from : buf;
        for (i = from; i < size && fz_tchar((unsigned char)buf[i]); i++) {}
        p = tn__http_scan_token(lo, buf + from, end);
        FZ_CHECK(p == buf + i);
        for (i = from; i < size && !fz_value_stop((unsigned char)buf[i]); i++) {}
        p = tn__http_scan_value(lo, buf + from, end);
        FZ_CHECK(p == buf + i);
        for (i = from; i < size && !fz_target_stop((unsigned char)buf[i]); i++) {}
        p = tn__http_scan_target(lo, buf + from, end);
        FZ_CHECK(p == buf + i);
    }
}

FZ_FN int fz_in(const char *buf, size_t n, tn_str s) {
    return s.len == 0 || (s.ptr >= buf && s.ptr + s.len <= buf + n);
}

FZ_FN void fz_check_headers(const char *buf, size_t n, const tn_http_header *h, size_t num) {
    size_t i, j;
    for (i = 0; i < num; i++) {
        FZ_CHECK(h[i].name.len > 0 && fz_in(buf, n, h[i].name) && fz_in(buf, n, h[i].value));
        for (j = 0; j < h[i].name.len; j++) FZ_CHECK(fz_tchar((unsigned char)h[i].name.ptr[j]));
        for (j = 0; j < h[i].value.len; j++) {
            unsigned char c = (unsigned char)h[i].value.ptr[j];
            FZ_CHECK(c == '\t' || !fz_value_stop(c));
        }
        if (h[i].value.len) {
            FZ_CHECK(h[i].value.ptr[0] != ' ' && h[i].value.ptr[0] != '\t');
            FZ_CHECK(h[i].value.ptr[h[i].value.len - 1] != ' ' && h[i].value.ptr[h[i].value.len - 1] != '\t');
        }
    }
}

FZ_FN int fz_same_str(tn_str a, const char *ba, tn_str b, const char *bb) {
    if (a.len != b.len) return 0;
    return a.len == 0 || a.ptr - ba == b.ptr - bb;
}

FZ_FN int fz_same_headers(const tn_http_header *a, size_t na, const char *ba, const tn_http_header *b, size_t nb,
                           const char *bb) {
    size_t i;
    if (na != nb) return 0;
    for (i = 0; i < na; i++)
        if (!fz_same_str(a[i].name, ba, b[i].name, bb) || !fz_same_str(a[i].value, ba, b[i].value, bb)) return 0;
    return 1;
}

/* Two results of parsing the same bytes must agree; a limit error seen on a shorter prefix
   (TN_EHEADER_TOO_LARGE) may turn into another error once more bytes are seen. */
FZ_FN void fz_check_prefix_result(int prefix_rc, int whole_rc) {
    if (prefix_rc == TN_EINCOMPLETE) return;
    if (prefix_rc == TN_EHEADER_TOO_LARGE) {
        FZ_CHECK(whole_rc < 0 && whole_rc != TN_EINCOMPLETE);
        return;
    }
    FZ_CHECK(prefix_rc == whole_rc);
}
