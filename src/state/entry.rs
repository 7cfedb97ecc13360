//! One container's entry and its file format.
//!
//! A text file of `key value` lines, the first `nsrun-state 1`. A value is the rest of its line,
//! with `\\`, and every byte below 0x20 or 0x7f, written as `\\` and `\xNN` (so a command
//! argument holding a newline stays on its line). Repeated keys: `arg` (the command, in order)
//! and `ns` (`ns KIND INODE new|host`: the namespace's inode as /proc/PID/ns/KIND showed it, and
//! whether nsrun made it). A later line overrides an earlier one of the same key: the launcher
//! of a named run records its container's end by appending `ended CODE` (status `stopped`, exit
//! CODE) to the entry it wrote. Unknown keys are skipped, so later versions can add some.

use alloc::vec::Vec;

/// Where a container is in its life, as its launcher last wrote it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Status {
    /// Its PID 1 exists and waits to be started (the OCI runtime's create; `run --name` writes
    /// [`Status::Running`] at once, just before it releases the child).
    Created,
    /// Its command runs.
    Running,
    /// It has ended; the exit status is in [`Entry::exit`].
    Stopped,
}

impl Status {
    /// The word in the file and in `list`.
    pub fn name(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Stopped => "stopped",
        }
    }

    fn from_name(s: &[u8]) -> Option<Status> {
        [Status::Created, Status::Running, Status::Stopped]
            .into_iter()
            .find(|st| st.name().as_bytes() == s)
    }
}

/// The namespace files of /proc/PID/ns an entry records, in this order.
pub const NS_NAMES: [&str; 8] = ["cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts"];

/// One namespace of the container.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Ns {
    /// Its inode number (0: not readable).
    pub inode: u64,
    /// Whether nsrun made it for this container (else it is the launcher's).
    pub new: bool,
}

/// What the store knows of one container.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Entry {
    /// Its name (checked by [`super::check_name`]).
    pub name: Vec<u8>,
    /// Its status as the launcher last wrote it.
    pub status: Option<Status>,
    /// The host pid of its PID 1 (nsrun's init, or the command with `--as-pid-1` or without a
    /// PID namespace).
    pub pid: i32,
    /// That process's start time (field 22 of /proc/PID/stat, clock ticks after boot).
    pub pid_start: u64,
    /// The inode of the PID namespace that numbers `pid` and `launcher` (the launcher's own):
    /// only a reader in that namespace can tell what they are ([`super::Life::Elsewhere`]).
    pub pid_ns: u64,
    /// The inode of the time namespace the start times were read in (the launcher's own; 0
    /// on a kernel without time namespaces, and in entries before 2026-12-03): only a reader
    /// in that namespace reads the same numbers ([`super::Life::Elsewhere`]).
    pub time_ns: u64,
    /// The pid of the nsrun process that launched it and waits for it.
    pub launcher: i32,
    /// A clock tick the launcher started no later than: the start time of the PID 1 it made
    /// (entries of nsrun before 2026-12-03 hold its own start time, which passes the same test,
    /// [`super::proc::started_by`]).
    pub launcher_start: u64,
    /// When it was created, in seconds since the epoch.
    pub created: u64,
    /// Its root directory (`--root`), if any.
    pub root: Option<Vec<u8>>,
    /// Its OCI bundle, if any (for the OCI runtime).
    pub bundle: Option<Vec<u8>>,
    /// Its exit status (as nsrun's: the code, or 128+N), once stopped.
    pub exit: Option<i32>,
    /// Its namespaces, in the order of [`NS_NAMES`].
    pub ns: [Ns; 8],
    /// Its command and arguments.
    pub command: Vec<Vec<u8>>,
    /// Made by the OCI runtime's `create`: no launcher stays with it, so once its process has
    /// ended (and [`Entry::launcher`] is 0, the create finished) it is stopped, not stale.
    pub oci: bool,
    /// Its OCI annotations, in the config's order.
    pub annotations: Vec<(Vec<u8>, Vec<u8>)>,
    /// Its cgroup's directories (one on v2, one per hierarchy on v1), which `delete` removes.
    pub cgroups: Vec<Vec<u8>>,
    /// Whether those are cgroup v2 directories.
    pub cgroup_v2: bool,
    /// The directories nsrun made for the cgroup (its parents made too), removed with it.
    pub cgroup_made: Vec<Vec<u8>>,
    /// OCI: the config's `poststart` hooks, which `start` runs (kept from `create`).
    pub poststart: Vec<crate::oci::Hook>,
    /// OCI: the config's `poststop` hooks, which `delete` runs.
    pub poststop: Vec<crate::oci::Hook>,
}

