//! The cgroup of one run: made with its limits, entered, read and removed.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rustix::io::Errno;

use super::detect::{choose, detect_in, distinct, tables, Layout};
use super::fs::{Fs, Owner, Real};
use super::parse::{decimal, Dec};
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

/// The hint for a limit file that does not exist.
fn missing_file(file: &str) -> &'static str {
    match file {
        "memory.memsw.limit_in_bytes" => {
            "the kernel does not account swap: boot it with \
             swapaccount=1 (cgroup-v1/memory.rst), or leave --memory-swap out"
        }
        "memory.swap.max" => {
            "the kernel does not account swap (CONFIG_MEMCG_SWAP, \
             swapaccount=1), or leave --memory-swap out"
        }
        _ => "the controller is not enabled in this cgroup",
    }
}

/// Makes `req`'s cgroup (see the module [`super`] for where and how) on this system and writes
/// its limits; on failure nothing is left of it. Checks `req` first ([`Request::check`]).
pub fn create(req: &Request) -> Result<Cgroup, Box<Error>> {
    req.check()?;
    let layout = detect_in(&Real, req, req.needs())?;
    create_in(&Real, req, &layout)
}

/// [`super::gc`] (best effort: what it cannot remove stays for a later run), then [`create`]:
/// the launcher's way, which reads /proc/self/cgroup, /proc/self/mountinfo and /proc/self/stat
/// once for both (nothing gc removes changes them).
pub fn gc_and_create(req: &Request) -> Result<Cgroup, Box<Error>> {
    let fs = &Real;
    let me = fs.me();
    let found = tables(fs);
    if let (Ok(me), Ok(found)) = (&me, &found) {
        gc::collect(fs, me, &distinct(found));
    }
    req.check()?;
    let layout = choose(&found?, req, req.needs())?;
    create_unnamed(fs, req, &layout, Some(me)).map_err(|e| e.about(req))
}

/// [`create`] on `fs`, in `layout`.
pub(crate) fn create_in(
    fs: &impl Fs,
    req: &Request,
    layout: &Layout,
) -> Result<Cgroup, Box<Error>> {
    create_unnamed(fs, req, layout, None).map_err(|e| e.about(req))
}

/// [`create_in`], with errors not yet naming the option; `me`: what [`Fs::me`] gave, if it was
/// asked already.
fn create_unnamed(
    fs: &impl Fs,
    req: &Request,
    layout: &Layout,
    me: Option<Result<Owner, Errno>>,
) -> Result<Cgroup, Box<Error>> {
    let mut cg = Cgroup {
        v2: matches!(layout, Layout::V2(_)),
        dirs: Vec::new(),
    };
    let made = build(fs, req, layout, &mut cg, me).and_then(|()| limits(fs, req, &cg));
    if let Err(e) = made {
        // The controllers it enabled in existing ancestors stay enabled, as after a run:
        // disabling one could take the limits of a sibling another run made meanwhile.
        let _ = cg.remove_dirs(fs);
        return Err(e);
    }
    Ok(cg)
}

/// Makes the directories (and on v2 enables the controllers); what it made is in `cg` when it
/// fails.
fn build(
    fs: &impl Fs,
    req: &Request,
    layout: &Layout,
    cg: &mut Cgroup,
    me: Option<Result<Owner, Errno>>,
) -> Result<(), Box<Error>> {
    let hierarchies = match layout {
        Layout::V2(h) => core::slice::from_ref(h),
        Layout::V1(hs) => hs.as_slice(),
    };
    let default_name;
    let (absolute, rel): (bool, &[u8]) = match &req.path {
        Some(p) => {
            let rel = p.strip_prefix(b"/").unwrap_or(p);
            (rel.len() < p.len(), rel.strip_suffix(b"/").unwrap_or(rel))
        }
        None => {
            let me = me.unwrap_or_else(|| fs.me()).map_err(gc::me_error)?;
            default_name = gc::name(&me);
            (false, default_name.as_bytes())
        }
    };
    for h in hierarchies {
        let mut dir = h.mount.clone();
        match (&h.own, absolute) {
            (_, true) => {}
            (Some(own), false) => push(&mut dir, own),
            (None, false) => {
                return Err(Error::new(
                    0,
                    "nsrun's own cgroup is not visible below",
                    &h.mount,
                    None,
                    "/proc/self/cgroup names a cgroup this mount does not show: give an \
                     absolute --cgroup-path"
                        .into(),
                ));
            }
        }
        let mut d = Dir {
            path: Vec::new(),
            made: Vec::new(),
            controllers: if cg.v2 { req.needs() } else { h.controllers },
        };
        let mut rest = rel;
        let made = loop {
            let (c, more) = match rest.iter().position(|&b| b == b'/') {
                Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                None => (rest, None),
            };
            push(&mut dir, c);
            match fs.mkdir(&dir) {
                Ok(()) => d.made.push(dir.clone()),
                Err(Errno::EXIST) if more.is_some() => {}
                Err(e) => break Err((dir, e)),
            }
            match more {
                Some(m) => rest = m,
                None => break Ok(dir),
            }
        };
        let done = match made {
            Ok(leaf) => {
                d.path = leaf;
                // No controller to enable for devices on v2: an eBPF program filters them.
                let enabled = req.needs() & !ctl::DEVICES;
                match cg.v2 && enabled != 0 {
                    true => enable(fs, enabled, &d.path, h.mount.len()),
                    false => Ok(()),
                }
            }
            Err((dir, e)) => {
                let hint = match e {
                    Errno::EXIST => {
                        "it exists: another run uses it, or a run that was killed \
                         left it (remove it with rmdir once it is empty)"
                    }
                    _ => "",
                };
                Err(Error::new(0, "mkdir", &dir, Some(e), hint.into()))
            }
        };
        cg.dirs.push(d);
        done?;
    }
    Ok(())
}

