/* http_cookie.c: Cookie header parsing, Set-Cookie formatting, Tornado signed values (v2), HTTP Basic auth. */
#include "http_cookie.h"
#include "internal.h"
#include "http_util.h"
#include "http_parse.h"

/* ---- a bounded writer that keeps counting past the end, so callers learn the size ---- */
typedef struct tn__ck_wr {
    char *p;
    size_t cap;
    size_t len;
} tn__ck_wr;

TN__PRIVATE void tn__ck_wr_put(tn__ck_wr *w, const char *s, size_t n) {
    if (w->len <= w->cap && n <= w->cap - w->len && n) memcpy(w->p + w->len, s, n);
    w->len += n;
}

TN__PRIVATE void tn__ck_wr_str(tn__ck_wr *w, tn_str s) { tn__ck_wr_put(w, s.ptr, s.len); }
TN__PRIVATE void tn__ck_wr_cstr(tn__ck_wr *w, const char *s) { tn__ck_wr_put(w, s, strlen(s)); }
TN__PRIVATE void tn__ck_wr_byte(tn__ck_wr *w, char c) { tn__ck_wr_put(w, &c, 1); }

/* Decimal of a signed 64-bit value. */
TN__PRIVATE void tn__ck_wr_i64(tn__ck_wr *w, int64_t v) {
    char tmp[24];
    size_t i = sizeof tmp;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--i] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (v < 0) tmp[--i] = '-';
    tn__ck_wr_put(w, tmp + i, sizeof tmp - i);
}

TN__PRIVATE void tn__ck_wr_u64(tn__ck_wr *w, uint64_t u) {
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    tn__ck_wr_put(w, tmp + i, sizeof tmp - i);
}

/* Finish: NUL when room remains, report the length, map overflow to TN_EBUFFER_FULL. */
TN__PRIVATE int tn__ck_wr_done(tn__ck_wr *w, size_t *out_len) {
    if (out_len) *out_len = w->len;
    if (w->len > w->cap) return TN_EBUFFER_FULL;
    if (w->len < w->cap) w->p[w->len] = '\0';
    return TN_OK;
}

/* ======================================================================================
   Cookie header */
TN__PRIVATE int tn__ck_space(unsigned char c) {
    return c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
}

TN__PRIVATE tn_str tn__ck_trim(const char *p, size_t n) {
    while (n && tn__ck_space((unsigned char)p[0])) { p++; n--; }
    while (n && tn__ck_space((unsigned char)p[n - 1])) n--;
    return tn_str_make(p, n);
}

TN_API int tn_cookie_next(tn_str header, size_t *pos, tn_cookie *out) {
    while (*pos < header.len) {
        const char *chunk = header.ptr + *pos;
        size_t rest = header.len - *pos, clen;
        const char *semi = (const char *)memchr(chunk, ';', rest);
        const char *eq;
        tn_str name, value;
        clen = semi ? (size_t)(semi - chunk) : rest;
        *pos += semi ? clen + 1 : clen;
        eq = clen ? (const char *)memchr(chunk, '=', clen) : NULL;
        if (eq) {
            name = tn__ck_trim(chunk, (size_t)(eq - chunk));
            value = tn__ck_trim(eq + 1, clen - (size_t)(eq - chunk) - 1);
        } else {
            name = tn_str_make(chunk, 0);
            value = tn__ck_trim(chunk, clen);
        }
        if (name.len == 0 && value.len == 0) continue;
        out->name = name;
        out->quoted = 0;
        if (value.len >= 2 && value.ptr[0] == '"' && value.ptr[value.len - 1] == '"') {
            value.ptr++;
            value.len -= 2;
            out->quoted = 1;
        }
        out->value = value;
        return 1;
    }
    return 0;
}

TN_API int tn_cookie_get(tn_str header, tn_str name, tn_cookie *out) {
    size_t pos = 0;
    int found = 0;
    tn_cookie c, last;
    memset(&last, 0, sizeof last);
    while (tn_cookie_next(header, &pos, &c)) {
        if (tn_str_eq(c.name, name)) {
            last = c;
            found = 1;
        }
    }
    if (found && out) *out = last;
    return found;
}

