/* tests/win/sys/socket.h: for the Windows test build only (make build/win/...): the POSIX
   socket calls the test code makes, over Winsock. tornado.h has brought <winsock2.h> in and
   the test main (tn_test.h) has called WSAStartup. Test code written for POSIX keeps a socket
   in an int (a SOCKET handle's value fits: Win64 handles carry 32 significant bits, and -1
   widens to INVALID_SOCKET, TN_INVALID_SOCKET) and hands it to tornado.h's tn_socket (the
   SOCKET itself) by plain conversion; its close/read/write take sockets and C-runtime fds
   alike: a socket goes to closesocket/recv/send, anything else to _close/_read/_write.
   The other shims here (poll.h, netinet/, arpa/, sys/un.h, sys/resource.h) include this. */
#ifndef TN_TEST_WIN_SOCKET_H
#define TN_TEST_WIN_SOCKET_H
#include <winsock2.h>
#include <ws2tcpip.h>
#include <afunix.h>   /* struct sockaddr_un: tornado.h's own implementation includes <sys/un.h> on POSIX */
#include <windows.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdarg.h>
#include <unistd.h>
#include <sys/wait.h>   /* (the stand-ins in tests/win/sys/wait.h: fork, pipe, kill, ...) */

#define MSG_NOSIGNAL 0
#ifndef SHUT_RD
#  define SHUT_RD SD_RECEIVE
#  define SHUT_WR SD_SEND
#  define SHUT_RDWR SD_BOTH
#endif
#ifndef EINPROGRESS
#  define EINPROGRESS 112
#endif
#ifndef F_GETFL
#  define F_GETFD 1
#  define F_SETFD 2
#  define F_GETFL 3
#  define F_SETFL 4
#  define FD_CLOEXEC 1
#endif
#ifndef S_ISSOCK
#  define S_ISSOCK(m) 0
#endif
#ifndef SOCK_NONBLOCK
#  define SOCK_NONBLOCK 0x800   /* socket(): made non-blocking with ioctlsocket */
#endif
#ifndef O_NONBLOCK
#  define O_NONBLOCK 0x40000000   /* apart from the C runtime's _O_* bits */
#endif

/* Winsock's argument types (char * buffers, int lengths) */
#define send(s, b, n, f) send((SOCKET)(s), (const char *)(b), (int)(n), f)
#define recv(s, b, n, f) recv((SOCKET)(s), (char *)(b), (int)(n), f)
#define setsockopt(s, l, o, v, n) setsockopt((SOCKET)(s), l, o, (const char *)(v), (int)(n))
#define getsockopt(s, l, o, v, n) getsockopt((SOCKET)(s), l, o, (char *)(v), n)

/* errno from the last Winsock error, for test code that reads errno after a call */
__attribute__((unused)) static void tn_win_errno(void) {
    switch (WSAGetLastError()) {
    case WSAEWOULDBLOCK: errno = EAGAIN; break;
    case WSAEINPROGRESS: errno = EINPROGRESS; break;
    case WSAECONNRESET: case WSAECONNABORTED: errno = ECONNRESET; break;
    case WSAECONNREFUSED: errno = ECONNREFUSED; break;
    case WSAETIMEDOUT: errno = ETIMEDOUT; break;
    case WSAEBADF: case WSAENOTSOCK: errno = EBADF; break;
    default: errno = EIO; break;
    }
}

