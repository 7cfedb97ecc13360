//! The fourth red team's findings against the last fixes: each test reproduces a break of a README
//! promise on the code as it was, and fails there.
//!
//! Everything that changes mounts runs in a scratch mount namespace ([`common::in_scratch_mount_ns`],
//! private), which plays "the host"; a test that needs shared mounts makes them there itself.

mod common;

use common::{in_scratch_mount_ns, require_root, TempDir};

/// "`unchanged` where any mount is shared ... warns ... and is refused with `--root`". The check
/// reads `/proc/self/mountinfo` and treats an unreadable one as "nothing shared": where the caller
/// has no /proc (an initramfs hook, a chroot, a minimal container: the README's own boot test runs
/// with no /proc mounted), `--propagation unchanged` mounts onto a shared mount without a word, and
/// the container's tmpfs appears at the host's peer of that mount. Here "the host" is a scratch
/// namespace with a shared tmpfs at D/s, peered at D/p, and /proc unmounted.
#[test]
#[ignore = "needs root"]
fn unchanged_propagation_without_proc_mounts_onto_a_shared_mount_silently() {
    require_root();
    let dir = TempDir::new("rtl-noproc");
    let script = r#"
D=$1
mkdir -p "$D/s" "$D/p" &&
mount -t tmpfs rtl "$D/s" && mkdir "$D/s/x" && mount --make-shared "$D/s" &&
mount --bind "$D/s" "$D/p" || exit 99
umount -l /proc || exit 98
"$NSRUN" --propagation unchanged --tmpfs "$D/s/x" -- true 2>"$D/err"
rc=$?
mount -t proc proc /proc || exit 97
echo "@@ status"; echo $rc
echo "@@ stderr"; cat "$D/err"
echo "@@ host mounts"; grep " $D/p/x " /proc/self/mountinfo
exit 0
"#;
    let out = in_scratch_mount_ns(script, &[dir.str()]);
    out.assert_code(0);
    let s = out.sections();
    let reached_host = !s["host mounts"].trim().is_empty();
    let warned = s["stderr"].contains("warning");
    assert!(
        !reached_host || warned,
        "--propagation unchanged mounted onto a shared mount (its tmpfs reached the host's peer) \
         without the promised warning, because /proc was not mounted\n{out}"
    );
}

/// The same with `--root`: "refused with `--root`" (exit 2 before anything is mounted) does not
/// hold without /proc: the run goes ahead, and the bind of DIR (on a shared mount) and the
/// container's mounts propagate to the host.
#[test]
#[ignore = "needs root"]
fn unchanged_propagation_with_root_without_proc_is_not_refused() {
    require_root();
    let dir = TempDir::new("rtl-noproc-root");
    let script = r#"
D=$1
mkdir -p "$D/s" "$D/p" &&
mount -t tmpfs rtl "$D/s" && mkdir -p "$D/s/root/tmp" "$D/s/root/bin" && mount --make-shared "$D/s" &&
mount --bind "$D/s" "$D/p" || exit 99
umount -l /proc || exit 98
"$NSRUN" --propagation unchanged --root "$D/s/root" --no-proc --tmpfs /tmp -- /nonexistent 2>"$D/err"
rc=$?
mount -t proc proc /proc || exit 97
echo "@@ status"; echo $rc
echo "@@ stderr"; cat "$D/err"
echo "@@ host mounts"; grep " $D/p/root" /proc/self/mountinfo
exit 0
"#;
    let out = in_scratch_mount_ns(script, &[dir.str()]);
    out.assert_code(0);
    let s = out.sections();
    assert_eq!(
        s["status"].trim(),
        "2",
        "--propagation unchanged --root on a shared mount was not refused (no /proc to read)\n{out}"
    );
    assert_eq!(
        s["host mounts"].trim(),
        "",
        "mounts reached the host\n{out}"
    );
}
