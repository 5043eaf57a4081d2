/* tests/firmware/link_stub.c: a LINK STUB, not an implementation. make test links the
   Cortex-M4 firmware builds (examples/firmware/firmware.c, tools/size/ programs) with it because
   Debian ships lwIP's headers but no lwIP library built for ARM, and a bare-metal link has
   no board. Every function here only makes the link complete: the sockets fail (ENOSYS),
   the clock stands still. On a board, lwIP's sources, the RTOS and the BSP provide these.
   Built with the lwIP headers, so each signature is checked against lwIP's own. */
#include <lwip/opt.h>
#include <lwip/sockets.h>
#include <lwip/sys.h>
#include <lwip/tcpip.h>
#include <lwip/def.h>
#if LWIP_DNS
#  include <lwip/netdb.h>
#endif
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#define TN_STUB_FAIL(rv) do { errno = ENOSYS; return (rv); } while (0)

/* ---- lwIP's socket API (lwip/sockets.h, lwip/netdb.h) ---- */
int lwip_socket(int domain, int type, int protocol) { (void)domain; (void)type; (void)protocol; TN_STUB_FAIL(-1); }
int lwip_bind(int s, const struct sockaddr *name, socklen_t namelen) { (void)s; (void)name; (void)namelen; TN_STUB_FAIL(-1); }
int lwip_listen(int s, int backlog) { (void)s; (void)backlog; TN_STUB_FAIL(-1); }
int lwip_accept(int s, struct sockaddr *addr, socklen_t *addrlen) { (void)s; (void)addr; (void)addrlen; TN_STUB_FAIL(-1); }
int lwip_connect(int s, const struct sockaddr *name, socklen_t namelen) { (void)s; (void)name; (void)namelen; TN_STUB_FAIL(-1); }
int lwip_shutdown(int s, int how) { (void)s; (void)how; TN_STUB_FAIL(-1); }
int lwip_close(int s) { (void)s; TN_STUB_FAIL(-1); }
int lwip_getpeername(int s, struct sockaddr *name, socklen_t *namelen) { (void)s; (void)name; (void)namelen; TN_STUB_FAIL(-1); }
int lwip_getsockname(int s, struct sockaddr *name, socklen_t *namelen) { (void)s; (void)name; (void)namelen; TN_STUB_FAIL(-1); }
int lwip_getsockopt(int s, int level, int optname, void *optval, socklen_t *optlen) {
    (void)s; (void)level; (void)optname; (void)optval; (void)optlen; TN_STUB_FAIL(-1);
}
int lwip_setsockopt(int s, int level, int optname, const void *optval, socklen_t optlen) {
    (void)s; (void)level; (void)optname; (void)optval; (void)optlen; TN_STUB_FAIL(-1);
}
ssize_t lwip_recv(int s, void *mem, size_t len, int flags) { (void)s; (void)mem; (void)len; (void)flags; TN_STUB_FAIL(-1); }
ssize_t lwip_send(int s, const void *data, size_t size, int flags) { (void)s; (void)data; (void)size; (void)flags; TN_STUB_FAIL(-1); }
ssize_t lwip_sendmsg(int s, const struct msghdr *msg, int flags) { (void)s; (void)msg; (void)flags; TN_STUB_FAIL(-1); }
int lwip_fcntl(int s, int cmd, int val) { (void)s; (void)cmd; (void)val; TN_STUB_FAIL(-1); }
int lwip_poll(struct pollfd *fds, nfds_t nfds, int timeout) { (void)fds; (void)nfds; (void)timeout; TN_STUB_FAIL(-1); }
const char *lwip_inet_ntop(int af, const void *src, char *dst, socklen_t size) {
    (void)af; (void)src; (void)dst; (void)size; TN_STUB_FAIL(NULL);
}
int lwip_inet_pton(int af, const char *src, void *dst) { (void)af; (void)src; (void)dst; return 0; }
#if LWIP_DNS
int lwip_getaddrinfo(const char *nodename, const char *servname, const struct addrinfo *hints, struct addrinfo **res) {
    (void)nodename; (void)servname; (void)hints; *res = NULL; return EAI_FAIL;
}
void lwip_freeaddrinfo(struct addrinfo *ai) { (void)ai; }
#endif
u16_t lwip_htons(u16_t n) { return (u16_t)((n << 8) | (n >> 8)); }
u32_t lwip_htonl(u32_t n) { return (n << 24) | ((n & 0xff00u) << 8) | ((n >> 8) & 0xff00u) | (n >> 24); }

/* ---- lwIP's system layer and the board ---- */
void tcpip_init(tcpip_init_done_fn initfunc, void *arg) { (void)initfunc; (void)arg; }
u32_t sys_now(void) { return 0; }
int board_rng_read(uint32_t *word) { *word = 0; return -1; }   /* no RNG here: fails */

/* The tn_port_* hooks for programs that do not define them (tools/size/ programs). */
uint64_t tn_port_now_ms(void) __attribute__((weak));
uint64_t tn_port_now_ms(void) { return 0; }
int tn_port_random(void *buf, size_t n) __attribute__((weak));
int tn_port_random(void *buf, size_t n) { (void)buf; (void)n; return -1; }

/* ---- newlib's system calls (a board's syscalls.c; nosys.specs would warn for these) ---- */
int _gettimeofday(struct timeval *tv, void *tz) {
    (void)tz;
    if (tv) { tv->tv_sec = 0; tv->tv_usec = 0; }
    return 0;
}
int _write(int fd, const void *buf, size_t n) { (void)fd; (void)buf; return (int)n; }
int _read(int fd, void *buf, size_t n) { (void)fd; (void)buf; (void)n; return 0; }
int _close(int fd) { (void)fd; TN_STUB_FAIL(-1); }
int _lseek(int fd, int off, int whence) { (void)fd; (void)off; (void)whence; TN_STUB_FAIL(-1); }
int _fstat(int fd, struct stat *st) { (void)fd; memset(st, 0, sizeof *st); st->st_mode = S_IFCHR; return 0; }
int _isatty(int fd) { (void)fd; return 1; }
int _getpid(void) { return 1; }
int _kill(int pid, int sig) { (void)pid; (void)sig; TN_STUB_FAIL(-1); }
