/* fuzz_router.c: libFuzzer harness for the router. A fixed route table plus routes from the
   input, then requests from the input. Invariants: tn_router_add accepts exactly the patterns
   and method lists a slow reference validator accepts; every match agrees with a slow
   reference matcher written here (string walking over the pattern text, no compilation, no
   trie): same code, same route, same captures (names and offsets); capture values lie inside
   the path and, put back into the pattern with its literals, rebuild the path exactly; the
   Allow value equals the reference's.
   Input: byte 0 picks the capture array capacity; then lines. "+METHODS PATTERN" adds a
   route ("+PATTERN" alone: any method); "METHOD PATH" (or just "PATH": GET) is a request. */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include "fuzz_check.h"

#define FZ_MAX_ROUTES 64
#define FZ_MAX_REQS 128
#define FZ_NCAP TORNADO_MAX_ROUTE_CAPTURES

static const char *const fz_fixed[][2] = {
    {"GET", "/"},
    {"GET", "/users/{id}"},
    {"GET,POST", "/users/{id}/posts/{post}"},
    {"PUT", "/users/me"},
    {"*", "/static/{path*}"},
    {"GET", "/files/{name}.txt"},
    {"GET", "/v{ver}/api/?"},
    {"PROPFIND, GET", "/dav/{*}"},
    {"HEAD", "/head/only"},
    {"GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/{r}"},
    {"DELETE", "/{x}/{y}"},
    {"GET", "/a/"},
    {"GET", "/a"},
    {"BREW", "/pot/*"},
    {"GET", "/x%2Fy/{z}"},
};

typedef struct fz_route {
    const char *methods;   /* NULL = any */
    const char *pattern;
} fz_route;

typedef struct fz_cap {
    const char *name;
    size_t name_len;
    size_t off, len;       /* value: offset and length in the path */
} fz_cap;

/* ---- reference validator ---- */

static int fz_litc(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~' || c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' ||
           c == '+' || c == ',' || c == ';' || c == '=' || c == ':' || c == '@';
}
static int fz_hexc(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static int fz_lit_ok(const char *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        if (p[i] == '%') {
            if (i + 2 >= n) return 0;
            if (!fz_hexc((unsigned char)p[i + 1]) || !fz_hexc((unsigned char)p[i + 2])) return 0;
            i += 2;
        } else if (!fz_litc((unsigned char)p[i])) {
            return 0;
        }
    }
    return 1;
}
static int fz_ident(const char *p, size_t n) {
    size_t i;
    if (n == 0) return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return 0;
    }
    return 1;
}

/* 0 invalid, 1 valid, -1 too many captures (only when otherwise valid so far). */
static int fz_ref_valid_pattern(const char *p) {
    size_t n = strlen(p), s = 1, ncaps = 0;
    const char *names[FZ_NCAP + 1];
    size_t nlens[FZ_NCAP + 1];
    int opt = 0, last_rest = 0;
    if (n >= 2 && p[n - 1] == '?' && p[n - 2] == '/') {
        opt = 1;
        n -= 2;
        if (n == 0 || p[n - 1] == '/') return 0;
    }
    if (n == 0 || p[0] != '/') return 0;
    for (;;) {
        size_t e = s, lb = 0, rb = 0, nl = 0, nr = 0, k;
        int last, is_cap = 0, rest = 0;
        const char *name = NULL;
        size_t name_len = 0;
        while (e < n && p[e] != '/') e++;
        last = e >= n;
        if (e == s && !last) return 0;
        for (k = s; k < e; k++) {
            if (p[k] == '{') { nl++; lb = k; }
            if (p[k] == '}') { nr++; rb = k; }
        }
        if (e - s >= 2 && p[s] == ':' && fz_ident(p + s + 1, 1)) return 0;   /* "/:id": write {id} */
        if (e - s == 1 && p[s] == '*') {
            if (!last) return 0;
            is_cap = rest = 1;
        } else if (nl == 0 && nr == 0) {
            if (!fz_lit_ok(p + s, e - s)) return 0;
        } else if (nl == 1 && nr == 1 && lb < rb) {
            const char *in = p + lb + 1;
            size_t inl = rb - lb - 1;
            if (!fz_lit_ok(p + s, lb - s) || !fz_lit_ok(p + rb + 1, e - rb - 1)) return 0;
            is_cap = 1;
            if (inl > 0 && in[inl - 1] == '*') {
                rest = 1;
                name = in;
                name_len = inl - 1;
                if (name_len && !fz_ident(name, name_len)) return 0;
                if (lb != s || rb + 1 != e || !last) return 0;
            } else {
                name = in;
                name_len = inl;
                if (!fz_ident(name, name_len)) return 0;
            }
        } else {
            return 0;
        }
        if (is_cap) {
            size_t c;
            if (ncaps >= FZ_NCAP) return -1;
            for (c = 0; c < ncaps; c++)
                if (name_len && nlens[c] == name_len && memcmp(names[c], name, name_len) == 0) return 0;
            names[ncaps] = name;
            nlens[ncaps] = name_len;
            ncaps++;
        }
        last_rest = rest;
        if (last) break;
        s = e + 1;
    }
    if (opt && last_rest) return 0;
    return 1;
}

