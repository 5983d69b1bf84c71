// Shared by the Node tests: start a chapter the way `just run` does, and drive
// Debian's Chromium through playwright-core.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { createServer as createHttpServer } from "node:http";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The chapter's binary, built by `cargo build --workspace --bins` (part of `just test`). */
export function chapterBinary(number) {
  const target = process.env.CARGO_TARGET_DIR ? path.resolve(root, process.env.CARGO_TARGET_DIR) : path.join(root, "target");
  return path.join(target, "debug", `chapter-${String(number).padStart(2, "0")}`);
}

/**
 * Starts a chapter on a free port (PORT=0) and waits for its "Listening on" line.
 * Returns { port, url, logs(), stop() }.
 */
export function startChapter(number, env = {}) {
  return startServer(chapterBinary(number), [], env);
}

/** Starts any command that prints "Listening on http(s)://localhost:PORT". */
export async function startServer(command, args = [], env = {}) {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, PORT: "0", RUST_LOG: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, so stop() ends `just` and `cargo` too
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = once(child, "exit");
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "Listening on" line in 120 s:\n${output}`)), 120_000);
    const look = () => {
      const match = output.match(/Listening on (https?):\/\/localhost:(\d+)/);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[2]));
      }
    };
    child.stdout.on("data", look);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code} before listening:\n${output}`));
    });
  });
  const https = /Listening on https:/.test(output);
  return {
    port,
    url: `${https ? "https" : "http"}://127.0.0.1:${port}`,
    logs: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        return;
      }
      await exited;
    },
  };
}

/** Chromium flags that work on these machines (see the README's "Tests" section). */
export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** A fake camera and microphone, and loopback ICE candidates for WebRTC on one machine. */
export const MEDIA_FLAGS = [
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  "--allow-loopback-in-peer-connection",
];

export function launchBrowser({ media = false, args = [] } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [...CHROMIUM_FLAGS, ...(media ? MEDIA_FLAGS : []), ...args],
  });
}

/**
 * Opens a page in a new browser context (its own cookies and storage, like another
 * person) and records the page's uncaught errors in `page.errors`. Once the page is
 * loaded, each wait on it (click, fill, waitForFunction ...) may take `timeout` ms;
 * `context` is passed to browser.newContext, e.g. { permissions: [] }.
 */
export async function openPage(browser, url, { context: contextOptions = {}, timeout = 5_000 } = {}) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (error) => page.errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") page.errors.push(message.text());
  });
  await page.goto(url);
  page.setDefaultTimeout(timeout);
  return page;
}

// ---------------------------------------------------------------------------------------
// Waiting for what a page shows. Each function runs in the page, again and again, until
// it returns true (or the page's timeout ends the test).

/** Waits until the element at `selector` reads exactly `text`. */
export const waitForText = (page, selector, text) =>
  page.waitForFunction(
    ([selector, text]) => document.querySelector(selector)?.textContent === text,
    [selector, text],
  );

/** Waits until the texts of the elements at `selector` are exactly `texts`, in order. */
export const waitForTexts = (page, selector, texts) =>
  page.waitForFunction(
    ([selector, texts]) =>
      JSON.stringify([...document.querySelectorAll(selector)].map((e) => e.textContent)) ===
      JSON.stringify(texts),
    [selector, texts],
  );

/** Waits until one of the elements at `selector` (a list's lines, say) reads exactly `text`. */
export const waitForAnyText = (page, selector, text) =>
  page.waitForFunction(
    ([selector, text]) => [...document.querySelectorAll(selector)].some((e) => e.textContent === text),
    [selector, text],
  );

/**
 * Waits until a <video> shows a picture, then until it has played half a second more
 * and shown 10 more frames. Both count: the clock of a live stream runs on even when
 * no frame comes in.
 */
export async function waitUntilPlaying(page, selector) {
  await page.waitForFunction((s) => document.querySelector(s).videoWidth > 0, selector);
  const start = await page.$eval(selector, (video) => ({
    time: video.currentTime,
    frames: video.getVideoPlaybackQuality().totalVideoFrames,
  }));
  await page.waitForFunction(
    ([selector, start]) => {
      const video = document.querySelector(selector);
      const frames = video.getVideoPlaybackQuality().totalVideoFrames;
      return video.currentTime > start.time + 0.5 && frames >= start.frames + 10;
    },
    [selector, start],
  );
}

// ---------------------------------------------------------------------------------------
// The room chat page of chapters 5, 6 and 10: form#name saves the nickname, the other
// form of div#welcome enters a room, form#msg sends to it, and #room ul holds its lines.
// A test file takes what it needs: `const { enterRoom, send } = roomChat;`.

export const roomChat = {
  /** Saves `nickname` through form#name and waits until the page says "You are <nickname>." */
  async setNickname(page, nickname) {
    await page.fill("form#name input", nickname);
    await page.click("form#name button");
    await waitForText(page, "#nickname", `You are ${nickname}.`);
  },

  /** Fills in the room form and clicks its button (without waiting for the room). */
  async enterRoom(page, name) {
    await page.fill("#welcome form:not(#name) input", name);
    await page.click("#welcome form:not(#name) button");
  },

  /** Sends `text` to the room through form#msg. */
  async send(page, text) {
    await page.fill("form#msg input", text);
    await page.click("form#msg button");
  },

  /** The room's lines, as the page shows them. */
  lines: (page) => page.locator("#room ul li").allTextContents(),

  /** Waits until a line reads exactly `text` in the room's messages. */
  waitForLine: (page, text) => waitForAnyText(page, "#room ul li", text),

  /**
   * Waits until the open rooms a page lists are exactly `rooms`, in order (also while
   * the list is hidden, in a room).
   */
  waitForRoomList: (page, rooms) => waitForTexts(page, "#welcome ul li", rooms),
};

/** A TCP port that is free right now on 127.0.0.1. */
export async function freePort() {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

/**
 * "A phone on the classroom network", on one machine: Chromium goes to this address's
 * pages on 127.0.0.1 (the Node tests run where loopback is the only network), so a page
 * opened at https://192.168.1.20:PORT is a page of another origin than
 * https://localhost:PORT, as a phone's is, and its requests carry that Host and Origin.
 * With HTTPS=1, `--ignore-certificate-errors` is the phone user clicking through the
 * warning about the self-signed certificate.
 */
export const PHONE_ADDRESS = "192.168.1.20";
export const PHONE_FLAGS = ["--ignore-certificate-errors", `--host-resolver-rules=MAP ${PHONE_ADDRESS} 127.0.0.1`];

/**
 * Serves the files under `dir` on 127.0.0.1 (a free port) for a browser to read, as a
 * static web server would; resolves to the server, whose `url` is its address.
 */
export async function serveFolder(dir) {
  const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".json": "application/json" };
  const server = createHttpServer((request, response) => {
    let file = path.join(dir, decodeURIComponent(new URL(request.url, "http://folder").pathname));
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (!file.startsWith(dir) || !existsSync(file)) return response.writeHead(404).end();
    const type = types[path.extname(file)];
    response.writeHead(200, type ? { "content-type": type } : {});
    response.end(request.method === "HEAD" ? undefined : readFileSync(file));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  server.url = `http://127.0.0.1:${server.address().port}`;
  return server;
}
