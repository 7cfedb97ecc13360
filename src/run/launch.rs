//! The launcher, on the host: prepare, clone, release the child, wait for it while passing
//! signals on, then report how its setup went.

use rustix::io::Errno;
use rustix::pipe::PipeFlags;
use rustix::process::{Pid, WaitOptions};

use crate::out;
use crate::plan::{self, Caller, Plan};
use crate::report::{self, Report};
use crate::run::child::{self, Context};
use crate::run::forward;
use crate::run::info::{self, Info};
use crate::run::job;
use crate::spec::Spec;
use crate::state::launch::Record;
use crate::status;
use crate::sys::{self, clone, signal, stack::Stack};

/// The child's stack. The child calls no recursive code and formats nothing (messages are made by
/// the parent); its deepest path resolves a path under the new root with three PATH_MAX buffers
/// (12 KiB) below a mount call. 128 KiB leaves a wide margin, unoptimised builds included, and
/// costs only the pages actually touched. [`Stack::new`] rounds it up to whole pages of the
/// kernel's real page size, above a guard page of that size (64 KiB on some arm64 kernels).
const CHILD_STACK: usize = 128 * 1024;
/// The stack on which init starts the command: it only restores the mask and calls execve
/// (rounded up to whole pages as well: one 64 KiB page where pages are that large).
const SPAWN_STACK: usize = 32 * 1024;

/// Runs the container described by `spec` and exits with nsrun's status.
///
/// It leaves with everything still allocated and mapped (the plan, the stacks, the pipes): the
/// kernel takes the whole address space back at once, which costs less than freeing and unmapping
/// piece by piece on the way out.
pub fn run(spec: &Spec, environ: &[&[u8]]) -> ! {
    // Before anything is opened: a descriptor number the caller names must be one of its own.
    if let Err(refusal) = plan::check_fds(spec) {
        out::error_str(&refusal.line);
        failed(spec, refusal.code);
    }
    // `--name`, `--detach`: None (and nothing of the state code run) without them.
    let mut record = crate::state::launch::begin(spec, environ);
    let caller = Caller {
        uid: rustix::process::geteuid().as_raw(),
        gid: rustix::process::getegid().as_raw(),
    };
    // OCI: a `cgroup` mount shows the container's own cgroup, which is made first.
    let early = match crate::run::cgroup_view::wanted(spec)
        && spec.locks.cgroup != crate::confine::cgroup::Request::default()
    {
        true => match make_cgroup(&spec.locks.cgroup) {
            Ok(cgroup) => Some(cgroup),
            Err(line) => {
                out::error_str(&line);
                failed(spec, status::SETUP_FAILED);
            }
        },
        false => None,
    };
    let leave = |early: Option<crate::confine::cgroup::Cgroup>, code: i32| -> ! {
        if let Some(cgroup) = early {
            let _ = cgroup.remove();
        }
        failed(spec, code)
    };
    let viewed;
    let spec = match crate::run::cgroup_view::wanted(spec) {
        true => {
            viewed = crate::run::cgroup_view::rewrite(spec, early.as_ref());
            &viewed
        }
        false => spec,
    };
    let plan = match plan::prepare(spec, environ, caller) {
        Ok(plan) => plan,
        Err(refusal) => {
            out::error_str(&refusal.line);
            leave(early, refusal.code);
        }
    };
    if let Err(line) = check_propagation(spec, &plan) {
        out::error_str(line);
        leave(early, status::USAGE);
    }
    // --keep: DIR opened and made ready before anything else changes.
    let keep = match &spec.keep {
        Some(dir) => match crate::join::keep::prepare(dir) {
            Ok(keep) => Some(keep),
            Err(line) => {
                out::error_str(&line);
                leave(early, status::SETUP_FAILED);
            }
        },
        None => None,
    };
    let cgroup = match (early, &plan.cgroup) {
        (Some(cgroup), _) => Some(cgroup),
        (None, Some(request)) => match make_cgroup(request) {
            Ok(cgroup) => Some(cgroup),
            Err(line) => {
                out::error_str(&line);
                if let Some(keep) = keep {
                    keep.undo();
                }
                failed(spec, status::SETUP_FAILED);
            }
        },
        (None, None) => None,
    };
    let mut started = match start(&plan, cgroup.as_ref(), record.as_mut(), keep.as_ref()) {
        Ok(started) => started,
        Err(line) => {
            out::error_str(&line);
            if let Some(cgroup) = cgroup {
                let _ = cgroup.remove();
            }
            if let Some(keep) = keep {
                keep.undo();
            }
            failed(spec, status::SETUP_FAILED);
        }
    };
    if let (Some(socket), Some(record)) = (started.hold.take(), record.as_mut()) {
        hold(&plan, spec, &started, socket, record, cgroup)
    }
    let code = finish(&plan, spec, &mut started, record.as_mut(), keep);
    if let Some(record) = &mut record {
        record.ended(code);
    }
    if let Some(cgroup) = cgroup.filter(|_| !spec.locks.cgroup.keep) {
        end_cgroup(cgroup, &spec.locks.cgroup);
    }
    sys::exit::exit_now(code)
}

