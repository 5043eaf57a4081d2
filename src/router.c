/* router.c: web router: patterns compiled into segments, a literal-segment trie, first match wins. */
#include "router.h"
#include "internal.h"
#include "http_parse.h"

#if TN_HAS_WEB

/* How it works. tn_router_add compiles a pattern into segments (a literal, a capture with a
   literal prefix/suffix, or a rest capture) and files the route in a trie keyed by its
   leading literal segments (at most TN__RT_TRIE_DEPTH of them). tn_router_match walks the
   trie along the path's segments; the candidates are the routes filed at the nodes on that
   walk, and each node's list is in adding order, so merging the lists by route index visits
   candidates in adding order: the first one that matches (pattern, then method) wins. A
   candidate is checked from the segment where its trie prefix ends, one pass over the rest
   of the path. Routes whose first segment is not a literal sit at the root and are
   candidates for every path.
   A size-optimized build (__OPTIMIZE_SIZE__, -Os) has no trie (TN__RT_FAST 0): every route
   is a candidate, checked from the path's start in adding order. The same routes match
   with the same captures and methods, in time linear in the number of routes (Tornado's
   own rule: a list tried in order), for about 1.5 KB less code; the standard methods are
   then told apart by a loop over their table, not a switch. tests/test_router_small.c runs
   the router tests against that build. */
#if defined(__OPTIMIZE_SIZE__)
#  define TN__RT_FAST 0
#else
#  define TN__RT_FAST 1
#  define TN__RT_TRIE_DEPTH 16
#endif
#define TN__RT_MAX_ROUTES 0x7fffffffu

enum { TN__RT_LIT = 0, TN__RT_CAP = 1, TN__RT_REST = 2 };

/* Standard methods: bit i is tn__rt_std[i]; TN__RT_ANY marks a "*" route. */
#define TN__RT_NSTD 9
#define TN__RT_STD_ALL 0x1ffu
#define TN__RT_GET 0x1u
#define TN__RT_HEAD 0x2u
#define TN__RT_ANY 0x80000000u
/* (arrays, not pointers to literals: a string literal other code shares could land in
   another function's string section and keep it linked; and no relocations) */
static const char tn__rt_std[TN__RT_NSTD][8] = {"GET",   "HEAD",    "POST",  "PUT",    "DELETE",
                                                "PATCH", "OPTIONS", "TRACE", "CONNECT"};

/* One compiled segment; offsets index the route's pattern text. */
typedef struct tn__rt_seg {
    uint32_t pre, pre_len;     /* LIT: the whole segment; CAP: the literal before the capture */
    uint32_t suf, suf_len;     /* CAP: the literal after the capture */
    uint32_t name, name_len;   /* CAP/REST: the capture name (may be empty for REST) */
    uint32_t kind;             /* TN__RT_LIT, TN__RT_CAP, TN__RT_REST */
} tn__rt_seg;

typedef struct tn__rt_route {
    tn_str *custom;       /* methods outside the standard nine (slices of the method text); also
                             the route's one owned block: custom[], segs[], pattern, methods */
    tn__rt_seg *segs;
    const char *pattern;  /* NUL-terminated copy */
    void *handler;
    void *user;
    uint32_t pattern_len;
    uint32_t nsegs;
    uint32_t ncaps;
    uint32_t ncustom;
    uint32_t depth;       /* leading literal segments matched by the trie */
    uint32_t mask;        /* standard method bits | TN__RT_ANY */
    int opt_slash;        /* pattern ended in "/?" */
} tn__rt_route;

#if TN__RT_FAST
typedef struct tn__rt_node {
    const char *key;      /* segment bytes (a slice of the text of the route that made it) */
    size_t key_len;
    uint32_t *kids;       /* child node indices, sorted by key */
    size_t nkids, kids_cap;
    uint32_t *routes;     /* routes filed here, ascending */
    size_t nroutes, routes_cap;
} tn__rt_node;
#endif

struct tn_router {
    tn_allocator a;
    tn__rt_route *routes;
    size_t nroutes, routes_cap;
#if TN__RT_FAST
    tn__rt_node *nodes;   /* nodes[0] is the root */
    size_t nnodes, nodes_cap;
#endif
    void *nf_handler;
    void *nf_user;
    char err[200];
};

/* ---- character classes ---- */

