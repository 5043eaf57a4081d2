/* test_tcp.c: tcp server and client over real sockets on 127.0.0.1 / ::1: 1000 concurrent
   echo connections, connection cap, stop/close, unix sockets, happy eyeballs, timeouts,
   cancel, source address, fork_processes. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/un.h>

static void raise_fd_limit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* ---- an echo server ---- */
static void echo_read(tn_stream *s, int status, tn_str data, void *user);
static void echo_start(tn_stream *s) {
    if (tn_stream_read_bytes(s, 65536, TN_READ_PARTIAL, echo_read, NULL) != 0) tn_stream_close(s, NULL, NULL);
}
static void echo_read(tn_stream *s, int status, tn_str data, void *user) {
    (void)user;
    if (status < 0) return;
    if (tn_stream_write(s, data.ptr, data.len, NULL, NULL) != 0) {
        tn_stream_close(s, NULL, NULL);
        return;
    }
    echo_start(s);
}
static void echo_conn(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    (void)srv; (void)peer;
    if (user) (*(int *)user)++;
    echo_start(s);
}

/* ---- 1000 clients, each sends 1 MB in 64 KB writes and checks the echo ---- */
#define NCLIENTS 1000
#define PER_CLIENT (1024 * 1024)
#define CHUNK (64 * 1024)

typedef struct client {
    struct world *w;
    int idx;
    tn_stream *s;
    size_t sent, recvd;
    unsigned char chunk[CHUNK];
    unsigned char in[CHUNK];
    int done, failed;
} client;

typedef struct world {
    tn_loop *loop;
    int port;
    int connected, done, failed, closed;
    client *clients;
} world;

static unsigned char pattern(int idx, size_t off) { return (unsigned char)((idx * 131 + off * 7 + (off >> 11)) & 0xff); }

static void cl_write_next(client *c);
static void cl_on_written(tn_stream *s, int status, void *user) {
    client *c = (client *)user;
    (void)s;
    if (status != TN_OK) {
        c->failed = 1;
        return;
    }
    cl_write_next(c);
}
static void cl_write_next(client *c) {
    size_t n = (size_t)PER_CLIENT - c->sent < (size_t)CHUNK ? (size_t)PER_CLIENT - c->sent : (size_t)CHUNK, i;
    if (n == 0) return;
    for (i = 0; i < n; i++) c->chunk[i] = pattern(c->idx, c->sent + i);
    c->sent += n;
    TN_OK_RC(tn_stream_write(c->s, c->chunk, n, cl_on_written, c));
}
static void cl_on_close(tn_stream *s, int cause, void *user) {
    client *c = (client *)user;
    (void)s; (void)cause;
    c->w->closed++;
}
static void cl_on_read(tn_stream *s, int status, tn_str data, void *user) {
    client *c = (client *)user;
    size_t i;
    if (status < 0) {
        if (!c->w->failed) fprintf(stderr, "  client %d: read failed with %s after %lu bytes\n", c->idx,
                                   tn_err_name(status), (unsigned long)c->recvd);
        c->failed = 1;
        c->w->failed++;
        return;
    }
    for (i = 0; i < data.len; i++) {
        if ((unsigned char)data.ptr[i] != pattern(c->idx, c->recvd + i)) {
            c->failed = 1;
            c->w->failed++;
            tn_stream_close(s, NULL, NULL);
            return;
        }
    }
    c->recvd += data.len;
    if (c->recvd == PER_CLIENT) {
        c->done = 1;
        c->w->done++;
        tn_stream_close(s, NULL, NULL);
        return;
    }
    TN_OK_RC(tn_stream_read_into(s, c->in, sizeof c->in, TN_READ_PARTIAL, cl_on_read, c));
}
static void cl_on_connect(int status, tn_stream *s, void *user) {
    client *c = (client *)user;
    TN_OK_RC(status);
    c->s = s;
    c->w->connected++;
    tn_stream_set_close_cb(s, cl_on_close, c);
    TN_OK_RC(tn_stream_read_into(s, c->in, sizeof c->in, TN_READ_PARTIAL, cl_on_read, c));
    cl_write_next(c);
}

