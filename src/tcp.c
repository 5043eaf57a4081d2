/* tcp.c: tcp server (accept batches, connection cap), fork_processes, happy-eyeballs connect. */
#include "tcp.h"
#include "internal.h"

/* ---- server ---- */
/* Each accepted connection carries the server's record at the start of the area allocated
   with its stream (tn__stream_extra): the links of the server's connection list. A protocol
   layer's per-connection state follows it (tn__tcp_server_set_conn_extra, tn__tcp_conn_state). */
typedef struct tn__tcp_conn tn__tcp_conn;
struct tn__tcp_conn { tn__tcp_conn *prev, *next; };
#define TN__TCP_CONN_SIZE ((sizeof(tn__tcp_conn) + 7u) & ~(size_t)7u)   /* keeps the state 8-byte aligned */

struct tn_tcp_server {
    tn__handle h;                  /* h.pending counts open connections: no finalise before 0 */
    tn__stream_owner owner;        /* each accepted stream points here */
    tn_tcp_conn_cb cb;
    void *user;
    tn_socket *fds;                /* listening sockets */
    size_t nfds, fds_cap;
    size_t conns;
    tn__tcp_conn *first;           /* open connections (O(1) insert and remove) */
    int paused;                    /* not accepting: at the cap, or waiting out EMFILE */
    int stopped;
    tn_timer_id retry_timer;
    size_t conn_extra;             /* bytes allocated with each accepted stream for a protocol
                                      layer's connection state (tn__tcp_conn_state) */
    tn_cb close_cb;
    void *close_user;
    void *uptr;
    tn_tcp_server_opts opts;       /* (last: the fields above within one-byte displacements) */
};

#define TN__ACCEPT_RETRY_MS 100

TN__PRIVATE void tn__tcp_srv_set_accepting(tn_tcp_server *srv, int on) {
    size_t i;
    srv->paused = !on;
    for (i = 0; i < srv->nfds; i++) (void)tn_loop_update_fd(srv->h.loop, srv->fds[i], on ? TN_EV_READ : 0);
}

TN__PRIVATE int tn__tcp_srv_at_cap(const tn_tcp_server *srv) {
    return srv->opts.max_connections && srv->conns >= srv->opts.max_connections;
}

TN__PRIVATE void tn__tcp_srv_retry(tn_loop *loop, void *user) {
    tn_tcp_server *srv = (tn_tcp_server *)user;
    (void)loop;
    srv->retry_timer = 0;
    if (!srv->stopped && !tn__tcp_srv_at_cap(srv)) tn__tcp_srv_set_accepting(srv, 1);
}

/* Bytes of protocol state to allocate (zeroed) with each accepted connection from now on. */
TN__PRIVATE void tn__tcp_server_set_conn_extra(tn_tcp_server *srv, size_t n) { srv->conn_extra = n; }

/* A connection's record, its stream, and the protocol state after the record. */
TN__PRIVATE tn__tcp_conn *tn__tcp_conn_of(tn_stream *s) { return (tn__tcp_conn *)tn__stream_extra(s); }
TN__PRIVATE tn_stream *tn__tcp_conn_stream_of(tn__tcp_conn *c) { return tn__stream_from_extra(c); }
TN__PRIVATE void *tn__tcp_conn_state(tn_stream *s) { return (char *)tn__stream_extra(s) + TN__TCP_CONN_SIZE; }
TN__PRIVATE tn_stream *tn__tcp_conn_stream(void *state) {
    return tn__tcp_conn_stream_of((tn__tcp_conn *)(void *)((char *)state - TN__TCP_CONN_SIZE));
}

/* The server that accepted s, or NULL. */
TN__PRIVATE tn_tcp_server *tn__tcp_conn_server(const tn_stream *s) {
    tn__stream_owner *o = tn__stream_get_owner(s);
    return o ? (tn_tcp_server *)(void *)((char *)o - offsetof(tn_tcp_server, owner)) : NULL;
}

