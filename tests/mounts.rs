//! `nsrun mounts [--json] [PID]`: the mount tree, checked against findmnt (util-linux), and
//! `--propagation unbindable`. Mounts are made only in scratch mount namespaces (`unshare -m`)
//! and containers, never in the machine's own; each test that mounts checks the host's table.

mod common;
mod rootfs;

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use common::{host_mountinfo, nsrun, poll, require_root, require_tool, run, Running};
use rootfs::Rootfs;

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
    // Digits are a pid; other words a container name.
    for bad in ["", "0", "00", "99999999999", "4294967295", "2147483648"] {
        nsrun(&["mounts", bad])
            .assert_code(2)
            .assert_one_error_line(&["mounts", "is not a process id"]);
    }
    for bad in ["+1", "a/b", ".x", ".."] {
        nsrun(&["mounts", bad])
            .assert_code(2)
            .assert_one_error_line(&["mounts: container name"]);
    }
    let dir = common::TempDir::new("mounts-names");
    // A state directory only its owner may open (nsrun refuses one others could lock).
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    for name in ["x", "1x", "self"] {
        nsrun(&["mounts", "--state-dir", dir.str(), name])
            .assert_code(1)
            .assert_one_error_line(&["no container named", name]);
    }
    for bad in [
        &["-1"][..],
        &["--jsn"],
        &["--json=1"],
        &["--json", "--json"],
    ] {
        let mut a = vec!["mounts"];
        a.extend(bad);
        nsrun(&a).assert_code(2).assert_one_error_line(&["nsrun: "]);
    }
    nsrun(&["mounts", "1", "2"])
        .assert_code(2)
        .assert_one_error_line(&["nsrun -- mounts"]);
    // The largest pid the parser takes; no kernel's pid_max reaches it.
    nsrun(&["mounts", "2147483647"])
        .assert_code(125)
        .assert_one_error_line(&[
            "/proc/2147483647/mountinfo",
            "No such file or directory",
            "hint:",
        ]);
    // A command of that name runs as one.
    let out = nsrun(&["--share-all", "--", "mounts"]);
    assert_ne!(out.code(), Some(0), "{out}");
    assert!(!out.stdout.contains("ext4"), "{out}");
    let help = nsrun(&["mounts", "--help"]);
    help.assert_ok();
    assert!(help.stdout.contains("--json"), "{help}");
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
    let before = host_mountinfo();
    // A space, a tab and a backslash: the kernel writes them \040, \011 and \134.
    let out = run(Command::new("unshare").args([
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        // The binary may live below /tmp (a clone there): it is held open and copied first.
        "exec 9<\"$0\" && mount -t tmpfs scratch /tmp && cp /proc/self/fd/9 /tmp/.nsrun &&
         mkdir '/tmp/a b' \"$(printf '/tmp/t\\tb')\" '/tmp/x\\y' &&
         mount -t tmpfs 'x y' '/tmp/a b' && mount -t tmpfs t \"$(printf '/tmp/t\\tb')\" &&
         mount -t tmpfs b '/tmp/x\\y' && grep -c '\\\\040' /proc/self/mountinfo &&
         mkdir \"$(printf '/tmp/n\\nl')\" \"$(printf '/tmp/\\033[31mred')\" \"$(printf '/tmp/\\377')\" &&
         mount -t tmpfs n \"$(printf '/tmp/n\\nl')\" && mount -t tmpfs e \"$(printf '/tmp/\\033[31mred')\" &&
         mount -t tmpfs f \"$(printf '/tmp/\\377')\" &&
         /tmp/.nsrun mounts && echo @@ && /tmp/.nsrun mounts --json",
        common::nsrun_bin().to_str().unwrap(),
    ]));
    out.assert_ok();
    assert_eq!(host_mountinfo(), before);
    let (text, json) = out.stdout.split_once("@@\n").expect("two parts");
    assert!(text.contains("    /tmp/a b  tmpfs x y  private\n"), "{out}");
    // The text form quotes control characters and backslashes (out::Bytes), one line each.
    assert!(text.contains("/tmp/t\\tb  tmpfs t  private"), "{out}");
    assert!(text.contains("/tmp/x\\\\y  tmpfs b  private"), "{out}");
    assert!(!text.contains("\\040"), "{out}");
    // A newline (the kernel's \012), an escape sequence and a byte that is not UTF-8 stay on
    // their line, quoted; nothing reaches the terminal raw.
    assert!(text.contains("    /tmp/n\\nl  tmpfs n  private\n"), "{out}");
    assert!(
        text.contains("    /tmp/\\x1b[31mred  tmpfs e  private\n"),
        "{out}"
    );
    assert!(text.contains("    /tmp/\\xff  tmpfs f  private\n"), "{out}");
    assert!(!text.contains('\x1b'), "{out}");
    let py = common::run_with_input(
        Command::new("python3").args([
            "-c",
            "import json,os,sys; print(sorted(os.fsencode(m['target']) for m in json.load(sys.stdin) if m['target'].startswith('/tmp/')))",
        ]),
        json.as_bytes(),
    );
    py.assert_ok();
    assert_eq!(
        py.stdout.trim(),
        r"[b'/tmp/\x1b[31mred', b'/tmp/a b', b'/tmp/n\nl', b'/tmp/t\tb', b'/tmp/x\\y', b'/tmp/\xff']",
        "{out}"
    );
}

