//! The notes quote the chapters' code; these tests keep the quotes true.
//!
//! A code block whose first line names a file, such as
//!
//! ````text
//! ```rust file=chapters/03-nickname-chat/src/lib.rs
//! ````
//!
//! must appear in that file exactly, line for line. Change the code and the note must
//! change with it.
//!
//! Two more checks keep the prose true: each note's reading time matches its length,
//! and every backticked name of the workspace that a note or a code comment mentions
//! still exists.

use std::{fs, path::Path};

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// A quoted block: the note it is in, the line it starts on, the file it quotes, its lines.
struct Quote {
    note: String,
    line: usize,
    file: String,
    lines: Vec<String>,
}

fn quotes_in(note: &Path) -> Vec<Quote> {
    let text = fs::read_to_string(note).unwrap();
    let mut quotes = Vec::new();
    let mut open: Option<Quote> = None;
    let mut in_other_block = false;
    for (index, line) in text.lines().enumerate() {
        let fence = line.trim_start().starts_with("```");
        match (&mut open, fence) {
            (Some(_), true) => quotes.push(open.take().unwrap()),
            (Some(quote), false) => quote.lines.push(line.to_owned()),
            (None, true) if in_other_block => in_other_block = false,
            (None, true) => match line
                .split_whitespace()
                .find_map(|word| word.strip_prefix("file="))
            {
                Some(file) => {
                    open = Some(Quote {
                        note: note.display().to_string(),
                        line: index + 1,
                        file: file.to_owned(),
                        lines: Vec::new(),
                    })
                }
                None => in_other_block = true,
            },
            (None, false) => {}
        }
    }
    assert!(
        open.is_none(),
        "{}: a code block is never closed",
        note.display()
    );
    quotes
}

fn notes() -> Vec<std::path::PathBuf> {
    let mut notes: Vec<_> = fs::read_dir(root().join("notes"))
        .expect("a notes/ folder")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    notes.sort();
    notes
}

