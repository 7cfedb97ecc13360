//! One setup operation of the child, prepared by the parent and applied after clone.
//!
//! Every step carries its C strings ready-made, so applying it allocates nothing; the parent keeps
//! the same list to name a failed step in its message. Paths inside the container are resolved by
//! [`crate::setup::tree`], from descriptors, when the step is applied.

use alloc::ffi::CString;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rustix::fd::AsFd;
use rustix::io::Errno;
use rustix::mount::{MountFlags, MountPropagationFlags};

use crate::out::Bytes as Show;
use crate::setup::tree::Tree;
use crate::spec::{Bytes, Propagation};
use crate::sys;

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
    pub fstype: &'static core::ffi::CStr,
    /// Where to mount it, inside the container.
    pub target: Bytes,
    /// Mount flags.
    pub flags: MountFlags,
    /// Filesystem options (`size=...,mode=...`).
    pub data: Option<CString>,
    /// For a tmpfs nsrun may create files in: its `nr_inodes`, unique to this run and mount, by
    /// which the child recognises it after mounting (see [`Tree::mount_fs`]).
    pub tag: Option<u64>,
}

/// An OCI mount (`mounts[N]`), a filesystem or a bind, prepared for [`Step::General`].
pub struct General {
    /// `mounts[N]`, for messages.
    pub label: Bytes,
    /// The filesystem type (not used for a bind).
    pub fstype: CString,
    /// The source: the name handed to the filesystem (a bind's is in its slot).
    pub source: CString,
    /// The path inside the container.
    pub target: Bytes,
    /// MS_* flags: the filesystem's at mount time, a bind's set on the new mount after.
    pub flags: u64,
    /// The filesystem's options.
    pub data: Option<CString>,
    /// A tmpfs nsrun may create files in afterwards.
    pub ours: bool,
    /// runc's `tmpcopyup`: the directory must be empty.
    pub copy_up: bool,
    /// A bind: the source's slot and whether the mounts below it come too (rbind).
    pub bind: Option<(u32, bool)>,
    /// MOUNT_ATTR_* a bind clears on the new mount (`rw`, `suid`, ...).
    pub clear: u64,
    /// MOUNT_ATTR_* set on the new mount and all below it.
    pub rec_set: u64,
    /// MOUNT_ATTR_* cleared on the new mount and all below it.
    pub rec_clear: u64,
    /// Propagation changes in order (MS_REC: recursively).
    pub propagation: Vec<u64>,
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
    /// setns(2) into a namespace given by `--netns` and the others (the launcher opened and
    /// checked the file); for a user namespace, then uid and gid 0 of it where 0 is mapped, as
    /// nsenter does.
    Join {
        /// The kind.
        kind: crate::ns::Kind,
        /// The descriptor.
        fd: i32,
        /// The option as written, for messages.
        label: String,
    },
    /// unshare(2) of the namespaces that must be created after the joined ones (CLONE_NEW* bits):
    /// owned by the joined user namespace, or made after joining as the host's root.
    Unshare(i32),
    /// The end of the joins: tell the launcher (sending the pid of the container's first
    /// process), then wait for its go. With `fork`, the child's PID namespace for children is not
    /// its own (joined, or made by unshare): it first starts the rest of the setup in a process
    /// that is the launcher's child (CLONE_PARENT), in that namespace, and ends.
    Sync {
        /// Start the container's first process in the new PID namespace.
        fork: bool,
    },
    /// `--keep`: every namespace of the container exists now; the launcher binds their files,
    /// the child waits until it has.
    KeepPoint,
    /// unshare(CLONE_NEWTIME): clone(2) cannot take that flag, so the child makes the namespace and
    /// its children (and, after exec, itself) live in it.
    UnshareTime,
    /// unshare(CLONE_NEWCGROUP) once the launcher has moved the child into its cgroup, which the
    /// new cgroup namespace then has as its root.
    UnshareCgroup,
    /// Change the propagation of `/` and everything below it, alone in its own mount(2) call.
    Propagation(Propagation),
    /// Change the propagation of the mount on `/` alone (no MS_REC): OCI's non-recursive
    /// `rootfsPropagation`, once the container's tree is built and entered. `Shared` is made
    /// private first, so `/` is a peer group of its own, no slave of the host's.
    RootPropagation(Propagation),
    /// sethostname.
    Hostname(Bytes),
    /// setdomainname.
    Domainname(Bytes),
    /// Bring up `lo` in the new network namespace; failure is only a warning.
    Loopback,
    /// Open a bind source (a host path) before anything is mounted, and check it is the object the
    /// launcher checked; the bind later mounts this descriptor.
    Source {
        /// Its slot in [`crate::setup::tree::Slots::sources`].
        slot: u32,
        /// The host path.
        path: CString,
        /// `st_dev` the launcher saw.
        dev: u64,
        /// `st_ino` the launcher saw.
        ino: u64,
    },
    /// Bind the new root onto itself (a mount pivot_root can enter) and make it the tree's root.
    Root {
        /// Its parent directory (absolute).
        parent: CString,
        /// Its last component.
        name: CString,
        /// The path as given, for messages.
        shown: Bytes,
        /// `st_dev` the launcher saw.
        dev: u64,
        /// `st_ino` the launcher saw.
        ino: u64,
        /// The tree is made shared: first make the mount the root lies on private (that mount
        /// alone, in the container's namespace), so the bind is no peer of the host's and
        /// pivot_root accepts it, as runc does for `rshared`.
        private_parent: bool,
    },
    /// Mount a filesystem.
    Mount(Mount),
    /// Bind a source recursively onto `target`, then set `attrs` (sys::mount::*) on every mount of
    /// it.
    Bind {
        /// The source's slot.
        slot: u32,
        /// The source's host path, for messages.
        src: Bytes,
        /// The mount point inside the container.
        target: Bytes,
        /// Attributes set recursively on the new mounts.
        attrs: u64,
        /// Make the new mounts private, so no later host mount arrives under them.
        private: bool,
        /// The option that asked for it, for messages.
        option: &'static str,
    },
    /// Set attributes (read-only) on the mount at `target` (and below it with `recursive`).
    SetAttrs {
        /// The mount (`/`: the root).
        target: Bytes,
        /// Attributes to set.
        attrs: u64,
        /// Whether submounts get them too.
        recursive: bool,
        /// Make the mounts private too, so no later host mount arrives under them writable.
        private: bool,
    },
    /// A directory, created where nsrun may; one that exists is fine.
    Mkdir {
        /// The path inside the container.
        path: Bytes,
        /// Its mode.
        mode: u32,
    },
    /// A symbolic link `path` → `target`, created where nsrun may; an identical one is fine.
    Symlink {
        /// What it points to.
        target: CString,
        /// The link.
        path: Bytes,
    },
    /// OCI hooks, once the tree is built and before the root is entered: the child tells the
    /// launcher, which runs `prestart` and `createRuntime` and answers; then the child runs the
    /// `createContainer` hooks ([`crate::oci::hooks::InContainer`]).
    HookPoint,
    /// Enter the new root (see [`Tree::enter_root`]).
    PivotRoot,
    /// Go back to the working directory nsrun started in (there is no new root).
    RestoreCwd,
    /// Change the working directory.
    Chdir(CString),
    /// `--setuid`/`--setgid`/`--groups`: the ids the command runs as, after setup: the
    /// supplementary groups set (`--groups`) or dropped (where setgroups is allowed, with
    /// `--setgid`), then the gid, then the uid, as unshare does.
    SetIds {
        /// setresuid to this.
        uid: Option<u32>,
        /// setresgid to this.
        gid: Option<u32>,
        /// setgroups to these (`--groups`); must succeed.
        groups: Option<Vec<rustix::process::Gid>>,
    },
    /// Keep the permitted capabilities across the uid change that follows (PR_SET_KEEPCAPS), so
    /// the command can hold the ones asked for as another uid.
    KeepCaps,
    /// `--masked-path`: hide `target` under an empty read-only tmpfs (a directory) or a read-only
    /// bind of /dev/null from slot `null` (anything else; one slot for every mask, bound from a
    /// copy of its descriptor); skipped when `target` is missing.
    Mask {
        /// The path inside the container.
        target: Bytes,
        /// The slot of the host's /dev/null.
        null: u32,
    },
    /// `--ro-path`: bind `target` onto itself, read-only with every submount; skipped when
    /// `target` is missing.
    ReadOnlyPath {
        /// The path inside the container.
        target: Bytes,
        /// Make the new mounts private, so no later host mount arrives under them writable.
        private: bool,
    },
    /// `--disable-userns`, part one: the container's own user namespace allows one more user
    /// namespace (user.max_user_namespaces = 1, through the procfs the tree knows), which part two
    /// uses up.
    LimitUserns,
    /// `--disable-userns`, part two: move into a nested user namespace, which uses up the
    /// allowance and has no capability over the outer one's limit; the ids stay as they are.
    NestUserns,
    /// The resource limit (`--rlimit`); in the command process.
    Rlimit(crate::spec::Rlimit),
    /// umask (`--umask`); in the command process.
    Umask(u32),
    /// setsid (`--new-session`); in the command process.
    NewSession,
    /// The capability sets (`--cap-drop`, `--cap-add`, `--caps-preset`); in the command process.
    Caps(crate::confine::caps::Apply),
    /// A seccomp filter, installed in the command process after everything else.
    Seccomp {
        /// The compiled (or read) program.
        program: crate::confine::seccomp::Program,
        /// `SECCOMP_FILTER_FLAG_*`.
        flags: u32,
        /// The option that asked for it, for messages.
        option: String,
    },
    /// Set no_new_privs.
    NoNewPrivs,
    /// An OCI mount.
    General(alloc::boxed::Box<General>),
    /// An OCI device node: made with mknod, or (`slot`) the host's node of the same path bound.
    Device {
        /// The path inside the container.
        path: Bytes,
        /// The file type and permission bits.
        mode: u32,
        /// The device number.
        dev: u64,
        /// The owner.
        uid: u32,
        /// The group.
        gid: u32,
        /// The host's node, opened, to bind instead.
        slot: Option<u32>,
    },
    /// An OCI sysctl: `value` written to `name` below the procfs root (`sys/net/...`).
    Sysctl {
        /// The file below the procfs root.
        name: CString,
        /// The value.
        value: Bytes,
    },
    /// The OCI console: a pty pair of the container's /dev/pts, the master sent over the
    /// console socket (then closed), the slave made the controlling terminal and stdio.
    Console(crate::spec::Console),
    /// Mark every descriptor above 2 close-on-exec except these.
    CloseFds(Vec<i32>),
}

