//! Messages on stdout and stderr: each is formatted first and written with one write(2).

use alloc::string::String;
use core::fmt::{self, Write};
use core::sync::atomic::{AtomicI32, Ordering};

use crate::sys::fd;

/// Where [`error_line`] writes: stderr, or the pipe of `--detach` to the foreground nsrun.
static ERRORS: AtomicI32 = AtomicI32::new(2);

/// Whether error lines are written as JSON objects (the OCI runtime's `--log-format json`).
static JSON: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Writes later error lines as `{"level":"error","msg":"...","time":"..."}` (a line that
/// starts with `warning: ` as level "warning"), one object a line, without `nsrun: `.
pub fn json_errors() {
    JSON.store(true, Ordering::Relaxed);
}

/// Sends later [`error_line`]s to descriptor `fd` (2: stderr again).
pub fn errors_to(fd: i32) {
    ERRORS.store(fd, Ordering::Relaxed);
}

/// The descriptor error lines go to.
pub fn errors_fd() -> i32 {
    ERRORS.load(Ordering::Relaxed)
}

/// Formats `args` into one line `nsrun: ...\n` and writes it to stderr in one call.
pub fn error_line(args: fmt::Arguments) {
    let mut line = String::with_capacity(128);
    let _ = write!(line, "nsrun: {args}");
    line.push('\n');
    write_error(&line);
}

/// Writes the line `nsrun: TEXT\n` to stderr in one call ([`error_line`] of a line made already,
/// without the formatter).
pub fn error_str(text: &str) {
    write_error(&cat(&["nsrun: ", text, "\n"]));
}

fn write_error(line: &str) {
    if JSON.load(Ordering::Relaxed) {
        let text = line
            .strip_prefix("nsrun: ")
            .unwrap_or(line)
            .trim_end_matches('\n');
        let (level, msg) = match text.strip_prefix("warning: ") {
            Some(rest) => ("warning", rest),
            None => ("error", text),
        };
        let mut obj = cat(&["{\"level\":\"", level, "\",\"msg\":"]);
        crate::json::string(&mut obj, msg.as_bytes());
        obj.push_str(",\"time\":\"");
        crate::json::rfc3339(&mut obj, crate::sys::clock::now_secs());
        obj.push_str("\"}\n");
        fd::write_all(
            fd::borrow_named(ERRORS.load(Ordering::Relaxed)),
            obj.as_bytes(),
        );
        return;
    }
    fd::write_all(
        fd::borrow_named(ERRORS.load(Ordering::Relaxed)),
        line.as_bytes(),
    );
}

/// The pieces one after the other (a message or a path put together without the formatting
/// machinery, whose every call site costs code).
pub fn cat(pieces: &[&str]) -> String {
    let mut s = String::new();
    for p in pieces {
        s.push_str(p);
    }
    s
}

/// `bytes` as [`Bytes`] shows them, added to `s` (one call of the formatter for every caller).
#[inline(never)]
pub fn push_shown(s: &mut String, bytes: &[u8]) {
    let _ = write!(s, "{}", Bytes(bytes));
}

/// `before`, then `bytes` as [`Bytes`] shows them, then `after` (a message piece without a call
/// of the formatter at each place).
#[inline(never)]
pub fn around(before: &str, bytes: &[u8], after: &str) -> String {
    let mut s = String::from(before);
    push_shown(&mut s, bytes);
    s.push_str(after);
    s
}

/// Appends `n` in decimal, without the formatter.
#[inline(never)]
pub fn push_u64(s: &mut String, n: u64) {
    let mut digits = alloc::vec::Vec::new();
    crate::state::entry::decimal(&mut digits, n);
    s.extend(digits.iter().map(|&d| char::from(d)));
}

/// Appends `n` in decimal, with a `-` when negative.
pub fn push_i32(s: &mut String, n: i32) {
    if n < 0 {
        s.push('-');
    }
    push_u64(s, n.unsigned_abs().into());
}

/// `bytes` as [`Bytes`] shows them.
pub fn shown(bytes: &[u8]) -> String {
    let mut s = String::new();
    push_shown(&mut s, bytes);
    s
}

/// Writes `text` to stdout as it is.
pub fn stdout_str(text: &str) {
    fd::write_all(fd::stdout(), text.as_bytes());
}

/// Displays bytes that are usually UTF-8 (paths, names, arguments) as one line of printable text:
/// valid UTF-8 as it is, except that control characters (C0, DEL and C1) are quoted as `\n`, `\t`,
/// `\r` or `\xNN` per byte, a backslash as `\\`, and bytes that are not UTF-8 as `\xNN`. So an
/// argument cannot break an error line in two or send escape sequences to the terminal.
pub struct Bytes<'a>(pub &'a [u8]);

impl fmt::Display for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            let valid = chunk.valid();
            let mut plain = 0;
            for (i, c) in valid.char_indices() {
                if !c.is_control() && c != '\\' {
                    continue;
                }
                f.write_str(valid.get(plain..i).unwrap_or_default())?;
                plain = i + c.len_utf8();
                match c {
                    '\n' => f.write_str("\\n")?,
                    '\t' => f.write_str("\\t")?,
                    '\r' => f.write_str("\\r")?,
                    '\\' => f.write_str("\\\\")?,
                    _ => {
                        for b in c.encode_utf8(&mut [0; 4]).bytes() {
                            write!(f, "\\x{b:02x}")?;
                        }
                    }
                }
            }
            f.write_str(valid.get(plain..).unwrap_or_default())?;
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

/// A line put together on the stack, cut at 512 bytes: for the container's process, which
/// allocates nothing.
pub struct Line {
    buf: [u8; 512],
    len: usize,
}

impl Default for Line {
    fn default() -> Line {
        Line {
            buf: [0; 512],
            len: 0,
        }
    }
}

impl Line {
    /// Appends `b` (what does not fit is cut).
    pub fn push(&mut self, b: &[u8]) {
        let n = b.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&b[..n]);
        self.len += n;
    }

    /// Appends `n` in decimal.
    pub fn number(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(&digits[i..]);
    }

    /// The line so far.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    fn show(b: &[u8]) -> String {
        format!("{}", Bytes(b))
    }

    #[test]
    fn plain_text_and_utf8_are_kept() {
        assert_eq!(show(b"/usr/bin/ls"), "/usr/bin/ls");
        assert_eq!(show("/tmp/ünï ☃".as_bytes()), "/tmp/ünï ☃");
        assert_eq!(show(b""), "");
    }

    #[test]
    fn controls_backslashes_and_bad_bytes_are_quoted() {
        assert_eq!(show(b"a\nb"), "a\\nb");
        assert_eq!(show(b"\x1b[31mred"), "\\x1b[31mred");
        assert_eq!(show(b"t\tr\r\x7f\0"), "t\\tr\\r\\x7f\\x00");
        assert_eq!(show("c1\u{9b}".as_bytes()), "c1\\xc2\\x9b");
        assert_eq!(show(b"a\\x1b"), "a\\\\x1b");
        assert_eq!(show(b"\xff\xfe/x"), "\\xff\\xfe/x");
    }

    #[test]
    fn every_byte_string_shows_as_printable_text() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 12) as usize;
            let bytes: alloc::vec::Vec<u8> = (0..len).map(|i| (seed >> (i * 5)) as u8).collect();
            let s = show(&bytes);
            assert!(!s.chars().any(char::is_control), "{bytes:?} -> {s:?}");
        }
    }
}