static int fz_tc(unsigned char c) { return fz_tchar(c); }

/* Valid method list? methods NULL = any. */
static int fz_ref_valid_methods(const char *m) {
    const char *p = m;
    if (!m || strcmp(m, "*") == 0) return 1;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t a = 0, b = e ? (size_t)(e - p) : strlen(p), k;
        while (a < b && (p[a] == ' ' || p[a] == '\t')) a++;
        while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t')) b--;
        if (a == b) return 0;
        if (b - a == 1 && p[a] == '*') return 0;
        for (k = a; k < b; k++)
            if (!fz_tc((unsigned char)p[k])) return 0;
        if (!e) return 1;
        p = e + 1;
    }
}

/* Call fn for each method of a valid list (not "*"). */
static int fz_methods_has(const char *m, const char *meth, size_t ml) {
    const char *p = m;
    if (!m || strcmp(m, "*") == 0) return 1;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t a = 0, b = e ? (size_t)(e - p) : strlen(p);
        while (a < b && (p[a] == ' ' || p[a] == '\t')) a++;
        while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t')) b--;
        if (b - a == ml && memcmp(p + a, meth, ml) == 0) return 1;
        if (!e) return 0;
        p = e + 1;
    }
}

/* ---- reference matcher: walk the pattern text and the path together ---- */
static int fz_ref_match(const char *pat, const char *path, size_t len, fz_cap *caps, size_t *ncaps) {
    size_t n = strlen(pat), s = 1, pos = 0;
    int opt = 0;
    *ncaps = 0;
    if (n >= 2 && pat[n - 1] == '?' && pat[n - 2] == '/') {
        opt = 1;
        n -= 2;
    }
    for (;;) {
        size_t e = s, ps, pe, lb, rb;
        const char *brace;
        while (e < n && pat[e] != '/') e++;
        if (pos >= len || path[pos] != '/') return 0;
        ps = pos + 1;
        /* rest capture */
        if ((e - s == 1 && pat[s] == '*') || (e - s >= 3 && pat[s] == '{' && pat[e - 1] == '}' && pat[e - 2] == '*')) {
            caps[*ncaps].name = pat[s] == '*' ? pat + s : pat + s + 1;
            caps[*ncaps].name_len = pat[s] == '*' ? 0 : e - s - 3;
            caps[*ncaps].off = ps;
            caps[*ncaps].len = len - ps;
            (*ncaps)++;
            return 1;
        }
        pe = ps;
        while (pe < len && path[pe] != '/') pe++;
        brace = (const char *)memchr(pat + s, '{', e - s);
        if (!brace) {
            if (pe - ps != e - s || memcmp(path + ps, pat + s, e - s) != 0) return 0;
        } else {
            size_t pre, suf;
            lb = (size_t)(brace - pat);
            rb = lb;
            while (pat[rb] != '}') rb++;
            pre = lb - s;
            suf = e - rb - 1;
            if (pe - ps < pre + suf + 1) return 0;
            if (memcmp(path + ps, pat + s, pre) != 0 || memcmp(path + pe - suf, pat + rb + 1, suf) != 0) return 0;
            caps[*ncaps].name = pat + lb + 1;
            caps[*ncaps].name_len = rb - lb - 1;
            caps[*ncaps].off = ps + pre;
            caps[*ncaps].len = pe - ps - pre - suf;
            (*ncaps)++;
        }
        pos = pe;
        if (e >= n) break;
        s = e + 1;
    }
    return pos == len || (opt && pos + 1 == len && path[pos] == '/');
}