/* RFC 3986 pchar minus '%' (checked apart) and '*' (reserved for the catch-all). */
TN__PRIVATE int tn__rt_litchar(unsigned char c) {
    return (tn__url_is(c, TN__URL_U | TN__URL_S | TN__URL_COLON) && c != '*') || c == '@';
}

/* The end of the capture name ([A-Za-z_][A-Za-z0-9_]*) starting at k, before e: k when
   pat[k] cannot start one, else the first byte past it. */
TN__PRIVATE size_t tn__rt_name_end(const char *pat, size_t k, size_t e) {
    size_t i;
    for (i = k; i < e; i++) {
        unsigned char c = (unsigned char)pat[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > k && c >= '0' && c <= '9'))) break;
    }
    return i;
}

/* The standard-method bit of a method, or 0 for any other. */
#if TN__RT_FAST
TN__PRIVATE uint32_t tn__rt_method_bit(const char *p, size_t n) {
    switch (n) {
    case 3:
        if (memcmp(p, "GET", 3) == 0) return 1u << 0;
        if (memcmp(p, "PUT", 3) == 0) return 1u << 3;
        return 0;
    case 4:
        if (memcmp(p, "HEAD", 4) == 0) return 1u << 1;
        if (memcmp(p, "POST", 4) == 0) return 1u << 2;
        return 0;
    case 5:
        if (memcmp(p, "PATCH", 5) == 0) return 1u << 5;
        if (memcmp(p, "TRACE", 5) == 0) return 1u << 7;
        return 0;
    case 6: return memcmp(p, "DELETE", 6) == 0 ? 1u << 4 : 0;
    case 7:
        if (memcmp(p, "OPTIONS", 7) == 0) return 1u << 6;
        if (memcmp(p, "CONNECT", 7) == 0) return 1u << 8;
        return 0;
    default: return 0;
    }
}
#else
TN__PRIVATE uint32_t tn__rt_method_bit(const char *p, size_t n) {
    uint32_t i;
    for (i = 0; i < TN__RT_NSTD; i++)
        if (strlen(tn__rt_std[i]) == n && memcmp(tn__rt_std[i], p, n) == 0) return 1u << i;
    return 0;
}
#endif

/* ---- parsing (run twice: once to validate and count with rt->custom and rt->segs NULL,
   once to fill them). Each returns NULL, or why not with *at at the offending byte. ---- */

/* Parse a method list into rt->mask and rt->custom (slices of text; counted in ncustom). */
TN__PRIVATE const char *tn__rt_parse_methods(tn__rt_route *rt, const char *text, size_t n, size_t *at) {
    size_t i = 0;
    rt->mask = 0;
    rt->ncustom = 0;
    if (n == 1 && text[0] == '*') {
        rt->mask = TN__RT_ANY;
        return NULL;
    }
    for (;;) {
        size_t s, e;
        uint32_t bit;
        while (i < n && (text[i] == ' ' || text[i] == '\t')) i++;
        s = i;
        while (i < n && text[i] != ',' && text[i] != ' ' && text[i] != '\t') {
            *at = i;
            if (!tn__http_is_tchar((unsigned char)text[i])) return "not a token character";
            i++;
        }
        e = i;
        while (i < n && (text[i] == ' ' || text[i] == '\t')) i++;
        *at = s;
        if (e == s) return "empty method";
        if (e - s == 1 && text[s] == '*') return "\"*\" must stand alone";
        *at = i;
        if (i < n && text[i] != ',') return "expected ','";
        bit = tn__rt_method_bit(text + s, e - s);
        if (bit) {
            rt->mask |= bit;
        } else {
            if (rt->custom) rt->custom[rt->ncustom] = tn_str_make(text + s, e - s);
            rt->ncustom++;
        }
        if (i++ >= n) return NULL;   /* (past the ',') */
    }
}

/* The literal bytes of a segment from *at up to e (pchars and %XX; a capture's prefix stops
   at '{', its suffix may not hold one). Returns NULL with *at at the end, or why not with
   *at at the offending byte. */
