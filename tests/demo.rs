//! `nsrun demo propagation`: its observations, parsed from `--json` with python3's json module,
//! must be the kernel's documented semantics (Documentation/filesystems/sharedsubtree.rst,
//! mount_namespaces(7)): shared both ways, slave one way, private none, a bind of an unbindable
//! mount refused with EINVAL and unbindable mounts left out of a recursive bind, and the trap: a
//! /proc mounted in a new namespace under a shared / arrives on the other side. The machine's mount
//! table is the same after as before each run.

mod common;
mod rootfs;

use std::collections::BTreeMap;
use std::process::Command;

use common::{host_mountinfo, nsrun, require_root, require_tool, run_with_input, Output};

/// The observations as `key=value` lines, flattened by python's json module (which also proves
/// the output is JSON): `experiments.shared.b_sees_a.source=from-a`.
fn facts(out: &Output) -> BTreeMap<String, String> {
    require_tool("python3");
    let flatten = r#"
import json, sys
def walk(p, v):
    if isinstance(v, dict):
        for k, x in v.items(): walk(p + [k], x)
    elif isinstance(v, list) and p == ['experiments']:
        for x in v: walk(p + [x['type']], x)
    else:
        print('.'.join(p) + '=' + json.dumps(v))
walk([], json.load(sys.stdin))
"#;
    let py = run_with_input(
        Command::new("python3").args(["-c", flatten]),
        out.stdout.as_bytes(),
    );
    py.assert_ok();
    py.stdout
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.trim_matches('"').to_string())
        })
        .collect()
}

/// Asserts every documented semantic on the facts; `userns` is whether the demo had to make a
/// user namespace (an ordinary user) or not (root).
fn check(f: &BTreeMap<String, String>, userns: bool) {
    let get = |k: &str| {
        f.get(k)
            .unwrap_or_else(|| panic!("no {k} in {f:#?}"))
            .as_str()
    };
    assert_eq!(get("scratch.userns"), userns.to_string());
    assert_eq!(get("scratch.root"), "private", "/ is private first");
    // Shared: the copy in B is a peer (same group), and events go both ways.
    let a = get("experiments.shared.a");
    assert!(a.starts_with("shared:"), "{f:#?}");
    assert_eq!(
        get("experiments.shared.b"),
        a,
        "B's copy is in A's peer group"
    );
    assert_eq!(get("experiments.shared.b_sees_a.source"), "from-a");
    assert_eq!(get("experiments.shared.a_sees_b.source"), "from-b");
    // Slave: B's copy is a slave of A's group (master:N, N as in A's shared:N), one way.
    let a = get("experiments.slave.a");
    let group = a.strip_prefix("shared:").expect("A's is shared");
    assert_eq!(get("experiments.slave.b"), format!("master:{group}"));
    assert_eq!(get("experiments.slave.b_sees_a.source"), "from-a");
    assert!(
        get("experiments.slave.b_sees_a.propagation").starts_with("master:"),
        "what arrives in a slave is a slave too"
    );
    assert_eq!(
        get("experiments.slave.a_sees_b"),
        "null",
        "nothing goes back"
    );
    // Private: nothing either way.
    assert_eq!(get("experiments.private.a"), "private");
    assert_eq!(get("experiments.private.b"), "private");
    assert_eq!(get("experiments.private.b_sees_a"), "null");
    assert_eq!(get("experiments.private.a_sees_b"), "null");
    // Unbindable: a bind of it is EINVAL; a recursive bind of a tree holding it leaves it out.
    assert_eq!(get("experiments.unbindable.a"), "unbindable");
    assert_eq!(
        get("experiments.unbindable.bind_errno"),
        libc::EINVAL.to_string()
    );
    assert_eq!(get("experiments.unbindable.bind"), "null");
    assert_eq!(get("experiments.unbindable.rbind_errno"), "0");
    assert_eq!(get("experiments.unbindable.rbind_copies_tree"), "true");
    assert_eq!(
        get("experiments.unbindable.rbind_copies_unbindable"),
        "false"
    );
    // The trap: with / and /proc shared, the new namespace's proc lands on the scratch side's
    // /proc, on top, shows only the new PID namespace (its PID 1), and /proc/self no longer
    // resolves there; it stays after that namespace is gone.
    assert!(get("trap.root").starts_with("shared:"), "{f:#?}");
    assert!(get("trap.proc").starts_with("shared:"), "{f:#?}");
    // One more mount on /proc than before (nsrun's own namespace has one; a container's, two).
    let before: usize = get("trap.shared.proc_mounts_before").parse().unwrap();
    let plus_one = (before + 1).to_string();
    assert_eq!(get("trap.shared.mount_errno"), "0");
    assert_eq!(get("trap.shared.proc_mounts"), plus_one, "{f:#?}");
    assert_eq!(get("trap.shared.top.fstype"), "proc");
    assert_eq!(get("trap.shared.pids"), "[1]");
    assert_eq!(get("trap.shared.self_errno"), libc::ENOENT.to_string());
    assert_eq!(get("trap.shared.proc_mounts_after"), plus_one);
    assert_eq!(get("trap.proc_mounts_after_umount"), before.to_string());
    // With / private first (nsrun's default), the same mount stays in its namespace.
    assert_eq!(get("trap.private_root"), "private");
    assert_eq!(get("trap.private.mount_errno"), "0");
    assert_eq!(get("trap.private.proc_mounts_before"), before.to_string());
    assert_eq!(get("trap.private.proc_mounts"), before.to_string());
    assert_eq!(get("trap.private.top.propagation"), "private");
    assert_eq!(get("trap.private.self_errno"), "0");
    assert_eq!(get("host.unchanged"), "true");
}

