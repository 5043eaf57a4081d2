/* test_router.c: the web router: every pattern form, first match wins, HEAD → GET, 404 vs 405
   with Allow, captures, invalid patterns and methods, capture capacity, raw (encoded) paths,
   large tables, allocator accounting and out-of-memory. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"

/* Handlers are opaque pointers: tags make them easy to tell apart. */
static int H[64];
#define HD(i) ((void *)&H[i])

static tn_router *new_router(void) {
    tn_router *r = NULL;
    TN_OK_RC(tn_router_new(NULL, &r));
    TN_CHECK(r != NULL);
    return r;
}

static void add(tn_router *r, const char *methods, const char *pattern, int h) {
    int rc = tn_router_add(r, methods, pattern, HD(h), NULL);
    TN_CHECKF(rc == 0, "add %s %s: %s (%s)", methods ? methods : "(null)", pattern, tn_err_name(rc),
              tn_router_last_error(r));
}

static tn_route_capture caps[TORNADO_MAX_ROUTE_CAPTURES];

/* Match and return the code; *h gets the handler tag or -1. */
static int match(tn_router *r, const char *method, const char *path, tn_route_match *m) {
    memset(m, 0, sizeof *m);
    m->captures = caps;
    m->max_captures = TORNADO_MAX_ROUTE_CAPTURES;
    return tn_router_match(r, tn_str_c(method), tn_str_c(path), m);
}

static int tag(const tn_route_match *m) { return m->handler ? (int)((int *)m->handler - H) : -1; }

/* Expect TN_OK with handler h. */
#define EXPECT(r, method, path, h)                                                      \
    do {                                                                                \
        tn_route_match m_;                                                              \
        int rc_ = match(r, method, path, &m_);                                          \
        TN_CHECKF(rc_ == 0 && tag(&m_) == (h), "%s %s: %s, handler %d, want %d", method, path, \
                  tn_err_name(rc_), tag(&m_), (h));                                     \
    } while (0)

#define EXPECT_RC(r, method, path, code)                                                \
    do {                                                                                \
        tn_route_match m_;                                                              \
        int rc_ = match(r, method, path, &m_);                                          \
        TN_CHECKF(rc_ == (code), "%s %s: %s, want %s", method, path, tn_err_name(rc_), tn_err_name(code)); \
    } while (0)

static void expect_allow(tn_router *r, const char *path, const char *want) {
    char buf[256];
    size_t n = 99;
    int rc = tn_router_allow(r, tn_str_c(path), buf, sizeof buf, &n);
    TN_CHECKF(rc == 0, "allow %s: %s", path, tn_err_name(rc));
    TN_EQ_STR(buf, want);
    TN_EQ_UINT(n, strlen(want));
}

/* ---- pattern forms ---- */

TN_TEST(literals) {
    tn_router *r = new_router();
    add(r, "GET", "/", 0);
    add(r, "GET", "/a", 1);
    add(r, "GET", "/a/", 2);
    add(r, "GET", "/a/b", 3);
    add(r, "GET", "/a/b/c.d-e_f~g!$&'()+,;=:@", 4);
    add(r, "GET", "/%7Euser", 5);
    EXPECT(r, "GET", "/", 0);
    EXPECT(r, "GET", "/a", 1);
    EXPECT(r, "GET", "/a/", 2);   /* strict trailing slash: a route of its own */
    EXPECT(r, "GET", "/a/b", 3);
    EXPECT(r, "GET", "/a/b/c.d-e_f~g!$&'()+,;=:@", 4);
    EXPECT(r, "GET", "/%7Euser", 5);
    EXPECT_RC(r, "GET", "/~user", TN_ENOENT);     /* raw bytes: no decoding */
    EXPECT_RC(r, "GET", "/%7euser", TN_ENOENT);   /* not even hex case */
    EXPECT_RC(r, "GET", "/a/b/", TN_ENOENT);
    EXPECT_RC(r, "GET", "//", TN_ENOENT);
    EXPECT_RC(r, "GET", "/ab", TN_ENOENT);
    EXPECT_RC(r, "GET", "/A", TN_ENOENT);
    EXPECT_RC(r, "GET", "/a//b", TN_ENOENT);
    EXPECT_RC(r, "GET", "/a/b/c", TN_ENOENT);
    TN_EQ_UINT(tn_router_count(r), 6);
    tn_router_free(r);
    tn_router_free(NULL);   /* harmless */
}

