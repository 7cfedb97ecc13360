//! Ready-made filters (`--seccomp-preset NAME`).

use super::{table, Action, ArgCmp, Filter, Op, Rule};
use alloc::vec::Vec;

/// What a preset depends on.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PresetContext {
    /// Whether the command keeps CAP_SYS_ADMIN (then it may make namespaces).
    pub sys_admin: bool,
    /// The running kernel's version, (major, minor).
    pub kernel: (u32, u32),
}

/// EPERM, the errno of every denial here (but clone3's).
const EPERM: u16 = 1;
/// ENOSYS, for clone3.
const ENOSYS: u16 = 38;

/// The mask of ioctl(2)'s request as the kernel reads it (`unsigned int cmd`).
const LOW32: u32 = 0xffff_ffff;
/// TIOCSTI and TIOCLINUX (the same on every architecture nsrun knows).
const TIOCSTI: u32 = 0x5412;
const TIOCLINUX: u32 = 0x541c;
/// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
/// CLONE_NEWNET: the namespace flags of clone(2) (CLONE_NEWTIME, 0x80, is clone3's and
/// unshare's only; in clone's flags that bit belongs to the exit signal).
const CLONE_NEW: u32 = 0x7e02_0000;

/// The deny list of the well-known container profiles (Docker's, Podman's default): what a
/// container's command has no business calling, each failing with EPERM. Everything else runs.
///
/// By group, and why:
/// - `keyctl`, `add_key`, `request_key`: the kernel keyrings are not namespaced;
/// - `mount`, `umount`, `umount2`, `pivot_root` and the new mount API (`fsopen`, `fsconfig`,
///   `fsmount`, `fspick`, `move_mount`, `open_tree`, `open_tree_attr`, `mount_setattr`): the
///   filter is installed after nsrun's setup, so this only keeps the command from undoing or
///   changing the tree it was given;
/// - `kexec_load`, `kexec_file_load`, `reboot`: replace or stop the host's kernel;
/// - `init_module`, `finit_module`, `delete_module`, `create_module`: load or unload kernel code;
/// - `bpf`: programs in the kernel, and a large attack surface;
/// - `perf_event_open`: observes the host, and a frequent source of kernel bugs;
/// - `ptrace`, only on kernels before 4.8, where it could be used to bypass seccomp;
/// - `userfaultfd`: a tool for exploiting kernel races;
/// - `open_by_handle_at`: opens files by handle, outside the mount namespace (the "shocker"
///   escape);
/// - `swapon`, `swapoff`, `acct`, `quotactl`, `quotactl_fd`: host-wide resources;
/// - `iopl`, `ioperm`: raw I/O ports (x86 only; skipped elsewhere);
/// - `clock_settime`, `settimeofday`, `stime`, `adjtimex`, `clock_adjtime` (and the 32-bit ABIs'
///   `clock_settime64`, `clock_adjtime64`): the clock is the host's;
/// - `personality`: only the values Docker allows run (0, UNAME26 = 8, ADDR_NO_RANDOMIZE =
///   0x20000, both = 0x20008, and 0xffffffff which only asks), compared on the lower 32 bits
///   the kernel reads;
/// - `ioctl` with the request TIOCSTI (pushes input into a terminal, escaping through the
///   parent's) or TIOCLINUX, compared on the lower 32 bits the kernel reads, so setting upper
///   bits does not get past it;
/// - without CAP_SYS_ADMIN (`ctx.sys_admin` false): `unshare`, `setns`, and `clone` with any
///   namespace flag (its flags are argument 0 on every architecture nsrun knows); `clone3`
///   fails with ENOSYS, since its flags are in memory a filter cannot read, and the C library
///   then falls back to clone.
pub fn default(ctx: &PresetContext) -> Filter {
    let mut rules = Vec::new();
    for entry in &DEFAULT {
        let applies = match entry.when {
            When::Always => true,
            When::Before48 => ctx.kernel < (4, 8),
            When::NoSysAdmin => !ctx.sys_admin,
        };
        if !applies {
            continue;
        }
        let mut names = Vec::new();
        for name in entry.names.split(|&b| b == b' ') {
            if !name.is_empty() {
                names.push(name.to_vec());
            }
        }
        let mut args = Vec::new();
        if let Some((index, mask, value)) = entry.arg {
            args.push(ArgCmp {
                index,
                op: Op::MaskedEq,
                value: mask as u64,
                value_two: value as u64,
            });
        }
        rules.push(Rule {
            names,
            action: entry.action,
            args,
        });
    }
    Filter {
        default: Action::Allow,
        rules,
    }
}

