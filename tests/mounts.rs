//! `nsrun mounts [--json] [PID]`: the mount tree, checked against findmnt (util-linux). Mounts are
//! made only in scratch mount namespaces (`unshare -m`), never in the machine's own.

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use common::{nsrun, poll, require_root, require_tool, run, Running};

/// (target, propagation words as findmnt names them) of `nsrun mounts` text output.
fn ours(text: &str) -> BTreeSet<(String, String)> {
    text.lines()
        .filter(|l| !l.starts_with("note:"))
        .map(|l| {
            let mut parts = l.trim_start().rsplitn(3, "  ");
            let prop = parts.next().unwrap();
            parts.next().unwrap();
            let target = parts.next().unwrap().to_string();
            let mut words: Vec<&str> = prop
                .split(' ')
                .filter_map(|t| match t.split(':').next().unwrap() {
                    "shared" => Some("shared"),
                    "master" => Some("slave"),
                    "unbindable" => Some("unbindable"),
                    "private" => Some("private"),
                    _ => None,
                })
                .collect();
            words.sort();
            (target, words.join(","))
        })
        .collect()
}

/// The same from `findmnt -o TARGET,PROPAGATION -r` (for `pid`, with -N... via --task).
fn findmnt(pid: Option<i32>) -> BTreeSet<(String, String)> {
    require_tool("findmnt");
    let mut cmd = Command::new("findmnt");
    cmd.args(["-o", "TARGET,PROPAGATION", "-r", "-n"]);
    if let Some(p) = pid {
        cmd.args(["--task", &p.to_string()]);
    }
    let out = run(&mut cmd);
    out.assert_code(0);
    out.stdout
        .lines()
        .map(|l| {
            let (t, p) = l.rsplit_once(' ').unwrap();
            let mut w: Vec<&str> = p.split(',').collect();
            // findmnt writes "private,slave" for a slave that is not shared, and
            // "private,unbindable": private only means no other word here.
            if w.len() > 1 {
                w.retain(|x| *x != "private");
            }
            w.sort();
            (t.replace("\\x20", " "), w.join(","))
        })
        .collect()
}

#[test]
fn own_tree_matches_findmnt() {
    let out = nsrun(&["mounts"]);
    out.assert_ok();
    let mut mine = ours(&out.stdout);
    mine = mine
        .into_iter()
        .map(|(t, p)| {
            let p = if p.contains("unbindable") {
                p.replace("private,", "")
            } else {
                p
            };
            (t, p)
        })
        .collect();
    assert_eq!(mine, findmnt(None), "{out}");
    assert!(out.lines()[0].starts_with('/'), "{out}");
}

#[test]
fn json_parses() {
    let out = nsrun(&["mounts", "--json"]);
    out.assert_ok();
    let mut cmd = Command::new("python3");
    cmd.args([
        "-c",
        "import json,sys; a=json.load(sys.stdin); assert a and all('propagation' in m and 'children' not in m for m in a); print(len(a))",
    ]);
    let py = common::run_with_input(&mut cmd, out.stdout.as_bytes());
    py.assert_ok();
    assert_eq!(
        py.stdout.trim(),
        nsrun(&["mounts"]).lines().len().to_string()
    );
    let tool = common::run_with_input(
        Command::new("python3").args(["-m", "json.tool"]),
        out.stdout.as_bytes(),
    );
    tool.assert_ok();
}

#[test]
fn errors() {
    for bad in ["x", "-1", "1x", "99999999999"] {
        nsrun(&["mounts", bad])
            .assert_code(2)
            .assert_one_error_line(&["mounts"]);
    }
    nsrun(&["mounts", "1", "2"])
        .assert_code(2)
        .assert_one_error_line(&["nsrun -- mounts"]);
    nsrun(&["mounts", "4294967295"])
        .assert_code(125)
        .assert_one_error_line(&["/proc/4294967295/mountinfo", "No such file or directory"]);
}

#[test]
#[ignore = "needs root"]
fn a_containers_tree_shows_slave_mounts() {
    require_root();
    // In a scratch namespace whose / is shared, so that the container's mounts are its slaves.
    let mut c = Running::spawn(Command::new("unshare").args([
        "-m",
        "--propagation",
        "shared",
        common::nsrun_bin().to_str().unwrap(),
        "--propagation",
        "slave",
        "--",
        "sh",
        "-c",
        "echo ready; exec sleep 5",
    ]));
    c.expect_line("ready");
    let mut pid = None;
    assert!(poll(Duration::from_secs(5), || {
        pid = common::descendants(c.pid())
            .into_iter()
            .find(|p| common::cmdline(p.pid).starts_with("sleep"))
            .map(|p| p.pid);
        pid.is_some()
    }));
    let pid = pid.unwrap();
    let out = nsrun(&["mounts", &pid.to_string()]);
    out.assert_ok();
    assert!(out.stdout.contains("master:"), "{out}");
    assert_eq!(ours(&out.stdout), findmnt(Some(pid)), "{out}");
    common::send_signal(pid, 9);
    c.wait();
}

#[test]
#[ignore = "needs root"]
fn escaped_paths_are_decoded() {
    require_root();
    let out = run(Command::new("unshare").args([
        "-m",
        "--propagation",
        "unchanged",
        "sh",
        "-c",
        "mount --make-rprivate / && mkdir -p '/tmp/a b' && mount -t tmpfs 'x y' '/tmp/a b' && \"$0\" mounts && \"$0\" mounts --json",
        common::nsrun_bin().to_str().unwrap(),
    ]));
    out.assert_ok();
    assert!(out.stdout.contains("/tmp/a b  tmpfs x y  private"), "{out}");
    assert!(out.stdout.contains("\"target\":\"/tmp/a b\""), "{out}");
    assert!(!out.stdout.contains("\\040"), "{out}");
}

#[test]
#[ignore = "needs root"]
fn a_shared_root_gets_a_note() {
    require_root();
    let out = run(Command::new("unshare").args([
        "-m",
        "--propagation",
        "shared",
        common::nsrun_bin().to_str().unwrap(),
        "mounts",
    ]));
    out.assert_ok();
    let last = *out.lines().last().unwrap();
    assert!(
        last.starts_with("note: / is shared (peer group ")
            && last.contains("nsrun makes / private first"),
        "{out}"
    );
    assert!(!nsrun(&["mounts", "--json"]).stdout.contains("note"));
}
