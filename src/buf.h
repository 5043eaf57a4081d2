/* buf.h: tn_buf, a growable byte buffer with a consumable front. */
#ifndef TN_BUF_H
#define TN_BUF_H
#include "base.h"

TN__BEGIN_DECLS

/* tn_buf: bytes live in data[head .. len); consuming from the front advances head, and
   space is reclaimed (compacted) when the buffer must grow. Zero-init plus an allocator
   (NULL = libc) via tn_buf_init. Growth rounds up to 4 KB and at least doubles. */
typedef struct tn_buf {
    char *data;       /* storage (NULL until the first append) */
    size_t head;      /* first unconsumed byte */
    size_t len;       /* one past the last byte */
    size_t cap;       /* allocated bytes */
    const tn_allocator *a;   /* the allocator (not copied: it must outlive the buffer) */
} tn_buf;

/* Initialise. alloc may be NULL (libc); otherwise it must be complete (all three functions)
   and outlive the buffer. Returns TN_OK or TN_EINVAL (partial allocator). */
TN_API int tn_buf_init(tn_buf *b, const tn_allocator *alloc);
/* Release the storage; the buffer stays usable (empty). */
TN_API void tn_buf_free(tn_buf *b);
/* Make room for at least n more bytes after the end. Returns TN_OK or TN_ENOMEM. */
TN_API int tn_buf_reserve(tn_buf *b, size_t n);
/* Append n bytes (copied). Returns TN_OK or TN_ENOMEM (the buffer is then unchanged). */
TN_API int tn_buf_append(tn_buf *b, const void *p, size_t n);
/* Drop n bytes from the front (n is clamped to the size). */
TN_API void tn_buf_consume(tn_buf *b, size_t n);
/* Pointer to and count of the unconsumed bytes. */
TN_API char *tn_buf_ptr(const tn_buf *b);
TN_API size_t tn_buf_size(const tn_buf *b);
/* Bytes the buffer holds without growing: consumed front, data and spare room together. */
TN_API size_t tn_buf_capacity(const tn_buf *b);
/* Writing in place: after tn_buf_reserve(b, n), write up to n bytes at
   tn_buf_ptr(b) + tn_buf_size(b), then tn_buf_commit(b, k) counts k of them as appended
   (k is clamped to the room there is). */
TN_API void tn_buf_commit(tn_buf *b, size_t k);
/* Keep the first size unconsumed bytes, drop the rest (no-op when size is not smaller). */
TN_API void tn_buf_truncate(tn_buf *b, size_t size);

TN__END_DECLS

#endif /* TN_BUF_H */
