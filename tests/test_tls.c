/* test_tls.c: the TLS transport under streams (OpenSSL 3 through our BIO): handshakes both
   ways in one loop, echo of small and large payloads, verification failures with their
   reasons (unknown CA, expired, wrong host, wrong IP, self-signed), certificates and
   passphrase keys from files and memory, mutual TLS, close_notify vs truncation, plain
   bytes or garbage at a TLS port, TLS at a plain port, a stalled handshake (timeout),
   start_tls after a plain exchange, SNI with two certificates, wss:// (our WebSocket client
   against tn_app over TLS; verification failures), the HTTP client resuming sessions, our
   heap per idle https connection. Certificates are made at run time with the openssl
   command (in a temporary directory per run, removed at exit; nothing secret is committed). */
#define TORNADO_WITH_OPENSSL
#define OPENSSL_API_COMPAT 30000
#define OPENSSL_NO_DEPRECATED
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include "tn_test_client.h"
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/prctl.h>

/* ---- certificates -------------------------------------------------------------------- */
static char certdir[256];

static const char *cpath(const char *name) {
    static char bufs[8][512];
    static int k;
    char *b = bufs[k++ & 7];
    snprintf(b, 512, "%s/%s", certdir, name);
    return b;
}

/* ca.pem/ca.key; srv.pem/srv.key (localhost, *.example.test, 127.0.0.1); srv_enc.key
   (passphrase "secret"); exp.pem (expired); self.pem (self-signed); other_ca.pem and
   other.pem (another CA); alice.pem/alice.key (a client certificate); srv2.pem/srv2.key
   (second.test, *.wild.test: SNI). The directory is /tmp/tn_tls_<pid of the test program>
   (the cases run in its children), removed when the program exits. */
static void certs(void) {
    char cmd[4096], tmp[300], done[300];
    snprintf(certdir, sizeof certdir, "/tmp/tn_tls_%d", (int)getppid());
    snprintf(done, sizeof done, "%s/done", certdir);
    if (access(done, F_OK) == 0) return;
    if (system("openssl version >/dev/null 2>&1") != 0) TN_SKIP("the openssl command is missing (apt-get install openssl)");
    snprintf(tmp, sizeof tmp, "%s.%d", certdir, (int)getpid());
    snprintf(cmd, sizeof cmd,
             "set -e; rm -rf %s; mkdir -p %s; cd %s;"
             "key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out $1 2>/dev/null; };"
             "printf '[ca]\\ndefault_ca=d\\n[d]\\ndatabase=index.txt\\nnew_certs_dir=.\\nserial=serial\\n"
             "default_md=sha256\\npolicy=p\\ncopy_extensions=copy\\nunique_subject=no\\n[p]\\norganizationName=optional\\ncommonName=supplied\\n' > ca.cnf;"
             "touch index.txt; echo 01 > serial;"
             "key ca.key; openssl req -x509 -new -key ca.key -subj '/CN=Test CA' -days 3650 -out ca.pem "
             "  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign;"
             "key other_ca.key; openssl req -x509 -new -key other_ca.key -subj '/CN=Other CA' -days 3650 -out other_ca.pem "
             "  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign;"
             "key srv.key; openssl req -new -key srv.key -subj /CN=localhost "
             "  -addext subjectAltName=DNS:localhost,DNS:*.example.test,IP:127.0.0.1 -out srv.csr;"
             "ca() { openssl ca -batch -config ca.cnf -notext \"$@\" >/dev/null 2>&1; };"
             "ca -cert ca.pem -keyfile ca.key -in srv.csr -out srv.pem -days 3650;"
             "ca -cert ca.pem -keyfile ca.key -in srv.csr -out exp.pem -startdate 20200101000000Z -enddate 20210101000000Z;"
             "ca -cert other_ca.pem -keyfile other_ca.key -in srv.csr -out other.pem -days 3650;"
             "key srv2.key; openssl req -new -key srv2.key -subj /CN=second.test "
             "  -addext subjectAltName=DNS:second.test,DNS:*.wild.test -out srv2.csr;"
             "ca -cert ca.pem -keyfile ca.key -in srv2.csr -out srv2.pem -days 3650;"
             "openssl req -x509 -new -key srv.key -subj /CN=localhost -addext subjectAltName=DNS:localhost -days 3650 -out self.pem;"
             "openssl pkey -in srv.key -aes256 -passout pass:secret -out srv_enc.key;"
             "key alice.key; openssl req -new -key alice.key -subj '/O=Example/CN=alice' -addext extendedKeyUsage=clientAuth -out alice.csr;"
             "ca -cert ca.pem -keyfile ca.key -in alice.csr -out alice.pem -days 3650;"
             "touch done; cd /; rm -rf %s; mv %s %s 2>/dev/null || rm -rf %s",
             tmp, tmp, tmp, certdir, tmp, certdir, tmp);
    if (system(cmd) != 0 || access(done, F_OK) != 0) TN_CHECKF(0, "making certificates failed");
}

/* At the test program's exit (not its children's): remove the certificate directory. */
__attribute__((destructor)) static void remove_certs(void) {
    char dir[64], cmd[128];
    snprintf(dir, sizeof dir, "/tmp/tn_tls_%d", (int)getpid());
    if (access(dir, F_OK) != 0) return;
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "test_tls: could not remove %s\n", dir);
}

static tn_str slurp(const char *path) {
    static char bufs[4][8192];
    static int k;
    char *b = bufs[k++ & 3];
    FILE *f = fopen(path, "rb");
    size_t n;
    TN_CHECK(f != NULL);
    n = fread(b, 1, 8191, f);
    fclose(f);
    return tn_str_make(b, n);
}

/* ---- an echo server over TLS -------------------------------------------------------- */
typedef struct srvstate {
    int conns, closed, cause;
    const char *err;
    char subject[256];
    int subject_rc;
    tn_tls_info info;
    char alpn[32];
} srvstate;
static srvstate srv_st;

static void srv_read(tn_stream *s);
static void srv_written(tn_stream *s, int status, void *user) {
    (void)user;
    if (status == 0) srv_read(s);
}
static void srv_on_read(tn_stream *s, int status, tn_str data, void *user) {
    (void)user;
    if (status < 0) return;
    if (!srv_st.info.done) {
        TN_OK_RC(tn_stream_tls_info(s, &srv_st.info));
        snprintf(srv_st.alpn, sizeof srv_st.alpn, "%.*s", (int)srv_st.info.alpn.len, srv_st.info.alpn.ptr);
        srv_st.subject_rc = tn_stream_tls_peer_subject(s, srv_st.subject, sizeof srv_st.subject);
    }
    if (data.len == 4 && memcmp(data.ptr, "BYE!", 4) == 0) {
        tn_stream_close(s, NULL, NULL);   /* graceful: close_notify */
        return;
    }
    if (data.len == 4 && memcmp(data.ptr, "CUT!", 4) == 0) {
        tn_stream_abort(s, TN_ERESET);    /* no close_notify */
        return;
    }
    TN_OK_RC(tn_stream_write(s, data.ptr, data.len, srv_written, NULL));
}
static void srv_read(tn_stream *s) {
    if (tn_stream_read_bytes(s, 65536, TN_READ_PARTIAL, srv_on_read, NULL) != 0) tn_stream_close(s, NULL, NULL);
}
static void srv_on_close(tn_stream *s, int cause, void *user) {
    (void)user;
    srv_st.closed++;
    srv_st.cause = cause;
    srv_st.err = tn_stream_tls_error(s);
}
static void srv_on_conn(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    (void)srv;
    (void)peer;
    (void)user;
    srv_st.conns++;
    TN_CHECK(tn_stream_is_tls(s));
    tn_stream_set_close_cb(s, srv_on_close, NULL);
    srv_read(s);
}

static tn_tcp_server *echo_server(tn_loop *loop, tn_tls_ctx *ctx, int *port) {
    tn_tcp_server_opts o;
    tn_tcp_server *srv;
    memset(&o, 0, sizeof o);
    memset(&srv_st, 0, sizeof srv_st);
    o.tls = ctx;
    TN_OK_RC(tn_tcp_server_new(loop, &o, srv_on_conn, NULL, &srv));
    TN_OK_RC(tn_tcp_server_listen(srv, "127.0.0.1", 0));
    *port = tn_tcp_server_port(srv);
    return srv;
}

static tn_tls_ctx *server_ctx(tn_loop *loop, const char *cert, const char *key) {
    tn_tls_opts o;
    tn_tls_ctx *c;
    memset(&o, 0, sizeof o);
    o.side = TN_TLS_SERVER;
    o.cert_file = cpath(cert);
    o.key_file = cpath(key);
    TN_OK_RC(tn_tls_ctx_new(loop, &o, &c));
    return c;
}

static tn_tls_ctx *client_ctx(tn_loop *loop, const char *ca) {
    tn_tls_opts o;
    tn_tls_ctx *c;
    memset(&o, 0, sizeof o);
    o.ca_file = ca ? cpath(ca) : NULL;
    TN_OK_RC(tn_tls_ctx_new(loop, &o, &c));
    return c;
}

