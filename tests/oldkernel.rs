//! nsrun on kernels older than the syscalls it prefers: each test runs nsrun under `nosys`
//! (tests/helpers/nosys.c), a seccomp filter that makes chosen syscalls fail with ENOSYS, as a
//! kernel that predates them would. The filter is inherited across clone and exec, so nsrun, its
//! init and the container's command all run under it.
//!
//! For each newer syscall alone, and for all of them together, the same promises are checked:
//! isolation (new mount, UTS, IPC, network and PID namespaces, the hostname inside only, a /proc
//! with the container's processes only), read-only binds that cover every submount (`--ro-bind`,
//! `--remount-ro`, `--read-only` of a tree with a tmpfs mounted inside it), descriptors closed (a
//! low and a high inherited descriptor reach neither the command nor, through /proc/1/fd, the
//! init), and nothing created on the host; the `rootless_*` checks run nsrun as uid 65534, in its
//! automatic user namespace. Test names are `SYSCALL::CHECK` (`all::CHECK` with every one
//! missing, including pidfd_getfd).
//!
//! The trees with a tmpfs inside are set up in a scratch mount namespace (`unshare --mount
//! --propagation private`), never on the machine's real mount table.

mod common;
mod helpers;
mod rootfs;

use std::path::Path;
use std::process::Command;

use common::{require_root, require_tool, Output, TempDir};
use helpers::{
    nosys_bin, nosys_cmd, nsrun_without, nsrun_without_as_nobody, NEWER_SYSCALLS, NOBODY,
};
use rootfs::{assert_mounts_unchanged, host_mounts, Rootfs, Snapshot, MARKER, TOP};

/// strerror(EROFS), as busybox and coreutils print it.
const READ_ONLY: &str = "Read-only file system";

/// The hostname the isolation checks set inside.
const HOSTNAME: &str = "nsrun-oldkernel";

/// The content of the file behind the inherited descriptors.
const SECRET: &str = "nsrun-oldkernel-secret";

/// The names of the syscalls `set` makes missing.
fn names(set: &str) -> Vec<&str> {
    if set == "all" {
        NEWER_SYSCALLS.iter().map(|(n, _)| *n).collect()
    } else {
        set.split(',').collect()
    }
}

/// The script a container runs to try to write each of `paths`: "WROTE PATH" when it could, the
/// error line otherwise.
fn write_probe(paths: &[&str]) -> String {
    let list: Vec<String> = paths.iter().map(|p| format!("'{p}'")).collect();
    format!(
        "for p in {}; do touch \"$p\" 2>&1 && echo \"WROTE $p\"; done; true",
        list.join(" ")
    )
}

/// Asserts that the write probe of `paths` failed with EROFS for every path.
#[track_caller]
fn assert_all_read_only(out: &Output, paths: &[&str], what: &str) {
    out.assert_code(0);
    for p in paths {
        assert!(
            !out.stdout.contains(&format!("WROTE {p}")),
            "{what}: {p} is writable inside\n{out}"
        );
    }
    assert_eq!(
        out.stdout.matches(READ_ONLY).count(),
        paths.len(),
        "{what}: each write fails with EROFS\n{out}"
    );
}

/// Runs, as root of a scratch mount namespace, a tmpfs mounted on `sub` (a directory on the
/// host) and then nsrun with `args` under nosys with `set` missing. Before nsrun starts, a write
/// to the tmpfs must work (exit 98 otherwise), so the read-only checks cannot pass by accident.
/// With `nobody`, nsrun runs as uid 65534 (through setpriv), in its automatic user namespace.
fn with_tmpfs_inside(set: &str, sub: &Path, args: &[&str], nobody: bool) -> Output {
    require_tool("unshare");
    let script = r#"
        mount -t tmpfs -o mode=0777 nsrun-oldkernel-sub "$SUB" || exit 99
        touch "$SUB/control" || exit 98
        exec $AS "$NOSYS" "$SET" -- "$NSRUN" "$@""#;
    let as_user = if nobody {
        let setpriv = require_tool("setpriv");
        format!("{} {}", setpriv.display(), NOBODY.join(" "))
    } else {
        String::new()
    };
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "--", "sh", "-c"])
        .arg(script)
        .arg("sh")
        .args(args)
        .env("SUB", sub)
        .env("AS", as_user)
        .env("NOSYS", nosys_bin())
        .env("SET", set)
        .env("NSRUN", common::nsrun_bin());
    common::run(&mut cmd)
}

