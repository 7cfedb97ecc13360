//! Helpers shared by the integration tests: find the nsrun binary, run it (or any command) with a
//! deadline and capture its output, drive a long-running container line by line, work in a scratch
//! mount namespace, and look at processes from the host.
//!
//! Every process a helper starts is the leader of a new process group. On a timeout, or when a
//! [`Running`] is dropped before it was waited for, that group (and nothing else) is killed, so a
//! hung test leaves no container behind.
#![allow(dead_code)] // each test file uses a different subset

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// How long any single command may run before the test gives up and kills it. Every command in
/// these tests normally ends within a fraction of a second; this only bounds a hang.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The nsrun binary under test: `$NSRUN_BIN`, else `target/static/nsrun` of this package.
///
/// The package's own `target/static/nsrun` (by default or named in `$NSRUN_BIN`) must be newer
/// than every source it is built from (see [`assert_not_stale`]), unless `NSRUN_ALLOW_STALE=1`.
pub fn nsrun_bin() -> PathBuf {
    let default = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/static/nsrun");
    let path = match std::env::var_os("NSRUN_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => default.clone(),
    };
    assert!(
        path.is_file(),
        "nsrun binary {} not found: run scripts/build-static.sh first (or set NSRUN_BIN)",
        path.display()
    );
    let is_default = match (path.canonicalize(), default.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if is_default && std::env::var_os("NSRUN_ALLOW_STALE").is_none_or(|v| v != "1") {
        assert_not_stale(&path);
    }
    path
}

/// Fails the test when `bin` is older than a source of the build: a file under src/, or
/// Cargo.toml, Cargo.lock, build.rs. (Checked once per test binary.)
pub fn assert_not_stale(bin: &Path) {
    static CHECKED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let verdict = CHECKED.get_or_init(|| {
        let built = mtime(bin).ok_or_else(|| format!("cannot stat {}", bin.display()))?;
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut sources: Vec<PathBuf> = ["Cargo.toml", "Cargo.lock", "build.rs"]
            .iter()
            .map(|f| root.join(f))
            .collect();
        files_under(&root.join("src"), &mut sources);
        match sources
            .iter()
            .filter_map(|f| Some((mtime(f)?, f)))
            .max_by_key(|(t, _)| *t)
        {
            Some((newest, file)) if newest > built => Err(format!(
                "{} is older than {}: rebuild with scripts/build-static.sh \
                 (or set NSRUN_ALLOW_STALE=1 to test it anyway)",
                bin.display(),
                file.display()
            )),
            _ => Ok(()),
        }
    });
    if let Err(why) = verdict {
        panic!("{why}");
    }
}

fn mtime(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Appends every file under `dir` (recursively) to `out`.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => files_under(&path, out),
            Ok(_) => out.push(path),
            Err(_) => {}
        }
    }
}

/// A `Command` for nsrun with `args`.
pub fn nsrun_cmd<S: AsRef<OsStr>>(args: &[S]) -> Command {
    let mut cmd = Command::new(nsrun_bin());
    cmd.args(args);
    cmd
}

/// Runs nsrun with `args` (stdin empty) and returns what it did.
pub fn nsrun<S: AsRef<OsStr>>(args: &[S]) -> Output {
    run(&mut nsrun_cmd(args))
}

/// Whether the tests run as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Fails the test unless it runs as root (tests marked `#[ignore = "needs root"]` call this, so
/// `--include-ignored` without root fails clearly instead of on some confusing EPERM).
pub fn require_root() {
    assert!(
        is_root(),
        "this test needs root: run scripts/test.sh as root (a non-root `cargo test` skips it)"
    );
}

/// The full path of the program `name` found by `command -v`; fails the test when it is missing.
pub fn require_tool(name: &str) -> PathBuf {
    let out = run(Command::new("sh").args(["-c", "command -v \"$1\"", "sh", name]));
    let path = out.stdout.trim();
    assert!(
        out.status.success() && path.starts_with('/'),
        "this test needs the program '{name}', which is not installed (see scripts/setup.sh)"
    );
    PathBuf::from(path)
}

