/* web_internal.h: the web layer's private types, shared by web.c, web_args.c and web_cookie.c: internal, not API. */
#ifndef TN_WEB_INTERNAL_H
#define TN_WEB_INTERNAL_H
#include "web.h"
#include "internal.h"

#if TN_HAS_WEB
/* One module in three files (the app and response / request arguments / cookies out and
   XSRF): these types and functions are the web module's own, used by its files only. */
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
/* (the fields every request's calls read first: x86-64 reaches the struct's first 128
   bytes with a one-byte displacement; the captures and the XSRF bytes after) */
struct tn__web_ctx {
    tn_app *app;
    tn_request *req;                /* NULL once the request is gone */
    tn__web_ctx *next_free;
    tn_buf body;                    /* buffered response body */
    tn__web_block *blocks;
    int status;
    /* from here to m: zero when a request starts (tn__web_release clears it) */
    int refs;                       /* > 0 while the app is inside a call for this request */
    int started;                    /* head flushed */
    int finished;
    int async;
    int args_parsed;
    int xsrf_state;                 /* 0 not read, 1 from the cookie, 2 generated */
    int xsrf_failed;                /* streaming route: answer 403 once the body is drained */
    int rematched;                  /* streaming route: captures re-pointed after the head moved */
    size_t nargs, nfiles;
    tn_request_cb close_cb;
    void *close_user;
    void *data;
    tn_str xsrf;                    /* the masked token made for this request */
    size_t xsrf_raw_len;
    /* (kept between requests, or set for each) */
    tn_route_match m;
    tn_route_capture caps[TORNADO_MAX_ROUTE_CAPTURES];
    tn__web_arg *args;
    size_t args_cap;
    tn_web_file *files;
    size_t files_cap;
    unsigned char xsrf_raw[64];     /* xsrf_raw_len bytes valid */
    int64_t xsrf_ts;
};

/* (the options, over 200 bytes, after the fields the per-request code reads) */
struct tn_app {
    tn_loop *loop;
    const tn_allocator *a;
    char *secret;
    tn_router *router;
    tn_http_server *srv;
    tn__web_route *routes;
    tn__web_route not_found;        /* fn NULL: the default 404 */
    tn_error_page_fn error_fn;
    void *error_user;
    tn__web_ctx *free_ctx;
    size_t nfree;
    tn_multipart *mp;               /* one parser, reused (parsing never spans a callback) */
    size_t nstream;                 /* streaming routes */
    tn_request_cb stream_heads;     /* set by tn_app_route_stream (tn__web_on_headers): an app
                                       without streaming routes does not link that path */
    int (*finish_flushed)(tn__web_ctx *c);   /* set by the first flush (tn__web_flush): an app
                                       that never flushes does not link the chunked path */
    int closing;
    tn_cb close_cb;
    void *close_user;
    tn_app_opts opts;
};

#define TN__WEB_CTX_CACHE 256
#define TN__WEB_BLOCK 4096
#define TN__WEB_KEEP_BYTES 65536

/* web.c: per-request scratch memory and the context of a live request */
TN__PRIVATE char *tn__web_scratch(tn__web_ctx *c, size_t n);
TN__PRIVATE tn_str tn__web_copy(tn__web_ctx *c, const char *p, size_t n);
TN__PRIVATE tn__web_ctx *tn__web_ctx_of(const tn_request *req);
TN__PRIVATE int tn__web_error(tn__web_ctx *c, int status, const char *reason, const char *allow,
                              int (*escape)(tn_buf *, tn_str));
#endif /* TN_HAS_WEB */

#endif /* TN_WEB_INTERNAL_H */
