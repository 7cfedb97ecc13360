//! One setup operation of the child, prepared by the parent and applied after clone.
//!
//! Every step carries its C strings ready-made, so applying it allocates nothing; the parent keeps
//! the same list to name a failed step in its message.

use alloc::ffi::CString;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::ffi::CStr;
use rustix::fs::Mode;
use rustix::io::Errno;
use rustix::mount::{MountFlags, MountPropagationFlags, UnmountFlags};

use crate::out::Bytes as Show;
use crate::resolve::{self, Links, PATH_MAX};
use crate::spec::{Bytes, Propagation};
use crate::sys;

/// A path as the child uses it (under the new root while that is not yet `/`), and where in it the
/// path the user wrote begins, for messages.
pub struct At {
    real: CString,
    shown_from: usize,
}

impl At {
    /// `path` (inside the container) under `root` (empty: the current root).
    pub fn new(root: &[u8], path: &[u8]) -> At {
        let mut real = root.to_vec();
        real.extend_from_slice(path);
        At {
            real: c_string(real),
            shown_from: root.len(),
        }
    }

    /// A path outside the container (a bind source, the new root itself).
    pub fn host(path: &[u8]) -> At {
        At::new(b"", path)
    }

    /// The path as given, for paths outside the container (the kernel resolves them from `/`).
    pub fn c(&self) -> &CStr {
        &self.real
    }

    /// Calls `f` with the path resolved as it will be once the root is `/` (see [`resolve`]).
    pub fn with<R>(
        &self,
        links: Links,
        f: impl FnOnce(&CStr) -> Result<R, Errno>,
    ) -> Result<R, Errno> {
        if self.shown_from == 0 && links.is_kernel_default() {
            f(&self.real)
        } else {
            self.with_resolved(links, f)
        }
    }

    /// The slow path of [`At::with`], kept out of line so that its buffers are on the stack only
    /// when a path is really resolved (the child's touched stack is memory it holds).
    #[inline(never)]
    fn with_resolved<R>(
        &self,
        links: Links,
        f: impl FnOnce(&CStr) -> Result<R, Errno>,
    ) -> Result<R, Errno> {
        let mut buf = [0u8; PATH_MAX];
        let bytes = self.real.to_bytes();
        let (root, path) = bytes.split_at(self.shown_from);
        f(resolve::under(root, path, links, &mut buf)?)
    }

    /// The path as the user wrote it.
    pub fn shown(&self) -> Show<'_> {
        Show(&self.real.to_bytes()[self.shown_from..])
    }
}

/// Makes a C string of bytes that came from C strings (so hold no NUL): arguments, environment,
/// paths.
pub fn c_string(bytes: Vec<u8>) -> CString {
    match CString::new(bytes) {
        Ok(c) => c,
        // A static message: formatting the error with Debug would pull in kilobytes of code.
        Err(_) => panic!("paths, names and arguments come from C strings and hold no NUL byte"),
    }
}

const LOOPBACK: &str = "bring up loopback lo";

/// A filesystem mount made with mount(2).
pub struct Mount {
    /// The filesystem type, which is also the source name (proc, sysfs, tmpfs, devpts).
    pub fstype: &'static CStr,
    /// Where to mount it.
    pub target: At,
    /// Mount flags.
    pub flags: MountFlags,
    /// Filesystem options (`size=...,mode=...`).
    pub data: Option<CString>,
}

/// What a missing path is turned into by [`Step::Create`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Node {
    /// A directory with this mode.
    Dir(u32),
    /// An empty regular file (a mount point for a bound file).
    File,
}

/// One setup operation of the child.
pub enum Step {
    /// Switch to uid and/or gid 0 of the new user namespace (explicit maps that map 0 but not
    /// nsrun's own ids would otherwise leave the command as the overflow id).
    BecomeRoot {
        /// setresuid(0, 0, 0).
        uid: bool,
        /// setgroups([]) where allowed, then setresgid(0, 0, 0).
        gid: bool,
    },
    /// unshare(CLONE_NEWTIME): clone(2) cannot take that flag, so the child makes the namespace and
    /// its children (and, after exec, itself) live in it.
    UnshareTime,
    /// Change the propagation of `/` and everything below it, alone in its own mount(2) call.
    Propagation(Propagation),
    /// sethostname.
    Hostname(Bytes),
    /// setdomainname.
    Domainname(Bytes),
    /// Bring up `lo` in the new network namespace; failure is only a warning.
    Loopback,
    /// Mount a filesystem.
    Mount(Mount),
    /// Bind `src` recursively onto `target`, then set `attrs` (sys::mount::*) on every mount of it.
    Bind {
        /// The host path.
        src: At,
        /// The mount point.
        target: At,
        /// Attributes set recursively on the new mounts.
        attrs: u64,
        /// The option that asked for it, for messages.
        option: &'static str,
    },
    /// Set attributes (read-only) on the mount at `target` (and below it with `recursive`).
    SetAttrs {
        /// The mount.
        target: At,
        /// Attributes to set.
        attrs: u64,
        /// Whether submounts get them too.
        recursive: bool,
    },
    /// Create a missing path (and its missing parents) on a filesystem nsrun mounted; one that
    /// exists already is left alone.
    Create {
        /// The path.
        path: At,
        /// What to make.
        node: Node,
    },
    /// Check that a path exists where nsrun may not create it (on a host filesystem).
    Exists(At),
    /// Make a symbolic link `path` → `target` (an existing identical link is fine). Without
    /// `create` (on a host filesystem) only an existing identical link is accepted.
    Symlink {
        /// What it points to.
        target: CString,
        /// The link.
        path: At,
        /// Whether the link may be made (it lies on a filesystem nsrun mounted).
        create: bool,
    },
    /// Enter the new root (see [`enter_root`]).
    PivotRoot(At),
    /// Change the working directory.
    Chdir(At),
    /// Set no_new_privs.
    NoNewPrivs,
    /// Mark every descriptor above 2 close-on-exec except these.
    CloseFds(Vec<i32>),
}

