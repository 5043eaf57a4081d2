// ws_echo_node.js PORT: node's ws (npm, installed by `npm install --prefix tests/node`)
// WebSocket echo server, a peer for make bench: every message comes back with its type.
// No permessage-deflate (ws's server default), no payload limit below 64 MiB.
"use strict";
const path = require("path");
const WebSocket = require(require.resolve("ws", { paths: [path.join(__dirname, "..", "tests", "node")] }));

const wss = new WebSocket.WebSocketServer({ host: "127.0.0.1", port: Number(process.argv[2]), maxPayload: 64 << 20 });
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
});
wss.on("listening", () => console.log("node ws echo listening"));
