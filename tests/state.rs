//! Named containers and the state store: `run --name` records the container the moment it runs
//! and the stopped status at its end; `list --json` parses and holds the pid and namespace inodes
//! the kernel shows (readlink /proc/PID/ns/*, lsns); stale entries (launcher and container
//! SIGKILLed, a pid now held by an unrelated process) are removed and never signalled; two starts
//! with one name never both win; bad names are usage errors; `kill` goes through a pidfd, or
//! kill(2) where pidfds are missing (forced with nosys); `wait` exits with the recorded status;
//! `--detach` returns once the command runs, its output in `--log FILE`. As root, and as uid 65534
//! with XDG_RUNTIME_DIR. Each test has its own state directory, so they run in parallel.
//!
//! Tests that start containers need root (rootless runs are made with setpriv as uid 65534) and
//! are ignored otherwise.

mod common;
mod helpers;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use common::{require_root, require_tool, run, Output, TempDir};

/// A state directory of the test's own, and the detached containers to kill at the end.
struct State {
    dir: TempDir,
    /// The state directory: `dir/state`.
    path: PathBuf,
    /// Run nsrun as uid 65534 (setpriv) with XDG_RUNTIME_DIR=`dir/xdg`, not --state-dir.
    nobody: bool,
    /// Pids to SIGKILL when the test ends (detached containers and their launchers).
    pids: std::cell::RefCell<Vec<i32>>,
}

impl State {
    fn new(tag: &str) -> State {
        let dir = TempDir::new(tag);
        let path = dir.path().join("state");
        std::fs::create_dir(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        State {
            dir,
            path,
            nobody: false,
            pids: Default::default(),
        }
    }

    /// As uid 65534: XDG_RUNTIME_DIR is `dir/xdg` (0700, owned by 65534), the store `xdg/nsrun`.
    fn nobody(tag: &str) -> State {
        let dir = TempDir::new(tag);
        let xdg = dir.path().join("xdg");
        std::fs::create_dir(&xdg).unwrap();
        std::fs::set_permissions(&xdg, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::os::unix::fs::chown(&xdg, Some(65534), Some(65534)).unwrap();
        State {
            path: xdg.join("nsrun"),
            dir,
            nobody: true,
            pids: Default::default(),
        }
    }

    /// nsrun COMMAND [--state-dir DIR] ARGS... (as root), or under setpriv as uid 65534.
    fn cmd(&self, command: &str, args: &[&str]) -> Command {
        let mut cmd = match self.nobody {
            true => {
                let mut c = Command::new(require_tool("setpriv"));
                c.args(helpers::NOBODY).arg(common::nsrun_bin());
                c.env("XDG_RUNTIME_DIR", self.dir.path().join("xdg"));
                c
            }
            false => Command::new(common::nsrun_bin()),
        };
        cmd.arg(command);
        if !self.nobody {
            cmd.arg("--state-dir").arg(&self.path);
        }
        cmd.args(args).env_remove("NSRUN_STATE_DIR");
        cmd
    }

    fn nsrun(&self, command: &str, args: &[&str]) -> Output {
        run(&mut self.cmd(command, args))
    }

    /// `run --name NAME -d ARGS...`: the pid it printed (the container is killed at the end).
    fn detach(&self, name: &str, args: &[&str]) -> i32 {
        let mut all = vec!["--name", name, "--detach"];
        all.extend_from_slice(args);
        let out = self.nsrun("run", &all);
        out.assert_ok();
        let pid: i32 = out
            .stdout
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("a pid on stdout\n{out}"));
        self.pids.borrow_mut().push(pid);
        if let Some(e) = self.entry(name) {
            self.pids.borrow_mut().push(e.launcher);
        }
        pid
    }

    /// The container `name` as `list --json` shows it (None: not listed).
    fn entry(&self, name: &str) -> Option<Listed> {
        self.list().into_iter().find(|e| e.name == name)
    }

    /// `list --json`, checked with `python3 -m json.tool` and read by python3.
    fn list(&self) -> Vec<Listed> {
        let out = self.nsrun("list", &["--json"]);
        out.assert_ok();
        let tool = run_with_stdin(&["-m", "json.tool"], &out.stdout);
        assert!(
            tool.status.success(),
            "list --json is not JSON\n{out}\n{tool}"
        );
        let script = r#"
import json, sys
for e in json.load(sys.stdin):
    ns = " ".join("%s=%d" % kv for kv in sorted(e["namespaces"].items()))
    code = "-" if e["exit-code"] is None else str(e["exit-code"])
    print("\t".join([e["name"], str(e["pid"]), str(e["launcher"]), e["status"], code,
                     ns, ",".join(e["new-namespaces"]), json.dumps(e["command"])]))
"#;
        let read = run_with_stdin(&["-c", script], &out.stdout);
        assert!(read.status.success(), "{read}");
        read.stdout
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                Listed {
                    name: f[0].into(),
                    pid: f[1].parse().unwrap(),
                    launcher: f[2].parse().unwrap(),
                    status: f[3].into(),
                    exit: f[4].parse().ok(),
                    ns: f[5]
                        .split(' ')
                        .filter(|s| !s.is_empty())
                        .map(|kv| {
                            let (k, v) = kv.split_once('=').unwrap();
                            (k.to_string(), v.parse().unwrap())
                        })
                        .collect(),
                    new: f[6]
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                    command: f[7].into(),
                }
            })
            .collect()
    }

    /// The files of the state directory.
    fn files(&self) -> Vec<String> {
        match std::fs::read_dir(&self.path) {
            Ok(d) => {
                let mut v: Vec<String> = d
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
                v.sort();
                v
            }
            Err(_) => Vec::new(),
        }
    }

    /// Rewrites a key of `name`'s entry file, as another program could.
    fn edit(&self, name: &str, key: &str, value: &str) {
        let path = self.path.join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut found = false;
        let out: Vec<String> = text
            .lines()
            .map(|l| match l.split_once(' ') {
                Some((k, _)) if k == key => {
                    found = true;
                    format!("{key} {value}")
                }
                _ => l.to_string(),
            })
            .collect();
        assert!(found, "no key {key} in\n{text}");
        std::fs::write(&path, out.join("\n") + "\n").unwrap();
    }
}

