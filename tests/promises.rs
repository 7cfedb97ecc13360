//! Tests written to break README's promises about the tree: nothing is created on a host
//! filesystem whatever the options and their order, and the new root (and every mount target) is
//! exactly what was checked even while another process swaps paths underneath.
//!
//! Each needs root (they mount in nsrun's own mount namespace only; the host's mount table is
//! checked unchanged at the end of every rootfs test).

mod common;
mod helpers;
mod rootfs;

use std::ffi::CString;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{exchange, listing, nsrun, require_root, while_swapping, Output, TempDir};
use rootfs::{assert_mounts_unchanged, Rootfs, MARKER};

/// `mkdir -p` with mode 0755 (tests run as root; the umask leaves 0755).
fn mkdir(path: &Path, _mode: u32) {
    std::fs::create_dir_all(path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
}

#[track_caller]
fn assert_refused<'a>(out: &'a Output, code: i32, parts: &[&str]) -> &'a str {
    out.assert_code(code);
    assert_eq!(out.stdout, "", "the command must not run\n{out}");
    out.assert_one_error_line(parts)
}

/// The operations that create their destination, each aimed at `dst` (a path that does not exist):
/// option words, and what its error line names.
fn creators(dst: &str, file: &str) -> Vec<(Vec<String>, &'static str)> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        (s(&["--mkdir", dst]), "create directory"),
        (s(&["--ro-bind", file, dst]), "on "),
        (s(&["--bind", "/etc", dst]), "on "),
        (s(&["--symlink", "target", dst]), "create symlink"),
        (s(&["--tmpfs", dst]), "mount tmpfs"),
        (s(&["--dev", dst]), "mount tmpfs"),
    ]
}

// ---------------------------------------------------------------------------------------------
// 1. "nsrun never creates anything on a host filesystem."

/// A later bind hides the tmpfs that made a path creatable: `--tmpfs /a/t --bind HOSTDIR /a
/// --mkdir /a/t/x` used to create HOSTDIR/t/x on the host. Without --root.
#[test]
#[ignore = "needs root"]
fn a_later_bind_over_the_tmpfs_makes_nothing_creatable_without_root() {
    require_root();
    let base = TempDir::new("hidden");
    let host = TempDir::new("hidden-host");
    mkdir(&base.path().join("a/t"), 0o755);
    let file = base.path().join("file");
    std::fs::write(&file, "f\n").unwrap();
    let (a, hostdir, file) = (
        format!("{}/a", base.str()),
        host.str().to_string(),
        file.display().to_string(),
    );
    for with_t in [false, true] {
        if with_t {
            // The hidden path exists on the host directory too: still not nsrun's filesystem.
            mkdir(&host.path().join("t"), 0o755);
        }
        let before = listing(host.path());
        for (op, what) in creators(&format!("{a}/t/x"), &file) {
            let mut args = vec!["--tmpfs".to_string(), format!("{a}/t")];
            args.extend(["--bind".into(), hostdir.clone(), a.clone()]);
            args.extend(op.clone());
            args.extend(["--".into(), "true".into()]);
            let out = nsrun(&args);
            assert_eq!(listing(host.path()), before, "created on the host\n{out}");
            assert_refused(&out, 125, &[what, "nsrun creates nothing"]);
        }
    }
}

/// The same with --root, and through a symlink on nsrun's own tmpfs that leads to the hidden place.
#[test]
#[ignore = "needs root"]
fn a_later_bind_over_the_tmpfs_makes_nothing_creatable_with_root() {
    require_root();
    let r = Rootfs::new("hidden");
    let host = TempDir::new("hidden-root-host");
    let hostdir = host.str().to_string();
    let file = r.scratch("file");
    std::fs::write(&file, "f\n").unwrap();
    let file = file.display().to_string();
    for via_link in [false, true] {
        let dst = match via_link {
            true => "/tmp/l/x",
            false => "/mnt/t/x",
        };
        for (op, what) in creators(dst, &file) {
            let mut args: Vec<String> = ["--tmpfs", "/mnt", "--mkdir", "/mnt/t", "--tmpfs", "/tmp"]
                .map(String::from)
                .into();
            args.extend(["--symlink", "/mnt/t", "/tmp/l"].map(String::from));
            args.extend(["--bind".into(), hostdir.clone(), "/mnt".into()]);
            args.extend(op);
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let out = r.run(&argv, &["/bin/echo", "RAN"]);
            assert_eq!(listing(host.path()), Vec::<String>::new(), "created\n{out}");
            assert_refused(&out, 125, &[what, "nsrun creates nothing"]);
        }
    }
    r.finish();
}

