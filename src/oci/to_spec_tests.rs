//! Tests of [`super::to_spec`] on the fixtures of tests/oci: the Spec holds exactly what each
//! config.json says.

use super::*;
use crate::confine::caps::NAMES;
use crate::spec::NsSource;

const RUNC: &[u8] = include_bytes!("../../tests/oci/runc-spec.json");
const RUNC_ROOTLESS: &[u8] = include_bytes!("../../tests/oci/runc-spec-rootless.json");
const CONTAINERD: &[u8] = include_bytes!("../../tests/oci/containerd-spec.json");
const PODMAN: &[u8] = include_bytes!("../../tests/oci/podman-create.json");

fn caps(names: &[&str]) -> u64 {
    names
        .iter()
        .map(|n| 1u64 << NAMES.iter().position(|c| c == n).expect(n))
        .sum()
}

fn map(text: &[u8]) -> Result<Spec, String> {
    let config = super::super::parse(text).map_err(|e| e.0)?;
    to_spec(&config, b"/bundle").map_err(|e| e.0)
}

fn general(spec: &Spec) -> Vec<&GeneralMount> {
    spec.mounts
        .iter()
        .filter_map(|m| match m {
            MountOp::Mount(g) => Some(&**g),
            _ => None,
        })
        .collect()
}

fn devices(spec: &Spec) -> Vec<(&[u8], u32, u32, u32)> {
    spec.mounts
        .iter()
        .filter_map(|m| match m {
            MountOp::Device(d) => Some((&d.dst[..], d.kind, d.major, d.minor)),
            _ => None,
        })
        .collect()
}

fn ns_set(kinds: &[Kind]) -> ns::Set {
    let mut s = ns::Set::empty();
    for k in kinds {
        s.add(*k);
    }
    s
}

#[test]
fn runc_spec() {
    let s = map(RUNC).unwrap();
    assert!(s.oci && s.terminal && s.read_only && !s.mount_proc && !s.user_ns_auto);
    assert_eq!(s.root.as_deref(), Some(&b"/bundle/rootfs"[..]));
    assert_eq!(s.propagation, Propagation::Slave);
    assert_eq!(s.pid1, Pid1::Command);
    assert_eq!(
        s.namespaces,
        ns_set(&[Kind::Pid, Kind::Net, Kind::Ipc, Kind::Uts, Kind::Mount])
    );
    assert!(s.join.is_empty() && s.uid_map.is_empty());
    assert_eq!(s.hostname.as_deref(), Some(&b"runc"[..]));
    assert_eq!(s.command, [b"sh".to_vec()]);
    assert_eq!(
        s.env,
        [
            EnvOp::Clear,
            EnvOp::Set(
                b"PATH".to_vec(),
                b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_vec()
            ),
            EnvOp::Set(b"TERM".to_vec(), b"xterm".to_vec()),
        ]
    );
    assert_eq!(s.chdir.as_deref(), Some(&b"/"[..]));
    assert_eq!((s.setuid, s.setgid), (Some(0), Some(0)));
    assert_eq!(s.locks.groups, None);
    assert_eq!(s.locks.umask, Some(0o022));
    assert!(s.no_new_privs);
    let three = caps(&["audit_write", "kill", "net_bind_service"]);
    assert_eq!(
        s.locks.cap_sets,
        Some(Sets {
            bounding: three,
            effective: three,
            permitted: three,
            inheritable: 0,
            // Not inheritable: the kernel would not raise them, and for uid 0 they change
            // nothing.
            ambient: 0,
        })
    );
    assert_eq!(
        s.locks.rlimits,
        [Rlimit {
            resource: libc::RLIMIT_NOFILE as u8,
            soft: Some(1024),
            hard: Some(1024)
        }]
    );
    let g = general(&s);
    let dst: Vec<&[u8]> = g.iter().map(|m| &m.dst[..]).collect();
    assert_eq!(
        dst,
        [
            &b"/proc"[..],
            b"/dev",
            b"/dev/pts",
            b"/dev/shm",
            b"/dev/mqueue",
            b"/sys",
            b"/sys/fs/cgroup"
        ]
    );
    assert_eq!(g[0].fstype, b"proc");
    assert_eq!((g[0].flags, &g[0].data[..]), (0, &b""[..]));
    assert_eq!(g[1].fstype, b"tmpfs");
    assert_eq!(g[1].flags, mount::MS_NOSUID | mount::MS_STRICTATIME);
    assert_eq!(g[1].data, b"mode=755,size=65536k");
    assert_eq!(g[2].data, b"newinstance,ptmxmode=0666,mode=0620,gid=5");
    assert_eq!(g[5].flags, 0xf, "nosuid noexec nodev ro");
    // A cgroup mount stays one: the launcher turns it into the view of the container's cgroup
    // (run/cgroup_view.rs), read-only as asked.
    assert_eq!(g[6].fstype, b"cgroup");
    assert!(g[6].flags & mount::MS_RDONLY != 0 && !g[6].is_bind());
    // The runtime spec's default devices, then the links.
    assert_eq!(
        devices(&s),
        [
            (&b"/dev/null"[..], S_IFCHR, 1, 3),
            (b"/dev/zero", S_IFCHR, 1, 5),
            (b"/dev/full", S_IFCHR, 1, 7),
            (b"/dev/random", S_IFCHR, 1, 8),
            (b"/dev/urandom", S_IFCHR, 1, 9),
            (b"/dev/tty", S_IFCHR, 5, 0),
        ]
    );
    assert!(s.mounts.contains(&MountOp::Symlink {
        target: b"pts/ptmx".to_vec(),
        dst: b"/dev/ptmx".to_vec()
    }));
    let masked: Vec<&MountOp> = s
        .mounts
        .iter()
        .filter(|m| matches!(m, MountOp::Mask(_)))
        .collect();
    assert_eq!(masked.len(), 10);
    assert_eq!(*masked[0], MountOp::Mask(b"/proc/acpi".to_vec()));
    assert!(s
        .mounts
        .contains(&MountOp::ReadOnlyPath(b"/proc/sys".to_vec())));
    // The device cgroup: deny everything, then what runc always allows.
    let rules = &s.locks.cgroup.devices;
    assert_eq!(rules[0], (false, b"a *:* rwm".to_vec()));
    assert!(rules[1..].iter().all(|r| r.0));
    assert!(rules.contains(&(true, b"c 1:3 rwm".to_vec())));
    assert!(s.locks.seccomp.is_empty() && s.sysctl.is_empty());
    assert_eq!(s.locks.cgroup.path, None);
}

