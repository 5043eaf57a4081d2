#!/usr/bin/env python3
"""tests/test_examples.py: the example programs against real clients.

Starts build/examples/{httpbin,file_server,demo,ws_echo} as child processes on ephemeral ports
(--port 0; each prints the port it got), then drives them with curl (multipart -F, chunked
-T upload, 100-continue, streaming, redirects, cookies, HEAD, keep-alive reuse, ranges,
If-None-Match) and with Python Tornado's HTTP client (/usr/bin/python3, Debian
python3-tornado). Every JSON answer is parsed with Python's json module. ws_echo is driven by
node's ws (npm, tests/node/ws_peer.js).

Prints one line per case like the C test binaries ("ok NAME (ms)", "FAIL NAME: why",
"skip NAME: why") and a summary line; tests/run.py runs it and counts the cases.
Usage: tests/test_examples.py [SUBSTR]   (only cases whose name contains SUBSTR; -l lists them)
Every wait is bounded (each client call, each start-up); children are killed at the end.
"""
import hashlib
import json
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.chdir(ROOT)
PROG = "test_examples"
LIST = sys.argv[1:2] == ["-l"]
FILTER = sys.argv[1] if len(sys.argv) > 1 and not LIST else None
PYTORNADO = "/usr/bin/python3"
# TN_EXAMPLES_DIR=dir runs the binaries found there instead of building build/examples/
# (e.g. sanitizer builds of the examples)
BIN_DIR = os.environ.get("TN_EXAMPLES_DIR")
counts = {"ok": 0, "FAIL": 0, "skip": 0}
children = []


class Skip(Exception):
    pass


def report(kind, name, detail=""):
    counts[kind] += 1
    print("%s %s.%s%s" % (kind, PROG, name, detail), flush=True)


def start(prog, log, *args):
    """Run build/examples/PROG --port 0 ARGS (stderr to the file log); return (process, base URL)."""
    p = subprocess.Popen([os.path.join(BIN_DIR or "build/examples", prog), "--port", "0"] + list(args),
                         stdout=subprocess.PIPE, stderr=log)
    children.append(p)
    line = b""
    deadline = time.time() + 10
    while not line.endswith(b"\n") and time.time() < deadline:
        r, _, _ = select.select([p.stdout], [], [], 0.5)
        if r:
            ch = os.read(p.stdout.fileno(), 1)
            if not ch:
                break
            line += ch
    m = re.search(rb"(?:https?|wss?)://([\d.]+):(\d+)/", line)
    if not m:
        raise AssertionError("%s did not say where it listens: %r" % (prog, line))
    return p, "http://%s:%s" % (m.group(1).decode(), m.group(2).decode())


def curl(*args, input=None, check=True):
    """curl -sS with a time limit; returns stdout bytes (stderr appended on failure)."""
    cmd = ["curl", "-sS", "--max-time", "15"] + list(args)
    p = subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    if check and p.returncode != 0:
        raise AssertionError("%s: exit %d: %s" % (" ".join(cmd), p.returncode, p.stderr.decode(errors="replace")))
    return p.stdout


def curl_json(*args, **kw):
    out = curl(*args, **kw)
    try:
        return json.loads(out)
    except ValueError as e:
        raise AssertionError("invalid JSON (%s): %r" % (e, out[:300]))


def head_of(raw):
    """Status and lower-cased headers of the last response head in curl -i/-I output."""
    heads = [h for h in re.split(rb"\r\n\r\n", raw) if h.startswith(b"HTTP/")]
    lines = heads[-1].decode("latin-1").split("\r\n")
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), hdrs


def status_of(*args):
    return int(curl("-o", "/dev/null", "-w", "%{http_code}", *args))


def eq(a, b, what=""):
    if a != b:
        raise AssertionError("%s%r != %r" % (what + ": " if what else "", a, b))


def sha(b):
    return hashlib.sha256(b).hexdigest()


# ---- httpbin ----------------------------------------------------------------------------

def httpbin_get(u):
    d = curl_json("-H", 'X-Quote: say "hi"\\', u + "/get?a=1&a=2&b=%E2%82%AC&c")
    eq(d["args"], {"a": ["1", "2"], "b": "\u20ac", "c": ""}, "args")
    eq(d["headers"]["X-Quote"], 'say "hi"\\', "escaped header")
    eq(d["origin"], "127.0.0.1")
    eq(d["url"], u + "/get?a=1&a=2&b=%E2%82%AC&c")
    eq(curl_json(u + "/headers")["headers"]["User-Agent"][:5], "curl/")