TN_TEST(echo_1000_connections_1mb_each) {
    world w;
    tn_tcp_server *srv;
    tn_tcp_server_opts so;
    int i, accepted = 0;
    uint64_t end;
    raise_fd_limit();
    memset(&w, 0, sizeof w);
    memset(&so, 0, sizeof so);
    so.bind.backlog = 1024;   /* 1000 connects arrive at once */
    TN_OK_RC(tn_loop_new(NULL, &w.loop));
    TN_OK_RC(tn_tcp_server_new(w.loop, &so, echo_conn, &accepted, &srv));
    TN_OK_RC(tn_tcp_server_listen(srv, "127.0.0.1", 0));
    w.port = tn_tcp_server_port(srv);
    TN_CHECK(w.port > 0);
    w.clients = (client *)calloc(NCLIENTS, sizeof(client));
    TN_CHECK(w.clients != NULL);
    for (i = 0; i < NCLIENTS; i++) {
        w.clients[i].w = &w;
        w.clients[i].idx = i;
        TN_OK_RC(tn_tcp_connect(w.loop, "127.0.0.1", w.port, NULL, cl_on_connect, &w.clients[i], NULL));
    }
    end = tn_time_ms() + 100000;
    while (w.done + w.failed < NCLIENTS && tn_time_ms() < end) TN_CHECK(tn_loop_run_once(w.loop, 100) >= 0);
    TN_EQ_INT(w.failed, 0);
    TN_EQ_INT(w.done, NCLIENTS);
    TN_EQ_INT(accepted, NCLIENTS);
    /* the server side sees EOF and closes too */
    while ((w.closed < NCLIENTS || tn_tcp_server_connections(srv) > 0) && tn_time_ms() < end)
        TN_CHECK(tn_loop_run_once(w.loop, 100) >= 0);
    TN_EQ_UINT(tn_tcp_server_connections(srv), 0);
    TN_OK_RC(tn_tcp_server_close(srv, NULL, NULL));
    TN_CHECK(tn_loop_run_once(w.loop, 0) >= 0);
    TN_OK_RC(tn_loop_free(w.loop));
    free(w.clients);
}

/* ---- connection cap, stop, close waits for connections ---- */
typedef struct capctx { int accepted; tn_stream *conns[8]; int closed_srv; } capctx;
static void cap_conn(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    capctx *c = (capctx *)user;
    (void)srv; (void)peer;
    c->conns[c->accepted++] = s;
}
static void set_flag(tn_loop *loop, void *u) { (void)loop; *(int *)u = 1; }