#[test]
fn runc_spec_rootless() {
    let s = map(RUNC_ROOTLESS).unwrap();
    assert!(s.namespaces.has(Kind::User) && !s.namespaces.has(Kind::Net));
    let one = crate::spec::IdMap {
        inside: 0,
        outside: 0,
        count: 1,
    };
    assert_eq!((&s.uid_map[..], &s.gid_map[..]), (&[one][..], &[one][..]));
    assert!(!s.map_root_user && !s.user_ns_auto);
    let g = general(&s);
    // type "none" with rbind: a recursive bind of the host's /sys.
    let sys = g.iter().find(|m| m.dst == b"/sys").unwrap();
    assert!(sys.is_bind() && sys.flags & mount::MS_REC != 0);
    assert_eq!(sys.source, b"/sys");
    assert_eq!(sys.flags & 0xf, 0xf);
    let pts = g.iter().find(|m| m.dst == b"/dev/pts").unwrap();
    assert_eq!(pts.data, b"newinstance,ptmxmode=0666,mode=0620");
    assert_eq!(s.locks.cgroup, Request::default(), "no cgroup asked for");
    // No cgroup namespace in a user namespace: the host's hierarchies, bound read-only.
    let cg = g.iter().find(|m| m.dst == b"/sys/fs/cgroup").unwrap();
    assert!(cg.is_bind() && cg.flags & mount::MS_REC != 0);
    assert_eq!(cg.source, b"/sys/fs/cgroup");
    assert_eq!(cg.rec_set & mount::ATTR_RDONLY, mount::ATTR_RDONLY);
}

#[test]
fn containerd_spec() {
    // `ctr oci spec` is a template: no args. Refused by name, and mapped once given some.
    let e = map(CONTAINERD).unwrap_err();
    assert_eq!(
        e,
        "config.json: process.args: empty (the command the container runs)"
    );
    let text = String::from_utf8(CONTAINERD.to_vec()).unwrap().replacen(
        "\"cwd\"",
        "\"args\": [\"/bin/true\"], \"cwd\"",
        1,
    );
    let s = map(text.as_bytes()).unwrap();
    assert!(!s.read_only && !s.terminal);
    assert_eq!(s.hostname, None);
    assert_eq!(s.locks.cgroup.path.as_deref(), Some(&b"/default"[..]));
    let c = s.locks.cap_sets.unwrap();
    assert_eq!(c.bounding.count_ones(), 14);
    assert_eq!((c.effective, c.permitted), (c.bounding, c.bounding));
    assert_eq!((c.inheritable, c.ambient), (0, 0));
    assert!(c.bounding & caps(&["mknod", "net_raw"]) == caps(&["mknod", "net_raw"]));
    let run = general(&s).into_iter().find(|m| m.dst == b"/run").unwrap();
    assert_eq!(run.fstype, b"tmpfs");
    assert_eq!(run.data, b"mode=755,size=65536k");
}

