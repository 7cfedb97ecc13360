//! A parsed config.json ([`Config`]) as the [`Spec`] nsrun's launcher runs, with runc's
//! semantics (libcontainer's specconv and rootfs code are the reference).
//!
//! Everything the model holds is either mapped or refused with an error naming its JSON path;
//! nothing is dropped silently. Left to the runtime, and not in the Spec: `hooks`,
//! `annotations`, `process.consoleSize` and the console itself (`process.terminal` is carried as
//! [`Spec::terminal`] for it).
//!
//! What nsrun does differently from runc, on purpose or for now:
//! - a `cgroup` mount is a `cgroup2` mount with the flags asked for (runc makes a tmpfs with a
//!   bind of each v1 controller's cgroup on a v1 or hybrid host); in a new user namespace
//!   without a new cgroup namespace, where the kernel refuses that, the host's /sys/fs/cgroup
//!   is bound recursively with the flags on every mount;
//! - `tmpcopyup` is honoured only on a directory that is empty or missing (the copy itself is
//!   not made: a non-empty directory fails the mount, naming it);
//! - a bind's flags are set with mount_setattr (Linux 5.12): the ones named are set, the ones
//!   cleared by name (`rw`, `suid`, ...) are cleared, the others stay as the source has them;
//! - `linux.resources.devices` is written to the v1 devices controller, in order, followed by
//!   runc's always-allowed devices and the config's `linux.devices`; without a v1 devices
//!   hierarchy the same list is an eBPF program on the v2 cgroup
//!   ([`crate::confine::cgroup`]). Without rules (and without a new user namespace) the
//!   container gets runc's default: `a *:* rwm` denied, then the same allowed devices;
//!   `memory.swappiness` and
//!   `memory.disableOOMKiller` are refused;
//! - `rootfsPropagation`: the recursive forms (`rslave`, the default, `rprivate`, `rshared`,
//!   `runbindable`) change the whole tree before anything is mounted; the plain ones (`shared`,
//!   `slave`, `private`, `unbindable`) change the container's `/` mount alone once it is entered,
//!   the tree rslave below it, and `shared` is a new peer group of the container's own (made
//!   private first): runc's, without its leak of a shared host tree into the container.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::mount::{self, MS_BIND, MS_REC, MS_REMOUNT};
use super::{Config, DeviceKind, Error, Mount};
use crate::confine::caps::Sets;
use crate::confine::cgroup::{Cpus, Request, Swap, PERIOD_US};
use crate::ns::{self, Kind};
use crate::spec::{
    Bytes, CapsPreset, DeviceNode, EnvOp, GeneralMount, Join, MountOp, NsSource, Pid1, Propagation,
    Rlimit, SeccompOp, Spec,
};

/// `S_IFCHR`.
const S_IFCHR: u32 = 0o020000;
/// `S_IFBLK`.
const S_IFBLK: u32 = 0o060000;
/// `S_IFIFO`.
const S_IFIFO: u32 = 0o010000;

/// The error `config.json: PATH: WHAT`.
fn fail(path: &str, what: &str) -> Error {
    Error(format!("config.json: {path}: {what}"))
}

/// The devices every container gets (the runtime spec's list), unless `linux.devices` has one
/// of the same path: character devices 1:3, 1:5, 1:7, 1:8, 1:9, 5:0, mode 0666, owned by root.
const DEFAULT_DEVICES: [(&str, u32, u32); 6] = [
    ("/dev/null", 1, 3),
    ("/dev/zero", 1, 5),
    ("/dev/full", 1, 7),
    ("/dev/random", 1, 8),
    ("/dev/urandom", 1, 9),
    ("/dev/tty", 5, 0),
];

/// The links runc makes in /dev.
const DEV_LINKS: [(&str, &str); 4] = [
    ("/proc/self/fd", "/dev/fd"),
    ("/proc/self/fd/0", "/dev/stdin"),
    ("/proc/self/fd/1", "/dev/stdout"),
    ("/proc/self/fd/2", "/dev/stderr"),
];