/// `nsrun mounts` run inside a container: what it shows is checked against findmnt there.
fn inside(opts: &[&str], script: &str) -> common::Output {
    let mut args: Vec<&str> = opts.to_vec();
    let bin = common::nsrun_bin();
    args.extend([
        "--setenv",
        "NSRUN",
        bin.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        script,
    ]);
    nsrun(&args)
}

/// The bind(2)... mount(2) with MS_BIND of / on /mnt, by python's ctypes: the errno itself, which
/// mount(8) would turn into a message of its own.
const BIND_ROOT: &str = "python3 -c 'import ctypes,os; l=ctypes.CDLL(None,use_errno=True); \
    r=l.mount(b\"/\",b\"/mnt\",None,4096,None); print(\"bind\", r, os.strerror(ctypes.get_errno()) if r else \"ok\")'";

#[test]
#[ignore = "needs root"]
fn unbindable_refuses_a_bind_of_root_and_every_view_says_unbindable() {
    require_root();
    require_tool("python3");
    let before = host_mountinfo();
    let script = format!(
        "{BIND_ROOT}; echo @@ ours; \"$NSRUN\" mounts; echo @@ findmnt; \
         findmnt -r -n -o TARGET,PROPAGATION"
    );
    let out = inside(&["--propagation", "unbindable"], &script);
    out.assert_ok();
    let s = out.sections();
    assert!(
        out.stdout.starts_with("bind -1 Invalid argument\n"),
        "a bind of / is EINVAL\n{out}"
    );
    let ours = ours(&s["ours"]);
    assert!(!ours.is_empty(), "{out}");
    assert!(
        ours.iter().all(|(_, p)| p == "unbindable"),
        "every mount is unbindable\n{out}"
    );
    let theirs: BTreeSet<(String, String)> = s["findmnt"]
        .lines()
        .map(|l| {
            let (t, p) = l.rsplit_once(' ').unwrap();
            (t.replace("\\x20", " "), p.to_string())
        })
        .collect();
    assert!(
        theirs.iter().all(|(_, p)| p == "private,unbindable"),
        "findmnt agrees\n{out}"
    );
    assert_eq!(
        ours.iter().map(|m| &m.0).collect::<Vec<_>>(),
        theirs.iter().map(|m| &m.0).collect::<Vec<_>>()
    );
    // The control: the default (private) lets the same bind through.
    let out = inside(&[], BIND_ROOT);
    out.assert_ok();
    assert_eq!(out.stdout, "bind 0 ok\n", "{out}");
    assert_eq!(host_mountinfo(), before);
}

