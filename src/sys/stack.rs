//! The child's stack: an anonymous mapping that nsrun owns, with a guard page below it.

use core::ffi::c_void;
use core::ptr::null_mut;
use rustix::io::Errno;
use rustix::mm::{MapFlags, MprotectFlags, ProtFlags};

/// The smallest page of every target nsrun builds for: the fallback when the kernel does not say.
const MIN_PAGE: usize = 4096;

/// The kernel's page size (AT_PAGESZ from the auxiliary vector): 4 KiB on x86, up to 64 KiB on
/// arm64, ppc64 and others.
pub fn page_size() -> usize {
    // SAFETY: getauxval only reads the auxiliary vector musl saved at start-up; it has no
    // preconditions and returns 0 for an entry that is absent.
    let page = unsafe { libc::getauxval(libc::AT_PAGESZ) } as usize;
    if page.is_power_of_two() && page >= MIN_PAGE {
        page
    } else {
        MIN_PAGE
    }
}

/// The mapping for `size` usable bytes on pages of `page` bytes: (guard length, total length), the
/// usable part rounded up to whole pages above one guard page. None if it would not fit in memory.
fn layout(size: usize, page: usize) -> Option<(usize, usize)> {
    let usable = size.checked_next_multiple_of(page)?.max(page);
    Some((page, usable.checked_add(page)?))
}

/// A stack mapping; unmapped on drop (in the parent; the child has its own copy of the mapping).
pub struct Stack {
    base: *mut c_void,
    len: usize,
}

impl Stack {
    /// Maps at least `size` usable bytes (whole pages) plus a PROT_NONE guard page at the low end,
    /// so an overflow faults instead of silently writing into other memory.
    pub fn new(size: usize) -> Result<Stack, Errno> {
        let (guard, len) = layout(size, page_size()).ok_or(Errno::NOMEM)?;
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
        if let Err(e) = unsafe { rustix::mm::mprotect(base, guard, MprotectFlags::empty()) } {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_are_whole_pages_above_one_guard_page() {
        // 64 KiB pages (arm64 RHEL): the 32 KiB spawn stack gets a whole page of its own.
        assert_eq!(layout(32 * 1024, 65536), Some((65536, 2 * 65536)));
        assert_eq!(layout(128 * 1024, 65536), Some((65536, 3 * 65536)));
        assert_eq!(layout(32 * 1024, 4096), Some((4096, 32 * 1024 + 4096)));
        assert_eq!(layout(1, 4096), Some((4096, 8192)));
        assert_eq!(layout(0, 16384), Some((16384, 32768)));
        assert_eq!(layout(usize::MAX - 10, 4096), None);
        assert_eq!(layout(usize::MAX - 4095, 4096), None);
    }

    #[test]
    fn the_real_page_size_and_a_usable_stack() {
        let page = page_size();
        assert!(page.is_power_of_two() && page >= 4096);
        // SAFETY: sysconf has no preconditions.
        let sysconf = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
        assert_eq!(page, sysconf);
        let stack = Stack::new(32 * 1024).unwrap();
        assert_eq!(stack.len, layout(32 * 1024, page).unwrap().1);
        // The usable part is writable right up to the top.
        let top = stack.top() as *mut u8;
        // SAFETY: the byte just below the top lies in the writable part of the mapping.
        unsafe { top.sub(1).write_volatile(1) };
        // SAFETY: so does the lowest byte above the guard page.
        unsafe { (stack.base as *mut u8).add(page).write_volatile(1) };
    }
}
