//! What /proc says of a process: its start time (to tell it from a later process with the same
//! pid) and its namespaces.

use alloc::vec::Vec;
use rustix::fd::AsFd;
use rustix::fs::{Mode, OFlags};

use super::entry::{decimal, number, Ns, NS_NAMES};

/// `/proc/PID/FILE` as a path.
fn path(pid: i32, file: &str) -> Vec<u8> {
    let mut p = Vec::with_capacity(32);
    p.extend_from_slice(b"/proc/");
    decimal(&mut p, pid as u64);
    p.push(b'/');
    p.extend_from_slice(file.as_bytes());
    p
}

/// The start time of process `pid` (field 22 of /proc/PID/stat, clock ticks after boot); None
/// when there is no such process (or no /proc).
pub fn start_time(pid: i32) -> Option<u64> {
    if pid <= 0 {
        return None;
    }
    let mut buf = [0u8; 1024];
    parse_start(read_stat(rustix::fs::CWD, &path(pid, "stat"), &mut buf)?)
}

/// Field 22 of a /proc/PID/stat line: counted after the last `)`, since the command name in
/// parentheses (field 2) may hold spaces and parentheses itself. None for a process that has
/// ended but is not reaped yet (state Z or X, field 3): it runs nothing and takes no signal.
pub fn parse_start(stat: &[u8]) -> Option<u64> {
    match stat_fields(stat)? {
        (b'Z' | b'X' | b'x', _, _) => None,
        (_, _, start) => Some(start),
    }
}

/// The state letter (field 3), the parent's pid (field 4) and the start time (field 22) of a
/// /proc/PID/stat line, counted after the last `)` (the command name may hold anything).
pub fn stat_fields(stat: &[u8]) -> Option<(u8, i32, u64)> {
    let close = stat.iter().rposition(|&b| b == b')')?;
    let mut fields = stat
        .get(close + 1..)?
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty());
    let state = *fields.next()?.first()?;
    let ppid = i32::try_from(number(fields.next()?)?).ok()?;
    // Field 22 is the 18th after field 4.
    let start = number(fields.nth(17)?)?;
    Some((state, ppid, start))
}

/// Whether `pid` is the process that started at `start`.
pub fn is(pid: i32, start: u64) -> bool {
    start != 0 && start_time(pid) == Some(start)
}

/// Whether `pid` is a live process that started no later than `by` (clock ticks after boot):
/// how an entry names its launcher, by the start of the PID 1 it made (a launcher starts
/// before the process it clones, and a process given its pid after it ended starts later;
/// only one given the pid within the same clock tick as that PID 1, 10 ms, would pass).
pub fn started_by(pid: i32, by: u64) -> bool {
    by != 0 && start_time(pid).is_some_and(|start| start <= by)
}

/// The inode of the PID namespace that numbers the pids this process sees in /proc: its own,
/// when /proc is the procfs of that namespace (`/proc/self` names this process by its own pid).
/// None otherwise (no /proc, or the procfs of another PID namespace): then no pid read from an
/// entry, nor any /proc/PID, can be trusted to be the process it names.
pub fn pid_ns() -> Option<u64> {
    if !proc_is_mine() {
        return None;
    }
    let mut buf = [0u8; 64];
    let len =
        rustix::fs::readlinkat_raw(rustix::fs::CWD, "/proc/self/ns/pid", &mut buf[..]).ok()?;
    parse_ns_link(buf.get(..len)?)
}

/// The inode of this process's time namespace (/proc/self/ns/time), whose CLOCK_BOOTTIME
/// offset shifts every start time it reads (the boot clock and /proc/PID/stat alike); None on
/// a kernel without time namespaces (before 5.6), where every process reads one clock.
pub fn time_ns() -> Option<u64> {
    let mut buf = [0u8; 64];
    let len =
        rustix::fs::readlinkat_raw(rustix::fs::CWD, "/proc/self/ns/time", &mut buf[..]).ok()?;
    parse_ns_link(buf.get(..len)?)
}

