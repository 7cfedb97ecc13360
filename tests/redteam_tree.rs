//! Red-team tests of the tree promises (issue 6 items 1 and 5): each reproduces a way a hostile
//! user broke "nsrun never creates anything on a host filesystem", "destinations are resolved
//! inside the root" or "the new root is DIR" on the code as it was. Each observes the host from
//! outside the container (listings of host directories, the host's mount table).
//!
//! Each needs root (nsrun mounts in its own mount namespace only; the host's mount table is checked
//! unchanged at the end).

mod common;
mod rootfs;

use std::ffi::CString;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{exchange, listing, require_root, TempDir};
use rootfs::Rootfs;

/// The entries of `dir` (not below), as full paths, read while a racer may be renaming it.
fn entries(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(list) => list
            .filter_map(Result::ok)
            .map(|e| e.path().display().to_string())
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn c(p: &Path) -> CString {
    CString::new(p.to_str().unwrap()).unwrap()
}

/// Runs `body` while a thread swaps `a` and `b` as fast as it can, then puts them back if `a` ended
/// up the symlink.
fn while_swapping<T>(a: &Path, b: &Path, body: impl FnOnce() -> T) -> T {
    let result = common::while_swapping(a, b, body);
    if std::fs::symlink_metadata(a)
        .unwrap()
        .file_type()
        .is_symlink()
    {
        exchange(&c(a), &c(b));
    }
    result
}

const RACE_RUNS: usize = 3000;
const RACE_TIME: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------------
// Break 1: a mount target that is already a mount point (here: nsrun's own first tmpfs) swapped
// for a symlink right after the mount. `top_of` only checks that the re-opened last component has
// another st_dev than the old one; the swapped-in symlink lives on the parent's (host) filesystem,
// which differs from the old mount's, so the check passes, the symlink's st_dev (the HOST
// filesystem of DIR) is recorded as "ours", and the next --mkdir creates on the host.

/// `nsrun --root R --tmpfs /mnt/t --tmpfs /mnt/t --mkdir /mnt/created` while another process
/// exchanges R/mnt/t with a symlink R/mnt/l: R/mnt/created must never appear on the host.
#[test]
#[ignore = "needs root"]
fn a_stacked_mount_target_swapped_after_the_mount_makes_the_host_creatable() {
    require_root();
    let r = Rootfs::new("rt-stack");
    let victim = TempDir::new("rt-stack-victim");
    let target = r.root().join("mnt/t");
    std::fs::create_dir(&target).unwrap();
    let link = r.root().join("mnt/l");
    std::os::unix::fs::symlink(victim.path(), &link).unwrap();
    let r = r.resnapshot();
    let created = r.root().join("mnt/created");
    let mut bad = None;
    let (mut ran, mut refused) = (0, 0);
    while_swapping(&target, &link, || {
        let start = Instant::now();
        for _ in 0..RACE_RUNS {
            if start.elapsed() > RACE_TIME {
                break;
            }
            let out = r.run(
                &[
                    "--tmpfs",
                    "/mnt/t",
                    "--tmpfs",
                    "/mnt/t",
                    "--mkdir",
                    "/mnt/created",
                ],
                &["/bin/true"],
            );
            match out.code() {
                Some(0) => ran += 1,
                _ => refused += 1,
            }
            if created.exists() {
                bad = Some(out);
                break;
            }
        }
    });
    if let Some(out) = bad {
        let _ = std::fs::remove_dir(&created);
        panic!(
            "nsrun created {} on the host (runs: {ran} ran, {refused} refused)\n{out}",
            created.display()
        );
    }
    assert_eq!(listing(victim.path()), Vec::<String>::new());
    r.resnapshot().finish();
}

/// The same break rootless and without --root: uid 65534 runs `nsrun --tmpfs D/mnt/t --tmpfs
/// D/mnt/t --mkdir D/mnt/created` on a directory D it owns on the host's /tmp, while D/mnt/t is
/// exchanged with a symlink: D/mnt/created must never appear on the host's filesystem.
#[test]
#[ignore = "needs root"]
fn rootless_a_stacked_mount_target_swapped_after_the_mount_makes_the_host_creatable() {
    require_root();
    let d = TempDir::new("rt-stack-nobody");
    let chown = |p: &Path| {
        let cp = c(p);
        // SAFETY: a valid C string; lchown only reads it.
        assert_eq!(unsafe { libc::lchown(cp.as_ptr(), 65534, 65534) }, 0);
    };
    let mnt = d.path().join("mnt");
    let target = mnt.join("t");
    let link = mnt.join("l");
    let victim = d.path().join("victim");
    for p in [&mnt, &target, &victim] {
        std::fs::create_dir(p).unwrap();
    }
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    for p in [d.path(), &mnt, &target, &victim, &link] {
        chown(p);
    }
    let created = mnt.join("created");
    let (t, m) = (target.display().to_string(), created.display().to_string());
    let mounts = common::host_mountinfo();
    let mut bad = None;
    let (mut ran, mut refused) = (0, 0);
    while_swapping(&target, &link, || {
        let start = Instant::now();
        for _ in 0..RACE_RUNS {
            if start.elapsed() > RACE_TIME {
                break;
            }
            let out =
                rootfs::as_nobody(&["--tmpfs", &t, "--tmpfs", &t, "--mkdir", &m, "--", "true"]);
            match out.code() {
                Some(0) => ran += 1,
                _ => refused += 1,
            }
            if created.exists() {
                bad = Some(out);
                break;
            }
        }
    });
    if let Some(out) = bad {
        panic!(
            "nsrun (uid 65534) created {} on the host (runs: {ran} ran, {refused} refused)\n{out}",
            created.display()
        );
    }
    assert_eq!(listing(&victim), Vec::<String>::new());
    rootfs::assert_mounts_unchanged(&mounts);
}

/// Gives everything below `dir` (and `dir`) to uid and gid 65534, as if an unprivileged user had
/// made the tree.
fn give_to_nobody(dir: &Path) {
    let cp = c(dir);
    // SAFETY: a valid C string; lchown only reads it.
    assert_eq!(unsafe { libc::lchown(cp.as_ptr(), 65534, 65534) }, 0);
    if std::fs::symlink_metadata(dir).unwrap().is_dir() {
        for e in std::fs::read_dir(dir).unwrap() {
            give_to_nobody(&e.unwrap().path());
        }
    }
}

/// Not a test: when started by [`racer_as_nobody`] (the test binary run again as uid 65534), swaps
/// the two paths it is given until it is killed or a minute has passed.
#[test]
fn racer_helper() {
    let (Some(a), Some(b)) = (
        std::env::var_os("NSRUN_RT_SWAP_A"),
        std::env::var_os("NSRUN_RT_SWAP_B"),
    ) else {
        return;
    };
    let (a, b) = (c(Path::new(&a)), c(Path::new(&b)));
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        exchange(&a, &b);
    }
}

