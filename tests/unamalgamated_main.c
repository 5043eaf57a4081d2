/* unamalgamated_main.c: the program `make test`'s unamalgamated build links against every
   src/ file compiled as its own translation unit (tests/run.py, "build.unamalgamated"). It
   includes the public headers from src/ directly, so they must stand on their own too, and
   answers one HTTP request over 127.0.0.1 to show the separately compiled modules work
   together. */
#include "web.h"
#include "static.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

static void hello(tn_request *req, const tn_route_match *m, void *user) {
    (void)m; (void)user;
    (void)tn_web_write_str(req, "hello");
}

int main(void) {
    tn_loop *loop;
    tn_app *app;
    struct sockaddr_in sa;
    char buf[512];
    int fd, i, port;
    ssize_t n = 0;
    if (tn_loop_new(NULL, &loop) != 0 || tn_app_new(loop, NULL, &app) != 0) return 1;
    if (tn_app_route(app, "GET", "/", hello, NULL) != 0 || tn_app_listen(app, "127.0.0.1", 0) != 0) return 1;
    port = tn_http_server_port(tn_app_server(app));
    fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(0x7f000001);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) return 1;
    if (write(fd, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 46) != 46) return 1;
    for (i = 0; i < 200 && n <= 0; i++) {
        tn_loop_run_once(loop, 10);
        n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
    }
    close(fd);
    if (n <= 0) return 1;
    buf[n] = 0;
    if (!strstr(buf, "HTTP/1.1 200") || !strstr(buf, "hello")) {
        fprintf(stderr, "unexpected answer: %s\n", buf);
        return 1;
    }
    (void)tn_app_close(app, 0, NULL, NULL);
    for (i = 0; i < 10; i++) tn_loop_run_once(loop, 0);
    return tn_loop_free(loop) == 0 ? 0 : 1;
}
