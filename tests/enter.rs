//! `nsrun enter`: a process entered into a running container sees what the container's own
//! processes see (hostname, processes, mounts, network devices, namespaces), agrees with `lsns`
//! and util-linux `nsenter -t PID -a`, joins only the kinds asked for, becomes root of a user
//! namespace it joins (as root, and as the unprivileged owner of a rootless container), is
//! killed when the container's PID 1 ends, keeps `run`'s exit statuses and terminal handling,
//! refuses targets that are gone, and falls back where the kernel lacks pidfd_open (5.3) or
//! setns through a pidfd (5.8) (forced with tests/helpers/nosys.c, the path taken seen by
//! strace). `--from DIR` joins namespace files bound under DIR (in a scratch mount namespace),
//! checks what each file is, and says why a PID namespace whose processes are gone cannot be
//! entered.
//!
//! The containers are background nsrun processes, ended by pid (dropping a [`Running`] kills
//! its process group).

mod common;
mod helpers;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{
    nsrun, nsrun_bin, nsrun_cmd, require_root, require_tool, run, run_with_input, Output, Running,
    TempDir,
};

/// What a process prints of its view: `@@ SECTION` lines, then the section's content.
const VIEW: &str = r#"
echo "@@ hostname"; hostname
echo "@@ ns"; for n in mnt uts ipc net pid user cgroup time; do echo "$n $(readlink /proc/self/ns/$n)"; done
echo "@@ mountinfo"; cat /proc/self/mountinfo
echo "@@ netdev"; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort
echo "@@ pids"; ls /proc | grep -E '^[0-9]+$' | sort -n
echo "@@ self"; echo $$
echo "@@ pid1"; tr '\0' ' ' < /proc/1/cmdline; echo
echo "@@ root"; stat -L -c '%d:%i' /
echo "@@ cwd"; pwd
echo "@@ id"; id -u; id -g
echo "@@ uid_map"; cat /proc/self/uid_map
echo "@@ fds"; ls /proc/self/fd
"#;

/// A container started in the background: its launcher, and the host pid of its PID 1.
struct Container {
    /// Held: dropping it kills the container's process group.
    _running: Running,
    pid1: i32,
    dir: TempDir,
}

impl Container {
    /// Starts `nsrun OPTS -- sh -c 'cd /tmp; VIEW > DIR/view; echo ready; exec sleep 30'`
    /// (optionally as uid 65534 through setpriv), waits until it is ready, and finds its PID 1:
    /// the launcher's child.
    fn start(opts: &[&str], nobody: bool) -> Container {
        let dir = TempDir::new("enter");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let script = format!(
            "cd /tmp && {{ {VIEW} }} > '{}/view' && echo ready && exec sleep 30",
            dir.str()
        );
        let mut cmd = match nobody {
            true => {
                let mut c = Command::new(require_tool("setpriv"));
                c.args(helpers::NOBODY).arg(nsrun_bin());
                c
            }
            false => Command::new(nsrun_bin()),
        };
        cmd.args(opts).args(["--", "sh", "-c", &script]);
        let mut running = Running::spawn(&mut cmd);
        running.expect_line("ready");
        let launcher = running.pid();
        let children =
            std::fs::read_to_string(format!("/proc/{launcher}/task/{launcher}/children"))
                .unwrap_or_default();
        let pid1 = children
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the launcher {launcher} has no child: {children:?}"));
        Container {
            _running: running,
            pid1,
            dir,
        }
    }

    /// What the container's command saw.
    fn view(&self) -> BTreeMap<String, String> {
        common::sections(&std::fs::read_to_string(self.dir.path().join("view")).unwrap())
    }

    fn pid(&self) -> String {
        self.pid1.to_string()
    }
}

/// `nsrun enter ARGS... -- sh -c VIEW`, which must succeed; its view.
fn entered_view(args: &[&str]) -> (BTreeMap<String, String>, Output) {
    let mut all = vec!["enter"];
    all.extend_from_slice(args);
    all.extend(["--", "sh", "-c", VIEW]);
    let out = nsrun(&all);
    out.assert_ok();
    (out.sections(), out)
}