/* ---- a client: connect, start_tls, send, read the echo ------------------------------ */
typedef struct client {
    tn_loop *loop;
    tn_tls_ctx *ctx;
    const char *host;
    const char *payload;
    size_t len;
    const char *bye;             /* sent after the echo came back ("BYE!", "CUT!") */
    tn_stream *s;
    int in_call;
    int hs_calls, hs_status;
    char err[128];
    char *got;
    size_t got_len;
    int read_status, eof_status;
    int closed, cause;
    int done;
    tn_tls_info info;
} client;

static void cl_on_close(tn_stream *s, int cause, void *user) {
    client *c = (client *)user;
    (void)s;
    c->closed++;
    c->cause = cause;
    if (!c->err[0]) snprintf(c->err, sizeof c->err, "%s", tn_stream_tls_error(s));
    c->done = 1;
}

static void cl_on_tail(tn_stream *s, int status, tn_str data, void *user) {
    client *c = (client *)user;
    (void)s;
    (void)data;
    c->eof_status = status;
    if (status != TN_MORE) c->done = 1;
}

static void cl_on_read(tn_stream *s, int status, tn_str data, void *user) {
    client *c = (client *)user;
    c->read_status = status;
    if (status < 0) return;
    if (data.len) memcpy(c->got + c->got_len, data.ptr, data.len);
    c->got_len += data.len;
    if (status == TN_OK) {
        if (c->bye) {
            TN_OK_RC(tn_stream_write(s, c->bye, 4, NULL, NULL));
            TN_OK_RC(tn_stream_read_until_close(s, TN_READ_STREAMING, cl_on_tail, c));
        } else {
            c->done = 1;
        }
    }
}

static void cl_on_hs(tn_stream *s, int status, void *user) {
    client *c = (client *)user;
    TN_CHECKF(!c->in_call, "the handshake callback ran inside tn_stream_start_tls");
    c->hs_calls++;
    c->hs_status = status;
    snprintf(c->err, sizeof c->err, "%s", tn_stream_tls_error(s));
    if (status != 0) return;
    TN_OK_RC(tn_stream_tls_info(s, &c->info));
    TN_OK_RC(tn_stream_write(s, c->payload, c->len, NULL, NULL));
    TN_OK_RC(tn_stream_read_bytes(s, c->len, TN_READ_STREAMING, cl_on_read, c));
}

static void cl_on_connected(int status, tn_stream *s, void *user) {
    client *c = (client *)user;
    TN_OK_RC(status);
    c->s = s;
    tn_stream_set_close_cb(s, cl_on_close, c);
    c->in_call = 1;
    TN_OK_RC(tn_stream_start_tls(s, c->ctx, c->host, cl_on_hs, c));
    c->in_call = 0;
}

static void run_client(client *c, tn_loop *loop, int port, tn_tls_ctx *ctx, const char *host, const char *payload,
                       size_t len) {
    memset(c, 0, sizeof *c);
    c->loop = loop;
    c->ctx = ctx;
    c->host = host;
    c->payload = payload;
    c->len = len;
    c->got = (char *)malloc(len + 1);
    TN_OK_RC(tn_tcp_connect(loop, "127.0.0.1", port, NULL, cl_on_connected, c, NULL));
    TN_OK_RC(tn_loop_run_until(loop, &c->done, 20000));
    TN_CHECKF(c->done, "the client did not finish");
}

/* Close the client's stream and wait for its close callback (it must not reach the next run). */
static void close_client(client *c) {
    c->done = 0;
    if (!c->closed) tn_stream_close(c->s, NULL, NULL);
    while (!c->closed) TN_CHECK(tn_loop_run_once(c->loop, 10) >= 0);
    free(c->got);
    c->got = NULL;
}

static void finish(tn_loop *loop, client *c, tn_tcp_server *srv, tn_tls_ctx *a, tn_tls_ctx *b) {
    if (c && c->s && !c->closed) tn_stream_close(c->s, NULL, NULL);
    if (c) free(c->got);
    if (srv) TN_OK_RC(tn_tcp_server_close(srv, NULL, NULL));
    tn_tls_ctx_free(a);
    tn_tls_ctx_free(b);
    while (tn_loop_alive(loop) > 0) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
    TN_OK_RC(tn_loop_free(loop));
}

/* Run the loop until the server saw its connection close. */
static void wait_server_close(tn_loop *loop) {
    int i;
    for (i = 0; i < 500 && !srv_st.closed; i++) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
    TN_CHECKF(srv_st.closed, "the server's stream did not close");
}

/* ---- cases ---------------------------------------------------------------------------- */
TN_TEST(echo_small) {
    tn_loop *loop;
    tn_tls_ctx *sc, *cc;
    tn_tcp_server *srv;
    client c;
    int port;
    certs();
    TN_OK_RC(tn_loop_new(NULL, &loop));
    sc = server_ctx(loop, "srv.pem", "srv.key");
    cc = client_ctx(loop, "ca.pem");
    srv = echo_server(loop, sc, &port);
    run_client(&c, loop, port, cc, "localhost", "hello over tls", 14);
    TN_EQ_INT(c.hs_calls, 1);
    TN_OK_RC(c.hs_status);
    TN_EQ_MEM(c.got, "hello over tls", 14);
    TN_EQ_STR(c.info.version, "TLSv1.3");
    TN_EQ_INT(c.info.session_reused, 0);
    TN_EQ_INT(c.info.peer_verified, 1);
    TN_EQ_INT(srv_st.info.done, 1);
    TN_EQ_STR(srv_st.info.server_name, "localhost");
    TN_EQ_INT(srv_st.info.peer_verified, 0);
    TN_EQ_RC(srv_st.subject_rc, TN_ENOENT);
    finish(loop, &c, srv, sc, cc);
}

TN_TEST(echo_large) {
    tn_loop *loop;
    tn_tls_ctx *sc, *cc;
    tn_tcp_server *srv;
    client c;
    int port;
    size_t n = 4u << 20, i;
    char *big = (char *)malloc(n);
    certs();
    for (i = 0; i < n; i++) big[i] = (char)(i * 7 + (i >> 13));
    TN_OK_RC(tn_loop_new(NULL, &loop));
    sc = server_ctx(loop, "srv.pem", "srv.key");
    cc = client_ctx(loop, "ca.pem");
    srv = echo_server(loop, sc, &port);
    run_client(&c, loop, port, cc, "localhost", big, n);
    TN_OK_RC(c.hs_status);
    TN_EQ_UINT(c.got_len, n);
    TN_CHECK(memcmp(c.got, big, n) == 0);
    free(big);
    finish(loop, &c, srv, sc, cc);
}

/* A handshake the client refuses: its status and reason, and the server sees the alert. */
static void expect_client_failure(const char *cert, const char *ca, const char *host, int code, const char *reason) {
    tn_loop *loop;
    tn_tls_ctx *sc, *cc;
    tn_tcp_server *srv;
    client c;
    int port;
    certs();
    TN_OK_RC(tn_loop_new(NULL, &loop));
    sc = server_ctx(loop, cert, "srv.key");
    cc = client_ctx(loop, ca);
    srv = echo_server(loop, sc, &port);
    run_client(&c, loop, port, cc, host, "x", 1);
    TN_EQ_INT(c.hs_calls, 1);
    TN_EQ_RC(c.hs_status, code);
    TN_EQ_STR(c.err, reason);
    TN_EQ_RC(c.cause, code);
    wait_server_close(loop);
    TN_EQ_RC(srv_st.cause, TN_ETLS);   /* the client's alert */
    finish(loop, &c, srv, sc, cc);
}

TN_TEST(unknown_ca) { expect_client_failure("other.pem", "ca.pem", "localhost", TN_ETLS_VERIFY, "unable to get local issuer certificate"); }
TN_TEST(expired) { expect_client_failure("exp.pem", "ca.pem", "localhost", TN_ETLS_VERIFY, "certificate has expired"); }
TN_TEST(wrong_host) { expect_client_failure("srv.pem", "ca.pem", "example.com", TN_ETLS_VERIFY, "hostname mismatch"); }
TN_TEST(wrong_ip) { expect_client_failure("srv.pem", "ca.pem", "127.0.0.2", TN_ETLS_VERIFY, "IP address mismatch"); }
TN_TEST(self_signed) { expect_client_failure("self.pem", "ca.pem", "localhost", TN_ETLS_VERIFY, "self-signed certificate"); }
TN_TEST(system_store_refuses_test_ca) {
    expect_client_failure("srv.pem", NULL, "localhost", TN_ETLS_VERIFY, "unable to get local issuer certificate");
}

