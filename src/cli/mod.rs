//! Command-line options → [`Spec`]. No syscalls here: this is pure parsing and checking.
//!
//! Option names follow util-linux unshare (`-m`, `--propagation`, `-r`) and bubblewrap (`--bind`,
//! `--ro-bind`, `--tmpfs`, `--share-net`), so users of either find them where they expect.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::ns::{self, Kind};
use crate::out::Bytes as Show;
use crate::spec::{BindKind, EnvOp, IdMap, MountOp, Pid1, Propagation, Spec};

mod locks;

/// The longest hostname or domain name the kernel accepts (HOST_NAME_MAX).
pub const NAME_MAX: usize = 64;

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Run a container.
    Run(alloc::boxed::Box<Spec>),
    /// Print the help text.
    Help,
    /// Print the version.
    Version,
    /// `nsrun gc`: remove the cgroups killed runs left behind.
    Gc,
}

/// Every long option the parser takes, besides the namespace kinds (`--KIND`, `--unshare-KIND`,
/// `--share-KIND`). The parser refuses any other name, and a unit test checks that each one here
/// is parsed and named in [`HELP`], and that HELP names no other: the three cannot drift apart.
pub const LONG: &[&str] = &[
    "help",
    "version",
    "unshare-all",
    "propagation",
    "hostname",
    "domainname",
    "no-proc",
    "mount-proc",
    "as-pid-1",
    "fork",
    "forward-signals",
    "kill-child",
    "root",
    "bind",
    "ro-bind",
    "dev-bind",
    "bind-try",
    "ro-bind-try",
    "dev-bind-try",
    "tmpfs",
    "size",
    "perms",
    "proc",
    "sys",
    "dev",
    "mkdir",
    "symlink",
    "remount-ro",
    "read-only",
    "chdir",
    "wd",
    "setenv",
    "unsetenv",
    "clearenv",
    "clear-env",
    "keep-fd",
    "info-fd",
    "json-status-fd",
    "no-new-privs",
    "map-root-user",
    "map-current-user",
    "setuid",
    "setgid",
    "uid-map",
    "gid-map",
    "cap-drop",
    "cap-add",
    "caps-preset",
    "seccomp",
    "add-seccomp-fd",
    "seccomp-deny",
    "seccomp-allow",
    "seccomp-errno",
    "seccomp-preset",
    "rlimit",
    "memory",
    "memory-swap",
    "pids-max",
    "cpus",
    "cpu-weight",
    "cgroup-path",
    "disable-userns",
    "new-session",
    "masked-path",
    "ro-path",
    "umask",
    "groups",
    "oom-score-adj",
];

/// The options of [`LONG`], one variant each, in its order ([`OPTS`]): the parser finds an
/// option's name once and dispatches on the variant.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
enum Opt {
    Help,
    Version,
    UnshareAll,
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
    Wd,
    Setenv,
    Unsetenv,
    Clearenv,
    ClearEnv,
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
}

/// The variant of each name of [`LONG`], at the same index (a unit test checks that each
/// variant is its name in CamelCase).
const OPTS: [Opt; 68] = [
    Opt::Help,
    Opt::Version,
    Opt::UnshareAll,
    Opt::Propagation,
    Opt::Hostname,
    Opt::Domainname,
    Opt::NoProc,
    Opt::MountProc,
    Opt::AsPid1,
    Opt::Fork,
    Opt::ForwardSignals,
    Opt::KillChild,
    Opt::Root,
    Opt::Bind,
    Opt::RoBind,
    Opt::DevBind,
    Opt::BindTry,
    Opt::RoBindTry,
    Opt::DevBindTry,
    Opt::Tmpfs,
    Opt::Size,
    Opt::Perms,
    Opt::Proc,
    Opt::Sys,
    Opt::Dev,
    Opt::Mkdir,
    Opt::Symlink,
    Opt::RemountRo,
    Opt::ReadOnly,
    Opt::Chdir,
    Opt::Wd,
    Opt::Setenv,
    Opt::Unsetenv,
    Opt::Clearenv,
    Opt::ClearEnv,
    Opt::KeepFd,
    Opt::InfoFd,
    Opt::JsonStatusFd,
    Opt::NoNewPrivs,
    Opt::MapRootUser,
    Opt::MapCurrentUser,
    Opt::Setuid,
    Opt::Setgid,
    Opt::UidMap,
    Opt::GidMap,
    Opt::CapDrop,
    Opt::CapAdd,
    Opt::CapsPreset,
    Opt::Seccomp,
    Opt::AddSeccompFd,
    Opt::SeccompDeny,
    Opt::SeccompAllow,
    Opt::SeccompErrno,
    Opt::SeccompPreset,
    Opt::Rlimit,
    Opt::Memory,
    Opt::MemorySwap,
    Opt::PidsMax,
    Opt::Cpus,
    Opt::CpuWeight,
    Opt::CgroupPath,
    Opt::DisableUserns,
    Opt::NewSession,
    Opt::MaskedPath,
    Opt::RoPath,
    Opt::Umask,
    Opt::Groups,
    Opt::OomScoreAdj,
];

