//! The model read from real engines' configs (tests/oci/, see its README), every refusal with
//! its line, and mangled documents that must never panic.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::mount::*;
use super::*;
use crate::confine::seccomp::{Action, ArgCmp, Op, Rule};
use crate::json::Value;
use crate::ns::Kind;
use crate::spec::IdMap;

const RUNC: &[u8] = include_bytes!("../../tests/oci/runc-spec.json");
const RUNC_ROOTLESS: &[u8] = include_bytes!("../../tests/oci/runc-spec-rootless.json");
const CONTAINERD: &[u8] = include_bytes!("../../tests/oci/containerd-spec.json");
const PODMAN: &[u8] = include_bytes!("../../tests/oci/podman-create.json");
const FULL: &[u8] = include_bytes!("../../tests/oci/full.json");

fn cap(name: &str) -> u64 {
    crate::confine::caps::parse(name.as_bytes()).unwrap()
}

fn caps(names: &[&str]) -> u64 {
    names.iter().map(|n| cap(n)).fold(0, |a, b| a | b)
}

fn ok(text: &[u8]) -> Config {
    parse(text).unwrap_or_else(|e| panic!("{e}"))
}

/// The error line for a document.
fn err(text: &str) -> String {
    match parse(text.as_bytes()) {
        Ok(c) => panic!("accepted {text}: {c:?}"),
        Err(e) => e.0,
    }
}

