// Chapter 10: the room chat of chapter 6, run as two server processes (A and B) that
// share their rooms through Redis. The protocol is chapter 6's:
//
//   nickname(name[, done(saved)]), enter_room(name, done(name, size)),
//   new_message(text, room, done()) → the others in the room get new_message("nick: text");
//   welcome(nick, size) and bye(nick, size) to the others in the room; room_change(rooms)
//   to everyone (also right after connecting); error("event: reason") for bad input.
//
// `before` starts a redis-server of our own on a free port and two `chapter-10 serve`
// processes on it; the Socket.IO client and Chromium tests share them (each test uses
// its own room names). The launcher tests start `chapter-10` with no argument, as
// `just run chapter-10` does, each with its own Redis port. The Socket.IO client
// helpers (clients, next, until, silence, call ...) are in sio-helpers.mjs.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { connect as tcpConnect } from "node:net";
import { after, before, describe, test } from "node:test";
import {
  chapterBinary,
  freePort,
  launchBrowser,
  openPage,
  roomChat,
  root,
  startServer,
  waitForText,
} from "../../../tests/node/helpers.mjs";
import { PATIENCE, call, clients, eventually, killTransport, next, silence, until, upgraded } from "../../../tests/node/sio-helpers.mjs";

/** The chapter's binary: `chapter-10` starts Redis and two servers, `chapter-10 serve` one server. */
const BINARY = chapterBinary(10);

let redis, redisUrl, serverA, serverB;

before(async () => {
  const port = await freePort();
  redisUrl = `redis://127.0.0.1:${port}`;
  redis = await startRedis(port);
  [serverA, serverB] = await Promise.all(
    ["A", "B"].map((name) =>
      startServer(BINARY, ["serve"], { PORT: "0", SERVER_NAME: name, REDIS_URL: redisUrl }),
    ),
  );
  serverA.name = "A";
  serverB.name = "B";
});

after(async () => {
  await Promise.all([serverA?.stop(), serverB?.stop()]);
  await redis?.stop();
});

// ---------------------------------------------------------------------------------------
// Redis and TCP

/** Resolves true if something accepts a TCP connection on 127.0.0.1:`port`. */
function tcpAnswers(port, ms = 1_000) {
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
function redisAnswers(port, ms = 1_000) {
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

/** Starts a redis-server of our own on `port` and waits until it answers PING. */
async function startRedis(port) {
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
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await closed;
    },
  };
}

// ---------------------------------------------------------------------------------------
// The official Socket.IO client, one client on each server

