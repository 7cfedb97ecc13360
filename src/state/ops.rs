//! `list`, `kill` and `wait` on the store's entries, and [`Target`]: a container's PID 1 held
//! through a pidfd after its start time was checked, so a pid the kernel has given to another
//! process since is never signalled.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use rustix::fd::{AsFd, OwnedFd};
use rustix::io::Errno;

use super::entry::{Entry, NS_NAMES};
use super::{elsewhere, life, proc, Error, Life, Store, NOT_FOUND};
use crate::out::Bytes;

/// A process checked to be the one an entry names.
pub struct Target {
    /// Its pid.
    pub pid: i32,
    /// A pidfd for it (Linux 5.3); None where the kernel has no pidfd_open (ENOSYS).
    pub pidfd: Option<OwnedFd>,
    /// How it is told from a later process with its pid, by the time the entry holds:
    /// [`proc::is`] (its start), or [`proc::started_by`] (a launcher).
    same: fn(i32, u64) -> bool,
}

impl Target {
    /// The process `pid` if it is still the one that started at `start`; None when it is gone
    /// or the pid now names another process.
    ///
    /// The pidfd is opened first, the start time read after: if it matches, the pidfd refers to
    /// that process (the pid was not reused before the pidfd held it), and from then on it
    /// cannot refer to another. Without pidfd_open there is only the check, and a pid freed and
    /// reused between the check and the signal would be missed: a window of a few microseconds.
    pub fn open(pid: i32, start: u64) -> Result<Option<Target>, Error> {
        Self::open_as(pid, start, proc::is)
    }

    /// The launcher `pid` if it is still the process that started no later than `by` (an
    /// entry's `launcher_start`), as [`Target::open`] checks it.
    pub fn open_launcher(pid: i32, by: u64) -> Result<Option<Target>, Error> {
        Self::open_as(pid, by, proc::started_by)
    }

    fn open_as(pid: i32, start: u64, same: fn(i32, u64) -> bool) -> Result<Option<Target>, Error> {
        let Some(raw) = rustix::process::Pid::from_raw(pid) else {
            return Ok(None);
        };
        let pidfd = match rustix::process::pidfd_open(raw, rustix::process::PidfdFlags::empty()) {
            Ok(fd) => Some(fd),
            Err(Errno::NOSYS) => None,
            Err(Errno::SRCH) => return Ok(None),
            Err(e) => {
                return Err(Error::io(&format!("pidfd_open {pid}"), e, None));
            }
        };
        Ok(same(pid, start).then_some(Target { pid, pidfd, same }))
    }

    /// Sends it `signo`: through the pidfd, or (no pidfd_send_signal, or no pidfd) with kill(2)
    /// after checking its start time once more. False when it has ended.
    pub fn signal(&self, signo: i32, start: u64) -> Result<bool, Error> {
        let sent = match &self.pidfd {
            Some(fd) => match crate::sys::process::pidfd_send_signal(fd.as_fd(), signo) {
                Err(Errno::NOSYS) => None,
                other => Some(other),
            },
            None => None,
        };
        let sent = match sent {
            Some(r) => r,
            None if (self.same)(self.pid, start) => crate::sys::process::kill(self.pid, signo),
            None => Err(Errno::SRCH),
        };
        match sent {
            Ok(()) => Ok(true),
            Err(Errno::SRCH) => Ok(false),
            Err(e) => {
                let hint = (e == Errno::PERM).then_some("it belongs to another user");
                Err(Error::io(
                    &format!("signal {signo} to pid {}", self.pid),
                    e,
                    hint,
                ))
            }
        }
    }

    /// Waits for it to end: poll(2) on the pidfd, or (no pidfd) a look at /proc every 20 ms.
    pub fn wait(&self, start: u64) {
        use rustix::event::{PollFd, PollFlags};
        if let Some(fd) = &self.pidfd {
            let mut fds = [PollFd::new(fd, PollFlags::IN)];
            loop {
                match rustix::event::poll(&mut fds, None) {
                    Err(Errno::INTR) => continue,
                    Ok(_) if fds[0].revents().is_empty() => continue,
                    _ => return,
                }
            }
        }
        let pause = rustix::time::Timespec {
            tv_sec: 0,
            tv_nsec: 20_000_000,
        };
        while (self.same)(self.pid, start) {
            let _ = rustix::thread::nanosleep(&pause);
        }
    }
}

