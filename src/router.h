/* router.h: web router: method + path patterns with named captures, first match wins, 404/405. */
#ifndef TN_ROUTER_H
#define TN_ROUTER_H
#include "base.h"

#if TN_HAS_WEB
TN__BEGIN_DECLS

/* ---- router ------------------------------------------------------------------------------
   A pure table from (method, path) to an opaque handler pointer: no I/O, no loop. Routes are
   tried in the order they were added and the first that matches wins (Tornado's rule). The
   router allocates only in tn_router_new and tn_router_add; matching allocates nothing.

   PATTERNS  (validated by tn_router_add; anything else is TN_EINVAL)
     /users            literal segments, compared byte for byte with the raw path
     /users/{id}       {name}: one whole segment, non-empty, never containing '/'
     /files/{name}.txt a capture may have a literal prefix and suffix inside its segment
                       (one capture per segment; the capture itself is never empty)
     /static/{path*}   {name*}: the rest of the path after "/static/", possibly empty and
                       containing '/'; only as the whole last segment. "/static" (no slash)
                       does not match it.
     /static/{*}       an unnamed rest capture (reported with an empty name); a last
                       segment of just '*' means the same
     /a/?              a trailing "/?" makes the final slash optional: /a and /a/ both match
   Names are [A-Za-z_][A-Za-z0-9_]*, unique within a pattern, at most
   TORNADO_MAX_ROUTE_CAPTURES per pattern. Literal bytes are RFC 3986 path characters
   (A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) + , ; = : @) and %HH escapes; '*' only as a whole last
   segment; no empty segment except the last ("/a/" is a route of its own). A segment may
   not start with ':' followed by a name ("/users/:id" is TN_EINVAL: write "/users/{id}");
   ':' anywhere else is a literal ("/v1/{name}:cancel").

   TRAILING SLASH  strict by default: "/a" and "/a/" are different routes; add "/a/?" to
   accept both with one route.

   PATHS  tn_router_match looks at the raw path bytes only (the caller strips "?query"):
   they must start with '/' and hold no NUL byte, else TN_EINVAL (a 400 at the server).
   Nothing is decoded or normalised first: "%2F" is not a separator, "/a/../b" is three
   segments, and a literal matches only the exact bytes written in the pattern. Capture
   values are slices of the path, still percent-encoded: decode them with tn_url_unescape.

   METHODS  compared case-sensitively (RFC 9110 §9.1). A HEAD request matches a GET route
   when no route for the path names HEAD itself (explicitly, or with "*"), because servers
   answer HEAD like GET (RFC 9110 §9.3.2); the server then sends no body.

   THREADS  adding needs the router to itself; once built, a router may be matched from
   several threads at once (tn_router_match and tn_router_allow only read it). */
typedef struct tn_router tn_router;

/* tn_route_capture: one named capture of a match. Both slices stay valid as long as the
   path given to tn_router_match (value) and the router (name) do. */
typedef struct tn_route_capture {
    tn_str name;    /* the name from the pattern; empty for the unnamed catch-all {*} */
    tn_str value;   /* raw bytes of the path (still percent-encoded); may be empty only
                       for a rest capture */
} tn_route_capture;

/* tn_route_match: in/out of tn_router_match. Set captures/max_captures (the caller's array
   and its capacity; NULL/0 when the routes have no captures); the rest is output. An
   array of TORNADO_MAX_ROUTE_CAPTURES entries is always large enough. */
typedef struct tn_route_match {
    tn_route_capture *captures;  /* in: caller's array, filled in pattern order */
    size_t max_captures;         /* in: its capacity */
    size_t num_captures;         /* out: captures of the matched route (also when they did
                                    not fit: TN_EBUFFER_FULL) */
    void *handler;               /* out: the route's handler; the not-found handler on
                                    TN_ENOENT; NULL otherwise */
    void *user;                  /* out: the route's (or not-found) user pointer */
    int route;                   /* out: index of the matched route in adding order, or -1 */
    tn_str pattern;              /* out: the matched route's pattern (owned by the router) */
} tn_route_match;

