//! What the child tells the parent over the close-on-exec error pipe, and how the parent says it.
//!
//! A report is 12 bytes, written with one write(2) (below PIPE_BUF, so never split or interleaved),
//! and always fatal: the child exits right after. The launcher reads the pipe once the child has
//! ended; found closed and empty, it proves the command was executed.

use alloc::format;
use alloc::string::String;
use rustix::io::Errno;

use crate::out::Bytes as Show;
use crate::plan::Plan;
use crate::setup::step::Step;
use crate::spec::Spec;
use crate::status;
use crate::sys;

/// What failed, when it is not one of the plan's steps.
pub mod special {
    /// execve of the command.
    pub const EXEC: u32 = u32::MAX;
    /// The init's clone of the command process.
    pub const SPAWN: u32 = u32::MAX - 1;
}

/// What the child found out about a failed exec beyond its errno.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Found {
    /// Nothing more to say.
    Nothing,
    /// execve said ENOENT, but the candidate exists as a regular file: its interpreter is missing.
    Exists,
    /// The same, and the file starts with `#!`.
    Script,
    /// The same, and the file is an ELF program (its dynamic loader is missing).
    Elf,
}

impl Found {
    fn from_byte(b: u8) -> Found {
        match b {
            1 => Found::Exists,
            2 => Found::Script,
            3 => Found::Elf,
            _ => Found::Nothing,
        }
    }

    fn byte(self) -> u8 {
        match self {
            Found::Nothing => 0,
            Found::Exists => 1,
            Found::Script => 2,
            Found::Elf => 3,
        }
    }
}

/// A failure as the child knows it: the errno, and for an exec what it found about the candidate.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Failure {
    /// The errno.
    pub errno: Errno,
    /// What else is known (exec only).
    pub found: Found,
    /// The index of the exec candidate `found` is about.
    pub candidate: u16,
}

impl From<Errno> for Failure {
    fn from(errno: Errno) -> Failure {
        Failure {
            errno,
            found: Found::Nothing,
            candidate: 0,
        }
    }
}

/// One failure in the child.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Report {
    /// Index of the failed step in the plan, or one of [`special`].
    pub step: u32,
    /// The errno.
    pub errno: i32,
    /// The exit status nsrun will end with.
    pub code: u8,
    /// What the child found about a failed exec.
    pub found: Found,
    /// The exec candidate `found` is about.
    pub candidate: u16,
}

/// The size of a report on the pipe.
pub const SIZE: usize = 12;

impl Report {
    /// A failure of step `step`: an [`Errno`], or a [`Failure`] from [`crate::plan::exec::Exec::run`].
    pub fn new(step: u32, failure: impl Into<Failure>) -> Report {
        let failure = failure.into();
        let code = match step {
            special::EXEC => exec_status(failure.errno),
            _ => status::SETUP_FAILED,
        };
        Report {
            step,
            errno: failure.errno.raw_os_error(),
            code: code as u8,
            found: failure.found,
            candidate: failure.candidate,
        }
    }

    /// The bytes written to the pipe.
    pub fn encode(&self) -> [u8; SIZE] {
        let mut b = [0; SIZE];
        b[..4].copy_from_slice(&self.step.to_ne_bytes());
        b[4..8].copy_from_slice(&self.errno.to_ne_bytes());
        b[8] = self.code;
        b[9] = self.found.byte();
        b[10..12].copy_from_slice(&self.candidate.to_ne_bytes());
        b
    }

    /// The report from its bytes.
    pub fn decode(b: &[u8; SIZE]) -> Report {
        Report {
            step: u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            // Only the child writes the pipe, but an errno outside Linux's range (1..4096) would
            // make rustix's Errno panic: such a report says EIO.
            errno: Some(i32::from_ne_bytes([b[4], b[5], b[6], b[7]]))
                .filter(|e| (1..4096).contains(e))
                .unwrap_or(Errno::IO.raw_os_error()),
            code: b[8],
            found: Found::from_byte(b[9]),
            candidate: u16::from_ne_bytes([b[10], b[11]]),
        }
    }

    /// Writes the report to `fd` (child side; no allocation).
    pub fn send(&self, fd: rustix::fd::BorrowedFd<'_>) {
        sys::fd::write_all(fd, &self.encode());
    }
}

