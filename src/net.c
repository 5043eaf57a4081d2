/* net.c: addresses, bind/listen, unix sockets, accept, resolvers. */
#include "net.h"
#include "internal.h"

/* ---- addresses ---- */
TN__PRIVATE struct sockaddr *tn__net_sa(tn_addr *a) { return (struct sockaddr *)(void *)a->u.bytes; }
TN__PRIVATE const struct sockaddr *tn__net_csa(const tn_addr *a) { return (const struct sockaddr *)(const void *)a->u.bytes; }

TN__PRIVATE void tn__addr_set(tn_addr *a, const void *sa, size_t len) {
    memset(a, 0, sizeof *a);
    if (len > sizeof a->u.bytes) len = sizeof a->u.bytes;
    memcpy(a->u.bytes, sa, len);
    a->len = (uint32_t)len;
}

/* Port digits: 0..65535, empty → -1; anything else → TN_EBAD_URL. */
TN__PRIVATE int tn__net_parse_port(const char *s, size_t n, int *port) {
    size_t i;
    long v = 0;
    *port = -1;
    if (n == 0) return TN_OK;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return TN_EBAD_URL;
        v = v * 10 + (s[i] - '0');
        if (v > 65535) return TN_EBAD_URL;
    }
    *port = (int)v;
    return TN_OK;
}

/* The one host:port splitter (the resolver, url.c's authority and Host checks use it). */
TN_API int tn_split_host_port(tn_str netloc, tn_str *host, int *port) {
    const char *s = netloc.ptr;
    size_t n = netloc.len, i, colons = 0, colon = n;   /* colon: where the port's ':' is (n: none) */
    tn_str h;
    int p = -1, rc;
    h.ptr = s;
    h.len = n;
    if (n && s[0] == '[') {
        const char *close = (const char *)memchr(s, ']', n);
        if (!close) return TN_EBAD_URL;
        i = (size_t)(close - s);
        h = tn_str_make(s + 1, i - 1);
        if (i + 1 < n) {
            if (s[i + 1] != ':') return TN_EBAD_URL;
            colon = i + 1;
        }
    } else {
        for (i = 0; i < n; i++)
            if (s[i] == ':') { colons++; h.len = i; }
        if (colons != 1) h.len = n;
        else colon = h.len;
    }
    if (colon < n && (rc = tn__net_parse_port(s + colon + 1, n - colon - 1, &p)) != 0) return rc;
    if (host) *host = h;
    if (port) *port = p;
    return TN_OK;
}

TN_API int tn_addr_family(const tn_addr *a) {
    if (!a || a->len == 0) return TN_AF_UNSPEC;
    switch (tn__net_csa(a)->sa_family) {
    case AF_INET: return TN_AF_INET;
    case AF_INET6: return TN_AF_INET6;
#if defined(AF_UNIX)
    case AF_UNIX: return TN_AF_UNIX;
#endif
    default: return TN_AF_UNSPEC;
    }
}

TN_API int tn_addr_port(const tn_addr *a) {
    switch (tn_addr_family(a)) {
    case TN_AF_INET: return ntohs(((const struct sockaddr_in *)(const void *)a->u.bytes)->sin_port);
    case TN_AF_INET6: return ntohs(((const struct sockaddr_in6 *)(const void *)a->u.bytes)->sin6_port);
    default: return -1;
    }
}

TN_API int tn_addr_set_port(tn_addr *a, int port) {
    if (port < 0 || port > 65535) return TN_EINVAL;
    switch (tn_addr_family(a)) {
    case TN_AF_INET: ((struct sockaddr_in *)(void *)a->u.bytes)->sin_port = htons((uint16_t)port); return TN_OK;
    case TN_AF_INET6: ((struct sockaddr_in6 *)(void *)a->u.bytes)->sin6_port = htons((uint16_t)port); return TN_OK;
    default: return TN_EINVAL;
    }
}

/* The address family (AF_INET, AF_INET6) of an IP literal, its bytes in b; 0 if none. Only
   an IPv6 literal has a ':', so one parse decides. */
TN__PRIVATE int tn__net_pton(const char *ip, unsigned char b[16]) {
    const char *p = ip;
    int fam;
    while (*p && *p != ':') p++;
    fam = *p ? AF_INET6 : AF_INET;
    return TN__OS(inet_pton)(fam, ip, b) == 1 ? fam : 0;
}

