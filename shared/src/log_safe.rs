//! Text from a browser in a log line, without letting it write lines of its own.

use std::fmt;

/// `text` for a log line, with its control characters escaped: a chat message holding
/// a newline and a made-up log line shows as one line, `hi\nINFO forged`, instead of
/// two. Line and paragraph separators and the bidirectional overrides, which some
/// terminals also act on, are escaped too; every other character is kept as it is.
///
/// ```
/// assert_eq!(shared::log_safe("Ana\nINFO forged").to_string(), "Ana\\nINFO forged");
/// ```
///
/// Use it wherever a log line shows what a browser sent (a nickname, a room name, a
/// message): `info!("{} entered room {}", log_safe(&nickname), log_safe(&room))`.
pub fn log_safe(text: &str) -> LogSafe<'_> {
    LogSafe(text)
}

/// What [`log_safe`] returns: shows its text with control characters escaped.
#[derive(Clone, Copy, Debug)]
pub struct LogSafe<'a>(&'a str);

impl fmt::Display for LogSafe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        let mut rest = self.0;
        while let Some(at) = rest.find(needs_escape) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            if c.is_control() {
                // \n, \r, \t, and \u{1b} for the others.
                for escaped in c.escape_default() {
                    f.write_char(escaped)?;
                }
            } else {
                for escaped in c.escape_unicode() {
                    f.write_char(escaped)?;
                }
            }
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}
