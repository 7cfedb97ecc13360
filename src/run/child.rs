//! The child after clone: wait for the parent's go, apply the plan's steps, then run init or exec.
//!
//! Runs on nsrun's own stack in a copy of the parent's memory. nsrun is single-threaded, so every
//! call is safe here, but the child still allocates nothing: all it uses was prepared by the parent.

use rustix::fd::{BorrowedFd, OwnedFd};
use rustix::process::Signal;

use crate::plan::Plan;
use crate::report::{self, special, Report};
use crate::run::init;
use crate::setup::step::Step;
use crate::setup::tree::Tree;
use crate::status;
use crate::sys::{self, signal::SigSet, stack::Stack};

/// What the parent hands to the child.
pub struct Context<'a> {
    /// The prepared container.
    pub plan: &'a Plan,
    /// The write end of the close-on-exec error pipe.
    pub report: BorrowedFd<'a>,
    /// The read end of the go pipe: one byte means go, end of file means the parent died.
    pub go: BorrowedFd<'a>,
    /// Whether to wait for the go byte (the parent writes id maps first); otherwise the child
    /// only checks that the parent still holds the pipe's other end.
    pub wait_for_go: bool,
    /// Whether to wait for a (second) go byte before the command runs, after every setup step:
    /// the launcher records a named container meanwhile, and the command must not run if the
    /// name turns out to be taken.
    pub go_before_exec: bool,
    /// The init's end of the job socket, when the command runs on nsrun's terminal under init.
    pub job: Option<BorrowedFd<'a>>,
    /// What the init keeps open while it starts the command: 0, 1, 2, the `--keep-fd`
    /// descriptors, the error pipe and the job socket (every other one is close-on-exec by then).
    pub init_keep: &'a [i32],
    /// The signal mask nsrun started with, restored for the command.
    pub mask: SigSet,
    /// The stack on which init starts the command.
    pub spawn_stack: Option<&'a Stack>,
    /// The child's end of the sync socket (joined namespaces, `--keep`).
    pub sync: Option<BorrowedFd<'a>>,
    /// The stack of the container's first process when it is a second child
    /// ([`Step::Sync`] with `fork`).
    pub fork_stack: Option<&'a Stack>,
    /// OCI `create`: once set up, the process waits on a fifo until `start` ([`hold`]).
    pub hold: Option<Hold<'a>>,
}

/// What the child of OCI `create` needs to wait for `start` ([`hold`]).
pub struct Hold<'a> {
    /// The child's end of the launcher's hold socket; the fifo comes on it with the ack (the
    /// child, maybe no longer root by then, could not open it in the state directory).
    pub socket: BorrowedFd<'a>,
}

/// The child's entry point.
pub fn main(cx: &Context) -> ! {
    // Die with the launcher, even if it is SIGKILLed. The go pipe, looked at after this, proves
    // the launcher was still alive once the death signal was armed, so no death goes unnoticed
    // (the launcher's ends of the pipes were closed in this process by clone::spawn).
    // With namespaces to join, the child joins them first and waits for its go at Step::Sync.
    if !arm_death_signal(cx, cx.wait_for_go && !cx.plan.sync) {
        sys::exit::exit_now(status::SETUP_FAILED);
    }
    setup(cx, 0)
}

/// The container's first process when the child starts it in the PID namespace it joined or
/// made: the launcher's child too (CLONE_PARENT), it goes on after the [`Step::Sync`].
fn resume(cx: &Context) -> ! {
    if !arm_death_signal(cx, cx.wait_for_go) {
        sys::exit::exit_now(status::SETUP_FAILED);
    }
    let at = cx
        .plan
        .steps
        .iter()
        .position(|s| matches!(s, Step::Sync { .. }));
    setup(cx, at.map_or(0, |i| i + 1))
}

