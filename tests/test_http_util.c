/* test_http_util.c: URLs, escaping, query/form args, header parameters, dates, Range,
   reasons, xhtml/JSON escaping, and the multipart/form-data push parser. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include <sys/mman.h>
#include <time.h>

static tn_str S(const char *c) { return tn_str_c(c); }

/* ---- guard-page copies: any read past the end faults ---- */
static char *guard_base;
static size_t guard_total;
static const char *guarded(const char *p, size_t n) {
    long pg = sysconf(_SC_PAGESIZE);
    size_t pages = (n + (size_t)pg - 1) / (size_t)pg + 1;
    char *base;
    if (guard_base) munmap(guard_base, guard_total);
    guard_total = (pages + 1) * (size_t)pg;
    base = (char *)mmap(NULL, guard_total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    TN_CHECK(base != MAP_FAILED);
    TN_CHECK(mprotect(base + pages * (size_t)pg, (size_t)pg, PROT_NONE) == 0);
    guard_base = base;
    memcpy(base + pages * (size_t)pg - n, p, n);
    return base + pages * (size_t)pg - n;
}

/* ======================================================================================
   URLs
   ====================================================================================== */

/* Rebuild the input from the parts: the reassembly invariant of tn_url_parse. */
static void url_reassemble(const tn_url *u, char *out, size_t cap) {
    size_t n = 0;
#define PUT(p, l) do { TN_CHECK(n + (l) < cap); memcpy(out + n, (p), (l)); n += (l); } while (0)
    if (u->flags & TN_URL_HAS_SCHEME) { PUT(u->scheme.ptr, u->scheme.len); PUT(":", 1); }
    if (u->flags & TN_URL_HAS_AUTHORITY) {
        PUT("//", 2);
        if (u->flags & TN_URL_HAS_USERINFO) { PUT(u->userinfo.ptr, u->userinfo.len); PUT("@", 1); }
        if (u->flags & TN_URL_IPV6) PUT("[", 1);
        PUT(u->host.ptr, u->host.len);
        if (u->flags & TN_URL_IPV6) PUT("]", 1);
        if (u->flags & TN_URL_HAS_PORT) { PUT(":", 1); PUT(u->port_str.ptr, u->port_str.len); }
    }
    PUT(u->path.ptr, u->path.len);
    if (u->flags & TN_URL_HAS_QUERY) { PUT("?", 1); PUT(u->query.ptr, u->query.len); }
    if (u->flags & TN_URL_HAS_FRAGMENT) { PUT("#", 1); PUT(u->fragment.ptr, u->fragment.len); }
#undef PUT
    out[n] = 0;
}

static tn_url parse_ok(const char *s) {
    tn_url u;
    char re[4096];
    int rc = tn_url_parse(S(s), &u);
    TN_CHECKF(rc == 0, "tn_url_parse(\"%s\") = %s", s, tn_err_name(rc));
    url_reassemble(&u, re, sizeof re);
    TN_EQ_STR(re, s);
    return u;
}

static void parse_bad(const char *s, int want) {
    tn_url u;
    int rc = tn_url_parse(S(s), &u);
    TN_CHECKF(rc == want, "tn_url_parse(\"%s\") = %s, want %s", s, tn_err_name(rc), tn_err_name(want));
    TN_EQ_INT(u.flags, 0);
    TN_EQ_INT(u.host.len, 0);
}

TN_TEST(url_parse_rfc3986_examples) {
    tn_url u;
    u = parse_ok("foo://example.com:8042/over/there?name=ferret#nose");   /* section 3 */
    TN_EQ_TSTR(u.scheme, "foo");
    TN_EQ_TSTR(u.authority, "example.com:8042");
    TN_EQ_TSTR(u.host, "example.com");
    TN_EQ_TSTR(u.port_str, "8042");
    TN_EQ_INT(u.port, 8042);
    TN_EQ_TSTR(u.path, "/over/there");
    TN_EQ_TSTR(u.query, "name=ferret");
    TN_EQ_TSTR(u.fragment, "nose");
    TN_EQ_INT(u.flags, TN_URL_HAS_SCHEME | TN_URL_HAS_AUTHORITY | TN_URL_HAS_PORT | TN_URL_HAS_QUERY |
                           TN_URL_HAS_FRAGMENT);
    u = parse_ok("urn:example:animal:ferret:nose");
    TN_EQ_TSTR(u.scheme, "urn");
    TN_EQ_TSTR(u.path, "example:animal:ferret:nose");
    TN_EQ_INT(u.flags, TN_URL_HAS_SCHEME);
    /* section 1.1.2 */
    u = parse_ok("ftp://ftp.is.co.za/rfc/rfc1808.txt");
    TN_EQ_TSTR(u.host, "ftp.is.co.za");
    TN_EQ_INT(u.port, -1);
    u = parse_ok("http://www.ietf.org/rfc/rfc2396.txt");
    TN_EQ_TSTR(u.path, "/rfc/rfc2396.txt");
    u = parse_ok("ldap://[2001:db8::7]/c=GB?objectClass?one");
    TN_EQ_TSTR(u.host, "2001:db8::7");
    TN_CHECK(u.flags & TN_URL_IPV6);
    TN_EQ_TSTR(u.path, "/c=GB");
    TN_EQ_TSTR(u.query, "objectClass?one");
    u = parse_ok("mailto:John.Doe@example.com");
    TN_EQ_TSTR(u.path, "John.Doe@example.com");
    TN_CHECK(!(u.flags & TN_URL_HAS_AUTHORITY));
    u = parse_ok("news:comp.infosystems.www.servers.unix");
    TN_EQ_TSTR(u.scheme, "news");
    u = parse_ok("tel:+1-816-555-1212");
    TN_EQ_TSTR(u.path, "+1-816-555-1212");
    u = parse_ok("telnet://192.0.2.16:80/");
    TN_EQ_TSTR(u.host, "192.0.2.16");
    TN_EQ_INT(u.port, 80);
    u = parse_ok("urn:oasis:names:specification:docbook:dtd:xml:4.1.2");
    TN_EQ_TSTR(u.scheme, "urn");
    u = parse_ok("http://a/b/c/d;p?q");   /* the section 5.4 base URI */
    TN_EQ_TSTR(u.host, "a");
    TN_EQ_TSTR(u.path, "/b/c/d;p");
    TN_EQ_TSTR(u.query, "q");
}

TN_TEST(url_parse_rfc3986_references) {
    /* every reference of RFC 3986 sections 5.4.1 and 5.4.2 parses and reassembles (this
       module parses references; it does not resolve them against a base) */
    static const char *refs[] = {
        "g:h", "g", "./g", "g/", "/g", "//g", "?y", "g?y", "#s", "g#s", "g?y#s", ";x", "g;x",
        "g;x?y#s", "", ".", "./", "..", "../", "../g", "../..", "../../", "../../g",
        "../../../g", "../../../../g", "/./g", "/../g", "g.", ".g", "g..", "..g", "./../g",
        "./g/.", "g/./h", "g/../h", "g;x=1/./y", "g;x=1/../y", "g?y/./x", "g?y/../x",
        "g#s/./x", "g#s/../x", "http:g",
    };
    size_t i;
    tn_url u;
    for (i = 0; i < sizeof refs / sizeof refs[0]; i++) parse_ok(refs[i]);
    u = parse_ok("g:h");
    TN_EQ_TSTR(u.scheme, "g");
    TN_EQ_TSTR(u.path, "h");
    u = parse_ok("//g");
    TN_EQ_INT(u.flags, TN_URL_HAS_AUTHORITY);
    TN_EQ_TSTR(u.host, "g");
    TN_EQ_TSTR(u.path, "");
    u = parse_ok("?y");
    TN_EQ_INT(u.flags, TN_URL_HAS_QUERY);
    TN_EQ_TSTR(u.query, "y");
    u = parse_ok("#s");
    TN_EQ_INT(u.flags, TN_URL_HAS_FRAGMENT);
    u = parse_ok("");
    TN_EQ_INT(u.flags, 0);
    u = parse_ok("http:g");
    TN_EQ_TSTR(u.scheme, "http");
    TN_EQ_TSTR(u.path, "g");
}

TN_TEST(url_parse_details) {
    tn_url u;
    u = parse_ok("http://user:pa%20ss@[::1]:8080/p%2F?q=1&r#f?g#h");
    TN_EQ_TSTR(u.userinfo, "user:pa%20ss");
    TN_EQ_TSTR(u.host, "::1");
    TN_EQ_INT(u.port, 8080);
    TN_EQ_TSTR(u.path, "/p%2F");
    TN_EQ_TSTR(u.query, "q=1&r");
    TN_EQ_TSTR(u.fragment, "f?g#h");
    TN_CHECK(u.flags & TN_URL_HAS_USERINFO);
    u = parse_ok("http://h:/");   /* empty port: present, value -1 */
    TN_CHECK(u.flags & TN_URL_HAS_PORT);
    TN_EQ_INT(u.port, -1);
    TN_EQ_INT(u.port_str.len, 0);
    u = parse_ok("http://h:0/");
    TN_EQ_INT(u.port, 0);
    u = parse_ok("http://h:65535");
    TN_EQ_INT(u.port, 65535);
    TN_EQ_TSTR(u.path, "");
    u = parse_ok("http://h:000080/");
    TN_EQ_INT(u.port, 80);
    u = parse_ok("http://@h/");   /* empty userinfo is present */
    TN_CHECK(u.flags & TN_URL_HAS_USERINFO);
    TN_EQ_INT(u.userinfo.len, 0);
    u = parse_ok("file:///etc/passwd");
    TN_CHECK(u.flags & TN_URL_HAS_AUTHORITY);
    TN_EQ_INT(u.host.len, 0);
    TN_EQ_TSTR(u.path, "/etc/passwd");
    u = parse_ok("http://h/?");
    TN_CHECK(u.flags & TN_URL_HAS_QUERY);
    TN_EQ_INT(u.query.len, 0);
    u = parse_ok("http://[v7.fe:80]/");
    TN_EQ_TSTR(u.host, "v7.fe:80");
    u = parse_ok("http://[::ffff:192.0.2.1]:1/");
    TN_EQ_TSTR(u.host, "::ffff:192.0.2.1");
    u = parse_ok("http://[1:2:3:4:5:6:7:8]/");
    u = parse_ok("http://[1::]/");
    u = parse_ok("http://[::]/");
    u = parse_ok("http://ex\xc3\xa4mple.com/\xe2\x82\xac?\xff#|{}^");   /* raw UTF-8 / obs bytes */
    TN_EQ_TSTR(u.host, "ex\xc3\xa4mple.com");
    u = parse_ok("HTTP+S.x-1://h");
    TN_EQ_TSTR(u.scheme, "HTTP+S.x-1");
    u = parse_ok("/a:b");   /* ':' after the first segment is fine */
    u = parse_ok("localhost:8080");   /* RFC 3986: a scheme "localhost" */
    TN_EQ_TSTR(u.scheme, "localhost");
    TN_EQ_TSTR(u.path, "8080");
    u = parse_ok("*");   /* asterisk-form request target */
    TN_EQ_TSTR(u.path, "*");

    {   /* every control byte, space and DEL is refused in every component */
        static const char tmpl[] = "http://u@h:1/p?q#f";
        size_t pos;
        int c;
        for (c = 0; c <= 0x7f; c = (c == 0x20) ? 0x7f : c + 1) {
            for (pos = 0; pos <= sizeof tmpl - 1; pos++) {
                char s[32];
                tn_url v;
                memcpy(s, tmpl, pos);
                s[pos] = (char)c;
                memcpy(s + pos + 1, tmpl + pos, sizeof tmpl - 1 - pos);
                TN_EQ_RC(tn_url_parse(tn_str_make(s, sizeof tmpl), &v), TN_EBAD_URL);
            }
            if (c == 0x7f) break;
        }
    }
    parse_bad("http://a b/", TN_EBAD_URL);
    parse_bad("/a\rb", TN_EBAD_URL);
    parse_bad("/a\nb", TN_EBAD_URL);
    parse_bad("/a\x7f", TN_EBAD_URL);
    parse_bad("/\x01", TN_EBAD_URL);
    parse_bad("http://a@b@c/", TN_EBAD_URL);
    parse_bad("http://[::1/", TN_EBAD_URL);
    parse_bad("http://[::1]x/", TN_EBAD_URL);
    parse_bad("http://[1:2:3]/", TN_EBAD_URL);
    parse_bad("http://[1:2:3:4:5:6:7:8:9]/", TN_EBAD_URL);
    parse_bad("http://[1::2::3]/", TN_EBAD_URL);
    parse_bad("http://[12345::]/", TN_EBAD_URL);
    parse_bad("http://[:1]/", TN_EBAD_URL);
    parse_bad("http://[1:]/", TN_EBAD_URL);
    parse_bad("http://[::1.2.3]/", TN_EBAD_URL);
    parse_bad("http://[::1.2.3.256]/", TN_EBAD_URL);
    parse_bad("http://[]/", TN_EBAD_URL);
    parse_bad("http://[fe80::1%]/", TN_EBAD_URL);
    parse_bad("http://[v.x]/", TN_EBAD_URL);
    parse_bad("http://h:65536/", TN_EBAD_URL);
    parse_bad("http://h:99999999999999999999/", TN_EBAD_URL);
    parse_bad("http://h:8a/", TN_EBAD_URL);
    parse_bad("http://h:-1/", TN_EBAD_URL);
    parse_bad("http://h:1:2/", TN_EBAD_URL);
    parse_bad("http://h<x>/", TN_EBAD_URL);
    parse_bad("http://h\"/", TN_EBAD_URL);
    parse_bad("http://u[x]@h/", TN_EBAD_URL);
    parse_bad("http://a]b/", TN_EBAD_URL);
    parse_bad("1http://h/", TN_EBAD_URL);   /* ':' in a scheme-less first segment */
    parse_bad("a b:c", TN_EBAD_URL);
    parse_bad(":/x", TN_EBAD_URL);
    {
        tn_url v;
        TN_EQ_RC(tn_url_parse(S("/"), NULL), TN_EINVAL);
        TN_EQ_RC(tn_url_parse(tn_str_make(NULL, 3), &v), TN_EINVAL);
        TN_OK_RC(tn_url_parse(tn_str_make(NULL, 0), &v));
    }
}

TN_TEST(url_parse_limit) {
    size_t n = TORNADO_MAX_URL_BYTES + 1;
    char *s = (char *)malloc(n);
    tn_url u;
    memset(s, 'a', n);
    s[0] = '/';
    TN_EQ_RC(tn_url_parse(tn_str_make(s, n), &u), TN_EURI_TOO_LONG);
    TN_OK_RC(tn_url_parse(tn_str_make(s, n - 1), &u));
    TN_EQ_INT(u.path.len, n - 1);
    free(s);
}

/* URL cases from nodejs/llhttp test/url.md (commit 01e105a), MIT license: see
   /work/shared/conformance/LICENSE.llhttp (Copyright Fedor Indutny and other
   contributors). llhttp's "host" span is our authority (userinfo@host:port). */
typedef struct llhttp_url_case {
    const char *input;
    int ok;   /* what tn_url_parse does */
    const char *schema, *host, *path, *query, *fragment;
    const char *note;
} llhttp_url_case;

static const llhttp_url_case llhttp_urls[] = {
    { "http://example.com/path?query=value#schema", 1, "http", "example.com", "/path", "query=value", "schema", "Absolute URL" },
    { "/path?query=value#schema", 1, NULL, NULL, "/path", "query=value", "schema", "Relative URL" },
    { "schema:/path?query=value#schema", 1, "schema", NULL, "/path", "query=value", "schema",
      "Failing on broken schema: llhttp rejects, RFC 3986 allows scheme \":\" path-absolute" },
    { "http://hostname/", 1, "http", "hostname", "/", NULL, NULL, "Proxy request" },
    { "http://hostname:444/", 1, "http", "hostname:444", "/", NULL, NULL, "Proxy request with port" },
    { "http://[1:2::3:4]/", 1, "http", "[1:2::3:4]", "/", NULL, NULL, "Proxy IPv6 request" },
    { "http://[1:2::3:4]:67/", 1, "http", "[1:2::3:4]:67", "/", NULL, NULL, "Proxy IPv6 request with port" },
    { "http://[2001:0000:0000:0000:0000:0000:1.9.1.1]/", 1, "http", "[2001:0000:0000:0000:0000:0000:1.9.1.1]", "/", NULL, NULL, "IPv4 in IPv6 address" },
    { "http://a.tbcdn.cn/p/fp/2010c/??fp-header-min.css,fp-base-min.css,fp-channel-min.css,fp-product-min.css,fp-mall-min.css,fp-category-min.css,fp-sub-min.css,fp-gdp4p-min.css,fp-css3-min.css,fp-misc-min.css?t=20101022.css", 1, "http", "a.tbcdn.cn", "/p/fp/2010c/", "?fp-header-min.css,fp-base-min.css,fp-channel-min.css,fp-product-min.css,fp-mall-min.css,fp-category-min.css,fp-sub-min.css,fp-gdp4p-min.css,fp-css3-min.css,fp-misc-min.css?t=20101022.css", NULL, "Extra ? in query string" },
    { "/toto.html?toto=a%20b", 1, NULL, NULL, "/toto.html", "toto=a%20b", NULL, "URL encoded space" },
    { "/toto.html#titi", 1, NULL, NULL, "/toto.html", NULL, "titi", "URL fragment" },
    { "http://www.webmasterworld.com/r.cgi?f=21&d=8405&url=http://www.example.com/index.html?foo=bar&hello=world#midpage", 1, "http", "www.webmasterworld.com", "/r.cgi", "f=21&d=8405&url=http://www.example.com/index.html?foo=bar&hello=world", "midpage", "Complex URL fragment" },
    { "http://host.com:8080/p/a/t/h?query=string#hash", 1, "http", "host.com:8080", "/p/a/t/h", "query=string", "hash", "Complex URL from node.js url parser doc" },
    { "http://a:b@host.com:8080/p/a/t/h?query=string#hash", 1, "http", "a:b@host.com:8080", "/p/a/t/h", "query=string", "hash", "Complex URL with basic auth" },
    { "http://a:b@@hostname:443/", 0, NULL, NULL, NULL, NULL, NULL, "Double @" },
    { "http://a%20:b@host.com/", 1, "http", "a%20:b@host.com", "/", NULL, NULL, "Proxy basic auth with url encoded space" },
    { "http://a!;-_!=+$@host.com/", 1, "http", "a!;-_!=+$@host.com", "/", NULL, NULL, "Proxy basic auth with unreserved chars" },
    { "http://[fe80::a%25eth0]/", 1, "http", "[fe80::a%25eth0]", "/", NULL, NULL, "IPv6 address with Zone ID" },
    { "http://[fe80::a%eth0]/", 1, "http", "[fe80::a%eth0]", "/", NULL, NULL, "IPv6 Zone ID, % not percent-encoded" },
    { "/foo\tbar/", 0, NULL, NULL, NULL, NULL, NULL, "Disallow tab in URL" },
    { "/foo\fbar/", 0, NULL, NULL, NULL, NULL, NULL, "Disallow form-feed in URL" },
};

static void check_part(const char *what, const char *note, tn_str got, int present, const char *want) {
    if (!want) {
        TN_CHECKF(!present && got.len == 0, "%s: %s should be absent, got \"%.*s\"", note, what, (int)got.len, got.ptr ? got.ptr : "");
        return;
    }
    TN_CHECKF(got.len == strlen(want) && memcmp(got.ptr, want, got.len) == 0,
              "%s: %s \"%.*s\" != \"%s\"", note, what, (int)got.len, got.ptr ? got.ptr : "", want);
}

TN_TEST(url_llhttp_cases) {
    size_t i;
    for (i = 0; i < sizeof llhttp_urls / sizeof llhttp_urls[0]; i++) {
        const llhttp_url_case *c = &llhttp_urls[i];
        size_t n = strlen(c->input);
        const char *g = guarded(c->input, n);
        tn_url u;
        int rc = tn_url_parse(tn_str_make(g, n), &u);
        if (!c->ok) {
            TN_CHECKF(rc == TN_EBAD_URL, "%s: want TN_EBAD_URL, got %s", c->note, tn_err_name(rc));
            continue;
        }
        TN_CHECKF(rc == 0, "%s: %s", c->note, tn_err_name(rc));
        check_part("scheme", c->note, u.scheme, (u.flags & TN_URL_HAS_SCHEME) != 0, c->schema);
        check_part("authority", c->note, u.authority, (u.flags & TN_URL_HAS_AUTHORITY) != 0, c->host);
        check_part("path", c->note, u.path, u.path.len != 0, c->path);
        check_part("query", c->note, u.query, (u.flags & TN_URL_HAS_QUERY) != 0, c->query);
        check_part("fragment", c->note, u.fragment, (u.flags & TN_URL_HAS_FRAGMENT) != 0, c->fragment);
    }
    {
        tn_url u;
        TN_OK_RC(tn_url_parse(S("http://a:b@host.com:8080/p"), &u));
        TN_EQ_TSTR(u.userinfo, "a:b");
        TN_EQ_TSTR(u.host, "host.com");
        TN_EQ_INT(u.port, 8080);
        TN_OK_RC(tn_url_parse(S("http://[fe80::a%25eth0]/"), &u));
        TN_EQ_TSTR(u.host, "fe80::a%25eth0");
    }
}

TN_TEST(url_resolve) {
    /* RFC 3986 sections 5.4.1 (normal) and 5.4.2 (abnormal), base "http://a/b/c/d;p?q" */
    static const char *const cases[][2] = {
        { "g:h", "g:h" }, { "g", "http://a/b/c/g" }, { "./g", "http://a/b/c/g" },
        { "g/", "http://a/b/c/g/" }, { "/g", "http://a/g" }, { "//g", "http://g" },
        { "?y", "http://a/b/c/d;p?y" }, { "g?y", "http://a/b/c/g?y" },
        { "#s", "http://a/b/c/d;p?q#s" }, { "g#s", "http://a/b/c/g#s" },
        { "g?y#s", "http://a/b/c/g?y#s" }, { ";x", "http://a/b/c/;x" },
        { "g;x", "http://a/b/c/g;x" }, { "g;x?y#s", "http://a/b/c/g;x?y#s" },
        { "", "http://a/b/c/d;p?q" }, { ".", "http://a/b/c/" }, { "./", "http://a/b/c/" },
        { "..", "http://a/b/" }, { "../", "http://a/b/" }, { "../g", "http://a/b/g" },
        { "../..", "http://a/" }, { "../../", "http://a/" }, { "../../g", "http://a/g" },
        { "../../../g", "http://a/g" }, { "../../../../g", "http://a/g" },
        { "/./g", "http://a/g" }, { "/../g", "http://a/g" }, { "g.", "http://a/b/c/g." },
        { ".g", "http://a/b/c/.g" }, { "g..", "http://a/b/c/g.." }, { "..g", "http://a/b/c/..g" },
        { "./../g", "http://a/b/g" }, { "./g/.", "http://a/b/c/g/" }, { "g/./h", "http://a/b/c/g/h" },
        { "g/../h", "http://a/b/c/h" }, { "g;x=1/./y", "http://a/b/c/g;x=1/y" },
        { "g;x=1/../y", "http://a/b/c/y" }, { "g?y/./x", "http://a/b/c/g?y/./x" },
        { "g?y/../x", "http://a/b/c/g?y/../x" }, { "g#s/./x", "http://a/b/c/g#s/./x" },
        { "g#s/../x", "http://a/b/c/g#s/../x" }, { "http:g", "http:g" },
    };
    size_t i, n;
    char out[256];
    tn_buf b;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = tn_url_resolve(S("http://a/b/c/d;p?q"), S(cases[i][0]), out, sizeof out, &n);
        TN_CHECKF(rc == 0, "\"%s\": %s", cases[i][0], tn_err_name(rc));
        TN_CHECKF(strcmp(out, cases[i][1]) == 0, "\"%s\" → \"%s\", want \"%s\"", cases[i][0], out, cases[i][1]);
        TN_EQ_UINT(n, strlen(cases[i][1]));
    }
    TN_OK_RC(tn_url_resolve(S("http://h"), S("x/y"), out, sizeof out, &n));   /* empty base path */
    TN_EQ_STR(out, "http://h/x/y");
    TN_OK_RC(tn_url_resolve(S("http://u@[::1]:8/a/b"), S("../c?d#e"), out, sizeof out, &n));
    TN_EQ_STR(out, "http://u@[::1]:8/c?d#e");
    TN_OK_RC(tn_url_resolve(S("https://h/p?q"), S("http://o/./a/../b"), out, sizeof out, &n));
    TN_EQ_STR(out, "http://o/b");
    TN_OK_RC(tn_url_resolve(S("https://h/p"), S("//o/x/../y"), out, sizeof out, &n));
    TN_EQ_STR(out, "https://o/y");
    TN_OK_RC(tn_url_resolve(S("mailto:a@b"), S("#f"), out, sizeof out, &n));
    TN_EQ_STR(out, "mailto:a@b#f");
    TN_EQ_RC(tn_url_resolve(S("/relative"), S("g"), out, sizeof out, &n), TN_EBAD_URL);
    TN_EQ_RC(tn_url_resolve(S("http://a/"), S("g h"), out, sizeof out, &n), TN_EBAD_URL);
    TN_EQ_RC(tn_url_resolve(S("http://a/"), S("g"), out, 10, &n), TN_EBUFFER_FULL);
    TN_EQ_UINT(n, 9 + 1 + 8);
    TN_EQ_RC(tn_url_resolve(S("http://a/"), S("g"), NULL, 0, &n), TN_EBUFFER_FULL);
    TN_OK_RC(tn_buf_init(&b, NULL));
    TN_OK_RC(tn_buf_append(&b, ">", 1));
    TN_OK_RC(tn_url_resolve_buf(&b, S("http://a/b/c/d;p?q"), S("../g?x")));
    TN_EQ_UINT(tn_buf_size(&b), strlen(">http://a/b/g?x"));
    TN_EQ_MEM(tn_buf_ptr(&b), ">http://a/b/g?x", tn_buf_size(&b));
    TN_EQ_RC(tn_url_resolve_buf(&b, S("x"), S("g")), TN_EBAD_URL);
    tn_buf_free(&b);
}