static const char *const fz_std[9] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"};

static int fz_is_std(const char *p, size_t n) {
    int i;
    for (i = 0; i < 9; i++)
        if (strlen(fz_std[i]) == n && memcmp(fz_std[i], p, n) == 0) return 1;
    return 0;
}

/* The reference Allow value. */
static void fz_ref_allow(const fz_route *rt, size_t nr, const char *path, size_t len, char *out, size_t cap, int *hit) {
    int std[9] = {0, 0, 0, 0, 0, 0, 0, 0, 0};
    const char *cu[256];
    size_t cul[256], ncu = 0, i, j, ol = 0, nc;
    int k;
    fz_cap tmp[FZ_NCAP + 1];
    *hit = 0;
    for (i = 0; i < nr; i++) {
        if (!fz_ref_match(rt[i].pattern, path, len, tmp, &nc)) continue;
        *hit = 1;
        for (k = 0; k < 9; k++)
            if (fz_methods_has(rt[i].methods, fz_std[k], strlen(fz_std[k]))) std[k] = 1;
        if (rt[i].methods && strcmp(rt[i].methods, "*") != 0) {
            const char *p = rt[i].methods;
            for (;;) {
                const char *e = strchr(p, ',');
                size_t a = 0, b = e ? (size_t)(e - p) : strlen(p);
                while (a < b && (p[a] == ' ' || p[a] == '\t')) a++;
                while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t')) b--;
                if (!fz_is_std(p + a, b - a)) {
                    for (j = 0; j < ncu; j++)
                        if (cul[j] == b - a && memcmp(cu[j], p + a, b - a) == 0) break;
                    if (j == ncu && ncu < 256) {
                        cu[ncu] = p + a;
                        cul[ncu++] = b - a;
                    }
                }
                if (!e) break;
                p = e + 1;
            }
        }
    }
    if (std[0]) std[1] = 1;
    out[0] = 0;
    for (k = 0; k < 9; k++)
        if (std[k] && ol < cap) ol += (size_t)snprintf(out + ol, cap - ol, "%s%s", ol ? ", " : "", fz_std[k]);
    for (j = 0; j < ncu && ol < cap; j++)
        ol += (size_t)snprintf(out + ol, cap - ol, "%s%.*s", ol ? ", " : "", (int)cul[j], cu[j]);
}

/* ---- the harness ---- */