/// [`default`] with its names already looked up, for [`super::compile_named`]: the rules without
/// names, and the (table index, rule) of each name, as [`super::compile`] would find them. The
/// indices are found when nsrun is built ([`INDICES`]): a run with the preset decodes no name.
pub fn default_named(ctx: &PresetContext) -> (Filter, Vec<(usize, usize)>) {
    let mut rules = Vec::with_capacity(DEFAULT.len());
    let mut named = Vec::with_capacity(INDICES.len());
    let mut at = 0;
    for entry in &DEFAULT {
        let count = words(entry.names);
        let indices = INDICES.get(at..at + count).unwrap_or_default();
        at += count;
        if !entry.applies(ctx) {
            continue;
        }
        for &index in indices {
            named.push((index as usize, rules.len()));
        }
        rules.push(Rule {
            names: Vec::new(),
            action: entry.action,
            args: entry.arg_cmp(),
        });
    }
    let filter = Filter {
        default: Action::Allow,
        rules,
    };
    (filter, named)
}

impl Entry {
    fn applies(&self, ctx: &PresetContext) -> bool {
        match self.when {
            When::Always => true,
            When::Before48 => ctx.kernel < (4, 8),
            When::NoSysAdmin => !ctx.sys_admin,
        }
    }

    fn arg_cmp(&self) -> Vec<ArgCmp> {
        match self.arg {
            Some((index, mask, value)) => alloc::vec![ArgCmp {
                index,
                op: Op::MaskedEq,
                value: mask as u64,
                value_two: value as u64,
            }],
            None => Vec::new(),
        }
    }
}

/// How many space-separated words `names` holds.
const fn words(names: &[u8]) -> usize {
    let (mut count, mut i) = (0, 0);
    while i < names.len() {
        if names[i] != b' ' && (i == 0 || names[i - 1] == b' ') {
            count += 1;
        }
        i += 1;
    }
    count
}

/// How many names [`DEFAULT`] holds.
const NAME_COUNT: usize = {
    let mut count = 0;
    let mut e = 0;
    while e < DEFAULT.len() {
        count += words(DEFAULT[e].names);
        e += 1;
    }
    count
};

/// The table index of every name of [`DEFAULT`], entry after entry, found by the compiler (a
/// name the table lacks fails the build).
static INDICES: [u16; NAME_COUNT] = {
    let table = Decoded::new();
    let mut out = [0u16; NAME_COUNT];
    let (mut n, mut e) = (0, 0);
    while e < DEFAULT.len() {
        let names = DEFAULT[e].names;
        let mut i = 0;
        while i < names.len() {
            if names[i] == b' ' {
                i += 1;
                continue;
            }
            let mut end = i;
            while end < names.len() && names[end] != b' ' {
                end += 1;
            }
            out[n] = table.index(names, i, end);
            n += 1;
            i = end;
        }
        e += 1;
    }
    out
};

/// The names of the generated table, decoded (at build time only).
struct Decoded {
    names: [[u8; 32]; table::COUNT],
    lens: [u8; table::COUNT],
}

