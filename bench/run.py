#!/usr/bin/env python3
"""bench/run.py: `make bench`. Every figure is measured in this run, side by side with the
peer it names, and printed with the ratio (these machines are noisy: compare ratios, not
absolute numbers across runs).

Peers: Python Tornado (Debian python3-tornado, run with /usr/bin/python3) for the event
loop, the TCP echo server, the HTTP hello world and the HTTP client (AsyncHTTPClient); nginx (Debian, one worker, access_log
off, `return 200 "Hello, world"`) for the HTTP server, driven by wrk (Debian). Parser and
router figures come from build/bench/bench_parse (with its -msse4.2 and -mavx2 builds; peers
in the same process: Debian's libhttp-parser-dev, and picohttpparser when a checkout sits
beside the repo, see bench_parse below) and bench_router; hashing figures (SHA-256, SHA-1,
HMAC-SHA256) from build/bench/bench_crypto beside OpenSSL's libcrypto (libssl-dev) in the
same process; deflate/inflate figures
from build/bench/bench_deflate, side by side with zlib (Debian zlib1g-dev) and libdeflate
(libdeflate-dev), linked into that program only; WebSocket codec figures from
build/bench/bench_ws and bench_ws_nosimd (pure functions, no peer process; masking is
also set against Python Tornado's C speedup). The WebSocket echo server
(build/examples/ws_echo) runs against node's ws (npm, bench/ws_echo_node.js; installed by
`npm install --prefix tests/node`) and Python Tornado's WebSocketHandler
(bench/tornado_ws_echo.py), all driven by one load generator written with tornado.h's
client (build/bench/bench_ws_echo). The HTTP client
(build/bench/bench_http_client) runs against nginx next to wrk and Python Tornado's client.
gzip responses on the fly: build/examples/file_server --gzip against nginx (gzip on, level 6).
A missing peer or tool
is reported, not fatal. BENCH_ONLY=ws_echo,http (section names: see main) runs just those
sections; WS_PIN=0 lets the scheduler place the WebSocket echo's server and generator.
"""
import os
import re
import resource
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
    if v < 1:
        return "%.3f" % v   # CPU microseconds per request
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


def cpu_seconds(pid, user_only=False):
    """user + system (or user only) CPU time of a process so far (from /proc)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + (0 if user_only else int(fields[12]))) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    """CPU seconds used so far by waited-for child processes (here: wrk)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def children_user_cpu():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime


def pin_to(cpu):
    """A preexec_fn that runs the child on one CPU (None: anywhere; also where there are fewer
    than two CPUs or no affinity call)."""
    if cpu is None or (os.cpu_count() or 1) < 2 or not hasattr(os, "sched_setaffinity"):
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def with_server(cmd, port, fn, cpu=None):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=pin_to(cpu))
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


NGINX_CONF = """worker_processes 1;
daemon off;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log;
events { worker_connections 20000; }
http {
  access_log off;
  client_body_temp_path %(dir)s; proxy_temp_path %(dir)s; fastcgi_temp_path %(dir)s;
  uwsgi_temp_path %(dir)s; scgi_temp_path %(dir)s;
  server { listen 127.0.0.1:%(port)d; location / { return 200 "Hello, world"; } }
}
"""


def nginx_worker(d):
    """The pid of the nginx worker whose master wrote d/nginx.pid (the master if none)."""
    with open(os.path.join(d, "nginx.pid")) as f:
        master = int(f.read().strip())
    kids = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
    return int(kids[0]) if kids else master


WRK_SECONDS = 5


