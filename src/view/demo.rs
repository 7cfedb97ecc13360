//! `nsrun demo propagation [--json]`: the experiments of "Mount namespaces and shared subtrees"
//! (LWN 689856), run for real.
//!
//! Everything happens in a scratch process: a child of nsrun that makes a mount namespace of its
//! own (in a new user namespace when it lacks CAP_SYS_ADMIN), makes its `/` private recursively
//! before it mounts anything, so no mount event reaches nsrun's namespace, and mounts a tmpfs on
//! `/tmp` (or `/mnt`) there. For each propagation type it mounts a tmpfs under that one, sets the
//! type, makes a second mount namespace with unshare(CLONE_NEWNS) (namespace A, kept by a
//! descriptor of its ns file, and B; setns(2) goes back and forth), mounts in one and reads the
//! other's /proc/self/mountinfo. Unbindable: a bind of the mount is tried (EINVAL) and a recursive
//! bind of a tree holding one. The trap: the scratch `/` made shared as systemd leaves a host, a
//! new mount and PID namespace that mounts proc on /proc (two more processes, with pipes), and
//! what the scratch side then finds on its /proc.
//!
//! Every printed fact is read back from the kernel (mountinfo, readdir, readlink, an errno). The
//! scratch namespaces die with the scratch process; nsrun compares its own mount table before
//! and after and says whether it is identical.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::ffi::CStr;
use core::fmt::Write;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use rustix::mount::{MountFlags, MountPropagationFlags as Prop, UnmountFlags};
use rustix::process::{Pid, WaitOptions};
use rustix::thread::{LinkNameSpaceType, UnshareFlags};

use super::mounts::{self, Mount};
use crate::json::string as json_str;
use crate::out::{self, Bytes};
use crate::status;
use crate::sys;

/// A step that failed: what it did, and the kernel's answer.
struct Fail {
    what: String,
    errno: Errno,
}

type R<T> = Result<T, Fail>;

/// `r` with its errno as the failure of step `what` followed by `path` (no formatting machinery:
/// one small function for every step).
fn ctx<T>(r: Result<T, Errno>, what: &str, path: &str) -> R<T> {
    r.map_err(|errno| fail(&[what, path], errno))
}

#[inline(never)]
fn fail(what: &[&str], errno: Errno) -> Fail {
    Fail {
        what: out::cat(what),
        errno,
    }
}

/// The symbolic name of the errnos the demo can meet, for its lines.
fn errno_name(e: Errno) -> String {
    let name = match e {
        Errno::INVAL => "EINVAL",
        Errno::PERM => "EPERM",
        Errno::NOENT => "ENOENT",
        Errno::ACCESS => "EACCES",
        Errno::BUSY => "EBUSY",
        Errno::NOSPC => "ENOSPC",
        Errno::XDEV => "EXDEV",
        _ => "errno",
    };
    match name {
        "errno" => format!(
            "errno {} ({})",
            e.raw_os_error(),
            sys::errno::text(e.raw_os_error())
        ),
        _ => format!("{name} ({})", sys::errno::text(e.raw_os_error())),
    }
}

/// `/proc/self/fd/N` for `fd`: a path that leads to exactly the object the descriptor holds, so
/// a mount made on it cannot be redirected by a rename or a symlink after the open.
fn fd_path<'b>(fd: BorrowedFd<'_>, buf: &'b mut [u8; 32]) -> &'b CStr {
    // 14 bytes of prefix, 10 digits at most and a NUL fit in 32.
    crate::mountinfo::with_number(buf, b"/proc/self/fd/", fd.as_raw_fd() as u32)
        .and_then(|p| CStr::from_bytes_with_nul(p).ok())
        .unwrap_or(c"/proc/self/fd/-1")
}

fn open_dir(path: &str) -> R<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    ctx(rustix::fs::open(path, flags, Mode::empty()), "open ", path)
}

fn mkdir(path: &str) -> R<()> {
    ctx(
        rustix::fs::mkdir(path, Mode::from_raw_mode(0o755)),
        "mkdir ",
        path,
    )
}

/// Creates the directory `path` and mounts a small tmpfs named `source` on it.
fn tmpfs(path: &str, source: &str) -> R<()> {
    mkdir(path)?;
    let dir = open_dir(path)?;
    let flags = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
    let mut buf = [0; 32];
    let r = rustix::mount::mount(
        source,
        fd_path(dir.as_fd(), &mut buf),
        c"tmpfs",
        flags,
        c"size=64k,mode=0755",
    );
    ctx(r, "mount tmpfs on ", path)
}

