/* net.h: sockets: addresses, binding (v4/v6, reuse_port, unix), resolvers (blocking, threaded, override table). */
#ifndef TN_NET_H
#define TN_NET_H
#include "loop.h"

TN__BEGIN_DECLS

/* ---- addresses ---- */
enum { TN_AF_UNSPEC = 0, TN_AF_UNIX = 1, TN_AF_INET = 4, TN_AF_INET6 = 6 };

/* tn_addr: a socket address of any family (holds a struct sockaddr_storage). */
typedef struct tn_addr {
    union { uint64_t align_; unsigned char bytes[128]; } u;   /* the sockaddr */
    uint32_t len;                                            /* its length; 0 = empty */
} tn_addr;

/* Split "host:port", "[v6]:port", "host" or "[v6]" (Tornado's split_host_and_port).
   *host: slice of netloc (IPv6 without brackets). *port: 0..65535, or -1 when absent or
   empty ("host:"). An unbracketed string with several ':' (a bare IPv6 address) is all
   host. The host is not checked (tn_url_parse_host_port does that). Returns: TN_OK;
   TN_EBAD_URL (non-digit or out-of-range port, unclosed '[', bytes after ']').
   Unlike Tornado, "h:abc" is an error rather than a host named "h:abc". */
TN_API int tn_split_host_port(tn_str netloc, tn_str *host, int *port);

/* Room for any text tn_addr_format writes (a unix path included). */
#define TN_ADDR_STRLEN 128

/* An address from an IP literal ("127.0.0.1", "::1", "[::1]") and a port.
   Returns TN_OK or TN_EINVAL (not an IP literal, or port outside 0..65535). */
TN_API int tn_addr_from_ip(const char *ip, int port, tn_addr *out);
/* An AF_UNIX address. Returns TN_OK or TN_EINVAL (path empty or too long). */
TN_API int tn_addr_from_unix(const char *path, tn_addr *out);
/* TN_AF_INET, TN_AF_INET6, TN_AF_UNIX, or TN_AF_UNSPEC (empty/unknown). */
TN_API int tn_addr_family(const tn_addr *a);
/* The port, or -1 for families without one. */
TN_API int tn_addr_port(const tn_addr *a);
/* Set the port of an IP address. Returns TN_OK or TN_EINVAL. */
TN_API int tn_addr_set_port(tn_addr *a, int port);
/* The IP as text ("::1", no brackets), or the unix path. Returns the length or TN_EINVAL
   (TN_EBUFFER_FULL if n is too small; TN_ADDR_STRLEN always suffices). */
TN_API int tn_addr_ip(const tn_addr *a, char *buf, size_t n);
/* "127.0.0.1:8888", "[::1]:8888" or "unix:/path". Returns the length or an error as above. */
TN_API int tn_addr_format(const tn_addr *a, char *buf, size_t n);
/* 1 if two addresses are the same family, IP and port (or path), else 0. */
TN_API int tn_addr_equal(const tn_addr *a, const tn_addr *b);
/* 1 if s is an IPv4 or IPv6 literal (no brackets, no port); 0 otherwise ("" included). */
TN_API int tn_is_valid_ip(const char *s);

/* ---- sockets ---- */
/* Close a socket (EINTR is not retried: the fd is gone either way). */
TN_API void tn_socket_close(tn_socket fd);
/* The local / peer address of a socket. Returns TN_OK or an error code. */
TN_API int tn_socket_local_addr(tn_socket fd, tn_addr *out);
TN_API int tn_socket_peer_addr(tn_socket fd, tn_addr *out);

/* tn_bind_opts: options for tn_bind_sockets; zero-init gives Tornado's defaults.
     family      TN_AF_UNSPEC: every address the host resolves to (v4 and v6)
     backlog     0 = TORNADO_BACKLOG (1024)
     reuse_port  SO_REUSEPORT (several processes share the port); TN_ENOTSUP if missing
     dual_stack  0: IPv6 sockets are v6-only (IPV6_V6ONLY, as Tornado); 1: also accept v4 */
