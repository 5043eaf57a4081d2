/* hello.c: Tornado's hello world over tornado.h's HTTP server.

   Build and run:  make build/examples/hello && ./build/examples/hello --port 8888
   Try:            curl -i http://127.0.0.1:8888/
   Options:        --host ADDR (default 127.0.0.1), --port N (default 8888; 0: any free
                   port, printed),
                   --procs N (N worker processes sharing the listening sockets),
                   --cert FILE --key FILE (serve https; needs TORNADO_WITH_OPENSSL) */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tls_flags.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hello(tn_request *req, void *user) {
    (void)user;
    if (tn_str_eq_c(tn_request_path(req), "/"))
        tn_respond(req, 200, "text/plain", "Hello, world", 12);
    else
        tn_respond(req, 404, "text/plain", "Not Found", 9);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 8888, procs = 1, i, rc, task = -1;
    tn_socket fds[8];
    size_t nfds = 0;
    tn_loop *loop;
    tn_http_server *srv;
    tn_http_server_opts so;
    ex_tls tls = { 0 };

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--host") && i + 1 < argc) host = argv[++i];
        else if (!strcmp(argv[i], "--procs") && i + 1 < argc) procs = atoi(argv[++i]);
        else if (!ex_tls_flag(&tls, argc, argv, &i, 0)) {
            fprintf(stderr, "usage: %s [--host ADDR] [--port N] [--procs N] [--cert FILE --key FILE]\n", argv[0]);
            return 2;
        }
    }
    /* bind before forking: every worker accepts on the same sockets */
    if ((rc = tn_bind_sockets(host, port, NULL, fds, 8, &nfds)) != 0) {
        fprintf(stderr, "bind %s:%d: %s\n", host, port, tn_strerror(rc));
        return 1;
    }
    if (port == 0) {   /* --port 0: the system chose one; say which */
        tn_addr bound;
        if (tn_socket_local_addr(fds[0], &bound) == 0) port = tn_addr_port(&bound);
    }
    printf("hello server on %s://%s:%d/ (%d process%s)\n", tls.cert ? "https" : "http", host, port, procs, procs == 1 ? "" : "es");
    fflush(stdout);
    if (procs > 1) {
        if ((rc = tn_fork_processes(procs, 0, &task)) != 0) return 1;
        if (task < 0) return 0;
    }
    if (tn_loop_new(NULL, &loop) != 0) return 1;
    memset(&so, 0, sizeof so);
    so.tls = ex_tls_ctx(loop, &tls, 0);   /* in each worker: a context belongs to one loop */
    if (tn_http_server_new(loop, &so, hello, NULL, &srv) != 0) return 1;
    for (i = 0; i < (int)nfds; i++)
        if (tn_http_server_add_socket(srv, fds[i]) != 0) return 1;
    return tn_loop_run(loop) == 0 ? 0 : 1;
}