/// Changes the propagation of the mount on `path` (and with `Prop::REC` of those below it).
fn set(path: &str, kind: Prop) -> R<()> {
    let dir = open_dir(path)?;
    let mut buf = [0; 32];
    let r = rustix::mount::mount_change(fd_path(dir.as_fd(), &mut buf), kind);
    ctx(r, "change the propagation of ", path)
}

/// A bind (with `recursive`, of the submounts too) of `src` on `dst`: the kernel's answer.
fn bind(src: &str, dst: &str, recursive: bool) -> R<Result<(), Errno>> {
    let (s, d) = (open_dir(src)?, open_dir(dst)?);
    let (mut b1, mut b2) = ([0; 32], [0; 32]);
    let (s, d) = (fd_path(s.as_fd(), &mut b1), fd_path(d.as_fd(), &mut b2));
    Ok(match recursive {
        true => rustix::mount::mount_bind_recursive(s, d),
        false => rustix::mount::mount_bind(s, d),
    })
}

/// The scratch process's handles: its /proc/self directory (opened before anything changed, so
/// it stays its own even when another /proc covers /proc) and namespace A's ns file.
struct Scratch {
    proc_self: OwnedFd,
    home: OwnedFd,
    base: &'static str,
    /// The write end of the pipe to nsrun, which the trap's processes must not hold (nsrun reads
    /// until every write end is closed).
    out: i32,
}

impl Scratch {
    /// The mount table of the namespace the scratch process is in now.
    fn table(&self) -> R<Vec<Mount>> {
        let text = ctx(
            mounts::read_at(self.proc_self.as_fd(), c"mountinfo"),
            "read /proc/self/mountinfo",
            "",
        )?;
        mounts::table(&text).map_err(|_| Fail {
            what: "parse /proc/self/mountinfo".into(),
            errno: Errno::INVAL,
        })
    }

    /// The mounts on `path` in the current namespace, lowest first (the last is the one path
    /// lookups see).
    fn on(&self, path: &str) -> R<Vec<Mount>> {
        let mut t = self.table()?;
        t.retain(|m| m.point == path.as_bytes());
        Ok(t)
    }

    /// The top mount on `path`, if any.
    fn top(&self, path: &str) -> R<Option<Mount>> {
        Ok(self.on(path)?.pop())
    }

    /// The propagation of the top mount on `path`, which must be one.
    fn tag(&self, path: &str) -> R<String> {
        match self.top(path)? {
            Some(m) => Ok(m.propagation),
            None => Err(fail(
                &["find the mount on ", path, " in /proc/self/mountinfo"],
                Errno::NOENT,
            )),
        }
    }

    /// Makes a new mount namespace, a copy of the current one, and enters it; returns its ns file.
    fn new_ns(&self) -> R<OwnedFd> {
        ctx(
            sys::ns::unshare_namespaces(UnshareFlags::NEWNS),
            "unshare(CLONE_NEWNS)",
            "",
        )?;
        let flags = OFlags::RDONLY | OFlags::CLOEXEC;
        let r = rustix::fs::openat(&self.proc_self, c"ns/mnt", flags, Mode::empty());
        ctx(r, "open /proc/self/ns/mnt", "")
    }

    /// Enters the mount namespace of `ns` (setns(2); root and working directory become its root).
    fn enter(&self, ns: &OwnedFd) -> R<()> {
        let r =
            rustix::thread::move_into_link_name_space(ns.as_fd(), Some(LinkNameSpaceType::Mount));
        ctx(r, "setns(CLONE_NEWNS)", "")
    }
}

/// The propagation types, as the experiments run them.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Shared,
    Slave,
    Private,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Shared => "shared",
            Kind::Slave => "slave",
            Kind::Private => "private",
        }
    }
}

/// One experiment with two namespaces: the mount's propagation in each, and what each saw of a
/// mount made in the other (None: no such mount in its table).
struct Pair {
    kind: Kind,
    dir: String,
    a: String,
    b: String,
    b_sees_a: Option<Mount>,
    a_sees_b: Option<Mount>,
}