static void fz_check_request(tn_router *r, const fz_route *rt, size_t nr, const char *meth, size_t ml,
                             const char *line, size_t ll, size_t capn) {
    char *path = (char *)malloc(ll ? ll : 1);   /* exact size: ASan sees any over-read */
    tn_route_capture caps[FZ_NCAP];
    fz_cap ref[FZ_NCAP + 1], tmp[FZ_NCAP + 1];
    tn_route_match m;
    size_t i, nc = 0, ntmp;
    long want = -1, fallback = -1;
    int rc, path_hit = 0, want_rc;
    if (ll) memcpy(path, line, ll);
    memset(&m, 0, sizeof m);
    m.captures = caps;
    m.max_captures = capn;
    rc = tn_router_match(r, tn_str_make(meth, ml), tn_str_make(path, ll), &m);
    if (ll == 0 || path[0] != '/' || memchr(path, 0, ll) || ml == 0) {
        FZ_CHECK(rc == TN_EINVAL);
        free(path);
        return;
    }
    for (i = 0; i < nr; i++) {
        if (!fz_ref_match(rt[i].pattern, path, ll, tmp, &ntmp)) continue;
        path_hit = 1;
        if (fz_methods_has(rt[i].methods, meth, ml)) {
            want = (long)i;
            break;
        }
        if (fallback < 0 && ml == 4 && memcmp(meth, "HEAD", 4) == 0 && fz_methods_has(rt[i].methods, "GET", 3))
            fallback = (long)i;
    }
    if (want < 0) want = fallback;
    if (want >= 0) {
        FZ_CHECK(fz_ref_match(rt[want].pattern, path, ll, ref, &nc));
        want_rc = nc > capn ? TN_EBUFFER_FULL : TN_OK;
    } else {
        want_rc = path_hit ? TN_EMETHOD_NOT_ALLOWED : TN_ENOENT;
    }
    FZ_CHECK(rc == want_rc);
    FZ_CHECK(m.route == (int)want);
    if (want >= 0) {
        const char *pat = rt[want].pattern;
        size_t pl = strlen(pat), k, ci = 0, ri = 0;
        char *re = (char *)malloc(ll + 1);
        size_t rl = 0;
        int bad = 0;
        FZ_CHECK(m.handler == (void *)&rt[want] && m.num_captures == nc);
        FZ_CHECK(m.pattern.len == pl && memcmp(m.pattern.ptr, pat, pl) == 0);
        for (i = 0; i < nc && i < capn; i++) {
            tn_str v;
            FZ_CHECK(caps[i].value.len == ref[i].len);
            FZ_CHECK(caps[i].value.len == 0 || caps[i].value.ptr == path + ref[i].off);
            FZ_CHECK(caps[i].value.len == 0 || (caps[i].value.ptr >= path && caps[i].value.ptr + caps[i].value.len <= path + ll));
            FZ_CHECK(caps[i].name.len == ref[i].name_len && memcmp(caps[i].name.ptr, ref[i].name, ref[i].name_len) == 0);
            if (ref[i].name_len && ref[i].name_len < 64) {   /* by name: names are unique */
                char nm[64];
                memcpy(nm, ref[i].name, ref[i].name_len);
                nm[ref[i].name_len] = 0;
                FZ_CHECK(tn_route_match_get(&m, nm, &v) == 1);
                FZ_CHECK(v.ptr == caps[i].value.ptr && v.len == caps[i].value.len);
            }
        }
        /* rebuild the path from the pattern's literals and the captures */
        if (nc <= capn) {
            if (pl >= 2 && pat[pl - 1] == '?' && pat[pl - 2] == '/') pl -= 2;
            for (k = 0; k < pl && !bad; k++) {
                if (pat[k] == '{' || (pat[k] == '*' && (k + 1 == pl))) {
                    tn_str v = caps[ci++].value;
                    if (rl + v.len > ll) bad = 1;
                    else {
                        if (v.len) memcpy(re + rl, v.ptr, v.len);
                        rl += v.len;
                    }
                    if (pat[k] == '{')
                        while (pat[k] != '}') k++;
                } else {
                    if (rl + 1 > ll) bad = 1;
                    else re[rl++] = pat[k];
                }
            }
            if (!bad && rl + 1 == ll && path[ll - 1] == '/') re[rl++] = '/';   /* the optional slash */
            FZ_CHECK(!bad && rl == ll && memcmp(re, path, ll) == 0);
            FZ_CHECK(ci == nc);
            (void)ri;
        }
        free(re);
    } else if (rc == TN_ENOENT) {
        FZ_CHECK(m.handler == (void *)r && m.num_captures == 0);
    } else {
        FZ_CHECK(m.handler == NULL && m.num_captures == 0);
    }
    /* Allow */
    {
        char got[4096], ref_allow[4096];
        size_t gl = 0;
        int hit;
        int arc = tn_router_allow(r, tn_str_make(path, ll), got, sizeof got, &gl);
        fz_ref_allow(rt, nr, path, ll, ref_allow, sizeof ref_allow, &hit);
        FZ_CHECK(hit == path_hit);
        if (!hit) {
            FZ_CHECK(arc == TN_ENOENT && gl == 0);
        } else if (arc == TN_OK) {
            FZ_CHECK(strcmp(got, ref_allow) == 0 && gl == strlen(got));
            /* the size query agrees */
            FZ_CHECK(tn_router_allow(r, tn_str_make(path, ll), NULL, 0, &gl) == TN_EBUFFER_FULL && gl == strlen(got));
        } else {
            FZ_CHECK(arc == TN_EBUFFER_FULL && gl >= sizeof got);
        }
    }
    free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tn_router *r = NULL;
    fz_route routes[FZ_MAX_ROUTES + 16];
    char *strs[FZ_MAX_ROUTES * 2];
    size_t nstrs = 0, nr = 0, i, capn, nreq = 0;
    const char *p, *end;
    unsigned sel;
    if (size < 1) return 0;
    sel = data[0];
    capn = (sel & 0x80) ? (sel % 5) : FZ_NCAP;
    FZ_CHECK(tn_router_new(NULL, &r) == TN_OK);
    tn_router_set_not_found(r, (void *)r, NULL);
    for (i = 0; i < sizeof fz_fixed / sizeof fz_fixed[0]; i++) {
        routes[nr].methods = fz_fixed[i][0];
        routes[nr].pattern = fz_fixed[i][1];
        FZ_CHECK(fz_ref_valid_pattern(routes[nr].pattern) == 1);
        FZ_CHECK(tn_router_add(r, routes[nr].methods, routes[nr].pattern, (void *)&routes[nr], NULL) == TN_OK);
        nr++;
    }
    p = (const char *)data + 1;
    end = (const char *)data + size;
    while (p < end) {
        const char *nl = (const char *)memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t ll = (size_t)(le - p);
        if (ll > 0 && p[0] == '+') {
            if (nr < FZ_MAX_ROUTES + 16 && nstrs + 2 <= FZ_MAX_ROUTES * 2) {
                const char *sp = (const char *)memchr(p + 1, ' ', ll - 1);
                char *meth = NULL, *pat;
                int vm, vp, rc;
                if (sp) {
                    meth = (char *)malloc((size_t)(sp - p));
                    memcpy(meth, p + 1, (size_t)(sp - p - 1));
                    meth[sp - p - 1] = 0;
                    strs[nstrs++] = meth;
                }
                {
                    const char *ps = sp ? sp + 1 : p + 1;
                    pat = (char *)malloc((size_t)(le - ps) + 1);
                    memcpy(pat, ps, (size_t)(le - ps));
                    pat[le - ps] = 0;
                    strs[nstrs++] = pat;
                }
                routes[nr].methods = meth;
                routes[nr].pattern = pat;
                rc = tn_router_add(r, meth, pat, (void *)&routes[nr], NULL);
                vm = fz_ref_valid_methods(meth);
                vp = vm ? fz_ref_valid_pattern(pat) : 0;
                if (rc == TN_OK) {
                    FZ_CHECK(vm == 1 && vp == 1);
                    FZ_CHECK(tn_router_last_error(r)[0] == 0);
                    nr++;
                } else {
                    FZ_CHECK(rc == TN_EINVAL || rc == TN_ELIMIT);
                    FZ_CHECK(vm == 0 || vp != 1);
                    FZ_CHECK((rc == TN_ELIMIT) == (vm && vp == -1));
                    FZ_CHECK(tn_router_last_error(r)[0] != 0);
                }
                FZ_CHECK(tn_router_count(r) == nr);
            }
        } else if (nreq < FZ_MAX_REQS) {
            const char *sp = (const char *)memchr(p, ' ', ll);
            nreq++;
            if (sp) fz_check_request(r, routes, nr, p, (size_t)(sp - p), sp + 1, (size_t)(le - sp - 1), capn);
            else fz_check_request(r, routes, nr, "GET", 3, p, ll, capn);
        }
        p = nl ? nl + 1 : end;
    }
    tn_router_free(r);
    for (i = 0; i < nstrs; i++) free(strs[i]);
    return 0;
}

#include "fuzz_main.h"
