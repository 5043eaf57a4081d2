/* tcp.h: TCP server (listen, accept, connection cap, multi-process) and client connect (happy eyeballs). */
#ifndef TN_TCP_H
#define TN_TCP_H
#include "tls.h"

TN__BEGIN_DECLS

/* ---- server ---- */
typedef struct tn_tcp_server tn_tcp_server;

/* A new connection. s is ready for reads and writes and owned by the caller from now on
   (close it when done); peer is borrowed for the duration of the call. */
typedef void (*tn_tcp_conn_cb)(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user);

/* tn_tcp_server_opts: zero-init gives the defaults.
     stream           options of every accepted stream
     bind             options for tn_tcp_server_listen (family, backlog, reuse_port, ...)
     max_connections  0 = unlimited; at the cap the server stops accepting (connections
                      wait in the kernel's backlog) until one of its streams closes
     accept_batch     0 = TORNADO_ACCEPT_BATCH (128): accepts per readiness event
     nodelay          1: TCP_NODELAY on accepted sockets
     tls              NULL = plain TCP; else a server context (TORNADO_WITH_OPENSSL):
                      every accepted stream speaks TLS with it (tn_stream_start_tls), as
                      Tornado's TCPServer(ssl_options=...); the server keeps a reference.
                      Without OpenSSL built in, tn_tcp_server_new refuses it (TN_ENOTSUP) */
typedef struct tn_tcp_server_opts {
    tn_stream_opts stream;
    tn_bind_opts bind;
    size_t max_connections;
    int accept_batch;
    int nodelay;
    tn_tls_ctx *tls;
} tn_tcp_server_opts;

/* Create a server; it accepts nothing until a listen or add_socket.
   Returns TN_OK, TN_EINVAL, TN_ENOMEM. */
TN_API int tn_tcp_server_new(tn_loop *loop, const tn_tcp_server_opts *opts, tn_tcp_conn_cb cb, void *user,
                             tn_tcp_server **out);
/* Bind host:port (see tn_bind_sockets: NULL/"" = all interfaces, port 0 = a free port)
   and start accepting. May be called several times. Returns TN_OK or a bind error. */
TN_API int tn_tcp_server_listen(tn_tcp_server *srv, const char *host, int port);
/* Listen on a unix socket (mode 0 = 0600). */
TN_API int tn_tcp_server_listen_unix(tn_tcp_server *srv, const char *path, int mode);
/* Adopt an already-listening socket (e.g. bound before tn_fork_processes). The server owns
   it from now on. Returns TN_OK, TN_EINVAL, TN_ENOMEM, TN_EEXIST. */
TN_API int tn_tcp_server_add_socket(tn_tcp_server *srv, tn_socket fd);
/* The port of the first listening socket (-1 if none). */
TN_API int tn_tcp_server_port(const tn_tcp_server *srv);
/* Connections accepted and still open. */
TN_API size_t tn_tcp_server_connections(const tn_tcp_server *srv);
/* Stop accepting and close the listening sockets; open connections go on. */
TN_API void tn_tcp_server_stop(tn_tcp_server *srv);
/* Stop, then free the server once its last connection has closed: cb (may be NULL) runs
   then. Returns TN_OK or TN_ECLOSED. */
TN_API int tn_tcp_server_close(tn_tcp_server *srv, tn_cb cb, void *user);
TN_API void tn_tcp_server_set_user(tn_tcp_server *srv, void *user);
TN_API void *tn_tcp_server_get_user(const tn_tcp_server *srv);

/* ---- multi-process (POSIX) ---- */
/* Tornado's fork_processes: fork n children (n <= 0: one per CPU) and return in each child
   with *task_id in 0..n-1. The parent stays here: a child that exits abnormally (signal
   or non-zero status) is restarted with the same task id, at most max_restarts times in
   all (0 = 100). When every child has exited normally the parent returns TN_OK with
   *task_id = -1 (it should then exit). Too many restarts: TN_ELIMIT in the parent. Create
   loops only after this call. Returns TN_OK, TN_EINVAL, TN_ESYS (fork failed). */
TN_API int tn_fork_processes(int n, int max_restarts, int *task_id);
/* The task id given by tn_fork_processes in this process, or -1. */
TN_API int tn_task_id(void);
/* Online CPUs (at least 1). */
TN_API int tn_cpu_count(void);

/* ---- client ---- */
typedef struct tn_connector tn_connector;

/* The connection is up (status TN_OK, s owned by the caller), or failed: TN_ETIMEOUT,
   TN_EREFUSED, TN_EUNREACH, TN_ERESOLVE, TN_ECANCELED, ... with s NULL. */
typedef void (*tn_connect_cb)(int status, tn_stream *s, void *user);

/* tn_connect_opts: zero-init gives the defaults.
     family            TN_AF_UNSPEC (both), TN_AF_INET or TN_AF_INET6
     timeout_ms        0 = TORNADO_CONNECT_TIMEOUT_MS (20 s) for resolve + connect
     fallback_delay_ms 0 = TORNADO_HAPPY_EYEBALLS_DELAY_MS (300): head start of the first
                       address family before the other family is tried in parallel
     source_ip         NULL = any; else bind to this local IP before connecting
     source_port       0 = any
     resolver          NULL = blocking getaddrinfo; else the resolver (with its overrides)
     stream            options of the new stream */
typedef struct tn_connect_opts {
    int family;
    uint64_t timeout_ms;
    uint64_t fallback_delay_ms;
    const char *source_ip;
    int source_port;
    tn_resolver *resolver;
    tn_stream_opts stream;
} tn_connect_opts;

/* Connect to host:port. Addresses are split by family: the first address's family goes
   first, address by address; the other family starts after fallback_delay_ms or as soon
   as the first family has failed; the first connection up wins and the others are closed
   (Tornado's TCPClient). cb runs exactly once, from the loop. *out (may be NULL) is valid
   until cb runs, for tn_tcp_connect_cancel. Returns TN_OK, TN_EINVAL, TN_ENOMEM. */
TN_API int tn_tcp_connect(tn_loop *loop, const char *host, int port, const tn_connect_opts *opts,
                          tn_connect_cb cb, void *user, tn_connector **out);
/* Give up: cb runs with TN_ECANCELED (unless it already ran). */
TN_API void tn_tcp_connect_cancel(tn_connector *c);

TN__END_DECLS

#endif /* TN_TCP_H */
