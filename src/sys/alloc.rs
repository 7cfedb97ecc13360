//! The global allocator: a bump arena in .bss for the few kilobytes nsrun allocates, with a
//! mapping of its own for each allocation that does not fit (a plan of thousands of mounts).
//! musl's malloc is not linked at all (about 8 KiB less).
//!
//! nsrun allocates once, at start-up (arguments, the plan), and frees almost nothing before it
//! exits. An arena serves that with no system call at all, where malloc would map and unmap
//! pages (measured: 9 mmap/munmap/brk calls for `nsrun --version`). Its pages are untouched, and
//! so cost nothing, until used.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicUsize, Ordering};

/// The arena's size: a plan with hundreds of mount operations still fits.
const ARENA: usize = 256 * 1024;

/// The arena allocator.
pub struct Arena {
    bytes: UnsafeCell<[u8; ARENA]>,
    used: AtomicUsize,
}

// SAFETY: nsrun is single-threaded; the atomic counter makes even concurrent use hand out
// disjoint ranges (fetch_update), and each range is owned by exactly one allocation.
unsafe impl Sync for Arena {}

impl Arena {
    /// An empty arena (in .bss).
    pub const fn new() -> Arena {
        Arena {
            bytes: UnsafeCell::new([0; ARENA]),
            used: AtomicUsize::new(0),
        }
    }

    fn base(&self) -> usize {
        self.bytes.get() as usize
    }

    fn owns(&self, ptr: *mut u8) -> bool {
        (self.base()..self.base() + ARENA).contains(&(ptr as usize))
    }
}

impl Default for Arena {
    fn default() -> Self {
        Arena::new()
    }
}

/// Maps `size` bytes (at least one page) for an allocation the arena cannot hold; page-aligned,
/// so any alignment up to a page is met. Null on failure.
fn map(size: usize, align: usize) -> *mut u8 {
    if align > 4096 {
        return core::ptr::null_mut();
    }
    use rustix::mm::{MapFlags, ProtFlags};
    // SAFETY: a fresh private anonymous mapping at an address the kernel chooses aliases nothing.
    let got = unsafe {
        rustix::mm::mmap_anonymous(
            core::ptr::null_mut(),
            size.max(1),
            ProtFlags::READ | ProtFlags::WRITE,
            MapFlags::PRIVATE,
        )
    };
    got.map_or(core::ptr::null_mut(), |p| p.cast())
}

// SAFETY: every pointer returned is either a range of the arena handed out once (never to two
// live allocations) and aligned as asked, or a mapping of its own (page-aligned; alignments above
// a page are refused); dealloc and realloc tell the two apart by address.
unsafe impl GlobalAlloc for Arena {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let base = self.base();
        let mut start = 0;
        let got = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                start = (base + used).next_multiple_of(layout.align()) - base;
                let end = start.checked_add(layout.size())?;
                (end <= ARENA).then_some(end)
            });
        match got {
            Ok(_) => (base + start) as *mut u8,
            Err(_) => map(layout.size(), layout.align()),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if !self.owns(ptr) {
            // SAFETY: a pointer outside the arena is a mapping made by `map` for this layout's
            // size, freed once (GlobalAlloc's contract); nothing refers to it afterwards.
            let _ = unsafe { rustix::mm::munmap(ptr.cast(), layout.size().max(1)) };
            return;
        }
        // The most recent allocation gives its space back; others stay until exit.
        let end = ptr as usize - self.base() + layout.size();
        let start = ptr as usize - self.base();
        let _ = self
            .used
            .compare_exchange(end, start, Ordering::Relaxed, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if self.owns(ptr) {
            // The most recent allocation grows or shrinks in place when it fits.
            let start = ptr as usize - self.base();
            let end = start + layout.size();
            if start + new_size <= ARENA
                && self
                    .used
                    .compare_exchange(end, start + new_size, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                return ptr;
            }
        }
        // SAFETY: as GlobalAlloc::realloc's default: the caller guarantees new_size, rounded up to
        // the alignment, does not overflow; a new block, the old contents copied (both blocks
        // valid for the shorter length and distinct), the old block freed once.
        unsafe {
            let new = self.alloc(Layout::from_size_align_unchecked(new_size, layout.align()));
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bump_rollback_grow_and_fallback() {
        let arena = Box::new(Arena::new());
        let l8 = Layout::from_size_align(24, 8).unwrap();
        let l64 = Layout::from_size_align(10, 64).unwrap();
        // SAFETY: each pointer is used within its layout and freed with the same layout.
        unsafe {
            let a = arena.alloc(l8);
            let b = arena.alloc(l64);
            assert!(arena.owns(a) && arena.owns(b));
            assert_eq!(b as usize % 64, 0);
            assert!(b as usize >= a as usize + 24, "no overlap");
            // The latest allocation grows in place, then gives its space back.
            let b2 = arena.realloc(b, l64, 100);
            assert_eq!(b2, b);
            arena.dealloc(b2, Layout::from_size_align(100, 64).unwrap());
            let c = arena.alloc(Layout::from_size_align(1, 64).unwrap());
            assert_eq!(c, b, "the space of the last allocation is reused");
            // An older allocation that grows moves, keeping its contents.
            a.write_bytes(7, 24);
            let a2 = arena.realloc(a, l8, 48);
            assert_ne!(a2, a);
            assert_eq!(*a2.add(23), 7);
            // Too large for the arena: a mapping of its own, which grows by moving.
            let big = Layout::from_size_align(ARENA + 1, 8).unwrap();
            let d = arena.alloc(big);
            assert!(!d.is_null() && !arena.owns(d));
            d.write_bytes(3, ARENA + 1);
            let d2 = arena.realloc(d, big, 2 * ARENA);
            assert!(!arena.owns(d2) && *d2.add(ARENA) == 3);
            arena.dealloc(d2, Layout::from_size_align(2 * ARENA, 8).unwrap());
        }
    }
}
