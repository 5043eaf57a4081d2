/* test_stream.c: tn_stream over socketpairs and pipes: every read kind, limits, writes,
   close causes, closing from callbacks, idle buffers. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#include <sys/socket.h>

typedef struct ctx {
    tn_loop *loop;
    tn_stream *s;
    int peer;                /* the raw other end */
    int reads;
    int status;
    int statuses[64];
    char data[1 << 16];
    size_t len;
    int closed;
    int cause;
    int writes_ok, writes_err;
    int last_write_status;
    int in_call;             /* set while inside a tn_stream_* call */
} ctx;

static void setup(ctx *c, const tn_stream_opts *o) {
    int sv[2];
    memset(c, 0, sizeof *c);
    TN_OK_RC(tn_loop_new(NULL, &c->loop));
    TN_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    TN_OK_RC(tn_stream_new_socket(c->loop, sv[0], o, &c->s));
    c->peer = sv[1];
}

static void on_close(tn_stream *s, int cause, void *user) {
    ctx *c = (ctx *)user;
    (void)s;
    c->closed++;
    c->cause = cause;
}

static void teardown(ctx *c) {
    if (c->s && !c->closed) {
        tn_stream_close(c->s, on_close, c);
    }
    while (c->s && !c->closed) TN_CHECK(tn_loop_run_once(c->loop, 10) >= 0);
    TN_EQ_INT(c->closed, c->s ? 1 : 0);
    if (c->peer >= 0) close(c->peer);
    TN_CHECK(tn_loop_run_once(c->loop, 0) >= 0);
    TN_OK_RC(tn_loop_free(c->loop));
}

static void on_read(tn_stream *s, int status, tn_str data, void *user) {
    ctx *c = (ctx *)user;
    (void)s;
    TN_CHECKF(!c->in_call, "callback ran inside the call that scheduled it");
    if (c->reads < 64) c->statuses[c->reads] = status;
    c->reads++;
    c->status = status;
    if (data.len) {
        TN_CHECK(c->len + data.len <= sizeof c->data);
        memcpy(c->data + c->len, data.ptr, data.len);
        c->len += data.len;
    }
}

static void run_until(ctx *c, int *counter, int want) {
    uint64_t end = tn_time_ms() + 5000;
    while (*counter < want && tn_time_ms() < end) TN_CHECK(tn_loop_run_once(c->loop, 20) >= 0);
    TN_EQ_INT(*counter, want);
}

static void peer_send(ctx *c, const char *s) {
    size_t n = strlen(s);
    TN_CHECK(write(c->peer, s, n) == (ssize_t)n);
}

TN_TEST(read_bytes_exact_partial_zero) {
    ctx c;
    setup(&c, NULL);
    tn_stream_set_close_cb(c.s, on_close, &c);
    c.in_call = 1;
    TN_OK_RC(tn_stream_read_bytes(c.s, 0, 0, on_read, &c));   /* zero bytes works */
    TN_EQ_RC(tn_stream_read_bytes(c.s, 5, 0, on_read, &c), TN_EBUSY);
    c.in_call = 0;
    run_until(&c, &c.reads, 1);
    TN_OK_RC(c.status);
    peer_send(&c, "hel");
    TN_OK_RC(tn_stream_read_bytes(c.s, 5, 0, on_read, &c));
    TN_CHECK(tn_loop_run_once(c.loop, 50) >= 0);
    TN_EQ_INT(c.reads, 1);   /* 3 of 5: waits */
    peer_send(&c, "lo world");
    run_until(&c, &c.reads, 2);
    TN_EQ_INT((int)c.len, 5);
    TN_EQ_MEM(c.data, "hello", 5);
    TN_EQ_UINT(tn_stream_read_buffer_size(c.s), 6);   /* " world" stays buffered */
    /* partial: takes what is there, at most n */
    c.len = 0;
    TN_OK_RC(tn_stream_read_bytes(c.s, 4, TN_READ_PARTIAL, on_read, &c));
    run_until(&c, &c.reads, 3);
    TN_EQ_MEM(c.data, " wor", 4);
    c.len = 0;
    TN_OK_RC(tn_stream_read_bytes(c.s, 100, TN_READ_PARTIAL, on_read, &c));
    run_until(&c, &c.reads, 4);
    TN_EQ_INT((int)c.len, 2);
    TN_EQ_MEM(c.data, "ld", 2);
    /* an idle stream holds no read buffer (nor write bookkeeping or idle timer it never used) */
    TN_CHECK(c.s->rbuf == NULL);
    TN_CHECK(c.s->wbuf == NULL);
    TN_CHECK(c.s->wq == NULL);
    TN_CHECK(c.s->idle == NULL);
    {   /* an idle timeout takes its block while set, and reports through the options */
        tn_stream_opts got;
        tn_stream_set_idle_timeout(c.s, 60000);
        tn_stream_get_opts(c.s, &got);
        TN_CHECK(c.s->idle != NULL && got.idle_timeout_ms == 60000);
        tn_stream_set_idle_timeout(c.s, 0);
        tn_stream_get_opts(c.s, &got);
        TN_CHECK(c.s->idle == NULL && got.idle_timeout_ms == 0);
    }
    teardown(&c);
    TN_EQ_RC(c.cause, TN_OK);
}