/* Names that verify: a wildcard for one label, the IP SAN, and no verification at all. */
TN_TEST(names_that_verify) {
    static const char *const hosts[] = { "a.example.test", "LOCALHOST", "127.0.0.1" };
    tn_loop *loop;
    tn_tls_ctx *sc, *cc, *nv;
    tn_tcp_server *srv;
    tn_tls_opts o;
    client c;
    int port;
    size_t i;
    certs();
    TN_OK_RC(tn_loop_new(NULL, &loop));
    sc = server_ctx(loop, "srv.pem", "srv.key");
    cc = client_ctx(loop, "ca.pem");
    srv = echo_server(loop, sc, &port);
    for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        run_client(&c, loop, port, cc, hosts[i], "ok", 2);
        TN_CHECKF(c.hs_status == 0, "%s: %s (%s)", hosts[i], tn_err_name(c.hs_status), c.err);
        close_client(&c);
    }
    /* two labels under a wildcard: refused */
    run_client(&c, loop, port, cc, "a.b.example.test", "ok", 2);
    TN_EQ_RC(c.hs_status, TN_ETLS_VERIFY);
    free(c.got);
    /* verification off: the self-signed name mismatch goes through */
    memset(&o, 0, sizeof o);
    o.verify = TN_TLS_VERIFY_NONE;
    TN_OK_RC(tn_tls_ctx_new(loop, &o, &nv));
    run_client(&c, loop, port, nv, NULL, "ok", 2);
    TN_OK_RC(c.hs_status);
    TN_EQ_INT(c.info.peer_verified, 0);
    /* a verifying client needs a name */
    TN_EQ_RC(tn_stream_start_tls(c.s, cc, NULL, NULL, NULL), TN_EBUSY);
    tn_tls_ctx_free(nv);
    finish(loop, &c, srv, sc, cc);
}

/* Certificates and keys from memory, with a passphrase; bad passphrase and bad files. */
TN_TEST(memory_and_passphrase) {
    tn_loop *loop;
    tn_tls_ctx *sc, *cc, *bad;
    tn_tcp_server *srv;
    tn_tls_opts o;
    client c;
    int port;
    certs();
    TN_OK_RC(tn_loop_new(NULL, &loop));
    memset(&o, 0, sizeof o);
    o.side = TN_TLS_SERVER;
    o.cert_pem = slurp(cpath("srv.pem"));
    o.key_pem = slurp(cpath("srv_enc.key"));
    o.key_password = "secret";
    TN_OK_RC(tn_tls_ctx_new(loop, &o, &sc));
    o.key_password = "wrong";
    TN_EQ_RC(tn_tls_ctx_new(loop, &o, &bad), TN_ETLS);
    o.key_pem = slurp(cpath("alice.key"));   /* not the certificate's key */
    o.key_password = NULL;
    TN_EQ_RC(tn_tls_ctx_new(loop, &o, &bad), TN_ETLS);
    memset(&o, 0, sizeof o);
    o.side = TN_TLS_SERVER;
    o.cert_file = cpath("nonexistent.pem");
    o.key_file = cpath("srv.key");
    TN_EQ_RC(tn_tls_ctx_new(loop, &o, &bad), TN_ENOENT);
    memset(&o, 0, sizeof o);
    o.side = TN_TLS_SERVER;
    TN_EQ_RC(tn_tls_ctx_new(loop, &o, &bad), TN_EINVAL);   /* a server without a certificate */
    o.cert_file = cpath("srv.pem");
    o.key_file = cpath("srv_enc.key");
    o.key_password = "secret";
    o.min_version = TN_TLS_1_1;
    TN_EQ_RC(tn_tls_ctx_new(loop, &o, &bad), TN_EINVAL);   /* below 1.2 needs the explicit option */
    o.allow_legacy_versions = 1;
    TN_OK_RC(tn_tls_ctx_new(loop, &o, &bad));
    tn_tls_ctx_free(bad);
    memset(&o, 0, sizeof o);
    o.ca_pem = slurp(cpath("ca.pem"));
    TN_OK_RC(tn_tls_ctx_new(loop, &o, &cc));
    srv = echo_server(loop, sc, &port);
    run_client(&c, loop, port, cc, "localhost", "memory", 6);
    TN_OK_RC(c.hs_status);
    TN_EQ_MEM(c.got, "memory", 6);
    finish(loop, &c, srv, sc, cc);
}

/* Mutual TLS: the server requires a client certificate and hands its subject over. */
TN_TEST(mutual_tls) {
    tn_loop *loop;
    tn_tls_ctx *sc, *cc, *anon;
    tn_tcp_server *srv;
    tn_tls_opts o;
    client c;
    int port;
    certs();
    TN_OK_RC(tn_loop_new(NULL, &loop));
    memset(&o, 0, sizeof o);
    o.side = TN_TLS_SERVER;
    o.cert_file = cpath("srv.pem");
    o.key_file = cpath("srv.key");
    o.ca_file = cpath("ca.pem");
    o.verify = TN_TLS_VERIFY_REQUIRED;
    TN_OK_RC(tn_tls_ctx_new(loop, &o, &sc));
    memset(&o, 0, sizeof o);
    o.ca_file = cpath("ca.pem");
    o.cert_file = cpath("alice.pem");
    o.key_file = cpath("alice.key");
    TN_OK_RC(tn_tls_ctx_new(loop, &o, &cc));
    anon = client_ctx(loop, "ca.pem");
    srv = echo_server(loop, sc, &port);
    run_client(&c, loop, port, cc, "localhost", "mtls", 4);
    TN_OK_RC(c.hs_status);
    TN_EQ_MEM(c.got, "mtls", 4);
    TN_EQ_INT(srv_st.info.peer_verified, 1);
    TN_EQ_STR(srv_st.subject, "CN=alice,O=Example");
    close_client(&c);
    wait_server_close(loop);
    /* without a certificate: TLS 1.3 clients learn it at their first read */
    srv_st.closed = 0;
    run_client(&c, loop, port, anon, "localhost", "mtls", 4);
    TN_CHECK(c.hs_status == TN_OK || c.hs_status == TN_ETLS);
    TN_EQ_RC(c.cause, TN_ETLS);
    TN_CHECKF(strstr(c.err, "certificate required") != NULL, "client error: %s", c.err);
    wait_server_close(loop);
    TN_EQ_RC(srv_st.cause, TN_ETLS);
    TN_EQ_STR(srv_st.err, "peer did not return a certificate");
    tn_tls_ctx_free(anon);
    finish(loop, &c, srv, sc, cc);
}

/* close_notify makes a clean EOF; a peer that just closes the socket is a truncation. */
TN_TEST(close_notify_and_truncation) {
    tn_loop *loop;
    tn_tls_ctx *sc, *cc;
    tn_tcp_server *srv;
    client c;
    int port;
    certs();
    TN_OK_RC(tn_loop_new(NULL, &loop));
    sc = server_ctx(loop, "srv.pem", "srv.key");
    cc = client_ctx(loop, "ca.pem");
    srv = echo_server(loop, sc, &port);
    memset(&c, 0, sizeof c);
    c.loop = loop;
    c.ctx = cc;
    c.host = "localhost";
    c.payload = "ping";
    c.len = 4;
    c.bye = "BYE!";
    c.got = (char *)malloc(8);
    TN_OK_RC(tn_tcp_connect(loop, "127.0.0.1", port, NULL, cl_on_connected, &c, NULL));
    TN_OK_RC(tn_loop_run_until(loop, &c.done, 20000));
    TN_EQ_RC(c.eof_status, TN_OK);      /* read_until_close ended cleanly */
    free(c.got);
    c.got = NULL;
    memset(&c, 0, sizeof c);
    c.loop = loop;
    c.ctx = cc;
    c.host = "localhost";
    c.payload = "ping";
    c.len = 4;
    c.bye = "CUT!";
    c.got = (char *)malloc(8);
    TN_OK_RC(tn_tcp_connect(loop, "127.0.0.1", port, NULL, cl_on_connected, &c, NULL));
    TN_OK_RC(tn_loop_run_until(loop, &c.done, 20000));
    TN_EQ_RC(c.eof_status, TN_ETLS_TRUNCATED);
    TN_EQ_STR(c.err, "truncated: no close_notify");
    finish(loop, &c, srv, sc, cc);
}

/* Raw bytes at the TLS port: the server's stream closes with TN_ETLS and a reason. */
static void raw_to_tls(const char *bytes, size_t n, int code, const char *reason, uint64_t hs_timeout) {
    tn_loop *loop;
    tn_tls_ctx *sc;
    tn_tcp_server *srv;
    tn_tls_opts o;
    struct sockaddr_in sa;
    int fd, port;
    certs();
    TN_OK_RC(tn_loop_new(NULL, &loop));
    memset(&o, 0, sizeof o);
    o.side = TN_TLS_SERVER;
    o.cert_file = cpath("srv.pem");
    o.key_file = cpath("srv.key");
    o.handshake_timeout_ms = hs_timeout;
    TN_OK_RC(tn_tls_ctx_new(loop, &o, &sc));
    srv = echo_server(loop, sc, &port);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    TN_CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    if (n) TN_CHECK(write(fd, bytes, n) == (ssize_t)n);
    wait_server_close(loop);
    TN_EQ_RC(srv_st.cause, code);
    TN_EQ_STR(srv_st.err, reason);
    close(fd);
    finish(loop, NULL, srv, sc, NULL);
}

TN_TEST(plain_http_to_tls_port) {
    static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    raw_to_tls(req, sizeof req - 1, TN_ETLS, "http request", 0);
}
TN_TEST(garbage_instead_of_client_hello) {
    static const char junk[] = "\x16\x03\x01\x00\x05\x07\x00\x00\x01\xff garbage garbage garbage";
    static const char noise[] = "\x81\x02\x03\x04\x05 not TLS at all, not HTTP either";
    raw_to_tls(junk, sizeof junk - 1, TN_ETLS, "unexpected message", 0);   /* a record, not a ClientHello */
    raw_to_tls(noise, sizeof noise - 1, TN_ETLS, "wrong version number", 0);
}
TN_TEST(stalled_handshake_times_out) { raw_to_tls("\x16\x03\x01", 3, TN_ETIMEOUT, "handshake timed out", 300); }