/* The user given to tn_tcp_server_new by the server that accepted s (NULL if none). */
TN__PRIVATE void *tn__tcp_conn_server_user(const tn_stream *s) {
    tn_tcp_server *srv = tn__tcp_conn_server(s);
    return srv ? srv->user : NULL;
}

/* Call fn for each open connection of srv (fn may close the one it is given: streams are
   freed only in the loop's closing phase, after this returns). */
TN__PRIVATE void tn__tcp_server_each(tn_tcp_server *srv, void (*fn)(tn_stream *s, void *ctx), void *ctx) {
    tn__tcp_conn *c, *next;
    for (c = srv->first; c; c = next) {
        next = c->next;
        fn(tn__tcp_conn_stream_of(c), ctx);
    }
}

TN__PRIVATE void tn__tcp_srv_conn_freed(tn_stream *s, tn__stream_owner *o) {
    tn_tcp_server *srv = tn__tcp_conn_server(s);
    tn__tcp_conn *c = tn__tcp_conn_of(s);
    (void)o;
    if (c->prev) c->prev->next = c->next;
    else srv->first = c->next;
    if (c->next) c->next->prev = c->prev;
    srv->conns--;
    srv->h.pending--;
    if (srv->paused && !srv->stopped && !srv->retry_timer && !tn__tcp_srv_at_cap(srv)) tn__tcp_srv_set_accepting(srv, 1);
}

TN__PRIVATE void tn__tcp_srv_on_accept(tn_loop *loop, tn_socket lfd, int events, void *user) {
    tn_tcp_server *srv = (tn_tcp_server *)user;
    int i;
    (void)events;
    for (i = 0; i < srv->opts.accept_batch && !srv->stopped; i++) {
        tn_addr peer;
        tn_stream *s;
        tn__tcp_conn *c;
        tn_socket fd = TN_INVALID_SOCKET;
        int rc;
        if (tn__tcp_srv_at_cap(srv)) {
            tn__tcp_srv_set_accepting(srv, 0);
            break;
        }
        rc = tn__net_accept(lfd, &fd, &peer);
        if (rc == TN_EAGAIN) break;
        if (rc == TN_ERESET) continue;   /* aborted before we got to it */
        if (rc != TN_OK) {
            /* out of fds or memory: pause instead of spinning on a level-triggered fd */
            TN__LLOG(loop, TN_LOG_WARN, rc, "accept failed; pausing %d ms", TN__ACCEPT_RETRY_MS);
            /* (no timer, no pause: the retry runs from the loop, after this returns) */
            tn__tcp_srv_set_accepting(
                srv, tn_loop_call_later(loop, TN__ACCEPT_RETRY_MS, tn__tcp_srv_retry, srv, &srv->retry_timer) != 0);
            break;
        }
        rc = tn__stream_new_own_socket(loop, fd, &srv->opts.stream, TN__TCP_CONN_SIZE + srv->conn_extra, &s);
        if (rc != 0) {
            TN__LLOG(loop, TN_LOG_WARN, rc, "dropping connection");
            tn__fd_close(fd);
            continue;
        }
        if (srv->opts.nodelay) (void)tn_stream_set_nodelay(s, 1);
        tn__stream_set_owner(s, &srv->owner);
        c = tn__tcp_conn_of(s);
        c->next = srv->first;
        if (srv->first) srv->first->prev = c;
        srv->first = c;
        srv->conns++;
        srv->h.pending++;
#if TN_HAS_OPENSSL
        if (srv->opts.tls && (rc = tn_stream_start_tls(s, srv->opts.tls, NULL, NULL, NULL)) != 0) {
            TN__LLOG(loop, TN_LOG_WARN, rc, "dropping connection: TLS could not start");
            (void)tn_stream_close(s, NULL, NULL);   /* counted until its memory goes */
            continue;
        }
#endif
        srv->cb(srv, s, &peer, srv->user);
    }
}

