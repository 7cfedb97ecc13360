//! The options of running a container (`nsrun [OPTIONS] [--] [COMMAND...]`, also `nsrun run ...`)
//! → [`Spec`]. No syscalls here: this is pure parsing and checking.
//!
//! Option names follow util-linux unshare (`-m`, `--propagation`, `-r`) and bubblewrap (`--bind`,
//! `--ro-bind`, `--tmpfs`, `--share-net`), so users of either find them where they expect.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::table::{Args, Got, Item};
use super::{
    absolute, check_portable_var, check_var, fd_number, is_proc, overlapping, parse_id_map,
    parse_mode, parse_size, parse_u32, signal_number, Parsed, NAME_MAX,
};
use crate::ns::{self, Kind};
use crate::opt;
use crate::out::Bytes as Show;
use crate::spec::{BindKind, EnvOp, Join, MountOp, NsSource, Pid1, Propagation, Spec};

/// What each option of [`OPTIONS`] means to the parser.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub(super) enum Opt {
    OciBundle,
    Help,
    Version,
    Ns(Kind),
    Join(Kind),
    Keep,
    UnshareAll,
    Share,
    Propagation,
    Hostname,
    Domainname,
    NoProc,
    MountProc,
    AsPid1,
    Fork,
    ForwardSignals,
    KillChild,
    Root,
    Bind,
    RoBind,
    DevBind,
    BindTry,
    RoBindTry,
    DevBindTry,
    Tmpfs,
    Size,
    Perms,
    Proc,
    Sys,
    Dev,
    Mkdir,
    Symlink,
    RemountRo,
    ReadOnly,
    Chdir,
    Setenv,
    Unsetenv,
    Clearenv,
    KeepFd,
    InfoFd,
    JsonStatusFd,
    NoNewPrivs,
    MapRootUser,
    MapCurrentUser,
    Setuid,
    Setgid,
    UidMap,
    GidMap,
    CapDrop,
    CapAdd,
    CapsPreset,
    Seccomp,
    AddSeccompFd,
    SeccompDeny,
    SeccompAllow,
    SeccompErrno,
    SeccompPreset,
    Rlimit,
    Memory,
    MemorySwap,
    PidsMax,
    Cpus,
    CpuWeight,
    CgroupPath,
    DisableUserns,
    NewSession,
    MaskedPath,
    RoPath,
    Umask,
    Groups,
    OomScoreAdj,
    Name,
    Detach,
    Log,
    StateDir,
}

