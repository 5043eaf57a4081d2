/* web_args.c: the web layer's request side: data slot, arguments (query, form, multipart), files, cookies in, URLs. */
#include "web.h"
#include "internal.h"
#include "web_internal.h"
#include "url.h"

#if TN_HAS_WEB

/* ---- request helpers ---- */
TN_API void tn_web_set_data(tn_request *req, void *data) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (c) c->data = data;
}
TN_API void *tn_web_get_data(const tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    return c ? c->data : NULL;
}
TN_API void tn_web_on_close(tn_request *req, tn_request_cb cb, void *user) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c) return;
    c->close_cb = cb;
    c->close_user = user;
}
TN_API tn_app *tn_web_app(const tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    return c ? c->app : NULL;
}

TN_API int tn_web_path_arg(tn_request *req, const char *name, tn_str *value) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str raw;
    char *d;
    size_t n = 0;
    *value = tn_str_make(NULL, 0);
    if (!c || !name) return TN_EINVAL;
    if (!tn_route_match_get(&c->m, name, &raw)) return TN_ENOENT;
    if (!(d = tn__web_scratch(c, raw.len + 1))) return TN_ENOMEM;
    (void)tn_url_unescape(raw, 0, d, raw.len + 1, &n);
    d[n] = 0;
    *value = tn_str_make(d, n);
    return TN_OK;
}

/* Tornado's argument cleaning: control bytes other than \t \n \r become spaces, then
   surrounding whitespace goes. Works in place on scratch memory. */
TN__PRIVATE tn_str tn__web_clean(char *p, size_t n) {
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r' && ch != 0x0b && ch != 0x0c) p[i] = ' ';
    }
    while (n > 0 && (p[0] == ' ' || (p[0] >= '\t' && p[0] <= '\r') || (p[0] >= 0x1c && p[0] <= 0x1f))) {
        p++;
        n--;
    }
    while (n > 0 && (p[n - 1] == ' ' || (p[n - 1] >= '\t' && p[n - 1] <= '\r') || (p[n - 1] >= 0x1c && p[n - 1] <= 0x1f)))
        n--;
    return tn_str_make(p, n);
}

TN__PRIVATE int tn__web_add_arg(tn__web_ctx *c, tn_str name, tn_str value, int body) {
    if (tn__grow(c->app->a, (void **)&c->args, &c->args_cap, c->nargs + 1, sizeof *c->args) != 0) return TN_ENOMEM;
    c->args[c->nargs].name = name;
    c->args[c->nargs].value = value;
    c->args[c->nargs].body = body;
    c->nargs++;
    return TN_OK;
}

/* Decode "k=v&..." (copied into scratch, decoded in place) into arguments. */
TN__PRIVATE int tn__web_parse_qs(tn__web_ctx *c, tn_str qs, int body) {
    tn_query_iter it;
    tn_str k, v, copy;
    int rc;
    if (qs.len == 0) return TN_OK;
    copy = tn__web_copy(c, qs.ptr, qs.len);
    if (!copy.ptr) return TN_ENOMEM;
    tn_query_iter_init(&it, copy, 0);
    while ((rc = tn_query_next_decoded(&it, NULL, 0, &k, &v)) != 0) {
        if (rc < 0) {
            if (rc == TN_ELIMIT) break;
            continue;
        }
        if (tn__web_add_arg(c, k, tn__web_clean((char *)(uintptr_t)v.ptr, v.len), body) != 0) return TN_ENOMEM;
    }
    return TN_OK;
}

typedef struct tn__web_mp {
    tn__web_ctx *c;
    tn_str name, filename, ctype;
    const char *data;
    size_t len;
    int keep, is_file;
} tn__web_mp;

