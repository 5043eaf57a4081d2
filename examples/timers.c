/* timers.c: one-shot and periodic timers, a post from another thread, and a game-style
   frame loop that pumps the event loop with tn_loop_run_once(loop, 0) each frame.

   Build and run:  make build/examples/timers && ./build/examples/timers
   It prints what fires and when, and exits by itself after about one second. */
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <pthread.h>
#include <stdio.h>
#include <time.h>

typedef struct app {
    tn_loop *loop;
    uint64_t start;
    int beats;
    tn_timer_id beat;
    volatile int quit;
} app;

static unsigned long since(app *a) { return (unsigned long)(tn_loop_now(a->loop) - a->start); }

static void once(tn_loop *loop, void *user) {
    app *a = (app *)user;
    (void)loop;
    printf("%4lu ms  one-shot timer\n", since(a));
}

static void beat(tn_loop *loop, void *user) {
    app *a = (app *)user;
    printf("%4lu ms  periodic beat %d\n", since(a), ++a->beats);
    if (a->beats == 5) tn_loop_cancel(loop, a->beat);   /* stop from inside its own callback */
}

static void from_thread(tn_loop *loop, void *user) {
    app *a = (app *)user;
    (void)loop;
    printf("%4lu ms  callback posted by a worker thread ran on the loop thread\n", since(a));
}

static void *worker(void *user) {
    app *a = (app *)user;
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);   /* "work" */
    tn_loop_post(a->loop, from_thread, a);   /* the one thread-safe call */
    return NULL;
}

static void finish(tn_loop *loop, void *user) {
    (void)loop;
    ((app *)user)->quit = 1;
}

int main(void) {
    app a;
    pthread_t th;
    int frame = 0;
    struct timespec frame_time = {0, 16 * 1000 * 1000};   /* ~60 frames per second */
    if (tn_loop_new(NULL, &a.loop) != 0) return 1;
    a.start = tn_loop_now(a.loop);
    a.beats = 0;
    a.quit = 0;
    tn_loop_call_later(a.loop, 150, once, &a, NULL);
    tn_loop_call_every(a.loop, 100, beat, &a, &a.beat);
    tn_loop_call_later(a.loop, 1000, finish, &a, NULL);
    if (pthread_create(&th, NULL, worker, &a) != 0) return 1;
    /* the game's frame loop: render, simulate, then let the network layer run without blocking */
    while (!a.quit) {
        frame++;
        tn_loop_run_once(a.loop, 0);
        nanosleep(&frame_time, NULL);
    }
    pthread_join(th, NULL);
    printf("%4lu ms  done after %d frames\n", since(&a), frame);
    return tn_loop_free(a.loop) == 0 ? 0 : 1;
}
