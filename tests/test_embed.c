/* test_embed.c: a loop living inside someone else's loop. The host (this file) owns the
   only blocking wait, a plain poll(), over the fds tn_loop_poll_fds lists (or the backend's
   one pollable fd) plus its own; after each wait it calls tn_loop_run_once(loop, 0), which
   must never block. Served over real sockets on 127.0.0.1: a TCP echo and an HTTP request;
   timers and a cross-thread tn_loop_post wake the host's wait on time. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "tn_test.h"
#if defined(_WIN32)
/* the host is a WSAPoll loop (tornado.h brought <winsock2.h> in) */
#  define poll(p, n, t) WSAPoll(p, n, t)
typedef ULONG nfds_t;
typedef HANDLE host_thread;
#  define MSG_NOSIGNAL 0
#  define host_close(fd) closesocket((SOCKET)(fd))
static int host_nonblock(int fd) { u_long one = 1; return ioctlsocket((SOCKET)fd, FIONBIO, &one); }
static int host_in_progress(void) { return WSAGetLastError() == WSAEWOULDBLOCK; }
static DWORD WINAPI host_thread_main(LPVOID arg);
static void *post_later(void *u);
static int host_thread_start(host_thread *t, void *arg) {
    return (*t = CreateThread(NULL, 0, host_thread_main, arg, 0, NULL)) ? 0 : -1;
}
static void *host_thread_result;
static int host_thread_join(host_thread t, void **res) {
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
    *res = host_thread_result;
    return 0;
}
static DWORD WINAPI host_thread_main(LPVOID arg) { host_thread_result = post_later(arg); return 0; }
static void host_sleep_ms(int ms) { Sleep((DWORD)ms); }
#else
#  include <poll.h>
#  include <pthread.h>
#  include <sys/socket.h>
#  include <netinet/in.h>
#  include <arpa/inet.h>
#  include <fcntl.h>
#  include <unistd.h>
typedef pthread_t host_thread;
#  define host_close(fd) close(fd)
static int host_nonblock(int fd) { return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }
static int host_in_progress(void) { return errno == EINPROGRESS; }
static void *post_later(void *u);
static int host_thread_start(host_thread *t, void *arg) { return pthread_create(t, NULL, post_later, arg); }
static int host_thread_join(host_thread t, void **res) { return pthread_join(t, res); }
static void host_sleep_ms(int ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (long)(ms % 1000) * 1000000;
    nanosleep(&ts, NULL);
}
#endif

#define MAXFDS 64

typedef struct host {
    tn_loop *loop;
    int use_backend_fd;      /* poll the backend's fd instead of the listed fds */
    int runs, max_run_us;    /* tn_loop_run_once(loop, 0) calls and the longest one */
    int stalls;              /* waits that ran to the host's cap with nothing ready */
} host;

/* One turn of the host's loop: wait (at most cap_ms, and no longer than the loop allows)
   for the loop's fds and the host's own fd, then let the loop work without blocking.
   Returns the host fd's revents. */
static short host_turn(host *h, int own_fd, short own_events, int cap_ms) {
    struct pollfd p[MAXFDS + 1];
    tn_pollfd lf[MAXFDS];
    size_t n = 0, i, total;
    int ms = tn_loop_next_timeout(h->loop), rc;
    short own = 0;
    uint64_t t0;
    if (ms < 0 || ms > cap_ms) ms = cap_ms;
    if (h->use_backend_fd) {
        p[n].fd = tn_loop_backend_fd(h->loop);
        p[n].events = POLLIN;
        n++;
    } else {
        total = tn_loop_poll_fds(h->loop, lf, MAXFDS);
        TN_CHECKF(total <= MAXFDS, "%zu fds listed", total);
        for (i = 0; i < total; i++, n++) {
            p[n].fd = lf[i].fd;
            p[n].events = (short)(((lf[i].events & TN_EV_READ) ? POLLIN : 0) |
                                  ((lf[i].events & TN_EV_WRITE) ? POLLOUT : 0));
        }
    }
    if (own_fd >= 0) {
        p[n].fd = own_fd;
        p[n].events = own_events;
        n++;
    }
    rc = poll(p, (nfds_t)n, ms);
    TN_CHECK(rc >= 0);
    if (rc == 0 && ms == cap_ms) h->stalls++;
    if (own_fd >= 0) own = p[n - 1].revents;
    t0 = tn_time_ns();
    rc = tn_loop_run_once(h->loop, 0);
    TN_CHECKF(rc >= 0, "run_once: %s", tn_strerror(rc));
    t0 = (tn_time_ns() - t0) / 1000;
    if ((int)t0 > h->max_run_us) h->max_run_us = (int)t0;
    h->runs++;
    return own;
}