#[test]
fn podman_create() {
    let s = map(PODMAN).unwrap();
    assert!(s
        .root
        .as_deref()
        .unwrap()
        .starts_with(b"/var/lib/containers/storage/overlay/"));
    assert!(!s.read_only);
    assert_eq!(
        s.namespaces,
        ns_set(&[Kind::Pid, Kind::Ipc, Kind::Uts, Kind::Mount])
    );
    assert_eq!(
        s.join,
        [Join {
            kind: Kind::Net,
            source: NsSource::Path(
                b"/run/netns/netns-e418fb3c-a4a4-5bb5-2ba8-34912d082e28".to_vec()
            ),
        }]
    );
    assert_eq!(s.hostname.as_deref(), Some(&b"fix"[..]));
    assert_eq!(s.command.len(), 3);
    assert_eq!(s.locks.umask, Some(18));
    assert!(!s.no_new_privs);
    assert_eq!(s.locks.rlimits.len(), 2);
    assert_eq!(
        s.locks.rlimits[1],
        Rlimit {
            resource: libc::RLIMIT_NPROC as u8,
            soft: Some(4096),
            hard: Some(4096)
        }
    );
    let g = general(&s);
    assert_eq!(g.len(), 12);
    let scratch = g[0];
    assert_eq!(
        (&scratch.dst[..], scratch.copy_up),
        (&b"/scratch"[..], true)
    );
    assert_eq!(scratch.propagation, [mount::MS_PRIVATE | mount::MS_REC]);
    assert_eq!(scratch.cleared, mount::MS_RDONLY, "rw");
    let shm = g.iter().find(|m| m.dst == b"/dev/shm").unwrap();
    assert!(
        shm.is_bind() && shm.flags & mount::MS_REC == 0,
        "bind, not rbind"
    );
    assert_eq!(shm.flags & !mount::MS_BIND, 0xe, "nosuid noexec nodev");
    assert!(shm.source.ends_with(b"/userdata/shm"));
    // /dev is a tmpfs: the default devices are made.
    assert_eq!(devices(&s).len(), 6);
    assert_eq!(
        s.sysctl,
        [(b"net.ipv4.ping_group_range".to_vec(), b"0 0".to_vec())]
    );
    let cg = &s.locks.cgroup;
    assert_eq!(cg.memory, Some(64 << 20));
    assert_eq!(cg.memory_swap, Some(Swap::Limit(128 << 20)));
    assert_eq!(cg.pids_max, Some(100));
    assert!(cg
        .path
        .as_deref()
        .unwrap()
        .starts_with(b"/libpod_parent/libpod-"));
    assert_eq!(cg.devices[0], (false, b"a *:* rwm".to_vec()));
    assert!(!cg.keep, "the runtime's create sets it");
    // podman's profile: one filter; names this architecture lacks are skipped.
    let [SeccompOp::Rules { filter, flags, .. }] = &s.locks.seccomp[..] else {
        panic!("{:?}", s.locks.seccomp);
    };
    assert_eq!(*flags, 0);
    assert_eq!(
        filter.default,
        crate::confine::seccomp::Action::Errno(libc::ENOSYS as u16)
    );
    assert!(filter
        .rules
        .iter()
        .flat_map(|r| &r.names)
        .all(|n| crate::confine::seccomp::known(n)));
    assert!(crate::confine::seccomp::compile(filter).is_ok());
}

/// A small container: `process` members `proc`, top-level members `top`, linux members `lin`,
/// namespaces `ns` (types without paths).
fn small(proc: &str, top: &str, lin: &str, ns: &[&str]) -> Result<Spec, String> {
    let list: Vec<String> = ns
        .iter()
        .map(|t| format!("{{\"type\": \"{t}\"}}"))
        .collect();
    let text = format!(
        "{{\"ociVersion\": \"1.0.2\", \"root\": {{\"path\": \"/r\"}}, \"process\": {{\"args\": [\"sh\"], \"cwd\": \"/\"{proc}}}{top}, \"linux\": {{\"namespaces\": [{}]{lin}}}}}",
        list.join(", ")
    );
    map(text.as_bytes())
}

