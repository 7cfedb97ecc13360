//! nsrun as an OCI runtime under the real engines (issue 9, section 5): podman and containerd (`ctr`)
//! run their containers with the runtime under test, and the OCI runtime-tools validation suite
//! passes every test that runc passes on this machine (tests/oci/validation-runc.txt).
//!
//! The runtime under test is `$OCI_RUNTIME` (any runc-compatible binary: `OCI_RUNTIME=/usr/sbin/runc`
//! proves these tests right), by default the nsrun static binary (`common::nsrun_bin`).
//!
//! What they need is made by `scripts/oci-setup.sh` (root): podman with a scratch configuration and
//! storage under target/oci/podman, a containerd of its own (socket /run/nsrun-ci/containerd), the
//! image localhost/nsrun-busybox in both, the validation suite in target/oci/runtime-tools. Without
//! it each test prints why it skips and passes; with `OCI_REQUIRE=1` it fails instead. A runtime
//! that has no OCI front end yet (its `state` of a missing container does not say "does not
//! exist") is skipped the same way, so a default `cargo test` stays green until nsrun implements
//! the commands; `OCI_REQUIRE=1` makes that a failure too.
//!
//! Every container has a name of its own (the test's and this process's pid), so the tests run in
//! parallel; each removes what it made, also when it fails (a guard's Drop). The machine's podman
//! and containerd configuration is never read nor written.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{require_root, run_timeout, Output};

/// A podman or ctr command may take this long (the first podman run after boot is the slowest).
const ENGINE_TIMEOUT: Duration = Duration::from_secs(90);
/// The whole validation suite (about 1.5 minutes with runc here).
const SUITE_TIMEOUT: Duration = Duration::from_secs(20 * 60);

const IMAGE: &str = "localhost/nsrun-busybox:latest";
const CTR_NAMESPACE: &str = "nsrun-ci";
const CTR_SOCKET: &str = "/run/nsrun-ci/containerd/containerd.sock";
/// The runtime's `--root` under the shim (its default, /run/containerd/runc/NAMESPACE, would be the
/// machine's), and ctr's fifo directory.
const CTR_RUNC_ROOT: &str = "/run/nsrun-ci/containerd/runc";
const CTR_FIFO_DIR: &str = "/run/nsrun-ci/containerd/fifo";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn oci_dir() -> PathBuf {
    repo().join("target/oci")
}

/// Whether a missing setup fails the test (`OCI_REQUIRE=1`) instead of skipping it.
fn required() -> bool {
    std::env::var_os("OCI_REQUIRE").is_some_and(|v| v == "1")
}

/// Skips the test (returns None after printing why), or fails it under `OCI_REQUIRE=1`.
fn skip<T>(why: &str) -> Option<T> {
    assert!(!required(), "OCI_REQUIRE=1 and {why}");
    eprintln!("SKIP: {why}");
    None
}

/// The runtime under test: `$OCI_RUNTIME`, else the nsrun static binary.
fn runtime() -> PathBuf {
    match std::env::var_os("OCI_RUNTIME") {
        Some(p) if !p.is_empty() => {
            let p = PathBuf::from(p);
            assert!(
                p.is_absolute() && p.is_file(),
                "OCI_RUNTIME={} is not an absolute path to a file",
                p.display()
            );
            p
        }
        _ => common::nsrun_bin(),
    }
}

/// Runs `cmd` with the engine timeout.
fn run(cmd: &mut Command) -> Output {
    run_timeout(cmd, None, ENGINE_TIMEOUT)
}

/// The runtime under test, once it is known to answer as an OCI runtime: `RUNTIME state ID` of a
/// missing container must fail saying "does not exist" (runc: "container does not exist";
/// containerd matches that text).
fn oci_runtime() -> Option<PathBuf> {
    let rt = runtime();
    let root = common::TempDir::new("oci-probe");
    let out = run(Command::new(&rt).args(["--root", root.str(), "state", "nsrun-oci-probe"]));
    if out.code() != Some(1) || !format!("{}{}", out.stdout, out.stderr).contains("does not exist")
    {
        return skip(&format!(
            "{} does not act as an OCI runtime yet (`state` of a missing container: exit {:?}, \
             no \"does not exist\"):\n{out}",
            rt.display(),
            out.code()
        ));
    }
    Some(rt)
}