/// Leaves a run that failed before its command ran with `code`; OCI `create` exits 1, as its
/// callers expect of any failure.
fn failed(spec: &Spec, code: i32) -> ! {
    match spec.life.hold {
        Some(_) => sys::exit::exit_now(1),
        None => sys::exit::exit_now(code),
    }
}

/// Removes the leftovers of killed runs, then makes this run's cgroup with its limits.
#[inline(never)]
fn make_cgroup(
    request: &crate::confine::cgroup::Request,
) -> Result<crate::confine::cgroup::Cgroup, alloc::string::String> {
    // The gc is best effort: a leftover that cannot be removed now is removed by a later run, or
    // by hand.
    crate::confine::cgroup::gc_and_create(request).map_err(|e| e.line())
}

/// The container has ended: says so if the OOM killer ended it, then removes its cgroup
/// (killing whatever is left in it).
#[inline(never)]
fn end_cgroup(cgroup: crate::confine::cgroup::Cgroup, request: &crate::confine::cgroup::Request) {
    let kills = cgroup.oom_kills();
    if kills > 0 {
        let limit = request
            .memory
            .map(crate::confine::cgroup::show_bytes)
            .unwrap_or_default();
        out::error_line(format_args!(
            "the container ran out of memory: the kernel's OOM killer ended {kills} process{} in its cgroup (--memory {limit})",
            if kills == 1 { "" } else { "es" }
        ));
    }
    if let Err(e) = cgroup.remove() {
        out::error_line(format_args!("warning: {}", e.line()));
    }
}

/// `--propagation unchanged` on a shared `/`, in a new mount namespace without a new user
/// namespace (which would turn the shared mounts into slaves): the new namespace's mounts are
/// peers of the host's, so what the container mounts (its /proc too) appears on the host. Warns;
/// with `--root`, refuses, since pivot_root then fails after the tree was already bound. Runs
/// after [`plan::prepare`], which only looks (and tells whether there is a user namespace), and
/// before anything is mounted.
#[inline(never)]
fn check_propagation(spec: &Spec, plan: &Plan) -> Result<(), &'static str> {
    use crate::spec::Propagation;
    let new_mounts = plan.made.has(crate::ns::Kind::Mount);
    let new_user = plan.made.has(crate::ns::Kind::User);
    // Shared with a new root (OCI's rshared; the command line refuses it): the tree is entered
    // through a private bind, and only what binds of the host's shared mounts carry is shared
    // with the host, as asked.
    let shared_root = spec.propagation == Propagation::Shared && spec.root.is_some();
    if !matches!(
        spec.propagation,
        Propagation::Unchanged | Propagation::Shared
    ) || !new_mounts
        || new_user
        || shared_root
    {
        return Ok(());
    }
    // What the container mounts on or below a shared mount (its /proc over a shared /proc, the
    // tree of --root with a shared mount inside) goes to that mount's peers on the host, and
    // pivot_root refuses a new root under a shared parent.
    // Without a readable mountinfo (no /proc) nobody can tell: assume shared, as a systemd host.
    let what = match crate::plan::host::sharing() {
        Some(s) if !s.any => return Ok(()),
        Some(s) if s.root => "/",
        Some(_) => "mount",
        None => "/ (no /proc to tell)",
    };
    if spec.propagation == Propagation::Shared {
        out::error_line(format_args!(
            "warning: --propagation shared on a shared {what}: the container's mounts, its /proc \
             too, appear on the host and stay there (hint: --propagation slave receives the \
             host's mounts and sends none back)"
        ));
        return Ok(());
    }
    if spec.root.is_some() {
        return Err(
            "--propagation unchanged cannot be used with --root here: mounts of this namespace \
            are shared (or, with no /proc, cannot be seen), pivot_root refuses a new root under a \
            shared parent, and the tree's mounts would appear on the host (hint: use \
            --propagation private or slave)",
        );
    }
    out::error_line(format_args!(
        "warning: --propagation unchanged on a shared {what}: the container's mounts, its /proc \
         too, appear on the host (hint: --propagation slave receives the host's mounts and sends \
         none back)"
    ));
    Ok(())
}

