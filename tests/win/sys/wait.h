/* tests/win/sys/wait.h: for the Windows test build only: compile-only stand-ins for the
   process calls of cases that skip on Windows first (TN_POSIX_ONLY in tn_test.h). Called
   anyway, they fail (ENOSYS). */
#ifndef TN_TEST_WIN_WAIT_H
#define TN_TEST_WIN_WAIT_H
#include <errno.h>
#include <signal.h>
#include <sys/types.h>
#ifndef WNOHANG
#  define WNOHANG 1
#endif
#ifndef SIGKILL
#  define SIGKILL 9
#endif
#ifndef SIGPIPE
#  define SIGPIPE 13
#endif
#ifndef WIFSIGNALED
#  define WIFSIGNALED(st) 0
#  define WTERMSIG(st) 0
#endif
__attribute__((unused)) static int fork(void) { errno = ENOSYS; return -1; }
__attribute__((unused)) static int setpgid(int a, int b) { (void)a; (void)b; errno = ENOSYS; return -1; }
__attribute__((unused)) static int kill(int pid, int sig) { (void)pid; (void)sig; errno = ENOSYS; return -1; }
__attribute__((unused)) static int waitpid(int pid, int *st, int fl) { (void)pid; (void)st; (void)fl; errno = ENOSYS; return -1; }
__attribute__((unused)) static int wait(int *st) { (void)st; errno = ENOSYS; return -1; }
__attribute__((unused)) static int getuid(void) { return 1000; }   /* not root */
__attribute__((unused)) static int pipe(int fds[2]) { fds[0] = fds[1] = -1; errno = ENOSYS; return -1; }
#endif
