// Chapter 8 in a real browser: two people in one room are in a video call. The server
// passes their notes along (join_room, welcome, offer, answer, ice, room_full, bye);
// the video goes from browser to browser. Each person is a browser context with
// Chromium's fake camera and microphone. The first two tests check one side of the
// handshake each, against a Socket.IO client; the others run in order and share a call.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage, startChapter, waitForText, waitUntilPlaying } from "../../../tests/node/helpers.mjs";
import { call, clients, next } from "../../../tests/node/sio-helpers.mjs";

// Three fake cameras, fake_device_0 to fake_device_2. This comes after the helpers'
// plain `--use-fake-device-for-media-stream`, and the later flag wins. We switch to
// fake_device_2: Chromium's fake_device_1 is a depth camera (16-bit grey), which a page
// can show but WebRTC does not send (the other side's picture just stops).
const THREE_CAMERAS = "--use-fake-device-for-media-stream=device-count=3";

const ROOM = "lesson";
const WAITING = `Room ${ROOM}: waiting for someone to join…`;
const IN_A_CALL = `Room ${ROOM}: in a call ✅`;
const LEFT = `Room ${ROOM}: the other person left. Waiting for someone to join…`;
const FULL = `Room ${ROOM} is full: a call holds two people. Try another room.`;

let server, browser, ana, bo;

