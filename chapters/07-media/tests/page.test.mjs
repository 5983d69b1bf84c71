// Chapter 7 in a real browser: the page shows your own camera, with mute, camera off
// and a camera list. Chromium's fake devices stand in for the camera and microphone:
// the fake camera draws a moving picture, so we can see that the video really plays.
// The tests run in order and share one page, like one visit.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage, startChapter, waitForText, waitUntilPlaying } from "../../../tests/node/helpers.mjs";

// Two fake cameras, named fake_device_0 and fake_device_1. This comes after the
// helpers' plain `--use-fake-device-for-media-stream`, and the later flag wins.
// (Chromium's fake_device_1 is a depth camera, in shades of grey: a page shows it,
// but WebRTC would not send it; the chapter 8 tests use a third camera instead.)
const TWO_CAMERAS = "--use-fake-device-for-media-stream=device-count=2";

const REFUSED =
  "You did not allow the camera and microphone. Allow them (the icon in the address bar) and reload.";

let server, browser, page;

before(async () => {
  server = await startChapter(7);
  browser = await launchBrowser({ media: true, args: [TWO_CAMERAS] });
  page = await openPage(browser, `${server.url}/`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The tracks that video#myFace shows, as { kind, label, enabled, readyState }. */
const myTracks = (page) =>
  page.evaluate(() =>
    document
      .getElementById("myFace")
      .srcObject.getTracks()
      .map(({ kind, label, enabled, readyState }) => ({ kind, label, enabled, readyState })),
  );

const myTrack = async (page, kind) => (await myTracks(page)).find((track) => track.kind === kind);

test("your own video plays, without sound", async () => {
  await waitUntilPlaying(page, "video#myFace");
  // You should not hear yourself: the element is muted (the track itself stays on).
  assert.equal(await page.$eval("video#myFace", (video) => video.muted), true);
  assert.deepEqual(await myTracks(page), [
    { kind: "audio", label: "Fake Default Audio Input", enabled: true, readyState: "live" },
    { kind: "video", label: "fake_device_0", enabled: true, readyState: "live" },
  ]);
  assert.deepEqual(page.errors, []);
});

test("Mute turns the microphone off, Unmute turns it back on", async () => {
  await page.click("#mute");
  await waitForText(page, "#mute", "Unmute");
  assert.equal((await myTrack(page, "audio")).enabled, false);
  assert.equal((await myTrack(page, "video")).enabled, true);

  await page.click("#mute");
  await waitForText(page, "#mute", "Mute");
  assert.equal((await myTrack(page, "audio")).enabled, true);
  assert.deepEqual(page.errors, []);
});

test("Turn Camera Off turns the camera off, Turn Camera On turns it back on", async () => {
  await page.click("#camera");
  await waitForText(page, "#camera", "Turn Camera On");
  assert.equal((await myTrack(page, "video")).enabled, false);
  assert.equal((await myTrack(page, "audio")).enabled, true);

  await page.click("#camera");
  await waitForText(page, "#camera", "Turn Camera Off");
  assert.equal((await myTrack(page, "video")).enabled, true);
  assert.deepEqual(page.errors, []);
});

test("choosing the other camera switches to it and turns the old one off", async () => {
  // The list is filled once the camera is on (labels are secret until you say yes).
  await page.waitForFunction(() => document.querySelectorAll("#cameras option").length === 2);
  const cameras = await page.locator("#cameras option").allTextContents();
  assert.deepEqual(cameras, ["fake_device_0", "fake_device_1"]);
  const selected = await page.$eval("#cameras", (select) => select.selectedOptions[0].textContent);
  assert.equal(selected, "fake_device_0");

  // Muted before the switch: the new microphone track must stay muted too.
  await page.click("#mute");
  await waitForText(page, "#mute", "Unmute");

  // Keep hold of the old camera track, to look at it once it has been replaced.
  const oldCamera = await page.evaluateHandle(
    () => document.getElementById("myFace").srcObject.getVideoTracks()[0],
  );
  await page.selectOption("#cameras", { label: "fake_device_1" });
  await page.waitForFunction(
    () => document.getElementById("myFace").srcObject.getVideoTracks()[0].label === "fake_device_1",
  );

  assert.equal(await oldCamera.evaluate((track) => track.readyState), "ended"); // its light is off
  assert.deepEqual(await myTracks(page), [
    { kind: "audio", label: "Fake Default Audio Input", enabled: false, readyState: "live" },
    { kind: "video", label: "fake_device_1", enabled: true, readyState: "live" },
  ]);
  await waitUntilPlaying(page, "video#myFace");
  assert.deepEqual(page.errors, []);
});

test("a refused camera is explained in words", async () => {
  // No `--use-fake-ui-for-media-stream` (which says yes to every prompt) and no
  // permissions granted: the browser answers the camera prompt with "no".
  const refusing = await launchBrowser({ args: ["--use-fake-device-for-media-stream"] });
  try {
    const page = await openPage(refusing, `${server.url}/`, { context: { permissions: [] } });
    await waitForText(page, "#problem", REFUSED);
    assert.equal(await page.locator("#problem").isVisible(), true);
    for (const control of ["#mute", "#camera", "#cameras"]) {
      assert.equal(await page.locator(control).isDisabled(), true, `${control} is disabled`);
    }
    assert.equal(await page.$eval("video#myFace", (video) => video.srcObject), null);
    assert.deepEqual(page.errors, []); // the error was handled, not thrown
  } finally {
    await refusing.close();
  }
});