/* TLS at a plain port: a plain echo sends the ClientHello back, which is no ServerHello. */
static void plain_on_read(tn_stream *s, int status, tn_str data, void *user) {
    (void)user;
    if (status < 0) return;
    (void)tn_stream_write(s, data.ptr, data.len, NULL, NULL);
    (void)tn_stream_read_bytes(s, 65536, TN_READ_PARTIAL, plain_on_read, NULL);
}
static void plain_on_conn(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    (void)srv;
    (void)peer;
    (void)user;
    (void)tn_stream_read_bytes(s, 65536, TN_READ_PARTIAL, plain_on_read, NULL);
}
TN_TEST(tls_to_plain_port) {
    tn_loop *loop;
    tn_tls_ctx *cc;
    tn_tcp_server *srv;
    client c;
    TN_OK_RC(tn_loop_new(NULL, &loop));
    certs();
    cc = client_ctx(loop, "ca.pem");
    TN_OK_RC(tn_tcp_server_new(loop, NULL, plain_on_conn, NULL, &srv));
    TN_OK_RC(tn_tcp_server_listen(srv, "127.0.0.1", 0));
    run_client(&c, loop, tn_tcp_server_port(srv), cc, "localhost", "x", 1);
    TN_EQ_RC(c.hs_status, TN_ETLS);
    TN_CHECKF(c.err[0] != 0, "no reason given");
    finish(loop, &c, srv, cc, NULL);
}

/* start_tls after a plain exchange (STARTTLS), the server side too. */
static tn_tls_ctx *st_server_ctx;
static int st_server_hs;
static void st_srv_hs(tn_stream *s, int status, void *user) {
    (void)user;
    st_server_hs = status == 0 ? 1 : -1;
    if (status == 0) srv_read(s);   /* then echo over TLS */
}
static void st_srv_on_line(tn_stream *s, int status, tn_str data, void *user) {
    (void)user;
    if (status < 0) return;
    TN_EQ_TSTR(data, "STARTTLS\n");
    TN_OK_RC(tn_stream_write(s, "GO\n", 3, NULL, NULL));
    TN_EQ_RC(tn_stream_start_tls(s, st_server_ctx, NULL, st_srv_hs, NULL), TN_EBUSY);   /* "GO" unsent? */
}
static void st_srv_on_conn(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    (void)srv;
    (void)peer;
    (void)user;
    tn_stream_set_close_cb(s, srv_on_close, NULL);
    TN_OK_RC(tn_stream_read_until(s, "\n", 1, 100, st_srv_on_line, NULL));
}
static void st_cl_on_go(tn_stream *s, int status, tn_str data, void *user) {
    client *c = (client *)user;
    TN_OK_RC(status);
    TN_EQ_TSTR(data, "GO\n");
    TN_OK_RC(tn_stream_start_tls(s, c->ctx, c->host, cl_on_hs, c));
}
static void st_cl_on_connected(int status, tn_stream *s, void *user) {
    client *c = (client *)user;
    TN_OK_RC(status);
    c->s = s;
    tn_stream_set_close_cb(s, cl_on_close, c);
    TN_OK_RC(tn_stream_write(s, "STARTTLS\n", 9, NULL, NULL));
    TN_OK_RC(tn_stream_read_until(s, "\n", 1, 100, st_cl_on_go, c));
}
static void st_srv_written(tn_stream *s, int status, void *user) {
    (void)user;
    if (status == 0) TN_OK_RC(tn_stream_start_tls(s, st_server_ctx, NULL, st_srv_hs, NULL));
}
static void st_srv_on_line2(tn_stream *s, int status, tn_str data, void *user) {
    (void)user;
    if (status < 0) return;
    TN_EQ_TSTR(data, "STARTTLS\n");
    TN_OK_RC(tn_stream_write(s, "GO\n", 3, st_srv_written, NULL));   /* TLS once "GO" left */
}
static void st_srv_on_conn2(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    (void)srv;
    (void)peer;
    (void)user;
    tn_stream_set_close_cb(s, srv_on_close, NULL);
    TN_OK_RC(tn_stream_read_until(s, "\n", 1, 100, st_srv_on_line2, NULL));
}
TN_TEST(start_tls_after_plain) {
    tn_loop *loop;
    tn_tls_ctx *cc;
    tn_tcp_server *srv;
    client c;
    certs();
    TN_OK_RC(tn_loop_new(NULL, &loop));
    st_server_ctx = server_ctx(loop, "srv.pem", "srv.key");
    cc = client_ctx(loop, "ca.pem");
    memset(&srv_st, 0, sizeof srv_st);
    (void)st_srv_on_conn;
    (void)st_srv_on_line;
    TN_OK_RC(tn_tcp_server_new(loop, NULL, st_srv_on_conn2, NULL, &srv));
    TN_OK_RC(tn_tcp_server_listen(srv, "127.0.0.1", 0));
    memset(&c, 0, sizeof c);
    c.loop = loop;
    c.ctx = cc;
    c.host = "localhost";
    c.payload = "secret words";
    c.len = 12;
    c.got = (char *)malloc(16);
    TN_OK_RC(tn_tcp_connect(loop, "127.0.0.1", tn_tcp_server_port(srv), NULL, st_cl_on_connected, &c, NULL));
    TN_OK_RC(tn_loop_run_until(loop, &c.done, 20000));
    TN_OK_RC(c.hs_status);
    TN_EQ_INT(st_server_hs, 1);
    TN_EQ_MEM(c.got, "secret words", 12);
    finish(loop, &c, srv, st_server_ctx, cc);
}

/* ---- https: tn_app serving, tn_http_client fetching ---------------------------------- */
static void h_who(tn_request *req, const tn_route_match *m, void *user) {
    char subj[256];
    tn_tls_info info;
    (void)m;
    (void)user;
    TN_OK_RC(tn_stream_tls_info(tn_request_stream(req), &info));
    if (tn_stream_tls_peer_subject(tn_request_stream(req), subj, sizeof subj) < 0) strcpy(subj, "-");
    (void)tn_web_writef(req, "%s|%.*s|%s", tn_request_protocol(req), (int)info.alpn.len, info.alpn.ptr, subj);
}

static void h_tlsinfo(tn_request *req, const tn_route_match *m, void *user) {
    tn_tls_info info;
    (void)m;
    (void)user;
    TN_OK_RC(tn_stream_tls_info(tn_request_stream(req), &info));
    (void)tn_web_writef(req, "%s reused=%d", info.version, info.session_reused);
}

typedef struct answer { int done, code, error, reused; char msg[160]; char body[256]; } answer;
static void on_answer(tn_http_fetch *f, const tn_http_fetch_res *res, void *user) {
    answer *a = (answer *)user;
    (void)f;
    a->done = 1;
    a->code = res->code;
    a->error = res->error;
    a->reused = res->reused;
    snprintf(a->msg, sizeof a->msg, "%s", res->error_msg ? res->error_msg : "");
    snprintf(a->body, sizeof a->body, "%.*s", (int)res->body.len, res->body.ptr ? res->body.ptr : "");
}
static void fetch(tn_loop *loop, tn_http_client *cl, tn_http_fetch_req *req, answer *a) {
    memset(a, 0, sizeof *a);
    TN_OK_RC(tn_http_client_fetch(cl, req, on_answer, a, NULL));
    TN_OK_RC(tn_loop_run_until(loop, &a->done, 20000));
    TN_CHECKF(a->done, "no answer for %s", req->url);
}
static const char *urlf(const char *fmt, int port) {
    static char bufs[4][128];
    static int k;
    char *b = bufs[k++ & 3];
    snprintf(b, 128, fmt, port);
    return b;
}
static tn_app *https_app(tn_loop *loop, tn_tls_ctx *sc, int *port) {
    tn_app_opts ao;
    tn_app *app;
    memset(&ao, 0, sizeof ao);
    ao.server.tls = sc;
    TN_OK_RC(tn_app_new(loop, &ao, &app));
    TN_OK_RC(tn_app_route(app, "GET", "/who", h_who, NULL));
    TN_OK_RC(tn_app_route(app, "GET", "/tlsinfo", h_tlsinfo, NULL));
    TN_OK_RC(tn_app_listen(app, "127.0.0.1", 0));
    *port = tn_http_server_port(tn_app_server(app));
    return app;
}
static void end_all(tn_loop *loop, tn_http_client *cl, tn_app *app) {
    if (cl) TN_OK_RC(tn_http_client_close(cl, NULL, NULL));
    if (app) TN_OK_RC(tn_app_close(app, 0, NULL, NULL));
    while (tn_loop_alive(loop) > 0) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
    TN_OK_RC(tn_loop_free(loop));
}

/* The HTTP client resumes TLS sessions when it reconnects to a server (Connection: close
   makes every request a new connection): TLS 1.3 tickets (each used once, a fresh one
   comes with every connection) and TLS 1.2; a different name for the same server, and a
   context with no_session_tickets, do full handshakes. The server's SSL_session_reused
   says which (tn_tls_info.session_reused). */
