// Starts every chapter exactly as a learner does (`just run chapter-N`) and fetches
// its page.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { freePort, root, startServer } from "./helpers.mjs";

const chapters = readdirSync(path.join(root, "chapters")).sort();

for (const dir of chapters) {
  const number = Number(dir.split("-")[0]);
  test(`just run chapter-${number} serves its page`, async () => {
    // Chapter 10 starts a Redis of its own when none answers at REDIS_URL: give it a
    // free port, so a Redis already running here is left alone.
    const server = await startServer("just", ["run", `chapter-${number}`], {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    });
    try {
      assert.match(server.logs(), /Listening on http:\/\/localhost:\d+/);
      const response = await fetch(`${server.url}/`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
      const html = await response.text();
      assert.match(html, new RegExp(`Chapter ${number}\\b`));
      assert.match(html, /href="\/vendor\/mvp.css"/);
    } finally {
      await server.stop();
    }
  });
}