TN_API int tn_cookie_unquote(tn_str value, char *out, size_t cap, size_t *out_len) {
    const unsigned char *p = (const unsigned char *)value.ptr;
    size_t i = 0, o = 0, need = 0;
    /* first pass: the exact size (so TN_EBUFFER_FULL can report it without writing) */
    while (i < value.len) {
        if (p[i] == '\\' && i + 3 < value.len && p[i + 1] >= '0' && p[i + 1] <= '3' &&
            p[i + 2] >= '0' && p[i + 2] <= '7' && p[i + 3] >= '0' && p[i + 3] <= '7') {
            i += 4;
        } else if (p[i] == '\\' && i + 1 < value.len && p[i + 1] != '\n') {
            i += 2;
        } else {
            i += 1;
        }
        need++;
    }
    if (out_len) *out_len = need;
    if (need > cap) return TN_EBUFFER_FULL;
    i = 0;
    while (i < value.len) {
        unsigned char c = p[i];
        if (c == '\\' && i + 3 < value.len && p[i + 1] >= '0' && p[i + 1] <= '3' &&
            p[i + 2] >= '0' && p[i + 2] <= '7' && p[i + 3] >= '0' && p[i + 3] <= '7') {
            c = (unsigned char)(((p[i + 1] - '0') << 6) | ((p[i + 2] - '0') << 3) | (p[i + 3] - '0'));
            i += 4;
        } else if (c == '\\' && i + 1 < value.len && p[i + 1] != '\n') {
            c = p[i + 1];
            i += 2;
        } else {
            i += 1;
        }
        out[o++] = (char)c;
    }
    if (o < cap) out[o] = '\0';
    return TN_OK;
}

/* ======================================================================================
   Set-Cookie */

/* RFC 6265 cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E. These are also
   exactly the printable bytes Python's http.cookies leaves unescaped inside quotes. */