/// The start time of `pid` and the inodes of the namespaces `want` picks (in the order of
/// [`NS_NAMES`]) into `ns` (as [`start_time`] and [`read_ns`], from one lookup of /proc/PID).
pub fn start_and_ns(pid: i32, ns: &mut [Ns; 8], want: &[bool; 8]) -> Option<u64> {
    if pid <= 0 {
        return None;
    }
    let dir = rustix::fs::open(
        path(pid, "").as_slice(),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let mut buf = [0u8; 1024];
    let start = parse_start(read_stat(dir.as_fd(), b"stat", &mut buf)?)?;
    if let Ok(nsdir) = rustix::fs::openat(
        &dir,
        "ns",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        ns_from(nsdir.as_fd(), ns, want);
    }
    Some(start)
}

/// The inodes of the namespaces `want` picks, read from the /proc/PID/ns directory `dir` into
/// `ns`; a file it cannot read keeps what was there.
fn ns_from(dir: rustix::fd::BorrowedFd<'_>, ns: &mut [Ns; 8], want: &[bool; 8]) {
    for ((slot, name), _) in ns.iter_mut().zip(NS_NAMES).zip(want).filter(|(_, w)| **w) {
        if let Some(inode) = ns_inode(dir, name) {
            slot.inode = inode;
        }
    }
}

/// The `stat` line of the /proc/PID directory `dir`, read into `buf`.
fn read_stat<'a>(
    dir: rustix::fd::BorrowedFd<'_>,
    name: &[u8],
    buf: &'a mut [u8; 1024],
) -> Option<&'a [u8]> {
    let fd = rustix::fs::openat(dir, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty()).ok()?;
    let mut got = 0;
    // procfs gives the whole line in one read; a line is complete at its newline.
    while got < buf.len() && (got == 0 || buf[got - 1] != b'\n') {
        match crate::sys::fd::read(fd.as_fd(), &mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(_) => return None,
        }
    }
    buf.get(..got)
}

/// Reads the inodes of the namespaces `want` picks of `pid` into `ns`, keeping what was there
/// for a file it cannot read (an init that is no longer dumpable closes /proc/PID/ns to an
/// unprivileged launcher; a process that has ended has none).
pub fn read_ns(pid: i32, ns: &mut [Ns; 8], want: &[bool; 8]) {
    // One lookup of /proc/PID/ns, then each file from it.
    if let Ok(dir) = rustix::fs::open(
        path(pid, "ns").as_slice(),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        ns_from(dir.as_fd(), ns, want);
    }
}

/// What [`by_pidfd`] reads of a process the launcher has just cloned, and of the launcher.
pub struct ByPidfd {
    /// The launcher's PID namespace (the one that numbers the child's pid).
    pub pid_ns: u64,
    /// The launcher's time namespace.
    pub time_ns: u64,
}

