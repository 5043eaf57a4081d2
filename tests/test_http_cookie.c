/* test_http_cookie.c: Cookie header parsing (edge cases, differential against Tornado's
   parse_cookie), Set-Cookie formatting (attributes, dates, injection attempts, quoting
   against Python's SimpleCookie), Tornado v2 signed values (embedded vectors from Python
   Tornado, live interop both ways, tamper/expiry/parse failures) and HTTP Basic auth. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include <math.h>
#include <time.h>

#define PY "/usr/bin/python3"

static uint32_t rng_state = 0x9e3779b9u;
static uint32_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void to_hex(const void *p, size_t n, char *out) {
    TN_OK_RC(tn_hex_encode(p, n, out, 2 * n + 1, NULL));
}

/* Run a shell command, capture stdout (NUL-terminated, trailing newline stripped).
   Returns the exit status, or -1. */
static int run_cmd(const char *cmd, char *out, size_t cap) {
    FILE *f = popen(cmd, "r");
    size_t n = 0, r;
    int st;
    if (!f) return -1;
    while (n + 1 < cap && (r = fread(out + n, 1, cap - 1 - n, f)) > 0) n += r;
    out[n] = 0;
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r')) out[--n] = 0;
    st = pclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Skip the case unless /usr/bin/python3 with tornado is there. */
static void need_tornado(void) {
    char out[64];
#if defined(_WIN32)
    TN_SKIP("Python Tornado is a Linux peer: this Windows build (under wine) cannot run it");
#endif
    if (access(PY, X_OK) != 0 ||
        run_cmd(PY " -c 'import tornado.web, tornado.httputil' 2>/dev/null && echo yes", out, sizeof out) != 0 ||
        strcmp(out, "yes") != 0)
        TN_SKIP("install python3-tornado (apt-get install python3-tornado)");
}

/* ======================================================================================
   Cookie header */
typedef struct pair {
    const char *name;
    const char *value;
    int quoted;
} pair;

static void expect_pairs(const char *header, const pair *want, size_t n) {
    tn_str h = tn_str_c(header);
    size_t pos = 0, i = 0;
    tn_cookie c;
    while (tn_cookie_next(h, &pos, &c)) {
        TN_CHECKF(i < n, "header [%s]: extra pair [%.*s]=[%.*s]", header, (int)c.name.len,
                  c.name.ptr, (int)c.value.len, c.value.ptr);
        TN_CHECKF(tn_str_eq_c(c.name, want[i].name) && tn_str_eq_c(c.value, want[i].value) &&
                      c.quoted == want[i].quoted,
                  "header [%s] pair %u: got [%.*s]=[%.*s] q%d, want [%s]=[%s] q%d", header,
                  (unsigned)i, (int)c.name.len, c.name.ptr, (int)c.value.len, c.value.ptr,
                  c.quoted, want[i].name, want[i].value, want[i].quoted);
        /* slices lie inside the header */
        TN_CHECK(c.name.ptr >= header && c.name.ptr + c.name.len <= header + h.len);
        TN_CHECK(c.value.ptr >= header && c.value.ptr + c.value.len <= header + h.len);
        i++;
    }
    TN_CHECKF(i == n, "header [%s]: %u pairs, want %u", header, (unsigned)i, (unsigned)n);
    TN_EQ_UINT(pos, h.len);
    TN_EQ_INT(tn_cookie_next(h, &pos, &c), 0);
}

TN_TEST(cookie_parse_basic) {
    pair p1[] = {{"a", "1", 0}, {"b", "2", 0}};
    pair p2[] = {{"a", "1", 0}, {"b", "2", 0}};
    pair p3[] = {{"", "novalue", 0}, {"x", "", 0}};
    pair p4[] = {{"", "x", 0}, {"a", "b=c", 0}};
    pair p5[] = {{"a", "quoted value", 1}, {"b", "", 1}, {"c", "\"", 0}, {"d", "\"x", 0}};
    pair p6[] = {{"a b", "c d", 0}};
    pair p7[] = {{"sessionid", "2|1:0|10:1700000000|4:user|8:YWxpY2U=|abc", 0}};
    pair p8[] = {{"a", "\"\\054\\\"\"x", 0}};
    pair p9[] = {{"a", "1", 0}, {"", "", 1}, {"b", "2", 0}};   /* a bare "" is kept, as in Tornado */
    expect_pairs("a=1; b=2", p1, 2);
    expect_pairs("  a = 1 ;;b=2; ;  ", p2, 2);
    expect_pairs("novalue; x=", p3, 2);
    expect_pairs("=x; a=b=c; =", p4, 2);
    expect_pairs("a=\"quoted value\"; b=\"\"; c=\"; d=\"x", p5, 4);
    expect_pairs("\ta b\t=\tc d\r\n", p6, 1);
    expect_pairs("sessionid=2|1:0|10:1700000000|4:user|8:YWxpY2U=|abc", p7, 1);
    expect_pairs("a=\"\\054\\\"\"x", p8, 1);
    expect_pairs("a=1; \"\"; b=2", p9, 3);
    expect_pairs("", NULL, 0);
    expect_pairs(";;; ; \x1c\x1f ;", NULL, 0);
}

TN_TEST(cookie_get_last_wins) {
    tn_str h = tn_str_c("a=1; b=2; a=3; A=4");
    tn_cookie c;
    TN_EQ_INT(tn_cookie_get(h, tn_str_c("a"), &c), 1);
    TN_EQ_TSTR(c.value, "3");
    TN_EQ_INT(tn_cookie_get(h, tn_str_c("A"), &c), 1);
    TN_EQ_TSTR(c.value, "4");
    TN_EQ_INT(tn_cookie_get(h, tn_str_c("b"), NULL), 1);
    TN_EQ_INT(tn_cookie_get(h, tn_str_c("c"), &c), 0);
    TN_EQ_INT(tn_cookie_get(tn_str_make(NULL, 0), tn_str_c("a"), &c), 0);
}

TN_TEST(cookie_unquote) {
    struct { const char *in; const char *out; size_t outlen; } v[] = {
        {"plain", "plain", 5},
        {"a\\\"b", "a\"b", 3},
        {"a\\\\b", "a\\b", 3},
        {"\\054\\073", ",;", 2},
        {"\\351t\\351", "\351t\351", 3},
        {"\\000x", "\0x", 2},
        {"\\400", "400", 3},      /* not an octal escape: backslash-4 is '4' */
        {"\\08", "08", 2},
        {"\\x", "x", 1},
        {"end\\", "end\\", 4},    /* trailing backslash kept */
        {"a\\\nb", "a\\\nb", 4},  /* backslash before LF kept (Python's '.' skips LF) */
        {"", "", 0},
    };
    size_t i, n;
    char out[32];
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        TN_OK_RC(tn_cookie_unquote(tn_str_c(v[i].in), out, sizeof out, &n));
        TN_CHECKF(n == v[i].outlen && memcmp(out, v[i].out, n) == 0, "unquote case %u", (unsigned)i);
    }
    TN_EQ_RC(tn_cookie_unquote(tn_str_c("\\054abc"), out, 3, &n), TN_EBUFFER_FULL);
    TN_EQ_UINT(n, 4);
    /* in place */
    strcpy(out, "x\\073y");
    TN_OK_RC(tn_cookie_unquote(tn_str_c(out), out, sizeof out, &n));
    TN_EQ_UINT(n, 3);
    TN_EQ_MEM(out, "x;y", 3);
}

