//! Tests written to break the promises of the lock options (issue 7, first part): capabilities
//! (`--caps-preset`, `--cap-drop`, `--cap-add`, the init's own set), `--rlimit`, `--umask`,
//! `--groups`, `--oom-score-adj`, `--new-session`, `--masked-path`, `--ro-path` and
//! `--disable-userns`, and that every failure is one line with the documented exit status.
//!
//! The capability sets are read from /proc/PID/status inside and compared with masks this file
//! computes from its own table of capability numbers (linux/capability.h), and, where capsh is
//! installed (Debian's libcap2-bin), with the names `capsh --decode` prints. Nothing here changes
//! the machine: mounts are made in nsrun's own mount namespaces only (the host's mount table is
//! compared before and after), no sysctl is written outside a container's own user namespace (the
//! host's user.max_user_namespaces is compared before and after), and the clock is only ever set
//! by a process shown, in the same run, to lack CAP_SYS_TIME.

mod common;
mod rootfs;

use std::collections::BTreeSet;
use std::process::Command;

use common::{
    is_root, nsrun, require_root, run, skip_without_unprivileged_userns, Output, TempDir,
};
use rootfs::{as_nobody, assert_mounts_unchanged, Rootfs, NOBODY};

// ---------------------------------------------------------------------------------------------
// Helpers

/// Capability names by number, as capsh prints them (without `cap_`), from linux/capability.h.
const CAP_NAMES: [&str; 41] = [
    "chown",              // 0
    "dac_override",       // 1
    "dac_read_search",    // 2
    "fowner",             // 3
    "fsetid",             // 4
    "kill",               // 5
    "setgid",             // 6
    "setuid",             // 7
    "setpcap",            // 8
    "linux_immutable",    // 9
    "net_bind_service",   // 10
    "net_broadcast",      // 11
    "net_admin",          // 12
    "net_raw",            // 13
    "ipc_lock",           // 14
    "ipc_owner",          // 15
    "sys_module",         // 16
    "sys_rawio",          // 17
    "sys_chroot",         // 18
    "sys_ptrace",         // 19
    "sys_pacct",          // 20
    "sys_admin",          // 21
    "sys_boot",           // 22
    "sys_nice",           // 23
    "sys_resource",       // 24
    "sys_time",           // 25
    "sys_tty_config",     // 26
    "mknod",              // 27
    "lease",              // 28
    "audit_write",        // 29
    "audit_control",      // 30
    "setfcap",            // 31
    "mac_override",       // 32
    "mac_admin",          // 33
    "syslog",             // 34
    "wake_alarm",         // 35
    "block_suspend",      // 36
    "audit_read",         // 37
    "perfmon",            // 38
    "bpf",                // 39
    "checkpoint_restore", // 40
];

/// podman's (and runc's) default set, as the issue lists it.
const PODMAN: [&str; 11] = [
    "chown",
    "dac_override",
    "fowner",
    "fsetid",
    "kill",
    "net_bind_service",
    "setfcap",
    "setgid",
    "setpcap",
    "setuid",
    "sys_chroot",
];

/// The mask of capabilities named (without `cap_`).
fn mask(names: &[&str]) -> u64 {
    names.iter().fold(0, |m, n| {
        let i = CAP_NAMES
            .iter()
            .position(|c| c == n)
            .unwrap_or_else(|| panic!("no capability {n} in the test's table"));
        m | 1 << i
    })
}

const KILL: u64 = 1 << 5;
const SYS_RESOURCE: u64 = 1 << 24;
const SYS_TIME: u64 = 1 << 25;

/// The five capability sets of a /proc/PID/status text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Caps {
    inh: u64,
    prm: u64,
    eff: u64,
    bnd: u64,
    amb: u64,
}

impl Caps {
    fn parse(status: &str) -> Caps {
        let field = |name: &str| {
            let line = status
                .lines()
                .find(|l| l.starts_with(&format!("{name}:")))
                .unwrap_or_else(|| panic!("no {name} in the status text:\n{status}"));
            let hex = line[name.len() + 1..].trim();
            u64::from_str_radix(hex, 16).unwrap_or_else(|e| panic!("{line}: {e}"))
        };
        Caps {
            inh: field("CapInh"),
            prm: field("CapPrm"),
            eff: field("CapEff"),
            bnd: field("CapBnd"),
            amb: field("CapAmb"),
        }
    }
}

/// The value of `Name:` in a /proc/PID/status text.
fn status_field<'a>(status: &'a str, name: &str) -> &'a str {
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in the status text:\n{status}"))
        .trim()
}

/// The test process's own status.
fn own_status() -> String {
    std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status")
}

/// The names `capsh --decode=HEX` prints for `m` (without `cap_`), or None (with a note on
/// stderr) when capsh is not installed.
fn capsh_names(m: u64) -> Option<BTreeSet<String>> {
    let found = run(Command::new("sh").args(["-c", "command -v capsh"]));
    if !found.status.success() {
        eprintln!(
            "note: capsh (Debian's libcap2-bin) is missing: the sets are checked by their hex \
             masks only"
        );
        return None;
    }
    let out = run(Command::new("capsh").arg(format!("--decode={m:016x}")));
    out.assert_code(0);
    let text = out.stdout.trim();
    let (_, list) = text
        .split_once('=')
        .unwrap_or_else(|| panic!("capsh --decode printed {text:?}"));
    Some(
        list.split(',')
            .filter(|n| !n.is_empty())
            .map(|n| n.trim_start_matches("cap_").to_string())
            .collect(),
    )
}

/// Asserts that `got` is `want` (a mask), showing both as names; checks with capsh too.
#[track_caller]
fn assert_set(what: &str, got: u64, want: u64, out: &Output) {
    let names = |m: u64| -> Vec<&str> {
        (0..64)
            .filter(|i| m & (1 << i) != 0)
            .map(|i| CAP_NAMES.get(i).copied().unwrap_or("?"))
            .collect()
    };
    assert_eq!(
        got,
        want,
        "{what}: holds {:?}, expected {:?}\n{out}",
        names(got),
        names(want)
    );
    if let Some(decoded) = capsh_names(got) {
        let expected: BTreeSet<String> = names(want).iter().map(|s| s.to_string()).collect();
        assert_eq!(decoded, expected, "{what}: capsh --decode disagrees\n{out}");
    }
}

/// Runs `nsrun OPTS -- cat /proc/self/status` and returns the command's sets.
fn caps_with(opts: &[&str]) -> (Caps, Output) {
    let mut args: Vec<&str> = opts.to_vec();
    args.extend(["--", "cat", "/proc/self/status"]);
    let out = nsrun(&args);
    out.assert_ok();
    (Caps::parse(&out.stdout), out)
}

#[track_caller]
fn assert_refused<'a>(out: &'a Output, code: i32, parts: &[&str]) -> &'a str {
    out.assert_code(code);
    assert_eq!(out.stdout, "", "the command must not run\n{out}");
    out.assert_one_error_line(parts)
}

/// The host's bounding set (what `--caps-preset all` keeps).
fn host_bounding() -> u64 {
    Caps::parse(&own_status()).bnd
}

/// Whether the tests hold CAP_SYS_RESOURCE (root on most machines; not inside some VMs and
/// containers).
fn hold_sys_resource() -> bool {
    Caps::parse(&own_status()).eff & SYS_RESOURCE != 0
}

/// `setpriv ARGS... nsrun NSRUN_ARGS...`.
fn under_setpriv(setpriv_args: &[&str], args: &[&str]) -> Output {
    let mut cmd = Command::new(common::require_tool("setpriv"));
    cmd.args(setpriv_args).arg(common::nsrun_bin()).args(args);
    run(&mut cmd)
}

/// The soft and hard values of the line `Max NAME` of a /proc/PID/limits text.
fn limit(limits: &str, name: &str) -> (String, String) {
    let line = limits
        .lines()
        .find(|l| l.starts_with(&format!("Max {name} ")))
        .unwrap_or_else(|| panic!("no 'Max {name}' in:\n{limits}"));
    let rest = &line[format!("Max {name}").len()..];
    let mut words = rest.split_whitespace();
    (
        words.next().unwrap_or_default().to_string(),
        words.next().unwrap_or_default().to_string(),
    )
}

