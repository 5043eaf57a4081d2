#!/usr/bin/python3
"""tests/ws_interop_peer.py: real WebSocket peers for test_ws_server.c's interop cases, run
with the Debian /usr/bin/python3: LIB is "tornado" (python3-tornado) or "websockets"
(python3-websockets).

    ws_interop_peer.py server LIB    echo server on 127.0.0.1 (port printed on the first
                                     line): every message comes back; the text "frag-me"
                                     is answered with a message in three fragments
                                     (websockets only), "close-me" with a close 4001
                                     "bye ✓"; it exits after one connection closed (or 60 s)
    ws_interop_peer.py client LIB PORT
                                     against ws://127.0.0.1:PORT/ (an echo server): a UTF-8
                                     text, a 70000-byte binary, a 16 MiB binary, a fragmented
                                     text (websockets), a ping with its pong; then a close
                                     4002 "done" whose code must be echoed. Prints "ok" or
                                     what went wrong.
    A last argument "deflate" turns permessage-deflate on (Tornado: compression_options {};
    websockets compresses by default) and the client checks that the server's answer
    agreed to it (Sec-WebSocket-Extensions); the C side checks tn_ws_compression.
"""
import asyncio
import os
import sys

BIG = 16 << 20
DEFLATE = sys.argv[-1] == "deflate"


def check_deflate(value):
    if DEFLATE and "permessage-deflate" not in (value or ""):
        fail("permessage-deflate not agreed: Sec-WebSocket-Extensions %r" % value)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


# ---- Python Tornado ----

def tornado_server():
    import tornado.httpserver
    import tornado.ioloop
    import tornado.web
    import tornado.websocket
    from tornado.testing import bind_unused_port

    class Echo(tornado.websocket.WebSocketHandler):
        def check_origin(self, origin):
            return True

        def get_compression_options(self):
            return {} if DEFLATE else None

        def on_message(self, message):
            if message == "close-me":
                self.close(4001, "bye \u2713")
            else:
                self.write_message(message, binary=isinstance(message, bytes))

        def on_close(self):
            tornado.ioloop.IOLoop.current().call_later(0.2, tornado.ioloop.IOLoop.current().stop)

    sock, port = bind_unused_port()
    app = tornado.web.Application([(r"/.*", Echo)], websocket_max_message_size=64 << 20)
    srv = tornado.httpserver.HTTPServer(app)
    srv.add_sockets([sock])
    print(port, flush=True)
    loop = tornado.ioloop.IOLoop.current()
    loop.call_later(60, loop.stop)
    loop.start()


async def tornado_client(port):
    import tornado.websocket
    conn = await tornado.websocket.websocket_connect("ws://127.0.0.1:%d/" % port, max_message_size=64 << 20,
                                                     on_message_callback=None,
                                                     compression_options={} if DEFLATE else None)
    check_deflate(conn.headers.get("Sec-WebSocket-Extensions"))
    text = "h\u00e9llo w\u00f6rld \u2713"
    blob = os.urandom(70000)
    big = os.urandom(BIG)
    await conn.write_message(text)
    if await conn.read_message() != text:
        fail("text echo")
    await conn.write_message(blob, binary=True)
    if await conn.read_message() != blob:
        fail("binary echo")
    await conn.write_message(big, binary=True)
    got = await conn.read_message()
    if got != big:
        fail("16 MiB echo (%s bytes)" % (len(got) if got else got))
    conn.ping(b"pp")
    await conn.write_message("after ping")
    if await conn.read_message() != "after ping":
        fail("echo after ping")
    conn.close(4002, "done")
    while await conn.read_message() is not None:
        pass
    if conn.close_code != 4002:
        fail("close code %r (want 4002 echoed)" % conn.close_code)
    print("ok", flush=True)


# ---- websockets ----

def websockets_server():
    import websockets

    done = None

    async def echo(ws, path=None):
        try:
            async for message in ws:
                if message == "close-me":
                    await ws.close(4001, "bye \u2713")
                elif message == "frag-me":
                    await ws.send(iter(["fr", "ag", "ments"]))
                else:
                    await ws.send(message)
        except websockets.ConnectionClosed:
            pass   # after "close-me": the iteration ends with the closing handshake
        finally:
            done.set_result(None) if not done.done() else None

    async def main():
        nonlocal done
        done = asyncio.get_running_loop().create_future()
        async with websockets.serve(echo, "127.0.0.1", 0, max_size=64 << 20) as srv:
            port = list(srv.sockets)[0].getsockname()[1]
            print(port, flush=True)
            try:
                await asyncio.wait_for(done, 60)
            except asyncio.TimeoutError:
                pass
            await asyncio.sleep(0.2)

    asyncio.run(main())


async def websockets_client(port):
    import websockets
    async with websockets.connect("ws://127.0.0.1:%d/" % port, max_size=64 << 20) as ws:
        check_deflate(ws.response_headers.get("Sec-WebSocket-Extensions"))
        text = "h\u00e9llo w\u00f6rld \u2713"
        blob = os.urandom(70000)
        big = os.urandom(BIG)
        await ws.send(text)
        if await ws.recv() != text:
            fail("text echo")
        await ws.send(blob)
        if await ws.recv() != blob:
            fail("binary echo")
        await ws.send(big)
        if await ws.recv() != big:
            fail("16 MiB echo")
        await ws.send(iter(["fr\u00e9", "ag", "ments"]))   # three fragments
        if await ws.recv() != "fr\u00e9agments":
            fail("fragmented echo")
        pong = await ws.ping(b"pp")
        await asyncio.wait_for(pong, 5)
        await ws.close(4002, "done")
        code = ws.close_rcvd.code if getattr(ws, "close_rcvd", None) else ws.close_code
        if code != 4002:
            fail("close code %r (want 4002 echoed)" % code)
    print("ok", flush=True)


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("tornado", "websockets"):
        fail("usage: ws_interop_peer.py server|client tornado|websockets [PORT]")
    mode, lib = sys.argv[1], sys.argv[2]
    if mode == "server":
        tornado_server() if lib == "tornado" else websockets_server()
    else:
        port = int(sys.argv[3])
        asyncio.run(asyncio.wait_for(tornado_client(port) if lib == "tornado" else websockets_client(port), 60))


if __name__ == "__main__":
    main()
