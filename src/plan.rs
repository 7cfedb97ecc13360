//! Turns a [`Spec`] into everything the child needs, prepared before clone.
//!
//! The parent also checks here what it can see before anything changes (bind sources, the new
//! root, descriptors to keep), so a bad path fails before any namespace exists.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rustix::fs::FileType;
use rustix::mount::MountFlags;

use crate::env;
use crate::exec::Exec;
use crate::ns::Kind;
use crate::out::Bytes as Show;
use crate::path::{self, Coverage};
use crate::report;
use crate::spec::{BindKind, Bytes, IdMap, MountOp, Pid1, Propagation, Spec};
use crate::status;
use crate::step::{c_string, At, Mount, Node, Step};
use crate::sys::mount::{NODEV, NOSUID, RDONLY};

/// The id maps the parent writes for a new user namespace.
pub struct Maps {
    /// The text for /proc/PID/uid_map.
    pub uid: Bytes,
    /// The text for /proc/PID/gid_map.
    pub gid: Bytes,
    /// Write `deny` to /proc/PID/setgroups first (required for an unprivileged gid map).
    pub deny_setgroups: bool,
}

/// The prepared container: clone flags, the ordered steps, and the command.
pub struct Plan {
    /// Namespace flags for clone(2) (without the exit signal).
    pub clone_flags: i32,
    /// Id maps to write when a new user namespace is made.
    pub maps: Option<Maps>,
    /// Whether nsrun runs unprivileged (for hints about user namespaces).
    pub unprivileged: bool,
    /// The child's setup steps, in order.
    pub steps: Vec<Step>,
    /// Which steps each mount operation of the spec became, for messages.
    pub spans: Vec<Span>,
    /// Whether the child stays as init (PID 1) and runs the command as PID 2.
    pub init: bool,
    /// Whether nsrun runs in the foreground of the terminal on its standard input: the command
    /// then gets a process group of its own, in the foreground, which job-control shells need
    /// (nsrun's own group is not visible in a new PID namespace), and nsrun takes the terminal
    /// back when it ends.
    pub terminal: bool,
    /// The command.
    pub exec: Exec,
}

/// The steps `first..end` that mount operation `op` (an index into `Spec::mounts`) became.
pub struct Span {
    /// The first step.
    pub first: u32,
    /// One past the last step.
    pub end: u32,
    /// The operation's index in the spec.
    pub op: u32,
}

impl Plan {
    /// The mount operation (its index in the spec) that step `step` belongs to, if any.
    pub fn op_of(&self, step: u32) -> Option<usize> {
        let span = self
            .spans
            .iter()
            .find(|s| (s.first..s.end).contains(&step))?;
        Some(span.op as usize)
    }
}

/// The caller's identity, which decides the rootless defaults and the id maps.
#[derive(Clone, Copy)]
pub struct Caller {
    /// Effective uid.
    pub uid: u32,
    /// Effective gid.
    pub gid: u32,
}

/// Why a plan cannot be made: the message line and the exit status.
pub struct Refusal {
    /// The message, without `nsrun: `.
    pub line: String,
    /// The exit status.
    pub code: i32,
}

/// Prepares `spec` for `caller` with nsrun's environment `environ`.
pub fn prepare(spec: &Spec, environ: &[&[u8]], caller: Caller) -> Result<Plan, Refusal> {
    let mut ns = spec.namespaces;
    let mut map_root = spec.map_root_user;
    let unprivileged = caller.uid != 0;
    if unprivileged && spec.user_ns_auto && !ns.is_empty() {
        // An ordinary user asking for namespaces gets a user namespace that maps them to root,
        // so the defaults work wherever the kernel allows unprivileged user namespaces.
        ns.add(Kind::User);
        map_root = true;
    }
    for &fd in &spec.keep_fds {
        if !crate::sys::fd::is_open(fd) {
            return Err(Refusal {
                line: format!("--keep-fd {fd}: Bad file descriptor (hint: it is not open)"),
                code: status::USAGE,
            });
        }
    }

    // Sized once: the arena allocator keeps what a growing Vec leaves behind until exit.
    let dev_steps = spec
        .mounts
        .iter()
        .filter(|m| matches!(m, MountOp::Dev(_)))
        .count()
        * 32;
    let mut steps = Vec::with_capacity(16 + 2 * spec.mounts.len() + dev_steps);
    let mut spans = Vec::with_capacity(spec.mounts.len());
    // Explicit maps may leave nsrun's own ids unmapped; switch to root inside where it is mapped.
    let maps_root = |lines: &[IdMap]| lines.iter().any(|m| m.inside == 0);
    let (uid0, gid0) = (maps_root(&spec.uid_map), maps_root(&spec.gid_map));
    if ns.has(Kind::User) && (uid0 || gid0) {
        steps.push(Step::BecomeRoot {
            uid: uid0,
            gid: gid0,
        });
    }
    if ns.has(Kind::Time) {
        steps.push(Step::UnshareTime);
    }
    if ns.has(Kind::Mount) && spec.propagation != Propagation::Unchanged {
        steps.push(Step::Propagation(spec.propagation));
    }
    if let Some(name) = &spec.hostname {
        steps.push(Step::Hostname(name.clone()));
    }
    if let Some(name) = &spec.domainname {
        steps.push(Step::Domainname(name.clone()));
    }
    if ns.has(Kind::Net) {
        steps.push(Step::Loopback);
    }
    mount_steps(spec, &mut steps, &mut spans)?;
    if let Some(dir) = &spec.chdir {
        steps.push(Step::Chdir(At::host(dir)));
    }
    if spec.no_new_privs {
        steps.push(Step::NoNewPrivs);
    }
    steps.push(Step::CloseFds(spec.keep_fds.clone()));

    let maps = ns.has(Kind::User).then(|| Maps {
        uid: map_text(&spec.uid_map, map_root, caller.uid),
        gid: map_text(&spec.gid_map, map_root, caller.gid),
        deny_setgroups: unprivileged,
    });
    Ok(Plan {
        clone_flags: ns.clone_flags(),
        maps,
        unprivileged,
        steps,
        spans,
        init: ns.has(Kind::Pid) && spec.pid1 == Pid1::Init,
        terminal: crate::sys::tty::own_foreground(),
        exec: Exec::new(&spec.command, env::build(environ, &spec.env)),
    })
}