/* Differential: the same header through Tornado's httputil.parse_cookie and through
   tn_cookie_next + tn_cookie_unquote with dict semantics must give the same pairs. */
static void our_dict(const char *hdr, size_t hlen, char *out, size_t cap) {
    char names[64][200], vals[64][400];
    size_t nn = 0, pos = 0, i, o = 0;
    tn_cookie c;
    while (tn_cookie_next(tn_str_make(hdr, hlen), &pos, &c)) {
        char v[200];
        size_t vl = c.value.len;
        if (c.quoted) TN_OK_RC(tn_cookie_unquote(c.value, v, sizeof v, &vl));
        else memcpy(v, c.value.ptr, vl);
        for (i = 0; i < nn; i++) {
            char nh[200];
            to_hex(c.name.ptr, c.name.len, nh);
            if (strcmp(names[i], nh) == 0) break;
        }
        if (i == nn) {
            TN_CHECK(nn < 64);
            to_hex(c.name.ptr, c.name.len, names[nn]);
            nn++;
        }
        to_hex(v, vl, vals[i]);
    }
    for (i = 0; i < nn; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s:%s", i ? "\n" : "", names[i], vals[i]);
    out[o] = 0;
}

TN_TEST(cookie_parse_vs_tornado) {
    static const char *headers[] = {
        "a=1; b=2", "  a = 1 ;;b=2; ;  ", "novalue; x=", "=x; a=b=c; =", "a=\"q v\"; b=\"\"; c=\"",
        "a=\"\\054\\073\\\"\\\\\\351\"", "a=1; a=2; b=3; a=4", "\ta b\t=\tc d\r\n", "a=\"x\\\ny\"",
        "a=\"end\\\"", "k=\"\\400\\08\"", "x=\"\"\"\"", ";;;", "", "\x1c a=b \x1f",
        "name=value; Path=/; HttpOnly", "__Host-x=1;__Secure-y=2", "a=1; \"\"; b=2",
    };
    enum { NH = sizeof headers / sizeof headers[0], NR = 300 };
    static char hdrs[NH + NR][40];
    static size_t lens[NH + NR];
    static char cmd[(NH + NR) * 84 + 1024], py[65536], ours[8192];
    char *line;
    size_t i, o;
    int k;
    need_tornado();
    o = (size_t)snprintf(cmd, sizeof cmd,
                 PY " -c 'import sys,binascii\nfrom tornado.httputil import parse_cookie\n"
                    "for h in sys.argv[1:]:\n"
                    " d=parse_cookie(binascii.unhexlify(h[1:]).decode(\"latin1\"))\n"
                    " print(\"\\n\".join(binascii.hexlify(k.encode(\"latin1\")).decode()+\":\"+"
                    "binascii.hexlify(v.encode(\"latin1\")).decode() for k,v in d.items()))\n"
                    " print(\"--end--\")'");
    for (k = 0; k < NH + NR; k++) {
        if (k < NH) {
            lens[k] = strlen(headers[k]);
            memcpy(hdrs[k], headers[k], lens[k]);
        } else {
            /* random headers over a small, nasty alphabet (no 0x85/0xA0: Python strips those) */
            static const char al[] = "ab=;\" \\\t07,\x1c";
            lens[k] = rnd() % sizeof hdrs[k];
            for (i = 0; i < lens[k]; i++) hdrs[k][i] = al[rnd() % (sizeof al - 1)];
        }
        cmd[o++] = ' ';
        cmd[o++] = 'x';   /* so an empty header is still an argument */
        to_hex(hdrs[k], lens[k], cmd + o);
        o += 2 * lens[k];
    }
    cmd[o] = 0;
    TN_EQ_INT(run_cmd(cmd, py, sizeof py), 0);
    line = py;
    for (k = 0; k < NH + NR; k++) {
        char *end = strstr(line, "--end--");
        size_t pl;
        TN_CHECK(end != NULL);
        pl = (size_t)(end - line);
        if (pl && line[pl - 1] == '\n') pl--;
        our_dict(hdrs[k], lens[k], ours, sizeof ours);
        TN_CHECKF(strlen(ours) == pl && memcmp(ours, line, pl) == 0,
                  "header #%d [%.*s]:\n tornado: %.*s\n ours:    %s", k, (int)lens[k], hdrs[k], (int)pl,
                  line, ours);
        line = end + 8;
    }
}

/* ======================================================================================
   Set-Cookie */
static void fmt_ok(const char *name, const char *value, const tn_set_cookie_opts *o, const char *want) {
    char out[512];
    size_t n = 0;
    int rc = tn_set_cookie_format(tn_str_c(name), tn_str_c(value), o, out, sizeof out, &n);
    TN_CHECKF(rc == TN_OK, "format %s=%s: %s", name, value, tn_err_name(rc));
    TN_EQ_STR(out, want);
    TN_EQ_UINT(n, strlen(want));
}

TN_TEST(set_cookie_attributes) {
    tn_set_cookie_opts o;
    fmt_ok("a", "b", NULL, "a=b; Path=/");
    memset(&o, 0, sizeof o);
    fmt_ok("a", "", &o, "a=; Path=/");
    o.no_path = 1;
    fmt_ok("a", "b", &o, "a=b");
    memset(&o, 0, sizeof o);
    o.domain = tn_str_c(".example.com");
    o.path = tn_str_c("/app");
    o.has_expires = 1;
    o.expires = 784111777;
    o.has_max_age = 1;
    o.max_age = 3600;
    o.secure = 1;
    o.http_only = 1;
    o.same_site = TN_SAMESITE_LAX;
    fmt_ok("sid", "xyz", &o,
           "sid=xyz; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Path=/app; Domain=.example.com; "
           "Max-Age=3600; Secure; HttpOnly; SameSite=Lax");
    o.same_site = TN_SAMESITE_STRICT;
    o.has_max_age = 0;
    o.has_expires = 0;
    o.domain = tn_str_c("");
    fmt_ok("sid", "xyz", &o, "sid=xyz; Path=/app; Secure; HttpOnly; SameSite=Strict");
    o.same_site = TN_SAMESITE_NONE;
    fmt_ok("sid", "xyz", &o, "sid=xyz; Path=/app; Secure; HttpOnly; SameSite=None");
    memset(&o, 0, sizeof o);
    o.has_max_age = 1;
    o.max_age = -1;
    fmt_ok("gone", "", &o, "gone=; Path=/; Max-Age=-1");
    o.max_age = 0;
    fmt_ok("gone", "", &o, "gone=; Path=/; Max-Age=0");
}

TN_TEST(set_cookie_expires_dates) {
    struct { int64_t t; const char *s; } v[] = {
        {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
        {784111777, "Sun, 06 Nov 1994 08:49:37 GMT"},
        {951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
        {951868799, "Tue, 29 Feb 2000 23:59:59 GMT"},
        {951868800, "Wed, 01 Mar 2000 00:00:00 GMT"},
        {4107542400LL, "Mon, 01 Mar 2100 00:00:00 GMT"},
        {253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT"},
    };
    tn_set_cookie_opts o;
    char want[128], out[256];
    size_t i;
    int k;
    memset(&o, 0, sizeof o);
    o.no_path = 1;
    o.has_expires = 1;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        o.expires = v[i].t;
        snprintf(want, sizeof want, "a=b; Expires=%s", v[i].s);
        fmt_ok("a", "b", &o, want);
    }
    /* against the C library's gmtime for many random instants */
    for (k = 0; k < 20000; k++) {
        time_t t = (time_t)(((uint64_t)rnd() << 32 | rnd()) % 253402300800ULL);
        struct tm tmv;
        char ds[64];
        if (sizeof(time_t) < 8) t = (time_t)(rnd() & 0x7fffffff);
#if defined(_WIN32)
        if (t >= 32535215999LL) continue;   /* Windows' gmtime stops at the year 3000 */
#endif
        TN_CHECK(gmtime_r(&t, &tmv) != NULL);
        strftime(ds, sizeof ds, "%a, %d %b %Y %H:%M:%S GMT", &tmv);
        o.expires = (int64_t)t;
        TN_OK_RC(tn_set_cookie_format(tn_str_c("a"), tn_str_c("b"), &o, out, sizeof out, NULL));
        snprintf(want, sizeof want, "a=b; Expires=%s", ds);
        TN_CHECKF(strcmp(out, want) == 0, "t=%lld: %s vs %s", (long long)t, out, want);
    }
    o.expires = -1;
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("a"), tn_str_c("b"), &o, out, sizeof out, NULL), TN_EINVAL);
    o.expires = 253402300800LL;
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("a"), tn_str_c("b"), &o, out, sizeof out, NULL), TN_EINVAL);
}

