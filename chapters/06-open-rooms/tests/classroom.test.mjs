// Chapter 6 in a classroom: HOST=0.0.0.0 HTTPS=1, a laptop at https://localhost:PORT and
// a phone at the laptop's network address, https://192.168.1.20:PORT (Chromium maps that
// address to 127.0.0.1: see PHONE_FLAGS). The two pages are of different origins; each
// is this server's own page, so each connects without ALLOWED_ORIGINS, and they chat,
// share the list of open rooms, and the server view works on both with the printed token.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  PHONE_ADDRESS,
  PHONE_FLAGS,
  launchBrowser,
  openPage,
  roomChat,
  startChapter,
  waitForText,
} from "../../../tests/node/helpers.mjs";
import { eventually } from "../../../tests/node/sio-helpers.mjs";

const { enterRoom, send, waitForLine, waitForRoomList } = roomChat;

test("HOST=0.0.0.0 HTTPS=1: a phone at the network address and a laptop at localhost chat, list rooms, see the server view", async (t) => {
  const server = await startChapter(6, { HOST: "0.0.0.0", HTTPS: "1" });
  t.after(() => server.stop());
  const line = /Server view: https:\/\/localhost:\d+\/admin\?token=([0-9a-f]{32})\n/;
  await eventually(() => line.test(server.logs()), `a "Server view: ...?token=" line in:\n${server.logs()}`);
  const token = server.logs().match(line)[1];
  const browser = await launchBrowser({ args: PHONE_FLAGS });
  t.after(() => browser.close());
  const laptopUrl = `https://localhost:${server.port}`;
  const phoneUrl = `https://${PHONE_ADDRESS}:${server.port}`;

  const laptop = await openPage(browser, `${laptopUrl}/`);
  const phone = await openPage(browser, `${phoneUrl}/`);
  assert.equal(await phone.evaluate(() => location.origin), phoneUrl);
  await roomChat.setNickname(laptop, "Laptop");
  await roomChat.setNickname(phone, "Phone");

  await enterRoom(laptop, "kitchen");
  await waitForRoomList(phone, ["kitchen"]);
  await phone.locator("#welcome ul li", { hasText: "kitchen" }).click();
  for (const page of [laptop, phone]) await waitForText(page, "#room h3", "Room kitchen (2)");
  await send(phone, "hello from the phone");
  await waitForLine(laptop, "Phone: hello from the phone");
  await send(laptop, "hello from the laptop");
  await waitForLine(phone, "Laptop: hello from the laptop");

  // The server view, from either place: with the printed token it is live, without it
  // it says it needs the token.
  for (const base of [laptopUrl, phoneUrl]) {
    const view = await openPage(browser, `${base}/admin?token=${token}`);
    await waitForText(view, "#status", "Live ✅");
    await waitForText(view, "#connected", "2");
    await waitForText(view, "#open", "1");
    const refused = await openPage(browser, `${base}/admin`);
    await refused.waitForFunction(() => document.querySelector("#status").textContent.includes("needs the token"));
    assert.equal(await refused.textContent("#connected"), "0");
    // (The refused page may log a 400: its session is closed once refused.)
    assert.deepEqual([...view.errors], []);
  }
  assert.deepEqual([[...laptop.errors], [...phone.errors]], [[], []]);
  assert.doesNotMatch(server.logs(), /refused a connection from a page/);
});
