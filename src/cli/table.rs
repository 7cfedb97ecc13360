//! The command line as data: every command's options are one table of [`Def`]s, and the option
//! walker ([`Args`]), the arity checks and the `--help` text ([`help`]) all read that table, so the
//! help cannot name an option the parser does not take, or miss one it does.

use alloc::string::String;

use crate::out::Bytes as Show;

/// How an option takes its values.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum Arity {
    /// No value: `--read-only`; `--read-only=x` is refused.
    Flag,
    /// One value: `--root DIR`, `--root=DIR`, `-R DIR`, `-RDIR`.
    One,
    /// Two values, as separate words only: `--bind SRC DST`.
    Two,
    /// An optional value, given only with `=`: `--mount-proc[=DIR]`.
    Optional,
    /// A family of flags whose name ends in the value: `--share-net` is `--share-` with `net`.
    Suffix,
}

/// One option: its names, how it takes its values, its help line, and the tag its command's
/// parser dispatches on. The names and texts are one string ([`opt!`] makes it), which keeps the
/// tables small.
pub struct Def<T: 'static> {
    /// `SHORT\0--long\0--also\0VALUES\0help`: the short letter or "", the long name with its
    /// dashes (a family's prefix for [`Arity::Suffix`]), a second long name or "", the values'
    /// names in the help or "", and the help line.
    pub text: &'static str,
    /// Where the first three NULs of `text` are ([`nuls`], computed when the table is
    /// compiled): the walker reads the names from them without scanning the text.
    pub at: [u8; 3],
    /// How it takes its values.
    pub arity: Arity,
    /// What the option means to its command's parser.
    pub tag: T,
}

/// A [`Def`] as a line of a table: `opt!("R", "--root", "", One, "DIR", "pivot_root into DIR",
/// Opt::Root)`.
#[macro_export]
macro_rules! opt {
    ($short:literal, $long:literal, $also:literal, $arity:ident, $values:literal, $help:literal, $tag:expr) => {
        $crate::cli::table::Item::Opt($crate::cli::table::Def {
            text: concat!($short, "\0", $long, "\0", $also, "\0", $values, "\0", $help),
            at: $crate::cli::table::nuls(concat!($short, "\0", $long, "\0", $also, "\0")),
            arity: $crate::cli::table::Arity::$arity,
            tag: $tag,
        })
    };
}

/// The fields of a [`Def`]'s text.
pub struct Fields {
    /// The short letter, or 0.
    pub short: u8,
    /// The long name (with dashes).
    pub long: &'static str,
    /// The second long name, or "".
    pub also: &'static str,
    /// The values' names, or "".
    pub values: &'static str,
    /// The help line.
    pub help: &'static str,
}

impl<T> Def<T> {
    /// The names and texts of this option.
    pub fn fields(&self) -> Fields {
        fields(self.text)
    }
}

fn fields(text: &'static str) -> Fields {
    let mut parts = text.split('\0');
    let mut next = || parts.next().unwrap_or("");
    Fields {
        short: next().bytes().next().unwrap_or(0),
        long: next(),
        also: next(),
        values: next(),
        help: next(),
    }
}

/// The offsets of the three NULs that end the short letter, the long name and the second long
/// name in a [`Def`]'s text (`SHORT\0--long\0--also\0`). Evaluated when a table is compiled;
/// a name too long for the offsets to fit in a byte stops the build.
pub const fn nuls(head: &str) -> [u8; 3] {
    let b = head.as_bytes();
    let mut at = [0u8; 3];
    let (mut i, mut n) = (0, 0);
    while i < b.len() && n < 3 {
        if b[i] == 0 {
            assert!(i <= u8::MAX as usize, "option names longer than 255 bytes");
            at[n] = i as u8;
            n += 1;
        }
        i += 1;
    }
    assert!(n == 3, "an option's text needs its three names");
    at
}