impl Step {
    /// Applies the step in the child. Allocates nothing.
    pub fn apply(&self) -> Result<(), Errno> {
        match self {
            Step::BecomeRoot { uid, gid } => {
                use rustix::process::{Gid, Uid};
                if *gid {
                    // Denied (EPERM) where setgroups is disabled; the groups then stay as they are.
                    let _ = rustix::thread::set_thread_groups(&[]);
                    rustix::thread::set_thread_res_gid(Gid::ROOT, Gid::ROOT, Gid::ROOT)?;
                }
                if *uid {
                    rustix::thread::set_thread_res_uid(Uid::ROOT, Uid::ROOT, Uid::ROOT)?;
                }
                Ok(())
            }
            Step::UnshareTime => sys::ns::unshare_time(),
            Step::Propagation(p) => {
                let kind = match p {
                    Propagation::Private => MountPropagationFlags::PRIVATE,
                    Propagation::Slave => MountPropagationFlags::DOWNSTREAM,
                    Propagation::Shared => MountPropagationFlags::SHARED,
                    Propagation::Unchanged => return Ok(()),
                };
                // Only MS_REC and the type: the kernel rejects any other flag mixed in (EINVAL).
                rustix::mount::mount_change(c"/", kind | MountPropagationFlags::REC)
            }
            Step::Hostname(name) => rustix::system::sethostname(name),
            Step::Domainname(name) => rustix::system::setdomainname(name),
            Step::Loopback => sys::net::loopback_up(),
            Step::Mount(m) => m.target.with(Links::Follow, |target| {
                rustix::mount::mount(m.fstype, target, m.fstype, m.flags, m.data.as_deref())
            }),
            Step::Bind {
                src, target, attrs, ..
            } => target.with(Links::Follow, |target| {
                rustix::mount::mount_bind_recursive(src.c(), target)?;
                sys::mount::set_attrs(target, *attrs, true)
            }),
            Step::SetAttrs {
                target,
                attrs,
                recursive,
            } => target.with(Links::Follow, |target| {
                sys::mount::set_attrs(target, *attrs, *recursive)
            }),
            Step::Create { path, node } => path.with(Links::Refuse, |path| create(path, *node)),
            Step::Exists(path) => path.with(Links::Follow, |path| rustix::fs::stat(path).map(drop)),
            Step::Symlink {
                target,
                path,
                create,
            } => {
                let links = if *create {
                    Links::RefuseNotLast
                } else {
                    Links::NotLast
                };
                path.with(links, |path| symlink(target, path, *create))
            }
            Step::PivotRoot(dir) => enter_root(dir.c()),
            Step::Chdir(dir) => rustix::process::chdir(dir.c()),
            Step::NoNewPrivs => rustix::thread::set_no_new_privs(true),
            Step::CloseFds(keep) => sys::fd::cloexec_all_but(keep),
        }
    }

    /// For a step whose failure does not stop the run, what it does and a hint, for the warning
    /// the child prints itself. Only bringing up loopback: some kernels and sandboxes refuse it.
    pub fn warning(&self) -> Option<(&'static str, &'static str)> {
        match self {
            Step::Loopback => Some((LOOPBACK, "the network namespace has no working loopback")),
            _ => None,
        }
    }

