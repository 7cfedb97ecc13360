//! Seccomp: filters described by syscall name and compiled to classic BPF by nsrun itself.
//!
//! A [`Filter`] has the shape of the OCI runtime specification's `linux.seccomp`: a default
//! [`Action`] and an ordered list of [`Rule`]s, each naming syscalls, an action and argument
//! comparisons ([`ArgCmp`]). The front ends build one (`--seccomp-deny`, `--seccomp-allow`,
//! [`preset::default`], later an OCI config.json); the launcher calls [`compile`] before clone,
//! and the child installs the [`Program`] with [`crate::sys::seccomp::install`] just before exec,
//! allocating nothing. Programs made elsewhere (bubblewrap's `--seccomp FD`) are read by
//! [`crate::sys::seccomp::read_program`].
//!
//! The semantics are the OCI ones (those of libseccomp):
//! - the comparisons of one rule are ANDed;
//! - several rules for one syscall are tried in their order, the first that matches decides;
//!   a syscall no rule matches gets the default action;
//! - a rule naming a syscall the build's architecture lacks skips that name (so one filter serves
//!   every architecture); a name unknown on every architecture nsrun knows (x86_64, i386,
//!   aarch64, arm, riscv64) is an error ([`Error::Unknown`]; [`known`] checks a name).
//!
//! What the compiled program checks, see [`compile`]: the architecture of the syscall first
//! (see [seccomp(2)](https://man7.org/linux/man-pages/man2/seccomp.2.html) on why), the same
//! rules by name for the 32-bit compatibility ABI of a 64-bit host (i386 under x86_64, arm under
//! aarch64), and the x32 ABI of x86_64 refused as a whole.
//!
//! x32 kills the process (SECCOMP_RET_KILL_PROCESS), as a foreign architecture does and as
//! libseccomp does for an ABI the filter does not name: its syscalls share AUDIT_ARCH_X86_64 but
//! not the numbers, so passing them through would bypass the filter, and nsrun has no x32 table
//! to apply the rules by name. ENOSYS would have imitated a kernel without x32 (most distribution
//! kernels), but would also have turned a bypass attempt into a quiet failure; no real program
//! runs x32 syscalls from a 64-bit process, nor inside an nsrun container at all.
//!
//! For the launcher: the filter also applies to everything the caller does after installing it,
//! the exec included, so install it last; an allow list must allow `execve` (or `execveat`) for
//! the command to start at all. Several installed filters stack (each syscall is run through all,
//! the most restrictive action wins), and the kernel's limit on their total length makes the
//! install fail with ENOMEM.

use alloc::vec::Vec;

mod arch;
mod bpf;
pub mod preset;
mod table;
#[cfg(test)]
mod tests;

pub use crate::sys::seccomp::{SockFilter, MAX_INSNS};
pub use bpf::{compile, compile_named};

/// What the kernel does with a syscall: one `SECCOMP_RET_*` value of
/// [seccomp(2)](https://man7.org/linux/man-pages/man2/seccomp.2.html).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    /// `SECCOMP_RET_ALLOW`: the syscall runs.
    Allow,
    /// `SECCOMP_RET_ERRNO`: the syscall is not run and fails with this errno (the kernel caps it
    /// at 4095).
    Errno(u16),
    /// `SECCOMP_RET_KILL_THREAD`: the calling thread is killed (as by SIGSYS).
    Kill,
    /// `SECCOMP_RET_KILL_PROCESS` (Linux 4.14): the whole process is killed by SIGSYS.
    KillProcess,
    /// `SECCOMP_RET_TRAP`: the syscall is not run; the thread gets a SIGSYS it may catch.
    Trap,
    /// `SECCOMP_RET_LOG` (Linux 4.14): the syscall runs and is logged.
    Log,
    /// `SECCOMP_RET_TRACE`: a ptrace(2) tracer is told, with this value; without a tracer the
    /// syscall fails with ENOSYS.
    Trace(u16),
}

