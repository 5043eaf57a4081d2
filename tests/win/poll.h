/* tests/win/poll.h: for the Windows test build only: poll() over sockets is WSAPoll
   (struct pollfd and POLLIN come from <winsock2.h>). See sys/socket.h here. */
#ifndef TN_TEST_WIN_POLL_H
#define TN_TEST_WIN_POLL_H
#include <sys/socket.h>
typedef unsigned long nfds_t;
#define poll(p, n, t) WSAPoll(p, (ULONG)(n), t)
#endif