TN_TEST(segment_captures) {
    tn_router *r = new_router();
    tn_route_match m;
    tn_str v;
    add(r, "GET", "/users/{id}", 0);
    add(r, "GET", "/users/{id}/posts/{post_id}", 1);
    add(r, "GET", "/{lang}/about", 2);
    TN_OK_RC(match(r, "GET", "/users/42", &m));
    TN_EQ_INT(tag(&m), 0);
    TN_EQ_INT(m.route, 0);
    TN_EQ_TSTR(m.pattern, "/users/{id}");
    TN_EQ_UINT(m.num_captures, 1);
    TN_EQ_TSTR(m.captures[0].name, "id");
    TN_EQ_TSTR(m.captures[0].value, "42");
    TN_OK_RC(match(r, "GET", "/users/a%2Fb/posts/x.y", &m));
    TN_EQ_INT(tag(&m), 1);
    TN_EQ_UINT(m.num_captures, 2);
    TN_EQ_TSTR(m.captures[0].name, "id");
    TN_EQ_TSTR(m.captures[0].value, "a%2Fb");   /* still encoded; %2F is not a separator */
    TN_EQ_TSTR(m.captures[1].name, "post_id");
    TN_EQ_TSTR(m.captures[1].value, "x.y");
    TN_CHECK(tn_route_match_get(&m, "post_id", &v));
    TN_EQ_TSTR(v, "x.y");
    TN_CHECK(tn_route_match_get(&m, "id", NULL));
    TN_CHECK(!tn_route_match_get(&m, "ID", &v));
    TN_CHECK(!tn_route_match_get(&m, "", &v));
    /* values are slices of the path given */
    {
        const char *path = "/fr/about";
        TN_OK_RC(tn_router_match(r, tn_str_c("GET"), tn_str_c(path), &m));
        TN_EQ_INT(tag(&m), 2);
        TN_CHECK(m.captures[0].value.ptr == path + 1 && m.captures[0].value.len == 2);
    }
    /* a segment capture is never empty and never spans '/' */
    EXPECT_RC(r, "GET", "/users/", TN_ENOENT);
    EXPECT_RC(r, "GET", "/users", TN_ENOENT);
    EXPECT_RC(r, "GET", "/users/1/", TN_ENOENT);
    EXPECT_RC(r, "GET", "/users/1/2", TN_ENOENT);
    EXPECT_RC(r, "GET", "//about", TN_ENOENT);
    EXPECT_RC(r, "GET", "/users//posts/1", TN_ENOENT);
    tn_router_free(r);
}

TN_TEST(mixed_segment_captures) {
    tn_router *r = new_router();
    tn_route_match m;
    add(r, "GET", "/files/{name}.txt", 0);
    add(r, "GET", "/v{version}/status", 1);
    add(r, "GET", "/img/thumb-{w}x", 2);
    TN_OK_RC(match(r, "GET", "/files/a.txt", &m));
    TN_EQ_INT(tag(&m), 0);
    TN_EQ_TSTR(m.captures[0].value, "a");
    TN_OK_RC(match(r, "GET", "/files/a.txt.txt", &m));
    TN_EQ_TSTR(m.captures[0].value, "a.txt");
    EXPECT_RC(r, "GET", "/files/.txt", TN_ENOENT);   /* empty capture */
    EXPECT_RC(r, "GET", "/files/a.txt/", TN_ENOENT);
    EXPECT_RC(r, "GET", "/files/a.tx", TN_ENOENT);
    TN_OK_RC(match(r, "GET", "/v2/status", &m));
    TN_EQ_INT(tag(&m), 1);
    TN_EQ_TSTR(m.captures[0].name, "version");
    TN_EQ_TSTR(m.captures[0].value, "2");
    EXPECT_RC(r, "GET", "/v/status", TN_ENOENT);
    TN_OK_RC(match(r, "GET", "/img/thumb-100x", &m));
    TN_EQ_TSTR(m.captures[0].value, "100");
    EXPECT_RC(r, "GET", "/img/thumb-x", TN_ENOENT);
    tn_router_free(r);
}

TN_TEST(rest_captures) {
    tn_router *r = new_router();
    tn_route_match m;
    add(r, "GET", "/static/{path*}", 0);
    add(r, "GET", "/dl/{*}", 1);
    add(r, "GET", "/x/{id}/*", 2);
    TN_OK_RC(match(r, "GET", "/static/css/site/main.css", &m));
    TN_EQ_INT(tag(&m), 0);
    TN_EQ_UINT(m.num_captures, 1);
    TN_EQ_TSTR(m.captures[0].name, "path");
    TN_EQ_TSTR(m.captures[0].value, "css/site/main.css");
    TN_OK_RC(match(r, "GET", "/static/", &m));   /* empty rest */
    TN_EQ_TSTR(m.captures[0].value, "");
    TN_OK_RC(match(r, "GET", "/static//a//", &m));
    TN_EQ_TSTR(m.captures[0].value, "/a//");
    TN_OK_RC(match(r, "GET", "/static/a%2F..%2Fb", &m));
    TN_EQ_TSTR(m.captures[0].value, "a%2F..%2Fb");
    EXPECT_RC(r, "GET", "/static", TN_ENOENT);   /* no slash, no match */
    EXPECT_RC(r, "GET", "/staticx/a", TN_ENOENT);
    TN_OK_RC(match(r, "GET", "/dl/a/b", &m));
    TN_EQ_INT(tag(&m), 1);
    TN_EQ_TSTR(m.captures[0].name, "");
    TN_EQ_TSTR(m.captures[0].value, "a/b");
    TN_CHECK(tn_route_match_get(&m, "", NULL));
    TN_OK_RC(match(r, "GET", "/x/7/", &m));
    TN_EQ_INT(tag(&m), 2);
    TN_EQ_UINT(m.num_captures, 2);
    TN_EQ_TSTR(m.captures[0].value, "7");
    TN_EQ_TSTR(m.captures[1].value, "");
    EXPECT_RC(r, "GET", "/x/7", TN_ENOENT);
    tn_router_free(r);
}