static int raw_connect(int port) {
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(0x7f000001);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void spin(tn_loop *loop, int ms) {
    uint64_t end = tn_time_ms() + (uint64_t)ms;
    while (tn_time_ms() < end) TN_CHECK(tn_loop_run_once(loop, 5) >= 0);
}

TN_TEST(server_connection_cap_stop_close) {
    tn_loop *loop;
    tn_tcp_server *srv;
    tn_tcp_server_opts o;
    capctx c;
    int fds[3], port, i;
    memset(&c, 0, sizeof c);
    memset(&o, 0, sizeof o);
    o.max_connections = 2;
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_OK_RC(tn_tcp_server_new(loop, &o, cap_conn, &c, &srv));
    TN_OK_RC(tn_tcp_server_listen(srv, "127.0.0.1", 0));
    port = tn_tcp_server_port(srv);
    for (i = 0; i < 3; i++) TN_CHECK((fds[i] = raw_connect(port)) >= 0);   /* the kernel queues all */
    spin(loop, 100);
    TN_EQ_INT(c.accepted, 2);   /* the third waits in the backlog */
    TN_EQ_UINT(tn_tcp_server_connections(srv), 2);
    TN_OK_RC(tn_stream_close(c.conns[0], NULL, NULL));
    spin(loop, 100);
    TN_EQ_INT(c.accepted, 3);   /* a slot freed: accepted */
    /* stop: no more accepting; existing connections go on */
    tn_tcp_server_stop(srv);
    TN_CHECK(raw_connect(port) < 0);
    TN_EQ_UINT(tn_tcp_server_connections(srv), 2);
    /* close waits for the last connection */
    TN_OK_RC(tn_tcp_server_close(srv, set_flag, &c.closed_srv));
    spin(loop, 30);
    TN_EQ_INT(c.closed_srv, 0);
    TN_OK_RC(tn_stream_close(c.conns[1], NULL, NULL));
    spin(loop, 30);
    TN_EQ_INT(c.closed_srv, 0);
    TN_OK_RC(tn_stream_close(c.conns[2], NULL, NULL));
    spin(loop, 30);
    TN_EQ_INT(c.closed_srv, 1);
    for (i = 0; i < 3; i++) close(fds[i]);
    TN_OK_RC(tn_loop_free(loop));
}

/* ---- client connects ---- */
typedef struct cres { int calls; int status; tn_stream *s; uint64_t at; } cres;
static void on_connected(int status, tn_stream *s, void *user) {
    cres *r = (cres *)user;
    r->calls++;
    r->status = status;
    r->s = s;
    r->at = tn_time_ms();
}
static void wait_cres(tn_loop *loop, cres *r) {
    uint64_t end = tn_time_ms() + 10000;
    while (r->calls == 0 && tn_time_ms() < end) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
    TN_EQ_INT(r->calls, 1);
}

/* A listener whose accept queue is full: SYNs to it are dropped (a black hole on loopback). */
typedef struct hole { int lfd; int fill[4]; int port; } hole;
static void make_hole(hole *h) {
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int i;
    h->lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(0x7f000001);
    TN_CHECK(bind(h->lfd, (struct sockaddr *)&sa, sizeof sa) == 0);
    TN_CHECK(listen(h->lfd, 0) == 0);
    TN_CHECK(getsockname(h->lfd, (struct sockaddr *)&sa, &len) == 0);
    h->port = ntohs(sa.sin_port);
    for (i = 0; i < 4; i++) {
        h->fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        (void)connect(h->fill[i], (struct sockaddr *)&sa, sizeof sa);
    }
    usleep(50000);
}
static void free_hole(hole *h) {
    int i;
    for (i = 0; i < 4; i++) close(h->fill[i]);
    close(h->lfd);
}

static int v6_listener(tn_loop *loop, tn_tcp_server **srv, int *accepted) {
    tn_tcp_server_opts o;
    memset(&o, 0, sizeof o);
    o.bind.family = TN_AF_INET6;
    TN_OK_RC(tn_tcp_server_new(loop, &o, echo_conn, accepted, srv));
    if (tn_tcp_server_listen(*srv, "::1", 0) != 0) return -1;
    return tn_tcp_server_port(*srv);
}

TN_TEST(happy_eyeballs_falls_back_after_black_hole) {
    tn_loop *loop;
    tn_resolver *rv;
    tn_tcp_server *srv;
    tn_connect_opts co;
    hole h;
    cres r;
    char target[128];
    tn_addr peer;
    int port6, accepted = 0;
    uint64_t t0;
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_loop_new(NULL, &loop));
    port6 = v6_listener(loop, &srv, &accepted);
    if (port6 < 0) TN_SKIP("no IPv6 loopback (::1) on this machine");
    make_hole(&h);
    TN_OK_RC(tn_resolver_new(loop, NULL, &rv));
    /* IPv4 first (a black hole), then IPv6 (listening) */
    snprintf(target, sizeof target, "127.0.0.1:%d, [::1]:%d", h.port, port6);
    TN_OK_RC(tn_resolver_add_override(rv, "dual.test", target));
    memset(&co, 0, sizeof co);
    co.resolver = rv;
    co.timeout_ms = 5000;
    t0 = tn_time_ms();
    TN_OK_RC(tn_tcp_connect(loop, "dual.test", 80, &co, on_connected, &r, NULL));
    wait_cres(loop, &r);
    TN_OK_RC(r.status);
    TN_CHECKF(r.at - t0 >= 280 && r.at - t0 < 1500, "connected after %lu ms", (unsigned long)(r.at - t0));
    TN_OK_RC(tn_socket_peer_addr(tn_stream_fd(r.s), &peer));
    TN_EQ_INT(tn_addr_family(&peer), TN_AF_INET6);
    TN_EQ_INT(tn_addr_port(&peer), port6);
    tn_stream_close(r.s, NULL, NULL);
    tn_tcp_server_stop(srv);
    spin(loop, 50);
    TN_OK_RC(tn_tcp_server_close(srv, NULL, NULL));
    TN_OK_RC(tn_resolver_close(rv, NULL, NULL));
    spin(loop, 20);
    free_hole(&h);
    TN_OK_RC(tn_loop_free(loop));
}