/// The validation suite runs alone: its timing-sensitive tests (killsig sends a signal right
/// after `start`, racing the container's shell setting its trap) fail under the load of podman
/// and ctr runs beside them. The engine tests take it shared, the suite exclusively.
static TURN: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn shared_turn() -> std::sync::RwLockReadGuard<'static, ()> {
    TURN.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn exclusive_turn() -> std::sync::RwLockWriteGuard<'static, ()> {
    TURN.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A name no other test (nor another run of this test binary) uses.
fn unique(tag: &str) -> String {
    format!("nsrun-test-{tag}-{}", std::process::id())
}

// ---------------------------------------------------------------------------------------------
// podman

/// podman with the scratch configuration of scripts/oci-setup.sh and `--runtime` the runtime
/// under test.
struct Podman {
    runtime: PathBuf,
    conf: PathBuf,
    storage: PathBuf,
    _turn: std::sync::RwLockReadGuard<'static, ()>,
}

impl Podman {
    /// None (skipped) when scripts/oci-setup.sh has not set podman up or the runtime is no OCI
    /// runtime yet.
    fn new() -> Option<Podman> {
        require_root();
        let dir = oci_dir().join("podman");
        let conf = dir.join("containers.conf");
        let storage = dir.join("storage.conf");
        if Command::new("podman").arg("--version").output().is_err() {
            return skip("podman is not installed (run scripts/oci-setup.sh)");
        }
        if !conf.is_file() || !storage.is_file() {
            return skip(&format!(
                "no scratch podman configuration {} (run scripts/oci-setup.sh)",
                conf.display()
            ));
        }
        let runtime = oci_runtime()?;
        let p = Podman {
            runtime,
            conf,
            storage,
            _turn: shared_turn(),
        };
        let out = run(p.cmd().args(["image", "exists", IMAGE]));
        if out.code() != Some(0) {
            return skip(&format!(
                "podman has no image {IMAGE} (run scripts/oci-setup.sh)\n{out}"
            ));
        }
        Some(p)
    }

    /// `podman --runtime RUNTIME` with the scratch configuration.
    fn cmd(&self) -> Command {
        let mut cmd = Command::new("podman");
        cmd.env("CONTAINERS_CONF", &self.conf)
            .env("CONTAINERS_STORAGE_CONF", &self.storage)
            .arg("--runtime")
            .arg(&self.runtime);
        cmd
    }

    /// `podman ARGS...`.
    fn run(&self, args: &[&str]) -> Output {
        run(self.cmd().args(args))
    }

    /// `podman run --rm [OPTS...] IMAGE CMD...`.
    fn run_rm(&self, opts: &[&str], cmd: &[&str]) -> Output {
        let mut c = self.cmd();
        c.args(["run", "--rm"]).args(opts).arg(IMAGE).args(cmd);
        run(&mut c)
    }

    /// A container named `name`, removed (`podman rm -f`) when the guard is dropped.
    fn container<'a>(&'a self, name: &str) -> PodmanContainer<'a> {
        // A container of this name left by an earlier, killed run of this test would be in the way.
        let _ = self.run(&["rm", "-f", "--time", "0", name]);
        PodmanContainer {
            podman: self,
            name: name.to_string(),
        }
    }
}

struct PodmanContainer<'a> {
    podman: &'a Podman,
    name: String,
}

impl Drop for PodmanContainer<'_> {
    fn drop(&mut self) {
        let _ = self.podman.run(&["rm", "-f", "--time", "0", &self.name]);
    }
}

/// The runtime's error when podman did not even start the container, for messages.
#[track_caller]
fn assert_exit(out: &Output, code: i32) {
    assert_eq!(out.code(), Some(code), "podman/ctr exit status\n{out}");
}

#[test]
#[ignore = "needs root"]
fn podman_run_true_exits_0() {
    let Some(p) = Podman::new() else { return };
    assert_exit(&p.run_rm(&[], &["true"]), 0);
}

#[test]
#[ignore = "needs root"]
fn podman_run_passes_the_exit_status_and_output() {
    let Some(p) = Podman::new() else { return };
    let out = p.run_rm(&[], &["sh", "-c", "echo out; echo err >&2; exit 3"]);
    assert_exit(&out, 3);
    assert_eq!(out.stdout, "out\n", "{out}");
    assert!(out.stderr.contains("err"), "{out}");
    // A missing command: podman maps the runtime's "executable file not found" (its JSON log) to
    // 127.
    let out = p.run_rm(&[], &["/no/such/program"]);
    assert_exit(&out, 127);
}

