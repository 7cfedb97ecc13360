//! On this machine's own cgroups, as root: each test makes its cgroups below a parent of its own
//! (`nsrun-test-<pid>-<n>` in nsrun's own cgroup), moves only processes it forked into them, and
//! leaves the tree as it found it. Skipped, with the reason printed, when not root or when the
//! hierarchy is missing.

use super::super::fs::Real;
use super::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::sys::cgroup::{fork_hog, fork_sleepers, reap};

/// A tag no other test (or process) uses.
fn tag() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "nsrun-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Why the real tests cannot run here, if they cannot.
fn cannot(need: &str) -> Option<String> {
    if !rustix::process::geteuid().is_root() {
        return Some("not root".into());
    }
    if !Path::new(need).exists() {
        return Some(format!("no {need}"));
    }
    None
}

/// The real tests run one at a time: each compares the tree before and after.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

macro_rules! skip_unless {
    ($need:expr) => {
        if let Some(why) = cannot($need) {
            eprintln!("skipped: {why}");
            return;
        }
    };
}

/// Every directory below `dir`, `depth` levels down.
fn snapshot(dir: &Path, depth: u32, out: &mut BTreeSet<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            out.insert(e.path());
            if depth > 1 {
                snapshot(&e.path(), depth - 1, out);
            }
        }
    }
}

/// The directories near the places `layout` makes cgroups in.
fn tree_of(layout: &Layout) -> BTreeSet<PathBuf> {
    let hs = match layout {
        Layout::V2(h) => vec![h.clone()],
        Layout::V1(hs) => hs.clone(),
    };
    let mut out = BTreeSet::new();
    for h in hs {
        let own = h.own.unwrap_or_default();
        let dir = Path::new(s(&h.mount)).join(s(&own));
        snapshot(&dir, 3, &mut out);
    }
    out
}

/// The tree is as it was: nothing that was there has gone, and what is new (other tests and
/// processes run meanwhile) is not this test's. What other processes' runs and tests of nsrun
/// (running meanwhile on this machine) made and removed is not counted.
fn same_tree(before: &BTreeSet<PathBuf>, after: &BTreeSet<PathBuf>, tag: &str) {
    let mine = format!("nsrun-test-{}-", std::process::id());
    let theirs = |p: &&PathBuf| {
        let p = p.to_string_lossy();
        p.contains("nsrun") && !p.contains(&mine)
    };
    let gone: Vec<_> = before.difference(after).filter(|p| !theirs(p)).collect();
    assert!(gone.is_empty(), "removed: {gone:?}");
    let ours: Vec<_> = after
        .difference(before)
        .filter(|p| p.to_string_lossy().contains(tag))
        .collect();
    assert!(ours.is_empty(), "left: {ours:?}");
}

/// The pids of a cgroup.procs.
fn procs(dir: &[u8]) -> Vec<i32> {
    let text = std::fs::read_to_string(format!("{}/cgroup.procs", s(dir))).unwrap_or_default();
    text.lines().filter_map(|l| l.parse().ok()).collect()
}

