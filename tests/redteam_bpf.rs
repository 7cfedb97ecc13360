//! Red team against the device rules (`linux.resources.devices`), after they became an eBPF
//! program on cgroup v2 (src/confine/cgroup/devices.rs). On this machine (a v1/hybrid host with
//! a v1 devices hierarchy) nsrun writes the same rule lines to the v1 devices controller; the
//! lines are what src/oci/to_spec.rs `device_rules` makes of config.json. A test whose doc
//! comment starts with BREAKS reproduces a break on the code it was written against and fails
//! there.

mod common;
mod rootfs;

use std::path::PathBuf;

use common::{nsrun, require_root};
use rootfs::Rootfs;

const NS: &str =
    r#"{"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "ipc"}, {"type": "network"}"#;

const RUNC_CAPS: &str = r#""capabilities": {
    "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
    "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
    "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]}"#;

const MOUNTS: &str = r#"{"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}"#;

/// Runs `script` with runc's capabilities and `rules` as `linux.resources.devices` (a JSON
/// array); None (skipped) without a v1 devices hierarchy or where the host's root cannot open
/// /dev/loop0 and /dev/vcs.
fn run_rules(name: &str, script: &str, rules: &str) -> Option<common::Output> {
    require_root();
    if !std::path::Path::new("/sys/fs/cgroup/devices").is_dir() {
        eprintln!("skipped: no v1 devices controller");
        return None;
    }
    for dev in ["/dev/vcs", "/dev/loop0"] {
        if std::fs::File::open(dev).is_err() {
            eprintln!("skipped: the host's root cannot open {dev} here");
            return None;
        }
    }
    let root = Rootfs::new(name);
    let bundle: PathBuf = root.root().parent().unwrap().to_path_buf();
    let text = format!(
        r#"{{"ociVersion": "1.0.2", "root": {{"path": "rootfs"}},
        "process": {{"cwd": "/", "env": ["PATH=/bin"], "args": ["/bin/sh", "-c", "{script}"], {RUNC_CAPS}}},
        "mounts": [{MOUNTS}],
        "linux": {{"namespaces": [{NS}], "resources": {{"devices": {rules}}}}}}}"#
    );
    std::fs::write(bundle.join("config.json"), text).expect("write config.json");
    let out = nsrun(&["run", "--oci-bundle", bundle.to_str().unwrap()]);
    std::fs::remove_file(bundle.join("config.json")).unwrap();
    root.finish();
    Some(out)
}

/// Makes a node of the host's first loop device (b 7:0) and of its console (c 7:0) and tries
/// to read each; prints `loop-opened` / `vcs-read` when the cgroup let it through.
const PROBE: &str = "mknod /dev/loop-host b 7 0 && (exec 3</dev/loop-host) && echo loop-opened; \
    mknod /dev/vcs-host c 7 0 && head -c 8 /dev/vcs-host >/dev/null && echo vcs-read; \
    echo x >/dev/null && echo null-ok";

/// BREAKS (parser, type `a` with numbers): `{"allow": true, "type": "a", "major": 1, "minor":
/// 3, "access": "r"}` asks for read access to device 1:3 of either type. to_spec writes the
/// line `a 1:3 r` to devices.allow; the v1 controller reads only the first letter of a line
/// starting with `a` ("all") and makes the cgroup allow-all, so every host device opens for
/// read, write and mknod (here the host's loop device and console). The eBPF program on v2
/// reads the same line narrowly (1:3 only), so the two hierarchies disagree on one config.
#[test]
#[ignore = "needs root"]
fn an_allow_of_type_a_with_numbers_opens_only_those_numbers() {
    let rules = r#"[{"allow": true, "type": "a", "major": 1, "minor": 3, "access": "r"}]"#;
    let Some(out) = run_rules("rtb-a-nums", PROBE, rules) else {
        return;
    };
    assert!(out.stdout.contains("null-ok"), "{out}");
    assert!(
        !out.stdout.contains("loop-opened"),
        "a rule for device 1:3 opened the host's loop device (b 7:0): {out}"
    );
    assert!(
        !out.stdout.contains("vcs-read"),
        "a rule for device 1:3 opened the host's console (c 7:0): {out}"
    );
}

/// BREAKS (parser, huge numbers): config.rs takes a major or minor up to u32::MAX, and to_spec
/// writes it as decimal. The v1 controller parses 4294967295 as `~0`, which is its own
/// wildcard: `{"type": "c", "major": 4294967295, "minor": 4294967295, "access": "r"}` becomes
/// `c *:* r`, read access to every character device of the host. (On v2, devices.rs `parse`
/// refuses a number above i32::MAX and the run fails: narrower, but the two differ.)
#[test]
#[ignore = "needs root"]
fn a_major_of_u32_max_is_no_wildcard() {
    let rules = r#"[{"allow": true, "type": "c", "major": 4294967295, "minor": 4294967295, "access": "r"}]"#;
    let Some(out) = run_rules("rtb-u32max", PROBE, rules) else {
        return;
    };
    assert!(
        !out.stdout.contains("vcs-read"),
        "major and minor 4294967295 opened the host's console (c 7:0): {out}"
    );
}

/// Held: `c 7:0 r` allowed, then a write of 7:0 asked for (partial access): refused, the read
/// works.
#[test]
#[ignore = "needs root"]
fn a_partial_allow_gives_only_its_access() {
    let rules = r#"[{"allow": true, "type": "c", "major": 7, "minor": 0, "access": "r"}]"#;
    let script =
        "mknod /dev/vcs-host c 7 0 && head -c 8 /dev/vcs-host >/dev/null && echo vcs-read; \
        (exec 3>>/dev/vcs-host) && echo vcs-written";
    let Some(out) = run_rules("rtb-partial", script, rules) else {
        return;
    };
    assert!(out.stdout.contains("vcs-read"), "{out}");
    assert!(!out.stdout.contains("vcs-written"), "{out}");
}

/// BREAKS (deny after a wildcard allow): `b *:* rwm` allowed, then `b 7:0 r` denied. The v1
/// controller removes a deny only from an exception of exactly the same type and numbers, so
/// the deny of b 7:0 is silently dropped and the host's loop device opens; the eBPF program on
/// v2 (last matching rule decides) denies it. runc's emulator refuses such a list on v1
/// ("cannot punch hole in existing wildcard rule") rather than run with it.
#[test]
#[ignore = "needs root"]
fn a_deny_after_a_wildcard_allow_holds() {
    let rules = r#"[{"allow": true, "type": "b", "access": "rwm"},
        {"allow": false, "type": "b", "major": 7, "minor": 0, "access": "r"}]"#;
    let script = "mknod /dev/loop-host b 7 0 && (exec 3</dev/loop-host) && echo loop-opened; \
        mknod /dev/loop-one b 7 1 && (exec 3</dev/loop-one) && echo loop1-opened";
    let Some(out) = run_rules("rtb-hole", script, rules) else {
        return;
    };
    // Fixed as runc does it: such a list is refused on v1, with the two rules named.
    if matches!(out.code(), Some(1 | 125)) {
        assert!(
            out.stderr.contains("b 7:0 r") && out.stderr.contains("b *:* rwm"),
            "a refusal names the deny and the allow: {out}"
        );
        return;
    }
    assert!(
        out.stdout.contains("loop1-opened"),
        "the allowed one: {out}"
    );
    assert!(
        !out.stdout.contains("loop-opened"),
        "the denied host loop device (b 7:0) opened: {out}"
    );
}
