/* web_cookie.c: the web layer's cookies out, signed cookies and XSRF tokens. */
#include "web.h"
#include "internal.h"
#include "web_internal.h"

#if TN_HAS_WEB

/* ---- cookies out ---- */
TN__PRIVATE int tn__web_set_cookie(tn__web_ctx *c, const char *name, tn_str value, const tn_set_cookie_opts *o) {
    char stack[512], *out = stack;
    size_t n = 0, nl = strlen(name);
    char *prefix;
    int rc;
    if (c->started) return TN_EINVAL;
    rc = tn_set_cookie_format(tn_str_c(name), value, o, stack, sizeof stack, &n);
    if (rc == TN_EBUFFER_FULL) {
        if (!(out = tn__web_scratch(c, n + 1))) return TN_ENOMEM;
        rc = tn_set_cookie_format(tn_str_c(name), value, o, out, n + 1, &n);
    }
    if (rc != TN_OK) return rc;
    out[n] = 0;
    /* a second cookie of one name replaces the first (Tornado's cookie jar) */
    if (!(prefix = tn__web_scratch(c, nl + 2))) return TN_ENOMEM;
    memcpy(prefix, name, nl);
    prefix[nl] = '=';
    prefix[nl + 1] = 0;
    (void)tn__response_remove_header(c->req, "Set-Cookie", prefix);
    return tn_response_add_header(c->req, "Set-Cookie", out);
}

TN_API int tn_web_set_cookie(tn_request *req, const char *name, tn_str value, const tn_set_cookie_opts *opts) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || !name) return TN_EINVAL;
    return tn__web_set_cookie(c, name, value, opts);
}

TN_API int tn_web_clear_cookie(tn_request *req, const char *name, const tn_set_cookie_opts *opts) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_set_cookie_opts o;
    if (!c || !name) return TN_EINVAL;
    if (opts) o = *opts;
    else memset(&o, 0, sizeof o);
    o.has_expires = 1;
    o.expires = (int64_t)time(NULL) - 365 * 86400;
    o.has_max_age = 0;
    return tn__web_set_cookie(c, name, tn_str_make("", 0), &o);
}

TN_API int tn_web_clear_all_cookies(tn_request *req, const tn_set_cookie_opts *opts) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str hdr;
    tn_cookie ck;
    size_t pos = 0;
    int rc = TN_OK;
    if (!c) return TN_EINVAL;
    if (tn_request_header(req, "Cookie", &hdr) != TN_OK) return TN_OK;
    while (tn_cookie_next(hdr, &pos, &ck)) {
        tn_str name = tn__web_copy(c, ck.name.ptr, ck.name.len);
        int r;
        if (!name.ptr) return TN_ENOMEM;
        if (name.len == 0) continue;
        r = tn_web_clear_cookie(req, name.ptr, opts);
        if (r == TN_ENOMEM) rc = r;   /* a name no Set-Cookie can carry is skipped */
    }
    return rc;
}

TN_API int tn_web_set_secure_cookie(tn_request *req, const char *name, tn_str value, const tn_set_cookie_opts *opts) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_set_cookie_opts o;
    tn_str secret;
    size_t n = 0;
    char *d;
    int64_t now = (int64_t)time(NULL);
    if (!c || !name || !c->app->secret) return TN_EINVAL;
    secret = tn_str_c(c->app->secret);
    (void)tn_signed_value_create(secret, tn_str_c(name), value, now, c->app->opts.key_version, NULL, 0, &n);
    if (!(d = tn__web_scratch(c, n + 1))) return TN_ENOMEM;
    if (tn_signed_value_create(secret, tn_str_c(name), value, now, c->app->opts.key_version, d, n + 1, &n) != TN_OK)
        return TN_ENOMEM;
    if (opts) {
        o = *opts;
    } else {
        memset(&o, 0, sizeof o);
        o.has_expires = 1;
        o.expires = now + 30 * 86400;
    }
    return tn__web_set_cookie(c, name, tn_str_make(d, n), &o);
}

/* ---- XSRF (Tornado's v2 masked tokens; v1 hex and raw tokens are read too) ---- */
/* Tornado's _decode_xsrf_token: the raw token bytes (and timestamp) of a cookie or a
   submitted token. Returns TN_OK or TN_EPARSE. */