TN_API int tn_addr_from_ip(const char *ip, int port, tn_addr *out) {
    unsigned char b[16];
    char tmp[65];
    int fam, bracketed;
    if (!ip || !out || port < 0 || port > 65535) return TN_EINVAL;
    if ((bracketed = ip[0] == '[') != 0) {   /* "[::1]": at most 63 characters between the brackets */
        size_t n = 0;   /* (no strlen: an echo firmware would link it for this) */
        do {
            if (n == sizeof tmp) return TN_EINVAL;
            tmp[n] = ip[n + 1];
        } while (tmp[n++]);
        if (n < 2 || tmp[n - 2] != ']') return TN_EINVAL;   /* (n counts the NUL) */
        tmp[n - 2] = 0;
        ip = tmp;
    }
    /* (brackets hold an IPv6 address only) */
    if ((fam = tn__net_pton(ip, b)) == 0 || (bracketed && fam != AF_INET6)) return TN_EINVAL;
    memset(out, 0, sizeof *out);
    if (fam == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)(void *)out->u.bytes;
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        memcpy(&v4->sin_addr, b, 4);
        out->len = (uint32_t)sizeof *v4;
    } else {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)(void *)out->u.bytes;
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        memcpy(&v6->sin6_addr, b, 16);
        out->len = (uint32_t)sizeof *v6;
    }
    return TN_OK;
}

TN_API int tn_addr_from_unix(const char *path, tn_addr *out) {
#if !TN__HAVE_UNIX_SOCKETS
    (void)path;
    (void)out;
    return TN_ENOTSUP;
#else
    struct sockaddr_un un;
    size_t n;
    if (!path || !out) return TN_EINVAL;
    n = strlen(path);
    if (n == 0 || n >= sizeof un.sun_path) return TN_EINVAL;
    memset(&un, 0, sizeof un);
    un.sun_family = AF_UNIX;
    memcpy(un.sun_path, path, n + 1);
    tn__addr_set(out, &un, offsetof(struct sockaddr_un, sun_path) + n + 1);
    return TN_OK;
#endif
}

TN_API int tn_is_valid_ip(const char *s) {
    unsigned char b[16];
    return s && *s && tn__net_pton(s, b) != 0;
}

TN__PRIVATE int tn__net_put(char *buf, size_t n, const char *s) {
    size_t len = strlen(s);
    if (len >= n) return TN_EBUFFER_FULL;
    memcpy(buf, s, len + 1);
    return (int)len;
}

TN_API int tn_addr_ip(const tn_addr *a, char *buf, size_t n) {
    char tmp[TN_ADDR_STRLEN];
    if (!a || !buf) return TN_EINVAL;
    switch (tn_addr_family(a)) {
    case TN_AF_INET:
        if (!TN__OS(inet_ntop)(AF_INET, &((const struct sockaddr_in *)(const void *)a->u.bytes)->sin_addr, tmp, sizeof tmp))
            return TN_EINVAL;
        return tn__net_put(buf, n, tmp);
    case TN_AF_INET6:
        if (!TN__OS(inet_ntop)(AF_INET6, &((const struct sockaddr_in6 *)(const void *)a->u.bytes)->sin6_addr, tmp, sizeof tmp))
            return TN_EINVAL;
        return tn__net_put(buf, n, tmp);
#if TN__HAVE_UNIX_SOCKETS
    case TN_AF_UNIX: {
        const struct sockaddr_un *un = (const struct sockaddr_un *)(const void *)a->u.bytes;
        size_t off = offsetof(struct sockaddr_un, sun_path), len = 0;
        while (off + len < a->len && len < sizeof un->sun_path && un->sun_path[len]) len++;
        if (len >= n) return TN_EBUFFER_FULL;
        memcpy(buf, un->sun_path, len);
        buf[len] = 0;
        return (int)len;
    }
#endif
    default:
        return TN_EINVAL;
    }
}

TN_API int tn_addr_format(const tn_addr *a, char *buf, size_t n) {
    char ip[TN_ADDR_STRLEN], tmp[TN_ADDR_STRLEN + 16];
    int rc = tn_addr_ip(a, ip, sizeof ip);
    if (rc < 0) return rc;
    switch (tn_addr_family(a)) {
    case TN_AF_INET: snprintf(tmp, sizeof tmp, "%s:%d", ip, tn_addr_port(a)); break;
    case TN_AF_INET6: snprintf(tmp, sizeof tmp, "[%s]:%d", ip, tn_addr_port(a)); break;
    default: snprintf(tmp, sizeof tmp, "unix:%s", ip); break;
    }
    return tn__net_put(buf, n, tmp);
}

