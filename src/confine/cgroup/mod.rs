//! Cgroups: one cgroup per container, with its limits, on cgroup v2 or v1.
//!
//! The launcher calls [`create`] before clone (which makes the cgroup and writes the limits),
//! [`Cgroup::enter`] with the child's pid before it releases the child (so the child executes
//! nothing outside it), [`Cgroup::oom_kills`] when the container has ended, then
//! [`Cgroup::remove`] (which kills what is left in it and removes its directories). [`gc`] removes
//! what launchers killed by SIGKILL left behind.
//!
//! # Which hierarchy
//!
//! [`detect`] reads /proc/self/mountinfo and /proc/self/cgroup (see cgroups(7)):
//!
//! * cgroup v2 (Documentation/admin-guide/cgroup-v2.rst) when a `cgroup2` filesystem is mounted
//!   and its root's `cgroup.controllers` has every controller the limits need (memory, pids,
//!   cpu). The cgroup is one directory; the controllers are enabled, where they are not yet, in
//!   `cgroup.subtree_control` of every cgroup from the mount's root down to the new cgroup's
//!   parent.
//! * cgroup v1 (Documentation/admin-guide/cgroup-v1/cgroups.rst) otherwise, when every needed
//!   controller is mounted on a `cgroup` hierarchy of its own (named in the mount's superblock
//!   options, `rw,memory` or `rw,cpu,cpuacct`): one directory in each hierarchy that holds a
//!   needed controller, at the same relative path. With no limit at all (only `--cgroup-path`) and
//!   no cgroup2 mount, the pids hierarchy is used.
//! * A hybrid layout (v1 controllers plus a cgroup2 mount at /sys/fs/cgroup/unified without
//!   controllers, as on Debian 10 or Ubuntu 20.04 with systemd) is v2 when nothing is needed from
//!   a controller (the cgroup then only groups the processes: to enter and kill them), and v1
//!   when something is. Limits split over both versions are refused.
//!
//! nsrun's own cgroup in each hierarchy is the path of /proc/self/cgroup (the line `0::PATH` for
//! v2, `ID:CONTROLLERS:PATH` for v1) relative to the mount's root (field 4 of mountinfo): both are
//! written by the kernel relative to the reader's cgroup namespace root (cgroup_namespaces(7)),
//! and a mount whose root is not `/` (a bind of a sub-cgroup, a container's view) shows only what
//! lies below that root. A mount whose root does not contain nsrun's cgroup (or a path with `..`,
//! the kernel's way of naming a cgroup outside the namespace) leaves nsrun's own cgroup unknown
//! there: only an absolute `--cgroup-path` can be used on it.
//!
//! # Which cgroup
//!
//! Without `--cgroup-path`: `nsrun-<pidns>-<pid>-<start>` below nsrun's own cgroup, where
//! `<pidns>` is the inode of the launcher's PID namespace, `<pid>` its pid there and `<start>` its
//! start time (field 22 of /proc/self/stat, clock ticks after boot; proc(5)). [`gc`] removes such
//! a cgroup only when it is empty and that process is proven gone (see [`gc`]).
//!
//! With `--cgroup-path PATH`: PATH relative to nsrun's own cgroup, or with a leading `/` relative
//! to the root of the hierarchy's mount (`/sys/fs/cgroup/unified` here, `/sys/fs/cgroup` on a
//! v2-only system). Missing parents are made (and removed at the end when empty). The last
//! component must not exist: nsrun makes it, owns it, kills everything in it at the end and
//! removes it, so an existing one (another run's, a killed run's leftover, or the user's) is an
//! error — `mkdir` is what proves it is nsrun's alone. A killed run's leftover is removed with
//! `rmdir` once empty.
//!
//! # Entering before the go byte, not clone3
//!
//! clone3 with CLONE_INTO_CGROUP (Linux 5.7, v2 only) would start the child in the cgroup. nsrun
//! instead writes the child's pid to cgroup.procs ([`Cgroup::enter`]) after clone and before it
//! sends the go byte the child waits for (with a cgroup the child must wait for it, as it does
//! today only when there are id maps to write): until then the child only arms its parent-death
//! signal and blocks in read(2), so every instruction of the setup and of the command, and every
//! process they fork, runs in the cgroup — the same guarantee, on v1 as on v2 and on every
//! kernel, without a second clone path with per-architecture assembly for a child on a new
//! stack. Two differences remain, neither of them a way out of a limit: the few pages the child
//! touched before the move stay charged to the launcher's cgroup (memory charges do not move,
//! cgroup-v2.rst "Memory Ownership"; exec drops them), and a cgroup namespace made by the clone
//! itself has the launcher's cgroup as its root — a container that should see its own cgroup as
//! `/` unshares CLONE_NEWCGROUP after the go byte (cgroup_namespaces(7)).
//!
//! # What changes on the host
//!
//! Only the directories nsrun made, and, on v2, the controllers it enabled in the
//! `cgroup.subtree_control` of existing ancestors. A failed [`create`] removes the directories;
//! the controllers stay enabled, after a run as after a failure, as runc and crun leave them:
//! disabling one could take it (and its limits) from a sibling another run made meanwhile, and
//! enabling it only lets child cgroups use it.

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;
use rustix::io::Errno;

