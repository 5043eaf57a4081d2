#!/usr/bin/env python3
"""tests/test_autobahn.py: the Autobahn|Testsuite (WebSocket conformance) in both directions.

server: `wstest -m fuzzingclient` against build/examples/ws_echo (our server).
client: `wstest -m fuzzingserver` driven by build/examples/ws_testee (our client).
Cases 1-7 (framing, pings, reserved bits, opcodes, fragmentation, UTF-8, close), 9 (limits
and performance: large messages, slow) and 10 (misc); 12-13 (permessage-deflate: the examples
run with --compress, which cases 1-10 do not negotiate; a subset of 12-13 by default, see
patterns()). Four jobs run in parallel to keep `make test` within budget: each direction,
and in each the deflate groups apart from the others.
The suite is /work/shared/conformance/autobahn (or $TN_AUTOBAHN), run with /usr/bin/python3
and Debian's python3-autobahn python3-twisted python3-openssl python3-service-identity
python3-jinja2; without them the cases are skipped.

One case per direction and case group ("server.group_6", "client.group_9", ...): it passes
when no case of the group is FAILED or UNIMPLEMENTED (behavior or behaviorClose); the line
carries the counts per behaviour. NON-STRICT is allowed (the RFC permits the behaviour) and
counted. Prints result lines like the C test binaries and a summary line (tests/run.py
counts them). Usage: tests/test_autobahn.py [SUBSTR] (-l lists the cases).
"""
import collections
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
PROG = "test_autobahn"
LIST = sys.argv[1:2] == ["-l"]
FILTER = sys.argv[1] if len(sys.argv) > 1 and not LIST else None
PY = "/usr/bin/python3"
SUITE = os.environ.get("TN_AUTOBAHN", "/work/shared/conformance/autobahn")
GROUPS = ["1", "2", "3", "4", "5", "6", "7", "9", "10", "12", "13"]
DEFLATE_GROUPS = ("12", "13")
BIN_DIR = os.environ.get("TN_EXAMPLES_DIR") or "build/examples"
counts = {"ok": 0, "FAIL": 0, "skip": 0}
lock = threading.Lock()


def report(kind, name, detail=""):
    with lock:
        counts[kind] += 1
        print("%s %s.%s%s" % (kind, PROG, name, detail), flush=True)


def names():
    return ["%s.group_%s" % (d, g) for d in ("server", "client") for g in GROUPS]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, deadline):
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def wstest(mode, spec, tmp, log):
    fd, path = tempfile.mkstemp(prefix=mode, suffix=".json", dir=tmp)   # one per job
    with os.fdopen(fd, "w") as f:
        json.dump(spec, f)
    env = dict(os.environ, PYTHONPATH=SUITE)
    # -u 0: no report web server (its default port 8080 would clash between parallel jobs)
    web = ["-u", "0"] if mode == "fuzzingserver" else []
    return subprocess.Popen([PY, "-m", "autobahntestsuite.wstest", "-m", mode, "-s", path] + web, cwd=tmp, env=env,
                            stdout=log, stderr=subprocess.STDOUT)


def judge(direction, outdir, t0, selected):
    """One result line per case group from outdir/index.json."""
    ms = int((time.time() - t0) * 1000)
    try:
        results = json.load(open(os.path.join(outdir, "index.json")))
        results = results.get("tornado.h", {})
    except (OSError, ValueError) as e:
        for g in selected:
            report("FAIL", "%s.group_%s" % (direction, g), ": no report (%s)" % e)
        return
    for g in selected:
        cases = {k: v for k, v in results.items() if k.split(".")[0] == g}
        name = "%s.group_%s" % (direction, g)
        if not cases:
            report("FAIL", name, ": no case of group %s ran" % g)
            continue
        beh = collections.Counter(v["behavior"] for v in cases.values())
        close = collections.Counter(v["behaviorClose"] for v in cases.values())
        bad = sorted((k for k, v in cases.items()
                      if v["behavior"] in ("FAILED", "UNIMPLEMENTED") or v["behaviorClose"] in ("FAILED", "UNIMPLEMENTED")),
                     key=lambda k: [int(x) for x in k.split(".")])
        summary = "%d cases: %s (close: %s)" % (len(cases), ", ".join("%s %d" % kv for kv in sorted(beh.items())),
                                                 ", ".join("%s %d" % kv for kv in sorted(close.items())))
        if bad:
            report("FAIL", name, ": %s; failed: %s" % (summary, " ".join(bad[:20])))
        else:
            report("ok", name, " (%d ms)" % ms)
            print("  %s: %s" % (name, summary), flush=True)


# How long one direction may run. The whole of 12-13 (TN_AUTOBAHN_DEFLATE=all: 64 KiB and
# 128 KiB messages through the suite's Python zlib) takes far longer than make test's share.
RUN_LIMIT = 3 * 3600 if os.environ.get("TN_AUTOBAHN_DEFLATE") == "all" else 600


