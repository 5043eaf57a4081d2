/* tls.c: the TLS transport: OpenSSL through our BIO over the inner transport, in the stream's transport slot, contexts, SNI, ALPN, verification. */
#include "tls.h"
#include "internal.h"

#if TN_HAS_OPENSSL

/* How it fits under a stream. OpenSSL never touches the socket: its BIO (our own BIO
   method, one per connection for both directions) moves ciphertext through the stream's
   previous transport (the plain socket), which never blocks. Reads: OpenSSL reads the
   socket itself (a record's header, then its body), so ciphertext is copied once, from
   the kernel into OpenSSL's buffer (read-ahead would save a recv per record but keeps
   about 2 KB more per idle connection: measured with bench/idle_conns.py --tls). Writes: each record goes straight to the
   socket; what the socket does not take waits in a small queue of ours (t->out), freed
   when drained. With SSL_MODE_RELEASE_BUFFERS OpenSSL frees its own record buffers when
   they are empty, so an idle connection holds no buffer at all: only the SSL object.
   So it works with every poller and never blocks. What the stream cannot see, the
   transport tells it: records already read but not yet decrypted (pending), ciphertext
   queued because the socket was full, a handshake waiting for the peer while the stream
   waits for nothing (tn__stream_transport_want + ready). */

#define TN__TLS_OUT_MAX 65536         /* queued ciphertext beyond which writes wait */
#define TN__TLS_WRITE_MAX 65536       /* plaintext encrypted per write call */
#define TN__TLS_SESSIONS 32           /* client contexts: sessions kept for resumption */

/* A client context's session cache entry: the last session a server gave us, by
   "hostname|peer address" (the peer is the proxy when tunnelled). */
typedef struct tn__tls_sess { char *key; SSL_SESSION *sess; } tn__tls_sess;

typedef struct tn__tls_name { char *name; tn_tls_ctx *ctx; } tn__tls_name;

struct tn_tls_ctx {
    tn_loop *loop;
    SSL_CTX *ssl;
    BIO_METHOD *biom;                  /* our BIO (tn__tls_bio_*) */
    unsigned refs;
    int side;
    int verify;                        /* resolved: TN_TLS_VERIFY_* */
    uint64_t hs_timeout_ms;
    unsigned char *alpn;               /* wire format (length-prefixed names), or NULL */
    unsigned alpn_len;
    tn_tls_sni_cb sni_cb;
    void *sni_user;
    tn__tls_name *names;
    size_t nnames, cap;
    char *password;                    /* while loading only */
    tn__tls_sess *sessions;            /* clients: TN__TLS_SESSIONS entries, or NULL (off) */
    unsigned next_sess;                /* the entry the next new key replaces */
};

typedef struct tn__tls {
    tn_stream *s;
    tn_tls_ctx *ctx;
    SSL *ssl;
    BIO *bio;                          /* ours: reads and writes the inner transport */
    char *out;                         /* ciphertext the socket did not take yet, or NULL */
    size_t ooff, olen, ocap;           /* out[ooff..olen) waits */
    long rres;                         /* the inner transport's last read: > 0, 0 (EOF), error */
    int werr;                          /* the inner transport's write failed (sticky) */
    const tn__transport_ops *inner;    /* the plain transport under TLS */
    tn_tls_handshake_cb hcb;
    void *huser;
    tn__defer hs_d;                    /* reports the handshake (never inside an API call) */
    tn_timer_id hs_timer;
    const char *err;                   /* static text of the failure, or NULL */
    int hs_status;
    char *skey;                        /* clients: the session cache key, or NULL */
    unsigned char hs_done, hs_reported, rstalled, shut_sent, fin_pending, verifying;
} tn__tls;

TN__PRIVATE tn__tls *tn__tls_of(const tn_stream *s) { return (tn__tls *)tn__stream_transport(s); }

TN__PRIVATE int tn__tls_flush_out(tn__tls *t);

/* ---- errors ---- */
/* OpenSSL's reason for the newest queued error (static text), and the queue emptied. */
TN__PRIVATE const char *tn__tls_reason(void) {
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    ERR_clear_error();
    return r ? r : "TLS error";
}

/* A handshake or record failure: the code and the text (a verification failure says what
   was wrong with the certificate, not "certificate verify failed"). */
TN__PRIVATE long tn__tls_fail(tn__tls *t, int sslerr) {
    long v = SSL_get_verify_result(t->ssl);
    int rc = TN_ETLS;
    if (sslerr == SSL_ERROR_SSL && v != X509_V_OK && t->verifying) {
        t->err = X509_verify_cert_error_string(v);
        ERR_clear_error();
        rc = TN_ETLS_VERIFY;
    } else if (sslerr == SSL_ERROR_SSL) {
        t->err = tn__tls_reason();
    } else {
        ERR_clear_error();
        t->err = "TLS error";
    }
    TN__LLOG(tn_stream_loop(t->s), TN_LOG_DEBUG, rc, "tls: %s", t->err);
    (void)tn__tls_flush_out(t);   /* the alert telling the peer why, when the socket takes it */
    return rc;
}

/* ---- moving ciphertext ---- */
/* Send queued ciphertext until the socket is full; the queue's memory goes when it is
   empty. Returns TN_OK or an error. */
TN__PRIVATE int tn__tls_flush_out(tn__tls *t) {
    while (t->olen > t->ooff && !t->werr) {
        long w = t->inner->write(t->s, t->out + t->ooff, t->olen - t->ooff);
        if (w > 0) t->ooff += (size_t)w;
        else if (w == TN_EAGAIN || w == 0) return TN_OK;
        else t->werr = w == TN_EPIPE ? TN_ERESET : (int)w;
    }
    if (t->werr) return t->werr;
    if (t->out) {
        tn__free(tn__loop_alloc(tn_stream_loop(t->s)), t->out);
        t->out = NULL;
        t->ooff = t->olen = t->ocap = 0;
    }
    if (t->fin_pending) {   /* close_notify went: now the FIN */
        t->fin_pending = 0;
        return t->inner->shutdown(t->s);
    }
    return TN_OK;
}

