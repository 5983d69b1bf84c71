// Chapter 1 in a real browser: a form, a link, and a server that forgets you.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage, startChapter } from "../../../tests/node/helpers.mjs";

let server, browser, page;

before(async () => {
  server = await startChapter(1);
  browser = await launchBrowser();
  page = await openPage(browser, `${server.url}/`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const greeting = () => page.locator("#greeting").textContent();

/** Types `name` into the form and waits for the answer to `/?name=...`. */
async function tellTheServer(name) {
  await page.fill("#name", name);
  await page.click("form#visitor button");
  await page.waitForURL((url) => url.searchParams.get("name") === name);
}

test("a newcomer is a stranger until they say their name", async () => {
  assert.equal(await greeting(), "Hello, stranger.");
  assert.notEqual(await page.locator("#answered").textContent(), "", "app.js ran");

  await tellTheServer("Ana");
  assert.equal(await greeting(), "Hello, Ana!");

  // The link has no name in it, and the server kept nothing from the last request.
  await page.click("a#again");
  await page.waitForURL(`${server.url}/`);
  assert.equal(await greeting(), "Hello, stranger.");
  assert.deepEqual(page.errors, []);
});

test("MVP.css is loaded and applied", async () => {
  const css = await page.evaluate(() => {
    const sheet = [...document.styleSheets].find((s) => s.href?.endsWith("/vendor/mvp.css"));
    return {
      rules: sheet?.cssRules.length ?? 0,
      linkColor: getComputedStyle(document.documentElement).getPropertyValue("--color-link").trim(),
      bodyMargin: getComputedStyle(document.body).margin, // Chromium's own default is 8px
    };
  });
  assert.ok(css.rules > 0, "mvp.css is in document.styleSheets, with rules");
  assert.equal(css.linkColor, "#118bee");
  assert.equal(css.bodyMargin, "0px");
});

test("a name written in HTML is shown as text", async () => {
  const name = "<img src=x onerror=alert(1)>";
  await tellTheServer(name);
  assert.equal(await greeting(), `Hello, ${name}!`);
  assert.equal(await page.locator("img").count(), 0);
  assert.deepEqual(page.errors, []);
});

test("an unknown path leads back to the home page", async () => {
  await page.goto(`${server.url}/nowhere`);
  assert.equal(page.url(), `${server.url}/`);
  assert.equal(await greeting(), "Hello, stranger.");
  assert.deepEqual(page.errors, []);
});