def wrk(port, pipeline):
    """Returns (requests/s, requests, p99 ms, wrk's CPU share of one core)."""
    cmd = ["wrk", "-t1", "-c64", "-d%ds" % WRK_SECONDS, "--latency", "http://127.0.0.1:%d/" % port]
    if pipeline:
        cmd[1:1] = ["-s", "bench/pipeline.lua"]
    c0 = children_cpu()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    busy = (children_cpu() - c0) / WRK_SECONDS
    rps = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
    reqs = re.search(r"(\d+) requests in", p.stdout)
    p99 = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", p.stdout)
    lat = None
    if p99:
        lat = float(p99.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[p99.group(2)]
        lat = lat or None   # wrk records no latency for scripted (pipelined) requests
    return (float(rps.group(1)) if rps else None, int(reqs.group(1)) if reqs else None, lat, busy)


HTTP_ROUNDS = 3


def start_server(name, cmd, port, pid_of=None):
    """Start a server; returns (process, pid to measure) or None if it does not listen."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_port(port):
        print("  (%s did not start)" % name)
        stop_server(proc)
        return None
    return proc, (pid_of() if pid_of else proc.pid)


def stop_server(proc):
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


def median(xs):
    xs = sorted(x for x in xs if x is not None)
    return xs[len(xs) // 2] if xs else None


def bench_http(peer_ok):
    """Every server runs at once (an idle one costs nothing); the wrk cases go round robin
    over them HTTP_ROUNDS times, so a slow moment of the machine hits every column, and each
    figure is the median of its rounds. Then the idle-connection probe, one server at a time."""
    if not shutil.which("wrk"):
        print("\n== HTTP hello world: skipped (wrk not found: apt-get install wrk) ==")
        return
    servers = []   # (name, port, proc, pid)
    p = free_port()
    s = start_server("tornado.h", ["build/examples/hello", "--port", str(p)], p)
    if s:
        servers.append(("tornado.h", p) + s)
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx:
        d = os.path.join(ROOT, "build", "bench", "nginx")
        os.makedirs(d, exist_ok=True)
        p = free_port()
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(NGINX_CONF % {"dir": d, "port": p})
        s = start_server("nginx", [nginx, "-c", os.path.join(d, "nginx.conf")], p)
        if s:
            time.sleep(0.2)
            servers.append(("nginx", p, s[0], nginx_worker(d)))
    else:
        print("(nginx not found: apt-get install nginx-light; its column stays empty)")
    if peer_ok:
        p = free_port()
        s = start_server("Python Tornado", [PYTORNADO, "bench/tornado_hello.py", str(p)], p)
        if s:
            servers.append(("Py Tornado", p) + s)
    rounds = {}    # (server, case) -> list of (rps, p99, cpu/req, user/req, wrk busy %)
    try:
        for _ in range(HTTP_ROUNDS):
            for name, port, proc, pid in servers:
                for case, pipe in (("keep-alive", False), ("pipelined", True)):
                    c0, u0 = cpu_seconds(pid), cpu_seconds(pid, True)
                    rps, reqs, p99, busy = wrk(port, pipe)
                    cpu, user = cpu_seconds(pid) - c0, cpu_seconds(pid, True) - u0
                    rounds.setdefault((name, case), []).append(
                        (rps, p99, cpu / reqs * 1e6 if reqs else None,
                         user / reqs * 1e6 if reqs else None, busy * 100))
        results = {}
        for name, port, proc, pid in servers:
            out = {}
            for case in ("keep-alive", "pipelined"):
                rs = rounds.get((name, case), [])
                if rs:
                    out[case] = tuple(median(r[i] for r in rs) for i in range(5))
            p = subprocess.run([sys.executable, "bench/idle_conns.py", str(port), "9000", str(pid)],
                               capture_output=True, text=True, timeout=120)
            m = re.match(r"idle (-?\d+)", p.stdout.strip())
            out["idle"] = int(m.group(1)) if m else None
            results[name] = out
    finally:
        for name, port, proc, pid in servers:
            stop_server(proc)
    print("\n== HTTP hello world: wrk -t1 -c64 -d%ds, one server process each, median of %d rounds ==" % (WRK_SECONDS, HTTP_ROUNDS))
    print("  %-30s %12s %12s %12s %10s %10s" % ("figure", "tornado.h", "nginx", "Py Tornado", "vs nginx", "vs Tornado"))
    ours = results.get("tornado.h", {})

    def line(label, get, higher_better=True):
        a = get(ours)
        b = get(results.get("nginx", {}))
        c = get(results.get("Py Tornado", {}))
        def ratio(x, y):
            if not x or not y:
                return "-"
            if higher_better is None:   # context, not a score
                return "-"
            return "%.2fx" % ((x / y) if higher_better else (y / x))
        print("  %-30s %12s %12s %12s %10s %10s" % (label, fmt(a), fmt(b), fmt(c), ratio(a, b), ratio(a, c)))

    for case in ("keep-alive", "pipelined"):
        line("%s requests/s" % case, lambda r, k=case: (r.get(k) or (None,))[0])
        line("%s p99 latency ms" % case, lambda r, k=case: (r.get(k) or (None, None))[1], False)
        line("%s CPU us/request" % case, lambda r, k=case: (r.get(k) or (None,) * 5)[2], False)
        line("  of which user space", lambda r, k=case: (r.get(k) or (None,) * 5)[3], False)
        line("  wrk's own CPU % of a core", lambda r, k=case: (r.get(k) or (None,) * 5)[4], None)
    line("RSS bytes per idle connection", lambda r: r.get("idle"), False)
    for case in ("keep-alive", "pipelined"):
        a, b = rounds.get(("tornado.h", case), []), rounds.get(("nginx", case), [])
        per = ["%.2fx" % (y[2] / x[2]) for x, y in zip(a, b) if x[2] and y[2]]
        if per:
            print("  %s CPU per request, nginx / tornado.h in each round: %s" % (case, " ".join(per)))
    print("  (ratios: higher is better for tornado.h. wrk shares the 2 cores with the server: when")
    print("   wrk's own CPU nears 100%, keep-alive requests/s measure wrk, not the server. Kernel TCP")
    print("   work is the same for every server; user-space CPU per request is the server's own code)")


NGINX_GZIP_CONF = """worker_processes 1;
daemon off;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %(dir)s; proxy_temp_path %(dir)s; fastcgi_temp_path %(dir)s;
  uwsgi_temp_path %(dir)s; scgi_temp_path %(dir)s;
  types { text/html html; }
  gzip on; gzip_comp_level 6; gzip_min_length 1024; gzip_vary on;
  server { listen 127.0.0.1:%(port)d; root %(root)s; etag off; }
}
"""


def gzip_runs(port, pid):
    """wrk asking for gzip, and the size of one compressed answer."""
    body = subprocess.run(["curl", "-s", "-H", "Accept-Encoding: gzip", "http://127.0.0.1:%d/page.html" % port],
                          capture_output=True, timeout=10).stdout
    ok = body[:2] == b"\x1f\x8b"
    c0 = cpu_seconds(pid)
    cmd = ["wrk", "-t1", "-c64", "-d%ds" % WRK_SECONDS, "-H", "Accept-Encoding: gzip",
           "http://127.0.0.1:%d/page.html" % port]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    cpu = cpu_seconds(pid) - c0
    rps = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
    reqs = re.search(r"(\d+) requests in", p.stdout)
    if not (ok and rps and reqs):
        return None
    return (float(rps.group(1)), cpu / int(reqs.group(1)) * 1e6, len(body))


def bench_gzip():
    """Compressing on the fly: build/examples/file_server --gzip and nginx (gzip on, level 6
    as Tornado's default) serve the same 24 KB HTML page to wrk asking for gzip; neither
    caches the compressed answer."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not shutil.which("wrk") or not shutil.which("curl"):
        print("\n== gzip responses: skipped (apt-get install wrk curl) ==")
        return
    d = os.path.join(ROOT, "build", "bench", "gzip")
    root = os.path.join(d, "www")
    os.makedirs(root, exist_ok=True)
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    page = "<!doctype html><html><body><pre>\n" + (text * (1 + 24000 // len(text)))[:24000] + "</pre></body></html>\n"
    with open(os.path.join(root, "page.html"), "w", encoding="utf-8") as f:
        f.write(page)
    res = {}
    p = free_port()
    res["ours"] = with_server(["build/examples/file_server", "--root", root, "--port", str(p), "--gzip"], p, gzip_runs)
    if nginx:
        p = free_port()
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(NGINX_GZIP_CONF % {"dir": d, "port": p, "root": root})
        proc = subprocess.Popen([nginx, "-c", os.path.join(d, "nginx.conf")], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            if wait_port(p):
                time.sleep(0.2)
                res["nginx"] = gzip_runs(p, nginx_worker(d))
        finally:
            proc.terminate()
            proc.wait(10)
    print("\n== gzip responses: a %d-byte HTML page compressed per request (level 6), wrk -t1 -c64 ==" % len(page))
    if not nginx:
        print("  (nginx not found: apt-get install nginx-light; its column stays empty)")
    a, b = res.get("ours"), res.get("nginx")
    print("  %-30s %12s %12s %10s" % ("figure", "tornado.h", "nginx", "ratio"))
    for i, (label, better) in enumerate((("requests/s", 1), ("server CPU us/request", -1), ("compressed bytes", -1))):
        x, y = (a[i] if a else None), (b[i] if b else None)
        r = "-" if not x or not y else "%.2fx" % ((x / y) if better > 0 else (y / x))
        print("  %-30s %12s %12s %10s" % (label, fmt(x), fmt(y), r))
    print("  (ratio: higher is better for tornado.h; both compress every answer at level 6)")


NGINX_TLS_CONF = """worker_processes 1;
daemon off;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log;
events { worker_connections 20000; }
http {
  access_log off;
  client_body_temp_path %(dir)s; proxy_temp_path %(dir)s; fastcgi_temp_path %(dir)s;
  uwsgi_temp_path %(dir)s; scgi_temp_path %(dir)s;
  server {
    listen 127.0.0.1:%(port)d ssl;
    ssl_certificate %(cert)s; ssl_certificate_key %(key)s;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL; ssl_prefer_server_ciphers on;
    ssl_session_tickets on;
    location / { return 200 "Hello, world"; }
  }
}
"""
TLS_SECONDS = 3
TLS_ROUNDS = 3


def s_time(port, procs=2):
    """Full handshakes/s: `openssl s_time -new -www /` (a new connection and a full handshake
    per request, HTTP/1.0 GET), procs of them at once. Returns (connections/s, connections)."""
    cmd = ["openssl", "s_time", "-connect", "127.0.0.1:%d" % port, "-new", "-time", str(TLS_SECONDS), "-www", "/"]
    ps = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) for _ in range(procs)]
    rate, conns = 0.0, 0
    for p in ps:
        out = p.communicate(timeout=60)[0]
        m = re.search(r"(\d+) connections in (\d+) real seconds", out)
        if not m:
            return None, 0
        rate += int(m.group(1)) / max(1, int(m.group(2)))
        conns += int(m.group(1))
    return rate, conns


def tls_wrk(port):
    """Keep-alive https: returns (requests/s, requests)."""
    cmd = ["wrk", "-t1", "-c64", "-d%ds" % TLS_SECONDS, "https://127.0.0.1:%d/" % port]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
    reqs = re.search(r"(\d+) requests in", p.stdout)
    return (float(rps.group(1)) if rps else None), (int(reqs.group(1)) if reqs else 0)


def tls_rounds(servers):
    """Both servers run at once; each figure is measured in TLS_ROUNDS rounds that alternate
    between them (so a busy moment of the shared machine hits both alike). Rates: the best
    round; CPU: total server CPU over all rounds / total work."""
    out = {name: {} for name in servers}
    for key, fn in (("hs", s_time), ("rps", tls_wrk)):
        acc = {name: [[], 0, 0.0, 0.0] for name in servers}   # rates, work, cpu, user cpu
        for _ in range(TLS_ROUNDS):
            for name, (port, pid) in servers.items():
                c0, u0 = cpu_seconds(pid), cpu_seconds(pid, True)
                rate, work = fn(port)
                a = acc[name]
                a[2] += cpu_seconds(pid) - c0
                a[3] += cpu_seconds(pid, True) - u0
                if rate:
                    a[0].append(rate)
                    a[1] += work
        for name, (rates, work, cpu, user) in acc.items():
            out[name][key] = max(rates) if rates else None
            out[name][key + "_cpu"] = cpu / work * 1e6 if work else None
            out[name][key + "_user"] = user / work * 1e6 if work else None
    for name, (port, pid) in servers.items():
        p = subprocess.run([sys.executable, "bench/idle_conns.py", "--tls", str(port), "2000", str(pid)],
                           capture_output=True, text=True, timeout=300)
        m = re.match(r"idle (-?\d+)", p.stdout.strip())
        out[name]["idle"] = int(m.group(1)) if m else None
    return out


def bench_tls():
    """https: build/examples/hello --cert --key against nginx (one worker) with the same
    certificate (ECDSA P-256), protocols (TLS 1.2-1.3), cipher list, tickets and OpenSSL's
    default groups (X25519 first): the same client tools for both."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not shutil.which("wrk") or not shutil.which("openssl"):
        print("\n== https: skipped (needs wrk and openssl: apt-get install wrk openssl) ==")
        return
    d = os.path.join(ROOT, "build", "bench", "tls")
    os.makedirs(d, exist_ok=True)
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-subj", "/CN=localhost", "-days", "30"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs, servers = [], {}
    try:
        p = free_port()
        procs.append(subprocess.Popen(["build/examples/hello", "--port", str(p), "--cert", cert, "--key", key],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        if wait_port(p):
            servers["tornado.h"] = (p, procs[-1].pid)
        if nginx:
            p = free_port()
            with open(os.path.join(d, "nginx.conf"), "w") as f:
                f.write(NGINX_TLS_CONF % {"dir": d, "port": p, "cert": cert, "key": key})
            procs.append(subprocess.Popen([nginx, "-c", os.path.join(d, "nginx.conf")], stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
            if wait_port(p):
                servers["nginx"] = (p, nginx_worker(d))
        else:
            print("(nginx not found: apt-get install nginx-light; its column stays empty)")
        results = tls_rounds(servers)
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
    print("\n== https (TLS 1.3, ECDSA P-256, X25519): one server process each ==")
    print("  %-44s %12s %12s %10s" % ("figure", "tornado.h", "nginx", "vs nginx"))
    a, b = results.get("tornado.h", {}), results.get("nginx", {})
    for label, k, hb in (("full handshakes/s (2x openssl s_time -new)", "hs", True),
                         ("  server CPU us/handshake", "hs_cpu", False),
                         ("  of which user space", "hs_user", False),
                         ("keep-alive requests/s (wrk -c64)", "rps", True),
                         ("  server CPU us/request", "rps_cpu", False),
                         ("  of which user space", "rps_user", False),
                         ("RSS bytes per idle TLS connection", "idle", False)):
        x, y = a.get(k), b.get(k)
        ratio = "-" if not x or not y else "%.2fx" % ((x / y) if hb else (y / x))
        print("  %-44s %12s %12s %10s" % (label, fmt(x), fmt(y), ratio))
    print("  (ratios: higher is better for tornado.h. Both servers run at once and every rate is the")
    print("   best of %d rounds of %d s that alternate between them; CPU: all rounds' server CPU over" % (TLS_ROUNDS, TLS_SECONDS))
    print("   all their work. idle: 2000 https connections after one request each, RSS growth of")
    print("   the server process / the nginx worker)")


def parse_client(out):
    m = re.search(r"client (\d+) requests ([\d.]+) s ([\d.]+) /s ([\d.]+) us/request ([\d.]+) us-user/request "
                  r"(\d+) conns (\d+) errors", out)
    if not m:
        return None
    return {"rps": float(m.group(3)), "cpu": float(m.group(4)), "user": float(m.group(5)),
            "conns": int(m.group(6)), "errors": int(m.group(7))}


def bench_client(peer_ok):
    """HTTP clients against one nginx, 64 requests in flight each: tn_http_client (pooled
    keep-alive), wrk (a pure load generator: the ceiling), Python Tornado's AsyncHTTPClient."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not nginx or not os.path.exists("build/bench/bench_http_client"):
        print("\n== HTTP client: skipped (nginx not found: apt-get install nginx-light) ==")
        return
    d = os.path.join(ROOT, "build", "bench", "nginx-client")
    os.makedirs(d, exist_ok=True)
    port = free_port()
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF % {"dir": d, "port": port})
    proc = subprocess.Popen([nginx, "-c", os.path.join(d, "nginx.conf")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d/" % port
    res = {}
    try:
        if not wait_port(port):
            print("\n== HTTP client: nginx did not start ==")
            return
        p = subprocess.run(["build/bench/bench_http_client", url, "64", str(WRK_SECONDS)], capture_output=True,
                           text=True, timeout=60)
        res["tornado.h"] = parse_client(p.stdout)
        if shutil.which("wrk"):
            c0, u0 = children_cpu(), children_user_cpu()
            p = subprocess.run(["wrk", "-t1", "-c64", "-d%ds" % WRK_SECONDS, url], capture_output=True, text=True,
                               timeout=60)
            cpu, user = children_cpu() - c0, children_user_cpu() - u0
            rps = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
            reqs = re.search(r"(\d+) requests in", p.stdout)
            if rps and reqs:
                n = int(reqs.group(1))
                res["wrk"] = {"rps": float(rps.group(1)), "cpu": cpu / n * 1e6, "user": user / n * 1e6}
        if peer_ok:
            p = subprocess.run([PYTORNADO, "bench/tornado_client.py", url, "64", str(WRK_SECONDS)],
                               capture_output=True, text=True, timeout=120)
            res["Py Tornado"] = parse_client(p.stdout)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
    print("\n== HTTP client: 64 requests in flight against one nginx (GET, 12-byte body), %d s each ==" % WRK_SECONDS)
    print("  %-30s %12s %12s %12s %10s %10s" % ("figure", "tornado.h", "wrk", "Py Tornado", "vs wrk", "vs Tornado"))
    ours = res.get("tornado.h") or {}

    def line(label, key, higher_better):
        a = ours.get(key)
        b = (res.get("wrk") or {}).get(key)
        c = (res.get("Py Tornado") or {}).get(key)
        def ratio(x, y):
            if not x or not y:
                return "-"
            return "%.2fx" % ((x / y) if higher_better else (y / x))
        print("  %-30s %12s %12s %12s %10s %10s" % (label, fmt(a), fmt(b), fmt(c), ratio(a, b), ratio(a, c)))

    line("requests/s", "rps", True)
    line("client CPU us/request", "cpu", False)
    line("  of which user space", "user", False)
    print("  (tornado.h: %s connections opened, %s errors; Python Tornado's simple client opens one "
          "connection per request)" % (ours.get("conns", "-"), ours.get("errors", "-")))
    print("  (targets: >= 0.8x wrk's requests/s, >= 20x Python Tornado's; the clients share the 2 cores "
          "with nginx)")


def bench_router():
    if not os.path.exists("build/bench/bench_router"):
        return
    print("\n== router (build/bench/bench_router) ==")
    out = subprocess.run(["build/bench/bench_router"], capture_output=True, text=True, timeout=60).stdout
    for l in out.splitlines():
        print("  " + l)


def bench_crypto():
    """build/bench/bench_crypto: hashing throughput beside OpenSSL's libcrypto (same process)."""
    if not os.path.exists("build/bench/bench_crypto"):
        return
    print("\n== hashing (build/bench/bench_crypto; CPU-time rates, median of 5 alternating rounds; "
          "peer: OpenSSL libcrypto in the same process) ==")
    out = subprocess.run(["build/bench/bench_crypto"], capture_output=True, text=True, timeout=120).stdout
    print("  %-22s %12s %12s %10s" % ("figure", "tornado.h", "OpenSSL", "ratio"))
    for line in out.splitlines():
        f = line.split()
        if len(f) != 4 or f[0] != "crypto":
            continue
        ratio = "%.2fx" % (float(f[2]) / float(f[3])) if f[3] != "-" and float(f[3]) > 0 else "-"
        print("  %-22s %12s %12s %10s" % (f[1], f[2], f[3], ratio))
    print("  (ours is portable C; OpenSSL's assembly uses the CPU's SHA extensions where present; "
          "HMAC of 64 B is a signed cookie's or XSRF token's cost)")


# picohttpparser (h2o) is not a Debian package and no other project's code enters this repo:
# when a checkout sits outside it (git clone https://github.com/h2o/picohttpparser ../picohttpparser,
# or PICOHTTPPARSER_DIR=...), the parser bench is also built with it, bench-only, as a peer.
# Figures from issue 14 (measured on this machine, -O2 and -O2 -msse4.2) stand in otherwise.
PICO_ISSUE14 = {("O2", "chrome-703B"): 4.45e6, ("SSE4.2", "chrome-703B"): 7.00e6,
                ("O2", "minimal-27B"): 59.1e6, ("O2", "response-282B"): 9.63e6}


def pico_dir():
    d = os.environ.get("PICOHTTPPARSER_DIR") or os.path.join(os.path.dirname(ROOT), "picohttpparser")
    return d if os.path.exists(os.path.join(d, "picohttpparser.c")) else None


def build_parse_pico(flags, out):
    d = pico_dir()
    if not d:
        return None
    libs = ["-lhttp_parser", "-DTN_BENCH_HTTP_PARSER"] if shutil.which("cc") and os.path.exists("/usr/include/http_parser.h") else []
    cmd = ["cc", "-std=gnu99", "-O2", "-DNDEBUG"] + flags + ["-DTN_BENCH_PICO", "-I", d, "-o", out,
           "bench/bench_parse.c", os.path.join(d, "picohttpparser.c"), "-lpthread"] + libs
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print("  (picohttpparser at %s did not build: %s)" % (d, r.stderr.strip().splitlines()[-1:] or "?"))
        return None
    return out


def parse_rates(out):
    res = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 4 and f[0] == "parse":
            res[(f[1], f[2])] = float(f[3])
    return res


def bench_parse():
    if not os.path.exists("build/bench/bench_parse"):
        return
    print("\n== HTTP parser (build/bench/bench_parse*, messages/s, median of alternating rounds; peers in the same process) ==")
    builds = [("O2", "build/bench/bench_parse", [])]
    for tag, exe, fl in (("SSE4.2", "build/bench/bench_parse_sse42", ["-msse4.2"]), ("AVX2", "build/bench/bench_parse_avx2", ["-mavx2"])):
        if os.path.exists(exe):
            builds.append((tag, exe, fl))
    if not pico_dir():
        print("  (picohttpparser: not here; git clone https://github.com/h2o/picohttpparser %s, or set "
              "PICOHTTPPARSER_DIR, to add it; issue 14's figures are shown instead, marked *)"
              % os.path.join(os.path.dirname(ROOT), "picohttpparser"))
    print("  %-7s %-14s %12s %12s %8s %15s %8s" % ("build", "input", "tornado.h", "http_parser", "ratio", "picohttpparser", "ratio"))
    for tag, exe, fl in builds:
        if pico_dir():
            exe = build_parse_pico(fl, exe + "_pico") or exe
        out = subprocess.run([exe], capture_output=True, text=True, timeout=180).stdout
        r = parse_rates(out)
        for inp in ("chrome-703B", "minimal-27B", "response-282B"):
            ours = r.get((inp, "tornado.h"))
            hp = r.get((inp, "http_parser"))
            pico = r.get((inp, "picohttpparser"))
            mark = ""
            if pico is None and (tag, inp) in PICO_ISSUE14:
                pico, mark = PICO_ISSUE14[(tag, inp)], "*"
            def ratio(x):
                return "%.2fx" % (ours / x) if ours and x else "-"
            print("  %-7s %-14s %12s %12s %8s %15s %8s" % (
                tag, inp, fmt(ours) if ours else "-", fmt(hp) if hp else "-", ratio(hp),
                (fmt(pico) + mark) if pico else "-", ratio(pico)))
        ck = r.get(("chunked-4K", "tornado.h"))
        if ck:
            print("  %-7s %-14s %12s   (response head + 8 x 512-byte chunks decoded in place)" % (tag, "chunked-4K", fmt(ck)))
    print("  (ratio = tornado.h / peer, higher is better; * = issue 14's figure, not measured in this run)")


def bench_deflate():
    """build/bench/bench_deflate on the source text (src/*.c + tornado.h) and generated JSON."""
    if not os.path.exists("build/bench/bench_deflate"):
        return
    import glob
    import statistics
    files = sorted(glob.glob("src/*.c")) + ["tornado.h"]
    rounds = 3   # each figure is the median of the rounds (the machine may be shared)
    runs, invs, size = {}, {}, ""
    for _ in range(rounds):
        out = subprocess.run(["build/bench/bench_deflate", "0.3"] + files, capture_output=True, text=True,
                             timeout=600).stdout
        for line in out.splitlines():
            f = line.split()
            if f[0] == "deflate":
                runs.setdefault((f[1], f[2], f[3]), []).append((float(f[4]), float(f[5]), float(f[6])))
            elif f[0] == "inflate-zlib6":
                invs.setdefault((f[1], f[2]), []).append(float(f[3]))
            elif f[0] == "corpus":
                size = f[2]
    res = {k: tuple(statistics.median(x[i] for x in v) for i in range(3)) for k, v in runs.items()}
    inf = {k: statistics.median(v) for k, v in invs.items()}
    print("\n== deflate/inflate (build/bench/bench_deflate; text = src/*.c + tornado.h, %s bytes; zlib format; "
          "median of %d rounds) ==" % (size, rounds))
    print("  %-22s %14s %14s %14s %12s %12s" % ("figure", "tornado.h", "zlib", "libdeflate", "vs zlib", "vs libdefl"))
    for corpus in ("text", "json"):
        for level in ("1", "6"):
            for i, what in ((0, "deflate MB/s"), (1, "ratio"), (2, "inflate own MB/s")):
                v = [res.get((corpus, c, level), (None,) * 3)[i] for c in ("tornado.h", "zlib", "libdeflate")]
                def rt(a, b):
                    if not a or not b:
                        return "-"
                    return "%.2fx" % ((b / a) if i == 1 else (a / b))   # ratio: smaller is better
                print("  %-22s %14s %14s %14s %12s %12s" % ("%s -%s %s" % (corpus, level, what),
                      *["-" if x is None else ("%.4f" % x if i == 1 else "%.1f" % x) for x in v],
                      rt(v[0], v[1]), rt(v[0], v[2])))
        v = [inf.get((corpus, c)) for c in ("tornado.h", "zlib", "libdeflate")]
        print("  %-22s %14s %14s %14s %12s %12s" % ("%s inflate zlib-6 MB/s" % corpus,
              *["-" if x is None else "%.1f" % x for x in v],
              "%.2fx" % (v[0] / v[1]) if v[0] and v[1] else "-", "%.2fx" % (v[0] / v[2]) if v[0] and v[2] else "-"))
    print("  (ratios: higher is better for tornado.h; for \"ratio\" the figure is compressed/original)")


TORNADO_MASK = r"""
import os, sys, time
from tornado.speedups import websocket_mask
for n in (16384, 20):
    data, key, calls = os.urandom(n), b"\x01\x02\x03\x04", 0
    t0 = time.process_time()
    while time.process_time() - t0 < 0.8:
        for _ in range(1000):
            websocket_mask(key, data)
        calls += 1000
    t = time.process_time() - t0
    print("mask-%dB %.0f %.2f" % (n, calls / t, calls * n / t / 1e9))
"""


def bench_ws(peer_ok):
    """The frame codec, SSE2 and scalar builds side by side. Pure functions: no socket and
    no peer process; masking alone is also compared with Python Tornado's C speedup
    (tornado.speedups.websocket_mask, which returns a new bytes object per call)."""
    runs = {}
    for tag, exe in (("SSE2", "build/bench/bench_ws"), ("scalar", "build/bench/bench_ws_nosimd")):
        if not os.path.exists(exe):
            return
        out = subprocess.run([exe], capture_output=True, text=True, timeout=120).stdout
        runs[tag] = {p[1]: (float(p[2]), float(p[3])) for p in (l.split() for l in out.splitlines())
                     if len(p) == 4 and p[0] == "ws"}
    peer = {}
    if peer_ok:
        out = subprocess.run([PYTORNADO, "-c", TORNADO_MASK], capture_output=True, text=True, timeout=60).stdout
        peer = {p[0]: (float(p[1]), float(p[2])) for p in (l.split() for l in out.splitlines()) if len(p) == 3}
    print("\n== WebSocket frame codec (build/bench/bench_ws, bench_ws_nosimd; no peer process) ==")
    print("  %-24s %14s %8s %14s %8s %8s" % ("input", "SSE2 frames/s", "GB/s", "scalar frames/s", "GB/s", "ratio"))
    for name, (f, g) in runs["SSE2"].items():
        sf, sg = runs["scalar"].get(name, (0.0, 0.0))
        print("  %-24s %14.0f %8.2f %14.0f %8.2f %7.2fx" % (name, f, g, sf, sg, g / sg if sg else 0.0))
    for name, (c, g) in peer.items():
        ours = runs["SSE2"].get(name, (0.0, 0.0))[1]
        print("  %-24s %14.0f %8.2f   (Python Tornado's C websocket_mask; tornado.h/peer %.1fx)" %
              ("peer " + name, c, g, ours / g if g else 0.0))
    print("  (GB/s of wire bytes incl. headers; frames are masked client frames parsed in place,")
    print("   text frames UTF-8 checked and unmasked into a separate buffer; data stays in cache)")


WS_CASES = [("20 B", 20, 1), ("16 KiB", 16384, 1), ("20 B, 8 in flight", 20, 8)]
WS_CONNS = 100
WS_SECONDS = 3
# The server on CPU 0 and the load generator on CPU 1 (every server alike; WS_PIN=0 lets the
# scheduler place them). Unpinned, Linux tends to wake the echo's receiver on the sender's CPU,
# so on 2 cores the two processes take turns on one and neither saturates: the figure then
# measures the scheduler more than the server.
WS_PIN = os.environ.get("WS_PIN", "1") != "0"
WS_ROUNDS = 5   # the servers take turns; each figure is the median of its rounds (the machine is
                # shared and drifts: a round's figures move by 10-20% between rounds)


def ws_echo_runs(port, pid):
    """Drive a WebSocket echo server with bench_ws_echo: for each case, (msgs/s, the
    generator's CPU share, the server's CPU seconds per message)."""
    res = []
    for _, size, inflight in WS_CASES:
        c0 = cpu_seconds(pid)
        p = subprocess.run(["build/bench/bench_ws_echo", "ws://127.0.0.1:%d/" % port, str(WS_CONNS), str(size),
                            str(WS_SECONDS), str(inflight)], capture_output=True, text=True, timeout=120,
                           preexec_fn=pin_to(1 if WS_PIN else None))
        used = cpu_seconds(pid) - c0
        m = re.search(r"msgs/s (\d+) cpu ([\d.]+)", p.stdout)
        if p.returncode != 0 or not m:
            res.append((None, None, None))
            continue
        rate, share = float(m.group(1)), float(m.group(2))
        # the server's CPU over the whole run (connect, 0.3 s warm-up, window, close) per
        # echo of warm-up and window: a slight overestimate, alike for every server
        msgs = rate * (WS_SECONDS + 0.3)
        res.append((rate, share, used / msgs if msgs else None))
    return res


def bench_ws_echo(peer_ok):
    """WebSocket echo servers, 100 connections, binary messages: the same tornado.h load
    generator (build/bench/bench_ws_echo) for every server, the servers in turns."""
    none = [(None, None, None)] * len(WS_CASES)
    node_ok = bool(shutil.which("node")) and os.path.isdir("tests/node/node_modules/ws")
    servers = [("ours", lambda p: ["build/examples/ws_echo", "--port", str(p)])]
    if node_ok:
        servers.append(("node", lambda p: ["node", "bench/ws_echo_node.js", str(p)]))
    if peer_ok:
        servers.append(("py", lambda p: [PYTORNADO, "bench/tornado_ws_echo.py", str(p)]))
    if os.path.exists("build/bench/ws_floor"):
        servers.append(("floor", lambda p: ["build/bench/ws_floor", "--port", str(p)]))
    runs = {name: [[] for _ in WS_CASES] for name, _ in servers}   # per case: (rate, share, per) of each round
    for _ in range(WS_ROUNDS):
        for name, cmd in servers:
            port = free_port()
            got = with_server(cmd(port), port, ws_echo_runs, 0 if WS_PIN else None) or none
            for i, r in enumerate(got):
                if r[0]:
                    runs[name][i].append(r)

    def med(rs, k):
        xs = [r[k] for r in rs if r[k] is not None]
        return median(xs) if xs else None
    # each figure on its own: the median rate, the median generator share, the median CPU per message
    best = {name: [(med(rs, 0), med(rs, 1), med(rs, 2)) for rs in cases] for name, cases in runs.items()}
    ours, node, py = best["ours"], best.get("node", none), best.get("py", none)
    print("\n== WebSocket echo server, %d connections (same tornado.h client for all; median of %d rounds; %s) =="
          % (WS_CONNS, WS_ROUNDS, "server on CPU 0, generator on CPU 1" if pin_to(0 if WS_PIN else None) else "not pinned"))
    if not node_ok:
        print("  (node ws not found: apt-get install nodejs npm; npm install --prefix tests/node)")
    print("  %-30s %11s %11s %8s %11s %8s" % ("figure", "tornado.h", "node ws", "ratio", "Py Tornado", "ratio"))

    def ratio(a, b, inverse=False):
        if not a or not b:
            return "-"
        return "%.2fx" % ((b / a) if inverse else (a / b))

    for (label, _, _), a, n, t in zip(WS_CASES, ours, node, py):
        print("  %-30s %11s %11s %8s %11s %8s   msgs/s" % ("echo " + label, fmt(a[0]), fmt(n[0]), ratio(a[0], n[0]),
                                                            fmt(t[0]), ratio(a[0], t[0])))
    print("  server CPU per message (us; lower is better; ratio = peer / ours):")
    for (label, _, _), a, n, t in zip(WS_CASES, ours, node, py):
        us = [x[2] * 1e6 if x[2] else None for x in (a, n, t)]
        print("  %-30s %11s %11s %8s %11s %8s" % ("  echo " + label, fmt(us[0]), fmt(us[1]), ratio(us[0], us[1], True),
                                                 fmt(us[2]), ratio(us[0], us[2], True)))
    print("  load generator's CPU share in that run (1.00 = its one core is saturated):")
    for (label, _, _), a, n, t in zip(WS_CASES, ours, node, py):
        sh = ["%.2f" % x[1] if x[1] is not None else "-" for x in (a, n, t)]
        print("  %-30s %11s %11s %8s %11s" % ("  echo " + label, sh[0], sh[1], "", sh[2]))
    floor = best.get("floor")
    if floor:
        # bench/ws_floor.c: a bare epoll loop echoing frames with one recv and one send per
        # message and none of a real server's checks: what the kernel alone costs
        print("  the floor (bench/ws_floor: bare epoll, one recv + one send per message, no checks):")
        print("  %-30s %11s %11s %11s %13s" % ("", "floor msg/s", "floor us", "ours us", "ours / floor"))
        for (label, _, _), a, f in zip(WS_CASES, ours, floor):
            us = [x[2] * 1e6 if x[2] else None for x in (a, f)]
            print("  %-30s %11s %11s %11s %13s" % ("  echo " + label, fmt(f[0]), fmt(us[1]), fmt(us[0]),
                                                  ratio(us[0], us[1]) if us[0] and us[1] else "-"))


WS_IDLE = 10000


def bench_ws_idle():
    """Resident memory per idle WebSocket: 10,000 upgraded connections held open (one
    process for the clients, bench/idle_conns.py --ws), our ws_echo against node's ws."""
    node_ok = bool(shutil.which("node")) and os.path.isdir("tests/node/node_modules/ws")
    servers = [("tornado.h", lambda p: ["build/examples/ws_echo", "--port", str(p)])]
    if node_ok:
        servers.append(("node ws", lambda p: ["node", "bench/ws_echo_node.js", str(p)]))
    got = {}
    for name, cmd in servers:
        p = free_port()

        def probe(port, pid):
            out = subprocess.run([sys.executable, "bench/idle_conns.py", "--ws", str(port), str(WS_IDLE), str(pid)],
                                 capture_output=True, text=True, timeout=300).stdout
            m = re.match(r"idle (-?\d+)", out.strip())
            return int(m.group(1)) if m and int(m.group(1)) > 0 else None
        got[name] = with_server(cmd(p), p, probe)
    a, b = got.get("tornado.h"), got.get("node ws")
    print("\n== Idle WebSockets: %d upgraded connections held open ==" % WS_IDLE)
    print("  %-30s %11s %11s %8s" % ("figure", "tornado.h", "node ws", "ratio"))
    print("  %-30s %11s %11s %8s" % ("RSS bytes per connection", fmt(a), fmt(b),
                                     "%.2fx" % (b / a) if a and b else "-"))
    print("  (ratio: how many times less memory tornado.h uses)")


def main():
    print("tornado.h benchmarks: %s, %d cores" % (os.uname().machine, os.cpu_count() or 0))
    peer_ok = have_tornado()
    if not peer_ok:
        print("(Python Tornado not found: apt-get install python3-tornado; its columns stay empty)")
    # BENCH_ONLY=ws_echo,http (names as below, without bench_): just those sections
    only = [x for x in os.environ.get("BENCH_ONLY", "").split(",") if x]
    for name, fn in (("loop", lambda: bench_loop(peer_ok)), ("echo", lambda: bench_echo(peer_ok)),
                     ("parse", bench_parse), ("ws", lambda: bench_ws(peer_ok)),
                     ("ws_echo", lambda: bench_ws_echo(peer_ok)), ("ws_idle", bench_ws_idle),
                     ("router", bench_router), ("crypto", bench_crypto), ("deflate", bench_deflate), ("gzip", bench_gzip),
                     ("http", lambda: bench_http(peer_ok)), ("tls", bench_tls),
                     ("client", lambda: bench_client(peer_ok))):
        if not only or name in only:
            fn()
    return 0


if __name__ == "__main__":
    sys.exit(main())
