//! The plain description of a container that front ends fill in and the launcher carries out.
//!
//! It holds no C strings and makes no syscalls; [`crate::plan`] turns it into what the child runs.

use alloc::vec::Vec;

use crate::ns;

/// A byte string: a path, a name or an argument (Linux paths need not be UTF-8).
pub type Bytes = Vec<u8>;

/// The recursive propagation change made to `/` before anything is mounted.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Propagation {
    /// Events flow neither way (MS_PRIVATE). The default.
    Private,
    /// The host's later mounts arrive, none go back (MS_SLAVE).
    Slave,
    /// Events flow both ways (MS_SHARED): the container's mounts appear on the host.
    Shared,
    /// No change: the container's mounts propagate wherever `/` already sends them.
    Unchanged,
    /// Private, and no mount of the tree can be bound anywhere (MS_UNBINDABLE): `/` is made private
    /// before anything is mounted and unbindable once the tree is built, since nsrun's own binds
    /// (`--root`, `--bind`, `--dev`) need bindable sources.
    Unbindable,
}

impl Propagation {
    /// The option value naming this type.
    pub fn name(self) -> &'static str {
        match self {
            Propagation::Private => "private",
            Propagation::Slave => "slave",
            Propagation::Shared => "shared",
            Propagation::Unchanged => "unchanged",
            Propagation::Unbindable => "unbindable",
        }
    }

    /// The change made to `/` before anything is mounted: [`Propagation::Private`] for
    /// unbindable, whose own change comes once the tree is built.
    pub fn first(self) -> Propagation {
        match self {
            Propagation::Unbindable => Propagation::Private,
            p => p,
        }
    }
}

/// Who is PID 1 of a new PID namespace.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pid1 {
    /// nsrun's small init, which runs the command as PID 2, forwards signals and reaps orphans.
    Init,
    /// The command itself (`--as-pid-1`).
    Command,
}

/// How a bind mount treats its mount.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BindKind {
    /// Writable, nosuid, nodev (`--bind`).
    ReadWrite,
    /// Read-only with every submount, nosuid, nodev (`--ro-bind`).
    ReadOnly,
    /// Writable, nosuid, devices allowed (`--dev-bind`).
    Devices,
}

impl BindKind {
    /// The option that asks for this kind of bind, or its `-try` form.
    pub fn option(self, optional: bool) -> &'static str {
        match (self, optional) {
            (BindKind::ReadWrite, false) => "--bind",
            (BindKind::ReadOnly, false) => "--ro-bind",
            (BindKind::Devices, false) => "--dev-bind",
            (BindKind::ReadWrite, true) => "--bind-try",
            (BindKind::ReadOnly, true) => "--ro-bind-try",
            (BindKind::Devices, true) => "--dev-bind-try",
        }
    }
}

/// One mount operation, applied in command-line order inside the container's root.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum MountOp {
    /// Bind SRC (a host path) onto DST; with `optional`, a missing SRC skips the operation.
    Bind {
        /// The host path.
        src: Bytes,
        /// The path inside the container.
        dst: Bytes,
        /// Read-write, read-only or with devices.
        kind: BindKind,
        /// The `-try` form: skip when SRC does not exist.
        optional: bool,
    },
    /// A fresh tmpfs at DST, optionally with a size in bytes and a mode.
    Tmpfs {
        /// The path inside the container.
        dst: Bytes,
        /// `--size`: the size limit in bytes.
        size: Option<u64>,
        /// `--perms`: the mode of its root directory.
        mode: Option<u32>,
    },
    /// A fresh proc at DST.
    Proc(Bytes),
    /// A read-only sysfs at DST.
    Sys(Bytes),
    /// A minimal /dev at DST.
    Dev(Bytes),
    /// A directory at DST (with `--perms`, that mode).
    Mkdir {
        /// The path inside the container.
        dst: Bytes,
        /// `--perms`: the directory's mode.
        mode: Option<u32>,
    },
    /// A symbolic link DST pointing to TARGET.
    Symlink {
        /// What the link points to (not resolved).
        target: Bytes,
        /// The link's path inside the container.
        dst: Bytes,
    },
    /// Remount DST read-only.
    RemountRo(Bytes),
    /// `--masked-path DST`: hide DST under /dev/null (a file) or an empty read-only tmpfs (a
    /// directory), as OCI maskedPaths; a missing DST is skipped.
    Mask(Bytes),
    /// `--ro-path DST`: bind DST onto itself read-only, every submount too, as OCI readonlyPaths;
    /// a missing DST is skipped.
    ReadOnlyPath(Bytes),
    /// A mount as an OCI config.json describes it (`mounts[N]`): any filesystem, or a bind, with
    /// its flags, data and propagation.
    Mount(alloc::boxed::Box<GeneralMount>),
    /// A device node (OCI `linux.devices` and the runtime's default devices).
    Device(DeviceNode),
}