/// What a finished command did.
pub struct Output {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its standard output (lossily decoded).
    pub stdout: String,
    /// Its standard error (lossily decoded).
    pub stderr: String,
    /// What ran, for messages.
    pub what: String,
}

impl Output {
    /// The exit code (None when killed by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Asserts that the command exited with `code`, showing everything when it did not.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(self.code(), Some(code), "unexpected exit status\n{self}");
        self
    }

    /// Asserts exit status 0 and an empty stderr.
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        self.assert_code(0);
        assert_eq!(self.stderr, "", "unexpected stderr\n{self}");
        self
    }

    /// The lines of stdout.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }

    /// Asserts that stderr is exactly one line, starting with `nsrun: ` and containing each of
    /// `parts`; returns that line.
    #[track_caller]
    pub fn assert_one_error_line(&self, parts: &[&str]) -> &str {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert!(
            lines.len() == 1 && self.stderr.ends_with('\n'),
            "expected exactly one line on stderr\n{self}"
        );
        let line = lines[0];
        assert!(
            line.starts_with("nsrun: "),
            "error line lacks 'nsrun: '\n{self}"
        );
        for part in parts {
            assert!(line.contains(part), "error line lacks {part:?}\n{self}");
        }
        line
    }

    /// Stdout cut into sections: a line `@@ NAME` starts section NAME (see [`sections`]).
    pub fn sections(&self) -> BTreeMap<String, String> {
        sections(&self.stdout)
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        writeln!(f, "command: {}", self.what)?;
        writeln!(f, "status: {}", self.status)?;
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

/// Cuts `text` into sections: each line `@@ NAME` starts a section called NAME, which holds the
/// lines up to the next such line. Scripts print their observations this way.
pub fn sections(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("@@ ") {
            current = Some(name.trim().to_string());
            map.entry(name.trim().to_string())
                .or_insert_with(String::new);
        } else if let Some(name) = &current {
            let body = map.get_mut(name).expect("section was inserted");
            body.push_str(line);
            body.push('\n');
        }
    }
    map
}

/// Runs `cmd` with an empty stdin and the default [`TIMEOUT`].
pub fn run(cmd: &mut Command) -> Output {
    run_timeout(cmd, None, TIMEOUT)
}

/// Runs `cmd` with `input` on its stdin and the default [`TIMEOUT`].
pub fn run_with_input(cmd: &mut Command, input: &[u8]) -> Output {
    run_timeout(cmd, Some(input), TIMEOUT)
}

/// Starts `cmd` with `stdin`, stdout and stderr piped, in a process group of its own (so a
/// timeout can end it and everything it started); returns it and its description.
fn start_in_own_group(cmd: &mut Command, stdin: Stdio) -> (Child, String) {
    let what = describe(cmd);
    cmd.stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    (child, what)
}

/// Runs `cmd` (stdin: `input`, or empty), capturing stdout and stderr. If it has not ended after
/// `timeout`, kills its process group and fails the test, showing what it printed so far.
pub fn run_timeout(cmd: &mut Command, input: Option<&[u8]>, timeout: Duration) -> Output {
    let stdin = if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    };
    let (mut child, what) = start_in_own_group(cmd, stdin);
    if let Some(input) = input {
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let input = input.to_vec();
        // A writer thread, so a command that does not read its input cannot block the test.
        thread::spawn(move || {
            let _ = stdin.write_all(&input);
        });
    }
    let stdout = collect(child.stdout.take().expect("stdout is piped"));
    let stderr = collect(child.stderr.take().expect("stderr is piped"));
    let deadline = Instant::now() + timeout;
    let status = wait_until(&mut child, deadline);
    let timed_out = status.is_none();
    let status = status.unwrap_or_else(|| kill_group_and_wait(&mut child));
    // Grandchildren may still hold the pipes; wait for them only briefly after a timeout.
    let grace = if timed_out {
        Instant::now() + Duration::from_secs(1)
    } else {
        deadline.max(Instant::now() + Duration::from_secs(1))
    };
    let out = Output {
        status,
        stdout: finish(stdout, grace),
        stderr: finish(stderr, grace),
        what,
    };
    assert!(!timed_out, "timed out after {timeout:?}; killed it\n{out}");
    out
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&format!("{:?}", a.to_string_lossy()));
    }
    s
}

