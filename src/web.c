/* web.c: web application layer: dispatch, per-request context, arguments, cookies, XSRF, ETag, errors. */
#include "web.h"
#include "url.h"

#if TN_HAS_WEB

/* ---- private types ---- */
typedef struct tn__web_route {
    tn_handler_fn fn;               /* function pointers live in a record: the router holds void * */
    tn_data_fn on_data;             /* streaming routes: body chunks */
    void *user;
    struct tn__web_route *next;
} tn__web_route;

typedef struct tn__web_arg {
    tn_str name;
    tn_str value;                   /* decoded, cleaned, stripped */
    int body;                       /* 0 query, 1 body */
} tn__web_arg;

/* Scratch memory of one request: bump allocation in blocks that never move, so slices
   handed out stay valid until the request ends. The newest block is kept for reuse. */
typedef struct tn__web_block {
    struct tn__web_block *next;
    size_t cap;
    size_t used;
} tn__web_block;

typedef struct tn__web_ctx tn__web_ctx;
struct tn__web_ctx {
    tn_app *app;
    tn_request *req;                /* NULL once the request is gone */
    tn__web_ctx *next_free;
    tn_route_match m;
    tn_route_capture caps[TORNADO_MAX_ROUTE_CAPTURES];
    tn_buf hdrs;                    /* response headers: "name\0value\0" pairs */
    tn_buf body;                    /* buffered response body */
    tn__web_block *blocks;
    tn__web_arg *args;
    size_t nargs, args_cap;
    tn_web_file *files;
    size_t nfiles, files_cap;
    tn_request_cb close_cb;
    void *close_user;
    void *data;
    tn_str xsrf;                    /* the masked token made for this request */
    unsigned char xsrf_raw[64];
    size_t xsrf_raw_len;
    int64_t xsrf_ts;
    int xsrf_state;                 /* 0 not read, 1 from the cookie, 2 generated */
    int status;
    int refs;                       /* > 0 while the app is inside a call for this request */
    int xsrf_failed;                /* streaming route: answer 403 once the body is drained */
    int rematched;                  /* streaming route: captures re-pointed after the head moved */
    int args_parsed;
    int async;
    int started;                    /* head flushed */
    int finished;
};

struct tn_app {
    tn_loop *loop;
    const tn_allocator *a;
    tn_app_opts opts;
    char *secret;
    tn_router *router;
    tn_http_server *srv;
    tn__web_route *routes;
    tn__web_route not_found;        /* fn NULL: the default 404 */
    tn_error_page_fn error_fn;
    void *error_user;
    tn__web_ctx *free_ctx;
    size_t nfree;
    tn_access_log_cb user_log;
    void *user_log_user;
    tn_multipart *mp;               /* one parser, reused (parsing never spans a callback) */
    size_t nstream;                 /* streaming routes */
    int closing;
    tn_cb close_cb;
    void *close_user;
};

#define TN__WEB_CTX_CACHE 256
#define TN__WEB_BLOCK 4096
#define TN__WEB_KEEP_BYTES 65536

TN__PRIVATE int tn__web_finish(tn__web_ctx *c);

/* ---- scratch ---- */
TN__PRIVATE char *tn__web_scratch(tn__web_ctx *c, size_t n) {
    tn__web_block *b = c->blocks, *nb;
    size_t size;
    n = (n + 7) & ~(size_t)7;
    if (b && b->cap - b->used >= n) {
        char *p = (char *)(b + 1) + b->used;
        b->used += n;
        return p;
    }
    size = TN__MAX(n, (size_t)TN__WEB_BLOCK);
    if (b && b->cap * 2 > size && b->cap <= TN__WEB_KEEP_BYTES) size = b->cap * 2;
    nb = (tn__web_block *)tn__alloc(c->app->a, sizeof *nb + size);
    if (!nb) return NULL;
    nb->next = b;
    nb->cap = size;
    nb->used = n;
    c->blocks = nb;
    return (char *)(nb + 1);
}

TN__PRIVATE tn_str tn__web_copy(tn__web_ctx *c, const char *p, size_t n) {
    char *d = tn__web_scratch(c, n + 1);
    if (!d) return tn_str_make(NULL, 0);
    if (n) memcpy(d, p, n);
    d[n] = 0;
    return tn_str_make(d, n);
}

