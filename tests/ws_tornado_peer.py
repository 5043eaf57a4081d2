#!/usr/bin/python3
"""tests/ws_tornado_peer.py: Python Tornado as the WebSocket peer of test_ws.c (run with the
Debian /usr/bin/python3 and python3-tornado).

    ws_tornado_peer.py server    echo server on 127.0.0.1 (port printed on the first line):
                                 text and binary messages are echoed; the text "close-me"
                                 makes it close with 4001 "bye ✓"; it exits after one
                                 connection has closed (or after 20 s)
    ws_tornado_peer.py client PORT
                                 connects to ws://127.0.0.1:PORT/, sends a text, a 70000-byte
                                 binary message and a ping, checks the echoes and the pong,
                                 closes with 1000 "done" and prints "ok" (or what went wrong)
"""
import sys

import tornado.ioloop
import tornado.web
import tornado.websocket
from tornado.testing import bind_unused_port


class Echo(tornado.websocket.WebSocketHandler):
    def on_message(self, message):
        if message == "close-me":
            self.close(4001, "bye \u2713")
        else:
            self.write_message(message, binary=isinstance(message, bytes))

    def on_close(self):
        tornado.ioloop.IOLoop.current().add_callback(tornado.ioloop.IOLoop.current().stop)


def server():
    sock, port = bind_unused_port()
    app = tornado.web.Application([(r"/", Echo)])
    srv = tornado.httpserver.HTTPServer(app)
    srv.add_sockets([sock])
    print(port, flush=True)
    loop = tornado.ioloop.IOLoop.current()
    loop.call_later(20, loop.stop)
    loop.start()


async def client(port):
    conn = await tornado.websocket.websocket_connect("ws://127.0.0.1:%d/" % port)
    text = "h\u00e9llo \u20ac \U0001f600"
    data = bytes(i * 7 % 256 for i in range(70000))
    await conn.write_message(text)
    got = await conn.read_message()
    if got != text:
        return "text echo differs: %r" % (got,)
    await conn.write_message(data, binary=True)
    got = await conn.read_message()
    if got != data:
        return "binary echo differs (%s bytes)" % (len(got) if got is not None else None)
    conn.ping(b"are you there")
    await conn.write_message("after ping")
    got = await conn.read_message()
    if got != "after ping":
        return "after-ping echo differs: %r" % (got,)
    conn.close(1000, "done")
    got = await conn.read_message()
    if got is not None:
        return "message after close: %r" % (got,)
    if conn.close_code != 1000 or conn.close_reason != "done":
        return "close echo: %r %r" % (conn.close_code, conn.close_reason)
    return "ok"


def main():
    if sys.argv[1] == "server":
        server()
    else:
        loop = tornado.ioloop.IOLoop.current()
        result = loop.run_sync(lambda: client(int(sys.argv[2])), timeout=20)
        print(result, flush=True)


if __name__ == "__main__":
    import tornado.httpserver  # noqa: F401 (server mode)
    main()