/// Forks the sleepers, moves the first into `cg`, lets it fork the second (born in `cg`) and
/// waits until both are in each directory; the first's pid.
fn start_in(cg: &Cgroup) -> i32 {
    let (pid, go) = fork_sleepers().unwrap();
    let entered = cg.enter(pid as u32);
    rustix::io::write(&go, b"x").unwrap();
    drop(go);
    if let Err(e) = entered {
        rustix::process::kill_process(
            rustix::process::Pid::from_raw(pid).unwrap(),
            rustix::process::Signal::KILL,
        )
        .unwrap();
        reap(pid).unwrap();
        panic!("{}", e.line());
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while cg.paths().any(|d| procs(d).len() < 2) {
        assert!(Instant::now() < deadline, "the sleepers did not arrive");
        std::thread::sleep(Duration::from_millis(5));
    }
    pid
}

/// Removes `cg`, then reaps `pid`, which the removal must have killed.
fn remove_and_reap(cg: Cgroup, pid: i32) {
    let paths: Vec<Vec<u8>> = cg.paths().map(|p| p.to_vec()).collect();
    cg.remove().unwrap_or_else(|e| panic!("{}", e.line()));
    let status = reap(pid).unwrap();
    assert_eq!(status & 0x7f, libc::SIGKILL, "status {status:#x}");
    for p in paths {
        assert!(!Path::new(s(&p)).exists(), "{} stays", s(&p));
    }
}

/// A request for a cgroup below a parent `tag` of the test's own: on v1 below nsrun's own cgroup;
/// on v2 at the root (cgroup v2 gives controllers only below cgroups without processes, and
/// nsrun's own cgroup has the test in it), which the tests' machines allow.
fn test_request(tag: &str, limits: Request) -> (Request, Layout) {
    let mut req = limits;
    req.path = Some(format!("{tag}/c").into_bytes());
    let layout = super::super::detect(&req).unwrap_or_else(|e| panic!("{}", e.line()));
    if let Layout::V2(_) = layout {
        req.path = Some(format!("/{tag}/c").into_bytes());
    }
    (req, layout)
}

fn read(dir: &[u8], file: &str) -> String {
    std::fs::read_to_string(format!("{}/{file}", s(dir)))
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn real_v1_limits_enter_and_remove() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    skip_unless!("/sys/fs/cgroup/memory/cgroup.procs");
    skip_unless!("/sys/fs/cgroup/pids/cgroup.procs");
    skip_unless!("/sys/fs/cgroup/cpu/cgroup.procs");
    let tag = tag();
    let mut req = every_limit();
    req.path = Some(format!("{tag}/c").into_bytes());
    let layout = super::super::detect(&req).unwrap_or_else(|e| panic!("{}", e.line()));
    let Layout::V1(hs) = &layout else {
        eprintln!("skipped: the limits are on cgroup v2 here");
        return;
    };
    // memsw needs swap accounting: the default swap allowance is skipped without it.
    let memsw = hs.iter().any(|h| {
        let own = h.own.clone().unwrap_or_default();
        Path::new(s(&h.mount))
            .join(s(&own))
            .join("memory.memsw.limit_in_bytes")
            .exists()
    });
    if !memsw {
        req.memory_swap = None;
    }
    let before = tree_of(&layout);
    let cg = super::super::create(&req).unwrap_or_else(|e| panic!("{}", e.line()));
    assert!(!cg.is_v2());
    assert_eq!(cg.paths().count(), 3);
    let pid = start_in(&cg);
    // The process's own view: every hierarchy used names the cgroup.
    let own = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    for controllers in ["memory", "pids", "cpu"] {
        let line = own
            .lines()
            .find(|l| {
                l.split(':')
                    .nth(1)
                    .unwrap()
                    .split(',')
                    .any(|c| c == controllers)
            })
            .unwrap();
        assert!(line.ends_with(&format!("/{tag}/c")), "{line}");
    }
    // The limits, read back.
    for d in cg.paths() {
        let p = s(d);
        if p.starts_with("/sys/fs/cgroup/memory/") {
            assert_eq!(read(d, "memory.limit_in_bytes"), "33554432");
            if memsw {
                assert_eq!(read(d, "memory.memsw.limit_in_bytes"), "50331648");
            }
            assert_eq!(cg.oom_kills(), 0);
        } else if p.starts_with("/sys/fs/cgroup/pids/") {
            assert_eq!(read(d, "pids.max"), "10");
        } else {
            assert_eq!(read(d, "cpu.cfs_period_us"), "100000");
            assert_eq!(read(d, "cpu.cfs_quota_us"), "150000");
            assert_eq!(read(d, "cpu.shares"), format!("{}", cpu_shares(200)));
        }
    }
    let grandchild = procs(cg.paths().next().unwrap())
        .into_iter()
        .find(|&p| p != pid)
        .unwrap();
    remove_and_reap(cg, pid);
    // The second sleeper, not nsrun's child, was killed too.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{grandchild}/stat"));
        if stat.map_or(true, |t| t.contains(") Z ")) {
            break;
        }
        assert!(Instant::now() < deadline, "{grandchild} lives on");
        std::thread::sleep(Duration::from_millis(5));
    }
    same_tree(&before, &tree_of(&layout), &tag);
}