fn own_limit(name: &str) -> (String, String) {
    limit(
        &std::fs::read_to_string("/proc/self/limits").expect("read /proc/self/limits"),
        name,
    )
}

fn max_user_namespaces() -> String {
    std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
        .expect("read /proc/sys/user/max_user_namespaces")
}

// ---------------------------------------------------------------------------------------------
// Capabilities

#[test]
#[ignore = "needs root"]
fn caps_container_preset_is_exactly_podmans_set() {
    require_root();
    let (c, out) = caps_with(&["--caps-preset", "container"]);
    let want = mask(&PODMAN);
    assert_set("CapBnd", c.bnd, want, &out);
    assert_set("CapPrm", c.prm, want, &out);
    assert_set("CapEff", c.eff, want, &out);
    // Inheritable stays empty for a root command (CVE-2022-29162: a program with `+i` file
    // capabilities would gain them otherwise).
    assert_set("CapInh", c.inh, 0, &out);
    assert_set("CapAmb", c.amb, 0, &out);
    assert_eq!(status_field(&out.stdout, "NoNewPrivs"), "1", "{out}");
}

#[test]
#[ignore = "needs root"]
fn caps_root_implies_the_container_preset() {
    require_root();
    let r = Rootfs::new("caps-implied");
    let out = r.run(&[], &["/bin/cat", "/proc/self/status"]);
    out.assert_ok();
    let c = Caps::parse(&out.stdout);
    let want = mask(&PODMAN);
    assert_set("CapBnd", c.bnd, want, &out);
    assert_set("CapPrm", c.prm, want, &out);
    assert_set("CapEff", c.eff, want, &out);
    // Inheritable stays empty for a root command (CVE-2022-29162: a program with `+i` file
    // capabilities would gain them otherwise).
    assert_set("CapInh", c.inh, 0, &out);
    assert_set("CapAmb", c.amb, 0, &out);
    assert_eq!(status_field(&out.stdout, "NoNewPrivs"), "1", "{out}");
    r.finish();
}

#[test]
#[ignore = "needs root"]
fn caps_root_with_preset_all_keeps_every_capability() {
    require_root();
    let host = host_bounding();
    let host_nnp = status_field(&own_status(), "NoNewPrivs").to_string();
    let r = Rootfs::new("caps-all");
    let out = r.run(
        &["--caps-preset", "all"],
        &["/bin/cat", "/proc/self/status"],
    );
    out.assert_ok();
    let c = Caps::parse(&out.stdout);
    assert_set("CapBnd", c.bnd, host, &out);
    assert_set("CapPrm", c.prm, host, &out);
    assert_set("CapEff", c.eff, host, &out);
    assert_set("CapAmb", c.amb, 0, &out);
    assert_eq!(
        status_field(&out.stdout, "NoNewPrivs"),
        host_nnp,
        "--caps-preset all must not imply no_new_privs\n{out}"
    );
    r.finish();
}

#[test]
#[ignore = "needs root"]
fn caps_drop_all_then_add_one_leaves_only_that_one() {
    require_root();
    let (c, out) = caps_with(&["--cap-drop", "ALL", "--cap-add", "net_admin"]);
    let want = mask(&["net_admin"]);
    assert_set("CapBnd", c.bnd, want, &out);
    assert_set("CapPrm", c.prm, want, &out);
    assert_set("CapEff", c.eff, want, &out);
    assert_set("CapAmb", c.amb, 0, &out);
    let (c, out) = caps_with(&["--cap-drop", "ALL"]);
    assert_eq!(
        c,
        Caps::parse("CapInh:0\nCapPrm:0\nCapEff:0\nCapBnd:0\nCapAmb:0"),
        "{out}"
    );
}

#[test]
#[ignore = "needs root"]
fn caps_names_with_or_without_prefix_in_any_case() {
    require_root();
    let want = mask(&["net_admin"]);
    for name in [
        "CAP_NET_ADMIN",
        "cap_net_admin",
        "NET_ADMIN",
        "net_admin",
        "Net_Admin",
        "CaP_nEt_AdMiN",
    ] {
        let (c, out) = caps_with(&["--cap-drop", "all", "--cap-add", name]);
        assert_set(&format!("CapEff with {name}"), c.eff, want, &out);
        assert_set(&format!("CapBnd with {name}"), c.bnd, want, &out);
    }
    for all in ["ALL", "all", "All"] {
        let (c, out) = caps_with(&["--cap-drop", all]);
        assert_set(&format!("CapBnd after --cap-drop {all}"), c.bnd, 0, &out);
    }
    // Dropping one by its prefixed name removes exactly that one from the preset.
    let (c, out) = caps_with(&["--caps-preset", "container", "--cap-drop", "CAP_CHOWN"]);
    assert_set("CapBnd", c.bnd, mask(&PODMAN) & !mask(&["chown"]), &out);
}

#[test]
fn caps_unknown_names_are_usage_errors() {
    for opt in ["--cap-add", "--cap-drop"] {
        for name in [
            "bogus",
            "CAP_",
            "cap_all",
            "net-admin",
            "NET_ADMINS",
            "cap_cap_net_admin",
            "",
            "net_admin,chown",
        ] {
            let out = nsrun(&[opt, name, "--", "sh", "-c", "echo ran"]);
            assert_refused(&out, 2, &[opt]);
        }
    }
    for preset in ["bogus", "", "Container", "none"] {
        let out = nsrun(&["--caps-preset", preset, "--", "sh", "-c", "echo ran"]);
        assert_refused(&out, 2, &["--caps-preset"]);
    }
    let out = nsrun(&[
        "--caps-preset",
        "container",
        "--caps-preset",
        "all",
        "--",
        "sh",
        "-c",
        "echo ran",
    ]);
    assert_refused(&out, 2, &["--caps-preset"]);
}

#[test]
#[ignore = "needs root"]
fn caps_add_and_drop_apply_in_order() {
    require_root();
    let admin = mask(&["net_admin"]);
    // Added, then dropped: not there.
    let (c, out) = caps_with(&[
        "--cap-drop",
        "ALL",
        "--cap-add",
        "net_admin",
        "--cap-drop",
        "net_admin",
    ]);
    assert_set("CapBnd", c.bnd, 0, &out);
    assert_set("CapEff", c.eff, 0, &out);
    let (c, out) = caps_with(&[
        "--caps-preset",
        "container",
        "--cap-add",
        "NET_ADMIN",
        "--cap-drop",
        "NET_ADMIN",
    ]);
    assert_set("CapBnd", c.bnd, mask(&PODMAN), &out);
    // Dropped, then added: there.
    let (c, out) = caps_with(&[
        "--cap-drop",
        "ALL",
        "--cap-drop",
        "net_admin",
        "--cap-add",
        "net_admin",
    ]);
    assert_set("CapEff", c.eff, admin, &out);
    // Added to the preset: the preset and it.
    let (c, out) = caps_with(&["--caps-preset", "container", "--cap-add", "sys_admin"]);
    assert_set("CapEff", c.eff, mask(&PODMAN) | mask(&["sys_admin"]), &out);
    assert_set("CapBnd", c.bnd, mask(&PODMAN) | mask(&["sys_admin"]), &out);
    // ALL dropped after a single add: nothing.
    let (c, out) = caps_with(&["--cap-add", "net_admin", "--cap-drop", "ALL"]);
    assert_set("CapBnd", c.bnd, 0, &out);
}

