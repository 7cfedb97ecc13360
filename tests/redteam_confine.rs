//! The red team's findings against the confinement options (capabilities, seccomp, the smaller
//! locks): each test reproduces a break of a README promise on the code as it was, and fails
//! there.
//!
//! Nothing here changes the machine's mounts or sysctls: every mount and every write to a user
//! namespace limit happens inside an nsrun container with its own namespaces.

mod common;

use std::process::Command;

use common::{nsrun, require_root, require_tool, run, TempDir};

/// A `Command` for nsrun run as uid and gid 65534 without groups.
fn nsrun_as_nobody(args: &[&str]) -> Command {
    let mut cmd = Command::new(require_tool("setpriv"));
    cmd.args(["--reuid", "65534", "--regid", "65534", "--clear-groups"])
        .arg(common::nsrun_bin())
        .args(args);
    cmd
}

/// README, seccomp preset: "`unshare`, `setns`, `clone` with a namespace flag; `clone3` ... only
/// when the command lacks CAP_SYS_ADMIN, as in docker's profile". The launcher decides whether
/// the command holds CAP_SYS_ADMIN from `--setuid` alone (src/plan/mod.rs, `root_command`): a
/// command that runs as another uid than 0 inside its user namespace without `--setuid`
/// (`--map-current-user`, or id maps that do not map 0) holds no capability at all after its
/// exec, yet the preset leaves `unshare` and `clone` with namespace flags open to it, and it
/// makes a new user namespace.
#[test]
fn seccomp_preset_lets_a_capless_map_current_user_command_make_namespaces() {
    if common::skip_without_unprivileged_userns() {
        return;
    }
    let unshare = require_tool("unshare");
    let unshare = unshare.to_str().expect("paths are UTF-8");
    let script = r#"grep CapEff /proc/self/status; "$1" --user true; echo "unshare=$?""#;
    let mut cmd = match common::is_root() {
        true => nsrun_as_nobody(&[
            "-c",
            "--seccomp-preset",
            "default",
            "--",
            "/bin/sh",
            "-c",
            script,
            "sh",
            unshare,
        ]),
        false => common::nsrun_cmd(&[
            "-c",
            "--seccomp-preset",
            "default",
            "--",
            "/bin/sh",
            "-c",
            script,
            "sh",
            unshare,
        ]),
    };
    let out = run(&mut cmd);
    out.assert_code(0);
    assert!(
        out.stdout.contains("CapEff:\t0000000000000000"),
        "the command was expected to hold no capability\n{out}"
    );
    assert!(
        out.stdout.contains("unshare=1"),
        "a command without CAP_SYS_ADMIN made a user namespace under --seccomp-preset default\n{out}"
    );
}

/// The same as root, with id maps that leave the command uid 1000 inside (no BecomeRoot, no
/// `--setuid`): it holds no capability, and still `unshare(CLONE_NEWUSER)` passes the preset.
#[test]
#[ignore = "needs root"]
fn seccomp_preset_lets_a_capless_mapped_command_make_namespaces() {
    require_root();
    let unshare = require_tool("unshare");
    let out = nsrun(&[
        "--user",
        "--mount",
        "--pid",
        "--uid-map",
        "1000:0:1",
        "--gid-map",
        "1000:0:1",
        "--seccomp-preset",
        "default",
        "--",
        "/bin/sh",
        "-c",
        r#"id -u; grep CapEff /proc/self/status; "$1" --user true; echo "unshare=$?""#,
        "sh",
        unshare.to_str().expect("paths are UTF-8"),
    ]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("CapEff:\t0000000000000000"),
        "the command was expected to hold no capability\n{out}"
    );
    assert!(
        out.stdout.contains("unshare=1"),
        "a command without CAP_SYS_ADMIN made a user namespace under --seccomp-preset default\n{out}"
    );
}