#[test]
#[ignore = "needs root"]
fn podman_detached_exec_stop_rm() {
    let Some(p) = Podman::new() else { return };
    // A container that ends on SIGTERM with status 7: `podman stop` sends 15 first.
    let name = unique("podman-d");
    let c = p.container(&name);
    let script = "trap 'exit 7' TERM; echo ready; while :; do sleep 0.1; done";
    let out = p.run(&["run", "-d", "--name", &c.name, IMAGE, "sh", "-c", script]);
    assert_exit(&out, 0);
    let out = p.run(&["inspect", "--format", "{{.State.Status}}", &c.name]);
    assert_eq!(out.stdout.trim(), "running", "{out}");
    let out = p.run(&["exec", &c.name, "sh", "-c", "echo $((6 * 7)); exit 5"]);
    assert_exit(&out, 5);
    assert_eq!(out.stdout, "42\n", "{out}");
    // exec sees the container's pid namespace: its init is PID 1, the sh -c above.
    let out = p.run(&["exec", &c.name, "cat", "/proc/1/cmdline"]);
    assert_exit(&out, 0);
    assert!(
        out.stdout.contains("trap"),
        "PID 1 is not the container's sh\n{out}"
    );
    let out = p.run(&["stop", "--time", "10", &c.name]);
    assert_exit(&out, 0);
    let out = p.run(&[
        "inspect",
        "--format",
        "{{.State.Status}} {{.State.ExitCode}}",
        &c.name,
    ]);
    assert_eq!(
        out.stdout.trim(),
        "exited 7",
        "SIGTERM did not end it with its trap\n{out}"
    );
    let out = p.run(&["logs", &c.name]);
    assert_eq!(out.stdout, "ready\n", "{out}");
    assert_exit(&p.run(&["rm", &c.name]), 0);

    // A container that ignores SIGTERM (a PID 1 without a handler): stop falls back to SIGKILL.
    let name = unique("podman-kill");
    let c = p.container(&name);
    assert_exit(
        &p.run(&["run", "-d", "--name", &c.name, IMAGE, "sleep", "1000"]),
        0,
    );
    let out = p.run(&["stop", "--time", "1", &c.name]);
    assert_exit(&out, 0);
    let out = p.run(&[
        "inspect",
        "--format",
        "{{.State.Status}} {{.State.ExitCode}}",
        &c.name,
    ]);
    assert_eq!(out.stdout.trim(), "exited 137", "{out}");

    // rm -f of a running container (that ignores SIGTERM: podman kills it after 1 s).
    let name = unique("podman-rmf");
    let c = p.container(&name);
    let out = p.run(&[
        "run",
        "-d",
        "--stop-timeout",
        "1",
        "--name",
        &c.name,
        IMAGE,
        "sleep",
        "1000",
    ]);
    assert_exit(&out, 0);
    assert_exit(&p.run(&["rm", "-f", &c.name]), 0);
    assert_exit(&p.run(&["container", "exists", &c.name]), 1);
}

#[test]
#[ignore = "needs root"]
fn podman_run_it_gets_a_terminal() {
    let Some(p) = Podman::new() else { return };
    // `script` gives podman a terminal, so `-it` makes the runtime use a console socket.
    let Ok(script) = which("script") else {
        skip::<()>("no `script` (package bsdutils)");
        return;
    };
    let podman_line = format!(
        "CONTAINERS_CONF={} CONTAINERS_STORAGE_CONF={} podman --runtime {} run --rm -it {IMAGE} \
         sh -c 'tty; test -t 0 && test -t 1 && echo both-ttys; stty size; exit 6'",
        p.conf.display(),
        p.storage.display(),
        p.runtime.display()
    );
    // script's stdin stays open (a pipe this test holds): at end of file on it, script ends
    // podman's input, and podman -i then drops the output it has not attached to yet (5 runs in
    // 30 printed nothing, with runc).
    let out = run_holding_stdin(Command::new(script).args(["-qec", &podman_line, "/dev/null"]));
    assert_exit(&out, 6);
    assert!(
        out.stdout.contains("/dev/pts/0"),
        "tty did not print /dev/pts/0\n{out}"
    );
    assert!(
        out.stdout.contains("both-ttys"),
        "stdin/stdout are not the terminal\n{out}"
    );
}

