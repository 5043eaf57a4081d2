#!/usr/bin/env python3
"""tests/test_lwip_unix.py: the firmware example on a real lwIP stack.

tests/firmware/lwip_unix.c is examples/firmware/firmware.c built with TORNADO_PLATFORM_LWIP
against Debian's liblwip (lwIP 2.1.3 and its unix port, for the host), so every socket call
goes to lwIP's TCP/IP stack. lwIP talks to the kernel through a tap device. The test makes
a network namespace of its own (unshare -n as root, unshare -rn otherwise), creates tap0
there (192.168.7.1/24; lwIP is 192.168.7.2), starts the program and, from the kernel's side:

  wakeup     the program's own check: another thread's tn_async_send wakes a loop blocked
             in lwip_poll (the loopback datagram of the lwIP wakeup), within 3 s
  echo       TCP echo on port 7: 64 KiB in pieces comes back whole
  http       GET / on port 80: 200, the example's hello body; a keep-alive second request
  websocket  the WebSocket echo at /ws: handshake (101 with the right accept key), a masked
             text message comes back, close handshake

tap0's MTU is 576: the tap driver in Debian's liblwip copies each received frame into one
pool buffer of 590 bytes (that build's PBUF_POOL_BUFSIZE, from its TCP_MSS of 536), so a
full 1514-byte Ethernet frame overflows it (ASan: heap-buffer-overflow in pbuf_take on the
tapif thread, glibc: "malloc(): corrupted top size"). Frames of at most 590 bytes fit.

Needs liblwip-dev, gcc, iproute2 (ip), util-linux (unshare) and /dev/net/tun with the right
to make a namespace (root, or unprivileged user namespaces); otherwise the cases skip with
the reason (with CI=1 they fail).
Usage: tests/test_lwip_unix.py [SUBSTR] (-l lists the cases).
"""
import base64
import hashlib
import os
import shutil
import socket
import struct
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
PROG = "test_lwip_unix"
LIST = sys.argv[1:2] == ["-l"]
FILTER = sys.argv[1] if len(sys.argv) > 1 and not LIST and sys.argv[1] != "--inside" else None
CASES = ["wakeup", "echo", "http", "websocket"]
EXE = "build/firmware/lwip_unix"
LWIP_IP = "192.168.7.2"
counts = {"ok": 0, "FAIL": 0, "skip": 0}


def report(kind, name, detail=""):
    counts[kind] += 1
    if kind == "ok":
        print("ok %s.%s (%d ms)" % (PROG, name, detail), flush=True)
    else:
        print("%s %s.%s: %s" % (kind, PROG, name, detail), flush=True)


