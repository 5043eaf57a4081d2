/* static.h: static files (Tornado's StaticFileHandler) from a directory or compiled-in assets. */
#ifndef TN_STATIC_H
#define TN_STATIC_H
#include "http_server.h"

#if TN_HAS_WEB && TN_HAS_HTTP_SERVER
TN__BEGIN_DECLS

/* Static files answer a tn_request straight from the HTTP server (no web layer needed):
   give them the percent-encoded path relative to the served root, typically a router
   capture such as "/static/{path*}".

   What a GET or HEAD gets (as Tornado's StaticFileHandler):
     200  the file; Content-Type by extension (tn_static_mime_type), Content-Length,
          ETag, Last-Modified, Accept-Ranges: bytes, Cache-Control when configured.
          HEAD sends the same head and never reads the file.
     304  If-None-Match matches the ETag (a list, "*", weak comparison), or, without
          If-None-Match, If-Modified-Since is not older than the file.
     206  one byte range ("bytes=0-99", "bytes=-500", "bytes=100-"), with Content-Range;
          If-Range that does not match turns the range off. A range covering the whole
          file gets 200 (as Tornado: some browsers dislike 206 for "bytes=0-").
          Several ranges: the whole file with 200 (no multipart/byteranges).
     416  nothing satisfiable, with Content-Range "bytes <asterisk>/N".
     301  a directory without its trailing slash: Location = request path + "/" (query
          kept; a request path starting with "//" gets 403 instead: no open redirect).
     403  a path that tries to leave the root ("..", encoded or not; a backslash; NUL; an
          absolute path; a symlink pointing out of the root unless follow_symlinks_out),
          something that is not a regular file, or a directory when default_filename is "".
     404  no such file (a directory without its default file too, as Tornado).
     405  any other method (Allow: GET, HEAD).
     500  the file cannot be opened for another reason (EMFILE, EIO, ...).
   Every answer is complete when the call returns or streams on by itself; the caller does
   not touch the request again once tn_static_serve* returned TN_OK. While a body streams,
   the request's close callback is taken over (one set earlier still runs if the client
   leaves first).

   Path safety: rel_path is percent-decoded exactly once ("%252e%252e" names a file
   called "%2e%2e"), then refused if it holds NUL, a backslash, a leading '/', or a ".."
   segment; "." and empty segments are dropped. The file is then opened one component at
   a time with openat(2) relative to the previous directory, each with O_NOFOLLOW, so no
   symlink is followed unchecked; a symlink met on the way is resolved with realpath(3)
   and followed only if it stays inside the root's real path (or follow_symlinks_out).
   Only regular files are served.
   Windows: CreateFileW on the UTF-8 path made UTF-16, with FILE_FLAG_OPEN_REPARSE_POINT;
   a symbolic link or junction (anywhere on the path) is followed only if the opened
   file's final path (GetFinalPathNameByHandleW, checked on the handle itself, so no race)
   lies under the root's (or follow_symlinks_out). Names Windows reads as something else
   are refused with 403: ':' (alternate data streams "a.txt::$DATA", drives "C:"), device
   names in any directory with any extension (CON, PRN, AUX, NUL, COM1-9, LPT1-9, CONIN$,
   CONOUT$: "nul", "con.txt"), a trailing '.' or ' ' in any segment, < > " | ? * and
   control characters. Paths longer than MAX_PATH get 404 unless the program is long-path
   aware.

   Files are sent in 64 KiB pieces, each written when the previous one reached the socket
   (memory stays bounded however slow the client), or with sendfile(2) on Linux plain
   sockets (no copy through user space at all; elsewhere, Windows included, read + write).
   Reads of the file block the loop thread for one piece at a time, as Tornado's do. The
   ETag is made from the inode (Windows: the file index), size and modification time (no
   read of the content; Tornado hashes the content: stable across machines, but a whole
   read per file). */

/* Ten years in seconds: the cache time of versioned URLs (Tornado's CACHE_MAX_AGE). */
#define TN_STATIC_VERSIONED_MAX_AGE 315360000

