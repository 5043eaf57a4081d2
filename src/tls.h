/* tls.h: TLS through OpenSSL 3 under streams: contexts (certificates, trust, SNI, ALPN), start_tls, connection info. */
#ifndef TN_TLS_H
#define TN_TLS_H
#include "stream.h"

TN__BEGIN_DECLS

/* A TLS context: one side's settings (certificates, trust anchors, versions, ALPN), shared
   by every connection made with it (Tornado's ssl_options / an ssl.SSLContext). Declared
   in every build so options structs can carry one; only TORNADO_WITH_OPENSSL makes them. */
typedef struct tn_tls_ctx tn_tls_ctx;

#if TN_HAS_OPENSSL

enum { TN_TLS_CLIENT = 0, TN_TLS_SERVER = 1 };
/* Protocol versions (0 = the default: TLS 1.2 at least, the newest at most). */
enum { TN_TLS_1_0 = 10, TN_TLS_1_1 = 11, TN_TLS_1_2 = 12, TN_TLS_1_3 = 13 };
/* Peer verification (0 = the side's default: clients verify the server, servers ask for
   no client certificate). */
enum { TN_TLS_VERIFY_NONE = 1, TN_TLS_VERIFY_OPTIONAL = 2, TN_TLS_VERIFY_REQUIRED = 3 };

/* The server's SNI callback: the context for the name the client asked for (NULL: keep the
   default). name is borrowed; the returned context must stay alive while connections use it. */
typedef tn_tls_ctx *(*tn_tls_sni_cb)(const char *name, void *user);

/* tn_tls_opts: zero-init gives a client that verifies servers against the system's trust
   store; a server needs side = TN_TLS_SERVER and a certificate with its key.
     side           TN_TLS_CLIENT (0) or TN_TLS_SERVER
     cert_file      PEM file: the certificate, then its chain (leaf first)
     key_file       PEM file: its private key (NULL: the key is in cert_file)
     cert_pem, key_pem  the same from memory (used when the *_file is NULL; for firmware
                    without a file system, TORNADO_NO_FILESYSTEM)
     key_password   passphrase of an encrypted key (NULL: none)
     verify         clients: 0 = TN_TLS_VERIFY_REQUIRED: the server's certificate chain and
                    its name (DNS names with RFC 6125 wildcards, IP addresses against IP
                    SANs); TN_TLS_VERIFY_NONE turns verification off, which lets anyone in
                    the path read and change the traffic: for tests only.
                    servers: 0 = TN_TLS_VERIFY_NONE; TN_TLS_VERIFY_OPTIONAL verifies a
                    client certificate when one is sent; TN_TLS_VERIFY_REQUIRED (mutual
                    TLS) refuses clients without a valid one
     ca_file, ca_dir, ca_pem  trust anchors (PEM; a directory in OpenSSL's hashed layout);
                    none given: clients use the system store, servers trust nothing
     min_version    0 = TN_TLS_1_2; below 1.2 only with allow_legacy_versions
     max_version    0 = the newest OpenSSL has (TLS 1.3)
     allow_legacy_versions  1: min_version may be TN_TLS_1_0 or TN_TLS_1_1 (insecure)
     ciphers        TLS 1.2 cipher list (OpenSSL syntax); NULL = forward-secret AEAD only
                    (ECDHE with AES-GCM or ChaCha20-Poly1305)
     ciphersuites   TLS 1.3 suites; NULL = OpenSSL's (AES-GCM, ChaCha20-Poly1305)
     alpn           comma-separated protocols: servers accept these in this order of
                    preference (NULL = "http/1.1"; "" = no ALPN), clients offer them (NULL =
                    none)
     handshake_timeout_ms  0 = TORNADO_TLS_HANDSHAKE_TIMEOUT_MS (10 s): a handshake not
                    done by then closes the stream with TN_ETIMEOUT
     no_session_tickets  servers: 1 = no session resumption by tickets (on by default).
                    clients: 1 = no session cache. By default a client context keeps the
                    last session each server gave it (up to 32 servers, by the name
                    verified and the peer address: the proxy's when tunnelled) and offers
                    it when it connects there again, so reconnecting (the HTTP client's new
                    connections, wss) skips the full handshake; only sessions that passed
                    the context's verification are kept; TLS 1.3 tickets are used once
     sni_cb, sni_user    servers: choose a context by server name (after the names added
                    with tn_tls_ctx_add_server_name)
   Always: compression off, renegotiation refused, close_notify sent on a graceful close.
   Memory: OpenSSL allocates with its own process-wide allocator, not the loop's (see
   ALLOCATOR in the user guide): about 13-14 KB per idle connection, record buffers
   released while idle. */