/// The text form says the same as the JSON: each line is built from the same observations.
fn check_text(out: &Output) {
    let t = &out.stdout;
    for want in [
        "mount in A on /tmp/shared/from-a: B sees it (tmpfs from-a, shared:",
        "mount in B on /tmp/shared/from-b: A sees it (tmpfs from-b, shared:",
        "mount in A on /tmp/slave/from-a: B sees it (tmpfs from-a, master:",
        "mount in B on /tmp/slave/from-b: A does not see it\n",
        "mount in A on /tmp/private/from-a: B does not see it\n",
        "mount in B on /tmp/private/from-b: A does not see it\n",
        "bind of it on /tmp/unbindable-bind: EINVAL (Invalid argument)\n",
        "/tmp/tree-copy is a mount, /tmp/tree-copy/sub is not a mount\n",
        "the scratch side then has 2 mounts on /proc (1 before), the top one proc (shared:",
        "its /proc lists pids [1]; /proc/self: ENOENT (No such file or directory)\n",
        "the scratch side then has 1 mount on /proc (1 before), the top one proc (private,",
        "host: nsrun's mount table before and after: identical (",
    ] {
        assert!(t.contains(want), "missing {want:?}\n{out}");
    }
    assert!(
        !t.contains("\"") && t.lines().all(|l| !l.is_empty()),
        "{out}"
    );
}

#[test]
#[ignore = "needs root"]
fn as_root_the_observations_are_the_documented_semantics() {
    require_root();
    let before = host_mountinfo();
    let out = nsrun(&["demo", "propagation", "--json"]);
    out.assert_ok();
    assert_eq!(out.stderr, "", "{out}");
    check(&facts(&out), false);
    let text = nsrun(&["demo", "propagation"]);
    text.assert_ok();
    check_text(&text);
    assert_eq!(
        host_mountinfo(),
        before,
        "the machine's mount table is unchanged"
    );
}

#[test]
#[ignore = "needs root (to become uid 65534)"]
fn as_an_ordinary_user_in_a_user_namespace_the_same() {
    require_root();
    if common::skip_without_unprivileged_userns() {
        return;
    }
    let before = host_mountinfo();
    let setpriv = require_tool("setpriv");
    let as_nobody = |args: &[&str]| {
        common::run(
            Command::new(&setpriv)
                .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
                .arg(common::nsrun_bin())
                .args(args),
        )
    };
    let out = as_nobody(&["demo", "propagation", "--json"]);
    out.assert_ok();
    check(&facts(&out), true);
    let text = as_nobody(&["demo", "propagation"]);
    text.assert_ok();
    check_text(&text);
    assert!(text.stdout.contains("in a new user namespace"), "{text}");
    assert_eq!(host_mountinfo(), before);
}