TN__PRIVATE int tn__web_mp_cb(int event, const tn_multipart_part *part, tn_str data, void *user) {
    tn__web_mp *s = (tn__web_mp *)user;
    tn__web_ctx *c = s->c;
    if (event == TN_MULTIPART_PART_BEGIN) {
        s->keep = tn_str_ieq(part->disposition, tn_str_c("form-data")) && part->name.len > 0;
        s->is_file = part->filename.len > 0;
        s->data = NULL;
        s->len = 0;
        if (!s->keep) return 0;
        s->name = tn__web_copy(c, part->name.ptr, part->name.len);
        s->filename = tn__web_copy(c, part->filename.ptr, part->filename.len);
        s->ctype = part->content_type.len ? tn__web_copy(c, part->content_type.ptr, part->content_type.len)
                                          : tn_str_c("application/unknown");
        if (!s->name.ptr || !s->filename.ptr || !s->ctype.ptr) return TN_ENOMEM;
    } else if (event == TN_MULTIPART_PART_DATA) {
        if (!s->keep) return 0;
        if (!s->data) {
            s->data = data.ptr;
            s->len = data.len;
        } else if (data.ptr == s->data + s->len) {
            s->len += data.len;   /* one feed of a whole body: the pieces are contiguous */
        } else {
            char *d = tn__web_scratch(c, s->len + data.len);
            if (!d) return TN_ENOMEM;
            memcpy(d, s->data, s->len);
            memcpy(d + s->len, data.ptr, data.len);
            s->data = d;
            s->len += data.len;
        }
    } else if (event == TN_MULTIPART_PART_END) {
        if (!s->keep) return 0;
        if (s->is_file) {
            tn_web_file *f;
            if (tn__grow(c->app->a, (void **)&c->files, &c->files_cap, c->nfiles + 1, sizeof *c->files) != 0)
                return TN_ENOMEM;
            f = &c->files[c->nfiles++];
            f->name = s->name;
            f->filename = s->filename;
            f->content_type = s->ctype;
            f->body = tn_str_make(s->data ? s->data : "", s->len);
        } else {
            tn_str v = tn__web_copy(c, s->data ? s->data : "", s->len);
            if (!v.ptr) return TN_ENOMEM;
            if (tn__web_add_arg(c, s->name, tn__web_clean((char *)(uintptr_t)v.ptr, v.len), 1) != 0) return TN_ENOMEM;
        }
    }
    return 0;
}

TN__PRIVATE int tn__web_starts_with_i(tn_str s, const char *prefix) {
    size_t n = strlen(prefix);
    return s.len >= n && tn_str_ieq(tn_str_make(s.ptr, n), tn_str_make(prefix, n));
}

/* Parse query and body arguments once. Malformed bodies are ignored, as Tornado does
   (what parsed before the error is kept). */
TN__PRIVATE int tn__web_parse_args(tn__web_ctx *c) {
    tn_str ct, body, enc;
    if (c->args_parsed) return TN_OK;
    c->args_parsed = 1;
    if (tn__web_parse_qs(c, tn_request_query(c->req), 0) != 0) return TN_ENOMEM;
    body = tn_request_body(c->req);
    if (body.len == 0 || tn_request_header(c->req, "Content-Type", &ct) != TN_OK) return TN_OK;
    if (tn_request_header(c->req, "Content-Encoding", &enc) == TN_OK) return TN_OK;   /* Tornado: unsupported */
    if (tn__web_starts_with_i(ct, "application/x-www-form-urlencoded")) {
        return tn__web_parse_qs(c, body, 1);
    } else if (tn__web_starts_with_i(ct, "multipart/form-data")) {
        tn_multipart *mp;
        tn__web_mp st;
        tn_str boundary;
        char *bbuf = tn__web_scratch(c, ct.len + 1);
        int rc;
        if (!bbuf) return TN_ENOMEM;
        if (tn_multipart_boundary(ct, bbuf, ct.len + 1, &boundary) != TN_OK) return TN_OK;
        if (!c->app->mp && !(c->app->mp = (tn_multipart *)tn__alloc(c->app->a, sizeof *mp))) return TN_ENOMEM;
        mp = c->app->mp;
        memset(&st, 0, sizeof st);
        st.c = c;
        rc = tn_multipart_init(mp, boundary, NULL, tn__web_mp_cb, &st);
        if (rc == TN_OK) rc = tn_multipart_feed(mp, body.ptr, body.len);
        if (rc == TN_OK) rc = tn_multipart_finish(mp);
        if (rc == TN_ENOMEM) return rc;
    }
    return TN_OK;
}

/* which: 1 query, 2 body, 3 both. */
TN__PRIVATE size_t tn__web_args(tn_request *req, const char *name, int which, tn_str *out, size_t cap) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    size_t i, n = 0;
    tn_str nm = tn_str_c(name);
    if (!c || !name) return 0;
    (void)tn__web_parse_args(c);
    for (i = 0; i < c->nargs; i++) {
        if (!(which & (c->args[i].body ? 2 : 1)) || !tn_str_eq(c->args[i].name, nm)) continue;
        if (n < cap) out[n] = c->args[i].value;
        n++;
    }
    return n;
}

/* The last value (Tornado: args[-1]). */
TN__PRIVATE int tn__web_arg_last(tn_request *req, const char *name, int which, tn_str *value) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    size_t i;
    tn_str nm = tn_str_c(name);
    *value = tn_str_make("", 0);
    if (!c || !name) return TN_EINVAL;
    (void)tn__web_parse_args(c);
    for (i = c->nargs; i-- > 0;) {
        if ((which & (c->args[i].body ? 2 : 1)) && tn_str_eq(c->args[i].name, nm)) {
            *value = c->args[i].value;
            return TN_OK;
        }
    }
    return TN_ENOENT;
}