const _: () = assert!(LONG.len() == OPTS.len());

/// Every short option, as [`LONG`] (each is named in HELP as `-X`).
pub const SHORT: &[u8] = b"muinpUCTrcfRwSGhV";

/// The text of `nsrun --help`.
pub const HELP: &str = "\
Usage: nsrun [OPTIONS] [--] [COMMAND [ARG...]]
Run COMMAND (default: $SHELL, else /bin/sh) in new namespaces.

Namespaces (default: mount, uts, ipc, net, pid; any of these options chooses the set explicitly):
  -m, --mount      -u, --uts      -i, --ipc      -n, --net
  -p, --pid        -U, --user     -C, --cgroup   -T, --time
      (each also as --unshare-KIND)   --unshare-all   all eight
      --share-KIND         keep KIND shared with the host (e.g. --share-net)

Inside:
      --propagation MODE   private|slave|shared|unchanged, applied recursively to / (default private)
      --hostname NAME      set the hostname (new UTS namespace)
      --domainname NAME    set the NIS domain name
      --no-proc            do not mount a fresh /proc
      --mount-proc[=DIR]   mount the fresh proc at DIR instead of /proc (implies --mount)
      --as-pid-1           exec the command as PID 1 instead of under nsrun's init

Root and mounts (applied in order; without --root, to / of the new mount namespace):
  -R, --root DIR           pivot_root into DIR
      --bind SRC DST       --ro-bind SRC DST     --dev-bind SRC DST
                           (also --bind-try, --ro-bind-try, --dev-bind-try: skip a missing SRC)
      --tmpfs DST          --size BYTES and --perms OCTAL before it set its size and mode
      --proc DST           --sys DST (read-only)    --dev DST (minimal /dev)
      --mkdir DST          --symlink TARGET DST     --remount-ro DST
      --read-only          make the root and the host's mounts below it read-only

Environment:
  -w, --chdir DIR          the command's working directory (also --wd DIR)
      --setenv VAR VALUE   --unsetenv VAR    --clearenv (also --clear-env)
      --keep-fd FD         pass descriptor FD (all others above 2 are closed)
      --info-fd FD         write the container's pid and namespaces to FD as JSON, as bwrap
      --json-status-fd FD  the same as one line to FD, then the exit code as another
      --no-new-privs       set no_new_privs before exec

User namespace:
  -r, --map-root-user      map your uid and gid to root inside (implies --user)
  -c, --map-current-user   map your uid and gid to themselves inside (implies --user)
  -S, --setuid UID         -G, --setgid GID    the ids the command runs as inside
      --uid-map IN:OUT:COUNT, --gid-map IN:OUT:COUNT   explicit map lines (repeatable)
  As an ordinary user with no user namespace option, nsrun adds one that maps you to root.