TN__PRIVATE void tn__tcp_srv_finalize(tn__handle *h) {
    tn_tcp_server *srv = (tn_tcp_server *)h;
    tn_loop *loop = h->loop;
    if (srv->close_cb) srv->close_cb(loop, srv->close_user);
#if TN_HAS_OPENSSL
    tn_tls_ctx_free(srv->opts.tls);
#endif
    tn__free(tn__loop_alloc(loop), srv->fds);
    tn__free(tn__loop_alloc(loop), srv);
}
static const tn__handle_type tn__tcp_server_type = { "tcp_server", tn__tcp_srv_finalize };

TN__PRIVATE void tn__tcp_server_opts_resolve(const tn_tcp_server_opts *in, tn_tcp_server_opts *o) {
    memset(o, 0, sizeof *o);
    if (in) *o = *in;
    o->accept_batch = TN__DEF(o->accept_batch, TORNADO_ACCEPT_BATCH);
    if (o->accept_batch < 1) o->accept_batch = 1;
}

TN_API int tn_tcp_server_new(tn_loop *loop, const tn_tcp_server_opts *opts, tn_tcp_conn_cb cb, void *user,
                             tn_tcp_server **out) {
    tn_tcp_server *srv;
    if (!loop || !cb || !out) return TN_EINVAL;
    *out = NULL;
#if !TN_HAS_OPENSSL
    if (opts && opts->tls) return TN_ENOTSUP;
#endif
    srv = (tn_tcp_server *)tn__calloc(tn__loop_alloc(loop), sizeof *srv);
    if (!srv) return TN_ENOMEM;
    tn__tcp_server_opts_resolve(opts, &srv->opts);
#if TN_HAS_OPENSSL
    if (srv->opts.tls) tn__tls_ctx_ref(srv->opts.tls);   /* kept until the server goes */
#endif
    srv->cb = cb;
    srv->user = user;
    srv->owner.on_free = tn__tcp_srv_conn_freed;
    tn__handle_init(loop, &srv->h, &tn__tcp_server_type);
    *out = srv;
    return TN_OK;
}

/* Watch a listening socket that is already non-blocking and close-on-exec. */
TN__PRIVATE int tn__tcp_srv_add(tn_tcp_server *srv, tn_socket fd) {
    int rc;
    if (srv->h.closing) return TN_ECLOSED;
    if ((rc = tn__grow(tn__loop_alloc(srv->h.loop), (void **)&srv->fds, &srv->fds_cap, srv->nfds + 1, sizeof(tn_socket))) != 0) return rc;
    rc = tn__loop_add_fd(srv->h.loop, fd, srv->paused ? 0 : TN_EV_READ, tn__tcp_srv_on_accept, srv, 1);
    if (rc != 0) return rc;
    srv->fds[srv->nfds++] = fd;
    srv->stopped = 0;
    return TN_OK;
}

TN_API int tn_tcp_server_add_socket(tn_tcp_server *srv, tn_socket fd) {
    int rc;
    if (!srv || fd == TN_INVALID_SOCKET) return TN_EINVAL;
    if (srv->h.closing) return TN_ECLOSED;
    if ((rc = tn__fd_setup(fd)) != 0) return rc;
    return tn__tcp_srv_add(srv, fd);
}

TN_API int tn_tcp_server_listen(tn_tcp_server *srv, const char *host, int port) {
    tn_socket fds[16];
    size_t n = 0, i;
    int rc;
    if (!srv) return TN_EINVAL;
    if ((rc = tn_bind_sockets(host, port, &srv->opts.bind, fds, 16, &n)) != 0) {
        TN__LLOG(srv->h.loop, TN_LOG_WARN, rc, "listen on %s port %d failed", host && *host ? host : "*", port);
        return rc;
    }
    for (i = 0; i < n; i++) {   /* (tn_bind_sockets made them non-blocking, close-on-exec) */
        if (rc == TN_OK) rc = tn__tcp_srv_add(srv, fds[i]);
        if (rc != TN_OK) tn__fd_close(fds[i]);   /* the one refused and the rest: not watched */
    }
    return rc;
}