fn pair(s: &Scratch, kind: Kind) -> R<Pair> {
    let dir = out::cat(&[s.base, "/", kind.name()]);
    tmpfs(&dir, kind.name())?;
    set(
        &dir,
        match kind {
            Kind::Private => Prop::PRIVATE,
            _ => Prop::SHARED,
        },
    )?;
    let b = s.new_ns()?;
    if kind == Kind::Slave {
        set(&dir, Prop::DOWNSTREAM)?;
    }
    let tag_b = s.tag(&dir)?;
    s.enter(&s.home)?;
    let tag_a = s.tag(&dir)?;
    let from_a = out::cat(&[&dir, "/from-a"]);
    tmpfs(&from_a, "from-a")?;
    s.enter(&b)?;
    let b_sees_a = s.top(&from_a)?;
    let from_b = out::cat(&[&dir, "/from-b"]);
    tmpfs(&from_b, "from-b")?;
    s.enter(&s.home)?;
    let a_sees_b = s.top(&from_b)?;
    Ok(Pair {
        kind,
        dir,
        a: tag_a,
        b: tag_b,
        b_sees_a,
        a_sees_b,
    })
}

/// The unbindable experiment: the mount's propagation, what a bind of it gave (Ok: the mount it
/// made), and a recursive bind of a tree with it inside: whether the copy has the tree's top and
/// the unbindable mount.
struct Unbind {
    dir: String,
    tag: String,
    bind: Result<Option<Mount>, Errno>,
    rbind: Result<(bool, bool), Errno>,
}

fn unbindable(s: &Scratch) -> R<Unbind> {
    let dir = out::cat(&[s.base, "/unbindable"]);
    tmpfs(&dir, "unbindable")?;
    set(&dir, Prop::UNBINDABLE)?;
    let tag = s.tag(&dir)?;
    let target = out::cat(&[&dir, "-bind"]);
    mkdir(&target)?;
    let bound = match bind(&dir, &target, false)? {
        Ok(()) => Ok(s.top(&target)?),
        Err(e) => Err(e),
    };
    let tree = out::cat(&[s.base, "/tree"]);
    tmpfs(&tree, "tree")?;
    set(&tree, Prop::PRIVATE)?;
    let sub = out::cat(&[&tree, "/sub"]);
    tmpfs(&sub, "sub")?;
    set(&sub, Prop::UNBINDABLE)?;
    let copy = out::cat(&[&tree, "-copy"]);
    mkdir(&copy)?;
    let rbind = match bind(&tree, &copy, true)? {
        Ok(()) => Ok((
            s.top(&copy)?.is_some(),
            s.top(&out::cat(&[&copy, "/sub"]))?.is_some(),
        )),
        Err(e) => Err(e),
    };
    Ok(Unbind {
        dir,
        tag,
        bind: bound,
        rbind,
    })
}

/// What the scratch side saw of a proc mounted on /proc in a new mount and PID namespace.
struct ProcSeen {
    /// The mounts on /proc on the scratch side before (a container has its own on the host's).
    before: usize,
    /// The new namespace's mount(2) of proc on /proc.
    mounted: Result<(), Errno>,
    /// The mounts on /proc on the scratch side while that namespace lived.
    on_proc: Vec<Mount>,
    /// The pids its /proc then listed.
    pids: Vec<u32>,
    /// Its /proc/self then.
    self_link: Result<Vec<u8>, Errno>,
    /// The mounts on /proc once the new namespace's processes were gone.
    left: usize,
}

/// The trap: the scratch `/` shared as systemd leaves a host, then private as nsrun makes it.
struct Trap {
    root: String,
    proc: String,
    shared: ProcSeen,
    unmounted: usize,
    private_root: String,
    private: ProcSeen,
}

/// The pipes between the scratch process and the new namespace's PID 1.
struct TrapArg {
    /// PID 1 writes its mount's errno (0: it worked) here, as 4 bytes.
    report: i32,
    /// PID 1 waits for the end of this pipe before it exits.
    go: i32,
    /// The scratch process's pid.
    parent: i32,
}

/// Dies with the process that started this one (or at once if that one is gone already): no
/// demo process outlives nsrun, and with the last of them every scratch namespace goes.
fn die_with_parent(parent: i32) {
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    if rustix::process::getppid().map_or(0, |p| p.as_raw_nonzero().get()) != parent {
        sys::exit::exit_now(status::SETUP_FAILED)
    }
}

/// The new namespace's PID 1: mounts proc on /proc, says how that went, waits, exits.
fn trap_pid1(arg: &TrapArg) -> ! {
    // Its parent is in the parent PID namespace: getppid() is 0 here.
    die_with_parent(0);
    let flags = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
    let r = rustix::mount::mount(c"proc", c"/proc", c"proc", flags, None);
    let code = r.err().map_or(0, |e| e.raw_os_error());
    sys::fd::write_all(sys::fd::borrow_named(arg.report), &code.to_ne_bytes());
    let mut b = [0u8; 1];
    while let Ok(n) = sys::fd::read(sys::fd::borrow_named(arg.go), &mut b) {
        if n == 0 {
            break;
        }
    }
    sys::exit::exit_now(0)
}