impl Step {
    /// Applies the step in the child, on `tree`. Allocates nothing.
    pub fn apply(&self, tree: &mut Tree) -> Result<(), Errno> {
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
            Step::Join { kind, fd, .. } => {
                crate::join::setns(sys::fd::borrow_named(*fd), *kind)?;
                if *kind == crate::ns::Kind::User {
                    use rustix::process::{Gid, Uid};
                    // Where 0 is not mapped (EINVAL) the ids stay as they are, as with nsenter.
                    let _ = rustix::thread::set_thread_groups(&[]);
                    let _ = rustix::thread::set_thread_res_gid(Gid::ROOT, Gid::ROOT, Gid::ROOT);
                    let _ = rustix::thread::set_thread_res_uid(Uid::ROOT, Uid::ROOT, Uid::ROOT);
                }
                Ok(())
            }
            Step::Unshare(flags) => sys::ns::unshare_namespaces(
                rustix::thread::UnshareFlags::from_bits_retain(*flags as u32),
            ),
            // Done by the child's loop, which has the launcher's descriptors.
            Step::Sync { .. } | Step::KeepPoint | Step::HookPoint => Ok(()),
            Step::UnshareTime => sys::ns::unshare_time(),
            Step::UnshareCgroup => sys::ns::unshare_cgroup(),
            Step::Propagation(p) => {
                let kind = match p {
                    Propagation::Private => MountPropagationFlags::PRIVATE,
                    Propagation::Slave => MountPropagationFlags::DOWNSTREAM,
                    Propagation::Shared => MountPropagationFlags::SHARED,
                    Propagation::Unbindable => MountPropagationFlags::UNBINDABLE,
                    Propagation::Unchanged => return Ok(()),
                };
                // Only MS_REC and the type: the kernel rejects any other flag mixed in (EINVAL).
                rustix::mount::mount_change(c"/", kind | MountPropagationFlags::REC)
            }
            Step::RootPropagation(p) => {
                let kind = match p {
                    Propagation::Private => MountPropagationFlags::PRIVATE,
                    Propagation::Slave => MountPropagationFlags::DOWNSTREAM,
                    Propagation::Shared => {
                        // Off the host's peer group it received from, then a group of its own.
                        rustix::mount::mount_change(c"/", MountPropagationFlags::PRIVATE)?;
                        MountPropagationFlags::SHARED
                    }
                    Propagation::Unbindable => MountPropagationFlags::UNBINDABLE,
                    Propagation::Unchanged => return Ok(()),
                };
                rustix::mount::mount_change(c"/", kind)
            }
            Step::Hostname(name) => rustix::system::sethostname(name),
            Step::Domainname(name) => rustix::system::setdomainname(name),
            Step::Loopback => sys::net::loopback_up(),
            Step::Source {
                slot,
                path,
                dev,
                ino,
            } => tree.open_source(*slot, path, *dev, *ino),
            Step::Root {
                parent,
                name,
                dev,
                ino,
                private_parent,
                ..
            } => tree.bind_root(parent, name, *dev, *ino, *private_parent),
            Step::Mount(m) => tree.mount_fs(m.fstype, &m.target, m.flags, m.data.as_deref(), m.tag),
            Step::Bind {
                slot,
                target,
                attrs,
                private,
                ..
            } => {
                let top = tree.bind(*slot, target)?;
                set_mount(tree, top.as_fd(), *attrs, true, *private)
            }
            Step::SetAttrs {
                target,
                attrs,
                recursive,
                private,
            } => {
                let fd = tree.existing(target)?;
                set_mount(tree, fd.as_fd(), *attrs, *recursive, *private)
            }
            Step::Mkdir { path, mode } => tree.mkdir(path, *mode),
            Step::Symlink { target, path } => tree.symlink(target, path),
            Step::PivotRoot => tree.enter_root(),
            Step::RestoreCwd => tree.restore_cwd(),
            Step::Chdir(dir) => rustix::process::chdir(dir.as_c_str()),
            Step::SetIds { uid, gid, groups } => {
                use rustix::process::{Gid, Uid};
                if let Some(list) = groups {
                    rustix::thread::set_thread_groups(list)?;
                }
                if let Some(g) = gid {
                    // Denied (EPERM) where setgroups is disabled; the groups then stay as they are.
                    if groups.is_none() {
                        let _ = rustix::thread::set_thread_groups(&[]);
                    }
                    let g = Gid::from_raw(*g);
                    rustix::thread::set_thread_res_gid(g, g, g)?;
                }
                if let Some(u) = uid {
                    let u = Uid::from_raw(*u);
                    rustix::thread::set_thread_res_uid(u, u, u)?;
                }
                Ok(())
            }
            Step::NoNewPrivs => rustix::thread::set_no_new_privs(true),
            Step::CloseFds(keep) => sys::fd::cloexec_all_but(keep),
            Step::KeepCaps => rustix::thread::set_keep_capabilities(true),
            Step::Mask { target, null } => {
                // One walk: the mount goes onto the object found, with no second lookup.
                let found = match tree.find_existing(target) {
                    Ok(Some(found)) => found,
                    Err(Errno::NOENT) => return Ok(()),
                    // The root itself: nothing to hide it under.
                    Ok(None) => return Err(Errno::BUSY),
                    Err(e) => return Err(e),
                };
                let node = found.node.as_ref().ok_or(Errno::NOENT)?;
                match rustix::fs::fstat(node)?.st_mode & 0o170000 == 0o040000 {
                    true => tree.mount_fs_on(
                        c"tmpfs",
                        found,
                        MountFlags::RDONLY
                            | MountFlags::NOSUID
                            | MountFlags::NODEV
                            | MountFlags::NOEXEC,
                        Some(c"mode=0555,nr_inodes=1"),
                        None,
                    ),
                    false => {
                        let top = tree.bind_again_onto(*null, found)?;
                        set_mount(tree, top.as_fd(), sys::mount::RDONLY, true, false)
                    }
                }
            }
            Step::ReadOnlyPath { target, private } => {
                let found = match tree.find_existing(target) {
                    Ok(Some(found)) => found,
                    Err(Errno::NOENT) => return Ok(()),
                    // The root itself: it has no parent to bind it in (`--read-only` makes the
                    // root read-only).
                    Ok(None) => return Err(Errno::BUSY),
                    Err(e) => return Err(e),
                };
                let node = found.node.as_ref().ok_or(Errno::NOENT)?;
                let fd = rustix::io::fcntl_dupfd_cloexec(node, 0)?;
                let top = tree.bind_onto(fd, found)?;
                let attrs = sys::mount::RDONLY | sys::mount::NOSUID | sys::mount::NODEV;
                set_mount(tree, top.as_fd(), attrs, true, *private)
            }
            Step::General(g) => general(tree, g),
            Step::Device {
                path,
                mode,
                dev,
                uid,
                gid,
                slot,
            } => match slot {
                Some(slot) => tree.bind(*slot, path).map(|_| ()),
                None => tree.mknod(path, *mode, *dev, *uid, *gid),
            },
            Step::Sysctl { name, value } => tree.sysctl(name, value),
            Step::Console(c) => console(c),
            Step::LimitUserns => tree.limit_user_namespaces(),
            Step::NestUserns => tree.nest_user_namespace(),
            Step::Rlimit(_)
            | Step::Umask(_)
            | Step::NewSession
            | Step::Caps(_)
            | Step::Seccomp { .. } => self.apply_last(),
        }
    }

    /// Applies a step of the command process (one after [`crate::plan::Plan::exec_from`]), which
    /// has no tree. Allocates nothing.
    pub fn apply_last(&self) -> Result<(), Errno> {
        match self {
            Step::Rlimit(limit) => crate::confine::rlimit::apply(limit),
            Step::Umask(mask) => {
                rustix::process::umask(rustix::fs::Mode::from_raw_mode(*mask));
                Ok(())
            }
            Step::NewSession => rustix::process::setsid().map(|_| ()),
            Step::Caps(apply) => apply.run(),
            Step::Seccomp { program, flags, .. } => {
                sys::seccomp::install_with_flags(&program.0, *flags)
            }
            _ => Err(Errno::INVAL),
        }
    }

    /// Whether nsrun's init applies this step of the command process to itself before it starts
    /// the command, which then inherits it: the capability sets, and the resource limits but
    /// nproc (which counts the init's own clone of the command).
    pub fn inherited_from_init(&self) -> bool {
        match self {
            Step::Caps(_) => true,
            Step::Rlimit(limit) => limit.resource != libc::RLIMIT_NPROC as u8,
            _ => false,
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

    /// What a step of the command process does, in a few words that need no allocation (the
    /// process says it to OCI `start` when it fails there).
    pub fn last_name(&self) -> &'static str {
        match self {
            Step::Rlimit(_) => "set a resource limit (process.rlimits)",
            Step::Umask(_) => "set the umask",
            Step::NewSession => "setsid",
            Step::Caps(_) => "set the capabilities (process.capabilities)",
            Step::Seccomp { .. } => "install the seccomp filter (linux.seccomp)",
            Step::NoNewPrivs => "set no_new_privs",
            Step::SetIds { .. } => "switch to the process's user (process.user)",
            _ => "set up the process",
        }
    }

    /// What the step does, for messages: `mount proc on /proc`.
    pub fn describe(&self) -> String {
        match self {
            Step::BecomeRoot { .. } => "switch to root of the user namespace".into(),
            Step::Join { label, .. } => format!("{label}: join the namespace (setns)"),
            Step::Unshare(flags) => format!(
                "create the {} namespaces after the joined ones",
                crate::ns::describe(*flags)
            ),
            Step::Sync { fork: true } => {
                "start the container's first process in its PID namespace".into()
            }
            Step::Sync { fork: false } => "wait for the launcher after the joins".into(),
            Step::KeepPoint => "--keep: wait for the namespace files to be bound".into(),
            Step::UnshareTime => "create the time namespace".into(),
            Step::UnshareCgroup => "create the cgroup namespace".into(),
            Step::Propagation(p) => format!("make / {} (recursively)", p.name()),
            Step::RootPropagation(p) => format!(
                "linux.rootfsPropagation: make the mount on / {} (that mount alone)",
                p.name()
            ),
            Step::Hostname(n) => crate::out::around("set hostname '", n, "'"),
            Step::Domainname(n) => crate::out::around("set domain name '", n, "'"),
            Step::Loopback => LOOPBACK.into(),
            Step::Source { path, .. } => format!("open source {}", Show(path.to_bytes())),
            Step::Root { shown, .. } => {
                crate::out::around("--root ", shown, ": bind it onto itself")
            }
            Step::Mount(m) => format!("mount {} on {}", Show(m.fstype.to_bytes()), Show(&m.target)),
            Step::Bind {
                src,
                target,
                option,
                ..
            } => format!("{option} {} on {}", Show(src), Show(target)),
            Step::SetAttrs { target, .. } => crate::out::around("make ", target, " read-only"),
            Step::Mkdir { path, .. } => crate::out::around("create directory ", path, ""),
            Step::Symlink { target, path } => format!(
                "create symlink {} -> {}",
                Show(path),
                Show(target.to_bytes())
            ),
            Step::PivotRoot => "pivot_root into the new root".into(),
            Step::HookPoint => "run the createContainer hooks".into(),
            Step::RestoreCwd => "return to the working directory".into(),
            Step::Chdir(d) => format!("change directory to {}", Show(d.to_bytes())),
            Step::SetIds {
                uid: None,
                gid: None,
                groups: Some(_),
            } => "--groups: set the supplementary groups".into(),
            Step::SetIds { uid, gid, .. } => match (uid, gid) {
                (Some(u), Some(g)) => format!("switch to uid {u} and gid {g}"),
                (Some(u), None) => format!("switch to uid {u}"),
                (_, g) => format!("switch to gid {}", g.unwrap_or(0)),
            },
            Step::KeepCaps => "keep capabilities across the uid change".into(),
            Step::Mask { target, .. } => crate::out::around("hide ", target, ""),
            Step::ReadOnlyPath { target, .. } => crate::out::around("bind ", target, " read-only"),
            Step::LimitUserns => {
                "--disable-userns: write 1 to /proc/sys/user/max_user_namespaces".into()
            }
            Step::NestUserns => "--disable-userns: enter a nested user namespace".into(),
            Step::Rlimit(l) => format!(
                "--rlimit {}: set the limit",
                crate::confine::rlimit::name(l.resource)
            ),
            Step::Umask(m) => format!("--umask {m:03o}"),
            Step::NewSession => "--new-session: setsid".into(),
            Step::Seccomp { option, .. } => format!("{option}: install the seccomp filter"),
            Step::Caps(a) => format!(
                "set the capabilities ({})",
                match a.keep {
                    0 => "none".into(),
                    keep => crate::confine::caps::describe(keep),
                }
            ),
            Step::NoNewPrivs => "set no_new_privs".into(),
            Step::General(g) => match g.bind {
                Some(_) => format!(
                    "{}: bind {} on {}",
                    Show(&g.label),
                    Show(g.source.to_bytes()),
                    Show(&g.target)
                ),
                None => format!(
                    "{}: mount {} on {}",
                    Show(&g.label),
                    Show(g.fstype.to_bytes()),
                    Show(&g.target)
                ),
            },
            Step::Device { path, slot, .. } => match slot {
                Some(_) => crate::out::around("linux.devices: bind the host's ", path, ""),
                None => crate::out::around("linux.devices: make the node ", path, ""),
            },
            Step::Sysctl { name, .. } => {
                crate::out::around("linux.sysctl: write /proc/", name.to_bytes(), "")
            }
            Step::CloseFds(_) => "close inherited descriptors".into(),
            Step::Console(_) => {
                "process.terminal: set up the console (open /dev/pts/ptmx, send it on \
                 --console-socket)"
                    .into()
            }
        }
    }
}

