//! `nsrun enter`: join the namespaces of a running process (or those kept under a directory) and
//! run a command there.
//!
//! The sequence: pin the target ([`Target`]) and open every namespace file first, with its root
//! and working directory (before anything is joined, while the paths are still the host's); check
//! the target still runs; join the user namespace first, then the others (through the pidfd in
//! one setns where the kernel allows, 5.8, else file by file); enter the target's root and
//! working directory (nsenter's `--root` and `--wd`: fchdir and chroot to the root, then fchdir
//! to the working directory); in a user namespace become its root (setgroups, setgid(0),
//! setuid(0), as nsenter -U does); then start the command. Joining a PID namespace places only
//! the children in it, so the command is started as a child (a vfork-like clone), which nsrun
//! waits for, passing signals and terminal stops on as `run` does ([`crate::run::job`]); without
//! one, nsrun executes the command itself. The environment is the caller's, as nsenter keeps it;
//! the container's capability bounds and seccomp filters are not applied (nsenter does not
//! either).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::process::{Pid, Signal, WaitOptions};

use super::target::Target;
use super::{Bad, NsFile};
use crate::ns::{Kind, Set};
use crate::plan::exec::Exec;
use crate::report::{self, Failure};
use crate::run::{forward, job};
use crate::spec::Bytes;
use crate::status;
use crate::sys::{self, clone, signal, stack::Stack};

/// Where the namespaces come from.
pub enum Source<'a> {
    /// A running process: its pid, and its start time when it is known from before (the state
    /// store's record of a container), so a reused pid is refused.
    Process {
        /// Its pid in nsrun's PID namespace.
        pid: i32,
        /// Its start time in clock ticks since boot, as /proc/PID/stat says.
        start: Option<u64>,
    },
    /// A directory of namespace files kept by `--keep DIR` (DIR/mnt, DIR/net, ...).
    Kept(&'a [u8]),
}

/// What `nsrun enter` was asked to do.
pub struct Request<'a> {
    /// The namespaces' source.
    pub source: Source<'a>,
    /// The kinds to join; None: every kind the source has that nsrun is not in already (as
    /// nsenter -a). A kind nsrun is in already is never joined again.
    pub kinds: Option<Set>,
    /// The command and its arguments; empty: /bin/sh.
    pub command: &'a [Bytes],
    /// OCI `exec`: what the process is to be, besides the namespaces; None for `nsrun enter`.
    pub process: Option<&'a Process>,
}

/// What OCI `exec` asks of the process beyond joining ([`Request::process`]), applied by the
/// process itself just before it executes the command, in runc's order: working directory,
/// rlimits, (seccomp without no_new_privs,) groups, gid, uid (keeping capabilities),
/// capabilities, no_new_privs, (seccomp with it).
pub struct Process {
    /// The working directory inside (after the container's root and its own).
    pub cwd: Option<alloc::ffi::CString>,
    /// uid, gid and supplementary groups.
    pub ids: (u32, u32, Vec<u32>),
    /// The capability sets.
    pub caps: crate::confine::caps::Apply,
    /// Set no_new_privs.
    pub no_new_privs: bool,
    /// Resource limits.
    pub rlimits: Vec<crate::spec::Rlimit>,
    /// The container's seccomp filter, compiled.
    pub seccomp: Option<Vec<crate::sys::seccomp::SockFilter>>,
    /// Return once it runs, without waiting (its parent becomes the caller's subreaper).
    pub detach: bool,
    /// Write its pid here: the file's directory, opened on the host, and its name.
    pub pid_file: Option<(OwnedFd, alloc::ffi::CString)>,
    /// A terminal of the container's devpts, its master sent to the engine (`--tty`).
    pub console: Option<Console>,
}

/// OCI `exec --tty --console-socket PATH`: the process gets a pseudo-terminal of the container's
/// own devpts (its /dev/pts/ptmx, opened once its root is entered), the master goes to the
/// engine over the socket, the slave becomes the process's 0, 1, 2 and controlling terminal.
pub struct Console {
    /// The console socket, connected (close-on-exec) on the host before anything is joined: its
    /// path may not be reachable from the container.
    pub socket: OwnedFd,
    /// `consoleSize`: rows and columns.
    pub size: Option<(u16, u16)>,
}

