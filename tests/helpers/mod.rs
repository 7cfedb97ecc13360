//! Test helpers written in C, compiled by the tests themselves: `nosys` (nosys.c), which runs a
//! command under a seccomp filter that makes chosen syscalls fail with ENOSYS, as on a kernel that
//! predates them.
#![allow(dead_code)] // not every test file uses every helper

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::common;

/// The syscalls newer than Linux 3.10 that nsrun may use, with the release that added each; every
/// one is known to nosys.c's table.
pub const NEWER_SYSCALLS: [(&str, &str); 13] = [
    ("statx", "4.11"),
    ("pidfd_send_signal", "5.1"),
    ("open_tree", "5.2"),
    ("move_mount", "5.2"),
    ("fsopen", "5.2"),
    ("fsconfig", "5.2"),
    ("fsmount", "5.2"),
    ("fspick", "5.2"),
    ("pidfd_open", "5.3"),
    ("clone3", "5.3"),
    ("openat2", "5.6"),
    ("close_range", "5.9"),
    ("mount_setattr", "5.12"),
];

/// The nosys binary, compiled once per test binary from tests/helpers/nosys.c with `cc` into
/// cargo's temp dir for integration tests (target/tmp).
pub fn nosys_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_c("nosys"))
}

/// A `Command` running `cmd args...` under nosys with the syscalls of `set` (comma-separated, or
/// `all`) failing with ENOSYS.
pub fn nosys_cmd<S: AsRef<OsStr>>(set: &str, cmd: &Path, args: &[S]) -> Command {
    let mut c = Command::new(nosys_bin());
    c.arg(set).arg("--").arg(cmd).args(args);
    c
}

/// Runs nsrun with `args` under nosys with the syscalls of `set` missing.
pub fn nsrun_without<S: AsRef<OsStr>>(set: &str, args: &[S]) -> common::Output {
    common::run(&mut nosys_cmd(set, &common::nsrun_bin(), args))
}

/// Runs nsrun with `args` under nosys with the syscalls of `set` missing, as uid and gid 65534
/// without supplementary groups (setpriv first, so nsrun makes its automatic user namespace).
pub fn nsrun_without_as_nobody<S: AsRef<OsStr>>(set: &str, args: &[S]) -> common::Output {
    let mut cmd = Command::new(common::require_tool("setpriv"));
    cmd.args(NOBODY).arg(nosys_bin()).arg(set).arg("--");
    cmd.arg(common::nsrun_bin()).args(args);
    common::run(&mut cmd)
}

/// setpriv's options that make a command run as uid and gid 65534 without groups.
pub const NOBODY: [&str; 5] = ["--reuid", "65534", "--regid", "65534", "--clear-groups"];

/// The sysprobe binary (tests/helpers/sysprobe.c: makes chosen syscalls and prints what each
/// returned), compiled once per test binary like [`nosys_bin`].
pub fn sysprobe_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| build_c("sysprobe"))
}

/// Compiles tests/helpers/NAME.c into cargo's temp dir for integration tests as NAME. Compiled
/// under a name of its own, then renamed: test binaries running at the same time each build it,
/// and a rename never leaves a half-written file where another one executes it.
fn build_c(name: &str) -> PathBuf {
    let cc = common::require_tool("cc");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/helpers/{name}.c"));
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    let tmp = dir.join(format!("{name}.{}.tmp", std::process::id()));
    let out = common::run(
        Command::new(&cc)
            .args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
            .arg(&tmp)
            .arg(&src),
    );
    assert!(
        out.status.success(),
        "cannot compile {} (scripts/setup.sh installs gcc and libc6-dev)\n{out}",
        src.display()
    );
    let bin = dir.join(name);
    std::fs::rename(&tmp, &bin)
        .unwrap_or_else(|e| panic!("rename {} to {}: {e}", tmp.display(), bin.display()));
    bin
}