/// With --root nsrun binds the new root onto itself and its --bind sources before pivot_root:
/// unbindable comes after that, so the run works, and inside nothing can be bound.
#[test]
#[ignore = "needs root"]
fn unbindable_with_root_and_binds_works_and_refuses_binds_inside() {
    require_root();
    let r = Rootfs::new("unbindable");
    let data = r.scratch("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("f"), "from the host\n").unwrap();
    let data = data.to_str().unwrap();
    let script = "cat /mnt/f; mount --bind / /tmp 2>&1; echo rc=$?; \
                  mount --bind /mnt /tmp 2>&1; echo rc=$?; \
                  grep -c . /proc/self/mountinfo; grep -c ' unbindable ' /proc/self/mountinfo";
    let out = r.sh(
        &[
            "--propagation",
            "unbindable",
            "--bind",
            data,
            "/mnt",
            "--dev",
            "/dev",
            "--cap-add",
            "cap_sys_admin",
        ],
        script,
    );
    out.assert_ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "from the host", "{out}");
    // busybox mount says "mounting / on /tmp failed: Invalid argument".
    for i in [1, 3] {
        assert!(lines[i].contains("Invalid argument"), "{out}");
    }
    assert_eq!(lines[2], "rc=255", "{out}");
    assert_eq!(lines[4], "rc=255", "{out}");
    assert_eq!(
        lines[5], lines[6],
        "every mount of the tree is unbindable\n{out}"
    );
    // As an ordinary user, in a user namespace, the same.
    let out = r.run_as_nobody(
        &[
            "--propagation",
            "unbindable",
            "--bind",
            data,
            "/mnt",
            "--cap-add",
            "cap_sys_admin",
        ],
        &["/bin/sh", "-c", script],
    );
    if !common::skip_without_unprivileged_userns() {
        out.assert_ok();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines[0], "from the host", "{out}");
        assert!(lines[1].contains("Invalid argument"), "{out}");
        assert_eq!(lines[5], lines[6], "{out}");
    }
    r.finish();
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

/// Something else mounted on /proc (a tmpfs holding a made-up self/mountinfo) is not taken for
/// the kernel's table.
#[test]
#[ignore = "needs root"]
fn a_fake_proc_is_refused() {
    require_root();
    let before = host_mountinfo();
    let out = common::in_scratch_mount_ns(
        "mount -t tmpfs fake /proc && mkdir -p /proc/self /proc/1 &&
         echo '1 1 0:1 / / rw - fakefs fake rw' > /proc/self/mountinfo &&
         cp /proc/self/mountinfo /proc/1/mountinfo &&
         \"$NSRUN\" mounts; echo rc=$?; \"$NSRUN\" mounts 1; echo rc=$?",
        &[],
    );
    assert_eq!(host_mountinfo(), before);
    assert!(!out.stdout.contains("fakefs"), "{out}");
    assert_eq!(out.stdout, "rc=125\nrc=125\n", "{out}");
    assert!(out.stderr.contains("not a procfs"), "{out}");
}