impl Console {
    /// Makes the terminal and hands its master over (allocation-free: the command's process
    /// calls it, in a session of its own, not yet a group leader); the step and errno on
    /// failure.
    fn take(&self) -> Result<(), (&'static str, Errno)> {
        let (master, slave) = sys::console::open_pair(c"/dev/pts", self.size).map_err(|e| {
            (
                "process.terminal: open a pseudo-terminal on the container's /dev/pts/ptmx \
                 (its devpts)",
                e,
            )
        })?;
        sys::console::send_master(self.socket.as_fd(), master.as_fd())
            .map_err(|e| ("send the terminal's master on --console-socket", e))?;
        // The engine holds the master now; this process keeps only the slave.
        drop(master);
        sys::console::become_terminal(slave.as_fd()).map_err(|e| {
            (
                "make the pseudo-terminal the process's controlling terminal",
                e,
            )
        })
    }
}

impl Process {
    /// Applies it in the process that executes the command next (allocation-free); the step's
    /// name and errno on failure.
    fn apply(&self) -> Result<(), (&'static str, Errno)> {
        use rustix::process::{Gid, Uid};
        // As runc: the console first, while the process is still root in the container.
        if let Some(console) = &self.console {
            console.take()?;
        }
        if let Some(cwd) = &self.cwd {
            rustix::process::chdir(cwd.as_c_str()).map_err(|e| ("chdir to process.cwd", e))?;
        }
        for limit in &self.rlimits {
            crate::confine::rlimit::apply(limit).map_err(|e| ("set process.rlimits", e))?;
        }
        // Without no_new_privs the kernel installs a filter only for a holder of CAP_SYS_ADMIN:
        // before the ids and capabilities change, as `create` does (to_spec refuses an errno 0
        // that would fake the changes below).
        let early = !self.no_new_privs;
        if let Some(prog) = self.seccomp.as_ref().filter(|_| early) {
            crate::sys::seccomp::install(prog).map_err(|e| ("install the seccomp filter", e))?;
        }
        let (uid, gid, gids) = &self.ids;
        // No groups asked for: where the user namespace denies setgroups (a rootless
        // container's), the process keeps the (empty) groups it joined with, as `create` does.
        match set_groups(gids) {
            Err(rustix::io::Errno::PERM) if gids.is_empty() => {}
            other => other.map_err(|e| ("setgroups process.user.additionalGids", e))?,
        }
        rustix::thread::set_keep_capabilities(true).map_err(|e| ("keep capabilities", e))?;
        rustix::thread::set_thread_res_gid(
            Gid::from_raw(*gid),
            Gid::from_raw(*gid),
            Gid::from_raw(*gid),
        )
        .map_err(|e| ("setgid process.user.gid", e))?;
        rustix::thread::set_thread_res_uid(
            Uid::from_raw(*uid),
            Uid::from_raw(*uid),
            Uid::from_raw(*uid),
        )
        .map_err(|e| ("setuid process.user.uid", e))?;
        self.caps
            .run()
            .map_err(|e| ("set process.capabilities", e))?;
        if self.no_new_privs {
            rustix::thread::set_no_new_privs(true).map_err(|e| ("set noNewPrivileges", e))?;
        }
        if let Some(prog) = self.seccomp.as_ref().filter(|_| !early) {
            crate::sys::seccomp::install(prog).map_err(|e| ("install the seccomp filter", e))?;
        }
        Ok(())
    }
}

/// setgroups(2) of `gids` without allocating.
fn set_groups(gids: &[u32]) -> Result<(), Errno> {
    let mut buf = [rustix::process::Gid::ROOT; 64];
    let n = gids.len().min(buf.len());
    for (b, g) in buf.iter_mut().zip(gids) {
        *b = rustix::process::Gid::from_raw(*g);
    }
    rustix::thread::set_thread_groups(&buf[..n])
}

/// The stack on which the command's process starts: it only takes the terminal, restores the
/// signal mask and calls execve (rounded up to whole pages).
const SPAWN_STACK: usize = 32 * 1024;

/// Runs `request` with the environment `environ`; returns nsrun's exit status (the command's,
/// or 125 with one line on stderr when nsrun failed, 126/127 when the command could not be
/// executed).
pub fn enter(request: &Request, environ: &[&[u8]]) -> i32 {
    match try_enter(request, environ) {
        Ok(code) => code,
        Err(line) => {
            crate::out::error_line(format_args!("enter: {line}"));
            status::SETUP_FAILED
        }
    }
}

/// [`enter`], nsrun's own failure returned as its line (OCI `exec` exits 1 with it).
pub fn try_enter(request: &Request, environ: &[&[u8]]) -> Result<i32, String> {
    prepare(request).and_then(|joining| joining.run(request, environ))
}