use crate::out::Bytes as Show;
use crate::spec::Bytes;

mod detect;
mod devices;
pub mod freezer;
mod fs;
mod gc;
mod parse;
mod tree;

pub use detect::{detect, Layout};

/// Whether `name` is of the form of nsrun's default cgroup names (`nsrun-PIDNS-PID-START`),
/// which [`gc`] takes for a run's: a `--cgroup-path` must not use it.
pub fn reserved(name: &[u8]) -> bool {
    gc::owner_of(name).is_some()
}
pub use gc::{gc, Collected};
pub use parse::{
    check_path, cpu_shares, parse_bytes, parse_cpus, parse_pids, parse_swap, parse_weight,
    show_bytes, Cpus, PERIOD_US,
};
pub use tree::{create, find_kept, gc_and_create, Cgroup};

/// What a run asks of its cgroup: the limits and where it is. All `None`: no cgroup (the launcher
/// does not call [`create`]).
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct Request {
    /// `--memory BYTES`: memory.max (v2), memory.limit_in_bytes (v1).
    pub memory: Option<u64>,
    /// `--memory-swap`: memory and swap together, as docker has it. Without it but with
    /// `--memory`, the swap allowed equals the memory (docker's default), where the kernel
    /// accounts swap; with it equal to `--memory`, no swap.
    pub memory_swap: Option<Swap>,
    /// `--pids-max N`: pids.max.
    pub pids_max: Option<u64>,
    /// `--cpus N.N`: cpu.max (v2), cpu.cfs_quota_us and cpu.cfs_period_us (v1).
    pub cpus: Option<Cpus>,
    /// `--cpu-weight N` (1 to 10000): cpu.weight (v2), cpu.shares (v1, see [`cpu_shares`]).
    pub cpu_weight: Option<u16>,
    /// `--cgroup-path PATH`, checked by [`check_path`].
    pub path: Option<Bytes>,
    /// cpu.shares as given (OCI `linux.resources.cpu.shares`): written as it is on v1, as the
    /// weight runc computes from it on v2.
    pub cpu_shares: Option<u64>,
    /// The soft memory limit in bytes (OCI `linux.resources.memory.reservation`):
    /// memory.soft_limit_in_bytes (v1), memory.low (v2).
    pub memory_reservation: Option<u64>,
    /// Device rules (OCI `linux.resources.devices`, then the devices every container may use),
    /// written in order to devices.allow or devices.deny of the v1 devices controller, or on
    /// cgroup v2 compiled into an eBPF program ([`devices`]): the rule's allow, and its line
    /// (`c 1:3 rwm`, `a *:* rwm`).
    pub devices: alloc::vec::Vec<(bool, Bytes)>,
    /// The device rules are the default ones (config.json gave none): they do not make a v2
    /// host's cgroup v1 (a hybrid host's v1 devices hierarchy takes them where it has one).
    pub devices_default: bool,
    /// The cgroup is named by the caller and outlives the launcher (an OCI container's, which
    /// `delete` removes): the launcher does not remove it when the container ends.
    pub keep: bool,
    /// cpuset.cpus (OCI `linux.resources.cpu.cpus`): the CPUs, as the kernel's list (`0-3,5`).
    pub cpuset_cpus: Option<Bytes>,
    /// cpuset.mems (OCI `linux.resources.cpu.mems`): the memory nodes.
    pub cpuset_mems: Option<Bytes>,
}

