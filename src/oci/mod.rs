//! The OCI front end (issue 9, work in progress): the typed model of a bundle's `config.json`.
//!
//! [`parse`] reads the bytes of a config.json (the runtime specification, version 1) with
//! [`crate::json::parse`] into a [`Config`] of plain structs: the process (user, capabilities in
//! their five sets, rlimits), the root, the mounts with their options decoded as runc decodes
//! them ([`mount::Options`]), the hooks, and the Linux section (namespaces, id maps, devices,
//! cgroup path and resources, propagation, masked and read-only paths, sysctl, seccomp as the
//! filter [`crate::confine::seccomp`] compiles), with the hostname, domain name and annotations.
//! It makes no syscalls and reads nothing but the bytes. [`to_spec`] maps a [`Config`] to the
//! [`crate::spec::Spec`] the launcher runs (runc's semantics; what differs is listed there);
//! `nsrun run --oci-bundle DIR` runs one in the foreground, and the runtime commands (create,
//! start, ...) use the same mapping.
//!
//! Types and ranges are checked as the spec's Go types say (`uint32`, `int64`, ...), so a value
//! runc would refuse is refused, in one line naming the member by its JSON path:
//! `config.json: process.user.uid: expected an integer from 0 to 4294967295, found "x"`.
//! A property the spec does not define is ignored, as the spec requires. A property it defines
//! that nsrun cannot honour is an error naming it when it is set to anything but its empty
//! value, never skipped: [`REFUSED`] lists them, with why, for `features` to print.

use alloc::string::String;

pub mod cli;
mod config;
pub mod hooks;
pub mod mount;
mod read;
pub mod runtime;
pub mod seccomp;
#[cfg(test)]
mod tests;
pub mod to_spec;

pub use config::*;
pub use to_spec::to_spec;

/// Why a config.json was refused: one line, `config.json: PATH: WHAT`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Error(pub String);

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A property of the runtime spec nsrun refuses, or a value of one.
pub struct Refused {
    /// Where: a JSON path (`[]` for any element), then, after a space, the value refused when
    /// only some values are.
    pub path: &'static str,
    /// Why, for the error line and `features`.
    pub why: &'static str,
}

const fn row(path: &'static str, why: &'static str) -> Refused {
    Refused { path, why }
}

/// Everything of the runtime spec nsrun refuses, in one table (the `features` command prints
/// it). A field row is refused when its value is anything but null, false, 0, "", [] or {}.
pub const REFUSED: &[Refused] = &[
    row("process.apparmorProfile", "AppArmor profiles"),
    row("process.selinuxLabel", "SELinux labels"),
    row("process.scheduler", "scheduling policies (sched_setattr)"),
    row("process.ioPriority", "I/O priorities (ioprio_set)"),
    row("process.execCPUAffinity", "CPU affinity"),
    row("process.commandLine", "a Windows field"),
    row("process.user.username", "a Windows field"),
    row("linux.mountLabel", "SELinux labels"),
    row("linux.intelRdt", "Intel RDT (resctrl)"),
    row("linux.personality", "personality(2) domains"),
    row("linux.memoryPolicy", "NUMA memory policies (set_mempolicy)"),
    row(
        "linux.netDevices",
        "moving network devices into the container",
    ),
    row("linux.timeOffsets", "time namespace offsets"),
    row("linux.resources.blockIO", "the blkio/io controller"),
    row("linux.resources.hugepageLimits", "the hugetlb controller"),
    row(
        "linux.resources.network",
        "the net_cls/net_prio controllers",
    ),
    row("linux.resources.rdma", "the rdma controller"),
    row(
        "linux.resources.unified",
        "cgroup v2 files written as they are",
    ),
    row(
        "linux.resources.memory.kernel",
        "kernel memory limits (obsolete since Linux 5.4)",
    ),
    row(
        "linux.resources.memory.kernelTCP",
        "kernel TCP memory limits",
    ),
    row(
        "linux.resources.memory.useHierarchy",
        "memory.use_hierarchy (always on since Linux 5.x)",
    ),
    row(
        "linux.resources.memory.checkBeforeUpdate",
        "a check for `update`, which nsrun does not have",
    ),
    row("linux.resources.cpu.burst", "cpu burst (cpu.max.burst)"),
    row(
        "linux.resources.cpu.realtimeRuntime",
        "real-time scheduling budgets",
    ),
    row(
        "linux.resources.cpu.realtimePeriod",
        "real-time scheduling budgets",
    ),
    row("linux.resources.cpu.idle", "cpu.idle"),
    row(
        "linux.seccomp.listenerPath",
        "seccomp user notification (SCMP_ACT_NOTIFY)",
    ),
    row(
        "linux.seccomp.listenerMetadata",
        "seccomp user notification (SCMP_ACT_NOTIFY)",
    ),
    row(
        "linux.seccomp SCMP_ACT_NOTIFY",
        "seccomp user notification (SCMP_ACT_NOTIFY)",
    ),
    row(
        "linux.seccomp.flags WAIT_KILLABLE_RECV",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (only for user notification)",
    ),
    row("mounts[].uidMappings", "idmapped mounts"),
    row("mounts[].gidMappings", "idmapped mounts"),
    row("mounts[].options idmap", "idmapped mounts"),
    row("mounts[].options ridmap", "idmapped mounts"),
    row("solaris", "a Solaris section"),
    row("windows", "a Windows section"),
    row("vm", "a virtual machine section"),
    row("zos", "a z/OS section"),
    row("freebsd", "a FreeBSD section"),
];

/// The error `nsrun does not support WHY` at `at`, WHY from the [`REFUSED`] row `path` (the
/// rows of values are looked up by the code that refuses them, with a literal path).
fn refused(at: &read::At, path: &str) -> Error {
    let why = REFUSED
        .iter()
        .find(|r| r.path == path)
        .map_or("it", |r| r.why);
    let mut what = String::from("nsrun does not support ");
    what.push_str(why);
    at.fail(&what)
}

/// Reads a config.json.
pub fn parse(text: &[u8]) -> Result<Config, Error> {
    let value = syntax(text, "config.json")?;
    config::config(&value, read::At::file("config.json"))
}

/// Reads a process.json (`exec --process`: one `process` object); `name` names the file in
/// messages.
pub fn parse_process(text: &[u8], name: &str) -> Result<Process, Error> {
    let value = syntax(text, name)?;
    let o = read::Obj::new(&value, read::At::file(name))?;
    config::process(&o)
}

/// The JSON document, or the error `NAME: byte N (line L, column C): WHAT`.
fn syntax(text: &[u8], name: &str) -> Result<crate::json::Value, Error> {
    crate::json::parse(text).map_err(|e| {
        let before = text.get(..e.at).unwrap_or(text);
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |n| n + 1);
        // Columns count characters: UTF-8 continuation bytes do not start one.
        let column = 1 + before[start..]
            .iter()
            .filter(|&&b| b & 0xc0 != 0x80)
            .count();
        let mut line_text = String::new();
        let _ = core::fmt::write(
            &mut line_text,
            format_args!(
                "{name}: byte {} (line {line}, column {column}): {}",
                e.at, e.what
            ),
        );
        Error(line_text)
    })
}
