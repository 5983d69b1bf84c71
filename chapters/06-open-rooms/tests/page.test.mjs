// Chapter 6 in a real browser: the list of open rooms updates live, room titles show the
// size, and the /admin page shows the whole server as it changes. The tests run in order
// and share the pages, like one session.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, openPage, roomChat, startChapter, waitForText } from "../../../tests/node/helpers.mjs";

const { enterRoom, lines, send, waitForLine, waitForRoomList } = roomChat;

let server, browser, admin, ana, bea, cy, dan;

before(async () => {
  server = await startChapter(6);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * Waits until the /admin page shows exactly: `connected` people, the `rooms` as
 * [name, size, members] rows (each row's data-room is its name), and the `lobby`.
 */
async function waitForServerView({ connected, rooms, lobby }) {
  await admin.waitForFunction(
    ({ connected, rooms, lobby }) => {
      const rows = [...document.querySelectorAll("table#rooms tbody tr")].map((tr) => [
        tr.dataset.room,
        ...[...tr.cells].map((td) => td.textContent),
      ]);
      const expected = rooms.map(([name, size, members]) => [name, name, String(size), members]);
      return (
        document.getElementById("connected").textContent === String(connected) &&
        document.getElementById("open").textContent === String(rooms.length) &&
        JSON.stringify(rows) === JSON.stringify(expected) &&
        document.getElementById("lobby").textContent === lobby
      );
    },
    { connected, rooms, lobby },
  );
}

/** Opens the chat as a new person and saves a nickname through form#name. */
async function join(nickname) {
  const page = await openPage(browser, `${server.url}/`);
  await roomChat.setNickname(page, nickname);
  return page;
}

const everyPage = () => [admin, ana, bea, cy, dan].filter(Boolean);

test("the /admin page starts empty, then counts the people in no room", async () => {
  admin = await openPage(browser, `${server.url}/admin`);
  await waitForText(admin, "#status", "Live ✅");
  await waitForServerView({ connected: 0, rooms: [], lobby: "nobody" });
  ana = await join("Ana");
  bea = await join("Bea");
  await waitForServerView({ connected: 2, rooms: [], lobby: "Ana, Bea" });
  await waitForRoomList(ana, []);
  for (const page of everyPage()) assert.deepEqual(page.errors, []);
});

test("a room that opens appears in every list, and its title shows the size", async () => {
  await enterRoom(ana, "kitchen");
  await waitForText(ana, "#room h3", "Room kitchen (1)");
  assert.equal(await ana.locator("#welcome").isHidden(), true);
  await waitForRoomList(bea, ["kitchen"]);
  await waitForServerView({ connected: 2, rooms: [["kitchen", 1, "Ana"]], lobby: "Bea" });
  // A newcomer gets the list at once.
  cy = await join("Cy");
  await waitForRoomList(cy, ["kitchen"]);
  await waitForServerView({ connected: 3, rooms: [["kitchen", 1, "Ana"]], lobby: "Bea, Cy" });
  for (const page of everyPage()) assert.deepEqual(page.errors, []);
});

test("clicking a room in the list enters it; both titles show the new size", async () => {
  await bea.locator("#welcome ul li", { hasText: "kitchen" }).click();
  await waitForText(bea, "#room h3", "Room kitchen (2)");
  assert.equal(await bea.locator("#welcome").isHidden(), true);
  await waitForText(ana, "#room h3", "Room kitchen (2)");
  await waitForLine(ana, "Bea arrived!");
  await waitForServerView({ connected: 3, rooms: [["kitchen", 2, "Ana, Bea"]], lobby: "Cy" });

  await enterRoom(cy, "attic");
  await waitForText(cy, "#room h3", "Room attic (1)");
  for (const page of [ana, bea, cy]) await waitForRoomList(page, ["attic", "kitchen"]);
  await waitForServerView({
    connected: 3,
    rooms: [
      ["attic", 1, "Cy"],
      ["kitchen", 2, "Ana, Bea"],
    ],
    lobby: "nobody",
  });
  // The kitchen did not hear about the attic.
  assert.deepEqual(await lines(ana), ["Bea arrived!"]);
  assert.deepEqual(await lines(bea), []);
  for (const page of everyPage()) assert.deepEqual(page.errors, []);
});

test("a third person joins the kitchen: everyone's title follows", async () => {
  dan = await join("Dan");
  await waitForRoomList(dan, ["attic", "kitchen"]);
  await dan.locator("#welcome ul li", { hasText: "kitchen" }).click();
  await waitForText(dan, "#room h3", "Room kitchen (3)");
  for (const page of [ana, bea]) {
    await waitForText(page, "#room h3", "Room kitchen (3)");
    await waitForLine(page, "Dan arrived!");
  }
  await waitForServerView({
    connected: 4,
    rooms: [
      ["attic", 1, "Cy"],
      ["kitchen", 3, "Ana, Bea, Dan"],
    ],
    lobby: "nobody",
  });
  await send(ana, "Welcome, Dan");
  await waitForLine(ana, "You: Welcome, Dan");
  for (const page of [bea, dan]) await waitForLine(page, "Ana: Welcome, Dan");
  for (const page of everyPage()) assert.deepEqual(page.errors, []);
});

test("pages that close: titles shrink, rooms that empty leave the list and the server view", async () => {
  await bea.context().close();
  for (const page of [ana, dan]) {
    await waitForText(page, "#room h3", "Room kitchen (2)");
    await waitForLine(page, "Bea left.");
  }
  await waitForServerView({
    connected: 3,
    rooms: [
      ["attic", 1, "Cy"],
      ["kitchen", 2, "Ana, Dan"],
    ],
    lobby: "nobody",
  });

  await cy.context().close();
  for (const page of [ana, dan]) await waitForRoomList(page, ["kitchen"]);
  await waitForServerView({ connected: 2, rooms: [["kitchen", 2, "Ana, Dan"]], lobby: "nobody" });
  // Nobody in the kitchen heard Cy leave the attic.
  assert.deepEqual(await lines(ana), ["Bea arrived!", "Dan arrived!", "You: Welcome, Dan", "Bea left."]);

  await dan.context().close();
  await waitForText(ana, "#room h3", "Room kitchen (1)");
  await waitForLine(ana, "Dan left.");
  await waitForServerView({ connected: 1, rooms: [["kitchen", 1, "Ana"]], lobby: "nobody" });

  // A newcomer in the lobby watches the last room close.
  const eve = await join("Eve");
  await waitForRoomList(eve, ["kitchen"]);
  await waitForServerView({ connected: 2, rooms: [["kitchen", 1, "Ana"]], lobby: "Eve" });
  await ana.context().close();
  await waitForRoomList(eve, []);
  await waitForServerView({ connected: 1, rooms: [], lobby: "Eve" });
  await eve.context().close();
  await waitForServerView({ connected: 0, rooms: [], lobby: "nobody" });
  assert.equal(await admin.locator("#status").textContent(), "Live ✅");
  for (const page of [...everyPage(), eve]) assert.deepEqual(page.errors, []);
});