const ALL: [&str; 5] = ["mount", "uts", "ipc", "network", "pid"];

#[test]
fn refusals_name_the_json_path() {
    let ok = small("", ", \"hostname\": \"h\", \"domainname\": \"d\"", "", &ALL).unwrap();
    assert_eq!(ok.domainname.as_deref(), Some(&b"d"[..]));
    assert_eq!(
        ok.root.as_deref(),
        Some(&b"/r"[..]),
        "absolute: not in the bundle"
    );
    let cases: [(Result<Spec, String>, &str); 9] = [
        (
            small("", ", \"hostname\": \"h\"", "", &["mount"]),
            "config.json: hostname: needs a new UTS namespace",
        ),
        (
            small(
                "",
                ", \"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\", \"options\": [\"remount\"]}]",
                "",
                &ALL,
            ),
            "config.json: mounts[0].options: remount",
        ),
        (
            small("", ", \"mounts\": [{\"destination\": \"/x\"}]", "", &ALL),
            "config.json: mounts[0].type: missing",
        ),
        (
            small("", "", ", \"sysctl\": {\"vm.swappiness\": \"1\"}", &ALL),
            "config.json: linux.sysctl.vm.swappiness: not a sysctl of a namespace",
        ),
        (
            small("", "", ", \"sysctl\": {\"kernel.shmmax\": \"1\"}", &["mount"]),
            "config.json: linux.sysctl.kernel.shmmax: needs a new IPC namespace",
        ),
        (
            small("", "", ", \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}", &["mount"]),
            "config.json: linux.sysctl.net.ipv4.ip_forward: needs a new network namespace",
        ),
        (
            small("", "", "", &["uts"]),
            "config.json: linux.namespaces: no new mount namespace",
        ),
        (
            small(
                "",
                "",
                ", \"resources\": {\"memory\": {\"limit\": 2000000, \"swap\": 1000000}}",
                &ALL,
            ),
            "config.json: linux.resources.memory.swap: memory and swap together",
        ),
        (
            small(
                "",
                "",
                ", \"resources\": {\"memory\": {\"swappiness\": 10}}",
                &ALL,
            ),
            "config.json: linux.resources.memory.swappiness: ",
        ),
    ];
    for (got, want) in cases {
        let e = got.err().unwrap_or_default();
        assert!(e.starts_with(want), "{want}: {e}");
    }
    let s = small("", "", ", \"rootfsPropagation\": \"rshared\"", &ALL).unwrap();
    assert_eq!(s.propagation, Propagation::Shared);
    // A joined network namespace may take net.* sysctls (podman's).
    let s = small(
        "",
        "",
        ", \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}",
        &["mount"],
    );
    assert!(s.is_err());
    let text = r#"{"ociVersion": "1.0.2", "root": {"path": "r"}, "process": {"args": ["sh"], "cwd": "/"},
        "linux": {"namespaces": [{"type": "mount"}, {"type": "network", "path": "/proc/1/ns/net"}],
        "sysctl": {"net.ipv4.ip_forward": "1"}}}"#;
    let s = map(text.as_bytes()).unwrap();
    assert_eq!(s.sysctl.len(), 1);
    assert_eq!(s.root.as_deref(), Some(&b"/bundle/r"[..]));
    // A bind's relative source is the bundle's.
    let s = small(
        "",
        ", \"mounts\": [{\"destination\": \"/x\", \"type\": \"bind\", \"source\": \"data/x\"}]",
        "",
        &ALL,
    )
    .unwrap();
    assert_eq!(general(&s)[0].source, b"/bundle/data/x");
}

#[test]
fn rootfs_propagation_r_forms_change_the_tree_the_others_the_root_alone() {
    use Propagation::{Private, Shared, Slave, Unbindable};
    for (word, tree, root) in [
        ("", Slave, None),
        ("rslave", Slave, None),
        ("rprivate", Private, None),
        ("rshared", Shared, None),
        ("runbindable", Unbindable, None),
        // The plain forms: the tree below stays rslave (no mount of it a peer of the host's).
        ("slave", Slave, Some(Slave)),
        ("private", Slave, Some(Private)),
        ("shared", Slave, Some(Shared)),
        ("unbindable", Slave, Some(Unbindable)),
    ] {
        let lin = match word {
            "" => String::new(),
            w => format!(", \"rootfsPropagation\": \"{w}\""),
        };
        let s = small("", "", &lin, &ALL).unwrap_or_else(|e| panic!("{word}: {e}"));
        assert_eq!((s.propagation, s.root_propagation), (tree, root), "{word}");
    }
    let e = small("", "", ", \"rootfsPropagation\": \"rslave2\"", &ALL).unwrap_err();
    assert!(e.contains("linux.rootfsPropagation"), "{e}");
}