#[test]
#[ignore = "needs root"]
fn caps_added_for_a_non_root_uid_are_held_through_ambient() {
    require_root();
    let out = nsrun(&[
        "--setuid",
        "1000",
        "--setgid",
        "1000",
        "--cap-drop",
        "ALL",
        "--cap-add",
        "NET_BIND_SERVICE",
        "--",
        "sh",
        "-c",
        // cat is a further exec: what it holds came through the ambient set.
        "id -u; cat /proc/self/status",
    ]);
    out.assert_ok();
    assert_eq!(out.lines()[0], "1000", "{out}");
    let c = Caps::parse(&out.stdout);
    let want = mask(&["net_bind_service"]);
    assert_set("CapEff", c.eff, want, &out);
    assert_set("CapPrm", c.prm, want, &out);
    assert_set("CapAmb", c.amb, want, &out);
    assert_set("CapBnd", c.bnd, want, &out);
    assert_eq!(
        status_field(&out.stdout, "Uid")
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["1000"; 4],
        "{out}"
    );
}

#[test]
#[ignore = "needs root"]
fn caps_added_beyond_nsruns_bounding_set_is_a_setup_error() {
    require_root();
    // nsrun started with a bounding set that lacks CAP_SYS_TIME cannot give it to the command.
    let out = under_setpriv(
        &["--bounding-set", "-sys_time"],
        &["--cap-add", "sys_time", "--", "sh", "-c", "echo ran"],
    );
    assert_refused(&out, 125, &["--cap-add", "cap_sys_time", "bounding"]);
    // Without asking for it, the same nsrun runs, and the command lacks it.
    let out = under_setpriv(
        &["--bounding-set", "-sys_time"],
        &["--cap-drop", "chown", "--", "cat", "/proc/self/status"],
    );
    out.assert_ok();
    assert_eq!(Caps::parse(&out.stdout).bnd & SYS_TIME, 0, "{out}");
}

/// The script that tries what the container preset forbids, each result in a section.
const FORBIDDEN: &str = r#"
echo @@ hostname-before; hostname
echo @@ mknod; busybox mknod /tmp/x b 8 0 2>&1; echo "rc=$?"
echo @@ mount; busybox mount -t tmpfs x /mnt 2>&1; echo "rc=$?"
echo @@ insmod; echo garbage > /tmp/m.ko; busybox insmod /tmp/m.ko 2>&1; echo "rc=$?"
echo @@ sethostname; busybox hostname foo 2>&1; echo "rc=$?"
echo @@ hostname-after; hostname
echo @@ date
eff=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
if [ $(( (0x$eff >> 25) & 1 )) = 1 ]; then
    echo "holds CAP_SYS_TIME: not trying"
else
    busybox date -s "$(busybox date '+%Y-%m-%d %H:%M:%S')" 2>&1 >/dev/null
fi
"#;

#[test]
#[ignore = "needs root"]
fn caps_container_preset_forbids_mknod_mount_insmod_date_hostname() {
    require_root();
    let modules = std::path::Path::new("/proc/modules").exists();
    let r = Rootfs::new("caps-forbidden");
    let opts = ["--hostname", "c1", "--tmpfs", "/tmp", "--dev", "/dev"];
    let out = r.sh(&opts, FORBIDDEN);
    out.assert_code(0);
    let s = out.sections();
    let eperm = "Operation not permitted";
    // nsrun's own setup needed CAP_SYS_ADMIN and still worked.
    assert_eq!(s["hostname-before"], "c1\n", "{out}");
    assert_eq!(s["hostname-after"], "c1\n", "{out}");
    for op in ["mknod", "mount", "sethostname"] {
        // busybox mount says EPERM its own way.
        let denied = s[op].contains(eperm) || s[op].contains("permission denied (are you root?)");
        assert!(
            denied && !s[op].contains("rc=0"),
            "{op} must fail with EPERM\n{out}"
        );
    }
    if modules {
        assert!(
            s["insmod"].contains(eperm),
            "insmod must fail with EPERM\n{out}"
        );
    } else {
        eprintln!("note: this kernel has no module support (/proc/modules): insmod not judged");
    }
    assert!(
        s["date"].contains(eperm),
        "date -s must fail with EPERM\n{out}"
    );

    // The same script with every capability: each check above can fail.
    let out = r.sh(
        &[
            "--caps-preset",
            "all",
            "--hostname",
            "c1",
            "--tmpfs",
            "/tmp",
            "--dev",
            "/dev",
        ],
        FORBIDDEN,
    );
    out.assert_code(0);
    let s = out.sections();
    for op in ["mknod", "mount", "sethostname"] {
        assert!(
            s[op].contains("rc=0"),
            "{op} works with --caps-preset all\n{out}"
        );
    }
    if modules {
        assert!(!s["insmod"].contains(eperm), "{out}");
    }
    assert_eq!(s["hostname-after"], "foo\n", "{out}");
    assert!(s["date"].contains("holds CAP_SYS_TIME"), "{out}");
    r.finish();
}

#[test]
#[ignore = "needs root"]
fn caps_init_holds_at_most_kill_and_no_more_than_the_command() {
    require_root();
    for (opts, command_set) in [
        (vec!["--caps-preset", "container"], mask(&PODMAN)),
        (vec![], host_bounding()),
        (
            vec!["--cap-drop", "ALL", "--cap-add", "net_admin"],
            mask(&["net_admin"]),
        ),
        (vec!["--cap-drop", "ALL"], 0),
    ] {
        let mut args = opts.clone();
        args.extend(["--", "sh", "-c", "echo $$; cat /proc/1/status"]);
        let out = nsrun(&args);
        out.assert_ok();
        assert_eq!(
            out.lines()[0],
            "2",
            "the command must be PID 2 under the init\n{out}"
        );
        assert!(
            out.stdout.contains("Name:\tnsrun"),
            "PID 1 must be nsrun's init\n{out}"
        );
        // From the command's first instruction on the init holds no more than the command: the
        // command reads the init's sets as the very first thing it does, many times, so no
        // window where the init holds more is missed.
        for _ in 0..RACE_RUNS {
            let mut args = opts.clone();
            args.extend(["--", "cat", "/proc/1/status"]);
            let out = nsrun(&args);
            out.assert_ok();
            let init = Caps::parse(&out.stdout);
            for (what, set) in [
                ("CapPrm", init.prm),
                ("CapEff", init.eff),
                ("CapInh", init.inh),
                ("CapAmb", init.amb),
                ("CapBnd", init.bnd),
            ] {
                assert_eq!(
                    set & !command_set,
                    0,
                    "the init's {what} exceeds the command's set {opts:?}\n{out}"
                );
            }
        }
        // Once the command runs, the init drops to CAP_KILL (of the command's set) at most: wait
        // for that (a second at most), then read the sets.
        let kill = KILL & command_set;
        let script = format!(
            "i=0; while [ $i -lt 200 ] && ! grep -q '^CapPrm:\t{kill:016x}$' /proc/1/status; do \
             sleep 0.01; i=$((i+1)); done; cat /proc/1/status"
        );
        let mut args = opts.clone();
        args.extend(["--", "sh", "-c", &script]);
        let out = nsrun(&args);
        out.assert_ok();
        let init = Caps::parse(&out.stdout);
        assert_set("the init's CapPrm", init.prm, kill, &out);
        assert_set("the init's CapEff", init.eff, kill, &out);
        assert_set("the init's CapInh", init.inh, 0, &out);
        assert_set("the init's CapAmb", init.amb, 0, &out);
        assert_eq!(
            init.bnd & !command_set,
            0,
            "the init's bounding set exceeds the command's {opts:?}\n{out}"
        );
    }
}

/// How many times a check that races with nsrun's init is repeated (here, a window left open
/// shows in about one run of three).
const RACE_RUNS: usize = 30;

#[test]
#[ignore = "needs root"]
fn caps_preset_container_implies_no_new_privs() {
    require_root();
    let host_nnp = status_field(&own_status(), "NoNewPrivs").to_string();
    for (opts, want) in [
        (vec!["--caps-preset", "container"], "1"),
        (vec!["--caps-preset", "all"], host_nnp.as_str()),
        (vec!["--cap-drop", "ALL"], host_nnp.as_str()),
        (vec![], host_nnp.as_str()),
    ] {
        let (_, out) = caps_with(&opts);
        assert_eq!(
            status_field(&out.stdout, "NoNewPrivs"),
            want,
            "{opts:?}\n{out}"
        );
    }
}

