//! `nsrun run --oci-bundle DIR`: a config.json mapped by `oci::to_spec` and run by the normal
//! launcher, checked from inside busybox containers (ids, capabilities, limits, mounts, devices,
//! masked and read-only paths, sysctls, a joined namespace, seccomp, the cgroup), and bad configs
//! refused in one line naming the JSON path. Everything runs in the containers' own namespaces;
//! the host's mount table and the rootfs are checked unchanged at the end of each test.

mod common;
mod rootfs;

use std::path::PathBuf;
use std::process::Command;

use common::{nsrun, require_root, run};
use rootfs::Rootfs;

/// The default namespaces of the tests' containers.
const NS: &str =
    r#"{"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "ipc"}, {"type": "network"}"#;

/// The mounts of runc's default spec that a busybox rootfs can take (/dev as a tmpfs with
/// pts and shm, proc, a read-only sysfs), then `extra`.
fn mounts(extra: &str) -> String {
    let mut m = String::from(
        r#"{"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}"#,
    );
    if !extra.is_empty() {
        m.push_str(", ");
        m.push_str(extra);
    }
    m
}

/// Writes `config` as the bundle's config.json (the rootfs is `rootfs` next to it) and runs it.
fn run_bundle(root: &Rootfs, config: &str) -> common::Output {
    let bundle = bundle_of(root);
    std::fs::write(bundle.join("config.json"), config).expect("write config.json");
    nsrun(&["run", "--oci-bundle", bundle.to_str().unwrap()])
}

fn bundle_of(root: &Rootfs) -> PathBuf {
    root.root().parent().unwrap().to_path_buf()
}

/// A config.json: `process` members (args and the rest), top-level members, `linux` members.
fn config(process: &str, top: &str, linux: &str) -> String {
    format!(
        r#"{{"ociVersion": "1.0.2", "root": {{"path": "rootfs"}},
        "process": {{"cwd": "/", "env": ["PATH=/bin"], {process}}}
        {top},
        "linux": {{{linux}}}}}"#
    )
}

/// The value of `key` in `/proc/self/status`-like text (`Key:\tvalue`).
fn field<'a>(text: &'a str, key: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix(':')))
        .map(str::trim)
        .unwrap_or_else(|| panic!("{key} not in\n{text}"))
}

/// The mountinfo line of mount point `point`: (mount options, optional fields, fstype, super
/// options).
fn mount_of<'a>(mountinfo: &'a str, point: &str) -> (&'a str, &'a str, &'a str, &'a str) {
    let line = mountinfo
        .lines()
        .rfind(|l| l.split(' ').nth(4) == Some(point))
        .unwrap_or_else(|| panic!("{point} not mounted:\n{mountinfo}"));
    let (left, right) = line.split_once(" - ").unwrap();
    let f: Vec<&str> = left.split(' ').collect();
    let optional = if f.len() > 6 { f[6] } else { "" };
    let r: Vec<&str> = right.split(' ').collect();
    (f[5], optional, r[0], r[2])
}

