/* test_net.c: addresses, binding (v4/v6, port 0, reuse_port, unix), resolvers. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <fcntl.h>
#include <netinet/in.h>

static tn_loop *new_loop(void) {
    tn_loop *loop = NULL;
    TN_OK_RC(tn_loop_new(NULL, &loop));
    return loop;
}

TN_TEST(addr_parse_and_format) {
    tn_addr a;
    char buf[TN_ADDR_STRLEN];
    TN_OK_RC(tn_addr_from_ip("127.0.0.1", 8080, &a));
    TN_EQ_INT(tn_addr_family(&a), TN_AF_INET);
    TN_EQ_INT(tn_addr_port(&a), 8080);
    TN_EQ_INT(tn_addr_format(&a, buf, sizeof buf), 14);
    TN_EQ_STR(buf, "127.0.0.1:8080");
    TN_OK_RC(tn_addr_from_ip("::1", 443, &a));
    TN_EQ_INT(tn_addr_family(&a), TN_AF_INET6);
    TN_CHECK(tn_addr_format(&a, buf, sizeof buf) > 0);
    TN_EQ_STR(buf, "[::1]:443");
    TN_CHECK(tn_addr_ip(&a, buf, sizeof buf) > 0);
    TN_EQ_STR(buf, "::1");
    TN_OK_RC(tn_addr_from_ip("[2001:db8::5]", 0, &a));
    TN_OK_RC(tn_addr_set_port(&a, 65535));
    TN_CHECK(tn_addr_format(&a, buf, sizeof buf) > 0);
    TN_EQ_STR(buf, "[2001:db8::5]:65535");
    TN_EQ_RC(tn_addr_set_port(&a, 65536), TN_EINVAL);
    TN_EQ_RC(tn_addr_format(&a, buf, 5), TN_EBUFFER_FULL);
    TN_EQ_RC(tn_addr_from_ip("localhost", 80, &a), TN_EINVAL);
    TN_EQ_RC(tn_addr_from_ip("1.2.3.4", -1, &a), TN_EINVAL);
    TN_EQ_RC(tn_addr_from_ip("[1.2.3.4]", 1, &a), TN_EINVAL);
    /* brackets: closed at the very end, an IPv6 address between them */
    TN_EQ_RC(tn_addr_from_ip("[::1", 1, &a), TN_EINVAL);
    TN_EQ_RC(tn_addr_from_ip("[::1]:80", 1, &a), TN_EINVAL);
    TN_EQ_RC(tn_addr_from_ip("[]", 1, &a), TN_EINVAL);
    TN_EQ_RC(tn_addr_from_ip("[", 1, &a), TN_EINVAL);
    TN_EQ_RC(tn_addr_from_ip("[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0001]", 1, &a), TN_EINVAL);
    TN_OK_RC(tn_addr_from_ip("[::ffff:10.1.2.3]", 7, &a));
    TN_CHECK(tn_addr_format(&a, buf, sizeof buf) > 0);
    TN_EQ_STR(buf, "[::ffff:10.1.2.3]:7");
#if defined(_WIN32)   /* no unix sockets in the Windows build */
    TN_EQ_RC(tn_addr_from_unix("/tmp/x.sock", &a), TN_ENOTSUP);
#else
    TN_OK_RC(tn_addr_from_unix("/tmp/x.sock", &a));
    TN_EQ_INT(tn_addr_family(&a), TN_AF_UNIX);
    TN_EQ_INT(tn_addr_port(&a), -1);
    TN_CHECK(tn_addr_format(&a, buf, sizeof buf) > 0);
    TN_EQ_STR(buf, "unix:/tmp/x.sock");
#endif
    {
        tn_addr b, c;
        TN_OK_RC(tn_addr_from_ip("10.0.0.1", 5, &b));
        TN_OK_RC(tn_addr_from_ip("10.0.0.1", 5, &c));
        TN_EQ_INT(tn_addr_equal(&b, &c), 1);
        TN_OK_RC(tn_addr_set_port(&c, 6));
        TN_EQ_INT(tn_addr_equal(&b, &c), 0);
    }
}