TN_TEST(set_cookie_injection) {
    static const char *bad_names[] = {"", "a b", "a=b", "a;b", "a,b", "a\"b", "a\r\nSet-Cookie: x",
                                      "a\tb", "a\x7f", "\xc3\xa9", "a(b)", "a/b", "a:b", "a@b"};
    static const char *bad_values[] = {"a;b", "a\r\nb", "a\nb", "a b", "a\tb", "a\x7f", "a\x01",
                                       "a,b", "\"quoted\"", "a\\b", "x; Domain=evil.com",
                                       "\xc3\xa9"};
    tn_set_cookie_opts o;
    char out[256];
    size_t i, n;
    for (i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
        TN_CHECKF(tn_set_cookie_format(tn_str_c(bad_names[i]), tn_str_c("v"), NULL, out, sizeof out, &n) == TN_EINVAL,
                  "name [%s] accepted", bad_names[i]);
    for (i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++)
        TN_CHECKF(tn_set_cookie_format(tn_str_c("n"), tn_str_c(bad_values[i]), NULL, out, sizeof out, &n) == TN_EINVAL,
                  "value [%s] accepted", bad_values[i]);
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("n"), tn_str_make("a\0b", 3), NULL, out, sizeof out, &n), TN_EINVAL);
    /* quoting mode still refuses CTL, space and DEL (Tornado's [\x00-\x20] rule) */
    memset(&o, 0, sizeof o);
    o.quote = 1;
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("n"), tn_str_c("a\r\nb"), &o, out, sizeof out, &n), TN_EINVAL);
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("n"), tn_str_c("a b"), &o, out, sizeof out, &n), TN_EINVAL);
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("n"), tn_str_c("a\x7f"), &o, out, sizeof out, &n), TN_EINVAL);
    /* ... and makes ';' and ',' harmless */
    fmt_ok("n", "x;Domain=evil.com,y", &o, "n=\"x\\073Domain=evil.com\\054y\"; Path=/");
}

TN_TEST(set_cookie_attribute_injection) {
    static const char *bad_domains[] = {"a;b", "a b", "a\r\n", "a,b", "\xc3\xa9.com", "a\x7f"};
    static const char *bad_paths[] = {"/a;b", "/a\r\nX: y", "/\x01", "/\xc3\xa9", "/\x7f"};
    tn_set_cookie_opts o;
    char out[256];
    size_t i;
    for (i = 0; i < sizeof bad_domains / sizeof bad_domains[0]; i++) {
        memset(&o, 0, sizeof o);
        o.domain = tn_str_c(bad_domains[i]);
        TN_CHECKF(tn_set_cookie_format(tn_str_c("a"), tn_str_c("b"), &o, out, sizeof out, NULL) == TN_EINVAL,
                  "domain [%s] accepted", bad_domains[i]);
    }
    for (i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++) {
        memset(&o, 0, sizeof o);
        o.path = tn_str_c(bad_paths[i]);
        TN_CHECKF(tn_set_cookie_format(tn_str_c("a"), tn_str_c("b"), &o, out, sizeof out, NULL) == TN_EINVAL,
                  "path [%s] accepted", bad_paths[i]);
    }
    memset(&o, 0, sizeof o);
    o.path = tn_str_c("/a b,c");   /* space and comma are fine in a path */
    fmt_ok("a", "b", &o, "a=b; Path=/a b,c");
    o.same_site = TN_SAMESITE_NONE;   /* without Secure: browsers drop it, so we refuse */
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("a"), tn_str_c("b"), &o, out, sizeof out, NULL), TN_EINVAL);
    /* name prefixes */
    memset(&o, 0, sizeof o);
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("__Secure-a"), tn_str_c("b"), &o, out, sizeof out, NULL), TN_EINVAL);
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("__secure-a"), tn_str_c("b"), &o, out, sizeof out, NULL), TN_EINVAL);
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("__Host-a"), tn_str_c("b"), &o, out, sizeof out, NULL), TN_EINVAL);
    o.secure = 1;
    fmt_ok("__Secure-a", "b", &o, "__Secure-a=b; Path=/; Secure");
    fmt_ok("__Host-a", "b", &o, "__Host-a=b; Path=/; Secure");
    o.path = tn_str_c("/");
    fmt_ok("__Host-a", "b", &o, "__Host-a=b; Path=/; Secure");
    o.path = tn_str_c("/x");
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("__Host-a"), tn_str_c("b"), &o, out, sizeof out, NULL), TN_EINVAL);
    o.path = tn_str_c("");
    o.no_path = 1;
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("__Host-a"), tn_str_c("b"), &o, out, sizeof out, NULL), TN_EINVAL);
    o.no_path = 0;
    o.domain = tn_str_c("example.com");
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("__HOST-a"), tn_str_c("b"), &o, out, sizeof out, NULL), TN_EINVAL);
    fmt_ok("__Secure-a", "b", &o, "__Secure-a=b; Path=/; Domain=example.com; Secure");
    o.domain = tn_str_c("");
    o.same_site = 4;
    o.secure = 1;
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("a"), tn_str_c("b"), &o, out, sizeof out, NULL), TN_EINVAL);
    o.same_site = -1;
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("a"), tn_str_c("b"), &o, out, sizeof out, NULL), TN_EINVAL);
}

