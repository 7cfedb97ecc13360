//! Reading typed values out of a [`Value`] tree, each failure one line naming the JSON path.
//!
//! The checks are those of Go's encoding/json decoding into the runtime spec's types, which is
//! what runc does: a number for an integer field has neither fraction nor exponent and fits the
//! field's type, `null` is the same as the member left out, and a member whose name matches a
//! field's only when case is ignored would be taken by Go: nsrun refuses it instead of reading
//! the document differently. Small functions taking `&Value` and the path, no generics, so the
//! model costs little code. Stricter than Go in one way: `null` as an element of an array
//! (`"args": ["sh", null]`) is refused, where Go would read an empty string or a zero.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use super::Error;
use crate::json::Value;

/// Where a value is in the document, as a chain of parts up to the file: formatted only when
/// something is wrong.
#[derive(Clone, Copy)]
pub(super) struct At<'a> {
    up: Option<&'a At<'a>>,
    part: Part<'a>,
}

#[derive(Clone, Copy)]
enum Part<'a> {
    /// The document itself, by its file name.
    File(&'a str),
    /// A field of an object: `.name`.
    Key(&'a str),
    /// An element of an array: `[n]`.
    Index(usize),
    /// A member of a map (annotations, sysctl): `["name"]`, quoted as JSON.
    Entry(&'a str),
}

impl<'a> At<'a> {
    /// The root: the document named `file`.
    pub(super) const fn file(file: &'a str) -> At<'a> {
        At {
            up: None,
            part: Part::File(file),
        }
    }

    /// The field `key` of the object here.
    pub(super) fn key(&'a self, key: &'a str) -> At<'a> {
        At {
            up: Some(self),
            part: Part::Key(key),
        }
    }

    /// Element `index` of the array here.
    pub(super) fn index(&'a self, index: usize) -> At<'a> {
        At {
            up: Some(self),
            part: Part::Index(index),
        }
    }

    /// The member `name` of the map here.
    pub(super) fn entry(&'a self, name: &'a str) -> At<'a> {
        At {
            up: Some(self),
            part: Part::Entry(name),
        }
    }

    fn write(&self, out: &mut String) {
        if let Some(up) = self.up {
            up.write(out);
        }
        match self.part {
            Part::File(name) => out.push_str(name),
            Part::Key(key) => {
                out.push_str(match self.up.map(|u| u.part) {
                    Some(Part::File(_)) => ": ",
                    _ => ".",
                });
                out.push_str(key);
            }
            Part::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
            Part::Entry(name) => {
                out.push('[');
                quote(out, name);
                out.push(']');
            }
        }
    }

    /// The error `file: path: what`.
    pub(super) fn fail(&self, what: &str) -> Error {
        let mut line = String::with_capacity(64 + what.len());
        self.write(&mut line);
        line.push_str(": ");
        line.push_str(what);
        Error(line)
    }

    /// The error `file: path: expected WHAT, found VALUE`.
    pub(super) fn expected(&self, what: &str, found: &Value) -> Error {
        let mut text = String::from("expected ");
        text.push_str(what);
        text.push_str(", found ");
        describe(&mut text, found);
        self.fail(&text)
    }
}

/// A string as a message shows it: quoted as JSON, cut after 60 bytes (`"abc"...`), so that a
/// huge value or key cannot make a huge line.
pub(super) fn quote(out: &mut String, s: &str) {
    let mut end = s.len().min(60);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    crate::json::string(out, &s.as_bytes()[..end]);
    if end < s.len() {
        out.push_str("...");
    }
}

/// A value as a message shows it: scalars as JSON (a long string cut), containers by kind.
pub(super) fn describe(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Value::UInt(n) => {
            let _ = write!(out, "{n}");
        }
        // Not printed: float formatting would be some 12 KB of code for this message only.
        Value::Number(_) => {
            out.push_str("a number with a fraction or an exponent, or beyond 64 bits")
        }
        Value::Str(s) => quote(out, s),
        Value::Array(_) => out.push_str("an array"),
        Value::Object(_) => out.push_str("an object"),
    }
}

/// An integer from 0 to `max`.
pub(super) fn uint(value: &Value, at: &At, max: u64) -> Result<u64, Error> {
    match value.as_u64() {
        Some(n) if n <= max => Ok(n),
        _ => {
            let mut what = String::new();
            let _ = write!(what, "an integer from 0 to {max}");
            Err(at.expected(&what, value))
        }
    }
}

/// An integer from `min` to `max`.
pub(super) fn int(value: &Value, at: &At, min: i64, max: i64) -> Result<i64, Error> {
    match value.as_i64() {
        Some(n) if (min..=max).contains(&n) => Ok(n),
        _ => {
            let mut what = String::new();
            let _ = write!(what, "an integer from {min} to {max}");
            Err(at.expected(&what, value))
        }
    }
}

/// A u32, as Go's `uint32`.
pub(super) fn u32_of(value: &Value, at: &At) -> Result<u32, Error> {
    uint(value, at, u32::MAX.into()).map(|n| n as u32)
}

/// A string.
/// A string, without NUL characters: every string of the model may become a C string, where a
/// NUL would cut it short.
pub(super) fn string<'v>(value: &'v Value, at: &At) -> Result<&'v str, Error> {
    match value.as_str() {
        Some(s) if s.contains('\0') => {
            Err(at.fail("a string with a NUL character (\\u0000) in it"))
        }
        Some(s) => Ok(s),
        None => Err(at.expected("a string", value)),
    }
}