/// An unprivileged racer: this test binary again, as uid and gid 65534 without groups, running
/// only [`racer_helper`] on `a` and `b`.
fn racer_as_nobody(a: &Path, b: &Path) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "racer_helper", "--test-threads=1", "-q"])
        .env("NSRUN_RT_SWAP_A", a)
        .env("NSRUN_RT_SWAP_B", b)
        .uid(65534)
        .gid(65534)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Break 2: the same hole reached with an ordinary command line and an attacker who only owns DIR.
// Root runs `nsrun --root DIR --tmpfs /tmp --mkdir /tmp/work`; uid 65534, who owns DIR, exchanges
// DIR/proc and DIR/tmp in a loop. nsrun's own /proc mount (made first) travels with its directory,
// so the tmpfs step finds /tmp on procfs (`before` = procfs's st_dev); by the time the mount is
// re-opened the name is the other, plain directory on DIR's host filesystem, whose st_dev differs
// from procfs's, so `top_of` accepts it and `record_ours` marks DIR's host filesystem as nsrun's
// own: the --mkdir then creates DIR/tmp/work (owned by root) on the host.

/// Runs `nsrun --root DIR OPTS -- /bin/true` as root while uid 65534, owner of DIR, exchanges
/// DIR/proc and DIR/`other` (both empty directories): nothing may ever appear in either on the
/// host.
fn owner_of_dir_races_proc_against(tag: &str, other: &str, opts: &[&str]) {
    let r = Rootfs::new(tag);
    give_to_nobody(r.root());
    let r = r.resnapshot();
    let (proc, other) = (r.root().join("proc"), r.root().join(other));
    let before = listing(r.root());
    let mut racer = racer_as_nobody(&proc, &other);
    let start = Instant::now();
    let mut bad = None;
    let (mut ran, mut refused) = (0, 0);
    for _ in 0..RACE_RUNS {
        if start.elapsed() > RACE_TIME {
            break;
        }
        let out = r.run(opts, &["/bin/true"]);
        match out.code() {
            Some(0) => ran += 1,
            _ => refused += 1,
        }
        let made: Vec<String> = [&proc, &other].iter().flat_map(|d| entries(d)).collect();
        if !made.is_empty() {
            bad = Some((made, out));
            break;
        }
    }
    racer.kill().unwrap();
    racer.wait().unwrap();
    if let Some((made, out)) = bad {
        for d in [&proc, &other] {
            let _ = std::fs::remove_dir_all(d);
            let _ = std::fs::create_dir(d);
        }
        panic!("nsrun created {made:?} on the host (runs: {ran} ran, {refused} refused)\n{out}");
    }
    // The racer changed ctimes and may have left the two (both empty) exchanged: compare names.
    assert_eq!(listing(r.root()), before, "DIR changed");
    r.resnapshot().finish();
}