typedef struct tn_tls_opts {
    int side;
    const char *cert_file;
    const char *key_file;
    tn_str cert_pem;
    tn_str key_pem;
    const char *key_password;
    int verify;
    const char *ca_file;
    const char *ca_dir;
    tn_str ca_pem;
    int min_version;
    int max_version;
    int allow_legacy_versions;
    const char *ciphers;
    const char *ciphersuites;
    const char *alpn;
    uint64_t handshake_timeout_ms;
    int no_session_tickets;
    tn_tls_sni_cb sni_cb;
    void *sni_user;
} tn_tls_opts;

/* Make a context for connections of loop (opts NULL: a verifying client). Certificates,
   keys and trust anchors are loaded now; a failure is logged with OpenSSL's reason
   ("no such file", "bad decrypt", "key values mismatch") at TN_LOG_WARN.
   Returns TN_OK; TN_EINVAL (bad options: a server without a certificate, a version below
   1.2 without allow_legacy_versions, an unknown cipher); TN_ENOENT (a file missing);
   TN_ENOTSUP (a file under TORNADO_NO_FILESYSTEM); TN_ETLS (OpenSSL refused a certificate,
   key or list); TN_ENOMEM. */
TN_API int tn_tls_ctx_new(tn_loop *loop, const tn_tls_opts *opts, tn_tls_ctx **out);
/* SNI for servers: connections asking for name ("example.com", or "*.example.com" for one
   label under it; any case) get sub's certificate. ctx keeps a reference to sub.
   Returns TN_OK, TN_EINVAL (not two server contexts, empty name), TN_ENOMEM. */
TN_API int tn_tls_ctx_add_server_name(tn_tls_ctx *ctx, const char *name, tn_tls_ctx *sub);
/* Drop the caller's reference: the context goes when no stream or server uses it. */
TN_API void tn_tls_ctx_free(tn_tls_ctx *ctx);

/* The handshake finished (status TN_OK), or failed: TN_ETLS_VERIFY (the peer's certificate:
   tn_stream_tls_error says why, "certificate has expired", "hostname mismatch"), TN_ETLS
   (the protocol: "wrong version number", "no shared cipher", ...), TN_ETIMEOUT (the
   handshake timeout), TN_EEOF or TN_ERESET (the peer left), TN_ECLOSED (closed locally).
   On failure the stream is closing: this runs before its close callback. */
typedef void (*tn_tls_handshake_cb)(tn_stream *s, int status, void *user);

/* Tornado's IOStream.start_tls: put TLS under a connected plain stream, as the side ctx
   says, and start the handshake (it goes on by itself; reads and writes wait for it).
   server_hostname (clients): the name sent by SNI (not for IP literals) and verified
   against the certificate; required unless ctx does not verify. cb (may be NULL) runs
   exactly once, from the loop. The stream must be idle: no read pending, nothing
   buffered either way (bytes already read would belong to the handshake).
   tn_tcp_server_opts.tls and tn_http_server_opts.tls do this for each accepted stream.
   Returns TN_OK; TN_EINVAL (s or ctx NULL, no hostname to verify); TN_EBUSY (a read
   pending, bytes buffered, TLS already on); TN_ECLOSED; TN_ENOMEM; TN_ETLS. */
TN_API int tn_stream_start_tls(tn_stream *s, tn_tls_ctx *ctx, const char *server_hostname, tn_tls_handshake_cb cb,
                               void *user);

/* tn_tls_info: a TLS stream's state. Strings are static or live as long as the stream.
     done            1 once the handshake finished
     version         "TLSv1.3", "TLSv1.2" ("" before the handshake)
     cipher          e.g. "TLS_AES_256_GCM_SHA384"
     alpn            the protocol agreed by ALPN (empty: none)
     server_name     the SNI name (servers: what the client asked for; "" = none)
     session_reused  1: resumed (ticket or session id), no full handshake
     peer_verified   1: the peer sent a certificate and it verified */
typedef struct tn_tls_info {
    int done;
    const char *version;
    const char *cipher;
    tn_str alpn;
    const char *server_name;
    int session_reused;
    int peer_verified;
} tn_tls_info;

/* 1 if TLS is on the stream. */
TN_API int tn_stream_is_tls(const tn_stream *s);
/* Returns TN_OK or TN_EINVAL (not a TLS stream). */
TN_API int tn_stream_tls_info(const tn_stream *s, tn_tls_info *out);
/* Why TLS failed on this stream, as OpenSSL says it ("certificate has expired", "hostname
   mismatch", "wrong version number", "handshake timed out", "truncated: no close_notify");
   "" when nothing failed. Static text. */
TN_API const char *tn_stream_tls_error(const tn_stream *s);
/* The verified peer certificate's subject, RFC 2253 ("CN=alice,O=Example"), into
   buf[0..cap) with a NUL. Returns its length, TN_ENOENT (no verified certificate: none
   sent, or verification off), TN_EBUFFER_FULL, TN_EINVAL. */
TN_API int tn_stream_tls_peer_subject(const tn_stream *s, char *buf, size_t cap);

#endif /* TN_HAS_OPENSSL */

TN__END_DECLS

#endif /* TN_TLS_H */
