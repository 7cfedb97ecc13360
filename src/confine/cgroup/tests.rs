//! The cgroup code on an imitation of cgroupfs and /proc ([`fs::fake::Fake`]), then on this
//! machine's own hierarchies (root only; skipped with a message otherwise).

use super::detect::{detect_in, Hierarchy, Layout};
use super::fs::fake::Fake;
use super::fs::{stat_pid_start, Fs, Owner};
use super::gc::{gc_in, name, owner_of};
use super::tree::create_in;
use super::*;
use rustix::io::Errno;

mod real;

const NS: u64 = 4026531836;
const ME: Owner = Owner {
    ns: NS,
    pid: 42,
    start: 1000,
};
const LEAF: &str = "nsrun-4026531836-42-1000";

/// The files of a fresh v2 cgroup.
const V2_FILES: &[(&str, &str)] = &[
    ("cgroup.procs", ""),
    ("cgroup.subtree_control", ""),
    ("cgroup.controllers", ""),
    ("cgroup.kill", ""),
    ("memory.max", "max\n"),
    ("memory.swap.max", "max\n"),
    ("memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"),
    ("pids.max", "max\n"),
    ("cpu.max", "max 100000\n"),
    ("cpu.weight", "100\n"),
];

/// A v2-only system (systemd's layout) with nsrun in a cgroup without processes, /nsrun.
fn pure_v2() -> Fake {
    let mut f = Fake::with(&[
        (
            "/proc/self/mountinfo",
            "22 1 0:21 / / rw - ext4 /dev/vda1 rw\n\
             30 22 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n",
        ),
        ("/proc/self/cgroup", "0::/nsrun\n"),
        (
            "/sys/fs/cgroup/cgroup.controllers",
            "cpuset cpu io memory hugetlb pids rdma misc\n",
        ),
        ("/sys/fs/cgroup/cgroup.subtree_control", "cpu memory\n"),
        ("/sys/fs/cgroup/cgroup.procs", "1\n"),
        ("/sys/fs/cgroup/nsrun/cgroup.subtree_control", ""),
        ("/sys/fs/cgroup/nsrun/cgroup.procs", ""),
    ]);
    f.template("/sys/fs/cgroup/", V2_FILES);
    f.owner = Some(ME);
    f
}

/// This machine's layout: v1 controllers, cgroup2 without controllers at unified, nsrun's
/// memory cgroup below the root.
fn hybrid() -> Fake {
    let mut f = Fake::with(&[
        (
            "/proc/self/mountinfo",
            "22 1 0:21 / / rw - ext4 /dev/vda1 rw\n\
             31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n\
             32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n\
             35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n\
             36 31 0:33 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n\
             39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n\
             40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n\
             41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n",
        ),
        (
            "/proc/self/cgroup",
            "9:name=systemd:/\n8:pids:/\n4:memory:/user/1\n3:cpuset:/\n2:cpu,cpuacct:/\n0::/\n",
        ),
        ("/sys/fs/cgroup/unified/cgroup.controllers", "hugetlb\n"),
        ("/sys/fs/cgroup/unified/cgroup.subtree_control", ""),
        ("/sys/fs/cgroup/unified/cgroup.procs", "1\n42\n"),
        ("/sys/fs/cgroup/memory/cgroup.procs", "1\n"),
        ("/sys/fs/cgroup/memory/user/1/cgroup.procs", "42\n"),
        ("/sys/fs/cgroup/pids/cgroup.procs", "1\n42\n"),
        ("/sys/fs/cgroup/cpu,cpuacct/cgroup.procs", "1\n42\n"),
    ]);
    f.template("/sys/fs/cgroup/unified/", V2_FILES);
    f.template(
        "/sys/fs/cgroup/memory/",
        &[
            ("cgroup.procs", ""),
            ("memory.limit_in_bytes", "9223372036854771712\n"),
            ("memory.memsw.limit_in_bytes", "9223372036854771712\n"),
            (
                "memory.oom_control",
                "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n",
            ),
        ],
    );
    f.template(
        "/sys/fs/cgroup/pids/",
        &[("cgroup.procs", ""), ("pids.max", "max\n")],
    );
    f.template(
        "/sys/fs/cgroup/cpu,cpuacct/",
        &[
            ("cgroup.procs", ""),
            ("cpu.cfs_period_us", "100000\n"),
            ("cpu.cfs_quota_us", "-1\n"),
            ("cpu.shares", "1024\n"),
        ],
    );
    f.owner = Some(ME);
    f
}

fn every_limit() -> Request {
    Request {
        memory: Some(32 << 20),
        memory_swap: Some(Swap::Limit(48 << 20)),
        pids_max: Some(10),
        cpus: parse_cpus(b"1.5"),
        cpu_weight: Some(200),
        path: None,
        ..Request::default()
    }
}

fn memory(m: u64) -> Request {
    Request {
        memory: Some(m),
        ..Request::default()
    }
}

fn at(path: &str) -> Request {
    Request {
        path: Some(path.as_bytes().to_vec()),
        ..Request::default()
    }
}

fn s(b: &[u8]) -> &str {
    core::str::from_utf8(b).unwrap()
}

fn hierarchy(mount: &str, own: Option<&str>, controllers: u8) -> Hierarchy {
    Hierarchy {
        mount: mount.as_bytes().to_vec(),
        own: own.map(|o| o.as_bytes().to_vec()),
        controllers,
    }
}

