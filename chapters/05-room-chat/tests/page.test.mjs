// Chapter 5 in a real browser: three people (three browser contexts) chat in one room,
// a fourth is in another room and must see none of it. The tests run in order and share
// the pages, like one conversation.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage, roomChat, startChapter, waitForText } from "../../../tests/node/helpers.mjs";

const { lines, send, waitForLine } = roomChat;

let server, browser, ana, bea, cy, dan;

/** Opens the chat as a new person and saves a nickname through form#name. */
async function join(nickname) {
  const page = await openPage(browser, `${server.url}/`);
  await waitForText(page, "#nickname", "You are Anon.");
  await roomChat.setNickname(page, nickname);
  return page;
}

before(async () => {
  server = await startChapter(5);
  browser = await launchBrowser();
  [ana, bea, cy, dan] = [await join("Ana"), await join("Bea"), await join("Cy"), await join("Dan")];
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Enters room `name` through the room form, and waits until the page shows the room. */
async function enterRoom(page, name) {
  await roomChat.enterRoom(page, name);
  await waitForText(page, "#room h3", `Room ${name}`);
  assert.equal(await page.locator("#welcome").isHidden(), true);
  assert.equal(await page.locator("#room").isVisible(), true);
}

test("people who enter a room are announced to those already in it", async () => {
  await enterRoom(ana, "kitchen");
  await enterRoom(dan, "attic");
  await enterRoom(bea, "kitchen");
  await waitForLine(ana, "Bea arrived!");
  await enterRoom(cy, "kitchen");
  await waitForLine(ana, "Cy arrived!");
  await waitForLine(bea, "Cy arrived!");
  assert.deepEqual(await lines(ana), ["Bea arrived!", "Cy arrived!"]);
  assert.deepEqual(await lines(bea), ["Cy arrived!"]);
  assert.deepEqual(await lines(cy), []);
  for (const page of [ana, bea, cy, dan]) assert.deepEqual(page.errors, []);
});

test("messages: the sender sees 'You: text', the others 'Nick: text'", async () => {
  await send(ana, "Hello, kitchen!");
  await waitForLine(ana, "You: Hello, kitchen!");
  await waitForLine(bea, "Ana: Hello, kitchen!");
  await waitForLine(cy, "Ana: Hello, kitchen!");
  assert.equal(await ana.inputValue("form#msg input"), "", "the input is emptied");

  await send(bea, "Hi Ana");
  await waitForLine(bea, "You: Hi Ana");
  await waitForLine(ana, "Bea: Hi Ana");
  await waitForLine(cy, "Bea: Hi Ana");

  await send(cy, "<b>not bold</b>");
  for (const page of [ana, bea]) await waitForLine(page, "Cy: <b>not bold</b>");
  await waitForLine(cy, "You: <b>not bold</b>");
  for (const page of [ana, bea, cy]) assert.equal(await page.locator("#room ul b").count(), 0);

  assert.deepEqual(await lines(ana), [
    "Bea arrived!",
    "Cy arrived!",
    "You: Hello, kitchen!",
    "Bea: Hi Ana",
    "Cy: <b>not bold</b>",
  ]);
  assert.deepEqual(await lines(cy), [
    "Ana: Hello, kitchen!",
    "Bea: Hi Ana",
    "You: <b>not bold</b>",
  ]);
  for (const page of [ana, bea, cy]) assert.deepEqual(page.errors, []);
});

test("when a page closes, the others in the room see '<nick> left.'", async () => {
  await cy.context().close();
  await waitForLine(ana, "Cy left.");
  await waitForLine(bea, "Cy left.");
  await send(bea, "Just us now");
  await waitForLine(ana, "Bea: Just us now");
  await waitForLine(bea, "You: Just us now");
  assert.deepEqual(await lines(bea), [
    "Cy arrived!",
    "Ana: Hello, kitchen!",
    "You: Hi Ana",
    "Cy: <b>not bold</b>",
    "Cy left.",
    "You: Just us now",
  ]);
  for (const page of [ana, bea, cy]) assert.deepEqual(page.errors, []);
});

test("a page in another room saw nothing of the kitchen", async () => {
  // Dan's own message is a checkpoint: anything sent to him earlier would be before it.
  await send(dan, "anyone in the attic?");
  await waitForLine(dan, "You: anyone in the attic?");
  assert.deepEqual(await lines(dan), ["You: anyone in the attic?"]);
  await waitForText(dan, "#room h3", "Room attic");
  // ... and the kitchen sees nothing of the attic.
  await send(ana, "checkpoint");
  await waitForLine(bea, "Ana: checkpoint");
  assert.ok(!(await lines(bea)).some((line) => line.includes("attic")));
  assert.ok(!(await lines(ana)).some((line) => line.includes("attic")));
  assert.deepEqual(dan.errors, []);
});

test("an invalid nickname shows the server's error on that page only", async () => {
  const eve = await join("Eve");
  await eve.fill("form#name input", "Eve:admin");
  await eve.click("form#name button");
  await eve.locator("#error").waitFor({ state: "visible" });
  await waitForText(
    eve,
    "#error",
    "nickname: a nickname may hold letters, digits, spaces, '_', '-' and '.' only",
  );
  assert.equal(await eve.locator("#nickname").textContent(), "You are Eve.");
  // Eve is still Eve in the kitchen.
  await enterRoom(eve, "kitchen");
  await waitForLine(ana, "Eve arrived!");
  await waitForLine(bea, "Eve arrived!");
  for (const page of [ana, bea, dan]) assert.equal(await page.locator("#error").isHidden(), true);
  for (const page of [ana, bea, dan, eve]) assert.deepEqual(page.errors, []);
});
