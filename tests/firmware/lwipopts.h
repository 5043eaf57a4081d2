/* tests/firmware/lwipopts.h: the lwIP configuration of make test's firmware link check
   (an RTOS build: NO_SYS=0, BSD sockets with lwip_poll, loopback for the loop's wakeup).
   A board's own lwipopts.h replaces it; what tornado.h needs from one is marked "needed". */
#ifndef TN_TEST_LWIPOPTS_H
#define TN_TEST_LWIPOPTS_H

#define NO_SYS                      0   /* needed: sockets need lwIP's tcpip thread */
#define LWIP_SOCKET                 1   /* needed: the BSD socket API */
#define LWIP_NETCONN                1   /* (the socket API sits on netconn) */
#define LWIP_SOCKET_POLL            1   /* needed: the loop waits in lwip_poll */
#define LWIP_COMPAT_SOCKETS         0   /* tornado.h calls lwip_* names: any value works */
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_NETIF_LOOPBACK         1   /* needed: the loop's wakeup is a loopback datagram */
#define LWIP_HAVE_LOOPIF            1
#define LWIP_TIMEVAL_PRIVATE        0   /* newlib has struct timeval */
#define LWIP_IPV4                   1
#ifndef TN_TEST_LWIP_IPV6
#define TN_TEST_LWIP_IPV6           1
#endif
#define LWIP_IPV6                   TN_TEST_LWIP_IPV6   /* optional: 0 = IPv4-only */
#ifndef TN_TEST_LWIP_DNS
#define TN_TEST_LWIP_DNS            1
#endif
#define LWIP_DNS                    TN_TEST_LWIP_DNS    /* optional: 0 = numeric addresses only */
#define LWIP_TCP                    1
#define LWIP_UDP                    1
#define SO_REUSE                    1
#define LWIP_SO_RCVBUF              0
#define MEM_LIBC_MALLOC             1
#define MEMP_NUM_NETCONN            16
#define TCP_MSS                     1460
#define TCP_WND                     (4 * TCP_MSS)
#define TCP_SND_BUF                 (4 * TCP_MSS)
#define LWIP_PROVIDE_ERRNO          0

#endif