TN_TEST(set_cookie_buffer) {
    char out[64];
    size_t n = 0, cap;
    const char *want = "name=value; Path=/; HttpOnly";
    tn_set_cookie_opts o;
    memset(&o, 0, sizeof o);
    o.http_only = 1;
    TN_EQ_RC(tn_set_cookie_format(tn_str_c("name"), tn_str_c("value"), &o, NULL, 0, &n), TN_EBUFFER_FULL);
    TN_EQ_UINT(n, strlen(want));
    for (cap = 0; cap < strlen(want); cap++) {
        memset(out, '#', sizeof out);
        TN_EQ_RC(tn_set_cookie_format(tn_str_c("name"), tn_str_c("value"), &o, out, cap, &n), TN_EBUFFER_FULL);
        TN_EQ_UINT(n, strlen(want));
        TN_CHECK(out[cap] == '#');   /* never past cap */
    }
    memset(out, '#', sizeof out);
    TN_OK_RC(tn_set_cookie_format(tn_str_c("name"), tn_str_c("value"), &o, out, strlen(want), &n));
    TN_EQ_MEM(out, want, strlen(want));
    TN_CHECK(out[strlen(want)] == '#');   /* exact fit: no NUL */
}

/* Quoting mode round-trips through the Cookie parser + tn_cookie_unquote, for values with
   every printable byte, '"', '\\', ',', ';' and 8-bit bytes. */
TN_TEST(set_cookie_quote_round_trip) {
    tn_set_cookie_opts o;
    char val[64], out[512], back[256];
    int k;
    memset(&o, 0, sizeof o);
    o.quote = 1;
    o.no_path = 1;
    for (k = 0; k < 5000; k++) {
        size_t n = rnd() % sizeof val, i, len, bl;
        tn_cookie c;
        for (i = 0; i < n; i++) {
            unsigned char b;
            do b = (unsigned char)rnd(); while (b <= 0x20 || b == 0x7f);
            val[i] = (char)b;
        }
        TN_OK_RC(tn_set_cookie_format(tn_str_c("n"), tn_str_make(val, n), &o, out, sizeof out, &len));
        for (i = 0; i < len; i++) TN_CHECK((unsigned char)out[i] > 0x20 && (unsigned char)out[i] < 0x7f);
        TN_CHECK(memchr(out, ';', len) == NULL && memchr(out, ',', len) == NULL);
        TN_EQ_INT(tn_cookie_get(tn_str_make(out, len), tn_str_c("n"), &c), 1);
        bl = c.value.len;
        if (c.quoted) TN_OK_RC(tn_cookie_unquote(c.value, back, sizeof back, &bl));
        else memcpy(back, c.value.ptr, bl);
        TN_CHECKF(bl == n && memcmp(back, val, n) == 0, "round trip %u: %s", (unsigned)k, out);
    }
}

/* Values that need quoting come out byte for byte as Python's SimpleCookie writes them. */
TN_TEST(set_cookie_quote_vs_python) {
    static const char *vals[] = {"a,b", "a;b", "\"", "a\\b", "x\"y\\z,;", "caf\xc3\xa9", "\xff\x80",
                                 "2|1:0|10:1700000000|4:user|8:YWxpY2U=|x,"};
    tn_set_cookie_opts o;
    char out[512], cmd[2048], py[512], hx[512];
    size_t i;
    need_tornado();
    memset(&o, 0, sizeof o);
    o.quote = 1;
    o.no_path = 1;
    for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        to_hex(vals[i], strlen(vals[i]), hx);
        snprintf(cmd, sizeof cmd,
                 PY " -c 'import sys,binascii,http.cookies\nc=http.cookies.SimpleCookie()\n"
                    "c[\"n\"]=binascii.unhexlify(sys.argv[1]).decode(\"latin1\")\n"
                    "print(c[\"n\"].OutputString())' %s", hx);
        TN_EQ_INT(run_cmd(cmd, py, sizeof py), 0);
        TN_OK_RC(tn_set_cookie_format(tn_str_c("n"), tn_str_c(vals[i]), &o, out, sizeof out, NULL));
        TN_CHECKF(strcmp(out, py) == 0, "value %s: ours %s, python %s", hx, out, py);
    }
}

/* ======================================================================================
   Signed values */

/* Produced by Python Tornado 6.2:
     create_signed_value("secret_key", "user", "alice", clock=lambda: 1700000000)
     create_signed_value("another secret", "session", b"\x00\xff binary | value ;,\"",
                         clock=lambda: 1234567890, key_version=3)
     create_signed_value("k", "empty", "", clock=lambda: 1700000000) */
static const char *SV1 = "2|1:0|10:1700000000|4:user|8:YWxpY2U=|673681ffe269f32c7d0f042a245f008e0a25d954cec2bdf90a2659972881bc9b";
static const char *SV2 = "2|1:3|10:1234567890|7:session|28:AP8gYmluYXJ5IHwgdmFsdWUgOywi|4f9ba88b14b6e34232392be330aeab6e3ef897929e86046fd172ae4852cb6c8a";
static const char *SV3 = "2|1:0|10:1700000000|5:empty|0:|cfbc6f1bdaf4d285a2319f058d1f3b060708f94b2ed773bc2a10650c95f827fb";
static const char SV2_VALUE[] = "\x00\xff binary | value ;,\"";