/// The inodes of the namespaces `want` picks of the process `pidfd` refers to, into `ns`, and
/// the launcher's own PID and time namespaces, without a /proc lookup: each namespace is
/// opened through a pidfd (PIDFD_GET_*_NAMESPACE, Linux 6.11) and its nsfs inode is its number.
/// The launcher's PID namespace comes through a pidfd of itself: the one it is in, not its
/// children's (a launcher started by `unshare -p` without a fork numbers its pids in its own,
/// while its children are in another). Its time namespace is the child's when `time_of_child`
/// (the child joins none): a child starts in its parent's time_for_children, which on these
/// kernels is the parent's own (execve moves a process into it, and nsrun's launcher never
/// unshares one; the child's own unshare takes only its children), and the child is held
/// before its execve; else the launcher's, through its pidfd. None when the kernel has no such
/// ioctl (ENOTTY) or any call fails: the caller reads /proc, as before 6.11. Looking up
/// /proc/self and /proc/PID makes /proc's entries of two new processes (the launcher and its
/// child), which costs several times these calls.
pub fn by_pidfd(
    pidfd: rustix::fd::BorrowedFd<'_>,
    ns: &mut [Ns; 8],
    want: &[bool; 8],
    time_of_child: bool,
) -> Option<ByPidfd> {
    use crate::sys::ns::{ns_of_pidfd, PIDFD_GET};
    let inode = |of: rustix::fd::BorrowedFd<'_>, i: usize| {
        let fd = ns_of_pidfd(of, PIDFD_GET[i]).ok()?;
        rustix::fs::fstat(&fd).ok().map(|st| st.st_ino)
    };
    let at = |name: &str| NS_NAMES.iter().position(|n| *n == name);
    let (pid, time) = (at("pid")?, at("time")?);
    let mut got = [0u64; 8];
    for (i, _) in want.iter().enumerate().filter(|(_, w)| **w) {
        got[i] = inode(pidfd, i)?;
    }
    let me = rustix::process::pidfd_open(
        rustix::process::getpid(),
        rustix::process::PidfdFlags::empty(),
    )
    .ok()?;
    let pid_ns = inode(me.as_fd(), pid)?;
    let time_ns = match time_of_child {
        true => inode(pidfd, time)?,
        false => inode(me.as_fd(), time)?,
    };
    for (slot, inode) in ns.iter_mut().zip(got).filter(|(_, i)| *i != 0) {
        slot.inode = inode;
    }
    Some(ByPidfd { pid_ns, time_ns })
}

/// Whether /proc is the procfs of this process's PID namespace: `/proc/self` names it by its
/// own pid (a lookup that makes no entry: the link is formatted from the caller).
pub fn proc_is_mine() -> bool {
    let me = rustix::process::getpid().as_raw_nonzero().get();
    let mut mine = Vec::new();
    decimal(&mut mine, me as u64);
    let mut buf = [0u8; 24];
    rustix::fs::readlinkat_raw(rustix::fs::CWD, "/proc/self", &mut buf[..])
        .is_ok_and(|len| buf.get(..len) == Some(mine.as_slice()))
}

/// The inode of the namespace `/proc/PID/ns/NAME` (`dir` is `/proc/PID/ns`) names, from the
/// link's text (`mnt:[4026531841]`): readlink(2) formats the number, where stat(2) would
/// follow the link and have the kernel make the namespace's nsfs inode first (a third of a
/// named run's cost when it did).
fn ns_inode(dir: rustix::fd::BorrowedFd<'_>, name: &str) -> Option<u64> {
    let mut buf = [0u8; 64];
    let len = rustix::fs::readlinkat_raw(dir, name, &mut buf[..]).ok()?;
    parse_ns_link(buf.get(..len)?)
}

/// The number in brackets of a namespace link's text: `net:[4026531840]` -> 4026531840.
pub fn parse_ns_link(link: &[u8]) -> Option<u64> {
    let open = link.iter().position(|&b| b == b'[')?;
    let inner = link.get(open + 1..)?.strip_suffix(b"]")?;
    number(inner).filter(|&n| n != 0)
}