/// Maps `config` (of the bundle directory `bundle`, against which a relative `root.path` is
/// taken) to the container nsrun runs: see the module documentation.
pub fn to_spec(config: &Config, bundle: &[u8]) -> Result<Spec, Error> {
    let mut spec = Spec {
        oci: true,
        namespaces: ns::Set::empty(),
        propagation: Propagation::Slave,
        mount_proc: false,
        pid1: Pid1::Command,
        user_ns_auto: false,
        ..Spec::default()
    };
    let linux = config
        .linux
        .as_ref()
        .ok_or_else(|| fail("linux", "missing (nsrun runs Linux containers)"))?;
    namespaces(&mut spec, linux)?;
    spec.uid_map = linux.uid_mappings.clone();
    spec.gid_map = linux.gid_mappings.clone();
    let maps = !spec.uid_map.is_empty() || !spec.gid_map.is_empty();
    if maps && !spec.namespaces.has(Kind::User) {
        return Err(fail(
            "linux.uidMappings",
            "id mappings need a new user namespace (a \"user\" entry without a path in linux.namespaces)",
        ));
    }
    let mount_ns = spec.namespaces.has(Kind::Mount);

    let root = config
        .root
        .as_ref()
        .ok_or_else(|| fail("root", "missing (the container's root filesystem)"))?;
    if !mount_ns {
        return Err(fail(
            "linux.namespaces",
            "no new mount namespace: nsrun needs one to enter root.path",
        ));
    }
    let mut path: Bytes = Vec::new();
    if !root.path.starts_with('/') {
        path.extend_from_slice(bundle);
        if !path.ends_with(b"/") {
            path.push(b'/');
        }
    }
    path.extend_from_slice(root.path.as_bytes());
    spec.root = Some(path);
    spec.read_only = root.readonly;
    // The r- forms change the whole tree; the others the container's / alone, the tree below
    // it rslave as by default (none of its mounts is then a peer of the host's).
    (spec.propagation, spec.root_propagation) = match linux.rootfs_propagation {
        None => (Propagation::Slave, None),
        Some(f) if f == mount::MS_SLAVE | MS_REC => (Propagation::Slave, None),
        Some(f) if f == mount::MS_PRIVATE | MS_REC => (Propagation::Private, None),
        Some(f) if f == mount::MS_SHARED | MS_REC => (Propagation::Shared, None),
        Some(f) if f == mount::MS_UNBINDABLE | MS_REC => (Propagation::Unbindable, None),
        Some(f) if f == mount::MS_SLAVE => (Propagation::Slave, Some(Propagation::Slave)),
        Some(f) if f == mount::MS_PRIVATE => (Propagation::Slave, Some(Propagation::Private)),
        Some(f) if f == mount::MS_SHARED => (Propagation::Slave, Some(Propagation::Shared)),
        Some(f) if f == mount::MS_UNBINDABLE => (Propagation::Slave, Some(Propagation::Unbindable)),
        Some(_) => {
            return Err(fail(
                "linux.rootfsPropagation",
                "not one of shared, slave, private, unbindable and their r- forms",
            ))
        }
    };

    for (name, key) in [
        (&config.hostname, "hostname"),
        (&config.domainname, "domainname"),
    ] {
        if name.is_some() && !spec.namespaces.has(Kind::Uts) {
            return Err(fail(
                key,
                "needs a new UTS namespace (a \"uts\" entry without a path in linux.namespaces)",
            ));
        }
    }
    spec.hostname = config.hostname.clone().map(String::into_bytes);
    spec.domainname = config.domainname.clone().map(String::into_bytes);

    let process = config
        .process
        .as_ref()
        .ok_or_else(|| fail("process", "missing (what the container runs)"))?;
    process_fields(&mut spec, process)?;

    // Mounts in order, then the devices (needing /dev as the mounts made it), then the paths
    // masked and made read-only (needing /proc and /sys).
    let mut dev_bound = false;
    for (i, m) in config.mounts.iter().enumerate() {
        let label = format!("mounts[{i}]");
        if crate::plan::path::normalize(m.destination.as_bytes()) == b"/dev" && is_bind(m) {
            dev_bound = true;
        }
        let mut g = general(m, &label)?;
        if g.is_bind() && !g.source.starts_with(b"/") {
            // Relative to the bundle, as runc (which works from the bundle) takes it.
            let mut source = bundle.to_vec();
            if !source.ends_with(b"/") {
                source.push(b'/');
            }
            source.extend_from_slice(&g.source);
            g.source = source;
        }
        // A cgroup2 mount without a cgroup namespace shows every cgroup of the host: read-only
        // (a writable one would let the container's root leave its cgroup), as a `cgroup`
        // mount's view is.
        if m.kind == "cgroup2" && !g.is_bind() && !spec.namespaces.has(Kind::Cgroup) {
            g.flags |= super::mount::MS_RDONLY;
        }
        if m.kind == "cgroup"
            && spec.namespaces.has(Kind::User)
            && !spec.namespaces.has(Kind::Cgroup)
        {
            // A user namespace without a cgroup namespace may not mount a cgroup filesystem:
            // the host's hierarchies are bound, as runc binds them for a rootless container,
            // every mount below with the flags asked for, and read-only: they show every
            // cgroup of the host, which a writable bind would let the container leave its own
            // for.
            g.source = b"/sys/fs/cgroup".to_vec();
            g.flags |= super::mount::MS_RDONLY;
            g.rec_set |= crate::setup::tree::attrs_of(g.flags).0;
            g.flags |= MS_BIND | MS_REC;
        }
        spec.mounts.push(MountOp::Mount(Box::new(g)));
    }
    devices(&mut spec, linux, dev_bound)?;
    for p in &linux.masked_paths {
        spec.mounts.push(MountOp::Mask(p.clone().into_bytes()));
    }
    for p in &linux.readonly_paths {
        spec.mounts
            .push(MountOp::ReadOnlyPath(p.clone().into_bytes()));
    }
    // runc makes the working directory when it is missing (where nsrun may create: the root's
    // own mount, a tmpfs of the config).
    if crate::plan::path::normalize(process.cwd.as_bytes()) != b"/" {
        spec.mounts.push(MountOp::Mkdir {
            dst: process.cwd.clone().into_bytes(),
            mode: None,
        });
    }

    sysctl(&mut spec, linux)?;
    if let Some(s) = &linux.seccomp {
        // Without no_new_privs the filter is installed before the ids and capabilities change
        // and applies to nsrun's own setresuid, setgroups, capset, prctl...: an errno of 0
        // returns success without the call, and the process would keep root and every
        // capability. Refused (an ERRNO action with another errno makes the setup fail).
        if !process.no_new_privileges && fakes_success(&s.filter) {
            return Err(fail(
                "linux.seccomp",
                "an SCMP_ACT_ERRNO with errnoRet 0 fakes success, and without \
                 process.noNewPrivileges the filter covers nsrun's own change of ids and \
                 capabilities (give noNewPrivileges: true, or another errno)",
            ));
        }
        spec.locks.seccomp.push(SeccompOp::Rules {
            filter: known_only(&s.filter),
            flags: s.flags,
            label: "linux.seccomp",
        });
    }
    cgroup(&mut spec, linux)?;
    Ok(spec)
}