impl Drop for State {
    fn drop(&mut self) {
        for &pid in self.pids.borrow().iter() {
            if pid > 0 && alive(pid) {
                common::send_signal(pid, libc::SIGKILL);
            }
        }
    }
}

/// A container as `list --json` shows it.
#[derive(Debug)]
struct Listed {
    name: String,
    pid: i32,
    launcher: i32,
    status: String,
    exit: Option<i32>,
    ns: Vec<(String, u64)>,
    new: Vec<String>,
    command: String,
}

fn run_with_stdin(args: &[&str], input: &str) -> Output {
    common::run_with_input(Command::new("python3").args(args), input.as_bytes())
}

fn alive(pid: i32) -> bool {
    // A zombie is not alive: it is gone but not reaped.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => !s
            .rsplit_once(')')
            .is_some_and(|(_, r)| r.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

/// Waits (a bounded while) for `cond`.
fn until(what: &str, cond: impl FnMut() -> bool) {
    assert!(
        common::poll(common::TIMEOUT, cond),
        "timed out waiting for {what}"
    );
}

/// The inode of /proc/PID/ns/KIND as `readlink` shows it (`mnt:[4026532178]`).
fn readlink_ns(pid: i32, kind: &str) -> u64 {
    let link = std::fs::read_link(format!("/proc/{pid}/ns/{kind}")).unwrap();
    let s = link.to_string_lossy();
    s.split_once('[')
        .and_then(|(_, r)| r.strip_suffix(']'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("readlink gave {s}"))
}

/// The namespace inodes lsns lists for process `pid`, as (type, inode).
fn lsns(pid: i32) -> Vec<(String, u64)> {
    let out = run(Command::new(require_tool("lsns")).args([
        "-n",
        "-r",
        "-o",
        "NS,TYPE",
        "-p",
        &pid.to_string(),
    ]));
    out.assert_ok();
    out.stdout
        .lines()
        .map(|l| {
            let (ns, ty) = l.split_once(' ').unwrap();
            (ty.to_string(), ns.parse().unwrap())
        })
        .collect()
}

/// A container that says `ready`, then waits for the file `$1/go` and exits 3.
const WAIT_FOR_GO: &str = "echo ready; while [ ! -e \"$1/go\" ]; do sleep 0.01; done; exit 3";

/// The whole life of a foreground named run, as the given user: listed as running with the pid of
/// its PID 1 (the --info-fd child-pid) and the kernel's inodes, then stopped with its status,
/// which `wait` collects (the entry then goes).
fn recorded_life(st: &State) {
    let go = TempDir::new("go");
    std::fs::set_permissions(go.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let info = go.path().join("info");
    let info_file = std::fs::File::create(&info).unwrap();
    use std::os::fd::AsRawFd;
    let raw = info_file.as_raw_fd();
    let fd = raw.to_string();
    let mut cmd = st.cmd(
        "run",
        &[
            "--name",
            "fg",
            "--info-fd",
            &fd,
            "--",
            "sh",
            "-c",
            WAIT_FOR_GO,
            "sh",
            go.str(),
        ],
    );
    // SAFETY (test): only fcntl in the forked child before exec: the info file passes to nsrun.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(move || match libc::fcntl(raw, libc::F_SETFD, 0) {
            0 => Ok(()),
            _ => Err(std::io::Error::last_os_error()),
        });
    }
    let mut running = common::Running::spawn(&mut cmd);
    running.expect_line("ready");
    let e = st.entry("fg").expect("listed while it runs");
    assert_eq!(e.status, "running");
    assert_eq!(e.exit, None);
    assert!(e.command.contains("exit 3"), "{e:?}");
    // The launcher writes the info once it sees the command executed.
    until("the info", || {
        std::fs::read_to_string(&info).is_ok_and(|t| t.contains('}'))
    });
    let info_text = std::fs::read_to_string(&info).unwrap();
    let child_pid: i32 = info_text
        .split("\"child-pid\": ")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("child-pid in {info_text}"));
    assert_eq!(e.pid, child_pid, "list's pid is the container's PID 1");
    assert!(alive(e.launcher) && alive(e.pid));
    let made: Vec<&str> = e.new.iter().map(String::as_str).collect();
    match st.nobody {
        // The automatic user namespace of an ordinary user is new too.
        true => assert_eq!(made, ["ipc", "mnt", "net", "pid", "user", "uts"], "{e:?}"),
        false => assert_eq!(made, ["ipc", "mnt", "net", "pid", "uts"], "{e:?}"),
    }
    let mine = |kind: &str| readlink_ns(std::process::id() as i32, kind);
    for (kind, inode) in &e.ns {
        assert_eq!(
            made.contains(&kind.as_str()),
            *inode != mine(kind),
            "{kind} of {e:?}"
        );
    }
    for (kind, inode) in &e.ns {
        assert_eq!(*inode, readlink_ns(e.pid, kind), "{kind} of {e:?}");
    }
    let seen = lsns(e.pid);
    for (kind, inode) in &e.ns {
        let want = if kind == "mnt" { "mnt" } else { kind };
        assert!(
            seen.iter().any(|(t, n)| t == want && n == inode),
            "lsns does not show {kind} {inode}: {seen:?}"
        );
    }
    std::fs::write(go.path().join("go"), "").unwrap();
    let out = running.wait();
    assert_eq!(out.code(), Some(3), "{out}");
    let e = st.entry("fg").expect("a stopped entry stays");
    assert_eq!((e.status.as_str(), e.exit), ("stopped", Some(3)));
    assert_eq!(st.nsrun("wait", &["fg"]).code(), Some(3));
    assert!(st.entry("fg").is_none(), "wait collected it");
    assert_eq!(
        st.files(),
        Vec::<String>::new(),
        "nothing left in the state directory"
    );
    let again = st.nsrun("wait", &["fg"]);
    again.assert_code(1);
    again.assert_one_error_line(&["no container named 'fg'"]);
}