TN_TEST(catch_all) {
    tn_router *r = new_router();
    tn_route_match m;
    add(r, "GET", "/", 0);
    add(r, "*", "/*", 1);
    EXPECT(r, "GET", "/", 0);
    TN_OK_RC(match(r, "DELETE", "/", &m));   /* "/" is GET only: the catch-all takes DELETE */
    TN_EQ_INT(tag(&m), 1);
    TN_EQ_TSTR(m.captures[0].value, "");
    TN_OK_RC(match(r, "BREW", "/any/thing/at/all", &m));
    TN_EQ_INT(tag(&m), 1);
    TN_EQ_TSTR(m.captures[0].value, "any/thing/at/all");
    tn_router_free(r);
}

TN_TEST(optional_trailing_slash) {
    tn_router *r = new_router();
    tn_route_match m;
    add(r, "GET", "/items/?", 0);
    add(r, "GET", "/users/{id}/?", 1);
    EXPECT(r, "GET", "/items", 0);
    EXPECT(r, "GET", "/items/", 0);
    EXPECT_RC(r, "GET", "/items//", TN_ENOENT);
    EXPECT_RC(r, "GET", "/items/x", TN_ENOENT);
    TN_OK_RC(match(r, "GET", "/users/5", &m));
    TN_EQ_TSTR(m.captures[0].value, "5");
    TN_OK_RC(match(r, "GET", "/users/5/", &m));
    TN_EQ_INT(tag(&m), 1);
    TN_EQ_TSTR(m.captures[0].value, "5");
    EXPECT_RC(r, "GET", "/users//", TN_ENOENT);
    tn_router_free(r);
}

/* ---- order and methods ---- */

TN_TEST(first_match_wins) {
    tn_router *r = new_router();
    add(r, "GET", "/users/me", 0);
    add(r, "GET", "/users/{id}", 1);
    add(r, "GET", "/users/me", 2);          /* shadowed: never reached */
    add(r, "GET", "/{a}/{b}", 3);
    add(r, "GET", "/posts/{id}", 4);         /* shadowed by /{a}/{b}, added before it */
    add(r, "POST", "/posts/{id}", 5);        /* but a method /{a}/{b} lacks */
    EXPECT(r, "GET", "/users/me", 0);
    EXPECT(r, "GET", "/users/you", 1);
    EXPECT(r, "GET", "/posts/1", 3);
    EXPECT(r, "POST", "/posts/1", 5);
    tn_router_free(r);
    /* the trie does not change the order: a root capture route added first wins */
    r = new_router();
    add(r, "GET", "/{any}", 0);
    add(r, "GET", "/fixed", 1);
    EXPECT(r, "GET", "/fixed", 0);
    tn_router_free(r);
    r = new_router();
    add(r, "GET", "/a/b/{c}", 0);
    add(r, "GET", "/a/{b}/c", 1);
    add(r, "GET", "/a/b/c", 2);
    add(r, "GET", "/{a}/b/c", 3);
    add(r, "GET", "/a/b/c", 4);
    EXPECT(r, "GET", "/a/b/c", 0);
    EXPECT(r, "GET", "/a/x/c", 1);
    EXPECT(r, "GET", "/x/b/c", 3);
    tn_router_free(r);
}

TN_TEST(methods) {
    tn_router *r = new_router();
    add(r, "GET", "/r", 0);
    add(r, "POST", "/r", 1);
    add(r, "PUT,DELETE", "/r", 2);
    add(r, " PATCH , OPTIONS ", "/r", 3);
    add(r, "PROPFIND", "/r", 4);
    add(r, NULL, "/any", 5);
    EXPECT(r, "GET", "/r", 0);
    EXPECT(r, "POST", "/r", 1);
    EXPECT(r, "PUT", "/r", 2);
    EXPECT(r, "DELETE", "/r", 2);
    EXPECT(r, "PATCH", "/r", 3);
    EXPECT(r, "OPTIONS", "/r", 3);
    EXPECT(r, "PROPFIND", "/r", 4);
    EXPECT_RC(r, "get", "/r", TN_EMETHOD_NOT_ALLOWED);   /* case-sensitive */
    EXPECT_RC(r, "PROPPATCH", "/r", TN_EMETHOD_NOT_ALLOWED);
    EXPECT_RC(r, "TRACE", "/r", TN_EMETHOD_NOT_ALLOWED);
    EXPECT(r, "TRACE", "/any", 5);
    EXPECT(r, "X-CUSTOM", "/any", 5);
    EXPECT_RC(r, "GE", "/r", TN_EMETHOD_NOT_ALLOWED);    /* a standard method's prefix, */
    EXPECT_RC(r, "GETS", "/r", TN_EMETHOD_NOT_ALLOWED);  /* or one extended, is another */
    {   /* the method is its bytes: "GET" and a NUL is not GET (nor a read past "GET") */
        tn_route_match m;
        memset(&m, 0, sizeof m);
        TN_EQ_RC(tn_router_match(r, tn_str_make("GET\0X", 5), tn_str_c("/r"), &m), TN_EMETHOD_NOT_ALLOWED);
        TN_EQ_RC(tn_router_match(r, tn_str_make("POSTX", 4), tn_str_c("/r"), &m), TN_OK);
        TN_EQ_INT(tag(&m), 1);
    }
    tn_router_free(r);
}

