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

/// A parsed JSON value. Objects keep their members in order; a key given twice is an error
/// (two readers of one document must never see different values).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`
    Null,
    /// `true`, `false`
    Bool(bool),
    /// A number without fraction or exponent that fits in 64 bits.
    Int(i64),
    /// An integer above `i64::MAX` that fits in `u64`.
    UInt(u64),
    /// Any other number (a fraction, an exponent, or beyond 64 bits), as its text: nothing nsrun
    /// reads is such a number, so none is converted (a float parser would cost some 18 KB).
    Number(String),
    /// A string (escapes decoded, surrogate pairs joined).
    Str(String),
    /// An array.
    Array(alloc::vec::Vec<Value>),
    /// An object: its members in order.
    Object(alloc::vec::Vec<(String, Value)>),
}

/// Why a document is not JSON, and where (a byte offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error {
    /// The byte offset where parsing stopped.
    pub at: usize,
    /// What was wrong there.
    pub what: &'static str,
}

/// The deepest nesting of arrays and objects [`parse`] takes: far above any configuration file,
/// far below what the parser's stack holds.
pub const MAX_DEPTH: usize = 128;

/// Parses one JSON document (RFC 8259), with nothing but white space around it.
pub fn parse(text: &[u8]) -> Result<Value, Error> {
    let mut p = Reader { text, at: 0 };
    let value = p.value(0)?;
    p.space();
    match p.at == text.len() {
        true => Ok(value),
        false => Err(p.error("text after the value")),
    }
}

impl Value {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The number as an i64, if it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int(n) => Some(n),
            _ => None,
        }
    }

    /// The number as a u64, if it is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Int(n) => u64::try_from(n).ok(),
            Value::UInt(n) => Some(n),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }
}