TN_TEST(read_bytes_streaming) {
    ctx c;
    setup(&c, NULL);
    TN_OK_RC(tn_stream_read_bytes(c.s, 10, TN_READ_STREAMING, on_read, &c));
    peer_send(&c, "abcd");
    run_until(&c, &c.reads, 1);
    TN_EQ_INT(c.status, TN_MORE);
    peer_send(&c, "efghijXYZ");
    run_until(&c, &c.reads, 3);
    TN_EQ_INT(c.statuses[1], TN_MORE);
    TN_EQ_INT(c.statuses[2], TN_OK);   /* the final, empty call */
    TN_EQ_INT((int)c.len, 10);
    TN_EQ_MEM(c.data, "abcdefghij", 10);
    TN_EQ_UINT(tn_stream_read_buffer_size(c.s), 3);
    teardown(&c);
}

TN_TEST(read_until_split_delimiter) {
    ctx c;
    setup(&c, NULL);
    TN_OK_RC(tn_stream_read_until(c.s, "\r\n\r\n", 4, 0, on_read, &c));
    peer_send(&c, "GET / HTTP/1.1\r\nHost: x\r");
    TN_CHECK(tn_loop_run_once(c.loop, 30) >= 0);
    TN_EQ_INT(c.reads, 0);
    peer_send(&c, "\n\r");
    TN_CHECK(tn_loop_run_once(c.loop, 30) >= 0);
    TN_EQ_INT(c.reads, 0);
    peer_send(&c, "\nBODY");
    run_until(&c, &c.reads, 1);
    TN_OK_RC(c.status);
    TN_EQ_INT((int)c.len, 27);
    TN_EQ_MEM(c.data, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);   /* includes the delimiter */
    TN_EQ_UINT(tn_stream_read_buffer_size(c.s), 4);
    /* a long delimiter, and one already buffered (completes from the loop, not inline) */
    c.len = 0;
    peer_send(&c, "--boundary-long-enough--tail");
    c.in_call = 1;
    TN_OK_RC(tn_stream_read_until(c.s, "--boundary-long-enough--", 24, 0, on_read, &c));
    c.in_call = 0;
    run_until(&c, &c.reads, 2);
    TN_EQ_INT((int)c.len, 28);
    TN_EQ_MEM(c.data, "BODY--boundary-long-enough--", 28);
    TN_EQ_RC(tn_stream_read_until(c.s, "", 0, 0, on_read, &c), TN_EINVAL);
    /* the longest delimiter, 64 bytes (its length kept in a 7-bit field), works; 65 is refused */
    {
        static const char d64[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        char d65[65];
        memset(d65, 'x', sizeof d65);
        TN_EQ_RC(tn_stream_read_until(c.s, d65, 65, 0, on_read, &c), TN_EINVAL);
        c.len = 0;
        TN_OK_RC(tn_stream_read_until(c.s, d64, 64, 0, on_read, &c));
        peer_send(&c, "abc0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefrest");
        run_until(&c, &c.reads, 3);
        TN_OK_RC(c.status);
        TN_EQ_INT((int)c.len, 4 + 3 + 64);   /* "tail" left from before, "abc", the delimiter */
        TN_EQ_MEM(c.data + 7, d64, 64);
    }
    teardown(&c);
}

/* A pending read ended by the peer leaving: a long delimiter's storage is released (leak
   check under ASan), and a read_into buffer stays the caller's (never freed by the stream). */
TN_TEST(pending_reads_end_with_close) {
    ctx c;
    static char into[32];
    char stack_into[32];
    setup(&c, NULL);
    tn_stream_set_close_cb(c.s, on_close, &c);
    TN_OK_RC(tn_stream_read_until(c.s, "--a-delimiter-longer-than-eight--", 33, 0, on_read, &c));
    peer_send(&c, "no delimiter here");
    close(c.peer);
    c.peer = -1;
    run_until(&c, &c.closed, 1);
    TN_EQ_INT(c.reads, 1);
    TN_EQ_RC(c.status, TN_EEOF);   /* the read fails: the peer left first */
    teardown(&c);
    /* read_into (static and stack buffers), the stream closed by us and by the peer */
    setup(&c, NULL);
    tn_stream_set_close_cb(c.s, on_close, &c);
    TN_OK_RC(tn_stream_read_into(c.s, into, sizeof into, 0, on_read, &c));
    peer_send(&c, "part");
    TN_CHECK(tn_loop_run_once(c.loop, 30) >= 0);
    TN_OK_RC(tn_stream_close(c.s, NULL, NULL));
    run_until(&c, &c.closed, 1);
    TN_EQ_INT(c.reads, 1);
    TN_CHECK(c.status != TN_OK);
    teardown(&c);
    setup(&c, NULL);
    tn_stream_set_close_cb(c.s, on_close, &c);
    TN_OK_RC(tn_stream_read_into(c.s, stack_into, sizeof stack_into, 0, on_read, &c));
    close(c.peer);
    c.peer = -1;
    run_until(&c, &c.closed, 1);
    TN_EQ_INT(c.reads, 1);
    TN_CHECK(c.status != TN_OK);
    teardown(&c);
}

/* Options are kept in 32 bits: larger sizes and durations are clamped, 0 stays "none". */
TN_TEST(options_clamped_to_32_bits) {
    ctx c;
    tn_stream_opts o, got;
    memset(&o, 0, sizeof o);
    o.max_buffer_size = (size_t)-1;
    o.max_write_buffer_size = 0;
    o.idle_timeout_ms = (uint64_t)1 << 40;
    setup(&c, &o);
    tn_stream_get_opts(c.s, &got);
    TN_EQ_UINT(got.max_buffer_size, sizeof(size_t) > 4 ? 0xffffffffu : (size_t)-1);
    TN_EQ_UINT(got.max_write_buffer_size, 0);
    TN_EQ_UINT(got.idle_timeout_ms, 0xffffffffu);
    tn_stream_set_idle_timeout(c.s, 0);
    tn_stream_get_opts(c.s, &got);
    TN_EQ_UINT(got.idle_timeout_ms, 0);
    teardown(&c);
}

TN_TEST(read_until_max_bytes_closes) {
    ctx c;
    setup(&c, NULL);
    tn_stream_set_close_cb(c.s, on_close, &c);
    TN_OK_RC(tn_stream_read_until(c.s, "\n", 1, 10, on_read, &c));
    peer_send(&c, "0123456789ABC");   /* 13 bytes, no newline: over max_bytes */
    run_until(&c, &c.closed, 1);
    TN_EQ_INT(c.reads, 1);
    TN_EQ_RC(c.status, TN_ELIMIT);
    TN_EQ_RC(c.cause, TN_ELIMIT);
    teardown(&c);
    /* found, but past max_bytes: also a limit */
    setup(&c, NULL);
    tn_stream_set_close_cb(c.s, on_close, &c);
    TN_OK_RC(tn_stream_read_until(c.s, "\n", 1, 4, on_read, &c));
    peer_send(&c, "abcd\n");
    run_until(&c, &c.closed, 1);
    TN_EQ_RC(c.status, TN_ELIMIT);
    teardown(&c);
    /* exactly max_bytes including the delimiter is fine */
    setup(&c, NULL);
    TN_OK_RC(tn_stream_read_until(c.s, "\n", 1, 5, on_read, &c));
    peer_send(&c, "abcd\n");
    run_until(&c, &c.reads, 1);
    TN_OK_RC(c.status);
    teardown(&c);
}

TN_TEST(max_buffer_size_closes) {
    ctx c;
    tn_stream_opts o;
    char big[5000];
    memset(&o, 0, sizeof o);
    o.max_buffer_size = 4096;
    setup(&c, &o);
    tn_stream_set_close_cb(c.s, on_close, &c);
    {
        tn_stream_opts got;
        tn_stream_get_opts(c.s, &got);
        TN_EQ_UINT(got.read_chunk_size, 2048);   /* capped at half */
        TN_EQ_UINT(got.max_buffer_size, 4096);
    }
    TN_EQ_RC(tn_stream_read_bytes(c.s, 5000, 0, on_read, &c), TN_EBUFFER_FULL);
    TN_OK_RC(tn_stream_read_until(c.s, "\n", 1, 0, on_read, &c));
    memset(big, 'x', sizeof big);
    TN_CHECK(write(c.peer, big, sizeof big) == (ssize_t)sizeof big);
    run_until(&c, &c.closed, 1);
    TN_EQ_RC(c.status, TN_EBUFFER_FULL);
    TN_EQ_RC(c.cause, TN_EBUFFER_FULL);
    teardown(&c);
}

TN_TEST(read_into_direct_and_buffered) {
    ctx c;
    char buf[16];
    setup(&c, NULL);
    TN_OK_RC(tn_stream_read_into(c.s, buf, 8, 0, on_read, &c));
    peer_send(&c, "1234");
    TN_CHECK(tn_loop_run_once(c.loop, 30) >= 0);
    TN_EQ_INT(c.reads, 0);
    TN_CHECK(c.s->rbuf == NULL);   /* straight into the caller's buffer */
    peer_send(&c, "5678");
    run_until(&c, &c.reads, 1);
    TN_EQ_MEM(buf, "12345678", 8);
    TN_EQ_MEM(c.data, "12345678", 8);
    /* buffered bytes are copied first; partial returns what there is */
    c.len = 0;
    peer_send(&c, "abcdef");
    TN_OK_RC(tn_stream_read_bytes(c.s, 2, 0, on_read, &c));
    run_until(&c, &c.reads, 2);
    c.len = 0;
    TN_OK_RC(tn_stream_read_into(c.s, buf, 16, TN_READ_PARTIAL, on_read, &c));
    run_until(&c, &c.reads, 3);
    TN_EQ_INT((int)c.len, 4);
    TN_EQ_MEM(buf, "cdef", 4);
    teardown(&c);
}

TN_TEST(read_until_close_plain_and_streaming) {
    ctx c;
    setup(&c, NULL);
    tn_stream_set_close_cb(c.s, on_close, &c);
    TN_OK_RC(tn_stream_read_until_close(c.s, 0, on_read, &c));
    peer_send(&c, "part one, ");
    TN_CHECK(tn_loop_run_once(c.loop, 30) >= 0);
    peer_send(&c, "part two");
    TN_CHECK(tn_loop_run_once(c.loop, 30) >= 0);
    TN_EQ_INT(c.reads, 0);
    shutdown(c.peer, SHUT_WR);
    run_until(&c, &c.closed, 1);
    TN_EQ_INT(c.reads, 1);
    TN_OK_RC(c.status);
    TN_EQ_INT((int)c.len, 18);
    TN_EQ_MEM(c.data, "part one, part two", 18);
    TN_EQ_RC(c.cause, TN_EEOF);
    teardown(&c);

    setup(&c, NULL);
    tn_stream_set_close_cb(c.s, on_close, &c);
    TN_OK_RC(tn_stream_read_until_close(c.s, TN_READ_STREAMING, on_read, &c));
    peer_send(&c, "chunk1");
    run_until(&c, &c.reads, 1);
    TN_EQ_INT(c.status, TN_MORE);
    peer_send(&c, "chunk2");
    run_until(&c, &c.reads, 2);
    shutdown(c.peer, SHUT_WR);
    run_until(&c, &c.closed, 1);
    TN_EQ_INT(c.reads, 3);
    TN_EQ_INT(c.statuses[2], TN_OK);
    TN_EQ_INT((int)c.len, 12);
    teardown(&c);
}

TN_TEST(eof_before_read_completes) {
    ctx c;
    setup(&c, NULL);
    tn_stream_set_close_cb(c.s, on_close, &c);
    peer_send(&c, "12345");
    shutdown(c.peer, SHUT_WR);
    /* 3 bytes can be served from the buffer although the peer already left */
    TN_OK_RC(tn_stream_read_bytes(c.s, 3, 0, on_read, &c));
    run_until(&c, &c.reads, 1);
    TN_OK_RC(c.status);
    TN_EQ_INT(c.closed, 0);
    /* 10 cannot: the read fails with TN_EEOF, then the close callback reports TN_EEOF */
    TN_OK_RC(tn_stream_read_bytes(c.s, 10, 0, on_read, &c));
    run_until(&c, &c.closed, 1);
    TN_EQ_INT(c.reads, 2);
    TN_EQ_RC(c.status, TN_EEOF);
    TN_EQ_RC(c.cause, TN_EEOF);
    teardown(&c);
}

static void on_write(tn_stream *s, int status, void *user) {
    ctx *c = (ctx *)user;
    (void)s;
    TN_CHECKF(!c->in_call, "write callback ran inside tn_stream_write");
    c->last_write_status = status;
    if (status == TN_OK) c->writes_ok++;
    else c->writes_err++;
}

TN_TEST(writes_complete_in_order) {
    ctx c;
    char buf[64];
    ssize_t n;
    setup(&c, NULL);
    c.in_call = 1;
    TN_OK_RC(tn_stream_write(c.s, "one ", 4, on_write, &c));
    TN_OK_RC(tn_stream_write(c.s, "two ", 4, NULL, NULL));
    TN_OK_RC(tn_stream_write(c.s, "three", 5, on_write, &c));
    TN_OK_RC(tn_stream_write(c.s, "", 0, on_write, &c));   /* empty writes are fine */
    c.in_call = 0;
    run_until(&c, &c.writes_ok, 3);
    n = read(c.peer, buf, sizeof buf);
    TN_EQ_INT(n, 13);
    TN_EQ_MEM(buf, "one two three", 13);
    teardown(&c);
}

/* Writes whose bytes the socket took before a close report TN_OK, every one of them (the
   close fails only what was never sent): here three writes go out at once and the stream
   is closed in the same call, before any write callback ran. */
TN_TEST(sent_writes_report_ok_across_a_close) {
    ctx c;
    char buf[64];
    ssize_t n;
    setup(&c, NULL);
    c.in_call = 1;
    TN_OK_RC(tn_stream_write(c.s, "one ", 4, on_write, &c));
    TN_OK_RC(tn_stream_write(c.s, "two ", 4, on_write, &c));
    TN_OK_RC(tn_stream_write(c.s, "three", 5, on_write, &c));
    TN_OK_RC(tn_stream_close(c.s, on_close, &c));
    c.in_call = 0;
    while (!c.closed) TN_CHECK(tn_loop_run_once(c.loop, 10) >= 0);
    TN_EQ_INT(c.writes_ok, 3);
    TN_EQ_INT(c.writes_err, 0);
    n = read(c.peer, buf, sizeof buf);
    TN_EQ_INT(n, 13);
    TN_EQ_MEM(buf, "one two three", 13);
    teardown(&c);
}

/* The write bookkeeping is made by the first write with a callback, here behind bytes
   queued without one that the socket has not taken: the callback waits for all of them. */
TN_TEST(write_callback_behind_unsent_plain_writes) {
    ctx c;
    static char big[400000];
    char *got = (char *)malloc(sizeof big + 4);
    size_t have = 0;
    uint64_t end;
    setup(&c, NULL);
    memset(big, 'q', sizeof big);
    c.in_call = 1;
    TN_OK_RC(tn_stream_write(c.s, big, sizeof big, NULL, NULL));   /* more than the socket takes */
    TN_CHECK(c.s->wq == NULL && tn_stream_write_buffer_size(c.s) > 0);
    TN_OK_RC(tn_stream_write(c.s, "tail", 4, on_write, &c));
    c.in_call = 0;
    TN_CHECK(c.s->wq != NULL);
    /* not while any byte queued before it is unsent (the peer reads nothing yet) */
    TN_CHECK(tn_loop_run_once(c.loop, 10) >= 0);
    TN_CHECK(tn_stream_write_buffer_size(c.s) > 4);
    TN_EQ_INT(c.writes_ok, 0);
    TN_CHECK(fcntl(c.peer, F_SETFL, fcntl(c.peer, F_GETFL, 0) | O_NONBLOCK) == 0);
    end = tn_time_ms() + 5000;
    while (have < sizeof big + 4 && tn_time_ms() < end) {
        ssize_t n = recv(c.peer, got + have, sizeof big + 4 - have, 0);
        if (n > 0) have += (size_t)n;
        TN_CHECK(tn_loop_run_once(c.loop, 1) >= 0);
        if (tn_stream_write_buffer_size(c.s) > 0) TN_EQ_INT(c.writes_ok, 0);
    }
    TN_EQ_UINT(have, sizeof big + 4);
    TN_EQ_MEM(got + sizeof big, "tail", 4);
    run_until(&c, &c.writes_ok, 1);
    TN_EQ_UINT(tn_stream_write_buffer_size(c.s), 0);
    free(got);
    teardown(&c);
}

/* tn__cbuf, the stream's buffers: NULL while empty, growth, the consumed front reclaimed,
   filling in place, truncation, storage handed in and out whole. */
TN_TEST(compact_buffer) {
    counting_alloc ca;
    tn_allocator a;
    tn__cbuf *b = NULL;
    char big[10000], *p;
    size_t size, i;
    memset(&ca, 0, sizeof ca);
    a = tn_test_counting(&ca);
    for (i = 0; i < sizeof big; i++) big[i] = (char)('a' + i % 26);
    TN_CHECK(tn__cbuf_ptr(b) == NULL && tn__cbuf_size(b) == 0 && tn__cbuf_room(b) == 0);
    tn__cbuf_consume(b, 5);   /* harmless on an empty one */
    TN_OK_RC(tn__cbuf_append(&a, &b, big, 100));
    TN_CHECK(b != NULL);
    TN_EQ_UINT(tn__cbuf_size(b), 100);
    TN_EQ_MEM(tn__cbuf_ptr(b), big, 100);
    TN_CHECK(tn__cbuf_room(b) >= 4096 - 100 - 64);   /* 4 KB steps, minus the header */
    tn__cbuf_consume(b, 60);
    TN_EQ_UINT(tn__cbuf_size(b), 40);
    TN_EQ_MEM(tn__cbuf_ptr(b), big + 60, 40);
    /* growing past the storage keeps the live bytes only, in order */
    TN_OK_RC(tn__cbuf_append(&a, &b, big, sizeof big));
    TN_EQ_UINT(tn__cbuf_size(b), 40 + sizeof big);
    TN_EQ_MEM(tn__cbuf_ptr(b), big + 60, 40);
    TN_EQ_MEM(tn__cbuf_ptr(b) + 40, big, sizeof big);
    TN_EQ_INT((int)ca.live, 1);
    /* filling in place */
    TN_OK_RC(tn__cbuf_reserve(&a, &b, 3));
    TN_CHECK(tn__cbuf_room(b) >= 3);
    memcpy(tn__cbuf_tail(b), "xyz", 3);
    tn__cbuf_commit(b, 3);
    TN_EQ_MEM(tn__cbuf_ptr(b) + 40 + sizeof big, "xyz", 3);
    tn__cbuf_truncate(b, 10);
    TN_EQ_UINT(tn__cbuf_size(b), 10);
    tn__cbuf_truncate(b, 50);   /* longer than held: no change */
    TN_EQ_UINT(tn__cbuf_size(b), 10);
    /* the consumed front is reclaimed before growing (no allocation) */
    tn__cbuf_consume(b, 8);
    i = (size_t)ca.total;
    TN_OK_RC(tn__cbuf_reserve(&a, &b, tn__cbuf_room(b) + 4));
    TN_EQ_INT((int)ca.total, (int)i);
    TN_EQ_MEM(tn__cbuf_ptr(b), big + 60 + 8, 2);
    tn__cbuf_consume(b, 100);
    TN_EQ_UINT(tn__cbuf_size(b), 0);
    p = tn__cbuf_detach(&b, &size);
    TN_CHECK(b == NULL && p != NULL && size >= sizeof big);
    a.free(p, a.user);
    TN_EQ_INT((int)ca.live, 0);
    /* storage handed in: what fits is told first */
    TN_CHECK(tn__cbuf_fits(4096, 4000) && !tn__cbuf_fits(4096, 4096) && !tn__cbuf_fits(8, 0));
    p = (char *)malloc(4096);
    b = tn__cbuf_adopt(p, 4096);
    TN_CHECK(tn__cbuf_size(b) == 0 && tn__cbuf_room(b) >= 4000 && tn__cbuf_room(b) < 4096);
    TN_OK_RC(tn__cbuf_append(&a, &b, "hello", 5));
    TN_CHECK((char *)b == p);   /* it fit: no allocation */
    TN_EQ_INT((int)ca.live, 0);
    TN_CHECK(tn__cbuf_detach(&b, &size) == p && size == 4096);
    free(p);
    /* out of memory: the buffer is unchanged */
    TN_OK_RC(tn__cbuf_append(&a, &b, "abc", 3));
    ca.fail_after = 1;
    TN_EQ_RC(tn__cbuf_append(&a, &b, big, sizeof big), TN_ENOMEM);
    TN_EQ_UINT(tn__cbuf_size(b), 3);
    TN_EQ_MEM(tn__cbuf_ptr(b), "abc", 3);
    p = tn__cbuf_detach(&b, &size);
    a.free(p, a.user);
    TN_EQ_INT((int)ca.live, 0);
}

TN_TEST(writev_gathers_in_order) {
    ctx c;
    static char big[300000];
    tn_str v[20];
    char want[64 * 20 + 300000], *got;
    size_t i, off = 0, total, have = 0;
    setup(&c, NULL);
    for (i = 0; i < 20; i++) {   /* more buffers than one gather call takes; some empty */
        static char parts[20][64];
        size_t n = (i % 5 == 0) ? 0 : 10 + i;
        memset(parts[i], 'a' + (int)i, n);
        v[i] = tn_str_make(parts[i], n);
        memcpy(want + off, parts[i], n);
        off += n;
    }
    memset(big, 'Z', sizeof big);
    memcpy(want + off, big, sizeof big);
    total = off + sizeof big;
    c.in_call = 1;
    TN_OK_RC(tn_stream_writev(c.s, v, 20, on_write, &c));
    v[0] = tn_str_make(big, sizeof big);   /* more than the socket takes at once: buffered */
    TN_OK_RC(tn_stream_writev(c.s, v, 1, on_write, &c));
    c.in_call = 0;
    got = (char *)malloc(total);
    TN_CHECK(got != NULL);
    (void)fcntl(c.peer, F_SETFL, O_NONBLOCK);
    while (have < total) {
        ssize_t n = read(c.peer, got + have, total - have);
        if (n > 0) have += (size_t)n;
        TN_CHECK(tn_loop_run_once(c.loop, 5) >= 0);
    }
    run_until(&c, &c.writes_ok, 2);
    TN_EQ_MEM(got, want, total);
    free(got);
    teardown(&c);
}

TN_TEST(write_buffer_limit_and_backpressure) {
    ctx c;
    tn_stream_opts o;
    static char big[1 << 20];
    int accepted = 0, i;
    size_t drained = 0;
    memset(&o, 0, sizeof o);
    o.max_write_buffer_size = 256 * 1024;
    setup(&c, &o);
    memset(big, 'w', sizeof big);
    /* the peer does not read: the kernel buffer fills, then ours, then writes are refused */
    for (i = 0; i < 64; i++) {
        int rc = tn_stream_write(c.s, big, 64 * 1024, on_write, &c);
        if (rc == TN_EBUFFER_FULL) break;
        TN_OK_RC(rc);
        accepted++;
    }
    TN_CHECK(i < 64);
    TN_CHECK(tn_stream_write_buffer_size(c.s) <= o.max_write_buffer_size);
    TN_CHECK(tn_stream_write_buffer_size(c.s) + 64 * 1024 > o.max_write_buffer_size);
    TN_EQ_INT(tn_stream_writing(c.s), 1);
    /* drain the peer: every accepted write completes, none of the refused ones */
    while (c.writes_ok < accepted) {
        char tmp[65536];
        ssize_t n = read(c.peer, tmp, sizeof tmp);
        if (n > 0) drained += (size_t)n;
        TN_CHECK(tn_loop_run_once(c.loop, 5) >= 0);
    }
    TN_EQ_INT(c.writes_err, 0);
    TN_EQ_INT(tn_stream_writing(c.s), 0);
    TN_CHECK(c.s->wbuf == NULL);   /* released once drained */
    teardown(&c);
    (void)drained;
}

TN_TEST(peer_reset_mid_write) {
    ctx c;
    static char big[1 << 20];
    int i, sv[2];
    struct linger lg;
    /* a TCP pair, so the peer can reset */
    tn_socket lfd[2];
    size_t n;
    tn_addr a;
    memset(&c, 0, sizeof c);
    TN_OK_RC(tn_loop_new(NULL, &c.loop));
    TN_OK_RC(tn_bind_sockets("127.0.0.1", 0, NULL, lfd, 2, &n));
    TN_OK_RC(tn_socket_local_addr(lfd[0], &a));
    sv[1] = socket(AF_INET, SOCK_STREAM, 0);
    TN_CHECK(connect(sv[1], (struct sockaddr *)(void *)a.u.bytes, a.len) == 0);
    for (i = 0; i < 100 && (sv[0] = accept(lfd[0], NULL, NULL)) < 0; i++) usleep(1000);
    TN_CHECK(sv[0] >= 0);
    tn_socket_close(lfd[0]);
    TN_OK_RC(tn_stream_new_socket(c.loop, sv[0], NULL, &c.s));
    tn_stream_set_close_cb(c.s, on_close, &c);
    memset(big, 'r', sizeof big);
    for (i = 0; i < 8; i++) TN_OK_RC(tn_stream_write(c.s, big, sizeof big, on_write, &c));
    TN_OK_RC(tn_stream_read_bytes(c.s, 10, 0, on_read, &c));
    TN_CHECK(tn_loop_run_once(c.loop, 10) >= 0);
    lg.l_onoff = 1;
    lg.l_linger = 0;   /* close with RST */
    TN_CHECK(setsockopt(sv[1], SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0);
    close(sv[1]);
    run_until(&c, &c.closed, 1);
    TN_EQ_RC(c.cause, TN_ERESET);
    TN_EQ_RC(c.status, TN_ERESET);     /* the pending read */
    TN_EQ_INT(c.writes_ok + c.writes_err, 8);   /* each write reported exactly once */
    TN_CHECK(c.writes_err >= 1);                /* 8 MB cannot all have left before the reset */
    TN_EQ_RC(c.last_write_status, TN_ERESET);
    c.peer = -1;
    teardown(&c);
}

/* ---- closing from inside callbacks ---- */
typedef struct pair {
    tn_loop *loop;
    tn_stream *a, *b;
    int peers[2];
    int closed_a, closed_b;
    int reads;
    int after_close_calls;
} pair;

static void pair_close_cb(tn_stream *s, int cause, void *user) {
    pair *p = (pair *)user;
    (void)cause;
    if (s == p->a) p->closed_a++;
    else p->closed_b++;
}

static void late_cb(tn_stream *s, int status, tn_str data, void *user) {
    pair *p = (pair *)user;
    (void)s; (void)data;
    if (status == TN_OK) p->after_close_calls++;
}

static void close_both_from_read(tn_stream *s, int status, tn_str data, void *user) {
    pair *p = (pair *)user;
    (void)data;
    if (status != TN_OK) {
        TN_EQ_RC(status, TN_ECLOSED);   /* the other stream closed this one first */
        return;
    }
    p->reads++;
    /* close myself and the other stream, then try to use both */
    TN_OK_RC(tn_stream_close(s, NULL, NULL));
    TN_EQ_RC(tn_stream_close(s, NULL, NULL), TN_ECLOSED);
    TN_OK_RC(tn_stream_close(s == p->a ? p->b : p->a, NULL, NULL));
    TN_EQ_RC(tn_stream_write(s, "x", 1, NULL, NULL), TN_ECLOSED);
    TN_EQ_RC(tn_stream_read_bytes(s, 1, 0, late_cb, p), TN_ECLOSED);
}

static void close_in_close_cb(tn_stream *s, int cause, void *user) {
    pair_close_cb(s, cause, user);
    TN_EQ_RC(tn_stream_close(s, NULL, NULL), TN_ECLOSED);
}

TN_TEST(close_from_own_and_other_callbacks) {
    pair p;
    int sv1[2], sv2[2], i;
    memset(&p, 0, sizeof p);
    TN_OK_RC(tn_loop_new(NULL, &p.loop));
    TN_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv1) == 0);
    TN_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2) == 0);
    TN_OK_RC(tn_stream_new_socket(p.loop, sv1[0], NULL, &p.a));
    TN_OK_RC(tn_stream_new_socket(p.loop, sv2[0], NULL, &p.b));
    tn_stream_set_close_cb(p.a, close_in_close_cb, &p);
    tn_stream_set_close_cb(p.b, pair_close_cb, &p);
    /* both become readable in the same iteration; the first callback closes both */
    TN_OK_RC(tn_stream_read_bytes(p.a, 1, 0, close_both_from_read, &p));
    TN_OK_RC(tn_stream_read_bytes(p.b, 1, 0, close_both_from_read, &p));
    TN_CHECK(tn_loop_run_once(p.loop, 0) >= 0);   /* both now wait for data */
    TN_CHECK(write(sv1[1], "A", 1) == 1);
    TN_CHECK(write(sv2[1], "B", 1) == 1);
    for (i = 0; i < 10; i++) TN_CHECK(tn_loop_run_once(p.loop, 10) >= 0);
    TN_EQ_INT(p.reads, 1);   /* the other read was failed by the close, not delivered */
    TN_EQ_INT(p.closed_a, 1);
    TN_EQ_INT(p.closed_b, 1);
    TN_EQ_INT(p.after_close_calls, 0);
    TN_EQ_UINT(tn_loop_alive(p.loop), 0);
    close(sv1[1]);
    close(sv2[1]);
    TN_OK_RC(tn_loop_free(p.loop));
}

