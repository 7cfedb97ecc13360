//! Tests written to break the promises of the cgroup options (README, "Locking a container down",
//! "Cgroups"), through the nsrun binary, on this machine's hybrid layout: cgroup v1 hierarchies
//! for memory, pids and cpu under /sys/fs/cgroup/*, and a cgroup2 without controllers at
//! /sys/fs/cgroup/unified (used for a cgroup without limits).
//!
//! Every test lists every directory under /sys/fs/cgroup before and after and requires the
//! lists to be equal for everything this test is responsible for: the default cgroups named after
//! its own launchers (`nsrun-<pidns>-<pid>-`), and every path holding its unique tag (its
//! `--cgroup-path`s and the parents it made itself, which it removes). Directories that other
//! processes of the machine make and remove meanwhile (other sessions' cgroups) are shown but not
//! held against the test. The tests of this file take a lock, so they do not run at the same time
//! (one test's run would otherwise remove another's leftover before its `nsrun gc`).
//!
//! Nothing here changes the machine beyond that: no mount, no sysctl; only processes the test
//! started are signalled.

mod common;
mod helpers;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use common::{
    alive, cmdline, descendants, nsrun, nsrun_cmd, parse_stat, poll, require_root, run,
    send_signal, show_status, Output, Running, TempDir,
};

// ---------------------------------------------------------------------------------------------
// Helpers

const CG: &str = "/sys/fs/cgroup";

/// Serialises the tests of this file.
fn lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Every directory below /sys/fs/cgroup (not following links), as absolute paths.
fn cgroup_dirs() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo = vec![PathBuf::from(CG)];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue; // removed meanwhile
        };
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                out.insert(e.path().display().to_string());
                todo.push(e.path());
            }
        }
    }
    out
}

/// The inode of this process's PID namespace (the launcher's too: it runs in it).
fn pidns() -> String {
    let link = std::fs::read_link("/proc/self/ns/pid").expect("readlink /proc/self/ns/pid");
    let s = link.to_string_lossy();
    s.trim_start_matches("pid:[")
        .trim_end_matches(']')
        .to_string()
}

/// A unique tag for the paths of one test.
fn tag(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("nsrun-test-{name}-{}-{nanos}", std::process::id())
}

/// One test's view of the cgroup tree: what it was before, and what the test is responsible for.
struct Tree {
    before: BTreeSet<String>,
    tags: Vec<String>,
    launchers: Vec<i32>,
    _lock: MutexGuard<'static, ()>,
}

impl Tree {
    fn begin() -> Tree {
        let lock = lock();
        Tree {
            before: cgroup_dirs(),
            tags: Vec::new(),
            launchers: Vec::new(),
            _lock: lock,
        }
    }

    /// Makes the test responsible for every path holding `tag`.
    fn tag(&mut self, tag: &str) {
        self.tags.push(tag.to_string());
    }

    /// Makes the test responsible for the default cgroups of the launcher `pid`.
    fn launcher(&mut self, pid: i32) {
        self.launchers.push(pid);
    }

    fn ours(&self, path: &str) -> bool {
        let ns = pidns();
        self.tags.iter().any(|t| path.contains(t.as_str()))
            || self
                .launchers
                .iter()
                .any(|p| path.contains(&format!("/nsrun-{ns}-{p}-")))
    }

    /// Runs nsrun with `args` to its end; the test is responsible for its cgroups.
    fn nsrun(&mut self, args: &[&str]) -> Output {
        let r = Running::spawn(&mut nsrun_cmd(args));
        self.launcher(r.pid());
        r.wait()
    }

    /// Starts nsrun with `args`; the test is responsible for its cgroups.
    fn spawn(&mut self, args: &[&str]) -> Running {
        let r = Running::spawn(&mut nsrun_cmd(args));
        self.launcher(r.pid());
        r
    }

    /// Asserts that every directory the test is responsible for is as before.
    #[track_caller]
    fn assert_unchanged(&self) {
        let after = cgroup_dirs();
        let gone: Vec<&String> = self.before.difference(&after).collect();
        let new: Vec<&String> = after.difference(&self.before).collect();
        let bad: Vec<String> = gone
            .iter()
            .map(|p| format!("removed: {p}"))
            .chain(new.iter().map(|p| format!("left behind: {p}")))
            .filter(|l| self.ours(l))
            .collect();
        let others = gone.len() + new.len() - bad.len();
        if others > 0 {
            eprintln!("note: {others} cgroup directories of other processes changed meanwhile");
        }
        assert!(
            bad.is_empty(),
            "the cgroup tree changed:\n{}",
            bad.join("\n")
        );
    }
}

/// nsrun's own cgroup in the v1 hierarchy `controller` (from /proc/self/cgroup: the tests run
/// where nsrun runs), "" for the root.
fn own_v1(controller: &str) -> String {
    let text = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.split(':')
                .nth(1)
                .is_some_and(|c| c.split(',').any(|c| c == controller))
        })
        .unwrap_or_else(|| panic!("no {controller} line in /proc/self/cgroup:\n{text}"));
    let path = line.splitn(3, ':').nth(2).unwrap();
    path.trim_end_matches('/').to_string()
}

