/* tests/win/sys/resource.h: for the Windows test build only: no resource limits there.
   getrlimit/setrlimit fail (ENOSYS); the cases that need them skip on Windows first. */
#ifndef TN_TEST_WIN_RESOURCE_H
#define TN_TEST_WIN_RESOURCE_H
#include <errno.h>
typedef unsigned long long rlim_t;
struct rlimit { rlim_t rlim_cur, rlim_max; };
#define RLIMIT_NOFILE 7
#define RLIM_INFINITY (~(rlim_t)0)
__attribute__((unused)) static int getrlimit(int r, struct rlimit *rl) { (void)r; (void)rl; errno = ENOSYS; return -1; }
__attribute__((unused)) static int setrlimit(int r, const struct rlimit *rl) { (void)r; (void)rl; errno = ENOSYS; return -1; }
#endif