static void reread_zero(tn_stream *s, int status, tn_str data, void *user) {
    ctx *c = (ctx *)user;
    (void)data;
    c->reads++;
    if (status == TN_OK && c->reads < 1000) TN_OK_RC(tn_stream_read_bytes(s, 0, 0, reread_zero, c));
}

TN_TEST(zero_reads_do_not_starve_the_loop) {
    ctx c;
    int iters = 0;
    setup(&c, NULL);
    TN_OK_RC(tn_stream_read_bytes(c.s, 0, 0, reread_zero, &c));
    while (c.reads < 1000 && iters < 1000) {
        TN_CHECK(tn_loop_run_once(c.loop, 0) >= 0);
        iters++;
    }
    TN_EQ_INT(c.reads, 1000);
    TN_CHECK(iters > 5);   /* bounded per iteration */
    teardown(&c);
}

TN_TEST(idle_timeout_closes) {
    ctx c;
    tn_stream_opts o;
    uint64_t t0, quiet;
    memset(&o, 0, sizeof o);
    o.idle_timeout_ms = 250;   /* wide margins: machines running tests are loaded */
    setup(&c, &o);
    tn_stream_set_close_cb(c.s, on_close, &c);
    TN_OK_RC(tn_stream_read_bytes(c.s, 1000, 0, on_read, &c));
    t0 = tn_time_ms();
    /* traffic every ~10 ms keeps it alive well past the timeout */
    while (tn_time_ms() - t0 < 500) {
        peer_send(&c, "k");
        TN_CHECK(tn_loop_run_once(c.loop, 20) >= 0);
        usleep(10000);
    }
    TN_EQ_INT(c.closed, 0);
    quiet = c.s->idle->last_io;   /* when the last byte moved (loop time) */
    run_until(&c, &c.closed, 1);
    TN_EQ_RC(c.cause, TN_ETIMEOUT);
    TN_EQ_RC(c.status, TN_ETIMEOUT);
    TN_CHECKF(tn_time_ms() - quiet >= 250, "closed %lu ms after the last byte",
              (unsigned long)(tn_time_ms() - quiet));
    teardown(&c);
}

