// Chapter 4 with the official Socket.IO client, as a Node program: the same client a
// browser runs, against socketioxide. Event names, argument order and acks follow the course:
//
//   enter_room({ payload }, done(room)); bad input: error("enter_room: reason")
//
// These tests show that the real client gets along with the server, in one pass over the
// chapter's events. The protocol itself (room names, bad input, packet limits, long
// polling by hand) is tested in server.rs; the page in page.test.mjs. The client
// helpers (clients, next, call, silence ...) are in tests/node/sio-helpers.mjs.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  PATIENCE,
  call,
  next,
  silence,
  startChat as start,
  stripAnsi,
  upgraded,
} from "../../../tests/node/sio-helpers.mjs";

describe("chapter 4: enter_room with an object and a callback", () => {
  test("enter_room({ payload }, done): long polling first, then the upgrade to WebSocket", async (t) => {
    const { connect, server } = await start(t, 4);
    // The client's default transports, as in a browser.
    const ana = await connect({ transports: "default" });
    assert.equal(ana.firstTransport, "polling");
    // done(room): exactly one argument, the room name as saved (trimmed).
    assert.deepEqual(await call(ana, "enter_room", { payload: "  kitchen " }), ["kitchen"]);
    assert.equal(await ana.timeout(PATIENCE).emitWithAck("enter_room", { payload: "🎉 party" }), "🎉 party");
    await upgraded(ana);
    assert.deepEqual(await call(ana, "enter_room", { payload: "after the upgrade" }), ["after the upgrade"]);

    // Without a callback the event is refused, with an error event that says so.
    ana.emit("enter_room", { payload: "no callback" });
    assert.deepEqual(await next(ana, "error"), [
      "enter_room: this event needs a callback (the last argument: a function)",
    ]);
    assert.doesNotMatch(stripAnsi(server.logs()), /entered room no callback/);

    // Bad input: an error event, the callback is never called, the next event works.
    ana.emit("enter_room", { payload: "   " }, () => assert.fail("a refused event was called back"));
    assert.deepEqual(await next(ana, "error"), ["enter_room: the room name is empty"]);
    assert.deepEqual(await call(ana, "enter_room", { payload: "next" }), ["next"]);
    await silence([ana], ["error"]);
    assert.equal(ana.connected, true);
  });

  test("ACK_DELAY_SECS=1 makes the server wait about a second before calling back", async (t) => {
    const { connect } = await start(t, 4, { ACK_DELAY_SECS: "1" });
    const ana = await connect();
    const started = performance.now();
    assert.equal(await ana.timeout(PATIENCE).emitWithAck("enter_room", { payload: "slow" }), "slow");
    const waited = performance.now() - started;
    assert.ok(waited >= 900, `the callback came after ${waited.toFixed(0)} ms`);
  });
});
