/* test_tls_limits.c: the tiny-limits build for TLS. tests/test_limits.c is built without
   OpenSSL, so the TLS limit macros get their edge tests here: the library in this binary
   is compiled with TORNADO_WITH_OPENSSL and a tiny TORNADO_TLS_HANDSHAKE_TIMEOUT_MS, and
   contexts made with zeroed options (handshake_timeout_ms = 0, so the macro is what
   applies) must end a stalled handshake after that long, not before and not much later,
   on both sides: a client whose server accepts and says nothing, a server whose client sends
   three bytes of a ClientHello and stalls. The server's certificate is made at run time
   with the openssl command (kept in memory, nothing written to keep). */
#define TORNADO_TLS_HANDSHAKE_TIMEOUT_MS 200u   /* tls_handshake_timeout_client/_server */
#define TORNADO_WITH_OPENSSL
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

typedef struct hs_result { int done, status; uint64_t at; } hs_result;

static void on_hs(tn_stream *s, int status, void *user) {
    hs_result *r = (hs_result *)user;
    (void)s;
    r->done = 1;
    r->status = status;
    r->at = tn_loop_now(tn_stream_loop(s));
}

/* The timeout fired: not before the macro's value, and within a generous bound. */
static void check_timing(const hs_result *r, uint64_t start) {
    TN_CHECKF(r->done, "the stalled handshake never ended");
    TN_EQ_RC(r->status, TN_ETIMEOUT);
    TN_CHECKF(r->at - start >= TORNADO_TLS_HANDSHAKE_TIMEOUT_MS, "timed out after %llu ms, before %u",
              (unsigned long long)(r->at - start), (unsigned)TORNADO_TLS_HANDSHAKE_TIMEOUT_MS);
    TN_CHECKF(r->at - start < 5000, "timed out only after %llu ms", (unsigned long long)(r->at - start));
}

/* ---- a client: the server accepts and never answers the ClientHello ---- */
static tn_stream *held;
static void hold_conn(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    (void)srv, (void)peer, (void)user;
    held = s;   /* silent: reads nothing, writes nothing */
}
typedef struct cl { tn_tls_ctx *ctx; hs_result r; uint64_t start; } cl;
static void on_connected(int status, tn_stream *s, void *user) {
    cl *c = (cl *)user;
    TN_OK_RC(status);
    c->start = tn_loop_now(tn_stream_loop(s));
    TN_OK_RC(tn_stream_start_tls(s, c->ctx, "localhost", on_hs, &c->r));
}
static void close_and_drain(tn_loop *loop, tn_tcp_server *srv) {
    TN_OK_RC(tn_tcp_server_close(srv, NULL, NULL));
    while (tn_loop_alive(loop) > 0) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
    TN_OK_RC(tn_loop_free(loop));
}
TN_TEST(tls_handshake_timeout_client) {
    tn_loop *loop;
    tn_tcp_server *srv;
    tn_tls_opts o;
    cl c;
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_OK_RC(tn_tcp_server_new(loop, NULL, hold_conn, NULL, &srv));
    TN_OK_RC(tn_tcp_server_listen(srv, "127.0.0.1", 0));
    memset(&o, 0, sizeof o);   /* handshake_timeout_ms 0: the macro */
    o.verify = TN_TLS_VERIFY_NONE;   /* no certificate is ever seen */
    memset(&c, 0, sizeof c);
    TN_OK_RC(tn_tls_ctx_new(loop, &o, &c.ctx));
    TN_OK_RC(tn_tcp_connect(loop, "127.0.0.1", tn_tcp_server_port(srv), NULL, on_connected, &c, NULL));
    TN_OK_RC(tn_loop_run_until(loop, &c.r.done, 10000));
    check_timing(&c.r, c.start);
    tn_tls_ctx_free(c.ctx);
    if (held) (void)tn_stream_close(held, NULL, NULL);
    close_and_drain(loop, srv);
}

/* ---- a server: the client sends the start of a record and stalls ---- */
static tn_str slurp_cmd(const char *cmd) {
    static char buf[8192];
    size_t n = 0, k;
    FILE *p = popen(cmd, "r");
    TN_CHECKF(p != NULL, "popen failed");
    while ((k = fread(buf + n, 1, sizeof buf - 1 - n, p)) > 0) n += k;
    TN_CHECKF(pclose(p) == 0 && n > 0, "%s failed", cmd);
    buf[n] = 0;
    return tn_str_make(buf, n);
}
static hs_result srv_r;
static uint64_t srv_start;
static tn_tls_ctx *srv_ctx;
static void tls_conn(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    (void)srv, (void)peer, (void)user;
    srv_start = tn_loop_now(tn_stream_loop(s));
    TN_OK_RC(tn_stream_start_tls(s, srv_ctx, NULL, on_hs, &srv_r));
}
TN_TEST(tls_handshake_timeout_server) {
    tn_loop *loop;
    tn_tcp_server *srv;
    tn_tls_opts o;
    struct sockaddr_in sa;
    char *pem;
    tn_str both;
    int fd;
    if (system("openssl version >/dev/null 2>&1") != 0) TN_SKIP("the openssl command is missing (apt-get install openssl)");
    /* key and certificate in one PEM stream, both read from memory */
    both = slurp_cmd("d=$(mktemp -d) && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                     "-keyout $d/k.pem -out $d/c.pem -subj /CN=localhost -days 2 2>/dev/null && cat $d/c.pem $d/k.pem; "
                     "rc=$?; rm -rf $d; exit $rc");
    pem = (char *)malloc(both.len);
    TN_CHECK(pem != NULL);
    memcpy(pem, both.ptr, both.len);
    TN_OK_RC(tn_loop_new(NULL, &loop));
    memset(&o, 0, sizeof o);
    o.side = TN_TLS_SERVER;
    o.cert_pem = tn_str_make(pem, both.len);
    o.key_pem = tn_str_make(pem, both.len);
    TN_OK_RC(tn_tls_ctx_new(loop, &o, &srv_ctx));
    TN_OK_RC(tn_tcp_server_new(loop, NULL, tls_conn, NULL, &srv));
    TN_OK_RC(tn_tcp_server_listen(srv, "127.0.0.1", 0));
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)tn_tcp_server_port(srv));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    TN_CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    TN_CHECK(write(fd, "\x16\x03\x01", 3) == 3);
    TN_OK_RC(tn_loop_run_until(loop, &srv_r.done, 10000));
    check_timing(&srv_r, srv_start);
    close(fd);
    tn_tls_ctx_free(srv_ctx);
    free(pem);
    close_and_drain(loop, srv);
}

TN_TESTS(TN_CASE(tls_handshake_timeout_client), TN_CASE(tls_handshake_timeout_server))
