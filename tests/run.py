#!/usr/bin/env python3
"""tests/run.py: everything `make test` checks, counted; ends with "N passed, N failed, N skipped".

Steps: amalgamate.py --check; the compile matrix (gcc and clang as C99 with -Wundef -Werror,
g++ as C++, each poller backend, each toggle in the combinations config.h allows); a check
that the implementation exports only tn_ symbols; the unamalgamated build (each src/*.c
compiled on its own, then linked and run); every example compiled; every
tests/test_*.c built and run three ways (default backend, poll backend, ASan+UBSan); every
tests/test_*.py run once (the examples against curl and Python Tornado); fuzz corpora
replayed; the runner's own self-test (tests/runner_selftest/).
Jobs run in parallel (one per core and one more; the Windows checks in a lane of their own).
Options: -k SUBSTR (only matching names), -v (show output of passing steps too), --no-asan,
--no-poll, --no-posix, --no-win, --timeout S (limit per test program, default 900), --only
BIN... (run just these built test binaries, nothing else), --selftest (the runner self-test
alone), --times (the slowest jobs, wall and CPU, at the end).

A test program passes only when it exits 0 (1 is accepted when it reported a failed case),
was not killed by a signal or the time limit, and printed exactly one result line for each
case it declares (`PROG -l` lists them; with -k, those the filter selects) plus its summary
line. Result lines are matched exactly as tests/tn_test.h prints them:
    ok PROG.CASE (N ms)        FAIL PROG.CASE: why        skip PROG.CASE: why
    PROG: N passed, N failed, N skipped
Anything else a program prints is output, never a result.
"""
import concurrent.futures as cf
import glob
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
# the test run's builds carry line tables only (DEBUG in the Makefile): -g's full debug
# information is about a fifth of each build's CPU and nothing here reads it
MAKE = ["make", "-s", "DEBUG=-g1"]
# the examples link one implementation object (build/examples/tn_impl.o, the Makefile's
# EXAMPLES_SHARED), built by a job of its own before them
MAKE_EX = MAKE + ["EXAMPLES_SHARED=1"]
WARN = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Wundef", "-Werror"]
CXXWARN = ["-std=c++11", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
lock = threading.Lock()
totals = {"passed": 0, "failed": 0, "skipped": 0}
failures = []
args = sys.argv[1:]
VERBOSE = "-v" in args
FILTER = args[args.index("-k") + 1] if "-k" in args else None
TIMEOUT = float(args[args.index("--timeout") + 1]) if "--timeout" in args else 900


def emit(kind, name, detail=""):
    with lock:
        totals[{"ok": "passed", "FAIL": "failed", "skip": "skipped"}[kind]] += 1
        line = "%s %s" % (kind, name)
        if detail:
            line += (": " if kind != "ok" else " ") + detail
        print(line, flush=True)
        if kind == "FAIL":
            failures.append(name)


# ---- per-job times (--times): wall and CPU (user + sys of the programs it ran) -------------
job_times = []          # (name, start, wall seconds, CPU seconds, part of another job)
job_state = threading.local()
T_START = time.time()


def charge_cpu(seconds):
    acc = getattr(job_state, "cpu", None)
    if acc is not None:
        acc[0] += seconds


def timed(name, fn, *fargs):
    """fn(*fargs), its wall time and the CPU time of the programs it ran recorded as job name."""
    outer = getattr(job_state, "cpu", None)
    job_state.cpu = [0.0]
    t0 = time.time()
    try:
        return fn(*fargs)
    finally:
        cpu = job_state.cpu[0]
        job_state.cpu = outer
        if outer is not None:
            outer[0] += cpu
        with lock:
            job_times.append((name, t0 - T_START, time.time() - t0, cpu, outer is not None))


def submit(pool, name, fn, *fargs):
    return pool.submit(timed, name, fn, *fargs)


def print_times(n=30):
    """--times: the jobs that took longest (wall), with their CPU, and the run's CPU total."""
    print()
    print("slowest jobs (start s, wall s, CPU s):")
    for name, start, wall, cpu, _ in sorted(job_times, key=lambda t: -t[2])[:n]:
        print("  %-44s %6.0f %7.1f %7.1f" % (name, start, wall, cpu))
    print("most CPU (start s, wall s, CPU s):")
    for name, start, wall, cpu, _ in sorted(job_times, key=lambda t: -t[3])[:n]:
        print("  %-44s %6.0f %7.1f %7.1f" % (name, start, wall, cpu))
    groups = {}
    for name, _, wall, cpu, inner in job_times:
        if not inner:
            g = name.split("/")[0] if "/" in name else name.split(".")[0]
            groups[g] = groups.get(g, 0.0) + cpu
    print("CPU by group: " + ", ".join("%s %.0f s" % kv for kv in sorted(groups.items(), key=lambda kv: -kv[1]) if kv[1] >= 0.5))
    # every job, for comparing runs (sorted by CPU): build/times.tsv
    try:
        with open("build/times.tsv", "w") as f:
            for name, start, wall, cpu, inner in sorted(job_times, key=lambda t: -t[3]):
                f.write("%s\t%.1f\t%.1f\t%.1f\t%d\n" % (name, start, wall, cpu, inner))
    except OSError:
        pass
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print("CPU of every program run: %.0f s (user %.0f, sys %.0f)" % (
        usage.ru_utime + usage.ru_stime, usage.ru_utime, usage.ru_stime))


def run_program(cmd, timeout, env=None):
    """Run cmd in a session of its own, stdout and stderr to one file (not a pipe: a process
    it leaves behind cannot hold the run open). Returns (rc, output, timed_out): rc is the
    exit status, or -N when a signal killed it. At the end, timed out or not, everything
    left in its process group (hung cases, stray servers) is killed."""
    with tempfile.TemporaryFile() as f:
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
                             start_new_session=True)
        # reaped with wait4 (in a thread, so the limit holds) for its CPU time: --times
        reaped = {}

        def reap():
            _, status, usage = os.wait4(p.pid, 0)
            reaped["status"], reaped["usage"] = status, usage
        waiter = threading.Thread(target=reap, daemon=True)
        waiter.start()
        waiter.join(timeout)
        timed_out = waiter.is_alive()
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass   # the group is gone already
        waiter.join()
        p.returncode = os.waitstatus_to_exitcode(reaped["status"])
        charge_cpu(reaped["usage"].ru_utime + reaped["usage"].ru_stime)
        f.seek(0)
        out = f.read().decode("utf-8", "replace")
    return p.returncode, out, timed_out