/// Whether a mount is a bind: type `bind`, or the `bind`/`rbind` option.
fn is_bind(m: &Mount) -> bool {
    m.kind == "bind" || m.options.flags & MS_BIND != 0
}

/// `linux.namespaces`: a type without a path is made, with one joined; one not listed is the
/// host's.
fn namespaces(spec: &mut Spec, linux: &super::Linux) -> Result<(), Error> {
    for n in &linux.namespaces {
        match &n.path {
            None => spec.namespaces.add(n.kind),
            Some(p) => spec.join.push(Join {
                kind: n.kind,
                source: NsSource::Path(p.clone().into_bytes()),
            }),
        }
    }
    Ok(())
}

/// `process`: command, environment, working directory, user, limits, capabilities.
fn process_fields(spec: &mut Spec, p: &super::Process) -> Result<(), Error> {
    if p.args.is_empty() {
        return Err(fail(
            "process.args",
            "empty (the command the container runs)",
        ));
    }
    spec.command = p.args.iter().map(|a| a.clone().into_bytes()).collect();
    spec.env.push(EnvOp::Clear);
    for e in &p.env {
        // NAME=VALUE, NAME not empty: checked by the parser.
        let (name, value) = e.split_once('=').unwrap_or((e, ""));
        spec.env.push(EnvOp::Set(name.into(), value.into()));
    }
    spec.chdir = Some(p.cwd.clone().into_bytes());
    spec.terminal = p.terminal;
    spec.setuid = Some(p.user.uid);
    spec.setgid = Some(p.user.gid);
    if !p.user.additional_gids.is_empty() {
        spec.locks.groups = Some(p.user.additional_gids.clone());
    }
    // runc's default umask.
    spec.locks.umask = Some(p.user.umask.unwrap_or(0o022));
    spec.locks.rlimits = p
        .rlimits
        .iter()
        .map(|r| Rlimit {
            resource: r.resource,
            soft: Some(r.soft),
            hard: Some(r.hard),
        })
        .collect();
    spec.no_new_privs = p.no_new_privileges;
    spec.locks.oom_score_adj = p.oom_score_adj;
    // Without `capabilities` runc leaves them as they are.
    spec.locks.caps_preset = Some(CapsPreset::All);
    spec.locks.cap_sets = cap_sets(p)?;
    Ok(())
}

