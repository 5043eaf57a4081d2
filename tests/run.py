#!/usr/bin/env python3
"""tests/run.py: everything `make test` checks, counted; ends with "N passed, N failed, N skipped".

Steps: amalgamate.py --check; the compile matrix (gcc and clang as C99 with -Wundef -Werror,
g++ as C++, each poller backend, TORNADO_NO_THREADS, TORNADO_NO_LOG); a check that the
implementation exports only tn_ symbols; every example compiled; every tests/test_*.c built
and run three ways (default backend, poll backend, ASan+UBSan); every tests/test_*.py run once
(the examples against curl and Python Tornado); fuzz corpora replayed.
Jobs run in parallel (one per core). Options: -k SUBSTR (only matching names), -v (show
output of passing steps too), --no-asan, --no-poll.
"""
import concurrent.futures as cf
import glob
import os
import re
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
WARN = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Wundef", "-Werror"]
CXXWARN = ["-std=c++11", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
lock = threading.Lock()
totals = {"passed": 0, "failed": 0, "skipped": 0}
failures = []
args = sys.argv[1:]
VERBOSE = "-v" in args
FILTER = args[args.index("-k") + 1] if "-k" in args else None


def emit(kind, name, detail=""):
    with lock:
        totals[{"ok": "passed", "FAIL": "failed", "skip": "skipped"}[kind]] += 1
        line = "%s %s" % (kind, name)
        if detail:
            line += (": " if kind != "ok" else " ") + detail
        print(line, flush=True)
        if kind == "FAIL":
            failures.append(name)


def sh(cmd, timeout=600, env=None):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                           env=env, cwd=ROOT)
        return p.returncode, p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace")
        return -999, out + "\n(timed out after %d s)" % timeout


def tail(out, n=40):
    lines = out.rstrip().split("\n")
    return "\n".join("    " + l for l in lines[-n:])


def step(name, cmd, timeout=600):
    """A check that passes when cmd exits 0."""
    if FILTER and FILTER not in name:
        return
    t0 = time.time()
    rc, out = sh(cmd, timeout)
    if rc == 0:
        emit("ok", name, "(%.0f ms)" % ((time.time() - t0) * 1000))
        if VERBOSE and out.strip():
            print(tail(out))
    else:
        emit("FAIL", name, "exit %d\n%s" % (rc, tail(out)))


def have(tool):
    return shutil.which(tool) is not None


def compile_matrix(pool):
    os.makedirs("build/matrix", exist_ok=True)
    jobs = []
    combos = [
        ("default", []),
        ("poll", ["-DTORNADO_POLL_POLL"]),
        ("epoll", ["-DTORNADO_POLL_EPOLL"]),
        ("no-threads", ["-DTORNADO_NO_THREADS"]),
        ("no-log", ["-DTORNADO_NO_LOG"]),
        ("static", ["-DTORNADO_STATIC"]),
        ("no-web", ["-DTORNADO_NO_WEB"]),
        ("no-websocket", ["-DTORNADO_NO_WEBSOCKET"]),
        ("no-filesystem", ["-DTORNADO_NO_FILESYSTEM"]),
    ]
    for cc in ("gcc", "clang"):
        if not have(cc):
            emit("FAIL" if os.environ.get("CI") else "skip", "compile.%s" % cc,
                 "%s not found (apt-get install %s)" % (cc, cc))
            continue
        for tag, flags in combos:
            exe = "build/matrix/%s-%s" % (cc, tag)
            cmd = [cc] + WARN + ["-O2"] + flags + ["-o", exe, "tests/compile_c.c", "-lpthread"]
            jobs.append(pool.submit(lambda c=cmd, e=exe, n="compile.%s.%s" % (cc, tag):
                                    step(n, ["sh", "-c", " ".join(c) + " && ./" + e])))
    if have("g++"):
        exe = "build/matrix/gxx"
        cmd = ["g++", "-x", "c++"] + CXXWARN + ["-O2", "-o", exe, "tests/compile_cpp.cpp", "-lpthread"]
        jobs.append(pool.submit(lambda: step("compile.g++", ["sh", "-c", " ".join(cmd) + " && ./" + exe])))
    return jobs


def symbol_check():
    name = "symbols.tn_prefix"
    if FILTER and FILTER not in name:
        return
    obj = "build/matrix/symbols.o"
    rc, out = sh(["cc"] + WARN + ["-O1", "-DTN_COMPILE_NO_MAIN", "-c", "-o", obj, "tests/compile_c.c"])
    if rc != 0:
        emit("FAIL", name, "compile failed\n" + tail(out))
        return
    rc, out = sh(["nm", "-g", "--defined-only", obj])
    bad = []
    for line in out.split("\n"):
        parts = line.split()
        if len(parts) < 3:
            continue
        sym = parts[2]
        if sym == "tn_compile_check":
            continue
        if not sym.startswith("tn_") or sym.startswith("tn__"):
            bad.append(sym)
    if rc != 0 or bad:
        emit("FAIL", name, "exported symbols outside tn_ (or private tn__ not static): " + ", ".join(bad))
    else:
        emit("ok", name)


