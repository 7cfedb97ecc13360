//! The process whose namespaces are joined, pinned so that a pid reused by another process is
//! never taken for it.
//!
//! Its pidfd is taken first (pidfd_open, Linux 5.3), then its /proc/PID directory is opened, and
//! every file is opened relative to that directory descriptor: once the process has ended,
//! lookups there fail, even if its pid has passed to another process. After the opens the pidfd
//! must still show the process running: then the directory opened after it was that process's
//! (a running process's pid is not reused). Without pidfd_open, the start time in its
//! /proc/PID/stat is read before and after the opens and must be the same, of a process that has
//! not ended. A start time known from before (the state store's) must match too.

use alloc::format;
use alloc::string::String;
use core::ffi::CStr;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags};

use super::{Bad, NsFile};
use crate::ns::Kind;
use crate::report;

/// A running process, pinned (see the module's text).
pub struct Target {
    /// Its pid, in nsrun's PID namespace.
    pub pid: i32,
    pidfd: Option<OwnedFd>,
    dir: OwnedFd,
    /// Its start time (clock ticks since boot), when it was read.
    start: Option<u64>,
}

impl Target {
    /// Pins process `pid`; `expected_start` is its start time as recorded when it was started
    /// (a process with another start time is not it: its pid was reused).
    pub fn open(pid: i32, expected_start: Option<u64>) -> Result<Target, String> {
        let pidfd = match Pid::from_raw(pid) {
            Some(p) => rustix::process::pidfd_open(p, PidfdFlags::empty()),
            None => Err(Errno::SRCH),
        };
        Target::pin(pid, expected_start, pidfd)
    }

    /// [`Target::open`] with the result of pidfd_open given (tests give ENOSYS).
    fn pin(
        pid: i32,
        expected_start: Option<u64>,
        pidfd: Result<OwnedFd, Errno>,
    ) -> Result<Target, String> {
        let pidfd = match pidfd {
            Ok(fd) => Some(fd),
            // Before 5.3; EPERM where a seccomp policy denies it; for a thread that does not
            // lead its process, EINVAL (ENOENT since 6.9, which has PIDFD_THREAD for them): its
            // start time then pins it.
            Err(Errno::NOSYS | Errno::PERM | Errno::INVAL | Errno::NOENT) => None,
            Err(Errno::SRCH) => return Err(no_process(pid)),
            Err(e) => return Err(report::line(&format!("pidfd_open {pid}"), e, None)),
        };
        let path = format!("/proc/{pid}");
        let dir = rustix::fs::open(
            path.as_str(),
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match e {
            Errno::NOENT => no_process(pid),
            e => report::line(&format!("open {path}"), e, None),
        })?;
        let mut target = Target {
            pid,
            pidfd,
            dir,
            start: None,
        };
        if expected_start.is_some() || target.pidfd.is_none() {
            let (state, _, start) = target.stat()?;
            if is_ended(state) {
                return Err(format!("process {pid} has ended"));
            }
            if let Some(expected) = expected_start.filter(|e| *e != start) {
                return Err(format!(
                    "process {pid} is not the container any more: it started at {start}, the \
                     container at {expected} (clock ticks since boot; its pid was reused)"
                ));
            }
            target.start = Some(start);
        }
        Ok(target)
    }