def sh(cmd, timeout=600, env=None):
    rc, out, timed_out = run_program(cmd, timeout, env)
    if timed_out:
        return -999, out + "\n(timed out after %d s)" % timeout
    return rc, out


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


# ---- compile matrix ----------------------------------------------------------------------
# What config.h demands along with a toggle (its #error rules): a toggle brings these too.
# Say here when a new module depends on another (e.g. a WebSocket server on the HTTP server).
IMPLIES = {
    "TORNADO_NO_HTTP_SERVER": ["TORNADO_NO_WEB"],
}
# (tag, macros defined, extra link flags): one build per entry, for gcc and clang. Every
# TORNADO_NO_* / _WITH_* / _POLL_* / TORNADO_STATIC macro src/ tests must appear in one
# (matrix.covers_config checks). To add a toggle: one line here, its rule in IMPLIES.
#   e.g. ("no-deflate", ["TORNADO_NO_DEFLATE"], []),
#        ("openssl", ["TORNADO_WITH_OPENSSL"], ["-lssl", "-lcrypto"]),
COMBOS = [
    ("default", [], []),
    ("poll", ["TORNADO_POLL_POLL"], []),
    ("epoll", ["TORNADO_POLL_EPOLL"], []),
    # the paths macOS and the BSDs take (poll, pipe wakeup, accept + fcntl, no MSG_NOSIGNAL)
    ("generic-posix", ["TORNADO_GENERIC_POSIX"], []),
    ("no-threads", ["TORNADO_NO_THREADS"], []),
    ("no-log", ["TORNADO_NO_LOG"], []),
    ("static", ["TORNADO_STATIC"], []),
    ("no-web", ["TORNADO_NO_WEB"], []),
    ("no-etag", ["TORNADO_NO_ETAG"], []),
    ("no-date", ["TORNADO_NO_DATE"], []),
    ("no-filesystem", ["TORNADO_NO_FILESYSTEM"], []),
    ("no-resolver", ["TORNADO_NO_RESOLVER"], []),
    ("no-simd", ["TORNADO_NO_SIMD"], []),
    ("no-http-server", ["TORNADO_NO_HTTP_SERVER"], []),
    ("no-deflate", ["TORNADO_NO_DEFLATE"], []),
    ("no-websocket", ["TORNADO_NO_WEBSOCKET"], []),
    ("no-http-client", ["TORNADO_NO_HTTP_CLIENT"], []),
    # TLS, built against OpenSSL 3 with its deprecated API hidden
    ("openssl", ["TORNADO_WITH_OPENSSL", "OPENSSL_API_COMPAT=30000", "OPENSSL_NO_DEPRECATED"], ["-lssl", "-lcrypto"]),
    # everything optional left out at once: the smallest build
    ("minimal", ["TORNADO_NO_HTTP_SERVER", "TORNADO_NO_HTTP_CLIENT", "TORNADO_NO_THREADS",
                 "TORNADO_NO_LOG", "TORNADO_NO_FILESYSTEM", "TORNADO_NO_SIMD", "TORNADO_NO_DEFLATE",
                 "TORNADO_NO_WEBSOCKET", "TORNADO_NO_RESOLVER"], []),
]
# Macros config.h reads that are not feature toggles.
NOT_TOGGLES = {"TORNADO_IMPLEMENTATION", "TORNADO_LINE_DIRECTIVES", "TORNADO_VERSION", "TORNADO_H_INCLUDED"}


def with_implied(macros):
    out = []
    todo = list(macros)
    while todo:
        m = todo.pop(0)
        if m not in out:
            out.append(m)
            todo += IMPLIES.get(m, [])
    return out


def matrix_covers_config():
    """Every toggle src/ tests is built by some COMBOS entry ("every toggle" stays true
    as modules add theirs)."""
    name = "matrix.covers_config"
    if FILTER and FILTER not in name:
        return
    known = set()
    for path in glob.glob("src/*.[ch]"):
        src = open(path, encoding="utf-8").read()
        pat = r"(?:defined\s*\(?|#\s*ifn?def)\s*(TORNADO_(?:(?:NO|WITH|POLL|PLATFORM)_\w+|STATIC|GENERIC_POSIX)\b)"
        known |= set(re.findall(pat, src))
    built = set(m for _, macros, _ in COMBOS for m in with_implied(macros))
    built |= set(m for _, _, macros, _ in FIRMWARE for m in macros)   # the cross builds (firmware_checks)
    missing = sorted(known - built - NOT_TOGGLES)
    if missing:
        emit("FAIL", name, "toggles in src/ that no compile-matrix build defines: %s (add them to COMBOS "
             "in tests/run.py)" % ", ".join(missing))
    else:
        emit("ok", name)


