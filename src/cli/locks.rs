//! The options of [`crate::confine`]: capabilities, seccomp, limits, cgroups and the smaller locks.
//! Pure parsing and checking, as the rest of the command line; what needs the kernel's view (a
//! syscall name on this architecture, a capability outside nsrun's bounding set) is checked by
//! [`crate::plan`].

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::run::{Opt, Parser};
use super::table::unknown;
use super::{absolute, parse_u32};
use crate::confine::cgroup::{self, Swap};
use crate::confine::{caps, rlimit};
use crate::out::Bytes as Show;
use crate::spec::{CapOp, CapsPreset, MountOp, SeccompOp};

impl<'a> Parser<'a> {
    /// Parses the lock option `key` (`name` as written, `v` its value, "" for a flag).
    #[inline(never)]
    pub(super) fn lock(&mut self, key: Opt, name: &[u8], v: &'a [u8]) -> Result<(), String> {
        let locks = &mut self.spec.locks;
        let once = |given: bool| match given {
            true => Err(complaint(name, b"", "given twice")),
            false => Ok(()),
        };
        match key {
            Opt::DisableUserns => {
                locks.disable_userns = true;
                return Ok(());
            }
            Opt::NewSession => {
                locks.new_session = true;
                return Ok(());
            }
            _ => {}
        }
        let bad = |what: &str| complaint(name, v, what);
        let locks = &mut self.spec.locks;
        match key {
            Opt::CapDrop | Opt::CapAdd => {
                let mask = caps::parse(v).ok_or_else(|| {
                    bad("is not a capability name (as capsh prints them, e.g. CAP_NET_ADMIN or net_admin, or ALL)")
                })?;
                locks.caps.push(match key {
                    Opt::CapDrop => CapOp::Drop(mask),
                    _ => CapOp::Add(mask),
                });
            }
            Opt::CapsPreset => {
                once(locks.caps_preset.is_some())?;
                locks.caps_preset = Some(match v {
                    b"container" => CapsPreset::Container,
                    b"all" => CapsPreset::All,
                    _ => return Err(bad("is not a preset (container or all)")),
                });
            }
            Opt::Seccomp | Opt::AddSeccompFd => {
                let fd = parse_u32(v, 10).filter(|fd| *fd < i32::MAX as u32);
                let fd = fd.ok_or_else(|| bad("is not a descriptor number"))? as i32;
                let add = key != Opt::Seccomp;
                // What was given before, as the spec holds it.
                let given = |as_add: bool| {
                    self.spec
                        .locks
                        .seccomp
                        .iter()
                        .any(|op| matches!(op, SeccompOp::Fd { add: a, .. } if *a == as_add))
                };
                if given(!add) {
                    return Err(
                        "--seccomp and --add-seccomp-fd exclude each other (as in bubblewrap)"
                            .into(),
                    );
                }
                if !add && given(false) {
                    return Err("--seccomp given twice (use --add-seccomp-fd for several)".into());
                }
                self.spec.locks.seccomp.push(SeccompOp::Fd { fd, add });
            }
            Opt::SeccompDeny | Opt::SeccompAllow => {
                let names: Vec<Vec<u8>> = v.split(|&b| b == b',').map(|n| n.to_vec()).collect();
                if names.iter().any(|n| n.is_empty()) {
                    return Err(bad("is not a comma-separated list of syscall names"));
                }
                locks.seccomp.push(match key {
                    Opt::SeccompDeny => SeccompOp::Deny(names),
                    _ => SeccompOp::Allow(names),
                });
            }
            Opt::SeccompErrno => {
                once(locks.seccomp_errno.is_some())?;
                let n = parse_u32(v, 10).filter(|n| (1..=4095).contains(n));
                locks.seccomp_errno =
                    Some(n.ok_or_else(|| bad("is not an errno number from 1 to 4095"))? as u16);
            }
            Opt::SeccompPreset => {
                if v != b"default" {
                    return Err(bad("is not a preset (default)"));
                }
                locks.seccomp.push(SeccompOp::Preset);
            }
            Opt::Rlimit => {
                let limit = rlimit::parse(v).map_err(bad)?;
                locks.rlimits.push(limit);
            }
            Opt::Memory => {
                once(locks.cgroup.memory.is_some())?;
                let n = cgroup::parse_bytes(v).filter(|n| *n > 0);
                locks.cgroup.memory = Some(n.ok_or_else(|| bad(SIZE))?);
            }
            Opt::MemorySwap => {
                once(locks.cgroup.memory_swap.is_some())?;
                let swap = cgroup::parse_swap(v).filter(|s| *s != Swap::Limit(0));
                locks.cgroup.memory_swap = Some(swap.ok_or_else(|| {
                    bad("is not a size in bytes (k, m, g, t suffixes allowed) or -1 (unlimited)")
                })?);
            }
            Opt::PidsMax => {
                once(locks.cgroup.pids_max.is_some())?;
                locks.cgroup.pids_max = Some(
                    cgroup::parse_pids(v)
                        .ok_or_else(|| bad("is not a number from 1 to 4194304"))?,
                );
            }
            Opt::Cpus => {
                once(locks.cgroup.cpus.is_some())?;
                locks.cgroup.cpus = Some(cgroup::parse_cpus(v).ok_or_else(|| {
                    bad("is not a number of CPUs such as 0.5 or 2 (0.01 at least, 3 decimals at most)")
                })?);
            }
            Opt::CpuWeight => {
                once(locks.cgroup.cpu_weight.is_some())?;
                locks.cgroup.cpu_weight = Some(
                    cgroup::parse_weight(v)
                        .ok_or_else(|| bad("is not a weight from 1 to 10000"))?,
                );
            }
            Opt::CgroupPath => {
                once(locks.cgroup.path.is_some())?;
                cgroup::check_path(v).map_err(bad)?;
                locks.cgroup.path = Some(v.to_vec());
            }
            Opt::MaskedPath | Opt::RoPath => {
                let dst = absolute(name, v)?;
                // Resolved while nsrun sets up, /proc/self would be nsrun's PID 1, not the
                // command.
                let mut parts = dst
                    .split(|&b| b == b'/')
                    .filter(|p| !p.is_empty() && *p != b".");
                if parts.next() == Some(b"proc")
                    && matches!(parts.next(), Some(b"self" | b"thread-self"))
                {
                    return Err(bad(
                        "is below /proc/self, which names nsrun's init while nsrun sets up, not \
                         the command: name the file below /proc/sys or /proc instead",
                    ));
                }
                self.spec.mounts.push(match key {
                    Opt::MaskedPath => MountOp::Mask(dst),
                    _ => MountOp::ReadOnlyPath(dst),
                });
            }
            Opt::Umask => {
                once(locks.umask.is_some())?;
                let m = parse_u32(v, 8).filter(|m| *m <= 0o777);
                locks.umask = Some(m.ok_or_else(|| bad("is not an octal umask such as 022"))?);
            }
            Opt::Groups => {
                once(locks.groups.is_some())?;
                let mut groups = Vec::new();
                if !v.is_empty() {
                    for g in v.split(|&b| b == b',') {
                        let id = parse_u32(g, 10).filter(|id| *id != u32::MAX);
                        groups.push(id.ok_or_else(|| {
                            bad("is not a comma-separated list of numeric group ids")
                        })?);
                    }
                }
                if groups.len() > 65536 {
                    return Err(bad("holds more groups than the kernel takes (65536)"));
                }
                locks.groups = Some(groups);
            }
            Opt::OomScoreAdj => {
                once(locks.oom_score_adj.is_some())?;
                locks.oom_score_adj =
                    Some(parse_oom(v).ok_or_else(|| bad("is not a number from -1000 to 1000"))?);
            }
            _ => return Err(unknown(name)),
        }
        Ok(())
    }
}

const SIZE: &str = "is not a size in bytes above 0 (k, m, g, t suffixes allowed)";

/// The usage error `--opt: 'VALUE' WHAT` (`--opt WHAT` without a value). One function for every
/// message here, kept out of line: the parser stays small.
#[inline(never)]
fn complaint(name: &[u8], v: &[u8], what: &str) -> String {
    match v.is_empty() {
        true => format!("{} {what}", Show(name)),
        false => format!("{}: '{}' {what}", Show(name), Show(v)),
    }
}

fn parse_oom(v: &[u8]) -> Option<i32> {
    let (neg, digits) = match v.strip_prefix(b"-") {
        Some(d) => (true, d),
        None => (false, v),
    };
    let n = parse_u32(digits, 10).filter(|n| *n <= 1000)? as i32;
    Some(if neg { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oom() {
        assert_eq!(parse_oom(b"-1000"), Some(-1000));
        assert_eq!(parse_oom(b"500"), Some(500));
        assert_eq!(parse_oom(b"1001"), None);
        assert_eq!(parse_oom(b"--1"), None);
        assert_eq!(parse_oom(b"-"), None);
    }
}