#[test]
fn real_v2_groups_processes_and_refuses_a_missing_controller() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let layout = match super::super::detect(&Request::default()) {
        Ok(l @ Layout::V2(_)) => l,
        _ => {
            eprintln!("skipped: no cgroup v2 hierarchy");
            return;
        }
    };
    let Layout::V2(h) = &layout else { return };
    skip_unless!(s(&h.mount));
    let tag = tag();
    let before = tree_of(&layout);
    // Absolute, at the mount's root: a cgroup without processes, as v2 wants.
    let req = at(&format!("/{tag}/c"));
    let cg = super::super::create(&req).unwrap_or_else(|e| panic!("{}", e.line()));
    assert!(cg.is_v2());
    let pid = start_in(&cg);
    let own = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let line = own.lines().find(|l| l.starts_with("0::")).unwrap();
    assert_eq!(line, format!("0::/{tag}/c"));
    remove_and_reap(cg, pid);
    same_tree(&before, &tree_of(&layout), &tag);
    // Memory from a v2 hierarchy that lacks it: a clear error, nothing left.
    if h.controllers & ctl::MEMORY == 0 {
        let mut req = at(&format!("/{tag}/m"));
        req.memory = Some(32 << 20);
        let e = super::super::tree::create_in(&Real, &req, &layout).unwrap_err();
        let want = format!("{}/cgroup.controllers has no memory", s(&h.mount));
        assert!(e.line().contains(&want), "{}", e.line());
        same_tree(&before, &tree_of(&layout), &tag);
    }
}

/// The system, except that nsrun's own cgroup (in /proc/self/cgroup) is a test's parent.
struct Redirect {
    cgroup: String,
}

impl Fs for Redirect {
    fn read(&self, path: &[u8], buf: &mut [u8]) -> Result<usize, Errno> {
        Real.read(path, buf)
    }
    fn lines(&self, path: &[u8], each: &mut dyn FnMut(&[u8])) -> Result<(), Errno> {
        if path == super::super::detect::CGROUP {
            self.cgroup.lines().for_each(|l| each(l.as_bytes()));
            return Ok(());
        }
        Real.lines(path, each)
    }
    fn write(&self, path: &[u8], data: &[u8]) -> Result<(), Errno> {
        Real.write(path, data)
    }
    fn device_filter(&self, dir: &[u8], rules: &[(bool, Vec<u8>)]) -> Result<(), Errno> {
        Real.device_filter(dir, rules)
    }
    fn mkdir(&self, path: &[u8]) -> Result<(), Errno> {
        Real.mkdir(path)
    }
    fn rmdir(&self, path: &[u8]) -> Result<(), Errno> {
        Real.rmdir(path)
    }
    fn subdirs(&self, path: &[u8]) -> Result<Vec<Vec<u8>>, Errno> {
        Real.subdirs(path)
    }
    fn kill(&self, pid: u32) {
        Real.kill(pid)
    }
    fn pause(&self) {
        Real.pause()
    }
    fn me(&self) -> Result<Owner, Errno> {
        Real.me()
    }
    fn alive(&self, pid: u32, start: u64) -> bool {
        Real.alive(pid, start)
    }
}

#[test]
fn real_gc_removes_dead_launchers_cgroups_only() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    skip_unless!("/sys/fs/cgroup");
    let layout = match super::super::detect(&Request::default()) {
        Ok(Layout::V2(h)) => h,
        _ => {
            eprintln!("skipped: no cgroup v2 hierarchy");
            return;
        }
    };
    let tag = tag();
    let parent = format!("{}/{tag}", s(&layout.mount));
    // A v1 hierarchy too, where there is one.
    let v1 = Path::new("/sys/fs/cgroup/pids/cgroup.procs").exists();
    let parent_v1 = format!("/sys/fs/cgroup/pids/{tag}");
    std::fs::create_dir(&parent).unwrap();
    if v1 {
        std::fs::create_dir(&parent_v1).unwrap();
    }
    let me = Real.me().unwrap();
    let gone = Owner {
        pid: 4_194_305, // above the highest pid there can be
        ..me
    };
    let reused = Owner {
        start: me.start + 1,
        ..me
    };
    let busy = Owner {
        pid: 4_194_306,
        ..me
    };
    for o in [gone, reused, busy, me] {
        std::fs::create_dir(format!("{parent}/{}", name(&o))).unwrap();
    }
    std::fs::create_dir(format!("{parent}/{}/inner", name(&gone))).unwrap();
    if v1 {
        std::fs::create_dir(format!("{parent_v1}/{}", name(&gone))).unwrap();
    }
    // A process in the leftover of `busy`.
    let cg = Cgroup::for_tests(true, &[format!("{parent}/{}", name(&busy)).as_bytes()]);
    let pid = start_in(&cg);
    let fs = Redirect {
        cgroup: format!("8:pids:/{tag}\n0::/{tag}\n"),
    };
    let got = gc_in(&fs).unwrap_or_else(|e| panic!("{}", e.line()));
    let mut removed: Vec<String> = got.removed.iter().map(|p| s(p).to_string()).collect();
    removed.sort();
    let mut want = vec![
        format!("{parent}/{}", name(&gone)),
        format!("{parent}/{}", name(&reused)),
    ];
    if v1 {
        want.push(format!("{parent_v1}/{}", name(&gone)));
    }
    want.sort();
    assert_eq!(removed, want);
    assert_eq!(got.busy, [format!("{parent}/{}", name(&busy)).into_bytes()]);
    assert!(Path::new(&format!("{parent}/{}", name(&me))).exists());
    remove_and_reap(cg, pid);
    std::fs::remove_dir(format!("{parent}/{}", name(&me))).unwrap();
    std::fs::remove_dir(&parent).unwrap();
    if v1 {
        std::fs::remove_dir(&parent_v1).unwrap();
    }
}

