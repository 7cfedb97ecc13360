//! Red-team tests of the promises other than file-tree creation: descriptors closed, read-only
//! meaning read-only, nothing of the host changed by a failed run. Each test reproduces a break
//! found against the code as it was, and fails there.
//!
//! Everything that changes mounts runs in a scratch mount namespace (`unshare --mount
//! --propagation private`, see [`common::in_scratch_mount_ns`]), which plays "the host"; a test
//! that needs a shared host makes the scratch namespace's / rshared itself. The machine's real
//! mount table is never touched.

mod common;
mod helpers;

use std::process::Command;

use common::{in_scratch_mount_ns, require_root, require_tool, run, TempDir};
use helpers::nosys_bin;

/// "Every other descriptor above 2 is closed": without close_range (before Linux 5.9, here made
/// to fail with ENOSYS) and without a procfs at /proc when the descriptors are marked, nsrun
/// falls back to every number below the hard RLIMIT_NOFILE. A descriptor opened before the
/// limit was lowered lies above it, is never marked close-on-exec and reaches the command, in
/// init mode and with --as-pid-1. (The launcher, which still sees the host's /proc, could list
/// its descriptors before clone; the child could list them before it mounts anything.)
#[test]
#[ignore = "needs root"]
fn a_descriptor_above_the_hard_limit_reaches_the_command_without_close_range() {
    require_root();
    let bash = require_tool("bash");
    for mode in ["", "--as-pid-1"] {
        let script = format!(
            "exec 900</etc/hostname || exit 99; ulimit -Sn 512 && ulimit -Hn 512 || exit 98; \
             exec \"$NOSYS\" close_range -- \"$NSRUN\" {mode} --no-proc --tmpfs /proc -- \
             {bash} -c 'if : <&900; then echo LEAKED; else echo closed; fi' 2>/dev/null",
            bash = bash.display()
        );
        let out = run(Command::new(&bash)
            .args(["-c", &script])
            .env("NOSYS", nosys_bin())
            .env("NSRUN", common::nsrun_bin()));
        out.assert_code(0);
        assert_eq!(
            out.stdout.trim(),
            "closed",
            "mode {mode:?}: descriptor 900, above the hard RLIMIT_NOFILE of 512, reached the \
             command\n{out}"
        );
    }
}

/// The host side of the later-mount tests: the scratch namespace's / made rshared (a systemd
/// host), a tmpfs at $D (shared), nsrun started with `--propagation slave` and `$@`; once the
/// container is up (it opens the FIFO $D/ready, which a read-only mount allows), "the host"
/// mounts a tmpfs at $D/late and says so on the FIFO $D/go; the container then tries to create
/// $D/late/written. Prints WRITABLE, readonly, or absent (the host's mount did not arrive).
const LATER_MOUNT: &str = r#"
D=$1; shift
mount --make-rshared / && mount -t tmpfs rt "$D" && mkdir "$D/late" &&
mkfifo "$D/ready" "$D/go" || exit 99
"$NSRUN" --propagation slave "$@" -- sh -c '
    D=$1; echo up > "$D/ready"; read -r x < "$D/go"
    if [ ! -e "$D/late/flag" ]; then echo absent
    elif : > "$D/late/written" 2>/dev/null; then echo WRITABLE; else echo readonly; fi' sh "$D" &
read -r line < "$D/ready"
mount -t tmpfs late "$D/late" && : > "$D/late/flag"
echo go > "$D/go"
wait $!
"#;

/// Whether the later-mount script's answer keeps the promise.
fn stays_read_only(answer: &str) -> bool {
    matches!(answer.trim(), "readonly" | "absent")
}

fn later_mount(args: &[&str]) -> common::Output {
    let dir = TempDir::new("rt-later");
    let mut all = vec![dir.str()];
    all.extend_from_slice(args);
    in_scratch_mount_ns(LATER_MOUNT, &all)
}

/// "`--read-only`: make the root read-only": with `--propagation slave` a mount the host makes
/// later arrives in the container writable. Only `--ro-bind` makes its mounts private against
/// this (plan.rs: `private: kind == ReadOnly && propagation != Private`); the SetAttrs steps of
/// `--read-only` and `--remount-ro` do not, and the README does not say so.
#[test]
#[ignore = "needs root"]
fn read_only_root_receives_a_writable_host_mount_with_slave_propagation() {
    require_root();
    let out = later_mount(&["--read-only"]);
    out.assert_code(0);
    assert!(
        stays_read_only(&out.stdout),
        "--read-only --propagation slave: a later host mount is writable inside\n{out}"
    );
}

/// The same for `--remount-ro DST` ("make DST and everything below it read-only").
#[test]
#[ignore = "needs root"]
fn remount_ro_receives_a_writable_host_mount_with_slave_propagation() {
    require_root();
    let dir = TempDir::new("rt-later");
    let out = in_scratch_mount_ns(LATER_MOUNT, &[dir.str(), "--remount-ro", dir.str()]);
    out.assert_code(0);
    assert!(
        stays_read_only(&out.stdout),
        "--remount-ro {} --propagation slave: a later host mount is writable inside\n{out}",
        dir.str()
    );
}

