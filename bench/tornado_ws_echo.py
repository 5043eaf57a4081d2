"""tornado_ws_echo.py PORT: Python Tornado's WebSocketHandler echo server at every path, a
peer for make bench. Run with Debian's /usr/bin/python3 (python3-tornado)."""
import sys

import tornado.ioloop
import tornado.web
import tornado.websocket


class Echo(tornado.websocket.WebSocketHandler):
    def check_origin(self, origin):
        return True

    def on_message(self, message):
        self.write_message(message, binary=isinstance(message, bytes))


if __name__ == "__main__":
    app = tornado.web.Application([(r"/.*", Echo)], websocket_max_message_size=64 << 20)
    app.listen(int(sys.argv[1]), "127.0.0.1")
    print("tornado ws echo listening", flush=True)
    tornado.ioloop.IOLoop.current().start()
