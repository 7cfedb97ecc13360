//! Raw file descriptor numbers: writing, closing and marking close-on-exec.

use rustix::fd::BorrowedFd;
use rustix::io::{Errno, FdFlags};

/// Borrows a descriptor number that the caller knows is open for the duration of the call.
pub fn borrow(fd: i32) -> BorrowedFd<'static> {
    // SAFETY: a BorrowedFd is only a number passed to syscalls; if `fd` is not open the syscall
    // fails with EBADF, and nsrun never closes a descriptor while a borrow of it is in use
    // (every borrow lives only inside the call that takes it).
    unsafe { BorrowedFd::borrow_raw(fd) }
}

/// Writes all of `buf` to `fd`, retrying after EINTR and short writes; errors are dropped (there is
/// nowhere left to report them).
pub fn write_all(fd: i32, mut buf: &[u8]) {
    while !buf.is_empty() {
        match rustix::io::write(borrow(fd), buf) {
            Ok(0) => return,
            Ok(n) => buf = &buf[n..],
            Err(Errno::INTR) => {}
            Err(_) => return,
        }
    }
}

/// Sends `buf` on the socket `fd` without SIGPIPE if the peer is gone (the error is dropped: a
/// peer that has ended needs no message).
pub fn send_quietly(fd: i32, buf: &[u8]) {
    let _ = rustix::net::send(borrow(fd), buf, rustix::net::SendFlags::NOSIGNAL);
}

/// Reads into `buf` from `fd`, retrying after EINTR; returns the byte count (0 at end of file).
pub fn read(fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        match rustix::io::read(borrow(fd), &mut *buf) {
            Err(Errno::INTR) => {}
            other => return other,
        }
    }
}

/// Closes a descriptor number owned by this process (in the child: its copy of a parent's pipe end).
pub fn close(fd: i32) {
    // SAFETY: callers pass only descriptors this process owns and never uses again; the child closes
    // its inherited copies of the parent's pipe ends, which nothing else in the child refers to.
    unsafe { rustix::io::close(fd) }
}

/// Whether `fd` is open.
pub fn is_open(fd: i32) -> bool {
    rustix::io::fcntl_getfd(borrow(fd)).is_ok()
}

/// Whether the other end of the pipe whose read end is `fd` has been closed by every holder.
pub fn hung_up(fd: i32) -> bool {
    use rustix::event::{PollFd, PollFlags};
    let fd = borrow(fd);
    let mut fds = [PollFd::new(&fd, PollFlags::IN)];
    match rustix::event::poll(
        &mut fds,
        Some(&rustix::time::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        }),
    ) {
        Ok(_) => fds[0].revents().contains(PollFlags::HUP),
        Err(_) => true,
    }
}

/// Makes `fd` non-blocking and has the kernel send this process SIGIO when input arrives on it.
pub fn signal_on_input(fd: i32) -> Result<(), Errno> {
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
pub fn is_tty(fd: i32) -> bool {
    rustix::termios::isatty(borrow(fd))
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
            // SAFETY: see `close_all_but`, the only caller that closes: its caller uses none of
            // these descriptors again. A number that is not open fails with EBADF, harmlessly.
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
/// opened at or above it; one opened before the limit was lowered is missed).
fn sweep_to_limit(first: i32, keep: &[i32], action: Action) {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
    let end = match (limit.maximum, limit.current) {
        (Some(hard), Some(soft)) => hard.max(soft),
        // RLIM_INFINITY: the kernel refuses it for this resource; bound it anyway.
        _ => i32::MAX as u64,
    };
    let end = i32::try_from(end).unwrap_or(i32::MAX);
    for fd in first.max(0)..end {
        if !keep.contains(&fd) {
            action.apply(fd);
        }
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