fn detect(f: &Fake, req: &Request) -> Result<Layout, Box<Error>> {
    detect_in(f, req, req.needs())
}

fn create(f: &Fake, req: &Request) -> Result<Cgroup, Box<Error>> {
    req.check()?;
    create_in(f, req, &detect(f, req)?)
}

/// The error's line with the errno's symbolic name for the C library's text (glibc and musl
/// word them differently).
fn line(e: &Error) -> String {
    let mut l = e.line();
    if let Some(n) = e.errno {
        let name = [
            (Errno::BUSY, "EBUSY"),
            (Errno::NOENT, "ENOENT"),
            (Errno::INVAL, "EINVAL"),
            (Errno::EXIST, "EEXIST"),
            (Errno::XDEV, "EXDEV"),
        ]
        .iter()
        .find(|(e, _)| *e == n)
        .map_or("?", |(_, name)| name);
        l = l.replacen(crate::sys::errno::text(n.raw_os_error()), name, 1);
    }
    l
}

fn lines(f: &Fake) -> Vec<String> {
    f.log.borrow().clone()
}

// Detection.

#[test]
fn pure_v2_is_v2_with_its_controllers() {
    let f = pure_v2();
    let all = ctl::MEMORY | ctl::PIDS | ctl::CPU | ctl::CPUSET;
    let want = Layout::V2(hierarchy("/sys/fs/cgroup", Some("nsrun"), all));
    assert_eq!(detect(&f, &every_limit()).unwrap(), want);
    assert_eq!(detect(&f, &Request::default()).unwrap(), want);
}

#[test]
fn hybrid_is_v2_without_limits_and_v1_with() {
    let f = hybrid();
    let unified = hierarchy("/sys/fs/cgroup/unified", Some(""), 0);
    assert_eq!(detect(&f, &at("x")).unwrap(), Layout::V2(unified));
    assert_eq!(
        detect(&f, &memory(1 << 20)).unwrap(),
        Layout::V1(vec![hierarchy(
            "/sys/fs/cgroup/memory",
            Some("user/1"),
            ctl::MEMORY
        )])
    );
    assert_eq!(
        detect(&f, &every_limit()).unwrap(),
        Layout::V1(vec![
            hierarchy("/sys/fs/cgroup/memory", Some("user/1"), ctl::MEMORY),
            hierarchy("/sys/fs/cgroup/pids", Some(""), ctl::PIDS),
            hierarchy("/sys/fs/cgroup/cpu,cpuacct", Some(""), ctl::CPU),
        ])
    );
}

/// An OCI container's (kept) cgroup is also in the freezer hierarchy on v1, for `pause`; on v2
/// the unified hierarchy freezes without a controller; with no freezer mounted it still runs.
#[test]
fn a_kept_cgroup_is_in_the_freezer_where_one_is_mounted() {
    let f = hybrid();
    let kept = |mut r: Request| {
        r.keep = true;
        r
    };
    let unified = hierarchy("/sys/fs/cgroup/unified", Some(""), 0);
    assert_eq!(detect(&f, &kept(at("x"))).unwrap(), Layout::V2(unified));
    let memory_only = Layout::V1(vec![hierarchy(
        "/sys/fs/cgroup/memory",
        Some("user/1"),
        ctl::MEMORY,
    )]);
    assert_eq!(detect(&f, &kept(memory(1 << 20))).unwrap(), memory_only);
    let mut mounts = f.get("/proc/self/mountinfo").unwrap();
    mounts.push_str("43 31 0:40 / /sys/fs/cgroup/freezer rw - cgroup cgroup rw,freezer\n");
    f.put("/proc/self/mountinfo", &mounts);
    let mut own = f.get("/proc/self/cgroup").unwrap();
    own.insert_str(0, "7:freezer:/\n");
    f.put("/proc/self/cgroup", &own);
    f.put("/sys/fs/cgroup/freezer/cgroup.procs", "1\n42\n");
    assert_eq!(
        detect(&f, &kept(memory(1 << 20))).unwrap(),
        Layout::V1(vec![
            hierarchy("/sys/fs/cgroup/memory", Some("user/1"), ctl::MEMORY),
            hierarchy("/sys/fs/cgroup/freezer", Some(""), ctl::FREEZER),
        ])
    );
}

#[test]
fn v1_only_without_limits_uses_pids_and_co_mounted_controllers_share_a_directory() {
    let f = Fake::with(&[
        (
            "/proc/self/mountinfo",
            "40 31 0:37 / /cg/systemd rw - cgroup cgroup rw,xattr,name=systemd\n\
             41 31 0:38 / /cg/mp rw - cgroup cgroup rw,memory,pids\n\
             42 31 0:39 / /cg/cpu rw - cgroup cgroup rw,cpuacct,cpu\n",
        ),
        (
            "/proc/self/cgroup",
            "3:name=systemd:/a\n2:memory,pids:/b\n1:cpuacct,cpu:/c\n",
        ),
    ]);
    let mp = |bits| hierarchy("/cg/mp", Some("b"), bits);
    assert_eq!(
        detect(&f, &Request::default()).unwrap(),
        Layout::V1(vec![mp(ctl::PIDS)])
    );
    assert_eq!(
        detect(&f, &every_limit()).unwrap(),
        Layout::V1(vec![
            mp(ctl::MEMORY | ctl::PIDS),
            hierarchy("/cg/cpu", Some("c"), ctl::CPU)
        ])
    );
}

