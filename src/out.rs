//! Messages on stdout and stderr: each is formatted first and written with one write(2).

use alloc::string::String;
use core::fmt::{self, Write};

use crate::sys::fd;

/// Formats `args` into one line `nsrun: ...\n` and writes it to stderr in one call.
pub fn error_line(args: fmt::Arguments) {
    let mut line = String::with_capacity(128);
    let _ = write!(line, "nsrun: {args}");
    line.push('\n');
    fd::write_all(2, line.as_bytes());
}

/// Writes `text` to stdout as it is.
pub fn stdout_str(text: &str) {
    fd::write_all(1, text.as_bytes());
}

/// Displays bytes that are usually UTF-8 (paths, names) without failing on the rest.
pub struct Bytes<'a>(pub &'a [u8]);

impl fmt::Display for Bytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        for chunk in self.0.utf8_chunks() {
            f.write_str(chunk.valid())?;
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}