/// 127 when the command does not exist, 126 when it exists but cannot be executed.
pub fn exec_status(errno: Errno) -> i32 {
    match errno {
        Errno::NOENT | Errno::NOTDIR => status::NOT_FOUND,
        _ => status::CANNOT_EXECUTE,
    }
}

/// The hint for root privilege, used by several messages.
pub const NEEDS_ROOT: &str = "run as root, or as an ordinary user add --map-root-user";

/// The line (without `nsrun: `) for a failure of `what` with `errno`, and an optional hint.
pub fn line(what: &str, errno: Errno, hint: Option<&str>) -> String {
    let text = sys::errno::text(errno.raw_os_error());
    match hint {
        Some(h) => crate::out::cat(&[what, ": ", text, " (hint: ", h, ")"]),
        None => crate::out::cat(&[what, ": ", text]),
    }
}

/// [`line`] of the step `what` given in pieces (put together without the formatter).
#[inline(never)]
pub fn line_of(what: &[&str], errno: Errno, hint: Option<&str>) -> String {
    line(&crate::out::cat(what), errno, hint)
}

/// Where unprivileged user namespaces are switched off, for hints.
const USERNS_SWITCHES: &str = "unprivileged user namespaces may be disabled: check sysctl \
    user.max_user_namespaces, kernel.unprivileged_userns_clone and \
    kernel.apparmor_restrict_unprivileged_userns";

/// The hint for a failed clone(2) that asked for a new user namespace or not.
pub fn clone_hint(e: Errno, unprivileged: bool, new_user: bool) -> Option<&'static str> {
    match e {
        Errno::PERM | Errno::NOSPC | Errno::USERS | Errno::ACCESS if unprivileged && new_user => {
            Some(USERNS_SWITCHES)
        }
        Errno::PERM if unprivileged => Some(
            "without a user namespace this needs root: drop --share-user, or add --map-root-user",
        ),
        Errno::PERM => Some(NEEDS_ROOT),
        Errno::INVAL => Some("this kernel lacks one of the requested namespace kinds"),
        Errno::NOSPC | Errno::USERS => {
            Some("a namespace limit is reached: see /proc/sys/user/max_*_namespaces")
        }
        _ => None,
    }
}

/// The line for a report from the child of `plan`, made from `spec`. A step that a mount operation
/// became is named after the operation too: `--tmpfs /x: mount tmpfs on /x: ...`.
pub fn describe(r: &Report, plan: &Plan, spec: &Spec) -> String {
    let errno = Errno::from_raw_os_error(r.errno);
    let (what, hint) = match r.step {
        special::EXEC => exec_what(r, &plan.exec, errno),
        special::SPAWN => ("start the command from init".into(), None),
        i => match plan.steps.get(i as usize) {
            Some(Step::HookPoint) => match &plan.hooks {
                Some(hooks) => return crate::oci::hooks::describe(r, hooks),
                None => (String::from("run the createContainer hooks"), None),
            },
            Some(step) => {
                let mut what = step.describe();
                let names_its_option = matches!(step, Step::Bind { option, .. } if option.starts_with("--"))
                    || matches!(step, Step::General(_) | Step::Device { .. });
                if let (Some(op), false) = (
                    plan.op_of(i).and_then(|o| spec.mounts.get(o)),
                    names_its_option,
                ) {
                    what = format!("{}: {what}", op.label());
                }
                let from_option = plan.op_of(i).is_some();
                (what, step_hint(step, errno, plan.unprivileged, from_option))
            }
            None => (format!("setup step {i}"), None),
        },
    };
    line(&what, errno, hint)
}

/// [`describe`] for OCI `create`, whose callers read the words of runc's exec failures
/// (podman maps "executable file not found" and "no such file or directory" to 127, "permission
/// denied" to 126): `exec: "NAME": executable file not found in $PATH`, then nsrun's own line.
pub fn oci_line(r: &Report, plan: &Plan, spec: &Spec) -> String {
    let own = describe(r, plan, spec);
    if r.step != special::EXEC {
        return own;
    }
    let name = &plan.exec.name;
    let why = match Errno::from_raw_os_error(r.errno) {
        Errno::NOENT if !name.contains(&b'/') => "executable file not found in $PATH",
        Errno::NOENT => "no such file or directory",
        Errno::ACCESS | Errno::PERM => "permission denied",
        _ => return own,
    };
    crate::out::cat(&[
        &crate::out::around("exec: \"", name, "\": "),
        why,
        " (",
        &own,
        ")",
    ])
}

