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

/// Marks every descriptor from 3 up close-on-exec, then clears the mark on each of `keep`.
pub fn cloexec_all_but(keep: &[i32]) -> Result<(), Errno> {
    const CLOSE_RANGE_CLOEXEC: u32 = 1 << 2;
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets a flag on descriptors; it closes nothing
    // and touches no memory.
    let rc = unsafe {
        sc::syscall!(
            CLOSE_RANGE,
            3,
            u32::MAX as usize,
            CLOSE_RANGE_CLOEXEC as usize
        )
    };
    if super::errno::from_rc(rc).is_err() {
        // Kernels before 5.11: mark the usual range one by one.
        for fd in 3..1024 {
            let _ = rustix::io::fcntl_setfd(borrow(fd), FdFlags::CLOEXEC);
        }
    }
    for &fd in keep {
        rustix::io::fcntl_setfd(borrow(fd), FdFlags::empty())?;
    }
    Ok(())
}
