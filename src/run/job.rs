//! Job control across the PID namespace: when the command stops on a terminal (^Z), nsrun stops
//! too, as the shell that started it expects of a job, and when nsrun is continued (`fg` or `bg`)
//! the command is continued, with the terminal when nsrun has it.
//!
//! The command runs in a process group of its own (see [`crate::sys::tty::take_foreground`]), so
//! the terminal's ^Z reaches it but not nsrun. Under nsrun's init the launcher cannot wait for the
//! command itself: the init reports the stop over the job socket, whose launcher end raises SIGIO,
//! and the launcher answers with one byte (foreground or background) and SIGCONT.

use rustix::fd::BorrowedFd;

use crate::run::forward;
use crate::sys::{self, fd, signal, tty};

/// Sent by the init: the command stopped.
pub const STOPPED: u8 = b'S';
/// Sent by the launcher: continue, with the terminal.
pub const FOREGROUND: u8 = b'F';
/// Sent by the launcher: continue in the background.
pub const BACKGROUND: u8 = b'B';

/// The launcher's view of the container for job control.
pub struct Container<'a> {
    /// The child nsrun cloned: the init, or the command itself.
    pub pid: i32,
    /// The launcher's end of the job socket when the child is the init.
    pub socket: Option<BorrowedFd<'a>>,
}

impl Container<'_> {
    /// Whether the init reported a stop of the command on the job socket (after SIGIO).
    pub fn stop_reported(&self) -> bool {
        let mut buf = [0u8; 16];
        self.socket
            .is_some_and(|s| fd::read(s, &mut buf).is_ok_and(|n| buf[..n].contains(&STOPPED)))
    }

    /// The command stopped: stop nsrun too (SIGTSTP, which the kernel discards for an orphaned
    /// process group, where nobody could continue it), then resume the command as nsrun was.
    pub fn stop_with_the_command(&self) {
        tty::stop_self();
        self.resume();
    }

    /// nsrun runs (again): continue the command, with the terminal if nsrun has it (`fg`), else
    /// in the background (`bg`). Called after a stop and on every SIGCONT, so `bg` then `fg`
    /// hands the terminal back too.
    pub fn resume(&self) {
        let foreground = tty::own_foreground();
        match self.socket {
            None => continue_group(self.pid, foreground),
            Some(socket) => {
                fd::send_quietly(socket, &[if foreground { FOREGROUND } else { BACKGROUND }]);
                sys::signal::send(self.pid, libc::SIGCONT);
            }
        }
    }
}

impl Container<'_> {
    /// Delivers a signal the terminal sent to nsrun to the command's process group instead.
    pub fn signal_foreground(&self, signo: i32) {
        match self.socket {
            None => signal::send_group(self.pid, signo),
            // The init knows the command; the mark tells it to signal the whole group.
            Some(_) => signal::queue_for_group(self.pid, signo),
        }
    }
}

impl Container<'_> {
    /// What the launcher does with a signal it caught while the command runs (SIGIO aside): on
    /// a terminal, SIGCONT continues the command ([`Container::resume`]), and a signal from the
    /// terminal, which reaches nsrun only when nsrun has the terminal (after `bg` then `fg`,
    /// which sends no SIGCONT to a running job), hands the terminal back to the command and goes
    /// to its process group, as the terminal would have sent it; any other signal a process
    /// sent is passed on ([`forward::passes`]).
    pub fn on_signal(&self, terminal: bool, caught: &signal::Caught) {
        match caught.signo {
            libc::SIGCONT if terminal => self.resume(),
            signo if terminal && caught.from_kernel && signo != libc::SIGCHLD => {
                self.resume();
                self.signal_foreground(signo);
            }
            signo if forward::passes(signo, caught.from_kernel) => signal::send(self.pid, signo),
            _ => {}
        }
    }
}

/// Continues process group `pgrp`, first giving it the terminal when `foreground`.
fn continue_group(pgrp: i32, foreground: bool) {
    if foreground {
        tty::give_foreground_to(pgrp);
    }
    signal::send_group(pgrp, libc::SIGCONT);
}

/// Init: continues the command (process group `command`) as the launcher says on `socket`.
pub fn continue_command(socket: BorrowedFd<'_>, command: i32) {
    let mut buf = [0u8; 16];
    let answer = match fd::read(socket, &mut buf) {
        Ok(n) if n > 0 => buf[n - 1],
        _ => BACKGROUND,
    };
    // The command leads its own process group (it took the terminal's foreground), so the
    // group's SIGCONT reaches it too.
    continue_group(command, answer == FOREGROUND);
}
