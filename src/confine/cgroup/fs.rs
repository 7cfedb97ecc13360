//! The few operations the cgroup code makes on the system, behind a trait: [`Real`] makes them,
//! and the unit tests run the same code on an imitation of a cgroup tree (cgroupfs behaves unlike
//! a plain directory: mkdir fills a directory with files, rmdir removes it with them, writes fail
//! with EBUSY, and so on).

use alloc::vec::Vec;
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use super::parse::{decimal, Dec};
use crate::spec::Bytes;
use crate::sys::fd;

/// The launcher as [`super::gc`] identifies it: its PID namespace, pid and start time.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Owner {
    /// The inode of its PID namespace (/proc/self/ns/pid).
    pub ns: u64,
    /// Its pid in that namespace.
    pub pid: u32,
    /// Its start time, in clock ticks after boot (field 22 of /proc/PID/stat).
    pub start: u64,
}

/// What the cgroup code does to the system. Paths are absolute.
pub trait Fs {
    /// Reads up to `buf.len()` bytes of the file at `path` (until its end or `buf` is full);
    /// returns the count.
    fn read(&self, path: &[u8], buf: &mut [u8]) -> Result<usize, Errno>;
    /// Calls `each` with each line of the file at `path`, however long the file.
    fn lines(&self, path: &[u8], each: &mut dyn FnMut(&[u8])) -> Result<(), Errno>;
    /// Writes `data` to the existing file at `path` in one write(2), as cgroupfs wants it.
    fn write(&self, path: &[u8], data: &[u8]) -> Result<(), Errno>;
    /// Writes each of `items` to the file at `path`, one write(2) each, in order (the v1 device
    /// rules: a rule a write); stops at the first that fails.
    fn write_each(&self, path: &[u8], items: &[&[u8]]) -> Result<(), Errno> {
        items.iter().try_for_each(|item| self.write(path, item))
    }
    /// Attaches to the cgroup v2 directory `dir` the device filter of `rules` (allow or deny, a
    /// v1 rule line each): an eBPF program, cgroup v2's device control
    /// ([`super::devices`]).
    fn device_filter(&self, dir: &[u8], rules: &[(bool, Bytes)]) -> Result<(), Errno>;
    /// mkdir(2), mode 0755.
    fn mkdir(&self, path: &[u8]) -> Result<(), Errno>;
    /// rmdir(2) (unlinkat with AT_REMOVEDIR).
    fn rmdir(&self, path: &[u8]) -> Result<(), Errno>;
    /// The names of the subdirectories of `path`.
    fn subdirs(&self, path: &[u8]) -> Result<Vec<Bytes>, Errno>;
    /// Sends SIGKILL to `pid` (errors dropped: a process that has gone needs no killing).
    fn kill(&self, pid: u32);
    /// Waits a little (10 ms) before trying again.
    fn pause(&self);
    /// This process as [`Owner`].
    fn me(&self) -> Result<Owner, Errno>;
    /// Whether the process `pid` of this PID namespace is still the one that started at `start`
    /// (true when that cannot be told: what is not proven gone is alive).
    fn alive(&self, pid: u32, start: u64) -> bool;
}

/// The system itself.
pub struct Real;

/// Opens `path` for reading.
fn open_read(path: &[u8]) -> Result<rustix::fd::OwnedFd, Errno> {
    rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
}

/// Reads from `f` until `buf` is full or the end.
fn fill(f: &rustix::fd::OwnedFd, buf: &mut [u8]) -> Result<usize, Errno> {
    use rustix::fd::AsFd;
    let mut n = 0;
    while n < buf.len() {
        match fd::read(f.as_fd(), &mut buf[n..])? {
            0 => break,
            got => n += got,
        }
    }
    Ok(n)
}

