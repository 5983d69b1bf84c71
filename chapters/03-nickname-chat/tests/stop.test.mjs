// Chapter 3 stopped with SIGTERM (as `kill` or Ctrl-C does): every open WebSocket gets a
// close frame 1001, "going away", before the process exits, not a cut connection (1006).
import assert from "node:assert/strict";
import { test } from "node:test";
import WebSocket from "ws";
import { startChapter } from "../../../tests/node/helpers.mjs";

test("SIGTERM sends every WebSocket a close frame 1001", async () => {
  const server = await startChapter(3);
  try {
    const sockets = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise((resolve, reject) => {
            const socket = new WebSocket(`ws://127.0.0.1:${server.port}/`);
            socket.on("open", () => resolve(socket));
            socket.on("error", reject);
          }),
      ),
    );
    const closes = sockets.map(
      (socket) => new Promise((resolve) => socket.on("close", (code) => resolve(code))),
    );
    const started = Date.now();
    await server.stop();
    const codes = await Promise.all(closes);
    assert.deepEqual(codes, [1001, 1001, 1001], server.logs());
    assert.ok(Date.now() - started < 5000, "the stop took longer than 5 s");
  } finally {
    await server.stop();
  }
});