fn missing(store: &Store, name: &[u8]) -> Error {
    Error::new(
        {
            let mut s = crate::out::around("no container named '", name, "' in ");
            crate::out::push_shown(&mut s, &store.path);
            s.push_str(" (hint: nsrun list shows them)");
            s
        },
        NOT_FOUND,
    )
}

/// `nsrun kill NAME SIGNAL`: signals the container's PID 1.
pub fn kill(store: &Store, name: &[u8], signo: i32) -> Result<(), Error> {
    let e = store.find(name)?.ok_or_else(|| missing(store, name))?;
    let ended = || {
        Error::new(
            crate::out::around("container '", name, "' is not running (it has ended)"),
            NOT_FOUND,
        )
    };
    match life(&e) {
        Life::Alive => {}
        Life::Elsewhere => return Err(elsewhere(name)),
        _ => return Err(ended()),
    }
    let target = Target::open(e.pid, e.pid_start)?.ok_or_else(ended)?;
    match target.signal(signo, e.pid_start)? {
        true => Ok(()),
        false => Err(ended()),
    }
}

/// `nsrun wait NAME`: waits for the container to end; its exit status as its launcher recorded
/// it (the stopped entry is then removed); an error (125) when none was recorded.
pub fn wait(store: &Store, name: &[u8]) -> Result<i32, Error> {
    let e = store.find(name)?.ok_or_else(|| missing(store, name))?;
    match life(&e) {
        Life::Stopped(code) => {
            store.remove(&e)?;
            return Ok(code);
        }
        Life::Elsewhere => return Err(elsewhere(name)),
        _ => {}
    }
    // The launcher records the status as it ends: wait for it while it lives, else for PID 1.
    let launcher = Target::open_launcher(e.launcher, e.launcher_start)?;
    match launcher {
        Some(t) => t.wait(e.launcher_start),
        None => {
            if let Some(t) = Target::open(e.pid, e.pid_start)? {
                t.wait(e.pid_start);
            }
        }
    }
    match store.read(name)? {
        Some(now) if now.pid == e.pid && now.pid_start == e.pid_start => match life(&now) {
            Life::Stopped(code) => {
                store.remove(&now)?;
                Ok(code)
            }
            Life::Stale => {
                store.remove_stale(name)?;
                Err(unrecorded(name))
            }
            _ => Err(unrecorded(name)),
        },
        _ => Err(unrecorded(name)),
    }
}

/// `wait`'s failure for a container that ended with no status to report: never a made-up 0.
fn unrecorded(name: &[u8]) -> Error {
    Error::new(
        format!(
            "wait: container '{}' ended but its exit status was not recorded (hint: its launcher \
             was killed or could not write the state directory, or another nsrun wait collected \
             it)",
            Bytes(name)
        ),
        crate::status::SETUP_FAILED,
    )
}

/// Seconds since the epoch, now.
fn now() -> u64 {
    crate::sys::clock::now_secs()
}

/// What `list` shows as an entry's status and exit code.
fn shown_status(e: &Entry) -> (&'static str, Option<i32>) {
    match life(e) {
        Life::Alive => (e.status().name(), None),
        Life::Ending => ("stopped", None),
        Life::Stopped(code) => ("stopped", Some(code)),
        Life::Gone => ("stopped", None),
        Life::Stale => ("stale", None),
        Life::Elsewhere => ("elsewhere", None),
    }
}

/// A duration as `45s`, `3m07s`, `2h05m`, `4d03h`.
pub fn duration(secs: u64) -> String {
    let (m, h, d) = (secs / 60, secs / 3600, secs / 86400);
    let (big, unit, small) = match () {
        _ if secs < 60 => (secs, "s", None),
        _ if secs < 3600 => (m, "m", Some((secs % 60, "s"))),
        _ if secs < 86400 => (h, "h", Some((m % 60, "m"))),
        _ => (d, "d", Some((h % 24, "h"))),
    };
    let mut s = String::new();
    crate::out::push_u64(&mut s, big);
    s.push_str(unit);
    if let Some((n, unit)) = small {
        if n < 10 {
            s.push('0');
        }
        crate::out::push_u64(&mut s, n);
        s.push_str(unit);
    }
    s
}