/// [`Step::Console`]: after it, the socket is closed and the slave is on 0, 1 and 2 only.
fn console(c: &crate::spec::Console) -> Result<(), Errno> {
    use rustix::fd::AsFd;
    let (master, slave) = sys::console::open_pair(c"/dev/pts", c.size)?;
    let sent = sys::console::send_master(sys::fd::borrow_named(c.socket), master.as_fd());
    drop(master);
    sys::fd::close_named(c.socket);
    sent?;
    sys::console::become_terminal(slave.as_fd())
}

/// Applies an OCI mount: mounts or binds it, then sets the flags of a bind, the recursive
/// attributes and the propagation changes in order, on the new mount's descriptor.
fn general(tree: &mut Tree, g: &General) -> Result<(), Errno> {
    use crate::oci::mount::{ATTR_ATIME, MS_BIND, MS_REC};
    use crate::setup::tree::attrs_of;
    let top = match g.bind {
        Some((slot, recursive)) => {
            let top = tree.bind_general(slot, &g.target, recursive)?;
            let (set, atime) = attrs_of(g.flags & !(MS_BIND | MS_REC));
            sys::mount::setattr(top.as_fd(), set, (g.clear & !ATTR_ATIME) | atime, 0, false)?;
            top
        }
        None => tree.mount_general(
            &g.fstype,
            &g.source,
            &g.target,
            g.flags,
            g.data.as_deref(),
            g.ours,
            g.copy_up,
        )?,
    };
    sys::mount::setattr(top.as_fd(), g.rec_set, g.rec_clear, 0, true)?;
    for &p in &g.propagation {
        sys::mount::setattr(top.as_fd(), 0, 0, p & !MS_REC, p & MS_REC != 0)?;
    }
    Ok(())
}

/// Makes the mount whose root `fd` is private (with `private`) and sets `attrs` on it, and on every
/// mount below it with `recursive`. Where the kernel lacks mount_setattr (before 5.12), that needs
/// a procfs (the magic links, mountinfo): the one the tree knows, else a proc of its own mounted
/// for as long as it takes (an initramfs on an old kernel, with no /proc anywhere).
fn set_mount(
    tree: &mut Tree,
    fd: rustix::fd::BorrowedFd<'_>,
    attrs: u64,
    recursive: bool,
    private: bool,
) -> Result<(), Errno> {
    tree.save_cwd()?;
    let _ = tree.load_proc();
    let apply = |proc: Option<rustix::fd::BorrowedFd<'_>>| -> Result<(), Errno> {
        if private {
            sys::mount::make_private_fd(fd, recursive, proc)?;
        }
        sys::mount::set_attrs_fd(fd, attrs, recursive, proc)
    };
    match apply(tree.known_proc()) {
        Err(sys::mount::NEEDS_PROC) if tree.known_proc().is_none() => {
            tree.with_temporary_proc(|proc| apply(Some(proc)))
        }
        other => other,
    }
}
