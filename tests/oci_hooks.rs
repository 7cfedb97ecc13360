//! The OCI hooks of config.json (issue 9): `prestart` and `createRuntime` run by `create` in the
//! runtime's namespaces, `createContainer` and `startContainer` in the container's, `poststart`
//! by `start`, `poststop` by `delete`; each with the state on its standard input.
//!
//! Each test uses a busybox bundle and a state directory of its own (`--root`) and removes them;
//! the only processes ended are the containers (and hooks) these tests made, by pid. The hooks
//! write what they saw into the bundle's rootfs (`/log`, which the host sees too).

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::{nsrun_bin, TempDir};

const STAGES: [&str; 6] = [
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
];

struct Bundle {
    dir: TempDir,
    root: PathBuf,
    /// How many commands ran (their output files are `out.N`, `err.N`).
    runs: AtomicU32,
}

fn busybox() -> Option<PathBuf> {
    ["/bin/busybox", "/usr/bin/busybox"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

impl Bundle {
    /// A bundle whose process runs `args` with `hooks` (the JSON members of config.json's
    /// `hooks` object); None (skipped with a line) without root or busybox.
    fn new(tag: &str, args: &[&str], hooks: &str) -> Option<Bundle> {
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
        for d in ["bin", "proc", "dev", "tmp", "sys", "log"] {
            std::fs::create_dir_all(rootfs.join(d)).unwrap();
        }
        std::fs::copy(&bb, rootfs.join("bin/busybox")).unwrap();
        for applet in [
            "sh", "echo", "cat", "sleep", "true", "touch", "ls", "readlink", "hostname", "test",
        ] {
            std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet)).unwrap();
        }
        let root = dir.path().join("state");
        std::fs::create_dir(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700)).unwrap();
        let b = Bundle {
            dir,
            root,
            runs: AtomicU32::new(0),
        };
        b.config(args, hooks, "");
        Some(b)
    }

    fn bundle(&self) -> PathBuf {
        self.dir.path().join("bundle")
    }

    /// The hooks' log directory as the host sees it.
    fn log(&self) -> PathBuf {
        self.bundle().join("rootfs/log")
    }

    fn log_str(&self) -> String {
        self.log().to_str().unwrap().to_string()
    }

    /// Writes config.json: runc's default spec, no terminal, with `args`, `hooks`, an
    /// annotation, and `linux` members `linux`.
    fn config(&self, args: &[&str], hooks: &str, linux: &str) {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oci/runc-spec.json");
        let mut text = std::fs::read_to_string(fixture).unwrap();
        text = text.replace("\"terminal\": true", "\"terminal\": false");
        let quoted: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
        let at = text.find("\"args\": [").unwrap();
        let end = at + text[at..].find(']').unwrap();
        text.replace_range(at..=end, &format!("\"args\": [{}]", quoted.join(", ")));
        text = text.replace("\"readonly\": true", "\"readonly\": false");
        text = text.replacen(
            "\"linux\": {",
            &format!(
                "\"annotations\": {{\"org.nsrun.test\": \"hooks\"}},\n\"hooks\": {{{hooks}}},\n\
                 \"linux\": {{{linux}"
            ),
            1,
        );
        std::fs::write(self.bundle().join("config.json"), text).unwrap();
    }

    /// Runs `nsrun --root STATE ARGS` with its stdout and stderr in files of their own (a
    /// container's process keeps the runtime's descriptors: pipes would not end with it).
    fn run(&self, args: &[&str]) -> Output {
        let n = self.runs.fetch_add(1, Ordering::Relaxed);
        let o = self.dir.path().join(format!("out.{n}"));
        let e = self.dir.path().join(format!("err.{n}"));
        let status = std::process::Command::new(nsrun_bin())
            .arg("--root")
            .arg(&self.root)
            .args(args)
            .current_dir(self.bundle())
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

    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// What the hooks wrote to `name` in the log directory ("" when nothing).
    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.log().join(name)).unwrap_or_default()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The JSON value of `key` in `state` (a number or a string, as written).
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

/// One hook object: `/bin/sh -c SCRIPT` with a PATH and HOOKVAR=`name`, and `timeout`.
fn hook(name: &str, script: &str, timeout: Option<u32>) -> String {
    let timeout = timeout
        .map(|t| format!(", \"timeout\": {t}"))
        .unwrap_or_default();
    format!(
        "{{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", {script:?}], \"env\": \
         [\"PATH=/usr/sbin:/usr/bin:/sbin:/bin\", \"HOOKVAR={name}\"]{timeout}}}"
    )
}