/// An array of strings.
pub(super) fn strings(value: &Value, at: &At) -> Result<Vec<String>, Error> {
    let items = array(value, at)?;
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        out.push(String::from(string(item, &at.index(i))?));
    }
    Ok(out)
}

/// An array.
pub(super) fn array<'v>(value: &'v Value, at: &At) -> Result<&'v [Value], Error> {
    value
        .as_array()
        .ok_or_else(|| at.expected("an array", value))
}

/// An object with string values, in order (annotations, sysctl).
pub(super) fn string_map(value: &Value, at: &At) -> Result<Vec<(String, String)>, Error> {
    let Value::Object(members) = value else {
        return Err(at.expected("an object", value));
    };
    let mut out = Vec::with_capacity(members.len());
    for (key, item) in members {
        let text = string(item, &at.entry(key))?;
        out.push((key.clone(), String::from(text)));
    }
    Ok(out)
}

/// Whether a value says nothing: what Go's `omitempty` leaves out (null, false, 0, "", [] and
/// {}), and an object of such values.
pub(super) fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) | Value::Int(0) | Value::UInt(0) => true,
        Value::Str(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(members) => members.iter().all(|(_, v)| is_empty(v)),
        _ => false,
    }
}

/// Whether Go's encoding/json would take the member `name` for the field `key` (ASCII): the
/// same letters in any case, the Kelvin sign for k and the long s for s included (Unicode
/// folds them so).
pub(super) fn folds_to(name: &str, key: &str) -> bool {
    let mut chars = name.chars();
    for k in key.chars() {
        let same = match chars.next() {
            Some(c) => {
                c.eq_ignore_ascii_case(&k)
                    || matches!((c, k), ('\u{212a}', 'k' | 'K') | ('\u{17f}', 's' | 'S'))
            }
            None => false,
        };
        if !same {
            return false;
        }
    }
    chars.next().is_none()
}

/// An object being read: its members and where it is.
pub(super) struct Obj<'v, 'a> {
    members: &'v [(String, Value)],
    /// Where the object is.
    pub(super) at: At<'a>,
}

impl<'v, 'a> Obj<'v, 'a> {
    /// `value` as an object at `at`.
    pub(super) fn new(value: &'v Value, at: At<'a>) -> Result<Obj<'v, 'a>, Error> {
        match value {
            Value::Object(members) => Ok(Obj { members, at }),
            _ => Err(at.expected("an object", value)),
        }
    }