#[test]
fn cgroup_namespace_roots_and_mounts_of_a_subtree() {
    // In a cgroup namespace: the mount's root and the cgroup are both `/`.
    let f = Fake::with(&[
        (
            "/proc/self/mountinfo",
            "50 40 0:30 / /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n",
        ),
        ("/proc/self/cgroup", "0::/\n"),
        ("/sys/fs/cgroup/cgroup.controllers", "memory pids\n"),
    ]);
    let h = hierarchy("/sys/fs/cgroup", Some(""), ctl::MEMORY | ctl::PIDS);
    assert_eq!(detect(&f, &memory(1)).unwrap(), Layout::V2(h));
    // A bind of a sub-cgroup: its root is not `/`, the cgroup's path is relative to it.
    let f = Fake::with(&[
        (
            "/proc/self/mountinfo",
            "50 40 0:30 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n",
        ),
        ("/proc/self/cgroup", "4:memory:/docker/abc/sub\n"),
    ]);
    let h = hierarchy("/sys/fs/cgroup/memory", Some("sub"), ctl::MEMORY);
    assert_eq!(detect(&f, &memory(1)).unwrap(), Layout::V1(vec![h]));
    // A cgroup outside the mount's root (or outside the namespace: `..`) is not visible.
    for (root, own) in [
        ("/docker/abc", "/docker/other"),
        ("/docker/abc", "/docker/abcd"),
        ("/..", "/"),
        ("/", "/../x"),
    ] {
        let mut f = Fake::with(&[
            (
                "/proc/self/mountinfo",
                &format!("50 40 0:30 {root} /m rw - cgroup cgroup rw,memory\n"),
            ),
            ("/proc/self/cgroup", &format!("4:memory:{own}\n")),
        ]);
        f.owner = Some(ME);
        let want = Layout::V1(vec![hierarchy("/m", None, ctl::MEMORY)]);
        assert_eq!(detect(&f, &memory(1)).unwrap(), want, "{root} {own}");
        // Then only an absolute --cgroup-path can be used.
        let e = create_in(&f, &memory(1), &want).unwrap_err();
        assert!(
            line(&e).contains("own cgroup is not visible below /m"),
            "{}",
            line(&e)
        );
    }
}

#[test]
fn of_several_mounts_the_one_showing_the_cgroup() {
    let f = Fake::with(&[
        (
            "/proc/self/mountinfo",
            "50 40 0:30 /x /a rw - cgroup2 cgroup2 rw\n\
             51 40 0:30 / /b rw - cgroup2 cgroup2 rw\n\
             52 40 0:30 /user /c rw - cgroup2 cgroup2 rw\n",
        ),
        ("/proc/self/cgroup", "0::/user/1\n"),
        ("/b/cgroup.controllers", "pids\n"),
    ]);
    let h = hierarchy("/b", Some("user/1"), ctl::PIDS);
    assert_eq!(detect(&f, &Request::default()).unwrap(), Layout::V2(h));
}

#[test]
fn a_missing_controller_names_the_file_to_check() {
    // v2 only, without memory.
    let f = pure_v2();
    f.put("/sys/fs/cgroup/cgroup.controllers", "cpu io pids\n");
    let e = detect(&f, &memory(32 << 20)).unwrap_err();
    assert_eq!(
        line(&e),
        "--memory 32m: no cgroup hierarchy has its controller (hint: \
         /sys/fs/cgroup/cgroup.controllers has no memory, and no cgroup v1 hierarchy has memory)"
    );
    // Hybrid without a v1 pids hierarchy; v2 has pids but not memory.
    let f = hybrid();
    f.put(
        "/proc/self/mountinfo",
        "35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n\
         41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n",
    );
    f.put("/sys/fs/cgroup/unified/cgroup.controllers", "pids\n");
    let mut req = memory(1 << 20);
    req.pids_max = Some(5);
    let e = detect(&f, &req).unwrap_err();
    assert_eq!(e.option, "--pids-max");
    assert_eq!(
        e.hint,
        "/sys/fs/cgroup/unified/cgroup.controllers has no memory, and no cgroup v1 hierarchy \
         has pids"
    );
    // No cgroup at all.
    let f = Fake::with(&[
        (
            "/proc/self/mountinfo",
            "22 1 0:21 / / rw - ext4 /dev/vda1 rw\n",
        ),
        ("/proc/self/cgroup", ""),
    ]);
    let e = detect(&f, &Request::default()).unwrap_err();
    assert_eq!(
        line(&e),
        "cgroup: no cgroup hierarchy has its controller (hint: /proc/self/mountinfo has no \
         cgroup2 and no cgroup v1 hierarchy with pids)"
    );
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    for (mountinfo, cgroup, file) in [
        ("garbage\n", "0::/\n", "/proc/self/mountinfo"),
        (
            "41 31 0:38 / /u rw - cgroup2\n",
            "0::/\n",
            "/proc/self/mountinfo",
        ),
        (
            "41 31 0:38 / /u\\9 rw - cgroup2 c rw\n",
            "0::/\n",
            "/proc/self/mountinfo",
        ),
        (
            "41 31 0:38 / /u rw - cgroup2 c rw\n",
            "0:/\n",
            "/proc/self/cgroup",
        ),
        (
            "41 31 0:38 / /u rw - cgroup2 c rw\n",
            "x::/\n",
            "/proc/self/cgroup",
        ),
        (
            "41 31 0:38 / /u rw - cgroup2 c rw\n",
            "0::relative\n",
            "/proc/self/cgroup",
        ),
    ] {
        let f = Fake::with(&[
            ("/proc/self/mountinfo", mountinfo),
            ("/proc/self/cgroup", cgroup),
        ]);
        let e = detect(&f, &Request::default()).unwrap_err();
        assert_eq!(s(&e.path), file, "{mountinfo:?} {cgroup:?}");
        assert_eq!(e.errno, Some(Errno::INVAL));
        assert_eq!(e.hint, "a line not in the kernel's format");
    }
    // A missing file.
    let f = Fake::with(&[("/proc/self/mountinfo", "")]);
    let e = detect(&f, &Request::default()).unwrap_err();
    assert_eq!(
        line(&e),
        "cgroup: read /proc/self/cgroup: ENOENT (hint: nsrun finds the cgroup hierarchies in \
         /proc: mount a proc there)"
    );
    // Random bytes never panic.
    let mut rng = crate::testing::Rng(99);
    let pieces = [
        "0",
        "1",
        ":",
        "::",
        "/",
        "-",
        " ",
        "cgroup",
        "cgroup2",
        "memory",
        "\n",
        "\\",
        "..",
        "41 31 0:38 / /u rw - cgroup2 c rw\n",
        "4:memory:/x\n",
    ];
    for _ in 0..2000 {
        let mut a = String::new();
        let mut b = String::new();
        for _ in 0..rng.below(12) {
            a.push_str(rng.pick(&pieces));
            b.push_str(rng.pick(&pieces));
        }
        let f = Fake::with(&[("/proc/self/mountinfo", &a), ("/proc/self/cgroup", &b)]);
        f.put("/u/cgroup.controllers", "memory");
        let _ = detect(&f, &every_limit());
        if let Ok(l) = detect(&f, &memory(1)) {
            let _ = create_in(&f, &memory(1), &l);
        }
    }
}

