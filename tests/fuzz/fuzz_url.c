/* fuzz_url.c: URL parsing, host/port split, percent escaping, query and header-parameter
   iteration, dates, Range, xhtml/JSON escaping, checked against invariants:
     - every returned slice lies inside the input; a parsed URL reassembles to the input;
     - escape then strict unescape gives the input back (both plus modes);
     - decoding in place equals decoding into a buffer; size queries equal real sizes;
     - a parsed date formats and parses back to the same time;
     - resolved ranges satisfy first <= last < size.
   Build: clang -g -O1 -fsanitize=fuzzer,address,undefined tests/fuzz/fuzz_url.c -o fu
   Replay: cc -DTN_FUZZ_MAIN -g tests/fuzz/fuzz_url.c -o fu && ./fu FILE_OR_DIR... */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c)                                                                        \
    do {                                                                                \
        if (!(c)) {                                                                     \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #c);   \
            abort();                                                                    \
        }                                                                               \
    } while (0)

static const char *g_lo, *g_hi;

static void in_input(tn_str s) {
    if (s.len == 0) return;
    CHECK(s.ptr >= g_lo && s.ptr + s.len <= g_hi);
}

static void check_url(const char *p, size_t n) {
    tn_url u;
    char *re;
    size_t k = 0;
    int rc = tn_url_parse(tn_str_make(p, n), &u);
    if (rc != 0) {
        CHECK(rc == TN_EBAD_URL || rc == TN_EURI_TOO_LONG);
        CHECK(u.flags == 0);
        return;
    }
    in_input(u.scheme);
    in_input(u.authority);
    in_input(u.userinfo);
    in_input(u.host);
    in_input(u.port_str);
    in_input(u.path);
    in_input(u.query);
    in_input(u.fragment);
    CHECK(u.port >= -1 && u.port <= 65535);
    CHECK((u.port >= 0) == (u.port_str.len > 0));
    re = (char *)malloc(n + 8);
#define PUT(a, l) do { CHECK(k + (l) <= n); memcpy(re + k, (a), (l)); k += (l); } while (0)
    if (u.flags & TN_URL_HAS_SCHEME) { PUT(u.scheme.ptr, u.scheme.len); PUT(":", 1); }
    if (u.flags & TN_URL_HAS_AUTHORITY) {
        size_t a0 = k;
        PUT("//", 2);
        if (u.flags & TN_URL_HAS_USERINFO) { PUT(u.userinfo.ptr, u.userinfo.len); PUT("@", 1); }
        if (u.flags & TN_URL_IPV6) PUT("[", 1);
        PUT(u.host.ptr, u.host.len);
        if (u.flags & TN_URL_IPV6) PUT("]", 1);
        if (u.flags & TN_URL_HAS_PORT) { PUT(":", 1); PUT(u.port_str.ptr, u.port_str.len); }
        CHECK(k - a0 - 2 == u.authority.len && memcmp(re + a0 + 2, u.authority.ptr, u.authority.len) == 0);
    }
    PUT(u.path.ptr, u.path.len);
    if (u.flags & TN_URL_HAS_QUERY) { PUT("?", 1); PUT(u.query.ptr, u.query.len); }
    if (u.flags & TN_URL_HAS_FRAGMENT) { PUT("#", 1); PUT(u.fragment.ptr, u.fragment.len); }
#undef PUT
    CHECK(k == n && memcmp(re, p, n) == 0);
    free(re);
    if (u.flags & TN_URL_HAS_AUTHORITY) {
        /* the host:port part splits the same way */
        tn_str hp, h;
        int port;
        hp.ptr = (u.flags & TN_URL_HAS_USERINFO) ? u.userinfo.ptr + u.userinfo.len + 1 : u.authority.ptr;
        hp.len = (size_t)(u.authority.ptr + u.authority.len - hp.ptr);
        {
            rc = tn_split_host_port(hp, &h, &port);
            CHECK(rc == 0);
            CHECK(port == u.port);
            CHECK(tn_str_eq(h, u.host));
        }
    }
}

/* Resolution against fixed bases, and with the input as the base: the result fits the
   documented bound, is NUL-terminated, keeps the scheme, and has no control bytes. */