TN_API int tn_tcp_server_listen_unix(tn_tcp_server *srv, const char *path, int mode) {
    tn_socket fd = TN_INVALID_SOCKET;
    int rc;
    if (!srv) return TN_EINVAL;
    if ((rc = tn_bind_unix(path, mode, srv->opts.bind.backlog, &fd)) != 0) {
        TN__LLOG(srv->h.loop, TN_LOG_WARN, rc, "listen on unix socket %s failed", path ? path : "(null)");
        return rc;
    }
    if ((rc = tn__tcp_srv_add(srv, fd)) != 0) tn__fd_close(fd);
    return rc;
}

TN_API int tn_tcp_server_port(const tn_tcp_server *srv) {
    tn_addr a;
    if (!srv || srv->nfds == 0 || tn_socket_local_addr(srv->fds[0], &a) != 0) return -1;
    return tn_addr_port(&a);
}

TN_API size_t tn_tcp_server_connections(const tn_tcp_server *srv) { return srv->conns; }

TN_API void tn_tcp_server_stop(tn_tcp_server *srv) {
    size_t i;
    if (!srv) return;
    for (i = 0; i < srv->nfds; i++) {
        (void)tn_loop_remove_fd(srv->h.loop, srv->fds[i]);
        tn__fd_close(srv->fds[i]);
    }
    srv->nfds = 0;
    srv->stopped = 1;
    if (srv->retry_timer) (void)tn_loop_cancel(srv->h.loop, srv->retry_timer);
    srv->retry_timer = 0;
}

TN_API int tn_tcp_server_close(tn_tcp_server *srv, tn_cb cb, void *user) {
    if (!srv) return TN_EINVAL;
    if (srv->h.closing) return TN_ECLOSED;
    tn_tcp_server_stop(srv);
    srv->close_cb = cb;
    srv->close_user = user;
    return tn__handle_close(&srv->h);
}

TN_API void tn_tcp_server_set_user(tn_tcp_server *srv, void *user) { srv->uptr = user; }
TN_API void *tn_tcp_server_get_user(const tn_tcp_server *srv) { return srv->uptr; }

/* ---- fork_processes ---- */
static int tn__task_id_value = -1;

TN_API int tn_task_id(void) { return tn__task_id_value; }

TN_API int tn_cpu_count(void) { return tn__cpu_count(); }

#if !TN__HAVE_FORK
TN_API int tn_fork_processes(int n, int max_restarts, int *task_id) {   /* no fork(): Windows */
    (void)n;
    (void)max_restarts;
    if (task_id) *task_id = -1;
    return TN_ENOTSUP;
}
#else
TN_API int tn_fork_processes(int n, int max_restarts, int *task_id) {
    pid_t *pids;
    int i, alive = 0, restarts = 0;
    if (!task_id || tn__task_id_value >= 0) return TN_EINVAL;
    if (n <= 0) n = tn_cpu_count();
    if (max_restarts <= 0) max_restarts = 100;
    *task_id = -1;
    pids = (pid_t *)calloc((size_t)n, sizeof *pids);
    if (!pids) return TN_ENOMEM;
    for (i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            free(pids);
            return tn__last_err();
        }
        if (pid == 0) {
            free(pids);
            tn__task_id_value = i;
            *task_id = i;
            return TN_OK;
        }
        pids[i] = pid;
        alive++;
    }
    while (alive > 0) {
        int status = 0, id = -1, j;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (j = 0; j < n; j++)
            if (pids[j] == pid) id = j;
        if (id < 0) continue;   /* not one of ours */
        pids[id] = 0;
        alive--;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) continue;   /* clean exit: not restarted */
        if (++restarts > max_restarts) {
            free(pids);
            return TN_ELIMIT;
        }
        pid = fork();
        if (pid < 0) {
            free(pids);
            return tn__last_err();
        }
        if (pid == 0) {
            free(pids);
            tn__task_id_value = id;
            *task_id = id;
            return TN_OK;
        }
        pids[id] = pid;
        alive++;
    }
    free(pids);
    return TN_OK;
}
#endif