fn chapters() -> Vec<String> {
    let mut chapters: Vec<_> = fs::read_dir(root().join("chapters"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    chapters.sort();
    chapters
}

#[test]
fn every_quoted_block_is_the_real_code() {
    let mut checked = 0;
    for note in notes() {
        for quote in quotes_in(&note) {
            let source = fs::read_to_string(root().join(&quote.file)).unwrap_or_else(|_| {
                panic!(
                    "{}:{} quotes {}, which does not exist",
                    quote.note, quote.line, quote.file
                )
            });
            let source: Vec<&str> = source.lines().collect();
            let found = !quote.lines.is_empty()
                && source
                    .windows(quote.lines.len())
                    .any(|window| window.iter().zip(&quote.lines).all(|(a, b)| a == b));
            assert!(
                found,
                "{}:{}: this block is no longer in {} (update the note):\n{}",
                quote.note,
                quote.line,
                quote.file,
                quote.lines.join("\n")
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no quoted code found in notes/");
}

#[test]
fn every_chapter_has_a_note_that_quotes_its_code() {
    let index = fs::read_to_string(root().join("notes/README.md")).expect("notes/README.md");
    for chapter in chapters() {
        let note = root().join(format!("notes/{chapter}.md"));
        assert!(
            note.exists(),
            "chapters/{chapter} has no notes/{chapter}.md"
        );
        let quotes = quotes_in(&note);
        assert!(
            quotes
                .iter()
                .any(|quote| quote.file.starts_with(&format!("chapters/{chapter}/"))),
            "notes/{chapter}.md quotes none of the chapter's code"
        );
        assert!(
            index.contains(&format!("({chapter}.md)")),
            "notes/README.md does not link {chapter}.md"
        );
    }
}

#[test]
fn a_changed_quote_is_caught() {
    // The check above must be able to fail: a block that differs by one character.
    let dir = std::env::temp_dir().join(format!("notes-check-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let note = dir.join("fake.md");
    fs::write(
        &note,
        "```rust file=chapters/01-http/src/lib.rs\npub fn app() -> Router  {\n```\n",
    )
    .unwrap();
    let quotes = quotes_in(&note);
    assert_eq!(quotes.len(), 1);
    let source = fs::read_to_string(root().join("chapters/01-http/src/lib.rs")).unwrap();
    assert!(source.contains("pub fn app() -> Router {"));
    assert!(!source.lines().any(|line| line == quotes[0].lines[0]));
    fs::remove_dir_all(dir).unwrap();
}

// Reading times ---------------------------------------------------------------------

/// The words a reader gets through in a minute.
const WORDS_PER_MINUTE: usize = 150;

/// Pages of the course book (`book.toml`) that are not notes to read: no reading time.
const BOOK_PAGES: [&str; 3] = ["SUMMARY.md", "schedule.md", "glossary.md"];

/// Minutes to read `text`: its words (whitespace-separated tokens, code included) at
/// [`WORDS_PER_MINUTE`], to the nearest minute.
fn reading_minutes(text: &str) -> usize {
    (text.split_whitespace().count() + WORDS_PER_MINUTE / 2) / WORDS_PER_MINUTE
}

/// The N of a note's line `*Reading time: about N minutes.*`, among its first lines.
fn stated_reading_time(text: &str) -> Option<usize> {
    text.lines().take(12).find_map(|line| {
        line.trim()
            .strip_prefix("*Reading time: about ")?
            .strip_suffix(" minutes.*")?
            .parse()
            .ok()
    })
}

/// The "Reading" column of the index's table: the note each row links, and the number
/// its cell starts with (`9 min`).
fn index_reading_times(index: &str) -> Vec<(String, Option<usize>)> {
    let mut column = None;
    let mut times = Vec::new();
    for line in index.lines() {
        let line = line.trim();
        if !line.starts_with('|') {
            column = None;
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if let Some(at) = cells.iter().position(|cell| *cell == "Reading") {
            column = Some(at);
            continue;
        }
        let Some(at) = column else { continue };
        let linked = cells.iter().find_map(|cell| {
            let target = cell.split_once("](")?.1.split_once(')')?.0;
            target.ends_with(".md").then(|| target.to_owned())
        });
        if let Some(note) = linked {
            let minutes = cells
                .get(at)
                .and_then(|cell| cell.split_whitespace().next()?.parse().ok());
            times.push((note, minutes));
        }
    }
    times
}

#[test]
fn every_reading_time_is_true() {
    // Each note says how long it takes to read, and the index repeats it. Notes change a
    // little with every edit, so a figure one minute off still passes.
    let index = fs::read_to_string(root().join("notes/README.md")).expect("notes/README.md");
    let table = index_reading_times(&index);
    let mut wrong = Vec::new();
    for note in notes() {
        let name = note.file_name().unwrap().to_string_lossy().into_owned();
        if name == "README.md" || BOOK_PAGES.contains(&name.as_str()) {
            continue;
        }
        let text = fs::read_to_string(&note).unwrap();
        let words = text.split_whitespace().count();
        let minutes = reading_minutes(&text);
        let why = format!("{words} words at {WORDS_PER_MINUTE} a minute");
        match stated_reading_time(&text) {
            Some(stated) if stated.abs_diff(minutes) <= 1 => {}
            Some(stated) => wrong.push(format!(
                "notes/{name} says {stated} minutes, but its {why} take {minutes}: \
                 write `*Reading time: about {minutes} minutes.*`"
            )),
            None => wrong.push(format!(
                "notes/{name} has no reading time near its top: add a line \
                 `*Reading time: about {minutes} minutes.*` ({why})"
            )),
        }
        match table.iter().find(|(linked, _)| *linked == name) {
            Some((_, Some(stated))) if stated.abs_diff(minutes) <= 1 => {}
            Some((_, stated)) => wrong.push(format!(
                "notes/README.md gives {name} {} in its Reading column, but its {why} \
                 take {minutes}: write `{minutes} min`",
                stated.map_or("no number".to_owned(), |n| format!("{n} min"))
            )),
            None => wrong.push(format!(
                "notes/README.md has no row with a Reading cell for {name}: \
                 its {why} take {minutes} min"
            )),
        }
    }
    assert!(wrong.is_empty(), "reading times:\n{}", wrong.join("\n"));
}

// Names in backticks ----------------------------------------------------------------
//
// Prose goes stale quietly: a note or a comment names a function, a type, a test or a
// file in backticks, the code moves on, and the sentence keeps the old name. This check
// reads every backticked name that looks like one of the workspace's own, in the notes'
// prose and in the code's comments, and asks that it still exist.

/// Names from outside the workspace that notes or comments mention in backticks, but
/// that appear in no source file of the workspace. Keep this list short: a name of the
/// workspace itself never belongs here.
const EXTERNAL_NAMES: &[&str] = &[
    // Browser APIs that the pages reach without writing these names.
    "ArrayBuffer",
    "InvalidStateError",
    "MediaStream",
    "MediaStreamTrack",
    "RTCDataChannel",
    "RTCIceCandidate",
    "RTCRtpSender",
    "RTCSessionDescription",
    // Chromium's error page for a self-signed certificate (classroom mode).
    "NET::ERR_CERT_AUTHORITY_INVALID",
];

/// A backticked name that was not found.
#[derive(Debug)]
struct Stale {
    place: String,
    name: String,
    why: &'static str,
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: `{}` ({})", self.place, self.name, self.why)
    }
}

/// What a file is, for the scan: whose backticks count, and how to tell code from
/// comments.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Markdown: the prose counts, fenced blocks do not.
    Note,
    /// Rust: the comments count.
    Rust,
    /// JavaScript: the comments count.
    Js,
}

/// The text of each comment in `source`, with its line number (1-based), one entry per
/// line of a comment. Strings and characters are skipped, so `"http://x"` is no comment.
fn comments(source: &str, kind: Kind) -> Vec<(usize, String)> {
    split_code(source, kind).1
}

/// `source` split into its code (comments left out, strings kept) and its comments.
fn split_code(source: &str, kind: Kind) -> (String, Vec<(usize, String)>) {
    #[derive(Clone, Copy, PartialEq)]
    enum At {
        Code,
        Line,
        Block(usize),
        Str(char),
        RawStr(usize),
        Template,
    }
    let chars: Vec<char> = source.chars().collect();
    let mut code = String::with_capacity(source.len());
    let mut found: Vec<(usize, String)> = Vec::new();
    let mut line = 1;
    let mut at = At::Code;
    // In JavaScript, `${` inside a template opens code; this counts the braces to close.
    let mut template_braces: Vec<usize> = Vec::new();
    let mut comment = String::new();
    let mut i = 0;
    let flush = |found: &mut Vec<(usize, String)>, comment: &mut String, line: usize| {
        if !comment.trim().is_empty() {
            found.push((line, std::mem::take(comment)));
        }
        comment.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '\n' {
            if matches!(at, At::Line | At::Block(_)) {
                flush(&mut found, &mut comment, line);
            }
            if at == At::Line {
                at = At::Code;
            }
            code.push('\n');
            line += 1;
            i += 1;
            continue;
        }
        match at {
            At::Code => {
                if c == '/' && next == Some('/') {
                    at = At::Line;
                    i += 2;
                    continue;
                }
                if c == '/' && next == Some('*') {
                    at = At::Block(1);
                    i += 2;
                    continue;
                }
                code.push(c);
                match (kind, c) {
                    (_, '"') => at = At::Str('"'),
                    (Kind::Js, '\'') => at = At::Str('\''),
                    (Kind::Js, '`') => at = At::Template,
                    (Kind::Js, '{') if !template_braces.is_empty() => {
                        *template_braces.last_mut().unwrap() += 1;
                    }
                    (Kind::Js, '}') if !template_braces.is_empty() => {
                        let depth = template_braces.last_mut().unwrap();
                        if *depth == 0 {
                            template_braces.pop();
                            at = At::Template;
                        } else {
                            *depth -= 1;
                        }
                    }
                    (Kind::Rust, 'r') if matches!(next, Some('#' | '"')) => {
                        // r"...", r#"..."#: count the hashes.
                        let hashes = chars[i + 1..].iter().take_while(|&&h| h == '#').count();
                        if chars.get(i + 1 + hashes) == Some(&'"')
                            && !chars[..i]
                                .last()
                                .is_some_and(|p| p.is_alphanumeric() || *p == '_')
                        {
                            code.extend(std::iter::repeat_n('#', hashes));
                            code.push('"');
                            at = At::RawStr(hashes);
                            i += 2 + hashes;
                            continue;
                        }
                    }
                    (Kind::Rust, '\'') => {
                        // A character ('"', '\n'), or a lifetime ('a), which is code.
                        if next == Some('\\') {
                            let end = chars[i + 2..].iter().position(|&q| q == '\'');
                            if let Some(end) = end {
                                code.extend(&chars[i + 1..i + 3 + end]);
                                i += 3 + end;
                                continue;
                            }
                        } else if chars.get(i + 2) == Some(&'\'') {
                            code.extend(&chars[i + 1..i + 3]);
                            i += 3;
                            continue;
                        }
                    }
                    _ => {}
                }
            }
            At::Line => comment.push(c),
            At::Block(depth) => {
                if c == '*' && next == Some('/') {
                    at = if depth == 1 {
                        At::Code
                    } else {
                        At::Block(depth - 1)
                    };
                    if at == At::Code {
                        flush(&mut found, &mut comment, line);
                    }
                    i += 2;
                    continue;
                }
                if kind == Kind::Rust && c == '/' && next == Some('*') {
                    at = At::Block(depth + 1);
                    i += 2;
                    continue;
                }
                comment.push(c);
            }
            At::Str(quote) => {
                code.push(c);
                if c == '\\' {
                    if let Some(escaped) = next.filter(|&e| e != '\n') {
                        code.push(escaped);
                        i += 2;
                        continue;
                    }
                } else if c == quote {
                    at = At::Code;
                }
            }
            At::RawStr(hashes) => {
                code.push(c);
                if c == '"'
                    && chars[i + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&h| h == '#')
                        .count()
                        == hashes
                {
                    code.extend(std::iter::repeat_n('#', hashes));
                    at = At::Code;
                    i += 1 + hashes;
                    continue;
                }
            }
            At::Template => {
                code.push(c);
                if c == '\\' {
                    if let Some(escaped) = next {
                        code.push(escaped);
                        i += 2;
                        continue;
                    }
                } else if c == '`' {
                    at = At::Code;
                } else if c == '$' && next == Some('{') {
                    code.push('{');
                    template_braces.push(0);
                    at = At::Code;
                    i += 2;
                    continue;
                }
            }
        }
        i += 1;
    }
    flush(&mut found, &mut comment, line);
    (code, found)
}

/// The inline code spans of one line of Markdown: `` `a` ``, ``` `` a`b `` ```. A run of
/// backticks with no matching run after it is plain text.
fn code_spans(line: &str) -> Vec<String> {
    let bytes = line.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
        let start = i + run;
        let mut j = start;
        let mut closed = None;
        while j < bytes.len() {
            if bytes[j] == b'`' {
                let other = bytes[j..].iter().take_while(|&&b| b == b'`').count();
                if other == run {
                    closed = Some(j);
                    break;
                }
                j += other;
            } else {
                j += 1;
            }
        }
        match closed {
            Some(end) => {
                spans.push(line[start..end].trim().to_owned());
                i = end + run;
            }
            None => i = start,
        }
    }
    spans
}

/// Every backticked span worth checking in one file, with its line: the prose of a
/// note, or the comments of a source file.
fn mentions(path: &Path, kind: Kind) -> Vec<(usize, String)> {
    let text = fs::read_to_string(path).unwrap_or_default();
    let mut found = Vec::new();
    match kind {
        Kind::Note => {
            let mut fenced = false;
            for (index, line) in text.lines().enumerate() {
                if line.trim_start().starts_with("```") {
                    fenced = !fenced;
                    continue;
                }
                if !fenced {
                    found.extend(code_spans(line).into_iter().map(|span| (index + 1, span)));
                }
            }
        }
        Kind::Rust | Kind::Js => {
            for (line, comment) in comments(&text, kind) {
                found.extend(code_spans(&comment).into_iter().map(|span| (line, span)));
            }
        }
    }
    found
}

/// A name part: letters, digits and `_`, not starting with a digit.
fn is_word(word: &str) -> bool {
    !word.is_empty()
        && !word.starts_with(|c: char| c.is_ascii_digit())
        && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `join_and_remember`, `MAX_PACKET_BYTES`: a word with an underscore inside it.
fn is_snake(word: &str) -> bool {
    let inner = word.trim_matches('_');
    inner.contains('_')
        && (inner.chars().all(|c| !c.is_ascii_uppercase())
            || inner.chars().all(|c| !c.is_ascii_lowercase()))
}

/// `InOrder`, `getUserMedia`, `RTCPeerConnection`: two humps or more.
fn is_camel(word: &str) -> bool {
    if word.contains('_') {
        return false;
    }
    let chars: Vec<char> = word.chars().collect();
    let humps = (0..chars.len())
        .filter(|&i| {
            chars[i].is_ascii_uppercase()
                && (i == 0 || chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit())
        })
        .count();
    humps >= 2
}

/// The `::` segments of a span that looks like a name of this workspace, if it does:
/// `shared::remembered_rooms`, `InOrder::wait`, `a_stale_name_is_caught()`; but not
/// `select!` or `Notify` (no underscore, one hump).
fn name_segments(span: &str) -> Option<Vec<&str>> {
    let name = span.strip_suffix("()").unwrap_or(span);
    let name = name.strip_suffix('!').unwrap_or(name);
    let segments: Vec<&str> = name.split("::").collect();
    if !segments.iter().all(|segment| is_word(segment)) {
        return None;
    }
    let ours = (segments[0] == "shared" && segments.len() > 1)
        || segments
            .iter()
            .any(|segment| is_snake(segment) || is_camel(segment));
    ours.then_some(segments)
}

/// Does a path of the workspace exist? `*` matches within one part of the path.
fn path_exists(dir: &Path, parts: &[&str]) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return true;
    };
    if first.is_empty() || *first == "." {
        return path_exists(dir, rest);
    }
    if !first.contains('*') {
        let next = dir.join(first);
        return next.exists() && path_exists(&next, rest);
    }
    let (before, after) = first.split_once('*').unwrap();
    let after_star = after.to_owned();
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let fits = name.len() >= before.len() + after_star.replace('*', "").len()
                && name.starts_with(before)
                && glob_tail(&name[before.len()..], &after_star);
            fits && path_exists(&entry.path(), rest)
        })
}

/// Whether `name` matches `pattern`, where `*` is any run of characters.
fn glob_tail(name: &str, pattern: &str) -> bool {
    match pattern.split_once('*') {
        None => name.ends_with(pattern),
        Some((literal, rest)) => (0..=name.len())
            .filter(|&at| name.is_char_boundary(at) && name[at..].starts_with(literal))
            .any(|at| glob_tail(&name[at + literal.len()..], rest)),
    }
}

/// A span that is a path in the workspace, without a `:line` at its end.
fn workspace_path(span: &str) -> Option<&str> {
    let ours = ["chapters/", "shared/", "tests/", "notes/"];
    if !ours.iter().any(|prefix| span.starts_with(prefix)) || span.contains(char::is_whitespace) {
        return None;
    }
    let mut path = span;
    // `file.rs:12`, `file.rs:12:5`
    while let Some((before, after)) = path.rsplit_once(':') {
        if after.is_empty() || !after.chars().all(|c| c.is_ascii_digit() || c == '-') {
            break;
        }
        path = before;
    }
    Some(path)
}

/// What the workspace's code knows: every word of its source files (comments left out,
/// strings kept), and the names the shared crate declares.
struct Known {
    words: std::collections::HashSet<String>,
    shared: std::collections::HashSet<String>,
}

/// Source files under `dir`, skipping build output, npm packages, the notes and hidden
/// folders.
fn source_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !(name.starts_with('.')
                || name == "target"
                || name == "node_modules"
                || name == "notes")
            {
                source_files(&path, found);
            }
        } else if name == "justfile"
            || [".rs", ".js", ".mjs", ".html", ".toml"]
                .iter()
                .any(|ext| name.ends_with(ext))
        {
            found.push(path);
        }
    }
}

