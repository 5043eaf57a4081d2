/* web.h: web application layer: tn_app (routes, handlers), arguments, files, cookies, signed cookies, XSRF, ETag, errors. */
#ifndef TN_WEB_H
#define TN_WEB_H
#include "router.h"
#include "http_server.h"
#include "http_cookie.h"
#include "multipart.h"

#if TN_HAS_WEB
#if !defined(TN__PRINTF) && (defined(__GNUC__) || defined(__clang__))
#  define TN__PRINTF(f, a) __attribute__((format(printf, f, a)))
#elif !defined(TN__PRINTF)
#  define TN__PRINTF(f, a)
#endif
TN__BEGIN_DECLS

/* ---- tn_app: Tornado's Application + RequestHandler core --------------------------------
   An app owns a router and (after tn_app_listen) an HTTP server. For every request it
   matches the route (first match wins), answers 404 (or calls the not-found handler) and
   405 with Allow itself, checks XSRF when asked, and calls the route's handler with the
   request. HEAD is answered by GET handlers (the server sends no body).

   THE HANDLER works on the tn_request with the tn_web_* helpers below (Tornado's
   RequestHandler methods) and/or the server's own calls (tn_respond, tn_response_*):
       static void hello(tn_request *req, const tn_route_match *m, void *user) {
           tn_str name = tn_web_get_argument_or(req, "name", "world");
           tn_web_writef(req, "Hello, %.*s", (int)name.len, name.ptr);
       }   // finished on return, as a synchronous Tornado handler
   The response is finished when the handler returns (Tornado's synchronous handler)
   unless the handler finished it itself, or called tn_web_async(req) to answer later
   (then it must call tn_web_finish, tn_web_send_error, tn_web_redirect or tn_respond
   eventually, from the loop thread). Output written with tn_web_write is buffered until
   tn_web_flush or the finish; at the finish a 200 GET/HEAD response gets an ETag (quoted
   SHA-1 hex of the body, as Tornado) unless one was set, and If-None-Match turns it into a
   304 without a body (not under TORNADO_NO_ETAG, which leaves that out); a body without
   Content-Type gets "text/html; charset=UTF-8".
   A handler that streams with the server's tn_response_start / tn_response_write itself
   must call tn_web_async first (the app cannot see that a response was started).

   PER-REQUEST STATE lives in a context the app keeps in the request's user slot
   (tn_request_set_user): in app handlers use tn_web_set_data / tn_web_get_data and
   tn_web_on_close instead of the tn_request_* equivalents. Contexts and their scratch
   memory are cached by the app, so the steady state allocates nothing.

   LIFETIMES: every tn_str a tn_web_* call returns stays valid until the response is
   finished (or the close callback has run). One thread: the loop's. */
typedef struct tn_app tn_app;

/* A route handler. m holds the matched route and its raw captures (tn_web_path_arg
   decodes them); valid during the call. user is the pointer given to tn_app_route. */
typedef void (*tn_handler_fn)(tn_request *req, const tn_route_match *m, void *user);

/* An error page writer (Tornado's write_error): write the body with tn_web_write (headers
   may be set); the app finishes the response after it returns. reason is the reason
   phrase (never NULL). */
typedef void (*tn_error_page_fn)(tn_request *req, int status, const char *reason, void *user);

/* tn_app_opts: zero-init gives the defaults.
     server          options for the server tn_app_listen creates (on_headers must be NULL:
                     the app uses it for streaming routes; access_log is honoured)
     cookie_secret   HMAC key for signed cookies (copied); NULL: tn_web_*_secure_cookie
                     return TN_EINVAL
     key_version     Tornado's key_version written into signed values (0 = none)
     xsrf_cookies    1: Tornado's xsrf_cookies: POST, PUT, PATCH, DELETE (every method but
                     GET, HEAD, OPTIONS) need an _xsrf argument or an X-Xsrftoken /
                     X-Csrftoken header matching the _xsrf cookie, else 403; needs xsrf_check
     xsrf_check      the check xsrf_cookies runs: opts.xsrf_check = tn_web_check_xsrf (or a
                     function of yours). Naming it is what links the check and what it uses
                     (cookies, argument and multipart parsing: about 9 KB), so an app without
                     XSRF does not carry it; xsrf_cookies without it makes tn_app_new fail
                     with TN_EINVAL
     xsrf_cookie     attributes of the _xsrf cookie (zero = Path=/ only) */
