// The live server view with HOST=0.0.0.0 (reachable from other machines): it asks for the
// token that the server prints at start-up, as Jupyter does. Without it, the /admin
// namespace refuses the socket (connect_error) and no `server_view` is sent; with it, the
// view works as on 127.0.0.1, where no token is needed (the other tests). The tests still
// connect on 127.0.0.1: the token is asked of everyone once the server listens on 0.0.0.0.
import assert from "node:assert/strict";
import { test } from "node:test";
import { io } from "socket.io-client";
import { launchBrowser, openPage, startChapter, waitForText } from "../../../tests/node/helpers.mjs";
import { SILENCE, eventually } from "../../../tests/node/sio-helpers.mjs";

/** An /admin client with `auth`; keeps every `server_view` and its connect error. */
function viewer(server, t, auth) {
  const socket = io(`${server.url}/admin`, { auth, transports: ["websocket"], forceNew: true, reconnection: false });
  t.after(() => socket.disconnect());
  socket.views = [];
  socket.on("server_view", (view) => socket.views.push(view));
  socket.on("connect_error", (error) => (socket.refusal = error.message));
  return socket;
}

async function startReachable(t) {
  const server = await startChapter(6, { HOST: "0.0.0.0" });
  t.after(() => server.stop());
  // Printed just after "Listening on".
  const line = /Server view: http:\/\/localhost:(\d+)\/admin\?token=([0-9a-f]{32})\n/;
  await eventually(() => line.test(server.logs()), `a "Server view: ...?token=" line in:\n${server.logs()}`);
  const printed = server.logs().match(line);
  assert.equal(Number(printed[1]), server.port);
  return { server, token: printed[2] };
}

test("with HOST=0.0.0.0, /admin without the printed token gets no server_view; with it, the view", async (t) => {
  const { server, token } = await startReachable(t);
  const without = viewer(server, t, {});
  const wrong = viewer(server, t, { token: token.replace(/.$/, (last) => (last === "0" ? "1" : "0")) });
  await eventually(() => without.refusal && wrong.refusal, "both to be refused");
  assert.match(without.refusal, /needs the token printed where the server started/);
  assert.match(wrong.refusal, /needs the token/);

  const right = viewer(server, t, { token });
  await eventually(() => right.views.length > 0, "a server_view with the token");
  assert.equal(right.views.at(-1).connected, 0);
  await new Promise((resolve) => setTimeout(resolve, SILENCE));
  assert.deepEqual([without.views, wrong.views], [[], []]);
  assert.equal(without.connected || wrong.connected, false);
});

test("with HOST=0.0.0.0, the /admin page says it needs the token, and works with the printed address", async (t) => {
  const { server, token } = await startReachable(t);
  // Someone in the chat, so that a view that arrives says "1 connected".
  const chat = io(server.url, { transports: ["websocket"], forceNew: true, reconnection: false });
  t.after(() => chat.disconnect());
  await eventually(() => chat.connected, "the chat client to connect");
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const refused = await openPage(browser, `${server.url}/admin`);
  await refused.waitForFunction(() => document.querySelector("#status").textContent.includes("needs the token"));
  const allowed = await openPage(browser, `${server.url}/admin?token=${token}`);
  await waitForText(allowed, "#status", "Live ✅");
  await waitForText(allowed, "#connected", "1");
  assert.equal(await refused.textContent("#connected"), "0", "the refused page got a view");
  assert.match(await refused.textContent("#status"), /^Not connected: this server view needs the token/);
});