TN__PRIVATE const char *tn__rt_lit(const char *pat, size_t *at, size_t e, int suffix) {
    size_t i;
    for (i = *at; i < e; i++) {
        unsigned char c = (unsigned char)pat[i];
        *at = i;
        if (c == '{') {
            if (suffix) return "two captures in one segment";
            return NULL;
        }
        if (c == '%') {
            if (i + 2 >= e || tn__hexval((unsigned char)pat[i + 1]) < 0 || tn__hexval((unsigned char)pat[i + 2]) < 0)
                return "'%' must be followed by two hex digits";
            i += 2;
        } else if (c == '}') {
            return "'}' without '{'";
        } else if (c == '*') {
            return "'*' is only allowed as a whole last segment";
        } else if (c == '?') {
            return "'?' is only allowed in a trailing \"/?\"";
        } else if (!tn__rt_litchar(c)) {
            return "byte not allowed in a path pattern";
        }
    }
    *at = i;
    return NULL;
}

/* Parse a pattern of n bytes (with its "/?", if any) into rt->segs, nsegs, ncaps and
   opt_slash. A TN_ELIMIT reason comes with *at (size_t)-1 (it has no byte to point at); the
   ":name" reason is written into msg (78 bytes). */
TN__PRIVATE const char *tn__rt_parse_pattern(tn__rt_route *rt, const char *pat, size_t n, size_t *at, char *msg) {
    tn_str names[TORNADO_MAX_ROUTE_CAPTURES];
    size_t s = 1, e;
    tn__rt_seg sg;
    const char *why;
    rt->nsegs = 0;
    rt->ncaps = 0;
    rt->opt_slash = 0;
    if (n >= 2 && pat[n - 1] == '?' && pat[n - 2] == '/') {   /* checked first: "/?" alone says this */
        rt->opt_slash = 1;
        *at = n -= 2;
        if (n == 0 || pat[n - 1] == '/') return "\"/?\" must follow a non-empty segment";
    }
    *at = 0;
    if (n == 0 || pat[0] != '/') return "must start with '/'";
    for (;; s = e + 1) {
        for (e = s; e < n && pat[e] != '/'; e++) {}
        memset(&sg, 0, sizeof sg);
        sg.pre = sg.name = (uint32_t)s;
        *at = s;
        if (e == s && e < n) return "empty segment (\"//\")";
        if (e - s == 1 && pat[s] == '*') {
            sg.kind = TN__RT_REST;
            if (e < n) return "'*' must be the last segment";
        } else {
            size_t i, ns, ne, k;
            int rest;
            /* ":name" starting a segment is how Express, Sinatra and Rails spell a capture;
               here it would be a literal that only the path "/users/:id" matches: a route
               that silently never fires. ':' is a legal pchar (RFC 3986
               §3.3), and Tornado's regex routes treat it as a literal too, so only this
               shape is refused: ':' first in a segment and a name start after it. ':'
               elsewhere ("/v1/{name}:cancel", "/a:b") and before anything else (":8080",
               "::", ":{x}") stays literal. A real path segment like ":id" can still be
               routed with a capture ("/{seg}") that the handler checks. */
            if (pat[s] == ':' && (k = tn__rt_name_end(pat, s + 1, e)) > s + 1) {
                int nl = (int)TN__MIN(k - s - 1, 20);   /* (with the rest of the message, fits r->err) */
                snprintf(msg, 78, "\":%.*s\" is not a capture here: write {%.*s}", nl, pat + s + 1, nl, pat + s + 1);
                return msg;
            }
            /* literal bytes up to '{' or the segment end */
            if ((why = tn__rt_lit(pat, at, e, 0)) != NULL) return why;
            i = *at;
            sg.pre_len = (uint32_t)(i - s);
            if (i < e) {   /* a capture */
                ns = i + 1;
                for (ne = ns; ne < e && pat[ne] != '}'; ne++) {}
                if (ne >= e) return "'{' is not closed";
                rest = ne > ns && pat[ne - 1] == '*';
                *at = k = tn__rt_name_end(pat, ns, ne - (size_t)rest);
                if (k < ne - (size_t)rest) return pat[k] == '{' ? "'{' inside a capture" : "bad capture name character";
                *at = i;
                if (!rest && ne == ns) return "empty capture name";
                sg.name = (uint32_t)ns;
                sg.name_len = (uint32_t)(ne - ns - (size_t)rest);
                if (rest) {
                    if (i != s || ne + 1 != e) return "a rest capture {x*} must be a whole segment";
                    if (e < n) return "a rest capture {x*} must be the last segment";
                    sg.kind = TN__RT_REST;
                } else {
                    sg.kind = TN__RT_CAP;
                    sg.suf = (uint32_t)(ne + 1);
                    sg.suf_len = (uint32_t)(e - ne - 1);
                    *at = ne + 1;
                    if ((why = tn__rt_lit(pat, at, e, 1)) != NULL) return why;
                }
            }
        }
        if (sg.kind != TN__RT_LIT) {
            uint32_t c;
            *at = (size_t)-1;
            if (rt->ncaps >= TORNADO_MAX_ROUTE_CAPTURES) return "more captures than TORNADO_MAX_ROUTE_CAPTURES";
            *at = sg.name;
            names[rt->ncaps] = tn_str_make(pat + sg.name, sg.name_len);
            for (c = 0; c < rt->ncaps && sg.name_len; c++)
                if (tn_str_eq(names[c], names[rt->ncaps])) return "duplicate capture name";
            rt->ncaps++;
        }
        if (rt->segs) rt->segs[rt->nsegs] = sg;
        rt->nsegs++;
        if (e >= n) break;
    }
    *at = s;
    return rt->opt_slash && sg.kind == TN__RT_REST ? "\"/?\" cannot follow a rest capture" : NULL;
}