/// Every option of running a container, in the order `nsrun --help` lists them.
pub(super) const OPTIONS: &[Item<Opt>] = &[
    Item::Head("Namespaces (default: mount, uts, ipc, net, pid; any of these chooses the set)"),
    opt!(
        "m",
        "--mount",
        "--unshare-mount",
        Flag,
        "",
        "a new mount namespace",
        Opt::Ns(Kind::Mount)
    ),
    opt!(
        "u",
        "--uts",
        "--unshare-uts",
        Flag,
        "",
        "a new UTS namespace (hostname, domain name)",
        Opt::Ns(Kind::Uts)
    ),
    opt!(
        "i",
        "--ipc",
        "--unshare-ipc",
        Flag,
        "",
        "a new IPC namespace",
        Opt::Ns(Kind::Ipc)
    ),
    opt!(
        "n",
        "--net",
        "--unshare-net",
        Flag,
        "",
        "a new network namespace (only lo, down)",
        Opt::Ns(Kind::Net)
    ),
    opt!(
        "p",
        "--pid",
        "--unshare-pid",
        Flag,
        "",
        "a new PID namespace",
        Opt::Ns(Kind::Pid)
    ),
    opt!(
        "U",
        "--user",
        "--unshare-user",
        Flag,
        "",
        "a new user namespace",
        Opt::Ns(Kind::User)
    ),
    opt!(
        "C",
        "--cgroup",
        "--unshare-cgroup",
        Flag,
        "",
        "a new cgroup namespace",
        Opt::Ns(Kind::Cgroup)
    ),
    opt!(
        "T",
        "--time",
        "--unshare-time",
        Flag,
        "",
        "a new time namespace",
        Opt::Ns(Kind::Time)
    ),
    opt!(
        "",
        "--unshare-all",
        "",
        Flag,
        "",
        "all eight",
        Opt::UnshareAll
    ),
    opt!(
        "",
        "--share-",
        "",
        Suffix,
        "KIND",
        "keep KIND shared with the host (e.g. --share-net)",
        Opt::Share
    ),
    Item::Head(
        "Joining and keeping namespaces (README: \"Keeping and joining namespaces\"; FD: digits only)",
    ),
    opt!(
        "",
        "--userns",
        "",
        One,
        "FILE|FD",
        "join a user namespace (first: the others are joined, and new ones made, in it)",
        Opt::Join(Kind::User)
    ),
    opt!(
        "",
        "--mntns",
        "",
        One,
        "FILE|FD",
        "join a mount namespace (no mount options then: nothing is mounted in it)",
        Opt::Join(Kind::Mount)
    ),
    opt!(
        "",
        "--utsns",
        "",
        One,
        "FILE|FD",
        "join a UTS namespace",
        Opt::Join(Kind::Uts)
    ),
    opt!(
        "",
        "--ipcns",
        "",
        One,
        "FILE|FD",
        "join an IPC namespace",
        Opt::Join(Kind::Ipc)
    ),
    opt!(
        "",
        "--netns",
        "",
        One,
        "FILE|FD",
        "join a network namespace (/run/netns/NAME of ip netns add)",
        Opt::Join(Kind::Net)
    ),
    opt!(
        "",
        "--pidns",
        "",
        One,
        "FILE|FD",
        "join a PID namespace: the command is a new process in it",
        Opt::Join(Kind::Pid)
    ),
    opt!(
        "",
        "--cgroupns",
        "",
        One,
        "FILE|FD",
        "join a cgroup namespace",
        Opt::Join(Kind::Cgroup)
    ),
    opt!(
        "",
        "--timens",
        "",
        One,
        "FILE|FD",
        "join a time namespace",
        Opt::Join(Kind::Time)
    ),
    opt!(
        "",
        "--keep",
        "",
        One,
        "DIR",
        "bind the container's namespace files on DIR/mnt, DIR/net... (nsrun release DIR)",
        Opt::Keep
    ),
    opt!(
        "",
        "--oci-bundle",
        "",
        One,
        "DIR",
        "run the container DIR/config.json describes (OCI), in the foreground; alone, no command",
        Opt::OciBundle
    ),
    Item::Head("Inside"),
    opt!(
        "",
        "--propagation",
        "",
        One,
        "MODE",
        "private|slave|shared|unchanged|unbindable, applied recursively to / (default private)",
        Opt::Propagation
    ),
    opt!(
        "",
        "--hostname",
        "",
        One,
        "NAME",
        "set the hostname (new UTS namespace)",
        Opt::Hostname
    ),
    opt!(
        "",
        "--domainname",
        "",
        One,
        "NAME",
        "set the NIS domain name",
        Opt::Domainname
    ),
    opt!(
        "",
        "--no-proc",
        "",
        Flag,
        "",
        "do not mount a fresh /proc",
        Opt::NoProc
    ),
    opt!(
        "",
        "--mount-proc",
        "",
        Optional,
        "DIR",
        "mount the fresh proc at DIR instead of /proc (implies --mount)",
        Opt::MountProc
    ),
    opt!(
        "",
        "--as-pid-1",
        "",
        Flag,
        "",
        "exec the command as PID 1 instead of under nsrun's init",
        Opt::AsPid1
    ),
    Item::Head(
        "Root and mounts (applied in order; without --root, to / of the new mount namespace)",
    ),
    opt!(
        "R",
        "--root",
        "",
        One,
        "DIR",
        "pivot_root into DIR",
        Opt::Root
    ),
    opt!(
        "",
        "--bind",
        "",
        Two,
        "SRC DST",
        "bind SRC at DST",
        Opt::Bind
    ),
    opt!(
        "",
        "--ro-bind",
        "",
        Two,
        "SRC DST",
        "bind SRC at DST read-only, every submount too",
        Opt::RoBind
    ),
    opt!(
        "",
        "--dev-bind",
        "",
        Two,
        "SRC DST",
        "bind SRC at DST with its device nodes usable",
        Opt::DevBind
    ),
    opt!(
        "",
        "--bind-try",
        "",
        Two,
        "SRC DST",
        "--bind, skipped when SRC is missing",
        Opt::BindTry
    ),
    opt!(
        "",
        "--ro-bind-try",
        "",
        Two,
        "SRC DST",
        "--ro-bind, skipped when SRC is missing",
        Opt::RoBindTry
    ),
    opt!(
        "",
        "--dev-bind-try",
        "",
        Two,
        "SRC DST",
        "--dev-bind, skipped when SRC is missing",
        Opt::DevBindTry
    ),
    opt!("", "--tmpfs", "", One, "DST", "a tmpfs at DST", Opt::Tmpfs),
    opt!(
        "",
        "--size",
        "",
        One,
        "BYTES",
        "the size of the next --tmpfs (k, m, g suffixes)",
        Opt::Size
    ),
    opt!(
        "",
        "--perms",
        "",
        One,
        "OCTAL",
        "the mode of the next --tmpfs or --mkdir",
        Opt::Perms
    ),
    opt!("", "--proc", "", One, "DST", "a proc at DST", Opt::Proc),
    opt!(
        "",
        "--sys",
        "",
        One,
        "DST",
        "a read-only sysfs at DST",
        Opt::Sys
    ),
    opt!(
        "",
        "--dev",
        "",
        One,
        "DST",
        "a minimal /dev at DST",
        Opt::Dev
    ),
    opt!(
        "",
        "--mkdir",
        "",
        One,
        "DST",
        "make the directory DST",
        Opt::Mkdir
    ),
    opt!(
        "",
        "--symlink",
        "",
        Two,
        "TARGET DST",
        "make DST a symbolic link to TARGET",
        Opt::Symlink
    ),
    opt!(
        "",
        "--remount-ro",
        "",
        One,
        "DST",
        "make the mount at DST read-only",
        Opt::RemountRo
    ),
    opt!(
        "",
        "--read-only",
        "",
        Flag,
        "",
        "make the root and the host's mounts below it read-only",
        Opt::ReadOnly
    ),
    Item::Head("Environment"),
    opt!(
        "w",
        "--chdir",
        "--wd",
        One,
        "DIR",
        "the command's working directory",
        Opt::Chdir
    ),
    opt!("", "--setenv", "", Two, "VAR VALUE", "set VAR", Opt::Setenv),
    opt!("", "--unsetenv", "", One, "VAR", "unset VAR", Opt::Unsetenv),
    opt!(
        "",
        "--clearenv",
        "--clear-env",
        Flag,
        "",
        "start from an empty environment",
        Opt::Clearenv
    ),
    opt!(
        "",
        "--keep-fd",
        "",
        One,
        "FD",
        "pass descriptor FD (all others above 2 are closed)",
        Opt::KeepFd
    ),
    opt!(
        "",
        "--info-fd",
        "",
        One,
        "FD",
        "write the container's pid and namespaces to FD as JSON, as bwrap",
        Opt::InfoFd
    ),
    opt!(
        "",
        "--json-status-fd",
        "",
        One,
        "FD",
        "the same as one line to FD, then the exit code as another",
        Opt::JsonStatusFd
    ),
    opt!(
        "",
        "--no-new-privs",
        "",
        Flag,
        "",
        "set no_new_privs before exec",
        Opt::NoNewPrivs
    ),
    Item::Head("User namespace"),
    opt!(
        "r",
        "--map-root-user",
        "",
        Flag,
        "",
        "map your uid and gid to root inside (implies --user)",
        Opt::MapRootUser
    ),
    opt!(
        "c",
        "--map-current-user",
        "",
        Flag,
        "",
        "map your uid and gid to themselves inside (implies --user)",
        Opt::MapCurrentUser
    ),
    opt!(
        "S",
        "--setuid",
        "",
        One,
        "UID",
        "the uid the command runs as inside",
        Opt::Setuid
    ),
    opt!(
        "G",
        "--setgid",
        "",
        One,
        "GID",
        "the gid the command runs as inside",
        Opt::Setgid
    ),
    opt!(
        "",
        "--uid-map",
        "",
        One,
        "IN:OUT:COUNT",
        "an explicit uid map line (repeatable)",
        Opt::UidMap
    ),
    opt!(
        "",
        "--gid-map",
        "",
        One,
        "IN:OUT:COUNT",
        "an explicit gid map line (repeatable)",
        Opt::GidMap
    ),
    Item::Note(
        "As an ordinary user with no user namespace option, nsrun adds one that maps you to root.",
    ),
    Item::Head("Locks (applied just before exec; README: \"Locking a container down\")"),
    opt!(
        "",
        "--caps-preset",
        "",
        One,
        "SET",
        "container (runc's default set) or all (default: container with --root)",
        Opt::CapsPreset
    ),
    opt!(
        "",
        "--cap-drop",
        "",
        One,
        "CAP|ALL",
        "drop CAP, in order, from the preset (names as capsh prints)",
        Opt::CapDrop
    ),
    opt!(
        "",
        "--cap-add",
        "",
        One,
        "CAP|ALL",
        "add CAP, in order, to the preset",
        Opt::CapAdd
    ),
    opt!(
        "",
        "--seccomp-preset",
        "",
        One,
        "default",
        "the container deny list (keyctl, bpf, mount, unshare, TIOCSTI...)",
        Opt::SeccompPreset
    ),
    opt!(
        "",
        "--seccomp-deny",
        "",
        One,
        "NAMES",
        "deny these comma-separated syscalls",
        Opt::SeccompDeny
    ),
    opt!(
        "",
        "--seccomp-allow",
        "",
        One,
        "NAMES",
        "allow only these comma-separated syscalls (others kill)",
        Opt::SeccompAllow
    ),
    opt!(
        "",
        "--seccomp-errno",
        "",
        One,
        "N",
        "the errno of --seccomp-deny (default EPERM)",
        Opt::SeccompErrno
    ),
    opt!(
        "",
        "--seccomp",
        "",
        One,
        "FD",
        "a compiled filter from FD, as bubblewrap takes it",
        Opt::Seccomp
    ),
    opt!(
        "",
        "--add-seccomp-fd",
        "",
        One,
        "FD",
        "one more compiled filter from FD",
        Opt::AddSeccompFd
    ),
    opt!(
        "",
        "--rlimit",
        "",
        One,
        "NAME=SOFT[:HARD]",
        "as prlimit (nofile, nproc, as, core, ...; unlimited)",
        Opt::Rlimit
    ),
    opt!(
        "",
        "--memory",
        "",
        One,
        "BYTES",
        "the cgroup's memory limit",
        Opt::Memory
    ),
    opt!(
        "",
        "--memory-swap",
        "",
        One,
        "BYTES",
        "memory plus swap, or -1 (unlimited)",
        Opt::MemorySwap
    ),
    opt!(
        "",
        "--pids-max",
        "",
        One,
        "N",
        "at most N tasks",
        Opt::PidsMax
    ),
    opt!(
        "",
        "--cpus",
        "",
        One,
        "N.N",
        "at most this many CPUs' time",
        Opt::Cpus
    ),
    opt!(
        "",
        "--cpu-weight",
        "",
        One,
        "N",
        "the CPU weight, 1 to 10000",
        Opt::CpuWeight
    ),
    opt!(
        "",
        "--cgroup-path",
        "",
        One,
        "PATH",
        "the container's cgroup (default: a new one below nsrun's own)",
        Opt::CgroupPath
    ),
    opt!(
        "",
        "--disable-userns",
        "",
        Flag,
        "",
        "no further user namespaces (needs a new user namespace)",
        Opt::DisableUserns
    ),
    opt!(
        "",
        "--new-session",
        "",
        Flag,
        "",
        "run the command in a new session (setsid)",
        Opt::NewSession
    ),
    opt!(
        "",
        "--masked-path",
        "",
        One,
        "DST",
        "hide DST (as OCI maskedPaths)",
        Opt::MaskedPath
    ),
    opt!(
        "",
        "--ro-path",
        "",
        One,
        "DST",
        "bind DST read-only (as OCI readonlyPaths)",
        Opt::RoPath
    ),
    opt!(
        "",
        "--umask",
        "",
        One,
        "OCTAL",
        "the command's umask",
        Opt::Umask
    ),
    opt!(
        "",
        "--groups",
        "",
        One,
        "G1,G2",
        "the supplementary groups",
        Opt::Groups
    ),
    opt!(
        "",
        "--oom-score-adj",
        "",
        One,
        "N",
        "the OOM score adjustment, -1000 to 1000",
        Opt::OomScoreAdj
    ),
    Item::Note("Every seccomp option and --caps-preset container imply --no-new-privs."),
    Item::Head("Named containers (README: \"Named containers\")"),
    opt!(
        "",
        "--name",
        "",
        One,
        "NAME",
        "record the container as NAME for nsrun list, kill, wait",
        Opt::Name
    ),
    opt!(
        "d",
        "--detach",
        "",
        Flag,
        "",
        "run in the background; print the pid once the command runs",
        Opt::Detach
    ),
    opt!(
        "",
        "--log",
        "",
        One,
        "FILE",
        "with --detach: the command's stdout and stderr (else /dev/null)",
        Opt::Log
    ),
    opt!(
        "",
        "--state-dir",
        "",
        One,
        "DIR",
        "the state directory (default: NSRUN_STATE_DIR, /run/nsrun for root, else $XDG_RUNTIME_DIR/nsrun)",
        Opt::StateDir
    ),
    Item::Note("NAME: 1 to 64 letters, digits, '_', '.', '-', starting with a letter or digit."),
    Item::Head("unshare(1) compatibility (accepted; nsrun always does this)"),
    opt!(
        "f",
        "--fork",
        "",
        Flag,
        "",
        "run the command as a child",
        Opt::Fork
    ),
    opt!(
        "",
        "--forward-signals",
        "",
        Flag,
        "",
        "pass signals on to the command",
        Opt::ForwardSignals
    ),
    opt!(
        "",
        "--kill-child",
        "",
        Optional,
        "SIGNAL",
        "kill the command (with SIGKILL) if nsrun dies",
        Opt::KillChild
    ),
    Item::Head("Help"),
    opt!(
        "h",
        "--help",
        "",
        Flag,
        "",
        "this text; nsrun COMMAND --help for a command's",
        Opt::Help
    ),
    opt!(
        "V",
        "--version",
        "",
        Flag,
        "",
        "the version and the target",
        Opt::Version
    ),
];

