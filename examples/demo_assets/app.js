// demo site script: shows that JavaScript is served from the binary too.
(function () {
  var el = document.getElementById("clock");
  if (!el) return;
  function tick() { el.textContent = "page script running: " + new Date().toLocaleTimeString(); }
  tick();
  setInterval(tick, 1000);
})();