#[test]
#[ignore = "needs root"]
fn podman_exec_it_gets_a_terminal() {
    let Some(p) = Podman::new() else { return };
    let Ok(script) = which("script") else {
        skip::<()>("no `script` (package bsdutils)");
        return;
    };
    let name = unique("podman-exec-it");
    let c = p.container(&name);
    let out = p.run(&["run", "-d", "--name", &c.name, IMAGE, "sleep", "1000"]);
    assert_exit(&out, 0);
    // conmon calls `exec --process F --detach --tty --console-socket S`: the terminal is one of
    // the container's devpts (its first: the container's own process has none).
    let podman_line = format!(
        "CONTAINERS_CONF={} CONTAINERS_STORAGE_CONF={} podman --runtime {} exec -it {} \
         sh -c 'tty; test -t 0 && test -t 1 && test -t 2 && echo all-ttys; exit 4'",
        p.conf.display(),
        p.storage.display(),
        p.runtime.display(),
        c.name
    );
    let out = run_holding_stdin(Command::new(script).args(["-qec", &podman_line, "/dev/null"]));
    assert_exit(&out, 4);
    assert!(
        out.stdout.contains("/dev/pts/0"),
        "tty did not print /dev/pts/0\n{out}"
    );
    assert!(
        out.stdout.contains("all-ttys"),
        "0, 1 and 2 are not the terminal\n{out}"
    );
    // Without -t, no terminal.
    let out = p.run(&["exec", &c.name, "sh", "-c", "test -t 0 || echo no-tty"]);
    assert_exit(&out, 0);
    assert_eq!(out.stdout, "no-tty\n", "{out}");
}

#[test]
#[ignore = "needs root"]
fn podman_memory_and_pids_limits() {
    let Some(p) = Podman::new() else { return };
    // cgroup v1 (memory and pids hierarchies) or v2 (one file each).
    let script = "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; \
                  cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max";
    let out = p.run_rm(
        &["--memory", "64m", "--pids-limit", "20"],
        &["sh", "-c", script],
    );
    assert_exit(&out, 0);
    assert_eq!(out.lines(), ["67108864", "20"], "{out}");
    // The pids limit holds: 40 background sleeps cannot all start.
    let out = p.run_rm(
        &["--pids-limit", "20"],
        &[
            "sh",
            "-c",
            "for i in $(seq 40); do sleep 5 & done; echo started",
        ],
    );
    assert!(
        out.stderr.contains("can't fork")
            || out.stderr.contains("Resource temporarily unavailable"),
        "40 processes started under --pids-limit 20\n{out}"
    );
}

#[test]
#[ignore = "needs root"]
fn podman_cap_drop() {
    let Some(p) = Podman::new() else { return };
    let script = "grep CapBnd /proc/self/status; chown 65534 /tmp && echo chowned";
    let out = p.run_rm(&[], &["sh", "-c", script]);
    assert_exit(&out, 0);
    assert!(out.stdout.contains("chowned"), "{out}");
    let with = cap_bnd(&out);
    assert_eq!(
        with & 1,
        1,
        "CAP_CHOWN is not in the default bounding set\n{out}"
    );
    let out = p.run_rm(&["--cap-drop", "chown"], &["sh", "-c", script]);
    assert_ne!(out.code(), Some(0), "chown worked without CAP_CHOWN\n{out}");
    assert!(out.stderr.contains("Operation not permitted"), "{out}");
    assert_eq!(
        cap_bnd(&out),
        with & !1,
        "--cap-drop chown dropped more or less than bit 0\n{out}"
    );
    let out = p.run_rm(
        &["--cap-drop", "all"],
        &["grep", "Cap", "/proc/self/status"],
    );
    assert_exit(&out, 0);
    for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert!(
            out.stdout.contains(&format!("{set}:\t0000000000000000")),
            "{set} is not empty with --cap-drop all\n{out}"
        );
    }
}

