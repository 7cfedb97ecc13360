//! `linux.seccomp` into the filter nsrun's own compiler takes ([`crate::confine::seccomp`]),
//! with the rules of runc: `SCMP_ACT_KILL` is the thread's death, `SCMP_ACT_ERRNO` and
//! `SCMP_ACT_TRACE` without `errnoRet` return EPERM, `errnoRet` with any other action is an
//! error, and a rule comparing one argument twice becomes one rule per comparison (libseccomp
//! would OR them; runc splits them, so the first that matches decides).

use alloc::string::String;
use alloc::vec::Vec;

use super::read::{self, At, Obj};
use super::Error;
use crate::confine::seccomp::{Action, ArgCmp, Filter, Op, Rule};
use crate::json::Value;

/// The `SCMP_ARCH_*` names the runtime spec lists; [`Seccomp::architectures`] has bit `n` for
/// `ARCHES[n]`.
pub const ARCHES: [&str; 23] = [
    "SCMP_ARCH_X86",
    "SCMP_ARCH_X86_64",
    "SCMP_ARCH_X32",
    "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",
    "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",
    "SCMP_ARCH_PARISC64",
    "SCMP_ARCH_RISCV64",
    "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K",
    "SCMP_ARCH_SH",
    "SCMP_ARCH_SHEB",
];

/// The most syscall names all the rules may hold together (after splitting), far above any
/// real profile (podman's has about 450) and below what would cost much memory.
const MAX_NAMES: usize = 65536;

/// `SECCOMP_FILTER_FLAG_LOG`.
pub const FLAG_LOG: u32 = 2;
/// `SECCOMP_FILTER_FLAG_SPEC_ALLOW`.
pub const FLAG_SPEC_ALLOW: u32 = 4;

/// The flag names nsrun knows, with their `SECCOMP_FILTER_FLAG_*` values (0: refused, see
/// [`super::REFUSED`]).
pub const FLAGS: [(&str, u32); 3] = [
    ("SECCOMP_FILTER_FLAG_LOG", FLAG_LOG),
    ("SECCOMP_FILTER_FLAG_SPEC_ALLOW", FLAG_SPEC_ALLOW),
    ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 0),
];

/// The action names (for `features`), in the order of `action`'s match; SCMP_ACT_NOTIFY is
/// refused.
pub const ACTIONS: [&str; 9] = [
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",
];

/// The operator names (for `features`), with what they are in `OP_VALUES`.
pub const OPS: [&str; 7] = [
    "SCMP_CMP_NE",
    "SCMP_CMP_LT",
    "SCMP_CMP_LE",
    "SCMP_CMP_EQ",
    "SCMP_CMP_GE",
    "SCMP_CMP_GT",
    "SCMP_CMP_MASKED_EQ",
];
const OP_VALUES: [Op; 7] = [Op::Ne, Op::Lt, Op::Le, Op::Eq, Op::Ge, Op::Gt, Op::MaskedEq];

/// `linux.seccomp`.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub struct Seccomp {
    /// `defaultAction` (with `defaultErrnoRet`) and `syscalls`, as nsrun's compiler takes them.
    pub filter: Filter,
    /// `architectures`: bit `n` set for [`ARCHES`]`[n]`.
    pub architectures: u32,
    /// `flags`: `SECCOMP_FILTER_FLAG_*` bits ([`FLAG_LOG`], [`FLAG_SPEC_ALLOW`]).
    pub flags: u32,
}