/// `--tmpfs /` or `--dev /` without --root stacked a tmpfs on / while every later create went to
/// the real root filesystem. nsrun mounts nothing on /, with or without --root.
#[test]
#[ignore = "needs root"]
fn nothing_is_mounted_on_slash() {
    require_root();
    let probe = format!("/nsrun-test-slash-{}", std::process::id());
    for op in [&["--tmpfs", "/"][..], &["--dev", "/"], &["--tmpfs", "//."]] {
        let mut args = op.to_vec();
        args.extend(["--mkdir", &probe, "--", "true"]);
        let out = nsrun(&args);
        assert!(
            !Path::new(&probe).exists(),
            "{probe} created on the host\n{out}"
        );
        assert_refused(&out, 2, &["nsrun mounts nothing on /", "--root"]);
    }
    let r = Rootfs::new("slash");
    let out = r.run(&["--tmpfs", "/"], &["/bin/true"]);
    assert_refused(&out, 2, &["nsrun mounts nothing on /"]);
    r.finish();
}

/// A destination that is a symlink on nsrun's own tmpfs is followed, as the kernel would
/// (`--tmpfs /t --mkdir /t/d --symlink d /t/l --bind /etc /t/l` failed with ELOOP).
#[test]
#[ignore = "needs root"]
fn a_link_on_nsruns_tmpfs_is_followed() {
    require_root();
    let base = TempDir::new("follow");
    let t = format!("{}/t", base.str());
    mkdir(Path::new(&t), 0o755);
    let out = nsrun(&[
        "--tmpfs",
        &t,
        "--mkdir",
        &format!("{t}/d"),
        "--symlink",
        "d",
        &format!("{t}/l"),
        "--ro-bind",
        "/etc",
        &format!("{t}/l"),
        "--mkdir",
        &format!("{t}/e"),
        "--symlink",
        "d/../e",
        &format!("{t}/d2"),
        "--mkdir",
        &format!("{t}/d2/f"),
        "--",
        "sh",
        "-c",
        &format!("test -f {t}/d/hostname && test -d {t}/e/f && echo ok"),
    ]);
    out.assert_ok();
    assert_eq!(out.stdout, "ok\n");
    assert_eq!(listing(base.path()), ["t"], "the host's t stays empty");
}

// ---------------------------------------------------------------------------------------------
// 5. "The new root is DIR", and every target is what was checked, under races.

/// How many runs a race test makes, and for how long at most.
const RACE_RUNS: usize = 400;
const RACE_TIME: Duration = Duration::from_secs(8);

/// The root directory swapped for a symlink to / while nsrun starts: every run that starts sees the
/// rootfs (its /etc/issue), never the host's /; the others fail with one clear line.
#[test]
#[ignore = "needs root"]
fn the_root_swapped_for_a_link_to_slash_is_never_entered() {
    require_root();
    let r = Rootfs::new("race-root");
    let evil = r.scratch("evil");
    std::os::unix::fs::symlink("/", &evil).unwrap();
    let root = r.root().to_path_buf();
    let before = listing(r.root());
    let mounts = common::host_mountinfo();
    let (mut ran, mut refused) = (0, 0);
    while_swapping(&root, &evil, || {
        let start = Instant::now();
        for _ in 0..RACE_RUNS {
            if start.elapsed() > RACE_TIME {
                break;
            }
            let out = nsrun(&["--root", r.root_str(), "--", "/bin/cat", "/etc/issue"]);
            match out.code() {
                Some(0) => {
                    assert_eq!(out.stdout, format!("{MARKER}\n"), "not the rootfs\n{out}");
                    ran += 1;
                }
                Some(125) => {
                    assert_eq!(out.stdout, "", "{out}");
                    out.assert_one_error_line(&["--root"]);
                    refused += 1;
                }
                // The link was there when the command was looked up: /bin/cat of the rootfs, but
                // only ever inside it.
                _ => panic!("unexpected result\n{out}"),
            }
        }
    });
    // Put it back the right way round for the final check.
    if std::fs::symlink_metadata(&root)
        .unwrap()
        .file_type()
        .is_symlink()
    {
        exchange(
            &CString::new(root.to_str().unwrap()).unwrap(),
            &CString::new(evil.to_str().unwrap()).unwrap(),
        );
    }
    assert!(ran > 0, "no run got through ({refused} refused)");
    std::fs::remove_file(&evil).unwrap();
    // The swaps changed the directory's ctime; its contents and the host's mounts are as they were.
    assert_eq!(listing(r.root()), before, "the rootfs changed");
    assert_mounts_unchanged(&mounts);
}