/// Parses the options of a run and the command after them.
pub(super) fn parse(command: &'static str, words: &[&[u8]]) -> Result<Parsed, String> {
    match words {
        [b"--oci-bundle", dir] => return Ok(Parsed::OciBundle(dir.to_vec())),
        [word] if word.starts_with(b"--oci-bundle=") => {
            return Ok(Parsed::OciBundle(word[b"--oci-bundle=".len()..].to_vec()))
        }
        _ => {}
    }
    let mut spec = Spec::default();
    // At most one mount operation per long option: sized once, as the arena allocator keeps what
    // a growing Vec leaves behind.
    spec.mounts
        .reserve(words.iter().filter(|a| a.starts_with(b"--")).count());
    let mut p = Parser {
        args: Args::new(words, OPTIONS),
        spec,
        chosen: ns::Set::empty(),
        shared: ns::Set::empty(),
        propagation_given: false,
        size: None,
        perms: None,
        mount_proc_given: false,
        command,
    };
    loop {
        match p.args.take()? {
            Got::Opt {
                def,
                name,
                value,
                second,
            } => {
                if let Some(done) = p.option(def.tag, name, value, second)? {
                    return Ok(done);
                }
            }
            Got::Operand(_) => {
                let rest = p.args.rest();
                let command = &words[words.len() - rest.len() - 1..];
                return p.finish(command);
            }
            Got::End => {
                let command = p.args.rest();
                return p.finish(command);
            }
        }
    }
}

pub(super) struct Parser<'a> {
    args: Args<'a, Opt>,
    pub(super) spec: Spec,
    chosen: ns::Set,
    shared: ns::Set,
    propagation_given: bool,
    size: Option<u64>,
    perms: Option<u32>,
    /// `--mount-proc` was given: it needs a mount namespace, as with unshare.
    mount_proc_given: bool,
    /// The command word ("" or "run"), for its help.
    command: &'static str,
}

impl<'a> Parser<'a> {
    /// `--size` and `--perms` apply to the very next `--tmpfs` or `--mkdir`.
    fn no_pending_modifier(&self) -> Result<(), String> {
        match (self.size.is_some(), self.perms.is_some()) {
            (false, false) => Ok(()),
            (true, _) => Err("--size must come right before --tmpfs".into()),
            (false, true) => Err("--perms must come right before --tmpfs or --mkdir".into()),
        }
    }

