//! The launcher, on the host: prepare, clone, release the child, wait for it while passing
//! signals on, then report how its setup went.

use rustix::io::Errno;
use rustix::pipe::PipeFlags;
use rustix::process::{Pid, WaitOptions};

use crate::child::{self, Context};
use crate::forward;
use crate::out;
use crate::plan::{self, Caller, Plan};
use crate::report::{self, Report};
use crate::spec::Spec;
use crate::status;
use crate::sys::{self, clone, signal, stack::Stack};

/// The child's stack. The child calls no recursive code and formats nothing (messages are made by
/// the parent); its deepest path resolves a path under the new root with three PATH_MAX buffers
/// (12 KiB) below a mount call. 128 KiB leaves a wide margin, unoptimised builds included, and
/// costs only the pages actually touched.
const CHILD_STACK: usize = 128 * 1024;
/// The stack on which init starts the command: it only restores the mask and calls execve.
const SPAWN_STACK: usize = 32 * 1024;

/// Runs the container described by `spec` and exits with nsrun's status.
///
/// It leaves with everything still allocated and mapped (the plan, the stacks, the pipes): the
/// kernel takes the whole address space back at once, which costs less than freeing and unmapping
/// piece by piece on the way out.
pub fn run(spec: &Spec, environ: &[&[u8]]) -> ! {
    let caller = Caller {
        uid: rustix::process::geteuid().as_raw(),
        gid: rustix::process::getegid().as_raw(),
    };
    let plan = match plan::prepare(spec, environ, caller) {
        Ok(plan) => plan,
        Err(refusal) => {
            out::error_line(format_args!("{}", refusal.line));
            sys::exit::exit_now(refusal.code);
        }
    };
    let started = match start(&plan) {
        Ok(started) => started,
        Err(line) => {
            out::error_line(format_args!("{line}"));
            sys::exit::exit_now(status::SETUP_FAILED);
        }
    };
    sys::exit::exit_now(finish(&plan, spec, &started))
}

/// A running child and the parent's ends of its pipes.
struct Started {
    pid: i32,
    reports: rustix::fd::OwnedFd,
    /// Held open while the launcher lives: the child checks that it is.
    _go: rustix::fd::OwnedFd,
    /// The stacks, kept mapped until the launcher exits.
    _stacks: (Stack, Option<Stack>),
}

/// Clones the child and releases it; returns its pid and the error pipe's read end.
fn start(plan: &Plan) -> Result<Started, alloc::string::String> {
    let fail = |what: &str, e: Errno| report::line(what, e, None);
    let (report_r, report_w) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC | PipeFlags::NONBLOCK)
        .map_err(|e| fail("create pipe", e))?;
    let (go_r, go_w) =
        rustix::pipe::pipe_with(PipeFlags::CLOEXEC).map_err(|e| fail("create pipe", e))?;
    let stack = Stack::new(CHILD_STACK).map_err(|e| fail("map the child's stack", e))?;
    let spawn_stack = match plan.init {
        true => Some(Stack::new(SPAWN_STACK).map_err(|e| fail("map the init's stack", e))?),
        false => None,
    };
    use rustix::fd::AsRawFd;
    let mask = signal::block(&forward::waited());
    let cx = Context {
        plan,
        report_fd: report_w.as_raw_fd(),
        go_fd: go_r.as_raw_fd(),
        wait_for_go: plan.maps.is_some(),
        parent_fds: [report_r.as_raw_fd(), go_w.as_raw_fd()],
        mask,
        spawn_stack: spawn_stack.as_ref(),
    };
    let pid = match clone::spawn(&stack, plan.clone_flags | libc::SIGCHLD, child::main, &cx) {
        Ok(pid) => pid,
        Err(e) => {
            signal::set_mask(&mask);
            let kinds = crate::ns::describe(plan.clone_flags);
            let hint = report::clone_hint(e, plan.unprivileged, plan.maps.is_some());
            return Err(report::line(&alloc::format!("clone ({kinds})"), e, hint));
        }
    };
    drop(report_w);
    drop(go_r);
    if let Some(maps) = &plan.maps {
        if let Err(line) = crate::userns::write_maps(pid, maps) {
            // The child is still waiting for its go byte: end it before it does anything.
            signal::send(pid, libc::SIGKILL);
            let _ = rustix::process::waitpid(Pid::from_raw(pid), WaitOptions::empty());
            signal::set_mask(&mask);
            return Err(line);
        }
    }
    // With id maps to write, the child waits for this byte before it does anything.
    if plan.maps.is_some() {
        sys::fd::write_all(go_w.as_raw_fd(), b"g");
    }
    Ok(Started {
        pid,
        reports: report_r,
        _go: go_w,
        _stacks: (stack, spawn_stack),
    })
}

/// Waits for the child to end, then reads the error pipe: a report there is the failure to print
/// and its status; a closed, empty pipe means the command ran, and the child's status is nsrun's.
/// (Reading only at the end spares the launcher a wake-up at exec.)
fn finish(plan: &Plan, spec: &Spec, started: &Started) -> i32 {
    use rustix::fd::AsRawFd;
    let code = supervise(started.pid);
    if plan.terminal {
        // The command had the terminal; give it back to nsrun's group, where the caller expects it.
        sys::tty::give_foreground(rustix::process::getpgrp());
    }
    let mut buf = [0u8; report::SIZE];
    if read_exact(started.reports.as_raw_fd(), &mut buf) {
        let r = Report::decode(&buf);
        out::error_line(format_args!("{}", report::describe(&r, plan, spec)));
        return r.code as i32;
    }
    code
}

/// Reads exactly `buf.len()` bytes; false at end of file, or when nothing is there (the pipe's
/// read end does not block: a writer it did not expect cannot hang the launcher).
fn read_exact(fd: i32, buf: &mut [u8]) -> bool {
    let mut got = 0;
    while got < buf.len() {
        match sys::fd::read(fd, &mut buf[got..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => got += n,
        }
    }
    true
}

/// Waits for the child to end, passing on the forwarded signals; returns its exit status.
fn supervise(pid: i32) -> i32 {
    let waited = forward::waited();
    let child = Pid::from_raw(pid);
    loop {
        match rustix::process::waitpid(child, WaitOptions::NOHANG) {
            Ok(Some((_, st))) => return status::from_wait(st.as_raw()),
            Ok(None) => {}
            Err(_) => return status::SETUP_FAILED,
        }
        if let Ok(caught) = signal::wait(&waited) {
            if forward::passes(caught.signo, caught.from_kernel) {
                signal::send(pid, caught.signo);
            }
        }
    }
}