/// Where it may not mount (a container without CAP_SYS_ADMIN whose seccomp filter refuses
/// mount(2)), one line names the step and the errno, with a hint; exit 125, no output.
#[test]
#[ignore = "needs root"]
fn without_the_privilege_it_says_why_in_one_line() {
    require_root();
    let before = host_mountinfo();
    let bin = common::nsrun_bin();
    let bin = bin.to_str().unwrap();
    let out = nsrun(&[
        "--seccomp-preset",
        "default",
        "--",
        bin,
        "demo",
        "propagation",
    ]);
    out.assert_code(125);
    assert_eq!(out.stdout, "", "{out}");
    out.assert_one_error_line(&[
        "demo propagation: ",
        "EPERM",
        "hint: the demo needs CAP_SYS_ADMIN",
    ]);
    assert_eq!(host_mountinfo(), before);
}

/// Run again inside a container whose mounts are all unbindable (the demo makes / private in its
/// own namespace first, which is allowed there): the same observations.
#[test]
#[ignore = "needs root"]
fn inside_an_unbindable_container_the_same() {
    require_root();
    let before = host_mountinfo();
    let bin = common::nsrun_bin();
    let out = nsrun(&[
        "--propagation",
        "unbindable",
        "--",
        bin.to_str().unwrap(),
        "demo",
        "propagation",
        "--json",
    ]);
    out.assert_ok();
    check(&facts(&out), false);
    assert_eq!(host_mountinfo(), before);
}

/// A root with neither /tmp nor /mnt: one line says what is missing; nothing is left behind.
#[test]
#[ignore = "needs root"]
fn without_tmp_or_mnt_it_says_so() {
    require_root();
    let r = rootfs::Rootfs::new("demo-no-tmp");
    for d in ["tmp", "mnt"] {
        std::fs::remove_dir(r.root().join(d)).unwrap();
    }
    std::fs::copy(common::nsrun_bin(), r.root().join("bin/nsrun")).unwrap();
    let r = r.resnapshot();
    let out = r.run(&[], &["/bin/nsrun", "demo", "propagation"]);
    out.assert_code(125);
    assert_eq!(out.stdout, "", "{out}");
    out.assert_one_error_line(&["demo propagation: find /tmp or /mnt", "ENOENT"]);
    r.finish();
}

/// With something else than a procfs on /proc it stops before it mounts anything.
#[test]
#[ignore = "needs root"]
fn a_fake_proc_stops_it() {
    require_root();
    let before = host_mountinfo();
    let out = common::in_scratch_mount_ns(
        "mount -t tmpfs fake /proc && mkdir /proc/self && \"$NSRUN\" demo propagation",
        &[],
    );
    out.assert_code(125);
    assert_eq!(out.stdout, "", "{out}");
    out.assert_one_error_line(&["open /proc/self (a procfs)", "EXDEV"]);
    assert_eq!(host_mountinfo(), before);
}

#[test]
fn usage_errors() {
    for (args, part) in [
        (&["demo"][..], "needs the demo's name"),
        (&["demo", "nope"], "no demo named 'nope'"),
        (&["demo", "propagation", "propagation"], "demo takes"),
        (&["demo", "propagation", "--jsn"], "--jsn"),
        (&["demo", "propagation", "--json", "--json"], "twice"),
        (&["demo", "--json=yes", "propagation"], "takes no value"),
    ] {
        nsrun(args).assert_code(2).assert_one_error_line(&[part]);
    }
    let help = nsrun(&["demo", "--help"]);
    help.assert_ok();
    assert!(
        help.stdout
            .contains("Usage: nsrun demo propagation [--json]"),
        "{help}"
    );
}