/// A running child and the parent's ends of its pipes.
struct Started {
    pid: i32,
    reports: rustix::fd::OwnedFd,
    /// Held open while the launcher lives: the child checks that it is.
    _go: rustix::fd::OwnedFd,
    /// The stacks, kept mapped until the launcher exits.
    _stacks: (Stack, Option<Stack>),
    /// The launcher's end of the job socket (command on the terminal under init).
    job: Option<rustix::fd::OwnedFd>,
    /// What `--info-fd` and `--json-status-fd` get once the command runs.
    info: Option<Info>,
    /// Whether the launcher watches the error pipe hang up (status descriptors, a record).
    watch: bool,
    /// OCI `create`: the launcher's end of the hold socket ([`hold`]).
    hold: Option<rustix::fd::OwnedFd>,
    /// The container's PID 1's start time, when the clock told it ([`born`]).
    born: Option<u64>,
    /// OCI `create`: a pidfd of the container's PID 1, for its entry ([`Record::ready`]).
    pidfd: Option<rustix::fd::OwnedFd>,
}

/// The start time (/proc/PID/stat's field 22) of the process a clone made, from the boot
/// clock read just `before` and `after` it: the kernel takes the process's start from that
/// clock during the call, so when both reads fall in the same clock tick that tick is its start
/// time, exactly; None when they do not (a clone across a tick, a few per cent of them), and
/// the caller reads /proc/PID/stat instead.
fn born(before: Option<u64>, after: Option<u64>) -> Option<u64> {
    before.filter(|_| before == after)
}

