/* http.c (make size): the smallest raw HTTP server: one handler on 127.0.0.1:8080. */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"

static void hello(tn_request *req, void *user) {
    (void)user;
    tn_respond(req, 200, "text/plain", "Hello, world", 12);
}

int main(void) {
    tn_loop *loop;
    tn_http_server *srv;
    if (tn_loop_new(NULL, &loop) != TN_OK) return 1;
    if (tn_http_server_new(loop, NULL, hello, NULL, &srv) != TN_OK) return 1;
    if (tn_http_server_listen(srv, "127.0.0.1", 8080) != TN_OK) return 1;
    return tn_loop_run(loop) == TN_OK ? 0 : 1;
}
