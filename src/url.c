/* url.c: URL parsing and resolution (RFC 3986), host:port, percent-escaping, query strings and forms. */
#include "url.h"
#include "internal.h"
#include "net.h"

/* ---- character classes (RFC 3986 section 2) ---- */
/* The classes of the bytes ' ' to '~', four bits each: unreserved, sub-delims, ':' and
   '%'. Byte 0x20 + k is the nibble of entry k / 2 (the low one for an even k). One table
   for every check here, a look-up rather than a chain of compares, in 48 bytes; no other
   byte is in any class. tests/test_http_util.c url_byte_classes checks every byte. */
static const unsigned char tn__url_cls[48] = {
    0x20, 0x00, 0x82, 0x22, 0x22, 0x22, 0x12, 0x01, 0x11, 0x11, 0x11, 0x11, 0x11, 0x24, 0x20, 0x00,   /* ' ' to '?' */
    0x10, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x01, 0x00, 0x10,   /* '@' to '_' */
    0x10, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x01, 0x00, 0x01    /* '`' to DEL */
};

/* 1 if byte c is in one of the classes of mask. */
TN__PRIVATE int tn__url_is(int c, unsigned mask) {
    unsigned k = (unsigned)c - 0x20u;
    return k < 96u && ((unsigned)tn__url_cls[k >> 1] >> ((k & 1u) << 2) & mask) != 0;
}

/* 1 if every byte of s[0..n) is in one of the classes of mask (n may be 0). */
TN__PRIVATE int tn__url_all(const char *s, size_t n, unsigned mask) {
    while (n && tn__url_is((unsigned char)s[n - 1], mask)) n--;
    return n == 0;
}

static const char tn__url_hex_upper[] = "0123456789ABCDEF";

/* ======================================================================================
   URLs
   ====================================================================================== */

/* IPv6address (RFC 3986 3.2.2): where the system's inet_pton is known to take exactly
   that set (glibc, musl and the BSDs': groups of 1 to 4 hex digits, one "::" for at least
   one group, a trailing IPv4 address of dec-octets without leading zeros), it decides, on
   a NUL-ended copy (the longest address, "ffff:...:255.255.255.255", has 45 characters):
   net.c links it already, so this costs a call instead of the hand-written check below.
   lwIP's ip6addr_aton is looser (it stops at the first byte it does not know) and an
   IPv4-only lwIP refuses every IPv6 literal; Windows' inet_pton is not documented to the
   byte: those keep the hand-written check, which takes the same set. */
#if !TN__LWIP && !defined(_WIN32)
TN__PRIVATE int tn__url_valid_ipv6(const char *s, size_t n) {
    char tmp[46];
    unsigned char b[16];
    size_t i;
    if (n >= sizeof tmp) return 0;
    for (i = 0; i < n; i++)
        if ((tmp[i] = s[i]) == 0) return 0;   /* (a NUL would end the copy early) */
    tmp[n] = 0;
    return TN__OS(inet_pton)(AF_INET6, tmp, b) == 1;
}
#else
/* IPv4address: four dec-octets (0 to 255, no leading zero), split by '.'. */
TN__PRIVATE int tn__url_valid_ipv4(const char *s, size_t n) {
    size_t i = 0;
    int part;
    for (part = 0; part < 4; part++) {
        unsigned v = 0;
        size_t d;
        if (part > 0 && (i >= n || s[i++] != '.')) return 0;
        d = i;
        while (i < n && i - d < 4 && tn__is_digit((unsigned char)s[i])) v = v * 10u + (unsigned)(s[i++] - '0');
        if (i == d || i - d > 3 || v > 255 || (s[d] == '0' && i - d > 1)) return 0;
    }
    return i == n;
}

/* IPv6address: groups of 1 to 4 hex digits split by ':', eight of them or fewer with one
   "::" in their place; the last two groups may be written as an IPv4 address. */
TN__PRIVATE int tn__url_valid_ipv6(const char *s, size_t n) {
    size_t i = 0, j;
    int groups = 0, dbl = 0;
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        dbl = 1;
        i = 2;
    }
    while (i < n) {
        for (j = i; j < n && tn__hexval((unsigned char)s[j]) >= 0; j++) {}
        if (j < n && s[j] == '.') {   /* an embedded IPv4 address ends the literal */
            if (!tn__url_valid_ipv4(s + i, n - i)) return 0;
            groups += 2;
            break;
        }
        if (j == i || j - i > 4) return 0;
        groups++;
        if (j == n) break;
        if (s[j] != ':' || ++j == n) return 0;   /* a ':' that ends the literal is not "::" */
        if (s[j] == ':') {
            if (dbl) return 0;
            dbl = 1;
            j++;
        }
        i = j;
    }
    return dbl ? groups <= 7 : groups == 8;
}
#endif

