/* echo.c (make size): a TCP echo server on 127.0.0.1:8080 (loop, stream, tcp). */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"

static void on_data(tn_stream *s, int status, tn_str data, void *user) {
    (void)user;
    if (status != TN_MORE && status != TN_OK) return;
    if (data.len) (void)tn_stream_write(s, data.ptr, data.len, NULL, NULL);
}

static void on_conn(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    (void)peer;
    (void)srv;
    (void)user;
    if (tn_stream_read_until_close(s, TN_READ_STREAMING, on_data, NULL) != TN_OK) (void)tn_stream_close(s, NULL, NULL);
}

int main(void) {
    tn_loop *loop;
    tn_tcp_server *srv;
    if (tn_loop_new(NULL, &loop) != TN_OK) return 1;
    if (tn_tcp_server_new(loop, NULL, on_conn, NULL, &srv) != TN_OK) return 1;
    if (tn_tcp_server_listen(srv, "127.0.0.1", 8080) != TN_OK) return 1;
    return tn_loop_run(loop) == TN_OK ? 0 : 1;
}
