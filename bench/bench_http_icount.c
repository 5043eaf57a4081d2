/* bench_http_icount.c: a deterministic driver for counting the HTTP server's instructions
   per request (issue 14) under valgrind's callgrind, free of wrk's timing noise.
     bench_http_icount ROUNDS [CONNS] [DEPTH]
   The hello-world server of examples/hello.c runs on this process's main thread; a second
   thread plays wrk (bench/pipeline.lua): CONNS connections (default 4), each sending DEPTH
   (default 16; 1 = plain keep-alive) requests "GET / HTTP/1.1\r\nHost: 127.0.0.1:PORT\r\n\r\n"
   in one write per round, all connections' batches out before any answer is read, ROUNDS
   rounds. Instructions per request: run it twice with different ROUNDS under
     valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file=cg.%p ...
   and divide the difference of the main thread's totals (the file ending in -01) by the
   difference in requests (start-up and shutdown cancel out). Linux/POSIX only. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(_WIN32)
int main(void) { return 0; }
#else
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXC 64

static tn_loop *loop;
static int port, rounds, nconns = 4, depth = 16;
static long served;

static void hello(tn_request *req, void *user) {
    (void)user;
    served++;
    if (tn_str_eq_c(tn_request_path(req), "/"))
        tn_respond(req, 200, "text/plain", "Hello, world", 12);
    else
        tn_respond(req, 404, "text/plain", "Not Found", 9);
}

static void stop(tn_loop *l, void *user) {
    (void)user;
    tn_loop_stop(l);
}

/* Read until `want` bytes came (the responses are all the same length). */
static int read_n(int fd, size_t want) {
    char buf[65536];
    while (want > 0) {
        ssize_t r = recv(fd, buf, sizeof buf < want ? sizeof buf : want, 0);
        if (r <= 0) return -1;
        want -= (size_t)r;
    }
    return 0;
}

static void *client(void *arg) {
    int fds[MAXC], i, k;
    char one[128], batch[128 * 64];
    size_t onelen, blen = 0, resp = 0;
    struct sockaddr_in sa;
    (void)arg;
    onelen = (size_t)snprintf(one, sizeof one, "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", port);
    for (i = 0; i < depth; i++) {
        memcpy(batch + blen, one, onelen);
        blen += onelen;
    }
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(0x7f000001);
    for (i = 0; i < nconns; i++) {
        int one_ = 1;
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || connect(fds[i], (struct sockaddr *)&sa, sizeof sa) != 0) {
            perror("connect");
            exit(1);
        }
        setsockopt(fds[i], IPPROTO_TCP, TCP_NODELAY, &one_, sizeof one_);
    }
    /* one request first, to learn the response's length (Date keeps it fixed) */
    {
        char buf[4096];
        size_t got = 0;
        if (send(fds[0], one, onelen, 0) != (ssize_t)onelen) exit(1);
        while (!(got > 12 && memcmp(buf + got - 12, "Hello, world", 12) == 0)) {
            ssize_t r = recv(fds[0], buf + got, sizeof buf - got, 0);
            if (r <= 0) exit(1);
            got += (size_t)r;
        }
        resp = got;
    }
    for (k = 0; k < rounds; k++) {
        for (i = 0; i < nconns; i++)
            if (send(fds[i], batch, blen, 0) != (ssize_t)blen) exit(1);
        for (i = 0; i < nconns; i++)
            if (read_n(fds[i], resp * (size_t)depth) != 0) {
                fprintf(stderr, "short read\n");
                exit(1);
            }
    }
    for (i = 0; i < nconns; i++) close(fds[i]);
    (void)tn_loop_post(loop, stop, NULL);
    return NULL;
}

int main(int argc, char **argv) {
    tn_http_server *srv;
    pthread_t th;
    if (argc < 2) {
        fprintf(stderr, "usage: %s ROUNDS [CONNS] [DEPTH]\n", argv[0]);
        return 2;
    }
    rounds = atoi(argv[1]);
    if (argc > 2) nconns = atoi(argv[2]);
    if (argc > 3) depth = atoi(argv[3]);
    if (nconns < 1 || nconns > MAXC || depth < 1 || depth > 64) return 2;
    if (tn_loop_new(NULL, &loop) != 0) return 1;
    if (tn_http_server_new(loop, NULL, hello, NULL, &srv) != 0) return 1;
    if (tn_http_server_listen(srv, "127.0.0.1", 0) != 0) return 1;
    port = tn_http_server_port(srv);
    if (pthread_create(&th, NULL, client, NULL) != 0) return 1;
    (void)tn_loop_run(loop);
    pthread_join(th, NULL);
    printf("served %ld requests\n", served);
    return 0;
}
#endif