TN_TEST(head_falls_back_to_get) {
    tn_router *r = new_router();
    tn_route_match m;
    add(r, "GET", "/page/{id}", 0);
    add(r, "GET", "/both", 1);
    add(r, "HEAD", "/both", 2);              /* an explicit HEAD route wins over an earlier GET */
    add(r, "POST", "/post", 3);
    add(r, "GET", "/star", 4);
    add(r, "*", "/star", 5);
    add(r, "GET,HEAD", "/gh", 6);
    TN_OK_RC(match(r, "HEAD", "/page/9", &m));
    TN_EQ_INT(tag(&m), 0);
    TN_EQ_TSTR(m.captures[0].value, "9");
    EXPECT(r, "GET", "/both", 1);
    EXPECT(r, "HEAD", "/both", 2);
    EXPECT_RC(r, "HEAD", "/post", TN_EMETHOD_NOT_ALLOWED);
    EXPECT(r, "HEAD", "/star", 5);           /* "*" names HEAD */
    EXPECT(r, "HEAD", "/gh", 6);
    expect_allow(r, "/page/1", "GET, HEAD");
    expect_allow(r, "/post", "POST");
    tn_router_free(r);
    /* the fallback keeps adding order among GET routes and refills the captures */
    r = new_router();
    add(r, "GET", "/a/{x}", 0);
    add(r, "GET", "/{y}/b", 1);
    add(r, "POST", "/{z}/{w}", 2);
    TN_OK_RC(match(r, "HEAD", "/a/b", &m));
    TN_EQ_INT(tag(&m), 0);
    TN_EQ_UINT(m.num_captures, 1);
    TN_EQ_TSTR(m.captures[0].name, "x");
    TN_EQ_TSTR(m.captures[0].value, "b");
    tn_router_free(r);
}

TN_TEST(not_found_and_not_allowed) {
    tn_router *r = new_router();
    tn_route_match m;
    char buf[64];
    size_t n;
    int nf = 0;
    add(r, "GET", "/x", 0);
    add(r, "POST", "/x", 1);
    add(r, "DELETE,PUT", "/x", 2);
    add(r, "PROPFIND,MKCOL", "/x", 3);
    add(r, "MKCOL,PROPFIND,COPY", "/{x}", 4);
    add(r, "OPTIONS", "/{x}", 5);
    TN_EQ_RC(match(r, "PATCH", "/x", &m), TN_EMETHOD_NOT_ALLOWED);
    TN_CHECK(m.handler == NULL && m.route == -1 && m.num_captures == 0);
    expect_allow(r, "/x", "GET, HEAD, POST, PUT, DELETE, OPTIONS, PROPFIND, MKCOL, COPY");
    expect_allow(r, "/y", "OPTIONS, MKCOL, PROPFIND, COPY");
    /* size query and a too-small buffer */
    n = 0;
    TN_EQ_RC(tn_router_allow(r, tn_str_c("/y"), NULL, 0, &n), TN_EBUFFER_FULL);
    TN_EQ_UINT(n, strlen("OPTIONS, MKCOL, PROPFIND, COPY"));
    TN_EQ_RC(tn_router_allow(r, tn_str_c("/y"), buf, n, &n), TN_EBUFFER_FULL);
    TN_OK_RC(tn_router_allow(r, tn_str_c("/y"), buf, n + 1, NULL));
    TN_EQ_STR(buf, "OPTIONS, MKCOL, PROPFIND, COPY");
    /* 404: no pattern matches; no not-found handler yet */
    TN_EQ_RC(match(r, "GET", "/x/y", &m), TN_ENOENT);
    TN_CHECK(m.handler == NULL && m.user == NULL && m.route == -1);
    TN_EQ_RC(tn_router_allow(r, tn_str_c("/x/y"), buf, sizeof buf, &n), TN_ENOENT);
    TN_EQ_UINT(n, 0);
    TN_EQ_STR(buf, "");
    tn_router_set_not_found(r, HD(9), &nf);
    TN_EQ_RC(match(r, "GET", "/x/y", &m), TN_ENOENT);
    TN_EQ_INT(tag(&m), 9);
    TN_CHECK(m.user == &nf && m.route == -1 && m.num_captures == 0);
    /* 405 keeps the not-found handler out of it */
    TN_EQ_RC(match(r, "PATCH", "/x", &m), TN_EMETHOD_NOT_ALLOWED);
    TN_CHECK(m.handler == NULL);
    tn_router_set_not_found(r, NULL, NULL);
    TN_EQ_RC(match(r, "GET", "/x/y", &m), TN_ENOENT);
    TN_CHECK(m.handler == NULL);
    tn_router_free(r);
    /* a "*" route lists the nine standard methods */
    r = new_router();
    add(r, "*", "/s", 0);
    add(r, "BREW", "/s", 1);
    expect_allow(r, "/s", "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, TRACE, CONNECT, BREW");
    tn_router_free(r);
}

