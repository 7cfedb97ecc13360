//! Errno values and their text.

use core::ffi::CStr;

/// The C library's text for `errno` (musl's strerror returns static strings).
pub fn text(errno: i32) -> &'static str {
    // SAFETY: musl's strerror returns a pointer to a static, NUL-terminated, immutable string for every
    // input; it allocates nothing and takes no lock, so the single-threaded child may call it too.
    let s = unsafe { CStr::from_ptr(libc::strerror(errno)) };
    s.to_str().unwrap_or("unknown error")
}

/// The calling thread's errno, read just after a libc call that failed.
pub fn last() -> rustix::io::Errno {
    // SAFETY: __errno_location returns a valid pointer to this thread's errno.
    rustix::io::Errno::from_raw_os_error(unsafe { *libc::__errno_location() })
}

/// A raw syscall's return value (a descriptor, a count) as a result: -4095..-1 are errnos.
pub fn from_rc_value(rc: usize) -> Result<usize, rustix::io::Errno> {
    from_rc(rc).map(|()| rc)
}

/// Converts a raw syscall return (a negated errno on failure, as `sc` gives it) to a Result.
pub fn from_rc(rc: usize) -> Result<(), rustix::io::Errno> {
    let rc = rc as isize;
    if (-4095..0).contains(&rc) {
        Err(rustix::io::Errno::from_raw_os_error(-rc as i32))
    } else {
        Ok(())
    }
}
