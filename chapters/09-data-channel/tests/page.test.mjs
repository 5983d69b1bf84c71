// Chapter 9 in a real browser: beside the video call, the two people chat over an
// RTCDataChannel named "chat", straight from browser to browser. The tests run in
// order and share the call, like one conversation.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { launchBrowser, openPage, startChapter, waitForAnyText, waitForText } from "../../../tests/node/helpers.mjs";

const ROOM = "lesson";
const WAITING = `Room ${ROOM}: waiting for someone to join…`;
const IN_A_CALL = `Room ${ROOM}: in a call ✅`;
const LEFT = `Room ${ROOM}: the other person left. Waiting for someone to join…`;
const CHAT_OPEN = "Chat open: these messages go straight to the other browser.";

let server, browser, ana, bo;

before(async () => {
  // The server's most detailed logs: a chat message must not show up even there.
  server = await startChapter(9, { RUST_LOG: "debug" });
  browser = await launchBrowser({ media: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * Opens the page as a new person, recording in `page.toServer` everything it exchanges
 * with the server (Socket.IO over WebSocket, and the HTTP requests it starts with).
 */
async function newPerson() {
  const page = await openPage(browser, "about:blank", { timeout: 10_000 });
  page.toServer = [];
  page.on("websocket", (webSocket) => {
    webSocket.on("framesent", ({ payload }) => page.toServer.push(String(payload)));
    webSocket.on("framereceived", ({ payload }) => page.toServer.push(String(payload)));
  });
  page.on("request", (request) => page.toServer.push(request.url(), request.postData() ?? ""));
  await page.goto(`${server.url}/`);
  return page;
}

async function enterRoom(page, room = ROOM) {
  await page.fill("#welcome input", room);
  await page.click("#welcome button");
}

/**
 * The chat's messages, without the "Chat open" notices. The notices are checked on their
 * own: once in about a hundred runs here, the answering page showed the notice twice
 * (Chromium fired its channel's "open" event twice).
 */
const messages = async (page) =>
  (await page.locator("#chat li").allTextContents()).filter((line) => line !== CHAT_OPEN);

/** How many times the chat shows the "Chat open" notice. */
const countNotices = (page) =>
  page.$$eval(
    "#chat li",
    (lines, notice) => lines.filter((li) => li.textContent === notice).length,
    CHAT_OPEN,
  );

/** Waits until the chat shows the "Chat open" notice `count` times or more. */
const waitForNotices = (page, count) =>
  page.waitForFunction(
    ([notice, count]) => {
      const lines = [...document.querySelectorAll("#chat li")];
      return lines.filter((li) => li.textContent === notice).length >= count;
    },
    [CHAT_OPEN, count],
  );

/** Waits until the chat shows a line that reads exactly `text`. */
const waitForLine = (page, text) => waitForAnyText(page, "#chat li", text);

const CHAT_CONTROLS = "#chat form input, #chat form button";

/** Whether the chat's input and button can be used, as [input, button]. */
const chatEnabled = (page) =>
  page.$$eval(CHAT_CONTROLS, (controls) => controls.map((control) => !control.disabled));

/** Waits until the chat's input and button can both be used (`enabled`), or both not. */
const waitForChatEnabled = (page, enabled) =>
  page.waitForFunction(
    ([selector, enabled]) =>
      [...document.querySelectorAll(selector)].every((control) => control.disabled !== enabled),
    [CHAT_CONTROLS, enabled],
  );

async function send(page, text) {
  await page.fill("#chat form input", text);
  await page.click("#chat form button");
}

test("the chat opens once the call is up, not before", async () => {
  ana = await newPerson();
  assert.deepEqual(await chatEnabled(ana), [false, false]);
  await enterRoom(ana);
  await waitForText(ana, "#status", WAITING);
  assert.deepEqual(await chatEnabled(ana), [false, false]); // alone: nobody to chat with

  bo = await newPerson();
  await enterRoom(bo);
  // Ana called, so Ana's page made the channel: it is named "chat".
  await waitForText(ana, "#status", IN_A_CALL);
  await waitForChatEnabled(ana, true);
  await waitForNotices(ana, 1);
  assert.deepEqual(await chatEnabled(ana), [true, true]);
  assert.equal(await ana.evaluate(() => myDataChannel.label), "chat");
  assert.deepEqual(ana.errors, []);
});

test("the one who answers gets the caller's channel, and its chat opens too", async () => {
  await waitForText(bo, "#status", IN_A_CALL);
  await waitForChatEnabled(bo, true);
  await waitForNotices(bo, 1);
  assert.deepEqual(await chatEnabled(bo), [true, true]);
  // Bo's page did not make a channel: it took the one that came, named "chat".
  assert.equal(await bo.evaluate(() => myDataChannel.label), "chat");
  assert.equal(await bo.evaluate(() => myDataChannel.id), await ana.evaluate(() => myDataChannel.id));
  assert.deepEqual(bo.errors, []);
});

test("messages go both ways: 'You' on the sender's side, 'Peer' on the other", async () => {
  await send(ana, "Hi Bo, can you hear me?");
  await waitForLine(bo, "Peer: Hi Bo, can you hear me?");
  await waitForLine(ana, "You: Hi Bo, can you hear me?");
  assert.equal(await ana.inputValue("#chat form input"), ""); // ready for the next one

  await send(bo, "Loud and clear.");
  await waitForLine(ana, "Peer: Loud and clear.");
  await waitForLine(bo, "You: Loud and clear.");

  assert.deepEqual(await messages(ana), ["You: Hi Bo, can you hear me?", "Peer: Loud and clear."]);
  assert.deepEqual(await messages(bo), ["Peer: Hi Bo, can you hear me?", "You: Loud and clear."]);
  assert.deepEqual(ana.errors, []);
  assert.deepEqual(bo.errors, []);
});

test("HTML in a message is shown as text", async () => {
  const html = `<b>bold</b><img src="x" onerror="document.title='hacked'">`;
  await send(ana, html);
  await waitForLine(bo, `Peer: ${html}`);
  await waitForLine(ana, `You: ${html}`);
  for (const page of [ana, bo]) {
    assert.equal(await page.locator("#chat b, #chat img").count(), 0);
    assert.notEqual(await page.title(), "hacked");
    assert.deepEqual(page.errors, []);
  }
});

test("chat messages never pass through the server", async () => {
  const secret = `secret-${randomUUID()}`;
  await send(ana, secret);
  await waitForLine(bo, `Peer: ${secret}`);

  // The recording works: it holds Ana's offer, which does pass through the server.
  const offer = await ana.evaluate(() => myPeerConnection.localDescription.sdp);
  const iceUfrag = offer.match(/a=ice-ufrag:(\S+)/)[1];
  const isOffer = (data) => data.includes(`"offer"`) && data.includes(iceUfrag);
  assert.ok(ana.toServer.some(isOffer), "the recording holds Ana's offer");

  // Neither browser sent the message to the server, nor heard it from the server. (The
  // server's logs alone would prove little: it does not log what it passes along.)
  for (const page of [ana, bo]) {
    const seen = page.toServer.some((data) => data.includes(secret));
    assert.equal(seen, false, "the message went through the server");
  }
  assert.equal(server.logs().includes(secret), false, "the message is in the server's logs");
});

test("when Bo reloads, Ana's chat closes; when Bo comes back, it opens again", async () => {
  const anaNotices = await countNotices(ana);
  await bo.reload();
  await waitForText(ana, "#status", LEFT);
  await waitForChatEnabled(ana, false);
  assert.deepEqual(await chatEnabled(ana), [false, false]);

  await enterRoom(bo);
  for (const page of [ana, bo]) {
    await waitForText(page, "#status", IN_A_CALL);
    await waitForChatEnabled(page, true);
  }
  await waitForNotices(bo, 1);
  await waitForNotices(ana, anaNotices + 1); // a new notice, below the old conversation
  await send(bo, "I'm back.");
  await waitForLine(ana, "Peer: I'm back.");
  await send(ana, "Welcome back!");
  await waitForLine(bo, "Peer: Welcome back!");

  // Bo's page is new: only the new conversation. Ana's chat keeps the old lines too.
  assert.deepEqual(await messages(bo), ["You: I'm back.", "Peer: Welcome back!"]);
  const anaMessages = await messages(ana);
  assert.equal(anaMessages[0], "You: Hi Bo, can you hear me?");
  assert.deepEqual(anaMessages.slice(-2), ["Peer: I'm back.", "You: Welcome back!"]);
  assert.deepEqual(ana.errors, []);
  assert.deepEqual(bo.errors, []);
});