/// Clones the child and releases it; returns its pid and the error pipe's read end.
#[inline(never)]
fn start(
    plan: &Plan,
    cgroup: Option<&crate::confine::cgroup::Cgroup>,
    mut record: Option<&mut Record>,
    keep: Option<&crate::join::keep::Keep>,
) -> Result<Started, alloc::string::String> {
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
    use rustix::fd::{AsFd, AsRawFd};
    // Joined namespaces and --keep: the child tells the launcher where it is on this socket.
    let sync = match plan.sync || plan.keep {
        true => Some(sync_socket().map_err(|e| fail("create the sync socket", e))?),
        false => None,
    };
    let fork_stack = match plan.fork {
        true => Some(Stack::new(CHILD_STACK).map_err(|e| fail("map the child's stack", e))?),
        false => None,
    };
    // On nsrun's terminal under init, the init reports the command's stops over this socket.
    let job = match plan.terminal && plan.init {
        true => Some(job_socket().map_err(|e| fail("create the job socket", e))?),
        false => None,
    };
    // With status descriptors (or a record), the error pipe raises SIGIO when the command runs
    // (it hangs up).
    let watch = status_fds(plan) || record.as_ref().is_some_and(|r| r.watches(plan));
    let hold = holds(plan);
    // OCI create: the child says when it is ready on this socket, then waits for `start`.
    let holding = record.as_ref().is_some_and(|r| r.holds());
    let hold_socket = match holding {
        true => Some(sync_socket().map_err(|e| fail("create the hold socket", e))?),
        false => None,
    };
    // A named run's entry is written while the child sets up: the command waits for it.
    let go_before_exec = !holding && record.as_ref().is_some_and(|r| r.named());
    if watch {
        sys::fd::signal_on_input(report_r.as_fd()).map_err(|e| fail("watch the pipe", e))?;
    }
    let mask = signal::block(&forward::waited(job_signals(plan, job.is_some() || watch)));
    // The init's keep list, made here: the child allocates nothing.
    let mut init_keep = alloc::vec![0, 1, 2, report_w.as_raw_fd()];
    init_keep.extend(job.as_ref().map(|(_, init)| init.as_raw_fd()));
    init_keep.extend_from_slice(&plan.keep_fds);
    let cx = Context {
        plan,
        init_keep: &init_keep,
        report: report_w.as_fd(),
        go: go_r.as_fd(),
        wait_for_go: hold,
        go_before_exec,
        job: job.as_ref().map(|(_, init)| init.as_fd()),
        mask,
        spawn_stack: spawn_stack.as_ref(),
        sync: sync.as_ref().map(|(_, child)| child.as_fd()),
        fork_stack: fork_stack.as_ref(),
        hold: match (&hold_socket, record.as_ref().is_some_and(|r| r.holds())) {
            (Some((_, child)), true) => Some(child::Hold {
                socket: child.as_fd(),
            }),
            _ => None,
        },
    };
    // The launcher's own ends, which the child must not hold (it watches the go pipe hang up).
    let mut parent_ends = [
        report_r.as_fd(),
        go_w.as_fd(),
        go_w.as_fd(),
        go_w.as_fd(),
        go_w.as_fd(),
    ];
    let mut n = 2;
    for fd in job
        .iter()
        .map(|(o, _)| o)
        .chain(sync.iter().map(|(o, _)| o))
        .chain(hold_socket.iter().map(|(o, _)| o))
    {
        parent_ends[n] = fd.as_fd();
        n += 1;
    }
    let parent_ends = &parent_ends[..n];
    let flags = plan.clone_flags | libc::SIGCHLD;
    if let Some(record) = record.as_mut() {
        record.claim()?;
    }
    let clock = record.as_ref().is_some_and(|r| r.named());
    let before = clock.then(sys::clock::boot_ticks).flatten();
    // A named run's entry reads the child's namespaces through a pidfd the clone makes.
    let spawned = match clock {
        true => clone::spawn_with_pidfd(&stack, flags, child::main, &cx, parent_ends),
        false => clone::spawn(&stack, flags, child::main, &cx, parent_ends).map(|pid| (pid, None)),
    };
    let mut born = born(before, clock.then(sys::clock::boot_ticks).flatten());
    let (mut pid, mut pidfd) = match spawned {
        Ok(spawned) => spawned,
        Err(e) => {
            signal::set_mask(&mask);
            let kinds = crate::ns::describe(plan.clone_flags);
            let hint = report::clone_hint(e, plan.unprivileged, plan.maps.is_some());
            return Err(report::line(&alloc::format!("clone ({kinds})"), e, hint));
        }
    };
    drop(report_w);
    drop(go_r);
    // The child's end too: its end of file says the child (or the first process) failed.
    let sync = sync.map(|(ours, _child)| ours);
    let hold_socket = hold_socket.map(|(ours, _child)| ours);
    // The child has its own copies of every descriptor. The launcher keeps only 0, 1, 2 and the
    // descriptors it owns here (its ends of the pipes, the job socket's two ends, the init's
    // closed below), so a command that sees it in /proc (--share-pid, or a PID namespace with
    // the host's /proc) cannot open what nsrun inherited through it.
    let keep_dir = keep;
    let mut keep = alloc::vec![0, 1, 2, report_r.as_raw_fd(), go_w.as_raw_fd()];
    if let Some((ours, init)) = &job {
        keep.extend([ours.as_raw_fd(), init.as_raw_fd()]);
    }
    keep.extend(plan.info_fd.iter().chain(&plan.status_fd));
    keep.extend(record.iter().flat_map(|r| r.fds()));
    keep.extend(sync.as_ref().map(|ours| ours.as_raw_fd()));
    keep.extend(pidfd.as_ref().map(|fd| fd.as_raw_fd()));
    // OCI `--log FILE`: where the launcher's error lines go.
    keep.extend(hold_socket.as_ref().map(|_| out::errors_fd()));
    keep.extend(hold_socket.as_ref().map(|ours| ours.as_raw_fd()));
    keep.extend(keep_dir.iter().flat_map(|k| k.fds()));
    // OCI hooks: the state files the launcher fills.
    keep.extend(plan.hooks.iter().flat_map(|h| h.fds()));
    sys::fd::close_all_but(&keep);
    // After the joins: the pid of the container's first process (0: the child itself), or
    // nothing when the child failed (its report says why).
    let mut failed = false;
    if let (true, Some(ours)) = (plan.sync, &sync) {
        match read_pid(ours.as_fd()) {
            Some(0) => {}
            Some(first) => {
                let _ = rustix::process::waitpid(Pid::from_raw(pid), WaitOptions::empty());
                pid = first;
                // Not the process the clock saw made, nor the one the pidfd refers to.
                born = None;
                pidfd = None;
            }
            None => failed = true,
        }
    }
    let info = status_fds(plan).then(|| {
        // A reader gone is no reason to die: the write fails with EPIPE instead.
        signal::block(&signal::SigSet::of(&[libc::SIGPIPE]));
        let mut info = Info::new(plan, pid);
        if plan.sync && !failed {
            info.read_after_joins(plan);
        }
        info
    });
    if failed {
        // The child has ended, or is about to, with its report: finish reads it.
        return Ok(Started {
            pid,
            reports: report_r,
            _go: go_w,
            _stacks: (stack, spawn_stack),
            job: job.map(|(ours, _)| ours),
            info,
            watch,
            hold: hold_socket,
            born,
            pidfd: None,
        });
    }
    let kill = |line: alloc::string::String| {
        // The child is still waiting for a go byte: end it before it goes on.
        signal::send(pid, libc::SIGKILL);
        let _ = rustix::process::waitpid(Pid::from_raw(pid), WaitOptions::empty());
        // The mask stays as it is: the launcher only prints the line and leaves, and where the
        // error pipe is watched the child's end has raised a SIGIO that would kill it first.
        line
    };
    before_go(plan, pid, cgroup).map_err(kill)?;
    // With something to do first, the child waits for this byte before it does anything.
    if hold {
        sys::fd::write_all(go_w.as_fd(), b"g");
    }
    // The entry is written while the child sets up (its namespaces exist since clone); the
    // command waits for the second byte, so a name found taken here never runs one.
    if let Some(record) = record.as_mut().filter(|_| !holding) {
        record
            .created(pid, plan, born, pidfd.as_ref().map(|fd| fd.as_fd()))
            .map_err(kill)?;
        // Only the entry needed it: the launcher keeps no descriptor it does not use.
        pidfd = None;
    }
    if go_before_exec {
        sys::fd::write_all(go_w.as_fd(), b"g");
    }
    if let (Some(dir), Some(ours)) = (keep_dir, &sync) {
        // At the child's keep point every namespace exists; end of file: it failed before.
        if sys::fd::read(ours.as_fd(), &mut [0u8; 1]) == Ok(1) {
            if let Err(line) = dir.bind(pid) {
                signal::send(pid, libc::SIGKILL);
                let _ = rustix::process::waitpid(Pid::from_raw(pid), WaitOptions::empty());
                // The mask stays, as above.
                return Err(line);
            }
            sys::fd::write_all(ours.as_fd(), b"k");
        }
    }
    Ok(Started {
        pid,
        reports: report_r,
        _go: go_w,
        _stacks: (stack, spawn_stack),
        job: job.map(|(ours, _)| ours),
        info,
        watch,
        hold: hold_socket,
        born,
        pidfd,
    })
}