#[test]
fn real_removal_after_the_command_was_killed_and_before_it_is_reaped() {
    skip_unless!("/sys/fs/cgroup");
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let tag = tag();
    let (req, layout) = test_request(&tag, Request::default());
    let before = tree_of(&layout);
    let cg = super::super::create(&req).unwrap_or_else(|e| panic!("{}", e.line()));
    let pid = start_in(&cg);
    // SIGKILL to the command (and not to the second sleeper): a zombie nobody has reaped.
    let child = rustix::process::Pid::from_raw(pid).unwrap();
    rustix::process::kill_process(child, rustix::process::Signal::KILL).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|t| t.contains(") Z ")) {
        assert!(Instant::now() < deadline, "{pid} does not die");
        std::thread::sleep(Duration::from_millis(5));
    }
    remove_and_reap(cg, pid);
    same_tree(&before, &tree_of(&layout), &tag);
}

#[test]
fn real_a_refused_limit_leaves_nothing() {
    skip_unless!("/sys/fs/cgroup");
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let tag = tag();
    // Below the kernel's smallest quota (1 ms): parse_cpus never gives it, the kernel refuses it.
    let limits = Request {
        pids_max: Some(20),
        cpus: Some(Cpus {
            quota_us: 500,
            period_us: 100_000,
        }),
        ..Request::default()
    };
    let (req, layout) = test_request(&tag, limits);
    let before = tree_of(&layout);
    let root_control = match &layout {
        Layout::V2(h) => format!("{}/cgroup.subtree_control", s(&h.mount)),
        Layout::V1(_) => String::new(),
    };
    let control_before = std::fs::read_to_string(&root_control).unwrap_or_default();
    let e = super::super::create(&req).unwrap_err();
    if !root_control.is_empty() {
        put_back(&root_control, &control_before);
    }
    assert_eq!(e.option, "--cpus", "{}", e.line());
    assert_eq!(e.errno, Some(Errno::INVAL), "{}", e.line());
    same_tree(&before, &tree_of(&layout), &tag);
    for h in match &layout {
        Layout::V2(h) => vec![h.clone()],
        Layout::V1(hs) => hs.clone(),
    } {
        let own = h.own.unwrap_or_default();
        for parent in [
            Path::new(s(&h.mount)),
            &Path::new(s(&h.mount)).join(s(&own)),
        ] {
            assert!(!parent.join(&tag).exists(), "{parent:?}/{tag} stays");
        }
    }
}

