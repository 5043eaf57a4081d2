#!/usr/bin/env python3
"""bench/icount.py: the HTTP server's user-space instructions per request, counted by
valgrind's callgrind (Debian: valgrind) with bench/bench_http_icount.c as the load: two runs
with different request counts, the difference of the server thread's totals divided by the
difference in requests (start-up and shutdown cancel). Deterministic to a few instructions,
unlike wall-clock CPU under wrk.
  python3 bench/icount.py [--depth 16] [--conns 4] [--rounds 50] [--cflags "-O2"] [--keep]
Builds build/bench/bench_http_icount as examples/hello is built (-O2 -g, with OpenSSL when
it links). --keep leaves the callgrind files (build/bench/cg.*) for callgrind_annotate."""
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)


def arg(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


depth = int(arg("--depth", "16"))
conns = int(arg("--conns", "4"))
rounds = int(arg("--rounds", "50"))
cflags = arg("--cflags", "-O2 -g").split()
prog = "build/bench/bench_http_icount"
os.makedirs("build/bench", exist_ok=True)
tls = subprocess.run(["sh", "-c", "echo 'int main(void){return 0;}' | cc -x c - -o /dev/null -lssl -lcrypto"],
                     capture_output=True).returncode == 0
cmd = ["cc", "-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Wundef", "-Werror"] + cflags + \
      (["-DTORNADO_WITH_OPENSSL"] if tls else []) + ["-o", prog, "bench/bench_http_icount.c", "-lpthread"] + \
      (["-lssl", "-lcrypto"] if tls else [])
subprocess.run(cmd, check=True)


def total(n):
    for f in glob.glob("build/bench/cg.%d.*" % n):
        os.remove(f)
    subprocess.run(["valgrind", "--tool=callgrind", "--separate-threads=yes",
                    "--callgrind-out-file=build/bench/cg.%d" % n, prog, str(n), str(conns), str(depth)],
                   check=True, capture_output=True)
    files = sorted(glob.glob("build/bench/cg.%d-*" % n))
    with open(files[0]) as f:   # -01: the main thread, the server
        for line in f:
            m = re.match(r"(summary|totals): (\d+)", line)
            if m:
                return int(m.group(2))
    raise SystemExit("no totals in " + files[0])


a, b = rounds, rounds * 3
ta, tb = total(a), total(b)
reqs = (b - a) * conns * depth
print("depth %d, %d connections: %.1f instructions/request (%d requests: %d - %d)" %
      (depth, conns, (tb - ta) / reqs, reqs, tb, ta))
if "--keep" not in sys.argv:
    for f in glob.glob("build/bench/cg.*"):
        os.remove(f)
