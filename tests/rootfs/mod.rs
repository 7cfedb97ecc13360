//! A busybox root filesystem for `nsrun --root`, built fresh for each test, and the checks every
//! container test ends with: the root directory on the host is exactly as it was, and so is the
//! host's mount table.
//!
//! Uses the general helpers of `tests/common` (running a command with a deadline, temp dirs).
#![allow(dead_code)] // tests/root.rs uses most of it; not every helper in every build

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{self, Output, TempDir};

/// The content of the rootfs's `/etc/issue`, which tells its /etc from the host's.
pub const MARKER: &str = "nsrun-test-root";

/// The busybox binary the rootfs is made from (Debian's busybox-static).
pub const BUSYBOX: &str = "/bin/busybox";

/// Applets linked in the rootfs's /bin.
pub const APPLETS: [&str; 31] = [
    "sh", "ls", "ps", "cat", "echo", "touch", "mkdir", "id", "hostname", "stat", "grep", "wc",
    "readlink", "mount", "sleep", "env", "pwd", "true", "false", "test", "dd", "head", "rm",
    "sort", "tr", "cut", "sed", "awk", "printf", "ln", "xargs",
];

/// The entries of the rootfs's `/`, sorted.
pub const TOP: [&str; 7] = ["bin", "dev", "etc", "mnt", "proc", "sys", "tmp"];

/// The unprivileged user rootless tests run as.
pub const NOBODY: &str = "65534";

/// A fresh busybox root filesystem in `<temp dir>/rootfs`, with a scratch area next to it (in the
/// same temp dir, outside the root) for host-side files, and the state it and the host's mount
/// table had when it was made.
pub struct Rootfs {
    dir: TempDir,
    root: PathBuf,
    before: Snapshot,
    mounts_before: String,
}

impl Rootfs {
    /// Builds the rootfs (every directory mode 0755, so uid 65534 can use it too).
    pub fn new(tag: &str) -> Rootfs {
        let dir = TempDir::new(&format!("root-{tag}"));
        let root = dir.path().join("rootfs");
        mkdir(&root, 0o755);
        for d in TOP {
            mkdir(&root.join(d), 0o755);
        }
        let bin = root.join("bin");
        let busybox = bin.join("busybox");
        std::fs::copy(BUSYBOX, &busybox).unwrap_or_else(|e| {
            panic!("copy {BUSYBOX}: {e} (install busybox-static: scripts/setup.sh)")
        });
        std::fs::set_permissions(&busybox, std::fs::Permissions::from_mode(0o755))
            .expect("chmod busybox");
        for applet in APPLETS {
            std::os::unix::fs::symlink("busybox", bin.join(applet))
                .unwrap_or_else(|e| panic!("symlink bin/{applet}: {e}"));
        }
        let issue = root.join("etc/issue");
        std::fs::write(&issue, format!("{MARKER}\n")).expect("write etc/issue");
        std::fs::set_permissions(&issue, std::fs::Permissions::from_mode(0o644))
            .expect("chmod etc/issue");
        let before = Snapshot::take(&root);
        Rootfs {
            dir,
            root,
            before,
            mounts_before: common::host_mountinfo(),
        }
    }

