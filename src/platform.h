/* platform.h: public platform types (sockets), API decoration, C++ linkage. */
#ifndef TN_PLATFORM_H
#define TN_PLATFORM_H
#include "config.h"
#include <stddef.h>
#include <stdint.h>

#if defined(TORNADO_STATIC) && (defined(__GNUC__) || defined(__clang__))
#  define TN_API static __attribute__((unused))   /* a private copy: unused parts are fine */
#elif defined(TORNADO_STATIC)
#  define TN_API static
#else
#  define TN_API extern
#endif

#ifdef __cplusplus
#  define TN__BEGIN_DECLS extern "C" {
#  define TN__END_DECLS }
#else
#  define TN__BEGIN_DECLS
#  define TN__END_DECLS
#endif

TN__BEGIN_DECLS

/* A socket. POSIX and lwIP: an int (a file descriptor), invalid is TN_INVALID_SOCKET (-1).
   Windows: Winsock's SOCKET itself (UINT_PTR: 64 bits on Win64), spelled uintptr_t here so
   this header needs no <winsock2.h>; TN_INVALID_SOCKET is INVALID_SOCKET (~0). A SOCKET
   passes to and from the API unchanged, and a tn_socket to Winsock calls without a cast.
   Compare with TN_INVALID_SOCKET, never with < 0 (unsigned on Windows). */
#if defined(_WIN32)
typedef uintptr_t tn_socket;
#  define TN_INVALID_SOCKET (~(tn_socket)0)
#else
typedef int tn_socket;
#  define TN_INVALID_SOCKET (-1)
#endif

#if TN__LWIP
/* ---- the firmware port (TORNADO_PLATFORM_LWIP): the application defines these two ----
   tn_port_now_ms: a monotonic clock in milliseconds (never goes back; any start point),
   e.g. FreeRTOS xTaskGetTickCount() * portTICK_PERIOD_MS widened to 64 bits, or sys_now()
   with its 32-bit wrap counted. Timers, timeouts and tn_time_ns/tn_time_ms read it.
   tn_port_random: fill buf with n unpredictable bytes (a hardware RNG: STM32 RNG, ESP32
   esp_fill_random, ...); 0 on success, nonzero on failure. WebSocket keys and masks,
   XSRF tokens and tn_random_bytes use it (tn_random_set_source still overrides it).
   Sockets are lwIP's (lwip_socket ... lwip_poll); wall-clock time (HTTP Date, cookie
   expiry) is the C library's time(), which newlib builds on the board's _gettimeofday. */
extern uint64_t tn_port_now_ms(void);
extern int tn_port_random(void *buf, size_t n);
#endif

TN__END_DECLS

#endif /* TN_PLATFORM_H */
