#!/usr/bin/env python3
"""tests/test_browser.py: the demo's chat room in a real browser.

Starts build/examples/demo on an ephemeral port (--port 0) and runs tests/node/chat_test.js:
Debian's chromium (/usr/lib/chromium/chromium, apt-get install chromium) driven headless by
playwright-core (npm, tests/node/package.json: npm install --prefix tests/node) opens the chat
page twice; each page sends a message and must see the other's, a closed page leaves the room.
First the browser loads / and /chat: the compiled-in script and style sheet must arrive with
Content-Encoding: gzip and work (the chat runs on that script).

Prints "ok NAME (ms)" / "FAIL NAME: why" / "skip NAME: why" and a summary line like the C
tests; tests/run.py runs it. A missing chromium, node or tests/node/node_modules skips the
case naming the package, except with CI=1 in the environment (then it fails).
Usage: tests/test_browser.py [SUBSTR] (-l lists the cases)
"""
import os
import re
import select
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
PROG = "test_browser"
CASES = ["demo_chat_two_pages"]
CHROMIUM = "/usr/lib/chromium/chromium"   # the binary behind Debian's /usr/bin/chromium wrapper
BIN_DIR = os.environ.get("TN_EXAMPLES_DIR")
counts = {"ok": 0, "FAIL": 0, "skip": 0}


def report(kind, name, detail=""):
    counts[kind] += 1
    print("%s %s.%s%s" % (kind, PROG, name, detail), flush=True)


def missing():
    """What is not installed, as the install hint (None: all there)."""
    if not os.access(CHROMIUM, os.X_OK):
        return "chromium not found (apt-get install chromium)"
    if not shutil.which("node"):
        return "node not found (apt-get install nodejs npm)"
    if not os.path.isdir("tests/node/node_modules/playwright-core"):
        return "playwright-core not installed (npm install --prefix tests/node)"
    return None


def start_demo(log):
    p = subprocess.Popen([os.path.join(BIN_DIR or "build/examples", "demo"), "--port", "0"],
                         stdout=subprocess.PIPE, stderr=log)
    line, deadline = b"", time.time() + 10
    while not line.endswith(b"\n") and time.time() < deadline:
        if select.select([p.stdout], [], [], 0.5)[0]:
            ch = os.read(p.stdout.fileno(), 1)
            if not ch:
                break
            line += ch
    m = re.search(rb"http://([\d.]+):(\d+)/", line)
    if not m:
        p.kill()
        p.wait()
        raise AssertionError("demo did not say where it listens: %r" % line)
    return p, "http://%s:%s" % (m.group(1).decode(), m.group(2).decode())


def demo_chat_two_pages():
    if not BIN_DIR and subprocess.run(["make", "-s", "build/examples/demo"], timeout=600).returncode != 0:
        raise AssertionError("make build/examples/demo failed")
    log = open("/tmp/tn_browser_demo_%d.log" % os.getpid(), "w+b")
    p, base = start_demo(log)
    try:
        r = subprocess.run(["node", "tests/node/chat_test.js", base, CHROMIUM], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=90)
        out = r.stdout.decode(errors="replace")
        for line in out.splitlines():   # the main page's headers, for the record
            if "Content-Encoding" in line:
                print("  " + line, flush=True)
        if r.returncode != 0:
            raise AssertionError("chat_test.js: exit %d\n%s" % (r.returncode, out[-3000:]))
        if p.poll() is not None:
            log.seek(0)
            raise AssertionError("the demo exited with %s\n%s" % (p.returncode, log.read()[-2000:].decode(errors="replace")))
    finally:
        if p.poll() is None:
            p.kill()
        p.wait(timeout=10)
        log.close()
        os.unlink(log.name)


def main():
    if sys.argv[1:2] == ["-l"]:
        print("\n".join("%s.%s" % (PROG, c) for c in CASES))
        return 0
    flt = sys.argv[1] if len(sys.argv) > 1 else None
    for name, fn in (("demo_chat_two_pages", demo_chat_two_pages),):
        if flt and flt not in PROG + "." + name:
            continue
        why = missing()
        if why:
            report("FAIL" if os.environ.get("CI") else "skip", name, ": %s" % why)
            continue
        t0 = time.time()
        try:
            fn()
            report("ok", name, " (%.0f ms)" % ((time.time() - t0) * 1000))
        except Exception as e:
            report("FAIL", name, ": %s: %s" % (type(e).__name__, e))
    print("%s: %d passed, %d failed, %d skipped" % (PROG, counts["ok"], counts["FAIL"], counts["skip"]))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
