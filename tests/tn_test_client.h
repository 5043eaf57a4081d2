/* tn_test_client.h: a blocking HTTP/1.1 test client: connect, send, receive until N responses
   or close, parse a response (status, headers, decoded body), look up headers.

   Include after tornado.h and tn_test.h:
       #define TORNADO_IMPLEMENTATION
       #include "../tornado.h"
       #include "tn_test.h"
       #include "tn_test_client.h"

   Responses are framed and parsed with the library's own tn_http_parse_response and
   tn_http_decode_chunked. Failures that mean the test is broken (a failed connect or send, a
   body larger than cli_resp holds) end the case with TN_CHECK. Every helper is static and
   TN_TEST_UNUSED, so a file may use only some of them. */
#ifndef TN_TEST_CLIENT_H
#define TN_TEST_CLIENT_H

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#define CLI_MAX_HEADERS 64
#define CLI_MAX_BODY 16384

/* ---- connect and send ---- */

/* Connect to 127.0.0.1:port, with TCP_NODELAY. rcvbuf > 0 sets SO_RCVBUF before connecting
   (so the window is scaled to it); 0 keeps the default. */
TN_TEST_UNUSED static int cli_connect(int port, int rcvbuf) {
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (rcvbuf) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(0x7f000001);
    TN_CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* Send s[0..n) whole; a failed send fails the case. */
TN_TEST_UNUSED static void cli_send(int fd, const char *s, size_t n) {
    size_t off = 0;
    while (off < n) {
        ssize_t k = send(fd, s + off, n - off, MSG_NOSIGNAL);
        TN_CHECK(k > 0);
        off += (size_t)k;
    }
}

TN_TEST_UNUSED static void cli_sends(int fd, const char *s) { cli_send(fd, s, strlen(s)); }

/* Send as much as the server takes: it may answer (413, 431, ...) and close before the
   client is done sending, which is its right. */
TN_TEST_UNUSED static void cli_send_lenient(int fd, const char *s, size_t n) {
    size_t off = 0;
    while (off < n) {
        ssize_t k = send(fd, s + off, n - off, MSG_NOSIGNAL);
        if (k <= 0) return;
        off += (size_t)k;
    }
}

/* ---- parse ---- */

/* A parsed response: status, header fields (pointing into the parsed buffer), decoded body. */
typedef struct cli_resp {
    int status;
    tn_http_header h[CLI_MAX_HEADERS];
    size_t nh;
    char body[CLI_MAX_BODY];   /* NUL-terminated */
    size_t blen;
} cli_resp;

/* Parse the response head at buf[0..len) into *p, its fields into h[0..CLI_MAX_HEADERS).
   head: it answers a HEAD request (so it has no body). Returns tn_http_parse_response's
   result: the head's length (> 0), TN_EINCOMPLETE or an error code. */
TN_TEST_UNUSED static int cli_parse_head(const char *buf, size_t len, int head, tn_http_response *p,
                                         tn_http_header *h) {
    memset(p, 0, sizeof *p);
    p->headers = h;
    p->max_headers = CLI_MAX_HEADERS;
    if (head) p->request_method = tn_str_c("HEAD");
    return tn_http_parse_response(buf, len, p);
}

/* One complete response at buf[0..len), after any interim 1xx responses (not 101): status and
   fields into r, and the decoded body too when keep_body (it must fit in r->body). head: it
   answers a HEAD request; eof: the peer has closed, so a body delimited by the close is
   complete. Returns the bytes it took, interim responses included (> 0), or 0 while it is
   incomplete (or malformed). */
TN_TEST_UNUSED static size_t cli__parse(const char *buf, size_t len, int head, int eof, int keep_body,
                                        cli_resp *r) {
    tn_http_response p;
    size_t off = 0;
    int rc;
    do {
        rc = cli_parse_head(buf + off, len - off, head, &p, r->h);
        if (rc <= 0) return 0;
        off += (size_t)rc;
    } while (p.status < 200 && p.status != 101);
    r->status = p.status;
    r->nh = p.num_headers;
    r->blen = 0;
    if (p.body_kind == TN_HTTP_BODY_LENGTH) {
        if (len - off < p.content_length) return 0;
        if (keep_body) {
            TN_CHECK(p.content_length < sizeof r->body);
            memcpy(r->body, buf + off, (size_t)p.content_length);
            r->blen = (size_t)p.content_length;
        }
        off += (size_t)p.content_length;
    } else if (p.body_kind == TN_HTTP_BODY_CHUNKED) {
        tn_http_chunked dec;
        size_t l = len - off;
        char *copy = (char *)malloc(l + 1);   /* decoded in place: leave buf as it came */
        memset(&dec, 0, sizeof dec);
        memcpy(copy, buf + off, l);
        rc = tn_http_decode_chunked(&dec, copy, &l);
        if (rc >= 0 && keep_body) {
            TN_CHECK(l < sizeof r->body);
            memcpy(r->body, copy, l);
            r->blen = l;
        }
        free(copy);
        if (rc < 0) return 0;
        off = len - (size_t)rc;
    } else if (p.body_kind == TN_HTTP_BODY_UNTIL_CLOSE) {
        if (!eof) return 0;
        if (keep_body) {
            TN_CHECK(len - off < sizeof r->body);
            memcpy(r->body, buf + off, len - off);
            r->blen = len - off;
        }
        off = len;
    }
    if (keep_body) r->body[r->blen] = 0;
    return off;
}

/* Parse one complete response at buf[0..len) into r (see cli__parse for head and eof).
   Returns the bytes it took (> 0), or 0 while it is incomplete (or malformed). */
TN_TEST_UNUSED static size_t cli_parse_resp(const char *buf, size_t len, int head, int eof, cli_resp *r) {
    return cli__parse(buf, len, head, eof, 1, r);
}

/* Complete final responses at the start of buf[0..len) (head: they answer HEAD requests). */
TN_TEST_UNUSED static int cli_complete_responses(const char *buf, size_t len, int head) {
    cli_resp r;
    size_t off = 0, k;
    int n = 0;
    while ((k = cli__parse(buf + off, len - off, head, 0, 0, &r)) > 0) {
        off += k;
        n++;
    }
    return n;
}

/* ---- receive ---- */

/* Wait up to timeout_ms for bytes and read what is there into buf[0..cap) (cap > 0).
   Returns the bytes read (> 0), 0 if the peer closed (or the connection failed), -1 if
   nothing came in time. */
TN_TEST_UNUSED static long cli_recv_some(int fd, void *buf, size_t cap, int timeout_ms) {
    struct pollfd p;
    ssize_t k;
    p.fd = fd;
    p.events = POLLIN;
    if (poll(&p, 1, timeout_ms) <= 0) return -1;
    k = recv(fd, buf, cap, 0);
    return k > 0 ? (long)k : 0;
}

/* Read into buf until `want` complete responses have arrived (0: until the peer closes), the
   peer closes, timeout_ms passes or buf is full; buf stays NUL-terminated (cap - 1 bytes at
   most). head: the responses answer HEAD requests. Returns the bytes read; *closed says
   whether the peer closed. */
TN_TEST_UNUSED static size_t cli_recv_resp(int fd, char *buf, size_t cap, int timeout_ms, int *closed,
                                           int want, int head) {
    size_t len = 0;
    uint64_t end = tn_time_ms() + (uint64_t)timeout_ms;
    *closed = 0;
    buf[0] = 0;
    while (len < cap - 1) {
        int wait = (int)(end > tn_time_ms() ? end - tn_time_ms() : 0);
        long k;
        if (want > 0 && cli_complete_responses(buf, len, head) >= want) break;
        if (wait <= 0 || (k = cli_recv_some(fd, buf + len, cap - 1 - len, wait)) < 0) break;
        if (k == 0) {
            *closed = 1;
            break;
        }
        len += (size_t)k;
        buf[len] = 0;
    }
    return len;
}

TN_TEST_UNUSED static size_t cli_recv_n(int fd, char *buf, size_t cap, int timeout_ms, int *closed, int want) {
    return cli_recv_resp(fd, buf, cap, timeout_ms, closed, want, 0);
}

/* Read until the peer closes or timeout_ms passes. */
TN_TEST_UNUSED static size_t cli_recv(int fd, char *buf, size_t cap, int timeout_ms, int *closed) {
    return cli_recv_resp(fd, buf, cap, timeout_ms, closed, 0, 0);
}

/* ---- headers ---- */

/* The n-th (0-based) field named name (ASCII case-insensitive) in h[0..nh), or NULL. */
TN_TEST_UNUSED static const tn_http_header *cli_find_hdr(const tn_http_header *h, size_t nh, const char *name,
                                                         int n) {
    size_t i;
    for (i = 0; i < nh; i++)
        if (tn_str_ieq(h[i].name, tn_str_c(name)) && n-- == 0) return &h[i];
    return NULL;
}

/* The n-th (0-based) value of header name in r, NUL-terminated in one of four static buffers
   (the last four results stay valid), or NULL. */
TN_TEST_UNUSED static const char *cli_hdr_n(const cli_resp *r, const char *name, int n) {
    static char out[4][1024];
    static int slot;
    const tn_http_header *f = cli_find_hdr(r->h, r->nh, name, n);
    char *o;
    if (!f) return NULL;
    o = out[slot++ % 4];
    snprintf(o, 1024, "%.*s", (int)f->value.len, f->value.ptr);
    return o;
}

TN_TEST_UNUSED static const char *cli_hdr(const cli_resp *r, const char *name) { return cli_hdr_n(r, name, 0); }

/* ---- external peers (curl, python3, nginx, tinyproxy): interop tests skip when one is missing ---- */
/* TN_LINUX_PEER(what): the case needs an external program. The Windows build (run under
   wine) starts no Linux peers: there the case skips, naming it (the Linux builds run it);
   have_cmd, spawn and run_cmd do the same. Elsewhere it does nothing. */
#if defined(_WIN32)
#  define TN_LINUX_PEER(what) \
    TN_SKIP("needs %s, a Linux peer: the Windows build under wine starts none (the Linux builds run this case)", what)
#else
#  define TN_LINUX_PEER(what) ((void)0)
#endif
#if defined(_WIN32)
TN_TEST_UNUSED static int have_cmd(const char *cmd) {
    TN_LINUX_PEER(cmd);
    return 0;
}
#else
TN_TEST_UNUSED static int have_cmd(const char *cmd) {
    char line[256];
    snprintf(line, sizeof line, "command -v %s >/dev/null 2>&1 || test -x /usr/sbin/%s", cmd, cmd);
    return system(line) == 0;
}
#endif

/* A free port on 127.0.0.1 (bound, read, released) for a peer that cannot take port 0. */
TN_TEST_UNUSED static int free_port(void) {
    tn_socket fd;
    size_t n;
    tn_addr ad;
    TN_OK_RC(tn_bind_sockets("127.0.0.1", 0, NULL, &fd, 1, &n));
    TN_OK_RC(tn_socket_local_addr(fd, &ad));
    tn_socket_close(fd);
    return tn_addr_port(&ad);
}

/* Wait until something accepts on 127.0.0.1:port (ms budget). Returns 1 if it did. */
TN_TEST_UNUSED static int wait_port(int port, int ms) {
    double end = tn_test_ms() + ms;
    while (tn_test_ms() < end) {
        struct sockaddr_in sa;
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        memset(&sa, 0, sizeof sa);
        sa.sin_family = AF_INET;
        sa.sin_port = htons((unsigned short)port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
            close(fd);
            return 1;
        }
        close(fd);
        usleep(20000);
    }
    return 0;
}

#if defined(_WIN32)
/* Start argv (a Windows program: a .exe, e.g. an example's Windows build; anything else is a
   Linux peer and the case skips) with stdout and stderr to the file log. It runs in a job
   that dies with the test process, so a failing case takes its peer along. The "pid" is
   the process handle. */
TN_TEST_UNUSED static pid_t spawn(char *const argv[], const char *log) {
    static HANDLE job;
    char cmd[2048];
    size_t n = 0;
    int i;
    const char *dot = strrchr(argv[0], '.');
    SECURITY_ATTRIBUTES sa;
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    HANDLE out;
    if (!dot || strcmp(dot, ".exe") != 0) TN_LINUX_PEER(argv[0]);
    for (i = 0; argv[i]; i++) {
        n += (size_t)snprintf(cmd + n, sizeof cmd - n, "%s\"%s\"", i ? " " : "", argv[i]);
        TN_CHECK(n < sizeof cmd);
    }
    memset(&sa, 0, sizeof sa);
    sa.nLength = sizeof sa;
    sa.bInheritHandle = TRUE;
    out = CreateFileA(log, GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, CREATE_ALWAYS,
                      FILE_ATTRIBUTE_NORMAL, NULL);
    TN_CHECKF(out != INVALID_HANDLE_VALUE, "cannot create %s", log);
    if (!job) {
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION li;
        TN_CHECK((job = CreateJobObjectA(NULL, NULL)) != NULL);
        memset(&li, 0, sizeof li);
        li.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        (void)SetInformationJobObject(job, JobObjectExtendedLimitInformation, &li, sizeof li);
    }
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
    si.hStdOutput = si.hStdError = out;
    TN_CHECKF(CreateProcessA(NULL, cmd, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &si, &pi),
              "cannot start %s", argv[0]);
    (void)AssignProcessToJobObject(job, pi.hProcess);
    ResumeThread(pi.hThread);
    CloseHandle(pi.hThread);
    CloseHandle(out);
    return (pid_t)(intptr_t)pi.hProcess;
}

/* Stop a peer started by spawn and wait for it. */
TN_TEST_UNUSED static void reap(pid_t pid) {
    HANDLE h = (HANDLE)(intptr_t)pid;
    if (!h) return;
    (void)TerminateProcess(h, 1);
    (void)WaitForSingleObject(h, 5000);
    CloseHandle(h);
}
TN_TEST_UNUSED static size_t run_cmd(const char *cmd, char *out, size_t cap) {
    (void)out; (void)cap;
    TN_LINUX_PEER(cmd);
    return 0;
}
#else
/* Start argv as a child in its own process group, stdout and stderr to the file log; on
   Linux it dies with the test process (a failing case takes its peer along). */
TN_TEST_UNUSED static pid_t spawn(char *const argv[], const char *log) {
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        setpgid(0, 0);
#if defined(__linux__)
        prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Stop a peer started by spawn (its whole process group) and wait for it. */
TN_TEST_UNUSED static void reap(pid_t pid) {
    int st;
    if (pid <= 0) return;
    kill(-pid, SIGTERM);
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
}

/* Run a shell command; its standard output (up to cap - 1 bytes, NUL-terminated) into out. */
TN_TEST_UNUSED static size_t run_cmd(const char *cmd, char *out, size_t cap) {
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    TN_CHECK(p != NULL);
    while (n < cap - 1) {
        size_t k = fread(out + n, 1, cap - 1 - n, p);
        if (k == 0) break;
        n += k;
    }
    out[n] = 0;
    pclose(p);
    return n;
}
#endif

#endif /* TN_TEST_CLIENT_H */