/// Whether `filter` answers a call with errno 0: success without the call (refused without
/// no_new_privs, where the filter covers nsrun's own change of ids and capabilities).
pub fn fakes_success(filter: &crate::confine::seccomp::Filter) -> bool {
    let fakes = |a: crate::confine::seccomp::Action| a == crate::confine::seccomp::Action::Errno(0);
    fakes(filter.default) || filter.rules.iter().any(|r| fakes(r.action))
}

/// `filter` without the syscall names no architecture of this nsrun knows, as libseccomp skips
/// them (podman's profile names syscalls of newer kernels and other architectures); a rule left
/// with no name goes too. `create` and `exec` both compile this.
pub fn known_only(filter: &crate::confine::seccomp::Filter) -> crate::confine::seccomp::Filter {
    let mut filter = filter.clone();
    for rule in &mut filter.rules {
        rule.names.retain(|n| crate::confine::seccomp::known(n));
    }
    filter.rules.retain(|r| !r.names.is_empty());
    filter
}

/// The five capability sets of `p` as the process gets them (None: `capabilities` absent, the
/// runtime's own are left as they are). The kernel raises an ambient capability only if it is
/// permitted and inheritable; the others are left out of the ambient set, for every uid: runc's
/// own `runc spec` lists ambient capabilities without inheritable ones, and `exec --user` runs
/// such a config's process as another uid. The process never holds more than the sets say.
/// `create` and `exec` both take the sets from here.
pub fn cap_sets(p: &crate::oci::Process) -> Result<Option<Sets>, Error> {
    let Some(c) = &p.capabilities else {
        return Ok(None);
    };
    let ambient = c.ambient & c.permitted & c.inheritable;
    Ok(Some(Sets {
        bounding: c.bounding,
        effective: c.effective,
        permitted: c.permitted,
        inheritable: c.inheritable,
        ambient,
    }))
}

#[cfg(test)]
#[test]
fn an_ambient_capability_the_kernel_cannot_raise_is_left_out() {
    let text = br#"{"ociVersion": "1.0.2", "root": {"path": "r"},
        "process": {"args": ["true"], "cwd": "/", "user": {"uid": 5},
          "capabilities": {"bounding": ["CAP_KILL", "CAP_CHOWN"], "permitted": ["CAP_KILL", "CAP_CHOWN"],
            "inheritable": ["CAP_CHOWN"], "ambient": ["CAP_KILL", "CAP_CHOWN"]}}}"#;
    let config = crate::oci::parse(text).expect("parsed");
    let sets = cap_sets(config.process.as_ref().unwrap()).unwrap().unwrap();
    // CAP_CHOWN is 0, CAP_KILL is 5: only the one both permitted and inheritable stays ambient.
    assert_eq!(sets.ambient, 1);
    assert_eq!(sets.permitted, 1 | 1 << 5);
}