/// A minimal valid document with `extra` members added at the top (`"k": v, ...`).
fn doc(extra: &str) -> String {
    let mut text =
        String::from(r#"{"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/"}"#);
    if !extra.is_empty() {
        text.push_str(", ");
        text.push_str(extra);
    }
    text.push('}');
    text
}

/// A document whose process has `extra` members.
fn process_doc(extra: &str) -> String {
    let mut text =
        String::from(r#"{"ociVersion": "1.0.2", "process": {"args": ["sh"], "cwd": "/""#);
    if !extra.is_empty() {
        text.push_str(", ");
        text.push_str(extra);
    }
    text.push_str("}}");
    text
}

#[test]
fn runc_spec() {
    let c = ok(RUNC);
    assert_eq!(c.oci_version, "1.0.2-dev");
    let p = c.process.as_ref().unwrap();
    assert!(p.terminal);
    assert_eq!(p.user, User::default());
    assert_eq!(p.args, ["sh"]);
    assert_eq!(p.env[1], "TERM=xterm");
    assert_eq!(p.cwd, "/");
    let three = caps(&["audit_write", "kill", "net_bind_service"]);
    assert_eq!(
        p.capabilities,
        Some(Capabilities {
            bounding: three,
            effective: three,
            inheritable: 0,
            permitted: three,
            ambient: three,
        })
    );
    assert_eq!(
        p.rlimits,
        [Rlimit {
            resource: libc::RLIMIT_NOFILE as u8,
            soft: 1024,
            hard: 1024
        }]
    );
    assert!(p.no_new_privileges);
    assert_eq!(p.oom_score_adj, None);
    assert_eq!(
        c.root,
        Some(Root {
            path: "rootfs".into(),
            readonly: true
        })
    );
    assert_eq!(c.hostname.as_deref(), Some("runc"));
    assert_eq!(c.domainname, None);
    let kinds: Vec<&str> = c.mounts.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["proc", "tmpfs", "devpts", "tmpfs", "mqueue", "sysfs", "cgroup"]
    );
    let pts = &c.mounts[2];
    assert_eq!(
        (pts.destination.as_str(), pts.source.as_str()),
        ("/dev/pts", "devpts")
    );
    assert_eq!(
        pts.options,
        Options {
            flags: MS_NOSUID | MS_NOEXEC,
            data: "newinstance,ptmxmode=0666,mode=0620,gid=5".into(),
            ..Options::default()
        }
    );
    assert_eq!(c.mounts[1].options.flags, MS_NOSUID | MS_STRICTATIME);
    assert_eq!(c.mounts[1].options.data, "mode=755,size=65536k");
    assert_eq!(
        c.mounts[6].options.flags,
        MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY
    );
    assert_eq!(c.hooks, Hooks::default());
    assert!(c.annotations.is_empty());
    let l = c.linux.as_ref().unwrap();
    let ns: Vec<Kind> = l.namespaces.iter().map(|n| n.kind).collect();
    assert_eq!(
        ns,
        [Kind::Pid, Kind::Net, Kind::Ipc, Kind::Uts, Kind::Mount]
    );
    assert!(l.namespaces.iter().all(|n| n.path.is_none()));
    assert_eq!(
        l.resources,
        Some(Resources {
            devices: vec![DeviceRule {
                allow: false,
                kind: b'a',
                major: None,
                minor: None,
                access: "rwm".into()
            }],
            ..Resources::default()
        })
    );
    assert_eq!(l.masked_paths.len(), 10);
    assert_eq!(l.readonly_paths[3], "/proc/sys");
    assert!(l.uid_mappings.is_empty() && l.seccomp.is_none() && l.sysctl.is_empty());
    assert_eq!(l.rootfs_propagation, None);
    assert_eq!(l.cgroups_path, None);
}

#[test]
fn runc_spec_rootless() {
    let c = ok(RUNC_ROOTLESS);
    let l = c.linux.as_ref().unwrap();
    let one = IdMap {
        inside: 0,
        outside: 0,
        count: 1,
    };
    assert_eq!(
        (l.uid_mappings.as_slice(), l.gid_mappings.as_slice()),
        (&[one][..], &[one][..])
    );
    assert_eq!(l.namespaces.last().map(|n| n.kind), Some(Kind::User));
    assert_eq!(l.resources, None);
    let sys = &c.mounts[5];
    assert_eq!((sys.kind.as_str(), sys.source.as_str()), ("none", "/sys"));
    assert_eq!(
        sys.options.flags,
        MS_BIND | MS_REC | MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY
    );
    assert_eq!(
        c.mounts[2].options.data,
        "newinstance,ptmxmode=0666,mode=0620"
    );
}

#[test]
fn containerd_spec() {
    let c = ok(CONTAINERD);
    let p = c.process.as_ref().unwrap();
    assert!(p.args.is_empty() && p.env.is_empty() && !p.terminal);
    let set = caps(&[
        "chown",
        "dac_override",
        "fsetid",
        "fowner",
        "mknod",
        "net_raw",
        "setgid",
        "setuid",
        "setfcap",
        "setpcap",
        "net_bind_service",
        "sys_chroot",
        "kill",
        "audit_write",
    ]);
    let c2 = p.capabilities.unwrap();
    assert_eq!((c2.bounding, c2.effective, c2.permitted), (set, set, set));
    assert_eq!((c2.inheritable, c2.ambient), (0, 0));
    assert_eq!(
        c.mounts.last().map(|m| m.destination.as_str()),
        Some("/run")
    );
    let l = c.linux.unwrap();
    assert_eq!(l.cgroups_path.as_deref(), Some("/default"));
    assert_eq!(l.namespaces.len(), 5);
}

#[test]
fn podman_create() {
    let c = ok(PODMAN);
    let p = c.process.as_ref().unwrap();
    assert_eq!(p.user.umask, Some(0o022));
    assert_eq!(p.args, ["/bin/sh", "-c", "exit 3"]);
    assert_eq!(p.rlimits[1].resource, libc::RLIMIT_NPROC as u8);
    assert_eq!((p.rlimits[1].soft, p.rlimits[1].hard), (4096, 4096));
    assert_eq!(
        p.capabilities.unwrap().permitted,
        crate::confine::caps::CONTAINER
    );
    assert!(c.root.as_ref().unwrap().path.ends_with("/merged"));
    let scratch = &c.mounts[0];
    assert_eq!(scratch.destination, "/scratch");
    assert_eq!(
        scratch.options,
        Options {
            flags: MS_NOSUID | MS_NODEV,
            cleared: MS_RDONLY,
            propagation: vec![MS_PRIVATE | MS_REC],
            copy_up: true,
            ..Options::default()
        }
    );
    let shm = c
        .mounts
        .iter()
        .find(|m| m.destination == "/dev/shm")
        .unwrap();
    assert_eq!(shm.kind, "bind");
    assert_eq!(
        shm.options.flags,
        MS_BIND | MS_NOSUID | MS_NOEXEC | MS_NODEV
    );
    assert_eq!(
        c.annotations[0],
        ("io.container.manager".into(), "libpod".into())
    );
    assert_eq!(c.annotations.len(), 8);
    let l = c.linux.as_ref().unwrap();
    assert_eq!(
        l.sysctl,
        [("net.ipv4.ping_group_range".into(), "0 0".into())]
    );
    let net = &l.namespaces[1];
    assert_eq!(net.kind, Kind::Net);
    assert!(net.path.as_ref().unwrap().starts_with("/run/netns/netns-"));
    let r = l.resources.as_ref().unwrap();
    assert_eq!(
        r.memory,
        Some(Memory {
            limit: Some(64 << 20),
            swap: Some(128 << 20),
            ..Memory::default()
        })
    );
    assert_eq!(r.pids_limit, Some(100));
    assert!(l
        .cgroups_path
        .as_ref()
        .unwrap()
        .starts_with("/libpod_parent/libpod-"));
    let s = l.seccomp.as_ref().unwrap();
    assert_eq!(s.filter.default, Action::Errno(38));
    let arch = |name| {
        1 << super::seccomp::ARCHES
            .iter()
            .position(|a| *a == name)
            .unwrap()
    };
    assert_eq!(
        s.architectures,
        arch("SCMP_ARCH_X86_64") | arch("SCMP_ARCH_X86") | arch("SCMP_ARCH_X32")
    );
    assert_eq!(s.flags, 0);
    assert_eq!(s.filter.rules[0].action, Action::Errno(1));
    assert_eq!(s.filter.rules[1].action, Action::Allow);
    assert_eq!(
        s.filter.rules[2],
        Rule {
            names: vec![b"personality".to_vec()],
            action: Action::Allow,
            args: vec![ArgCmp {
                index: 0,
                op: Op::Eq,
                value: 0,
                value_two: 0
            }]
        }
    );
    // What nsrun's compiler does not know in podman's profile (it knows x86_64, i386, aarch64,
    // arm and riscv64): the OCI runtime must skip these names, as libseccomp and runc do.
    let mut unknown: Vec<&[u8]> = Vec::new();
    for rule in &s.filter.rules {
        for name in &rule.names {
            if !crate::confine::seccomp::known(name) {
                unknown.push(name);
            }
        }
    }
    let unknown: Vec<String> = unknown
        .iter()
        .map(|n| String::from_utf8_lossy(n).into())
        .collect();
    assert_eq!(unknown, ["swapcontext", "syscall", "timerfd"]);
}

#[test]
fn full() {
    let c = ok(FULL);
    let p = c.process.unwrap();
    assert_eq!(p.console_size, Some((25, 80)));
    assert_eq!(
        p.user,
        User {
            uid: 1000,
            gid: u32::MAX,
            umask: Some(0o22),
            additional_gids: vec![5, 100]
        }
    );
    assert_eq!(p.args[2], "echo é");
    assert_eq!(p.env, ["PATH=/bin", "EMPTY="]);
    assert_eq!(p.cwd, "/home/u");
    assert_eq!(
        p.capabilities,
        Some(Capabilities {
            bounding: caps(&["chown", "checkpoint_restore"]),
            effective: cap("kill"),
            inheritable: 0,
            permitted: caps(&["kill", "sys_admin"]),
            ambient: cap("net_raw"),
        })
    );
    assert_eq!(p.rlimits[1].soft, u64::MAX);
    assert_eq!(p.rlimits[1].resource, libc::RLIMIT_CORE as u8);
    assert_eq!(p.oom_score_adj, Some(-999));
    assert_eq!(c.domainname.as_deref(), Some("example.org"));
    assert_eq!(
        c.mounts[0].options,
        Options {
            flags: MS_BIND | MS_REC | MS_NOSUID,
            cleared: MS_RDONLY,
            propagation: vec![MS_SLAVE | MS_REC, MS_PRIVATE],
            rec_set: ATTR_RDONLY | ATTR_NOATIME,
            rec_clear: ATTR_ATIME,
            copy_up: false,
            data: "X-mine=1".into(),
        }
    );
    assert_eq!(c.mounts[1].options.data, "size=1m,mode=1777");
    assert!(c.mounts[1].options.copy_up);
    let h = &c.hooks;
    assert_eq!(
        h.prestart,
        [Hook {
            path: "/usr/bin/hook".into(),
            args: vec!["hook".into(), "prestart".into()],
            env: vec!["A=1".into()],
            timeout: Some(5)
        }]
    );
    let paths = |l: &[Hook]| {
        l.iter()
            .map(|h| h.path.clone())
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        [
            paths(&h.create_runtime),
            paths(&h.create_container),
            paths(&h.start_container),
            paths(&h.poststart),
            paths(&h.poststop)
        ],
        ["/a", "/b", "/c", "/d", "/e /f"]
    );
    assert_eq!(h.poststop[1].timeout, Some(1));
    let keys: Vec<&str> = c.annotations.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["z.last", "a.first", "m"]);
    let l = c.linux.unwrap();
    assert_eq!(l.namespaces.len(), 8);
    assert_eq!(l.namespaces[7].kind, Kind::Time);
    assert_eq!(l.namespaces[1].path.as_deref(), Some("/run/netns/x"));
    assert_eq!(l.uid_mappings[0].outside, 100000);
    assert_eq!(l.gid_mappings[0].count, 1);
    assert_eq!(
        l.devices[0],
        Device {
            path: "/dev/fuse".into(),
            kind: DeviceKind::Char,
            major: 10,
            minor: 229,
            file_mode: Some(0o666),
            uid: Some(0),
            gid: Some(0)
        }
    );
    assert_eq!(
        (l.devices[1].kind, l.devices[1].file_mode),
        (DeviceKind::Block, None)
    );
    assert_eq!(l.devices[2].kind, DeviceKind::Fifo);
    let r = l.resources.unwrap();
    assert_eq!(
        r.devices[2],
        DeviceRule {
            allow: true,
            kind: b'b',
            major: None,
            minor: None,
            access: "m".into()
        }
    );
    assert_eq!(
        (r.devices[1].major, r.devices[1].minor),
        (Some(10), Some(229))
    );
    assert_eq!(
        r.memory,
        Some(Memory {
            limit: Some(64 << 20),
            reservation: Some(32 << 20),
            swap: Some(-1),
            swappiness: Some(60),
            disable_oom_killer: Some(false)
        })
    );
    assert_eq!(
        r.cpu,
        Some(Cpu {
            shares: Some(512),
            quota: Some(50000),
            period: Some(100000),
            cpus: None,
            mems: None,
        })
    );
    assert_eq!(r.pids_limit, Some(64));
    assert_eq!(l.rootfs_propagation, Some(MS_SLAVE | MS_REC));
    assert_eq!(l.sysctl[1], ("kernel.msgmax".into(), "8192".into()));
    let s = l.seccomp.unwrap();
    assert_eq!(s.filter.default, Action::Errno(38));
    assert_eq!(
        s.flags,
        super::seccomp::FLAG_LOG | super::seccomp::FLAG_SPEC_ALLOW
    );
    assert_eq!(s.architectures, 1 << 1 | 1 << 4);
    let r = &s.filter.rules;
    // One argument compared twice: one rule per comparison (ORed, as runc does).
    assert_eq!(r.len(), 11);
    assert_eq!((r[1].args.len(), r[2].args.len()), (1, 1));
    assert_eq!((r[1].args[0].value, r[2].args[0].value), (0, 8));
    assert_eq!(r[1].names, r[2].names);
    // Two arguments: one rule, both compared (ANDed).
    assert_eq!(
        r[3].args,
        [
            ArgCmp {
                index: 0,
                op: Op::MaskedEq,
                value: 2114060288,
                value_two: 0
            },
            ArgCmp {
                index: 1,
                op: Op::Lt,
                value: 5,
                value_two: 0
            }
        ]
    );
    let actions: Vec<Action> = r[4..].iter().map(|r| r.action).collect();
    assert_eq!(
        actions,
        [
            Action::Errno(1),
            Action::Trace(7),
            Action::Kill,
            Action::KillProcess,
            Action::Trap,
            Action::Log,
            Action::Kill
        ]
    );
}