describe("chapter 10 with the Socket.IO client: server A and server B share their rooms", () => {
  test("a client on A and a client on B: one room, sizes of both servers, messages both ways, room_change", async (t) => {
    const { person } = clients(t);
    const ana = await person(serverA, "Ana");
    const bea = await person(serverB, "Bea");
    // Right after connecting, each gets the open rooms: none yet, on either server.
    assert.deepEqual(await next(ana, "room_change"), [[]]);
    assert.deepEqual(await next(bea, "room_change"), [[]]);

    assert.deepEqual(await call(ana, "enter_room", "harbor"), ["harbor", 1]);
    // A room opened on A is in B's list too.
    for (const socket of [ana, bea]) await until(socket, "room_change", [["harbor"]]);
    // The second joiner, on the other server, counts both.
    assert.deepEqual(await call(bea, "enter_room", "harbor"), ["harbor", 2]);
    assert.deepEqual(await next(ana, "welcome"), ["Bea", 2]);

    // Messages cross the servers both ways (what the callback gets: a test of its own).
    await call(bea, "new_message", "hello from B", "harbor");
    assert.deepEqual(await next(ana, "new_message"), ["Bea: hello from B"]);
    await call(ana, "new_message", "hello from A", "harbor");
    assert.deepEqual(await next(bea, "new_message"), ["Ana: hello from A"]);
    // A rename on B shows in the next message on A.
    assert.deepEqual(await call(bea, "nickname", "Beatrix"), ["Beatrix"]);
    await call(bea, "new_message", "renamed", "harbor");
    assert.deepEqual(await next(ana, "new_message"), ["Beatrix: renamed"]);

    // A room opened on B joins the list on both servers, sorted by name.
    assert.deepEqual(await call(bea, "enter_room", "attic"), ["attic", 1]);
    for (const socket of [ana, bea]) await until(socket, "room_change", [["attic", "harbor"]]);
    // Entering a room again: the callback with the size of both servers, no second welcome.
    assert.deepEqual(await call(bea, "enter_room", "harbor"), ["harbor", 2]);
    // The attic did not reach the harbor, and nobody heard their own message.
    await silence([ana, bea], ["welcome", "new_message", "bye", "error"]);

    // A third client on A: the room counts three, on both servers.
    const cy = await person(serverA, "Cy");
    assert.deepEqual(await next(cy, "room_change"), [["attic", "harbor"]]);
    assert.deepEqual(await call(cy, "enter_room", "harbor"), ["harbor", 3]);
    assert.deepEqual(await next(ana, "welcome"), ["Cy", 3]);
    assert.deepEqual(await next(bea, "welcome"), ["Cy", 3]);
    await call(cy, "new_message", "three of us", "harbor");
    assert.deepEqual(await next(ana, "new_message"), ["Cy: three of us"]);
    assert.deepEqual(await next(bea, "new_message"), ["Cy: three of us"]);

    // Bea's tab closes on B (the transport closes, as a browser's does): the others on A
    // hear bye with the new size. (A clean socket.disconnect(): a test of its own.)
    bea.io.engine.close();
    assert.deepEqual(await next(ana, "bye"), ["Beatrix", 2]);
    assert.deepEqual(await next(cy, "bye"), ["Beatrix", 2]);
    // The attic closed with Bea; the harbor stays open.
    for (const socket of [ana, cy]) await until(socket, "room_change", [["harbor"]]);
    await silence([ana, cy], ["bye", "error"]);
  });

  test("the callback of new_message gets no arguments, as done() in the course", async (t) => {
    // As chapters 5 and 6 (see socketio-client.test.mjs): the course calls done().
    const { person } = clients(t);
    const ana = await person(serverA, "Ana");
    const bea = await person(serverB, "Bea");
    await call(ana, "enter_room", "noargs");
    await call(bea, "enter_room", "noargs");
    const [fromA, fromB] = await Promise.all([
      call(ana, "new_message", "hello", "noargs"),
      call(bea, "new_message", "hello", "noargs"),
    ]);
    assert.deepEqual(await next(bea, "new_message"), ["Ana: hello"]);
    assert.deepEqual(await next(ana, "new_message"), ["Bea: hello"]);
    assert.deepEqual({ fromA, fromB }, { fromA: [], fromB: [] });
  });

  test("clients that vanish on B (process killed, engine closed, transport killed) say bye on A", async (t) => {
    const { person, otherProcess } = clients(t);
    const watcher = await person(serverA, "Watcher"); // in no room
    const ana = await person(serverA, "Ana");
    const bea = await person(serverB, "Bea");
    assert.deepEqual(await call(ana, "enter_room", "dock"), ["dock", 1]);
    // Once B lists the room, Ana's welcome is behind us (see the test of stale broadcasts).
    await until(bea, "room_change", [["dock"]]);
    assert.deepEqual(await call(bea, "enter_room", "dock"), ["dock", 2]);
    assert.deepEqual(await next(ana, "welcome"), ["Bea", 2]);

    // A client in a process of its own on B, killed with SIGKILL.
    const kid = await otherProcess(serverB, "Kid", ["dock"]);
    assert.deepEqual(await next(ana, "welcome"), ["Kid", 3]);
    assert.deepEqual(await next(bea, "welcome"), ["Kid", 3]);
    kid.kill("SIGKILL");
    assert.deepEqual(await next(ana, "bye"), ["Kid", 2]);
    assert.deepEqual(await next(bea, "bye"), ["Kid", 2]);

    // A client on B whose transport dies without a goodbye.
    const kil = await person(serverB, "Kil");
    assert.deepEqual(await call(kil, "enter_room", "dock"), ["dock", 3]);
    assert.deepEqual(await next(ana, "welcome"), ["Kil", 3]);
    assert.deepEqual(await next(bea, "welcome"), ["Kil", 3]);
    killTransport(kil);
    assert.deepEqual(await next(ana, "bye"), ["Kil", 2]);
    assert.deepEqual(await next(bea, "bye"), ["Kil", 2]);

    // Bea's engine closes abruptly on B: Ana on A is alone.
    bea.io.engine.close();
    assert.deepEqual(await next(ana, "bye"), ["Bea", 1]);

    // The vanished ones are not counted any more: a newcomer on B makes two.
    const cy = await person(serverB, "Cy");
    assert.deepEqual(await call(cy, "enter_room", "dock"), ["dock", 2]);
    assert.deepEqual(await next(ana, "welcome"), ["Cy", 2]);
    // And the other way round: Ana vanishes on A, Cy on B hears it.
    ana.io.engine.close();
    assert.deepEqual(await next(cy, "bye"), ["Ana", 1]);
    await until(watcher, "room_change", [["dock"]]);
    // The last one out closes the room, in every list.
    cy.disconnect();
    await until(watcher, "room_change", [[]]);
    await silence([watcher], ["welcome", "bye", "new_message", "error"]);
  });

  test("a clean disconnect (socket.disconnect()) says bye to the room on the other server, every time", async (t) => {
    // socket.disconnect() sends a Socket.IO "disconnect" packet, then closes the
    // transport. Sixty people, one after the other, alternately on B and A, enter a room with
    // Ana (on A) and Bo (on B), and leave that way: each one must be heard leaving.
    const { person } = clients(t);
    const ana = await person(serverA, "Ana");
    const bo = await person(serverB, "Bo");
    assert.deepEqual(await call(ana, "enter_room", "porch"), ["porch", 1]);
    await until(bo, "room_change", [["porch"]]);
    assert.deepEqual(await call(bo, "enter_room", "porch"), ["porch", 2]);
    assert.deepEqual(await next(ana, "welcome"), ["Bo", 2]);
    const missing = [];
    for (let i = 0; i < 60; i += 1) {
      const server = i % 2 === 0 ? serverB : serverA;
      const guest = await person(server, `G${i}${server.name}`);
      assert.deepEqual(await call(guest, "enter_room", "porch"), ["porch", 3]);
      // A second room, as in the page's list: the bye must reach the porch all the same.
      assert.deepEqual(await call(guest, "enter_room", `side${i}`), [`side${i}`, 1]);
      // (until, not next: a stale welcome is a test of its own.)
      for (const socket of [ana, bo]) await until(socket, "welcome", [guest.name, 3]);
      guest.disconnect();
      const heard = await Promise.allSettled([ana, bo].map((socket) => next(socket, "bye", () => true, 1_500)));
      const byes = heard.map((result) => (result.status === "fulfilled" ? result.value : "nothing"));
      if (JSON.stringify(byes) !== JSON.stringify([[guest.name, 2], [guest.name, 2]])) {
        missing.push(`${guest.name}: Ana and Bo heard ${JSON.stringify(byes)}`);
      }
    }
    assert.deepEqual(missing, [], "heard arriving, not heard leaving (bye(nick, 2) expected)");
    // What the room counts afterwards: still the two of them.
    const cy = await person(serverB, "Cy");
    assert.deepEqual(await call(cy, "enter_room", "porch"), ["porch", 3]);
  });

  test("default transports (long polling, then WebSocket) work on both servers", async (t) => {
    const { person } = clients(t);
    const ana = await person(serverA, "Ana", { transports: "default" });
    const bea = await person(serverB, "Bea", { transports: "default" });
    assert.equal(ana.firstTransport, "polling");
    assert.equal(bea.firstTransport, "polling");
    assert.deepEqual(await call(ana, "enter_room", "pier"), ["pier", 1]);
    await until(bea, "room_change", [["pier"]]);
    assert.deepEqual(await call(bea, "enter_room", "pier"), ["pier", 2]);
    assert.deepEqual(await next(ana, "welcome"), ["Bea", 2]);
    await call(ana, "new_message", "from A", "pier");
    assert.deepEqual(await next(bea, "new_message"), ["Ana: from A"]);
    await call(bea, "new_message", "from B", "pier");
    assert.deepEqual(await next(ana, "new_message"), ["Bea: from B"]);

    // Both upgrade to WebSocket, and chat on.
    await upgraded(ana);
    await upgraded(bea);
    await call(ana, "new_message", "A upgraded", "pier");
    assert.deepEqual(await next(bea, "new_message"), ["Ana: A upgraded"]);
    await call(bea, "new_message", "B upgraded", "pier");
    assert.deepEqual(await next(ana, "new_message"), ["Bea: B upgraded"]);

    // Long polling only, all the way, on each server.
    const cy = await person(serverA, "Cy", { transports: ["polling"] });
    const dan = await person(serverB, "Dan", { transports: ["polling"] });
    assert.deepEqual(await call(cy, "enter_room", "pier"), ["pier", 3]);
    assert.deepEqual(await next(ana, "welcome"), ["Cy", 3]);
    assert.deepEqual(await next(bea, "welcome"), ["Cy", 3]);
    assert.deepEqual(await call(dan, "enter_room", "pier"), ["pier", 4]);
    assert.deepEqual(await next(ana, "welcome"), ["Dan", 4]);
    assert.deepEqual(await next(bea, "welcome"), ["Dan", 4]);
    assert.deepEqual(await next(cy, "welcome"), ["Dan", 4]);
    await call(cy, "new_message", "polling on A", "pier");
    for (const socket of [ana, bea, dan]) assert.deepEqual(await next(socket, "new_message"), ["Cy: polling on A"]);
    await call(dan, "new_message", "polling on B", "pier");
    for (const socket of [ana, bea, cy]) assert.deepEqual(await next(socket, "new_message"), ["Dan: polling on B"]);
    assert.equal(cy.io.engine.transport.name, "polling");
    assert.equal(dan.io.engine.transport.name, "polling");
    dan.disconnect();
    for (const socket of [ana, bea, cy]) assert.deepEqual(await next(socket, "bye"), ["Dan", 3]);
    await silence([ana, bea, cy], ["new_message", "bye", "error"]);
  });

  test("bad input gets an error event on its own server only; a room on A is not yours on B", async (t) => {
    const { person } = clients(t);
    const ana = await person(serverA, "Ana");
    const eve = await person(serverB, "Eve");
    assert.deepEqual(await call(ana, "enter_room", "vault"), ["vault", 1]);
    await until(eve, "room_change", [["vault"]]);

    // Callbacks of refused events must never be called.
    const strayCallbacks = [];
    // The room exists (on A), but Eve is not in it.
    eve.emit("new_message", "psst", "vault", () => strayCallbacks.push("new_message"));
    assert.deepEqual(await next(eve, "error"), ['new_message: you are not in room "vault": enter it first']);
    eve.emit("nickname", "   ");
    assert.deepEqual(await next(eve, "error"), ["nickname: the nickname is empty"]);
    eve.emit("nickname", "<b>");
    assert.deepEqual(await next(eve, "error"), [
      "nickname: a nickname may hold letters, digits, spaces, '_', '-' and '.' only",
    ]);
    eve.emit("enter_room", "  ", (...args) => strayCallbacks.push(["enter_room", ...args]));
    assert.deepEqual(await next(eve, "error"), ["enter_room: the room name is empty"]);
    eve.emit("enter_room", "r".repeat(41));
    assert.deepEqual(await next(eve, "error"), ["enter_room: the room name is too long (at most 40 characters)"]);
    eve.emit("enter_room", 42);
    const [message] = await next(eve, "error");
    assert.match(message, /^enter_room: expected a room name as text/);
    // Nobody on A heard of any of it.
    await silence([ana], ["error", "new_message", "welcome"]);
    assert.deepEqual(strayCallbacks, []);

    // The next good event still works, and the nickname is still Eve.
    assert.deepEqual(await call(eve, "enter_room", "  vault "), ["vault", 2]);
    assert.deepEqual(await next(ana, "welcome"), ["Eve", 2]);
    await call(eve, "new_message", "now I may", "vault");
    assert.deepEqual(await next(ana, "new_message"), ["Eve: now I may"]);
    await silence([ana, eve], ["error"]);
  });
});