TN_API int tn_addr_equal(const tn_addr *a, const tn_addr *b) {
    int fa = tn_addr_family(a);
    if (fa != tn_addr_family(b) || fa == TN_AF_UNSPEC) return 0;
    if (fa == TN_AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)(const void *)a->u.bytes;
        const struct sockaddr_in *y = (const struct sockaddr_in *)(const void *)b->u.bytes;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (fa == TN_AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)(const void *)a->u.bytes;
        const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)(const void *)b->u.bytes;
        return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0 &&
               x->sin6_scope_id == y->sin6_scope_id;
    }
    return a->len == b->len && memcmp(a->u.bytes, b->u.bytes, a->len) == 0;
}

/* ---- sockets ---- */
TN_API void tn_socket_close(tn_socket fd) { tn__fd_close(fd); }

TN__PRIVATE int tn__net_sock_addr(tn_socket fd, int which, tn_addr *out) {
    size_t len = sizeof out->u.bytes;
    int rc;
    memset(out, 0, sizeof *out);
    if ((rc = tn__sock_name(fd, which, tn__net_sa(out), &len)) != 0) return rc;
    out->len = (uint32_t)len;
    return TN_OK;
}

TN_API int tn_socket_local_addr(tn_socket fd, tn_addr *out) { return tn__net_sock_addr(fd, 0, out); }
TN_API int tn_socket_peer_addr(tn_socket fd, tn_addr *out) { return tn__net_sock_addr(fd, 1, out); }

/* Accept one connection: non-blocking and close-on-exec. TN_EAGAIN when none is queued. */
TN__PRIVATE int tn__net_accept(tn_socket lfd, tn_socket *out, tn_addr *peer) {
    size_t len = sizeof peer->u.bytes;
    tn_socket fd = TN_INVALID_SOCKET;
    int rc;
    memset(peer, 0, sizeof *peer);
    if ((rc = tn__sock_accept(lfd, &fd, tn__net_sa(peer), &len)) != 0) return rc;
    peer->len = (uint32_t)len;
    *out = fd;
    return TN_OK;
}

#if TN__HAVE_GETADDRINFO
/* Map a getaddrinfo failure. */
TN__PRIVATE int tn__net_gai_err(int e) {
    switch (e) {
    case EAI_MEMORY: return TN_ENOMEM;
#if defined(EAI_SYSTEM)
    case EAI_SYSTEM: return tn__last_err();
#endif
    default: return TN_ERESOLVE;
    }
}

TN__PRIVATE int tn__net_af(int family) {
    return family == TN_AF_INET ? AF_INET : family == TN_AF_INET6 ? AF_INET6 : AF_UNSPEC;
}
#endif

/* host as an IP literal, no lookup: TN_OK with *out; TN_ERESOLVE for a literal of another
   family than the one asked for; for a name or an empty host, TN_ENOENT (the lookup's to
   answer). A build without name lookup (TORNADO_NO_RESOLVER, lwIP without LWIP_DNS) has
   no lookup: a name is TN_ERESOLVE, and an empty host when passive the wildcard address of
   the family asked for. */
TN__PRIVATE int tn__net_literal(const char *host, int port, int family, int passive, tn_addr *out) {
    int wild = !host || !*host, none = TN__HAVE_GETADDRINFO ? TN_ENOENT : TN_ERESOLVE;
    if (wild) {
        if (TN__HAVE_GETADDRINFO || !passive) return none;
        host = family == TN_AF_INET6 ? "::" : "0.0.0.0";
    }
    if (tn_addr_from_ip(host, port, out) != TN_OK) return none;
    if (!wild && family != TN_AF_UNSPEC && family != tn_addr_family(out)) return TN_ERESOLVE;
    return TN_OK;
}

/* Resolve host:port into a fresh array (allocated with a; free with tn__free). Literal IPs
   skip the lookup. Duplicate addresses are dropped; order is kept. */