// Creation, entering, the OOM count and removal.

#[test]
fn v2_enables_controllers_writes_limits_enters_and_removes() {
    let f = pure_v2();
    let before = f.dirs();
    let cg = create(&f, &every_limit()).unwrap();
    let dir = format!("/sys/fs/cgroup/nsrun/{LEAF}");
    assert!(cg.is_v2());
    assert_eq!(cg.paths().map(s).collect::<Vec<_>>(), [dir.as_str()]);
    let root = "/sys/fs/cgroup/cgroup.subtree_control";
    let parent = "/sys/fs/cgroup/nsrun/cgroup.subtree_control";
    assert_eq!(
        lines(&f),
        [
            format!("mkdir {dir}"),
            format!("write {root} +pids"),
            format!("write {parent} +memory"),
            format!("write {parent} +pids"),
            format!("write {parent} +cpu"),
            format!("write {dir}/memory.max 33554432"),
            format!("write {dir}/memory.swap.max 16777216"),
            format!("write {dir}/pids.max 10"),
            format!("write {dir}/cpu.max 150000 100000"),
            format!("write {dir}/cpu.weight 200"),
        ]
    );
    cg.enter_in(&f, 7).unwrap();
    assert_eq!(f.get(&format!("{dir}/cgroup.procs")).unwrap(), "7\n");
    assert_eq!(cg.oom_kills_in(&f), 0);
    f.put(
        &format!("{dir}/memory.events"),
        "oom 4\noom_kill 3\noom_group_kill 0\n",
    );
    assert_eq!(cg.oom_kills_in(&f), 3);
    f.log.borrow_mut().clear();
    cg.remove_in(&f).unwrap();
    assert_eq!(
        lines(&f),
        [
            format!("write {dir}/cgroup.kill 1"),
            "kill 7".into(),
            format!("rmdir {dir}"),
        ]
    );
    assert_eq!(f.dirs(), before);
}

#[test]
fn v2_memory_alone_swaps_as_much_as_memory_where_swap_is_accounted() {
    let f = pure_v2();
    let cg = create(&f, &memory(64 << 20)).unwrap();
    let dir = format!("/sys/fs/cgroup/nsrun/{LEAF}");
    assert_eq!(
        f.get(&format!("{dir}/memory.swap.max")).unwrap(),
        "67108864"
    );
    cg.remove_in(&f).unwrap();
    // --memory-swap equal to --memory: no swap; -1: no limit.
    for (swap, want) in [(Swap::Limit(64 << 20), "0"), (Swap::Unlimited, "max")] {
        let mut req = memory(64 << 20);
        req.memory_swap = Some(swap);
        let cg = create(&f, &req).unwrap();
        assert_eq!(f.get(&format!("{dir}/memory.swap.max")).unwrap(), want);
        cg.remove_in(&f).unwrap();
    }
    // Without swap accounting (no memory.swap.max): skipped by default, an error when asked.
    let f = pure_v2();
    let files: Vec<_> = V2_FILES
        .iter()
        .filter(|(n, _)| *n != "memory.swap.max")
        .copied()
        .collect();
    f.templates.borrow_mut().clear();
    f.template("/sys/fs/cgroup/", &files);
    let before = f.dirs();
    create(&f, &memory(64 << 20))
        .unwrap()
        .remove_in(&f)
        .unwrap();
    let mut req = memory(64 << 20);
    req.memory_swap = Some(Swap::Limit(128 << 20));
    let e = create(&f, &req).unwrap_err();
    assert_eq!(
        line(&e),
        format!(
            "--memory 64m: write /sys/fs/cgroup/nsrun/{LEAF}/memory.swap.max: ENOENT (hint: the kernel does not account swap (CONFIG_MEMCG_SWAP, \
             swapaccount=1), or leave --memory-swap out)"
        )
    );
    assert_eq!(f.dirs(), before);
}

