/* buf.c: tn_buf implementation. */
#include "buf.h"

static const tn_allocator tn__libc_allocator = { tn__libc_alloc, tn__libc_realloc, tn__libc_free, NULL };

TN_API int tn_buf_init(tn_buf *b, const tn_allocator *alloc) {
    memset(b, 0, sizeof *b);
    if (alloc && (!alloc->alloc || !alloc->realloc || !alloc->free)) {
        b->a = &tn__libc_allocator;
        return (alloc->alloc || alloc->realloc || alloc->free) ? TN_EINVAL : TN_OK;
    }
    b->a = alloc ? alloc : &tn__libc_allocator;
    return TN_OK;
}

TN_API void tn_buf_free(tn_buf *b) {
    tn__free(b->a, b->data);
    b->data = NULL;
    b->head = b->len = b->cap = 0;
}

TN_API int tn_buf_reserve(tn_buf *b, size_t n) {
    size_t used = b->len - b->head, need, ncap;
    char *p;
    if (b->cap - b->len >= n) return TN_OK;
    if (n > ((size_t)-1) / 2 - used) return TN_ENOMEM;
    need = used + n;
    if (b->head > 0 && b->cap >= need && b->head >= used) {
        /* enough room once the consumed front is reclaimed, and the move is cheap */
        memmove(b->data, b->data + b->head, used);
        b->head = 0;
        b->len = used;
        return TN_OK;
    }
    ncap = TN__MAX(b->cap * 2, need);
    ncap = (ncap + 4095u) & ~(size_t)4095u;
    if (b->head > 0) {
        /* allocate fresh and copy only the live bytes */
        p = (char *)tn__alloc(b->a, ncap);
        if (!p) return TN_ENOMEM;
        if (used) memcpy(p, b->data + b->head, used);
        tn__free(b->a, b->data);
    } else {
        p = (char *)tn__realloc(b->a, b->data, ncap);
        if (!p) return TN_ENOMEM;
    }
    b->data = p;
    b->head = 0;
    b->len = used;
    b->cap = ncap;
    return TN_OK;
}

TN_API int tn_buf_append(tn_buf *b, const void *p, size_t n) {
    int rc;
    if (n == 0) return TN_OK;
    if ((rc = tn_buf_reserve(b, n)) != 0) return rc;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return TN_OK;
}

TN_API void tn_buf_consume(tn_buf *b, size_t n) {
    size_t used = b->len - b->head;
    if (n >= used) {
        b->head = b->len = 0;
    } else {
        b->head += n;
    }
}

TN_API char *tn_buf_ptr(const tn_buf *b) { return b->data ? b->data + b->head : NULL; }
TN_API size_t tn_buf_size(const tn_buf *b) { return b->len - b->head; }