#[test]
#[ignore = "needs root"]
fn a_named_run_is_listed_while_it_runs_and_its_status_kept() {
    require_root();
    recorded_life(&State::new("life"));
}

/// The number of `key` in the text of an entry file.
fn number_field(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|v| v.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("{key} in {text}"))
        .parse()
        .unwrap()
}

/// The start time (field 22 of /proc/PID/stat) of process `pid`.
fn start_of(pid: i32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let (_, rest) = stat.rsplit_once(')').unwrap();
    rest.split_whitespace().nth(19).unwrap().parse().unwrap()
}

/// In run after run, an entry names its PID 1 by the start time the kernel shows for it (the
/// launcher takes it from the boot clock read around clone when both reads fall in one tick,
/// from /proc/PID/stat otherwise), and its launcher by a tick it started by; the entry holds
/// the namespaces that are the container's own (none marked `host`), and `list` shows all
/// eight while it runs, as /proc/PID/ns has them.
#[test]
#[ignore = "needs root"]
fn entries_name_their_processes_by_the_kernels_start_times() {
    require_root();
    let st = State::new("start-times");
    for i in 0..12 {
        let name = format!("t{i}");
        let pid = st.detach(&name, &["--", "sleep", "60"]);
        let text = std::fs::read_to_string(st.path.join(&name)).unwrap();
        let field = |key: &str| number_field(&text, key);
        assert_eq!(field("pid"), pid as u64, "{text}");
        assert_eq!(field("pid-start"), start_of(pid), "run {i}: {text}");
        let launcher = field("launcher") as i32;
        assert!(start_of(launcher) <= field("launcher-start"), "{text}");
        let ns: Vec<&str> = text.lines().filter(|l| l.starts_with("ns ")).collect();
        assert_eq!(ns.len(), 5, "ipc, mnt, net, pid, uts: {text}");
        assert!(ns.iter().all(|l| l.ends_with(" new")), "{text}");
        let e = st.entry(&name).expect("listed");
        assert_eq!(e.ns.len(), 8, "{e:?}");
        for (kind, inode) in &e.ns {
            assert_eq!(*inode, readlink_ns(pid, kind), "{kind} of {e:?}");
        }
        st.nsrun("kill", &[&name, "KILL"]).assert_ok();
        assert_eq!(st.nsrun("wait", &[&name]).code(), Some(137));
    }
    assert_eq!(st.files(), Vec::<String>::new());
}

#[test]
#[ignore = "needs root"]
fn a_named_run_as_an_ordinary_user_uses_xdg_runtime_dir() {
    require_root();
    if common::skip_without_unprivileged_userns() {
        return;
    }
    let st = State::nobody("life-user");
    recorded_life(&st);
    let meta = std::fs::metadata(&st.path).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!((meta.uid(), meta.mode() & 0o7777), (65534, 0o700));
}

#[test]
#[ignore = "needs root"]
fn an_ordinary_user_without_xdg_runtime_dir_is_told_what_to_set() {
    require_root();
    let mut cmd = Command::new(require_tool("setpriv"));
    cmd.args(helpers::NOBODY).arg(common::nsrun_bin());
    cmd.args(["list"])
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("NSRUN_STATE_DIR");
    let out = run(&mut cmd);
    out.assert_code(125);
    out.assert_one_error_line(&["XDG_RUNTIME_DIR is not set", "--state-dir"]);
}

#[test]
#[ignore = "needs root"]
fn a_state_directory_of_another_user_or_writable_by_others_is_refused() {
    require_root();
    let st = State::new("unsafe-dir");
    std::fs::set_permissions(&st.path, std::fs::Permissions::from_mode(0o733)).unwrap();
    for (cmd, args) in [
        ("list", &[][..]),
        ("run", &["--name", "x", "--", "true"][..]),
    ] {
        let out = st.nsrun(cmd, args);
        out.assert_code(125);
        out.assert_one_error_line(&["may be written by others", "chmod go-w"]);
    }
    std::fs::set_permissions(&st.path, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::os::unix::fs::chown(&st.path, Some(65534), Some(65534)).unwrap();
    let out = st.nsrun("run", &["--name", "x", "--", "true"]);
    out.assert_code(125);
    out.assert_one_error_line(&["belongs to uid 65534, not to you"]);
    assert_eq!(st.files(), Vec::<String>::new());
    // A symlink to a directory of root's is followed: the directory reached is what is checked.
    std::os::unix::fs::chown(&st.path, Some(0), Some(0)).unwrap();
    let link = st.dir.path().join("link");
    std::os::unix::fs::symlink(&st.path, &link).unwrap();
    let out = run(Command::new(common::nsrun_bin())
        .args(["list", "--state-dir"])
        .arg(&link));
    out.assert_ok();
}

#[test]
#[ignore = "needs root"]
fn a_state_directory_others_may_read_holds_a_private_one() {
    // An engine's --root is often 0755: others could open it and hold the store's lock, so the
    // store is DIR/nsrun, made 0700; one that is not private is refused.
    require_root();
    let st = State::new("readable");
    std::fs::set_permissions(&st.path, std::fs::Permissions::from_mode(0o755)).unwrap();
    st.nsrun("run", &["--name", "r", "--", "true"]).assert_ok();
    let inner = st.path.join("nsrun");
    let meta = std::fs::metadata(&inner).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o700);
    assert!(
        inner.join("r").exists(),
        "the entry is in the private directory"
    );
    assert_eq!(st.files(), vec!["nsrun".to_string()]);
    assert_eq!(st.nsrun("wait", &["r"]).code(), Some(0));
    std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o750)).unwrap();
    let out = st.nsrun("list", &[]);
    out.assert_code(125);
    out.assert_one_error_line(&["is not private to uid 0", "mode 750"]);
    std::fs::remove_dir(&inner).unwrap();
    // A link in its place is not followed.
    std::os::unix::fs::symlink(st.dir.path(), &inner).unwrap();
    let out = st.nsrun("list", &[]);
    out.assert_code(125);
    std::fs::remove_file(&inner).unwrap();
}

