/* fuzz_response.c: libFuzzer harness for tn_http_parse_response and the response framing
   helpers. Invariants as in fuzz_request.c (bounds, legal bytes, prefixes incomplete, resume
   equals whole), plus: body_kind matches tn_http_response_body for the same method, HEAD /
   1xx / 204 / 304 never have a body, and keep-alive is never set for a read-until-close body.
   The first input byte picks the request method, limits and the split point. */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include "fuzz_check.h"

#define FZ_NH 64

static void fz_res_init(tn_http_response *r, tn_http_header *h, unsigned sel) {
    static const char *const methods[4] = {"", "GET", "HEAD", "CONNECT"};
    static const size_t max_head[4] = {0, 40, 200, 1000};
    static const size_t max_hdrs[4] = {FZ_NH, 3, 0, 16};
    memset(r, 0, sizeof *r);
    r->headers = h;
    r->max_headers = max_hdrs[(sel >> 2) & 3];
    r->max_header_bytes = max_head[sel & 3];
    r->request_method = tn_str_c(methods[(sel >> 4) & 3]);
}

static int fz_same_res(const tn_http_response *a, const char *ba, const tn_http_response *b, const char *bb) {
    return a->version == b->version && a->status == b->status && a->flags == b->flags && a->body_kind == b->body_kind &&
           a->content_length == b->content_length && fz_same_str(a->reason, ba, b->reason, bb) &&
           fz_same_headers(a->headers, a->num_headers, ba, b->headers, b->num_headers, bb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tn_http_header h1[FZ_NH], h2[FZ_NH];
    tn_http_response whole, inc;
    unsigned sel;
    char *buf;
    size_t split, k;
    int rc, rc2;
    if (size < 1) return 0;
    sel = data[0];
    data++;
    size--;
    buf = (char *)calloc(1, size ? size : 1);
    if (size) memcpy(buf, data, size);

    fz_res_init(&whole, h1, sel);
    rc = tn_http_parse_response(buf, size, &whole);
    FZ_CHECK(rc == TN_EINCOMPLETE || (rc < 0 && tn_http_error_status(rc) >= 400) || (rc > 0 && (size_t)rc <= size));
    if (rc > 0) {
        uint64_t len = 7;
        size_t i;
        int kind;
        FZ_CHECK(memcmp(buf + rc - 4, "\r\n\r\n", 4) == 0);
        FZ_CHECK(whole.version == 10 || whole.version == 11);
        FZ_CHECK(whole.status >= 100 && whole.status <= 999);
        FZ_CHECK(fz_in(buf, (size_t)rc, whole.reason));
        for (i = 0; i < whole.reason.len; i++) {
            unsigned char c = (unsigned char)whole.reason.ptr[i];
            FZ_CHECK(c == '\t' || !fz_value_stop(c));
        }
        FZ_CHECK(whole.num_headers <= whole.max_headers);
        fz_check_headers(buf, (size_t)rc, whole.headers, whole.num_headers);
        FZ_CHECK(!((whole.flags & TN_HTTP_F_CONTENT_LENGTH) && (whole.flags & TN_HTTP_F_TRANSFER_ENCODING)));
        kind = tn_http_response_body(&whole, whole.request_method, &len);
        FZ_CHECK(kind == whole.body_kind);
        FZ_CHECK(kind != TN_HTTP_BODY_LENGTH || (len == whole.content_length && len > 0));
        if (tn_str_eq_c(whole.request_method, "HEAD") || whole.status < 200 || whole.status == 204 || whole.status == 304)
            FZ_CHECK(kind == TN_HTTP_BODY_NONE);
        if (kind == TN_HTTP_BODY_UNTIL_CLOSE) FZ_CHECK(!tn_http_response_keep_alive(&whole));
        FZ_CHECK(tn_http_response_body(&whole, tn_str_c("HEAD"), NULL) == TN_HTTP_BODY_NONE);
        {
            tn_http_response p;
            fz_res_init(&p, h2, sel);
            FZ_CHECK(tn_http_parse_response(buf, (size_t)rc - 1, &p) == TN_EINCOMPLETE);
        }
    }

    split = size ? (sel * 31u + size / 3) % (size + 1) : 0;
    fz_res_init(&inc, h2, sel);
    rc2 = tn_http_parse_response(buf, split, &inc);
    fz_check_prefix_result(rc2, rc);
    if (rc2 == TN_EINCOMPLETE) {
        rc2 = tn_http_parse_response(buf, size, &inc);
        FZ_CHECK(rc2 == rc);
        if (rc > 0) FZ_CHECK(fz_same_res(&whole, buf, &inc, buf));
    }
    if (size <= 2048) {
        fz_res_init(&inc, h2, sel);
        rc2 = TN_EINCOMPLETE;
        for (k = 0; k <= size && rc2 == TN_EINCOMPLETE; k++) rc2 = tn_http_parse_response(buf, k, &inc);
        fz_check_prefix_result(rc2, rc);
        if (rc > 0) FZ_CHECK(fz_same_res(&whole, buf, &inc, buf));
    }
    free(buf);
    return 0;
}

#include "fuzz_main.h"
