// The Socket.IO client helpers of the Node tests, shared by the chapters' client.test.mjs:
// chapters 4-6 (one server per test: `startChat`) and chapter 10 (servers A and B,
// which share their rooms through Redis).
//
// How a test reads: `clients(t)` connects clients (the official socket.io-client, the
// one a browser runs); every event a client receives is kept, in order, in its
// `socket.inbox`; `next`, `until` and `silence` read that inbox; `call` emits with a
// callback and waits for it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { isDeepStrictEqual } from "node:util";
import { io } from "socket.io-client";
import { root, startChapter } from "./helpers.mjs";

/** How long anything that should happen may take. */
export const PATIENCE = 5_000;
/** How long we listen to prove that something did NOT happen. */
export const SILENCE = 300;

// ---------------------------------------------------------------------------------------
// Waiting

/** Waits until `condition()` (which may be async) is true, checking every 20 ms. */
export async function eventually(condition, what, ms = PATIENCE) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Waits for one `event` of a Socket.IO (or Engine.IO) emitter; resolves with its arguments. */
export function once(emitter, event, ms = PATIENCE) {
  return new Promise((resolve, reject) => {
    const on = (...args) => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`no "${event}" within ${ms} ms`));
    }, ms);
    emitter.once(event, on);
  });
}

// ---------------------------------------------------------------------------------------
// Clients

/**
 * The clients of one test, on one server or several. A `server` is anything with a
 * `url` (what startChapter and startServer return), and a `name` ("A", "B") when a
 * test uses more than one: error messages then say which server a client is on.
 * When the test ends, every client is closed and every client process killed.
 *
 * Returns { connect, person, otherProcess }:
 * - connect(server, { namespace, transports }): a connected client (see below);
 * - person(server, nickname, options): the same, with its nickname saved;
 * - otherProcess(server, nickname, rooms): a client in a process of its own.
 */
export function clients(t) {
  const sockets = [];
  const children = [];
  t.after(() => {
    for (const socket of sockets) socket.disconnect();
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });

  /**
   * Connects a client to `namespace` ("/" unless given) and waits for "connect".
   * `transports` is ["websocket"] unless given; "default" leaves the client its own
   * choice (long polling first, then the upgrade to WebSocket). Every event the client
   * receives lands in `socket.inbox` (see `record`).
   */
  async function connect(server, { namespace = "/", transports = ["websocket"] } = {}) {
    const options = { forceNew: true, reconnection: false };
    if (transports !== "default") options.transports = transports;
    const socket = io(`${server.url}${namespace === "/" ? "" : namespace}`, options);
    sockets.push(socket);
    record(socket);
    socket.server = server.name;
    // The engine exists as soon as io() returns: this is the transport it starts with.
    socket.firstTransport = socket.io.engine.transport.name;
    const on = server.name ? ` on ${server.name}` : "";
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no connect${on} within ${PATIENCE} ms`)), PATIENCE);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("connect_error", (error) => {
        clearTimeout(timer);
        reject(new Error(`connect_error${on}: ${error.message}`));
      });
    });
    return socket;
  }

  /** Connects (as `connect`) and saves a nickname, awaiting the server's callback. */
  async function person(server, nickname, options) {
    const socket = await connect(server, options);
    socket.name = nickname;
    assert.deepEqual(await call(socket, "nickname", nickname), [nickname]);
    return socket;
  }

  /**
   * A client in another process (a real program, as a browser tab is) that sets its
   * nickname and enters `rooms`; resolves once it is in. Kill it with
   * child.kill("SIGKILL"): its connection vanishes without a goodbye.
   */
  async function otherProcess(server, nickname, rooms) {
    const script = `
      const { io } = require("socket.io-client");
      const [url, nickname, ...rooms] = process.argv.slice(1);
      const socket = io(url, { transports: ["websocket"], reconnection: false });
      socket.on("connect", async () => {
        await socket.timeout(5000).emitWithAck("nickname", nickname);
        for (const room of rooms) await socket.timeout(5000).emitWithAck("enter_room", room);
        console.log("ready");
      });`;
    const child = spawn(process.execPath, ["-e", script, server.url, nickname, ...rooms], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    children.push(child);
    let output = "";
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child not ready: ${output}`)), PATIENCE);
      child.stdout.on("data", (chunk) => {
        output += chunk;
        if (output.includes("ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on("exit", (code) => reject(new Error(`child exited with ${code}: ${output}`)));
    });
    return child;
  }

  return { connect, person, otherProcess };
}

/** A client's name for error messages: its nickname (or id), and its server if named. */
function who(socket) {
  const name = socket.name ?? socket.id ?? "client";
  return socket.server ? `${name} on ${socket.server}` : name;
}

// ---------------------------------------------------------------------------------------
// Reading what a client receives

