/* deflate.h: inflate/deflate codec (RFC 1950 zlib, 1951 raw DEFLATE, 1952 gzip), CRC-32, Adler-32; pure and streaming. */
#ifndef TN_DEFLATE_H
#define TN_DEFLATE_H
#include "base.h"

#if TN_HAS_DEFLATE
TN__BEGIN_DECLS

/* ---- contract ---------------------------------------------------------------------------
   A push codec over bytes, like the HTTP parser: no I/O, no allocation after init, any input
   split, output in pieces the caller sizes (down to one byte). The state lives in memory the
   caller gives (tn_inflater_init / tn_deflater_init with tn_*_size bytes) or comes from an
   allocator once (tn_inflater_new / tn_deflater_new); NULL allocator = libc.

   Inflate (decompress):
   - every block type (stored, fixed, dynamic Huffman); zlib and gzip wrappers with their
     checksums verified (Adler-32; CRC-32 and ISIZE; the gzip header CRC when FHCRC is set);
     a preset dictionary (zlib FDICT) is refused. Ends at the end of the first gzip member:
     what follows is not consumed (reset and continue for concatenated members).
   - max_output caps the decoded bytes: a "zip bomb" stops with TN_ELIMIT when it would
     produce one byte more, having produced exactly max_output bytes; nothing is allocated.
   - corrupt input is TN_EBAD_DEFLATE (tn_inflater_error says which rule broke: bad block
     type, stored length mismatch, over-subscribed or incomplete code, missing end-of-block,
     bad repeat, distance too far back, invalid symbol, bad header) or TN_EBAD_CHECKSUM. After
     an error every call returns the same code until reset.
   - input that stops early is not an error by itself (more may come): a caller that has no
     more input and did not get TN_INFLATE_END has a truncated stream (tn_inflate_once says
     TN_EINCOMPLETE).

   Deflate (compress):
   - levels 1..9 (0 = 6, Tornado's gzip level): 1-3 greedy hash-chain matching (1 is the fast
     level), 4-9 lazy matching (6 is the default); longer chains at higher levels. A block
     ends when its symbol buffer is full or when the mix of recent symbols departs from the
     block's (so each part gets its own codes).
   - window_bits 8..15: history of 256 B .. 32 KiB (matches never reach further, so a peer
     with that window can decode; permessage-deflate's max_window_bits). zlib's inflate
     needs window_bits >= 9 in a zlib header; raw and gzip streams decode with any window.
   - each block is dynamic Huffman, fixed Huffman or stored, whichever is smallest.
   - flush: TN_DEFLATE_SYNC ends the block and appends an empty stored block (00 00 ff ff):
     all input so far is decodable (permessage-deflate strips those four bytes);
     TN_DEFLATE_FINISH ends the stream (final block and the zlib/gzip trailer).

   Memory (x86-64; tn_inflater_size / tn_deflater_size give the exact figure for a build):
     inflater, any format: 13.9 KiB of tables and state + 2^window_bits bytes of history
       window_bits 15: 46.0 KiB   12: 18.0 KiB   8: 14.2 KiB
     deflater, every level: 2.8 KiB of state + window buffer (2^w + max(2^w / 2, 1024) + 262)
     + chain links (2 * 2^w) + hash heads (2 * 2^min(max(w - 1, 9), 14)) + symbol buffer
     (2 * max(1024, 3 * 2^w / 8)), in bytes:
       window_bits 15: 171 KiB   14: 87 KiB   12: 24 KiB   10: 10.1 KiB   8: 7.9 KiB
     (zlib's deflateInit2 default state is about 268 KiB, its inflate state 7 KiB + 32 KiB.)
     The stack use of a call is below 4 KiB. */

/* Output cap of an inflater whose max_output is 0: TORNADO_MAX_INFLATE_SIZE (config.h, 100 MiB). */