Locks (applied just before exec; README has the details under \"Locking a container down\"):
      --caps-preset SET    container (runc's default set) or all (default: container with --root)
      --cap-drop CAP|ALL   --cap-add CAP|ALL     in order, on the preset (names as capsh prints)
      --seccomp-preset default   the container deny list (keyctl, bpf, mount, unshare, TIOCSTI...)
      --seccomp-deny NAMES       --seccomp-allow NAMES (others kill)   comma-separated syscalls
      --seccomp-errno N          the errno of --seccomp-deny (default EPERM)
      --seccomp FD         --add-seccomp-fd FD   a compiled filter from FD, as bubblewrap takes it
      --rlimit NAME=SOFT[:HARD]  as prlimit (nofile, nproc, as, core, ...; unlimited)
      --memory BYTES       --memory-swap BYTES   --pids-max N   --cpus N.N   --cpu-weight N
      --cgroup-path PATH   the container's cgroup (default: a new one below nsrun's own)
      --disable-userns     no further user namespaces (needs a new user namespace)
      --new-session        run the command in a new session (setsid)
      --masked-path DST    hide DST (as OCI maskedPaths)   --ro-path DST   bind DST read-only
      --umask OCTAL        --groups G1,G2 (supplementary groups)   --oom-score-adj N
  Every seccomp option and --caps-preset container imply --no-new-privs.

  -h, --help               -V, --version

unshare(1) compatibility: -f, --fork, --forward-signals and --kill-child[=SIGNAL] are accepted and
change nothing: nsrun always runs the command as its child, passes signals on, and kills it with
SIGKILL if nsrun dies.

Exit status: the command's; 128+N if killed by signal N; 127 command not found; 126 not executable;
125 nsrun's setup failed; 2 bad usage.

Commands: nsrun gc   remove the cgroups of nsrun runs that were killed (nsrun -- gc runs gc)
";

/// Parses the arguments after `argv[0]`.
pub fn parse(args: &[&[u8]]) -> Result<Parsed, String> {
    // The one command word: `nsrun gc`. A command of that name runs as `nsrun -- gc`.
    if args.first() == Some(&&b"gc"[..]) {
        return match args.len() {
            1 => Ok(Parsed::Gc),
            _ => Err("gc takes no arguments (to run a command named gc: nsrun -- gc ...)".into()),
        };
    }
    let mut spec = Spec::default();
    // At most one mount operation per long option: sized once, as the arena allocator keeps what
    // a growing Vec leaves behind.
    spec.mounts
        .reserve(args.iter().filter(|a| a.starts_with(b"--")).count());
    let mut p = Parser {
        args,
        pos: 0,
        spec,
        chosen: ns::Set::empty(),
        shared: ns::Set::empty(),
        propagation_given: false,
        size: None,
        perms: None,
        mount_proc_given: false,
    };
    while p.pos < args.len() {
        let arg = args[p.pos];
        p.pos += 1;
        if arg == b"--" {
            break;
        }
        if arg.len() < 2 || arg[0] != b'-' {
            p.pos -= 1;
            break;
        }
        if arg.starts_with(b"--") {
            let (name, inline) = match arg.iter().position(|&b| b == b'=') {
                Some(eq) => (&arg[..eq], Some(&arg[eq + 1..])),
                None => (arg, None),
            };
            if let Some(done) = p.long(name, inline)? {
                return Ok(done);
            }
        } else {
            for (i, &c) in arg.iter().enumerate().skip(1) {
                if let Some(long) = short_with_value(c) {
                    // `-w DIR` or `-wDIR`, as getopt takes them: the rest of the word is the value.
                    let rest = &arg[i + 1..];
                    let name = [b'-', b'-'].iter().chain(long.as_bytes()).copied();
                    let name: Vec<u8> = name.collect();
                    p.long(&name, (!rest.is_empty()).then_some(rest))?;
                    break;
                }
                if let Some(done) = p.short(c)? {
                    return Ok(done);
                }
            }
        }
    }
    p.finish()
}

struct Parser<'a> {
    args: &'a [&'a [u8]],
    pos: usize,
    spec: Spec,
    chosen: ns::Set,
    shared: ns::Set,
    propagation_given: bool,
    size: Option<u64>,
    perms: Option<u32>,
    /// `--mount-proc` was given: it needs a mount namespace, as with unshare.
    mount_proc_given: bool,
}