TN_TEST(happy_eyeballs_refused_first_family_starts_other_at_once) {
    tn_loop *loop;
    tn_resolver *rv;
    tn_tcp_server *srv;
    tn_connect_opts co;
    tn_socket tmp[2];
    size_t n;
    tn_addr a;
    cres r;
    char target[128];
    int port6, closed_port, accepted = 0;
    uint64_t t0;
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_loop_new(NULL, &loop));
    port6 = v6_listener(loop, &srv, &accepted);
    if (port6 < 0) TN_SKIP("no IPv6 loopback (::1) on this machine");
    /* a port nobody listens on: bind, read the port, close */
    TN_OK_RC(tn_bind_sockets("127.0.0.1", 0, NULL, tmp, 2, &n));
    TN_OK_RC(tn_socket_local_addr(tmp[0], &a));
    closed_port = tn_addr_port(&a);
    tn_socket_close(tmp[0]);
    TN_OK_RC(tn_resolver_new(loop, NULL, &rv));
    snprintf(target, sizeof target, "127.0.0.1:%d, [::1]:%d", closed_port, port6);
    TN_OK_RC(tn_resolver_add_override(rv, "dual.test", target));
    memset(&co, 0, sizeof co);
    co.resolver = rv;
    t0 = tn_time_ms();
    TN_OK_RC(tn_tcp_connect(loop, "dual.test", 80, &co, on_connected, &r, NULL));
    wait_cres(loop, &r);
    TN_OK_RC(r.status);
    TN_CHECKF(r.at - t0 < 250, "took %lu ms: the v6 attempt waited for the delay", (unsigned long)(r.at - t0));
    tn_stream_close(r.s, NULL, NULL);
    TN_OK_RC(tn_tcp_server_close(srv, NULL, NULL));
    TN_OK_RC(tn_resolver_close(rv, NULL, NULL));
    spin(loop, 20);
    TN_OK_RC(tn_loop_free(loop));
}