/* ---- our BIO: OpenSSL's network side is the inner transport ---- */
TN__PRIVATE int tn__tls_bio_read(BIO *b, char *buf, size_t n, size_t *got) {
    tn__tls *t = (tn__tls *)BIO_get_data(b);
    long r;
    BIO_clear_retry_flags(b);
    *got = 0;
    if (t->rres == 0) return 0;   /* EOF stays EOF */
    r = t->inner->read(t->s, buf, n);
    t->rres = r;
    if (r > 0) {
        *got = (size_t)r;
        t->rstalled = 0;
        return 1;
    }
    if (r == TN_EAGAIN) BIO_set_retry_read(b);
    return 0;
}

/* Never "retry": a record goes to the socket now, or what it did not take is queued. */
TN__PRIVATE int tn__tls_bio_write(BIO *b, const char *buf, size_t n, size_t *done) {
    tn__tls *t = (tn__tls *)BIO_get_data(b);
    size_t off = 0;
    BIO_clear_retry_flags(b);
    *done = n;
    if (t->werr) return 1;   /* the connection is failing: flush_out reports it */
    if (t->olen == t->ooff) {
        long w = t->inner->write(t->s, buf, n);
        if (w > 0) off = (size_t)w;
        else if (w != TN_EAGAIN && w != 0) {
            t->werr = w == TN_EPIPE ? TN_ERESET : (int)w;
            return 1;
        }
    }
    if (off < n) {
        size_t need = n - off, live = t->olen - t->ooff;
        if (t->ooff > 0 && live + need <= t->ocap) {   /* slide the unsent rest to the front */
            memmove(t->out, t->out + t->ooff, live);
            t->ooff = 0;
            t->olen = live;
        }
        if (t->olen + need > t->ocap) {
            size_t cap = TN__MAX(t->olen + need, t->ocap * 2);
            char *p = (char *)tn__realloc(tn__loop_alloc(tn_stream_loop(t->s)), t->out, cap);
            if (!p) {
                t->werr = TN_ENOMEM;
                return 1;
            }
            t->out = p;
            t->ocap = cap;
        }
        memcpy(t->out + t->olen, buf + off, need);
        t->olen += need;
    }
    return 1;
}

TN__PRIVATE long tn__tls_bio_ctrl(BIO *b, int cmd, long num, void *ptr) {
    tn__tls *t = (tn__tls *)BIO_get_data(b);
    (void)num;
    (void)ptr;
    switch (cmd) {
    case BIO_CTRL_FLUSH: return 1;
    case BIO_CTRL_EOF: return t && t->rres == 0;
    case BIO_CTRL_WPENDING: return t ? (long)(t->olen - t->ooff) : 0;
    default: return 0;
    }
}

/* A failed OpenSSL call: the transport's own failure when there was one (the peer left,
   the socket broke), else OpenSSL's. */
TN__PRIVATE long tn__tls_io_fail(tn__tls *t, int sslerr) {
    if (t->rres == 0 || (t->rres < 0 && t->rres != TN_EAGAIN) || t->werr) {
        ERR_clear_error();
        if (t->werr) return t->werr;
        if (t->rres < 0) return t->rres;
        if (!t->hs_done) {
            t->err = "connection closed during the handshake";
            return TN_EEOF;
        }
        t->err = "truncated: no close_notify";   /* the socket ended without close_notify */
        return TN_ETLS_TRUNCATED;
    }
    return tn__tls_fail(t, sslerr);
}

/* The interest the transport needs now: queued ciphertext wants writability; a handshake
   wants the peer's bytes and holds writes back. */
TN__PRIVATE void tn__tls_update(tn__tls *t) {
    int ev = 0;
    size_t out = t->olen - t->ooff;
    if (out > 0) ev |= TN_EV_WRITE;
    if (!t->hs_done) ev |= TN_EV_READ | TN__TP_BLOCKED;
    else if (out >= TN__TLS_OUT_MAX) ev |= TN__TP_BLOCKED;
    tn__stream_transport_want(t->s, ev);
}

TN__PRIVATE void tn__tls_report(tn__tls *t, int status) {
    tn_tls_handshake_cb cb = t->hcb;
    if (t->hs_reported) return;
    t->hs_reported = 1;
    t->hcb = NULL;
    if (cb) cb(t->s, status, t->huser);
}

TN__PRIVATE void tn__tls_on_hs_defer(tn__defer *d) {
    tn__tls *t = (tn__tls *)(void *)((char *)d - offsetof(tn__tls, hs_d));
    if (!tn_stream_closed(t->s)) tn__tls_report(t, TN_OK);   /* else the close sequence reports */
}

/* After every OpenSSL call: has the handshake just finished? */
TN__PRIVATE void tn__tls_check_done(tn__tls *t) {
    if (t->hs_done || !SSL_is_init_finished(t->ssl)) return;
    t->hs_done = 1;
    if (t->hs_timer) {
        (void)tn_loop_cancel(tn_stream_loop(t->s), t->hs_timer);
        t->hs_timer = 0;
    }
    if (t->hcb) tn__defer_queue(tn_stream_loop(t->s), &t->hs_d);
    else t->hs_reported = 1;
}

/* Drive the handshake as far as the bytes at hand allow. Returns TN_OK or an error. */
TN__PRIVATE int tn__tls_handshake(tn__tls *t) {
    if (!t->hs_done) {
        int rc = SSL_do_handshake(t->ssl);
        if (rc == 1) tn__tls_check_done(t);
        else {
            int e = SSL_get_error(t->ssl, rc);
            if (e != SSL_ERROR_WANT_READ) return (int)tn__tls_io_fail(t, e);
            t->rstalled = 1;   /* the socket is dry: wait for the peer */
        }
    }
    return tn__tls_flush_out(t);
}