__attribute__((unused)) static int tn_win_is_socket(int fd) {
    int type = 0, len = (int)sizeof type;
    int saved = WSAGetLastError(), r;
    r = fd >= 0 && getsockopt((SOCKET)fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
    WSASetLastError(saved);
    return r;
}

__attribute__((unused)) static int tn_win_close(int fd) {
    if (tn_win_is_socket(fd)) return closesocket((SOCKET)fd) == 0 ? 0 : (tn_win_errno(), -1);
    return _close(fd);
}

__attribute__((unused)) static long tn_win_read(int fd, void *buf, size_t n) {
    if (tn_win_is_socket(fd)) {
        int k = recv(fd, buf, n, 0);
        if (k < 0) tn_win_errno();
        return k;
    }
    return _read(fd, buf, (unsigned)n);
}

__attribute__((unused)) static long tn_win_write(int fd, const void *buf, size_t n) {
    if (tn_win_is_socket(fd)) {
        int k = send(fd, buf, n, 0);
        if (k < 0) tn_win_errno();
        return k;
    }
    return _write(fd, buf, (unsigned)n);
}

__attribute__((unused)) static SOCKET tn_win_socket(int domain, int type, int protocol) {
    SOCKET s = socket(domain, type & ~SOCK_NONBLOCK, protocol);
    u_long one = 1;
    if (s != INVALID_SOCKET && (type & SOCK_NONBLOCK)) ioctlsocket(s, FIONBIO, &one);
    return s;
}

__attribute__((unused)) static int tn_win_connect(int fd, const struct sockaddr *sa, int len) {
    int r = connect((SOCKET)fd, sa, len);
    if (r != 0) {
        tn_win_errno();
        if (WSAGetLastError() == WSAEWOULDBLOCK) errno = EINPROGRESS;   /* a non-blocking connect */
    }
    return r;
}

/* fcntl: O_NONBLOCK on sockets (ioctlsocket); reading it back is not possible on Windows */
__attribute__((unused)) static int tn_win_fcntl(int fd, int cmd, ...) {
    va_list ap;
    int arg;
    u_long nb;
    va_start(ap, cmd);
    arg = cmd == F_SETFL || cmd == F_SETFD ? va_arg(ap, int) : 0;
    va_end(ap);
    if (cmd == F_SETFL) {
        nb = (arg & O_NONBLOCK) ? 1 : 0;
        return ioctlsocket((SOCKET)fd, FIONBIO, &nb) == 0 ? 0 : (tn_win_errno(), -1);
    }
    if (cmd == F_GETFL || cmd == F_GETFD || cmd == F_SETFD) return 0;
    errno = EINVAL;
    return -1;
}

/* A connected pair of TCP sockets on 127.0.0.1 (Windows has no socketpair): the stream
   tests' peers. domain, type and protocol are not looked at. The buffers are kept near a
   unix socketpair's (a loopback TCP connection's grow to megabytes), so a peer that does not
   read fills them soon, as the tests expect. */
__attribute__((unused)) static int tn_win_socketpair(int domain, int type, int protocol, int sv[2]) {
    struct sockaddr_in sa;
    int len = (int)sizeof sa, one = 1, buf = 128 * 1024;
    SOCKET l = socket(AF_INET, SOCK_STREAM, 0), a = INVALID_SOCKET, c = INVALID_SOCKET;
    (void)domain; (void)type; (void)protocol;
    if (l == INVALID_SOCKET) return -1;
    setsockopt(l, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);   /* inherited by the accepted one */
    setsockopt(l, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(l, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(l, 1) != 0 ||
        getsockname(l, (struct sockaddr *)&sa, &len) != 0)
        goto fail;
    if ((c = socket(AF_INET, SOCK_STREAM, 0)) == INVALID_SOCKET) goto fail;
    setsockopt(c, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    setsockopt(c, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    if (connect(c, (struct sockaddr *)&sa, sizeof sa) != 0) goto fail;
    if ((a = accept(l, NULL, NULL)) == INVALID_SOCKET) goto fail;
    closesocket(l);
    setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sv[0] = (int)a;
    sv[1] = (int)c;
    return 0;
fail:
    tn_win_errno();
    closesocket(l);
    if (c != INVALID_SOCKET) closesocket(c);
    return -1;
}

/* POSIX's two-argument mkdir (the mode is not used) */
#include <direct.h>
#define mkdir(path, mode) _mkdir(path)

#define close(fd) tn_win_close(fd)
#define read(fd, b, n) tn_win_read(fd, b, n)
#define write(fd, b, n) tn_win_write(fd, b, n)
#define socket(d, t, p) tn_win_socket(d, t, p)
#define connect(fd, sa, n) tn_win_connect((int)(fd), sa, (int)(n))
#define fcntl tn_win_fcntl
#define socketpair tn_win_socketpair
#endif