#[test]
#[ignore = "needs root"]
fn an_unnamed_run_touches_no_state() {
    require_root();
    let st = State::new("unnamed");
    // Not even a state directory that would be refused, or one that cannot exist.
    std::fs::set_permissions(&st.path, std::fs::Permissions::from_mode(0o777)).unwrap();
    for dir in [st.path.to_str().unwrap(), "/nonexistent/nsrun"] {
        let out = run(common::nsrun_cmd(&["--", "true"]).env("NSRUN_STATE_DIR", dir));
        out.assert_ok();
        assert_eq!(out.stderr, "");
    }
    assert_eq!(st.files(), Vec::<String>::new());
    // And no syscall of the store: no flock, no renameat, no open of the state directory.
    let trace = st.dir.path().join("trace");
    let out = run(Command::new(require_tool("strace"))
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=flock,rename,renameat,renameat2,mkdir,mkdirat",
            "-o",
        ])
        .arg(&trace)
        .arg(common::nsrun_bin())
        .args(["--", "true"])
        .env("NSRUN_STATE_DIR", &st.path));
    out.assert_ok();
    let traced = std::fs::read_to_string(&trace).unwrap();
    assert!(
        !traced.contains("flock") && !traced.contains("rename"),
        "{traced}"
    );
    assert!(!traced.contains(st.path.to_str().unwrap()), "{traced}");
}

#[test]
#[ignore = "needs root"]
fn detach_returns_once_the_command_runs_with_its_output_in_the_log() {
    require_root();
    let st = State::new("detach");
    let log = st.dir.path().join("log");
    let go = st.dir.path().join("go");
    let script =
        "echo out; echo err >&2; while [ ! -e \"$1\" ]; do sleep 0.01; done; echo bye; exit 4";
    let pid = st.detach(
        "bg",
        &[
            "--log",
            log.to_str().unwrap(),
            "--",
            "sh",
            "-c",
            script,
            "sh",
            go.to_str().unwrap(),
        ],
    );
    // nsrun has returned: the container runs on, listed, in a session of its own.
    assert!(alive(pid));
    let e = st.entry("bg").unwrap();
    assert_eq!((e.pid, e.status.as_str()), (pid, "running"));
    let sid = |p: i32| {
        let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap();
        let rest = stat.rsplit_once(')').unwrap().1.to_string();
        rest.split_whitespace()
            .nth(3)
            .unwrap()
            .parse::<i32>()
            .unwrap()
    };
    assert_eq!(
        sid(e.launcher),
        e.launcher,
        "the launcher leads its own session"
    );
    until("the log's two lines", || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.lines().count() >= 2)
    });
    std::fs::write(&go, "").unwrap();
    assert_eq!(st.nsrun("wait", &["bg"]).code(), Some(4));
    let text = std::fs::read_to_string(&log).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort();
    assert_eq!(lines, ["bye", "err", "out"]);
    // Without --log the output goes nowhere; the pid is still printed.
    let pid = st.detach("quiet", &["--", "sh", "-c", "echo lost; exit 0"]);
    assert!(pid > 0);
    assert_eq!(st.nsrun("wait", &["quiet"]).code(), Some(0));
}

#[test]
#[ignore = "needs root"]
fn detach_reports_a_failed_setup_with_its_status() {
    require_root();
    let st = State::new("detach-fail");
    let log = st.dir.path().join("log");
    let out = st.nsrun(
        "run",
        &[
            "--name",
            "bad",
            "-d",
            "--log",
            log.to_str().unwrap(),
            "--",
            "/nonexistent/cmd",
        ],
    );
    out.assert_code(127);
    out.assert_one_error_line(&["execute /nonexistent/cmd", "No such file or directory"]);
    assert_eq!(out.stdout, "", "no pid: it never ran");
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "");
    let e = st.entry("bad").unwrap();
    assert_eq!((e.status.as_str(), e.exit), ("stopped", Some(127)));
    // A log that cannot be opened: said before anything starts.
    let out = st.nsrun(
        "run",
        &[
            "--name",
            "x",
            "-d",
            "--log",
            "/nonexistent/log",
            "--",
            "true",
        ],
    );
    out.assert_code(125);
    out.assert_one_error_line(&["open /nonexistent/log", "No such file or directory"]);
    assert!(st.entry("x").is_none());
}

#[test]
#[ignore = "needs root"]
fn detach_as_an_ordinary_user() {
    require_root();
    if common::skip_without_unprivileged_userns() {
        return;
    }
    let st = State::nobody("detach-user");
    let pid = st.detach("u", &["--", "sleep", "1000"]);
    let e = st.entry("u").unwrap();
    assert_eq!((e.pid, e.status.as_str()), (pid, "running"));
    let uid = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert!(uid.lines().any(|l| l.starts_with("Uid:\t65534\t")), "{uid}");
    st.nsrun("kill", &["u", "KILL"]).assert_ok();
    assert_eq!(st.nsrun("wait", &["u"]).code(), Some(137));
}