/// Runs `cmd` like [`run`], but with its stdin a pipe that stays open (nothing written) until it
/// has ended. Its process group is killed after [`ENGINE_TIMEOUT`].
fn run_holding_stdin(cmd: &mut Command) -> Output {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    use std::process::Stdio;
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let stdin = child.stdin.take();
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = so.read_to_end(&mut b);
        b
    });
    let t_err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = se.read_to_end(&mut b);
        b
    });
    let deadline = std::time::Instant::now() + ENGINE_TIMEOUT;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if std::time::Instant::now() > deadline {
            common::kill_group_and_wait(&mut child);
            panic!("{what} timed out after {ENGINE_TIMEOUT:?}; killed it");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    drop(stdin);
    Output {
        status,
        stdout: String::from_utf8_lossy(&t_out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&t_err.join().unwrap()).into_owned(),
        what,
    }
}

/// The CapBnd mask a container printed.
fn cap_bnd(out: &Output) -> u64 {
    let line = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .unwrap_or_else(|| panic!("no CapBnd line\n{out}"));
    u64::from_str_radix(line.trim(), 16).unwrap_or_else(|_| panic!("bad CapBnd\n{out}"))
}

#[test]
#[ignore = "needs root"]
fn podman_read_only() {
    let Some(p) = Podman::new() else { return };
    let out = p.run_rm(
        &["--read-only"],
        &[
            "sh",
            "-c",
            "touch /x && echo wrote-root; touch /tmp/x && echo wrote-tmp",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(
        out.stdout, "wrote-tmp\n",
        "the root is writable or /tmp is not\n{out}"
    );
    assert!(out.stderr.contains("Read-only file system"), "{out}");
}

#[test]
#[ignore = "needs root"]
fn podman_network_none() {
    let Some(p) = Podman::new() else { return };
    let out = p.run_rm(&["--network", "none"], &["ls", "/sys/class/net"]);
    assert_exit(&out, 0);
    assert_eq!(out.lines(), ["lo"], "{out}");
    // A network namespace of its own: not the host's.
    let host = std::fs::read_link("/proc/self/ns/net").unwrap();
    let out = p.run_rm(&["--network", "none"], &["readlink", "/proc/self/ns/net"]);
    assert_exit(&out, 0);
    assert_ne!(out.stdout.trim(), host.to_str().unwrap(), "{out}");
}

#[test]
#[ignore = "needs root"]
fn podman_user_and_user_namespace() {
    let Some(p) = Podman::new() else { return };
    // process.user: uid, gid and the supplementary groups (podman adds none here).
    let out = p.run_rm(&["--user", "65534:65534"], &["sh", "-c", "id -u; id -g"]);
    assert_exit(&out, 0);
    assert_eq!(out.lines(), ["65534", "65534"], "{out}");
    // linux.uidMappings/gidMappings with a user namespace: root inside is 100000 outside. (As root,
    // podman's --userns=keep-id is for rootless podman only; this machine runs podman as root.)
    let out = p.run_rm(
        &["--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"],
        &[
            "sh",
            "-c",
            "cat /proc/self/uid_map /proc/self/gid_map; id -u; touch /x && echo wrote",
        ],
    );
    assert_exit(&out, 0);
    let maps: Vec<Vec<&str>> = out.lines()[..2]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        maps,
        [["0", "100000", "65536"], ["0", "100000", "65536"]],
        "{out}"
    );
    assert_eq!(&out.lines()[2..], ["0", "wrote"], "{out}");
}

// ---------------------------------------------------------------------------------------------
// containerd (ctr)

/// `ctr` against the containerd of scripts/oci-setup.sh, with `--runc-binary` the runtime under
/// test.
struct Ctr {
    runtime: PathBuf,
    _turn: std::sync::RwLockReadGuard<'static, ()>,
}

impl Ctr {
    fn new() -> Option<Ctr> {
        require_root();
        if Command::new("ctr").arg("--version").output().is_err() {
            return skip("ctr is not installed (run scripts/oci-setup.sh)");
        }
        if !Path::new(CTR_SOCKET).exists() {
            return skip(&format!(
                "no containerd at {CTR_SOCKET} (run scripts/oci-setup.sh: it starts one)"
            ));
        }
        let runtime = oci_runtime()?;
        let c = Ctr {
            runtime,
            _turn: shared_turn(),
        };
        let out = c.run(&["image", "ls", "-q"]);
        if out.code() != Some(0) {
            return skip(&format!(
                "containerd at {CTR_SOCKET} does not answer\n{out}"
            ));
        }
        if !out.lines().contains(&IMAGE) {
            return skip(&format!(
                "containerd has no image {IMAGE} in namespace {CTR_NAMESPACE} (run scripts/oci-setup.sh)"
            ));
        }
        Some(c)
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::new("ctr");
        cmd.args(["--address", CTR_SOCKET, "--namespace", CTR_NAMESPACE]);
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        run(self.cmd().args(args))
    }

    /// `ctr run --runc-binary RUNTIME [OPTS...] IMAGE ID CMD...`.
    fn ctr_run(&self, opts: &[&str], id: &str, cmd: &[&str]) -> Output {
        let mut c = self.cmd();
        c.arg("run")
            .arg("--runc-binary")
            .arg(&self.runtime)
            .args(["--runc-root", CTR_RUNC_ROOT, "--fifo-dir", CTR_FIFO_DIR])
            .args(opts)
            .args([IMAGE, id])
            .args(cmd);
        run(&mut c)
    }

    /// The task's status in `ctr task ls` (RUNNING, PAUSED, STOPPED, ...), None when it has none.
    fn status(&self, id: &str) -> Option<String> {
        let out = self.run(&["task", "ls"]);
        out.lines().iter().find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 3 && f[0] == id).then(|| f[2].to_string())
        })
    }

    /// Waits until the task's status is `want`.
    #[track_caller]
    fn wait_status(&self, id: &str, want: &str) {
        let ok = common::poll(Duration::from_secs(20), || {
            self.status(id).as_deref() == Some(want)
        });
        assert!(ok, "task {id} is {:?}, not {want}", self.status(id));
    }

    /// A container id, its task and container removed when the guard is dropped.
    fn container<'a>(&'a self, id: &str) -> CtrContainer<'a> {
        let g = CtrContainer {
            ctr: self,
            id: id.to_string(),
        };
        g.remove();
        g
    }
}