/* ---- contexts ---- */
TN__PRIVATE void tn__web_ctx_free(const tn_allocator *a, tn__web_ctx *c) {
    while (c->blocks) {
        tn__web_block *b = c->blocks;
        c->blocks = b->next;
        tn__free(a, b);
    }
    tn_buf_free(&c->hdrs);
    tn_buf_free(&c->body);
    tn__free(a, c->args);
    tn__free(a, c->files);
    tn__free(a, c);
}

TN__PRIVATE tn__web_ctx *tn__web_ctx_get(tn_app *app) {
    tn__web_ctx *c = app->free_ctx;
    if (c) {
        app->free_ctx = c->next_free;
        app->nfree--;
        return c;
    }
    c = (tn__web_ctx *)tn__calloc(app->a, sizeof *c);
    if (!c) return NULL;
    c->app = app;
    (void)tn_buf_init(&c->hdrs, app->a);
    (void)tn_buf_init(&c->body, app->a);
    return c;
}

/* The request is over: reset the context and cache it (trimmed) or free it. */
TN__PRIVATE void tn__web_release(tn__web_ctx *c) {
    tn_app *app = c->app;
    tn__web_block *b;
    if (c->req && tn_request_get_user(c->req) == (void *)c) tn_request_set_user(c->req, NULL);
    c->req = NULL;
    if (app->nfree >= TN__WEB_CTX_CACHE) {
        tn__web_ctx_free(app->a, c);
        return;
    }
    /* keep the newest scratch block if it is modest, drop the rest */
    b = c->blocks;
    if (b) {
        tn__web_block *rest = b->next;
        while (rest) {
            tn__web_block *n = rest->next;
            tn__free(app->a, rest);
            rest = n;
        }
        b->next = NULL;
        b->used = 0;
        if (b->cap > TN__WEB_KEEP_BYTES) {
            tn__free(app->a, b);
            c->blocks = NULL;
        }
    }
    tn_buf_consume(&c->hdrs, tn_buf_size(&c->hdrs));
    if (c->hdrs.cap > TN__WEB_KEEP_BYTES) tn_buf_free(&c->hdrs);
    tn_buf_consume(&c->body, tn_buf_size(&c->body));
    if (c->body.cap > TN__WEB_KEEP_BYTES) tn_buf_free(&c->body);
    if (c->args_cap > 256) {
        tn__free(app->a, c->args);
        c->args = NULL;
        c->args_cap = 0;
    }
    if (c->files_cap > 64) {
        tn__free(app->a, c->files);
        c->files = NULL;
        c->files_cap = 0;
    }
    c->nargs = c->nfiles = 0;
    c->close_cb = NULL;
    c->close_user = NULL;
    c->data = NULL;
    c->xsrf = tn_str_make(NULL, 0);
    c->xsrf_raw_len = 0;
    c->xsrf_state = 0;
    c->refs = c->args_parsed = c->async = c->started = c->finished = c->xsrf_failed = 0;
    c->rematched = 0;
    c->next_free = app->free_ctx;
    app->free_ctx = c;
    app->nfree++;
}

TN__PRIVATE void tn__web_unref(tn__web_ctx *c) {
    if (--c->refs == 0 && c->finished) tn__web_release(c);
}

/* The context of a live request from an app, or NULL. */
TN__PRIVATE tn__web_ctx *tn__web_ctx_of(const tn_request *req) {
    tn__web_ctx *c = req ? (tn__web_ctx *)tn_request_get_user(req) : NULL;
    if (!c || c->req != req || c->finished) return NULL;
    return c;
}

/* ---- response headers: "name\0value\0" pairs ---- */
/* Names and values are checked by the server's rules (tn__hdr_token_ok, tn__hdr_value_ok). */

/* Find the next pair at or after *pos whose name equals name (case-insensitive).
   Returns its offset or (size_t)-1; *next gets the offset after it. */
TN__PRIVATE size_t tn__web_hdr_find(const tn_buf *h, size_t pos, const char *name, size_t *next) {
    const char *p = tn_buf_ptr(h);
    size_t n = tn_buf_size(h), nl = strlen(name);
    while (pos < n) {
        size_t kl = strlen(p + pos), vl = strlen(p + pos + kl + 1);
        size_t end = pos + kl + 1 + vl + 1;
        if (kl == nl && tn_str_ieq(tn_str_make(p + pos, kl), tn_str_make(name, nl))) {
            if (next) *next = end;
            return pos;
        }
        pos = end;
    }
    return (size_t)-1;
}