/// One member of `mounts`.
fn general(m: &Mount, label: &str) -> Result<GeneralMount, Error> {
    let o = &m.options;
    if o.flags & MS_REMOUNT != 0 {
        return Err(fail(
            &format!("{label}.options"),
            "remount: nsrun mounts each filesystem anew",
        ));
    }
    let bind = is_bind(m);
    let mut flags = o.flags;
    if bind {
        flags |= MS_BIND;
    }
    if !bind && m.kind.is_empty() {
        return Err(fail(
            &format!("{label}.type"),
            "missing (a filesystem type, or \"bind\")",
        ));
    }
    // A `cgroup` mount stays `cgroup` here: the launcher, which makes the container's cgroup,
    // turns it into the view of it (`crate::run::launch`: per-controller binds on v1, cgroup2).
    let fstype = m.kind.as_str();
    if o.copy_up && fstype != "tmpfs" {
        return Err(fail(
            &format!("{label}.options"),
            "tmpcopyup: only for a tmpfs",
        ));
    }
    Ok(GeneralMount {
        label: label.as_bytes().to_vec(),
        fstype: fstype.as_bytes().to_vec(),
        source: m.source.clone().into_bytes(),
        dst: m.destination.clone().into_bytes(),
        flags,
        cleared: o.cleared,
        propagation: o.propagation.clone(),
        rec_set: o.rec_set,
        rec_clear: o.rec_clear,
        data: o.data.clone().into_bytes(),
        copy_up: o.copy_up,
    })
}

/// `linux.devices` and the default devices, the links runc makes in /dev, and /dev/ptmx.
fn devices(spec: &mut Spec, linux: &super::Linux, dev_bound: bool) -> Result<(), Error> {
    for (i, d) in linux.devices.iter().enumerate() {
        // Checked by component: `/dev/../etc/x` is not below /dev.
        let below = d.path.strip_prefix("/dev/").is_some_and(|rest| {
            rest.split('/').all(|c| c != ".." && c != ".") && rest.split('/').any(|c| !c.is_empty())
        });
        if !below {
            return Err(fail(&format!("linux.devices[{i}].path"), "not below /dev"));
        }
        let kind = match d.kind {
            DeviceKind::Char => S_IFCHR,
            DeviceKind::Block => S_IFBLK,
            DeviceKind::Fifo => S_IFIFO,
        };
        spec.mounts.push(MountOp::Device(DeviceNode {
            dst: d.path.clone().into_bytes(),
            kind,
            major: d.major,
            minor: d.minor,
            mode: d.file_mode.unwrap_or(0o666),
            uid: d.uid.unwrap_or(0),
            gid: d.gid.unwrap_or(0),
        }));
    }
    // runc makes the defaults and the links only when /dev is not bound from the host.
    if dev_bound {
        return Ok(());
    }
    for (path, major, minor) in DEFAULT_DEVICES {
        if linux.devices.iter().any(|d| d.path == path) {
            continue;
        }
        spec.mounts.push(MountOp::Device(DeviceNode {
            dst: path.as_bytes().to_vec(),
            kind: S_IFCHR,
            major,
            minor,
            mode: 0o666,
            uid: 0,
            gid: 0,
        }));
    }
    for (target, link) in DEV_LINKS {
        spec.mounts.push(MountOp::Symlink {
            target: target.as_bytes().to_vec(),
            dst: link.as_bytes().to_vec(),
        });
    }
    if !linux.devices.iter().any(|d| d.path == "/dev/ptmx") {
        spec.mounts.push(MountOp::Symlink {
            target: b"pts/ptmx".to_vec(),
            dst: b"/dev/ptmx".to_vec(),
        });
    }
    Ok(())
}