/* ---- the transport ---- */
TN__PRIVATE long tn__tls_read(tn_stream *s, void *buf, size_t n) {
    tn__tls *t = tn__tls_of(s);
    size_t got = 0, k;
    long ret;
    int frc;
    while (got < n) {
        int rc = SSL_read_ex(t->ssl, (char *)buf + got, n - got, &k), e;
        if (rc == 1) {
            got += k;
            continue;
        }
        e = SSL_get_error(t->ssl, rc);
        if (e == SSL_ERROR_WANT_READ) {   /* the socket is dry (OpenSSL read it through our BIO) */
            t->rstalled = 1;
            break;
        }
        if (e == SSL_ERROR_ZERO_RETURN) {   /* close_notify: a clean end */
            if (got > 0) break;
            ret = 0;
            goto done;
        }
        if (got > 0 && t->rres == 0) break;   /* the data first, the EOF on the next call */
        return tn__tls_io_fail(t, e);
    }
    ret = got > 0 ? (long)got : (long)TN_EAGAIN;
done:
    tn__tls_check_done(t);
    if ((frc = tn__tls_flush_out(t)) != 0) return frc;   /* handshake replies, tickets */
    tn__tls_update(t);
    return ret;
}

/* Encrypt n bytes (n <= TN__TLS_WRITE_MAX) and send them (or queue what the socket does
   not take). Returns n, TN_EAGAIN (the handshake waits for the peer) or an error. */
TN__PRIVATE long tn__tls_put(tn__tls *t, const void *buf, size_t n) {
    size_t done = 0;
    int rc = SSL_write_ex(t->ssl, buf, n, &done), e;
    if (rc == 1) return (long)done;
    e = SSL_get_error(t->ssl, rc);
    if (e == SSL_ERROR_WANT_READ) {
        t->rstalled = 1;
        return TN_EAGAIN;
    }
    return tn__tls_io_fail(t, e);
}

TN__PRIVATE long tn__tls_writev(tn_stream *s, const tn_str *bufs, int nb) {
    tn__tls *t = tn__tls_of(s);
    long total = 0, r = 0;
    char tmp[4096];
    size_t m = 0;
    int i, frc;
    if (t->olen - t->ooff >= TN__TLS_OUT_MAX) {
        if ((frc = tn__tls_flush_out(t)) != 0) return frc;
        if (t->olen - t->ooff >= TN__TLS_OUT_MAX) {
            tn__tls_update(t);
            return TN_EAGAIN;
        }
    }
    /* small pieces (a response head, a short body) are gathered into one record */
    for (i = 0; i < nb && total < TN__TLS_WRITE_MAX; i++) {
        size_t len = bufs[i].len;
        if (len == 0) continue;
        if (m + len <= sizeof tmp) {
            memcpy(tmp + m, bufs[i].ptr, len);
            m += len;
            continue;
        }
        if (m > 0) {
            if ((r = tn__tls_put(t, tmp, m)) <= 0) break;
            total += r;
            m = 0;
            if (len <= sizeof tmp) {
                memcpy(tmp, bufs[i].ptr, len);
                m = len;
                continue;
            }
            if (total >= TN__TLS_WRITE_MAX) break;
        }
        len = TN__MIN(len, (size_t)(TN__TLS_WRITE_MAX - total));
        if ((r = tn__tls_put(t, bufs[i].ptr, len)) <= 0) break;
        total += r;
    }
    if (m > 0 && r >= 0 && (i == nb || total < TN__TLS_WRITE_MAX) && (r = tn__tls_put(t, tmp, m)) > 0) total += r;
    tn__tls_check_done(t);
    if ((frc = tn__tls_flush_out(t)) != 0) return frc;
    tn__tls_update(t);
    if (total > 0) return total;
    return r < 0 ? r : (long)TN_EAGAIN;
}

TN__PRIVATE long tn__tls_write(tn_stream *s, const void *buf, size_t n) {
    tn_str b;
    b.ptr = (const char *)buf;
    b.len = n;
    return tn__tls_writev(s, &b, 1);
}

/* End the write side: close_notify, then the FIN once it is sent. */
TN__PRIVATE int tn__tls_shutdown(tn_stream *s) {
    tn__tls *t = tn__tls_of(s);
    int rc;
    if (!t->shut_sent && t->hs_done) {
        t->shut_sent = 1;
        (void)SSL_shutdown(t->ssl);
        ERR_clear_error();
    }
    t->fin_pending = 1;
    rc = tn__tls_flush_out(t);
    tn__tls_update(t);
    return rc;
}

TN__PRIVATE int tn__tls_pending(const tn_stream *s) {
    const tn__tls *t = tn__tls_of(s);
    /* a close_notify already read is an EOF to report even if the peer keeps the socket open */
    return SSL_pending(t->ssl) > 0 || (!t->rstalled && SSL_has_pending(t->ssl)) ||
           (SSL_get_shutdown(t->ssl) & SSL_RECEIVED_SHUTDOWN) != 0;
}

TN__PRIVATE int tn__tls_ready(tn_stream *s) {
    tn__tls *t = tn__tls_of(s);
    int rc = t->hs_done ? tn__tls_flush_out(t) : tn__tls_handshake(t);
    if (rc == 0) tn__tls_update(t);
    return rc;
}