def missing_reason():
    if not os.path.exists("/usr/include/lwip/lwip/sockets.h") or not any(
            os.path.exists(os.path.join(d, "liblwip.so")) for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib")):
        return "lwIP for the host not found (apt-get install liblwip-dev)"
    for tool, pkg in (("gcc", "gcc"), ("ip", "iproute2"), ("unshare", "util-linux")):
        if not shutil.which(tool):
            return "%s not found (apt-get install %s)" % (tool, pkg)
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun (the tun module: modprobe tun)"
    return None


def build():
    os.makedirs(os.path.dirname(EXE), exist_ok=True)
    cmd = ["gcc", "-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Wundef", "-Werror", "-O0", "-g",
           "-DTORNADO_PLATFORM_LWIP", "-isystem", "/usr/include/lwip", "-o", EXE, "tests/firmware/lwip_unix.c",
           "-llwip", "-lpthread"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def connect(port, deadline):
    last = None
    while time.time() < deadline:
        try:
            return socket.create_connection((LWIP_IP, port), timeout=5)
        except OSError as e:   # lwIP's listeners start just after "ready"
            last = e
            time.sleep(0.1)
    raise OSError("cannot connect to %s:%d: %s" % (LWIP_IP, port, last))


def recv_exact(s, n):
    out = b""
    while len(out) < n:
        c = s.recv(n - len(out))
        if not c:
            raise OSError("connection closed after %d of %d bytes" % (len(out), n))
        out += c
    return out


def read_head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        c = s.recv(4096)
        if not c:
            raise OSError("closed before the end of the head: %r" % data[:200])
        data += c
    head, rest = data.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def case_echo():
    payload = os.urandom(65536)
    with connect(7, time.time() + 10) as s:
        got = b""
        for i in range(0, len(payload), 4096):
            s.sendall(payload[i:i + 4096])
            got += recv_exact(s, 4096)
        if got != payload:
            return "the echo differs from what was sent"
    return None


def case_http():
    with connect(80, time.time() + 10) as s:
        for i in range(2):   # keep-alive: two requests on one connection
            s.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % LWIP_IP.encode())
            head, rest = read_head(s)
            lines = head.split("\r\n")
            if not lines[0].startswith("HTTP/1.1 200 "):
                return "request %d: status line %r" % (i + 1, lines[0])
            length = [int(l.split(":", 1)[1]) for l in lines[1:] if l.lower().startswith("content-length:")]
            if not length:
                return "request %d: no Content-Length in %r" % (i + 1, head)
            body = rest + recv_exact(s, length[0] - len(rest))
            if body != b"Hello from a Cortex-M4\n":
                return "request %d: body %r" % (i + 1, body)
    return None


def case_websocket():
    key = base64.b64encode(os.urandom(16))
    want = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()).decode()
    with connect(80, time.time() + 10) as s:
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (LWIP_IP.encode(), key))
        head, rest = read_head(s)
        if not head.startswith("HTTP/1.1 101 "):
            return "handshake: %r" % head.split("\r\n")[0]
        if ("sec-websocket-accept: " + want.lower()) not in head.lower():
            return "wrong or missing Sec-WebSocket-Accept in %r" % head
        msg = b"hello from the kernel's side"
        mask = os.urandom(4)
        s.sendall(bytes([0x81, 0x80 | len(msg)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(msg)))
        frame = rest + recv_exact(s, 2 + len(msg) - len(rest))
        if frame[:2] != bytes([0x81, len(msg)]) or frame[2:] != msg:
            return "echo frame %r" % frame
        code = struct.pack("!H", 1000)
        s.sendall(bytes([0x88, 0x80 | 2]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(code)))
        close = recv_exact(s, 4)
        if close[0] != 0x88 or close[2:4] != code:
            return "close frame %r" % close
    return None


def inside(todo):
    """Run in the new namespace: tap0, the program, the cases."""
    t0 = time.time()
    for cmd in (["ip", "link", "set", "lo", "up"], ["ip", "tuntap", "add", "dev", "tap0", "mode", "tap"],
                ["ip", "addr", "add", "192.168.7.1/24", "dev", "tap0"],
                ["ip", "link", "set", "tap0", "mtu", "576", "up"]):
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            why = "%s: %s" % (" ".join(cmd), p.stdout.decode().strip())
            for n in todo:
                report("FAIL" if os.environ.get("CI") else "skip", n, "cannot make the tap device (%s)" % why)
            return
    env = dict(os.environ, PRECONFIGURED_TAPIF="tap0")
    log = open("build/firmware/lwip_unix.log", "w+b")
    proc = subprocess.Popen(["./" + EXE], stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.time() + 20
        text = ""
        while time.time() < deadline and "ready" not in text and proc.poll() is None:
            time.sleep(0.05)
            log.seek(0)
            text = log.read().decode("utf-8", "replace")
        if "ready" not in text:
            for n in todo:
                report("FAIL", n, "the program did not get ready (exit %s):\n%s" % (proc.poll(), text[-2000:]))
            return
        for n in todo:
            t1 = time.time()
            if n == "wakeup":
                line = [l for l in text.split("\n") if l.startswith("wakeup:")]
                why = None if line and line[0].startswith("wakeup: ok") else "no wakeup line: %r" % text[-500:]
                if why is None:
                    print("    " + line[0])
            else:
                try:
                    why = {"echo": case_echo, "http": case_http, "websocket": case_websocket}[n]()
                except OSError as e:
                    why = str(e)
            if proc.poll() is not None:
                log.seek(0)
                why = (why or "") + " (the program exited %s:\n%s)" % (proc.returncode, log.read().decode()[-2000:])
            if why:
                report("FAIL", n, why)
            else:
                report("ok", n, int((time.time() - t1) * 1000) if n != "wakeup" else int((time.time() - t0) * 1000))
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        log.close()


def main():
    if LIST:
        print("\n".join("%s.%s" % (PROG, n) for n in CASES))
        return 0
    todo = [n for n in CASES if not FILTER or FILTER in "%s.%s" % (PROG, n)]
    if "--inside" in sys.argv:
        inside([n for n in CASES if n in sys.argv[sys.argv.index("--inside") + 1].split(",")])
    elif todo:
        why = missing_reason()
        if why:
            for n in todo:
                report("FAIL" if os.environ.get("CI") else "skip", n, why)
        else:
            rc, out = build()
            if rc != 0:
                for n in todo:
                    report("FAIL", n, "building %s failed:\n%s" % (EXE, out[-3000:]))
            else:
                # a network namespace of our own: root needs none of the user namespace
                ns = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
                p = subprocess.run(ns + [sys.executable, os.path.abspath(__file__), "--inside", ",".join(todo)],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
                out = p.stdout.decode("utf-8", "replace")
                lines = [l for l in out.split("\n") if l.startswith(("ok ", "FAIL ", "skip "))]
                if not lines:   # unshare itself failed (no permission for namespaces)
                    for n in todo:
                        report("FAIL" if os.environ.get("CI") else "skip", n,
                               "cannot make a network namespace (%s): %s" % (" ".join(ns), out.strip()[-300:]))
                else:   # its result lines and output; the summary is ours
                    out = "\n".join(l for l in out.split("\n") if not l.startswith(PROG + ": ")).rstrip("\n")
                    print(out, flush=True)
                    for l in lines:
                        counts[{"ok": "ok", "FAIL": "FAIL", "skip": "skip"}[l.split(" ", 1)[0]]] += 1
    print("%s: %d passed, %d failed, %d skipped" % (PROG, counts["ok"], counts["FAIL"], counts["skip"]))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
