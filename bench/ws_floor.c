/* ws_floor.c (make bench): the floor a WebSocket echo server can reach on this machine: a
   bare epoll loop (level-triggered, one recv and one send per message, no library on the
   data path, no checks a real server must make: no UTF-8, no limits, no close handshake,
   no ping). It answers one question for the bench: how much of a server's CPU per message
   is the kernel's (loopback TCP, epoll), which no server can save. Not a usable server.
     ws_floor --port N
   The handshake's Sec-WebSocket-Accept uses tornado.h's SHA-1 and base64 (not measured). */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#define FLOOR_BUF 70000

typedef struct conn {
    int fd, open;          /* open: handshake done */
    size_t have;           /* bytes of a partial frame (or of the request head) held */
    unsigned char in[FLOOR_BUF];
} conn;

static unsigned char out[FLOOR_BUF + 16];

static void floor_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void floor_close(int ep, conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c);
}

/* the request head is complete: answer 101 */
static int floor_handshake(conn *c, size_t end) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    const char *k = strstr((const char *)c->in, "Sec-WebSocket-Key:");
    char key[64], resp[256], acc[32];
    unsigned char dig[TN_SHA1_SIZE];
    size_t n = 0, alen = 0;
    tn_sha1_ctx sh;
    if (!k) return -1;
    k += 18;
    while (*k == ' ') k++;
    while (n < 40 && k[n] != '\r') {
        key[n] = k[n];
        n++;
    }
    tn_sha1_init(&sh);
    tn_sha1_update(&sh, key, n);
    tn_sha1_update(&sh, guid, sizeof guid - 1);
    tn_sha1_final(&sh, dig);
    if (tn_base64_encode(dig, sizeof dig, acc, sizeof acc, &alen, 0) != TN_OK) return -1;
    n = (size_t)snprintf(resp, sizeof resp,
                         "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: %.*s\r\n\r\n", (int)alen, acc);
    if (send(c->fd, resp, n, MSG_NOSIGNAL) != (ssize_t)n) return -1;
    memmove(c->in, c->in + end, c->have - end);
    c->have -= end;
    c->open = 1;
    return 0;
}

/* echo every whole frame held, in one send */
static int floor_frames(conn *c) {
    size_t at = 0, o = 0;
    while (c->have - at >= 6) {
        const unsigned char *f = c->in + at;
        size_t len = f[1] & 0x7f, hl = 2, i;
        const unsigned char *mask;
        if (len == 126) {
            if (c->have - at < 8) break;
            len = (size_t)f[2] << 8 | f[3];
            hl = 4;
        } else if (len == 127) {
            return -1;
        }
        if (c->have - at < hl + 4 + len) break;
        if (o + len + 4 > sizeof out) break;
        mask = f + hl;
        out[o++] = f[0];
        if (len < 126) {
            out[o++] = (unsigned char)len;
        } else {
            out[o++] = 126;
            out[o++] = (unsigned char)(len >> 8);
            out[o++] = (unsigned char)len;
        }
        {   /* 8 bytes at a time, as any real server unmasks */
            uint64_t m8;
            uint32_t m4;
            memcpy(&m4, mask, 4);
            m8 = (uint64_t)m4 << 32 | m4;
            for (i = 0; i + 8 <= len; i += 8) {
                uint64_t w;
                memcpy(&w, f + hl + 4 + i, 8);
                w ^= m8;
                memcpy(out + o + i, &w, 8);
            }
            for (; i < len; i++) out[o + i] = f[hl + 4 + i] ^ mask[i & 3];
        }
        o += len;
        at += hl + 4 + len;
        if ((f[0] & 0x0f) == 8) return -1;   /* close: just go */
    }
    if (o && send(c->fd, out, o, MSG_NOSIGNAL) != (ssize_t)o) return -1;   /* (a floor: no queue) */
    memmove(c->in, c->in + at, c->have - at);
    c->have -= at;
    return 0;
}

int main(int argc, char **argv) {
    int port = argc > 2 && !strcmp(argv[1], "--port") ? atoi(argv[2]) : 8888, one = 1, ep, lfd;
    struct sockaddr_in sa;
    struct epoll_event ev, evs[256];
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    floor_nonblock(lfd);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lfd, 1024) != 0) {
        perror("ws_floor: listen");
        return 1;
    }
    ep = epoll_create1(0);
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.ptr = NULL;
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1), i;
        for (i = 0; i < n; i++) {
            conn *c = (conn *)evs[i].data.ptr;
            ssize_t r;
            if (!c) {
                int fd;
                while ((fd = accept(lfd, NULL, NULL)) >= 0) {
                    floor_nonblock(fd);
                    c = (conn *)calloc(1, sizeof *c);
                    if (!c) {
                        close(fd);
                        continue;
                    }
                    c->fd = fd;
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    ev.events = EPOLLIN;
                    ev.data.ptr = c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
                }
                continue;
            }
            r = recv(c->fd, c->in + c->have, sizeof c->in - c->have - 1, 0);
            if (r <= 0) {
                floor_close(ep, c);
                continue;
            }
            c->have += (size_t)r;
            if (!c->open) {
                char *e;
                c->in[c->have] = 0;
                if (!(e = strstr((char *)c->in, "\r\n\r\n"))) continue;
                if (floor_handshake(c, (size_t)(e + 4 - (char *)c->in)) != 0) {
                    floor_close(ep, c);
                    continue;
                }
            }
            if (floor_frames(c) != 0) floor_close(ep, c);
        }
    }
}
