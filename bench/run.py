#!/usr/bin/env python3
"""bench/run.py: `make bench`. Every figure is measured in this run, side by side with the
peer it names, and printed with the ratio (these machines are noisy: compare ratios, not
absolute numbers across runs).

Peers: Python Tornado (Debian python3-tornado, run with /usr/bin/python3) for the event
loop and the TCP echo server. Parser figures come from build/bench/bench_parse when built.
A missing peer is reported, not fatal.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
PYTORNADO = "/usr/bin/python3"


def have_tornado():
    if not os.path.exists(PYTORNADO):
        return False
    return subprocess.run([PYTORNADO, "-c", "import tornado"], capture_output=True).returncode == 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def fmt(v):
    if v is None:
        return "-"
    if v >= 1e6:
        return "%.2fM" % (v / 1e6)
    if v >= 1e4:
        return "%.1fk" % (v / 1e3)
    return "%.1f" % v


def row(name, ours, peer, unit):
    ratio = ("%.2fx" % (ours / peer)) if ours and peer else "-"
    print("  %-34s %12s %14s %8s   %s" % (name, fmt(ours), fmt(peer), ratio, unit), flush=True)


def header(title, peer):
    print("\n== %s ==" % title)
    print("  %-34s %12s %14s %8s" % ("figure", "tornado.h", peer, "ratio"))


def parse_loop(out):
    res = {}
    for line in out.splitlines():
        m = re.match(r"loop (\S+)\s+\d+\s+[\d.]+ s\s+([\d.]+) /s", line)
        if m:
            res[m.group(1)] = float(m.group(2))
    return res


def bench_loop(peer_ok):
    ours = parse_loop(subprocess.run(["build/bench/bench_loop"], capture_output=True, text=True).stdout)
    theirs = {}
    if peer_ok:
        theirs = parse_loop(subprocess.run([PYTORNADO, "bench/tornado_loop.py"], capture_output=True, text=True).stdout)
    header("event loop, one thread", "Py Tornado")
    for k in ("deferred_callbacks", "posted_callbacks", "timers_scheduled+fired", "timers_added+cancelled"):
        row(k, ours.get(k), theirs.get(k), "per second")


def echo_client(mode, port, conns, amount):
    p = subprocess.run(["build/bench/bench_echo", mode, "127.0.0.1", str(port), str(conns), str(amount)],
                       capture_output=True, text=True, timeout=120)
    m = re.match(r"([\d.]+)", p.stdout.strip())
    return float(m.group(1)) if p.returncode == 0 and m else None


def cpu_seconds(pid):
    """user + system CPU time of a process so far (from /proc)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def with_server(cmd, port, fn):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_port(port):
            return None
        return fn(port, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def bench_echo(peer_ok):
    cases = [
        ("throughput, 1 connection", "throughput", 1, 400, "MB/s"),
        ("throughput, 100 connections", "throughput", 100, 8, "MB/s"),
        ("round trips (64 B), 1 connection", "rtt", 1, 3, "round trips/s"),
        ("round trips (64 B), 100 connections", "rtt", 100, 3, "round trips/s"),
    ]

    def run_all(port, pid):
        res = []
        for _, mode, c, amt, _ in cases:
            c0 = cpu_seconds(pid)
            v = echo_client(mode, port, c, amt)
            res.append((v, cpu_seconds(pid) - c0))
        return res

    none = [(None, None)] * len(cases)
    p1 = free_port()
    ours = with_server(["build/examples/echo_server", "--port", str(p1)], p1, run_all) or none
    theirs = none
    if peer_ok:
        p2 = free_port()
        theirs = with_server([PYTORNADO, "bench/tornado_echo.py", str(p2)], p2, run_all) or none
    header("TCP echo server over loopback (same tornado.h client for both)", "Py Tornado")
    for (name, _, _, _, unit), a, b in zip(cases, ours, theirs):
        row(name, a[0], b[0], unit)
    print("  server CPU per unit of work (lower is better; ratio = peer / ours):")
    for (name, mode, c, amt, unit), a, b in zip(cases, ours, theirs):
        def per(x):
            if x[0] is None or not x[1]:
                return None
            work = c * amt if mode == "throughput" else x[0] * amt   # MB moved, or round trips
            return x[1] / work * (1e3 if mode == "throughput" else 1e6)
        pa, pb = per(a), per(b)
        ratio = ("%.2fx" % (pb / pa)) if pa and pb else "-"
        label = "CPU ms per MB" if mode == "throughput" else "CPU us per round trip"
        print("  %-34s %12s %14s %8s   %s" % ("  " + name, fmt(pa), fmt(pb), ratio, label))


def bench_parse():
    if not os.path.exists("build/bench/bench_parse"):
        return
    print("\n== HTTP parser (build/bench/bench_parse) ==")
    out = subprocess.run(["build/bench/bench_parse"], capture_output=True, text=True, timeout=120).stdout
    for line in out.splitlines():
        print("  " + line)


def main():
    print("tornado.h benchmarks: %s, %d cores" % (os.uname().machine, os.cpu_count() or 0))
    peer_ok = have_tornado()
    if not peer_ok:
        print("(Python Tornado not found: apt-get install python3-tornado; its columns stay empty)")
    bench_loop(peer_ok)
    bench_echo(peer_ok)
    bench_parse()
    return 0


if __name__ == "__main__":
    sys.exit(main())