struct CtrContainer<'a> {
    ctr: &'a Ctr,
    id: String,
}

impl CtrContainer<'_> {
    fn remove(&self) {
        if self.ctr.status(&self.id).is_some() {
            let _ = self
                .ctr
                .run(&["task", "kill", "--signal", "SIGKILL", &self.id]);
            common::poll(Duration::from_secs(10), || {
                self.ctr.status(&self.id).as_deref() != Some("RUNNING")
            });
            let _ = self.ctr.run(&["task", "rm", "--force", &self.id]);
        }
        let _ = self.ctr.run(&["container", "rm", &self.id]);
    }
}

impl Drop for CtrContainer<'_> {
    fn drop(&mut self) {
        self.remove();
    }
}

#[test]
#[ignore = "needs root"]
fn ctr_run_prints_and_exits_4() {
    let Some(c) = Ctr::new() else { return };
    let id = unique("ctr-run");
    let _g = c.container(&id);
    let out = c.ctr_run(&["--rm"], &id, &["sh", "-c", "echo hi; exit 4"]);
    assert_exit(&out, 4);
    assert_eq!(out.stdout, "hi\n", "{out}");
}

#[test]
#[ignore = "needs root"]
fn ctr_task_exec_ps_pause_resume_kill() {
    let Some(c) = Ctr::new() else { return };
    let id = unique("ctr-task");
    let g = c.container(&id);
    let script = "trap 'exit 9' TERM; while :; do sleep 0.1; done";
    let out = c.ctr_run(&["-d"], &g.id, &["sh", "-c", script]);
    assert_exit(&out, 0);
    c.wait_status(&id, "RUNNING");

    let out = c.run(&[
        "task",
        "exec",
        "--fifo-dir",
        CTR_FIFO_DIR,
        "--exec-id",
        "e1",
        &id,
        "sh",
        "-c",
        "echo $((6 * 7)); exit 5",
    ]);
    assert_exit(&out, 5);
    assert_eq!(out.stdout, "42\n", "{out}");

    // exec -t: the shim calls `exec --process F` with terminal true and its console socket; the
    // terminal is one of the container's devpts. ctr wants a terminal of its own: `script`.
    if let Ok(script) = which("script") {
        let line = format!(
            "ctr --address {CTR_SOCKET} --namespace {CTR_NAMESPACE} task exec -t --fifo-dir \
             {CTR_FIFO_DIR} --exec-id e2 {id} sh -c 'tty; test -t 0 && test -t 1 && echo ttys; \
             exit 6'"
        );
        let out = run_holding_stdin(Command::new(script).args(["-qec", &line, "/dev/null"]));
        assert_exit(&out, 6);
        assert!(out.stdout.contains("/dev/pts/"), "no terminal\n{out}");
        assert!(
            out.stdout.contains("ttys"),
            "0 and 1 are not the terminal\n{out}"
        );
    } else {
        eprintln!("exec -t not checked: no `script` (package bsdutils)");
    }

    // ps: the init's host pid, as `task ls` shows it, is among the listed pids.
    let pid = c
        .run(&["task", "ls"])
        .lines()
        .iter()
        .find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.first() == Some(&id.as_str())).then(|| f[1].to_string())
        })
        .expect("the task is listed");
    let out = c.run(&["task", "ps", &id]);
    assert_exit(&out, 0);
    assert!(
        out.lines()
            .iter()
            .any(|l| l.split_whitespace().next() == Some(pid.as_str())),
        "task ps does not list the init pid {pid}\n{out}"
    );

    // pause: the freezer stops every process (its state is FROZEN on v1); resume thaws them.
    assert_exit(&c.run(&["task", "pause", &id]), 0);
    c.wait_status(&id, "PAUSED");
    let state = proc_state(&pid);
    assert!(
        state.as_deref() == Some("D")
            || state.as_deref() == Some("S")
            || state.as_deref() == Some("T"),
        "paused init is in state {state:?}"
    );
    assert_exit(&c.run(&["task", "resume", &id]), 0);
    c.wait_status(&id, "RUNNING");
    let out = c.run(&[
        "task",
        "exec",
        "--fifo-dir",
        CTR_FIFO_DIR,
        "--exec-id",
        "e2",
        &id,
        "true",
    ]);
    assert_exit(&out, 0);

    // kill: SIGTERM (ctr's default) reaches the init's trap; its status 9 is collected.
    assert_exit(&c.run(&["task", "kill", &id]), 0);
    c.wait_status(&id, "STOPPED");
    let out = c.run(&["task", "rm", &id]);
    assert_exit(&out, 0);
    assert!(
        out.stderr.contains("exit code 9"),
        "the exit status 9 was lost\n{out}"
    );

    // kill --signal SIGKILL of an init that ignores SIGTERM.
    assert_exit(&c.run(&["container", "rm", &id]), 0);
    let out = c.ctr_run(&["-d"], &id, &["sleep", "1000"]);
    assert_exit(&out, 0);
    c.wait_status(&id, "RUNNING");
    assert_exit(&c.run(&["task", "kill", "--signal", "SIGKILL", &id]), 0);
    c.wait_status(&id, "STOPPED");
    let out = c.run(&["task", "rm", &id]);
    assert_exit(&out, 0);
    assert!(out.stderr.contains("exit code 137"), "{out}");
}