#[test]
fn the_process_is_as_configured() {
    require_root();
    let root = Rootfs::new("oci-process");
    let caps = r#""capabilities": {
        "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"],
        "effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
        "inheritable": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN"],
        "ambient": ["CAP_KILL", "CAP_NET_BIND_SERVICE"]}"#;
    let script = "echo @@ id; id; echo @@ pwd; pwd; echo @@ host; hostname; \
                  echo @@ env; env | sort; echo @@ status; cat /proc/self/status; \
                  echo @@ nofile; ulimit -n; ulimit -Hn; echo @@ umask; umask; \
                  echo @@ oom; cat /proc/self/oom_score_adj; echo @@ pid; echo $$; exit 7";
    let process = format!(
        r#""args": ["/bin/sh", "-c", "{script}"], "env": ["PATH=/bin", "FOO=bar baz"],
        "cwd": "/tmp/work/here", "user": {{"uid": 1000, "gid": 1001, "additionalGids": [5, 6], "umask": 63}},
        {caps}, "rlimits": [{{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}}],
        "noNewPrivileges": true, "oomScoreAdj": 500"#
    );
    let text = format!(
        r#"{{"ociVersion": "1.0.2", "root": {{"path": "rootfs"}}, "hostname": "oci-test",
        "process": {{{process}}}, "mounts": [{}],
        "linux": {{"namespaces": [{NS}]}}}}"#,
        mounts(
            r#"{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777"]}"#
        )
    );
    let out = run_bundle(&root, &text);
    out.assert_code(7);
    assert_eq!(out.stderr, "", "{out}");
    let s = out.sections();
    assert_eq!(s["id"].trim(), "uid=1000 gid=1001 groups=5,6", "{out}");
    assert_eq!(s["pwd"].trim(), "/tmp/work/here", "made, as runc makes it");
    assert_eq!(s["host"].trim(), "oci-test");
    // The whole environment is config.json's.
    assert_eq!(
        s["env"].trim(),
        "FOO=bar baz\nPATH=/bin\nPWD=/tmp/work/here\nSHLVL=1"
    );
    let st = &s["status"];
    // kill (5), net_bind_service (10), chown (0), setuid (7).
    assert_eq!(field(st, "CapBnd"), "00000000000004a1");
    assert_eq!(field(st, "CapInh"), "0000000000000421");
    assert_eq!(field(st, "CapPrm"), "0000000000000420");
    assert_eq!(field(st, "CapEff"), "0000000000000420");
    assert_eq!(field(st, "CapAmb"), "0000000000000420");
    assert_eq!(field(st, "NoNewPrivs"), "1");
    assert_eq!(s["nofile"].trim(), "123\n456");
    assert_eq!(s["umask"].trim(), "0077");
    assert_eq!(s["oom"].trim(), "500");
    // The process is PID 1 of a new PID namespace (no nsrun init).
    assert_eq!(s["pid"].trim(), "1");
    root.finish();
}

