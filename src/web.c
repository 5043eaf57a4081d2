/* web.c: web application layer: the app, routes, dispatch, per-request context, the response (headers, body, ETag, errors, redirects). */
#include "web.h"
#include "internal.h"
#include "web_internal.h"
#include "url.h"

#if TN_HAS_WEB


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
    tn_buf_consume(&c->body, tn_buf_size(&c->body));
    if (tn_buf_capacity(&c->body) > TN__WEB_KEEP_BYTES) tn_buf_free(&c->body);
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
    memset(&c->refs, 0, offsetof(tn__web_ctx, m) - offsetof(tn__web_ctx, refs));
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

/* ---- dispatch ---- */
/* The server says the handler's part is over (the response finished, the request was
   detached, or a response call found the client gone), however the handler got there:
   through this layer or with the server's calls directly. */
TN__PRIVATE void tn__web_on_finish(tn_request *req, void *user) {
    tn__web_ctx *c = (tn__web_ctx *)user;
    if (c->req != req) return;
    c->finished = 1;
    c->req = NULL;
    if (c->refs == 0) tn__web_release(c);
}

/* The client left first: the handler's close callback, then the same end. */
TN__PRIVATE void tn__web_on_close(tn_request *req, void *user) {
    tn__web_ctx *c = (tn__web_ctx *)user;
    if (c->req != req) return;
    if (c->close_cb) c->close_cb(req, c->close_user);
    tn__web_on_finish(req, user);
}

TN__PRIVATE int tn__web_is_safe_method(tn_str m) {
    static const char safe[3][8] = {"GET", "HEAD", "OPTIONS"};
    int i;
    for (i = 0; i < 3; i++)
        if (tn_str_eq_c(m, safe[i])) return 1;
    return 0;
}

/* Attach a fresh context to req and match its route. */
TN__PRIVATE tn__web_ctx *tn__web_attach(tn_app *app, tn_request *req, int *rc) {
    tn__web_ctx *c = tn__web_ctx_get(app);
    if (!c) return NULL;
    c->req = req;
    c->status = 200;
    c->refs = 1;
    tn_request_set_user(req, c);
    tn_request_set_close_cb(req, tn__web_on_close, c);
    tn_request_set_finish_cb(req, tn__web_on_finish, c);
    c->m.captures = c->caps;   /* (tn_router_match sets the rest of c->m) */
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
        if (app->opts.xsrf_cookies && !tn__web_is_safe_method(method) && app->opts.xsrf_check(req) != TN_OK)
            (void)tn__web_error(c, 403, NULL, NULL, NULL);
        else
            r->fn(req, &c->m, r->user);
    } else if (rc == TN_ENOENT) {   /* the match says route -1, no captures */
        if (app->not_found.fn) app->not_found.fn(req, &c->m, app->not_found.user);
        else (void)tn__web_error(c, 404, NULL, NULL, NULL);
    } else if (rc == TN_EMETHOD_NOT_ALLOWED) {
        char allow[512];
        size_t al = 0;
        if (tn_router_allow(app->router, tn_request_path(req), allow, sizeof allow, &al) != TN_OK) allow[0] = 0;
        (void)tn__web_error(c, 405, NULL, allow[0] ? allow : NULL, NULL);
    } else {
        (void)tn__web_error(c, 400, NULL, NULL, NULL);
    }
    /* a synchronous handler's response ends when it returns (unless it has ended: then
       tn__web_finish does nothing) */
    if (!c->async) (void)tn__web_finish(c);
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
        if (c->xsrf_failed) (void)tn__web_error(c, 403, NULL, NULL, NULL);
        else r->fn(req, &c->m, r->user);
        if (!c->async) (void)tn__web_finish(c);   /* (as in tn__web_on_request) */
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
    m.captures = caps;   /* (tn_router_match sets the rest of m) */
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
        tn_request_set_finish_cb(req, NULL, NULL);
        tn__web_unref(c);
        return;
    }
    /* the token can only come from a header here: body arguments are not parsed */
    if (app->opts.xsrf_cookies && !tn__web_is_safe_method(method) && app->opts.xsrf_check(req) != TN_OK)
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
    if (opts && opts->xsrf_cookies && !opts->xsrf_check) {
        TN__LLOG(loop, TN_LOG_ERROR, TN_EINVAL, "web: xsrf_cookies needs opts.xsrf_check = tn_web_check_xsrf");
        return TN_EINVAL;
    }
    app = (tn_app *)tn__calloc(tn__loop_alloc(loop), sizeof *app);
    if (!app) return TN_ENOMEM;
    app->loop = loop;
    app->a = tn__loop_alloc(loop);
    if (opts) app->opts = *opts;
    if (app->opts.cookie_secret) {
        if (!(app->secret = tn__strdup(app->a, app->opts.cookie_secret))) {
            tn__free(app->a, app);
            return TN_ENOMEM;
        }
        app->opts.cookie_secret = app->secret;
    }
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
        const char *why = tn_router_last_error(app->router);   /* quotes the pattern, says where */
        if (why[0]) TN__LLOG(app->loop, TN_LOG_WARN, rc, "route not added: %s", why);
        else TN__LLOG(app->loop, TN_LOG_WARN, rc, "route \"%s\" not added", pattern);
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
    if (app) app->stream_heads = tn__web_on_headers;
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

