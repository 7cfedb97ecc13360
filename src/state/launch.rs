//! What `run --name` and `run --detach` add to the launcher ([`crate::run::launch`]), which
//! calls these hooks only when one of them was given: the plain `nsrun -- CMD` runs none of this.
//!
//! With `--name`: [`begin`] opens the store and refuses a name a live container holds; once the
//! child exists (setting up, its command held until the entry is written) [`Record::created`] writes its entry under the
//! store's lock, the authoritative, race-free check; [`Record::running`] marks it running when the
//! command has been executed; [`Record::ended`] records the exit status (status `stopped`). The
//! stopped entry stays, so `nsrun wait NAME` can report the status; `wait` removes it, and a
//! later `run --name NAME` replaces it.
//!
//! With `--detach`: [`begin`] forks. The foreground half relays what the background half says on
//! a pipe (its error lines) until it reads the running mark (a NUL byte and the container's pid),
//! prints the pid and exits 0; if the pipe ends without the mark, the run failed and it exits with
//! the background half's status. The background half starts a session of its own, puts
//! /dev/null (or `--log FILE`) on its standard descriptors, which the container inherits, and
//! goes on as the launcher, its error lines sent over the pipe until the command runs.

use alloc::vec::Vec;

use rustix::fd::{AsFd, AsRawFd, OwnedFd};
use rustix::fs::{Mode, OFlags};

use super::entry::{Entry, Status, NS_NAMES};
use super::{proc, Store};
use crate::ns::Kind;
use crate::out::{self, Bytes};
use crate::plan::Plan;
use crate::spec::Spec;
use crate::status;
use crate::sys;

/// The launcher's part of a named or detached run.
pub struct Record {
    /// The store and the entry, with `--name`.
    named: Option<(Store, Entry)>,
    /// Whether this run's entry is on disk (so a failure before it leaves other entries alone).
    written: bool,
    /// With `--detach`, until the command runs: the pipe to the foreground half.
    detached: Option<OwnedFd>,
    /// The container's PID 1, once it exists.
    pid: i32,
    /// OCI `create`: the fifo's name, for the child ([`crate::run::child::Hold`]).
    hold: Option<alloc::ffi::CString>,
    /// OCI `create`: `--pid-file`.
    pid_file: Option<Vec<u8>>,
    /// OCI `create`: config.json as read, kept for `exec` ([`Store::save_config`]).
    config: Option<Vec<u8>>,
    /// A named run in the foreground: the store's lock, taken right before clone
    /// ([`Record::claim`]), until the entry is written ([`Record::created`]).
    held: Option<super::Held>,
    /// Whether [`Record::claim`] decides on the name (a named run in the foreground).
    decide: bool,
    /// The entry's file as this launcher wrote it, for [`Store::append_end`].
    kept: Option<OwnedFd>,
}

/// Leaves with `line` and `code`.
fn fail(line: &str, code: i32) -> ! {
    out::error_str(line);
    sys::exit::exit_now(code)
}

