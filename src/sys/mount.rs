//! mount_setattr(2), which rustix does not wrap, through the `sc` raw syscall crate.

use core::ffi::CStr;
use rustix::io::Errno;

/// MOUNT_ATTR_RDONLY.
pub const RDONLY: u64 = 0x1;
/// MOUNT_ATTR_NOSUID.
pub const NOSUID: u64 = 0x2;
/// MOUNT_ATTR_NODEV.
pub const NODEV: u64 = 0x4;

/// The kernel's `struct mount_attr` (the first version, 32 bytes).
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// Sets `attrs` on the mount at `path`, and with `recursive` on every mount below it too. Other
/// attributes stay as they are, so flags the kernel locks in a user namespace need no care.
pub fn set_attrs(path: &CStr, attrs: u64, recursive: bool) -> Result<(), Errno> {
    const AT_RECURSIVE: usize = 0x8000;
    let attr = MountAttr {
        attr_set: attrs,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    let flags = if recursive { AT_RECURSIVE } else { 0 };
    // SAFETY: `path` is a valid C string and `attr` a properly laid out mount_attr, both alive for
    // the call; the kernel only reads them.
    let rc = unsafe {
        sc::syscall!(
            MOUNT_SETATTR,
            libc::AT_FDCWD as isize as usize,
            path.as_ptr() as usize,
            flags,
            &attr as *const MountAttr as usize,
            core::mem::size_of::<MountAttr>()
        )
    };
    super::errno::from_rc(rc)
}