#[test]
fn caps_rootless_in_the_automatic_user_namespace() {
    if skip_without_unprivileged_userns() {
        return;
    }
    let unpriv = |args: &[&str]| match is_root() {
        true => as_nobody(args),
        false => nsrun(args),
    };
    let out = unpriv(&[
        "--caps-preset",
        "container",
        "--",
        "cat",
        "/proc/self/status",
    ]);
    out.assert_ok();
    let c = Caps::parse(&out.stdout);
    assert_set("CapBnd", c.bnd, mask(&PODMAN), &out);
    assert_set("CapEff", c.eff, mask(&PODMAN), &out);
    assert_set("CapPrm", c.prm, mask(&PODMAN), &out);
    assert_set("CapAmb", c.amb, 0, &out);
    assert_eq!(status_field(&out.stdout, "NoNewPrivs"), "1", "{out}");

    let out = unpriv(&[
        "--cap-drop",
        "ALL",
        "--cap-add",
        "CAP_NET_ADMIN",
        "--",
        "cat",
        "/proc/self/status",
    ]);
    out.assert_ok();
    let c = Caps::parse(&out.stdout);
    assert_set("CapEff", c.eff, mask(&["net_admin"]), &out);
    assert_set("CapBnd", c.bnd, mask(&["net_admin"]), &out);

    // Without CAP_SYS_ADMIN the command cannot change the hostname nsrun set.
    let out = unpriv(&[
        "--caps-preset",
        "container",
        "--hostname",
        "c1",
        "--",
        "sh",
        "-c",
        "hostname foo 2>/dev/null; echo rc=$?; hostname",
    ]);
    out.assert_ok();
    assert_eq!(out.lines()[1..], ["c1"], "{out}");
    assert_ne!(out.lines()[0], "rc=0", "{out}");
    let out = unpriv(&["--cap-add", "nope", "true"]);
    assert_refused(&out, 2, &["--cap-add", "nope"]);
}

#[test]
fn caps_rootless_init_holds_nothing_with_cap_drop_all() {
    if skip_without_unprivileged_userns() {
        return;
    }
    for _ in 0..RACE_RUNS {
        let args = ["--cap-drop", "ALL", "--", "cat", "/proc/1/status"];
        let out = match is_root() {
            true => as_nobody(&args),
            false => nsrun(&args),
        };
        out.assert_ok();
        let init = Caps::parse(&out.stdout);
        assert_set("the init's CapEff", init.eff, 0, &out);
        assert_set("the init's CapPrm", init.prm, 0, &out);
        assert_set("the init's CapBnd", init.bnd, 0, &out);
    }
}

#[test]
#[ignore = "needs root"]
fn caps_a_setuid_root_program_gains_nothing_beyond_the_kept_set() {
    require_root();
    // A set-user-ID-root copy of cat, run by uid 1000: exec gives it the bounding set.
    let dir = TempDir::new("suid");
    let cat = dir.copy_in(std::path::Path::new("/bin/cat"), "cat");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cat, std::fs::Permissions::from_mode(0o4755)).expect("chmod u+s");
    let cat = cat.to_str().expect("utf-8");
    let run_cat = |opts: &[&str]| {
        let mut args = vec!["--setuid", "1000", "--setgid", "1000"];
        args.extend(opts);
        args.extend(["--", cat, "/proc/self/status"]);
        let out = nsrun(&args);
        out.assert_ok();
        let euid = status_field(&out.stdout, "Uid")
            .split_whitespace()
            .nth(1)
            .map(str::to_string);
        (Caps::parse(&out.stdout), euid, out)
    };
    // Without a lock the program is root with every capability: the check can fail.
    let (c, euid, out) = run_cat(&[]);
    assert_eq!(euid.as_deref(), Some("0"), "{out}");
    assert_set("CapEff", c.eff, host_bounding(), &out);
    let (c, euid, out) = run_cat(&["--cap-drop", "ALL"]);
    assert_eq!(
        euid.as_deref(),
        Some("0"),
        "the set-user-ID bit works\n{out}"
    );
    assert_set("CapEff", c.eff, 0, &out);
    assert_set("CapPrm", c.prm, 0, &out);
    let (c, _, out) = run_cat(&["--cap-drop", "ALL", "--cap-add", "chown"]);
    assert_set("CapEff", c.eff, mask(&["chown"]), &out);
    assert_set("CapBnd", c.bnd, mask(&["chown"]), &out);
    let (c, _, out) = run_cat(&["--cap-drop", "sys_admin"]);
    assert_set(
        "CapEff",
        c.eff,
        host_bounding() & !mask(&["sys_admin"]),
        &out,
    );
    // The container preset implies no_new_privs: the set-user-ID bit is ignored.
    let (c, euid, out) = run_cat(&["--caps-preset", "container"]);
    assert_eq!(euid.as_deref(), Some("1000"), "{out}");
    assert_set("CapEff", c.eff, 0, &out);
}

#[test]
#[ignore = "needs root"]
fn caps_container_preset_for_a_non_root_uid() {
    require_root();
    let r = Rootfs::new("caps-uid");
    let status = |opts: &[&str]| {
        let mut o = vec!["--setuid", "1000", "--setgid", "1000"];
        o.extend(opts);
        let out = r.sh(&o, "busybox id -u; busybox cat /proc/self/status");
        out.assert_ok();
        assert_eq!(out.lines()[0], "1000", "{out}");
        (Caps::parse(&out.stdout), out)
    };
    let (c, out) = status(&[]);
    assert_set("CapEff", c.eff, 0, &out);
    assert_set("CapPrm", c.prm, 0, &out);
    assert_set("CapAmb", c.amb, 0, &out);
    assert_set("CapBnd", c.bnd, mask(&PODMAN), &out);
    let (c, out) = status(&["--cap-add", "net_bind_service"]);
    let want = mask(&["net_bind_service"]);
    assert_set("CapEff", c.eff, want, &out);
    assert_set("CapPrm", c.prm, want, &out);
    assert_set("CapAmb", c.amb, want, &out);
    assert_set("CapBnd", c.bnd, mask(&PODMAN), &out);
    r.finish();
}

// ---------------------------------------------------------------------------------------------
// Resource limits

#[test]
fn rlimit_values_show_in_proc_limits() {
    let (own_soft, own_hard) = own_limit("open files");
    let out = nsrun(&[
        "--rlimit",
        "nofile=100:200",
        "--rlimit",
        "core=0",
        "--",
        "cat",
        "/proc/self/limits",
    ]);
    let out = match is_root() {
        true => out,
        // Rootless: in the automatic user namespace (or skipped where there is none).
        false if skip_without_unprivileged_userns() => return,
        false => out,
    };
    out.assert_ok();
    assert_eq!(
        limit(&out.stdout, "open files"),
        ("100".into(), "200".into()),
        "{out}"
    );
    assert_eq!(
        limit(&out.stdout, "core file size"),
        ("0".into(), "0".into()),
        "{out}"
    );

    // Soft only: the hard one stays nsrun's.
    let out = nsrun(&["--rlimit", "nofile=50:", "--", "cat", "/proc/self/limits"]);
    out.assert_ok();
    assert_eq!(
        limit(&out.stdout, "open files"),
        ("50".into(), own_hard.clone()),
        "{out}"
    );

    // Hard only: the soft one stays, lowered to the hard one where it was above.
    let out = nsrun(&["--rlimit", "nofile=:300", "--", "cat", "/proc/self/limits"]);
    out.assert_ok();
    let soft: u64 = own_soft.parse().expect("a number");
    assert_eq!(
        limit(&out.stdout, "open files"),
        (soft.min(300).to_string(), "300".into()),
        "{out}"
    );

    // A later --rlimit of the same resource wins; RLIMIT_ and upper case are accepted.
    let out = nsrun(&[
        "--rlimit",
        "nofile=100:200",
        "--rlimit",
        "RLIMIT_NOFILE=70:80",
        "--rlimit",
        "CORE=0:0",
        "--",
        "cat",
        "/proc/self/limits",
    ]);
    out.assert_ok();
    assert_eq!(
        limit(&out.stdout, "open files"),
        ("70".into(), "80".into()),
        "{out}"
    );

    // A lowered soft limit of `unlimited` form: core=0:unlimited needs no privilege where the
    // hard one is unlimited already.
    if own_limit("core file size").1 == "unlimited" {
        let out = nsrun(&[
            "--rlimit",
            "core=0:unlimited",
            "--",
            "cat",
            "/proc/self/limits",
        ]);
        out.assert_ok();
        assert_eq!(
            limit(&out.stdout, "core file size"),
            ("0".into(), "unlimited".into()),
            "{out}"
        );
    }
}