/// A scratch tree for the read-only checks: DIR with an empty DIR/sub to mount a tmpfs on. Both
/// are writable by anyone (the tmpfs too, mode 0777), so a write inside can fail only with EROFS,
/// as uid 65534 too.
fn scratch_tree(tag: &str) -> TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new(tag);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
        .expect("chmod scratch tree");
    rootfs::mkdir(&dir.path().join("sub"), 0o755);
    dir
}

/// Asserts that nothing was left in the scratch tree on the host (DIR/sub is empty again once
/// the scratch namespace and its tmpfs are gone).
#[track_caller]
fn assert_tree_untouched(dir: &TempDir, out: &Output) {
    let mut left: Vec<String> = Vec::new();
    for d in [dir.path().to_path_buf(), dir.path().join("sub")] {
        for e in std::fs::read_dir(&d).expect("read scratch tree").flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !(d == dir.path() && name == "sub") {
                left.push(e.path().display().to_string());
            }
        }
    }
    assert!(left.is_empty(), "written on the host: {left:?}\n{out}");
}

// ---------------------------------------------------------------------------------------------
// The checks, each run for every set of missing syscalls (see the modules at the end).

/// The filter reaches the container's command: each syscall of the set fails there with ENOSYS,
/// and one outside the set does not.
fn filter_reaches_the_command(set: &str) {
    require_root();
    let nosys = nosys_bin().to_str().expect("UTF-8 path").to_string();
    let missing = names(set);
    let mut script = String::new();
    for n in &missing {
        script.push_str(&format!("{nosys} --probe {n}; "));
    }
    let other = ["close_range", "openat2"]
        .into_iter()
        .find(|n| !missing.contains(n));
    if let Some(n) = other {
        script.push_str(&format!("{nosys} --probe {n}; "));
    }
    let out = nsrun_without(set, &["--", "/bin/sh", "-c", &script]);
    out.assert_ok();
    for n in &missing {
        assert!(
            out.lines().contains(&format!("{n}: ENOSYS").as_str()),
            "{n} is missing inside the container\n{out}"
        );
    }
    if let Some(n) = other {
        assert!(
            out.stdout.contains(&format!("{n}: errno ")),
            "{n} is not filtered\n{out}"
        );
    }
}

/// New mount, UTS, IPC, network and PID namespaces, the hostname set inside only, and a /proc
/// that shows the container's processes only (nsrun's init and the shell).
fn isolation_holds(set: &str) {
    require_root();
    const KINDS: [&str; 5] = ["mnt", "uts", "ipc", "net", "pid"];
    let host_ns: Vec<String> = KINDS
        .iter()
        .map(|k| {
            std::fs::read_link(format!("/proc/self/ns/{k}"))
                .expect("readlink /proc/self/ns")
                .display()
                .to_string()
        })
        .collect();
    let hostname = || std::fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname");
    let host_name = hostname();
    let mounts = host_mounts();
    let out = nsrun_without(
        set,
        &[
            "--hostname",
            HOSTNAME,
            "--",
            "/bin/sh",
            "-c",
            "echo @@ ns; for k in mnt uts ipc net pid; do readlink /proc/self/ns/$k; done
             echo @@ hostname; hostname
             echo @@ proc; cd /proc && echo [0-9]*",
        ],
    );
    out.assert_ok();
    let s = out.sections();
    let inside: Vec<&str> = s["ns"].lines().collect();
    assert_eq!(inside.len(), KINDS.len(), "{out}");
    for ((kind, host), inside) in KINDS.iter().zip(&host_ns).zip(&inside) {
        assert_ne!(host, inside, "the {kind} namespace is the host's\n{out}");
        assert!(inside.starts_with(kind), "{out}");
    }
    assert_eq!(s["hostname"], format!("{HOSTNAME}\n"), "{out}");
    assert_eq!(hostname(), host_name, "the host's hostname changed");
    assert_eq!(s["proc"], "1 2\n", "only the init and the shell\n{out}");
    assert_mounts_unchanged(&mounts);
}

/// With `--root` and the usual mounts (`--dev`, `--tmpfs`, `--bind`): the container's / is the
/// rootfs, its /proc has only its processes, the mounts work.
fn root_is_the_tree(set: &str) {
    require_root();
    check_root_tree(set, false);
}

