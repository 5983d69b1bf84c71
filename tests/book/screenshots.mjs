#!/usr/bin/env node
// The README's two pictures of the book: chapter 5 with its first diagram, in English
// and in Korean. Build the book first (`just book-build`), then:
//   node tests/book/screenshots.mjs      writes notes/figures/book-en.png and book-ko.png

import path from "node:path";
import { launchBrowser, root, serveFolder } from "../node/helpers.mjs";

const server = await serveFolder(path.join(root, "target/book"));
const browser = await launchBrowser();
for (const language of ["en", "ko"]) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  await page.goto(`${server.url}/${language}/05-room-chat.html`);
  await page.waitForFunction(() => document.querySelectorAll("pre.mermaid svg").length > 0);
  // The diagram with the paragraph before it.
  await page.evaluate(() => {
    const diagram = document.querySelector("pre.mermaid");
    window.scrollTo(0, diagram.getBoundingClientRect().top + window.scrollY - 260);
  });
  const out = path.join(root, `notes/figures/book-${language}.png`);
  await page.screenshot({ path: out });
  console.log(out);
}
await browser.close();
server.close();