/// A mount of any filesystem type, or a bind, with the MS_* flags of mount(2): one member of OCI
/// `mounts`. The destination is resolved inside the root by descriptor and created (a directory,
/// or a file for a bound file) where nsrun may ([`Spec::oci`]: also on the root's own mount).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct GeneralMount {
    /// What messages call it: `mounts[3]` (the JSON path).
    pub label: Bytes,
    /// The filesystem type (`tmpfs`, `devpts`, `cgroup2`, ...); ignored for a bind.
    pub fstype: Bytes,
    /// The source: a host path for a bind, else the name handed to the filesystem.
    pub source: Bytes,
    /// The path inside the container.
    pub dst: Bytes,
    /// MS_* flags (`MS_BIND`, with `MS_REC` for rbind; `MS_RDONLY`, `MS_NOSUID`, ...).
    pub flags: u64,
    /// MS_* flags the options cleared by name (`rw`, `suid`, `dev`, `exec`): a bind clears them
    /// on the new mount.
    pub cleared: u64,
    /// Propagation changes applied to the new mount in order (MS_PRIVATE ..., MS_REC: with the
    /// mounts below it).
    pub propagation: Vec<u64>,
    /// MOUNT_ATTR_* set on the new mount and all below it (`rro`, ...).
    pub rec_set: u64,
    /// MOUNT_ATTR_* cleared on the new mount and all below it.
    pub rec_clear: u64,
    /// The filesystem's options, comma separated (`mode=755,size=65536k`).
    pub data: Bytes,
    /// runc's `tmpcopyup`: honoured on a directory that is empty or missing (nsrun copies
    /// nothing: a directory with files fails the mount).
    pub copy_up: bool,
}

impl GeneralMount {
    /// Whether it is a bind (MS_BIND).
    pub fn is_bind(&self) -> bool {
        self.flags & crate::oci::mount::MS_BIND != 0
    }
}

/// A device node to make in the container (mknod, or a bind of the host's node of the same path
/// when nsrun runs in a user namespace or cannot make nodes).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct DeviceNode {
    /// The path inside the container (also the host path bound in a user namespace).
    pub dst: Bytes,
    /// The file type bits: S_IFCHR, S_IFBLK or S_IFIFO.
    pub kind: u32,
    /// The major number.
    pub major: u32,
    /// The minor number.
    pub minor: u32,
    /// The permission bits.
    pub mode: u32,
    /// The owner.
    pub uid: u32,
    /// The group.
    pub gid: u32,
}