/// The same as uid 65534: nsrun adds a user namespace that maps it to root.
fn rootless_root_is_the_tree(set: &str) {
    require_root();
    check_root_tree(set, true);
}

fn check_root_tree(set: &str, nobody: bool) {
    let r = Rootfs::new("oldkernel-root");
    let shared = r.scratch("shared");
    rootfs::mkdir(&shared, 0o755);
    std::fs::write(shared.join("marker"), "from-the-host\n").expect("write marker");
    let shared = shared.to_str().expect("UTF-8 path");
    let args = r.args(
        &[
            "--hostname",
            HOSTNAME,
            "--dev",
            "/dev",
            "--tmpfs",
            "/tmp",
            "--bind",
            shared,
            "/mnt",
        ],
        &[
            "/bin/sh",
            "-c",
            "echo @@ issue; cat /etc/issue; echo @@ ls; ls -A /; echo @@ proc; cd /proc && echo [0-9]*
             echo @@ hostname; hostname; echo @@ id; id -u
             echo @@ mounts; echo x >/dev/null && touch /tmp/f && cat /mnt/marker",
        ],
    );
    let out = if nobody {
        nsrun_without_as_nobody(set, &args)
    } else {
        nsrun_without(set, &args)
    };
    out.assert_ok();
    let s = out.sections();
    assert_eq!(s["issue"], format!("{MARKER}\n"), "{out}");
    assert_eq!(s["ls"].lines().collect::<Vec<_>>(), TOP, "{out}");
    assert_eq!(s["proc"], "1 2\n", "{out}");
    assert_eq!(s["hostname"], format!("{HOSTNAME}\n"), "{out}");
    assert_eq!(s["id"], "0\n", "root inside (mapped, as uid 65534)\n{out}");
    assert_eq!(s["mounts"], "from-the-host\n", "{out}");
    r.finish();
}

/// `--ro-bind DIR DIR` of a tree with a tmpfs mounted inside it: both read-only.
fn ro_bind_covers_submounts(set: &str) {
    require_root();
    let dir = scratch_tree("oldkernel-robind");
    let d = dir.str();
    let (file, sub) = (format!("{d}/file"), format!("{d}/sub/file"));
    let paths = [file.as_str(), sub.as_str()];
    let probe = write_probe(&paths);
    let mounts = host_mounts();
    let out = with_tmpfs_inside(
        set,
        &dir.path().join("sub"),
        &["--ro-bind", d, d, "--", "/bin/sh", "-c", &probe],
        false,
    );
    assert_all_read_only(&out, &paths, "--ro-bind");
    assert_tree_untouched(&dir, &out);
    assert_mounts_unchanged(&mounts);
}

/// `--root R --ro-bind DIR /mnt` of a tree with a tmpfs inside it: /mnt and /mnt/sub read-only.
fn ro_bind_in_root_covers_submounts(set: &str) {
    require_root();
    check_ro_bind_in_root(set, false);
}

/// The same as uid 65534 in nsrun's automatic user namespace, where the tmpfs inside DIR is a
/// mount the kernel locks (it came from a more privileged mount namespace).
fn rootless_ro_bind_in_root_covers_submounts(set: &str) {
    require_root();
    check_ro_bind_in_root(set, true);
}