TN_API int tn_web_get_argument(tn_request *req, const char *name, tn_str *value) {
    return tn__web_arg_last(req, name, 3, value);
}
TN_API int tn_web_get_query_argument(tn_request *req, const char *name, tn_str *value) {
    return tn__web_arg_last(req, name, 1, value);
}
TN_API int tn_web_get_body_argument(tn_request *req, const char *name, tn_str *value) {
    return tn__web_arg_last(req, name, 2, value);
}
TN_API tn_str tn_web_get_argument_or(tn_request *req, const char *name, const char *def) {
    tn_str v;
    if (tn__web_arg_last(req, name, 3, &v) == TN_OK) return v;
    return tn_str_c(def ? def : "");
}
TN_API int tn_web_require_argument(tn_request *req, const char *name, tn_str *value) {
    int rc = tn__web_arg_last(req, name, 3, value);
    tn__web_ctx *c;
    if (rc == TN_ENOENT && (c = tn__web_ctx_of(req)) != NULL) {
        (void)tn__web_error(c, 400, NULL, NULL, NULL);
    }
    return rc;
}
TN_API size_t tn_web_get_arguments(tn_request *req, const char *name, tn_str *out, size_t cap) {
    return tn__web_args(req, name, 3, out, cap);
}

TN_API const tn_web_file *tn_web_get_files(tn_request *req, size_t *n) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (n) *n = 0;
    if (!c) return NULL;
    (void)tn__web_parse_args(c);
    if (n) *n = c->nfiles;
    return c->files;
}

TN_API const tn_web_file *tn_web_get_file(tn_request *req, const char *name) {
    size_t i, n;
    const tn_web_file *f = tn_web_get_files(req, &n);
    for (i = 0; i < n; i++)
        if (tn_str_eq_c(f[i].name, name)) return &f[i];
    return NULL;
}

TN_API int tn_web_get_cookie(tn_request *req, const char *name, tn_str *value) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str hdr;
    tn_cookie ck;
    *value = tn_str_make("", 0);
    if (!c || !name) return TN_EINVAL;
    if (tn_request_header(req, "Cookie", &hdr) != TN_OK) return TN_ENOENT;
    if (!tn_cookie_get(hdr, tn_str_c(name), &ck)) return TN_ENOENT;
    if (ck.quoted) {
        size_t n = 0;
        char *d = tn__web_scratch(c, ck.value.len + 1);
        if (!d) return TN_ENOMEM;
        (void)tn_cookie_unquote(ck.value, d, ck.value.len + 1, &n);
        *value = tn_str_make(d, n);
    } else {
        *value = ck.value;
    }
    return TN_OK;
}

TN_API int tn_web_get_secure_cookie(tn_request *req, const char *name, double max_age_days, tn_str *value) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str raw;
    size_t cap, n = 0;
    char *d;
    int rc;
    *value = tn_str_make("", 0);
    if (!c || !name || !c->app->secret) return TN_EINVAL;
    if ((rc = tn_web_get_cookie(req, name, &raw)) != TN_OK) return rc;
    cap = tn_base64_decoded_max(raw.len) + 1;
    if (!(d = tn__web_scratch(c, cap))) return TN_ENOMEM;
    rc = tn_signed_value_decode(tn_str_c(c->app->secret), tn_str_c(name), raw, (int64_t)time(NULL), max_age_days, d,
                                cap, &n);
    if (rc == TN_EPARSE && !(raw.len > 1 && raw.ptr[0] >= '1' && raw.ptr[0] <= '9' && raw.ptr[1] == '|'))
        /* no version prefix: a version 1 value, which Tornado still reads by default */
        rc = tn_signed_value_decode_v1(tn_str_c(c->app->secret), tn_str_c(name), raw, (int64_t)time(NULL),
                                       max_age_days, d, cap, &n);
    if (rc != TN_OK) return rc;
    d[n] = 0;
    *value = tn_str_make(d, n);
    return TN_OK;
}

TN_API tn_str tn_web_full_url(tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str host, target = tn_request_target(req);
    const char *proto = tn_request_protocol(req);
    size_t pl = strlen(proto), n;
    char *d;
    if (!c) return tn_str_make("", 0);
    if (tn_request_header(req, "Host", &host) != TN_OK || host.len == 0) host = tn_str_c("127.0.0.1");   /* Tornado */
    n = pl + 3 + host.len + target.len;
    if (!(d = tn__web_scratch(c, n + 1))) return tn_str_make("", 0);
    memcpy(d, proto, pl);
    memcpy(d + pl, "://", 3);
    if (host.len) memcpy(d + pl + 3, host.ptr, host.len);
    if (target.len) memcpy(d + pl + 3 + host.len, target.ptr, target.len);
    d[n] = 0;
    return tn_str_make(d, n);
}

#endif /* TN_HAS_WEB */