/// The one-letter state of process `pid` (/proc/PID/stat), None when it is gone.
fn proc_state(pid: &str) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    after.split_whitespace().next().map(str::to_string)
}

// ---------------------------------------------------------------------------------------------
// The OCI runtime-tools validation suite

/// One line of a results file: `NAME rc=N ok=N notok=N skip=N t=S`.
#[derive(Debug, Clone, PartialEq)]
struct SuiteResult {
    name: String,
    rc: i64,
    ok: i64,
    notok: i64,
    skip: i64,
    line: String,
}

impl SuiteResult {
    fn fully_passes(&self) -> bool {
        self.rc == 0 && self.notok == 0 && self.ok > 0
    }
}

fn parse_results(text: &str) -> Vec<SuiteResult> {
    let mut v = Vec::new();
    for line in text.lines() {
        let mut f = line.split_whitespace();
        let Some(name) = f.next() else { continue };
        if name == "DONE" {
            continue;
        }
        let mut get = |key: &str| -> i64 {
            let field = f
                .next()
                .unwrap_or_else(|| panic!("short results line {line:?}"));
            let value = field
                .strip_prefix(key)
                .and_then(|s| s.strip_prefix('='))
                .unwrap_or_else(|| panic!("expected {key}= in {line:?}"));
            value
                .parse()
                .unwrap_or_else(|_| panic!("bad {key} in {line:?}"))
        };
        let (rc, ok, notok, skip) = (get("rc"), get("ok"), get("notok"), get("skip"));
        v.push(SuiteResult {
            name: name.to_string(),
            rc,
            ok,
            notok,
            skip,
            line: line.to_string(),
        });
    }
    v
}

