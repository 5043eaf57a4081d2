/* loop.h: event loop: fd watchers, timer heap, deferred callbacks, thread-safe post, run modes. */
#ifndef TN_LOOP_H
#define TN_LOOP_H
#include "buf.h"

TN__BEGIN_DECLS

/* tn_loop: one event loop, used from one thread (tn_loop_post and tn_async_send excepted).

   One iteration (tn_loop_run_once) runs these phases in order:
     1. timers that are due (a timer added while timers run waits for the next pass)
     2. poll for I/O; the wait ends at the nearest timer, at once if callbacks are deferred,
        and never later than the run_once timeout
     3. I/O callbacks of fd watchers (a watcher removed during this phase gets no more calls)
     4. timers that became due during the wait
     5. deferred callbacks (tn_loop_defer, tn_loop_post, tn_async_send), FIFO, at most
        max_deferred_per_iter of them, so a callback that defers itself cannot starve I/O
     6. closing: objects closed during this iteration get their close callback and are freed */
typedef struct tn_loop tn_loop;

/* I/O readiness bits (Tornado's values). TN_EV_ERROR is always reported; it is only
   delivered to a watcher that also asks for READ or WRITE. */
enum { TN_EV_READ = 0x001, TN_EV_WRITE = 0x004, TN_EV_ERROR = 0x008 };

/* A plain loop callback (timers, deferred and posted callbacks). */
typedef void (*tn_cb)(tn_loop *loop, void *user);
/* An fd watcher's callback: events is a mask of TN_EV_*. */
typedef void (*tn_fd_cb)(tn_loop *loop, tn_socket fd, int events, void *user);

/* tn_loop_opts: options for tn_loop_new; zero-init gives the defaults.
     allocator              all NULL = libc; partial = TN_EINVAL
     logger                 func NULL = silent
     clock                  NULL = tn_time_ms (monotonic); a hook for fake time in tests
     max_deferred_per_iter  0 = TORNADO_MAX_DEFERRED_PER_ITER (4096) */
typedef struct tn_loop_opts {
    tn_allocator allocator;                /* memory for the loop and all its objects */
    tn_logger logger;                      /* where library log lines go */
    uint64_t (*clock)(void *clock_user);   /* milliseconds, monotonic */
    void *clock_user;                      /* passed to clock */
    int max_deferred_per_iter;             /* bound on deferred callbacks per iteration */
} tn_loop_opts;

/* Create a loop. opts may be NULL (defaults); it need not outlive the call.
   Returns: TN_OK, TN_EINVAL (partial allocator), TN_ENOMEM, TN_ESYS/TN_EMFILE (poller). */
TN_API int tn_loop_new(const tn_loop_opts *opts, tn_loop **out);
/* Free a loop that is not running. Objects already closed are finalised first (their
   close callbacks run). Pending timers and tn_loop_defer/tn_loop_post callbacks are
   dropped without being called. If objects are still alive (fd watchers, streams, servers, ...) the loop is not
   freed: each is logged at TN_LOG_WARN and TN_EBUSY is returned; close them and call
   again. Returns: TN_OK, TN_EBUSY, TN_EINVAL (called while running). */
TN_API int tn_loop_free(tn_loop *loop);
/* Number of objects still alive on the loop (what tn_loop_free would report). */
TN_API size_t tn_loop_alive(const tn_loop *loop);
/* The resolved options (allocator and logger included). */
TN_API const tn_loop_opts *tn_loop_get_opts(const tn_loop *loop);
/* Name of the compiled-in poller backend: "epoll" or "poll". */
TN_API const char *tn_loop_backend(const tn_loop *loop);
TN_API void tn_loop_set_user(tn_loop *loop, void *user);
TN_API void *tn_loop_get_user(const tn_loop *loop);

/* ---- running ---- */
/* Run until tn_loop_stop. If stop was called while the loop was not running, returns at
   once (Tornado's rule). Returns TN_OK, or an error from the poller. */