TN__PRIVATE int tn__net_getaddrinfo(const tn_allocator *a, const char *host, int port, int family, int passive,
                                tn_addr **out, size_t *n_out) {
#if TN__HAVE_GETADDRINFO
    struct addrinfo hints, *res = NULL, *ai;
    size_t n = 0, cap = 0, i;
    int rc;
#endif
    tn_addr *arr;
    *out = NULL;
    *n_out = 0;
    if (port < 0 || port > 65535) return TN_EINVAL;
    {
        tn_addr lit;
        int rc1 = tn__net_literal(host, port, family, passive, &lit);
        if (rc1 == TN_OK) {
            if ((arr = (tn_addr *)tn__alloc(a, sizeof *arr)) == NULL) return TN_ENOMEM;
            *arr = lit;
            *out = arr;
            *n_out = 1;
            return TN_OK;
        }
        if (rc1 != TN_ENOENT) return rc1;   /* (TN_ERESOLVE) */
    }
#if TN__HAVE_GETADDRINFO
    memset(&hints, 0, sizeof hints);
    hints.ai_family = tn__net_af(family);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    /* a fixed numeric service ("0" is refused by older lwIP), the port then set in each
       result: no port text to format (snprintf would link printf into a firmware build) */
    rc = TN__OS(getaddrinfo)((host && *host) ? host : NULL, "1", &hints, &res);
    if (rc != 0) return tn__net_gai_err(rc);
    for (ai = res; ai; ai = ai->ai_next) cap++;
    arr = (tn_addr *)tn__alloc(a, (cap ? cap : 1) * sizeof *arr);
    if (!arr) {
        TN__OS(freeaddrinfo)(res);
        return TN_ENOMEM;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        int dup = 0;
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
        tn__addr_set(&arr[n], ai->ai_addr, ai->ai_addrlen);   /* kept (n counted) unless a duplicate */
        (void)tn_addr_set_port(&arr[n], port);
        /* the same bytes (every result is built alike, the rest of each tn_addr zeroed;
           compared here, not with memcmp, which only this would link into a firmware) */
        for (i = 0; i < n && !dup; i++) {
            size_t k = 0;
            while (k < sizeof arr[n].u.bytes && arr[i].u.bytes[k] == arr[n].u.bytes[k]) k++;
            dup = k == sizeof arr[n].u.bytes;
        }
        if (!dup) n++;
    }
    TN__OS(freeaddrinfo)(res);
    if (n == 0) {
        tn__free(a, arr);
        return TN_ERESOLVE;
    }
    *out = arr;
    *n_out = n;
    return TN_OK;
#else
    return TN_ERESOLVE;   /* (not reached: without a lookup, tn__net_literal answers every host) */
#endif
}

TN__PRIVATE int tn__net_listen_on(const tn_addr *addr, const tn_bind_opts *o, int backlog, tn_socket *out) {
    tn_socket fd = TN_INVALID_SOCKET;
    int rc;
    int fam = tn__net_csa(addr)->sa_family;
    if ((rc = tn__socket(fam, SOCK_STREAM, &fd)) != 0) return rc;
#if !defined(_WIN32)   /* Windows' SO_REUSEADDR lets another socket steal the port */
    (void)tn__sock_setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1);
#endif
    if (o->reuse_port) {
#if defined(SO_REUSEPORT)
        if ((rc = tn__sock_setopt(fd, SOL_SOCKET, SO_REUSEPORT, 1)) != 0) {
            tn__fd_close(fd);
            return rc == TN_ESYS ? TN_ENOTSUP : rc;
        }
#else
        tn__fd_close(fd);
        return TN_ENOTSUP;
#endif
    }
#if defined(IPV6_V6ONLY)   /* (an IPv4-only lwIP has no IPv6 sockets at all) */
    if (fam == AF_INET6) {
        (void)tn__sock_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, o->dual_stack ? 0 : 1);
    }
#endif
    if ((rc = tn__sock_bind_listen(fd, tn__net_csa(addr), addr->len, backlog)) != 0) {
        tn__fd_close(fd);
        return rc;
    }
    *out = fd;
    return TN_OK;
}

TN__PRIVATE void tn__net_bind_opts_resolve(const tn_bind_opts *in, tn_bind_opts *o) {
    memset(o, 0, sizeof *o);
    if (in) *o = *in;
    o->backlog = TN__DEF(o->backlog, TORNADO_BACKLOG);
}