/// The map file's text: the explicit lines, else `0 OUTER 1` with `map_root`, else nothing.
fn map_text(lines: &[IdMap], map_root: bool, outer: u32) -> Bytes {
    let mut text = String::new();
    for m in lines {
        text.push_str(&format!("{} {} {}\n", m.inside, m.outside, m.count));
    }
    if lines.is_empty() && map_root {
        text = format!("0 {outer} 1\n");
    }
    text.into_bytes()
}

/// The new root, /proc, the mount operations in order, `--read-only` and pivot_root.
fn mount_steps(spec: &Spec, steps: &mut Vec<Step>, spans: &mut Vec<Span>) -> Result<(), Refusal> {
    let new_root = match &spec.root {
        Some(dir) => root_dir(dir)?,
        None => None,
    };
    if let Some(dir) = &new_root {
        // A bind of the tree onto itself makes it a mount point, as pivot_root needs.
        let (src, target) = (At::host(dir), At::host(dir));
        steps.push(Step::Bind {
            src,
            target,
            attrs: 0,
            option: "--root",
        });
    }
    let root = new_root.clone().unwrap_or_default();
    let at = |p: &[u8]| At::new(&root, p);
    let mut cover = Coverage::with_capacity(spec.mounts.len() + 1);
    let explicit_proc = spec
        .mounts
        .iter()
        .any(|m| matches!(m, MountOp::Proc(d) if path::normalize(d) == b"/proc"));
    if spec.mount_proc && !explicit_proc {
        steps.push(proc_mount(at(b"/proc")));
        cover.mounted(b"/proc", false);
    }
    for (index, op) in spec.mounts.iter().enumerate() {
        let first = steps.len() as u32;
        match op {
            MountOp::Bind {
                src,
                dst,
                kind,
                optional,
            } => {
                let node = match rustix::fs::stat(c_string(src.clone())) {
                    Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => {
                        Node::Dir(0o755)
                    }
                    Ok(_) => Node::File,
                    Err(_) if *optional => continue,
                    Err(e) => {
                        let what = format!("{} source {}", kind.option(false), Show(src));
                        return Err(refuse(report::line(&what, e, None)));
                    }
                };
                let dst = path::normalize(dst);
                ensure(steps, &cover, at(&dst), &dst, node);
                let attrs = match kind {
                    BindKind::ReadWrite => NOSUID | NODEV,
                    BindKind::ReadOnly => NOSUID | NODEV | RDONLY,
                    BindKind::Devices => NOSUID,
                };
                let option = kind.option(*optional);
                steps.push(Step::Bind {
                    src: At::host(src),
                    target: at(&dst),
                    attrs,
                    option,
                });
                cover.mounted(&dst, false);
            }
            MountOp::Tmpfs { dst, size, mode } => {
                let dst = path::normalize(dst);
                ensure(steps, &cover, at(&dst), &dst, Node::Dir(0o755));
                let mut data = format!("mode={:o}", mode.unwrap_or(0o755));
                if let Some(size) = size {
                    data.push_str(&format!(",size={size}"));
                }
                steps.push(Step::Mount(Mount {
                    fstype: c"tmpfs",
                    target: at(&dst),
                    flags: MountFlags::NOSUID | MountFlags::NODEV,
                    data: Some(c_string(data.into_bytes())),
                }));
                cover.mounted(&dst, true);
            }
            MountOp::Proc(dst) => {
                let dst = path::normalize(dst);
                ensure(steps, &cover, at(&dst), &dst, Node::Dir(0o555));
                steps.push(proc_mount(at(&dst)));
                cover.mounted(&dst, false);
            }
            MountOp::Sys(dst) => {
                let dst = path::normalize(dst);
                ensure(steps, &cover, at(&dst), &dst, Node::Dir(0o555));
                steps.push(Step::Mount(Mount {
                    fstype: c"sysfs",
                    target: at(&dst),
                    flags: MountFlags::RDONLY
                        | MountFlags::NOSUID
                        | MountFlags::NODEV
                        | MountFlags::NOEXEC,
                    data: None,
                }));
                cover.mounted(&dst, false);
            }
            MountOp::Dev(dst) => {
                let dst = path::normalize(dst);
                ensure(steps, &cover, at(&dst), &dst, Node::Dir(0o755));
                crate::dev::steps(steps, &root, &dst);
                cover.mounted(&dst, true);
            }
            MountOp::Mkdir { dst, mode } => {
                let dst = path::normalize(dst);
                let mode = mode.unwrap_or(0o755);
                match cover.may_create(&dst) {
                    true => steps.push(Step::Create {
                        path: at(&dst),
                        node: Node::Dir(mode),
                    }),
                    false => steps.push(Step::Exists(at(&dst))),
                }
            }
            MountOp::Symlink { target, dst } => {
                let dst = path::normalize(dst);
                let create = cover.may_create(&dst);
                if create {
                    let parent = &dst[..dst.iter().rposition(|&b| b == b'/').unwrap_or(0).max(1)];
                    if parent != b"/" {
                        ensure(steps, &cover, at(parent), parent, Node::Dir(0o755));
                    }
                }
                let target = c_string(target.clone());
                steps.push(Step::Symlink {
                    target,
                    path: at(&dst),
                    create,
                });
            }
            MountOp::RemountRo(dst) => {
                let dst = path::normalize(dst);
                steps.push(Step::SetAttrs {
                    target: at(&dst),
                    attrs: RDONLY,
                    recursive: true,
                });
            }
        }
        let end = steps.len() as u32;
        spans.push(Span {
            first,
            end,
            op: index as u32,
        });
    }
    if spec.read_only {
        steps.push(Step::SetAttrs {
            target: at(b"/"),
            attrs: RDONLY,
            recursive: false,
        });
    }
    if let Some(dir) = &new_root {
        steps.push(Step::PivotRoot(At::host(dir)));
    }
    Ok(())
}