TN_TEST(signed_value_known_vectors) {
    char out[256];
    size_t n = 0;
    unsigned kv = 99;
    /* create reproduces Tornado's bytes exactly */
    TN_OK_RC(tn_signed_value_create(tn_str_c("secret_key"), tn_str_c("user"), tn_str_c("alice"),
                                    1700000000, 0, out, sizeof out, &n));
    TN_EQ_STR(out, SV1);
    TN_EQ_UINT(n, strlen(SV1));
    TN_OK_RC(tn_signed_value_create(tn_str_c("another secret"), tn_str_c("session"),
                                    tn_str_make(SV2_VALUE, sizeof SV2_VALUE - 1), 1234567890, 3,
                                    out, sizeof out, &n));
    TN_EQ_STR(out, SV2);
    TN_OK_RC(tn_signed_value_create(tn_str_c("k"), tn_str_c("empty"), tn_str_c(""), 1700000000, 0,
                                    out, sizeof out, &n));
    TN_EQ_STR(out, SV3);
    /* decode */
    TN_OK_RC(tn_signed_value_decode(tn_str_c("secret_key"), tn_str_c("user"), tn_str_c(SV1),
                                    1700000000 + 86400, 0, out, sizeof out, &n));
    TN_EQ_UINT(n, 5);
    TN_EQ_MEM(out, "alice", 5);
    TN_OK_RC(tn_signed_value_decode(tn_str_c("another secret"), tn_str_c("session"), tn_str_c(SV2),
                                    1234567890, 0, out, sizeof out, &n));
    TN_EQ_UINT(n, sizeof SV2_VALUE - 1);
    TN_EQ_MEM(out, SV2_VALUE, n);
    TN_OK_RC(tn_signed_value_decode(tn_str_c("k"), tn_str_c("empty"), tn_str_c(SV3), 1700000000, 0,
                                    out, sizeof out, &n));
    TN_EQ_UINT(n, 0);
    TN_OK_RC(tn_signed_value_key_version(tn_str_c(SV2), &kv));
    TN_EQ_UINT(kv, 3);
    TN_OK_RC(tn_signed_value_key_version(tn_str_c(SV1), &kv));
    TN_EQ_UINT(kv, 0);
}

TN_TEST(signed_value_failures) {
    char out[256], t[256];
    size_t n, i, len = strlen(SV1);
    tn_str sec = tn_str_c("secret_key"), name = tn_str_c("user");
    int64_t ts = 1700000000;
    /* expiry: Tornado's rule is timestamp < now - max_age_days * 86400 */
    TN_OK_RC(tn_signed_value_decode(sec, name, tn_str_c(SV1), ts + 31 * 86400, 0, out, sizeof out, &n));
    TN_EQ_RC(tn_signed_value_decode(sec, name, tn_str_c(SV1), ts + 31 * 86400 + 1, 0, out, sizeof out, &n), TN_EEXPIRED);
    TN_OK_RC(tn_signed_value_decode(sec, name, tn_str_c(SV1), ts + 86400, 1, out, sizeof out, &n));
    TN_EQ_RC(tn_signed_value_decode(sec, name, tn_str_c(SV1), ts + 86401, 1, out, sizeof out, &n), TN_EEXPIRED);
    TN_EQ_RC(tn_signed_value_decode(sec, name, tn_str_c(SV1), ts + 43201, 0.5, out, sizeof out, &n), TN_EEXPIRED);
    TN_OK_RC(tn_signed_value_decode(sec, name, tn_str_c(SV1), ts - 1000000, 0, out, sizeof out, &n)); /* future: ok */
    TN_OK_RC(tn_signed_value_decode(sec, name, tn_str_c(SV1), ts + 31 * 86400, -5, out, sizeof out, &n)); /* <= 0: 31 */
    TN_EQ_RC(tn_signed_value_decode(sec, name, tn_str_c(SV1), ts + 31 * 86400 + 1, NAN, out, sizeof out, &n), TN_EEXPIRED);
    TN_OK_RC(tn_signed_value_decode(sec, name, tn_str_c(SV1), ts + 3650 * 86400, 3650, out, sizeof out, &n));
    /* wrong secret, wrong name */
    TN_EQ_RC(tn_signed_value_decode(tn_str_c("secret_kez"), name, tn_str_c(SV1), ts, 0, out, sizeof out, &n), TN_EBAD_SIGNATURE);
    TN_EQ_RC(tn_signed_value_decode(sec, tn_str_c("usr"), tn_str_c(SV1), ts, 0, out, sizeof out, &n), TN_EBAD_SIGNATURE);
    TN_EQ_RC(tn_signed_value_decode(sec, tn_str_c(""), tn_str_c(SV1), ts, 0, out, sizeof out, &n), TN_EBAD_SIGNATURE);
    /* every single-byte change is caught (parse or signature), never accepted */
    for (i = 0; i < len; i++) {
        int rc;
        memcpy(t, SV1, len);
        t[i] = (char)(t[i] ^ 0x01);
        rc = tn_signed_value_decode(sec, name, tn_str_make(t, len), ts, 0, out, sizeof out, &n);
        TN_CHECKF(rc == TN_EBAD_SIGNATURE || rc == TN_EPARSE, "flip at %u: %s", (unsigned)i, tn_err_name(rc));
    }
    /* every truncation fails too */
    for (i = 0; i < len; i++) {
        int rc = tn_signed_value_decode(sec, name, tn_str_make(SV1, i), ts, 0, out, sizeof out, &n);
        TN_CHECKF(rc == TN_EBAD_SIGNATURE || rc == TN_EPARSE, "truncated to %u: %s", (unsigned)i, tn_err_name(rc));
    }
    /* upper-case hex is not Tornado's signature */
    memcpy(t, SV1, len + 1);
    for (i = len - 64; i < len; i++) if (t[i] >= 'a' && t[i] <= 'f') t[i] = (char)(t[i] - 32);
    TN_EQ_RC(tn_signed_value_decode(sec, name, tn_str_c(t), ts, 0, out, sizeof out, &n), TN_EBAD_SIGNATURE);
    /* trailing junk after the signature */
    snprintf(t, sizeof t, "%s0", SV1);
    TN_EQ_RC(tn_signed_value_decode(sec, name, tn_str_c(t), ts, 0, out, sizeof out, &n), TN_EBAD_SIGNATURE);
    /* malformed layouts */
    {
        static const char *bad[] = {"", "2", "2|", "1|1:0|", "YWxpY2U=|1700000000|abc", "3|1:0|10:1700000000|4:user|8:YWxpY2U=|x",
                                    "2|1:0|10:1700000000|4:user|8:YWxpY2U=", "2|x:0|10:1|4:user|0:|", "2|1:0|10:1700000000|99:user|0:|",
                                    "2|:0|10:1700000000|4:user|0:|", "2|1:0|10:1700000000|4:user|0:", "2|10000000000:0|",
                                    "2|1:-|10:1700000000|4:user|0:|"};
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
            TN_CHECKF(tn_signed_value_decode(sec, name, tn_str_c(bad[i]), ts, 0, out, sizeof out, &n) == TN_EPARSE,
                      "accepted [%s]", bad[i]);
        TN_EQ_RC(tn_signed_value_key_version(tn_str_c("2|x"), NULL), TN_EPARSE);
    }
    /* a correctly signed value whose timestamp or payload is malformed */
    {
        unsigned char mac[32];
        char hex[65];
        const char *body[] = {"2|1:0|3:abc|4:user|8:YWxpY2U=|", "2|1:0|10:1700000000|4:user|7:YWxpY2U|",
                              "2|1:0|10:1700000000|4:user|8:YWxp*2U=|"};
        int want[] = {TN_EPARSE, TN_EBAD_ENCODING, TN_EBAD_ENCODING};
        for (i = 0; i < 3; i++) {
            tn_hmac_sha256("secret_key", 10, body[i], strlen(body[i]), mac);
            to_hex(mac, 32, hex);
            snprintf(t, sizeof t, "%s%s", body[i], hex);
            TN_EQ_RC(tn_signed_value_decode(sec, name, tn_str_c(t), ts, 0, out, sizeof out, &n), want[i]);
        }
    }
    /* small output buffers */
    TN_EQ_RC(tn_signed_value_decode(sec, name, tn_str_c(SV1), ts, 0, out, 4, &n), TN_EBUFFER_FULL);
    TN_EQ_UINT(n, 5);
    TN_OK_RC(tn_signed_value_decode(sec, name, tn_str_c(SV1), ts, 0, out, 5, &n));
    TN_EQ_RC(tn_signed_value_create(sec, name, tn_str_c("alice"), ts, 0, out, 10, &n), TN_EBUFFER_FULL);
    TN_EQ_UINT(n, len);
    TN_EQ_RC(tn_signed_value_create(sec, name, tn_str_c("alice"), ts, 0, NULL, 0, &n), TN_EBUFFER_FULL);
    TN_EQ_UINT(n, len);
    for (i = 0; i <= len; i++) {
        memset(out, '#', sizeof out);
        TN_EQ_RC(tn_signed_value_create(sec, name, tn_str_c("alice"), ts, 0, out, i, &n),
                 i < len ? TN_EBUFFER_FULL : TN_OK);
        TN_CHECK(out[i] == '#');
    }
}

