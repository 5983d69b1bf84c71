// Chapter 10's launcher: `chapter-10` with no argument, as `just run chapter-10` runs it,
// starts Redis (if none answers at REDIS_URL) and two servers, and stops what it
// started. Each test starts the launcher in a process group of its own; the one that
// finds a Redis already running uses a redis-server of the file's own (two-servers.mjs).
// The launcher also looks after what it started: a server or the Redis that stops is
// reported, waited for (no zombie) and started again, while the rest goes on.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once as onceEvent } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, connect as tcpConnect } from "node:net";
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

  /** Two ports in a row that are free right now: PORT for server A, PORT + 1 for B. */
  async function freePortPair() {
    for (let tries = 0; tries < 20; tries++) {
      const port = await freePort();
      if (port < 65535 && !(await tcpAnswers(port + 1))) return port;
    }
    throw new Error("found no two free ports in a row");
  }

  /** True once no process `pid` exists, not even as a zombie (signal 0 reaches zombies). */
  function gone(pid) {
    try {
      process.kill(pid, 0);
      return false;
    } catch (error) {
      return error.code === "ESRCH";
    }
  }

  /** The pids of `parent`'s children that have exited but were never waited for (state Z). */
  function zombieChildren(parent) {
    const zombies = [];
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue; // ended meanwhile
      }
      // "pid (name) state ppid ...": the name may hold spaces, so read after its ")".
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state === "Z" && Number(ppid) === parent) zombies.push(Number(entry));
    }
    return zombies;
  }

  /** How many clients of the Redis on `port` are subscribed to `channel` (PUBSUB NUMSUB). */
  function subscribers(port, channel) {
    return new Promise((resolve) => {
      const socket = tcpConnect({ host: "127.0.0.1", port });
      let reply = "";
      const done = (answer) => {
        clearTimeout(timer);
        socket.destroy();
        resolve(answer);
      };
      const timer = setTimeout(() => done(0), 1_000);
      socket.once("connect", () => socket.write(`PUBSUB NUMSUB ${channel}\r\n`));
      socket.on("data", (chunk) => {
        reply += chunk;
        // *2 $<length> <channel> :<count>
        const number = reply.match(/\r\n:(\d+)\r\n/);
        if (number) done(Number(number[1]));
      });
      socket.once("error", () => done(0));
    });
  }

  /** How many lines of the launcher's output match `regex` (with the g and m flags). */
  const count = (launcher, regex) => (launcher.output().match(regex) ?? []).length;

  /** SIGTERM to the launcher alone: it exits 0, and stops everything it started. */
  async function stopLauncher(launcher, ports, redisPort) {
    process.kill(launcher.pid, "SIGTERM");
    const [code, signal] = await within(launcher.closed, 10_000, "the launcher to exit");
    assert.deepEqual([code, signal], [0, null], launcher.output());
    assert.deepEqual(zombieChildren(launcher.pid), []);
    await checkAllStopped(launcher, ports, redisPort);
  }

  test("server B killed: A goes on serving its clients, and the launcher restarts B on its port", async (t) => {
    const port = await freePortPair();
    const redisPort = await freePort();
    const launcher = launch(t, { PORT: String(port), REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    const ports = await servers(launcher);
    assert.deepEqual(ports, { A: port, B: port + 1 });
    const [, pid] = await launcher.waitFor(/^Started server B \(pid (\d+)\)\.$/m);
    const { person } = clients(t);
    const A = { url: `http://127.0.0.1:${ports.A}`, name: "A" };
    const ana = await person(A, "Ana");
    assert.deepEqual(await call(ana, "enter_room", "kitchen"), ["kitchen", 1]);

    process.kill(Number(pid), "SIGKILL");
    await launcher.waitFor(
      new RegExp(`^Server B \\(pid ${pid}\\) stopped \\(signal: 9 \\(SIGKILL\\)\\); restarting it in 1 s`, "m"),
    );
    assert.equal(launcher.exitCode, null, launcher.output());
    assert.equal(await tcpAnswers(ports.B), false, "B should be down for now");
    // On A, the client that was there and a new one are served as before.
    const amy = await person(A, "Amy");
    assert.deepEqual(await call(amy, "enter_room", "kitchen"), ["kitchen", 2]);
    assert.deepEqual(await next(ana, "welcome"), ["Amy", 2]);
    await call(ana, "new_message", "B is down, A is not", "kitchen");
    assert.deepEqual(await next(amy, "new_message"), ["Ana: B is down, A is not"]);

    // B again, a new process on the same port, sharing rooms with A through Redis.
    await eventually(() => count(launcher, /^Started server B/gm) === 2, "B to be started again");
    const again = launcher.output().match(/^Started server B \(pid (\d+)\)\.$/gm).at(-1);
    assert.doesNotMatch(again, new RegExp(`\\(pid ${pid}\\)`));
    await eventually(() => count(launcher, new RegExp(`^\\[B\\] Listening on http://localhost:${ports.B}$`, "gm")) === 2, "B to listen again");
    await checkServers(t, ports);
    assert.equal(count(launcher, /^Started server A/gm), 1, "A was never restarted");
    await stopLauncher(launcher, ports, redisPort);
  });

  test("the Redis it started, killed: reaped (no zombie), reported, started again; the servers share rooms again", async (t) => {
    const redisPort = await freePort();
    const launcher = launch(t, { PORT: "0", REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    const [, pid] = await launcher.waitFor(/^Redis: started redis-server on port \d+ \(pid (\d+);/m);
    const ports = await servers(launcher);

    process.kill(Number(pid), "SIGKILL");
    await launcher.waitFor(
      new RegExp(`^Redis \\(pid ${pid}\\) stopped \\(signal: 9 \\(SIGKILL\\)\\); restarting it in 1 s`, "m"),
    );
    // Waited for: gone from the process table, not left as a zombie of the launcher.
    await eventually(() => gone(Number(pid)), `redis-server (pid ${pid}) to be reaped`);
    assert.deepEqual(zombieChildren(launcher.pid), []);

    const [, again] = await launcher.waitFor(new RegExp(`^Started redis-server on port ${redisPort} \\(pid (\\d+)\\)\\.$`, "m"));
    assert.notEqual(again, pid);
    await eventually(() => redisAnswers(redisPort), "the new Redis to answer");
    // The servers reconnect by themselves (their watch loop), subscribe again (both
    // listen on the namespace's request channel), and share rooms again.
    await launcher.waitFor(/^\[A\] .*Redis is back/m);
    await launcher.waitFor(/^\[B\] .*Redis is back/m);
    await eventually(async () => (await subscribers(redisPort, "socket.io-request#/#")) === 2, "both servers to subscribe again");
    // Then a size counted on B includes a person on A again (it may take a few tries).
    const { person } = clients(t);
    const ana = await person({ url: `http://127.0.0.1:${ports.A}`, name: "A" }, "Ana");
    assert.deepEqual(await call(ana, "enter_room", "probe"), ["probe", 1]);
    const back = Date.now();
    await eventually(
      async () => {
        const bea = await person({ url: `http://127.0.0.1:${ports.B}`, name: "B" }, "Bea");
        const [, size] = await call(bea, "enter_room", "probe");
        bea.disconnect();
        return size === 2;
      },
      "B to count A's people again",
      10_000,
    );
    t.diagnostic(`B counted A's people again ${Date.now() - back} ms after the subscriptions`);
    ana.disconnect();
    await checkServers(t, ports);
    assert.equal(count(launcher, /^Started server/gm), 2, "no server was restarted");
    await stopLauncher(launcher, ports, redisPort);
  });

  test("a server that cannot start (its port taken) is given up after 5 restarts; A serves on", async (t) => {
    const port = await freePortPair();
    const redisPort = await freePort();
    const squatter = createServer();
    squatter.listen(port + 1, "127.0.0.1");
    await onceEvent(squatter, "listening");
    t.after(() => squatter.close());
    const launcher = launch(t, { PORT: String(port), REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    await launcher.waitFor(new RegExp(`^\\[A\\] Listening on http://localhost:${port}$`, "m"));
    await launcher.waitFor(/^Server B \(pid \d+\) stopped \(exit status: 1\) after 5 restarts in 60 s: giving up on it\.$/m, 20_000);
    assert.equal(count(launcher, /^Started server B/gm), 6, launcher.output()); // the start, and 5 restarts
    assert.equal(count(launcher, /^\[B\] Port \d+ is already in use/gm), 6, launcher.output());
    assert.equal(launcher.exitCode, null, launcher.output());
    const { person } = clients(t);
    const ana = await person({ url: `http://127.0.0.1:${port}`, name: "A" }, "Ana");
    assert.deepEqual(await call(ana, "enter_room", "alone"), ["alone", 1]);
    ana.disconnect();
    squatter.close();
    await stopLauncher(launcher, { A: port, B: port + 1 }, redisPort);
  });
});
