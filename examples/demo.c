/* demo.c: the demo site `make demo` runs: a home page linking to a hello handler, a form
   post and a file upload (both XSRF-protected, as Tornado's xsrf_cookies), a chat room
   (a WebSocket per open page, every message broadcast to all of them) and static assets
   (CSS, SVG, JS) compiled into the binary from examples/demo_assets/.

   Build and run:  make demo      (or: make build/examples/demo && ./build/examples/demo)
   Try:            open http://127.0.0.1:8888/ in a browser, or
                   curl -i http://127.0.0.1:8888/hello?name=you
                   curl -I http://127.0.0.1:8888/static/style.css
                   open http://127.0.0.1:8888/chat in two browser tabs and talk
   Assets:         examples/demo_assets.h is generated (make demo-assets regenerates it):
                   python3 tools/embed_assets.py examples/demo_assets --name demo_assets \
                       --no-mtime --gzip > examples/demo_assets.h
                   (stored gzip-compressed: sent as is to browsers, inflated for the others)
   Compression:    pages of 1 KiB or more are gzipped for clients that accept it
                   (compress_response; try curl --compressed -v)
   Options:        --host ADDR (default 127.0.0.1), --port N (default 8888; 0 picks one) */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tls_flags.h"
#include "demo_assets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_UPLOAD (16 * 1024 * 1024)   /* whole request body, buffered: larger gets 413 */
#define MAX_CHATTERS 256                /* open chat pages; one more gets 503 */
#define MAX_CHAT_MESSAGE 4096           /* a longer message closes that page's socket (1009) */

static void page(tn_request *req, const char *title) {   /* the top of every page */
    tn_web_writef(req, "<!doctype html><html><head><meta charset=utf-8><title>%s</title>"
                       "<link rel=stylesheet href=/static/style.css></head><body><header>"
                       "<img src=/static/logo.svg alt=\"\"><h1>%s</h1></header>", title, title);
}
static void write_escaped(tn_request *req, tn_str s) {   /* user input into HTML */
    tn_buf b;
    tn_buf_init(&b, NULL);
    if (tn_xhtml_escape_buf(&b, s) == TN_OK) tn_web_write(req, tn_buf_ptr(&b), tn_buf_size(&b));
    tn_buf_free(&b);
}

static void home(tn_request *req, const tn_route_match *m, void *user) {
    (void)m; (void)user;
    page(req, "tornado.h demo");
    tn_web_write_str(req, "<p>Every page here is served by one C file and a single header.</p><ul>"
                          "<li><a href=/hello>hello</a>: a plain handler (try <code>/hello?name=you</code>)</li>"
                          "<li><a href=/form>form post</a>: XSRF-protected form, fields echoed back escaped</li>"
                          "<li><a href=/upload>file upload</a>: multipart upload with name, size and SHA-256</li>"
                          "<li><a href=/chat>chat room</a>: a WebSocket per page, messages go to every open page "
                          "(open it in two tabs)</li>"
                          "<li>static assets compiled into the binary: <a href=/static/style.css>style.css</a>, "
                          "<a href=/static/logo.svg>logo.svg</a>, <a href=/static/app.js>app.js</a></li></ul>"
                          "<p id=clock></p><script src=/static/app.js></script></body></html>");
}

static void hello(tn_request *req, const tn_route_match *m, void *user) {
    tn_str name = tn_web_get_argument_or(req, "name", "world");
    (void)m; (void)user;
    tn_web_set_header(req, "Content-Type", "text/plain; charset=UTF-8");
    tn_web_writef(req, "Hello, %.*s\n", (int)name.len, name.ptr);
}

static void form_get(tn_request *req, const tn_route_match *m, void *user) {
    tn_str xsrf = tn_web_xsrf_form_html(req);   /* sets the _xsrf cookie too */
    (void)m; (void)user;
    page(req, "Form post");
    tn_web_writef(req, "<form method=post action=/form>%.*s"
                       "<label>Name <input type=text name=name></label>"
                       "<label>Message <textarea name=message rows=3></textarea></label>"
                       "<button>Send</button></form><p><a href=/>home</a></p></body></html>",
                  (int)xsrf.len, xsrf.ptr);
}

