//! mount_setattr(2), which rustix does not wrap, through the `sc` raw syscall crate.

use core::ffi::CStr;
use rustix::fd::{AsRawFd, BorrowedFd};
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
    if attrs == 0 {
        return Ok(());
    }
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
    match super::errno::from_rc(rc) {
        Err(Errno::NOSYS) => remount_fallback(path, attrs),
        other => other,
    }
}

/// Before Linux 5.12 there is no mount_setattr: remount the one mount at `path`, keeping its
/// current flags (which may be locked in a user namespace) and adding `attrs`. Submounts are not
/// changed on such kernels.
fn remount_fallback(path: &CStr, attrs: u64) -> Result<(), Errno> {
    use rustix::fs::StatVfsMountFlags as Vfs;
    use rustix::mount::MountFlags as Ms;
    let have = rustix::fs::statvfs(path)?.f_flag;
    let mut flags = Ms::BIND;
    for (vfs, ms) in [
        (Vfs::RDONLY, Ms::RDONLY),
        (Vfs::NOSUID, Ms::NOSUID),
        (Vfs::NODEV, Ms::NODEV),
        (Vfs::NOEXEC, Ms::NOEXEC),
        (Vfs::NOATIME, Ms::NOATIME),
        (Vfs::NODIRATIME, Ms::NODIRATIME),
        (Vfs::RELATIME, Ms::RELATIME),
    ] {
        if have.contains(vfs) {
            flags |= ms;
        }
    }
    for (attr, ms) in [
        (RDONLY, Ms::RDONLY),
        (NOSUID, Ms::NOSUID),
        (NODEV, Ms::NODEV),
    ] {
        if attrs & attr != 0 {
            flags |= ms;
        }
    }
    rustix::mount::mount_remount(path, flags, c"")
}

/// MS_PRIVATE, for `struct mount_attr`'s propagation field.
const MS_PRIVATE: u64 = 1 << 18;

fn setattr_fd(target: BorrowedFd<'_>, attr: &MountAttr, recursive: bool) -> Result<(), Errno> {
    const AT_EMPTY_PATH: usize = 0x1000;
    const AT_RECURSIVE: usize = 0x8000;
    let flags = AT_EMPTY_PATH | if recursive { AT_RECURSIVE } else { 0 };
    // SAFETY: the path is an empty C string and `attr` a properly laid out mount_attr, both alive
    // for the call; the kernel only reads them and acts on the descriptor `target`.
    let rc = unsafe {
        sc::syscall!(
            MOUNT_SETATTR,
            target.as_raw_fd() as isize as usize,
            c"".as_ptr() as usize,
            flags,
            attr as *const MountAttr as usize,
            core::mem::size_of::<MountAttr>()
        )
    };
    super::errno::from_rc(rc)
}

/// Sets `attrs` (RDONLY, NOSUID, NODEV bits) on the mount whose root `target` is, and with
/// `recursive` on every mount below it. `proc` is a procfs root, needed only on kernels without
/// mount_setattr.
pub fn set_attrs_fd(
    target: BorrowedFd<'_>,
    attrs: u64,
    recursive: bool,
    proc: Option<BorrowedFd<'_>>,
) -> Result<(), Errno> {
    if attrs == 0 {
        return Ok(());
    }
    let attr = MountAttr {
        attr_set: attrs,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    match setattr_fd(target, &attr, recursive) {
        Err(Errno::NOSYS) => {
            let _ = proc;
            Err(Errno::NOSYS)
        }
        other => other,
    }
}

/// Makes the mount whose root `target` is private (and every mount below it with `recursive`).
pub fn make_private_fd(
    target: BorrowedFd<'_>,
    recursive: bool,
    proc: Option<BorrowedFd<'_>>,
) -> Result<(), Errno> {
    let attr = MountAttr {
        attr_set: 0,
        attr_clr: 0,
        propagation: MS_PRIVATE,
        userns_fd: 0,
    };
    match setattr_fd(target, &attr, recursive) {
        Err(Errno::NOSYS) => {
            let _ = proc;
            Err(Errno::NOSYS)
        }
        other => other,
    }
}
