// Chapter 4 with the official Socket.IO client, as a Node program: the same client a
// browser runs, against socketioxide. Event names, argument order and acks follow the course:
//
//   enter_room({ payload }, done(room)); bad input: error("enter_room: reason")
//
// Every test starts its own server, so no test sees another one's rooms. The client
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
  stripAnsi,
  until,
  upgraded,
} from "../../../tests/node/sio-helpers.mjs";

describe("chapter 4: enter_room with an object and a callback", () => {
  test("the server calls the callback with the room name, trimmed", async (t) => {
    const { connect } = await start(t, 4);
    const ana = await connect();
    const enter = (payload) => ana.timeout(PATIENCE).emitWithAck("enter_room", { payload });
    assert.equal(await enter("kitchen"), "kitchen");
    assert.equal(await enter("  living room \t"), "living room");
    assert.equal(await enter("r".repeat(40)), "r".repeat(40), "40 characters are allowed");
    // Characters, not bytes: 40 accented letters are 80 bytes of UTF-8.
    assert.equal(await enter("é".repeat(40)), "é".repeat(40));
    assert.equal(await enter("🎉 party"), "🎉 party");
    // Exactly one argument, the room name.
    assert.deepEqual(await call(ana, "enter_room", { payload: "hall" }), ["hall"]);
    await silence([ana], ["error"]);
  });

  test("several clients at once each get their own room back", async (t) => {
    const { connect } = await start(t, 4);
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => connect()));
    const replies = await Promise.all(
      clients.map((client, i) => call(client, "enter_room", { payload: `room ${i}` })),
    );
    assert.deepEqual(replies, [["room 0"], ["room 1"], ["room 2"], ["room 3"], ["room 4"]]);
  });

  test("default transports: long polling first, then the upgrade to WebSocket", async (t) => {
    const { connect } = await start(t, 4);
    const ana = await connect({ transports: "default" });
    assert.equal(ana.firstTransport, "polling");
    assert.equal(await ana.timeout(PATIENCE).emitWithAck("enter_room", { payload: "first" }), "first");
    await upgraded(ana);
    assert.equal(await ana.timeout(PATIENCE).emitWithAck("enter_room", { payload: "after" }), "after");
    // Long polling only, all the way.
    const bo = await connect({ transports: ["polling"] });
    assert.equal(bo.io.engine.transport.name, "polling");
    assert.equal(await bo.timeout(PATIENCE).emitWithAck("enter_room", { payload: "slow" }), "slow");
    await silence([ana, bo], ["error"]);
  });

  test("bad input gets an error event, and the next good event still works", async (t) => {
    const { connect, server } = await start(t, 4);
    const ana = await connect();
    const shape = /^enter_room: (invalid type: .+|missing field `payload`|the event came without its argument)$/;
    const cases = [
      ["a string instead of an object", ["kitchen"], shape],
      ["a number as payload", [{ payload: 42 }], shape],
      ["no payload", [{ room: "kitchen" }], shape],
      ["null", [null], shape],
      ["an array", [[{ payload: "kitchen" }]], shape],
      ["no argument at all", [], shape],
      ["an empty name", [{ payload: "" }], "enter_room: the room name is empty"],
      ["a blank name", [{ payload: "   " }], "enter_room: the room name is empty"],
      [
        "41 characters",
        [{ payload: "r".repeat(41) }],
        "enter_room: the room name is too long (at most 40 characters)",
      ],
      ["a control character", [{ payload: "a\nb" }], "enter_room: the room name has control characters"],
    ];
    const badAcks = [];
    for (const [label, args, expected] of cases) {
      ana.emit("enter_room", ...args, (...reply) => badAcks.push([label, reply]));
      const [message] = await next(ana, "error");
      if (typeof expected === "string") assert.equal(message, expected, label);
      else assert.match(message, expected, label);
      // The next good event still works.
      assert.deepEqual(await call(ana, "enter_room", { payload: `after ${label}` }), [`after ${label}`]);
    }
    assert.deepEqual(badAcks, [], "the server never calls back a bad enter_room");

    // Without a callback the server still enters the room (and calls nothing).
    ana.emit("enter_room", { payload: "no callback" });
    assert.deepEqual(await call(ana, "enter_room", { payload: "next" }), ["next"]);
    await eventually(() => /entered room no callback/.test(stripAnsi(server.logs())), "the log line");
    // An extra argument is ignored, as Socket.IO in Node ignores it.
    assert.deepEqual(await call(ana, "enter_room", { payload: "extra" }, "more"), ["extra"]);
    await silence([ana], ["error"]);
    assert.equal(ana.connected, true);
  });

  for (const transports of [["websocket"], ["polling"]]) {
    test(`a packet over 64 KiB closes only that connection (${transports})`, async (t) => {
      const { connect } = await start(t, 4);
      const big = await connect({ transports });
      const other = await connect();
      big.emit("enter_room", { payload: "x".repeat(MAX_PACKET_BYTES) }, () => assert.fail("called back"));
      const reason = await big.closed;
      if (transports[0] === "websocket") assert.equal(reason, "transport close");
      else assert.match(reason, /^transport (close|error)$/);
      assert.deepEqual(await call(other, "enter_room", { payload: "fine" }), ["fine"]);
      const newcomer = await connect({ transports });
      assert.deepEqual(await call(newcomer, "enter_room", { payload: "also fine" }), ["also fine"]);
      await silence([other, newcomer], ["error"]);
    });
  }

  test("ACK_DELAY_SECS=1 makes the server wait about a second before calling back", async (t) => {
    const { connect } = await start(t, 4, { ACK_DELAY_SECS: "1" });
    const ana = await connect();
    const started = performance.now();
    assert.equal(await ana.timeout(PATIENCE).emitWithAck("enter_room", { payload: "slow" }), "slow");
    const waited = performance.now() - started;
    assert.ok(waited >= 900, `the callback came after ${waited.toFixed(0)} ms`);
  });
});