const MAGIC: &[u8] = b"nsrun-state 1";

impl Entry {
    /// The status, [`Status::Created`] when the file had none.
    pub fn status(&self) -> Status {
        self.status.unwrap_or(Status::Created)
    }

    /// The file's text.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(MAGIC);
        out.push(b'\n');
        put(&mut out, "name", &self.name);
        put(&mut out, "status", self.status().name().as_bytes());
        put_num(&mut out, "pid", self.pid as u64);
        put_num(&mut out, "pid-start", self.pid_start);
        put_num(&mut out, "pid-ns", self.pid_ns);
        if self.time_ns != 0 {
            put_num(&mut out, "time-ns", self.time_ns);
        }
        put_num(&mut out, "launcher", self.launcher as u64);
        put_num(&mut out, "launcher-start", self.launcher_start);
        put_num(&mut out, "created", self.created);
        if let Some(root) = &self.root {
            put(&mut out, "root", root);
        }
        if let Some(bundle) = &self.bundle {
            put(&mut out, "bundle", bundle);
        }
        if let Some(code) = self.exit {
            put_num(&mut out, "exit", code as u64);
        }
        for (name, ns) in NS_NAMES.iter().zip(&self.ns) {
            if ns.inode != 0 {
                out.extend_from_slice(b"ns ");
                out.extend_from_slice(name.as_bytes());
                out.push(b' ');
                decimal(&mut out, ns.inode);
                // Not made by nsrun: joined (entries before 2026-12-03 wrote the launcher's
                // own too, as `host`).
                out.extend_from_slice(if ns.new { b" new\n" } else { b" joined\n" });
            }
        }
        for arg in &self.command {
            put(&mut out, "arg", arg);
        }
        if self.oci {
            put(&mut out, "oci", b"1");
        }
        for (k, v) in &self.annotations {
            put(&mut out, "annotation", &[k.as_slice(), b"\0", v].concat());
        }
        if self.cgroup_v2 {
            put(&mut out, "cgroup-v2", b"1");
        }
        for dir in &self.cgroups {
            put(&mut out, "cgroup", dir);
        }
        for dir in &self.cgroup_made {
            put(&mut out, "cgroup-made", dir);
        }
        for h in &self.poststart {
            put(&mut out, "hook-poststart", &crate::oci::hooks::encode(h));
        }
        for h in &self.poststop {
            put(&mut out, "hook-poststop", &crate::oci::hooks::encode(h));
        }
        out
    }

    /// Reads a file's text; None when it is not an entry (no magic line, no name, a bad number,
    /// a bad escape). A line is complete at its newline: an unfinished last line is the
    /// launcher's `ended` line being appended ([`super::Store::append_end`]) and is left out.
    pub fn decode(text: &[u8]) -> Option<Entry> {
        let whole = match text.iter().rposition(|&b| b == b'\n') {
            Some(end) => &text[..end],
            None => &text[..0],
        };
        let mut lines = whole.split(|&b| b == b'\n');
        if lines.next()? != MAGIC {
            return None;
        }
        let mut e = Entry::default();
        for line in lines.filter(|l| !l.is_empty()) {
            let (key, raw) = match line.iter().position(|&b| b == b' ') {
                Some(i) => (&line[..i], &line[i + 1..]),
                None => (line, &b""[..]),
            };
            // Most values hold no escape (numbers, words): read in place, copied only when kept.
            let unescaped;
            let value: &[u8] = match raw.contains(&b'\\') {
                true => {
                    unescaped = unescape(raw)?;
                    &unescaped
                }
                false => raw,
            };
            match key {
                b"name" => e.name = value.to_vec(),
                b"status" => e.status = Some(Status::from_name(value)?),
                b"pid" => e.pid = number(value).and_then(|n| i32::try_from(n).ok())?,
                b"pid-start" => e.pid_start = number(value)?,
                b"pid-ns" => e.pid_ns = number(value)?,
                b"time-ns" => e.time_ns = number(value)?,
                b"launcher" => e.launcher = number(value).and_then(|n| i32::try_from(n).ok())?,
                b"launcher-start" => e.launcher_start = number(value)?,
                b"created" => e.created = number(value)?,
                b"root" => e.root = Some(value.to_vec()),
                b"bundle" => e.bundle = Some(value.to_vec()),
                b"exit" => e.exit = Some(number(value).and_then(|n| i32::try_from(n).ok())?),
                // Appended by the launcher as the container ends: the status and the code in one
                // line, after the rest. A line that does not read as one is left out, as an unfinished
                // one is: on a machine whose CPUs order their stores loosely, a reader racing the
                // append might see its newline before the bytes before it.
                b"ended" => {
                    if let Some(code) = number(value).and_then(|n| i32::try_from(n).ok()) {
                        e.status = Some(Status::Stopped);
                        e.exit = Some(code);
                    }
                }
                b"arg" => e.command.push(value.to_vec()),
                b"oci" => e.oci = value == b"1",
                b"cgroup-v2" => e.cgroup_v2 = value == b"1",
                b"cgroup" => e.cgroups.push(value.to_vec()),
                b"cgroup-made" => e.cgroup_made.push(value.to_vec()),
                b"hook-poststart" => e.poststart.push(crate::oci::hooks::decode(value)?),
                b"hook-poststop" => e.poststop.push(crate::oci::hooks::decode(value)?),
                b"annotation" => {
                    let at = value.iter().position(|&b| b == 0)?;
                    e.annotations
                        .push((value[..at].to_vec(), value[at + 1..].to_vec()));
                }
                b"ns" => {
                    let mut words = value.split(|&b| b == b' ');
                    let kind = words.next()?;
                    let i = NS_NAMES.iter().position(|n| n.as_bytes() == kind)?;
                    let inode = number(words.next()?)?;
                    let new = match words.next()? {
                        b"new" => true,
                        b"joined" | b"host" => false,
                        _ => return None,
                    };
                    e.ns[i] = Ns { inode, new };
                }
                _ => {}
            }
        }
        (!e.name.is_empty()).then_some(e)
    }
}