/// OCI `create` once the child is cloned: waits until it is set up and ready (`R`), records it
/// ([`Record::ready`]: entry, fifo, pid file), acks, waits until it has cleared its parent-death
/// signal (`C`), marks the entry complete and sends the last byte, then exits 0: no nsrun
/// process stays with the container, whose process waits for `start` on the fifo. Any failure
/// on the way ends the child and leaves nothing: no entry, fifo, pid file or cgroup.
#[inline(never)]
fn hold(
    plan: &Plan,
    spec: &Spec,
    started: &Started,
    socket: rustix::fd::OwnedFd,
    record: &mut Record,
    cgroup: Option<crate::confine::cgroup::Cgroup>,
) -> ! {
    use rustix::fd::AsFd;
    let pid = started.pid;
    let fail = |record: &mut Record, line: alloc::string::String| -> ! {
        signal::send(pid, libc::SIGKILL);
        let _ = rustix::process::waitpid(Pid::from_raw(pid), WaitOptions::empty());
        record.abandon();
        if let Some(cgroup) = cgroup.clone() {
            let _ = cgroup.remove();
        }
        out::error_str(&line);
        sys::exit::exit_now(1)
    };
    let byte = || {
        let mut b = [0u8; 1];
        loop {
            match sys::fd::read(socket.as_fd(), &mut b) {
                Ok(1) => return Some(b[0]),
                Err(Errno::INTR) => continue,
                _ => return None,
            }
        }
    };
    // The child's failure, from its report (it has ended, or is about to).
    let failure = || {
        let _ = rustix::process::waitpid(Pid::from_raw(pid), WaitOptions::empty());
        let mut buf = [0u8; report::SIZE];
        match read_exact(started.reports.as_fd(), &mut buf) {
            true => report::oci_line(&Report::decode(&buf), plan, spec),
            false => alloc::string::String::from(
                "the container's process ended during its setup (hint: see its standard error)",
            ),
        }
    };
    let mut got = byte();
    // OCI hooks: the child has made the mounts and waits at its hook point.
    if got == Some(b'H') {
        if let Err(line) = runtime_hooks(plan, spec, pid, record) {
            fail(record, line)
        }
        sys::fd::write_all(socket.as_fd(), b"h");
        got = byte();
    }
    if got != Some(b'R') {
        let line = failure();
        fail(record, line)
    }
    let pidfd = started.pidfd.as_ref().map(|fd| fd.as_fd());
    if let Err(line) = record.ready(pid, plan, cgroup.as_ref(), started.born, pidfd) {
        fail(record, line)
    }
    if let Some(hooks) = plan.hooks.as_ref().filter(|h| !h.start.is_empty()) {
        let state = record.hook_state(pid, pid_inside(pid), "created");
        if let Err(line) = crate::oci::hooks::fill(hooks.start_state.as_fd(), &state) {
            fail(record, line)
        }
    }
    let sent = record.open_fifo().and_then(|fifo| {
        sys::passfd::send(socket.as_fd(), b"A", fifo.as_fd())
            .map_err(|e| report::line("send the fifo to the container's process", e, None))
    });
    if let Err(line) = sent {
        fail(record, line)
    }
    if byte() != Some(b'C') {
        let line = failure();
        fail(record, line)
    }
    if let Err(line) = record.commit() {
        fail(record, line)
    }
    sys::fd::write_all(socket.as_fd(), b"F");
    sys::exit::exit_now(0)
}