/// Before mounting on `dst`: create it where nsrun made the filesystem; elsewhere it must exist,
/// and the mount itself reports it missing.
fn ensure(steps: &mut Vec<Step>, cover: &Coverage, path: At, dst: &[u8], node: Node) {
    if cover.may_create(dst) {
        steps.push(Step::Create { path, node });
    }
}

fn proc_mount(target: At) -> Step {
    Step::Mount(Mount {
        fstype: c"proc",
        target,
        flags: MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
        data: None,
    })
}

/// The new root as an absolute path (a relative one is taken from the working directory), or
/// None when it is the current root already, with nothing to enter.
fn root_dir(dir: &[u8]) -> Result<Option<Bytes>, Refusal> {
    let mut abs = Vec::new();
    if dir.first() != Some(&b'/') {
        let cwd = rustix::process::getcwd(Vec::new())
            .map_err(|e| refuse(report::line("--root: find the working directory", e, None)))?;
        abs.extend_from_slice(cwd.to_bytes());
        abs.push(b'/');
    }
    abs.extend_from_slice(dir);
    let abs = path::normalize(&abs);
    check_root(&abs)?;
    Ok((abs != b"/").then_some(abs))
}

fn check_root(dir: &[u8]) -> Result<(), Refusal> {
    match rustix::fs::stat(c_string(dir.to_vec())) {
        Ok(st) if FileType::from_raw_mode(st.st_mode) == FileType::Directory => Ok(()),
        Ok(_) => Err(refuse(report::line(
            &format!("--root {}", Show(dir)),
            rustix::io::Errno::NOTDIR,
            None,
        ))),
        Err(e) => Err(refuse(report::line(
            &format!("--root {}", Show(dir)),
            e,
            None,
        ))),
    }
}

