"""bench/tornado_client.py: Python Tornado's AsyncHTTPClient (simple client) with CONCURRENCY
requests in flight for SECONDS against URL (the peer of bench_http_client.c).
Usage: python3 tornado_client.py URL [CONCURRENCY=64] [SECONDS=5]
Output: the same line as bench_http_client."""
import resource
import sys
import time

from tornado import gen, ioloop
from tornado.httpclient import AsyncHTTPClient

url = sys.argv[1]
conc = int(sys.argv[2]) if len(sys.argv) > 2 else 64
secs = float(sys.argv[3]) if len(sys.argv) > 3 else 5.0
AsyncHTTPClient.configure(None, max_clients=conc)
state = {"done": 0, "errors": 0}


@gen.coroutine
def worker(client, end):
    while time.time() < end:
        r = yield client.fetch(url, raise_error=False)
        if r.code == 200:
            state["done"] += 1
        else:
            state["errors"] += 1


@gen.coroutine
def main():
    client = AsyncHTTPClient()
    end = time.time() + secs
    yield [worker(client, end) for _ in range(conc)]


def cpu(user_only):
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + (0 if user_only else ru.ru_stime)


c0, u0, t0 = cpu(False), cpu(True), time.time()
ioloop.IOLoop.current().run_sync(main)
t = time.time() - t0
n = state["done"] or 1
print("client %d requests %.2f s %.1f /s %.2f us/request %.2f us-user/request %d conns %d errors" % (
    state["done"], t, state["done"] / t, (cpu(False) - c0) / n * 1e6, (cpu(True) - u0) / n * 1e6,
    state["done"] + state["errors"], state["errors"]))
