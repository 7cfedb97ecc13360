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