/* Remove every pair named name (and, with prefix, whose value starts with it). */
TN__PRIVATE int tn__web_hdr_remove(tn_buf *h, const char *name, const char *prefix, size_t plen) {
    size_t pos = 0, next, at;
    int found = 0;
    while ((at = tn__web_hdr_find(h, pos, name, &next)) != (size_t)-1) {
        char *p = tn_buf_ptr(h);
        const char *v = p + at + strlen(p + at) + 1;
        if (prefix && strncmp(v, prefix, plen) != 0) {
            pos = next;
            continue;
        }
        memmove(p + at, p + next, tn_buf_size(h) - next);
        h->len -= next - at;
        found = 1;
        pos = at;
    }
    return found;
}

TN__PRIVATE int tn__web_hdr_add(tn_buf *h, const char *name, const char *value) {
    size_t nl = strlen(name), vl = strlen(value);
    if (tn_buf_reserve(h, nl + vl + 2) != 0) return TN_ENOMEM;
    (void)tn_buf_append(h, name, nl + 1);
    (void)tn_buf_append(h, value, vl + 1);
    return TN_OK;
}

TN__PRIVATE const char *tn__web_hdr_get(const tn_buf *h, const char *name) {
    size_t at = tn__web_hdr_find(h, 0, name, NULL);
    const char *p = tn_buf_ptr(h);
    if (at == (size_t)-1) return NULL;
    return p + at + strlen(p + at) + 1;
}

TN__PRIVATE int tn__web_hdr_check(const char *name, const char *value) {
    if (!tn__hdr_token_ok(name) || !tn__hdr_value_ok(value)) return TN_EINVAL;
    /* framing is the server's business */
    if (tn_str_ieq(tn_str_c(name), tn_str_c("Content-Length")) ||
        tn_str_ieq(tn_str_c(name), tn_str_c("Transfer-Encoding")))
        return TN_EINVAL;
    return TN_OK;
}

/* Hand the header list to the server. */
TN__PRIVATE int tn__web_apply_headers(tn__web_ctx *c) {
    const char *p = tn_buf_ptr(&c->hdrs);
    size_t pos = 0, n = tn_buf_size(&c->hdrs);
    while (pos < n) {
        const char *k = p + pos, *v = k + strlen(k) + 1;
        int rc = tn_response_add_header(c->req, k, v);
        if (rc != 0) return rc;
        pos = (size_t)(v - p) + strlen(v) + 1;
    }
    return TN_OK;
}

/* ---- dispatch ---- */
TN__PRIVATE void tn__web_on_close(tn_request *req, void *user) {
    tn__web_ctx *c = (tn__web_ctx *)user;
    if (c->req != req) return;
    if (c->close_cb) c->close_cb(req, c->close_user);
    c->finished = 1;
    c->req = NULL;
    if (c->refs == 0) tn__web_release(c);
}

/* The server's access log sees every finished response: that is how the app learns that
   a handler answered with tn_respond or tn_response_finish. */
TN__PRIVATE void tn__web_on_log(const tn_request *req, int status, uint64_t bytes, uint64_t usec, void *user) {
    tn_app *app = (tn_app *)user;
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (app->user_log) app->user_log(req, status, bytes, usec, app->user_log_user);
    if (!c) return;
    c->finished = 1;
    if (c->refs == 0) tn__web_release(c);
}

TN__PRIVATE int tn__web_is_safe_method(tn_str m) {
    return tn_str_eq_c(m, "GET") || tn_str_eq_c(m, "HEAD") || tn_str_eq_c(m, "OPTIONS");
}

TN__PRIVATE int tn__web_error(tn__web_ctx *c, int status, const char *reason, const char *allow);