#[test]
#[ignore = "needs root"]
fn two_starts_with_one_name_never_both_win() {
    require_root();
    let st = State::new("race");
    // Each command leaves a line in this host file: a loser's command must never have run (it
    // sets up while the winner is decided, and waits for the launcher's word before exec).
    let ran = st.dir.path().join("ran");
    let script = format!("echo $$ >> {}; exec sleep 1000", ran.display());
    for round in 0..3 {
        let name = format!("same{round}");
        let _ = std::fs::remove_file(&ran);
        let children: Vec<_> = (0..8)
            .map(|_| {
                st.cmd("run", &["--name", &name, "-d", "--", "sh", "-c", &script])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outs: Vec<_> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let won: Vec<_> = outs.iter().filter(|o| o.status.success()).collect();
        assert_eq!(won.len(), 1, "exactly one wins: {outs:?}");
        let pid: i32 = String::from_utf8_lossy(&won[0].stdout)
            .trim()
            .parse()
            .unwrap();
        st.pids.borrow_mut().push(pid);
        for lost in outs.iter().filter(|o| !o.status.success()) {
            assert_eq!(lost.status.code(), Some(125), "{lost:?}");
            let err = String::from_utf8_lossy(&lost.stderr);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(
                err.contains(&format!("a container named '{name}' exists")),
                "{err}"
            );
        }
        let e = st.entry(&name).unwrap();
        assert_eq!(e.pid, pid);
        st.pids.borrow_mut().push(e.launcher);
        let lines = std::fs::read_to_string(&ran).unwrap_or_default();
        assert_eq!(
            lines.lines().count(),
            1,
            "only the winner's command ran: {lines}"
        );
        st.nsrun("kill", &[&name, "KILL"]).assert_ok();
        assert_eq!(st.nsrun("wait", &[&name]).code(), Some(137));
    }
    assert_eq!(st.files(), Vec::<String>::new());
}

#[test]
#[ignore = "needs root"]
fn a_name_found_taken_under_the_lock_never_runs_the_command() {
    // The child sets up while its launcher records it; the command waits for the launcher's
    // word. Made deterministic: the store's lock is held while the run starts (its quick look
    // finds no entry: the live one was moved aside), the live entry is put back, then the lock
    // released; the launcher then finds the name taken under the lock and must end its child
    // before the command has run.
    require_root();
    let st = State::new("taken");
    let pid = st.detach("held", &["--", "sleep", "1000"]);
    let entry = st.path.join("held");
    let aside = st.dir.path().join("held.aside");
    std::fs::rename(&entry, &aside).unwrap();
    // The lock nsrun takes: an exclusive flock on the state directory (close-on-exec here).
    let lock = std::fs::File::open(&st.path).unwrap();
    {
        use std::os::fd::AsRawFd;
        // SAFETY: flock on a descriptor this test owns.
        assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
    }
    let ran = st.dir.path().join("ran");
    let script = format!("echo ran > {}; exec sleep 1000", ran.display());
    let loser = st
        .cmd("run", &["--name", "held", "--", "sh", "-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Time for the loser's child to set up and reach the command, were it not held.
    std::thread::sleep(std::time::Duration::from_millis(500));
    std::fs::rename(&aside, &entry).unwrap();
    drop(lock);
    let out = loser.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(125), "{err}");
    assert!(err.contains("a container named 'held' exists"), "{err}");
    assert!(!ran.exists(), "the loser's command ran");
    assert_eq!(st.entry("held").map(|e| e.pid), Some(pid));
}

#[test]
#[ignore = "needs root"]
fn bad_names_are_usage_errors() {
    require_root();
    let st = State::new("names");
    let long = "x".repeat(65);
    for bad in [
        "", ".", "..", "../x", "a/b", "-x", ".hidden", "a b", "a\nb", "é", &long,
    ] {
        for (cmd, args) in [
            ("run", vec!["--name", bad, "--", "true"]),
            ("kill", vec!["--", bad]),
            ("wait", vec!["--", bad]),
        ] {
            // kill also serves OCI callers, whose ids may be up to 240 bytes long.
            if cmd == "kill" && bad == long {
                continue;
            }
            let out = st.nsrun(cmd, &args);
            out.assert_code(2);
            assert_eq!(out.stderr.lines().count(), 1, "{out}");
            assert!(out.stderr.contains("container name"), "{out}");
        }
    }
    assert_eq!(st.files(), Vec::<String>::new(), "nothing recorded");
    // The longest name, and every kind of byte a name may hold.
    for good in [long.get(1..).unwrap(), "A-z_0.9"] {
        st.nsrun("run", &["--name", good, "--", "true"]).assert_ok();
        assert_eq!(st.nsrun("wait", &[good]).code(), Some(0));
    }
}

#[test]
#[ignore = "needs root"]
fn a_killed_launcher_leaves_a_stale_entry_that_the_next_command_removes() {
    require_root();
    let st = State::new("stale");
    let pid = st.detach("gone", &["--", "sleep", "1000"]);
    let e = st.entry("gone").unwrap();
    common::send_signal(e.launcher, libc::SIGKILL);
    common::send_signal(pid, libc::SIGKILL);
    until("the container's end", || !alive(pid) && !alive(e.launcher));
    assert!(st.path.join("gone").exists(), "the entry is still on disk");
    // The next command that meets it removes it: kill says there is no such container.
    let out = st.nsrun("kill", &["gone"]);
    out.assert_code(1);
    out.assert_one_error_line(&["no container named 'gone'"]);
    assert_eq!(st.files(), Vec::<String>::new());
    // list does the same; and the name is free again.
    let pid = st.detach("gone", &["--", "sleep", "1000"]);
    let e = st.entry("gone").unwrap();
    common::send_signal(e.launcher, libc::SIGKILL);
    until("the container's end", || !alive(pid) && !alive(e.launcher));
    assert!(st.list().is_empty());
    assert_eq!(st.files(), Vec::<String>::new());
}

/// An unrelated process of ours, `sleep 1000` in its own process group (killed at the end),
/// started in a later clock tick than the container `name`: start times count ticks of 10 ms, so
/// a pid reused within the tick it was freed in could not be told apart (nor can it happen: the
/// kernel hands out every other free pid first).
fn bystander_after(st: &State, name: &str) -> (std::process::Child, i32) {
    use std::os::unix::process::CommandExt;
    let text = std::fs::read_to_string(st.path.join(name)).unwrap();
    let start = |l: &str| l.strip_prefix("pid-start ").map(String::from);
    let container: String = text.lines().find_map(start).unwrap();
    loop {
        let mut c = Command::new("sleep")
            .arg("1000")
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = c.id() as i32;
        st.pids.borrow_mut().push(pid);
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let rest = stat.rsplit_once(')').unwrap().1;
        let own = rest.split_whitespace().nth(19).unwrap().to_string();
        if own != container {
            return (c, pid);
        }
        let _ = c.kill();
        let _ = c.wait();
    }
}

#[test]
#[ignore = "needs root"]
fn a_pid_now_held_by_another_process_is_never_signalled() {
    require_root();
    let st = State::new("reused");
    // The container and its launcher are gone, and their pids now name an unrelated process
    // (simulated: the entry is edited to point at it, its start time left as the container's).
    let pid = st.detach("reused", &["--", "sleep", "1000"]);
    let e = st.entry("reused").unwrap();
    let (mut other, other_pid) = bystander_after(&st, "reused");
    common::send_signal(e.launcher, libc::SIGKILL);
    until("the container's end", || !alive(pid));
    st.edit("reused", "pid", &other_pid.to_string());
    st.edit("reused", "launcher", &other_pid.to_string());
    for (cmd, args, code) in [
        ("kill", vec!["reused", "KILL"], Some(1)),
        ("wait", vec!["reused"], Some(1)),
    ] {
        let out = st.nsrun(cmd, &args);
        assert_eq!(out.code(), code, "{out}");
        assert!(alive(other_pid), "{cmd} signalled the unrelated process");
    }
    assert_eq!(
        st.files(),
        Vec::<String>::new(),
        "the stale entry was removed"
    );
    // A live container whose recorded start time differs (its pid was reused in between, as far
    // as the entry can tell): not signalled either; the entry stays while its launcher lives.
    let pid = st.detach("live", &["--", "sleep", "1000"]);
    let text = std::fs::read_to_string(st.path.join("live")).unwrap();
    st.edit("live", "pid-start", "1");
    let out = st.nsrun("kill", &["live", "KILL"]);
    out.assert_code(1);
    out.assert_one_error_line(&["'live' is not running"]);
    assert!(alive(pid), "the container was signalled");
    std::fs::write(st.path.join("live"), text).unwrap();
    st.nsrun("kill", &["live", "KILL"]).assert_ok();
    assert_eq!(st.nsrun("wait", &["live"]).code(), Some(137));
    let _ = other.kill();
    let _ = other.wait();
}

/// `kill NAME SIGNAL` reaches the command through the init (USR1 by name, HUP by number), with
/// nsrun's pidfd calls as the kernel has them or missing (`missing`, for nosys).
fn kill_reaches_the_container(missing: Option<&str>) {
    let st = State::new("kill");
    let log = st.dir.path().join("log");
    let script =
        "trap 'echo usr1' USR1; trap 'echo hup; exit 9' HUP; echo up; while :; do sleep 0.01; done";
    st.detach(
        "k",
        &["--log", log.to_str().unwrap(), "--", "sh", "-c", script],
    );
    until("the trap set", || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains("up"))
    });
    let kill = |args: &[&str]| match missing {
        None => st.nsrun("kill", args),
        Some(set) => {
            let mut all = vec!["kill", "--state-dir", st.path.to_str().unwrap()];
            all.extend_from_slice(args);
            helpers::nsrun_without(set, &all)
        }
    };
    kill(&["k", "usr1"]).assert_ok();
    until("usr1 in the log", || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains("usr1"))
    });
    kill(&["k", "1"]).assert_ok();
    assert_eq!(st.nsrun("wait", &["k"]).code(), Some(9));
    let out = kill(&["k"]);
    out.assert_code(1);
}

