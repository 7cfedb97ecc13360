//! A little randomness without a system call: the 16 random bytes the kernel hands every new
//! program (AT_RANDOM in the auxiliary vector, Linux 2.6.29).

/// 64 random bits from AT_RANDOM (0 where the kernel gave none).
pub fn u64() -> u64 {
    // SAFETY: getauxval only reads the auxiliary vector musl saved at start-up; it has no
    // preconditions and returns 0 for an entry that is absent.
    let at = unsafe { libc::getauxval(libc::AT_RANDOM) } as usize;
    if at == 0 {
        return 0;
    }
    let mut bytes = [0u8; 8];
    // SAFETY: a non-zero AT_RANDOM is the address of 16 bytes the kernel placed on the initial
    // stack, which stay readable for the whole life of the process; 8 of them are read.
    unsafe { core::ptr::copy_nonoverlapping(at as *const u8, bytes.as_mut_ptr(), 8) };
    u64::from_ne_bytes(bytes)
}