TN_TEST(pipe_stream) {
    tn_loop *loop;
    tn_stream *r, *w;
    int fds[2];
    ctx c;
    TN_POSIX_ONLY("pipes as pollable fds (WSAPoll takes sockets only)");
    memset(&c, 0, sizeof c);
    TN_OK_RC(tn_loop_new(NULL, &loop));
    TN_CHECK(pipe(fds) == 0);
    TN_OK_RC(tn_stream_new_pipe(loop, fds[0], NULL, &r));
    TN_OK_RC(tn_stream_new_pipe(loop, fds[1], NULL, &w));
    c.loop = loop;
    TN_OK_RC(tn_stream_read_until(r, "\n", 1, 0, on_read, &c));
    TN_OK_RC(tn_stream_write(w, "through a pipe\n", 15, NULL, NULL));
    TN_OK_RC(tn_stream_close(w, NULL, NULL));
    run_until(&c, &c.reads, 1);
    TN_EQ_MEM(c.data, "through a pipe\n", 15);
    tn_stream_set_close_cb(r, on_close, &c);
    TN_OK_RC(tn_stream_read_bytes(r, 1, 0, on_read, &c));   /* writer gone: EOF */
    run_until(&c, &c.closed, 1);
    TN_EQ_RC(c.cause, TN_EEOF);
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_OK_RC(tn_loop_free(loop));
}

