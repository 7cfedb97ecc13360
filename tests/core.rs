//! Integration tests of nsrun's core: namespaces, PID 1, hostname, network, mount propagation,
//! failing closed, the init (reaping, signals), exit statuses and leaving nothing behind.
//!
//! They run the static binary (see `common::nsrun_bin`). Tests that need root are ignored unless
//! asked for (`cargo test -- --include-ignored`, as scripts/test.sh does when root). Nothing here
//! changes the machine's mounts: every test that mounts, or that needs a shared `/`, works inside
//! a scratch mount namespace (`common::in_scratch_mount_ns`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Duration;

use common::{
    cmdline, descendants, host_mountinfo, in_scratch_mount_ns, nsrun, nsrun_bin, nsrun_cmd,
    parse_stat, poll, require_root, require_tool, run, run_with_input, send_signal, show_status,
    Running, TempDir,
};

// ---------------------------------------------------------------------------------------------
// PID namespace

#[test]
#[ignore = "needs root"]
fn command_is_pid_2_under_nsrun_init() {
    require_root();
    let out = nsrun(&["--", "sh", "-c", "echo $$; echo $PPID"]);
    out.assert_ok();
    assert_eq!(out.lines(), ["2", "1"], "\n{out}");
}

#[test]
#[ignore = "needs root"]
fn as_pid_1_runs_the_command_as_pid_1() {
    require_root();
    let out = nsrun(&["--as-pid-1", "--", "sh", "-c", "echo $$; echo $PPID"]);
    out.assert_ok();
    assert_eq!(out.lines(), ["1", "0"], "\n{out}");
}

/// The pids and command names `busybox ps` prints.
fn ps_inside(extra: &[&str]) -> BTreeMap<u32, String> {
    let busybox = require_tool("busybox");
    let busybox = busybox.to_str().unwrap();
    let mut args = extra.to_vec();
    args.extend(["--", busybox, "ps"]);
    let out = nsrun(&args);
    out.assert_ok();
    let mut lines = out.stdout.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.trim_start().starts_with("PID"),
        "no ps header\n{out}"
    );
    lines
        .map(|l| {
            let (pid, rest) = l.trim_start().split_once(' ').expect("ps line");
            let pid = pid
                .parse()
                .unwrap_or_else(|_| panic!("bad ps line {l:?}\n{out}"));
            (pid, rest.to_string())
        })
        .collect()
}

#[test]
#[ignore = "needs root"]
fn ps_inside_shows_only_the_containers_processes() {
    require_root();
    let ps = ps_inside(&[]);
    let pids: Vec<u32> = ps.keys().copied().collect();
    assert_eq!(pids, [1, 2], "expected only nsrun's init and ps: {ps:#?}");
    let bin = nsrun_bin();
    let name = bin.file_name().unwrap().to_str().unwrap();
    assert!(ps[&1].contains(name), "PID 1 is not nsrun: {ps:#?}");
    assert!(ps[&2].contains("ps"), "PID 2 is not ps: {ps:#?}");
}

#[test]
#[ignore = "needs root"]
fn ps_inside_as_pid_1_shows_only_the_command() {
    require_root();
    let ps = ps_inside(&["--as-pid-1"]);
    let pids: Vec<u32> = ps.keys().copied().collect();
    assert_eq!(pids, [1], "expected only ps itself: {ps:#?}");
    assert!(ps[&1].contains("ps"), "PID 1 is not ps: {ps:#?}");
}

// ---------------------------------------------------------------------------------------------
// UTS namespace

fn host_uname_n() -> String {
    let out = run(Command::new("uname").arg("-n"));
    out.assert_ok();
    out.stdout.trim_end().to_string()
}

fn host_domainname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/domainname")
        .expect("read domainname")
        .trim_end()
        .to_string()
}

#[test]
#[ignore = "needs root"]
fn hostname_and_domainname_are_set_inside_only() {
    require_root();
    require_tool("hostname");
    let (host, domain) = (host_uname_n(), host_domainname());
    assert_ne!(
        host, "c1",
        "the host is already called c1: this test proves nothing here"
    );
    assert_ne!(
        domain, "d1",
        "the host's domain is already d1: this test proves nothing here"
    );
    let script = "hostname; uname -n; cat /proc/sys/kernel/domainname";
    let out = nsrun(&[
        "--hostname",
        "c1",
        "--domainname",
        "d1",
        "--",
        "sh",
        "-c",
        script,
    ]);
    out.assert_ok();
    assert_eq!(out.lines(), ["c1", "c1", "d1"], "\n{out}");
    assert_eq!(host_uname_n(), host, "the host's hostname changed");
    assert_eq!(host_domainname(), domain, "the host's domain name changed");
}

#[test]
#[ignore = "needs root"]
fn hostname_of_64_bytes_is_accepted() {
    require_root();
    let name = "h".repeat(64);
    let out = nsrun(&["--hostname", &name, "--", "uname", "-n"]);
    out.assert_ok();
    assert_eq!(out.stdout.trim_end(), name, "\n{out}");
}

// ---------------------------------------------------------------------------------------------
// Network namespace