static void check_resolve(const char *p, size_t n) {
    static const char *bases[] = { "http://a/b/c/d;p?q", "http://h", "mailto:x", "https://[::1]:8/p/../q/" };
    static const char *refs[] = { "../g?y#z", "", "//o/./x", ".." };
    size_t i, k, len;
    size_t cap = n + 64;
    char *out = (char *)malloc(cap);
    for (i = 0; i < 8; i++) {
        tn_str base = i < 4 ? tn_str_c(bases[i]) : tn_str_make(p, n);
        tn_str ref = i < 4 ? tn_str_make(p, n) : tn_str_c(refs[i - 4]);
        int rc = tn_url_resolve(base, ref, out, cap, &len);
        CHECK(rc == 0 || rc == TN_EBAD_URL || rc == TN_EURI_TOO_LONG);
        if (rc != 0) continue;
        CHECK(len <= base.len + ref.len + 8 && out[len] == 0);
        CHECK(memchr(out, ':', len) != NULL);
        for (k = 0; k < len; k++) CHECK((unsigned char)out[k] > 0x20 && out[k] != 0x7f);
    }
    free(out);
}

/* remove_dot_segments: never grows, is idempotent, and leaves no "." or ".." segment
   (other than a leading one, which cannot occur: they are dropped). */
static void check_dots(const char *p, size_t n) {
    char *a = (char *)malloc(n + 1);
    size_t m, m2, i, s;
    if (n) memcpy(a, p, n);
    m = tn_url_remove_dot_segments(a, n);
    CHECK(m <= n);
    m2 = tn_url_remove_dot_segments(a, m);
    CHECK(m2 == m);
    for (i = 0, s = 0; i <= m; i++) {
        if (i == m || a[i] == '/') {
            size_t len = i - s;
            CHECK(!(len == 1 && a[s] == '.') && !(len == 2 && a[s] == '.' && a[s + 1] == '.'));
            s = i + 1;
        }
    }
    free(a);
}

static void check_escape(const char *p, size_t n) {
    unsigned flags[2] = { 0, TN_URL_PLUS };
    int i;
    for (i = 0; i < 2; i++) {
        size_t need = 0, got = 0, back = 0;
        char *e, *d;
        CHECK(tn_url_escape(tn_str_make(p, n), flags[i], NULL, 0, &need) == 0);
        CHECK(need >= n && need <= 3 * n);
        e = (char *)malloc(need + 1);
        CHECK(tn_url_escape(tn_str_make(p, n), flags[i], e, need + 1, &got) == 0);
        CHECK(got == need && e[need] == 0);
        if (need) CHECK(tn_url_escape(tn_str_make(p, n), flags[i], e, need - 1, &got) == TN_EBUFFER_FULL);
        CHECK(tn_url_escape(tn_str_make(p, n), flags[i], e, need, &got) == 0);
        d = (char *)malloc(need + 1);
        CHECK(tn_url_unescape(tn_str_make(e, need), flags[i] | TN_URL_STRICT, d, need + 1, &back) == 0);
        CHECK(back == n && memcmp(d, p, n) == 0);
        free(e);
        free(d);
    }
    {   /* lenient unescape of the raw input: buffer vs in place, plus and not */
        for (i = 0; i < 2; i++) {
            size_t a = 0, b = 0;
            char *o = (char *)malloc(n + 1), *ip = (char *)malloc(n + 1);
            int rs;
            CHECK(tn_url_unescape(tn_str_make(p, n), flags[i], o, n, &a) == 0);
            CHECK(a <= n);
            if (n) memcpy(ip, p, n);
            CHECK(tn_url_unescape(tn_str_make(ip, n), flags[i], ip, n, &b) == 0);
            CHECK(a == b && memcmp(o, ip, a) == 0);
            rs = tn_url_unescape(tn_str_make(p, n), flags[i] | TN_URL_STRICT, o, n, &b);
            CHECK(rs == 0 || rs == TN_EBAD_ENCODING);
            if (rs == 0) CHECK(b == a && memcmp(o, ip, a) == 0);
            free(o);
            free(ip);
        }
    }
}

static void check_query(const char *p, size_t n) {
    tn_query_iter it, it2;
    tn_str k, v, k2, v2;
    char *buf = (char *)malloc(n + 1), *copy = (char *)malloc(n + 1);
    int r, r2;
    size_t pairs = 0;
    if (n) memcpy(copy, p, n);
    tn_query_iter_init(&it, tn_str_make(p, n), 0);
    while ((r = tn_query_next(&it, &k, &v)) == 1) {
        in_input(k);
        in_input(v);
        CHECK(memchr(k.ptr ? k.ptr : "", '&', k.len) == NULL);
        pairs++;
    }
    CHECK(r == 0 || r == TN_ELIMIT);
    /* decoded into a buffer vs in place over a copy */
    tn_query_iter_init(&it, tn_str_make(p, n), 0);
    tn_query_iter_init(&it2, tn_str_make(copy, n), 0);
    for (;;) {
        r = tn_query_next_decoded(&it, buf, n, &k, &v);
        r2 = tn_query_next_decoded(&it2, NULL, 0, &k2, &v2);
        CHECK(r == r2);
        if (r != 1) break;
        CHECK(tn_str_eq(k, k2) && tn_str_eq(v, v2));
    }
    free(buf);
    free(copy);
    (void)pairs;
}