TN_TEST(bad_requests) {
    tn_router *r = new_router();
    tn_route_match m;
    char buf[16];
    add(r, "GET", "/*", 0);
    EXPECT_RC(r, "GET", "", TN_EINVAL);
    EXPECT_RC(r, "GET", "a/b", TN_EINVAL);
    EXPECT_RC(r, "GET", "*", TN_EINVAL);
    EXPECT_RC(r, "", "/", TN_EINVAL);
    memset(&m, 0, sizeof m);
    TN_EQ_RC(tn_router_match(r, tn_str_c("GET"), tn_str_make("/a\0b", 4), &m), TN_EINVAL);
    TN_EQ_RC(tn_router_allow(r, tn_str_make("/a\0b", 4), buf, sizeof buf, NULL), TN_EINVAL);
    TN_EQ_RC(tn_router_allow(r, tn_str_c("x"), buf, sizeof buf, NULL), TN_EINVAL);
    /* the query is the caller's to strip: '?' is just a byte here */
    TN_OK_RC(match(r, "GET", "/a?b=c", &m));
    TN_EQ_TSTR(m.captures[0].value, "a?b=c");
    tn_router_free(r);
}

/* ---- captures capacity ---- */

TN_TEST(capture_capacity) {
    tn_router *r = new_router();
    tn_route_match m;
    tn_route_capture two[2];
    tn_str v;
    char pat[512], path[512];
    int i;
    size_t pl = 0, ql = 0;
    add(r, "GET", "/{a}/{b}/{c}", 0);
    add(r, "GET", "/plain", 1);
    memset(&m, 0, sizeof m);
    m.captures = two;
    m.max_captures = 2;
    TN_EQ_RC(tn_router_match(r, tn_str_c("GET"), tn_str_c("/1/2/3"), &m), TN_EBUFFER_FULL);
    TN_EQ_INT(tag(&m), 0);
    TN_EQ_UINT(m.num_captures, 3);
    TN_EQ_TSTR(two[0].value, "1");
    TN_EQ_TSTR(two[1].value, "2");
    TN_CHECK(tn_route_match_get(&m, "b", &v));
    TN_CHECK(!tn_route_match_get(&m, "c", &v));
    m.captures = NULL;
    m.max_captures = 0;
    TN_EQ_RC(tn_router_match(r, tn_str_c("GET"), tn_str_c("/1/2/3"), &m), TN_EBUFFER_FULL);
    TN_OK_RC(tn_router_match(r, tn_str_c("GET"), tn_str_c("/plain"), &m));   /* none needed */
    TN_EQ_INT(tag(&m), 1);
    tn_router_free(r);
    /* exactly TORNADO_MAX_ROUTE_CAPTURES captures fit the documented array */
    r = new_router();
    for (i = 0; i < TORNADO_MAX_ROUTE_CAPTURES; i++) {
        pl += (size_t)sprintf(pat + pl, "/{c%d}", i);
        ql += (size_t)sprintf(path + ql, "/%d", i);
    }
    add(r, "GET", pat, 0);
    TN_OK_RC(match(r, "GET", path, &m));
    TN_EQ_UINT(m.num_captures, TORNADO_MAX_ROUTE_CAPTURES);
    TN_EQ_TSTR(m.captures[TORNADO_MAX_ROUTE_CAPTURES - 1].value, "15");
    strcat(pat, "/{one_more}");
    TN_EQ_RC(tn_router_add(r, "GET", pat, HD(1), NULL), TN_ELIMIT);
    TN_CHECK(strstr(tn_router_last_error(r), "TORNADO_MAX_ROUTE_CAPTURES") != NULL);
    TN_EQ_UINT(tn_router_count(r), 1);
    tn_router_free(r);
}

/* ---- validation ---- */

