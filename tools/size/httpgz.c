/* httpgz.c (make size): http.c with compress_response and decompress_request on: the
   deflate codec is linked because the program names tn_http_gzip() (what gzip costs). */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"

static void hello(tn_request *req, void *user) {
    (void)user;
    tn_respond(req, 200, "text/plain", "Hello, world", 12);
}

int main(void) {
    tn_loop *loop;
    tn_http_server *srv;
    tn_http_server_opts o;
    memset(&o, 0, sizeof o);
    o.compress_response = 1;
    o.decompress_request = 1;
    o.gzip = tn_http_gzip();
    if (tn_loop_new(NULL, &loop) != TN_OK) return 1;
    if (tn_http_server_new(loop, &o, hello, NULL, &srv) != TN_OK) return 1;
    if (tn_http_server_listen(srv, "127.0.0.1", 8080) != TN_OK) return 1;
    return tn_loop_run(loop) == TN_OK ? 0 : 1;
}