/* Attach a fresh context to req and match its route. */
TN__PRIVATE tn__web_ctx *tn__web_attach(tn_app *app, tn_request *req, int *rc) {
    tn__web_ctx *c = tn__web_ctx_get(app);
    if (!c) return NULL;
    c->req = req;
    c->status = 200;
    c->refs = 1;
    tn_request_set_user(req, c);
    tn_request_set_close_cb(req, tn__web_on_close, c);
    memset(&c->m, 0, sizeof c->m);
    c->m.captures = c->caps;
    c->m.max_captures = TORNADO_MAX_ROUTE_CAPTURES;
    *rc = tn_router_match(app->router, tn_request_method(req), tn_request_path(req), &c->m);
    return c;
}

TN__PRIVATE void tn__web_on_request(tn_request *req, void *user) {
    tn_app *app = (tn_app *)user;
    tn_str method = tn_request_method(req);
    int rc;
    tn__web_ctx *c = tn__web_attach(app, req, &rc);
    if (!c) {
        (void)tn_respond(req, 503, "text/plain", "Service Unavailable", 19);
        return;
    }
    if (rc == TN_OK) {
        const tn__web_route *r = (const tn__web_route *)c->m.handler;
        if (app->opts.xsrf_cookies && !tn__web_is_safe_method(method) && tn_web_check_xsrf(req) != TN_OK)
            (void)tn__web_error(c, 403, NULL, NULL);
        else
            r->fn(req, &c->m, r->user);
    } else if (rc == TN_ENOENT) {
        c->m.route = -1;
        c->m.num_captures = 0;
        if (app->not_found.fn) app->not_found.fn(req, &c->m, app->not_found.user);
        else (void)tn__web_error(c, 404, NULL, NULL);
    } else if (rc == TN_EMETHOD_NOT_ALLOWED) {
        char allow[512];
        size_t al = 0;
        if (tn_router_allow(app->router, tn_request_path(req), allow, sizeof allow, &al) != TN_OK) allow[0] = 0;
        (void)tn__web_error(c, 405, NULL, allow[0] ? allow : NULL);
    } else {
        (void)tn__web_error(c, 400, NULL, NULL);
    }
    /* a synchronous handler's response ends when it returns */
    if (!c->finished && !c->async && c->req) (void)tn__web_finish(c);
    tn__web_unref(c);
}

/* Streaming routes (Tornado's stream_request_body): the route is matched when the head
   arrives; body chunks go to on_data as they come; the handler runs at the end. */
TN__PRIVATE void tn__web_on_body(tn_request *req, int status, tn_str data, void *user) {
    tn__web_ctx *c = (tn__web_ctx *)user;
    const tn__web_route *r;
    if (c->req != req || c->finished) return;
    if (!c->rematched) {
        /* the server moved the head out of its buffer after on_headers: match again so
           the captures point at the moved path */
        c->rematched = 1;
        (void)tn_router_match(c->app->router, tn_request_method(req), tn_request_path(req), &c->m);
    }
    r = (const tn__web_route *)c->m.handler;
    c->refs++;
    if (status == TN_MORE) {
        if (!c->xsrf_failed) r->on_data(req, data, r->user);
    } else if (status == TN_OK) {
        if (c->xsrf_failed) (void)tn__web_error(c, 403, NULL, NULL);
        else r->fn(req, &c->m, r->user);
        if (!c->finished && !c->async && c->req) (void)tn__web_finish(c);
    }
    /* errors: the connection closes next and the close callback ends the request */
    tn__web_unref(c);
}

TN__PRIVATE void tn__web_on_headers(tn_request *req, void *user) {
    tn_app *app = (tn_app *)user;
    tn__web_ctx *c;
    const tn__web_route *r;
    tn_route_capture caps[TORNADO_MAX_ROUTE_CAPTURES];
    tn_route_match m;
    tn_str method = tn_request_method(req);
    int rc;
    if (app->nstream == 0) return;
    memset(&m, 0, sizeof m);
    m.captures = caps;
    m.max_captures = TORNADO_MAX_ROUTE_CAPTURES;
    if (tn_router_match(app->router, method, tn_request_path(req), &m) != TN_OK) return;
    r = (const tn__web_route *)m.handler;
    if (!r->on_data) return;   /* an ordinary route: dispatched with its whole body */
    /* an empty length-delimited body goes the ordinary way (no chunk, then the handler):
       the server does not end a streamed body of Content-Length 0 by itself */
    {
        tn_str cl;
        if (tn_request_header(req, "Content-Length", &cl) == TN_OK && tn_str_eq_c(cl, "0")) return;
    }
    if (!(c = tn__web_attach(app, req, &rc))) return;
    if (tn_request_stream_body(req, tn__web_on_body, c) != TN_OK) {
        c->finished = 1;
        c->req = NULL;
        tn_request_set_user(req, NULL);
        tn_request_set_close_cb(req, NULL, NULL);
        tn__web_unref(c);
        return;
    }
    /* the token can only come from a header here: body arguments are not parsed */
    if (app->opts.xsrf_cookies && !tn__web_is_safe_method(method) && tn_web_check_xsrf(req) != TN_OK)
        c->xsrf_failed = 1;
    tn__web_unref(c);   /* refs 0, not finished: the context lives on with the request */
}

