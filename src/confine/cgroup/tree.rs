//! The cgroup of one run: made with its limits, entered, read and removed.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rustix::io::Errno;

use super::detect::{detect_in, Layout};
use super::fs::{decimal, Fs, Real};
use super::{ctl, gc, Error, Request, Swap};
use crate::out::Bytes as Show;
use crate::spec::Bytes;

/// How often removal tries again (every 10 ms, so two seconds) while processes are still dying.
const ROUNDS: u32 = 200;

/// One directory of a run's cgroup: the one on v2, one per hierarchy on v1.
#[derive(Clone, PartialEq, Eq, Debug)]
struct Dir {
    /// The cgroup's directory.
    path: Bytes,
    /// The directories nsrun made for it, outermost first (the cgroup's last); removed at the end.
    made: Vec<Bytes>,
    /// The controllers nsrun uses that it has (bits of `ctl`).
    controllers: u8,
}

/// A run's cgroup, made by [`create`]. Dropping it leaves it in place: call [`Cgroup::remove`].
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Cgroup {
    /// cgroup v2 (one directory) rather than v1.
    v2: bool,
    /// Its directories.
    dirs: Vec<Dir>,
}

/// `dir/name`.
pub(crate) fn join(dir: &[u8], name: &[u8]) -> Bytes {
    [dir, b"/", name].concat()
}

/// What to do about an errno that any cgroup file may give.
fn hint_for(errno: Errno) -> String {
    match errno {
        Errno::ACCESS | Errno::PERM => "nsrun needs write access to the cgroup: run it as root, \
             or give a --cgroup-path below a cgroup delegated to this user (cgroup-v2.rst, \
             \"Delegation Containment\")"
            .into(),
        Errno::ROFS => "the cgroup filesystem is mounted read-only here".into(),
        _ => String::new(),
    }
}