TN_TEST(remove_dot_segments) {
    static const char *const cases[][2] = {
        { "/a/b/c/./../../g", "/a/g" }, { "mid/content=5/../6", "mid/6" }, { "/../x", "/x" },
        { "/a/..", "/" }, { "/a/.", "/a/" }, { "/a/b/..", "/a/" }, { "..", "" }, { ".", "" },
        { "../../a", "a" }, { "./a/./b/", "a/b/" }, { "/a//../b", "/a/b" }, { "/.../x", "/.../x" },
        { "/a/..b/c", "/a/..b/c" }, { "/a/%2e%2e/b", "/a/%2e%2e/b" }, { "", "" }, { "/", "/" },
        { "/static/../../etc/passwd", "/etc/passwd" },
    };
    size_t i, n;
    char buf[64];
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        strcpy(buf, cases[i][0]);
        n = tn_url_remove_dot_segments(buf, strlen(buf));
        buf[n] = 0;
        TN_CHECKF(strcmp(buf, cases[i][1]) == 0, "\"%s\" → \"%s\", want \"%s\"", cases[i][0], buf, cases[i][1]);
    }
    TN_EQ_UINT(tn_url_remove_dot_segments(NULL, 3), 0);
}

TN_TEST(split_host_port) {
    tn_str h;
    int p;
    TN_OK_RC(tn_split_host_port(S("example.com:8080"), &h, &p));
    TN_EQ_TSTR(h, "example.com");
    TN_EQ_INT(p, 8080);
    TN_OK_RC(tn_split_host_port(S("example.com"), &h, &p));
    TN_EQ_TSTR(h, "example.com");
    TN_EQ_INT(p, -1);
    TN_OK_RC(tn_split_host_port(S("[::1]:443"), &h, &p));
    TN_EQ_TSTR(h, "::1");
    TN_EQ_INT(p, 443);
    TN_OK_RC(tn_split_host_port(S("[::1]"), &h, &p));
    TN_EQ_TSTR(h, "::1");
    TN_EQ_INT(p, -1);
    TN_OK_RC(tn_split_host_port(S("::1"), &h, &p));   /* bare IPv6: all host */
    TN_EQ_TSTR(h, "::1");
    TN_EQ_INT(p, -1);
    TN_OK_RC(tn_split_host_port(S("h:"), &h, &p));
    TN_EQ_TSTR(h, "h");
    TN_EQ_INT(p, -1);
    TN_OK_RC(tn_split_host_port(S(""), &h, &p));
    TN_EQ_INT(h.len, 0);
    TN_OK_RC(tn_split_host_port(S("h:0"), &h, &p));
    TN_EQ_INT(p, 0);
    TN_EQ_RC(tn_split_host_port(S("h:abc"), &h, &p), TN_EBAD_URL);
    TN_EQ_RC(tn_split_host_port(S("h:65536"), &h, &p), TN_EBAD_URL);
    TN_EQ_RC(tn_split_host_port(S("[::1"), &h, &p), TN_EBAD_URL);
    TN_EQ_RC(tn_split_host_port(S("[::1]x"), &h, &p), TN_EBAD_URL);
    TN_EQ_RC(tn_split_host_port(S("[::1]:x"), &h, &p), TN_EBAD_URL);
}