/// The process that makes the new mount and PID namespace (unshare(2) puts its children in the
/// PID namespace, so it starts PID 1 and waits for it).
fn trap_parent(arg: &TrapArg) -> ! {
    die_with_parent(arg.parent);
    let flags = UnshareFlags::NEWNS | UnshareFlags::NEWPID;
    if let Err(e) = sys::ns::unshare_namespaces(flags) {
        sys::fd::write_all(
            sys::fd::borrow_named(arg.report),
            &(-e.raw_os_error()).to_ne_bytes(),
        );
        sys::exit::exit_now(1)
    }
    let code = match sys::stack::Stack::new(STACK) {
        Ok(stack) => match sys::clone::spawn(&stack, libc::SIGCHLD, trap_pid1, arg, &[]) {
            Ok(pid) => wait(pid),
            Err(_) => 1,
        },
        Err(_) => 1,
    };
    sys::exit::exit_now(code)
}

fn wait(pid: i32) -> i32 {
    loop {
        match rustix::process::waitpid(Pid::from_raw(pid), WaitOptions::empty()) {
            Err(Errno::INTR) => continue,
            Ok(Some((_, st))) => return status::from_wait(st.as_raw()),
            _ => return status::SETUP_FAILED,
        }
    }
}

/// Runs the new mount and PID namespace and looks at /proc from the scratch side meanwhile.
fn proc_in_new_ns(s: &Scratch) -> R<ProcSeen> {
    let before = s.on("/proc")?.len();
    let pipe = || {
        ctx(
            rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC),
            "pipe",
            "",
        )
    };
    let (report_r, report_w) = pipe()?;
    let (go_r, go_w) = pipe()?;
    let arg = TrapArg {
        report: report_w.as_raw_fd(),
        go: go_r.as_raw_fd(),
        parent: rustix::process::getpid().as_raw_nonzero().get(),
    };
    let stack = ctx(sys::stack::Stack::new(STACK), "map a stack", "")?;
    let close = [report_r.as_fd(), go_w.as_fd(), sys::fd::borrow_named(s.out)];
    let pid = ctx(
        sys::clone::spawn(&stack, libc::SIGCHLD, trap_parent, &arg, &close),
        "clone",
        "",
    )?;
    drop((report_w, go_r));
    let mut code = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match sys::fd::read(report_r.as_fd(), &mut code[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    let code = i32::from_ne_bytes(code);
    if got < 4 || code < 0 {
        drop(go_w);
        wait(pid);
        return Err(Fail {
            what: "unshare(CLONE_NEWNS|CLONE_NEWPID) in the trap's new namespace".into(),
            errno: Errno::from_raw_os_error(if got < 4 { libc::EIO } else { -code }),
        });
    }
    let mounted = match code {
        0 => Ok(()),
        e => Err(Errno::from_raw_os_error(e)),
    };
    let on_proc = s.on("/proc")?;
    let pids = pids_in_proc()?;
    let mut link = [0u8; 32];
    let self_link = rustix::fs::readlinkat_raw(rustix::fs::CWD, c"/proc/self", &mut link[..])
        .map(|n| link[..n].to_vec());
    drop(go_w);
    wait(pid);
    let left = s.on("/proc")?.len();
    Ok(ProcSeen {
        before,
        mounted,
        on_proc,
        pids,
        self_link,
        left,
    })
}

/// The numeric entries of whatever /proc is now (the top mount on it), in readdir's order
/// (procfs lists pids in increasing order).
fn pids_in_proc() -> R<Vec<u32>> {
    let dir = open_dir("/proc")?;
    let mut buf = [core::mem::MaybeUninit::<u8>::uninit(); 2048];
    let mut entries = rustix::fs::RawDir::new(&dir, &mut buf);
    let mut pids = Vec::new();
    while let Some(entry) = entries.next() {
        let entry = ctx(entry, "read /proc", "")?;
        if let Ok(n) = crate::mountinfo::number(entry.file_name().to_bytes()) {
            pids.push(n);
        }
    }
    Ok(pids)
}

fn trap(s: &Scratch) -> R<Trap> {
    set("/", Prop::SHARED | Prop::REC)?;
    let root = s.tag("/")?;
    let proc = s.tag("/proc")?;
    let shared = proc_in_new_ns(s)?;
    // The proc that came over: taken off again, so the scratch /proc is its own once more.
    let mut unmounted = shared.left;
    if shared.left > shared.before {
        let r = rustix::mount::unmount(c"/proc", UnmountFlags::DETACH);
        ctx(r, "umount /proc (the proc that propagated)", "")?;
        unmounted = s.on("/proc")?.len();
    }
    set("/", Prop::PRIVATE | Prop::REC)?;
    let private_root = s.tag("/")?;
    let private = proc_in_new_ns(s)?;
    Ok(Trap {
        root,
        proc,
        shared,
        unmounted,
        private_root,
        private,
    })
}

/// How the scratch namespace began: whether it needed a user namespace, `/`'s propagation once
/// made private, and the demo's tmpfs.
struct Start {
    userns: bool,
    root: String,
    base: &'static str,
    tmpfs: Mount,
}

/// Everything the scratch process observed.
struct Report {
    start: Start,
    pairs: Vec<Pair>,
    unbind: Unbind,
    trap: Trap,
}

/// Enters a mount namespace of its own: unshare(CLONE_NEWNS), or with a new user namespace where
/// that is refused (EPERM: no CAP_SYS_ADMIN), mapping the caller's uid and gid to 0 in it.
fn own_namespace() -> R<bool> {
    match sys::ns::unshare_namespaces(UnshareFlags::NEWNS) {
        Ok(()) => return Ok(false),
        Err(Errno::PERM) => {}
        Err(e) => return ctx(Err(e), "unshare(CLONE_NEWNS)", ""),
    }
    let (uid, gid) = (
        rustix::process::geteuid().as_raw(),
        rustix::process::getegid().as_raw(),
    );
    ctx(
        sys::ns::unshare_namespaces(UnshareFlags::NEWUSER | UnshareFlags::NEWNS),
        "unshare(CLONE_NEWNS) needs CAP_SYS_ADMIN, and unshare(CLONE_NEWUSER|CLONE_NEWNS)",
        "",
    )?;
    let pid = rustix::process::getpid().as_raw_nonzero().get();
    for (file, text) in [
        ("setgroups", String::from("deny")),
        ("uid_map", format!("0 {uid} 1")),
        ("gid_map", format!("0 {gid} 1")),
    ] {
        ctx(
            crate::run::userns::write_proc_file(pid, file, text.as_bytes()),
            "write /proc/self/",
            file,
        )?;
    }
    Ok(true)
}

fn observe(out: i32) -> R<Report> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    // On a procfs only: the demo reads its tables there and mounts through /proc/self/fd.
    let proc_self = ctx(
        mounts::open_proc_dir(None),
        "open /proc/self (a procfs)",
        "",
    )?;
    let userns = own_namespace()?;
    set("/", Prop::PRIVATE | Prop::REC)?;
    let home = ctx(
        rustix::fs::openat(
            &proc_self,
            c"ns/mnt",
            flags & !OFlags::DIRECTORY,
            Mode::empty(),
        ),
        "open /proc/self/ns/mnt",
        "",
    )?;
    let mut s = Scratch {
        proc_self,
        home,
        base: "/tmp",
        out,
    };
    let root = s.tag("/")?;
    let base = match ["/tmp", "/mnt"].into_iter().find(|p| open_dir(p).is_ok()) {
        Some(b) => b,
        None => {
            return Err(Fail {
                what: "find /tmp or /mnt to mount the demo's tmpfs on (in its own namespace)"
                    .into(),
                errno: Errno::NOENT,
            })
        }
    };
    s.base = base;
    let dir = open_dir(base)?;
    let mut buf = [0; 32];
    let r = rustix::mount::mount(
        c"nsrun-demo",
        fd_path(dir.as_fd(), &mut buf),
        c"tmpfs",
        MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
        c"size=256k,mode=0700",
    );
    ctx(r, "mount tmpfs on ", base)?;
    set(base, Prop::PRIVATE)?;
    let tmpfs = s.top(base)?.ok_or_else(|| {
        fail(
            &["find the tmpfs on ", base, " in /proc/self/mountinfo"],
            Errno::NOENT,
        )
    })?;
    let start = Start {
        userns,
        root,
        base,
        tmpfs,
    };
    let mut pairs = Vec::new();
    for kind in [Kind::Shared, Kind::Slave, Kind::Private] {
        pairs.push(pair(&s, kind)?);
    }
    let unbind = unbindable(&s)?;
    let trap = trap(&s)?;
    Ok(Report {
        start,
        pairs,
        unbind,
        trap,
    })
}

