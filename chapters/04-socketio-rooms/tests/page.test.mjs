// Chapter 4 in a real browser: the page sends enter_room({ payload }, showRoom) and the
// server calls showRoom(roomName) in the browser.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage, startChapter, waitForText } from "../../../tests/node/helpers.mjs";

let server, browser;
const pages = [];

before(async () => {
  server = await startChapter(4);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function open() {
  const page = await openPage(browser, `${server.url}/`);
  pages.push(page);
  return page;
}

async function enterRoom(page, name) {
  await page.fill("#welcome form input", name);
  await page.click("#welcome form button");
}

test("entering a room shows the room, with the name the server called back", async () => {
  const page = await open();
  assert.equal(await page.locator("#room").isHidden(), true);
  await enterRoom(page, "  kitchen  ");
  await page.locator("#room").waitFor({ state: "visible" });
  await waitForText(page, "#room h3", "Room kitchen");
  assert.equal(await page.locator("#welcome").isHidden(), true);
  assert.equal(await page.locator("#error").isHidden(), true);
  assert.equal(await page.inputValue("#welcome form input"), "", "the input is emptied");
  assert.deepEqual(page.errors, []);
});

test("a room name over 40 characters shows the server's error, and a good one still works", async () => {
  const page = await open();
  // The input stops typing at 40 characters (maxlength): set the value in the page.
  await page.evaluate(() => (document.querySelector("#welcome form input").value = "r".repeat(41)));
  await page.click("#welcome form button");
  await page.locator("#error").waitFor({ state: "visible" });
  await waitForText(page, "#error", "enter_room: the room name is too long (at most 40 characters)");
  assert.equal(await page.locator("#welcome").isVisible(), true);
  assert.equal(await page.locator("#room").isHidden(), true);

  await enterRoom(page, "r".repeat(40));
  await waitForText(page, "#room h3", `Room ${"r".repeat(40)}`);
  assert.equal(await page.locator("#room").isVisible(), true);
  assert.equal(await page.locator("#error").isHidden(), true, "the error goes away");
  assert.deepEqual(page.errors, []);
});

test("two pages enter rooms independently", async () => {
  const [ana, bo] = [await open(), await open()];
  await enterRoom(ana, "attic");
  await enterRoom(bo, "cellar");
  await waitForText(ana, "#room h3", "Room attic");
  await waitForText(bo, "#room h3", "Room cellar");
  for (const page of pages) assert.deepEqual(page.errors, []);
});