typedef struct tn_app_opts {
    tn_http_server_opts server;
    const char *cookie_secret;
    unsigned key_version;
    int xsrf_cookies;
    tn_set_cookie_opts xsrf_cookie;
    int (*xsrf_check)(tn_request *req);
} tn_app_opts;

/* Create an app on loop. opts may be NULL (defaults); it is copied.
   Returns: TN_OK; TN_EINVAL (loop or out NULL, opts.server.on_headers set); TN_ENOMEM. */
TN_API int tn_app_new(tn_loop *loop, const tn_app_opts *opts, tn_app **out);
/* Add a route: methods and pattern as in tn_router_add ("GET", "GET,POST", "*" or NULL;
   "/users/{id}", "/static/{path*}"). Routes match in the order they were added.
   Returns: TN_OK; TN_EINVAL (bad pattern or methods: tn_router_last_error(tn_app_router(app))
   says why, and the loop's logger gets it at TN_LOG_WARN; fn NULL); TN_ELIMIT; TN_ENOMEM. */
TN_API int tn_app_route(tn_app *app, const char *methods, const char *pattern, tn_handler_fn fn, void *user);
/* A chunk of a streamed request body (Tornado's data_received): borrowed, valid during the
   call. May be called zero times (empty body). tn_request_pause / tn_request_resume give
   flow control. */
typedef void (*tn_data_fn)(tn_request *req, tn_str chunk, void *user);
/* Add a streaming route (Tornado's @stream_request_body): the route is matched as soon as
   the head arrives, on_data gets the body chunk by chunk (nothing is buffered, so
   max_body_size can be large), then fn runs as for tn_app_route. Body arguments and files
   are not parsed for these requests; with xsrf_cookies the token must come in a header
   (or the query).
   Returns: as tn_app_route (also TN_EINVAL when on_data is NULL). */
TN_API int tn_app_route_stream(tn_app *app, const char *methods, const char *pattern, tn_data_fn on_data,
                               tn_handler_fn fn, void *user);
/* Handle requests no route matches (default: tn_web_send_error 404). fn NULL restores it.
   m has no captures and route -1. No XSRF check runs before it. */
TN_API void tn_app_set_not_found(tn_app *app, tn_handler_fn fn, void *user);
/* Replace the default error page ("<html><title>404: Not Found</title><body>404: Not
   Found</body></html>"); fn NULL restores it. */
TN_API void tn_app_set_error_page(tn_app *app, tn_error_page_fn fn, void *user);
/* Listen on host:port (creating the app's server on the first call, with opts.server);
   port 0 picks a free port (tn_http_server_port(tn_app_server(app))). May be called again
   for more addresses. Returns: as tn_http_server_new and tn_http_server_listen. */
TN_API int tn_app_listen(tn_app *app, const char *host, int port);
/* The app's server (NULL before tn_app_listen), e.g. for listen_unix or the port. */
TN_API tn_http_server *tn_app_server(const tn_app *app);
/* The app's router (for tn_router_last_error, tn_router_count). */
TN_API tn_router *tn_app_router(const tn_app *app);
/* The resolved options (cookie_secret points at the app's copy). */
TN_API const tn_app_opts *tn_app_get_opts(const tn_app *app);
/* Close the server gracefully (as tn_http_server_close with deadline_ms), then free the
   app; cb (may be NULL) runs after that, from the loop, never inside this call.
   Returns: TN_OK; TN_EINVAL; TN_ECLOSED (already closing); TN_ENOMEM. */
TN_API int tn_app_close(tn_app *app, uint64_t deadline_ms, tn_cb cb, void *user);

/* ---- request helpers (app handlers only) ---- */
/* Per-request pointer for the handler (the request's user slot belongs to the app). */
TN_API void tn_web_set_data(tn_request *req, void *data);
TN_API void *tn_web_get_data(const tn_request *req);
/* Runs if the client leaves before the response is finished; the request is gone after. */
TN_API void tn_web_on_close(tn_request *req, tn_request_cb cb, void *user);
/* The app that dispatched req, or NULL when req did not come from an app. */
TN_API tn_app *tn_web_app(const tn_request *req);

/* A path capture by name, percent-decoded without '+' → space (Tornado's plus=False).
   Returns: TN_OK; TN_ENOENT (no such capture: *value empty); TN_ENOMEM. */