def quickstart_check():
    """The quick starts in README.md and in the header compile (docs cannot rot)."""
    name = "docs.quickstart"
    if FILTER and FILTER not in name:
        return
    readme = open("README.md", encoding="utf-8").read()
    m = re.search(r"```c\n(.*?)```", readme, re.S)
    cfg = open("src/config.h", encoding="utf-8").read()
    blk = cfg[cfg.index("       #define TORNADO_IMPLEMENTATION"):cfg.index("   CONVENTIONS")]
    hdr = "\n".join(l[7:] if l.startswith("       ") else "" for l in blk.split("\n"))
    os.makedirs("build/matrix", exist_ok=True)
    bad = []
    for tag, code in (("readme", m.group(1) if m else ""), ("header", hdr)):
        path = "build/matrix/quickstart_%s.c" % tag
        with open(path, "w") as f:
            f.write(code.replace('#include "tornado.h"', '#include "../../tornado.h"'))
        rc, out = sh(["cc"] + WARN + ["-Wno-unused-parameter", "-c", "-o", path + ".o", path])
        if rc != 0 or "TORNADO_IMPLEMENTATION" not in code:
            bad.append(tag + ":\n" + tail(out))
    if bad:
        emit("FAIL", name, "\n".join(bad))
    else:
        emit("ok", name)


def case_names(test):
    src = open("tests/%s.c" % test, encoding="utf-8", errors="replace").read()
    return re.findall(r"TN_CASE(?:_T)?\((\w+)", src)


def run_test_binary(variant, test):
    target = "build/%s/%s" % (variant, test)
    label = "%s/%s" % (variant, test)
    if FILTER and FILTER not in label and not any(FILTER in c for c in case_names(test)):
        return
    rc, out = sh(["make", "-s", target], timeout=900)
    if rc != 0:
        emit("FAIL", label + ".build", "\n" + tail(out))
        return
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:allocator_may_return_null=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    cmd = ["./" + target]
    if FILTER and FILTER not in label:
        cmd.append(FILTER)   # some of its cases match
    t0 = time.time()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900, env=env)
        out = p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("utf-8", "replace") + "\n(binary timed out)"
        emit("FAIL", label, "timed out")
    parse_cases(out, variant, label, t0)


def parse_cases(out, variant, label, t0):
    """Count the "ok|FAIL|skip NAME" lines of a test program's output as variant/NAME."""
    seen = 0
    pending = []   # output lines belonging to the next case line (child stderr)
    for line in out.split("\n"):
        m = re.match(r"^(ok|FAIL|skip) (\S+)(.*)$", line)
        if m:
            seen += 1
            kind, cname, rest = m.group(1), m.group(2), m.group(3).strip()
            cname = variant + "/" + cname
            if kind == "FAIL":
                emit("FAIL", cname, rest.lstrip(": ") + ("\n" + "\n".join("    " + l for l in pending[-40:]) if pending else ""))
            elif kind == "skip":
                emit("skip", cname, rest.lstrip(": "))
            else:
                emit("ok", cname, rest)
            pending = []
        elif re.match(r"^\S+: \d+ passed, \d+ failed, \d+ skipped$", line):
            pending = []
        elif line.strip():
            pending.append(line)
    if seen == 0:
        emit("FAIL", label, "no test ran (%.0f s)\n%s" % (time.time() - t0, tail(out)))


def run_py_test(test, wait_for=()):
    """tests/test_*.py: a Python-driven test (the examples against curl and Python Tornado),
    run once (not per variant), its cases counted like a C binary's, under the same limit."""
    label = "py/" + test
    names = sh([sys.executable, "tests/%s.py" % test, "-l"], timeout=60)[1].split()
    if FILTER and FILTER not in label and not any(FILTER in n for n in names):
        return
    for j in wait_for:   # the examples it runs are being built by other jobs: let them finish
        j.result()
    cmd = [sys.executable, "tests/%s.py" % test]
    if FILTER and FILTER not in label:
        cmd.append(FILTER)
    t0 = time.time()
    rc, out = sh(cmd, timeout=900)
    if rc == -999:
        emit("FAIL", label, "timed out")
    parse_cases(out, "py", label, t0)


def main():
    t0 = time.time()
    # 1. the committed header must be what amalgamate.py makes
    step("amalgamate.check", [sys.executable, "amalgamate.py", "--check"])
    ncpu = os.cpu_count() or 2
    tests = sorted(os.path.basename(p)[:-2] for p in glob.glob("tests/test_*.c"))
    examples = sorted(os.path.basename(p)[:-2] for p in glob.glob("examples/*.c"))
    variants = ["tests"]
    if "--no-poll" not in args:
        variants.append("tests-poll")
    if "--no-asan" not in args:
        variants.append("asan")
    with cf.ThreadPoolExecutor(max_workers=ncpu) as pool:
        jobs = compile_matrix(pool)
        jobs.append(pool.submit(symbol_check))
        jobs.append(pool.submit(quickstart_check))
        ex_jobs = [pool.submit(lambda e=ex: step("example." + e, ["make", "-s", "build/examples/" + e]))
                   for ex in examples]
        jobs += ex_jobs
        for t in sorted(os.path.basename(p)[:-3] for p in glob.glob("tests/test_*.py")):
            jobs.append(pool.submit(run_py_test, t, ex_jobs))
        for v in variants:
            for t in tests:
                jobs.append(pool.submit(run_test_binary, v, t))
        if os.path.exists("tests/fuzz/run.py"):
            jobs.append(pool.submit(lambda: step("fuzz.replay", [sys.executable, "tests/fuzz/run.py", "--replay"])))
        for j in jobs:
            j.result()
    print()
    if failures:
        print("failed: " + ", ".join(failures))
    print("(%.0f s)" % (time.time() - t0))
    print("%d passed, %d failed, %d skipped" % (totals["passed"], totals["failed"], totals["skipped"]))
    return 1 if totals["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
