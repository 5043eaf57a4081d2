/* test_http_parse.c: the HTTP/1.1 parser: requests, responses, every prefix incomplete,
   guard-page over-read checks, limits, error codes, a smuggling suite, framing rules,
   chunked codec, header utilities, and the llhttp conformance cases (tests/data). */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include <ctype.h>
#include <sys/mman.h>

#define NH 64

/* ---- guard page: place bytes right before a PROT_NONE page so any over-read faults ---- */
static char *guard_base;
static size_t guard_page;

static char *guarded(const char *s, size_t n) {
    char *dst;
    if (!guard_base) {
        guard_page = (size_t)sysconf(_SC_PAGESIZE);
        while (guard_page < 70000) guard_page *= 2;   /* room for the big limit tests */
        guard_base = (char *)mmap(NULL, guard_page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        TN_CHECK(guard_base != (char *)MAP_FAILED);
        TN_CHECK(mprotect(guard_base + guard_page, guard_page, PROT_NONE) == 0);
    }
    TN_CHECK(n <= guard_page);
    dst = guard_base + guard_page - n;
    if (n) memcpy(dst, s, n);
    return dst;
}

static void req_init(tn_http_request *r, tn_http_header *h) {
    memset(r, 0, sizeof *r);
    r->headers = h;
    r->max_headers = NH;
}

static void res_init(tn_http_response *r, tn_http_header *h) {
    memset(r, 0, sizeof *r);
    r->headers = h;
    r->max_headers = NH;
}

/* Parse a whole request placed against the guard page. */
static int parse_req(const char *s, size_t n, tn_http_request *r, tn_http_header *h) {
    req_init(r, h);
    return tn_http_parse_request(guarded(s, n), n, r);
}

static int parse_req_s(const char *s, tn_http_request *r, tn_http_header *h) {
    return parse_req(s, strlen(s), r, h);
}

static int parse_res_s(const char *s, tn_http_response *r, tn_http_header *h) {
    size_t n = strlen(s);
    res_init(r, h);
    return tn_http_parse_response(guarded(s, n), n, r);
}

static int same_req(const tn_http_request *a, const tn_http_request *b, const char *ba, const char *bb) {
    size_t i;
    if (a->version != b->version || a->num_headers != b->num_headers || a->flags != b->flags ||
        a->body_kind != b->body_kind || a->content_length != b->content_length || a->target_form != b->target_form)
        return 0;
    if (a->method.ptr - ba != b->method.ptr - bb || a->method.len != b->method.len) return 0;
    if (a->target.ptr - ba != b->target.ptr - bb || a->target.len != b->target.len) return 0;
    for (i = 0; i < a->num_headers; i++) {
        if (a->headers[i].name.ptr - ba != b->headers[i].name.ptr - bb) return 0;
        if (a->headers[i].name.len != b->headers[i].name.len) return 0;
        if (a->headers[i].value.ptr - ba != b->headers[i].value.ptr - bb) return 0;
        if (a->headers[i].value.len != b->headers[i].value.len) return 0;
    }
    return 1;
}

/* Every proper prefix is TN_EINCOMPLETE (fresh parse, guard page); feeding the same buffer one
   byte at a time (resumed parse) gives exactly the whole-buffer result. Returns the result. */
static int check_req_prefixes(const char *s, size_t n) {
    tn_http_header h1[NH], h2[NH];
    tn_http_request whole, inc;
    char *buf;
    size_t k;
    int rc = parse_req(s, n, &whole, h1), rc2 = TN_EINCOMPLETE;
    for (k = 0; k < n; k++) {
        tn_http_request r;
        int p = parse_req(s, k, &r, h2);
        if (rc > 0 && (size_t)rc > k)
            TN_CHECKF(p == TN_EINCOMPLETE, "prefix %lu of %lu: %s", (unsigned long)k, (unsigned long)n, tn_err_name(p));
    }
    buf = (char *)malloc(n + 1);
    memcpy(buf, s, n);
    req_init(&inc, h2);
    for (k = 1; k <= n; k++) {
        rc2 = tn_http_parse_request(buf, k, &inc);
        if (rc2 != TN_EINCOMPLETE) break;
    }
    TN_CHECKF(rc2 == rc, "incremental %s (%d) vs whole %s (%d)", tn_err_name(rc2), rc2, tn_err_name(rc), rc);
    if (rc > 0) {
        const char *g = guarded(s, n);
        /* re-run whole on the guarded copy for pointer comparison */
        req_init(&whole, h1);
        TN_EQ_INT(tn_http_parse_request(g, n, &whole), rc);
        TN_CHECK(same_req(&whole, &inc, g, buf));
    }
    free(buf);
    return rc;
}

static int check_res_prefixes(const char *s) {
    tn_http_header h1[NH], h2[NH];
    tn_http_response whole, inc;
    size_t n = strlen(s), k;
    char *buf;
    int rc, rc2 = TN_EINCOMPLETE;
    res_init(&whole, h1);
    rc = tn_http_parse_response(guarded(s, n), n, &whole);
    for (k = 0; k < n && rc > 0; k++) {
        tn_http_response r;
        int p;
        res_init(&r, h2);
        p = tn_http_parse_response(guarded(s, k), k, &r);
        TN_CHECKF(p == TN_EINCOMPLETE, "response prefix %lu: %s", (unsigned long)k, tn_err_name(p));
    }
    buf = (char *)malloc(n + 1);
    memcpy(buf, s, n);
    res_init(&inc, h2);
    for (k = 1; k <= n; k++) {
        rc2 = tn_http_parse_response(buf, k, &inc);
        if (rc2 != TN_EINCOMPLETE) break;
    }
    TN_EQ_RC(rc2, rc);
    if (rc > 0) {
        TN_EQ_INT(inc.status, whole.status);
        TN_EQ_INT(inc.num_headers, whole.num_headers);
        TN_EQ_INT(inc.flags, whole.flags);
        TN_EQ_INT(inc.body_kind, whole.body_kind);
    }
    free(buf);
    return rc;
}

static const char *browser_req =
    "GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n"
    "Host: www.kittyhell.com\r\n"
    "User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10_6_6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n"
    "Accept-Encoding: gzip,deflate\r\n"
    "Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n"
    "Keep-Alive: 115\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; "
    "__utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; "
    "__utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral\r\n"
    "\r\n";

TN_TEST(request_basic) {
    tn_http_header h[NH];
    tn_http_request r;
    const char *s = "GET /a?b=c HTTP/1.1\r\nHost: example.com\r\nX-Empty:\r\nX-Pad: \t v a l \t \r\n\r\nBODY";
    int rc = parse_req_s(s, &r, h);
    TN_EQ_INT(rc, (int)strlen(s) - 4);
    TN_EQ_TSTR(r.method, "GET");
    TN_EQ_TSTR(r.target, "/a?b=c");
    TN_EQ_INT(r.version, 11);
    TN_EQ_INT(r.target_form, TN_HTTP_TARGET_ORIGIN);
    TN_EQ_INT(r.num_headers, 3);
    TN_EQ_TSTR(h[0].name, "Host");
    TN_EQ_TSTR(h[0].value, "example.com");
    TN_EQ_TSTR(h[1].name, "X-Empty");
    TN_EQ_TSTR(h[1].value, "");
    TN_EQ_TSTR(h[2].value, "v a l");
    TN_CHECK(r.flags & TN_HTTP_F_KEEP_ALIVE);
    TN_CHECK(r.flags & TN_HTTP_F_HOST);
    TN_EQ_INT(r.body_kind, TN_HTTP_BODY_NONE);
    /* browser request, obs-text in a value, leading empty lines */
    TN_EQ_INT(parse_req_s(browser_req, &r, h), (int)strlen(browser_req));
    TN_EQ_INT(r.num_headers, 9);
    TN_EQ_INT(parse_req_s("\r\n\r\nGET / HTTP/1.0\r\nX: caf\xc3\xa9\r\n\r\n", &r, h), 32);
    TN_EQ_INT(r.version, 10);
    TN_EQ_TSTR(h[0].value, "caf\xc3\xa9");
    TN_CHECK(!(r.flags & TN_HTTP_F_KEEP_ALIVE));
    /* no buffer */
    req_init(&r, h);
    TN_EQ_RC(tn_http_parse_request(NULL, 0, &r), TN_EINCOMPLETE);
    TN_EQ_RC(tn_http_parse_request(NULL, 5, &r), TN_EINVAL);
    /* HTTP/1.2 is treated as 1.1 (RFC 9110 §6.2) */
    TN_CHECK(parse_req_s("GET / HTTP/1.2\r\n\r\n", &r, h) > 0);
    TN_EQ_INT(r.version, 11);
}

TN_TEST(request_target_forms) {
    tn_http_header h[NH];
    tn_http_request r;
    TN_CHECK(parse_req_s("GET http://a.example/x?y HTTP/1.1\r\n\r\n", &r, h) > 0);
    TN_EQ_INT(r.target_form, TN_HTTP_TARGET_ABSOLUTE);
    TN_CHECK(parse_req_s("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", &r, h) > 0);
    TN_EQ_INT(r.target_form, TN_HTTP_TARGET_AUTHORITY);
    TN_CHECK(r.flags & TN_HTTP_F_UPGRADE);
    TN_CHECK(parse_req_s("CONNECT [::1]:8080 HTTP/1.1\r\n\r\n", &r, h) > 0);
    TN_CHECK(parse_req_s("OPTIONS * HTTP/1.1\r\n\r\n", &r, h) > 0);
    TN_EQ_INT(r.target_form, TN_HTTP_TARGET_ASTERISK);
    TN_EQ_RC(parse_req_s("GET * HTTP/1.1\r\n\r\n", &r, h), TN_EBAD_TARGET);
    TN_EQ_RC(parse_req_s("CONNECT /x HTTP/1.1\r\n\r\n", &r, h), TN_EBAD_TARGET);
    TN_EQ_RC(parse_req_s("CONNECT a.example HTTP/1.1\r\n\r\n", &r, h), TN_EBAD_TARGET);
    TN_EQ_RC(parse_req_s("CONNECT a.example:44x HTTP/1.1\r\n\r\n", &r, h), TN_EBAD_TARGET);
    TN_EQ_RC(parse_req_s("GET a.example/x HTTP/1.1\r\n\r\n", &r, h), TN_EBAD_TARGET);
    TN_EQ_RC(parse_req_s("GET 1http://x/ HTTP/1.1\r\n\r\n", &r, h), TN_EBAD_TARGET);
    TN_EQ_RC(parse_req_s("GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n", &r, h), TN_EBAD_TARGET);
    TN_EQ_RC(parse_req_s("GET /a\x7f HTTP/1.1\r\n\r\n", &r, h), TN_EBAD_TARGET);
    {   /* absolute-form: every byte a target may hold, after the scheme's first letter */
        static const char excluded[] = "\"#<>\\^`{|}";
        char line[64];
        int c;
        for (c = 0x21; c < 0x7f; c++) {
            int rc, scheme = isalnum(c) || c == '+' || c == '-' || c == '.' || c == ':';
            if (strchr(excluded, c)) continue;
            snprintf(line, sizeof line, "GET h%cp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", c);
            rc = parse_req_s(line, &r, h);
            TN_CHECKF(scheme ? rc > 0 && r.target_form == TN_HTTP_TARGET_ABSOLUTE : rc == TN_EBAD_TARGET,
                      "scheme byte %#x: %s", c, tn_err_name(rc));
        }
    }
}

/* RFC 3986 excludes " # < > \ ^ ` { | } (and controls, space, DEL, non-ASCII) from a URI: a
   request-target holding one is a 400, found by the scanner wherever it stands (SSE2 block,
   scalar tail, or a resumed scan when the target arrives a byte at a time). */
TN_TEST(request_target_bytes) {
    static const char excluded[] = "\"#<>\\^`{|}";
    static const size_t at[] = { 1, 2, 7, 15, 16, 17, 31, 40 };
    char line[128];
    int c;
    size_t i, k;
    for (c = 0x21; c < 0x7f; c++) {   /* every other visible byte is accepted */
        tn_http_header h[NH];
        tn_http_request r;
        int rc;
        if (strchr(excluded, c)) continue;
        snprintf(line, sizeof line, "GET /aaaaaaaaaaaaaaaaaaaaaa%caaaaaaaaaaaaaa%c HTTP/1.1\r\n\r\n", c, c);
        rc = parse_req_s(line, &r, h);
        TN_CHECKF(rc > 0, "byte %#x refused: %s", c, tn_err_name(rc));
    }
    for (i = 0; excluded[i]; i++) {
        for (k = 0; k < sizeof at / sizeof at[0]; k++) {
            tn_http_header h[NH];
            tn_http_request r;
            size_t n, len;
            int rc;
            memset(line, 0, sizeof line);
            memcpy(line, "GET /", 5);
            memset(line + 5, 'a', 48);
            line[4 + at[k]] = excluded[i];
            memcpy(line + 53, " HTTP/1.1\r\n\r\n", 14);
            len = strlen(line);
            rc = parse_req(line, len, &r, h);
            TN_CHECKF(rc == TN_EBAD_TARGET, "'%c' at %lu: %s", excluded[i], (unsigned long)at[k], tn_err_name(rc));
            /* dribbled into one buffer: refused as soon as the byte arrives */
            req_init(&r, h);
            for (n = 1; n <= len; n++)
                if ((rc = tn_http_parse_request(line, n, &r)) != TN_EINCOMPLETE) break;
            TN_CHECKF(rc == TN_EBAD_TARGET && n == 5 + at[k], "'%c' at %lu dribbled: %s at %lu", excluded[i],
                      (unsigned long)at[k], tn_err_name(rc), (unsigned long)n);
        }
    }
    {
        tn_http_header h[NH];
        tn_http_request r;
        TN_EQ_RC(parse_req_s("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", &r, h), TN_EBAD_TARGET);
        TN_EQ_RC(parse_req_s("GET http://a/b#c HTTP/1.1\r\nHost: a\r\n\r\n", &r, h), TN_EBAD_TARGET);
        TN_EQ_RC(parse_req_s("GET /?q={\"a\":1} HTTP/1.1\r\nHost: a\r\n\r\n", &r, h), TN_EBAD_TARGET);
        TN_CHECK(parse_req_s("GET /a%7Cb?c=%22d%22&e=[f]:@!$&'()*+,;= HTTP/1.1\r\nHost: a\r\n\r\n", &r, h) > 0);
    }
}

/* RFC 9112 §3.2: a Host that is not uri-host [":" port] (RFC 3986) is a 400. */
TN_TEST(request_host_authority) {
    static const char *good[] = {
        "a.example", "a.example:8080", "A.EXAMPLE:0", "127.0.0.1", "127.0.0.1:65535", "[::1]", "[::1]:80",
        "[2001:db8::7]:443", "[v1.x:y]", "", "a.example:", "xn--bcher-kva.example", "%41b.example",
        "a!$&'()*+,;=-._~b", "999.1.1.1",
    };
    static const char *bad[] = {
        "a b", "a@b", "u:p@a.example", "a:b", "a:80x", "a:-1", "a:99999", "a:1:2", "::1", "[::1", "[::1]x",
        "[::1]:8x", "[zz::1]", "[1:2:3:4:5:6:7:8:9]", "[::01.2.3.4]", "[]", "[fe80::1%25eth0]", "a/b", "a?b", "a#b", "a\\b",
        "a\"b", "<a>", "a{b}", "a|b", "a^b", "a`b", "a[b", "%zz.example", "a%4", "caf\xc3\xa9.example", "a\tb",
    };
    size_t i;
    char buf[256];
    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        tn_http_header h[NH];
        tn_http_request r;
        int rc;
        snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", good[i]);
        rc = parse_req_s(buf, &r, h);
        TN_CHECKF(rc > 0, "Host: %s: %s", good[i], tn_err_name(rc));
        TN_CHECK(r.flags & TN_HTTP_F_HOST);
    }
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tn_http_header h[NH];
        tn_http_request r;
        int rc;
        snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", bad[i]);
        rc = parse_req_s(buf, &r, h);
        TN_CHECKF(rc == TN_EBAD_HEADER_VALUE, "Host: %s: %s", bad[i], tn_err_name(rc));
        TN_EQ_INT(tn_http_error_status(rc), 400);
        snprintf(buf, sizeof buf, "GET / HTTP/1.0\r\nHost: %s\r\n\r\n", bad[i]);   /* 1.0 too */
        TN_CHECKF(parse_req_s(buf, &r, h) == TN_EBAD_HEADER_VALUE, "HTTP/1.0 Host: %s", bad[i]);
    }
    {   /* CONNECT's authority-form is checked the same way (and needs a port) */
        tn_http_header h[NH];
        tn_http_request r;
        TN_EQ_RC(parse_req_s("CONNECT u@a.example:443 HTTP/1.1\r\n\r\n", &r, h), TN_EBAD_TARGET);
        TN_EQ_RC(parse_req_s("CONNECT a.example:99999 HTTP/1.1\r\n\r\n", &r, h), TN_EBAD_TARGET);
        TN_EQ_RC(parse_req_s("CONNECT [::1:443 HTTP/1.1\r\n\r\n", &r, h), TN_EBAD_TARGET);
        TN_EQ_RC(parse_req_s("CONNECT a.example: HTTP/1.1\r\n\r\n", &r, h), TN_EBAD_TARGET);
        TN_EQ_RC(parse_req_s("CONNECT :443 HTTP/1.1\r\n\r\n", &r, h), TN_EBAD_TARGET);
        TN_CHECK(parse_req_s("CONNECT 10.0.0.1:443 HTTP/1.1\r\n\r\n", &r, h) > 0);
    }
}