TN_TEST(connect_refused_timeout_cancel_resolve_error) {
    tn_loop *loop;
    tn_socket tmp[2];
    size_t n;
    tn_addr a;
    tn_connect_opts co;
    tn_connector *cn;
    hole h;
    cres r;
    int port;
    uint64_t t0;
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_OK_RC(tn_bind_sockets("127.0.0.1", 0, NULL, tmp, 2, &n));
    TN_OK_RC(tn_socket_local_addr(tmp[0], &a));
    port = tn_addr_port(&a);
    tn_socket_close(tmp[0]);
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_tcp_connect(loop, "127.0.0.1", port, NULL, on_connected, &r, NULL));
    wait_cres(loop, &r);
    TN_EQ_RC(r.status, TN_EREFUSED);
    TN_CHECK(r.s == NULL);
    /* a black hole times out at timeout_ms */
    make_hole(&h);
    memset(&co, 0, sizeof co);
    co.timeout_ms = 200;
    memset(&r, 0, sizeof r);
    t0 = tn_time_ms();
    TN_OK_RC(tn_tcp_connect(loop, "127.0.0.1", h.port, &co, on_connected, &r, NULL));
    wait_cres(loop, &r);
    TN_EQ_RC(r.status, TN_ETIMEOUT);
    TN_CHECKF(r.at - t0 >= 190 && r.at - t0 < 1000, "timed out after %lu ms", (unsigned long)(r.at - t0));
    /* cancel: the callback still runs exactly once, from the loop */
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_tcp_connect(loop, "127.0.0.1", h.port, NULL, on_connected, &r, &cn));
    spin(loop, 20);
    tn_tcp_connect_cancel(cn);
    TN_EQ_INT(r.calls, 0);
    wait_cres(loop, &r);
    TN_EQ_RC(r.status, TN_ECANCELED);
    spin(loop, 20);
    TN_EQ_INT(r.calls, 1);
    /* resolve failure */
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_tcp_connect(loop, "no-such-host.invalid", 80, NULL, on_connected, &r, NULL));
    wait_cres(loop, &r);
    TN_EQ_RC(r.status, TN_ERESOLVE);
    TN_EQ_RC(tn_tcp_connect(loop, "x", 0, NULL, on_connected, &r, NULL), TN_EINVAL);
    spin(loop, 10);
    free_hole(&h);
    TN_OK_RC(tn_loop_free(loop));
}

typedef struct srcctx { tn_addr peer; int got; } srcctx;
static void src_conn(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    srcctx *c = (srcctx *)user;
    (void)srv;
    c->peer = *peer;
    c->got++;
    tn_stream_close(s, NULL, NULL);
}

TN_TEST(connect_source_address_and_unix_server) {
    tn_loop *loop;
    tn_tcp_server *srv, *usrv;
    tn_connect_opts co;
    srcctx c;
    cres r;
    char path[64], ip[64];
    int ufd, accepted = 0;
    struct sockaddr_un un;
    memset(&c, 0, sizeof c);
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_OK_RC(tn_tcp_server_new(loop, NULL, src_conn, &c, &srv));
    TN_OK_RC(tn_tcp_server_listen(srv, "127.0.0.1", 0));
    memset(&co, 0, sizeof co);
    co.source_ip = "127.0.0.2";
    TN_OK_RC(tn_tcp_connect(loop, "127.0.0.1", tn_tcp_server_port(srv), &co, on_connected, &r, NULL));
    wait_cres(loop, &r);
    TN_OK_RC(r.status);
    while (!c.got) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
    TN_CHECK(tn_addr_ip(&c.peer, ip, sizeof ip) > 0);
    TN_EQ_STR(ip, "127.0.0.2");
    tn_stream_close(r.s, NULL, NULL);
    TN_POSIX_ONLY("unix sockets (after the source-address part passed)");
    /* a unix-socket server echoes */
    snprintf(path, sizeof path, "/tmp/tn_tcp_%d.sock", (int)getpid());
    TN_OK_RC(tn_tcp_server_new(loop, NULL, echo_conn, &accepted, &usrv));
    TN_OK_RC(tn_tcp_server_listen_unix(usrv, path, 0));
    ufd = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    strcpy(un.sun_path, path);
    TN_CHECK(connect(ufd, (struct sockaddr *)&un, sizeof un) == 0);
    TN_CHECK(write(ufd, "ping", 4) == 4);
    {
        char buf[8];
        uint64_t end = tn_time_ms() + 3000;
        ssize_t got = 0;
        (void)fcntl(ufd, F_SETFL, O_NONBLOCK);
        while (got < 4 && tn_time_ms() < end) {
            ssize_t k;
            TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
            k = read(ufd, buf + got, sizeof buf - (size_t)got);
            if (k > 0) got += k;
        }
        TN_EQ_INT(got, 4);
        TN_EQ_MEM(buf, "ping", 4);
    }
    close(ufd);
    spin(loop, 30);
    TN_OK_RC(tn_tcp_server_close(srv, NULL, NULL));
    TN_OK_RC(tn_tcp_server_close(usrv, NULL, NULL));
    spin(loop, 30);
    unlink(path);
    TN_OK_RC(tn_loop_free(loop));
}

