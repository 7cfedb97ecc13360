//! Descriptors: writing and reading them, and the raw numbers nsrun must sweep (closing or
//! marking close-on-exec everything but a few).
//!
//! Descriptors nsrun owns travel as `OwnedFd` and `BorrowedFd`; raw numbers appear only where they
//! are numbers: descriptors the user named (`--keep-fd`), and the keep lists of the sweeps.

use rustix::fd::{AsRawFd, BorrowedFd, RawFd};
use rustix::io::{Errno, FdFlags};

/// Borrows a descriptor number for one call (EBADF there if it is not open).
fn borrow(fd: RawFd) -> BorrowedFd<'static> {
    // SAFETY: a BorrowedFd is only a number passed to syscalls; if `fd` is not open the syscall
    // fails with EBADF. Every borrow made here lives only inside the call that takes it, and no
    // descriptor is closed while such a call runs (nsrun is single-threaded).
    unsafe { BorrowedFd::borrow_raw(fd) }
}

/// Borrows a descriptor the user named by number (`--seccomp FD`) for the calls of one function
/// that reads it; EBADF there if it is not open.
pub fn borrow_named(fd: RawFd) -> BorrowedFd<'static> {
    borrow(fd)
}

/// Standard input (the terminal, for job control). Calls on it fail with EBADF once the init has
/// closed it; nothing else closes it.
pub fn stdin() -> BorrowedFd<'static> {
    borrow(0)
}

/// Standard output, for the help text and the version.
pub fn stdout() -> BorrowedFd<'static> {
    borrow(1)
}

/// Standard error, for messages.
pub fn stderr() -> BorrowedFd<'static> {
    borrow(2)
}

/// Writes all of `buf` to `fd`, retrying after EINTR and short writes; errors are dropped (there is
/// nowhere left to report them).
pub fn write_all(fd: BorrowedFd<'_>, mut buf: &[u8]) {
    while !buf.is_empty() {
        match rustix::io::write(fd, buf) {
            Ok(0) => return,
            Ok(n) => buf = &buf[n..],
            Err(Errno::INTR) => {}
            Err(_) => return,
        }
    }
}

/// Sends `buf` on the socket `fd` without SIGPIPE if the peer is gone (the error is dropped: a
/// peer that has ended needs no message).
pub fn send_quietly(fd: BorrowedFd<'_>, buf: &[u8]) {
    let _ = rustix::net::send(fd, buf, rustix::net::SendFlags::NOSIGNAL);
}

/// Reads into `buf` from `fd`, retrying after EINTR; returns the byte count (0 at end of file).
pub fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        match rustix::io::read(fd, &mut *buf) {
            Err(Errno::INTR) => {}
            other => return other,
        }
    }
}

/// Whether descriptor number `fd` (one the user named) is open.
pub fn is_open(fd: RawFd) -> bool {
    rustix::io::fcntl_getfd(borrow(fd)).is_ok()
}

/// Whether the other end of the pipe whose read end is `fd` has been closed by every holder.
pub fn hung_up(fd: BorrowedFd<'_>) -> bool {
    revents(fd).contains(rustix::event::PollFlags::HUP)
}

/// What `fd` has for a reader now, without waiting: IN (data), HUP (every writer gone); HUP
/// too if it cannot be polled.
pub fn revents(fd: BorrowedFd<'_>) -> rustix::event::PollFlags {
    use rustix::event::{PollFd, PollFlags};
    let mut fds = [PollFd::new(&fd, PollFlags::IN)];
    match rustix::event::poll(
        &mut fds,
        Some(&rustix::time::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        }),
    ) {
        Ok(_) => fds[0].revents(),
        Err(_) => PollFlags::HUP,
    }
}

