//! Ready-made filters (`--seccomp-preset NAME`).

use super::{Action, ArgCmp, Filter, Op, Rule};
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
static DEFAULT: [Entry; 14] = [
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