#[test]
#[ignore = "needs root"]
fn rlimit_nproc_unlimited() {
    require_root();
    let out = nsrun(&[
        "--rlimit",
        "nproc=unlimited",
        "--",
        "cat",
        "/proc/self/limits",
    ]);
    if hold_sys_resource() || own_limit("processes").1 == "unlimited" {
        out.assert_ok();
        assert_eq!(
            limit(&out.stdout, "processes"),
            ("unlimited".into(), "unlimited".into()),
            "{out}"
        );
    } else {
        // This machine's root lacks CAP_SYS_RESOURCE: raising the hard limit must fail, and say why.
        assert_refused(&out, 125, &["--rlimit", "nproc", "CAP_SYS_RESOURCE"]);
    }
}

#[test]
#[ignore = "needs root"]
fn rlimit_raising_a_hard_limit_without_cap_sys_resource_names_the_limit_and_the_capability() {
    require_root();
    let (_, hard) = own_limit("open files");
    let above: u64 = hard.parse::<u64>().expect("a finite nofile limit") + 1;
    let value = format!("nofile={above}");
    // Root without CAP_SYS_RESOURCE (dropped from the bounding set before nsrun starts).
    let out = under_setpriv(
        &["--bounding-set", "-sys_resource"],
        &["--rlimit", &value, "--", "sh", "-c", "echo ran"],
    );
    assert_refused(&out, 125, &["--rlimit", "nofile", "CAP_SYS_RESOURCE"]);
}

#[test]
#[ignore = "needs root"]
fn rlimit_raising_a_hard_limit_as_nobody_names_the_limit_and_the_capability() {
    require_root();
    if skip_without_unprivileged_userns() {
        return;
    }
    let prlimit = common::require_tool("prlimit");
    let setpriv = common::require_tool("setpriv");
    let mut cmd = Command::new(prlimit);
    cmd.args(["--nofile=100:100"])
        .arg(setpriv)
        .args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups"])
        .arg(common::nsrun_bin())
        .args(["--rlimit", "nofile=200", "--", "sh", "-c", "echo ran"]);
    let out = run(&mut cmd);
    assert_refused(&out, 125, &["--rlimit", "nofile", "CAP_SYS_RESOURCE"]);
    // Lowering works there.
    let mut cmd = Command::new(common::require_tool("prlimit"));
    cmd.args(["--nofile=100:100"])
        .arg(common::require_tool("setpriv"))
        .args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups"])
        .arg(common::nsrun_bin())
        .args(["--rlimit", "nofile=50:90", "--", "cat", "/proc/self/limits"]);
    let out = run(&mut cmd);
    out.assert_ok();
    assert_eq!(
        limit(&out.stdout, "open files"),
        ("50".into(), "90".into()),
        "{out}"
    );
}

#[test]
fn rlimit_bad_names_and_values_are_usage_errors() {
    for v in [
        "nofile",
        "nofile=",
        "nofile=:",
        "nofile=x",
        "nofile=1x",
        "nofile=-2",
        "nofile=20:10",
        "nofile=1:2:3",
        "nofile=99999999999999999999999",
        "nofiles=1",
        "=1",
        "rlimit_=1",
        "",
    ] {
        let out = nsrun(&["--rlimit", v, "--", "sh", "-c", "echo ran"]);
        assert_refused(&out, 2, &["--rlimit"]);
    }
    let out = nsrun(&["--rlimit"]);
    assert_refused(&out, 2, &["--rlimit"]);
}

// ---------------------------------------------------------------------------------------------
// --umask, --groups, --oom-score-adj, --new-session

#[test]
#[ignore = "needs root"]
fn umask_applies_to_the_command() {
    require_root();
    let dir = TempDir::new("umask");
    let script = "umask; cd \"$1\" && touch f && mkdir d && stat -c '%a' f d";
    for (mask, want) in [
        ("077", ["0077", "600", "700"]),
        ("0", ["0000", "666", "777"]),
        ("027", ["0027", "640", "750"]),
    ] {
        let out = nsrun(&[
            "--tmpfs",
            dir.str(),
            "--umask",
            mask,
            "--",
            "sh",
            "-c",
            script,
            "sh",
            dir.str(),
        ]);
        out.assert_ok();
        assert_eq!(out.lines(), want, "--umask {mask}\n{out}");
    }
    // Nothing was created on the host: the files went to the tmpfs.
    assert_eq!(std::fs::read_dir(dir.path()).expect("read dir").count(), 0);
    for bad in ["8", "1000", "abc", "", "-1", "0o77"] {
        let out = nsrun(&["--umask", bad, "--", "sh", "-c", "echo ran"]);
        assert_refused(&out, 2, &["--umask"]);
    }
}

#[test]
#[ignore = "needs root"]
fn umask_does_not_change_nsruns_own_setup() {
    require_root();
    let out = nsrun(&[
        "--umask",
        "777",
        "--tmpfs",
        "/mnt",
        "--mkdir",
        "/mnt/d",
        "--perms",
        "0750",
        "--mkdir",
        "/mnt/e",
        "--",
        "sh",
        "-c",
        "umask; stat -c %a /mnt /mnt/d /mnt/e",
    ]);
    out.assert_ok();
    assert_eq!(out.lines(), ["0777", "755", "755", "750"], "{out}");
}

#[test]
fn oom_score_adj_rootless() {
    if skip_without_unprivileged_userns() {
        return;
    }
    let unpriv = |args: &[&str]| match is_root() {
        true => as_nobody(args),
        false => nsrun(args),
    };
    let out = unpriv(&[
        "--oom-score-adj",
        "500",
        "--",
        "cat",
        "/proc/self/oom_score_adj",
    ]);
    out.assert_ok();
    assert_eq!(out.stdout, "500\n", "{out}");
    let out = unpriv(&["--oom-score-adj", "-5", "--", "sh", "-c", "echo ran"]);
    assert_refused(&out, 125, &["--oom-score-adj", "-5", "CAP_SYS_RESOURCE"]);
}

#[test]
#[ignore = "needs root"]
fn groups_set_and_cleared() {
    require_root();
    let groups = |opts: &[&str]| {
        let mut args = opts.to_vec();
        args.extend(["--", "cat", "/proc/self/status"]);
        let out = nsrun(&args);
        out.assert_ok();
        let g = status_field(&out.stdout, "Groups").to_string();
        (g, out)
    };
    let (g, out) = groups(&["--groups", "1,2,3"]);
    assert_eq!(g, "1 2 3", "{out}");
    let (g, out) = groups(&["--groups", "3,1,2000000"]);
    assert_eq!(g, "1 3 2000000", "{out}");
    // Under a supplementary group first, so clearing them is seen.
    let out = under_setpriv(
        &["--groups", "4,5"],
        &["--groups", "", "--", "cat", "/proc/self/status"],
    );
    out.assert_ok();
    assert_eq!(status_field(&out.stdout, "Groups"), "", "{out}");
    let out = under_setpriv(&["--groups", "4,5"], &["--", "cat", "/proc/self/status"]);
    out.assert_ok();
    assert_eq!(status_field(&out.stdout, "Groups"), "4 5", "{out}");
    // With --setuid/--setgid: the groups asked for, not root's.
    let out = nsrun(&[
        "--groups",
        "1,2",
        "--setgid",
        "5",
        "--setuid",
        "7",
        "--",
        "cat",
        "/proc/self/status",
    ]);
    out.assert_ok();
    assert_eq!(status_field(&out.stdout, "Groups"), "1 2", "{out}");
    assert_eq!(
        status_field(&out.stdout, "Uid").split_whitespace().next(),
        Some("7"),
        "{out}"
    );
    assert_eq!(
        status_field(&out.stdout, "Gid").split_whitespace().next(),
        Some("5"),
        "{out}"
    );
    for bad in ["a", "1,,2", "1,", ",1", "4294967295", "-1", "1 2"] {
        let out = nsrun(&["--groups", bad, "--", "sh", "-c", "echo ran"]);
        assert_refused(&out, 2, &["--groups"]);
    }
}