impl MountOp {
    /// The operation as it was written on the command line, for messages: `--tmpfs /tmp`.
    pub fn label(&self) -> alloc::string::String {
        use crate::out::Bytes as Show;
        use alloc::format;
        match self {
            MountOp::Bind {
                src,
                dst,
                kind,
                optional,
            } => format!("{} {} {}", kind.option(*optional), Show(src), Show(dst)),
            MountOp::Tmpfs { dst, .. } => crate::out::around("--tmpfs ", dst, ""),
            MountOp::Proc(dst) => crate::out::around("--proc ", dst, ""),
            MountOp::Sys(dst) => crate::out::around("--sys ", dst, ""),
            MountOp::Dev(dst) => crate::out::around("--dev ", dst, ""),
            MountOp::Mkdir { dst, .. } => crate::out::around("--mkdir ", dst, ""),
            MountOp::Symlink { target, dst } => {
                format!("--symlink {} {}", Show(target), Show(dst))
            }
            MountOp::RemountRo(dst) => crate::out::around("--remount-ro ", dst, ""),
            MountOp::Mask(dst) => crate::out::around("--masked-path ", dst, ""),
            MountOp::ReadOnlyPath(dst) => crate::out::around("--ro-path ", dst, ""),
            MountOp::Mount(m) => {
                format!("{} {}", Show(&m.label), Show(&m.dst))
            }
            MountOp::Device(d) => crate::out::around("linux.devices ", &d.dst, ""),
        }
    }
}

/// One change to the command's environment, applied in order to nsrun's own.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum EnvOp {
    /// `--setenv VAR VALUE`.
    Set(Bytes, Bytes),
    /// `--unsetenv VAR`.
    Unset(Bytes),
    /// `--clearenv`.
    Clear,
}

/// One line of a uid or gid map: `count` ids from `inside` map to `outside`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct IdMap {
    /// First id inside the user namespace.
    pub inside: u32,
    /// First id outside (in nsrun's user namespace).
    pub outside: u32,
    /// How many ids.
    pub count: u32,
}

/// Everything nsrun needs to know to run one container.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Spec {
    /// The namespace kinds created new; the rest are shared with the caller.
    pub namespaces: ns::Set,
    /// The propagation change on `/`.
    pub propagation: Propagation,
    /// OCI's non-recursive `rootfsPropagation` (shared, slave, private, unbindable): the change
    /// made to the container's `/` mount alone, not its submounts, once the tree is built and
    /// entered (after the recursive [`Spec::propagation`], then rslave). `Shared` there is a new
    /// peer group of the container's own: `/` is made private first, so it neither receives the
    /// host's mounts nor sends any back, as runc's (whose root's parent is made private).
    pub root_propagation: Option<Propagation>,
    /// The hostname inside (needs a new UTS namespace).
    pub hostname: Option<Bytes>,
    /// The NIS domain name inside (needs a new UTS namespace).
    pub domainname: Option<Bytes>,
    /// Whether to mount a fresh /proc (when there is a new mount namespace).
    pub mount_proc: bool,
    /// Who is PID 1 of a new PID namespace.
    pub pid1: Pid1,
    /// The new root (`--root`), entered with pivot_root.
    pub root: Option<Bytes>,
    /// Mount operations, in order.
    pub mounts: Vec<MountOp>,
    /// Remount the whole root read-only after the mount operations.
    pub read_only: bool,
    /// The working directory of the command.
    pub chdir: Option<Bytes>,
    /// Environment changes, in order.
    pub env: Vec<EnvOp>,
    /// Descriptors above 2 passed to the command; all others are closed at exec.
    pub keep_fds: Vec<i32>,
    /// `--info-fd`: the launcher writes the container's pid and namespaces there, as bwrap.
    pub info_fd: Option<i32>,
    /// `--json-status-fd`: the same object as one line, then the exit code.
    pub json_status_fd: Option<i32>,
    /// Set no_new_privs before exec.
    pub no_new_privs: bool,
    /// Map the caller's uid and gid to root inside a new user namespace.
    pub map_root_user: bool,
    /// Map the caller's uid and gid to the same ids inside a new user namespace
    /// (`--map-current-user`, `-c`); see [`crate::run::userns::current_user_map`].
    pub map_current_user: bool,
    /// The uid the command runs as inside, after setup (`--setuid`, `-S`).
    pub setuid: Option<u32>,
    /// The gid the command runs as inside, after setup (`--setgid`, `-G`).
    pub setgid: Option<u32>,
    /// No user namespace option was given: an ordinary user then gets a user namespace that maps
    /// them to root, so the defaults work unprivileged.
    pub user_ns_auto: bool,
    /// Explicit uid map lines.
    pub uid_map: Vec<IdMap>,
    /// Explicit gid map lines.
    pub gid_map: Vec<IdMap>,
    /// The command and its arguments; empty means $SHELL, else /bin/sh.
    pub command: Vec<Bytes>,
    /// Capabilities, seccomp, limits, cgroups and the other locks.
    pub locks: Locks,
    /// Namespaces joined instead of created (`--userns`, `--netns`, ...), one per kind.
    pub join: Vec<Join>,
    /// `--keep DIR`: bind the container's namespace files under DIR ([`crate::join::keep`]).
    pub keep: Option<Bytes>,
    /// `run --name`, `--detach`, `--log`, `--state-dir`: the container's entry and background.
    pub life: Life,
    /// OCI semantics (a config.json's container, [`crate::oci::to_spec`]): mount points are
    /// created in the root's own mount too (the bundle's rootfs belongs to the container), a
    /// read-only root is made so after the mounts (`/` alone, as runc), and no_new_privs is set
    /// only when asked (a seccomp filter is then installed while CAP_SYS_ADMIN is still held).
    pub oci: bool,
    /// OCI `process.terminal`: the runtime gives the process a pseudo-terminal (through the
    /// console socket); the launcher itself does nothing with it.
    pub terminal: bool,
    /// The OCI console: a pseudo-terminal made in the container's devpts once its root is
    /// entered, the master sent over this connected console socket, the slave the process's
    /// stdio and controlling terminal ([`crate::sys::console`]).
    pub console: Option<Console>,
    /// OCI `linux.sysctl`: NAME (dotted) and VALUE, written under /proc/sys inside the container
    /// once its /proc is mounted.
    pub sysctl: Vec<(Bytes, Bytes)>,
}

