//! unshare(2) for the one namespace kind that clone(2) cannot create.

use rustix::io::Errno;
use rustix::thread::UnshareFlags;

/// Creates a time namespace for this process's future children (and itself after its next exec).
pub fn unshare_time() -> Result<(), Errno> {
    // SAFETY: unshare_unsafe is unsafe only for CLONE_FILES in multi-threaded programs; this passes
    // only CLONE_NEWTIME, in the single-threaded child.
    unsafe { rustix::thread::unshare_unsafe(UnshareFlags::NEWTIME) }
}