TN_TEST(invalid_patterns) {
    static const struct {
        const char *pattern;
        int code;
        const char *why;
    } cases[] = {
        {"", TN_EINVAL, "must start with '/'"},
        {"users", TN_EINVAL, "must start with '/'"},
        {"*", TN_EINVAL, "must start with '/'"},
        {"/a//b", TN_EINVAL, "empty segment"},
        {"//", TN_EINVAL, "empty segment"},
        {"/{id", TN_EINVAL, "'{' is not closed"},
        {"/{id/x}", TN_EINVAL, "'{' is not closed"},
        {"/id}", TN_EINVAL, "'}' without '{'"},
        {"/{a}}", TN_EINVAL, "'}' without '{'"},
        {"/{{a}}", TN_EINVAL, "'{' inside a capture"},
        {"/{}", TN_EINVAL, "empty capture name"},
        {"/{1a}", TN_EINVAL, "bad capture name character"},
        {"/{a-b}", TN_EINVAL, "bad capture name character"},
        {"/{a**}", TN_EINVAL, "bad capture name character"},
        {"/{a}/{a}", TN_EINVAL, "duplicate capture name"},
        {"/{a}/{a*}", TN_EINVAL, "duplicate capture name"},
        {"/{a}{b}", TN_EINVAL, "two captures in one segment"},
        {"/{p*}/x", TN_EINVAL, "must be the last segment"},
        {"/*/x", TN_EINVAL, "'*' must be the last segment"},
        {"/x{p*}", TN_EINVAL, "must be a whole segment"},
        {"/{p*}.txt", TN_EINVAL, "must be a whole segment"},
        {"/a*", TN_EINVAL, "only allowed as a whole last segment"},
        {"/{a}*", TN_EINVAL, "only allowed as a whole last segment"},
        {"/a?b", TN_EINVAL, "'?' is only allowed"},
        {"/?", TN_EINVAL, "must follow a non-empty segment"},
        {"/a//?", TN_EINVAL, "must follow a non-empty segment"},
        {"/{p*}/?", TN_EINVAL, "cannot follow a rest capture"},
        {"/*/?", TN_EINVAL, "cannot follow a rest capture"},
        {"/a b", TN_EINVAL, "byte not allowed"},
        {"/a#b", TN_EINVAL, "byte not allowed"},
        {"/caf\xc3\xa9", TN_EINVAL, "byte not allowed"},
        {"/a\\b", TN_EINVAL, "byte not allowed"},
        {"/a%2", TN_EINVAL, "two hex digits"},
        {"/a%zz", TN_EINVAL, "two hex digits"},
        {"/{a}%g0", TN_EINVAL, "two hex digits"},
        {"/{a} ", TN_EINVAL, "byte not allowed"},
        {"/users/:id", TN_EINVAL, "\":id\" is not a capture here: write {id}"},
        {"/:id", TN_EINVAL, "write {id}"},
        {"/files/:name.txt", TN_EINVAL, "write {name}"},
        {"/a/:_x1/b", TN_EINVAL, "write {_x1}"},
        {"/a/:id/?", TN_EINVAL, "write {id}"},
    };
    tn_router *r = new_router();
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = tn_router_add(r, "GET", cases[i].pattern, HD(0), NULL);
        TN_CHECKF(rc == cases[i].code, "pattern \"%s\": %s, want %s", cases[i].pattern, tn_err_name(rc),
                  tn_err_name(cases[i].code));
        TN_CHECKF(strstr(tn_router_last_error(r), cases[i].why) != NULL, "pattern \"%s\": message \"%s\"",
                  cases[i].pattern, tn_router_last_error(r));
        TN_CHECKF(strstr(tn_router_last_error(r), "pattern") != NULL, "no subject in \"%s\"",
                  tn_router_last_error(r));
    }
    TN_EQ_RC(tn_router_add(r, "GET", NULL, HD(0), NULL), TN_EINVAL);
    TN_EQ_UINT(tn_router_count(r), 0);
    /* the message locates the problem */
    TN_EQ_RC(tn_router_add(r, "GET", "/a/{x", HD(0), NULL), TN_EINVAL);
    TN_EQ_STR(tn_router_last_error(r), "pattern \"/a/{x\" at byte 3: '{' is not closed");
    add(r, "GET", "/ok", 0);
    TN_EQ_STR(tn_router_last_error(r), "");
    TN_EQ_RC(tn_router_add(r, "GET", "/users/:id", HD(0), NULL), TN_EINVAL);
    TN_EQ_STR(tn_router_last_error(r), "pattern \"/users/:id\" at byte 7: \":id\" is not a capture here: write {id}");
    tn_router_free(r);
}

/* Every byte in a literal (before and after a capture): the pchars of RFC 3986 (unreserved,
   sub-delims, ':' and '@') but '*'; '%' only as %XX; '{', '}', '?', '*' have their own
   messages, every other byte is "not allowed". The router takes the classes from url.c's table. */
TN_TEST(literal_bytes) {
    tn_router *r = new_router();
    int c;
    for (c = 1; c < 256; c++) {
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 strchr("-._~!$&'()+,;=:@", c) != NULL;
        char pat[16];
        int k, rc;
        if (c == '/' || c == '{' || c == '%') continue;   /* a separator, a capture, an escape */
        for (k = 0; k < 2; k++) {
            snprintf(pat, sizeof pat, k ? "/x{n}y%cz" : "/x%cz", c);
            pat[k ? 6 : 2] = (char)c;
            rc = tn_router_add(r, "GET", pat, HD(0), NULL);
            TN_CHECKF((rc == TN_OK) == ok, "byte 0x%02x in \"%s\": %s", c, k ? "suffix" : "literal", tn_err_name(rc));
            if (!ok && c != '}' && c != '?' && c != '*')
                TN_CHECKF(strstr(tn_router_last_error(r), "byte not allowed") != NULL, "byte 0x%02x: %s", c,
                          tn_router_last_error(r));
        }
    }
    tn_router_free(r);
}