/* Create an empty router. alloc (copied; may be NULL = libc) serves every allocation.
   Returns: TN_OK with *out set; TN_EINVAL (partial allocator); TN_ENOMEM. */
TN_API int tn_router_new(const tn_allocator *alloc, tn_router **out);

/* Free the router and everything it owns (NULL is fine). Match results that point at
   pattern text or capture names become invalid. */
TN_API void tn_router_free(tn_router *router);

/* Append a route. methods: one method ("GET"), a comma-separated list ("GET,HEAD" or
   "GET, POST"), or "*" (or NULL) for any method; each a token (RFC 9110 §5.6.2). pattern:
   see PATTERNS above; both strings are copied. handler and user are returned by a match
   as given (handler is opaque: to route to a function, point it at a record holding the
   function pointer, since ISO C cannot convert function pointers to void *).
   Returns: TN_OK; TN_EINVAL (bad method list or pattern: tn_router_last_error says why and
   where; the router is unchanged); TN_ELIMIT (more than TORNADO_MAX_ROUTE_CAPTURES
   captures, or too many routes); TN_ENOMEM (the router is unchanged). */
TN_API int tn_router_add(tn_router *router, const char *methods, const char *pattern, void *handler,
                         void *user);

/* Why the last tn_router_add failed, e.g. "pattern \"/a/{x\" at byte 4: '{' is not
   closed", or "" after a success. Owned by the router, valid until the next add. */
TN_API const char *tn_router_last_error(const tn_router *router);

/* Set the handler returned (with TN_ENOENT) when no pattern matches a path: Tornado's
   default_handler_class. NULL/NULL (the default) returns no handler. */
TN_API void tn_router_set_not_found(tn_router *router, void *handler, void *user);

/* Match a request. method is the request method (case-sensitive); path the raw path
   without the query (see PATHS). First added route whose pattern and method both match
   wins; HEAD falls back to GET routes (see METHODS).
   Returns: TN_OK with m->handler, user, route, pattern and captures;
            TN_ENOENT: no pattern matches the path (404); m->handler/user are the
              not-found handler's (NULL if none set), no captures;
            TN_EMETHOD_NOT_ALLOWED: some pattern matches the path, none with this method
              (405; tn_router_allow gives the Allow header value);
            TN_EBUFFER_FULL: a route matched but has more captures than m->max_captures
              (handler, user, route, pattern and num_captures are set; the first
              max_captures captures are written);
            TN_EINVAL: path empty, not starting with '/', or containing NUL; method empty.
   Never allocates. Time: linear in the path length for each candidate route, and only
   routes whose leading literal segments equal the path's are candidates (in a
   size-optimized build, -Os, every route is: it has no trie, and matches the same). */
TN_API int tn_router_match(const tn_router *router, tn_str method, tn_str path, tn_route_match *m);

/* The value of a capture by name, from a successful match. Returns: 1 with *value set (value
   may be NULL), or 0 when the matched route has no such capture. */
TN_API int tn_route_match_get(const tn_route_match *m, const char *name, tn_str *value);

/* Format the Allow header value for a path: every method of every route whose pattern
   matches it, each once, standard methods first in the order GET, HEAD, POST, PUT, DELETE,
   PATCH, OPTIONS, TRACE, CONNECT, then other methods in the order routes name them; joined
   by ", " (e.g. "GET, HEAD, POST"). HEAD is listed when a GET route matches (see METHODS);
   a "*" route contributes all nine standard methods. Writes into out (cap bytes; a NUL
   follows when room remains); *out_len (may be NULL) gets the length, also on
   TN_EBUFFER_FULL (call with cap 0 to learn the size).
   Returns: TN_OK; TN_ENOENT (no pattern matches: empty value); TN_EBUFFER_FULL; TN_EINVAL
   (bad path, as for tn_router_match). */
TN_API int tn_router_allow(const tn_router *router, tn_str path, char *out, size_t cap, size_t *out_len);

/* The number of routes added. */
TN_API size_t tn_router_count(const tn_router *router);

TN__END_DECLS
#endif /* TN_HAS_WEB */

#endif /* TN_ROUTER_H */