/// The cgroup a run made with [`Request::keep`] (an OCI container's, named by its path), found
/// again after its launcher has exited, so that [`Cgroup::remove`] can end what is left in it
/// and remove it (`delete`). Only its last directory is removed; parents made for it stay. The
/// layout is detected for `req` as [`create`] detected it: give the same request.
pub fn find_kept(req: &Request) -> Result<Cgroup, Box<Error>> {
    find_kept_in(&Real, req)
}

/// [`find_kept`] on `fs`.
pub(crate) fn find_kept_in(fs: &impl Fs, req: &Request) -> Result<Cgroup, Box<Error>> {
    let Some(p) = &req.path else {
        return Err(Error::usage(
            "cgroup",
            String::new(),
            "a kept cgroup is found by its path",
        ));
    };
    let layout = detect_in(fs, req, req.needs())?;
    let hierarchies = match &layout {
        Layout::V2(h) => core::slice::from_ref(h),
        Layout::V1(hs) => hs.as_slice(),
    };
    let rel = p.strip_prefix(b"/").unwrap_or(p);
    let absolute = rel.len() < p.len();
    let rel = rel.strip_suffix(b"/").unwrap_or(rel);
    let mut cg = Cgroup {
        v2: matches!(layout, Layout::V2(_)),
        dirs: Vec::new(),
    };
    for h in hierarchies {
        let mut dir = h.mount.clone();
        if !absolute {
            match &h.own {
                Some(own) => push(&mut dir, own),
                None => {
                    return Err(Error::new(
                        0,
                        "nsrun's own cgroup is not visible below",
                        &h.mount,
                        None,
                        String::new(),
                    )
                    .about(req))
                }
            }
        }
        for c in rel.split(|&b| b == b'/') {
            push(&mut dir, c);
        }
        let mut buf = [0u8; 1];
        if let Err(e) = fs.read(&join(&dir, b"cgroup.procs"), &mut buf) {
            return Err(Error::new(0, "find", &dir, Some(e), String::new()).about(req));
        }
        cg.dirs.push(Dir {
            made: alloc::vec![dir.clone()],
            path: dir,
            controllers: if cg.v2 { req.needs() } else { h.controllers },
        });
    }
    Ok(cg)
}

/// Appends the component `c` (none when empty) to the path `dir`.
fn push(dir: &mut Bytes, c: &[u8]) {
    if !c.is_empty() {
        dir.push(b'/');
        dir.extend_from_slice(c);
    }
}

/// cgroup v1: a new cpuset cgroup starts with no CPUs and no memory nodes, and takes no task
/// until it has both (cgroup-v1/cpusets.rst): each directory nsrun made on the way, outermost
/// first, gets its parent's, as runc gives them.
fn cpuset_from_parents(fs: &impl Fs, cg: &Cgroup) -> Result<(), Box<Error>> {
    let Some(d) = cg.dirs.iter().find(|d| d.controllers & ctl::CPUSET != 0) else {
        return Ok(());
    };
    for dir in &d.made {
        let Some(cut) = dir.iter().rposition(|&b| b == b'/') else {
            continue;
        };
        let parent = &dir[..cut];
        for file in ["cpuset.cpus", "cpuset.mems"] {
            let mut buf = [0u8; 4096];
            let read = |path: &[u8], buf: &mut [u8]| {
                fs.read(path, buf)
                    .map_err(|e| Error::new(ctl::CPUSET, "read", path, Some(e), String::new()))
            };
            let own = join(dir, file.as_bytes());
            let n = read(&own, &mut buf)?;
            if !buf[..n].trim_ascii().is_empty() {
                continue;
            }
            let from = join(parent, file.as_bytes());
            let n = read(&from, &mut buf)?;
            let value = buf[..n].trim_ascii();
            fs.write(&own, value)
                .map_err(|e| Error::new(ctl::CPUSET, "write", &own, Some(e), String::new()))?;
        }
    }
    Ok(())
}