impl Action {
    /// The value a BPF `ret` returns for this action.
    pub const fn ret(self) -> u32 {
        match self {
            Action::Allow => 0x7fff_0000,
            Action::Errno(errno) => 0x0005_0000 | errno as u32,
            Action::Kill => 0,
            Action::KillProcess => 0x8000_0000,
            Action::Trap => 0x0003_0000,
            Action::Log => 0x7ffc_0000,
            Action::Trace(data) => 0x7ff0_0000 | data as u32,
        }
    }
}

/// How an argument is compared with [`ArgCmp::value`]: the `SCMP_CMP_*` operators of libseccomp
/// (`SCMP_CMP_NE` ...), always on the unsigned 64-bit value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op {
    /// `arg != value`.
    Ne,
    /// `arg < value`.
    Lt,
    /// `arg <= value`.
    Le,
    /// `arg == value`.
    Eq,
    /// `arg >= value`.
    Ge,
    /// `arg > value`.
    Gt,
    /// `(arg & value) == value_two`: `value` is the mask.
    MaskedEq,
}

/// One comparison of a syscall argument.
///
/// The kernel hands a filter every argument as 64 bits, but many syscalls take an `int` or
/// `unsigned int` and ignore the upper half (ioctl(2)'s request, personality(2)): a rule that
/// denies such a value by comparing all 64 bits is bypassed by setting upper bits. Compare the
/// lower 32 bits only with [`Op::MaskedEq`] and the mask `0xffff_ffff`.
///
/// On a 32-bit ABI (arm, and i386 or arm as the compatibility ABI of a 64-bit host) an argument
/// is 32 bits: it is compared as that value zero-extended, so `Eq` with a value above
/// `u32::MAX` never matches and `Lt` with one always does.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ArgCmp {
    /// Which argument, 0 to 5.
    pub index: u8,
    /// The comparison.
    pub op: Op,
    /// The value compared with (the mask for [`Op::MaskedEq`]).
    pub value: u64,
    /// The value the masked argument must equal, for [`Op::MaskedEq`] only.
    pub value_two: u64,
}

/// The syscalls some arguments of which decide an action.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Rule {
    /// Syscall names, as in the kernel's `__NR_*` (`"openat"`, `"_llseek"`).
    pub names: Vec<Vec<u8>>,
    /// What the kernel does when the rule matches.
    pub action: Action,
    /// The comparisons, all of which must hold (none: the rule matches every call).
    pub args: Vec<ArgCmp>,
}

/// A whole filter: the rules, in the order they are tried, and what the rest gets.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Filter {
    /// The action of a syscall no rule matches.
    pub default: Action,
    /// The rules.
    pub rules: Vec<Rule>,
}

impl Filter {
    /// A deny list (`--seccomp-deny`): `names` fail with `errno` (EPERM is usual), the rest runs.
    pub fn deny(names: Vec<Vec<u8>>, errno: u16) -> Filter {
        Filter {
            default: Action::Allow,
            rules: alloc::vec![Rule {
                names,
                action: Action::Errno(errno),
                args: Vec::new(),
            }],
        }
    }

    /// An allow list (`--seccomp-allow`): `names` run, any other syscall kills the process by
    /// SIGSYS. A front end that takes an errno for the rest (`--seccomp-errno`) sets
    /// [`Filter::default`] to [`Action::Errno`] afterwards: a command that probes for syscalls
    /// then sees them fail instead of dying.
    pub fn allow(names: Vec<Vec<u8>>) -> Filter {
        Filter {
            default: Action::KillProcess,
            rules: alloc::vec![Rule {
                names,
                action: Action::Allow,
                args: Vec::new(),
            }],
        }
    }
}

