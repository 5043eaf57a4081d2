/* web_app.c: the web layer (tn_app): routes with captures, a form protected by XSRF, a file
   upload, a signed-cookie visit counter, JSON, redirects and error pages.

   Build and run:  make build/examples/web_app && ./build/examples/web_app --port 8888
   Try:            curl -i http://127.0.0.1:8888/hello/J%C3%BCrgen
                   curl -i 'http://127.0.0.1:8888/json?q=a"b'
                   curl -i -c jar -b jar http://127.0.0.1:8888/visits   (twice)
                   open http://127.0.0.1:8888/ in a browser for the form and the upload */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void index_page(tn_request *req, const tn_route_match *m, void *user) {
    tn_str xsrf = tn_web_xsrf_form_html(req);
    (void)m; (void)user;
    tn_web_writef(req, "<form method=post action=/greet>%.*s<input name=name><button>greet</button></form>"
                       "<form method=post action=/upload enctype=multipart/form-data>%.*s"
                       "<input type=file name=file><button>upload</button></form>",
                  (int)xsrf.len, xsrf.ptr, (int)xsrf.len, xsrf.ptr);
}

static void hello(tn_request *req, const tn_route_match *m, void *user) {
    tn_str name;
    (void)m; (void)user;
    tn_web_path_arg(req, "name", &name);   /* percent-decoded */
    tn_web_set_header(req, "Content-Type", "text/plain; charset=UTF-8");
    tn_web_writef(req, "Hello, %.*s\n", (int)name.len, name.ptr);
}   /* the response is finished when the handler returns */

static void greet(tn_request *req, const tn_route_match *m, void *user) {
    tn_str name;
    (void)m; (void)user;
    if (tn_web_require_argument(req, "name", &name) != TN_OK) return;   /* 400 sent */
    tn_web_write_str(req, "<p>Hello, ");
    {   /* user input in HTML: xhtml-escape it */
        char esc[512];
        size_t n = 0;
        if (tn_xhtml_escape(name, esc, sizeof esc, &n) == TN_OK) tn_web_write(req, esc, n);
    }
    tn_web_write_str(req, "</p>");
}

static void upload(tn_request *req, const tn_route_match *m, void *user) {
    const tn_web_file *f = tn_web_get_file(req, "file");
    (void)m; (void)user;
    if (!f) {
        tn_web_send_error(req, 400, "No file");
        return;
    }
    tn_web_set_header(req, "Content-Type", "text/plain");
    tn_web_writef(req, "%lu bytes of %.*s\n", (unsigned long)f->body.len, (int)f->content_type.len, f->content_type.ptr);
}

static void visits(tn_request *req, const tn_route_match *m, void *user) {
    tn_str v;
    char num[24];
    int n = tn_web_get_secure_cookie(req, "visits", 0, &v) == TN_OK ? atoi(v.ptr) : 0;   /* forged = absent */
    (void)m; (void)user;
    snprintf(num, sizeof num, "%d", n + 1);
    tn_web_set_secure_cookie(req, "visits", tn_str_c(num), NULL);
    tn_web_writef(req, "visit number %s\n", num);
}

static void json(tn_request *req, const tn_route_match *m, void *user) {
    (void)m; (void)user;
    tn_web_write_json(req, "{\"q\": ", 6);
    tn_web_write_json_str(req, tn_web_get_argument_or(req, "q", ""));
    tn_web_write_str(req, "}");
}

static void old(tn_request *req, const tn_route_match *m, void *user) {
    (void)m; (void)user;
    tn_web_redirect(req, "/", 301);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 8888, i, rc;
    tn_loop *loop;
    tn_app *app;
    tn_app_opts opts;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--host") && i + 1 < argc) host = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--host ADDR] [--port N]\n", argv[0]);
            return 2;
        }
    }
    memset(&opts, 0, sizeof opts);
    opts.cookie_secret = "change me: a long random string";
    opts.xsrf_cookies = 1;
    opts.xsrf_check = tn_web_check_xsrf;   /* the check it runs (linked only where named) */
    if (tn_loop_new(NULL, &loop) != 0 || tn_app_new(loop, &opts, &app) != 0) return 1;
    tn_app_route(app, "GET", "/", index_page, NULL);
    tn_app_route(app, "GET", "/hello/{name}", hello, NULL);
    tn_app_route(app, "POST", "/greet", greet, NULL);
    tn_app_route(app, "POST", "/upload", upload, NULL);
    tn_app_route(app, "GET", "/visits", visits, NULL);
    tn_app_route(app, "GET", "/json", json, NULL);
    tn_app_route(app, "GET", "/old", old, NULL);
    if ((rc = tn_app_listen(app, host, port)) != 0) {
        fprintf(stderr, "listen %s:%d: %s\n", host, port, tn_strerror(rc));
        return 1;
    }
    printf("web app on http://%s:%d/\n", host, port);
    fflush(stdout);
    return tn_loop_run(loop) == 0 ? 0 : 1;
}