def patterns(groups):
    """Case patterns for groups: 12 and 13 (permessage-deflate) send 1000 messages per case
    through Python's zlib on the suite's side (2 s for 16-byte messages, about a minute for
    128 KiB ones on this machine: the whole of 12-13 takes hours), so make test runs three
    sizes of each data set and parameter set (16 B, 4 KiB, 8 KiB fragmented into 256-byte
    frames: 36 cases per direction); TN_AUTOBAHN_DEFLATE=all runs all 216, and
    TN_AUTOBAHN_DEFLATE=1,2,3 the cases with those last numbers in every group."""
    out = []
    want = os.environ.get("TN_AUTOBAHN_DEFLATE", "")
    nums = [int(n) for n in want.split(",")] if re.match(r"^\d+(,\d+)*$", want) else [1, 5, 11]
    for g in groups:
        if g in DEFLATE_GROUPS and want != "all":
            out += ["%s.*.%d$" % (g, n) for n in nums]   # "$": the suite matches prefixes
        else:
            out.append("%s.*" % g)
    return out


def run_server_side(tmp, selected, tag=""):
    """Our server (ws_echo) under wstest's fuzzing client."""
    t0 = time.time()
    log = open(os.path.join(tmp, "server%s.log" % tag), "wb")
    echo = subprocess.Popen([os.path.join(BIN_DIR, "ws_echo"), "--port", "0", "--compress"], stdout=subprocess.PIPE,
                            stderr=log)
    try:
        line = b""
        deadline = time.time() + 10
        while not line.endswith(b"\n") and time.time() < deadline:
            r, _, _ = select.select([echo.stdout], [], [], 0.5)
            if r:
                ch = os.read(echo.stdout.fileno(), 1)
                if not ch:
                    break
                line += ch
        m = re.search(rb"ws://[\d.]+:(\d+)/", line)
        if not m:
            for g in selected:
                report("FAIL", "server.group_%s" % g, ": ws_echo did not start: %r" % line)
            return
        outdir = os.path.join(tmp, "server-reports" + tag)
        spec = {"servers": [{"agent": "tornado.h", "url": "ws://127.0.0.1:%s/" % m.group(1).decode()}],
                "cases": patterns(selected), "exclude-cases": [],
                "options": {"failByDrop": False}, "outdir": outdir}
        p = wstest("fuzzingclient", spec, tmp, log)
        try:
            p.wait(timeout=RUN_LIMIT)
        except subprocess.TimeoutExpired:
            p.kill()
        judge("server", outdir, t0, selected)
        if echo.poll() is not None:
            report("FAIL", "server.alive", ": ws_echo exited with %s" % echo.returncode)
    finally:
        if echo.poll() is None:
            echo.kill()
        echo.wait(timeout=10)


def run_client_side(tmp, selected, tag=""):
    """Our client (ws_testee) against wstest's fuzzing server."""
    t0 = time.time()
    log = open(os.path.join(tmp, "client%s.log" % tag), "wb")
    port = free_port()
    outdir = os.path.join(tmp, "client-reports" + tag)
    spec = {"url": "ws://127.0.0.1:%d" % port, "outdir": outdir, "cases": patterns(selected),
            "exclude-cases": [], "options": {"failByDrop": False}}
    p = wstest("fuzzingserver", spec, tmp, log)
    try:
        if not wait_port(port, time.time() + 30):
            for g in selected:
                report("FAIL", "client.group_%s" % g, ": wstest fuzzingserver did not start")
            return
        t = subprocess.run([os.path.join(BIN_DIR, "ws_testee"), "--url", "ws://127.0.0.1:%d" % port,
                            "--agent", "tornado.h", "--compress"], stdout=log, stderr=subprocess.STDOUT, timeout=RUN_LIMIT)
        if t.returncode != 0:
            report("FAIL", "client.testee", ": ws_testee exited with %d" % t.returncode)
        judge("client", outdir, t0, selected)
    finally:
        p.kill()
        p.wait(timeout=10)


def main():
    if LIST:
        print("\n".join("%s.%s" % (PROG, n) for n in names()))
        return 0
    sel = {d: [g for g in GROUPS if not FILTER or FILTER in "%s.%s.group_%s" % (PROG, d, g)] for d in ("server", "client")}
    todo = [n for d in sel for n in ("%s.group_%s" % (d, g) for g in sel[d])]
    have = os.path.isdir(os.path.join(SUITE, "autobahntestsuite")) and subprocess.run(
        [PY, "-c", "import autobahn, twisted, OpenSSL, service_identity, jinja2"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL).returncode == 0 if os.path.exists(PY) else False
    if not have:
        for n in todo:
            report("skip", n, ": needs the suite (%s) and apt-get install python3-autobahn python3-twisted "
                   "python3-openssl python3-service-identity python3-jinja2" % SUITE)
    elif todo:
        if not os.environ.get("TN_EXAMPLES_DIR") and subprocess.run(
                ["make", "-s", "build/examples/ws_echo", "build/examples/ws_testee"], timeout=600).returncode != 0:
            for n in todo:
                report("FAIL", n, ": make failed")
        else:
            tmp = tempfile.mkdtemp(prefix="tn_autobahn_")
            try:
                # four jobs: each direction, and in each the deflate groups apart from the others
                threads = []
                for fn, d in ((run_server_side, "server"), (run_client_side, "client")):
                    for part, tag in (([g for g in sel[d] if g not in DEFLATE_GROUPS], ""),
                                      ([g for g in sel[d] if g in DEFLATE_GROUPS], "-deflate")):
                        if part:
                            threads.append(threading.Thread(target=fn, args=(tmp, part, tag)))
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    print("%s: %d passed, %d failed, %d skipped" % (PROG, counts["ok"], counts["FAIL"], counts["skip"]))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