def compile_matrix(pool):
    os.makedirs("build/matrix", exist_ok=True)
    jobs = [submit(pool, "matrix.covers_config", matrix_covers_config)]
    for cc in ("gcc", "clang"):
        if not have(cc):
            emit("FAIL" if os.environ.get("CI") else "skip", "compile.%s" % cc,
                 "%s not found (apt-get install %s)" % (cc, cc))
            continue
        for tag, macros, libs in COMBOS:
            exe = "build/matrix/%s-%s" % (cc, tag)
            flags = ["-D" + m for m in with_implied(macros)]
            # gcc at -O2: some of its warnings (-Wmaybe-uninitialized...) need the optimizer's
            # analysis; clang's come from its front end at any -O, so -O0 saves the back end's time
            opt = "-O2" if cc == "gcc" else "-O0"
            cmd = [cc] + WARN + [opt] + flags + ["-o", exe, "tests/compile_c.c", "-lpthread"] + libs
            n = "compile.%s.%s" % (cc, tag)
            jobs.append(submit(pool, n, lambda c=cmd, e=exe, n=n: step(n, ["sh", "-c", " ".join(c) + " && ./" + e])))
    if have("g++"):
        exe = "build/matrix/gxx"
        cmd = ["g++", "-x", "c++"] + CXXWARN + ["-O2", "-o", exe, "tests/compile_cpp.cpp", "-lpthread"]
        jobs.append(submit(pool, "compile.g++", lambda: step("compile.g++", ["sh", "-c", " ".join(cmd) + " && ./" + exe])))
        exe2 = "build/matrix/gxx-openssl"
        cmd2 = ["g++", "-x", "c++"] + CXXWARN + ["-O2", "-DTORNADO_WITH_OPENSSL", "-DOPENSSL_API_COMPAT=30000",
                                                 "-DOPENSSL_NO_DEPRECATED", "-o", exe2, "tests/compile_cpp.cpp",
                                                 "-lpthread", "-lssl", "-lcrypto"]
        jobs.append(submit(pool, "compile.g++.openssl", lambda: step("compile.g++.openssl", ["sh", "-c", " ".join(cmd2) + " && ./" + exe2])))
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


def fdmap_check(test):
    """The Windows watcher lookup (TN__FD_MAP: a hash map from SOCKET to a dense slot) built
    and run on Linux under ASan+UBSan, with epoll and with poll: wine hands out small
    handles, so this is where the map's growth, deletions and slot reuse meet the sanitizers."""
    name = "build.fdmap.%s" % test
    if FILTER and FILTER not in name:
        return
    out_dir = "build/fdmap"
    os.makedirs(out_dir, exist_ok=True)
    for poller in ("epoll", "poll"):
        exe = os.path.join(out_dir, "%s_%s" % (test, poller))
        flags = ["-O1", "-g1", "-fsanitize=address,undefined", "-fno-omit-frame-pointer",
                 "-fno-sanitize-recover=undefined", "-DTN__FD_MAP=1", "-DTORNADO_STATIC"]   # (as the Makefile's TSTATIC)
        if poller == "poll":
            flags.append("-DTORNADO_POLL_POLL")
        rc, out = sh(["cc"] + WARN + flags + ["-o", exe, "tests/%s.c" % test, "-lpthread"])
        if rc == 0:
            rc, out = sh(["./" + exe], timeout=300)
        if rc != 0:
            emit("FAIL", name, "%s with TN__FD_MAP=1 (%s): exit %d\n%s" % (test, poller, rc, tail(out)))
            return
    emit("ok", name)


def limits_in_config():
    """Every TORNADO_* macro with a default is defined in src/config.h, nowhere else."""
    name = "config.limits_in_config"
    if FILTER and FILTER not in name:
        return
    stray = []
    for path in sorted(glob.glob("src/*.[ch]")):
        if path == "src/config.h":
            continue
        for i, line in enumerate(open(path, encoding="utf-8"), 1):
            if re.match(r"\s*#\s*define\s+TORNADO_\w+", line):
                stray.append("%s:%d: %s" % (path, i, line.strip()))
    if stray:
        emit("FAIL", name, "TORNADO_* macros defined outside src/config.h:\n" + "\n".join(stray))
    else:
        emit("ok", name)


def unamalgamated_check(cc):
    """Each src/*.c compiles as its own translation unit against src/ headers (includes are
    honest: a module names what it uses), and the objects link into a working program (no
    private name defined twice; every private function declared in internal.h exists)."""
    name = "build.unamalgamated.%s" % cc
    if FILTER and FILTER not in name:
        return
    if not have(cc):
        emit("FAIL" if os.environ.get("CI") else "skip", name, "%s not found (apt-get install %s)" % (cc, cc))
        return
    out_dir = "build/unamalgamated/%s" % cc
    os.makedirs(out_dir, exist_ok=True)
    # with TLS on, so tls.c is compiled (and linked) on its own too
    tls = ["-DTORNADO_WITH_OPENSSL", "-DOPENSSL_API_COMPAT=30000", "-DOPENSSL_NO_DEPRECATED"]
    flags = WARN + ["-O1", "-DTORNADO_IMPLEMENTATION", "-DTN__UNAMALGAMATED", "-Isrc"] + tls
    objs, bad = [], []
    for src in sorted(glob.glob("src/*.c")):
        obj = os.path.join(out_dir, os.path.basename(src)[:-2] + ".o")
        rc, out = sh([cc] + flags + ["-c", "-o", obj, src])
        if rc != 0:
            bad.append(src + ":\n" + tail(out, 12))
        objs.append(obj)
    # every public header on its own, too (the internal ones need the implementation's prelude)
    for hdr in sorted(glob.glob("src/*.h")):
        base = os.path.basename(hdr)
        if base in ("config.h", "internal.h") or base.endswith("_internal.h"):
            continue
        probe = os.path.join(out_dir, "h_" + base[:-2] + ".c")
        with open(probe, "w") as f:
            f.write('#include "%s"\nint tn_header_probe;\n' % base)
        rc, out = sh([cc] + WARN + ["-Isrc", "-fsyntax-only", probe])
        if rc != 0:
            bad.append(hdr + ":\n" + tail(out, 12))
    if bad:
        emit("FAIL", name, "%d files do not compile on their own\n%s" % (len(bad), "\n".join(bad)))
        return
    exe = os.path.join(out_dir, "main")
    rc, out = sh([cc] + WARN + tls + ["-Isrc", "-o", exe, "tests/unamalgamated_main.c"] + objs + ["-lpthread", "-lssl", "-lcrypto"])
    if rc == 0:
        rc, out = sh(["./" + exe], timeout=30)
    if rc != 0:
        emit("FAIL", name, "link or run failed (exit %d)\n%s" % (rc, tail(out)))
    else:
        emit("ok", name, "(%d files)" % len(objs))


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


