/* http_util.c: header parameters, HTTP dates, Range, status reasons, HTML and JSON escaping. */
#include "http_util.h"
#include "internal.h"

/* A string literal as a tn_str, its length known when compiling (tn_str_c counts it at run
   time, a call for each). */
#define TN__HU_LIT(s) tn_str_make(s, sizeof(s) - 1)

/* ---- character classes ---- */
TN__PRIVATE int tn__hu_is_ows(int c) { return c == ' ' || c == '\t'; }

static const char tn__hu_hex_lower[] = "0123456789abcdef";

TN__PRIVATE tn_str tn__hu_trim(tn_str s) {
    while (s.len && tn__hu_is_ows((unsigned char)s.ptr[0])) { s.ptr++; s.len--; }
    while (s.len && tn__hu_is_ows((unsigned char)s.ptr[s.len - 1])) s.len--;
    return s;
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
    return tn__hu_trim(tn_str_make(header.ptr, end));
}

TN_API int tn_param_next(tn_param_iter *it, tn_str *name, tn_str *raw) {
    const char *p = it->_p;
    size_t n = it->_len, pos = it->_pos;
    for (;;) {
        size_t ns, ne, vs;
        while (pos < n && (tn__hu_is_ows((unsigned char)p[pos]) || p[pos] == ';')) pos++;
        if (pos >= n) {
            it->_pos = n;
            return 0;
        }
        ns = pos;
        while (pos < n && p[pos] != '=' && p[pos] != ';') pos++;
        ne = pos;
        while (ne > ns && tn__hu_is_ows((unsigned char)p[ne - 1])) ne--;
        if (pos >= n || p[pos] == ';' || ne == ns) {
            /* no '=' (or no name): skipped, as Tornado does; skip a value too */
            if (pos < n && p[pos] == '=') {
                while (pos < n && p[pos] != ';') pos++;
            }
            continue;
        }
        pos++;   /* '=' */
        while (pos < n && tn__hu_is_ows((unsigned char)p[pos])) pos++;
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
            while (pos < n && tn__hu_is_ows((unsigned char)p[pos])) pos++;
            if (pos < n && p[pos] != ';') {
                it->_pos = n;
                return TN_EPARSE;
            }
        } else {
            size_t ve;
            while (pos < n && p[pos] != ';') pos++;
            ve = pos;
            while (ve > vs && tn__hu_is_ows((unsigned char)p[ve - 1])) ve--;
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
TN__PRIVATE int tn__hu_ext_value_decode(tn_str raw, char *buf, size_t cap, tn_str *value) {
    const char *s = raw.ptr;
    size_t n = raw.len, q1, q2, i, o, need = 0;
    int latin1;
    for (q1 = 0; q1 < n && s[q1] != '\''; q1++) {}
    if (q1 >= n) return TN_EPARSE;
    for (q2 = q1 + 1; q2 < n && s[q2] != '\''; q2++) {}
    if (q2 >= n) return TN_EPARSE;
    if (tn_str_ieq(tn_str_make(s, q1), TN__HU_LIT("UTF-8"))) latin1 = 0;
    else if (tn_str_ieq(tn_str_make(s, q1), TN__HU_LIT("ISO-8859-1"))) latin1 = 1;
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
        r = tn__hu_ext_value_decode(ext, buf, cap, value);
        if (r == TN_OK || r == TN_EBUFFER_FULL || !have_plain) return r;
    }
    if (have_plain) return tn_param_unquote(plain, buf, cap, value);
    return TN_ENOENT;
}

/* ======================================================================================
   HTTP dates
   ====================================================================================== */

static const char tn__hu_wday_names[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char tn__hu_wday_long[7][10] = { "Sunday", "Monday", "Tuesday", "Wednesday",
                                              "Thursday", "Friday", "Saturday" };
static const char tn__hu_mon_names[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

TN__PRIVATE int tn__hu_is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

TN__PRIVATE int tn__hu_days_in_month(int64_t y, int m) {
    static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && tn__hu_is_leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. Years are counted from March so
   that February (and its leap day) ends the year; 400-year eras repeat exactly. */
TN__PRIVATE int64_t tn__hu_days_from_civil(int64_t y, int m, int d) {
    int64_t era, yoe, doy, doe;
    if (m <= 2) y--;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;                                        /* 0..399 */
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;      /* 0..365, from March 1 */
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                /* 0..146096 */
    return era * 146097 + doe - 719468;                         /* 719468: 0000-03-01 → 1970 */
}

/* The inverse of tn__hu_days_from_civil, in 32-bit arithmetic for the years 1 to 9999 (a
   32-bit CPU links no 64-bit division): t is split into days and seconds from t / 128,
   which fits 32 bits (86400 = 675 * 128); the days are counted from 0000-03-01 (0001-01-01
   is day 306), so each leap day ends a year. (4 n + 3) / 146097 counts the centuries (four
   in 146097 days, the leap century last) and (4 n + 3) / 1461 the years in one (four in
   1461 days): two divisions where counting 400-year eras took six. Checked against gmtime_r
   for every day of the range. The fields go into a template two digits at a time. */
TN_API int tn_http_date_format(int64_t t, char *out) {
    static const int64_t tmin = -62135596800LL;   /* 0001-01-01T00:00:00Z, a Monday */
    static const int64_t tmax = 253402300799LL;   /* 9999-12-31T23:59:59Z */
    static const unsigned char at[6] = { 5, 12, 14, 17, 20, 23 };   /* DD YY YY HH MM SS */
    uint32_t q, days, secs, z, c, y, doy, mp, v[6];
    int k;
    if (!out || t < tmin || t > tmax) return TN_EINVAL;
    t -= tmin;
    q = (uint32_t)((uint64_t)t >> 7);
    days = q / 675;
    secs = (q % 675) << 7 | (uint32_t)(t & 127);
    z = days + 306;
    c = (4 * z + 3) / 146097;                  /* the centuries (of 36524 or 36525 days) */
    z -= 146097 * c / 4;                       /* the day in the century */
    y = (4 * z + 3) / 1461;                    /* the year in the century */
    doy = z - 1461 * y / 4;                    /* 0..365, from March 1 */
    mp = (5 * doy + 2) / 153;                  /* 0 March .. 11 February */
    v[0] = doy - (153 * mp + 2) / 5 + 1;
    y += 100 * c + (mp >= 10);                 /* the year */
    v[1] = y / 100;
    v[2] = y % 100;
    v[3] = secs / 3600;
    secs %= 3600;
    v[4] = secs / 60;
    v[5] = secs % 60;
    memcpy(out, "Sun, 00 Jan 0000 00:00:00 GMT", 30);   /* with the NUL */
    memcpy(out, tn__hu_wday_names[(days + 1) % 7], 3);
    memcpy(out + 8, tn__hu_mon_names[mp < 10 ? mp + 2 : mp - 10], 3);
    for (k = 0; k < 6; k++) {
        out[at[k]] = (char)('0' + v[k] / 10);
        out[at[k] + 1] = (char)('0' + v[k] % 10);
    }
    return TN_OK;
}

typedef struct tn__hu_cur {
    const char *p;
    size_t n;
    size_t i;
} tn__hu_cur;

TN__PRIVATE int tn__hu_cur_lit(tn__hu_cur *c, const char *lit) {
    size_t k = strlen(lit);
    if (c->n - c->i < k || memcmp(c->p + c->i, lit, k) != 0) return 0;
    c->i += k;
    return 1;
}

TN__PRIVATE int tn__hu_cur_digits(tn__hu_cur *c, size_t k, int *v) {
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

/* One of the count names (ASCII case-insensitive) stored stride bytes apart (a char table);
   returns its index or -1. */
TN__PRIVATE int tn__hu_cur_name(tn__hu_cur *c, const char *names, size_t stride, int count) {
    int k;
    for (k = 0; k < count; k++, names += stride) {
        size_t len = strlen(names);
        if (c->n - c->i >= len && tn_str_ieq(tn_str_make(c->p + c->i, len), tn_str_make(names, len))) {
            c->i += len;
            return k;
        }
    }
    return -1;
}

TN__PRIVATE int tn__hu_cur_time(tn__hu_cur *c, int *hh, int *mm, int *ss) {
    return tn__hu_cur_digits(c, 2, hh) && tn__hu_cur_lit(c, ":") && tn__hu_cur_digits(c, 2, mm) &&
           tn__hu_cur_lit(c, ":") && tn__hu_cur_digits(c, 2, ss);
}

TN_API int tn_http_date_parse(tn_str s, int64_t *out) {
    tn__hu_cur c;
    int y = 0, m = 1, d = 0, hh = 0, mm = 0, ss = 0, ok;
    size_t namelen;
    if (!out) return TN_EINVAL;
    s = tn__hu_trim(s);
    c.p = s.ptr;
    c.n = s.len;
    c.i = 0;
    for (namelen = 0; namelen < s.len && tn__is_alpha((unsigned char)s.ptr[namelen]); namelen++) {}
    if (namelen == 3 && namelen < s.len && s.ptr[3] == ',') {
        /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
        ok = tn__hu_cur_name(&c, tn__hu_wday_names[0], 4, 7) >= 0 && tn__hu_cur_lit(&c, ", ") && tn__hu_cur_digits(&c, 2, &d) &&
             tn__hu_cur_lit(&c, " ") && (m = tn__hu_cur_name(&c, tn__hu_mon_names[0], 4, 12) + 1) > 0 &&
             tn__hu_cur_lit(&c, " ") && tn__hu_cur_digits(&c, 4, &y) && tn__hu_cur_lit(&c, " ") &&
             tn__hu_cur_time(&c, &hh, &mm, &ss) && tn__hu_cur_lit(&c, " GMT");
    } else if (namelen > 3 && namelen < s.len && s.ptr[namelen] == ',') {
        /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
        int k = tn__hu_cur_name(&c, tn__hu_wday_long[0], 10, 7);
        ok = k >= 0 && c.i == namelen && tn__hu_cur_lit(&c, ", ") && tn__hu_cur_digits(&c, 2, &d) &&
             tn__hu_cur_lit(&c, "-") && (m = tn__hu_cur_name(&c, tn__hu_mon_names[0], 4, 12) + 1) > 0 &&
             tn__hu_cur_lit(&c, "-") && tn__hu_cur_digits(&c, 2, &y) && tn__hu_cur_lit(&c, " ") &&
             tn__hu_cur_time(&c, &hh, &mm, &ss) && tn__hu_cur_lit(&c, " GMT");
        y += y < 70 ? 2000 : 1900;
    } else if (namelen == 3 && namelen < s.len && s.ptr[3] == ' ') {
        /* asctime: Sun Nov  6 08:49:37 1994 */
        ok = tn__hu_cur_name(&c, tn__hu_wday_names[0], 4, 7) >= 0 && tn__hu_cur_lit(&c, " ") &&
             (m = tn__hu_cur_name(&c, tn__hu_mon_names[0], 4, 12) + 1) > 0 && tn__hu_cur_lit(&c, " ") &&
             (tn__hu_cur_lit(&c, " ") ? tn__hu_cur_digits(&c, 1, &d) : tn__hu_cur_digits(&c, 2, &d)) &&
             tn__hu_cur_lit(&c, " ") && tn__hu_cur_time(&c, &hh, &mm, &ss) && tn__hu_cur_lit(&c, " ") &&
             tn__hu_cur_digits(&c, 4, &y);
    } else {
        return TN_EPARSE;
    }
    if (!ok || c.i != c.n) return TN_EPARSE;
    if (d < 1 || d > tn__hu_days_in_month(y, m) || hh > 23 || mm > 59 || ss > 60) return TN_EPARSE;
    *out = tn__hu_days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss;
    return TN_OK;
}

/* ======================================================================================
   Range
   ====================================================================================== */

/* 1*DIGIT with saturation at UINT64_MAX; returns digits consumed. */
TN__PRIVATE size_t tn__hu_digits_u64(const char *s, size_t n, uint64_t *v) {
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
    header = tn__hu_trim(header);
    s = header.ptr;
    n = header.len;
    if (n < 6 || !tn_str_ieq(tn_str_make(s, 6), TN__HU_LIT("bytes="))) return TN_EPARSE;
    limit = TN__MIN(cap, (size_t)TORNADO_MAX_RANGES);
    i = 6;
    for (;;) {
        size_t es = i, ee, k;
        uint64_t first, last;
        while (i < n && s[i] != ',') i++;
        ee = i;
        while (es < ee && tn__hu_is_ows((unsigned char)s[es])) es++;
        while (ee > es && tn__hu_is_ows((unsigned char)s[ee - 1])) ee--;
        if (es < ee) {
            if (++specs > limit) return TN_ELIMIT;
            if (s[es] == '-') {   /* suffix-range: "-" suffix-length */
                k = tn__hu_digits_u64(s + es + 1, ee - es - 1, &last);
                if (k == 0 || es + 1 + k != ee) return TN_EPARSE;
                if (last > 0 && size > 0) {
                    out[got].first = last >= size ? 0 : size - last;
                    out[got].last = size - 1;
                    got++;
                }
            } else {              /* int-range: first-pos "-" [ last-pos ] */
                k = tn__hu_digits_u64(s + es, ee - es, &first);
                if (k == 0 || es + k >= ee || s[es + k] != '-') return TN_EPARSE;
                es += k + 1;
                last = UINT64_MAX;
                if (es < ee) {
                    k = tn__hu_digits_u64(s + es, ee - es, &last);
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

TN__PRIVATE void tn__hu_content_range_w(tn__buf_w *w, const tn_range *r, uint64_t size) {
    tn__buf_w_put(w, "bytes ", 6);
    if (r) {
        tn__buf_w_u64(w, r->first);
        tn__buf_w_ch(w, '-');
        tn__buf_w_u64(w, r->last);
    } else {
        tn__buf_w_ch(w, '*');
    }
    tn__buf_w_ch(w, '/');
    tn__buf_w_u64(w, size);
}

TN_API int tn_content_range_format(const tn_range *r, uint64_t size, char *out, size_t cap,
                                   size_t *out_len) {
    tn__buf_w w;
    if (r && r->last < r->first) return TN_EINVAL;
    tn__buf_w_init(&w, out, cap);
    tn__hu_content_range_w(&w, r, size);
    return tn__buf_w_end(&w, out_len);
}

/* ======================================================================================
   Entity-tags
   ====================================================================================== */

/* entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text, at s[i..n).
   Returns the index just after it (*opaque = the bytes between the quotes), or 0. */
TN__PRIVATE size_t tn__hu_etag(const char *s, size_t n, size_t i, int *weak, tn_str *opaque) {
    size_t q;
    *weak = 0;
    if (n - i >= 2 && s[i] == 'W' && s[i + 1] == '/') {
        *weak = 1;
        i += 2;
    }
    if (i >= n || s[i] != '"') return 0;
    for (q = i + 1; q < n && s[q] != '"'; q++) {
        unsigned char c = (unsigned char)s[q];
        if (c < 0x21 || c == 0x7f) return 0;
    }
    if (q >= n) return 0;
    *opaque = tn_str_make(s + i + 1, q - i - 1);
    return q + 1;
}

/* ---- content codings ---- */
/* The q of one Accept-Encoding entry from its parameters (";q=0.5"), in thousandths: 1000
   without a q, 0 for a malformed one. */
TN__PRIVATE int tn__hu_coding_q(tn_str params) {
    size_t i = 0;
    while (i < params.len) {
        size_t s, e;
        while (i < params.len && (params.ptr[i] == ';' || params.ptr[i] == ' ' || params.ptr[i] == '\t')) i++;
        s = i;
        while (i < params.len && params.ptr[i] != ';') i++;
        e = i;
        while (e > s && (params.ptr[e - 1] == ' ' || params.ptr[e - 1] == '\t')) e--;
        if (e - s >= 2 && (params.ptr[s] == 'q' || params.ptr[s] == 'Q') && params.ptr[s + 1] == '=') {
            const char *v = params.ptr + s + 2;
            size_t n = e - s - 2, k;
            int q, scale = 100;
            if (n == 0 || (v[0] != '0' && v[0] != '1')) return 0;
            q = (v[0] - '0') * 1000;
            if (n > 1) {
                if (v[1] != '.' || n > 5) return 0;
                for (k = 2; k < n; k++, scale /= 10) {
                    if (v[k] < '0' || v[k] > '9') return 0;
                    q += (v[k] - '0') * scale;
                }
            }
            return q > 1000 ? 0 : q;   /* "1.5" is not a qvalue */
        }
    }
    return 1000;
}

TN_API int tn_http_accepts_coding(tn_str ae, const char *coding) {
    tn_str want = tn_str_c(coding);
    int own = -1, star = -1, gzip = tn_str_ieq(want, TN__HU_LIT("gzip"));
    size_t i = 0;
    if (!ae.ptr) return 0;
    while (i < ae.len) {
        size_t s, pe;
        tn_str name;
        int q;
        while (i < ae.len && (ae.ptr[i] == ' ' || ae.ptr[i] == '\t' || ae.ptr[i] == ',')) i++;
        s = i;
        while (i < ae.len && ae.ptr[i] != ',' && ae.ptr[i] != ';' && ae.ptr[i] != ' ' && ae.ptr[i] != '\t') i++;
        name = tn_str_make(ae.ptr + s, i - s);
        pe = i;
        while (pe < ae.len && ae.ptr[pe] != ',') pe++;
        q = tn__hu_coding_q(tn_str_make(ae.ptr + i, pe - i));
        i = pe;
        if (name.len == 0) continue;
        if (tn_str_ieq(name, want) || (gzip && tn_str_ieq(name, TN__HU_LIT("x-gzip")))) {
            if (own < 0) own = q;
        } else if (name.len == 1 && name.ptr[0] == '*') {
            if (star < 0) star = q;
        }
    }
    return own >= 0 ? own > 0 : star > 0;
}

TN_API int tn_http_compressible_type(tn_str content_type) {
    static const char types[][25] = { "application/javascript", "application/x-javascript", "application/xml",
                                         "application/atom+xml", "application/json", "application/xhtml+xml",
                                         "image/svg+xml" };
    tn_str t = tn_header_value(content_type, NULL);
    size_t k;
    if (t.len > 5 && tn_str_ieq(tn_str_make(t.ptr, 5), TN__HU_LIT("text/"))) return 1;
    for (k = 0; k < sizeof types / sizeof types[0]; k++)
        if (tn_str_ieq(t, tn_str_c(types[k]))) return 1;
    if (t.len > 5 && tn_str_ieq(tn_str_make(t.ptr + t.len - 5, 5), TN__HU_LIT("+json"))) return 1;
    return t.len > 4 && tn_str_ieq(tn_str_make(t.ptr + t.len - 4, 4), TN__HU_LIT("+xml"));
}

TN_API int tn_http_etag_match(tn_str list, tn_str etag, int comparison) {
    tn_str ours, theirs;
    int our_weak, their_weak, found = 0;
    size_t i = 0, e;
    if (!etag.ptr || !list.ptr) return 0;
    e = tn__hu_etag(etag.ptr, etag.len, 0, &our_weak, &ours);
    if (e == 0 || e != etag.len) return 0;
    list = tn__hu_trim(list);
    if (list.len == 1 && list.ptr[0] == '*') return 1;
    for (;;) {
        while (i < list.len && (tn__hu_is_ows((unsigned char)list.ptr[i]) || list.ptr[i] == ',')) i++;
        if (i >= list.len) break;
        if ((e = tn__hu_etag(list.ptr, list.len, i, &their_weak, &theirs)) == 0) return 0;
        if (tn_str_eq(theirs, ours) && (comparison != TN_ETAG_STRONG || (!our_weak && !their_weak))) found = 1;
        i = e;
        while (i < list.len && tn__hu_is_ows((unsigned char)list.ptr[i])) i++;
        if (i < list.len && list.ptr[i] != ',') return 0;
    }
    return found;
}

/* ======================================================================================
   Reasons and escaping
   ====================================================================================== */

/* Reason phrases: the codes in the order of the texts (one string of NUL-ended texts: no
   pointer table, no switch), the most frequent first so a 200 or 404 is found at once.
   Each code is one byte (half the table): (class - 1) * 52 + its last two digits. Every
   listed code ends in 00 to 51 and the largest, 511, is 219; a status ending in 52 to 99 has
   no phrase (and no key). A 5xx code from 548 up would pass 255: not one to add here
   (tests/test_http_util.c reasons checks every code's phrase, and that no other has one). */
#define TN__HU_KEY(code) (((code) / 100 - 1) * 52 + (code) % 100)
#define TN__HU_RC(code) (unsigned char)TN__HU_KEY(code)
static const unsigned char tn__hu_reason_codes[] = {
    TN__HU_RC(200), TN__HU_RC(404), TN__HU_RC(304), TN__HU_RC(301), TN__HU_RC(302), TN__HU_RC(400),
    TN__HU_RC(500), TN__HU_RC(101), TN__HU_RC(204), TN__HU_RC(206), TN__HU_RC(403), TN__HU_RC(401),
    TN__HU_RC(405), TN__HU_RC(413), TN__HU_RC(503), TN__HU_RC(100), TN__HU_RC(102), TN__HU_RC(103),
    TN__HU_RC(201), TN__HU_RC(202), TN__HU_RC(203), TN__HU_RC(205), TN__HU_RC(207), TN__HU_RC(208),
    TN__HU_RC(226), TN__HU_RC(300), TN__HU_RC(303), TN__HU_RC(305), TN__HU_RC(306), TN__HU_RC(307),
    TN__HU_RC(308), TN__HU_RC(402), TN__HU_RC(406), TN__HU_RC(407), TN__HU_RC(408), TN__HU_RC(409),
    TN__HU_RC(410), TN__HU_RC(411), TN__HU_RC(412), TN__HU_RC(414), TN__HU_RC(415), TN__HU_RC(416),
    TN__HU_RC(417), TN__HU_RC(418), TN__HU_RC(421), TN__HU_RC(422), TN__HU_RC(423), TN__HU_RC(424),
    TN__HU_RC(425), TN__HU_RC(426), TN__HU_RC(428), TN__HU_RC(429), TN__HU_RC(431), TN__HU_RC(451),
    TN__HU_RC(501), TN__HU_RC(502), TN__HU_RC(504), TN__HU_RC(505), TN__HU_RC(506), TN__HU_RC(507),
    TN__HU_RC(508), TN__HU_RC(510), TN__HU_RC(511)
};
static const char tn__hu_reason_texts[] =
    "OK\0" "Not Found\0" "Not Modified\0" "Moved Permanently\0" "Found\0" "Bad Request\0"
    "Internal Server Error\0" "Switching Protocols\0" "No Content\0" "Partial Content\0"
    "Forbidden\0" "Unauthorized\0" "Method Not Allowed\0" "Content Too Large\0"
    "Service Unavailable\0" "Continue\0" "Processing\0" "Early Hints\0" "Created\0" "Accepted\0"
    "Non-Authoritative Information\0" "Reset Content\0" "Multi-Status\0" "Already Reported\0"
    "IM Used\0" "Multiple Choices\0" "See Other\0" "Use Proxy\0" "(Unused)\0"
    "Temporary Redirect\0" "Permanent Redirect\0" "Payment Required\0" "Not Acceptable\0"
    "Proxy Authentication Required\0" "Request Timeout\0" "Conflict\0" "Gone\0" "Length Required\0"
    "Precondition Failed\0" "URI Too Long\0" "Unsupported Media Type\0" "Range Not Satisfiable\0"
    "Expectation Failed\0" "I'm a Teapot\0" "Misdirected Request\0" "Unprocessable Content\0"
    "Locked\0" "Failed Dependency\0" "Too Early\0" "Upgrade Required\0" "Precondition Required\0"
    "Too Many Requests\0" "Request Header Fields Too Large\0" "Unavailable For Legal Reasons\0"
    "Not Implemented\0" "Bad Gateway\0" "Gateway Timeout\0" "HTTP Version Not Supported\0"
    "Variant Also Negotiates\0" "Insufficient Storage\0" "Loop Detected\0" "Not Extended\0"
    "Network Authentication Required\0";

TN_API const char *tn_http_reason(int status) {
    size_t i;
    unsigned key;
    if (status < 100 || status > 599 || status % 100 > 51) return "Unknown";
    key = (unsigned)TN__HU_KEY(status);   /* (not narrowed: 548..551 pass 255 and match nothing) */
    for (i = 0; i < sizeof tn__hu_reason_codes; i++) {
        if (tn__hu_reason_codes[i] == key) {
            const char *p = tn__hu_reason_texts;
            while (i--) p += strlen(p) + 1;
            return p;
        }
    }
    return "Unknown";
}

TN__PRIVATE void tn__hu_xhtml_escape_w(tn__buf_w *w, tn_str in) {
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
        tn__buf_w_put(w, in.ptr + i - run, run);
        run = 0;
        tn__buf_w_put(w, rep, strlen(rep));
    }
    tn__buf_w_put(w, in.ptr + in.len - run, run);
}

TN_API int tn_xhtml_escape(tn_str in, char *out, size_t cap, size_t *out_len) {
    tn__buf_w w;
    tn__buf_w_init(&w, out, cap);
    tn__hu_xhtml_escape_w(&w, in);
    return tn__buf_w_end(&w, out_len);
}

TN_API int tn_xhtml_escape_buf(tn_buf *b, tn_str in) {
    tn__buf_w w;
    int rc;
    tn__buf_w_init(&w, NULL, 0);
    tn__hu_xhtml_escape_w(&w, in);
    if ((rc = tn__buf_w_reserve(&w, b, w.n)) != 0) return rc;
    tn__hu_xhtml_escape_w(&w, in);
    tn_buf_commit(b, w.n);
    return TN_OK;
}

TN__PRIVATE void tn__hu_json_escape_w(tn__buf_w *w, tn_str in) {
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
            esc[4] = tn__hu_hex_lower[c >> 4];
            esc[5] = tn__hu_hex_lower[c & 15];
            rep = esc;
            replen = 6;
        } else if (c == 0xE2 && i + 2 < in.len && s[i + 1] == 0x80 &&
                   (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) {
            rep = s[i + 2] == 0xA8 ? "\\u2028" : "\\u2029";
            replen = 6;
            tn__buf_w_put(w, in.ptr + i - run, run);
            run = 0;
            tn__buf_w_put(w, rep, replen);
            i += 2;
            continue;
        }
        if (!rep) {
            run++;
            continue;
        }
        tn__buf_w_put(w, in.ptr + i - run, run);
        run = 0;
        tn__buf_w_put(w, rep, replen);
    }
    tn__buf_w_put(w, in.ptr + in.len - run, run);
}

TN_API int tn_json_escape(tn_str in, char *out, size_t cap, size_t *out_len) {
    tn__buf_w w;
    tn__buf_w_init(&w, out, cap);
    tn__hu_json_escape_w(&w, in);
    return tn__buf_w_end(&w, out_len);
}

TN_API int tn_json_escape_buf(tn_buf *b, tn_str in) {
    tn__buf_w w;
    int rc;
    tn__buf_w_init(&w, NULL, 0);
    tn__hu_json_escape_w(&w, in);
    if ((rc = tn__buf_w_reserve(&w, b, w.n)) != 0) return rc;
    tn__hu_json_escape_w(&w, in);
    tn_buf_commit(b, w.n);
    return TN_OK;
}
