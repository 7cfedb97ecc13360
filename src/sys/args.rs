//! The process's argv and envp as byte slices.

use alloc::vec::Vec;
use core::ffi::CStr;

/// Collects `argc` arguments from a C `argv`.
///
/// # Safety
/// `argv` must point to `argc` valid NUL-terminated strings that live for the whole program, as the
/// C runtime guarantees for `main`'s arguments.
pub unsafe fn from_argv(argc: i32, argv: *const *const u8) -> Vec<&'static [u8]> {
    let mut out = Vec::with_capacity(argc.max(0) as usize);
    for i in 0..argc.max(0) as usize {
        // SAFETY: the caller guarantees argv[0..argc] are valid C strings for 'static.
        out.push(unsafe { CStr::from_ptr(*argv.add(i) as *const _) }.to_bytes());
    }
    out
}

/// Collects a NULL-terminated C `envp`.
///
/// # Safety
/// `envp` must be null or a NULL-terminated array of valid C strings that live for the whole program.
pub unsafe fn from_envp(envp: *const *const u8) -> Vec<&'static [u8]> {
    let mut out = Vec::new();
    if envp.is_null() {
        return out;
    }
    let mut i = 0;
    // SAFETY: the caller guarantees the array is NULL-terminated and each entry a valid C string.
    unsafe {
        while !(*envp.add(i)).is_null() {
            out.push(CStr::from_ptr(*envp.add(i) as *const _).to_bytes());
            i += 1;
        }
    }
    out
}
