//! "Every other descriptor above 2 is closed": descriptors nsrun inherits (a low one, 7, and one
//! above 1023, 1500) reach the command neither as its own descriptors nor through its PID 1's
//! (/proc/1/fd), in every mode: under nsrun's init and with --as-pid-1, on the host's tree and
//! with --root, as root and rootless; `--keep-fd` passes exactly the one named; the init holds
//! nothing the command could open and is not dumpable.
//!
//! Each run gets, on descriptors 7 and 1500, a host directory of mode 0700 holding a marker file,
//! which the command must not be able to list. Tests that start containers need root (rootless
//! runs are made with setpriv as uid 65534) and are ignored otherwise.

mod common;
mod rootfs;

use std::collections::BTreeSet;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::Command;

use common::{require_root, Output, TempDir};
use rootfs::{Rootfs, NOBODY};

/// The name of the marker file in the host directory passed on the descriptors.
const SECRET: &str = "host-secret-behind-a-descriptor";

/// The descriptors the launcher inherits: one below 1024 and one above.
const LOW: i32 = 7;
const HIGH: i32 = 1500;

/// What the container reports, by sections (see `common::sections`):
/// `own`: the command's own descriptors (from /proc/self/fd, read by the shell's glob; the
/// directory's own descriptor, closed once the glob is expanded, fails the `-e`); `init`: what `ls /proc/1/fd` printed, and on its stderr;
/// `leak`: each of /proc/1/fd/N and /proc/self/fd/N (N = 7, 1500) that exists; `secret`: each
/// of them that lists the host directory's marker; `environ`: whether /proc/1/environ is readable.
///
/// Under an init (`$1` is `init`), the init closes its last descriptors (those the command holds
/// too) just after the command started: the probe first looks at once (`early`: which of
/// /proc/1/fd/N exist), then waits for that, up to 3 s; a descriptor still listed after that is
/// reported.
const PROBE: &str = r#"
echo @@ early
for p in /proc/1/fd/7 /proc/1/fd/1500; do [ -e "$p" ] && echo "$p"; done
i=0
while [ "$1" = init ] && ls /proc/1/fd 2>&1 | grep -q '^[0-9]' && [ $i -lt 300 ]; do
    sleep 0.01; i=$((i+1))
done
echo @@ own
for f in /proc/self/fd/*; do [ -e "$f" ] && echo "${f##*/}"; done
echo @@ init
ls /proc/1/fd 2>&1
echo @@ leak
for p in /proc/1/fd/7 /proc/1/fd/1500 /proc/self/fd/7 /proc/self/fd/1500; do
    [ -e "$p" ] && echo "$p"
done
echo @@ secret
for p in /proc/1/fd/7 /proc/1/fd/1500 /proc/self/fd/7 /proc/self/fd/1500; do
    ls "$p/" 2>&1 | grep -q host-secret && echo "$p"
done
echo @@ environ
case "$(cat /proc/1/environ 2>&1 | tr -d '\0')" in
    *"Permission denied"*) echo unreadable ;;
    *) echo readable ;;
esac
exit 0
"#;

/// Where the command runs: nsrun's options before `--`, and the shell to run PROBE with.
struct Setup<'a> {
    /// Options, e.g. `--as-pid-1`, `--keep-fd 7`.
    opts: &'a [&'a str],
    /// The busybox root, or None for the host's tree.
    root: Option<&'a Rootfs>,
    /// Whether nsrun runs as uid 65534 (rootless) instead of root.
    rootless: bool,
    /// Run under `strace -f` that makes every close_range fail with this errno (ENOSYS: Linux
    /// before 5.9; EINVAL: before 5.11, which lacks CLOSE_RANGE_CLOEXEC), as on older kernels.
    inject: Option<&'a str>,
}

/// A host directory (mode 0755) with the marker file in it.
fn secret_dir() -> TempDir {
    let dir = TempDir::new("fds-secret");
    std::fs::write(dir.path().join(SECRET), "x\n").expect("write the marker");
    dir
}

/// Runs PROBE in the container of `setup`, nsrun started with the secret directory open on
/// descriptors 7 and 1500 (the soft RLIMIT_NOFILE raised above 1500 first where it is lower).
fn probe(setup: &Setup) -> Output {
    probe_script(setup, PROBE)
}