/* ---- every allocation of a loop with servers, streams, connectors and resolvers is
   freed at loop close; an allocation failure mid-stream is a close cause, not a crash ---- */
typedef struct bal { tn_stream *cli; int got; int closed; int cause; char buf[16]; } bal;
static void bal_read(tn_stream *s, int status, tn_str data, void *user) {
    bal *b = (bal *)user;
    (void)s; (void)data;
    if (status == TN_OK) b->got++;
}
static void bal_close(tn_stream *s, int cause, void *user) {
    bal *b = (bal *)user;
    (void)s;
    b->closed++;
    b->cause = cause;
}
static void bal_connected(int status, tn_stream *s, void *user) {
    bal *b = (bal *)user;
    TN_OK_RC(status);
    b->cli = s;
    tn_stream_set_close_cb(s, bal_close, b);
    TN_OK_RC(tn_stream_write(s, "ping", 4, NULL, NULL));
    TN_OK_RC(tn_stream_read_bytes(s, 4, 0, bal_read, b));
}

TN_TEST(allocator_balance_with_network_objects) {
    counting_alloc ca;
    tn_loop_opts o;
    tn_loop *loop;
    tn_tcp_server *srv;
    tn_resolver *rv;
    tn_resolver_opts ro;
    tn_connect_opts co;
    bal b;
    uint64_t end;
    memset(&ca, 0, sizeof ca);
    memset(&o, 0, sizeof o);
    memset(&b, 0, sizeof b);
    o.allocator = tn_test_counting(&ca);
    TN_OK_RC(tn_loop_new(&o, &loop));
    TN_OK_RC(tn_tcp_server_new(loop, NULL, echo_conn, NULL, &srv));
    TN_OK_RC(tn_tcp_server_listen(srv, "127.0.0.1", 0));
    memset(&ro, 0, sizeof ro);
    ro.kind = TN_RESOLVER_THREADED;
    TN_OK_RC(tn_resolver_new(loop, &ro, &rv));
    TN_OK_RC(tn_resolver_add_override(rv, "echo.test", "127.0.0.1"));
    memset(&co, 0, sizeof co);
    co.resolver = rv;
    TN_OK_RC(tn_tcp_connect(loop, "echo.test", tn_tcp_server_port(srv), &co, bal_connected, &b, NULL));
    end = tn_time_ms() + 5000;
    while (b.got == 0 && tn_time_ms() < end) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
    TN_EQ_INT(b.got, 1);
    tn_stream_close(b.cli, NULL, NULL);
    {   /* a read buffer that cannot be had: the stream closes with TN_ENOMEM, the loop lives
           (the bytes do not complete the read, so they must be kept past the read that
           brought them, in more than one of the loop's spare 4 KiB blocks holds: the
           allocator is asked) */
        static char big[6000];
        int sv[2];
        tn_stream *s;
        bal b2;
        memset(&b2, 0, sizeof b2);
        memset(big, 'x', sizeof big);
        TN_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
        TN_OK_RC(tn_stream_new_socket(loop, sv[0], NULL, &s));
        tn_stream_set_close_cb(s, bal_close, &b2);
        TN_OK_RC(tn_stream_read_bytes(s, sizeof big + 1, 0, bal_read, &b2));
        TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
        ca.fail_after = 1;
        TN_CHECK(write(sv[1], big, sizeof big) == (ssize_t)sizeof big);
        while (b2.closed == 0 && tn_time_ms() < end) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
        TN_EQ_RC(b2.cause, TN_ENOMEM);
        TN_EQ_INT(b2.got, 0);
        ca.fail_after = 0;
        close(sv[1]);
    }
    while (tn_tcp_server_connections(srv) > 0 && tn_time_ms() < end) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
    TN_OK_RC(tn_tcp_server_close(srv, NULL, NULL));
    TN_OK_RC(tn_resolver_close(rv, NULL, NULL));
    TN_CHECK(ca.live > 0);
    TN_OK_RC(tn_loop_free(loop));
    TN_EQ_INT(ca.live, 0);
    TN_CHECK(ca.total > 10);
}

