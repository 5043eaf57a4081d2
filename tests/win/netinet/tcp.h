/* tests/win/netinet/tcp.h: for the Windows test build only: see sys/socket.h here. */
#include <sys/socket.h>