#[test]
#[ignore = "needs root"]
fn kill_signals_through_a_pidfd() {
    require_root();
    kill_reaches_the_container(None);
    // strace shows the pidfd calls (and no kill(2) of the container).
    let st = State::new("kill-strace");
    let pid = st.detach("t", &["--", "sleep", "1000"]);
    let trace = st.dir.path().join("trace");
    let out = run(Command::new(require_tool("strace"))
        .args(["-qq", "-e", "trace=pidfd_open,pidfd_send_signal,kill", "-o"])
        .arg(&trace)
        .arg(common::nsrun_bin())
        .args([
            "kill",
            "--state-dir",
            st.path.to_str().unwrap(),
            "t",
            "KILL",
        ]));
    out.assert_ok();
    let traced = std::fs::read_to_string(&trace).unwrap();
    assert!(
        traced.contains(&format!("pidfd_open({pid}, 0)")),
        "{traced}"
    );
    assert!(
        traced.contains("pidfd_send_signal(") && traced.contains("SIGKILL"),
        "{traced}"
    );
    assert!(!traced.contains("kill("), "{traced}");
    assert_eq!(st.nsrun("wait", &["t"]).code(), Some(137));
}

#[test]
#[ignore = "needs root"]
fn kill_without_pidfds_falls_back_to_kill() {
    require_root();
    kill_reaches_the_container(Some("pidfd_send_signal"));
    kill_reaches_the_container(Some("pidfd_open,pidfd_send_signal"));
}

