/* http_util.c: URL, escaping, query, header-parameter, date, Range and reason code. */
#include "http_util.h"

/* ---- character classes ---- */
TN__PRIVATE int tn__is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
TN__PRIVATE int tn__is_digit(int c) { return c >= '0' && c <= '9'; }
TN__PRIVATE int tn__is_alnum(int c) { return tn__is_alpha(c) || tn__is_digit(c); }
TN__PRIVATE int tn__is_unreserved(int c) {
    return tn__is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
TN__PRIVATE int tn__is_subdelim(int c) {
    switch (c) {
    case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=':
        return 1;
    default:
        return 0;
    }
}
TN__PRIVATE int tn__is_ows(int c) { return c == ' ' || c == '\t'; }

static const char tn__hex_upper[] = "0123456789ABCDEF";
static const char tn__hex_lower[] = "0123456789abcdef";

TN__PRIVATE tn_str tn__trim(tn_str s) {
    while (s.len && tn__is_ows((unsigned char)s.ptr[0])) { s.ptr++; s.len--; }
    while (s.len && tn__is_ows((unsigned char)s.ptr[s.len - 1])) s.len--;
    return s;
}

/* ---- output writer: counts always, writes while the caller's buffer has room ----
   The *_buf variants run a formatter twice: once to size (p NULL), then into reserved
   tn_buf space, so a tn_buf is never left half-written. */
typedef struct tn__w {
    char *p;
    size_t cap;
    size_t n;
    int full;
} tn__w;

TN__PRIVATE void tn__w_init(tn__w *w, char *p, size_t cap) {
    w->p = p;
    w->cap = cap;
    w->n = 0;
    w->full = 0;
}

TN__PRIVATE void tn__w_put(tn__w *w, const char *s, size_t k) {
    if (w->p && !w->full) {
        if (k <= w->cap - w->n) {
            if (k) memcpy(w->p + w->n, s, k);
        } else {
            w->full = 1;
        }
    }
    w->n += k;
}

TN__PRIVATE void tn__w_ch(tn__w *w, char c) {
    if (w->p && !w->full) {
        if (w->n < w->cap) w->p[w->n] = c;
        else w->full = 1;
    }
    w->n++;
}

TN__PRIVATE int tn__w_end(tn__w *w, size_t *out_len) {
    if (out_len) *out_len = w->n;
    if (!w->p) return TN_OK;
    if (w->full || w->n > w->cap) return TN_EBUFFER_FULL;
    if (w->n < w->cap) w->p[w->n] = '\0';
    return TN_OK;
}

/* Reserve room for n bytes (+1 spare) at the end of b and set up a writer over it. */
TN__PRIVATE int tn__w_buf_begin(tn__w *w, tn_buf *b, size_t n) {
    int rc;
    if (!b) return TN_EINVAL;
    if (n == (size_t)-1) return TN_ENOMEM;
    if ((rc = tn_buf_reserve(b, n + 1)) != 0) return rc;
    tn__w_init(w, b->data + b->len, n + 1);
    return TN_OK;
}

TN__PRIVATE void tn__w_u64(tn__w *w, uint64_t v) {
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    tn__w_put(w, tmp + i, sizeof tmp - i);
}

/* ======================================================================================
   URLs
   ====================================================================================== */

TN__PRIVATE int tn__valid_ipv4(const char *s, size_t n) {
    size_t i = 0;
    int part;
    for (part = 0; part < 4; part++) {
        unsigned v = 0;
        size_t d = 0;
        if (part > 0) {
            if (i >= n || s[i] != '.') return 0;
            i++;
        }
        while (i < n && tn__is_digit((unsigned char)s[i]) && d < 4) {
            v = v * 10u + (unsigned)(s[i] - '0');
            i++;
            d++;
        }
        if (d == 0 || d > 3 || v > 255) return 0;
    }
    return i == n;
}

TN__PRIVATE int tn__valid_ipv6(const char *s, size_t n) {
    size_t i = 0, j;
    int groups = 0, dbl = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        dbl = 1;
        i = 2;
        if (i == n) return 1;
    } else if (n == 0 || s[0] == ':') {
        return 0;
    }
    for (;;) {
        j = i;
        while (j < n && tn__hexval((unsigned char)s[j]) >= 0) j++;
        if (j < n && s[j] == '.') {   /* an embedded IPv4 address ends the literal */
            if (!tn__valid_ipv4(s + i, n - i)) return 0;
            groups += 2;
            break;
        }
        if (j == i || j - i > 4) return 0;
        groups++;
        i = j;
        if (i == n) break;
        if (s[i] != ':') return 0;
        i++;
        if (i < n && s[i] == ':') {
            if (dbl) return 0;
            dbl = 1;
            i++;
            if (i == n) break;
        } else if (i == n) {
            return 0;
        }
        if (groups > 8) return 0;
    }
    return dbl ? groups <= 7 : groups == 8;
}

/* The inside of "[...]": IPv6 (optionally with a zone id "%25eth0" or "%eth0") or
   IPvFuture ("v1.x"). */
TN__PRIVATE int tn__valid_ip_literal(const char *s, size_t n) {
    size_t i, pct;
    if (n >= 1 && (s[0] == 'v' || s[0] == 'V')) {
        i = 1;
        while (i < n && tn__hexval((unsigned char)s[i]) >= 0) i++;
        if (i == 1 || i >= n || s[i] != '.') return 0;
        if (++i == n) return 0;
        for (; i < n; i++) {
            int c = (unsigned char)s[i];
            if (!tn__is_unreserved(c) && !tn__is_subdelim(c) && c != ':') return 0;
        }
        return 1;
    }
    for (pct = 0; pct < n && s[pct] != '%'; pct++) {}
    if (pct < n) {
        if (pct + 1 == n) return 0;   /* empty zone id */
        for (i = pct + 1; i < n; i++) {
            int c = (unsigned char)s[i];
            if (!tn__is_unreserved(c) && c != '%') return 0;
        }
    }
    return tn__valid_ipv6(s, pct);
}

