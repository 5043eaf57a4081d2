/* tests/firmware/arch/cc.h: lwIP's compiler/platform port for the firmware link check
   (arm-none-eabi-gcc with newlib). A board's BSP normally ships its own. */
#ifndef TN_TEST_ARCH_CC_H
#define TN_TEST_ARCH_CC_H
#include <stdint.h>
#include <stdlib.h>
#include <sys/time.h>

#define LWIP_ERRNO_STDINCLUDE 1   /* errno and the E* codes from newlib's <errno.h> */
#define LWIP_TIMEVAL_PRIVATE 0
#define LWIP_RAND() ((u32_t)rand())
#define LWIP_PLATFORM_DIAG(x) do { } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { abort(); } while (0)
#define BYTE_ORDER LITTLE_ENDIAN

#endif
