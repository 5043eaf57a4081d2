/* tests/firmware/lwip_unix.c: examples/firmware/firmware.c run on a real lwIP: Debian's
   liblwip (lwIP 2.1.3 with its unix port, built for the host) over a tap device, with
   TORNADO_PLATFORM_LWIP, so every socket call the library makes goes to lwIP's stack, not
   the kernel's. tests/test_lwip_unix.py builds it and runs it in a network namespace of
   its own, where tap0 is 192.168.7.1 and lwIP is 192.168.7.2:
     - first the wakeup check: another thread's tn_async_send wakes a loop that waits in
       lwip_poll (the datagram a UDP socket on 127.0.0.1 sends itself, through lwIP's
       loopback), printing "wakeup: ok after N ms";
     - then "ready", and the example's tornado_task(): TCP echo on 7, HTTP on 80 (hello at /,
       WebSocket echo at /ws), which the test drives from the kernel's side of tap0.
   The example's own main() (tcpip_init without a network interface) is renamed away. */
#define main tn_firmware_example_main
#include "../../examples/firmware/firmware.c"
#undef main

#include <lwip/netif.h>
#include <netif/tapif.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

/* the board's RNG, here the kernel's */
int board_rng_read(uint32_t *word) {
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(word, sizeof *word, 1, f) : 0;
    if (f) fclose(f);
    return got == 1 ? 0 : -1;
}

static volatile int async_fired;

static void on_async(tn_loop *loop, void *user) {
    (void)loop;
    (void)user;
    async_fired = 1;
}

static void *poke(void *arg) {
    struct timespec ts;
    ts.tv_sec = 0;
    ts.tv_nsec = 200000000;   /* let the loop settle into lwip_poll first */
    nanosleep(&ts, NULL);
    (void)tn_async_send((tn_async *)arg);
    return NULL;
}

/* A loop blocked in lwip_poll for up to 5 s must wake for another thread's async send. */
static int wakeup_check(void) {
    tn_loop *loop;
    tn_async *a;
    pthread_t t;
    uint64_t t0, ms;
    int rc;
    if ((rc = tn_loop_new(NULL, &loop)) != TN_OK || (rc = tn_async_new(loop, on_async, NULL, &a)) != TN_OK) {
        printf("wakeup: FAIL: %s\n", tn_strerror(rc));
        return 1;
    }
    if (pthread_create(&t, NULL, poke, a) != 0) {
        printf("wakeup: FAIL: pthread_create\n");
        return 1;
    }
    t0 = tn_time_ms();
    while (!async_fired && tn_time_ms() - t0 < 5000) (void)tn_loop_run_once(loop, 5000);
    ms = tn_time_ms() - t0;
    (void)pthread_join(t, NULL);
    (void)tn_async_close(a, NULL, NULL);
    (void)tn_loop_run_once(loop, 0);
    rc = tn_loop_free(loop);
    if (!async_fired || ms >= 3000 || rc != TN_OK) {
        printf("wakeup: FAIL: fired %d after %u ms, loop_free %s\n", async_fired, (unsigned)ms, tn_strerror(rc));
        return 1;
    }
    printf("wakeup: ok after %u ms\n", (unsigned)ms);
    return 0;
}

static sys_sem_t tcpip_ready;

static void on_tcpip_ready(void *arg) {
    (void)arg;
    sys_sem_signal(&tcpip_ready);
}

int main(void) {
    static struct netif tap;
    ip4_addr_t ip, mask, gw;
    if (sys_sem_new(&tcpip_ready, 0) != ERR_OK) return 2;
    tcpip_init(on_tcpip_ready, NULL);
    sys_sem_wait(&tcpip_ready);
    IP4_ADDR(&ip, 192, 168, 7, 2);
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 192, 168, 7, 1);
    LOCK_TCPIP_CORE();   /* (this lwIP is built with LWIP_TCPIP_CORE_LOCKING) */
    if (!netif_add(&tap, &ip, &mask, &gw, NULL, tapif_init, tcpip_input)) {
        UNLOCK_TCPIP_CORE();
        printf("netif_add(tap) failed: is PRECONFIGURED_TAPIF set and the tap device there?\n");
        return 2;
    }
    netif_set_default(&tap);
    netif_set_up(&tap);
    UNLOCK_TCPIP_CORE();
    fflush(stdout);
    if (wakeup_check() != 0) return 3;
    printf("ready\n");
    fflush(stdout);
    return tornado_task() == TN_OK ? 0 : 1;
}