/* The server's on_headers: the streaming routes' matcher once one was added. */
TN__PRIVATE void tn__web_heads(tn_request *req, void *user) {
    tn_app *app = (tn_app *)user;
    if (app->stream_heads) app->stream_heads(req, user);
}

TN_API int tn_app_listen(tn_app *app, const char *host, int port) {
    int rc;
    if (!app || app->closing) return TN_EINVAL;
    if (!app->srv) {
        tn_http_server_opts so = app->opts.server;
        so.on_headers = tn__web_heads;
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

/* Response headers live in the server's store (tn_response_set_header and friends), which
   also refuses framing headers; these only add "not after the head went out". */
TN_API int tn_web_set_header(tn_request *req, const char *name, const char *value) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || c->started) return TN_EINVAL;
    return tn_response_set_header(req, name, value);
}
TN_API int tn_web_add_header(tn_request *req, const char *name, const char *value) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || c->started) return TN_EINVAL;
    return tn_response_add_header(req, name, value);
}
TN_API int tn_web_clear_header(tn_request *req, const char *name) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || c->started || !name) return TN_EINVAL;
    return tn_response_clear_header(req, name);
}
TN_API const char *tn_web_get_header(const tn_request *req, const char *name) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    tn_str v;
    if (!c || !name || tn_response_get_header(req, name, &v) != TN_OK) return NULL;
    return tn__web_copy(c, v.ptr, v.len).ptr;   /* NUL-terminated, valid for the request */
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
    size_t room = 0;
    char *at = NULL;
    if (!c || !fmt) return TN_EINVAL;
    for (;;) {   /* measure, reserve, then format into the body */
        va_start(ap, fmt);
        n = vsnprintf(at, room, fmt, ap);
        va_end(ap);
        if (n < 0) return TN_EINVAL;
        if (at) break;
        room = (size_t)n + 1;
        if (tn_buf_reserve(&c->body, room) != 0) return TN_ENOMEM;
        at = tn_buf_ptr(&c->body) + tn_buf_size(&c->body);
    }
    tn_buf_commit(&c->body, (size_t)n);
    return TN_OK;
}

/* JSON bodies say so (Tornado sets the type when write() gets a dict), unless the
   handler chose a type or the head already went out. */
TN__PRIVATE int tn__web_json_type(tn__web_ctx *c) {
    tn_str v;
    if (c->started || tn_response_get_header(c->req, "Content-Type", &v) == TN_OK) return TN_OK;
    return tn__response_set_known(c->req, "Content-Type", "application/json; charset=UTF-8");
}

TN_API int tn_web_write_json_str(tn_request *req, tn_str s) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    size_t before;
    if (!c) return TN_EINVAL;
    before = tn_buf_size(&c->body);
    if (tn_buf_append(&c->body, "\"", 1) != 0 || tn_json_escape_buf(&c->body, s) != 0 ||
        tn_buf_append(&c->body, "\"", 1) != 0) {
        tn_buf_truncate(&c->body, before);
        return TN_ENOMEM;
    }
    return tn__web_json_type(c);
}

TN_API int tn_web_write_json(tn_request *req, const char *json, size_t len) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    int rc;
    if (!c) return TN_EINVAL;
    if ((rc = tn_web_write(req, json, len)) != 0) return rc;
    return tn__web_json_type(c);
}

TN__PRIVATE void tn__web_default_ctype(tn__web_ctx *c) {
    tn_str v;
    if (tn_buf_size(&c->body) > 0 && tn_response_get_header(c->req, "Content-Type", &v) != TN_OK)
        (void)tn__response_set_known(c->req, "Content-Type", "text/html; charset=UTF-8");
}

/* The finish of a response whose head a flush sent: the rest of the body, then the end of
   the chunked body. Reached through app->finish_flushed, which the first flush sets, so an
   app that never flushes does not link the server's streaming calls. */
TN__PRIVATE int tn__web_finish_flushed(tn__web_ctx *c) {
    int rc = TN_OK;
    if (tn_buf_size(&c->body) > 0)
        rc = tn_response_write(c->req, tn_buf_ptr(&c->body), tn_buf_size(&c->body), NULL, NULL);
    if (rc == TN_OK) rc = tn_response_finish(c->req);   /* TN_ECLOSED: already released */
    return rc;
}