TN__PRIVATE int tn__rt_grow(const tn_allocator *a, void *arrp, size_t *cap, size_t need, size_t elem) {
    void *p;
    int rc;
    memcpy(&p, arrp, sizeof p);
    rc = tn__grow(a, &p, cap, need, elem);
    memcpy(arrp, &p, sizeof p);
    return rc;
}

/* ---- trie ---- */
#if TN__RT_FAST

TN__PRIVATE int tn__rt_keycmp(const char *a, size_t an, const char *b, size_t bn) {
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c) return c;
    return an < bn ? -1 : an > bn ? 1 : 0;
}

/* Index in node's kids of the child with this key, or of where it would go (*found 0). */
TN__PRIVATE size_t tn__rt_kid_find(const tn_router *r, const tn__rt_node *nd, const char *k, size_t kn, int *found) {
    size_t lo = 0, hi = nd->nkids;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const tn__rt_node *c = &r->nodes[nd->kids[mid]];
        int cmp = tn__rt_keycmp(c->key, c->key_len, k, kn);
        if (cmp == 0) {
            *found = 1;
            return mid;
        }
        if (cmp < 0) lo = mid + 1;
        else hi = mid;
    }
    *found = 0;
    return lo;
}

/* Undo the nodes created since first_new (a chain hanging from one existing parent). */
TN__PRIVATE void tn__rt_trie_rollback(tn_router *r, uint32_t parent, size_t kid_slot, size_t first_new) {
    size_t i;
    if (r->nnodes <= first_new) return;
    {
        tn__rt_node *p = &r->nodes[parent];
        memmove(p->kids + kid_slot, p->kids + kid_slot + 1, (p->nkids - kid_slot - 1) * sizeof(uint32_t));
        p->nkids--;
    }
    for (i = first_new; i < r->nnodes; i++) {
        tn__free(&r->a, r->nodes[i].kids);
        tn__free(&r->a, r->nodes[i].routes);
    }
    r->nnodes = first_new;
}

/* File route index ri (whose first depth segments are literals) in the trie. */
TN__PRIVATE int tn__rt_trie_insert(tn_router *r, const tn__rt_route *rt, uint32_t ri) {
    uint32_t node = 0, d, parent = 0;
    size_t first_new = r->nnodes, slot = 0;
    int created = 0;
    tn__rt_node *nd;
    for (d = 0; d < rt->depth; d++) {
        const tn__rt_seg *sg = &rt->segs[d];
        const char *k = rt->pattern + sg->pre;
        int found;
        size_t at = tn__rt_kid_find(r, &r->nodes[node], k, sg->pre_len, &found);
        if (!found) {
            tn__rt_node *nn;
            if (tn__rt_grow(&r->a, &r->nodes, &r->nodes_cap, r->nnodes + 1, sizeof(tn__rt_node)) != 0 ||
                tn__rt_grow(&r->a, &r->nodes[node].kids, &r->nodes[node].kids_cap, r->nodes[node].nkids + 1,
                            sizeof(uint32_t)) != 0) {
                if (created) tn__rt_trie_rollback(r, parent, slot, first_new);
                return TN_ENOMEM;
            }
            nd = &r->nodes[node];
            memmove(nd->kids + at + 1, nd->kids + at, (nd->nkids - at) * sizeof(uint32_t));
            nd->kids[at] = (uint32_t)r->nnodes;
            nd->nkids++;
            if (!created) {
                created = 1;
                parent = node;
                slot = at;
            }
            nn = &r->nodes[r->nnodes];
            memset(nn, 0, sizeof *nn);
            nn->key = k;
            nn->key_len = sg->pre_len;
            node = (uint32_t)r->nnodes++;
        } else {
            node = r->nodes[node].kids[at];
        }
    }
    nd = &r->nodes[node];
    if (tn__rt_grow(&r->a, &nd->routes, &nd->routes_cap, nd->nroutes + 1, sizeof(uint32_t)) != 0) {
        if (created) tn__rt_trie_rollback(r, parent, slot, first_new);
        return TN_ENOMEM;
    }
    nd->routes[nd->nroutes++] = ri;
    return TN_OK;
}