static void form_post(tn_request *req, const tn_route_match *m, void *user) {   /* XSRF checked */
    (void)m; (void)user;
    page(req, "Form received");
    tn_web_write_str(req, "<table><tr><th>name</th><td>");
    write_escaped(req, tn_web_get_argument_or(req, "name", ""));
    tn_web_write_str(req, "</td></tr><tr><th>message</th><td>");
    write_escaped(req, tn_web_get_argument_or(req, "message", ""));
    tn_web_write_str(req, "</td></tr></table><p><a href=/form>again</a> | <a href=/>home</a></p></body></html>");
}

static void upload_get(tn_request *req, const tn_route_match *m, void *user) {
    tn_str xsrf = tn_web_xsrf_form_html(req);
    (void)m; (void)user;
    page(req, "File upload");
    tn_web_writef(req, "<form method=post action=/upload enctype=multipart/form-data>%.*s"
                       "<label>Files <input type=file name=file multiple></label><button>Upload</button>"
                       "</form><p>Up to %d MiB in all.</p><p><a href=/>home</a></p></body></html>",
                  (int)xsrf.len, xsrf.ptr, MAX_UPLOAD >> 20);
}

static void upload_post(tn_request *req, const tn_route_match *m, void *user) {
    size_t n, i;
    const tn_web_file *f = tn_web_get_files(req, &n);
    (void)m; (void)user;
    page(req, "Files received");
    tn_web_writef(req, "<p>%lu file%s.</p><table><tr><th>name</th><th>bytes</th><th>SHA-256</th></tr>",
                  (unsigned long)n, n == 1 ? "" : "s");
    for (i = 0; i < n; i++) {
        unsigned char dig[TN_SHA256_SIZE];
        char hex[2 * TN_SHA256_SIZE + 1];
        tn_sha256(f[i].body.ptr, f[i].body.len, dig);
        tn_hex_encode(dig, sizeof dig, hex, sizeof hex, NULL);
        tn_web_write_str(req, "<tr><td>");
        write_escaped(req, f[i].filename);   /* the client's name: never trust it */
        tn_web_writef(req, "</td><td>%lu</td><td><code>%s</code></td></tr>", (unsigned long)f[i].body.len, hex);
    }
    tn_web_write_str(req, "</table><p><a href=/upload>again</a> | <a href=/>home</a></p></body></html>");
}

/* ---- chat: every open page holds a WebSocket; a message goes to all of them ---- */

static tn_ws *chatters[MAX_CHATTERS];
static size_t num_chatters;

static void chat_page(tn_request *req, const tn_route_match *m, void *user) {
    (void)m; (void)user;
    page(req, "Chat room");
    tn_web_write_str(req, "<ul id=log></ul><form id=say><label>Name <input type=text id=name maxlength=32></label>"
                          "<label>Message <input type=text id=text maxlength=1000 autocomplete=off></label>"
                          "<button>Send</button></form><p id=status>connecting...</p><p><a href=/>home</a></p>"
                          "<script src=/static/chat.js></script></body></html>");
}

static void chat_message(tn_ws *ws, int opcode, tn_str data, void *user) {
    size_t i;
    (void)ws; (void)opcode; (void)user;
    /* to everyone, the sender too (its page shows what the room saw). A page that does not
       read has a full write buffer: it misses messages rather than growing memory. */
    for (i = 0; i < num_chatters; i++) (void)tn_ws_send(chatters[i], TN_WS_TEXT, data.ptr, data.len, NULL, NULL);
}

static void chat_close(tn_ws *ws, int code, tn_str reason, void *user) {
    size_t i;
    (void)code; (void)reason; (void)user;
    for (i = 0; i < num_chatters; i++)
        if (chatters[i] == ws) chatters[i] = chatters[--num_chatters];   /* order does not matter */
}