/// [`own_v1`] as /proc/self/cgroup writes it (`/` for the root).
fn own_line(controller: &str) -> String {
    match own_v1(controller) {
        o if o.is_empty() => "/".into(),
        o => o,
    }
}

/// The directory of `rel` (a cgroup path as /proc/self/cgroup writes it) in the hierarchy
/// mounted at /sys/fs/cgroup/`mount`.
fn dir(mount: &str, rel: &str) -> PathBuf {
    PathBuf::from(format!("{CG}/{mount}{rel}"))
}

/// The default cgroup name of the launcher `pid`: `nsrun-<pidns>-<pid>-<start>`.
fn default_name(pid: i32) -> String {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("launcher's stat");
    let p = parse_stat(&stat).unwrap();
    format!("nsrun-{}-{pid}-{}", pidns(), p.start)
}

/// The cgroup path of `controller` (`memory`, `pids`, `cpu`, or `` for the v2 line `0::`) in a
/// /proc/self/cgroup text.
fn cgroup_line<'a>(text: &'a str, controller: &str) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let mut f = l.splitn(3, ':');
        let (id, ctl, path) = (f.next()?, f.next()?, f.next()?);
        let hit = match controller {
            "" => id == "0" && ctl.is_empty(),
            c => ctl.split(',').any(|x| x == c),
        };
        hit.then_some(path)
    })
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
        .trim()
        .to_string()
}

/// The pids listed in a cgroup's cgroup.procs.
fn procs(dir: &Path) -> Vec<i32> {
    read(&dir.join("cgroup.procs"))
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

/// A script that prints its /proc/self/cgroup, then `ready`, then waits (forking nothing, so the
/// container's processes stay the same) until a line can be read from the FIFO `$1`.
const WAIT_SCRIPT: &str = "cat /proc/self/cgroup; echo ready; read x < \"$1\"";

/// The FIFO the waiting script reads.
struct Flag {
    _dir: TempDir,
    path: PathBuf,
}

impl Flag {
    fn new() -> Flag {
        let dir = TempDir::new("cgroup-flag");
        let path = dir.path().join("go");
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        // SAFETY: a valid C string; mkfifo only reads it.
        let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o600) };
        assert_eq!(rc, 0, "mkfifo: {}", std::io::Error::last_os_error());
        Flag { _dir: dir, path }
    }
    fn str(&self) -> &str {
        self.path.to_str().unwrap()
    }
    /// Lets the script end (blocks until it has the FIFO open).
    fn raise(&self) {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking: ENXIO until the script has it open for reading (bounded by a deadline,
        // so a script that died does not hang the test).
        let mut file = None;
        let opened = poll(common::TIMEOUT, || {
            file = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(&self.path)
                .ok();
            file.is_some()
        });
        assert!(opened, "the script never opened {}", self.path.display());
        file.unwrap().write_all(b"go\n").unwrap();
    }
}

/// A test-made cgroup directory, removed when dropped (after nsrun's run, empty by then).
struct Made(PathBuf);

impl Made {
    fn new(path: PathBuf) -> Made {
        std::fs::create_dir(&path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
        Made(path)
    }
}

impl Drop for Made {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.0);
    }
}

// ---------------------------------------------------------------------------------------------
// Limits

#[test]
#[ignore = "needs root"]
fn memory_limit_is_enforced_and_the_oom_kill_is_reported() {
    require_root();
    let mut t = Tree::begin();
    // The control: 64 MiB in one buffer is fine with room.
    let dd = [
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=64M",
        "count=1",
        "status=none",
    ];
    let mut args = vec!["--memory", "256m", "--"];
    args.extend(dd);
    t.nsrun(&args).assert_ok();
    // With 32 MiB (and as much swap: 64 MiB together) the OOM killer ends it.
    let mut args = vec!["--memory", "32m", "--"];
    args.extend(dd);
    let out = t.nsrun(&args);
    assert_eq!(out.code(), Some(137), "{out}");
    out.assert_one_error_line(&["out of memory", "OOM killer", "1 process", "(--memory 32m)"]);
    // The same without swap.
    let mut args = vec!["--memory", "32m", "--memory-swap", "32m", "--"];
    args.extend(dd);
    let out = t.nsrun(&args);
    assert_eq!(out.code(), Some(137), "{out}");
    out.assert_one_error_line(&["OOM killer", "(--memory 32m)"]);
    t.assert_unchanged();
}

