// tests/node/ws_peer.js: node's ws (npm) as the peer of test_ws_server.c's interop cases,
// the same script as tests/ws_interop_peer.py plays with Python Tornado and websockets.
//   node ws_peer.js server     echo server on 127.0.0.1 (port printed on the first line):
//                              every message comes back with its type; "frag-me" is
//                              answered with a text in three fragments, "close-me" with a
//                              close 4001 "bye ✓"; exits after one connection closed (or 60 s)
//   node ws_peer.js client PORT
//                              against ws://127.0.0.1:PORT/ (an echo server): a UTF-8 text,
//                              a 70000-byte binary, a 16 MiB binary, a text in three
//                              fragments, a ping whose pong must come back with its payload;
//                              then a close 4002 "done" whose code must be echoed. Prints
//                              "ok" or "FAIL: what went wrong".
//   --tls CERT KEY (server) / --tls CA HOST (client): the same over wss:// (node's https with
//                              that certificate; the client verifies the server against CA
//                              and the name HOST)
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const https = require("https");
const WebSocket = require("ws");

const BIG = 16 << 20;
const fail = (why) => { console.log("FAIL: " + why); process.exit(1); };
setTimeout(() => fail("timed out after 60 s"), 60000).unref();

function server(tls) {
  let wss;
  if (tls) {
    const srv = https.createServer({ cert: fs.readFileSync(tls[0]), key: fs.readFileSync(tls[1]) });
    wss = new WebSocket.WebSocketServer({ server: srv, maxPayload: 64 << 20 });
    srv.listen(0, "127.0.0.1", () => console.log(String(srv.address().port)));
  } else {
    wss = new WebSocket.WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: 64 << 20 }, () => {
      console.log(String(wss.address().port));
    });
  }
  wss.on("connection", (ws) => {
    ws.on("message", (data, isBinary) => {
      const text = isBinary ? null : data.toString("utf8");
      if (text === "close-me") ws.close(4001, "bye \u2713");
      else if (text === "frag-me") {
        ws.send("fr", { fin: false });
        ws.send("ag", { fin: false });
        ws.send("ments", { fin: true });
      } else ws.send(data, { binary: isBinary });
    });
    ws.on("close", () => setTimeout(() => process.exit(0), 200));
  });
}

function client(port, tls) {
  const ws = tls ? new WebSocket("wss://" + tls[1] + ":" + port + "/", { maxPayload: 64 << 20, ca: fs.readFileSync(tls[0]) })
                 : new WebSocket("ws://127.0.0.1:" + port + "/", { maxPayload: 64 << 20 });
  const text = "h\u00e9llo w\u00f6rld \u2713";
  const blob = crypto.randomBytes(70000), big = crypto.randomBytes(BIG);
  // each step sends, then checks the next message against what it expects
  const steps = [
    [() => ws.send(text), (d, bin) => !bin && d.toString("utf8") === text, "text echo"],
    [() => ws.send(blob), (d, bin) => bin && blob.equals(d), "binary echo"],
    [() => ws.send(big), (d, bin) => bin && big.equals(d), "16 MiB echo"],
    [() => { ws.send("fr\u00e9", { fin: false }); ws.ping(Buffer.from("pp")); ws.send("ag", { fin: false });
             ws.send("ments", { fin: true }); },
     (d, bin) => !bin && d.toString("utf8") === "fr\u00e9agments", "fragmented echo (a ping between fragments)"],
  ];
  let i = 0, pongs = 0;
  ws.on("open", () => steps[0][0]());
  ws.on("pong", (d) => { if (d.toString() === "pp") pongs++; });
  ws.on("message", (d, bin) => {
    if (i >= steps.length) fail("unexpected message");
    if (!steps[i][1](d, bin)) fail(steps[i][2] + " (" + d.length + " bytes)");
    if (++i < steps.length) steps[i][0]();
    else {
      if (pongs !== 1) fail("pong with the ping's payload: got " + pongs);
      ws.close(4002, "done");
    }
  });
  ws.on("close", (code) => {
    if (i !== steps.length) fail("closed early with " + code + " after " + i + " steps");
    if (code !== 4002) fail("close code " + code + " (want 4002 echoed)");
    console.log("ok");
    process.exit(0);
  });
  ws.on("error", (e) => fail("error: " + e.message));
}

const at = process.argv.indexOf("--tls");
const tls = at > 0 ? process.argv.slice(at + 1, at + 3) : null;
if (tls && tls.length !== 2) fail("--tls needs two arguments");
if (process.argv[2] === "server") server(tls);
else if (process.argv[2] === "client" && process.argv[3]) client(Number(process.argv[3]), tls);
else fail("usage: ws_peer.js server [--tls CERT KEY] | client PORT [--tls CA HOST]");