/* Port digits → 0..65535; empty → -1; anything else → TN_EBAD_URL. */
TN__PRIVATE int tn__parse_port(const char *s, size_t n, int *port) {
    size_t i;
    long v = 0;
    *port = -1;
    if (n == 0) return TN_OK;
    for (i = 0; i < n; i++) {
        if (!tn__is_digit((unsigned char)s[i])) return TN_EBAD_URL;
        v = v * 10 + (s[i] - '0');
        if (v > 65535) return TN_EBAD_URL;
    }
    *port = (int)v;
    return TN_OK;
}

TN__PRIVATE int tn__parse_authority(const char *a, size_t m, tn_url *u) {
    size_t k, at = (size_t)-1, hs, he, ps;
    int rc;
    for (k = 0; k < m; k++) {
        if (a[k] == '@') {
            if (at != (size_t)-1) return TN_EBAD_URL;   /* "a:b@@host" */
            at = k;
        }
    }
    hs = 0;
    if (at != (size_t)-1) {
        for (k = 0; k < at; k++) {
            int c = (unsigned char)a[k];
            if (!(tn__is_unreserved(c) || tn__is_subdelim(c) || c == ':' || c == '%' || c >= 0x80))
                return TN_EBAD_URL;
        }
        u->userinfo = tn_str_make(a, at);
        u->flags |= TN_URL_HAS_USERINFO;
        hs = at + 1;
    }
    if (hs < m && a[hs] == '[') {
        for (he = hs + 1; he < m && a[he] != ']'; he++) {}
        if (he >= m) return TN_EBAD_URL;
        if (!tn__valid_ip_literal(a + hs + 1, he - hs - 1)) return TN_EBAD_URL;
        u->host = tn_str_make(a + hs + 1, he - hs - 1);
        u->flags |= TN_URL_IPV6;
        ps = he + 1;
        if (ps < m && a[ps] != ':') return TN_EBAD_URL;
    } else {
        for (he = hs; he < m && a[he] != ':'; he++) {
            int c = (unsigned char)a[he];
            if (!(tn__is_unreserved(c) || tn__is_subdelim(c) || c == '%' || c >= 0x80))
                return TN_EBAD_URL;
        }
        u->host = tn_str_make(a + hs, he - hs);
        ps = he;
    }
    if (ps < m) {   /* a[ps] == ':' */
        u->flags |= TN_URL_HAS_PORT;
        u->port_str = tn_str_make(a + ps + 1, m - ps - 1);
        if ((rc = tn__parse_port(a + ps + 1, m - ps - 1, &u->port)) != 0) return rc;
    }
    return TN_OK;
}

TN_API int tn_url_parse(tn_str url, tn_url *out) {
    const char *s = url.ptr;
    size_t n = url.len, i, j;
    int rc = TN_EBAD_URL;
    if (!out) return TN_EINVAL;
    memset(out, 0, sizeof *out);
    out->port = -1;
    if (n > TORNADO_MAX_URL_BYTES) { rc = TN_EURI_TOO_LONG; goto fail; }
    if (n && !s) { rc = TN_EINVAL; goto fail; }
    if (!s) s = "";
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f) goto fail;
    }
    i = 0;
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    if (n && tn__is_alpha((unsigned char)s[0])) {
        for (j = 1; j < n; j++) {
            int c = (unsigned char)s[j];
            if (!(tn__is_alnum(c) || c == '+' || c == '-' || c == '.')) break;
        }
        if (j < n && s[j] == ':') {
            out->scheme = tn_str_make(s, j);
            out->flags |= TN_URL_HAS_SCHEME;
            i = j + 1;
        }
    }
    if (!(out->flags & TN_URL_HAS_SCHEME)) {
        /* a relative-path reference: its first segment cannot hold ':' (RFC 3986 4.2) */
        for (j = 0; j < n && s[j] != '/' && s[j] != '?' && s[j] != '#'; j++)
            if (s[j] == ':') goto fail;
    }
    if (n - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
        i += 2;
        for (j = i; j < n && s[j] != '/' && s[j] != '?' && s[j] != '#'; j++) {}
        out->flags |= TN_URL_HAS_AUTHORITY;
        out->authority = tn_str_make(s + i, j - i);
        if ((rc = tn__parse_authority(s + i, j - i, out)) != 0) goto fail;
        i = j;
    }
    for (j = i; j < n && s[j] != '?' && s[j] != '#'; j++) {}
    out->path = tn_str_make(s + i, j - i);
    i = j;
    if (i < n && s[i] == '?') {
        i++;
        for (j = i; j < n && s[j] != '#'; j++) {}
        out->query = tn_str_make(s + i, j - i);
        out->flags |= TN_URL_HAS_QUERY;
        i = j;
    }
    if (i < n && s[i] == '#') {
        i++;
        out->fragment = tn_str_make(s + i, n - i);
        out->flags |= TN_URL_HAS_FRAGMENT;
    }
    return TN_OK;
fail:
    memset(out, 0, sizeof *out);
    return rc ? rc : TN_EBAD_URL;
}

/* RFC 3986 5.2.4 remove_dot_segments over s[0..n), in place (the output never gets
   ahead of the input). Returns the new length. */
TN__PRIVATE size_t tn__remove_dot_segments(char *s, size_t n) {
    size_t i = 0, o = 0;
    while (i < n) {
        size_t rest = n - i;
        if (rest >= 3 && memcmp(s + i, "../", 3) == 0) {
            i += 3;
        } else if (rest >= 2 && memcmp(s + i, "./", 2) == 0) {
            i += 2;
        } else if (rest >= 3 && memcmp(s + i, "/./", 3) == 0) {
            i += 2;                                    /* input now starts at the last '/' */
        } else if (rest == 2 && memcmp(s + i, "/.", 2) == 0) {
            s[o++] = '/';
            i = n;
        } else if ((rest >= 4 && memcmp(s + i, "/../", 4) == 0) ||
                   (rest == 3 && memcmp(s + i, "/..", 3) == 0)) {
            while (o > 0 && s[o - 1] != '/') o--;      /* drop the last output segment */
            if (o > 0) o--;                            /* and its '/' */
            if (rest == 3) {
                s[o++] = '/';
                i = n;
            } else {
                i += 3;
            }
        } else if ((rest == 1 && s[i] == '.') || (rest == 2 && memcmp(s + i, "..", 2) == 0)) {
            i = n;
        } else {
            if (s[i] == '/') s[o++] = s[i++];
            while (i < n && s[i] != '/') s[o++] = s[i++];
        }
    }
    return o;
}