# ---- firmware: the Cortex-M4 builds against lwIP's socket API ------------------------------
# (name, program, macros, lwipopts variant): built with arm-none-eabi-gcc and newlib, -Os,
# every warning an error, and linked (warnings fatal) with tests/firmware/link_stub.c, which
# stands in for the lwIP library and the board (Debian has lwIP's headers, not an ARM lwIP).
FIRMWARE = [
    # the example firmware: echo, HTTP hello, WebSocket echo; lwIP dual-stack with DNS
    ("firmware.cortex-m4", "examples/firmware/firmware.c", ["TORNADO_PLATFORM_LWIP"], []),
    # the smallest: a TCP echo with every toggle off, on an IPv4-only lwIP without DNS
    ("firmware.cortex-m4.ipv4-minimal", "tools/size/echo.c",
     ["TORNADO_PLATFORM_LWIP", "TORNADO_NO_HTTP_SERVER", "TORNADO_NO_WEB", "TORNADO_NO_HTTP_CLIENT",
      "TORNADO_NO_LOG", "TORNADO_NO_DEFLATE", "TORNADO_NO_WEBSOCKET"],
     ["-DTN_TEST_LWIP_IPV6=0", "-DTN_TEST_LWIP_DNS=0"]),
]
ARM_CC = "arm-none-eabi-gcc"
LWIP_INC = "/usr/include/lwip"
ARM_FLAGS = ["-mcpu=cortex-m4", "-mthumb", "-Os", "-ffunction-sections", "-fdata-sections"]
ARM_LINK = ["--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections", "-Wl,--fatal-warnings"]


def arm_build_cmd(prog, macros, extra, out):
    """The compile-and-link command of one Cortex-M4 program (tools/size.py uses it too)."""
    return ([ARM_CC] + ARM_FLAGS + WARN + ["-D" + m for m in macros] + extra +
            ["-DTORNADO_READ_CHUNK_SIZE=2048", "-Itests/firmware", "-isystem", LWIP_INC] + ARM_LINK +
            ["-o", out, prog, "tests/firmware/link_stub.c"])


def firmware_missing():
    """What the firmware builds need and this machine lacks (Debian package names)."""
    missing = []
    if not have(ARM_CC):
        missing.append("gcc-arm-none-eabi")
    elif not os.path.isabs(subprocess.run([ARM_CC, "-mcpu=cortex-m4", "-mthumb", "--specs=nano.specs",
                                           "-print-file-name=libc_nano.a"],
                                          capture_output=True, text=True).stdout.strip()):
        missing.append("libnewlib-arm-none-eabi")
    if not os.path.exists(os.path.join(LWIP_INC, "lwip", "sockets.h")):
        missing.append("liblwip-dev")
    return missing


def firmware_check(name, prog, macros, extra):
    if FILTER and FILTER not in name:
        return
    missing = firmware_missing()
    if missing:
        emit("FAIL" if os.environ.get("CI") else "skip", name,
             "needs %s (apt-get install %s)" % (", ".join(missing), " ".join(missing)))
        return
    os.makedirs("build/firmware", exist_ok=True)
    out = "build/firmware/%s.elf" % name.split(".", 1)[1]
    t0 = time.time()
    rc, log = sh(arm_build_cmd(prog, macros, extra, out))
    if rc == 0 and log.strip():
        rc, log = 1, "the build printed diagnostics:\n" + log
    if rc == 0:
        rc, log = sh(["arm-none-eabi-size", out])
        m = re.search(r"^\s*(\d+)\s+(\d+)\s+(\d+)", log, re.M)
        if rc == 0 and m and int(m.group(1)) > 0:
            emit("ok", name, "(%.0f ms; text %s, data %s, bss %s)" % ((time.time() - t0) * 1000, m.group(1),
                                                                      m.group(2), m.group(3)))
            return
    emit("FAIL", name, "exit %d\n%s" % (rc, tail(log)))


def firmware_checks(pool):
    return [submit(pool, f[0], firmware_check, *f) for f in FIRMWARE]