/* Graceful close: say goodbye while the socket is open (best effort, never waits). */
TN__PRIVATE void tn__tls_closing(tn_stream *s, int cause) {
    tn__tls *t = tn__tls_of(s);
    if (t->hs_timer) {
        (void)tn_loop_cancel(tn_stream_loop(s), t->hs_timer);
        t->hs_timer = 0;
    }
    if (cause == TN_OK && t->hs_done && !t->shut_sent) {
        t->shut_sent = 1;
        (void)SSL_shutdown(t->ssl);
        ERR_clear_error();
        (void)tn__tls_flush_out(t);
    }
}

TN__PRIVATE void tn__tls_closed(tn_stream *s, int cause) {
    tn__tls *t = tn__tls_of(s);
    tn__defer_unqueue(tn_stream_loop(s), &t->hs_d);
    tn__tls_report(t, t->hs_done ? TN_OK : cause);
}

TN__PRIVATE void tn__tls_free(tn_stream *s) {
    tn__tls *t = tn__tls_of(s);
    tn_loop *loop = tn_stream_loop(s);
    if (t->hs_timer) (void)tn_loop_cancel(loop, t->hs_timer);
    tn__defer_unqueue(loop, &t->hs_d);
    SSL_free(t->ssl);   /* and the BIO */
    tn__free(tn__loop_alloc(loop), t->out);
    tn__free(tn__loop_alloc(loop), t->skey);
    tn_tls_ctx_free(t->ctx);
    if (t->inner->free) t->inner->free(s);
    tn__free(tn__loop_alloc(loop), t);
}

static const tn__transport_ops tn__tls_ops = {
    tn__tls_read, tn__tls_write, tn__tls_writev, tn__tls_shutdown, tn__tls_free,
    tn__tls_pending, tn__tls_ready, tn__tls_closing, tn__tls_closed
};

TN__PRIVATE void tn__tls_on_timeout(tn_loop *loop, void *user) {
    tn__tls *t = (tn__tls *)user;
    (void)loop;
    t->hs_timer = 0;
    if (t->hs_done || tn_stream_closed(t->s)) return;
    t->err = "handshake timed out";
    TN__LLOG(loop, TN_LOG_DEBUG, TN_ETIMEOUT, "tls: handshake timed out");
    (void)tn_stream_abort(t->s, TN_ETIMEOUT);
}

/* ---- client session cache ---- */
TN__PRIVATE tn__tls_sess *tn__tls_sess_find(tn_tls_ctx *c, const char *key) {
    unsigned i;
    for (i = 0; i < TN__TLS_SESSIONS; i++)
        if (c->sessions[i].key && strcmp(c->sessions[i].key, key) == 0) return &c->sessions[i];
    return NULL;
}

TN__PRIVATE void tn__tls_sess_clear(tn_tls_ctx *c, tn__tls_sess *e) {
    tn__free(tn__loop_alloc(c->loop), e->key);
    SSL_SESSION_free(e->sess);
    e->key = NULL;
    e->sess = NULL;
}

/* OpenSSL got a session (TLS 1.3: a NewSessionTicket after the handshake; TLS 1.2: at its
   end): keep it for the next connection to the same server, when it was verified as the
   context asks. Returns 1: the reference is ours. */
TN__PRIVATE int tn__tls_sess_new(SSL *ssl, SSL_SESSION *sess) {
    tn__tls *t = (tn__tls *)SSL_get_app_data(ssl);
    tn_tls_ctx *c;
    tn__tls_sess *e;
    if (!t || !t->skey || !(c = t->ctx) || !c->sessions || !SSL_SESSION_is_resumable(sess)) return 0;
    if (c->verify != TN_TLS_VERIFY_NONE && SSL_get_verify_result(ssl) != X509_V_OK) return 0;
    if ((e = tn__tls_sess_find(c, t->skey)) != NULL) {
        SSL_SESSION_free(e->sess);   /* the newest wins */
        e->sess = sess;
        return 1;
    }
    e = &c->sessions[c->next_sess++ % TN__TLS_SESSIONS];
    tn__tls_sess_clear(c, e);
    if (!(e->key = tn__strdup(tn__loop_alloc(c->loop), t->skey))) return 0;
    e->sess = sess;
    return 1;
}

/* A new client connection: offer the session kept for its server. A TLS 1.3 ticket is
   used once (RFC 8446 C.4: the server sends a fresh one); a TLS 1.2 session stays. */
TN__PRIVATE int tn__tls_sess_offer(tn__tls *t, const char *host) {
    tn_tls_ctx *c = t->ctx;
    tn__tls_sess *e;
    tn_addr peer;
    char pa[TN_ADDR_STRLEN + 8];
    size_t n;
    if (!c->sessions || !host || !*host) return TN_OK;
    if (tn_stream_peer(t->s, &peer) != 0 || tn_addr_format(&peer, pa, sizeof pa) < 0) pa[0] = 0;
    n = strlen(host) + strlen(pa) + 2;
    if (!(t->skey = (char *)tn__alloc(tn__loop_alloc(c->loop), n))) return TN_ENOMEM;
    snprintf(t->skey, n, "%s|%s", host, pa);
    if ((e = tn__tls_sess_find(c, t->skey)) != NULL) {
        if (SSL_set_session(t->ssl, e->sess) != 1) ERR_clear_error();
        if (SSL_SESSION_get_protocol_version(e->sess) >= TLS1_3_VERSION) tn__tls_sess_clear(c, e);
    }
    return TN_OK;
}

/* ---- contexts ---- */
TN__PRIVATE int tn__tls_pw_cb(char *buf, int size, int rwflag, void *u) {
    const char *pw = (const char *)u;
    size_t n;
    (void)rwflag;
    if (!pw) return 0;
    n = strlen(pw);
    if (n > (size_t)size) n = (size_t)size;
    memcpy(buf, pw, n);
    return (int)n;
}