impl Decoded {
    /// Decodes the table as [`super::each_name`] does.
    const fn new() -> Decoded {
        let mut d = Decoded {
            names: [[0; 32]; table::COUNT],
            lens: [0; table::COUNT],
        };
        let bytes: &[u8] = table::NAMES;
        let mut current = [0u8; 32];
        let mut len = 0;
        let (mut i, mut index) = (0, 0);
        while i < bytes.len() {
            let keep = bytes[i] as usize;
            i += 1;
            if keep < len {
                len = keep;
            }
            while i < bytes.len() && bytes[i] >= 32 {
                let mut stack = [0u8; 32];
                stack[0] = bytes[i];
                i += 1;
                let mut top = 1;
                while top > 0 {
                    top -= 1;
                    let symbol = stack[top];
                    if symbol >= 0x80 {
                        let pair = table::PAIRS[(symbol - 0x80) as usize];
                        stack[top] = pair[1];
                        stack[top + 1] = pair[0];
                        top += 2;
                    } else {
                        current[len] = symbol;
                        len += 1;
                    }
                }
            }
            d.names[index] = current;
            d.lens[index] = len as u8;
            index += 1;
        }
        assert!(index == table::COUNT);
        d
    }

    /// The index of `names[start..end]`.
    const fn index(&self, names: &[u8], start: usize, end: usize) -> u16 {
        let mut index = 0;
        while index < table::COUNT {
            let len = self.lens[index] as usize;
            if len == end - start {
                let mut k = 0;
                while k < len && self.names[index][k] == names[start + k] {
                    k += 1;
                }
                if k == len {
                    return index as u16;
                }
            }
            index += 1;
        }
        panic!("a name of the seccomp preset is not in the syscall table");
    }
}

/// When an entry of a preset applies.
#[derive(Clone, Copy)]
enum When {
    Always,
    /// On kernels before 4.8.
    Before48,
    /// When the command lacks CAP_SYS_ADMIN.
    NoSysAdmin,
}

/// One rule of a preset, compactly: its space-separated names, and at most one comparison
/// `(arg[index] & mask) == value`, all three 32-bit.
struct Entry {
    when: When,
    action: Action,
    arg: Option<(u8, u32, u32)>,
    names: &'static [u8],
}

const DENY: Action = Action::Errno(EPERM);

/// The rules of [`default`], in order.
const DEFAULT: [Entry; 14] = [
    Entry {
        when: When::Always,
        action: DENY,
        arg: None,
        names: b"keyctl add_key request_key \
          mount umount umount2 pivot_root fsopen fsconfig fsmount fspick move_mount open_tree \
          open_tree_attr mount_setattr \
          kexec_load kexec_file_load reboot \
          init_module finit_module delete_module create_module \
          bpf perf_event_open userfaultfd open_by_handle_at \
          swapon swapoff acct quotactl quotactl_fd iopl ioperm \
          clock_settime clock_settime64 settimeofday stime adjtimex clock_adjtime clock_adjtime64",
    },
    Entry {
        when: When::Before48,
        action: DENY,
        arg: None,
        names: b"ptrace",
    },
    personality(0),
    personality(8),
    personality(0x20000),
    personality(0x20008),
    personality(0xffff_ffff),
    Entry {
        when: When::Always,
        action: DENY,
        arg: None,
        names: b"personality",
    },
    Entry {
        when: When::Always,
        action: DENY,
        arg: Some((1, LOW32, TIOCSTI)),
        names: b"ioctl",
    },
    Entry {
        when: When::Always,
        action: DENY,
        arg: Some((1, LOW32, TIOCLINUX)),
        names: b"ioctl",
    },
    Entry {
        when: When::NoSysAdmin,
        action: DENY,
        arg: None,
        names: b"unshare setns",
    },
    Entry {
        when: When::NoSysAdmin,
        action: Action::Allow,
        arg: Some((0, CLONE_NEW, 0)),
        names: b"clone",
    },
    Entry {
        when: When::NoSysAdmin,
        action: DENY,
        arg: None,
        names: b"clone",
    },
    Entry {
        when: When::NoSysAdmin,
        action: Action::Errno(ENOSYS),
        arg: None,
        names: b"clone3",
    },
];

/// personality(2) with `value` (on the lower 32 bits, those the kernel reads) runs.
const fn personality(value: u32) -> Entry {
    Entry {
        when: When::Always,
        action: Action::Allow,
        arg: Some((0, LOW32, value)),
        names: b"personality",
    }
}