/* ---- the app ---- */
TN_API int tn_app_new(tn_loop *loop, const tn_app_opts *opts, tn_app **out) {
    tn_app *app;
    int rc;
    if (!loop || !out) return TN_EINVAL;
    *out = NULL;
    if (opts && opts->server.on_headers) return TN_EINVAL;
    app = (tn_app *)tn__calloc(loop->a, sizeof *app);
    if (!app) return TN_ENOMEM;
    app->loop = loop;
    app->a = loop->a;
    if (opts) app->opts = *opts;
    if (app->opts.cookie_secret) {
        if (!(app->secret = tn__strdup(app->a, app->opts.cookie_secret))) {
            tn__free(app->a, app);
            return TN_ENOMEM;
        }
        app->opts.cookie_secret = app->secret;
    }
    app->user_log = app->opts.server.access_log;
    app->user_log_user = app->opts.server.access_log_user;
    if ((rc = tn_router_new(app->a, &app->router)) != 0) {
        tn__free(app->a, app->secret);
        tn__free(app->a, app);
        return rc;
    }
    *out = app;
    return TN_OK;
}

/* Both route kinds: a plain handler, or a streamed-body handler (on_data not NULL). */
TN__PRIVATE int tn__web_add_route(tn_app *app, const char *methods, const char *pattern, tn_data_fn on_data,
                                  tn_handler_fn fn, void *user) {
    tn__web_route *r;
    int rc;
    if (!app || !fn || app->closing) return TN_EINVAL;
    r = (tn__web_route *)tn__calloc(app->a, sizeof *r);
    if (!r) return TN_ENOMEM;
    r->fn = fn;
    r->on_data = on_data;
    r->user = user;
    if ((rc = tn_router_add(app->router, methods, pattern, r, user)) != 0) {
        tn__free(app->a, r);
        return rc;
    }
    r->next = app->routes;
    app->routes = r;
    if (on_data) app->nstream++;
    return TN_OK;
}

TN_API int tn_app_route(tn_app *app, const char *methods, const char *pattern, tn_handler_fn fn, void *user) {
    return tn__web_add_route(app, methods, pattern, NULL, fn, user);
}

TN_API int tn_app_route_stream(tn_app *app, const char *methods, const char *pattern, tn_data_fn on_data,
                               tn_handler_fn fn, void *user) {
    if (!on_data) return TN_EINVAL;
    return tn__web_add_route(app, methods, pattern, on_data, fn, user);
}

TN_API void tn_app_set_not_found(tn_app *app, tn_handler_fn fn, void *user) {
    app->not_found.fn = fn;
    app->not_found.user = user;
}

TN_API void tn_app_set_error_page(tn_app *app, tn_error_page_fn fn, void *user) {
    app->error_fn = fn;
    app->error_user = user;
}

TN_API int tn_app_listen(tn_app *app, const char *host, int port) {
    int rc;
    if (!app || app->closing) return TN_EINVAL;
    if (!app->srv) {
        tn_http_server_opts so = app->opts.server;
        so.on_headers = tn__web_on_headers;
        so.access_log = tn__web_on_log;
        so.access_log_user = app;
        if ((rc = tn_http_server_new(app->loop, &so, tn__web_on_request, app, &app->srv)) != 0) return rc;
    }
    return tn_http_server_listen(app->srv, host, port);
}

