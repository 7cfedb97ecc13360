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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{require_root, TempDir};
use rootfs::Rootfs;

/// Every path below `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
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

/// renameat2(RENAME_EXCHANGE) of two paths.
fn exchange(a: &CString, b: &CString) {
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

fn c(p: &Path) -> CString {
    CString::new(p.to_str().unwrap()).unwrap()
}

/// Runs `body` while a thread swaps `a` and `b` as fast as it can, then puts them back if `a` ended
/// up the symlink.
fn while_swapping<T>(a: &Path, b: &Path, body: impl FnOnce() -> T) -> T {
    let stop = Arc::new(AtomicBool::new(false));
    let (ca, cb) = (c(a), c(b));
    let flag = stop.clone();
    let racer = std::thread::spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            exchange(&ca, &cb);
        }
    });
    let result = body();
    stop.store(true, Ordering::Relaxed);
    racer.join().unwrap();
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
