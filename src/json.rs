//! Writing JSON, for every `--json` output and status descriptor of nsrun: strings from bytes,
//! without a library.
//!
//! Paths and names on Linux are bytes, not always UTF-8. Valid UTF-8 is written as it is (with
//! `"`, `\` and control characters escaped); each byte that is not part of valid UTF-8 is written
//! as the lone surrogate `\udcXX`, Python's "surrogateescape": Python's json module reads it back
//! and `os.fsencode` gives the exact bytes; other readers see U+FFFD, a visible mark that the name
//! was not text.

use alloc::string::String;
use core::fmt::Write;

/// Appends `bytes` to `out` as a JSON string, with its quotes.
pub fn string(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                c if (c as u32) < 0x20 || c == '\u{7f}' => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        for &b in chunk.invalid() {
            let _ = write!(out, "\\udc{b:02x}");
        }
    }
    out.push('"');
}

/// Appends `"key": ` to `out`, after a comma unless `first`.
pub fn key(out: &mut String, first: bool, key: &str) {
    if !first {
        out.push_str(", ");
    }
    string(out, key.as_bytes());
    out.push_str(": ");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: &[u8]) -> String {
        let mut out = String::new();
        string(&mut out, b);
        out
    }

    #[test]
    fn escapes() {
        assert_eq!(s(b"plain /path"), "\"plain /path\"");
        assert_eq!(s(b"a\"b\\c"), "\"a\\\"b\\\\c\"");
        assert_eq!(
            s(b"\n\t\r\x01\x1f\x7f"),
            "\"\\n\\t\\r\\u0001\\u001f\\u007f\""
        );
        assert_eq!(s("é→😀".as_bytes()), "\"é→😀\"");
        assert_eq!(s(b"a\xffb\xc3"), "\"a\\udcffb\\udcc3\"");
        assert_eq!(s(b""), "\"\"");
    }

    #[test]
    fn keys() {
        let mut out = String::from("{");
        key(&mut out, true, "a");
        out.push('1');
        key(&mut out, false, "b\"");
        out.push('2');
        out.push('}');
        assert_eq!(out, "{\"a\": 1, \"b\\\"\": 2}");
    }
}
