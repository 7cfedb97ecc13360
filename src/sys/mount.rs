//! Mount attributes and propagation on a mount given by descriptor: mount_setattr(2) (Linux 5.12),
//! which rustix does not wrap, through the `sc` raw syscall crate; on older kernels mount(2)
//! remounts through a path to the descriptor, every submount too, found in /proc/self/mountinfo.
//!
//! Errors of the fallback besides the kernel's own (the caller names them in its hint):
//! - [`NEEDS_PROC`]: no mount_setattr, and no procfs to reach the mount (a file) or to read the
//!   mount table (recursive);
//! - [`UNREACHABLE`]: a mount below the target cannot be opened by its mount point (covered by a
//!   later mount, moved, or gone), or the target is not in the mount table;
//! - [`TOO_MANY`]: more than [`MAX_SUBMOUNTS`] mounts in the tree;
//! - [`mountinfo::LINE_TOO_LONG`], [`mountinfo::MALFORMED`]: a mount table it cannot parse.
//!
//! Nothing is ever skipped: where a submount cannot be remounted the call fails, so the caller
//! stops instead of running the command with part of a read-only tree writable.

use core::ffi::CStr;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{AtFlags, Mode, OFlags, StatVfsMountFlags as Vfs, StatxFlags};
use rustix::io::Errno;
use rustix::mount::{MountFlags as Ms, MountPropagationFlags};

use crate::mountinfo::{self, Subtree};

/// MOUNT_ATTR_RDONLY.
pub const RDONLY: u64 = 0x1;
/// MOUNT_ATTR_NOSUID.
pub const NOSUID: u64 = 0x2;
/// MOUNT_ATTR_NODEV.
pub const NODEV: u64 = 0x4;

/// Without mount_setattr, the fallback needs a procfs and has none.
pub const NEEDS_PROC: Errno = Errno::NOSYS;
/// Without mount_setattr, a submount cannot be reached by its path to remount it.
pub const UNREACHABLE: Errno = Errno::XDEV;
/// Without mount_setattr, the tree has more than [`MAX_SUBMOUNTS`] mounts.
pub const TOO_MANY: Errno = mountinfo::TOO_MANY;
/// How many mounts (the target included) the fallback remounts at most.
pub const MAX_SUBMOUNTS: usize = 512;

/// The read buffer for mountinfo, on the stack; a longer line is fine when its first five fields
/// fit (see [`mountinfo::parse`]).
const LINE_BUF: usize = 8192;

