//! System calls of the cgroup code's tests: a forked process to move into a cgroup.
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