/// Everything opened before anything is joined.
struct Joining {
    /// The target, pinned (None for kept namespaces).
    target: Option<Target>,
    /// The namespace files to join, one per kind.
    files: Vec<NsFile>,
    /// The kinds that may be joined through the target's pidfd (its own namespaces).
    by_pidfd: Set,
    /// The target's root and working directory, to enter after its mount namespace.
    dirs: Option<(OwnedFd, OwnedFd)>,
    /// Where the files are, for messages: `/proc/PID/ns` or the kept directory.
    place: String,
    /// This process's /proc/self, to compare its namespaces with.
    own: OwnedFd,
}

fn prepare(request: &Request) -> Result<Joining, String> {
    let own = super::open_self()
        .map_err(|e| report::line("open /proc/self", e, Some("nsrun enter needs /proc")))?;
    match request.source {
        Source::Process { pid, start } => prepare_process(pid, start, request.kinds, own),
        Source::Kept(dir) => prepare_kept(dir, request.kinds, own),
    }
}

/// Whether a kind is to be joined: Some(true) asked for, Some(false) not, None (all) if the
/// source has it.
fn asked(kinds: Option<Set>, kind: Kind) -> Option<bool> {
    kinds.map(|s| s.has(kind))
}

fn prepare_process(
    pid: i32,
    start: Option<u64>,
    kinds: Option<Set>,
    own: OwnedFd,
) -> Result<Joining, String> {
    let init = Target::open(pid, start)?;
    // nsrun's init is not dumpable, and its memory belongs to the user namespace nsrun started
    // in: its namespace files are open only to CAP_SYS_PTRACE there, which the unprivileged owner
    // of a rootless container lacks. Its command, executed in the container's user namespace,
    // is open to them: it has the container's namespaces (the init starts it first, in them,
    // and ends with it), so it is entered through that process, its first child.
    // Only for a process of the caller's own uid: another's is refused as the kernel refused it.
    let (target, found) = match collect(&init, kinds, own.as_fd()) {
        Ok(found) => (init, found),
        Err((line, denied)) => {
            // A process that ended meanwhile has no namespace files left: say that.
            init.check_alive()?;
            let mine = init.uid() == Some(rustix::process::getuid().as_raw());
            let child = init
                .first_child()
                .filter(|_| denied && mine)
                .ok_or(line.clone())?;
            let found = collect(&child, kinds, own.as_fd()).map_err(|_| line)?;
            init.check_alive()?;
            (child, found)
        }
    };
    target.check_alive()?;
    let (files, by_pidfd, dirs) = found;
    Ok(Joining {
        place: format!("/proc/{}/ns", target.pid),
        target: Some(target),
        files,
        by_pidfd,
        dirs,
        own,
    })
}

/// The namespace files, those of them the pidfd may join, and the root and working directory.
type Found = (Vec<NsFile>, Set, Option<(OwnedFd, OwnedFd)>);

/// Opens the namespace files of `target` (those of `kinds`, or all) that differ from this
/// process's, and its root and working directory if its mount namespace is among them. On
/// failure, the line, and whether a namespace file was refused for want of permission.
fn collect(
    target: &Target,
    kinds: Option<Set>,
    own: BorrowedFd<'_>,
) -> Result<Found, (String, bool)> {
    let pid = target.pid;
    let mut files = Vec::new();
    let mut by_pidfd = Set::empty();
    for kind in super::ORDER {
        let wanted = asked(kinds, kind);
        if wanted == Some(false) {
            continue;
        }
        let file = match target.ns(kind) {
            Ok(file) => file,
            // A kind this kernel lacks has no file: all of them means those there are.
            Err(Bad::Errno(Errno::NOENT)) if wanted.is_none() => continue,
            Err(bad) => {
                let shown = format!("/proc/{pid}/ns/{}", super::proc_name(kind));
                let denied = matches!(bad, Bad::Errno(Errno::ACCESS | Errno::PERM));
                return Err((bad_line(bad, kind, &shown), denied));
            }
        };
        let (file, own_ns) = match kind {
            Kind::Time => match target.time_for_children(&file) {
                Some(children) => (children, false),
                None => (file, true),
            },
            _ => (file, true),
        };
        if Some(file.id) == super::own(own, kind) {
            continue;
        }
        if own_ns {
            by_pidfd.add(kind);
        }
        files.push(file);
    }
    let dirs = match files.iter().any(|f| f.kind == Kind::Mount) {
        true => {
            let open = |name: &core::ffi::CStr, what: &str| {
                target.open_dir(name).map_err(|e| {
                    let line = report::line(&format!("open the {what} of process {pid}"), e, None);
                    (line, false)
                })
            };
            Some((open(c"root", "root")?, open(c"cwd", "working directory")?))
        }
        false => None,
    };
    Ok((files, by_pidfd, dirs))
}

