// Chapter 5 with the official Socket.IO client, as a Node program: the same client a
// browser runs, against socketioxide. Event names, argument order and acks follow the course:
//
//   nickname(name, done(name)), enter_room(room, done(room)),
//   new_message(text, room, done()); welcome(nick), bye(nick),
//   new_message("nick: text"); bad input: error("event: reason")
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

{
  const chapter = 5;
  /** Chapter 6 adds the room size as the last argument of acks, welcome and bye. */
  const sized = (args, size) => (chapter === 6 ? [...args, size] : args);

  describe(`chapter ${chapter}: room chat over Socket.IO`, () => {
    test("nickname, enter_room and new_message: callbacks and argument order", async (t) => {
      const { connect } = await start(t, chapter);
      const ana = await connect();
      const bea = await connect();
      // nickname(name, done): the saved name, trimmed.
      assert.deepEqual(await call(ana, "nickname", "  Ana "), ["Ana"]);
      assert.equal(await bea.timeout(PATIENCE).emitWithAck("nickname", "Bea"), "Bea");
      // enter_room(name, done): the room name, trimmed (and its size in chapter 6).
      assert.deepEqual(await call(ana, "enter_room", "kitchen"), sized(["kitchen"], 1));
      assert.deepEqual(await call(bea, "enter_room", " kitchen "), sized(["kitchen"], 2));
      // The others in the room get welcome(nickname); the joiner does not.
      assert.deepEqual(await next(ana, "welcome"), sized(["Bea"], 2));
      // new_message(text, room, done): the others get "nickname: text".
      await call(ana, "new_message", "Hello Bea", "kitchen");
      assert.deepEqual(await next(bea, "new_message"), ["Ana: Hello Bea"]);
      await call(bea, "new_message", "Hi Ana!", "kitchen");
      assert.deepEqual(await next(ana, "new_message"), ["Bea: Hi Ana!"]);
      // HTML and long texts travel as they are; 2000 characters is the limit.
      await call(bea, "new_message", "<b>bold</b>", "kitchen");
      assert.deepEqual(await next(ana, "new_message"), ["Bea: <b>bold</b>"]);
      await call(bea, "new_message", "m".repeat(2000), "kitchen");
      assert.deepEqual(await next(ana, "new_message"), [`Bea: ${"m".repeat(2000)}`]);
      // The limits of names are inclusive.
      assert.deepEqual(await call(bea, "nickname", "n".repeat(20)), ["n".repeat(20)]);
      assert.deepEqual(await call(bea, "nickname", "Bea-2_x.y Zoë"), ["Bea-2_x.y Zoë"]);
      assert.deepEqual(await call(bea, "enter_room", "r".repeat(40)), sized(["r".repeat(40)], 1));
      await silence([ana, bea], ["welcome", "new_message", "error", "bye"]);
      // Leaving: the others get bye(nickname).
      leave(bea);
      assert.deepEqual(await next(ana, "bye"), sized(["Bea-2_x.y Zoë"], 1));
      await silence([ana], ["bye", "error"]);
    });

    test("the callback of new_message gets no arguments, as done() in the course", async (t) => {
      const { person } = await start(t, chapter);
      const ana = await person("Ana");
      await call(ana, "enter_room", "kitchen");
      assert.deepEqual(await call(ana, "new_message", "hello", "kitchen"), []);
    });

    test("several clients in several rooms: a message reaches only its room, not the sender", async (t) => {
      const { person } = await start(t, chapter);
      const [ana, bea, cy, dan, eve, fay] = await Promise.all(
        ["Ana", "Bea", "Cy", "Dan", "Eve", "Fay"].map((name) => person(name)),
      );
      for (const socket of [ana, bea, cy]) await call(socket, "enter_room", "red");
      for (const socket of [dan, eve]) await call(socket, "enter_room", "blue");
      // Fay is in both rooms.
      assert.deepEqual(await call(fay, "enter_room", "red"), sized(["red"], 4));
      assert.deepEqual(await call(fay, "enter_room", "blue"), sized(["blue"], 3));
      const everyone = [ana, bea, cy, dan, eve, fay];

      const send = async (from, text, room, to) => {
        await call(from, "new_message", text, room);
        for (const socket of to) assert.deepEqual(await next(socket, "new_message"), [`${from.name}: ${text}`]);
      };
      await send(ana, "hello red", "red", [bea, cy, fay]);
      await send(dan, "hello blue", "blue", [eve, fay]);
      await send(fay, "only blue", "blue", [dan, eve]);
      await send(fay, "only red", "red", [ana, bea, cy]);
      await send(cy, "red again", "red", [ana, bea, fay]);
      await silence(everyone, ["new_message", "error"]);

      // Leaving: each room Fay was in hears bye, the others nothing.
      leave(fay);
      for (const socket of [ana, bea, cy]) assert.deepEqual(await next(socket, "bye"), sized(["Fay"], 3));
      for (const socket of [dan, eve]) assert.deepEqual(await next(socket, "bye"), sized(["Fay"], 2));
      await silence([ana, bea, cy, dan, eve], ["bye"]);
    });

    test("a nickname sent just before enter_room, without waiting, is the one the room sees", async (t) => {
      const { connect, person } = await start(t, chapter);
      const ana = await person("Ana");
      await call(ana, "enter_room", "porch");
      const bea = await connect();
      bea.emit("nickname", "Bea");
      bea.emit("enter_room", "porch");
      assert.deepEqual(await next(ana, "welcome"), sized(["Bea"], 2));
      // Twice in a row, with callbacks, then enter at once.
      const cy = await connect();
      cy.emit("nickname", "Cy1", () => {});
      cy.emit("nickname", "Cyd", () => {});
      const entered = call(cy, "enter_room", "porch");
      assert.deepEqual(await next(ana, "welcome"), sized(["Cyd"], 3));
      assert.deepEqual(await entered, sized(["porch"], 3));
      // And a rename just before a message.
      cy.emit("nickname", "Cyrus");
      cy.emit("new_message", "renamed", "porch");
      assert.deepEqual(await next(ana, "new_message"), ["Cyrus: renamed"]);
      assert.deepEqual(await next(bea, "new_message"), ["Cyrus: renamed"]);
    });

    test("a burst of 100 messages from one client arrives in order", async (t) => {
      const { person } = await start(t, chapter);
      const ana = await person("Ana");
      const bea = await person("Bea");
      await call(ana, "enter_room", "burst");
      await call(bea, "enter_room", "burst");
      const acks = [];
      const allAcked = new Promise((resolve) => {
        for (let i = 0; i < 100; i += 1) {
          ana.emit("new_message", `message ${i}`, "burst", () => {
            acks.push(i);
            if (acks.length === 100) resolve();
          });
        }
      });
      const received = [];
      for (let i = 0; i < 100; i += 1) received.push((await next(bea, "new_message"))[0]);
      assert.deepEqual(received, Array.from({ length: 100 }, (_, i) => `Ana: message ${i}`));
      await allAcked;
      assert.deepEqual(acks, Array.from({ length: 100 }, (_, i) => i));
      await silence([ana, bea], ["error"]);
    });

    test("bad input gets an error event, and the next good event still works", async (t) => {
      const { person } = await start(t, chapter);
      const ana = await person("Ana");
      const bea = await person("Bea");
      const cy = await person("Cy");
      await call(ana, "enter_room", "den");
      await call(bea, "enter_room", "den");
      await call(cy, "enter_room", "secret"); // a room Ana never enters
      await next(ana, "welcome");

      const nameType = /^nickname: expected a name as text \(.+\)$/;
      const roomType = /^enter_room: expected a room name as text \(.+\)$/;
      const messageType = /^new_message: expected a text and a room name \(.+\)$/;
      const charset = "nickname: a nickname may hold letters, digits, spaces, '_', '-' and '.' only";
      const cases = [
        ["nickname", ["x".repeat(21)], "nickname: the nickname is too long (at most 20 characters)"],
        ["nickname", ["a:b"], charset],
        ["nickname", ["<script>"], charset],
        ["nickname", ["A\tna"], charset],
        ["nickname", [""], "nickname: the nickname is empty"],
        ["nickname", ["   "], "nickname: the nickname is empty"],
        ["nickname", [42], nameType],
        ["nickname", [{ name: "Ana" }], nameType],
        ["nickname", [null], nameType],
        ["nickname", [], nameType],
        ["enter_room", [""], "enter_room: the room name is empty"],
        ["enter_room", [" \t "], "enter_room: the room name is empty"],
        ["enter_room", ["r".repeat(41)], "enter_room: the room name is too long (at most 40 characters)"],
        ["enter_room", ["a\u0007b"], "enter_room: the room name has control characters"],
        ["enter_room", [42], roomType],
        ["enter_room", [{ payload: "den" }], roomType],
        ["enter_room", [["den"]], roomType],
        ["enter_room", [], roomType],
        ["new_message", ["", "den"], "new_message: the message is empty"],
        ["new_message", ["  \n ", "den"], "new_message: the message is empty"],
        ["new_message", ["m".repeat(2001), "den"], "new_message: the message is too long (at most 2000 characters)"],
        ["new_message", ["psst", "secret"], 'new_message: you are not in room "secret": enter it first'],
        ["new_message", ["psst", "nowhere"], 'new_message: you are not in room "nowhere": enter it first'],
        ["new_message", ["only a text"], messageType],
        ["new_message", ["hi", "den", "one too many"], messageType],
        ["new_message", [42, "den"], messageType],
        ["new_message", ["hi", 42], messageType],
        ["new_message", [["hi", "den"]], messageType],
        ["new_message", [], messageType],
      ];
      const badAcks = [];
      for (const [i, [event, args, expected]] of cases.entries()) {
        const label = `${event}(${JSON.stringify(args).slice(1, -1).slice(0, 40)})`;
        ana.emit(event, ...args, (...reply) => badAcks.push([label, reply]));
        const [message] = await next(ana, "error");
        if (typeof expected === "string") assert.equal(message, expected, label);
        else assert.match(message, expected, label);
        // The next good event still works, and Ana is still Ana.
        await call(ana, "new_message", `still here ${i}`, "den");
        assert.deepEqual(await next(bea, "new_message"), [`Ana: still here ${i}`], label);
      }
      assert.deepEqual(badAcks, [], "the server never calls back a bad event");
      // Nobody else saw anything: no message in "secret", no welcome, no error.
      await silence([cy], ["new_message", "welcome", "error"]);
      await silence([bea], ["welcome", "new_message", "error"]);
      await silence([ana], ["error"]);
    });

    test("events without a callback still do their work", async (t) => {
      const { person } = await start(t, chapter);
      const ana = await person("Ana");
      const bea = await person("Bea");
      await call(ana, "enter_room", "hall");
      await call(bea, "enter_room", "hall");
      await next(ana, "welcome");
      bea.emit("nickname", "Bo");
      bea.emit("new_message", "no callback", "hall");
      assert.deepEqual(await next(ana, "new_message"), ["Bo: no callback"]);
      const cy = await person("Cy");
      await call(cy, "enter_room", "attic");
      ana.emit("enter_room", "attic");
      assert.deepEqual(await next(cy, "welcome"), sized(["Ana"], 2));
      await silence([ana, bea, cy], ["error"]);
    });

    // Leaving right after enter_room, while the server may still be handling it: everyone
    // the room heard arrive must also be heard leaving. Sixty people, one after the other.
    const leavingAtOnce = {
      // A Socket.IO "disconnect" packet, then the transport closes. The first five wait
      // for enter_room's callback, the others do not.
      "socket.disconnect()": async (guest, i) => {
        if (i < 5) await call(guest, "enter_room", "r");
        else guest.emit("enter_room", "r");
        guest.disconnect();
      },
      // A tab closed just after clicking "Enter Room" while its last messages to another
      // room are still being handled: the transport closes, without a goodbye packet.
      "the transport closing": async (guest) => {
        await call(guest, "enter_room", "elsewhere");
        for (let j = 0; j < 10; j += 1) guest.emit("new_message", `m${j}`, "elsewhere");
        guest.emit("enter_room", "r");
        leave(guest);
      },
    };
    for (const [how, scenario] of Object.entries(leavingAtOnce)) {
      test(`leaving by ${how} right after enter_room still says bye`, async (t) => {
        const { person, disconnected } = await start(t, chapter);
        const stays = await person("Stays");
        await call(stays, "enter_room", "r");
        for (let i = 0; i < 60; i += 1) {
          const guest = await person(`G${i}`);
          const id = guest.id; // the client forgets it on disconnect
          await scenario(guest, i);
          await eventually(() => disconnected(id), `the disconnect of G${i}`);
        }
        // A round trip with Stays: every bye sent before it has reached Stays.
        await call(stays, "nickname", "Stays");
        const arrivals = stays.inbox.filter(({ event }) => event === "welcome" || event === "bye");
        const names = (event) =>
          arrivals
            .filter((entry) => entry.event === event)
            .map(({ args }) => args[0])
            .sort();
        const missing = names("welcome").filter((name) => !names("bye").includes(name));
        assert.deepEqual(missing, [], "heard arriving but never leaving");
        assert.deepEqual(names("bye"), names("welcome"));
        if (chapter === 6) {
          // What the page's title shows: the size in the last welcome or bye.
          assert.equal(arrivals.at(-1).args[1], 1, `last of ${JSON.stringify(arrivals.slice(-4))}`);
        }
      });
    }

    test("messages sent just before a clean disconnect all arrive, and so does the bye", async (t) => {
      // Forty people, one after the other, enter the room, send ten messages without
      // waiting, and call socket.disconnect(): a page that says its last words and leaves.
      const { person, disconnected } = await start(t, chapter);
      const stays = await person("Stays");
      await call(stays, "enter_room", "r");
      const expected = [];
      for (let i = 0; i < 40; i += 1) {
        const guest = await person(`G${i}`);
        const id = guest.id;
        await call(guest, "enter_room", "r");
        for (let j = 0; j < 10; j += 1) {
          guest.emit("new_message", `last words ${j}`, "r");
          expected.push(`G${i}: last words ${j}`);
        }
        expected.push(`bye G${i}`);
        guest.disconnect();
        await eventually(() => disconnected(id), `the disconnect of G${i}`);
      }
      await call(stays, "nickname", "Stays");
      const heard = stays.inbox
        .filter(({ event }) => event === "new_message" || event === "bye")
        .map(({ event, args }) => (event === "bye" ? `bye ${args[0]}` : args[0]));
      const lost = expected.filter((line) => !heard.includes(line));
      assert.deepEqual(lost, [], "sent before the disconnect, never delivered");
      assert.deepEqual(heard, expected);
    });

    for (const transports of [["websocket"], ["polling"]]) {
      test(`a packet over 64 KiB closes only that connection; the others chat on (${transports})`, async (t) => {
        const { person } = await start(t, chapter);
        const ana = await person("Ana");
        const bea = await person("Bea");
        const big = await person("Big", { transports });
        for (const socket of [ana, bea, big]) await call(socket, "enter_room", "den");
        await call(big, "enter_room", "big-only");
        await next(ana, "welcome");
        await next(ana, "welcome");
        await next(bea, "welcome");

        big.emit("new_message", "x".repeat(MAX_PACKET_BYTES), "den", () => assert.fail("called back"));
        const reason = await big.closed;
        if (transports[0] === "websocket") assert.equal(reason, "transport close");
        else assert.match(reason, /^transport (close|error)$/);
        for (const socket of [ana, bea]) assert.deepEqual(await next(socket, "bye"), sized(["Big"], 2));
        if (chapter === 6) await until(ana, "room_change", [["den"]]);

        await call(ana, "new_message", "still here", "den");
        assert.deepEqual(await next(bea, "new_message"), ["Ana: still here"]);
        const cy = await person("Cy", { transports });
        assert.deepEqual(await call(cy, "enter_room", "den"), sized(["den"], 3));
        for (const socket of [ana, bea]) assert.deepEqual(await next(socket, "welcome"), sized(["Cy"], 3));
        await silence([ana, bea], ["new_message", "error", "bye"]);
      });
    }

    test("a client that vanishes (engine closed, transport killed) says bye to each of its rooms", async (t) => {
      const { person } = await start(t, chapter);
      const ana = await person("Ana");
      const bea = await person("Bea");
      await call(ana, "enter_room", "one");
      await call(bea, "enter_room", "two");
      for (const [nickname, end] of [
        ["Eng", (socket) => socket.io.engine.close()],
        ["Kil", killTransport],
      ]) {
        const gone = await person(nickname);
        await call(gone, "enter_room", "one");
        await call(gone, "enter_room", "two");
        assert.deepEqual(await next(ana, "welcome"), sized([nickname], 2));
        assert.deepEqual(await next(bea, "welcome"), sized([nickname], 2));
        end(gone);
        assert.deepEqual(await next(ana, "bye"), sized([nickname], 1));
        assert.deepEqual(await next(bea, "bye"), sized([nickname], 1));
      }
      await silence([ana, bea], ["bye", "error"]);
    });

    test("default transports (long polling, then WebSocket) chat with a WebSocket client", async (t) => {
      const { person } = await start(t, chapter);
      const ana = await person("Ana", { transports: "default" });
      assert.equal(ana.firstTransport, "polling");
      const bea = await person("Bea");
      assert.deepEqual(await call(ana, "enter_room", "mixed"), sized(["mixed"], 1));
      assert.deepEqual(await call(bea, "enter_room", "mixed"), sized(["mixed"], 2));
      assert.deepEqual(await next(ana, "welcome"), sized(["Bea"], 2));
      await call(ana, "new_message", "from Ana", "mixed");
      assert.deepEqual(await next(bea, "new_message"), ["Ana: from Ana"]);
      await call(bea, "new_message", "from Bea", "mixed");
      assert.deepEqual(await next(ana, "new_message"), ["Bea: from Bea"]);
      await upgraded(ana);
      await call(ana, "new_message", "upgraded", "mixed");
      assert.deepEqual(await next(bea, "new_message"), ["Ana: upgraded"]);
      // Long polling only, all the way.
      const cy = await person("Cy", { transports: ["polling"] });
      assert.deepEqual(await call(cy, "enter_room", "mixed"), sized(["mixed"], 3));
      assert.deepEqual(await next(bea, "welcome"), sized(["Cy"], 3));
      await call(bea, "new_message", "hi Cy", "mixed");
      assert.deepEqual(await next(cy, "new_message"), ["Bea: hi Cy"]);
      assert.deepEqual(await next(ana, "new_message"), ["Bea: hi Cy"]);
      assert.equal(cy.io.engine.transport.name, "polling");
      leave(cy);
      assert.deepEqual(await next(ana, "bye"), sized(["Cy"], 2));
      await silence([ana, bea], ["error"]);
    });
  });
}
