#!/usr/bin/env node
// The translator's tool for the Korean edition (po/ko.po), run by `just book-po`:
//
//   node tests/book/po.mjs extract   the English text as target/po/messages.pot
//   node tests/book/po.mjs update    extract, then merge it into po/ko.po (msgmerge): new
//                                    text arrives untranslated, changed text as fuzzy
//   node tests/book/po.mjs check     fail, naming the notes, when po/ko.po lacks current
//                                    English text or has untranslated or fuzzy entries
//
// Code blocks are not translated: a quote from a chapter must stay its real code, so
// `update` copies each code block's English into its translation. Diagrams (mermaid) are
// translated: their labels are text.

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const POT = join(root, "target/po/messages.pot");
const PO = join(root, "po/ko.po");

// --- A small reader and writer for the PO format (what msgmerge writes) ------------------

const ESCAPES = { n: "\n", t: "\t", r: "\r", '"': '"', "\\": "\\" };

function unquote(line) {
  const inner = line.trim().slice(1, -1);
  return inner.replace(/\\(.)/g, (_, c) => ESCAPES[c] ?? c);
}

/** The entries of a PO file: { comments: [...], flags, msgctxt, msgid, msgstr, obsolete }. */
export function parsePo(text) {
  const entries = [];
  for (const block of text.split(/\n\s*\n/)) {
    const entry = { comments: [], flags: [], msgid: null, msgstr: "", obsolete: false };
    let field = null;
    for (let line of block.split("\n")) {
      if (line.startsWith("#~")) {
        entry.obsolete = true;
        line = line.replace(/^#~\s?/, "");
      }
      if (line.startsWith("#,")) entry.flags.push(...line.slice(2).split(",").map((f) => f.trim()));
      else if (line.startsWith("#")) entry.comments.push(line);
      else if (/^msg(id|str|ctxt) /.test(line)) {
        const [, name, rest] = line.match(/^(msgid|msgstr|msgctxt) (.*)$/);
        field = name;
        entry[field] = unquote(rest);
      } else if (line.startsWith('"') && field) entry[field] += unquote(line);
    }
    if (entry.msgid !== null) entries.push(entry);
  }
  return entries;
}

function quote(text) {
  const escaped = (s) => JSON.stringify(s).replace(/\\u([0-9a-f]{4})/g, (m, h) => String.fromCharCode(parseInt(h, 16)));
  if (!text.includes("\n") || text.indexOf("\n") === text.length - 1) return escaped(text);
  const lines = text.split(/(?<=\n)/);
  return ['""', ...lines.map(escaped)].join("\n");
}

export function writePo(entries) {
  return entries
    .map((entry) => {
      const lines = [...entry.comments];
      if (entry.flags.length) lines.push(`#, ${entry.flags.join(", ")}`);
      if (entry.msgctxt != null) lines.push(`msgctxt ${quote(entry.msgctxt)}`);
      lines.push(`msgid ${quote(entry.msgid)}`, `msgstr ${quote(entry.msgstr)}`);
      return entry.obsolete ? lines.map((l) => (l.startsWith("#") ? l : `#~ ${l}`)).join("\n") : lines.join("\n");
    })
    .join("\n\n") + "\n";
}

// --- What is and isn't translated ----------------------------------------------------------

/**
 * Code keeps its own text: a whole code block other than a diagram, a comment or string
 * that mdbook-xgettext took out of a code block in a known language (`sh`, `rust`), and a
 * cell with no letters in it ("1", "→").
 */
export function isCode(msgid, codeText = codeInNotes()) {
  if (msgid.startsWith("```")) return !msgid.startsWith("```mermaid");
  if (!/\p{L}/u.test(msgid)) return true;
  return /^(#|\/\/|\/\*|"|'|<!--)/.test(msgid) && codeText.includes(msgid.trimEnd());
}

let code;
/** The text of every code block in the book's pages, diagrams left out. */
function codeInNotes() {
  code ??= bookPages()
    .map((page) => readFileSync(join(root, "notes", page), "utf8"))
    .flatMap((text) => [...text.matchAll(/^```(?!mermaid)[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1]))
    .join("\n");
  return code;
}

function bookPages() {
  const summary = readFileSync(join(root, "notes/SUMMARY.md"), "utf8");
  return [...summary.matchAll(/\]\(([^)]+\.md)\)/g)].map((m) => m[1]);
}

function notesOf(entry) {
  return entry.comments
    .filter((c) => c.startsWith("#:"))
    .flatMap((c) => c.slice(2).trim().split(/\s+/))
    .map((ref) => ref.replace(/:\d+$/, ""));
}

// --- The commands ------------------------------------------------------------------------------

export function extract() {
  mkdirSync(dirname(POT), { recursive: true });
  execFileSync("mdbook", ["build", "-d", "target/po"], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      MDBOOK_OUTPUT: JSON.stringify({ xgettext: { "pot-file": "messages.pot", granularity: 0 } }),
      RUST_LOG: "warn",
    },
  });
  const diagrams = countDiagrams();
  const extracted = parsePo(readFileSync(POT, "utf8")).filter((e) => e.msgid.startsWith("```mermaid")).length;
  if (extracted < diagrams) {
    throw new Error(
      `the notes have ${diagrams} diagrams but only ${extracted} reached messages.pot: mdbook-xgettext ` +
        `skips a code block with neither a quote (") nor //, so put a quoted word in each diagram`,
    );
  }
  return POT;
}

function countDiagrams() {
  return bookPages().reduce((n, page) => n + (readFileSync(join(root, "notes", page), "utf8").match(/^```mermaid/gm) ?? []).length, 0);
}

/**
 * Code translates to itself, and so do the load generator's tables in notes/figures/ (they
 * are its output, rewritten by every `just bench`); neither ever stays fuzzy.
 */
export function fillCode(entries) {
  const generated = (entry) => notesOf(entry).length > 0 && notesOf(entry).every((note) => note.startsWith("notes/figures/"));
  for (const entry of entries) {
    if (!entry.obsolete && entry.msgid && (isCode(entry.msgid) || generated(entry))) {
      entry.msgstr = entry.msgid;
      entry.flags = entry.flags.filter((f) => f !== "fuzzy");
    }
  }
  return entries;
}

function merge(into) {
  extract();
  if (!existsSync(PO)) {
    mkdirSync(dirname(PO), { recursive: true });
    execFileSync("msginit", ["--no-translator", "--locale=ko", "-i", POT, "-o", into], { stdio: "ignore" });
  } else {
    execFileSync("msgmerge", ["--quiet", "--no-wrap", "-o", into, PO, POT], { stdio: "inherit" });
  }
  // Text gone from the notes leaves the file too (git keeps its history).
  const entries = fillCode(parsePo(readFileSync(into, "utf8")).filter((entry) => !entry.obsolete));
  writeFileSync(into, writePo(entries));
  return entries;
}

function update() {
  const entries = merge(PO);
  const open = problems(entries);
  console.log(`po/ko.po: ${entries.filter((e) => e.msgid && !e.obsolete).length} entries, ${open.length} to translate`);
  report(open);
}

function problems(entries) {
  return entries
    .filter((e) => e.msgid && !e.obsolete)
    .filter((e) => !e.msgstr || e.flags.includes("fuzzy"))
    .map((e) => ({ why: e.msgstr ? "fuzzy (the English changed)" : "not translated", notes: notesOf(e), msgid: e.msgid }));
}

function report(open) {
  const byNote = new Map();
  for (const p of open) for (const note of p.notes) byNote.set(note, [...(byNote.get(note) ?? []), p]);
  for (const [note, list] of [...byNote].sort()) {
    console.log(`${note}: ${list.length} to translate`);
    for (const p of list.slice(0, 5)) console.log(`  ${p.why}: ${JSON.stringify(p.msgid.slice(0, 70))}`);
  }
}

function check() {
  const scratch = join(root, "target/po/ko-check.po");
  const entries = merge(scratch);
  const open = problems(entries);
  if (open.length === 0) {
    console.log("po/ko.po is up to date: every English text has its Korean translation");
    return;
  }
  console.error(`po/ko.po is behind the English notes: ${open.length} entries`);
  report(open);
  console.error("Run `just book-po`, translate the entries it lists in po/ko.po, then `just book ko`.");
  process.exitCode = 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const command = process.argv[2];
  if (command === "extract") console.log(extract());
  else if (command === "update") update();
  else if (command === "check") check();
  else {
    console.error("usage: po.mjs extract | update | check");
    process.exitCode = 2;
  }
}