    /// Takes the snapshot again, after the test changed the tree on purpose before any run.
    pub fn resnapshot(mut self) -> Rootfs {
        self.before = Snapshot::take(&self.root);
        self
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The root directory as a string.
    pub fn root_str(&self) -> &str {
        self.root.to_str().expect("temp paths are UTF-8")
    }

    /// A path in the scratch area next to the root (on the host, outside the container's root).
    pub fn scratch(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `scratch(name)` as a string.
    pub fn scratch_str(&self, name: &str) -> String {
        self.scratch(name)
            .to_str()
            .expect("temp paths are UTF-8")
            .to_string()
    }

    /// The command line `nsrun --root ROOT OPTS... -- CMD...` (without the nsrun binary).
    pub fn args(&self, opts: &[&str], cmd: &[&str]) -> Vec<String> {
        let mut args = vec!["--root".to_string(), self.root_str().to_string()];
        args.extend(opts.iter().map(|s| s.to_string()));
        args.push("--".into());
        args.extend(cmd.iter().map(|s| s.to_string()));
        args
    }

    /// Runs `nsrun --root ROOT OPTS... -- CMD...` as the test's user.
    pub fn run(&self, opts: &[&str], cmd: &[&str]) -> Output {
        common::nsrun(&self.args(opts, cmd))
    }

    /// Runs `nsrun --root ROOT OPTS... -- /bin/sh -c SCRIPT`.
    pub fn sh(&self, opts: &[&str], script: &str) -> Output {
        self.run(opts, &["/bin/sh", "-c", script])
    }

    /// Runs `nsrun --root ROOT OPTS... -- CMD...` as uid and gid 65534 without groups.
    pub fn run_as_nobody(&self, opts: &[&str], cmd: &[&str]) -> Output {
        as_nobody(&self.args(opts, cmd))
    }

    /// Asserts that the root directory and the host's mount table are exactly as when the rootfs
    /// was made, then removes it.
    #[track_caller]
    pub fn finish(self) {
        let after = Snapshot::take(&self.root);
        let diff = self.before.diff(&after);
        assert!(
            diff.is_empty(),
            "the root directory {} changed on the host:\n{diff}",
            self.root.display()
        );
        assert_mounts_unchanged(&self.mounts_before);
    }
}

/// Makes a directory with exactly `mode`.
pub fn mkdir(path: &Path, mode: u32) {
    std::fs::create_dir(path).unwrap_or_else(|e| panic!("mkdir {}: {e}", path.display()));
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

/// Runs nsrun with `args` as uid and gid 65534 without supplementary groups (through setpriv).
pub fn as_nobody<S: AsRef<str>>(args: &[S]) -> Output {
    let setpriv = common::require_tool("setpriv");
    let mut cmd = Command::new(setpriv);
    cmd.args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups"])
        .arg(common::nsrun_bin())
        .args(args.iter().map(AsRef::as_ref));
    common::run(&mut cmd)
}

/// The host's mount table now, to compare after a run with [`assert_mounts_unchanged`].
pub fn host_mounts() -> String {
    common::host_mountinfo()
}

/// Asserts that the test process's mount table is `before`, line for line.
#[track_caller]
pub fn assert_mounts_unchanged(before: &str) {
    let after = common::host_mountinfo();
    if after != before {
        let old: Vec<&str> = before.lines().collect();
        let new: Vec<&str> = after.lines().collect();
        let mut msg = String::new();
        for l in &old {
            if !new.contains(l) {
                let _ = writeln!(msg, "- {l}");
            }
        }
        for l in &new {
            if !old.contains(l) {
                let _ = writeln!(msg, "+ {l}");
            }
        }
        panic!("the host's mount table changed:\n{msg}");
    }
}

/// What the test compares of one file: everything that a change to it or its directory alters.
#[derive(Debug, PartialEq, Eq)]
struct Entry {
    ino: u64,
    mode: u32,
    uid: u32,
    gid: u32,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
    link: Option<PathBuf>,
}

/// Every file below a directory (the directory itself as `.`), with its metadata.
pub struct Snapshot(BTreeMap<PathBuf, Entry>);

impl Snapshot {
    /// Walks `dir` without following symlinks.
    pub fn take(dir: &Path) -> Snapshot {
        let mut map = BTreeMap::new();
        walk(dir, Path::new("."), &mut map);
        Snapshot(map)
    }

    /// A description of every difference ("" when equal).
    pub fn diff(&self, after: &Snapshot) -> String {
        let mut msg = String::new();
        for (path, old) in &self.0 {
            match after.0.get(path) {
                None => {
                    let _ = writeln!(msg, "removed: {}", path.display());
                }
                Some(new) if new != old => {
                    let _ = writeln!(msg, "changed: {}: {old:?} -> {new:?}", path.display());
                }
                Some(_) => {}
            }
        }
        for path in after.0.keys() {
            if !self.0.contains_key(path) {
                let _ = writeln!(msg, "created: {}", path.display());
            }
        }
        msg
    }
}

fn walk(base: &Path, rel: &Path, map: &mut BTreeMap<PathBuf, Entry>) {
    let path = base.join(rel);
    let md = std::fs::symlink_metadata(&path)
        .unwrap_or_else(|e| panic!("lstat {}: {e}", path.display()));
    let link = md
        .file_type()
        .is_symlink()
        .then(|| std::fs::read_link(&path).expect("readlink"));
    map.insert(
        rel.to_path_buf(),
        Entry {
            ino: md.ino(),
            mode: md.mode(),
            uid: md.uid(),
            gid: md.gid(),
            size: md.size(),
            mtime: (md.mtime(), md.mtime_nsec()),
            ctime: (md.ctime(), md.ctime_nsec()),
            link,
        },
    );
    if md.is_dir() {
        let entries =
            std::fs::read_dir(&path).unwrap_or_else(|e| panic!("ls {}: {e}", path.display()));
        for entry in entries {
            let entry = entry.expect("read_dir entry");
            walk(base, &rel.join(entry.file_name()), map);
        }
    }
}

/// The mount points (field 5) of a mountinfo text, in order.
pub fn mount_points(mountinfo: &str) -> Vec<String> {
    mountinfo
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4))
        .map(str::to_string)
        .collect()
}

/// The mountinfo line whose mount point is `point` (the last one, when mounts are stacked).
pub fn mount_line<'a>(mountinfo: &'a str, point: &str) -> Option<&'a str> {
    mountinfo
        .lines()
        .rfind(|l| l.split_whitespace().nth(4) == Some(point))
}

/// The filesystem type of a mountinfo line (the field after ` - `).
pub fn fstype(line: &str) -> &str {
    line.split(" - ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or("")
}

/// The per-mount options of a mountinfo line (field 6), e.g. `ro,nosuid,nodev,relatime`.
pub fn mount_options(line: &str) -> Vec<&str> {
    line.split_whitespace()
        .nth(5)
        .map(|o| o.split(',').collect())
        .unwrap_or_default()
}

/// The device (`major:minor`, field 3) of a mountinfo line.
pub fn device(line: &str) -> &str {
    line.split_whitespace().nth(2).unwrap_or("")
}

/// The rows of busybox `ps` output: (pid, command).
pub fn ps_rows(out: &str) -> Vec<(u32, String)> {
    out.lines()
        .skip_while(|l| !l.trim_start().starts_with("PID"))
        .skip(1)
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let pid = words.next()?.parse().ok()?;
            let _user = words.next()?;
            Some((pid, words.collect::<Vec<_>>().join(" ")))
        })
        .collect()
}

/// An id map file's lines with runs of spaces collapsed: `0 65534 1`.
pub fn map_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

/// A name no other run of any test uses, for files probed on the host.
pub fn unique(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "nsrun-test-{tag}-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