TN_API int tn_web_path_arg(tn_request *req, const char *name, tn_str *value);

/* Arguments, Tornado's get_argument: from the query and the body (urlencoded or
   multipart/form-data, parsed on first use for any method), decoded, control bytes other
   than \t \n \r replaced by spaces, surrounding whitespace stripped. The LAST value of a
   repeated name wins. Returns: TN_OK; TN_ENOENT (missing: *value empty). */
TN_API int tn_web_get_argument(tn_request *req, const char *name, tn_str *value);
/* The argument, or def (NULL = "") when missing. */
TN_API tn_str tn_web_get_argument_or(tn_request *req, const char *name, const char *def);
/* A required argument: when it is missing, a 400 error page is sent (Tornado's
   MissingArgumentError) and TN_ENOENT returned: the handler should just return. */
TN_API int tn_web_require_argument(tn_request *req, const char *name, tn_str *value);
/* Every value of name in order (query first, then body): writes up to cap into out and
   returns the total count (Tornado's get_arguments). */
TN_API size_t tn_web_get_arguments(tn_request *req, const char *name, tn_str *out, size_t cap);
/* Only the query (get_query_argument) or only the body (get_body_argument). */
TN_API int tn_web_get_query_argument(tn_request *req, const char *name, tn_str *value);
TN_API int tn_web_get_body_argument(tn_request *req, const char *name, tn_str *value);

/* tn_web_file: an uploaded file (a multipart part with a non-empty filename). */
typedef struct tn_web_file {
    tn_str name;          /* the form field name */
    tn_str filename;      /* as the client sent it (decoded; not a safe path!) */
    tn_str content_type;  /* "application/unknown" when the part had none (Tornado) */
    tn_str body;          /* the bytes (a slice of the request body) */
} tn_web_file;
/* Every uploaded file in order; *n gets the count (0: the array may be NULL). */
TN_API const tn_web_file *tn_web_get_files(tn_request *req, size_t *n);
/* The first file uploaded under field name, or NULL. */
TN_API const tn_web_file *tn_web_get_file(tn_request *req, const char *name);

/* A request cookie by name (last wins, quoted values decoded).
   Returns: TN_OK; TN_ENOENT; TN_ENOMEM. */
TN_API int tn_web_get_cookie(tn_request *req, const char *name, tn_str *value);
/* A signed cookie (Tornado v2, cookie_secret) no older than max_age_days (<= 0: 31);
   legacy version 1 values are read too, as Tornado's default min_version=1 does.
   Returns: TN_OK with the decoded value; TN_ENOENT (absent); TN_EBAD_SIGNATURE, TN_EPARSE,
   TN_EEXPIRED, TN_EBAD_ENCODING (forged, malformed or old: treat as absent; *value empty);
   TN_EINVAL (no cookie_secret); TN_ENOMEM. */
TN_API int tn_web_get_secure_cookie(tn_request *req, const char *name, double max_age_days, tn_str *value);
/* protocol "://" Host target, e.g. "http://example.com/a?b=1" (Tornado's full_url). */
TN_API tn_str tn_web_full_url(tn_request *req);

/* ---- response helpers ---- */
/* Status for the response (default 200). Returns: TN_OK; TN_EINVAL (not 100..999 or after
   the head was flushed). The status line carries the standard reason phrase (the server
   has no custom reasons yet; "Unknown" for unregistered codes); tn_web_send_error can put
   a custom reason in the error page. */
TN_API int tn_web_set_status(tn_request *req, int status);
TN_API int tn_web_get_status(const tn_request *req);
/* Set (replace, case-insensitive) / add / remove response headers before the head is
   flushed. Names must be tokens; values may not hold control bytes other than tab
   (no header injection). Returns: TN_OK; TN_EINVAL; TN_ENOMEM; clear: TN_ENOENT. */
TN_API int tn_web_set_header(tn_request *req, const char *name, const char *value);
TN_API int tn_web_add_header(tn_request *req, const char *name, const char *value);
TN_API int tn_web_clear_header(tn_request *req, const char *name);
/* The first response header value set so far (NUL-terminated), or NULL. */
TN_API const char *tn_web_get_header(const tn_request *req, const char *name);
/* Append body bytes to the response buffer (copied). Returns: TN_OK; TN_EINVAL
   (finished); TN_ENOMEM. */