TN_TEST(is_valid_ip) {
    TN_EQ_INT(tn_is_valid_ip("127.0.0.1"), 1);
    TN_EQ_INT(tn_is_valid_ip("::1"), 1);
    TN_EQ_INT(tn_is_valid_ip("fe80::1:2:3"), 1);
    TN_EQ_INT(tn_is_valid_ip(""), 0);
    TN_EQ_INT(tn_is_valid_ip("1.2.3"), 0);
    TN_EQ_INT(tn_is_valid_ip("256.1.1.1"), 0);
    TN_EQ_INT(tn_is_valid_ip("example.com"), 0);
    TN_EQ_INT(tn_is_valid_ip("[::1]"), 0);
    TN_EQ_INT(tn_is_valid_ip("1.2.3.4:80"), 0);
    TN_EQ_INT(tn_is_valid_ip(NULL), 0);
}

TN_TEST(bind_port0_same_port_every_family) {
    tn_socket fds[8];
    size_t n = 0, i;
    int port = -1;
    TN_OK_RC(tn_bind_sockets("localhost", 0, NULL, fds, 8, &n));
    TN_CHECK(n >= 1);
    for (i = 0; i < n; i++) {
        tn_addr a;
#if defined(_WIN32)   /* not inherited by child processes (a socket's blocking mode cannot be read back) */
        DWORD hfl = 1;
        TN_CHECK(GetHandleInformation((HANDLE)(uintptr_t)fds[i], &hfl) && !(hfl & HANDLE_FLAG_INHERIT));
#else
        int fl = fcntl(fds[i], F_GETFL), fd_fl = fcntl(fds[i], F_GETFD);
        TN_CHECK(fl & O_NONBLOCK);
        TN_CHECK(fd_fl & FD_CLOEXEC);
#endif
        TN_OK_RC(tn_socket_local_addr(fds[i], &a));
        if (port < 0) port = tn_addr_port(&a);
        TN_EQ_INT(tn_addr_port(&a), port);
        if (tn_addr_family(&a) == TN_AF_INET6) {   /* v6-only by default, like Tornado */
            int v = 0;
            socklen_t l = sizeof v;
            TN_CHECK(getsockopt(fds[i], IPPROTO_IPV6, IPV6_V6ONLY, &v, &l) == 0);
            TN_EQ_INT(v, 1);
        }
    }
    TN_CHECK(port > 0);
    for (i = 0; i < n; i++) tn_socket_close(fds[i]);
    /* the family filter */
    TN_OK_RC(tn_bind_sockets(NULL, 0, NULL, fds, 8, &n));
    TN_CHECK(n >= 1);
    for (i = 0; i < n; i++) tn_socket_close(fds[i]);
    {
        tn_bind_opts o;
        tn_addr a;
        memset(&o, 0, sizeof o);
        o.family = TN_AF_INET;
        TN_OK_RC(tn_bind_sockets("localhost", 0, &o, fds, 8, &n));
        TN_EQ_UINT(n, 1);
        TN_OK_RC(tn_socket_local_addr(fds[0], &a));
        TN_EQ_INT(tn_addr_family(&a), TN_AF_INET);
        tn_socket_close(fds[0]);
        /* cap too small: nothing stays open */
        o.family = TN_AF_UNSPEC;
        TN_OK_RC(tn_bind_sockets("localhost", 0, &o, fds, 8, &n));
        if (n > 1) {
            for (i = 0; i < n; i++) tn_socket_close(fds[i]);
            TN_EQ_RC(tn_bind_sockets("localhost", 0, &o, fds, 1, &n), TN_ELIMIT);
        } else {
            tn_socket_close(fds[0]);
        }
    }
}

TN_TEST(bind_in_use_and_reuse_port) {
    tn_socket a[4], b[4];
    size_t na = 0, nb = 0;
    tn_addr addr;
    tn_bind_opts o;
    int port;
    TN_OK_RC(tn_bind_sockets("127.0.0.1", 0, NULL, a, 4, &na));
    TN_OK_RC(tn_socket_local_addr(a[0], &addr));
    port = tn_addr_port(&addr);
    TN_EQ_RC(tn_bind_sockets("127.0.0.1", port, NULL, b, 4, &nb), TN_EADDRINUSE);
    tn_socket_close(a[0]);
    memset(&o, 0, sizeof o);
    o.reuse_port = 1;
#if defined(_WIN32)   /* no SO_REUSEPORT on Windows: said, not ignored */
    TN_EQ_RC(tn_bind_sockets("127.0.0.1", 0, &o, a, 4, &na), TN_ENOTSUP);
#else
    TN_OK_RC(tn_bind_sockets("127.0.0.1", 0, &o, a, 4, &na));
    TN_OK_RC(tn_socket_local_addr(a[0], &addr));
    TN_OK_RC(tn_bind_sockets("127.0.0.1", tn_addr_port(&addr), &o, b, 4, &nb));   /* shared */
    tn_socket_close(a[0]);
    tn_socket_close(b[0]);
#endif
    TN_EQ_RC(tn_bind_sockets("127.0.0.1", 70000, NULL, a, 4, &na), TN_EINVAL);
}

