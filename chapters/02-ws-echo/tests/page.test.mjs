// Chapter 2 in a real browser: one WebSocket, and whatever you send comes back.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage, startChapter } from "../../../tests/node/helpers.mjs";

const GREETING = "Hello from the server! Send me something and I will send it back.";

let server, browser, page;

before(async () => {
  server = await startChapter(2);
  browser = await launchBrowser();
  page = await openPage(browser, `${server.url}/`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const lines = () => page.locator("ul.messages li").allTextContents();

/** Waits until the list holds `count` lines. */
const waitForLines = (count) =>
  page.waitForFunction((n) => document.querySelectorAll("ul.messages li").length >= n, count);

async function send(text) {
  await page.fill("form#message input", text);
  await page.click("form#message button");
}

test("the page connects and the server speaks first", async () => {
  await page.locator("#status", { hasText: "Connected to Server ✅" }).waitFor();
  await waitForLines(1);
  assert.deepEqual(await lines(), [GREETING]);
});

test("a message comes back as a new line", async () => {
  await send("Is anybody there?");
  await waitForLines(2);
  assert.deepEqual(await lines(), [GREETING, "Is anybody there?"]);
  assert.equal(await page.inputValue("form#message input"), "", "the input is emptied");
  assert.deepEqual(page.errors, []);
});

test("HTML in a message is shown as text", async () => {
  const text = "<b>bold</b><img src=x onerror=alert(1)>";
  await send(text);
  await waitForLines(3);
  assert.equal((await lines())[2], text);
  assert.equal(await page.locator("ul.messages b, ul.messages img").count(), 0);
  assert.deepEqual(page.errors, []);
});