static void resume_run(int server_max, const char *version) {
    tn_loop *loop;
    tn_tls_ctx *sc, *cc;
    tn_app *app;
    tn_http_client *cl;
    tn_http_client_opts co;
    tn_http_fetch_req req;
    tn_http_header close_hdr;
    tn_tls_opts o;
    answer a;
    char want[64];
    int port, i, off;
    certs();
    TN_OK_RC(tn_loop_new(NULL, &loop));
    memset(&o, 0, sizeof o);
    o.side = TN_TLS_SERVER;
    o.cert_file = cpath("srv.pem");
    o.key_file = cpath("srv.key");
    o.max_version = server_max;
    TN_OK_RC(tn_tls_ctx_new(loop, &o, &sc));
    app = https_app(loop, sc, &port);
    tn_tls_ctx_free(sc);
    close_hdr.name = tn_str_c("Connection");
    close_hdr.value = tn_str_c("close");
    for (off = 0; off <= 1; off++) {
        memset(&o, 0, sizeof o);
        o.ca_file = cpath("ca.pem");
        o.no_session_tickets = off;
        TN_OK_RC(tn_tls_ctx_new(loop, &o, &cc));
        memset(&co, 0, sizeof co);
        co.tls = cc;
        TN_OK_RC(tn_http_client_new(loop, &co, &cl));
        tn_tls_ctx_free(cc);
        memset(&req, 0, sizeof req);
        req.headers = &close_hdr;
        req.num_headers = 1;
        for (i = 0; i < 4; i++) {
            req.url = urlf(i == 3 ? "https://127.0.0.1:%d/tlsinfo" : "https://localhost:%d/tlsinfo", port);
            fetch(loop, cl, &req, &a);
            TN_EQ_INT(a.code, 200);
            TN_EQ_INT(a.reused, 0);   /* a new connection each time */
            /* the first connection to a name: full; then resumed unless turned off */
            snprintf(want, sizeof want, "%s reused=%d", version, !off && i > 0 && i < 3);
            TN_EQ_STR(a.body, want);
        }
        TN_OK_RC(tn_http_client_close(cl, NULL, NULL));
    }
    end_all(loop, NULL, app);
}
TN_TEST(https_client_resumes_tls13) { resume_run(0, "TLSv1.3"); }
TN_TEST(https_client_resumes_tls12) { resume_run(TN_TLS_1_2, "TLSv1.2"); }

/* Our heap per idle https connection (the loop's counting allocator; OpenSSL's own memory
   is not the loop's: see ALLOCATOR in the user guide): Python's ssl holds connections
   that each made one request, in two batches; between them the server's heap grows only by
   the idle connections: the stream block, the TLS state, no buffers (the queued-ciphertext
   buffer is freed once drained, OpenSSL reads and writes the socket through our BIO). */
static long idle_served;
static void h_idle(tn_request *req, void *user) {
    (void)user;
    idle_served++;
    tn_respond(req, 200, "text/plain", "hi!", 3);
}
static void run_for(tn_loop *loop, uint64_t ms) {
    uint64_t end = tn_loop_now(loop) + ms;
    while (tn_loop_now(loop) < end) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
}
static void run_until_served(tn_loop *loop, long n) {
    uint64_t end = tn_loop_now(loop) + 30000;
    while (idle_served < n && tn_loop_now(loop) < end) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
    TN_CHECKF(idle_served >= n, "%ld of %ld requests served", idle_served, n);
}
TN_TEST(idle_https_connection_heap) {
    enum { A = 40, B = 120 };
    static counting_alloc ca;
    tn_loop_opts lo;
    tn_loop *loop;
    tn_tls_ctx *sc;
    tn_http_server *srv;
    tn_http_server_opts so;
    char cmdline[2048], log[300];
    long at_a, at_b, per;
    pid_t pid;
    if (system("/usr/bin/python3 -c 'import ssl' 2>/dev/null") != 0) TN_SKIP("needs python3 (apt-get install python3)");
    certs();
    memset(&lo, 0, sizeof lo);
    lo.allocator = tn_test_counting(&ca);
    TN_OK_RC(tn_loop_new(&lo, &loop));
    sc = server_ctx(loop, "srv.pem", "srv.key");
    memset(&so, 0, sizeof so);
    so.tls = sc;
    TN_OK_RC(tn_http_server_new(loop, &so, h_idle, NULL, &srv));
    TN_OK_RC(tn_http_server_listen(srv, "127.0.0.1", 0));
    snprintf(cmdline, sizeof cmdline,
             "import socket, ssl, time\n"
             "c = ssl.create_default_context(cafile='%s')\n"
             "held = []\n"
             "def batch(n):\n"
             "    for i in range(n):\n"
             "        s = c.wrap_socket(socket.create_connection(('127.0.0.1', %d)), server_hostname='localhost')\n"
             "        s.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n')\n"
             "        d = b''\n"
             "        while not d.endswith(b'hi!'):\n"
             "            d += s.recv(1000)\n"
             "        held.append(s)\n"
             "batch(%d)\n"
             "time.sleep(1.5)\n"
             "batch(%d)\n"
             "time.sleep(60)\n",
             cpath("ca.pem"), tn_http_server_port(srv), A, B - A);
    snprintf(log, sizeof log, "%s/idle_py.log", certdir);
    {
        char *argv[] = { (char *)"/usr/bin/python3", (char *)"-c", cmdline, NULL };
        pid = spawn(argv, log);
    }
    idle_served = 0;
    run_until_served(loop, A);
    run_for(loop, 300);   /* settled: the responses and tickets went, nothing moves */
    at_a = ca.bytes;
    run_until_served(loop, B);
    run_for(loop, 300);
    at_b = ca.bytes;
    per = (at_b - at_a) / (B - A);
    fprintf(stderr, "tornado.h heap per idle https connection: %ld bytes\n", per);
    TN_EQ_UINT(tn_http_server_connections(srv), B);
    /* the stream block (stream, tcp record, HTTP state) and the TLS state; no buffer */
    TN_CHECKF(per > 0 && per <= (long)(sizeof(void *) == 8 ? 700 : 500), "%ld bytes per idle connection", per);
    reap(pid);
    TN_OK_RC(tn_http_server_close(srv, 0, NULL, NULL));
    tn_tls_ctx_free(sc);
    while (tn_loop_alive(loop) > 0) TN_CHECK(tn_loop_run_once(loop, 10) >= 0);
    TN_OK_RC(tn_loop_free(loop));
    TN_EQ_INT(ca.live, 0);
}

TN_TEST(https_app_and_client) {
    tn_loop *loop;
    tn_tls_ctx *sc, *cc;
    tn_app *app;
    tn_http_client *cl;
    tn_http_client_opts co;
    tn_http_fetch_req req;
    tn_http_client_stats st;
    answer a;
    int port;
    certs();
    TN_OK_RC(tn_loop_new(NULL, &loop));
    sc = server_ctx(loop, "srv.pem", "srv.key");
    app = https_app(loop, sc, &port);
    tn_tls_ctx_free(sc);   /* the server keeps its reference */
    {   /* a client context from memory: the CA as PEM */
        tn_tls_opts o;
        memset(&o, 0, sizeof o);
        o.ca_pem = slurp(cpath("ca.pem"));
        o.alpn = "http/1.1";
        TN_OK_RC(tn_tls_ctx_new(loop, &o, &cc));
    }
    memset(&co, 0, sizeof co);
    co.tls = cc;
    TN_OK_RC(tn_http_client_new(loop, &co, &cl));
    tn_tls_ctx_free(cc);
    memset(&req, 0, sizeof req);
    req.url = urlf("https://localhost:%d/who", port);
    fetch(loop, cl, &req, &a);
    TN_EQ_INT(a.code, 200);
    TN_EQ_STR(a.body, "https|http/1.1|-");
    fetch(loop, cl, &req, &a);   /* kept alive over TLS */
    TN_EQ_INT(a.code, 200);
    TN_EQ_INT(a.reused, 1);
    req.url = urlf("https://127.0.0.1:%d/who", port);   /* the IP SAN */
    fetch(loop, cl, &req, &a);
    TN_EQ_INT(a.code, 200);
    /* a request's own CA file; then the system store, which does not know our CA */
    req.url = urlf("https://localhost:%d/who", port);
    req.ca_certs = cpath("ca.pem");
    fetch(loop, cl, &req, &a);
    TN_EQ_INT(a.code, 200);
    TN_EQ_INT(a.reused, 0);   /* pooled apart from the client context's connections */
    req.ca_certs = cpath("other_ca.pem");
    fetch(loop, cl, &req, &a);
    TN_EQ_INT(a.code, 599);
    TN_EQ_RC(a.error, TN_ETLS_VERIFY);
    TN_EQ_STR(a.msg, "TLS handshake failed: unable to get local issuer certificate");
    req.ca_certs = NULL;
    /* verification off (explicitly) accepts anything */
    req.url = urlf("https://127.0.0.1:%d/who", port);
    req.ca_certs = cpath("other_ca.pem");
    req.no_validate_cert = 1;
    fetch(loop, cl, &req, &a);
    TN_EQ_INT(a.code, 200);
    /* http:// to the TLS port: the server answers nothing readable; the client says so */
    memset(&req, 0, sizeof req);
    req.url = urlf("http://127.0.0.1:%d/who", port);
    fetch(loop, cl, &req, &a);
    TN_EQ_INT(a.code, 599);
    tn_http_client_get_stats(cl, &st);
    TN_CHECK(st.requests_reused >= 1);
    end_all(loop, cl, app);
}

