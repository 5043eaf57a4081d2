/* static.c: static files: safe path resolution, conditional GET, ranges, streaming, sendfile. */
#include "static.h"
#include "http_util.h"
#include "crypto.h"
#include "internal.h"
#include "url.h"
#include "deflate.h"

#if TN_HAS_WEB && TN_HAS_HTTP_SERVER

#define TN__ST_CHUNK 65536u        /* Tornado's static read chunk */
#define TN__ST_PATH_MAX 4096u      /* longest decoded relative path (longer: 404) */
#define TN__ST_ETAG_MAX 96u

/* ---- MIME types ---- */
/* The strings inside the entries (no pointers): the table is one data section a program
   without static files does not link (string literals would land in the shared string
   section, kept whenever any of its strings is used). */
typedef struct tn__st_mime { char ext[12]; char type[31]; } tn__st_mime;

static const tn__st_mime tn__st_mimes[] = {
    {"html", "text/html; charset=utf-8"}, {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"}, {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"}, {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"}, {"csv", "text/csv; charset=utf-8"},
    {"xml", "text/xml; charset=utf-8"}, {"json", "application/json"},
    {"map", "application/json"}, {"webmanifest", "application/manifest+json"},
    {"wasm", "application/wasm"}, {"pdf", "application/pdf"}, {"zip", "application/zip"},
    {"gz", "application/gzip"}, {"tgz", "application/gzip"}, {"bz2", "application/x-bzip2"},
    {"xz", "application/x-xz"}, {"tar", "application/x-tar"}, {"png", "image/png"},
    {"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"}, {"gif", "image/gif"}, {"webp", "image/webp"},
    {"avif", "image/avif"}, {"svg", "image/svg+xml"}, {"ico", "image/vnd.microsoft.icon"},
    {"bmp", "image/bmp"}, {"woff", "font/woff"}, {"woff2", "font/woff2"}, {"ttf", "font/ttf"},
    {"otf", "font/otf"}, {"mp3", "audio/mpeg"}, {"ogg", "audio/ogg"}, {"wav", "audio/wav"},
    {"mp4", "video/mp4"}, {"webm", "video/webm"},
};

TN_API const char *tn_static_mime_type(tn_str path) {
    size_t i = path.len, k;
    tn_str ext;
    while (i > 0 && path.ptr[i - 1] != '.' && path.ptr[i - 1] != '/') i--;
    if (i == 0 || path.ptr[i - 1] != '.') return "application/octet-stream";
    ext = tn_str_make(path.ptr + i, path.len - i);
    for (k = 0; k < sizeof tn__st_mimes / sizeof tn__st_mimes[0]; k++)
        if (tn_str_ieq(ext, tn_str_c(tn__st_mimes[k].ext))) return tn__st_mimes[k].type;
    return "application/octet-stream";
}

/* ---- what is served: a file or memory, and its validators ---- */
typedef struct tn__st_entity {
    tn__file file;                 /* TN__FILE_NONE for memory; owned: closed when done */
    const unsigned char *mem;
    uint64_t size;
    int64_t mtime;                 /* Unix seconds */
    int has_mtime;
    char etag[TN__ST_ETAG_MAX];    /* quoted */
    const char *ctype;
    int gzip;                      /* the bytes are gzip: sent with Content-Encoding: gzip */
    int inflate;                   /* gzip bytes (mem) to inflate for the client; size is
                                      the plain size, zsize the gzip bytes' */
    uint64_t zsize;
    int vary;                      /* another encoding exists: Vary: Accept-Encoding */
} tn__st_entity;

/* A transfer in progress: one piece in flight, the next sent from its completion. */
typedef struct tn__st_send {
    tn_request *req;
    tn_allocator *a;
    tn__file file;                 /* TN__FILE_NONE for memory; owned */
    const unsigned char *mem;
    uint64_t off, left;
    int use_sendfile;
    char *buf;                     /* TN__ST_CHUNK bytes (file read path, inflated assets) */
#if TN_HAS_DEFLATE
    tn_inflater *inf;              /* inflating a gzip asset: mem[zoff..zoff+zleft) still to read */
    uint64_t zoff, zleft;
#endif
    tn_request_cb prev_close;      /* the close callback set before ours (chained) */
    void *prev_close_user;
} tn__st_send;

TN__PRIVATE tn_allocator *tn__st_alloc(tn_request *req) { return tn__loop_alloc(tn_http_server_loop(tn_request_server(req))); }

/* Close *f once (it becomes TN__FILE_NONE). */
TN__PRIVATE void tn__st_close_file(tn__file *f) {
#if TN_HAS_FILESYSTEM
    tn__file_close(*f);
#endif
    *f = TN__FILE_NONE;
}

TN__PRIVATE void tn__st_free(tn__st_send *st) {
    tn__st_close_file(&st->file);
#if TN_HAS_DEFLATE
    tn_inflater_free(st->inf);
#endif
    tn__free(st->a, st->buf);
    tn__free(st->a, st);
}

/* The connection went away mid-transfer (the server releases the request after this).
   A close callback the caller had set runs too. */
TN__PRIVATE void tn__st_on_close(tn_request *req, void *user) {
    tn__st_send *st = (tn__st_send *)user;
    tn_request_cb prev = st->prev_close;
    void *prev_user = st->prev_close_user;
    tn__st_free(st);
    if (prev) prev(req, prev_user);
}

TN__PRIVATE void tn__st_pump(tn__st_send *st);

TN__PRIVATE void tn__st_on_written(tn_request *req, int status, void *user) {
    (void)req;
    if (status != TN_OK) return;   /* closing: tn__st_on_close frees the transfer */
    tn__st_pump((tn__st_send *)user);
}

/* Send the next piece, or finish. Failures end the connection (the Content-Length sent
   cannot be honoured); the close callback then frees the transfer. */
TN__PRIVATE void tn__st_pump(tn__st_send *st) {
    tn_request *req = st->req;
    uint64_t n;
    int rc;
    if (st->left == 0) {
        tn_request_set_close_cb(req, st->prev_close, st->prev_close_user);
        (void)tn_response_finish(req);
        tn__st_free(st);
        return;
    }
    n = TN__MIN(st->left, (uint64_t)TN__ST_CHUNK);
#if TN_HAS_DEFLATE
    if (st->inf) {
        size_t used = 0, made = 0;
        if (!st->buf && !(st->buf = (char *)tn__alloc(st->a, TN__ST_CHUNK))) {
            rc = TN_ENOMEM;
        } else {
            int zr = tn_inflate(st->inf, st->mem + st->zoff, (size_t)st->zleft, &used, st->buf, (size_t)n, &made);
            st->zoff += used;
            st->zleft -= used;
            n = made;
            /* a bad table entry (corrupt data, a wrong plain_len) ends the connection */
            rc = zr < 0 || made == 0 ? TN_EBAD_DEFLATE : tn_response_write(req, st->buf, made, tn__st_on_written, st);
        }
    } else
#endif
    if (st->mem) {
        rc = tn_response_write(req, st->mem + st->off, (size_t)n, tn__st_on_written, st);
    } else {
#if TN_HAS_FILESYSTEM
        rc = TN_ENOTSUP;
#if TN__HAVE_SENDFILE
        if (st->use_sendfile) {
            rc = tn__response_sendfile(req, st->file, (int64_t)st->off, st->left, tn__st_on_written, st);
            if (rc == TN_OK) n = st->left;
            else if (rc == TN_ENOTSUP) st->use_sendfile = 0;
        }
#endif
        if (rc == TN_ENOTSUP) {
            long r;
            if (!st->buf && !(st->buf = (char *)tn__alloc(st->a, TN__ST_CHUNK))) {
                rc = TN_ENOMEM;
            } else {
                r = tn__file_pread(st->file, st->buf, (size_t)n, st->off);
                if (r > 0) {
                    n = (uint64_t)r;
                    rc = tn_response_write(req, st->buf, (size_t)n, tn__st_on_written, st);
                } else {
                    rc = TN_ESYS;   /* read error, or the file shrank under us */
                }
            }
        }
#else
        rc = TN_EINVAL;
#endif
    }
    if (rc == TN_ECLOSED) {
        tn__st_free(st);   /* the client is gone and the request released: no close callback follows */
        return;
    }
    if (rc != TN_OK) {
        /* finishing short of the Content-Length aborts the connection; tn__st_on_close then
           frees the transfer (the connection is still there) */
        (void)tn_response_finish(req);
        return;
    }
    st->off += n;
    st->left -= n;
}

/* ---- request helpers ---- */

/* Calls fn on every header field named name (case-insensitive); stops when fn returns 1. */
TN__PRIVATE int tn__st_each_header(tn_request *req, const char *name, int (*fn)(tn_str v, const char *arg),
                                   const char *arg, int *found) {
    size_t n, i;
    const tn_http_header *h = tn_request_headers(req, &n);
    *found = 0;
    for (i = 0; i < n; i++) {
        if (!tn_str_ieq(h[i].name, tn_str_c(name))) continue;
        *found = 1;
        if (fn(h[i].value, arg)) return 1;
    }
    return 0;
}

TN__PRIVATE tn_str tn__st_trim(tn_str s) {
    while (s.len && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) s.ptr++, s.len--;
    while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t')) s.len--;
    return s;
}

/* If-None-Match value against our ETag (http_util's matcher: "*", or a weak match in the list). */
TN__PRIVATE int tn__st_inm_match(tn_str v, const char *etag) {
    return tn_http_etag_match(v, tn_str_c(etag), TN_ETAG_WEAK);
}

/* A "v" query argument with a value (Tornado's static_url versioning). */
TN__PRIVATE int tn__st_versioned(tn_request *req) {
    tn_query_iter it;
    tn_str k, v;
    tn_query_iter_init(&it, tn_request_query(req), 0);
    while (tn_query_next(&it, &k, &v) == 1)
        if (tn_str_eq_c(k, "v") && v.len > 0) return 1;
    return 0;
}

TN__PRIVATE int tn__st_error(tn_request *req, int status) {
    if (status == 405) (void)tn_response_set_header(req, "Allow", "GET, HEAD");
    return tn_respond_error(req, status, NULL);   /* the same page as the app's errors */
}

/* GET or HEAD (1 = HEAD); other methods get 405 from the caller. */
TN__PRIVATE int tn__st_method(tn_request *req, int *head) {
    tn_str m = tn_request_method(req);
    *head = tn_str_eq_c(m, "HEAD");
    return *head || tn_str_eq_c(m, "GET");
}

/* Percent-decode rel once and check it: no NUL, no backslash, not absolute, no ".."
   segment. Writes the normalised path ("a/b/c": no empty or "." segments, no leading or
   trailing '/') NUL-terminated to out; *want_dir says it ended with '/'. Returns 0, or
   403 / 404 for the caller to send. */
TN__PRIVATE int tn__st_clean(tn_str rel, char *out, size_t cap, size_t *out_len, int *want_dir) {
    size_t n = 0, i = 0, o = 0;
    if (rel.len >= cap) return 404;
    if (tn_url_unescape(rel, 0, out, cap - 1, &n) != TN_OK) return 404;
    if (memchr(out, 0, n) || memchr(out, '\\', n)) return 403;
    if (n > 0 && out[0] == '/') return 403;
    *want_dir = n > 0 && out[n - 1] == '/';
    while (i < n) {
        size_t j = i;
        while (j < n && out[j] != '/') j++;
        if (j - i == 2 && out[i] == '.' && out[i + 1] == '.') return 403;
        if (j > i && !(j - i == 1 && out[i] == '.')) {
            if (o > 0) out[o++] = '/';
            memmove(out + o, out + i, j - i);
            o += j - i;
        }
        i = j + 1;
    }
    out[o] = 0;
    *out_len = o;
    return 0;
}

/* ---- the response, common to files and assets ---- */

/* Headers, then 304 / 416 / 206 / 200, then the body (or just the head for HEAD).
   Takes ownership of e->file. */
TN__PRIVATE int tn__st_send_entity(tn_request *req, const tn_static_opts *opts, tn__st_entity *e, int head) {
    char date[TN_HTTP_DATE_LEN + 1], val[96];
    tn_str hv;
    int found = 0, status = 200, rc, not_modified = 0;
    int64_t max_age = opts ? opts->max_age : 0;
    uint64_t first = 0, len = e->size;
    int64_t length;
    tn__st_send *st;

    /* validators and caching go on every answer, 304 included (as Tornado) */
    rc = tn_response_set_header(req, "ETag", e->etag);
    if (rc == TN_OK && e->has_mtime && tn_http_date_format(e->mtime, date) == TN_OK)
        rc = tn_response_set_header(req, "Last-Modified", date);
    if (!(opts && opts->no_versioned_cache) && tn__st_versioned(req)) max_age = TN_STATIC_VERSIONED_MAX_AGE;
    if (rc == TN_OK && max_age > 0) {
        snprintf(val, sizeof val, "max-age=%lld", (long long)max_age);
        rc = tn_response_set_header(req, "Cache-Control", val);
        if (rc == TN_OK && tn_http_date_format((int64_t)time(NULL) + max_age, date) == TN_OK)
            rc = tn_response_set_header(req, "Expires", date);
    }
    if (rc != TN_OK) goto fail;

    /* conditional GET: If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2) */
    if (tn__st_each_header(req, "If-None-Match", tn__st_inm_match, e->etag, &found)) {
        not_modified = 1;
    } else if (!found && e->has_mtime && tn_request_header(req, "If-Modified-Since", &hv) == TN_OK) {
        int64_t since;
        not_modified = tn_http_date_parse(hv, &since) == TN_OK && e->mtime <= since;
    }
    if (not_modified) {
        tn__st_close_file(&e->file);
        return tn_respond(req, 304, NULL, NULL, 0);
    }

    if ((rc = tn_response_set_header(req, "Content-Type", e->ctype)) != TN_OK ||
        (!e->inflate && (rc = tn_response_set_header(req, "Accept-Ranges", "bytes")) != TN_OK))
        goto fail;
    if (e->gzip && (rc = tn_response_set_header(req, "Content-Encoding", "gzip")) != TN_OK) goto fail;
    if ((e->gzip || e->vary || e->inflate) && (rc = tn_response_add_header(req, "Vary", "Accept-Encoding")) != TN_OK)
        goto fail;

    /* one byte range → 206; several → the whole file; none satisfiable → 416. Not for an
       asset inflated on the fly (no random access into the gzip stream): 200 whole. */
    if (!e->inflate && tn_request_header(req, "Range", &hv) == TN_OK) {
        tn_range rg[TORNADO_MAX_RANGES];
        size_t count = 0;
        tn_str ir;
        int use = 1;
        if (tn_request_header(req, "If-Range", &ir) == TN_OK) {
            ir = tn__st_trim(ir);
            if (ir.len && (ir.ptr[0] == '"' || ir.ptr[0] == 'W')) {
                use = tn_str_eq(ir, tn_str_c(e->etag));   /* strong comparison */
            } else {
                int64_t t;
                use = e->has_mtime && tn_http_date_parse(ir, &t) == TN_OK && t == e->mtime;
            }
        }
        rc = use ? tn_range_parse(hv, e->size, rg, TORNADO_MAX_RANGES, &count) : TN_EPARSE;
        if (rc == TN_EBAD_RANGE) {
            tn__st_close_file(&e->file);
            (void)tn_content_range_format(NULL, e->size, val, sizeof val, NULL);
            if ((rc = tn_response_set_header(req, "Content-Range", val)) != TN_OK) return rc;
            return tn_respond(req, 416, NULL, NULL, 0);
        }
        if (rc == TN_OK && count == 1 && !(rg[0].first == 0 && rg[0].last + 1 == e->size)) {
            status = 206;
            first = rg[0].first;
            len = rg[0].last - rg[0].first + 1;
            (void)tn_content_range_format(&rg[0], e->size, val, sizeof val, NULL);
            if ((rc = tn_response_set_header(req, "Content-Range", val)) != TN_OK) goto fail;
        }
    }

    if (head || len == 0) {
        /* the head only: HEAD never reads the file (the server sends no body for HEAD) */
        tn__st_close_file(&e->file);
        if ((rc = tn_response_start(req, status, (int64_t)len)) != TN_OK) return rc;
        return tn_response_finish(req);
    }
    st = (tn__st_send *)tn__calloc(tn__st_alloc(req), sizeof *st);
    if (!st) {
        rc = TN_ENOMEM;
        goto fail;
    }
    st->req = req;
    st->a = tn__st_alloc(req);
    st->file = e->file;
    e->file = TN__FILE_NONE;   /* the transfer owns it now */
    st->mem = e->mem;
    st->off = first;
    st->left = len;
    st->use_sendfile = TN__HAVE_SENDFILE && st->file != TN__FILE_NONE && !(opts && opts->no_sendfile);
    length = (int64_t)len;
#if TN_HAS_DEFLATE
    if (e->inflate) {
        tn_inflate_opts io;
        memset(&io, 0, sizeof io);
        io.format = TN_DEFLATE_GZIP;
        io.max_output = e->size;   /* never more than the Content-Length promised */
        io.allocator = st->a;
        st->zoff = 0;
        st->zleft = e->zsize;
        if ((rc = tn_inflater_new(&io, &st->inf)) != TN_OK) {
            tn__st_free(st);
            goto fail;
        }
    } else if (status == 200 && tn__response_gzip_wanted(req, 200)) {
        /* the server's compress_response (Tornado compresses static files too): the length
           is unknown until the end, so the body is chunked and compressed piece by piece */
        length = -1;
    }
#endif
    if ((rc = tn_response_start(req, status, length)) != TN_OK) {
        tn__st_free(st);
        return rc;
    }
    tn_request_get_close_cb(req, &st->prev_close, &st->prev_close_user);
    tn_request_set_close_cb(req, tn__st_on_close, st);
    tn__st_pump(st);
    return TN_OK;
fail:
    /* out of memory or a bad asset ETag: the request still gets an answer */
    tn__st_close_file(&e->file);
    (void)tn_response_clear_header(req, "Content-Range");
    return tn__st_error(req, 500);
}

/* Answer a directory request that lacks its trailing slash: 301 to path + "/" (the query
   kept). A path starting with "//" would make a protocol-relative Location (an open
   redirect), so it gets 403 instead. */
TN__PRIVATE int tn__st_redirect_slash(tn_request *req) {
    tn_str path = tn_request_path(req), q = tn_request_query(req);
    char *loc;
    int rc;
    if (path.len >= 2 && path.ptr[0] == '/' && path.ptr[1] == '/') return tn__st_error(req, 403);
    loc = (char *)tn__alloc(tn__st_alloc(req), path.len + q.len + 3);
    if (!loc) return TN_ENOMEM;
    memcpy(loc, path.ptr, path.len);
    loc[path.len] = '/';
    if (q.len) {
        loc[path.len + 1] = '?';
        memcpy(loc + path.len + 2, q.ptr, q.len);
        loc[path.len + 2 + q.len] = 0;
    } else {
        loc[path.len + 1] = 0;
    }
    rc = tn_response_set_header(req, "Location", loc);
    tn__free(tn__st_alloc(req), loc);
    if (rc != TN_OK) return rc;
    return tn_respond(req, 301, NULL, NULL, 0);
}

TN__PRIVATE int tn__st_path_has_slash(tn_request *req) {
    tn_str p = tn_request_path(req);
    return p.len > 0 && p.ptr[p.len - 1] == '/';
}

/* ---- files ---- */
#if TN_HAS_FILESYSTEM

/* Open path (normalised by tn__st_clean) under the root: platform.c's tn__file_open_under
   (openat + O_NOFOLLOW on POSIX; CreateFileW + reparse-point and final-path checks on
   Windows). Returns 0 with *out and *fi set, or the status to answer. */
TN__PRIVATE int tn__st_open(const tn_static_opts *o, char *path, tn__file *out, tn__file_info *fi) {
    int rc = tn__file_open_under(o->root, path, o->follow_symlinks_out, out, fi);
    if (rc == TN_OK) return 0;
    return rc == TN_ENOENT ? 404 : rc == TN_EACCES ? 403 : 500;
}

TN_API int tn_static_serve(tn_request *req, const tn_static_opts *opts, tn_str rel_path) {
    char path[TN__ST_PATH_MAX];
    size_t plen = 0;
    int head, want_dir = 0, st_code;
    tn__file f = TN__FILE_NONE;
    tn__file_info fi;
    tn__st_entity e;
    const char *def;
    if (!req || !opts || !opts->root) return TN_EINVAL;
    if (!tn__st_method(req, &head)) return tn__st_error(req, 405);
    if ((st_code = tn__st_clean(rel_path, path, sizeof path, &plen, &want_dir)) != 0) return tn__st_error(req, st_code);
    if ((st_code = tn__st_open(opts, path, &f, &fi)) != 0) return tn__st_error(req, st_code);
    if (fi.kind == TN__FILE_DIR) {
        tn__st_close_file(&f);
        if (!tn__st_path_has_slash(req)) return tn__st_redirect_slash(req);
        def = opts->default_filename ? opts->default_filename : "index.html";
        if (!def[0] || strchr(def, '/') || plen + strlen(def) + 2 > sizeof path) return tn__st_error(req, 403);
        if (plen) path[plen++] = '/';
        memcpy(path + plen, def, strlen(def) + 1);
        plen += strlen(def);
        if ((st_code = tn__st_open(opts, path, &f, &fi)) != 0) return tn__st_error(req, st_code);
        want_dir = 0;
    }
    if (fi.kind != TN__FILE_REG || want_dir) {
        tn__st_close_file(&f);
        return tn__st_error(req, want_dir && fi.kind == TN__FILE_REG ? 404 : 403);
    }
    memset(&e, 0, sizeof e);
    if (opts->precompressed && !(plen >= 3 && tn_str_ieq(tn_str_make(path + plen - 3, 3), tn_str_c(".gz"))) &&
        plen + 4 <= sizeof path) {
        /* a "<file>.gz" sibling goes to clients that accept gzip (nginx's gzip_static) */
        tn__file gf = TN__FILE_NONE;
        tn__file_info gfi;
        memcpy(path + plen, ".gz", 4);
        if (tn__st_open(opts, path, &gf, &gfi) == 0) {
            if (gfi.kind == TN__FILE_REG) {
                e.vary = 1;
                if (tn_request_accepts_coding(req, "gzip")) {
                    tn__st_close_file(&f);
                    f = gf;
                    fi = gfi;
                    gf = TN__FILE_NONE;
                    e.gzip = 1;
                }
            }
            tn__st_close_file(&gf);
        }
        path[plen] = 0;
    }
    e.file = f;
    e.size = fi.size;
    e.mtime = fi.mtime;
    e.has_mtime = 1;
    snprintf(e.etag, sizeof e.etag, "\"%llx-%llx-%llx\"", (unsigned long long)fi.id, (unsigned long long)e.size,
             (unsigned long long)fi.mtime_ns);
    e.ctype = tn_static_mime_type(tn_str_make(path, plen));
    return tn__st_send_entity(req, opts, &e, head);
}
#endif /* TN_HAS_FILESYSTEM */

/* ---- compiled-in assets ---- */
TN__PRIVATE const tn_static_asset *tn__st_find(const tn_static_asset *t, size_t n, const char *path, size_t len) {
    size_t i;
    for (i = 0; i < n; i++) {
        tn_str p = tn_str_c(t[i].path);
        while (p.len && p.ptr[0] == '/') p.ptr++, p.len--;
        if (p.len == len && memcmp(p.ptr, path, len) == 0) return &t[i];
    }
    return NULL;
}

TN_API int tn_static_serve_assets(tn_request *req, const tn_static_asset *table, size_t n, tn_str rel_path,
                                  const tn_static_opts *opts) {
    char path[TN__ST_PATH_MAX];
    size_t plen = 0;
    int head, want_dir = 0, st_code;
    const tn_static_asset *a = NULL;
    const char *def = opts && opts->default_filename ? opts->default_filename : "index.html";
    tn__st_entity e;
    if (!req || (!table && n > 0)) return TN_EINVAL;
    if (!tn__st_method(req, &head)) return tn__st_error(req, 405);
    if ((st_code = tn__st_clean(rel_path, path, sizeof path, &plen, &want_dir)) != 0) return tn__st_error(req, st_code);
    if (plen && !want_dir) a = tn__st_find(table, n, path, plen);
    if (!a && def[0] && plen + strlen(def) + 2 <= sizeof path) {
        /* a directory: "" or "dir/" serves dir/<default>; "dir" redirects there first */
        size_t dl = plen;
        if (dl) path[dl++] = '/';
        memcpy(path + dl, def, strlen(def) + 1);
        a = tn__st_find(table, n, path, dl + strlen(def));
        if (a && !tn__st_path_has_slash(req)) return tn__st_redirect_slash(req);
        plen = dl + strlen(def);
    }
    if (!a) return tn__st_error(req, 404);
    memset(&e, 0, sizeof e);
    e.file = TN__FILE_NONE;
    e.mem = a->data;
    e.size = a->len;
    e.mtime = a->mtime;
    e.has_mtime = a->mtime != 0;
    if (a->etag && strlen(a->etag) < sizeof e.etag) {
        memcpy(e.etag, a->etag, strlen(a->etag) + 1);
    } else {
        unsigned char h[TN_SHA1_SIZE];
        tn_sha1(a->data, a->len, h);
        e.etag[0] = '"';
        (void)tn_hex_encode(h, sizeof h, e.etag + 1, sizeof e.etag - 2, NULL);
        memcpy(e.etag + 1 + 2 * TN_SHA1_SIZE, "\"", 2);
    }
    e.ctype = a->content_type ? a->content_type : tn_static_mime_type(tn_str_make(path, plen));
    if (a->encoding && tn_str_ieq(tn_str_c(a->encoding), tn_str_c("gzip"))) {
        if (tn_request_accepts_coding(req, "gzip")) {
            e.gzip = 1;   /* sent as stored */
        } else {
#if TN_HAS_DEFLATE
            size_t el = strlen(e.etag);
            e.inflate = 1;   /* inflated on the fly: another representation, a weak ETag */
            e.zsize = a->len;
            e.size = a->plain_len;
            if (e.etag[0] == '"' && el + 3 <= sizeof e.etag) {
                memmove(e.etag + 2, e.etag, el + 1);
                memcpy(e.etag, "W/", 2);
            }
#else
            (void)tn_response_add_header(req, "Vary", "Accept-Encoding");
            return tn__st_error(req, 406);   /* no codec to inflate it with */
#endif
        }
    }
    return tn__st_send_entity(req, opts, &e, head);
}

#endif /* TN_HAS_WEB && TN_HAS_HTTP_SERVER */