/// The console of an OCI container with `process.terminal` (runc's `--console-socket`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Console {
    /// The connected console socket (close-on-exec), opened by the runtime before clone.
    pub socket: i32,
    /// `process.consoleSize`: rows and columns.
    pub size: Option<(u16, u16)>,
}

/// How `run` records and detaches the container ([`crate::state`]); all unset for the plain
/// `nsrun -- CMD`, which the state code never sees.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Life {
    /// `--name NAME`: record the container under this name in the state directory.
    pub name: Option<Bytes>,
    /// `--state-dir DIR`.
    pub state_dir: Option<Bytes>,
    /// `--detach`: run in the background, return once the command runs.
    pub detach: bool,
    /// `--log FILE`: the detached container's stdout and stderr (else /dev/null).
    pub log: Option<Bytes>,
    /// OCI `create`: the process waits before exec until `start`, and no launcher stays.
    pub hold: Option<Hold>,
}

/// What OCI `create` records besides the name ([`Life::hold`]).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Hold {
    /// The bundle directory (absolute).
    pub bundle: Bytes,
    /// The config's annotations.
    pub annotations: Vec<(Bytes, Bytes)>,
    /// `--pid-file FILE`: where the process's pid is written (relative to the caller's cwd).
    pub pid_file: Option<Bytes>,
    /// The config's hooks ([`crate::oci::hooks`]).
    pub hooks: crate::oci::Hooks,
    /// config.json as `create` read it, kept in the state directory for `exec`.
    pub config: Bytes,
}

impl Life {
    /// Whether any of it was asked for.
    pub fn any(&self) -> bool {
        self.name.is_some() || self.detach
    }
}

/// Where a joined namespace comes from.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum NsSource {
    /// A namespace file: /proc/PID/ns/net, /run/netns/NAME, a kept file.
    Path(Bytes),
    /// An open descriptor of one (a value of digits only, as bubblewrap's --userns takes it).
    Fd(i32),
}

