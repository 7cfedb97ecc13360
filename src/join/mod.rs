//! Joining namespaces that already exist: namespace files checked by what the kernel says they
//! are, and the order in which they are joined.
//!
//! `run` joins namespaces given by `--netns` and the others ([`given`]) and keeps its own under
//! a directory with `--keep` ([`keep`], undone by `nsrun release`); `nsrun enter` joins a running process's namespaces ([`target`] pins it, [`enter`] is the
//! sequence), or kept ones, with [`open_at`] and [`open_given`], [`own`], [`join_files`] and
//! [`join_pidfd`].
//!
//! The join API shared with `enter` is [`open_checked`] and [`check`]: a namespace file is
//! opened once and its kind read from the kernel (ioctl NS_GET_NSTYPE, Linux 4.11; before that
//! only "is it a file of nsfs", and setns(2) checks the kind itself), never guessed from a path.

pub mod enter;
pub mod given;
pub mod keep;
pub mod target;

use alloc::format;
use core::ffi::CStr;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::ns::{Kind, Set};

/// The order in which namespaces are joined: the user namespace first (joining it gives an
/// ordinary user the capabilities the others need), the mount namespace last (runc's order).
pub const ORDER: [Kind; 8] = [
    Kind::User,
    Kind::Ipc,
    Kind::Uts,
    Kind::Net,
    Kind::Pid,
    Kind::Cgroup,
    Kind::Time,
    Kind::Mount,
];

/// NSFS_MAGIC: the `f_type` of namespace files.
pub const NSFS_MAGIC: u64 = 0x6e73_6673;

/// Whether `fs` (fstatfs of a file) is nsfs; `f_type`'s width differs between architectures.
pub fn is_nsfs(fs: &rustix::fs::StatFs) -> bool {
    fs.f_type as u64 & 0xffff_ffff == NSFS_MAGIC
}

/// The name of `kind` in /proc/PID/ns and in a kept directory: `mnt`, `uts`, `ipc`, `net`, `pid`,
/// `user`, `cgroup`, `time`.
pub fn proc_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Mount => "mnt",
        Kind::Uts => "uts",
        Kind::Ipc => "ipc",
        Kind::Net => "net",
        Kind::Pid => "pid",
        Kind::User => "user",
        Kind::Cgroup => "cgroup",
        Kind::Time => "time",
    }
}

/// The kind whose CLONE_NEW* flag is `flag`.
pub fn kind_of_flag(flag: i32) -> Option<Kind> {
    Kind::ALL.into_iter().find(|k| k.flag() == flag)
}

/// Why a file cannot be joined as the namespace asked for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Bad {
    /// The kernel refused to open or inspect it.
    Errno(Errno),
    /// It is not a namespace file (not on nsfs).
    NotNamespace,
    /// It is a namespace of another kind.
    Kind(Kind),
}

impl Bad {
    /// The message for `what` (the option and path, as the user wrote them) and the kind wanted.
    pub fn line(self, what: &str, wanted: Kind) -> alloc::string::String {
        use alloc::format;
        match self {
            Bad::Errno(e) => crate::report::line(what, e, None),
            Bad::NotNamespace => format!(
                "{what}: not a namespace file (hint: give /proc/PID/ns/{}, a file bound by \
                 `ip netns add`, unshare or nsrun --keep, or an open descriptor of one)",
                proc_name(wanted)
            ),
            Bad::Kind(found) => format!(
                "{what}: the kernel says this is a {} namespace, not a {} namespace",
                found.name(),
                wanted.name()
            ),
        }
    }
}

/// The kind of namespace file `fd` is, from the kernel: NS_GET_NSTYPE where it has it (4.11),
/// else `None` for any file of nsfs (setns(2) then checks the kind).
pub fn check(fd: BorrowedFd<'_>) -> Result<Option<Kind>, Bad> {
    match crate::sys::ns::ns_type(fd) {
        Ok(flag) => kind_of_flag(flag).map(Some).ok_or(Bad::NotNamespace),
        // Not an nsfs file, or a kernel before 4.11: tell them apart by the filesystem.
        Err(Errno::NOTTY) | Err(Errno::INVAL) => {
            let fs = rustix::fs::fstatfs(fd).map_err(Bad::Errno)?;
            match is_nsfs(&fs) {
                true => Ok(None),
                false => Err(Bad::NotNamespace),
            }
        }
        Err(e) => Err(Bad::Errno(e)),
    }
}

/// Checks that `fd` is a namespace of kind `wanted`.
pub fn check_kind(fd: BorrowedFd<'_>, wanted: Kind) -> Result<(), Bad> {
    match check(fd)? {
        Some(k) if k != wanted => Err(Bad::Kind(k)),
        _ => Ok(()),
    }
}