/* ---- candidates: the routes filed along the path's trie walk, in adding order ---- */

typedef struct tn__rt_iter {
    const tn_router *r;
    size_t n;                                   /* lists */
    const tn__rt_node *node[TN__RT_TRIE_DEPTH + 1];
    size_t pos[TN__RT_TRIE_DEPTH + 1];          /* path offset after the node's segments */
    size_t cur[TN__RT_TRIE_DEPTH + 1];          /* next entry of each list */
} tn__rt_iter;

TN__PRIVATE void tn__rt_iter_init(tn__rt_iter *it, const tn_router *r, const char *p, size_t len) {
    const tn__rt_node *nd = &r->nodes[0];
    size_t pos = 0, d = 0;
    it->r = r;
    it->n = 0;
    for (;;) {
        const char *s, *e;
        size_t at;
        int found;
        if (nd->nroutes) {
            it->node[it->n] = nd;
            it->pos[it->n] = pos;
            it->cur[it->n] = 0;
            it->n++;
        }
        if (d >= TN__RT_TRIE_DEPTH || pos >= len || nd->nkids == 0) break;
        s = p + pos + 1;   /* p[pos] is '/' */
        e = (const char *)memchr(s, '/', len - pos - 1);
        if (!e) e = p + len;
        at = tn__rt_kid_find(r, nd, s, (size_t)(e - s), &found);
        if (!found) break;
        nd = &r->nodes[nd->kids[at]];
        pos = (size_t)(e - p);
        d++;
    }
}

/* Next candidate in adding order. Returns: 1 with *ri and *pos, or 0 when done. */
TN__PRIVATE int tn__rt_iter_next(tn__rt_iter *it, uint32_t *ri, size_t *pos) {
    size_t i, best = (size_t)-1;
    uint32_t bv = 0;
    for (i = 0; i < it->n; i++) {
        if (it->cur[i] < it->node[i]->nroutes) {
            uint32_t v = it->node[i]->routes[it->cur[i]];
            if (best == (size_t)-1 || v < bv) {
                best = i;
                bv = v;
            }
        }
    }
    if (best == (size_t)-1) return 0;
    it->cur[best]++;
    *ri = bv;
    *pos = it->pos[best];
    return 1;
}
#else /* !TN__RT_FAST: every route is a candidate, from the path's start */
typedef struct tn__rt_iter {
    size_t n, cur;
} tn__rt_iter;

TN__PRIVATE void tn__rt_iter_init(tn__rt_iter *it, const tn_router *r, const char *p, size_t len) {
    (void)p;
    (void)len;
    it->n = r->nroutes;
    it->cur = 0;
}

TN__PRIVATE int tn__rt_iter_next(tn__rt_iter *it, uint32_t *ri, size_t *pos) {
    if (it->cur >= it->n) return 0;
    *ri = (uint32_t)it->cur++;
    *pos = 0;
    return 1;
}
#endif /* TN__RT_FAST */

/* Match the route's segments after its trie prefix against p from pos (at a '/' or the
   end). Captures go to caps while they fit; *ncaps counts them all. Returns 1 or 0. */