/// Runs `script` as [`probe`] runs PROBE.
fn probe_script(setup: &Setup, script: &str) -> Output {
    let secret = secret_dir();
    let dir = std::fs::File::open(secret.path()).expect("open the secret directory");
    let src = dir.as_raw_fd();
    let mut args: Vec<String> = Vec::new();
    if let Some(r) = setup.root {
        args.extend(["--root".to_string(), r.root_str().to_string()]);
    }
    args.extend(setup.opts.iter().map(|s| s.to_string()));
    let sh = if setup.root.is_some() {
        "/bin/sh"
    } else {
        "sh"
    };
    let mode = match setup.opts.contains(&"--as-pid-1") {
        true => "pid1",
        false => "init",
    };
    args.extend(["--", sh, "-c", script, "sh", mode].map(String::from));
    let mut line: Vec<std::ffi::OsString> = Vec::new();
    if let Some(errno) = setup.inject {
        line.push(common::require_tool("strace").into());
        line.extend(["-f", "-qq", "-o", "/dev/null", "-e"].map(Into::into));
        line.push(format!("inject=close_range:error={errno}").into());
    }
    if setup.rootless {
        line.push(common::require_tool("setpriv").into());
        line.extend(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups"].map(Into::into));
    }
    line.push(common::nsrun_bin().into());
    let mut cmd = Command::new(&line[0]);
    cmd.args(&line[1..]).args(&args);
    // SAFETY: between fork and exec the closure makes only async-signal-safe system calls
    // (getrlimit, setrlimit, dup2) on values computed before the fork; it allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let want = (HIGH + 1) as libc::rlim_t;
            if lim.rlim_cur < want {
                lim.rlim_cur = want;
                lim.rlim_max = lim.rlim_max.max(want);
                if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            // dup2 clears close-on-exec on the copies: nsrun inherits both.
            for fd in [LOW, HIGH] {
                if libc::dup2(src, fd) != fd {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let out = common::run(&mut cmd);
    drop(dir);
    out
}

/// The descriptor numbers listed in the section `own`.
fn own_fds(out: &Output) -> BTreeSet<i32> {
    out.sections()["own"]
        .lines()
        .map(|l| {
            l.parse()
                .unwrap_or_else(|_| panic!("not a number {l:?}\n{out}"))
        })
        .collect()
}

/// Runs PROBE in `setup` and checks that the command has exactly 0, 1, 2 and `kept` of its own,
/// that nothing lists the secret but the kept descriptors of the command itself, and what the
/// init (when there is one) shows of itself.
#[track_caller]
fn check(setup: &Setup, kept: &[i32]) {
    check_probe(setup, &probe(setup), kept);
}

/// The checks of [`check`] on the output of a probe already run.
#[track_caller]
fn check_probe(setup: &Setup, out: &Output, kept: &[i32]) {
    out.assert_code(0);
    let s = out.sections();
    let want: BTreeSet<i32> = [0, 1, 2].iter().chain(kept).copied().collect();
    assert_eq!(own_fds(out), want, "the command's own descriptors\n{out}");
    let init_mode = !setup.opts.contains(&"--as-pid-1");
    // With --as-pid-1, /proc/1 is the command itself.
    let pids: &[&str] = if init_mode { &["self"] } else { &["self", "1"] };
    let allowed: BTreeSet<String> = kept
        .iter()
        .flat_map(|fd| pids.iter().map(move |pid| format!("/proc/{pid}/fd/{fd}")))
        .collect();
    let allowed: BTreeSet<&str> = allowed.iter().map(String::as_str).collect();
    let leaks: BTreeSet<&str> = s["leak"].lines().collect();
    assert_eq!(
        leaks, allowed,
        "which descriptors the command reaches\n{out}"
    );
    let listed: BTreeSet<&str> = s["secret"].lines().collect();
    assert_eq!(listed, allowed, "what lists the host's directory\n{out}");
    // Before the init has closed its last descriptors, it holds nothing the command lacks.
    let early: BTreeSet<String> = s["early"].lines().map(String::from).collect();
    let kept_at_1: BTreeSet<String> = kept.iter().map(|fd| format!("/proc/1/fd/{fd}")).collect();
    assert!(
        early.is_subset(&kept_at_1),
        "PID 1 held {early:?} while the command ran\n{out}"
    );
    if !init_mode {
        return;
    }
    // The init of a rootless container is out of reach of the container's root (not dumpable);
    // real root, which may look, finds it holds nothing (stdin here is no terminal: no job
    // socket).
    if setup.rootless {
        assert!(
            s["init"].contains("Permission denied"),
            "the rootless container could list its init's descriptors\n{out}"
        );
        assert_eq!(s["environ"].trim(), "unreadable", "/proc/1/environ\n{out}");
    } else {
        assert_eq!(s["init"], "", "the init still holds descriptors\n{out}");
    }
}

#[test]
#[ignore = "needs root"]
fn init_mode_on_the_host_tree_passes_no_descriptor() {
    require_root();
    for opts in [&[][..], &["--as-pid-1"]] {
        check(
            &Setup {
                opts,
                root: None,
                rootless: false,
                inject: None,
            },
            &[],
        );
    }
}

#[test]
#[ignore = "needs root"]
fn with_root_no_descriptor_reaches_the_container() {
    require_root();
    let r = Rootfs::new("fds-root");
    for opts in [&[][..], &["--as-pid-1"]] {
        check(
            &Setup {
                opts,
                root: Some(&r),
                rootless: false,
                inject: None,
            },
            &[],
        );
    }
    r.finish();
}

#[test]
#[ignore = "needs root"]
fn rootless_no_descriptor_reaches_the_container() {
    require_root();
    if common::skip_without_unprivileged_userns() {
        return;
    }
    let r = Rootfs::new("fds-rootless");
    for root in [None, Some(&r)] {
        for opts in [&[][..], &["--as-pid-1"]] {
            check(
                &Setup {
                    opts,
                    root,
                    rootless: true,
                    inject: None,
                },
                &[],
            );
        }
    }
    r.finish();
}

#[test]
#[ignore = "needs root"]
fn keep_fd_passes_exactly_that_descriptor() {
    require_root();
    let r = Rootfs::new("fds-keep");
    let rootless = common::unprivileged_userns_unavailable().is_none();
    for (root, rootless) in [(None, false), (Some(&r), false), (Some(&r), rootless)] {
        for (opts, kept) in [
            (&["--keep-fd", "7"][..], &[LOW][..]),
            (&["--keep-fd", "1500"], &[HIGH]),
            (&["--keep-fd", "7", "--as-pid-1"], &[LOW]),
            (
                &["--keep-fd", "1500", "--keep-fd", "7", "--as-pid-1"],
                &[LOW, HIGH],
            ),
        ] {
            check(
                &Setup {
                    opts,
                    root,
                    rootless,
                    inject: None,
                },
                kept,
            );
        }
    }
    r.finish();
}

/// The init's own status as the host sees it: after the command started, it is not dumpable,
/// which /proc shows as the owner of its /proc/PID/fd: root instead of the process's uid (here,
/// rootless, 65534).
#[test]
#[ignore = "needs root"]
fn the_init_is_not_dumpable() {
    require_root();
    if common::skip_without_unprivileged_userns() {
        return;
    }
    use std::os::unix::fs::MetadataExt;
    let r = Rootfs::new("fds-dumpable");
    let mut cmd = Command::new(common::require_tool("setpriv"));
    cmd.args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups"])
        .arg(common::nsrun_bin())
        .args(r.args(&[], &["/bin/sh", "-c", "echo ready; exec sleep 1234"]));
    let mut running = common::Running::spawn(&mut cmd);
    running.expect_line("ready");
    let launcher = running.pid();
    let mut init = None;
    assert!(
        common::poll(common::TIMEOUT, || {
            init = common::descendants(launcher)
                .into_iter()
                .find(|p| p.ppid == launcher);
            init.is_some()
        }),
        "no init under the launcher"
    );
    let init = init.expect("found above");
    let nobody: u32 = NOBODY.parse().expect("a number");
    let status = std::fs::read_to_string(format!("/proc/{}/status", init.pid)).expect("status");
    assert!(
        status
            .lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some(NOBODY)),
        "the init does not run as {NOBODY}:\n{status}"
    );
    let owner = std::fs::metadata(format!("/proc/{}/fd", init.pid))
        .expect("stat /proc/INIT/fd")
        .uid();
    assert_eq!(
        owner, 0,
        "/proc/INIT/fd belongs to {owner}, not root: the init is dumpable (it runs as {nobody})"
    );
    common::send_signal(launcher, libc::SIGTERM);
    running.wait();
    r.finish();
}

/// Finds the launcher among the processes the container's /proc shows (its command line holds
/// `$MARK`, which neither this script's nor any helper's does) and reports which of its
/// descriptors 7 and 1500 the command can reach.
const FIND_LAUNCHER: &str = r#"
for d in /proc/[0-9]*; do
    case "$( (tr '\0' ' ' <"$d/cmdline") 2>/dev/null)" in
    *"$MARK"*)
        echo "launcher ${d#/proc/}"
        for f in 7 1500; do [ -e "$d/fd/$f" ] && echo "reaches $f"; done ;;
    esac
done
exit 0
"#;

/// Where the command sees the launcher (no new PID namespace, or the host's /proc), the launcher
/// holds none of the descriptors it inherited either.
#[test]
#[ignore = "needs root"]
fn the_launcher_holds_nothing_the_command_could_open() {
    require_root();
    let userns = common::unprivileged_userns_unavailable().is_none();
    for (opts, rootless) in [
        (&["--share-pid"][..], false),
        (&["--no-proc"], false),
        (&["--no-proc"], true),
        (&["--share-pid", "--no-proc"], true),
    ] {
        if rootless && !userns {
            continue;
        }
        let mark = rootfs::unique("launcher");
        let mut all = vec!["--setenv", "MARK", &mark];
        all.extend(opts);
        let out = probe_script(
            &Setup {
                opts: &all,
                root: None,
                rootless,
                inject: None,
            },
            FIND_LAUNCHER,
        );
        out.assert_code(0);
        assert!(
            out.stdout.starts_with("launcher "),
            "no launcher found\n{out}"
        );
        assert!(!out.stdout.contains("reaches"), "{out}");
    }
}

/// With `--no-proc` under a --root without a procfs, nsrun finds no /proc/self/fd to list; the
/// command, root inside, mounts a proc of its own and looks.
const MOUNT_PROC_THEN_PROBE: &str = "mount -t proc proc /proc || exit 99\n";

/// As on kernels before 5.9 (no close_range) and before 5.11 (no CLOSE_RANGE_CLOEXEC): the
/// fallbacks close and mark every descriptor, by /proc/self/fd, and without a procfs by poll up
/// to the hard RLIMIT_NOFILE. (strace's fault injection stands in for the old kernel.)
#[test]
#[ignore = "needs root"]
fn without_close_range_every_descriptor_is_still_closed() {
    require_root();
    let r = Rootfs::new("fds-old-kernel");
    for errno in ["ENOSYS", "EINVAL"] {
        for (root, opts) in [
            (None, &[][..]),
            (None, &["--as-pid-1"]),
            (Some(&r), &[]),
            (Some(&r), &["--keep-fd", "7"]),
        ] {
            let kept: &[i32] = if opts.contains(&"--keep-fd") {
                &[LOW]
            } else {
                &[]
            };
            check(
                &Setup {
                    opts,
                    root,
                    rootless: false,
                    inject: Some(errno),
                },
                kept,
            );
        }
        // The script mounts a proc itself: the container preset of --root would forbid that.
        let all = ["--caps-preset", "all", "--no-proc"];
        let all_pid1 = ["--caps-preset", "all", "--no-proc", "--as-pid-1"];
        for opts in [&all[..], &all_pid1[..]] {
            let setup = Setup {
                opts,
                root: Some(&r),
                rootless: false,
                inject: Some(errno),
            };
            let out = probe_script(&setup, &format!("{MOUNT_PROC_THEN_PROBE}{PROBE}"));
            check_probe(&setup, &out, &[]);
        }
    }
    r.finish();
}