TN_API int tn_bind_sockets(const char *host, int port, const tn_bind_opts *opts,
                           tn_socket *out, size_t cap, size_t *n_out) {
    tn_bind_opts o;
    tn_addr *addrs;
    size_t n, i, made = 0;
    int rc, backlog, chosen = port;
#if TN__HAVE_GETADDRINFO
    const tn_allocator *a = tn__libc();
#else
    tn_addr one;   /* no lookup: one address at most, no array to allocate */
#endif
    if (!out || !n_out || port < 0 || port > 65535) return TN_EINVAL;
    *n_out = 0;
    tn__net_bind_opts_resolve(opts, &o);
    backlog = o.backlog;
#if TN__HAVE_GETADDRINFO
    rc = tn__net_getaddrinfo(a, host, port, o.family, 1, &addrs, &n);
#else
    rc = tn__net_literal(host, port, o.family, 1, &one);
    addrs = &one;
    n = 1;
#endif
    if (rc != 0) return rc;
    for (i = 0; i < n; i++) {
        tn_socket fd = TN_INVALID_SOCKET;
        if (made >= cap) {
            rc = TN_ELIMIT;
            break;
        }
        /* port 0: the first socket picks a port; the others bind the same one (each
           address carries the port asked for already: the first is left as it is) */
        if (i > 0) (void)tn_addr_set_port(&addrs[i], chosen);
        rc = tn__net_listen_on(&addrs[i], &o, backlog, &fd);
        if (rc == TN_EADDRNOTAVAIL && n > 1 && tn_addr_family(&addrs[i]) == TN_AF_INET6) {
            rc = TN_OK;   /* a host without working IPv6: skip that family (Tornado 3.1) */
            continue;
        }
        if (rc != 0) break;
        out[made++] = fd;
        if (chosen == 0 && i + 1 < n) {   /* (the port is for the addresses after this one) */
            tn_addr bound;
            if ((rc = tn_socket_local_addr(fd, &bound)) != 0) break;
            chosen = tn_addr_port(&bound);
        }
    }
#if TN__HAVE_GETADDRINFO
    tn__free(a, addrs);
#endif
    if (rc == 0 && made == 0) rc = TN_EADDRNOTAVAIL;
    if (rc != 0) {
        for (i = 0; i < made; i++) tn__fd_close(out[i]);
        return rc;
    }
    *n_out = made;
    return TN_OK;
}

TN_API int tn_bind_unix(const char *path, int mode, int backlog, tn_socket *out) {
#if !TN__HAVE_UNIX_SOCKETS
    (void)path;
    (void)mode;
    (void)backlog;
    (void)out;
    return TN_ENOTSUP;
#else
    tn_addr addr;
    struct stat st;
    int fd = -1, rc;
    if (!out || (rc = tn_addr_from_unix(path, &addr)) != 0) return TN_EINVAL;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) return TN_EEXIST;
        if (unlink(path) != 0) return tn__last_err();   /* a stale socket */
    } else if (errno != ENOENT) {
        return tn__last_err();
    }
    if ((rc = tn__socket(AF_UNIX, SOCK_STREAM, &fd)) != 0) return rc;
    if (bind(fd, tn__net_csa(&addr), (socklen_t)addr.len) != 0 ||
        chmod(path, (mode_t)(mode ? mode : 0600)) != 0 ||
        listen(fd, backlog ? backlog : TORNADO_BACKLOG) != 0) {
        rc = tn__last_err();
        tn__fd_close(fd);
        return rc;
    }
    *out = fd;
    return TN_OK;
#endif
}

/* ---- resolvers ---- */
typedef struct tn__net_override {
    char *host;          /* lower-case host */
    int port;            /* -1: any port */
    char *to;            /* target list text */
    struct tn__net_override *next;
} tn__net_override;

struct tn_resolve_req {
    tn__handle h;                   /* a live object until its callback ran */
    tn__defer d;                    /* blocking mode: the deferred lookup */
    tn_resolver *r;                 /* NULL: a plain blocking lookup */
    tn_resolve_cb cb;
    void *user;
    char *host;                     /* after override: the first name to look up */
    char *targets;                  /* override target list (owned), or NULL */
    int port;
    int family;
    int cancelled;
    int status;
    tn_addr *addrs;
    size_t naddrs;
    tn_resolve_req *qnext;          /* threaded: job / done queues */
};

struct tn_resolver {
    tn__handle h;
    tn_resolver_opts opts;
    tn__net_override *overrides;
    tn_cb close_cb;
    void *close_user;
#if TN_HAS_THREADS
    tn__thread *threads;
    int nthreads;
    tn__cond cond;
    tn__mutex lock;
    tn_resolve_req *jobs_head, *jobs_tail;
    tn_resolve_req *done_head, *done_tail;
    int stopping;
    tn_async *async;                /* workers wake the loop through it */
#endif
};

TN_API int tn_resolver_add_override(tn_resolver *r, const char *from, const char *to) {
    tn_str hs;
    const char *h;
    size_t hl, i;
    int port;
    tn__net_override *o;
    tn_allocator *a;
    if (!r || !from || !to || !*to || r->h.closing) return TN_EINVAL;
    if (tn_split_host_port(tn_str_c(from), &hs, &port) != 0 || hs.len == 0) return TN_EINVAL;
    h = hs.ptr;
    hl = hs.len;
    a = tn__loop_alloc(r->h.loop);
    o = (tn__net_override *)tn__calloc(a, sizeof *o);
    if (!o) return TN_ENOMEM;
    o->host = tn__strndup(a, h, hl);
    o->to = tn__strdup(a, to);
    if (!o->host || !o->to) {
        tn__free(a, o->host);
        tn__free(a, o->to);
        tn__free(a, o);
        return TN_ENOMEM;
    }
    for (i = 0; i < hl; i++) o->host[i] = (char)tn__lower((unsigned char)o->host[i]);
    o->port = port;
    o->next = r->overrides;
    r->overrides = o;
    return TN_OK;
}