TN__PRIVATE int tn__rt_match_from(const tn__rt_route *rt, const char *p, size_t len, size_t pos,
                                  tn_route_capture *caps, size_t max, size_t *ncaps) {
    size_t nc = 0;
    const char *pat = rt->pattern;
    const tn__rt_seg *sg, *end = rt->segs + rt->nsegs;
    for (sg = rt->segs + rt->depth; sg < end; sg++) {
        size_t s, e = len, sl, fix = (size_t)sg->pre_len + sg->suf_len;
        const char *q;
        if (pos >= len) return 0;
        s = pos + 1;
        /* (a rest capture takes the rest of the path, '/' and all; it has no prefix or suffix) */
        if (sg->kind != TN__RT_REST && (q = (const char *)memchr(p + s, '/', len - s)) != NULL) e = (size_t)(q - p);
        sl = e - s;
        /* a literal is exactly its bytes; a capture takes at least one byte between its
           prefix and suffix */
        if ((sg->kind == TN__RT_LIT ? sl != fix : sl < fix + (sg->kind == TN__RT_CAP)) ||
            memcmp(p + s, pat + sg->pre, sg->pre_len) != 0 ||
            (sg->suf_len && memcmp(p + e - sg->suf_len, pat + sg->suf, sg->suf_len) != 0))
            return 0;
        if (sg->kind != TN__RT_LIT) {
            if (nc < max) {
                caps[nc].name = tn_str_make(pat + sg->name, sg->name_len);
                caps[nc].value = tn_str_make(p + s + sg->pre_len, sl - fix);
            }
            nc++;
        }
        pos = e;
    }
    if (pos != len && !(rt->opt_slash && pos + 1 == len)) return 0;
    *ncaps = nc;
    return 1;
}

TN__PRIVATE int tn__rt_method_ok(const tn__rt_route *rt, uint32_t bit, tn_str method) {
    uint32_t i;
    if (rt->mask & TN__RT_ANY) return 1;
    if (bit) return (rt->mask & bit) != 0;
    for (i = 0; i < rt->ncustom; i++)
        if (tn_str_eq(rt->custom[i], method)) return 1;
    return 0;
}

TN__PRIVATE int tn__rt_check_path(tn_str path) {
    if (path.len == 0 || !path.ptr || path.ptr[0] != '/' || memchr(path.ptr, 0, path.len) != NULL) return TN_EINVAL;
    return TN_OK;
}

/* ---- public ---- */

TN_API int tn_router_new(const tn_allocator *alloc, tn_router **out) {
    tn_allocator a;
    tn_router *r;
    int rc = tn__allocator_resolve(alloc, &a);
    *out = NULL;
    if (rc != 0) return rc;
    r = (tn_router *)tn__calloc(&a, sizeof *r);
    if (!r) return TN_ENOMEM;
    r->a = a;
#if TN__RT_FAST
    r->nodes = (tn__rt_node *)tn__calloc(&a, sizeof(tn__rt_node));
    if (!r->nodes) {
        tn__free(&a, r);
        return TN_ENOMEM;
    }
    r->nnodes = 1;
    r->nodes_cap = 1;
#endif
    *out = r;
    return TN_OK;
}

TN_API void tn_router_free(tn_router *r) {
    size_t i;
    tn_allocator a;
    if (!r) return;
    a = r->a;
    for (i = 0; i < r->nroutes; i++) tn__free(&a, r->routes[i].custom);
#if TN__RT_FAST
    for (i = 0; i < r->nnodes; i++) {
        tn__free(&a, r->nodes[i].kids);
        tn__free(&a, r->nodes[i].routes);
    }
    tn__free(&a, r->nodes);
#endif
    tn__free(&a, r->routes);
    tn__free(&a, r);
}