/// Reads `r` to its end on a thread; the result arrives on the returned channel.
fn collect<R: Read + Send + 'static>(mut r: R) -> Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    rx
}

fn finish(rx: Receiver<Vec<u8>>, deadline: Instant) -> String {
    let left = deadline.saturating_duration_since(Instant::now());
    match rx.recv_timeout(left) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => "<still open: a process that inherited this pipe is still running>".into(),
    }
}

/// Polls `child` until it ends or `deadline` passes (None).
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        if let Some(st) = child.try_wait().expect("waitpid on our own child") {
            return Some(st);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Kills the process group that `child` leads (every process of it was started by this test) and
/// reaps `child`.
pub fn kill_group_and_wait(child: &mut Child) -> ExitStatus {
    send_signal(-(child.id() as i32), libc::SIGKILL);
    child.wait().expect("waitpid on our own child")
}

/// Sends `sig` to `pid` (negative: that process group). Only for processes this test started.
pub fn send_signal(pid: i32, sig: i32) {
    // SAFETY: kill has no memory-safety preconditions.
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(
        rc,
        0,
        "kill({pid}, {sig}): {}",
        std::io::Error::last_os_error()
    );
}

/// A command still running, whose stdout the test reads line by line (to wait for a readiness
/// line) and which it may signal. Dropping it before [`Running::wait`] kills its process group.
pub struct Running {
    child: Option<Child>,
    lines: Receiver<String>,
    stderr: Receiver<Vec<u8>>,
    seen: Vec<String>,
    what: String,
}

impl Running {
    /// Starts `cmd` (stdin empty) in its own process group.
    pub fn spawn(cmd: &mut Command) -> Running {
        let (mut child, what) = start_in_own_group(cmd, Stdio::null());
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = collect(child.stderr.take().expect("stderr is piped"));
        Running {
            child: Some(child),
            lines,
            stderr,
            seen: Vec::new(),
            what,
        }
    }

    /// The pid of the process started (the nsrun launcher, for an nsrun command).
    pub fn pid(&self) -> i32 {
        self.child.as_ref().expect("not waited yet").id() as i32
    }

    /// Reads stdout until a line equal to `want`; fails the test on end of file or after
    /// [`TIMEOUT`].
    #[track_caller]
    pub fn expect_line(&mut self, want: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let done = line == want;
                    self.seen.push(line);
                    if done {
                        return;
                    }
                }
                Err(e) => {
                    let why = match e {
                        RecvTimeoutError::Timeout => "timed out",
                        RecvTimeoutError::Disconnected => "stdout closed",
                    };
                    let out = self.kill();
                    panic!("{why} waiting for the line {want:?}\n{out}");
                }
            }
        }
    }

    /// Sends `sig` to the process started (only it, not its group).
    pub fn signal(&self, sig: i32) {
        send_signal(self.pid(), sig);
    }

    /// Waits up to [`TIMEOUT`] for the process to end and collects the rest of its output; on a
    /// timeout kills its group and fails the test.
    pub fn wait(mut self) -> Output {
        let mut child = self.child.take().expect("waited once");
        let deadline = Instant::now() + TIMEOUT;
        let status = wait_until(&mut child, deadline);
        let timed_out = status.is_none();
        let status = status.unwrap_or_else(|| kill_group_and_wait(&mut child));
        let out = self.output(status, Instant::now() + Duration::from_secs(1));
        assert!(!timed_out, "timed out; killed it\n{out}");
        out
    }

    /// Kills the process group, reaps the process and returns what it printed.
    fn kill(&mut self) -> Output {
        let mut child = self.child.take().expect("not waited yet");
        let status = kill_group_and_wait(&mut child);
        self.output(status, Instant::now() + Duration::from_secs(1))
    }

    fn output(&mut self, status: ExitStatus, deadline: Instant) -> Output {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => break,
            }
        }
        let mut stdout = self.seen.join("\n");
        if !stdout.is_empty() {
            stdout.push('\n');
        }
        let stderr = std::mem::replace(&mut self.stderr, mpsc::channel().1);
        Output {
            status,
            stdout,
            stderr: finish(stderr, deadline),
            what: self.what.clone(),
        }
    }

    /// Reaps the process after it was killed from outside (e.g. by SIGKILL): waits up to
    /// [`TIMEOUT`] for it and returns its wait status, without collecting output.
    pub fn reap(mut self) -> ExitStatus {
        let mut child = self.child.take().expect("waited once");
        let status = wait_until(&mut child, Instant::now() + TIMEOUT);
        match status {
            Some(st) => st,
            None => {
                kill_group_and_wait(&mut child);
                panic!("{} did not end", self.what);
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            kill_group_and_wait(child);
        }
    }
}

