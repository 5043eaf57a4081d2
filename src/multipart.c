/* multipart.c: the multipart/form-data push parser. */
#include "multipart.h"
#include "internal.h"
#include "http_parse.h"

/* States. The body is scanned for the delimiter "\r\n--boundary"; the parser starts as
   if a CRLF preceded the body, so a body that opens with "--boundary" matches at once. */
enum {
    TN__MP_PREAMBLE = 0,  /* before the first delimiter: bytes are discarded */
    TN__MP_BODY,          /* inside a part: bytes are delivered */
    TN__MP_AFTER,         /* just after a delimiter: "--", padding or CRLF */
    TN__MP_DASH2,         /* after "--boundary-": expect the second '-' */
    TN__MP_PAD,           /* transport padding (SP / HTAB) before CRLF */
    TN__MP_LF,            /* after CR: expect LF */
    TN__MP_HEADERS,       /* buffering a part's header block */
    TN__MP_DONE,          /* after the close delimiter: epilogue, ignored */
    TN__MP_ERROR
};

TN__PRIVATE int tn__mp_call(tn_multipart *mp, int ev, const tn_multipart_part *part,
                            const char *p, size_t n) {
    int r;
    if (ev == TN_MULTIPART_PART_DATA && n == 0) return TN_OK;
    r = mp->_cb(ev, part, tn_str_make(p, n), mp->_user);
    if (r > 0) r = TN_ECANCELED;
    return r;
}

TN_API int tn_multipart_boundary(tn_str content_type, char *buf, size_t cap, tn_str *boundary) {
    tn_str mt = tn_header_value(content_type, NULL);
    int rc;
    if (!boundary) return TN_EINVAL;
    if (!tn_str_ieq(mt, tn_str_c("multipart/form-data"))) return TN_ENOTSUP;
    rc = tn_header_param(content_type, "boundary", buf, cap, boundary);
    if (rc == TN_ENOENT || rc == TN_EPARSE || (rc == TN_OK && boundary->len == 0))
        return TN_EBAD_MULTIPART;
    return rc;
}

TN_API int tn_multipart_init(tn_multipart *mp, tn_str boundary, const tn_multipart_opts *opts,
                             tn_multipart_cb cb, void *user) {
    size_t i;
    if (!mp || !cb) return TN_EINVAL;
    memset(mp, 0, sizeof *mp);
    mp->_state = TN__MP_ERROR;
    mp->_err = TN_EBAD_MULTIPART;
    if (boundary.len == 0 || boundary.len > TN_MULTIPART_MAX_BOUNDARY) return TN_EBAD_MULTIPART;
    for (i = 0; i < boundary.len; i++) {
        unsigned char c = (unsigned char)boundary.ptr[i];
        if (c < 0x20 || c >= 0x7f) return TN_EBAD_MULTIPART;
    }
    mp->_cb = cb;
    mp->_user = user;
    memcpy(mp->_delim, "\r\n--", 4);
    memcpy(mp->_delim + 4, boundary.ptr, boundary.len);
    mp->_dlen = 4 + boundary.len;
    mp->_max_header = TORNADO_MULTIPART_MAX_HEADER_BYTES;
    mp->_max_parts = TORNADO_MULTIPART_MAX_PARTS;
    if (opts && opts->max_header_bytes && opts->max_header_bytes < mp->_max_header)
        mp->_max_header = opts->max_header_bytes;
    if (opts && opts->max_parts) mp->_max_parts = opts->max_parts;
    mp->_state = TN__MP_PREAMBLE;
    mp->_err = TN_OK;
    mp->_match = 2;   /* the virtual CRLF before the body */
    return TN_OK;
}

/* A complete delimiter was just consumed. */
TN__PRIVATE int tn__mp_delimiter(tn_multipart *mp) {
    int was_body = mp->_state == TN__MP_BODY;
    mp->_state = TN__MP_AFTER;
    if (was_body) return tn__mp_call(mp, TN_MULTIPART_PART_END, &mp->_part, NULL, 0);
    return TN_OK;
}

/* Scan p[0..n) for the delimiter in PREAMBLE or BODY state; *used gets the bytes consumed.
   Only delim[0] is '\r' (the boundary has no control bytes), so after a failed partial
   match no suffix of the matched bytes can start a delimiter: scanning resumes at the
   byte that failed. */