/// Runs nsrun with `$@` in a scratch namespace prepared by `setup` (with $D a fresh directory),
/// and prints the sorted mount points of the scratch namespace ("the host") before and after,
/// read through a private procfs of its own (nsrun's /proc may land on the scratch /proc).
/// Then `@@ rc` and nsrun's status.
fn host_before_after(setup: &str, args: &[&str]) -> (common::Output, TempDir) {
    let dir = TempDir::new("rt-host");
    let script = format!(
        r#"D=$1; shift
{setup}
mkdir -p "$D/p" && mount -t proc proc "$D/p" && mount --make-private "$D/p" || exit 99
cut -d' ' -f5 "$D/p/self/mountinfo" | sort > "$D/before"
"$NSRUN" "$@" 2>"$D/err"; rc=$?; echo "@@ rc"; echo $rc
cut -d' ' -f5 "$D/p/self/mountinfo" | sort > "$D/after"
echo "@@ err"; cat "$D/err"
echo "@@ diff"; diff "$D/before" "$D/after" && echo unchanged
exit 0
"#
    );
    let mut all = vec![dir.str()];
    all.extend_from_slice(args);
    (in_scratch_mount_ns(&script, &all), dir)
}

/// "Nothing of the host is changed by a failed run": `--propagation shared` on a shared `/` (a
/// systemd host) sends every mount to the host, a failed run's too: that is what `shared` asks
/// for (README says so), so nsrun must at least say it, once, before it mounts anything. (It was
/// neither refused nor warned about.)
#[test]
#[ignore = "needs root"]
fn a_failed_run_with_shared_propagation_leaves_mounts_on_a_shared_host() {
    require_root();
    let dir = TempDir::new("rt-shared");
    let m = format!("{}/m", dir.str());
    std::fs::create_dir(&m).unwrap();
    let (out, _d) = host_before_after(
        "mount --make-rshared / || exit 99",
        &[
            "--propagation",
            "shared",
            "--tmpfs",
            &m,
            "--mkdir",
            "/nonexistent-nsrun-redteam/x",
            "--",
            "true",
        ],
    );
    out.assert_code(0);
    let s = out.sections();
    assert_ne!(s["rc"].trim(), "0", "the run should fail\n{out}");
    let warned = s["err"]
        .lines()
        .filter(|l| l.starts_with("nsrun: warning: --propagation shared on a shared /"))
        .count();
    assert_eq!(
        warned, 1,
        "no warning that the mounts go to the host\n{out}"
    );
}

/// The same promise with `--propagation unchanged --root DIR`, where `/` is private but DIR lies
/// on another mount that is shared: check_propagation looks only at the mount on `/`
/// (host.rs `root_is_shared`), so nothing is refused; the bind of DIR and its /proc propagate to
/// the host, then pivot_root fails (EINVAL) and they stay there.
#[test]
#[ignore = "needs root"]
fn unchanged_propagation_with_a_root_on_a_shared_submount_leaves_mounts_on_the_host() {
    require_root();
    let (out, _d) = host_before_after(
        r#"mkdir -p "$D/shm" && mount -t tmpfs s "$D/shm" && mount --make-shared "$D/shm" &&
mkdir -p "$D/shm/root/proc" || exit 99
set -- "$@" --root "$D/shm/root" -- /true"#,
        &["--propagation", "unchanged"],
    );
    out.assert_code(0);
    let s = out.sections();
    assert_ne!(
        s["rc"].trim(),
        "0",
        "the run should fail or be refused\n{out}"
    );
    assert_eq!(
        s["diff"].trim(),
        "unchanged",
        "a failed --propagation unchanged --root run changed the (scratch) host's mount table\n{out}"
    );
}

/// "the command must not be able to open PID 1's descriptors at all": on a terminal the init
/// keeps the job socket; a command that may ptrace the init takes it with pidfd_getfd (and could
/// tell the launcher the command stopped). Rootless, the command may not (the init is not
/// dumpable and lives in nsrun's user namespace): checked here. As real root without a user
/// namespace the command keeps CAP_SYS_PTRACE and can (README, Known limits: until the
/// capabilities issue drops it by default).
#[test]
#[ignore = "needs root"]
fn on_a_terminal_a_rootless_command_cannot_take_the_inits_job_socket() {
    require_root();
    let script_tool = require_tool("script");
    // The system's python, which uid 65534 can run (not a per-user one under /root).
    let python = std::path::PathBuf::from("/usr/bin/python3");
    assert!(python.exists(), "this test needs /usr/bin/python3");
    let dir = TempDir::new("rt-job");
    let probe = dir.path().join("getfd.py");
    std::fs::write(
        &probe,
        r#"import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
pidfd = libc.syscall(434, 1, 0)  # pidfd_open(1)
got = []
for fd in range(3, 256):
    r = libc.syscall(438, pidfd, fd, 0)  # pidfd_getfd
    if r >= 0:
        got.append("%d=%s" % (fd, os.readlink("/proc/self/fd/%d" % r)))
print("GOT " + " ".join(got) if got else "NONE")
"#,
    )
    .unwrap();
    let inner = format!(
        "{} -- {} {}",
        common::nsrun_bin().display(),
        python.display(),
        probe.display()
    );
    if common::skip_without_unprivileged_userns() {
        return;
    }
    let inner = format!("setpriv --reuid 65534 --regid 65534 --clear-groups {inner}");
    let out = run(Command::new(&script_tool).args(["-qc", &inner, "/dev/null"]));
    assert!(
        out.stdout.contains("NONE"),
        "the command took descriptors of its init (PID 1) beyond 0..2\n{out}"
    );
}