/* ---- client: happy-eyeballs connect ---- */
struct tn_connector {
    tn__handle h;                  /* h.pending: the resolve request while it is out */
    tn__defer done_d;              /* delivers the result from the loop */
    tn_connect_opts opts;
    char *source_ip;
    tn_connect_cb cb;
    void *user;
    tn_resolve_req *req;
    tn_addr *addrs;
    size_t naddrs;
    size_t *chain[2];              /* address indices: [0] first family, [1] the other */
    size_t len[2], pos[2];
    int started[2];
    tn_socket fd[2];               /* attempt in flight per chain, TN_INVALID_SOCKET if none */
    tn_timer_id timeout_timer, fallback_timer;
    int last_err;
    int done;
    int status;
    tn_stream *result;
};

TN__PRIVATE void tn__tcp_cx_try(tn_connector *c, int chain);

TN__PRIVATE void tn__tcp_cx_drop_attempt(tn_connector *c, int chain) {
    if (c->fd[chain] != TN_INVALID_SOCKET) {
        (void)tn_loop_remove_fd(c->h.loop, c->fd[chain]);
        tn__fd_close(c->fd[chain]);
        c->fd[chain] = TN_INVALID_SOCKET;
    }
}

/* Settle the connector (once): attempts and timers go, the callback is deferred. */
TN__PRIVATE void tn__tcp_cx_finish(tn_connector *c, int status, tn_stream *s) {
    tn_loop *loop = c->h.loop;
    if (c->done) return;
    c->done = 1;
    c->status = status;
    c->result = s;
    tn__tcp_cx_drop_attempt(c, 0);
    tn__tcp_cx_drop_attempt(c, 1);
    if (c->timeout_timer) (void)tn_loop_cancel(loop, c->timeout_timer);
    if (c->fallback_timer) (void)tn_loop_cancel(loop, c->fallback_timer);
    c->timeout_timer = c->fallback_timer = 0;
    if (c->req) tn_resolve_cancel(c->req);
    tn__defer_queue(loop, &c->done_d);   /* the callback runs from the loop ... */
    (void)tn__handle_close(&c->h);        /* ... and the memory goes after it */
}

TN__PRIVATE void tn__tcp_cx_on_done(tn__defer *d) {
    tn_connector *c = (tn_connector *)(void *)((char *)d - offsetof(tn_connector, done_d));
    c->cb(c->status, c->result, c->user);
}

TN__PRIVATE void tn__tcp_cx_finalize(tn__handle *h) {
    tn_connector *c = (tn_connector *)h;
    tn_allocator *a = tn__loop_alloc(h->loop);
    tn__free(a, c->source_ip);
    tn__free(a, c->addrs);
    tn__free(a, c->chain[0]);
    tn__free(a, c->chain[1]);
    tn__free(a, c);
}
static const tn__handle_type tn__tcp_connector_type = { "tcp_connector", tn__tcp_cx_finalize };

TN__PRIVATE void tn__tcp_cx_success(tn_connector *c, int chain, tn_socket fd) {
    tn_stream *s;
    int rc;
    (void)tn_loop_remove_fd(c->h.loop, fd);
    if (c->fd[chain] == fd) c->fd[chain] = TN_INVALID_SOCKET;
    rc = tn__stream_new_own_socket(c->h.loop, fd, &c->opts.stream, 0, &s);
    if (rc != 0) {
        tn__fd_close(fd);
        tn__tcp_cx_finish(c, rc, NULL);
        return;
    }
    tn__tcp_cx_finish(c, TN_OK, s);
}

TN__PRIVATE void tn__tcp_cx_on_writable(tn_connector *c, int chain) {
    tn_socket fd = c->fd[chain];
    int err = tn__sock_error(fd);
    if (err == 0) {
        tn__tcp_cx_success(c, chain, fd);
        return;
    }
    c->last_err = err;
    tn__tcp_cx_drop_attempt(c, chain);
    tn__tcp_cx_try(c, chain);
}