/* Steady traffic calls no allocator: a stream's read buffer is one of the loop's spare
   4 KiB blocks, lent while it holds bytes and given back when it empties (before, each
   message cost an allocation and a free, and a pipelined load made the heap shrink and
   refault), and a read larger than a block is delivered from the loop's read buffer, lent
   while the callback runs (before, copied into a buffer allocated for it). */
TN_TEST(steady_echo_calls_no_allocator) {
    counting_alloc ca;
    tn_loop_opts o;
    tn_loop *loop;
    tn_tcp_server *srv;
    long before = 0;
    uint64_t end;
    int fd, i;
    memset(&ca, 0, sizeof ca);
    memset(&o, 0, sizeof o);
    o.allocator = tn_test_counting(&ca);
    TN_OK_RC(tn_loop_new(&o, &loop));
    TN_OK_RC(tn_tcp_server_new(loop, NULL, echo_conn, NULL, &srv));
    TN_OK_RC(tn_tcp_server_listen(srv, "127.0.0.1", 0));
    fd = raw_connect(tn_tcp_server_port(srv));
    TN_CHECK(fd >= 0);
    TN_CHECK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK) == 0);
    for (i = 0; i < 60; i++) {
        char buf[8];
        size_t got = 0;
        if (i == 10) before = ca.total;   /* warmed up */
        TN_CHECK(send(fd, "ping", 4, 0) == 4);
        end = tn_time_ms() + 2000;
        while (got < 4 && tn_time_ms() < end) {
            ssize_t r;
            TN_CHECK(tn_loop_run_once(loop, 5) >= 0);
            r = recv(fd, buf + got, 4 - got, 0);
            if (r > 0) got += (size_t)r;
        }
        TN_EQ_INT((int)got, 4);
        TN_CHECK(memcmp(buf, "ping", 4) == 0);
    }
    TN_CHECKF(ca.total == before, "%ld allocations for 50 echoed messages", ca.total - before);
    for (i = 0; i < 30; i++) {   /* 16 KiB messages */
        static char out[16384], in[16384];
        size_t got = 0;
        memset(out, 'a' + i % 26, sizeof out);
        if (i == 5) before = ca.total + ca.reallocs;
        TN_CHECK(send(fd, out, sizeof out, 0) == (ssize_t)sizeof out);
        end = tn_time_ms() + 2000;
        while (got < sizeof in && tn_time_ms() < end) {
            ssize_t r;
            TN_CHECK(tn_loop_run_once(loop, 5) >= 0);
            while ((r = recv(fd, in + got, sizeof in - got, 0)) > 0) got += (size_t)r;
        }
        TN_EQ_INT((int)got, (int)sizeof in);
        TN_CHECK(memcmp(in, out, sizeof in) == 0);
    }
    TN_CHECKF(ca.total + ca.reallocs == before, "%ld allocations for 25 echoed 16 KiB messages",
              ca.total + ca.reallocs - before);
    close(fd);
    end = tn_time_ms() + 5000;
    while (tn_tcp_server_connections(srv) > 0 && tn_time_ms() < end) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
    TN_OK_RC(tn_tcp_server_close(srv, NULL, NULL));
    TN_OK_RC(tn_loop_free(loop));
    TN_EQ_INT(ca.live, 0);
}