/**
 * Keeps every event a client receives, in order, in `socket.inbox`, for `next`, `until`
 * and `silence`. `socket.closed` resolves with the reason when the connection ends.
 */
export function record(socket) {
  socket.inbox = [];
  socket.listeners = new Set();
  socket.onAny((event, ...args) => {
    socket.inbox.push({ event, args });
    for (const listener of socket.listeners) listener();
  });
  socket.closed = new Promise((resolve) => socket.once("disconnect", resolve));
}

/**
 * Takes the first `event` in the client's inbox that `accept` accepts (waiting for it
 * if needed) and resolves with its arguments. Earlier `event`s that `accept` refuses
 * are dropped: `until` semantics. Other events stay in the inbox.
 */
export function next(socket, event, accept = () => true, ms = PATIENCE) {
  return new Promise((resolve, reject) => {
    const refused = [];
    const look = () => {
      for (let i = 0; i < socket.inbox.length; ) {
        const entry = socket.inbox[i];
        if (entry.event !== event) {
          i += 1;
          continue;
        }
        socket.inbox.splice(i, 1);
        if (accept(entry.args)) {
          clearTimeout(timer);
          socket.listeners.delete(look);
          resolve(entry.args);
          return;
        }
        refused.push(entry.args);
      }
    };
    const timer = setTimeout(() => {
      socket.listeners.delete(look);
      reject(
        new Error(
          `${who(socket)}: no acceptable "${event}" within ${ms} ms; ` +
            `refused: ${JSON.stringify(refused)}; inbox: ${JSON.stringify(socket.inbox).slice(0, 500)}`,
        ),
      );
    }, ms);
    socket.listeners.add(look);
    look();
  });
}

/**
 * Waits for an `event` whose arguments equal `expected` (as assert.deepStrictEqual
 * compares them), dropping other ones.
 */
export function until(socket, event, expected, ms = PATIENCE) {
  return next(socket, event, (args) => isDeepStrictEqual(args, expected), ms);
}

/** Listens for a short while and asserts that none of `events` reached any of `sockets`. */
export async function silence(sockets, events) {
  await sleep(SILENCE);
  for (const socket of sockets) {
    const got = socket.inbox.filter(({ event }) => events.includes(event));
    assert.deepEqual(got, [], `expected no ${events.join("/")} for ${who(socket)}`);
  }
}

/** Emits with a callback and resolves with ALL the arguments the server calls it with. */
export function call(socket, event, ...args) {
  const server = socket.server ? `server ${socket.server}` : "the server";
  return new Promise((resolve, reject) => {
    socket.timeout(PATIENCE).emit(event, ...args, (error, ...reply) => {
      if (error) reject(new Error(`${server} did not call back ${event} within ${PATIENCE} ms`));
      else resolve(reply);
    });
  });
}

// ---------------------------------------------------------------------------------------
// Transports, and ways to go

/** Waits until the client's transport is WebSocket (after the upgrade from long polling). */
export async function upgraded(socket) {
  if (socket.io.engine.transport.name !== "websocket") await once(socket.io.engine, "upgrade");
  assert.equal(socket.io.engine.transport.name, "websocket");
}

/**
 * Closes a client's connection as a closing browser tab does: the WebSocket (or long
 * polling) closes, without a Socket.IO "disconnect" packet. (A clean socket.disconnect()
 * sends that packet first.)
 */
export function leave(socket) {
  socket.io.engine.close();
}

/** Ends a client's connection without any goodbye packet, as a lost network does. */
export function killTransport(socket) {
  // In Node the WebSocket transport is the `ws` package: terminate() destroys the TCP socket.
  socket.io.engine.transport.ws.terminate();
}

/**
 * Starts chapter `number` for one test. Returns { server, connect, person, otherProcess,
 * disconnected }: connect(options), person(nickname, options) and
 * otherProcess(nickname, rooms) are those of `clients` (sio-helpers.mjs), on this
 * server. When the test ends, every client is closed, then the server is stopped.
 */
export async function startChat(t, number, env = {}) {
  // clients(t) first: the test's `after` hooks run in the order they were added.
  const { connect, person, otherProcess } = clients(t);
  const server = await startChapter(number, env);
  t.after(() => server.stop());

  /** Whether the server has logged the end of socket `id`'s disconnect handler (after its byes). */
  const disconnected = (id) =>
    stripAnsi(server.logs())
      .split("\n")
      .some((line) => line.includes("Disconnected from the Browser") && line.includes(id));

  return {
    server,
    connect: (options) => connect(server, options),
    person: (nickname, options) => person(server, nickname, options),
    otherProcess: (nickname, rooms) => otherProcess(server, nickname, rooms),
    disconnected,
  };
}

export const stripAnsi = (text) => text.replace(/\x1b\[[0-9;]*m/g, "");

/** The chapters' packet limit: a larger Socket.IO packet closes the connection. */
export const MAX_PACKET_BYTES = 64 * 1024;