#[test]
#[ignore = "needs root"]
fn wait_without_pidfds_still_waits() {
    require_root();
    let st = State::new("wait-nosys");
    let go = st.dir.path().join("go");
    let script = "while [ ! -e \"$1\" ]; do sleep 0.01; done; exit 6";
    st.detach("w", &["--", "sh", "-c", script, "sh", go.to_str().unwrap()]);
    let mut waiter = helpers::nosys_cmd(
        "pidfd_open",
        &common::nsrun_bin(),
        &["wait", "--state-dir", st.path.to_str().unwrap(), "w"],
    );
    let waiting = common::Running::spawn(&mut waiter);
    std::fs::write(&go, "").unwrap();
    let out = waiting.wait();
    assert_eq!(out.code(), Some(6), "{out}");
}

#[test]
#[ignore = "needs root"]
fn wait_reports_the_status_of_every_end() {
    require_root();
    let st = State::new("wait");
    for (opt, script, code) in [
        ("--as-pid-1", "exit 0", 0),
        ("--as-pid-1", "exit 42", 42),
        ("--mount", "kill -TERM $$", 143),
    ] {
        let go = st.dir.path().join("go");
        let _ = std::fs::remove_file(&go);
        let full = format!("while [ ! -e \"$1\" ]; do sleep 0.01; done; {script}");
        st.detach(
            "w",
            &[opt, "--", "sh", "-c", &full, "sh", go.to_str().unwrap()],
        );
        // Waiting before the end (on the launcher's pidfd) and after it (the stopped entry).
        let mut first = st.cmd("wait", &["w"]);
        let waiting = common::Running::spawn(&mut first);
        std::fs::write(&go, "").unwrap();
        let out = waiting.wait();
        assert_eq!(out.code(), Some(code), "{script}: {out}");
        assert!(st.entry("w").is_none());
    }
    // A stopped entry nobody waited for yet: wait returns at once with its status.
    st.detach("late", &["--", "sh", "-c", "exit 5"]);
    until("its end", || {
        st.entry("late").is_some_and(|e| e.status == "stopped")
    });
    assert_eq!(st.nsrun("wait", &["late"]).code(), Some(5));
    // A stopped entry is replaced by a new run of its name.
    st.detach("late", &["--", "sh", "-c", "exit 5"]);
    until("its end", || {
        st.entry("late").is_some_and(|e| e.status == "stopped")
    });
    st.nsrun("run", &["--name", "late", "--", "true"])
        .assert_ok();
    assert_eq!(st.nsrun("wait", &["late"]).code(), Some(0));
}

#[test]
#[ignore = "needs root"]
fn a_foreign_file_in_the_state_directory_is_reported_and_kept() {
    require_root();
    let st = State::new("foreign");
    std::fs::write(st.path.join("junk"), "hello\n").unwrap();
    let out = st.nsrun("list", &[]);
    out.assert_code(1);
    out.assert_one_error_line(&["junk", "not a state entry"]);
    assert!(out.stdout.starts_with("NAME"));
    let out = st.nsrun("run", &["--name", "junk", "--", "true"]);
    out.assert_code(125);
    assert!(st.path.join("junk").exists());
}

