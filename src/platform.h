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

/* A socket or file descriptor. POSIX: an int; invalid is TN_INVALID_SOCKET (-1). */
typedef int tn_socket;
#define TN_INVALID_SOCKET (-1)

TN__END_DECLS

#endif /* TN_PLATFORM_H */