struct Reader<'a> {
    text: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn error(&self, what: &'static str) -> Error {
        Error { at: self.at, what }
    }

    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.text.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Value, Error> {
        match self.text[self.at..].starts_with(word) {
            true => {
                self.at += word.len();
                Ok(value)
            }
            false => Err(self.error("not a JSON value")),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, Error> {
        self.space();
        match self.peek() {
            None => Err(self.error("the document ends where a value should be")),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(open @ (b'[' | b'{')) => {
                if depth >= MAX_DEPTH {
                    return Err(self.error("nested more than 128 deep"));
                }
                self.at += 1;
                match open {
                    b'[' => self.array(depth + 1),
                    _ => self.object(depth + 1),
                }
            }
            Some(_) => Err(self.error("not a JSON value")),
        }
    }

    /// After `[`.
    fn array(&mut self, depth: usize) -> Result<Value, Error> {
        let mut items = alloc::vec::Vec::new();
        self.space();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(depth)?);
            self.space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']' in an array")),
            }
        }
    }

    /// After `{`.
    fn object(&mut self, depth: usize) -> Result<Value, Error> {
        let mut members: alloc::vec::Vec<(String, Value)> = alloc::vec::Vec::new();
        self.space();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.space();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key in an object"));
            }
            let key_at = self.at;
            let key = self.string()?;
            if members.iter().any(|(k, _)| *k == key) {
                return Err(Error {
                    at: key_at,
                    what: "a key given twice in one object",
                });
            }
            self.space();
            if self.peek() != Some(b':') {
                return Err(self.error("expected ':' after a key"));
            }
            self.at += 1;
            let value = self.value(depth)?;
            members.push((key, value));
            self.space();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Object(members));
                }
                _ => return Err(self.error("expected ',' or '}' in an object")),
            }
        }
    }

    /// At `"`: the string, its escapes decoded.
    fn string(&mut self) -> Result<String, Error> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            let run = core::str::from_utf8(&self.text[start..self.at]).map_err(|e| Error {
                at: start + e.valid_up_to(),
                what: "a string that is not UTF-8",
            })?;
            out.push_str(run);
            match self.peek() {
                None => return Err(self.error("a string without its closing quote")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let c = self.escape()?;
                    out.push(c);
                }
                Some(_) => return Err(self.error("a control character in a string")),
            }
        }
    }

    /// After `\`: one escaped character (a surrogate pair is one).
    fn escape(&mut self) -> Result<char, Error> {
        let Some(b) = self.peek() else {
            return Err(self.error("a string without its closing quote"));
        };
        self.at += 1;
        Ok(match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = match first {
                    0xd800..=0xdbff => {
                        if !self.text[self.at..].starts_with(b"\\u") {
                            return Err(self.error("a high surrogate without its low half"));
                        }
                        self.at += 2;
                        let low = self.hex4()?;
                        if !(0xdc00..=0xdfff).contains(&low) {
                            return Err(self.error("a high surrogate without its low half"));
                        }
                        0x10000 + ((first - 0xd800) << 10) + (low - 0xdc00)
                    }
                    0xdc00..=0xdfff => return Err(self.error("a low surrogate alone")),
                    c => c,
                };
                char::from_u32(code).ok_or_else(|| self.error("not a character"))?
            }
            _ => {
                self.at -= 1;
                return Err(self.error("an unknown escape in a string"));
            }
        })
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let digits = self.text.get(self.at..self.at + 4);
        let hex = digits.filter(|d| d.iter().all(u8::is_ascii_hexdigit));
        let hex = hex.ok_or_else(|| self.error("\\u without four hex digits"))?;
        self.at += 4;
        Ok(hex
            .iter()
            .fold(0, |n, &d| n * 16 + char::from(d).to_digit(16).unwrap_or(0)))
    }

    fn number(&mut self) -> Result<Value, Error> {
        let start = self.at;
        let digits = |r: &mut Self| {
            let from = r.at;
            while r.peek().is_some_and(|b| b.is_ascii_digit()) {
                r.at += 1;
            }
            r.at - from
        };
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let int_at = self.at;
        match digits(self) {
            0 => return Err(self.error("a number without digits")),
            n if n > 1 && self.text[int_at] == b'0' => {
                self.at = int_at;
                return Err(self.error("a number with a leading zero"));
            }
            _ => {}
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.at += 1;
            integer = false;
            if digits(self) == 0 {
                return Err(self.error("a number without digits after '.'"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            integer = false;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("a number without digits in its exponent"));
            }
        }
        // Only ASCII digits, signs, '.' and 'e' were taken.
        let text = core::str::from_utf8(&self.text[start..self.at]).unwrap_or("");
        if integer {
            if let Ok(n) = text.parse::<i64>() {
                return Ok(Value::Int(n));
            }
            if let Ok(n) = text.parse::<u64>() {
                return Ok(Value::UInt(n));
            }
        }
        Ok(Value::Number(String::from(text)))
    }
}

#[cfg(test)]
mod parse_tests {
    use super::*;
    use alloc::vec;