/* ---- fork_processes: task ids, restart after an abnormal exit ---- */
TN_TEST(fork_processes_restarts) {
    char dir[64], path[96];
    int task = -2, rc, i, counts[3] = {0, 0, 0};
    TN_POSIX_ONLY("fork (tn_fork_processes)");
    snprintf(dir, sizeof dir, "/tmp/tn_fork_%d", (int)getpid());
    TN_CHECK(mkdir(dir, 0700) == 0);
    TN_EQ_INT(tn_task_id(), -1);
    rc = tn_fork_processes(3, 5, &task);
    if (task >= 0) {
        /* a worker: log the run; task 1 fails its first run (and is restarted) */
        FILE *f;
        int runs = 0;
        snprintf(path, sizeof path, "%s/%d", dir, task);
        f = fopen(path, "a+");
        fputc('x', f);
        fflush(f);
        fseek(f, 0, SEEK_SET);
        while (fgetc(f) == 'x') runs++;
        fclose(f);
        if (tn_task_id() != task) _exit(9);
        _exit(task == 1 && runs == 1 ? 3 : 0);
    }
    TN_OK_RC(rc);
    TN_EQ_INT(task, -1);
    for (i = 0; i < 3; i++) {
        FILE *f;
        snprintf(path, sizeof path, "%s/%d", dir, i);
        f = fopen(path, "r");
        TN_CHECK(f != NULL);
        while (fgetc(f) == 'x') counts[i]++;
        fclose(f);
        unlink(path);
    }
    rmdir(dir);
    TN_EQ_INT(counts[0], 1);
    TN_EQ_INT(counts[1], 2);   /* restarted once with the same task id */
    TN_EQ_INT(counts[2], 1);
}

TN_TEST(fork_processes_gives_up) {
    /* 2 workers whose every run fails, 3 restarts allowed: 2 first runs + 3 restarts, and
       the 4th failure gives up (the last restarted worker is reaped after) */
    char path[64], ch;
    int task = -2, rc, fd, runs = 0;
    TN_POSIX_ONLY("fork (tn_fork_processes)");
    snprintf(path, sizeof path, "/tmp/tn_fork_gives_up_%d", (int)getpid());
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0600);
    TN_CHECK(fd >= 0);
    rc = tn_fork_processes(2, 3, &task);
    if (task >= 0) {
        ch = (char)('0' + task);
        _exit(write(fd, &ch, 1) == 1 ? 1 : 2);   /* log the run (one atomic append), then fail */
    }
    TN_EQ_RC(rc, TN_ELIMIT);
    while (wait(NULL) > 0) {}
    TN_CHECK(lseek(fd, 0, SEEK_SET) == 0);
    while (read(fd, &ch, 1) == 1) {
        TN_CHECK(ch == '0' || ch == '1');
        runs++;
    }
    close(fd);
    unlink(path);
    TN_EQ_INT(runs, 2 + 3);
}

TN_TESTS(
    TN_CASE_T(echo_1000_connections_1mb_each, 240),
    TN_CASE(server_connection_cap_stop_close),
    TN_CASE(happy_eyeballs_falls_back_after_black_hole),
    TN_CASE(happy_eyeballs_refused_first_family_starts_other_at_once),
    TN_CASE(connect_refused_timeout_cancel_resolve_error),
    TN_CASE(connect_source_address_and_unix_server),
    TN_CASE(allocator_balance_with_network_objects),
    TN_CASE(steady_echo_calls_no_allocator),
    TN_CASE(fork_processes_restarts),
    TN_CASE(fork_processes_gives_up)
)
