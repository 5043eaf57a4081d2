/* multipart.h: incremental multipart/form-data (RFC 7578) push parser. */
#ifndef TN_MULTIPART_H
#define TN_MULTIPART_H
#include "http_util.h"

TN__BEGIN_DECLS

/* Limits: TORNADO_MULTIPART_MAX_HEADER_BYTES, TORNADO_MULTIPART_MAX_PARTS (config.h). */
/* Longest boundary accepted (RFC 2046 says 70; some clients go further). */
#define TN_MULTIPART_MAX_BOUNDARY 200

/* Events delivered to a tn_multipart_cb, in this order for each part:
   PART_BEGIN, PART_DATA (zero or more), PART_END; then DONE once after the close
   delimiter "--boundary--". */
enum {
    TN_MULTIPART_PART_BEGIN = 1,
    TN_MULTIPART_PART_DATA = 2,
    TN_MULTIPART_PART_END = 3,
    TN_MULTIPART_DONE = 4
};

/* Bits of tn_multipart_part.flags. */
enum {
    TN_MULTIPART_HAS_NAME = 1u << 0,      /* a name= parameter was present */
    TN_MULTIPART_HAS_FILENAME = 1u << 1   /* a filename= or filename*= parameter */
};

/* tn_multipart_part: one part's headers. Valid from its PART_BEGIN until its PART_END
   callback returns (the strings point into the parser's buffers).
   Tornado keeps a part only when disposition is "form-data" and name is non-empty, and
   treats it as a file only when filename is non-empty (content type defaulting to
   "application/unknown"); the parser reports every part and leaves that choice to you. */
typedef struct tn_multipart_part {
    tn_str name;          /* decoded name parameter of Content-Disposition ("" if none) */
    tn_str filename;      /* decoded filename (filename* preferred); "" if none */
    tn_str content_type;  /* Content-Type value, trimmed; "" when absent */
    tn_str disposition;   /* Content-Disposition main value, e.g. "form-data"; "" if absent */
    tn_str headers;       /* raw header block: each line with its CRLF, no closing blank line */
    unsigned index;       /* 0 for the first part */
    unsigned flags;       /* TN_MULTIPART_HAS_* */
} tn_multipart_part;

/* Called synchronously from tn_multipart_feed. event is a TN_MULTIPART_* value; part is
   the current part (NULL for DONE); data holds PART_DATA bytes: a slice of the fed input
   whenever possible (zero-copy), or of the parser's own copy of the delimiter when bytes
   held back at the end of a previous feed turned out to be content. data is valid only
   during the call; empty chunks are never delivered. Return 0 to continue; anything else
   stops the parser, and tn_multipart_feed returns it (a positive value becomes
   TN_ECANCELED). */
typedef int (*tn_multipart_cb)(int event, const tn_multipart_part *part, tn_str data, void *user);

/* tn_multipart_opts: limits; zero-initialise, 0 means the default.
     max_header_bytes  default and maximum TORNADO_MULTIPART_MAX_HEADER_BYTES (4096)
     max_parts         default TORNADO_MULTIPART_MAX_PARTS (1000) */
typedef struct tn_multipart_opts {
    size_t max_header_bytes;  /* per part header block, including the blank line */
    size_t max_parts;         /* parts per body */
} tn_multipart_opts;

/* tn_multipart: parser state, caller-allocated (about 8.5 KB with the default limits:
   no allocation happens). Initialise with tn_multipart_init; fields are private. */
typedef struct tn_multipart {
    tn_multipart_cb _cb;
    void *_user;
    int _state;
    int _err;
    size_t _match;        /* delimiter bytes matched at the end of the previous feed */
    size_t _dlen;         /* strlen("\r\n--") + boundary length */
    size_t _hlen;         /* header bytes buffered */
    size_t _max_header;
    size_t _max_parts;
    size_t _parts;
    tn_multipart_part _part;
    char _delim[4 + TN_MULTIPART_MAX_BOUNDARY];
    char _hdr[TORNADO_MULTIPART_MAX_HEADER_BYTES];
    char _dec[TORNADO_MULTIPART_MAX_HEADER_BYTES];
} tn_multipart;

/* Get the boundary from a Content-Type value. The media type must be
   multipart/form-data (ASCII case-insensitive); quotes around the boundary are removed.
   *boundary points into content_type, or into buf if unescaping was needed (cap >=
   content_type.len suffices; buf may be NULL otherwise).
   Returns: TN_OK; TN_ENOTSUP (another media type); TN_EBAD_MULTIPART (no boundary, or a
   malformed parameter list); TN_EBUFFER_FULL. */
TN_API int tn_multipart_boundary(tn_str content_type, char *buf, size_t cap, tn_str *boundary);

/* Start parsing a body with this boundary (without the leading "--"). The boundary is
   copied. opts may be NULL. Bytes before the first delimiter (preamble) and after the
   close delimiter (epilogue, including trailing garbage, as Tornado 2.3) are ignored.
   Returns: TN_OK; TN_EBAD_MULTIPART (boundary empty, longer than
   TN_MULTIPART_MAX_BOUNDARY, or holding control or non-ASCII bytes); TN_EINVAL (mp or cb
   NULL). */
TN_API int tn_multipart_init(tn_multipart *mp, tn_str boundary, const tn_multipart_opts *opts,
                             tn_multipart_cb cb, void *user);

/* Feed the next slice of the body (any split works; len 0 is fine). Consumes everything:
   up to boundary-length + 3 trailing bytes that might start a delimiter are remembered
   by state (not copied) until the next feed decides. After DONE, input is ignored.
   Returns: TN_OK; TN_EBAD_MULTIPART (malformed: bad delimiter line, header line without
   ':' or with control bytes, folded header, malformed Content-Disposition parameters);
   TN_EHEADER_TOO_LARGE (part header block over max_header_bytes); TN_ELIMIT (more than
   max_parts parts); or a callback's stop value. Errors are sticky: later feeds return
   the same code without calling back. */
TN_API int tn_multipart_feed(tn_multipart *mp, const char *data, size_t len);

/* Declare the end of the body. Returns: TN_OK if the close delimiter was seen (DONE was
   delivered); the sticky error if one occurred; TN_EBAD_MULTIPART otherwise (truncated
   body: no PART_END or DONE is delivered). */
TN_API int tn_multipart_finish(tn_multipart *mp);

TN__END_DECLS

#endif /* TN_MULTIPART_H */