typedef struct tn_bind_opts {
    int family;
    int backlog;
    int reuse_port;
    int dual_stack;
} tn_bind_opts;

/* Create listening sockets for host:port, one per resolved address (duplicates skipped).
   host NULL or "" = all interfaces (v4 and v6); a name listens on all its addresses.
   port 0 picks a free port, the same one for every family. Sockets are non-blocking,
   close-on-exec, SO_REUSEADDR. Up to cap fds are stored in out and *n_out is set.
   Blocking (getaddrinfo): call before the loop runs. Returns TN_OK, TN_ERESOLVE,
   TN_EADDRINUSE, TN_EACCES, TN_ENOTSUP (reuse_port), TN_ELIMIT (more than cap), ...
   On error no socket is left open. */
TN_API int tn_bind_sockets(const char *host, int port, const tn_bind_opts *opts,
                           tn_socket *out, size_t cap, size_t *n_out);
/* A listening unix socket at path: a stale socket file there is removed; any other kind
   of file is TN_EEXIST. mode 0 = 0600; backlog 0 = TORNADO_BACKLOG. */
TN_API int tn_bind_unix(const char *path, int mode, int backlog, tn_socket *out);

/* ---- resolvers ---- */
typedef struct tn_resolver tn_resolver;
typedef struct tn_resolve_req tn_resolve_req;

/* Result of a resolve: status TN_OK with n >= 1 addresses (port filled in), or an error
   (TN_ERESOLVE, TN_ECANCELED, TN_ENOMEM) with n = 0. addrs is borrowed: valid until the
   callback returns. */
typedef void (*tn_resolve_cb)(int status, const tn_addr *addrs, size_t n, void *user);

enum { TN_RESOLVER_BLOCKING = 0, TN_RESOLVER_THREADED = 1 };

/* tn_resolver_opts: zero-init = a blocking resolver.
     kind     TN_RESOLVER_BLOCKING: getaddrinfo on the loop thread (blocks the loop; the
              result is delivered on a later iteration, like Tornado's BlockingResolver).
              TN_RESOLVER_THREADED: a pool of threads, results posted back to the loop
              (TN_ENOTSUP under TORNADO_NO_THREADS).
     threads  pool size, 0 = TORNADO_RESOLVER_THREADS (4) */
typedef struct tn_resolver_opts {
    int kind;
    int threads;
} tn_resolver_opts;

TN_API int tn_resolver_new(tn_loop *loop, const tn_resolver_opts *opts, tn_resolver **out);
/* Map a name before resolving (Tornado's OverrideResolver; tests and firmware).
   from: "host" (any port) or "host:port" (that port only; wins over "host").
   to:   one or more comma-separated targets, each "ip", "ip:port", "[v6]:port", or a host
         name (resolved normally, port kept unless given). Order is kept.
   Returns TN_OK, TN_EINVAL, TN_ENOMEM. */
TN_API int tn_resolver_add_override(tn_resolver *r, const char *from, const char *to);
/* Resolve host for a TCP connection on port. family TN_AF_UNSPEC, TN_AF_INET or
   TN_AF_INET6. IP literals resolve without a lookup. cb is called exactly once on a later
   iteration (never inside this call). *out (may be NULL) identifies the request for
   tn_resolve_cancel until cb runs. r may be NULL: a blocking lookup without overrides on
   loop. Returns TN_OK (cb will run), TN_EINVAL, TN_ENOMEM, TN_ECLOSED. */
TN_API int tn_resolve(tn_loop *loop, tn_resolver *r, const char *host, int port, int family,
                      tn_resolve_cb cb, void *user, tn_resolve_req **out);
/* Cancel a request whose callback has not run: it will run with TN_ECANCELED. */
TN_API void tn_resolve_cancel(tn_resolve_req *req);
/* Close: pending requests finish with TN_ECANCELED, worker threads stop, then cb (may be
   NULL) runs in the closing phase and the resolver is freed. */
TN_API int tn_resolver_close(tn_resolver *r, tn_cb cb, void *user);

TN__END_DECLS

#endif /* TN_NET_H */