/* Resolve into out, which holds at least base.len + ref.len + 8 bytes. */
TN__PRIVATE size_t tn__url_resolve_into(const tn_url *b, const tn_url *r, char *out) {
    size_t n = 0, ps;
    const tn_url *auth_from = r, *query_from = r;
    tn_str path;
#define TN__OUT(p, l) do { if (l) memcpy(out + n, (p), (l)); n += (l); } while (0)
    if (r->flags & TN_URL_HAS_SCHEME) {
        TN__OUT(r->scheme.ptr, r->scheme.len);
    } else {
        TN__OUT(b->scheme.ptr, b->scheme.len);
        if (!(r->flags & TN_URL_HAS_AUTHORITY)) auth_from = b;
    }
    out[n++] = ':';
    if (auth_from->flags & TN_URL_HAS_AUTHORITY) {
        out[n++] = '/';
        out[n++] = '/';
        TN__OUT(auth_from->authority.ptr, auth_from->authority.len);
    }
    ps = n;
    if (auth_from == r) {
        path = r->path;
        TN__OUT(path.ptr, path.len);
    } else if (r->path.len == 0) {
        TN__OUT(b->path.ptr, b->path.len);
        if (!(r->flags & TN_URL_HAS_QUERY)) query_from = b;
    } else if (r->path.ptr[0] == '/') {
        TN__OUT(r->path.ptr, r->path.len);
    } else {
        /* merge: the base path up to its last '/', then the reference path */
        if ((b->flags & TN_URL_HAS_AUTHORITY) && b->path.len == 0) {
            out[n++] = '/';
        } else {
            size_t k = b->path.len;
            while (k > 0 && b->path.ptr[k - 1] != '/') k--;
            TN__OUT(b->path.ptr, k);
        }
        TN__OUT(r->path.ptr, r->path.len);
    }
    if (auth_from == r || r->path.len != 0)   /* an empty reference path keeps the base's */
        n = ps + tn__remove_dot_segments(out + ps, n - ps);
    if (query_from->flags & TN_URL_HAS_QUERY) {
        out[n++] = '?';
        TN__OUT(query_from->query.ptr, query_from->query.len);
    }
    if (r->flags & TN_URL_HAS_FRAGMENT) {
        out[n++] = '#';
        TN__OUT(r->fragment.ptr, r->fragment.len);
    }
#undef TN__OUT
    out[n] = '\0';
    return n;
}

TN__PRIVATE int tn__url_resolve_parse(tn_str base, tn_str ref, tn_url *b, tn_url *r) {
    int rc;
    if ((rc = tn_url_parse(base, b)) != 0) return rc;
    if (!(b->flags & TN_URL_HAS_SCHEME)) return TN_EBAD_URL;
    return tn_url_parse(ref, r);
}

TN_API int tn_url_resolve(tn_str base, tn_str ref, char *out, size_t cap, size_t *out_len) {
    tn_url b, r;
    size_t bound = base.len + ref.len + 8;
    int rc = tn__url_resolve_parse(base, ref, &b, &r);
    if (rc) return rc;
    if (!out || cap < bound) {
        if (out_len) *out_len = bound;
        return TN_EBUFFER_FULL;
    }
    bound = tn__url_resolve_into(&b, &r, out);
    if (out_len) *out_len = bound;
    return TN_OK;
}

TN_API int tn_url_resolve_buf(tn_buf *buf, tn_str base, tn_str ref) {
    tn_url b, r;
    size_t bound = base.len + ref.len + 8;
    int rc = tn__url_resolve_parse(base, ref, &b, &r);
    if (rc) return rc;
    if (!buf) return TN_EINVAL;
    if ((rc = tn_buf_reserve(buf, bound)) != 0) return rc;
    buf->len += tn__url_resolve_into(&b, &r, buf->data + buf->len);
    return TN_OK;
}

TN_API size_t tn_url_remove_dot_segments(char *path, size_t len) {
    return path ? tn__remove_dot_segments(path, len) : 0;
}

TN_API int tn_split_host_port(tn_str netloc, tn_str *host, int *port) {
    const char *s = netloc.ptr;
    size_t n = netloc.len, i, colons = 0, last = 0;
    tn_str h;
    int p = -1, rc;
    h.ptr = s;
    h.len = n;
    if (n && s[0] == '[') {
        for (i = 1; i < n && s[i] != ']'; i++) {}
        if (i >= n) return TN_EBAD_URL;
        h = tn_str_make(s + 1, i - 1);
        if (i + 1 < n) {
            if (s[i + 1] != ':') return TN_EBAD_URL;
            if ((rc = tn__parse_port(s + i + 2, n - i - 2, &p)) != 0) return rc;
        }
    } else {
        for (i = 0; i < n; i++)
            if (s[i] == ':') { colons++; last = i; }
        if (colons == 1) {
            h = tn_str_make(s, last);
            if ((rc = tn__parse_port(s + last + 1, n - last - 1, &p)) != 0) return rc;
        }
    }
    if (host) *host = h;
    if (port) *port = p;
    return TN_OK;
}

/* ---- escaping ---- */
TN__PRIVATE void tn__url_escape_w(tn__w *w, tn_str in, unsigned flags) {
    size_t i, run = 0;
    int plus = (flags & TN_URL_PLUS) != 0;
    if (!in.len) return;
    for (i = 0; i < in.len; i++) {
        unsigned char c = (unsigned char)in.ptr[i];
        char esc[3];
        if (tn__is_unreserved(c) || (c == '/' && !plus)) {
            run++;
            continue;
        }
        tn__w_put(w, in.ptr + i - run, run);
        run = 0;
        if (c == ' ' && plus) {
            tn__w_ch(w, '+');
        } else {
            esc[0] = '%';
            esc[1] = tn__hex_upper[c >> 4];
            esc[2] = tn__hex_upper[c & 15];
            tn__w_put(w, esc, 3);
        }
    }
    tn__w_put(w, in.ptr + in.len - run, run);
}