TN__PRIVATE int tn__web_xsrf_decode(tn_str tok, unsigned char *raw, size_t cap, size_t *n, int64_t *ts) {
    size_t i = 0;
    *ts = (int64_t)time(NULL);
    while (i < tok.len && tok.ptr[i] >= '0' && tok.ptr[i] <= '9') i++;
    if (i > 0 && tok.ptr[0] != '0' && i < tok.len && tok.ptr[i] == '|') {
        /* versioned: only 2 is known: "2|mask|masked|timestamp" */
        tn_str f[4];
        size_t k = 0, start = 0, j;
        unsigned char mask[4];
        size_t ml = 0;
        int64_t t = 0;
        if (i != 1 || tok.ptr[0] != '2') return TN_EPARSE;
        for (j = 0; j <= tok.len; j++) {
            if (j == tok.len || tok.ptr[j] == '|') {
                if (k == 4) return TN_EPARSE;
                f[k++] = tn_str_make(tok.ptr + start, j - start);
                start = j + 1;
            }
        }
        if (k != 4) return TN_EPARSE;
        if (tn_hex_decode(f[1], mask, sizeof mask, &ml) != TN_OK || ml != 4) return TN_EPARSE;
        if (tn_hex_decode(f[2], raw, cap, n) != TN_OK) return TN_EPARSE;
        for (j = 0; j < *n; j++) raw[j] ^= mask[j % 4];
        if (f[3].len == 0 || f[3].len > 18) return TN_EPARSE;
        for (j = 0; j < f[3].len; j++) {
            if (f[3].ptr[j] < '0' || f[3].ptr[j] > '9') return TN_EPARSE;
            t = t * 10 + (f[3].ptr[j] - '0');
        }
        *ts = t;
        return TN_OK;
    }
    /* version 1: hex, or the bytes as they are */
    if (tn_hex_decode(tok, raw, cap, n) == TN_OK) return TN_OK;
    if (tok.len > cap) return TN_EPARSE;
    if (tok.len) memcpy(raw, tok.ptr, tok.len);
    *n = tok.len;
    return TN_OK;
}

/* The raw token from the _xsrf cookie, or a new random one (Tornado _get_raw_xsrf_token). */
TN__PRIVATE int tn__web_xsrf_raw(tn__web_ctx *c) {
    tn_str ck;
    if (c->xsrf_state) return TN_OK;
    if (tn_web_get_cookie(c->req, "_xsrf", &ck) == TN_OK && ck.len > 0 &&
        tn__web_xsrf_decode(ck, c->xsrf_raw, sizeof c->xsrf_raw, &c->xsrf_raw_len, &c->xsrf_ts) == TN_OK &&
        c->xsrf_raw_len > 0) {
        c->xsrf_state = 1;
        return TN_OK;
    }
    if (tn_random_bytes(c->xsrf_raw, 16) != TN_OK) return TN_ESYS;
    c->xsrf_raw_len = 16;
    c->xsrf_ts = (int64_t)time(NULL);
    c->xsrf_state = 2;
    return TN_OK;
}

TN_API tn_str tn_web_xsrf_token(tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    unsigned char mask[4], masked[64];
    char *d, *p;
    size_t i, cap;
    if (!c) return tn_str_make("", 0);
    if (c->xsrf.len) return c->xsrf;
    if (tn__web_xsrf_raw(c) != TN_OK || tn_random_bytes(mask, 4) != TN_OK) return tn_str_make("", 0);
    for (i = 0; i < c->xsrf_raw_len; i++) masked[i] = (unsigned char)(c->xsrf_raw[i] ^ mask[i % 4]);
    cap = 2 + 8 + 1 + 2 * c->xsrf_raw_len + 1 + 24;
    if (!(d = tn__web_scratch(c, cap))) return tn_str_make("", 0);
    p = d;
    memcpy(p, "2|", 2);
    p += 2;
    (void)tn_hex_encode(mask, 4, p, 9, NULL);
    p += 8;
    *p++ = '|';
    (void)tn_hex_encode(masked, c->xsrf_raw_len, p, 2 * c->xsrf_raw_len + 1, NULL);
    p += 2 * c->xsrf_raw_len;
    p += snprintf(p, 24, "|%lld", (long long)c->xsrf_ts);
    c->xsrf = tn_str_make(d, (size_t)(p - d));
    if (c->xsrf_state == 2 && !c->started) (void)tn__web_set_cookie(c, "_xsrf", c->xsrf, &c->app->opts.xsrf_cookie);
    return c->xsrf;
}

TN_API tn_str tn_web_xsrf_form_html(tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str tok = tn_web_xsrf_token(req);
    static const char a[] = "<input type=\"hidden\" name=\"_xsrf\" value=\"", b[] = "\"/>";
    size_t n;
    char *d;
    if (!c || !tok.len) return tn_str_make("", 0);
    /* the token is hex, digits and '|': nothing to escape */
    n = sizeof a - 1 + tok.len + sizeof b - 1;
    if (!(d = tn__web_scratch(c, n + 1))) return tn_str_make("", 0);
    memcpy(d, a, sizeof a - 1);
    memcpy(d + sizeof a - 1, tok.ptr, tok.len);
    memcpy(d + sizeof a - 1 + tok.len, b, sizeof b);
    return tn_str_make(d, n);
}

TN_API int tn_web_check_xsrf(tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str tok;
    unsigned char raw[64];
    size_t n = 0;
    int64_t ts;
    if (!c) return TN_EINVAL;
    if ((tn_web_get_argument(req, "_xsrf", &tok) != TN_OK || tok.len == 0) &&
        (tn_request_header(req, "X-Xsrftoken", &tok) != TN_OK || tok.len == 0) &&
        (tn_request_header(req, "X-Csrftoken", &tok) != TN_OK || tok.len == 0))
        return TN_EACCES;
    if (tn__web_xsrf_decode(tok, raw, sizeof raw, &n, &ts) != TN_OK || n == 0) return TN_EACCES;
    if (tn__web_xsrf_raw(c) != TN_OK) return TN_EACCES;
    if (!tn_ct_str_equal(tn_str_make((const char *)raw, n), tn_str_make((const char *)c->xsrf_raw, c->xsrf_raw_len)))
        return TN_EACCES;
    return TN_OK;
}

#endif /* TN_HAS_WEB */