#[test]
#[ignore = "needs root"]
fn limit_files_read_back_while_the_container_runs() {
    require_root();
    let mut t = Tree::begin();
    let flag = Flag::new();
    let mut r = t.spawn(&[
        "--memory",
        "48m",
        "--pids-max",
        "20",
        "--cpus",
        "0.5",
        "--cpu-weight",
        "200",
        "--",
        "sh",
        "-c",
        WAIT_SCRIPT,
        "sh",
        flag.str(),
    ]);
    let launcher = r.pid();
    let name = default_name(launcher);
    // The container's own view: its cgroup in each hierarchy is a new one named after the
    // launcher, below nsrun's own (lines in the kernel's order: pids, memory, cpu).
    let own_mem = own_v1("memory");
    let own_pids = own_v1("pids");
    let own_cpu = own_v1("cpu");
    let pids_rel = format!("{own_pids}/{name}");
    let mem_rel = format!("{own_mem}/{name}");
    let cpu_rel = format!("{own_cpu}/{name}");
    r.expect_line(&format!("8:pids:{pids_rel}"));
    r.expect_line(&format!("4:memory:{mem_rel}"));
    r.expect_line(&format!("1:cpu:{cpu_rel}"));
    r.expect_line("ready");
    let mem = dir("memory", &mem_rel);
    let pids = dir("pids", &pids_rel);
    let cpu = dir("cpu", &cpu_rel);
    assert_eq!(read(&mem.join("memory.limit_in_bytes")), "50331648");
    // Docker's default: as much swap as memory (where the kernel accounts swap).
    let memsw = mem.join("memory.memsw.limit_in_bytes");
    if memsw.exists() {
        assert_eq!(read(&memsw), "100663296");
    }
    assert_eq!(read(&pids.join("pids.max")), "20");
    assert_eq!(read(&cpu.join("cpu.cfs_period_us")), "100000");
    assert_eq!(read(&cpu.join("cpu.cfs_quota_us")), "50000");
    // cpu.shares from the weight "as crun does": crun maps shares to a weight with
    // 1 + (shares - 2) * 9999 / 262142; the shares written must map back to (about) 200.
    let shares: u64 = read(&cpu.join("cpu.shares")).parse().unwrap();
    let back = 1 + (shares.saturating_sub(2)) * 9999 / 262142;
    assert!(
        (199..=200).contains(&back),
        "cpu.shares {shares} maps back to weight {back}"
    );
    // Every process in each cgroup is the container's: descendants of the launcher (its init
    // and the shell at least).
    let mine: BTreeSet<i32> = descendants(launcher).iter().map(|p| p.pid).collect();
    for d in [&mem, &pids, &cpu] {
        let listed = procs(d);
        assert!(listed.len() >= 2, "{}: {listed:?}", d.display());
        for p in &listed {
            assert!(
                mine.contains(p),
                "{}: pid {p} is not the container's",
                d.display()
            );
        }
    }
    flag.raise();
    r.wait().assert_ok();
    for d in [&mem, &pids, &cpu] {
        assert!(!d.exists(), "{} is left", d.display());
    }
    t.assert_unchanged();
}

#[test]
#[ignore = "needs root"]
fn pids_max_stops_a_fork_bomb_at_the_limit() {
    require_root();
    let mut t = Tree::begin();
    let probe = helpers::sysprobe_bin().to_str().unwrap().to_string();
    // The control: without the limit all 30 forks work.
    let out = t.nsrun(&["--memory", "256m", "--", &probe, "forkn:30"]);
    out.assert_ok();
    assert_eq!(out.stdout, "forked 30 failed 0\n", "{out}");
    // nsrun's init and the probe are 2 of the 10: 8 forks work, 22 fail.
    let out = t.nsrun(&["--pids-max", "10", "--", &probe, "forkn:30"]);
    out.assert_ok();
    assert_eq!(out.stdout, "forked 8 failed 22\n", "{out}");
    // The same with busybox sh's background jobs: each `(sleep 3 &)` that works leaves a sleep
    // behind; the init, the shell and the subshell of the attempt that fails make the rest of
    // the 10: 7 work, 23 fail.
    let script = "ok=0; fail=0; for i in $(seq 30); do \
                  if (sleep 3 &) 2>/dev/null; then ok=$((ok+1)); else fail=$((fail+1)); fi; done; \
                  echo ok=$ok fail=$fail";
    let out = t.nsrun(&["--pids-max", "10", "--", "busybox", "sh", "-c", script]);
    out.assert_ok();
    assert_eq!(out.stdout, "ok=7 fail=23\n", "{out}");
    // The control: without the limit, all 30.
    let out = t.nsrun(&["--memory", "256m", "--", "busybox", "sh", "-c", script]);
    out.assert_ok();
    assert_eq!(out.stdout, "ok=30 fail=0\n", "{out}");
    t.assert_unchanged();
}

// ---------------------------------------------------------------------------------------------
// The cgroup goes away