/* The Host values of 8 bytes and more that the parser decides a word at a time (letters,
   digits, '-', '.'): every byte at every place of a 17-byte value, and at the ends of 8- and
   9-byte ones, gives what the full uri-host check gives for that value. */
TN_TEST(request_host_word_check) {
    static const size_t lens[] = {8, 9, 17};
    size_t li, k;
    int c;
    char host[32], buf[128];
    for (li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t n = lens[li];
        for (k = 0; k < n; k++) {
            if (n < 17 && k != 0 && k != n - 1) continue;
            for (c = 0x20; c < 0x100; c++) {
                tn_http_header h[NH];
                tn_http_request r;
                int rc, want;
                if (c == 0x7f || (c == ' ' && (k == 0 || k == n - 1))) continue;   /* not a value byte; trimmed */
                memcpy(host, "www.kittyhell.com", n);
                host[k] = (char)c;
                want = tn_url_parse_host_port(tn_str_make(host, n), NULL, NULL) == 0;
                snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: %.*s\r\n\r\n", (int)n, host);
                rc = parse_req_s(buf, &r, h);
                TN_CHECKF((rc > 0) == want && (want || rc == TN_EBAD_HEADER_VALUE), "Host byte %d at %lu of %lu: %s", c,
                          (unsigned long)k, (unsigned long)n, tn_err_name(rc));
            }
        }
    }
}

/* Host values with a port, which the parser decides without the full check when the host
   part is letters, digits, '-', '.': every byte at every place of the port and next to the
   ':' gives what the full uri-host check gives for that value. */
TN_TEST(request_host_port_check) {
    static const char *const bases[] = {"127.0.0.1:65535", "a:8", "www.kittyhell.com:443", ":80", "a.b:", "a:655350"};
    size_t bi, k;
    int c;
    char host[32], buf[128];
    for (bi = 0; bi < sizeof bases / sizeof bases[0]; bi++) {
        size_t n = strlen(bases[bi]), colon = (size_t)(strchr(bases[bi], ':') - bases[bi]);
        for (k = colon > 0 ? colon - 1 : 0; k < n; k++) {
            for (c = 0x21; c < 0x100; c++) {
                tn_http_header h[NH];
                tn_http_request r;
                int rc, want;
                if (c == 0x7f) continue;   /* not a value byte */
                memcpy(host, bases[bi], n);
                host[k] = (char)c;
                want = tn_url_parse_host_port(tn_str_make(host, n), NULL, NULL) == 0;
                snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: %.*s\r\n\r\n", (int)n, host);
                rc = parse_req_s(buf, &r, h);
                TN_CHECKF((rc > 0) == want && (want || rc == TN_EBAD_HEADER_VALUE), "Host %.*s: %s", (int)n, host,
                          tn_err_name(rc));
            }
        }
    }
    {   /* port values around the limit */
        static const char *const ports[] = {"65535", "65536", "99999", "00000", "0", "123456"};
        size_t pi;
        for (pi = 0; pi < sizeof ports / sizeof ports[0]; pi++) {
            tn_http_header h[NH];
            tn_http_request r;
            int rc, want, len = snprintf(host, sizeof host, "a.example:%s", ports[pi]);
            want = tn_url_parse_host_port(tn_str_make(host, (size_t)len), NULL, NULL) == 0;
            snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host);
            rc = parse_req_s(buf, &r, h);
            TN_CHECKF((rc > 0) == want, "Host %s: %s", host, tn_err_name(rc));
        }
    }
}

TN_TEST(request_prefixes_and_resume) {
    static const char *ok[] = {
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "\r\nPOST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
        "PUT /x HTTP/1.1\r\nTransfer-Encoding: gzip;q=\"a\\\"b\" , chunked\r\n\r\n",
        "OPTIONS * HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "GET /\xff HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nA: \t\r\nB:c\r\nC:   d  e   \r\n\r\n",
    };
    size_t i;
    TN_CHECK(check_req_prefixes(browser_req, strlen(browser_req)) > 0);
    for (i = 0; i < sizeof ok / sizeof ok[0]; i++) (void)check_req_prefixes(ok[i], strlen(ok[i]));
    TN_CHECK(check_req_prefixes(ok[0], strlen(ok[0])) > 0);
    TN_CHECK(check_req_prefixes(ok[1], strlen(ok[1])) > 0);
    TN_EQ_RC(check_req_prefixes(ok[2], strlen(ok[2])), TN_EUNSUPPORTED_TE);
}