TN_API tn_http_server *tn_app_server(const tn_app *app) { return app->srv; }
TN_API tn_router *tn_app_router(const tn_app *app) { return app->router; }
TN_API const tn_app_opts *tn_app_get_opts(const tn_app *app) { return &app->opts; }

TN__PRIVATE void tn__web_app_free(tn_app *app) {
    const tn_allocator *a = app->a;
    while (app->routes) {
        tn__web_route *r = app->routes;
        app->routes = r->next;
        tn__free(a, r);
    }
    while (app->free_ctx) {
        tn__web_ctx *c = app->free_ctx;
        app->free_ctx = c->next_free;
        tn__web_ctx_free(a, c);
    }
    tn_router_free(app->router);
    tn__free(a, app->mp);
    tn__free(a, app->secret);
    tn__free(a, app);
}

TN__PRIVATE void tn__web_app_closed(tn_loop *loop, void *user) {
    tn_app *app = (tn_app *)user;
    tn_cb cb = app->close_cb;
    void *cu = app->close_user;
    tn__web_app_free(app);
    if (cb) cb(loop, cu);
}

TN_API int tn_app_close(tn_app *app, uint64_t deadline_ms, tn_cb cb, void *user) {
    if (!app) return TN_EINVAL;
    if (app->closing) return TN_ECLOSED;
    app->closing = 1;
    app->close_cb = cb;
    app->close_user = user;
    if (app->srv) return tn_http_server_close(app->srv, deadline_ms, tn__web_app_closed, app);
    return tn_loop_defer(app->loop, tn__web_app_closed, app);
}

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
        (void)tn__web_error(c, 400, NULL, NULL);
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

/* ---- response helpers ---- */
TN_API int tn_web_set_status(tn_request *req, int status) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || c->started || status < 100 || status > 999) return TN_EINVAL;
    c->status = status;
    return TN_OK;
}
TN_API int tn_web_get_status(const tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    return c ? c->status : 0;
}

TN_API int tn_web_set_header(tn_request *req, const char *name, const char *value) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    int rc;
    if (!c || c->started) return TN_EINVAL;
    if ((rc = tn__web_hdr_check(name, value)) != 0) return rc;
    (void)tn__web_hdr_remove(&c->hdrs, name, NULL, 0);
    return tn__web_hdr_add(&c->hdrs, name, value);
}
TN_API int tn_web_add_header(tn_request *req, const char *name, const char *value) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    int rc;
    if (!c || c->started) return TN_EINVAL;
    if ((rc = tn__web_hdr_check(name, value)) != 0) return rc;
    return tn__web_hdr_add(&c->hdrs, name, value);
}
TN_API int tn_web_clear_header(tn_request *req, const char *name) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || c->started || !name) return TN_EINVAL;
    return tn__web_hdr_remove(&c->hdrs, name, NULL, 0) ? TN_OK : TN_ENOENT;
}
TN_API const char *tn_web_get_header(const tn_request *req, const char *name) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || !name) return NULL;
    return tn__web_hdr_get(&c->hdrs, name);
}

TN_API int tn_web_write(tn_request *req, const void *data, size_t len) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || (!data && len)) return TN_EINVAL;
    return tn_buf_append(&c->body, data, len);
}
TN_API int tn_web_write_str(tn_request *req, const char *s) { return tn_web_write(req, s, s ? strlen(s) : 0); }

TN_API int tn_web_writef(tn_request *req, const char *fmt, ...) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    va_list ap;
    int n;
    if (!c || !fmt) return TN_EINVAL;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return TN_EINVAL;
    if (tn_buf_reserve(&c->body, (size_t)n + 1) != 0) return TN_ENOMEM;
    va_start(ap, fmt);
    (void)vsnprintf(tn_buf_ptr(&c->body) + tn_buf_size(&c->body), (size_t)n + 1, fmt, ap);
    va_end(ap);
    c->body.len += (size_t)n;
    return TN_OK;
}

TN_API int tn_web_write_json_str(tn_request *req, tn_str s) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    size_t before;
    if (!c) return TN_EINVAL;
    before = c->body.len;
    if (tn_buf_append(&c->body, "\"", 1) != 0 || tn_json_escape_buf(&c->body, s) != 0 ||
        tn_buf_append(&c->body, "\"", 1) != 0) {
        c->body.len = before;
        return TN_ENOMEM;
    }
    return TN_OK;
}

