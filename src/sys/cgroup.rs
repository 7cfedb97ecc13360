//! System calls of the cgroup code's tests: forked processes to move into a cgroup.
//!
//! (The launcher moves its child by writing its pid to cgroup.procs before the go byte, see
//! `confine::cgroup::Cgroup::enter`; clone3 with CLONE_INTO_CGROUP is not used.)

#[cfg(test)]
pub use testing::*;

#[cfg(test)]
mod testing {
    use rustix::fd::{AsRawFd, OwnedFd};
    use rustix::io::Errno;

    /// A forked process that waits for a byte on a pipe, then forks once more, and both sleep
    /// until killed: the pid, and the pipe's write end (its go byte).
    pub fn fork_sleepers() -> Result<(i32, OwnedFd), Errno> {
        let (r, w) = rustix::pipe::pipe()?;
        // SAFETY: the child makes only async-signal-safe calls (read, fork, pause) and never
        // returns into the test harness (it loops until it is killed); the parent keeps its
        // descriptors.
        unsafe {
            match libc::fork() {
                0 => {
                    let mut b = 0u8;
                    libc::read(r.as_raw_fd(), (&mut b as *mut u8).cast(), 1);
                    libc::fork();
                    loop {
                        libc::pause();
                    }
                }
                pid if pid > 0 => Ok((pid, w)),
                _ => Err(super::super::errno::last()),
            }
        }
    }

    /// A forked process that waits for a byte on a pipe, then writes to `bytes` of fresh memory
    /// page by page (till the OOM killer ends it, in a cgroup with less) and exits 0: the pid,
    /// and the pipe's write end (its go byte).
    pub fn fork_hog(bytes: usize) -> Result<(i32, OwnedFd), Errno> {
        let (r, w) = rustix::pipe::pipe()?;
        // SAFETY: as in `fork_sleepers`; the child touches only the mapping it made, within its
        // length, and leaves with _exit.
        unsafe {
            match libc::fork() {
                0 => {
                    let mut b = 0u8;
                    libc::read(r.as_raw_fd(), (&mut b as *mut u8).cast(), 1);
                    let p = libc::mmap(
                        core::ptr::null_mut(),
                        bytes,
                        libc::PROT_READ | libc::PROT_WRITE,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                        -1,
                        0,
                    );
                    if p == libc::MAP_FAILED {
                        libc::_exit(2);
                    }
                    let p = p.cast::<u8>();
                    let mut at = 0;
                    while at < bytes {
                        p.add(at).write_volatile(1);
                        at += 4096;
                    }
                    libc::_exit(0)
                }
                pid if pid > 0 => Ok((pid, w)),
                _ => Err(super::super::errno::last()),
            }
        }
    }

    /// Waits for the child `pid`; its wait status.
    pub fn reap(pid: i32) -> Result<i32, Errno> {
        let mut status = 0;
        // SAFETY: waitpid writes the status into a valid local.
        if unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
            return Err(super::super::errno::last());
        }
        Ok(status)
    }
}
