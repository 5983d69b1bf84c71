// The workbook's exercises: `just exercise N`, `just check N`, `just hint N`,
// `just solution N`, `just reset N`, `just progress`.
//
// A chapter's exercise is cut from the chapter itself. Its sources mark each step:
//
//     // Step 2: send the line to every browser subscribed to the feed.
//     let _ = chat.feed.send(line);
//     // (end of step 2)
//
// `just exercise N` replaces what lies between the two marker lines with a stand-in
// that says what to write: `todo!("Step 2: ...")` in Rust, `throw new Error("TODO:
// Step 2: ...")` in JavaScript. The published chapter is the solution. Which tests
// check a step, and its hints, are in the chapter's `exercise.toml`.
//
// What the learner writes is never thrown away: `solution` and `reset` first save the
// attempt as a patch under .exercises/attempts/.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseToml } from "smol-toml";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const stateDir = () => path.join(root, ".exercises");

// ---------------------------------------------------------------------------------------
// Chapters, steps and markers

/** The chapter folder for "3", "03" or "chapter-3". */
export function chapterDir(given) {
  const number = Number(String(given).replace(/^chapter-/, ""));
  const prefix = String(number).padStart(2, "0") + "-";
  const dir = Number.isInteger(number) && fs.readdirSync(path.join(root, "chapters")).find((d) => d.startsWith(prefix));
  if (!dir) throw new Problem(`There is no chapter '${given}'. Try a number from 1 to 10.`);
  return { number, dir: path.join("chapters", dir), name: dir, pkg: `chapter-${prefix.slice(0, 2)}` };
}

/** An error meant for the learner: printed as it is, without a stack trace. */
export class Problem extends Error {}

/** The steps of a chapter, from its exercise.toml: [{ number, title, checks, hints }]. */
export function steps(chapter) {
  const file = path.join(root, chapter.dir, "exercise.toml");
  if (!fs.existsSync(file)) throw new Problem(`Chapter ${chapter.number} has no exercise (${chapter.dir}/exercise.toml).`);
  const toml = parseToml(fs.readFileSync(file, "utf8"));
  return toml.step.map((step, index) => ({ number: index + 1, ...step }));
}

/** The files of a chapter that may hold markers. */
function markedFiles(chapter) {
  const found = [];
  for (const sub of ["src", "public"]) {
    const dir = path.join(root, chapter.dir, sub);
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      if (/\.(rs|js)$/.test(name)) found.push(path.join(chapter.dir, sub, name));
    }
  }
  return found;
}

const START = /^(\s*)\/\/ Step (\d+): (.+)$/;
const END = /^\s*\/\/ \(end of step (\d+)\)$/;

/**
 * Cuts every marked step out of `text` (the contents of `file`): what stands between the
 * marker lines becomes one line that says what to write. Returns { text, cut: [numbers] }.
 */
export function cut(file, text) {
  const lines = text.split("\n");
  const out = [];
  const cutSteps = [];
  for (let i = 0; i < lines.length; i++) {
    const start = lines[i].match(START);
    if (!start) {
      out.push(lines[i]);
      continue;
    }
    const [, indent, number, sentence] = start;
    const end = lines.findIndex((line, j) => j > i && line.match(END)?.[1] === number);
    if (end < 0) throw new Problem(`${file}:${i + 1}: "// Step ${number}:" has no "// (end of step ${number})" line`);
    out.push(lines[i]);
    out.push(indent + standIn(file, `Step ${number}: ${sentence}`));
    out.push(lines[end]);
    cutSteps.push(Number(number));
    i = end;
  }
  return { text: out.join("\n"), cut: cutSteps };
}

function standIn(file, sentence) {
  const quoted = JSON.stringify(sentence);
  return file.endsWith(".rs") ? `todo!(${quoted});` : `throw new Error(${JSON.stringify("TODO: " + sentence)});`;
}

// ---------------------------------------------------------------------------------------
// Git: what the learner changed, and keeping it