/// Runs `script` with `sh -c` as root of a scratch mount namespace (`unshare --mount`), with
/// `args` as `$1`... and `$NSRUN` set to the binary under test. Nothing the script mounts reaches
/// the machine's real mount table: unshare first makes every mount of the scratch namespace private
/// (`--propagation private`), which cuts it off from the host's peer groups even where the host's /
/// is shared; a script that needs a shared / runs `mount --make-rshared /` itself, which then
/// makes new peer groups inside the scratch namespace only. The namespace, and whatever was
/// mounted in it, goes away when the script ends.
pub fn in_scratch_mount_ns(script: &str, args: &[&str]) -> Output {
    require_tool("unshare");
    let mut cmd = Command::new("unshare");
    cmd.args([
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        script,
        "sh",
    ])
    .args(args)
    .env("NSRUN", nsrun_bin());
    run(&mut cmd)
}

/// The test process's own mount table, to check that a run left the host's mounts alone.
pub fn host_mountinfo() -> String {
    std::fs::read_to_string("/proc/self/mountinfo").expect("read /proc/self/mountinfo")
}

/// A directory under the system temp directory, removed (with its contents) when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Makes a new, empty directory with mode 0755.
    pub fn new(tag: &str) -> TempDir {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "nsrun-test-{tag}-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir(&path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("chmod temp dir");
        TempDir(path)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Its path as a string (temp paths are ASCII).
    pub fn str(&self) -> &str {
        self.0.to_str().expect("temp paths are UTF-8")
    }

    /// Copies `src` into the directory as `name` (permissions kept); returns the new path.
    pub fn copy_in(&self, src: &Path, name: &str) -> PathBuf {
        let dst = self.0.join(name);
        std::fs::copy(src, &dst)
            .unwrap_or_else(|e| panic!("copy {} to {}: {e}", src.display(), dst.display()));
        dst
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One process as the host's /proc shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Proc {
    /// Its pid (in the test's PID namespace).
    pub pid: i32,
    /// Its parent's pid.
    pub ppid: i32,
    /// Its state letter (R, S, Z, ...).
    pub state: char,
    /// When it started, in clock ticks since boot: with the pid, identifies it across pid reuse.
    pub start: u64,
}

/// Parses one `/proc/PID/stat` line.
pub fn parse_stat(line: &str) -> Option<Proc> {
    let (head, tail) = line.rsplit_once(')')?;
    let pid = head.split_whitespace().next()?.parse().ok()?;
    let fields: Vec<&str> = tail.split_whitespace().collect();
    Some(Proc {
        pid,
        state: fields.first()?.chars().next()?,
        ppid: fields.get(1)?.parse().ok()?,
        // Field 22 of stat; the fields after the command name start at field 3.
        start: fields.get(22 - 3)?.parse().ok()?,
    })
}

/// Every process the host's /proc lists now.
pub fn processes() -> Vec<Proc> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<i32>().ok()) else {
            continue;
        };
        // A process may end between the listing and the read.
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            all.extend(parse_stat(&stat));
        }
    }
    all
}