TN_TEST(bind_unix_stale_and_mode) {
    char path[64];
    tn_socket fd;
    struct stat st;
    FILE *f;
    TN_POSIX_ONLY("unix sockets (tn_bind_unix is TN_ENOTSUP on Windows)");
    snprintf(path, sizeof path, "/tmp/tn_test_%d.sock", (int)getpid());
    unlink(path);
    TN_OK_RC(tn_bind_unix(path, 0, 0, &fd));
    TN_CHECK(stat(path, &st) == 0 && S_ISSOCK(st.st_mode));
    TN_EQ_INT(st.st_mode & 0777, 0600);
    tn_socket_close(fd);   /* the file stays behind: stale */
    TN_OK_RC(tn_bind_unix(path, 0660, 0, &fd));   /* stale socket removed */
    TN_CHECK(stat(path, &st) == 0);
    TN_EQ_INT(st.st_mode & 0777, 0660);
    tn_socket_close(fd);
    unlink(path);
    f = fopen(path, "w");   /* a regular file is never removed */
    TN_CHECK(f != NULL);
    fclose(f);
    TN_EQ_RC(tn_bind_unix(path, 0, 0, &fd), TN_EEXIST);
    TN_CHECK(stat(path, &st) == 0 && S_ISREG(st.st_mode));
    unlink(path);
    TN_EQ_RC(tn_bind_unix("", 0, 0, &fd), TN_EINVAL);
}

/* ---- resolvers ---- */
typedef struct res {
    int calls;
    int status;
    size_t n;
    tn_addr addrs[8];
} res;

static void on_resolved(int status, const tn_addr *addrs, size_t n, void *user) {
    res *r = (res *)user;
    size_t i;
    r->calls++;
    r->status = status;
    r->n = n;
    for (i = 0; i < n && i < 8; i++) r->addrs[i] = addrs[i];
}

static void run_until_calls(tn_loop *loop, res *r, int calls) {
    uint64_t end = tn_time_ms() + 10000;
    while (r->calls < calls && tn_time_ms() < end) TN_CHECK(tn_loop_run_once(loop, 50) >= 0);
    TN_EQ_INT(r->calls, calls);
}

static int has_addr(const res *r, const char *ip, int port) {
    tn_addr a;
    size_t i;
    if (tn_addr_from_ip(ip, port, &a) != 0) return 0;
    for (i = 0; i < r->n; i++)
        if (tn_addr_equal(&a, &r->addrs[i])) return 1;
    return 0;
}

TN_TEST(resolve_blocking) {
    tn_loop *loop = new_loop();
    res r;
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_resolve(loop, NULL, "localhost", 80, TN_AF_UNSPEC, on_resolved, &r, NULL));
    TN_EQ_INT(r.calls, 0);   /* never inside the call */
    run_until_calls(loop, &r, 1);
    TN_OK_RC(r.status);
    TN_CHECK(has_addr(&r, "127.0.0.1", 80) || has_addr(&r, "::1", 80));
    {   /* the port is set in every address the lookup gave */
        size_t i;
        for (i = 0; i < r.n && i < 8; i++) TN_EQ_INT(tn_addr_port(&r.addrs[i]), 80);
    }
    /* literals skip the lookup; a family mismatch fails */
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_resolve(loop, NULL, "10.1.2.3", 9, TN_AF_UNSPEC, on_resolved, &r, NULL));
    TN_OK_RC(tn_resolve(loop, NULL, "10.1.2.3", 9, TN_AF_INET6, on_resolved, &r, NULL));
    run_until_calls(loop, &r, 2);
    TN_EQ_RC(r.status, TN_ERESOLVE);
    TN_EQ_UINT(r.n, 0);
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_resolve(loop, NULL, "no-such-host.invalid", 80, TN_AF_UNSPEC, on_resolved, &r, NULL));
    run_until_calls(loop, &r, 1);
    TN_EQ_RC(r.status, TN_ERESOLVE);
    TN_EQ_RC(tn_resolve(loop, NULL, "x", 70000, TN_AF_UNSPEC, on_resolved, &r, NULL), TN_EINVAL);
    TN_EQ_RC(tn_resolve(loop, NULL, "x", 80, 99, on_resolved, &r, NULL), TN_EINVAL);
    TN_OK_RC(tn_loop_free(loop));
}