function git(...args) {
  return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Files of the chapter that differ from `commit` (or are new). */
function changedFiles(chapter, commit = "HEAD") {
  const tracked = git("diff", "--name-only", commit, "--", chapter.dir).split("\n");
  const untracked = git("ls-files", "--others", "--exclude-standard", "--", chapter.dir).split("\n");
  return [...tracked, ...untracked].filter(Boolean);
}

function readState(chapter) {
  const file = path.join(stateDir(), `${chapter.name}.json`);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : null;
}

function writeState(chapter, state) {
  fs.mkdirSync(stateDir(), { recursive: true });
  fs.writeFileSync(path.join(stateDir(), `${chapter.name}.json`), JSON.stringify(state, null, 2) + "\n");
}

/** Saves the chapter's differences from `commit` as a patch; returns its path, or null. */
function saveAttempt(chapter, commit) {
  const files = changedFiles(chapter, commit);
  if (files.length === 0) return null;
  let patch = git("diff", "--binary", commit, "--", chapter.dir);
  for (const file of git("ls-files", "--others", "--exclude-standard", "--", chapter.dir).split("\n").filter(Boolean)) {
    const result = spawnSync("git", ["diff", "--binary", "--no-index", "/dev/null", file], { cwd: root, encoding: "utf8" });
    patch += result.stdout;
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  const dir = path.join(stateDir(), "attempts");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${chapter.name}-${stamp}.patch`);
  fs.writeFileSync(file, patch);
  return path.relative(root, file);
}

/** Puts the chapter back as published at `commit` (new files of the learner's go too). */
function restore(chapter, commit) {
  git("checkout", commit, "--", chapter.dir);
  git("clean", "-fdq", "--", chapter.dir);
}

// ---------------------------------------------------------------------------------------
// Commands

export function start(given) {
  const chapter = chapterDir(given);
  const list = steps(chapter);
  const edits = changedFiles(chapter);
  if (edits.length > 0 && readState(chapter)) {
    throw new Problem(
      `Chapter ${chapter.number}'s exercise is already under way: just check ${chapter.number}.\n` +
        `To start over: just reset ${chapter.number} (your attempt is saved as a patch), then just exercise ${chapter.number}.`,
    );
  }
  if (edits.length > 0) {
    throw new Problem(
      `Chapter ${chapter.number} already has changes of yours:\n  ${edits.join("\n  ")}\n` +
        `Nothing was changed. To save them as a patch and put the chapter back as published: just reset ${chapter.number}; then just exercise ${chapter.number}.`,
    );
  }
  const published = git("rev-parse", "HEAD").trim();
  const cutSteps = new Set();
  for (const file of markedFiles(chapter)) {
    const full = path.join(root, file);
    const result = cut(file, fs.readFileSync(full, "utf8"));
    if (result.cut.length === 0) continue;
    fs.writeFileSync(full, result.text);
    result.cut.forEach((n) => cutSteps.add(n));
  }
  const missing = list.filter((step) => !cutSteps.has(step.number));
  if (missing.length > 0) throw new Problem(`exercise.toml lists step ${missing[0].number}, but no file marks it`);
  writeState(chapter, { published, hints: {}, results: null });
  console.log(`Chapter ${chapter.number}: the lesson is taken out of the code, in ${list.length} steps:\n`);
  for (const step of list) console.log(`  ${step.number}. ${step.title}`);
  console.log(
    `\nLook for "Step 1:" in ${chapter.dir} (src/ and public/), write the code, then: just check ${chapter.number}` +
      `\nStuck? just hint ${chapter.number}. Lost? just solution ${chapter.number} (your attempt is kept).`,
  );
}

export function hint(given) {
  const chapter = chapterDir(given);
  const list = steps(chapter);
  const state = readState(chapter) ?? { hints: {}, results: null };
  if (state.results && list.every((step) => state.results[step.number] === "pass")) {
    console.log(`Every step of chapter ${chapter.number} passes: no hint needed. Compare with the published chapter: just solution ${chapter.number}`);
    return;
  }
  const failing = list.find((step) => state.results?.[step.number] !== "pass") ?? list[0];
  if (!state.results) console.log(`(No check has run yet: this is for step ${failing.number}. Run just check ${chapter.number} to see where you are.)\n`);
  const seen = state.hints[failing.number] ?? 0;
  const shown = Math.min(seen + 1, failing.hints.length);
  console.log(`Step ${failing.number}: ${failing.title}\n`);
  for (let i = 0; i < shown; i++) console.log(`Hint ${i + 1} of ${failing.hints.length}: ${failing.hints[i]}\n`);
  if (shown === failing.hints.length) console.log(`That was the last hint. The answer: just solution ${chapter.number} (your attempt is kept).`);
  else console.log(`Run just hint ${chapter.number} again for a more precise one.`);
  state.hints[failing.number] = shown;
  if (readState(chapter)) writeState(chapter, { ...readState(chapter), hints: state.hints });
}

