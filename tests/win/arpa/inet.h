/* tests/win/arpa/inet.h: for the Windows test build only: see sys/socket.h here. */
#include <sys/socket.h>
