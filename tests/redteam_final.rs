//! The last red team's findings against the fixes of the earlier two: each test reproduces a break
//! of a README promise on the code as it was, and fails there.
//!
//! Everything that changes mounts runs in a scratch mount namespace (`unshare --mount
//! --propagation private`, see [`common::in_scratch_mount_ns`]), which plays "the host"; a test
//! that needs shared mounts there makes them itself. The machine's real mount table is never
//! touched.

mod common;

use std::time::{Duration, Instant};

use common::{in_scratch_mount_ns, require_root, TempDir};

/// "`--propagation unchanged` ... is refused with `--root` (also when DIR lies on a shared
/// mount)", and "nothing of the host is changed by a failed run". The check looks at `/` and at
/// the mount DIR lies on, not at the mounts below DIR: a shared mount inside DIR (here a tmpfs at
/// DIR/mnt, made shared; on a host, any `mount --make-shared`, or an `--rbind` of a shared tree
/// into a chroot) is copied into the root's recursive bind as a peer of the host's, so what nsrun
/// mounts under it appears on the host, and stays there after the run, failed or not. Here the
/// run fails (`--mkdir /nope/a`, nothing creatable there) and leaves its `--tmpfs /mnt/x` on the
/// host at DIR/mnt/x.
#[test]
#[ignore = "needs root"]
fn unchanged_propagation_with_a_shared_mount_inside_dir_leaves_mounts_on_the_host() {
    require_root();
    let dir = TempDir::new("rtf-shared-sub");
    let script = r#"
D=$1
mkdir -p "$D/root/mnt" &&
mount -t tmpfs hostshared "$D/root/mnt" && mount --make-shared "$D/root/mnt" &&
mkdir "$D/root/mnt/x" || exit 99
"$NSRUN" --propagation unchanged --root "$D/root" --no-proc --tmpfs /mnt/x --mkdir /nope/a -- true
rc=$?
echo "@@ status"; echo $rc
echo "@@ host mounts"; grep " $D/root/mnt/x " /proc/self/mountinfo
exit 0
"#;
    let out = in_scratch_mount_ns(script, &[dir.str()]);
    out.assert_code(0);
    let s = out.sections();
    let status = s["status"].trim();
    assert!(
        status == "2" || status == "125",
        "expected a refusal or a failed run\n{out}"
    );
    assert_eq!(
        s["host mounts"].trim(),
        "",
        "a failed --propagation unchanged --root run left its tmpfs on the host, through a \
         shared mount inside DIR (exit status {status})\n{out}"
    );
}

/// "nsrun never creates anything on a host filesystem": nsrun's own tmpfs is recognised once, by
/// its tag, when it is mounted; from then on only its `st_dev` is compared. A `st_dev` of a tmpfs
/// is an anonymous device number, which the kernel hands out again once that filesystem is gone.
/// Whoever can write DIR removes the (on the host, empty) directory nsrun's tmpfs is mounted on:
/// rmdir of a mount point of another namespace is allowed, and lazily detaches the mount there
/// (Linux 3.18); nsrun holds nothing on that tmpfs, so it is freed with its device number. A new
/// filesystem that gets the number (the host's tmpfs here, with `--propagation slave`; for an
/// unprivileged attacker a FUSE mount by fusermount on a directory of theirs, or, with any
/// propagation, a btrfs subvolume they create) is then taken for nsrun's own, and a later
/// `--mkdir` creates on it. The window here is a run of ordinary, linear-cost `--mkdir`s on a
/// second tmpfs (under a second); the race is won by polling the child's mount table.
#[test]
#[ignore = "needs root"]
fn a_host_filesystem_reusing_the_device_number_of_a_freed_nsrun_tmpfs_is_created_in() {
    require_root();
    let script = r#"
D=$1
mount --make-rshared / || exit 99
mkdir -p "$D/root/t" "$D/root/t2" || exit 99
A=$(printf 'a/%.0s' $(seq 1000))
MK=""
for i in $(seq 100); do MK="$MK --mkdir /t2/b$i/$A"; done
"$NSRUN" --propagation slave --root "$D/root" --no-proc --tmpfs /t --tmpfs /t2 $MK \
    --mkdir /t/made -- /nonexistent 2>"$D/err" &
L=$!
C=""
for i in $(seq 2000); do
    C=$(tr -d ' ' < /proc/$L/task/$L/children 2>/dev/null)
    [ -n "$C" ] && grep -q " $D/root/t2 " /proc/$C/mountinfo 2>/dev/null && break
    sleep 0.005
done
T=$(grep " $D/root/t " /proc/$C/mountinfo | awk '{print $3}')
echo "@@ nsrun's tmpfs"; echo "$T"
rmdir "$D/root/t" && mkdir "$D/root/t" || exit 98
got=no
for i in $(seq 300); do
    mount -t tmpfs "host$i" "$D/root/t" || break
    dev=$(grep " $D/root/t " /proc/self/mountinfo | tail -n 1 | awk '{print $3}')
    [ "$dev" = "$T" ] && { got=yes; break; }
done
wait $L
rc=$?
echo "@@ status"; echo $rc
echo "@@ got"; echo $got
echo "@@ made"; ls "$D/root/t"
echo "@@ err"; cat "$D/err"
exit 0
"#;
    let mut recycled = false;
    for _ in 0..3 {
        let dir = TempDir::new("rtf-recycle");
        let out = in_scratch_mount_ns(script, &[dir.str()]);
        out.assert_code(0);
        let s = out.sections();
        assert!(
            !s["made"].contains("made"),
            "nsrun created /t/made on the host's tmpfs, which got the device number of nsrun's \
             freed tmpfs ({}), and was taken for nsrun's own\n{out}",
            s["nsrun's tmpfs"].trim()
        );
        if s["got"].trim() == "yes" {
            recycled = true;
            break;
        }
    }
    if !recycled {
        eprintln!("the device number of nsrun's tmpfs was never handed out again (held or fixed)");
    }
}

