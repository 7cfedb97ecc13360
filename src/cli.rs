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
}

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
      --as-pid-1           exec the command as PID 1 instead of under nsrun's init

Root and mounts (applied in order; without --root, to / of the new mount namespace):
      --root DIR           pivot_root into DIR
      --bind SRC DST       --ro-bind SRC DST     --dev-bind SRC DST
                           (also --bind-try, --ro-bind-try, --dev-bind-try: skip a missing SRC)
      --tmpfs DST          --size BYTES and --perms OCTAL before it set its size and mode
      --proc DST           --sys DST (read-only)    --dev DST (minimal /dev)
      --mkdir DST          --symlink TARGET DST     --remount-ro DST
      --read-only          remount the root read-only after the other operations

Environment:
      --chdir DIR          --setenv VAR VALUE    --unsetenv VAR    --clearenv
      --keep-fd FD         pass descriptor FD (all others above 2 are closed)
      --no-new-privs       set no_new_privs before exec

User namespace:
  -r, --map-root-user      map your uid and gid to root inside (implies --user)
      --uid-map IN:OUT:COUNT, --gid-map IN:OUT:COUNT   explicit map lines (repeatable)
  As an ordinary user with no user namespace option, nsrun adds one that maps you to root.

  -h, --help               -V, --version

Exit status: the command's; 128+N if killed by signal N; 127 command not found; 126 not executable;
125 nsrun's setup failed; 2 bad usage.
";