static void check_params(const char *p, size_t n) {
    tn_param_iter it;
    tn_str name, raw, v, mv;
    char *buf = (char *)malloc(n + 1);
    static const char *names[] = { "name", "filename", "boundary", "charset" };
    size_t i;
    int r;
    mv = tn_header_value(tn_str_make(p, n), &it);
    in_input(mv);
    while ((r = tn_param_next(&it, &name, &raw)) == 1) {
        in_input(name);
        in_input(raw);
        CHECK(name.len > 0);
        r = tn_param_unquote(raw, buf, n, &v);
        CHECK(r == 0);
        CHECK(v.len <= raw.len);
    }
    CHECK(r == 0 || r == TN_EPARSE);
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        r = tn_header_param(tn_str_make(p, n), names[i], buf, n, &v);
        CHECK(r == 0 || r == TN_ENOENT || r == TN_EPARSE);
        if (r == 0) CHECK(v.len <= n && ((v.ptr >= buf && v.ptr + v.len <= buf + n) || (v.ptr >= g_lo && v.ptr + v.len <= g_hi) || v.len == 0));
    }
    {
        tn_str b;
        r = tn_multipart_boundary(tn_str_make(p, n), buf, n, &b);
        CHECK(r == 0 || r == TN_ENOTSUP || r == TN_EBAD_MULTIPART);
    }
    free(buf);
}

static void check_date(const char *p, size_t n) {
    int64_t t, t2;
    char out[TN_HTTP_DATE_LEN + 1];
    if (tn_http_date_parse(tn_str_make(p, n), &t) != 0) return;
    if (tn_http_date_format(t, out) != 0) {
        CHECK(t < -62135596800LL || t > 253402300799LL);
        return;
    }
    CHECK(strlen(out) == TN_HTTP_DATE_LEN);
    CHECK(tn_http_date_parse(tn_str_make(out, TN_HTTP_DATE_LEN), &t2) == 0 && t2 == t);
}

static void check_range(const char *p, size_t n) {
    tn_range r[8];
    size_t cnt = 0, i;
    uint64_t sizes[3] = { 0, 1000, UINT64_MAX };
    int s;
    for (s = 0; s < 3; s++) {
        int rc = tn_range_parse(tn_str_make(p, n), sizes[s], r, 8, &cnt);
        CHECK(rc == 0 || rc == TN_EBAD_RANGE || rc == TN_EPARSE || rc == TN_ELIMIT);
        CHECK((rc == 0) == (cnt > 0));
        for (i = 0; i < cnt; i++) {
            char cr[72];
            size_t l;
            CHECK(r[i].first <= r[i].last && r[i].last < sizes[s]);
            CHECK(tn_content_range_format(&r[i], sizes[s], cr, sizeof cr, &l) == 0);
        }
    }
}

static void check_html_json(const char *p, size_t n) {
    size_t need, got, i;
    char *o;
    CHECK(tn_xhtml_escape(tn_str_make(p, n), NULL, 0, &need) == 0);
    o = (char *)malloc(need + 1);
    CHECK(tn_xhtml_escape(tn_str_make(p, n), o, need + 1, &got) == 0 && got == need);
    for (i = 0; i < got; i++) CHECK(o[i] != '<' && o[i] != '>' && o[i] != '"' && o[i] != '\'');
    free(o);
    CHECK(tn_json_escape(tn_str_make(p, n), NULL, 0, &need) == 0);
    o = (char *)malloc(need + 1);
    CHECK(tn_json_escape(tn_str_make(p, n), o, need + 1, &got) == 0 && got == need);
    for (i = 0; i < got; i++) {
        CHECK((unsigned char)o[i] >= 0x20);
        if (o[i] == '"') CHECK(i > 0 && o[i - 1] == '\\');
        if (i + 1 < got && o[i] == '<') CHECK(o[i + 1] != '/');
    }
    free(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* an exact-size heap copy so ASan catches any over-read */
    char *p = (char *)malloc(size ? size : 1);
    if (size) memcpy(p, data, size);
    g_lo = p;
    g_hi = p + size;
    check_url(p, size);
    check_resolve(p, size);
    check_dots(p, size);
    check_escape(p, size);
    check_query(p, size);
    check_params(p, size);
    check_date(p, size);
    check_range(p, size);
    check_html_json(p, size);
    {
        tn_str h;
        int port;
        int rc = tn_split_host_port(tn_str_make(p, size), &h, &port);
        CHECK(rc == 0 || rc == TN_EBAD_URL);
        if (rc == 0) { in_input(h); CHECK(port >= -1 && port <= 65535); }
    }
    free(p);
    return 0;
}

#include "fuzz_main.h"