    /// The member `key`; `None` when it is missing or null. A member named `key` in other case
    /// (which Go would take for it) is an error.
    pub(super) fn get(&self, key: &str) -> Result<Option<&'v Value>, Error> {
        let mut found = None;
        for (name, value) in self.members {
            if name == key {
                found = Some(value);
            } else if folds_to(name, key) {
                let mut what = String::new();
                quote(&mut what, name);
                what.push_str(" is not a field: names are case-sensitive (\"");
                what.push_str(key);
                what.push_str("\" is meant?)");
                return Err(self.at.fail(&what));
            }
        }
        Ok(found.filter(|v| **v != Value::Null))
    }

    /// The member `key`, which must be given.
    pub(super) fn required(&self, key: &str) -> Result<&'v Value, Error> {
        self.get(key)?
            .ok_or_else(|| self.at.key(key).fail("missing"))
    }

    /// The member `key` as an object.
    pub(super) fn obj<'s>(&'s self, key: &'s str) -> Result<Option<Obj<'v, 's>>, Error> {
        match self.get(key)? {
            Some(value) => Obj::new(value, self.at.key(key)).map(Some),
            None => Ok(None),
        }
    }

    /// The member `key` as a string; missing: `""`.
    pub(super) fn str(&self, key: &str) -> Result<&'v str, Error> {
        match self.get(key)? {
            Some(value) => string(value, &self.at.key(key)),
            None => Ok(""),
        }
    }

    /// The member `key` as a string; missing or empty: `None` (Go cannot tell them apart).
    pub(super) fn opt_str(&self, key: &str) -> Result<Option<String>, Error> {
        let text = self.str(key)?;
        Ok((!text.is_empty()).then(|| String::from(text)))
    }

    /// The member `key` as true or false; missing: false.
    pub(super) fn bool(&self, key: &str) -> Result<bool, Error> {
        Ok(self.opt_bool(key)?.unwrap_or(false))
    }

    /// The member `key` as true or false, if given.
    pub(super) fn opt_bool(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.get(key)? {
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(value) => Err(self.at.key(key).expected("true or false", value)),
            None => Ok(None),
        }
    }

    /// The member `key` as an integer from 0 to `max`, if given.
    pub(super) fn uint(&self, key: &str, max: u64) -> Result<Option<u64>, Error> {
        match self.get(key)? {
            Some(value) => uint(value, &self.at.key(key), max).map(Some),
            None => Ok(None),
        }
    }

    /// The member `key` as a u32, if given.
    pub(super) fn u32(&self, key: &str) -> Result<Option<u32>, Error> {
        Ok(self.uint(key, u32::MAX.into())?.map(|n| n as u32))
    }

    /// The member `key` as an i64 (Go's `int` and `int64`), if given.
    pub(super) fn i64(&self, key: &str) -> Result<Option<i64>, Error> {
        match self.get(key)? {
            Some(value) => int(value, &self.at.key(key), i64::MIN, i64::MAX).map(Some),
            None => Ok(None),
        }
    }

    /// The member `key` as an array; missing: empty.
    pub(super) fn array(&self, key: &str) -> Result<&'v [Value], Error> {
        match self.get(key)? {
            Some(value) => array(value, &self.at.key(key)),
            None => Ok(&[]),
        }
    }

    /// The member `key` as an array of strings; missing: empty.
    pub(super) fn strings(&self, key: &str) -> Result<Vec<String>, Error> {
        match self.get(key)? {
            Some(value) => strings(value, &self.at.key(key)),
            None => Ok(Vec::new()),
        }
    }

    /// The member `key` as a map of strings; missing: empty.
    pub(super) fn string_map(&self, key: &str) -> Result<Vec<(String, String)>, Error> {
        match self.get(key)? {
            Some(value) => string_map(value, &self.at.key(key)),
            None => Ok(Vec::new()),
        }
    }

    /// Refuses each field of [`super::REFUSED`] listed under `parent` (this object's path in the
    /// table's form, `mounts[]` for any mount) that is set to something: nsrun cannot honour it.
    pub(super) fn refuse(&self, parent: &str) -> Result<(), Error> {
        for row in super::REFUSED {
            let Some(field) = row.path.strip_prefix(parent) else {
                continue;
            };
            let Some(field) = field
                .strip_prefix('.')
                .or((parent.is_empty()).then_some(field))
            else {
                continue;
            };
            if field.contains(['.', ' ']) {
                continue;
            }
            for (name, value) in self.members {
                if (name == field || folds_to(name, field)) && !is_empty(value) {
                    let mut what = String::from("nsrun does not support this field: ");
                    what.push_str(row.why);
                    let at = self.at.key(name);
                    return Err(at.fail(&what));
                }
            }
        }
        Ok(())
    }
}

/// The position of the string `value` in `names`, or the error `unknown WHAT "word"`.
pub(super) fn word(value: &Value, at: &At, what: &str, names: &[&str]) -> Result<usize, Error> {
    let text = string(value, at)?;
    match names.iter().position(|name| *name == text) {
        Some(i) => Ok(i),
        None => Err(unknown(at, what, value)),
    }
}

/// The error `unknown WHAT VALUE`.
pub(super) fn unknown(at: &At, what: &str, value: &Value) -> Error {
    let mut text = String::from("unknown ");
    text.push_str(what);
    text.push(' ');
    describe(&mut text, value);
    at.fail(&text)
}