/// Interface names in `ip -o link` output.
fn link_names(ip_o_link: &str) -> BTreeSet<String> {
    ip_o_link
        .lines()
        .filter_map(|l| l.split(':').nth(1))
        .map(|n| n.trim().split('@').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
#[ignore = "needs root"]
fn default_network_has_only_loopback_and_it_is_up() {
    require_root();
    let ip = require_tool("ip");
    let ip = ip.to_str().unwrap();
    let out = nsrun(&["--", ip, "-o", "link"]);
    out.assert_ok();
    assert_eq!(out.lines().len(), 1, "expected only lo\n{out}");
    assert_eq!(
        link_names(&out.stdout),
        BTreeSet::from(["lo".to_string()]),
        "\n{out}"
    );
    let flags = out.stdout.split(['<', '>']).nth(1).unwrap_or_default();
    assert!(flags.split(',').any(|f| f == "UP"), "lo is not UP\n{out}");

    // The same from /proc/net/dev, which the new /proc shows for the new network namespace.
    let out = nsrun(&["--", "cat", "/proc/net/dev"]);
    out.assert_ok();
    let devs: Vec<&str> = out
        .lines()
        .iter()
        .filter_map(|l| l.split_once(':').map(|(n, _)| n.trim()))
        .collect();
    assert_eq!(devs, ["lo"], "\n{out}");
}

#[test]
#[ignore = "needs root"]
fn share_net_sees_the_hosts_interfaces() {
    require_root();
    let ip = require_tool("ip");
    let ip = ip.to_str().unwrap();
    let host = run(Command::new(ip).args(["-o", "link"]));
    host.assert_ok();
    let out = nsrun(&["--share-net", "--", ip, "-o", "link"]);
    out.assert_ok();
    assert_eq!(
        link_names(&out.stdout),
        link_names(&host.stdout),
        "\n{out}\n{host}"
    );
}

// ---------------------------------------------------------------------------------------------
// Which namespaces are new

const KINDS: [&str; 8] = ["mnt", "uts", "ipc", "net", "pid", "user", "cgroup", "time"];

fn host_namespaces() -> BTreeMap<String, String> {
    KINDS
        .iter()
        .map(|k| {
            let link = std::fs::read_link(format!("/proc/self/ns/{k}")).expect("readlink ns");
            (k.to_string(), link.to_string_lossy().into_owned())
        })
        .collect()
}

fn namespaces_inside(opts: &[&str]) -> BTreeMap<String, String> {
    let script = "for k in mnt uts ipc net pid user cgroup time; do \
                  echo \"$k $(readlink /proc/self/ns/$k)\"; done";
    let mut args = opts.to_vec();
    args.extend(["--", "sh", "-c", script]);
    let out = nsrun(&args);
    out.assert_ok();
    let map: BTreeMap<String, String> = out
        .lines()
        .iter()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for k in KINDS {
        assert!(
            map.get(k).is_some_and(|v| v.starts_with(&format!("{k}:["))),
            "no namespace link for {k}\n{out}"
        );
    }
    map
}

/// Asserts that exactly the kinds in `new` differ from the test process's own namespaces.
#[track_caller]
fn assert_new_namespaces(opts: &[&str], new: &[&str]) {
    let host = host_namespaces();
    let inside = namespaces_inside(opts);
    for k in KINDS {
        let differs = host[k] != inside[k];
        assert_eq!(
            differs,
            new.contains(&k),
            "nsrun {opts:?}: {k} namespace {} the host's (host {}, inside {})",
            if differs { "differs from" } else { "is" },
            host[k],
            inside[k]
        );
    }
}

#[test]
#[ignore = "needs root"]
fn default_namespaces_are_mount_uts_ipc_net_pid() {
    require_root();
    assert_new_namespaces(&[], &["mnt", "uts", "ipc", "net", "pid"]);
}

#[test]
#[ignore = "needs root"]
fn share_net_keeps_the_host_network_namespace() {
    require_root();
    assert_new_namespaces(&["--share-net"], &["mnt", "uts", "ipc", "pid"]);
}

#[test]
#[ignore = "needs root"]
fn user_cgroup_and_time_options_make_those_namespaces() {
    require_root();
    assert_new_namespaces(&["-U"], &["user"]);
    assert_new_namespaces(&["--user"], &["user"]);
    assert_new_namespaces(&["-C"], &["cgroup"]);
    assert_new_namespaces(&["-T"], &["time"]);
    assert_new_namespaces(&["-m", "-p", "-T"], &["mnt", "pid", "time"]);
}

#[test]
#[ignore = "needs root"]
fn unshare_all_makes_all_eight() {
    require_root();
    assert_new_namespaces(&["--unshare-all"], &KINDS);
}

// ---------------------------------------------------------------------------------------------
// Mount propagation (always inside a scratch mount namespace)

/// In a scratch mount namespace whose `/` is made recursively shared, snapshots the mount table
/// and the number of pid directories in /proc, runs `nsrun OPTS -- true`, and snapshots again.
const PROPAGATION_SNAPSHOT: &str = r#"
mount --make-rshared /
echo "@@ before"; cat /proc/self/mountinfo
echo "@@ pids-before"; ls /proc | grep -c '^[0-9]' || true
echo "@@ output"; rc=0; "$NSRUN" "$@" -- true || rc=$?
echo "@@ rc"; echo "$rc"
echo "@@ after"; cat /proc/self/mountinfo 2>&1 || true
echo "@@ pids-after"; ls /proc | grep -c '^[0-9]' || true
echo "@@ own-pid-dir"; if [ -d "/proc/$$" ]; then echo yes; else echo no; fi
"#;

fn count(s: &str) -> u32 {
    s.trim().parse().unwrap_or(0)
}

#[test]
#[ignore = "needs root"]
fn default_private_propagation_leaves_a_shared_root_alone() {
    require_root();
    let out = in_scratch_mount_ns(PROPAGATION_SNAPSHOT, &[]);
    out.assert_ok();
    let s = out.sections();
    assert_eq!(s["rc"].trim(), "0", "\n{out}");
    assert!(
        s["before"].contains(" / / ") && s["before"].contains("shared:"),
        "the scratch namespace's / is not shared\n{out}"
    );
    assert_eq!(
        s["before"], s["after"],
        "the mount table outside changed\n{out}"
    );
    // Other tests start and end processes meanwhile, so only "still there" is stable.
    assert!(count(&s["pids-before"]) > 0, "\n{out}");
    assert!(
        count(&s["pids-after"]) > 0,
        "/proc outside lost its processes\n{out}"
    );
    assert_eq!(
        s["own-pid-dir"].trim(),
        "yes",
        "/proc outside lost the shell's pid\n{out}"
    );
}

/// Shows that the test above can fail: with `--propagation shared` the container's new /proc
/// propagates to the parent namespace and covers its /proc.
#[test]
#[ignore = "needs root"]
fn shared_propagation_leaks_the_containers_proc_into_the_parent() {
    require_root();
    let out = in_scratch_mount_ns(PROPAGATION_SNAPSHOT, &["--propagation", "shared"]);
    out.assert_code(0);
    let s = out.sections();
    assert_eq!(s["rc"].trim(), "0", "\n{out}");
    assert!(
        s["before"] != s["after"] || count(&s["pids-after"]) == 0,
        "with shared propagation the container's /proc should have reached the parent\n{out}"
    );
    assert_eq!(s["own-pid-dir"].trim(), "no", "\n{out}");
}

/// In a scratch namespace with a shared `/`: starts a container with `OPTS` that mounts a tmpfs
/// (source nsrun-test-inner), says ready and waits on its stdin; meanwhile the outside mounts a
/// tmpfs (source nsrun-test-outer), then lets the container count what it sees. Stdin and stdout of
/// the container are fifos, so a container that dies early gives end of file, never a hang.
const PROPAGATION_BOTH_WAYS: &str = r#"
d=$1; shift
mount --make-rshared /
mkdir "$d/outer" "$d/inner"; mkfifo "$d/in" "$d/out"
echo "@@ before"; cat /proc/self/mountinfo
"$NSRUN" "$@" -- sh -c '
    mount -t tmpfs nsrun-test-inner "$1/inner" && echo ready
    read x
    echo "@@ inside-sees-outer"; grep -c nsrun-test-outer /proc/self/mountinfo || true
' sh "$d" <"$d/in" >"$d/out" &
pid=$!
exec 4>"$d/in" 3<"$d/out"
read -r line <&3 || line=EOF
echo "@@ ready"; echo "$line"
mount -t tmpfs nsrun-test-outer "$d/outer"
echo "@@ outside-sees-inner"; grep -c nsrun-test-inner /proc/self/mountinfo || true
echo go >&4; exec 4>&-
echo "@@ container"; cat <&3; exec 3<&-
rc=0; wait "$pid" || rc=$?
echo "@@ rc"; echo "$rc"
umount "$d/outer"
echo "@@ after"; cat /proc/self/mountinfo
"#;

/// Runs [`PROPAGATION_BOTH_WAYS`]; returns (inside sees outer, outside sees inner, sections).
fn propagation_both_ways(opts: &[&str]) -> (u32, u32, BTreeMap<String, String>) {
    require_tool("mkfifo");
    let dir = TempDir::new("propagation");
    let mut args = vec![dir.str()];
    args.extend(opts);
    let out = in_scratch_mount_ns(PROPAGATION_BOTH_WAYS, &args);
    out.assert_code(0);
    // A shared propagation on a shared / is what the user asked for; nsrun says what it means.
    match opts.contains(&"shared") {
        true => {
            out.assert_one_error_line(&["warning: --propagation shared on a shared /"]);
        }
        false => assert_eq!(out.stderr, "", "unexpected stderr\n{out}"),
    }
    let s = out.sections();
    assert_eq!(
        s["ready"].trim(),
        "ready",
        "the container did not start\n{out}"
    );
    assert_eq!(s["rc"].trim(), "0", "\n{out}");
    let inside = s.get("inside-sees-outer").map(|c| count(c));
    let inside = inside.unwrap_or_else(|| panic!("no count from inside\n{out}"));
    (inside, count(&s["outside-sees-inner"]), s)
}

#[test]
#[ignore = "needs root"]
fn slave_propagation_receives_host_mounts_but_sends_none() {
    require_root();
    let (inside, outside, s) = propagation_both_ways(&["--propagation", "slave"]);
    assert_eq!(
        inside, 1,
        "a mount made outside did not reach the slave container: {s:#?}"
    );
    assert_eq!(
        outside, 0,
        "a mount made in the slave container leaked out: {s:#?}"
    );
    assert_eq!(s["before"], s["after"], "the mount table outside changed");
}

#[test]
#[ignore = "needs root"]
fn private_propagation_isolates_both_ways() {
    require_root();
    let (inside, outside, s) = propagation_both_ways(&[]);
    assert_eq!(
        inside, 0,
        "a mount made outside reached the private container: {s:#?}"
    );
    assert_eq!(
        outside, 0,
        "a mount made in the private container leaked out: {s:#?}"
    );
    assert_eq!(s["before"], s["after"], "the mount table outside changed");
}

/// The counterpart showing the two-way test can see propagation at all.
#[test]
#[ignore = "needs root"]
fn shared_propagation_goes_both_ways() {
    require_root();
    // Without its own /proc, so the container's proc does not cover the scratch namespace's.
    let (inside, outside, s) = propagation_both_ways(&["--propagation", "shared", "--no-proc"]);
    assert_eq!(inside, 1, "{s:#?}");
    assert_eq!(outside, 1, "{s:#?}");
}

// ---------------------------------------------------------------------------------------------
// Failing closed

/// In a scratch namespace with a shared `/`, runs nsrun chrooted into `$1` (a directory that is
/// not a mount point) and snapshots the mount table around it.
const CHROOT_RUN: &str = r#"
d=$1; shift
mount --make-rshared /
echo "@@ before"; cat /proc/self/mountinfo
echo "@@ output"; rc=0; chroot "$d" /nsrun "$@" || rc=$?
echo "@@ rc"; echo "$rc"
echo "@@ after"; cat /proc/self/mountinfo
"#;

#[test]
#[ignore = "needs root"]
fn in_a_chroot_nsrun_fails_closed_instead_of_propagating() {
    require_root();
    require_tool("chroot");
    let dir = TempDir::new("chroot");
    dir.copy_in(&nsrun_bin(), "nsrun");
    dir.copy_in(&require_tool("busybox"), "busybox");

    // Control: the same chroot works when nsrun is told to leave propagation alone and mount
    // nothing, so the failure below is about propagation and nothing else.
    let args = [
        dir.str(),
        "--propagation",
        "unchanged",
        "--no-proc",
        "--",
        "/busybox",
        "echo",
        "ok",
    ];
    let out = in_scratch_mount_ns(CHROOT_RUN, &args);
    out.assert_code(0);
    // No /proc in the chroot: nsrun cannot see whether mounts are shared, and says so.
    out.assert_one_error_line(&["warning: --propagation unchanged", "no /proc to tell"]);
    let s = out.sections();
    assert_eq!(s["rc"].trim(), "0", "\n{out}");
    assert_eq!(s["output"], "ok\n", "\n{out}");
    assert_eq!(s["before"], s["after"], "\n{out}");

    let out = in_scratch_mount_ns(CHROOT_RUN, &[dir.str(), "--", "/busybox", "true"]);
    let s = out.sections();
    assert_eq!(s["rc"].trim(), "125", "\n{out}");
    out.assert_one_error_line(&["make / private", "Invalid argument", "hint:", "chroot"]);
    assert_eq!(s["before"], s["after"], "something was mounted\n{out}");
}

// ---------------------------------------------------------------------------------------------
// The init: reaping and signals

#[test]
#[ignore = "needs root"]
fn init_reaps_orphans() {
    require_root();
    assert_orphan_is_reaped("sh -c 'echo $$' &");
}

#[test]
#[ignore = "needs root"]
fn init_reaps_orphans_in_other_process_groups() {
    require_root();
    // Job-control shells and daemons move into process groups and sessions of their own; the
    // init must reap them too (a wait for its own process group alone would leave zombies).
    assert_orphan_is_reaped("setsid sh -c 'echo $$' &");
}

#[test]
#[ignore = "needs root"]
fn command_in_its_own_session_is_waited_for() {
    require_root();
    // As an interactive shell does when it takes the terminal: the command leaves nsrun's process
    // group. The init must still see it end, and end with its status (not hang).
    let out = nsrun(&["--", "setsid", "sh", "-c", "exit 5"]);
    out.assert_code(5);
}

#[test]
#[ignore = "needs root"]
fn interactive_shell_on_a_terminal_runs_and_exits_with_its_status() {
    require_root();
    let script = require_tool("script");
    // script(1) gives nsrun a terminal; the shell then uses job control (its own process group
    // in the foreground) and reads its commands from the terminal.
    for shell in ["/bin/sh", "/bin/bash"] {
        let line = format!("{} --hostname tty1 -- {shell} -i", nsrun_bin().display());
        let out = run_with_input(
            Command::new(&script).args(["-qec", &line, "/dev/null"]),
            b"hostname\necho \"pid=$$\"\nexit 3\n",
        );
        out.assert_code(3);
        assert!(out.stdout.contains("tty1"), "{shell}\n{out}");
        assert!(out.stdout.contains("pid=2"), "{shell}\n{out}");
    }
}

/// Runs `spawn` (a shell fragment that starts a process in the background of a subshell, which
/// prints its pid) and checks that the orphan is reaped by PID 1 and no zombie is left.
fn assert_orphan_is_reaped(spawn: &str) {
    // The inner sh's parent (a subshell) exits at once, so it is reparented to PID 1 and exits.
    // Its pid comes back through the command substitution, which ends when it has exited. Then
    // wait (bounded) for its /proc entry to go, which happens only when PID 1 reaps it.
    let script = r#"
        p=$( (SPAWN) )
        echo "@@ orphan"; echo "$p"
        i=0
        while [ -e "/proc/$p" ] && [ $i -lt 300 ]; do sleep 0.01; i=$((i+1)); done
        echo "@@ fate"
        if [ -e "/proc/$p" ]; then echo "left: $(cat /proc/$p/stat)"; else echo reaped; fi
        echo "@@ stats"; cat /proc/[0-9]*/stat
    "#
    .replace("SPAWN", spawn);
    let out = nsrun(&["--", "sh", "-c", &script]);
    out.assert_ok();
    let s = out.sections();
    let orphan: u32 = s["orphan"]
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("\n{out}"));
    assert!(orphan > 2, "\n{out}");
    assert_eq!(
        s["fate"].trim(),
        "reaped",
        "the orphan was not reaped\n{out}"
    );
    let procs: Vec<_> = s["stats"].lines().filter_map(parse_stat).collect();
    assert!(!procs.is_empty(), "\n{out}");
    let zombies: Vec<_> = procs.iter().filter(|p| p.state == 'Z').collect();
    assert!(
        zombies.is_empty(),
        "zombies in the container: {zombies:?}\n{out}"
    );
}

/// Starts `nsrun OPTS -- sh` that traps `sig`, waits for its readiness line, sends `sig` to the
/// launcher (and only to it) and checks that the command got it.
fn signal_reaches_the_command(opts: &[&str], sig: i32, name: &str) {
    require_root();
    let script =
        format!("trap 'echo got-{name}; exit 42' {name}; echo ready; while :; do sleep 0.05; done");
    let mut args = opts.to_vec();
    args.extend(["--", "sh", "-c", &script]);
    let mut r = Running::spawn(&mut nsrun_cmd(&args));
    r.expect_line("ready");
    r.signal(sig);
    let out = r.wait();
    out.assert_code(42);
    assert_eq!(out.lines(), ["ready", &format!("got-{name}")], "\n{out}");
    assert_eq!(out.stderr, "", "\n{out}");
}

#[test]
#[ignore = "needs root"]
fn sigterm_to_the_launcher_reaches_the_command() {
    signal_reaches_the_command(&[], libc::SIGTERM, "TERM");
}

#[test]
#[ignore = "needs root"]
fn sigusr1_to_the_launcher_reaches_the_command() {
    signal_reaches_the_command(&[], libc::SIGUSR1, "USR1");
}

#[test]
#[ignore = "needs root"]
fn sighup_to_the_launcher_reaches_the_command() {
    signal_reaches_the_command(&[], libc::SIGHUP, "HUP");
}

#[test]
#[ignore = "needs root"]
fn sigterm_to_the_launcher_reaches_a_pid_1_command() {
    signal_reaches_the_command(&["--as-pid-1"], libc::SIGTERM, "TERM");
}

#[test]
#[ignore = "needs root"]
fn forwarded_sigterm_kills_a_command_without_a_handler_143() {
    require_root();
    let mut r = Running::spawn(&mut nsrun_cmd(&[
        "--",
        "sh",
        "-c",
        "echo ready; exec sleep 60",
    ]));
    r.expect_line("ready");
    r.signal(libc::SIGTERM);
    r.wait().assert_code(128 + libc::SIGTERM);
}

/// Starts `nsrun OPTS -- sh -c 'echo ready; exec sleep MARKER'` and returns it once the sleep
/// runs, with the container's processes as the host sees them (nsrun's descendants).
fn start_sleeper(opts: &[&str], marker: &str) -> (Running, Vec<common::Proc>, i32) {
    let script = format!("echo ready; exec sleep {marker}");
    let mut args = opts.to_vec();
    args.extend(["--", "sh", "-c", &script]);
    let mut r = Running::spawn(&mut nsrun_cmd(&args));
    r.expect_line("ready");
    let want = format!("sleep {marker}");
    let launcher = r.pid();
    let mut sleeper = None;
    let found = poll(common::TIMEOUT, || {
        sleeper = descendants(launcher)
            .into_iter()
            .find(|p| cmdline(p.pid) == want);
        sleeper.is_some()
    });
    assert!(found, "no process '{want}' below the launcher {launcher}");
    (r, descendants(launcher), sleeper.unwrap().pid)
}

fn sigkill_of_the_launcher_kills_the_container(opts: &[&str], marker: &str) {
    require_root();
    let (r, procs, _) = start_sleeper(opts, marker);
    let expected = if opts.contains(&"--as-pid-1") { 1 } else { 2 };
    assert_eq!(procs.len(), expected, "container processes: {procs:?}");
    r.signal(libc::SIGKILL);
    let st = r.reap();
    assert_eq!(show_status(&st), "signal 9");
    let gone = poll(Duration::from_secs(5), || {
        procs.iter().all(|p| !common::alive(p))
    });
    if !gone {
        let left: Vec<_> = procs.iter().filter(|p| common::alive(p)).collect();
        for p in &left {
            send_signal(p.pid, libc::SIGKILL); // ours: descendants of the launcher we started
        }
        panic!("container processes outlived the SIGKILLed launcher: {left:?}");
    }
}

#[test]
#[ignore = "needs root"]
fn sigkill_of_the_launcher_kills_the_container_with_init() {
    sigkill_of_the_launcher_kills_the_container(&[], "987653");
}

#[test]
#[ignore = "needs root"]
fn sigkill_of_the_launcher_kills_a_pid_1_command() {
    sigkill_of_the_launcher_kills_the_container(&["--as-pid-1"], "987654");
}

#[test]
#[ignore = "needs root"]
fn sigkill_of_the_launcher_kills_a_container_that_switched_ids() {
    // Explicit maps make the init switch to uid 0 of the user namespace, a credential change
    // after which the kernel clears the parent-death signal: nsrun must arm it again.
    let maps = ["--uid-map", "0:100000:65536", "--gid-map", "0:100000:65536"];
    sigkill_of_the_launcher_kills_the_container(&maps, "987655");
}

// ---------------------------------------------------------------------------------------------
// Exit statuses

#[test]
#[ignore = "needs root"]
fn exit_status_is_the_commands() {
    require_root();
    let out = nsrun(&["--", "sh", "-c", "exit 7"]);
    out.assert_code(7);
    assert_eq!(out.stderr, "", "\n{out}");
    nsrun(&["--", "true"]).assert_ok();
    nsrun(&["--as-pid-1", "--", "sh", "-c", "exit 9"]).assert_code(9);
}

#[test]
#[ignore = "needs root"]
fn killed_by_a_signal_is_128_plus_n() {
    require_root();
    let out = nsrun(&["--", "sh", "-c", "kill -TERM $$"]);
    out.assert_code(143);
    assert_eq!(out.stderr, "", "\n{out}");
    nsrun(&["--", "sh", "-c", "kill -KILL $$"]).assert_code(137);
}

/// A PID 1 cannot be killed by a signal from inside its own namespace (not even SIGKILL): the
/// kernel protects it, so `--as-pid-1` changes what such a command sees.
#[test]
#[ignore = "needs root"]
fn as_pid_1_command_survives_its_own_sigkill() {
    require_root();
    let out = nsrun(&[
        "--as-pid-1",
        "--",
        "sh",
        "-c",
        "kill -KILL $$; echo survived; exit 3",
    ]);
    out.assert_code(3);
    assert_eq!(out.lines(), ["survived"], "\n{out}");
}

/// …but from the host it can be killed, and nsrun reports 128+9.
#[test]
#[ignore = "needs root"]
fn as_pid_1_command_killed_from_the_host_is_137() {
    require_root();
    let (r, _, sleeper) = start_sleeper(&["--as-pid-1"], "987655");
    send_signal(sleeper, libc::SIGKILL); // the container's PID 1, a child of our launcher
    let out = r.wait();
    out.assert_code(137);
    assert_eq!(out.stderr, "", "\n{out}");
}

#[test]
#[ignore = "needs root"]
fn missing_command_is_127() {
    require_root();
    let out = nsrun(&["--", "nosuchcmd"]);
    out.assert_code(127);
    let line = out.assert_one_error_line(&[]);
    assert!(
        line.starts_with("nsrun: execute nosuchcmd: No such file or directory"),
        "\n{out}"
    );
    let out = nsrun(&["--as-pid-1", "--", "/no/such/cmd"]);
    out.assert_code(127);
    out.assert_one_error_line(&["execute /no/such/cmd: No such file or directory"]);
}

#[test]
#[ignore = "needs root"]
fn non_executable_file_is_126() {
    require_root();
    let dir = TempDir::new("noexec");
    let script = dir.path().join("script");
    std::fs::write(&script, "#!/bin/sh\necho ran\n").unwrap();
    // Mode 0644: even root may not execute a file without any execute bit.
    let out = nsrun(&[script.to_str().unwrap()]);
    out.assert_code(126);
    assert_eq!(out.stdout, "", "\n{out}");
    out.assert_one_error_line(&["execute ", "Permission denied"]);
    // Executable, but neither a program nor a script with a #! line.
    let text = dir.path().join("text");
    std::fs::write(&text, "just text\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&text, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = nsrun(&[text.to_str().unwrap()]);
    out.assert_code(126);
    out.assert_one_error_line(&["execute ", "Exec format error"]);
    // A directory cannot be executed either.
    let out = nsrun(&["--", dir.str()]);
    out.assert_code(126);
    out.assert_one_error_line(&["execute "]);
}

#[test]
fn usage_errors_are_2_with_one_line() {
    let long = "h".repeat(65);
    let cases: [(&[&str], &[&str]); 6] = [
        (&["--bogus"], &["unknown option '--bogus'"]),
        (&["-z", "true"], &["unknown option '-z'"]),
        (&["--hostname"], &["option '--hostname' needs a value"]),
        (
            &["--propagation", "sideways", "true"],
            &["--propagation", "'sideways'"],
        ),
        (&["--hostname", &long, "true"], &["--hostname", "65 bytes"]),
        (
            &["--domainname", &long, "true"],
            &["--domainname", "65 bytes"],
        ),
    ];
    for (args, parts) in cases {
        let out = nsrun(args);
        out.assert_code(2);
        assert_eq!(out.stdout, "", "\n{out}");
        out.assert_one_error_line(parts);
    }
}

#[test]
#[ignore = "needs root"]
fn unprivileged_setup_failure_is_125_with_a_hint() {
    require_root();
    let setpriv = require_tool("setpriv");
    // A copy nobody can surely reach and execute.
    let dir = TempDir::new("unpriv");
    let bin = dir.copy_in(&nsrun_bin(), "nsrun");
    // As an ordinary user nsrun adds a user namespace by itself (which may succeed, depending on
    // the kernel's settings); --share-user rules that out, so making the other namespaces needs
    // privileges nobody (uid 65534) lacks, and the clone fails.
    let out = run(Command::new(setpriv)
        .args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .arg(&bin)
        .args(["--share-user", "--", "true"]));
    out.assert_code(125);
    assert_eq!(out.stdout, "", "\n{out}");
    out.assert_one_error_line(&["clone", "Operation not permitted", "hint:"]);
}

#[test]
#[ignore = "needs root"]
fn runs_without_proc_on_the_host() {
    require_root();
    // As in an initramfs or rescue system before /proc is mounted: nsrun needs no /proc of its
    // own (no re-exec of /proc/self/exe), and the container still gets a fresh one.
    let script = r#"umount -l /proc || exit 99
        test -e /proc/self && exit 98
        "$NSRUN" --hostname noproc -- /bin/sh -c 'hostname; echo "pid=$$"; test -d /proc/1 && echo proc-ok'"#;
    let out = in_scratch_mount_ns(script, &[]);
    out.assert_ok();
    assert_eq!(out.stdout, "noproc\npid=2\nproc-ok\n", "\n{out}");
}

#[test]
#[ignore = "needs root"]
fn masked_proc_gets_a_clear_error_and_no_proc_works() {
    require_root();
    if common::skip_without_unprivileged_userns() {
        return;
    }
    let setpriv = require_tool("setpriv");
    let dir = TempDir::new("masked");
    let bin = dir.copy_in(&nsrun_bin(), "nsrun");
    let bin = bin.to_str().expect("a UTF-8 temp path");
    // Inside a scratch mount namespace, /proc/sys is covered as container runtimes mask it. An
    // unprivileged user (in the user namespace nsrun adds) may then mount no fresh proc at all.
    let script = format!(
        "mount -t tmpfs masked /proc/sys || exit 99
         exec {} --reuid 65534 --regid 65534 --clear-groups \"$1\" \"$2\" -- true",
        setpriv.display()
    );
    let out = in_scratch_mount_ns(&script, &[bin, "--propagation=private"]);
    out.assert_code(125);
    out.assert_one_error_line(&[
        "mount proc on /proc",
        "Operation not permitted",
        "masked",
        "--no-proc",
    ]);
    let out = in_scratch_mount_ns(&script, &[bin, "--no-proc"]);
    out.assert_ok();
}

#[test]
#[ignore = "needs root"]
fn without_a_command_runs_shell() {
    require_root();
    let dir = TempDir::new("shell");
    let shell = dir.path().join("myshell");
    std::fs::write(
        &shell,
        "#!/bin/sh\necho \"custom shell $0\"\nexec /bin/sh\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&shell, std::fs::Permissions::from_mode(0o755)).unwrap();

    let out = run_with_input(nsrun_cmd::<&str>(&[]).env("SHELL", &shell), b"echo hi\n");
    out.assert_ok();
    assert_eq!(
        out.lines(),
        [format!("custom shell {}", shell.display()), "hi".into()],
        "\n{out}"
    );

    let out = run_with_input(
        nsrun_cmd::<&str>(&[]).env("SHELL", "/bin/sh"),
        b"echo hi $0\n",
    );
    out.assert_ok();
    assert_eq!(out.lines(), ["hi /bin/sh"], "\n{out}");
}

#[test]
#[ignore = "needs root"]
fn without_a_command_or_shell_runs_bin_sh() {
    require_root();
    let out = run_with_input(nsrun_cmd::<&str>(&[]).env_remove("SHELL"), b"echo hi $0\n");
    out.assert_ok();
    assert_eq!(out.lines(), ["hi /bin/sh"], "\n{out}");
}

// ---------------------------------------------------------------------------------------------
// The binary

#[test]
fn version_and_help() {
    let out = nsrun(&["--version"]);
    out.assert_ok();
    // runc's block first (podman reads its first line), then nsrun's build line.
    let head = format!("nsrun version {}\nspec: 1.0.2", env!("CARGO_PKG_VERSION"));
    assert!(out.stdout.starts_with(&head), "\n{out}");
    assert!(out.stdout.ends_with("; Linux 3.15 or later\n"), "\n{out}");
    assert_eq!(out.lines().len(), 5, "\n{out}");
    let out = nsrun(&["--help"]);
    out.assert_ok();
    assert!(out.stdout.starts_with("Usage: nsrun "), "\n{out}");
}

/// `--version` names the target triple the binary was built for, which must be the machine its
/// ELF header says (the binary under test may be a foreign build, e.g. the i686 one run on
/// x86-64), and the oldest kernel README promises (Linux 3.15).
#[test]
fn version_names_the_target_and_the_oldest_kernel() {
    let out = nsrun(&["--version"]);
    out.assert_ok();
    let inner = out
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("build: "))
        .unwrap_or_else(|| panic!("\n{out}"));
    let (triple, kernel) = inner.split_once("; ").unwrap_or_else(|| panic!("\n{out}"));
    assert_eq!(kernel, "Linux 3.15 or later", "\n{out}");
    let parts: Vec<&str> = triple.split('-').collect();
    assert_eq!(parts.len(), 4, "not ARCH-VENDOR-linux-ENV: {triple:?}");
    assert_eq!(parts[2], "linux", "{triple:?}");
    assert!(
        parts[3].starts_with("musl"),
        "not a musl target: {triple:?}"
    );
    // e_machine, at offset 18 of the ELF header (little-endian on every target nsrun builds for).
    let elf = std::fs::read(nsrun_bin()).expect("read the nsrun binary");
    assert_eq!(&elf[..4], b"\x7fELF", "not an ELF file");
    let machine = u16::from_le_bytes([elf[18], elf[19]]);
    let arch = match machine {
        3 => "i686",
        40 => "armv7",
        62 => "x86_64",
        183 => "aarch64",
        243 => "riscv64gc",
        m => panic!("unexpected ELF machine {m} for {triple:?}"),
    };
    assert_eq!(
        parts[0], arch,
        "the binary is {arch} (ELF machine {machine}), --version says {triple:?}"
    );
}

#[test]
#[ignore = "needs root"]
fn version_runs_in_an_empty_chroot() {
    require_root();
    require_tool("chroot");
    let dir = TempDir::new("empty-root");
    dir.copy_in(&nsrun_bin(), "nsrun");
    let out = run(Command::new("chroot").args([dir.str(), "/nsrun", "--version"]));
    out.assert_ok();
    let head = format!("nsrun version {}\n", env!("CARGO_PKG_VERSION"));
    assert!(out.stdout.starts_with(&head), "\n{out}");
}

#[test]
fn binary_is_statically_linked() {
    let file = require_tool("file");
    let out = run(Command::new(file).arg("-L").arg(nsrun_bin()));
    out.assert_ok();
    assert!(
        out.stdout.contains("statically linked") || out.stdout.contains("static-pie linked"),
        "\n{out}"
    );
    assert!(!out.stdout.contains("dynamically linked"), "\n{out}");
}

// ---------------------------------------------------------------------------------------------
// Nothing left over on the host

#[test]
#[ignore = "needs root"]
fn a_default_run_leaves_the_host_mounts_alone() {
    require_root();
    let before = host_mountinfo();
    // The container mounts its /proc; none of it may show outside.
    let out = nsrun(&["--", "sh", "-c", "grep -c ' /proc ' /proc/self/mountinfo"]);
    out.assert_ok();
    assert_eq!(host_mountinfo(), before, "the host's mount table changed");
}

#[test]
#[ignore = "needs root"]
fn failed_runs_leave_the_host_mounts_alone() {
    require_root();
    let before = host_mountinfo();
    // Fails after mounting /proc in the container (a setup step after it).
    let out = nsrun(&["--chdir", "/nonexistent-nsrun-test", "--", "true"]);
    out.assert_code(125);
    out.assert_one_error_line(&["/nonexistent-nsrun-test", "No such file or directory"]);
    assert_eq!(host_mountinfo(), before, "the host's mount table changed");
    // Fails at exec, the last moment.
    nsrun(&["--", "nosuchcmd"]).assert_code(127);
    assert_eq!(host_mountinfo(), before, "the host's mount table changed");
}

#[test]
#[ignore = "needs root"]
fn the_command_inherits_no_stray_descriptors() {
    require_root();
    // Descriptor 7 is open in nsrun's caller; nsrun's own pipes must not reach the command either.
    let script = r#"exec 7</dev/null; exec "$NSRUN" -- sh -c 'ls /proc/$$/fd'"#;
    let out = run(Command::new("sh")
        .args(["-c", script])
        .env("NSRUN", nsrun_bin()));
    out.assert_ok();
    assert_eq!(out.lines(), ["0", "1", "2"], "\n{out}");
}

// ---------------------------------------------------------------------------------------------
// Job control on a terminal

// (common::Terminal: an interactive bash on a pseudo-terminal.)

#[test]
#[ignore = "needs root"]
fn ctrl_z_stops_nsrun_as_a_job_and_fg_continues_it() {
    require_root();
    for opts in ["", "--share-pid"] {
        // ^Z reaches the command, in the terminal's foreground; nsrun stops with it, so the
        // shell that started it gets the terminal back and lists it as a stopped job.
        let mut t = common::Terminal::stopped_job(opts, "; echo rc=$?");
        t.wait_for("rc=148", 1);
        t.type_in("echo back-in-shell; jobs\n");
        t.wait_for("back-in-shell", 2);
        t.wait_for("Stopped", 2);
        // fg continues nsrun, which continues the command and gives it the terminal: ^C then
        // reaches the command itself and ends it.
        t.fg_and_interrupt();
    }
}

#[test]
#[ignore = "needs root"]
fn after_bg_and_fg_ctrl_c_still_ends_the_whole_command() {
    require_root();
    for opts in ["", "--share-pid"] {
        // sh waits for its sleep: only a ^C to the whole process group ends it at once.
        let mut t = common::Terminal::stopped_job(opts, "");
        // `bg`, then `fg` of a running job: the shell sends no SIGCONT, so the terminal is back
        // with nsrun, not the command; the ^C that reaches nsrun goes on to the command's group.
        t.type_in("bg\n");
        t.wait_for("&", 1);
        t.fg_and_interrupt();
    }
}
