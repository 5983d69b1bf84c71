#!/usr/bin/env node
// An mdBook preprocessor for the course book (book.toml runs it after the translation):
//
// - each note's "For instructors" part becomes speaker notes, folded by default, with its
//   minutes in the line that unfolds it;
// - a link to a file of the workbook outside notes/ (`../chapters/03-nickname-chat/`)
//   becomes its plain text, since the book carries only the notes;
// - each page gets a link to the same page in the other edition.
//
// mdBook calls it twice: `preprocess.mjs supports html` (exit 0 means yes), then with
// `[context, book]` as JSON on stdin, expecting the book back on stdout.

import { readFileSync } from "node:fs";

// The heading that starts the speaker notes, in each edition. The Korean one is what
// po/ko.po makes of "For instructors"; the book test checks that both fold.
export const SPEAKER_NOTES = { en: "For instructors", ko: "강사를 위한 노트" };
const MINUTES = { en: (n) => `about ${n} minutes`, ko: (n) => `약 ${n}분` };

// "**Timing:** about 60 minutes" or "**시간:** 약 60분": the first number after the label.
const TIMING = /^- \*\*[^*]+:\*\*\s*\D*?(\d+)\s*(?:minutes|분)/m;

export function speakerNotes(markdown, language) {
  const heading = `## ${SPEAKER_NOTES[language] ?? SPEAKER_NOTES.en}`;
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => line.trim() === heading);
  if (start < 0) return markdown;
  let end = lines.findIndex((line, i) => i > start && /^#{1,2} /.test(line));
  if (end < 0) end = lines.length;
  const body = lines.slice(start + 1, end).join("\n");
  const timing = body.match(TIMING);
  const minutes = timing ? ` · ${(MINUTES[language] ?? MINUTES.en)(timing[1])}` : "";
  const folded = [
    `<details class="speaker-notes">`,
    `<summary><strong>${heading.slice(3)}</strong>${minutes}</summary>`,
    "",
    body.trim(),
    "",
    "</details>",
    "",
  ];
  return [...lines.slice(0, start), ...folded, ...lines.slice(end)].join("\n");
}

// `[text](../path)` and `[text](../path#part)`: the text stays, the link goes.
export function linksOutOfTheBook(markdown) {
  return markdown.replace(/\[([^\]]+)\]\(\.\.\/[^)\s]*\)/g, "$1");
}

function walk(items, language) {
  for (const item of items) {
    const chapter = item.Chapter;
    if (!chapter) continue;
    chapter.content = linksOutOfTheBook(speakerNotes(chapter.content, language));
    walk(chapter.sub_items, language);
  }
}

if (process.argv[2] === "supports") {
  process.exit(process.argv[3] === "html" ? 0 : 1);
}
if (import.meta.url === `file://${process.argv[1]}`) {
  const [context, book] = JSON.parse(readFileSync(0, "utf8"));
  walk(book.items, context.config.book.language ?? "en");
  process.stdout.write(JSON.stringify(book));
}