/// The end of the joins: with `fork`, starts [`resume`] as the launcher's child and sends the
/// launcher its pid, then ends; else sends 0 and waits for the go.
fn sync(cx: &Context, at: usize, fork: bool) {
    let Some(socket) = cx.sync else {
        sys::exit::exit_now(status::SETUP_FAILED);
    };
    let mut pid = 0;
    if fork {
        let Some(stack) = cx.fork_stack else {
            sys::exit::exit_now(status::SETUP_FAILED);
        };
        let flags = libc::CLONE_PARENT | libc::SIGCHLD;
        match sys::clone::spawn(stack, flags, resume, cx, &[]) {
            Ok(p) => pid = p,
            Err(errno) => {
                Report::new(at as u32, errno).send(cx.report);
                sys::exit::exit_now(status::SETUP_FAILED);
            }
        }
    }
    sys::fd::write_all(socket, &pid.to_ne_bytes());
    if fork {
        sys::exit::exit_now(0);
    }
    if !arm_death_signal(cx, cx.wait_for_go) {
        sys::exit::exit_now(status::SETUP_FAILED);
    }
}

/// `--keep`: tells the launcher every namespace exists, and waits until it has bound them.
fn keep_point(cx: &Context) -> bool {
    let Some(socket) = cx.sync else {
        return false;
    };
    sys::fd::write_all(socket, b"K");
    sys::fd::read(socket, &mut [0u8; 1]) == Ok(1)
}

/// OCI hooks at [`Step::HookPoint`] (step `at`): tells the launcher (`H`), which runs the
/// `prestart` and `createRuntime` hooks and fills the state file; its answer (`h`) lets the
/// child run the `createContainer` hooks, one after the other. The launcher's end of file (a
/// hook failed; it ends this process) or a failed hook ends the child with its report.
fn hook_point(cx: &Context, at: usize) {
    let (Some(h), Some(hooks)) = (&cx.hold, &cx.plan.hooks) else {
        sys::exit::exit_now(status::SETUP_FAILED);
    };
    sys::fd::write_all(h.socket, b"H");
    let mut b = [0u8; 1];
    if !matches!(sys::fd::read(h.socket, &mut b), Ok(1)) || b[0] != b'h' {
        sys::exit::exit_now(status::SETUP_FAILED);
    }
    use rustix::fd::AsFd;
    for (i, hook) in hooks.create.iter().enumerate() {
        let outcome = crate::oci::hooks::run_prepared(hook, hooks.create_state.as_fd());
        if outcome != crate::oci::hooks::Outcome::Done {
            crate::oci::hooks::report(at as u32, i, outcome).send(cx.report);
            sys::exit::exit_now(status::SETUP_FAILED);
        }
    }
}

/// Applies the setup steps from `from` on, then becomes init or the command.
fn setup(cx: &Context, from: usize) -> ! {
    let mut tree = Tree::new(&cx.plan.slots);
    let setup = cx.plan.steps.get(..cx.plan.exec_from).unwrap_or_default();
    for (i, step) in setup.iter().enumerate().skip(from) {
        match step {
            Step::Sync { fork } => {
                sync(cx, i, *fork);
                continue;
            }
            Step::KeepPoint if !keep_point(cx) => sys::exit::exit_now(status::SETUP_FAILED),
            Step::HookPoint => {
                hook_point(cx, i);
                continue;
            }
            _ => {}
        }
        if let Err(errno) = step.apply(&mut tree) {
            match step.warning() {
                // Not worth stopping for: said here and now, while the launcher sleeps.
                Some((what, hint)) => report::warn(what, errno, hint),
                None => {
                    Report::new(i as u32, errno).send(cx.report);
                    sys::exit::exit_now(status::SETUP_FAILED);
                }
            }
        }
        // The kernel clears the death signal when the credentials change: arm it again.
        let joined_user = matches!(step, Step::Join { kind, .. } if *kind == crate::ns::Kind::User);
        if (joined_user || matches!(step, Step::BecomeRoot { .. } | Step::SetIds { .. }))
            && !arm_death_signal(cx, false)
        {
            sys::exit::exit_now(status::SETUP_FAILED);
        }
    }
    // The tree's descriptors are close-on-exec, but the init executes nothing: close them now.
    drop(tree);
    // The set-up overlapped the launcher's own work (a named run's entry); the command waits for it.
    if cx.go_before_exec && !arm_death_signal(cx, true) {
        sys::exit::exit_now(status::SETUP_FAILED);
    }
    // OCI `create`: the fifo `start` released it by stays open until execve(2) closes it (it is
    // close-on-exec): `start` waits for that, so it returns with the command running.
    let released = cx.hold.as_ref().map(|h| hold(cx, h));
    if cx.plan.init {
        drop(released);
        init::run(cx)
    }
    exec_with(cx, false, released.as_ref().map(rustix::fd::AsFd::as_fd))
}

