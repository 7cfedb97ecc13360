//! PID 1 of the new PID namespace: start the command as PID 2, pass signals on, reap every process
//! that ends, and exit with the command's status (the model is tini).

use rustix::process::WaitOptions;

use crate::child::{self, Context};
use crate::forward;
use crate::job;
use crate::report::{special, Report};
use crate::status;
use crate::sys::{self, clone};

/// Runs the init loop; never returns.
pub fn run(cx: &Context) -> ! {
    let stack = cx
        .spawn_stack
        .expect("the launcher allocates a spawn stack in init mode");
    // CLONE_VM|CLONE_VFORK, as posix_spawn does: no copy of the address space, and this process
    // resumes only once the command has been executed (or failed to be).
    let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD;
    let command = match clone::spawn(stack, flags, child::exec, cx) {
        Ok(pid) => pid,
        Err(errno) => {
            Report::new(special::SPAWN, errno).send(cx.report_fd);
            sys::exit::exit_now(status::SETUP_FAILED);
        }
    };
    // The command holds the only other copy of the error pipe, closed by its exec: from now on the
    // launcher sees end of file once the command runs.
    sys::fd::close(cx.report_fd);

    // On nsrun's terminal, the command's stops go to the launcher, which answers with SIGCONT.
    let waited = forward::waited(if cx.job_fd.is_some() {
        &[libc::SIGCONT]
    } else {
        &[]
    });
    sys::signal::block(&waited);
    let options = match cx.job_fd {
        Some(_) => WaitOptions::NOHANG | WaitOptions::UNTRACED,
        None => WaitOptions::NOHANG,
    };
    loop {
        while let Ok(Some((pid, st))) = rustix::process::wait(options) {
            match (pid.as_raw_pid() == command, st.stopped(), cx.job_fd) {
                (true, true, Some(socket)) => sys::fd::send_quietly(socket, &[job::STOPPED]),
                // Leaving ends the namespace: the kernel kills whatever is left in it.
                (true, false, _) => sys::exit::exit_now(status::from_wait(st.as_raw())),
                _ => {}
            }
        }
        let Ok(caught) = sys::signal::wait(&waited) else {
            continue;
        };
        match (caught.signo, cx.job_fd) {
            (libc::SIGCONT, Some(socket)) => job::continue_command(socket, command),
            (signo, _) if caught.for_group => sys::signal::send_group(command, signo),
            (signo, _) if forward::passes(signo, caught.from_kernel) => {
                sys::signal::send(command, signo)
            }
            _ => {}
        }
    }
}
