#!/usr/bin/env python3
"""amalgamate.py: build the single header tornado.h from the modules in src/.

Usage:
    python3 amalgamate.py            write tornado.h
    python3 amalgamate.py --check    exit 1 if tornado.h differs from what would be written
    python3 amalgamate.py --stdout   print the result instead of writing it

The module order is fixed below (each module uses only those before it). The script
fails if a file in src/ is not listed, or a listed file is missing. Output is
deterministic: no dates, no absolute paths.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "src")
OUT = os.path.join(HERE, "tornado.h")

# Declarations, in dependency order: these form the header part (always compiled).
DECLS = [
    "config.h",
    "platform.h",
    "base.h",
    "buf.h",
    "loop.h",
    "net.h",
    "stream.h",
    "tls.h",
    "tcp.h",
    "crypto.h",
    "deflate.h",
    "url.h",
    "http_util.h",
    "http_parse.h",
    "multipart.h",
    "http_cookie.h",
    "ws.h",
    "http_server.h",
    "http_client.h",
    "ws_conn.h",
    "router.h",
    "static.h",
    "web.h",
]

# Implementation, in dependency order: compiled only under TORNADO_IMPLEMENTATION.
IMPLS = [
    "internal.h",
    "platform.c",
    "base.c",
    "buf.c",
    "loop.c",
    "poll_epoll.c",
    "poll_poll.c",
    "net.c",
    "stream.c",
    "tls.c",
    "tcp.c",
    "crypto.c",
    "deflate.c",
    "url.c",
    "http_util.c",
    "http_parse.c",
    "multipart.c",
    "http_cookie.c",
    "ws.c",
    "ws_deflate.c",
    "http_server.c",
    "http_client.c",
    "ws_conn.c",
    "router.c",
    "static.c",
    "web_internal.h",
    "web.c",
    "web_args.c",
    "web_cookie.c",
]

INCLUDE_RE = re.compile(r'^()#\s*include\s+"([^"]+)"(.*)$')  # column 0 only: never inside comments
KEEP_MARK = "amalgamate: keep"
WIDTH = 78


def fail(msg):
    sys.stderr.write("amalgamate.py: %s\n" % msg)
    sys.exit(2)


def check_listing():
    listed = DECLS + IMPLS
    dup = sorted({f for f in listed if listed.count(f) > 1})
    if dup:
        fail("listed twice: " + ", ".join(dup))
    present = sorted(f for f in os.listdir(SRC) if not f.startswith("."))
    missing = [f for f in listed if f not in present]
    unlisted = [f for f in present if f not in listed]
    if missing:
        fail("listed but missing from src/: " + ", ".join(missing))
    if unlisted:
        fail("in src/ but not listed in amalgamate.py: " + ", ".join(unlisted))


def read(name):
    with open(os.path.join(SRC, name), "r", encoding="utf-8", newline="") as f:
        text = f.read()
    if "\r" in text:
        fail("%s: carriage return found (use LF line endings)" % name)
    if not text.endswith("\n"):
        fail("%s: missing final newline" % name)
    return text


def summary(name, text):
    first = text.split("\n", 1)[0]
    m = re.match(r"^/\* (\S+): (.*?)\s*\*/$", first)
    if not m or m.group(1) != name:
        fail('%s: first line must be "/* %s: summary. */"' % (name, name))
    return m.group(2)


def transform(name, text):
    out = []
    for line in text.split("\n")[:-1]:
        m = INCLUDE_RE.match(line)
        if m and KEEP_MARK not in line:
            inc = m.group(2)
            if inc not in DECLS and inc not in IMPLS:
                fail('%s: includes "%s", which is not a module' % (name, inc))
            line = '%s/* #include "%s" (inlined above) */%s' % (m.group(1), inc, m.group(3))
        elif re.match(r"^\s*#\s*pragma\s+once\b", line):
            line = "/* #pragma once (removed by amalgamate.py) */"
        out.append(line)
    return "\n".join(out) + "\n"


def banner(name):
    tag = "/* >>%s  (src/%s)" % (name, name)
    rule = "/* " + "=" * (WIDTH - 6) + " */"
    return "\n".join([
        rule,
        tag + " " * max(1, WIDTH - len(tag) - 2) + "*/",
        rule,
        "#ifdef TORNADO_LINE_DIRECTIVES",
        '#line 1 "src/%s"' % name,
        "#endif",
    ]) + "\n"


def section(name, text):
    return banner(name) + transform(name, text) + "/* <<%s  end of src/%s */\n\n" % (name, name)


def build():
    check_listing()
    texts = {n: read(n) for n in DECLS + IMPLS}
    sums = {n: summary(n, texts[n]) for n in DECLS + IMPLS}
    m = re.search(r'#define TORNADO_VERSION "([0-9.]+)"', texts["config.h"])
    if not m:
        fail('config.h: no #define TORNADO_VERSION "x.y.z"')
    version = m.group(1)

    head = []
    head.append("/* tornado.h v%s: Tornado's networking core as one C header (MIT license, see LICENSE).\n" % version)
    head.append("   Generated from src/ by amalgamate.py; edit src/, not this file.\n\n")
    head.append("   TABLE OF CONTENTS  (search \">>name\" to jump to a module)\n")
    head.append("     declarations (always compiled)\n")
    for n in DECLS:
        head.append("       >>%-14s %s\n" % (n, sums[n]))
    head.append("     implementation (compiled where TORNADO_IMPLEMENTATION is defined)\n")
    for n in IMPLS:
        head.append("       >>%-14s %s\n" % (n, sums[n]))
    head.append("\n   QUICK START, TOGGLES, LIMITS, ALLOCATOR, ERRORS & LOGGING, THREADING: see >>config.h below. */\n\n")

    body = []
    body.append("#ifndef TORNADO_H_INCLUDED\n#define TORNADO_H_INCLUDED\n\n")
    for n in DECLS:
        body.append(section(n, texts[n]))
    body.append("#endif /* TORNADO_H_INCLUDED */\n\n")
    body.append("#if (defined(TORNADO_IMPLEMENTATION) || defined(__INTELLISENSE__) || defined(__CDT_PARSER__)) \\\n"
                "    && !defined(TORNADO_IMPLEMENTATION_INCLUDED)\n"
                "#define TORNADO_IMPLEMENTATION_INCLUDED\n\n")
    for n in IMPLS:
        body.append(section(n, texts[n]))
    body.append("#endif /* TORNADO_IMPLEMENTATION */\n")
    return "".join(head) + "".join(body)


def main(argv):
    out = build()
    if "--stdout" in argv:
        sys.stdout.write(out)
        return 0
    if "--check" in argv:
        try:
            with open(OUT, "r", encoding="utf-8", newline="") as f:
                cur = f.read()
        except FileNotFoundError:
            cur = None
        if cur != out:
            sys.stderr.write("amalgamate.py: tornado.h is stale; run 'make amalgamate' and commit it\n")
            return 1
        print("amalgamate.py: tornado.h is up to date")
        return 0
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        f.write(out)
    print("amalgamate.py: wrote tornado.h (%d lines)" % out.count("\n"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