/// OCI `create`, after every setup step: checks the command can be executed (a failure is
/// reported now, as runc does, not at `start`), tells the launcher it is ready (`R`), waits for
/// its ack (the entry and pid file are written), opens the fifo, clears the parent-death signal
/// (the launcher exits next and the process must outlive it), says so (`C`), waits for the
/// launcher's last byte (its end of file means it died before the create was complete: the
/// process ends), then blocks reading the fifo until `start` writes a byte to it. Returns the
/// fifo, for the caller to keep open until execve.
fn hold(cx: &Context, h: &Hold) -> OwnedFd {
    if let Err(failure) = cx.plan.exec.check() {
        Report::new(special::EXEC, failure).send(cx.report);
        sys::exit::exit_now(status::SETUP_FAILED);
    }
    let byte = |fd: BorrowedFd| {
        let mut b = [0u8; 1];
        loop {
            match sys::fd::read(fd, &mut b) {
                Ok(1) => return true,
                Err(rustix::io::Errno::INTR) => continue,
                _ => return false,
            }
        }
    };
    sys::fd::write_all(h.socket, b"R");
    // The ack brings the fifo, opened O_RDWR by the launcher: the read below waits for a byte,
    // not for a writer.
    let Ok((b'A', Some(fifo))) = sys::passfd::recv_byte(h.socket) else {
        sys::exit::exit_now(status::SETUP_FAILED);
    };
    // From here until execve (which makes the program dumpable again) no process with this
    // one's credentials may open its /proc/PID/fd, mem or cwd: it holds the runtime's
    // descriptors (the state directory on the host, the fifo), and an `nsrun exec`'d process
    // or a startContainer hook shares its uid and capabilities. The launcher has read what it
    // needs of /proc/PID by the ack.
    // A rootless runtime's process stays dumpable: its owner's own `nsrun exec` must open its
    // /proc/PID/ns (with the owner's credentials, nothing the container could not reach as the
    // owner already), and the runtime's descriptors are the owner's own.
    if !cx.plan.unprivileged
        && rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
            .is_err()
    {
        sys::exit::exit_now(status::SETUP_FAILED);
    }
    // Its name until execve gives it the program's: `start` tells by it whether execve itself
    // killed the process.
    let _ = rustix::thread::set_name(crate::state::RELEASED_COMM);
    if rustix::process::set_parent_process_death_signal(None).is_err() {
        sys::exit::exit_now(status::SETUP_FAILED);
    }
    sys::fd::write_all(h.socket, b"C");
    if !byte(h.socket) || !byte(rustix::fd::AsFd::as_fd(&fifo)) {
        sys::exit::exit_now(status::SETUP_FAILED);
    }
    // `start` was called: the startContainer hooks run once the process is confined
    // ([`exec_with`]). The fifo stays open, close-on-exec, until the program is executed (the caller keeps it;
    // under init, until the init starts it): `start` waits for that.
    fifo
}

/// Sets SIGKILL as the parent-death signal, then checks the launcher is alive: by reading its go
/// byte (`wait`), or by finding the go pipe still held open at its end.
fn arm_death_signal(cx: &Context, wait: bool) -> bool {
    if rustix::process::set_parent_process_death_signal(Some(Signal::KILL)).is_err() {
        return false;
    }
    match wait {
        true => sys::fd::read(cx.go, &mut [0u8; 1]) == Ok(1),
        false => !sys::fd::hung_up(cx.go),
    }
}

