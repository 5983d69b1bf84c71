// Chapter 10 with the official Socket.IO client: the room chat of chapter 6, run as two
// server processes (A and B) that share their rooms through Redis. The protocol is
// chapter 6's:
//
//   nickname(name, done(name)), enter_room(room, done(room, size)),
//   new_message(text, room, done()); welcome(nick, size), bye(nick, size),
//   new_message("nick: text"); bad input: error("event: reason")
//   room_change(open rooms) to everyone; namespace /admin with
//   server_view({ connected, rooms: [{ name, members }], lobby }) of that server's browsers
//
// These tests show that the real client gets along with two servers: one pass over the
// chapter's events, and what only the real client shows (its transports, its ways of
// vanishing, a client process killed). The protocol across servers (sizes, lists, bad
// input, goodbyes, Redis going away) is tested in server.rs; the pages in
// page.test.mjs; `chapter-10` itself in launcher.test.mjs. A redis-server and servers A
// and B are started once for the file (two-servers.mjs); each test uses its own room
// names. The client helpers (clients, next, until, silence, call ...) are in
// tests/node/sio-helpers.mjs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { call, clients, killTransport, leave, next, silence, until, upgraded } from "../../../tests/node/sio-helpers.mjs";
import { twoServers } from "./two-servers.mjs";

const servers = twoServers();

