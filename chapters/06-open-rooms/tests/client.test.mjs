// Chapter 6 with the official Socket.IO client, as a Node program: the same client a
// browser runs, against socketioxide. Event names, argument order and acks follow the course:
//
//   nickname(name, done(name)), enter_room(room, done(room, size)),
//   new_message(text, room, done()); welcome(nick, size), bye(nick, size),
//   new_message("nick: text"); bad input: error("event: reason")
//   room_change(open rooms) to everyone; namespace /admin with
//   server_view({ connected, rooms: [{ name, members }], lobby })
//
// These tests show that the real client gets along with the server: one pass over the
// chapter's events, and what only the real client shows (its transports, its ways of
// leaving, its callbacks, a client process killed). The protocol itself (rooms, sizes,
// the open-room list, the server view, order, bad input, limits) is tested in
// server.rs; the pages in page.test.mjs. Every test starts its own server; the client
// helpers (clients, next, until, silence, call ...) are in tests/node/sio-helpers.mjs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  MAX_PACKET_BYTES,
  PATIENCE,
  call,
  eventually,
  killTransport,
  leave,
  next,
  silence,
  startChat as start,
  until,
  upgraded,
} from "../../../tests/node/sio-helpers.mjs";

describe("chapter 6: open rooms over Socket.IO", () => {
  test("every event, its arguments and callbacks, on the default transports (long polling, then WebSocket)", async (t) => {
    const { connect, person } = await start(t, 6);
    // The /admin namespace: server_view at once, then on every change.
    const admin = await connect({ namespace: "/admin" });
    assert.deepEqual(await next(admin, "server_view"), [{ connected: 0, rooms: [], lobby: [] }]);
    // Ana has the client's default transports, as in a browser; Bea has WebSocket only.
    const ana = await connect({ transports: "default" });
    assert.equal(ana.firstTransport, "polling");
    // room_change(open rooms): at once on connecting.
    assert.deepEqual(await next(ana, "room_change"), [[]]);
    const bea = await connect();
    // nickname(name, done(name)): the name as saved.
    assert.deepEqual(await call(ana, "nickname", "Ana"), ["Ana"]);
    assert.equal(await bea.timeout(PATIENCE).emitWithAck("nickname", "Bea"), "Bea");
    // enter_room(name, done(name, size)); the others in the room get welcome(nickname, size);
    // everyone gets room_change.
    assert.deepEqual(await call(ana, "enter_room", "kitchen"), ["kitchen", 1]);
    await until(bea, "room_change", [["kitchen"]]);
    assert.deepEqual(await call(bea, "enter_room", "kitchen"), ["kitchen", 2]);
    assert.deepEqual(await next(ana, "welcome"), ["Bea", 2]);
    await until(admin, "server_view", [
      { connected: 2, rooms: [{ name: "kitchen", members: ["Ana", "Bea"] }], lobby: [] },
    ]);
    // new_message(text, room, done()): done gets no arguments; the others get "nickname: text".
    assert.deepEqual(await call(ana, "new_message", "Hello Bea", "kitchen"), []);
    assert.deepEqual(await next(bea, "new_message"), ["Ana: Hello Bea"]);
    assert.deepEqual(await call(bea, "new_message", "Hi Ana! 🎉", "kitchen"), []);
    assert.deepEqual(await next(ana, "new_message"), ["Bea: Hi Ana! 🎉"]);
    // After the upgrade to WebSocket, the same.
    await upgraded(ana);
    await call(ana, "new_message", "upgraded", "kitchen");
    assert.deepEqual(await next(bea, "new_message"), ["Ana: upgraded"]);

    // Bad input: error("event: reason") to the sender alone, never its callback.
    bea.emit("nickname", 42, () => assert.fail("a refused event was called back"));
    assert.deepEqual(await next(bea, "error"), ["nickname: invalid type: integer `42`, expected a string"]);
    await call(bea, "new_message", "still Bea", "kitchen");
    assert.deepEqual(await next(ana, "new_message"), ["Bea: still Bea"]);

    // A newcomer, then a clean goodbye: the others get bye(nickname, size).
    const cy = await person("Cy");
    assert.deepEqual(await call(cy, "enter_room", "kitchen"), ["kitchen", 3]);
    assert.deepEqual(await next(ana, "welcome"), ["Cy", 3]);
    assert.deepEqual(await next(bea, "welcome"), ["Cy", 3]);
    bea.disconnect();
    assert.deepEqual(await next(ana, "bye"), ["Bea", 2]);
    assert.deepEqual(await next(cy, "bye"), ["Bea", 2]);
    await silence([ana, cy], ["welcome", "new_message", "error", "bye", "server_view"]);
    await silence([admin], ["room_change", "welcome", "error"]);
  });

  test("the callbacks of a burst of 100 new_message run in the order they were sent", async (t) => {
    const { person } = await start(t, 6);
    const ana = await person("Ana");
    await call(ana, "enter_room", "burst");
    const acks = [];
    await new Promise((resolve) => {
      for (let i = 0; i < 100; i += 1) {
        ana.emit("new_message", `message ${i}`, "burst", () => {
          acks.push(i);
          if (acks.length === 100) resolve();
        });
      }
    });
    assert.deepEqual(acks, Array.from({ length: 100 }, (_, i) => i));
    await silence([ana], ["error"]);
  });

  test("vanished clients (engine closed, transport killed, process killed) say bye to each room; sizes and lists stay exact", async (t) => {
    const { connect, person, otherProcess } = await start(t, 6);
    const admin = await connect({ namespace: "/admin" });
    const one = await person("One");
    const two = await person("Two");
    await call(one, "enter_room", "r");
    await call(two, "enter_room", "s");
    const eve = await person("Eve");
    const kim = await person("Kim");
    for (const [socket, solo] of [
      [eve, "solo-e"],
      [kim, "solo-k"],
    ]) {
      for (const room of ["r", "s", solo]) await call(socket, "enter_room", room);
    }
    const pat = await otherProcess("Pat", ["r", "s", "solo-p"]);
    for (const [nickname, size] of [
      ["Eve", 2],
      ["Kim", 3],
      ["Pat", 4],
    ]) {
      for (const socket of [one, two]) assert.deepEqual(await next(socket, "welcome"), [nickname, size]);
    }
    await until(one, "room_change", [["r", "s", "solo-e", "solo-k", "solo-p"]]);
    await until(admin, "server_view", [
      {
        connected: 5,
        rooms: [
          { name: "r", members: ["Eve", "Kim", "One", "Pat"] },
          { name: "s", members: ["Eve", "Kim", "Pat", "Two"] },
          { name: "solo-e", members: ["Eve"] },
          { name: "solo-k", members: ["Kim"] },
          { name: "solo-p", members: ["Pat"] },
        ],
        lobby: [],
      },
    ]);

    for (const [nickname, end, size, rooms] of [
      // The engine closes its WebSocket, without a Socket.IO goodbye.
      ["Eve", () => leave(eve), 3, ["r", "s", "solo-k", "solo-p"]],
      // The TCP connection is destroyed, without even a WebSocket close frame.
      ["Kim", () => killTransport(kim), 2, ["r", "s", "solo-p"]],
      // The other program is killed.
      ["Pat", () => pat.kill("SIGKILL"), 1, ["r", "s"]],
    ]) {
      end();
      for (const socket of [one, two]) assert.deepEqual(await next(socket, "bye"), [nickname, size]);
      await until(one, "room_change", [rooms]);
    }
    await until(admin, "server_view", [
      {
        connected: 2,
        rooms: [
          { name: "r", members: ["One"] },
          { name: "s", members: ["Two"] },
        ],
        lobby: [],
      },
    ]);
    // A newcomer sees the same truth.
    const neo = await person("Neo");
    assert.deepEqual(await call(neo, "enter_room", "r"), ["r", 2]);
    assert.deepEqual(await next(one, "welcome"), ["Neo", 2]);
    await silence([one, two], ["bye", "error"]);
  });

  test("leaving right after the last events (socket.disconnect(), engine closed): last words, then bye", async (t) => {
    // Forty people, one after the other, leave the moment they have sent their last
    // events, while the server may still be handling them. Half call socket.disconnect()
    // right after entering the room and sending five messages; the other half have ten
    // messages to another room still on their way, enter the room, send five messages,
    // and close the engine (a tab closed just after "Enter Room"). The room must hear
    // each arrive, every last word, and the bye, in that order, and end at size one.
    const { person, disconnected } = await start(t, 6);
    const stays = await person("Stays");
    await call(stays, "enter_room", "r");
    const expected = [];
    for (let i = 0; i < 40; i += 1) {
      const guest = await person(`G${i}`);
      const id = guest.id; // the client forgets it on disconnect
      if (i % 2 === 1) {
        await call(guest, "enter_room", "elsewhere");
        for (let j = 0; j < 10; j += 1) guest.emit("new_message", `m${j}`, "elsewhere", () => {});
      }
      guest.emit("enter_room", "r", () => {});
      expected.push(`welcome G${i}`);
      for (let j = 0; j < 5; j += 1) {
        guest.emit("new_message", `last words ${j}`, "r", () => {});
        expected.push(`G${i}: last words ${j}`);
      }
      expected.push(`bye G${i} 1`);
      if (i % 2 === 0) guest.disconnect();
      else leave(guest);
      await eventually(() => disconnected(id), `the disconnect of G${i}`);
    }
    // A round trip with Stays: everything sent before it has reached Stays.
    await call(stays, "nickname", "Stays");
    // (A guest gone before its enter_room was handled no longer counts in its welcome:
    // the welcome's size is not compared.)
    const heard = stays.inbox
      .filter(({ event }) => event !== "room_change")
      .map(({ event, args }) => {
        if (event === "new_message") return args[0];
        if (event === "bye") return `bye ${args[0]} ${args[1]}`;
        return `${event} ${args[0]}`;
      });
    assert.deepEqual(heard, expected);
  });

  test("long polling only: it chats, and a packet over 64 KiB closes only that connection", async (t) => {
    const { person } = await start(t, 6);
    const ana = await person("Ana");
    const cy = await person("Cy", { transports: ["polling"] });
    assert.deepEqual(await call(ana, "enter_room", "den"), ["den", 1]);
    assert.deepEqual(await call(cy, "enter_room", "den"), ["den", 2]);
    assert.deepEqual(await next(ana, "welcome"), ["Cy", 2]);
    await until(cy, "room_change", [["den"]]);
    await call(ana, "new_message", "hi Cy", "den");
    assert.deepEqual(await next(cy, "new_message"), ["Ana: hi Cy"]);
    await call(cy, "new_message", "hi Ana", "den");
    assert.deepEqual(await next(ana, "new_message"), ["Cy: hi Ana"]);
    assert.equal(cy.io.engine.transport.name, "polling");

    cy.emit("new_message", "x".repeat(MAX_PACKET_BYTES), "den", () => assert.fail("called back"));
    assert.match(await cy.closed, /^transport (close|error)$/);
    assert.deepEqual(await next(ana, "bye"), ["Cy", 1]);
    const dan = await person("Dan", { transports: ["polling"] });
    assert.deepEqual(await call(dan, "enter_room", "den"), ["den", 2]);
    assert.deepEqual(await next(ana, "welcome"), ["Dan", 2]);
    await silence([ana], ["new_message", "error", "bye"]);
  });
});