#[test]
fn groups_unprivileged_is_a_usage_error() {
    if skip_without_unprivileged_userns() {
        return;
    }
    let args = ["--groups", "1", "--", "sh", "-c", "echo ran"];
    let out = match is_root() {
        true => as_nobody(&args),
        false => nsrun(&args),
    };
    assert_refused(&out, 2, &["--groups"]);
}

#[test]
#[ignore = "needs root"]
fn oom_score_adj_shows_and_out_of_range_is_refused() {
    require_root();
    let own = std::fs::read_to_string("/proc/self/oom_score_adj").expect("read oom_score_adj");
    for v in ["500", "0", "1000"] {
        let out = nsrun(&[
            "--oom-score-adj",
            v,
            "--",
            "cat",
            "/proc/self/oom_score_adj",
        ]);
        out.assert_ok();
        assert_eq!(out.stdout.trim(), v, "{out}");
    }
    // Lowering it needs CAP_SYS_RESOURCE.
    let out = nsrun(&[
        "--oom-score-adj",
        "-1000",
        "--",
        "cat",
        "/proc/self/oom_score_adj",
    ]);
    if hold_sys_resource() {
        out.assert_ok();
        assert_eq!(out.stdout.trim(), "-1000", "{out}");
    } else {
        assert_refused(&out, 125, &["--oom-score-adj", "-1000", "CAP_SYS_RESOURCE"]);
    }
    let out = under_setpriv(
        &["--bounding-set", "-sys_resource"],
        &["--oom-score-adj", "-1000", "--", "sh", "-c", "echo ran"],
    );
    assert_refused(&out, 125, &["--oom-score-adj", "-1000", "CAP_SYS_RESOURCE"]);
    assert_eq!(
        std::fs::read_to_string("/proc/self/oom_score_adj").expect("read oom_score_adj"),
        own,
        "the test process's own score changed"
    );
    for bad in ["1001", "-1001", "abc", "", "--1", "5x", "99999999999"] {
        let out = nsrun(&["--oom-score-adj", bad, "--", "sh", "-c", "echo ran"]);
        assert_refused(&out, 2, &["--oom-score-adj"]);
    }
}

/// The pid and the session id (field 6 of /proc/PID/stat) the command prints.
fn pid_and_sid(out: &Output) -> (String, String) {
    let lines = out.lines();
    let stat = lines[1];
    let after = &stat[stat.rfind(')').expect("a stat line") + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    // After the name: state, ppid, pgrp, session.
    (lines[0].to_string(), fields[3].to_string())
}

#[test]
#[ignore = "needs root"]
fn new_session_makes_the_command_a_session_leader() {
    require_root();
    let script = "echo $$; cat /proc/$$/stat";
    let out = nsrun(&["--new-session", "--", "sh", "-c", script]);
    out.assert_ok();
    let (pid, sid) = pid_and_sid(&out);
    assert_eq!(pid, "2", "{out}");
    assert_eq!(sid, pid, "the command must lead its own session\n{out}");
    // Without it the command is in the launcher's session (outside the PID namespace: 0).
    let out = nsrun(&["--", "sh", "-c", script]);
    out.assert_ok();
    let (pid, sid) = pid_and_sid(&out);
    assert_ne!(sid, pid, "{out}");
    // As PID 1 too.
    let out = nsrun(&["--new-session", "--as-pid-1", "--", "sh", "-c", script]);
    out.assert_ok();
    let (pid, sid) = pid_and_sid(&out);
    assert_eq!((pid.as_str(), sid.as_str()), ("1", "1"), "{out}");
    let out = nsrun(&["--new-session=yes", "--", "sh", "-c", "echo ran"]);
    assert_refused(&out, 2, &["--new-session"]);
}

// ---------------------------------------------------------------------------------------------
// --masked-path, --ro-path

/// The first path of `candidates` that exists on the host and passes `ok`.
fn first_existing(candidates: &[&'static str], ok: impl Fn(&str) -> bool) -> Option<&'static str> {
    candidates.iter().copied().find(|p| ok(p))
}

#[test]
#[ignore = "needs root"]
fn masked_proc_file_reads_empty_and_keeps_its_content() {
    require_root();
    let nonempty = |p: &str| std::fs::read(p).is_ok_and(|b| !b.is_empty());
    let Some(file) = first_existing(
        &[
            "/proc/kallsyms",
            "/proc/timer_list",
            "/proc/kcore",
            "/proc/version",
        ],
        nonempty,
    ) else {
        panic!("no readable /proc file to mask here");
    };
    let mounts = rootfs::host_mounts();
    let script = "wc -c < \"$1\"; echo x > \"$1\"; wc -c < \"$1\"; dd if=\"$1\" bs=1 count=1 2>/dev/null | wc -c";
    let out = nsrun(&["--masked-path", file, "--", "sh", "-c", script, "sh", file]);
    out.assert_ok();
    assert_eq!(
        out.lines(),
        ["0", "0", "0"],
        "{file} must read as empty, also after a write\n{out}"
    );
    // Without the option the same script sees the content: the check can fail.
    let out = nsrun(&["--", "sh", "-c", "wc -c < \"$1\"", "sh", file]);
    out.assert_ok();
    assert_ne!(out.stdout.trim(), "0", "{out}");
    assert!(nonempty(file), "{file} on the host");
    assert_mounts_unchanged(&mounts);
}

#[test]
#[ignore = "needs root"]
fn masked_proc_dir_is_empty_and_read_only() {
    require_root();
    let nonempty = |p: &str| std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_some());
    let Some(dir) = first_existing(
        &[
            "/proc/acpi",
            "/proc/irq",
            "/proc/bus",
            "/proc/scsi",
            "/proc/sys",
        ],
        nonempty,
    ) else {
        panic!("no /proc directory to mask here");
    };
    let mounts = rootfs::host_mounts();
    let script = "echo @@ ls; ls -A \"$1\"; echo @@ touch; touch \"$1/x\" 2>&1; echo rc=$?; \
                  echo @@ mkdir; mkdir \"$1/d\" 2>&1; echo rc=$?";
    let out = nsrun(&["--masked-path", dir, "--", "sh", "-c", script, "sh", dir]);
    out.assert_code(0);
    let s = out.sections();
    assert_eq!(s["ls"], "", "{dir} must look empty\n{out}");
    for op in ["touch", "mkdir"] {
        assert!(
            s[op].contains("Read-only file system") && !s[op].contains("rc=0"),
            "{op}\n{out}"
        );
    }
    let out = nsrun(&["--", "sh", "-c", "ls -A \"$1\"", "sh", dir]);
    out.assert_ok();
    assert_ne!(out.stdout, "", "{out}");
    assert!(nonempty(dir));
    assert_mounts_unchanged(&mounts);
}

#[test]
#[ignore = "needs root"]
fn masked_paths_in_a_rootfs_and_missing_ones_skipped() {
    require_root();
    let r = Rootfs::new("masked");
    std::fs::write(r.root().join("etc/hostname"), "secret-host\n").expect("write etc/hostname");
    std::fs::create_dir(r.root().join("etc/secret")).expect("mkdir etc/secret");
    std::fs::write(r.root().join("etc/secret/key"), "k\n").expect("write key");
    let r = r.resnapshot();
    let script = "echo @@ file; cat /etc/hostname; echo x > /etc/hostname; cat /etc/hostname; \
                  echo @@ dir; ls -A /etc/secret; touch /etc/secret/new 2>&1; echo rc=$?; \
                  echo @@ issue; cat /etc/issue";
    let out = r.sh(
        &[
            "--masked-path",
            "/etc/hostname",
            "--masked-path",
            "/etc/secret",
            "--masked-path",
            "/nope/missing",
            "--masked-path",
            "/etc/not-there",
        ],
        script,
    );
    out.assert_code(0);
    assert_eq!(out.stderr, "", "{out}");
    let s = out.sections();
    assert_eq!(s["file"], "", "{out}");
    assert!(
        s["dir"].contains("Read-only file system") && !s["dir"].contains("rc=0"),
        "{out}"
    );
    assert!(!s["dir"].contains("key"), "{out}");
    assert_eq!(s["issue"], format!("{}\n", rootfs::MARKER), "{out}");
    assert_eq!(
        std::fs::read_to_string(r.root().join("etc/hostname")).expect("read"),
        "secret-host\n"
    );
    // finish(): the tree is exactly as it was (nothing created for the missing paths).
    r.finish();
}

#[test]
#[ignore = "needs root"]
fn masked_missing_path_without_root_is_skipped_and_not_created() {
    require_root();
    let dir = TempDir::new("masked-missing");
    let missing = dir.path().join("a/b");
    let missing = missing.to_str().expect("utf-8");
    let mounts = rootfs::host_mounts();
    let out = nsrun(&["--masked-path", missing, "--ro-path", missing, "--", "true"]);
    out.assert_ok();
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("read").count(),
        0,
        "created on the host"
    );
    assert_mounts_unchanged(&mounts);
    for bad in ["relative/path", ""] {
        let out = nsrun(&["--masked-path", bad, "--", "sh", "-c", "echo ran"]);
        assert_refused(&out, 2, &["--masked-path"]);
        let out = nsrun(&["--ro-path", bad, "--", "sh", "-c", "echo ran"]);
        assert_refused(&out, 2, &["--ro-path"]);
    }
}

#[test]
#[ignore = "needs root"]
fn ro_path_is_read_only_with_its_submounts() {
    require_root();
    let dir = TempDir::new("ro-path");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir sub");
    std::fs::write(dir.path().join("f"), "old\n").expect("write f");
    let sub = format!("{}/sub", dir.str());
    let mounts = rootfs::host_mounts();
    let script =
        "echo @@ top; touch \"$1/a\" 2>&1; echo rc=$?; { echo new > \"$1/f\"; } 2>&1; echo rc=$?; \
                  echo @@ sub; touch \"$1/sub/b\" 2>&1; echo rc=$?";
    let out = nsrun(&[
        "--tmpfs",
        &sub,
        "--ro-path",
        dir.str(),
        "--",
        "sh",
        "-c",
        script,
        "sh",
        dir.str(),
    ]);
    out.assert_code(0);
    let s = out.sections();
    for part in ["top", "sub"] {
        assert!(
            s[part].contains("Read-only file system") && !s[part].contains("rc=0"),
            "{part} must be read-only\n{out}"
        );
    }
    // Without --ro-path the submount is writable: the check can fail.
    let out = nsrun(&[
        "--tmpfs",
        &sub,
        "--",
        "sh",
        "-c",
        "touch \"$1/sub/b\" && echo ok",
        "sh",
        dir.str(),
    ]);
    out.assert_ok();
    assert_eq!(out.stdout, "ok\n", "{out}");
    // The host's directory is unchanged and still writable.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("f")).expect("read f"),
        "old\n"
    );
    assert!(!dir.path().join("a").exists());
    assert!(std::fs::read_dir(dir.path().join("sub"))
        .expect("read sub")
        .next()
        .is_none());
    std::fs::write(dir.path().join("g"), "x").expect("the host's directory is writable");
    assert_mounts_unchanged(&mounts);
}