#[test]
#[ignore = "needs root"]
fn a_symlink_in_the_state_directory_is_never_followed() {
    require_root();
    let st = State::new("symlink");
    let target = st.dir.path().join("victim");
    std::fs::write(&target, "precious\n").unwrap();
    std::os::unix::fs::symlink(&target, st.path.join("evil")).unwrap();
    for (cmd, args) in [
        ("kill", vec!["evil"]),
        ("wait", vec!["evil"]),
        ("run", vec!["--name", "evil", "--", "true"]),
    ] {
        let out = st.nsrun(cmd, &args);
        out.assert_code(125);
        out.assert_one_error_line(&["evil", "not a state entry"]);
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    assert!(std::fs::symlink_metadata(st.path.join("evil"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
#[ignore = "needs root"]
fn an_unnamed_detached_run_prints_its_pid_and_records_nothing() {
    require_root();
    let st = State::new("unnamed-detach");
    let out =
        run(common::nsrun_cmd(&["-d", "--", "sleep", "1000"]).env("NSRUN_STATE_DIR", &st.path));
    out.assert_ok();
    let pid: i32 = out.stdout.trim().parse().unwrap();
    st.pids.borrow_mut().push(pid);
    assert!(alive(pid));
    assert_eq!(st.files(), Vec::<String>::new());
    common::send_signal(pid, libc::SIGKILL);
}

#[test]
#[ignore = "needs root"]
fn kill_of_a_stopped_container_fails_and_keeps_its_status_for_wait() {
    require_root();
    let st = State::new("kill-stopped");
    st.nsrun("run", &["--name", "done", "--", "sh", "-c", "exit 8"])
        .assert_code(8);
    let out = st.nsrun("kill", &["done"]);
    out.assert_code(1);
    out.assert_one_error_line(&["'done' is not running"]);
    // The first wait collects it; a later one finds no container.
    assert_eq!(st.nsrun("wait", &["done"]).code(), Some(8));
    st.nsrun("wait", &["done"]).assert_code(1);
    assert_eq!(st.files(), Vec::<String>::new());
}

#[test]
#[ignore = "needs root"]
fn namespaces_made_after_clone_are_recorded_as_the_command_sees_them() {
    require_root();
    let st = State::new("late-ns");
    let go = st.dir.path().join("go");
    let log = st.dir.path().join("log");
    // A time namespace is made by unshare(2) in the child (clone cannot: its flag is the exit
    // signal's field), after the entry was first written.
    let script =
        "for n in time cgroup pid; do echo \"$n $(stat -L -c %i /proc/self/ns/$n)\"; done; \
                  while [ ! -e \"$1\" ]; do sleep 0.01; done";
    let args = [
        "--log",
        log.to_str().unwrap(),
        "-m",
        "-p",
        "-T",
        "-C",
        "--",
        "sh",
        "-c",
        script,
    ];
    let mut all = args.to_vec();
    all.extend(["sh", go.to_str().unwrap()]);
    st.detach("late", &all);
    until("the command's namespaces", || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.lines().count() == 3)
    });
    let e = st.entry("late").unwrap();
    let mut made = e.new.clone();
    made.sort();
    assert_eq!(made, ["cgroup", "mnt", "pid", "time"], "{e:?}");
    for line in std::fs::read_to_string(&log).unwrap().lines() {
        let (kind, inode) = line.split_once(' ').unwrap();
        let listed = e.ns.iter().find(|(k, _)| k == kind).map(|(_, n)| *n);
        assert_eq!(listed, inode.parse().ok(), "{kind}: {e:?}");
    }
    std::fs::write(&go, "").unwrap();
    assert_eq!(st.nsrun("wait", &["late"]).code(), Some(0));
}

/// Whether this kernel opens a process's namespaces through its pidfd (PIDFD_GET_*_NAMESPACE,
/// Linux 6.11), from its version.
fn kernel_has_pidfd_ns_ioctls() -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut parts = release.trim().split(|c: char| !c.is_ascii_digit());
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) >= (6, 11)
}

/// A named run records its namespaces, and the launcher's PID and time namespaces, as the
/// kernel shows them, whether it opens them through the child's pidfd (PIDFD_GET_*_NAMESPACE,
/// Linux 6.11; the launcher's own through a pidfd of itself) or reads /proc, as on a kernel
/// without those ioctls (forced with nosys: ENOTTY); where the kernel has them, the launcher
/// looks up no /proc/PID/ns and no /proc/self/ns.
#[test]
#[ignore = "needs root"]
fn namespaces_are_recorded_alike_through_pidfds_and_through_proc() {
    require_root();
    let st = State::new("ns-paths");
    let path = st.path.to_str().unwrap().to_string();
    let me = std::process::id() as i32;
    for set in [None, Some("pidfd_ns_ioctls")] {
        for n in 0..4 {
            let name = format!("{}{n}", if set.is_some() { "proc" } else { "pidfd" });
            let args = [
                "run",
                "--state-dir",
                &path,
                "--name",
                &name,
                "--detach",
                "--",
                "sleep",
                "60",
            ];
            let out = match set {
                None => run(Command::new(common::nsrun_bin()).args(args)),
                Some(set) => helpers::nsrun_without(set, &args),
            };
            out.assert_ok();
            let pid: i32 = out.stdout.trim().parse().expect("a pid");
            st.pids.borrow_mut().push(pid);
            let text = std::fs::read_to_string(st.path.join(&name)).unwrap();
            let field = |key: &str| number_field(&text, key);
            assert_eq!(field("pid-ns"), readlink_ns(me, "pid"), "{set:?}: {text}");
            assert_eq!(field("time-ns"), readlink_ns(me, "time"), "{set:?}: {text}");
            let ns: Vec<&str> = text.lines().filter(|l| l.starts_with("ns ")).collect();
            assert_eq!(ns.len(), 5, "{set:?}: {text}");
            for line in ns {
                let words: Vec<&str> = line.split(' ').collect();
                let inode: u64 = words[2].parse().unwrap();
                assert_eq!(inode, readlink_ns(pid, words[1]), "{set:?}: {line}");
            }
            st.nsrun("kill", &[&name, "KILL"]).assert_ok();
            assert_eq!(st.nsrun("wait", &[&name]).code(), Some(137));
        }
    }
    if !kernel_has_pidfd_ns_ioctls() {
        return;
    }
    // The boot clock read around clone names the PID 1's start in nearly every run (the
    // pidfd's path); under strace a clone now and then crosses a clock tick and the launcher
    // reads /proc/PID/stat instead: try until a run takes the pidfd's path.
    let trace = st.dir.path().join("trace");
    let taken = (0..20).any(|_| {
        let out = run(Command::new(require_tool("strace"))
            .args([
                "-qq",
                "-e",
                "trace=ioctl,open,openat,readlink,readlinkat",
                "-o",
            ])
            .arg(&trace)
            .arg(common::nsrun_bin())
            .args([
                "run",
                "--state-dir",
                &path,
                "--name",
                "traced",
                "--",
                "true",
            ]));
        out.assert_ok();
        let traced = std::fs::read_to_string(&trace).unwrap();
        let through_pidfd = traced.contains("_IOC(_IOC_NONE, 0xff, 0x4, 0)");
        if through_pidfd {
            let proc_ns = traced
                .lines()
                .filter(|l| l.contains("\"/proc/") && (l.contains("/ns\"") || l.contains("/ns/")));
            assert_eq!(proc_ns.count(), 0, "no /proc/PID/ns lookup: {traced}");
        }
        through_pidfd
    });
    assert!(taken, "no run opened the namespaces through the pidfd");
    assert_eq!(st.nsrun("wait", &["traced"]).code(), Some(0));
    assert_eq!(st.files(), Vec::<String>::new());
}