TN_API int tn_web_write_json(tn_request *req, const char *json, size_t len) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    int rc;
    if (!c) return TN_EINVAL;
    if ((rc = tn_web_write(req, json, len)) != 0) return rc;
    if (!c->started) return tn_web_set_header(req, "Content-Type", "application/json; charset=UTF-8");
    return TN_OK;
}

TN__PRIVATE void tn__web_default_ctype(tn__web_ctx *c) {
    if (tn_buf_size(&c->body) > 0 && !tn__web_hdr_get(&c->hdrs, "Content-Type"))
        (void)tn__web_hdr_add(&c->hdrs, "Content-Type", "text/html; charset=UTF-8");
}

TN__PRIVATE int tn__web_flush(tn__web_ctx *c, tn_response_cb cb, void *user) {
    int rc = TN_OK;
    c->refs++;
    if (!c->started) {
        tn__web_default_ctype(c);
        if ((rc = tn__web_apply_headers(c)) == TN_OK) rc = tn_response_start(c->req, c->status, -1);
        if (rc == TN_OK) c->started = 1;
    }
    if (rc == TN_OK && (tn_buf_size(&c->body) > 0 || cb)) {
        rc = tn_response_write(c->req, tn_buf_ptr(&c->body), tn_buf_size(&c->body), cb, user);
        tn_buf_consume(&c->body, tn_buf_size(&c->body));
    }
    tn__web_unref(c);
    return rc;
}

TN_API int tn_web_flush(tn_request *req, tn_response_cb cb, void *user) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c) return TN_EINVAL;
    return tn__web_flush(c, cb, user);
}

TN__PRIVATE int tn__web_finish(tn__web_ctx *c) {
    int rc;
    if (c->finished || !c->req) return TN_EINVAL;
    c->refs++;
    if (!c->started) {
        tn_str method = tn_request_method(c->req);
        int status = c->status;
        if (status == 200 && (tn_str_eq_c(method, "GET") || tn_str_eq_c(method, "HEAD")) &&
            !tn__web_hdr_get(&c->hdrs, "Etag")) {
            unsigned char dig[TN_SHA1_SIZE];
            char etag[2 * TN_SHA1_SIZE + 3];
            tn_str inm;
            tn_sha1(tn_buf_ptr(&c->body), tn_buf_size(&c->body), dig);
            etag[0] = '"';
            (void)tn_hex_encode(dig, sizeof dig, etag + 1, 2 * TN_SHA1_SIZE + 1, NULL);
            etag[2 * TN_SHA1_SIZE + 1] = '"';
            etag[2 * TN_SHA1_SIZE + 2] = 0;
            (void)tn__web_hdr_add(&c->hdrs, "Etag", etag);
            if (tn_request_header(c->req, "If-None-Match", &inm) == TN_OK &&
                tn_http_etag_match(inm, tn_str_make(etag, sizeof etag - 1), TN_ETAG_WEAK))
                status = c->status = 304;
        }
        if (status == 204 || status == 304 || status < 200) {
            tn_buf_consume(&c->body, tn_buf_size(&c->body));
            (void)tn__web_hdr_remove(&c->hdrs, "Content-Type", NULL, 0);
            (void)tn__web_hdr_remove(&c->hdrs, "Content-Encoding", NULL, 0);
            (void)tn__web_hdr_remove(&c->hdrs, "Content-Language", NULL, 0);
        } else {
            tn__web_default_ctype(c);
        }
        rc = tn__web_apply_headers(c);
        if (rc == TN_OK) rc = tn_respond(c->req, status, NULL, tn_buf_ptr(&c->body), tn_buf_size(&c->body));
    } else {
        rc = TN_OK;
        if (tn_buf_size(&c->body) > 0)
            rc = tn_response_write(c->req, tn_buf_ptr(&c->body), tn_buf_size(&c->body), NULL, NULL);
        if (rc == TN_OK || rc == TN_ECLOSED) rc = tn_response_finish(c->req);
    }
    if (rc == TN_OK || rc == TN_ECLOSED) c->finished = 1;
    tn__web_unref(c);
    return rc;
}

TN_API int tn_web_finish(tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c) return TN_EINVAL;
    return tn__web_finish(c);
}