/* ':' is a path character (RFC 3986 pchar): only ":name" starting a segment is refused */
TN_TEST(colon_literals) {
    tn_route_match m;
    tn_router *r = new_router();
    add(r, "GET", "/v1/{name}:cancel", 0);   /* Google-style custom method */
    add(r, "GET", "/a:b", 1);
    add(r, "GET", "/port/:8080", 2);
    add(r, "GET", "/c/::", 3);
    add(r, "GET", "/c/:", 4);
    add(r, "GET", "/verb/:{v}", 5);          /* a capture after a literal ':' */
    add(r, "GET", "/{seg}", 6);               /* how to route a real ":id" segment */
    EXPECT(r, "GET", "/v1/job7:cancel", 0);
    TN_EQ_RC(match(r, "GET", "/v1/job7:cancel", &m), TN_OK);
    TN_EQ_TSTR(m.captures[0].value, "job7");
    EXPECT(r, "GET", "/a:b", 1);
    EXPECT(r, "GET", "/port/:8080", 2);
    EXPECT(r, "GET", "/c/::", 3);
    EXPECT(r, "GET", "/c/:", 4);
    EXPECT(r, "GET", "/verb/:run", 5);
    TN_EQ_RC(match(r, "GET", "/verb/:run", &m), TN_OK);
    TN_EQ_TSTR(m.captures[0].value, "run");
    EXPECT(r, "GET", "/:id", 6);
    TN_EQ_UINT(tn_router_count(r), 7);
    tn_router_free(r);
}

TN_TEST(invalid_methods) {
    static const struct {
        const char *methods;
        const char *why;
    } cases[] = {
        {"", "empty method"},
        {",", "empty method"},
        {"GET,", "empty method"},
        {"GET,,POST", "empty method"},
        {" ", "empty method"},
        {"GET POST", "expected ','"},
        {"GET;POST", "not a token character"},
        {"G\"T", "not a token character"},
        {"GET,*", "\"*\" must stand alone"},
        {"* ", "\"*\" must stand alone"},
    };
    tn_router *r = new_router();
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = tn_router_add(r, cases[i].methods, "/", HD(0), NULL);
        TN_CHECKF(rc == TN_EINVAL, "methods \"%s\": %s", cases[i].methods, tn_err_name(rc));
        TN_CHECKF(strstr(tn_router_last_error(r), cases[i].why) != NULL, "methods \"%s\": message \"%s\"",
                  cases[i].methods, tn_router_last_error(r));
    }
    TN_EQ_UINT(tn_router_count(r), 0);
    tn_router_free(r);
}

/* ---- scale ---- */

TN_TEST(many_routes) {
    tn_router *r = new_router();
    tn_route_match m;
    char pat[128], path[128], want[32];
    int i, rounds;
    /* 1000 routes: 400 under one shared prefix, 300 with different first segments, 200
       literal, 100 root captures at the end (candidates for every path) */
    for (i = 0; i < 400; i++) {
        sprintf(pat, "/api/v1/res%d/{id}", i);
        TN_OK_RC(tn_router_add(r, "GET", pat, HD(i % 64), NULL));
    }
    for (i = 0; i < 300; i++) {
        sprintf(pat, "/top%d/{a}/{rest*}", i);
        TN_OK_RC(tn_router_add(r, "POST", pat, HD(i % 64), NULL));
    }
    for (i = 0; i < 200; i++) {
        sprintf(pat, "/lit/%d/page", i);
        TN_OK_RC(tn_router_add(r, "GET", pat, HD(i % 64), NULL));
    }
    for (i = 0; i < 100; i++) {
        sprintf(pat, "/{x}/only%d", i);
        TN_OK_RC(tn_router_add(r, "GET", pat, HD(i % 64), NULL));
    }
    TN_EQ_UINT(tn_router_count(r), 1000);
    for (rounds = 0; rounds < 3; rounds++) {
        for (i = 0; i < 400; i++) {
            sprintf(path, "/api/v1/res%d/%d", i, i * 7);
            sprintf(want, "%d", i * 7);
            TN_OK_RC(match(r, "GET", path, &m));
            TN_EQ_INT(m.route, i);
            TN_EQ_TSTR(m.captures[0].value, want);
        }
        for (i = 0; i < 300; i++) {
            sprintf(path, "/top%d/x/y/z", i);
            TN_OK_RC(match(r, "POST", path, &m));
            TN_EQ_INT(m.route, 400 + i);
            TN_EQ_TSTR(m.captures[1].value, "y/z");
            TN_EQ_RC(match(r, "GET", path, &m), TN_EMETHOD_NOT_ALLOWED);
        }
        for (i = 0; i < 200; i++) {
            sprintf(path, "/lit/%d/page", i);
            TN_OK_RC(match(r, "HEAD", path, &m));
            TN_EQ_INT(m.route, 700 + i);
        }
        for (i = 0; i < 100; i++) {
            sprintf(path, "/anything/only%d", i);
            TN_OK_RC(match(r, "GET", path, &m));
            TN_EQ_INT(m.route, 900 + i);
        }
    }
    /* a literal route added after the root captures still loses to the first of them */
    TN_OK_RC(tn_router_add(r, "GET", "/lit/only3", HD(0), NULL));
    TN_OK_RC(match(r, "GET", "/lit/only3", &m));
    TN_EQ_INT(m.route, 903);
    EXPECT_RC(r, "GET", "/api/v1/res400/1", TN_ENOENT);
    EXPECT_RC(r, "GET", "/api/v1/res1", TN_ENOENT);
    EXPECT_RC(r, "GET", "/top1/x", TN_ENOENT);
    tn_router_free(r);
}

