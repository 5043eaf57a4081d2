/* buf.c: tn_buf implementation. */
#include "buf.h"
#include "internal.h"

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
TN_API size_t tn_buf_capacity(const tn_buf *b) { return b->cap; }

TN_API void tn_buf_commit(tn_buf *b, size_t k) { b->len += TN__MIN(k, b->cap - b->len); }

TN_API void tn_buf_truncate(tn_buf *b, size_t size) {
    if (size < b->len - b->head) b->len = b->head + size;
}

/* ---- tn__cbuf: the compact buffer (see internal.h) ---- */
/* The bookkeeping at the front of the storage; the bytes follow it. size counts the whole
   storage (header included): what goes back to the allocator, or to the loop's blocks. */
struct tn__cbuf {
    size_t size;
    size_t head;                   /* first unconsumed byte (offset into the bytes) */
    size_t len;                    /* one past the last byte */
};
#define TN__CBUF_HDR sizeof(struct tn__cbuf)

TN__PRIVATE char *tn__cbuf_bytes(const tn__cbuf *b) { return (char *)(void *)(b + 1); }
TN__PRIVATE size_t tn__cbuf_cap(const tn__cbuf *b) { return b->size - TN__CBUF_HDR; }

TN__PRIVATE int tn__cbuf_fits(size_t size, size_t n) { return size > TN__CBUF_HDR && n <= size - TN__CBUF_HDR; }

TN__PRIVATE tn__cbuf *tn__cbuf_adopt(char *p, size_t size) {
    tn__cbuf *b = (tn__cbuf *)(void *)p;
    b->size = size;
    b->head = b->len = 0;
    return b;
}

TN__PRIVATE char *tn__cbuf_detach(tn__cbuf **bp, size_t *size) {
    tn__cbuf *b = *bp;
    *size = b ? b->size : 0;
    *bp = NULL;
    return (char *)b;
}

TN__PRIVATE int tn__cbuf_reserve(const tn_allocator *a, tn__cbuf **bp, size_t n) {
    tn__cbuf *b = *bp, *nb;
    size_t used = b ? b->len - b->head : 0, need, nsize;
    if (b && tn__cbuf_cap(b) - b->len >= n) return TN_OK;
    if (n > ((size_t)-1) / 2 - used - TN__CBUF_HDR) return TN_ENOMEM;
    need = used + n;
    if (b && b->head > 0 && tn__cbuf_cap(b) >= need && b->head >= used) {
        /* enough room once the consumed front is reclaimed, and the move is cheap */
        memmove(tn__cbuf_bytes(b), tn__cbuf_bytes(b) + b->head, used);
        b->head = 0;
        b->len = used;
        return TN_OK;
    }
    nsize = TN__MAX(b ? b->size * 2 : 0, need + TN__CBUF_HDR);
    nsize = (nsize + 4095u) & ~(size_t)4095u;
    if (b && b->head > 0) {
        /* allocate fresh and copy only the live bytes */
        nb = (tn__cbuf *)tn__alloc(a, nsize);
        if (!nb) return TN_ENOMEM;
        if (used) memcpy(tn__cbuf_bytes(nb), tn__cbuf_bytes(b) + b->head, used);
        tn__free(a, b);
    } else {
        nb = (tn__cbuf *)tn__realloc(a, b, nsize);
        if (!nb) return TN_ENOMEM;
    }
    nb->size = nsize;
    nb->head = 0;
    nb->len = used;
    *bp = nb;
    return TN_OK;
}

TN__PRIVATE int tn__cbuf_append(const tn_allocator *a, tn__cbuf **bp, const void *p, size_t n) {
    int rc;
    if (n == 0) return TN_OK;
    if ((rc = tn__cbuf_reserve(a, bp, n)) != 0) return rc;
    memcpy(tn__cbuf_bytes(*bp) + (*bp)->len, p, n);
    (*bp)->len += n;
    return TN_OK;
}

TN__PRIVATE void tn__cbuf_consume(tn__cbuf *b, size_t n) {
    if (!b) return;
    if (n >= b->len - b->head) b->head = b->len = 0;
    else b->head += n;
}

TN__PRIVATE void tn__cbuf_truncate(tn__cbuf *b, size_t n) {
    if (b && n < b->len - b->head) b->len = b->head + n;
}

TN__PRIVATE char *tn__cbuf_ptr(const tn__cbuf *b) { return b ? tn__cbuf_bytes(b) + b->head : NULL; }
TN__PRIVATE size_t tn__cbuf_size(const tn__cbuf *b) { return b ? b->len - b->head : 0; }
TN__PRIVATE char *tn__cbuf_tail(const tn__cbuf *b) { return tn__cbuf_bytes(b) + b->len; }
TN__PRIVATE size_t tn__cbuf_room(const tn__cbuf *b) { return b ? tn__cbuf_cap(b) - b->len : 0; }
TN__PRIVATE void tn__cbuf_commit(tn__cbuf *b, size_t n) { b->len += n; }

/* ---- formatter output (url, http_util): counts always, writes while the caller's buffer
   has room. The *_buf variants of a formatter run it twice: once to size (p NULL), then into reserved
   tn_buf space, so a tn_buf is never left half-written. */

TN__PRIVATE void tn__buf_w_init(tn__buf_w *w, char *p, size_t cap) {
    w->p = p;
    w->cap = cap;
    w->n = 0;
    w->full = 0;
}

TN__PRIVATE void tn__buf_w_put(tn__buf_w *w, const char *s, size_t k) {
    if (w->p && !w->full) {
        if (k <= w->cap - w->n) {
            if (k) memcpy(w->p + w->n, s, k);
        } else {
            w->full = 1;
        }
    }
    w->n += k;
}

TN__PRIVATE void tn__buf_w_ch(tn__buf_w *w, char c) {
    if (w->p && !w->full) {
        if (w->n < w->cap) w->p[w->n] = c;
        else w->full = 1;
    }
    w->n++;
}

TN__PRIVATE int tn__buf_w_end(tn__buf_w *w, size_t *out_len) {
    if (out_len) *out_len = w->n;
    if (!w->p) return TN_OK;
    if (w->full || w->n > w->cap) return TN_EBUFFER_FULL;
    if (w->n < w->cap) w->p[w->n] = '\0';
    return TN_OK;
}

/* Reserve room for n bytes (+1 spare) at the end of b and set up a writer over it. */
TN__PRIVATE int tn__buf_w_reserve(tn__buf_w *w, tn_buf *b, size_t n) {
    int rc;
    if (!b) return TN_EINVAL;
    if (n == (size_t)-1) return TN_ENOMEM;
    if ((rc = tn_buf_reserve(b, n + 1)) != 0) return rc;
    tn__buf_w_init(w, b->data + b->len, n + 1);
    return TN_OK;
}

TN__PRIVATE void tn__buf_w_u64(tn__buf_w *w, uint64_t v) {
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v);
    tn__buf_w_put(w, tmp + i, sizeof tmp - i);
}
