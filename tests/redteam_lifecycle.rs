//! Red team of issue 8 (named containers, enter, kept and joined namespaces, status fds, the
//! command line): the combinations and README's promises across them. Each test here failed on
//! the code before its fix.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{nsrun_bin, require_root, run, Output, TempDir};

/// A state directory of the test's own; detached containers are SIGKILLed at the end.
struct Store {
    _dir: TempDir,
    path: PathBuf,
    pids: Vec<i32>,
}

impl Store {
    fn new(tag: &str) -> Store {
        let dir = TempDir::new(tag);
        let path = dir.path().join("state");
        std::fs::create_dir(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        Store {
            _dir: dir,
            path,
            pids: Vec::new(),
        }
    }

    /// `nsrun COMMAND --state-dir DIR ARGS...`.
    fn nsrun(&self, command: &str, args: &[&str]) -> Output {
        run(Command::new(nsrun_bin())
            .arg(command)
            .arg("--state-dir")
            .arg(&self.path)
            .args(args)
            .env_remove("NSRUN_STATE_DIR"))
    }

    /// `run --name NAME --detach ARGS...`: the container's pid.
    fn detach(&mut self, name: &str, args: &[&str]) -> i32 {
        let mut all = vec!["--name", name, "--detach"];
        all.extend_from_slice(args);
        let out = self.nsrun("run", &all);
        out.assert_ok();
        let pid = out.stdout.trim().parse().expect("a pid");
        self.pids.push(pid);
        pid
    }

    fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        for &pid in &self.pids {
            if Path::new(&format!("/proc/{pid}")).exists() {
                common::send_signal(pid, libc::SIGKILL);
            }
        }
    }
}

/// A container (its own PID namespace and procfs, the host's files) runs `nsrun SUB --state-dir
/// DIR ARGS` on the host's state directory: the pids of the host's entries mean nothing there.
fn inside(store: &Store, run_opts: &[&str], sub: &str, args: &[&str]) -> Output {
    let bin = nsrun_bin();
    let mut cmd = Command::new(&bin);
    cmd.args(run_opts)
        .arg("--")
        .arg(&bin)
        .arg(sub)
        .arg("--state-dir")
        .arg(&store.path)
        .args(args)
        .env_remove("NSRUN_STATE_DIR");
    run(&mut cmd)
}

/// Broke: `nsrun list` (or kill, wait, run --name) inside any container with a PID namespace
/// that can see the state directory (root's /run/nsrun is visible in every container without
/// --root) took every live container of the host for stale, since their pids are not in its
/// /proc, and removed their entries: the host's `list` then showed nothing, `kill NAME` said "no
/// container", and the name could be taken twice. Now an entry records the PID namespace that
/// numbers its pids; elsewhere it is left alone and named so.
#[test]
#[ignore = "needs root"]
fn a_container_sharing_the_state_directory_removes_nothing() {
    require_root();
    let mut store = Store::new("rt-elsewhere");
    let pid = store.detach("live", &["--", "sleep", "60"]);
    let before = store.files();
    assert_eq!(before, ["live"]);

    // list inside: the entry is shown as of another PID namespace, not removed.
    let out = inside(&store, &[], "list", &[]);
    out.assert_ok();
    assert!(out.stdout.contains("elsewhere"), "{out}");
    assert_eq!(
        store.files(),
        before,
        "list inside a container removed an entry"
    );
    // Also where there is no procfs on /proc at all.
    let out = inside(&store, &["--no-proc"], "list", &[]);
    out.assert_ok();
    assert_eq!(store.files(), before);
    // kill, wait and enter refuse it (125) and remove nothing; the name cannot be taken there.
    for (sub, args) in [
        ("kill", &["live", "KILL"][..]),
        ("wait", &["live"]),
        ("enter", &["live", "true"]),
        ("run", &["--name", "live", "--", "true"]),
    ] {
        let out = inside(&store, &[], sub, args);
        out.assert_code(125);
        assert!(out.stderr.contains("another PID namespace"), "{out}");
        assert_eq!(store.files(), before, "{sub} inside removed an entry");
    }
    assert!(
        Path::new(&format!("/proc/{pid}")).exists(),
        "killed from inside"
    );

    // The host still sees it running, and can kill and wait for it.
    let out = store.nsrun("list", &[]);
    out.assert_ok();
    assert!(out.stdout.contains("running"), "{out}");
    store.nsrun("kill", &["live", "KILL"]).assert_ok();
    store.nsrun("wait", &["live"]).assert_code(137);
    assert!(store.files().is_empty());
}

/// The pid of `name`'s launcher, from its entry file.
fn launcher_of(store: &Store, name: &str) -> i32 {
    let text = std::fs::read_to_string(store.path.join(name)).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("launcher "))
        .and_then(|v| v.parse().ok())
        .expect("a launcher line")
}

/// Whether process `pid` holds a pidfd (it is past its lookup and waits on one).
fn holds_pidfd(pid: i32) -> bool {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
                .any(|l| l.to_string_lossy().contains("pidfd"))
        })
        .unwrap_or(false)
}

/// Broke: `nsrun wait NAME` waiting while the container's launcher was SIGKILLed (or could not
/// write the stopped status: a full state filesystem) exited 0, a success it made up. Now it
/// says the status was not recorded and exits 125.
#[test]
#[ignore = "needs root"]
fn wait_never_makes_up_a_success() {
    require_root();
    let mut store = Store::new("rt-wait");
    let pid = store.detach("w", &["--", "sh", "-c", "sleep 1000; exit 3"]);
    let launcher = launcher_of(&store, "w");
    store.pids.push(launcher);
    let waiter = Command::new(nsrun_bin())
        .args(["wait", "--state-dir"])
        .arg(&store.path)
        .arg("w")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let wpid = waiter.id() as i32;
    assert!(
        common::poll(common::TIMEOUT, || holds_pidfd(wpid)),
        "nsrun wait never took a pidfd"
    );
    common::send_signal(launcher, libc::SIGKILL);
    common::send_signal(pid, libc::SIGKILL);
    let got = waiter.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&got.stderr);
    assert_eq!(got.status.code(), Some(125), "{stderr}");
    assert!(stderr.contains("not recorded"), "{stderr}");
}