TN__PRIVATE const tn__net_override *tn__net_override_find(const tn_resolver *r, const char *host, int port) {
    const tn__net_override *o, *any = NULL;
    size_t hl = strlen(host);
    for (o = r->overrides; o; o = o->next) {
        if (strlen(o->host) != hl || !tn_str_ieq(tn_str_make(o->host, hl), tn_str_make(host, hl))) continue;
        if (o->port == port) return o;
        if (o->port < 0 && !any) any = o;
    }
    return any;
}

/* Append addresses to req (growing its array). */
TN__PRIVATE int tn__net_req_add_addrs(tn_resolve_req *q, const tn_allocator *a, const tn_addr *add, size_t n) {
    size_t i, j;
    tn_addr *arr = (tn_addr *)tn__realloc(a, q->addrs, (q->naddrs + n) * sizeof *arr);
    if (!arr) return TN_ENOMEM;
    q->addrs = arr;
    for (i = 0; i < n; i++) {
        int dup = 0;
        for (j = 0; j < q->naddrs && !dup; j++) dup = tn_addr_equal(&arr[j], &add[i]);
        if (!dup) arr[q->naddrs++] = add[i];
    }
    return TN_OK;
}

/* Do the lookup(s) of a request; safe on a worker thread (touches only the request and
   the allocator). With override targets, each target is an IP (used as is) or a name. */
TN__PRIVATE void tn__net_req_lookup(tn_resolve_req *q, const tn_allocator *a) {
    int rc = TN_OK, any = 0;
    if (q->targets) {
        const char *p = q->targets;
        while (*p && rc != TN_ENOMEM) {
            const char *end = strchr(p, ',');
            size_t len;
            tn_str h;
            int tport;
            char *name;
            if (!end) end = p + strlen(p);
            while (p < end && (*p == ' ' || *p == '\t')) p++;
            len = (size_t)(end - p);
            while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) len--;
            if (len > 0 && tn_split_host_port(tn_str_make(p, len), &h, &tport) == 0 && h.len > 0 &&
                (name = tn__strndup(a, h.ptr, h.len)) != NULL) {
                tn_addr *res;
                size_t n;
                int r2 = tn__net_getaddrinfo(a, name, tport >= 0 ? tport : q->port, q->family, 0, &res, &n);
                tn__free(a, name);
                if (r2 == 0) {
                    r2 = tn__net_req_add_addrs(q, a, res, n);
                    tn__free(a, res);
                    if (r2 == 0) any = 1;
                }
                if (r2 == TN_ENOMEM) rc = TN_ENOMEM;
            } else if (len > 0) {
                rc = TN_ERESOLVE;   /* a malformed target: reported unless another works */
            }
            p = *end ? end + 1 : end;
        }
        q->status = any ? TN_OK : (rc == TN_OK ? TN_ERESOLVE : rc);
        return;
    }
    q->status = tn__net_getaddrinfo(a, q->host, q->port, q->family, 0, &q->addrs, &q->naddrs);
}

TN__PRIVATE void tn__net_req_finalize(tn__handle *h) {
    tn_resolve_req *q = (tn_resolve_req *)h;
    tn_allocator *a = tn__loop_alloc(h->loop);
    tn__free(a, q->addrs);
    tn__free(a, q->host);
    tn__free(a, q->targets);
    tn__free(a, q);
}
static const tn__handle_type tn__net_resolve_req_type = { "resolve request", tn__net_req_finalize };

/* Deliver a finished request on the loop thread, then retire it. A resolver is not
   finalised while it has requests in flight (each holds one count of r->h.pending). */
TN__PRIVATE void tn__net_req_complete(tn_resolve_req *q) {
    int status = q->cancelled ? TN_ECANCELED : q->status;
    tn_resolver *r = q->r;
    q->cb(status, status == TN_OK ? q->addrs : NULL, status == TN_OK ? q->naddrs : 0, q->user);
    (void)tn__handle_close(&q->h);
    if (r) r->h.pending--;
}

#define TN__NET_REQ_OF(dp) ((tn_resolve_req *)(void *)((char *)(dp) - offsetof(tn_resolve_req, d)))

TN__PRIVATE void tn__net_req_run_blocking(tn__defer *d) {
    tn_resolve_req *q = TN__NET_REQ_OF(d);
    if (!q->cancelled) tn__net_req_lookup(q, tn__loop_alloc(q->h.loop));
    tn__net_req_complete(q);
}

