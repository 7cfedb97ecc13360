//! PID 1 of the new PID namespace: start the command as PID 2, pass signals on, reap every process
//! that ends, and exit with the command's status (the model is tini).
//!
//! The init never executes anything, so close-on-exec never closes what it inherited: it closes
//! every descriptor itself once the command has its copies, and it is not dumpable, so the
//! command cannot open what it still holds through /proc/1/fd (nor read its memory).

use rustix::fd::AsRawFd;
use rustix::process::{DumpableBehavior, WaitOptions};

use crate::report::{special, Report};
use crate::run::child::{self, Context};
use crate::run::forward;
use crate::run::job;
use crate::status;
use crate::sys::{self, clone};

/// Runs the init loop; never returns.
pub fn run(cx: &Context) -> ! {
    // As runc's init: /proc/1/fd, /proc/1/mem, /proc/1/environ... are then open only to a
    // process with CAP_SYS_PTRACE in nsrun's own user namespace (where the launcher wrote the id
    // maps, through /proc/CHILD, before the setup steps ran). The command's exec makes it
    // dumpable again. PR_SET_DUMPABLE fails only for values other than 0, 1 and 2.
    let _ = rustix::process::set_dumpable_behavior(DumpableBehavior::NotDumpable);
    let stack = cx
        .spawn_stack
        .expect("the launcher allocates a spawn stack in init mode");
    // CLONE_VM|CLONE_VFORK, as posix_spawn does: no copy of the address space, and this process
    // resumes only once the command has been executed (or failed to be).
    let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD;
    // Once executed, the command runs at once, before the init closes its copies below: so first
    // close what the command's exec will close anyway (every close-on-exec descriptor; the setup
    // marked all but 0, 1, 2 and the --keep-fd ones), leaving only what the command holds too,
    // the error pipe and the job socket.
    sys::fd::close_all_but(cx.init_keep);
    // The command inherits what the init holds: so the init first takes on the resource limits
    // (raising one needs privilege the capabilities may drop) but nproc (which would count the
    // init and could keep it from starting the command: the command sets it itself) and the
    // capability sets of the command, and never holds more than the command while both run; the
    // command inherits them ([`child::exec_from_init`]).
    let plan = cx.plan;
    for (i, step) in plan.steps.iter().enumerate().skip(plan.exec_from) {
        if step.inherited_from_init() {
            if let Err(errno) = step.apply_last() {
                Report::new(i as u32, errno).send(cx.report);
                sys::exit::exit_now(status::SETUP_FAILED);
            }
        }
    }
    let command = match clone::spawn(stack, flags, child::exec_from_init, cx, &[]) {
        Ok(pid) => pid,
        Err(errno) => {
            Report::new(special::SPAWN, errno).send(cx.report);
            sys::exit::exit_now(status::SETUP_FAILED);
        }
    };
    // The command has its own copies of everything it was meant to get (its exec has closed the
    // rest), so the init keeps only the job socket and, for the job socket's answers, the
    // terminal on 0 (the command's own standard input). The command holds the only other copy
    // of the error pipe, closed by its exec: from now on the launcher sees end of file once the
    // command runs.
    match cx.job {
        Some(socket) => sys::fd::close_all_but(&[0, socket.as_raw_fd()]),
        None => sys::fd::close_all_but(&[]),
    }
    // The init needs no capability but CAP_KILL (for a command that changed its uid), and holds
    // no more than the command.
    crate::confine::caps::reduce_init(cx.plan.init_keep);

    // On nsrun's terminal, the command's stops go to the launcher, which answers with SIGCONT.
    let waited = forward::waited(if cx.job.is_some() {
        &[libc::SIGCONT]
    } else {
        &[]
    });
    sys::signal::block(&waited);
    let options = match cx.job {
        Some(_) => WaitOptions::NOHANG | WaitOptions::UNTRACED,
        None => WaitOptions::NOHANG,
    };
    loop {
        while let Ok(Some((pid, st))) = rustix::process::wait(options) {
            match (pid.as_raw_pid() == command, st.stopped(), cx.job) {
                (true, true, Some(socket)) => sys::fd::send_quietly(socket, &[job::STOPPED]),
                // Leaving ends the namespace: the kernel kills whatever is left in it.
                (true, false, _) => sys::exit::exit_now(status::from_wait(st.as_raw())),
                _ => {}
            }
        }
        let Ok(caught) = sys::signal::wait(&waited) else {
            continue;
        };
        match (caught.signo, cx.job) {
            (libc::SIGCONT, Some(socket)) => job::continue_command(socket, command),
            // On nsrun's terminal the command leads a process group of its own, so a terminal's
            // signal that reaches the init (which stays in nsrun's group: the terminal's
            // foreground after `bg` then `fg`) missed the command: pass it to the whole group.
            // The launcher, in the same group, queues the init the same signal, marked: that
            // copy is redundant (and, a standard signal being pending at most once, is merged
            // with this one when it arrives first, so it cannot stand in for it).
            (signo, Some(_)) if caught.from_kernel && signo != libc::SIGCHLD => {
                sys::signal::send_group(command, signo)
            }
            (_, Some(_)) if caught.for_group => {}
            (signo, _) if caught.for_group => sys::signal::send_group(command, signo),
            (signo, _) if forward::passes(signo, caught.from_kernel) => {
                sys::signal::send(command, signo)
            }
            _ => {}
        }
    }
}