/// Waits until the pipe or fifo written through `fd` has no reader left (poll(2) reports
/// POLLERR on a write end then), at most `timeout_ms` milliseconds; true if it has none.
pub fn wait_readers_gone(fd: BorrowedFd<'_>, timeout_ms: u64) -> bool {
    use rustix::event::{PollFd, PollFlags};
    let deadline = super::clock::now_ms().saturating_add(timeout_ms);
    loop {
        let left = deadline.saturating_sub(super::clock::now_ms());
        let mut fds = [PollFd::new(&fd, PollFlags::empty())];
        let ts = rustix::time::Timespec {
            tv_sec: (left / 1000) as i64,
            tv_nsec: ((left % 1000) * 1_000_000) as i64,
        };
        match rustix::event::poll(&mut fds, Some(&ts)) {
            Ok(0) => return false,
            Ok(_) if fds[0].revents().intersects(PollFlags::ERR | PollFlags::HUP) => return true,
            Ok(_) | Err(Errno::INTR) => {
                if left == 0 {
                    return false;
                }
            }
            Err(_) => return false,
        }
    }
}

/// Whether `fd` (a pidfd: readable once its process has ended) becomes readable within `ms`
/// milliseconds (an interrupted wait goes on to the same deadline); the error of poll(2).
pub fn readable_within(fd: BorrowedFd<'_>, ms: u64) -> Result<bool, Errno> {
    use rustix::event::{PollFd, PollFlags};
    let deadline = super::clock::now_ms().saturating_add(ms);
    loop {
        let left = deadline.saturating_sub(super::clock::now_ms());
        let ts = rustix::time::Timespec {
            tv_sec: (left / 1000) as i64,
            tv_nsec: ((left % 1000) * 1_000_000) as i64,
        };
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        match rustix::event::poll(&mut fds, Some(&ts)) {
            Ok(0) => return Ok(false),
            Ok(_) => return Ok(true),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// What is waiting in the pipe or fifo written through `fd` (a fifo this process holds only
/// for writing), read through a second, reading open of it by its magic link in /proc/self/fd
/// (empty when nothing is); None when it cannot be opened (no procfs).
pub fn read_back(fd: BorrowedFd<'_>) -> Option<alloc::vec::Vec<u8>> {
    use rustix::fs::{Mode, OFlags};
    let mut path = alloc::string::String::from("/proc/self/fd/");
    crate::out::push_i32(&mut path, fd.as_raw_fd());
    let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let r = rustix::fs::open(path.as_str(), flags, Mode::empty()).ok()?;
    let mut buf = alloc::vec![0u8; 1024];
    let n = loop {
        match rustix::io::read(&r, &mut buf) {
            Err(Errno::INTR) => continue,
            Ok(n) => break n,
            // Nothing waiting.
            Err(Errno::AGAIN) => break 0,
            Err(_) => return None,
        }
    };
    buf.truncate(n);
    Some(buf)
}

/// Closes `fd`, a descriptor the user named (`--info-fd`) that nsrun is done with.
pub fn close_named(fd: RawFd) {
    // SAFETY: no OwnedFd owns a number the user named, so nothing closes it again, and the
    // caller uses it no more (nsrun is single-threaded: no other call holds it meanwhile).
    unsafe { rustix::io::close(fd) }
}

/// Makes `fd` non-blocking and has the kernel send this process SIGIO when input arrives on it.
pub fn signal_on_input(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    use rustix::fd::AsRawFd;
    let fd = fd.as_raw_fd();
    // SAFETY: F_SETOWN and F_GETFL/F_SETFL take and return plain integers; no memory is passed.
    unsafe {
        if libc::fcntl(fd, libc::F_SETOWN, libc::getpid()) < 0 {
            return Err(super::errno::last());
        }
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_ASYNC | libc::O_NONBLOCK) < 0
        {
            return Err(super::errno::last());
        }
    }
    Ok(())
}

/// Whether `fd` is a terminal.
pub fn is_tty(fd: BorrowedFd<'_>) -> bool {
    rustix::termios::isatty(fd)
}

/// `close_range`'s flag (Linux 5.11) that marks the range close-on-exec instead of closing it.
const CLOSE_RANGE_CLOEXEC: usize = 1 << 2;

/// Marks every descriptor from 3 up close-on-exec, then clears the mark on each of `keep`.
///
/// Every descriptor, however high: close_range where the kernel has it with CLOSE_RANGE_CLOEXEC
/// (5.11), else each descriptor /proc/self/fd lists, else each number below the hard
/// RLIMIT_NOFILE. Allocates nothing (the child calls it).
pub fn cloexec_all_but(keep: &[i32]) -> Result<(), Errno> {
    if close_range(3, u32::MAX, CLOSE_RANGE_CLOEXEC).is_err() {
        // ENOSYS before 5.9, EINVAL (the flag) before 5.11.
        sweep(3, &[], Action::Cloexec);
    }
    for &fd in keep {
        rustix::io::fcntl_setfd(borrow(fd), FdFlags::empty())?;
    }
    Ok(())
}

/// Closes every descriptor of this process, 0, 1 and 2 included, except those in `keep`.
///
/// The init calls it once it has started the command, which holds its own copies of whatever
/// it was meant to get. By close_range where the kernel has it (5.9), else as
/// [`cloexec_all_but`] finds descriptors. Allocates nothing. Callers must not use (or let any
/// owner drop) a closed descriptor afterwards: the init only waits and exits.
pub fn close_all_but(keep: &[i32]) {
    if close_ranges_around(keep).is_err() {
        sweep(0, keep, Action::Close);
    }
}

/// What a sweep does to each descriptor it finds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Action {
    /// Mark it close-on-exec.
    Cloexec,
    /// Close it.
    Close,
}

impl Action {
    fn apply(self, fd: i32) {
        match self {
            // Fails only with EBADF, for a number that is not open.
            Action::Cloexec => {
                let _ = rustix::io::fcntl_setfd(borrow(fd), FdFlags::CLOEXEC);
            }
            // SAFETY: see `close_all_but`, the caller that closes: its caller uses none of these
            // descriptors again. A number that is not open fails with EBADF, harmlessly.
            Action::Close => unsafe { rustix::io::close(fd) },
        }
    }
}

/// `close_range(first, last, flags)`.
fn close_range(first: u32, last: u32, flags: usize) -> Result<(), Errno> {
    // SAFETY: close_range passes no memory; it closes (or with CLOSE_RANGE_CLOEXEC only marks)
    // the descriptors in [first, last]. The closing callers own those descriptors and use none
    // of them again (see `close_all_but`).
    let rc = unsafe { sc::syscall!(CLOSE_RANGE, first as usize, last as usize, flags) };
    super::errno::from_rc(rc)
}

/// Closes with close_range every descriptor but `keep`, one range between each two kept ones.
fn close_ranges_around(keep: &[i32]) -> Result<(), Errno> {
    let mut first: u32 = 0;
    loop {
        // The lowest kept descriptor at or above `first`.
        let next = keep
            .iter()
            .filter_map(|&fd| u32::try_from(fd).ok())
            .filter(|&fd| fd >= first)
            .min();
        match next {
            None => return close_range(first, u32::MAX, 0),
            Some(kept) => {
                if kept > first {
                    close_range(first, kept - 1, 0)?;
                }
                match kept.checked_add(1) {
                    Some(after) => first = after,
                    None => return Ok(()),
                }
            }
        }
    }
}

/// Applies `action` to every open descriptor from `first` up that is not in `keep`, without
/// close_range: by the list in /proc/self/fd where that is a procfs, else to every number below
/// the hard RLIMIT_NOFILE.
fn sweep(first: i32, keep: &[i32], action: Action) {
    if sweep_listed(first, keep, action).is_err() {
        sweep_to_limit(first, keep, action);
    }
}

/// [`sweep`] by the list of /proc/self/fd, read with getdents into a stack buffer. Fails when
/// there is no procfs at /proc (none mounted, or something else there, as in a fresh root before
/// its /proc) or reading it failed; the caller then tries every number.
fn sweep_listed(first: i32, keep: &[i32], action: Action) -> Result<(), Errno> {
    use core::mem::MaybeUninit;
    use rustix::fd::AsRawFd;
    use rustix::fs::{Mode, OFlags, RawDir};
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    let dir = rustix::fs::open(c"/proc/self/fd", flags, Mode::empty())?;
    // Only the kernel's own list will do: a directory that lists less would leave some open.
    if rustix::fs::fstatfs(&dir)?.f_type != rustix::fs::PROC_SUPER_MAGIC {
        return Err(Errno::NOTSUP);
    }
    // The directory's own descriptor is closed (by its drop) once it has been read.
    let own = dir.as_raw_fd();
    let mut buf = [MaybeUninit::<u8>::uninit(); 1024];
    let mut entries = RawDir::new(&dir, &mut buf);
    // procfs lists descriptors in increasing order, each position after the last number read,
    // so closing those already listed does not disturb the listing.
    while let Some(entry) = entries.next() {
        let Some(fd) = parse_fd(entry?.file_name().to_bytes()) else {
            continue; // "." and ".."
        };
        if fd >= first && fd != own && !keep.contains(&fd) {
            action.apply(fd);
        }
    }
    Ok(())
}

/// [`sweep`] to every number from `first` below the hard RLIMIT_NOFILE (no descriptor can be
/// opened at or above it; one opened before the limit was lowered is missed). poll(2) tells
/// which numbers are open, up to 1024 per call (closed ones come back POLLNVAL; poll takes no
/// more than the soft limit at once), so a hard limit of 2^20 costs a thousand calls, not a
/// million.
fn sweep_to_limit(first: i32, keep: &[i32], action: Action) {
    use rustix::event::{PollFd, PollFlags};
    const CHUNK: usize = 1024;
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    // A descriptor opened before the hard limit was lowered lies above it: sweep up to the
    // kernel's default ceiling for descriptor numbers (fs.nr_open, 2^20) at least.
    const NR_OPEN: u64 = 1 << 20;
    let end = match (limit.maximum, limit.current) {
        (Some(hard), Some(soft)) => hard.max(soft).max(NR_OPEN),
        // RLIM_INFINITY: the kernel refuses it for this resource; bound it anyway.
        _ => i32::MAX as u64,
    };
    let end = i32::try_from(end).unwrap_or(i32::MAX);
    let soft = limit
        .current
        .map_or(CHUNK as i32, |s| i32::try_from(s).unwrap_or(i32::MAX));
    let chunk = soft.clamp(1, CHUNK as i32);
    let mut start = first.max(0);
    while start < end {
        let count = (end - start).min(chunk);
        let mut fds: [PollFd<'static>; CHUNK] = core::array::from_fn(|i| {
            PollFd::from_borrowed_fd(borrow(start.saturating_add(i as i32)), PollFlags::empty())
        });
        let fds = &mut fds[..count as usize];
        // Zero timeout: only the numbers' state is asked for. Should it fail, each number is
        // tried by itself.
        let polled = rustix::event::poll(
            fds,
            Some(&rustix::time::Timespec {
                tv_sec: 0,
                tv_nsec: 0,
            }),
        )
        .is_ok();
        for (i, pfd) in fds.iter().enumerate() {
            let fd = start + i as i32;
            let open = !polled || !pfd.revents().contains(PollFlags::NVAL);
            if open && !keep.contains(&fd) {
                action.apply(fd);
            }
        }
        start += count;
    }
}