fn prepare_kept(dir: &[u8], kinds: Option<Set>, own: OwnedFd) -> Result<Joining, String> {
    let shown = crate::out::shown(dir);
    let fd = rustix::fs::open(
        dir,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| report::line_of(&["open --from ", &shown], e, None))?;
    let mut files = Vec::new();
    for kind in super::ORDER {
        let wanted = asked(kinds, kind);
        if wanted == Some(false) {
            continue;
        }
        let name = alloc::ffi::CString::new(super::proc_name(kind)).unwrap_or_default();
        let file = match super::open_given(fd.as_fd(), &name, kind) {
            Ok(file) => file,
            Err(Bad::Errno(Errno::NOENT)) if wanted.is_none() => continue,
            Err(Bad::Errno(Errno::NOENT)) => {
                return Err(crate::out::cat(&[
                    &shown,
                    "/",
                    super::proc_name(kind),
                    " is missing (hint: the container had no ",
                    kind.name(),
                    " namespace of its own, and --keep keeps only those)",
                ]))
            }
            Err(bad) => {
                let path = crate::out::cat(&[&shown, "/", super::proc_name(kind)]);
                return Err(bad_line(bad, kind, &path));
            }
        };
        if Some(file.id) != super::own(own.as_fd(), kind) {
            files.push(file);
        }
    }
    if files.is_empty() && kinds.is_none() {
        return Err(crate::out::cat(&[
            &shown,
            " holds no namespace file nsrun is not in already (mnt, uts, ipc, net, pid, user, \
             cgroup, time)",
        ]));
    }
    Ok(Joining {
        target: None,
        files,
        by_pidfd: Set::empty(),
        dirs: None,
        place: shown,
        own,
    })
}

/// The line for namespace file `shown` of `kind` that cannot be joined.
fn bad_line(bad: Bad, kind: Kind, shown: &str) -> String {
    match bad {
        Bad::Errno(e) => report::line_of(
            &["open the ", kind.name(), " namespace file ", shown],
            e,
            super::open_hint(e),
        ),
        bad => bad.line(shown, kind),
    }
}

/// What the command's process gets: it runs in nsrun's memory (CLONE_VM) while nsrun waits.
struct Spawn<'a> {
    exec: &'a Exec,
    terminal: bool,
    mask: signal::SigSet,
    /// Set by the child when the command could not be executed.
    failed: Cell<Option<Failure>>,
    /// OCI `exec`'s process.
    process: Option<&'a Process>,
    /// Set by the child when applying the process failed.
    refused: Cell<Option<(&'static str, Errno)>>,
}

impl Joining {
    fn has(&self, kind: Kind) -> bool {
        self.files.iter().any(|f| f.kind == kind)
    }

    /// Where the file of `kind` is, for messages.
    fn shown(&self, kind: Kind) -> String {
        let name = match (kind, self.target.is_some()) {
            (Kind::Time, true) if !self.by_pidfd.has(Kind::Time) => "time_for_children",
            _ => super::proc_name(kind),
        };
        crate::out::cat(&[&self.place, "/", name])
    }