TN_TEST(https_mutual_tls) {
    tn_loop *loop;
    tn_tls_ctx *sc;
    tn_tls_opts o;
    tn_app *app;
    tn_http_client *cl;
    tn_http_fetch_req req;
    answer a;
    int port;
    certs();
    TN_OK_RC(tn_loop_new(NULL, &loop));
    memset(&o, 0, sizeof o);
    o.side = TN_TLS_SERVER;
    o.cert_file = cpath("srv.pem");
    o.key_file = cpath("srv.key");
    o.ca_file = cpath("ca.pem");
    o.verify = TN_TLS_VERIFY_OPTIONAL;
    TN_OK_RC(tn_tls_ctx_new(loop, &o, &sc));
    app = https_app(loop, sc, &port);
    tn_tls_ctx_free(sc);
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    memset(&req, 0, sizeof req);
    req.url = urlf("https://localhost:%d/who", port);
    req.ca_certs = cpath("ca.pem");
    req.client_cert = cpath("alice.pem");
    req.client_key = cpath("alice.key");
    fetch(loop, cl, &req, &a);
    TN_EQ_INT(a.code, 200);
    TN_EQ_STR(a.body, "https|http/1.1|CN=alice,O=Example");
    req.client_cert = req.client_key = NULL;   /* optional: no certificate, no subject */
    fetch(loop, cl, &req, &a);
    TN_EQ_INT(a.code, 200);
    TN_EQ_STR(a.body, "https|http/1.1|-");
    end_all(loop, cl, app);
}

/* https:// through a CONNECT proxy (Debian's tinyproxy). */
TN_TEST(https_through_connect_proxy) {
    tn_loop *loop;
    tn_tls_ctx *sc;
    tn_app *app;
    tn_http_client *cl;
    tn_http_fetch_req req;
    answer a;
    char conf[300], log[300];
    int port, pport;
    pid_t pid;
    FILE *fp;
    certs();
    if (!have_cmd("tinyproxy")) TN_SKIP("tinyproxy not found (apt-get install tinyproxy)");
    TN_OK_RC(tn_loop_new(NULL, &loop));
    sc = server_ctx(loop, "srv.pem", "srv.key");
    app = https_app(loop, sc, &port);
    tn_tls_ctx_free(sc);
    pport = free_port();
    snprintf(conf, sizeof conf, "%s/tinyproxy_%d.conf", certdir, (int)getpid());
    snprintf(log, sizeof log, "%s/tinyproxy_%d.log", certdir, (int)getpid());
    fp = fopen(conf, "w");
    fprintf(fp, "Port %d\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nMaxClients 20\nLogLevel Info\n", pport);
    if (getuid() == 0) fprintf(fp, "User nobody\nGroup nogroup\n");
    fclose(fp);
    {
        char *argv[] = { (char *)"tinyproxy", (char *)"-d", (char *)"-c", conf, NULL };
        argv[0] = access("/usr/bin/tinyproxy", X_OK) == 0 ? (char *)"/usr/bin/tinyproxy" : (char *)"/usr/sbin/tinyproxy";
        pid = spawn(argv, log);
    }
    TN_CHECKF(wait_port(pport, 5000), "tinyproxy did not start (see %s)", log);
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    memset(&req, 0, sizeof req);
    req.url = urlf("https://localhost:%d/who", port);
    req.ca_certs = cpath("ca.pem");
    req.proxy_host = "127.0.0.1";
    req.proxy_port = pport;
    fetch(loop, cl, &req, &a);
    TN_CHECKF(a.code == 200, "%d %s (%s)", a.code, a.msg, tn_err_name(a.error));
    TN_EQ_STR(a.body, "https|http/1.1|-");
    fetch(loop, cl, &req, &a);   /* the TLS tunnel is pooled */
    TN_EQ_INT(a.code, 200);
    TN_EQ_INT(a.reused, 1);
    req.ca_certs = cpath("other_ca.pem");   /* verification works through the tunnel too */
    fetch(loop, cl, &req, &a);
    TN_EQ_RC(a.error, TN_ETLS_VERIFY);
    reap(pid);
    end_all(loop, cl, app);
}

/* ---- interop: real peers --------------------------------------------------------------- */
/* Run a shell command while the loop serves; its exit status, its output in out. */
static int sh_while_serving(tn_loop *loop, const char *cmd, char *out, size_t cap) {
    char log[300];
    char *argv[] = { (char *)"sh", (char *)"-c", (char *)cmd, NULL };
    pid_t pid;
    int st = -1, i;
    FILE *f;
    size_t n;
    snprintf(log, sizeof log, "%s/peer_%d.log", certdir, (int)getpid());
    pid = spawn(argv, log);
    for (i = 0; i < 3000; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid) break;
        TN_CHECK(tn_loop_run_once(loop, 5) >= 0);
    }
    TN_CHECKF(i < 3000, "the peer did not finish: %s", cmd);
    f = fopen(log, "rb");
    n = f ? fread(out, 1, cap - 1, f) : 0;
    if (f) fclose(f);
    out[n] = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TN_TEST(interop_curl_openssl_python_clients) {
    tn_loop *loop;
    tn_tls_ctx *sc;
    tn_app *app;
    char cmd[1024], out[8192];
    int port;
    certs();
    TN_OK_RC(tn_loop_new(NULL, &loop));
    sc = server_ctx(loop, "srv.pem", "srv.key");
    app = https_app(loop, sc, &port);
    tn_tls_ctx_free(sc);
    if (have_cmd("curl")) {
        snprintf(cmd, sizeof cmd, "curl -sS --cacert %s https://localhost:%d/who", cpath("ca.pem"), port);
        TN_EQ_INT(sh_while_serving(loop, cmd, out, sizeof out), 0);
        TN_EQ_STR(out, "https|http/1.1|-");
        /* curl refuses our certificate without our CA */
        snprintf(cmd, sizeof cmd, "curl -sS --cacert %s https://localhost:%d/who", cpath("other_ca.pem"), port);
        TN_CHECK(sh_while_serving(loop, cmd, out, sizeof out) != 0);
    }
    /* openssl s_client: TLS 1.3 and 1.2, ALPN, then a resumed session from a ticket */
    snprintf(cmd, sizeof cmd,
             "printf 'GET /who HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' | openssl s_client -connect "
             "127.0.0.1:%d -servername localhost -CAfile %s -verify_return_error -alpn http/1.1 -sess_out %s/sess_%d "
             "-ign_eof 2>&1", port, cpath("ca.pem"), certdir, (int)getpid());
    TN_EQ_INT(sh_while_serving(loop, cmd, out, sizeof out), 0);
    TN_CHECKF(strstr(out, "ALPN protocol: http/1.1") && strstr(out, "https|http/1.1|-") &&
              strstr(out, "Verify return code: 0 (ok)") && strstr(out, "TLSv1.3"), "%s", out);
    snprintf(cmd, sizeof cmd,
             "printf 'GET /who HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' | openssl s_client -connect "
             "127.0.0.1:%d -servername localhost -CAfile %s -sess_in %s/sess_%d -ign_eof 2>&1",
             port, cpath("ca.pem"), certdir, (int)getpid());
    TN_EQ_INT(sh_while_serving(loop, cmd, out, sizeof out), 0);
    TN_CHECKF(strstr(out, "Reused, TLSv1.3"), "no resumption:\n%s", out);
    snprintf(cmd, sizeof cmd,
             "printf 'GET /who HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n' | openssl s_client -connect "
             "127.0.0.1:%d -tls1_2 -CAfile %s -servername localhost -ign_eof 2>&1", port, cpath("ca.pem"));
    TN_EQ_INT(sh_while_serving(loop, cmd, out, sizeof out), 0);
    TN_CHECKF(strstr(out, "Protocol  : TLSv1.2") && strstr(out, "ECDHE-"), "%s", out);
    /* TLS 1.1 and 1.0 are refused */
    snprintf(cmd, sizeof cmd, "openssl s_client -connect 127.0.0.1:%d -tls1_1 </dev/null 2>&1", port);
    TN_CHECK(sh_while_serving(loop, cmd, out, sizeof out) != 0);
    /* Python's ssl module (urllib) */
    if (system("/usr/bin/python3 -c 'import ssl' 2>/dev/null") == 0) {
        snprintf(cmd, sizeof cmd,
                 "/usr/bin/python3 -c \"import ssl,urllib.request as u; c=ssl.create_default_context(cafile='%s'); "
                 "print(u.urlopen('https://localhost:%d/who', context=c).read().decode(), end='')\"",
                 cpath("ca.pem"), port);
        TN_EQ_INT(sh_while_serving(loop, cmd, out, sizeof out), 0);
        TN_EQ_STR(out, "https||-");   /* urllib offers no ALPN */
    }
    end_all(loop, NULL, app);
}