TN_API int tn_loop_run(tn_loop *loop);
/* Run one iteration, waiting at most timeout_ms for I/O (-1 = as long as needed; 0 =
   never block, for game frames and firmware superloops). Returns the number of callbacks
   run (>= 0), or a negative TN_E* code. */
TN_API int tn_loop_run_once(tn_loop *loop, int timeout_ms);
/* Ask tn_loop_run / tn_loop_run_until to return after the current iteration. */
TN_API void tn_loop_stop(tn_loop *loop);
/* Run until *flag becomes non-zero (checked after every iteration), tn_loop_stop, or
   timeout_ms passes (0 = no limit). Tornado's run_sync. Returns TN_OK (flag set),
   TN_ETIMEOUT, TN_ECANCELED (stopped), or a poller error. */
TN_API int tn_loop_run_until(tn_loop *loop, const volatile int *flag, uint64_t timeout_ms);
/* The loop's time in ms, cached at the start of each iteration (tn_loop_update_time
   refreshes it). Timers are on this clock. */
TN_API uint64_t tn_loop_now(const tn_loop *loop);
TN_API uint64_t tn_loop_update_time(tn_loop *loop);

/* ---- living inside another loop (a game engine, a GUI toolkit, an RTOS superloop) ----
   The host loop waits; tornado.h does the work without blocking:
       for (;;) {
           int ms = tn_loop_next_timeout(loop);          // before every wait
           n = tn_loop_poll_fds(loop, fds, cap);         // or poll tn_loop_backend_fd(loop)
           ... the host's wait: these fds, its own, min(ms, its own deadline) ...
           tn_loop_run_once(loop, 0);                    // processes what is ready, never blocks
       }
   tn_loop_run_once(loop, 0) is the non-blocking step: it polls the loop's fds with a zero
   timeout, runs what is ready, due timers, deferred callbacks and closes. Calling it more
   often than needed is harmless; calling it after the host's wait ends is required. */

/* Apply pending interest changes (so tn_loop_backend_fd and tn_loop_poll_fds are current)
   and return how long the host may wait before calling tn_loop_run_once(loop, 0): 0 = now
   (callbacks deferred, a timer due, a close to finish), -1 = no timer (wait for I/O or a
   tn_loop_post wakeup only), else ms until the nearest timer. */
TN_API int tn_loop_next_timeout(tn_loop *loop);
/* One pollable fd that turns readable when any watched fd is ready (and on tn_loop_post):
   the epoll fd. TN_INVALID_SOCKET on backends without one (poll, WSAPoll): use
   tn_loop_poll_fds there. */
TN_API tn_socket tn_loop_backend_fd(const tn_loop *loop);
/* One watched fd (Windows: a SOCKET, WSAPOLLFD's fd as is) and what the loop waits for on
   it (TN_EV_READ and/or TN_EV_WRITE). */
typedef struct tn_pollfd { tn_socket fd; int events; } tn_pollfd;
/* Fill out[0..cap) with the fds the loop waits on (its wakeup fd included: tn_loop_post
   wakes the host too; under TORNADO_NO_THREADS it exists from the first tn_loop_post or
   tn_async_new) and return how many there are (may exceed cap: grow and call again).
   Works on every backend. The host maps TN_EV_READ/TN_EV_WRITE onto its poll()/WSAPoll()
   bits (POLLIN/POLLOUT). A peer leaving an idle connection is seen when the host wakes for
   another reason where the backend has a peer-left signal (Linux's POLLRDHUP/EPOLLRDHUP is
   not listed); without one the idle socket is listed as TN_EV_READ. */
TN_API size_t tn_loop_poll_fds(tn_loop *loop, tn_pollfd *out, size_t cap);

/* ---- fd watchers (one per fd) ---- */
/* Watch fd for events (TN_EV_READ | TN_EV_WRITE). The fd should be non-blocking.
   Returns: TN_OK, TN_EEXIST (fd already watched), TN_EINVAL, TN_ENOMEM, or a poller error.
   cb runs on each iteration in which the fd is ready, until tn_loop_remove_fd. */