#[test]
fn real_v2_limits_no_internal_processes_and_the_oom_count() {
    let all = ctl::MEMORY | ctl::PIDS | ctl::CPU;
    let h = match super::super::detect(&every_limit()) {
        Ok(Layout::V2(h)) if h.controllers & all == all => h,
        _ => {
            eprintln!("skipped: no cgroup v2 hierarchy with memory, pids and cpu");
            return;
        }
    };
    skip_unless!(s(&h.mount));
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let layout = Layout::V2(h.clone());
    let root_control = format!("{}/cgroup.subtree_control", s(&h.mount));
    let control_before = std::fs::read_to_string(&root_control).unwrap();
    let tag = tag();
    let before = tree_of(&layout);
    let mut req = every_limit();
    req.path = Some(format!("/{tag}/c").into_bytes());
    let cg = super::super::create(&req).unwrap_or_else(|e| panic!("{}", e.line()));
    let dir = cg.paths().next().unwrap().to_vec();
    assert_eq!(s(&dir), format!("{}/{tag}/c", s(&h.mount)));
    assert_eq!(read(&dir, "memory.max"), "33554432");
    if Path::new(&format!("{}/memory.swap.max", s(&dir))).exists() {
        assert_eq!(read(&dir, "memory.swap.max"), "16777216");
    }
    assert_eq!(read(&dir, "pids.max"), "10");
    assert_eq!(read(&dir, "cpu.max"), "150000 100000");
    assert_eq!(read(&dir, "cpu.weight"), "200");
    let parent = format!("{}/{tag}/cgroup.subtree_control", s(&h.mount));
    let enabled = std::fs::read_to_string(&parent).unwrap();
    for c in ["memory", "pids", "cpu"] {
        assert!(enabled.split_whitespace().any(|w| w == c), "{enabled}");
    }
    let pid = start_in(&cg);
    assert_eq!(cg.oom_kills(), 0);
    // A cgroup below one with processes cannot have controllers: the hint says why.
    let mut inner = every_limit();
    inner.path = Some(format!("/{tag}/c/inner").into_bytes());
    let e = super::super::create(&inner).unwrap_err();
    assert_eq!(e.errno, Some(Errno::BUSY), "{}", e.line());
    assert!(
        e.hint.contains("No Internal Process Constraint"),
        "{}",
        e.line()
    );
    assert!(!Path::new(&format!("{}/inner", s(&dir))).exists());
    remove_and_reap(cg, pid);
    same_tree(&before, &tree_of(&layout), &tag);
    put_back(&root_control, &control_before);
}

/// Disables in the cgroup.subtree_control `file` the controllers not in `before`: the controllers
/// nsrun enabled in an existing cgroup (the root here) stay enabled by design; a test puts them
/// back.
fn put_back(file: &str, before: &str) {
    let after = std::fs::read_to_string(file).unwrap();
    for c in after.split_whitespace() {
        if !before.split_whitespace().any(|w| w == c) {
            std::fs::write(file, format!("-{c}")).unwrap();
        }
    }
}

/// A process that needs 64 MiB in a cgroup of 8 MiB (and no swap) is killed by the OOM killer,
/// and [`Cgroup::oom_kills`] counts it.
fn oom_kill_counted(layout: &Layout, tag: &str) {
    let limits = Request {
        memory: Some(8 << 20),
        memory_swap: Some(Swap::Limit(8 << 20)),
        ..Request::default()
    };
    let (req, _) = test_request(tag, limits);
    let before = tree_of(layout);
    let root_control = match layout {
        Layout::V2(h) => format!("{}/cgroup.subtree_control", s(&h.mount)),
        Layout::V1(_) => String::new(),
    };
    let control_before = std::fs::read_to_string(&root_control).unwrap_or_default();
    let cg = super::super::create(&req).unwrap_or_else(|e| panic!("{}", e.line()));
    let (pid, go) = fork_hog(64 << 20).unwrap();
    cg.enter(pid as u32)
        .unwrap_or_else(|e| panic!("{}", e.line()));
    rustix::io::write(&go, b"x").unwrap();
    drop(go);
    let status = reap(pid).unwrap();
    assert_eq!(status & 0x7f, libc::SIGKILL, "status {status:#x}");
    // The count may lag the kill a little.
    let deadline = Instant::now() + Duration::from_secs(5);
    while cg.oom_kills() == 0 {
        assert!(Instant::now() < deadline, "no OOM kill counted");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(cg.oom_kills(), 1);
    cg.remove().unwrap_or_else(|e| panic!("{}", e.line()));
    same_tree(&before, &tree_of(layout), tag);
    if !root_control.is_empty() {
        put_back(&root_control, &control_before);
    }
}

#[test]
fn real_the_oom_killer_is_counted() {
    skip_unless!("/sys/fs/cgroup");
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let tag = tag();
    let limits = Request {
        memory: Some(8 << 20),
        memory_swap: Some(Swap::Limit(8 << 20)),
        ..Request::default()
    };
    let layout = match super::super::detect(&limits) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("skipped: {}", e.line());
            return;
        }
    };
    if let Layout::V1(hs) = &layout {
        let own = hs[0].own.clone().unwrap_or_default();
        let memsw = Path::new(s(&hs[0].mount))
            .join(s(&own))
            .join("memory.memsw.limit_in_bytes");
        if !memsw.exists() {
            eprintln!("skipped: no swap accounting");
            return;
        }
    }
    oom_kill_counted(&layout, &tag);
}