/// Writes `req`'s limits into the files of `cg`, in the order the kernel needs.
fn limits(fs: &impl Fs, req: &Request, cg: &Cgroup) -> Result<(), Box<Error>> {
    let v2 = cg.v2;
    let put = |controller: u8, file: &'static str, value: &[u8], optional: bool| {
        let Some(d) = cg.dirs.iter().find(|d| d.controllers & controller != 0) else {
            return Ok(());
        };
        let path = join(&d.path, file.as_bytes());
        match fs.write(&path, value) {
            Err(Errno::NOENT) if optional => Ok(()),
            Err(e) => {
                let hint = match e {
                    Errno::NOENT => missing_file(file),
                    Errno::INVAL => "the kernel refused the value",
                    _ => "",
                };
                Err(Error::new(controller, "write", &path, Some(e), hint.into()))
            }
            Ok(()) => Ok(()),
        }
    };
    if let Some(m) = req.memory {
        // Swap on top of memory: --memory-swap minus --memory, or by default as much as memory.
        let (swap, optional) = match req.memory_swap {
            Some(Swap::Limit(total)) => (Some(total.saturating_sub(m)), false),
            Some(Swap::Unlimited) => (None, false),
            None => (Some(m), true),
        };
        // v1: memory first, as memory.memsw.limit_in_bytes may not be set below it.
        let (memory, both) = match v2 {
            true => ("memory.max", "memory.swap.max"),
            false => ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes"),
        };
        put(ctl::MEMORY, memory, Dec::new(m).bytes(), false)?;
        let swap = swap.map(|s| Dec::new(if v2 { s } else { s.saturating_add(m) }));
        let none: &[u8] = if v2 { b"max" } else { b"-1" };
        put(
            ctl::MEMORY,
            both,
            swap.as_ref().map_or(none, Dec::bytes),
            optional,
        )?;
    }
    if let Some(n) = req.pids_max {
        put(ctl::PIDS, "pids.max", Dec::new(n).bytes(), false)?;
    }
    if req.cpuset_cpus.is_some() || req.cpuset_mems.is_some() {
        if !v2 {
            cpuset_from_parents(fs, cg)?;
        }
        for (file, value) in [
            ("cpuset.cpus", &req.cpuset_cpus),
            ("cpuset.mems", &req.cpuset_mems),
        ] {
            if let Some(v) = value {
                put(ctl::CPUSET, file, v, false)?;
            }
        }
    }
    if let Some(c) = req.cpus {
        let (quota, period) = (Dec::new(c.quota_us), Dec::new(c.period_us));
        if v2 {
            let max = [quota.bytes(), b" ", period.bytes()].concat();
            put(ctl::CPU, "cpu.max", &max, false)?;
        } else {
            put(ctl::CPU, "cpu.cfs_period_us", period.bytes(), false)?;
            put(ctl::CPU, "cpu.cfs_quota_us", quota.bytes(), false)?;
        }
    }
    match v2 {
        // cgroup v2: one eBPF program for the whole list, attached to the cgroup.
        true if !req.devices.is_empty() => {
            if let Some(d) = cg.dirs.first() {
                fs.device_filter(&d.path, &req.devices).map_err(|e| {
                    let hint = match e {
                        Errno::PERM => "loading an eBPF program needs CAP_BPF (CAP_SYS_ADMIN before Linux 5.8)",
                        Errno::INVAL => "the kernel has no cgroup BPF (CONFIG_CGROUP_BPF) or refused the program",
                        _ => "",
                    };
                    Error::new(ctl::DEVICES, "attach the device filter (eBPF) to", &d.path, Some(e), hint.into())
                })?;
            }
        }
        true => {}
        // v1: each run of allows (or denies) written through one open of its file.
        false => {
            if let Some((deny, allow)) = super::devices::v1_hole(&req.devices) {
                let hint = alloc::format!(
                    "cgroup v1 removes a deny only from an allow of the same numbers, so the \
                     deny of '{}' after the allow of '{}' would be dropped: allow the devices \
                     one by one instead (runc refuses such a list on v1 too)",
                    Show(&deny),
                    Show(&allow)
                );
                return Err(Error::new(
                    ctl::DEVICES,
                    "a deny inside an earlier wildcard allow cannot be kept in",
                    b"devices.deny",
                    None,
                    hint,
                ));
            }
            let dir = cg.dirs.iter().find(|d| d.controllers & ctl::DEVICES != 0);
            let mut rest = req.devices.as_slice();
            while let (Some(d), Some((allow, _))) = (dir, rest.first()) {
                let n = rest.iter().take_while(|(a, _)| a == allow).count();
                let file = if *allow {
                    "devices.allow"
                } else {
                    "devices.deny"
                };
                let lines: Vec<&[u8]> = rest[..n].iter().map(|(_, l)| l.as_slice()).collect();
                let path = join(&d.path, file.as_bytes());
                fs.write_each(&path, &lines).map_err(|e| {
                    let hint = match e {
                        Errno::NOENT => missing_file(file),
                        Errno::INVAL => "the kernel refused the value",
                        _ => "",
                    };
                    Error::new(ctl::DEVICES, "write", &path, Some(e), hint.into())
                })?;
                rest = &rest[n..];
            }
        }
    }
    if let Some(r) = req.memory_reservation {
        let file = if v2 {
            "memory.low"
        } else {
            "memory.soft_limit_in_bytes"
        };
        put(ctl::MEMORY, file, Dec::new(r).bytes(), false)?;
    }
    if let Some(shares) = req.cpu_shares {
        match v2 {
            // runc's conversion of shares (2 to 262144) to a weight (1 to 10000).
            true => {
                let weight = 1 + (shares.clamp(2, 262_144) - 2) * 9999 / 262_142;
                put(ctl::CPU, "cpu.weight", Dec::new(weight).bytes(), false)?
            }
            false => put(ctl::CPU, "cpu.shares", Dec::new(shares).bytes(), false)?,
        }
    }
    if let Some(w) = req.cpu_weight {
        match v2 {
            true => put(ctl::CPU, "cpu.weight", Dec::new(w.into()).bytes(), false)?,
            false => {
                let shares = Dec::new(super::cpu_shares(w));
                put(ctl::CPU, "cpu.shares", shares.bytes(), false)?;
            }
        }
    }
    Ok(())
}

