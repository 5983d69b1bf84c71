// Chapter 10's launcher: `chapter-10` with no argument, as `just run chapter-10` runs it,
// starts Redis (if none answers at REDIS_URL) and two servers, and stops what it
// started. Each test starts the launcher in a process group of its own; the one that
// finds a Redis already running uses a redis-server of the file's own (two-servers.mjs).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { freePort, root } from "../../../tests/node/helpers.mjs";
import { call, clients, eventually, next } from "../../../tests/node/sio-helpers.mjs";
import { BINARY, redisAnswers, startRedis, tcpAnswers } from "./two-servers.mjs";

let redis;

before(async () => {
  redis = await startRedis();
});

after(async () => {
  await redis?.stop();
});

describe("the launcher: chapter-10 starts Redis (if needed) and two servers", () => {
  /**
   * Starts `chapter-10` with no argument, in a process group of its own. The returned
   * child has `output()`, `waitFor(regex)` and `closed` (resolves [code, signal]).
   */
  function launch(t, env) {
    const child = spawn(BINARY, [], {
      cwd: root,
      env: { ...process.env, RUST_LOG: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    const listeners = new Set();
    const collect = (chunk) => {
      output += chunk;
      for (const listener of listeners) listener();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    let spawnError;
    child.once("error", (error) => (spawnError = error));
    child.closed = new Promise((resolve) => child.once("close", (code, signal) => resolve([code, signal])));
    child.output = () => output;
    child.waitFor = (regex, ms = 15_000) =>
      new Promise((resolve, reject) => {
        const look = () => {
          const match = output.match(regex);
          if (match) {
            finish();
            resolve(match);
          }
        };
        const finish = () => {
          clearTimeout(timer);
          listeners.delete(look);
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no ${regex} within ${ms} ms:\n${output}`));
        }, ms);
        listeners.add(look);
        child.closed.then(([code, signal]) => {
          look();
          finish();
          reject(new Error(`exited (${code ?? signal}) without ${regex}:\n${output}${spawnError ?? ""}`));
        });
        look();
      });
    t.after(async () => {
      // Whatever happened, leave nothing running.
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    });
    return child;
  }

  /** True once no process is left in the process group `pgid`. */
  function groupGone(pgid) {
    try {
      process.kill(-pgid, 0);
      return false;
    } catch (error) {
      return error.code === "ESRCH";
    }
  }

  /** Resolves with what `promise` resolves with, or fails after `ms`. */
  function within(promise, ms, what) {
    let timer;
    return Promise.race([
      promise,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** The two servers' ports, from the "[A] Listening on ..." and "[B] Listening on ..." lines. */
  async function servers(launcher) {
    const [, a] = await launcher.waitFor(/^\[A\] Listening on http:\/\/localhost:(\d+)$/m);
    const [, b] = await launcher.waitFor(/^\[B\] Listening on http:\/\/localhost:(\d+)$/m);
    const ports = { A: Number(a), B: Number(b) };
    assert.notEqual(ports.A, ports.B);
    assert.equal((launcher.output().match(/Listening on/g) ?? []).length, 2, launcher.output());
    return ports;
  }

  /** Both servers serve their page, and share a room through Redis. */
  async function checkServers(t, ports) {
    for (const [name, port] of Object.entries(ports)) {
      const response = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
      const html = await response.text();
      assert.match(html, /Chapter 10\b/);
      assert.match(html, new RegExp(`this is server ${name};`));
    }
    const { person } = clients(t);
    const ana = await person({ url: `http://127.0.0.1:${ports.A}`, name: "A" }, "Ana");
    const bea = await person({ url: `http://127.0.0.1:${ports.B}`, name: "B" }, "Bea");
    assert.deepEqual(await call(ana, "enter_room", "launched"), ["launched", 1]);
    assert.deepEqual(await call(bea, "enter_room", "launched"), ["launched", 2]);
    assert.deepEqual(await next(ana, "welcome"), ["Bea", 2]);
    await call(bea, "new_message", "through the launcher's Redis", "launched");
    assert.deepEqual(await next(ana, "new_message"), ["Bea: through the launcher's Redis"]);
    ana.disconnect();
    bea.disconnect();
  }

  /** Nothing answers any more on the servers' ports nor on Redis's. */
  async function checkAllStopped(launcher, ports, redisPort) {
    await eventually(() => groupGone(launcher.pid), "every process of the launcher's group to end");
    for (const [name, port] of Object.entries(ports)) {
      assert.equal(await tcpAnswers(port), false, `server ${name} still answers on ${port}`);
    }
    assert.equal(await redisAnswers(redisPort), false, `Redis still answers on ${redisPort}`);
    assert.equal(await tcpAnswers(redisPort), false, `something still listens on Redis's port ${redisPort}`);
  }

  for (const [how, stop] of [
    ["SIGTERM to its process group", (pid) => process.kill(-pid, "SIGTERM")],
    ["Ctrl-C (SIGINT to its process group)", (pid) => process.kill(-pid, "SIGINT")],
    ["SIGTERM to the launcher alone", (pid) => process.kill(pid, "SIGTERM")],
  ]) {
    test(`no Redis at REDIS_URL: it starts one and two servers; ${how} stops all three`, async (t) => {
      const redisPort = await freePort();
      assert.equal(await tcpAnswers(redisPort), false);
      const launcher = launch(t, { PORT: "0", REDIS_URL: `redis://127.0.0.1:${redisPort}` });
      const [, startedOn] = await launcher.waitFor(/Redis: started redis-server on port (\d+)/);
      assert.equal(Number(startedOn), redisPort);
      const ports = await servers(launcher);
      assert.equal(await redisAnswers(redisPort), true);
      await checkServers(t, ports);

      stop(launcher.pid);
      const [code, signal] = await within(launcher.closed, 10_000, "the launcher to exit");
      assert.deepEqual([code, signal], [0, null], launcher.output());
      assert.match(launcher.output(), /^Stopped the Redis that was started for this chapter\.$/m);
      await checkAllStopped(launcher, ports, redisPort);
    });
  }

  test("a Redis already at REDIS_URL is used, and left running when the launcher stops", async (t) => {
    const launcher = launch(t, { PORT: "0", REDIS_URL: redis.url });
    await launcher.waitFor(new RegExp(`^Redis: using the one at ${redis.url.replaceAll(".", "\\.")}$`, "m"));
    const ports = await servers(launcher);
    await checkServers(t, ports);
    process.kill(-launcher.pid, "SIGTERM");
    const [code, signal] = await within(launcher.closed, 10_000, "the launcher to exit");
    assert.deepEqual([code, signal], [0, null], launcher.output());
    assert.doesNotMatch(launcher.output(), /Redis: started|Stopped the Redis/);
    await eventually(() => groupGone(launcher.pid), "every process of the launcher's group to end");
    for (const port of Object.values(ports)) assert.equal(await tcpAnswers(port), false);
    // Ours still answers.
    assert.equal(await redisAnswers(redis.port), true);
  });

  test("without redis-server on PATH it exits non-zero and tells how to install Redis", async (t) => {
    const redisPort = await freePort();
    const launcher = launch(t, { PATH: "/nonexistent", PORT: "0", REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    const [code, signal] = await within(launcher.closed, 10_000, "the launcher to exit");
    const output = launcher.output();
    assert.equal(signal, null);
    assert.notEqual(code, 0, output);
    assert.match(output, new RegExp(`No Redis answers at redis://127\\.0\\.0\\.1:${redisPort}, and redis-server is not installed\\.`));
    assert.match(output, /Install Redis 7 or newer/);
    assert.match(output, /sudo apt-get install redis-server/);
    assert.match(output, /brew install redis/);
    assert.doesNotMatch(output, /Listening on/);
    assert.equal(await tcpAnswers(redisPort), false);
    await eventually(() => groupGone(launcher.pid), "every process of the launcher's group to end");
  });
});