/* Load errors: the reason, logged; a missing file is TN_ENOENT. */
TN__PRIVATE int tn__tls_load_fail(tn_loop *loop, const char *what, const char *name) {
    unsigned long e = ERR_peek_last_error();
    const char *r = tn__tls_reason();
    int rc = (ERR_GET_LIB(e) == ERR_LIB_SYS || ERR_GET_REASON(e) == ERR_R_SYS_LIB) ? TN_ENOENT : TN_ETLS;
    TN__LLOG(loop, TN_LOG_WARN, rc, "tls: %s%s%s: %s", what, name ? " " : "", name ? name : "", r);
    return rc;
}

/* A certificate chain and its key from memory (PEM). */
TN__PRIVATE int tn__tls_use_pem(tn_tls_ctx *c, tn_str cert, tn_str key) {
    BIO *b = BIO_new_mem_buf(cert.ptr, (int)cert.len);
    X509 *x;
    EVP_PKEY *k;
    if (!b) return TN_ENOMEM;
    x = PEM_read_bio_X509_AUX(b, NULL, NULL, NULL);
    if (!x || SSL_CTX_use_certificate(c->ssl, x) != 1) {
        X509_free(x);
        BIO_free(b);
        return tn__tls_load_fail(c->loop, "certificate from memory", NULL);
    }
    X509_free(x);
    (void)SSL_CTX_clear_chain_certs(c->ssl);
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (SSL_CTX_add0_chain_cert(c->ssl, x) != 1) {
            X509_free(x);
            BIO_free(b);
            return tn__tls_load_fail(c->loop, "certificate chain from memory", NULL);
        }
    }
    ERR_clear_error();   /* the end of the PEM data */
    BIO_free(b);
    if (!key.ptr) key = cert;
    if (!(b = BIO_new_mem_buf(key.ptr, (int)key.len))) return TN_ENOMEM;
    k = PEM_read_bio_PrivateKey(b, NULL, tn__tls_pw_cb, c->password);
    BIO_free(b);
    if (!k || SSL_CTX_use_PrivateKey(c->ssl, k) != 1) {
        EVP_PKEY_free(k);
        return tn__tls_load_fail(c->loop, "private key from memory", NULL);
    }
    EVP_PKEY_free(k);
    return TN_OK;
}

TN__PRIVATE int tn__tls_add_ca_pem(tn_tls_ctx *c, tn_str pem) {
    X509_STORE *st = SSL_CTX_get_cert_store(c->ssl);
    BIO *b = BIO_new_mem_buf(pem.ptr, (int)pem.len);
    X509 *x;
    int n = 0;
    if (!b) return TN_ENOMEM;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        int ok = X509_STORE_add_cert(st, x);
        X509_free(x);
        if (ok != 1) {
            BIO_free(b);
            return tn__tls_load_fail(c->loop, "CA certificate from memory", NULL);
        }
        n++;
    }
    ERR_clear_error();
    BIO_free(b);
    if (n == 0) {
        TN__LLOG(c->loop, TN_LOG_WARN, TN_ETLS, "tls: ca_pem holds no certificate");
        return TN_ETLS;
    }
    return TN_OK;
}

/* "h2,http/1.1" into ALPN's wire format. */
TN__PRIVATE int tn__tls_alpn_wire(tn_tls_ctx *c, const char *list) {
    size_t n = strlen(list), i, start = 0, o = 0;
    unsigned char *w;
    if (n == 0) return TN_OK;
    if (n > 1024) return TN_EINVAL;
    if (!(w = (unsigned char *)tn__alloc(tn__loop_alloc(c->loop), n + 1))) return TN_ENOMEM;
    for (i = 0; i <= n; i++) {
        if (i == n || list[i] == ',') {
            size_t len = i - start;
            if (len == 0 || len > 255) {
                tn__free(tn__loop_alloc(c->loop), w);
                return TN_EINVAL;
            }
            w[o++] = (unsigned char)len;
            memcpy(w + o, list + start, len);
            o += len;
            start = i + 1;
        }
    }
    c->alpn = w;
    c->alpn_len = (unsigned)o;
    return TN_OK;
}

