// Chapter 10 in Chromium: a page on server A and a page on server B, which share their
// rooms through Redis. A redis-server and servers A and B are started once for the file
// (two-servers.mjs). What the servers say to each other is tested in server.rs, what the
// official Socket.IO client sees in client.test.mjs.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { launchBrowser, openPage, roomChat, waitForText } from "../../../tests/node/helpers.mjs";
import { PATIENCE } from "../../../tests/node/sio-helpers.mjs";
import { twoServers } from "./two-servers.mjs";

const servers = twoServers();

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
    const ana = await join(servers.a, "Ana");
    const bea = await join(servers.b, "Bea");
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
    const cy = await join(servers.b, "Cy");
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