/// README, `--disable-userns`: "the command cannot create user namespaces ...
/// user.max_user_namespaces is set to 1 in the container's own user namespace", and "nsrun never
/// creates anything on a host filesystem". The limit is written through the path
/// `sys/user/max_user_namespaces` below the tree's procfs (src/setup/tree.rs,
/// `limit_user_namespaces`), which follows the mounts the user's own options put there: with a
/// `--bind DIR /proc/sys`, nsrun writes "1" into the host file DIR/user/max_user_namespaces, no
/// limit is set, and the command makes a user namespace.
#[test]
#[ignore = "needs root"]
fn disable_userns_writes_through_a_bind_over_proc_sys() {
    require_root();
    let dir = TempDir::new("rtc-procsys");
    let fake = dir.path().join("user");
    std::fs::create_dir(&fake).expect("mkdir user");
    let file = fake.join("max_user_namespaces");
    std::fs::write(&file, "99\n").expect("write the decoy");
    let unshare = require_tool("unshare");
    let out = nsrun(&[
        "--user",
        "--map-root-user",
        "--mount",
        "--pid",
        "--disable-userns",
        "--bind",
        dir.str(),
        "/proc/sys",
        "--",
        "/bin/sh",
        "-c",
        r#""$1" --user true; echo "unshare=$?""#,
        "sh",
        unshare.to_str().expect("paths are UTF-8"),
    ]);
    let after = std::fs::read_to_string(&file).expect("read the decoy");
    assert_eq!(
        after, "99\n",
        "--disable-userns wrote its limit into a host file bound over /proc/sys\n{out}"
    );
    assert!(
        !out.stdout.contains("unshare=0"),
        "under --disable-userns the command made a user namespace\n{out}"
    );
}

/// README, `--seccomp-allow`: "The list must name `execve` (or `execveat`): nsrun executes the
/// command after installing the filter". Naming it is not enough: after installing the filter
/// the command process restores nsrun's signal mask with rt_sigprocmask (src/run/child.rs,
/// `exec_with`), which the allow list kills, so a command that needs nothing but `exit_group`
/// never starts (exit 159 instead of its own 7), under init and with `--as-pid-1`.
#[test]
fn seccomp_allow_with_execve_kills_nsrun_before_the_exec() {
    let cc = require_tool("cc");
    let dir = TempDir::new("rtc-allow");
    let src = dir.path().join("exit7.S");
    std::fs::write(
        &src,
        ".globl _start\n_start:\n mov $231, %eax\n mov $7, %edi\n syscall\n",
    )
    .expect("write exit7.S");
    let bin = dir.path().join("exit7");
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipped: the helper is x86-64 assembly");
        return;
    }
    let built = run(Command::new(&cc)
        .args(["-static", "-nostdlib", "-o"])
        .arg(&bin)
        .arg(&src));
    assert!(built.status.success(), "cannot build the helper\n{built}");
    let bin = bin.to_str().expect("paths are UTF-8");
    let direct = run(&mut Command::new(bin));
    assert_eq!(direct.code(), Some(7), "the helper itself\n{direct}");
    let userns = !common::is_root();
    if userns && common::skip_without_unprivileged_userns() {
        return;
    }
    for extra in [&[][..], &["--as-pid-1"][..]] {
        let mut args: Vec<&str> = extra.to_vec();
        args.extend(["--seccomp-allow", "execve,exit_group", "--", bin]);
        let out = nsrun(&args);
        assert_eq!(
            out.code(),
            Some(7),
            "nsrun {args:?}: the command, allowed execve and exit_group, did not run\n{out}"
        );
    }
}

/// README, "Locking a container down": nsrun's PID 1 "once the command runs ... keeps at most
/// CAP_KILL (only if the command holds it)". With `--setuid`, the command's set S is decided as
/// for root (the container preset holds CAP_KILL), but a command running as another uid holds
/// only its `--cap-add`ed capabilities: here none. The init is told S (src/plan/mod.rs,
/// `caps: caps.map(|c| c.keep)`; src/confine/caps.rs, `reduce_init`) and keeps CAP_KILL, in the
/// host's user namespace (no `--user`), while the command holds nothing.
#[test]
#[ignore = "needs root"]
fn init_keeps_cap_kill_that_a_setuid_command_does_not_hold() {
    require_root();
    let out = nsrun(&[
        "--caps-preset",
        "container",
        "--setuid",
        "1000",
        "--",
        "/bin/sh",
        "-c",
        "grep CapEff /proc/self/status; grep CapEff /proc/1/status | sed s/CapEff/InitEff/",
    ]);
    out.assert_code(0);
    assert!(
        out.stdout.contains("CapEff:\t0000000000000000"),
        "the command was expected to hold no capability\n{out}"
    );
    assert!(
        out.stdout.contains("InitEff:\t0000000000000000"),
        "nsrun's init keeps a capability (CAP_KILL) the command does not hold\n{out}"
    );
}