#[test]
fn v2_no_internal_processes_gives_a_hint_and_removes_what_it_made() {
    let f = pure_v2();
    let before = f.dirs();
    let parent = "/sys/fs/cgroup/nsrun/cgroup.subtree_control";
    f.fail(parent, "+", Errno::BUSY);
    let e = create(&f, &every_limit()).unwrap_err();
    assert_eq!(
        line(&e),
        format!(
            "--memory 32m: write {parent}: EBUSY (hint: this cgroup has \
             processes, and cgroup v2 gives controllers only to the children of cgroups \
             without (cgroup-v2.rst, \"No Internal Process Constraint\"): give a --cgroup-path \
             below a cgroup without processes, e.g. --cgroup-path /nsrun)"
        )
    );
    // The cgroup is gone; pids, enabled at the root, stays enabled (disabling it could take it
    // from a sibling another run made meanwhile).
    let log = lines(&f);
    assert!(log.contains(&format!("rmdir /sys/fs/cgroup/nsrun/{LEAF}")));
    assert!(
        !log.iter().any(|l| l.contains("subtree_control -")),
        "{log:?}"
    );
    assert_eq!(f.dirs(), before);
}

#[test]
fn v2_a_controller_the_parent_lacks() {
    // This machine's unified hierarchy: no controllers (the v1 hierarchies hold them). The
    // layout is forced to v2 here; detection would have chosen v1.
    let f = hybrid();
    f.fail(
        "/sys/fs/cgroup/unified/cgroup.subtree_control",
        "+memory",
        Errno::NOENT,
    );
    let before = f.dirs();
    let layout = Layout::V2(hierarchy("/sys/fs/cgroup/unified", Some(""), 0));
    let e = create_in(&f, &memory(32 << 20), &layout).unwrap_err();
    assert_eq!(
        line(&e),
        "--memory 32m: write /sys/fs/cgroup/unified/cgroup.subtree_control: ENOENT (hint: /sys/fs/cgroup/unified/cgroup.controllers has no memory)"
    );
    assert_eq!(f.dirs(), before);
    // Without limits it is a plain group of processes.
    let cg = create(&f, &Request::default()).unwrap();
    assert!(cg.is_v2());
    cg.enter_in(&f, 42).unwrap();
    assert_eq!(cg.oom_kills_in(&f), 0);
    cg.remove_in(&f).unwrap();
    assert_eq!(f.dirs(), before);
}

#[test]
fn v1_one_directory_per_hierarchy() {
    let f = hybrid();
    f.procs.borrow_mut().push((77, 5));
    let before = f.dirs();
    let cg = create(&f, &every_limit()).unwrap();
    assert!(!cg.is_v2());
    let mem = format!("/sys/fs/cgroup/memory/user/1/{LEAF}");
    let pids = format!("/sys/fs/cgroup/pids/{LEAF}");
    let cpu = format!("/sys/fs/cgroup/cpu,cpuacct/{LEAF}");
    assert_eq!(
        cg.paths().map(s).collect::<Vec<_>>(),
        [mem.as_str(), pids.as_str(), cpu.as_str()]
    );
    assert_eq!(
        lines(&f),
        [
            format!("mkdir {mem}"),
            format!("mkdir {pids}"),
            format!("mkdir {cpu}"),
            format!("write {mem}/memory.limit_in_bytes 33554432"),
            format!("write {mem}/memory.memsw.limit_in_bytes 50331648"),
            format!("write {pids}/pids.max 10"),
            format!("write {cpu}/cpu.cfs_period_us 100000"),
            format!("write {cpu}/cpu.cfs_quota_us 150000"),
            format!("write {cpu}/cpu.shares {}", cpu_shares(200)),
        ]
    );
    cg.enter_in(&f, 77).unwrap();
    for d in [&mem, &pids, &cpu] {
        assert_eq!(f.get(&format!("{d}/cgroup.procs")).unwrap(), "77\n");
    }
    f.put(
        &format!("{mem}/memory.oom_control"),
        "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
    );
    assert_eq!(cg.oom_kills_in(&f), 2);
    // A cgroup the container made below, with a process in it.
    f.put(&format!("{pids}/inner/cgroup.procs"), "78\n");
    f.log.borrow_mut().clear();
    cg.remove_in(&f).unwrap();
    let log = lines(&f);
    assert!(log.contains(&"kill 77".to_string()) && log.contains(&"kill 78".to_string()));
    assert!(!log.iter().any(|l| l.contains("cgroup.kill")));
    assert_eq!(f.dirs(), before);
    assert!(f.procs.borrow().is_empty());
}