before(async () => {
  server = await startChapter(8);
  browser = await launchBrowser({ media: true, args: [THREE_CAMERAS] });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** Opens the page as a new person (a new browser context) and enters `room`. */
async function enter(room, url = server.url, contextOptions = {}) {
  const page = await openPage(browser, `${url}/`, { context: contextOptions, timeout: 10_000 });
  await page.fill("#welcome input", room);
  await page.click("#welcome button");
  return page;
}

const statusOf = (page) => page.$eval("#status", (status) => status.textContent);

/**
 * Waits until the picture in a <video> is all black (`black` true), or until it is not.
 * A camera turned off (its track disabled) sends black frames; the fake camera's
 * picture always has some colour.
 */
const waitForBlack = (page, selector, black) =>
  page.waitForFunction(
    ([selector, black]) => {
      const canvas = Object.assign(document.createElement("canvas"), { width: 64, height: 48 });
      const context = canvas.getContext("2d");
      context.drawImage(document.querySelector(selector), 0, 0, 64, 48);
      const { data } = context.getImageData(0, 0, 64, 48); // red, green, blue, alpha, ...
      const allBlack = data.every((value, index) => index % 4 === 3 || value === 0);
      return allBlack === black;
    },
    [selector, black],
  );

/**
 * The tracks the page sends to the other person, as { kind, label, enabled }.
 * `myPeerConnection` is a top-level `let` of app.js, a classic script: not a property
 * of `window`, but a global name that code evaluated in the page can read.
 */
const sentTracks = (page) =>
  page.evaluate(() =>
    myPeerConnection
      .getSenders()
      .map(({ track: { kind, label, enabled } }) => ({ kind, label, enabled })),
  );

const sent = async (page, kind) => (await sentTracks(page)).find((track) => track.kind === kind);

// First, each side of the handshake on its own: one page, and a Socket.IO client
// (socket.io-client, as in the browser) in the other place in the room.

test("the one already in the room sends an offer when someone joins", async (t) => {
  const page = await enter("offer-test");
  await waitForText(page, "#status", "Room offer-test: waiting for someone to join…");
  const other = await clients(t).connect(server);
  assert.deepEqual(await call(other, "join_room", "offer-test"), ["offer-test"]);

  const [offer] = await next(other, "offer");
  assert.equal(offer.type, "offer");
  assert.match(offer.sdp, /^v=0\r\n/);
  assert.match(offer.sdp, /\r\nm=audio /);
  assert.match(offer.sdp, /\r\nm=video /);
  // The page's own offer: its local description, with the same ICE credentials.
  const local = await page.evaluate(() => myPeerConnection.localDescription);
  assert.equal(local.type, "offer");
  assert.equal(local.sdp.match(/a=ice-ufrag:\S+/)[0], offer.sdp.match(/a=ice-ufrag:\S+/)[0]);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("the one who joins answers the offer it gets", async (t) => {
  const other = await clients(t).connect(server);
  assert.deepEqual(await call(other, "join_room", "answer-test"), ["answer-test"]);
  const page = await enter("answer-test");
  await next(other, "welcome");

  // An offer as a browser makes one, with audio and video.
  const offer = await page.evaluate(async () => {
    const caller = new RTCPeerConnection();
    caller.addTransceiver("audio");
    caller.addTransceiver("video");
    const { type, sdp } = await caller.createOffer();
    caller.close();
    return { type, sdp };
  });
  other.emit("offer", offer, "answer-test");

  const [answer] = await next(other, "answer");
  assert.equal(answer.type, "answer");
  assert.match(answer.sdp, /^v=0\r\n/);
  assert.match(answer.sdp, /\r\nm=audio /);
  assert.match(answer.sdp, /\r\nm=video /);
  const descriptions = await page.evaluate(() => [
    myPeerConnection.remoteDescription?.type,
    myPeerConnection.localDescription?.type,
  ]);
  assert.deepEqual(descriptions, ["offer", "answer"]);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

// Then a whole call, between two pages.

test("two people in one room are in a call and see each other", async () => {
  ana = await enter(ROOM);
  await waitForText(ana, "#status", WAITING);
  bo = await enter(ROOM);

  for (const page of [ana, bo]) {
    await waitForText(page, "#status", IN_A_CALL);
    await waitUntilPlaying(page, "video#peerFace");
    assert.equal(await page.locator("#welcome").isHidden(), true);
    assert.deepEqual(page.errors, []);
  }
  // Each one sends their own microphone and camera.
  assert.deepEqual(await sentTracks(ana), [
    { kind: "audio", label: "Fake Default Audio Input", enabled: true },
    { kind: "video", label: "fake_device_0", enabled: true },
  ]);
});

test("Mute and Turn Camera Off change what the other person gets", async () => {
  await ana.click("#mute");
  await waitForText(ana, "#mute", "Unmute");
  assert.equal((await sent(ana, "audio")).enabled, false);

  await ana.click("#camera");
  await waitForText(ana, "#camera", "Turn Camera On");
  assert.equal((await sent(ana, "video")).enabled, false);
  await waitForBlack(bo, "video#peerFace", true);

  await ana.click("#mute");
  await ana.click("#camera");
  await waitForText(ana, "#mute", "Mute");
  await waitForText(ana, "#camera", "Turn Camera Off");
  assert.deepEqual((await sentTracks(ana)).map((track) => track.enabled), [true, true]);
  await waitForBlack(bo, "video#peerFace", false);

  // Bo's side is untouched.
  assert.deepEqual((await sentTracks(bo)).map((track) => track.enabled), [true, true]);
  assert.deepEqual(ana.errors, []);
});

test("choosing another camera in a call swaps the camera the other person sees", async () => {
  const oldCamera = await ana.evaluateHandle(
    () => myPeerConnection.getSenders().find((sender) => sender.track.kind === "video").track,
  );
  await ana.selectOption("#cameras", { label: "fake_device_2" });
  await ana.waitForFunction(() =>
    myPeerConnection.getSenders().some((sender) => sender.track.label === "fake_device_2"),
  );

  assert.equal(await oldCamera.evaluate((track) => track.readyState), "ended");
  assert.equal((await sent(ana, "video")).enabled, true);
  // Same call, no new offer: Bo's picture goes on, now from the other camera.
  await waitUntilPlaying(bo, "video#peerFace");
  await waitUntilPlaying(ana, "video#myFace");
  assert.equal(await statusOf(ana), IN_A_CALL);
  assert.deepEqual(ana.errors, []);
  assert.deepEqual(bo.errors, []);
});

test("a third person is told that the room is full", async () => {
  const cy = await enter(ROOM);
  await waitForText(cy, "#problem", FULL);
  assert.equal(await cy.locator("#problem").isVisible(), true);
  assert.equal(await cy.locator("#call").isHidden(), true);
  assert.deepEqual(cy.errors, []);
  await cy.context().close();

  // The two in the call did not notice.
  for (const page of [ana, bo]) {
    assert.equal(await statusOf(page), IN_A_CALL);
    await waitUntilPlaying(page, "video#peerFace");
  }
});

test("when one person leaves, the other is told, and the next person can call", async () => {
  await bo.context().close();
  await waitForText(ana, "#status", LEFT);
  assert.equal(await ana.$eval("video#peerFace", (video) => video.srcObject), null);

  const dan = await enter(ROOM);
  for (const page of [ana, dan]) {
    await waitForText(page, "#status", IN_A_CALL);
    await waitUntilPlaying(page, "video#peerFace");
    assert.deepEqual(page.errors, []);
  }
  // Ana still sends the camera she chose before.
  assert.equal((await sent(ana, "video")).label, "fake_device_2");
  await dan.context().close();
});

test("classroom mode (HTTPS=1): a call over HTTPS", async () => {
  // HTTPS=1 makes a self-signed certificate at start-up; these pages accept it the way
  // a person clicks "Advanced", then "Proceed".
  const secure = await startChapter(8, { HTTPS: "1" });
  try {
    assert.match(secure.logs(), /Listening on https:\/\/localhost:\d+/);
    assert.match(secure.url, /^https:\/\//);
    const options = { ignoreHTTPSErrors: true };
    const eve = await enter("classroom", secure.url, options);
    const finn = await enter("classroom", secure.url, options);
    for (const page of [eve, finn]) {
      await waitForText(page, "#status", "Room classroom: in a call ✅");
      await waitUntilPlaying(page, "video#peerFace");
      assert.equal(await page.evaluate(() => location.protocol), "https:");
      assert.deepEqual(page.errors, []);
    }
    await eve.context().close();
    await finn.context().close();
  } finally {
    await secure.stop();
  }
});