/// The short options that take a value (as unshare has them), and their long names.
fn short_with_value(c: u8) -> Option<&'static str> {
    match c {
        b'R' => Some("root"),
        b'w' => Some("wd"),
        b'S' => Some("setuid"),
        b'G' => Some("setgid"),
        _ => None,
    }
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

    fn short(&mut self, c: u8) -> Result<Option<Parsed>, String> {
        self.no_pending_modifier()?;
        if !SHORT.contains(&c) {
            return Err(format!("unknown option '-{}'", Show(&[c])));
        }
        let kind = match c {
            b'm' => Kind::Mount,
            b'u' => Kind::Uts,
            b'i' => Kind::Ipc,
            b'n' => Kind::Net,
            b'p' => Kind::Pid,
            b'U' => Kind::User,
            b'C' => Kind::Cgroup,
            b'T' => Kind::Time,
            b'r' => {
                self.spec.map_root_user = true;
                return Ok(None);
            }
            b'c' => {
                self.spec.map_current_user = true;
                return Ok(None);
            }
            // unshare's --fork: nsrun always runs the command as a new child.
            b'f' => return Ok(None),
            b'h' => return Ok(Some(Parsed::Help)),
            b'V' => return Ok(Some(Parsed::Version)),
            _ => return Err(format!("unknown option '-{}'", Show(&[c]))),
        };
        self.chosen.add(kind);
        Ok(None)
    }

    fn long(&mut self, name: &[u8], inline: Option<&'a [u8]>) -> Result<Option<Parsed>, String> {
        let once = |given: bool| match given {
            true => Err(format!("{} given twice", Show(name))),
            false => Ok(()),
        };
        let key = &name[2..];
        let opt = LONG
            .iter()
            .position(|n| n.as_bytes() == key)
            .and_then(|i| OPTS.get(i).copied());
        if !matches!(opt, Some(Opt::Tmpfs | Opt::Mkdir | Opt::Size | Opt::Perms)) {
            self.no_pending_modifier()?;
        }
        // A flag (an option without a value) refuses `--flag=VALUE`.
        let flag = || match inline {
            Some(_) => Err(format!("option '{}' takes no value", Show(name))),
            None => Ok(()),
        };
        let unshare_kind = key
            .strip_prefix(b"unshare-")
            .map_or_else(|| Kind::from_name(key), Kind::from_name);
        if let Some(kind) = unshare_kind {
            flag()?;
            self.chosen.add(kind);
            return Ok(None);
        }
        if let Some(kind) = key.strip_prefix(b"share-") {
            flag()?;
            let kind = Kind::from_name(kind).ok_or_else(|| unknown(name))?;
            self.shared.add(kind);
            return Ok(None);
        }
        let Some(opt) = opt else {
            return Err(unknown(name));
        };
        match opt {
            Opt::Help => return Ok(Some(Parsed::Help)),
            Opt::Version => return Ok(Some(Parsed::Version)),
            Opt::UnshareAll => {
                flag()?;
                self.chosen = ns::Set::all();
            }
            Opt::Propagation => {
                let v = self.value(name, inline)?;
                self.spec.propagation = match v {
                    b"private" => Propagation::Private,
                    b"slave" => Propagation::Slave,
                    b"shared" => Propagation::Shared,
                    b"unchanged" => Propagation::Unchanged,
                    _ => {
                        return Err(format!(
                            "--propagation: unknown value '{}' (expected private, slave, shared or unchanged)",
                            Show(v)
                        ))
                    }
                };
                self.propagation_given = true;
            }
            Opt::Hostname => {
                once(self.spec.hostname.is_some())?;
                let v = self.name_value(name, inline)?;
                if v.is_empty() {
                    return Err(format!("{}: the name must not be empty", Show(name)));
                }
                self.spec.hostname = Some(v);
            }
            Opt::Domainname => {
                once(self.spec.domainname.is_some())?;
                self.spec.domainname = Some(self.name_value(name, inline)?);
            }
            Opt::NoProc => {
                flag()?;
                self.spec.mount_proc = false;
            }
            Opt::AsPid1 => {
                flag()?;
                self.spec.pid1 = Pid1::Command;
            }
            Opt::Root => {
                once(self.spec.root.is_some())?;
                let v = self.value(name, inline)?;
                if v.is_empty() {
                    return Err(format!("{}: the directory must not be empty", Show(name)));
                }
                self.spec.root = Some(v.to_vec());
            }
            Opt::MountProc => {
                // unshare's spelling: a fresh proc at DIR (default /proc), and no other.
                self.mount_proc_given = true;
                match inline {
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
            Opt::Fork | Opt::ForwardSignals => flag()?,
            Opt::KillChild => {
                if let Some(sig) = inline {
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
                let (src, dst) = self.two(name, inline)?;
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
                let v = self.value(name, inline)?;
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
                let v = self.value(name, inline)?;
                self.perms = Some(parse_mode(v).ok_or_else(|| {
                    format!("--perms: '{}' is not an octal mode such as 0755", Show(v))
                })?);
            }
            Opt::Tmpfs => {
                let dst = self.path_value(name, inline)?;
                let (size, mode) = (self.size.take(), self.perms.take());
                self.spec.mounts.push(MountOp::Tmpfs { dst, size, mode });
            }
            Opt::Mkdir => {
                let dst = self.path_value(name, inline)?;
                if self.size.take().is_some() {
                    return Err("--size applies to --tmpfs, not --mkdir".into());
                }
                let mode = self.perms.take();
                self.spec.mounts.push(MountOp::Mkdir { dst, mode });
            }
            Opt::Proc | Opt::Sys | Opt::Dev | Opt::RemountRo => {
                let dst = self.path_value(name, inline)?;
                self.spec.mounts.push(match opt {
                    Opt::Proc => MountOp::Proc(dst),
                    Opt::Sys => MountOp::Sys(dst),
                    Opt::Dev => MountOp::Dev(dst),
                    _ => MountOp::RemountRo(dst),
                });
            }
            Opt::Symlink => {
                let (target, dst) = self.two(name, inline)?;
                if target.is_empty() {
                    return Err("--symlink: the link's target must not be empty".into());
                }
                let (target, dst) = (target.to_vec(), absolute(name, dst)?);
                self.spec.mounts.push(MountOp::Symlink { target, dst });
            }
            Opt::ReadOnly => {
                flag()?;
                self.spec.read_only = true;
            }
            Opt::Chdir | Opt::Wd => {
                if self.spec.chdir.is_some() {
                    return Err(format!(
                        "{} given twice (--chdir and --wd are one option)",
                        Show(name)
                    ));
                }
                let v = self.value(name, inline)?;
                if v.is_empty() {
                    return Err(format!("{}: the directory must not be empty", Show(name)));
                }
                self.spec.chdir = Some(v.to_vec());
            }
            Opt::Setuid | Opt::Setgid => {
                let v = self.value(name, inline)?;
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
                let (var, val) = self.two(name, inline)?;
                check_portable_var(name, var)?;
                self.spec.env.push(EnvOp::Set(var.to_vec(), val.to_vec()));
            }
            Opt::Unsetenv => {
                let var = self.value(name, inline)?;
                check_var(name, var)?;
                self.spec.env.push(EnvOp::Unset(var.to_vec()));
            }
            Opt::Clearenv | Opt::ClearEnv => {
                flag()?;
                self.spec.env.push(EnvOp::Clear);
            }
            Opt::KeepFd => {
                let fd = fd_number(name, self.value(name, inline)?)?;
                self.spec.keep_fds.push(fd);
            }
            Opt::InfoFd => {
                once(self.spec.info_fd.is_some())?;
                self.spec.info_fd = Some(fd_number(name, self.value(name, inline)?)?);
            }
            Opt::JsonStatusFd => {
                once(self.spec.json_status_fd.is_some())?;
                self.spec.json_status_fd = Some(fd_number(name, self.value(name, inline)?)?);
            }
            Opt::NoNewPrivs => {
                flag()?;
                self.spec.no_new_privs = true;
            }
            Opt::MapRootUser => {
                flag()?;
                self.spec.map_root_user = true;
            }
            Opt::MapCurrentUser => {
                flag()?;
                self.spec.map_current_user = true;
            }
            Opt::UidMap | Opt::GidMap => {
                let v = self.value(name, inline)?;
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
            _ => self.lock(opt, name, inline)?,
        }
        Ok(None)
    }

    /// The value of a one-value option: `--opt=VALUE` or `--opt VALUE`.
    fn value(&mut self, name: &[u8], inline: Option<&'a [u8]>) -> Result<&'a [u8], String> {
        if let Some(v) = inline {
            return Ok(v);
        }
        let v = self
            .args
            .get(self.pos)
            .ok_or_else(|| needs(name, "a value"))?;
        self.pos += 1;
        Ok(v)
    }

    /// The two values of `--bind SRC DST` and the like (no `=` form).
    fn two(&mut self, name: &[u8], inline: Option<&[u8]>) -> Result<(&'a [u8], &'a [u8]), String> {
        if inline.is_some() || self.pos + 2 > self.args.len() {
            return Err(needs(name, "two values"));
        }
        self.pos += 2;
        Ok((self.args[self.pos - 2], self.args[self.pos - 1]))
    }

    fn path_value(&mut self, name: &[u8], inline: Option<&'a [u8]>) -> Result<Vec<u8>, String> {
        let v = self.value(name, inline)?;
        absolute(name, v)
    }

    fn name_value(&mut self, name: &[u8], inline: Option<&'a [u8]>) -> Result<Vec<u8>, String> {
        let v = self.value(name, inline)?;
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

    fn finish(mut self) -> Result<Parsed, String> {
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
        spec.command = self.args[self.pos..].iter().map(|a| a.to_vec()).collect();
        Ok(Parsed::Run(alloc::boxed::Box::new(self.spec)))
    }
}

fn unknown(name: &[u8]) -> String {
    format!("unknown option '{}'", Show(name))
}

fn needs(name: &[u8], what: &str) -> String {
    format!("option '{}' needs {what}", Show(name))
}

fn absolute(name: &[u8], path: &[u8]) -> Result<Vec<u8>, String> {
    if path.split(|&b| b == b'/').any(|part| part == b"..") {
        return Err(format!(
            "{}: '{}' must not contain '..'",
            Show(name),
            Show(path)
        ));
    }
    if path.first() != Some(&b'/') {
        return Err(format!(
            "{}: '{}' must be an absolute path inside the container",
            Show(name),
            Show(path)
        ));
    }
    Ok(path.to_vec())
}

/// A name `--setenv` may set: letters, digits and underscores, not starting with a digit (POSIX's
/// portable names, the only ones every shell can read back).
fn check_portable_var(name: &[u8], var: &[u8]) -> Result<(), String> {
    let portable = var.first().is_some_and(|b| !b.is_ascii_digit())
        && var.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
    if !portable {
        return Err(format!(
            "{}: '{}' is not a variable name (letters, digits and '_', not starting with a digit)",
            Show(name),
            Show(var)
        ));
    }
    Ok(())
}

/// Whether `dir` is /proc written another way (`/proc/`, `//proc`).
fn is_proc(dir: &[u8]) -> bool {
    let mut parts = dir
        .split(|&b| b == b'/')
        .filter(|p| !p.is_empty() && *p != b".");
    parts.next() == Some(b"proc") && parts.next().is_none()
}

/// The number of a signal named as util-linux accepts it: `KILL`, `SIGTERM`, `term`, or `9`.
fn signal_number(s: &[u8]) -> Option<i32> {
    const NAMES: [(&str, i32); 31] = [
        ("HUP", libc::SIGHUP),
        ("INT", libc::SIGINT),
        ("QUIT", libc::SIGQUIT),
        ("ILL", libc::SIGILL),
        ("TRAP", libc::SIGTRAP),
        ("ABRT", libc::SIGABRT),
        ("IOT", libc::SIGIOT),
        ("BUS", libc::SIGBUS),
        ("FPE", libc::SIGFPE),
        ("KILL", libc::SIGKILL),
        ("USR1", libc::SIGUSR1),
        ("SEGV", libc::SIGSEGV),
        ("USR2", libc::SIGUSR2),
        ("PIPE", libc::SIGPIPE),
        ("ALRM", libc::SIGALRM),
        ("TERM", libc::SIGTERM),
        ("STKFLT", libc::SIGSTKFLT),
        ("CHLD", libc::SIGCHLD),
        ("CONT", libc::SIGCONT),
        ("STOP", libc::SIGSTOP),
        ("TSTP", libc::SIGTSTP),
        ("TTIN", libc::SIGTTIN),
        ("TTOU", libc::SIGTTOU),
        ("URG", libc::SIGURG),
        ("XCPU", libc::SIGXCPU),
        ("XFSZ", libc::SIGXFSZ),
        ("VTALRM", libc::SIGVTALRM),
        ("PROF", libc::SIGPROF),
        ("WINCH", libc::SIGWINCH),
        ("IO", libc::SIGIO),
        ("SYS", libc::SIGSYS),
    ];
    if let Some(n) = parse_u32(s, 10) {
        return (1..=64).contains(&n).then_some(n as i32);
    }
    let upper: Vec<u8> = s.to_ascii_uppercase();
    let bare = upper.strip_prefix(b"SIG").unwrap_or(&upper);
    NAMES
        .iter()
        .find(|(n, _)| n.as_bytes() == bare)
        .map(|&(_, sig)| sig)
}

/// The 1-based number of the first line of `lines` whose inside or outside range overlaps that of
/// an earlier line (the kernel rejects such a map with EINVAL).
fn overlapping(lines: &[IdMap]) -> Option<usize> {
    let meets = |a: u32, b: u32, count_a: u32, count_b: u32| {
        let (a, b) = (u64::from(a), u64::from(b));
        a < b + u64::from(count_b) && b < a + u64::from(count_a)
    };
    lines.iter().enumerate().find_map(|(i, m)| {
        lines[..i]
            .iter()
            .any(|e| {
                meets(m.inside, e.inside, m.count, e.count)
                    || meets(m.outside, e.outside, m.count, e.count)
            })
            .then_some(i + 1)
    })
}

fn check_var(name: &[u8], var: &[u8]) -> Result<(), String> {
    if var.is_empty() || var.contains(&b'=') {
        return Err(format!(
            "{}: '{}' is not a variable name",
            Show(name),
            Show(var)
        ));
    }
    Ok(())
}

/// The descriptor number of `--keep-fd`, `--info-fd`, `--json-status-fd`: 3 and up (0, 1 and 2
/// always pass).
fn fd_number(name: &[u8], v: &[u8]) -> Result<i32, String> {
    let fd = parse_u32(v, 10).filter(|fd| *fd >= 3 && *fd < i32::MAX as u32);
    fd.map(|fd| fd as i32).ok_or_else(|| {
        format!(
            "{}: '{}' is not a descriptor number from 3 to 2147483646",
            Show(name),
            Show(v)
        )
    })
}

/// A number in `radix` (8 or 10): digits only, no sign or space.
fn parse_u32(s: &[u8], radix: u32) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    core::str::from_utf8(s)
        .ok()
        .and_then(|s| u32::from_str_radix(s, radix).ok())
}

/// `1048576`, `64k`, `16M`, `1g`.
fn parse_size(s: &[u8]) -> Option<u64> {
    let (digits, shift) = match s.last()?.to_ascii_lowercase() {
        b'k' => (&s[..s.len() - 1], 10),
        b'm' => (&s[..s.len() - 1], 20),
        b'g' => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = core::str::from_utf8(digits).ok()?.parse().ok()?;
    // 0 means "no limit" to the kernel, and it parses sizes as signed 64-bit numbers.
    n.checked_mul(1 << shift)
        .filter(|&bytes| bytes > 0 && bytes <= i64::MAX as u64)
}

fn parse_mode(s: &[u8]) -> Option<u32> {
    parse_u32(s, 8).filter(|m| *m <= 0o7777)
}

fn parse_id_map(s: &[u8]) -> Option<IdMap> {
    let mut parts = s.split(|&b| b == b':').map(|p| parse_u32(p, 10));
    let map = IdMap {
        inside: parts.next()??,
        outside: parts.next()??,
        count: parts.next()??,
    };
    // Both ranges must end below 2^32, as the kernel checks (id 2^32-1 is never valid).
    let fits = |first: u32| first.checked_add(map.count).is_some();
    (parts.next().is_none() && map.count > 0 && fits(map.inside) && fits(map.outside))
        .then_some(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Spec, String> {
        let bytes: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        match parse(&bytes)? {
            Parsed::Run(spec) => Ok(*spec),
            other => panic!("expected a run, got {other:?}"),
        }
    }

    fn err(args: &[&str]) -> String {
        run(args).expect_err("expected a usage error")
    }

    #[test]
    fn each_variant_is_its_name() {
        for (name, opt) in LONG.iter().zip(OPTS) {
            let mut kebab = String::new();
            for (i, c) in format!("{opt:?}").chars().enumerate() {
                if i > 0 && (c.is_ascii_uppercase() || c.is_ascii_digit()) {
                    kebab.push('-');
                }
                kebab.push(c.to_ascii_lowercase());
            }
            assert_eq!(&kebab, name);
        }
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
            match parse(&args) {
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

    /// The `--name` and `-X` words of HELP.
    fn help_words() -> (Vec<String>, Vec<u8>) {
        let mut long = Vec::new();
        let mut short = Vec::new();
        let text = HELP.as_bytes();
        for (i, w) in text.windows(2).enumerate() {
            let before = i.checked_sub(1).map(|j| text[j]);
            let starts =
                !matches!(before, Some(b) if b.is_ascii_alphanumeric() || b == b'-' || b == b'[');
            if !starts {
                continue;
            }
            if w == b"--" {
                let name: String = text[i + 2..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
                    .map(|&b| b as char)
                    .collect();
                if !name.is_empty() {
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

    #[test]
    fn help_and_parser_name_the_same_options() {
        let (long, short) = help_words();
        let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        for name in &long {
            let bare = name
                .strip_prefix("unshare-")
                .or(name.strip_prefix("share-"));
            let is_kind = kinds.contains(&name.as_str())
                || bare.is_some_and(|k| k == "KIND" || kinds.contains(&k));
            assert!(
                is_kind || LONG.contains(&name.as_str()),
                "--{name} is in the help text but not in LONG"
            );
        }
        for name in LONG {
            assert!(
                long.iter().any(|n| n == name),
                "--{name} is missing from the help text"
            );
            let arg = format!("--{name}");
            if let Err(e) = parse(&[arg.as_bytes()]) {
                assert!(
                    !e.starts_with("unknown option"),
                    "--{name} is not parsed: {e}"
                );
            }
        }
        for c in SHORT {
            assert!(
                short.contains(c),
                "-{} is missing from the help text",
                *c as char
            );
            if let Err(e) = parse(&[&[b'-', *c]]) {
                assert!(
                    !e.starts_with("unknown option"),
                    "-{} is not parsed: {e}",
                    *c as char
                );
            }
        }
        for c in &short {
            assert!(
                SHORT.contains(c),
                "-{} is in the help text but not in SHORT",
                *c as char
            );
        }
        for c in (b'a'..=b'z')
            .chain(b'A'..=b'Z')
            .filter(|c| !SHORT.contains(c))
        {
            assert!(parse(&[&[b'-', c]]).is_err_and(|e| e.starts_with("unknown option")));
        }
    }

    #[test]
    fn help_and_version() {
        assert_eq!(parse(&[b"--help"]).unwrap(), Parsed::Help);
        assert_eq!(parse(&[b"-V"]).unwrap(), Parsed::Version);
    }
}
