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

/// Whether /proc/locks shows a lock on inode `ino`.
fn locked(ino: u64) -> bool {
    let locks = std::fs::read_to_string("/proc/locks").unwrap();
    locks.lines().any(|l| {
        l.split_whitespace()
            .nth(5)
            .and_then(|f| f.rsplit(':').next())
            .is_some_and(|i| i == ino.to_string())
    })
}

/// Broke: a state directory others may read (root's /run/nsrun made by hand with mkdir: 0755)
/// let any user open it and flock it forever; every `run --name` of root's then hung at its
/// entry. Such a directory is now refused like one others may write.
#[test]
#[ignore = "needs root"]
fn a_state_directory_others_can_lock_is_refused() {
    use std::os::unix::fs::MetadataExt;
    require_root();
    let store = Store::new("rt-lock");
    std::fs::set_permissions(&store.path, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ino = std::fs::metadata(&store.path).unwrap().ino();
    let mut holder = Command::new(common::require_tool("setpriv"))
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups", "/usr/bin/python3", "-c"])
        .arg("import fcntl, os, sys; fcntl.flock(os.open(sys.argv[1], os.O_RDONLY), fcntl.LOCK_EX); sys.stdin.read()")
        .arg(&store.path)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let held = common::poll(common::TIMEOUT, || locked(ino));
    let out = store.nsrun("run", &["--name", "z", "--", "true"]);
    let list = store.nsrun("list", &[]);
    let _ = holder.kill();
    let _ = holder.wait();
    assert!(held, "uid 65534 could not lock the directory");
    // The store is a private subdirectory of a directory others may read: their lock on the
    // outer one holds nothing up, and they cannot open the inner one.
    out.assert_ok();
    list.assert_ok();
    let inner = store.path.join("nsrun");
    assert_eq!(
        std::fs::metadata(&inner).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert_eq!(store.files(), vec!["nsrun".to_string()]);
}

/// Broke: `run --name 1` was accepted, but `nsrun enter 1` reads digits as a PID: it entered the
/// host's init (as root: the host's own namespaces) instead of the container named 1, which could
/// never be entered by its name. A name of digits only is now a usage error (exit 2).
#[test]
#[ignore = "needs root"]
fn a_name_of_digits_only_is_refused() {
    require_root();
    let store = Store::new("rt-digits");
    for name in ["1", "0", "4194303"] {
        let out = store.nsrun("run", &["--name", name, "--", "true"]);
        out.assert_code(2);
        out.assert_one_error_line(&["digits only", "PID"]);
    }
    assert!(store.files().is_empty());
    store
        .nsrun("run", &["--name", "1a", "--", "true"])
        .assert_ok();
    store.nsrun("wait", &["1a"]).assert_ok();
}

/// Runs `script` (sh, `$NSRUN` the binary, `$1` = `arg`) pinned to CPU 0 in a scratch mount
/// namespace whose mounts do not propagate to the machine's (see tests/keep.rs for why CPU 0).
fn scratch(script: &str, arg: &str) -> Output {
    run(Command::new("taskset")
        .args([
            "-c",
            "0",
            "unshare",
            "-m",
            "--propagation",
            "private",
            "taskset",
            "-c",
            "0",
        ])
        .args(["sh", "-c", script, "sh", arg])
        .env("NSRUN", nsrun_bin()))
}

/// Broke: root's `--keep DIR` into a directory another user may rename entries of (theirs, or
/// others-writable without the sticky bit) made its namespace files there by name and bound
/// them through their descriptors: that user could move a file into a directory of their own
/// between the two, and the bind of root's namespace landed there, where `release` never looks.
/// Such a DIR is now refused before anything is made (exit 125); a sticky one of root's is kept.
#[test]
#[ignore = "needs root"]
fn keep_refuses_a_directory_another_user_may_rearrange() {
    require_root();
    let dir = TempDir::new("rt-keep-owner");
    let out = scratch(
        r#"cd "$1" && cat /proc/self/mountinfo > before
        mkdir theirs open sticky && chown 65534 theirs && chmod 0777 open && chmod 1777 sticky
        for d in theirs open; do
            $NSRUN --keep $d -- true 2>&1; echo "$d=$? $(ls -A $d | tr '\n' ' ')"
        done
        $NSRUN --keep sticky -- true; echo "sticky=$? $(ls sticky | tr '\n' ' ')"
        $NSRUN release sticky; echo "release=$?"
        cat /proc/self/mountinfo > after; cmp -s before after && echo "mounts=same""#,
        dir.str(),
    );
    for d in ["theirs", "open"] {
        let line = out
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{d}=")))
            .unwrap_or_else(|| panic!("no {d}=\n{out}"));
        assert_eq!(line.trim_end(), format!("{d}=125"), "{out}");
    }
    assert!(out.stdout.contains("another user may rename"), "{out}");
    assert!(out.stdout.contains("sticky=0 ipc mnt net pid uts"), "{out}");
    assert!(out.stdout.contains("release=0"), "{out}");
    assert!(out.stdout.contains("mounts=same"), "{out}");
}