/// The processes descending from `ancestor` (not including it).
pub fn descendants(ancestor: i32) -> Vec<Proc> {
    let all = processes();
    let mut found: BTreeSet<i32> = BTreeSet::from([ancestor]);
    let mut result = Vec::new();
    loop {
        let before = result.len();
        for p in &all {
            if found.contains(&p.ppid) && found.insert(p.pid) {
                result.push(*p);
            }
        }
        if result.len() == before {
            return result;
        }
    }
}

/// The command line of `pid` with arguments joined by spaces ("" once it is gone).
pub fn cmdline(pid: i32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            String::from_utf8_lossy(&b)
                .replace('\0', " ")
                .trim_end()
                .to_string()
        })
        .unwrap_or_default()
}

/// Whether `p` (same pid and start time) still exists and has not ended (a zombie has ended).
pub fn alive(p: &Proc) -> bool {
    std::fs::read_to_string(format!("/proc/{}/stat", p.pid))
        .ok()
        .and_then(|s| parse_stat(&s))
        .is_some_and(|now| now.start == p.start && now.state != 'Z' && now.state != 'X')
}

/// Polls `cond` every few milliseconds until it holds or `timeout` passes; returns whether it held.
pub fn poll(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// The wait status as `code N` or `signal N`, for messages.
pub fn show_status(st: &ExitStatus) -> String {
    match (st.code(), st.signal()) {
        (Some(c), _) => format!("code {c}"),
        (_, Some(s)) => format!("signal {s}"),
        _ => format!("{st}"),
    }
}

/// Why an unprivileged user cannot create a user namespace on this machine, or None when one
/// can: the sysctls that forbid it (max_user_namespaces 0, Debian's and Ubuntu's
/// unprivileged_userns_clone 0), else a probe with util-linux's `unshare --user` as uid 65534
/// (AppArmor's restriction on Ubuntu, seccomp, a container runtime's policy...). Probes once.
pub fn unprivileged_userns_unavailable() -> Option<String> {
    static WHY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    WHY.get_or_init(|| {
        let sysctl = |name: &str| {
            std::fs::read_to_string(format!("/proc/sys/{name}"))
                .ok()
                .map(|v| v.trim().to_string())
        };
        if sysctl("user/max_user_namespaces").as_deref() == Some("0") {
            return Some("user.max_user_namespaces is 0".into());
        }
        if sysctl("kernel/unprivileged_userns_clone").as_deref() == Some("0") {
            return Some("kernel.unprivileged_userns_clone is 0".into());
        }
        let mut probe = if is_root() {
            let mut cmd = Command::new(require_tool("setpriv"));
            cmd.args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
                .arg(require_tool("unshare"));
            cmd
        } else {
            Command::new(require_tool("unshare"))
        };
        probe.args(["--user", "--map-root-user", "true"]);
        let out = run(&mut probe);
        match out.status.success() {
            true => None,
            false => Some(format!(
                "an unprivileged `unshare --user --map-root-user true` fails: {}",
                out.stderr.trim()
            )),
        }
    })
    .clone()
}

/// Prints why and returns true when the test must be skipped because unprivileged user
/// namespaces are unavailable here (see [`unprivileged_userns_unavailable`]). Use as
/// `if skip_without_unprivileged_userns() { return; }`.
pub fn skip_without_unprivileged_userns() -> bool {
    match unprivileged_userns_unavailable() {
        Some(why) => {
            eprintln!("skipped: this test needs unprivileged user namespaces: {why}");
            true
        }
        None => false,
    }
}

/// Every path below `dir`, relative and sorted, for "nothing was created there".
pub fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
            if e.file_type().unwrap().is_dir() {
                todo.push(p);
            }
        }
    }
    out.sort();
    out
}

/// renameat2(RENAME_EXCHANGE) of two paths (errors ignored: a racer just tries again).
pub fn exchange(a: &std::ffi::CStr, b: &std::ffi::CStr) {
    // SAFETY: both are valid C strings; the syscall only reads them.
    unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        );
    }
}