    /// Takes one option: `name` as given, its values as the table's walker found them.
    fn option(
        &mut self,
        opt: Opt,
        name: &[u8],
        value: Option<&'a [u8]>,
        second: &'a [u8],
    ) -> Result<Option<Parsed>, String> {
        let once = |given: bool| match given {
            true => Err(crate::out::around("", name, " given twice")),
            false => Ok(()),
        };
        if !matches!(opt, Opt::Tmpfs | Opt::Mkdir | Opt::Size | Opt::Perms) {
            self.no_pending_modifier()?;
        }
        // The walker has checked the arity: a one- or two-value option has its value.
        let v = value.unwrap_or_default();
        match opt {
            Opt::Help => return Ok(Some(Parsed::Help(super::help_of(self.command)))),
            Opt::OciBundle => {
                return Err(
                    "--oci-bundle DIR takes no other option and no command: config.json says \
                     everything"
                        .into(),
                )
            }
            Opt::Version => return Ok(Some(Parsed::Version)),
            Opt::Ns(kind) => self.chosen.add(kind),
            Opt::Share => {
                let kind = Kind::from_name(v).ok_or_else(|| super::table::unknown(name))?;
                self.shared.add(kind);
            }
            Opt::UnshareAll => self.chosen = ns::Set::all(),
            Opt::Propagation => {
                self.spec.propagation = match v {
                    b"private" => Propagation::Private,
                    b"slave" => Propagation::Slave,
                    b"shared" => Propagation::Shared,
                    b"unchanged" => Propagation::Unchanged,
                    b"unbindable" => Propagation::Unbindable,
                    _ => {
                        return Err(format!(
                            "--propagation: unknown value '{}' (expected private, slave, shared, unchanged or unbindable)",
                            Show(v)
                        ))
                    }
                };
                self.propagation_given = true;
            }
            Opt::Hostname => {
                once(self.spec.hostname.is_some())?;
                let v = self.name_value(name, v)?;
                if v.is_empty() {
                    return Err(crate::out::around("", name, ": the name must not be empty"));
                }
                self.spec.hostname = Some(v);
            }
            Opt::Domainname => {
                once(self.spec.domainname.is_some())?;
                self.spec.domainname = Some(self.name_value(name, v)?);
            }
            Opt::NoProc => {
                self.spec.mount_proc = false;
            }
            Opt::AsPid1 => {
                self.spec.pid1 = Pid1::Command;
            }
            Opt::Root => {
                once(self.spec.root.is_some())?;
                if v.is_empty() {
                    return Err(crate::out::around(
                        "",
                        name,
                        ": the directory must not be empty",
                    ));
                }
                self.spec.root = Some(v.to_vec());
            }
            Opt::MountProc => {
                // unshare's spelling: a fresh proc at DIR (default /proc), and no other.
                self.mount_proc_given = true;
                match value {
                    None => self.spec.mount_proc = true,
                    Some(dir) => {
                        let dir = absolute(name, dir)?;
                        self.spec.mount_proc = is_proc(&dir);
                        if !self.spec.mount_proc {
                            self.spec.mounts.push(MountOp::Proc(dir));
                        }
                    }
                }
            }
            // unshare's --fork, --forward-signals and --kill-child: nsrun always runs the command
            // as a child, passes signals on, and kills it with SIGKILL when it dies.
            Opt::Fork | Opt::ForwardSignals => {}
            Opt::KillChild => {
                if let Some(sig) = value {
                    if signal_number(sig).is_none() {
                        return Err(format!(
                            "--kill-child: '{}' is not a signal name or number",
                            Show(sig)
                        ));
                    }
                }
            }
            Opt::Bind
            | Opt::RoBind
            | Opt::DevBind
            | Opt::BindTry
            | Opt::RoBindTry
            | Opt::DevBindTry => {
                let (src, dst) = (v, second);
                let optional = matches!(opt, Opt::BindTry | Opt::RoBindTry | Opt::DevBindTry);
                let kind = match opt {
                    Opt::RoBind | Opt::RoBindTry => BindKind::ReadOnly,
                    Opt::DevBind | Opt::DevBindTry => BindKind::Devices,
                    _ => BindKind::ReadWrite,
                };
                let (src, dst) = (src.to_vec(), absolute(name, dst)?);
                self.spec.mounts.push(MountOp::Bind {
                    src,
                    dst,
                    kind,
                    optional,
                });
            }
            Opt::Size => {
                if self.size.is_some() {
                    return Err("--size given twice before one --tmpfs".into());
                }
                self.size = Some(parse_size(v).ok_or_else(|| {
                    format!(
                        "--size: '{}' is not a size in bytes from 1 to 2^63-1 (k, m, g suffixes allowed)",
                        Show(v)
                    )
                })?);
            }
            Opt::Perms => {
                if self.perms.is_some() {
                    return Err("--perms given twice before one --tmpfs or --mkdir".into());
                }
                self.perms = Some(parse_mode(v).ok_or_else(|| {
                    crate::out::around("--perms: '", v, "' is not an octal mode such as 0755")
                })?);
            }
            Opt::Tmpfs => {
                let dst = absolute(name, v)?;
                let (size, mode) = (self.size.take(), self.perms.take());
                self.spec.mounts.push(MountOp::Tmpfs { dst, size, mode });
            }
            Opt::Mkdir => {
                let dst = absolute(name, v)?;
                if self.size.take().is_some() {
                    return Err("--size applies to --tmpfs, not --mkdir".into());
                }
                let mode = self.perms.take();
                self.spec.mounts.push(MountOp::Mkdir { dst, mode });
            }
            Opt::Proc | Opt::Sys | Opt::Dev | Opt::RemountRo => {
                let dst = absolute(name, v)?;
                self.spec.mounts.push(match opt {
                    Opt::Proc => MountOp::Proc(dst),
                    Opt::Sys => MountOp::Sys(dst),
                    Opt::Dev => MountOp::Dev(dst),
                    _ => MountOp::RemountRo(dst),
                });
            }
            Opt::Symlink => {
                let (target, dst) = (v, second);
                if target.is_empty() {
                    return Err("--symlink: the link's target must not be empty".into());
                }
                let (target, dst) = (target.to_vec(), absolute(name, dst)?);
                self.spec.mounts.push(MountOp::Symlink { target, dst });
            }
            Opt::ReadOnly => {
                self.spec.read_only = true;
            }
            Opt::Chdir => {
                if self.spec.chdir.is_some() {
                    return Err(format!(
                        "{} given twice (--chdir and --wd are one option)",
                        Show(name)
                    ));
                }
                if v.is_empty() {
                    return Err(crate::out::around(
                        "",
                        name,
                        ": the directory must not be empty",
                    ));
                }
                self.spec.chdir = Some(v.to_vec());
            }
            Opt::Setuid | Opt::Setgid => {
                let id = parse_u32(v, 10)
                    .filter(|id| *id != u32::MAX)
                    .ok_or_else(|| format!("{}: '{}' is not a numeric id", Show(name), Show(v)))?;
                let slot = match opt {
                    Opt::Setuid => &mut self.spec.setuid,
                    _ => &mut self.spec.setgid,
                };
                once(slot.is_some())?;
                *slot = Some(id);
            }
            Opt::Setenv => {
                let (var, val) = (v, second);
                check_portable_var(name, var)?;
                self.spec.env.push(EnvOp::Set(var.to_vec(), val.to_vec()));
            }
            Opt::Unsetenv => {
                let var = v;
                check_var(name, var)?;
                self.spec.env.push(EnvOp::Unset(var.to_vec()));
            }
            Opt::Clearenv => {
                self.spec.env.push(EnvOp::Clear);
            }
            Opt::KeepFd => {
                let fd = fd_number(name, v)?;
                self.spec.keep_fds.push(fd);
            }
            Opt::Join(kind) => {
                if self.spec.join.iter().any(|j| j.kind == kind) {
                    return Err(crate::out::around("", name, " given twice"));
                }
                if v.is_empty() {
                    return Err(crate::out::around("", name, ": the file must not be empty"));
                }
                // Digits only: a descriptor, as bubblewrap's --userns takes it (./5 is a file).
                let source = match v.iter().all(u8::is_ascii_digit) {
                    true => NsSource::Fd(fd_number(name, v)?),
                    false => NsSource::Path(v.to_vec()),
                };
                self.spec.join.push(Join { kind, source });
            }
            Opt::Keep => {
                once(self.spec.keep.is_some())?;
                if v.is_empty() {
                    return Err("--keep: the directory must not be empty".into());
                }
                self.spec.keep = Some(v.to_vec());
            }
            Opt::InfoFd => {
                once(self.spec.info_fd.is_some())?;
                self.spec.info_fd = Some(fd_number(name, v)?);
            }
            Opt::JsonStatusFd => {
                once(self.spec.json_status_fd.is_some())?;
                self.spec.json_status_fd = Some(fd_number(name, v)?);
            }
            Opt::NoNewPrivs => {
                self.spec.no_new_privs = true;
            }
            Opt::MapRootUser => {
                self.spec.map_root_user = true;
            }
            Opt::MapCurrentUser => {
                self.spec.map_current_user = true;
            }
            Opt::UidMap | Opt::GidMap => {
                let map = parse_id_map(v).ok_or_else(|| {
                    format!(
                        "{}: '{}' is not INSIDE:OUTSIDE:COUNT (decimal, COUNT above 0, each range below 2^32)",
                        Show(name),
                        Show(v)
                    )
                })?;
                if opt == Opt::UidMap {
                    self.spec.uid_map.push(map);
                } else {
                    self.spec.gid_map.push(map);
                }
            }
            Opt::Name => {
                once(self.spec.life.name.is_some())?;
                crate::state::check_name(v).map_err(|e| format!("{}: {e}", Show(name)))?;
                self.spec.life.name = Some(v.to_vec());
            }
            Opt::Detach => self.spec.life.detach = true,
            Opt::Log | Opt::StateDir => {
                let slot = match opt {
                    Opt::Log => &mut self.spec.life.log,
                    _ => &mut self.spec.life.state_dir,
                };
                once(slot.is_some())?;
                if v.is_empty() {
                    return Err(crate::out::around("", name, ": the path must not be empty"));
                }
                *slot = Some(v.to_vec());
            }
            _ => self.lock(opt, name, v)?,
        }
        Ok(None)
    }

    fn name_value(&self, name: &[u8], v: &[u8]) -> Result<Vec<u8>, String> {
        if v.len() > NAME_MAX {
            return Err(format!(
                "{}: '{}' is {} bytes long; the kernel allows at most {NAME_MAX}",
                Show(name),
                Show(v),
                v.len()
            ));
        }
        if let Some(&bad) = v.iter().find(|&&b| b == b'/' || b.is_ascii_control()) {
            let what = match bad {
                b'/' => "a '/'",
                b'\n' => "a newline",
                _ => "a control character",
            };
            return Err(format!(
                "{}: '{}' contains {what}, which a name must not",
                Show(name),
                Show(v)
            ));
        }
        Ok(v.to_vec())
    }