/// The hook of stage `name` that records, in `dir`, its state (`NAME.state`), mount namespace,
/// hostname and environment, and appends its name to `order`.
fn recorder(name: &str, dir: &str) -> String {
    let script = format!(
        "cat > {dir}/{name}.state; readlink /proc/self/ns/mnt > {dir}/{name}.mnt; \
         hostname > {dir}/{name}.host; echo \"$HOOKVAR\" > {dir}/{name}.env; \
         echo {name} >> {dir}/order"
    );
    hook(name, &script, Some(10))
}

fn mnt_ns(pid: &str) -> String {
    std::fs::read_link(format!("/proc/{pid}/ns/mnt"))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

#[test]
#[ignore = "needs root"]
fn every_hook_runs_at_its_stage_in_its_namespaces_with_the_state() {
    // The program says whether the startContainer hook ran before it, then waits.
    let program = "test -e /log/startContainer.state && echo seen > /log/program; exec sleep 100";
    let Some(b) = Bundle::new("hooks-all", &["sh", "-c", program], "") else {
        return;
    };
    let host_dir = b.log_str();
    let hooks: Vec<String> = STAGES
        .iter()
        .map(|s| {
            let dir = if *s == "startContainer" {
                "/log"
            } else {
                &host_dir
            };
            // startContainer takes its time: start still returns only once the program runs.
            match *s {
                "startContainer" => {
                    format!(
                        "{s:?}: [{}, {}]",
                        recorder(s, dir),
                        hook("slow", "sleep 1", None)
                    )
                }
                _ => format!("{s:?}: [{}]", recorder(s, dir)),
            }
        })
        .collect();
    b.config(&["sh", "-c", program], &hooks.join(",\n"), "");
    let out = b.run(&["create", "--pid-file", "pidfile", "h1"]);
    assert!(out.status.success(), "create: {}", text(&out.stderr));
    let state = b.state("h1");
    let pid = field(&state, "pid");
    assert_eq!(
        b.read("order"),
        "prestart\ncreateRuntime\ncreateContainer\n"
    );
    let bundle = b.bundle().to_str().unwrap().to_string();
    let check = |name: &str, status: &str, pid: &str| {
        let s = b.read(&format!("{name}.state"));
        assert_eq!(field(&s, "status"), status, "{name}: {s}");
        assert_eq!(field(&s, "pid"), pid, "{name}: {s}");
        assert_eq!(field(&s, "id"), "h1", "{name}: {s}");
        assert_eq!(field(&s, "bundle"), bundle, "{name}: {s}");
        assert!(s.contains("\"org.nsrun.test\": \"hooks\""), "{name}: {s}");
        assert_eq!(field(&s, "ociVersion"), field(&state, "ociVersion"));
        assert_eq!(b.read(&format!("{name}.env")).trim(), name, "its env");
    };
    // In the runtime's namespaces: the pid as the runtime sees it; in the container's, as the
    // container does (PID 1 of its new PID namespace).
    check("prestart", "creating", &pid);
    check("createRuntime", "creating", &pid);
    check("createContainer", "creating", "1");
    let own_mnt = mnt_ns("self");
    let container_mnt = mnt_ns(&pid);
    assert_ne!(own_mnt, container_mnt);
    for s in ["prestart", "createRuntime"] {
        assert_eq!(b.read(&format!("{s}.mnt")).trim(), own_mnt, "{s}");
        assert_eq!(b.read(&format!("{s}.host")).trim(), hostname(), "{s}");
    }
    assert_eq!(b.read("createContainer.mnt").trim(), container_mnt);
    assert_eq!(b.read("createContainer.host").trim(), "runc");
    assert_eq!(b.read("startContainer.state"), "", "not before start");

    let out = b.run(&["start", "h1"]);
    assert!(out.status.success(), "start: {}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    // The poststart hooks ran after the program was executed, before start returned.
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap();
    assert!(exe.ends_with("busybox"), "{exe:?}");
    assert!(
        !b.read("poststart.state").is_empty(),
        "poststart ran by start's end"
    );
    check("poststart", "running", &pid);
    until("the program runs", || b.read("program") == "seen\n");
    check("startContainer", "created", "1");
    assert_eq!(b.read("startContainer.mnt").trim(), container_mnt);
    assert_eq!(b.read("startContainer.host").trim(), "runc");
    let order = b.read("order");
    let lines: Vec<&str> = order.lines().collect();
    assert_eq!(lines.len(), 5, "{order}");
    assert!(lines[3..].contains(&"startContainer") && lines[3..].contains(&"poststart"));
    assert_eq!(b.read("poststop.state"), "", "not before delete");

    let out = b.run(&["kill", "h1", "KILL"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let p: i32 = pid.parse().unwrap();
    until("the container ends", || !alive(p));
    let out = b.run(&["delete", "h1"]);
    assert!(
        out.status.success(),
        "delete: {:?} {}",
        out.status,
        text(&out.stderr)
    );
    let s = b.read("poststop.state");
    assert_eq!(field(&s, "status"), "stopped", "{s}");
    assert_eq!(field(&s, "id"), "h1");
    assert!(b.read("order").ends_with("poststop\n"));
    assert!(b.files().is_empty(), "{:?}", b.files());
    // Nothing of the container is mounted where the test runs (others on this machine may
    // mount and unmount meanwhile: only the bundle's paths are looked for).
    let mounts = common::host_mountinfo();
    assert!(!mounts.contains(b.dir.str()), "{mounts}");
}

/// A failing `prestart`, `createRuntime` or `createContainer` hook fails `create` with a line
/// naming it, and leaves nothing: no entry, fifo or pid file, no process, no cgroup.
#[test]
#[ignore = "needs root"]
fn a_failing_create_hook_fails_create_and_leaves_nothing() {
    for stage in ["prestart", "createRuntime", "createContainer"] {
        let Some(b) = Bundle::new("hooks-fail", &["true"], "") else {
            return;
        };
        let dir = b.log_str();
        let failing = hook(stage, &format!("cat > {dir}/state; exit 3"), Some(10));
        // Hooks after the failing one (of its list and of the next) do not run.
        let after = hook("after", &format!("touch {dir}/after"), None);
        let hooks = match stage {
            "prestart" => {
                format!("\"prestart\": [{failing}, {after}], \"createRuntime\": [{after}]")
            }
            "createRuntime" => {
                format!("\"createRuntime\": [{failing}, {after}], \"createContainer\": [{after}]")
            }
            _ => {
                format!("\"createContainer\": [{failing}, {after}], \"startContainer\": [{after}]")
            }
        };
        let cgroup = format!("/nsrun-hooks-test-{}/{stage}", std::process::id());
        b.config(&["true"], &hooks, &format!("\"cgroupsPath\": {cgroup:?},"));
        let out = b.run(&["create", "--pid-file", "pidfile", "f1"]);
        assert_eq!(out.status.code(), Some(1), "{stage}: {}", text(&out.stderr));
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("hooks.{stage}[0] /bin/sh: exited with status 3")),
            "{stage}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        let state = b.read("state");
        assert_eq!(field(&state, "status"), "creating", "{stage}: {state}");
        let pid: i32 = field(&state, "pid").parse().unwrap();
        let host_pid = if stage == "createContainer" {
            // The state says pid 1 (the container's view); the process is gone all the same.
            assert_eq!(pid, 1);
            None
        } else {
            Some(pid)
        };
        if let Some(p) = host_pid {
            until("the container's process is gone", || !alive(p));
        }
        assert!(
            !b.log().join("after").exists(),
            "{stage}: the later hooks did not run"
        );
        assert!(b.files().is_empty(), "{stage}: {:?}", b.files());
        assert!(!b.bundle().join("pidfile").exists(), "{stage}: no pid file");
        for base in [
            "/sys/fs/cgroup",
            "/sys/fs/cgroup/pids",
            "/sys/fs/cgroup/memory",
        ] {
            let d = format!("{base}{cgroup}");
            assert!(!Path::new(&d).exists(), "{stage}: {d} is left");
            let parent = format!("{base}/nsrun-hooks-test-{}", std::process::id());
            assert!(!Path::new(&parent).exists(), "{stage}: {parent} is left");
        }
        // Nothing of it runs any more: no process has the bundle's rootfs as its root.
        let rootfs = b.bundle().join("rootfs");
        let left: Vec<_> = common::processes()
            .into_iter()
            .filter(|p| {
                std::fs::read_link(format!("/proc/{}/root", p.pid)).is_ok_and(|r| r == rootfs)
            })
            .collect();
        assert!(left.is_empty(), "{stage}: {left:?}");
    }
}

/// A hook that outlives its timeout is SIGKILLed and fails its stage, in the runtime's
/// namespaces (createRuntime) as in the container's (createContainer).
#[test]
#[ignore = "needs root"]
fn a_hook_past_its_timeout_is_killed() {
    for stage in ["createRuntime", "createContainer"] {
        let Some(b) = Bundle::new("hooks-timeout", &["true"], "") else {
            return;
        };
        let dir = b.log_str();
        let hang = hook(
            stage,
            &format!("echo $$ > {dir}/pid; exec sleep 1000"),
            Some(1),
        );
        b.config(&["true"], &format!("{stage:?}: [{hang}]"), "");
        let started = Instant::now();
        let out = b.run(&["create", "t1"]);
        let took = started.elapsed();
        assert_eq!(out.status.code(), Some(1), "{stage}: {}", text(&out.stderr));
        assert!(took < Duration::from_secs(10), "{stage}: took {took:?}");
        assert!(took >= Duration::from_secs(1), "{stage}: took {took:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!(
                "hooks.{stage}[0] /bin/sh: did not exit within its timeout of 1 s: killed"
            )),
            "{stage}: {err}"
        );
        let pid = b.read("pid");
        let pid: i32 = pid
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{stage}: pid {pid:?}"));
        if stage == "createRuntime" {
            // The hook's pid is the host's here; gone, reaped.
            assert!(!alive(pid), "{stage}: the hook {pid} is still there");
        }
        assert!(b.files().is_empty(), "{stage}: {:?}", b.files());
        // No sleep of this bundle is left anywhere (the in-container hook's pid is not the
        // host's: look for the command line).
        let left: Vec<_> = common::processes()
            .into_iter()
            .filter(|p| {
                common::cmdline(p.pid).contains("sleep 1000") && {
                    std::fs::read_to_string(format!("/proc/{}/environ", p.pid))
                        .is_ok_and(|e| e.contains(&format!("HOOKVAR={stage}")))
                }
            })
            .collect();
        assert!(left.is_empty(), "{stage}: {left:?}");
    }
}

/// A failing poststart hook fails `start` and stops the container (runtime-spec 1.3.0's
/// lifecycle, and runc); the later poststart hooks do not run. poststop failures are warnings:
/// `delete` succeeds and the later poststop hooks still run.
#[test]
#[ignore = "needs root"]
fn a_failing_poststart_hook_stops_the_container_and_poststop_failures_are_warnings() {
    let Some(b) = Bundle::new("hooks-warn", &["true"], "") else {
        return;
    };
    let dir = b.log_str();
    let fail = |name: &str| hook(name, "exit 7", None);
    let mark = |name: &str| hook(name, &format!("touch {dir}/{name}"), None);
    let hooks = format!(
        "\"poststart\": [{}, {}], \"poststop\": [{}, {}]",
        fail("ps1"),
        mark("ps2"),
        fail("pt1"),
        mark("pt2")
    );
    b.config(
        &["sh", "-c", "echo ran > /log/program; exec sleep 100"],
        &hooks,
        "",
    );
    let out = b.run(&["create", "w1"]);
    assert!(out.status.success(), "create: {}", text(&out.stderr));
    let pid: i32 = field(&b.state("w1"), "pid").parse().unwrap();
    let out = b.run(&["start", "w1"]);
    assert_eq!(out.status.code(), Some(1), "start: {}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "hooks.poststart[0] /bin/sh: exited with status 7 (hint: the container was killed"
        ),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(
        !b.log().join("ps2").exists(),
        "the next poststart hook did not run"
    );
    until("the container is killed", || !alive(pid));
    assert_eq!(field(&b.state("w1"), "status"), "stopped");
    let out = b.run(&["delete", "w1"]);
    assert!(
        out.status.success(),
        "delete: {:?} {}",
        out.status,
        text(&out.stderr)
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("warning: hooks.poststop[0] /bin/sh: exited with status 7"),
        "{err}"
    );
    assert!(b.log().join("pt2").exists(), "the next poststop hook ran");
    assert!(b.files().is_empty(), "{:?}", b.files());
    // `run ID` fails the same way and leaves nothing: the container is deleted (poststop runs).
    std::fs::remove_file(b.log().join("pt2")).unwrap();
    let out = b.run(&["run", "w2"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "run: {:?} {}",
        out.status,
        text(&out.stderr)
    );
    assert!(
        text(&out.stderr).contains("hooks.poststart[0]"),
        "{}",
        text(&out.stderr)
    );
    assert!(b.log().join("pt2").exists(), "poststop ran");
    assert!(b.files().is_empty(), "{:?}", b.files());
}

#[test]
#[ignore = "needs root"]
fn a_failing_start_container_hook_ends_the_container_before_its_program() {
    let Some(b) = Bundle::new("hooks-sc", &["true"], "") else {
        return;
    };
    let hooks = format!("\"startContainer\": [{}]", hook("sc", "exit 4", None));
    b.config(&["sh", "-c", "echo ran > /log/program"], &hooks, "");
    let out = b.run(&["create", "s1"]);
    assert!(out.status.success(), "create: {}", text(&out.stderr));
    let pid: i32 = field(&b.state("s1"), "pid").parse().unwrap();
    // The runtime spec: a failing startContainer hook is an error of `start`.
    let out = b.run(&["start", "s1"]);
    assert_eq!(out.status.code(), Some(1), "start: {}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains(
            "cannot start container 's1': hooks.startContainer[0] /bin/sh: exited with status 4"
        ),
        "{}",
        text(&out.stderr)
    );
    until("the container ends", || !alive(pid));
    assert_eq!(field(&b.state("s1"), "status"), "stopped");
    assert_eq!(b.read("program"), "", "the program did not run");
    // The container's standard error is create's.
    let err = text(&std::fs::read(b.dir.path().join("err.0")).unwrap());
    assert!(
        err.contains("nsrun: hooks.startContainer[0] /bin/sh: exited with status 4"),
        "{err}"
    );
    assert!(b.run(&["delete", "s1"]).status.success());
    assert!(b.files().is_empty(), "{:?}", b.files());
}

/// What runs at start and delete was fixed at create: a bundle changed later changes nothing.
/// And the OCI `run` (create, start, wait, delete) runs the hooks too.
#[test]
#[ignore = "needs root"]
fn the_hooks_are_those_of_create_and_run_runs_them() {
    let Some(b) = Bundle::new("hooks-kept", &["true"], "") else {
        return;
    };
    let dir = b.log_str();
    let hooks = |tag: &str| {
        STAGES
            .iter()
            .filter(|s| **s != "startContainer")
            .map(|s| {
                format!(
                    "{s:?}: [{}]",
                    hook(s, &format!("echo {s}-{tag} >> {dir}/order"), None)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    b.config(&["true"], &hooks("old"), "");
    let out = b.run(&["create", "k1"]);
    assert!(out.status.success(), "create: {}", text(&out.stderr));
    b.config(&["true"], &hooks("new"), "");
    assert!(b.run(&["start", "k1"]).status.success());
    let pid: i32 = field(&b.state("k1"), "pid").parse().unwrap();
    until("the container ends", || !alive(pid));
    assert!(b.run(&["delete", "k1"]).status.success());
    assert_eq!(
        b.read("order"),
        "prestart-old\ncreateRuntime-old\ncreateContainer-old\npoststart-old\npoststop-old\n"
    );
    std::fs::remove_file(b.log().join("order")).unwrap();
    let out = b.run(&["run", "k2"]);
    assert!(out.status.success(), "run: {}", text(&out.stderr));
    assert_eq!(
        b.read("order"),
        "prestart-new\ncreateRuntime-new\ncreateContainer-new\npoststart-new\npoststop-new\n"
    );
    assert!(b.files().is_empty(), "{:?}", b.files());
    // The foreground run of a bundle still refuses them, naming the list.
    let out = common::nsrun(&["run", "--oci-bundle", b.bundle().to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        out.stderr.contains("config.json: hooks.prestart"),
        "{}",
        out.stderr
    );
}

/// A hook that reads none of a large state (beyond a pipe's 64 KiB, so the runtime's write
/// fails with EPIPE for sure): the runtime goes on, not killed by SIGPIPE, in start (poststart),
/// create (createRuntime) and delete (poststop).
#[test]
#[ignore = "needs root"]
fn a_hook_that_reads_none_of_a_large_state_is_no_failure() {
    let Some(b) = Bundle::new("hooks-pipe", &["true"], "") else {
        return;
    };
    let quick = hook("quick", "exit 0", None);
    let hooks =
        format!("\"createRuntime\": [{quick}], \"poststart\": [{quick}], \"poststop\": [{quick}]");
    b.config(&["true"], &hooks, "");
    let cfg = b.bundle().join("config.json");
    let big = "x".repeat(256 << 10);
    let with = std::fs::read_to_string(&cfg).unwrap().replacen(
        "\"org.nsrun.test\": \"hooks\"",
        &format!("\"org.nsrun.test\": \"hooks\", \"big\": \"{big}\""),
        1,
    );
    std::fs::write(&cfg, with).unwrap();
    for _ in 0..3 {
        let out = b.run(&["run", "p1"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "run: {:?} {}",
            out.status,
            text(&out.stderr)
        );
        assert!(b.files().is_empty(), "{:?}", b.files());
    }
}
