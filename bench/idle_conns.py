"""idle_conns.py [--tls] PORT N PID...: open N keep-alive connections to PORT, send one
request on each and read its response, then report how much the server's resident memory
grew per idle connection (summed over the PIDs given: e.g. nginx's worker), and close them.
--tls: the connections are https (TLS handshake first, certificate not checked: a bench).
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
    time.sleep(0.5)
    after = rss(pids)
    print("idle %d %d" % ((after - before) // n, n), flush=True)
    for s in conns:
        s.close()


if __name__ == "__main__":
    main()