TN_API int tn_url_escape(tn_str in, unsigned flags, char *out, size_t cap, size_t *out_len) {
    tn__w w;
    tn__w_init(&w, out, cap);
    tn__url_escape_w(&w, in, flags);
    return tn__w_end(&w, out_len);
}

TN_API int tn_url_escape_buf(tn_buf *b, tn_str in, unsigned flags) {
    tn__w w;
    int rc;
    tn__w_init(&w, NULL, 0);
    tn__url_escape_w(&w, in, flags);
    if ((rc = tn__w_buf_begin(&w, b, w.n)) != 0) return rc;
    tn__url_escape_w(&w, in, flags);
    b->len += w.n;
    return TN_OK;
}

/* Decoded length of in; -1 (via *bad) for a malformed escape in strict mode. */
TN__PRIVATE size_t tn__unescape_len(tn_str in, unsigned flags, int *bad) {
    size_t i, n = 0;
    *bad = 0;
    for (i = 0; i < in.len; i++, n++) {
        if (in.ptr[i] != '%') continue;
        if (i + 2 < in.len && tn__hexval((unsigned char)in.ptr[i + 1]) >= 0 &&
            tn__hexval((unsigned char)in.ptr[i + 2]) >= 0) {
            i += 2;
        } else if (flags & TN_URL_STRICT) {
            *bad = 1;
        }
    }
    return n;
}

/* Decode in → out (out may equal in.ptr); out has room for the decoded length. */
TN__PRIVATE size_t tn__unescape_into(tn_str in, unsigned flags, char *out) {
    size_t i, o = 0;
    for (i = 0; i < in.len; i++) {
        char c = in.ptr[i];
        if (c == '%' && i + 2 < in.len && tn__hexval((unsigned char)in.ptr[i + 1]) >= 0 &&
            tn__hexval((unsigned char)in.ptr[i + 2]) >= 0) {
            c = (char)(tn__hexval((unsigned char)in.ptr[i + 1]) * 16 +
                       tn__hexval((unsigned char)in.ptr[i + 2]));
            i += 2;
        } else if (c == '+' && (flags & TN_URL_PLUS)) {
            c = ' ';
        }
        out[o++] = c;
    }
    return o;
}

TN_API int tn_url_unescape(tn_str in, unsigned flags, char *out, size_t cap, size_t *out_len) {
    int bad;
    size_t n = tn__unescape_len(in, flags, &bad);
    if (out_len) *out_len = n;
    if (bad) return TN_EBAD_ENCODING;
    if (!out) return TN_OK;
    if (n > cap) return TN_EBUFFER_FULL;
    tn__unescape_into(in, flags, out);
    if (n < cap) out[n] = '\0';
    return TN_OK;
}

TN__PRIVATE void tn__pairs_w(tn__w *w, const tn_str *pairs, size_t npairs) {
    size_t i;
    for (i = 0; i < npairs; i++) {
        if (i) tn__w_ch(w, '&');
        tn__url_escape_w(w, pairs[2 * i], TN_URL_PLUS);
        tn__w_ch(w, '=');
        tn__url_escape_w(w, pairs[2 * i + 1], TN_URL_PLUS);
    }
}

TN__PRIVATE void tn__url_concat_w(tn__w *w, tn_str url, const tn_str *pairs, size_t npairs) {
    const char *hash, *q;
    size_t base;
    if (!url.ptr) url = tn_str_make("", 0);
    if (npairs == 0 || !pairs) {
        tn__w_put(w, url.ptr, url.len);
        return;
    }
    hash = url.len ? (const char *)memchr(url.ptr, '#', url.len) : NULL;
    base = hash ? (size_t)(hash - url.ptr) : url.len;
    q = base ? (const char *)memchr(url.ptr, '?', base) : NULL;
    tn__w_put(w, url.ptr, base);
    if (!q) tn__w_ch(w, '?');
    else if (url.ptr[base - 1] != '?' && url.ptr[base - 1] != '&') tn__w_ch(w, '&');
    tn__pairs_w(w, pairs, npairs);
    tn__w_put(w, url.ptr + base, url.len - base);
}

TN_API int tn_url_concat(tn_str url, const tn_str *pairs, size_t npairs, char *out, size_t cap,
                         size_t *out_len) {
    tn__w w;
    tn__w_init(&w, out, cap);
    tn__url_concat_w(&w, url, pairs, npairs);
    return tn__w_end(&w, out_len);
}

TN_API int tn_url_concat_buf(tn_buf *b, tn_str url, const tn_str *pairs, size_t npairs) {
    tn__w w;
    int rc;
    tn__w_init(&w, NULL, 0);
    tn__url_concat_w(&w, url, pairs, npairs);
    if ((rc = tn__w_buf_begin(&w, b, w.n)) != 0) return rc;
    tn__url_concat_w(&w, url, pairs, npairs);
    b->len += w.n;
    return TN_OK;
}

TN_API int tn_form_encode(const tn_str *pairs, size_t npairs, char *out, size_t cap,
                          size_t *out_len) {
    tn__w w;
    tn__w_init(&w, out, cap);
    if (pairs) tn__pairs_w(&w, pairs, npairs);
    return tn__w_end(&w, out_len);
}

TN_API int tn_form_encode_buf(tn_buf *b, const tn_str *pairs, size_t npairs) {
    tn__w w;
    int rc;
    tn__w_init(&w, NULL, 0);
    if (pairs) tn__pairs_w(&w, pairs, npairs);
    if ((rc = tn__w_buf_begin(&w, b, w.n)) != 0) return rc;
    if (pairs) tn__pairs_w(&w, pairs, npairs);
    b->len += w.n;
    return TN_OK;
}

/* ======================================================================================
   Query strings
   ====================================================================================== */