/// Restores nsrun's original signal mask and executes the command; on failure reports and exits
/// with 126 or 127.
pub fn exec(cx: &Context) -> ! {
    exec_with(cx, false, None)
}

/// [`exec`] for the command the init starts, which has inherited the resource limits and the
/// capability sets the init took on for it (see [`crate::run::init`]).
pub fn exec_from_init(cx: &Context) -> ! {
    exec_with(cx, true, None)
}

/// [`exec`]; `fifo`: OCI, the fifo `start` released the process by, on which a failure from
/// here on is said to `start` too ([`tell_start`]).
fn exec_with(cx: &Context, inherited: bool, fifo: Option<BorrowedFd>) -> ! {
    if cx.plan.terminal {
        sys::tty::take_foreground();
    }
    // nsrun's signal mask goes first: after the seccomp filter the command may call nothing
    // but what its filters allow, and execve.
    sys::signal::set_mask(&cx.mask);
    // The locks that belong to the command alone, last: the init holds none of them.
    let locks = cx.plan.steps.get(cx.plan.exec_from..).unwrap_or_default();
    for (i, step) in locks.iter().enumerate() {
        if inherited && step.inherited_from_init() {
            continue;
        }
        if let Err(errno) = step.apply_last() {
            if let Some(fifo) = fifo {
                let mut line = crate::out::Line::default();
                line.push(b"nsrun: ");
                line.push(step.last_name().as_bytes());
                line.push(b": ");
                line.push(sys::errno::text(errno.raw_os_error()).as_bytes());
                line.push(b"\n");
                tell_start(fifo, &line);
            }
            Report::new((cx.plan.exec_from + i) as u32, errno).send(cx.report);
            sys::exit::exit_now(status::SETUP_FAILED);
        }
    }
    // OCI `start` was called: the startContainer hooks, with the process's own ids,
    // capabilities, no_new_privs and seccomp filter (as runc runs them), never more. Nobody
    // waits for a report now; a failure is said on the container's standard error and ends it.
    if let (Some(_), Some(hooks)) = (&cx.hold, &cx.plan.hooks) {
        for (i, hook) in hooks.start.iter().enumerate() {
            let state = rustix::fd::AsFd::as_fd(&hooks.start_state);
            let outcome = crate::oci::hooks::run_prepared(hook, state);
            if outcome != crate::oci::hooks::Outcome::Done {
                let line = crate::oci::hooks::said("startContainer", i, hook, outcome);
                sys::fd::write_all(sys::fd::stderr(), line.bytes());
                if let Some(fifo) = fifo {
                    tell_start(fifo, &line);
                }
                sys::exit::exit_now(status::SETUP_FAILED);
            }
        }
    }
    // OCI: tell `start` the process got as far as execve (what follows, if anything, is its
    // failure).
    if let Some(fifo) = fifo {
        sys::fd::write_all(fifo, crate::state::EXEC_MARK);
    }
    let failure = cx.plan.exec.run();
    if let Some(fifo) = fifo {
        let mut line = crate::out::Line::default();
        line.push(b"nsrun: execute ");
        let name = cx.plan.exec.candidate(failure.candidate as usize);
        line.push(name.unwrap_or(&cx.plan.exec.name));
        line.push(b": ");
        line.push(sys::errno::text(failure.errno.raw_os_error()).as_bytes());
        line.push(b"\n");
        tell_start(fifo, &line);
    }
    let report = Report::new(special::EXEC, failure);
    report.send(cx.report);
    sys::exit::exit_now(report.code as i32)
}

/// OCI: says why the process ends before its program runs to the `start` that released it:
/// the line goes into the fifo (this process holds it open for reading and writing, so the
/// write neither blocks nor fails; one write(2) under PIPE_BUF, whole), where `start` reads it
/// once this process has closed it (see [`crate::state::Store::release_fifo`]).
fn tell_start(fifo: BorrowedFd, line: &crate::out::Line) {
    sys::fd::write_all(fifo, line.bytes());
}
