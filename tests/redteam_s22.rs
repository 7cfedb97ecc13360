//! Red team, session 22: the appended `ended` line and the namespaces read through pidfds
//! (commit 321dd09).
//!
//! 1. The launcher's PID namespace is taken as the child's own PID namespace (or its parent when
//!    nsrun made one), read through the child's pidfd. That is the namespace of the launcher's
//!    *children* (pid_ns_for_children), which differs from the launcher's own when nsrun is
//!    started by a process that unshared CLONE_NEWPID without forking (`unshare -p`, `nsenter -F`):
//!    the entry then records a PID namespace nobody reads /proc in, and reads as `elsewhere`:
//!    `kill`/`wait` refuse a container that /proc (the old path, forced with nosys) records right.
//! 2. On the kernels nsrun supports that predate CLONE_PIDFD (Linux 3.15 to 5.1), legacy clone(2)
//!    ignores the unknown flag 0x1000: the clone succeeds and stores no pidfd, and
//!    `spawn_with_pidfd` turns the made child into a "clone: Bad file descriptor" failure: every
//!    named run fails there. Simulated here with gdb clearing CLONE_PIDFD from the launcher's
//!    clone(2) at syscall entry, which is what such a kernel does with it.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{nsrun_bin, require_root, require_tool, run, TempDir};

fn state_dir(tmp: &TempDir) -> PathBuf {
    let path = tmp.path().join("state");
    std::fs::create_dir(&path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
    path
}

fn nsrun_in(dir: &Path, command: &str, args: &[&str]) -> common::Output {
    run(Command::new(nsrun_bin())
        .arg(command)
        .arg("--state-dir")
        .arg(dir)
        .args(args)
        .env_remove("NSRUN_STATE_DIR"))
}

fn readlink_ns(pid: &str, kind: &str) -> u64 {
    let link = std::fs::read_link(format!("/proc/{pid}/ns/{kind}")).unwrap();
    let s = link.to_str().unwrap();
    s[s.find('[').unwrap() + 1..s.len() - 1].parse().unwrap()
}

/// nsrun started by `unshare -p` (no fork: its own PID namespace is the host's, its children's
/// a new one) with --share-pid: the entry must record the launcher's own PID namespace (the one
/// its pids are numbered in and /proc shows), and the running container must read as running,
/// be signalled by `kill` and waited for by `wait`.
#[test]
#[ignore = "needs root"]
fn s22_launcher_pid_ns_is_its_own_not_its_childrens() {
    require_root();
    let unshare = require_tool("unshare");
    let tmp = TempDir::new("rt22-pidns");
    let dir = state_dir(&tmp);
    let mut launcher = Command::new(&unshare)
        .arg("-p")
        .arg(nsrun_bin())
        .args(["run", "--state-dir"])
        .arg(&dir)
        .args(["--name", "a", "--share-pid", "--", "sleep", "30"])
        .env_remove("NSRUN_STATE_DIR")
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let entry = dir.join("a");
    let deadline = Instant::now() + Duration::from_secs(10);
    let text = loop {
        if let Ok(t) = std::fs::read_to_string(&entry) {
            if t.ends_with('\n') && t.contains("\narg 30\n") {
                break t;
            }
        }
        assert!(Instant::now() < deadline, "no entry written");
        std::thread::sleep(Duration::from_millis(20));
    };
    let field = |key: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(' ')))
            .unwrap_or_else(|| panic!("{key} in {text}"))
            .parse()
            .unwrap()
    };
    let recorded = field("pid-ns");
    let launcher_pid = field("launcher").to_string();
    let actual = readlink_ns(&launcher_pid, "pid");
    let list = nsrun_in(&dir, "list", &[]);
    let killed = nsrun_in(&dir, "kill", &["a", "KILL"]);
    if !killed.status.success() {
        let _ = Command::new("kill")
            .args(["-KILL", &field("pid").to_string()])
            .status();
    }
    let _ = launcher.wait();
    let _ = nsrun_in(&dir, "wait", &["a"]);
    assert_eq!(
        recorded, actual,
        "the entry names the launcher's children's PID namespace, not the launcher's\n{text}\n{list}"
    );
    assert!(
        !list.stdout.contains("elsewhere"),
        "a container started here reads as elsewhere\n{list}"
    );
    killed.assert_ok();
}

/// A named run on a kernel without CLONE_PIDFD (before 5.2; nsrun supports 3.15 on): clone(2)
/// ignores the flag there. Simulated with gdb clearing the flag at the clone's entry. The run
/// must work (an unnamed run does), and its status be recorded.
#[test]
#[ignore = "needs root"]
fn s22_named_run_works_where_clone_ignores_clone_pidfd() {
    require_root();
    let gdb = require_tool("gdb");
    let tmp = TempDir::new("rt22-oldclone");
    let dir = state_dir(&tmp);
    let script = tmp.path().join("old.gdb");
    std::fs::write(
        &script,
        "set pagination off\nset confirm off\nset follow-fork-mode parent\nset detach-on-fork on\n\
         set $_rt22 = 0\ncatch syscall clone\ncommands\n  silent\n  if $_rt22 == 0\n    \
         set $rdi = $rdi & ~0x1000\n    set $_rt22 = 1\n  else\n    set $_rt22 = 0\n  end\n  \
         continue\nend\nrun\n",
    )
    .unwrap();
    let under_gdb = |args: &[&str]| {
        run(Command::new(&gdb)
            .args(["-q", "-batch", "-x"])
            .arg(&script)
            .arg("--args")
            .arg(nsrun_bin())
            .args(args)
            .env_remove("NSRUN_STATE_DIR"))
    };
    let d = dir.to_str().unwrap();
    // Control: an unnamed run takes plain clone and works under the same simulation.
    let unnamed = under_gdb(&["run", "--", "sh", "-c", "echo ran-unnamed"]);
    assert!(unnamed.stdout.contains("ran-unnamed"), "control\n{unnamed}");
    let named = under_gdb(&[
        "run",
        "--state-dir",
        d,
        "--name",
        "old",
        "--",
        "sh",
        "-c",
        "echo ran-named; exit 4",
    ]);
    assert!(
        named.stdout.contains("ran-named"),
        "a named run fails where clone ignores CLONE_PIDFD\n{named}"
    );
    assert_eq!(nsrun_in(&dir, "wait", &["old"]).code(), Some(4));
}