/* A host without its port: an IP-literal when it was bracketed, else a reg-name. strict:
   the Host header's rules (ASCII only, well-formed %XX, no IPv6 zone id); otherwise
   tn_url_parse's (bytes >= 0x80 for raw IDNs, any '%', zone ids). The inside of "[...]" is
   IPvFuture ("v1.x": "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )) or IPv6,
   unless strict with a zone id ("%25eth0" or "%eth0": unreserved and '%' bytes). */
TN__PRIVATE int tn__url_host_ok(tn_str h, int bracketed, int strict) {
    const char *s = h.ptr;
    size_t n = h.len, i;
    if (bracketed) {
        if (n && (s[0] | 0x20) == 'v') {
            for (i = 1; i < n && tn__hexval((unsigned char)s[i]) >= 0; i++) {}
            return i > 1 && i + 1 < n && s[i] == '.' && tn__url_all(s + i + 1, n - i - 1, TN__URL_U | TN__URL_S | TN__URL_COLON);
        }
        for (i = 0; i < n && s[i] != '%'; i++) {}
        if (i < n && (strict || i + 1 == n || !tn__url_all(s + i + 1, n - i - 1, TN__URL_U | TN__URL_PCT))) return 0;
        return tn__url_valid_ipv6(s, i);
    }
    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (tn__url_is(c, TN__URL_U | TN__URL_S) || (!strict && (c == '%' || c >= 0x80))) continue;
        if (c != '%' || n - i < 3 || tn__hexval((unsigned char)s[i + 1]) < 0 || tn__hexval((unsigned char)s[i + 2]) < 0)
            return 0;
        i += 2;
    }
    return 1;
}

/* host [":" port]: split by the one splitter (net's tn_split_host_port), then check the host. */
TN__PRIVATE int tn__url_host_port(tn_str s, int strict, tn_str *host, int *port, int *bracketed) {
    int rc = tn_split_host_port(s, host, port);
    if (rc != 0) return rc;
    *bracketed = s.len > 0 && s.ptr[0] == '[';
    return tn__url_host_ok(*host, *bracketed, strict) ? TN_OK : TN_EBAD_URL;
}

#if !defined(__OPTIMIZE_SIZE__)
/* reg-name bytes without '%' (RFC 3986 3.2.2: unreserved / sub-delims), for the fast path. */
static const unsigned char tn__url_regname[256] = {
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,1,0,0,1,0,1,1,1,1,1,1,1,1,1,0,1,1,1,1,1,1,1,1,1,1,0,1,0,1,0,0,
    0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,0,0,0,1,
    0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,0,0,0,1,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
    0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
};
#endif

/* A size-optimized build (-Os, -Oz) takes the general path for every value: the fast path
   below is a shortcut to the same results (a reg-name of plain bytes with an optional port
   is what the splitter and tn__url_host_ok accept too), and HTTP's Host check has its own
   shortcut for the usual values (http_parse.c, tn__http_plain_host). */
TN_API int tn_url_parse_host_port(tn_str s, tn_str *host, int *port) {
    tn_str h;
    int p = -1, br, rc;
#if !defined(__OPTIMIZE_SIZE__)
    size_t i = 0, j;
#endif
    if (!s.ptr) s = tn_str_make("", 0);
#if !defined(__OPTIMIZE_SIZE__)
    /* fast path (every request's Host): plain reg-name bytes, then nothing or ":" digits */
    while (s.len - i >= 8) {   /* 8 lookups ANDed: one branch per 8 bytes */
        const unsigned char *u = (const unsigned char *)s.ptr + i, *t = tn__url_regname;
        if (!(t[u[0]] & t[u[1]] & t[u[2]] & t[u[3]] & t[u[4]] & t[u[5]] & t[u[6]] & t[u[7]])) break;
        i += 8;
    }
    while (i < s.len && tn__url_regname[(unsigned char)s.ptr[i]]) i++;
    h = tn_str_make(s.ptr, i);
    if (i < s.len && s.ptr[i] == ':' && s.len - i <= 6) {
        int v = 0;
        for (j = i + 1; j < s.len && tn__is_digit((unsigned char)s.ptr[j]); j++) v = v * 10 + (s.ptr[j] - '0');
        if (j == s.len && v <= 65535) {
            p = j > i + 1 ? v : -1;
            i = s.len;
        }
    }
    /* anything else (%XX, [IP-literal], errors): the general path decides */
    if (i != s.len && (rc = tn__url_host_port(s, 1, &h, &p, &br)) != 0) return rc;
#else
    if ((rc = tn__url_host_port(s, 1, &h, &p, &br)) != 0) return rc;
#endif
    if (host) *host = h;
    if (port) *port = p;
    return TN_OK;
}

