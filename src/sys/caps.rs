//! The capability calls rustix lacks in the form nsrun needs: the bounding and ambient sets by number
//! ([capget(2)](https://man7.org/linux/man-pages/man2/capget.2.html),
//! [prctl(2)](https://man7.org/linux/man-pages/man2/prctl.2.html)). Allocation-free: they run in
//! the command process just before exec.

use rustix::io::Errno;

fn prctl(option: i32, arg: u64) -> Result<i32, Errno> {
    // SAFETY: the PR_CAPBSET_* and PR_CAP_AMBIENT options used here take integer arguments only
    // and touch no memory of the caller.
    let rc = unsafe { libc::prctl(option, arg as libc::c_ulong, 0 as libc::c_ulong, 0, 0) };
    match rc {
        -1 => Err(super::errno::last()),
        n => Ok(n),
    }
}

/// Whether capability `n` is in the bounding set.
pub fn in_bounding(n: u32) -> bool {
    bounding_has(n) == Ok(true)
}

/// Whether capability `n` is in the bounding set; EINVAL past the kernel's last capability.
pub fn bounding_has(n: u32) -> Result<bool, Errno> {
    prctl(libc::PR_CAPBSET_READ, u64::from(n)).map(|r| r == 1)
}

/// Drops capability `n` from the bounding set (EINVAL: no such capability).
pub fn drop_bounding(n: u32) -> Result<(), Errno> {
    prctl(libc::PR_CAPBSET_DROP, u64::from(n)).map(|_| ())
}

/// Empties the ambient set (EINVAL before Linux 4.3, which has none: nothing to clear).
pub fn clear_ambient() -> Result<(), Errno> {
    match prctl2(
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_CLEAR_ALL as u64,
        0,
    ) {
        Err(Errno::INVAL) => Ok(()),
        other => other,
    }
}

/// Raises capability `n` in the ambient set.
pub fn raise_ambient(n: u32) -> Result<(), Errno> {
    prctl2(
        libc::PR_CAP_AMBIENT,
        libc::PR_CAP_AMBIENT_RAISE as u64,
        u64::from(n),
    )
}

fn prctl2(option: i32, a: u64, b: u64) -> Result<(), Errno> {
    // SAFETY: PR_CAP_AMBIENT takes integer arguments only and touches no memory of the caller.
    let rc = unsafe { libc::prctl(option, a as libc::c_ulong, b as libc::c_ulong, 0, 0) };
    match rc {
        -1 => Err(super::errno::last()),
        _ => Ok(()),
    }
}

/// The permitted set of this thread.
pub fn permitted() -> Result<u64, Errno> {
    rustix::thread::capabilities(None).map(|sets| sets.permitted.bits())
}

/// Sets this thread's effective, permitted and inheritable sets.
pub fn set(effective: u64, permitted: u64, inheritable: u64) -> Result<(), Errno> {
    use rustix::thread::{CapabilitySet, CapabilitySets};
    let sets = CapabilitySets {
        effective: CapabilitySet::from_bits_retain(effective),
        permitted: CapabilitySet::from_bits_retain(permitted),
        inheritable: CapabilitySet::from_bits_retain(inheritable),
    };
    rustix::thread::set_capabilities(None, sets)
}