/// Runs `body` while a thread swaps `a` and `b` (RENAME_EXCHANGE) as fast as it can.
pub fn while_swapping<T>(a: &Path, b: &Path, body: impl FnOnce() -> T) -> T {
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;
    let stop = Arc::new(AtomicBool::new(false));
    let path = |p: &Path| std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    let (ca, cb) = (path(a), path(b));
    let flag = stop.clone();
    let racer = thread::spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            exchange(&ca, &cb);
        }
    });
    let result = body();
    stop.store(true, Ordering::Relaxed);
    racer.join().unwrap();
    result
}

/// An interactive bash with job control on a pseudo-terminal (script(1)), driven line by line.
pub struct Terminal {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    output: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Terminal {
    /// Starts bash on a pseudo-terminal (script(1)), its prompt `$ `.
    pub fn start() -> Terminal {
        use std::io::Read;
        use std::os::unix::process::CommandExt;
        use std::process::Stdio;
        let script = require_tool("script");
        let mut child = Command::new(script)
            .args(["-qfec", "bash --norc --noprofile -i", "/dev/null"])
            .env("PS1", "$ ")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start script");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let output = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = output.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Terminal {
            child,
            stdin,
            output,
        }
    }

    /// Types `keys` on the terminal.
    pub fn type_in(&mut self, keys: &str) {
        use std::io::Write;
        self.stdin.write_all(keys.as_bytes()).unwrap();
        self.stdin.flush().unwrap();
    }

    /// Waits (up to 10 s) until the output holds `text` `times` times.
    pub fn wait_for(&self, text: &str, times: usize) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while self.output.lock().unwrap().matches(text).count() < times {
            assert!(
                std::time::Instant::now() < deadline,
                "the terminal never showed {text:?} ({times}x):\n{}",
                self.output.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Terminal {
    /// Starts `nsrun OPTS -- sh -c '...; sleep 30'SUFFIX` at the prompt and stops it with ^Z
    /// (OPTS may start with a command word: `enter PID`).
    pub fn stopped_job(opts: &str, suffix: &str) -> Terminal {
        let mut t = Terminal::start();
        t.type_in(&format!(
            "{} {opts} -- sh -c 'echo st''arted; sleep 30'{suffix}\n",
            nsrun_bin().display()
        ));
        t.wait_for("started", 1);
        t.type_in("\x1a");
        t.wait_for("Stopped", 1);
        t
    }

    /// Waits (up to 10 s) until the shell has handed the terminal to its job and no process of
    /// the job is stopped any more: a ^C typed then reaches the job.
    pub fn wait_until_job_in_foreground(&self) {
        // (state, pgrp, tpgid) of /proc/PID/stat.
        let stat = |pid: i32| -> Option<(char, i32, i32)> {
            let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let f: Vec<&str> = text.rsplit_once(')')?.1.split_whitespace().collect();
            Some((
                f.first()?.chars().next()?,
                f.get(2)?.parse().ok()?,
                f.get(5)?.parse().ok()?,
            ))
        };
        let script = self.child.id() as i32;
        let in_foreground = || {
            let Some(shell) = descendants(script)
                .into_iter()
                .find(|p| cmdline(p.pid).starts_with("bash"))
            else {
                return false;
            };
            let job = descendants(shell.pid);
            match stat(shell.pid) {
                Some((_, pgrp, tpgid)) => {
                    tpgid != pgrp
                        && !job.is_empty()
                        && job.iter().all(|p| stat(p.pid).is_some_and(|s| s.0 != 'T'))
                }
                None => false,
            }
        };
        assert!(
            poll(Duration::from_secs(10), in_foreground),
            "the job never ran in the foreground:\n{}",
            self.output.lock().unwrap()
        );
    }

    /// Brings the job to the foreground, interrupts it with ^C and checks that it ended by it.
    pub fn fg_and_interrupt(&mut self) {
        self.type_in("fg\n");
        self.wait_until_job_in_foreground();
        self.type_in("\x03");
        self.type_in("echo fg-status=$?\n");
        self.wait_for("fg-status=130", 1);
        self.type_in("exit\n");
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        // Ends what this test started: script's process group (the shell goes with the pty).
        kill_group_and_wait(&mut self.child);
    }
}
