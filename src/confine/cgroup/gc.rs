//! Leftovers: the cgroups of launchers killed by SIGKILL, which could not remove them.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::detect::all_in;
use super::fs::{Fs, Owner, Real};
use super::parse::{decimal, Dec};
use super::tree::{join, remove_tree};
use super::Error;
use crate::spec::Bytes;

/// The name of the default cgroup of the launcher `o`: `nsrun-<pidns>-<pid>-<start>`.
pub(crate) fn name(o: &Owner) -> String {
    let mut s = String::from("nsrun");
    for n in [o.ns, o.pid.into(), o.start] {
        s.push('-');
        s.push_str(&Dec::new(n).string());
    }
    s
}

/// The launcher a name given by [`name`] names; None for any other name (also one with leading
/// zeros: only what `name` makes).
pub(crate) fn owner_of(name: &[u8]) -> Option<Owner> {
    let mut parts = name.strip_prefix(b"nsrun-")?.split(|&b| b == b'-');
    let mut next = || {
        let p = parts.next()?;
        (p.len() == 1 || !p.starts_with(b"0")).then(|| decimal(p))?
    };
    let owner = Owner {
        ns: next()?,
        pid: u32::try_from(next()?).ok()?,
        start: next()?,
    };
    parts.next().is_none().then_some(owner)
}

/// What [`gc`] found.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct Collected {
    /// The leftovers removed.
    pub removed: Vec<Bytes>,
    /// Leftovers that stay because processes are still in them (a container whose launcher was
    /// killed while the container lived on).
    pub busy: Vec<Bytes>,
}

/// Removes the leftovers of launchers that were killed: in nsrun's own cgroup of each hierarchy
/// (v2, and v1's memory, pids and cpu), each `nsrun-<pidns>-<pid>-<start>` directory of this PID
/// namespace whose launcher is gone (no process `<pid>`, or one with another start time) and in
/// which no process is left (with any empty cgroups below it).
///
/// A live launcher's cgroup is never touched, even one made a moment ago with no process in it
/// yet: its launcher is alive. One of another PID namespace (another pidns inode in its name) is
/// left alone, as pids there mean nothing here. A leftover made with `--cgroup-path` is not
/// recognised (remove it with rmdir).
pub fn gc() -> Result<Collected, Box<Error>> {
    gc_in(&Real)
}

/// [`gc`] on `fs`.
pub(crate) fn gc_in(fs: &impl Fs) -> Result<Collected, Box<Error>> {
    let me = fs.me().map_err(me_error)?;
    Ok(collect(fs, &me, &all_in(fs)?))
}

/// The error of [`Fs::me`].
pub(crate) fn me_error(e: rustix::io::Errno) -> Box<Error> {
    let hint = "/proc must be the procfs of nsrun's PID namespace".into();
    Error::new(0, "read", b"/proc/self/stat", Some(e), hint)
}

/// [`gc_in`] as the launcher `me`, in the hierarchies `all` (of [`all_in`]).
pub(crate) fn collect(fs: &impl Fs, me: &Owner, all: &[super::detect::Hierarchy]) -> Collected {
    let me = *me;
    let mut got = Collected::default();
    for h in all {
        let Some(own) = &h.own else { continue };
        let dir = match own.is_empty() {
            true => h.mount.clone(),
            false => join(&h.mount, own),
        };
        for entry in fs.subdirs(&dir).unwrap_or_default() {
            let Some(o) = owner_of(&entry) else { continue };
            if o.ns != me.ns || o == me || fs.alive(o.pid, o.start) {
                continue;
            }
            let path = join(&dir, &entry);
            match remove_tree(fs, &path, 0) {
                Ok(()) => got.removed.push(path),
                Err(_) => got.busy.push(path),
            }
        }
    }
    got
}