/// The stack of each process the demo starts.
const STACK: usize = 256 * 1024;

/// The scratch process's argument: the pipe to write its report to, and the form.
struct Arg {
    out: i32,
    json: bool,
    parent: i32,
}

fn scratch(arg: &Arg) -> ! {
    die_with_parent(arg.parent);
    match observe(arg.out) {
        Ok(r) => {
            let text = match arg.json {
                true => json(&r),
                false => text(&r),
            };
            sys::fd::write_all(sys::fd::borrow_named(arg.out), text.as_bytes());
            sys::exit::exit_now(0)
        }
        Err(f) => {
            let hint = match f.errno {
                Errno::PERM | Errno::ACCESS | Errno::NOSPC | Errno::USERS => {
                    " (hint: the demo needs CAP_SYS_ADMIN, or an unprivileged user namespace: \
                     check sysctl user.max_user_namespaces and kernel.unprivileged_userns_clone)"
                }
                _ => "",
            };
            out::error_line(format_args!(
                "demo propagation: {}: {}{hint}",
                f.what,
                errno_name(f.errno)
            ));
            sys::exit::exit_now(status::SETUP_FAILED)
        }
    }
}

fn seen(s: &mut String, m: &Option<Mount>) {
    let _ = match m {
        Some(m) => write!(
            s,
            "sees it ({} {}, {})",
            Bytes(&m.fstype),
            Bytes(&m.source),
            m.propagation
        ),
        None => write!(s, "does not see it"),
    };
}

