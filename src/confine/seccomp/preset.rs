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
const LOW32: u64 = 0xffff_ffff;
/// TIOCSTI and TIOCLINUX (the same on every architecture nsrun knows).
const TIOCSTI: u64 = 0x5412;
const TIOCLINUX: u64 = 0x541c;
/// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
/// CLONE_NEWNET: the namespace flags of clone(2) (CLONE_NEWTIME, 0x80, is clone3's and
/// unshare's only; in clone's flags that bit belongs to the exit signal).
const CLONE_NEW: u64 = 0x7e02_0000;

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
    let deny = Action::Errno(EPERM);
    let mut rules: Vec<Rule> = Vec::new();
    rules.push(rule(
        b"keyctl add_key request_key \
          mount umount umount2 pivot_root fsopen fsconfig fsmount fspick move_mount open_tree \
          open_tree_attr mount_setattr \
          kexec_load kexec_file_load reboot \
          init_module finit_module delete_module create_module \
          bpf perf_event_open userfaultfd open_by_handle_at \
          swapon swapoff acct quotactl quotactl_fd iopl ioperm \
          clock_settime clock_settime64 settimeofday stime adjtimex clock_adjtime clock_adjtime64",
        deny,
        Vec::new(),
    ));
    if ctx.kernel < (4, 8) {
        rules.push(rule(b"ptrace", deny, Vec::new()));
    }
    for value in [0, 8, 0x20000, 0x20008, 0xffff_ffff] {
        rules.push(rule(b"personality", Action::Allow, low32(0, value)));
    }
    rules.push(rule(b"personality", deny, Vec::new()));
    for request in [TIOCSTI, TIOCLINUX] {
        rules.push(rule(b"ioctl", deny, low32(1, request)));
    }
    if !ctx.sys_admin {
        rules.push(rule(b"unshare setns", deny, Vec::new()));
        let no_namespace = alloc::vec![ArgCmp {
            index: 0,
            op: Op::MaskedEq,
            value: CLONE_NEW,
            value_two: 0,
        }];
        rules.push(rule(b"clone", Action::Allow, no_namespace));
        rules.push(rule(b"clone", deny, Vec::new()));
        rules.push(rule(b"clone3", Action::Errno(ENOSYS), Vec::new()));
    }
    Filter {
        default: Action::Allow,
        rules,
    }
}

/// A rule for the space-separated `names`.
fn rule(names: &[u8], action: Action, args: Vec<ArgCmp>) -> Rule {
    Rule {
        names: names
            .split(|&b| b == b' ')
            .filter(|n| !n.is_empty())
            .map(|n| n.to_vec())
            .collect(),
        action,
        args,
    }
}

/// Argument `index` equals `value` in its lower 32 bits.
fn low32(index: u8, value: u64) -> Vec<ArgCmp> {
    alloc::vec![ArgCmp {
        index,
        op: Op::MaskedEq,
        value: LOW32,
        value_two: value,
    }]
}