/// Parses the arguments after argv[0].
pub fn parse(args: &[&[u8]]) -> Result<Parsed, String> {
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
            for &c in &arg[1..] {
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
            b'h' => return Ok(Some(Parsed::Help)),
            b'V' => return Ok(Some(Parsed::Version)),
            _ => return Err(format!("unknown option '-{}'", c as char)),
        };
        self.chosen.add(kind);
        Ok(None)
    }

    fn long(&mut self, name: &[u8], inline: Option<&'a [u8]>) -> Result<Option<Parsed>, String> {
        let key = &name[2..];
        if !matches!(key, b"tmpfs" | b"mkdir" | b"size" | b"perms") {
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
        match key {
            b"help" => return Ok(Some(Parsed::Help)),
            b"version" => return Ok(Some(Parsed::Version)),
            b"unshare-all" => {
                flag()?;
                self.chosen = ns::Set::all();
            }
            b"propagation" => {
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
            b"hostname" => self.spec.hostname = Some(self.name_value(name, inline)?),
            b"domainname" => self.spec.domainname = Some(self.name_value(name, inline)?),
            b"no-proc" => {
                flag()?;
                self.spec.mount_proc = false;
            }
            b"as-pid-1" => {
                flag()?;
                self.spec.pid1 = Pid1::Command;
            }
            b"root" => self.spec.root = Some(self.value(name, inline)?.to_vec()),
            b"bind" | b"ro-bind" | b"dev-bind" | b"bind-try" | b"ro-bind-try" | b"dev-bind-try" => {
                let (src, dst) = self.two(name, inline)?;
                let optional = key.ends_with(b"-try");
                let kind = match key[0] {
                    b'r' => BindKind::ReadOnly,
                    b'd' => BindKind::Devices,
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
            b"size" => {
                let v = self.value(name, inline)?;
                self.size = Some(parse_size(v).ok_or_else(|| {
                    format!(
                        "--size: '{}' is not a size in bytes (k, m, g suffixes allowed)",
                        Show(v)
                    )
                })?);
            }
            b"perms" => {
                let v = self.value(name, inline)?;
                self.perms = Some(parse_mode(v).ok_or_else(|| {
                    format!("--perms: '{}' is not an octal mode such as 0755", Show(v))
                })?);
            }
            b"tmpfs" => {
                let dst = self.path_value(name, inline)?;
                let (size, mode) = (self.size.take(), self.perms.take());
                self.spec.mounts.push(MountOp::Tmpfs { dst, size, mode });
            }
            b"mkdir" => {
                let dst = self.path_value(name, inline)?;
                if self.size.take().is_some() {
                    return Err("--size applies to --tmpfs, not --mkdir".into());
                }
                let mode = self.perms.take();
                self.spec.mounts.push(MountOp::Mkdir { dst, mode });
            }
            b"proc" | b"sys" | b"dev" | b"remount-ro" => {
                let dst = self.path_value(name, inline)?;
                self.spec.mounts.push(match key {
                    b"proc" => MountOp::Proc(dst),
                    b"sys" => MountOp::Sys(dst),
                    b"dev" => MountOp::Dev(dst),
                    _ => MountOp::RemountRo(dst),
                });
            }
            b"symlink" => {
                let (target, dst) = self.two(name, inline)?;
                let (target, dst) = (target.to_vec(), absolute(name, dst)?);
                self.spec.mounts.push(MountOp::Symlink { target, dst });
            }
            b"read-only" => {
                flag()?;
                self.spec.read_only = true;
            }
            b"chdir" => self.spec.chdir = Some(self.value(name, inline)?.to_vec()),
            b"setenv" => {
                let (var, val) = self.two(name, inline)?;
                check_var(name, var)?;
                self.spec.env.push(EnvOp::Set(var.to_vec(), val.to_vec()));
            }
            b"unsetenv" => {
                let var = self.value(name, inline)?;
                check_var(name, var)?;
                self.spec.env.push(EnvOp::Unset(var.to_vec()));
            }
            b"clearenv" => {
                flag()?;
                self.spec.env.push(EnvOp::Clear);
            }
            b"keep-fd" => {
                let v = self.value(name, inline)?;
                let fd = parse_u32(v, 10).filter(|fd| *fd >= 3 && *fd < i32::MAX as u32);
                let fd = fd.ok_or_else(|| {
                    format!(
                        "--keep-fd: '{}' is not a descriptor number above 2",
                        Show(v)
                    )
                })?;
                self.spec.keep_fds.push(fd as i32);
            }
            b"no-new-privs" => {
                flag()?;
                self.spec.no_new_privs = true;
            }
            b"map-root-user" => {
                flag()?;
                self.spec.map_root_user = true;
            }
            b"uid-map" | b"gid-map" => {
                let v = self.value(name, inline)?;
                let map = parse_id_map(v).ok_or_else(|| {
                    format!("{}: '{}' is not INSIDE:OUTSIDE:COUNT", Show(name), Show(v))
                })?;
                if key == b"uid-map" {
                    self.spec.uid_map.push(map);
                } else {
                    self.spec.gid_map.push(map);
                }
            }
            _ => return Err(unknown(name)),
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
        let maps = spec.map_root_user || !spec.uid_map.is_empty() || !spec.gid_map.is_empty();
        if maps && !self.shared.has(Kind::User) {
            set.add(Kind::User);
        }
        spec.user_ns_auto = !maps && !self.chosen.has(Kind::User) && !self.shared.has(Kind::User);
        for kind in self.shared.iter() {
            set.remove(kind);
        }
        spec.namespaces = set;
        if !set.has(Kind::User)
            && (spec.map_root_user || !spec.uid_map.is_empty() || !spec.gid_map.is_empty())
        {
            return Err(
                "--map-root-user, --uid-map and --gid-map need a new user namespace".into(),
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

fn parse_u32(s: &[u8], radix: u32) -> Option<u32> {
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
    let n: u64 = core::str::from_utf8(digits).ok()?.parse().ok()?;
    n.checked_mul(1 << shift)
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
    (parts.next().is_none() && map.count > 0).then_some(map)
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
        assert!(err(&["--keep-fd", "2"]).contains("above 2"));
    }

    #[test]
    fn help_and_version() {
        assert_eq!(parse(&[b"--help"]).unwrap(), Parsed::Help);
        assert_eq!(parse(&[b"-V"]).unwrap(), Parsed::Version);
    }
}
