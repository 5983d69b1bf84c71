// Chapter 5 stopped with SIGTERM (as `kill` or Ctrl-C does): every Socket.IO client hears
// a disconnect from the server before the process exits ("io server disconnect"), not a
// cut connection ("transport close"), within the grace time (shared::SHUTDOWN_GRACE, 3 s).
// The mechanism is in shared (`with_socket_io`), the same for every Socket.IO chapter;
// so is the page's answer to it, one line in each app.js.
import assert from "node:assert/strict";
import { test } from "node:test";
import { launchBrowser, openPage, startChapter, waitForText } from "../../../tests/node/helpers.mjs";
import { PATIENCE, eventually, startChat } from "../../../tests/node/sio-helpers.mjs";

test("SIGTERM sends every Socket.IO client a disconnect, on WebSocket and on long polling", async (t) => {
  const { server, connect } = await startChat(t, 5);
  const websocket = await connect();
  const polling = await connect({ transports: ["polling"] });
  const reasons = [websocket, polling].map(
    (socket) => new Promise((resolve) => socket.once("disconnect", (reason) => resolve(reason))),
  );
  const started = Date.now();
  await server.stop();
  const took = Date.now() - started;
  assert.deepEqual(await Promise.all(reasons), ["io server disconnect", "io server disconnect"], server.logs());
  assert.ok(took < 3_500, `the stop took ${took} ms, more than the 3 s grace`);
  assert.match(server.logs(), /sent a disconnect to 2 Socket.IO clients/);
});

test("after the goodbye, the page connects again once the server is back", async (t) => {
  const first = await startChapter(5);
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await openPage(browser, `${first.url}/`);
  await waitForText(page, "#nickname", "You are Anon.");
  const connected = () => page.evaluate(() => socket.connected);
  assert.equal(await connected(), true);
  await first.stop();
  await eventually(async () => !(await connected()), "the page to hear the goodbye");
  // The same port, as `just watch` or a process manager restarts a chapter.
  const second = await startChapter(5, { PORT: String(first.port) });
  t.after(() => second.stop());
  // The client retries with growing pauses (up to 5 s).
  await eventually(connected, "the page to connect again", 3 * PATIENCE);
  assert.match(second.logs(), /Connected to Browser/);
});