TN_TEST(resolve_override_table) {
    tn_loop *loop = new_loop();
    tn_resolver *rv;
    res r;
    TN_OK_RC(tn_resolver_new(loop, NULL, &rv));
    TN_OK_RC(tn_resolver_add_override(rv, "api.test", "127.0.0.1:1234, [::1], 10.9.8.7"));
    TN_OK_RC(tn_resolver_add_override(rv, "api.test:443", "10.0.0.1"));
    TN_OK_RC(tn_resolver_add_override(rv, "alias.test", "localhost"));
    TN_OK_RC(tn_resolver_add_override(rv, "broken.test", "[::1"));
    TN_EQ_RC(tn_resolver_add_override(rv, "", "1.2.3.4"), TN_EINVAL);
    TN_EQ_RC(tn_resolver_add_override(rv, "x:notaport", "1.2.3.4"), TN_EINVAL);
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_resolve(loop, rv, "API.test", 80, TN_AF_UNSPEC, on_resolved, &r, NULL));
    run_until_calls(loop, &r, 1);
    TN_OK_RC(r.status);
    TN_EQ_UINT(r.n, 3);   /* order kept, target port wins, otherwise the asked port */
    TN_CHECK(has_addr(&r, "127.0.0.1", 1234));
    TN_CHECK(has_addr(&r, "::1", 80));
    TN_CHECK(has_addr(&r, "10.9.8.7", 80));
    TN_EQ_INT(tn_addr_family(&r.addrs[0]), TN_AF_INET);
    TN_EQ_INT(tn_addr_family(&r.addrs[1]), TN_AF_INET6);
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_resolve(loop, rv, "api.test", 443, TN_AF_UNSPEC, on_resolved, &r, NULL));   /* host:port wins */
    TN_OK_RC(tn_resolve(loop, rv, "api.test", 80, TN_AF_INET6, on_resolved, &r, NULL));
    run_until_calls(loop, &r, 2);
    TN_EQ_UINT(r.n, 1);
    TN_CHECK(has_addr(&r, "::1", 80));
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_resolve(loop, rv, "api.test", 443, TN_AF_UNSPEC, on_resolved, &r, NULL));
    run_until_calls(loop, &r, 1);
    TN_EQ_UINT(r.n, 1);
    TN_CHECK(has_addr(&r, "10.0.0.1", 443));
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_resolve(loop, rv, "alias.test", 7, TN_AF_INET, on_resolved, &r, NULL));   /* a name target */
    run_until_calls(loop, &r, 1);
    TN_OK_RC(r.status);
    TN_CHECK(has_addr(&r, "127.0.0.1", 7));
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_resolve(loop, rv, "broken.test", 7, TN_AF_UNSPEC, on_resolved, &r, NULL));
    run_until_calls(loop, &r, 1);
    TN_EQ_RC(r.status, TN_ERESOLVE);
    TN_OK_RC(tn_resolver_close(rv, NULL, NULL));
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_OK_RC(tn_loop_free(loop));
}

static void set_int(tn_loop *loop, void *u) { (void)loop; *(int *)u = 1; }

/* Outcomes of many lookups: each status counted; a cancelled one must carry no addresses. */
typedef struct tally { int calls, ok, cancelled, bad; } tally;

static void on_tally(int status, const tn_addr *addrs, size_t n, void *user) {
    tally *t = (tally *)user;
    t->calls++;
    if (status == TN_OK && addrs && n > 0) t->ok++;
    else if (status == TN_ECANCELED && !addrs && n == 0) t->cancelled++;
    else t->bad++;
}