TN_API int tn_router_add(tn_router *r, const char *methods, const char *pattern, void *handler, void *user) {
    size_t plen, mlen, off_segs, off_text, at = (size_t)-1;
#if TN__RT_FAST
    uint32_t d;
    int rc;
#endif
    int code = TN_EINVAL;
    tn__rt_route rt;
    char *mem, *text, msg[78];
    const char *what = "methods", *quoted = "(null)", *why = "missing";
    r->err[0] = 0;
    memset(&rt, 0, sizeof rt);
    if (!methods) methods = "*";
    if (!pattern) goto fail_pattern;
    plen = strlen(pattern);
    mlen = strlen(methods);
    quoted = pattern;
    why = "too long";
    if (plen > 0xffffff) goto fail_pattern;
    quoted = methods;
    if (mlen > 0xffffff) goto fail;
    quoted = pattern;
    if (r->nroutes >= TN__RT_MAX_ROUTES) {
        code = TN_ELIMIT;
        why = "too many routes";
        goto fail_pattern;
    }
    quoted = methods;
    if ((why = tn__rt_parse_methods(&rt, methods, mlen, &at)) != NULL) goto fail;
    quoted = pattern;
    if ((why = tn__rt_parse_pattern(&rt, pattern, plen, &at, msg)) != NULL) {
        if (at == (size_t)-1) code = TN_ELIMIT;
        goto fail_pattern;
    }
    /* one block: custom[ncustom] | segs[nsegs] | pattern NUL | methods NUL */
    off_segs = rt.ncustom * sizeof(tn_str);
    off_text = off_segs + rt.nsegs * sizeof(tn__rt_seg);
    mem = (char *)tn__alloc(&r->a, off_text + plen + 1 + mlen + 1);
    if (!mem) return TN_ENOMEM;
    text = mem + off_text;
    memcpy(text, pattern, plen + 1);
    memcpy(text + plen + 1, methods, mlen + 1);
    rt.custom = (tn_str *)(void *)mem;
    rt.segs = (tn__rt_seg *)(void *)(mem + off_segs);
    rt.pattern = text;
    rt.pattern_len = (uint32_t)plen;
    rt.handler = handler;
    rt.user = user;
    (void)tn__rt_parse_methods(&rt, text + plen + 1, mlen, &at);
    (void)tn__rt_parse_pattern(&rt, text, plen, &at, msg);
#if TN__RT_FAST
    for (d = 0; d < rt.nsegs && d < TN__RT_TRIE_DEPTH && rt.segs[d].kind == TN__RT_LIT; d++) {}
    rt.depth = d;
#endif
    if (tn__rt_grow(&r->a, &r->routes, &r->routes_cap, r->nroutes + 1, sizeof(tn__rt_route)) != 0) {
        tn__free(&r->a, mem);
        return TN_ENOMEM;
    }
#if TN__RT_FAST
    rc = tn__rt_trie_insert(r, &rt, (uint32_t)r->nroutes);
    if (rc != 0) {
        tn__free(&r->a, mem);
        return rc;
    }
#endif
    r->routes[r->nroutes++] = rt;
    return TN_OK;
fail_pattern:
    what = "pattern";
fail:   /* what: the argument at fault; quoted: its text; at: the byte, or (size_t)-1 for none */
    if (at == (size_t)-1)
        snprintf(r->err, sizeof r->err, "%s \"%.80s\": %s", what, quoted, why);
    else
        snprintf(r->err, sizeof r->err, "%s \"%.80s\" at byte %lu: %s", what, quoted, (unsigned long)at, why);
    return code;
}

TN_API const char *tn_router_last_error(const tn_router *r) { return r->err; }

TN_API void tn_router_set_not_found(tn_router *r, void *handler, void *user) {
    r->nf_handler = handler;
    r->nf_user = user;
}

TN_API size_t tn_router_count(const tn_router *r) { return r->nroutes; }

TN_API int tn_router_match(const tn_router *r, tn_str method, tn_str path, tn_route_match *m) {
    tn__rt_iter it;
    uint32_t ri, bit, fallback = 0;
    size_t pos, fb_pos = 0, nc = 0;
    int have_fb = 0, path_hit = 0;
    const tn__rt_route *rt;
    m->num_captures = 0;
    m->handler = NULL;
    m->user = NULL;
    m->route = -1;
    m->pattern = tn_str_make(NULL, 0);
    if (tn__rt_check_path(path) != 0 || method.len == 0 || !method.ptr) return TN_EINVAL;
    bit = tn__rt_method_bit(method.ptr, method.len);
    tn__rt_iter_init(&it, r, path.ptr, path.len);
    while (tn__rt_iter_next(&it, &ri, &pos)) {
        rt = &r->routes[ri];
        if (!tn__rt_match_from(rt, path.ptr, path.len, pos, m->captures, m->max_captures, &nc)) continue;
        path_hit = 1;
        if (tn__rt_method_ok(rt, bit, method)) goto found;
        if (bit == TN__RT_HEAD && !have_fb && (rt->mask & TN__RT_GET)) {
            have_fb = 1;
            fallback = ri;
            fb_pos = pos;
        }
    }
    if (have_fb) {
        ri = fallback;
        rt = &r->routes[ri];
        (void)tn__rt_match_from(rt, path.ptr, path.len, fb_pos, m->captures, m->max_captures, &nc);
        goto found;
    }
    if (path_hit) return TN_EMETHOD_NOT_ALLOWED;
    m->handler = r->nf_handler;
    m->user = r->nf_user;
    return TN_ENOENT;
found:
    m->handler = rt->handler;
    m->user = rt->user;
    m->route = (int)ri;
    m->pattern = tn_str_make(rt->pattern, rt->pattern_len);
    m->num_captures = nc;
    return nc > m->max_captures ? TN_EBUFFER_FULL : TN_OK;
}