/* Every byte against the RFC 3986 classes (url.c keeps them in one packed table): a reg-name
   takes unreserved and sub-delims, IPvFuture adds ':', a zone id is unreserved and '%',
   userinfo is all four and bytes >= 0x80, tn_url_escape keeps unreserved (and '/'). */
TN_TEST(url_byte_classes) {
    int c;
    for (c = 0; c < 256; c++) {
        int u = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c && strchr("-._~", c));
        int sd = c && strchr("!$&'()*+,;=", c) != NULL;
        char in[8], url[40], out[8];
        size_t n;
        tn_url parsed;
        snprintf(in, sizeof in, "a%cb", c);
        in[1] = (char)c;
        TN_CHECKF((tn_url_parse_host_port(tn_str_make(in, 3), NULL, NULL) == TN_OK) == (u || sd), "reg-name byte 0x%02x", c);
        memcpy(url, "[v1.a", 5);
        url[5] = (char)c;
        if (c != ']') TN_CHECKF(tn_url_parse_host_port(tn_str_make(url, 6), NULL, NULL) != TN_OK, "unclosed 0x%02x", c);
        url[6] = ']';
        TN_CHECKF((tn_url_parse_host_port(tn_str_make(url, 7), NULL, NULL) == TN_OK) == (u || sd || c == ':'),
                  "IPvFuture byte 0x%02x", c);
        if (c > 0x20 && c != 0x7f && c != '/' && c != '?' && c != '#' && c != ']') {
            int n2 = snprintf(url, sizeof url, "http://[fe80::1%%e%cx]/", c);
            url[17] = (char)c;
            TN_CHECKF((tn_url_parse(tn_str_make(url, (size_t)n2), &parsed) == TN_OK) == (u || c == '%'), "zone id byte 0x%02x", c);
            n2 = snprintf(url, sizeof url, "http://u%cp@h/", c);
            url[8] = (char)c;
            TN_CHECKF((tn_url_parse(tn_str_make(url, (size_t)n2), &parsed) == TN_OK) == (u || sd || c == ':' || c == '%' || c >= 0x80),
                      "userinfo byte 0x%02x", c);
        }
        TN_OK_RC(tn_url_escape(tn_str_make(in + 1, 1), 0, out, sizeof out, &n));
        TN_CHECKF((n == 1) == (u || c == '/'), "escape of byte 0x%02x", c);
    }
}

/* The Host header's syntax (RFC 9110 §7.2, RFC 3986 §3.2.2-3.2.3): split and checked. */
TN_TEST(url_parse_host_port) {
    static const char *bad[] = {
        "a b", "a@b", "u:p@a", "a:b", "a:80x", "a:99999", "a:1:2", "::1", "[::1", "[::1]x", "[zz::1]",
        "[]", "[fe80::1%25eth0]", "[v1.]", "a/b", "a?b", "a#b", "a\"b", "a<b", "a>b", "a{b", "a|b",
        "a\\b", "a^b", "a`b", "a[b", "a]b", "%zz", "a%4", "a%", "caf\xc3\xa9", "a\x7f", "a\tb",
    };
    tn_str h;
    int p;
    size_t i;
    TN_OK_RC(tn_url_parse_host_port(S("example.com:8080"), &h, &p));
    TN_EQ_TSTR(h, "example.com");
    TN_EQ_INT(p, 8080);
    TN_OK_RC(tn_url_parse_host_port(S("[2001:db8::1]:443"), &h, &p));
    TN_EQ_TSTR(h, "2001:db8::1");
    TN_EQ_INT(p, 443);
    TN_OK_RC(tn_url_parse_host_port(S("[::ffff:1.2.3.4]"), &h, &p));
    TN_EQ_INT(p, -1);
    TN_OK_RC(tn_url_parse_host_port(S("[v7.a:b]"), &h, &p));
    TN_OK_RC(tn_url_parse_host_port(S("10.0.0.1"), &h, &p));
    {   /* IP-literals (RFC 3986 3.2.2): the IPv6address forms, and what is not one; an
           IPv4 part's dec-octets have no leading zero (before this, "::01.2.3.4" was taken) */
        static const char *ok6[] = {
            "[::]", "[1::]", "[1:2:3:4:5:6:7::]", "[::1:2:3:4:5:6:7]", "[1:2:3:4:5:6:7:8]", "[1::3:4:5:6:7:8]",
            "[::1.2.3.4]", "[1:2:3:4:5:6:1.2.3.4]", "[1:2:3:4:5::1.2.3.4]", "[::ffff:255.255.255.255]",
            "[::0.0.0.0]", "[ABCD:ef01::0000]", "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]",
        };
        static const char *bad6[] = {
            "[::01.2.3.4]", "[::1.2.3.04]", "[::1.00.3.4]", "[1:2:3:4:5:6::1.2.3.4]", "[::256.1.1.1]", "[1.2.3.4]",
            "[::1.2.3]", "[::1.2.3.4.5]", "[::1.2.3.4:1]", "[00000::1]", "[:1::]", "[1:::2]", "[1::2::3]",
            "[1:2:3:4:5:6:7:8::]", "[1:2:3:4::5:6:7:8]", "[1:2:3:4:5:6:7]", "[1:2:3:4:5:6:7:8:9]", "[::1:]",
            "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]", "[::g]", "[ ::1]", "[::1 ]",
        };
        for (i = 0; i < sizeof ok6 / sizeof ok6[0]; i++)
            TN_CHECKF(tn_url_parse_host_port(tn_str_make(ok6[i], strlen(ok6[i])), &h, &p) == TN_OK, "%s", ok6[i]);
        for (i = 0; i < sizeof bad6 / sizeof bad6[0]; i++)
            TN_CHECKF(tn_url_parse_host_port(tn_str_make(bad6[i], strlen(bad6[i])), &h, &p) == TN_EBAD_URL, "%s", bad6[i]);
        /* a NUL inside is refused, not read as the end */
        TN_EQ_RC(tn_url_parse_host_port(tn_str_make("[::1\0:1]", 8), &h, &p), TN_EBAD_URL);
        TN_EQ_RC(tn_url_parse_host_port(tn_str_make("[::1\0]", 6), &h, &p), TN_EBAD_URL);
    }
    TN_OK_RC(tn_url_parse_host_port(S("h:"), &h, &p));   /* port = *DIGIT: empty is valid */
    TN_EQ_TSTR(h, "h");
    TN_EQ_INT(p, -1);
    TN_OK_RC(tn_url_parse_host_port(S(""), &h, &p));
    TN_EQ_INT(h.len, 0);
    TN_OK_RC(tn_url_parse_host_port(tn_str_make(NULL, 0), NULL, NULL));
    TN_OK_RC(tn_url_parse_host_port(S("%7Euser.example"), NULL, NULL));
    TN_OK_RC(tn_url_parse_host_port(S("a-b_c~d!$&'()*+,;=.example"), NULL, NULL));
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
        TN_CHECKF(tn_url_parse_host_port(S(bad[i]), &h, &p) == TN_EBAD_URL, "\"%s\" accepted", bad[i]);
    /* tn_url_parse stays lenient where it was (raw IDN bytes, zone ids) and shares the split */
    {
        tn_url u;
        TN_OK_RC(tn_url_parse(S("http://caf\xc3\xa9.example:81/"), &u));
        TN_EQ_INT(u.port, 81);
        TN_OK_RC(tn_url_parse(S("http://[fe80::1%25eth0]:8080/x"), &u));
        TN_EQ_TSTR(u.host, "fe80::1%25eth0");
        TN_EQ_TSTR(u.port_str, "8080");
        TN_CHECK(u.flags & TN_URL_IPV6);
        TN_OK_RC(tn_url_parse(S("http://u@[::1]:/"), &u));
        TN_CHECK(u.flags & TN_URL_HAS_PORT);
        TN_EQ_INT(u.port_str.len, 0);
        TN_EQ_INT(u.port, -1);
        TN_EQ_RC(tn_url_parse(S("http://h:1:2/"), &u), TN_EBAD_URL);
        TN_EQ_RC(tn_url_parse(S("http://[::1]x/"), &u), TN_EBAD_URL);
    }
}

/* ---- escaping ---- */
TN_TEST(url_escape) {
    char out[128];
    size_t n = 0;
    tn_str in = S("a b/c~d&\xc3\xa9-_.!*'()+");
    TN_OK_RC(tn_url_escape(in, TN_URL_PLUS, out, sizeof out, &n));
    TN_EQ_STR(out, "a+b%2Fc~d%26%C3%A9-_.%21%2A%27%28%29%2B");   /* Python quote_plus */
    TN_EQ_UINT(n, strlen(out));
    TN_OK_RC(tn_url_escape(in, 0, out, sizeof out, &n));
    TN_EQ_STR(out, "a%20b/c~d%26%C3%A9-_.%21%2A%27%28%29%2B");     /* Python quote */
    /* size query, exact fit without NUL, too small */
    TN_OK_RC(tn_url_escape(S("a b"), 0, NULL, 0, &n));
    TN_EQ_UINT(n, 5);
    memset(out, 'X', sizeof out);
    TN_OK_RC(tn_url_escape(S("a b"), 0, out, 5, &n));
    TN_EQ_MEM(out, "a%20bX", 6);
    TN_EQ_RC(tn_url_escape(S("a b"), 0, out, 4, &n), TN_EBUFFER_FULL);
    TN_EQ_UINT(n, 5);
    TN_OK_RC(tn_url_escape(tn_str_make(NULL, 0), 0, out, sizeof out, &n));
    TN_EQ_UINT(n, 0);
    TN_EQ_STR(out, "");
    {   /* every byte value */
        char all[256], big[800];
        int i;
        for (i = 0; i < 256; i++) all[i] = (char)i;
        TN_OK_RC(tn_url_escape(tn_str_make(all, 256), 0, big, sizeof big, &n));
        TN_EQ_UINT(n, 66 + 1 + 189 * 3);   /* 66 unreserved, '/', the rest %XX */
        TN_OK_RC(tn_url_unescape(tn_str_make(big, n), TN_URL_STRICT, big, sizeof big, &n));
        TN_EQ_UINT(n, 256);
        TN_EQ_MEM(big, all, 256);
    }
}

TN_TEST(url_unescape) {
    char out[64], inplace[32];
    size_t n;
    TN_OK_RC(tn_url_unescape(S("a%20b+c%2b%2F"), TN_URL_PLUS, out, sizeof out, &n));
    TN_EQ_STR(out, "a b c+/");
    TN_OK_RC(tn_url_unescape(S("a%20b+c"), 0, out, sizeof out, &n));
    TN_EQ_STR(out, "a b+c");
    /* lenient: malformed escapes are copied */
    TN_OK_RC(tn_url_unescape(S("%zz%4%"), 0, out, sizeof out, &n));
    TN_EQ_STR(out, "%zz%4%");
    TN_OK_RC(tn_url_unescape(S("%e2%82%AC"), 0, out, sizeof out, &n));
    TN_EQ_STR(out, "\xe2\x82\xac");
    /* strict */
    TN_EQ_RC(tn_url_unescape(S("%zz"), TN_URL_STRICT, out, sizeof out, &n), TN_EBAD_ENCODING);
    TN_EQ_RC(tn_url_unescape(S("ab%4"), TN_URL_STRICT, out, sizeof out, &n), TN_EBAD_ENCODING);
    TN_EQ_RC(tn_url_unescape(S("ab%"), TN_URL_STRICT, out, sizeof out, &n), TN_EBAD_ENCODING);
    TN_OK_RC(tn_url_unescape(S("ab%41"), TN_URL_STRICT, out, sizeof out, &n));
    TN_EQ_STR(out, "abA");
    /* in place */
    strcpy(inplace, "x%41+%42y");
    TN_OK_RC(tn_url_unescape(S(inplace), TN_URL_PLUS, inplace, sizeof inplace, &n));
    TN_EQ_STR(inplace, "xA By");
    /* size query, too small */
    TN_OK_RC(tn_url_unescape(S("%41%42"), 0, NULL, 0, &n));
    TN_EQ_UINT(n, 2);
    TN_EQ_RC(tn_url_unescape(S("%41%42"), 0, out, 1, &n), TN_EBUFFER_FULL);
}

