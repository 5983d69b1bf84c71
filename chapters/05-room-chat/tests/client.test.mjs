// Chapter 5 with the official Socket.IO client, as a Node program: the same client a
// browser runs, against socketioxide. Event names, argument order and acks follow the course:
//
//   nickname(name, done(name)), enter_room(room, done(room)),
//   new_message(text, room, done()); welcome(nick), bye(nick),
//   new_message("nick: text"); bad input: error("event: reason")
//
// These tests show that the real client gets along with the server: one pass over the
// chapter's events, and what only the real client shows (its transports, its ways of
// leaving, its callbacks). The protocol itself (rooms, order, bad input, limits) is
// tested in server.rs; the page in page.test.mjs. Every test starts its own server; the
// client helpers (clients, next, until, silence, call ...) are in tests/node/sio-helpers.mjs.
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
  upgraded,
} from "../../../tests/node/sio-helpers.mjs";

describe("chapter 5: room chat over Socket.IO", () => {
  test("every event, its arguments and callbacks, on the default transports (long polling, then WebSocket)", async (t) => {
    const { connect, person } = await start(t, 5);
    // Ana has the client's default transports, as in a browser; Bea has WebSocket only.
    const ana = await connect({ transports: "default" });
    assert.equal(ana.firstTransport, "polling");
    const bea = await connect();
    // nickname(name, done(name)): the name as saved.
    assert.deepEqual(await call(ana, "nickname", "Ana"), ["Ana"]);
    assert.equal(await bea.timeout(PATIENCE).emitWithAck("nickname", "Bea"), "Bea");
    // enter_room(name, done(name)); the others in the room get welcome(nickname).
    assert.deepEqual(await call(ana, "enter_room", "kitchen"), ["kitchen"]);
    assert.deepEqual(await call(bea, "enter_room", "kitchen"), ["kitchen"]);
    assert.deepEqual(await next(ana, "welcome"), ["Bea"]);
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

    // A newcomer on the same server, then a clean goodbye: the others get bye(nickname).
    const cy = await person("Cy");
    await call(cy, "enter_room", "kitchen");
    assert.deepEqual(await next(ana, "welcome"), ["Cy"]);
    assert.deepEqual(await next(bea, "welcome"), ["Cy"]);
    bea.disconnect();
    assert.deepEqual(await next(ana, "bye"), ["Bea"]);
    assert.deepEqual(await next(cy, "bye"), ["Bea"]);
    await silence([ana, cy], ["welcome", "new_message", "error", "bye"]);
  });

  test("the callbacks of a burst of 100 new_message run in the order they were sent", async (t) => {
    const { person } = await start(t, 5);
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

  test("a client that vanishes (engine closed, transport killed) says bye to each of its rooms", async (t) => {
    const { person } = await start(t, 5);
    const ana = await person("Ana");
    const bea = await person("Bea");
    await call(ana, "enter_room", "one");
    await call(bea, "enter_room", "two");
    for (const [nickname, end] of [
      ["Eng", leave],
      ["Kil", killTransport],
    ]) {
      const gone = await person(nickname);
      await call(gone, "enter_room", "one");
      await call(gone, "enter_room", "two");
      assert.deepEqual(await next(ana, "welcome"), [nickname]);
      assert.deepEqual(await next(bea, "welcome"), [nickname]);
      end(gone);
      assert.deepEqual(await next(ana, "bye"), [nickname]);
      assert.deepEqual(await next(bea, "bye"), [nickname]);
    }
    await silence([ana, bea], ["bye", "error"]);
  });

  test("leaving right after the last events (socket.disconnect(), engine closed): last words, then bye", async (t) => {
    // Forty people, one after the other, leave the moment they have sent their last
    // events, while the server may still be handling them. Half call socket.disconnect()
    // right after entering the room and sending five messages; the other half have ten
    // messages to another room still on their way, enter the room, send five messages,
    // and close the engine (a tab closed just after "Enter Room"). The room must hear
    // each arrive, every last word, and the bye, in that order.
    const { person, disconnected } = await start(t, 5);
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
      expected.push(`bye G${i}`);
      if (i % 2 === 0) guest.disconnect();
      else leave(guest);
      await eventually(() => disconnected(id), `the disconnect of G${i}`);
    }
    // A round trip with Stays: everything sent before it has reached Stays.
    await call(stays, "nickname", "Stays");
    const heard = stays.inbox.map(({ event, args }) => (event === "new_message" ? args[0] : `${event} ${args[0]}`));
    assert.deepEqual(heard, expected);
  });

  test("long polling only: it chats, and a packet over 64 KiB closes only that connection", async (t) => {
    const { person } = await start(t, 5);
    const ana = await person("Ana");
    const cy = await person("Cy", { transports: ["polling"] });
    assert.deepEqual(await call(ana, "enter_room", "den"), ["den"]);
    assert.deepEqual(await call(cy, "enter_room", "den"), ["den"]);
    assert.deepEqual(await next(ana, "welcome"), ["Cy"]);
    await call(ana, "new_message", "hi Cy", "den");
    assert.deepEqual(await next(cy, "new_message"), ["Ana: hi Cy"]);
    await call(cy, "new_message", "hi Ana", "den");
    assert.deepEqual(await next(ana, "new_message"), ["Cy: hi Ana"]);
    assert.equal(cy.io.engine.transport.name, "polling");

    cy.emit("new_message", "x".repeat(MAX_PACKET_BYTES), "den", () => assert.fail("called back"));
    assert.match(await cy.closed, /^transport (close|error)$/);
    assert.deepEqual(await next(ana, "bye"), ["Cy"]);
    const dan = await person("Dan", { transports: ["polling"] });
    assert.deepEqual(await call(dan, "enter_room", "den"), ["den"]);
    assert.deepEqual(await next(ana, "welcome"), ["Dan"]);
    await silence([ana], ["new_message", "error", "bye"]);
  });
});