/// Prints `nsrun: warning: WHAT: ERRNO TEXT (hint: HINT)` from the child with one write(2).
pub fn warn(what: &str, errno: Errno, hint: &str) {
    let mut buf = [0u8; 512];
    let line = warning_line(&mut buf, what, errno, hint);
    sys::fd::write_all(sys::fd::stderr(), line);
}

/// Puts the warning line together in `buf` (the child allocates nothing); cut at 512 bytes.
fn warning_line<'b>(buf: &'b mut [u8; 512], what: &str, errno: Errno, hint: &str) -> &'b [u8] {
    let text = sys::errno::text(errno.raw_os_error());
    let parts = [
        "nsrun: warning: ",
        what,
        ": ",
        text,
        " (hint: ",
        hint,
        ")\n",
    ];
    let mut len = 0;
    for part in parts {
        let n = part.len().min(buf.len() - len);
        buf[len..len + n].copy_from_slice(&part.as_bytes()[..n]);
        len += n;
    }
    &buf[..len]
}

/// The line for a failed exec of `exec` (`nsrun enter`, which executes in its own process).
pub fn exec_line(exec: &crate::plan::exec::Exec, failure: Failure) -> String {
    let r = Report::new(special::EXEC, failure);
    let (what, hint) = exec_what(&r, exec, failure.errno);
    line(&what, failure.errno, hint)
}

/// What failed to execute, and the hint, for an EXEC report.
fn exec_what(
    r: &Report,
    exec: &crate::plan::exec::Exec,
    errno: Errno,
) -> (String, Option<&'static str>) {
    let name = &exec.name;
    if name.is_empty() {
        return ("execute ''".into(), Some("the command name is empty"));
    }
    let mut what = crate::out::around("execute ", name, "");
    if errno != Errno::NOENT || r.found == Found::Nothing {
        return (what, exec_hint(errno));
    }
    let hint = match r.found {
        Found::Script => "the file exists, but its #! interpreter was not found: check its first line",
        Found::Elf => {
            "the file exists, but its ELF interpreter (the dynamic loader) was not found: \
             it was built for another system, or the loader is missing in the container"
        }
        _ => "the file exists, but its interpreter (of the #! line, or the dynamic loader) was not found",
    };
    if let Some(path) = exec.candidate(r.candidate as usize).filter(|p| p != name) {
        what = format!("{what} (found as {})", Show(path));
    }
    (what, Some(hint))
}

fn exec_hint(errno: Errno) -> Option<&'static str> {
    match errno {
        Errno::NOENT => Some("check the name and PATH inside the container"),
        Errno::ACCESS => Some(
            "it must be a regular file with execute permission, on a filesystem not mounted noexec",
        ),
        Errno::NOEXEC => Some("it is not a program for this machine and has no #! line"),
        _ => None,
    }
}

