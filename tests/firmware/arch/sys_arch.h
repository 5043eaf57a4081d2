/* tests/firmware/arch/sys_arch.h: the RTOS types lwIP's sys layer names (NO_SYS=0), as
   a board's FreeRTOS or CMSIS-RTOS port would define them. For the link check only. */
#ifndef TN_TEST_ARCH_SYS_ARCH_H
#define TN_TEST_ARCH_SYS_ARCH_H

typedef struct { void *h; } sys_sem_t;
typedef struct { void *h; } sys_mutex_t;
typedef struct { void *h; } sys_mbox_t;
typedef void *sys_thread_t;
typedef unsigned int sys_prot_t;

#define sys_sem_valid(s) ((s) != NULL && (s)->h != NULL)
#define sys_sem_set_invalid(s) do { if ((s) != NULL) (s)->h = NULL; } while (0)
#define sys_mutex_valid(m) ((m) != NULL && (m)->h != NULL)
#define sys_mutex_set_invalid(m) do { if ((m) != NULL) (m)->h = NULL; } while (0)
#define sys_mbox_valid(m) ((m) != NULL && (m)->h != NULL)
#define sys_mbox_set_invalid(m) do { if ((m) != NULL) (m)->h = NULL; } while (0)

#endif