TN__PRIVATE int tn__url_parse_authority(const char *a, size_t m, tn_url *u) {
    size_t k, at = (size_t)-1, hs, ps;
    int rc, br;
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
            if (!(tn__url_is(c, TN__URL_U | TN__URL_S | TN__URL_COLON | TN__URL_PCT) || c >= 0x80))
                return TN_EBAD_URL;
        }
        u->userinfo = tn_str_make(a, at);
        u->flags |= TN_URL_HAS_USERINFO;
        hs = at + 1;
    }
    if ((rc = tn__url_host_port(tn_str_make(a + hs, m - hs), 0, &u->host, &u->port, &br)) != 0) return rc;
    if (br) u->flags |= TN_URL_IPV6;
    ps = (size_t)(u->host.ptr + u->host.len - a) + (size_t)br;   /* just after the host (and ']') */
    if (ps < m) {   /* a[ps] == ':' */
        u->flags |= TN_URL_HAS_PORT;
        u->port_str = tn_str_make(a + ps + 1, m - ps - 1);
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
        if ((rc = tn__url_parse_authority(s + i, j - i, out)) != 0) goto fail;
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
TN__PRIVATE size_t tn__url_remove_dots(char *s, size_t n) {
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
        n = ps + tn__url_remove_dots(out + ps, n - ps);
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
    tn_buf_commit(buf, tn__url_resolve_into(&b, &r, tn_buf_ptr(buf) + tn_buf_size(buf)));
    return TN_OK;
}

TN_API size_t tn_url_remove_dot_segments(char *path, size_t len) {
    return path ? tn__url_remove_dots(path, len) : 0;
}

/* ---- escaping ---- */
TN__PRIVATE void tn__url_escape_w(tn__buf_w *w, tn_str in, unsigned flags) {
    size_t i, run = 0;
    int plus = (flags & TN_URL_PLUS) != 0;
    if (!in.len) return;
    for (i = 0; i < in.len; i++) {
        unsigned char c = (unsigned char)in.ptr[i];
        char esc[3];
        if (tn__url_is(c, TN__URL_U) || (c == '/' && !plus)) {
            run++;
            continue;
        }
        tn__buf_w_put(w, in.ptr + i - run, run);
        run = 0;
        if (c == ' ' && plus) {
            tn__buf_w_ch(w, '+');
        } else {
            esc[0] = '%';
            esc[1] = tn__url_hex_upper[c >> 4];
            esc[2] = tn__url_hex_upper[c & 15];
            tn__buf_w_put(w, esc, 3);
        }
    }
    tn__buf_w_put(w, in.ptr + in.len - run, run);
}

TN_API int tn_url_escape(tn_str in, unsigned flags, char *out, size_t cap, size_t *out_len) {
    tn__buf_w w;
    tn__buf_w_init(&w, out, cap);
    tn__url_escape_w(&w, in, flags);
    return tn__buf_w_end(&w, out_len);
}

TN_API int tn_url_escape_buf(tn_buf *b, tn_str in, unsigned flags) {
    tn__buf_w w;
    int rc;
    tn__buf_w_init(&w, NULL, 0);
    tn__url_escape_w(&w, in, flags);
    if ((rc = tn__buf_w_reserve(&w, b, w.n)) != 0) return rc;
    tn__url_escape_w(&w, in, flags);
    tn_buf_commit(b, w.n);
    return TN_OK;
}

/* Decoded length of in; -1 (via *bad) for a malformed escape in strict mode. */
TN__PRIVATE size_t tn__url_unescape_len(tn_str in, unsigned flags, int *bad) {
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
TN__PRIVATE size_t tn__url_unescape_into(tn_str in, unsigned flags, char *out) {
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
    size_t n = tn__url_unescape_len(in, flags, &bad);
    if (out_len) *out_len = n;
    if (bad) return TN_EBAD_ENCODING;
    if (!out) return TN_OK;
    if (n > cap) return TN_EBUFFER_FULL;
    tn__url_unescape_into(in, flags, out);
    if (n < cap) out[n] = '\0';
    return TN_OK;
}

TN__PRIVATE void tn__url_pairs_w(tn__buf_w *w, const tn_str *pairs, size_t npairs) {
    size_t i;
    for (i = 0; i < npairs; i++) {
        if (i) tn__buf_w_ch(w, '&');
        tn__url_escape_w(w, pairs[2 * i], TN_URL_PLUS);
        tn__buf_w_ch(w, '=');
        tn__url_escape_w(w, pairs[2 * i + 1], TN_URL_PLUS);
    }
}

TN__PRIVATE void tn__url_concat_w(tn__buf_w *w, tn_str url, const tn_str *pairs, size_t npairs) {
    const char *hash, *q;
    size_t base;
    if (!url.ptr) url = tn_str_make("", 0);
    if (npairs == 0 || !pairs) {
        tn__buf_w_put(w, url.ptr, url.len);
        return;
    }
    hash = url.len ? (const char *)memchr(url.ptr, '#', url.len) : NULL;
    base = hash ? (size_t)(hash - url.ptr) : url.len;
    q = base ? (const char *)memchr(url.ptr, '?', base) : NULL;
    tn__buf_w_put(w, url.ptr, base);
    if (!q) tn__buf_w_ch(w, '?');
    else if (url.ptr[base - 1] != '?' && url.ptr[base - 1] != '&') tn__buf_w_ch(w, '&');
    tn__url_pairs_w(w, pairs, npairs);
    tn__buf_w_put(w, url.ptr + base, url.len - base);
}

TN_API int tn_url_concat(tn_str url, const tn_str *pairs, size_t npairs, char *out, size_t cap,
                         size_t *out_len) {
    tn__buf_w w;
    tn__buf_w_init(&w, out, cap);
    tn__url_concat_w(&w, url, pairs, npairs);
    return tn__buf_w_end(&w, out_len);
}

TN_API int tn_url_concat_buf(tn_buf *b, tn_str url, const tn_str *pairs, size_t npairs) {
    tn__buf_w w;
    int rc;
    tn__buf_w_init(&w, NULL, 0);
    tn__url_concat_w(&w, url, pairs, npairs);
    if ((rc = tn__buf_w_reserve(&w, b, w.n)) != 0) return rc;
    tn__url_concat_w(&w, url, pairs, npairs);
    tn_buf_commit(b, w.n);
    return TN_OK;
}

TN_API int tn_form_encode(const tn_str *pairs, size_t npairs, char *out, size_t cap,
                          size_t *out_len) {
    tn__buf_w w;
    tn__buf_w_init(&w, out, cap);
    if (pairs) tn__url_pairs_w(&w, pairs, npairs);
    return tn__buf_w_end(&w, out_len);
}

TN_API int tn_form_encode_buf(tn_buf *b, const tn_str *pairs, size_t npairs) {
    tn__buf_w w;
    int rc;
    tn__buf_w_init(&w, NULL, 0);
    if (pairs) tn__url_pairs_w(&w, pairs, npairs);
    if ((rc = tn__buf_w_reserve(&w, b, w.n)) != 0) return rc;
    if (pairs) tn__url_pairs_w(&w, pairs, npairs);
    tn_buf_commit(b, w.n);
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
    kn = tn__url_unescape_len(k, fl, &bad1);
    vn = tn__url_unescape_len(v, fl, &bad2);
    if (bad1 || bad2) return TN_EBAD_ENCODING;
    if (buf) {
        if (kn > cap || vn > cap - kn) return TN_EBUFFER_FULL;
        tn__url_unescape_into(k, fl, buf);
        tn__url_unescape_into(v, fl, buf + kn);
        *key = tn_str_make(buf, kn);
        *value = tn_str_make(buf + kn, vn);
    } else {
        /* in place: the caller promised the query bytes are writable */
        tn__url_unescape_into(k, fl, (char *)(uintptr_t)k.ptr);
        tn__url_unescape_into(v, fl, (char *)(uintptr_t)v.ptr);
        *key = tn_str_make(k.ptr, kn);
        *value = tn_str_make(v.ptr, vn);
    }
    return 1;
}