TN__PRIVATE void tn__tcp_cx_on_w0(tn_loop *loop, tn_socket fd, int ev, void *u) {
    (void)loop; (void)fd; (void)ev;
    tn__tcp_cx_on_writable((tn_connector *)u, 0);
}

TN__PRIVATE void tn__tcp_cx_on_w1(tn_loop *loop, tn_socket fd, int ev, void *u) {
    (void)loop; (void)fd; (void)ev;
    tn__tcp_cx_on_writable((tn_connector *)u, 1);
}

TN__PRIVATE void tn__tcp_cx_start_chain(tn_connector *c, int chain) {
    if (c->started[chain] || c->len[chain] == 0) return;
    c->started[chain] = 1;
    tn__tcp_cx_try(c, chain);
}

/* Start the next address of a chain; when the chain runs out, start the other chain at
   once, or fail if nothing is left in flight. */
TN__PRIVATE void tn__tcp_cx_try(tn_connector *c, int chain) {
    tn_loop *loop = c->h.loop;
    while (!c->done && c->pos[chain] < c->len[chain]) {
        const tn_addr *a = &c->addrs[c->chain[chain][c->pos[chain]++]];
        tn_socket fd = TN_INVALID_SOCKET;
        int rc;
        if ((rc = tn__socket(tn__net_csa(a)->sa_family, SOCK_STREAM, &fd)) != 0) {
            c->last_err = rc;
            continue;
        }
        if (c->source_ip) {
            tn_addr src;
            if (tn_addr_from_ip(c->source_ip, c->opts.source_port, &src) != 0 ||
                tn_addr_family(&src) != tn_addr_family(a)) {
                c->last_err = TN_EADDRNOTAVAIL;
                tn__fd_close(fd);
                continue;
            }
            if (TN__OS(bind)(fd, tn__net_csa(&src), (socklen_t)src.len) != 0) {
                c->last_err = tn__last_err();
                tn__fd_close(fd);
                continue;
            }
        }
        rc = tn__sock_connect(fd, tn__net_csa(a), a->len);
        if (rc == TN_OK) {
            c->fd[chain] = fd;
            tn__tcp_cx_success(c, chain, fd);   /* immediate (e.g. unix-like loopback paths) */
            return;
        }
        if (rc == TN_EAGAIN) {
            rc = tn__loop_add_fd(loop, fd, TN_EV_WRITE, chain ? tn__tcp_cx_on_w1 : tn__tcp_cx_on_w0, c, 1);
            if (rc == 0) {
                c->fd[chain] = fd;
                return;
            }
        }
        c->last_err = rc;
        tn__fd_close(fd);
    }
    if (c->done) return;
    /* this chain is spent: the other family starts now rather than after the delay */
    if (!c->started[1 - chain] && c->len[1 - chain] > 0) {
        if (c->fallback_timer) (void)tn_loop_cancel(loop, c->fallback_timer);
        c->fallback_timer = 0;
        tn__tcp_cx_start_chain(c, 1 - chain);
        return;
    }
    if (c->fd[0] == TN_INVALID_SOCKET && c->fd[1] == TN_INVALID_SOCKET && c->pos[0] >= c->len[0] && c->pos[1] >= c->len[1])
        tn__tcp_cx_finish(c, c->last_err ? c->last_err : TN_EREFUSED, NULL);
}

TN__PRIVATE void tn__tcp_cx_on_fallback(tn_loop *loop, void *user) {
    tn_connector *c = (tn_connector *)user;
    (void)loop;
    c->fallback_timer = 0;
    tn__tcp_cx_start_chain(c, 1);
}

TN__PRIVATE void tn__tcp_cx_on_timeout(tn_loop *loop, void *user) {
    tn_connector *c = (tn_connector *)user;
    (void)loop;
    c->timeout_timer = 0;
    tn__tcp_cx_finish(c, TN_ETIMEOUT, NULL);
}