TN_API void tn_web_async(tn_request *req) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (c) c->async = 1;
}

TN_API int tn_web_redirect(tn_request *req, const char *url, int status) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    int rc;
    if (!c || c->started || !url) return TN_EINVAL;
    if (status == 0) status = 302;
    if (status < 300 || status > 399 || !tn__hdr_value_ok(url)) return TN_EINVAL;
    if ((rc = tn_web_set_header(req, "Location", url)) != 0) return rc;
    c->status = status;
    return tn__web_finish(c);
}

/* send_error: keep the Set-Cookie lines (Tornado keeps its cookie jar), drop the rest. */
TN__PRIVATE int tn__web_error(tn__web_ctx *c, int status, const char *reason, const char *allow) {
    int rc;
    if (c->finished || !c->req) return TN_EINVAL;
    if (c->started) return tn__web_finish(c);
    c->refs++;
    {
        tn_buf *h = &c->hdrs;
        size_t pos = 0;
        while (pos < tn_buf_size(h)) {
            char *p = tn_buf_ptr(h);
            size_t kl = strlen(p + pos), vl = strlen(p + pos + kl + 1), end = pos + kl + vl + 2;
            if (tn_str_ieq(tn_str_make(p + pos, kl), tn_str_c("Set-Cookie"))) {
                pos = end;
                continue;
            }
            memmove(p + pos, p + end, tn_buf_size(h) - end);
            h->len -= end - pos;
        }
    }
    tn_buf_consume(&c->body, tn_buf_size(&c->body));
    c->status = status;
    if (allow) (void)tn__web_hdr_add(&c->hdrs, "Allow", allow);
    if (!reason) reason = tn_http_reason(status);
    if (status != 304) {
        if (c->app->error_fn) {
            c->app->error_fn(c->req, status, reason, c->app->error_user);
        } else {
            (void)tn_buf_append(&c->body, "<html><title>", 13);
            (void)tn_web_writef(c->req, "%d: ", status);
            (void)tn_xhtml_escape_buf(&c->body, tn_str_c(reason));
            (void)tn_buf_append(&c->body, "</title><body>", 14);
            (void)tn_web_writef(c->req, "%d: ", status);
            (void)tn_xhtml_escape_buf(&c->body, tn_str_c(reason));
            (void)tn_buf_append(&c->body, "</body></html>", 14);
        }
    }
    rc = (!c->finished && c->req) ? tn__web_finish(c) : TN_OK;
    tn__web_unref(c);
    return rc;
}

TN_API int tn_web_send_error(tn_request *req, int status, const char *reason) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || status < 100 || status > 999) return TN_EINVAL;
    return tn__web_error(c, status, reason, NULL);
}

TN_API int tn_web_detach(tn_request *req, tn_stream **stream) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    int rc;
    if (!c) return TN_EINVAL;
    if ((rc = tn_request_detach(req, stream)) != TN_OK) return rc;
    c->finished = 1;
    c->req = NULL;
    if (c->refs == 0) tn__web_release(c);
    return TN_OK;
}

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
    (void)tn__web_hdr_remove(&c->hdrs, "Set-Cookie", prefix, nl + 1);
    return tn__web_hdr_add(&c->hdrs, "Set-Cookie", out);
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
TN__PRIVATE int tn__web_unhex(tn_str s, unsigned char *out, size_t cap, size_t *n) {
    size_t i;
    if (s.len % 2 || s.len / 2 > cap) return TN_EPARSE;
    for (i = 0; i < s.len; i += 2) {
        int hi, lo, k;
        int v[2];
        for (k = 0; k < 2; k++)
            if ((v[k] = tn__hexval((unsigned char)s.ptr[i + (size_t)k])) < 0) return TN_EPARSE;
        hi = v[0];
        lo = v[1];
        out[i / 2] = (unsigned char)(hi * 16 + lo);
    }
    *n = s.len / 2;
    return TN_OK;
}

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
        if (tn__web_unhex(f[1], mask, sizeof mask, &ml) != TN_OK || ml != 4) return TN_EPARSE;
        if (tn__web_unhex(f[2], raw, cap, n) != TN_OK) return TN_EPARSE;
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
    if (tn__web_unhex(tok, raw, cap, n) == TN_OK) return TN_OK;
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
