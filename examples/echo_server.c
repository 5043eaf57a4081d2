/* echo_server.c: a TCP echo server, the foundation's demo.

   Build and run:  make build/examples/echo_server && ./build/examples/echo_server --port 8888
   Try:            printf 'hello\n' | nc -q1 127.0.0.1 8888   (or: telnet 127.0.0.1 8888)
   Options:        --host ADDR (default 127.0.0.1), --port N (default 8888),
                   --procs N (fork N worker processes sharing the listening socket) */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_read(tn_stream *s, int status, tn_str data, void *user);

static void start_read(tn_stream *s) {
    /* whatever arrives, up to 64 KB at a time */
    if (tn_stream_read_bytes(s, 65536, TN_READ_PARTIAL, on_read, NULL) != 0) tn_stream_close(s, NULL, NULL);
}

static void on_written(tn_stream *s, int status, void *user) {
    (void)user;
    if (status == TN_OK) start_read(s);
}

static void on_read(tn_stream *s, int status, tn_str data, void *user) {
    (void)user;
    if (status < 0) return;   /* the peer left: the stream closes and frees itself */
    if (tn_stream_write(s, data.ptr, data.len, NULL, NULL) != 0) {
        tn_stream_close(s, NULL, NULL);
        return;
    }
    /* backpressure: a peer that does not read what it gets back is not read from either
       (the next read waits until the socket took this echo) */
    if (tn_stream_write_buffer_size(s) == 0) start_read(s);
    else if (tn_stream_write(s, NULL, 0, on_written, NULL) != 0) tn_stream_close(s, NULL, NULL);
}

static void on_conn(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    (void)srv;
    (void)peer;
    (void)user;
    start_read(s);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 8888, procs = 1, i, rc, task = -1;
    tn_socket fds[8];
    size_t nfds = 0;
    tn_loop *loop;
    tn_tcp_server *srv;
    tn_tcp_server_opts opts;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--host") && i + 1 < argc) host = argv[++i];
        else if (!strcmp(argv[i], "--procs") && i + 1 < argc) procs = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: %s [--host ADDR] [--port N] [--procs N]\n", argv[0]);
            return 2;
        }
    }
    /* bind before forking so every worker shares the same listening sockets */
    if ((rc = tn_bind_sockets(host, port, NULL, fds, 8, &nfds)) != 0) {
        fprintf(stderr, "bind %s:%d: %s\n", host, port, tn_strerror(rc));
        return 1;
    }
    printf("echo server listening on %s:%d (%d process%s)\n", host, port, procs, procs == 1 ? "" : "es");
    fflush(stdout);
    if (procs > 1) {
        if ((rc = tn_fork_processes(procs, 0, &task)) != 0) {
            fprintf(stderr, "fork_processes: %s\n", tn_strerror(rc));
            return 1;
        }
        if (task < 0) return 0;   /* the parent: every worker exited cleanly */
    }
    memset(&opts, 0, sizeof opts);
    opts.nodelay = 1;
    if (tn_loop_new(NULL, &loop) != 0 || tn_tcp_server_new(loop, &opts, on_conn, NULL, &srv) != 0) return 1;
    for (i = 0; i < (int)nfds; i++)
        if (tn_tcp_server_add_socket(srv, fds[i]) != 0) return 1;
    return tn_loop_run(loop) == 0 ? 0 : 1;
}
