// tests/node/chat_test.js: the demo's chat room in a real browser. Debian's chromium, driven
// headless by playwright-core, opens BASE/chat in two pages; each sends a message and must
// see the other's (broadcast through the demo's WebSocket server). First a page loads BASE/
// and BASE/chat: the demo's scripts and styles must arrive gzipped (stored so) and work.
//   node tests/node/chat_test.js http://127.0.0.1:PORT [CHROMIUM]
// Prints "ok ..." lines and exits 0, or "FAIL: why" and exits 1. Bounded: 60 s in all.
"use strict";
const { chromium } = require("playwright-core");

const base = process.argv[2];
const exe = process.argv[3] || "/usr/lib/chromium/chromium";
const fail = (why) => { console.log("FAIL: " + why); process.exit(1); };
setTimeout(() => fail("timed out after 60 s"), 60000).unref();

async function openChat(browser, name) {
  const page = await browser.newPage();
  page.on("pageerror", (e) => fail(name + ": page error: " + e.message));
  await page.goto(base + "/chat");
  await page.waitForFunction(() => document.getElementById("status").textContent === "connected",
                             null, { timeout: 10000 });
  await page.fill("#name", name);
  return page;
}

async function say(page, text) {
  await page.fill("#text", text);
  await page.click("form#say button");
}

async function waitLine(page, line, who) {
  try {
    await page.waitForFunction((l) => Array.from(document.querySelectorAll("#log li")).some((li) => li.textContent === l),
                               line, { timeout: 10000 });
  } catch (e) {
    const got = await page.$$eval("#log li", (lis) => lis.map((li) => li.textContent));
    fail(who + " did not see " + JSON.stringify(line) + "; its log: " + JSON.stringify(got));
  }
}

(async () => {
  if (!base) fail("usage: chat_test.js BASE_URL [CHROMIUM]");
  const browser = await chromium.launch({ executablePath: exe, headless: true,
                                          args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  try {
    // the demo's pages in the browser itself: Chromium asks for gzip, the demo's compiled-in
    // scripts and styles are stored gzipped and must arrive so, and be decoded (the chat
    // below only works when chat.js ran)
    const seen = {};
    const probe = await browser.newPage();
    probe.on("response", (r) => {   // the first answer per path (later loads may come from the cache)
      const path = new URL(r.url()).pathname;
      if (!(path in seen)) seen[path] = r.headers()["content-encoding"] || "(none)";
    });
    const main = await probe.goto(base + "/");
    if (main.status() !== 200) fail("GET / answered " + main.status());
    console.log("main page Content-Encoding: " + (main.headers()["content-encoding"] || "(none)"));
    await probe.goto(base + "/chat");
    await probe.waitForFunction(() => document.getElementById("status").textContent === "connected",
                                null, { timeout: 10000 });
    for (const path of ["/static/chat.js", "/static/style.css"]) {
      if (seen[path] !== "gzip") fail(path + " arrived with Content-Encoding " + seen[path] + ", not gzip");
      console.log(path + " Content-Encoding: gzip (decoded by the browser)");
    }
    const color = await probe.evaluate(() => getComputedStyle(document.body).fontFamily);
    if (!color) fail("style.css was not applied");
    await probe.close();
    const a = await openChat(browser, "alice");
    const b = await openChat(browser, "bob");
    await say(a, "hello from a \u2713");
    await waitLine(b, "alice: hello from a \u2713", "bob");
    await waitLine(a, "alice: hello from a \u2713", "alice (own message echoed)");
    await say(b, "hi from b <b>not bold</b>");
    await waitLine(a, "bob: hi from b <b>not bold</b>", "alice");
    await waitLine(b, "bob: hi from b <b>not bold</b>", "bob (own message echoed)");
    if (await a.$$eval("#log b", (x) => x.length) !== 0) fail("a message was inserted as HTML");
    console.log("ok two pages exchanged messages both ways");
    // a page that leaves is removed from the room: the one left still chats
    await a.close();
    const c = await openChat(browser, "carol");
    await say(c, "after alice left");
    await waitLine(b, "carol: after alice left", "bob");
    console.log("ok a closed page left the room, the others go on");
  } finally {
    await browser.close();
  }
  process.exit(0);
})().catch((e) => fail(e && e.stack ? e.stack : String(e)));