/// `linux.sysctl`: each name checked against the namespaces, as runc does (a name of a
/// namespace the container shares with the host would change the host).
fn sysctl(spec: &mut Spec, linux: &super::Linux) -> Result<(), Error> {
    for (name, value) in &linux.sysctl {
        let at = format!("linux.sysctl.{name}");
        let needs = |kind: Kind, what: &str| -> Result<(), Error> {
            match spec.namespaces.has(kind) {
                true => Ok(()),
                false => Err(fail(
                    &at,
                    &format!("needs a new {what} namespace (the name is of one the container would share with the host)"),
                )),
            }
        };
        let ipc = matches!(
            name.as_str(),
            "kernel.msgmax"
                | "kernel.msgmnb"
                | "kernel.msgmni"
                | "kernel.sem"
                | "kernel.shmall"
                | "kernel.shmmax"
                | "kernel.shmmni"
                | "kernel.shm_rmid_forced"
        ) || name.starts_with("fs.mqueue.");
        if ipc {
            needs(Kind::Ipc, "IPC")?;
        } else if name.starts_with("net.") {
            // A joined network namespace is the container's too (podman's), as with runc.
            if !spec.namespaces.has(Kind::Net) && !spec.join.iter().any(|j| j.kind == Kind::Net) {
                needs(Kind::Net, "network")?;
            }
        } else if name == "kernel.hostname" || name == "kernel.domainname" {
            needs(Kind::Uts, "UTS")?;
        } else {
            return Err(fail(
                &at,
                "not a sysctl of a namespace the container has (runc allows only those of the \
                 IPC, network and UTS namespaces)",
            ));
        }
        if value.contains('\0') {
            return Err(fail(&at, "the value holds a NUL byte"));
        }
        spec.sysctl
            .push((name.clone().into_bytes(), value.clone().into_bytes()));
    }
    Ok(())
}

/// The devices runc lets every container use, after the rules of the config (its
/// `AllowedDevices`): mknod of any node, the default devices, /dev/console, the pseudo-terminals
/// and /dev/net/tun.
const ALLOWED: [&[u8]; 12] = [
    b"c *:* m",
    b"b *:* m",
    b"c 1:3 rwm",
    b"c 1:8 rwm",
    b"c 1:7 rwm",
    b"c 5:0 rwm",
    b"c 1:5 rwm",
    b"c 1:9 rwm",
    b"c 5:1 rwm",
    b"c 136:* rwm",
    b"c 5:2 rwm",
    b"c 10:200 rwm",
];

/// The device cgroup's lines: `a *:* rwm` denied, then `rules` in order, then [`ALLOWED`], then
/// each of `devices` (the nodes made in the container, which runc allows too).
///
/// The deny-all comes first whatever the rules say, as runc's device emulator starts from an
/// empty allow list: a v1 devices cgroup inherits its parent's (usually allow-all) list, so a
/// config.json whose rules only allow, with no deny-all of its own, would otherwise leave every
/// device of the host open. A rule allowing `a` still opens everything, as asked.
fn device_rules(rules: &[super::DeviceRule], devices: &[super::Device]) -> Vec<(bool, Bytes)> {
    let number = |n: Option<u32>| match n {
        Some(n) => format!("{n}"),
        None => String::from("*"),
    };
    let mut out = Vec::with_capacity(1 + rules.len() + ALLOWED.len() + devices.len());
    let deny_all = |r: &super::DeviceRule| {
        !r.allow
            && r.kind == b'a'
            && r.major.is_none()
            && r.minor.is_none()
            && matches!(r.access.as_str(), "" | "rwm")
    };
    if !rules.first().is_some_and(deny_all) {
        out.push((false, b"a *:* rwm".to_vec()));
    }
    for r in rules {
        let access = match r.access.is_empty() {
            true => "rwm",
            false => r.access.as_str(),
        };
        // The v1 controller reads a line of type `a` as "every device, every access", whatever
        // follows: `a` is written only as that (`a *:* rwm`), any narrower rule of type `a` as
        // its character and its block halves.
        let all = r.major.is_none() && r.minor.is_none() && access.len() == 3;
        let kinds: &[char] = match r.kind {
            b'a' if all => &['a'],
            b'a' => &['c', 'b'],
            k => &[k as char][..],
        };
        for kind in kinds {
            let line = format!("{kind} {}:{} {access}", number(r.major), number(r.minor));
            out.push((r.allow, line.into_bytes()));
        }
    }
    out.extend(ALLOWED.iter().map(|l| (true, l.to_vec())));
    for d in devices {
        let kind = match d.kind {
            DeviceKind::Char => 'c',
            DeviceKind::Block => 'b',
            // A FIFO is no device: the cgroup does not filter it.
            DeviceKind::Fifo => continue,
        };
        let line = format!("{kind} {}:{} rwm", d.major, d.minor);
        out.push((true, line.into_bytes()));
    }
    out
}

