/* bench_router.c: router match throughput on a 20-route application table and a 500-route
   REST table (about 3 s in total).
   Build: make build/bench/bench_router   Run: ./build/bench/bench_router [seconds-per-table]
   Prints one line per table: "router <name> <matches/s>". The request mix hits literal,
   capture and rest routes, HEAD → GET fallbacks, 405s and 404s. Rates are per second of this
   process's CPU time (clock()), so a shared, busy machine does not halve them. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct req {
    const char *method;
    char path[96];
} req;

static volatile size_t sink;
static int handlers[1];

static double now_s(void) { return (double)clock() / CLOCKS_PER_SEC; }

static void must(int rc, tn_router *r, const char *what) {
    if (rc != 0) {
        fprintf(stderr, "bench_router: %s: %s (%s)\n", what, tn_strerror(rc), tn_router_last_error(r));
        exit(1);
    }
}

static void run(const char *name, tn_router *r, const req *reqs, size_t nreqs, double budget) {
    tn_route_capture caps[TORNADO_MAX_ROUTE_CAPTURES];
    tn_route_match m;
    tn_str methods[64], paths[64];
    unsigned long n = 0;
    size_t i, acc = 0;
    double t0, t;
    if (nreqs > 64) nreqs = 64;
    for (i = 0; i < nreqs; i++) {
        methods[i] = tn_str_c(reqs[i].method);
        paths[i] = tn_str_c(reqs[i].path);
    }
    m.captures = caps;
    m.max_captures = TORNADO_MAX_ROUTE_CAPTURES;
    t0 = now_s();
    do {
        int k;
        for (k = 0; k < 20000; k++) {
            size_t j = (size_t)k % nreqs;
            int rc = tn_router_match(r, methods[j], paths[j], &m);
            acc += (size_t)(rc + m.route) + m.num_captures;
        }
        n += 20000;
        t = now_s() - t0;
    } while (t < budget);
    sink = acc;
    printf("router %s %.0f\n", name, n / t);
    fflush(stdout);
}

/* A small application: pages, an API, static files, an admin area. */
static void bench_small(double budget) {
    static const char *const routes[][2] = {
        {"GET", "/"},
        {"GET", "/about"},
        {"GET", "/login"},
        {"POST", "/login"},
        {"GET", "/logout"},
        {"GET", "/static/{path*}"},
        {"GET", "/favicon.ico"},
        {"GET", "/users/{id}"},
        {"PUT,PATCH", "/users/{id}"},
        {"DELETE", "/users/{id}"},
        {"GET", "/users/{id}/posts"},
        {"GET", "/users/{id}/posts/{post}"},
        {"GET,POST", "/api/v1/items/?"},
        {"GET", "/api/v1/items/{id}"},
        {"GET", "/api/v1/items/{id}/tags/{tag}"},
        {"GET", "/api/v1/search"},
        {"GET", "/files/{name}.txt"},
        {"GET", "/admin/{section}"},
        {"*", "/ws"},
        {"GET", "/health"},
    };
    static const char *const reqs_src[][2] = {
        {"GET", "/"},
        {"GET", "/static/css/site.css"},
        {"GET", "/users/1234"},
        {"HEAD", "/users/1234/posts/55"},
        {"GET", "/api/v1/items/"},
        {"GET", "/api/v1/items/987/tags/red"},
        {"POST", "/login"},
        {"GET", "/files/readme.txt"},
        {"DELETE", "/about"},
        {"GET", "/nope/not/here"},
        {"GET", "/health"},
        {"GET", "/ws"},
    };
    tn_router *r;
    req reqs[16];
    size_t i;
    must(tn_router_new(NULL, &r), NULL, "new");
    for (i = 0; i < sizeof routes / sizeof routes[0]; i++)
        must(tn_router_add(r, routes[i][0], routes[i][1], handlers, NULL), r, routes[i][1]);
    for (i = 0; i < sizeof reqs_src / sizeof reqs_src[0]; i++) {
        reqs[i].method = reqs_src[i][0];
        strcpy(reqs[i].path, reqs_src[i][1]);
    }
    run("20-routes", r, reqs, sizeof reqs_src / sizeof reqs_src[0], budget);
    tn_router_free(r);
}

/* 100 resources x 5 routes under one shared /api/v2 prefix. */
static void bench_large(double budget) {
    static const char *const verbs[] = {"GET", "POST", "GET", "PUT,PATCH", "DELETE"};
    static const char *const shapes[] = {"/api/v2/res%d", "/api/v2/res%d", "/api/v2/res%d/{id}",
                                         "/api/v2/res%d/{id}", "/api/v2/res%d/{id}/items/{item}"};
    tn_router *r;
    req reqs[32];
    char pat[96];
    int i, k;
    must(tn_router_new(NULL, &r), NULL, "new");
    for (i = 0; i < 100; i++) {
        for (k = 0; k < 5; k++) {
            sprintf(pat, shapes[k], i);
            must(tn_router_add(r, verbs[k], pat, handlers, NULL), r, pat);
        }
    }
    for (i = 0; i < 32; i++) {
        int res = (i * 37) % 110;   /* some past the last resource: 404 */
        reqs[i].method = (i % 4 == 3) ? "DELETE" : (i % 4 == 2) ? "HEAD" : "GET";
        switch (i % 3) {
        case 0: sprintf(reqs[i].path, "/api/v2/res%d", res); break;
        case 1: sprintf(reqs[i].path, "/api/v2/res%d/%d", res, i * 1001); break;
        default: sprintf(reqs[i].path, "/api/v2/res%d/%d/items/%d", res, i, i * 7); break;
        }
    }
    run("500-routes", r, reqs, 32, budget);
    tn_router_free(r);
}

int main(int argc, char **argv) {
    double budget = argc > 1 ? atof(argv[1]) : 1.4;
    if (budget <= 0) budget = 1.4;
    bench_small(budget);
    bench_large(budget);
    return 0;
}