#[test]
#[ignore = "needs root"]
fn the_cgroup_is_removed_after_the_command_is_sigkilled() {
    require_root();
    let mut t = Tree::begin();
    let flag = Flag::new();
    let mut r = t.spawn(&[
        "--memory",
        "64m",
        "--pids-max",
        "50",
        "--",
        "sh",
        "-c",
        WAIT_SCRIPT,
        "sh",
        flag.str(),
    ]);
    let launcher = r.pid();
    r.expect_line("ready");
    let name = default_name(launcher);
    let mem = dir("memory", &format!("{}/{name}", own_v1("memory")));
    let pids = dir("pids", &format!("{}/{name}", own_v1("pids")));
    assert!(mem.is_dir() && pids.is_dir(), "no cgroup made");
    // SIGKILL the command (the shell waiting for the flag) from the host.
    let sh = descendants(launcher)
        .into_iter()
        .find(|p| cmdline(p.pid).contains(flag.str()))
        .expect("the container's shell");
    send_signal(sh.pid, libc::SIGKILL);
    let out = r.wait();
    assert_eq!(out.code(), Some(137), "{out}");
    assert!(!mem.exists() && !pids.exists(), "the cgroup is left");
    t.assert_unchanged();
}

#[test]
#[ignore = "needs root"]
fn processes_left_behind_with_share_pid_are_killed_and_the_cgroup_removed() {
    require_root();
    let mut t = Tree::begin();
    let tg = tag("sharepid");
    t.tag(&tg);
    // With the host's PID namespace nothing ends the container's processes but nsrun: a
    // background job and a double-forked daemon in a new session outlive the command.
    let script = "sleep 300 >/dev/null 2>&1 & echo $!; \
                  ( setsid sleep 301 >/dev/null 2>&1 & echo $! ) ";
    for limits in [
        &["--memory", "64m"][..],
        &["--cgroup-path", &format!("/{tg}")][..], // v2, no limits
    ] {
        let mut args = vec!["--share-pid"];
        args.extend_from_slice(limits);
        args.extend(["--", "sh", "-c", script]);
        let out = t.nsrun(&args);
        out.assert_ok();
        let pids: Vec<i32> = out
            .lines()
            .iter()
            .map(|l| l.trim().parse().unwrap())
            .collect();
        assert_eq!(pids.len(), 2, "{out}");
        let mut left = Vec::new();
        for pid in &pids {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok();
            if let Some(p) = stat.as_deref().and_then(parse_stat) {
                if alive(&p) && cmdline(*pid).starts_with("sleep 30") {
                    left.push(*pid);
                }
            }
        }
        for pid in &left {
            send_signal(*pid, libc::SIGKILL); // ours: started by this test's container
        }
        assert!(
            left.is_empty(),
            "{limits:?}: still running after nsrun ended: {left:?}\n{out}"
        );
    }
    t.assert_unchanged();
}

#[test]
#[ignore = "needs root"]
fn gc_removes_the_leftover_of_a_sigkilled_launcher() {
    require_root();
    let mut t = Tree::begin();
    let flag = Flag::new();
    let mut r = t.spawn(&[
        "--memory",
        "64m",
        "--pids-max",
        "50",
        "--",
        "sh",
        "-c",
        WAIT_SCRIPT,
        "sh",
        flag.str(),
    ]);
    let launcher = r.pid();
    r.expect_line("ready");
    let name = default_name(launcher);
    let mem = dir("memory", &format!("{}/{name}", own_v1("memory")));
    let pids = dir("pids", &format!("{}/{name}", own_v1("pids")));
    assert!(mem.is_dir() && pids.is_dir(), "no cgroup made");
    r.signal(libc::SIGKILL);
    let st = r.reap();
    assert_eq!(show_status(&st), "signal 9");
    // The container dies with its launcher (the parent-death signal); its cgroup stays.
    assert!(
        poll(Duration::from_secs(5), || procs(&mem).is_empty()
            && procs(&pids).is_empty()),
        "the container outlived its launcher: {:?}",
        procs(&mem)
    );
    assert!(
        mem.is_dir() && pids.is_dir(),
        "the leftover is already gone"
    );
    let out = nsrun(&["gc"]);
    out.assert_ok();
    for d in [&mem, &pids] {
        assert!(!d.exists(), "gc left {}\n{out}", d.display());
        assert!(
            out.lines()
                .contains(&format!("removed {}", d.display()).as_str()),
            "gc does not say it removed {}\n{out}",
            d.display()
        );
    }
    t.assert_unchanged();
}

#[test]
#[ignore = "needs root"]
fn gc_never_removes_a_live_runs_cgroup() {
    require_root();
    let mut t = Tree::begin();
    let flag = Flag::new();
    let mut r = t.spawn(&[
        "--memory",
        "64m",
        "--",
        "sh",
        "-c",
        WAIT_SCRIPT,
        "sh",
        flag.str(),
    ]);
    let launcher = r.pid();
    r.expect_line("ready");
    let mem = dir(
        "memory",
        &format!("{}/{}", own_v1("memory"), default_name(launcher)),
    );
    let before = procs(&mem);
    assert!(!before.is_empty());
    let out = nsrun(&["gc"]);
    out.assert_ok();
    assert!(!out.stdout.contains(&default_name(launcher)), "{out}");
    assert!(mem.is_dir(), "gc removed a live run's cgroup");
    assert_eq!(procs(&mem), before, "the run's processes left its cgroup");
    // And `nsrun -- gc` is a command, not the gc.
    flag.raise();
    r.wait().assert_ok();
    assert!(!mem.exists());
    t.assert_unchanged();
}