TN_TEST(url_concat) {
    char out[256];
    size_t n;
    tn_str yz[4], yy[4];
    tn_buf b;
    yz[0] = S("y"); yz[1] = S("y"); yz[2] = S("z"); yz[3] = S("z");
    yy[0] = S("y"); yy[1] = S("y"); yy[2] = S("y"); yy[3] = S("yy");
    /* Tornado's httputil_test cases (where Tornado re-encodes an existing "?x" as "?x=",
       the existing query is kept verbatim here) */
    TN_OK_RC(tn_url_concat(S("https://localhost/path"), yz, 2, out, sizeof out, &n));
    TN_EQ_STR(out, "https://localhost/path?y=y&z=z");
    TN_OK_RC(tn_url_concat(S("https://localhost/path?x"), yz, 2, out, sizeof out, &n));
    TN_EQ_STR(out, "https://localhost/path?x&y=y&z=z");
    TN_OK_RC(tn_url_concat(S("https://localhost/path?x&"), yz, 2, out, sizeof out, &n));
    TN_EQ_STR(out, "https://localhost/path?x&y=y&z=z");
    TN_OK_RC(tn_url_concat(S("https://localhost/path?a=1&b=2"), yz, 2, out, sizeof out, &n));
    TN_EQ_STR(out, "https://localhost/path?a=1&b=2&y=y&z=z");
    TN_OK_RC(tn_url_concat(S("https://localhost/path?r=1&t=2"), yy, 2, out, sizeof out, &n));
    TN_EQ_STR(out, "https://localhost/path?r=1&t=2&y=y&y=yy");
    TN_OK_RC(tn_url_concat(S("https://localhost/path?r=1&t=2"), yy, 0, out, sizeof out, &n));
    TN_EQ_STR(out, "https://localhost/path?r=1&t=2");
    TN_OK_RC(tn_url_concat(S("https://localhost/path?"), yz, 2, out, sizeof out, &n));
    TN_EQ_STR(out, "https://localhost/path?y=y&z=z");
    TN_OK_RC(tn_url_concat(S("https://localhost/path#tab?x"), yz, 1, out, sizeof out, &n));
    TN_EQ_STR(out, "https://localhost/path?y=y#tab?x");
    TN_OK_RC(tn_url_concat(S("/p?a=1#f"), yz, 1, out, sizeof out, &n));
    TN_EQ_STR(out, "/p?a=1&y=y#f");
    {
        tn_str sp[2];
        sp[0] = S("a b&c"); sp[1] = S("d=e/f\xc3\xa9");
        TN_OK_RC(tn_url_concat(S(""), sp, 1, out, sizeof out, &n));
        TN_EQ_STR(out, "?a+b%26c=d%3De%2Ff%C3%A9");
        TN_EQ_RC(tn_url_concat(S("/x"), sp, 1, out, 5, &n), TN_EBUFFER_FULL);
        TN_EQ_UINT(n, strlen("/x?a+b%26c=d%3De%2Ff%C3%A9"));
    }
    TN_OK_RC(tn_buf_init(&b, NULL));
    TN_OK_RC(tn_buf_append(&b, "X", 1));
    TN_OK_RC(tn_url_concat_buf(&b, S("/p#f"), yz, 2));
    TN_EQ_UINT(tn_buf_size(&b), strlen("X/p?y=y&z=z#f"));
    TN_EQ_MEM(tn_buf_ptr(&b), "X/p?y=y&z=z#f", tn_buf_size(&b));
    tn_buf_free(&b);
}

TN_TEST(form_encode) {
    char out[128];
    size_t n;
    tn_str kv[6];
    tn_buf b;
    kv[0] = S("a"); kv[1] = S("1"); kv[2] = S("b"); kv[3] = S("x y"); kv[4] = S(""); kv[5] = S("");
    TN_OK_RC(tn_form_encode(kv, 3, out, sizeof out, &n));
    TN_EQ_STR(out, "a=1&b=x+y&=");
    TN_OK_RC(tn_form_encode(kv, 0, out, sizeof out, &n));
    TN_EQ_STR(out, "");
    TN_OK_RC(tn_buf_init(&b, NULL));
    TN_OK_RC(tn_form_encode_buf(&b, kv, 2));
    TN_EQ_UINT(tn_buf_size(&b), 9);
    TN_EQ_MEM(tn_buf_ptr(&b), "a=1&b=x+y", 9);
    tn_buf_free(&b);
}

/* A failing allocator: the *_buf formatters must leave the buffer unchanged. */
static int fail_now;
static void *fa_alloc(size_t n, void *u) { (void)u; return fail_now ? NULL : malloc(n); }
static void *fa_realloc(void *p, size_t n, void *u) { (void)u; return fail_now ? NULL : realloc(p, n); }
static void fa_free(void *p, void *u) { (void)u; free(p); }

/* tn_buf: consume from the front, write in place (reserve, commit), truncate, capacity. */
TN_TEST(buf_in_place) {
    tn_buf b;
    size_t cap;
    TN_OK_RC(tn_buf_init(&b, NULL));
    TN_EQ_UINT(tn_buf_capacity(&b), 0);
    TN_OK_RC(tn_buf_append(&b, "hello world", 11));
    tn_buf_consume(&b, 6);
    TN_EQ_MEM(tn_buf_ptr(&b), "world", 5);
    TN_OK_RC(tn_buf_reserve(&b, 16));
    cap = tn_buf_capacity(&b);
    TN_CHECK(cap >= 5 + 16);
    memcpy(tn_buf_ptr(&b) + tn_buf_size(&b), "!?", 2);
    tn_buf_commit(&b, 1);                          /* only the '!' counts */
    TN_EQ_UINT(tn_buf_size(&b), 6);
    TN_EQ_MEM(tn_buf_ptr(&b), "world!", 6);
    tn_buf_commit(&b, (size_t)-1);                 /* clamped to the room there is */
    TN_CHECK(tn_buf_size(&b) <= cap);
    TN_EQ_UINT(tn_buf_capacity(&b), cap);
    tn_buf_truncate(&b, 3);
    TN_EQ_UINT(tn_buf_size(&b), 3);
    TN_EQ_MEM(tn_buf_ptr(&b), "wor", 3);
    tn_buf_truncate(&b, 10);                       /* not smaller: nothing changes */
    TN_EQ_UINT(tn_buf_size(&b), 3);
    TN_OK_RC(tn_buf_append(&b, "ld", 2));
    TN_EQ_MEM(tn_buf_ptr(&b), "world", 5);
    tn_buf_truncate(&b, 0);
    TN_EQ_UINT(tn_buf_size(&b), 0);
    tn_buf_free(&b);
    TN_EQ_UINT(tn_buf_capacity(&b), 0);
}

/* tn_buf growth: the consumed front reclaimed in place, a fresh copy of the live bytes, a
   realloc; the bytes kept each time; a failed growth leaves the buffer as it was. */
static int buf_holds(const tn_buf *b, size_t from, size_t n) {
    size_t i;
    if (tn_buf_size(b) != n) return 0;
    for (i = 0; i < n; i++)
        if (tn_buf_ptr(b)[i] != (char)('a' + (from + i) % 26)) return 0;
    return 1;
}

TN_TEST(buf_growth_paths) {
    tn_allocator a;
    tn_buf b;
    char src[10000];
    size_t i;
    for (i = 0; i < sizeof src; i++) src[i] = (char)('a' + i % 26);
    a.alloc = fa_alloc;
    a.realloc = fa_realloc;
    a.free = fa_free;
    a.user = NULL;
    TN_OK_RC(tn_buf_init(&b, &a));
    TN_OK_RC(tn_buf_append(&b, src, 4000));
    TN_EQ_UINT(tn_buf_capacity(&b), 4096);
    tn_buf_consume(&b, 2600);                    /* 1400 live behind 2600 consumed */
    TN_OK_RC(tn_buf_reserve(&b, 2000));          /* fits once the front is reclaimed */
    TN_EQ_UINT(tn_buf_capacity(&b), 4096);
    TN_CHECK(buf_holds(&b, 2600, 1400));
    TN_OK_RC(tn_buf_append(&b, src + 4000, 2696));   /* full: 4096 live */
    TN_EQ_UINT(tn_buf_capacity(&b), 4096);
    tn_buf_consume(&b, 100);
    TN_OK_RC(tn_buf_reserve(&b, 200));           /* a fresh 8 KiB with the live bytes */
    TN_EQ_UINT(tn_buf_capacity(&b), 8192);
    TN_CHECK(buf_holds(&b, 2700, 3996));
    TN_OK_RC(tn_buf_reserve(&b, 10000));         /* nothing consumed: realloc */
    TN_EQ_UINT(tn_buf_capacity(&b), 16384);
    TN_CHECK(buf_holds(&b, 2700, 3996));
    fail_now = 1;
    TN_EQ_RC(tn_buf_reserve(&b, 20000), TN_ENOMEM);
    tn_buf_consume(&b, 1);
    TN_EQ_RC(tn_buf_reserve(&b, 20000), TN_ENOMEM);
    TN_EQ_RC(tn_buf_reserve(&b, (size_t)-1 / 2), TN_ENOMEM);
    fail_now = 0;
    TN_EQ_UINT(tn_buf_capacity(&b), 16384);
    TN_CHECK(buf_holds(&b, 2701, 3995));
    tn_buf_free(&b);
}

TN_TEST(buf_variants_enomem) {
    tn_allocator a;
    tn_buf b;
    tn_str kv[2];
    a.alloc = fa_alloc;
    a.realloc = fa_realloc;
    a.free = fa_free;
    a.user = NULL;
    kv[0] = S("k");
    kv[1] = S("v");
    TN_OK_RC(tn_buf_init(&b, &a));
    TN_OK_RC(tn_buf_append(&b, "abc", 3));
    fail_now = 1;
    {
        char big[5000];
        memset(big, '<', sizeof big);
        TN_EQ_RC(tn_xhtml_escape_buf(&b, tn_str_make(big, sizeof big)), TN_ENOMEM);
        TN_EQ_RC(tn_json_escape_buf(&b, tn_str_make(big, sizeof big)), TN_ENOMEM);
        TN_EQ_RC(tn_url_escape_buf(&b, tn_str_make(big, sizeof big), 0), TN_ENOMEM);
        TN_EQ_RC(tn_url_concat_buf(&b, tn_str_make(big, sizeof big), kv, 1), TN_ENOMEM);
        TN_EQ_RC(tn_form_encode_buf(&b, kv, 1), TN_OK);   /* fits in the existing 4 KB */
    }
    TN_EQ_UINT(tn_buf_size(&b), 6);
    TN_EQ_MEM(tn_buf_ptr(&b), "abck=v", 6);
    fail_now = 0;
    TN_OK_RC(tn_url_escape_buf(&b, S("a b"), TN_URL_PLUS));
    TN_EQ_MEM(tn_buf_ptr(&b), "abck=va+b", 9);
    TN_EQ_RC(tn_url_escape_buf(NULL, S("x"), 0), TN_EINVAL);
    tn_buf_free(&b);
}

/* ---- query strings ---- */
TN_TEST(query_iter_raw) {
    tn_query_iter it;
    tn_str k, v;
    tn_query_iter_init(&it, S("a=1&b=&c&&a=2&=x&d=e=f&"), 0);
    TN_EQ_INT(tn_query_next(&it, &k, &v), 1); TN_EQ_TSTR(k, "a"); TN_EQ_TSTR(v, "1");
    TN_EQ_INT(tn_query_next(&it, &k, &v), 1); TN_EQ_TSTR(k, "b"); TN_EQ_TSTR(v, "");
    TN_EQ_INT(tn_query_next(&it, &k, &v), 1); TN_EQ_TSTR(k, "c"); TN_EQ_TSTR(v, "");
    TN_EQ_INT(tn_query_next(&it, &k, &v), 1); TN_EQ_TSTR(k, "a"); TN_EQ_TSTR(v, "2");
    TN_EQ_INT(tn_query_next(&it, &k, &v), 1); TN_EQ_TSTR(k, ""); TN_EQ_TSTR(v, "x");
    TN_EQ_INT(tn_query_next(&it, &k, &v), 1); TN_EQ_TSTR(k, "d"); TN_EQ_TSTR(v, "e=f");
    TN_EQ_INT(tn_query_next(&it, &k, &v), 0);
    TN_EQ_INT(tn_query_next(&it, &k, &v), 0);
    tn_query_iter_init(&it, tn_str_make(NULL, 0), 0);
    TN_EQ_INT(tn_query_next(&it, &k, &v), 0);
    tn_query_iter_init(&it, S("&&&"), 0);
    TN_EQ_INT(tn_query_next(&it, &k, &v), 0);
    tn_query_iter_init(&it, S(";a=1;b"), 0);   /* ';' is not a separator */
    TN_EQ_INT(tn_query_next(&it, &k, &v), 1); TN_EQ_TSTR(k, ";a"); TN_EQ_TSTR(v, "1;b");
}