/// Field 22 (the start time) of a /proc/PID/stat text, and field 1 (the pid). The command name
/// (field 2) is in parentheses and may hold anything, so fields are counted after its last `)`.
pub fn stat_pid_start(text: &[u8]) -> Option<(u32, u64)> {
    let close = text.iter().rposition(|&b| b == b')')?;
    let pid = text.split(|&b| b == b' ').next()?;
    let pid = u32::try_from(decimal(pid)?).ok()?;
    // After ") ": field 3 (the state) is the first.
    let rest = text.get(close + 2..)?;
    let start = rest.split(|&b| b == b' ').nth(22 - 3)?;
    Some((pid, decimal(start)?))
}

impl Fs for Real {
    fn read(&self, path: &[u8], buf: &mut [u8]) -> Result<usize, Errno> {
        fill(&open_read(path)?, buf)
    }

    fn lines(&self, path: &[u8], each: &mut dyn FnMut(&[u8])) -> Result<(), Errno> {
        use rustix::fd::AsFd;
        let f = open_read(path)?;
        // A line of /proc/self/cgroup holds a path (up to PATH_MAX); a longer line (of a mount
        // with long options, say) is skipped.
        let mut buf = [0u8; 8192];
        crate::mountinfo::for_each_line(
            &mut buf,
            |b| fd::read(f.as_fd(), b),
            |line, complete| {
                if complete {
                    each(line);
                }
                Ok(())
            },
        )
    }

    fn write(&self, path: &[u8], data: &[u8]) -> Result<(), Errno> {
        self.write_each(path, &[data])
    }

