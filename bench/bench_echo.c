/* bench_echo.c: a load generator for TCP echo servers (ours and the peers).
     bench_echo throughput HOST PORT CONNS MB_PER_CONN   every connection streams MB and
                                                         reads the echo back: prints MB/s
     bench_echo rtt HOST PORT CONNS SECONDS              every connection ping-pongs 64-byte
                                                         messages: prints round trips/s
   The client is single-threaded tornado.h; the same client measures every server, so the
   ratios between servers are what matters. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 65536
#define MSG 64

typedef struct conn {
    struct run *r;
    tn_stream *s;
    size_t sent, recvd, want;
    char buf[CHUNK];
} conn;

typedef struct run {
    tn_loop *loop;
    int mode;   /* 0 throughput, 1 rtt */
    int conns, up, done, failed;
    uint64_t deadline_ms;
    long trips;
    uint64_t bytes;
} run;

static char payload[CHUNK];

static void on_read(tn_stream *s, int status, tn_str data, void *user);

static void write_more(conn *c);
static void on_written(tn_stream *s, int status, void *user) {
    (void)s;
    if (status == TN_OK) write_more((conn *)user);
}
static void write_more(conn *c) {
    size_t n = c->want - c->sent;
    if (n > CHUNK) n = CHUNK;
    if (n == 0) return;
    c->sent += n;
    tn_stream_write(c->s, payload, n, on_written, c);
}

static void finish(conn *c) {
    c->r->done++;
    tn_stream_close(c->s, NULL, NULL);
}

static void on_read(tn_stream *s, int status, tn_str data, void *user) {
    conn *c = (conn *)user;
    run *r = c->r;
    if (status < 0) {
        r->failed++;
        return;
    }
    c->recvd += data.len;
    r->bytes += data.len;
    if (r->mode == 0) {
        if (c->recvd >= c->want) {
            finish(c);
            return;
        }
        tn_stream_read_into(s, c->buf, CHUNK, TN_READ_PARTIAL, on_read, c);
        return;
    }
    /* rtt: one full echo of MSG bytes is a round trip */
    if (c->recvd % MSG == 0) {
        r->trips++;
        if (tn_time_ms() >= r->deadline_ms) {
            finish(c);
            return;
        }
        tn_stream_write(s, payload, MSG, NULL, NULL);
    }
    tn_stream_read_into(s, c->buf, MSG - c->recvd % MSG, 0, on_read, c);
}

static void on_connect(int status, tn_stream *s, void *user) {
    conn *c = (conn *)user;
    if (status != TN_OK) {
        fprintf(stderr, "connect: %s\n", tn_strerror(status));
        c->r->failed++;
        return;
    }
    c->s = s;
    c->r->up++;
    tn_stream_set_nodelay(s, 1);
}

int main(int argc, char **argv) {
    run r;
    conn *cs;
    int i, port;
    double secs;
    uint64_t t0;
    if (argc != 6) {
        fprintf(stderr, "usage: %s throughput|rtt HOST PORT CONNS MB_PER_CONN|SECONDS\n", argv[0]);
        return 2;
    }
    memset(&r, 0, sizeof r);
    memset(payload, 'e', sizeof payload);
    r.mode = strcmp(argv[1], "rtt") == 0;
    port = atoi(argv[3]);
    r.conns = atoi(argv[4]);
    if (tn_loop_new(NULL, &r.loop) != 0) return 1;
    cs = (conn *)calloc((size_t)r.conns, sizeof *cs);
    for (i = 0; i < r.conns; i++) {
        cs[i].r = &r;
        tn_tcp_connect(r.loop, argv[2], port, NULL, on_connect, &cs[i], NULL);
    }
    while (r.up + r.failed < r.conns) tn_loop_run_once(r.loop, 100);
    if (r.failed) return 1;
    t0 = tn_time_ns();
    r.deadline_ms = tn_time_ms() + (uint64_t)(atof(argv[5]) * 1000);
    for (i = 0; i < r.conns; i++) {
        conn *c = &cs[i];
        if (r.mode == 0) {
            c->want = (size_t)(atof(argv[5]) * 1024 * 1024);
            tn_stream_read_into(c->s, c->buf, CHUNK, TN_READ_PARTIAL, on_read, c);
            write_more(c);
        } else {
            tn_stream_read_into(c->s, c->buf, MSG, 0, on_read, c);
            tn_stream_write(c->s, payload, MSG, NULL, NULL);
        }
    }
    while (r.done + r.failed < r.conns) tn_loop_run_once(r.loop, 100);
    secs = (double)(tn_time_ns() - t0) / 1e9;
    for (i = 0; i < 3; i++) tn_loop_run_once(r.loop, 10);
    if (r.failed) {
        fprintf(stderr, "%d connections failed\n", r.failed);
        return 1;
    }
    if (r.mode == 0)
        printf("%.1f MB/s\n", (double)r.bytes / (1024.0 * 1024.0) / secs);
    else
        printf("%.0f round-trips/s\n", (double)r.trips / secs);
    free(cs);
    return 0;
}