/// The `ns` section as a map from kind to `kind:[inode]`.
fn ns_of(view: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    view["ns"]
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// This test process's own namespaces, as `kind:[inode]`.
fn host_ns(kind: &str) -> String {
    std::fs::read_link(format!("/proc/self/ns/{kind}"))
        .unwrap()
        .display()
        .to_string()
}

#[test]
#[ignore = "needs root"]
fn enter_sees_what_the_container_sees() {
    require_root();
    let c = Container::start(&["--hostname", "enter-same"], false);
    let inside = c.view();
    let (entered, out) = entered_view(&[&c.pid()]);
    for section in ["hostname", "ns", "mountinfo", "netdev", "pid1", "root"] {
        assert_eq!(entered[section], inside[section], "{section}\n{out}");
    }
    assert_eq!(entered["hostname"].trim(), "enter-same");
    // A new network namespace: only lo, none of the host's devices.
    assert_eq!(entered["netdev"].trim(), "lo", "\n{out}");
    // The container's processes, numbered as inside: its init 1, its command 2; the entered
    // shell is a process of the container too, numbered by it.
    let pids: Vec<u32> = entered["pids"]
        .lines()
        .filter_map(|l| l.parse().ok())
        .collect();
    assert!(pids.starts_with(&[1, 2]), "{pids:?}\n{out}");
    let me: u32 = entered["self"].trim().parse().unwrap();
    assert!(me > 2 && pids.contains(&me), "{me} {pids:?}\n{out}");
    // The processes of the host are not there: fewer than a handful.
    assert!(pids.len() < 8, "{pids:?}\n{out}");
    // Its working directory is its target's: PID 1's, nsrun's init, which stays where nsrun
    // started (its command did cd /tmp).
    let cwd = std::fs::read_link(format!("/proc/{}/cwd", c.pid1)).unwrap();
    assert_eq!(Path::new(entered["cwd"].trim()), cwd, "\n{out}");
    assert_eq!(inside["cwd"].trim(), "/tmp");
    assert_ne!(ns_of(&entered)["net"], host_ns("net"));
    // None of nsrun's own descriptors (namespace files, pidfd, /proc/self, root and working
    // directory) reaches the command: 0, 1, 2 and the one ls opens.
    assert_eq!(entered["fds"], "0\n1\n2\n3\n", "\n{out}");
    // Nor one nsrun inherited: a descriptor of the host's / (9) and a high one (700), which
    // would lead out of the container.
    let script = r#"exec 9</ 700</ && exec "$@""#;
    let mut cmd = Command::new("bash");
    cmd.args(["-c", script, "bash"]).arg(nsrun_bin()).args([
        "enter",
        &c.pid(),
        "--",
        "ls",
        "/proc/self/fd",
    ]);
    let out = run(&mut cmd);
    out.assert_ok();
    assert_eq!(out.stdout, "0\n1\n2\n3\n", "\n{out}");
}

#[test]
#[ignore = "needs root"]
fn a_time_namespace_is_the_one_the_command_lives_in() {
    require_root();
    // nsrun's init makes the time namespace for its children (its own stays the host's): the
    // entered process goes where the command is, not where the init is.
    let c = Container::start(&["-m", "-p", "-T"], false);
    let inside = ns_of(&c.view());
    assert_ne!(inside["time"], host_ns("time"));
    let (entered, out) = entered_view(&[&c.pid()]);
    assert_eq!(ns_of(&entered), inside, "\n{out}");
    let (entered, out) = entered_view(&[&c.pid(), "-T", "-p"]);
    assert_eq!(ns_of(&entered)["time"], inside["time"], "\n{out}");
    assert_eq!(ns_of(&entered)["mnt"], host_ns("mnt"), "\n{out}");
}

#[test]
#[ignore = "needs root"]
fn enter_with_a_root_of_its_own_enters_that_root() {
    require_root();
    let bb = require_tool("busybox");
    // A container on a root of its own: the entered process must be inside that root, at the
    // working directory of its PID 1 (the command itself here), not at the host's /.
    let root = TempDir::new("enter-root");
    for d in ["bin", "proc", "tmp", "work"] {
        std::fs::create_dir(root.path().join(d)).unwrap();
    }
    std::fs::copy(&bb, root.path().join("bin/busybox")).unwrap();
    for tool in ["sh", "sleep", "cat", "echo", "pwd", "ls"] {
        std::os::unix::fs::symlink("busybox", root.path().join("bin").join(tool)).unwrap();
    }
    std::fs::write(root.path().join("marker"), "the container's root\n").unwrap();
    let script = "cd /work && echo ready && exec sleep 30";
    let mut cmd = nsrun_cmd(&[
        "--root",
        root.str(),
        "--as-pid-1",
        "--",
        "/bin/sh",
        "-c",
        script,
    ]);
    let mut r = Running::spawn(&mut cmd);
    r.expect_line("ready");
    let launcher = r.pid();
    let pid1 = std::fs::read_to_string(format!("/proc/{launcher}/task/{launcher}/children"))
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let out = nsrun(&[
        "enter",
        &pid1,
        "--",
        "/bin/sh",
        "-c",
        "cat /marker; pwd; ls /",
    ]);
    out.assert_ok();
    assert_eq!(
        out.lines(),
        [
            "the container's root",
            "/work",
            "bin",
            "marker",
            "proc",
            "tmp",
            "work"
        ],
        "\n{out}"
    );
    drop(r);
}

#[test]
#[ignore = "needs root"]
fn lsns_and_nsenter_agree_with_what_enter_joins() {
    require_root();
    let lsns = require_tool("lsns");
    let nsenter = require_tool("nsenter");
    let all = ["-m", "-u", "-i", "-n", "-p", "-C"];
    let c = Container::start(&[&all[..], &["--hostname", "enter-lsns"]].concat(), false);
    let (entered, out) = entered_view(&[&c.pid()]);
    let joined = ns_of(&entered);
    // lsns lists the namespaces PID 1 is in, by type and inode.
    // (lsns walks every process of /proc: one that ends meanwhile, from tests running at the
    // same time, can make it fail; a few tries.)
    let lsns_run = || run(Command::new(&lsns).args(["-n", "-o", "TYPE,NS", "-p", &c.pid()]));
    let mut listed = lsns_run();
    for _ in 0..5 {
        if listed.code() == Some(0) {
            break;
        }
        listed = lsns_run();
    }
    listed.assert_code(0);
    let mut seen = 0;
    for line in listed.lines() {
        let mut f = line.split_whitespace();
        let (Some(kind), Some(ino)) = (f.next(), f.next()) else {
            continue;
        };
        if let Some(ours) = joined.get(kind) {
            assert_eq!(ours, &format!("{kind}:[{ino}]"), "lsns: {line}\n{out}");
            seen += 1;
        }
    }
    assert_eq!(seen, 8, "lsns listed every kind\n{listed}");
    // nsenter -t PID -a joins the same ones (time aside: nsenter takes ns/time).
    let theirs = run(Command::new(nsenter).args(["-t", &c.pid(), "-a", "sh", "-c", VIEW]));
    theirs.assert_code(0);
    let theirs_ns = ns_of(&theirs.sections());
    assert_eq!(theirs_ns, joined, "nsenter\n{theirs}\nnsrun\n{out}");
    assert_ne!(joined["cgroup"], host_ns("cgroup"));
    assert_eq!(theirs.sections()["hostname"], entered["hostname"]);
}

#[test]
#[ignore = "needs root"]
fn chosen_letters_join_only_those_kinds() {
    require_root();
    let c = Container::start(&["--hostname", "enter-letters"], false);
    let inside = ns_of(&c.view());
    let pid = c.pid();
    for (letters, joined) in [
        (vec!["-u"], vec!["uts"]),
        (vec!["-n"], vec!["net"]),
        (vec!["--uts", "--net"], vec!["uts", "net"]),
        (vec!["-t", &pid, "-i", "-p"], vec!["ipc", "pid"]),
        // The container's /proc shows only the processes of its PID namespace: a process in
        // its mount namespace alone could not read its own /proc/self there.
        (vec!["-m", "-p"], vec!["mnt", "pid"]),
    ] {
        let mut args: Vec<&str> = letters.clone();
        if !letters.contains(&"-t") {
            args.insert(0, &pid);
        }
        let (view, out) = entered_view(&args);
        let ns = ns_of(&view);
        for (kind, theirs) in &inside {
            let want = match joined.contains(&kind.as_str()) {
                true => theirs.clone(),
                false => host_ns(kind),
            };
            assert_eq!(&ns[kind], &want, "{letters:?}: {kind}\n{out}");
        }
        let hostname = match joined.contains(&"uts") {
            true => "enter-letters".to_string(),
            false => run(&mut Command::new("hostname")).stdout.trim().to_string(),
        };
        assert_eq!(view["hostname"].trim(), hostname, "{letters:?}\n{out}");
    }
}

#[test]
#[ignore = "needs root"]
fn the_entered_process_dies_with_the_containers_pid_1() {
    require_root();
    for opts in [&[][..], &["--as-pid-1"][..]] {
        let c = Container::start(opts, false);
        let mut entered = Running::spawn(&mut nsrun_cmd(&[
            "enter",
            &c.pid(),
            "--",
            "sh",
            "-c",
            "echo in; exec sleep 30",
        ]));
        entered.expect_line("in");
        // The container's PID 1 ends (SIGKILL, from the host): the kernel kills every process
        // of its PID namespace, the entered one too, and nsrun enter says so by its status.
        common::send_signal(c.pid1, libc::SIGKILL);
        let out = entered.wait();
        out.assert_code(128 + libc::SIGKILL);
        assert_eq!(out.stderr, "", "{opts:?}\n{out}");
        drop(c);
    }
}

#[test]
#[ignore = "needs root"]
fn a_named_container_is_entered_and_a_stale_or_reused_one_never() {
    require_root();
    let dir = TempDir::new("enter-state");
    // A state directory only its owner may open (nsrun refuses one others could lock).
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let sd = dir.str();
    let run_named = |name: &str| {
        let out = nsrun(&[
            "run",
            "--name",
            name,
            "--state-dir",
            sd,
            "-d",
            "--hostname",
            name,
            "--",
            "sleep",
            "30",
        ]);
        out.assert_ok();
        let pid: i32 = out.stdout.trim().parse().unwrap();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        (pid, common::parse_stat(&stat).unwrap().ppid)
    };
    let enter = |name: &str| nsrun(&["enter", "--state-dir", sd, name, "--", "hostname"]);
    // By name: its PID 1, as the store recorded it.
    let (pid, launcher) = run_named("enter-named");
    let out = enter("enter-named");
    out.assert_ok();
    assert_eq!(out.stdout, "enter-named\n");
    // The entry names another pid now, as when the recorded one was reused by another process
    // (here a live process of this test, started at another time): never entered.
    // A reused pid starts later than the recorded process; start times count clock ticks of
    // 10 ms, so the stand-in must start in a later tick than the container did (on a quiet
    // machine both can fall in one tick, and then no start time could tell them apart).
    let entry_path = dir.path().join("enter-named");
    let entry = std::fs::read_to_string(&entry_path).unwrap();
    let recorded = entry
        .lines()
        .find_map(|l| l.strip_prefix("pid-start "))
        .expect("a pid-start line")
        .to_string();
    let start_of = |pid: u32| {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let rest = stat.rsplit_once(')').unwrap().1.to_string();
        rest.split_whitespace().nth(19).unwrap().to_string()
    };
    let mut other = loop {
        let mut c = Command::new("sleep").arg("30").spawn().unwrap();
        if start_of(c.id()) != recorded {
            break c;
        }
        c.kill().unwrap();
        c.wait().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let reused = entry.replace(
        &format!("\npid {pid}\n"),
        &format!("\npid {}\n", other.id()),
    );
    assert_ne!(reused, entry);
    std::fs::write(&entry_path, &reused).unwrap();
    let out = enter("enter-named");
    out.assert_code(1);
    out.assert_one_error_line(&["enter: ", "enter-named"]);
    assert_eq!(out.stdout, "", "\n{out}");
    other.kill().unwrap();
    other.wait().unwrap();
    std::fs::write(&entry_path, &entry).unwrap();
    // Ended (its PID 1 killed): refused with 1, as kill and wait do.
    common::send_signal(pid, libc::SIGKILL);
    let gone = |p: i32| !Path::new(&format!("/proc/{p}")).exists();
    assert!(common::poll(common::TIMEOUT, || gone(launcher)));
    let out = enter("enter-named");
    out.assert_code(1);
    out.assert_one_error_line(&["enter: ", "enter-named"]);
    // Unknown, and not a name at all.
    let out = enter("no-such-container");
    out.assert_code(1);
    out.assert_one_error_line(&["no container named 'no-such-container'", "nsrun list"]);
    nsrun(&["enter", "--state-dir", sd, "../x", "true"]).assert_code(2);
}

#[test]
#[ignore = "needs root"]
fn a_thread_of_the_container_is_entered_by_its_id() {
    require_root();
    require_tool("python3");
    // A thread that leads no process has no pidfd of its own (pidfd_open refuses it): it is
    // pinned by its start time, as before Linux 5.3.
    let script = "import threading, time, os\n\
        t = threading.Thread(target=time.sleep, args=(30,)); t.start()\n\
        print('ready', flush=True); t.join()";
    let mut cmd = nsrun_cmd(&["--hostname", "enter-thread", "--", "python3", "-c", script]);
    let mut r = Running::spawn(&mut cmd);
    r.expect_line("ready");
    // The process of the container with a second thread: python.
    let tid = common::descendants(r.pid())
        .into_iter()
        .find_map(|p| {
            std::fs::read_dir(format!("/proc/{}/task", p.pid))
                .ok()?
                .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
                .find(|t| *t != p.pid)
        })
        .expect("python3's second thread");
    let out = nsrun(&["enter", &tid.to_string(), "-u", "hostname"]);
    out.assert_ok();
    assert_eq!(out.stdout, "enter-thread\n");
    drop(r);
}

#[test]
#[ignore = "needs root"]
fn the_entered_process_dies_with_nsrun_enter() {
    require_root();
    let c = Container::start(&[], false);
    let mut entered = Running::spawn(&mut nsrun_cmd(&[
        "enter",
        &c.pid(),
        "--",
        "sh",
        "-c",
        "echo in; exec sleep 30",
    ]));
    entered.expect_line("in");
    let below = common::descendants(entered.pid());
    assert_eq!(below.len(), 1, "{below:?}");
    // SIGKILL, which nsrun cannot pass on: the kernel's parent-death signal ends the command.
    entered.signal(libc::SIGKILL);
    let _ = entered.reap();
    assert!(
        common::poll(common::TIMEOUT, || !common::alive(&below[0])),
        "the entered command outlived nsrun enter: {below:?}"
    );
}

#[test]
#[ignore = "needs root"]
fn user_namespace_as_root() {
    require_root();
    let c = Container::start(
        &[
            "-U",
            "--uid-map",
            "0:100000:65536",
            "--gid-map",
            "0:100000:65536",
        ],
        false,
    );
    let inside = c.view();
    let (entered, out) = entered_view(&[&c.pid()]);
    assert_eq!(entered["id"], "0\n0\n", "\n{out}");
    assert_eq!(entered["uid_map"], inside["uid_map"], "\n{out}");
    assert_eq!(ns_of(&entered), ns_of(&inside), "\n{out}");
    assert_ne!(ns_of(&entered)["user"], host_ns("user"));
    // Only the user namespace: root of it, in the host's other namespaces.
    let (view, out) = entered_view(&[&c.pid(), "-U"]);
    assert_eq!(view["id"], "0\n0\n", "\n{out}");
    assert_eq!(ns_of(&view)["net"], host_ns("net"), "\n{out}");
}

#[test]
#[ignore = "needs root"]
fn user_namespace_as_its_unprivileged_owner() {
    require_root();
    if common::skip_without_unprivileged_userns() {
        return;
    }
    // A rootless container of uid 65534, entered by the same uid: its PID 1, nsrun's init, is
    // not dumpable and its memory belongs to the host's user namespace, where uid 65534 has no
    // CAP_SYS_PTRACE: nsrun enters through its command, which is open to the owner of the
    // container's user namespace. With --as-pid-1 the command is PID 1.
    for pid1 in [&[][..], &["--as-pid-1"][..]] {
        let opts = [&["-r", "--hostname", "rootless"][..], pid1].concat();
        rootless_owner_enters(&Container::start(&opts, true));
    }
}

fn rootless_owner_enters(c: &Container) {
    let inside = c.view();
    let mut cmd = Command::new(require_tool("setpriv"));
    cmd.args(helpers::NOBODY)
        .arg(nsrun_bin())
        .args(["enter", &c.pid(), "--", "sh", "-c", VIEW]);
    let out = run(&mut cmd);
    out.assert_ok();
    let entered = out.sections();
    for section in ["hostname", "ns", "id", "uid_map", "mountinfo", "cwd"] {
        assert_eq!(entered[section], inside[section], "{section}\n{out}");
    }
    assert_eq!(entered["id"], "0\n0\n");
    // Root with supplementary groups: they are dropped before the user namespace is joined
    // (inside it, which denies setgroups, they could not be), so no host group goes in.
    let mut cmd = Command::new(require_tool("setpriv"));
    cmd.args(["--groups", "4,20"]).arg(nsrun_bin()).args([
        "enter",
        &c.pid(),
        "--",
        "sh",
        "-c",
        "grep Groups /proc/self/status; id -u",
    ]);
    let out = run(&mut cmd);
    out.assert_ok();
    let groups = out.lines()[0].strip_prefix("Groups:").map(str::trim);
    assert_eq!(groups, Some(""), "\n{out}");
    assert_eq!(out.lines()[1], "0", "\n{out}");
    // Another unprivileged uid may not.
    let mut cmd = Command::new(require_tool("setpriv"));
    cmd.args(["--reuid", "65533", "--regid", "65533", "--clear-groups"])
        .arg(nsrun_bin())
        .args(["enter", &c.pid(), "true"]);
    let out = run(&mut cmd);
    out.assert_code(125);
    out.assert_one_error_line(&["enter: open the", "Permission denied", "hint:"]);
}

#[test]
#[ignore = "needs root"]
fn exit_statuses_are_those_of_run() {
    require_root();
    let c = Container::start(&[], false);
    let pid = c.pid();
    let out = nsrun(&["enter", &pid, "--", "sh", "-c", "exit 7"]);
    out.assert_code(7);
    let out = nsrun(&["enter", &pid, "--", "sh", "-c", "kill -TERM $$"]);
    out.assert_code(128 + libc::SIGTERM);
    let out = nsrun(&["enter", &pid, "--", "no-such-command"]);
    out.assert_code(127);
    out.assert_one_error_line(&["execute no-such-command", "No such file or directory"]);
    let out = nsrun(&["enter", &pid, "--", "/tmp"]);
    out.assert_code(126);
    out.assert_one_error_line(&["execute /tmp", "Permission denied"]);
    // Without a PID namespace to join nsrun executes the command itself: the same statuses.
    let out = nsrun(&["enter", &pid, "-u", "--", "no-such-command"]);
    out.assert_code(127);
    let out = nsrun(&["enter", &pid, "-u", "--", "sh", "-c", "exit 9"]);
    out.assert_code(9);
    // The default command is /bin/sh, inside.
    let out = run_with_input(&mut nsrun_cmd(&["enter", &pid]), b"echo $$; exit 4\n");
    out.assert_code(4);
    assert!(out.stdout.trim().parse::<u32>().unwrap() > 2, "\n{out}");
    // Usage errors: 2.
    for args in [
        &["enter"][..],
        &["enter", "-t", "x"],
        &["enter", "1", "--net=x"],
    ] {
        nsrun(args).assert_code(2);
    }
}

#[test]
#[ignore = "needs root"]
fn a_target_that_is_gone_is_refused() {
    require_root();
    // A pid with no process, and one that ended (reaped: its number is free).
    let mut child = Command::new("true").spawn().unwrap();
    let gone = child.id().to_string();
    child.wait().unwrap();
    for pid in [gone.as_str(), "4194303"] {
        let out = nsrun(&["enter", pid, "true"]);
        out.assert_code(125);
        out.assert_one_error_line(&["enter: no process", pid]);
    }
    // (A zombie, and a process that ends between the pidfd and the opens, are in the unit tests
    // of join::target, which hold a pidfd of one.)
    // A container that ends while nsrun opens its files: SIGKILL during a loop of enters; each
    // either ran the command inside (exit 0, the container's hostname) or was refused with one
    // line, never ran it elsewhere.
    for _ in 0..5 {
        let c = Container::start(&["--hostname", "enter-race"], false);
        let pid = c.pid();
        let racer = std::thread::spawn({
            let pid1 = c.pid1;
            move || {
                std::thread::sleep(Duration::from_millis(20));
                common::send_signal(pid1, libc::SIGKILL);
            }
        });
        for _ in 0..30 {
            let out = nsrun(&["enter", &pid, "-u", "hostname"]);
            match out.code() {
                Some(0) => assert_eq!(out.stdout, "enter-race\n", "\n{out}"),
                Some(125) => {
                    out.assert_one_error_line(&["enter:"]);
                }
                _ => panic!("unexpected\n{out}"),
            }
        }
        racer.join().unwrap();
        drop(c);
    }
}

#[test]
#[ignore = "needs root"]
fn without_pidfd_open_or_setns_through_a_pidfd() {
    require_root();
    let strace = require_tool("strace");
    let c = Container::start(&["--hostname", "enter-old"], false);
    let inside = c.view();
    for set in ["pidfd_open", "setns_flags", "pidfd_open,setns_flags"] {
        let mut cmd = helpers::nosys_cmd(
            set,
            &strace,
            &[
                "-f",
                "-qq",
                "-e",
                "trace=setns,pidfd_open",
                "-o",
                "/dev/stderr",
            ],
        );
        cmd.arg(nsrun_bin())
            .args(["enter", &c.pid(), "--", "sh", "-c", VIEW]);
        let out = run(&mut cmd);
        out.assert_code(0);
        let entered = out.sections();
        for section in ["hostname", "ns", "mountinfo", "netdev"] {
            assert_eq!(entered[section], inside[section], "{set}: {section}\n{out}");
        }
        let per_file = out.stderr.matches("setns(").count();
        let several = out.stderr.contains("CLONE_NEWNS|");
        match set {
            // No pidfd: per file, never several at once.
            "pidfd_open" | "pidfd_open,setns_flags" => {
                assert!(!several && per_file == 5, "{set}\n{out}");
                assert!(out.stderr.contains("pidfd_open(") && out.stderr.contains("ENOSYS"));
            }
            // The pidfd's setns refused with EINVAL as before 5.8, then per file.
            _ => {
                assert!(several && per_file == 6, "{set}\n{out}");
                assert!(out.stderr.contains("= -1 EINVAL"), "{set}\n{out}");
            }
        }
    }
    // And where the kernel has both: one setns through the pidfd.
    let mut cmd = Command::new(&strace);
    cmd.args(["-f", "-qq", "-e", "trace=setns", "-o", "/dev/stderr"])
        .arg(nsrun_bin())
        .args(["enter", &c.pid(), "hostname"]);
    let out = run(&mut cmd);
    out.assert_code(0);
    assert_eq!(out.stderr.matches("setns(").count(), 1, "\n{out}");
    assert_eq!(out.stdout, "enter-old\n");
}

#[test]
#[ignore = "needs root"]
fn on_a_terminal_an_interactive_shell_runs_with_job_control() {
    require_root();
    let script = require_tool("script");
    let c = Container::start(&["--hostname", "enter-tty"], false);
    for shell in ["/bin/sh", "/bin/bash"] {
        let line = format!("{} enter {} -- {shell} -i", nsrun_bin().display(), c.pid());
        let out = run_with_input(
            Command::new(&script).args(["-qec", &line, "/dev/null"]),
            b"hostname\necho \"pid=$$\"\nexit 3\n",
        );
        out.assert_code(3);
        assert!(out.stdout.contains("enter-tty"), "{shell}\n{out}");
        assert!(!out.stdout.contains("Cannot set tty"), "{shell}\n{out}");
        assert!(!out.stdout.contains("no job control"), "{shell}\n{out}");
    }
}

#[test]
#[ignore = "needs root"]
fn ctrl_z_stops_nsrun_enter_as_a_job_and_fg_then_ctrl_c_end_the_command() {
    require_root();
    let c = Container::start(&[], false);
    // ^Z reaches the command in the terminal's foreground; nsrun enter stops with it, so the
    // shell lists it as a stopped job; fg continues both, and ^C then ends the command.
    let enter = format!("enter {}", c.pid());
    let mut t = common::Terminal::stopped_job(&enter, "; echo rc=$?");
    t.wait_for("rc=148", 1);
    t.type_in("echo back-in-shell; jobs\n");
    t.wait_for("back-in-shell", 2);
    t.wait_for("Stopped", 2);
    t.fg_and_interrupt();
    // bg, then fg of a running job (no SIGCONT): the ^C that reaches nsrun enter goes on to
    // the command's process group.
    let mut t = common::Terminal::stopped_job(&enter, "");
    t.type_in("bg\n");
    t.wait_for("&", 1);
    t.fg_and_interrupt();
}

#[test]
#[ignore = "needs root"]
fn signals_to_nsrun_enter_reach_the_command() {
    require_root();
    let c = Container::start(&[], false);
    let script = "trap 'echo got-TERM; exit 42' TERM; echo ready; while :; do sleep 0.05; done";
    let mut r = Running::spawn(&mut nsrun_cmd(&[
        "enter",
        &c.pid(),
        "--",
        "sh",
        "-c",
        script,
    ]));
    r.expect_line("ready");
    r.signal(libc::SIGTERM);
    let out = r.wait();
    out.assert_code(42);
    assert_eq!(out.lines(), ["ready", "got-TERM"], "\n{out}");
}

/// Runs `script` in a scratch mount namespace with `$NSRUN` and `$1`... set; see
/// [`common::in_scratch_mount_ns`].
fn scratch(script: &str, args: &[&str]) -> Output {
    common::in_scratch_mount_ns(script, args)
}

/// Binds the namespace files of `$1` (a pid) named in `$3` under `$2` (on a tmpfs of the
/// scratch namespace), then runs the rest of the script.
const BIND_KEPT: &str = r#"
    mount -t tmpfs nsrun-kept "$2" || exit 99
    for n in $3; do touch "$2/$n" && mount --bind "/proc/$1/ns/$n" "$2/$n" || exit 98; done
"#;

/// Starts a container inside the scratch namespace (`$NSRUN --hostname enter-kept -- sh -c`
/// writing its view to `$2.view`, whole or not at all), waits for it, and sets `$P` to its PID 1: a mount namespace
/// file can be bound only in a mount namespace older than it (the kernel refuses what could
/// make a loop), so the container's must be made after the scratch one.
const START_INSIDE: &str = r#"
    v="$2.view"
    $NSRUN --hostname enter-kept -- sh -c "{ $VIEW } > '$v.tmp' && mv '$v.tmp' '$v'; exec sleep 30" & L=$!
    trap 'kill $L' EXIT
    i=0; while [ ! -s "$v" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
    read -r P _ < /proc/$L/task/$L/children
    echo "@@ inside"; sed 's/^@@ /## /' "$v"; rm -f "$v"
"#;

/// The first CPU this test may run on (`Cpus_allowed_list` of its status).
fn first_cpu() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let list = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .unwrap_or("0");
    list.trim()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap_or("0")
        .to_string()
}

#[test]
#[ignore = "needs root"]
fn from_a_directory_of_kept_namespaces() {
    require_root();
    let dir = TempDir::new("kept");
    let script = format!(
        r#"{START_INSIDE}
        mount -t tmpfs nsrun-kept "$2" || exit 99
        for n in uts net ipc pid mnt; do touch "$2/$n" && mount --bind "/proc/$P/ns/$n" "$2/$n" || exit 98; done
        $NSRUN enter --from "$2" -- sh -c "$VIEW" > "$2.entered"; rc=$?
        echo "@@ entered"; sed 's/^@@ /## /' "$2.entered"; rm -f "$2.entered"; echo "@@ rc"; echo $rc
        echo "@@ one"; $NSRUN enter --from "$2" -u hostname; echo "rc=$?"
        echo "@@ missing"; $NSRUN enter --from "$2" -C true 2>&1; echo "rc=$?""#
    );
    // On one CPU: the kernel numbers namespaces per CPU, and the loop check that lets a mount
    // namespace file be bound only in an older namespace compares those numbers, so a container
    // made on the other CPU may look older than the scratch namespace.
    let mut cmd = Command::new(require_tool("taskset"));
    cmd.args(["-c", &first_cpu(), "unshare"]);
    cmd.args([
        "--mount",
        "--propagation",
        "private",
        "--",
        "sh",
        "-c",
        &script,
        "sh",
    ])
    .args(["x", dir.str()])
    .env("NSRUN", nsrun_bin())
    .env("VIEW", VIEW);
    let out = run(&mut cmd);
    let s = out.sections();
    assert_eq!(s.get("rc").map(|r| r.trim()), Some("0"), "\n{out}");
    let nested = |text: &str| common::sections(&text.replace("## ", "@@ "));
    let (inside, entered) = (nested(&s["inside"]), nested(&s["entered"]));
    assert!(inside.contains_key("mountinfo"), "\n{out}");
    for section in ["hostname", "ns", "netdev", "mountinfo", "pid1"] {
        assert_eq!(
            entered.get(section),
            inside.get(section),
            "{section}\n{out}"
        );
    }
    // One kind from the directory, and one it does not have.
    assert_eq!(s["one"], "enter-kept\nrc=0\n", "\n{out}");
    assert!(
        s["missing"].contains("/cgroup is missing (hint:"),
        "\n{out}"
    );
    assert!(s["missing"].ends_with("rc=125\n"), "\n{out}");
}

#[test]
#[ignore = "needs root"]
fn kept_files_are_checked_by_what_the_kernel_says_they_are() {
    require_root();
    let c = Container::start(&[], false);
    let dir = TempDir::new("kept-bad");
    // DIR/net holds the uts namespace; DIR/ipc is a plain file; DIR/pid a FIFO (an open would
    // block); DIR/uts a link to a real namespace file (not followed).
    let script = r#"
        mount -t tmpfs nsrun-kept "$2" || exit 99
        touch "$2/net" && mount --bind "/proc/$1/ns/uts" "$2/net" || exit 98
        echo x > "$2/ipc"; mkfifo "$2/pid"; ln -s "/proc/$1/ns/uts" "$2/uts"
        for k in -n -i -p -u; do echo "@@ $k"; $NSRUN enter --from "$2" $k true 2>&1; echo "rc=$?"; done
    "#;
    let out = scratch(script, &[&c.pid(), dir.str()]);
    out.assert_code(0);
    let s = out.sections();
    assert!(
        s["-n"].contains("is a uts namespace, not a net namespace"),
        "\n{out}"
    );
    for k in ["-i", "-p", "-u"] {
        assert!(s[k].contains("not a namespace file"), "{k}\n{out}");
    }
    for k in ["-n", "-i", "-p", "-u"] {
        assert!(s[k].ends_with("rc=125\n"), "{k}\n{out}");
        assert_eq!(s[k].lines().count(), 2, "one line each\n{out}");
    }
}

#[test]
#[ignore = "needs root"]
fn a_kept_directory_swapped_underneath_never_mixes_two_directories() {
    require_root();
    require_tool("python3");
    let c = Container::start(&["--hostname", "enter-swap"], false);
    let dir = TempDir::new("kept-swap");
    // $2/a/net is the container's net namespace; $2/b/net is its uts namespace, under the same
    // name. A racer swaps a and b (RENAME_EXCHANGE) as fast as it can: every enter --from a -n
    // either joins the container's net namespace or refuses the uts one by what the kernel says
    // it is; nothing else.
    let script = r#"
        mount -t tmpfs nsrun-kept "$2" || exit 99
        mkdir "$2/a" "$2/b" && touch "$2/a/net" "$2/b/net" || exit 98
        mount --bind "/proc/$1/ns/net" "$2/a/net" && mount --bind "/proc/$1/ns/uts" "$2/b/net" || exit 97
        python3 -c '
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
a, b = sys.argv[1].encode(), sys.argv[2].encode()
if libc.renameat2(-100, a, -100, b, 2) != 0:
    sys.exit("renameat2: errno %d" % ctypes.get_errno())
open(sys.argv[3], "w").close()
while True:
    libc.renameat2(-100, a, -100, b, 2)
' "$2/a" "$2/b" "$2/swapping" & S=$!
        trap 'kill $S' EXIT
        i=0; while [ ! -e "$2/swapping" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
        for i in $(seq 200); do $NSRUN enter --from "$2/a" -n readlink /proc/self/ns/net 2>&1; done
        exit 0
    "#;
    let out = scratch(script, &[&c.pid(), dir.str()]);
    out.assert_code(0);
    let net = std::fs::read_link(format!("/proc/{}/ns/net", c.pid1)).unwrap();
    let (mut joined, mut refused) = (0, 0);
    for line in out.lines() {
        if line == net.to_str().unwrap() {
            joined += 1;
        } else if line.contains("is a uts namespace, not a net namespace") {
            refused += 1;
        } else {
            panic!("unexpected line {line:?}\n{out}");
        }
    }
    assert_eq!(joined + refused, 200, "\n{out}");
    // Both happened: the racer did swap them while nsrun ran.
    assert!(
        joined > 0 && refused > 0,
        "{joined} joined, {refused} refused\n{out}"
    );
}

#[test]
#[ignore = "needs root"]
fn namespaces_kept_by_run_keep_are_entered_after_the_container_ended() {
    require_root();
    let dir = TempDir::new("keep-enter");
    // run --keep DIR, a container that leaves a file in its mount namespace's own tmpfs and
    // ends; then enter --from DIR (its PID namespace is empty now: the other kinds), release.
    let script = r#"
        $NSRUN --keep "$2" --hostname enter-keep --tmpfs /mnt -- sh -c 'echo left > /mnt/f' || exit 99
        echo "@@ all"; $NSRUN enter --from "$2" true 2>&1; echo "rc=$?"
        echo "@@ some"; $NSRUN enter --from "$2" -m -u -i -n -- sh -c 'hostname; cat /mnt/f'; echo "rc=$?"
        $NSRUN release "$2" || exit 98
        echo "@@ after"; ls -A "$2"; $NSRUN enter --from "$2" -u true 2>&1; echo "rc=$?"
    "#;
    // On one CPU: see from_a_directory_of_kept_namespaces.
    let mut cmd = Command::new(require_tool("taskset"));
    cmd.args([
        "-c",
        &first_cpu(),
        "unshare",
        "--mount",
        "--propagation",
        "private",
    ])
    .args(["--", "sh", "-c", script, "sh", "x", dir.str()])
    .env("NSRUN", nsrun_bin());
    let out = run(&mut cmd);
    out.assert_code(0);
    let s = out.sections();
    assert!(
        s["all"].contains("no process is left in that PID namespace"),
        "\n{out}"
    );
    assert!(s["all"].ends_with("rc=125\n"), "\n{out}");
    assert_eq!(s["some"], "enter-keep\nleft\nrc=0\n", "\n{out}");
    assert!(s["after"].contains("/uts is missing"), "\n{out}");
    assert!(s["after"].ends_with("rc=125\n"), "\n{out}");
}

#[test]
#[ignore = "needs root"]
fn a_kept_pid_namespace_without_processes_cannot_be_entered() {
    require_root();
    let c = Container::start(&[], false);
    let dir = TempDir::new("kept-pid");
    let script = format!(
        r#"{BIND_KEPT}
        kill -KILL "$1"
        i=0; while [ -e "/proc/$1/ns" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i+1)); done
        $NSRUN enter --from "$2" -p true"#
    );
    let out = scratch(&script, &[&c.pid(), dir.str(), "pid"]);
    out.assert_code(125);
    out.assert_one_error_line(&[
        "start the command in the PID namespace",
        "/pid",
        "Out of memory",
        "no process is left in that PID namespace",
    ]);
}
