//! The OCI harness the red-team tests share (tests/redteam_s18.rs and later): a busybox
//! bundle with a state directory of its own, nsrun's OCI commands run with a deadline, runc's
//! capabilities and mounts as config.json pieces.
#![allow(dead_code)] // each test file uses a different subset

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::common::{nsrun_bin, require_root};
use crate::rootfs::Rootfs;

/// The default namespaces of these containers.
pub const NS: &str =
    r#"{"type": "pid"}, {"type": "mount"}, {"type": "uts"}, {"type": "ipc"}, {"type": "network"}"#;

/// runc's default capability set (`runc spec`): CAP_MKNOD among them.
pub const RUNC_CAPS: &str = r#""capabilities": {
    "bounding": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
    "effective": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"],
    "permitted": ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]}"#;

pub const PROC_DEV: &str = r#"{"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]}"#;
pub const PTS: &str = r#"{"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]}"#;
pub const SYS: &str = r#"{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}"#;

/// runc's default mounts a busybox rootfs can take.
pub fn mounts() -> String {
    format!("{PROC_DEV}, {PTS}, {SYS}")
}

/// A config.json: `process` members, top-level members (each starting with a comma), `linux`
/// members.
pub fn config(process: &str, top: &str, linux: &str) -> String {
    format!(
        r#"{{"ociVersion": "1.0.2", "root": {{"path": "rootfs"}},
        "process": {{"cwd": "/", "env": ["PATH=/bin"], {process}}}
        {top},
        "linux": {{{linux}}}}}"#
    )
}

/// `sh -c SCRIPT` with runc's capabilities, as process members.
pub fn sh(script: &str) -> String {
    format!(r#""args": ["/bin/sh", "-c", {script:?}], {RUNC_CAPS}"#)
}

/// A bundle (a busybox rootfs with `mknod` too) and a state directory of its own.
pub struct Oci {
    pub root: Rootfs,
    pub state: PathBuf,
    pub runs: AtomicU32,
    pub ids: std::sync::Mutex<Vec<String>>,
}

/// How an OCI command ended.
pub struct Ran {
    /// None: killed at the deadline.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl std::fmt::Display for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?} after {:?}\nstdout: {}\nstderr: {}",
            self.code, self.took, self.stdout, self.stderr
        )
    }
}

impl Oci {
    pub fn new(tag: &str) -> Oci {
        Oci::with_scripts(tag, &[])
    }

    /// [`Oci::new`] with executable scripts `(path in the rootfs, text)` in its rootfs.
    pub fn with_scripts(tag: &str, scripts: &[(&str, &str)]) -> Oci {
        require_root();
        let root = Rootfs::new(tag);
        for applet in ["mknod", "tty", "chmod"] {
            let _ = std::os::unix::fs::symlink("busybox", root.root().join("bin").join(applet));
        }
        for (path, text) in scripts {
            let file = root.root().join(path);
            std::fs::write(&file, text).unwrap();
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let root = root.resnapshot();
        let state = root.scratch("state");
        std::fs::create_dir(&state).unwrap();
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).unwrap();
        Oci {
            root,
            state,
            runs: AtomicU32::new(0),
            ids: Default::default(),
        }
    }

    pub fn bundle(&self) -> PathBuf {
        self.root.root().parent().unwrap().to_path_buf()
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.bundle().join("config.json"), text).unwrap();
    }

    /// `nsrun --root STATE ARGS` in the bundle, stdout and stderr into files (the container keeps
    /// the runtime's descriptors), killed (by pid) after `limit`.
    pub fn run_limit(&self, args: &[&str], limit: Duration, stdout: Option<Stdio>) -> Ran {
        if args.first() == Some(&"create") {
            self.ids
                .lock()
                .unwrap()
                .push(args.last().unwrap().to_string());
        }
        let n = self.runs.fetch_add(1, Ordering::Relaxed);
        let o = self.root.scratch(&format!("out.{n}"));
        let e = self.root.scratch(&format!("err.{n}"));
        let start = Instant::now();
        let mut child = Command::new(nsrun_bin())
            .arg("--root")
            .arg(&self.state)
            .args(args)
            .current_dir(self.bundle())
            .stdin(Stdio::null())
            .stdout(stdout.unwrap_or_else(|| std::fs::File::create(&o).unwrap().into()))
            .stderr(std::fs::File::create(&e).unwrap())
            .spawn()
            .expect("run nsrun");
        let code = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break Some(st.code().unwrap_or(128));
            }
            if start.elapsed() > limit {
                // The hooks it started go first (they would outlive it), then it: by pid.
                for p in crate::common::descendants(child.id() as i32) {
                    // SAFETY: kill has no memory-safety preconditions.
                    unsafe { libc::kill(p.pid, libc::SIGKILL) };
                }
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Ran {
            code,
            stdout: std::fs::read_to_string(&o).unwrap_or_default(),
            stderr: std::fs::read_to_string(&e).unwrap_or_default(),
            took: start.elapsed(),
        }
    }

    pub fn run(&self, args: &[&str]) -> Ran {
        self.run_limit(args, Duration::from_secs(30), None)
    }

    /// Creates and starts `id`; asserts both worked.
    pub fn up(&self, id: &str) {
        let out = self.run(&["create", id]);
        assert_eq!(out.code, Some(0), "create: {out}");
        let out = self.run(&["start", id]);
        assert_eq!(out.code, Some(0), "start: {out}");
    }

    /// Deletes every container made, checks the state directory empty and the host unchanged.
    pub fn finish(self) {
        for id in self.ids.lock().unwrap().iter() {
            self.run(&["delete", "--force", id]);
        }
        let left: Vec<String> = std::fs::read_dir(self.state.join("nsrun"))
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        assert!(left.is_empty(), "the state directory kept {left:?}");
        let _ = std::fs::remove_file(self.bundle().join("config.json"));
        self.root.finish();
    }
}

/// A startContainer hook that runs `script` (in the container, with the program's user,
/// capabilities and filter), as a top-level `hooks` member.
pub fn start_hook(script: &str) -> String {
    format!(
        r#", "hooks": {{"startContainer": [{{"path": "/bin/sh", "args": ["sh", "-c", {script:?}]}}]}}"#
    )
}