/// `nsrun --root DIR --tmpfs /tmp --mkdir /tmp/work -- /bin/true` (as root) while uid 65534, owner
/// of DIR, exchanges DIR/proc and DIR/tmp: DIR/tmp/work (owned by root) appeared on the host.
#[test]
#[ignore = "needs root"]
fn an_unprivileged_owner_of_dir_makes_root_create_in_dir() {
    require_root();
    owner_of_dir_races_proc_against(
        "rt-proc-tmp",
        "tmp",
        &["--tmpfs", "/tmp", "--mkdir", "/tmp/work"],
    );
}

/// The plainest command line: `nsrun --root DIR --dev /dev -- /bin/true` (as root) while uid
/// 65534, owner of DIR, exchanges DIR/proc and DIR/dev: the --dev steps after its tmpfs created
/// their device files (DIR/proc/null, DIR/proc/zero, ... owned by root) on the host.
#[test]
#[ignore = "needs root"]
fn an_unprivileged_owner_of_dir_makes_dev_create_in_dir() {
    require_root();
    owner_of_dir_races_proc_against("rt-proc-dev", "dev", &["--dev", "/dev"]);
}

// ---------------------------------------------------------------------------------------------
// Break 3: a denial of service by whoever can write in DIR. `Tree::find` handles every `..` by
// opening all the components resolved so far again from the root (`rewalk`), so one symlink whose
// target goes 800 directories down and 800 `..` back up costs ~320 000 opens, and a chain of 40
// such links ~13 million: one destination takes ~15 s where the kernel takes microseconds, and
// `nsrun --root DIR --dev /dev` (a dozen destinations below /dev) takes minutes (3 min 35 s
// measured on this machine).

/// `nsrun --root DIR --mkdir /dev/x` where DIR/dev leads through 40 links that each go 800
/// directories down and back up: it must end (here, refuse: DIR is not nsrun's) within seconds.
#[test]
#[ignore = "needs root"]
fn dotdot_in_links_costs_no_more_than_the_kernel() {
    require_root();
    const DEPTH: usize = 800;
    const LINKS: usize = 39;
    let r = Rootfs::new("rt-dotdot");
    let mut deep = r.root().to_path_buf();
    for _ in 0..DEPTH {
        deep.push("d");
    }
    std::fs::create_dir_all(&deep).unwrap();
    std::fs::create_dir(r.root().join("devreal")).unwrap();
    for i in 0..LINKS {
        let next = match i + 1 {
            LINKS => "devreal".to_string(),
            n => format!("L{n}"),
        };
        let target = format!("{}{}{next}", "d/".repeat(DEPTH), "../".repeat(DEPTH));
        assert!(target.len() < 4096);
        std::os::unix::fs::symlink(&target, r.root().join(format!("L{i}"))).unwrap();
    }
    std::fs::remove_dir(r.root().join("dev")).unwrap();
    std::os::unix::fs::symlink("L0", r.root().join("dev")).unwrap();
    let r = r.resnapshot();
    let start = Instant::now();
    let out = common::run_timeout(
        &mut common::nsrun_cmd(&r.args(&["--mkdir", "/dev/x"], &["/bin/true"])),
        None,
        Duration::from_secs(5),
    );
    // The links lead to DIR/devreal, on the host's filesystem: refused, as the kernel would let
    // nsrun find it, in well under a second.
    out.assert_code(125);
    out.assert_one_error_line(&["/dev/x", "nsrun creates nothing"]);
    assert!(start.elapsed() < Duration::from_secs(5));
    r.finish();
}