/// A descriptor number written in decimal (a /proc/self/fd entry's name).
fn parse_fd(name: &[u8]) -> Option<i32> {
    if name.is_empty() || name.len() > 10 {
        return None;
    }
    let mut n: i32 = 0;
    for &c in name {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(i32::from(c - b'0'))?;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `check` in a forked child (whose descriptors it may close freely) with descriptors
    /// 7 and 1500 open (copies of 0, no close-on-exec mark); true when it returned true.
    fn in_child(check: fn() -> bool) -> bool {
        // SAFETY: the child makes only system calls (no allocation, no lock another thread of
        // the test harness could hold) and leaves with _exit; the parent reaps it.
        unsafe {
            match libc::fork() {
                0 => {
                    let lim = libc::rlimit {
                        rlim_cur: 1501,
                        rlim_max: 1501,
                    };
                    let mut now = core::mem::zeroed::<libc::rlimit>();
                    libc::getrlimit(libc::RLIMIT_NOFILE, &mut now);
                    if now.rlim_cur < 1501 && libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                        libc::_exit(2);
                    }
                    if libc::dup2(0, 7) != 7 || libc::dup2(0, 1500) != 1500 {
                        libc::_exit(3);
                    }
                    libc::_exit(if check() { 0 } else { 1 })
                }
                pid if pid > 0 => {
                    let mut st = 0;
                    libc::waitpid(pid, &mut st, 0);
                    libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0
                }
                _ => panic!("fork failed"),
            }
        }
    }

    fn cloexec(fd: i32) -> bool {
        rustix::io::fcntl_getfd(borrow(fd)).is_ok_and(|f| f.contains(FdFlags::CLOEXEC))
    }

    #[test]
    fn parses_descriptor_names() {
        assert_eq!(parse_fd(b"0"), Some(0));
        assert_eq!(parse_fd(b"1500"), Some(1500));
        assert_eq!(parse_fd(b"2147483647"), Some(i32::MAX));
        for bad in [
            &b""[..],
            b".",
            b"..",
            b"2147483648",
            b"99999999999",
            b"1a",
            b"-1",
        ] {
            assert_eq!(parse_fd(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_fallback_marks_descriptors_above_1023() {
        assert!(in_child(|| {
            sweep_listed(3, &[], Action::Cloexec).is_ok()
                && cloexec(7)
                && cloexec(1500)
                && !cloexec(0)
        }));
        assert!(in_child(|| {
            sweep_to_limit(3, &[], Action::Cloexec);
            cloexec(7) && cloexec(1500) && !cloexec(0)
        }));
        assert!(in_child(|| {
            cloexec_all_but(&[7]).is_ok() && !cloexec(7) && cloexec(1500) && !cloexec(2)
        }));
        // A soft limit below poll's chunk of 1024 (which poll would refuse).
        assert!(in_child(|| {
            let low = libc::rlimit {
                rlim_cur: 100,
                rlim_max: 1501,
            };
            // SAFETY: setrlimit reads the struct it is given.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &low) } != 0 {
                return false;
            }
            sweep_to_limit(3, &[], Action::Cloexec);
            cloexec(7) && cloexec(1500) && !cloexec(0)
        }));
    }

    #[test]
    fn every_way_of_closing_keeps_exactly_the_kept() {
        // Open: exactly 0 (kept) and 1500; 1, 2, 7 and 1499 closed.
        fn kept_0_and_1500() -> bool {
            is_open(0) && is_open(1500) && !is_open(1) && !is_open(2) && !is_open(7)
        }
        assert!(in_child(|| {
            close_ranges_around(&[1500, 0]).is_ok() && kept_0_and_1500()
        }));
        assert!(in_child(|| {
            sweep_listed(0, &[0, 1500], Action::Close).is_ok() && kept_0_and_1500()
        }));
        assert!(in_child(|| {
            sweep_to_limit(0, &[1500, 0], Action::Close);
            kept_0_and_1500()
        }));
        assert!(in_child(|| {
            close_all_but(&[0, 1500]);
            kept_0_and_1500()
        }));
        assert!(in_child(|| {
            close_all_but(&[]);
            !is_open(0) && !is_open(1500)
        }));
    }
}