export function solution(given, { show = true } = {}) {
  const chapter = chapterDir(given);
  const state = readState(chapter);
  const published = state?.published ?? "HEAD";
  const saved = saveAttempt(chapter, published);
  if (show && saved) {
    console.log(`Your version against the published one (- yours, + published):\n`);
    spawnSync("git", ["diff", "-R", "--color=auto", published, "--", chapter.dir], { cwd: root, stdio: "inherit" });
  }
  restore(chapter, published);
  if (state) writeState(chapter, { ...state, results: null });
  if (saved) {
    console.log(`\nYour attempt is saved in ${saved}; chapter ${chapter.number} is as published again.`);
    console.log(`To get your attempt back: git apply ${saved}`);
  } else {
    console.log(`Chapter ${chapter.number} has no changes of yours: it is as published.`);
  }
  return saved;
}

export function reset(given) {
  return solution(given, { show: false });
}

export function progress() {
  for (const dir of fs.readdirSync(path.join(root, "chapters")).sort()) {
    const chapter = chapterDir(dir.slice(0, 2));
    if (!fs.existsSync(path.join(root, chapter.dir, "exercise.toml"))) continue;
    const list = steps(chapter);
    const state = readState(chapter);
    const started = state && changedFiles(chapter, state.published).length > 0;
    let status = "not started";
    if (started && state.results) {
      const passing = list.filter((step) => state.results[step.number] === "pass").length;
      status = passing === list.length ? "done" : `${passing} of ${list.length} steps`;
    } else if (started) {
      status = `started (just check ${chapter.number})`;
    }
    console.log(`chapter ${String(chapter.number).padEnd(3)} ${chapter.name.padEnd(20)} ${status}`);
  }
}

// ---------------------------------------------------------------------------------------
// Checking: run the chapter's tests, and say per step what passes

/**
 * Runs the tests that check the chapter's steps, and returns
 * { built, buildError, steps: [{ number, title, status, reason }] } where status is
 * "pass", "fail" or "waiting".
 */