/// Opens `path` once (read-only, close-on-exec; without blocking on a FIFO or taking a terminal)
/// and checks it is a namespace file of `wanted`.
pub fn open_checked(path: &CStr, wanted: Kind) -> Result<OwnedFd, Bad> {
    let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY;
    let fd = rustix::fs::open(path, flags, Mode::empty()).map_err(Bad::Errno)?;
    check_kind(rustix::fd::AsFd::as_fd(&fd), wanted)?;
    Ok(fd)
}

/// Moves this process into the namespace `fd` of kind `kind` (setns(2), which checks the kind
/// again).
pub fn setns(fd: BorrowedFd<'_>, kind: Kind) -> Result<(), Errno> {
    use rustix::thread::LinkNameSpaceType as T;
    let t = match kind {
        Kind::Mount => T::Mount,
        Kind::Uts => T::HostNameAndNISDomainName,
        Kind::Ipc => T::InterProcessCommunication,
        Kind::Net => T::Network,
        Kind::Pid => T::ProcessID,
        Kind::User => T::User,
        Kind::Cgroup => T::ControlGroup,
        Kind::Time => T::Time,
    };
    rustix::thread::move_into_link_name_space(fd, Some(t))
}

/// An open namespace file, checked to be a namespace of `kind`.
#[derive(Debug)]
pub struct NsFile {
    /// Its kind.
    pub kind: Kind,
    /// The open file (O_RDONLY: setns(2) refuses O_PATH descriptors).
    pub fd: OwnedFd,
    /// st_dev and st_ino of the namespace: equal for two files of one namespace.
    pub id: (u64, u64),
}

impl NsFile {
    /// Checks `fd` with [`check_kind`] and notes its identity.
    fn new(fd: OwnedFd, kind: Kind) -> Result<NsFile, Bad> {
        check_kind(fd.as_fd(), kind)?;
        let st = rustix::fs::fstat(&fd).map_err(Bad::Errno)?;
        Ok(NsFile {
            kind,
            fd,
            id: (st.st_dev, st.st_ino),
        })
    }
}

/// Opens `name` relative to `dir` as a namespace file of `kind`, following symbolic links (the
/// magic links of /proc/PID/ns), and checks it.
pub fn open_at(dir: BorrowedFd<'_>, name: &CStr, kind: Kind) -> Result<NsFile, Bad> {
    let fd = rustix::fs::openat(dir, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
        .map_err(Bad::Errno)?;
    NsFile::new(fd, kind)
}

/// Opens `name` relative to `dir` as a namespace file of `kind` that someone else may have put
/// there (a kept namespace): a final symbolic link is not followed, and only a regular file is
/// opened for reading (the files of nsfs are regular files), so a FIFO that would block the
/// open, or a device whose open does something, is refused unopened. It is opened for reading
/// a second time by name, and must then be the same inode.
pub fn open_given(dir: BorrowedFd<'_>, name: &CStr, kind: Kind) -> Result<NsFile, Bad> {
    let path = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let first = rustix::fs::openat(dir, name, path, Mode::empty()).map_err(Bad::Errno)?;
    let st = rustix::fs::fstat(&first).map_err(Bad::Errno)?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        return Err(Bad::NotNamespace);
    }
    let read = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
    let fd =
        rustix::fs::openat(dir, name, read | OFlags::CLOEXEC, Mode::empty()).map_err(Bad::Errno)?;
    let file = NsFile::new(fd, kind)?;
    match file.id == (st.st_dev, st.st_ino) {
        true => Ok(file),
        false => Err(Bad::NotNamespace),
    }
}

/// This process's own namespace of `kind`, as `(st_dev, st_ino)`, looked up in `self_dir`, a
/// descriptor of /proc/self (it keeps answering for this process after it joined another mount
/// namespace).
pub fn own(self_dir: BorrowedFd<'_>, kind: Kind) -> Option<(u64, u64)> {
    let path = format!("ns/{}", proc_name(kind));
    rustix::fs::statat(self_dir, path.as_str(), AtFlags::empty())
        .ok()
        .map(|st| (st.st_dev, st.st_ino))
}

/// The namespace of `kind` this process has joined (as [`own`]), the one its children get: for
/// a PID namespace, which setns(2) gives to the children only, its pid_for_children.
pub fn joined(self_dir: BorrowedFd<'_>, kind: Kind) -> Option<(u64, u64)> {
    match kind {
        Kind::Pid => rustix::fs::statat(self_dir, c"ns/pid_for_children", AtFlags::empty())
            .ok()
            .map(|st| (st.st_dev, st.st_ino)),
        _ => own(self_dir, kind),
    }
}