// ---------------------------------------------------------------------------------------------
// Break 4 (issue 6 item 2, still open on this code): a failed run leaves its mounts in the
// host's namespace. With `--propagation shared --root DIR` on a shared `/`, pivot_root fails with
// EINVAL after the bind of DIR, its /proc and every --tmpfs were made, and all of them stay in
// the namespace nsrun was started from (and the scratch namespace's own /proc is covered by the
// container's, whose processes are gone).

/// In a scratch mount namespace whose `/` is shared (the host's mounts are not touched): `nsrun
/// --propagation shared --root DIR --tmpfs /tmp -- /bin/true` must be refused before anything is
/// mounted (exit 2), and the scratch namespace's mount table (read through a private procfs of
/// its own) must be unchanged.
#[test]
#[ignore = "needs root"]
fn a_failed_shared_run_leaves_no_mount_outside() {
    require_root();
    let r = Rootfs::new("rt-shared");
    let procdir = TempDir::new("rt-shared-proc");
    let script = r#"
mount --make-rshared / || exit 91
mount -t proc proc "$2" && mount --make-private "$2" || exit 90
before=$(cat "$2/self/mountinfo")
rc=0; "$NSRUN" --propagation shared --root "$1" --tmpfs /tmp -- /bin/true || rc=$?
after=$(cat "$2/self/mountinfo")
echo "@@ rc"; echo "$rc"
echo "@@ changed"; if [ "$before" = "$after" ]; then echo no; else echo yes; fi
echo "@@ after"; echo "$after"
"#;
    let out = common::in_scratch_mount_ns(script, &[r.root_str(), procdir.str()]);
    let s = out.sections();
    assert_eq!(
        s.get("changed").map(|x| x.trim()),
        Some("no"),
        "the failed run left mounts outside\n{out}"
    );
    assert_eq!(s["rc"].trim(), "2", "not refused up front\n{out}");
    r.finish();
}

// ---------------------------------------------------------------------------------------------
// Break 1, escalated: without --root the poisoned "ours" is the host's filesystem itself, and the
// walk (rooted at the host's /) follows the attacker's symlinks anywhere on it. Root runs `nsrun
// --tmpfs A/a --tmpfs A/b --mkdir A/b/cache` where A is a directory of uid 65534; uid 65534 runs
// two racers (A/a <-> A/b, A/b <-> A/l with A/l -> P, a root-owned directory it cannot write):
// nsrun, as root, creates P/cache on the host.

/// Nothing may ever be created in P, a directory only root may write.
#[test]
#[ignore = "needs root"]
fn an_unprivileged_racer_makes_root_create_where_it_cannot_write() {
    require_root();
    let base = TempDir::new("rt-escalate");
    let att = base.path().join("att");
    let protected = base.path().join("protected");
    std::fs::create_dir(&protected).unwrap();
    for d in ["a", "b"] {
        std::fs::create_dir_all(att.join(d)).unwrap();
    }
    std::os::unix::fs::symlink(&protected, att.join("l")).unwrap();
    give_to_nobody(&att);
    let (a, b) = (
        att.join("a").display().to_string(),
        att.join("b").display().to_string(),
    );
    let cache = format!("{b}/cache");
    let mut racers = [
        racer_as_nobody(&att.join("a"), &att.join("b")),
        racer_as_nobody(&att.join("b"), &att.join("l")),
    ];
    let mounts = common::host_mountinfo();
    let start = Instant::now();
    let mut bad = None;
    let (mut ran, mut refused) = (0, 0);
    for _ in 0..RACE_RUNS {
        if start.elapsed() > RACE_TIME {
            break;
        }
        let out = common::nsrun(&[
            "--tmpfs", &a, "--tmpfs", &b, "--mkdir", &cache, "--", "true",
        ]);
        match out.code() {
            Some(0) => ran += 1,
            _ => refused += 1,
        }
        let made = entries(&protected);
        if !made.is_empty() {
            bad = Some((made, out));
            break;
        }
    }
    for r in &mut racers {
        r.kill().unwrap();
        r.wait().unwrap();
    }
    if let Some((made, out)) = bad {
        panic!("nsrun (root) created {made:?} (runs: {ran} ran, {refused} refused)\n{out}");
    }
    rootfs::assert_mounts_unchanged(&mounts);
}