/// A process.json for `exec --process`, named in its messages.
#[test]
fn process_json() {
    let p = parse_process(
        br#"{"args": ["ls"], "cwd": "/tmp", "user": {"uid": 7}}"#,
        "p.json",
    );
    assert_eq!(p.map(|p| (p.args, p.user.uid)), Ok((vec!["ls".into()], 7)));
    let e = parse_process(br#"{"args": ["ls"], "cwd": "tmp"}"#, "p.json");
    assert_eq!(
        e.unwrap_err().0,
        r#"p.json: cwd: expected an absolute path, found "tmp""#
    );
}

/// Each refusal, with the line it prints.
#[test]
fn errors() {
    let cases: &[(String, &str)] = &[
        (
            process_doc(r#""user": {"uid": "x"}"#),
            r#"config.json: process.user.uid: expected an integer from 0 to 4294967295, found "x""#,
        ),
        (
            process_doc(r#""user": {"uid": 4294967296}"#),
            "config.json: process.user.uid: expected an integer from 0 to 4294967295, found 4294967296",
        ),
        (
            process_doc(r#""user": {"gid": -1}"#),
            "config.json: process.user.gid: expected an integer from 0 to 4294967295, found -1",
        ),
        (
            process_doc(r#""user": {"uid": 1.0}"#),
            "config.json: process.user.uid: expected an integer from 0 to 4294967295, found a number with a fraction or an exponent, or beyond 64 bits",
        ),
        (
            process_doc(r#""user": {"umask": 512}"#),
            "config.json: process.user.umask: expected an integer from 0 to 511, found 512",
        ),
        (
            process_doc(r#""user": {"additionalGids": [1, "2"]}"#),
            r#"config.json: process.user.additionalGids[1]: expected an integer from 0 to 4294967295, found "2""#,
        ),
        (
            process_doc(r#""user": []"#),
            "config.json: process.user: expected an object, found an array",
        ),
        (
            process_doc(r#""user": {"username": "bob"}"#),
            "config.json: process.user.username: nsrun does not support this field: a Windows field",
        ),
        (
            process_doc(r#""terminal": 1"#),
            "config.json: process.terminal: expected true or false, found 1",
        ),
        (
            process_doc(r#""consoleSize": {"height": 65536}"#),
            "config.json: process.consoleSize.height: expected an integer from 0 to 65535, found 65536",
        ),
        (
            r#"{"ociVersion": "1.0.2", "process": {"args": "sh", "cwd": "/"}}"#.into(),
            r#"config.json: process.args: expected an array, found "sh""#,
        ),
        (
            r#"{"ociVersion": "1.0.2", "process": {"args": ["sh", 1], "cwd": "/"}}"#.into(),
            "config.json: process.args[1]: expected a string, found 1",
        ),
        (
            r#"{"ociVersion": "1.0.2", "process": {"args": ["a\u0000b"], "cwd": "/"}}"#.into(),
            r#"config.json: process.args[0]: a string with a NUL character (\u0000) in it"#,
        ),
        (
            r#"{"ociVersion": "1.0.2", "process": {"args": ["sh"]}}"#.into(),
            "config.json: process.cwd: missing: expected an absolute path",
        ),
        (
            process_doc(r#""env": ["A=1", "B"]"#),
            r#"config.json: process.env[1]: expected NAME=VALUE, found "B""#,
        ),
        (
            process_doc(r#""env": ["=1"]"#),
            r#"config.json: process.env[0]: expected NAME=VALUE, found "=1""#,
        ),
        (
            process_doc(r#""capabilities": {"effective": ["CAP_KILL", "CAP_FOO"]}"#),
            r#"config.json: process.capabilities.effective[1]: unknown capability "CAP_FOO""#,
        ),
        (
            process_doc(r#""capabilities": {"ambient": ["kill"]}"#),
            r#"config.json: process.capabilities.ambient[0]: unknown capability "kill""#,
        ),
        (
            process_doc(r#""capabilities": {"bounding": ["CAP_ALL"]}"#),
            r#"config.json: process.capabilities.bounding[0]: unknown capability "CAP_ALL""#,
        ),
        (
            process_doc(r#""rlimits": [{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}]"#),
            r#"config.json: process.rlimits[0].type: unknown resource limit "RLIMIT_FOO""#,
        ),
        (
            process_doc(r#""rlimits": [{"soft": 1, "hard": 1}]"#),
            "config.json: process.rlimits[0].type: missing",
        ),
        (
            process_doc(r#""rlimits": [{"type": "RLIMIT_NOFILE", "soft": 2, "hard": 1}]"#),
            "config.json: process.rlimits[0].soft: above the hard limit",
        ),
        (
            process_doc(
                r#""rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1}, {"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1}]"#,
            ),
            r#"config.json: process.rlimits[1].type: "RLIMIT_NOFILE" given twice"#,
        ),
        (
            process_doc(r#""rlimits": [{"type": "RLIMIT_NOFILE", "soft": -1, "hard": 1}]"#),
            "config.json: process.rlimits[0].soft: expected an integer from 0 to 18446744073709551615, found -1",
        ),
        (
            process_doc(r#""oomScoreAdj": 1001"#),
            "config.json: process.oomScoreAdj: expected an integer from -1000 to 1000, found 1001",
        ),
        (
            process_doc(r#""apparmorProfile": "docker-default""#),
            "config.json: process.apparmorProfile: nsrun does not support this field: AppArmor profiles",
        ),
        (
            process_doc(r#""User": {"uid": 0}"#),
            r#"config.json: process: "User" is not a field: names are case-sensitive ("user" is meant?)"#,
        ),
        (
            r#"{"process": {"args": ["sh"], "cwd": "/"}}"#.into(),
            "config.json: ociVersion: missing: expected a 1.x version of the runtime spec",
        ),
        (
            r#"{"ociVersion": "2.0.0"}"#.into(),
            r#"config.json: ociVersion: expected a 1.x version of the runtime spec, found "2.0.0""#,
        ),
        (
            r#"["ociVersion"]"#.into(),
            "config.json: expected an object, found an array",
        ),
        (
            doc(r#""root": {"readonly": true}"#),
            "config.json: root.path: missing: expected the root filesystem's path",
        ),
        (
            doc(r#""root": {"path": "r", "readonly": "yes"}"#),
            r#"config.json: root.readonly: expected true or false, found "yes""#,
        ),
        (
            doc(&["\"hostname\": \"", &"h".repeat(65), "\""].concat()),
            r#"config.json: hostname: expected a name of at most 64 bytes, found "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"..."#,
        ),
        (
            doc(r#""mounts": [{"destination": "/a"}, {"destination": "b"}]"#),
            r#"config.json: mounts[1].destination: expected an absolute path, found "b""#,
        ),
        (
            doc(r#""mounts": [{"destination": "/a", "options": ["ro", 5]}]"#),
            "config.json: mounts[0].options[1]: expected a string, found 5",
        ),
        (
            doc(r#""mounts": [{"destination": "/a", "options": ["bind", "idmap"]}]"#),
            "config.json: mounts[0].options[1]: nsrun does not support idmapped mounts",
        ),
        (
            doc(r#""mounts": [{"destination": "/a", "options": ["ridmap"]}]"#),
            "config.json: mounts[0].options[0]: nsrun does not support idmapped mounts",
        ),
        (
            doc(
                r#""mounts": [{"destination": "/a", "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}]}]"#,
            ),
            "config.json: mounts[0].uidMappings: nsrun does not support this field: idmapped mounts",
        ),
        (
            doc(r#""hooks": {"poststop": [{"path": "hook"}]}"#),
            r#"config.json: hooks.poststop[0].path: expected an absolute path, found "hook""#,
        ),
        (
            doc(r#""hooks": {"prestart": [{"path": "/h", "timeout": 0}]}"#),
            "config.json: hooks.prestart[0].timeout: expected a number of seconds above 0, found 0",
        ),
        (
            doc(r#""hooks": {"createRuntime": [{"path": "/h", "args": [true]}]}"#),
            "config.json: hooks.createRuntime[0].args[0]: expected a string, found true",
        ),
        (
            doc(r#""hooks": {"poststart": [{"path": "/h", "env": ["PATH"]}]}"#),
            r#"config.json: hooks.poststart[0].env[0]: expected NAME=VALUE, found "PATH""#,
        ),
        (
            doc(r#""annotations": {"a": "1", "b": 2}"#),
            r#"config.json: annotations["b"]: expected a string, found 2"#,
        ),
        (
            doc(r#""linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "foo"}]}"#),
            r#"config.json: linux.namespaces[2].type: unknown namespace type "foo""#,
        ),
        (
            doc(r#""linux": {"namespaces": [{"type": "pid"}, {"type": "pid"}]}"#),
            r#"config.json: linux.namespaces[1].type: "pid" given twice"#,
        ),
        (
            doc(r#""linux": {"namespaces": [{"type": "network", "path": "netns"}]}"#),
            r#"config.json: linux.namespaces[0].path: expected an absolute path, found "netns""#,
        ),
        (
            doc(r#""linux": {"uidMappings": [{"containerID": 0, "hostID": -5, "size": 1}]}"#),
            "config.json: linux.uidMappings[0].hostID: expected an integer from 0 to 4294967295, found -5",
        ),
        (
            doc(r#""linux": {"devices": [{"path": "/dev/x", "type": "q"}]}"#),
            r#"config.json: linux.devices[0].type: unknown device type "q""#,
        ),
        (
            doc(r#""linux": {"devices": [{"path": "/dev/x", "type": "c", "major": 4096}]}"#),
            "config.json: linux.devices[0].major: expected an integer from 0 to 4095, found 4096",
        ),
        (
            doc(r#""linux": {"devices": [{"path": "/dev/x", "type": "c", "minor": 1048576}]}"#),
            "config.json: linux.devices[0].minor: expected an integer from 0 to 1048575, found 1048576",
        ),
        (
            doc(r#""linux": {"devices": [{"path": "/dev/x", "type": "c", "fileMode": 4096}]}"#),
            "config.json: linux.devices[0].fileMode: expected an integer from 0 to 4095, found 4096",
        ),
        (
            doc(r#""linux": {"devices": [{"path": "dev/x", "type": "c"}]}"#),
            r#"config.json: linux.devices[0].path: expected an absolute path, found "dev/x""#,
        ),
        (
            doc(r#""linux": {"resources": {"devices": [{"allow": true, "type": "p"}]}}"#),
            r#"config.json: linux.resources.devices[0].type: expected "a", "c" or "b", found "p""#,
        ),
        (
            doc(r#""linux": {"resources": {"devices": [{"allow": true, "access": "rwx"}]}}"#),
            r#"config.json: linux.resources.devices[0].access: expected some of the letters r, w and m, once each, found "rwx""#,
        ),
        (
            doc(r#""linux": {"resources": {"devices": [{"allow": true, "access": "rr"}]}}"#),
            r#"config.json: linux.resources.devices[0].access: expected some of the letters r, w and m, once each, found "rr""#,
        ),
        (
            doc(r#""linux": {"resources": {"devices": [{"allow": true, "major": -2}]}}"#),
            "config.json: linux.resources.devices[0].major: expected an integer from -1 to 4095, found -2",
        ),
        (
            doc(r#""linux": {"resources": {"memory": {"limit": 9223372036854775808}}}"#),
            "config.json: linux.resources.memory.limit: expected an integer from -9223372036854775808 to 9223372036854775807, found 9223372036854775808",
        ),
        (
            doc(r#""linux": {"resources": {"memory": {"swappiness": 101}}}"#),
            "config.json: linux.resources.memory.swappiness: expected an integer from 0 to 100, found 101",
        ),
        (
            // 0 is no limit for runc too (it writes kernel memory limits only when not 0).
            doc(r#""linux": {"resources": {"memory": {"kernel": 1, "limit": 0}}}"#),
            "config.json: linux.resources.memory.kernel: nsrun does not support this field: kernel memory limits (obsolete since Linux 5.4)",
        ),
        (
            doc(r#""linux": {"resources": {"cpu": {"cpus": 1}}}"#),
            "config.json: linux.resources.cpu.cpus: expected a string, found 1",
        ),
        (
            doc(r#""linux": {"resources": {"blockIO": {"weight": 10}}}"#),
            "config.json: linux.resources.blockIO: nsrun does not support this field: the blkio/io controller",
        ),
        (
            doc(r#""linux": {"resources": {"pids": {"limit": "10"}}}"#),
            r#"config.json: linux.resources.pids.limit: expected an integer from -9223372036854775808 to 9223372036854775807, found "10""#,
        ),
        (
            doc(r#""linux": {"rootfsPropagation": "rshared2"}"#),
            r#"config.json: linux.rootfsPropagation: unknown propagation "rshared2""#,
        ),
        (
            doc(r#""linux": {"maskedPaths": ["/ok", "proc/kcore"]}"#),
            r#"config.json: linux.maskedPaths[1]: expected an absolute path, found "proc/kcore""#,
        ),
        (
            doc(r#""linux": {"sysctl": {"net.ipv4.ip_forward": 1}}"#),
            r#"config.json: linux.sysctl["net.ipv4.ip_forward"]: expected a string, found 1"#,
        ),
        (
            doc(r#""linux": {"sysctl": {"a\nb": 1}}"#),
            r#"config.json: linux.sysctl["a\nb"]: expected a string, found 1"#,
        ),
        (
            doc(r#""linux": {"seccomp": {"syscalls": []}}"#),
            "config.json: linux.seccomp.defaultAction: missing (an action such as \"SCMP_ACT_ERRNO\")",
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_FOO"}}"#),
            r#"config.json: linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_FOO""#,
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1}}"#),
            "config.json: linux.seccomp.defaultErrnoRet: given with an action other than SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 65536}}"#),
            "config.json: linux.seccomp.defaultErrnoRet: expected an integer from 0 to 65535, found 65536",
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_NOTIFY"}}"#),
            "config.json: linux.seccomp.defaultAction: nsrun does not support seccomp user notification (SCMP_ACT_NOTIFY)",
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/l"}}"#),
            "config.json: linux.seccomp.listenerPath: nsrun does not support this field: seccomp user notification (SCMP_ACT_NOTIFY)",
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]}}"#),
            r#"config.json: linux.seccomp.architectures[0]: unknown architecture "SCMP_ARCH_VAX""#,
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_TSYNC"]}}"#),
            r#"config.json: linux.seccomp.flags[0]: unknown seccomp flag "SECCOMP_FILTER_FLAG_TSYNC""#,
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]}}"#),
            "config.json: linux.seccomp.flags[0]: nsrun does not support SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (only for user notification)",
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}}"#),
            "config.json: linux.seccomp.syscalls[0].action: nsrun does not support seccomp user notification (SCMP_ACT_NOTIFY)",
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"]}]}}"#),
            "config.json: linux.seccomp.syscalls[0].action: missing (an action such as \"SCMP_ACT_ERRNO\")",
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]}}"#),
            "config.json: linux.seccomp.syscalls[0].errnoRet: given with an action other than SCMP_ACT_ERRNO or SCMP_ACT_TRACE",
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}}"#),
            "config.json: linux.seccomp.syscalls[0].args[0].index: expected an integer from 0 to 5, found 6",
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1}]}]}}"#),
            "config.json: linux.seccomp.syscalls[0].args[0].op: missing (an operator such as \"SCMP_CMP_EQ\")",
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_XX"}]}]}}"#),
            r#"config.json: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "SCMP_CMP_XX""#,
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1.5, "op": "SCMP_CMP_EQ"}]}]}}"#),
            "config.json: linux.seccomp.syscalls[0].args[0].value: expected an integer from 0 to 18446744073709551615, found a number with a fraction or an exponent, or beyond 64 bits",
        ),
        (
            doc(r#""linux": {"intelRdt": {"closID": "x"}}"#),
            "config.json: linux.intelRdt: nsrun does not support this field: Intel RDT (resctrl)",
        ),
        (
            doc(r#""linux": {"timeOffsets": {"monotonic": {"secs": 1}}}"#),
            "config.json: linux.timeOffsets: nsrun does not support this field: time namespace offsets",
        ),
        (
            doc(r#""windows": {"layerFolders": ["C:\\l"]}, "vm": null"#),
            "config.json: windows: nsrun does not support this field: a Windows section",
        ),
        (
            doc(r#""linux": {"namespaces": [{"path": "/x"}]}"#),
            "config.json: linux.namespaces[0].type: missing",
        ),
        (
            doc(r#""linux": {"devices": [{"path": "/dev/x"}]}"#),
            "config.json: linux.devices[0].type: missing",
        ),
        (
            doc(r#""annotations": ["a"]"#),
            "config.json: annotations: expected an object, found an array",
        ),
        (
            doc(r#""mounts": {"destination": "/a"}"#),
            "config.json: mounts: expected an array, found an object",
        ),
        (
            doc(r#""mounts": ["/a"]"#),
            r#"config.json: mounts[0]: expected an object, found "/a""#,
        ),
        (
            doc(r#""domainname": 5"#),
            "config.json: domainname: expected a string, found 5",
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": "read", "action": "SCMP_ACT_ALLOW"}]}}"#),
            r#"config.json: linux.seccomp.syscalls[0].names: expected an array, found "read""#,
        ),
        (
            doc(r#""linux": {"sysctl": {"net/../../sysrq-trigger": "b"}}"#),
            r#"config.json: linux.sysctl["net/../../sysrq-trigger"]: not a sysctl name (dotted, as net.ipv4.ip_forward)"#,
        ),
        (
            doc(r#""linux": {"sysctl": {"net..ipv4": "1"}}"#),
            r#"config.json: linux.sysctl["net..ipv4"]: not a sysctl name (dotted, as net.ipv4.ip_forward)"#,
        ),
        (
            doc(r#""linux": {"sysctl": {"": "1"}}"#),
            r#"config.json: linux.sysctl[""]: not a sysctl name (dotted, as net.ipv4.ip_forward)"#,
        ),
        (
            doc(r#""linux": {"cgroupsPath": "/nsrun/../../x"}"#),
            "config.json: linux.cgroupsPath: must not have . or .. components",
        ),
        (
            doc(r#""linux": {"cgroupsPath": "/"}"#),
            "config.json: linux.cgroupsPath: must name a cgroup below the root",
        ),
        (
            // Go's decoder folds the Kelvin sign to k and the long s to s: "ſource" would be
            // "source" to runc, so nsrun does not read it as another, unknown, property.
            doc(r#""mounts": [{"destination": "/a", "source": "/x", "ſource": "/y"}]"#),
            r#"config.json: mounts[0]: "ſource" is not a field: names are case-sensitive ("source" is meant?)"#,
        ),
        (
            doc(r#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ", "valuetwo": 1}]}]}}"#),
            r#"config.json: linux.seccomp.syscalls[0].args[0]: "valuetwo" is not a field: names are case-sensitive ("valueTwo" is meant?)"#,
        ),
        (
            process_doc(r#""Keep": 1, "noNewPrivileges": true, "NoNewPrivileges": false"#),
            r#"config.json: process: "NoNewPrivileges" is not a field: names are case-sensitive ("noNewPrivileges" is meant?)"#,
        ),
        (
            doc(r#""linux": {"Namespaces": []}"#),
            r#"config.json: linux: "Namespaces" is not a field: names are case-sensitive ("namespaces" is meant?)"#,
        ),
    ];
    for (text, line) in cases {
        assert_eq!(err(text), *line, "{text}");
    }
}

/// A small document cannot make a huge filter: a rule comparing one argument many times is
/// split into one rule per comparison, each with the names, and the names are bounded.
#[test]
fn seccomp_blowup_bounded() {
    let names = alloc::vec!["\"read\""; 300].join(", ");
    let arg = r#"{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}"#;
    let args = alloc::vec![arg; 300].join(", ");
    let rule = [
        "{\"names\": [",
        &names,
        "], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [",
        &args,
        "]}",
    ]
    .concat();
    let seccomp = [
        "\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [",
        &rule,
        "]}}",
    ]
    .concat();
    assert_eq!(
        err(&doc(&seccomp)),
        "config.json: linux.seccomp.syscalls[0]: more syscall names in all the rules than a filter can hold (65536)"
    );
    // 200 comparisons of argument 0 with 300 names: 60000 names, still taken.
    let args = alloc::vec![arg; 200].join(", ");
    let rule = [
        "{\"names\": [",
        &names,
        "], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [",
        &args,
        "]}",
    ]
    .concat();
    let seccomp = [
        "\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [",
        &rule,
        "]}}",
    ]
    .concat();
    let c = ok(doc(&seccomp).as_bytes());
    assert_eq!(c.linux.unwrap().seccomp.unwrap().filter.rules.len(), 200);
    // 100000 comparisons of one argument: refused, and found so in linear time (a pairwise
    // check for an argument compared twice would not end).
    let args = alloc::vec![arg; 100_000].join(", ");
    let rule = [
        "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [",
        &args,
        "]}",
    ]
    .concat();
    let seccomp = [
        "\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [",
        &rule,
        "]}}",
    ]
    .concat();
    assert!(err(&doc(&seccomp)).ends_with("than a filter can hold (65536)"));
}

/// JSON that is not JSON: the byte offset and the line and column.
#[test]
fn syntax_errors() {
    assert_eq!(
        err("{\n  \"ociVersion\": \"1.0.2\",\n  \"process\": {\"args\": [\"sh\",]}\n}"),
        "config.json: byte 55 (line 3, column 29): not a JSON value"
    );
    assert_eq!(
        err("{\"é\": 1 2}"),
        "config.json: byte 9 (line 1, column 9): expected ',' or '}' in an object"
    );
    assert_eq!(
        err(""),
        "config.json: byte 0 (line 1, column 1): the document ends where a value should be"
    );
    let deep = "[".repeat(200);
    assert_eq!(
        err(&deep),
        "config.json: byte 128 (line 1, column 129): nested more than 128 deep"
    );
    assert_eq!(
        parse_process(b"{\"args\": [\"a\"]", "p.json")
            .unwrap_err()
            .0,
        "p.json: byte 14 (line 1, column 15): expected ',' or '}' in an object"
    );
}

/// Sets the member at `path` (dotted, `name[]` for element 0 of an array) of `doc` to `value`,
/// making the objects on the way.
fn set(doc: &mut Value, path: &str, value: Value) {
    let mut node = doc;
    for part in path.split('.') {
        let (name, first) = match part.strip_suffix("[]") {
            Some(name) => (name, true),
            None => (part, false),
        };
        let Value::Object(members) = node else {
            panic!("{path}: not an object at {part}");
        };
        let at = match members.iter().position(|(k, _)| k == name) {
            Some(at) => at,
            None => {
                members.push((name.into(), Value::Object(Vec::new())));
                members.len() - 1
            }
        };
        node = &mut members[at].1;
        if first {
            let Value::Array(items) = node else {
                panic!("{path}: not an array at {part}");
            };
            node = &mut items[0];
        }
    }
    *node = value;
}

/// Every field row of [`REFUSED`] is refused when set, and accepted when empty: what `features`
/// prints is what the parser does.
#[test]
fn refused_table() {
    let base = doc(
        r#""mounts": [{"destination": "/m"}], "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW"}}"#,
    );
    let base = crate::json::parse(base.as_bytes()).unwrap();
    let mut fields = 0;
    for row in REFUSED {
        if row.path.contains(' ') {
            continue;
        }
        fields += 1;
        for (value, refused) in [
            ("1", true),
            ("-1", true),
            ("\"x\"", true),
            ("{\"a\": true}", true),
            ("[0]", true),
            ("true", true),
            ("null", false),
            ("\"\"", false),
            ("{}", false),
            ("[]", false),
            ("false", false),
            ("0", false),
            ("{\"a\": {\"b\": [], \"c\": null}}", false),
        ] {
            let mut doc = base.clone();
            set(
                &mut doc,
                row.path,
                crate::json::parse(value.as_bytes()).unwrap(),
            );
            let got = config::config(&doc, read::At::file("config.json"));
            match refused {
                true => {
                    let line = got.expect_err(row.path).0;
                    let name = row.path.replace("[]", "[0]");
                    let head = [
                        "config.json: ",
                        &name,
                        ": nsrun does not support this field: ",
                        row.why,
                    ]
                    .concat();
                    assert_eq!(line, head, "{value}");
                }
                false => assert!(got.is_ok(), "{} = {value}: {got:?}", row.path),
            }
        }
    }
    assert_eq!(fields, REFUSED.len() - 4);
}

fn words(list: &[&str]) -> Result<Options, Error> {
    let values: Vec<Value> = list.iter().map(|w| Value::Str((*w).into())).collect();
    mount::options(&values, &read::At::file("config.json").key("o"))
}

/// The option words, one by one and in combinations where order decides.
#[test]
fn mount_options() {
    let flag = |w: &str| words(&[w]).unwrap();
    for (word, set) in [
        ("ro", MS_RDONLY),
        ("nosuid", MS_NOSUID),
        ("nodev", MS_NODEV),
        ("noexec", MS_NOEXEC),
        ("sync", MS_SYNCHRONOUS),
        ("remount", MS_REMOUNT),
        ("mand", MS_MANDLOCK),
        ("dirsync", MS_DIRSYNC),
        ("nosymfollow", MS_NOSYMFOLLOW),
        ("noatime", MS_NOATIME),
        ("nodiratime", MS_NODIRATIME),
        ("bind", MS_BIND),
        ("rbind", MS_BIND | MS_REC),
        ("silent", MS_SILENT),
        ("acl", MS_POSIXACL),
        ("relatime", MS_RELATIME),
        ("iversion", MS_I_VERSION),
        ("strictatime", MS_STRICTATIME),
        ("lazytime", MS_LAZYTIME),
        ("defaults", 0),
    ] {
        assert_eq!((flag(word).flags, flag(word).cleared), (set, 0), "{word}");
    }
    for (word, cleared) in [
        ("rw", MS_RDONLY),
        ("suid", MS_NOSUID),
        ("dev", MS_NODEV),
        ("exec", MS_NOEXEC),
        ("async", MS_SYNCHRONOUS),
        ("nomand", MS_MANDLOCK),
        ("symfollow", MS_NOSYMFOLLOW),
        ("atime", MS_NOATIME),
        ("diratime", MS_NODIRATIME),
        ("loud", MS_SILENT),
        ("noacl", MS_POSIXACL),
        ("norelatime", MS_RELATIME),
        ("noiversion", MS_I_VERSION),
        ("nostrictatime", MS_STRICTATIME),
        ("nolazytime", MS_LAZYTIME),
    ] {
        assert_eq!(
            (flag(word).flags, flag(word).cleared),
            (0, cleared),
            "{word}"
        );
    }
    for (word, prop) in [
        ("private", MS_PRIVATE),
        ("rprivate", MS_PRIVATE | MS_REC),
        ("shared", MS_SHARED),
        ("rshared", MS_SHARED | MS_REC),
        ("slave", MS_SLAVE),
        ("rslave", MS_SLAVE | MS_REC),
        ("unbindable", MS_UNBINDABLE),
        ("runbindable", MS_UNBINDABLE | MS_REC),
    ] {
        assert_eq!(flag(word).propagation, [prop], "{word}");
        assert_eq!(flag(word).flags, 0, "{word}");
    }
    for (word, set, clear) in [
        ("rro", ATTR_RDONLY, 0),
        ("rrw", 0, ATTR_RDONLY),
        ("rnosuid", ATTR_NOSUID, 0),
        ("rsuid", 0, ATTR_NOSUID),
        ("rnodev", ATTR_NODEV, 0),
        ("rdev", 0, ATTR_NODEV),
        ("rnoexec", ATTR_NOEXEC, 0),
        ("rexec", 0, ATTR_NOEXEC),
        ("rnodiratime", ATTR_NODIRATIME, 0),
        ("rdiratime", 0, ATTR_NODIRATIME),
        ("rnosymfollow", ATTR_NOSYMFOLLOW, 0),
        ("rsymfollow", 0, ATTR_NOSYMFOLLOW),
        ("rrelatime", 0, ATTR_ATIME),
        ("rnoatime", ATTR_NOATIME, ATTR_ATIME),
        ("rstrictatime", ATTR_STRICTATIME, ATTR_ATIME),
    ] {
        let o = flag(word);
        assert_eq!((o.rec_set, o.rec_clear, o.flags), (set, clear, 0), "{word}");
    }
    // The later word wins; each word once in the masks.
    let o = words(&["ro", "rw"]).unwrap();
    assert_eq!((o.flags, o.cleared), (0, MS_RDONLY));
    let o = words(&["rw", "ro", "suid", "nosuid"]).unwrap();
    assert_eq!((o.flags, o.cleared), (MS_RDONLY | MS_NOSUID, 0));
    let o = words(&["rro", "rrw"]).unwrap();
    assert_eq!((o.rec_set, o.rec_clear), (0, ATTR_RDONLY));
    let o = words(&["rrw", "rro"]).unwrap();
    assert_eq!((o.rec_set, o.rec_clear), (ATTR_RDONLY, 0));
    let o = words(&["rnoatime", "rstrictatime"]).unwrap();
    assert_eq!((o.rec_set, o.rec_clear), (ATTR_STRICTATIME, ATTR_ATIME));
    let o = words(&["rnoatime", "rrelatime"]).unwrap();
    assert_eq!((o.rec_set, o.rec_clear), (0, ATTR_ATIME));
    // Propagation changes keep their order, repeats included.
    let o = words(&["rshared", "private", "rshared"]).unwrap();
    assert_eq!(
        o.propagation,
        [MS_SHARED | MS_REC, MS_PRIVATE, MS_SHARED | MS_REC]
    );
    // Filesystem data: the unknown words, in order, empty ones dropped; case matters (as runc).
    let o = words(&["mode=755", "", "RO", "nosuid", "size=1m", "X-a,b"]).unwrap();
    assert_eq!(
        (o.flags, o.data.as_str()),
        (MS_NOSUID, "mode=755,RO,size=1m,X-a,b")
    );
    assert!(words(&["tmpcopyup"]).unwrap().copy_up);
    // Every word is known as a word, so none falls to the data string.
    assert_eq!(mount::words().count(), 61);
    for w in mount::words().filter(|w| !w.ends_with("idmap")) {
        assert!(words(&[w]).unwrap().data.is_empty(), "{w}");
    }
    assert_eq!(words(&[]).unwrap(), Options::default());
    assert_eq!(
        words(&["ro", "idmap"]).unwrap_err().0,
        "config.json: o[1]: nsrun does not support idmapped mounts"
    );
}

/// Numbers a little xorshift makes: the same cases on every run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 as usize
    }
}

/// A refusal is one line naming the file.
fn check_line(result: Result<Config, Error>) {
    if let Err(e) = result {
        assert!(e.0.starts_with("config.json: "), "{}", e.0);
        assert!(!e.0.contains('\n') && e.0.len() < 400, "{}", e.0);
    }
}

/// Truncated and byte-flipped fixtures never panic: refused in one line, or read.
#[test]
fn mangled_bytes_never_panic() {
    let mut dice = Dice(0x2545_f491_4f6c_dd1d);
    let bytes = b"{}[]\",:\\0123456789-.eE truenl\x00\xff";
    for text in [RUNC, RUNC_ROOTLESS, CONTAINERD, PODMAN, FULL] {
        for end in (0..text.len()).step_by(7) {
            check_line(parse(&text[..end]));
        }
        for _ in 0..600 {
            let mut d = text.to_vec();
            for _ in 0..1 + dice.next() % 3 {
                let i = dice.next() % d.len();
                d[i] = bytes[dice.next() % bytes.len()];
            }
            check_line(parse(&d));
        }
    }
}

fn count(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(members) => members.iter().map(|(_, v)| count(v)).sum(),
        _ => 0,
    }
}

/// The `n`th node of `value` in preorder.
fn nth(value: &mut Value, mut n: usize) -> &mut Value {
    if n == 0 {
        return value;
    }
    n -= 1;
    let children: Vec<&mut Value> = match value {
        Value::Array(items) => items.iter_mut().collect(),
        Value::Object(members) => members.iter_mut().map(|(_, v)| v).collect(),
        _ => Vec::new(),
    };
    for child in children {
        let size = count(child);
        if n < size {
            return nth(child, n);
        }
        n -= size;
    }
    unreachable!("fewer nodes than counted")
}

/// Documents that are JSON but not what the spec's types say: any node of a real config
/// replaced by a value of another type or at the edge of a range. Never a panic; a refusal is
/// one line.
#[test]
fn mangled_trees_never_panic() {
    let pool = [
        Value::Null,
        Value::Bool(true),
        Value::Bool(false),
        Value::Int(-1),
        Value::Int(0),
        Value::Int(i64::MIN),
        Value::Int(i64::MAX),
        Value::UInt(u64::MAX),
        Value::Number("1.5".into()),
        Value::Str(String::new()),
        Value::Str("x".into()),
        Value::Str("/a".into()),
        Value::Str("a\u{0}b".into()),
        Value::Str("é".repeat(500)),
        Value::Array(Vec::new()),
        Value::Array(vec![Value::Str("y".into()), Value::Int(3)]),
        Value::Object(Vec::new()),
        Value::Object(vec![("type".into(), Value::Str("pid".into()))]),
    ];
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    for text in [FULL, PODMAN, RUNC_ROOTLESS] {
        let tree = crate::json::parse(text).unwrap();
        let nodes = count(&tree);
        for _ in 0..1500 {
            let mut t = tree.clone();
            for _ in 0..1 + dice.next() % 3 {
                let n = dice.next() % count(&t);
                *nth(&mut t, n) = pool[dice.next() % pool.len()].clone();
            }
            check_line(config::config(&t, read::At::file("config.json")));
        }
        assert!(nodes > 100);
    }
}

/// Big documents: many members are read, a huge value is cut in the message, and nesting past
/// the limit is refused, anywhere.
#[test]
fn huge_documents() {
    let mount = r#"{"destination": "/m", "type": "tmpfs", "options": ["nosuid", "size=1m"]}"#;
    let mounts = alloc::vec![mount; 50_000].join(", ");
    let c = ok(doc(&["\"mounts\": [", &mounts, "]"].concat()).as_bytes());
    assert_eq!(c.mounts.len(), 50_000);
    let long = "h".repeat(1 << 20);
    let line = err(&doc(&["\"hostname\": \"", &long, "\""].concat()));
    assert!(line.len() < 200, "{line}");
    let key = "k".repeat(1 << 20);
    let line = err(&doc(&["\"annotations\": {\"", &key, "\": 1}"].concat()));
    assert!(line.len() < 200, "{line}");
    let line = err(&doc(&[
        "\"Annotations\": {\"",
        &key,
        "\": 1}, \"annotations\": {}",
    ]
    .concat()));
    assert!(line.len() < 200, "{line}");
    let deep = ["[".repeat(129), "]".repeat(129)].concat();
    let line = err(&doc(&["\"annotations\": {\"a\": ", &deep, "}"].concat()));
    assert!(line.ends_with("nested more than 128 deep"), "{line}");
    let deep = ["[".repeat(120), "]".repeat(120)].concat();
    let line = err(&doc(&["\"annotations\": {\"a\": ", &deep, "}"].concat()));
    assert_eq!(
        line,
        r#"config.json: annotations["a"]: expected a string, found an array"#
    );
    let deep = ["[".repeat(120), "]".repeat(120)].concat();
    assert!(parse(doc(&["\"x-unknown\": ", &deep].concat()).as_bytes()).is_ok());
}

#[test]
fn every_rootfs_propagation_name_is_read_with_its_flags() {
    for (word, flags) in [
        ("private", MS_PRIVATE),
        ("rprivate", MS_PRIVATE | MS_REC),
        ("shared", MS_SHARED),
        ("rshared", MS_SHARED | MS_REC),
        ("slave", MS_SLAVE),
        ("rslave", MS_SLAVE | MS_REC),
        ("unbindable", MS_UNBINDABLE),
        ("runbindable", MS_UNBINDABLE | MS_REC),
    ] {
        let text = doc(&format!(r#""linux": {{"rootfsPropagation": "{word}"}}"#));
        let c = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{word}: {}", e.0));
        assert_eq!(c.linux.unwrap().rootfs_propagation, Some(flags), "{word}");
    }
}