TN_TEST(deep_literals) {
    /* more literal segments than the trie indexes: the rest is checked by the matcher */
    tn_router *r = new_router();
    char pat[256], path[256];
    int i;
    size_t n = 0;
    for (i = 0; i < 24; i++) n += (size_t)sprintf(pat + n, "/s%d", i);
    add(r, "GET", pat, 0);
    strcpy(path, pat);
    strcat(pat, "/{tail}");
    add(r, "GET", pat, 1);
    EXPECT(r, "GET", path, 0);
    strcat(path, "/t");
    EXPECT(r, "GET", path, 1);
    path[strlen(path) - 6] = 'X';   /* a segment past the trie's depth differs */
    EXPECT_RC(r, "GET", path, TN_ENOENT);
    tn_router_free(r);
}

/* ---- memory ---- */

TN_TEST(allocator_accounting) {
    counting_alloc ca;
    tn_allocator a;
    tn_router *r = NULL;
    char pat[64];
    int i;
    memset(&ca, 0, sizeof ca);
    memset(&a, 0, sizeof a);
    a.alloc = ca_alloc;
    TN_EQ_RC(tn_router_new(&a, &r), TN_EINVAL);   /* partial allocator */
    TN_CHECK(r == NULL);
    a.realloc = ca_realloc;
    a.free = ca_free;
    a.user = &ca;
    TN_OK_RC(tn_router_new(&a, &r));
    for (i = 0; i < 200; i++) {
        sprintf(pat, "/a%d/b%d/{c}", i % 10, i);
        TN_OK_RC(tn_router_add(r, "GET,PROPFIND", pat, HD(0), NULL));
    }
    TN_CHECK(ca.live > 0);
    {   /* matching allocates nothing */
        long before = ca.total;
        tn_route_match m;
        char buf[64];
        TN_OK_RC(match(r, "GET", "/a3/b13/x", &m));
        TN_EQ_RC(match(r, "POST", "/a3/b13/x", &m), TN_EMETHOD_NOT_ALLOWED);
        TN_OK_RC(tn_router_allow(r, tn_str_c("/a3/b13/x"), buf, sizeof buf, NULL));
        TN_EQ_STR(buf, "GET, HEAD, PROPFIND");
        TN_EQ_INT(ca.total, before);
    }
    tn_router_free(r);
    TN_EQ_INT(ca.live, 0);
}

TN_TEST(out_of_memory) {
    /* fail each allocation of an add in turn: TN_ENOMEM, nothing leaks, the table is as before */
    static const char *const pats[] = {"/x/y/z/{w}", "/x/q", "/n1/n2/n3/n4", "/{r}/s", "/x/y/k"};
    static const char *const paths[] = {"/x/y/z/1", "/x/q", "/n1/n2/n3/n4", "/v/s", "/x/y/k"};
    counting_alloc ca;
    tn_allocator a;
    tn_router *r = NULL;
    int k, i, failures = 0;
    memset(&ca, 0, sizeof ca);
    a.alloc = ca_alloc;
    a.realloc = ca_realloc;
    a.free = ca_free;
    a.user = &ca;
    for (k = 1; k < 40; k++) {
        int added[5];
        size_t count = 0;
        ca.fail_after = 0;
        TN_OK_RC(tn_router_new(&a, &r));
        ca.fail_after = k;
        for (i = 0; i < 5; i++) {
            int rc = tn_router_add(r, "GET", pats[i], HD(i), NULL);
            added[i] = rc == 0;
            if (rc == 0) count++;
            else {
                TN_EQ_RC(rc, TN_ENOMEM);
                failures++;
            }
        }
        ca.fail_after = 0;
        TN_EQ_UINT(tn_router_count(r), count);
        for (i = 0; i < 5; i++) {
            if (added[i]) EXPECT(r, "GET", paths[i], i);
            else EXPECT_RC(r, "GET", paths[i], TN_ENOENT);
        }
        /* adding again after a failure works */
        for (i = 0; i < 5; i++) add(r, "GET", pats[i], 10 + i);
        for (i = 0; i < 5; i++) EXPECT(r, "GET", paths[i], added[i] ? i : 10 + i);
        tn_router_free(r);
        TN_EQ_INT(ca.live, 0);
    }
    TN_CHECK(failures > 0);
}

TN_TESTS(TN_CASE(literals), TN_CASE(segment_captures), TN_CASE(mixed_segment_captures), TN_CASE(rest_captures),
         TN_CASE(catch_all), TN_CASE(optional_trailing_slash), TN_CASE(first_match_wins), TN_CASE(methods),
         TN_CASE(head_falls_back_to_get), TN_CASE(not_found_and_not_allowed), TN_CASE(bad_requests),
         TN_CASE(capture_capacity), TN_CASE(invalid_patterns), TN_CASE(literal_bytes), TN_CASE(colon_literals), TN_CASE(invalid_methods), TN_CASE(many_routes),
         TN_CASE(deep_literals), TN_CASE(allocator_accounting), TN_CASE(out_of_memory))