TN_API void tn_query_iter_init(tn_query_iter *it, tn_str query, unsigned flags) {
    it->_p = query.ptr;
    it->_len = query.ptr ? query.len : 0;
    it->_pos = 0;
    it->_count = 0;
    it->_flags = flags;
}

TN_API int tn_query_next(tn_query_iter *it, tn_str *key, tn_str *value) {
    while (it->_pos < it->_len) {
        size_t start = it->_pos, end;
        const char *amp = (const char *)memchr(it->_p + start, '&', it->_len - start);
        const char *eq;
        end = amp ? (size_t)(amp - it->_p) : it->_len;
        if (end == start) {
            it->_pos = end + 1;
            continue;
        }
        if (it->_count >= TORNADO_MAX_QUERY_PAIRS) return TN_ELIMIT;
        it->_pos = amp ? end + 1 : end;
        it->_count++;
        eq = (const char *)memchr(it->_p + start, '=', end - start);
        if (eq) {
            *key = tn_str_make(it->_p + start, (size_t)(eq - (it->_p + start)));
            *value = tn_str_make(eq + 1, (size_t)(it->_p + end - (eq + 1)));
        } else {
            *key = tn_str_make(it->_p + start, end - start);
            *value = tn_str_make(it->_p + end, 0);
        }
        return 1;
    }
    return 0;
}

TN_API int tn_query_next_decoded(tn_query_iter *it, char *buf, size_t cap, tn_str *key,
                                 tn_str *value) {
    tn_str k, v;
    size_t kn, vn;
    int bad1, bad2;
    unsigned fl = (it->_flags & TN_URL_STRICT) | TN_URL_PLUS;
    int r = tn_query_next(it, &k, &v);
    if (r != 1) return r;
    kn = tn__unescape_len(k, fl, &bad1);
    vn = tn__unescape_len(v, fl, &bad2);
    if (bad1 || bad2) return TN_EBAD_ENCODING;
    if (buf) {
        if (kn > cap || vn > cap - kn) return TN_EBUFFER_FULL;
        tn__unescape_into(k, fl, buf);
        tn__unescape_into(v, fl, buf + kn);
        *key = tn_str_make(buf, kn);
        *value = tn_str_make(buf + kn, vn);
    } else {
        /* in place: the caller promised the query bytes are writable */
        tn__unescape_into(k, fl, (char *)(uintptr_t)k.ptr);
        tn__unescape_into(v, fl, (char *)(uintptr_t)v.ptr);
        *key = tn_str_make(k.ptr, kn);
        *value = tn_str_make(v.ptr, vn);
    }
    return 1;
}

/* ======================================================================================
   Header parameters
   ====================================================================================== */

TN_API tn_str tn_header_value(tn_str header, tn_param_iter *it) {
    const char *semi = header.len ? (const char *)memchr(header.ptr, ';', header.len) : NULL;
    size_t end = semi ? (size_t)(semi - header.ptr) : header.len;
    if (it) {
        it->_p = header.ptr;
        it->_len = header.ptr ? header.len : 0;
        it->_pos = end;
    }
    return tn__trim(tn_str_make(header.ptr, end));
}

TN_API int tn_param_next(tn_param_iter *it, tn_str *name, tn_str *raw) {
    const char *p = it->_p;
    size_t n = it->_len, pos = it->_pos;
    for (;;) {
        size_t ns, ne, vs;
        while (pos < n && (tn__is_ows((unsigned char)p[pos]) || p[pos] == ';')) pos++;
        if (pos >= n) {
            it->_pos = n;
            return 0;
        }
        ns = pos;
        while (pos < n && p[pos] != '=' && p[pos] != ';') pos++;
        ne = pos;
        while (ne > ns && tn__is_ows((unsigned char)p[ne - 1])) ne--;
        if (pos >= n || p[pos] == ';' || ne == ns) {
            /* no '=' (or no name): skipped, as Tornado does; skip a value too */
            if (pos < n && p[pos] == '=') {
                while (pos < n && p[pos] != ';') pos++;
            }
            continue;
        }
        pos++;   /* '=' */
        while (pos < n && tn__is_ows((unsigned char)p[pos])) pos++;
        vs = pos;
        if (pos < n && p[pos] == '"') {
            pos++;
            while (pos < n && p[pos] != '"') pos += (p[pos] == '\\' && pos + 1 < n) ? 2 : 1;
            if (pos >= n) {
                it->_pos = n;
                return TN_EPARSE;
            }
            pos++;
            *raw = tn_str_make(p + vs, pos - vs);
            while (pos < n && tn__is_ows((unsigned char)p[pos])) pos++;
            if (pos < n && p[pos] != ';') {
                it->_pos = n;
                return TN_EPARSE;
            }
        } else {
            size_t ve;
            while (pos < n && p[pos] != ';') pos++;
            ve = pos;
            while (ve > vs && tn__is_ows((unsigned char)p[ve - 1])) ve--;
            *raw = tn_str_make(p + vs, ve - vs);
        }
        *name = tn_str_make(p + ns, ne - ns);
        it->_pos = pos;
        return 1;
    }
}

TN_API int tn_param_unquote(tn_str raw, char *buf, size_t cap, tn_str *value) {
    const char *s;
    size_t n, i, o, need;
    if (raw.len < 2 || raw.ptr[0] != '"' || raw.ptr[raw.len - 1] != '"') {
        *value = raw;
        return TN_OK;
    }
    s = raw.ptr + 1;
    n = raw.len - 2;
    if (!memchr(s, '\\', n)) {
        *value = tn_str_make(s, n);
        return TN_OK;
    }
    for (i = 0, need = 0; i < n; i++, need++)
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '\\' || s[i + 1] == '"')) i++;
    if (!buf || cap < need) return TN_EBUFFER_FULL;
    for (i = 0, o = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && (s[i + 1] == '\\' || s[i + 1] == '"')) i++;
        buf[o++] = s[i];
    }
    *value = tn_str_make(buf, o);
    return TN_OK;
}