export async function checkResults(chapter, { verbose = false } = {}) {
  const list = steps(chapter);
  const checks = list.flatMap((step) => step.checks);
  const results = new Map(); // check -> { pass, reason }
  let buildError = null;
  let warnings = 0;

  // Rust: build and run the chapter's tests once; a check "server::name" is test
  // `name` of tests/server.rs.
  if (checks.some((check) => check.includes("::"))) {
    const run = await runCommand("cargo", ["test", "--package", chapter.pkg, "--no-fail-fast", "--color", "never"], verbose);
    warnings = (run.output.match(new RegExp(`^warning: \`${chapter.pkg}\` \\([^)]*\\) generated (\\d+) warning`, "gm")) ?? [])
      .map((line) => Number(line.match(/generated (\d+)/)[1]))
      .reduce((a, b) => Math.max(a, b), 0);
    if (/^error(\[E\d+\])?: /m.test(run.output) && !/^test result/m.test(run.output)) {
      buildError = firstCompileError(run.output);
    } else {
      for (const [name, outcome] of parseRustTests(run.output)) results.set(name, outcome);
    }
  }
  // The page: JavaScript that does not even parse fails every page check.
  const js = path.join(root, chapter.dir, "public/app.js");
  const syntax = fs.existsSync(js) ? spawnSync(process.execPath, ["--check", js], { encoding: "utf8" }) : { status: 0 };
  const jsError =
    syntax.status === 0 ? null : `public/app.js does not load:\n       ${syntax.stderr.trim().split("\n").slice(0, 5).join("\n       ")}`;

  // Node: "page.test.mjs: name" is the test `name` of tests/page.test.mjs.
  const nodeFiles = [...new Set(checks.filter((c) => c.includes(".mjs:")).map((c) => c.split(":")[0]))];
  if (nodeFiles.length > 0 && !buildError) {
    const bins = await runCommand("cargo", ["build", "--package", chapter.pkg, "--bins", "--color", "never"], verbose);
    if (bins.code !== 0) buildError = firstCompileError(bins.output);
    else {
      for (const file of nodeFiles) {
        const run = await runNodeTests(path.join(chapter.dir, "tests", file), verbose);
        for (const [name, outcome] of parseTap(run.output)) results.set(`${file}: ${name}`, outcome);
      }
    }
  }

  const outcome = (check) => {
    if (buildError && check.includes("::")) return { pass: false, reason: buildError };
    if (jsError && check.includes(".mjs:")) return { pass: false, reason: jsError };
    if (buildError) return { pass: false, reason: buildError };
    return results.get(check) ?? { pass: false, reason: `no test named "${check}" ran`, missing: true };
  };
  // A stand-in still in the code says best what is missing.
  const standIns = new Map();
  for (const file of markedFiles(chapter)) {
    for (const line of fs.readFileSync(path.join(root, file), "utf8").split("\n")) {
      const found = line.match(/(?:todo!\(|throw new Error\()"(?:TODO: )?Step (\d+): (.*)"\);\s*$/);
      if (found) standIns.set(Number(found[1]), `still to write, in ${file}: ${JSON.parse(`"${found[2]}"`)}`);
    }
  }
  let earlierFailed = false;
  const stepResults = list.map((step) => {
    const outcomes = step.checks.map(outcome);
    const failed = outcomes.find((o) => !o.pass);
    const reason = failed && standIns.has(step.number) && !buildError && !failed.missing ? standIns.get(step.number) : failed?.reason;
    const status = !failed ? "pass" : earlierFailed ? "waiting" : "fail";
    if (failed) earlierFailed = true;
    return { number: step.number, title: step.title, status, reason, missing: outcomes.some((o) => o.missing) };
  });
  return { buildError, jsError, warnings, steps: stepResults };
}

export async function check(given, { verbose = false } = {}) {
  const chapter = chapterDir(given);
  console.log(`Checking chapter ${chapter.number} (its own tests; the first run builds it)...`);
  const { steps: results, warnings } = await checkResults(chapter, { verbose });
  for (const step of results) {
    const mark = { pass: "✅", fail: "❌", waiting: "⏳" }[step.status];
    let line = `${mark} step ${step.number}: ${step.title}`;
    if (step.status === "fail") line += `\n     ${plainWords(step.reason)}`;
    if (step.status === "waiting") line += ` (waiting: its tests need an earlier step too)`;
    console.log(line);
  }
  const state = readState(chapter);
  if (state) writeState(chapter, { ...state, results: Object.fromEntries(results.map((s) => [s.number, s.status])) });
  if (warnings > 0) console.log(`(The compiler gave ${warnings} warning${warnings > 1 ? "s" : ""}: just check ${chapter.number} --verbose shows them.)`);
  const first = results.find((step) => step.status !== "pass");
  if (first) process.exitCode = 1;
  if (!first) console.log(`\nChapter ${chapter.number} is done: every step passes its tests. Compare with the published one: just solution ${chapter.number}`);
  else console.log(`\nNext: step ${first.number} (look for "Step ${first.number}:" in ${chapter.dir}). A hint: just hint ${chapter.number}. Everything the tests said: just check ${chapter.number} --verbose`);
  return results;
}

/** The failure in a learner's words: a todo!() left, or the test's own message. */
function plainWords(reason = "") {
  const todo = reason.match(/(?:not yet implemented|TODO): (Step \d+: .*?\.)(?:\s|$)/);
  if (todo) return `still to write: ${todo[1]}`;
  if (reason.startsWith("still to write") || reason.startsWith("it does not build")) return reason;
  return reason.length > 400 ? reason.slice(0, 400) + "…" : reason;
}

function firstCompileError(output) {
  const lines = output.split("\n");
  const start = lines.findIndex((line) => /^error(\[E\d+\])?: /.test(line));
  if (start < 0) return "the chapter does not build";
  // rustc's message runs to its first blank line: the error, where, and its help.
  const block = [];
  for (const line of lines.slice(start, start + 30)) {
    if (block.length > 0 && line.trim() === "") break;
    block.push(line);
  }
  return `it does not build yet:\n       ${block.join("\n       ")}`;
}

/** Outcomes of a `cargo test` run: "file::name" -> { pass, reason }. */
export function parseRustTests(output) {
  const outcomes = new Map();
  let file = "";
  const failures = new Map();
  const lines = output.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const running = line.match(/Running (?:tests\/(\w+)\.rs|unittests)/);
    if (running) file = running[1] ?? "lib";
    const result = line.match(/^test (\S+) \.\.\. (ok|FAILED|ignored)/);
    if (result) outcomes.set(`${file}::${result[1]}`, { pass: result[2] === "ok" });
    const stdout = line.match(/^---- (\S+) stdout ----$/);
    if (stdout) {
      // The test's captured output: panics of the test and of the server's tasks (a
      // `todo!()` in a handler panics there), without backtraces.
      const message = [];
      for (let j = i + 1; j < lines.length && !/^(---- |failures:$)/.test(lines[j]); j++) {
        if (/^thread '.*' .*panicked at/.test(lines[j]) || /^note: /.test(lines[j]) || /^stack backtrace/.test(lines[j])) continue;
        if (/^\s+\d+: /.test(lines[j]) || /^\s+at /.test(lines[j]) || lines[j].trim() === "") continue;
        message.push(lines[j].trim());
      }
      failures.set(`${file}::${stdout[1]}`, message.join(" ").trim() || "the test failed");
    }
  }
  for (const [name, reason] of failures) if (outcomes.has(name)) outcomes.get(name).reason = reason;
  return outcomes;
}