TN_TEST(query_iter_decoded) {
    tn_query_iter it;
    tn_str k, v;
    char buf[64], body[64];
    tn_query_iter_init(&it, S("na+me=J%C3%B6rg+M%26M&x=%zz&y=%41"), 0);
    TN_EQ_INT(tn_query_next_decoded(&it, buf, sizeof buf, &k, &v), 1);
    TN_EQ_TSTR(k, "na me");
    TN_EQ_TSTR(v, "J\xc3\xb6rg M&M");
    TN_EQ_INT(tn_query_next_decoded(&it, buf, sizeof buf, &k, &v), 1);
    TN_EQ_TSTR(v, "%zz");   /* lenient */
    TN_EQ_INT(tn_query_next_decoded(&it, buf, 1, &k, &v), TN_EBUFFER_FULL);
    TN_EQ_INT(tn_query_next_decoded(&it, buf, sizeof buf, &k, &v), 0);
    /* strict: the bad pair is reported, iteration continues */
    tn_query_iter_init(&it, S("x=%zz&y=%41"), TN_URL_STRICT);
    TN_EQ_INT(tn_query_next_decoded(&it, buf, sizeof buf, &k, &v), TN_EBAD_ENCODING);
    TN_EQ_INT(tn_query_next_decoded(&it, buf, sizeof buf, &k, &v), 1);
    TN_EQ_TSTR(k, "y");
    TN_EQ_TSTR(v, "A");
    /* in place over a writable form body */
    strcpy(body, "a=%31+2&b%5B%5D=&c");
    tn_query_iter_init(&it, S(body), 0);
    TN_EQ_INT(tn_query_next_decoded(&it, NULL, 0, &k, &v), 1);
    TN_EQ_TSTR(k, "a"); TN_EQ_TSTR(v, "1 2");
    TN_EQ_INT(tn_query_next_decoded(&it, NULL, 0, &k, &v), 1);
    TN_EQ_TSTR(k, "b[]"); TN_EQ_TSTR(v, "");
    TN_EQ_INT(tn_query_next_decoded(&it, NULL, 0, &k, &v), 1);
    TN_EQ_TSTR(k, "c"); TN_EQ_TSTR(v, "");
    TN_EQ_INT(tn_query_next_decoded(&it, NULL, 0, &k, &v), 0);
}

TN_TEST(query_iter_limit) {
    size_t n = TORNADO_MAX_QUERY_PAIRS + 1, i, got = 0;
    char *q = (char *)malloc(n * 2);
    tn_query_iter it;
    tn_str k, v;
    int r;
    for (i = 0; i < n; i++) { q[2 * i] = 'a'; q[2 * i + 1] = '&'; }
    tn_query_iter_init(&it, tn_str_make(q, n * 2), 0);
    while ((r = tn_query_next(&it, &k, &v)) == 1) got++;
    TN_EQ_RC(r, TN_ELIMIT);
    TN_EQ_UINT(got, TORNADO_MAX_QUERY_PAIRS);
    TN_EQ_RC(tn_query_next(&it, &k, &v), TN_ELIMIT);
    free(q);
}

/* ---- header parameters ---- */
TN_TEST(header_params) {
    tn_param_iter it;
    tn_str mv, n, raw, v;
    char buf[128];
    tn_str h = S("  multipart/form-data ; boundary=\"x y\";charset=utf-8;  flag ; q = 1 ");
    mv = tn_header_value(h, &it);
    TN_EQ_TSTR(mv, "multipart/form-data");
    TN_EQ_INT(tn_param_next(&it, &n, &raw), 1); TN_EQ_TSTR(n, "boundary"); TN_EQ_TSTR(raw, "\"x y\"");
    TN_EQ_INT(tn_param_next(&it, &n, &raw), 1); TN_EQ_TSTR(n, "charset"); TN_EQ_TSTR(raw, "utf-8");
    TN_EQ_INT(tn_param_next(&it, &n, &raw), 1); TN_EQ_TSTR(n, "q"); TN_EQ_TSTR(raw, "1");
    TN_EQ_INT(tn_param_next(&it, &n, &raw), 0);
    TN_EQ_TSTR(tn_header_value(S("text/html"), NULL), "text/html");
    TN_EQ_TSTR(tn_header_value(S(""), NULL), "");

    TN_OK_RC(tn_header_param(h, "BOUNDARY", buf, sizeof buf, &v));
    TN_EQ_TSTR(v, "x y");
    TN_CHECK(v.ptr > h.ptr && v.ptr < h.ptr + h.len);   /* zero-copy */
    TN_EQ_RC(tn_header_param(h, "missing", buf, sizeof buf, &v), TN_ENOENT);
    TN_EQ_RC(tn_header_param(h, "flag", buf, sizeof buf, &v), TN_ENOENT);

    h = S("form-data; name=\"a\\\"b\\\\c\"; filename=\"C:\\dir\\f.txt\"");
    TN_OK_RC(tn_header_param(h, "name", buf, sizeof buf, &v));
    TN_EQ_TSTR(v, "a\"b\\c");
    TN_CHECK(v.ptr == buf);
    TN_EQ_RC(tn_header_param(h, "name", NULL, 0, &v), TN_EBUFFER_FULL);
    TN_EQ_RC(tn_header_param(h, "name", buf, 4, &v), TN_EBUFFER_FULL);
    TN_OK_RC(tn_header_param(h, "filename", buf, sizeof buf, &v));
    TN_EQ_TSTR(v, "C:\\dir\\f.txt");   /* Tornado keeps other backslashes */
    TN_OK_RC(tn_header_param(S("form-data; name=\"a;b\"; x=1"), "name", buf, sizeof buf, &v));
    TN_EQ_TSTR(v, "a;b");
    TN_OK_RC(tn_header_param(S("form-data; name=\"a;b\"; x=1"), "x", buf, sizeof buf, &v));
    TN_EQ_TSTR(v, "1");
    TN_OK_RC(tn_header_param(S("a; name=\"\""), "name", buf, sizeof buf, &v));
    TN_EQ_TSTR(v, "");
    TN_OK_RC(tn_header_param(S("a; name="), "name", buf, sizeof buf, &v));
    TN_EQ_TSTR(v, "");

    /* RFC 8187 / 5987 extended values */
    h = S("attachment; filename=\"EURO rates\"; filename*=utf-8''%e2%82%ac%20rates");
    TN_OK_RC(tn_header_param(h, "filename", buf, sizeof buf, &v));
    TN_EQ_TSTR(v, "\xe2\x82\xac rates");
    h = S("attachment; filename*=iso-8859-1'en'%A3%20rates");
    TN_OK_RC(tn_header_param(h, "filename", buf, sizeof buf, &v));
    TN_EQ_TSTR(v, "\xc2\xa3 rates");
    h = S("attachment; filename*=koi8-r''%C1; filename=plain");
    TN_OK_RC(tn_header_param(h, "filename", buf, sizeof buf, &v));   /* falls back */
    TN_EQ_TSTR(v, "plain");
    TN_EQ_RC(tn_header_param(S("a; filename*=utf-8''%zz"), "filename", buf, sizeof buf, &v), TN_EPARSE);
    TN_EQ_RC(tn_header_param(S("a; filename*=utf-8'%41"), "filename", buf, sizeof buf, &v), TN_EPARSE);
    TN_EQ_RC(tn_header_param(S("a; filename*=utf-8''a b"), "filename", buf, sizeof buf, &v), TN_EPARSE);
    TN_EQ_RC(tn_header_param(S("a; filename*=utf-8''%41"), "filename", buf, 0, &v), TN_EBUFFER_FULL);

    /* malformed */
    TN_EQ_RC(tn_header_param(S("a; name=\"abc"), "name", buf, sizeof buf, &v), TN_EPARSE);
    TN_EQ_RC(tn_header_param(S("a; name=\"abc\\\""), "name", buf, sizeof buf, &v), TN_EPARSE);
    TN_EQ_RC(tn_header_param(S("a; name=\"a\"x; b=1"), "b", buf, sizeof buf, &v), TN_EPARSE);
    TN_EQ_RC(tn_header_param(S("a; name=x"), NULL, buf, sizeof buf, &v), TN_EINVAL);

    /* unquote in place */
    {
        char q[32];
        strcpy(q, "\"a\\\\b\\\"c\\d\"");
        TN_OK_RC(tn_param_unquote(S(q), q, sizeof q, &v));
        TN_EQ_TSTR(v, "a\\b\"c\\d");
        TN_OK_RC(tn_param_unquote(S("token"), NULL, 0, &v));
        TN_EQ_TSTR(v, "token");
        TN_OK_RC(tn_param_unquote(S("\""), NULL, 0, &v));
        TN_EQ_TSTR(v, "\"");
    }
}

/* ======================================================================================
   Dates
   ====================================================================================== */