TN_API int tn_loop_add_fd(tn_loop *loop, tn_socket fd, int events, tn_fd_cb cb, void *user);
/* Change the events of a watched fd (0 = pause). Returns TN_OK, TN_ENOENT, or an error. */
TN_API int tn_loop_update_fd(tn_loop *loop, tn_socket fd, int events);
/* Stop watching fd (the fd is not closed). Safe from any callback, including cb itself.
   Returns TN_OK or TN_ENOENT. */
TN_API int tn_loop_remove_fd(tn_loop *loop, tn_socket fd);

/* ---- timers ---- */
/* A timer handle: a plain value, so cancelling after the timer fired is always safe. 0 is
   never a valid id. */
typedef uint64_t tn_timer_id;

/* Call cb once, delay_ms from now (the clock is read afresh, so a timer set after a slow
   callback never fires early). out may be NULL.
   Returns TN_OK or TN_ENOMEM (cb is then never called). */
TN_API int tn_loop_call_later(tn_loop *loop, uint64_t delay_ms, tn_cb cb, void *user, tn_timer_id *out);
/* Call cb once at loop time when_ms (a time in the past fires on the next timer phase). */
TN_API int tn_loop_call_at(tn_loop *loop, uint64_t when_ms, tn_cb cb, void *user, tn_timer_id *out);
/* Call cb every interval_ms (> 0), first at now + interval_ms, until cancelled. A callback
   that overruns skips the missed beats and stays on schedule (Tornado's PeriodicCallback):
   it never fires twice to catch up. Returns TN_OK, TN_EINVAL (interval 0), TN_ENOMEM. */
TN_API int tn_loop_call_every(tn_loop *loop, uint64_t interval_ms, tn_cb cb, void *user, tn_timer_id *out);
/* Cancel a timer; safe from any callback (the timer's own included) and after it fired.
   Returns TN_OK (it will not fire again) or TN_ENOENT (already fired, cancelled, or 0). */
TN_API int tn_loop_cancel(tn_loop *loop, tn_timer_id id);
/* 1 if the timer will still fire (periodic timers until cancelled), else 0. */
TN_API int tn_loop_timer_pending(const tn_loop *loop, tn_timer_id id);

/* ---- deferred callbacks ---- */
/* Run cb on the loop's next deferred phase (FIFO). Loop thread only.
   Returns TN_OK or TN_ENOMEM (cb then never runs). */
TN_API int tn_loop_defer(tn_loop *loop, tn_cb cb, void *user);
/* Thread-safe: run cb on the loop's thread, waking it if it is blocked. FIFO among posts.
   The only tn_ call safe from any thread (under TORNADO_NO_THREADS: loop thread only).
   Not async-signal-safe (it allocates): use tn_async_send in a signal handler.
   Returns TN_OK, TN_ENOMEM, or TN_ECLOSED (the loop is being freed). */
TN_API int tn_loop_post(tn_loop *loop, tn_cb cb, void *user);

/* ---- async handles: a wakeup safe from other threads and from signal handlers ---- */
typedef struct tn_async tn_async;
/* Create an async handle whose cb runs on the loop thread after tn_async_send. */
TN_API int tn_async_new(tn_loop *loop, tn_cb cb, void *user, tn_async **out);
/* Async-signal-safe and thread-safe. Sends made before cb runs coalesce into one call.
   Returns TN_OK, or TN_ECLOSED once the handle is closing. */
TN_API int tn_async_send(tn_async *a);
/* Close: cb (may be NULL) runs in the closing phase, then the handle is freed. Do not
   send after close. Returns TN_OK or TN_ECLOSED (already closing). */
TN_API int tn_async_close(tn_async *a, tn_cb cb, void *user);

TN__END_DECLS

#endif /* TN_LOOP_H */
