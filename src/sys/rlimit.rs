//! getrlimit and setrlimit by raw `RLIMIT_*` number
//! ([prlimit(2)](https://man7.org/linux/man-pages/man2/prlimit.2.html)); `u64::MAX` is
//! RLIM_INFINITY. Allocation-free.

use rustix::io::Errno;

/// The soft and hard limits of `resource` for this process.
pub fn get(resource: u8) -> Result<(u64, u64), Errno> {
    let mut old = libc::rlimit64 {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: pid 0 is this process; no new limit is passed (null) and `old` is a valid rlimit64
    // on this stack for the whole call.
    let rc = unsafe { libc::prlimit64(0, resource as _, core::ptr::null(), &mut old) };
    match rc {
        0 => Ok((old.rlim_cur, old.rlim_max)),
        _ => Err(super::errno::last()),
    }
}

/// Sets the soft and hard limits of `resource` for this process.
pub fn set(resource: u8, soft: u64, hard: u64) -> Result<(), Errno> {
    let new = libc::rlimit64 {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: pid 0 is this process; `new` is a valid rlimit64 on this stack for the whole call and
    // no old value is asked for (null).
    let rc = unsafe { libc::prlimit64(0, resource as _, &new, core::ptr::null_mut()) };
    match rc {
        0 => Ok(()),
        _ => Err(super::errno::last()),
    }
}