/// This file's comments are not checked: they name things only as examples.
fn is_this_file(path: &Path) -> bool {
    path.ends_with("tests/tests/notes.rs")
}

fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| !word.is_empty())
}

fn known() -> Known {
    let mut files = Vec::new();
    source_files(root(), &mut files);
    let mut words = std::collections::HashSet::new();
    let mut shared = std::collections::HashSet::new();
    let shared_dir = root().join("shared");
    for file in &files {
        let text = fs::read_to_string(file).unwrap_or_default();
        let name = file.to_string_lossy();
        let code = if name.ends_with(".rs") {
            split_code(&text, Kind::Rust).0
        } else if name.ends_with(".js") || name.ends_with(".mjs") {
            split_code(&text, Kind::Js).0
        } else if name.ends_with(".html") {
            without_html_comments(&text)
        } else {
            // TOML and the justfile: `#` starts a comment line.
            text.lines()
                .filter(|line| !line.trim_start().starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n")
        };
        if file.starts_with(&shared_dir) && name.ends_with(".rs") {
            for line in code.lines() {
                let line_words: Vec<&str> = words_of(line).collect();
                if line.trim_start().starts_with("pub use") {
                    shared.extend(line_words.iter().map(|word| word.to_string()));
                }
                for pair in line_words.windows(2) {
                    let declares = [
                        "fn",
                        "struct",
                        "enum",
                        "const",
                        "static",
                        "mod",
                        "type",
                        "trait",
                        "macro_rules",
                    ];
                    if declares.contains(&pair[0]) {
                        shared.insert(pair[1].to_owned());
                    }
                }
            }
        }
        words.extend(words_of(&code).map(str::to_owned));
    }
    Known { words, shared }
}

fn without_html_comments(text: &str) -> String {
    let mut kept = String::new();
    let mut rest = text;
    while let Some((before, after)) = rest.split_once("<!--") {
        kept.push_str(before);
        rest = after.split_once("-->").map_or("", |(_, after)| after);
    }
    kept.push_str(rest);
    kept
}

/// Every stale backticked name in `files`, and how many names and paths were checked.
fn stale_names(files: &[(std::path::PathBuf, Kind)], known: &Known) -> (usize, Vec<Stale>) {
    let mut checked = 0;
    let mut stale = Vec::new();
    for (file, kind) in files {
        let shown = file
            .strip_prefix(root())
            .unwrap_or(file)
            .display()
            .to_string();
        for (line, span) in mentions(file, *kind) {
            let place = format!("{shown}:{line}");
            if let Some(path) = workspace_path(&span) {
                checked += 1;
                if !path_exists(root(), &path.split('/').collect::<Vec<_>>()) {
                    stale.push(Stale {
                        place,
                        name: span,
                        why: "no such file or folder",
                    });
                }
            } else if let Some(segments) = name_segments(&span) {
                checked += 1;
                if EXTERNAL_NAMES.contains(&span.as_str()) {
                    continue;
                }
                let missing = if segments[0] == "shared" {
                    segments[1..]
                        .iter()
                        .any(|segment| !known.shared.contains(*segment))
                } else {
                    segments
                        .iter()
                        .any(|segment| !known.words.contains(*segment))
                };
                if missing {
                    let why = if segments[0] == "shared" {
                        "the shared crate declares no such name"
                    } else {
                        "no such name in the workspace's code"
                    };
                    stale.push(Stale {
                        place,
                        name: span,
                        why,
                    });
                }
            }
        }
    }
    (checked, stale)
}

/// The files whose backticks are checked: the notes, and the comments of the Rust code
/// and of the pages' scripts.
fn files_to_check() -> Vec<(std::path::PathBuf, Kind)> {
    let mut files: Vec<_> = notes().into_iter().map(|note| (note, Kind::Note)).collect();
    let mut sources = Vec::new();
    for dir in ["chapters", "shared", "tests"] {
        source_files(&root().join(dir), &mut sources);
    }
    sources.sort();
    for source in sources.into_iter().filter(|file| !is_this_file(file)) {
        let name = source.to_string_lossy().into_owned();
        let is_page_script = name.ends_with(".js")
            && source.parent().is_some_and(|dir| dir.ends_with("public"))
            && source.starts_with(root().join("chapters"));
        if name.ends_with(".rs") {
            files.push((source, Kind::Rust));
        } else if is_page_script {
            files.push((source, Kind::Js));
        }
    }
    files
}

#[test]
fn every_code_name_in_backticks_exists() {
    let known = known();
    let (checked, stale) = stale_names(&files_to_check(), &known);
    // A scan that finds nothing to check is broken, not clean.
    assert!(
        checked > 200,
        "only {checked} backticked names found: is the scan reading the files?"
    );
    assert!(
        stale.is_empty(),
        "{} backticked names no longer exist (rename them, or, for a library's name that \
         no source file uses, add it to EXTERNAL_NAMES):\n{}",
        stale.len(),
        stale
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_stale_name_is_caught() {
    // The check above must be able to fail: a note and a comment that name things which
    // do not exist, beside things that do. The made-up names are put together at run
    // time, so that this file (part of what the workspace knows) never contains them.
    let gone = ["Rooms", "At", "Disconnect"].concat();
    let fenced = ["Not", "In", "Prose"].concat();
    let quoted = ["Not", "A", "Comment"].concat();
    let dir = std::env::temp_dir().join(format!("names-check-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let note = dir.join("fake.md");
    fs::write(
        &note,
        format!(
            "The handler reads `{gone}`, as in `chapters/99-nowhere/src/lib.rs`.\n\
             These exist: `InOrder::wait`, `chapters/05-room-chat/src/lib.rs:12`, `chapters/*/src/`.\n\
             ```rust\n\
             let ignored = `{fenced}`; // in a fenced block\n\
             ```\n"
        ),
    )
    .unwrap();
    let source = dir.join("fake.rs");
    fs::write(
        &source,
        format!("// Gone: `shared::no_such_helper`.\nlet url = \"http://x // `{quoted}`\";\n"),
    )
    .unwrap();
    let (_, stale) = stale_names(&[(note, Kind::Note), (source, Kind::Rust)], &known());
    let names: Vec<&str> = stale.iter().map(|stale| stale.name.as_str()).collect();
    fs::remove_dir_all(dir).unwrap();
    assert_eq!(
        names,
        [
            gone.as_str(),
            "chapters/99-nowhere/src/lib.rs",
            "shared::no_such_helper"
        ],
        "{stale:?}"
    );
}

// The schedule ----------------------------------------------------------------------
//
// Each note's "For instructors" part says how long the chapter takes in class (its
// "Timing" line); the book's schedule page repeats those minutes and adds them up per day
// and for the whole course. The two must agree.

/// The N of a note's `- **Timing:** about N minutes` line.
fn timing(note: &str) -> Option<usize> {
    note.lines().find_map(|line| {
        line.trim()
            .strip_prefix("- **Timing:** about ")?
            .split_once(" minutes")?
            .0
            .parse()
            .ok()
    })
}

/// The rows of a Markdown table whose header row starts with `first`, as trimmed cells.
fn table_rows(text: &str, first: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut inside = false;
    for line in text.lines().map(str::trim) {
        if !line.starts_with('|') {
            inside = false;
            continue;
        }
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_owned())
            .collect();
        if cells.first().is_some_and(|c| c == first) {
            inside = true;
        } else if inside && !cells[0].starts_with("---") {
            rows.push(cells);
        }
    }
    rows
}

/// The first number in a cell: `**520** (8 hours …)` gives 520.
fn number(cell: &str) -> Option<usize> {
    let digits: String = cell
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[test]
fn the_schedule_agrees_with_the_notes() {
    let schedule = fs::read_to_string(root().join("notes/schedule.md")).expect("notes/schedule.md");
    let mut wrong = Vec::new();
    let mut per_day = std::collections::BTreeMap::<usize, usize>::new();
    let rows = table_rows(&schedule, "Chapter");
    for chapter in chapters() {
        let note = fs::read_to_string(root().join(format!("notes/{chapter}.md"))).unwrap();
        let Some(minutes) = timing(&note) else {
            wrong.push(format!(
                "notes/{chapter}.md has no `- **Timing:** about N minutes` line"
            ));
            continue;
        };
        let row = rows
            .iter()
            .find(|row| row[0].contains(&format!("({chapter}.md)")));
        match row.map(|row| (number(&row[1]), row.get(2).and_then(|day| number(day)))) {
            Some((Some(listed), Some(day))) => {
                if listed != minutes {
                    wrong.push(format!(
                        "notes/schedule.md gives {chapter} {listed} minutes, its note's Timing line {minutes}"
                    ));
                }
                *per_day.entry(day).or_default() += listed;
            }
            _ => wrong.push(format!(
                "notes/schedule.md has no row with minutes and a day for {chapter}"
            )),
        }
    }
    let days = table_rows(&schedule, "Day");
    for (day, sum) in &per_day {
        let row = days.iter().find(|row| number(&row[0]) == Some(*day));
        match row.and_then(|row| number(&row[2])) {
            Some(listed) if listed == *sum => {}
            listed => wrong.push(format!(
                "notes/schedule.md: day {day} adds up to {sum} minutes, listed {listed:?}"
            )),
        }
    }
    let total: usize = per_day.values().sum();
    let whole = days
        .iter()
        .find(|row| row[0].contains("whole course"))
        .and_then(|row| number(&row[2]));
    if whole != Some(total) {
        wrong.push(format!(
            "notes/schedule.md: the whole course adds up to {total} minutes, listed {whole:?}"
        ));
    }
    assert!(wrong.is_empty(), "the schedule:\n{}", wrong.join("\n"));
}