/// "`..` is the directory's own, checked against a walk from the root at the end (no quadratic
/// re-walks)": once a walk has climbed a `..`, every directory it then creates re-walks the
/// components resolved so far from the root first, so a single link written by whoever can
/// write DIR (`DIR/opt -> x/../tmp/b/a/a/.../a`, 4 KiB) costs about two million opens when a
/// destination runs through it onto nsrun's tmpfs: seconds for one `--mkdir`, where the same
/// link without the `..` takes milliseconds; chained through 40 such links (the kernel's limit,
/// which the walk keeps), each climbing back with `..`, it is over ten million per destination.
#[test]
#[ignore = "needs root"]
fn a_link_climbing_dotdot_onto_nsruns_tmpfs_costs_quadratic_opens() {
    require_root();
    let dir = TempDir::new("rtf-dotdot-cost");
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("x")).unwrap();
    std::fs::create_dir_all(root.join("tmp")).unwrap();
    let deep = vec!["a"; 2040].join("/");
    std::os::unix::fs::symlink(format!("x/../tmp/b/{deep}"), root.join("climbs")).unwrap();
    std::os::unix::fs::symlink(format!("tmp/b/{deep}"), root.join("plain")).unwrap();
    let time = |link: &str| {
        let started = Instant::now();
        let out = common::nsrun(&[
            "--root",
            root.to_str().unwrap(),
            "--no-proc",
            "--tmpfs",
            "/tmp",
            "--mkdir",
            link,
            "--",
            "/nonexistent",
        ]);
        let took = started.elapsed();
        // Setup went through: only the command is missing.
        out.assert_code(127);
        took
    };
    let plain = time("/plain");
    let climbs = time("/climbs");
    assert!(
        climbs < Duration::from_secs(1).max(plain * 20),
        "one 4 KiB link with a '..' made a --mkdir take {climbs:?}, against {plain:?} without \
         the '..': each directory created after a '..' re-walks the path from the root"
    );
}

/// "`unchanged` on a shared `/` warns (the container's mounts, its `/proc` too, land on the
/// host's)": the warning looks at `/` only. On a host whose `/` is private but whose `/proc` is
/// shared (any `mount --make-shared /proc`), `--propagation unchanged` mounts the container's
/// proc on a peer of the host's `/proc`: it lands on the host's, which then shows the container's
/// (dead) PID namespace, `/proc/self` gone, after a run that succeeded without a word. That is
/// the seed's own trap, which the warning exists for.
#[test]
#[ignore = "needs root"]
fn unchanged_propagation_with_a_shared_proc_covers_the_hosts_proc_without_a_warning() {
    require_root();
    let script = r#"
mount --make-shared /proc || exit 99
"$NSRUN" --propagation unchanged -- true 2>/tmp/nsrun-rtf-proc-err.$$
rc=$?
echo "@@ status"; echo $rc
echo "@@ stderr"; cat /tmp/nsrun-rtf-proc-err.$$; rm -f /tmp/nsrun-rtf-proc-err.$$
echo "@@ host proc"; [ -e /proc/self/mountinfo ] && echo intact || echo COVERED
exit 0
"#;
    let out = in_scratch_mount_ns(script, &[]);
    out.assert_code(0);
    let s = out.sections();
    let warned = s["stderr"].contains("warning") || s["status"].trim() != "0";
    assert!(
        warned || s["host proc"].trim() == "intact",
        "--propagation unchanged with a shared /proc covered the host's /proc with the \
         container's, and said nothing\n{out}"
    );
}

/// The tag that tells nsrun's tmpfs from others is its inode limit, `nr_inodes` in [2^30, 2^31),
/// whatever `--size` says: a tmpfs's inodes cost kernel memory that `size=` does not count, and
/// the kernel's default limit (half the RAM's pages) exists to bound it. With ~1.5 billion
/// allowed, a container fills nsrun's `--tmpfs` (`--size 1m` too) with empty files until the
/// host's memory is gone, at about a kilobyte of unswappable inode and dentry per file; a plain
/// tmpfs stops at the default (3 million here, a few GB). Checked by `df -i` (statfs `f_files`)
/// against a plain tmpfs's default, not by filling memory.
#[test]
#[ignore = "needs root"]
fn nsruns_tmpfs_allows_more_inodes_than_the_kernels_default_limit() {
    require_root();
    let script = r#"
D=$1
mount -t tmpfs -o size=1m plain "$D" || exit 99
echo "@@ default"; stat -f -c %c "$D"
echo "@@ nsrun"; "$NSRUN" --size 1m --tmpfs /mnt -- stat -f -c %c /mnt
exit 0
"#;
    let dir = TempDir::new("rtf-inodes");
    let out = in_scratch_mount_ns(script, &[dir.str()]);
    out.assert_code(0);
    let s = out.sections();
    let number = |name: &str| -> u64 {
        s[name]
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}: not a number\n{out}"))
    };
    let (default, ours) = (number("default"), number("nsrun"));
    assert!(
        ours <= default,
        "nsrun's --size 1m --tmpfs allows {ours} inodes, a plain tmpfs {default}: its tag lifts \
         the kernel's bound on the memory a tmpfs's inodes take\n{out}"
    );
}
