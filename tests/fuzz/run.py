#!/usr/bin/env python3
"""tests/fuzz/run.py: build and run every fuzz harness tests/fuzz/fuzz_*.c.

Usage:
    python3 tests/fuzz/run.py --replay [--only NAME]
                                                  build each harness with cc -DTN_FUZZ_MAIN and
                                                  ASan+UBSan, replay its corpus (make test runs
                                                  one --only NAME per harness, in parallel)
    python3 tests/fuzz/run.py --seconds N [--save] [--only NAME] [--opt -Os]
                                                  build with clang -fsanitize=fuzzer,address,undefined
                                                  and fuzz each harness N seconds on a copy of its
                                                  corpus; --save merges new coverage back into
                                                  tests/fuzz/corpus/NAME (make fuzz SECONDS=N);
                                                  --opt: the optimization (-O1; -Os fuzzes the
                                                  parser's compact paths)

Corpora live in tests/fuzz/corpus/<name>/ (name = file name without fuzz_ and .c). Crash
inputs are written to build/fuzz/artifacts/<name>/. Exit status is 0 only when every harness
built and ran without a finding.
"""
import glob
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FUZZ = os.path.join(ROOT, "tests", "fuzz")
BUILD = os.path.join(ROOT, "build", "fuzz")
WARN = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
SAN = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]
SMALL = ("request", "response", "chunked")   # replayed built with -Os too (the parser's compact paths)
# The replay builds: -g1 (line tables, all ASan's reports need) and TORNADO_STATIC, so the
# implementation's public functions a harness never reaches are dropped before code generation
# (a harness reaches a few modules: 1.7 s of CPU to build instead of 9.3; what it runs is the
# same code). The compile matrix and the test programs' ASan builds build every function.
REPLAY_FLAGS = ["-g1", "-DTORNADO_STATIC"]


def harnesses():
    names = []
    for path in sorted(glob.glob(os.path.join(FUZZ, "fuzz_*.c"))):
        names.append(os.path.basename(path)[len("fuzz_"):-2])
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    return [n for n in names if only is None or n == only]


def run(cmd, timeout=None, env=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout, env=env, cwd=ROOT)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def corpus_dir(name):
    d = os.path.join(FUZZ, "corpus", name)
    os.makedirs(d, exist_ok=True)
    return d


def replay():
    os.makedirs(BUILD, exist_ok=True)
    cc = os.environ.get("CC", "cc")
    failed = 0
    total = 0
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    # the parser harnesses also run built with -Os: a size-optimized build takes the parser's
    # compact paths (__OPTIMIZE_SIZE__), which must judge every input as the fast ones do
    builds = []
    for name in harnesses():
        builds.append((name, name, "-O1"))
        if name in SMALL:
            builds.append((name, name + ".Os", "-Os"))
    names = [label for _, label, _ in builds]
    for src, name, opt in builds:
        exe = os.path.join(BUILD, "replay_" + name)
        rc, out = run([cc] + WARN + [opt] + REPLAY_FLAGS + ["-DTN_FUZZ_MAIN"] + SAN +
                      ["-o", exe, os.path.join(FUZZ, "fuzz_%s.c" % src), "-lpthread"])
        if rc != 0:
            print("FAIL fuzz.%s: build\n%s" % (name, out))
            failed += 1
            continue
        rc, out = run([exe, corpus_dir(src)], timeout=600, env=env)
        m = re.search(r"(\d+) inputs replayed", out)
        n = int(m.group(1)) if m else 0
        total += n
        if rc != 0:
            print("FAIL fuzz.%s: replay exit %d\n%s" % (name, rc, out[-4000:]))
            failed += 1
        elif n == 0:
            print("FAIL fuzz.%s: no corpus in tests/fuzz/corpus/%s" % (name, src))
            failed += 1
        else:
            print("ok fuzz.%s: %d inputs replayed" % (name, n))
    print("fuzz replay: %d harnesses, %d inputs, %d failed" % (len(names), total, failed))
    return 1 if failed or not names else 0


def fuzz(seconds, save, opt="-O1"):
    if not shutil.which("clang"):
        print("fuzz: clang not found (apt-get install clang libclang-rt-14-dev)")
        return 1
    os.makedirs(BUILD, exist_ok=True)
    findings = 0
    summary = []
    for name in harnesses():
        exe = os.path.join(BUILD, "libfuzzer_" + name)
        rc, out = run(["clang"] + WARN + [opt, "-g", "-fsanitize=fuzzer,address,undefined",
                                          "-fno-sanitize-recover=undefined", "-o", exe,
                                          os.path.join(FUZZ, "fuzz_%s.c" % name), "-lpthread"])
        if rc != 0:
            print("FAIL fuzz.%s: build\n%s" % (name, out))
            findings += 1
            continue
        work = os.path.join(BUILD, "work_" + name)
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(corpus_dir(name), work)
        art = os.path.join(BUILD, "artifacts", name)
        os.makedirs(art, exist_ok=True)
        before = set(os.listdir(art))
        rc, out = run([exe, "-max_total_time=%d" % seconds, "-timeout=10", "-print_final_stats=1", "-max_len=4096",
                       "-artifact_prefix=%s/" % art, work], timeout=seconds + 300)
        execs = re.search(r"stat::number_of_executed_units:\s*(\d+)", out)
        cov = re.findall(r"cov: (\d+)", out)
        new = sorted(set(os.listdir(art)) - before)
        ok = rc == 0 and not new
        line = "%s fuzz.%s: %s execs in %d s, cov %s, corpus %d -> %d, findings %d" % (
            "ok" if ok else "FAIL", name, execs.group(1) if execs else "?", seconds, cov[-1] if cov else "?",
            len(os.listdir(corpus_dir(name))), len(os.listdir(work)), len(new))
        print(line)
        summary.append(line)
        if not ok:
            findings += 1
            print(out[-4000:])
            for f in new:
                print("  artifact: %s" % os.path.join(art, f))
        if save:
            rc, out = run([exe, "-merge=1", corpus_dir(name), work], timeout=600)
            print("  saved: corpus now %d files" % len(os.listdir(corpus_dir(name))))
    print("fuzz: %d harnesses, %d with findings" % (len(summary), findings))
    return 1 if findings else 0


def main(argv):
    if "--replay" in argv:
        return replay()
    if "--seconds" in argv:
        opt = argv[argv.index("--opt") + 1] if "--opt" in argv else "-O1"
        return fuzz(int(argv[argv.index("--seconds") + 1]), "--save" in argv, opt)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
