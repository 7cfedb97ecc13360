//! Capabilities ([capabilities(7)](https://man7.org/linux/man-pages/man7/capabilities.7.html)):
//! their names, the container preset, and the five sets applied just before exec.
//!
//! The command's set S is decided by the launcher: the preset (`all`: nsrun's bounding set;
//! `container`: [`CONTAINER`]) with `--cap-drop` and `--cap-add` applied in order, and never more
//! than nsrun's bounding set. Just before exec, the command process drops every other capability
//! from its bounding set (which nothing can raise again), sets its permitted, effective and
//! inheritable sets to S, and, when it runs as a uid other than 0, raises the `--cap-add`ed
//! capabilities of S in its ambient set, since exec gives a non-root program none otherwise (as
//! bubblewrap does). A root program keeps S across exec through the bounding and inheritable
//! sets.

use rustix::io::Errno;

/// The capability names, by number, as capsh prints them (without `cap_`).
pub const NAMES: [&str; 41] = [
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/// Every capability nsrun knows by name.
pub const ALL: u64 = (1 << NAMES.len()) - 1;

/// CAP_SETPCAP's number (capability.h, [`NAMES`]' index 8): what dropping from the bounding
/// set needs.
const CAP_SETPCAP: u32 = 8;

/// The bit of capability number `n`.
const fn bit(n: u32) -> u64 {
    1 << n
}

/// CAP_KILL: what nsrun's init keeps to pass signals on.
pub const KILL: u64 = bit(5);
/// CAP_SYS_ADMIN, which decides parts of the seccomp preset.
pub const SYS_ADMIN: u64 = bit(21);

/// The default set of runc and podman: CHOWN DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE
/// SETFCAP SETGID SETPCAP SETUID SYS_CHROOT.
pub const CONTAINER: u64 = bit(0)
    | bit(1)
    | bit(3)
    | bit(4)
    | bit(5)
    | bit(10)
    | bit(31)
    | bit(6)
    | bit(8)
    | bit(7)
    | bit(18);

/// The mask of a capability named as capsh prints it, with or without `CAP_`, in any case; `ALL`
/// is every capability.
pub fn parse(name: &[u8]) -> Option<u64> {
    let lower = |b: &u8| b.to_ascii_lowercase();
    let bare = match name.len() > 4 && name[..4].iter().map(lower).eq(*b"cap_") {
        true => &name[4..],
        false => name,
    };
    if bare.iter().map(lower).eq(*b"all") && bare.len() == name.len() {
        return Some(ALL);
    }
    NAMES
        .iter()
        .position(|n| n.len() == bare.len() && bare.iter().map(lower).eq(n.bytes()))
        .map(|n| bit(n as u32))
}

/// The names of the capabilities in `mask`, `cap_` prefixed and comma separated, for messages.
pub fn describe(mask: u64) -> alloc::string::String {
    let mut out = alloc::string::String::new();
    for (n, name) in NAMES.iter().enumerate() {
        if mask & bit(n as u32) != 0 {
            if !out.is_empty() {
                out.push(',');
            }
            out.push_str("cap_");
            out.push_str(name);
        }
    }
    out
}

/// nsrun's bounding set, as far as it knows the capabilities by name.
pub fn bounding() -> u64 {
    let mut set = 0;
    for n in 0..NAMES.len() as u32 {
        if crate::sys::caps::in_bounding(n) {
            set |= bit(n);
        }
    }
    set
}

/// The five capability sets, given one by one (OCI `process.capabilities`): each a mask, bit `n`
/// for capability `n`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Sets {
    /// The bounding set: every other capability is dropped from it.
    pub bounding: u64,
    /// The effective set.
    pub effective: u64,
    /// The permitted set.
    pub permitted: u64,
    /// The inheritable set.
    pub inheritable: u64,
    /// The ambient set (each must be permitted and inheritable).
    pub ambient: u64,
}

/// What the command process applies just before exec (see the module documentation).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Apply {
    /// The set S the command holds.
    pub keep: u64,
    /// Of S, what goes into the ambient set when the command runs as a uid other than 0.
    pub ambient: u64,
    /// The five sets exactly (`keep` is then the bounding set): applied as given, whatever the
    /// uid.
    pub exact: Option<Sets>,
    /// The bounding set the launcher saw: an error reading capability `n` of it while one at or
    /// above `n` was there is no end of the kernel's list (a seccomp filter's answer, say).
    pub held: u64,
}

