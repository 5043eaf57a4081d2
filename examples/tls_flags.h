/* tls_flags.h: the examples' TLS flags, shared by hello, httpbin, file_server, ws_echo, demo
   (servers: --cert FILE --key FILE serve https/wss) and fetch, ws_client (clients:
   --cacert FILE, --insecure, --cert FILE --key FILE for mutual TLS). TLS needs the header
   built with TORNADO_WITH_OPENSSL: the Makefile does that when libssl-dev is installed
   (make EXAMPLE_TLS= builds without); otherwise these flags say TLS is not built in. */
#ifndef EX_TLS_FLAGS_H
#define EX_TLS_FLAGS_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ex_tls {
    const char *cert, *key, *cacert;
    int insecure;
} ex_tls;

/* argv[*i] is a TLS flag: consume it (and its value) and return 1; else return 0. */
static inline int ex_tls_flag(ex_tls *t, int argc, char **argv, int *i, int client) {
    const char *a = argv[*i];
    int more = *i + 1 < argc;
    if (!strcmp(a, "--cert") && more) t->cert = argv[++*i];
    else if (!strcmp(a, "--key") && more) t->key = argv[++*i];
    else if (client && !strcmp(a, "--cacert") && more) t->cacert = argv[++*i];
    else if (client && !strcmp(a, "--insecure")) t->insecure = 1;
    else return 0;
#if !TN_HAS_OPENSSL
    fprintf(stderr, "%s: TLS is not built in (%s): build with TORNADO_WITH_OPENSSL (libssl-dev)\n", argv[0], a);
    exit(2);
#endif
    return 1;
}

#if TN_HAS_OPENSSL
/* The context the flags ask for (NULL: none asked for, plain http/ws); exits on an error. */
static inline tn_tls_ctx *ex_tls_ctx(tn_loop *loop, const ex_tls *t, int client) {
    tn_tls_opts o;
    tn_tls_ctx *ctx;
    int rc;
    if (client ? !t->cert && !t->cacert && !t->insecure : !t->cert) return NULL;
    memset(&o, 0, sizeof o);
    o.side = client ? TN_TLS_CLIENT : TN_TLS_SERVER;
    o.cert_file = t->cert;
    o.key_file = t->key;
    o.ca_file = t->cacert;
    o.verify = t->insecure ? TN_TLS_VERIFY_NONE : 0;
    if ((rc = tn_tls_ctx_new(loop, &o, &ctx)) != 0) {
        fprintf(stderr, "TLS: cannot use %s%s%s: %s\n", t->cert ? t->cert : "", t->cert && t->cacert ? ", " : "",
                t->cacert ? t->cacert : "", tn_strerror(rc));
        exit(1);
    }
    return ctx;
}
#else
static inline tn_tls_ctx *ex_tls_ctx(tn_loop *loop, const ex_tls *t, int client) {
    (void)loop, (void)t, (void)client;
    return NULL;
}
#endif

#endif /* EX_TLS_FLAGS_H */