static int host_connect(int port) {
    struct sockaddr_in a;
    int fd = (int)socket(AF_INET, SOCK_STREAM, 0), rc;
    TN_CHECK(fd >= 0);
    TN_CHECK(host_nonblock(fd) == 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    TN_CHECK(rc == 0 || host_in_progress());
    return fd;
}

/* The host sends out[0..n) and reads until it has want bytes (or the peer closes), every
   wait in host_turn; returns the bytes read. */
static size_t host_exchange(host *h, int fd, const char *out, size_t n, char *in, size_t want, uint64_t limit_ms) {
    size_t sent = 0, got = 0;
    uint64_t deadline = tn_time_ms() + limit_ms;
    while (got < want && tn_time_ms() < deadline) {
        short ev = host_turn(h, fd, (short)(POLLIN | (sent < n ? POLLOUT : 0)), 1000);
        if ((ev & POLLOUT) && sent < n) {
            long w = (long)send(fd, out + sent, (int)(n - sent), MSG_NOSIGNAL);
            if (w > 0) sent += (size_t)w;
        }
        if (ev & (POLLIN | POLLHUP)) {
            long r = (long)recv(fd, in + got, (int)(want - got), 0);
            if (r == 0) break;
            if (r > 0) got += (size_t)r;
        }
    }
    return got;
}

/* ---- a TCP echo served from the host's loop ---- */
static void echo_read(tn_stream *s, int status, tn_str data, void *user);
static void echo_start(tn_stream *s) {
    if (tn_stream_read_bytes(s, 65536, TN_READ_PARTIAL, echo_read, NULL) != 0) tn_stream_close(s, NULL, NULL);
}
static void echo_read(tn_stream *s, int status, tn_str data, void *user) {
    (void)user;
    if (status < 0) return;
    if (tn_stream_write(s, data.ptr, data.len, NULL, NULL) != 0) tn_stream_close(s, NULL, NULL);
    else echo_start(s);
}
static void echo_conn(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    (void)srv; (void)peer; (void)user;
    echo_start(s);
}

static void closed_flag(tn_loop *loop, void *user) { (void)loop; *(int *)user = 1; }

static void echo_through_host(int use_backend_fd) {
    enum { N = 1 << 20 };
    host h;
    tn_tcp_server *srv;
    char *out = (char *)malloc(N), *in = (char *)malloc(N);
    size_t i, got;
    int fd, closed = 0;
    uint64_t end;
    memset(&h, 0, sizeof h);
    h.use_backend_fd = use_backend_fd;
    TN_OK_RC(tn_loop_new(NULL, &h.loop));
    TN_OK_RC(tn_tcp_server_new(h.loop, NULL, echo_conn, NULL, &srv));
    TN_OK_RC(tn_tcp_server_listen(srv, "127.0.0.1", 0));
    for (i = 0; i < N; i++) out[i] = (char)(i * 7 + (i >> 9));
    fd = host_connect(tn_tcp_server_port(srv));
    got = host_exchange(&h, fd, out, N, in, N, 10000);
    TN_EQ_INT((int)got, N);
    TN_CHECK(memcmp(in, out, N) == 0);
    /* every wait ended because something was ready: the listed fds (or the backend fd)
       cover everything the loop waits on */
    TN_EQ_INT(h.stalls, 0);
    /* run_once(loop, 0) never waited: each call returned within the time it had work for */
    TN_CHECKF(h.max_run_us < 1000000, "a run_once(0) took %d us", h.max_run_us);
    host_close(fd);
    TN_OK_RC(tn_tcp_server_close(srv, closed_flag, &closed));
    end = tn_time_ms() + 5000;
    while ((!closed || tn_loop_alive(h.loop) > 0) && tn_time_ms() < end) (void)host_turn(&h, -1, 0, 50);
    TN_CHECK(closed);
    TN_OK_RC(tn_loop_free(h.loop));
    free(out);
    free(in);
}

TN_TEST(echo_from_outside_poll_listed_fds) { echo_through_host(0); }

/* The backend's single fd (epoll) is enough for the host; backends without one say so. */
TN_TEST(echo_from_outside_poll_backend_fd) {
    tn_loop *loop;
    TN_OK_RC(tn_loop_new(NULL, &loop));
    if (strcmp(tn_loop_backend(loop), "epoll") == 0) {
        TN_CHECK(tn_loop_backend_fd(loop) != TN_INVALID_SOCKET);
        TN_OK_RC(tn_loop_free(loop));
        echo_through_host(1);
    } else {
        TN_EQ_INT(tn_loop_backend_fd(loop), TN_INVALID_SOCKET);   /* the host lists the fds */
        TN_OK_RC(tn_loop_free(loop));
    }
}

/* ---- an HTTP request served from the host's loop ---- */
static void hello(tn_request *req, void *user) {
    (void)user;
    tn_respond(req, 200, "text/plain", "embedded hello", 14);
}

TN_TEST(http_request_from_outside_poll) {
    static const char req[] = "GET /hi HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    host h;
    tn_http_server *srv;
    char in[4096];
    size_t got;
    int fd, closed = 0;
    uint64_t end;
    memset(&h, 0, sizeof h);
    TN_OK_RC(tn_loop_new(NULL, &h.loop));
    TN_OK_RC(tn_http_server_new(h.loop, NULL, hello, NULL, &srv));
    TN_OK_RC(tn_http_server_listen(srv, "127.0.0.1", 0));
    fd = host_connect(tn_http_server_port(srv));
    got = host_exchange(&h, fd, req, sizeof req - 1, in, sizeof in - 1, 10000);
    in[got] = 0;
    TN_CHECKF(strncmp(in, "HTTP/1.1 200 OK\r\n", 17) == 0, "got: %s", in);
    TN_CHECKF(strstr(in, "\r\n\r\nembedded hello") != NULL, "got: %s", in);
    TN_EQ_INT(h.stalls, 0);
    host_close(fd);
    TN_OK_RC(tn_http_server_close(srv, 0, closed_flag, &closed));
    end = tn_time_ms() + 5000;
    while ((!closed || tn_loop_alive(h.loop) > 0) && tn_time_ms() < end) (void)host_turn(&h, -1, 0, 50);
    TN_CHECK(closed);
    TN_OK_RC(tn_loop_free(h.loop));
}

/* ---- the host's wait ends when the loop needs it: timers, deferred, posts ---- */
static void set_flag(tn_loop *loop, void *user) { (void)loop; *(int *)user = 1; }

static void *post_later(void *u) {
    host *h = (host *)u;
    static int flag;
    host_sleep_ms(100);
    if (tn_loop_post(h->loop, set_flag, &flag) != 0) abort();
    return &flag;
}

TN_TEST(next_timeout_timers_defer_and_post) {
    host h;
    int fired = 0, deferred = 0, ms, turns;
    uint64_t t0, took;
    host_thread th;
    void *flagp;
    memset(&h, 0, sizeof h);
    TN_OK_RC(tn_loop_new(NULL, &h.loop));
    TN_EQ_INT(tn_loop_next_timeout(h.loop), -1);          /* nothing scheduled: I/O only */
    TN_OK_RC(tn_loop_call_later(h.loop, 200, set_flag, &fired, NULL));
    ms = tn_loop_next_timeout(h.loop);
    TN_CHECKF(ms > 150 && ms <= 200, "next timeout %d ms", ms);
    TN_OK_RC(tn_loop_defer(h.loop, set_flag, &deferred));
    TN_EQ_INT(tn_loop_next_timeout(h.loop), 0);            /* a deferred callback: now */
    (void)host_turn(&h, -1, 0, 5000);
    TN_CHECK(deferred && !fired);
    /* the host waits exactly as long as the loop says: the timer fires on time, one wait */
    t0 = tn_time_ms();
    for (turns = 0; !fired && turns < 10; turns++) (void)host_turn(&h, -1, 0, 5000);
    took = tn_time_ms() - t0;
    TN_CHECK(fired);
    TN_CHECKF(turns <= 2, "%d turns", turns);
    TN_CHECKF(took >= 150 && took < 1000, "timer after %lu ms", (unsigned long)took);
    /* a post from another thread ends a host wait of 5 s (the wakeup fd is listed) */
    TN_EQ_INT(tn_loop_next_timeout(h.loop), -1);
    TN_CHECK(host_thread_start(&th, &h) == 0);
    t0 = tn_time_ms();
    (void)host_turn(&h, -1, 0, 5000);
    took = tn_time_ms() - t0;
    TN_CHECK(host_thread_join(th, &flagp) == 0);
    if (!*(int *)flagp) (void)host_turn(&h, -1, 0, 0);     /* woke before the callback ran */
    TN_CHECK(*(int *)flagp);
    TN_CHECKF(took < 2000, "the post woke the host after %lu ms", (unsigned long)took);
    TN_OK_RC(tn_loop_free(h.loop));
}

TN_TESTS(
    TN_CASE(echo_from_outside_poll_listed_fds),
    TN_CASE(echo_from_outside_poll_backend_fd),
    TN_CASE(http_request_from_outside_poll),
    TN_CASE(next_timeout_timers_defer_and_post)
)