TN_TEST(signed_value_round_trips) {
    char val[100], sv[400], out[200];
    int k;
    for (k = 0; k < 2000; k++) {
        size_t vn = rnd() % sizeof val, i, n, svn;
        int64_t ts = (int64_t)(rnd() % 4000000000u);
        unsigned kv = rnd() % 3 == 0 ? rnd() : 0;
        unsigned kv2 = 0;
        for (i = 0; i < vn; i++) val[i] = (char)rnd();
        TN_OK_RC(tn_signed_value_create(tn_str_c("s3cr3t"), tn_str_c("nm"), tn_str_make(val, vn), ts,
                                        kv, sv, sizeof sv, &svn));
        TN_OK_RC(tn_signed_value_key_version(tn_str_make(sv, svn), &kv2));
        TN_EQ_UINT(kv2, kv);
        TN_OK_RC(tn_signed_value_decode(tn_str_c("s3cr3t"), tn_str_c("nm"), tn_str_make(sv, svn), ts,
                                        0, out, tn_base64_decoded_max(svn), &n));
        TN_EQ_UINT(n, vn);
        TN_EQ_MEM(out, val, vn);
    }
}

/* Version 1 (legacy): vectors from Python Tornado 6.2,
     create_signed_value("secret_key", "user", "alice", version=1, clock=lambda: 1700000000)
     create_signed_value("k", "n", "", version=1, clock=lambda: 1700000000) */
TN_TEST(signed_value_v1) {
    static const char *V1 = "YWxpY2U=|1700000000|93a7f1d6bbeb8527b5ffac56c615b4dddd877ff4";
    static const char *V1E = "|1700000000|0799730c032adf619a0c277c4e110e77a7ee66a7";
    tn_str sec = tn_str_c("secret_key"), name = tn_str_c("user");
    char out[128], t[128], hex[41];
    unsigned char mac[20];
    size_t n, i, len = strlen(V1);
    int64_t ts = 1700000000;
    TN_OK_RC(tn_signed_value_decode_v1(sec, name, tn_str_c(V1), ts + 10, 0, out, sizeof out, &n));
    TN_EQ_UINT(n, 5);
    TN_EQ_MEM(out, "alice", 5);
    TN_OK_RC(tn_signed_value_decode_v1(tn_str_c("k"), tn_str_c("n"), tn_str_c(V1E), ts, 0, out, sizeof out, &n));
    TN_EQ_UINT(n, 0);
    /* v2 decoder refuses v1 and vice versa */
    TN_EQ_RC(tn_signed_value_decode(sec, name, tn_str_c(V1), ts, 0, out, sizeof out, &n), TN_EPARSE);
    TN_EQ_RC(tn_signed_value_decode_v1(sec, name, tn_str_c(SV1), ts, 0, out, sizeof out, &n), TN_EPARSE);
    /* expiry and Tornado's anti-tampering checks */
    TN_EQ_RC(tn_signed_value_decode_v1(sec, name, tn_str_c(V1), ts + 31 * 86400 + 1, 0, out, sizeof out, &n), TN_EEXPIRED);
    TN_OK_RC(tn_signed_value_decode_v1(sec, name, tn_str_c(V1), ts - 31 * 86400, 0, out, sizeof out, &n));
    TN_EQ_RC(tn_signed_value_decode_v1(sec, name, tn_str_c(V1), ts - 31 * 86400 - 1, 0, out, sizeof out, &n), TN_EBAD_SIGNATURE);
    TN_EQ_RC(tn_signed_value_decode_v1(sec, tn_str_c("use"), tn_str_c(V1), ts, 0, out, sizeof out, &n), TN_EBAD_SIGNATURE);
    for (i = 0; i < len; i++) {
        int rc;
        memcpy(t, V1, len);
        t[i] = (char)(t[i] ^ 0x04);
        rc = tn_signed_value_decode_v1(sec, name, tn_str_make(t, len), ts, 0, out, sizeof out, &n);
        TN_CHECKF(rc == TN_EBAD_SIGNATURE || rc == TN_EPARSE, "flip at %u: %s", (unsigned)i, tn_err_name(rc));
    }
    /* a genuinely signed leading-zero timestamp is still refused (the v1 digit-shift attack) */
    tn_hmac_sha1("secret_key", 10, "userYWxpY2U=01700000000", 23, mac);
    to_hex(mac, 20, hex);
    snprintf(t, sizeof t, "YWxpY2U=|01700000000|%s", hex);
    TN_EQ_RC(tn_signed_value_decode_v1(sec, name, tn_str_c(t), ts, 0, out, sizeof out, &n), TN_EBAD_SIGNATURE);
    TN_EQ_RC(tn_signed_value_decode_v1(sec, name, tn_str_c("a|b"), ts, 0, out, sizeof out, &n), TN_EPARSE);
    TN_EQ_RC(tn_signed_value_decode_v1(sec, name, tn_str_c("a|b|c|d"), ts, 0, out, sizeof out, &n), TN_EPARSE);
    TN_EQ_RC(tn_signed_value_decode_v1(sec, name, tn_str_c(""), ts, 0, out, sizeof out, &n), TN_EPARSE);
    TN_EQ_RC(tn_signed_value_decode_v1(sec, name, tn_str_c(V1), ts, 0, out, 4, &n), TN_EBUFFER_FULL);
    TN_EQ_UINT(n, 5);
}