/// An error of a system call on `path`.
fn failed(
    (option, value): (&'static str, String),
    op: &'static str,
    path: &[u8],
    errno: Errno,
    hint: String,
) -> Error {
    Error {
        option,
        value,
        op,
        path: path.to_vec(),
        errno: Some(errno),
        hint: if hint.is_empty() {
            hint_for(errno)
        } else {
            hint
        },
    }
}

/// One limit to write: into the directory with `controller`, the file `file`, the text `value`.
struct Limit {
    controller: u8,
    file: &'static str,
    value: String,
    /// Skipped when the file does not exist (the default swap allowance, where the kernel does
    /// not account swap).
    optional: bool,
}

/// The files and values of `req`'s limits, in the order they must be written.
fn limits(req: &Request, v2: bool) -> Vec<Limit> {
    let mut out = Vec::new();
    let mut add = |controller, file, value: String, optional| {
        out.push(Limit {
            controller,
            file,
            value,
            optional,
        })
    };
    if let Some(m) = req.memory {
        // Swap on top of memory: --memory-swap minus --memory, or by default as much as memory.
        let (swap, optional) = match req.memory_swap {
            Some(Swap::Limit(total)) => (Some(total.saturating_sub(m)), false),
            Some(Swap::Unlimited) => (None, false),
            None => (Some(m), true),
        };
        if v2 {
            add(ctl::MEMORY, "memory.max", format!("{m}"), false);
            let swap = swap.map_or_else(|| "max".into(), |s| format!("{s}"));
            add(ctl::MEMORY, "memory.swap.max", swap, optional);
        } else {
            // Memory first: memory.memsw.limit_in_bytes may not be set below it.
            add(ctl::MEMORY, "memory.limit_in_bytes", format!("{m}"), false);
            let total = swap.map_or_else(|| "-1".into(), |s| format!("{}", m.saturating_add(s)));
            add(ctl::MEMORY, "memory.memsw.limit_in_bytes", total, optional);
        }
    }
    if let Some(n) = req.pids_max {
        add(ctl::PIDS, "pids.max", format!("{n}"), false);
    }
    if let Some(c) = req.cpus {
        if v2 {
            let max = format!("{} {}", c.quota_us, c.period_us);
            add(ctl::CPU, "cpu.max", max, false);
        } else {
            add(
                ctl::CPU,
                "cpu.cfs_period_us",
                format!("{}", c.period_us),
                false,
            );
            add(
                ctl::CPU,
                "cpu.cfs_quota_us",
                format!("{}", c.quota_us),
                false,
            );
        }
    }
    if let Some(w) = req.cpu_weight {
        match v2 {
            true => add(ctl::CPU, "cpu.weight", format!("{w}"), false),
            false => add(
                ctl::CPU,
                "cpu.shares",
                format!("{}", super::cpu_shares(w)),
                false,
            ),
        }
    }
    out
}

/// The hint for a limit file that does not exist.
fn missing_file(file: &str) -> String {
    match file {
        "memory.memsw.limit_in_bytes" => "the kernel does not account swap: boot it with \
             swapaccount=1 (cgroup-v1/memory.rst), or leave --memory-swap out"
            .into(),
        "memory.swap.max" => "the kernel does not account swap (CONFIG_MEMCG_SWAP, \
             swapaccount=1), or leave --memory-swap out"
            .into(),
        _ => "the controller is not enabled in this cgroup".into(),
    }
}

/// Makes `req`'s cgroup (see the module [`super`] for where and how) on this system and writes
/// its limits; on failure nothing is left of it. Checks `req` first ([`Request::check`]).
pub fn create(req: &Request) -> Result<Cgroup, Error> {
    req.check()?;
    let layout = detect_in(&Real, req, req.needs())?;
    create_in(&Real, req, &layout)
}

/// [`create`] on `fs`, in `layout`.
pub(crate) fn create_in(fs: &impl Fs, req: &Request, layout: &Layout) -> Result<Cgroup, Error> {
    let mut cg = Cgroup {
        v2: matches!(layout, Layout::V2(_)),
        dirs: Vec::new(),
    };
    // Controllers enabled in the cgroup.subtree_control of directories nsrun did not make.
    let mut enabled: Vec<(Bytes, &'static str)> = Vec::new();
    match build(fs, req, layout, &mut cg, &mut enabled) {
        Ok(()) => Ok(cg),
        Err(e) => {
            let _ = cg.remove_dirs(fs);
            for (file, name) in enabled.iter().rev() {
                let _ = fs.write(file, format!("-{name}").as_bytes());
            }
            Err(e)
        }
    }
}

/// The work of [`create_in`]; what it made is in `cg` and `enabled` when it fails.
fn build(
    fs: &impl Fs,
    req: &Request,
    layout: &Layout,
    cg: &mut Cgroup,
    enabled: &mut Vec<(Bytes, &'static str)>,
) -> Result<(), Error> {
    let hierarchies = match layout {
        Layout::V2(h) => core::slice::from_ref(h),
        Layout::V1(hs) => hs.as_slice(),
    };
    let default_name;
    let (absolute, components): (bool, Vec<&[u8]>) = match &req.path {
        Some(p) => {
            let rel = p.strip_prefix(b"/").unwrap_or(p);
            let rel = rel.strip_suffix(b"/").unwrap_or(rel);
            (p.starts_with(b"/"), rel.split(|&b| b == b'/').collect())
        }
        None => {
            let me = fs.me().map_err(|e| {
                let hint = "/proc must be the procfs of nsrun's PID namespace".into();
                failed(req.path_option(), "read", b"/proc/self/stat", e, hint)
            })?;
            default_name = gc::name(&me);
            (false, alloc::vec![default_name.as_bytes()])
        }
    };
    for h in hierarchies {
        let mut dir = h.mount.clone();
        if !absolute {
            let Some(own) = &h.own else {
                return Err(Error {
                    option: req.path_option().0,
                    value: req.path_option().1,
                    op: "nsrun's own cgroup is not visible below",
                    path: h.mount.clone(),
                    errno: None,
                    hint: "/proc/self/cgroup names a cgroup this mount does not show: give an \
                           absolute --cgroup-path"
                        .into(),
                });
            };
            if !own.is_empty() {
                dir = join(&dir, own);
            }
        }
        // The directories from the mount's root down to the cgroup's parent (v2 enables the
        // controllers in each).
        let mut ancestors = Vec::new();
        let mut at = h.mount.clone();
        ancestors.push(at.clone());
        for c in dir[h.mount.len()..]
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty())
        {
            at = join(&at, c);
            ancestors.push(at.clone());
        }
        cg.dirs.push(Dir {
            path: Vec::new(),
            made: Vec::new(),
            controllers: if cg.v2 { req.needs() } else { h.controllers },
        });
        let last = components.len() - 1;
        for (i, c) in components.iter().enumerate() {
            dir = join(&dir, c);
            match fs.mkdir(&dir) {
                Ok(()) => {
                    if let Some(d) = cg.dirs.last_mut() {
                        d.made.push(dir.clone());
                    }
                }
                Err(Errno::EXIST) if i < last => {}
                Err(e) => {
                    let hint = match e {
                        Errno::EXIST => "it exists: another run uses it, or a run that was \
                             killed left it (remove it with rmdir once it is empty)"
                            .into(),
                        _ => String::new(),
                    };
                    return Err(failed(req.path_option(), "mkdir", &dir, e, hint));
                }
            }
            if i < last {
                ancestors.push(dir.clone());
            }
        }
        if let Some(d) = cg.dirs.last_mut() {
            d.path = dir.clone();
        }
        if cg.v2 {
            let made = cg.dirs.last().map(|d| d.made.clone()).unwrap_or_default();
            enable(fs, req, &ancestors, &made, enabled)?;
        }
    }
    // The limits.
    for l in limits(req, cg.v2) {
        let Some(d) = cg.dirs.iter().find(|d| d.controllers & l.controller != 0) else {
            continue;
        };
        let file = join(&d.path, l.file.as_bytes());
        match fs.write(&file, l.value.as_bytes()) {
            Ok(()) => {}
            Err(Errno::NOENT) if l.optional => {}
            Err(e) => {
                let hint = match e {
                    Errno::NOENT => missing_file(l.file),
                    Errno::INVAL => "the kernel refused the value".into(),
                    _ => String::new(),
                };
                return Err(failed(
                    req.option_for(l.controller),
                    "write",
                    &file,
                    e,
                    hint,
                ));
            }
        }
    }
    Ok(())
}

/// Enables the controllers `req` needs in the cgroup.subtree_control of each of `ancestors`
/// (from the mount's root down) that lacks them; records in `enabled` those of directories not
/// in `made`.
fn enable(
    fs: &impl Fs,
    req: &Request,
    ancestors: &[Bytes],
    made: &[Bytes],
    enabled: &mut Vec<(Bytes, &'static str)>,
) -> Result<(), Error> {
    for dir in ancestors {
        let file = join(dir, b"cgroup.subtree_control");
        let mut buf = [0u8; 256];
        let n = fs.read(&file, &mut buf).unwrap_or(0);
        let on = buf[..n]
            .split(|&b| b == b' ' || b == b'\n')
            .fold(0, |bits, w| {
                bits | ctl::NAMES
                    .iter()
                    .find(|(_, name)| name.as_bytes() == w)
                    .map_or(0, |(b, _)| *b)
            });
        for (bit, name) in ctl::NAMES {
            if req.needs() & bit == 0 || on & bit != 0 {
                continue;
            }
            match fs.write(&file, format!("+{name}").as_bytes()) {
                Ok(()) => {
                    if !made.contains(dir) {
                        enabled.push((file.clone(), name));
                    }
                }
                Err(e) => {
                    let hint = match e {
                        Errno::BUSY => format!(
                            "{} has processes, and cgroup v2 gives controllers only to the \
                             children of cgroups without (cgroup-v2.rst, \"No Internal Process \
                             Constraint\"): give a --cgroup-path below a cgroup without \
                             processes, e.g. --cgroup-path /nsrun",
                            Show(dir)
                        ),
                        Errno::NOENT => {
                            format!("{}/cgroup.controllers has no {name}", Show(dir))
                        }
                        _ => String::new(),
                    };
                    return Err(failed(req.option_for(bit), "write", &file, e, hint));
                }
            }
        }
    }
    Ok(())
}

/// Every directory of the tree at `root`, parents before their children (an explicit stack: a
/// deep tree made inside the container costs memory, not the launcher's stack).
pub(crate) fn tree(fs: &impl Fs, root: &[u8]) -> Vec<Bytes> {
    let mut out = Vec::new();
    let mut todo = alloc::vec![root.to_vec()];
    while let Some(dir) = todo.pop() {
        for name in fs.subdirs(&dir).unwrap_or_default() {
            todo.push(join(&dir, &name));
        }
        out.push(dir);
    }
    out
}

/// Sends SIGKILL to every process in the trees at `roots` until none is left (true) or the
/// rounds are spent (false). Only processes in these cgroups are killed; a process that forks
/// meanwhile leaves its child in them for the next round.
pub(crate) fn kill_all(fs: &impl Fs, roots: &[&[u8]]) -> bool {
    for _ in 0..ROUNDS {
        let mut found = false;
        for root in roots {
            for dir in tree(fs, root) {
                let _ = fs.lines(&join(&dir, b"cgroup.procs"), &mut |line| {
                    // 0: a process outside this PID namespace (never kill(0), the group).
                    match decimal(line).and_then(|p| u32::try_from(p).ok()) {
                        Some(pid) if pid > 0 => {
                            fs.kill(pid);
                            found = true;
                        }
                        _ => {}
                    }
                });
            }
        }
        if !found {
            return true;
        }
        fs.pause();
    }
    false
}

/// Removes the tree at `root`, children first, trying again on EBUSY (processes still exiting,
/// zombies not yet reaped) while `patience` rounds last. A directory already gone is fine.
pub(crate) fn remove_tree(fs: &impl Fs, root: &[u8], patience: u32) -> Result<(), (Bytes, Errno)> {
    for dir in tree(fs, root).iter().rev() {
        let mut tries = 0;
        loop {
            match fs.rmdir(dir) {
                Ok(()) | Err(Errno::NOENT) => break,
                Err(Errno::BUSY) if tries < patience => {
                    tries += 1;
                    fs.pause();
                }
                Err(e) => return Err((dir.clone(), e)),
            }
        }
    }
    Ok(())
}

impl Cgroup {
    /// A cgroup of existing directories `paths`, removed by [`Cgroup::remove`] like one made.
    #[cfg(test)]
    pub(crate) fn for_tests(v2: bool, paths: &[&[u8]]) -> Cgroup {
        let dirs = paths.iter().map(|p| Dir {
            path: p.to_vec(),
            made: alloc::vec![p.to_vec()],
            controllers: 0,
        });
        Cgroup {
            v2,
            dirs: dirs.collect(),
        }
    }

    /// Moves the process `pid` into the cgroup: writes it to the cgroup.procs of each directory.
    ///
    /// The launcher calls it before it releases the child, so the child executes nothing of the
    /// command outside the cgroup; its children, made after, are born in it.
    pub fn enter(&self, pid: u32) -> Result<(), Error> {
        self.enter_in(&Real, pid)
    }

    /// [`Cgroup::enter`] on `fs`.
    pub(crate) fn enter_in(&self, fs: &impl Fs, pid: u32) -> Result<(), Error> {
        for d in &self.dirs {
            let file = join(&d.path, b"cgroup.procs");
            if let Err(e) = fs.write(&file, format!("{pid}").as_bytes()) {
                return Err(failed(
                    ("cgroup", String::new()),
                    "write",
                    &file,
                    e,
                    String::new(),
                ));
            }
        }
        Ok(())
    }

    /// How many processes the OOM killer killed in the cgroup: `oom_kill` of memory.events (v2)
    /// or of memory.oom_control (v1, Linux 4.13). 0 without the memory controller, or when it
    /// cannot be read. The launcher reads it when the container has ended, to say why it died.
    pub fn oom_kills(&self) -> u64 {
        self.oom_kills_in(&Real)
    }

    /// [`Cgroup::oom_kills`] on `fs`.
    pub(crate) fn oom_kills_in(&self, fs: &impl Fs) -> u64 {
        let Some(d) = self.dirs.iter().find(|d| d.controllers & ctl::MEMORY != 0) else {
            return 0;
        };
        let file = if self.v2 {
            &b"memory.events"[..]
        } else {
            b"memory.oom_control"
        };
        let mut count = 0;
        let _ = fs.lines(&join(&d.path, file), &mut |line| {
            if let Some(n) = line.strip_prefix(b"oom_kill ").and_then(decimal) {
                count = n;
            }
        });
        count
    }

    /// The cgroup's directories (one on v2, one per hierarchy on v1).
    pub fn paths(&self) -> impl Iterator<Item = &[u8]> {
        self.dirs.iter().map(|d| d.path.as_slice())
    }

    /// Whether it is a cgroup v2 one.
    pub fn is_v2(&self) -> bool {
        self.v2
    }

    /// Removes the cgroup when the container has ended (or failed to start): kills what is left
    /// in it (with cgroup.kill on v2 since Linux 5.14, else SIGKILL to each process of each
    /// cgroup.procs until none is left: they can only be the container's), then removes its
    /// directories (and any the container made below them), and those nsrun made for it.
    pub fn remove(self) -> Result<(), Error> {
        self.remove_in(&Real)
    }

    /// [`Cgroup::remove`] on `fs`.
    pub(crate) fn remove_in(&self, fs: &impl Fs) -> Result<(), Error> {
        if self.v2 {
            for d in &self.dirs {
                let _ = fs.write(&join(&d.path, b"cgroup.kill"), b"1");
            }
        }
        let roots: Vec<&[u8]> = self.paths().collect();
        kill_all(fs, &roots);
        self.remove_dirs(fs).map_err(|(dir, e)| {
            let hint = match e {
                Errno::BUSY => "processes are still in it (see its cgroup.procs)".into(),
                _ => String::new(),
            };
            failed(("cgroup", String::new()), "rmdir", &dir, e, hint)
        })
    }

    /// Removes the directories: each cgroup with what is below it, then the parents nsrun made
    /// (from the innermost), unless other runs use them (then they and those above stay). The
    /// first failure is returned; the other hierarchies are still tried.
    fn remove_dirs(&self, fs: &impl Fs) -> Result<(), (Bytes, Errno)> {
        let mut first = Ok(());
        for d in &self.dirs {
            for p in d.made.iter().rev() {
                if *p == d.path {
                    if let Err(e) = remove_tree(fs, p, ROUNDS) {
                        first = first.and(Err(e));
                        break;
                    }
                } else if fs.rmdir(p).is_err() {
                    break;
                }
            }
        }
        first
    }
}