def httpbin_curl_multipart(u, tmp):
    path = os.path.join(tmp, "up load.bin")
    data = os.urandom(70000) + b"\r\n--not-a-boundary\r\n"
    open(path, "wb").write(data)
    d = curl_json("-F", "field=one", "-F", "field=tw\"o", "-F", "up=@%s;type=application/x-test" % path,
                  "-F", "other=@%s" % path, u + "/post")
    eq(d["form"], {"field": ["one", 'tw"o']}, "form")
    eq(len(d["files"]), 2, "files")
    f = d["files"][0]
    eq((f["name"], f["filename"], f["content_type"], f["size"], f["sha256"]),
       ("up", "up load.bin", "application/x-test", len(data), sha(data)))
    eq(d["files"][1]["name"], "other")
    if d["body_length"] <= 2 * len(data):
        raise AssertionError("body_length %d" % d["body_length"])
    d = curl_json("-d", "a=1&b=x+y&b=%26", u + "/post")
    eq(d["form"], {"a": "1", "b": ["x y", "&"]}, "urlencoded form")
    eq(d["body_length"], 15)


def httpbin_curl_chunked_upload(u):
    data = os.urandom(300000)
    out = curl("-T", "-", "-H", "Content-Type: application/x-demo", "-i", u + "/", input=data)
    status, hdrs = head_of(out)
    eq(status, 200)
    eq(hdrs.get("content-type"), "application/x-demo")
    eq(out[out.index(b"\r\n\r\n", out.index(b"HTTP/1.1 200")) + 4:], data, "echoed body")
    p = subprocess.run(["curl", "-sS", "-v", "--max-time", "15", "-T", "-", u + "/echo"], input=data,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    if b"Transfer-Encoding: chunked" not in p.stderr:
        raise AssertionError("curl did not send chunked")
    d = json.loads(p.stdout)
    eq((d["method"], d["body_length"], d["body_sha256"]), ("PUT", len(data), sha(data)))


def httpbin_curl_large_100_continue(u, tmp):
    path = os.path.join(tmp, "large.bin")
    data = os.urandom(3 * 1024 * 1024 + 7)
    open(path, "wb").write(data)
    p = subprocess.run(["curl", "-sS", "-v", "--max-time", "15", "-H", "Expect: 100-continue", "-T", path,
                        u + "/echo"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    if b"HTTP/1.1 100 Continue" not in p.stderr:
        raise AssertionError("no 100 Continue: %s" % p.stderr[-500:])
    d = json.loads(p.stdout)
    eq((d["body_length"], d["body_sha256"]), (len(data), sha(data)))


def httpbin_stream(u):
    out = curl("-i", "-N", u + "/stream/50")
    status, hdrs = head_of(out)
    eq((status, hdrs.get("transfer-encoding")), (200, "chunked"))
    lines = out.split(b"\r\n\r\n", 1)[1].decode().splitlines()
    eq([json.loads(l)["id"] for l in lines], list(range(50)))
    eq(status_of(u + "/stream/10001"), 400)
    host, port = u[7:].split(":")
    for _ in range(3):   # a client that leaves mid-stream: the server stops and stays healthy
        with socket.create_connection((host, int(port)), timeout=10) as s:
            s.sendall(b"GET /stream/10000 HTTP/1.1\r\nHost: x\r\n\r\n")
            if b"HTTP/1.1 200" not in s.recv(100):
                raise AssertionError("no stream")
    eq(len(curl(u + "/stream/10000").splitlines()), 10000)
    eq(curl(u + "/stream/0"), b"")


def httpbin_redirect(u):
    out = curl("-L", "-w", "\n%{num_redirects} %{url_effective}", u + "/redirect/3")
    body, _, tail = out.rpartition(b"\n")
    eq(tail.decode(), "3 %s/get" % u)
    json.loads(body)
    eq(head_of(curl("-i", u + "/redirect/2"))[1]["location"], "/redirect/1")
    eq(status_of(u + "/redirect/0"), 400)
    eq(status_of(u + "/redirect/51"), 400)


def httpbin_status(u):
    eq(status_of(u + "/status/418"), 418)
    eq(status_of("-X", "POST", u + "/status/503"), 503)
    eq(status_of(u + "/status/204"), 204)
    for bad in ("600", "99", "abc", "0200x", "1000000000000"):
        eq(status_of(u + "/status/" + bad), 400, bad)


def httpbin_cookies(u, tmp):
    jar = os.path.join(tmp, "jar")
    out = curl("-i", "-c", jar, u + "/cookies/set?k=v&k2=w%21")
    status, hdrs = head_of(out)
    eq((status, hdrs.get("location")), (302, "/cookies"))
    eq(curl_json("-b", jar, u + "/cookies"), {"cookies": {"k": "v", "k2": "w!"}})
    eq(curl_json("-L", "-c", os.devnull, "-b", "a=1; b=\"q\"", u + "/cookies/set?c=3"), {"cookies": {"a": "1", "b": "q", "c": "3"}})
    eq(curl_json(u + "/cookies"), {"cookies": {}})


def httpbin_head(u):
    status, hdrs = head_of(curl("-I", u + "/get"))
    eq(status, 200)
    if int(hdrs["content-length"]) < 50 or not hdrs["content-type"].startswith("application/json"):
        raise AssertionError(hdrs)
    status, hdrs = head_of(curl("-I", u + "/bytes/1234"))
    eq((status, hdrs["content-length"]), (200, "1234"))


def httpbin_keepalive(u):
    out = curl("-w", "%{num_connects}\n", "-o", "/dev/null", "-o", "/dev/null", "-o", "/dev/null",
               u + "/get", u + "/headers", "-d", "x=1", u + "/post")
    eq(out.decode().split(), ["1", "0", "0"], "connects per request")


def httpbin_echo(u):
    d = curl_json("-X", "PATCH", "-H", "X-B: 1", "-H", "X-A: 2", "-H", "X-B: 3", "--data-binary", "abc",
                  u + "/echo?q=%20x&r")
    eq((d["method"], d["target"], d["path"], d["query"], d["version"]),
       ("PATCH", "/echo?q=%20x&r", "/echo", "q=%20x&r", "HTTP/1.1"))
    hs = [h for h in d["headers"] if h[0].startswith("X-")]
    eq(hs, [["X-B", "1"], ["X-A", "2"], ["X-B", "3"]], "header order")
    eq((d["body_length"], d["body_sha256"]), (3, sha(b"abc")))


def httpbin_root_methods(u):
    for m in ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        args = ["-X", m] + (["--data-binary", "body of " + m] if m != "GET" else [])
        out = curl("-i", *args, u + "/")
        eq(head_of(out)[0], 200, m)
        if m != "GET" and not out.endswith(("body of " + m).encode()):
            raise AssertionError("%s not echoed: %r" % (m, out[-80:]))


def httpbin_delay(u):
    t0 = time.time()
    d = curl_json(u + "/delay/200")
    if time.time() - t0 < 0.19:
        raise AssertionError("answered too early")
    eq(d["delay_ms"], 200)
    eq(status_of(u + "/delay/10001"), 400)
    p = subprocess.run(["curl", "-sS", "--max-time", "0.2", u + "/delay/3000"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=10)
    eq(p.returncode, 28, "curl timed out (client left)")
    for _ in range(3):   # the server is still fine after its client left
        curl_json(u + "/get")


def httpbin_bytes(u):
    eq(len(curl(u + "/bytes/5000")), 5000)
    eq(curl(u + "/bytes/0"), b"")
    eq(status_of(u + "/bytes/10485761"), 400)


TORNADO_CLIENT = r"""
import hashlib, json, os, sys
from urllib.parse import urlencode
from tornado.httpclient import HTTPClient
base, c, out = sys.argv[1], HTTPClient(), {}
r = c.fetch(base + "/get?x=1&y=%E2%82%AC", headers={"X-Client": "tornado"})
out["get"] = json.loads(r.body)
r = c.fetch(base + "/post", method="POST", body=urlencode([("a", "1"), ("b", "x y"), ("b", "z&")]))
out["post"] = json.loads(r.body)
body = os.urandom(200000)
r = c.fetch(base + "/echo?q=1", method="PUT", body=body)
e = json.loads(r.body)
out["echo"] = [e["method"], e["body_length"], e["body_sha256"] == hashlib.sha256(body).hexdigest()]
r = c.fetch(base + "/redirect/2")
out["redirect"] = [r.code, r.effective_url.endswith("/get")]
print(json.dumps(out))
"""


def fetch(*args, input=None, timeout=30):
    """Run examples/fetch (the project's curl); return (exit status, stdout, stderr)."""
    p = subprocess.run([os.path.join(BIN_DIR or "build/examples", "fetch")] + list(args), input=input,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def httpbin_fetch_cli(u, tmp):
    """examples/fetch against httpbin: body, -i head, -X/-H/-d (and @file), -L redirects, -o,
    --max-time, several URLs at once, and a clear failure for a refused connection."""
    rc, out, err = fetch(u + "/get?x=1")
    eq(rc, 0, err.decode(errors="replace"))
    eq(json.loads(out)["args"], {"x": "1"})
    rc, out, _ = fetch("-i", u + "/status/418")
    eq(head_of(out)[0], 418)
    rc, out, _ = fetch("-X", "PATCH", "-H", "X-A: 2", "-d", "abc", u + "/echo")
    d = json.loads(out)
    eq((d["method"], d["body_length"], d["body_sha256"]), ("PATCH", 3, sha(b"abc")))
    eq([h for h in d["headers"] if h[0] == "X-A"], [["X-A", "2"]])
    path = os.path.join(tmp, "fetch_body.bin")
    data = os.urandom(70000)
    open(path, "wb").write(data)
    rc, out, _ = fetch("-d", "@" + path, u + "/echo")
    eq((json.loads(out)["body_length"], json.loads(out)["body_sha256"]), (len(data), sha(data)))
    rc, out, _ = fetch("-L", u + "/redirect/3")            # followed to /get
    eq((rc, json.loads(out)["args"]), (0, {}))
    rc, out, _ = fetch("-i", u + "/redirect/1")            # without -L: the 3xx itself
    eq((rc, head_of(out)[0], head_of(out)[1]["location"]), (0, 302, "/get"))
    dest = os.path.join(tmp, "fetch_out.bin")
    rc, out, _ = fetch("-o", dest, u + "/bytes/5000")
    eq((rc, os.path.getsize(dest), out), (0, 5000, b""))
    rc, out, err = fetch("--max-time", "0.3", u + "/delay/3000")
    if rc == 0:
        raise AssertionError("--max-time 0.3 against a 3 s delay exited 0")
    rc, out, _ = fetch(u + "/get?n=1", u + "/get?n=2")     # two at once, both printed
    eq((rc, out.count(b'"n"')), (0, 2))
    with socket.socket() as s:                             # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    rc, _, err = fetch("--max-time", "5", "http://127.0.0.1:%d/" % dead)
    if rc == 0 or not err:
        raise AssertionError("a refused connection: exit %d, stderr %r" % (rc, err))


def httpbin_tornado_client(u):
    if not os.path.exists(PYTORNADO) or subprocess.run([PYTORNADO, "-c", "import tornado.httpclient"],
                                                        stderr=subprocess.DEVNULL).returncode != 0:
        raise Skip("Python Tornado not found (apt-get install python3-tornado)")
    p = subprocess.run([PYTORNADO, "-c", TORNADO_CLIENT, u], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30)
    if p.returncode != 0:
        raise AssertionError(p.stderr.decode(errors="replace")[-800:])
    d = json.loads(p.stdout)
    eq(d["get"]["args"], {"x": "1", "y": "\u20ac"})
    eq(d["get"]["headers"]["X-Client"], "tornado")
    eq(d["post"]["form"], {"a": "1", "b": ["x y", "z&"]})
    eq(d["echo"], ["PUT", 200000, True])
    eq(d["redirect"], [200, True])


# ---- ws_echo ---------------------------------------------------------------------------------

def ws_echo_node_client(u):
    """node's ws (npm, tests/node) against ws_echo: text, binary, 16 MiB, fragments with a
    ping between, the pong, a close code echoed (tests/node/ws_peer.js)."""
    why = None
    if not shutil.which("node"):
        why = "node not found (apt-get install nodejs npm)"
    elif not os.path.isdir("tests/node/node_modules/ws"):
        why = "npm package ws not installed (npm install --prefix tests/node)"
    if why:
        if os.environ.get("CI"):
            raise AssertionError(why + " (CI=1: no skipping)")
        raise Skip(why)
    port = u.rsplit(":", 1)[1]
    p = subprocess.run(["node", "tests/node/ws_peer.js", "client", port], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=90)
    out = p.stdout.decode(errors="replace")
    if p.returncode != 0 or not out.startswith("ok"):
        raise AssertionError("ws_peer.js: exit %d: %s" % (p.returncode, out[-1500:]))


def have_pytornado():
    return os.path.exists(PYTORNADO) and subprocess.run([PYTORNADO, "-c", "import tornado.httpclient"],
                                                        stderr=subprocess.DEVNULL).returncode == 0


# Python Tornado's client, decompress_response on: prints, per URL, the code, the
# X-Consumed-Content-Encoding it saw (its rename of Content-Encoding) and the body's SHA-256.
TORNADO_GZIP_CLIENT = r"""
import hashlib, sys
from tornado.httpclient import HTTPClient
c = HTTPClient()
for url in sys.argv[1:]:
    r = c.fetch(url, decompress_response=True)
    print(r.code, r.headers.get("X-Consumed-Content-Encoding"), hashlib.sha256(r.body).hexdigest())
"""


def tornado_gzip_fetch(*urls):
    if not have_pytornado():
        raise Skip("Python Tornado not found (apt-get install python3-tornado)")
    p = subprocess.run([PYTORNADO, "-c", TORNADO_GZIP_CLIENT] + list(urls), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    if p.returncode != 0:
        raise AssertionError(p.stderr.decode(errors="replace")[-800:])
    return [l.split(" ") for l in p.stdout.decode().splitlines()]


def httpbin_gzip(u, tmp):
    """/gzip and /deflate always encoded (httpbin.org's answers), other answers gzipped for
    clients that accept it: curl --compressed, raw bytes checked with Python's gzip/zlib,
    examples/fetch (decodes by default, --raw keeps the bytes), Python Tornado's client, and
    a gzip request body inflated by decompress_request."""
    import gzip as gz
    import zlib
    d = curl_json("--compressed", u + "/gzip")
    eq((d["gzipped"], d["method"]), (True, "GET"))
    raw = curl("-i", u + "/gzip")                      # no Accept-Encoding: still gzip
    status, hdrs = head_of(raw)
    eq((status, hdrs["content-encoding"], hdrs["content-type"]), (200, "gzip", "application/json"))
    eq(json.loads(gz.decompress(raw.split(b"\r\n\r\n", 1)[1]))["gzipped"], True)
    raw = curl("-i", u + "/deflate")
    status, hdrs = head_of(raw)
    eq((status, hdrs["content-encoding"]), (200, "deflate"))
    eq(json.loads(zlib.decompress(raw.split(b"\r\n\r\n", 1)[1]))["deflated"], True)
    eq(curl_json("--compressed", u + "/deflate")["deflated"], True)
    # an ordinary answer over 1 KiB: gzip only when asked for
    big = u + "/get?pad=" + "x" * 1500
    raw = curl("-i", "-H", "Accept-Encoding: gzip", big)
    status, hdrs = head_of(raw)
    eq((hdrs.get("content-encoding"), hdrs.get("vary")), ("gzip", "Accept-Encoding"))
    body = gz.decompress(raw.split(b"\r\n\r\n", 1)[1])
    eq(len(json.loads(body)["args"]["pad"]), 1500)
    eq(head_of(curl("-i", big))[1].get("content-encoding"), None)
    eq(head_of(curl("-i", "-H", "Accept-Encoding: gzip;q=0", big))[1].get("content-encoding"), None)
    eq(len(curl_json("--compressed", big)["args"]["pad"]), 1500)
    # a streamed answer (chunked) is compressed too, and curl decodes it
    lines = curl("--compressed", u + "/stream/20").splitlines()
    eq(len(lines), 20)
    # examples/fetch: decoded by default; --raw keeps the gzip bytes
    rc, out, err = fetch(u + "/gzip")
    eq((rc, json.loads(out)["gzipped"]), (0, True), err.decode(errors="replace"))
    rc, out, _ = fetch("--raw", u + "/gzip")
    eq(out[:2], b"\x1f\x8b")
    eq(json.loads(gz.decompress(out))["gzipped"], True)
    rc, out, _ = fetch("--raw", u + "/get?pad=" + "x" * 1500)   # --raw sends no Accept-Encoding
    eq(out[:1], b"{")
    rc, out, _ = fetch("--raw", "-H", "Accept-Encoding: gzip", u + "/get?pad=" + "x" * 1500)
    eq(out[:2], b"\x1f\x8b")
    # a gzip request body: inflated before the handler
    path = os.path.join(tmp, "body.gz")
    plain = b"compressible request body " * 2000
    open(path, "wb").write(gz.compress(plain))
    d = curl_json("-H", "Content-Encoding: gzip", "--data-binary", "@" + path, u + "/echo")
    eq((d["body_length"], d["body_sha256"]), (len(plain), sha(plain)))
    eq([h[1] for h in d["headers"] if h[0] == "X-Consumed-Content-Encoding"], ["gzip"])
    # Python Tornado's client reads our gzip (and renames the header as it does)
    got = tornado_gzip_fetch(u + "/gzip", big)
    eq((got[0][0], got[0][1]), ("200", "gzip"))
    eq((got[1][0], got[1][1]), ("200", "gzip"))


# ---- file_server --------------------------------------------------------------------------

def file_server_cases(u, root):
    data = open(os.path.join(root, "data.bin"), "rb").read()
    eq(curl(u + "/"), b"<h1>index</h1>\n", "index.html")
    out = curl("-i", "-r", "100-199", u + "/data.bin")
    status, hdrs = head_of(out)
    eq((status, hdrs["content-range"]), (206, "bytes 100-199/%d" % len(data)))
    eq(out.split(b"\r\n\r\n", 1)[1], data[100:200])
    eq(curl("-r", "-10", u + "/data.bin"), data[-10:])
    eq(status_of("-r", "%d-" % (len(data) + 5), u + "/data.bin"), 416)
    status, hdrs = head_of(curl("-I", u + "/data.bin"))
    eq((status, hdrs["content-length"], hdrs["accept-ranges"]), (200, str(len(data)), "bytes"))
    etag = hdrs["etag"]
    eq(status_of("-H", "If-None-Match: " + etag, u + "/data.bin"), 304)
    eq(status_of("-H", "If-None-Match: \"other\"", u + "/data.bin"), 200)
    eq(curl(u + "/data.bin"), data)
    eq(status_of(u + "/missing"), 404)
    eq(status_of("--path-as-is", u + "/../etc/passwd"), 403)
    eq(status_of(u + "/sub"), 301)


def file_server_precompressed(u, root):
    """A name.gz sibling goes to gzip clients, always; the rest as is without --gzip."""
    import gzip as gz
    page = open(os.path.join(root, "page.html"), "rb").read()
    zpage = open(os.path.join(root, "page.html.gz"), "rb").read()
    raw = curl("-i", "-H", "Accept-Encoding: gzip", u + "/page.html")
    status, hdrs = head_of(raw)
    eq((status, hdrs["content-encoding"], hdrs["content-type"], hdrs["vary"]),
       (200, "gzip", "text/html; charset=utf-8", "Accept-Encoding"))
    eq(raw.split(b"\r\n\r\n", 1)[1], zpage)
    eq(curl("--compressed", u + "/page.html"), page)
    eq(curl(u + "/page.html"), page)
    eq(head_of(curl("-i", "-H", "Accept-Encoding: gzip", u + "/long.txt"))[1].get("content-encoding"), None)


def file_server_gzip(u, root):
    """--gzip: text files compressed on the fly for gzip clients (curl, Python Tornado)."""
    import gzip as gz
    text = open(os.path.join(root, "long.txt"), "rb").read()
    raw = curl("-i", "-H", "Accept-Encoding: gzip", u + "/long.txt")
    status, hdrs = head_of(raw)
    eq((status, hdrs.get("content-encoding"), hdrs.get("transfer-encoding")), (200, "gzip", "chunked"))
    eq(curl("--compressed", u + "/long.txt"), text)
    eq(curl(u + "/long.txt"), text)
    data = open(os.path.join(root, "data.bin"), "rb").read()
    status, hdrs = head_of(curl("-i", "-H", "Accept-Encoding: gzip", "-o", "/dev/null", "-D", "-", u + "/data.bin"))
    eq((hdrs.get("content-encoding"), hdrs.get("content-length")), (None, str(len(data))))
    eq(curl("--compressed", "-r", "10-19", u + "/long.txt"), text[10:20])   # a range: as is
    got = tornado_gzip_fetch(u + "/long.txt", u + "/page.html")
    eq(got[0], ["200", "gzip", sha(text)])
    eq(got[1], ["200", "gzip", sha(open(os.path.join(root, "page.html"), "rb").read())])


# ---- demo -----------------------------------------------------------------------------------

def xsrf_from(html):
    m = re.search(rb'name="_xsrf" value="([^"]+)"', html)
    if not m:
        raise AssertionError("no _xsrf field in %r" % html[:300])
    return m.group(1).decode()


def demo_home(u):
    html = curl(u + "/")
    for link in (b"/hello", b"/form", b"/upload", b"/static/style.css", b"/static/logo.svg", b"/static/app.js"):
        if link not in html:
            raise AssertionError("home page lacks %s" % link.decode())
    eq(curl(u + "/hello"), b"Hello, world\n")
    eq(curl(u + "/hello?name=you"), b"Hello, you\n")


def demo_form(u, tmp):
    jar = os.path.join(tmp, "demo_jar")
    token = xsrf_from(curl("-c", jar, u + "/form"))
    html = curl("-b", jar, "--data-urlencode", "_xsrf=" + token, "--data-urlencode", "name=<b>Ann & co</b>",
                "--data-urlencode", "message=it's \"quoted\"", u + "/form")
    for want in (b"&lt;b&gt;Ann &amp; co&lt;/b&gt;", b"it&#39;s &quot;quoted&quot;"):
        if want not in html:
            raise AssertionError("%s not in %r" % (want, html[-400:]))
    eq(status_of("-b", jar, "-d", "name=x", u + "/form"), 403, "post without the token")


def demo_upload(u, tmp):
    jar = os.path.join(tmp, "demo_jar2")
    token = xsrf_from(curl("-c", jar, u + "/upload"))
    a, b = os.path.join(tmp, "a<1>.txt"), os.path.join(tmp, "b.bin")
    open(a, "wb").write(b"hello upload\n")
    open(b, "wb").write(os.urandom(250000))
    html = curl("-b", jar, "-F", "_xsrf=" + token, "-F", "file=@" + a, "-F", "file=@" + b, u + "/upload")
    for path, shown in ((a, b"a&lt;1&gt;.txt"), (b, b"b.bin")):
        d = open(path, "rb").read()
        for want in (shown, str(len(d)).encode(), sha(d).encode()):
            if want not in html:
                raise AssertionError("%s not in %r" % (want, html[-600:]))
    eq(status_of("-b", jar, "-F", "file=@" + a, u + "/upload"), 403, "upload without the token")
    big = os.path.join(tmp, "big.bin")
    with open(big, "wb") as f:
        f.truncate(17 * 1024 * 1024)   # over the demo's 16 MiB limit
    eq(status_of("-b", jar, "-F", "_xsrf=" + token, "-F", "file=@" + big, u + "/upload"), 413, "too large")


def demo_assets(u):
    types = {"style.css": "text/css; charset=utf-8", "logo.svg": "image/svg+xml",
             "app.js": "text/javascript; charset=utf-8"}
    for name, ctype in types.items():
        out = curl("-i", u + "/static/" + name)
        status, hdrs = head_of(out)
        eq((status, hdrs.get("content-type")), (200, ctype), name)
        eq(out.split(b"\r\n\r\n", 1)[1], open("examples/demo_assets/" + name, "rb").read(), name)
        eq(status_of("-H", "If-None-Match: " + hdrs["etag"], u + "/static/" + name), 304, name)
        eq(head_of(curl("-I", u + "/static/" + name))[0], 200)
        # stored gzip-compressed: a gzip client gets those bytes, curl --compressed the file
        status, hdrs = head_of(curl("-i", "-H", "Accept-Encoding: gzip", u + "/static/" + name))
        eq((status, hdrs.get("content-encoding"), hdrs.get("vary")), (200, "gzip", "Accept-Encoding"), name)
        eq(curl("--compressed", u + "/static/" + name), open("examples/demo_assets/" + name, "rb").read(), name)
    eq(status_of(u + "/static/nope.css"), 404)
    # pages of 1 KiB or more are gzipped for gzip clients (compress_response)
    html = curl(u + "/")
    if len(html) >= 1024:
        eq(head_of(curl("-i", "-H", "Accept-Encoding: gzip", u + "/"))[1].get("content-encoding"), "gzip")
        eq(curl("--compressed", u + "/"), html)


def demo_https(u, tmp):
    """The demo with --cert/--key: its start line says https, pages and gzip assets over TLS
    (curl verifying the certificate made at run time), and the chat's WebSocket over wss
    (Python websockets, verifying too)."""
    base = u.replace("http://", "https://")
    ca = os.path.join(tmp, "demo_cert.pem")
    out = curl("--cacert", ca, "-s", "-D", "-", base + "/hello?name=tls")
    eq(out.split(b"\r\n", 1)[0], b"HTTP/1.1 200 OK")
    if b"tls" not in out:
        raise AssertionError("no greeting over https: %r" % out[-200:])
    eq(curl("--cacert", ca, "--compressed", base + "/static/chat.js"), open("examples/demo_assets/chat.js", "rb").read())
    if subprocess.run(["/usr/bin/python3", "-c", "import websockets"], stderr=subprocess.DEVNULL).returncode != 0:
        if os.environ.get("CI"):
            raise AssertionError("python3-websockets not found (CI=1: no skipping)")
        raise Skip("python3-websockets not found (apt-get install python3-websockets)")
    script = (
        "import asyncio, ssl, sys, websockets\n"
        "async def main():\n"
        "    c = ssl.create_default_context(cafile=sys.argv[2])\n"
        "    async with websockets.connect(sys.argv[1], ssl=c, origin=sys.argv[3]) as ws:\n"
        "        await ws.send('hello over wss')\n"
        "        print(await asyncio.wait_for(ws.recv(), 10))\n"
        "asyncio.run(main())\n")
    p = subprocess.run(["/usr/bin/python3", "-c", script, base.replace("https://", "wss://") + "/chat/socket", ca,
                        base], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    if p.returncode != 0 or b"hello over wss" not in p.stdout:
        raise AssertionError("chat over wss: %r" % p.stdout[-800:])


def make_cert(tmp):
    """A self-signed certificate for 127.0.0.1 made now (openssl CLI); None without openssl."""
    cert, key = os.path.join(tmp, "demo_cert.pem"), os.path.join(tmp, "demo_key.pem")
    if not shutil.which("openssl"):
        return None
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-days", "2",
                    "-keyout", key, "-out", cert], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def demo_assets_header_current():
    p = subprocess.run([sys.executable, "tools/embed_assets.py", "examples/demo_assets", "--name", "demo_assets",
                        "--no-mtime", "--gzip"], stdout=subprocess.PIPE, timeout=30)
    if p.returncode != 0 or p.stdout != open("examples/demo_assets.h", "rb").read():
        raise AssertionError("examples/demo_assets.h is stale: run make demo-assets")


# ---- driver ---------------------------------------------------------------------------------

def run(name, fn, *args):
    if FILTER and FILTER not in PROG + "." + name:
        return
    t0 = time.time()
    try:
        fn(*args)
        report("ok", name, " (%.0f ms)" % ((time.time() - t0) * 1000))
    except Skip as e:
        report("skip", name, ": %s" % e)
    except Exception as e:   # one failing case does not stop the others
        report("FAIL", name, ": %s: %s" % (type(e).__name__, e))


def selected(name):
    return not FILTER or FILTER in PROG + "." + name


def main():
    tmp = tempfile.mkdtemp(prefix="tn_examples_")
    root = os.path.join(tmp, "www")
    os.makedirs(os.path.join(root, "sub"))
    open(os.path.join(root, "index.html"), "w").write("<h1>index</h1>\n")
    open(os.path.join(root, "data.bin"), "wb").write(os.urandom(100000))
    page = b"".join(b"<p>paragraph %d of the page</p>\n" % i for i in range(300))
    open(os.path.join(root, "page.html"), "wb").write(page)
    import gzip as gz
    open(os.path.join(root, "page.html.gz"), "wb").write(gz.compress(page, mtime=0))
    open(os.path.join(root, "long.txt"), "wb").write(b"".join(b"line %d of a long text\n" % i for i in range(20000)))
    # (program, its arguments, its cases: (name, function, arguments after the base URL))
    groups = [
        ("httpbin", [], [
            ("get", httpbin_get, ()), ("curl_multipart", httpbin_curl_multipart, (tmp,)),
            ("curl_chunked_upload", httpbin_curl_chunked_upload, ()),
            ("curl_large_100_continue", httpbin_curl_large_100_continue, (tmp,)),
            ("stream", httpbin_stream, ()), ("redirect", httpbin_redirect, ()), ("status", httpbin_status, ()),
            ("cookies", httpbin_cookies, (tmp,)), ("head", httpbin_head, ()), ("keepalive", httpbin_keepalive, ()),
            ("echo", httpbin_echo, ()), ("root_methods", httpbin_root_methods, ()), ("delay", httpbin_delay, ()),
            ("bytes", httpbin_bytes, ()), ("tornado_client", httpbin_tornado_client, ()),
            ("fetch_cli", httpbin_fetch_cli, (tmp,)), ("gzip", httpbin_gzip, (tmp,))]),
        ("file_server", ["--root", root], [("ranges_etag_head", file_server_cases, (root,)),
                                           ("precompressed", file_server_precompressed, (root,))]),
        ("file_server", ["--root", root, "--gzip"], [("gzip_on_the_fly", file_server_gzip, (root,))]),
        ("demo", [], [
            ("home_and_hello", demo_home, ()), ("form_xsrf_round_trip", demo_form, (tmp,)),
            ("upload", demo_upload, (tmp,)), ("static_assets", demo_assets, ())]),
        ("ws_echo", [], [("node_ws_client", ws_echo_node_client, ())]),
    ]
    tls_files = None if LIST else make_cert(tmp)
    if tls_files or LIST:
        groups.append(("demo", ["--cert", tls_files[0], "--key", tls_files[1]] if tls_files else [],
                       [("https_and_wss", demo_https, (tmp,))]))
    if LIST:
        print("\n".join(["%s.demo.assets_header_current" % PROG] +
                        ["%s.%s.%s" % (PROG, g[0], c[0]) for g in groups for c in g[2]]))
        shutil.rmtree(tmp)
        return 0
    try:
        run("demo.assets_header_current", demo_assets_header_current)
        todo = [(prog, args, [c for c in cases if selected(prog + "." + c[0])]) for prog, args, cases in groups]
        todo = [g for g in todo if g[2]]
        if todo and not shutil.which("curl"):
            for prog, _, cases in todo:
                for c in cases:
                    report("skip", prog + "." + c[0], ": curl not found (apt-get install curl)")
            todo = []
        if todo and not BIN_DIR:
            targets = ["build/examples/" + prog for prog, _, _ in todo] + ["build/examples/fetch"]
            if subprocess.run(["make", "-s"] + targets, timeout=600).returncode != 0:
                report("FAIL", "build", ": make %s failed" % " ".join(targets))
                todo = []
        for prog, args, cases in todo:
            try:
                p, u = start(prog, open(os.path.join(tmp, prog + ".log"), "wb"), *args)
            except Exception as e:
                report("FAIL", prog + ".start", ": %s" % e)
                continue
            for name, fn, extra in cases:
                run(prog + "." + name, fn, u, *extra)
            if p.poll() is not None:   # still alive after its cases: nothing crashed it
                log = open(os.path.join(tmp, prog + ".log"), "rb").read()[-2000:].decode(errors="replace")
                report("FAIL", prog + ".alive", ": exited with %s\n%s" % (p.returncode, log))
    finally:
        for p in children:
            if p.poll() is None:
                p.kill()
            p.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    print("%s: %d passed, %d failed, %d skipped" % (PROG, counts["ok"], counts["FAIL"], counts["skip"]))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