fn put(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    out.extend_from_slice(key.as_bytes());
    out.push(b' ');
    for &b in value {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            0..=0x1f | 0x7f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(&[
                    b'\\',
                    b'x',
                    HEX[(b >> 4) as usize],
                    HEX[(b & 15) as usize],
                ]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'\n');
}

fn put_num(out: &mut Vec<u8>, key: &str, n: u64) {
    out.extend_from_slice(key.as_bytes());
    out.push(b' ');
    decimal(out, n);
    out.push(b'\n');
}

/// Appends `n` in decimal.
pub fn decimal(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// A decimal number of at most 20 digits, nothing else.
pub fn number(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    s.iter().try_fold(0u64, |n, &b| {
        b.is_ascii_digit().then_some(())?;
        n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

fn unescape(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        match s.get(i + 1)? {
            b'\\' => {
                out.push(b'\\');
                i += 2;
            }
            b'x' => {
                let hex = |c: u8| (c as char).to_digit(16);
                let hi = hex(*s.get(i + 2)?)?;
                let lo = hex(*s.get(i + 3)?)?;
                out.push((hi * 16 + lo) as u8);
                i += 4;
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn sample() -> Entry {
        let mut e = Entry {
            name: b"web-1".to_vec(),
            status: Some(Status::Running),
            pid: 4242,
            pid_start: 123456,
            pid_ns: 4026531836,
            time_ns: 4026531834,
            launcher: 4241,
            launcher_start: 123400,
            created: 1_764_640_000,
            root: Some(b"/srv/root with space".to_vec()),
            bundle: None,
            exit: None,
            ns: Default::default(),
            oci: true,
            annotations: vec![(b"a b".to_vec(), b"c=d\n".to_vec())],
            cgroups: vec![b"/sys/fs/cgroup/pids/x".to_vec()],
            cgroup_v2: false,
            cgroup_made: vec![b"/sys/fs/cgroup/pids/x".to_vec()],
            poststart: vec![crate::oci::Hook {
                path: "/bin/sh".into(),
                args: vec!["sh".into(), "-c".into(), "echo\n x".into()],
                env: vec!["A=1".into()],
                timeout: Some(3),
            }],
            poststop: Vec::new(),
            command: vec![
                b"sh".to_vec(),
                b"-c".to_vec(),
                b"echo a\nb\\c\x1b\xff".to_vec(),
            ],
        };
        e.ns[2] = Ns {
            inode: 4026532000,
            new: true,
        };
        e.ns[6] = Ns {
            inode: 4026531837,
            new: false,
        };
        e
    }

    #[test]
    fn round_trip() {
        let e = sample();
        let text = e.encode();
        assert_eq!(
            text.iter().filter(|&&b| b == b'\n').count(),
            21,
            "{}",
            crate::out::Bytes(&text)
        );
        assert_eq!(Entry::decode(&text), Some(e.clone()));
        let mut stopped = e;
        stopped.status = Some(Status::Stopped);
        stopped.exit = Some(137);
        assert_eq!(Entry::decode(&stopped.encode()), Some(stopped));
    }

    #[test]
    fn bad_files_are_refused() {
        let good = sample().encode();
        assert!(Entry::decode(b"").is_none());
        assert!(Entry::decode(b"nsrun-state 2\nname x\n").is_none());
        assert!(Entry::decode(b"nsrun-state 1\n").is_none(), "no name");
        for bad in [
            &b"pid 12x\n"[..],
            b"pid 99999999999\n",
            b"status sleeping\n",
            b"ns mnt 12\n",
            b"ns bogus 12 new\n",
            b"arg a\\q\n",
            b"arg a\\x4\n",
        ] {
            let mut t = good.clone();
            t.extend_from_slice(bad);
            assert!(Entry::decode(&t).is_none(), "{}", crate::out::Bytes(bad));
        }
        let mut t = good.clone();
        t.extend_from_slice(b"future-key whatever\n");
        assert!(Entry::decode(&t).is_some(), "unknown keys are skipped");
    }

    /// The launcher's appended end: `ended CODE` makes the entry stopped with that code; a
    /// reader racing the append (the line unfinished, or its bytes not all there yet) reads the
    /// entry as it was before it, never as a broken one.
    #[test]
    fn an_appended_end_is_read_whole_or_not_at_all() {
        let running = sample();
        let text = running.encode();
        let mut ended = text.clone();
        ended.extend_from_slice(b"ended 3\n");
        let e = Entry::decode(&ended).unwrap();
        assert_eq!((e.status, e.exit), (Some(Status::Stopped), Some(3)));
        assert_eq!(
            Entry {
                status: running.status,
                exit: None,
                ..e
            },
            running
        );
        for cut in 1..b"ended 3\n".len() {
            let mut t = text.clone();
            t.extend_from_slice(&b"ended 3\n"[..cut]);
            assert_eq!(Entry::decode(&t).as_ref(), Some(&running), "cut at {cut}");
        }
        for torn in [&b"ended \0\n"[..], b"\0\0\0\0\0\0\0\n", b"ended 3x\n"] {
            let mut t = text.clone();
            t.extend_from_slice(torn);
            assert_eq!(Entry::decode(&t).as_ref(), Some(&running), "{torn:?}");
        }
        // An entry without its last newline is one being written: its last line is left out.
        let unfinished = &text[..text.len() - 1];
        assert_ne!(Entry::decode(unfinished).as_ref(), Some(&running));
    }

    #[test]
    fn numbers() {
        assert_eq!(number(b"0"), Some(0));
        assert_eq!(number(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(number(b"18446744073709551616"), None);
        assert_eq!(number(b""), None);
        assert_eq!(number(b"-1"), None);
        let mut v = Vec::new();
        decimal(&mut v, 0);
        decimal(&mut v, u64::MAX);
        assert_eq!(v, b"018446744073709551615");
    }
}