TN__PRIVATE int tn__mp_scan(tn_multipart *mp, const char *p, size_t n, size_t *used) {
    const char *d = mp->_delim;
    size_t D = mp->_dlen, i = 0, ds = 0;
    int emit = mp->_state == TN__MP_BODY, rc;
    if (mp->_match) {
        size_t j = mp->_match;
        while (j < D && i < n && p[i] == d[j]) {
            i++;
            j++;
        }
        if (j == D) {
            mp->_match = 0;
            *used = i;
            return tn__mp_delimiter(mp);
        }
        if (i == n) {
            mp->_match = j;
            *used = n;
            return TN_OK;
        }
        /* the held bytes were content after all: deliver them from our delimiter copy */
        if (emit && (rc = tn__mp_call(mp, TN_MULTIPART_PART_DATA, &mp->_part, d, mp->_match)) != 0)
            return rc;
        mp->_match = 0;
    }
    for (;;) {
        const char *r = i < n ? (const char *)memchr(p + i, '\r', n - i) : NULL;
        size_t ri, k = 0;
        if (!r) {
            *used = n;
            return emit ? tn__mp_call(mp, TN_MULTIPART_PART_DATA, &mp->_part, p + ds, n - ds) : TN_OK;
        }
        ri = (size_t)(r - p);
        while (k < D && ri + k < n && p[ri + k] == d[k]) k++;
        if (k == D || ri + k == n) {
            if (emit && (rc = tn__mp_call(mp, TN_MULTIPART_PART_DATA, &mp->_part, p + ds, ri - ds)) != 0)
                return rc;
            if (k == D) {
                *used = ri + D;
                return tn__mp_delimiter(mp);
            }
            mp->_match = k;   /* a possible delimiter runs off the end of this slice */
            *used = n;
            return TN_OK;
        }
        i = ri + 1;
    }
}

/* Parse the buffered header block (mp->_hdr[0..len), every line ending in CRLF) into
   mp->_part. */
TN__PRIVATE int tn__mp_parse_headers(tn_multipart *mp, size_t len) {
    const char *h = mp->_hdr;
    size_t pos = 0, dec_used = 0;
    int have_cd = 0, have_ct = 0, rc;
    tn_multipart_part *pt = &mp->_part;
    memset(pt, 0, sizeof *pt);
    pt->headers = tn_str_make(h, len);
    pt->index = (unsigned)mp->_parts;
    pt->name = pt->filename = pt->content_type = pt->disposition = tn_str_make(h, 0);
    while (pos < len) {
        size_t ls = pos, le, k;
        tn_str name, value;
        const char *lf = (const char *)memchr(h + pos, '\n', len - pos);
        if (!lf) return TN_EBAD_MULTIPART;
        le = (size_t)(lf - h);
        if (le == ls || h[le - 1] != '\r') return TN_EBAD_MULTIPART;   /* bare LF */
        pos = le + 1;
        le--;   /* drop CR */
        for (k = ls; k < le && tn__http_is_tchar((unsigned char)h[k]); k++) {}
        if (k == ls || k >= le || h[k] != ':') return TN_EBAD_MULTIPART;   /* incl. folding */
        name = tn_str_make(h + ls, k - ls);
        value = tn_str_make(h + k + 1, le - k - 1);
        for (k = 0; k < value.len; k++) {
            unsigned char c = (unsigned char)value.ptr[k];
            if ((c < 0x20 && c != '\t') || c == 0x7f) return TN_EBAD_MULTIPART;
        }
        while (value.len && (value.ptr[0] == ' ' || value.ptr[0] == '\t')) {
            value.ptr++;
            value.len--;
        }
        while (value.len && (value.ptr[value.len - 1] == ' ' || value.ptr[value.len - 1] == '\t'))
            value.len--;
        if (!have_cd && tn_str_ieq(name, tn_str_c("Content-Disposition"))) {
            tn_str v;
            have_cd = 1;
            pt->disposition = tn_header_value(value, NULL);
            rc = tn_header_param(value, "name", mp->_dec + dec_used, sizeof mp->_dec - dec_used, &v);
            if (rc == TN_OK) {
                pt->name = v;
                pt->flags |= TN_MULTIPART_HAS_NAME;
                if (v.ptr == mp->_dec + dec_used) dec_used += v.len;   /* decoded into _dec */
            } else if (rc != TN_ENOENT) {
                return TN_EBAD_MULTIPART;
            }
            rc = tn_header_param(value, "filename", mp->_dec + dec_used, sizeof mp->_dec - dec_used, &v);
            if (rc == TN_OK) {
                pt->filename = v;
                pt->flags |= TN_MULTIPART_HAS_FILENAME;
            } else if (rc != TN_ENOENT) {
                return TN_EBAD_MULTIPART;
            }
        } else if (!have_ct && tn_str_ieq(name, tn_str_c("Content-Type"))) {
            have_ct = 1;
            pt->content_type = value;
        }
    }
    return TN_OK;
}