TN__PRIVATE int tn__web_flush(tn__web_ctx *c, tn_response_cb cb, void *user) {
    int rc = TN_OK;
    c->refs++;
    if (!c->started) {
        tn__web_default_ctype(c);
        c->app->finish_flushed = tn__web_finish_flushed;
        rc = tn_response_start(c->req, c->status, -1);
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

#if TN_HAS_ETAG
/* Tornado's compute_etag for a whole 200 GET or HEAD response: the body's SHA-1 in hex,
   quoted, unless the handler set an ETag of its own; an If-None-Match that matches it
   (weak comparison) turns the response into a 304. Returns the status to send. */
TN__PRIVATE int tn__web_etag(tn__web_ctx *c) {
    tn_str method = tn_request_method(c->req), have, inm;
    unsigned char dig[TN_SHA1_SIZE];
    char etag[2 * TN_SHA1_SIZE + 3];
    if (c->status != 200 || !(tn_str_eq_c(method, "GET") || tn_str_eq_c(method, "HEAD")) ||
        tn_response_get_header(c->req, "ETag", &have) == TN_OK)
        return c->status;
    tn_sha1(tn_buf_ptr(&c->body), tn_buf_size(&c->body), dig);
    etag[0] = '"';
    (void)tn_hex_encode(dig, sizeof dig, etag + 1, 2 * TN_SHA1_SIZE + 1, NULL);
    etag[2 * TN_SHA1_SIZE + 1] = '"';
    etag[2 * TN_SHA1_SIZE + 2] = 0;
    (void)tn__response_set_known(c->req, "ETag", etag);   /* (hex digits in quotes) */
    if (tn_request_header(c->req, "If-None-Match", &inm) == TN_OK &&
        tn_http_etag_match(inm, tn_str_make(etag, sizeof etag - 1), TN_ETAG_WEAK))
        c->status = 304;
    return c->status;
}
#endif

TN__PRIVATE int tn__web_finish(tn__web_ctx *c) {
    int rc;
    if (c->finished || !c->req) return TN_EINVAL;
    c->refs++;
    if (!c->started) {
#if TN_HAS_ETAG
        int status = tn__web_etag(c);
#else
        int status = c->status;   /* (TORNADO_NO_ETAG: no ETag computed, no 304 from it) */
#endif
        if (status == 204 || status == 304 || status < 200) {
            static const char drop[3][17] = {"Content-Type", "Content-Encoding", "Content-Language"};
            int i;
            tn_buf_consume(&c->body, tn_buf_size(&c->body));
            for (i = 0; i < 3; i++) (void)tn__response_clear_known(c->req, drop[i]);
        } else {
            tn__web_default_ctype(c);
        }
        rc = tn_respond(c->req, status, NULL, tn_buf_ptr(&c->body), tn_buf_size(&c->body));
    } else {
        rc = c->app->finish_flushed(c);   /* set by the flush that started the head */
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
    if (status < 300 || status > 399) return TN_EINVAL;
    if ((rc = tn_web_set_header(req, "Location", url)) != 0) return rc;
    c->status = status;
    return tn__web_finish(c);
}

/* send_error: keep the Set-Cookie lines (Tornado keeps its cookie jar), drop the rest.
   escape: how the default page escapes the reason; NULL only for the layer's own errors
   (400, 403, 404, 405 with their table reasons, which hold no character to escape). */
TN__PRIVATE int tn__web_error(tn__web_ctx *c, int status, const char *reason, const char *allow,
                              int (*escape)(tn_buf *, tn_str)) {
    int rc;
    if (c->finished || !c->req) return TN_EINVAL;
    if (c->started) return tn__web_finish(c);
    c->refs++;
    (void)tn_response_clear_headers(c->req, "Set-Cookie");
    tn_buf_consume(&c->body, tn_buf_size(&c->body));
    c->status = status;
    if (allow) (void)tn__response_set_known(c->req, "Allow", allow);   /* (the router's method tokens) */
    if (!reason) reason = tn_http_reason(status);
    if (status != 304) {
        if (c->app->error_fn) {
            c->app->error_fn(c->req, status, reason, c->app->error_user);
        } else {
            (void)tn__response_error_html(&c->body, status, reason, escape);
        }
    }
    rc = (!c->finished && c->req) ? tn__web_finish(c) : TN_OK;
    tn__web_unref(c);
    return rc;
}

TN_API int tn_web_send_error(tn_request *req, int status, const char *reason) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    if (!c || status < 100 || status > 999) return TN_EINVAL;
    return tn__web_error(c, status, reason, NULL, tn_xhtml_escape_buf);
}

TN_API int tn_web_detach(tn_request *req, tn_stream **stream) {
    tn__web_ctx *c = tn__web_ctx_of(req);
    int rc;
    if (!c) return TN_EINVAL;
    if ((rc = tn_request_detach(req, stream)) != TN_OK) return rc;
    return TN_OK;   /* the finish callback ended the context */
}

#endif /* TN_HAS_WEB */