/// `--memory-swap`: the limit on memory and swap together.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Swap {
    /// That many bytes of memory and swap together (at least `--memory`).
    Limit(u64),
    /// `-1`: swap without limit.
    Unlimited,
}

/// The controllers nsrun uses, as bits.
pub(crate) mod ctl {
    /// The memory controller.
    pub const MEMORY: u8 = 1;
    /// The pids controller.
    pub const PIDS: u8 = 2;
    /// The cpu controller.
    pub const CPU: u8 = 4;
    /// The devices controller (cgroup v1; on v2 an eBPF program does its work, [`super::devices`]).
    pub const DEVICES: u8 = 8;
    /// The cpuset controller (OCI `cpu.cpus` and `cpu.mems`).
    pub const CPUSET: u8 = 32;
    /// The freezer (`pause`/`resume` of an OCI container): a v1 hierarchy of its own; on v2
    /// `cgroup.freeze` is a core file of every cgroup, so every v2 hierarchy has it.
    pub const FREEZER: u8 = 16;
    /// Each bit with its name, as cgroup.controllers and the v1 mount options write it.
    pub const NAMES: [(u8, &str); 6] = [
        (MEMORY, "memory"),
        (PIDS, "pids"),
        (CPU, "cpu"),
        (DEVICES, "devices"),
        (FREEZER, "freezer"),
        (CPUSET, "cpuset"),
    ];
}

impl Request {
    /// The controllers the limits need (bits of `ctl`).
    pub(crate) fn needs(&self) -> u8 {
        let mut bits = 0;
        if self.memory.is_some() || self.memory_swap.is_some() {
            bits |= ctl::MEMORY;
        }
        if self.pids_max.is_some() {
            bits |= ctl::PIDS;
        }
        if self.memory_reservation.is_some() {
            bits |= ctl::MEMORY;
        }
        if self.cpus.is_some() || self.cpu_weight.is_some() || self.cpu_shares.is_some() {
            bits |= ctl::CPU;
        }
        if !self.devices.is_empty() {
            bits |= ctl::DEVICES;
        }
        if self.cpuset_cpus.is_some() || self.cpuset_mems.is_some() {
            bits |= ctl::CPUSET;
        }
        // A kept cgroup is an OCI container's, which `pause` may freeze.
        if self.keep {
            bits |= ctl::FREEZER;
        }
        bits
    }

    /// The first option asking for a controller in `bits`, with its value, for messages.
    pub(crate) fn option_for(&self, bits: u8) -> (&'static str, String) {
        if bits & ctl::MEMORY != 0 {
            if let Some(m) = self.memory {
                return ("--memory", show_bytes(m));
            }
            if let Some(s) = self.memory_swap {
                return ("--memory-swap", show_swap(s));
            }
        }
        if bits & ctl::PIDS != 0 {
            if let Some(n) = self.pids_max {
                return ("--pids-max", parse::Dec::new(n).string());
            }
        }
        if bits & ctl::CPU != 0 {
            if let Some(c) = self.cpus {
                return ("--cpus", c.show());
            }
            if let Some(w) = self.cpu_weight {
                return ("--cpu-weight", parse::Dec::new(w.into()).string());
            }
        }
        if bits & ctl::DEVICES != 0 && !self.devices.is_empty() {
            return ("linux.resources.devices", String::new());
        }
        if bits & ctl::CPUSET != 0 {
            if let Some(c) = &self.cpuset_cpus {
                return (
                    "linux.resources.cpu.cpus",
                    String::from_utf8_lossy(c).into(),
                );
            }
            if let Some(m) = &self.cpuset_mems {
                return (
                    "linux.resources.cpu.mems",
                    String::from_utf8_lossy(m).into(),
                );
            }
        }
        self.path_option()
    }

    /// `--cgroup-path PATH` when given, else `cgroup` alone: the subject of messages about the
    /// cgroup itself.
    pub(crate) fn path_option(&self) -> (&'static str, String) {
        match &self.path {
            Some(p) => ("--cgroup-path", crate::out::around("", p, "")),
            None => ("cgroup", String::new()),
        }
    }