/// OCI `create`, the child at its hook point (namespaces made, mounts done, root not entered):
/// runs the `prestart` then `createRuntime` hooks here, in the runtime's namespaces, with the
/// state (`creating`, the pid as the runtime sees it), then fills the state file of the
/// `createContainer` hooks the child runs next (the pid as the container sees it).
#[inline(never)]
fn runtime_hooks(
    plan: &Plan,
    spec: &Spec,
    pid: i32,
    record: &Record,
) -> Result<(), alloc::string::String> {
    use rustix::fd::AsFd;
    let Some(hold) = &spec.life.hold else {
        return Ok(());
    };
    let h = &hold.hooks;
    if !(h.prestart.is_empty() && h.create_runtime.is_empty()) {
        let state = record.hook_state(pid, pid, "creating");
        crate::oci::hooks::run_all("prestart", &h.prestart, &state)?;
        crate::oci::hooks::run_all("createRuntime", &h.create_runtime, &state)?;
    }
    if let Some(hooks) = plan.hooks.as_ref().filter(|h| !h.create.is_empty()) {
        let state = record.hook_state(pid, pid_inside(pid), "creating");
        crate::oci::hooks::fill(hooks.create_state.as_fd(), &state)?;
    }
    Ok(())
}

/// The pid of `pid` in its own PID namespace (the last of `NSpid` in /proc/PID/status; `pid`
/// itself where that cannot be read).
fn pid_inside(pid: i32) -> i32 {
    let path = alloc::format!("/proc/{pid}/status");
    let Ok(text) = crate::state::ops::read_small(path.as_bytes()) else {
        return pid;
    };
    text.split(|&b| b == b'\n')
        .find_map(|l| l.strip_prefix(b"NSpid:"))
        .and_then(|l| {
            l.rsplit(|&b| b == b'\t' || b == b' ')
                .find(|w| !w.is_empty())
        })
        .and_then(crate::state::entry::number)
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(pid)
}