/// `[1, 2]`, without the Debug machinery.
fn list(s: &mut String, numbers: &[u32]) {
    s.push('[');
    for (i, n) in numbers.iter().enumerate() {
        let _ = write!(s, "{}{n}", if i == 0 { "" } else { ", " });
    }
    s.push(']');
}

fn mounts_word(n: usize) -> &'static str {
    match n {
        1 => "mount",
        _ => "mounts",
    }
}

fn proc_text(s: &mut String, p: &ProcSeen) {
    let _ = write!(
        s,
        "  a new mount and PID namespace (unshare(CLONE_NEWNS|CLONE_NEWPID), propagation \
         unchanged) mounts proc on /proc: {}\n  the scratch side then has {} {} on /proc ({} \
         before)",
        match p.mounted {
            Ok(()) => String::from("ok"),
            Err(e) => errno_name(e),
        },
        p.on_proc.len(),
        mounts_word(p.on_proc.len()),
        p.before
    );
    if let Some(top) = p.on_proc.last() {
        let _ = write!(
            s,
            ", the top one {} ({}, id {})",
            Bytes(&top.fstype),
            top.propagation,
            top.id
        );
    }
    let _ = match p.pids.len() {
        0..=8 => {
            s.push_str("; its /proc lists pids ");
            list(s, &p.pids);
            Ok(())
        }
        n => write!(s, "; its /proc lists {n} pids"),
    };
    s.push_str("; /proc/self: ");
    let _ = match &p.self_link {
        Ok(l) => writeln!(s, "{}", Bytes(l)),
        Err(e) => writeln!(s, "{}", errno_name(*e)),
    };
    let _ = writeln!(
        s,
        "  once the new namespace's processes are gone: {} {} on /proc",
        p.left,
        mounts_word(p.left)
    );
}