/// Enables the controllers `needs` (bits of `ctl`) in the cgroup.subtree_control of each
/// directory from the mount's root (the first `mount` bytes of `leaf`) down to the parent of
/// `leaf` that lacks them.
fn enable(fs: &impl Fs, needs: u8, leaf: &[u8], mount: usize) -> Result<(), Box<Error>> {
    let mut end = mount;
    while end < leaf.len() {
        let dir = &leaf[..end];
        let file = join(dir, b"cgroup.subtree_control");
        let on = super::detect::listed(fs, &file);
        for (bit, name) in ctl::NAMES {
            if needs & bit == 0 || on & bit != 0 || bit == ctl::FREEZER {
                continue;
            }
            let add = [b"+", name.as_bytes()].concat();
            match fs.write(&file, &add) {
                Ok(()) => {}
                Err(e) => {
                    let hint = match e {
                        Errno::BUSY => "this cgroup has processes, and cgroup v2 gives \
                             controllers only to the children of cgroups without (cgroup-v2.rst, \
                             \"No Internal Process Constraint\"): give a --cgroup-path below a \
                             cgroup without processes, e.g. --cgroup-path /nsrun"
                            .into(),
                        Errno::NOENT => format!("{}/cgroup.controllers has no {name}", Show(dir)),
                        _ => String::new(),
                    };
                    return Err(Error::new(bit, "write", &file, Some(e), hint));
                }
            }
        }
        // The next component.
        end += 1;
        end += leaf[end..]
            .iter()
            .position(|&b| b == b'/')
            .unwrap_or(leaf.len() - end);
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
    // Most often the tree is the one directory, empty once its processes are gone: removed
    // without listing it (a cgroup with children or processes refuses, and is walked below).
    if let Ok(()) | Err(Errno::NOENT) = fs.rmdir(root) {
        return Ok(());
    }
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
    /// The cgroup of a container recorded in the state store (its directories, as
    /// [`Cgroup::paths`] and [`Cgroup::made`] gave them): OCI `delete` removes it with
    /// [`Cgroup::remove`], the parents made for it too when nobody else uses them.
    pub fn existing(v2: bool, paths: &[Bytes], made: &[Bytes]) -> Cgroup {
        // Each directory's own, and the parents made for it (a prefix of it), outermost first.
        let dirs = paths.iter().map(|p| Dir {
            path: p.clone(),
            made: made
                .iter()
                .filter(|m| *m == p || (p.starts_with(m) && p.get(m.len()) == Some(&b'/')))
                .cloned()
                .chain((!made.contains(p)).then(|| p.clone()))
                .collect(),
            controllers: 0,
        });
        Cgroup {
            v2,
            dirs: dirs.collect(),
        }
    }

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
    pub fn enter(&self, pid: u32) -> Result<(), Box<Error>> {
        self.enter_in(&Real, pid)
    }

    /// [`Cgroup::enter`] on `fs`.
    pub(crate) fn enter_in(&self, fs: &impl Fs, pid: u32) -> Result<(), Box<Error>> {
        for d in &self.dirs {
            let file = join(&d.path, b"cgroup.procs");
            if let Err(e) = fs.write(&file, Dec::new(pid.into()).bytes()) {
                return Err(Error::new(0, "write", &file, Some(e), String::new()));
            }
        }
        Ok(())
    }

    /// How many processes the OOM killer killed in the cgroup: `oom_kill` of memory.events (v2,
    /// Documentation/admin-guide/cgroup-v2.rst) or of memory.oom_control (v1, Linux 4.13,
    /// cgroup-v1/memory.rst). 0 without the memory controller, or when it cannot be read. The
    /// launcher reads it when the container has ended, to say why it died.
    pub fn oom_kills(&self) -> u64 {
        self.oom_kills_in(&Real)
    }

    /// [`Cgroup::oom_kills`] on `fs`.
    pub(crate) fn oom_kills_in(&self, fs: &impl Fs) -> u64 {
        // v2: the one directory, whose memory.events exists whenever an ancestor enabled the
        // memory controller for it (a limit above the container's counts there too).
        let memory = |d: &&Dir| self.v2 || d.controllers & ctl::MEMORY != 0;
        let Some(d) = self.dirs.iter().find(memory) else {
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

    /// Each directory with the names of the controllers nsrun uses in it (v1: `memory`,
    /// `pids`, ...; one directory may hold several).
    pub fn by_controller(&self) -> impl Iterator<Item = (&'static str, &[u8])> {
        self.dirs.iter().flat_map(|d| {
            ctl::NAMES
                .into_iter()
                .filter(move |(bit, _)| d.controllers & bit != 0)
                .map(move |(_, name)| (name, d.path.as_slice()))
        })
    }

    /// The directories nsrun made for it (parents first, then the cgroup's own), for the state
    /// store to hand back to [`Cgroup::existing`].
    pub fn made(&self) -> impl Iterator<Item = &[u8]> {
        self.dirs
            .iter()
            .flat_map(|d| d.made.iter().map(|m| m.as_slice()))
    }

    /// Whether it is a cgroup v2 one.
    pub fn is_v2(&self) -> bool {
        self.v2
    }

    /// Removes the cgroup when the container has ended (or failed to start): kills what is left
    /// in it (with cgroup.kill on v2 since Linux 5.14, else SIGKILL to each process of each
    /// cgroup.procs until none is left: they can only be the container's), then removes its
    /// directories (and any the container made below them), and those nsrun made for it.
    pub fn remove(self) -> Result<(), Box<Error>> {
        self.remove_in(&Real)
    }

    /// [`Cgroup::remove`] on `fs`.
    pub(crate) fn remove_in(&self, fs: &impl Fs) -> Result<(), Box<Error>> {
        if self.v2 {
            for d in &self.dirs {
                let _ = fs.write(&join(&d.path, b"cgroup.kill"), b"1");
            }
        }
        // A cgroup already empty (no process, no cgroup below: most often, the container's
        // processes having ended with its init) is removed at once, without a walk; the others
        // are emptied first.
        let roots: Vec<&[u8]> = self
            .paths()
            .filter(|p| !matches!(fs.rmdir(p), Ok(()) | Err(Errno::NOENT)))
            .collect();
        kill_all(fs, &roots);
        self.remove_dirs(fs).map_err(|(dir, e)| {
            let hint = match e {
                Errno::BUSY => "processes are still in it (see its cgroup.procs)".into(),
                _ => String::new(),
            };
            Error::new(0, "rmdir", &dir, Some(e), hint)
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