    /// Checks the options together (each value is checked by its parser): `--memory-swap` needs
    /// `--memory` and must not be below it; `--cgroup-path` must pass [`check_path`].
    pub fn check(&self) -> Result<(), Box<Error>> {
        if let Some(Swap::Limit(total)) = self.memory_swap {
            let (option, value) = ("--memory-swap", show_bytes(total));
            match self.memory {
                None => {
                    return Err(Error::usage(
                        option,
                        value,
                        "needs --memory (memory and swap together)",
                    ));
                }
                Some(m) if total < m => {
                    return Err(Error::usage(
                        option,
                        value,
                        "is memory and swap together: it cannot be below --memory",
                    ));
                }
                _ => {}
            }
        }
        if self.memory_swap == Some(Swap::Unlimited) && self.memory.is_none() {
            return Err(Error::usage(
                "--memory-swap",
                "-1".into(),
                "needs --memory (memory and swap together)",
            ));
        }
        if let Some(p) = &self.path {
            if let Err(why) = check_path(p) {
                let (option, value) = self.path_option();
                return Err(Error::usage(option, value, why));
            }
        }
        Ok(())
    }
}

/// `--memory-swap`'s value as the option takes it.
pub(crate) fn show_swap(s: Swap) -> String {
    match s {
        Swap::Limit(n) => show_bytes(n),
        Swap::Unlimited => "-1".into(),
    }
}

/// A failure, printed by the launcher as one line (see [`Error::line`]):
/// `--memory 32m: write /sys/fs/cgroup/memory/nsrun-…/memory.limit_in_bytes: Permission denied
/// (hint: …)`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Error {
    /// The option concerned (`--memory`), or `cgroup` for the cgroup itself.
    pub option: &'static str,
    /// Its value as the option takes it (`32m`), or empty.
    pub value: String,
    /// What failed: `write`, `mkdir`, `read`, … or a sentence when no file is involved.
    pub op: &'static str,
    /// The file or directory (empty when none).
    pub path: Bytes,
    /// The error of the system call, when one failed.
    pub errno: Option<Errno>,
    /// What to do about it, or empty.
    pub hint: String,
    /// The controllers whose option the error concerns (bits of `ctl`; none: the cgroup itself,
    /// `--cgroup-path` when given), until [`Error::about`] names the option.
    about: u8,
}

impl Error {
    /// An error of an option's value, found before anything was touched.
    pub(crate) fn usage(option: &'static str, value: String, why: &'static str) -> Box<Error> {
        let mut e = Error::new(0, why, b"", None, String::new());
        (e.option, e.value) = (option, value);
        e
    }

    /// An error of `op` on `path` (the hint for `errno` when `hint` is empty), about the option
    /// of the controllers `about` (bits of `ctl`, or 0 for the cgroup itself); the option is
    /// `cgroup` until [`Error::about`] names it.
    #[inline(never)]
    pub(crate) fn new(
        about: u8,
        op: &'static str,
        path: &[u8],
        errno: Option<Errno>,
        hint: String,
    ) -> Box<Error> {
        let hint = match (hint.is_empty(), errno) {
            (true, Some(Errno::ACCESS | Errno::PERM)) => "nsrun needs write access to the \
                 cgroup: run it as root, or give a --cgroup-path below a cgroup delegated to \
                 this user (cgroup-v2.rst, \"Delegation Containment\")"
                .into(),
            (true, Some(Errno::ROFS)) => "the cgroup filesystem is mounted read-only here".into(),
            _ => hint,
        };
        Box::new(Error {
            option: "cgroup",
            value: String::new(),
            op,
            path: path.to_vec(),
            errno,
            hint,
            about,
        })
    }

    /// Names the option of `req` the error concerns (once).
    pub(crate) fn about(mut self: Box<Self>, req: &Request) -> Box<Error> {
        if self.option == "cgroup" {
            (self.option, self.value) = req.option_for(self.about);
        }
        self
    }

    /// The error as one line, without `nsrun: ` and without a newline.
    pub fn line(&self) -> String {
        alloc::format!("{self}")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.option)?;
        if !self.value.is_empty() {
            write!(f, " {}", self.value)?;
        }
        write!(f, ": {}", self.op)?;
        if !self.path.is_empty() {
            write!(f, " {}", Show(&self.path))?;
        }
        if let Some(e) = self.errno {
            write!(f, ": {}", crate::sys::errno::text(e.raw_os_error()))?;
        }
        if !self.hint.is_empty() {
            write!(f, " (hint: {})", self.hint)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