#[test]
fn v1_swap_without_accounting_and_unlimited_swap() {
    let f = hybrid();
    let mem = format!("/sys/fs/cgroup/memory/user/1/{LEAF}");
    let mut req = memory(32 << 20);
    req.memory_swap = Some(Swap::Unlimited);
    let cg = create(&f, &req).unwrap();
    assert_eq!(
        f.get(&format!("{mem}/memory.memsw.limit_in_bytes"))
            .unwrap(),
        "-1"
    );
    cg.remove_in(&f).unwrap();
    // By default memory and swap together are twice the memory.
    let cg = create(&f, &memory(32 << 20)).unwrap();
    let memsw = f
        .get(&format!("{mem}/memory.memsw.limit_in_bytes"))
        .unwrap();
    assert_eq!(memsw, format!("{}", 64 << 20));
    cg.remove_in(&f).unwrap();
    // No memsw file: skipped by default, an error when asked for.
    f.templates
        .borrow_mut()
        .retain(|(p, _)| !p.contains("memory"));
    f.template(
        "/sys/fs/cgroup/memory/",
        &[("cgroup.procs", ""), ("memory.limit_in_bytes", "")],
    );
    let before = f.dirs();
    create(&f, &memory(32 << 20))
        .unwrap()
        .remove_in(&f)
        .unwrap();
    let mut req = memory(32 << 20);
    req.memory_swap = Some(Swap::Limit(64 << 20));
    let e = create(&f, &req).unwrap_err();
    assert!(line(&e).starts_with(&format!(
        "--memory 32m: write {mem}/memory.memsw.limit_in_bytes: ENOENT \
         (hint: the kernel does not account swap: boot it with swapaccount=1"
    )));
    assert_eq!(f.dirs(), before);
}

#[test]
fn v1_a_failure_in_the_second_hierarchy_removes_the_first() {
    let f = hybrid();
    let before = f.dirs();
    // nsrun's pids cgroup has gone.
    f.put(
        "/proc/self/cgroup",
        "8:pids:/gone\n4:memory:/user/1\n0::/\n",
    );
    let mut req = memory(1 << 20);
    req.pids_max = Some(3);
    let e = create(&f, &req).unwrap_err();
    assert_eq!(
        line(&e),
        format!("cgroup: mkdir /sys/fs/cgroup/pids/gone/{LEAF}: ENOENT")
    );
    assert_eq!(f.dirs(), before);
    // A limit the kernel refuses.
    f.put("/proc/self/cgroup", "8:pids:/\n4:memory:/user/1\n0::/\n");
    f.fail(
        &format!("/sys/fs/cgroup/pids/{LEAF}/pids.max"),
        "",
        Errno::INVAL,
    );
    let e = create(&f, &req).unwrap_err();
    assert_eq!(
        line(&e),
        format!(
            "--pids-max 3: write /sys/fs/cgroup/pids/{LEAF}/pids.max: EINVAL (hint: \
             the kernel refused the value)"
        )
    );
    assert_eq!(f.dirs(), before);
}

#[test]
fn cgroup_paths_relative_absolute_and_existing() {
    let f = hybrid();
    f.put("/sys/fs/cgroup/pids/a/", "");
    let before = f.dirs();
    // Relative to nsrun's own cgroup; missing parents made and removed, existing ones kept.
    let mut req = at("a/b/c");
    req.pids_max = Some(5);
    req.memory = Some(1 << 30);
    let cg = create(&f, &req).unwrap();
    assert_eq!(
        cg.paths().map(s).collect::<Vec<_>>(),
        [
            "/sys/fs/cgroup/memory/user/1/a/b/c",
            "/sys/fs/cgroup/pids/a/b/c"
        ]
    );
    let made: Vec<_> = lines(&f)
        .into_iter()
        .filter(|l| l.starts_with("mkdir"))
        .collect();
    assert_eq!(
        made,
        [
            "mkdir /sys/fs/cgroup/memory/user/1/a",
            "mkdir /sys/fs/cgroup/memory/user/1/a/b",
            "mkdir /sys/fs/cgroup/memory/user/1/a/b/c",
            "mkdir /sys/fs/cgroup/pids/a/b",
            "mkdir /sys/fs/cgroup/pids/a/b/c",
        ]
    );
    cg.remove_in(&f).unwrap();
    assert_eq!(f.dirs(), before);
    // Absolute: below the mount's root.
    let mut req = at("/top/x/");
    req.pids_max = Some(5);
    let cg = create(&f, &req).unwrap();
    assert_eq!(
        cg.paths().map(s).collect::<Vec<_>>(),
        ["/sys/fs/cgroup/pids/top/x"]
    );
    // A parent another run shares stays while that run's cgroup is in it.
    let mut other = at("/top/y");
    other.pids_max = Some(5);
    let cg2 = create(&f, &other).unwrap();
    cg.remove_in(&f).unwrap();
    assert!(f.dirs().contains(&"/sys/fs/cgroup/pids/top".to_string()));
    cg2.remove_in(&f).unwrap();
    // It was the other run's to remove: it stays.
    assert!(f.dirs().contains(&"/sys/fs/cgroup/pids/top".to_string()));
    f.rmdir(b"/sys/fs/cgroup/pids/top").unwrap();
    assert_eq!(f.dirs(), before);
    // An existing cgroup is refused, and stays.
    f.put("/sys/fs/cgroup/pids/a/taken/", "");
    let before = f.dirs();
    let mut req = at("a/taken");
    req.pids_max = Some(5);
    let e = create(&f, &req).unwrap_err();
    assert_eq!(
        line(&e),
        "--cgroup-path a/taken: mkdir /sys/fs/cgroup/pids/a/taken: EEXIST (hint: it \
         exists: another run uses it, or a run that was killed left it (remove it with rmdir \
         once it is empty))"
    );
    assert_eq!(f.dirs(), before);
    // Paths the options refuse.
    for bad in ["", "/", "a/../b", "a//b"] {
        let e = create(&f, &at(bad)).unwrap_err();
        assert_eq!(e.option, "--cgroup-path");
    }
}