TN__PRIVATE void tn__net_req_run_done(tn__defer *d) { tn__net_req_complete(TN__NET_REQ_OF(d)); }

#if TN_HAS_THREADS
TN__PRIVATE void *tn__net_resolver_worker(void *arg) {
    tn_resolver *r = (tn_resolver *)arg;
    const tn_allocator *a = tn__loop_alloc(r->h.loop);
    for (;;) {
        tn_resolve_req *q;
        tn__mutex_lock(&r->lock);
        while (!r->jobs_head && !r->stopping) tn__cond_wait(&r->cond, &r->lock);
        int stopping;
        q = r->jobs_head;
        if (!q) {   /* stopping and nothing left */
            tn__mutex_unlock(&r->lock);
            return NULL;
        }
        r->jobs_head = q->qnext;
        if (!r->jobs_head) r->jobs_tail = NULL;
        q->qnext = NULL;
        stopping = r->stopping;
        tn__mutex_unlock(&r->lock);
        if (!stopping) tn__net_req_lookup(q, a);   /* q->cancelled is read on the loop side */
        else q->status = TN_ECANCELED;
        tn__mutex_lock(&r->lock);
        if (r->done_tail) r->done_tail->qnext = q;
        else r->done_head = q;
        r->done_tail = q;
        tn__mutex_unlock(&r->lock);
        (void)tn_async_send(r->async);
    }
}

TN__PRIVATE void tn__net_resolver_on_async(tn_loop *loop, void *user) {
    tn_resolver *r = (tn_resolver *)user;
    tn_resolve_req *q;
    (void)loop;
    tn__mutex_lock(&r->lock);
    q = r->done_head;
    r->done_head = r->done_tail = NULL;
    tn__mutex_unlock(&r->lock);
    while (q) {
        tn_resolve_req *next = q->qnext;
        tn__net_req_complete(q);
        q = next;
    }
}

TN__PRIVATE int tn__net_resolver_start_threads(tn_resolver *r) {
    int i, want = r->opts.threads;
    if (r->threads) return TN_OK;
    r->threads = (tn__thread *)tn__calloc(tn__loop_alloc(r->h.loop), (size_t)want * sizeof(tn__thread));
    if (!r->threads) return TN_ENOMEM;
    for (i = 0; i < want; i++) {
        if (tn__thread_start(&r->threads[i], tn__net_resolver_worker, r) != 0) break;
        r->nthreads++;
    }
    return r->nthreads > 0 ? TN_OK : TN_ESYS;
}
#endif

TN__PRIVATE void tn__net_resolver_finalize(tn__handle *h) {
    tn_resolver *r = (tn_resolver *)h;
    tn_loop *loop = h->loop;
    tn__net_override *o = r->overrides;
    while (o) {
        tn__net_override *n = o->next;
        tn__free(tn__loop_alloc(loop), o->host);
        tn__free(tn__loop_alloc(loop), o->to);
        tn__free(tn__loop_alloc(loop), o);
        o = n;
    }
#if TN_HAS_THREADS
    if (r->opts.kind == TN_RESOLVER_THREADED) {
        tn__cond_destroy(&r->cond);
        tn__mutex_destroy(&r->lock);
        tn__free(tn__loop_alloc(loop), r->threads);
    }
#endif
    if (r->close_cb) r->close_cb(loop, r->close_user);
    tn__free(tn__loop_alloc(loop), r);
}
static const tn__handle_type tn__net_resolver_type = { "resolver", tn__net_resolver_finalize };

TN__PRIVATE void tn__net_resolver_opts_resolve(const tn_resolver_opts *in, tn_resolver_opts *o) {
    memset(o, 0, sizeof *o);
    if (in) *o = *in;
    o->threads = TN__DEF(o->threads, TORNADO_RESOLVER_THREADS);
}