    fn run(self, request: &Request, environ: &[&[u8]]) -> Result<i32, String> {
        // Everything that allocates comes before the joins.
        let shell = [Bytes::from(&b"/bin/sh"[..])];
        let command = match request.command.is_empty() {
            true => &shell[..],
            false => request.command,
        };
        let exec = Exec::new(command, environ.iter().map(|e| e.to_vec()).collect());
        // The command gets 0, 1 and 2 only, as `run` gives: a descriptor nsrun inherited (of a
        // host directory, say) would lead the command, and the container's root who can reach
        // it through /proc, out of the container.
        sys::fd::cloexec_all_but(&[0, 1, 2])
            .map_err(|e| report::line("mark the inherited descriptors close-on-exec", e, None))?;
        // Root's supplementary groups go before its user namespace is joined, while it still may
        // drop them (inside, an unprivileged container's user namespace denies setgroups), as
        // nsenter -U does: they would stay host groups (group root's files) inside.
        if self.has(Kind::User) {
            let _ = rustix::thread::set_thread_groups(&[]);
        }
        let detach = request.process.is_some_and(|p| p.detach);
        // A terminal needs a new session, which a process group leader (nsrun, started by a
        // shell) cannot make: the command gets a process of its own.
        let console = request.process.is_some_and(|p| p.console.is_some());
        let stack = match self.has(Kind::Pid) || detach || console {
            true => Some(
                Stack::new(SPAWN_STACK)
                    .map_err(|e| report::line("map the command's stack", e, None))?,
            ),
            false => None,
        };
        self.join()?;
        if let Some((root, cwd)) = &self.dirs {
            self.enter_dirs(root.as_fd(), cwd.as_fd())?;
        }
        if self.has(Kind::User) {
            become_root()?;
        }
        match stack {
            Some(stack) => self.spawn(&stack, &exec, request.process),
            None => {
                if let Some(p) = request.process {
                    if let Some((dir, name)) = &p.pid_file {
                        let me = rustix::process::getpid().as_raw_nonzero().get();
                        crate::state::launch::write_pid_file_at(dir.as_fd(), name, me)?;
                    }
                    p.apply().map_err(|(what, e)| report::line(what, e, None))?;
                }
                let failure = exec.run();
                crate::out::error_line(format_args!("{}", report::exec_line(&exec, failure)));
                Ok(report::exec_status(failure.errno))
            }
        }
    }

    /// Joins the namespaces: through the pidfd in one call where there are two or more of the
    /// target's own (checked afterwards against the files opened), the rest file by file.
    fn join(&self) -> Result<(), String> {
        let mut rest: Vec<&NsFile> = self.files.iter().collect();
        let pidfd = self.target.as_ref().and_then(|t| t.pidfd());
        if let Some(pidfd) = pidfd.filter(|_| self.by_pidfd.iter().count() >= 2) {
            match super::join_pidfd(pidfd, self.by_pidfd) {
                Ok(()) => {
                    for file in self.files.iter().filter(|f| self.by_pidfd.has(f.kind)) {
                        if super::joined(self.own.as_fd(), file.kind) != Some(file.id) {
                            return Err(format!(
                                "the {} namespace joined is not the one opened from {}: the \
                                 process changed its namespaces meanwhile",
                                file.kind.name(),
                                self.shown(file.kind)
                            ));
                        }
                    }
                    rest.retain(|f| !self.by_pidfd.has(f.kind));
                }
                // Before 5.8 a pidfd is no namespace file.
                Err(Errno::INVAL) => {}
                Err(e) => {
                    let kinds: Vec<&str> = self.by_pidfd.iter().map(Kind::name).collect();
                    let what = format!(
                        "join the {} namespaces of {}",
                        kinds.join(", "),
                        self.place.trim_end_matches("/ns")
                    );
                    return Err(report::line(&what, e, pidfd_hint(e)));
                }
            }
        }
        super::join_files(&rest).map_err(|(file, e)| {
            let what = format!(
                "join the {} namespace {}",
                file.kind.name(),
                self.shown(file.kind)
            );
            report::line(&what, e, super::setns_hint(file.kind, e))
        })
    }

    /// Enters the target's root and then its working directory (both opened before its mount
    /// namespace was joined), as nsenter --root --wd does.
    fn enter_dirs(&self, root: BorrowedFd<'_>, cwd: BorrowedFd<'_>) -> Result<(), String> {
        let pid = self.target.as_ref().map_or(0, |t| t.pid);
        let fail =
            |what: &str, e: Errno| report::line(&format!("{what} of process {pid}"), e, None);
        rustix::process::fchdir(root).map_err(|e| fail("enter the root", e))?;
        rustix::process::chroot(c".").map_err(|e| fail("chroot to the root", e))?;
        rustix::process::fchdir(cwd).map_err(|e| fail("enter the working directory", e))
    }

