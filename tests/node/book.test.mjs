// The course book (`just book-build`): both editions build with no warning, every link
// inside the book leads somewhere, and in a real Chromium, with the network off for the
// page, each chapter loads, each diagram is drawn, the speaker notes open, search finds
// "broadcast" (브로드캐스트 in Korean), and the Korean pages are in Korean.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { launchBrowser, root, serveFolder } from "./helpers.mjs";

const EDITIONS = {
  en: { speakerNotes: "For instructors", search: "broadcast", minutes: /about \d+ minutes/ },
  ko: { speakerNotes: "강사를 위한 노트", search: "브로드캐스트", minutes: /약 \d+분/ },
};

// The chapter pages, in the book's order, from its table of contents.
const pages = [...readFileSync(path.join(root, "notes/SUMMARY.md"), "utf8").matchAll(/\]\(([^)]+)\.md\)/g)]
  .map((m) => (m[1] === "README" ? "index" : m[1]) + ".html");
const chapterPages = pages.filter((page) => /^\d\d-/.test(page));

let out;
let server;
let base;
let browser;

before(async () => {
  out = mkdtempSync(path.join(tmpdir(), "book-"));
  for (const language of Object.keys(EDITIONS)) {
    const build = spawnSync("mdbook", ["build", "--dest-dir", path.join(out, language)], {
      cwd: root,
      env: { ...process.env, MDBOOK_BOOK__LANGUAGE: language },
      encoding: "utf8",
    });
    assert.equal(build.status, 0, `mdbook build (${language}): ${build.error ?? build.stderr}`);
    assert.doesNotMatch(build.stderr, /warn|error/i, `the ${language} edition built with warnings`);
  }
  server = await serveFolder(out);
  base = server.url;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

/** Opens a page of the book with every request off loopback refused and recorded. */
async function open(url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.errors = [];
  page.offline = [];
  page.on("pageerror", (error) => page.errors.push(error.message));
  await context.route("**/*", (route) => {
    const target = new URL(route.request().url());
    if (target.hostname === "127.0.0.1") return route.continue();
    page.offline.push(target.href);
    return route.abort();
  });
  await page.goto(url);
  page.setDefaultTimeout(10_000);
  return page;
}

function htmlFiles(dir) {
  return readdirSync(dir, { recursive: true })
    .filter((name) => name.endsWith(".html"))
    .map((name) => path.join(dir, name));
}

for (const [language, edition] of Object.entries(EDITIONS)) {
  describe(`the ${language} edition`, () => {
    test("every link inside the book leads to a page and a heading that exist", () => {
      const broken = [];
      const dir = path.join(out, language);
      for (const file of htmlFiles(dir)) {
        const html = readFileSync(file, "utf8");
        for (const [, target] of html.matchAll(/<(?:a|img|link|script)\s[^>]*?(?:href|src)="([^"]+)"/g)) {
          if (/^([a-z]+:|\/\/)/i.test(target)) continue; // another site, mailto:
          const [address, fragment] = target.split("#");
          const linked = address ? path.resolve(path.dirname(file), address.split("?")[0]) : file;
          if (!existsSync(linked)) {
            broken.push(`${path.relative(dir, file)}: ${target}`);
          } else if (fragment && linked.endsWith(".html")) {
            const ids = readFileSync(linked, "utf8");
            if (!ids.includes(`id="${decodeURIComponent(fragment)}"`)) broken.push(`${path.relative(dir, file)}: ${target} (no such heading)`);
          }
        }
      }
      assert.deepEqual(broken, []);
    });

    test("each chapter loads offline, its diagrams are drawn and its speaker notes open", async () => {
      for (const name of chapterPages) {
        const page = await open(`${base}/${language}/${name}`);
        assert.equal(await page.getAttribute("html", "lang"), language);
        const diagrams = await page.locator("pre.mermaid").count();
        // mermaid replaces each block's text with an SVG picture.
        await page.waitForFunction(
          (n) => document.querySelectorAll("pre.mermaid svg").length === n,
          diagrams,
        );
        const notes = page.locator("details.speaker-notes");
        assert.equal(await notes.count(), 1, `${name}: speaker notes`);
        assert.equal(await notes.getAttribute("open"), null, `${name}: speaker notes are folded at first`);
        const summary = await notes.locator("summary").innerText();
        assert.ok(summary.includes(edition.speakerNotes), `${name}: ${summary}`);
        assert.match(summary, edition.minutes);
        await notes.locator("summary").click();
        await page.waitForFunction(() => document.querySelector("details.speaker-notes").open);
        assert.ok(await notes.locator("li").first().isVisible());
        assert.deepEqual(page.errors, [], `${name}: errors in the page`);
        assert.deepEqual(page.offline, [], `${name}: asked the network`);
        await page.context().close();
      }
    });

    test(`search finds "${edition.search}"`, async () => {
      const page = await open(`${base}/${language}/index.html`);
      await page.click("#mdbook-search-toggle");
      // mdBook searches on keyup: type the word as a reader would.
      await page.locator("#mdbook-searchbar").pressSequentially(edition.search);
      // Hangul arrives as text input with no key events (a Korean keyboard's IME sends
      // them); one key press stands in for them.
      await page.locator("#mdbook-searchbar").press("End");
      await page.waitForFunction(() => document.querySelectorAll("#mdbook-searchresults li").length > 0);
      const first = await page.locator("#mdbook-searchresults li").first().innerText();
      assert.ok(first.toLowerCase().includes(edition.search), first);
      await page.context().close();
    });
  });
}

test("the Korean pages are in Korean, not the English fallback", async () => {
  // notes/figures/ holds the load generator's tables, shown as it writes them.
  for (const name of pages.filter((page) => !page.startsWith("figures/"))) {
    const page = await open(`${base}/ko/${name}`);
    // The prose only: code stays as it is in both editions.
    const text = await page.evaluate(() => {
      const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
      let prose = "";
      while (walker.nextNode()) {
        if (!walker.currentNode.parentElement.closest("pre, code, .edition-switch")) prose += walker.currentNode.textContent;
      }
      return prose;
    });
    const copy = text.replace(/\s+/g, "");
    const hangul = (copy.match(/[\uac00-\ud7a3]/g) ?? []).length;
    const latin = (copy.match(/[A-Za-z]/g) ?? []).length;
    // A Hangul letter is a syllable, worth about three Latin letters.
    assert.ok(hangul * 3 > latin, `${name}: ${hangul} Hangul letters against ${latin} Latin ones`);
    await page.context().close();
  }
});
