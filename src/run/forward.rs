//! The signals that the launcher and the init pass on to the command, as tini does.

use crate::sys::signal::SigSet;

/// SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH.
pub const FORWARDED: [i32; 7] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGWINCH,
];

/// The forwarded signals plus SIGCHLD and `extra`: what the launcher and the init block and
/// wait for (the extra ones are job control's, SIGCONT and SIGIO: see [`crate::run::job`]).
pub fn waited(extra: &[i32]) -> SigSet {
    let mut all = [libc::SIGCHLD; 10];
    all[..7].copy_from_slice(&FORWARDED);
    all[8..8 + extra.len().min(2)].copy_from_slice(&extra[..extra.len().min(2)]);
    SigSet::of(&all)
}

/// Whether a caught signal is passed on. A signal the kernel sent from a terminal (^C, ^\, a
/// resize, a hangup) already reached the command, which shares the terminal's process group, so
/// passing it on would deliver it twice.
pub fn passes(signo: i32, from_kernel: bool) -> bool {
    signo != libc::SIGCHLD && !from_kernel
}
