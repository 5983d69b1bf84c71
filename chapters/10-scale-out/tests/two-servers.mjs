// What chapter 10's Node tests share (client.test.mjs, page.test.mjs, launcher.test.mjs):
// the chapter's binary, a redis-server of the test's own, and two `chapter-10 serve`
// processes (server A and server B) that share their rooms through it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { connect as tcpConnect } from "node:net";
import { after, before } from "node:test";
import { chapterBinary, freePort, startServer } from "../../../tests/node/helpers.mjs";
import { eventually } from "../../../tests/node/sio-helpers.mjs";

/** The chapter's binary: `chapter-10` starts Redis and two servers, `chapter-10 serve` one server. */
export const BINARY = chapterBinary(10);

/** Resolves true if something accepts a TCP connection on 127.0.0.1:`port`. */
export function tcpAnswers(port, ms = 1_000) {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    const done = (answer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), ms);
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** Resolves true if a Redis on 127.0.0.1:`port` answers PING with +PONG. */
export function redisAnswers(port, ms = 1_000) {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port });
    let reply = "";
    const done = (answer) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), ms);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk;
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
    socket.once("error", () => done(false));
    socket.once("close", () => done(false));
  });
}

/** Starts a redis-server of our own on a free port and waits until it answers PING. */
export async function startRedis() {
  const port = await freePort();
  assert.equal(await tcpAnswers(port), false, `port ${port} should be free for Redis`);
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  let failed;
  child.once("error", (error) => (failed = error));
  const closed = new Promise((resolve) => child.once("close", resolve));
  await eventually(
    async () => {
      if (failed) throw new Error(`cannot start redis-server: ${failed.message}`);
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}:\n${output}`);
      return redisAnswers(port);
    },
    `redis-server to answer on port ${port}`,
  );
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await closed;
    },
  };
}

/**
 * For a test file: a Redis of its own and two `chapter-10 serve` processes on it,
 * started before its tests and stopped after them. Returns an object whose `a` and `b`
 * (servers, with `url` and `name`) and `redis` are set once `before` has run.
 */
export function twoServers() {
  const shared = {};
  before(async () => {
    shared.redis = await startRedis();
    [shared.a, shared.b] = await Promise.all(
      ["A", "B"].map((name) =>
        startServer(BINARY, ["serve"], { PORT: "0", SERVER_NAME: name, REDIS_URL: shared.redis.url }),
      ),
    );
    shared.a.name = "A";
    shared.b.name = "B";
  });
  after(async () => {
    await Promise.all([shared.a?.stop(), shared.b?.stop()]);
    await shared.redis?.stop();
  });
  return shared;
}