fn text(r: &Report) -> String {
    let mut s = String::new();
    let st = &r.start;
    let _ = writeln!(
        s,
        "scratch: a mount namespace of its own{}; / made private: {}; tmpfs {} on {} ({})",
        match st.userns {
            true => " in a new user namespace (no CAP_SYS_ADMIN here)",
            false => "",
        },
        st.root,
        Bytes(&st.tmpfs.source),
        st.base,
        st.tmpfs.propagation
    );
    for p in &r.pairs {
        let _ = write!(
            s,
            "{}: {} in namespace A is {}; in B (unshare(CLONE_NEWNS) of A{}) {}\n  \
             mount in A on {}/from-a: B ",
            p.kind.name(),
            p.dir,
            p.a,
            match p.kind {
                Kind::Slave => ", then MS_SLAVE",
                _ => "",
            },
            p.b,
            p.dir
        );
        seen(&mut s, &p.b_sees_a);
        let _ = write!(s, "\n  mount in B on {}/from-b: A ", p.dir);
        seen(&mut s, &p.a_sees_b);
        s.push('\n');
    }
    let u = &r.unbind;
    let _ = write!(
        s,
        "unbindable: {} is {}; bind of it on {}-bind: ",
        u.dir, u.tag, u.dir
    );
    let _ = match &u.bind {
        Err(e) => writeln!(s, "{}", errno_name(*e)),
        Ok(m) => writeln!(
            s,
            "made ({})",
            m.as_ref().map_or("", |m| m.propagation.as_str())
        ),
    };
    let _ = match u.rbind {
        Ok((top, sub)) => writeln!(
            s,
            "  recursive bind of {b}/tree (with the unbindable {b}/tree/sub) on {b}/tree-copy: \
             {b}/tree-copy is {}a mount, {b}/tree-copy/sub is {}a mount",
            if top { "" } else { "not " },
            if sub { "" } else { "not " },
            b = st.base
        ),
        Err(e) => writeln!(s, "  recursive bind of {}/tree: {}", st.base, errno_name(e)),
    };
    let t = &r.trap;
    let _ = writeln!(
        s,
        "trap: the scratch namespace's mounts made shared, as systemd leaves a host: / {}, /proc {}",
        t.root, t.proc
    );
    proc_text(&mut s, &t.shared);
    let _ = writeln!(
        s,
        "  after umount of the top one: {} {} on /proc; then / made private recursively, \
         as nsrun does by default: / {}",
        t.unmounted,
        mounts_word(t.unmounted),
        t.private_root
    );
    proc_text(&mut s, &t.private);
    s
}

fn json_mount(s: &mut String, m: Option<&Mount>) {
    match m {
        None => s.push_str("null"),
        Some(m) => {
            let _ = write!(s, "{{\"id\":{},\"fstype\":", m.id);
            json_str(s, &m.fstype);
            s.push_str(",\"source\":");
            json_str(s, &m.source);
            s.push_str(",\"propagation\":");
            json_str(s, m.propagation.as_bytes());
            s.push('}');
        }
    }
}

fn json_errno(s: &mut String, key: &str, r: &Result<(), Errno>) {
    let _ = match r {
        Ok(()) => write!(s, "\"{key}\":0"),
        Err(e) => write!(s, "\"{key}\":{}", e.raw_os_error()),
    };
}

fn json_proc(s: &mut String, key: &str, p: &ProcSeen) {
    let _ = write!(s, "\"{key}\":{{\"proc_mounts_before\":{},", p.before);
    json_errno(s, "mount_errno", &p.mounted);
    let _ = write!(s, ",\"proc_mounts\":{},\"top\":", p.on_proc.len());
    json_mount(s, p.on_proc.last());
    // The list only when short: a /proc of the host's PID namespace lists every process.
    let _ = match p.pids.len() {
        n @ 0..=8 => {
            let _ = write!(s, ",\"pid_count\":{n},\"pids\":");
            list(s, &p.pids);
            Ok(())
        }
        n => write!(s, ",\"pid_count\":{n},\"pids\":null"),
    };
    s.push_str(",\"self_link\":");
    match &p.self_link {
        Ok(l) => json_str(s, l),
        Err(_) => s.push_str("null"),
    }
    let _ = write!(
        s,
        ",\"self_errno\":{},\"proc_mounts_after\":{}}}",
        p.self_link.as_ref().err().map_or(0, |e| e.raw_os_error()),
        p.left
    );
}

