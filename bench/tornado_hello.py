"""tornado_hello.py PORT: Python Tornado's hello world (the peer for make bench).
Run with Debian's /usr/bin/python3 (python3-tornado)."""
import sys

import tornado.ioloop
import tornado.web


class Main(tornado.web.RequestHandler):
    def get(self):
        self.write("Hello, world")


if __name__ == "__main__":
    app = tornado.web.Application([(r"/", Main)])
    app.listen(int(sys.argv[1]), "127.0.0.1")
    print("tornado hello listening", flush=True)
    tornado.ioloop.IOLoop.current().start()