/* Python Tornado makes, we decode. */
TN_TEST(signed_value_interop_from_tornado) {
    struct { const char *secret, *name, *value; long long ts; unsigned kv; } v[] = {
        {"secret", "user", "alice", 1700000000LL, 0},
        {"a much longer secret that is more than sixty-four bytes long, to be hashed first", "session",
         "{\"id\": 42, \"roles\": [\"admin\"]}", 1500000000LL, 7},
        {"s", "x", "", 1LL, 0},
        {"\xc3\xa9t\xc3\xa9", "u", "caf\xc3\xa9 | 2:3 | ;,\"", 2000000000LL, 123456},
    };
    char cmd[2048], py[1024], out[256], hs[256], hv[256];
    size_t i, n;
    need_tornado();
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        to_hex(v[i].secret, strlen(v[i].secret), hs);
        to_hex(v[i].value, strlen(v[i].value), hv);
        snprintf(cmd, sizeof cmd,
                 PY " -c 'import sys,binascii\nfrom tornado.web import create_signed_value as c\na=sys.argv[1:]\n"
                    "print(c(binascii.unhexlify(a[0]), a[1], binascii.unhexlify(a[2]), clock=lambda: int(a[3]),"
                    " key_version=int(a[4])).decode())' %s %s '%s' %lld %u",
                 hs, v[i].name, hv, v[i].ts, v[i].kv);
        TN_EQ_INT(run_cmd(cmd, py, sizeof py), 0);
        TN_OK_RC(tn_signed_value_decode(tn_str_c(v[i].secret), tn_str_c(v[i].name), tn_str_c(py),
                                        (int64_t)v[i].ts + 100, 0, out, sizeof out, &n));
        TN_EQ_UINT(n, strlen(v[i].value));
        TN_EQ_MEM(out, v[i].value, n);
        /* and our create makes the very same bytes */
        TN_OK_RC(tn_signed_value_create(tn_str_c(v[i].secret), tn_str_c(v[i].name), tn_str_c(v[i].value),
                                        (int64_t)v[i].ts, v[i].kv, out, sizeof out, &n));
        TN_EQ_STR(out, py);
        TN_EQ_RC(tn_signed_value_decode(tn_str_c(v[i].secret), tn_str_c(v[i].name), tn_str_c(py),
                                        (int64_t)v[i].ts + 31 * 86400 + 1, 0, out, sizeof out, &n),
                 TN_EEXPIRED);
        /* the same through Tornado's legacy version 1 */
        snprintf(cmd, sizeof cmd,
                 PY " -c 'import sys,binascii\nfrom tornado.web import create_signed_value as c\na=sys.argv[1:]\n"
                    "print(c(binascii.unhexlify(a[0]), a[1], binascii.unhexlify(a[2]), clock=lambda: int(a[3]),"
                    " version=1).decode())' %s %s '%s' %lld",
                 hs, v[i].name, hv, v[i].ts);
        TN_EQ_INT(run_cmd(cmd, py, sizeof py), 0);
        TN_OK_RC(tn_signed_value_decode_v1(tn_str_c(v[i].secret), tn_str_c(v[i].name), tn_str_c(py),
                                           (int64_t)v[i].ts + 100, 0, out, sizeof out, &n));
        TN_EQ_UINT(n, strlen(v[i].value));
        TN_EQ_MEM(out, v[i].value, n);
    }
}

/* We make, Python Tornado decodes; tampered and expired values fail on both sides. */
static void py_decode(const char *secret, const char *name, const char *sv, long long now,
                      double max_age, char *py, size_t cap) {
    char cmd[2048], hs[256];
    to_hex(secret, strlen(secret), hs);
    snprintf(cmd, sizeof cmd,
             PY " -c 'import sys,binascii\nfrom tornado.web import decode_signed_value as d\na=sys.argv[1:]\n"
                "r=d(binascii.unhexlify(a[0]), a[1], a[2], clock=lambda: int(a[3]), max_age_days=float(a[4]))\n"
                "print(\"None\" if r is None else \"v:\"+binascii.hexlify(r).decode())' %s %s '%s' %lld %g",
             hs, name, sv, now, max_age);
    TN_EQ_INT(run_cmd(cmd, py, cap), 0);
}

TN_TEST(signed_value_interop_to_tornado) {
    const char *secret = "interop secret";
    const char *value = "binary\x01\x02\xff and text | 1:2 |";
    char sv[400], py[512], want[256], t[400];
    size_t n;
    long long ts = 1712345678LL;
    need_tornado();
    TN_OK_RC(tn_signed_value_create(tn_str_c(secret), tn_str_c("sess"), tn_str_c(value), ts, 0,
                                    sv, sizeof sv, &n));
    strcpy(want, "v:");
    to_hex(value, strlen(value), want + 2);
    py_decode(secret, "sess", sv, ts + 1000, 31, py, sizeof py);
    TN_EQ_STR(py, want);
    /* key version 5 */
    TN_OK_RC(tn_signed_value_create(tn_str_c(secret), tn_str_c("sess"), tn_str_c(value), ts, 5,
                                    sv, sizeof sv, &n));
    py_decode(secret, "sess", sv, ts, 31, py, sizeof py);
    TN_EQ_STR(py, want);
    /* expired for both */
    py_decode(secret, "sess", sv, ts + 2 * 86400 + 1, 2, py, sizeof py);
    TN_EQ_STR(py, "None");
    TN_EQ_RC(tn_signed_value_decode(tn_str_c(secret), tn_str_c("sess"), tn_str_make(sv, n), ts + 2 * 86400 + 1,
                                    2, t, sizeof t, NULL), TN_EEXPIRED);
    /* tampered for both */
    memcpy(t, sv, n + 1);
    t[n - 1] = t[n - 1] == '0' ? '1' : '0';
    py_decode(secret, "sess", t, ts, 31, py, sizeof py);
    TN_EQ_STR(py, "None");
    TN_EQ_RC(tn_signed_value_decode(tn_str_c(secret), tn_str_c("sess"), tn_str_make(t, n), ts, 0, want,
                                    sizeof want, NULL), TN_EBAD_SIGNATURE);
    /* wrong name for both */
    py_decode(secret, "other", sv, ts, 31, py, sizeof py);
    TN_EQ_STR(py, "None");
}

/* ======================================================================================
   Basic auth */