/// Why a filter cannot be compiled.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum Error {
    /// `Filter::rules[rule].names[name]` is a syscall of no architecture nsrun knows.
    Unknown {
        /// The rule's index.
        rule: usize,
        /// The name's index in the rule.
        name: usize,
    },
    /// An argument index of `Filter::rules[rule]` is above 5.
    ArgIndex {
        /// The rule's index.
        rule: usize,
    },
    /// The program would exceed the kernel's 4096 instructions (`BPF_MAXINSNS`).
    TooLong,
    /// nsrun knows no syscall numbers for the architecture it was built for.
    Arch,
}

/// Whether `name` is a syscall on some architecture nsrun knows (for usage errors: a rule that
/// names a syscall only another architecture has is fine, and skipped on this one).
pub fn known(name: &[u8]) -> bool {
    table_index(name).is_some()
}

/// The position of `name` in the generated table (sorted: the walk stops at a greater name).
fn table_index(name: &[u8]) -> Option<usize> {
    let mut found = None;
    each_name(&mut |index, entry| match entry.cmp(name) {
        core::cmp::Ordering::Equal => {
            found = Some(index);
            false
        }
        core::cmp::Ordering::Greater => false,
        core::cmp::Ordering::Less => true,
    });
    found
}

/// The table's names decoded once, for the many lookups of a compile (a binary search each,
/// instead of a walk of the coded table).
struct Names {
    /// The names, one after the other.
    bytes: Vec<u8>,
    /// Where each ends in `bytes`.
    ends: Vec<u16>,
}

impl Names {
    fn decode() -> Names {
        let mut names = Names {
            bytes: Vec::with_capacity(4096),
            ends: Vec::with_capacity(table::COUNT),
        };
        each_name(&mut |_, name| {
            names.bytes.extend_from_slice(name);
            names.ends.push(names.bytes.len() as u16);
            true
        });
        names
    }

    /// The position of `name` in the table.
    fn index(&self, name: &[u8]) -> Option<usize> {
        let (mut low, mut high) = (0, self.ends.len());
        while low < high {
            let mid = low + (high - low) / 2;
            let start = match mid {
                0 => 0,
                _ => self.ends.get(mid - 1).map_or(0, |&e| e as usize),
            };
            let end = self.ends.get(mid).map_or(0, |&e| e as usize);
            match self.bytes.get(start..end).unwrap_or_default().cmp(name) {
                core::cmp::Ordering::Equal => return Some(mid),
                core::cmp::Ordering::Less => low = mid + 1,
                core::cmp::Ordering::Greater => high = mid,
            }
        }
        None
    }
}

/// Calls `f` with the index and the name of each entry of the generated table, in order, until
/// it returns false: decodes the front coding and the pairs (see the table's text). One copy
/// of the decoder serves every caller (`dyn`).
fn each_name(f: &mut dyn FnMut(usize, &[u8]) -> bool) {
    let mut current = [0u8; 32];
    let mut len = 0;
    let mut index = 0;
    let mut bytes = table::NAMES.iter().copied().peekable();
    while let Some(keep) = bytes.next() {
        len = (keep as usize).min(len);
        while let Some(symbol) = bytes.next_if(|&b| b >= 32) {
            // A pair is replaced by its two symbols on a small stack, the first on top; a
            // character goes to the name.
            let mut stack = [symbol; 32];
            let mut top = 1usize;
            while let Some(top_symbol) = top.checked_sub(1).and_then(|t| stack.get(t).copied()) {
                top -= 1;
                let pair = table::PAIRS.get(top_symbol.wrapping_sub(0x80) as usize);
                match pair {
                    Some(&[first, second]) if top + 2 <= stack.len() => {
                        stack[top] = second;
                        stack[top + 1] = first;
                        top += 2;
                    }
                    _ => {
                        if let Some(slot) = current.get_mut(len) {
                            *slot = top_symbol;
                        }
                        len += 1;
                    }
                }
            }
        }
        if !f(index, current.get(..len).unwrap_or_default()) {
            return;
        }
        index += 1;
    }
}

/// A compiled classic BPF program, ready for [`crate::sys::seccomp::install`].
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub struct Program(pub Vec<SockFilter>);