/* Container formats. */
enum {
    TN_DEFLATE_ZLIB = 0,   /* RFC 1950: 2-byte header, Adler-32 trailer (the default) */
    TN_DEFLATE_RAW = 1,    /* RFC 1951 only (permessage-deflate, zip entries) */
    TN_DEFLATE_GZIP = 2,   /* RFC 1952: gzip header, CRC-32 + length trailer */
    TN_DEFLATE_AUTO = 3    /* inflate only: gzip if the stream starts with 1f 8b, else zlib */
};

/* Flush modes for tn_deflate. */
enum {
    TN_DEFLATE_NO_FLUSH = 0,   /* compress what fits; keep the rest for better matches */
    TN_DEFLATE_SYNC = 1,       /* end the block + empty stored block: the output so far decodes
                                  to all input so far */
    TN_DEFLATE_FINISH = 2      /* end the stream: final block and trailer */
};

/* Positive results (0 is TN_OK: progress, call again). */
enum {
    TN_INFLATE_END = 1,   /* tn_inflate: the stream (and its trailer) is complete */
    TN_DEFLATE_DONE = 1   /* tn_deflate: all input consumed and the flush/finish fully written */
};

/* tn_inflate_opts: how to decode. Zeroed = zlib format, 32 KiB window, 100 MiB cap, libc.
     format       TN_DEFLATE_ZLIB (0), _RAW, _GZIP or _AUTO
     window_bits  8..15: the largest distance accepted is 2^bits (0 = 15); a zlib header that
                  asks for more is TN_EBAD_DEFLATE. Raw streams: use the sender's window.
     max_output   decoded bytes allowed (0 = TORNADO_MAX_INFLATE_SIZE); UINT64_MAX = no cap
     allocator    for tn_inflater_new and tn_inflate_once (NULL = libc) */
typedef struct tn_inflate_opts {
    int format;
    int window_bits;
    uint64_t max_output;
    const tn_allocator *allocator;
} tn_inflate_opts;

/* tn_deflate_opts: how to encode. Zeroed = zlib format, level 6, 32 KiB window, libc.
     format       TN_DEFLATE_ZLIB (0), _RAW or _GZIP
     level        1 (fastest) .. 9 (smallest); 0 = 6
     window_bits  8..15 (0 = 15): see the memory table above
     allocator    for tn_deflater_new and tn_deflate_once (NULL = libc) */
typedef struct tn_deflate_opts {
    int format;
    int level;
    int window_bits;
    const tn_allocator *allocator;
} tn_deflate_opts;

/* Opaque codec states. */
typedef struct tn_inflater tn_inflater;
typedef struct tn_deflater tn_deflater;

/* ---- inflate ---- */

/* Bytes of memory tn_inflater_init needs for these options (NULL = defaults); 0 when the
   options are invalid. */
TN_API size_t tn_inflater_size(const tn_inflate_opts *opts);
/* Set up an inflater in caller memory (mem: size bytes, any alignment; it must stay valid
   and untouched while the inflater is used; nothing to free). opts may be NULL.
   Returns: TN_OK; TN_EINVAL (bad option, NULL mem, size below tn_inflater_size). */
TN_API int tn_inflater_init(void *mem, size_t size, const tn_inflate_opts *opts, tn_inflater **out);
/* Allocate an inflater through opts->allocator. Returns: TN_OK, TN_EINVAL, TN_ENOMEM. */
TN_API int tn_inflater_new(const tn_inflate_opts *opts, tn_inflater **out);
/* Free an inflater made by tn_inflater_new (NULL is ignored; init'ed ones need nothing). */
TN_API void tn_inflater_free(tn_inflater *st);
/* Forget the current stream (and any error): the next byte starts a new one. */
TN_API void tn_inflater_reset(tn_inflater *st);

/* Decode: read from in[0..in_len), write to out[0..out_cap). *consumed and *produced say how
   far it got (both always set). Input is taken as long as there is output space: call again
   with the rest of the input and/or more output space. in may be NULL when in_len is 0.
   Returns:
     TN_INFLATE_END    the stream is complete (bytes after it are left unconsumed)
     TN_OK             progress: more input is needed (*consumed == in_len) or out is full
     TN_EBAD_DEFLATE   corrupt data (tn_inflater_error has the detail)
     TN_EBAD_CHECKSUM  the Adler-32, CRC-32, gzip length or header CRC does not match
     TN_ELIMIT         decoding would pass max_output (*produced bytes up to it were written) */