TN_TEST(resolve_threaded_and_cancel) {
    tn_loop *loop = new_loop();
    tn_resolver *rv;
    tn_resolver_opts o;
    tn_resolve_req *req;
    res r, rc2;
    tally t;
    int i, closed = 0, round;
    uint64_t end = tn_time_ms() + 20000;
    memset(&o, 0, sizeof o);
    o.kind = TN_RESOLVER_THREADED;
    o.threads = 3;
    TN_OK_RC(tn_resolver_new(loop, &o, &rv));
    TN_OK_RC(tn_resolver_add_override(rv, "svc.test", "127.0.0.1:9000"));
    memset(&r, 0, sizeof r);
    for (i = 0; i < 20; i++)
        TN_OK_RC(tn_resolve(loop, rv, i % 2 ? "localhost" : "svc.test", 80, TN_AF_INET, on_resolved, &r, NULL));
    TN_EQ_INT(r.calls, 0);
    run_until_calls(loop, &r, 20);
    TN_OK_RC(r.status);
    /* a cancelled request still calls back exactly once, with TN_ECANCELED */
    memset(&rc2, 0, sizeof rc2);
    TN_OK_RC(tn_resolve(loop, rv, "localhost", 80, TN_AF_UNSPEC, on_resolved, &rc2, &req));
    tn_resolve_cancel(req);
    run_until_calls(loop, &rc2, 1);
    TN_EQ_RC(rc2.status, TN_ECANCELED);
    /* requests still queued when the resolver closes finish with TN_ECANCELED (and no
       addresses); only lookups the 3 workers have started may still complete. Queued in
       one burst and closed at once, nearly all 200 are still queued (all of them, typically);
       how many the workers finish first depends on scheduling (a test thread kept off the
       CPU while it queues lets them finish all 200), so each round checks that everything
       completed normally, and a round that cancels none is tried again with a new
       resolver, up to 5 rounds: the close must cancel some in one of them. */
    for (round = 0; round < 5; round++) {
        if (round > 0) TN_OK_RC(tn_resolver_new(loop, &o, &rv));
        memset(&t, 0, sizeof t);
        closed = 0;
        for (i = 0; i < 200; i++) TN_OK_RC(tn_resolve(loop, rv, "localhost", 80, TN_AF_UNSPEC, on_tally, &t, NULL));
        TN_OK_RC(tn_resolver_close(rv, set_int, &closed));
        TN_EQ_RC(tn_resolve(loop, rv, "localhost", 80, TN_AF_UNSPEC, on_tally, &t, NULL), TN_ECLOSED);
        while (t.calls < 200 && tn_time_ms() < end) TN_CHECK(tn_loop_run_once(loop, 50) >= 0);
        TN_EQ_INT(t.calls, 200);
        TN_EQ_INT(t.ok + t.cancelled, 200);   /* nothing else: no errors, no double calls */
        TN_EQ_INT(t.bad, 0);
        while (!closed) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
        if (t.cancelled > 0) break;
    }
    TN_CHECKF(t.cancelled > 0, "in 5 rounds none of 200 queued lookups was cancelled by the close (%d ran)", t.ok);
    TN_OK_RC(tn_loop_free(loop));
}

TN_TEST(resolve_blocking_cancel_and_loop_free) {
    tn_loop *loop = new_loop();
    tn_resolve_req *req;
    res r;
    memset(&r, 0, sizeof r);
    TN_OK_RC(tn_resolve(loop, NULL, "localhost", 80, TN_AF_UNSPEC, on_resolved, &r, &req));
    TN_EQ_RC(tn_loop_free(loop), TN_EBUSY);   /* the request is alive */
    tn_resolve_cancel(req);
    run_until_calls(loop, &r, 1);
    TN_EQ_RC(r.status, TN_ECANCELED);
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_OK_RC(tn_loop_free(loop));
}

TN_TESTS(
    TN_CASE(addr_parse_and_format),
    TN_CASE(is_valid_ip),
    TN_CASE(bind_port0_same_port_every_family),
    TN_CASE(bind_in_use_and_reuse_port),
    TN_CASE(bind_unix_stale_and_mode),
    TN_CASE(resolve_blocking),
    TN_CASE(resolve_override_table),
    TN_CASE(resolve_threaded_and_cancel),
    TN_CASE(resolve_blocking_cancel_and_loop_free)
)