/// One namespace to join (`--netns FILE|FD` and the others).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Join {
    /// Its kind.
    pub kind: ns::Kind,
    /// The file or descriptor.
    pub source: NsSource,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec {
            namespaces: ns::Set::DEFAULT,
            propagation: Propagation::Private,
            root_propagation: None,
            hostname: None,
            domainname: None,
            mount_proc: true,
            pid1: Pid1::Init,
            root: None,
            mounts: Vec::new(),
            read_only: false,
            chdir: None,
            env: Vec::new(),
            keep_fds: Vec::new(),
            info_fd: None,
            json_status_fd: None,
            no_new_privs: false,
            map_root_user: false,
            map_current_user: false,
            setuid: None,
            setgid: None,
            user_ns_auto: true,
            uid_map: Vec::new(),
            gid_map: Vec::new(),
            command: Vec::new(),
            locks: Locks::default(),
            life: Life::default(),
            join: Vec::new(),
            keep: None,
            oci: false,
            terminal: false,
            console: None,
            sysctl: Vec::new(),
        }
    }
}

/// The capability preset a container starts from (`--caps-preset`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CapsPreset {
    /// Whatever nsrun holds (its bounding set): the capabilities are not changed.
    All,
    /// The default set of runc and podman ([`crate::confine::caps::CONTAINER`]).
    Container,
}

/// One `--cap-drop` or `--cap-add`, applied in order to the preset; a mask of capability bits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CapOp {
    /// `--cap-drop CAP|ALL`.
    Drop(u64),
    /// `--cap-add CAP|ALL`.
    Add(u64),
}

/// One seccomp filter to install, in command-line order (the kernel runs every installed filter
/// and the most restrictive answer wins).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum SeccompOp {
    /// `--seccomp FD` or (`add`) `--add-seccomp-fd FD`: a compiled filter read from FD, as
    /// bubblewrap takes it.
    Fd {
        /// The descriptor.
        fd: i32,
        /// Given as `--add-seccomp-fd`.
        add: bool,
    },
    /// `--seccomp-deny NAMES`: these fail with the errno.
    Deny(Vec<Bytes>),
    /// `--seccomp-allow NAMES`: only these are allowed; any other kills the process.
    Allow(Vec<Bytes>),
    /// `--seccomp-preset default`.
    Preset,
    /// A filter described by rules (OCI `linux.seccomp`), compiled by the launcher; syscall
    /// names this architecture lacks are skipped.
    Rules {
        /// The filter.
        filter: crate::confine::seccomp::Filter,
        /// `SECCOMP_FILTER_FLAG_*` for seccomp(2).
        flags: u32,
        /// What messages call it (`linux.seccomp`).
        label: &'static str,
    },
}

/// One `--rlimit NAME=SOFT[:HARD]`: `None` leaves that value as it is; `u64::MAX` is unlimited.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Rlimit {
    /// The resource, as `RLIMIT_*`.
    pub resource: u8,
    /// The soft limit.
    pub soft: Option<u64>,
    /// The hard limit.
    pub hard: Option<u64>,
}

/// The locks on the command besides its namespaces ([`crate::confine`]).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Locks {
    /// `--caps-preset`; `None`: `container` with `--root`, else `all`.
    pub caps_preset: Option<CapsPreset>,
    /// `--cap-drop` and `--cap-add`, in order.
    pub caps: Vec<CapOp>,
    /// The seccomp filters, in order.
    pub seccomp: Vec<SeccompOp>,
    /// `--seccomp-errno N` for `--seccomp-deny` (default EPERM).
    pub seccomp_errno: Option<u16>,
    /// `--rlimit`, in order.
    pub rlimits: Vec<Rlimit>,
    /// The cgroup options; any of them makes nsrun create a cgroup.
    pub cgroup: crate::confine::cgroup::Request,
    /// `--disable-userns`: the command cannot create user namespaces.
    pub disable_userns: bool,
    /// `--new-session`: the command runs in a new session, without a controlling terminal.
    pub new_session: bool,
    /// `--umask`.
    pub umask: Option<u32>,
    /// `--groups`: the supplementary groups of the command.
    pub groups: Option<Vec<u32>>,
    /// `--oom-score-adj`.
    pub oom_score_adj: Option<i32>,
    /// The five capability sets exactly (OCI `process.capabilities`), instead of the preset and
    /// `caps`.
    pub cap_sets: Option<crate::confine::caps::Sets>,
}