/// A mount target inside the tree swapped for a symlink that leads out of it (to a host path, as
/// the kernel would resolve it before pivot_root): a run that starts always has its tmpfs at the
/// target; the others fail with one clear line.
#[test]
#[ignore = "needs root"]
fn a_mount_target_swapped_underneath_never_mounts_elsewhere() {
    require_root();
    let r = Rootfs::new("race-target");
    let victim = TempDir::new("race-victim");
    let target = r.root().join("mnt/t");
    mkdir(&target, 0o755);
    let link = r.root().join("mnt/l");
    std::os::unix::fs::symlink(victim.path(), &link).unwrap();
    let r = r.resnapshot();
    let (mut ran, mut refused) = (0, 0);
    while_swapping(&target, &link, || {
        let start = Instant::now();
        for i in 0..RACE_RUNS {
            if start.elapsed() > RACE_TIME {
                break;
            }
            let (opts, check) = match i % 2 {
                // The racer goes on renaming after setup, so the mount may show under either name
                // by the time the command looks; but it must be on one of them.
                0 => (
                    vec!["--tmpfs", "/mnt/t"],
                    "grep -q ' /mnt/[tl] [^ ]* [^-]*- tmpfs ' /proc/self/mountinfo && echo ok",
                ),
                _ => (
                    vec!["--ro-bind", "/etc", "/mnt/t"],
                    "grep -q ' /mnt/[tl] ' /proc/self/mountinfo && echo ok",
                ),
            };
            let out = r.sh(&opts, check);
            match out.code() {
                Some(0) => {
                    assert_eq!(out.stdout, "ok\n", "{out}");
                    ran += 1;
                }
                Some(125) => {
                    assert_eq!(out.stdout, "", "{out}");
                    out.assert_one_error_line(&["/mnt/t"]);
                    refused += 1;
                }
                _ => panic!("the command ran without its mount at /mnt/t\n{out}"),
            }
        }
    });
    if std::fs::symlink_metadata(&target)
        .unwrap()
        .file_type()
        .is_symlink()
    {
        exchange(
            &CString::new(target.to_str().unwrap()).unwrap(),
            &CString::new(link.to_str().unwrap()).unwrap(),
        );
    }
    assert!(ran > 0, "no run got through ({refused} refused)");
    assert_eq!(listing(victim.path()), Vec::<String>::new());
    r.resnapshot().finish();
}

// ---------------------------------------------------------------------------------------------
// 8. A /proc in a user namespace without a new PID namespace.

/// The kernel refuses a new proc to a user namespace that does not own the PID namespace: nsrun
/// binds the host's /proc there instead, as bubblewrap does (the run used to fail with EPERM).
#[test]
#[ignore = "needs root"]
fn rootless_share_pid_gets_the_hosts_proc_bound() {
    require_root();
    if common::skip_without_unprivileged_userns() {
        return;
    }
    let out = rootfs::as_nobody(&[
        "--share-pid",
        "--",
        "sh",
        "-c",
        "test -r /proc/self/stat && test -d /proc/1 && grep -c ' /proc ' /proc/self/mountinfo",
    ]);
    out.assert_ok();
    assert_ne!(out.stdout.trim(), "0", "{out}");
    // As root the kernel allows a new proc even then: nsrun mounts one.
    let out = nsrun(&[
        "--share-pid",
        "--",
        "sh",
        "-c",
        "test -d /proc/1 && echo ok",
    ]);
    out.assert_ok();
}

// ---------------------------------------------------------------------------------------------
// Binds with no /proc anywhere (an initramfs with --no-proc).

/// With no procfs to name descriptors by, binds join the two descriptors with open_tree and
/// move_mount (Linux 5.2); where those are missing too, the bind is refused with a hint, and the
/// run changes nothing.
#[test]
#[ignore = "needs root"]
fn binds_work_with_no_proc_anywhere() {
    require_root();
    let dir = TempDir::new("noproc-bind");
    let script = r#"
        umount -l /proc || exit 99
        d=$1; shift
        "$@" "$NSRUN" --no-proc --tmpfs "$d" --dev "$d/dev" --mkdir "$d/e" --ro-bind /etc "$d/e" \
            -- /bin/sh -c "test -c $d/dev/null && test -f $d/e/hostname && echo ok" 2>&1
        echo "rc=$?"
    "#;
    let out = common::in_scratch_mount_ns(script, &[dir.str()]);
    assert!(out.stdout.contains("ok\nrc=0"), "{out}");
    let nosys = helpers::nosys_bin().display().to_string();
    // Linux 5.2 to 5.11 (no mount_setattr): the binds' nosuid is set by a remount, which needs a
    // procfs; nsrun mounts one for the while on the tree's /proc.
    let out = common::in_scratch_mount_ns(script, &[dir.str(), &nosys, "mount_setattr", "--"]);
    assert!(out.stdout.contains("ok\nrc=0"), "{out}");
    let out =
        common::in_scratch_mount_ns(script, &[dir.str(), &nosys, "open_tree,move_mount", "--"]);
    assert!(out.stdout.contains("rc=125"), "{out}");
    assert!(out.stdout.contains("no /proc is mounted"), "{out}");
    assert_eq!(
        listing(dir.path()),
        Vec::<String>::new(),
        "created on the host"
    );
}