    fn ok(text: &str) -> Value {
        parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e:?}"))
    }

    fn bad(text: &[u8]) -> Error {
        parse(text).expect_err(&String::from_utf8_lossy(text))
    }

    #[test]
    fn values() {
        assert_eq!(ok(" null "), Value::Null);
        assert_eq!(ok("true"), Value::Bool(true));
        assert_eq!(ok("-0"), Value::Int(0));
        assert_eq!(ok("-9223372036854775808"), Value::Int(i64::MIN));
        assert_eq!(ok("18446744073709551615"), Value::UInt(u64::MAX));
        assert_eq!(
            ok("18446744073709551616"),
            Value::Number("18446744073709551616".into())
        );
        assert_eq!(ok("1.5e3"), Value::Number("1.5e3".into()));
        assert_eq!(ok("1e999"), Value::Number("1e999".into()));
        assert_eq!(
            ok(r#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#),
            Value::Str("a\"\\/\u{8}\u{c}\n\r\té😀".into())
        );
        assert_eq!(
            ok("[1, [], {}]"),
            Value::Array(vec![
                Value::Int(1),
                Value::Array(vec![]),
                Value::Object(vec![])
            ])
        );
        let v = ok(r#"{"a": {"b": [true]}, "c": "d"}"#);
        assert_eq!(v.get("c").and_then(Value::as_str), Some("d"));
        assert_eq!(
            v.get("a")
                .and_then(|a| a.get("b"))
                .and_then(Value::as_array)
                .map(<[Value]>::len),
            Some(1)
        );
        assert_eq!(ok("4294967296").as_u64(), Some(1 << 32));
        assert_eq!(ok("-1").as_u64(), None);
    }

    #[test]
    fn refusals() {
        for (text, what) in [
            (&b""[..], "the document ends where a value should be"),
            (b"[1,]", "not a JSON value"),
            (b"[1 2]", "expected ',' or ']' in an array"),
            (b"{\"a\" 1}", "expected ':' after a key"),
            (b"{a: 1}", "expected a string key in an object"),
            (b"{\"a\": 1, \"a\": 2}", "a key given twice in one object"),
            (b"\"abc", "a string without its closing quote"),
            (b"\"a\x01\"", "a control character in a string"),
            (b"\"\\x\"", "an unknown escape in a string"),
            (b"\"\\ud800\"", "a high surrogate without its low half"),
            (
                b"\"\\ud800\\u0041\"",
                "a high surrogate without its low half",
            ),
            (b"\"\\udc00\"", "a low surrogate alone"),
            (b"\"\\u12\"", "\\u without four hex digits"),
            (b"\"\xff\"", "a string that is not UTF-8"),
            (b"01", "a number with a leading zero"),
            (b"-", "a number without digits"),
            (b"1.", "a number without digits after '.'"),
            (b"1e", "a number without digits in its exponent"),
            (b"nul", "not a JSON value"),
            (b"1 2", "text after the value"),
            (b"+1", "not a JSON value"),
        ] {
            assert_eq!(bad(text).what, what, "{:?}", String::from_utf8_lossy(text));
        }
        let deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(deep.as_bytes()).is_ok());
        let deeper = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(bad(deeper.as_bytes()).what, "nested more than 128 deep");
        let huge = "{\"a\":".repeat(100_000);
        assert_eq!(bad(huge.as_bytes()).what, "nested more than 128 deep");
    }

    /// What [`string`] writes, [`parse`] reads back (for text).
    #[test]
    fn written_strings_read_back() {
        for text in ["", "plain", "a\"b\\c", "\n\t\r\u{1}\u{7f}", "é→😀"] {
            let mut out = String::new();
            string(&mut out, text.as_bytes());
            assert_eq!(parse(out.as_bytes()), Ok(Value::Str(text.into())));
        }
    }

    /// Truncations and byte flips of a config-shaped document never panic, and each is either
    /// refused or parsed to a value.
    #[test]
    fn mangled_documents_never_panic() {
        let doc = br#"{"ociVersion": "1.0.2", "process": {"args": ["sh", "-c", "echo \u00e9"], "env": ["A=1"], "user": {"uid": 0, "gid": 4294967295}, "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1.5e2}]}, "root": {"path": "rootfs", "readonly": true}, "x": null}"#;
        assert!(parse(doc).is_ok());
        for end in 0..doc.len() {
            let _ = parse(&doc[..end]);
        }
        let mut seed = 0x9e3779b97f4a7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let bytes = b"{}[]\",:\\u0123456789.eE+-tfnrl \x00\xff\xc3";
        for _ in 0..20_000 {
            let mut d = doc.to_vec();
            for _ in 0..1 + next() % 4 {
                let i = (next() as usize) % d.len();
                d[i] = bytes[(next() as usize) % bytes.len()];
            }
            let _ = parse(&d);
        }
    }
}

/// Appends `secs` (seconds since the epoch) as an RFC 3339 time in UTC: `2026-12-02T06:36:11Z`.
pub fn rfc3339(out: &mut String, secs: u64) {
    // Howard Hinnant's days-to-civil algorithm.
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let two = |out: &mut String, n: u64| {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    crate::out::push_u64(out, year.max(0) as u64);
    out.push('-');
    two(out, month as u64);
    out.push('-');
    two(out, day as u64);
    out.push('T');
    two(out, rem / 3600);
    out.push(':');
    two(out, rem / 60 % 60);
    out.push(':');
    two(out, rem % 60);
    out.push('Z');
}
