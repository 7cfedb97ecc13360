//! The wall clock, through the C library's clock_gettime (the vDSO lookup musl links anyway;
//! rustix's own vDSO parser would add some 3 KB to the binary).

/// Seconds since the epoch (CLOCK_REALTIME), as the `tv_sec` of clock_gettime; 0 should it fail
/// (it cannot for CLOCK_REALTIME).
pub fn now_secs() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec to `ts`, a valid and exclusively borrowed one.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    match r {
        0 => ts.tv_sec as u64,
        _ => 0,
    }
}

/// Milliseconds of CLOCK_MONOTONIC (since boot, not counting suspend), for deadlines; 0 should it
/// fail (it cannot).
pub fn now_ms() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec to `ts`, a valid and exclusively borrowed one.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    match r {
        0 => (ts.tv_sec as u64).saturating_mul(1000) + ts.tv_nsec as u64 / 1_000_000,
        _ => 0,
    }
}

/// CLOCK_BOOTTIME in the clock ticks of the auxiliary vector's AT_CLKTCK (USER_HZ): the unit
/// and clock of a process's start time in /proc/PID/stat (field 22), which the kernel takes
/// from CLOCK_BOOTTIME while it makes the process (copy_process: `start_boottime`) and shows
/// as nanoseconds divided by 10^9 / USER_HZ, offset by the reader's time namespace as this
/// clock is. None when either is unavailable or the tick does not divide a second evenly.
/// See clock_gettime(2), getauxval(3), proc_pid_stat(5).
pub fn boot_ticks() -> Option<u64> {
    // SAFETY: getauxval reads the auxiliary vector the C library saved at start-up; it takes
    // any key and returns 0 for one that is missing.
    let hz = unsafe { libc::getauxval(libc::AT_CLKTCK) } as u64;
    if hz == 0 || 1_000_000_000 % hz != 0 {
        return None;
    }
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec to `ts`, a valid and exclusively borrowed one.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    if r != 0 || ts.tv_sec < 0 || ts.tv_nsec < 0 {
        return None;
    }
    let ns = (ts.tv_sec as u64)
        .checked_mul(1_000_000_000)?
        .checked_add(ts.tv_nsec as u64)?;
    Some(ns / (1_000_000_000 / hz))
}