TN_API int tn_multipart_feed(tn_multipart *mp, const char *data, size_t len) {
    size_t i = 0, used;
    int rc = TN_OK;
    if (!mp) return TN_EINVAL;
    if (mp->_err) return mp->_err;
    if (len && !data) return TN_EINVAL;
    while (i < len && rc == TN_OK) {
        char c;
        switch (mp->_state) {
        case TN__MP_PREAMBLE:
        case TN__MP_BODY:
            used = 0;
            rc = tn__mp_scan(mp, data + i, len - i, &used);
            i += used;
            break;
        case TN__MP_AFTER:
            c = data[i++];
            if (c == '-') mp->_state = TN__MP_DASH2;
            else if (c == ' ' || c == '\t') mp->_state = TN__MP_PAD;
            else if (c == '\r') mp->_state = TN__MP_LF;
            else rc = TN_EBAD_MULTIPART;
            break;
        case TN__MP_DASH2:
            if (data[i++] != '-') {
                rc = TN_EBAD_MULTIPART;
                break;
            }
            mp->_state = TN__MP_DONE;
            rc = tn__mp_call(mp, TN_MULTIPART_DONE, NULL, NULL, 0);
            break;
        case TN__MP_PAD:
            c = data[i++];
            if (c == '\r') mp->_state = TN__MP_LF;
            else if (c != ' ' && c != '\t') rc = TN_EBAD_MULTIPART;
            break;
        case TN__MP_LF:
            if (data[i++] != '\n') {
                rc = TN_EBAD_MULTIPART;
                break;
            }
            if (mp->_parts >= mp->_max_parts) {
                rc = TN_ELIMIT;
                break;
            }
            mp->_hlen = 0;
            mp->_state = TN__MP_HEADERS;
            break;
        case TN__MP_HEADERS: {
            /* copy up to the end of the header block (a blank line) */
            size_t h;
            while (i < len) {
                if (mp->_hlen >= mp->_max_header) {
                    rc = TN_EHEADER_TOO_LARGE;
                    break;
                }
                c = data[i++];
                mp->_hdr[mp->_hlen++] = c;
                if (c != '\n') continue;
                h = mp->_hlen;
                if ((h == 2 && mp->_hdr[0] == '\r') ||
                    (h >= 4 && memcmp(mp->_hdr + h - 4, "\r\n\r\n", 4) == 0)) {
                    rc = tn__mp_parse_headers(mp, h - 2);
                    if (rc) break;
                    mp->_parts++;
                    mp->_state = TN__MP_BODY;
                    mp->_match = 0;
                    rc = tn__mp_call(mp, TN_MULTIPART_PART_BEGIN, &mp->_part, NULL, 0);
                    break;
                }
            }
            break;
        }
        case TN__MP_DONE:
            return TN_OK;
        default:
            rc = TN_EBAD_MULTIPART;
            break;
        }
    }
    if (rc) {
        mp->_err = rc;
        mp->_state = TN__MP_ERROR;
    }
    return rc;
}

TN_API int tn_multipart_finish(tn_multipart *mp) {
    if (!mp) return TN_EINVAL;
    if (mp->_err) return mp->_err;
    if (mp->_state == TN__MP_DONE) return TN_OK;
    mp->_err = TN_EBAD_MULTIPART;
    mp->_state = TN__MP_ERROR;
    return TN_EBAD_MULTIPART;
}