/// Whether the launcher has something to do for the child before it may go on: id maps to
/// write, an OOM score to set, a cgroup to move it into.
fn holds(plan: &Plan) -> bool {
    plan.sync || plan.maps.is_some() || plan.oom_score_adj.is_some() || plan.cgroup.is_some()
}

/// What the launcher does for the waiting child `pid`: moves it into its cgroup, writes its id
/// maps and its OOM score.
#[inline(never)]
fn before_go(
    plan: &Plan,
    pid: i32,
    cgroup: Option<&crate::confine::cgroup::Cgroup>,
) -> Result<(), alloc::string::String> {
    if let Some(cgroup) = cgroup {
        cgroup.enter(pid as u32).map_err(|e| e.line())?;
    }
    if let Some(maps) = &plan.maps {
        crate::run::userns::write_maps(pid, maps)?;
    }
    if let Some(adj) = plan.oom_score_adj {
        crate::run::userns::write_proc_file(
            pid,
            "oom_score_adj",
            alloc::format!("{adj}").as_bytes(),
        )
        .map_err(|e| {
            let hint = (e == Errno::ACCESS || e == Errno::PERM)
                .then_some("lowering the score needs CAP_SYS_RESOURCE");
            report::line(&alloc::format!("--oom-score-adj {adj}"), e, hint)
        })?;
    }
    Ok(())
}

/// Waits for the child to end, then reads the error pipe: a report there is the failure to print
/// and its status; a closed, empty pipe means the command ran, and the child's status is nsrun's.
/// (Reading only at the end spares the launcher a wake-up at exec.)
#[inline(never)]
fn finish(
    plan: &Plan,
    spec: &Spec,
    started: &mut Started,
    record: Option<&mut Record>,
    keep: Option<crate::join::keep::Keep>,
) -> i32 {
    use rustix::fd::AsFd;
    let (code, running) = supervise(plan, started, record);
    if plan.terminal {
        // The command had the terminal; give it back to nsrun's group, where the caller expects it.
        sys::tty::give_foreground(rustix::process::getpgrp());
    }
    let mut buf = [0u8; report::SIZE];
    if read_exact(started.reports.as_fd(), &mut buf) {
        let r = Report::decode(&buf);
        out::error_line(format_args!("{}", report::describe(&r, plan, spec)));
        // A run that failed leaves nothing of the host changed: no kept namespaces either.
        if let Some(keep) = keep {
            keep.undo();
        }
        return r.code as i32;
    }
    if running {
        info::send_exit(plan, code);
    }
    code
}