static void fmt_gm(int64_t t, char *out) {
    struct tm tm;
    time_t tt = (time_t)t;
    static const char *wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *mo[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
#if defined(_WIN32)
    if (!gmtime_r(&tt, &tm)) TN_SKIP("Windows' gmtime (the oracle) covers 1970 to 3000 only: %lld", (long long)t);
#endif
    TN_CHECK(gmtime_r(&tt, &tm) != NULL);
    /* strftime's %Y does not zero-pad years below 1000, so format the fields by hand */
    TN_CHECK(sprintf(out, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday], tm.tm_mday, mo[tm.tm_mon],
                     tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec) == 29);
    if (tm.tm_year + 1900 >= 1000) {
        char viaf[64];
        TN_CHECK(strftime(viaf, sizeof viaf, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 29);
        TN_EQ_STR(viaf, out);
    }
}

TN_TEST(date_format_known) {
    char out[TN_HTTP_DATE_LEN + 1];
    TN_OK_RC(tn_http_date_format(0, out));
    TN_EQ_STR(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    TN_OK_RC(tn_http_date_format(784111777, out));
    TN_EQ_STR(out, "Sun, 06 Nov 1994 08:49:37 GMT");
    TN_OK_RC(tn_http_date_format(1359312200, out));   /* Tornado's test_format_timestamp */
    TN_EQ_STR(out, "Sun, 27 Jan 2013 18:43:20 GMT");
    TN_OK_RC(tn_http_date_format(951782400, out));
    TN_EQ_STR(out, "Tue, 29 Feb 2000 00:00:00 GMT");
    TN_OK_RC(tn_http_date_format(-1, out));
    TN_EQ_STR(out, "Wed, 31 Dec 1969 23:59:59 GMT");
    TN_OK_RC(tn_http_date_format(-62135596800LL, out));
    TN_EQ_STR(out, "Mon, 01 Jan 0001 00:00:00 GMT");
    TN_OK_RC(tn_http_date_format(253402300799LL, out));
    TN_EQ_STR(out, "Fri, 31 Dec 9999 23:59:59 GMT");
    TN_EQ_RC(tn_http_date_format(-62135596801LL, out), TN_EINVAL);
    TN_EQ_RC(tn_http_date_format(253402300800LL, out), TN_EINVAL);
    TN_EQ_RC(tn_http_date_format(0, NULL), TN_EINVAL);
}

TN_TEST(date_roundtrip_vs_gmtime) {
    /* many timestamps: every day boundary +- 1 s over 1969..2101, then a pseudo-random
       spread over years 1..9999; format must equal strftime(gmtime_r) and parse back */
    char a[TN_HTTP_DATE_LEN + 1], b[64];
    int64_t t, back;
    uint64_t x = 88172645463325252ULL;
    long count = 0;
    for (t = -86400LL * 366; t < 4133980800LL; t += 86400) {
        int64_t d;
        for (d = -1; d <= 1; d++) {
            fmt_gm(t + d, b);
            TN_OK_RC(tn_http_date_format(t + d, a));
            TN_EQ_STR(a, b);
            TN_OK_RC(tn_http_date_parse(S(a), &back));
            TN_EQ_INT(back, t + d);
            count++;
        }
    }
    for (count = 0; count < 200000; count++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        t = -62135596800LL + (int64_t)(x % (253402300799ULL + 62135596800ULL + 1));
        fmt_gm(t, b);
        TN_OK_RC(tn_http_date_format(t, a));
        TN_EQ_STR(a, b);
        TN_OK_RC(tn_http_date_parse(S(a), &back));
        TN_EQ_INT(back, t);
    }
}

TN_TEST(date_format_every_day) {
    /* every day of years 1 to 9999 (3,652,059 of them), each at another second of the day:
       format must equal gmtime_r's fields (tn_http_date_format's calendar arithmetic has
       no branch per era or century, so a wrong day would show somewhere here) */
    char a[TN_HTTP_DATE_LEN + 1], b[64];
    int64_t d;
    for (d = 0; d <= 3652058; d++) {
        int64_t t = -62135596800LL + d * 86400 + d * 7919 % 86400;
        fmt_gm(t, b);
        TN_OK_RC(tn_http_date_format(t, a));
        TN_EQ_STR(a, b);
    }
}

TN_TEST(date_parse_forms) {
    int64_t t;
    TN_OK_RC(tn_http_date_parse(S("Sun, 06 Nov 1994 08:49:37 GMT"), &t));
    TN_EQ_INT(t, 784111777);
    TN_OK_RC(tn_http_date_parse(S("Sunday, 06-Nov-94 08:49:37 GMT"), &t));
    TN_EQ_INT(t, 784111777);
    TN_OK_RC(tn_http_date_parse(S("Sun Nov  6 08:49:37 1994"), &t));
    TN_EQ_INT(t, 784111777);
    TN_OK_RC(tn_http_date_parse(S("Sun Nov 06 08:49:37 1994"), &t));
    TN_EQ_INT(t, 784111777);
    TN_OK_RC(tn_http_date_parse(S("  sun, 06 nov 1994 08:49:37 GMT \t"), &t));
    TN_EQ_INT(t, 784111777);
    TN_OK_RC(tn_http_date_parse(S("Mon, 06 Nov 1994 08:49:37 GMT"), &t));   /* weekday not checked */
    TN_EQ_INT(t, 784111777);
    TN_OK_RC(tn_http_date_parse(S("Thursday, 01-Jan-70 00:00:00 GMT"), &t));
    TN_EQ_INT(t, 0);
    TN_OK_RC(tn_http_date_parse(S("Saturday, 01-Jan-00 00:00:00 GMT"), &t));
    TN_EQ_INT(t, 946684800);
    TN_OK_RC(tn_http_date_parse(S("Wednesday, 31-Dec-69 23:59:59 GMT"), &t));
    TN_EQ_INT(t, 3155759999LL);   /* 2069 */
    TN_OK_RC(tn_http_date_parse(S("Tue, 29 Feb 2000 00:00:00 GMT"), &t));
    TN_OK_RC(tn_http_date_parse(S("Thu, 29 Feb 2024 12:00:00 GMT"), &t));
    TN_OK_RC(tn_http_date_parse(S("Wed, 31 Dec 2008 23:59:60 GMT"), &t));   /* leap second */
    TN_EQ_INT(t, 1230768000);
    /* invalid */
    TN_EQ_RC(tn_http_date_parse(S("Thu, 29 Feb 1900 00:00:00 GMT"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sun, 31 Apr 1994 08:49:37 GMT"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sun, 00 Nov 1994 08:49:37 GMT"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sun, 06 Nov 1994 24:00:00 GMT"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sun, 06 Nov 1994 08:60:00 GMT"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sun, 06 Nov 1994 08:49:61 GMT"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sun, 06 Xyz 1994 08:49:37 GMT"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sun, 06 Nov 1994 08:49:37 UTC"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sun, 06 Nov 1994 08:49:37"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sun, 06 Nov 1994 08:49:37 GMTx"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sun, 6 Nov 1994 08:49:37 GMT"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sun, 06 Nov 94 08:49:37 GMT"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Xyz, 06 Nov 1994 08:49:37 GMT"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sundae, 06-Nov-94 08:49:37 GMT"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sunday, 06-Nov-1994 08:49:37 GMT"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sun Nov  6 08:49:37 94"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sun Nov 6 08:49:37 1994"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("1994-11-06T08:49:37Z"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S(""), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sun,"), &t), TN_EPARSE);
    TN_EQ_RC(tn_http_date_parse(S("Sun, 06 Nov 1994 08:49:37 GMT"), NULL), TN_EINVAL);
}

/* ======================================================================================
   Range
   ====================================================================================== */

static void range1(const char *h, uint64_t size, uint64_t first, uint64_t last) {
    tn_range r[4];
    size_t n = 99;
    int rc = tn_range_parse(S(h), size, r, 4, &n);
    TN_CHECKF(rc == 0 && n == 1, "\"%s\" size %llu: %s, n=%zu", h, (unsigned long long)size, tn_err_name(rc), n);
    TN_CHECKF(r[0].first == first && r[0].last == last, "\"%s\": [%llu,%llu] != [%llu,%llu]", h,
              (unsigned long long)r[0].first, (unsigned long long)r[0].last,
              (unsigned long long)first, (unsigned long long)last);
}

static void range_rc(const char *h, uint64_t size, int want) {
    tn_range r[4];
    size_t n = 99;
    int rc = tn_range_parse(S(h), size, r, 4, &n);
    TN_CHECKF(rc == want, "\"%s\": %s, want %s", h, tn_err_name(rc), tn_err_name(want));
    TN_EQ_UINT(n, 0);
}

TN_TEST(range_parse) {
    tn_range r[4];
    size_t n;
    /* RFC 9110 14.1.2 examples, size 10000 */
    range1("bytes=0-499", 10000, 0, 499);
    range1("bytes=500-999", 10000, 500, 999);
    range1("bytes=-500", 10000, 9500, 9999);
    range1("bytes=9500-", 10000, 9500, 9999);
    range1("bytes=0-0", 10000, 0, 0);
    range1("bytes=-1", 10000, 9999, 9999);
    range1("BYTES=0-", 10000, 0, 9999);
    range1("bytes=0-99999", 10000, 0, 9999);   /* clamped */
    range1("bytes=0-99999999999999999999999", 10000, 0, 9999);   /* saturated */
    range1("bytes=-20000", 10000, 0, 9999);
    range1("bytes=9999-9999", 10000, 9999, 9999);
    range1(" bytes=, 5-6 ,, ", 10000, 5, 6);
    range1("bytes=10000-,0-1", 10000, 0, 1);   /* the unsatisfiable one is dropped */
    TN_OK_RC(tn_range_parse(S("bytes=0-0,-1, 500-600"), 10000, r, 4, &n));
    TN_EQ_UINT(n, 3);
    TN_EQ_UINT(r[1].first, 9999);
    TN_EQ_UINT(r[2].first, 500);
    TN_EQ_UINT(r[2].last, 600);
    /* unsatisfiable → 416 */
    range_rc("bytes=10000-", 10000, TN_EBAD_RANGE);
    range_rc("bytes=10000-20000", 10000, TN_EBAD_RANGE);
    range_rc("bytes=-0", 10000, TN_EBAD_RANGE);
    range_rc("bytes=0-", 0, TN_EBAD_RANGE);
    range_rc("bytes=-5", 0, TN_EBAD_RANGE);
    range_rc("bytes=99999999999999999999999-", 10, TN_EBAD_RANGE);
    /* invalid → ignore the header */
    range_rc("bytes=5-4", 10000, TN_EPARSE);
    range_rc("items=0-1", 10000, TN_EPARSE);
    range_rc("bytes=", 10000, TN_EPARSE);
    range_rc("bytes=,", 10000, TN_EPARSE);
    range_rc("bytes", 10000, TN_EPARSE);
    range_rc("bytes =0-1", 10000, TN_EPARSE);
    range_rc("bytes=a-b", 10000, TN_EPARSE);
    range_rc("bytes=0-1x", 10000, TN_EPARSE);
    range_rc("bytes=0", 10000, TN_EPARSE);
    range_rc("bytes=-", 10000, TN_EPARSE);
    range_rc("bytes=--1", 10000, TN_EPARSE);
    range_rc("bytes=1-2-3", 10000, TN_EPARSE);
    range_rc("bytes=0-1;x", 10000, TN_EPARSE);
    range_rc("bytes=0 - 1", 10000, TN_EPARSE);
    range_rc("", 10000, TN_EPARSE);
    /* limits */
    TN_EQ_RC(tn_range_parse(S("bytes=0-1,2-3,4-5"), 100, r, 2, &n), TN_ELIMIT);
    TN_OK_RC(tn_range_parse(S("bytes=0-1,2-3"), 100, r, 2, &n));
    TN_EQ_UINT(n, 2);
    {
        char h[512];
        tn_range many[64];
        size_t k, len = 6;
        memcpy(h, "bytes=", 6);
        for (k = 0; k <= TORNADO_MAX_RANGES; k++) len += (size_t)sprintf(h + len, "%u-%u,", (unsigned)k, (unsigned)k);
        TN_EQ_RC(tn_range_parse(tn_str_make(h, len), 1000, many, 64, &n), TN_ELIMIT);
    }
    TN_EQ_RC(tn_range_parse(S("bytes=0-1"), 10, NULL, 1, &n), TN_EINVAL);
    TN_EQ_RC(tn_range_parse(S("bytes=0-1"), 10, r, 0, &n), TN_EINVAL);
    TN_EQ_RC(tn_range_parse(S("bytes=0-1"), 10, r, 1, NULL), TN_EINVAL);
}

TN_TEST(content_range_format) {
    char out[64];
    size_t n;
    tn_range r;
    r.first = 0;
    r.last = 499;
    TN_OK_RC(tn_content_range_format(&r, 1234, out, sizeof out, &n));
    TN_EQ_STR(out, "bytes 0-499/1234");
    TN_EQ_UINT(n, 16);
    TN_OK_RC(tn_content_range_format(NULL, 1234, out, sizeof out, &n));
    TN_EQ_STR(out, "bytes */1234");
    r.first = 0;
    r.last = UINT64_MAX;
    TN_OK_RC(tn_content_range_format(&r, UINT64_MAX, out, sizeof out, &n));
    TN_EQ_STR(out, "bytes 0-18446744073709551615/18446744073709551615");
    TN_EQ_RC(tn_content_range_format(&r, 1, out, 10, &n), TN_EBUFFER_FULL);
    TN_OK_RC(tn_content_range_format(&r, 1, NULL, 0, &n));
    TN_EQ_UINT(n, strlen("bytes 0-18446744073709551615/1"));
    r.first = 5;
    r.last = 4;
    TN_EQ_RC(tn_content_range_format(&r, 10, out, sizeof out, &n), TN_EINVAL);
}

/* ======================================================================================
   Reasons, xhtml, JSON
   ====================================================================================== */

/* RFC 9110 §8.8.3 (entity-tag), §13.1.1 (If-Match: strong), §13.1.2 (If-None-Match: weak). */
TN_TEST(etag_match) {
    static const struct { const char *list, *etag; int weak, strong; } cases[] = {
        {"\"abc\"", "\"abc\"", 1, 1},
        {"W/\"abc\"", "\"abc\"", 1, 0},             /* weak matches weakly only */
        {"\"abc\"", "W/\"abc\"", 1, 0},
        {"W/\"abc\"", "W/\"abc\"", 1, 0},
        {"\"abd\"", "\"abc\"", 0, 0},
        {"\"ABC\"", "\"abc\"", 0, 0},               /* case-sensitive */
        {"*", "\"abc\"", 1, 1},
        {" \t* ", "W/\"abc\"", 1, 1},
        {"\"x\", \"abc\"", "\"abc\"", 1, 1},
        {"\"x\",W/\"abc\"", "\"abc\"", 1, 0},
        {"  \"x\" ,\t\"abc\"  ", "\"abc\"", 1, 1},
        {", ,\"abc\",,", "\"abc\"", 1, 1},          /* empty list elements (§5.6.1) */
        {"\"a,b\", \"c\"", "\"a,b\"", 1, 1},       /* a comma inside a tag */
        {"\"\"", "\"\"", 1, 1},                     /* empty opaque-tag */
        {"\"abc\" junk", "\"abc\"", 0, 0},          /* malformed lists match nothing */
        {"\"abc\", junk", "\"abc\"", 0, 0},
        {"abc", "\"abc\"", 0, 0},
        {"\"abc", "\"abc\"", 0, 0},
        {"*, \"abc\"", "\"abc\"", 0, 0},
        {"\"abc\", *", "\"abc\"", 0, 0},
        {"w/\"abc\"", "\"abc\"", 0, 0},             /* W/ is case-sensitive */
        {"\"a c\"", "\"a c\"", 0, 0},               /* SP is not etagc */
        {"", "\"abc\"", 0, 0},
        {"\"abc\"", "abc", 0, 0},                     /* our tag malformed */
        {"*", "", 0, 0},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TN_CHECKF(tn_http_etag_match(S(cases[i].list), S(cases[i].etag), TN_ETAG_WEAK) == cases[i].weak,
                  "weak: [%s] vs [%s]", cases[i].list, cases[i].etag);
        TN_CHECKF(tn_http_etag_match(S(cases[i].list), S(cases[i].etag), TN_ETAG_STRONG) == cases[i].strong,
                  "strong: [%s] vs [%s]", cases[i].list, cases[i].etag);
    }
    TN_CHECK(!tn_http_etag_match(tn_str_make(NULL, 0), S("\"a\""), TN_ETAG_WEAK));
}

TN_TEST(reasons) {
    static const int registered[] = {
        100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302,
        303, 304, 305, 306, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410,
        411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431,
        451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
    };
    /* each code's phrase, in the order above (the table's own order differs) */
    static const char *const phrases[] = {
        "Continue", "Switching Protocols", "Processing", "Early Hints", "OK", "Created", "Accepted",
        "Non-Authoritative Information", "No Content", "Reset Content", "Partial Content", "Multi-Status",
        "Already Reported", "IM Used", "Multiple Choices", "Moved Permanently", "Found", "See Other",
        "Not Modified", "Use Proxy", "(Unused)", "Temporary Redirect", "Permanent Redirect", "Bad Request",
        "Unauthorized", "Payment Required", "Forbidden", "Not Found", "Method Not Allowed", "Not Acceptable",
        "Proxy Authentication Required", "Request Timeout", "Conflict", "Gone", "Length Required",
        "Precondition Failed", "Content Too Large", "URI Too Long", "Unsupported Media Type",
        "Range Not Satisfiable", "Expectation Failed", "I'm a Teapot", "Misdirected Request",
        "Unprocessable Content", "Locked", "Failed Dependency", "Too Early", "Upgrade Required",
        "Precondition Required", "Too Many Requests", "Request Header Fields Too Large",
        "Unavailable For Legal Reasons", "Internal Server Error", "Not Implemented", "Bad Gateway",
        "Service Unavailable", "Gateway Timeout", "HTTP Version Not Supported", "Variant Also Negotiates",
        "Insufficient Storage", "Loop Detected", "Not Extended", "Network Authentication Required",
    };
    size_t i;
    int c, known = 0;
    TN_EQ_INT((int)(sizeof phrases / sizeof phrases[0]), (int)(sizeof registered / sizeof registered[0]));
    for (i = 0; i < sizeof registered / sizeof registered[0]; i++)
        TN_CHECKF(strcmp(tn_http_reason(registered[i]), phrases[i]) == 0, "%d: %s", registered[i],
                  tn_http_reason(registered[i]));
    for (c = -5; c < 1000; c++)
        if (strcmp(tn_http_reason(c), "Unknown") != 0) known++;
    TN_EQ_INT(known, (int)(sizeof registered / sizeof registered[0]));
    TN_EQ_STR(tn_http_reason(200), "OK");
    TN_EQ_STR(tn_http_reason(404), "Not Found");
    TN_EQ_STR(tn_http_reason(413), "Content Too Large");
    TN_EQ_STR(tn_http_reason(416), "Range Not Satisfiable");
    TN_EQ_STR(tn_http_reason(599), "Unknown");
    TN_EQ_STR(tn_http_reason(0), "Unknown");
}

TN_TEST(xhtml_escape) {
    char out[128];
    size_t n;
    tn_buf b;
    TN_OK_RC(tn_xhtml_escape(S("<a href=\"x\">&'b</a>"), out, sizeof out, &n));
    TN_EQ_STR(out, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;b&lt;/a&gt;");
    TN_OK_RC(tn_xhtml_escape(S("plain \xc3\xa9"), out, sizeof out, &n));
    TN_EQ_STR(out, "plain \xc3\xa9");
    TN_OK_RC(tn_xhtml_escape(S("&"), NULL, 0, &n));
    TN_EQ_UINT(n, 5);
    TN_EQ_RC(tn_xhtml_escape(S("a&"), out, 3, &n), TN_EBUFFER_FULL);
    TN_EQ_UINT(n, 6);
    TN_OK_RC(tn_xhtml_escape(S(""), out, 1, &n));
    TN_EQ_STR(out, "");
    TN_OK_RC(tn_buf_init(&b, NULL));
    TN_OK_RC(tn_xhtml_escape_buf(&b, S("'x'")));
    TN_EQ_UINT(tn_buf_size(&b), 11);
    TN_EQ_MEM(tn_buf_ptr(&b), "&#39;x&#39;", 11);
    tn_buf_free(&b);
}

TN_TEST(json_escape) {
    char out[256];
    size_t n;
    tn_buf b;
    TN_OK_RC(tn_json_escape(S("a\"b\\c</script>\n\r\t\b\f\x01\x1f\x7f \xc3\xa9\xe2\x80\xa8\xe2\x80\xa9\xe2\x80\xaa<<//"),
                            out, sizeof out, &n));
    TN_EQ_STR(out, "a\\\"b\\\\c<\\/script>\\n\\r\\t\\b\\f\\u0001\\u001f\x7f \xc3\xa9\\u2028\\u2029\xe2\x80\xaa<<\\//");
    TN_OK_RC(tn_json_escape(tn_str_make("\0", 1), out, sizeof out, &n));
    TN_EQ_STR(out, "\\u0000");
    TN_OK_RC(tn_json_escape(S("\xe2\x80"), out, sizeof out, &n));   /* truncated sequence: copied */
    TN_EQ_STR(out, "\xe2\x80");
    TN_OK_RC(tn_json_escape(S("</"), NULL, 0, &n));
    TN_EQ_UINT(n, 3);
    TN_EQ_RC(tn_json_escape(S("\""), out, 1, &n), TN_EBUFFER_FULL);
    TN_OK_RC(tn_buf_init(&b, NULL));
    TN_OK_RC(tn_json_escape_buf(&b, S("x\n")));
    TN_EQ_UINT(tn_buf_size(&b), 3);
    TN_EQ_MEM(tn_buf_ptr(&b), "x\\n", 3);
    tn_buf_free(&b);
}

/* ======================================================================================
   multipart/form-data
   ====================================================================================== */

/* Records events as text: B<idx>[name|filename|ctype|disp|flags] D<bytes> E X, with
   consecutive data merged (so that any split gives the same log). */
typedef struct mp_rec {
    char log[65536];
    size_t n;
    int last_data;
    int stop_at;      /* > 0: return stop_rc at this event number */
    int stop_rc;
    int events;
    const char *in_lo, *in_hi;   /* the fed slice: data must lie here or in the parser */
    const tn_multipart *mp;
    int copies;        /* data chunks not in the input (held-back delimiter bytes) */
    char *sink;        /* set: PART_DATA bytes are appended here instead of to the log */
    size_t sink_len, sink_cap, max_chunk;
    int data_events;
} mp_rec;

static void rec_put(mp_rec *r, const char *s, size_t k) {
    TN_CHECK(r->n + k < sizeof r->log);
    memcpy(r->log + r->n, s, k);
    r->n += k;
    r->log[r->n] = 0;
}

static int rec_cb(int ev, const tn_multipart_part *p, tn_str data, void *user) {
    mp_rec *r = (mp_rec *)user;
    char tmp[64];
    r->events++;
    if (ev == TN_MULTIPART_PART_DATA) {
        TN_CHECK(data.len > 0);
        if (data.ptr >= r->in_lo && data.ptr + data.len <= r->in_hi) {
        } else {
            TN_CHECK(data.ptr >= (const char *)r->mp && data.ptr + data.len <= (const char *)(r->mp + 1));
            r->copies++;
        }
        r->data_events++;
        if (data.len > r->max_chunk) r->max_chunk = data.len;
        if (r->sink) {
            TN_CHECK(r->sink_len + data.len <= r->sink_cap);
            memcpy(r->sink + r->sink_len, data.ptr, data.len);
            r->sink_len += data.len;
            return 0;
        }
        if (!r->last_data) rec_put(r, "D", 1);
        rec_put(r, data.ptr, data.len);
        r->last_data = 1;
    } else {
        r->last_data = 0;
        if (ev == TN_MULTIPART_PART_BEGIN) {
            sprintf(tmp, "B%u[", p->index);
            rec_put(r, tmp, strlen(tmp));
            rec_put(r, p->name.ptr, p->name.len);
            rec_put(r, "|", 1);
            rec_put(r, p->filename.ptr, p->filename.len);
            rec_put(r, "|", 1);
            rec_put(r, p->content_type.ptr, p->content_type.len);
            rec_put(r, "|", 1);
            rec_put(r, p->disposition.ptr, p->disposition.len);
            sprintf(tmp, "|%u]", p->flags);
            rec_put(r, tmp, strlen(tmp));
        } else if (ev == TN_MULTIPART_PART_END) {
            rec_put(r, "E", 1);
        } else {
            TN_EQ_INT(ev, TN_MULTIPART_DONE);
            TN_CHECK(p == NULL);
            rec_put(r, "X", 1);
        }
    }
    if (r->stop_at && r->events == r->stop_at) return r->stop_rc;
    return 0;
}

/* Parse body split at the given points (sorted, within [0, n]); returns feed/finish rc
   and fills r. */
static tn_multipart mp_state;
static int mp_run(const char *boundary, const char *body, size_t n, const size_t *cuts, size_t ncuts,
                  const tn_multipart_opts *opts, mp_rec *r) {
    size_t i, prev = 0;
    int rc;
    const char *g = guarded(body, n);
    memset(r, 0, sizeof *r);
    r->in_lo = g;
    r->in_hi = g + n;
    r->mp = &mp_state;
    TN_OK_RC(tn_multipart_init(&mp_state, S(boundary), opts, rec_cb, r));
    for (i = 0; i <= ncuts; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        rc = tn_multipart_feed(&mp_state, g + prev, end - prev);
        if (rc) return rc;
        prev = end;
    }
    return tn_multipart_finish(&mp_state);
}

static int mp_whole(const char *boundary, const char *body, mp_rec *r) {
    return mp_run(boundary, body, strlen(body), NULL, 0, NULL, r);
}

/* Whole, split at every byte (2 pieces), every pair of points (3 pieces) for short
   bodies, and byte by byte: identical logs and codes. */
static void mp_all_splits(const char *boundary, const char *body, int want_rc, const char *want_log) {
    static mp_rec a, b;
    size_t n = strlen(body), i, j, cuts[2], *each;
    int rc = mp_whole(boundary, body, &a);
    TN_CHECKF(rc == want_rc, "whole: %s, want %s", tn_err_name(rc), tn_err_name(want_rc));
    if (want_log) TN_CHECKF(strcmp(a.log, want_log) == 0, "log\n  got  %s\n  want %s", a.log, want_log);
    TN_EQ_INT(a.copies, 0);   /* fed whole, every data chunk is a slice of the input */
    for (i = 0; i <= n; i++) {
        cuts[0] = i;
        rc = mp_run(boundary, body, n, cuts, 1, NULL, &b);
        TN_CHECKF(rc == want_rc && strcmp(a.log, b.log) == 0, "split at %zu: %s\n  %s\n  %s", i, tn_err_name(rc), b.log, a.log);
    }
    if (n <= 200) {
        for (i = 0; i <= n; i++)
            for (j = i; j <= n; j++) {
                cuts[0] = i;
                cuts[1] = j;
                rc = mp_run(boundary, body, n, cuts, 2, NULL, &b);
                TN_CHECKF(rc == want_rc && strcmp(a.log, b.log) == 0, "split at %zu,%zu: %s\n  %s\n  %s", i, j, tn_err_name(rc), b.log, a.log);
            }
    }
    each = (size_t *)malloc((n + 1) * sizeof *each);
    for (i = 0; i < n; i++) each[i] = i + 1;
    rc = mp_run(boundary, body, n, each, n ? n - 1 : 0, NULL, &b);
    TN_CHECKF(rc == want_rc && strcmp(a.log, b.log) == 0, "byte by byte: %s\n  %s\n  %s", tn_err_name(rc), b.log, a.log);
    free(each);
}

TN_TEST(multipart_tornado_cases) {
    /* tornado/test/httputil_test.py MultipartFormDataTest, as streaming cases */
    mp_all_splits("1234",
                  "--1234\r\nContent-Disposition: form-data; name=\"files\"; filename=\"ab.txt\"\r\n\r\nFoo\r\n--1234--",
                  0, "B0[files|ab.txt||form-data|3]DFooEX");
    /* unquoted boundary value in the header: see multipart_boundary_helper */
    mp_all_splits("1234",
                  "--1234\r\nContent-Disposition: form-data; name=\"files\"; filename=\"ab.txt\"; filename*=UTF-8''%C3%A1b.txt\r\n\r\nFoo\r\n--1234--",
                  0, "B0[files|\xc3\xa1" "b.txt||form-data|3]DFooEX");
    /* invalid disposition: reported, the caller skips it (Tornado logs and skips) */
    mp_all_splits("1234",
                  "--1234\r\nContent-Disposition: invalid; name=\"files\"; filename=\"ab.txt\"\r\n\r\nFoo\r\n--1234--",
                  0, "B0[files|ab.txt||invalid|3]DFooEX");
    /* line does not end with CRLF before the boundary: no delimiter, truncated */
    mp_all_splits("1234",
                  "--1234\r\nContent-Disposition: form-data; name=\"files\"; filename=\"ab.txt\"\r\n\r\nFoo--1234--",
                  TN_EBAD_MULTIPART, NULL);
    /* no name parameter */
    mp_all_splits("1234",
                  "--1234\r\nContent-Disposition: form-data; filename=\"ab.txt\"\r\n\r\nFoo\r\n--1234--",
                  0, "B0[|ab.txt||form-data|2]DFooEX");
    /* data after the final boundary is ignored (Tornado 2.3) */
    mp_all_splits("1234",
                  "--1234\r\nContent-Disposition: form-data; name=\"files\"; filename=\"ab.txt\"\r\n\r\nFoo\r\n--1234--\r\ngarbage\r\n--1234\r\nbad",
                  0, "B0[files|ab.txt||form-data|3]DFooEX");
    /* missing final boundary */
    mp_all_splits("1234",
                  "--1234\r\nContent-Disposition: form-data; name=\"files\"; filename=\"ab.txt\"\r\n\r\nFoo\r\n",
                  TN_EBAD_MULTIPART, NULL);
    /* empty header block: a part without headers */
    mp_all_splits("1234", "--1234\r\n\r\nFoo\r\n--1234--", 0, "B0[||||0]DFooEX");
}

TN_TEST(multipart_special_filenames) {
    /* Tornado test_special_filenames: escaped as browsers/Tornado's test do */
    static const char *names[] = { "a;b.txt", "a\"b.txt", "a\";b.txt", "a;\"b.txt", "a\";\";.txt",
                                   "a\\\"b.txt", "a\\b.txt" };
    size_t i, k;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        char esc[64], body[256], want[128];
        size_t e = 0;
        for (k = 0; names[i][k]; k++) {
            if (names[i][k] == '\\' || names[i][k] == '"') esc[e++] = '\\';
            esc[e++] = names[i][k];
        }
        esc[e] = 0;
        sprintf(body, "--1234\r\nContent-Disposition: form-data; name=\"files\"; filename=\"%s\"\r\n\r\nFoo\r\n--1234--\r\n", esc);
        sprintf(want, "B0[files|%s||form-data|3]DFooEX", names[i]);
        mp_all_splits("1234", body, 0, want);
    }
}

TN_TEST(multipart_complex) {
    /* preamble, several parts, padding, content type, data that nearly contains the
       delimiter, CR/LF runs, empty parts, epilogue */
    const char *body =
        "preamble line\r\n--XyZ not a delimiter? no: still preamble\r\n"
        "\r\n--XyZ  \t\r\n"
        "Content-Disposition: form-data; name=\"a\"\r\n"
        "content-type: text/plain; charset=utf-8 \r\n"
        "X-Other: \xc3\xa9\r\n"
        "\r\n"
        "line1\r\n--XyQ\r\n-\r\n--\r\r\n\r\n--Xy\r\n--XyZ\r\n"
        "Content-Disposition: form-data; name=\"empty\"\r\n\r\n"
        "\r\n--XyZ\r\n"
        "Content-Disposition: form-data; name=\"crlf\"\r\n\r\n"
        "\r\n\r\n"
        "\r\n--XyZ--epilogue\r\n--XyZ\r\n";
    /* "--XyZ not..." in the preamble does not follow a CRLF-terminated line start?
       It does: it follows "\r\n", so it is a delimiter followed by junk: an error. */
    static mp_rec r;
    TN_EQ_RC(mp_whole("XyZ", body, &r), TN_EBAD_MULTIPART);
    body =
        "preamble line\r\n-XyZ\r\n--Xy\r\n"
        "\r\n--XyZ  \t\r\n"
        "Content-Disposition: form-data; name=\"a\"\r\n"
        "content-type: text/plain; charset=utf-8 \r\n"
        "X-Other: \xc3\xa9\r\n"
        "\r\n"
        "line1\r\n--XyQ\r\n-\r\n--\r\r\n\r\n--Xy\r\n--XyZ\r\n"
        "Content-Disposition: form-data; name=\"empty\"\r\n\r\n"
        "\r\n--XyZ\r\n"
        "Content-Disposition: form-data; name=\"crlf\"\r\n\r\n"
        "\r\n\r\n"
        "\r\n--XyZ--epilogue\r\n--XyZ\r\n";
    mp_all_splits("XyZ", body, 0,
                  "B0[a||text/plain; charset=utf-8|form-data|1]Dline1\r\n--XyQ\r\n-\r\n--\r\r\n\r\n--XyE"
                  "B1[empty|||form-data|1]E"
                  "B2[crlf|||form-data|1]D\r\n\r\nEX");
    TN_OK_RC(mp_whole("XyZ", body, &r));
    /* headers of part 0 are available raw */
    mp_all_splits("b", "--b--", 0, "X");   /* no parts at all */
    mp_all_splits("b", "--b\r\n\r\n\r\n--b--", 0, "B0[||||0]EX");
}

TN_TEST(multipart_errors) {
    static mp_rec r;
    tn_multipart_opts o;
    tn_multipart mp;
    char big[400];
    /* bad delimiter lines */
    mp_all_splits("b", "--bx\r\n\r\n\r\n--b--", TN_EBAD_MULTIPART, NULL);
    mp_all_splits("b", "--b\n\r\n\r\n--b--", TN_EBAD_MULTIPART, NULL);
    mp_all_splits("b", "--b \rx", TN_EBAD_MULTIPART, NULL);
    mp_all_splits("b", "--b-x", TN_EBAD_MULTIPART, NULL);
    mp_all_splits("b", "--b\r\n\r\nab\r\n--b-", TN_EBAD_MULTIPART, NULL);
    /* bad header lines */
    mp_all_splits("b", "--b\r\nNoColon\r\n\r\nx\r\n--b--", TN_EBAD_MULTIPART, NULL);
    mp_all_splits("b", "--b\r\n: empty name\r\n\r\nx\r\n--b--", TN_EBAD_MULTIPART, NULL);
    mp_all_splits("b", "--b\r\nA: 1\r\n folded\r\n\r\nx\r\n--b--", TN_EBAD_MULTIPART, NULL);
    mp_all_splits("b", "--b\r\nA: 1\nB: 2\r\n\r\nx\r\n--b--", TN_EBAD_MULTIPART, NULL);
    mp_all_splits("b", "--b\r\nA: \x01\r\n\r\nx\r\n--b--", TN_EBAD_MULTIPART, NULL);
    mp_all_splits("b", "--b\r\nA B: 1\r\n\r\nx\r\n--b--", TN_EBAD_MULTIPART, NULL);
    mp_all_splits("b", "--b\r\nContent-Disposition: form-data; name=\"x\r\n\r\nx\r\n--b--", TN_EBAD_MULTIPART, NULL);
    mp_all_splits("b", "--b\r\nContent-Disposition: form-data; filename=\"x\"y\r\n\r\nx\r\n--b--", TN_EBAD_MULTIPART, NULL);
    /* truncated anywhere */
    mp_all_splits("b", "--b\r\nA: 1\r\n", TN_EBAD_MULTIPART, NULL);
    mp_all_splits("b", "", TN_EBAD_MULTIPART, NULL);
    mp_all_splits("b", "--b\r\n\r\nabc\r\n--b", TN_EBAD_MULTIPART, NULL);
    /* limits */
    memset(&o, 0, sizeof o);
    {
        const char *lb = "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--b--";
        size_t hb = strlen("Content-Disposition: form-data; name=\"a\"\r\n\r\n");
        o.max_header_bytes = 10;
        TN_EQ_RC(mp_run("b", lb, strlen(lb), NULL, 0, &o, &r), TN_EHEADER_TOO_LARGE);
        o.max_header_bytes = hb;   /* the header lines + the blank line, exactly */
        TN_OK_RC(mp_run("b", lb, strlen(lb), NULL, 0, &o, &r));
        o.max_header_bytes = hb - 1;
        TN_EQ_RC(mp_run("b", lb, strlen(lb), NULL, 0, &o, &r), TN_EHEADER_TOO_LARGE);
    }
    {   /* the default limit */
        static char body[TORNADO_MULTIPART_MAX_HEADER_BYTES + 64];
        size_t n = 0;
        n += (size_t)sprintf(body, "--b\r\nX: ");
        memset(body + n, 'a', TORNADO_MULTIPART_MAX_HEADER_BYTES);
        n += TORNADO_MULTIPART_MAX_HEADER_BYTES;
        memcpy(body + n, "\r\n\r\n\r\n--b--", 11);
        n += 11;
        TN_EQ_RC(mp_run("b", body, n, NULL, 0, NULL, &r), TN_EHEADER_TOO_LARGE);
    }
    memset(&o, 0, sizeof o);
    o.max_parts = 2;
    {
        const char *two = "--b\r\n\r\n\r\n--b\r\n\r\n\r\n--b--";
        const char *three = "--b\r\n\r\n\r\n--b\r\n\r\n\r\n--b\r\n\r\n\r\n--b--";
        TN_OK_RC(mp_run("b", two, strlen(two), NULL, 0, &o, &r));
        TN_EQ_RC(mp_run("b", three, strlen(three), NULL, 0, &o, &r), TN_ELIMIT);
    }
    TN_EQ_STR(r.log, "B0[||||0]EB1[||||0]E");
    /* bad boundaries */
    TN_EQ_RC(tn_multipart_init(&mp, S(""), NULL, rec_cb, &r), TN_EBAD_MULTIPART);
    TN_EQ_RC(tn_multipart_init(&mp, S("a\rb"), NULL, rec_cb, &r), TN_EBAD_MULTIPART);
    TN_EQ_RC(tn_multipart_init(&mp, S("a\xc3\xa9"), NULL, rec_cb, &r), TN_EBAD_MULTIPART);
    memset(big, 'b', sizeof big);
    TN_EQ_RC(tn_multipart_init(&mp, tn_str_make(big, TN_MULTIPART_MAX_BOUNDARY + 1), NULL, rec_cb, &r), TN_EBAD_MULTIPART);
    TN_EQ_RC(tn_multipart_feed(&mp, "x", 1), TN_EBAD_MULTIPART);   /* failed init: unusable */
    TN_OK_RC(tn_multipart_init(&mp, tn_str_make(big, TN_MULTIPART_MAX_BOUNDARY), NULL, rec_cb, &r));
    TN_EQ_RC(tn_multipart_init(&mp, S("b"), NULL, NULL, &r), TN_EINVAL);
    TN_EQ_RC(tn_multipart_init(NULL, S("b"), NULL, rec_cb, &r), TN_EINVAL);
}

TN_TEST(multipart_long_boundary_and_stop) {
    static mp_rec r;
    char body[1024], bnd[TN_MULTIPART_MAX_BOUNDARY + 1];
    memset(bnd, '-', TN_MULTIPART_MAX_BOUNDARY);   /* dashes only: a hard case */
    bnd[TN_MULTIPART_MAX_BOUNDARY] = 0;
    sprintf(body, "--%s\r\n\r\n\r\n-%s\r\n--%s--", bnd, bnd, bnd);
    TN_OK_RC(mp_whole(bnd, body, &r));
    TN_CHECK(strncmp(r.log, "B0[||||0]D\r\n-", 13) == 0);
    mp_all_splits("--", "----\r\n\r\n---\r\n--\r\n---\r\n------", 0, "B0[||||0]D---\r\n--\r\n---E" "X");
    /* a callback can stop the parser; the error is sticky */
    memset(&r, 0, sizeof r);
    {
        tn_multipart mp;
        const char *b = "--b\r\n\r\nabc\r\n--b--";
        r.in_lo = b;
        r.in_hi = b + strlen(b);
        r.mp = &mp;
        r.stop_at = 2;
        r.stop_rc = 1;
        TN_OK_RC(tn_multipart_init(&mp, S("b"), NULL, rec_cb, &r));
        TN_EQ_RC(tn_multipart_feed(&mp, b, strlen(b)), TN_ECANCELED);
        TN_EQ_RC(tn_multipart_feed(&mp, b, strlen(b)), TN_ECANCELED);
        TN_EQ_RC(tn_multipart_finish(&mp), TN_ECANCELED);
        TN_EQ_INT(r.events, 2);
        memset(&r, 0, sizeof r);
        r.in_lo = b;
        r.in_hi = b + strlen(b);
        r.mp = &mp;
        r.stop_at = 1;
        r.stop_rc = TN_EBODY_TOO_LARGE;
        TN_OK_RC(tn_multipart_init(&mp, S("b"), NULL, rec_cb, &r));
        TN_EQ_RC(tn_multipart_feed(&mp, b, strlen(b)), TN_EBODY_TOO_LARGE);
        /* feeding after DONE is ignored */
        memset(&r, 0, sizeof r);
        r.in_lo = b;
        r.in_hi = b + strlen(b);
        r.mp = &mp;
        TN_OK_RC(tn_multipart_init(&mp, S("b"), NULL, rec_cb, &r));
        TN_OK_RC(tn_multipart_feed(&mp, b, strlen(b)));
        TN_OK_RC(tn_multipart_feed(&mp, "junk", 4));
        TN_OK_RC(tn_multipart_feed(&mp, NULL, 0));
        TN_OK_RC(tn_multipart_finish(&mp));
        TN_EQ_STR(r.log, "B0[||||0]DabcEX");
    }
}

TN_TEST(multipart_large_streaming) {
    /* a 3 MB file part fed in 1000-byte slices: data arrives incrementally, zero-copy
       apart from held-back delimiter prefixes, and the parser holds no copy */
    static const char delim[] = "\r\n--bound";
    size_t fsize = 3u << 20, n = 0, i, hdr, feeds = 0, held_back = 0;
    char *body = (char *)malloc(fsize + 256);
    static mp_rec r;
    tn_multipart mp;
    n += (size_t)sprintf(body, "--bound\r\nContent-Disposition: form-data; name=\"f\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n");
    hdr = n;
    for (i = 0; i < fsize; i++) body[n + i] = (char)((i % 7 == 0) ? '\r' : (i % 11 == 0) ? '\n' : (i % 13 == 0) ? '-' : 'a' + (int)(i % 26));
    n += fsize;
    memcpy(body + n, "\r\n--bound--", 11);
    n += 11;
    memset(&r, 0, sizeof r);
    r.mp = &mp;
    r.sink_cap = fsize;
    r.sink = (char *)malloc(r.sink_cap);
    TN_OK_RC(tn_multipart_init(&mp, S("bound"), NULL, rec_cb, &r));
    for (i = 0; i < n; i += 1000) {
        size_t k = n - i < 1000 ? n - i : 1000, end = i + k, len;
        r.in_lo = body + i;
        r.in_hi = body + i + k;
        TN_OK_RC(tn_multipart_feed(&mp, body + i, k));
        feeds++;
        /* a slice ending in content that could begin the delimiter ("\r", "\r\n", ...)
           is held back by state and delivered from the parser's delimiter copy next time */
        for (len = sizeof delim - 2; len > 0; len--)
            if (end - len >= hdr && end < hdr + fsize && memcmp(body + end - len, delim, len) == 0) {
                held_back++;
                break;
            }
    }
    TN_OK_RC(tn_multipart_finish(&mp));
    TN_EQ_UINT(r.sink_len, fsize);                     /* every byte, once */
    TN_CHECK(memcmp(r.sink, body + hdr, fsize) == 0);  /* in order, unchanged */
    TN_CHECK(held_back > 0);                           /* the data does exercise the copy path */
    TN_EQ_INT(r.copies, (int)held_back);               /* and only that path copies */
    TN_CHECKF(r.data_events >= (int)(fsize / 1000), "%d data events for %lu feeds", r.data_events, (unsigned long)feeds);
    TN_CHECKF(r.max_chunk <= 1000, "a data chunk of %lu bytes: data was accumulated", (unsigned long)r.max_chunk);
    free(r.sink);
    free(body);
}

TN_TEST(multipart_boundary_helper) {
    tn_str b;
    char buf[64];
    TN_OK_RC(tn_multipart_boundary(S("multipart/form-data; boundary=1234"), buf, sizeof buf, &b));
    TN_EQ_TSTR(b, "1234");
    TN_OK_RC(tn_multipart_boundary(S("Multipart/Form-Data; charset=x; boundary=\"12 34\""), NULL, 0, &b));
    TN_EQ_TSTR(b, "12 34");
    TN_OK_RC(tn_multipart_boundary(S("multipart/form-data; boundary=\"a\\\"b\""), buf, sizeof buf, &b));
    TN_EQ_TSTR(b, "a\"b");
    TN_EQ_RC(tn_multipart_boundary(S("application/json; boundary=1"), buf, sizeof buf, &b), TN_ENOTSUP);
    TN_EQ_RC(tn_multipart_boundary(S("multipart/form-data"), buf, sizeof buf, &b), TN_EBAD_MULTIPART);
    TN_EQ_RC(tn_multipart_boundary(S("multipart/form-data; boundary="), buf, sizeof buf, &b), TN_EBAD_MULTIPART);
    TN_EQ_RC(tn_multipart_boundary(S("multipart/form-data; boundary=\"x"), buf, sizeof buf, &b), TN_EBAD_MULTIPART);
}

TN_TESTS(TN_CASE(url_parse_rfc3986_examples), TN_CASE(url_parse_rfc3986_references),
         TN_CASE(url_parse_details), TN_CASE(url_parse_limit), TN_CASE(url_llhttp_cases),
         TN_CASE(url_resolve), TN_CASE(remove_dot_segments), TN_CASE(split_host_port), TN_CASE(url_parse_host_port), TN_CASE(url_byte_classes), TN_CASE(url_escape), TN_CASE(url_unescape), TN_CASE(url_concat),
         TN_CASE(form_encode), TN_CASE(buf_variants_enomem), TN_CASE(buf_in_place), TN_CASE(buf_growth_paths), TN_CASE(query_iter_raw),
         TN_CASE(query_iter_decoded), TN_CASE(query_iter_limit), TN_CASE(header_params),
         TN_CASE(date_format_known), TN_CASE(date_roundtrip_vs_gmtime), TN_CASE(date_format_every_day),
         TN_CASE(date_parse_forms),
         TN_CASE(range_parse), TN_CASE(content_range_format), TN_CASE(etag_match), TN_CASE(reasons), TN_CASE(xhtml_escape),
         TN_CASE(json_escape), TN_CASE(multipart_tornado_cases), TN_CASE(multipart_special_filenames),
         TN_CASE(multipart_complex), TN_CASE(multipart_errors), TN_CASE(multipart_long_boundary_and_stop),
         TN_CASE(multipart_large_streaming), TN_CASE(multipart_boundary_helper))