/** Outcomes of a TAP report from node --test: "name" -> { pass, reason } (leaf tests). */
export function parseTap(output) {
  const outcomes = new Map();
  const lines = output.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const result = lines[i].match(/^(\s*)(ok|not ok) \d+ - (.*?)(?: # .*)?$/);
    if (!result) continue;
    const [, indent, status, name] = result;
    let reason;
    if (status === "not ok") {
      // The YAML block after it: its `error:` (and the expected/actual values).
      const parts = [];
      for (let j = i + 1; j < lines.length && !/^\s*\.\.\.$/.test(lines[j]); j++) {
        const field = lines[j].match(/^\s*(error|expected|actual): ?(.*)$/);
        if (field && field[2] && field[2] !== "|-") parts.push(field[1] === "error" ? field[2].replace(/^['"]|['"]$/g, "") : `${field[1]} ${field[2]}`);
        else if (field && field[1] === "error") {
          const next = lines[j + 1]?.trim();
          if (next) parts.push(next);
        }
      }
      reason = parts.join("; ") || "the test failed";
    }
    // A `describe` shows as a subtest that holds others: keep only the leaves.
    if (!outcomes.has(name) || indent.length > 0) outcomes.set(name, { pass: status === "ok", reason });
  }
  return outcomes;
}

function runCommand(command, args, verbose) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: process.env });
    let output = "";
    const take = (data) => {
      output += data;
      if (verbose) process.stdout.write(data);
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("close", (code) => resolve({ code, output }));
  });
}

/** A Node test file, TAP out, inside a loopback-only network namespace when possible. */
function runNodeTests(file, verbose) {
  const tests = `${JSON.stringify(process.execPath)} --test --test-reporter=tap ${JSON.stringify(file)}`;
  const namespace = process.getuid?.() === 0 ? ["unshare", "--net"] : ["unshare", "--map-root-user", "--net"];
  const canUnshare = spawnSync(namespace[0], [...namespace.slice(1), "true"]).status === 0;
  if (!canUnshare) return runCommand("sh", ["-c", tests], verbose);
  return runCommand(namespace[0], [...namespace.slice(1), "sh", "-c", `ip link set lo up && exec ${tests}`], verbose);
}

// ---------------------------------------------------------------------------------------
// Watch mode: check again on every save, like rustlings' watch

async function watch(given, options) {
  const chapter = chapterDir(given);
  let running = false;
  let again = false;
  const run = async () => {
    if (running) return void (again = true);
    running = true;
    console.clear();
    await check(given, options);
    console.log(`\nWatching ${chapter.dir} (src, public, templates): save a file to check again. Ctrl-C stops.`);
    running = false;
    if (again) {
      again = false;
      run();
    }
  };
  let timer;
  for (const sub of ["src", "public", "templates"]) {
    const dir = path.join(root, chapter.dir, sub);
    if (fs.existsSync(dir)) {
      fs.watch(dir, { recursive: true }, () => {
        clearTimeout(timer);
        timer = setTimeout(run, 300);
      });
    }
  }
  await run();
}

// ---------------------------------------------------------------------------------------

async function main([command, chapter, ...rest]) {
  const verbose = rest.includes("--verbose");
  switch (command) {
    case "start":
      return start(chapter);
    case "check":
      return rest.includes("--watch") ? watch(chapter, { verbose }) : void (await check(chapter, { verbose }));
    case "hint":
      return hint(chapter);
    case "solution":
      return void solution(chapter);
    case "reset":
      return void reset(chapter);
    case "progress":
      return progress();
    default:
      throw new Problem("usage: exercise.mjs start|check|hint|solution|reset N, or progress");
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    if (error instanceof Problem) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  });
}