/* RFC 8187 ext-value: charset "'" [ language ] "'" value-chars. */
TN__PRIVATE int tn__ext_value_decode(tn_str raw, char *buf, size_t cap, tn_str *value) {
    const char *s = raw.ptr;
    size_t n = raw.len, q1, q2, i, o, need = 0;
    int latin1;
    for (q1 = 0; q1 < n && s[q1] != '\''; q1++) {}
    if (q1 >= n) return TN_EPARSE;
    for (q2 = q1 + 1; q2 < n && s[q2] != '\''; q2++) {}
    if (q2 >= n) return TN_EPARSE;
    if (tn_str_ieq(tn_str_make(s, q1), tn_str_c("UTF-8"))) latin1 = 0;
    else if (tn_str_ieq(tn_str_make(s, q1), tn_str_c("ISO-8859-1"))) latin1 = 1;
    else return TN_EPARSE;
    for (i = q2 + 1; i < n; i++) {
        int c = (unsigned char)s[i], b = c;
        if (c == '%') {
            if (i + 2 >= n || tn__hexval((unsigned char)s[i + 1]) < 0 ||
                tn__hexval((unsigned char)s[i + 2]) < 0)
                return TN_EPARSE;
            b = tn__hexval((unsigned char)s[i + 1]) * 16 + tn__hexval((unsigned char)s[i + 2]);
            i += 2;
        } else if (!(tn__is_alnum(c) || (c && strchr("!#$&+-.^_`|~", c)))) {
            return TN_EPARSE;
        }
        need += (latin1 && b >= 0x80) ? 2 : 1;
    }
    if (!buf || cap < need) return TN_EBUFFER_FULL;
    for (i = q2 + 1, o = 0; i < n; i++) {
        int b = (unsigned char)s[i];
        if (b == '%') {
            b = tn__hexval((unsigned char)s[i + 1]) * 16 + tn__hexval((unsigned char)s[i + 2]);
            i += 2;
        }
        if (latin1 && b >= 0x80) {
            buf[o++] = (char)(0xC0 | (b >> 6));
            buf[o++] = (char)(0x80 | (b & 0x3F));
        } else {
            buf[o++] = (char)b;
        }
    }
    *value = tn_str_make(buf, o);
    return TN_OK;
}

TN_API int tn_header_param(tn_str header, const char *name, char *buf, size_t cap,
                           tn_str *value) {
    tn_param_iter it;
    tn_str pn, raw, plain, ext;
    size_t nlen = name ? strlen(name) : 0;
    int r, have_plain = 0, have_ext = 0;
    if (!name || !value) return TN_EINVAL;
    plain.ptr = ext.ptr = NULL;
    plain.len = ext.len = 0;
    tn_header_value(header, &it);
    while ((r = tn_param_next(&it, &pn, &raw)) == 1) {
        if (!have_plain && tn_str_ieq(pn, tn_str_make(name, nlen))) {
            plain = raw;
            have_plain = 1;
        } else if (!have_ext && pn.len == nlen + 1 && pn.ptr[nlen] == '*' &&
                   tn_str_ieq(tn_str_make(pn.ptr, nlen), tn_str_make(name, nlen))) {
            ext = raw;
            have_ext = 1;
        }
    }
    if (r < 0) return r;
    if (have_ext) {
        r = tn__ext_value_decode(ext, buf, cap, value);
        if (r == TN_OK || r == TN_EBUFFER_FULL || !have_plain) return r;
    }
    if (have_plain) return tn_param_unquote(plain, buf, cap, value);
    return TN_ENOENT;
}

/* ======================================================================================
   HTTP dates
   ====================================================================================== */

