/* web.c (make size): the smallest web app: one route with a path capture, 127.0.0.1:8080. */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"

static void greet(tn_request *req, const tn_route_match *m, void *user) {
    tn_str name = m->captures[0].value;
    (void)user;
    tn_web_writef(req, "Hello, %.*s", (int)name.len, name.ptr);
}

int main(void) {
    tn_loop *loop;
    tn_app *app;
    if (tn_loop_new(NULL, &loop) != TN_OK) return 1;
    if (tn_app_new(loop, NULL, &app) != TN_OK) return 1;
    if (tn_app_route(app, "GET", "/hello/{name}", greet, NULL) != TN_OK) return 1;
    if (tn_app_listen(app, "127.0.0.1", 8080) != TN_OK) return 1;
    return tn_loop_run(loop) == TN_OK ? 0 : 1;
}