#[test]
fn mounts_devices_masks_and_sysctls() {
    require_root();
    let root = Rootfs::new("oci-mounts");
    let host = root.scratch("host");
    std::fs::create_dir_all(host.join("sub")).unwrap();
    std::fs::write(host.join("file"), "hello\n").unwrap();
    let script = "echo @@ mountinfo; cat /proc/self/mountinfo; \
                  echo @@ dev; stat -c '%n %F %t:%T %a %u:%g' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/fuse; \
                  echo @@ links; for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done; \
                  echo @@ shm; stat -c '%a' /dev/shm /tmp; \
                  echo @@ masked; cat /sys/firmware/x 2>&1; ls /sys/firmware | wc -l; \
                  echo @@ ro; (echo 1 > /proc/sys/kernel/ns_last_pid) 2>&1; echo $?; \
                  echo @@ sysctl; cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni /proc/sys/kernel/domainname; \
                  echo @@ write; touch /mnt/w 2>&1; echo $?; cat /mnt/file";
    let extra = format!(
        r#"{{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec", "size=1m", "mode=1777"]}},
        {{"destination": "/mnt", "type": "bind", "source": "{}", "options": ["rbind", "ro", "nosuid", "nodev", "rprivate"]}}"#,
        host.display()
    );
    let text = format!(
        r#"{{"ociVersion": "1.0.2", "root": {{"path": "rootfs", "readonly": true}},
        "domainname": "oci.example",
        "process": {{"args": ["/bin/sh", "-c", "{script}"], "cwd": "/", "env": ["PATH=/bin"]}},
        "mounts": [{}],
        "linux": {{"namespaces": [{NS}],
          "devices": [{{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 384, "uid": 0, "gid": 0}}],
          "sysctl": {{"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234", "kernel.domainname": "set.by.sysctl"}},
          "maskedPaths": ["/sys/firmware", "/proc/kcore", "/nonexistent"],
          "readonlyPaths": ["/proc/sys"]}}}}"#,
        mounts(&extra)
    );
    let out = run_bundle(&root, &text);
    out.assert_ok();
    let s = out.sections();
    let mi = &s["mountinfo"];
    // The root read-only, / alone, after everything was mounted on it; rslave by default (the
    // host's / here is private: no master, nothing shared).
    let (opts, optional, _, _) = mount_of(mi, "/");
    assert!(opts.starts_with("ro,"), "{opts}");
    assert!(!optional.starts_with("shared"), "{optional}");
    let (opts, _, fstype, sb) = mount_of(mi, "/tmp");
    assert_eq!(fstype, "tmpfs");
    assert!(opts.starts_with("rw,nosuid,nodev,noexec"), "{opts}");
    assert!(sb.contains("size=1024k"), "{sb}");
    let (opts, _, _, sb) = mount_of(mi, "/dev/pts");
    assert!(opts.contains("nosuid,noexec"), "{opts}");
    assert!(
        sb.contains("gid=5") && sb.contains("mode=620") && sb.contains("ptmxmode=666"),
        "{sb}"
    );
    let (opts, _, _, sb) = mount_of(mi, "/dev");
    assert!(
        opts.starts_with("rw,nosuid") && !opts.contains("noexec"),
        "{opts}"
    );
    assert!(
        sb.contains("size=65536k") && sb.contains("mode=755"),
        "{sb}"
    );
    let (opts, _, fstype, _) = mount_of(mi, "/sys");
    assert_eq!(fstype, "sysfs");
    assert!(opts.starts_with("ro,nosuid,nodev,noexec"), "{opts}");
    let (opts, optional, _, _) = mount_of(mi, "/mnt");
    assert!(opts.starts_with("ro,nosuid,nodev"), "{opts}");
    assert_eq!(optional, "", "rprivate: no propagation fields");
    assert!(mi
        .lines()
        .any(|l| l.contains(" /mnt/sub ") || l.contains(" /mnt ")));
    assert_eq!(
        s["dev"].trim(),
        "/dev/null character special file 1:3 666 0:0\n\
         /dev/zero character special file 1:5 666 0:0\n\
         /dev/full character special file 1:7 666 0:0\n\
         /dev/random character special file 1:8 666 0:0\n\
         /dev/urandom character special file 1:9 666 0:0\n\
         /dev/tty character special file 5:0 666 0:0\n\
         /dev/fuse character special file a:e5 600 0:0",
        "{out}"
    );
    assert_eq!(
        s["links"].trim(),
        "pts/ptmx\n/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2"
    );
    assert_eq!(s["shm"].trim(), "1777\n1777");
    // A masked directory is an empty read-only tmpfs.
    assert!(s["masked"].contains("No such file"), "{out}");
    assert!(s["masked"].trim().ends_with('0'), "{out}");
    assert!(mount_of(mi, "/sys/firmware").0.starts_with("ro,"));
    assert!(mount_of(mi, "/proc/sys").0.starts_with("ro,"));
    assert!(
        s["ro"].contains("Read-only file system"),
        "/proc/sys: {out}"
    );
    assert!(!s["ro"].trim().ends_with('0'), "/proc/sys: {out}");
    // Written before /proc/sys became read-only, in the container's namespaces.
    assert_eq!(s["sysctl"].trim(), "1\n1234\nset.by.sysctl");
    let w = s["write"].trim();
    assert!(
        w.contains("Read-only file system") && w.ends_with("hello"),
        "{out}"
    );
    assert_ne!(
        std::fs::read_to_string("/proc/sys/kernel/shmmni")
            .unwrap()
            .trim(),
        "1234",
        "the host's IPC namespace is untouched"
    );
    root.finish();
}

