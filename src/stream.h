/* stream.h: buffered async byte streams over a transport (socket, pipe; TLS later). */
#ifndef TN_STREAM_H
#define TN_STREAM_H
#include "net.h"

TN__BEGIN_DECLS

/* tn_stream: Tornado's IOStream. Reads are lazy: the stream reads from its transport only
   while a read is pending and the buffer cannot satisfy it, which gives backpressure for
   free; an idle stream holds no read buffer. One read may be pending at a time; writes
   queue without limit unless max_write_buffer_size is set.

   Lifetime: a stream closes itself on EOF (when a pending read cannot be satisfied from
   what is buffered), on errors and limits, or when the owner calls tn_stream_close or
   tn_stream_abort. Then, in order: the pending read callback runs with an error, pending
   write callbacks run with an error, the close callback runs with the cause, and the
   stream is freed. No callback of the stream runs after its close callback. */
typedef struct tn_stream tn_stream;

/* tn_stream_opts: zero-init gives Tornado's defaults.
     max_buffer_size        0 = TORNADO_MAX_BUFFER_SIZE (100 MB): most bytes buffered for a
                            read; a read the full buffer does not satisfy fails and closes
                            the stream (TN_EBUFFER_FULL)
     read_chunk_size        0 = TORNADO_READ_CHUNK_SIZE (64 KB), at most max_buffer_size/2:
                            room made in the read buffer before each read (a read then
                            takes as much as the buffer has room for, one system call); a
                            stream holding nothing reads into a buffer the loop owns and
                            keeps only what came
     max_write_buffer_size  0 = unlimited: tn_stream_write fails with TN_EBUFFER_FULL when
                            unsent bytes would exceed it
     idle_timeout_ms        0 = none: close with TN_ETIMEOUT after this long without a byte
                            read or written (tn_stream_set_idle_timeout changes it)
   A stream keeps these in 32 bits: larger values are clamped (4 GiB - 1 bytes, ~49 days). */
typedef struct tn_stream_opts {
    size_t max_buffer_size;
    size_t read_chunk_size;
    size_t max_write_buffer_size;
    uint64_t idle_timeout_ms;
} tn_stream_opts;

/* Read flags. */
enum {
    TN_READ_PARTIAL = 1,    /* complete with whatever is available (at least 1 byte) */
    TN_READ_STREAMING = 2   /* deliver chunks as they arrive (status TN_MORE), then TN_OK */
};
/* Status of a streaming chunk that has more to follow (a positive, non-error status). */
#define TN_MORE 1

/* A read completed. status: TN_OK (data is the result), TN_MORE (a streaming chunk; the
   callback will run again), or an error with empty data: TN_EEOF (closed before the read
   could complete), TN_ELIMIT (read_until max_bytes), TN_EBUFFER_FULL, TN_ERESET,
   TN_ETIMEOUT, TN_ECLOSED (closed locally). data is borrowed: valid until the callback
   returns. The callback may start the next read, write, or close the stream. */
typedef void (*tn_read_cb)(tn_stream *s, int status, tn_str data, void *user);
/* A write's bytes were handed to the transport (TN_OK), or the stream closed first. */
typedef void (*tn_write_cb)(tn_stream *s, int status, void *user);
/* The stream closed. cause: TN_OK (tn_stream_close), TN_EEOF (peer closed), TN_ERESET,
   TN_ETIMEOUT, TN_ELIMIT, TN_EBUFFER_FULL, TN_ENOMEM, or the code given to tn_stream_abort.
   The stream is freed when this returns. */
typedef void (*tn_close_cb)(tn_stream *s, int cause, void *user);

/* Wrap a connected socket (takes ownership of fd on success; it is made non-blocking).
   opts may be NULL. Returns TN_OK, TN_EINVAL, TN_ENOMEM, TN_EEXIST (fd already watched). */
TN_API int tn_stream_new_socket(tn_loop *loop, tn_socket fd, const tn_stream_opts *opts, tn_stream **out);
/* Wrap one end of a pipe (or any fd read() and write() work on). Takes ownership.
   POSIX only: TN_ENOTSUP on Windows (WSAPoll watches sockets only). */
TN_API int tn_stream_new_pipe(tn_loop *loop, int fd, const tn_stream_opts *opts, tn_stream **out);

/* Read exactly n bytes (TN_READ_PARTIAL: 1..n bytes as soon as any are there;
   TN_READ_STREAMING: chunks as they arrive, then an empty TN_OK). n may be 0.
   Returns TN_OK (cb will run), TN_EBUSY (a read is pending), TN_ECLOSED, TN_EINVAL,
   TN_EBUFFER_FULL (n > max_buffer_size without TN_READ_STREAMING: no read starts). */