/// The short letter (or 0), the long name and the second long name of a [`Def`]'s text, from
/// its NUL offsets `at`: what the walker matches a word against, read without scanning the text
/// (the walker looks at every option of a table for every option word).
fn names(text: &'static str, at: [u8; 3]) -> (u8, &'static str, &'static str) {
    let [a, b, c] = at.map(usize::from);
    let short = if a == 0 { 0 } else { text.as_bytes()[0] };
    (
        short,
        text.get(a + 1..b).unwrap_or(""),
        text.get(b + 1..c).unwrap_or(""),
    )
}

/// A line of a command's table: an option, or a heading or note of its help text.
pub enum Item<T: 'static> {
    /// A section heading of the help.
    Head(&'static str),
    /// An option.
    Opt(Def<T>),
    /// A line of text in the help, under the options above it.
    Note(&'static str),
}

/// A command of nsrun: its word, the arguments after it, what it does, and its options.
pub struct Command {
    /// The word (`gc`), or "" for running a container without a command word.
    pub name: &'static str,
    /// What follows the word in the usage line (`[OPTIONS] NAME`).
    pub usage: &'static str,
    /// One line on what it does.
    pub about: &'static str,
}

/// What [`Args::take`] found.
pub enum Got<'a, T: 'static> {
    /// An option of the table and its values.
    Opt {
        /// The option's definition.
        def: &'static Def<T>,
        /// Its name as given for a long option (an alias stays an alias), else its long name: for
        /// messages.
        name: &'a [u8],
        /// Its first value, or the suffix of a [`Arity::Suffix`] family.
        value: Option<&'a [u8]>,
        /// Its second value ([`Arity::Two`]), else "".
        second: &'a [u8],
    },
    /// A word that is not an option (already taken: [`Args::rest`] starts after it).
    Operand(&'a [u8]),
    /// No more words, or `--` (taken).
    End,
}

/// Walks the words of a command line over one command's table, as getopt_long does: options and
/// their values until `--`, and operands the caller takes one by one.
pub struct Args<'a, T: 'static> {
    walk: Walk<'a>,
    table: &'static [Item<T>],
}

impl<'a, T: 'static> Args<'a, T> {
    /// A walker over `words` (the words after the command word) for `table`.
    pub fn new(words: &'a [&'a [u8]], table: &'static [Item<T>]) -> Self {
        Args {
            walk: Walk {
                words,
                pos: 0,
                cluster: None,
            },
            table,
        }
    }

    /// The words not taken yet.
    pub fn rest(&self) -> &'a [&'a [u8]] {
        &self.walk.words[self.walk.pos..]
    }

    /// The next option, operand or the end. An unknown option, a flag given a value and a
    /// missing value are errors naming the option.
    pub fn take(&mut self) -> Result<Got<'a, T>, String> {
        let table = self.table;
        let view = |i: usize| match &table[i] {
            Item::Opt(def) => Some((def.text, def.at, def.arity)),
            _ => None,
        };
        Ok(match self.walk.next(table.len(), &view)? {
            Raw::Opt {
                index,
                name,
                value,
                second,
            } => match &table[index] {
                Item::Opt(def) => Got::Opt {
                    def,
                    name,
                    value,
                    second,
                },
                _ => Got::End,
            },
            Raw::Operand(word) => Got::Operand(word),
            Raw::End => Got::End,
        })
    }
}

/// What [`Walk::next`] found: an option by its index in the table.
enum Raw<'a> {
    Opt {
        index: usize,
        name: &'a [u8],
        value: Option<&'a [u8]>,
        second: &'a [u8],
    },
    Operand(&'a [u8]),
    End,
}

/// The walker itself, the same code for every command's table (it sees the table through a
/// function from index to option text and arity).
struct Walk<'a> {
    words: &'a [&'a [u8]],
    pos: usize,
    /// Inside a cluster of short options (`-mun`): the word and the index of the next letter.
    cluster: Option<(&'a [u8], usize)>,
}