#[test]
fn a_network_namespace_joined_by_path() {
    require_root();
    let root = Rootfs::new("oci-join");
    // A process of our own in a new network namespace, ended by its pid.
    let mut holder = Command::new("unshare")
        .args(["--net", "sleep", "30"])
        .spawn()
        .expect("unshare");
    let pid = holder.id();
    let want = loop {
        let mine = std::fs::read_link("/proc/self/ns/net").unwrap();
        match std::fs::read_link(format!("/proc/{pid}/ns/net")) {
            Ok(l) if l != mine => break l,
            _ => std::thread::sleep(std::time::Duration::from_millis(5)),
        }
    };
    let text = config(
        r#""args": ["/bin/sh", "-c", "readlink /proc/self/ns/net; cat /proc/sys/net/ipv4/ip_forward"]"#,
        &format!(r#", "mounts": [{}]"#, mounts("")),
        &format!(
            r#""namespaces": [{{"type": "pid"}}, {{"type": "mount"}}, {{"type": "network", "path": "/proc/{pid}/ns/net"}}],
            "sysctl": {{"net.ipv4.ip_forward": "1"}}"#
        ),
    );
    let out = run_bundle(&root, &text);
    let _ = Command::new("kill").arg(pid.to_string()).status();
    let _ = holder.wait();
    out.assert_ok();
    assert_eq!(out.lines(), [want.to_str().unwrap(), "1"]);
    root.finish();
}

#[test]
fn seccomp_without_no_new_privileges_and_the_cgroup() {
    require_root();
    let root = Rootfs::new("oci-cgroup");
    let name = format!("nsrun-oci-test-{}", std::process::id());
    let script = format!(
        "echo @@ nnp; grep -E 'NoNewPrivs|Seccomp:' /proc/self/status; \
         echo @@ mkdir; mkdir /tmp/d 2>&1; echo $?; \
         echo @@ limits; cat /mnt/memory/{name}/memory.limit_in_bytes /mnt/pids/{name}/pids.max; \
         echo @@ devices; cat /mnt/devices/{name}/devices.list; \
         echo @@ mknod; cat /dev/null && echo null-ok"
    );
    let text = config(
        &format!(r#""args": ["/bin/sh", "-c", "{script}"]"#),
        &format!(
            r#", "mounts": [{}]"#,
            mounts(
                r#"{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"},
                {"destination": "/mnt", "type": "bind", "source": "/sys/fs/cgroup", "options": ["rbind", "ro"]}"#
            )
        ),
        &format!(
            r#""namespaces": [{NS}], "cgroupsPath": "/{name}",
            "resources": {{"memory": {{"limit": 67108864}}, "pids": {{"limit": 42}},
              "devices": [{{"allow": false, "access": "rwm"}}, {{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "r"}}]}},
            "seccomp": {{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
              "syscalls": [{{"names": ["mkdir", "mkdirat", "no_such_syscall_at_all"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}}]}}"#
        ),
    );
    let out = run_bundle(&root, &text);
    out.assert_ok();
    let s = out.sections();
    assert_eq!(s["nnp"].trim(), "NoNewPrivs:\t0\nSeccomp:\t2", "{out}");
    assert!(
        s["mkdir"].contains("Function not implemented") && s["mkdir"].trim().ends_with('1'),
        "{out}"
    );
    assert_eq!(s["limits"].trim(), "67108864\n42");
    let list = &s["devices"];
    assert!(list.lines().any(|l| l == "c 1:11 r"), "{list}");
    assert!(list.lines().any(|l| l == "c 1:3 rwm"), "{list}");
    assert!(
        !list.lines().any(|l| l.starts_with("a ")),
        "deny-all first: {list}"
    );
    assert_eq!(s["mknod"].trim(), "null-ok");
    // Removed with the container (`run`, not `create`: nothing keeps it).
    for c in ["memory", "pids", "devices"] {
        assert!(!PathBuf::from(format!("/sys/fs/cgroup/{c}/{name}")).exists());
    }
    root.finish();
}

#[test]
fn bad_configs_are_refused_naming_the_json_path() {
    require_root();
    let root = Rootfs::new("oci-bad");
    let bundle = bundle_of(&root);
    let cases = [
        (
            config(
                r#""args": ["true"], "user": {"uid": -1}"#,
                "",
                &format!(r#""namespaces": [{NS}]"#),
            ),
            "config.json: process.user.uid: ",
        ),
        (
            config(
                r#""args": ["true"]"#,
                "",
                r#""namespaces": [{"type": "mount"}], "sysctl": {"net.core.somaxconn": "1"}"#,
            ),
            "config.json: linux.sysctl.net.core.somaxconn: needs a new network namespace",
        ),
        (
            config(r#""args": []"#, "", &format!(r#""namespaces": [{NS}]"#)),
            "config.json: process.args: empty",
        ),
        (
            config(
                r#""args": ["true"]"#,
                r#", "mounts": [{"destination": "/x", "type": "tmpfs", "options": ["idmap"]}]"#,
                &format!(r#""namespaces": [{NS}]"#),
            ),
            "config.json: mounts[0].options[0]: nsrun does not support idmapped mounts",
        ),
        (String::from("{\"ociVersion\": "), "config.json: byte "),
        (
            config(
                r#""args": ["true"]"#,
                r#", "hooks": {"poststop": [{"path": "/bin/true"}]}"#,
                &format!(r#""namespaces": [{NS}]"#),
            ),
            "config.json: hooks.poststop: run --oci-bundle runs no hooks",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(bundle.join("config.json"), &text).unwrap();
        let out = nsrun(&["run", "--oci-bundle", bundle.to_str().unwrap()]);
        out.assert_code(2);
        out.assert_one_error_line(&[want]);
    }
    // A failing mount names its JSON path.
    let text = config(
        r#""args": ["true"]"#,
        r#", "mounts": [{"destination": "/mnt", "type": "nosuchfs", "source": "x"}]"#,
        &format!(r#""namespaces": [{NS}]"#),
    );
    std::fs::write(bundle.join("config.json"), text).unwrap();
    let out = nsrun(&["run", "--oci-bundle", bundle.to_str().unwrap()]);
    out.assert_code(125);
    out.assert_one_error_line(&["mounts[0]", "nosuchfs", "/mnt"]);
    std::fs::remove_file(bundle.join("config.json")).unwrap();
    let out = nsrun(&["run", "--oci-bundle", bundle.to_str().unwrap()]);
    out.assert_code(2);
    out.assert_one_error_line(&["config.json: No such file"]);
    let _ = run(&mut Command::new("true"));
    root.finish();
}

/// podman's own seccomp profile and capability sets (tests/oci/podman-create.json) on a busybox
/// bundle: the profile compiles, goes in without no_new_privs (podman sets none) while
/// CAP_SYS_ADMIN is still held, and the shell runs under it with podman's eleven capabilities.
#[test]
fn podmans_seccomp_profile_and_capabilities() {
    require_root();
    common::require_tool("python3");
    let root = Rootfs::new("oci-podman");
    let bundle = bundle_of(&root);
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oci/podman-create.json");
    let script = format!(
        r#"
import json, sys
p = json.load(open({fixture:?}))
c = {{"ociVersion": "1.0.2", "root": {{"path": "rootfs"}},
     "process": {{"args": ["/bin/sh", "-c", "echo ok; grep -E 'Seccomp:|NoNewPrivs|CapEff|CapBnd' /proc/self/status"],
                 "cwd": "/", "env": ["PATH=/bin"], "capabilities": p["process"]["capabilities"]}},
     "mounts": [{{"destination": "/proc", "type": "proc", "source": "proc"}},
                {{"destination": "/dev", "type": "tmpfs", "source": "tmpfs"}}],
     "linux": {{"namespaces": [{{"type": "pid"}}, {{"type": "mount"}}, {{"type": "ipc"}}],
               "seccomp": p["linux"]["seccomp"]}}}}
json.dump(c, open(sys.argv[1], "w"))
"#
    );
    let made = run(Command::new("python3").args([
        "-c",
        &script,
        bundle.join("config.json").to_str().unwrap(),
    ]));
    made.assert_ok();
    let out = nsrun(&["run", "--oci-bundle", bundle.to_str().unwrap()]);
    out.assert_ok();
    assert_eq!(
        out.lines(),
        [
            "ok",
            "CapEff:\t00000000800405fb",
            "CapBnd:\t00000000800405fb",
            "NoNewPrivs:\t0",
            "Seccomp:\t2"
        ],
        "{out}"
    );
    root.finish();
}

/// The host side of the rootfsPropagation test, in a scratch mount namespace made rshared (a
/// systemd host) whose rootfs `$1` is a shared mount of its own (the worst case: the container's
/// / starts as a copy of a peer of the host's), with a shared tmpfs on its /tmp (a submount that
/// comes with the tree; the FIFOs are there): runs the bundle `$2` in the background, and once
/// the container has mounted its tmpfs (it says so on the FIFO tmp/up) counts the `ocitest-leak`
/// mounts on this side, then again after it ended.
const PROPAGATION_HOST: &str = r#"
R=$1; B=$2
mount --make-rshared / && mount --bind "$R" "$R" && mount -t tmpfs ocitest-tmp "$R/tmp" &&
mkfifo "$R/tmp/up" "$R/tmp/go" || exit 99
# Once nsrun has ended, "ended" goes on the FIFO too (opened read-write: never blocks), so a
# container that failed to start does not leave this side waiting.
( "$NSRUN" run --oci-bundle "$B" > "$B/out" 2>&1; echo $? > "$B/rc"; echo ended 1<> "$R/tmp/up" ) &
read -r x < "$R/tmp/up"
echo @@ during; grep -c ocitest-leak /proc/self/mountinfo
[ "$x" = up ] && echo go > "$R/tmp/go"
wait $!; echo @@ status; cat "$B/rc"; rm -f "$B/rc"
echo @@ after; grep -c ocitest-leak /proc/self/mountinfo
echo @@ container; cat "$B/out"; rm -f "$B/out"
"#;

/// The optional fields (`shared:N`, `master:N`, `propagate_from:N`, `unbindable`) of the
/// mountinfo line of `point` (the last, the one on top).
fn optional_fields(mountinfo: &str, point: &str) -> String {
    let line = mountinfo
        .lines()
        .rfind(|l| l.split(' ').nth(4) == Some(point))
        .unwrap_or_else(|| panic!("{point} not mounted:\n{mountinfo}"));
    let left = line.split_once(" - ").unwrap().0;
    left.split(' ').skip(6).collect::<Vec<_>>().join(" ")
}

#[test]
fn rootfs_propagation_is_the_roots_alone_and_nothing_reaches_the_host() {
    require_root();
    let leaks_before = common::host_mountinfo().matches("ocitest").count();
    // rshared is left out: it asks for events both ways (nsrun warns that the container's mounts
    // then reach the host).
    for value in [
        "shared",
        "slave",
        "private",
        "unbindable",
        "rslave",
        "rprivate",
        "runbindable",
    ] {
        let root = Rootfs::new("oci-rootprop");
        let script = "echo @@ mountinfo; cat /proc/self/mountinfo; \
                      mount -t tmpfs ocitest-leak /mnt && echo @@ mounted; \
                      echo up > /tmp/up; read -r x < /tmp/go";
        let text = format!(
            r#"{{"ociVersion": "1.0.2", "root": {{"path": "rootfs"}},
            "process": {{"cwd": "/", "env": ["PATH=/bin"], "args": ["/bin/sh", "-c", "{script}"],
              "capabilities": {{"bounding": ["CAP_SYS_ADMIN"], "effective": ["CAP_SYS_ADMIN"], "permitted": ["CAP_SYS_ADMIN"]}}}},
            "mounts": [{}],
            "linux": {{"namespaces": [{NS}], "rootfsPropagation": "{value}"}}}}"#,
            mounts("")
        );
        let bundle = bundle_of(&root);
        std::fs::write(bundle.join("config.json"), &text).unwrap();
        let out = common::in_scratch_mount_ns(
            PROPAGATION_HOST,
            &[root.root_str(), bundle.to_str().unwrap()],
        );
        out.assert_code(0);
        let s = out.sections();
        // The container's sections (after "container", the last of this side) are among them.
        assert_eq!(s["status"].trim(), "0", "{value}: {out}");
        assert!(s.contains_key("mounted"), "{value}: {out}");
        // (b) The container's mount is on no mount of this side, while it runs nor after.
        assert_eq!(
            s["during"].trim(),
            "0",
            "{value}: leaked to the host\n{out}"
        );
        assert_eq!(s["after"].trim(), "0", "{value}: leaked to the host\n{out}");
        // (a) The container's / has what was asked; the mounts under it, with a plain form, what
        // the default (rslave) gives them.
        let info = &s["mountinfo"];
        let top = optional_fields(info, "/");
        let dev = optional_fields(info, "/dev");
        let has = |f: &str, what: &str| f.split(' ').any(|w| w.starts_with(what));
        match value {
            "shared" => assert!(
                has(&top, "shared:") && !has(&top, "master:"),
                "{value}: a peer group of its own, no slave of the host: {top:?}\n{info}"
            ),
            "slave" | "rslave" => assert!(
                has(&top, "master:") && !has(&top, "shared:"),
                "{value}: {top:?}\n{info}"
            ),
            "private" | "rprivate" => assert_eq!(top, "", "{value}\n{info}"),
            _ => assert_eq!(top, "unbindable", "{value}\n{info}"),
        }
        match value {
            "runbindable" => assert_eq!(dev, "unbindable", "{value}\n{info}"),
            _ => assert_eq!(dev, "", "{value}: /dev keeps its own\n{info}"),
        }
        // The host's tmpfs that came with the tree: a slave of it unless a recursive form made
        // it otherwise; a plain form leaves it alone.
        let tmp = optional_fields(info, "/tmp");
        match value {
            "rprivate" => assert_eq!(tmp, "", "{value}\n{info}"),
            "runbindable" => assert_eq!(tmp, "unbindable", "{value}\n{info}"),
            _ => assert!(
                has(&tmp, "master:") && !has(&tmp, "shared:"),
                "{value}: /tmp {tmp:?}\n{info}"
            ),
        }
        root.finish();
    }
    assert_eq!(
        common::host_mountinfo().matches("ocitest").count(),
        leaks_before
    );
}