TN_API int tn_stream_read_bytes(tn_stream *s, size_t n, int flags, tn_read_cb cb, void *user);
/* Read up to and including the first occurrence of delim (1..64 bytes). If it is not
   found within max_bytes (0 = no limit but max_buffer_size), the read fails with
   TN_ELIMIT and the stream closes. Returns as tn_stream_read_bytes. */
TN_API int tn_stream_read_until(tn_stream *s, const void *delim, size_t delim_len, size_t max_bytes,
                                tn_read_cb cb, void *user);
/* Read into the caller's buffer buf[0..n) (exactly n bytes; TN_READ_PARTIAL: as soon as
   any). buf must stay valid until cb runs; data in cb points into buf. When the stream's
   buffer is empty the transport reads straight into buf (no copy). */
TN_API int tn_stream_read_into(tn_stream *s, void *buf, size_t n, int flags, tn_read_cb cb, void *user);
/* Read until the peer closes: the whole content with TN_OK (bounded by max_buffer_size),
   or with TN_READ_STREAMING chunks (TN_MORE) and then an empty TN_OK at EOF. */
TN_API int tn_stream_read_until_close(tn_stream *s, int flags, tn_read_cb cb, void *user);

/* Queue n bytes (copied: data is free again when this returns); sends at once when
   possible. cb (may be NULL) runs once these bytes went to the transport, or with an error
   if the stream closes first. Returns TN_OK, TN_ECLOSED, TN_EBUFFER_FULL (over
   max_write_buffer_size: nothing queued), TN_ENOMEM.
   Backpressure: writes queue without limit unless max_write_buffer_size is set, so a peer
   that sends but never reads would grow the queue. A program that reads and writes back
   (an echo, a proxy) starts its next read from the write callback: then at most one
   read's worth waits per stream, and a slow reader slows the sender (TCP flow control). */
TN_API int tn_stream_write(tn_stream *s, const void *data, size_t n, tn_write_cb cb, void *user);
/* Queue several buffers as one write (sent with one gather system call when possible,
   e.g. a response head and its body). Same contract as tn_stream_write. */
TN_API int tn_stream_writev(tn_stream *s, const tn_str *bufs, size_t nbufs, tn_write_cb cb, void *user);

/* Register the close callback (replaces an earlier one). */
TN_API void tn_stream_set_close_cb(tn_stream *s, tn_close_cb cb, void *user);
/* Close now (unsent data is dropped; use write callbacks to flush first). cb, if not NULL,
   replaces the close callback. Returns TN_OK or TN_ECLOSED (already closing). */
TN_API int tn_stream_close(tn_stream *s, tn_close_cb cb, void *user);
/* Close now with a cause (an error code the close callback and pending callbacks see). */
TN_API int tn_stream_abort(tn_stream *s, int cause);

/* Close with TN_ETIMEOUT after ms without a byte moving (0 = off). */
TN_API void tn_stream_set_idle_timeout(tn_stream *s, uint64_t ms);
/* TCP_NODELAY on a socket stream. Returns TN_OK or an error (ignored on closed streams). */
TN_API int tn_stream_set_nodelay(tn_stream *s, int on);

TN_API int tn_stream_closed(const tn_stream *s);            /* 1 once closing */
TN_API int tn_stream_reading(const tn_stream *s);           /* 1 while a read is pending */
TN_API int tn_stream_writing(const tn_stream *s);           /* 1 while bytes wait to be sent */
TN_API size_t tn_stream_read_buffer_size(const tn_stream *s);   /* bytes buffered, unread */
TN_API size_t tn_stream_write_buffer_size(const tn_stream *s);  /* bytes queued, unsent */
TN_API tn_socket tn_stream_fd(const tn_stream *s);
/* The peer's socket address (a socket stream). Returns TN_OK, TN_ECLOSED, or the system's
   error (e.g. TN_ENOTCONN once the peer reset the connection). */
TN_API int tn_stream_peer(const tn_stream *s, tn_addr *out);
TN_API tn_loop *tn_stream_loop(const tn_stream *s);
/* The resolved options (defaults filled in). */
TN_API void tn_stream_get_opts(const tn_stream *s, tn_stream_opts *out);
TN_API void tn_stream_set_user(tn_stream *s, void *user);
TN_API void *tn_stream_get_user(const tn_stream *s);

TN__END_DECLS

#endif /* TN_STREAM_H */