TN_API int tn_inflate(tn_inflater *st, const void *in, size_t in_len, size_t *consumed, void *out,
                      size_t out_cap, size_t *produced);
/* Decoded bytes so far in this stream. */
TN_API uint64_t tn_inflater_total_out(const tn_inflater *st);
/* What went wrong (a static string; "" while there is no error). */
TN_API const char *tn_inflater_error(const tn_inflater *st);

/* One shot: decode all of in (which must hold exactly one stream) into out.
   Returns: TN_OK with *out_len; TN_EBUFFER_FULL (out too small); TN_EINCOMPLETE (truncated);
   TN_EBAD_DEFLATE (also: bytes after the end of the stream); TN_EBAD_CHECKSUM; TN_ELIMIT;
   TN_ENOMEM; TN_EINVAL. Uses opts->allocator for about 47 KiB of state, freed on return. */
TN_API int tn_inflate_once(const tn_inflate_opts *opts, const void *in, size_t in_len, void *out,
                           size_t out_cap, size_t *out_len);

/* ---- deflate ---- */

/* Bytes of memory tn_deflater_init needs (NULL = defaults); 0 when the options are invalid. */
TN_API size_t tn_deflater_size(const tn_deflate_opts *opts);
/* Set up a deflater in caller memory (see tn_inflater_init). Returns: TN_OK, TN_EINVAL. */
TN_API int tn_deflater_init(void *mem, size_t size, const tn_deflate_opts *opts, tn_deflater **out);
/* Allocate a deflater through opts->allocator. Returns: TN_OK, TN_EINVAL, TN_ENOMEM. */
TN_API int tn_deflater_new(const tn_deflate_opts *opts, tn_deflater **out);
/* Free a deflater made by tn_deflater_new (NULL is ignored). */
TN_API void tn_deflater_free(tn_deflater *st);
/* Start a new stream with the same options (history forgotten). */
TN_API void tn_deflater_reset(tn_deflater *st);

/* Encode: take input from in[0..in_len), write compressed bytes to out[0..out_cap). Input is
   buffered inside (up to the window), so output may lag it until a flush. With SYNC or
   FINISH, call again (same flush, the rest of the input, more output space) until it
   returns TN_DEFLATE_DONE. (A call with another flush mode first completes the pending
   flush without reporting it.) After FINISH is done only tn_deflater_reset helps.
   Returns: TN_DEFLATE_DONE (flush complete; with NO_FLUSH: never), TN_OK (progress: input
   consumed or output full), TN_EINVAL (bad flush, or called after the stream finished). */
TN_API int tn_deflate(tn_deflater *st, const void *in, size_t in_len, size_t *consumed, void *out,
                      size_t out_cap, size_t *produced, int flush);
/* Largest compressed size of len input bytes in one stream with one FINISH (any level,
   window and format, no SYNC flushes: each of those adds at most 10 bytes). */
TN_API size_t tn_deflate_bound(size_t len);
/* One shot: compress in to out (of out_cap >= tn_deflate_bound(in_len) bytes to be sure).
   Returns: TN_OK with *out_len; TN_EBUFFER_FULL; TN_ENOMEM; TN_EINVAL. */
TN_API int tn_deflate_once(const tn_deflate_opts *opts, const void *in, size_t in_len, void *out,
                           size_t out_cap, size_t *out_len);

/* ---- checksums (start with 0 for CRC-32 and 1 for Adler-32, or pass the previous value) ---- */
TN_API uint32_t tn_crc32(uint32_t crc, const void *data, size_t n);     /* gzip's CRC-32 */
TN_API uint32_t tn_adler32(uint32_t adler, const void *data, size_t n); /* zlib's Adler-32 */

TN__END_DECLS
#endif /* TN_HAS_DEFLATE */

#endif /* TN_DEFLATE_H */