/// The freezer on this machine: v1's freezer hierarchy and, where cgroup2 is mounted, its
/// cgroup.freeze (a core file, there without controllers too). Two sleepers in a cgroup of the
/// test's own are frozen (as the kernel reports it: v1's `FROZEN`, v2's `frozen 1` event),
/// thawed, killed, and the cgroup removed.
#[test]
fn pause_and_resume_freeze_and_thaw_real_processes() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    for (mount, v2) in [
        ("/sys/fs/cgroup/freezer", false),
        ("/sys/fs/cgroup/unified", true),
    ] {
        if let Some(why) = cannot(mount) {
            eprintln!("skipped {mount}: {why}");
            continue;
        }
        let own = std::fs::read_to_string("/proc/self/cgroup").unwrap();
        let own = own
            .lines()
            .find_map(|l| {
                let mut f = l.splitn(3, ':');
                let (_, ctl, path) = (f.next()?, f.next()?, f.next()?);
                let hit = match v2 {
                    true => ctl.is_empty(),
                    false => ctl.split(',').any(|c| c == "freezer"),
                };
                hit.then(|| path.to_string())
            })
            .unwrap();
        let dir = format!("{mount}{}/{}", own.trim_end_matches('/'), tag());
        std::fs::create_dir(&dir).unwrap();
        let (pid, go) = fork_sleepers().unwrap();
        std::fs::write(format!("{dir}/cgroup.procs"), pid.to_string()).unwrap();
        rustix::io::write(&go, b"x").unwrap();
        drop(go);
        let d = dir.as_bytes();
        super::super::freezer::set(d, v2, true).unwrap_or_else(|e| panic!("{}", e.line()));
        assert!(super::super::freezer::frozen(d, v2).unwrap());
        super::super::freezer::set(d, v2, false).unwrap_or_else(|e| panic!("{}", e.line()));
        assert!(!super::super::freezer::frozen(d, v2).unwrap());
        for p in procs(d) {
            let _ = rustix::process::kill_process(
                rustix::process::Pid::from_raw(p).unwrap(),
                rustix::process::Signal::KILL,
            );
        }
        reap(pid).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::fs::remove_dir(&dir).is_err() {
            assert!(Instant::now() < deadline, "{dir} stays busy");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// A kept cgroup (an OCI container's: `create` exits, `delete` removes it) is found again by its
/// request, with its device rules and limits, and removed with what runs in it; the parent made
/// for it stays (removed here by the test).
#[test]
fn real_a_kept_cgroup_is_found_again_and_removed() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    skip_unless!("/sys/fs/cgroup/pids/cgroup.procs");
    skip_unless!("/sys/fs/cgroup/devices/cgroup.procs");
    let tag = tag();
    let limits = Request {
        pids_max: Some(20),
        devices: alloc::vec![
            (false, b"a *:* rwm".to_vec()),
            (true, b"c 1:3 rwm".to_vec())
        ],
        keep: true,
        ..Request::default()
    };
    let (req, layout) = test_request(&tag, limits);
    let Layout::V1(_) = layout else {
        eprintln!("skipped: no v1 devices controller");
        return;
    };
    let before = tree_of(&layout);
    let cg = super::super::create(&req).unwrap_or_else(|e| panic!("{}", e.line()));
    let pid = start_in(&cg);
    let paths: Vec<Vec<u8>> = cg.paths().map(|p| p.to_vec()).collect();
    drop(cg);
    let found = super::super::find_kept(&req).unwrap_or_else(|e| panic!("{}", e.line()));
    assert_eq!(found.paths().map(|p| p.to_vec()).collect::<Vec<_>>(), paths);
    let devices = paths.iter().find(|p| s(p).contains("/devices/")).unwrap();
    assert_eq!(read(devices, "devices.list"), "c 1:3 rwm");
    let pids = paths.iter().find(|p| s(p).contains("/pids/")).unwrap();
    assert_eq!(read(pids, "pids.max"), "20");
    remove_and_reap(found, pid);
    for p in &paths {
        let parent = Path::new(s(p)).parent().unwrap();
        std::fs::remove_dir(parent).unwrap();
    }
    same_tree(&before, &tree_of(&layout), &tag);
    let e = super::super::find_kept(&req).expect_err("gone");
    assert!(e.line().contains("No such file"), "{}", e.line());
}