TN__PRIVATE int tn__ck_is_cookie_octet(unsigned char c) {
    return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

TN_API int tn_set_cookie_format(tn_str name, tn_str value, const tn_set_cookie_opts *opts,
                                char *out, size_t cap, size_t *out_len) {
    tn_set_cookie_opts def;
    tn__ck_wr w;
    size_t i;
    int needs_quote = 0;
    if (out_len) *out_len = 0;
    if (!opts) {
        memset(&def, 0, sizeof def);
        opts = &def;
    }
    /* name: a token */
    if (!tn_http_is_token(name)) return TN_EINVAL;
    /* value: never CTL, space or DEL; otherwise cookie-octets, or quoted */
    for (i = 0; i < value.len; i++) {
        unsigned char c = (unsigned char)value.ptr[i];
        if (c <= 0x20 || c == 0x7f) return TN_EINVAL;
        if (!tn__ck_is_cookie_octet(c)) needs_quote = 1;
    }
    if (needs_quote && !opts->quote) return TN_EINVAL;
    for (i = 0; i < opts->domain.len; i++) {
        unsigned char c = (unsigned char)opts->domain.ptr[i];
        if (c <= 0x20 || c >= 0x7f || c == ';' || c == ',') return TN_EINVAL;
    }
    for (i = 0; i < opts->path.len; i++) {
        unsigned char c = (unsigned char)opts->path.ptr[i];
        if (c < 0x20 || c >= 0x7f || c == ';') return TN_EINVAL;
    }
    if (opts->has_expires && (opts->expires < 0 || opts->expires > INT64_C(253402300799)))
        return TN_EINVAL;
    if (opts->same_site < TN_SAMESITE_OMIT || opts->same_site > TN_SAMESITE_NONE) return TN_EINVAL;
    if (opts->same_site == TN_SAMESITE_NONE && !opts->secure) return TN_EINVAL;
    /* cookie name prefixes (RFC 6265bis section 4.1.3): browsers drop cookies that break
       these rules, so refuse them here where the mistake is visible */
    if (name.len >= 9 && tn_str_ieq(tn_str_make(name.ptr, 9), tn_str_c("__Secure-")) && !opts->secure)
        return TN_EINVAL;
    if (name.len >= 7 && tn_str_ieq(tn_str_make(name.ptr, 7), tn_str_c("__Host-")) &&
        (!opts->secure || opts->domain.len || opts->no_path ||
         (opts->path.len && !tn_str_eq(opts->path, tn_str_c("/")))))
        return TN_EINVAL;

    w.p = out;
    w.cap = cap;
    w.len = 0;
    tn__ck_wr_str(&w, name);
    tn__ck_wr_byte(&w, '=');
    if (!needs_quote) {
        tn__ck_wr_str(&w, value);
    } else {
        tn__ck_wr_byte(&w, '"');
        for (i = 0; i < value.len; i++) {
            unsigned char c = (unsigned char)value.ptr[i];
            if (tn__ck_is_cookie_octet(c)) {
                tn__ck_wr_byte(&w, (char)c);
            } else if (c == '"' || c == '\\') {
                tn__ck_wr_byte(&w, '\\');
                tn__ck_wr_byte(&w, (char)c);
            } else {
                char esc[4];
                esc[0] = '\\';
                esc[1] = (char)('0' + (c >> 6));
                esc[2] = (char)('0' + ((c >> 3) & 7));
                esc[3] = (char)('0' + (c & 7));
                tn__ck_wr_put(&w, esc, 4);
            }
        }
        tn__ck_wr_byte(&w, '"');
    }
    if (opts->has_expires) {
        char date[TN_HTTP_DATE_LEN + 1];
        if (tn_http_date_format(opts->expires, date) < 0) return TN_EINVAL;   /* the shared formatter */
        tn__ck_wr_cstr(&w, "; Expires=");
        tn__ck_wr_put(&w, date, TN_HTTP_DATE_LEN);
    }
    if (!opts->no_path) {
        tn__ck_wr_cstr(&w, "; Path=");
        if (opts->path.len) tn__ck_wr_str(&w, opts->path);
        else tn__ck_wr_byte(&w, '/');
    }
    if (opts->domain.len) {
        tn__ck_wr_cstr(&w, "; Domain=");
        tn__ck_wr_str(&w, opts->domain);
    }
    if (opts->has_max_age) {
        tn__ck_wr_cstr(&w, "; Max-Age=");
        tn__ck_wr_i64(&w, opts->max_age);
    }
    if (opts->secure) tn__ck_wr_cstr(&w, "; Secure");
    if (opts->http_only) tn__ck_wr_cstr(&w, "; HttpOnly");
    if (opts->same_site == TN_SAMESITE_STRICT) tn__ck_wr_cstr(&w, "; SameSite=Strict");
    else if (opts->same_site == TN_SAMESITE_LAX) tn__ck_wr_cstr(&w, "; SameSite=Lax");
    else if (opts->same_site == TN_SAMESITE_NONE) tn__ck_wr_cstr(&w, "; SameSite=None");
    return tn__ck_wr_done(&w, out_len);
}

/* ======================================================================================
   Signed values, version 2 */

TN__PRIVATE void tn__ck_wr_field(tn__ck_wr *w, const char *s, size_t n) {
    tn__ck_wr_u64(w, (uint64_t)n);
    tn__ck_wr_byte(w, ':');
    tn__ck_wr_put(w, s, n);
    tn__ck_wr_byte(w, '|');
}

TN_API int tn_signed_value_create(tn_str secret, tn_str name, tn_str value, int64_t timestamp,
                                  unsigned key_version, char *out, size_t cap, size_t *out_len) {
    char num[24];
    tn__ck_wr w, nw;
    size_t b64 = tn_base64_encoded_size(value.len, TN_BASE64_STD), start;
    unsigned char mac[TN_SHA256_SIZE];
    if (out_len) *out_len = 0;
    if (b64 == (size_t)-1) return TN_EBUFFER_FULL;
    w.p = out;
    w.cap = cap;
    w.len = 0;
    tn__ck_wr_put(&w, "2|", 2);
    nw.p = num;
    nw.cap = sizeof num;
    nw.len = 0;
    tn__ck_wr_u64(&nw, key_version);
    tn__ck_wr_field(&w, num, nw.len);
    nw.len = 0;
    tn__ck_wr_i64(&nw, timestamp);
    tn__ck_wr_field(&w, num, nw.len);
    tn__ck_wr_field(&w, name.ptr, name.len);
    /* the base64 field is written in place once we know it fits */
    tn__ck_wr_u64(&w, (uint64_t)b64);
    tn__ck_wr_byte(&w, ':');
    start = w.len;
    w.len += b64;
    tn__ck_wr_byte(&w, '|');
    if (w.len + 2 * TN_SHA256_SIZE > cap) {
        if (out_len) *out_len = w.len + 2 * TN_SHA256_SIZE;
        return TN_EBUFFER_FULL;
    }
    (void)tn_base64_encode(value.ptr, value.len, out + start, b64, NULL, TN_BASE64_STD);
    tn_hmac_sha256(secret.ptr, secret.len, out, w.len, mac);
    (void)tn_hex_encode(mac, sizeof mac, out + w.len, cap - w.len, NULL);
    w.len += 2 * TN_SHA256_SIZE;
    return tn__ck_wr_done(&w, out_len);
}

/* Parse "<len>:<field>|" at *pos in v, Python's _consume_field with digits only.
   Returns TN_OK with the field, or TN_EPARSE. */
TN__PRIVATE int tn__ck_sv_field(tn_str v, size_t *pos, tn_str *field) {
    size_t i = *pos, n = 0, digits = 0;
    while (i < v.len && v.ptr[i] >= '0' && v.ptr[i] <= '9') {
        if (++digits > 9) return TN_EPARSE;
        n = n * 10 + (size_t)(v.ptr[i] - '0');
        i++;
    }
    if (digits == 0 || i >= v.len || v.ptr[i] != ':') return TN_EPARSE;
    i++;
    if (n > v.len - i || n == v.len - i || v.ptr[i + n] != '|') return TN_EPARSE;
    *field = tn_str_make(v.ptr + i, n);
    *pos = i + n + 1;
    return TN_OK;
}

/* A decimal integer field (optional '-' when allow_neg), at most 18 digits. */
TN__PRIVATE int tn__ck_sv_int(tn_str f, int allow_neg, int64_t *out) {
    size_t i = 0;
    int neg = 0;
    int64_t v = 0;
    if (allow_neg && f.len && f.ptr[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == f.len || f.len - i > 18) return TN_EPARSE;
    for (; i < f.len; i++) {
        if (f.ptr[i] < '0' || f.ptr[i] > '9') return TN_EPARSE;
        v = v * 10 + (f.ptr[i] - '0');
    }
    *out = neg ? -v : v;
    return TN_OK;
}

typedef struct tn__ck_sv_parts {
    int64_t key_version;
    tn_str timestamp, name, value, sig;
    size_t signed_len;   /* bytes covered by the signature */
} tn__ck_sv_parts;

TN__PRIVATE int tn__ck_sv_parse(tn_str v, tn__ck_sv_parts *pp) {
    size_t pos = 2;
    tn_str kv;
    if (v.len < 2 || v.ptr[0] != '2' || v.ptr[1] != '|') return TN_EPARSE;
    if (tn__ck_sv_field(v, &pos, &kv) != TN_OK || tn__ck_sv_int(kv, 0, &pp->key_version) != TN_OK ||
        pp->key_version > 0xffffffffu)
        return TN_EPARSE;
    if (tn__ck_sv_field(v, &pos, &pp->timestamp) != TN_OK) return TN_EPARSE;
    if (tn__ck_sv_field(v, &pos, &pp->name) != TN_OK) return TN_EPARSE;
    if (tn__ck_sv_field(v, &pos, &pp->value) != TN_OK) return TN_EPARSE;
    pp->signed_len = pos;
    pp->sig = tn_str_make(v.ptr + pos, v.len - pos);
    return TN_OK;
}

TN_API int tn_signed_value_key_version(tn_str signed_value, unsigned *key_version) {
    tn__ck_sv_parts pp;
    if (tn__ck_sv_parse(signed_value, &pp) != TN_OK) return TN_EPARSE;
    if (key_version) *key_version = (unsigned)pp.key_version;
    return TN_OK;
}

TN_API int tn_signed_value_decode(tn_str secret, tn_str name, tn_str signed_value, int64_t now,
                                  double max_age_days, char *out, size_t cap, size_t *out_len) {
    tn__ck_sv_parts pp;
    unsigned char mac[TN_SHA256_SIZE];
    char hex[2 * TN_SHA256_SIZE];
    int64_t ts;
    size_t need;
    if (out_len) *out_len = 0;
    if (tn__ck_sv_parse(signed_value, &pp) != TN_OK) return TN_EPARSE;
    tn_hmac_sha256(secret.ptr, secret.len, signed_value.ptr, pp.signed_len, mac);
    (void)tn_hex_encode(mac, sizeof mac, hex, sizeof hex, NULL);
    if (!tn_ct_str_equal(pp.sig, tn_str_make(hex, sizeof hex))) return TN_EBAD_SIGNATURE;
    if (!tn_str_eq(pp.name, name)) return TN_EBAD_SIGNATURE;
    if (tn__ck_sv_int(pp.timestamp, 1, &ts) != TN_OK) return TN_EPARSE;
    if (!(max_age_days > 0)) max_age_days = TN_SIGNED_VALUE_MAX_AGE_DAYS;   /* also NaN */
    if ((double)ts < (double)now - max_age_days * 86400.0) return TN_EEXPIRED;
    if (pp.value.len % 4 != 0) return TN_EBAD_ENCODING;
    need = tn_base64_decoded_max(pp.value.len);
    if (pp.value.len && pp.value.ptr[pp.value.len - 1] == '=') need--;
    if (pp.value.len > 1 && pp.value.ptr[pp.value.len - 2] == '=') need--;
    if (need > cap) {
        if (out_len) *out_len = need;
        return TN_EBUFFER_FULL;
    }
    return tn_base64_decode(pp.value.ptr, pp.value.len, out, cap, out_len, TN_BASE64_STD);
}

TN_API int tn_signed_value_decode_v1(tn_str secret, tn_str name, tn_str signed_value, int64_t now,
                                     double max_age_days, char *out, size_t cap, size_t *out_len) {
    const char *p = signed_value.ptr, *bar1, *bar2;
    size_t n = signed_value.len, need;
    tn_str val, tsf, sig;
    tn_hmac_sha1_ctx h;
    unsigned char mac[TN_SHA1_SIZE];
    char hex[2 * TN_SHA1_SIZE];
    int64_t ts;
    if (out_len) *out_len = 0;
    bar1 = n ? (const char *)memchr(p, '|', n) : NULL;
    if (!bar1) return TN_EPARSE;
    bar2 = (const char *)memchr(bar1 + 1, '|', n - (size_t)(bar1 + 1 - p));
    if (!bar2 || memchr(bar2 + 1, '|', n - (size_t)(bar2 + 1 - p))) return TN_EPARSE;
    val = tn_str_make(p, (size_t)(bar1 - p));
    tsf = tn_str_make(bar1 + 1, (size_t)(bar2 - bar1 - 1));
    sig = tn_str_make(bar2 + 1, n - (size_t)(bar2 + 1 - p));
    tn_hmac_sha1_init(&h, secret.ptr, secret.len);
    tn_hmac_sha1_update(&h, name.ptr, name.len);
    tn_hmac_sha1_update(&h, val.ptr, val.len);
    tn_hmac_sha1_update(&h, tsf.ptr, tsf.len);
    tn_hmac_sha1_final(&h, mac);
    (void)tn_hex_encode(mac, sizeof mac, hex, sizeof hex, NULL);
    if (!tn_ct_str_equal(sig, tn_str_make(hex, sizeof hex))) return TN_EBAD_SIGNATURE;
    if (tn__ck_sv_int(tsf, 1, &ts) != TN_OK) return TN_EPARSE;
    if (!(max_age_days > 0)) max_age_days = TN_SIGNED_VALUE_MAX_AGE_DAYS;
    if ((double)ts < (double)now - max_age_days * 86400.0) return TN_EEXPIRED;
    if ((double)ts > (double)now + 31 * 86400.0) return TN_EBAD_SIGNATURE;
    if (tsf.ptr[0] == '0') return TN_EBAD_SIGNATURE;
    if (val.len % 4 != 0) return TN_EBAD_ENCODING;
    need = tn_base64_decoded_max(val.len);
    if (val.len && val.ptr[val.len - 1] == '=') need--;
    if (val.len > 1 && val.ptr[val.len - 2] == '=') need--;
    if (need > cap) {
        if (out_len) *out_len = need;
        return TN_EBUFFER_FULL;
    }
    return tn_base64_decode(val.ptr, val.len, out, cap, out_len, TN_BASE64_STD);
}

/* ======================================================================================
   HTTP Basic authentication */
TN_API int tn_basic_auth_encode(tn_str user, tn_str pass, char *out, size_t cap,
                                size_t *out_len) {
    size_t i, raw, b64, need, o;
    if (out_len) *out_len = 0;
    for (i = 0; i < user.len; i++) {
        unsigned char c = (unsigned char)user.ptr[i];
        if (c == ':' || c < 0x20 || c == 0x7f) return TN_EINVAL;
    }
    for (i = 0; i < pass.len; i++) {
        unsigned char c = (unsigned char)pass.ptr[i];
        if (c < 0x20 || c == 0x7f) return TN_EINVAL;
    }
    raw = user.len + 1 + pass.len;
    if (raw < user.len) return TN_EBUFFER_FULL;
    b64 = tn_base64_encoded_size(raw, TN_BASE64_STD);
    if (b64 == (size_t)-1 || b64 > ((size_t)-1) - 6) return TN_EBUFFER_FULL;
    need = 6 + b64;
    if (out_len) *out_len = need;
    if (need > cap) return TN_EBUFFER_FULL;
    /* encode user ":" pass in 3-byte groups without a temporary copy: stage each group */
    memcpy(out, "Basic ", 6);
    o = 6;
    {
        unsigned char grp[3];
        size_t g = 0, k;
        for (k = 0; k < raw; k++) {
            grp[g++] = (unsigned char)(k < user.len ? user.ptr[k]
                                       : k == user.len ? ':' : pass.ptr[k - user.len - 1]);
            if (g == 3 || k + 1 == raw) {
                size_t wrote = 0;
                (void)tn_base64_encode(grp, g, out + o, cap - o, &wrote, TN_BASE64_STD);
                o += wrote;
                g = 0;
            }
        }
    }
    if (o < cap) out[o] = '\0';
    return TN_OK;
}

TN_API int tn_basic_auth_decode(tn_str header, char *buf, size_t cap, tn_str *user,
                                tn_str *pass) {
    const char *p = header.ptr, *end = header.ptr + header.len, *tok, *colon;
    size_t n = 0;
    int rc;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t')) end--;
    tok = p;
    while (p < end && *p != ' ' && *p != '\t') p++;
    if (!tn_str_ieq(tn_str_make(tok, (size_t)(p - tok)), tn_str_c("Basic"))) {
        return p == tok ? TN_EPARSE : TN_ENOTSUP;
    }
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    if (p == end) return TN_EPARSE;
    tok = p;
    while (p < end && *p != ' ' && *p != '\t') p++;
    if (p != end) return TN_EPARSE;
    rc = tn_base64_decode(tok, (size_t)(end - tok), buf, cap, &n, TN_BASE64_STD);
    if (rc != TN_OK) return rc;
    colon = n ? (const char *)memchr(buf, ':', n) : NULL;
    if (!colon) return TN_EPARSE;
    if (user) *user = tn_str_make(buf, (size_t)(colon - buf));
    if (pass) *pass = tn_str_make(colon + 1, n - (size_t)(colon - buf) - 1);
    return TN_OK;
}
