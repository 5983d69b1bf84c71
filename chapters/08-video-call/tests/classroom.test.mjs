// Chapter 8 in a classroom: HOST=0.0.0.0 HTTPS=1 (a phone's browser gives its camera only
// to a secure page), a laptop at https://localhost:PORT and a phone at the laptop's
// network address, https://192.168.1.20:PORT (Chromium maps that address to 127.0.0.1:
// see PHONE_FLAGS). Each page is this server's own, so each connects without
// ALLOWED_ORIGINS, and the two are in a call.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  PHONE_ADDRESS,
  PHONE_FLAGS,
  launchBrowser,
  openPage,
  startChapter,
  waitForText,
  waitUntilPlaying,
} from "../../../tests/node/helpers.mjs";

test("HOST=0.0.0.0 HTTPS=1: a phone at the network address and a laptop at localhost are in a call", async (t) => {
  const server = await startChapter(8, { HOST: "0.0.0.0", HTTPS: "1" });
  t.after(() => server.stop());
  const browser = await launchBrowser({ media: true, args: PHONE_FLAGS });
  t.after(() => browser.close());

  const enter = async (url) => {
    const page = await openPage(browser, `${url}/`, { timeout: 10_000 });
    await page.fill("#welcome input", "lesson");
    await page.click("#welcome button");
    return page;
  };
  const laptop = await enter(`https://localhost:${server.port}`);
  await waitForText(laptop, "#status", "Room lesson: waiting for someone to join…");
  const phone = await enter(`https://${PHONE_ADDRESS}:${server.port}`);
  for (const page of [laptop, phone]) {
    await waitForText(page, "#status", "Room lesson: in a call ✅");
    await waitUntilPlaying(page, "video#peerFace");
  }
  assert.equal(await phone.evaluate(() => window.isSecureContext), true);
  assert.deepEqual([[...laptop.errors], [...phone.errors]], [[], []]);
  assert.doesNotMatch(server.logs(), /refused a connection from a page/);
});
