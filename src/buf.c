/* buf.c: tn_buf implementation. */
#include "buf.h"
#include "internal.h"

TN_API int tn_buf_init(tn_buf *b, const tn_allocator *alloc) {
    int missing = alloc ? !alloc->alloc + !alloc->realloc + !alloc->free : 3;
    memset(b, 0, sizeof *b);
    b->a = missing ? tn__libc() : alloc;
    return missing % 3 ? TN_EINVAL : TN_OK;   /* (a partial allocator: libc, and TN_EINVAL) */
}

TN_API void tn_buf_free(tn_buf *b) {
    tn__free(b->a, b->data);
    b->data = NULL;
    b->head = b->len = b->cap = 0;
}

/* Room for n more bytes after the live ones (old + hdr + [head, len)), as both buffers
   (tn_buf, hdr 0; tn__cbuf, its header first) make it: the consumed front reclaimed when that
   is enough and the move is cheap, else the storage grown (the size doubled, at least
   enough, a 4 KiB multiple) and the live bytes moved down to its start. Then the live
   bytes start at hdr (head 0, len = used). */
TN__PRIVATE int tn__buf_room(const tn_allocator *a, char **storage, size_t *size, size_t hdr, size_t head, size_t len,
                             size_t n) {
    char *p = *storage;
    size_t used = len - head, ns;
    if (n > ((size_t)-1) / 2 - used - hdr) return TN_ENOMEM;
    if (head != 0 && *size - hdr >= used + n && head >= used) {
        memcpy(p + hdr, p + hdr + head, used);   /* (head >= used: the two do not overlap) */
        return TN_OK;
    }
    ns = TN__MAX(*size * 2, used + n + hdr);
    ns = (ns + 4095u) & ~(size_t)4095u;
    if (!(p = (char *)tn__realloc(a, p, ns))) return TN_ENOMEM;
    if (head != 0) memmove(p + hdr, p + hdr + head, used);   /* (some were consumed: p was not NULL) */
    *storage = p;
    *size = ns;
    return TN_OK;
}

TN_API int tn_buf_reserve(tn_buf *b, size_t n) {
    int rc;
    if (b->cap - b->len >= n) return TN_OK;
    if ((rc = tn__buf_room(b->a, &b->data, &b->cap, 0, b->head, b->len, n)) != 0) return rc;
    b->len -= b->head;
    b->head = 0;
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
    tn__cbuf *b = *bp;
    char *p = (char *)b;
    size_t size = 0, head = 0, len = 0;
    int rc;
    if (b) {
        if (tn__cbuf_cap(b) - b->len >= n) return TN_OK;
        size = b->size;
        head = b->head;
        len = b->len;
    }
    if ((rc = tn__buf_room(a, &p, &size, TN__CBUF_HDR, head, len, n)) != 0) return rc;
    b = (tn__cbuf *)(void *)p;
    b->size = size;
    b->head = 0;
    b->len = len - head;
    *bp = b;
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