/* a pipe whose reader is gone: no SIGPIPE death, a close cause instead */
TN_TEST(pipe_reader_gone_no_sigpipe) {
    tn_loop *loop;
    tn_stream *w;
    int fds[2];
    ctx c;
    TN_POSIX_ONLY("pipes as pollable fds and SIGPIPE");
    memset(&c, 0, sizeof c);
    signal(SIGPIPE, SIG_DFL);   /* as a fresh program has it */
    TN_OK_RC(tn_loop_new(NULL, &loop));
    c.loop = loop;
    TN_CHECK(pipe(fds) == 0);
    TN_OK_RC(tn_stream_new_pipe(loop, fds[1], NULL, &w));
    tn_stream_set_close_cb(w, on_close, &c);
    close(fds[0]);
    TN_OK_RC(tn_stream_write(w, "lost", 4, on_write, &c));   /* accepted; fails from the loop */
    run_until(&c, &c.closed, 1);
    TN_EQ_RC(c.cause, TN_ERESET);
    TN_EQ_INT(c.writes_err, 1);
    TN_CHECK(tn_loop_run_once(loop, 0) >= 0);
    TN_OK_RC(tn_loop_free(loop));
}

/* tn_loop_free refuses while objects live, and says which through the logger */
typedef struct logcap { int warn; int busy_code; char last[256]; int saw_stream; } logcap;
static void capture_log(void *user, int level, int code, const char *msg, const char *file, int line) {
    logcap *l = (logcap *)user;
    (void)file; (void)line;
    if (level == TN_LOG_WARN) l->warn++;
    if (code == TN_EBUSY) l->busy_code++;
    if (strstr(msg, "alive: stream")) l->saw_stream = 1;
    snprintf(l->last, sizeof l->last, "%s", msg);
}