/// `propagate_from:N` for real: a slave whose master group lies outside the reader's root, that
/// group being itself a slave of one inside it (the kernel names the nearest group it can see).
#[test]
#[ignore = "needs root"]
fn propagate_from_seen_from_a_chroot() {
    require_root();
    require_tool("chroot");
    let before = host_mountinfo();
    let out = common::in_scratch_mount_ns(
        "exec 9<\"$NSRUN\" && mount -t tmpfs t /tmp &&
         mkdir -p /tmp/a /tmp/root/proc /tmp/root/m /tmp/root/src /tmp/root/bin &&
         mount -t tmpfs src /tmp/root/src && mount --make-shared /tmp/root/src &&
         mount --bind /tmp/root/src /tmp/a && mount --make-slave /tmp/a &&
         mount --make-shared /tmp/a &&
         mount --bind /tmp/a /tmp/root/m && mount --make-slave /tmp/root/m &&
         cp /proc/self/fd/9 /tmp/root/bin/nsrun && mount -t proc proc /tmp/root/proc &&
         chroot /tmp/root /bin/nsrun mounts",
        &[],
    );
    assert_eq!(host_mountinfo(), before);
    out.assert_ok();
    let line = |t: &str| {
        out.stdout
            .lines()
            .find(|l| l.starts_with(t))
            .unwrap_or_else(|| panic!("no {t}\n{out}"))
            .to_string()
    };
    let src = line("/src  tmpfs src  shared:");
    let m = line("/m  tmpfs src  master:");
    let group = src.rsplit(':').next().unwrap();
    assert!(
        m.ends_with(&format!(" propagate_from:{group}")),
        "/m propagates from /src's group\n{out}"
    );
    assert!(!m.contains(&format!("master:{group} ")), "{out}");
}

/// A container by name: the tree of its PID 1, the same as by pid; once it has ended, or when its
/// entry names a pid that now belongs to another process, nothing is shown (exit 1).
#[test]
#[ignore = "needs root"]
fn a_named_container_and_never_a_reused_pid() {
    require_root();
    let dir = common::TempDir::new("mounts-state");
    // A state directory only its owner may open (nsrun refuses one others could lock).
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let sd = dir.str();
    let start = nsrun(&[
        "run",
        "--name",
        "mt1",
        "--detach",
        "--state-dir",
        sd,
        "--tmpfs",
        "/srv",
        "--",
        "sleep",
        "30",
    ]);
    start.assert_ok();
    let pid = start.stdout.trim().to_string();
    let by_name = nsrun(&["mounts", "--state-dir", sd, "mt1"]);
    by_name.assert_ok();
    assert!(by_name.stdout.contains("\n  /srv  tmpfs "), "{by_name}");
    let by_pid = nsrun(&["mounts", &pid]);
    assert_eq!(by_name.stdout, by_pid.stdout);
    let json = nsrun(&["mounts", "--json", "--state-dir", sd, "mt1"]);
    json.assert_ok();
    assert!(json.stdout.contains("\"target\":\"/srv\""), "{json}");
    // The entry made to name another live process (this test's own pid, another start time):
    // that process is not the container, and its mounts are not shown as the container's.
    let entry = dir.path().join("mt1");
    let text = std::fs::read_to_string(&entry).unwrap();
    let me = std::process::id().to_string();
    let forged = text.replace(&format!("\npid {pid}\n"), &format!("\npid {me}\n"));
    assert_ne!(forged, text);
    std::fs::write(dir.path().join(".forged"), &forged).unwrap();
    std::fs::rename(dir.path().join(".forged"), &entry).unwrap();
    let out = nsrun(&["mounts", "--state-dir", sd, "mt1"]);
    assert_eq!(out.code(), Some(1), "{out}");
    assert_eq!(out.stdout, "", "{out}");
    assert!(out.stderr.contains("mt1"), "{out}");
    std::fs::write(&entry, &text).unwrap();
    nsrun(&["kill", "--state-dir", sd, "mt1", "KILL"]).assert_ok();
    nsrun(&["wait", "--state-dir", sd, "mt1"]);
    let out = nsrun(&["mounts", "--state-dir", sd, "mt1"]);
    assert_eq!(out.code(), Some(1), "{out}");
    out.assert_one_error_line(&["mt1"]);
    nsrun(&["mounts", "--state-dir", sd, "no-such"])
        .assert_code(1)
        .assert_one_error_line(&["no container named 'no-such'"]);
    nsrun(&["mounts", "--state-dir", sd, "a/b"]).assert_code(2);
    nsrun(&["mounts", "--state-dir", sd, ".x"]).assert_code(2);
}