#[test]
fn without_device_rules_a_container_gets_runcs_default_unless_in_a_user_namespace() {
    let s = small("", "", "", &ALL).unwrap();
    let cg = &s.locks.cgroup;
    assert!(cg.devices_default);
    assert_eq!(
        cg.devices[0],
        (false, b"a *:* rwm".to_vec()),
        "deny-all first"
    );
    assert!(cg.devices[1..].iter().all(|(allow, _)| *allow));
    for line in [
        &b"c 1:3 rwm"[..],
        b"c 1:9 rwm",
        b"c 5:2 rwm",
        b"c 136:* rwm",
    ] {
        assert!(cg.devices.iter().any(|(_, l)| l == line), "{line:?}");
    }
    // A config's own device is allowed too.
    let own = small(
        "",
        "",
        ", \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229}]",
        &ALL,
    )
    .unwrap();
    assert!(own
        .locks
        .cgroup
        .devices
        .iter()
        .any(|(allow, l)| *allow && l == b"c 10:229 rwm"));
    // Rules given: deny-all, then exactly those, not marked default.
    let given = small(
        "",
        "",
        ", \"resources\": {\"devices\": [{\"allow\": true, \"access\": \"rwm\"}]}",
        &ALL,
    )
    .unwrap();
    assert!(!given.locks.cgroup.devices_default);
    assert_eq!(
        given.locks.cgroup.devices[..2],
        [
            (false, b"a *:* rwm".to_vec()),
            (true, b"a *:* rwm".to_vec())
        ]
    );
    // Rules that only allow: still deny-all first (a v1 cgroup would inherit allow-all).
    let only = small(
        "",
        "",
        ", \"resources\": {\"devices\": [{\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rw\"}]}",
        &ALL,
    )
    .unwrap();
    assert_eq!(
        only.locks.cgroup.devices[..2],
        [(false, b"a *:* rwm".to_vec()), (true, b"c 1:3 rw".to_vec())]
    );
    // In a new user namespace: no device cgroup (the kernel refuses mknod there).
    let mut with_user = ALL.to_vec();
    with_user.push("user");
    let u = small(
        "",
        "",
        ", \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}], \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]",
        &with_user,
    )
    .unwrap();
    assert!(u.locks.cgroup.devices.is_empty());
    assert!(!u.locks.cgroup.devices_default);
}

/// A rule of type `a` is written as `a` only for every device and every access (the v1
/// controller reads any line of type `a` so); a narrower one as its character and block
/// halves. Numbers beyond dev_t's (major 4095, minor 2^20 - 1) are refused: the v1 controller
/// reads 4294967295 as its wildcard.
#[test]
fn device_rules_of_type_a_and_their_numbers_mean_the_same_on_v1_and_v2() {
    let rules = |json: &str| {
        small(
            "",
            "",
            &format!(", \"resources\": {{\"devices\": [{json}]}}"),
            &ALL,
        )
        .map(|s| s.locks.cgroup.devices[1..3].to_vec())
    };
    let l = |allow: bool, t: &str| (allow, t.as_bytes().to_vec());
    assert_eq!(
        rules(r#"{"allow": true, "type": "a", "major": 1, "minor": 3, "access": "r"}"#).unwrap(),
        [l(true, "c 1:3 r"), l(true, "b 1:3 r")]
    );
    assert_eq!(
        rules(r#"{"allow": true, "type": "a", "access": "r"}"#).unwrap(),
        [l(true, "c *:* r"), l(true, "b *:* r")]
    );
    // The config's own deny-all stays `a` (and no second one is added before it).
    let s2 = small(
        "",
        "",
        r#", "resources": {"devices": [{"allow": false, "type": "a", "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}]}"#,
        &ALL,
    )
    .unwrap();
    assert_eq!(
        s2.locks.cgroup.devices[..2],
        [l(false, "a *:* rwm"), l(true, "c 1:3 rw")]
    );
    for (key, n) in [
        ("major", 4096u64),
        ("minor", 1 << 20),
        ("major", 4294967295),
    ] {
        let e = rules(&format!(
            r#"{{"allow": true, "type": "c", "{key}": {n}, "access": "r"}}"#
        ))
        .unwrap_err();
        assert!(
            e.contains(&format!("linux.resources.devices[0].{key}")),
            "{e}"
        );
    }
}