    /// What the step does, for messages: `mount proc on /proc`.
    pub fn describe(&self) -> String {
        match self {
            Step::BecomeRoot { .. } => "switch to root of the user namespace".into(),
            Step::UnshareTime => "create the time namespace".into(),
            Step::Propagation(p) => format!("make / {} (recursively)", p.name()),
            Step::Hostname(n) => format!("set hostname '{}'", Show(n)),
            Step::Domainname(n) => format!("set domain name '{}'", Show(n)),
            Step::Loopback => LOOPBACK.into(),
            Step::Mount(m) => format!(
                "mount {} on {}",
                Show(m.fstype.to_bytes()),
                m.target.shown()
            ),
            Step::Bind {
                src,
                target,
                option,
                ..
            } => {
                format!("{option} {} on {}", src.shown(), target.shown())
            }
            Step::SetAttrs { target, .. } => format!("make {} read-only", target.shown()),
            Step::Create {
                path,
                node: Node::File,
            } => format!("create file {}", path.shown()),
            Step::Create { path, .. } => format!("create directory {}", path.shown()),
            Step::Exists(path) => format!("find {}", path.shown()),
            Step::Symlink { target, path, .. } => {
                format!(
                    "create symlink {} -> {}",
                    path.shown(),
                    Show(target.to_bytes())
                )
            }
            Step::PivotRoot(dir) => format!("pivot_root into {}", dir.shown()),
            Step::Chdir(d) => format!("change directory to {}", d.shown()),
            Step::NoNewPrivs => "set no_new_privs".into(),
            Step::CloseFds(_) => "close inherited descriptors".into(),
        }
    }
}

/// Makes `dir` the root: pivot_root(2), then detach the old root so nothing of the host's tree
/// stays reachable. From an initramfs, where pivot_root cannot leave the initial ramfs (EINVAL),
/// the new root is moved over `/` and entered with chroot, as switch_root does.
fn enter_root(dir: &CStr) -> Result<(), Errno> {
    rustix::process::chdir(dir)?;
    // With the same directory twice, the old root ends up stacked on the new one at `/`
    // (pivot_root(2), NOTES) and needs no directory of its own inside the tree.
    match rustix::process::pivot_root(c".", c".") {
        Ok(()) => rustix::mount::unmount(c".", UnmountFlags::DETACH)?,
        Err(Errno::INVAL) if on_initial_ramfs() => {
            rustix::mount::mount_move(c".", c"/")?;
            rustix::process::chroot(c".")?;
        }
        Err(e) => return Err(e),
    }
    rustix::process::chdir(c"/")
}

/// Whether `/` is the initial ramfs (rootfs, a ramfs or tmpfs), which pivot_root cannot leave.
fn on_initial_ramfs() -> bool {
    const RAMFS_MAGIC: u64 = 0x8584_58f6;
    const TMPFS_MAGIC: u64 = 0x0102_1994;
    rustix::fs::statfs(c"/").is_ok_and(|fs| matches!(fs.f_type as u64, RAMFS_MAGIC | TMPFS_MAGIC))
}

/// Creates `path` as `node`, with any missing parent directories (mode 0755). Works on the bytes
/// of `path` in a stack buffer: no allocation in the child.
#[inline(never)]
fn create(path: &CStr, node: Node) -> Result<(), Errno> {
    if rustix::fs::stat(path).is_ok() {
        return Ok(());
    }
    let bytes = path.to_bytes();
    let mut buf = [0u8; 4096];
    if bytes.len() >= buf.len() {
        return Err(Errno::NAMETOOLONG);
    }
    // Each prefix ending before a '/' is a parent; then the path itself.
    let ends = bytes
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, b)| **b == b'/')
        .map(|(i, _)| i)
        .chain([bytes.len()]);
    for end in ends {
        buf[..end].copy_from_slice(&bytes[..end]);
        buf[end] = 0;
        let prefix = CStr::from_bytes_until_nul(&buf[..=end]).map_err(|_| Errno::INVAL)?;
        let last = end == bytes.len();
        let made = match (last, node) {
            (true, Node::File) => rustix::fs::open(
                prefix,
                rustix::fs::OFlags::CREATE
                    | rustix::fs::OFlags::WRONLY
                    | rustix::fs::OFlags::CLOEXEC,
                Mode::from_raw_mode(0o644),
            )
            .map(drop),
            (true, Node::Dir(mode)) => rustix::fs::mkdir(prefix, Mode::from_raw_mode(mode))
                // The umask must not trim the requested mode (1777 for /dev/shm).
                .and_then(|()| rustix::fs::chmod(prefix, Mode::from_raw_mode(mode))),
            (false, _) => rustix::fs::mkdir(prefix, Mode::from_raw_mode(0o755)),
        };
        match made {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Makes a symlink; an existing link with the same target is accepted (setting up twice is fine).
#[inline(never)]
fn symlink(target: &CStr, path: &CStr, create: bool) -> Result<(), Errno> {
    let made = match create {
        true => rustix::fs::symlink(target, path),
        false => Err(Errno::EXIST),
    };
    match made {
        Err(Errno::EXIST) => {
            let mut buf = [0u8; 4096];
            let n = rustix::fs::readlinkat_raw(rustix::fs::CWD, path, &mut buf[..])
                .map_err(|e| if create { Errno::EXIST } else { e })?;
            if &buf[..n] == target.to_bytes() {
                Ok(())
            } else {
                Err(Errno::EXIST)
            }
        }
        other => other,
    }
}