TN_API int tn_web_write(tn_request *req, const void *data, size_t len);
TN_API int tn_web_write_str(tn_request *req, const char *s);
/* printf-style write. Returns as tn_web_write. */
TN_API int tn_web_writef(tn_request *req, const char *fmt, ...) TN__PRINTF(2, 3);
/* JSON: write s as a quoted JSON string ("a\"b", escaped with tn_json_escape). */
TN_API int tn_web_write_json_str(tn_request *req, tn_str s);
/* JSON: write json (an object the caller built) and set Content-Type
   "application/json; charset=UTF-8" (Tornado's write(dict)). */
TN_API int tn_web_write_json(tn_request *req, const char *json, size_t len);
/* Send the head (on the first flush; the body is then chunked) and what is buffered.
   cb (may be NULL) runs when those bytes reached the socket (backpressure), or with an
   error if the client left. Returns: TN_OK; TN_EINVAL; TN_ECLOSED; TN_ENOMEM. */
TN_API int tn_web_flush(tn_request *req, tn_response_cb cb, void *user);
/* Finish the response (ETag / 304 / Content-Type as described above). The request is
   released: do not touch it again. Returns: TN_OK; TN_EINVAL (already finished);
   TN_ECLOSED (client gone); TN_ENOMEM. */
TN_API int tn_web_finish(tn_request *req);
/* Keep the request open after the handler returns (answer later). */
TN_API void tn_web_async(tn_request *req);
/* Redirect to url (relative allowed) with status 301, 302, 303, 307 or 308 (0 = 302)
   and finish. Returns: TN_OK; TN_EINVAL (status, url with control bytes, head flushed). */
TN_API int tn_web_redirect(tn_request *req, const char *url, int status);
/* Tornado's send_error: discard unflushed output and headers, set status, write the error
   page (the app's hook or the default, reason xhtml-escaped; reason NULL = the standard
   phrase) and finish. After a flush it can only finish. Returns as tn_web_finish. */
TN_API int tn_web_send_error(tn_request *req, int status, const char *reason);
/* Take the connection over (see tn_request_detach) and release the app's state. */
TN_API int tn_web_detach(tn_request *req, tn_stream **stream);

/* ---- cookies out ---- */
/* Set-Cookie name=value with opts (NULL: Path=/). A second call for one name replaces
   the first. Returns: TN_OK; TN_EINVAL (see tn_set_cookie_format); TN_ENOMEM. */
TN_API int tn_web_set_cookie(tn_request *req, const char *name, tn_str value, const tn_set_cookie_opts *opts);
/* Expire the cookie (value "", Expires one year ago). Path and domain must match the
   ones it was set with; opts NULL = Path=/. */
TN_API int tn_web_clear_cookie(tn_request *req, const char *name, const tn_set_cookie_opts *opts);
/* Expire every cookie the request carried (Tornado's clear_all_cookies); opts as for
   tn_web_clear_cookie; names no Set-Cookie can carry are skipped. Returns: TN_OK;
   TN_EINVAL (bad opts or req); TN_ENOMEM. */
TN_API int tn_web_clear_all_cookies(tn_request *req, const tn_set_cookie_opts *opts);
/* Sign value (Tornado v2, cookie_secret, now) and set it. opts NULL: Path=/ and Expires
   in 30 days (Tornado's expires_days=30); with opts, its attributes as given.
   Returns: TN_OK; TN_EINVAL (no cookie_secret, bad name); TN_ENOMEM. */
TN_API int tn_web_set_secure_cookie(tn_request *req, const char *name, tn_str value, const tn_set_cookie_opts *opts);

/* ---- XSRF ---- */
/* The XSRF token for forms ("2|mask|masked token|timestamp", freshly masked each
   request, as Tornado 3.2.2+); sets the _xsrf cookie when the request had no valid one.
   Empty on failure (randomness or memory). */
TN_API tn_str tn_web_xsrf_token(tn_request *req);
/* <input type="hidden" name="_xsrf" value="TOKEN"/> for an HTML form. */
TN_API tn_str tn_web_xsrf_form_html(tn_request *req);
/* The check the app runs before handlers when xsrf_cookies is on (call it yourself
   otherwise). Returns: TN_OK; TN_EACCES (missing or wrong token; nothing is sent). */
TN_API int tn_web_check_xsrf(tn_request *req);

TN__END_DECLS
#endif /* TN_HAS_WEB */

#endif /* TN_WEB_H */
