// Chapter 3 in a real browser: two people (two browser contexts) chat with nicknames.
// The tests run in order and share the two pages, like one conversation.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage, startChapter, waitForAnyText } from "../../../tests/node/helpers.mjs";

let server, browser, ana, bo;

/** Opens the chat as a new person and waits until their socket is open. */
async function join() {
  const page = await openPage(browser, `${server.url}/`);
  await page.locator("#status", { hasText: "Connected to Server ✅" }).waitFor();
  return page;
}

before(async () => {
  server = await startChapter(3);
  browser = await launchBrowser();
  ana = await join();
  bo = await join();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const lines = (page) => page.locator("ul.messages li").allTextContents();

/** Waits until `page` shows a line that reads exactly `text`. */
const waitForLine = (page, text) => waitForAnyText(page, "ul.messages li", text);

async function setNickname(page, nickname) {
  await page.fill("form#nick input", nickname);
  await page.click("form#nick button");
}

async function send(page, text) {
  await page.fill("form#message input", text);
  await page.click("form#message button");
}

test("both people see every message, with the sender's nickname", async () => {
  await setNickname(ana, "Ana");
  await setNickname(bo, "Bo");

  await send(ana, "Hi, who is here?");
  await waitForLine(ana, "Ana: Hi, who is here?");
  await waitForLine(bo, "Ana: Hi, who is here?");

  await send(bo, "Me!");
  for (const page of [ana, bo]) {
    await waitForLine(page, "Bo: Me!");
    assert.deepEqual(await lines(page), ["Ana: Hi, who is here?", "Bo: Me!"]);
    assert.deepEqual(page.errors, []);
  }
});

test("HTML in a message is shown as text", async () => {
  await send(ana, "<b>x</b>");
  for (const page of [ana, bo]) {
    await waitForLine(page, "Ana: <b>x</b>");
    assert.equal(await page.locator("ul.messages b").count(), 0);
  }
});

test("an invalid nickname gets an error on that page only", async () => {
  // The input stops typing at 20 characters (maxlength): set the value in the page.
  await ana.evaluate(() => (document.querySelector("form#nick input").value = "a".repeat(21)));
  await ana.click("form#nick button");
  await setNickname(ana, "a:b");
  // Ana's next message is a checkpoint: once Bo has it, any error would be there too.
  await send(ana, "still Ana?");
  await waitForLine(bo, "Ana: still Ana?");
  await waitForLine(ana, "Ana: still Ana?");

  const errors = await ana.locator("ul.messages li.error").allTextContents();
  assert.deepEqual(errors, [
    "⚠️ the nickname is too long (at most 20 characters)",
    "⚠️ a nickname may hold letters, digits, spaces, '_', '-' and '.' only",
  ]);
  assert.equal(await bo.locator("ul.messages li.error").count(), 0);
  assert.ok(!(await lines(bo)).some((line) => line.startsWith("⚠️")));
});

test("when one person leaves, the others keep chatting", async () => {
  await bo.context().close();

  await send(ana, "Bo left.");
  await waitForLine(ana, "Ana: Bo left.");

  const cy = await join(); // no nickname yet: the server calls everyone "Anon" at first
  await send(cy, "Hello, I am new");
  await waitForLine(ana, "Anon: Hello, I am new");
  await waitForLine(cy, "Anon: Hello, I am new");

  await send(ana, "Welcome!");
  await waitForLine(cy, "Ana: Welcome!");
  assert.equal(await ana.locator("#status").textContent(), "Connected to Server ✅");
  assert.deepEqual(ana.errors, []);
  assert.deepEqual(cy.errors, []);
});