static const char tn__wday_names[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const tn__wday_long[7] = { "Sunday", "Monday", "Tuesday", "Wednesday",
                                              "Thursday", "Friday", "Saturday" };
static const char tn__mon_names[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

TN__PRIVATE int tn__is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

TN__PRIVATE int tn__days_in_month(int64_t y, int m) {
    static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && tn__is_leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. Years are counted from March so
   that February (and its leap day) ends the year; 400-year eras repeat exactly. */
TN__PRIVATE int64_t tn__days_from_civil(int64_t y, int m, int d) {
    int64_t era, yoe, doy, doe;
    if (m <= 2) y--;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;                                        /* 0..399 */
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;      /* 0..365, from March 1 */
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                /* 0..146096 */
    return era * 146097 + doe - 719468;                         /* 719468: 0000-03-01 → 1970 */
}

/* The inverse of tn__days_from_civil. */
TN__PRIVATE void tn__civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    int64_t era, doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2 ? 1 : 0);
}

TN__PRIVATE void tn__put2(char *p, int v) {
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

TN_API int tn_http_date_format(int64_t t, char *out) {
    static const int64_t tmin = -62135596800LL;   /* 0001-01-01T00:00:00Z */
    static const int64_t tmax = 253402300799LL;   /* 9999-12-31T23:59:59Z */
    int64_t days, secs, y;
    int m, d, wd;
    if (!out || t < tmin || t > tmax) return TN_EINVAL;
    days = t / 86400;
    secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    tn__civil_from_days(days, &y, &m, &d);
    wd = (int)(((days % 7) + 11) % 7);   /* 1970-01-01 was a Thursday (4) */
    memcpy(out, tn__wday_names[wd], 3);
    out[3] = ',';
    out[4] = ' ';
    tn__put2(out + 5, d);
    out[7] = ' ';
    memcpy(out + 8, tn__mon_names[m - 1], 3);
    out[11] = ' ';
    tn__put2(out + 12, (int)(y / 100));
    tn__put2(out + 14, (int)(y % 100));
    out[16] = ' ';
    tn__put2(out + 17, (int)(secs / 3600));
    out[19] = ':';
    tn__put2(out + 20, (int)(secs / 60 % 60));
    out[22] = ':';
    tn__put2(out + 23, (int)(secs % 60));
    memcpy(out + 25, " GMT", 5);   /* with the NUL */
    return TN_OK;
}

typedef struct tn__cur {
    const char *p;
    size_t n;
    size_t i;
} tn__cur;

TN__PRIVATE int tn__cur_lit(tn__cur *c, const char *lit) {
    size_t k = strlen(lit);
    if (c->n - c->i < k || memcmp(c->p + c->i, lit, k) != 0) return 0;
    c->i += k;
    return 1;
}

TN__PRIVATE int tn__cur_digits(tn__cur *c, size_t k, int *v) {
    size_t j;
    int r = 0;
    if (c->n - c->i < k) return 0;
    for (j = 0; j < k; j++) {
        int ch = (unsigned char)c->p[c->i + j];
        if (!tn__is_digit(ch)) return 0;
        r = r * 10 + (ch - '0');
    }
    c->i += k;
    *v = r;
    return 1;
}

/* One of `names` (ASCII case-insensitive); returns its index or -1. */
TN__PRIVATE int tn__cur_name(tn__cur *c, const char *const *names, int count) {
    int k;
    for (k = 0; k < count; k++) {
        size_t len = strlen(names[k]);
        if (c->n - c->i >= len && tn_str_ieq(tn_str_make(c->p + c->i, len), tn_str_make(names[k], len))) {
            c->i += len;
            return k;
        }
    }
    return -1;
}

TN__PRIVATE int tn__cur_time(tn__cur *c, int *hh, int *mm, int *ss) {
    return tn__cur_digits(c, 2, hh) && tn__cur_lit(c, ":") && tn__cur_digits(c, 2, mm) &&
           tn__cur_lit(c, ":") && tn__cur_digits(c, 2, ss);
}

TN_API int tn_http_date_parse(tn_str s, int64_t *out) {
    static const char *const wd3[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const mon[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    tn__cur c;
    int y = 0, m = 1, d = 0, hh = 0, mm = 0, ss = 0, ok;
    size_t namelen;
    if (!out) return TN_EINVAL;
    s = tn__trim(s);
    c.p = s.ptr;
    c.n = s.len;
    c.i = 0;
    for (namelen = 0; namelen < s.len && tn__is_alpha((unsigned char)s.ptr[namelen]); namelen++) {}
    if (namelen == 3 && namelen < s.len && s.ptr[3] == ',') {
        /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
        ok = tn__cur_name(&c, wd3, 7) >= 0 && tn__cur_lit(&c, ", ") && tn__cur_digits(&c, 2, &d) &&
             tn__cur_lit(&c, " ") && (m = tn__cur_name(&c, mon, 12) + 1) > 0 &&
             tn__cur_lit(&c, " ") && tn__cur_digits(&c, 4, &y) && tn__cur_lit(&c, " ") &&
             tn__cur_time(&c, &hh, &mm, &ss) && tn__cur_lit(&c, " GMT");
    } else if (namelen > 3 && namelen < s.len && s.ptr[namelen] == ',') {
        /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
        int k = tn__cur_name(&c, tn__wday_long, 7);
        ok = k >= 0 && c.i == namelen && tn__cur_lit(&c, ", ") && tn__cur_digits(&c, 2, &d) &&
             tn__cur_lit(&c, "-") && (m = tn__cur_name(&c, mon, 12) + 1) > 0 &&
             tn__cur_lit(&c, "-") && tn__cur_digits(&c, 2, &y) && tn__cur_lit(&c, " ") &&
             tn__cur_time(&c, &hh, &mm, &ss) && tn__cur_lit(&c, " GMT");
        y += y < 70 ? 2000 : 1900;
    } else if (namelen == 3 && namelen < s.len && s.ptr[3] == ' ') {
        /* asctime: Sun Nov  6 08:49:37 1994 */
        ok = tn__cur_name(&c, wd3, 7) >= 0 && tn__cur_lit(&c, " ") &&
             (m = tn__cur_name(&c, mon, 12) + 1) > 0 && tn__cur_lit(&c, " ") &&
             (tn__cur_lit(&c, " ") ? tn__cur_digits(&c, 1, &d) : tn__cur_digits(&c, 2, &d)) &&
             tn__cur_lit(&c, " ") && tn__cur_time(&c, &hh, &mm, &ss) && tn__cur_lit(&c, " ") &&
             tn__cur_digits(&c, 4, &y);
    } else {
        return TN_EPARSE;
    }
    if (!ok || c.i != c.n) return TN_EPARSE;
    if (d < 1 || d > tn__days_in_month(y, m) || hh > 23 || mm > 59 || ss > 60) return TN_EPARSE;
    *out = tn__days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
    return TN_OK;
}

/* ======================================================================================
   Range
   ====================================================================================== */

/* 1*DIGIT with saturation at UINT64_MAX; returns digits consumed. */
TN__PRIVATE size_t tn__digits_u64(const char *s, size_t n, uint64_t *v) {
    size_t i = 0;
    uint64_t r = 0;
    while (i < n && tn__is_digit((unsigned char)s[i])) {
        unsigned dgt = (unsigned)(s[i] - '0');
        if (r > (UINT64_MAX - dgt) / 10u) r = UINT64_MAX;
        else r = r * 10u + dgt;
        i++;
    }
    *v = r;
    return i;
}

TN_API int tn_range_parse(tn_str header, uint64_t size, tn_range *out, size_t cap,
                          size_t *count) {
    const char *s;
    size_t n, i, limit, specs = 0, got = 0;
    if (!out || !count || cap == 0) return TN_EINVAL;
    *count = 0;
    header = tn__trim(header);
    s = header.ptr;
    n = header.len;
    if (n < 6 || !tn_str_ieq(tn_str_make(s, 6), tn_str_c("bytes="))) return TN_EPARSE;
    limit = TN__MIN(cap, (size_t)TORNADO_MAX_RANGES);
    i = 6;
    for (;;) {
        size_t es = i, ee, k;
        uint64_t first, last;
        while (i < n && s[i] != ',') i++;
        ee = i;
        while (es < ee && tn__is_ows((unsigned char)s[es])) es++;
        while (ee > es && tn__is_ows((unsigned char)s[ee - 1])) ee--;
        if (es < ee) {
            if (++specs > limit) return TN_ELIMIT;
            if (s[es] == '-') {   /* suffix-range: "-" suffix-length */
                k = tn__digits_u64(s + es + 1, ee - es - 1, &last);
                if (k == 0 || es + 1 + k != ee) return TN_EPARSE;
                if (last > 0 && size > 0) {
                    out[got].first = last >= size ? 0 : size - last;
                    out[got].last = size - 1;
                    got++;
                }
            } else {              /* int-range: first-pos "-" [ last-pos ] */
                k = tn__digits_u64(s + es, ee - es, &first);
                if (k == 0 || es + k >= ee || s[es + k] != '-') return TN_EPARSE;
                es += k + 1;
                last = UINT64_MAX;
                if (es < ee) {
                    k = tn__digits_u64(s + es, ee - es, &last);
                    if (k == 0 || es + k != ee) return TN_EPARSE;
                    if (last < first) return TN_EPARSE;
                }
                if (first < size) {
                    out[got].first = first;
                    out[got].last = last >= size ? size - 1 : last;
                    got++;
                }
            }
        }
        if (i >= n) break;
        i++;   /* ',' */
    }
    if (specs == 0) return TN_EPARSE;
    *count = got;
    return got ? TN_OK : TN_EBAD_RANGE;
}

TN__PRIVATE void tn__content_range_w(tn__w *w, const tn_range *r, uint64_t size) {
    tn__w_put(w, "bytes ", 6);
    if (r) {
        tn__w_u64(w, r->first);
        tn__w_ch(w, '-');
        tn__w_u64(w, r->last);
    } else {
        tn__w_ch(w, '*');
    }
    tn__w_ch(w, '/');
    tn__w_u64(w, size);
}

TN_API int tn_content_range_format(const tn_range *r, uint64_t size, char *out, size_t cap,
                                   size_t *out_len) {
    tn__w w;
    if (r && r->last < r->first) return TN_EINVAL;
    tn__w_init(&w, out, cap);
    tn__content_range_w(&w, r, size);
    return tn__w_end(&w, out_len);
}

/* ======================================================================================
   Reasons and escaping
   ====================================================================================== */

TN_API const char *tn_http_reason(int status) {
    switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 203: return "Non-Authoritative Information";
    case 204: return "No Content";
    case 205: return "Reset Content";
    case 206: return "Partial Content";
    case 207: return "Multi-Status";
    case 208: return "Already Reported";
    case 226: return "IM Used";
    case 300: return "Multiple Choices";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 305: return "Use Proxy";
    case 306: return "(Unused)";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 418: return "I'm a Teapot";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 423: return "Locked";
    case 424: return "Failed Dependency";
    case 425: return "Too Early";
    case 426: return "Upgrade Required";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 451: return "Unavailable For Legal Reasons";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    case 506: return "Variant Also Negotiates";
    case 507: return "Insufficient Storage";
    case 508: return "Loop Detected";
    case 510: return "Not Extended";
    case 511: return "Network Authentication Required";
    default: return "Unknown";
    }
}

TN__PRIVATE void tn__xhtml_escape_w(tn__w *w, tn_str in) {
    size_t i, run = 0;
    if (!in.len) return;
    for (i = 0; i < in.len; i++) {
        const char *rep;
        switch (in.ptr[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        default: run++; continue;
        }
        tn__w_put(w, in.ptr + i - run, run);
        run = 0;
        tn__w_put(w, rep, strlen(rep));
    }
    tn__w_put(w, in.ptr + in.len - run, run);
}

TN_API int tn_xhtml_escape(tn_str in, char *out, size_t cap, size_t *out_len) {
    tn__w w;
    tn__w_init(&w, out, cap);
    tn__xhtml_escape_w(&w, in);
    return tn__w_end(&w, out_len);
}

TN_API int tn_xhtml_escape_buf(tn_buf *b, tn_str in) {
    tn__w w;
    int rc;
    tn__w_init(&w, NULL, 0);
    tn__xhtml_escape_w(&w, in);
    if ((rc = tn__w_buf_begin(&w, b, w.n)) != 0) return rc;
    tn__xhtml_escape_w(&w, in);
    b->len += w.n;
    return TN_OK;
}

TN__PRIVATE void tn__json_escape_w(tn__w *w, tn_str in) {
    size_t i, run = 0;
    const unsigned char *s = (const unsigned char *)in.ptr;
    if (!in.len) return;
    for (i = 0; i < in.len; i++) {
        unsigned c = s[i];
        char esc[6];
        const char *rep = NULL;
        size_t replen = 2;
        if (c == '"') rep = "\\\"";
        else if (c == '\\') rep = "\\\\";
        else if (c == '\b') rep = "\\b";
        else if (c == '\f') rep = "\\f";
        else if (c == '\n') rep = "\\n";
        else if (c == '\r') rep = "\\r";
        else if (c == '\t') rep = "\\t";
        else if (c == '/' && i > 0 && s[i - 1] == '<') rep = "\\/";
        else if (c < 0x20) {
            esc[0] = '\\';
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = tn__hex_lower[c >> 4];
            esc[5] = tn__hex_lower[c & 15];
            rep = esc;
            replen = 6;
        } else if (c == 0xE2 && i + 2 < in.len && s[i + 1] == 0x80 &&
                   (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
            rep = s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
            replen = 6;
            tn__w_put(w, in.ptr + i - run, run);
            run = 0;
            tn__w_put(w, rep, replen);
            i += 2;
            continue;
        }
        if (!rep) {
            run++;
            continue;
        }
        tn__w_put(w, in.ptr + i - run, run);
        run = 0;
        tn__w_put(w, rep, replen);
    }
    tn__w_put(w, in.ptr + in.len - run, run);
}

TN_API int tn_json_escape(tn_str in, char *out, size_t cap, size_t *out_len) {
    tn__w w;
    tn__w_init(&w, out, cap);
    tn__json_escape_w(&w, in);
    return tn__w_end(&w, out_len);
}

TN_API int tn_json_escape_buf(tn_buf *b, tn_str in) {
    tn__w w;
    int rc;
    tn__w_init(&w, NULL, 0);
    tn__json_escape_w(&w, in);
    if ((rc = tn__w_buf_begin(&w, b, w.n)) != 0) return rc;
    tn__json_escape_w(&w, in);
    b->len += w.n;
    return TN_OK;
}