#[test]
fn masked_and_read_only_paths_rootless() {
    if skip_without_unprivileged_userns() {
        return;
    }
    let dir = TempDir::new("ro-rootless");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let nonempty = |p: &str| std::fs::read_dir(p).is_ok_and(|mut d| d.next().is_some());
    let pdir = first_existing(&["/proc/acpi", "/proc/irq", "/proc/bus"], nonempty)
        .expect("a /proc directory to mask");
    let script = "echo @@ file; wc -c < /proc/version; \
                  echo @@ dir; ls -A \"$1\"; \
                  echo @@ ro; touch \"$2/x\" 2>&1; echo rc=$?; \
                  echo @@ sys; { echo c2 > /proc/sys/kernel/hostname; } 2>&1; echo rc=$?";
    let args = [
        "--masked-path",
        "/proc/version",
        "--masked-path",
        pdir,
        "--ro-path",
        dir.str(),
        "--ro-path",
        "/proc/sys",
        "--",
        "sh",
        "-c",
        script,
        "sh",
        pdir,
        dir.str(),
    ];
    let out = match is_root() {
        true => as_nobody(&args),
        false => nsrun(&args),
    };
    out.assert_code(0);
    let s = out.sections();
    assert_eq!(s["file"], "0\n", "{out}");
    assert_eq!(s["dir"], "", "{out}");
    for part in ["ro", "sys"] {
        assert!(
            s[part].contains("Read-only file system") && !s[part].contains("rc=0"),
            "{part}\n{out}"
        );
    }
    assert!(!dir.path().join("x").exists());
}

#[test]
#[ignore = "needs root"]
fn ro_path_proc_sys_as_oci_readonly_paths() {
    require_root();
    let script = "{ echo c2 > /proc/sys/kernel/hostname; } 2>&1; echo rc=$?; hostname";
    let out = nsrun(&[
        "--hostname",
        "c1",
        "--ro-path",
        "/proc/sys",
        "--",
        "sh",
        "-c",
        script,
    ]);
    out.assert_code(0);
    assert!(out.stdout.contains("Read-only file system"), "{out}");
    assert!(out.stdout.ends_with("c1\n"), "{out}");
    // Without it, the write reaches the container's own UTS namespace: the check can fail.
    let out = nsrun(&["--hostname", "c1", "--", "sh", "-c", script]);
    out.assert_ok();
    assert_eq!(out.stdout, "rc=0\nc2\n", "{out}");
}

#[test]
#[ignore = "needs root"]
fn masked_path_cannot_be_unmounted_under_the_container_preset() {
    require_root();
    let r = Rootfs::new("mask-umount");
    std::fs::write(r.root().join("etc/hostname"), "secret-host\n").expect("write");
    let r = r.resnapshot();
    let script = "busybox umount /etc/hostname 2>&1; echo rc=$?; busybox cat /etc/hostname; \
                  busybox mount -o remount,rw /etc/hostname 2>&1; echo rc=$?";
    let out = r.sh(&["--masked-path", "/etc/hostname"], script);
    out.assert_code(0);
    assert!(
        !out.stdout.contains("secret-host"),
        "the mask came off\n{out}"
    );
    assert!(!out.stdout.contains("rc=0"), "{out}");
    // With every capability the mask can be taken off: the check can fail.
    let out = r.sh(
        &["--caps-preset", "all", "--masked-path", "/etc/hostname"],
        script,
    );
    out.assert_code(0);
    assert!(out.stdout.contains("secret-host"), "{out}");
    r.finish();
}

#[test]
#[ignore = "needs root"]
fn ro_path_in_a_rootfs() {
    require_root();
    let r = Rootfs::new("ro-path");
    let out = r.sh(
        &[
            "--tmpfs",
            "/tmp",
            "--ro-path",
            "/etc",
            "--ro-path",
            "/missing/dir",
        ],
        "touch /etc/x 2>&1; echo rc=$?; touch /tmp/y && echo tmp-ok; rm -f /tmp/y",
    );
    out.assert_code(0);
    assert!(out.stdout.contains("Read-only file system"), "{out}");
    assert!(!out.stdout.contains("rc=0"), "{out}");
    assert!(
        out.stdout.contains("tmp-ok"),
        "only the named path is read-only\n{out}"
    );
    r.finish();
}

// ---------------------------------------------------------------------------------------------
// --disable-userns