fn check_ro_bind_in_root(set: &str, nobody: bool) {
    let r = Rootfs::new("oldkernel-robind-root");
    let dir = scratch_tree("oldkernel-robind-root");
    let paths = ["/mnt/file", "/mnt/sub/file"];
    let probe = write_probe(&paths);
    let args = r.args(
        &["--ro-bind", dir.str(), "/mnt"],
        &["/bin/sh", "-c", &probe],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = with_tmpfs_inside(set, &dir.path().join("sub"), &args, nobody);
    assert_all_read_only(&out, &paths, "--ro-bind in --root");
    assert_tree_untouched(&dir, &out);
    r.finish();
}

/// `--bind DIR DIR --remount-ro DIR` of a tree with a tmpfs inside it: both read-only.
fn remount_ro_covers_submounts(set: &str) {
    require_root();
    let dir = scratch_tree("oldkernel-remount");
    let d = dir.str();
    let (file, sub) = (format!("{d}/file"), format!("{d}/sub/file"));
    let paths = [file.as_str(), sub.as_str()];
    let probe = write_probe(&paths);
    let mounts = host_mounts();
    let out = with_tmpfs_inside(
        set,
        &dir.path().join("sub"),
        &[
            "--bind",
            d,
            d,
            "--remount-ro",
            d,
            "--",
            "/bin/sh",
            "-c",
            &probe,
        ],
        false,
    );
    assert_all_read_only(&out, &paths, "--remount-ro");
    assert_tree_untouched(&dir, &out);
    assert_mounts_unchanged(&mounts);
}

/// `--root R --read-only` where R has a tmpfs mounted on R/mnt: / and /mnt both read-only.
fn read_only_covers_submounts_of_the_root(set: &str) {
    require_root();
    let r = Rootfs::new("oldkernel-read-only");
    let paths = ["/file", "/etc/file", "/mnt/file"];
    let probe = write_probe(&paths);
    let args = r.args(&["--read-only"], &["/bin/sh", "-c", &probe]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = with_tmpfs_inside(set, &r.root().join("mnt"), &args, false);
    assert_all_read_only(&out, &paths, "--read-only");
    r.finish();
}

/// Runs nsrun with `opts` under nosys, with descriptor 7 and 1500 open on a file holding
/// [`SECRET`] (the soft RLIMIT_NOFILE raised first where it is lower), the command being a shell
/// that lists /proc/self/fd and /proc/1/fd and tries to read the secret through both. Asserts
/// that the descriptors reached nsrun and that nothing of them reached the command.
fn check_descriptors(set: &str, opts: &[String], shell: &str, nobody: bool) {
    let dir = TempDir::new("oldkernel-fds");
    let secret = dir.path().join("secret");
    std::fs::write(&secret, format!("{SECRET}\n")).expect("write secret");
    let inner = "echo @@ self; ls /proc/self/fd
                 echo @@ init; ls /proc/1/fd 2>&1
                 echo @@ read; for f in /proc/self/fd/7 /proc/self/fd/1500 /proc/1/fd/7 /proc/1/fd/1500; do
                     cat $f 2>&1; done; true";
    // bash: dash cannot redirect descriptors above 9.
    let wrapper = r#"
        [ "$(ulimit -Sn)" -gt 1500 ] || ulimit -n 4096 || exit 97
        exec 7<"$SECRET_FILE" 1500<"$SECRET_FILE" || exit 98
        echo @@ outside; ls /proc/$$/fd
        exec "$NOSYS" "$SET" -- "$NSRUN" "$@""#;
    let bash = require_tool("bash");
    let mut cmd = if nobody {
        let mut c = Command::new(require_tool("setpriv"));
        c.args(NOBODY).arg(bash);
        c
    } else {
        Command::new(bash)
    };
    cmd.arg("-c")
        .arg(wrapper)
        .arg("bash")
        .args(opts)
        .args(["--", shell, "-c", inner])
        .env("SECRET_FILE", &secret)
        .env("NOSYS", nosys_bin())
        .env("SET", set)
        .env("NSRUN", common::nsrun_bin());
    let out = common::run(&mut cmd);
    out.assert_code(0);
    let s = out.sections();
    let fds = |name: &str| -> Vec<String> {
        s.get(name)
            .map(|t| t.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let outside = fds("outside");
    assert!(
        outside.contains(&"7".to_string()) && outside.contains(&"1500".to_string()),
        "the control: nsrun inherits descriptors 7 and 1500\n{out}"
    );
    for section in ["self", "init"] {
        let seen = fds(section);
        for fd in ["7", "1500"] {
            assert!(
                !seen.iter().any(|f| f == fd),
                "descriptor {fd} is open in /proc/{} inside\n{out}",
                if section == "self" { "self/fd" } else { "1/fd" }
            );
        }
    }
    assert!(
        !out.stdout.contains(SECRET),
        "the command read the inherited file\n{out}"
    );
}

/// Descriptors 7 and 1500 inherited by nsrun reach neither the command nor nsrun's init.
fn descriptors_closed(set: &str) {
    require_root();
    check_descriptors(set, &[], "/bin/sh", false);
}

/// The same with `--as-pid-1`: the command is PID 1.
fn descriptors_closed_as_pid_1(set: &str) {
    require_root();
    check_descriptors(set, &["--as-pid-1".to_string()], "/bin/sh", false);
}

/// The same with `--root`.
fn descriptors_closed_in_root(set: &str) {
    require_root();
    let r = Rootfs::new("oldkernel-fds-root");
    check_descriptors(
        set,
        &["--root".to_string(), r.root_str().to_string()],
        "/bin/sh",
        false,
    );
    r.finish();
}

/// The same as uid 65534, in nsrun's automatic user namespace.
fn rootless_descriptors_closed_in_root(set: &str) {
    require_root();
    let r = Rootfs::new("oldkernel-fds-rootless");
    check_descriptors(
        set,
        &["--root".to_string(), r.root_str().to_string()],
        "/bin/sh",
        true,
    );
    r.finish();
}

/// `--tmpfs DST --mkdir DST/x/y` creates on nsrun's tmpfs only: in `--root R` (R unchanged) and
/// without it (a host directory DST, empty afterwards).
fn creates_only_on_its_own_tmpfs(set: &str) {
    require_root();
    let r = Rootfs::new("oldkernel-create");
    let args = r.args(
        &[
            "--tmpfs", "/tmp", "--mkdir", "/tmp/x", "--mkdir", "/tmp/x/y",
        ],
        &["/bin/sh", "-c", "test -d /tmp/x/y && echo made"],
    );
    let out = nsrun_without(set, &args);
    out.assert_ok();
    assert_eq!(out.stdout, "made\n", "{out}");
    r.finish();

    let dir = TempDir::new("oldkernel-create");
    let t = dir.path().join("t");
    rootfs::mkdir(&t, 0o755);
    let t = t.to_str().expect("UTF-8 path");
    let x = format!("{t}/x");
    let mounts = host_mounts();
    let out = nsrun_without(
        set,
        &[
            "--tmpfs",
            t,
            "--mkdir",
            &x,
            "--",
            "/bin/sh",
            "-c",
            &format!("test -d {x} && echo made"),
        ],
    );
    out.assert_ok();
    assert_eq!(out.stdout, "made\n", "{out}");
    assert!(
        std::fs::read_dir(t).expect("ls t").next().is_none(),
        "{t} on the host is no longer empty\n{out}"
    );
    assert_mounts_unchanged(&mounts);
}

/// A missing destination on a host directory is an error (exit 125, one line) that creates
/// nothing: in `--root R` and without it.
fn missing_destination_creates_nothing(set: &str) {
    require_root();
    let src = TempDir::new("oldkernel-missing-src");
    let r = Rootfs::new("oldkernel-missing");
    let args = r.args(
        &["--bind", src.str(), "/mnt/missing"],
        &["/bin/echo", "RAN"],
    );
    let out = nsrun_without(set, &args);
    out.assert_code(125);
    assert_eq!(out.stdout, "", "the command must not run\n{out}");
    out.assert_one_error_line(&["/mnt/missing"]);
    r.finish();

    let dir = TempDir::new("oldkernel-missing");
    let missing = dir.path().join("missing");
    let missing = missing.to_str().expect("UTF-8 path");
    let mounts = host_mounts();
    let out = nsrun_without(
        set,
        &["--bind", src.str(), missing, "--", "/bin/echo", "RAN"],
    );
    out.assert_code(125);
    assert_eq!(out.stdout, "", "the command must not run\n{out}");
    out.assert_one_error_line(&[missing]);
    assert!(!Path::new(missing).exists(), "{missing} was created\n{out}");
    assert_mounts_unchanged(&mounts);
}

/// A later bind hides the tmpfs that made a path creatable (issue 6 item 1): `--tmpfs /mnt/t
/// --bind HOST /mnt --mkdir /mnt/t/x` must not create HOST/t/x, however the kernel lets nsrun
/// find out which mount it is creating on.
fn hidden_tmpfs_creates_nothing(set: &str) {
    require_root();
    let r = Rootfs::new("oldkernel-hidden");
    rootfs::mkdir(&r.root().join("mnt/t"), 0o755);
    let r = r.resnapshot();
    let host = TempDir::new("oldkernel-hidden-host");
    rootfs::mkdir(&host.path().join("t"), 0o755);
    let before = Snapshot::take(host.path());
    let args = r.args(
        &[
            "--tmpfs",
            "/mnt/t",
            "--bind",
            host.str(),
            "/mnt",
            "--mkdir",
            "/mnt/t/x",
        ],
        &["/bin/echo", "RAN"],
    );
    let out = nsrun_without(set, &args);
    let diff = before.diff(&Snapshot::take(host.path()));
    assert!(diff.is_empty(), "created on the host:\n{diff}\n{out}");
    assert_ne!(
        out.code(),
        Some(0),
        "/mnt/t/x is on the host: refused\n{out}"
    );
    assert_eq!(out.stdout, "", "the command must not run\n{out}");
    out.assert_one_error_line(&["/mnt/t/x"]);
    r.finish();
}

// ---------------------------------------------------------------------------------------------
// One module per set of missing syscalls, each with every check.

macro_rules! without {
    ($($module:ident => $set:expr;)*) => {$(
        mod $module {
            const SET: &str = $set;

            #[test]
            #[ignore = "needs root"]
            fn filter_reaches_the_command() {
                super::filter_reaches_the_command(SET)
            }

            #[test]
            #[ignore = "needs root"]
            fn isolation_holds() {
                super::isolation_holds(SET)
            }

            #[test]
            #[ignore = "needs root"]
            fn root_is_the_tree() {
                super::root_is_the_tree(SET)
            }

            #[test]
            #[ignore = "needs root"]
            fn rootless_root_is_the_tree() {
                super::rootless_root_is_the_tree(SET)
            }

            #[test]
            #[ignore = "needs root"]
            fn rootless_ro_bind_in_root_covers_submounts() {
                super::rootless_ro_bind_in_root_covers_submounts(SET)
            }

            #[test]
            #[ignore = "needs root"]
            fn rootless_descriptors_closed_in_root() {
                super::rootless_descriptors_closed_in_root(SET)
            }

            #[test]
            #[ignore = "needs root"]
            fn ro_bind_covers_submounts() {
                super::ro_bind_covers_submounts(SET)
            }

            #[test]
            #[ignore = "needs root"]
            fn ro_bind_in_root_covers_submounts() {
                super::ro_bind_in_root_covers_submounts(SET)
            }

            #[test]
            #[ignore = "needs root"]
            fn remount_ro_covers_submounts() {
                super::remount_ro_covers_submounts(SET)
            }

            #[test]
            #[ignore = "needs root"]
            fn read_only_covers_submounts_of_the_root() {
                super::read_only_covers_submounts_of_the_root(SET)
            }

            #[test]
            #[ignore = "needs root"]
            fn descriptors_closed() {
                super::descriptors_closed(SET)
            }

            #[test]
            #[ignore = "needs root"]
            fn descriptors_closed_as_pid_1() {
                super::descriptors_closed_as_pid_1(SET)
            }

            #[test]
            #[ignore = "needs root"]
            fn descriptors_closed_in_root() {
                super::descriptors_closed_in_root(SET)
            }

            #[test]
            #[ignore = "needs root"]
            fn creates_only_on_its_own_tmpfs() {
                super::creates_only_on_its_own_tmpfs(SET)
            }

            #[test]
            #[ignore = "needs root"]
            fn missing_destination_creates_nothing() {
                super::missing_destination_creates_nothing(SET)
            }

            #[test]
            #[ignore = "needs root"]
            fn hidden_tmpfs_creates_nothing() {
                super::hidden_tmpfs_creates_nothing(SET)
            }
        }
    )*};
}

without! {
    close_range => "close_range";
    mount_setattr => "mount_setattr";
    openat2 => "openat2";
    statx => "statx";
    clone3 => "clone3";
    pidfd_open => "pidfd_open";
    pidfd_send_signal => "pidfd_send_signal";
    open_tree => "open_tree";
    move_mount => "move_mount";
    fsopen => "fsopen";
    fsconfig => "fsconfig";
    fsmount => "fsmount";
    fspick => "fspick";
    all => "all";
}

/// Every name of the list is covered by one module above (the list is the README's table).
#[test]
fn every_newer_syscall_has_a_module() {
    let src = include_str!("oldkernel.rs");
    for (name, _) in NEWER_SYSCALLS {
        assert!(
            src.contains(&format!("    {name} => \"{name}\";")),
            "no module for {name}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The helper itself.

/// Runs `nosys ARGS...` directly.
fn nosys(args: &[&str]) -> Output {
    common::run(Command::new(nosys_bin()).args(args))
}

#[test]
fn nosys_makes_the_listed_syscalls_fail_with_enosys_and_no_others() {
    // Control: this kernel has close_range (5.9) and openat2 (5.6).
    let out = nosys(&["--probe", "close_range"]);
    out.assert_ok();
    assert!(
        out.stdout.starts_with("close_range: errno "),
        "the kernel running the tests lacks close_range: the self-test needs 5.9 or later\n{out}"
    );
    let probe = nosys_bin();
    let out = common::run(&mut nosys_cmd(
        "close_range",
        probe,
        &["--probe", "close_range"],
    ));
    out.assert_ok();
    assert_eq!(out.stdout, "close_range: ENOSYS\n", "{out}");
    let out = common::run(&mut nosys_cmd(
        "close_range",
        probe,
        &["--probe", "openat2"],
    ));
    out.assert_ok();
    assert!(out.stdout.starts_with("openat2: errno "), "{out}");
    // Several at once, duplicates allowed, and "all".
    let out = common::run(&mut nosys_cmd(
        "openat2,close_range,openat2",
        probe,
        &["--probe", "openat2"],
    ));
    assert_eq!(out.stdout, "openat2: ENOSYS\n", "{out}");
    for (name, _) in NEWER_SYSCALLS {
        let out = common::run(&mut nosys_cmd("all", probe, &["--probe", name]));
        out.assert_ok();
        assert_eq!(out.stdout, format!("{name}: ENOSYS\n"), "{out}");
    }
}

#[test]
fn nosys_filter_survives_exec_and_fork() {
    let probe = nosys_bin().to_str().expect("UTF-8 path").to_string();
    let script = format!("{probe} --probe close_range; ({probe} --probe close_range) | cat");
    let out = common::run(&mut nosys_cmd(
        "close_range",
        Path::new("/bin/sh"),
        &["-c", &script],
    ));
    out.assert_ok();
    assert_eq!(
        out.stdout, "close_range: ENOSYS\nclose_range: ENOSYS\n",
        "{out}"
    );
}

#[test]
fn nosys_refuses_unknown_names_and_bad_usage() {
    let out = common::run(&mut nosys_cmd(
        "bogus",
        Path::new("/bin/true"),
        &[] as &[&str],
    ));
    out.assert_code(2);
    assert!(out.stderr.contains("unknown syscall 'bogus'"), "{out}");
    nosys(&["close_range"]).assert_code(2);
    nosys(&["--probe", "bogus"]).assert_code(2);
    let out = common::run(&mut nosys_cmd(
        "close_range",
        Path::new("/nonexistent"),
        &[] as &[&str],
    ));
    out.assert_code(127);
}

#[test]
fn nosys_knows_every_newer_syscall() {
    let out = nosys(&["--list"]);
    out.assert_ok();
    for (name, since) in NEWER_SYSCALLS {
        assert!(
            out.lines()
                .iter()
                .any(|l| l.starts_with(&format!("{name} ")) && l.ends_with(&format!(" {since}"))),
            "{name} ({since}) is not in nosys's table\n{out}"
        );
    }
}

#[test]
#[ignore = "needs root"]
fn nosys_sets_no_new_privs_only_without_privilege() {
    require_root();
    let grep = "grep NoNewPrivs /proc/self/status";
    let out = common::run(&mut nosys_cmd(
        "close_range",
        Path::new("/bin/sh"),
        &["-c", grep],
    ));
    out.assert_ok();
    assert_eq!(
        out.stdout.split_whitespace().collect::<Vec<_>>(),
        ["NoNewPrivs:", "0"],
        "root: the filter needs no no_new_privs\n{out}"
    );
    let probe = nosys_bin().to_str().expect("UTF-8 path").to_string();
    let mut cmd = Command::new(require_tool("setpriv"));
    cmd.args(NOBODY)
        .arg(nosys_bin())
        .args(["close_range", "--", "/bin/sh", "-c"])
        .arg(format!("{grep}; {probe} --probe close_range"));
    let out = common::run(&mut cmd);
    out.assert_ok();
    assert_eq!(
        out.stdout.split_whitespace().collect::<Vec<_>>(),
        ["NoNewPrivs:", "1", "close_range:", "ENOSYS"],
        "uid 65534: no_new_privs, then the filter\n{out}"
    );
}