static void chat_socket(tn_request *req, const tn_route_match *m, void *user) {
    tn_ws_opts o;
    tn_ws_handler h;
    tn_ws *ws;
    (void)m; (void)user;
    if (num_chatters == MAX_CHATTERS) {
        tn_web_send_error(req, 503, NULL);
        return;
    }
    memset(&o, 0, sizeof o);   /* the default origin check: only pages from this host */
    o.max_message_size = MAX_CHAT_MESSAGE;
    o.max_write_buffer_size = 256 * 1024;
    o.ping_interval_ms = 30000;   /* pages whose tab died go away */
    memset(&h, 0, sizeof h);
    h.on_message = chat_message;
    h.on_close = chat_close;
    if (tn_ws_accept(req, &o, &h, NULL, &ws) == TN_OK) chatters[num_chatters++] = ws;
}

static void assets(tn_request *req, const tn_route_match *m, void *user) {
    tn_str path = m->captures[0].value;   /* still percent-encoded, as tn_static_serve_assets wants */
    (void)user;
    tn_web_async(req);   /* the static layer answers the request itself */
    tn_static_serve_assets(req, demo_assets, demo_assets_count, path, NULL);
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1";
    int port = 8888, i, rc;
    tn_loop *loop;
    tn_app *app;
    tn_app_opts opts;
    ex_tls tls = { 0 };
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--host") && i + 1 < argc) host = argv[++i];
        else if (!ex_tls_flag(&tls, argc, argv, &i, 0)) {
            fprintf(stderr, "usage: %s [--host ADDR] [--port N] [--cert FILE --key FILE]\n", argv[0]);
            return 2;
        }
    }
    memset(&opts, 0, sizeof opts);
    opts.xsrf_cookies = 1;
    opts.xsrf_check = tn_web_check_xsrf;   /* the check it runs (linked only where named) */
    opts.server.max_body_size = MAX_UPLOAD;
    opts.server.compress_response = 1;   /* gzip pages for browsers (Tornado's compress_response) */
    opts.server.gzip = tn_http_gzip();   /* the codec it needs (linked only where named) */
    if (tn_loop_new(NULL, &loop) != 0) return 1;
    opts.server.tls = ex_tls_ctx(loop, &tls, 0);   /* --cert/--key: https (and wss for the chat) */
    if (tn_app_new(loop, &opts, &app) != 0) return 1;
    tn_app_route(app, "GET", "/", home, NULL);
    tn_app_route(app, "GET", "/hello", hello, NULL);
    tn_app_route(app, "GET", "/form", form_get, NULL);
    tn_app_route(app, "POST", "/form", form_post, NULL);
    tn_app_route(app, "GET", "/upload", upload_get, NULL);
    tn_app_route(app, "POST", "/upload", upload_post, NULL);
    tn_app_route(app, "GET", "/chat", chat_page, NULL);
    tn_app_route(app, "GET", "/chat/socket", chat_socket, NULL);
    tn_app_route(app, "GET", "/static/{path*}", assets, NULL);
    if ((rc = tn_app_listen(app, host, port)) != 0) {
        fprintf(stderr, "listen %s:%d: %s\n", host, port, tn_strerror(rc));
        return 1;
    }
    port = tn_http_server_port(tn_app_server(app));
    {
        const char *sc = tls.cert ? "https" : "http";
        printf("tornado.h demo on %s://%s:%d/\n", sc, host, port);
        printf("  try: %s://%s:%d/hello?name=you   %s://%s:%d/form   %s://%s:%d/upload\n"
               "       %s://%s:%d/chat   %s://%s:%d/static/style.css  (Ctrl-C stops)\n",
               sc, host, port, sc, host, port, sc, host, port, sc, host, port, sc, host, port);
    }
    fflush(stdout);
    return tn_loop_run(loop) == 0 ? 0 : 1;
}