/// The hint for a failed step; `from_option` when a mount operation of the command line made it.
fn step_hint(
    step: &Step,
    errno: Errno,
    unprivileged: bool,
    from_option: bool,
) -> Option<&'static str> {
    const MISSING: &str = "nsrun creates nothing on the host's filesystems: create it first, \
        put a --tmpfs over its parent, or use --root";
    match (step, errno) {
        (Step::General(_) | Step::Device { .. } | Step::Sysctl { .. }, Errno::NOENT) => Some(
            "nsrun creates mount points only in the root's own mount and in the tmpfs mounts it \
             made: create it in the root filesystem first",
        ),
        (Step::General(g), Errno::NOTEMPTY) if g.copy_up => Some(
            "tmpcopyup: nsrun copies nothing up, so the directory under a tmpcopyup tmpfs \
             must be empty",
        ),
        (Step::General(_) | Step::Device { .. } | Step::Sysctl { .. }, _) => None,
        (Step::Sync { fork: true }, Errno::NOMEM) => Some(
            "the PID namespace has no init any more (its PID 1 ended): no process can enter it",
        ),
        (Step::Join { .. }, Errno::PERM) => Some(
            "setns needs CAP_SYS_ADMIN in the user namespace that owns it: join that user \
             namespace too (--userns), or run as root",
        ),
        (Step::Join { .. }, Errno::INVAL) => Some(
            "the kernel refuses this join here (a mount namespace from inside a chroot, a user \
             namespace of a process with threads, or one nsrun is in already)",
        ),
        (Step::Unshare(_), Errno::PERM) => Some(
            "creating namespaces after joining needs CAP_SYS_ADMIN in the joined user namespace",
        ),
        (Step::Propagation(_), Errno::INVAL) => Some(
            "/ is not a mount point here, as inside a chroot; bind-mount the root onto itself \
             first, or use --root DIR, or --propagation unchanged if you accept that mounts propagate",
        ),
        // nsrun's own /proc (not one asked for with --proc).
        (Step::Mount(m), Errno::NOENT) if m.fstype.to_bytes() == b"proc" && !from_option => {
            Some("there is no directory to mount it on: create it in the tree, or use --no-proc")
        }
        (Step::Mount(m), Errno::PERM | Errno::ACCESS) if m.fstype.to_bytes() == b"proc" => Some(
            "a new proc needs root or a user namespace owning the new PID namespace; where the \
             host's /proc is masked, as inside some containers, none can be mounted: use --no-proc",
        ),
        (Step::SetAttrs { .. }, Errno::INVAL) => {
            Some("it is not a mount point: bind it onto itself first (--bind DIR DIR)")
        }
        (Step::PivotRoot, Errno::INVAL) => Some(
            "pivot_root needs private or slave propagation (--propagation private); so does \
             moving the new root over / from an initramfs, where pivot_root cannot be used",
        ),
        (Step::Source { .. } | Step::Root { .. } | Step::Bind { .. } | Step::Mount(_), Errno::STALE) => Some(
            "the path was replaced or moved while nsrun set it up (another process renamed it or \
             put a link in its place); nothing was mounted on the host",
        ),
        (Step::Bind { .. }, Errno::NOSYS) => Some(
            "nsrun binds by descriptor through /proc/self/fd, and no /proc is mounted: mount one \
             on the host, or keep nsrun's own /proc (drop --no-proc)",
        ),
        (Step::Mount(_) | Step::Bind { .. } | Step::Mkdir { .. } | Step::Symlink { .. }, Errno::NOENT) => {
            Some(MISSING)
        }
        (Step::Mount(_) | Step::Bind { .. } | Step::Mkdir { .. } | Step::Symlink { .. }, Errno::ROFS) => {
            Some("the filesystem is read-only: create it before any --read-only or --remount-ro")
        }
        (Step::Bind { .. } | Step::SetAttrs { .. }, Errno::XDEV) => Some(
            "a mount below it is covered by another mount or has moved: without mount_setattr \
             (Linux 5.12) nsrun cannot make it read-only, and will not run with it writable",
        ),
        (Step::Bind { .. } | Step::SetAttrs { .. }, Errno::NOBUFS) => Some(
            "more than 512 mounts below it: without mount_setattr (Linux 5.12) nsrun remounts at \
             most 512",
        ),
        (Step::SetAttrs { .. }, Errno::NOSYS) => Some(
            "without mount_setattr (Linux 5.12) nsrun needs a /proc to find the mounts below it",
        ),
        (Step::SetIds { .. }, Errno::INVAL) => {
            Some("the id is not mapped in the user namespace: map it with --uid-map/--gid-map")
        }
        (Step::Rlimit(_), Errno::PERM) => Some(
            "raising a hard limit needs CAP_SYS_RESOURCE (in the initial user namespace: see \
             CapBnd in /proc/self/status), and nofile can never exceed sysctl fs.nr_open; a \
             lower limit needs neither",
        ),
        (Step::Caps(_), Errno::PERM) => Some(
            "changing the bounding set needs CAP_SETPCAP, and only capabilities nsrun holds can \
             be kept",
        ),
        (Step::Seccomp { .. }, Errno::INVAL) => {
            Some("the kernel refused the filter: a --seccomp program must be valid classic BPF")
        }
        (Step::Seccomp { .. }, Errno::ACCESS | Errno::PERM) => Some(
            "installing a filter needs no_new_privs or CAP_SYS_ADMIN, and no filter installed \
             before it (a --seccomp program) may deny seccomp(2)",
        ),
        (Step::LimitUserns | Step::NestUserns, Errno::XDEV) => Some(
            "something is mounted over that part of /proc: nsrun writes only to the procfs itself",
        ),
        (Step::LimitUserns | Step::NestUserns, Errno::NOSYS) => {
            Some("it needs a procfs in the container: drop --no-proc")
        }
        (Step::SetIds { groups: Some(_), .. }, Errno::PERM) => {
            Some("setting groups needs CAP_SETGID, and in a user namespace an allowed setgroups")
        }
        (_, Errno::PERM | Errno::ACCESS) if unprivileged => Some(USERNS_SWITCHES),
        (_, Errno::PERM) => Some(NEEDS_ROOT),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let r = Report {
            step: 7,
            errno: 13,
            code: 125,
            found: Found::Nothing,
            candidate: 0,
        };
        assert_eq!(Report::decode(&r.encode()), r);
        let r = Report::new(
            special::EXEC,
            Failure {
                errno: Errno::NOENT,
                found: Found::Script,
                candidate: 513,
            },
        );
        assert_eq!(Report::decode(&r.encode()), r);
        assert_eq!(r.code, 127);
        assert_eq!(Report::new(special::EXEC, Errno::NOENT).code, 127);
        assert_eq!(Report::new(special::EXEC, Errno::ACCESS).code, 126);
        assert_eq!(Report::new(3, Errno::INVAL).code, 125);
    }

    #[test]
    fn warning_is_one_line() {
        let mut buf = [0u8; 512];
        let line = warning_line(&mut buf, "bring up loopback lo", Errno::PERM, "none");
        assert_eq!(
            line,
            b"nsrun: warning: bring up loopback lo: Operation not permitted (hint: none)\n"
        );
        let long = "x".repeat(600);
        assert_eq!(warning_line(&mut buf, &long, Errno::PERM, "h").len(), 512);
    }

    #[test]
    fn exec_message() {
        let r = Report::new(special::EXEC, Errno::NOENT);
        let plan = crate::plan::prepare(
            &crate::spec::Spec {
                command: vec![b"nosuchcmd".to_vec()],
                ..Default::default()
            },
            &[],
            crate::plan::Caller { uid: 0, gid: 0 },
        )
        .ok()
        .unwrap();
        let msg = describe(&r, &plan, &Default::default());
        assert!(
            msg.starts_with("execute nosuchcmd: No such file or directory"),
            "{msg}"
        );
        let r = Report::new(
            special::EXEC,
            Failure {
                errno: Errno::NOENT,
                found: Found::Script,
                candidate: 1,
            },
        );
        let msg = describe(&r, &plan, &Default::default());
        assert!(msg.contains("its #! interpreter was not found"), "{msg}");
        assert!(msg.contains("(found as "), "{msg}");
        assert!(!msg.contains("check the name"), "{msg}");
    }

    /// Whatever bytes arrive on the pipe, the launcher's message is one line and nothing panics.
    #[test]
    fn random_reports_are_described_without_panic() {
        let spec = crate::spec::Spec {
            command: vec![b"x\ny".to_vec()],
            mounts: vec![crate::spec::MountOp::Tmpfs {
                dst: b"/t".to_vec(),
                size: None,
                mode: None,
            }],
            ..Default::default()
        };
        let plan = crate::plan::prepare(&spec, &[], crate::plan::Caller { uid: 0, gid: 0 })
            .ok()
            .unwrap();
        let mut seed = 0x5eed_u64;
        for round in 0..5000u32 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let mut b = [0u8; SIZE];
            for (i, byte) in b.iter_mut().enumerate() {
                *byte = (seed >> ((i % 8) * 8)) as u8 ^ (i as u8);
            }
            // Step indexes near the plan's and the special ones, and any errno.
            let step = match round % 4 {
                0 => special::EXEC,
                1 => special::SPAWN,
                2 => round % 8,
                _ => u32::from_ne_bytes([b[0], b[1], b[2], b[3]]),
            };
            b[..4].copy_from_slice(&step.to_ne_bytes());
            let msg = describe(&Report::decode(&b), &plan, &spec);
            assert!(!msg.chars().any(char::is_control), "{msg:?}");
        }
    }

    #[test]
    fn an_empty_command_name() {
        let plan = crate::plan::prepare(
            &crate::spec::Spec {
                command: vec![b"".to_vec()],
                ..Default::default()
            },
            &[],
            crate::plan::Caller { uid: 0, gid: 0 },
        )
        .ok()
        .unwrap();
        let r = Report::new(special::EXEC, plan.exec.run());
        assert_eq!(r.code, 127);
        let msg = describe(&r, &plan, &Default::default());
        assert_eq!(
            msg,
            "execute '': No such file or directory (hint: the command name is empty)"
        );
    }
}