#[test]
fn the_default_name_needs_the_launchers_own_proc() {
    let mut f = pure_v2();
    f.owner = None;
    let e = create(&f, &memory(1 << 20)).unwrap_err();
    assert_eq!(
        line(&e),
        "cgroup: read /proc/self/stat: EXDEV (hint: /proc must be the \
         procfs of nsrun's PID namespace)"
    );
    // A given path does not.
    let mut req = at("x");
    req.memory = Some(1 << 20);
    create(&f, &req).unwrap().remove_in(&f).unwrap();
}

#[test]
fn removal_reports_what_stays() {
    let f = hybrid();
    let cg = create(&f, &Request::default()).unwrap();
    let dir = format!("/sys/fs/cgroup/unified/{LEAF}");
    cg.enter_in(&f, 66).unwrap();
    f.immortal.borrow_mut().push(66);
    let e = cg.remove_in(&f).unwrap_err();
    assert_eq!(
        line(&e),
        format!(
            "cgroup: rmdir {dir}: EBUSY (hint: processes are still in it \
             (see its cgroup.procs))"
        )
    );
    // Killed again and again, for the two seconds.
    assert_eq!(f.logged().matches("kill 66").count(), 200);
    // Once it has died, removal succeeds.
    f.immortal.borrow_mut().clear();
    cg.remove_in(&f).unwrap();
    assert!(!f.dirs().contains(&dir));
}

#[test]
fn errors_read_as_one_line() {
    let e = Error {
        option: "--memory",
        value: "32m".into(),
        op: "write",
        path: b"/sys/fs/cgroup/memory/x/memory.limit_in_bytes".to_vec(),
        errno: Some(Errno::ACCESS),
        hint: String::new(),
        about: 0,
    };
    assert_eq!(
        e.line(),
        format!(
            "--memory 32m: write /sys/fs/cgroup/memory/x/memory.limit_in_bytes: {}",
            crate::sys::errno::text(libc::EACCES)
        )
    );
    let e = Error {
        path: b"/a\nb".to_vec(),
        errno: None,
        hint: "h".into(),
        ..e
    };
    assert_eq!(e.line(), "--memory 32m: write /a\\nb (hint: h)");
}

#[test]
fn requests_checked_together() {
    let mut req = Request {
        memory_swap: Some(Swap::Limit(1 << 20)),
        ..Request::default()
    };
    assert_eq!(
        line(&req.check().unwrap_err()),
        "--memory-swap 1m: needs --memory (memory and swap together)"
    );
    req.memory = Some(2 << 20);
    assert_eq!(
        line(&req.check().unwrap_err()),
        "--memory-swap 1m: is memory and swap together: it cannot be below --memory"
    );
    req.memory = Some(1 << 20);
    assert!(req.check().is_ok());
    let req = Request {
        memory_swap: Some(Swap::Unlimited),
        ..Request::default()
    };
    assert!(req.check().is_err());
    assert_eq!(
        line(&at("a/..").check().unwrap_err()),
        "--cgroup-path a/..: must not have . or .. components"
    );
    assert_eq!(every_limit().needs(), ctl::MEMORY | ctl::PIDS | ctl::CPU);
    assert_eq!(at("x").needs(), 0);
}

// Leftovers.

#[test]
fn names_of_leftovers() {
    assert_eq!(name(&ME), LEAF);
    assert_eq!(owner_of(LEAF.as_bytes()), Some(ME));
    for bad in [
        "nsrun-4026531836-42",
        "nsrun-4026531836-42-1000-1",
        "nsrun-4026531836-042-1000",
        "nsrun-4026531836-42-",
        "nsrun-x-42-1000",
        "nsrun-4026531836-4294967296-1",
        "other",
        "nsrun-",
    ] {
        assert_eq!(owner_of(bad.as_bytes()), None, "{bad}");
    }
}

#[test]
fn stat_fields() {
    let stat = "123 (a) b) S 1 123 123 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 98765 1000 10";
    assert_eq!(stat_pid_start(stat.as_bytes()), Some((123, 98765)));
    assert_eq!(stat_pid_start(b"123 (x) S 1"), None);
    assert_eq!(stat_pid_start(b""), None);
    assert_eq!(stat_pid_start(b")"), None);
}

