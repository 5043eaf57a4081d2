/* firmware.c: tornado.h on a microcontroller with lwIP (TORNADO_PLATFORM_LWIP): a TCP echo
   server on port 7, and an HTTP server on port 80 that says hello at / and echoes WebSocket
   messages at /ws. One loop task owns everything; lwIP's tcpip thread does the TCP/IP.

   The port layer is the two tn_port_* functions below (a clock and random bytes) plus
   lwIP's socket API (lwipopts.h: LWIP_SOCKET=1, LWIP_SOCKET_POLL=1, and LWIP_NETIF_LOOPBACK=1
   for the loop's wakeup datagram).

   Built by make test for a Cortex-M4 (tests/run.py, check "firmware.cortex-m4"):
     arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections \
       -std=c99 -Wall -Wextra -Wpedantic -Wundef -Werror \
       -DTORNADO_PLATFORM_LWIP -DTORNADO_READ_CHUNK_SIZE=2048 \
       -Itests/firmware -isystem /usr/include/lwip \
       --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections \
       examples/firmware/firmware.c tests/firmware/link_stub.c -o build/firmware/firmware.elf
   where tests/firmware/ holds a test lwipopts.h, arch/cc.h, arch/sys_arch.h and a link
   stub standing in for the lwIP library and the board (Debian has no lwIP built for ARM).
   On a real board: your lwipopts.h and arch/ headers, lwIP's sources and your startup code
   instead, and call tornado_task() from an RTOS task once the network interface is up. */
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include "lwip/sys.h"      /* sys_now() */
#include "lwip/tcpip.h"    /* tcpip_init() */

#include <string.h>

/* ---- the port layer: what the board provides ---- */

/* Monotonic milliseconds, 64 bits: lwIP's 32-bit sys_now() wraps after 49.7 days, so count
   the wraps (called from the loop task only). */
uint64_t tn_port_now_ms(void) {
    static uint32_t last, wraps;
    uint32_t now = sys_now();
    if (now < last) wraps++;
    last = now;
    return ((uint64_t)wraps << 32) | now;
}

/* Random bytes from the hardware RNG (board_rng_read: e.g. STM32's RNG->DR after DRDY,
   esp_fill_random, nrf_drv_rng). Nonzero = failure: the caller gets TN_ESYS. */
extern int board_rng_read(uint32_t *word);
int tn_port_random(void *buf, size_t n) {
    unsigned char *p = (unsigned char *)buf;
    while (n > 0) {
        uint32_t w;
        size_t k = n < 4 ? n : 4;
        if (board_rng_read(&w) != 0) return -1;
        memcpy(p, &w, k);
        p += k;
        n -= k;
    }
    return 0;
}

/* ---- TCP echo on port 7 (backpressure: the next read starts once the echo has left) ---- */
static void echo_read(tn_stream *s, int status, tn_str data, void *user);

static void echo_written(tn_stream *s, int status, void *user) {
    if (status == TN_OK) (void)tn_stream_read_bytes(s, 1024, TN_READ_PARTIAL, echo_read, user);
}

static void echo_read(tn_stream *s, int status, tn_str data, void *user) {
    if (status < 0) return;   /* peer gone: the stream frees itself */
    if (tn_stream_write(s, data.ptr, data.len, echo_written, user) != TN_OK) (void)tn_stream_close(s, NULL, NULL);
}

static void echo_conn(tn_tcp_server *srv, tn_stream *s, const tn_addr *peer, void *user) {
    (void)srv;
    (void)peer;
    if (tn_stream_read_bytes(s, 1024, TN_READ_PARTIAL, echo_read, user) != TN_OK) (void)tn_stream_close(s, NULL, NULL);
}

/* ---- HTTP on port 80: hello at /, a WebSocket echo at /ws ---- */
static void ws_message(tn_ws *ws, int opcode, tn_str data, void *user) {
    (void)user;
    (void)tn_ws_send(ws, opcode, data.ptr, data.len, NULL, NULL);   /* copied; dropped if full */
}

static void http_request(tn_request *req, void *user) {
    tn_str path = tn_request_path(req);
    (void)user;
    if (tn_str_eq_c(path, "/ws")) {
        tn_ws_opts o;
        tn_ws_handler h;
        memset(&o, 0, sizeof o);
        o.max_message_size = 4096;   /* small devices: small messages (1009 beyond) */
        memset(&h, 0, sizeof h);
        h.on_message = ws_message;
        (void)tn_ws_accept(req, &o, &h, NULL, NULL);   /* answers 400/426/403 itself */
    } else if (tn_str_eq_c(path, "/")) {
        (void)tn_respond(req, 200, "text/plain", "Hello from a Cortex-M4\n", 23);
    } else {
        (void)tn_respond_error(req, 404, NULL);
    }
}

/* The loop task: start it once lwIP is up (tcpip_init done, the netif up). */
int tornado_task(void) {
    tn_loop *loop;
    tn_tcp_server *echo;
    tn_http_server *http;
    tn_http_server_opts ho;
    int rc;
    memset(&ho, 0, sizeof ho);
    ho.max_header_size = 4096;   /* firmware-sized limits (the defaults suit servers) */
    ho.max_headers = 24;
    ho.max_body_size = 8192;
    if ((rc = tn_loop_new(NULL, &loop)) != TN_OK) return rc;
    if ((rc = tn_tcp_server_new(loop, NULL, echo_conn, NULL, &echo)) != TN_OK ||
        (rc = tn_tcp_server_listen(echo, NULL, 7)) != TN_OK ||
        (rc = tn_http_server_new(loop, &ho, http_request, NULL, &http)) != TN_OK ||
        (rc = tn_http_server_listen(http, NULL, 80)) != TN_OK) {
        (void)tn_loop_free(loop);
        return rc;
    }
    return tn_loop_run(loop);
}

int main(void) {
    tcpip_init(NULL, NULL);   /* lwIP's thread; a board also adds and raises its netif here */
    return tornado_task() == TN_OK ? 0 : 1;
}
