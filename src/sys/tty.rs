//! The terminal's foreground process group, for a command that reads from it.

use rustix::process::Pid;

use super::fd;
use super::signal::{self, SigSet};

/// Whether standard input is a terminal whose foreground process group is this process's.
pub fn own_foreground() -> bool {
    fd::is_tty(fd::stdin())
        && rustix::termios::tcgetpgrp(fd::stdin()).ok() == Some(rustix::process::getpgrp())
}

/// Puts this process into a process group of its own and makes that the terminal's foreground
/// group. Best effort: on failure the process stays where it was.
pub fn take_foreground() {
    let _ = rustix::process::setpgid(None, None);
    give_foreground(rustix::process::getpgrp());
}

/// Makes process group `pgrp` (a number in this process's PID namespace) the foreground group
/// of the terminal on standard input.
pub fn give_foreground_to(pgrp: i32) {
    if let Some(pgrp) = Pid::from_raw(pgrp) {
        give_foreground(pgrp);
    }
}

/// Stops this process as a terminal's ^Z would (SIGTSTP); returns once it is continued, or at
/// once where the kernel discards the stop (an orphaned process group).
pub fn stop_self() {
    let _ = rustix::process::kill_process(rustix::process::getpid(), rustix::process::Signal::TSTP);
}

/// Makes `pgrp` the foreground group of the terminal on standard input. SIGTTOU, which a
/// process outside the foreground group gets for this, stays blocked afterwards (the callers
/// restore their mask or exit next).
pub fn give_foreground(pgrp: Pid) {
    signal::block(&SigSet::of(&[libc::SIGTTOU]));
    let _ = rustix::termios::tcsetpgrp(fd::stdin(), pgrp);
}