#[test]
fn the_runc_baseline_parses() {
    let base = parse_results(
        &std::fs::read_to_string(repo().join("tests/oci/validation-runc.txt")).unwrap(),
    );
    assert_eq!(base.len(), 58);
    assert_eq!(base.iter().filter(|r| r.fully_passes()).count(), 25);
    assert_eq!(base.iter().map(|r| r.ok).sum::<i64>(), 3702);
    assert_eq!(base.iter().map(|r| r.notok).sum::<i64>(), 35);
}

#[test]
#[ignore = "needs root"]
fn validation_suite_passes_what_runc_passes() {
    require_root();
    let suite = oci_dir().join("runtime-tools");
    if !suite.join("runtimetest").is_file() {
        skip::<()>(&format!(
            "no validation suite in {} (run scripts/oci-setup.sh)",
            suite.display()
        ));
        return;
    }
    let Some(rt) = oci_runtime() else { return };
    let _alone = exclusive_turn();
    let baseline_file = repo().join("tests/oci/validation-runc.txt");
    let baseline = parse_results(&std::fs::read_to_string(&baseline_file).unwrap());
    let dir = common::TempDir::new("oci-validation");
    let results_file = dir.path().join("results.txt");
    // Two retries for a test runc passes that fails here: killsig races with the container's
    // shell setting its trap (its `kill` comes right after `start`) and fails now and then on a
    // busy machine, with runc too.
    let out = run_timeout(
        Command::new(repo().join("scripts/oci-validation.sh"))
            .arg("--runtime")
            .arg(&rt)
            .arg("--out")
            .arg(&results_file)
            .arg("--compare")
            .arg(&baseline_file)
            .arg("--retries")
            .arg("2"),
        None,
        SUITE_TIMEOUT,
    );
    assert!(
        results_file.is_file(),
        "scripts/oci-validation.sh wrote no results\n{out}"
    );
    for line in out.stderr.lines().filter(|l| l.contains("FLAKY")) {
        eprintln!("{line}");
    }
    let results = parse_results(&std::fs::read_to_string(&results_file).unwrap());
    // nsrun's documented differences (tests/oci/validation-nsrun-differs.txt), for nsrun only.
    let differs_file = repo().join("tests/oci/validation-nsrun-differs.txt");
    let differs_text = std::fs::read_to_string(&differs_file).unwrap();
    let is_nsrun = rt
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("nsrun"));
    let differs: Vec<(&str, &str)> = differs_text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (name, why) = l.split_once(' ').expect("NAME KIND: WHY");
            assert!(
                why.starts_with("design: ") || why.starts_with("missing: "),
                "{differs_file:?}: {l}"
            );
            (name, why)
        })
        .collect();
    let mut failures = Vec::new();
    for want in baseline.iter().filter(|r| r.fully_passes()) {
        let listed = differs.iter().find(|(n, _)| *n == want.name && is_nsrun);
        match results.iter().find(|r| r.name == want.name) {
            Some(got) if got.fully_passes() => {
                if listed.is_some() {
                    eprintln!("{} passes now: remove it from {differs_file:?}", want.name);
                }
            }
            Some(got) if listed.is_some() => {
                eprintln!("{}  (runc: {}): {}", got.line, want.line, listed.unwrap().1)
            }
            Some(got) => failures.push(format!("{}  (runc: {})", got.line, want.line)),
            None => failures.push(format!("{}: not run (runc: {})", want.name, want.line)),
        }
    }
    let passing = results.iter().filter(|r| r.fully_passes()).count();
    eprintln!(
        "{}: {passing} of {} validation tests fully pass (runc here: 25 of 58); TAP in \
         target/oci/validation-logs/{}",
        rt.display(),
        results.len(),
        rt.file_name().unwrap().to_string_lossy()
    );
    assert!(
        failures.is_empty(),
        "tests runc passes here fail with {} (TAP in target/oci/validation-logs/):\n{}\n{}",
        rt.display(),
        failures.join("\n"),
        out.stderr
    );
}

/// The full path of `name` in PATH.
fn which(name: &str) -> Result<PathBuf, ()> {
    let out = Command::new("sh")
        .args(["-c", "command -v \"$1\"", "sh", name])
        .output()
        .map_err(|_| ())?;
    let p = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() && p.starts_with('/') {
        Ok(PathBuf::from(p))
    } else {
        Err(())
    }
}
