//! Processes for the state store's commands: fork (for `--detach`) and a signal through a pidfd.

use rustix::fd::{AsRawFd, BorrowedFd};
use rustix::io::Errno;

/// Forks this process: `Ok(None)` in the child, `Ok(Some(pid))` in the parent.
pub fn fork() -> Result<Option<i32>, Errno> {
    // SAFETY: nsrun is single-threaded, so the child's copy of memory holds no lock another
    // thread owned; both processes go on with their own copies of everything.
    match unsafe { libc::fork() } {
        0 => Ok(None),
        pid if pid > 0 => Ok(Some(pid)),
        _ => Err(super::errno::last()),
    }
}

/// Sends `signo` (any number 1..=64, real-time ones too) to the process `pidfd` refers to
/// (pidfd_send_signal, Linux 5.1; ENOSYS before).
pub fn pidfd_send_signal(pidfd: BorrowedFd<'_>, signo: i32) -> Result<(), Errno> {
    // SAFETY: plain integer arguments and a null siginfo, which the kernel reads as "as kill(2)".
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            signo,
            core::ptr::null::<libc::siginfo_t>(),
            0u32,
        )
    };
    match rc {
        0 => Ok(()),
        _ => Err(super::errno::last()),
    }
}

/// Sends `signo` to `pid` with kill(2) (the fallback where there is no pidfd).
pub fn kill(pid: i32, signo: i32) -> Result<(), Errno> {
    // SAFETY: plain integer arguments; the callers pass a positive pid.
    match unsafe { libc::kill(pid, signo) } {
        0 => Ok(()),
        _ => Err(super::errno::last()),
    }
}