impl Apply {
    /// Drops every capability outside S from the bounding set, then sets the other sets. Runs in
    /// the command process; allocates nothing.
    pub fn run(&self) -> Result<(), Errno> {
        // After a uid change under PR_SET_KEEPCAPS only the permitted set is left: make it
        // effective, since dropping from the bounding set needs CAP_SETPCAP there.
        let permitted = crate::sys::caps::permitted()?;
        crate::sys::caps::set(permitted, permitted, 0)?;
        // Every number the kernel knows, also those newer than this table: EINVAL past the last
        // one. With CAP_SETPCAP (as nearly always here) each is dropped outright, one call
        // each: dropping one already gone is no error.
        if permitted & bit(CAP_SETPCAP) != 0 {
            for n in (0..64).filter(|&n| self.keep & bit(n) == 0) {
                match crate::sys::caps::drop_bounding(n) {
                    Ok(()) => {}
                    Err(e) if self.held >> n != 0 => return Err(e),
                    Err(_) => break,
                }
            }
            return self.set_sets();
        }
        // Without it only what is still there is dropped (the init has applied these sets before
        // it started the command), which fails if anything is: PR_CAPBSET_READ tells which.
        for n in 0..64 {
            match crate::sys::caps::bounding_has(n) {
                Err(e) if self.held >> n != 0 => return Err(e),
                Err(_) => break,
                Ok(false) => continue,
                Ok(true) if self.keep & bit(n) != 0 => continue,
                Ok(true) => crate::sys::caps::drop_bounding(n)?,
            }
        }
        self.set_sets()
    }

    /// The permitted, effective, inheritable and ambient sets, once the bounding set is S.
    fn set_sets(&self) -> Result<(), Errno> {
        if let Some(sets) = &self.exact {
            crate::sys::caps::set(sets.effective, sets.permitted, sets.inheritable)?;
            crate::sys::caps::clear_ambient()?;
            for n in 0..64 {
                if sets.ambient & (1u64 << n) != 0 {
                    crate::sys::caps::raise_ambient(n)?;
                }
            }
            return Ok(());
        }
        let non_root = rustix::process::geteuid().as_raw() != 0;
        // The inheritable set holds only what the ambient set needs (a program running as
        // another uid than 0), as runc and podman do since CVE-2022-29162: with more, a
        // program with file capabilities `+i` would gain them.
        let inheritable = if non_root { self.ambient } else { 0 };
        crate::sys::caps::set(self.keep, self.keep, inheritable)?;
        crate::sys::caps::clear_ambient()?;
        if non_root {
            for n in 0..NAMES.len() as u32 {
                if self.ambient & bit(n) != 0 {
                    crate::sys::caps::raise_ambient(n)?;
                }
            }
        }
        Ok(())
    }
}

/// Reduces nsrun's init, once the command runs, to `keep` (CAP_KILL when the command holds it
/// after exec, else nothing) of what it holds; its bounding set is the command's already (it
/// applied the command's sets before starting it). Errors are ignored: the init then holds at
/// most what it had, which is no more than the command.
pub fn reduce_init(keep: u64) {
    let keep = match crate::sys::caps::permitted() {
        Ok(p) => p & keep,
        Err(_) => 0,
    };
    let _ = crate::sys::caps::clear_ambient();
    let _ = crate::sys::caps::set(keep, keep, 0);
}

#[cfg(test)]
mod tests {
    #[test]
    fn setpcap_is_number_8() {
        assert_eq!(super::NAMES[super::CAP_SETPCAP as usize], "setpcap");
    }

    use super::*;

    #[test]
    fn names_as_capsh_prints_them() {
        assert_eq!(parse(b"CAP_SYS_ADMIN"), Some(SYS_ADMIN));
        assert_eq!(parse(b"sys_admin"), Some(SYS_ADMIN));
        assert_eq!(parse(b"Cap_Kill"), Some(KILL));
        assert_eq!(parse(b"ALL"), Some(ALL));
        assert_eq!(parse(b"all"), Some(ALL));
        assert_eq!(parse(b"checkpoint_restore"), Some(1 << 40));
        assert_eq!(parse(b"cap_all"), None);
        assert_eq!(parse(b"cap_"), None);
        assert_eq!(parse(b"sys_admins"), None);
        assert_eq!(parse(b""), None);
        assert_eq!(parse("kïll".as_bytes()), None);
    }

    #[test]
    fn the_container_set_is_podmans() {
        assert_eq!(
            describe(CONTAINER),
            "cap_chown,cap_dac_override,cap_fowner,cap_fsetid,cap_kill,cap_setgid,cap_setuid,\
             cap_setpcap,cap_net_bind_service,cap_sys_chroot,cap_setfcap"
        );
    }

    #[test]
    fn table_matches_libc_numbers() {
        assert_eq!(NAMES[21], "sys_admin");
        assert_eq!(NAMES[27], "mknod");
        assert_eq!(NAMES[40], "checkpoint_restore");
    }
}
