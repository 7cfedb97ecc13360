//! clone(2) onto a stack nsrun owns, through musl's `clone`.
//!
//! rustix has no clone: a raw clone onto a new stack needs per-architecture assembly. musl's wrapper
//! does that and, without CLONE_VM, also does fork's bookkeeping in the child (its cached thread id),
//! so the child may call libc afterwards like a forked process.

use core::ffi::{c_int, c_void};
use rustix::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use rustix::io::Errno;

use super::stack::Stack;

/// What the trampoline hands to the child: its entry point and argument, and the parent's
/// descriptors the child must not keep.
struct Start<'f, T> {
    entry: fn(&T) -> !,
    arg: *const T,
    close: &'f [BorrowedFd<'f>],
}

extern "C" fn trampoline<T>(start: *mut c_void) -> c_int {
    // SAFETY: `start` points to the Start<T> on the stack of `spawn` below. Without CLONE_VM the child
    // owns a copy of the parent's memory taken at clone time, so the pointee is valid for the child's
    // whole life; with CLONE_VM|CLONE_VFORK the parent is suspended in `spawn` (keeping the pointee
    // alive) until the child has exec'd or exited.
    let start = unsafe { &*(start as *const Start<T>) };
    for fd in start.close {
        // SAFETY: `spawn` passes a non-empty list only without CLONE_FILES and CLONE_VM: this child
        // has its own copy of the parent's descriptor table and of its memory, so closing the copy
        // of a parent's descriptor here leaves the parent's own untouched, and the child never
        // drops the parent's OwnedFd values it holds in its copy (it leaves by exec or exit_group).
        unsafe { rustix::io::close(fd.as_raw_fd()) };
    }
    // SAFETY: as above, `arg` points to a T that outlives the child's use of it.
    (start.entry)(unsafe { &*start.arg })
}

/// Starts `entry(arg)` in a new process created with `flags` (namespace flags plus the exit signal)
/// on `stack`, and returns its pid.
///
/// Callers pass CLONE_VM only together with CLONE_VFORK, so the child never runs concurrently with
/// the parent in one address space. The child closes its copies of `close` (the parent's own ends
/// of pipes it shares with the child) before anything else; that needs a descriptor table and
/// memory of its own, so with CLONE_FILES or CLONE_VM the list must be empty (EINVAL otherwise).
pub fn spawn<T>(
    stack: &Stack,
    flags: c_int,
    entry: fn(&T) -> !,
    arg: &T,
    close: &[BorrowedFd<'_>],
) -> Result<i32, Errno> {
    spawn_into(stack, flags, entry, arg, close, core::ptr::null_mut())
}

/// [`spawn`] with CLONE_PIDFD (Linux 5.2): also a pidfd of the child, made by the same call
/// (close-on-exec, in this process only: the child's descriptor table is copied before it is
/// made). None when the kernel stored none: before 5.2 clone(2) ignores the flag it does not
/// know, and the child is made all the same.
pub fn spawn_with_pidfd<T>(
    stack: &Stack,
    flags: c_int,
    entry: fn(&T) -> !,
    arg: &T,
    close: &[BorrowedFd<'_>],
) -> Result<(i32, Option<OwnedFd>), Errno> {
    let mut pidfd: c_int = -1;
    let pid = spawn_into(
        stack,
        flags | libc::CLONE_PIDFD,
        entry,
        arg,
        close,
        &mut pidfd,
    )?;
    if pidfd < 0 {
        return Ok((pid, None));
    }
    // SAFETY: with CLONE_PIDFD the kernel stored a new descriptor of this process's own in
    // `pidfd` when the call succeeded (it was -1 before); nothing else holds or closes it.
    Ok((pid, Some(unsafe { OwnedFd::from_raw_fd(pidfd) })))
}

/// The clone itself; `ptid` is where CLONE_PIDFD stores the pidfd (null without it).
fn spawn_into<T>(
    stack: &Stack,
    flags: c_int,
    entry: fn(&T) -> !,
    arg: &T,
    close: &[BorrowedFd<'_>],
    ptid: *mut c_int,
) -> Result<i32, Errno> {
    debug_assert!(flags & libc::CLONE_VM == 0 || flags & libc::CLONE_VFORK != 0);
    if !close.is_empty() && flags & (libc::CLONE_FILES | libc::CLONE_VM) != 0 {
        return Err(Errno::INVAL);
    }
    let start = Start { entry, arg, close };
    // SAFETY: `stack.top()` is the 16-byte-aligned top of a live mapping with a guard page below it,
    // not used by anything else; `trampoline::<T>` matches the C signature clone expects; `start`
    // outlives the child's use of it (see `trampoline`). musl's clone reads the parent-tid,
    // TLS and child-tid arguments whatever the flags: `ptid` is null or a live c_int (the
    // kernel writes it only with CLONE_PIDFD or CLONE_PARENT_SETTID), the others are null and
    // unused without CLONE_SETTLS and CLONE_CHILD_SETTID/CLEARTID, which no caller passes.
    let pid = unsafe {
        libc::clone(
            trampoline::<T>,
            stack.top(),
            flags,
            &start as *const Start<T> as *mut c_void,
            ptid,
            core::ptr::null_mut::<c_void>(),
            core::ptr::null_mut::<c_int>(),
        )
    };
    if pid < 0 {
        Err(super::errno::last())
    } else {
        Ok(pid)
    }
}