    /// Its pidfd, where the kernel has them.
    pub fn pidfd(&self) -> Option<BorrowedFd<'_>> {
        self.pidfd.as_ref().map(|fd| fd.as_fd())
    }

    /// Opens its namespace file of `kind` (ns/NAME), checked.
    pub fn ns(&self, kind: Kind) -> Result<NsFile, Bad> {
        let name = match kind {
            Kind::Mount => c"ns/mnt",
            Kind::Uts => c"ns/uts",
            Kind::Ipc => c"ns/ipc",
            Kind::Net => c"ns/net",
            Kind::Pid => c"ns/pid",
            Kind::User => c"ns/user",
            Kind::Cgroup => c"ns/cgroup",
            Kind::Time => c"ns/time",
        };
        super::open_at(self.dir.as_fd(), name, kind)
    }

    /// Its ns/time_for_children, when that is not its own time namespace: a process that made a
    /// time namespace for its children without executing anything since (nsrun's init, whose
    /// command runs in it) lives in the old one, its children in the new one.
    pub fn time_for_children(&self, own: &NsFile) -> Option<NsFile> {
        super::open_at(self.dir.as_fd(), c"ns/time_for_children", Kind::Time)
            .ok()
            .filter(|f| f.id != own.id)
    }

    /// Opens its `root` or `cwd` (a directory, O_PATH), to be entered after its mount namespace.
    pub fn open_dir(&self, name: &CStr) -> Result<OwnedFd, Errno> {
        rustix::fs::openat(
            &self.dir,
            name,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
    }

    /// Whether the process still runs, after the files were opened: its pidfd shows no exit;
    /// without one, its stat is readable through the directory, of a process that has not ended
    /// and started when it did at the first look.
    pub fn check_alive(&self) -> Result<(), String> {
        let ended = format!(
            "process {} ended while nsrun opened its namespaces (its pid may now be another \
             process's): nothing was joined",
            self.pid
        );
        match &self.pidfd {
            Some(fd) => match crate::sys::fd::revents(fd.as_fd()).is_empty() {
                true => Ok(()),
                false => Err(ended),
            },
            None => match self.stat() {
                Ok((state, _, start)) if !is_ended(state) && Some(start) == self.start => Ok(()),
                _ => Err(ended),
            },
        }
    }

    /// Its first child, pinned, when it still is its child once pinned: the command of nsrun's
    /// init (the init starts it first and ends with it).
    pub fn first_child(&self) -> Option<Target> {
        let name = format!("task/{}/children", self.pid);
        let fd = rustix::fs::openat(
            &self.dir,
            name.as_str(),
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok()?;
        let mut buf = [0u8; 32];
        let n = crate::sys::fd::read(fd.as_fd(), &mut buf).ok()?;
        let first = buf[..n].split(|b| *b == b' ').next()?;
        let pid: i32 = core::str::from_utf8(first).ok()?.parse().ok()?;
        let child = Target::open(pid, None).ok()?;
        // Pinned now: its parent, read through its own directory, must be this process.
        match child.stat() {
            Ok((state, ppid, _)) if ppid == self.pid && !is_ended(state) => Some(child),
            _ => None,
        }
    }

    /// Its real uid, from its status (readable by everyone, dumpable or not).
    pub fn uid(&self) -> Option<u32> {
        let fd = rustix::fs::openat(
            &self.dir,
            c"status",
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .ok()?;
        let mut buf = [0u8; 4096];
        let n = crate::sys::fd::read(fd.as_fd(), &mut buf).ok()?;
        let text = &buf[..n];
        let at = text.windows(5).position(|w| w == b"\nUid:")?;
        let value = text[at + 5..]
            .split(|b| b.is_ascii_whitespace())
            .find(|f| !f.is_empty())?;
        core::str::from_utf8(value).ok()?.parse().ok()
    }

    /// Its state letter, parent and start time, from stat read through its directory.
    fn stat(&self) -> Result<(u8, i32, u64), String> {
        let what = || format!("read /proc/{}/stat", self.pid);
        let fd = rustix::fs::openat(
            &self.dir,
            c"stat",
            OFlags::RDONLY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| match e {
            Errno::NOENT | Errno::SRCH => format!("process {} has ended", self.pid),
            e => report::line(&what(), e, None),
        })?;
        let mut buf = [0u8; 1024];
        let n = crate::sys::fd::read(fd.as_fd(), &mut buf)
            .map_err(|e| report::line(&what(), e, None))?;
        parse_stat(&buf[..n]).ok_or_else(|| format!("{}: unexpected content", what()))
    }
}

/// The line for a pid with no process.
fn no_process(pid: i32) -> String {
    format!("no process {pid} (hint: give the pid as this PID namespace numbers it)")
}

/// Whether a process in `state` has ended (a zombie, or dead).
fn is_ended(state: u8) -> bool {
    matches!(state, b'Z' | b'X' | b'x')
}

/// The state letter, the parent's pid (field 4) and the start time (field 22) of a
/// /proc/PID/stat line; the command name, field 2, may hold anything, so the fields are counted
/// after its last `)`.
fn parse_stat(line: &[u8]) -> Option<(u8, i32, u64)> {
    crate::state::proc::stat_fields(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::{Child, Command};

    fn sleeper() -> Child {
        Command::new("sleep").arg("30").spawn().unwrap()
    }

    fn start_of(pid: u32) -> u64 {
        let s = std::fs::read(format!("/proc/{pid}/stat")).unwrap();
        parse_stat(&s).unwrap().2
    }

    #[test]
    fn stat_lines_with_odd_names() {
        let line = b"42 (a) b) (c) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 777 1 2\n";
        assert_eq!(parse_stat(line), Some((b'S', 1, 777)));
        assert_eq!(parse_stat(b"42 (x) S 1 2"), None);
        assert_eq!(parse_stat(b""), None);
        assert_eq!(parse_stat(b"42 (x) "), None);
    }

    #[test]
    fn a_live_process_is_pinned_with_or_without_a_pidfd() {
        let mut child = sleeper();
        let pid = child.id() as i32;
        let start = start_of(child.id());
        let t = Target::open(pid, Some(start)).unwrap();
        t.check_alive().unwrap();
        assert_eq!(t.uid(), Some(rustix::process::getuid().as_raw()));
        let net = t.ns(Kind::Net).unwrap();
        assert_eq!(net.kind, Kind::Net);
        let old = Target::pin(pid, None, Err(Errno::NOSYS)).unwrap();
        assert!(old.pidfd().is_none());
        old.check_alive().unwrap();
        // A start time that is not the process's: its pid was reused.
        let err = Target::open(pid, Some(start + 1)).err().unwrap();
        assert!(err.contains("not the container any more"), "{err}");
        child.kill().unwrap();
        // Killed but not reaped (a zombie): ended for both.
        let zombie = || {
            std::fs::read(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| parse_stat(&s))
                .is_some_and(|(st, _, _)| st == b'Z')
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !zombie() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(zombie());
        assert!(t.check_alive().unwrap_err().contains("ended while nsrun"));
        assert!(old.check_alive().unwrap_err().contains("ended while nsrun"));
        assert!(Target::pin(pid, None, Err(Errno::NOSYS))
            .err()
            .unwrap()
            .contains("has ended"));
        child.wait().unwrap();
        // Reaped: the directory opened before answers no more, whoever has the pid now.
        assert!(old.check_alive().is_err());
        assert!(t.check_alive().is_err());
        assert!(t.ns(Kind::Uts).is_err());
    }

    #[test]
    fn no_such_process() {
        let err = Target::open(i32::MAX, None).err().unwrap();
        assert!(err.starts_with("no process 2147483647"), "{err}");
        let err = Target::open(0, None).err().unwrap();
        assert!(err.starts_with("no process 0"), "{err}");
    }
}