TN__PRIVATE void tn__tcp_cx_on_resolved(int status, const tn_addr *addrs, size_t n, void *user) {
    tn_connector *c = (tn_connector *)user;
    tn_allocator *a = tn__loop_alloc(c->h.loop);
    size_t i;
    int first;
    c->h.pending--;
    c->req = NULL;
    if (c->done) return;
    if (status != TN_OK) {
        tn__tcp_cx_finish(c, status, NULL);
        return;
    }
    c->addrs = (tn_addr *)tn__alloc(a, n * sizeof *addrs);
    c->chain[0] = (size_t *)tn__alloc(a, n * sizeof(size_t));
    c->chain[1] = (size_t *)tn__alloc(a, n * sizeof(size_t));
    if (!c->addrs || !c->chain[0] || !c->chain[1]) {
        tn__tcp_cx_finish(c, TN_ENOMEM, NULL);
        return;
    }
    memcpy(c->addrs, addrs, n * sizeof *addrs);
    c->naddrs = n;
    first = tn_addr_family(&addrs[0]);
    for (i = 0; i < n; i++) {
        int ch = tn_addr_family(&addrs[i]) == first ? 0 : 1;
        c->chain[ch][c->len[ch]++] = i;
    }
    if (c->len[1] > 0 &&
        tn_loop_call_later(c->h.loop, c->opts.fallback_delay_ms, tn__tcp_cx_on_fallback, c, &c->fallback_timer) != 0) {
        tn__tcp_cx_finish(c, TN_ENOMEM, NULL);
        return;
    }
    tn__tcp_cx_start_chain(c, 0);
}

TN__PRIVATE void tn__tcp_connect_opts_resolve(const tn_connect_opts *in, tn_connect_opts *o) {
    memset(o, 0, sizeof *o);
    if (in) *o = *in;
    o->timeout_ms = TN__DEF(o->timeout_ms, TORNADO_CONNECT_TIMEOUT_MS);
    o->fallback_delay_ms = TN__DEF(o->fallback_delay_ms, TORNADO_HAPPY_EYEBALLS_DELAY_MS);
}

TN_API int tn_tcp_connect(tn_loop *loop, const char *host, int port, const tn_connect_opts *opts,
                          tn_connect_cb cb, void *user, tn_connector **out) {
    tn_connector *c;
    int rc;
    if (out) *out = NULL;
    if (!loop || !host || !cb || port <= 0 || port > 65535) return TN_EINVAL;
    c = (tn_connector *)tn__calloc(tn__loop_alloc(loop), sizeof *c);
    if (!c) return TN_ENOMEM;
    tn__tcp_connect_opts_resolve(opts, &c->opts);
    c->fd[0] = c->fd[1] = TN_INVALID_SOCKET;
    c->cb = cb;
    c->user = user;
    if (c->opts.source_ip && !(c->source_ip = tn__strdup(tn__loop_alloc(loop), c->opts.source_ip))) {
        tn__free(tn__loop_alloc(loop), c);
        return TN_ENOMEM;
    }
    c->opts.source_ip = NULL;
    if ((rc = tn_loop_call_later(loop, c->opts.timeout_ms, tn__tcp_cx_on_timeout, c, &c->timeout_timer)) != 0) {
        tn__free(tn__loop_alloc(loop), c->source_ip);
        tn__free(tn__loop_alloc(loop), c);
        return rc;
    }
    rc = tn_resolve(loop, c->opts.resolver, host, port, c->opts.family, tn__tcp_cx_on_resolved, c, &c->req);
    if (rc != 0) {
        (void)tn_loop_cancel(loop, c->timeout_timer);
        tn__free(tn__loop_alloc(loop), c->source_ip);
        tn__free(tn__loop_alloc(loop), c);
        return rc;
    }
    tn__handle_init(loop, &c->h, &tn__tcp_connector_type);
    tn__defer_init(&c->done_d, tn__tcp_cx_on_done, &c->h);
    c->h.pending++;   /* the resolve callback still refers to c */
    if (out) *out = c;
    return TN_OK;
}

TN_API void tn_tcp_connect_cancel(tn_connector *c) {
    if (c) tn__tcp_cx_finish(c, TN_ECANCELED, NULL);
}