/// Starts a named or detached run (None for a plain run): opens the store, checks the name,
/// forks for `--detach`. Leaves on failure with the line and status.
#[inline(never)]
pub fn begin(spec: &Spec, env: &[&[u8]]) -> Option<Record> {
    let life = &spec.life;
    if !life.any() {
        return None;
    }
    let mut decide = false;
    let named = match &life.name {
        Some(name) => {
            let checked = match life.hold {
                Some(_) => super::check_id(name),
                None => super::check_name(name),
            };
            // OCI `create` fails with 1, whatever the reason.
            let code = |c: i32| if life.hold.is_some() { 1 } else { c };
            if let Err(line) = checked {
                fail(&line, code(status::USAGE));
            }
            let store = Store::open(life.state_dir.as_deref(), env)
                .unwrap_or_else(|e| fail(&e.line, code(e.code)));
            // A named run in the foreground decides under the store's lock, taken right before
            // clone ([`Record::claim`]) and kept until its entry is written, so nothing slow
            // (a seccomp filter read from a pipe, the cgroups, --keep) holds back other names.
            // Otherwise (OCI create, whose hooks may call nsrun; --detach, which forks first)
            // a quick look now, and `created` decides under the lock.
            decide = life.hold.is_none() && !life.detach;
            if !decide {
                match store.read(name) {
                    Ok(Some(old)) if !super::replaceable(&old, life.hold.is_some()) => {
                        fail(&store.taken(&old).line, code(status::SETUP_FAILED))
                    }
                    Ok(_) => {}
                    Err(e) => fail(&e.line, code(e.code)),
                }
            }
            let mut e = entry_of(spec, env, name);
            if let Some(hold) = &life.hold {
                e.oci = true;
                e.bundle = Some(hold.bundle.clone());
                e.annotations = hold.annotations.clone();
                e.poststart = hold.hooks.poststart.clone();
                e.poststop = hold.hooks.poststop.clone();
            }
            Some((store, e))
        }
        None => None,
    };
    let hold = life
        .hold
        .as_ref()
        .and(life.name.as_ref())
        .map(|name| crate::setup::step::c_string(Store::fifo_name(name)));
    let detached = match life.detach {
        true => Some(detach(life.log.as_deref())),
        false => None,
    };
    Some(Record {
        named,
        written: false,
        detached,
        pid: 0,
        hold,
        pid_file: life.hold.as_ref().and_then(|h| h.pid_file.clone()),
        config: life.hold.as_ref().map(|h| h.config.clone()),
        held: None,
        decide,
        kept: None,
    })
}

/// The entry's fields known before the child exists.
fn entry_of(spec: &Spec, env: &[&[u8]], name: &[u8]) -> Entry {
    let command = match spec.command.is_empty() {
        false => spec.command.clone(),
        true => alloc::vec![super::getenv(env, "SHELL")
            .filter(|s| !s.is_empty())
            .unwrap_or(b"/bin/sh")
            .to_vec()],
    };
    Entry {
        name: name.to_vec(),
        root: spec.root.clone(),
        command,
        ..Entry::default()
    }
}

/// Forks for `--detach`; returns in the background half (the foreground half never returns).
fn detach(log: Option<&[u8]>) -> OwnedFd {
    let open = |path: &[u8], flags: OFlags| {
        rustix::fs::open(
            path,
            flags | OFlags::CLOEXEC | OFlags::NOCTTY,
            Mode::from(0o644),
        )
        .unwrap_or_else(|e| {
            let what = crate::out::around("open ", path, "");
            fail(&crate::report::line(&what, e, None), status::SETUP_FAILED)
        })
    };
    let null = open(b"/dev/null", OFlags::RDWR);
    let output = log.map(|p| open(p, OFlags::WRONLY | OFlags::CREATE | OFlags::APPEND));
    let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap_or_else(|e| {
        fail(
            &crate::report::line("create pipe", e, None),
            status::SETUP_FAILED,
        )
    });
    match sys::process::fork() {
        Ok(Some(pid)) => {
            drop(w);
            foreground(pid, r)
        }
        Ok(None) => {}
        Err(e) => fail(&crate::report::line("fork", e, None), status::SETUP_FAILED),
    }
    drop(r);
    let _ = rustix::process::setsid();
    let output = output.as_ref().unwrap_or(&null);
    let redirected = rustix::stdio::dup2_stdin(&null)
        .and_then(|()| rustix::stdio::dup2_stdout(output))
        .and_then(|()| rustix::stdio::dup2_stderr(output));
    out::errors_to(w.as_raw_fd());
    if let Err(e) = redirected {
        fail(
            &crate::report::line("redirect the standard descriptors", e, None),
            status::SETUP_FAILED,
        );
    }
    w
}