# ---- a static binary: examples/hello.c linked -static, run, asked over a socket ---------------
def static_binary_check(name, cc, package):
    if FILTER and FILTER not in name:
        return
    why = None
    if not have(cc):
        why = "%s not found (apt-get install %s)" % (cc, package)
    elif cc != "musl-gcc" and not os.path.isabs(subprocess.run([cc, "-print-file-name=libc.a"], capture_output=True,
                                                               text=True).stdout.strip()):
        why = "no static libc (libc.a: apt-get install %s)" % package
    if why:
        emit("FAIL" if os.environ.get("CI") else "skip", name, why)
        return
    os.makedirs("build/static", exist_ok=True)
    exe = "build/static/hello-" + cc
    t0 = time.time()
    # -O0: the link and the run are what is tested here (cheap to build); no TLS (static OpenSSL
    # is another story)
    rc, log = sh([cc] + WARN + ["-O0", "-static", "-o", exe, "examples/hello.c"] +
                 (["-lpthread"] if cc != "musl-gcc" else []))
    if rc != 0:
        emit("FAIL", name, "build failed\n" + tail(log))
        return
    rc, dyn = sh(["readelf", "-l", exe])
    if rc != 0 or "INTERP" in dyn or "DYNAMIC" in dyn:
        emit("FAIL", name, "not a static executable (readelf -l shows a program interpreter or dynamic section)")
        return
    import socket
    p = subprocess.Popen(["./" + exe, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         cwd=ROOT, start_new_session=True)
    try:
        line = p.stdout.readline().decode("utf-8", "replace")   # "hello server on http://127.0.0.1:PORT/ ..."
        m = re.search(r"127\.0\.0\.1:(\d+)/", line)
        if not m or m.group(1) == "0":
            emit("FAIL", name, "no port in the server's first line: %r" % line)
            return
        answer = b""
        with socket.create_connection(("127.0.0.1", int(m.group(1))), timeout=10) as c:
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            while True:
                chunk = c.recv(4096)
                if not chunk:
                    break
                answer += chunk
        if not answer.startswith(b"HTTP/1.1 200 ") or not answer.endswith(b"\r\n\r\nHello, world"):
            emit("FAIL", name, "unexpected answer: %r" % answer[:300])
            return
        notes = "getaddrinfo link warning" if "getaddrinfo" in log else "no link warning"
        emit("ok", name, "(%.0f ms; %d bytes, %s)" % ((time.time() - t0) * 1000, os.path.getsize(exe), notes))
    except OSError as e:
        emit("FAIL", name, "talking to the server: %s" % e)
    finally:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait()


def static_checks(pool):
    return [submit(pool, "static.hello.glibc", static_binary_check, "static.hello.glibc", "gcc", "libc6-dev"),
            submit(pool, "static.hello.musl", static_binary_check, "static.hello.musl", "musl-gcc", "musl-tools")]


# ---- test programs: run, then judge ---------------------------------------------------------

def list_cases(cmd, prog, env=None):
    """The cases a test program declares (`cmd -l`), without the "PROG." prefix that
    test_examples.py puts on its names. Returns (names, None) or (None, why). Lines that
    cannot be case names (wine's own diagnostics) are left out."""
    rc, out, timed_out = run_program(cmd + ["-l"], 60, env)
    if rc != 0 or timed_out:
        return None, "-l %s\n%s" % ("timed out" if timed_out else "exit %d" % rc, tail(out))
    names = [l.strip() for l in out.split("\n") if re.match(r"^[\w.\-]+$", l.strip())]
    return [n[len(prog) + 1:] if n.startswith(prog + ".") else n for n in names], None


def describe_exit(rc):
    if rc < 0:
        try:
            return "killed by signal %d (%s)" % (-rc, signal.Signals(-rc).name)
        except ValueError:
            return "killed by signal %d" % -rc
    return "exit status %d" % rc


def judge(label, variant, prog, out, rc, timed_out, expected, timeout):
    """The verdict on one run of a test program: a list of (kind, name, detail) to emit.

    label names the program in the results (e.g. "asan/test_loop"); each case is reported
    as variant/PROG.CASE. out is everything it printed, rc its exit status (-N: signal N),
    expected the cases it must report (declared, filtered like the program filters them).
    Used by real runs and by the self-test alike."""
    ok_re = re.compile(r"^ok %s\.(\S+) \(\d+ ms\)$" % re.escape(prog))
    fail_re = re.compile(r"^FAIL %s\.(\S+): (.*)$" % re.escape(prog))
    skip_re = re.compile(r"^skip %s\.(\S+): (.*)$" % re.escape(prog))
    sum_re = re.compile(r"^%s: (\d+) passed, (\d+) failed, (\d+) skipped$" % re.escape(prog))
    results = []
    seen = {}
    counts = {"ok": 0, "FAIL": 0, "skip": 0}
    summary = None
    problems = []
    pending = []   # output lines before the next result line (a failing child's stderr)
    for line in out.split("\n"):
        m_ok, m_fail, m_skip = ok_re.match(line), fail_re.match(line), skip_re.match(line)
        m = m_ok or m_fail or m_skip
        if m:
            kind = "ok" if m_ok else "FAIL" if m_fail else "skip"
            case = m.group(1)
            name = "%s/%s.%s" % (variant, prog, case)
            if case in seen:
                problems.append("%s reported twice (%s, then %s)" % (case, seen[case], kind))
            elif case not in expected and kind != "FAIL":
                problems.append("%s reported %s but not declared (-l) or not selected" % (case, kind))
            else:
                seen[case] = kind
                counts[kind] += 1
                if kind == "FAIL":
                    ctx = "\n" + "\n".join("    " + l for l in pending[-40:]) if pending else ""
                    results.append(("FAIL", name, m.group(2) + ctx))
                elif kind == "skip":
                    results.append(("skip", name, m.group(2)))
                else:
                    results.append(("ok", name, line[line.rindex(" ("):].strip()))
            pending = []
        elif sum_re.match(line):
            summary = tuple(int(x) for x in sum_re.match(line).groups())
            pending = []
        elif line.strip():
            pending.append(line)
    if timed_out:
        problems.append("timed out after %g s" % timeout)
    elif rc < 0:
        problems.append(describe_exit(rc))
    elif rc != 0 and not (rc == 1 and counts["FAIL"]):
        problems.append(describe_exit(rc) + (" with every case passing" if not counts["FAIL"] else ""))
    elif rc == 0 and counts["FAIL"]:
        problems.append("exit status 0 although cases failed")
    missing = [c for c in expected if c not in seen]
    if missing:
        problems.append("%d of %d declared cases never reported: %s" % (
            len(missing), len(expected), ", ".join(missing[:10]) + (", ..." if len(missing) > 10 else "")))
    if not problems:
        if summary is None:
            problems.append("no summary line")
        elif summary != (counts["ok"], counts["FAIL"], counts["skip"]):
            problems.append("summary says %d passed, %d failed, %d skipped; the result lines say %d, %d, %d"
                            % (summary + (counts["ok"], counts["FAIL"], counts["skip"])))
    if problems:
        results.append(("FAIL", label, "; ".join(problems) + "\n" + tail(out)))
    return results


def run_and_judge(label, variant, prog, cmd, filter_name=None, env=None):
    """Run one test program (cmd) and emit its verdict. filter_name(case) is the string the
    program matches -k against (None: no filter passed, every declared case runs)."""
    t0 = time.time()
    names, why = list_cases(cmd, prog, env)
    if names is None:
        emit("FAIL", label, "cannot list its cases: " + why)
        return
    if not names:
        emit("FAIL", label, "declares no cases (-l)")
        return
    expected = names
    run_cmd = list(cmd)
    if filter_name:
        expected = [c for c in names if FILTER in filter_name(c)]
        run_cmd.append(FILTER)
    rc, out, timed_out = run_program(run_cmd, TIMEOUT, env)
    for kind, name, detail in judge(label, variant, prog, out, rc, timed_out, expected, TIMEOUT):
        emit(kind, name, detail)
    if VERBOSE:
        print("    (%s: %.1f s)" % (label, time.time() - t0))


def sanitizer_env():
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:allocator_may_return_null=1")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    return env


def c_case_names(test):
    """Case names from the source: only to decide, before building, whether -k selects any
    case of this file (the cases judged are what the built binary lists with -l)."""
    src = open("tests/%s.c" % test, encoding="utf-8", errors="replace").read()
    return re.findall(r"TN_CASE(?:_T)?\((\w+)", src)


# ---- Windows: mingw-w64 cross builds; the test programs run under wine ----------------------
WIN_CC, WIN_CXX, WINE = "x86_64-w64-mingw32-gcc", "x86_64-w64-mingw32-g++", "/usr/lib/wine/wine64"
WIN_LIBS = ["-lws2_32", "-lbcrypt"]
# Test programs not built for Windows, and why (they are reported as skipped there).
WIN_NOT_PORTED = {
    "test_tls": "OpenSSL for mingw is not installed (TLS is not built on Windows)",
    "test_tls_limits": "OpenSSL for mingw is not installed (TLS is not built on Windows)",
}


def wine_env():
    env = dict(os.environ)
    env["WINEPREFIX"] = os.path.abspath("build/wine-prefix")
    env["WINEDEBUG"] = "-all"
    return env


def windows_checks(pool, tests, examples):
    """The header cross-compiles for Windows (C99 and C++, -Werror), the examples build as
    .exe, and the test programs run under wine (the first start makes the prefix: slow)."""
    if FILTER and not any(FILTER in n for n in ("compile.mingw", "win/", "example.win")) and \
            not any(FILTER in c for t in tests for c in c_case_names(t)):
        return []
    missing = [t for t in (WIN_CC, WIN_CXX) if not have(t)] + ([] if os.path.exists(WINE) else [WINE])
    if missing:
        emit("FAIL" if os.environ.get("CI") else "skip", "compile.mingw",
             "%s not found (apt-get install mingw-w64 wine64)" % ", ".join(missing))
        return []
    os.makedirs("build/win", exist_ok=True)
    env = wine_env()
    # one C build run under wine first: it checks the header and makes the wine prefix
    c_exe = "build/win/compile_c.exe"
    rc, out = sh([WIN_CC] + WARN + ["-O2", "-o", c_exe, "tests/compile_c.c"] + WIN_LIBS)
    if rc == 0:
        rc, out = sh([WINE, c_exe], 600, env)
    emit("ok" if rc == 0 else "FAIL", "compile.mingw.c99", "" if rc == 0 else tail(out))
    cxx_exe = "build/win/compile_cpp.exe"
    jobs = [submit(pool, "compile.mingw.c++", lambda: step("compile.mingw.c++", ["sh", "-c", " ".join(
        [WIN_CXX, "-x", "c++"] + CXXWARN + ["-O2", "-o", cxx_exe, "tests/compile_cpp.cpp"] + WIN_LIBS +
        ["&&", "WINEPREFIX=" + env["WINEPREFIX"], "WINEDEBUG=-all", WINE, cxx_exe])]))]
    # (one worker, first come first served: the first example's make builds the shared
    # implementation object, build/win/examples/tn_impl.o, before the others run)
    ex_jobs = [submit(pool, "example.win." + ex, lambda e=ex: step("example.win." + e, MAKE_EX + ["build/win/examples/%s.exe" % e]))
               for ex in examples]
    jobs += ex_jobs
    for t in tests:
        if t in WIN_NOT_PORTED:
            emit("skip", "win/" + t, WIN_NOT_PORTED[t])
            continue
        jobs.append(submit(pool, "win/" + t, run_win_test, t, env, ex_jobs if t in WIN_NEEDS_EXAMPLES else ()))
    return jobs


# test programs that start an example's Windows build as a peer (test_http_client: httpbin)
WIN_NEEDS_EXAMPLES = {"test_http_client": ["httpbin"]}


def run_win_test(test, env, wait_for=()):
    target = "build/win/%s.exe" % test
    label = "win/%s" % test
    if FILTER and FILTER not in label and not any(FILTER in c for c in c_case_names(test)):
        return
    for j in wait_for:   # the examples it starts are being built by other jobs: let them finish
        j.result()
    rc, out = timed(label + ".build", sh, MAKE_EX + [target] +
                    ["build/win/examples/%s.exe" % e for e in WIN_NEEDS_EXAMPLES.get(test, [])], 900)
    if rc != 0:
        emit("FAIL", label + ".build", "\n" + tail(out))
        return
    run_and_judge(label, "win", test, [WINE, target],
                  (lambda c: c) if FILTER and FILTER not in label else None, env)


def shared_tests():
    """The Makefile's SHARED_TESTS and SHARED_SMALL: test programs linked with
    build/VARIANT/tn_impl.o or tn_impl_small.o."""
    mk = open("Makefile", encoding="utf-8").read()
    names = set()
    for var in ("SHARED_TESTS", "SHARED_SMALL"):
        m = re.search(r"^%s\s*:=((?:.*\\\n)*.*)$" % var, mk, re.M)
        names |= set(m.group(1).replace("\\\n", " ").split()) if m else set()
    return names


def selected(variant, test):
    label = "%s/%s" % (variant, test)
    return not FILTER or FILTER in label or any(FILTER in c for c in c_case_names(test))


def build_impl(variant):
    """build/VARIANT/tn_impl.o and tn_impl_small.o, before the shared test programs that link
    them (each would build them otherwise, at once); a failure shows in their builds."""
    sh(MAKE + ["build/%s/tn_impl.o" % variant, "build/%s/tn_impl_small.o" % variant], timeout=900)


def build_example_impl():
    """build/examples/tn_impl.o, before the examples that link it (EXAMPLES_SHARED: each
    would build it otherwise, at once); a failure shows in their builds."""
    if FILTER and not any(FILTER in "example." + os.path.basename(p)[:-2] for p in glob.glob("examples/*.c")):
        return
    sh(MAKE_EX + ["build/examples/tn_impl.o"], timeout=900)


def run_test_binary(variant, test, after=None, wait_for=()):
    target = "build/%s/%s" % (variant, test)
    label = "%s/%s" % (variant, test)
    if not selected(variant, test):
        return
    if after is not None:
        after.result()
    for j in wait_for:   # the examples it starts are being built by other jobs: let them finish
        j.result()
    rc, out = timed(label + ".build", sh, MAKE + [target], 900)
    if rc != 0:
        emit("FAIL", label + ".build", "\n" + tail(out))
        return
    # tn_test.h runs the cases whose name contains an argument
    run_and_judge(label, variant, test, ["./" + target],
                  (lambda c: c) if FILTER and FILTER not in label else None, sanitizer_env())


# the examples each Python test runs (it waits for those builds only; a test not listed here
# waits for every example), and the C test programs that start one (build/examples/httpbin:
# test_http_client builds a copy of its own when it is missing)
PY_NEEDS = {
    "test_autobahn": ["ws_echo", "ws_testee"],
    "test_testssl": ["hello"],
    "test_browser": ["demo"],
    "test_examples": ["httpbin", "file_server", "demo", "ws_echo", "fetch"],
    "test_lwip_unix": [],
}
C_NEEDS_EXAMPLES = {"test_http_client": ["httpbin"]}


def run_py_test(test, wait_for=()):
    """tests/test_*.py: a Python-driven test (the examples against curl and Python Tornado),
    run once (not per variant), judged like a C binary, under the same limit."""
    label = "py/" + test
    cmd = [sys.executable, "tests/%s.py" % test]
    if FILTER and FILTER not in label:
        names, _ = list_cases(cmd, test)
        if names is not None and not any(FILTER in "%s.%s" % (test, n) for n in names):
            return
    for j in wait_for:   # the examples it runs are being built by other jobs: let them finish
        j.result()
    # it runs the cases whose "PROG.CASE" contains its argument
    run_and_judge(label, "py", test, cmd,
                  (lambda c: "%s.%s" % (test, c)) if FILTER and FILTER not in label else None)


def run_only(paths):
    """--only BIN...: judge just these built test programs (labels: their path under build/)."""
    for path in paths:
        rel = os.path.relpath(path, "build") if not os.path.relpath(path, "build").startswith("..") else path
        variant = os.path.dirname(rel) or "."
        prog = os.path.basename(path)
        run_and_judge(rel, variant, prog, [os.path.abspath(path)],
                      (lambda c: c) if FILTER else None)


# ---- the runner's self-test ------------------------------------------------------------------
# Each throwaway program in tests/runner_selftest/ is judged by a separate `run.py --only`
# with a short limit: the bad ones must fail the run and be named in its "failed:" line.
SELFTEST = [
    # (program, run.py must pass, text its output must show)
    ("crash", False, "killed by signal 11 (SIGSEGV)"),
    ("exit1", False, "exit status 1 with every case passing"),
    ("hang", False, "timed out after 2 s"),
    ("short", False, "1 of 3 declared cases never reported: three"),
    ("good", True, "2 passed, 0 failed, 1 skipped"),
]


def selftest():
    names = [n for n, _, _ in SELFTEST]
    rc, out = sh(["make", "-s"] + ["build/runner_selftest/" + n for n in names], timeout=300)
    if rc != 0:
        print("runner self-test: building tests/runner_selftest failed\n" + tail(out))
        return 1

    def one(entry):
        name, should_pass, want = entry
        t0 = time.time()
        rc, out = sh([sys.executable, "tests/run.py", "--only", "build/runner_selftest/" + name,
                      "--timeout", "2"], timeout=60)
        failed_line = [l for l in out.split("\n") if l.startswith("failed: ")]
        named = bool(failed_line) and ("runner_selftest/" + name) in failed_line[0].split(": ", 1)[1].split(", ")
        bad = []
        if should_pass:
            if rc != 0 or failed_line:
                bad.append("the run failed (exit %d)" % rc)
        else:
            if rc != 1:
                bad.append("the run exited %d, not 1" % rc)
            if not named:
                bad.append("runner_selftest/%s is not named in the failed: line" % name)
        if want not in out:
            bad.append("the output lacks %r" % want)
        if time.time() - t0 > 20:
            bad.append("took %.0f s" % (time.time() - t0))
        return name, bad, out

    status = 0
    with cf.ThreadPoolExecutor(max_workers=len(SELFTEST)) as pool:
        for name, bad, out in pool.map(one, SELFTEST):
            if bad:
                status = 1
                print("FAIL runner_selftest/%s: %s\n%s" % (name, "; ".join(bad), tail(out)))
            else:
                print("ok runner_selftest/%s" % name)
    return status


def summary(t0):
    print()
    if failures:
        print("failed: " + ", ".join(failures))
    print("(%.0f s)" % (time.time() - t0))
    print("%d passed, %d failed, %d skipped" % (totals["passed"], totals["failed"], totals["skipped"]))
    return 1 if totals["failed"] else 0


def main():
    t0 = time.time()
    if "--selftest" in args:
        return selftest()
    if "--only" in args:
        i = args.index("--only") + 1
        paths = []
        while i < len(args) and not args[i].startswith("-"):
            paths.append(args[i])
            i += 1
        run_only(paths)
        return summary(t0)
    # 1. the committed header must be what amalgamate.py makes
    step("amalgamate.check", [sys.executable, "amalgamate.py", "--check"])
    ncpu = os.cpu_count() or 2
    tests = sorted(os.path.basename(p)[:-2] for p in glob.glob("tests/test_*.c"))
    examples = sorted(os.path.basename(p)[:-2] for p in glob.glob("examples/*.c"))
    variants = ["tests"]
    if "--no-poll" not in args:
        variants.append("tests-poll")
    if "--no-posix" not in args:
        variants.append("tests-posix")   # TORNADO_GENERIC_POSIX: the macOS/BSD code paths
    if "--no-asan" not in args:
        variants.append("asan")
    # wine mostly waits (a process start per case, WSAPoll's late wakeups): the Windows
    # checks get a worker of their own, beside the CPU-bound jobs, instead of queueing last
    wpool = cf.ThreadPoolExecutor(max_workers=1)
    win = submit(wpool, "compile.mingw.c99", windows_checks, wpool, tests, examples) if "--no-win" not in args else None
    # The pool's queue is first come, first served, so the order below is the schedule: the
    # examples the Python tests need, then the jobs that take longest (the Python tests, minutes
    # of waiting on peers; the ASan builds and runs), the short checks last so both cores stay
    # busy to the end. One worker more than cores: the Python tests and the network tests wait
    # on peers and timers, and a waiting worker would leave a core idle (their CPU is small).
    with cf.ThreadPoolExecutor(max_workers=ncpu + 1) as pool:
        # the runner judges itself first: a runner that passes crashes makes the rest moot
        jobs = [submit(pool, "runner.selftest", step, "runner.selftest", [sys.executable, "tests/run.py", "--selftest"], 120)]
        # the longest first (test_autobahn and test_testssl: about two minutes each), each as
        # soon as the examples it runs are built (not every example): those examples are
        # queued first, the Python test right behind them, then the other examples
        py_tests = sorted((os.path.basename(p)[:-3] for p in glob.glob("tests/test_*.py")),
                          key=lambda t: (t not in ("test_autobahn", "test_testssl"), t))
        ex_order = []
        for t in py_tests:
            ex_order += [e for e in PY_NEEDS.get(t, examples) if e in examples and e not in ex_order]
        ex_order += [e for e in examples if e not in ex_order]
        ex_job = {}
        ex_impl = submit(pool, "example/tn_impl.o", build_example_impl)
        jobs.append(ex_impl)

        def build_example(e):
            ex_impl.result()   # the implementation object every example links
            step("example." + e, MAKE_EX + ["build/examples/" + e])

        def example_job(ex):
            if ex not in ex_job:
                ex_job[ex] = submit(pool, "example." + ex, build_example, ex)
                jobs.append(ex_job[ex])
            return ex_job[ex]
        for t in py_tests:
            if t in ("test_autobahn", "test_testssl"):
                needs = [example_job(e) for e in PY_NEEDS.get(t, examples) if e in examples]
                jobs.append(submit(pool, "py/" + t, run_py_test, t, needs))
        for e in ex_order:
            example_job(e)
        for t in py_tests:
            if t not in ("test_autobahn", "test_testssl"):
                needs = [example_job(e) for e in PY_NEEDS.get(t, examples) if e in examples]
                jobs.append(submit(pool, "py/" + t, run_py_test, t, needs))
        # the ASan builds are the costliest (about 2.5 times a plain build)
        shared = shared_tests()
        for v in sorted(variants, key=lambda v: v != "asan"):
            impl = None
            if any(selected(v, t) for t in tests if t in shared):
                impl = submit(pool, "%s/tn_impl.o" % v, build_impl, v)
                jobs.append(impl)
            for t in tests:
                jobs.append(submit(pool, "%s/%s" % (v, t), run_test_binary, v, t, impl if t in shared else None,
                                   [ex_job[e] for e in C_NEEDS_EXAMPLES.get(t, []) if e in ex_job]))
            if v == "asan":
                jobs += [submit(pool, "build.fdmap." + t, fdmap_check, t) for t in ("test_loop", "test_tcp", "test_stream")]
                # the fuzz corpora replayed, one job per harness (tests/fuzz/run.py --replay --only NAME)
                for h in sorted(os.path.basename(p)[len("fuzz_"):-2] for p in glob.glob("tests/fuzz/fuzz_*.c")):
                    n = "fuzz.replay." + h
                    jobs.append(submit(pool, n, step, n, [sys.executable, "tests/fuzz/run.py", "--replay", "--only", h]))
        jobs += [submit(pool, "build.unamalgamated." + cc, unamalgamated_check, cc) for cc in ("gcc", "clang")]
        jobs += firmware_checks(pool)   # Cortex-M4 + lwIP builds (TORNADO_PLATFORM_LWIP)
        jobs += static_checks(pool)     # examples/hello.c linked -static (glibc, musl) and asked
        jobs += compile_matrix(pool)    # about 6 s each: they fill the last minutes
        jobs.append(submit(pool, "symbols.tn_prefix", symbol_check))
        jobs.append(submit(pool, "docs.quickstart", quickstart_check))
        jobs.append(submit(pool, "config.limits_in_config", limits_in_config))
        for j in jobs:
            j.result()
    # (windows_checks queues its jobs on wpool behind itself: FIFO, one worker, so each
    # test's example builds run before the test that waits for them)
    for j in (win.result() if win else []):
        j.result()
    wpool.shutdown()
    if "--times" in args:
        print_times()
    return summary(t0)


if __name__ == "__main__":
    sys.exit(main())