/// `n` in decimal.
fn int(n: i32) -> String {
    let mut s = String::new();
    crate::out::push_i32(&mut s, n);
    s
}

/// The kinds of namespace nsrun made for `e`, as `mnt,uts,pid`.
fn new_kinds(e: &Entry) -> String {
    let mut s = String::new();
    for (name, ns) in NS_NAMES.iter().zip(&e.ns) {
        if ns.new {
            if !s.is_empty() {
                s.push(',');
            }
            s.push_str(name);
        }
    }
    if s.is_empty() {
        s.push('-');
    }
    s
}

/// The namespaces a running container shares with its launcher, which its entry leaves out
/// (see [`super::launch::Record::created`]), into `e` as /proc/PID/ns shows them now: `list`
/// names all of a running container's namespaces, as lsns does.
pub fn shared_ns(e: &mut Entry) {
    if life(e) == Life::Alive {
        let missing = core::array::from_fn(|i| e.ns[i].inode == 0);
        let mut ns = e.ns;
        proc::read_ns(e.pid, &mut ns, &missing);
        // Still the process the entry names (not a pid taken again meanwhile).
        if proc::is(e.pid, e.pid_start) {
            e.ns = ns;
        }
    }
}

/// `nsrun list`: a table, one container a line.
pub fn table(entries: &[Entry]) -> String {
    let mut rows: Vec<[String; 7]> = alloc::vec![[
        "NAME",
        "PID",
        "STATUS",
        "EXIT",
        "UPTIME",
        "NAMESPACES",
        "COMMAND"
    ]
    .map(String::from)];
    let t = now();
    for e in entries {
        let (st, code) = shown_status(e);
        let mut command = String::new();
        for (i, arg) in e.command.iter().enumerate() {
            if i > 0 {
                command.push(' ');
            }
            crate::out::push_shown(&mut command, arg);
        }
        rows.push([
            crate::out::around("", &e.name, ""),
            int(e.pid),
            String::from(st),
            code.map_or(String::from("-"), int),
            duration(t.saturating_sub(e.created)),
            new_kinds(e),
            command,
        ]);
    }
    let mut widths = [0usize; 7];
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i] - cell.chars().count() + 2;
                out.extend(core::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

/// `nsrun list --json`: an array of objects, one a container.
pub fn json(entries: &[Entry]) -> String {
    let t = now();
    let mut out = String::from("[");
    for (i, e) in entries.iter().enumerate() {
        let (st, code) = shown_status(e);
        out.push_str(if i == 0 { "\n  {" } else { ",\n  {" });
        out.push_str("\"name\": ");
        crate::json::string(&mut out, &e.name);
        let num = |out: &mut String, key: &str, n: u64| {
            out.push_str(key);
            crate::out::push_u64(out, n);
        };
        out.push_str(", \"pid\": ");
        crate::out::push_i32(&mut out, e.pid);
        num(&mut out, ", \"pid-start\": ", e.pid_start);
        out.push_str(", \"status\": \"");
        out.push_str(st);
        out.push_str("\", \"exit-code\": ");
        match code {
            Some(c) => crate::out::push_i32(&mut out, c),
            None => out.push_str("null"),
        }
        num(&mut out, ", \"created\": ", e.created);
        num(&mut out, ", \"uptime\": ", t.saturating_sub(e.created));
        out.push_str(", \"launcher\": ");
        crate::out::push_i32(&mut out, e.launcher);
        out.push_str(", \"root\": ");
        match &e.root {
            Some(r) => crate::json::string(&mut out, r),
            None => out.push_str("null"),
        }
        out.push_str(", \"namespaces\": {");
        let mut first = true;
        for (name, ns) in NS_NAMES.iter().zip(&e.ns).filter(|(_, ns)| ns.inode != 0) {
            out.push_str(if first { "\"" } else { ", \"" });
            out.push_str(name);
            num(&mut out, "\": ", ns.inode);
            first = false;
        }
        out.push_str("}, \"new-namespaces\": [");
        let mut first = true;
        for (name, _) in NS_NAMES.iter().zip(&e.ns).filter(|(_, ns)| ns.new) {
            out.push_str(if first { "\"" } else { ", \"" });
            out.push_str(name);
            out.push('"');
            first = false;
        }
        out.push_str("], \"command\": [");
        for (j, arg) in e.command.iter().enumerate() {
            if j > 0 {
                out.push_str(", ");
            }
            crate::json::string(&mut out, arg);
        }
        out.push_str("]}");
    }
    out.push_str(if entries.is_empty() { "]\n" } else { "\n]\n" });
    out
}

/// The pids of `e`'s processes: those in the first of its cgroups (cgroup.procs), else, when
/// nsrun made its PID namespace, every process of that namespace (found by the inode of
/// /proc/PID/ns/pid), else its PID 1 alone (a container sharing the host's PID namespace has
/// no bound nsrun could tell).
pub fn members(e: &Entry) -> Vec<i32> {
    let mut pids = Vec::new();
    if let Some(dir) = e.cgroups.first() {
        let file = [dir.as_slice(), b"/cgroup.procs"].concat();
        if let Ok(text) = read_small(&file) {
            for line in text.split(|&b| b == b'\n') {
                if let Some(n) = super::entry::number(line).and_then(|n| i32::try_from(n).ok()) {
                    pids.push(n);
                }
            }
            return pids;
        }
    }
    let pid_ns = NS_NAMES.iter().position(|n| *n == "pid").unwrap_or(4);
    let ns = e.ns[pid_ns];
    if !ns.new || ns.inode == 0 {
        if proc::is(e.pid, e.pid_start) {
            pids.push(e.pid);
        }
        return pids;
    }
    let Ok(dir) = rustix::fs::open(
        "/proc",
        rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    ) else {
        return pids;
    };
    let mut buf = [core::mem::MaybeUninit::<u8>::uninit(); 4096];
    let mut entries = rustix::fs::RawDir::new(&dir, &mut buf);
    while let Some(Ok(d)) = entries.next() {
        let name = d.file_name().to_bytes();
        let Some(pid) = super::entry::number(name).and_then(|n| i32::try_from(n).ok()) else {
            continue;
        };
        let path = [&b"/proc/"[..], name, b"/ns/pid"].concat();
        if rustix::fs::stat(path.as_slice()).is_ok_and(|st| st.st_ino == ns.inode) {
            pids.push(pid);
        }
    }
    pids
}

/// A small file's bytes (a cgroup file).
pub fn read_small(path: &[u8]) -> Result<Vec<u8>, Errno> {
    use rustix::fs::{Mode, OFlags};
    let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match crate::sys::fd::read(fd.as_fd(), &mut buf)? {
            0 => return Ok(out),
            n => out.extend_from_slice(&buf[..n]),
        }
    }
}

/// `kill --all`: sends `signo` to every process of the container ([`members`]); its PID 1
/// through its pidfd, the others by pid. Ok when it has ended already.
pub fn kill_all(store: &Store, name: &[u8], signo: i32) -> Result<(), Error> {
    let e = store.find(name)?.ok_or_else(|| missing(store, name))?;
    match life(&e) {
        Life::Alive => {}
        Life::Elsewhere => return Err(elsewhere(name)),
        _ => return Ok(()),
    }
    if let Some(target) = Target::open(e.pid, e.pid_start)? {
        target.signal(signo, e.pid_start)?;
    }
    for pid in members(&e).into_iter().filter(|p| *p != e.pid) {
        match crate::sys::process::kill(pid, signo) {
            Ok(()) | Err(Errno::SRCH) => {}
            Err(err) => {
                return Err(Error::io(
                    &format!("signal {signo} to pid {pid}"),
                    err,
                    None,
                ))
            }
        }
    }
    Ok(())
}