// ---------------------------------------------------------------------------------------------
// --cgroup-path

#[test]
#[ignore = "needs root"]
fn cgroup_path_relative_is_below_nsruns_own_cgroup_and_its_parents_go_too() {
    require_root();
    let mut t = Tree::begin();
    let tg = tag("rel");
    t.tag(&tg);
    let path = format!("{tg}/a/b");
    let out = t.nsrun(&[
        "--cgroup-path",
        &path,
        "--memory",
        "64m",
        "--pids-max",
        "50",
        "--",
        "cat",
        "/proc/self/cgroup",
    ]);
    out.assert_ok();
    assert_eq!(
        cgroup_line(&out.stdout, "memory"),
        Some(format!("{}/{path}", own_v1("memory")).as_str()),
        "{out}"
    );
    assert_eq!(
        cgroup_line(&out.stdout, "pids"),
        Some(format!("{}/{path}", own_v1("pids")).as_str()),
        "{out}"
    );
    // No cpu limit: the cpu hierarchy is not used.
    assert_eq!(
        cgroup_line(&out.stdout, "cpu"),
        Some(own_line("cpu").as_str()),
        "{out}"
    );
    t.assert_unchanged();
}

#[test]
#[ignore = "needs root"]
fn cgroup_path_absolute_is_below_the_mounts_root_and_a_parent_it_did_not_make_stays() {
    require_root();
    let mut t = Tree::begin();
    let tg = tag("abs");
    t.tag(&tg);
    let parent = Made::new(PathBuf::from(format!("{CG}/memory/{tg}")));
    let path = format!("/{tg}/c");
    let script = format!("cat /proc/self/cgroup; cat {CG}/memory{path}/memory.limit_in_bytes");
    let out = t.nsrun(&[
        "--cgroup-path",
        &path,
        "--memory",
        "64m",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    out.assert_ok();
    assert_eq!(
        cgroup_line(&out.stdout, "memory"),
        Some(path.as_str()),
        "{out}"
    );
    assert_eq!(out.lines().last(), Some(&"67108864"), "{out}");
    assert!(parent.0.is_dir(), "nsrun removed a parent it did not make");
    assert!(!parent.0.join("c").exists(), "nsrun left its cgroup");
    drop(parent);
    t.assert_unchanged();
}

#[test]
#[ignore = "needs root"]
fn an_existing_cgroup_path_is_refused_and_left_alone() {
    require_root();
    let mut t = Tree::begin();
    let tg = tag("exists");
    t.tag(&tg);
    let parent = Made::new(PathBuf::from(format!("{CG}/memory/{tg}")));
    let existing = Made::new(parent.0.join("c"));
    let out = t.nsrun(&[
        "--cgroup-path",
        &format!("/{tg}/c"),
        "--memory",
        "64m",
        "--",
        "echo",
        "ran",
    ]);
    assert_eq!(out.code(), Some(125), "{out}");
    out.assert_one_error_line(&["--cgroup-path", "mkdir", &format!("{tg}/c"), "File exists"]);
    assert_eq!(out.stdout, "", "{out}");
    assert!(
        existing.0.is_dir(),
        "nsrun removed a cgroup it did not make"
    );
    // Relative to nsrun's own: the same.
    let own = own_v1("memory");
    let rel_parent = Made::new(dir("memory", &format!("{own}/{tg}-r")));
    let out = t.nsrun(&[
        "--cgroup-path",
        &format!("{tg}-r"),
        "--memory",
        "64m",
        "--",
        "echo",
        "ran",
    ]);
    assert_eq!(out.code(), Some(125), "{out}");
    out.assert_one_error_line(&["--cgroup-path", "mkdir", "File exists"]);
    assert!(rel_parent.0.is_dir());
    // The existing leaf in one hierarchy only (pids): the memory cgroup made before the failure
    // is removed again.
    let pids_only = Made::new(PathBuf::from(format!("{CG}/pids/{tg}-p")));
    let out = t.nsrun(&[
        "--cgroup-path",
        &format!("/{tg}-p"),
        "--memory",
        "64m",
        "--pids-max",
        "10",
        "--",
        "echo",
        "ran",
    ]);
    assert_eq!(out.code(), Some(125), "{out}");
    out.assert_one_error_line(&["mkdir", "File exists"]);
    assert!(
        !Path::new(&format!("{CG}/memory/{tg}-p")).exists(),
        "the memory half is left"
    );
    assert!(pids_only.0.is_dir());
    drop((existing, parent, rel_parent, pids_only));
    t.assert_unchanged();
}

// ---------------------------------------------------------------------------------------------
// Bad values

#[test]
fn bad_values_exit_2_with_one_line() {
    // The lock: the other tests make directories named a, b and x.
    let _lock = lock();
    for (args, parts) in [
        (&["--memory", "0"][..], &["--memory", "'0'"][..]),
        (&["--memory", "1x"][..], &["--memory", "'1x'"][..]),
        (&["--memory", ""][..], &["--memory"][..]),
        (&["--memory", "-1"][..], &["--memory"][..]),
        (&["--cpus", "0"][..], &["--cpus", "'0'"][..]),
        (&["--cpus", "-1"][..], &["--cpus"][..]),
        (&["--cpus", "0.0001"][..], &["--cpus"][..]),
        (&["--cpu-weight", "0"][..], &["--cpu-weight", "'0'"][..]),
        (
            &["--cpu-weight", "10001"][..],
            &["--cpu-weight", "'10001'"][..],
        ),
        (&["--pids-max", "0"][..], &["--pids-max", "'0'"][..]),
        (&["--pids-max", "4194305"][..], &["--pids-max"][..]),
        (
            &["--memory-swap", "64m"][..],
            &["--memory-swap", "needs --memory"][..],
        ),
        (
            &["--memory-swap", "-1"][..],
            &["--memory-swap", "needs --memory"][..],
        ),
        (
            &["--memory", "64m", "--memory-swap", "32m"][..],
            &["--memory-swap", "below"][..],
        ),
        (
            &["--memory", "64m", "--memory", "32m"][..],
            &["--memory", "twice"][..],
        ),
        (&["--cgroup-path", "../x"][..], &["--cgroup-path"][..]),
        (&["--cgroup-path", "a/../x"][..], &["--cgroup-path"][..]),
        (&["--cgroup-path", "a//b"][..], &["--cgroup-path"][..]),
        (&["--cgroup-path", "/"][..], &["--cgroup-path"][..]),
        (&["--cgroup-path", ""][..], &["--cgroup-path"][..]),
    ] {
        let before = cgroup_dirs();
        let mut a = args.to_vec();
        a.extend(["--", "echo", "ran"]);
        let out = nsrun(&a);
        assert_eq!(out.code(), Some(2), "{args:?}\n{out}");
        out.assert_one_error_line(parts);
        assert_eq!(out.stdout, "", "{out}");
        let after = cgroup_dirs();
        let made: Vec<&String> = after
            .difference(&before)
            .filter(|p| {
                let last = p.rsplit('/').next().unwrap_or("");
                ["x", "a", "b"].contains(&last)
            })
            .collect();
        assert!(made.is_empty(), "{args:?} made {made:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// -C, cgroup v2, failed runs

#[test]
#[ignore = "needs root"]
fn a_cgroup_namespace_shows_the_containers_cgroup_as_root() {
    require_root();
    let mut t = Tree::begin();
    // The control: without -C the container sees the host's path of its cgroup.
    let out = t.nsrun(&["--memory", "64m", "--", "cat", "/proc/self/cgroup"]);
    out.assert_ok();
    assert_ne!(cgroup_line(&out.stdout, "memory"), Some("/"), "{out}");
    let out = t.nsrun(&["-C", "--memory", "64m", "--", "cat", "/proc/self/cgroup"]);
    out.assert_ok();
    assert_eq!(cgroup_line(&out.stdout, "memory"), Some("/"), "{out}");
    for l in out.lines() {
        assert!(l.ends_with(":/"), "{l}\n{out}");
    }
    t.assert_unchanged();
}

#[test]
#[ignore = "needs root"]
fn cgroup_v2_without_controllers_holds_a_cgroup_without_limits() {
    require_root();
    let mut t = Tree::begin();
    let tg = tag("v2");
    t.tag(&tg);
    let unified = PathBuf::from(format!("{CG}/unified"));
    assert!(
        unified.join("cgroup.controllers").exists(),
        "no cgroup2 at {}",
        unified.display()
    );
    for (path, rel) in [
        (format!("/{tg}"), format!("/{tg}")),
        (format!("{tg}-r/x"), format!("/{tg}-r/x")),
    ] {
        let flag = Flag::new();
        let mut r = t.spawn(&[
            "--cgroup-path",
            &path,
            "--",
            "sh",
            "-c",
            WAIT_SCRIPT,
            "sh",
            flag.str(),
        ]);
        let launcher = r.pid();
        // v2 holds it; no v1 hierarchy is used.
        r.expect_line(&format!("0::{rel}"));
        r.expect_line("ready");
        let d = PathBuf::from(format!("{CG}/unified{rel}"));
        assert!(d.is_dir(), "{} not made", d.display());
        let listed = procs(&d);
        let mine: BTreeSet<i32> = descendants(launcher).iter().map(|p| p.pid).collect();
        assert!(
            !listed.is_empty() && listed.iter().all(|p| mine.contains(p)),
            "{listed:?}"
        );
        for c in ["memory", "pids", "cpu"] {
            assert!(
                !dir(c, &format!("{}{rel}", own_v1(c))).exists(),
                "{c} cgroup made"
            );
        }
        flag.raise();
        let out = r.wait();
        out.assert_ok();
        assert!(!d.exists(), "{} left", d.display());
        for l in out.lines() {
            if l.starts_with("8:pids:") {
                assert_eq!(l, format!("8:pids:{}", own_line("pids")));
            }
        }
    }
    t.assert_unchanged();
}

#[test]
#[ignore = "needs root"]
fn a_failed_run_leaves_no_cgroup_behind() {
    require_root();
    let mut t = Tree::begin();
    let tg = tag("fail");
    t.tag(&tg);
    // The command is missing: the cgroup was made, and is removed.
    let out = t.nsrun(&[
        "--memory",
        "64m",
        "--pids-max",
        "20",
        "--",
        "/nonexistent-nsrun-cmd",
    ]);
    assert_eq!(out.code(), Some(127), "{out}");
    t.assert_unchanged();
    // The child's setup fails (a missing bind source) after the cgroup was made.
    let out = t.nsrun(&[
        "--memory",
        "64m",
        "--cgroup-path",
        &format!("{tg}-s/x"),
        "--bind",
        "/nonexistent-nsrun-src",
        "/mnt",
        "--",
        "true",
    ]);
    assert_eq!(out.code(), Some(125), "{out}");
    out.assert_one_error_line(&["/nonexistent-nsrun-src"]);
    t.assert_unchanged();
    // A path through a file of the cgroup filesystem: mkdir fails inside a parent nsrun made,
    // which goes again; in v1 (a limit) and v2 (none).
    for limit in [&["--pids-max", "20"][..], &[][..]] {
        let mut args = vec!["--cgroup-path"];
        let p = format!("{tg}-f/cgroup.procs/x");
        args.push(&p);
        args.extend_from_slice(limit);
        args.extend(["--", "echo", "ran"]);
        let out = t.nsrun(&args);
        assert_eq!(out.code(), Some(125), "{limit:?}\n{out}");
        out.assert_one_error_line(&["--cgroup-path", "mkdir", "cgroup.procs/x"]);
        assert_eq!(out.stdout, "", "{out}");
        t.assert_unchanged();
    }
    // A killed container (the OOM killer) leaves nothing either.
    let out = t.nsrun(&[
        "--memory",
        "16m",
        "--",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=64M",
        "count=1",
    ]);
    assert_eq!(out.code(), Some(137), "{out}");
    t.assert_unchanged();
    let _ = run;
}

// ---------------------------------------------------------------------------------------------
// More ways to break it

#[test]
#[ignore = "needs root"]
fn an_oom_kill_of_a_child_is_reported_with_its_count_though_the_command_succeeds() {
    require_root();
    let mut t = Tree::begin();
    let script = "for i in 1 2 3; do dd if=/dev/zero of=/dev/null bs=64M count=1 status=none 2>/dev/null; done; echo after";
    let out = t.nsrun(&["--memory", "32m", "--", "sh", "-c", script]);
    assert_eq!(out.code(), Some(0), "{out}");
    assert_eq!(out.stdout, "after\n", "{out}");
    // The shell prints "Killed" for each; the last line is nsrun's.
    let last = out.stderr.lines().last().unwrap_or("");
    assert!(
        last.starts_with("nsrun: ") && last.contains("OOM killer ended 3 processes"),
        "{out}"
    );
    assert_eq!(
        out.stderr
            .lines()
            .filter(|l| l.starts_with("nsrun:"))
            .count(),
        1,
        "{out}"
    );
    // No OOM kill: nothing said.
    let out = t.nsrun(&["--memory", "64m", "--", "true"]);
    out.assert_ok();
    t.assert_unchanged();
}

#[test]
#[ignore = "needs root"]
fn memory_swap_values_read_back() {
    require_root();
    let mut t = Tree::begin();
    let memsw = format!("{CG}/memory{}", own_v1("memory"));
    if !Path::new(&format!("{memsw}/memory.memsw.limit_in_bytes")).exists() {
        eprintln!("skipped: the kernel does not account swap here");
        return;
    }
    for (swap, want) in [
        ("48m", "50331648"),
        ("32m", "33554432"),
        ("-1", "9223372036854771712"),
    ] {
        let script = "d=/sys/fs/cgroup/memory$(grep :memory: /proc/self/cgroup | cut -d: -f3); \
                      cat $d/memory.limit_in_bytes $d/memory.memsw.limit_in_bytes";
        let out = t.nsrun(&[
            "--memory",
            "32m",
            "--memory-swap",
            swap,
            "--",
            "sh",
            "-c",
            script,
        ]);
        out.assert_ok();
        assert_eq!(
            out.lines(),
            ["33554432", want],
            "--memory-swap {swap}\n{out}"
        );
    }
    t.assert_unchanged();
}

#[test]
#[ignore = "needs root"]
fn a_sub_cgroup_the_container_made_is_emptied_and_removed_too() {
    require_root();
    let mut t = Tree::begin();
    // The container (root, host's PID namespace) makes a cgroup below its own, moves a daemon
    // there, and ends: nsrun kills the daemon and removes both directories.
    let script = "own=/sys/fs/cgroup/memory$(grep :memory: /proc/self/cgroup | cut -d: -f3); \
                  mkdir $own/sub; \
                  sh -c \"echo \\$\\$ > $own/sub/cgroup.procs; exec sleep 302\" >/dev/null 2>&1 & \
                  while [ -z \"$(cat $own/sub/cgroup.procs)\" ]; do sleep 0.01; done; echo $!";
    let out = t.nsrun(&["--share-pid", "--memory", "64m", "--", "sh", "-c", script]);
    out.assert_ok();
    let pid: i32 = out.stdout.trim().parse().unwrap();
    let alive_now = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| parse_stat(&s))
        .is_some_and(|p| alive(&p) && cmdline(pid) == "sleep 302");
    if alive_now {
        send_signal(pid, libc::SIGKILL);
    }
    assert!(!alive_now, "the daemon in the sub-cgroup survived\n{out}");
    t.assert_unchanged();
}

#[test]
#[ignore = "needs root"]
fn nothing_outside_its_own_cgroup_is_killed_or_removed() {
    require_root();
    let mut t = Tree::begin();
    let tg = tag("sibling");
    t.tag(&tg);
    let flag = Flag::new();
    let path = format!("{tg}/a/b");
    let mut r = t.spawn(&[
        "--cgroup-path",
        &path,
        "--pids-max",
        "50",
        "--",
        "sh",
        "-c",
        WAIT_SCRIPT,
        "sh",
        flag.str(),
    ]);
    r.expect_line("ready");
    // While it runs, the test makes a sibling of its cgroup in a parent nsrun made, with a
    // process of the test's own in it.
    let own = own_v1("pids");
    let a = dir("pids", &format!("{own}/{tg}/a"));
    let sibling = a.join("other");
    std::fs::create_dir(&sibling).unwrap();
    let mut sleeper = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    std::fs::write(sibling.join("cgroup.procs"), sleeper.id().to_string()).unwrap();
    flag.raise();
    let out = r.wait();
    out.assert_ok();
    let still = sleeper.try_wait().unwrap().is_none();
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    let sibling_there = sibling.is_dir();
    let b_gone = !a.join("b").exists();
    // Clean up what the test made (the sibling), and the parents nsrun left (not empty then).
    let _ = std::fs::remove_dir(&sibling);
    let _ = std::fs::remove_dir(&a);
    let _ = std::fs::remove_dir(dir("pids", &format!("{own}/{tg}")));
    assert!(still, "nsrun killed a process outside its cgroup");
    assert!(sibling_there, "nsrun removed a cgroup it did not make");
    assert!(b_gone, "nsrun left its own cgroup");
    t.assert_unchanged();
}

#[test]
#[ignore = "needs root"]
fn sigterm_to_the_launcher_is_forwarded_and_the_cgroup_removed() {
    require_root();
    let mut t = Tree::begin();
    let flag = Flag::new();
    let script = format!("trap 'echo term; exit 3' TERM; {WAIT_SCRIPT} & wait");
    let mut r = t.spawn(&[
        "--memory",
        "64m",
        "--",
        "sh",
        "-c",
        &script,
        "sh",
        flag.str(),
    ]);
    r.expect_line("ready");
    let launcher = r.pid();
    let mem = dir(
        "memory",
        &format!("{}/{}", own_v1("memory"), default_name(launcher)),
    );
    assert!(mem.is_dir());
    r.signal(libc::SIGTERM);
    let out = r.wait();
    assert_eq!(out.code(), Some(3), "{out}");
    assert!(out.stdout.contains("term"), "{out}");
    assert!(!mem.exists(), "the cgroup is left");
    t.assert_unchanged();
}

#[test]
#[ignore = "needs root"]
fn gc_racing_new_runs_never_breaks_one() {
    require_root();
    let mut t = Tree::begin();
    // README: gc "never touches a live run's, even one made a moment ago with no process in it
    // yet". Runs start while gc runs in a loop: every run must work.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let gc = std::thread::spawn(move || {
        let mut n = 0;
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            let out = nsrun(&["gc"]);
            assert_eq!(out.code(), Some(0), "{out}");
            n += 1;
        }
        n
    });
    let mut running = Vec::new();
    for _ in 0..40 {
        running.push(t.spawn(&["--memory", "64m", "--pids-max", "30", "--", "true"]));
        if running.len() >= 8 {
            running.remove(0).wait().assert_ok();
        }
    }
    for r in running {
        r.wait().assert_ok();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let n = gc.join().unwrap();
    assert!(n > 0);
    t.assert_unchanged();
}
