// Proof that the exercises are real, for every chapter that has one (or those named:
// `node tests/exercises/proof.mjs 3 4`):
//
// - the starter builds, and its JavaScript loads;
// - every step's checks FAIL on the starter (a step that passes with its code taken out
//   checks nothing);
// - every step's checks PASS on the published chapter, and every test they name exists;
// - a learner's attempt survives `just solution` and `just reset`.
//
// It works in a copy of the workbook (made from the files git knows, with what is not
// yet committed), so the real chapters are never touched. The copy builds into
// target/exercise-proof/ (the dependencies are built there once, then kept).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { root } from "./exercise.mjs";

function copyWorkbook() {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "workbook-proof-"));
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: root, encoding: "utf8" })
    .split("\0")
    .filter((file) => file && fs.existsSync(path.join(root, file)));
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(copy, file));
  }
  fs.symlinkSync(path.join(root, "node_modules"), path.join(copy, "node_modules"));
  const git = (...args) => execFileSync("git", args, { cwd: copy, stdio: "ignore" });
  git("init", "-q");
  git("add", "-A");
  git("-c", "user.name=proof", "-c", "user.email=proof@localhost", "commit", "-qm", "published");
  return copy;
}

async function main(wanted) {
  const copy = copyWorkbook();
  process.env.CARGO_TARGET_DIR = path.join(root, "target/exercise-proof");
  // The copy's own exercise.mjs works on the copy (its `root` is where it lies).
  const tool = await import(path.join(copy, "tests/exercises/exercise.mjs"));
  const chapters = fs
    .readdirSync(path.join(copy, "chapters"))
    .filter((dir) => fs.existsSync(path.join(copy, "chapters", dir, "exercise.toml")))
    .map((dir) => Number(dir.slice(0, 2)))
    .filter((n) => wanted.length === 0 || wanted.includes(n));
  const problems = [];
  const quiet = { log: console.log };
  for (const number of chapters) {
    const chapter = tool.chapterDir(number);
    console.log = () => {};
    try {
      tool.start(number);
    } finally {
      console.log = quiet.log;
    }
    const starter = await tool.checkResults(chapter);
    console.log = () => {};
    try {
      tool.reset(number);
    } finally {
      console.log = quiet.log;
    }
    const published = await tool.checkResults(chapter);
    const steps = starter.steps.length;
    const builds = !starter.buildError && !starter.jsError;
    const failing = starter.steps.filter((step) => step.status !== "pass").length;
    const passing = published.steps.filter((step) => step.status === "pass").length;
    console.log(
      `chapter ${number}: ${steps} steps, starter ${builds ? "builds" : "DOES NOT BUILD"}, ` +
        `${failing}/${steps} steps fail on the starter, ${passing}/${steps} pass on the solution`,
    );
    if (!builds) problems.push(`chapter ${number}: the starter does not build: ${starter.buildError ?? starter.jsError}`);
    for (const step of starter.steps) {
      if (step.status === "pass") problems.push(`chapter ${number}, step ${step.number}: its checks pass on the starter`);
    }
    for (const step of published.steps) {
      if (step.status !== "pass") problems.push(`chapter ${number}, step ${step.number}: fails on the solution: ${step.reason}`);
      if (step.missing) problems.push(`chapter ${number}, step ${step.number}: names a test that does not exist`);
    }
  }
  problems.push(...attemptSurvives(tool, copy, chapters[0] ?? 1));
  fs.rmSync(copy, { recursive: true, force: true });
  if (problems.length > 0) {
    console.error(`\n${problems.join("\n")}`);
    console.log(`0 passed, ${problems.length} failed`);
    process.exit(1);
  }
  console.log(`${chapters.length + 1} passed, 0 failed`);
}

/** Starts an exercise, writes something, and checks that solution and reset keep it. */
function attemptSurvives(tool, copy, number) {
  const problems = [];
  const chapter = tool.chapterDir(number);
  const log = console.log;
  console.log = () => {};
  try {
    // Refused over the learner's own edits, and nothing changed.
    const lib = path.join(copy, chapter.dir, "src/lib.rs");
    const mine = "// my own note, written before starting\n";
    fs.appendFileSync(lib, mine);
    let refused = false;
    try {
      tool.start(number);
    } catch (error) {
      refused = error instanceof tool.Problem;
    }
    if (!refused || !fs.readFileSync(lib, "utf8").endsWith(mine)) problems.push("exercise: starting over edits was not refused");
    const first = tool.reset(number);
    if (!first || !fs.readFileSync(path.join(copy, first), "utf8").includes("my own note")) problems.push("reset: the edits were not saved");

    // An attempt, then the solution: the attempt is saved and can be applied again.
    tool.start(number);
    const attempt = "// my attempt at this step\n";
    fs.appendFileSync(lib, attempt);
    const extra = path.join(copy, chapter.dir, "src/my_notes.rs");
    fs.writeFileSync(extra, "// a file of my own\n");
    const saved = tool.solution(number, { show: false });
    const patch = saved && fs.readFileSync(path.join(copy, saved), "utf8");
    if (!patch?.includes("my attempt at this step") || !patch.includes("a file of my own")) problems.push("solution: the attempt was not saved");
    if (fs.readFileSync(lib, "utf8").includes("my attempt") || fs.existsSync(extra)) problems.push("solution: the chapter is not as published");
    execFileSync("git", ["apply", saved], { cwd: copy });
    if (!fs.readFileSync(lib, "utf8").includes("my attempt") || !fs.existsSync(extra)) problems.push("solution: the saved attempt does not apply again");
    tool.reset(number);
  } finally {
    console.log = log;
  }
  console.log(`an attempt survives just solution and just reset: ${problems.length === 0 ? "yes" : "NO"}`);
  return problems;
}

main(process.argv.slice(2).map(Number));
