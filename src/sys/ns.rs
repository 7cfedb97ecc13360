//! unshare(2) for the one namespace kind that clone(2) cannot create, and for the nested user
//! namespace of `--disable-userns`.

use rustix::io::Errno;
use rustix::thread::UnshareFlags;

/// Creates a time namespace for this process's future children (and itself after its next exec).
pub fn unshare_time() -> Result<(), Errno> {
    // SAFETY: unshare_unsafe is unsafe only for CLONE_FILES in multi-threaded programs; this passes
    // only CLONE_NEWTIME, in the single-threaded child.
    unsafe { rustix::thread::unshare_unsafe(UnshareFlags::NEWTIME) }
}

/// Moves this process into a new user namespace (`--disable-userns`).
pub fn unshare_user() -> Result<(), Errno> {
    // SAFETY: unshare_unsafe is unsafe only for CLONE_FILES in multi-threaded programs; this passes
    // only CLONE_NEWUSER, in a single-threaded process.
    unsafe { rustix::thread::unshare_unsafe(UnshareFlags::NEWUSER) }
}

/// Moves this process into a new cgroup namespace whose root is its current cgroup.
pub fn unshare_cgroup() -> Result<(), Errno> {
    // SAFETY: unshare_unsafe is unsafe only for CLONE_FILES in multi-threaded programs; this passes
    // only CLONE_NEWCGROUP, in the single-threaded child.
    unsafe { rustix::thread::unshare_unsafe(UnshareFlags::NEWCGROUP) }
}

/// Moves this process into new namespaces of the kinds in `flags` (namespace flags only: anything
/// else, CLONE_FILES among them, is EINVAL); `nsrun demo` makes its scratch namespaces with it.
pub fn unshare_namespaces(flags: UnshareFlags) -> Result<(), Errno> {
    let kinds = UnshareFlags::NEWNS
        | UnshareFlags::NEWUSER
        | UnshareFlags::NEWPID
        | UnshareFlags::NEWUTS
        | UnshareFlags::NEWIPC
        | UnshareFlags::NEWNET
        | UnshareFlags::NEWCGROUP
        | UnshareFlags::NEWTIME;
    if !kinds.contains(flags) {
        return Err(Errno::INVAL);
    }
    // SAFETY: unshare_unsafe is unsafe only for CLONE_FILES in multi-threaded programs; `flags`
    // holds namespace kinds only (checked above), and the callers are single-threaded.
    unsafe { rustix::thread::unshare_unsafe(flags) }
}

/// The CLONE_NEW* type of the namespace file `fd` (ioctl NS_GET_NSTYPE, Linux 4.11).
pub fn ns_type(fd: rustix::fd::BorrowedFd<'_>) -> Result<i32, Errno> {
    use rustix::fd::AsRawFd;
    const NS_GET_NSTYPE: libc::c_ulong = 0xb703;
    // SAFETY: NS_GET_NSTYPE takes no argument and writes no memory; the descriptor is borrowed
    // for the call.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), NS_GET_NSTYPE as _) };
    match rc {
        -1 => Err(super::errno::last()),
        n => Ok(n),
    }
}

/// The namespace of the process `pidfd` refers to that `request` names, opened: ioctl
/// PIDFD_GET_*_NAMESPACE (Linux 6.11; ENOTTY before), `_IO(0xFF, N)` with N 1 (cgroup) to 10
/// (uts), see [`PIDFD_GET`]. No /proc lookup: the nsfs file of the namespace itself.
pub fn ns_of_pidfd(pidfd: rustix::fd::BorrowedFd<'_>, n: u8) -> Result<rustix::fd::OwnedFd, Errno> {
    use rustix::fd::{AsRawFd, FromRawFd};
    if !(1..=10).contains(&n) {
        return Err(Errno::INVAL);
    }
    let request = 0xff00 | libc::c_ulong::from(n);
    // SAFETY: the PIDFD_GET_*_NAMESPACE requests take no argument (the kernel wants it 0, else
    // EINVAL) and write no memory; the descriptor is borrowed for the call.
    let rc = unsafe { libc::ioctl(pidfd.as_raw_fd(), request as _, 0 as libc::c_ulong) };
    if rc < 0 {
        return Err(super::errno::last());
    }
    // SAFETY: on success the ioctl returns a new descriptor (close-on-exec) of this process's
    // own, which nothing else holds.
    Ok(unsafe { rustix::fd::OwnedFd::from_raw_fd(rc) })
}

/// The N of [`ns_of_pidfd`] for each namespace file nsrun records, in the order of
/// [`crate::state::entry::NS_NAMES`] (cgroup, ipc, mnt, net, pid, time, user, uts).
pub const PIDFD_GET: [u8; 8] = [1, 2, 3, 4, 5, 7, 9, 10];
