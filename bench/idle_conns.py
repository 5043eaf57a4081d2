"""idle_conns.py [--tls] [--ws] PORT N PID...: open N keep-alive connections to PORT, send one
request on each and read its response, then report how much the server's resident memory
grew per idle connection (summed over the PIDs given: e.g. nginx's worker), and close them.
--tls: the connections are https (TLS handshake first, certificate not checked: a bench).
--ws: the request is a WebSocket upgrade (the answer must be 101): idle WebSockets.
Prints: "idle <bytes-per-connection> <connections>"."""
import socket
import ssl
import sys
import time

TLS = None
if sys.argv[1:2] == ["--tls"]:
    del sys.argv[1]
    TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    TLS.check_hostname = False
    TLS.verify_mode = ssl.CERT_NONE
WS = sys.argv[1:2] == ["--ws"]
if WS:
    del sys.argv[1]


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    return TLS.wrap_socket(s) if TLS else s


def rss(pids):
    total = 0
    for pid in pids:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    pids = [int(p) for p in sys.argv[3:]]
    req = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
    if WS:
        req = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    # warm the server with a few connections first, so lazily created pools are counted out
    warm = [connect(port) for _ in range(50)]
    for s in warm:
        s.sendall(req)
        s.recv(4096)
    for s in warm:
        s.close()
    time.sleep(0.3)
    before = rss(pids)
    conns = []
    for _ in range(n):
        s = connect(port)
        s.sendall(req)
        conns.append(s)
    for s in conns:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        if WS and not data.startswith(b"HTTP/1.1 101"):
            print("idle -1 %d (no 101: %r)" % (n, data[:40]), flush=True)
            return
    time.sleep(0.5)
    after = rss(pids)
    print("idle %d %d" % ((after - before) // n, n), flush=True)
    for s in conns:
        s.close()


if __name__ == "__main__":
    main()