TN_API int tn_resolver_new(tn_loop *loop, const tn_resolver_opts *opts, tn_resolver **out) {
    tn_resolver *r;
    if (!loop || !out) return TN_EINVAL;
    *out = NULL;
    r = (tn_resolver *)tn__calloc(tn__loop_alloc(loop), sizeof *r);
    if (!r) return TN_ENOMEM;
    tn__net_resolver_opts_resolve(opts, &r->opts);
    if (r->opts.kind != TN_RESOLVER_BLOCKING && r->opts.kind != TN_RESOLVER_THREADED) {
        tn__free(tn__loop_alloc(loop), r);
        return TN_EINVAL;
    }
    if (r->opts.kind == TN_RESOLVER_THREADED) {
#if TN_HAS_THREADS
        int rc;
        if (tn__cond_init(&r->cond) != 0) {
            tn__free(tn__loop_alloc(loop), r);
            return TN_ESYS;
        }
        if ((rc = tn__mutex_init(&r->lock)) != 0 ||
            (rc = tn_async_new(loop, tn__net_resolver_on_async, r, &r->async)) != 0) {
            tn__cond_destroy(&r->cond);
            tn__mutex_destroy(&r->lock);
            tn__free(tn__loop_alloc(loop), r);
            return rc;
        }
#else
        tn__free(tn__loop_alloc(loop), r);
        return TN_ENOTSUP;
#endif
    }
    tn__handle_init(loop, &r->h, &tn__net_resolver_type);
    *out = r;
    return TN_OK;
}

TN_API int tn_resolve(tn_loop *loop, tn_resolver *r, const char *host, int port, int family,
                      tn_resolve_cb cb, void *user, tn_resolve_req **out) {
    tn_resolve_req *q;
    tn_allocator *a;
    const tn__net_override *o = NULL;
    if (out) *out = NULL;
    if (!loop || !host || !cb || port < 0 || port > 65535) return TN_EINVAL;
    if (family != TN_AF_UNSPEC && family != TN_AF_INET && family != TN_AF_INET6) return TN_EINVAL;
    if (r && (r->h.closing || r->h.loop != loop)) return r->h.closing ? TN_ECLOSED : TN_EINVAL;
    a = tn__loop_alloc(loop);
    q = (tn_resolve_req *)tn__calloc(a, sizeof *q);
    if (!q) return TN_ENOMEM;
    q->r = r;
    q->cb = cb;
    q->user = user;
    q->port = port;
    q->family = family;
    if (r) o = tn__net_override_find(r, host, port);
    if (o) q->targets = tn__strdup(a, o->to);
    else q->host = tn__strdup(a, host);
    if (!q->targets && !q->host) {
        tn__free(a, q);
        return TN_ENOMEM;
    }
#if TN_HAS_THREADS
    if (r && r->opts.kind == TN_RESOLVER_THREADED) {
        int rc = tn__net_resolver_start_threads(r);
        if (rc != 0) {
            tn__free(a, q->targets);
            tn__free(a, q->host);
            tn__free(a, q);
            return rc;
        }
        tn__handle_init(loop, &q->h, &tn__net_resolve_req_type);
        tn__mutex_lock(&r->lock);
        if (r->jobs_tail) r->jobs_tail->qnext = q;
        else r->jobs_head = q;
        r->jobs_tail = q;
        tn__cond_signal(&r->cond);
        tn__mutex_unlock(&r->lock);
        r->h.pending++;
        if (out) *out = q;
        return TN_OK;
    }
#endif
    tn__handle_init(loop, &q->h, &tn__net_resolve_req_type);
    tn__defer_init(&q->d, tn__net_req_run_blocking, &q->h);
    tn__defer_queue(loop, &q->d);
    if (r) r->h.pending++;
    if (out) *out = q;
    return TN_OK;
}

TN_API void tn_resolve_cancel(tn_resolve_req *req) {
    if (req) req->cancelled = 1;
}

TN_API int tn_resolver_close(tn_resolver *r, tn_cb cb, void *user) {
    if (!r) return TN_EINVAL;
    if (r->h.closing) return TN_ECLOSED;
    r->close_cb = cb;
    r->close_user = user;
#if TN_HAS_THREADS
    if (r->opts.kind == TN_RESOLVER_THREADED) {
        int i;
        tn_resolve_req *q;
        /* queued jobs finish as cancelled; running lookups complete, then workers exit */
        tn__mutex_lock(&r->lock);
        for (q = r->jobs_head; q; q = q->qnext) q->cancelled = 1;
        r->stopping = 1;
        tn__cond_broadcast(&r->cond);
        tn__mutex_unlock(&r->lock);
        for (i = 0; i < r->nthreads; i++) tn__thread_join(&r->threads[i]);
        r->nthreads = 0;
        /* what finished is delivered from the loop, never inside this call */
        tn__mutex_lock(&r->lock);
        q = r->done_head;
        r->done_head = r->done_tail = NULL;
        tn__mutex_unlock(&r->lock);
        while (q) {
            tn_resolve_req *next = q->qnext;
            tn__defer_init(&q->d, tn__net_req_run_done, &q->h);
            tn__defer_queue(r->h.loop, &q->d);
            q = next;
        }
        (void)tn_async_close(r->async, NULL, NULL);
    }
#endif
    return tn__handle_close(&r->h);
}