/// The kernel's `struct mount_attr` (the first version, 32 bytes).
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// mount_setattr(target, "", AT_EMPTY_PATH | AT_RECURSIVE if `recursive`, attr).
fn mount_setattr(target: BorrowedFd<'_>, recursive: bool, attr: &MountAttr) -> Result<(), Errno> {
    const AT_RECURSIVE: usize = 0x8000;
    let flags = libc::AT_EMPTY_PATH as usize | if recursive { AT_RECURSIVE } else { 0 };
    use rustix::fd::AsRawFd;
    // SAFETY: the path is a static empty C string and `attr` a properly laid out mount_attr, both
    // alive for the call, which only reads them; the descriptor is borrowed for the call.
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

/// Sets `attrs` (RDONLY, NOSUID, NODEV bits) on the mount whose root `target` is (an O_PATH
/// directory or file descriptor on the top of a mount stack), and with `recursive` on every mount
/// below it. `proc` is a descriptor of a procfs root (the child has one when any /proc is
/// reachable), needed only on kernels without mount_setattr.
///
/// Other attributes stay as they are, so flags the kernel locks in a user namespace need no care.
/// Before Linux 5.12 the mount, and each mount below it, is remounted with `MS_REMOUNT|MS_BIND`
/// and its current flags plus `attrs` (see the module's errors). Allocates nothing.
pub fn set_attrs_fd(
    target: BorrowedFd<'_>,
    attrs: u64,
    recursive: bool,
    proc: Option<BorrowedFd<'_>>,
) -> Result<(), Errno> {
    match set_attrs_new(target, attrs, recursive) {
        Err(Errno::NOSYS) => remount_tree(target, attrs, recursive, proc),
        other => other,
    }
}

/// mount_setattr with `attrs` to set; Ok without a call when there are none.
fn set_attrs_new(target: BorrowedFd<'_>, attrs: u64, recursive: bool) -> Result<(), Errno> {
    if attrs == 0 {
        return Ok(());
    }
    let attr = MountAttr {
        attr_set: attrs,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    mount_setattr(target, recursive, &attr)
}

/// Makes the mount whose root `target` is private, and with `recursive` every mount below it
/// (mount_setattr with propagation MS_PRIVATE; before Linux 5.12 mount(2) with MS_PRIVATE, and
/// MS_REC, through a path to the descriptor: a propagation change takes the whole tree, covered
/// mounts included, so no walk is needed). `proc` as for [`set_attrs_fd`]; without it `target`
/// must be a directory. Allocates nothing.
pub fn make_private_fd(
    target: BorrowedFd<'_>,
    recursive: bool,
    proc: Option<BorrowedFd<'_>>,
) -> Result<(), Errno> {
    const MS_PRIVATE: u64 = 1 << 18;
    let attr = MountAttr {
        attr_set: 0,
        attr_clr: 0,
        propagation: MS_PRIVATE,
        userns_fd: 0,
    };
    match mount_setattr(target, recursive, &attr) {
        Err(Errno::NOSYS) => {
            let mut kind = MountPropagationFlags::PRIVATE;
            if recursive {
                kind |= MountPropagationFlags::REC;
            }
            through_path(target, proc, |path| rustix::mount::mount_change(path, kind))
        }
        other => other,
    }
}

/// The fallback of [`set_attrs_fd`]: remount the target, then with `recursive` each mount below
/// it that mountinfo lists, each reached by its mount point and checked to be that mount.
fn remount_tree(
    target: BorrowedFd<'_>,
    attrs: u64,
    recursive: bool,
    proc: Option<BorrowedFd<'_>>,
) -> Result<(), Errno> {
    if !recursive {
        return remount(target, attrs, proc);
    }
    let proc = proc.ok_or(NEEDS_PROC)?;
    let top = mount_id(target, Some(proc))?;
    let tree = subtree(proc, top)?;
    remount(target, attrs, Some(proc))?;
    if tree.ids().len() == 1 {
        return Ok(());
    }
    let mut done = [false; MAX_SUBMOUNTS];
    done[0] = true;
    each_mount(proc, |line, complete| {
        let e = mountinfo::parse(line, complete)?;
        let Some(i) = tree.index_of(e.id) else {
            return Ok(());
        };
        if done[i] {
            return Ok(());
        }
        let point = &mut line[e.point.clone()];
        let len = mountinfo::unescape_in_place(point)?;
        // The decoded path is no longer than the field, which a space follows in the line.
        line[e.point.start + len] = 0;
        let path = CStr::from_bytes_with_nul(&line[e.point.start..=e.point.start + len])
            .map_err(|_| mountinfo::MALFORMED)?;
        let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::open(path, flags, Mode::empty()).map_err(|_| UNREACHABLE)?;
        // Covered by a later mount, or the path now leads elsewhere: that is another mount.
        if mount_id(fd.as_fd(), Some(proc))? != e.id {
            return Err(UNREACHABLE);
        }
        remount(fd.as_fd(), attrs, Some(proc))?;
        done[i] = true;
        Ok(())
    })?;
    // A mount that left the table between the reads was not remounted.
    match done[..tree.ids().len()].iter().all(|d| *d) {
        true => Ok(()),
        false => Err(UNREACHABLE),
    }
}

/// The mount `top` and every mount below it, from mountinfo: read again until a reading adds
/// nothing (a moved mount can be listed before its parent). [`UNREACHABLE`] when `top` is not
/// listed (outside this process's root or mount namespace).
fn subtree(proc: BorrowedFd<'_>, top: u32) -> Result<Subtree<MAX_SUBMOUNTS>, Errno> {
    let mut tree = Subtree::new(top);
    loop {
        let (mut seen, mut added) = (false, false);
        each_mount(proc, |line, complete| {
            let e = mountinfo::parse(line, complete)?;
            seen |= e.id == top;
            added |= tree.absorb(e.id, e.parent)?;
            Ok(())
        })?;
        if !seen {
            return Err(UNREACHABLE);
        }
        if !added {
            return Ok(tree);
        }
    }
}

/// Calls `each` on every line of `self/mountinfo` under `proc` (see [`mountinfo::for_each_line`]),
/// read through a stack buffer.
fn each_mount(
    proc: BorrowedFd<'_>,
    each: impl FnMut(&mut [u8], bool) -> Result<(), Errno>,
) -> Result<(), Errno> {
    let file = rustix::fs::openat(
        proc,
        c"self/mountinfo",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    let mut buf = [0u8; LINE_BUF];
    mountinfo::for_each_line(&mut buf, |b| read(file.as_fd(), b), each)
}

/// read(2), retried after EINTR.
fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        match rustix::io::read(fd, &mut *buf) {
            Err(Errno::INTR) => {}
            other => return other,
        }
    }
}

/// The mount id (as mountinfo's first field shows it) of the mount `fd` lies on: statx
/// STATX_MNT_ID (Linux 5.8), else `mnt_id:` of the descriptor's fdinfo under `proc` (Linux 3.15);
/// [`NEEDS_PROC`] when neither can be had. Allocates nothing.
pub fn mount_id(fd: BorrowedFd<'_>, proc: Option<BorrowedFd<'_>>) -> Result<u32, Errno> {
    const STATX_MNT_ID: u32 = 0x1000;
    if let Ok(st) = rustix::fs::statx(fd, c"", AtFlags::EMPTY_PATH, StatxFlags::MNT_ID) {
        if st.stx_mask & STATX_MNT_ID != 0 {
            return u32::try_from(st.stx_mnt_id).map_err(|_| Errno::OVERFLOW);
        }
    }
    let proc = proc.ok_or(NEEDS_PROC)?;
    use rustix::fd::AsRawFd;
    let mut name = [0u8; 32];
    let name = mountinfo::with_number(&mut name, b"self/fdinfo/", fd.as_raw_fd() as u32)
        .and_then(|n| CStr::from_bytes_with_nul(n).ok())
        .ok_or(Errno::INVAL)?;
    let file = rustix::fs::openat(proc, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    let mut text = [0u8; 512];
    let mut len = 0;
    while len < text.len() {
        match read(file.as_fd(), &mut text[len..])? {
            0 => break,
            n => len += n,
        }
    }
    mountinfo::fdinfo_mnt_id(&text[..len]).ok_or(Errno::INVAL)
}

/// Remounts the one mount whose root `fd` is with `MS_REMOUNT|MS_BIND`, its current flags (some
/// may be locked in a user namespace: dropping one would fail with EPERM) and `attrs`.
fn remount(fd: BorrowedFd<'_>, attrs: u64, proc: Option<BorrowedFd<'_>>) -> Result<(), Errno> {
    // ST_NOSYMFOLLOW (Linux 5.10), which rustix does not name.
    let nosymfollow = Vfs::from_bits_retain(0x2000);
    let have = rustix::fs::fstatvfs(fd)?.f_flag;
    let mut flags = Ms::BIND;
    for (vfs, ms) in [
        (Vfs::RDONLY, Ms::RDONLY),
        (Vfs::NOSUID, Ms::NOSUID),
        (Vfs::NODEV, Ms::NODEV),
        (Vfs::NOEXEC, Ms::NOEXEC),
        (Vfs::NOATIME, Ms::NOATIME),
        (Vfs::NODIRATIME, Ms::NODIRATIME),
        (Vfs::RELATIME, Ms::RELATIME),
        (nosymfollow, Ms::NOSYMFOLLOW),
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
    through_path(fd, proc, |path| {
        rustix::mount::mount_remount(path, flags, c"")
    })
}

/// Calls `op` with a path that leads to exactly the mount and file of `fd`, for mount(2), which
/// takes no descriptor: with `proc`, the magic link `self/fd/N` relative to it (the working
/// directory moved there for the call); without, `.` after fchdir to `fd` (a directory only, else
/// [`NEEDS_PROC`]). Neither path crosses into a mount stacked later on `fd`'s place: `.` is the
/// working directory as it is, and the magic link jumps to the descriptor's own mount and dentry.
/// The working directory is restored afterwards.
fn through_path(
    fd: BorrowedFd<'_>,
    proc: Option<BorrowedFd<'_>>,
    op: impl FnOnce(&CStr) -> Result<(), Errno>,
) -> Result<(), Errno> {
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let saved = rustix::fs::open(c".", flags, Mode::empty())?;
    let done = match proc {
        Some(proc) => {
            use rustix::fd::AsRawFd;
            let mut name = [0u8; 32];
            let name = mountinfo::with_number(&mut name, b"self/fd/", fd.as_raw_fd() as u32)
                .and_then(|n| CStr::from_bytes_with_nul(n).ok())
                .ok_or(Errno::INVAL)?;
            rustix::process::fchdir(proc).and_then(|()| op(name))
        }
        None => match rustix::process::fchdir(fd) {
            Err(Errno::NOTDIR) => Err(NEEDS_PROC),
            other => other.and_then(|()| op(c".")),
        },
    };
    let back = rustix::process::fchdir(&saved);
    done.and(back)
}

/// mount_setattr(2) on the mount whose root `target` is (and with `recursive` every mount below
/// it): sets the MOUNT_ATTR_* `set`, clears `clear` and, when `propagation` is not 0, changes the
/// propagation to it (MS_PRIVATE, MS_SLAVE, MS_SHARED or MS_UNBINDABLE). Linux 5.12 (ENOSYS
/// before); an OCI mount's options need it. Allocates nothing.
pub fn setattr(
    target: BorrowedFd<'_>,
    set: u64,
    clear: u64,
    propagation: u64,
    recursive: bool,
) -> Result<(), Errno> {
    if set | clear | propagation == 0 {
        return Ok(());
    }
    let attr = MountAttr {
        attr_set: set,
        attr_clr: clear,
        propagation,
        userns_fd: 0,
    };
    mount_setattr(target, recursive, &attr)
}