    fn write_each(&self, path: &[u8], items: &[&[u8]]) -> Result<(), Errno> {
        // One open for them all.
        let f = rustix::fs::open(path, OFlags::WRONLY | OFlags::CLOEXEC, Mode::empty())?;
        for data in items {
            loop {
                match rustix::io::write(&f, data) {
                    Err(Errno::INTR) => {}
                    Ok(n) if n == data.len() => break,
                    Ok(_) => return Err(Errno::IO),
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    fn device_filter(&self, dir: &[u8], rules: &[(bool, Bytes)]) -> Result<(), Errno> {
        super::devices::attach(dir, rules).map_err(|(_, e)| e)
    }

    fn mkdir(&self, path: &[u8]) -> Result<(), Errno> {
        rustix::fs::mkdirat(rustix::fs::CWD, path, Mode::from_raw_mode(0o755))
    }

    fn rmdir(&self, path: &[u8]) -> Result<(), Errno> {
        rustix::fs::unlinkat(rustix::fs::CWD, path, rustix::fs::AtFlags::REMOVEDIR)
    }

    fn subdirs(&self, path: &[u8]) -> Result<Vec<Bytes>, Errno> {
        use core::mem::MaybeUninit;
        use rustix::fs::{FileType, RawDir};
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
        let dir = rustix::fs::open(path, flags, Mode::empty())?;
        let mut buf = [MaybeUninit::<u8>::uninit(); 1024];
        let mut entries = RawDir::new(&dir, &mut buf);
        let mut out = Vec::new();
        while let Some(entry) = entries.next() {
            let entry = entry?;
            let name = entry.file_name().to_bytes();
            // cgroupfs (kernfs) gives every entry its type.
            if entry.file_type() == FileType::Directory && name != b"." && name != b".." {
                out.push(name.to_vec());
            }
        }
        Ok(out)
    }

    fn kill(&self, pid: u32) {
        let Some(pid) = i32::try_from(pid)
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        else {
            return;
        };
        // Never the launcher itself, should it be listed (it never enters the cgroup).
        if pid != rustix::process::getpid() {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    }

    fn pause(&self) {
        let ten_ms = rustix::time::Timespec {
            tv_sec: 0,
            tv_nsec: 10_000_000,
        };
        let _ = rustix::thread::nanosleep(&ten_ms);
    }

    fn me(&self) -> Result<Owner, Errno> {
        let ns = rustix::fs::stat("/proc/self/ns/pid")?.st_ino;
        let mut buf = [0u8; 1024];
        let n = self.read(b"/proc/self/stat", &mut buf)?;
        let (pid, start) = stat_pid_start(&buf[..n]).ok_or(Errno::INVAL)?;
        // The pids of /proc are those of its PID namespace: unless it is this process's own
        // (its pid there is the one getpid gives), pids of /proc prove nothing about anyone.
        if i64::from(pid) != i64::from(rustix::process::getpid().as_raw_nonzero().get()) {
            return Err(Errno::XDEV);
        }
        Ok(Owner {
            ns: ns as u64,
            pid,
            start,
        })
    }

    fn alive(&self, pid: u32, start: u64) -> bool {
        let path = [b"/proc/", Dec::new(pid.into()).bytes(), b"/stat"].concat();
        let mut buf = [0u8; 1024];
        match self.read(&path, &mut buf) {
            // No such process (ESRCH: one that has just been reaped).
            Err(Errno::NOENT | Errno::SRCH) => false,
            Err(_) => true,
            Ok(n) => match stat_pid_start(&buf[..n]) {
                Some((_, s)) => s == start,
                None => true,
            },
        }
    }
}

#[cfg(test)]
pub mod fake {
    //! An imitation of cgroupfs in memory, for the unit tests.

    use super::*;
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use std::string::String;

    /// Files with their contents.
    pub type Files = Vec<(String, String)>;

    /// A node: a directory or a file with its contents.
    #[derive(Clone, PartialEq, Eq, Debug)]
    pub enum Node {
        /// A directory.
        Dir,
        /// A file.
        File(Vec<u8>),
    }

    /// The tree, the processes alive and the calls made, as text lines (`mkdir /x`).
    #[derive(Default)]
    pub struct Fake {
        /// Every path, sorted.
        pub nodes: RefCell<BTreeMap<String, Node>>,
        /// Files that appear in each directory mkdir makes below a given prefix (the interface
        /// files of a cgroup), with their contents.
        pub templates: RefCell<Vec<(String, Files)>>,
        /// Writes that fail: (path, data prefix, errno).
        pub failing: RefCell<Vec<(String, String, Errno)>>,
        /// Every change made, in order.
        pub log: RefCell<Vec<String>>,
        /// The processes of this imitation, with their start times.
        pub procs: RefCell<Vec<(u32, u64)>>,
        /// Processes SIGKILL does not end (in uninterruptible sleep).
        pub immortal: RefCell<Vec<u32>>,
        /// What `me` gives.
        pub owner: Option<Owner>,
    }

    fn s(p: &[u8]) -> String {
        String::from_utf8(p.to_vec()).unwrap()
    }

    impl Fake {
        /// A fake with the files `(path, contents)`; a path ending in `/` is a directory. Parent
        /// directories are made as needed.
        pub fn with(files: &[(&str, &str)]) -> Fake {
            let f = Fake::default();
            for (p, c) in files {
                f.put(p, c);
            }
            f
        }

        /// Adds a file (or a directory, for a path ending in `/`) and its parents.
        pub fn put(&self, path: &str, contents: &str) {
            let mut nodes = self.nodes.borrow_mut();
            let trimmed = path.trim_end_matches('/');
            let mut at = 0;
            while let Some(i) = trimmed[at + 1..].find('/') {
                at += 1 + i;
                nodes.insert(trimmed[..at].into(), Node::Dir);
            }
            let node = match path.ends_with('/') {
                true => Node::Dir,
                false => Node::File(contents.as_bytes().to_vec()),
            };
            nodes.insert(trimmed.into(), node);
        }

        /// Makes each directory mkdir creates below `prefix` hold these files.
        pub fn template(&self, prefix: &str, files: &[(&str, &str)]) {
            let files = files.iter().map(|(a, b)| (a.to_string(), b.to_string()));
            self.templates
                .borrow_mut()
                .push((prefix.into(), files.collect()));
        }

        /// Makes writes to `path` starting with `data` fail with `errno`.
        pub fn fail(&self, path: &str, data: &str, errno: Errno) {
            self.failing
                .borrow_mut()
                .push((path.into(), data.into(), errno));
        }

        /// The contents of a file, as text.
        pub fn get(&self, path: &str) -> Option<String> {
            match self.nodes.borrow().get(path) {
                Some(Node::File(c)) => Some(String::from_utf8(c.clone()).unwrap()),
                _ => None,
            }
        }

        /// Every directory, sorted.
        pub fn dirs(&self) -> Vec<String> {
            let nodes = self.nodes.borrow();
            let dirs = nodes.iter().filter(|(_, n)| **n == Node::Dir);
            dirs.map(|(p, _)| p.clone()).collect()
        }

        /// The log, as one text.
        pub fn logged(&self) -> String {
            self.log.borrow().join("\n")
        }

        fn parent_is_dir(&self, path: &str) -> Result<(), Errno> {
            let parent = &path[..path.rfind('/').ok_or(Errno::INVAL)?];
            match self.nodes.borrow().get(parent) {
                Some(Node::Dir) => Ok(()),
                Some(_) => Err(Errno::NOTDIR),
                None if parent.is_empty() => Ok(()),
                None => Err(Errno::NOENT),
            }
        }
    }

    impl Fs for Fake {
        fn read(&self, path: &[u8], buf: &mut [u8]) -> Result<usize, Errno> {
            match self.nodes.borrow().get(&s(path)) {
                Some(Node::File(c)) => {
                    let n = c.len().min(buf.len());
                    buf[..n].copy_from_slice(&c[..n]);
                    Ok(n)
                }
                Some(Node::Dir) => Err(Errno::ISDIR),
                None => Err(Errno::NOENT),
            }
        }

        fn lines(&self, path: &[u8], each: &mut dyn FnMut(&[u8])) -> Result<(), Errno> {
            let text = match self.nodes.borrow().get(&s(path)) {
                Some(Node::File(c)) => c.clone(),
                Some(Node::Dir) => return Err(Errno::ISDIR),
                None => return Err(Errno::NOENT),
            };
            for line in text.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                each(line);
            }
            Ok(())
        }

        fn device_filter(&self, dir: &[u8], rules: &[(bool, Bytes)]) -> Result<(), Errno> {
            let dir = s(dir);
            for (p, d, e) in self.failing.borrow().iter() {
                if *p == dir && d == "bpf" {
                    return Err(*e);
                }
            }
            match self.nodes.borrow().get(&dir) {
                Some(Node::Dir) => {}
                _ => return Err(Errno::NOENT),
            }
            let lines: Vec<String> = rules
                .iter()
                .map(|(allow, l)| format!("{} {}", if *allow { "allow" } else { "deny" }, s(l)))
                .collect();
            self.log
                .borrow_mut()
                .push(format!("bpf {dir} {}", lines.join("; ")));
            Ok(())
        }

        fn write(&self, path: &[u8], data: &[u8]) -> Result<(), Errno> {
            let (path, data) = (s(path), s(data));
            for (p, d, e) in self.failing.borrow().iter() {
                if *p == path && data.starts_with(d.as_str()) {
                    return Err(*e);
                }
            }
            let mut nodes = self.nodes.borrow_mut();
            match nodes.get_mut(&path) {
                Some(Node::File(c)) => {
                    self.log.borrow_mut().push(format!("write {path} {data}"));
                    if path.ends_with("/cgroup.procs") {
                        // A move: the pid leaves every other cgroup.procs of the hierarchy
                        // (the mount: the first four components, /sys/fs/cgroup/memory).
                        let mount: String = path.split_inclusive('/').take(5).collect();
                        let procs: Vec<String> = nodes.keys().cloned().collect();
                        let same =
                            |p: &&String| p.starts_with(&mount) && p.ends_with("/cgroup.procs");
                        for p in procs.iter().filter(same) {
                            if let Some(Node::File(c)) = nodes.get_mut(p) {
                                let kept: Vec<&str> = std::str::from_utf8(c)
                                    .unwrap()
                                    .lines()
                                    .filter(|l| *l != data)
                                    .collect();
                                let mut text = kept.join("\n");
                                if !text.is_empty() {
                                    text.push('\n');
                                }
                                *c = text.into_bytes();
                            }
                        }
                        if let Some(Node::File(c)) = nodes.get_mut(&path) {
                            c.extend_from_slice(format!("{data}\n").as_bytes());
                        }
                    } else {
                        *c = data.into_bytes();
                    }
                    Ok(())
                }
                Some(Node::Dir) => Err(Errno::ISDIR),
                None => Err(Errno::NOENT),
            }
        }

        fn mkdir(&self, path: &[u8]) -> Result<(), Errno> {
            let path = s(path);
            if self.nodes.borrow().contains_key(&path) {
                return Err(Errno::EXIST);
            }
            self.parent_is_dir(&path)?;
            self.log.borrow_mut().push(format!("mkdir {path}"));
            let mut nodes = self.nodes.borrow_mut();
            nodes.insert(path.clone(), Node::Dir);
            for (prefix, files) in self.templates.borrow().iter() {
                if path.starts_with(prefix.as_str()) {
                    for (name, contents) in files {
                        let file = Node::File(contents.as_bytes().to_vec());
                        nodes.insert(format!("{path}/{name}"), file);
                    }
                }
            }
            Ok(())
        }

        fn rmdir(&self, path: &[u8]) -> Result<(), Errno> {
            let path = s(path);
            let mut nodes = self.nodes.borrow_mut();
            match nodes.get(&path) {
                Some(Node::Dir) => {}
                Some(_) => return Err(Errno::NOTDIR),
                None => return Err(Errno::NOENT),
            }
            let inside = format!("{path}/");
            let below: Vec<String> = nodes
                .range(inside.clone()..)
                .take_while(|(p, _)| p.starts_with(&inside))
                .map(|(p, _)| p.clone())
                .collect();
            if below.iter().any(|p| nodes.get(p) == Some(&Node::Dir)) {
                return Err(Errno::NOTEMPTY);
            }
            let procs = format!("{path}/cgroup.procs");
            if matches!(nodes.get(&procs), Some(Node::File(c)) if !c.is_empty()) {
                return Err(Errno::BUSY);
            }
            for p in below {
                nodes.remove(&p);
            }
            nodes.remove(&path);
            self.log.borrow_mut().push(format!("rmdir {path}"));
            Ok(())
        }

        fn subdirs(&self, path: &[u8]) -> Result<Vec<Bytes>, Errno> {
            let inside = format!("{}/", s(path));
            let nodes = self.nodes.borrow();
            if nodes.get(&inside[..inside.len() - 1]) != Some(&Node::Dir) {
                return Err(Errno::NOENT);
            }
            let names = nodes
                .range(inside.clone()..)
                .take_while(|(p, _)| p.starts_with(&inside))
                .filter(|(p, n)| **n == Node::Dir && !p[inside.len()..].contains('/'))
                .map(|(p, _)| p.as_bytes()[inside.len()..].to_vec());
            Ok(names.collect())
        }

        fn kill(&self, pid: u32) {
            self.log.borrow_mut().push(format!("kill {pid}"));
            if self.immortal.borrow().contains(&pid) {
                return;
            }
            self.procs.borrow_mut().retain(|(p, _)| *p != pid);
            let mut nodes = self.nodes.borrow_mut();
            for (path, node) in nodes.iter_mut() {
                if let (true, Node::File(c)) = (path.ends_with("/cgroup.procs"), node) {
                    let text = String::from_utf8(c.clone()).unwrap();
                    let kept: String = text
                        .lines()
                        .filter(|l| *l != pid.to_string())
                        .map(|l| format!("{l}\n"))
                        .collect();
                    *c = kept.into_bytes();
                }
            }
        }

        fn pause(&self) {}

        fn me(&self) -> Result<Owner, Errno> {
            self.owner.ok_or(Errno::XDEV)
        }

        fn alive(&self, pid: u32, start: u64) -> bool {
            self.procs.borrow().contains(&(pid, start))
        }
    }
}
