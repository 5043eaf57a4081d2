/* fuzz_request.c: libFuzzer harness for tn_http_parse_request. Invariants: the result is
   TN_EINCOMPLETE, an error, or 0 < consumed <= size; every slice lies in the consumed head and
   holds only legal bytes; framing flags agree with body_kind; every proper prefix of an
   accepted head is TN_EINCOMPLETE; resuming over a growing buffer (split at a chosen point,
   and byte by byte) gives exactly the whole-buffer result; the SIMD scanners agree with
   reference character classes. The first input byte picks limits and the split point. */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include "fuzz_check.h"

#define FZ_NH 64

static void fz_req_init(tn_http_request *r, tn_http_header *h, unsigned sel) {
    static const size_t max_head[4] = {0, 40, 200, 1000};
    static const size_t max_hdrs[4] = {FZ_NH, 3, 0, 16};
    static const size_t max_target[4] = {0, 12, 60, 0};
    memset(r, 0, sizeof *r);
    r->headers = h;
    r->max_headers = max_hdrs[(sel >> 2) & 3];
    r->max_header_bytes = max_head[sel & 3];
    r->max_target_length = max_target[(sel >> 4) & 3];
}

static int fz_same_req(const tn_http_request *a, const char *ba, const tn_http_request *b, const char *bb) {
    return a->version == b->version && a->flags == b->flags && a->body_kind == b->body_kind &&
           a->content_length == b->content_length && a->target_form == b->target_form &&
           fz_same_str(a->method, ba, b->method, bb) && fz_same_str(a->target, ba, b->target, bb) &&
           fz_same_headers(a->headers, a->num_headers, ba, b->headers, b->num_headers, bb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tn_http_header h1[FZ_NH], h2[FZ_NH];
    tn_http_request whole, inc;
    unsigned sel;
    char *buf;
    size_t split, k;
    int rc, rc2;
    if (size < 1) return 0;
    sel = data[0];
    data++;
    size--;
    buf = (char *)calloc(1, size ? size : 1);   /* exact size: ASan sees any over-read */
    if (size) memcpy(buf, data, size);

    fz_check_scanners(buf, size, 0);
    fz_check_scanners(buf, size, size ? (sel * 7u) % size : 0);

    fz_req_init(&whole, h1, sel);
    rc = tn_http_parse_request(buf, size, &whole);
    FZ_CHECK(rc == TN_EINCOMPLETE || (rc < 0 && tn_http_error_status(rc) >= 400) || (rc > 0 && (size_t)rc <= size));
    if (rc > 0) {
        size_t i;
        FZ_CHECK(rc >= 16 && memcmp(buf + rc - 4, "\r\n\r\n", 4) == 0);
        FZ_CHECK(whole.version == 10 || whole.version == 11);
        FZ_CHECK(whole.method.len > 0 && whole.target.len > 0);
        FZ_CHECK(fz_in(buf, (size_t)rc, whole.method) && fz_in(buf, (size_t)rc, whole.target));
        for (i = 0; i < whole.method.len; i++) FZ_CHECK(fz_tchar((unsigned char)whole.method.ptr[i]));
        for (i = 0; i < whole.target.len; i++) FZ_CHECK(!fz_target_stop((unsigned char)whole.target.ptr[i]));
        FZ_CHECK(whole.num_headers <= whole.max_headers);
        fz_check_headers(buf, (size_t)rc, whole.headers, whole.num_headers);
        FZ_CHECK(!((whole.flags & TN_HTTP_F_CONTENT_LENGTH) && (whole.flags & TN_HTTP_F_TRANSFER_ENCODING)));
        FZ_CHECK((whole.body_kind == TN_HTTP_BODY_CHUNKED) == ((whole.flags & TN_HTTP_F_CHUNKED) && whole.target_form != TN_HTTP_TARGET_AUTHORITY));
        FZ_CHECK(whole.body_kind != TN_HTTP_BODY_LENGTH || ((whole.flags & TN_HTTP_F_CONTENT_LENGTH) && whole.content_length > 0));
        FZ_CHECK(whole.body_kind != TN_HTTP_BODY_UNTIL_CLOSE);
        FZ_CHECK(tn_http_request_keep_alive(&whole) == ((whole.flags & TN_HTTP_F_KEEP_ALIVE) != 0));
        /* proper prefixes are incomplete (fresh parses) */
        {
            tn_http_request p;
            fz_req_init(&p, h2, sel);
            FZ_CHECK(tn_http_parse_request(buf, (size_t)rc - 1, &p) == TN_EINCOMPLETE);
            fz_req_init(&p, h2, sel);
            FZ_CHECK(tn_http_parse_request(buf, (size_t)((sel * 13u) % (unsigned)rc), &p) == TN_EINCOMPLETE);
        }
    }

    /* resumed over a growing buffer: split once, then whole */
    split = size ? (sel * 31u + size / 2) % (size + 1) : 0;
    fz_req_init(&inc, h2, sel);
    rc2 = tn_http_parse_request(buf, split, &inc);
    fz_check_prefix_result(rc2, rc);
    if (rc2 == TN_EINCOMPLETE) {
        rc2 = tn_http_parse_request(buf, size, &inc);
        FZ_CHECK(rc2 == rc);
        if (rc > 0) FZ_CHECK(fz_same_req(&whole, buf, &inc, buf));
    }

    /* byte by byte (bounded so one input stays fast) */
    if (size <= 2048) {
        fz_req_init(&inc, h2, sel);
        rc2 = TN_EINCOMPLETE;
        for (k = 0; k <= size && rc2 == TN_EINCOMPLETE; k++) rc2 = tn_http_parse_request(buf, k, &inc);
        fz_check_prefix_result(rc2, rc);
        if (rc > 0) FZ_CHECK(fz_same_req(&whole, buf, &inc, buf));
    }
    free(buf);
    return 0;
}

#include "fuzz_main.h"