TN__PRIVATE int tn__tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                                    const unsigned char *in, unsigned int inlen, void *arg) {
    tn_tls_ctx *c = (tn_tls_ctx *)arg;
    unsigned char *o = NULL;
    (void)ssl;
    if (!c->alpn || SSL_select_next_proto(&o, outlen, c->alpn, c->alpn_len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_NOACK;
    *out = o;
    return SSL_TLSEXT_ERR_OK;
}

/* One label of wildcard: "*.example.com" matches "a.example.com", not "a.b.example.com". */
TN__PRIVATE int tn__tls_name_match(const char *pat, const char *name) {
    if (pat[0] == '*' && pat[1] == '.') {
        const char *dot = strchr(name, '.');
        return dot && dot != name && tn_str_ieq(tn_str_c(dot), tn_str_c(pat + 1));
    }
    return tn_str_ieq(tn_str_c(pat), tn_str_c(name));
}

TN__PRIVATE int tn__tls_servername(SSL *ssl, int *al, void *arg) {
    tn_tls_ctx *c = (tn_tls_ctx *)arg, *sub = NULL;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    size_t i;
    (void)al;
    if (!name) return SSL_TLSEXT_ERR_OK;
    for (i = 0; i < c->nnames && !sub; i++)
        if (tn__tls_name_match(c->names[i].name, name)) sub = c->names[i].ctx;
    if (!sub && c->sni_cb) sub = c->sni_cb(name, c->sni_user);
    if (sub && sub != c && sub->side == TN_TLS_SERVER && !SSL_set_SSL_CTX(ssl, sub->ssl)) return SSL_TLSEXT_ERR_ALERT_FATAL;
    return SSL_TLSEXT_ERR_OK;
}

TN__PRIVATE int tn__tls_version(int v) {
    switch (v) {
    case TN_TLS_1_0: return TLS1_VERSION;
    case TN_TLS_1_1: return TLS1_1_VERSION;
    case TN_TLS_1_2: return TLS1_2_VERSION;
    case TN_TLS_1_3: return TLS1_3_VERSION;
    default: return -1;
    }
}

/* Everything of opts applied to c->ssl. */
TN__PRIVATE int tn__tls_ctx_setup(tn_tls_ctx *c, const tn_tls_opts *o) {
    SSL_CTX *x = c->ssl;
    int minv = tn__tls_version(TN__DEF(o->min_version, TN_TLS_1_2));
    int maxv = o->max_version ? tn__tls_version(o->max_version) : 0;
    int rc;
    uint64_t opt = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;
    if (minv < 0 || maxv < 0 || (minv < TLS1_2_VERSION && !o->allow_legacy_versions) || (maxv && maxv < minv))
        return TN_EINVAL;
    if (SSL_CTX_set_min_proto_version(x, minv) != 1 || SSL_CTX_set_max_proto_version(x, maxv) != 1)
        return tn__tls_load_fail(c->loop, "versions", NULL);
    if (minv < TLS1_2_VERSION) SSL_CTX_set_security_level(x, 0);   /* asked for explicitly */
    if (c->side == TN_TLS_SERVER) {
        opt |= SSL_OP_CIPHER_SERVER_PREFERENCE;
        if (o->no_session_tickets) opt |= SSL_OP_NO_TICKET;
    }
    (void)SSL_CTX_set_options(x, opt);
    (void)SSL_CTX_set_mode(x, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_set_cipher_list(x, o->ciphers ? o->ciphers : "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL") != 1) {
        (void)tn__tls_load_fail(c->loop, "cipher list", o->ciphers);
        return TN_EINVAL;
    }
    if (o->ciphersuites && SSL_CTX_set_ciphersuites(x, o->ciphersuites) != 1) {
        (void)tn__tls_load_fail(c->loop, "TLS 1.3 cipher suites", o->ciphersuites);
        return TN_EINVAL;
    }
    c->password = (char *)(uintptr_t)o->key_password;
    SSL_CTX_set_default_passwd_cb(x, tn__tls_pw_cb);
    SSL_CTX_set_default_passwd_cb_userdata(x, c->password);
    /* certificate and key */
    if (o->cert_file || o->key_file) {
#if TN_HAS_FILESYSTEM
        if (!o->cert_file) return TN_EINVAL;
        if (SSL_CTX_use_certificate_chain_file(x, o->cert_file) != 1)
            return tn__tls_load_fail(c->loop, "certificate", o->cert_file);
        if (SSL_CTX_use_PrivateKey_file(x, o->key_file ? o->key_file : o->cert_file, SSL_FILETYPE_PEM) != 1)
            return tn__tls_load_fail(c->loop, "private key", o->key_file ? o->key_file : o->cert_file);
#else
        return TN_ENOTSUP;
#endif
    } else if (o->cert_pem.len) {
        if ((rc = tn__tls_use_pem(c, o->cert_pem, o->key_pem)) != 0) return rc;
    } else if (c->side == TN_TLS_SERVER && !o->sni_cb) {
        TN__LLOG(c->loop, TN_LOG_WARN, TN_EINVAL, "tls: a server context needs a certificate and key");
        return TN_EINVAL;
    }
    if ((o->cert_file || o->cert_pem.len) && SSL_CTX_check_private_key(x) != 1)
        return tn__tls_load_fail(c->loop, "private key", "does not match the certificate");
    SSL_CTX_set_default_passwd_cb_userdata(x, NULL);
    c->password = NULL;
    /* trust anchors */
    if (o->ca_file || o->ca_dir) {
#if TN_HAS_FILESYSTEM
        if (o->ca_file && SSL_CTX_load_verify_file(x, o->ca_file) != 1)
            return tn__tls_load_fail(c->loop, "CA file", o->ca_file);
        if (o->ca_dir && SSL_CTX_load_verify_dir(x, o->ca_dir) != 1)
            return tn__tls_load_fail(c->loop, "CA directory", o->ca_dir);
#else
        return TN_ENOTSUP;
#endif
    }
    if (o->ca_pem.len && (rc = tn__tls_add_ca_pem(c, o->ca_pem)) != 0) return rc;
    /* verification */
    c->verify = o->verify ? o->verify : (c->side == TN_TLS_CLIENT ? TN_TLS_VERIFY_REQUIRED : TN_TLS_VERIFY_NONE);
    if (c->verify < TN_TLS_VERIFY_NONE || c->verify > TN_TLS_VERIFY_REQUIRED) return TN_EINVAL;
    if (c->side == TN_TLS_CLIENT) {
        if (!o->no_session_tickets) {   /* resumption: our cache, not OpenSSL's */
            if (!(c->sessions = (tn__tls_sess *)tn__calloc(tn__loop_alloc(c->loop), TN__TLS_SESSIONS * sizeof *c->sessions)))
                return TN_ENOMEM;
            SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
            SSL_CTX_sess_set_new_cb(x, tn__tls_sess_new);
        } else {
            SSL_CTX_set_session_cache_mode(x, SSL_SESS_CACHE_OFF);
            (void)SSL_CTX_set_options(x, SSL_OP_NO_TICKET);
        }
        if (c->verify != TN_TLS_VERIFY_NONE && !o->ca_file && !o->ca_dir && !o->ca_pem.len &&
            SSL_CTX_set_default_verify_paths(x) != 1)
            return tn__tls_load_fail(c->loop, "system trust store", NULL);
        SSL_CTX_set_verify(x, c->verify == TN_TLS_VERIFY_NONE ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    } else {
        static const unsigned char sid[] = "tornado.h";
        int mode = SSL_VERIFY_NONE;
        if (c->verify == TN_TLS_VERIFY_OPTIONAL) mode = SSL_VERIFY_PEER;
        if (c->verify == TN_TLS_VERIFY_REQUIRED) mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        SSL_CTX_set_verify(x, mode, NULL);
        (void)SSL_CTX_set_session_id_context(x, sid, (unsigned)(sizeof sid - 1));
        SSL_CTX_set_num_tickets(x, o->no_session_tickets ? 0 : 1);
        SSL_CTX_set_tlsext_servername_callback(x, tn__tls_servername);
        SSL_CTX_set_tlsext_servername_arg(x, c);
        SSL_CTX_set_alpn_select_cb(x, tn__tls_alpn_select, c);
    }
    /* ALPN */
    if ((rc = tn__tls_alpn_wire(c, o->alpn ? o->alpn : (c->side == TN_TLS_SERVER ? "http/1.1" : ""))) != 0) return rc;
    if (c->side == TN_TLS_CLIENT && c->alpn && SSL_CTX_set_alpn_protos(x, c->alpn, c->alpn_len) != 0)
        return TN_ENOMEM;
    c->hs_timeout_ms = TN__DEF(o->handshake_timeout_ms, TORNADO_TLS_HANDSHAKE_TIMEOUT_MS);
    c->sni_cb = o->sni_cb;
    c->sni_user = o->sni_user;
    return TN_OK;
}

TN_API int tn_tls_ctx_new(tn_loop *loop, const tn_tls_opts *opts, tn_tls_ctx **out) {
    tn_tls_opts o;
    tn_tls_ctx *c;
    int rc;
    if (!loop || !out) return TN_EINVAL;
    *out = NULL;
    memset(&o, 0, sizeof o);
    if (opts) o = *opts;
    if (o.side != TN_TLS_CLIENT && o.side != TN_TLS_SERVER) return TN_EINVAL;
    if (!(c = (tn_tls_ctx *)tn__calloc(tn__loop_alloc(loop), sizeof *c))) return TN_ENOMEM;
    c->loop = loop;
    c->refs = 1;
    c->side = o.side;
    ERR_clear_error();
    c->ssl = SSL_CTX_new(o.side == TN_TLS_SERVER ? TLS_server_method() : TLS_client_method());
    c->biom = BIO_meth_new(BIO_TYPE_SOURCE_SINK | BIO_get_new_index(), "tornado.h stream");
    if (!c->ssl || !c->biom || BIO_meth_set_read_ex(c->biom, tn__tls_bio_read) != 1 ||
        BIO_meth_set_write_ex(c->biom, tn__tls_bio_write) != 1 || BIO_meth_set_ctrl(c->biom, tn__tls_bio_ctrl) != 1) {
        SSL_CTX_free(c->ssl);
        BIO_meth_free(c->biom);
        tn__free(tn__loop_alloc(loop), c);
        ERR_clear_error();
        return TN_ENOMEM;
    }
    if ((rc = tn__tls_ctx_setup(c, &o)) != 0) {
        ERR_clear_error();
        tn_tls_ctx_free(c);
        return rc;
    }
    *out = c;
    return TN_OK;
}

TN_API int tn_tls_ctx_add_server_name(tn_tls_ctx *ctx, const char *name, tn_tls_ctx *sub) {
    tn_allocator *a;
    char *dup;
    if (!ctx || !sub || !name || !*name || ctx->side != TN_TLS_SERVER || sub->side != TN_TLS_SERVER) return TN_EINVAL;
    a = tn__loop_alloc(ctx->loop);
    if (tn__grow(a, (void **)&ctx->names, &ctx->cap, ctx->nnames + 1, sizeof *ctx->names) != 0) return TN_ENOMEM;
    if (!(dup = tn__strdup(a, name))) return TN_ENOMEM;
    ctx->names[ctx->nnames].name = dup;
    ctx->names[ctx->nnames].ctx = sub;
    ctx->nnames++;
    sub->refs++;
    return TN_OK;
}

/* One more holder of ctx (a server, a stream); tn_tls_ctx_free drops it. */
TN__PRIVATE void tn__tls_ctx_ref(tn_tls_ctx *ctx) { ctx->refs++; }

TN_API void tn_tls_ctx_free(tn_tls_ctx *ctx) {
    tn_allocator *a;
    size_t i;
    if (!ctx || --ctx->refs > 0) return;
    a = tn__loop_alloc(ctx->loop);
    for (i = 0; i < ctx->nnames; i++) {
        tn__free(a, ctx->names[i].name);
        tn_tls_ctx_free(ctx->names[i].ctx);
    }
    tn__free(a, ctx->names);
    tn__free(a, ctx->alpn);
    if (ctx->sessions) {
        for (i = 0; i < TN__TLS_SESSIONS; i++) tn__tls_sess_clear(ctx, &ctx->sessions[i]);
        tn__free(a, ctx->sessions);
    }
    SSL_CTX_free(ctx->ssl);
    BIO_meth_free(ctx->biom);
    tn__free(a, ctx);
}

/* ---- streams ---- */
TN_API int tn_stream_start_tls(tn_stream *s, tn_tls_ctx *ctx, const char *server_hostname, tn_tls_handshake_cb cb,
                               void *user) {
    tn_loop *loop;
    tn__tls *t;
    tn_addr ip;
    int is_ip, rc;
    if (!s || !ctx) return TN_EINVAL;
    if (tn_stream_closed(s)) return TN_ECLOSED;
    if (tn__stream_transport(s) || tn_stream_reading(s) || tn__stream_unread(s) || tn_stream_writing(s))
        return TN_EBUSY;
    if (ctx->side == TN_TLS_CLIENT && ctx->verify != TN_TLS_VERIFY_NONE && (!server_hostname || !*server_hostname))
        return TN_EINVAL;
    loop = tn_stream_loop(s);
    if (!(t = (tn__tls *)tn__calloc(tn__loop_alloc(loop), sizeof *t))) return TN_ENOMEM;
    ERR_clear_error();
    t->s = s;
    t->ssl = SSL_new(ctx->ssl);
    t->bio = BIO_new(ctx->biom);
    t->rres = 1;
    if (!t->ssl || !t->bio) {
        rc = TN_ENOMEM;
        goto fail;
    }
    BIO_set_data(t->bio, t);
    BIO_set_init(t->bio, 1);
    t->ctx = ctx;   /* the reference is taken below, once nothing can fail */
    SSL_set_app_data(t->ssl, t);
    SSL_set_bio(t->ssl, t->bio, t->bio);   /* owned by ssl from here (one reference for both) */
    if (ctx->side == TN_TLS_SERVER) {
        SSL_set_accept_state(t->ssl);
        t->verifying = ctx->verify != TN_TLS_VERIFY_NONE;
    } else {
        SSL_set_connect_state(t->ssl);
        is_ip = server_hostname && tn_addr_from_ip(server_hostname, 0, &ip) == TN_OK;
        if (server_hostname && *server_hostname && !is_ip && !SSL_set_tlsext_host_name(t->ssl, server_hostname)) {
            rc = TN_EINVAL;   /* SNI: names only, never IP literals (RFC 6066) */
            goto fail;
        }
        if ((rc = tn__tls_sess_offer(t, server_hostname)) != 0) goto fail;
        if (ctx->verify != TN_TLS_VERIFY_NONE) {
            t->verifying = 1;
            if (is_ip) {
                char buf[TN_ADDR_STRLEN];
                if (tn_addr_ip(&ip, buf, sizeof buf) < 0 ||
                    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), buf) != 1) {
                    rc = TN_EINVAL;
                    goto fail;
                }
            } else {
                SSL_set_hostflags(t->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                if (SSL_set1_host(t->ssl, server_hostname) != 1) {
                    rc = TN_EINVAL;
                    goto fail;
                }
            }
        }
    }
    if (ctx->hs_timeout_ms && (rc = tn_loop_call_later(loop, ctx->hs_timeout_ms, tn__tls_on_timeout, t, &t->hs_timer)) != 0)
        goto fail;
    t->ctx = ctx;
    ctx->refs++;
    t->hcb = cb;
    t->huser = user;
    t->inner = tn__stream_transport_ops(s);
    tn__defer_init(&t->hs_d, tn__tls_on_hs_defer, tn__stream_handle(s));
    tn__stream_set_transport(s, &tn__tls_ops, t);
    /* the client speaks first; either side then waits for the peer (errors close the
       stream from the loop, through ready) */
    if (ctx->side == TN_TLS_CLIENT) {
        int hrc = tn__tls_handshake(t);
        if (hrc != 0) {
            (void)tn_stream_abort(s, hrc);
            return TN_OK;
        }
    }
    tn__tls_update(t);
    return TN_OK;
fail:
    ERR_clear_error();
    tn__free(tn__loop_alloc(loop), t->skey);
    if (t->ssl) SSL_free(t->ssl);
    else {
        BIO_free(t->bio);
    }
    tn__free(tn__loop_alloc(loop), t);
    return rc;
}

TN_API int tn_stream_is_tls(const tn_stream *s) {
    return s && tn__stream_transport_ops(s) == &tn__tls_ops;
}

TN_API int tn_stream_tls_info(const tn_stream *s, tn_tls_info *out) {
    const tn__tls *t;
    const unsigned char *alpn = NULL;
    unsigned alen = 0;
    const char *sn;
    if (!out) return TN_EINVAL;
    memset(out, 0, sizeof *out);
    out->version = out->cipher = out->server_name = "";
    if (!tn_stream_is_tls(s)) return TN_EINVAL;
    t = tn__tls_of(s);
    out->done = t->hs_done;
    if (!t->hs_done) return TN_OK;
    out->version = SSL_get_version(t->ssl);
    out->cipher = SSL_get_cipher_name(t->ssl);
    SSL_get0_alpn_selected(t->ssl, &alpn, &alen);
    out->alpn = tn_str_make((const char *)alpn, alen);
    sn = SSL_get_servername(t->ssl, TLSEXT_NAMETYPE_host_name);
    out->server_name = sn ? sn : "";
    out->session_reused = SSL_session_reused(t->ssl) == 1;
    out->peer_verified = SSL_get0_peer_certificate(t->ssl) != NULL && SSL_get_verify_result(t->ssl) == X509_V_OK &&
                         SSL_get_verify_mode(t->ssl) != SSL_VERIFY_NONE;
    return TN_OK;
}

TN_API const char *tn_stream_tls_error(const tn_stream *s) {
    return tn_stream_is_tls(s) && tn__tls_of(s)->err ? tn__tls_of(s)->err : "";
}

TN_API int tn_stream_tls_peer_subject(const tn_stream *s, char *buf, size_t cap) {
    tn_tls_info info;
    X509 *x;
    BIO *b;
    char *p;
    long n;
    if (!buf || cap == 0 || tn_stream_tls_info(s, &info) != 0) return TN_EINVAL;
    buf[0] = 0;
    if (!info.peer_verified || !(x = SSL_get0_peer_certificate(tn__tls_of(s)->ssl))) return TN_ENOENT;
    if (!(b = BIO_new(BIO_s_mem()))) return TN_ENOMEM;
    if (X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) < 0) {
        BIO_free(b);
        ERR_clear_error();
        return TN_ETLS;
    }
    n = BIO_get_mem_data(b, &p);
    if (n < 0 || (size_t)n >= cap) {
        BIO_free(b);
        return TN_EBUFFER_FULL;
    }
    memcpy(buf, p, (size_t)n);
    buf[n] = 0;
    BIO_free(b);
    return (int)n;
}

#endif /* TN_HAS_OPENSSL */
