// demo chat room: one WebSocket to /chat/socket; what is typed goes to the server, which
// sends every message to every open chat page (this one included).
(function () {
  var log = document.getElementById("log"), form = document.getElementById("say");
  var name = document.getElementById("name"), text = document.getElementById("text");
  var status = document.getElementById("status");
  var ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/chat/socket");
  name.value = "guest" + Math.floor(Math.random() * 1000);
  function show(line) {
    var li = document.createElement("li");
    li.textContent = line;   // text, never HTML: messages come from other people
    log.appendChild(li);
  }
  ws.onopen = function () { status.textContent = "connected"; text.focus(); };
  ws.onmessage = function (e) { show(e.data); };
  ws.onclose = function (e) { status.textContent = "disconnected (" + e.code + "): reload to join again"; };
  form.onsubmit = function (e) {
    e.preventDefault();
    if (text.value && ws.readyState === WebSocket.OPEN) ws.send(name.value + ": " + text.value);
    text.value = "";
  };
})();