const TRY_USERNS: &str = "echo @@ ids; id -u; id -g; \
    echo @@ unshare; unshare -U true 2>/dev/null; echo rc=$?; \
    echo @@ busybox; busybox unshare -U true 2>/dev/null; echo rc=$?";

#[test]
#[ignore = "needs root"]
fn disable_userns_as_root_with_a_user_namespace() {
    require_root();
    let before = max_user_namespaces();
    let out = nsrun(&[
        "-U",
        "--map-root-user",
        "--disable-userns",
        "--",
        "sh",
        "-c",
        TRY_USERNS,
    ]);
    out.assert_ok();
    let s = out.sections();
    assert_ne!(s["unshare"], "rc=0\n", "unshare -U must fail\n{out}");
    assert_ne!(
        s["busybox"], "rc=0\n",
        "busybox unshare -U must fail\n{out}"
    );
    let ids = s["ids"].clone();
    // Without the option it works, with the same ids.
    let out = nsrun(&["-U", "--map-root-user", "--", "sh", "-c", TRY_USERNS]);
    out.assert_ok();
    let s = out.sections();
    assert_eq!(s["unshare"], "rc=0\n", "{out}");
    assert_eq!(
        s["ids"], ids,
        "the ids must be as without --disable-userns\n{out}"
    );
    // With every namespace kind.
    let out = nsrun(&[
        "--unshare-all",
        "--map-root-user",
        "--disable-userns",
        "--",
        "sh",
        "-c",
        TRY_USERNS,
    ]);
    out.assert_ok();
    assert_ne!(out.sections()["unshare"], "rc=0\n", "{out}");
    assert_eq!(
        max_user_namespaces(),
        before,
        "the host's user.max_user_namespaces changed"
    );
}

#[test]
#[ignore = "needs root"]
fn disable_userns_keeps_the_ids_set_with_setuid_and_setgid() {
    require_root();
    let before = max_user_namespaces();
    let opts = [
        "-U",
        "--uid-map",
        "0:0:100",
        "--gid-map",
        "0:0:100",
        "--setuid",
        "5",
        "--setgid",
        "6",
    ];
    let mut args = opts.to_vec();
    args.extend(["--", "sh", "-c", TRY_USERNS]);
    let out = nsrun(&args);
    out.assert_ok();
    assert_eq!(out.sections()["ids"], "5\n6\n", "{out}");
    let mut args = opts.to_vec();
    args.extend(["--disable-userns", "--", "sh", "-c", TRY_USERNS]);
    let out = nsrun(&args);
    out.assert_ok();
    let s = out.sections();
    assert_eq!(s["ids"], "5\n6\n", "{out}");
    assert_ne!(s["unshare"], "rc=0\n", "{out}");
    assert_eq!(max_user_namespaces(), before);
}

#[test]
#[ignore = "needs root"]
fn disable_userns_without_a_new_user_namespace_is_a_usage_error() {
    require_root();
    let before = max_user_namespaces();
    for opts in [
        vec!["--disable-userns"],
        vec!["--share-user", "--disable-userns"],
        vec!["-m", "-p", "--disable-userns"],
    ] {
        let mut args = opts.clone();
        args.extend(["--", "sh", "-c", "echo ran"]);
        let out = nsrun(&args);
        assert_refused(&out, 2, &["--disable-userns"]);
    }
    let out = nsrun(&["--disable-userns=1", "-U", "--", "sh", "-c", "echo ran"]);
    assert_refused(&out, 2, &["--disable-userns"]);
    assert_eq!(
        max_user_namespaces(),
        before,
        "the host's user.max_user_namespaces changed"
    );
}

#[test]
#[ignore = "needs root"]
fn disable_userns_in_a_rootfs_without_proc_works_or_says_why() {
    require_root();
    let before = max_user_namespaces();
    let r = Rootfs::new("userns-noproc");
    let out = r.sh(
        &[
            "-U",
            "-m",
            "-p",
            "--map-root-user",
            "--disable-userns",
            "--no-proc",
        ],
        // No /dev in this rootfs: 2>/dev/null would create a file in it.
        "busybox unshare -U true 2>&1; echo rc=$?",
    );
    match out.code() {
        Some(0) => assert_ne!(out.stdout, "rc=0\n", "{out}"),
        _ => {
            assert_refused(&out, 125, &["--disable-userns", "(hint: "]);
        }
    }
    // With a /proc in the rootfs it works.
    let out = r.sh(
        &["-U", "-m", "-p", "--map-root-user", "--disable-userns"],
        // No /dev in this rootfs: 2>/dev/null would create a file in it.
        "busybox unshare -U true 2>&1; echo rc=$?",
    );
    out.assert_ok();
    assert_ne!(out.stdout, "rc=0\n", "{out}");
    assert_eq!(max_user_namespaces(), before);
    r.finish();
}

#[test]
fn disable_userns_rootless() {
    if skip_without_unprivileged_userns() {
        return;
    }
    let before = max_user_namespaces();
    let unpriv = |args: &[&str]| match is_root() {
        true => as_nobody(args),
        false => nsrun(args),
    };
    let out = unpriv(&["--disable-userns", "--", "sh", "-c", TRY_USERNS]);
    out.assert_ok();
    let s = out.sections();
    assert_ne!(s["unshare"], "rc=0\n", "{out}");
    assert_ne!(s["busybox"], "rc=0\n", "{out}");
    let ids = s["ids"].clone();
    let out = unpriv(&["--", "sh", "-c", TRY_USERNS]);
    out.assert_ok();
    let s = out.sections();
    assert_eq!(s["unshare"], "rc=0\n", "{out}");
    assert_eq!(s["ids"], ids, "{out}");
    // With an explicit -U too.
    let out = unpriv(&[
        "-U",
        "--map-root-user",
        "--disable-userns",
        "--",
        "sh",
        "-c",
        TRY_USERNS,
    ]);
    out.assert_ok();
    assert_ne!(out.sections()["unshare"], "rc=0\n", "{out}");
    assert_eq!(
        max_user_namespaces(),
        before,
        "the host's user.max_user_namespaces changed"
    );
}

// ---------------------------------------------------------------------------------------------
// Error lines

#[test]
#[ignore = "needs root"]
fn usage_errors_of_the_lock_options_are_one_well_formed_line() {
    require_root();
    let cases: Vec<Vec<&str>> = vec![
        vec!["--disable-userns"],
        vec!["--cap-add", "bogus"],
        vec!["--rlimit", "nofile=x"],
        vec!["--umask", "9"],
        vec!["--oom-score-adj", "2000"],
        vec!["--groups", "x"],
        vec!["--caps-preset", "x"],
        vec!["--masked-path", "rel"],
    ];
    for opts in cases {
        let mut args = opts.clone();
        args.extend(["--", "sh", "-c", "echo ran"]);
        let out = nsrun(&args);
        let line = assert_refused(&out, 2, &[opts[0]]);
        assert!(
            !line.contains("  "),
            "a run of spaces in the message {opts:?}\n{out}"
        );
    }
}

#[test]
fn groups_refusal_rootless_is_a_well_formed_line() {
    if skip_without_unprivileged_userns() {
        return;
    }
    let args = ["--groups", "1", "--", "sh", "-c", "echo ran"];
    let out = match is_root() {
        true => as_nobody(&args),
        false => nsrun(&args),
    };
    let line = assert_refused(&out, 2, &["--groups"]);
    assert!(
        !line.contains("  "),
        "a run of spaces in the message\n{out}"
    );
}

// ---------------------------------------------------------------------------------------------
// `nsrun gc`: the one command word.

#[test]
fn gc_is_a_command_word_only_alone_and_first() {
    let out = nsrun(&["gc", "extra"]);
    assert_refused(&out, 2, &["gc takes no arguments", "nsrun -- gc"]);
    // After `--` (or after any option) `gc` is the command to run, which does not exist here.
    let out = nsrun(&["--", "gc"]);
    out.assert_code(127);
    out.assert_one_error_line(&["execute gc"]);
    let out = nsrun(&["--share-net", "gc"]);
    out.assert_code(127);
}