type View<'v> = &'v dyn Fn(usize) -> Option<(&'static str, [u8; 3], Arity)>;

impl<'a> Walk<'a> {
    fn next(&mut self, len: usize, view: View<'_>) -> Result<Raw<'a>, String> {
        if let Some((word, at)) = self.cluster.take() {
            return self.short(word, at, len, view);
        }
        let Some(&word) = self.words.get(self.pos) else {
            return Ok(Raw::End);
        };
        self.pos += 1;
        if word == b"--" {
            return Ok(Raw::End);
        }
        if word.len() < 2 || word[0] != b'-' {
            return Ok(Raw::Operand(word));
        }
        if word.starts_with(b"--") {
            return self.long(word, len, view);
        }
        self.short(word, 1, len, view)
    }

    fn long(&mut self, word: &'a [u8], len: usize, view: View<'_>) -> Result<Raw<'a>, String> {
        let (name, inline) = match word.iter().position(|&b| b == b'=') {
            Some(eq) => (&word[..eq], Some(&word[eq + 1..])),
            None => (word, None),
        };
        // Each option's long names are the bytes between its NULs: their lengths (from the
        // offsets) are compared first, the bytes only then, so a table costs little per option.
        let n = name.len();
        let found = (0..len).find_map(|i| {
            let (text, at, arity) = view(i)?;
            let (a, b, c) = (usize::from(at[0]), usize::from(at[1]), usize::from(at[2]));
            let bytes = text.as_bytes();
            let long_len = b.saturating_sub(a + 1);
            let hit = match arity {
                Arity::Suffix => bytes.get(a + 1..b).is_some_and(|l| name.starts_with(l)),
                _ => {
                    (long_len == n && bytes.get(a + 1..b) == Some(name))
                        || (c.saturating_sub(b + 1) == n && bytes.get(b + 1..c) == Some(name))
                }
            };
            hit.then_some((i, arity, long_len))
        });
        let Some((index, arity, prefix)) = found else {
            return Err(unknown(name));
        };
        if inline.is_some() && matches!(arity, Arity::Flag | Arity::Suffix) {
            return Err(crate::out::around("option '", name, "' takes no value"));
        }
        let (value, second) = match arity {
            Arity::Flag => (None, &b""[..]),
            Arity::Suffix => (Some(&name[prefix..]), &b""[..]),
            Arity::Optional => (inline, &b""[..]),
            Arity::One => (Some(self.value(name, inline)?), &b""[..]),
            Arity::Two => match (inline, self.words.get(self.pos..self.pos + 2)) {
                (None, Some(&[a, b])) => {
                    self.pos += 2;
                    (Some(a), b)
                }
                _ => return Err(needs(name, "two values")),
            },
        };
        Ok(Raw::Opt {
            index,
            name,
            value,
            second,
        })
    }

    /// The letter at `at` of `word`: a flag (more letters may follow), or an option taking a
    /// value, which is the rest of the word or the next word.
    fn short(
        &mut self,
        word: &'a [u8],
        at: usize,
        len: usize,
        view: View<'_>,
    ) -> Result<Raw<'a>, String> {
        let c = word[at];
        let found = (0..len).find_map(|i| {
            let (text, at, arity) = view(i)?;
            let (short, long, _) = names(text, at);
            (short == c).then_some((i, arity, long))
        });
        let Some((index, arity, long)) = found else {
            return Err(crate::out::around("unknown option '-", &[c], "'"));
        };
        let name = long.as_bytes();
        let rest = &word[at + 1..];
        let value = match arity {
            Arity::One if !rest.is_empty() => Some(rest),
            Arity::One => Some(self.value(name, None)?),
            _ => {
                if !rest.is_empty() {
                    self.cluster = Some((word, at + 1));
                }
                None
            }
        };
        Ok(Raw::Opt {
            index,
            name,
            value,
            second: b"",
        })
    }

    fn value(&mut self, name: &[u8], inline: Option<&'a [u8]>) -> Result<&'a [u8], String> {
        if let Some(v) = inline {
            return Ok(v);
        }
        let v = self
            .words
            .get(self.pos)
            .ok_or_else(|| needs(name, "a value"))?;
        self.pos += 1;
        Ok(v)
    }
}

/// The options of a table, without its headings and notes.
pub fn defs<T>(table: &'static [Item<T>]) -> impl Iterator<Item = &'static Def<T>> {
    table.iter().filter_map(|item| match item {
        Item::Opt(def) => Some(def),
        _ => None,
    })
}

/// The message for an option no table has.
pub fn unknown(name: &[u8]) -> String {
    crate::out::around("unknown option '", name, "'")
}

/// The message for an option given without its value(s).
pub fn needs(name: &[u8], what: &str) -> String {
    alloc::format!("option '{}' needs {what}", Show(name))
}

/// The help text of `command` with the options of `table`: a usage line, its line on what it
/// does, then each option as `-X, --long VALUES   help (also --alias)`.
pub fn help<T>(command: &Command, table: &'static [Item<T>], text: &mut String) {
    usage(command, text);
    for item in table {
        match item {
            Item::Head(head) => line(text, "\n", head, ":"),
            Item::Note(note) => line(text, "  ", note, ""),
            Item::Opt(def) => option_line(def.text, def.arity, text),
        }
    }
}

fn line(text: &mut String, before: &str, middle: &str, after: &str) {
    for part in [before, middle, after, "\n"] {
        text.push_str(part);
    }
}

fn usage(command: &Command, text: &mut String) {
    let space = |s: &str| if s.is_empty() { "" } else { " " };
    let (name, args) = (command.name, command.usage);
    for part in ["Usage: nsrun", space(name), name, space(args), args, "\n"] {
        text.push_str(part);
    }
    line(text, "", command.about, "");
}

/// The column where help lines start.
const HELP_COLUMN: usize = 29;

fn option_line(def: &'static str, arity: Arity, text: &mut String) {
    let f = fields(def);
    let start = text.len();
    text.push_str("  ");
    if f.short != 0 {
        text.push('-');
        text.push(char::from(f.short));
        text.push_str(", ");
    } else {
        text.push_str("    ");
    }
    text.push_str(f.long);
    let (open, close) = match arity {
        Arity::Optional => ("[=", "]"),
        Arity::Suffix => ("", ""),
        _ => (" ", ""),
    };
    if !f.values.is_empty() {
        for part in [open, f.values, close] {
            text.push_str(part);
        }
    }
    let width = text.len() - start;
    if width + 2 > HELP_COLUMN {
        text.push('\n');
        text.extend(core::iter::repeat_n(' ', HELP_COLUMN));
    } else {
        text.extend(core::iter::repeat_n(' ', HELP_COLUMN - width));
    }
    text.push_str(f.help);
    if !f.also.is_empty() {
        for part in [" (also ", f.also, ")"] {
            text.push_str(part);
        }
    }
    text.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum T {
        F,
        G,
        V,
        W,
        O,
        S,
    }

    const TABLE: &[Item<T>] = &[
        Item::Head("Some"),
        crate::opt!("f", "--flag", "--also-flag", Flag, "", "a flag", T::F),
        crate::opt!("g", "--gee", "", Flag, "", "another", T::G),
        crate::opt!("v", "--value", "", One, "V", "one value", T::V),
        crate::opt!("", "--two", "", Two, "A B", "two values", T::W),
        crate::opt!("", "--opt", "", Optional, "X", "optional", T::O),
        crate::opt!("", "--fam-", "", Suffix, "K", "a family", T::S),
        Item::Note("a note"),
    ];

    /// The walker's quick read of the names agrees with the full one, for every option of the
    /// run table (and the test table's edge cases: no short letter, no second name).
    #[test]
    fn names_read_as_fields_do() {
        let run = defs(crate::cli::run::OPTIONS).map(|d| (d.text, d.at));
        for (text, at) in defs(TABLE).map(|d| (d.text, d.at)).chain(run) {
            let f = fields(text);
            assert_eq!(names(text, at), (f.short, f.long, f.also), "{text:?}");
        }
        assert_eq!(nuls("\0--x\0\0"), [0, 4, 5]);
        assert_eq!(nuls("x\0--long\0--also\0"), [1, 8, 15]);
    }

    /// An option as taken: its tag, name, value and second value.
    type Taken = (T, String, Option<String>, String);

    /// Every option taken from `words`, up to the first operand or the end.
    fn walk(words: &[&str]) -> Result<Vec<Taken>, String> {
        let bytes: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
        let mut args = Args::new(&bytes, TABLE);
        let mut got = Vec::new();
        let s = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
        loop {
            match args.take()? {
                Got::Opt {
                    def,
                    name,
                    value,
                    second,
                } => got.push((def.tag, s(name), value.map(s), s(second))),
                Got::Operand(_) | Got::End => return Ok(got),
            }
        }
    }

    #[test]
    fn forms_of_values() {
        let one = |w: &[&str]| walk(w).unwrap();
        let v = |x: &str| Some(String::from(x));
        assert_eq!(one(&["--value", "x"])[0].2, v("x"));
        assert_eq!(one(&["--value=x"])[0].2, v("x"));
        assert_eq!(one(&["--value="])[0].2, v(""));
        assert_eq!(one(&["-vx"])[0].2, v("x"));
        assert_eq!(one(&["-v", "x"])[0].2, v("x"));
        assert_eq!(one(&["-fgvx"]).len(), 3);
        assert_eq!(one(&["-fgvx"])[2].2, v("x"));
        assert_eq!(one(&["--two", "a", "b"])[0].2, v("a"));
        assert_eq!(one(&["--two", "a", "b"])[0].3, "b");
        assert_eq!(one(&["--opt"])[0].2, None);
        assert_eq!(one(&["--opt=x"])[0].2, v("x"));
        // An optional value is only ever given with '=': the next word is an operand.
        assert_eq!(one(&["--opt", "x"]).len(), 1);
        assert_eq!(one(&["--fam-net"])[0].2, v("net"));
        assert_eq!(one(&["--also-flag"])[0].1, "--also-flag");
        assert_eq!(one(&["-f"])[0].1, "--flag");
        // Options end at "--" and at the first operand.
        assert_eq!(one(&["-f", "--", "-g"]).len(), 1);
        assert_eq!(one(&["-f", "cmd", "-g"]).len(), 1);
        assert_eq!(one(&["-", "-g"]).len(), 0);
    }

    #[test]
    fn bad_forms_are_refused_naming_the_option() {
        let e = |w: &[&str]| walk(w).expect_err("expected an error");
        assert_eq!(e(&["--flag=1"]), "option '--flag' takes no value");
        assert_eq!(e(&["--also-flag="]), "option '--also-flag' takes no value");
        assert_eq!(e(&["--fam-net=1"]), "option '--fam-net' takes no value");
        assert_eq!(e(&["--value"]), "option '--value' needs a value");
        assert_eq!(e(&["-v"]), "option '--value' needs a value");
        assert_eq!(e(&["-fv"]), "option '--value' needs a value");
        assert_eq!(e(&["--two", "a"]), "option '--two' needs two values");
        assert_eq!(e(&["--two=a", "b"]), "option '--two' needs two values");
        assert_eq!(e(&["--nope"]), "unknown option '--nope'");
        assert_eq!(e(&["--fla"]), "unknown option '--fla'");
        assert_eq!(e(&["-x"]), "unknown option '-x'");
        assert_eq!(e(&["-fx"]), "unknown option '-x'");
    }

    #[test]
    fn help_lists_every_option_once_in_order() {
        let command = Command {
            name: "t",
            usage: "[OPTIONS]",
            about: "Test.",
        };
        let mut text = String::new();
        help(&command, TABLE, &mut text);
        let want = "Usage: nsrun t [OPTIONS]\nTest.\n\nSome:\n";
        assert!(text.starts_with(want), "{text}");
        for line in [
            "  -f, --flag                 a flag (also --also-flag)\n",
            "  -v, --value V              one value\n",
            "      --two A B              two values\n",
            "      --opt[=X]              optional\n",
            "      --fam-K                a family\n",
            "  a note\n",
        ] {
            assert_eq!(text.matches(line).count(), 1, "{line:?} in\n{text}");
        }
    }
}
