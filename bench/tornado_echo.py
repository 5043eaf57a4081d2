"""tornado_echo.py PORT: Python Tornado's TCPServer echo server, the peer for make bench.
Run with Debian's /usr/bin/python3 (python3-tornado)."""
import sys

from tornado.ioloop import IOLoop
from tornado.iostream import StreamClosedError
from tornado.tcpserver import TCPServer


class Echo(TCPServer):
    async def handle_stream(self, stream, address):
        stream.set_nodelay(True)
        try:
            while True:
                data = await stream.read_bytes(65536, partial=True)
                await stream.write(data)
        except StreamClosedError:
            pass


if __name__ == "__main__":
    server = Echo()
    server.listen(int(sys.argv[1]), "127.0.0.1")
    print("tornado echo listening", flush=True)
    IOLoop.current().start()