/// The foreground half of `--detach`: relays the background half's lines until its running
/// mark (then prints the pid and exits 0) or the end of the pipe (then exits with its status).
fn foreground(child: i32, r: OwnedFd) -> ! {
    let mut buf = [0u8; 512];
    let mut mark: Option<Vec<u8>> = None;
    loop {
        let n = match sys::fd::read(r.as_fd(), &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let got = &buf[..n];
        match &mut mark {
            Some(pid) => pid.extend_from_slice(got),
            None => match got.iter().position(|&b| b == 0) {
                Some(i) => {
                    sys::fd::write_all(sys::fd::stderr(), &got[..i]);
                    mark = Some(got[i + 1..].to_vec());
                }
                None => sys::fd::write_all(sys::fd::stderr(), got),
            },
        }
        if mark.as_ref().is_some_and(|m| m.ends_with(b"\n")) {
            break;
        }
    }
    if let Some(pid) = mark.filter(|m| m.ends_with(b"\n")) {
        sys::fd::write_all(sys::fd::stdout(), &pid);
        sys::exit::exit_now(0);
    }
    let code = match rustix::process::waitpid(
        rustix::process::Pid::from_raw(child),
        rustix::process::WaitOptions::empty(),
    ) {
        Ok(Some((_, st))) => status::from_wait(st.as_raw()),
        _ => status::SETUP_FAILED,
    };
    sys::exit::exit_now(code)
}

impl Record {
    /// Whether the run has a name (and so an entry to write before its command runs).
    pub fn named(&self) -> bool {
        self.named.is_some()
    }

    /// OCI `create`: the state the hooks read, for the container's process `pid` (as the
    /// runtime sees it) and `status`, with `pid` shown as `shown` (the hook's namespace's view).
    pub fn hook_state(&self, pid: i32, shown: i32, status: &str) -> Vec<u8> {
        let Some((_, e)) = &self.named else {
            return Vec::new();
        };
        let mut e = e.clone();
        e.pid = pid;
        if e.created == 0 {
            e.created = sys::clock::now_secs();
        }
        crate::oci::runtime::hook_state(&e, status, shown)
    }

    /// OCI `create`: whether the child waits for `start` ([`crate::run::child::Hold`]).
    pub fn holds(&self) -> bool {
        self.named.is_some() && self.hold.is_some()
    }

    /// OCI `create`, after [`Record::ready`]: the fifo, opened O_RDWR (which never blocks) for
    /// the child, which waits on it for `start`.
    pub fn open_fifo(&self) -> Result<OwnedFd, alloc::string::String> {
        let Some((store, e)) = &self.named else {
            return Err("open the fifo: no container".into());
        };
        store.open_fifo(&e.name).map_err(|err| err.line)
    }

    /// OCI `create`, the child ready: records the cgroup's directories, writes the entry
    /// (status `created`, this launcher named in it until [`Record::commit`]), makes the fifo
    /// and writes the pid file. On failure nothing of it is left.
    pub fn ready(
        &mut self,
        pid: i32,
        plan: &Plan,
        cgroup: Option<&crate::confine::cgroup::Cgroup>,
        born: Option<u64>,
        pidfd: Option<rustix::fd::BorrowedFd<'_>>,
    ) -> Result<(), alloc::string::String> {
        if let (Some((_, e)), Some(cg)) = (self.named.as_mut(), cgroup) {
            e.cgroups = cg.paths().map(<[u8]>::to_vec).collect();
            e.cgroup_made = cg.made().map(<[u8]>::to_vec).collect();
            e.cgroup_v2 = cg.is_v2();
        }
        self.created(pid, plan, born, pidfd)?;
        let done = self.fifo_and_pid_file(pid);
        if done.is_err() {
            self.abandon();
        }
        done
    }

    fn fifo_and_pid_file(&mut self, pid: i32) -> Result<(), alloc::string::String> {
        let Some((store, e)) = &self.named else {
            return Ok(());
        };
        if let Some(config) = &self.config {
            store.save_config(&e.name, config).map_err(|err| err.line)?;
        }
        store.make_fifo(&e.name).map_err(|err| err.line)?;
        match &self.pid_file {
            Some(path) => write_pid_file(path, pid),
            None => Ok(()),
        }
    }

    /// OCI `create`, the child past the point where it dies with the launcher: the entry no
    /// longer names the launcher, so from now on the container's end makes it stopped.
    pub fn commit(&mut self) -> Result<(), alloc::string::String> {
        let Some((store, e)) = self.named.as_mut() else {
            return Ok(());
        };
        e.launcher = 0;
        e.launcher_start = 0;
        // Only over its own entry: one deleted meanwhile (and maybe made again by another
        // create) is not brought back.
        match store.update(e) {
            Ok(true) => Ok(()),
            Ok(false) => Err(crate::out::around(
                "record container '",
                &e.name,
                "': its entry was removed while it was created (a delete)",
            )),
            Err(err) => Err(err.line),
        }
    }

    /// OCI `create` failed after [`Record::ready`]: removes the entry, the fifo and the pid
    /// file.
    pub fn abandon(&mut self) {
        if let Some((store, e)) = self.named.as_ref().filter(|_| self.written) {
            let _ = store.delete(e);
            self.written = false;
        }
        if let Some(path) = &self.pid_file {
            let _ = rustix::fs::unlink(path.as_slice());
        }
    }

    /// A named run in the foreground, right before clone: takes the store's lock and reads the
    /// name's entry under it, the deciding read (a live container's name fails the run, exit
    /// 125, before anything of it runs); the lock stays until the entry is written.
    pub fn claim(&mut self) -> Result<(), alloc::string::String> {
        let Some((store, e)) = self.named.as_ref().filter(|_| self.decide) else {
            return Ok(());
        };
        let held = store.hold_lock().map_err(|err| err.line)?;
        match store.read(&e.name) {
            Ok(Some(old)) if !super::replaceable(&old, false) => {
                store.release(held);
                Err(store.taken(&old).line)
            }
            Ok(_) => {
                self.held = Some(held);
                Ok(())
            }
            Err(err) => {
                store.release(held);
                Err(err.line)
            }
        }
    }

    /// The descriptors the launcher keeps past its sweep after clone.
    pub fn fds(&self) -> impl Iterator<Item = i32> + '_ {
        let store = self.named.as_ref().map(|(s, _)| s.fd().as_raw_fd());
        store
            .into_iter()
            .chain(self.detached.as_ref().map(|w| w.as_raw_fd()))
    }

    /// The child `pid` exists and sets up, its command waiting for a go byte it gets next:
    /// writes its entry (status `running`, so `list` shows it before the command can do
    /// anything), unless a live container took the name meanwhile. `born` is its start time
    /// when the launcher's clock told it (else it is read from /proc/PID/stat). The entry holds
    /// the namespaces that are the container's own, made or joined ([`own_ns`]): the others are
    /// the launcher's, and `list` shows them as /proc has them while the container runs.
    pub fn created(
        &mut self,
        pid: i32,
        plan: &Plan,
        born: Option<u64>,
        pidfd: Option<rustix::fd::BorrowedFd<'_>>,
    ) -> Result<(), alloc::string::String> {
        self.pid = pid;
        let Some((store, e)) = &mut self.named else {
            return Ok(());
        };
        let me = rustix::process::getpid().as_raw_nonzero().get();
        e.status = Some(match e.oci {
            true => Status::Created,
            false => Status::Running,
        });
        e.pid = pid;
        e.launcher = me;
        let own = own_ns(plan);
        // Through the child's pidfd where the kernel can (6.11); /proc otherwise.
        let by_pidfd = match (born, pidfd) {
            (Some(_), Some(fd)) if proc::proc_is_mine() => {
                proc::by_pidfd(fd, &mut e.ns, &own, !plan.joined.has(Kind::Time))
            }
            _ => None,
        };
        (e.pid_ns, e.time_ns) = match &by_pidfd {
            Some(read) => (read.pid_ns, read.time_ns),
            None => (proc::pid_ns().unwrap_or(0), proc::time_ns().unwrap_or(0)),
        };
        e.pid_start = match born {
            Some(start) => {
                if by_pidfd.is_none() {
                    proc::read_ns(pid, &mut e.ns, &own);
                }
                start
            }
            None => proc::start_and_ns(pid, &mut e.ns, &own).unwrap_or(0),
        };
        // This launcher started before the process it made: the entry names it by that
        // start ([`proc::started_by`]), which spares it a read of its own /proc/self/stat.
        e.launcher_start = e.pid_start;
        if e.pid_start == 0 || e.pid_ns == 0 {
            return Err(alloc::format!(
                "record container '{}': cannot read the start time in /proc/{pid}/stat (hint: the \
                 state store needs the procfs of nsrun's PID namespace on /proc)",
                Bytes(&e.name)
            ));
        }
        e.created = crate::sys::clock::now_secs();
        for ((ns, kind), own) in e.ns.iter_mut().zip(KINDS).zip(own) {
            ns.new = own && plan.made.has(kind);
        }
        read_time_ns(pid, e);
        match self.held.take() {
            // Read under this lock in `claim`: the name is this run's.
            Some(held) => {
                let wrote = store.write_kept(e);
                store.release(held);
                self.kept = Some(wrote.map_err(|err| err.line)?);
            }
            None => self.kept = Some(store.create(e).map_err(|err| err.line)?),
        }
        self.written = true;
        Ok(())
    }

    /// Whether the launcher must learn when the command has been executed (the error pipe hangs
    /// up): to release the foreground half of `--detach`, or to read namespaces the child makes
    /// after clone. A plain named run is not woken for it.
    pub fn watches(&self, plan: &Plan) -> bool {
        self.detached.is_some() || late(plan)
    }

    /// The command has been executed: the entry gets the namespaces made since clone (by
    /// unshare in the child: cgroup, time, a user namespace made late), if any, and the
    /// foreground half of `--detach` gets the pid and goes.
    pub fn running(&mut self, plan: &Plan) {
        if let Some((store, e)) = self.named.as_mut().filter(|_| self.written && late(plan)) {
            let before = e.ns;
            read_ns(e.pid, e, plan);
            if e.ns != before {
                match store.write_kept(e) {
                    Ok(fd) => self.kept = Some(fd),
                    Err(err) => out::error_line(format_args!("warning: {}", err.line)),
                }
            }
        }
        self.release();
    }

    /// Hands the foreground half of `--detach` the pid: the command runs.
    fn release(&mut self) {
        if let Some(w) = self.detached.take() {
            let mut mark = alloc::vec![0u8];
            super::entry::decimal(&mut mark, self.pid as u64);
            mark.push(b'\n');
            sys::fd::write_all(w.as_fd(), &mark);
            out::errors_to(2);
        }
    }

    /// The container has ended with `code`: its entry says `stopped` and holds the code (a
    /// line appended to the entry this launcher wrote, else the entry written again).
    pub fn ended(&mut self, code: i32) {
        if let Some((store, e)) = self.named.as_mut().filter(|_| self.written) {
            if let Some(kept) = &self.kept {
                if store.append_end(kept, code).is_ok() {
                    return;
                }
            }
            e.status = Some(Status::Stopped);
            e.exit = Some(code);
            if let Err(err) = store.write(e) {
                out::error_line(format_args!("warning: {}", err.line));
            }
        }
    }
}

