//! nsrun as an OCI runtime (issue 9): create, start, state, kill, delete, run, list, ps, spec,
//! features, on a busybox-static bundle whose config.json is modelled on `runc spec`.
//!
//! Each test uses a state directory (`--root`) and a bundle of its own, and removes them; the
//! only processes ended are the containers these tests made, by pid.

mod common;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{nsrun_bin, TempDir};

/// A bundle (rootfs with busybox and its applets, config.json) and a state directory.
struct Bundle {
    dir: TempDir,
    root: PathBuf,
}

fn busybox() -> Option<PathBuf> {
    ["/bin/busybox", "/usr/bin/busybox"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

impl Bundle {
    /// A bundle whose process runs `args`; None (the test is skipped with a line) without
    /// root or busybox.
    fn new(tag: &str, args: &[&str]) -> Option<Bundle> {
        if !common::is_root() {
            eprintln!("skipped: needs root");
            return None;
        }
        let Some(bb) = busybox() else {
            eprintln!("skipped: no busybox (apt-get install busybox-static)");
            return None;
        };
        let dir = TempDir::new(tag);
        let rootfs = dir.path().join("bundle/rootfs");
        for d in ["bin", "proc", "dev", "tmp", "sys"] {
            std::fs::create_dir_all(rootfs.join(d)).unwrap();
        }
        std::fs::copy(&bb, rootfs.join("bin/busybox")).unwrap();
        for applet in ["sh", "echo", "cat", "sleep", "true", "touch", "ls", "ps"] {
            std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet)).unwrap();
        }
        let root = dir.path().join("state");
        std::fs::create_dir(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).unwrap();
        let b = Bundle { dir, root };
        b.config(args);
        Some(b)
    }

    fn bundle(&self) -> PathBuf {
        self.dir.path().join("bundle")
    }

    fn rootfs(&self) -> PathBuf {
        self.bundle().join("rootfs")
    }

    /// Writes config.json: runc's default spec, no terminal, with `args`.
    fn config(&self, args: &[&str]) {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oci/runc-spec.json");
        let mut text = std::fs::read_to_string(fixture).unwrap();
        text = text.replace("\"terminal\": true", "\"terminal\": false");
        let quoted: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
        let at = text.find("\"args\": [").unwrap();
        let end = at + text[at..].find(']').unwrap();
        text.replace_range(at..=end, &format!("\"args\": [{}]", quoted.join(", ")));
        text = text.replace("\"readonly\": true", "\"readonly\": false");
        std::fs::write(self.bundle().join("config.json"), text).unwrap();
    }

    /// `nsrun --root STATE ARGS...`.
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(nsrun_bin());
        c.arg("--root").arg(&self.root).args(args);
        c.current_dir(self.bundle());
        c
    }

    /// Runs `nsrun ARGS` with its stdout and stderr in files: a container's process keeps the
    /// runtime's descriptors, so pipes would not end with the runtime.
    fn run(&self, args: &[&str]) -> Output {
        let (o, e) = (self.dir.path().join("out"), self.dir.path().join("err"));
        let status = self
            .cmd(args)
            .stdout(std::fs::File::create(&o).unwrap())
            .stderr(std::fs::File::create(&e).unwrap())
            .status()
            .expect("run nsrun");
        Output {
            status,
            stdout: std::fs::read(&o).unwrap(),
            stderr: std::fs::read(&e).unwrap(),
        }
    }

    fn state(&self, id: &str) -> String {
        let out = self.run(&["state", id]);
        assert!(out.status.success(), "state: {}", text(&out.stderr));
        text(&out.stdout)
    }

    /// The files of the state directory.
    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The JSON value of `key` in `state`'s text (a number or a string, as written).
fn field(state: &str, key: &str) -> String {
    let at = state
        .find(&format!("\"{key}\": "))
        .unwrap_or_else(|| panic!("no {key} in {state}"));
    let rest = &state[at + key.len() + 4..];
    let end = rest.find([',', '\n']).unwrap();
    rest[..end].trim_matches('"').to_string()
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit(')')
            .next()
            .is_some_and(|r| !r.trim_start().starts_with('Z'))
    })
}