/// `action` with its `errnoRet` (`errno_key` names that member, for messages).
fn action(o: &Obj, key: &str, errno_key: &str) -> Result<Action, Error> {
    let at = o.at.key(key);
    let Some(value) = o.get(key)? else {
        return Err(at.fail("missing (an action such as \"SCMP_ACT_ERRNO\")"));
    };
    let errno = o.uint(errno_key, u16::MAX.into())?.map(|n| n as u16);
    let act = match read::word(value, &at, "seccomp action", &ACTIONS)? {
        0 | 1 => Action::Kill,
        2 => Action::KillProcess,
        3 => Action::Trap,
        4 => return Ok(Action::Errno(errno.unwrap_or(1))),
        5 => return Ok(Action::Trace(errno.unwrap_or(1))),
        6 => Action::Allow,
        7 => Action::Log,
        _ => return Err(super::refused(&at, "linux.seccomp SCMP_ACT_NOTIFY")),
    };
    match errno {
        Some(_) => Err(o
            .at
            .key(errno_key)
            .fail("given with an action other than SCMP_ACT_ERRNO or SCMP_ACT_TRACE")),
        None => Ok(act),
    }
}

/// One member of `syscalls`, as one rule or (an argument compared twice) several.
fn syscall(value: &Value, at: At, rules: &mut Vec<Rule>) -> Result<(), Error> {
    let o = Obj::new(value, at)?;
    let names = o.strings("names")?;
    let action = action(&o, "action", "errnoRet")?;
    let list = o.array("args")?;
    let list_at = o.at.key("args");
    let mut args = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let a = Obj::new(item, list_at.index(i))?;
        let index = a.uint("index", 5)?.unwrap_or(0) as u8;
        let op_at = a.at.key("op");
        let op = match a.get("op")? {
            Some(op) => OP_VALUES[read::word(op, &op_at, "seccomp operator", &OPS)?],
            None => return Err(op_at.fail("missing (an operator such as \"SCMP_CMP_EQ\")")),
        };
        args.push(ArgCmp {
            index,
            op,
            value: a.uint("value", u64::MAX)?.unwrap_or(0),
            value_two: a.uint("valueTwo", u64::MAX)?.unwrap_or(0),
        });
    }
    let names: Vec<Vec<u8>> = names.into_iter().map(String::into_bytes).collect();
    let mut seen = [false; 6];
    let mut repeated = false;
    for arg in &args {
        repeated |= core::mem::replace(&mut seen[usize::from(arg.index)], true);
    }
    // Splitting copies the names once per comparison: bounded, so a small document cannot ask
    // for a huge filter (each name costs the compiled program an instruction or more, and the
    // kernel takes 4096).
    let copies = if repeated { args.len().max(1) } else { 1 };
    let total = rules.iter().map(|r| r.names.len()).sum::<usize>();
    if total.saturating_add(names.len().saturating_mul(copies)) > MAX_NAMES {
        return Err(o
            .at
            .fail("more syscall names in all the rules than a filter can hold (65536)"));
    }
    if repeated {
        for arg in args {
            rules.push(Rule {
                names: names.clone(),
                action,
                args: alloc::vec![arg],
            });
        }
    } else {
        rules.push(Rule {
            names,
            action,
            args,
        });
    }
    Ok(())
}

/// Reads `linux.seccomp`.
pub(super) fn seccomp(o: &Obj) -> Result<Seccomp, Error> {
    o.refuse("linux.seccomp")?;
    let default = action(o, "defaultAction", "defaultErrnoRet")?;
    let mut architectures = 0;
    let list_at = o.at.key("architectures");
    for (i, item) in o.array("architectures")?.iter().enumerate() {
        architectures |= 1 << read::word(item, &list_at.index(i), "architecture", &ARCHES)?;
    }
    let mut flags = 0;
    let list_at = o.at.key("flags");
    let names = FLAGS.map(|f| f.0);
    for (i, item) in o.array("flags")?.iter().enumerate() {
        let at = list_at.index(i);
        match FLAGS[read::word(item, &at, "seccomp flag", &names)?].1 {
            0 => {
                return Err(super::refused(
                    &at,
                    "linux.seccomp.flags WAIT_KILLABLE_RECV",
                ))
            }
            flag => flags |= flag,
        }
    }
    let mut rules = Vec::new();
    let list_at = o.at.key("syscalls");
    for (i, item) in o.array("syscalls")?.iter().enumerate() {
        syscall(item, list_at.index(i), &mut rules)?;
    }
    Ok(Seccomp {
        filter: Filter { default, rules },
        architectures,
        flags,
    })
}
