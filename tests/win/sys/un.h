/* tests/win/sys/un.h: for the Windows test build only: struct sockaddr_un (<afunix.h>). */
#ifndef TN_TEST_WIN_UN_H
#define TN_TEST_WIN_UN_H
#include <sys/socket.h>
#include <afunix.h>
#endif