    /// Starts the command as a child (in the PID namespace joined), waits for it while passing
    /// signals and terminal stops on, and returns its status.
    fn spawn(&self, stack: &Stack, exec: &Exec, process: Option<&Process>) -> Result<i32, String> {
        let terminal = sys::tty::own_foreground() && process.is_none();
        let extra: &[i32] = if terminal { &[libc::SIGCONT] } else { &[] };
        let waited = forward::waited(extra);
        let mask = signal::block(&waited);
        let cx = Spawn {
            exec,
            terminal,
            mask,
            failed: Cell::new(None),
            process,
            refused: Cell::new(None),
        };
        let flags = libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD;
        let pid = clone::spawn(stack, flags, start_command, &cx, &[]).map_err(|e| {
            signal::set_mask(&mask);
            let hint = match e {
                Errno::NOMEM => Some(
                    "no process is left in that PID namespace: once its init has ended it \
                     takes no new process; the others can be entered without it (-m -u -i -n ...)",
                ),
                _ => None,
            };
            report::line(
                &format!(
                    "start the command in the PID namespace {}",
                    self.shown(Kind::Pid)
                ),
                e,
                hint,
            )
        })?;
        if let Some((what, e)) = cx.refused.get() {
            let _ = rustix::process::waitpid(Pid::from_raw(pid), WaitOptions::empty());
            return Err(report::line(what, e, None));
        }
        if let Some(failure) = cx.failed.get() {
            let _ = rustix::process::waitpid(Pid::from_raw(pid), WaitOptions::empty());
            if terminal {
                sys::tty::give_foreground(rustix::process::getpgrp());
            }
            crate::out::error_line(format_args!("{}", report::exec_line(exec, failure)));
            return Ok(report::exec_status(failure.errno));
        }
        if let Some(p) = process {
            if let Some((dir, name)) = &p.pid_file {
                crate::state::launch::write_pid_file_at(dir.as_fd(), name, pid)?;
            }
            if p.detach {
                return Ok(0);
            }
        }
        let code = supervise(pid, terminal, &waited);
        if terminal {
            sys::tty::give_foreground(rustix::process::getpgrp());
        }
        Ok(code)
    }
}

/// The hint for a failed setns(2) through the pidfd.
fn pidfd_hint(e: Errno) -> Option<&'static str> {
    match e {
        Errno::PERM => Some(
            "joining needs CAP_SYS_ADMIN over each namespace: run as root, or as the owner of \
             the container's user namespace join it too",
        ),
        Errno::SRCH => Some("the process has ended"),
        _ => None,
    }
}

/// In the user namespace joined, becomes its root: no supplementary groups where it allows
/// setgroups (where it denies them, an unprivileged container's, they stay as they are), then
/// gid and uid 0 (refused where 0 is not mapped in it).
fn become_root() -> Result<(), String> {
    use rustix::process::{Gid, Uid};
    let _ = rustix::thread::set_thread_groups(&[]);
    let hint = Some("uid and gid 0 must be mapped in the container's user namespace");
    rustix::thread::set_thread_res_gid(Gid::ROOT, Gid::ROOT, Gid::ROOT)
        .map_err(|e| report::line("become gid 0 in the container's user namespace", e, hint))?;
    rustix::thread::set_thread_res_uid(Uid::ROOT, Uid::ROOT, Uid::ROOT)
        .map_err(|e| report::line("become uid 0 in the container's user namespace", e, hint))
}

/// The command's process (in nsrun's memory until it executes; nsrun is suspended meanwhile):
/// dies with nsrun, takes the terminal's foreground in a process group of its own when nsrun
/// had it, restores the signal mask and executes the command.
fn start_command(cx: &Spawn) -> ! {
    // A detached process outlives nsrun.
    if !cx.process.is_some_and(|p| p.detach) {
        let _ = rustix::process::set_parent_process_death_signal(Some(Signal::KILL));
    }
    if cx.terminal {
        sys::tty::take_foreground();
    }
    signal::set_mask(&cx.mask);
    if let Some(p) = cx.process {
        if let Err(refused) = p.apply() {
            cx.refused.set(Some(refused));
            sys::exit::exit_now(status::SETUP_FAILED);
        }
    }
    let failure = cx.exec.run();
    cx.failed.set(Some(failure));
    sys::exit::exit_now(report::exec_status(failure.errno))
}

/// Waits for the command `pid` to end, passing signals on and relaying its terminal stops
/// ([`job::Container`]); returns its exit status.
fn supervise(pid: i32, terminal: bool, waited: &signal::SigSet) -> i32 {
    let container = job::Container { pid, socket: None };
    let child = Pid::from_raw(pid);
    let options = match terminal {
        true => WaitOptions::NOHANG | WaitOptions::UNTRACED,
        false => WaitOptions::NOHANG,
    };
    loop {
        match rustix::process::waitpid(child, options) {
            Ok(Some((_, st))) if st.stopped() => {
                container.stop_with_the_command();
                continue;
            }
            Ok(Some((_, st))) => return status::from_wait(st.as_raw()),
            Ok(None) => {}
            Err(_) => return status::SETUP_FAILED,
        }
        if let Ok(caught) = signal::wait(waited) {
            container.on_signal(terminal, &caught);
        }
    }
}
