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