TN_TEST(basic_auth_round_trip) {
    char out[128], buf[128];
    size_t n;
    tn_str u, p;
    TN_OK_RC(tn_basic_auth_encode(tn_str_c("Aladdin"), tn_str_c("open sesame"), out, sizeof out, &n));
    TN_EQ_STR(out, "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");   /* RFC 7617 section 2 */
    TN_EQ_UINT(n, strlen(out));
    TN_OK_RC(tn_basic_auth_decode(tn_str_c(out), buf, sizeof buf, &u, &p));
    TN_EQ_TSTR(u, "Aladdin");
    TN_EQ_TSTR(p, "open sesame");
    TN_OK_RC(tn_basic_auth_decode(tn_str_c("  bAsIc \t QWxhZGRpbjpvcGVuIHNlc2FtZQ==  "), buf, sizeof buf, &u, &p));
    TN_EQ_TSTR(u, "Aladdin");
    /* password with colons: split at the first one */
    TN_OK_RC(tn_basic_auth_encode(tn_str_c("u"), tn_str_c("a:b:c"), out, sizeof out, &n));
    TN_OK_RC(tn_basic_auth_decode(tn_str_c(out), buf, sizeof buf, &u, &p));
    TN_EQ_TSTR(u, "u");
    TN_EQ_TSTR(p, "a:b:c");
    /* empty user and password */
    TN_OK_RC(tn_basic_auth_encode(tn_str_c(""), tn_str_c(""), out, sizeof out, &n));
    TN_EQ_STR(out, "Basic Og==");
    TN_OK_RC(tn_basic_auth_decode(tn_str_c(out), buf, sizeof buf, &u, &p));
    TN_EQ_UINT(u.len, 0);
    TN_EQ_UINT(p.len, 0);
    /* UTF-8 credentials (RFC 7617 section 2.1 example: test / 123 pound sign) */
    TN_OK_RC(tn_basic_auth_encode(tn_str_c("test"), tn_str_c("123\xc2\xa3"), out, sizeof out, &n));
    TN_EQ_STR(out, "Basic dGVzdDoxMjPCow==");
    /* every length of user and password */
    {
        char user[40], pass[40];
        size_t ul, pl, i;
        for (ul = 0; ul < 12; ul++)
            for (pl = 0; pl < 12; pl++) {
                for (i = 0; i < ul; i++) user[i] = (char)('a' + i);
                for (i = 0; i < pl; i++) pass[i] = (char)('A' + i);
                TN_OK_RC(tn_basic_auth_encode(tn_str_make(user, ul), tn_str_make(pass, pl), out, sizeof out, &n));
                TN_EQ_UINT(n, 6 + tn_base64_encoded_size(ul + pl + 1, 0));
                TN_OK_RC(tn_basic_auth_decode(tn_str_make(out, n), buf, sizeof buf, &u, &p));
                TN_CHECK(u.len == ul && memcmp(u.ptr, user, ul) == 0);
                TN_CHECK(p.len == pl && memcmp(p.ptr, pass, pl) == 0);
            }
    }
}

TN_TEST(basic_auth_bad_inputs) {
    char out[64], buf[64];
    size_t n;
    tn_str u, p;
    TN_EQ_RC(tn_basic_auth_encode(tn_str_c("a:b"), tn_str_c("x"), out, sizeof out, &n), TN_EINVAL);
    TN_EQ_RC(tn_basic_auth_encode(tn_str_c("a\r\n"), tn_str_c("x"), out, sizeof out, &n), TN_EINVAL);
    TN_EQ_RC(tn_basic_auth_encode(tn_str_c("a"), tn_str_c("x\n"), out, sizeof out, &n), TN_EINVAL);
    TN_EQ_RC(tn_basic_auth_encode(tn_str_c("a"), tn_str_c("x\x7f"), out, sizeof out, &n), TN_EINVAL);
    TN_EQ_RC(tn_basic_auth_encode(tn_str_c("Aladdin"), tn_str_c("open sesame"), out, 10, &n), TN_EBUFFER_FULL);
    TN_EQ_UINT(n, 34);
    TN_EQ_RC(tn_basic_auth_decode(tn_str_c("Bearer abc"), buf, sizeof buf, &u, &p), TN_ENOTSUP);
    TN_EQ_RC(tn_basic_auth_decode(tn_str_c("Basicx QWxh"), buf, sizeof buf, &u, &p), TN_ENOTSUP);
    TN_EQ_RC(tn_basic_auth_decode(tn_str_c("Basic"), buf, sizeof buf, &u, &p), TN_EPARSE);
    TN_EQ_RC(tn_basic_auth_decode(tn_str_c("Basic   "), buf, sizeof buf, &u, &p), TN_EPARSE);
    TN_EQ_RC(tn_basic_auth_decode(tn_str_c(""), buf, sizeof buf, &u, &p), TN_EPARSE);
    TN_EQ_RC(tn_basic_auth_decode(tn_str_c("   "), buf, sizeof buf, &u, &p), TN_EPARSE);
    TN_EQ_RC(tn_basic_auth_decode(tn_str_c("Basic QWxh ZGRp"), buf, sizeof buf, &u, &p), TN_EPARSE);
    TN_EQ_RC(tn_basic_auth_decode(tn_str_c("Basic QWxhZGRpbg=="), buf, sizeof buf, &u, &p), TN_EPARSE); /* no colon */
    TN_EQ_RC(tn_basic_auth_decode(tn_str_c("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ="), buf, sizeof buf, &u, &p), TN_EBAD_ENCODING);
    TN_EQ_RC(tn_basic_auth_decode(tn_str_c("Basic QWxh!GRp"), buf, sizeof buf, &u, &p), TN_EBAD_ENCODING);
    TN_EQ_RC(tn_basic_auth_decode(tn_str_c("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ"), buf, sizeof buf, &u, &p), TN_EBAD_ENCODING);
    TN_EQ_RC(tn_basic_auth_decode(tn_str_c("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), buf, 10, &u, &p), TN_EBUFFER_FULL);
}

TN_TESTS(TN_CASE(cookie_parse_basic), TN_CASE(cookie_get_last_wins), TN_CASE(cookie_unquote),
         TN_CASE(cookie_parse_vs_tornado), TN_CASE(set_cookie_attributes),
         TN_CASE(set_cookie_expires_dates), TN_CASE(set_cookie_injection),
         TN_CASE(set_cookie_attribute_injection), TN_CASE(set_cookie_buffer),
         TN_CASE(set_cookie_quote_round_trip), TN_CASE(set_cookie_quote_vs_python),
         TN_CASE(signed_value_known_vectors), TN_CASE(signed_value_failures),
         TN_CASE(signed_value_round_trips), TN_CASE(signed_value_v1),
         TN_CASE(signed_value_interop_from_tornado),
         TN_CASE(signed_value_interop_to_tornado), TN_CASE(basic_auth_round_trip),
         TN_CASE(basic_auth_bad_inputs))
