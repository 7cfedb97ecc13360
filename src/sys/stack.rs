//! The child's stack: an anonymous mapping that nsrun owns, with a guard page below it.

use core::ffi::c_void;
use core::ptr::null_mut;
use rustix::io::Errno;
use rustix::mm::{MapFlags, MprotectFlags, ProtFlags};

/// One page; the guard below the stack. 4 KiB is the smallest page of every target nsrun builds for,
/// and a larger real page size only makes the guard larger after rounding by mmap.
const GUARD: usize = 4096;

/// A stack mapping; unmapped on drop (in the parent; the child has its own copy of the mapping).
pub struct Stack {
    base: *mut c_void,
    len: usize,
}

impl Stack {
    /// Maps `size` usable bytes plus a PROT_NONE guard page at the low end, so an overflow faults
    /// instead of silently writing into other memory.
    pub fn new(size: usize) -> Result<Stack, Errno> {
        let len = size + GUARD;
        // SAFETY: a fresh private anonymous mapping at an address the kernel chooses aliases nothing.
        let base = unsafe {
            rustix::mm::mmap_anonymous(
                null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE | MapFlags::STACK,
            )?
        };
        // SAFETY: the first page lies inside the mapping just made, which nothing uses yet.
        if let Err(e) = unsafe { rustix::mm::mprotect(base, GUARD, MprotectFlags::empty()) } {
            drop(Stack { base, len });
            return Err(e);
        }
        Ok(Stack { base, len })
    }

    /// The highest address of the stack (stacks grow down on every target nsrun supports), aligned
    /// to 16 bytes as the ABIs require.
    pub fn top(&self) -> *mut c_void {
        let end = self.base as usize + self.len;
        (end & !15) as *mut c_void
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: base/len describe exactly the mapping made in `new`; no child running on it shares
        // this address space (clone is called without CLONE_VM, or with CLONE_VFORK, which returns
        // only after the child has exec'd or exited).
        let _ = unsafe { rustix::mm::munmap(self.base, self.len) };
    }
}
