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