/* Our client against openssl s_server and Python Tornado's https server. */
TN_TEST(interop_openssl_and_tornado_servers) {
    tn_loop *loop;
    tn_http_client *cl;
    tn_http_fetch_req req;
    answer a;
    char log[300];
    int port;
    pid_t pid;
    certs();
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_OK_RC(tn_http_client_new(loop, NULL, &cl));
    port = free_port();
    snprintf(log, sizeof log, "%s/s_server_%d.log", certdir, (int)getpid());
    {
        char p[16];
        char *argv[] = { (char *)"openssl", (char *)"s_server", (char *)"-accept", p, (char *)"-cert", NULL,
                         (char *)"-key", NULL, (char *)"-www", (char *)"-Verify", (char *)"1", (char *)"-CAfile", NULL, NULL };
        snprintf(p, sizeof p, "%d", port);
        argv[5] = (char *)cpath("srv.pem");
        argv[7] = (char *)cpath("srv.key");
        argv[12] = (char *)cpath("ca.pem");
        pid = spawn(argv, log);
    }
    TN_CHECKF(wait_port(port, 5000), "openssl s_server did not start");
    memset(&req, 0, sizeof req);
    req.url = urlf("https://localhost:%d/", port);
    req.ca_certs = cpath("ca.pem");
    req.client_cert = cpath("alice.pem");   /* s_server -Verify 1: mutual TLS */
    req.client_key = cpath("alice.key");
    fetch(loop, cl, &req, &a);
    TN_CHECKF(a.code == 200, "%d %s", a.code, a.msg);
    TN_CHECKF(strstr(a.body, "s_server") || strstr(a.body, "Ciphers"), "%s", a.body);
    reap(pid);
    if (system("/usr/bin/python3 -c 'import tornado' 2>/dev/null") == 0) {
        char cmdline[1200];
        port = free_port();
        snprintf(log, sizeof log, "%s/tornado_%d.log", certdir, (int)getpid());
        snprintf(cmdline, sizeof cmdline,
                 "import ssl, asyncio, tornado.web\n"
                 "class H(tornado.web.RequestHandler):\n"
                 "    def get(self): self.write('tornado ' + self.request.protocol + ' ' + str(self.request.get_ssl_certificate(True) is not None))\n"
                 "async def main():\n"
                 "    c = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile='%s')\n"
                 "    c.load_cert_chain('%s', '%s')\n"
                 "    c.verify_mode = ssl.CERT_OPTIONAL\n"
                 "    tornado.web.Application([('/', H)]).listen(%d, '127.0.0.1', ssl_options=c)\n"
                 "    await asyncio.Event().wait()\n"
                 "asyncio.run(main())\n",
                 cpath("ca.pem"), cpath("srv.pem"), cpath("srv.key"), port);
        {
            char *argv[] = { (char *)"/usr/bin/python3", (char *)"-c", cmdline, NULL };
            pid = spawn(argv, log);
        }
        TN_CHECKF(wait_port(port, 10000), "Python Tornado did not start (see %s)", log);
        req.url = urlf("https://localhost:%d/", port);
        fetch(loop, cl, &req, &a);
        TN_CHECKF(a.code == 200, "%d %s", a.code, a.msg);
        TN_EQ_STR(a.body, "tornado https True");
        reap(pid);
    }
    end_all(loop, cl, NULL);
}

/* SNI: a second certificate chosen by the name the client asks for (exact and wildcard
   names added with tn_tls_ctx_add_server_name); other names get the default one. */
TN_TEST(sni_two_certificates) {
    static const char *const names[] = { "localhost", "second.test", "SECOND.test", "a.wild.test", "b.example.test" };
    static const int second[] = { 0, 1, 1, 1, 0 };
    tn_loop *loop;
    tn_tls_ctx *sc, *sub, *cc;
    tn_tcp_server *srv;
    client c;
    int port;
    size_t i;
    certs();
    TN_OK_RC(tn_loop_new(NULL, &loop));
    sc = server_ctx(loop, "srv.pem", "srv.key");
    sub = server_ctx(loop, "srv2.pem", "srv2.key");
    cc = client_ctx(loop, "ca.pem");
    TN_OK_RC(tn_tls_ctx_add_server_name(sc, "second.test", sub));
    TN_OK_RC(tn_tls_ctx_add_server_name(sc, "*.wild.test", sub));
    TN_EQ_RC(tn_tls_ctx_add_server_name(sc, "", sub), TN_EINVAL);
    TN_EQ_RC(tn_tls_ctx_add_server_name(sc, "x.test", cc), TN_EINVAL);   /* not a server context */
    tn_tls_ctx_free(sub);   /* sc keeps its reference */
    srv = echo_server(loop, sc, &port);
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        char subj[128];
        memset(&srv_st.info, 0, sizeof srv_st.info);   /* the server records each connection's */
        run_client(&c, loop, port, cc, names[i], "sni", 3);
        /* the client verifies the name: each handshake passes only with the right certificate */
        TN_CHECKF(c.hs_status == 0, "%s: %s (%s)", names[i], tn_err_name(c.hs_status), c.err);
        TN_EQ_MEM(c.got, "sni", 3);
        TN_CHECK(strlen(names[i]) == strlen(srv_st.info.server_name));
        TN_CHECKF(!strcasecmp(srv_st.info.server_name, names[i]), "%s: server saw %s", names[i], srv_st.info.server_name);
        /* the certificate the client saw: second.test's or localhost's */
        TN_CHECK(tn_stream_tls_peer_subject(c.s, subj, sizeof subj) > 0);
        TN_CHECKF(!strcmp(subj, second[i] ? "CN=second.test" : "CN=localhost"), "%s: got %s", names[i], subj);
        close_client(&c);
    }
    finish(loop, NULL, srv, sc, cc);
}

/* ---- wss: our WebSocket client against tn_app serving wss (opts.server.tls) ---------- */
typedef struct wsside {
    int opened, status, http_status, msgs, closes, code;
    char got[64], reason[64], tls_version[16];
} wsside;
static wsside ws_srv, ws_cl;

static void wss_srv_msg(tn_ws *ws, int opcode, tn_str data, void *user) {
    (void)user;
    ws_srv.msgs++;
    TN_OK_RC(tn_ws_send(ws, opcode, data.ptr, data.len, NULL, NULL));
}
static void ws_on_close_rec(tn_ws *ws, int code, tn_str reason, void *user) {
    wsside *w = (wsside *)user;
    (void)ws;
    w->closes++;
    w->code = code;
    snprintf(w->reason, sizeof w->reason, "%.*s", (int)reason.len, reason.ptr ? reason.ptr : "");
}
static void h_ws(tn_request *req, const tn_route_match *m, void *user) {
    tn_ws_handler h;
    tn_ws_opts o;
    tn_ws *ws;
    tn_tls_info info;
    (void)m;
    (void)user;
    memset(&o, 0, sizeof o);
    o.max_message_size = 64u << 20;   /* node's peer sends 16 MiB */
    TN_OK_RC(tn_stream_tls_info(tn_request_stream(req), &info));
    snprintf(ws_srv.tls_version, sizeof ws_srv.tls_version, "%s", info.version);
    memset(&h, 0, sizeof h);
    h.on_message = wss_srv_msg;
    h.on_close = ws_on_close_rec;
    TN_OK_RC(tn_ws_accept(req, &o, &h, &ws_srv, &ws));
    ws_srv.opened++;
}
static void wss_cl_msg(tn_ws *ws, int opcode, tn_str data, void *user) {
    (void)user;
    TN_EQ_INT(opcode, TN_WS_TEXT);
    ws_cl.msgs++;
    snprintf(ws_cl.got, sizeof ws_cl.got, "%.*s", (int)data.len, data.ptr);
    TN_OK_RC(tn_ws_close(ws, 1000, "bye", 3));
}
static void wss_cl_connected(tn_ws *ws, int status, int http_status, void *user) {
    wsside *w = (wsside *)user;
    w->opened++;
    w->status = status;
    w->http_status = http_status;
    if (status == TN_OK) {
        tn_tls_info info;
        TN_OK_RC(tn_stream_tls_info(tn_ws_stream(ws), &info));
        snprintf(w->tls_version, sizeof w->tls_version, "%s", info.version);
        TN_OK_RC(tn_ws_send(ws, TN_WS_TEXT, "hello over wss", 14, NULL, NULL));
    }
}
/* Run our client against a wss app whose certificate is cert; cc NULL: the default context. */
static void wss_run(const char *cert, const char *ca, const char *host) {
    tn_loop *loop;
    tn_tls_ctx *sc, *cc = NULL;
    tn_app *app;
    tn_app_opts ao;
    tn_ws_opts wo;
    tn_ws_handler h;
    char url[128];
    int port;
    certs();
    memset(&ws_srv, 0, sizeof ws_srv);
    memset(&ws_cl, 0, sizeof ws_cl);
    TN_OK_RC(tn_loop_new(NULL, &loop));
    sc = server_ctx(loop, cert, "srv.key");
    if (ca) cc = client_ctx(loop, ca);
    memset(&ao, 0, sizeof ao);
    ao.server.tls = sc;
    TN_OK_RC(tn_app_new(loop, &ao, &app));
    TN_OK_RC(tn_app_route(app, "GET", "/ws", h_ws, NULL));
    TN_OK_RC(tn_app_listen(app, "127.0.0.1", 0));
    port = tn_http_server_port(tn_app_server(app));
    memset(&wo, 0, sizeof wo);
    wo.tls = cc;
    memset(&h, 0, sizeof h);
    h.on_message = wss_cl_msg;
    h.on_close = ws_on_close_rec;
    snprintf(url, sizeof url, "wss://%s:%d/ws", host, port);
    TN_OK_RC(tn_ws_connect(loop, url, &wo, &h, wss_cl_connected, &ws_cl, NULL));
    if (cc) tn_tls_ctx_free(cc);   /* the connection keeps its reference */
    TN_OK_RC(tn_loop_run_until(loop, &ws_cl.opened, 10000));
    if (ws_cl.status == TN_OK) {
        TN_OK_RC(tn_loop_run_until(loop, &ws_cl.closes, 10000));
        TN_OK_RC(tn_loop_run_until(loop, &ws_srv.closes, 10000));
    }
    tn_tls_ctx_free(sc);
    end_all(loop, NULL, app);
}
TN_TEST(wss_client_and_server) {
    wss_run("srv.pem", "ca.pem", "localhost");
    TN_EQ_RC(ws_cl.status, TN_OK);
    TN_EQ_INT(ws_cl.http_status, 101);
    TN_EQ_STR(ws_cl.tls_version, "TLSv1.3");
    TN_EQ_STR(ws_srv.tls_version, "TLSv1.3");
    TN_EQ_INT(ws_srv.msgs, 1);
    TN_EQ_STR(ws_cl.got, "hello over wss");
    TN_EQ_INT(ws_srv.closes, 1);
    TN_EQ_INT(ws_srv.code, 1000);
    TN_EQ_STR(ws_srv.reason, "bye");
    TN_EQ_INT(ws_cl.closes, 1);
    TN_EQ_INT(ws_cl.code, 1000);
    /* an IP address verifies against the IP SAN */
    wss_run("srv.pem", "ca.pem", "127.0.0.1");
    TN_EQ_RC(ws_cl.status, TN_OK);
    TN_EQ_STR(ws_cl.got, "hello over wss");
}
TN_TEST(wss_verify_failures) {
    /* a server certificate from an unknown CA */
    wss_run("other.pem", "ca.pem", "localhost");
    TN_EQ_INT(ws_cl.opened, 1);
    TN_EQ_RC(ws_cl.status, TN_ETLS_VERIFY);
    TN_EQ_INT(ws_srv.opened, 0);
    TN_EQ_INT(ws_cl.closes, 0);
    /* the default context (no opts.tls) verifies against the system store: our test CA is not in it */
    wss_run("srv.pem", NULL, "localhost");
    TN_EQ_RC(ws_cl.status, TN_ETLS_VERIFY);
    TN_EQ_INT(ws_srv.opened, 0);
}

