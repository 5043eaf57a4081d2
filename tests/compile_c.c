/* compile_c.c: the header instantiated as C99; references symbols so the implementation
   is really compiled (the compile matrix builds this with every toggle). */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"
#include "../tornado.h" /* twice: the guards must hold */

static void tn_compile_count(tn_loop *loop, void *user) {
    (void)loop;
    ++*(int *)user;
}

/* The wakeup in every build: a post and an async send each end a run_once that would
   otherwise block for 5 s, and run their callback. Under TORNADO_NO_THREADS the loop opens
   its wakeup fd only with the first of them (a program that makes neither does not link it):
   the loop watches no fd before, one after. Returns 0 when all holds. */
static int tn_compile_wakeup(tn_loop *loop) {
    tn_async *a = NULL;
    int calls = 0, bad = 0;
    if (tn_loop_poll_fds(loop, NULL, 0) != (TN_HAS_THREADS ? 1u : 0u)) bad |= 1;
    if (tn_loop_post(loop, tn_compile_count, &calls) != TN_OK) bad |= 2;
    if (tn_loop_poll_fds(loop, NULL, 0) != 1u) bad |= 4;
    if (tn_loop_run_once(loop, 5000) < 1 || calls != 1) bad |= 8;
    if (tn_async_new(loop, tn_compile_count, &calls, &a) != TN_OK || tn_async_send(a) != TN_OK) bad |= 16;
    if (tn_loop_run_once(loop, 5000) < 1 || calls != 2) bad |= 32;
    if (a && tn_async_close(a, NULL, NULL) != TN_OK) bad |= 64;
    (void)tn_loop_run_once(loop, 0);
    return bad;
}

/* Numeric addresses bind in every build; under TORNADO_NO_RESOLVER a name is TN_ERESOLVE
   (no lookup is tried). Returns 0 when that holds. */
static int tn_compile_binding(void) {
    tn_socket fd[4];
    size_t n = 0, i;
    int bad = 0;
    if (tn_bind_sockets("127.0.0.1", 0, NULL, fd, 4, &n) != TN_OK || n != 1) bad |= 1;
    for (i = 0; i < n && i < 4; i++) tn_socket_close(fd[i]);
    if (!TN_HAS_RESOLVER && tn_bind_sockets("localhost", 0, NULL, fd, 4, &n) != TN_ERESOLVE) bad |= 2;
    return bad;
}

int tn_compile_check(void);
int tn_compile_check(void) {
    tn_loop *loop = NULL;
    int rc = tn_loop_new(NULL, &loop);
    if (rc == 0 && tn_compile_wakeup(loop) != 0) rc = -1000;
    if (rc == 0 && tn_compile_binding() != 0) rc = -2000;
    if (rc == 0) rc = tn_loop_free(loop);
    return rc + (tn_strerror(TN_EINVAL)[0] != 0);
}

#ifndef TN_COMPILE_NO_MAIN
int main(void) { return tn_compile_check() == 1 ? 0 : 1; }
#endif