fn until(what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Reaps `pid` if it is a child of this process (nsrun's containers are reparented to init or
/// a subreaper, not to the test, so this only tidies up).
fn kill_pid(pid: i32) {
    if pid > 0 && alive(pid) {
        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    }
}

#[test]
#[ignore = "needs root"]
fn create_start_state_kill_delete() {
    let Some(b) = Bundle::new("life", &["sh", "-c", "touch /started; exec sleep 100"]) else {
        return;
    };
    let pid_file = b.dir.path().join("pid");
    let out = b.run(&["create", "--pid-file", pid_file.to_str().unwrap(), "c1"]);
    assert!(out.status.success(), "create: {}", text(&out.stderr));
    let st = b.state("c1");
    assert_eq!(field(&st, "status"), "created", "{st}");
    assert_eq!(field(&st, "id"), "c1");
    assert_eq!(field(&st, "bundle"), b.bundle().to_str().unwrap());
    assert_eq!(field(&st, "rootfs"), b.rootfs().to_str().unwrap());
    assert_eq!(field(&st, "ociVersion"), "1.0.2-dev");
    assert!(field(&st, "created").ends_with('Z'), "{st}");
    let pid: i32 = field(&st, "pid").parse().unwrap();
    assert_eq!(
        std::fs::read_to_string(&pid_file).unwrap().trim(),
        pid.to_string()
    );
    assert!(alive(pid));
    // Blocked on its fifo: set up, the command not run.
    let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).unwrap_or_default();
    assert!(
        wchan.contains("pipe") || wchan.contains("fifo") || wchan.is_empty(),
        "{wchan}"
    );
    std::thread::sleep(Duration::from_millis(100));
    assert!(!b.rootfs().join("started").exists(), "ran before start");
    assert!(
        b.files().contains(&".fifo.c1".to_string()),
        "{:?}",
        b.files()
    );
    let out = b.run(&["start", "c1"]);
    assert!(out.status.success(), "start: {}", text(&out.stderr));
    until("the command ran", || b.rootfs().join("started").exists());
    assert_eq!(field(&b.state("c1"), "status"), "running");
    assert_eq!(
        b.files(),
        [".config.c1", "c1"],
        "the fifo is gone; the config kept for exec stays"
    );
    // A second start is refused.
    let again = b.run(&["start", "c1"]);
    assert_eq!(again.status.code(), Some(1));
    let out = b.run(&["kill", "c1", "KILL"]);
    assert!(out.status.success(), "kill: {}", text(&out.stderr));
    until("it ended", || !alive(pid));
    let st = b.state("c1");
    assert_eq!(field(&st, "status"), "stopped", "{st}");
    assert_eq!(field(&st, "pid"), "0");
    let out = b.run(&["delete", "c1"]);
    assert!(out.status.success(), "delete: {}", text(&out.stderr));
    assert!(b.files().is_empty(), "{:?}", b.files());
    let out = b.run(&["state", "c1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("container does not exist"));
}

#[test]
#[ignore = "needs root"]
fn start_returns_once_the_command_is_executed() {
    // A `kill` right after `start` must reach the command, not nsrun's code before execve (as
    // PID 1 of its namespace that code would have the kernel drop the signal). So `start`
    // returns only once the process has executed its command: checked here each time by what
    // the kernel reports for the process at once after `start`, its executable.
    let Some(b) = Bundle::new("start-exec", &["sleep", "100"]) else {
        return;
    };
    let nsrun_exe = std::fs::metadata(nsrun_bin()).unwrap();
    for i in 0..20 {
        let id = format!("s{i}");
        let out = b.run(&["create", &id]);
        assert!(out.status.success(), "create: {}", text(&out.stderr));
        let pid: i32 = field(&b.state(&id), "pid").parse().unwrap();
        let out = b.run(&["start", &id]);
        assert!(out.status.success(), "start: {}", text(&out.stderr));
        let exe = std::fs::metadata(format!("/proc/{pid}/exe")).unwrap();
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap();
        kill_pid(pid);
        until("it ended", || !alive(pid));
        let out = b.run(&["delete", &id]);
        assert!(out.status.success(), "delete: {}", text(&out.stderr));
        assert!(
            (exe.dev(), exe.ino()) != (nsrun_exe.dev(), nsrun_exe.ino()),
            "try {i}: start returned while the process was still nsrun ({comm:?})"
        );
        assert_eq!(comm.trim(), "sleep", "try {i}");
    }
}

/// A program that passes create's check (a regular file with execute permission) but that
/// execve(2) refuses (ENOEXEC: no ELF, no `#!`) fails only once released: `start` says so and
/// exits 1, the container is stopped, and delete leaves nothing.
#[test]
#[ignore = "needs root"]
fn start_fails_when_the_program_cannot_be_executed() {
    let Some(b) = Bundle::new("start-enoexec", &["/bin/garbage"]) else {
        return;
    };
    let bad = b.rootfs().join("bin/garbage");
    std::fs::write(&bad, "neither ELF nor a script\n").unwrap();
    std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = b.run(&["create", "x1"]);
    assert!(out.status.success(), "create: {}", text(&out.stderr));
    let pid: i32 = field(&b.state("x1"), "pid").parse().unwrap();
    let out = b.run(&["start", "x1"]);
    assert_eq!(out.status.code(), Some(1), "start: {}", text(&out.stderr));
    assert!(
        text(&out.stderr)
            .contains("cannot start container 'x1': execute /bin/garbage: Exec format error"),
        "{}",
        text(&out.stderr)
    );
    until("it ended", || !alive(pid));
    assert_eq!(field(&b.state("x1"), "status"), "stopped");
    let out = b.run(&["delete", "x1"]);
    assert!(out.status.success(), "delete: {}", text(&out.stderr));
    assert!(b.files().is_empty(), "{:?}", b.files());
    // A good program after it: start exits 0 and says nothing.
    b.config(&["sleep", "100"]);
    assert!(b.run(&["create", "x2"]).status.success());
    let pid: i32 = field(&b.state("x2"), "pid").parse().unwrap();
    let out = b.run(&["start", "x2"]);
    assert!(out.status.success(), "start: {}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    kill_pid(pid);
    until("it ended", || !alive(pid));
    assert!(b.run(&["delete", "x2"]).status.success());
}

#[test]
#[ignore = "needs root"]
fn create_twice_with_one_id_fails_and_delete_refuses_a_running_one() {
    let Some(b) = Bundle::new("twice", &["sleep", "100"]) else {
        return;
    };
    assert!(b.run(&["create", "dup"]).status.success());
    let pid: i32 = field(&b.state("dup"), "pid").parse().unwrap();
    let out = b.run(&["create", "dup"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("exists"),
        "{}",
        text(&out.stderr)
    );
    assert!(alive(pid), "the first is untouched");
    assert!(b.run(&["start", "dup"]).status.success());
    let out = b.run(&["delete", "dup"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("not stopped"),
        "{}",
        text(&out.stderr)
    );
    let out = b.run(&["delete", "--force", "dup"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!alive(pid));
    assert!(b.files().is_empty(), "{:?}", b.files());
}

#[test]
#[ignore = "needs root"]
fn start_of_a_missing_container_says_it_does_not_exist() {
    let Some(b) = Bundle::new("missing", &["true"]) else {
        return;
    };
    for cmd in ["start", "state", "delete", "kill"] {
        let out = b.run(&[cmd, "nosuch"]);
        assert_eq!(out.status.code(), Some(1), "{cmd}");
        assert!(
            text(&out.stderr).contains("container does not exist"),
            "{cmd}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
#[ignore = "needs root"]
fn a_bad_config_fails_with_one_json_log_line_naming_the_field() {
    let Some(b) = Bundle::new("badcfg", &["true"]) else {
        return;
    };
    let cfg = b.bundle().join("config.json");
    let text0 = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, text0.replace("\"uid\": 0", "\"uid\": \"root\"")).unwrap();
    let log = b.dir.path().join("log.json");
    let out = b.run(&[
        "--log",
        log.to_str().unwrap(),
        "--log-format=json",
        "create",
        "bad",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert_eq!(logged.lines().count(), 1, "{logged}");
    assert!(logged.contains("process.user.uid"), "{logged}");
    let parsed = Command::new("python3")
        .args(["-m", "json.tool", log.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(parsed.status.success(), "{logged}");
    assert!(text(&parsed.stdout).contains("\"level\": \"error\""));
    assert!(b.files().is_empty(), "{:?}", b.files());
}

#[test]
#[ignore = "needs root"]
fn an_executable_that_does_not_exist_fails_at_create() {
    let Some(b) = Bundle::new("noexec", &["nosuchprogram"]) else {
        return;
    };
    let log = b.dir.path().join("log");
    let pid_file = b.dir.path().join("pid");
    let out = b.run(&[
        "--log",
        log.to_str().unwrap(),
        "--log-format",
        "json",
        "create",
        "--pid-file",
        pid_file.to_str().unwrap(),
        "ne",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("executable file not found"), "{logged}");
    assert_eq!(logged.lines().count(), 1, "{logged}");
    assert!(b.files().is_empty(), "{:?}", b.files());
    assert!(!pid_file.exists());
    // With a path: "no such file or directory".
    b.config(&["/bin/nosuch"]);
    let out = b.run(&["create", "ne2"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no such file or directory"),
        "{}",
        text(&out.stderr)
    );
}

/// A python3 wrapper that becomes a subreaper, runs `create` and prints the container's parent.
const SUBREAPER: &str = r#"
import ctypes, os, subprocess, sys
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(36, 1, 0, 0, 0) == 0
r = subprocess.run(sys.argv[1:])
pid = int(open(os.environ["PIDFILE"]).read())
ppid = int(open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[1])
print(r.returncode, pid, ppid, os.getpid())
subprocess.run(sys.argv[1:3] + ["start", sys.argv[-1]], check=True)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status))
"#;

#[test]
#[ignore = "needs root"]
fn the_launcher_is_gone_after_create_and_the_caller_reaps_the_process() {
    let Some(b) = Bundle::new("reaper", &["sh", "-c", "exit 7"]) else {
        return;
    };
    let pid_file = b.dir.path().join("pid");
    let out = Command::new("python3")
        .arg("-c")
        .arg(SUBREAPER)
        .arg(nsrun_bin())
        .arg(format!("--root={}", b.root.display()))
        .args(["create", "--bundle", b.bundle().to_str().unwrap()])
        .args(["--pid-file", pid_file.to_str().unwrap(), "rp"])
        .env("PIDFILE", &pid_file)
        .output()
        .unwrap();
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}{}", text(&out.stderr));
    let words: Vec<&str> = said.split_whitespace().collect();
    assert_eq!(words[0], "0", "create's status");
    assert_eq!(
        words[2], words[3],
        "the process's parent is the caller: {said}"
    );
    assert_eq!(words[4], "7", "its exit status reaches the caller");
    let st = b.state("rp");
    assert_eq!(field(&st, "status"), "stopped");
    assert!(b.run(&["delete", "rp"]).status.success());
}

/// Holds an exclusive flock on `dir` until the returned child is killed.
fn hold_lock(dir: &Path) -> std::process::Child {
    let child = Command::new("python3")
        .arg("-c")
        .arg(
            "import fcntl, os, sys, time\n\
             fd = os.open(sys.argv[1], os.O_RDONLY)\n\
             fcntl.flock(fd, fcntl.LOCK_EX)\n\
             print('locked', flush=True)\n\
             time.sleep(60)\n",
        )
        .arg(dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
}

#[test]
#[ignore = "needs root"]
fn killing_the_caller_during_create_leaves_nothing() {
    let Some(b) = Bundle::new("killed", &["touch", "/ran"]) else {
        return;
    };
    // The launcher writes the entry under the store's lock: held here, create stops there,
    // its process set up and waiting.
    let mut locker = hold_lock(&b.root);
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(locker.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "locked");
    let mut create = b.cmd(&["create", "kd"]).spawn().unwrap();
    let launcher = create.id() as i32;
    // Its child: the process being created.
    let mut child = 0;
    until("the container's process exists", || {
        let kids = std::fs::read_to_string(format!("/proc/{launcher}/task/{launcher}/children"))
            .unwrap_or_default();
        child = kids
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        child != 0
    });
    std::thread::sleep(Duration::from_millis(200));
    let _ = create.kill();
    let _ = create.wait();
    until("the process died with its launcher", || !alive(child));
    let _ = locker.kill();
    let _ = locker.wait();
    assert!(b.files().is_empty(), "{:?}", b.files());
    assert!(!b.rootfs().join("ran").exists());
    let out = b.run(&["state", "kd"]);
    assert_eq!(out.status.code(), Some(1));
    kill_pid(child);
}

#[test]
#[ignore = "needs root"]
fn run_waits_and_exits_with_the_status_then_removes_the_container() {
    let Some(b) = Bundle::new("run", &["sh", "-c", "echo hello; exit 3"]) else {
        return;
    };
    let out = b.run(&["run", "r1"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "hello\n",
        "the process's stdout is the runtime's"
    );
    assert!(b.files().is_empty(), "{:?}", b.files());
}

#[test]
#[ignore = "needs root"]
fn a_cgroup_is_paused_resumed_listed_and_removed_by_delete() {
    let Some(b) = Bundle::new("cgroup", &["sh", "-c", "sleep 100 & exec sleep 100"]) else {
        return;
    };
    let cfg = b.bundle().join("config.json");
    let parent = format!("nsrun-oci-test-{}", std::process::id());
    let path = format!("/{parent}/c");
    let text0 = std::fs::read_to_string(&cfg).unwrap();
    let with = text0.replacen(
        "\"linux\": {",
        &format!("\"linux\": {{\"cgroupsPath\": {path:?},"),
        1,
    );
    std::fs::write(&cfg, with).unwrap();
    let out = b.run(&["create", "cg"]);
    assert!(out.status.success(), "create: {}", text(&out.stderr));
    let entry = std::fs::read_to_string(b.root.join("cg")).unwrap();
    let dir = entry
        .lines()
        .find_map(|l| l.strip_prefix("cgroup "))
        .unwrap_or_else(|| panic!("no cgroup in {entry}"))
        .to_string();
    assert!(dir.ends_with(&path), "{dir}");
    assert!(Path::new(&dir).is_dir());
    assert!(b.run(&["start", "cg"]).status.success());
    let mut pids = Vec::new();
    until("both sleeps are in the cgroup", || {
        let ps = b.run(&["ps", "--format", "json", "cg"]);
        pids = text(&ps.stdout)
            .trim()
            .trim_matches(['[', ']'])
            .split(',')
            .filter_map(|p| p.parse::<i32>().ok())
            .collect();
        pids.len() == 2
    });
    let frozen = dir.clone() + "/cgroup.freeze";
    let has_freezer =
        Path::new(&frozen).exists() || Path::new(&(dir.clone() + "/freezer.state")).exists();
    if has_freezer {
        let out = b.run(&["pause", "cg"]);
        assert!(out.status.success(), "pause: {}", text(&out.stderr));
        assert_eq!(field(&b.state("cg"), "status"), "paused");
        let out = b.run(&["resume", "cg"]);
        assert!(out.status.success(), "resume: {}", text(&out.stderr));
        assert_eq!(field(&b.state("cg"), "status"), "running");
    } else {
        eprintln!("pause/resume skipped: no freezer file in {dir}");
    }
    let out = b.run(&["kill", "--all", "cg", "KILL"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    until("every process ended", || pids.iter().all(|p| !alive(*p)));
    assert!(b.run(&["delete", "cg"]).status.success());
    assert!(!Path::new(&dir).exists(), "the cgroup is removed");
    let parent_dir = &dir[..dir.len() - 2];
    assert!(
        !Path::new(parent_dir).exists(),
        "and the parent made for it"
    );
    assert!(b.files().is_empty());
}

#[test]
#[ignore = "needs root"]
fn exec_runs_a_process_in_the_container_as_asked() {
    let Some(b) = Bundle::new("exec", &["sleep", "100"]) else {
        return;
    };
    assert!(b.run(&["create", "ex"]).status.success());
    assert!(b.run(&["start", "ex"]).status.success());
    let pid: i32 = field(&b.state("ex"), "pid").parse().unwrap();
    // CMD with overrides: its namespaces (hostname), cwd, env, user; its status.
    let out = b.run(&[
        "exec",
        "--cwd",
        "/tmp",
        "-e",
        "FOO=bar",
        "--user",
        "1000:1000",
        "ex",
        "sh",
        "-c",
        "pwd; echo $FOO; id -u; hostname; exit 5",
    ]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "/tmp\nbar\n1000\nrunc\n");
    // --process FILE: its capabilities.
    let proc_json = b.dir.path().join("process.json");
    std::fs::write(
        &proc_json,
        r#"{"terminal": false, "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", "grep CapEff /proc/self/status"],
            "env": ["PATH=/bin"], "cwd": "/", "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}}"#,
    )
    .unwrap();
    let out = b.run(&["exec", "--process", proc_json.to_str().unwrap(), "ex"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("0000000000000020"),
        "{}",
        text(&out.stdout)
    );
    // --detach --pid-file: returns at once, the pid file on the host names the process.
    let pid_file = b.dir.path().join("exec.pid");
    let out = b.run(&[
        "exec",
        "-d",
        "--pid-file",
        pid_file.to_str().unwrap(),
        "ex",
        "sleep",
        "50",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let epid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(alive(epid));
    let ns = |p: i32| std::fs::read_link(format!("/proc/{p}/ns/pid")).unwrap();
    assert_eq!(ns(epid), ns(pid), "in the container's PID namespace");
    // A missing command: 127, as a shell; nsrun's own failure: 1.
    let out = b.run(&["exec", "ex", "nosuch"]);
    assert_eq!(out.status.code(), Some(127));
    let out = b.run(&["exec", "--pid-file", "/nonexistent-dir/p", "ex", "true"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("/nonexistent-dir"),
        "{}",
        text(&out.stderr)
    );
    assert!(b.run(&["delete", "--force", "ex"]).status.success());
    until("the exec'd process ended with its PID namespace", || {
        !alive(epid)
    });
    kill_pid(epid);
}

#[test]
#[ignore = "needs root"]
fn run_passes_signals_on_to_the_process() {
    let script = "trap 'exit 9' TERM; touch /ready; while :; do sleep 0.05; done";
    let Some(b) = Bundle::new("runsig", &["sh", "-c", script]) else {
        return;
    };
    let mut run = b
        .cmd(&["run", "rs"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    until("the process runs", || b.rootfs().join("ready").exists());
    let _ = Command::new("kill")
        .args(["-TERM", &run.id().to_string()])
        .status();
    let status = run.wait().unwrap();
    assert_eq!(status.code(), Some(9), "the trap's status");
    assert!(b.files().is_empty(), "{:?}", b.files());
}

#[test]
#[ignore = "needs root"]
fn nsruns_own_kill_list_and_ps_serve_oci_containers() {
    let Some(b) = Bundle::new("ownkill", &["sh", "-c", "sleep 100 & exec sleep 100"]) else {
        return;
    };
    assert!(b.run(&["create", "ok1"]).status.success());
    assert!(b.run(&["start", "ok1"]).status.success());
    let pid: i32 = field(&b.state("ok1"), "pid").parse().unwrap();
    let ps = b.run(&["ps", "--format", "json", "ok1"]);
    assert!(ps.status.success(), "{}", text(&ps.stderr));
    let mut pids = Vec::new();
    until("both sleeps exist", || {
        let ps = b.run(&["ps", "--format", "json", "ok1"]);
        pids = text(&ps.stdout)
            .trim()
            .trim_matches(['[', ']'])
            .split(',')
            .filter_map(|p| p.parse::<i32>().ok())
            .collect();
        pids.len() == 2
    });
    assert!(pids.contains(&pid), "{pids:?}");
    let list = b.run(&["list"]);
    assert!(text(&list.stdout).contains("ok1"), "{}", text(&list.stdout));
    let json = b.run(&["list", "--format", "json"]);
    assert!(text(&json.stdout).contains("\"id\": \"ok1\""));
    // nsrun's own kill (no global option), as podman calls it: `kill --all ID 9`.
    let out = Command::new(nsrun_bin())
        .args([
            "kill",
            "--state-dir",
            b.root.to_str().unwrap(),
            "--all",
            "ok1",
            "9",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    until("every process ended", || pids.iter().all(|p| !alive(*p)));
    assert!(b.run(&["delete", "ok1"]).status.success());
    assert!(b.files().is_empty());
}

#[test]
fn spec_features_and_version() {
    let dir = TempDir::new("ocispec");
    let out = Command::new(nsrun_bin())
        .args(["spec", "--bundle", dir.str()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let check = |path: &Path| {
        let ok = Command::new("python3")
            .args(["-m", "json.tool"])
            .arg(path)
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(ok, "{} is JSON", path.display());
    };
    check(&dir.path().join("config.json"));
    let again = Command::new(nsrun_bin())
        .args(["spec", "--bundle", dir.str()])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1), "refuses to replace it");
    let features = Command::new(nsrun_bin()).arg("features").output().unwrap();
    assert!(features.status.success());
    let f = dir.path().join("features.json");
    std::fs::write(&f, &features.stdout).unwrap();
    check(&f);
    assert!(text(&features.stdout).contains("\"ociVersionMax\""));
    let version = Command::new(nsrun_bin()).arg("--version").output().unwrap();
    let v = text(&version.stdout);
    assert!(v.starts_with("nsrun version "), "{v}");
    assert!(v.contains("\nspec: 1.0.2"), "{v}");
    // An unknown command after globals, and an unknown flag: exit 1, the line in the log.
    let log = dir.path().join("log");
    let out = Command::new(nsrun_bin())
        .args(["--log", log.to_str().unwrap(), "--log-format", "json"])
        .args(["create", "--nope", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("--nope"), "{logged}");
    // `nsrun -- start` runs a program named start, not the runtime's command.
    let out = Command::new(nsrun_bin())
        .args(["--", "start"])
        .output()
        .unwrap();
    assert!(
        text(&out.stderr).contains("execute start"),
        "{}",
        text(&out.stderr)
    );
}

/// The engine's side of `--console-socket`: a listener at `path` whose thread accepts one
/// connection, receives the master (SCM_RIGHTS) and the pty name sent with it, and reads the
/// terminal until the slave's last holder closes it (EIO); the name and what was read, the
/// terminal's `\r\n` made `\n`.
fn console_receiver(path: &Path) -> std::thread::JoinHandle<(String, String)> {
    use rustix::net::{AddressFamily, SocketAddrUnix, SocketFlags, SocketType};
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    // rustix's own descriptors throughout (its std interop is not built): no unsafe.
    let listener = rustix::net::socket_with(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .unwrap();
    let addr = SocketAddrUnix::new(path.to_str().unwrap()).unwrap();
    rustix::net::bind(&listener, &addr).unwrap();
    rustix::net::listen(&listener, 1).unwrap();
    std::thread::spawn(move || {
        let conn = rustix::net::accept_with(&listener, SocketFlags::CLOEXEC).unwrap();
        let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let mut name = [0u8; 64];
        let mut iov = [rustix::io::IoSliceMut::new(&mut name)];
        let msg = rustix::net::recvmsg(&conn, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC)
            .expect("recvmsg on the console socket");
        let n = msg.bytes;
        let mut master = None;
        for m in control.drain() {
            if let RecvAncillaryMessage::ScmRights(mut fds) = m {
                master = master.or(fds.next());
            }
        }
        let master = master.expect("the master came with the name");
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match rustix::io::read(&master, &mut buf) {
                Ok(0) | Err(rustix::io::Errno::IO) => break,
                Ok(k) => seen.extend_from_slice(&buf[..k]),
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => panic!("read the master: {e}"),
            }
        }
        (
            String::from_utf8_lossy(&name[..n]).into_owned(),
            text(&seen).replace('\r', ""),
        )
    })
}

#[test]
#[ignore = "needs root"]
fn exec_tty_sends_a_terminal_of_the_containers_devpts_to_the_console_socket() {
    let Some(b) = Bundle::new("exectty", &["sleep", "100"]) else {
        return;
    };
    for applet in ["tty", "stty", "test"] {
        std::os::unix::fs::symlink("busybox", b.rootfs().join("bin").join(applet)).unwrap();
    }
    assert!(b.run(&["create", "et"]).status.success());
    assert!(b.run(&["start", "et"]).status.success());
    let pid: i32 = field(&b.state("et"), "pid").parse().unwrap();
    let script = "tty; test -t 0 && test -t 1 && test -t 2 && echo all-ttys; exit 3";
    // runc's `exec -t --console-socket`, waited for: the process's status.
    let sock = b.dir.path().join("console.sock");
    let got = console_receiver(&sock);
    let out = b.run(&[
        "exec",
        "--tty",
        "--console-socket",
        sock.to_str().unwrap(),
        "et",
        "sh",
        "-c",
        script,
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "", "the output went to the terminal");
    let (name, seen) = got.join().unwrap();
    // The container's devpts is its own instance: its first terminal is 0.
    assert_eq!(name, "/dev/pts/0", "{seen}");
    let lines: Vec<&str> = seen.lines().collect();
    assert_eq!(lines.first(), Some(&"/dev/pts/0"), "{seen}");
    assert!(
        lines.contains(&"all-ttys"),
        "0, 1, 2 are the terminal: {seen}"
    );

    // conmon's and containerd's way: process.terminal in --process, --detach, consoleSize.
    let sock2 = b.dir.path().join("console2.sock");
    let got = console_receiver(&sock2);
    let proc_json = b.dir.path().join("process.json");
    std::fs::write(
        &proc_json,
        r#"{"terminal": true, "consoleSize": {"height": 30, "width": 100}, "user": {"uid": 1000, "gid": 1000},
            "args": ["sh", "-c", "tty; test -t 0 && echo stdin-tty; stty size; id -u"], "env": ["PATH=/bin"], "cwd": "/"}"#,
    )
    .unwrap();
    let pid_file = b.dir.path().join("exec.pid");
    let out = b.run(&[
        "exec",
        "--process",
        proc_json.to_str().unwrap(),
        "--detach",
        "--pid-file",
        pid_file.to_str().unwrap(),
        "--console-socket",
        sock2.to_str().unwrap(),
        "et",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let epid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let (name, seen) = got.join().unwrap();
    assert!(name.starts_with("/dev/pts/"), "{name}");
    assert_eq!(
        seen.lines().collect::<Vec<_>>(),
        [name.as_str(), "stdin-tty", "30 100", "1000"],
        "{seen}"
    );
    kill_pid(epid);

    // The errors, each one line and exit 1, nothing started.
    let expect = |args: &[&str], part: &str| {
        let out = b.run(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let err = text(&out.stderr);
        assert!(err.contains(part), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    };
    expect(&["exec", "--tty", "et", "true"], "needs --console-socket");
    expect(
        &["exec", "--process", proc_json.to_str().unwrap(), "et"],
        "needs --console-socket",
    );
    let unused = b.dir.path().join("unused.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&unused).unwrap();
    expect(
        &[
            "exec",
            "--console-socket",
            unused.to_str().unwrap(),
            "et",
            "true",
        ],
        "no terminal was asked",
    );
    let missing = b.dir.path().join("missing.sock");
    expect(
        &[
            "exec",
            "-t",
            "--console-socket",
            missing.to_str().unwrap(),
            "et",
            "true",
        ],
        "connect to the console socket",
    );
    assert!(alive(pid), "the container is untouched");
    assert!(b.run(&["delete", "--force", "et"]).status.success());
    until("the exec'd process ended", || !alive(epid));
}