/* ---- wss with node's ws (npm, tests/node/ws_peer.js --tls): both directions ------------- */
static const char *node_missing(void) {
    if (!have_cmd("node")) return "node not found (apt-get install nodejs npm)";
    if (access("tests/node/node_modules/ws/package.json", R_OK) != 0)
        return "npm package ws not installed (npm install --prefix tests/node)";
    return NULL;
}
static pid_t g_peer;
static volatile int g_peer_done, g_peer_status;
static void peer_watch(tn_loop *loop, void *user) {   /* a periodic timer: has the peer exited? */
    int st;
    (void)loop;
    (void)user;
    if (!g_peer_done && waitpid(g_peer, &st, WNOHANG) == g_peer) {
        g_peer_status = st;
        g_peer_done = 1;
    }
}
TN_TEST(wss_interop_node_ws) {
    tn_loop *loop;
    tn_tls_ctx *sc, *cc;
    tn_app *app;
    tn_app_opts ao;
    tn_ws_opts wo;
    tn_ws_handler h;
    tn_timer_id watch;
    char log[300], out[256], p[16], url[128];
    const char *why = node_missing();
    int port, n = 0;
    FILE *f;
    if (why) {
        if (getenv("CI")) TN_CHECKF(0, "%s (CI=1: no skipping)", why);
        TN_SKIP("%s", why);
    }
    certs();
    /* node's client against our wss echo (text, binary, 16 MiB, fragments with a ping
       between, the close code echoed), verifying our certificate for "localhost" */
    memset(&ws_srv, 0, sizeof ws_srv);
    TN_OK_RC(tn_loop_new(NULL, &loop));
    sc = server_ctx(loop, "srv.pem", "srv.key");
    memset(&ao, 0, sizeof ao);
    ao.server.tls = sc;
    TN_OK_RC(tn_app_new(loop, &ao, &app));
    TN_OK_RC(tn_app_route(app, "GET", "/", h_ws, NULL));
    TN_OK_RC(tn_app_listen(app, "127.0.0.1", 0));
    port = tn_http_server_port(tn_app_server(app));
    snprintf(log, sizeof log, "%s/node_client_%d.log", certdir, (int)getpid());
    snprintf(p, sizeof p, "%d", port);
    {
        char *argv[] = { (char *)"node", (char *)"tests/node/ws_peer.js", (char *)"client", p, (char *)"--tls", NULL,
                         (char *)"localhost", NULL };
        argv[5] = (char *)cpath("ca.pem");
        g_peer = spawn(argv, log);
    }
    g_peer_done = 0;
    TN_OK_RC(tn_loop_call_every(loop, 20, peer_watch, NULL, &watch));
    TN_OK_RC(tn_loop_run_until(loop, &g_peer_done, 60000));
    (void)tn_loop_cancel(loop, watch);
    f = fopen(log, "r");
    if (f) {
        n = (int)fread(out, 1, sizeof out - 1, f);
        fclose(f);
    }
    out[n > 0 ? n : 0] = 0;
    TN_CHECKF(WIFEXITED(g_peer_status) && WEXITSTATUS(g_peer_status) == 0 && strncmp(out, "ok", 2) == 0,
              "node client: %s", out);
    TN_EQ_INT(ws_srv.opened, 1);
    TN_OK_RC(tn_loop_run_until(loop, &ws_srv.closes, 5000));
    TN_EQ_INT(ws_srv.code, 4002);
    TN_EQ_STR(ws_srv.tls_version, "TLSv1.3");
    tn_tls_ctx_free(sc);
    end_all(loop, NULL, app);

    /* our client against node's wss server, verifying it against the test CA */
    memset(&ws_cl, 0, sizeof ws_cl);
    snprintf(log, sizeof log, "%s/node_server_%d.log", certdir, (int)getpid());
    {
        char *argv[] = { (char *)"node", (char *)"tests/node/ws_peer.js", (char *)"server", (char *)"--tls", NULL, NULL,
                         NULL };
        argv[4] = (char *)cpath("srv.pem");
        argv[5] = (char *)cpath("srv.key");
        g_peer = spawn(argv, log);
    }
    port = 0;
    for (n = 0; n < 500 && port == 0; n++) {   /* its first line is the port */
        f = fopen(log, "r");
        if (f) {
            if (fgets(out, sizeof out, f)) port = atoi(out);
            fclose(f);
        }
        if (!port) usleep(20000);
    }
    TN_CHECKF(port > 0, "node's wss server did not say its port");
    TN_OK_RC(tn_loop_new(NULL, &loop));
    cc = client_ctx(loop, "ca.pem");
    memset(&wo, 0, sizeof wo);
    wo.tls = cc;
    memset(&h, 0, sizeof h);
    h.on_message = wss_cl_msg;
    h.on_close = ws_on_close_rec;
    snprintf(url, sizeof url, "wss://localhost:%d/", port);
    TN_OK_RC(tn_ws_connect(loop, url, &wo, &h, wss_cl_connected, &ws_cl, NULL));
    tn_tls_ctx_free(cc);
    TN_OK_RC(tn_loop_run_until(loop, &ws_cl.opened, 10000));
    TN_EQ_RC(ws_cl.status, TN_OK);
    TN_EQ_INT(ws_cl.http_status, 101);
    TN_OK_RC(tn_loop_run_until(loop, &ws_cl.closes, 10000));
    TN_EQ_STR(ws_cl.got, "hello over wss");
    TN_EQ_INT(ws_cl.code, 1000);
    reap(g_peer);
    end_all(loop, NULL, NULL);
}

TN_TESTS(TN_CASE(echo_small), TN_CASE(echo_large), TN_CASE(unknown_ca), TN_CASE(expired), TN_CASE(wrong_host),
         TN_CASE(wrong_ip), TN_CASE(self_signed), TN_CASE(system_store_refuses_test_ca), TN_CASE(names_that_verify),
         TN_CASE(memory_and_passphrase), TN_CASE(mutual_tls), TN_CASE(close_notify_and_truncation),
         TN_CASE(plain_http_to_tls_port), TN_CASE(garbage_instead_of_client_hello),
         TN_CASE(stalled_handshake_times_out), TN_CASE(tls_to_plain_port), TN_CASE(start_tls_after_plain),
         TN_CASE(https_app_and_client), TN_CASE(https_client_resumes_tls13), TN_CASE(https_client_resumes_tls12),
         TN_CASE(idle_https_connection_heap), TN_CASE(https_mutual_tls), TN_CASE(https_through_connect_proxy),
         TN_CASE(interop_curl_openssl_python_clients), TN_CASE(interop_openssl_and_tornado_servers),
         TN_CASE(wss_client_and_server), TN_CASE(wss_verify_failures), TN_CASE(wss_interop_node_ws),
         TN_CASE(sni_two_certificates))