TN_TEST(loop_free_reports_live_objects) {
    tn_loop_opts o;
    tn_loop *loop;
    tn_stream *s;
    logcap l;
    int sv[2];
    memset(&o, 0, sizeof o);
    memset(&l, 0, sizeof l);
    o.logger.func = capture_log;
    o.logger.user = &l;
    TN_OK_RC(tn_loop_new(&o, &loop));
    TN_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    TN_OK_RC(tn_stream_new_socket(loop, sv[0], NULL, &s));
    TN_EQ_UINT(tn_loop_alive(loop), 1);
    TN_EQ_RC(tn_loop_free(loop), TN_EBUSY);
    TN_CHECK(l.warn >= 2);
    TN_CHECK(l.busy_code >= 2);
    TN_CHECK(l.saw_stream);
    TN_OK_RC(tn_stream_close(s, NULL, NULL));
    TN_OK_RC(tn_loop_free(loop));   /* the close is finished by free itself */
    close(sv[1]);
}

TN_TESTS(
    TN_CASE(pipe_reader_gone_no_sigpipe),
    TN_CASE(loop_free_reports_live_objects),
    TN_CASE(read_bytes_exact_partial_zero),
    TN_CASE(read_bytes_streaming),
    TN_CASE(read_until_split_delimiter),
    TN_CASE(read_until_max_bytes_closes),
    TN_CASE(max_buffer_size_closes),
    TN_CASE(read_into_direct_and_buffered),
    TN_CASE(pending_reads_end_with_close),
    TN_CASE(options_clamped_to_32_bits),
    TN_CASE(read_until_close_plain_and_streaming),
    TN_CASE(eof_before_read_completes),
    TN_CASE(writes_complete_in_order),
    TN_CASE(sent_writes_report_ok_across_a_close),
    TN_CASE(write_callback_behind_unsent_plain_writes),
    TN_CASE(compact_buffer),
    TN_CASE(writev_gathers_in_order),
    TN_CASE(write_buffer_limit_and_backpressure),
    TN_CASE(peer_reset_mid_write),
    TN_CASE(close_from_own_and_other_callbacks),
    TN_CASE(zero_reads_do_not_starve_the_loop),
    TN_CASE(idle_timeout_closes),
    TN_CASE(pipe_stream)
)