/// Opens /proc/self as a directory descriptor, for [`own`].
pub fn open_self() -> Result<OwnedFd, Errno> {
    rustix::fs::open(
        c"/proc/self",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Joins each of `files` with [`setns`] in [`ORDER`]: the user namespace first. On
/// failure, the file that failed and the errno; the namespaces joined before it stay joined.
pub fn join_files<'f>(files: &[&'f NsFile]) -> Result<(), (&'f NsFile, Errno)> {
    for kind in ORDER {
        for file in files.iter().filter(|f| f.kind == kind) {
            setns(file.fd.as_fd(), kind).map_err(|e| (*file, e))?;
        }
    }
    Ok(())
}

/// Joins the namespaces of `kinds` of the process `pidfd` refers to in one setns(2) (Linux 5.8),
/// all of them or none: the kernel enters the user namespace first and checks the others with
/// the credentials it gives. EINVAL before 5.8 (a pidfd is no namespace file).
pub fn join_pidfd(pidfd: BorrowedFd<'_>, kinds: Set) -> Result<(), Errno> {
    let flags = kinds.iter().fold(0, |acc, k| acc | k.flag()) as u32;
    rustix::thread::move_into_thread_name_spaces(
        pidfd,
        rustix::thread::ThreadNameSpaceType::from_bits_retain(flags),
    )
}

/// The hint for a namespace file that cannot be opened.
pub fn open_hint(e: Errno) -> Option<&'static str> {
    match e {
        Errno::ACCESS | Errno::PERM => Some(
            "the namespaces of another user's process, or of one that is not dumpable, are open \
             only to CAP_SYS_PTRACE over it: run as root, or as the owner of the container",
        ),
        Errno::NOENT => Some("this kernel may lack that kind of namespace"),
        _ => None,
    }
}

/// The hint for a failed setns(2) of `kind`.
pub fn setns_hint(kind: Kind, e: Errno) -> Option<&'static str> {
    match (kind, e) {
        (Kind::User | Kind::Mount, Errno::INVAL) | (Kind::Time, Errno::USERS) => {
            Some("a process with threads cannot join it")
        }
        (_, Errno::PERM) => Some(
            "joining needs CAP_SYS_ADMIN over the namespace: run as root, or as its owner join \
             its user namespace too (-U)",
        ),
        (_, Errno::INVAL) => Some("the file is not a namespace of that kind"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn dir(path: &CStr) -> OwnedFd {
        rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .unwrap()
    }

    #[test]
    fn join_order_puts_user_first_and_holds_every_kind() {
        assert_eq!(ORDER[0], Kind::User);
        for k in Kind::ALL {
            assert_eq!(ORDER.iter().filter(|o| **o == k).count(), 1);
            assert_eq!(kind_of_flag(k.flag()), Some(k));
        }
    }

    #[test]
    fn own_namespace_files_are_what_their_names_say() {
        let proc = dir(c"/proc/self/ns");
        let selfdir = open_self().unwrap();
        for kind in Kind::ALL {
            let name = std::ffi::CString::new(proc_name(kind)).unwrap();
            let Ok(f) = open_at(proc.as_fd(), &name, kind) else {
                continue; // a kind this kernel lacks
            };
            assert_eq!(f.kind, kind);
            assert_eq!(Some(f.id), own(selfdir.as_fd(), kind), "{kind:?}");
            // The same file is refused as any other kind, naming what it is.
            let other = if kind == Kind::Net {
                Kind::Uts
            } else {
                Kind::Net
            };
            assert_eq!(
                open_at(proc.as_fd(), &name, other).unwrap_err(),
                Bad::Kind(kind)
            );
        }
    }

    #[test]
    fn given_files_that_are_not_namespaces_are_not_opened() {
        let tmp = std::env::temp_dir().join(format!("nsrun-join-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        std::fs::write(tmp.join("net"), "").unwrap();
        std::fs::create_dir_all(tmp.join("uts")).unwrap();
        let _ = std::fs::remove_file(tmp.join("ipc"));
        symlink("/proc/self/ns/ipc", tmp.join("ipc")).unwrap();
        let fifo = std::process::Command::new("mkfifo")
            .arg(tmp.join("pid"))
            .status();
        assert!(fifo.unwrap().success());
        let c = std::ffi::CString::new(tmp.to_str().unwrap()).unwrap();
        let d = dir(&c);
        for (name, kind) in [
            (c"net", Kind::Net),
            (c"uts", Kind::Uts),
            // A link to a real namespace file is not followed.
            (c"ipc", Kind::Ipc),
            // A FIFO, which an open for reading would wait on forever.
            (c"pid", Kind::Pid),
        ] {
            assert_eq!(
                open_given(d.as_fd(), name, kind).unwrap_err(),
                Bad::NotNamespace,
                "{name:?}"
            );
        }
        assert_eq!(
            open_given(d.as_fd(), c"missing", Kind::Pid).unwrap_err(),
            Bad::Errno(Errno::NOENT)
        );
        // /dev/null: a device is never opened.
        assert_eq!(
            open_given(dir(c"/dev").as_fd(), c"null", Kind::Net).unwrap_err(),
            Bad::NotNamespace
        );
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