describe("chapter 10 with the Socket.IO client: server A and server B share their rooms", () => {
  test("every event across the two servers, on the default transports (long polling, then WebSocket)", async (t) => {
    const { a, b } = servers;
    const { connect, person } = clients(t);
    // Ana on A and Bea on B have the client's default transports, as in a browser.
    const ana = await person(a, "Ana", { transports: "default" });
    const bea = await person(b, "Bea", { transports: "default" });
    assert.equal(ana.firstTransport, "polling");
    assert.equal(bea.firstTransport, "polling");
    // room_change(open rooms): at once on connecting.
    assert.deepEqual(await next(ana, "room_change"), [[]]);
    assert.deepEqual(await next(bea, "room_change"), [[]]);

    // enter_room(name, done(name, size)): a room opened on A is in B's list, and the
    // second person, on B, counts both servers; the first gets welcome(nickname, size).
    assert.deepEqual(await call(ana, "enter_room", "harbor"), ["harbor", 1]);
    await until(bea, "room_change", [["harbor"]]);
    assert.deepEqual(await call(bea, "enter_room", "harbor"), ["harbor", 2]);
    assert.deepEqual(await next(ana, "welcome"), ["Bea", 2]);

    // new_message(text, room, done()): done gets no arguments, on either server; the
    // others get "nickname: text" across the servers.
    const [fromA, fromB] = await Promise.all([
      call(ana, "new_message", "hello from A", "harbor"),
      call(bea, "new_message", "hello from B", "harbor"),
    ]);
    assert.deepEqual({ fromA, fromB }, { fromA: [], fromB: [] });
    assert.deepEqual(await next(bea, "new_message"), ["Ana: hello from A"]);
    assert.deepEqual(await next(ana, "new_message"), ["Bea: hello from B"]);
    // Both upgrade to WebSocket, and chat on.
    await upgraded(ana);
    await upgraded(bea);
    await call(ana, "new_message", "A upgraded", "harbor");
    assert.deepEqual(await next(bea, "new_message"), ["Ana: A upgraded"]);
    await call(bea, "new_message", "B upgraded", "harbor");
    assert.deepEqual(await next(ana, "new_message"), ["Bea: B upgraded"]);

    // Long polling only, all the way, on A.
    const cy = await person(a, "Cy", { transports: ["polling"] });
    assert.deepEqual(await call(cy, "enter_room", "harbor"), ["harbor", 3]);
    assert.deepEqual(await next(ana, "welcome"), ["Cy", 3]);
    assert.deepEqual(await next(bea, "welcome"), ["Cy", 3]);
    await call(cy, "new_message", "polling on A", "harbor");
    for (const socket of [ana, bea]) assert.deepEqual(await next(socket, "new_message"), ["Cy: polling on A"]);
    assert.equal(cy.io.engine.transport.name, "polling");

    // Bad input: error("event: reason") on its own server only, never its callback.
    bea.emit("nickname", 42, () => assert.fail("a refused event was called back"));
    assert.deepEqual(await next(bea, "error"), ["nickname: invalid type: integer `42`, expected a string"]);

    // /admin: server_view of this server's browsers only (Bea is on B).
    const admin = await connect(a, { namespace: "/admin" });
    await until(admin, "server_view", [
      { connected: 2, rooms: [{ name: "harbor", members: ["Ana", "Cy"] }], lobby: [] },
    ]);

    // A clean goodbye (socket.disconnect()) on A: bye(nickname, size) on both servers.
    cy.disconnect();
    assert.deepEqual(await next(ana, "bye"), ["Cy", 2]);
    assert.deepEqual(await next(bea, "bye"), ["Cy", 2]);
    await silence([ana, bea], ["welcome", "new_message", "bye", "error", "server_view"]);
    await silence([admin], ["room_change", "welcome", "error"]);
  });

  test("clients that vanish on B (process killed, engine closed, transport killed) say bye on A", async (t) => {
    const { a, b } = servers;
    const { person, otherProcess } = clients(t);
    const watcher = await person(a, "Watcher"); // in no room
    const ana = await person(a, "Ana");
    const bea = await person(b, "Bea");
    assert.deepEqual(await call(ana, "enter_room", "dock"), ["dock", 1]);
    // Once B lists the room, Ana's welcome is behind us.
    await until(bea, "room_change", [["dock"]]);
    assert.deepEqual(await call(bea, "enter_room", "dock"), ["dock", 2]);
    assert.deepEqual(await next(ana, "welcome"), ["Bea", 2]);

    // A client in a process of its own on B, killed with SIGKILL.
    const kid = await otherProcess(b, "Kid", ["dock"]);
    assert.deepEqual(await next(ana, "welcome"), ["Kid", 3]);
    assert.deepEqual(await next(bea, "welcome"), ["Kid", 3]);
    kid.kill("SIGKILL");
    assert.deepEqual(await next(ana, "bye"), ["Kid", 2]);
    assert.deepEqual(await next(bea, "bye"), ["Kid", 2]);

    // A client on B whose transport dies without a goodbye.
    const kil = await person(b, "Kil");
    assert.deepEqual(await call(kil, "enter_room", "dock"), ["dock", 3]);
    assert.deepEqual(await next(ana, "welcome"), ["Kil", 3]);
    assert.deepEqual(await next(bea, "welcome"), ["Kil", 3]);
    killTransport(kil);
    assert.deepEqual(await next(ana, "bye"), ["Kil", 2]);
    assert.deepEqual(await next(bea, "bye"), ["Kil", 2]);

    // Bea's engine closes abruptly on B: Ana on A is alone.
    leave(bea);
    assert.deepEqual(await next(ana, "bye"), ["Bea", 1]);

    // The vanished ones are not counted any more: a newcomer on B makes two.
    const cy = await person(b, "Cy");
    assert.deepEqual(await call(cy, "enter_room", "dock"), ["dock", 2]);
    assert.deepEqual(await next(ana, "welcome"), ["Cy", 2]);
    // And the other way round: Ana vanishes on A, Cy on B hears it.
    leave(ana);
    assert.deepEqual(await next(cy, "bye"), ["Ana", 1]);
    await until(watcher, "room_change", [["dock"]]);
    // The last one out closes the room, in every list.
    cy.disconnect();
    await until(watcher, "room_change", [[]]);
    await silence([watcher], ["welcome", "bye", "new_message", "error"]);
  });
});