/// `linux.cgroupsPath` and `linux.resources`.
fn cgroup(spec: &mut Spec, linux: &super::Linux) -> Result<(), Error> {
    let mut req = Request {
        path: linux.cgroups_path.clone().map(String::into_bytes),
        ..Request::default()
    };
    let rules = linux.resources.as_ref().map_or(&[][..], |r| &r.devices[..]);
    if !rules.is_empty() {
        req.devices = device_rules(rules, &linux.devices);
    } else if !spec.namespaces.has(Kind::User) {
        // No rules: runc's default confinement, deny-all then what every container may use, so
        // a process with CAP_MKNOD cannot make and open a host device node (the v1 devices
        // controller, or an eBPF program on cgroup v2). In a new user namespace mknod is
        // refused by the kernel anyway, and an unprivileged runtime could not make the cgroup.
        req.devices = device_rules(&[], &linux.devices);
        req.devices_default = true;
    }
    if let Some(r) = &linux.resources {
        if let Some(m) = &r.memory {
            let bytes = |v: i64| u64::try_from(v).ok().filter(|&b| b > 0);
            req.memory = m.limit.and_then(bytes);
            req.memory_reservation = m.reservation.and_then(bytes);
            req.memory_swap = match m.swap {
                Some(-1) => Some(Swap::Unlimited),
                Some(s) if s > 0 => Some(Swap::Limit(s as u64)),
                Some(0) | None => None,
                Some(_) => {
                    return Err(fail(
                        "linux.resources.memory.swap",
                        "a number of bytes, or -1 for no limit",
                    ))
                }
            };
            match (req.memory_swap, req.memory) {
                (Some(Swap::Limit(s)), Some(l)) if s < l => {
                    return Err(fail(
                        "linux.resources.memory.swap",
                        "memory and swap together: it cannot be below memory.limit",
                    ))
                }
                (Some(_), None) => {
                    return Err(fail(
                        "linux.resources.memory.swap",
                        "needs memory.limit (it is memory and swap together)",
                    ))
                }
                _ => {}
            }
            if m.swappiness.is_some() {
                return Err(fail(
                    "linux.resources.memory.swappiness",
                    "nsrun does not support memory.swappiness",
                ));
            }
            if m.disable_oom_killer == Some(true) {
                return Err(fail(
                    "linux.resources.memory.disableOOMKiller",
                    "nsrun does not support disabling the OOM killer",
                ));
            }
        }
        if let Some(c) = &r.cpu {
            req.cpu_shares = c.shares.filter(|&s| s > 0);
            req.cpuset_cpus = c.cpus.as_ref().map(|s| s.clone().into_bytes());
            req.cpuset_mems = c.mems.as_ref().map(|s| s.clone().into_bytes());
            if let Some(q) = c.quota.filter(|&q| q > 0) {
                req.cpus = Some(Cpus {
                    quota_us: q as u64,
                    period_us: c.period.filter(|&p| p > 0).unwrap_or(PERIOD_US),
                });
            } else if c.period.is_some_and(|p| p > 0) && c.quota.is_none() {
                return Err(fail(
                    "linux.resources.cpu.period",
                    "nsrun sets a period only with a quota",
                ));
            }
        }
        req.pids_max = r
            .pids_limit
            .and_then(|n| u64::try_from(n).ok().filter(|&n| n > 0));
    }
    spec.locks.cgroup = req;
    Ok(())
}

#[cfg(test)]
#[path = "to_spec_tests.rs"]
mod tests;
