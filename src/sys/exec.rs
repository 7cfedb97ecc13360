//! execve(2) of prepared argument and environment arrays.

use core::ffi::CStr;
use rustix::io::Errno;

/// Replaces the process image with `path`; returns only on failure, with the errno.
///
/// `argv` and `envp` must each end with a null pointer; every other entry must point to a C string
/// that outlives the call (the plan owns them).
pub fn execve(path: &CStr, argv: &[*const u8], envp: &[*const u8]) -> Errno {
    assert!(argv.last().is_some_and(|p| p.is_null()) && envp.last().is_some_and(|p| p.is_null()));
    // SAFETY: both arrays are NULL-terminated (checked above) and their entries point to NUL-terminated
    // strings owned by the caller's plan, alive for the duration of the call.
    unsafe { super::runtime::execve(path, argv.as_ptr(), envp.as_ptr()) }
}