/// The command name (field 2) of process `pid`, and, once it has ended (a zombie, state Z),
/// the signal that ended it (field 52, its exit code as wait(2) gives it; 0 for an exit; None
/// while it runs). None when there is no such process.
pub fn comm_and_signal(pid: i32) -> Option<(alloc::vec::Vec<u8>, Option<u32>)> {
    if pid <= 0 {
        return None;
    }
    let mut buf = [0u8; 1024];
    let stat = read_stat(rustix::fs::CWD, &path(pid, "stat"), &mut buf)?;
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    let comm = stat.get(open + 1..close)?.to_vec();
    let mut fields = stat
        .get(close + 1..)?
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty());
    let state = *fields.next()?.first()?;
    if state != b'Z' {
        return Some((comm, None));
    }
    // A zombie: Some(0) for an exit, else the signal.
    // Field 52 is the 49th after field 3.
    let code = number(fields.nth(48)?)?;
    Some((comm, Some((code & 0x7f) as u32)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_is_counted_after_the_last_parenthesis() {
        let line = b"4242 (a) b) (c d) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 50 18446744073709551615\n";
        assert_eq!(parse_start(line), Some(987654));
        let zombie = b"4242 (a) Z 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 0 0\n";
        assert_eq!(parse_start(zombie), None, "a zombie has ended");
        assert_eq!(parse_start(b"1 (x) S 0"), None);
        assert_eq!(parse_start(b"no parenthesis"), None);
    }

    #[test]
    fn own_start_time_is_stable_and_others_differ() {
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let a = start_time(me).expect("own stat");
        assert_eq!(start_time(me), Some(a));
        assert!(is(me, a));
        assert!(!is(me, a + 1));
        assert!(!is(me, 0));
        assert_eq!(start_time(0), None);
        assert_eq!(start_time(-5), None);
        let mut ns = [Ns::default(); 8];
        let mut only_net = [false; 8];
        only_net[3] = true;
        read_ns(me, &mut ns, &only_net);
        assert!(ns[3].inode != 0 && ns.iter().filter(|n| n.inode != 0).count() == 1);
        read_ns(me, &mut ns, &[true; 8]);
        let mnt = std::fs::metadata("/proc/self/ns/mnt").map(|m| {
            use std::os::unix::fs::MetadataExt;
            m.ino()
        });
        assert_eq!(ns[2].inode, mnt.unwrap());
        let pidns = std::fs::metadata("/proc/self/ns/pid").map(|m| {
            use std::os::unix::fs::MetadataExt;
            m.ino()
        });
        assert_eq!(pid_ns(), Some(pidns.unwrap()));
        for (i, name) in NS_NAMES.iter().enumerate() {
            let st = std::fs::metadata(format!("/proc/self/ns/{name}"));
            use std::os::unix::fs::MetadataExt;
            assert_eq!(ns[i].inode, st.unwrap().ino(), "{name}");
        }
    }

    /// A launcher is told by a tick it started no later than: its own start and any later one
    /// name it, an earlier one (a process given its pid after it ended started later) does not.
    #[test]
    fn a_launcher_is_named_by_a_tick_it_started_by() {
        let me = rustix::process::getpid().as_raw_nonzero().get();
        let start = start_time(me).unwrap();
        assert!(started_by(me, start));
        assert!(started_by(me, start + 500));
        assert!(!started_by(me, start - 1));
        assert!(!started_by(me, 0));
        assert!(!started_by(-1, start));
    }

    /// The principle [`crate::sys::clock::boot_ticks`] is used for: a process made between two
    /// reads of the boot clock that fall in one tick has that tick as its start time in
    /// /proc/PID/stat (checked on hundreds of children, so an off-by-one in the unit, the clock
    /// or the rounding would show).
    #[test]
    fn a_child_made_within_one_boot_clock_tick_started_at_that_tick() {
        let mut same = 0;
        for _ in 0..300 {
            let before = crate::sys::clock::boot_ticks().expect("CLOCK_BOOTTIME and AT_CLKTCK");
            let mut child = std::process::Command::new("/bin/sleep")
                .arg("5")
                .spawn()
                .unwrap();
            let after = crate::sys::clock::boot_ticks().unwrap();
            let seen = start_time(child.id() as i32);
            child.kill().unwrap();
            child.wait().unwrap();
            let seen = seen.expect("the child's stat");
            assert!(
                before <= seen && seen <= after,
                "{before} <= {seen} <= {after}"
            );
            if before == after {
                assert_eq!(seen, before);
                same += 1;
            }
        }
        assert!(same > 200, "only {same} of 300 spawns within one tick");
    }

    #[test]
    fn namespace_links_give_their_number() {
        assert_eq!(parse_ns_link(b"net:[4026531840]"), Some(4026531840));
        assert_eq!(parse_ns_link(b"pid:[1]"), Some(1));
        assert_eq!(parse_ns_link(b"pid:[0]"), None);
        assert_eq!(parse_ns_link(b"pid:[12"), None);
        assert_eq!(parse_ns_link(b"pid:[]"), None);
        assert_eq!(parse_ns_link(b"pid:[1x]"), None);
        assert_eq!(parse_ns_link(b"4026531840"), None);
    }
}