// ---------------------------------------------------------------------------------------
// Chromium: a page on A and a page on B

describe("chapter 10 in Chromium: a page on server A and a page on server B", () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  const { enterRoom, lines, send, waitForLine, waitForRoomList } = roomChat;

  /** Opens the chat on `server` as a new person (own context) and saves a nickname. */
  async function join(server, nickname) {
    const page = await openPage(browser, `${server.url}/`, { timeout: PATIENCE });
    assert.match(await page.locator("header").textContent(), new RegExp(`this is server ${server.name};`));
    await roomChat.setNickname(page, nickname);
    return page;
  }

  test("two pages on two servers chat in one room; a third page on B lists it; closing B says goodbye on A", async () => {
    const ana = await join(serverA, "Ana");
    const bea = await join(serverB, "Bea");
    await waitForRoomList(ana, []);
    await waitForRoomList(bea, []);

    await enterRoom(ana, "garden");
    await waitForText(ana, "#room h3", "Room garden (1)");
    assert.equal(await ana.locator("#welcome").isHidden(), true);
    // B's page lists the room opened on A.
    await waitForRoomList(bea, ["garden"]);
    await enterRoom(bea, "garden");
    // The joiner's title from its callback, the first one's from welcome.
    await waitForText(bea, "#room h3", "Room garden (2)");
    await waitForText(ana, "#room h3", "Room garden (2)");
    await waitForLine(ana, "Bea arrived!");

    await send(bea, "Hello from B");
    await waitForLine(bea, "You: Hello from B");
    await waitForLine(ana, "Bea: Hello from B");
    await send(ana, "Hello from A");
    await waitForLine(ana, "You: Hello from A");
    await waitForLine(bea, "Ana: Hello from A");
    assert.deepEqual(await lines(ana), ["Bea arrived!", "Bea: Hello from B", "You: Hello from A"]);
    assert.deepEqual(await lines(bea), ["You: Hello from B", "Ana: Hello from A"]);

    // A third page, on B, lists the room at once.
    const cy = await join(serverB, "Cy");
    await waitForRoomList(cy, ["garden"]);

    // Closing B's page: A's title shrinks and says who left.
    await bea.context().close();
    await waitForText(ana, "#room h3", "Room garden (1)");
    await waitForLine(ana, "Bea left.");
    assert.deepEqual(await lines(ana), ["Bea arrived!", "Bea: Hello from B", "You: Hello from A", "Bea left."]);
    // Ana is still in the garden: it stays in the list.
    await waitForRoomList(cy, ["garden"]);

    // Cy, on B, clicks the room in the list.
    await cy.locator("#welcome ul li", { hasText: "garden" }).click();
    await waitForText(cy, "#room h3", "Room garden (2)");
    await waitForText(ana, "#room h3", "Room garden (2)");
    await waitForLine(ana, "Cy arrived!");
    await send(cy, "Hi Ana");
    await waitForLine(ana, "Cy: Hi Ana");

    // The last page on A closes: Cy on B is alone, and the list follows.
    await ana.context().close();
    await waitForText(cy, "#room h3", "Room garden (1)");
    await waitForLine(cy, "Ana left.");
    assert.deepEqual(await lines(cy), ["You: Hi Ana", "Ana left."]);
    await waitForRoomList(cy, ["garden"]);

    assert.equal(await cy.locator("#error").isHidden(), true);
    for (const page of [ana, bea, cy]) assert.deepEqual(page.errors, []);
    await cy.context().close();
  });
});

// ---------------------------------------------------------------------------------------
// The launcher: `chapter-10` with no argument, as `just run chapter-10` runs it

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
    const launcher = launch(t, { PORT: "0", REDIS_URL: redisUrl });
    await launcher.waitFor(new RegExp(`^Redis: using the one at ${redisUrl.replaceAll(".", "\\.")}$`, "m"));
    const ports = await servers(launcher);
    await checkServers(t, ports);
    process.kill(-launcher.pid, "SIGTERM");
    const [code, signal] = await within(launcher.closed, 10_000, "the launcher to exit");
    assert.deepEqual([code, signal], [0, null], launcher.output());
    assert.doesNotMatch(launcher.output(), /Redis: started|Stopped the Redis/);
    await eventually(() => groupGone(launcher.pid), "every process of the launcher's group to end");
    for (const port of Object.values(ports)) assert.equal(await tcpAnswers(port), false);
    // Ours still answers, and the servers of the other tests still use it.
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