TN_API int tn_route_match_get(const tn_route_match *m, const char *name, tn_str *value) {
    size_t i, n = m->num_captures < m->max_captures ? m->num_captures : m->max_captures;
    size_t nl = strlen(name);
    for (i = 0; i < n; i++) {
        if (m->captures[i].name.len == nl && memcmp(m->captures[i].name.ptr, name, nl) == 0) {
            if (value) *value = m->captures[i].value;
            return 1;
        }
    }
    return 0;
}

/* A bounded writer that keeps counting past the end, so callers learn the size. */
typedef struct tn__rt_wr {
    char *p;
    size_t cap, len;
} tn__rt_wr;

TN__PRIVATE void tn__rt_put(tn__rt_wr *w, const char *s, size_t n) {
    if (w->len > 0) {
        if (w->len + 2 <= w->cap) memcpy(w->p + w->len, ", ", 2);
        w->len += 2;
    }
    if (w->len + n <= w->cap && n) memcpy(w->p + w->len, s, n);
    w->len += n;
}

/* The next candidate whose pattern matches the path (no captures), or NULL when done. */
TN__PRIVATE const tn__rt_route *tn__rt_next_hit(tn__rt_iter *it, const tn_router *r, tn_str path, uint32_t *ri) {
    size_t pos, nc;
    while (tn__rt_iter_next(it, ri, &pos))
        if (tn__rt_match_from(&r->routes[*ri], path.ptr, path.len, pos, NULL, 0, &nc)) return &r->routes[*ri];
    return NULL;
}

/* The custom methods of the routes matching the path, in route and slot order, before
   slot j of route ri (ri (uint32_t)-1: all of them). With find NULL: write each one that no
   earlier one equals (asking this function again, with find). With find: 1 when one of
   them equals *find. ("*" routes have no custom slots.) */
TN__PRIVATE int tn__rt_customs(const tn_router *r, tn_str path, tn__rt_wr *w, const tn_str *find, uint32_t ri,
                               uint32_t j) {
    tn__rt_iter it;
    const tn__rt_route *rt;
    uint32_t ci, k;
    tn__rt_iter_init(&it, r, path.ptr, path.len);
    while ((rt = tn__rt_next_hit(&it, r, path, &ci)) != NULL && ci <= ri) {
        for (k = 0; k < (ci == ri ? j : rt->ncustom); k++) {
            if (find) {
                if (tn_str_eq(rt->custom[k], *find)) return 1;
            } else if (!tn__rt_customs(r, path, NULL, &rt->custom[k], ci, k)) {
                tn__rt_put(w, rt->custom[k].ptr, rt->custom[k].len);
            }
        }
    }
    return 0;
}

TN_API int tn_router_allow(const tn_router *r, tn_str path, char *out, size_t cap, size_t *out_len) {
    tn__rt_iter it;
    tn__rt_wr w;
    const tn__rt_route *rt;
    uint32_t ri, mask = 0, i;
    w.p = out;
    w.cap = out ? cap : 0;
    w.len = 0;
    if (out_len) *out_len = 0;
    if (out && cap) out[0] = 0;
    if (tn__rt_check_path(path) != 0) return TN_EINVAL;
    /* the standard methods of every matching route first (TN__RT_ANY in mask: one matched),
       then the others in the order routes name them */
    tn__rt_iter_init(&it, r, path.ptr, path.len);
    while ((rt = tn__rt_next_hit(&it, r, path, &ri)) != NULL)
        mask |= TN__RT_ANY | ((rt->mask & TN__RT_ANY) ? TN__RT_STD_ALL : rt->mask);
    if (!mask) return TN_ENOENT;
    if (mask & TN__RT_GET) mask |= TN__RT_HEAD;
    for (i = 0; i < TN__RT_NSTD; i++)
        if (mask & (1u << i)) tn__rt_put(&w, tn__rt_std[i], strlen(tn__rt_std[i]));
    (void)tn__rt_customs(r, path, &w, NULL, (uint32_t)-1, 0);
    if (out_len) *out_len = w.len;
    if (w.len < w.cap) out[w.len] = 0;
    return w.len < w.cap ? TN_OK : TN_EBUFFER_FULL;
}

#endif /* TN_HAS_WEB */