fn refuse(line: String) -> Refusal {
    Refusal {
        line,
        code: status::SETUP_FAILED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{self, Parsed};

    fn plan_as(uid: u32, args: &[&str]) -> Result<Plan, Refusal> {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let Ok(Parsed::Run(spec)) = cli::parse(&args) else {
            panic!("not a run: {args:?}");
        };
        prepare(&spec, &[b"PATH=/bin"], Caller { uid, gid: uid })
    }

    fn plan(args: &[&str]) -> Plan {
        plan_as(0, args).ok().expect("a plan")
    }

    fn steps(p: &Plan) -> Vec<String> {
        p.steps.iter().map(Step::describe).collect()
    }

    #[test]
    fn default_steps_in_order() {
        let p = plan(&["--hostname", "c1", "true"]);
        assert_eq!(
            steps(&p),
            [
                "make / private (recursively)",
                "set hostname 'c1'",
                "bring up loopback lo",
                "mount proc on /proc",
                "close inherited descriptors",
            ]
        );
        assert!(p.init && p.maps.is_none());
        let flags = libc::CLONE_NEWNS
            | libc::CLONE_NEWUTS
            | libc::CLONE_NEWIPC
            | libc::CLONE_NEWNET
            | libc::CLONE_NEWPID;
        assert_eq!(p.clone_flags, flags);
    }

    #[test]
    fn no_mount_namespace_means_no_mounts() {
        let p = plan(&["--share-mount", "--share-net", "true"]);
        assert_eq!(steps(&p), ["close inherited descriptors"]);
        assert!(!plan(&["--as-pid-1", "true"]).init);
    }

    #[test]
    fn creates_only_under_its_own_tmpfs() {
        let p = plan(&[
            "--tmpfs",
            "/mnt",
            "--ro-bind",
            "/etc",
            "/mnt/etc",
            "--mkdir",
            "/srv",
            "true",
        ]);
        let s = steps(&p);
        let create = s
            .iter()
            .position(|d| d == "create directory /mnt/etc")
            .unwrap();
        let bind = s
            .iter()
            .position(|d| d == "--ro-bind /etc on /mnt/etc")
            .unwrap();
        assert!(create < bind, "{s:?}");
        assert!(
            s.contains(&"find /srv".to_string()),
            "a host path is only looked for: {s:?}"
        );
        // The spans name the operation each step came from, for messages.
        assert_eq!(p.op_of(bind as u32), Some(1));
    }

    #[test]
    fn bind_sources_are_checked_before_clone() {
        let r = plan_as(0, &["--bind", "/nonexistent-nsrun-src", "/mnt", "true"])
            .err()
            .expect("refused");
        assert_eq!(r.code, status::SETUP_FAILED);
        assert!(
            r.line
                .starts_with("--bind source /nonexistent-nsrun-src: No such file"),
            "{}",
            r.line
        );
        let p = plan(&["--bind-try", "/nonexistent-nsrun-src", "/mnt", "true"]);
        assert!(!steps(&p).iter().any(|d| d.contains("nonexistent")));
    }

    #[test]
    fn root_relative_and_slash() {
        let cwd = std::env::current_dir().unwrap();
        let p = plan(&["--root", "src", "true"]);
        let s = steps(&p);
        let want = format!("pivot_root into {}/src", cwd.display());
        assert!(s.contains(&want), "{s:?}");
        assert!(
            s.contains(&"mount proc on /proc".to_string()),
            "proc inside the root: {s:?}"
        );
        let p = plan(&["--root", "/", "true"]);
        assert!(!steps(&p).iter().any(|d| d.starts_with("pivot_root")));
        let r = plan_as(0, &["--root", "Cargo.toml", "true"])
            .err()
            .expect("refused");
        assert!(r.line.contains("Not a directory"), "{}", r.line);
    }

    #[test]
    fn rootless_gets_a_user_namespace_mapping_root() {
        let p = plan_as(1000, &["true"]).ok().unwrap();
        let maps = p.maps.as_ref().expect("a user namespace");
        assert_eq!(maps.uid, b"0 1000 1\n");
        assert_eq!(maps.gid, b"0 1000 1\n");
        assert!(maps.deny_setgroups && p.unprivileged);
        assert!(p.clone_flags & libc::CLONE_NEWUSER != 0);
        // An explicit --share-user keeps the caller's user namespace.
        let p = plan_as(1000, &["--share-user", "true"]).ok().unwrap();
        assert!(p.maps.is_none());
    }

    #[test]
    fn explicit_maps_switch_to_root_inside() {
        let p = plan(&[
            "--uid-map",
            "0:100000:10",
            "--uid-map",
            "10:200000:5",
            "true",
        ]);
        let maps = p.maps.as_ref().unwrap();
        assert_eq!(maps.uid, b"0 100000 10\n10 200000 5\n");
        assert!(maps.gid.is_empty() && !maps.deny_setgroups);
        assert_eq!(steps(&p)[0], "switch to root of the user namespace");
    }
}