    fn finish(mut self, command: &[&[u8]]) -> Result<Parsed, String> {
        self.no_pending_modifier()?;
        let spec = &mut self.spec;
        let mut set = if self.chosen.is_empty() {
            ns::Set::DEFAULT
        } else {
            self.chosen
        };
        if spec.map_root_user && spec.map_current_user {
            return Err("--map-root-user and --map-current-user exclude each other".into());
        }
        let maps = spec.map_root_user
            || spec.map_current_user
            || !spec.uid_map.is_empty()
            || !spec.gid_map.is_empty();
        if maps && !self.shared.has(Kind::User) {
            set.add(Kind::User);
        }
        if self.mount_proc_given && !self.shared.has(Kind::Mount) {
            set.add(Kind::Mount);
        }
        spec.user_ns_auto = !maps && !self.chosen.has(Kind::User) && !self.shared.has(Kind::User);
        for kind in self.shared.iter() {
            set.remove(kind);
        }
        // A joined kind is not made: one asked for explicitly, or kept shared, is a conflict.
        for j in &spec.join {
            let option = crate::join::given::option(j.kind);
            // --unshare-all: all but the joined ones.
            let all = self.chosen == ns::Set::all();
            let new = (self.chosen.has(j.kind) && !all) || (j.kind == Kind::User && maps);
            if new || self.shared.has(j.kind) {
                let other = match (new, j.kind) {
                    (true, Kind::User) if maps => {
                        "--map-root-user, --map-current-user, --uid-map or --gid-map".into()
                    }
                    (true, k) => format!("--{}", k.name()),
                    (false, k) => format!("--share-{}", k.name()),
                };
                return Err(format!(
                    "{option} and {other}: one joins an existing {} namespace, the other {} (give one)",
                    j.kind.name(),
                    if new { "makes a new one" } else { "keeps nsrun's own" }
                ));
            }
            set.remove(j.kind);
            if j.kind == Kind::User {
                spec.user_ns_auto = false;
            }
        }
        spec.namespaces = set;
        if !set.has(Kind::User) && maps {
            return Err(
                "--map-root-user, --map-current-user, --uid-map and --gid-map need a new user namespace"
                    .into(),
            );
        }
        if maps && (!spec.uid_map.is_empty() || !spec.gid_map.is_empty()) {
            if spec.map_root_user || spec.map_current_user {
                return Err(
                    "--map-root-user and --map-current-user replace --uid-map and --gid-map: give one or the other"
                        .into(),
                );
            }
            for (opt, lines) in [("--uid-map", &spec.uid_map), ("--gid-map", &spec.gid_map)] {
                if let Some(line) = overlapping(lines) {
                    return Err(format!(
                        "{opt}: line {line} overlaps an earlier one (inside or outside); the kernel refuses that"
                    ));
                }
            }
        }
        if spec.propagation == Propagation::Shared && spec.root.is_some() {
            return Err(
                "--propagation shared cannot be used with --root: pivot_root refuses a \
                 new root whose parent mount is shared, so the run would fail after mounting"
                    .into(),
            );
        }
        if !set.has(Kind::Uts) {
            for (opt, given) in [
                ("--hostname", spec.hostname.is_some()),
                ("--domainname", spec.domainname.is_some()),
            ] {
                if given {
                    return Err(format!(
                        "{opt} needs a new UTS namespace, or it would rename the host"
                    ));
                }
            }
        }
        if !set.has(Kind::Mount) {
            let needs_mount_ns = [
                ("--root", spec.root.is_some()),
                ("a mount option", !spec.mounts.is_empty()),
                ("--read-only", spec.read_only),
                ("--propagation", self.propagation_given),
                ("--mount-proc", self.mount_proc_given),
            ];
            for (what, given) in needs_mount_ns {
                if given {
                    return Err(format!(
                        "{what} needs a new mount namespace, or it would change the host's mounts"
                    ));
                }
            }
            spec.mount_proc = false;
        }
        if spec.life.log.is_some() && !spec.life.detach {
            return Err(
                "--log needs --detach (a foreground run writes to nsrun's own stdout and stderr)"
                    .into(),
            );
        }
        if spec.life.state_dir.is_some() && spec.life.name.is_none() {
            return Err("--state-dir needs --name (an unnamed run is not recorded)".into());
        }
        spec.command = command.iter().map(|a| a.to_vec()).collect();
        Ok(Parsed::Run(alloc::boxed::Box::new(self.spec)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::table::Arity;
    use crate::spec::IdMap;

    fn run(args: &[&str]) -> Result<Spec, String> {
        let bytes: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        match parse("", &bytes)? {
            Parsed::Run(spec) => Ok(*spec),
            other => panic!("expected a run, got {other:?}"),
        }
    }

    fn err(args: &[&str]) -> String {
        run(args).expect_err("expected a usage error")
    }

    #[test]
    fn defaults() {
        let s = run(&[]).unwrap();
        assert_eq!(s.namespaces, ns::Set::DEFAULT);
        assert_eq!(s.propagation, Propagation::Private);
        assert!(s.mount_proc);
        assert_eq!(s.pid1, Pid1::Init);
        assert!(s.command.is_empty());
    }

    #[test]
    fn command_after_first_word_or_dashes() {
        let s = run(&["--hostname", "c1", "sh", "-c", "echo --uts"]).unwrap();
        assert_eq!(s.hostname.as_deref(), Some(&b"c1"[..]));
        assert_eq!(s.command, [&b"sh"[..], b"-c", b"echo --uts"]);
        let s = run(&["--", "-weird"]).unwrap();
        assert_eq!(s.command, [&b"-weird"[..]]);
    }

    #[test]
    fn explicit_namespaces_replace_the_default() {
        let s = run(&["-mu", "--pid"]).unwrap();
        let kinds: Vec<_> = s.namespaces.iter().collect();
        assert_eq!(kinds, [Kind::Mount, Kind::Uts, Kind::Pid]);
        let s = run(&["--unshare-user", "--unshare-net"]).unwrap();
        assert_eq!(
            s.namespaces.iter().collect::<Vec<_>>(),
            [Kind::Net, Kind::User]
        );
    }

    #[test]
    fn share_removes_a_kind() {
        let s = run(&["--share-net"]).unwrap();
        assert!(!s.namespaces.has(Kind::Net));
        assert!(s.namespaces.has(Kind::Pid));
        let s = run(&["--unshare-all", "--share-user", "--share-time"]).unwrap();
        assert!(!s.namespaces.has(Kind::User) && s.namespaces.has(Kind::Cgroup));
    }

    #[test]
    fn map_root_user_implies_user() {
        let s = run(&["-r"]).unwrap();
        assert!(s.namespaces.has(Kind::User) && s.namespaces.has(Kind::Mount));
    }

    #[test]
    fn propagation_values() {
        for (v, p) in [
            ("private", Propagation::Private),
            ("slave", Propagation::Slave),
            ("shared", Propagation::Shared),
            ("unchanged", Propagation::Unchanged),
            ("unbindable", Propagation::Unbindable),
        ] {
            assert_eq!(run(&["--propagation", v]).unwrap().propagation, p);
            let inline = format!("--propagation={v}");
            assert_eq!(run(&[&inline]).unwrap().propagation, p);
        }
        assert!(err(&["--propagation", "rprivate"]).contains("unknown value 'rprivate'"));
    }

    #[test]
    fn usage_errors_name_the_option() {
        assert_eq!(err(&["--bogus"]), "unknown option '--bogus'");
        assert_eq!(err(&["-z"]), "unknown option '-z'");
        assert_eq!(err(&["--share-bogus"]), "unknown option '--share-bogus'");
        assert_eq!(err(&["--hostname"]), "option '--hostname' needs a value");
        assert_eq!(err(&["--bind", "/a"]), "option '--bind' needs two values");
        assert!(err(&["--no-proc=1"]).contains("takes no value"));
    }

    #[test]
    fn hostname_limit() {
        let ok = "h".repeat(64);
        assert!(run(&["--hostname", &ok]).is_ok());
        let long = "h".repeat(65);
        assert!(err(&["--hostname", &long]).contains("65 bytes long"));
    }

    #[test]
    fn hostname_needs_uts() {
        assert!(err(&["--share-uts", "--hostname", "x"]).contains("UTS namespace"));
        assert!(err(&["-p", "--hostname", "x"]).contains("UTS namespace"));
    }

    #[test]
    fn mounts_need_a_mount_namespace() {
        assert!(err(&["--share-mount", "--tmpfs", "/tmp"]).contains("mount namespace"));
        assert!(err(&["-u", "--propagation", "shared"]).contains("mount namespace"));
        let s = run(&["-up"]).unwrap();
        assert!(!s.mount_proc, "no /proc mount without a mount namespace");
    }

    #[test]
    fn mount_ops_in_order() {
        let s = run(&[
            "--ro-bind",
            "/usr",
            "/usr",
            "--size",
            "1m",
            "--perms",
            "700",
            "--tmpfs",
            "/tmp",
            "--bind-try",
            "/x",
            "/y",
            "--symlink",
            "usr/bin",
            "/bin",
            "--dev",
            "/dev",
        ])
        .unwrap();
        assert_eq!(
            s.mounts,
            [
                MountOp::Bind {
                    src: b"/usr".to_vec(),
                    dst: b"/usr".to_vec(),
                    kind: BindKind::ReadOnly,
                    optional: false
                },
                MountOp::Tmpfs {
                    dst: b"/tmp".to_vec(),
                    size: Some(1 << 20),
                    mode: Some(0o700)
                },
                MountOp::Bind {
                    src: b"/x".to_vec(),
                    dst: b"/y".to_vec(),
                    kind: BindKind::ReadWrite,
                    optional: true
                },
                MountOp::Symlink {
                    target: b"usr/bin".to_vec(),
                    dst: b"/bin".to_vec()
                },
                MountOp::Dev(b"/dev".to_vec()),
            ]
        );
    }

    #[test]
    fn size_must_precede_tmpfs() {
        assert!(err(&["--size", "1m", "--proc", "/proc"]).contains("right before --tmpfs"));
        assert!(
            err(&["--perms", "700", "--bind", "/a", "/b", "--tmpfs", "/t"])
                .contains("right before")
        );
        assert!(err(&["--size", "1m", "-n", "--tmpfs", "/t"]).contains("right before"));
        assert!(err(&["--size", "1m"]).contains("right before"));
        assert!(err(&["--bind", "/a", "b"]).contains("absolute path"));
        assert!(err(&["--bind", "/a", "/t/../b"]).contains("'..'"));
        assert!(err(&["--size", "1x", "--tmpfs", "/t"]).contains("not a size"));
        assert!(err(&["--tmpfs", "t"]).contains("absolute path"));
    }

    #[test]
    fn env_and_maps() {
        let s = run(&[
            "--clearenv",
            "--setenv",
            "A",
            "1",
            "--unsetenv",
            "B",
            "--uid-map",
            "0:1000:1",
        ])
        .unwrap();
        assert_eq!(
            s.env,
            [
                EnvOp::Clear,
                EnvOp::Set(b"A".to_vec(), b"1".to_vec()),
                EnvOp::Unset(b"B".to_vec())
            ]
        );
        assert_eq!(
            s.uid_map,
            [IdMap {
                inside: 0,
                outside: 1000,
                count: 1
            }]
        );
        assert!(s.namespaces.has(Kind::User));
        assert!(err(&["--uid-map", "0:1000"]).contains("INSIDE:OUTSIDE:COUNT"));
        assert!(err(&["--setenv", "A=B", "x"]).contains("not a variable name"));
        assert!(err(&["--keep-fd", "2"]).contains("from 3 to"));
        assert!(err(&["--info-fd", "x"]).contains("--info-fd: 'x' is not a descriptor"));
        assert!(err(&["--json-status-fd", "1"]).contains("from 3 to"));
        assert!(err(&["--info-fd", "5", "--info-fd", "6"]).contains("given twice"));
        assert!(err(&["--symlink", "", "/l"]).contains("must not be empty"));
    }

    #[test]
    fn sizes_zero_and_past_2_63_are_refused() {
        for bad in [
            "0",
            "0k",
            "9223372036854775808",
            "8589934592g",
            "18446744073709551615",
            "+1",
            " 1",
            "k",
            "",
        ] {
            assert!(
                err(&["--size", bad, "--tmpfs", "/t"]).contains("not a size"),
                "{bad}"
            );
        }
        let s = run(&["--size", "9223372036854775807", "--tmpfs", "/t"]).unwrap();
        assert!(
            matches!(s.mounts[0], MountOp::Tmpfs { size: Some(n), .. } if n == i64::MAX as u64)
        );
        assert_eq!(parse_size(b"8589934591g"), Some(8589934591 << 30));
    }

    #[test]
    fn options_given_twice_are_refused() {
        assert!(
            err(&["--size", "1m", "--size", "2m", "--tmpfs", "/t"]).contains("--size given twice")
        );
        assert!(err(&["--perms", "700", "--perms", "755", "--mkdir", "/t"])
            .contains("--perms given twice"));
        assert!(err(&["--chdir", "/a", "--chdir", "/b"]).contains("--chdir given twice"));
        assert!(err(&["--chdir", "/a", "--wd", "/b"]).contains("--wd given twice"));
        assert!(err(&["--root", "/a", "-R", "/b"]).contains("--root given twice"));
        assert!(err(&["--hostname", "a", "--hostname", "b"]).contains("--hostname given twice"));
        assert!(err(&["--setuid", "1", "-S", "2"]).contains("--setuid given twice"));
        // One each before two operations is fine.
        let s = run(&[
            "--size", "1m", "--tmpfs", "/a", "--size", "2m", "--tmpfs", "/b",
        ])
        .unwrap();
        assert_eq!(s.mounts.len(), 2);
    }

    #[test]
    fn empty_and_odd_names_are_refused() {
        assert!(err(&["--hostname", ""]).contains("--hostname: the name must not be empty"));
        assert!(err(&["--root", ""]).contains("--root: the directory must not be empty"));
        assert!(err(&["--chdir", ""]).contains("must not be empty"));
        assert!(err(&["--hostname", "a/b"]).contains("contains a '/'"));
        assert!(err(&["--hostname", "a\nb"]).contains("contains a newline"));
        assert!(err(&["--domainname", "a\x1b[2Jb"]).contains("contains a control character"));
        assert!(err(&["--domainname", "x/y"]).starts_with("--domainname: 'x/y'"));
        // An empty domain name is the kernel's default ("(none)" to some tools): allowed.
        assert_eq!(
            run(&["--domainname", ""]).unwrap().domainname.as_deref(),
            Some(&b""[..])
        );
        let e = err(&["--hostname", "a\nb"]);
        assert!(!e.contains('\n') && e.contains("a\\nb"), "{e}");
    }

    #[test]
    fn setenv_names_are_portable() {
        for bad in ["A B", "1A", "", "A-B", "A=B", "Ä", "A\n"] {
            let e = err(&["--setenv", bad, "x"]);
            assert!(
                e.contains("not a variable name (letters, digits and '_'"),
                "{e}"
            );
        }
        for good in ["A", "_", "a_1", "PATH", "_9"] {
            assert!(run(&["--setenv", good, "x"]).is_ok(), "{good}");
        }
    }

    #[test]
    fn id_maps_must_fit_and_not_overlap() {
        assert!(parse_id_map(b"0:1000:1").is_some());
        assert!(parse_id_map(b"4294967294:0:1").is_some());
        assert!(parse_id_map(b"4294967295:0:1").is_none());
        assert!(parse_id_map(b"0:4294967295:1").is_none());
        assert!(parse_id_map(b"0:0:4294967295").is_some());
        assert!(parse_id_map(b"1:0:4294967295").is_none());
        assert!(parse_id_map(b"0:0:0").is_none());
        assert!(parse_id_map(b"+0:0:1").is_none());
        assert!(parse_id_map(b"0:0:1:").is_none());
        let e = err(&["--uid-map", "0:1000:10", "--uid-map", "5:2000:1"]);
        assert!(e.contains("--uid-map: line 2 overlaps"), "{e}");
        let e = err(&["--gid-map", "0:1000:10", "--gid-map", "10:1005:1"]);
        assert!(e.contains("--gid-map: line 2 overlaps"), "{e}");
        assert!(run(&["--uid-map", "0:1000:10", "--uid-map", "10:2000:5"]).is_ok());
    }

    #[test]
    fn shared_propagation_with_root_is_refused() {
        let e = err(&["--propagation", "shared", "--root", "/x"]);
        assert!(
            e.contains("--propagation shared cannot be used with --root"),
            "{e}"
        );
        assert!(run(&["--propagation", "slave", "--root", "/x"]).is_ok());
    }

    #[test]
    fn unshare_spellings() {
        let s = run(&[
            "-f",
            "--fork",
            "--forward-signals",
            "--kill-child",
            "--kill-child=SIGTERM",
            "--kill-child=term",
            "--kill-child=9",
        ])
        .unwrap();
        assert_eq!(s, run(&[]).unwrap());
        assert!(err(&["--kill-child=BOGUS"]).contains("not a signal"));
        assert!(err(&["--kill-child=0"]).contains("not a signal"));
        assert!(err(&["--fork=1"]).contains("takes no value"));
        assert_eq!(run(&["--clear-env"]).unwrap().env, [EnvOp::Clear]);
        let s = run(&["-w", "/a"]).unwrap();
        assert_eq!(s.chdir.as_deref(), Some(&b"/a"[..]));
        assert_eq!(run(&["-w/b"]).unwrap().chdir.as_deref(), Some(&b"/b"[..]));
        assert_eq!(
            run(&["--wd=/c"]).unwrap().chdir.as_deref(),
            Some(&b"/c"[..])
        );
        assert_eq!(
            run(&["-fR", "/r"]).unwrap().root.as_deref(),
            Some(&b"/r"[..])
        );
        let s = run(&["-S", "1000", "--setgid=100", "true"]).unwrap();
        assert_eq!((s.setuid, s.setgid), (Some(1000), Some(100)));
        assert_eq!(s.command, [b"true"]);
        assert!(err(&["--setuid", "-1"]).contains("not a numeric id"));
        assert!(err(&["-S"]).contains("'--setuid' needs a value"));
        let s = run(&["-c"]).unwrap();
        assert!(s.map_current_user && s.namespaces.has(Kind::User));
        assert!(run(&["--map-current-user", "-U"]).unwrap().map_current_user);
        assert!(err(&["-r", "-c"]).contains("exclude each other"));
        assert!(err(&["-c", "--uid-map", "0:0:1"]).contains("give one or the other"));
        assert!(err(&["-c", "--share-user"]).contains("need a new user namespace"));
    }

    #[test]
    fn mount_proc_forms() {
        // Plain: the default /proc, and a mount namespace even when the set is chosen.
        let s = run(&["-p", "--mount-proc"]).unwrap();
        assert!(s.mount_proc && s.namespaces.has(Kind::Mount) && s.namespaces.has(Kind::Pid));
        assert!(s.mounts.is_empty());
        assert!(run(&["--no-proc", "--mount-proc"]).unwrap().mount_proc);
        let s = run(&["--mount-proc=/proc/"]).unwrap();
        assert!(s.mount_proc && s.mounts.is_empty());
        // Elsewhere: only there.
        let s = run(&["-p", "--mount-proc=/mnt/p"]).unwrap();
        assert!(!s.mount_proc);
        assert_eq!(s.mounts, [MountOp::Proc(b"/mnt/p".to_vec())]);
        assert!(err(&["--mount-proc=rel"]).contains("absolute path"));
        assert!(err(&["--share-mount", "--mount-proc"]).contains("mount namespace"));
    }

    use crate::testing::Rng;

    /// A word: an option, a value, or a mutation of one.
    fn word(rng: &mut Rng) -> Vec<u8> {
        const WORDS: &[&str] = &[
            "--",
            "-",
            "--bind",
            "--ro-bind-try",
            "--tmpfs",
            "--size",
            "--perms",
            "--mkdir",
            "--symlink",
            "--proc",
            "--dev",
            "--sys",
            "--remount-ro",
            "--root",
            "-R",
            "--chdir",
            "--wd",
            "-w",
            "--setenv",
            "--unsetenv",
            "--clearenv",
            "--keep-fd",
            "--uid-map",
            "--gid-map",
            "-r",
            "-c",
            "-f",
            "-mupn",
            "-S",
            "-G",
            "--setuid",
            "--setgid",
            "--hostname",
            "--domainname",
            "--propagation",
            "shared",
            "unchanged",
            "--mount-proc",
            "--mount-proc=/x",
            "--kill-child=",
            "--share-user",
            "--unshare-all",
            "--no-proc",
            "--as-pid-1",
            "--read-only",
            "--help",
            "-V",
            "/",
            "/a",
            "a",
            "..",
            "/a/../b",
            "0",
            "1k",
            "18446744073709551615g",
            "0:0:1",
            "4294967295:0:1",
            "::",
            "=",
            "--=",
            "-=",
            "755",
            "A",
            "A B",
            "",
            "\n",
            "\x1b[0m",
            "\u{9b}",
            "--size=1",
            "-wR",
            "-Sx",
        ];
        let mut w = WORDS[rng.below(WORDS.len())].as_bytes().to_vec();
        match rng.below(6) {
            0 if !w.is_empty() => {
                let at = rng.below(w.len());
                w[at] = rng.bits() as u8;
            }
            1 => w.push(rng.bits() as u8),
            2 if !w.is_empty() => {
                let at = rng.below(w.len());
                w.truncate(at);
            }
            3 => {
                let other = word(rng);
                w.push(b'=');
                w.extend(other);
            }
            _ => {}
        }
        w
    }

    /// Random and mutated command lines never panic, and what parses keeps the parser's promises.
    #[test]
    fn random_command_lines_never_panic() {
        let mut rng = Rng(0x0123_4567_89ab_cdef);
        for _ in 0..20_000 {
            let words: Vec<Vec<u8>> = (0..rng.below(8)).map(|_| word(&mut rng)).collect();
            let args: Vec<&[u8]> = words.iter().map(|w| w.as_slice()).collect();
            match parse("", &args) {
                Ok(Parsed::Run(spec)) => {
                    for op in &spec.mounts {
                        let dst = match op {
                            MountOp::Bind { dst, .. }
                            | MountOp::Tmpfs { dst, .. }
                            | MountOp::Mkdir { dst, .. }
                            | MountOp::Symlink { dst, .. } => dst,
                            MountOp::Proc(d) | MountOp::Sys(d) | MountOp::Dev(d) => d,
                            MountOp::RemountRo(d) | MountOp::Mask(d) | MountOp::ReadOnlyPath(d) => {
                                d
                            }
                            MountOp::Mount(_) | MountOp::Device(_) => {
                                unreachable!("only config.json makes these")
                            }
                        };
                        assert_eq!(dst.first(), Some(&b'/'), "{args:?}");
                        if let MountOp::Tmpfs { size: Some(n), .. } = op {
                            assert!(*n > 0 && *n <= i64::MAX as u64);
                        }
                    }
                    for name in spec.hostname.iter().chain(&spec.domainname) {
                        assert!(!name.iter().any(|b| *b == b'/' || b.is_ascii_control()));
                    }
                    assert!(spec.hostname.as_ref().is_none_or(|h| !h.is_empty()));
                    assert!(spec.root.as_ref().is_none_or(|r| !r.is_empty()));
                    assert!(!(spec.propagation == Propagation::Shared && spec.root.is_some()));
                }
                Ok(_) => {}
                Err(e) => assert!(!e.chars().any(char::is_control), "{e:?}"),
            }
        }
    }

    #[test]
    fn random_id_maps_never_panic() {
        let mut rng = Rng(42);
        for _ in 0..20_000 {
            let (a, b, c) = (
                rng.bits() as u32 >> rng.below(32),
                rng.bits() as u32,
                rng.bits() as u32 >> rng.below(32),
            );
            let text = format!("{a}:{b}:{c}");
            let fits = c > 0 && a.checked_add(c).is_some() && b.checked_add(c).is_some();
            let want = fits.then_some(IdMap {
                inside: a,
                outside: b,
                count: c,
            });
            assert_eq!(parse_id_map(text.as_bytes()), want, "{text}");
            let mut bytes = text.into_bytes();
            let at = rng.below(bytes.len());
            bytes[at] = rng.bits() as u8;
            if let Some(m) = parse_id_map(&bytes) {
                assert!(m.count > 0 && m.inside.checked_add(m.count).is_some());
            }
        }
    }

    /// The `--name` and `-X` words of a help text.
    fn help_words(text: &str) -> (Vec<String>, Vec<u8>) {
        let mut long = Vec::new();
        let mut short = Vec::new();
        let text = text.as_bytes();
        for (i, w) in text.windows(2).enumerate() {
            let before = i.checked_sub(1).map(|j| text[j]);
            let starts =
                !matches!(before, Some(b) if b.is_ascii_alphanumeric() || b == b'-' || b == b'[');
            if !starts {
                continue;
            }
            if w == b"--" {
                let name: String = text[i..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
                    .map(|&b| b as char)
                    .collect();
                if name.len() > 2 {
                    long.push(name);
                }
            } else if w[0] == b'-' && w[1].is_ascii_alphabetic() {
                let next = text.get(i + 2).copied().unwrap_or(b' ');
                if !next.is_ascii_alphanumeric() && next != b'-' {
                    short.push(w[1]);
                }
            }
        }
        (long, short)
    }

    /// Every option word of the help text (its notes included) is an option of the table, every
    /// option of the table is in the help and is parsed, and no other letter is.
    #[test]
    fn help_and_parser_name_the_same_options() {
        let help = crate::cli::help_of("");
        let (long, short) = help_words(&help);
        let defs: Vec<_> = super::super::table::defs(OPTIONS).collect();
        let known = |name: &str| {
            defs.iter().any(|d| match d.arity {
                Arity::Suffix => name.starts_with(d.fields().long),
                _ => d.fields().long == name || d.fields().also == name,
            })
        };
        for name in &long {
            assert!(
                known(name),
                "{name} is in the help text but not in the table"
            );
        }
        let shorts: Vec<u8> = defs
            .iter()
            .map(|d| d.fields().short)
            .filter(|&c| c != 0)
            .collect();
        for d in &defs {
            let f = d.fields();
            for name in [f.long, f.also].into_iter().filter(|n| !n.is_empty()) {
                let listed = long
                    .iter()
                    .any(|n| n == name || d.arity == Arity::Suffix && n.starts_with(name));
                assert!(listed, "{name} is missing from the help text");
                if d.arity == Arity::Suffix {
                    continue;
                }
                let names = defs
                    .iter()
                    .filter(|e| e.fields().long == name || e.fields().also == name);
                assert_eq!(names.count(), 1, "{name} is in the table twice");
                if let Err(e) = parse("", &[name.as_bytes()]) {
                    assert!(
                        !e.starts_with("unknown option"),
                        "{name} is not parsed: {e}"
                    );
                }
                if matches!(d.arity, Arity::Flag) && !matches!(d.tag, Opt::Help | Opt::Version) {
                    let with_value = format!("{name}=x");
                    let e = parse("", &[with_value.as_bytes()]).expect_err(name);
                    assert!(e.contains("takes no value"), "{name}=x: {e}");
                }
            }
        }
        for c in &shorts {
            assert!(
                short.contains(c),
                "-{} is missing from the help text",
                *c as char
            );
            assert_eq!(shorts.iter().filter(|s| *s == c).count(), 1);
            if let Err(e) = parse("", &[&[b'-', *c]]) {
                assert!(
                    !e.starts_with("unknown option"),
                    "-{} is not parsed: {e}",
                    *c as char
                );
            }
        }
        for c in &short {
            assert!(
                shorts.contains(c),
                "-{} is in the help text but not in the table",
                *c as char
            );
        }
        for c in (b'a'..=b'z')
            .chain(b'A'..=b'Z')
            .filter(|c| !shorts.contains(c))
        {
            assert!(parse("", &[&[b'-', c]]).is_err_and(|e| e.starts_with("unknown option")));
        }
    }

    #[test]
    fn help_and_version() {
        let cli = |args: &[&str]| {
            let bytes: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
            crate::cli::parse(&bytes)
        };
        let top = crate::cli::help_of("");
        assert!(top.starts_with("Usage: nsrun [OPTIONS]"), "{top}");
        assert!(top.contains("\n  nsrun gc "), "{top}");
        for args in [&["--help"][..], &["-h"], &["help"], &["-m", "-h"]] {
            assert_eq!(cli(args).unwrap(), Parsed::Help(top.clone()), "{args:?}");
        }
        let run = crate::cli::help_of("run");
        assert!(run.starts_with("Usage: nsrun run [OPTIONS]"), "{run}");
        assert_eq!(cli(&["run", "--help"]).unwrap(), Parsed::Help(run.clone()));
        assert_eq!(cli(&["help", "run"]).unwrap(), Parsed::Help(run));
        let gc = crate::cli::help_of("gc");
        assert!(gc.starts_with("Usage: nsrun gc\n"), "{gc}");
        assert_eq!(cli(&["gc", "--help"]).unwrap(), Parsed::Help(gc.clone()));
        assert_eq!(cli(&["help", "gc"]).unwrap(), Parsed::Help(gc));
        assert_eq!(cli(&["gc"]).unwrap(), Parsed::Gc);
        assert!(cli(&["gc", "x"]).is_err());
        assert!(cli(&["help", "nope"]).is_err());
        assert_eq!(cli(&["-V"]).unwrap(), Parsed::Version);
        assert_eq!(cli(&["--version"]).unwrap(), Parsed::Version);
        for bad in ["--help=x", "--version=1", "--help=", "--version="] {
            let e = cli(&[bad]).expect_err(bad);
            assert!(e.contains("takes no value"), "{bad}: {e}");
        }
        // A program named like a command word runs after --.
        let Parsed::Run(spec) = cli(&["--", "gc"]).unwrap() else {
            panic!()
        };
        assert_eq!(spec.command, [b"gc".to_vec()]);
    }
}

#[cfg(test)]
mod join_tests {
    use super::*;

    fn spec(args: &[&str]) -> Result<Spec, String> {
        let mut words: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        words.push(b"true");
        match parse("", &words)? {
            Parsed::Run(s) => Ok(*s),
            other => panic!("not a run: {other:?}"),
        }
    }

    #[test]
    fn joined_kinds_are_not_made_and_digits_are_descriptors() {
        let s = spec(&["--netns", "/run/netns/blue", "--userns", "5"]).unwrap();
        assert!(!s.namespaces.has(Kind::Net) && !s.namespaces.has(Kind::User));
        assert!(s.namespaces.has(Kind::Mount) && s.namespaces.has(Kind::Pid));
        assert!(!s.user_ns_auto);
        assert_eq!(
            s.join,
            [
                Join {
                    kind: Kind::Net,
                    source: NsSource::Path(b"/run/netns/blue".to_vec())
                },
                Join {
                    kind: Kind::User,
                    source: NsSource::Fd(5)
                },
            ]
        );
        let s = spec(&["--pidns=./7"]).unwrap();
        assert_eq!(s.join[0].source, NsSource::Path(b"./7".to_vec()));
        // --unshare-all: every kind but the joined one.
        let s = spec(&["--unshare-all", "--netns", "/x"]).unwrap();
        assert!(!s.namespaces.has(Kind::Net) && s.namespaces.has(Kind::Time));
    }

    #[test]
    fn joining_and_making_one_kind_is_refused_naming_both() {
        let e = spec(&["--netns", "/x", "--net"]).unwrap_err();
        assert!(e.starts_with("--netns and --net: one joins"), "{e}");
        let e = spec(&["--share-uts", "--utsns", "/x"]).unwrap_err();
        assert!(e.starts_with("--utsns and --share-uts"), "{e}");
        let e = spec(&["--userns", "/x", "--map-root-user"]).unwrap_err();
        assert!(e.starts_with("--userns and --map-root-user"), "{e}");
        let e = spec(&["--netns", "/x", "--netns", "/y"]).unwrap_err();
        assert!(e.contains("--netns given twice"), "{e}");
        let e = spec(&["--ipcns", "2"]).unwrap_err();
        assert!(e.contains("is not a descriptor number"), "{e}");
        let e = spec(&["--keep", "a", "--keep", "b"]).unwrap_err();
        assert!(e.contains("--keep given twice"), "{e}");
    }

    #[test]
    fn release_takes_one_dir() {
        assert_eq!(
            crate::cli::parse(&[b"release", b"d"]).unwrap(),
            Parsed::Release { dir: b"d".to_vec() }
        );
        assert!(crate::cli::parse(&[b"release"]).is_err());
        assert!(crate::cli::parse(&[b"release", b"a", b"b"]).is_err());
    }
}
