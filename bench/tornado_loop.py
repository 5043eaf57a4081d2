"""tornado_loop.py: the same loop figures as bench_loop.c, for Python Tornado (the peer).
Run with Debian's /usr/bin/python3 (python3-tornado)."""
import random
import threading
import time

from tornado.ioloop import IOLoop


def report(name, n, s):
    print("loop %-22s %10d %8.3f s %14.0f /s" % (name, n, s, n / s), flush=True)


def main():
    loop = IOLoop()

    n = 200000
    state = {"left": n}

    def chain():
        state["left"] -= 1
        if state["left"] > 0:
            loop.add_callback(chain)
        else:
            loop.stop()
    t0 = time.perf_counter()
    loop.add_callback(chain)
    loop.start()
    report("deferred_callbacks", n, time.perf_counter() - t0)

    n = 200000
    state["left"] = n

    def dec():
        state["left"] -= 1
        if state["left"] == 0:
            loop.stop()

    def poster():
        for _ in range(n):
            loop.add_callback(dec)
    t0 = time.perf_counter()
    th = threading.Thread(target=poster)
    th.start()
    loop.start()
    th.join()
    report("posted_callbacks", n, time.perf_counter() - t0)

    n = 200000
    state["left"] = n
    random.seed(1)
    t0 = time.perf_counter()
    for _ in range(n):
        loop.call_later(random.randrange(100) / 1000.0, dec)
    loop.start()
    report("timers_scheduled+fired", n, time.perf_counter() - t0)

    n = 200000
    t0 = time.perf_counter()
    handles = [loop.call_later(30, dec) for _ in range(n)]
    for h in handles:
        loop.remove_timeout(h)
    report("timers_added+cancelled", n, time.perf_counter() - t0)
    loop.close()


if __name__ == "__main__":
    main()
