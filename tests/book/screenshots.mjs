#!/usr/bin/env node
// The README's two pictures of the book: chapter 5 with its first diagram, in English
// and in Korean. Build the book first (`just book-build`), then:
//   node tests/book/screenshots.mjs      writes notes/figures/book-en.png and book-ko.png

import { createServer } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { launchBrowser, root } from "../node/helpers.mjs";

const book = path.join(root, "target/book");
const server = createServer((request, response) => {
  const file = path.join(book, decodeURIComponent(new URL(request.url, "http://book").pathname));
  if (!file.startsWith(book) || !existsSync(file)) return response.writeHead(404).end();
  response.writeHead(200, file.endsWith(".html") ? { "content-type": "text/html; charset=utf-8" } : {});
  response.end(readFileSync(file));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const browser = await launchBrowser();
for (const language of ["en", "ko"]) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  await page.goto(`http://127.0.0.1:${server.address().port}/${language}/05-room-chat.html`);
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