TN_TEST(request_resume_moved_buffer) {
    /* a buffer that moves between calls restarts cleanly */
    tn_http_header h[NH];
    tn_http_request r;
    const char *s = "GET /x HTTP/1.1\r\nHost: a\r\nX-Long: 0123456789\r\n\r\n";
    char a[128], b[128];
    size_t n = strlen(s);
    memcpy(a, s, n);
    memcpy(b, s, n);
    req_init(&r, h);
    TN_EQ_RC(tn_http_parse_request(a, 30, &r), TN_EINCOMPLETE);
    TN_EQ_INT(tn_http_parse_request(b, n, &r), (int)n);
    TN_CHECK(r.target.ptr == b + 4);
    TN_CHECK(h[0].name.ptr == b + 17);
    TN_EQ_INT(r.num_headers, 2);
    /* after a complete parse, the same struct parses the next message at a new offset */
    memcpy(a, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n", 38);
    req_init(&r, h);
    TN_EQ_INT(tn_http_parse_request(a, 38, &r), 19);
    TN_EQ_INT(tn_http_parse_request(a + 19, 19, &r), 19);
    TN_EQ_TSTR(r.target, "/2");
}

TN_TEST(request_dribble_is_linear) {
    /* 60 KB of headers fed one byte at a time must not be quadratic */
    size_t n = 0, k;
    char *s = (char *)malloc(70000);
    tn_http_header h[NH];
    tn_http_request r;
    double t0;
    int rc = TN_EINCOMPLETE;
    n += (size_t)sprintf(s, "GET / HTTP/1.1\r\n");
    for (k = 0; k < 12; k++) {
        n += (size_t)sprintf(s + n, "X-%02d: ", (int)k);
        memset(s + n, 'v', 5000);
        n += 5000;
        memcpy(s + n, "\r\n", 2);
        n += 2;
    }
    memcpy(s + n, "\r\n", 2);
    n += 2;
    req_init(&r, h);
    t0 = tn_test_ms();
    for (k = 1; k <= n && rc == TN_EINCOMPLETE; k++) rc = tn_http_parse_request(s, k, &r);
    TN_EQ_INT(rc, (int)n);
    TN_EQ_INT(r.num_headers, 12);
    TN_CHECKF(tn_test_ms() - t0 < 2000, "dribbled parse took %.0f ms", tn_test_ms() - t0);
    /* the same for a 30 KB field name, a 30 KB method, an 8 KB target and a 30 KB reason */
    {
        static const char *const shapes[4] = {"GET / HTTP/1.1\r\n%s: v\r\n\r\n", "%s / HTTP/1.1\r\n\r\n",
                                              "GET /%s HTTP/1.1\r\n\r\n", "HTTP/1.1 200 %s\r\n\r\n"};
        int shape;
        char *fill = (char *)malloc(30001);
        for (shape = 0; shape < 4; shape++) {
            size_t fl = shape == 2 ? 8000 : 30000;
            tn_http_response rs;
            memset(fill, 'n', fl);
            fill[fl] = 0;
            n = (size_t)sprintf(s, shapes[shape], fill);
            req_init(&r, h);
            res_init(&rs, h);
            rc = TN_EINCOMPLETE;
            t0 = tn_test_ms();
            for (k = 1; k <= n && rc == TN_EINCOMPLETE; k++)
                rc = shape == 3 ? tn_http_parse_response(s, k, &rs) : tn_http_parse_request(s, k, &r);
            TN_EQ_INT(rc, (int)n);
            TN_CHECKF(tn_test_ms() - t0 < 2000, "dribbled shape %d took %.0f ms", shape, tn_test_ms() - t0);
        }
        free(fill);
    }
    free(s);
}

TN_TEST(response_basic) {
    tn_http_header h[NH];
    tn_http_response r;
    TN_EQ_INT(parse_res_s("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", &r, h), 38);
    TN_EQ_INT(r.status, 200);
    TN_EQ_TSTR(r.reason, "OK");
    TN_EQ_INT(r.version, 11);
    TN_EQ_INT(r.body_kind, TN_HTTP_BODY_LENGTH);
    TN_EQ_UINT(r.content_length, 5);
    TN_CHECK(tn_http_response_keep_alive(&r));
    TN_CHECK(parse_res_s("HTTP/1.1 404 Not\tFound \xe9\r\n\r\n", &r, h) > 0);
    TN_EQ_TSTR(r.reason, "Not\tFound \xe9");
    TN_CHECK(parse_res_s("HTTP/1.1 204\r\n\r\n", &r, h) > 0);
    TN_EQ_TSTR(r.reason, "");
    TN_CHECK(parse_res_s("HTTP/1.1 200 \r\n\r\n", &r, h) > 0);
    TN_EQ_INT(r.body_kind, TN_HTTP_BODY_UNTIL_CLOSE);
    TN_CHECK(!tn_http_response_keep_alive(&r));
    TN_CHECK(check_res_prefixes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX: y\r\n\r\n") > 0);
    TN_CHECK(check_res_prefixes("HTTP/1.0 301 Moved Permanently\r\nLocation: /x\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n") > 0);
    TN_EQ_RC(parse_res_s("HTTP/1.1 099 X\r\n\r\n", &r, h), TN_EBAD_STATUS);
    TN_EQ_RC(parse_res_s("HTTP/1.1 20 X\r\n\r\n", &r, h), TN_EBAD_STATUS);
    TN_EQ_RC(parse_res_s("HTTP/1.1 2000 X\r\n\r\n", &r, h), TN_EBAD_STATUS);
    TN_EQ_RC(parse_res_s("HTTP/1.1  200 X\r\n\r\n", &r, h), TN_EBAD_STATUS);
    TN_EQ_RC(parse_res_s("HTTP/1.1\t200 X\r\n\r\n", &r, h), TN_EBAD_VERSION);
    TN_EQ_RC(parse_res_s("HTTP/2.0 200 X\r\n\r\n", &r, h), TN_EBAD_VERSION);
    TN_EQ_RC(parse_res_s("HTTP/1.1 200 X\x01\r\n\r\n", &r, h), TN_EBAD_STATUS);
    TN_EQ_RC(parse_res_s("HTTP/1.1 200 X\nA: b\r\n\r\n", &r, h), TN_EPARSE);
    TN_EQ_RC(parse_res_s("HTTP/1.1 200 X\r\nA: b\r\n c\r\n\r\n", &r, h), TN_EBAD_HEADER_VALUE);
    TN_EQ_RC(parse_res_s("HTTP/1.1 200 X\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", &r, h), TN_EBAD_TRANSFER_ENCODING);
}

typedef struct err_case {
    const char *in;
    int rc;
    size_t len;
} err_case;
#define E(s, rc) { s, rc, sizeof(s) - 1 }

/* Each error code a request can produce (one or more inputs each). */
static const err_case request_errors[] = {
    E("G@T / HTTP/1.1\r\n\r\n", TN_EBAD_METHOD),
    E(" GET / HTTP/1.1\r\n\r\n", TN_EBAD_METHOD),
    E("GET\t/ HTTP/1.1\r\n\r\n", TN_EBAD_METHOD),
    E("GET  / HTTP/1.1\r\n\r\n", TN_EBAD_TARGET),
    E("GET /a\x01 HTTP/1.1\r\n\r\n", TN_EBAD_TARGET),
    E("GET /foo bar HTTP/1.1\r\n\r\n", TN_EBAD_VERSION),
    E("GET / HTTP/1.1 \r\n\r\n", TN_EBAD_VERSION),
    E("GET / HTTP/2.0\r\n\r\n", TN_EBAD_VERSION),
    E("GET / HTTP/0.9\r\n\r\n", TN_EBAD_VERSION),
    E("GET / HTTP/1.x\r\n\r\n", TN_EBAD_VERSION),
    E("GET / HTTP/1.10\r\n\r\n", TN_EBAD_VERSION),
    E("GET / http/1.1\r\n\r\n", TN_EBAD_VERSION),
    E("GET / RTSP/1.0\r\n\r\n", TN_EBAD_VERSION),
    E("GET /\r\n\r\n", TN_EBAD_VERSION),
    E("GET / HTTP/1.1\n\n", TN_EPARSE),
    E("GET / HTTP/1.1\r\r\n", TN_EPARSE),
    E("\nGET / HTTP/1.1\r\n\r\n", TN_EPARSE),
    E("\rGET / HTTP/1.1\r\n\r\n", TN_EPARSE),
    E("GET / HTTP/1.1\r\nA: b\n\r\n", TN_EPARSE),
    E("GET / HTTP/1.1\r\nA: b\r\n\n", TN_EPARSE),
    E("GET / HTTP/1.1\r\nA: b\r\n\r\r", TN_EPARSE),
    E("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("GET / HTTP/1.1\r\nA: b\x00" "c\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("GET / HTTP/1.1\r\nA: b\x0b\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("GET / HTTP/1.1\r\n A: b\r\n\r\n", TN_EBAD_HEADER_NAME),
    E("GET / HTTP/1.1\r\nA : b\r\n\r\n", TN_EBAD_HEADER_NAME),
    E("GET / HTTP/1.1\r\nA\t: b\r\n\r\n", TN_EBAD_HEADER_NAME),
    E("GET / HTTP/1.1\r\n: b\r\n\r\n", TN_EBAD_HEADER_NAME),
    E("GET / HTTP/1.1\r\nA(b: c\r\n\r\n", TN_EBAD_HEADER_NAME),
    E("GET / HTTP/1.1\r\nA\x00: c\r\n\r\n", TN_EBAD_HEADER_NAME),
    E("GET / HTTP/1.1\r\nAbc\r\n\r\n", TN_EBAD_HEADER_NAME),
    E("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n", TN_EBAD_CONTENT_LENGTH),
    E("GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", TN_EBAD_TRANSFER_ENCODING),
    E("GET / HTTP/1.1\r\nTransfer-Encoding: deflate, chunked\r\n\r\n", TN_EUNSUPPORTED_TE),
};

TN_TEST(request_errors) {
    size_t i;
    for (i = 0; i < sizeof request_errors / sizeof request_errors[0]; i++) {
        tn_http_header h[NH];
        tn_http_request r;
        const char *s = request_errors[i].in;
        int rc = parse_req(s, request_errors[i].len, &r, h);
        TN_CHECKF(rc == request_errors[i].rc, "case %lu %s: got %s want %s", (unsigned long)i, s, tn_err_name(rc),
                  tn_err_name(request_errors[i].rc));
        TN_CHECK(tn_http_error_status(rc) >= 400);
    }
}

TN_TEST(nul_bytes) {
    /* NUL inside a value, name and target (string literals above stop at NUL, so explicit) */
    static const char v[] = "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n";
    static const char n[] = "GET / HTTP/1.1\r\nA\0: c\r\n\r\n";
    static const char t[] = "GET /\0 HTTP/1.1\r\n\r\n";
    static const char m[] = "G\0T / HTTP/1.1\r\n\r\n";
    tn_http_header h[NH];
    tn_http_request r;
    TN_EQ_RC(parse_req(v, sizeof v - 1, &r, h), TN_EBAD_HEADER_VALUE);
    TN_EQ_RC(parse_req(n, sizeof n - 1, &r, h), TN_EBAD_HEADER_NAME);
    TN_EQ_RC(parse_req(t, sizeof t - 1, &r, h), TN_EBAD_TARGET);
    TN_EQ_RC(parse_req(m, sizeof m - 1, &r, h), TN_EBAD_METHOD);
}

TN_TEST(limits) {
    tn_http_header h[NH];
    tn_http_request r;
    char *s = (char *)malloc(80000);
    size_t n;
    int rc;
    /* header count: capacity 2 */
    req_init(&r, h);
    r.max_headers = 2;
    TN_CHECK(tn_http_parse_request("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", 30, &r) == 30);
    req_init(&r, h);
    r.max_headers = 2;
    TN_EQ_RC(tn_http_parse_request("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 36, &r), TN_ETOO_MANY_HEADERS);
    memset(&r, 0, sizeof r);   /* no header array: any field is too many */
    TN_EQ_RC(tn_http_parse_request("GET / HTTP/1.1\r\nA: 1\r\n\r\n", 24, &r), TN_ETOO_MANY_HEADERS);
    TN_EQ_INT(tn_http_error_status(TN_ETOO_MANY_HEADERS), 431);
    /* header bytes: exactly at the limit passes, one more fails, also while incomplete */
    strcpy(s, "GET / HTTP/1.1\r\nA: 12345\r\n\r\n");
    n = strlen(s);
    req_init(&r, h);
    r.max_header_bytes = n;
    TN_EQ_INT(tn_http_parse_request(s, n, &r), (int)n);
    req_init(&r, h);
    r.max_header_bytes = n - 1;
    TN_EQ_RC(tn_http_parse_request(s, n, &r), TN_EHEADER_TOO_LARGE);
    req_init(&r, h);
    r.max_header_bytes = 20;
    TN_EQ_RC(tn_http_parse_request(s, 21, &r), TN_EHEADER_TOO_LARGE);   /* incomplete but over */
    req_init(&r, h);
    r.max_header_bytes = 20;
    TN_EQ_RC(tn_http_parse_request(s, 20, &r), TN_EINCOMPLETE);
    TN_EQ_RC(tn_http_parse_request(s, 22, &r), TN_EHEADER_TOO_LARGE);     /* resumed */
    /* default limit 64 KiB */
    n = (size_t)sprintf(s, "GET / HTTP/1.1\r\nX: ");
    memset(s + n, 'a', 70000);
    req_init(&r, h);
    TN_EQ_RC(tn_http_parse_request(guarded(s, n + 70000), n + 70000, &r), TN_EHEADER_TOO_LARGE);
    TN_EQ_INT(tn_http_error_status(TN_EHEADER_TOO_LARGE), 431);
    /* target length */
    n = (size_t)sprintf(s, "GET /");
    memset(s + n, 'a', 9000);
    memcpy(s + n + 9000, " HTTP/1.1\r\n\r\n", 13);
    req_init(&r, h);
    TN_EQ_RC(tn_http_parse_request(s, n + 9013, &r), TN_EURI_TOO_LONG);
    req_init(&r, h);
    TN_EQ_RC(tn_http_parse_request(s, n + 8300, &r), TN_EURI_TOO_LONG);   /* detected while incomplete */
    req_init(&r, h);
    r.max_target_length = 9001;
    TN_EQ_INT(tn_http_parse_request(s, n + 9013, &r), (int)(n + 9013));
    req_init(&r, h);
    r.max_target_length = 9000;
    TN_EQ_RC(tn_http_parse_request(s, n + 9013, &r), TN_EURI_TOO_LONG);
    TN_EQ_INT(tn_http_error_status(TN_EURI_TOO_LONG), 414);
    /* response header limit */
    {
        tn_http_response rs;
        res_init(&rs, h);
        rs.max_header_bytes = 10;
        rc = tn_http_parse_response("HTTP/1.1 200 OK\r\n\r\n", 19, &rs);
        TN_EQ_RC(rc, TN_EHEADER_TOO_LARGE);
        res_init(&rs, h);
        rs.max_headers = 1;
        TN_EQ_RC(tn_http_parse_response("HTTP/1.1 200 OK\r\nA: b\r\nC: d\r\n\r\n", 31, &rs), TN_ETOO_MANY_HEADERS);
    }
    free(s);
}

TN_TEST(error_status_map) {
    TN_EQ_INT(tn_http_error_status(TN_OK), 0);
    TN_EQ_INT(tn_http_error_status(TN_EINCOMPLETE), 0);
    TN_EQ_INT(tn_http_error_status(17), 0);
    TN_EQ_INT(tn_http_error_status(TN_EBAD_METHOD), 400);
    TN_EQ_INT(tn_http_error_status(TN_EBAD_CHUNK), 400);
    TN_EQ_INT(tn_http_error_status(TN_EBAD_TRANSFER_ENCODING), 400);
    TN_EQ_INT(tn_http_error_status(TN_EUNSUPPORTED_TE), 501);
    TN_EQ_INT(tn_http_error_status(TN_EBODY_TOO_LARGE), 413);
    TN_EQ_INT(tn_http_error_status(TN_EURI_TOO_LONG), 414);
    TN_EQ_INT(tn_http_error_status(TN_EHEADER_TOO_LARGE), 431);
    TN_EQ_INT(tn_http_error_status(TN_ETOO_MANY_HEADERS), 431);
}

/* ---- request smuggling: ambiguous framing from the public literature, each rejected ---- */
static const err_case smuggling[] = {
    /* CL.TE / TE.CL: both headers */
    E("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG", TN_EBAD_TRANSFER_ENCODING),
    E("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n", TN_EBAD_TRANSFER_ENCODING),
    E("POST / HTTP/1.1\r\nContent-Length: 0\r\nTransfer-Encoding: identity\r\n\r\n", TN_EBAD_TRANSFER_ENCODING),
    /* TE.TE obfuscations */
    E("POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n", TN_EBAD_TRANSFER_ENCODING),
    E("POST / HTTP/1.1\r\nTransfer-Encoding: chunkedx\r\n\r\n", TN_EBAD_TRANSFER_ENCODING),
    E("POST / HTTP/1.1\r\nTransfer-Encoding : chunked\r\n\r\n", TN_EBAD_HEADER_NAME),
    E("POST / HTTP/1.1\r\nTransfer-Encoding\t: chunked\r\n\r\n", TN_EBAD_HEADER_NAME),
    E("POST / HTTP/1.1\r\n Transfer-Encoding: chunked\r\n\r\n", TN_EBAD_HEADER_NAME),
    E("POST / HTTP/1.1\r\nX: y\r\n Transfer-Encoding: chunked\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("POST / HTTP/1.1\r\nTransfer-Encoding:\r\n chunked\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n", TN_EBAD_TRANSFER_ENCODING),
    E("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n", TN_EBAD_TRANSFER_ENCODING),
    E("POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", TN_EBAD_TRANSFER_ENCODING),
    E("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", TN_EBAD_TRANSFER_ENCODING),
    E("POST / HTTP/1.1\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", TN_EBAD_TRANSFER_ENCODING),
    E("POST / HTTP/1.1\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", TN_EBAD_TRANSFER_ENCODING),
    E("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\x0b\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\x0c\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("POST / HTTP/1.1\r\nTransfer-Encoding: ch\x00unked\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\rX: y\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\nX: y\r\n\r\n", TN_EPARSE),
    E("POST / HTTP/1.1\r\nX: y\nTransfer-Encoding: chunked\r\n\r\n", TN_EPARSE),
    E("POST / HTTP/1.1\r\nTransfer-Encoding: ,\r\n\r\n", TN_EBAD_TRANSFER_ENCODING),
    E("POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n", TN_EBAD_TRANSFER_ENCODING),
    E("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", TN_EBAD_TRANSFER_ENCODING),
    E("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", TN_EUNSUPPORTED_TE),
    E("POST / HTTP/1.1\r\nTransfer-Encoding: x-custom, chunked\r\n\r\n", TN_EUNSUPPORTED_TE),
    /* Content-Length tricks */
    E("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", TN_EBAD_CONTENT_LENGTH),
    E("POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n", TN_EBAD_CONTENT_LENGTH),
    E("POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", TN_EBAD_CONTENT_LENGTH),
    E("POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", TN_EBAD_CONTENT_LENGTH),
    E("POST / HTTP/1.1\r\nContent-Length: 5 5\r\n\r\n", TN_EBAD_CONTENT_LENGTH),
    E("POST / HTTP/1.1\r\nContent-Length: 0x5\r\n\r\n", TN_EBAD_CONTENT_LENGTH),
    E("POST / HTTP/1.1\r\nContent-Length: 5.0\r\n\r\n", TN_EBAD_CONTENT_LENGTH),
    E("POST / HTTP/1.1\r\nContent-Length: 1e3\r\n\r\n", TN_EBAD_CONTENT_LENGTH),
    E("POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", TN_EBAD_CONTENT_LENGTH),
    E("POST / HTTP/1.1\r\nContent-Length: 5,\r\n\r\n", TN_EBAD_CONTENT_LENGTH),
    E("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", TN_EBAD_CONTENT_LENGTH),
    E("POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n", TN_EBAD_CONTENT_LENGTH),
    E("POST / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n", TN_EBAD_CONTENT_LENGTH),
    E("POST / HTTP/1.1\r\nContent-Length : 5\r\n\r\n", TN_EBAD_HEADER_NAME),
    E("POST / HTTP/1.1\r\nContent-Length: 5\r\n Content-Length: 6\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("POST / HTTP/1.1\r\nContent-Length: 5\rContent-Length: 6\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("POST / HTTP/1.1\r\nContent-Length: \"5\"\r\n\r\n", TN_EBAD_CONTENT_LENGTH),
    /* request line / header block tricks */
    E("GET / HTTP/1.1\r\nHost: a\r\n\rGET /admin HTTP/1.1\r\n\r\n", TN_EPARSE),
    E("GET / HTTP/1.1\nHost: a\r\n\r\n", TN_EPARSE),
    E("GET /a\rb HTTP/1.1\r\n\r\n", TN_EBAD_VERSION),
    E("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("GET /\x00 HTTP/1.1\r\n\r\n", TN_EBAD_TARGET),
};

TN_TEST(smuggling_suite) {
    size_t i, count = sizeof smuggling / sizeof smuggling[0];
    TN_CHECK(count >= 40);
    for (i = 0; i < count; i++) {
        tn_http_header h[NH];
        tn_http_request r;
        int rc = parse_req(smuggling[i].in, smuggling[i].len, &r, h);
        TN_CHECKF(rc == smuggling[i].rc, "smuggling case %lu: got %s want %s", (unsigned long)i, tn_err_name(rc),
                  tn_err_name(smuggling[i].rc));
    }
}

TN_TEST(framing_requests) {
    tn_http_header h[NH];
    tn_http_request r;
    TN_CHECK(parse_req_s("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n", &r, h) > 0);
    TN_EQ_INT(r.body_kind, TN_HTTP_BODY_LENGTH);
    TN_EQ_UINT(r.content_length, 10);
    TN_CHECK(parse_req_s("POST / HTTP/1.1\r\nContent-Length: 7, 7\r\nContent-Length: 007\r\n\r\n", &r, h) > 0);
    TN_EQ_UINT(r.content_length, 7);
    TN_CHECK(parse_req_s("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", &r, h) > 0);
    TN_EQ_INT(r.body_kind, TN_HTTP_BODY_NONE);
    TN_CHECK(r.flags & TN_HTTP_F_CONTENT_LENGTH);
    TN_CHECK(parse_req_s("POST / HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\n", &r, h) > 0);
    TN_CHECK(parse_req_s("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n", &r, h) > 0);
    TN_EQ_INT(r.body_kind, TN_HTTP_BODY_CHUNKED);
    TN_CHECK(r.flags & TN_HTTP_F_CHUNKED);
    TN_CHECK(parse_req_s("GET / HTTP/1.1\r\n\r\n", &r, h) > 0);
    TN_EQ_INT(r.body_kind, TN_HTTP_BODY_NONE);
    TN_CHECK(!(r.flags & TN_HTTP_F_HOST));
    /* keep-alive */
    TN_CHECK(parse_req_s("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &r, h) > 0);
    TN_CHECK(!tn_http_request_keep_alive(&r));
    TN_CHECK(parse_req_s("GET / HTTP/1.1\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", &r, h) > 0);
    TN_CHECK(!tn_http_request_keep_alive(&r));
    TN_CHECK(parse_req_s("GET / HTTP/1.1\r\nConnection: foo\r\nConnection: ,, Close ,\r\n\r\n", &r, h) > 0);
    TN_CHECK(!tn_http_request_keep_alive(&r));
    TN_CHECK(parse_req_s("GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", &r, h) > 0);
    TN_CHECK(tn_http_request_keep_alive(&r));
    TN_CHECK(parse_req_s("GET / HTTP/1.0\r\n\r\n", &r, h) > 0);
    TN_CHECK(!tn_http_request_keep_alive(&r));
    TN_CHECK(parse_req_s("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r, h) > 0);
    TN_CHECK(tn_http_request_keep_alive(&r));
    /* upgrade */
    TN_CHECK(parse_req_s("GET /ws HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n", &r, h) > 0);
    TN_CHECK(r.flags & TN_HTTP_F_UPGRADE);
    TN_CHECK(parse_req_s("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n\r\n", &r, h) > 0);
    TN_CHECK(!(r.flags & TN_HTTP_F_UPGRADE));
    TN_CHECK(parse_req_s("GET /ws HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", &r, h) > 0);
    TN_CHECK(!(r.flags & TN_HTTP_F_UPGRADE));   /* RFC 9110 §7.8: ignored in HTTP/1.0 */
    /* 100-continue */
    TN_CHECK(parse_req_s("PUT / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n", &r, h) > 0);
    TN_CHECK(r.flags & TN_HTTP_F_EXPECT_CONTINUE);
    TN_CHECK(parse_req_s("PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n", &r, h) > 0);
    TN_CHECK(!(r.flags & TN_HTTP_F_EXPECT_CONTINUE));
    TN_CHECK(parse_req_s("PUT / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", &r, h) > 0);
    TN_CHECK(!(r.flags & TN_HTTP_F_EXPECT_CONTINUE));
}

TN_TEST(framing_responses) {
    tn_http_header h[NH];
    tn_http_response r;
    uint64_t n = 99;
    TN_CHECK(parse_res_s("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", &r, h) > 0);
    TN_EQ_INT(tn_http_response_body(&r, tn_str_c("GET"), &n), TN_HTTP_BODY_LENGTH);
    TN_EQ_UINT(n, 12);
    TN_EQ_INT(tn_http_response_body(&r, tn_str_c("HEAD"), &n), TN_HTTP_BODY_NONE);
    TN_EQ_UINT(n, 0);
    res_init(&r, h);
    r.request_method = tn_str_c("HEAD");
    TN_CHECK(tn_http_parse_response("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", 39, &r) > 0);
    TN_EQ_INT(r.body_kind, TN_HTTP_BODY_NONE);
    TN_CHECK(tn_http_response_keep_alive(&r));
    TN_CHECK(parse_res_s("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", &r, h) > 0);
    TN_EQ_INT(r.body_kind, TN_HTTP_BODY_NONE);
    TN_CHECK(parse_res_s("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", &r, h) > 0);
    TN_EQ_INT(r.body_kind, TN_HTTP_BODY_NONE);
    TN_CHECK(parse_res_s("HTTP/1.1 100 Continue\r\n\r\n", &r, h) > 0);
    TN_EQ_INT(r.body_kind, TN_HTTP_BODY_NONE);
    TN_CHECK(parse_res_s("HTTP/1.1 101 Switching Protocols\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n", &r, h) > 0);
    TN_CHECK(r.flags & TN_HTTP_F_UPGRADE);
    TN_EQ_INT(r.body_kind, TN_HTTP_BODY_NONE);
    res_init(&r, h);
    r.request_method = tn_str_c("CONNECT");
    TN_CHECK(tn_http_parse_response("HTTP/1.1 200 OK\r\n\r\n", 19, &r) > 0);
    TN_CHECK(r.flags & TN_HTTP_F_UPGRADE);
    TN_EQ_INT(r.body_kind, TN_HTTP_BODY_NONE);
    TN_CHECK(parse_res_s("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", &r, h) > 0);
    TN_EQ_INT(r.body_kind, TN_HTTP_BODY_CHUNKED);
    TN_CHECK(parse_res_s("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", &r, h) > 0);
    TN_EQ_INT(r.body_kind, TN_HTTP_BODY_UNTIL_CLOSE);
    TN_CHECK(!tn_http_response_keep_alive(&r));
    TN_CHECK(parse_res_s("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n", &r, h) > 0);
    TN_CHECK(!tn_http_response_keep_alive(&r));
    TN_CHECK(parse_res_s("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n", &r, h) > 0);
    TN_CHECK(tn_http_response_keep_alive(&r));
    TN_CHECK(parse_res_s("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n", &r, h) > 0);
    TN_CHECK(!tn_http_response_keep_alive(&r));
    TN_EQ_RC(parse_res_s("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", &r, h), TN_EBAD_TRANSFER_ENCODING);
    TN_EQ_RC(parse_res_s("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", &r, h), TN_EBAD_CONTENT_LENGTH);
    TN_EQ_RC(parse_res_s("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", &r, h), TN_EUNSUPPORTED_TE);
}

/* ---- chunked ---- */

/* Decode s whole, then again fed in two pieces split at every byte; all must give body
   `want` and leave `rest` after the body. */
static void check_chunked(const char *s, const char *want, const char *rest) {
    size_t n = strlen(s), split, wl = strlen(want), rl = strlen(rest);
    char *buf = (char *)malloc(n + 1), out[4096];
    for (split = 0; split <= n; split++) {
        tn_http_chunked d;
        size_t got = 0, len;
        int rc;
        memset(&d, 0, sizeof d);
        memcpy(buf, s, n);
        len = split;
        rc = tn_http_decode_chunked(&d, buf, &len);
        TN_CHECKF(split == n || rc == TN_EINCOMPLETE || rc >= 0, "split %lu: %s", (unsigned long)split, tn_err_name(rc));
        memcpy(out, buf, len);
        got = len;
        if (rc == TN_EINCOMPLETE) {
            len = n - split;
            memmove(buf, s + split, len);
            rc = tn_http_decode_chunked(&d, buf, &len);
            memcpy(out + got, buf, len);
            got += len;
            TN_CHECKF(rc >= 0, "split %lu second: %s", (unsigned long)split, tn_err_name(rc));
            TN_EQ_INT(rc, (int)rl);
            TN_EQ_MEM(buf + len, rest, rl);
        } else {
            /* complete within the first piece: rc bytes of `rest` follow, the others were not fed */
            TN_CHECK(rc >= 0);
            TN_EQ_INT((size_t)rc + (n - split), rl);
            TN_EQ_MEM(buf + len, rest, (size_t)rc);
        }
        TN_EQ_INT(got, wl);
        TN_EQ_MEM(out, want, wl);
        TN_EQ_UINT(d.body_bytes, wl);
    }
    free(buf);
}

static int chunked_rc(const char *s, size_t n, uint64_t max_body) {
    tn_http_chunked d;
    char *buf = guarded(s, n);
    size_t len = n;
    memset(&d, 0, sizeof d);
    d.max_body_bytes = max_body;
    return tn_http_decode_chunked(&d, buf, &len);
}

TN_TEST(chunked_decode) {
    check_chunked("5\r\nhello\r\n0\r\n\r\n", "hello", "");
    check_chunked("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT", "hello world", "NEXT");
    check_chunked("A;name=val;x=\"q\\\"s; \"\r\n0123456789\r\n000\r\nTrailer: v\r\nT2:\r\n\r\nGET", "0123456789", "GET");
    check_chunked("00001\r\nx\r\n0\r\n\r\n", "x", "");
    check_chunked("0\r\n\r\n", "", "");
    /* RFC 9112 §7.1.1: chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ), BWS = *( SP / HTAB ) */
    check_chunked("6 ; name=value\r\nhello!\r\n0\r\n\r\n", "hello!", "");
    check_chunked("6;name = value\r\nhello!\r\n0\r\n\r\n", "hello!", "");
    check_chunked("6\t;\tname\t=\t\"v a\"\t ;  b ;c= d\r\nhello!\r\n0 ; last\r\n\r\n", "hello!", "");
    {
        tn_http_chunked d;
        char buf[64];
        size_t len;
        memset(&d, 0, sizeof d);
        strcpy(buf, "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
        len = strlen(buf);
        TN_EQ_INT(tn_http_decode_chunked(&d, buf, &len), 0);
        TN_EQ_INT(len, 5);
        TN_EQ_UINT(d.num_chunks, 2);
        len = 3;   /* after completion, everything is "after the body" */
        TN_EQ_INT(tn_http_decode_chunked(&d, buf, &len), 3);
    }
}

/* Every byte in every chunk-extension state: accepted (more input wanted) or TN_EBAD_CHUNK
   right away, as RFC 9112 §7.1.1 (BWS, token, quoted-string with quoted-pair) says. */
TN_TEST(chunked_extension_every_byte) {
    static const struct { const char *prefix; const char *state; } st[] = {
        {"5;", "name0"}, {"5;a", "name"}, {"5;a ", "eq"}, {"5;a=", "val0"}, {"5;a=b", "val"},
        {"5;a=\"", "quoted"}, {"5;a=\"\\", "qesc"}, {"5;a=\"b\"", "valend"}, {"5 ", "semi"},
    };
    size_t i;
    int c;
    for (i = 0; i < sizeof st / sizeof st[0]; i++) {
        for (c = 0; c < 256; c++) {
            tn_http_chunked d;
            char buf[16], one = (char)c;
            size_t len = strlen(st[i].prefix);
            int ws = c == ' ' || c == '\t', tok = tn_http_is_token(tn_str_make(&one, 1)), qd = c == '\t' || (c >= 0x20 && c != 0x7f);
            int ok, rc;
            const char *s = st[i].state;
            if (!strcmp(s, "name0")) ok = ws || tok;
            else if (!strcmp(s, "name")) ok = tok || ws || c == '=' || c == ';' || c == '\r';
            else if (!strcmp(s, "eq")) ok = ws || c == '=' || c == ';';
            else if (!strcmp(s, "val0")) ok = ws || tok || c == '"';
            else if (!strcmp(s, "val")) ok = tok || ws || c == ';' || c == '\r';
            else if (!strcmp(s, "quoted") || !strcmp(s, "qesc")) ok = qd;
            else if (!strcmp(s, "valend")) ok = ws || c == ';' || c == '\r';
            else ok = ws || c == ';';
            memcpy(buf, st[i].prefix, len);
            buf[len++] = one;
            memset(&d, 0, sizeof d);
            rc = tn_http_decode_chunked(&d, buf, &len);
            TN_CHECKF(rc == (ok ? TN_EINCOMPLETE : TN_EBAD_CHUNK), "state %s byte 0x%02x: %s", s, c, tn_err_name(rc));
        }
    }
}

/* tn_url_parse_host_port's results, host and port: a size-optimized build (the _small
   variant of these tests) takes the general path for the values an -O2 build's fast path
   decides, and both must agree with these. */
TN_TEST(host_port_values) {
    static const struct { const char *in; int rc; const char *host; int port; } v[] = {
        {"example.com", TN_OK, "example.com", -1}, {"example.com:8080", TN_OK, "example.com", 8080},
        {"h:", TN_OK, "h", -1}, {":", TN_OK, "", -1}, {"", TN_OK, "", -1}, {":80", TN_OK, "", 80},
        {"a-b.c_d~e!$&'()*+,;=:65535", TN_OK, "a-b.c_d~e!$&'()*+,;=", 65535},
        {"h:065535", TN_OK, "h", 65535}, {"h:0000080", TN_OK, "h", 80}, {"h:0", TN_OK, "h", 0},
        {"h:65536", TN_EBAD_URL, NULL, 0}, {"h:1a", TN_EBAD_URL, NULL, 0}, {"h:-1", TN_EBAD_URL, NULL, 0},
        {"a:b:c", TN_EBAD_URL, NULL, 0}, {"a b", TN_EBAD_URL, NULL, 0}, {"a\xc3\xa4", TN_EBAD_URL, NULL, 0},
        {"%41b", TN_OK, "%41b", -1}, {"%4", TN_EBAD_URL, NULL, 0}, {"a/b", TN_EBAD_URL, NULL, 0},
        {"[::1]:8", TN_OK, "::1", 8}, {"[::1]", TN_OK, "::1", -1}, {"[::1]x", TN_EBAD_URL, NULL, 0},
        {"[fe80::1%25eth0]", TN_EBAD_URL, NULL, 0}, {"[1.2.3.4]", TN_EBAD_URL, NULL, 0},
        {"www.kittyhell.com", TN_OK, "www.kittyhell.com", -1}, {"www.kittyhell.com:443", TN_OK, "www.kittyhell.com", 443},
    };
    size_t i;
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        tn_str h;
        int port = -2, rc = tn_url_parse_host_port(tn_str_c(v[i].in), &h, &port);
        TN_CHECKF(rc == v[i].rc, "%s: %s", v[i].in, tn_err_name(rc));
        if (rc == TN_OK && v[i].rc == TN_OK)
            TN_CHECKF(tn_str_eq_c(h, v[i].host) && port == v[i].port, "%s: host %.*s port %d", v[i].in, (int)h.len, h.ptr,
                      port);
    }
}

static const err_case chunked_errors[] = {
    E("0x5\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("+5\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("-5\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E(" 5\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5 \r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),       /* BWS only before ';' or '=' */
    E("5;a \r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5;a=b \r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5;a=\"b\" \r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5 ; \r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5;a = \r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5 ;a\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),       /* bare LF */
    E("5 ;a\rb\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK), /* bare CR */
    E("5 \r;a\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5; a b\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5 ;a@b\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),   /* not a token */
    E("5 ;a=b@\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5 \v;a\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),   /* only SP and HTAB are BWS */
    E(" 5;a\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5;\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5;a=\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5;a=\"x\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5;a=b c\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5;a\x01\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5\rhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5\r\nhelloX\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5\r\nhello\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("5\r\nhello\r0\r\n\r\n", TN_EBAD_CHUNK),
    E("\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("g\r\nhello\r\n0\r\n\r\n", TN_EBAD_CHUNK),
    E("10000000000000000\r\n", TN_EBAD_CHUNK),
    E("fffffffffffffffff\r\n", TN_EBAD_CHUNK),
    E("0\r\n\n", TN_EBAD_CHUNK),
    E("0\r\n\r\r", TN_EBAD_CHUNK),
    E("0\r\nX: y\n\r\n", TN_EBAD_HEADER_VALUE),
    E("0\r\nX y\r\n\r\n", TN_EBAD_HEADER_NAME),
    E("0\r\n X: y\r\n\r\n", TN_EBAD_HEADER_NAME),
    E("0\r\nX: a\x01\r\n\r\n", TN_EBAD_HEADER_VALUE),
    E("ffffffffffffffff\r\n", TN_EBODY_TOO_LARGE),
};

TN_TEST(chunked_errors_and_limits) {
    size_t i;
    char *big = (char *)malloc(20000);
    tn_http_chunked d;
    size_t len;
    for (i = 0; i < sizeof chunked_errors / sizeof chunked_errors[0]; i++) {
        int rc = chunked_rc(chunked_errors[i].in, chunked_errors[i].len, 0);
        TN_CHECKF(rc == chunked_errors[i].rc, "chunked case %lu: got %s want %s", (unsigned long)i, tn_err_name(rc),
                  tn_err_name(chunked_errors[i].rc));
    }
    /* body limit: exactly at the limit passes, over it fails (across chunks too) */
    TN_EQ_INT(chunked_rc("5\r\nhello\r\n0\r\n\r\n", 15, 5), 0);
    TN_EQ_RC(chunked_rc("5\r\nhello\r\n1\r\nx\r\n0\r\n\r\n", 20, 5), TN_EBODY_TOO_LARGE);
    TN_EQ_RC(chunked_rc("6\r\nhello!\r\n0\r\n\r\n", 16, 5), TN_EBODY_TOO_LARGE);
    /* chunk line limit */
    memset(&d, 0, sizeof d);
    d.max_chunk_line = 10;
    strcpy(big, "5;abcdef\r\nhello\r\n0\r\n\r\n");
    len = strlen(big);
    TN_EQ_INT(tn_http_decode_chunked(&d, big, &len), 0);
    memset(&d, 0, sizeof d);
    d.max_chunk_line = 10;
    strcpy(big, "5;abcdefg\r\nhello\r\n0\r\n\r\n");
    len = strlen(big);
    TN_EQ_RC(tn_http_decode_chunked(&d, big, &len), TN_EBAD_CHUNK);
    memset(&d, 0, sizeof d);   /* default line limit 4096 */
    memset(big, '0', 5000);
    len = 5000;
    TN_EQ_RC(tn_http_decode_chunked(&d, big, &len), TN_EBAD_CHUNK);
    /* trailer limit */
    memset(&d, 0, sizeof d);
    d.max_trailer_bytes = 10;   /* "A: 1234\r\n\r\n" is 11 bytes */
    strcpy(big, "0\r\nA: 1234\r\n\r\n");
    len = strlen(big);
    TN_EQ_RC(tn_http_decode_chunked(&d, big, &len), TN_EHEADER_TOO_LARGE);
    memset(&d, 0, sizeof d);
    d.max_trailer_bytes = 11;
    len = strlen(big);
    TN_EQ_INT(tn_http_decode_chunked(&d, big, &len), 0);
    /* errors are sticky */
    memset(&d, 0, sizeof d);
    strcpy(big, "z");
    len = 1;
    TN_EQ_RC(tn_http_decode_chunked(&d, big, &len), TN_EBAD_CHUNK);
    strcpy(big, "0\r\n\r\n");
    len = 5;
    TN_EQ_RC(tn_http_decode_chunked(&d, big, &len), TN_EBAD_CHUNK);
    free(big);
}

TN_TEST(chunked_encode_roundtrip) {
    char out[256], body[300];
    tn_http_header tr[2];
    tn_http_chunked d;
    size_t len = 0, pos = 0;
    int n;
    TN_EQ_INT(tn_http_format_chunk_header(out, sizeof out, 1), 3);
    TN_EQ_MEM(out, "1\r\n", 3);
    TN_EQ_INT(tn_http_format_chunk_header(out, sizeof out, 0xabcdef), 8);
    TN_EQ_MEM(out, "abcdef\r\n", 8);
    TN_EQ_INT(tn_http_format_chunk_header(out, sizeof out, UINT64_MAX), 18);
    TN_EQ_RC(tn_http_format_chunk_header(out, sizeof out, 0), TN_EINVAL);
    TN_EQ_RC(tn_http_format_chunk_header(out, 4, 0x1000), TN_EBUFFER_FULL);
    TN_EQ_INT(tn_http_format_chunk_end(out, sizeof out, NULL, 0), 5);
    TN_EQ_MEM(out, "0\r\n\r\n", 5);
    TN_EQ_RC(tn_http_format_chunk_end(out, 4, NULL, 0), TN_EBUFFER_FULL);
    tr[0].name = tn_str_c("Checksum");
    tr[0].value = tn_str_c("abc");
    tr[1].name = tn_str_c("X-Bad");
    tr[1].value = tn_str_c("a\r\nInjected: 1");
    TN_EQ_RC(tn_http_format_chunk_end(out, sizeof out, tr, 2), TN_EBAD_HEADER_VALUE);
    tr[1].name = tn_str_c("Bad Name");
    tr[1].value = tn_str_c("x");
    TN_EQ_RC(tn_http_format_chunk_end(out, sizeof out, tr, 2), TN_EBAD_HEADER_NAME);
    /* encode "hello" + "world!" + trailer, decode it back */
    n = tn_http_format_chunk_header(body + pos, sizeof body - pos, 5);
    pos += (size_t)n;
    memcpy(body + pos, "hello\r\n", 7);
    pos += 7;
    n = tn_http_format_chunk_header(body + pos, sizeof body - pos, 6);
    pos += (size_t)n;
    memcpy(body + pos, "world!\r\n", 8);
    pos += 8;
    n = tn_http_format_chunk_end(body + pos, sizeof body - pos, tr, 1);
    TN_EQ_INT(n, 3 + 15 + 2);
    pos += (size_t)n;
    memset(&d, 0, sizeof d);
    len = pos;
    TN_EQ_INT(tn_http_decode_chunked(&d, body, &len), 0);
    TN_EQ_INT(len, 11);
    TN_EQ_MEM(body, "helloworld!", 11);
}

TN_TEST(header_utils) {
    tn_http_header h[NH];
    tn_http_request r;
    char out[64];
    size_t n = 0, i, seen = 0;
    tn_str v;
    const char *s = "GET / HTTP/1.1\r\nSet-Cookie: a=1\r\nHost: x\r\nset-cookie: b=2\r\nConnection: keep-alive, Upgrade\r\n"
                    "Upgrade: websocket\r\nAccept: text/html;q=0.9, */*\r\n\r\n";
    TN_CHECK(parse_req_s(s, &r, h) > 0);
    TN_CHECK(tn_http_header_find(h, r.num_headers, "HOST") == &h[1]);
    TN_CHECK(tn_http_header_find(h, r.num_headers, "Hos") == NULL);
    TN_CHECK(tn_http_header_find(h, r.num_headers, "Hostx") == NULL);
    TN_OK_RC(tn_http_header_get(h, r.num_headers, "host", &v));
    TN_EQ_TSTR(v, "x");
    TN_EQ_RC(tn_http_header_get(h, r.num_headers, "nope", &v), TN_ENOENT);
    TN_EQ_INT(v.len, 0);
    TN_EQ_INT(tn_http_header_count(h, r.num_headers, "SET-COOKIE"), 2);
    for (i = tn_http_header_next(h, r.num_headers, "Set-Cookie", 0); i < r.num_headers;
         i = tn_http_header_next(h, r.num_headers, "Set-Cookie", i + 1)) {
        TN_EQ_TSTR(h[i].value, seen ? "b=2" : "a=1");
        seen++;
    }
    TN_EQ_INT(seen, 2);
    TN_OK_RC(tn_http_header_join(h, r.num_headers, "set-cookie", out, sizeof out, &n));
    TN_EQ_STR(out, "a=1, b=2");
    TN_EQ_INT(n, 8);
    TN_EQ_RC(tn_http_header_join(h, r.num_headers, "set-cookie", out, 8, &n), TN_EBUFFER_FULL);
    TN_OK_RC(tn_http_header_join(h, r.num_headers, "set-cookie", out, 9, &n));
    TN_EQ_RC(tn_http_header_join(h, r.num_headers, "x", out, sizeof out, &n), TN_ENOENT);
    TN_CHECK(tn_http_header_has_token(h, r.num_headers, "connection", "upgrade"));
    TN_CHECK(tn_http_header_has_token(h, r.num_headers, "Connection", "KEEP-ALIVE"));
    TN_CHECK(!tn_http_header_has_token(h, r.num_headers, "Connection", "close"));
    TN_CHECK(tn_http_header_has_token(h, r.num_headers, "Accept", "text/html"));
    TN_CHECK(tn_http_header_has_token(h, r.num_headers, "Accept", "*/*"));
    TN_CHECK(!tn_http_header_has_token(h, r.num_headers, "Accept", "q=0.9"));
    TN_CHECK(tn_http_token_list_has(tn_str_c(" , a ,b;c=d,  "), "b"));
    TN_CHECK(!tn_http_token_list_has(tn_str_c(""), "a"));
    TN_CHECK(!tn_http_token_list_has(tn_str_c("ab"), "a"));
    TN_CHECK(!tn_http_token_list_has(tn_str_c("a b"), "a"));
    /* order preserved */
    TN_EQ_TSTR(h[0].name, "Set-Cookie");
    TN_EQ_TSTR(h[5].name, "Accept");
}

TN_TEST(is_token) {
    /* every byte against the RFC 9110 §5.6.2 tchar set, through tn_http_is_token (which uses
       the scanner: SSE2 for 16+ bytes, scalar otherwise, so test both lengths) */
    int c;
    char buf[40];
    for (c = 0; c < 256; c++) {
        int want = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                   (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
        buf[0] = (char)c;
        TN_CHECKF(tn_http_is_token(tn_str_make(buf, 1)) == want, "byte %d", c);
        memset(buf, 'a', sizeof buf);
        buf[23] = (char)c;
        TN_CHECKF(tn_http_is_token(tn_str_make(buf, sizeof buf)) == want, "byte %d at 23", c);
    }
    TN_CHECK(!tn_http_is_token(tn_str_make("", 0)));
    TN_CHECK(tn_http_is_token(tn_str_c("Content-Type")));
    TN_CHECK(!tn_http_is_token(tn_str_c("a b")));
}

/* The scanners' SIMD paths (AVX2 32-byte, SSE 16-byte blocks, the last block read back from
   the buffer's end) against the byte tables: every byte at offsets around each block edge,
   in token, target, field value and reason phrase, with the line near the buffer's end. */
TN_TEST(scanners_every_byte_every_offset) {
    static const size_t lens[] = { 1, 15, 16, 17, 31, 32, 33, 47, 48, 49, 64, 70 };
    char buf[256], val[96];
    int c;
    size_t li, k;
    for (c = 0; c < 256; c++) {
        int tchar = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
        int vok = (c >= 0x20 && c != 0x7f) || c == '\t';
        int tok = c > 0x20 && c < 0x7f && strchr("\"#<>\\^`{|}", c) == NULL;
        for (li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            size_t n = lens[li];
            for (k = 0; k < n; k++) {
                tn_http_header h[NH];
                tn_http_request r;
                tn_http_response res;
                int rc, want;
                if (k > 2 && k + 2 < n && k != 15 && k != 16 && k != 31 && k != 32 && k != 47) continue;
                /* token: alone and at the end of a longer buffer */
                memset(buf, 'a', sizeof buf);
                buf[100 + k] = (char)c;
                TN_CHECKF(tn_http_is_token(tn_str_make(buf + 100, n)) == tchar, "token byte %d at %lu of %lu", c,
                          (unsigned long)k, (unsigned long)n);
                /* field value, last field: its end is the buffer's last 16 bytes */
                memset(val, 'v', n);
                val[k] = (char)c;
                val[n] = 0;
                if (c == 0) continue;   /* a C string from here on */
                snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: a\r\nX-V: w%s\r\n\r\n", val);
                rc = parse_req_s(buf, &r, h);
                TN_CHECKF((rc > 0) == vok, "value byte %d at %lu of %lu: %s", c, (unsigned long)k, (unsigned long)n,
                          tn_err_name(rc));
                if (rc > 0) TN_CHECK(r.num_headers == 2 && h[1].value.ptr[0] == 'w');
                /* field name */
                memset(val, 'n', n);
                val[k] = (char)c;
                snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: a\r\n%.*s: v\r\n\r\n", (int)n, val);
                rc = parse_req_s(buf, &r, h);
                TN_CHECKF((rc > 0) == (tchar || (c == ':' && k > 0)), "name byte %d at %lu of %lu: %s", c, (unsigned long)k, (unsigned long)n,
                          tn_err_name(rc));
                /* the same name after a long line: a head of 64 bytes and more takes the
                   SIMD builds' field-line walk, short names included */
                snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: %s\r\n%.*s: v\r\n\r\n",
                         "0123456789abcdef0123456789abcdef0123456789abcdef", (int)n, val);
                rc = parse_req_s(buf, &r, h);
                TN_CHECKF((rc > 0) == (tchar || (c == ':' && k > 0)), "name byte %d at %lu of %lu, long head: %s", c,
                          (unsigned long)k, (unsigned long)n, tn_err_name(rc));
                /* request-target, near the end of a short request */
                memset(val, 't', n);
                val[k] = (char)c;
                snprintf(buf, sizeof buf, "GET /%.*s HTTP/1.1\r\n\r\n", (int)n, val);
                rc = parse_req_s(buf, &r, h);
                want = tok;
                if (c == ' ')   /* a SP ends the target early: then the version is wrong */ TN_CHECKF(rc < 0, "target SP at %lu of %lu", (unsigned long)k, (unsigned long)n);
                else TN_CHECKF((rc > 0) == want, "target byte %d at %lu of %lu: %s", c, (unsigned long)k, (unsigned long)n,
                               tn_err_name(rc));
                /* reason phrase */
                memset(val, 'r', n);
                val[k] = (char)c;
                snprintf(buf, sizeof buf, "HTTP/1.1 200 %.*s\r\nContent-Length: 0\r\n\r\n", (int)n, val);
                memset(&res, 0, sizeof res);
                res.headers = h;
                res.max_headers = NH;
                rc = tn_http_parse_response(buf, strlen(buf), &res);
                TN_CHECKF((rc > 0) == vok, "reason byte %d at %lu of %lu: %s", c, (unsigned long)k, (unsigned long)n,
                          tn_err_name(rc));
            }
        }
    }
}

/* Field lines of every shape, each parsed at the end of the buffer and with a pipelined
   request behind it: the name and the value (optional whitespace trimmed) are what RFC 9112
   §5 says, and control bytes are refused. SIMD builds take short plain lines a 16-byte block
   at a time and hand the others to the byte-exact loop; the _nosimd and _small builds run
   the same expectations through the portable loop alone. */
TN_TEST(request_field_line_shapes) {
    static const char *const names[] = {"a", "Hose", "X-Forwarded-For", "abcdefghijklmno", "abcdefghijklmnop",
                                        "Content-Length-X", "A_b", "x!#$%&'*+^`|~"};
    static const char *const seps[] = {":", ": ", ":  ", ":\t", ": \t"};
    static const char *const vals[] = {"", " ", "\t", "v", " v", "v ", "v\t", "\tv", "a b", "a\tb", "a  \t b",
                                       "0123456789abc", "0123456789abcd", "0123456789abcde", "0123456789abcdef",
                                       "127.0.0.1:65535", "text/html; charset=utf-8, text/plain;q=0.5, */*;q=0.1",
                                       "\x80\xff obs-text", "x ", "xy  ", "\x7f", "a\x01b", "ab\rc", "ab\nc"};
    static const char tail[] = "GET /next HTTP/1.1\r\nHost: b\r\nAccept: */*\r\nUser-Agent: test\r\n\r\n";
    size_t ni, si, vi, t;
    char buf[512];
    for (ni = 0; ni < sizeof names / sizeof names[0]; ni++)
        for (si = 0; si < sizeof seps / sizeof seps[0]; si++)
            for (vi = 0; vi < sizeof vals / sizeof vals[0]; vi++)
                for (t = 0; t < 2; t++) {
                    const char *v = vals[vi], *vs = v, *ve = v + strlen(v);
                    tn_http_header h[NH];
                    tn_http_request r;
                    int n, rc, bad = 0;
                    size_t k;
                    for (k = 0; v[k]; k++)
                        if (((unsigned char)v[k] < 0x20 && v[k] != '\t') || v[k] == 0x7f) bad = 1;
                    while (vs < ve && (*vs == ' ' || *vs == '\t')) vs++;
                    while (ve > vs && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
                    n = snprintf(buf, sizeof buf, "GET / HTTP/1.1\r\nHost: a\r\n%s%s%s\r\nX: y\r\n\r\n%s", names[ni],
                                 seps[si], v, t ? tail : "");
                    rc = parse_req(buf, (size_t)n, &r, h);
                    if (bad) {
                        TN_CHECKF(rc < 0, "%s%s%s: %d", names[ni], seps[si], v, rc);
                        continue;
                    }
                    TN_CHECKF(rc == n - (int)(t ? strlen(tail) : 0), "%s%s%s (tail %d): %s", names[ni], seps[si], v, (int)t,
                              tn_err_name(rc));
                    if (rc < 0) continue;
                    TN_CHECK(r.num_headers == 3);
                    TN_CHECKF(tn_str_eq_c(h[1].name, names[ni]), "name of %s%s%s", names[ni], seps[si], v);
                    TN_CHECKF(tn_str_eq(h[1].value, tn_str_make(vs, (size_t)(ve - vs))), "value of %s%s%s: [%.*s]", names[ni],
                              seps[si], v, (int)h[1].value.len, h[1].value.ptr);
                    TN_CHECK(tn_str_eq_c(h[2].name, "X") && tn_str_eq_c(h[2].value, "y"));
                }
}

/* A parser struct is ready for the next message after a complete head or an error: the
   outputs of a reused struct equal a zeroed one's. */
TN_TEST(reuse_without_reset) {
    static const char *msgs[] = {
        "POST /upload?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nTransfer-Encoding: chunked\r\nConnection: upgrade\r\nUpgrade: ws\r\nExpect: 100-continue\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 12\r\n\r\n",
        "GET /a\x01 HTTP/1.1\r\n\r\n",
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n",
    };
    tn_http_header h1[NH], h2[NH];
    tn_http_request reused, fresh;
    size_t i, j;
    req_init(&reused, h1);
    for (i = 0; i < 3 * (sizeof msgs / sizeof msgs[0]); i++) {
        const char *m = msgs[i % (sizeof msgs / sizeof msgs[0])];
        int a = tn_http_parse_request(m, strlen(m), &reused);
        int b = parse_req(m, strlen(m), &fresh, h2);
        TN_CHECKF(a == b, "message %lu: %d vs %d", (unsigned long)i, a, b);
        if (b < 0) continue;
        TN_CHECK(tn_str_eq(reused.method, fresh.method) && tn_str_eq(reused.target, fresh.target));
        TN_CHECK(reused.version == fresh.version && reused.target_form == fresh.target_form);
        TN_CHECK(reused.flags == fresh.flags && reused.body_kind == fresh.body_kind);
        TN_CHECK(reused.content_length == fresh.content_length && reused.num_headers == fresh.num_headers);
        for (j = 0; j < fresh.num_headers; j++)
            TN_CHECK(tn_str_eq(h1[j].name, h2[j].name) && tn_str_eq(h1[j].value, h2[j].value));
    }
}

TN_TEST(reset_keeps_inputs) {
    tn_http_header h[NH];
    tn_http_request r;
    tn_http_response rs;
    req_init(&r, h);
    r.max_target_length = 77;
    TN_CHECK(tn_http_parse_request("GET / HTTP/1.1\r\nA: b\r\n\r\n", 24, &r) > 0);
    tn_http_request_reset(&r);
    TN_CHECK(r.headers == h && r.max_headers == NH && r.max_target_length == 77);
    TN_EQ_INT(r.num_headers, 0);
    TN_EQ_INT(r.method.len, 0);
    res_init(&rs, h);
    rs.request_method = tn_str_c("HEAD");
    tn_http_response_reset(&rs);
    TN_EQ_TSTR(rs.request_method, "HEAD");
}

/* ---- llhttp conformance (tests/data/llhttp_cases.inc, generated by tests/gen_llhttp_cases.py).
   Each case is fed whole and split in two at every byte; a stream driver runs the head parser,
   the body framing and the chunked decoder like a server/client connection would. `url` cases
   are skipped: URL parsing belongs to the URL module and its tests. ---- */
typedef struct llh_msg {
    const char *method, *url;
    int status, major, minor;
    int num_headers;
    const char *const *headers;
    const char *body;
    size_t body_len;
    int complete, head_complete;
    unsigned flags;
    int has_flags;
} llh_msg;

typedef struct llh_case {
    const char *name, *where, *type, *input;
    size_t len;
    int response, reject, upgrade, skip_body, num_msgs;
    const llh_msg *msgs;
} llh_case;

#include "data/llhttp_cases.inc"

/* Where we deliberately differ from llhttp: each case we reject although llhttp (strict
   mode) accepts it, with the reason. Lenient-mode cases (type *-lenient-*) that we reject are
   listed too; they document llhttp's opt-in leniencies, which we do not offer. */
typedef struct llh_diff {
    const char *where;
    const char *why;
} llh_diff;

static const llh_diff llh_stricter[] = {
    {"test/request/connection.md:113",
     "connection not persistent (RFC 9112 §9.3); bytes after the final message are an error, not a new message"},
    {"test/request/connection.md:397",
     "connection not persistent (RFC 9112 §9.3); bytes after the final message are an error, not a new message"},
    {"test/request/connection.md:484",
     "RFC 9112 §5.2: obs-fold is rejected (requests: MUST reject or replace; responses: zero-copy cannot replace it)"},
    {"test/request/connection.md:579",
     "RFC 9112 §5.2: obs-fold is rejected (requests: MUST reject or replace; responses: zero-copy cannot replace it)"},
    {"test/request/connection.md:640",
     "RFC 9112 §5.1: no whitespace between field name and colon; MUST reject with 400"},
    {"test/request/content-length.md:192",
     "RFC 9112 §5.1: no whitespace between field name and colon; MUST reject with 400"},
    {"test/request/content-length.md:232",
     "RFC 9112 §6.3 item 3: Content-Length with Transfer-Encoding ought to be handled as an error (smuggling)"},
    {"test/request/content-length.md:522",
     "RFC 9112 §2.2: a bare CR outside content MUST be rejected or replaced; we reject"},
    {"test/request/invalid.md:571",
     "RFC 9112 §2.2: a bare LF line terminator is not accepted (MAY, not MUST; a hop that does not split on bare LF would see a different header set)"},
    {"test/request/invalid.md:690",
     "RFC 9112 §2.2: whitespace before the first field line MUST be rejected or consumed; we reject"},
    {"test/request/lenient-header-value-relaxed.md:13",
     "RFC 9110 §5.5: CTL bytes (and DEL) are not field-vchar"},
    {"test/request/lenient-headers.md:9",
     "RFC 9110 §5.5: CTL bytes (and DEL) are not field-vchar"},
    {"test/request/lenient-headers.md:37",
     "RFC 9110 §5.5: CTL bytes (and DEL) are not field-vchar"},
    {"test/request/lenient-headers.md:112",
     "RFC 9112 §2.2: a bare CR outside content MUST be rejected or replaced; we reject"},
    {"test/request/lenient-version.md:7",
     "RFC 9112 §2.3: only HTTP/1.x; other protocols (RTSP/ICE), HTTP/0.9 and HTTP/2 prefaces are rejected"},
    {"test/request/method.md:138",
     "RFC 9112 §3.2.4: asterisk-form is only for OPTIONS (SSDP's M-SEARCH * is not HTTP/1.1)"},
    {"test/request/method.md:375",
     "RFC 9112 §2.3: only HTTP/1.x; other protocols (RTSP/ICE), HTTP/0.9 and HTTP/2 prefaces are rejected"},
    {"test/request/method.md:405",
     "RFC 9112 §2.3: only HTTP/1.x; other protocols (RTSP/ICE), HTTP/0.9 and HTTP/2 prefaces are rejected"},
    {"test/request/method.md:433",
     "RFC 9112 §2.3: only HTTP/1.x; other protocols (RTSP/ICE), HTTP/0.9 and HTTP/2 prefaces are rejected"},
    {"test/request/method.md:461",
     "RFC 9112 §2.3: only HTTP/1.x; other protocols (RTSP/ICE), HTTP/0.9 and HTTP/2 prefaces are rejected"},
    {"test/request/sample.md:317",
     "RFC 9112 §2.3: only HTTP/1.x; other protocols (RTSP/ICE), HTTP/0.9 and HTTP/2 prefaces are rejected"},
    {"test/request/sample.md:336",
     "RFC 9112 §5.2: obs-fold is rejected (requests: MUST reject or replace; responses: zero-copy cannot replace it)"},
    {"test/request/sample.md:458",
     "RFC 9112 §2.2: a bare CR outside content MUST be rejected or replaced; we reject"},
    {"test/request/sample.md:576",
     "RFC 9112 §5.2: obs-fold is rejected (requests: MUST reject or replace; responses: zero-copy cannot replace it)"},
    {"test/request/transfer-encoding.md:539",
     "RFC 9112 §6.3 item 3: Content-Length with Transfer-Encoding ought to be handled as an error (smuggling)"},
    {"test/request/transfer-encoding.md:683",
     "RFC 9112 §6.3: request Transfer-Encoding whose final coding is not chunked (or chunked twice) → 400"},
    {"test/request/transfer-encoding.md:716",
     "RFC 9112 §6.3: request Transfer-Encoding whose final coding is not chunked (or chunked twice) → 400"},
    {"test/request/transfer-encoding.md:754",
     "RFC 9112 §6.1: transfer codings other than chunked are not implemented → 501 (TN_EUNSUPPORTED_TE)"},
    {"test/request/transfer-encoding.md:796",
     "RFC 9112 §6.1: transfer codings other than chunked are not implemented → 501 (TN_EUNSUPPORTED_TE)"},
    {"test/request/transfer-encoding.md:1029",
     "RFC 9112 §7.1: chunk-size/ext/data lines end in CRLF exactly; whitespace after chunk-size only as BWS before a ';' (funky-chunks class)"},
    {"test/request/transfer-encoding.md:1144",
     "RFC 9112 §7.1: chunk-size/ext/data lines end in CRLF exactly; whitespace after chunk-size only as BWS before a ';' (funky-chunks class)"},
    {"test/request/transfer-encoding.md:1218",
     "RFC 9112 §7.1: chunk-size/ext/data lines end in CRLF exactly; whitespace after chunk-size only as BWS before a ';' (funky-chunks class)"},
    {"test/request/uri.md:7",
     "RFC 3986 §2 (RFC 9112 §3.2): '\"' cannot appear in a URI; a request-target holding it is a 400"},
    {"test/request/uri.md:105",
     "RFC 3986 §2 (RFC 9112 §3.2): '|' cannot appear in a URI (send %7C); a request-target holding it is a 400"},
    {"test/request/uri.md:168",
     "RFC 9112 §3.2: a request-target has no fragment ('#' is excluded); a request-target holding it is a 400"},
    {"test/response/connection.md:196",
     "connection not persistent (RFC 9112 §9.3); bytes after the final message are an error, not a new message"},
    {"test/response/connection.md:263",
     "connection not persistent (RFC 9112 §9.3); bytes after the final message are an error, not a new message"},
    {"test/response/invalid.md:154",
     "RFC 9112 §2.2: a bare CR outside content MUST be rejected or replaced; we reject"},
    {"test/response/invalid.md:307",
     "RFC 9112 §2.2: a bare LF line terminator is not accepted (MAY, not MUST; a hop that does not split on bare LF would see a different header set)"},
    {"test/response/invalid.md:351",
     "RFC 9112 §2.2: a bare LF line terminator is not accepted (MAY, not MUST; a hop that does not split on bare LF would see a different header set)"},
    {"test/response/lenient-version.md:7",
     "RFC 9112 §2.3: only HTTP/1.x; other protocols (RTSP/ICE), HTTP/0.9 and HTTP/2 prefaces are rejected"},
    {"test/response/sample.md:43",
     "RFC 9112 §2.3: only HTTP/1.x; other protocols (RTSP/ICE), HTTP/0.9 and HTTP/2 prefaces are rejected"},
    {"test/response/sample.md:63",
     "RFC 9112 §2.3: only HTTP/1.x; other protocols (RTSP/ICE), HTTP/0.9 and HTTP/2 prefaces are rejected"},
    {"test/response/sample.md:354",
     "RFC 9112 §2.2: a bare LF line terminator is not accepted (MAY, not MUST; a hop that does not split on bare LF would see a different header set)"},
    {"test/response/sample.md:648",
     "RFC 9112 §2.3: only HTTP/1.x; other protocols (RTSP/ICE), HTTP/0.9 and HTTP/2 prefaces are rejected"},
    {"test/response/transfer-encoding.md:392",
     "RFC 9112 §5.2: obs-fold is rejected (requests: MUST reject or replace; responses: zero-copy cannot replace it)"},
};

/* Where we accept what llhttp rejects, or differ in a flag: only checked for self-consistency
   (the whole input and every split give the same outcome). */
static const llh_diff llh_laxer[] = {
    {"test/request/invalid.md:359",
     "RFC 9110 §9.1: any token is a method (MKCOLA); unknown methods are the application's 501, not a parse error"},
    {"test/response/connection.md:7",
     "Proxy-Connection is not a standard field (RFC 9112 §9.6 mentions it only as a legacy name); we ignore it"},
};

#define LLH_MAXMSG 8
#define LLH_FLAGS (TN_HTTP_F_CONTENT_LENGTH | TN_HTTP_F_TRANSFER_ENCODING | TN_HTTP_F_CHUNKED | \
                   TN_HTTP_F_CONN_CLOSE | TN_HTTP_F_CONN_KEEP_ALIVE | TN_HTTP_F_CONN_UPGRADE)

typedef struct llh_got {
    tn_http_header h[NH];
    size_t nh;
    tn_str method, url;
    int status, version, complete, until_close, upgrade, keep_alive;
    unsigned flags;
    char *body;
    size_t body_len;
} llh_got;

typedef struct llh_run {
    llh_got m[LLH_MAXMSG];
    int n, error, code;
} llh_run;

static void llh_execute(const llh_case *c, size_t split, llh_run *out) {
    enum { HEAD, LENGTH, CHUNKED, CLOSE, AFTER_CLOSE, STOP };
    char *work = (char *)malloc(c->len + 1);
    size_t pos = 0, steps[2];
    int phase = HEAD, s, i;
    uint64_t left = 0;
    tn_http_chunked d;
    tn_http_request rq;
    tn_http_response rs;
    llh_got *g = NULL;
    memcpy(work, c->input, c->len);
    memset(out, 0, sizeof *out);
    memset(&rq, 0, sizeof rq);
    memset(&rs, 0, sizeof rs);
    steps[0] = split;
    steps[1] = c->len;
    for (s = 0; s < 2 && phase != STOP; s++) {
        size_t avail = steps[s];
        for (;;) {
            int done = 0;
            if (phase == HEAD) {
                int rc;
                if (pos == avail) break;
                if (out->n == LLH_MAXMSG) { phase = STOP; break; }
                g = &out->m[out->n];
                if (c->response) {
                    rs.headers = g->h;
                    rs.max_headers = NH;
                    rc = tn_http_parse_response(work + pos, avail - pos, &rs);
                } else {
                    rq.headers = g->h;
                    rq.max_headers = NH;
                    rc = tn_http_parse_request(work + pos, avail - pos, &rq);
                }
                if (rc == TN_EINCOMPLETE) break;
                if (rc < 0) { out->error = 1; out->code = rc; phase = STOP; break; }
                out->n++;
                g->body = (char *)malloc(c->len + 1);
                if (c->skip_body) {   /* the llhttp harness skipped bodies for this case */
                    rs.body_kind = TN_HTTP_BODY_NONE;
                    rq.body_kind = TN_HTTP_BODY_NONE;
                }
                if (c->response) {
                    g->nh = rs.num_headers; g->status = rs.status; g->version = rs.version; g->flags = rs.flags;
                    left = rs.content_length;
                    phase = rs.body_kind == TN_HTTP_BODY_LENGTH ? LENGTH : rs.body_kind == TN_HTTP_BODY_CHUNKED ? CHUNKED
                          : rs.body_kind == TN_HTTP_BODY_UNTIL_CLOSE ? CLOSE : HEAD;
                } else {
                    g->nh = rq.num_headers; g->method = rq.method; g->url = rq.target; g->version = rq.version;
                    g->flags = rq.flags;
                    left = rq.content_length;
                    phase = rq.body_kind == TN_HTTP_BODY_LENGTH ? LENGTH : rq.body_kind == TN_HTTP_BODY_CHUNKED ? CHUNKED : HEAD;
                }
                g->upgrade = (g->flags & TN_HTTP_F_UPGRADE) != 0;
                g->keep_alive = (g->flags & TN_HTTP_F_KEEP_ALIVE) != 0;
                pos += (size_t)rc;
                memset(&d, 0, sizeof d);
                if (phase == HEAD) done = 1;
                if (phase == CLOSE) g->until_close = 1;
            } else if (phase == LENGTH) {
                size_t take = avail - pos;
                if ((uint64_t)take > left) take = (size_t)left;
                memcpy(g->body + g->body_len, work + pos, take);
                g->body_len += take;
                pos += take;
                left -= take;
                if (left) break;
                done = 1;
            } else if (phase == CHUNKED) {
                size_t len = avail - pos;
                int rc = tn_http_decode_chunked(&d, work + pos, &len);
                memcpy(g->body + g->body_len, work + pos, len);
                g->body_len += len;
                if (rc == TN_EINCOMPLETE) { pos = avail; break; }
                if (rc < 0) { out->error = 1; out->code = rc; phase = STOP; break; }
                memcpy(work + avail - (size_t)rc, c->input + avail - (size_t)rc, (size_t)rc);   /* restore */
                pos = avail - (size_t)rc;
                done = 1;
            } else if (phase == CLOSE) {
                memcpy(g->body + g->body_len, work + pos, avail - pos);
                g->body_len += avail - pos;
                pos = avail;
                break;
            } else if (phase == AFTER_CLOSE) {
                if (pos < avail) { out->error = 1; out->code = TN_EPARSE; phase = STOP; }
                break;
            } else {
                break;
            }
            if (done) {
                g->complete = 1;
                memset(&rq, 0, sizeof rq);
                memset(&rs, 0, sizeof rs);
                if (g->upgrade) { phase = STOP; break; }
                /* a 1xx interim response is followed by the final response */
                phase = (g->keep_alive || (c->response && g->status < 200)) ? HEAD : AFTER_CLOSE;
            }
        }
    }
    for (i = 0; i < out->n; i++) {
        /* slices point into work: turn them into copies the caller can compare after free */
        size_t k;
        llh_got *m = &out->m[i];
        char *copy = (char *)malloc(c->len + 1);
        ptrdiff_t delta = copy - work;
        memcpy(copy, work, c->len);
        /* head bytes are never rewritten by the body decoder, but a later chunked body may
           have moved bytes of later heads: copy from the original input instead */
        memcpy(copy, c->input, c->len);
        (void)delta;
        for (k = 0; k < m->nh; k++) {
            m->h[k].name.ptr = copy + (m->h[k].name.ptr - work);
            m->h[k].value.ptr = copy + (m->h[k].value.ptr - work);
        }
        if (m->method.ptr) m->method.ptr = copy + (m->method.ptr - work);
        if (m->url.ptr) m->url.ptr = copy + (m->url.ptr - work);
        m->h[NH - 1].name.ptr = copy;   /* remember the copy for llh_free */
    }
    free(work);
}

static void llh_free(llh_run *r) {
    int i;
    for (i = 0; i < r->n; i++) {
        free(r->m[i].body);
        free((void *)r->m[i].h[NH - 1].name.ptr);
    }
}

static int tstr_is(tn_str s, const char *c) { return s.len == strlen(c) && (s.len == 0 || memcmp(s.ptr, c, s.len) == 0); }

/* 0 when the run matches llhttp's expectation, else 1 with a reason in why. */
static int llh_compare(const llh_case *c, const llh_run *r, char *why, size_t cap) {
    int k;
    if (c->reject) {
        if (r->error) return 0;
        snprintf(why, cap, "accepted, llhttp rejects");
        return 1;
    }
    if (r->error) {
        snprintf(why, cap, "rejected with %s after %d message(s)", tn_err_name(r->code), r->n);
        return 1;
    }
    for (k = 0; k < c->num_msgs; k++) {
        const llh_msg *e = &c->msgs[k];
        const llh_got *g;
        int j;
        if (!e->head_complete) {
            if (k < r->n) { snprintf(why, cap, "message %d: head complete, llhttp's is not", k); return 1; }
            continue;
        }
        if (k >= r->n) { snprintf(why, cap, "message %d: head missing", k); return 1; }
        g = &r->m[k];
        if (!c->response && (!tstr_is(g->method, e->method) || !tstr_is(g->url, e->url))) {
            snprintf(why, cap, "message %d: method/url %.*s %.*s", k, (int)g->method.len, g->method.ptr, (int)g->url.len, g->url.ptr);
            return 1;
        }
        if (c->response && e->status && g->status != e->status) { snprintf(why, cap, "message %d: status %d", k, g->status); return 1; }
        if (e->major >= 0 && g->version != (e->minor == 0 ? 10 : 11)) { snprintf(why, cap, "message %d: version %d", k, g->version); return 1; }
        if ((int)g->nh != e->num_headers) { snprintf(why, cap, "message %d: %d headers, want %d", k, (int)g->nh, e->num_headers); return 1; }
        for (j = 0; j < e->num_headers; j++) {
            if (!tstr_is(g->h[j].name, e->headers[2 * j]) || !tstr_is(g->h[j].value, e->headers[2 * j + 1])) {
                snprintf(why, cap, "message %d header %d: [%.*s]=[%.*s]", k, j, (int)g->h[j].name.len, g->h[j].name.ptr,
                         (int)g->h[j].value.len, g->h[j].value.ptr);
                return 1;
            }
        }
        if (e->has_flags && (g->flags & LLH_FLAGS) != e->flags) {
            snprintf(why, cap, "message %d: flags %#x want %#x", k, g->flags & LLH_FLAGS, e->flags);
            return 1;
        }
        if (e->complete && !(g->complete || g->until_close)) { snprintf(why, cap, "message %d: incomplete", k); return 1; }
        if (!e->complete && g->complete && !g->upgrade) { snprintf(why, cap, "message %d: complete, llhttp's is not", k); return 1; }
        /* an until-close body may hold the CRLF restored at the end of the input: prefix match */
        if ((e->complete || g->until_close) &&
            (g->until_close ? g->body_len < e->body_len : g->body_len != e->body_len || memcmp(g->body, e->body, e->body_len) != 0)) {
            snprintf(why, cap, "message %d: body [%.*s]", k, (int)g->body_len, g->body);
            return 1;
        }
    }
    if (r->n > c->num_msgs) { snprintf(why, cap, "%d messages, want %d", r->n, c->num_msgs); return 1; }
    if (c->upgrade && !(r->n > 0 && r->m[r->n - 1].upgrade)) { snprintf(why, cap, "no upgrade"); return 1; }
    return 0;
}

static const char *llh_find(const llh_diff *t, size_t n, const llh_case *c) {
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(t[i].where, c->where) == 0) return t[i].why;
    return NULL;
}

/* A run's outcome in a comparable form: error or not, messages, complete flags, bodies. */
static void llh_outcome(const llh_run *r, char *out, size_t cap) {
    int k, n = snprintf(out, cap, "%d/%d", r->error, r->n);
    for (k = 0; k < r->n && n > 0 && (size_t)n < cap; k++)
        n += snprintf(out + n, cap - (size_t)n, " %d:%lu:%u", r->m[k].complete, (unsigned long)r->m[k].body_len, r->m[k].flags);
}

TN_TEST(llhttp_conformance) {
    size_t i, ncases = sizeof llh_cases / sizeof llh_cases[0];
    int failed = 0, stricter = 0, laxer = 0, matched = 0;
    for (i = 0; i < ncases; i++) {
        const llh_case *c = &llh_cases[i];
        const char *strict = llh_find(llh_stricter, sizeof llh_stricter / sizeof llh_stricter[0], c);
        const char *lax = llh_find(llh_laxer, sizeof llh_laxer / sizeof llh_laxer[0], c);
        size_t split;
        char why[600], whole[200], part[200];
        for (split = c->len + 1; split-- > 0;) {   /* split == len first: the whole input */
            llh_run r;
            int bad;
            llh_execute(c, split, &r);
            if ((c->reject || strict) && !r.error) {
                /* llhttp rejects some inputs in the middle of a line; a line-oriented parser
                   waits for the line's end. Complete the input: it must be rejected then. */
                llh_case c2 = *c;
                char *ext = (char *)malloc(c->len + 4);
                memcpy(ext, c->input, c->len);
                memcpy(ext + c->len, "\r\n\r\n", 4);
                c2.input = ext;
                c2.len = c->len + 4;
                llh_free(&r);
                llh_execute(&c2, split, &r);
                free(ext);
            }
            if (strict) {
                bad = !r.error;
                if (bad) snprintf(why, sizeof why, "listed as stricter but accepted");
            } else if (lax) {
                llh_outcome(&r, split == c->len ? whole : part, sizeof whole);
                bad = split != c->len && strcmp(whole, part) != 0;
                if (bad) snprintf(why, sizeof why, "split outcome %s differs from whole %s", part, whole);
            } else {
                bad = llh_compare(c, &r, why, sizeof why);
            }
            llh_free(&r);
            if (bad) {
                fprintf(stderr, "  llhttp %s (%s, %s) split %lu/%lu: %s\n", c->where, c->name, c->type,
                        (unsigned long)split, (unsigned long)c->len, why);
                failed++;
                break;
            }
        }
        if (strict) stricter++;
        else if (lax) laxer++;
        else matched++;
    }
    printf("  llhttp: %d http cases, %d match llhttp, %d deliberately stricter, %d laxer/different, %d failed\n",
           (int)ncases, matched - failed, stricter, laxer, failed);
    TN_EQ_INT(failed, 0);
}

TN_TESTS(TN_CASE(chunked_extension_every_byte), TN_CASE(host_port_values), TN_CASE(scanners_every_byte_every_offset), TN_CASE(reuse_without_reset), TN_CASE(request_basic), TN_CASE(request_target_forms), TN_CASE(request_host_authority), TN_CASE(request_host_word_check), TN_CASE(request_host_port_check), TN_CASE(request_field_line_shapes), TN_CASE(request_target_bytes), TN_CASE(request_prefixes_and_resume),
         TN_CASE(request_resume_moved_buffer), TN_CASE(request_dribble_is_linear), TN_CASE(response_basic),
         TN_CASE(request_errors), TN_CASE(nul_bytes), TN_CASE(limits), TN_CASE(error_status_map),
         TN_CASE(smuggling_suite), TN_CASE(framing_requests), TN_CASE(framing_responses),
         TN_CASE(chunked_decode), TN_CASE(chunked_errors_and_limits), TN_CASE(chunked_encode_roundtrip),
         TN_CASE(header_utils), TN_CASE(is_token), TN_CASE(reset_keeps_inputs), TN_CASE(llhttp_conformance))