/* tn_static_opts: zero-init gives the defaults.
     root                 directory served by tn_static_serve (not needed for assets);
                          relative to the working directory unless absolute
     default_filename     NULL = "index.html": served for a directory; "" = none (403)
     max_age              0 = no Cache-Control (browser heuristics, Tornado's default);
                          > 0: "Cache-Control: max-age=N" and Expires
     no_versioned_cache   1: do not give URLs with a "v" query argument (?v=<hash>, as
                          Tornado's static_url makes) the ten-year cache time
     follow_symlinks_out  1: follow symlinks that lead out of the root (otherwise 403);
                          symlinks that stay inside the root are always followed
     no_sendfile          1: always read + write, never sendfile(2)
     precompressed        1: a client whose Accept-Encoding accepts gzip gets "<file>.gz"
                          instead of <file> when that sibling exists and is a regular file
                          (nginx's gzip_static; made e.g. with gzip -k): Content-Encoding:
                          gzip, the original's Content-Type, the .gz file's own ETag and
                          Last-Modified, Vary: Accept-Encoding (on the plain answers too,
                          while the sibling exists). Ranges apply to the gzip bytes (RFC 9110
                          ranges are of the selected representation, as nginx does; the
                          strong ETag differs from the plain file's, so If-Range cannot mix
                          the two), and sendfile still works. A request for "x.gz" itself
                          is served as is (application/gzip). Off by default (an extra
                          open per request). */
typedef struct tn_static_opts {
    const char *root;
    const char *default_filename;
    int64_t max_age;
    int no_versioned_cache;
    int follow_symlinks_out;
    int no_sendfile;
    int precompressed;
} tn_static_opts;

/* One compiled-in file (tools/embed_assets.py writes tables of these).
     path          relative path without a leading '/', e.g. "css/site.css"
     data, len     the content (static storage: it is sent without a copy per request)
     content_type  NULL = by extension of path (tn_static_mime_type)
     etag          the ETag as sent, quotes included ("\"1a2b...\""); NULL = computed per
                   request (SHA-1 of data: a pass over the data every time)
     mtime         Unix seconds for Last-Modified / If-Modified-Since; 0 = none
     encoding      NULL: data is the content; "gzip": data is the content gzip-compressed
                   (tools/embed_assets.py --gzip), sent as is with Content-Encoding: gzip
                   to clients that accept gzip (ranges on the gzip bytes), and inflated on
                   the fly for the others (plain_len bytes, Content-Length known; the
                   whole content with 200: Range is ignored there; the ETag made weak:
                   W/"..."; an inflater of ~46 KiB + a 64 KiB buffer for the transfer).
                   Vary: Accept-Encoding on both. Without the codec (TORNADO_NO_DEFLATE)
                   clients that do not accept gzip get 406.
     plain_len     with encoding "gzip": the content's length before compression */
typedef struct tn_static_asset {
    const char *path;
    const unsigned char *data;
    size_t len;
    const char *content_type;
    const char *etag;
    int64_t mtime;
    const char *encoding;
    size_t plain_len;
} tn_static_asset;

#if TN_HAS_FILESYSTEM
/* Serve the file rel_path (percent-encoded, relative: no leading '/') under opts->root.
   The response is sent (or streams on) by itself; see the status list above.
   Returns TN_OK (an answer was given or is under way, 403/404/500 included: the request
   is no longer the caller's), TN_EINVAL (req, opts or opts->root NULL: nothing sent),
   TN_ECLOSED (the client is gone; the request is released), TN_EBUSY (a response was
   already started) or TN_ENOMEM (nothing could be sent) as from tn_respond. */
TN_API int tn_static_serve(tn_request *req, const tn_static_opts *opts, tn_str rel_path);
#endif

/* Serve rel_path (percent-encoded) from table[0..n): the same conditional, range, HEAD,
   cache and directory rules as tn_static_serve ("" or "dir/" serves the default file,
   "dir" redirects to "dir/" when "dir/<default>" exists). opts may be NULL (root unused).
   Returns as tn_static_serve (TN_EINVAL when req is NULL, or table NULL with n > 0). */
TN_API int tn_static_serve_assets(tn_request *req, const tn_static_asset *table, size_t n, tn_str rel_path,
                                  const tn_static_opts *opts);

/* The Content-Type for a file name by its extension (ASCII case-insensitive): the common
   web types, "text/..." ones with "; charset=utf-8"; "application/octet-stream" when
   unknown. Static storage, never NULL. */
TN_API const char *tn_static_mime_type(tn_str path);

TN__END_DECLS
#endif /* TN_HAS_WEB && TN_HAS_HTTP_SERVER */

#endif /* TN_STATIC_H */
