//! The global allocator: musl's malloc, which is small and already linked.

use core::alloc::{GlobalAlloc, Layout};

/// Allocates with `malloc`, or `aligned_alloc` for alignments above malloc's 16 bytes.
pub struct Malloc;

const MALLOC_ALIGN: usize = 16;

// SAFETY: malloc/aligned_alloc return memory that is unique, suitably aligned for `layout` (or null on
// failure, which GlobalAlloc allows) and stays valid until the matching free.
unsafe impl GlobalAlloc for Malloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= MALLOC_ALIGN {
            libc::malloc(layout.size()) as *mut u8
        } else {
            libc::aligned_alloc(layout.align(), layout.size()) as *mut u8
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        libc::free(ptr as *mut libc::c_void)
    }
}