fn json(r: &Report) -> String {
    let mut s = String::new();
    let st = &r.start;
    let _ = write!(s, "{{\"scratch\":{{\"userns\":{},\"root\":", st.userns);
    json_str(&mut s, st.root.as_bytes());
    s.push_str(",\"base\":");
    json_str(&mut s, st.base.as_bytes());
    s.push_str("},\n\"experiments\":[");
    for (i, p) in r.pairs.iter().enumerate() {
        let _ = write!(
            s,
            "{}\n{{\"type\":\"{}\",\"dir\":",
            if i == 0 { "" } else { "," },
            p.kind.name()
        );
        json_str(&mut s, p.dir.as_bytes());
        s.push_str(",\"a\":");
        json_str(&mut s, p.a.as_bytes());
        s.push_str(",\"b\":");
        json_str(&mut s, p.b.as_bytes());
        s.push_str(",\"b_sees_a\":");
        json_mount(&mut s, p.b_sees_a.as_ref());
        s.push_str(",\"a_sees_b\":");
        json_mount(&mut s, p.a_sees_b.as_ref());
        s.push('}');
    }
    let u = &r.unbind;
    s.push_str(",\n{\"type\":\"unbindable\",\"dir\":");
    json_str(&mut s, u.dir.as_bytes());
    s.push_str(",\"a\":");
    json_str(&mut s, u.tag.as_bytes());
    let _ = match &u.bind {
        Err(e) => write!(s, ",\"bind_errno\":{},\"bind\":null", e.raw_os_error()),
        Ok(m) => {
            s.push_str(",\"bind_errno\":0,\"bind\":");
            json_mount(&mut s, m.as_ref());
            Ok(())
        }
    };
    let _ = match u.rbind {
        Ok((top, sub)) => write!(
            s,
            ",\"rbind_errno\":0,\"rbind_copies_tree\":{top},\"rbind_copies_unbindable\":{sub}}}"
        ),
        Err(e) => write!(s, ",\"rbind_errno\":{}}}", e.raw_os_error()),
    };
    let t = &r.trap;
    s.push_str("],\n\"trap\":{\"root\":");
    json_str(&mut s, t.root.as_bytes());
    s.push_str(",\"proc\":");
    json_str(&mut s, t.proc.as_bytes());
    s.push(',');
    json_proc(&mut s, "shared", &t.shared);
    let _ = write!(
        s,
        ",\"proc_mounts_after_umount\":{},\"private_root\":",
        t.unmounted
    );
    json_str(&mut s, t.private_root.as_bytes());
    s.push(',');
    json_proc(&mut s, "private", &t.private);
    s.push('}');
    s
}

/// `nsrun demo propagation [--json]`: runs the experiments in a scratch process and adds whether
/// nsrun's own mount table is the same after as before. The output, or the line saying why there
/// is none (empty when the scratch process already wrote its own on stderr).
pub fn run(json: bool) -> Result<String, String> {
    let before = mounts::read_table(None);
    let r = (|| -> R<(i32, Vec<u8>)> {
        let (r, w) = ctx(
            rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC),
            "pipe",
            "",
        )?;
        let stack = ctx(sys::stack::Stack::new(STACK), "map a stack", "")?;
        let arg = Arg {
            out: w.as_raw_fd(),
            json,
            parent: rustix::process::getpid().as_raw_nonzero().get(),
        };
        let pid = ctx(
            sys::clone::spawn(&stack, libc::SIGCHLD, scratch, &arg, &[r.as_fd()]),
            "clone the scratch process",
            "",
        )?;
        drop(w);
        let mut body = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = sys::fd::read(r.as_fd(), &mut buf) {
            if n == 0 {
                break;
            }
            body.extend_from_slice(&buf[..n]);
        }
        Ok((wait(pid), body))
    })();
    let after = mounts::read_table(None);
    let unchanged = match (&before, &after) {
        (Ok(b), Ok(a)) => Some(a == b),
        _ => None,
    };
    let (code, body) =
        r.map_err(|f| format!("demo propagation: {}: {}", f.what, errno_name(f.errno)))?;
    if unchanged == Some(false) {
        return Err(
            "demo propagation: nsrun's mount table changed while the demo ran (another \
                    program mounted something, or the demo leaked: compare /proc/self/mountinfo)"
                .into(),
        );
    }
    match code {
        0 => {}
        status::SETUP_FAILED => return Err(String::new()),
        c => {
            return Err(format!(
                "demo propagation: the scratch process ended with status {c} (128+N: killed by \
                 signal N)"
            ))
        }
    }
    let mut s = String::from_utf8_lossy(&body).into_owned();
    let count = after
        .as_ref()
        .map_or(0, |t| t.iter().filter(|&&b| b == b'\n').count());
    let _ = match (json, unchanged) {
        (true, u) => writeln!(
            s,
            ",\n\"host\":{{\"unchanged\":{},\"mounts\":{count}}}}}",
            match u {
                Some(true) => "true",
                _ => "null",
            }
        ),
        (false, Some(_)) => writeln!(
            s,
            "host: nsrun's mount table before and after: identical ({count} mounts)"
        ),
        (false, None) => writeln!(s, "host: nsrun's mount table could not be read to compare"),
    };
    Ok(s)
}

#[cfg(test)]
mod tests {
    #[test]
    #[ignore = "needs root or user namespaces (tests/demo.rs checks the observations)"]
    fn runs() {
        for json in [false, true] {
            let out = super::run(json).unwrap();
            std::println!("{out}");
        }
    }
}