/// Reads exactly `buf.len()` bytes; false at end of file, or when nothing is there (the pipe's
/// read end does not block: a writer it did not expect cannot hang the launcher).
fn read_exact(fd: rustix::fd::BorrowedFd<'_>, buf: &mut [u8]) -> bool {
    let mut got = 0;
    while got < buf.len() {
        match sys::fd::read(fd, &mut buf[got..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => got += n,
        }
    }
    true
}

/// Waits for the child to end, passing on the forwarded signals and relaying the command's
/// terminal stops ([`job`]), and writing the [`Info`] once the command runs; returns its exit
/// status, and whether the info was written.
#[inline(never)]
fn supervise(plan: &Plan, started: &mut Started, mut record: Option<&mut Record>) -> (i32, bool) {
    use rustix::fd::AsFd;
    let container = job::Container {
        pid: started.pid,
        socket: started.job.as_ref().map(|fd| fd.as_fd()),
    };
    let waited = forward::waited(job_signals(plan, started.job.is_some() || started.watch));
    let mut pending = started.info.is_some() || record.as_ref().is_some_and(|r| r.watches(plan));
    let mut running = false;
    let child = Pid::from_raw(started.pid);
    // Run directly on the terminal (no init), the command is this process's child: its stops
    // show up here.
    let options = match plan.terminal && !plan.init {
        true => WaitOptions::NOHANG | WaitOptions::UNTRACED,
        false => WaitOptions::NOHANG,
    };
    loop {
        // Before the wait: a child that has ended has closed the pipe too, so the info always
        // precedes the exit code.
        if pending {
            use rustix::event::PollFlags;
            let r = sys::fd::revents(started.reports.as_fd());
            // Hung up with no report in it: the command was executed.
            running = r == PollFlags::HUP;
            pending = r.is_empty();
            if let Some(info) = started.info.as_mut().filter(|_| running) {
                info.read(plan, true);
                info.send(plan);
            }
            if let Some(record) = record.as_mut().filter(|_| running) {
                record.running(plan);
            }
        }
        match rustix::process::waitpid(child, options) {
            Ok(Some((_, st))) if st.stopped() => {
                container.stop_with_the_command();
                continue;
            }
            Ok(Some((_, st))) => return (status::from_wait(st.as_raw()), running),
            Ok(None) => {}
            Err(_) => return (status::SETUP_FAILED, running),
        }
        let Ok(caught) = signal::wait(&waited) else {
            continue;
        };
        match caught.signo {
            libc::SIGIO if container.stop_reported() => container.stop_with_the_command(),
            libc::SIGIO => {}
            _ => container.on_signal(plan.terminal, &caught),
        }
    }
}

/// Whether `--info-fd` or `--json-status-fd` was given.
fn status_fds(plan: &Plan) -> bool {
    plan.info_fd.is_some() || plan.status_fd.is_some()
}

/// The job-control signals the launcher waits for: SIGCONT on a terminal (nsrun continued, the
/// command must be too), and SIGIO when the init reports stops on the job socket (or the error
/// pipe says the command runs).
fn job_signals(plan: &Plan, sigio: bool) -> &'static [i32] {
    match (plan.terminal, sigio) {
        (true, true) => &[libc::SIGCONT, libc::SIGIO],
        (true, false) => &[libc::SIGCONT],
        (false, true) => &[libc::SIGIO],
        (false, false) => &[],
    }
}

/// The sync socket of [`Step::Sync`](crate::setup::step::Step::Sync) and the keep point: the
/// launcher's end and the child's, blocking.
fn sync_socket() -> Result<(rustix::fd::OwnedFd, rustix::fd::OwnedFd), Errno> {
    use rustix::net::{AddressFamily, SocketFlags, SocketType};
    rustix::net::socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
}

/// The pid the child sends after its joins; None at end of file.
fn read_pid(fd: rustix::fd::BorrowedFd<'_>) -> Option<i32> {
    let mut buf = [0u8; 4];
    let mut got = 0;
    while got < buf.len() {
        match sys::fd::read(fd, &mut buf[got..]) {
            Ok(0) | Err(_) => return None,
            Ok(n) => got += n,
        }
    }
    Some(i32::from_ne_bytes(buf))
}

/// The job socket: the launcher's end (SIGIO on input) and the init's, both non-blocking.
fn job_socket() -> Result<(rustix::fd::OwnedFd, rustix::fd::OwnedFd), Errno> {
    use rustix::fd::AsFd;
    use rustix::net::{AddressFamily, SocketFlags, SocketType};
    let flags = SocketFlags::CLOEXEC | SocketFlags::NONBLOCK;
    let (ours, init) =
        rustix::net::socketpair(AddressFamily::UNIX, SocketType::STREAM, flags, None)?;
    sys::fd::signal_on_input(ours.as_fd())?;
    Ok((ours, init))
}