/// Writes `pid` to `path` (relative to the current directory): a temporary file beside it,
/// renamed over it, so a reader sees the whole number or nothing.
pub fn write_pid_file(path: &[u8], pid: i32) -> Result<(), alloc::string::String> {
    let mut tmp = path.to_vec();
    tmp.extend_from_slice(b".nsrun-tmp");
    let mut text = Vec::new();
    super::entry::decimal(&mut text, pid as u64);
    let what = |verb: &str, e| crate::report::line(&crate::out::around(verb, path, ""), e, None);
    let fd = rustix::fs::open(
        tmp.as_slice(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::from(0o644),
    )
    .map_err(|e| what("write the pid file ", e))?;
    let wrote = rustix::io::write(&fd, &text);
    drop(fd);
    let moved = wrote.and_then(|_| rustix::fs::rename(tmp.as_slice(), path));
    if let Err(e) = moved {
        let _ = rustix::fs::unlink(tmp.as_slice());
        return Err(what("write the pid file ", e));
    }
    Ok(())
}

/// [`write_pid_file`] into the directory `dir` (opened before the caller left the host's
/// mount namespace or root), as `name`.
pub fn write_pid_file_at(
    dir: rustix::fd::BorrowedFd<'_>,
    name: &core::ffi::CStr,
    pid: i32,
) -> Result<(), alloc::string::String> {
    let mut tmp = name.to_bytes().to_vec();
    tmp.extend_from_slice(b".nsrun-tmp");
    let mut text = Vec::new();
    super::entry::decimal(&mut text, pid as u64);
    let what = |e| {
        let shown = crate::out::around("write the pid file ", name.to_bytes(), "");
        crate::report::line(&shown, e, None)
    };
    let fd = rustix::fs::openat(
        dir,
        tmp.as_slice(),
        OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::from(0o644),
    )
    .map_err(what)?;
    let wrote = rustix::io::write(&fd, &text);
    drop(fd);
    let moved = wrote.and_then(|_| rustix::fs::renameat(dir, tmp.as_slice(), dir, name));
    if let Err(e) = moved {
        let _ = rustix::fs::unlinkat(dir, tmp.as_slice(), rustix::fs::AtFlags::empty());
        return Err(what(e));
    }
    Ok(())
}

/// Whether the child makes a namespace after clone (by unshare(2)).
fn late(plan: &Plan) -> bool {
    Kind::ALL
        .into_iter()
        .any(|k| plan.made.has(k) && plan.clone_flags & k.flag() == 0)
}

/// The time namespace of `pid`'s children into `e` when nsrun made one (see [`read_ns`]).
fn read_time_ns(pid: i32, e: &mut Entry) {
    let time = NS_NAMES.iter().position(|n| *n == "time").unwrap_or(5);
    if e.ns[time].new {
        let path = alloc::format!("/proc/{pid}/ns/time_for_children");
        if let Ok(st) = rustix::fs::stat(path.as_str()) {
            e.ns[time].inode = st.st_ino;
        }
    }
}

/// Reads the namespaces of `pid` into `e`; a time namespace nsrun made is the one of PID 1's
/// children (time_for_children: unshare(2) does not move the caller into it).
fn read_ns(pid: i32, e: &mut Entry, plan: &Plan) {
    proc::read_ns(pid, &mut e.ns, &own_ns(plan));
    let time = NS_NAMES.iter().position(|n| *n == "time").unwrap_or(5);
    if e.ns[time].new {
        let path = alloc::format!("/proc/{pid}/ns/time_for_children");
        if let Ok(st) = rustix::fs::stat(path.as_str()) {
            e.ns[time].inode = st.st_ino;
        }
    }
}

/// The kind of each namespace of [`NS_NAMES`], in its order (cgroup, ipc, mnt, net, pid, time,
/// user, uts): a test checks it against the names.
const KINDS: [Kind; 8] = [
    Kind::Cgroup,
    Kind::Ipc,
    Kind::Mount,
    Kind::Net,
    Kind::Pid,
    Kind::Time,
    Kind::User,
    Kind::Uts,
];

/// Which namespaces, in the order of [`NS_NAMES`], are the container's own: made by nsrun or
/// joined (`--netns`, an OCI path). The others it shares with the launcher.
fn own_ns(plan: &Plan) -> [bool; 8] {
    KINDS.map(|k| plan.made.has(k) || plan.joined.has(k))
}

#[cfg(test)]
mod tests {
    #[test]
    fn kinds_are_in_the_order_of_the_names() {
        for (kind, name) in super::KINDS.iter().zip(super::NS_NAMES) {
            assert_eq!(crate::join::proc_name(*kind), name);
        }
    }
}