#[test]
fn gc_removes_only_what_dead_launchers_left_empty() {
    let f = hybrid();
    let base = "/sys/fs/cgroup/unified";
    let n = |pid: u32, start: u64| name(&Owner { ns: NS, pid, start });
    // Dead (no such process), and a pid reused by another process: removed (with an empty
    // cgroup below).
    f.put(&format!("{base}/{}/cgroup.procs", n(10, 100)), "");
    f.put(&format!("{base}/{}/sub/cgroup.procs", n(10, 100)), "");
    f.put(&format!("{base}/{}/cgroup.procs", n(12, 300)), "");
    f.procs.borrow_mut().push((12, 999));
    // Alive, though empty (made a moment ago): kept.
    f.put(&format!("{base}/{}/cgroup.procs", n(11, 200)), "");
    f.procs.borrow_mut().push((11, 200));
    // Ours: kept.
    f.put(&format!("{base}/{LEAF}/cgroup.procs"), "");
    // Dead, but processes live on in it: busy.
    f.put(&format!("{base}/{}/cgroup.procs", n(14, 5)), "99\n");
    // Another PID namespace, a name nsrun does not make, another name: untouched.
    let other_ns = name(&Owner {
        ns: NS + 1,
        pid: 13,
        start: 1,
    });
    f.put(&format!("{base}/{other_ns}/cgroup.procs"), "");
    f.put(&format!("{base}/nsrun-{NS}-015-1/cgroup.procs"), "");
    f.put(&format!("{base}/other/cgroup.procs"), "");
    // In v1's memory hierarchy too, below nsrun's own cgroup there.
    let mem = "/sys/fs/cgroup/memory/user/1";
    f.put(&format!("{mem}/{}/cgroup.procs", n(10, 100)), "");
    let got = gc_in(&f).unwrap();
    let removed: Vec<_> = got.removed.iter().map(|p| s(p).to_string()).collect();
    assert_eq!(
        removed,
        [
            format!("{base}/{}", n(10, 100)),
            format!("{base}/{}", n(12, 300)),
            format!("{mem}/{}", n(10, 100)),
        ]
    );
    let busy: Vec<_> = got.busy.iter().map(|p| s(p).to_string()).collect();
    assert_eq!(busy, [format!("{base}/{}", n(14, 5))]);
    let dirs = f.dirs();
    for kept in [n(11, 200), LEAF.into(), n(14, 5), other_ns, "other".into()] {
        assert!(dirs.contains(&format!("{base}/{kept}")), "{kept}");
    }
    assert!(!f.logged().contains("kill"));
}

#[test]
fn gc_needs_the_launchers_own_proc() {
    let mut f = hybrid();
    f.owner = None;
    assert!(gc_in(&f).unwrap_err().line().contains("/proc/self/stat"));
}

/// The Fs trait's object is what the tests drive; make sure the real one is the same trait.
#[allow(dead_code)]
fn real_is_fs(f: &super::fs::Real) -> &dyn Fs {
    f
}

fn device_rules(default: bool) -> Request {
    Request {
        devices: vec![
            (false, b"a *:* rwm".to_vec()),
            (true, b"c 1:3 rwm".to_vec()),
            (true, b"c 136:* rwm".to_vec()),
        ],
        devices_default: default,
        keep: true,
        ..Request::default()
    }
}

/// cgroup v2 (no v1 devices hierarchy): the device rules, the config's or the default ones, are
/// one eBPF program attached to the container's cgroup; no controller is enabled for them.
#[test]
fn v2_device_rules_are_a_filter_on_the_cgroup() {
    for default in [false, true] {
        let f = pure_v2();
        let req = Request {
            memory: Some(32 << 20),
            ..device_rules(default)
        };
        let cg = create(&f, &req).unwrap();
        assert!(cg.is_v2());
        let log = lines(&f);
        assert!(!log.iter().any(|l| l.contains("+devices")), "{log:?}");
        assert!(!log.iter().any(|l| l.contains("devices.allow")), "{log:?}");
        assert!(
            log.iter().any(
                |l| l.ends_with("deny a *:* rwm; allow c 1:3 rwm; allow c 136:* rwm")
                    && l.starts_with("bpf /sys/fs/cgroup/nsrun/")
            ),
            "{log:?}"
        );
        cg.remove_in(&f).unwrap();
    }
}

/// A filter the kernel refuses fails the run (default rules too: nothing runs unconfined) and
/// leaves no cgroup.
#[test]
fn v2_a_refused_device_filter_fails_and_leaves_nothing() {
    for default in [false, true] {
        let f = pure_v2();
        let before = f.dirs();
        let leaf = format!("/sys/fs/cgroup/nsrun/{LEAF}");
        f.fail(&leaf, "bpf", Errno::PERM);
        let e = create(&f, &device_rules(default)).unwrap_err();
        assert!(
            line(&e).contains("attach the device filter (eBPF) to") && line(&e).contains("CAP_BPF"),
            "{}",
            line(&e)
        );
        assert_eq!(f.dirs(), before);
    }
}

/// A hybrid host whose v1 hierarchies have no devices controller: the filter goes on the
/// cgroup2 hierarchy, which the kernel applies beside the v1 controllers (this machine's
/// devices hierarchy keeps the v1 rules: `redteam_oci`'s device tests).
#[test]
fn hybrid_without_v1_devices_filters_on_cgroup2() {
    let f = hybrid();
    let cg = create(&f, &device_rules(false)).unwrap();
    assert!(cg.is_v2());
    let log = lines(&f);
    assert!(
        log.iter()
            .any(|l| l.starts_with("bpf /sys/fs/cgroup/unified/nsrun-")),
        "{log:?}"
    );
    assert!(!log.iter().any(|l| l.contains("devices.allow")), "{log:?}");
}

/// Device rules (the default ones too) on a layout that must be v1 for another controller and
/// has no v1 devices hierarchy: refused, not left out (nothing runs without its device rules).
#[test]
fn device_rules_without_a_devices_hierarchy_fail() {
    let f = hybrid();
    for default in [false, true] {
        let req = Request {
            pids_max: Some(10),
            ..device_rules(default)
        };
        let e = create(&f, &req).unwrap_err();
        assert!(
            line(&e).contains("no cgroup hierarchy has its controller"),
            "{}",
            line(&e)
        );
    }
}
