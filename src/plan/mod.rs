//! Turns a [`Spec`] into everything the child needs, prepared before clone.
//!
//! The parent also checks here what it can see before anything changes (bind sources, the new
//! root, descriptors to keep), so a bad path fails before any namespace exists.

pub mod env;
pub mod exec;
pub mod host;
pub mod locks;
pub mod path;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rustix::mount::MountFlags;

use crate::ns;
use crate::ns::Kind;
use crate::out::Bytes as Show;
use crate::plan::exec::Exec;
use crate::report;
use crate::setup::step::{c_string, General, Mount, Step};
use crate::setup::tree::Slots;
use crate::spec::{BindKind, Bytes, IdMap, MountOp, Pid1, Propagation, Spec};
use crate::status;
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
    /// What the child's tree keeps between steps: bind sources, nsrun's own filesystems.
    pub slots: Slots,
    /// The descriptors above 2 passed to the command (`--keep-fd`).
    pub keep_fds: Vec<i32>,
    /// `--info-fd`: the launcher's, written once the container runs.
    pub info_fd: Option<i32>,
    /// `--json-status-fd`: the launcher's, written once the container runs and once it ends.
    pub status_fd: Option<i32>,
    /// The namespaces made (by clone, or by unshare in the child).
    pub made: crate::ns::Set,
    /// The namespaces joined (`--netns` and the others).
    pub joined: crate::ns::Set,
    /// The joined namespace files the launcher opened, held until the child has them.
    pub held: Vec<rustix::fd::OwnedFd>,
    /// The child joins namespaces first, then sends the launcher the pid of the container's first
    /// process on the sync socket and waits for its go ([`Step::Sync`]).
    pub sync: bool,
    /// That first process is a second child, started in the PID namespace joined or made.
    pub fork: bool,
    /// `--keep`: the child stops at [`Step::KeepPoint`] until the launcher has bound the files.
    pub keep: bool,
    /// The steps from this index on are applied by the command process just before exec (under
    /// init, the init's child); the ones before by the child that runs the setup.
    pub exec_from: usize,
    /// What nsrun's init keeps once the command runs: CAP_KILL if the command holds it after
    /// exec, else nothing.
    pub init_keep: u64,
    /// `--oom-score-adj`, written by the launcher before the child goes on.
    pub oom_score_adj: Option<i32>,
    /// The cgroup to make (`--memory`, `--pids-max`, ... `--cgroup-path`); the launcher moves
    /// the child into it before the child goes on.
    pub cgroup: Option<crate::confine::cgroup::Request>,
    /// OCI `create`: the hooks run inside the container, prepared, and their states' files.
    pub hooks: Option<crate::oci::hooks::InContainer>,
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
    let (joins, held) = crate::join::given::open(&spec.join, spec.oci)?;
    if spec.oci {
        host_net_sysctl(spec, &joins)?;
    }
    let joined = joined_kinds(spec, ns, unprivileged, &joins)?;
    if unprivileged && spec.user_ns_auto && !ns.is_empty() && !joined.has(Kind::User) {
        // An ordinary user asking for namespaces gets a user namespace that maps them to root,
        // so the defaults work wherever the kernel allows unprivileged user namespaces.
        ns.add(Kind::User);
        map_root = true;
    }
    check_fds(spec)?;

    // Sized once: the arena allocator keeps what a growing Vec leaves behind until exit.
    let dev_steps = spec
        .mounts
        .iter()
        .filter(|m| matches!(m, MountOp::Dev(_)))
        .count()
        * 32;
    let mut steps = Vec::with_capacity(
        24 + 2 * spec.mounts.len()
            + dev_steps
            + spec.locks.rlimits.len()
            + spec.locks.seccomp.len(),
    );
    let mut spans = Vec::with_capacity(spec.mounts.len());
    // Explicit maps may leave nsrun's own ids unmapped; switch to root inside where it is mapped.
    let maps_root = |lines: &[IdMap]| lines.iter().any(|m| m.inside == 0);
    let (uid0, gid0) = (maps_root(&spec.uid_map), maps_root(&spec.gid_map));
    // Joined namespaces come first, the user namespace before the others; a namespace made
    // while or after one is joined is made by unshare after the joins (owned by the joined user
    // namespace, or made as the host's root after joining), see [`joined_kinds`].
    let late = !joined.is_empty() && (joined.has(Kind::User) || ns.has(Kind::User));
    let cgroup = spec.locks.cgroup != crate::confine::cgroup::Request::default();
    let new_cgroup_ns = ns.has(Kind::Cgroup);
    let mut fork = false;
    for j in &joins {
        steps.push(Step::Join {
            kind: j.kind,
            fd: j.fd,
            label: j.label.clone(),
        });
    }
    if !joins.is_empty() {
        let mut flags = if late { ns.clone_flags() } else { 0 };
        if cgroup && new_cgroup_ns {
            flags &= !libc::CLONE_NEWCGROUP;
        }
        if flags != 0 {
            steps.push(Step::Unshare(flags));
        }
        fork = joined.has(Kind::Pid) || flags & libc::CLONE_NEWPID != 0;
        steps.push(Step::Sync { fork });
    }
    if ns.has(Kind::User) && (uid0 || gid0) {
        steps.push(Step::BecomeRoot {
            uid: uid0,
            gid: gid0,
        });
    }
    if ns.has(Kind::Time) {
        steps.push(Step::UnshareTime);
    }
    if cgroup {
        spec.locks.cgroup.check().map_err(|e| Refusal {
            line: e.line(),
            code: status::USAGE,
        })?;
        // In any component: nsrun gc removes such a cgroup, with what is below it, once the
        // launcher its name names is gone.
        let path = spec.locks.cgroup.path.as_deref().unwrap_or_default();
        let mut parts = path.split(|&b| b == b'/');
        if parts.any(crate::confine::cgroup::reserved) {
            return Err(Refusal {
                line: format!(
                    "--cgroup-path {}: names of the form nsrun-PIDNS-PID-START are those of \
                     nsrun's own cgroups, which nsrun gc removes when their launcher is gone: \
                     choose another name",
                    Show(path)
                ),
                code: status::USAGE,
            });
        }
    }
    // The child is moved into its cgroup after clone: a cgroup namespace made by clone would
    // have the launcher's cgroup as its root. The child makes it once it is in its own, which
    // the container then sees as its root.
    if cgroup && new_cgroup_ns {
        steps.push(Step::UnshareCgroup);
    }
    // Every namespace exists from here on: the launcher binds their files.
    if spec.keep.is_some() {
        steps.push(Step::KeepPoint);
    }
    if ns.has(Kind::Mount) && spec.propagation != Propagation::Unchanged {
        steps.push(Step::Propagation(spec.propagation.first()));
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
    let (sources, ours) = match ns.has(Kind::Mount) {
        true => mount_steps(spec, ns, &mut steps, &mut spans)?,
        false => (0, 0),
    };
    if !ns.has(Kind::Mount) && hook_point(spec) {
        steps.push(Step::HookPoint);
    }
    let hooks = match &spec.life.hold {
        Some(hold) => crate::oci::hooks::InContainer::of(&hold.hooks).map_err(|line| Refusal {
            line,
            code: status::SETUP_FAILED,
        })?,
        None => None,
    };
    // The console once the root is entered (its /dev/pts), while the process is still root.
    if let Some(c) = spec.console {
        steps.push(Step::Console(c));
    }
    // Once the tree is built and entered: from here on no mount of it can be bound.
    if ns.has(Kind::Mount) && spec.propagation == Propagation::Unbindable {
        steps.push(Step::Propagation(Propagation::Unbindable));
    }
    // OCI's non-recursive rootfsPropagation: the container's / alone, once it is that mount (as
    // runc does it after pivot_root), its submounts left as the recursive change made them.
    if let Some(p) = spec.root_propagation.filter(|_| ns.has(Kind::Mount)) {
        steps.push(Step::RootPropagation(p));
    }
    if let Some(dir) = &spec.chdir {
        steps.push(Step::Chdir(c_string(dir.clone())));
    }
    let locks = &spec.locks;
    if locks.disable_userns && joined.has(Kind::User) {
        return Err(Refusal {
            line: "--disable-userns cannot be used with --userns: the limit it sets is that of a \
                   user namespace nsrun makes, and a joined one is shared with other processes"
                .into(),
            code: status::USAGE,
        });
    }
    if locks.disable_userns && !ns.has(Kind::User) {
        return Err(Refusal {
            line: "--disable-userns needs a new user namespace (add --user or --map-root-user): \
                   the limit it sets is the user namespace's own"
                .into(),
            code: status::USAGE,
        });
    }
    if locks.groups.is_some() && ns.has(Kind::User) && unprivileged {
        return Err(Refusal {
            line: "--groups: the kernel denies setgroups in an ordinary user's user namespace \
                   (hint: run as root, which can map groups with --gid-map)"
                .into(),
            code: status::USAGE,
        });
    }
    let caps = locks::caps(spec)?;
    if locks.disable_userns {
        steps.push(Step::LimitUserns);
    }
    if caps.is_some() && spec.setuid.is_some_and(|u| u != 0) {
        steps.push(Step::KeepCaps);
    }
    if spec.setuid.is_some() || spec.setgid.is_some() || locks.groups.is_some() {
        steps.push(Step::SetIds {
            uid: spec.setuid,
            gid: spec.setgid,
            groups: locks.groups.as_ref().map(|g| {
                g.iter()
                    .map(|&id| rustix::process::Gid::from_raw(id))
                    .collect()
            }),
        });
    }
    if locks.disable_userns {
        steps.push(Step::NestUserns);
    }
    if locks::no_new_privs(spec) {
        steps.push(Step::NoNewPrivs);
    }
    steps.push(Step::CloseFds(spec.keep_fds.clone()));
    let exec_from = steps.len();
    locks::exec_steps(spec, caps, &mut steps);
    // Whether the command will hold CAP_SYS_ADMIN (the seccomp preset then lets it make
    // namespaces): as uid 0 (or with the capability in its ambient set), in the set it keeps.
    // The uid the command runs as inside: `--setuid`; else 0 in a user namespace that maps the
    // caller to root (`--map-root-user`, the rootless default) or with explicit maps that map 0
    // (nsrun switches to it); else the caller's own, mapped to itself (`--map-current-user`) or
    // with no user namespace; any other map leaves the caller unmapped or mapped elsewhere.
    let root_command = match spec.setuid {
        Some(uid) => uid == 0,
        None if ns.has(Kind::User) => match spec.map_current_user {
            true => caller.uid == 0,
            false => uid0 || (map_root && spec.uid_map.is_empty()),
        },
        None => caller.uid == 0,
    };
    let sys_admin = match caps {
        Some(c) => {
            c.keep & crate::confine::caps::SYS_ADMIN != 0
                && (root_command || c.ambient & crate::confine::caps::SYS_ADMIN != 0)
        }
        None => {
            root_command
                && (caller.uid == 0 || ns.has(Kind::User))
                && crate::sys::caps::in_bounding(crate::confine::caps::SYS_ADMIN.trailing_zeros())
        }
    };
    let before = steps.len();
    locks::seccomp_steps(spec, sys_admin, &mut steps)?;
    // OCI without noNewPrivileges: the filter is installed while the process still holds
    // CAP_SYS_ADMIN (seccomp(2) needs it without no_new_privs), before the ids and capabilities
    // change, as runc does.
    let mut exec_from = exec_from;
    if spec.oci && !locks::no_new_privs(spec) && steps.len() > before {
        let ids_at = steps
            .iter()
            .position(|s| matches!(s, Step::KeepCaps | Step::SetIds { .. }))
            .unwrap_or(before);
        let filters: Vec<Step> = steps.drain(before..).collect();
        let n = filters.len();
        steps.splice(ids_at..ids_at, filters);
        if ids_at < exec_from {
            exec_from += n;
        }
        // The inherited descriptors are marked close-on-exec before the filter too: a filter
        // answering close_range and fcntl with errors would leave them open across exec.
        if let Some(at) = steps.iter().position(|s| matches!(s, Step::CloseFds(_))) {
            if at > ids_at && at < exec_from {
                let close = steps.remove(at);
                steps.insert(ids_at, close);
            }
        }
    }

    let maps = ns.has(Kind::User).then(|| match spec.map_current_user {
        true => Maps {
            uid: crate::run::userns::current_user_map(caller.uid),
            gid: crate::run::userns::current_user_map(caller.gid),
            deny_setgroups: unprivileged,
        },
        false => Maps {
            uid: map_text(&spec.uid_map, map_root, caller.uid),
            gid: map_text(&spec.gid_map, map_root, caller.gid),
            deny_setgroups: unprivileged,
        },
    });
    let mut clone_flags = if late { 0 } else { ns.clone_flags() };
    if cgroup && new_cgroup_ns {
        clone_flags &= !libc::CLONE_NEWCGROUP;
    }
    Ok(Plan {
        clone_flags,
        maps,
        unprivileged,
        steps,
        spans,
        init: ns.has(Kind::Pid) && spec.pid1 == Pid1::Init,
        // In a new session the command has no controlling terminal: no job control to do. OCI
        // `create`'s launcher exits before the command runs: nobody would relay its stops.
        terminal: spec.life.hold.is_none()
            && !locks.new_session
            && crate::sys::tty::own_foreground(),
        exec: Exec::new(&spec.command, env::build(environ, &spec.env)),
        slots: {
            let mut slots = Slots::new(sources, ours);
            slots.in_root = spec.oci;
            slots
        },
        keep_fds: spec.keep_fds.clone(),
        info_fd: spec.info_fd,
        status_fd: spec.json_status_fd,
        made: ns,
        joined,
        held,
        sync: !joins.is_empty(),
        fork,
        keep: spec.keep.is_some(),
        exec_from,
        // What the command holds after exec: S as root, its ambient set as another uid.
        init_keep: crate::confine::caps::KILL
            & match (caps, root_command) {
                (Some(c), true) => c.keep,
                (Some(c), false) => c.ambient,
                (None, true) => u64::MAX,
                (None, false) => 0,
            },
        oom_score_adj: locks.oom_score_adj,
        cgroup: cgroup.then(|| spec.locks.cgroup.clone()),
        hooks,
    })
}

/// Whether the child of OCI `create` stops at [`Step::HookPoint`].
fn hook_point(spec: &Spec) -> bool {
    spec.life.hold.as_ref().is_some_and(|h| {
        !(h.hooks.prestart.is_empty()
            && h.hooks.create_runtime.is_empty()
            && h.hooks.create_container.is_empty())
    })
}

/// The kinds `joins` join, checked against the namespaces `ns` made: one kind cannot be both, an
/// ordinary user joins through the user namespace that owns the others (`--userns`), and a joined
/// mount namespace takes no mount options (paths would be resolved in it, where nsrun did not
/// check them, and nothing is mounted in a namespace nsrun did not make).
fn joined_kinds(
    spec: &Spec,
    ns: ns::Set,
    unprivileged: bool,
    joins: &[crate::join::given::Opened],
) -> Result<ns::Set, Refusal> {
    let mut joined = ns::Set::empty();
    let usage = |line: String| Refusal {
        line,
        code: status::USAGE,
    };
    for j in joins {
        joined.add(j.kind);
        if ns.has(j.kind) {
            return Err(usage(format!(
                "{}: joins a {} namespace, and a new one was asked for too (hint: drop the                  option that makes one, or --{}ns)",
                j.label,
                j.kind.name(),
                crate::join::proc_name(j.kind)
            )));
        }
    }
    let user_options = spec.map_root_user || spec.map_current_user || !spec.uid_map.is_empty();
    if joined.has(Kind::User) && (user_options || !spec.gid_map.is_empty()) {
        return Err(usage(
            "--userns joins a user namespace whose id maps exist already: --map-root-user,              --map-current-user, --uid-map and --gid-map are for a new one"
                .into(),
        ));
    }
    if unprivileged && !joined.is_empty() && !joined.has(Kind::User) {
        let first = joins.first().map(|j| j.label.as_str()).unwrap_or_default();
        return Err(Refusal {
            line: format!(
                "{first}: an ordinary user can join a namespace only from the user namespace                  that owns it (hint: add --userns with that user namespace, e.g.                  /proc/PID/ns/user of the container)"
            ),
            code: status::USAGE,
        });
    }
    if joined.has(Kind::Mount) && (!spec.mounts.is_empty() || spec.root.is_some() || spec.read_only)
    {
        return Err(usage(
            "--mntns joins an existing mount namespace: --root, --read-only and the mount              options need a new one, which nsrun prepares itself"
                .into(),
        ));
    }
    Ok(joined)
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
///
/// Bind sources are opened by the child before anything is mounted (`Step::Source`), so they are
/// the host paths the user named; destinations are resolved in the container's tree when each step
/// runs, and created only where the tree shows a filesystem nsrun made ([`crate::setup::tree`]).
fn mount_steps(
    spec: &Spec,
    ns: ns::Set,
    steps: &mut Vec<Step>,
    spans: &mut Vec<Span>,
) -> Result<(usize, usize), Refusal> {
    for op in &spec.mounts {
        let dst = match op {
            MountOp::Bind { dst, .. } | MountOp::Tmpfs { dst, .. } => dst,
            MountOp::Proc(dst) | MountOp::Sys(dst) | MountOp::Dev(dst) => dst,
            MountOp::Mount(m) => &m.dst,
            _ => continue,
        };
        if path::normalize(dst) == b"/" {
            return Err(Refusal {
                line: format!(
                    "{}: nsrun mounts nothing on / (hint: use --root DIR for another root, \
                     --read-only for a read-only one)",
                    op.label()
                ),
                code: status::USAGE,
            });
        }
    }
    let new_root = match &spec.root {
        Some(dir) => root_dir(dir)?,
        None => None,
    };
    // The sources come first: the child opens them while its namespace still shows the host's
    // tree unchanged.
    let mut sources = 0u32;
    let mut source = |steps: &mut Vec<Step>, spans: &mut Vec<Span>, op: usize, path: &[u8]| {
        let st = rustix::fs::stat(c_string(path.to_vec()));
        let slot = sources;
        if let Ok(st) = &st {
            steps.push(Step::Source {
                slot,
                path: c_string(path.to_vec()),
                dev: st.st_dev,
                ino: st.st_ino,
            });
            spans.push(Span {
                first: steps.len() as u32 - 1,
                end: steps.len() as u32,
                op: op as u32,
            });
            sources += 1;
        }
        st.map(|_| slot)
    };
    // Each bind's slot, or None when a `-try` source is missing.
    let mut slots: Vec<Option<u32>> = Vec::with_capacity(spec.mounts.len());
    let mut null_slot: Option<u32> = None;
    let proc_by_bind = ns.has(Kind::User) && !ns.has(Kind::Pid);
    // OCI devices: bound from the host in a user namespace (mknod is refused there), as runc.
    let dev_bind = spec.oci
        && (ns.has(Kind::User)
            || spec.join.iter().any(|j| j.kind == Kind::User)
            || !rustix::process::geteuid().is_root());
    for (index, op) in spec.mounts.iter().enumerate() {
        let slot = match op {
            MountOp::Mount(m) if m.is_bind() => match source(steps, spans, index, &m.source) {
                Ok(slot) => Some(slot),
                Err(e) => {
                    let what = format!("{} source {}", Show(&m.label), Show(&m.source));
                    return Err(refuse(report::line(&what, e, None)));
                }
            },
            MountOp::Device(d) if dev_bind => {
                match device_source(d).and_then(|()| source(steps, spans, index, &d.dst)) {
                    Ok(slot) => Some(slot),
                    Err(e) => {
                        let what = crate::out::around("linux.devices: the host's ", &d.dst, "");
                        let hint = "in a user namespace nsrun binds the host's device node";
                        return Err(refuse(report::line(&what, e, Some(hint))));
                    }
                }
            }
            MountOp::Bind {
                src,
                optional,
                kind,
                ..
            } => match source(steps, spans, index, src) {
                Ok(slot) => Some(slot),
                Err(_) if *optional => None,
                Err(e) => {
                    let what = format!("{} source {}", kind.option(false), Show(src));
                    return Err(refuse(report::line(&what, e, None)));
                }
            },
            MountOp::Proc(_) if proc_by_bind => source(steps, spans, index, b"/proc").ok(),
            // One source of /dev/null for every mask.
            MountOp::Mask(_) => match null_slot {
                Some(slot) => Some(slot),
                None => match source(steps, spans, index, b"/dev/null") {
                    Ok(slot) => {
                        null_slot = Some(slot);
                        Some(slot)
                    }
                    Err(e) => {
                        return Err(refuse(report::line("--masked-path: /dev/null", e, None)))
                    }
                },
            },
            _ => None,
        };
        slots.push(slot);
    }
    let explicit_proc = spec
        .mounts
        .iter()
        .any(|m| matches!(m, MountOp::Proc(d) if path::normalize(d) == b"/proc"));
    let own_proc = spec.mount_proc && !explicit_proc;
    let own_proc_slot = match own_proc && proc_by_bind {
        true => source(steps, spans, usize::MAX, b"/proc").ok(),
        false => None,
    };
    let devs = spec
        .mounts
        .iter()
        .filter(|m| matches!(m, MountOp::Dev(_)))
        .count();
    let mut dev_sources = Vec::with_capacity(devs);
    for (index, op) in spec.mounts.iter().enumerate() {
        if let MountOp::Dev(_) = op {
            let list = crate::setup::dev::sources();
            let mut opened = Vec::with_capacity(list.len());
            for path in list {
                if let Ok(slot) = source(steps, spans, index, &path) {
                    opened.push((path, slot));
                }
            }
            dev_sources.push(opened);
        }
    }
    spans.retain(|s| s.op != u32::MAX);

    if let Some((parent, name, shown, dev, ino)) = &new_root {
        steps.push(Step::Root {
            parent: c_string(parent.clone()),
            name: c_string(name.clone()),
            shown: shown.clone(),
            dev: *dev,
            ino: *ino,
            private_parent: spec.propagation == Propagation::Shared,
        });
    }
    // `--read-only`: the root and every mount that came with it, before nsrun mounts anything of
    // its own on it (its --tmpfs, --dev, /proc and, with --root, binds stay as asked).
    if spec.read_only && !spec.oci {
        steps.push(Step::SetAttrs {
            target: b"/".to_vec(),
            attrs: RDONLY,
            recursive: true,
            private: spec.propagation.first() != Propagation::Private,
        });
    }
    if own_proc {
        match own_proc_slot {
            Some(slot) => steps.push(proc_bind(slot, b"/proc")),
            None if proc_by_bind => {}
            None => steps.push(proc_mount(b"/proc")),
        }
    }
    let mut ours = 0;
    // Made at the first tmpfs: a run without one asks nothing of the kernel for it.
    let mut tags: Option<Tags> = None;
    let mut devs = dev_sources.into_iter();
    let mut sysctl_done = spec.sysctl.is_empty();
    for (index, op) in spec.mounts.iter().enumerate() {
        // OCI sysctls are written before the paths are masked and made read-only, as runc
        // writes them (/proc/sys is one of them).
        if !sysctl_done && matches!(op, MountOp::Mask(_) | MountOp::ReadOnlyPath(_)) {
            sysctl_steps(spec, steps);
            sysctl_done = true;
        }
        let first = steps.len() as u32;
        match op {
            MountOp::Mount(m) => {
                let bind = m.is_bind();
                let own = !bind && m.fstype == b"tmpfs";
                if own {
                    ours += 1;
                }
                let (clear, _) = crate::setup::tree::attrs_of(m.cleared);
                steps.push(Step::General(alloc::boxed::Box::new(General {
                    label: m.label.clone(),
                    fstype: c_string(m.fstype.clone()),
                    source: c_string(m.source.clone()),
                    target: path::normalize(&m.dst),
                    flags: m.flags,
                    data: (!m.data.is_empty()).then(|| c_string(m.data.clone())),
                    ours: own,
                    copy_up: m.copy_up,
                    bind: match bind {
                        true => match slots[index] {
                            Some(slot) => Some((slot, m.flags & crate::oci::mount::MS_REC != 0)),
                            None => continue,
                        },
                        false => None,
                    },
                    clear,
                    rec_set: m.rec_set,
                    rec_clear: m.rec_clear,
                    propagation: m.propagation.clone(),
                })));
            }
            MountOp::Device(d) => steps.push(Step::Device {
                path: path::normalize(&d.dst),
                mode: d.kind | d.mode,
                dev: rustix::fs::makedev(d.major, d.minor),
                uid: d.uid,
                gid: d.gid,
                slot: slots[index],
            }),
            MountOp::Bind {
                src,
                dst,
                kind,
                optional,
            } => {
                let Some(slot) = slots[index] else {
                    continue;
                };
                let attrs = match kind {
                    BindKind::ReadWrite => NOSUID | NODEV,
                    BindKind::ReadOnly => NOSUID | NODEV | RDONLY,
                    BindKind::Devices => NOSUID,
                };
                steps.push(Step::Bind {
                    slot,
                    src: src.clone(),
                    target: path::normalize(dst),
                    attrs,
                    // A host mount arriving later under a read-only bind would be writable.
                    private: *kind == BindKind::ReadOnly
                        && spec.propagation.first() != Propagation::Private,
                    option: kind.option(*optional),
                });
            }
            MountOp::Tmpfs { dst, size, mode } => {
                let tag = tags.get_or_insert_with(Tags::new).next();
                let mut data = format!("mode={:o},nr_inodes={tag}", mode.unwrap_or(0o755));
                if let Some(size) = size {
                    data.push_str(&format!(",size={size}"));
                }
                steps.push(Step::Mount(Mount {
                    fstype: c"tmpfs",
                    target: path::normalize(dst),
                    flags: MountFlags::NOSUID | MountFlags::NODEV,
                    data: Some(c_string(data.into_bytes())),
                    tag: Some(tag),
                }));
                ours += 1;
            }
            MountOp::Proc(dst) => match slots[index] {
                Some(slot) => steps.push(proc_bind(slot, &path::normalize(dst))),
                None => steps.push(proc_mount(&path::normalize(dst))),
            },
            MountOp::Sys(dst) => steps.push(Step::Mount(Mount {
                fstype: c"sysfs",
                target: path::normalize(dst),
                flags: MountFlags::RDONLY
                    | MountFlags::NOSUID
                    | MountFlags::NODEV
                    | MountFlags::NOEXEC,
                data: None,
                tag: None,
            })),
            MountOp::Dev(dst) => {
                let opened = devs.next().unwrap_or_default();
                crate::setup::dev::steps(
                    steps,
                    &path::normalize(dst),
                    &opened,
                    tags.get_or_insert_with(Tags::new).next(),
                );
                ours += 1;
            }
            MountOp::Mkdir { dst, mode } => steps.push(Step::Mkdir {
                path: path::normalize(dst),
                mode: mode.unwrap_or(0o755),
            }),
            MountOp::Symlink { target, dst } => steps.push(Step::Symlink {
                target: c_string(target.clone()),
                path: path::normalize(dst),
            }),
            MountOp::Mask(dst) => {
                if let Some(null) = slots[index] {
                    steps.push(Step::Mask {
                        target: path::normalize(dst),
                        null,
                    });
                }
            }
            MountOp::ReadOnlyPath(dst) => steps.push(Step::ReadOnlyPath {
                target: path::normalize(dst),
                private: spec.propagation.first() != Propagation::Private,
            }),
            MountOp::RemountRo(dst) => steps.push(Step::SetAttrs {
                target: path::normalize(dst),
                attrs: RDONLY,
                recursive: true,
                // A host mount arriving later under it would be writable.
                private: spec.propagation.first() != Propagation::Private,
            }),
        }
        let end = steps.len() as u32;
        spans.push(Span {
            first,
            end,
            op: index as u32,
        });
    }
    if !sysctl_done {
        sysctl_steps(spec, steps);
    }
    // OCI: `/` alone read-only once everything is mounted on it, as runc remounts it.
    if spec.read_only && spec.oci {
        steps.push(Step::SetAttrs {
            target: b"/".to_vec(),
            attrs: RDONLY,
            recursive: false,
            private: false,
        });
    }
    // OCI hooks: the mounts are made, the host's tree is still where hooks find their paths.
    if hook_point(spec) {
        steps.push(Step::HookPoint);
    }
    match &new_root {
        Some(_) => steps.push(Step::PivotRoot),
        None => steps.push(Step::RestoreCwd),
    }
    // A shared tree: the root's bind was made private for pivot_root; the container's tree is
    // made shared again once entered (its own peer group; binds of the host's shared mounts stay
    // their peers), as runc does for `rshared`.
    if new_root.is_some() && spec.propagation == Propagation::Shared {
        steps.push(Step::Propagation(Propagation::Shared));
    }
    Ok((sources as usize, ours))
}

/// The OCI sysctls as steps: `net.ipv4.ip_forward` is `sys/net/ipv4/ip_forward` below the
/// procfs root.
fn sysctl_steps(spec: &Spec, steps: &mut Vec<Step>) {
    for (name, value) in &spec.sysctl {
        let mut file = b"sys/".to_vec();
        file.extend(name.iter().map(|&b| if b == b'.' { b'/' } else { b }));
        steps.push(Step::Sysctl {
            name: c_string(file),
            value: value.clone(),
        });
    }
}

/// The inode limits (`nr_inodes`) that tell nsrun's own tmpfs mounts from every other filesystem:
/// each distinct, from a random start, in the upper half below the kernel's own default limit
/// (half the RAM's pages), so a tmpfs of nsrun's never allows more inodes than a plain one would
/// and a plain one (which has the default exactly) never carries a tag.
struct Tags {
    base: u64,
    span: u64,
    next: u64,
}

impl Tags {
    fn new() -> Tags {
        let info = rustix::system::sysinfo();
        let ram = (info.totalram as u64).saturating_mul(u64::from(info.mem_unit.max(1)));
        let default = (ram / crate::sys::stack::page_size() as u64 / 2).clamp(2048, 1 << 31);
        let span = default / 2;
        Tags {
            base: default - span,
            span,
            next: crate::sys::random::u64() % span,
        }
    }

    fn next(&mut self) -> u64 {
        self.next = (self.next + 1) % self.span;
        self.base + self.next
    }
}

fn proc_mount(target: &[u8]) -> Step {
    Step::Mount(Mount {
        fstype: c"proc",
        target: target.to_vec(),
        flags: MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
        data: None,
        tag: None,
    })
}

/// In a user namespace without a new PID namespace the kernel refuses a new proc: the host's is
/// bound instead, as bubblewrap does.
fn proc_bind(slot: u32, target: &[u8]) -> Step {
    Step::Bind {
        slot,
        src: b"/proc".to_vec(),
        target: target.to_vec(),
        attrs: NOSUID | NODEV,
        private: false,
        option: "bind the host's /proc (no new PID namespace)",
    }
}

/// The new root: its parent directory and last component (the path made absolute, from the
/// working directory, and with links resolved), the path as given, and the `st_dev`/`st_ino` the
/// child must find there; None when it is the current root already, with nothing to enter.
#[allow(clippy::type_complexity)]
fn root_dir(dir: &[u8]) -> Result<Option<(Bytes, Bytes, Bytes, u64, u64)>, Refusal> {
    let what = || crate::out::around("--root ", dir, "");
    let fail = |e| refuse(report::line(&what(), e, None));
    let fd = rustix::fs::open(
        c_string(dir.to_vec()),
        rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(fail)?;
    let st = rustix::fs::fstat(&fd).map_err(fail)?;
    let abs = canonical(dir, &fd).map_err(fail)?;
    if abs == b"/" {
        // Only `/` as written means the current root: a path that merely leads there (a link
        // someone swapped in) must not turn the container into the host.
        if path::normalize(dir) != b"/" {
            return Err(Refusal {
                line: format!(
                    "--root {}: it leads to the current root / (hint: write --root / to mean it)",
                    Show(dir)
                ),
                code: status::SETUP_FAILED,
            });
        }
        return Ok(None);
    }
    let cut = abs.iter().rposition(|&b| b == b'/').unwrap_or(0);
    let parent = match cut {
        0 => b"/".to_vec(),
        _ => abs[..cut].to_vec(),
    };
    let name = abs[cut + 1..].to_vec();
    Ok(Some((parent, name, dir.to_vec(), st.st_dev, st.st_ino)))
}

/// The absolute path of the directory `fd` (opened from `dir`): from the kernel's own record of
/// it where /proc shows one, else `dir` made absolute from the working directory.
fn canonical(dir: &[u8], fd: &rustix::fd::OwnedFd) -> Result<Bytes, rustix::io::Errno> {
    use rustix::fd::AsRawFd;
    let link = format!("/proc/self/fd/{}", fd.as_raw_fd());
    let mut buf = [0u8; crate::setup::tree::PATH_MAX];
    if let Ok(n) =
        rustix::fs::readlinkat_raw(rustix::fs::CWD, c_string(link.into_bytes()), &mut buf[..])
    {
        let t = &buf[..n];
        if n < buf.len() && t.first() == Some(&b'/') && !t.ends_with(b" (deleted)") {
            return Ok(t.to_vec());
        }
    }
    let mut abs = Vec::new();
    if dir.first() != Some(&b'/') {
        let cwd = rustix::process::getcwd(Vec::new())?;
        abs.extend_from_slice(cwd.to_bytes());
        abs.push(b'/');
    }
    abs.extend_from_slice(dir);
    Ok(path::normalize(&abs))
}

/// OCI: a `net.*` sysctl with a joined network namespace that is nsrun's own (the host's) would
/// change the host's value: refused, as runc refuses it ("not allowed in host network namespace").
/// The namespace compared is the very file the child joins (its descriptor, opened already).
fn host_net_sysctl(spec: &Spec, joins: &[crate::join::given::Opened]) -> Result<(), Refusal> {
    let Some(name) = spec
        .sysctl
        .iter()
        .map(|(n, _)| n)
        .find(|n| n.starts_with(b"net."))
    else {
        return Ok(());
    };
    let Some(net) = joins.iter().find(|j| j.kind == Kind::Net) else {
        return Ok(());
    };
    let joined = rustix::fs::fstat(crate::sys::fd::borrow_named(net.fd));
    let own = rustix::fs::stat(c"/proc/self/ns/net");
    let same = match (joined, own) {
        (Ok(a), Ok(b)) => a.st_dev == b.st_dev && a.st_ino == b.st_ino,
        // Without a procfs nsrun cannot tell: refused, as the host's may be the one joined.
        _ => true,
    };
    match same {
        false => Ok(()),
        true => Err(Refusal {
            line: format!(
                "config.json: linux.sysctl.{}: the network namespace joined in linux.namespaces \
                 is the host's (nsrun's own): the sysctl would change the host's value",
                Show(name)
            ),
            code: status::USAGE,
        }),
    }
}

/// OCI, in a user namespace: the host's node at the device's path must be the device asked for
/// (its type and number), not whatever file the host has there. The Source step then checks
/// that the node it opens is this one (device and inode).
fn device_source(d: &crate::spec::DeviceNode) -> Result<(), rustix::io::Errno> {
    let st = rustix::fs::stat(c_string(d.dst.clone()))?;
    let kind = st.st_mode & 0o170000;
    let number = kind == 0o010000 || st.st_rdev == rustix::fs::makedev(d.major, d.minor);
    match kind == d.kind && number {
        true => Ok(()),
        false => Err(rustix::io::Errno::NODEV),
    }
}

fn refuse(line: String) -> Refusal {
    Refusal {
        line,
        code: status::SETUP_FAILED,
    }
}

/// The descriptors the caller names (`--keep-fd`, `--info-fd`, `--json-status-fd`, OCI
/// `--preserve-fds`) are open, and none is both kept and a status descriptor. Checked first of
/// all ([`crate::run::launch::run`] calls it before the state store or anything else is
/// opened), so a number the caller left closed cannot name a descriptor of nsrun's own.
pub fn check_fds(spec: &Spec) -> Result<(), Refusal> {
    let named = spec.keep_fds.iter().map(|fd| ("--keep-fd", *fd));
    let status_fds = [
        ("--info-fd", spec.info_fd),
        ("--json-status-fd", spec.json_status_fd),
    ];
    let status_fds = status_fds.into_iter().filter_map(|(o, fd)| Some((o, fd?)));
    for (option, fd) in named.chain(status_fds.clone()) {
        if !crate::sys::fd::is_open(fd) {
            return Err(Refusal {
                line: format!("{option} {fd}: Bad file descriptor (hint: it is not open)"),
                code: status::USAGE,
            });
        }
    }
    // The launcher's descriptors: the command must not get them.
    if let Some((option, fd)) = status_fds
        .clone()
        .find(|(_, fd)| spec.keep_fds.contains(fd))
    {
        return Err(Refusal {
            line: format!("{option} {fd}: also given to --keep-fd (the command does not get it)"),
            code: status::USAGE,
        });
    }
    Ok(())
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
                "return to the working directory",
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
    fn unbindable_is_private_first_and_unbindable_once_the_tree_is_entered() {
        let root = env!("CARGO_MANIFEST_DIR").as_bytes();
        let args: Vec<&[u8]> =
            [&b"--root"[..], root, b"--bind", b"/etc", b"/src", b"true"].to_vec();
        let Ok(Parsed::Run(mut spec)) = cli::parse(&args) else {
            panic!("not a run");
        };
        spec.propagation = Propagation::Unbindable;
        let p = prepare(&spec, &[b"PATH=/bin"], Caller { uid: 0, gid: 0 })
            .ok()
            .expect("a plan");
        let s = steps(&p);
        let at = |d: &str| {
            s.iter()
                .position(|x| x == d)
                .unwrap_or_else(|| panic!("{d}: {s:?}"))
        };
        assert_eq!(at("make / private (recursively)"), 0, "{s:?}");
        assert_eq!(
            at("make / unbindable (recursively)"),
            at("pivot_root into the new root") + 1
        );
        // The binds come before, and are not made private again: / already is.
        let bind = at("--bind /etc on /src");
        assert!(bind < at("pivot_root into the new root"), "{s:?}");
        assert!(p
            .steps
            .iter()
            .all(|st| !matches!(st, Step::Bind { private: true, .. })));
    }

    #[test]
    fn a_root_propagation_changes_the_root_alone_once_it_is_entered() {
        let root = env!("CARGO_MANIFEST_DIR").as_bytes();
        let args: Vec<&[u8]> =
            [&b"--root"[..], root, b"--bind", b"/etc", b"/src", b"true"].to_vec();
        let Ok(Parsed::Run(mut spec)) = cli::parse(&args) else {
            panic!("not a run");
        };
        for p in [
            Propagation::Shared,
            Propagation::Slave,
            Propagation::Private,
            Propagation::Unbindable,
        ] {
            spec.propagation = Propagation::Slave;
            spec.root_propagation = Some(p);
            let plan = prepare(&spec, &[b"PATH=/bin"], Caller { uid: 0, gid: 0 })
                .ok()
                .expect("a plan");
            let s = steps(&plan);
            let at = |d: &str| {
                s.iter()
                    .position(|x| x == d)
                    .unwrap_or_else(|| panic!("{d}: {s:?}"))
            };
            // The tree first, recursively; the root once it is /, without MS_REC.
            assert_eq!(at("make / slave (recursively)"), 0, "{s:?}");
            let last = format!(
                "linux.rootfsPropagation: make the mount on / {} (that mount alone)",
                p.name()
            );
            assert!(at(&last) > at("pivot_root into the new root"), "{s:?}");
            assert!(at(&last) > at("--bind /etc on /src"), "{s:?}");
            assert_eq!(
                plan.steps
                    .iter()
                    .filter(|st| matches!(st, Step::RootPropagation(_)))
                    .count(),
                1
            );
        }
        // Without a mount namespace of its own there is no root to change.
        let mut spec = spec.clone();
        spec.namespaces = crate::ns::Set::empty();
        spec.root = None;
        spec.root_propagation = Some(Propagation::Shared);
        if let Ok(plan) = prepare(&spec, &[b"PATH=/bin"], Caller { uid: 0, gid: 0 }) {
            assert!(!plan
                .steps
                .iter()
                .any(|st| matches!(st, Step::RootPropagation(_))));
        }
    }

    #[test]
    fn no_mount_namespace_means_no_mounts() {
        let p = plan(&["--share-mount", "--share-net", "true"]);
        assert_eq!(steps(&p), ["close inherited descriptors"]);
        assert!(!plan(&["--as-pid-1", "true"]).init);
    }

    #[test]
    fn sources_are_opened_before_anything_is_mounted() {
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
        let at = |d: &str| {
            s.iter()
                .position(|x| x == d)
                .unwrap_or_else(|| panic!("{d}: {s:?}"))
        };
        let (source, tmpfs, bind) = (
            at("open source /etc"),
            at("mount tmpfs on /mnt"),
            at("--ro-bind /etc on /mnt/etc"),
        );
        assert!(source < at("mount proc on /proc") && tmpfs < bind, "{s:?}");
        assert!(s.contains(&"create directory /srv".to_string()), "{s:?}");
        // The spans name the operation each step came from, for messages.
        assert_eq!(p.op_of(bind as u32), Some(1));
        assert_eq!(p.op_of(source as u32), Some(1));
        assert_eq!(p.op_of(tmpfs as u32), Some(0));
        assert_eq!((p.slots.sources.len(), p.slots.ours.len()), (1, 1));
    }

    #[test]
    fn nothing_is_mounted_on_slash() {
        for args in [
            &["--tmpfs", "/"][..],
            &["--dev", "//"],
            &["--bind", "/tmp", "/"],
        ] {
            let mut a = args.to_vec();
            a.push("true");
            let r = plan_as(0, &a).err().expect("refused");
            assert_eq!(r.code, status::USAGE, "{}", r.line);
            assert!(r.line.contains("nsrun mounts nothing on /"), "{}", r.line);
        }
    }

    #[test]
    fn proc_is_bound_in_a_user_namespace_without_a_pid_namespace() {
        let p = plan(&["-U", "-m", "true"]);
        let s = steps(&p);
        assert!(s.contains(&"open source /proc".to_string()), "{s:?}");
        assert!(
            s.iter().any(|d| d.starts_with("bind the host's /proc")),
            "{s:?}"
        );
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
        let _ = cwd;
        assert!(
            s.contains(&"--root src: bind it onto itself".to_string()),
            "{s:?}"
        );
        // --root implies the container preset: the command process sets the capabilities last.
        assert_eq!(
            s[p.exec_from - 1..],
            [
                "close inherited descriptors".to_string(),
                format!(
                    "set the capabilities ({})",
                    crate::confine::caps::describe(
                        crate::confine::caps::CONTAINER & crate::confine::caps::bounding()
                    )
                ),
            ]
        );
        assert!(
            s.contains(&"pivot_root into the new root".to_string()),
            "{s:?}"
        );
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

    #[test]
    fn joins_come_first_the_user_namespace_before_the_others() {
        let p = plan(&[
            "--netns",
            "/proc/self/ns/net",
            "--userns",
            "/proc/self/ns/user",
            "true",
        ]);
        let s = steps(&p);
        assert_eq!(
            s[0],
            "--userns /proc/self/ns/user: join the namespace (setns)"
        );
        assert_eq!(
            s[1],
            "--netns /proc/self/ns/net: join the namespace (setns)"
        );
        // Made after the joins, in the joined user namespace: so nothing by clone.
        assert_eq!(
            s[2],
            "create the mount, uts, ipc, pid namespaces after the joined ones"
        );
        assert_eq!(
            s[3],
            "start the container's first process in its PID namespace"
        );
        assert_eq!(p.clone_flags, 0);
        assert!(p.sync && p.fork && p.init && p.maps.is_none());
        // Without a user namespace the new ones are made by clone; no second process.
        let p = plan(&["--utsns", "/proc/self/ns/uts", "--keep", "/tmp", "true"]);
        let s = steps(&p);
        assert_eq!(
            s[0],
            "--utsns /proc/self/ns/uts: join the namespace (setns)"
        );
        assert_eq!(s[1], "wait for the launcher after the joins");
        assert_eq!(s[2], "--keep: wait for the namespace files to be bound");
        assert!(p.clone_flags & libc::CLONE_NEWNET != 0 && !p.fork);
        assert!(p.joined.has(Kind::Uts) && !p.made.has(Kind::Uts));
    }

    /// An OCI container's steps: sysctls before the masked and read-only paths, `/` read-only
    /// (alone) after every mount and before pivot_root, device nodes made, and without
    /// noNewPrivileges the seccomp filter before the ids and capabilities change.
    #[test]
    fn oci_steps_in_runcs_order() {
        let root = env!("CARGO_MANIFEST_DIR").as_bytes();
        let text = br#"{"ociVersion": "1.0.2", "root": {"path": "src", "readonly": true},
            "process": {"args": ["true"], "cwd": "/", "user": {"uid": 5},
              "capabilities": {"bounding": ["CAP_KILL"], "permitted": ["CAP_KILL"]}},
            "mounts": [{"destination": "/dev", "type": "tmpfs", "source": "tmpfs"}],
            "linux": {"namespaces": [{"type": "mount"}, {"type": "network"}],
              "sysctl": {"net.ipv4.ip_forward": "1"}, "maskedPaths": ["/proc/kcore"],
              "seccomp": {"defaultAction": "SCMP_ACT_ALLOW",
                "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}]}}}"#;
        let config = crate::oci::parse(text).expect("parsed");
        let spec = crate::oci::to_spec(&config, root).expect("mapped");
        let p = prepare(&spec, &[], Caller { uid: 0, gid: 0 })
            .ok()
            .expect("a plan");
        let s = steps(&p);
        let at = |d: &str| {
            s.iter()
                .position(|x| x.starts_with(d))
                .unwrap_or_else(|| panic!("{d}: {s:?}"))
        };
        assert_eq!(s[0], "make / slave (recursively)", "{s:?}");
        assert!(
            at("mounts[0]: mount tmpfs on /dev") < at("linux.devices: make the node /dev/null")
        );
        assert!(at("linux.sysctl: write /proc/sys/net/ipv4/ip_forward") < at("hide /proc/kcore"));
        assert!(at("hide /proc/kcore") < at("make / read-only"));
        assert_eq!(
            at("make / read-only") + 1,
            at("pivot_root into the new root")
        );
        assert!(
            at("linux.seccomp: install") < at("switch to uid 5"),
            "{s:?}"
        );
        assert!(!s.iter().any(|d| d == "set no_new_privs"), "{s:?}");
        assert!(!p.init && p.slots.in_root);
        assert!(!s.iter().any(|d| d == "mount proc on /proc"), "{s:?}");
    }

    /// The console comes once the root is entered (its /dev/pts is the container's) and before
    /// the switch to the process's uid.
    #[test]
    fn the_console_is_made_in_the_new_root_before_the_uid_changes() {
        let root = env!("CARGO_MANIFEST_DIR").as_bytes();
        let text = br#"{"ociVersion": "1.0.2", "root": {"path": "src"},
            "process": {"terminal": true, "args": ["sh"], "cwd": "/", "user": {"uid": 5}},
            "linux": {"namespaces": [{"type": "mount"}]}}"#;
        let config = crate::oci::parse(text).expect("parsed");
        let mut spec = crate::oci::to_spec(&config, root).expect("mapped");
        spec.console = Some(crate::spec::Console {
            socket: 9,
            size: Some((24, 80)),
        });
        let p = prepare(&spec, &[], Caller { uid: 0, gid: 0 })
            .ok()
            .expect("a plan");
        let s = steps(&p);
        let at = |d: &str| {
            s.iter()
                .position(|x| x.starts_with(d))
                .unwrap_or_else(|| panic!("{d}: {s:?}"))
        };
        assert!(
            at("pivot_root into the new root") < at("process.terminal"),
            "{s:?}"
        );
        assert!(at("process.terminal") < at("switch to uid 5"), "{s:?}");
    }

    #[test]
    fn joins_an_ordinary_user_cannot_make_are_refused() {
        let r = plan_as(1000, &["--netns", "/proc/self/ns/net", "true"])
            .err()
            .expect("refused");
        assert_eq!(r.code, status::USAGE);
        assert!(r.line.contains("add --userns"), "{}", r.line);
        // The command line refuses mount options without a new mount namespace; a spec made
        // elsewhere (the OCI runtime) is checked here.
        let mut spec = Spec::default();
        spec.namespaces.remove(Kind::Mount);
        spec.join.push(crate::spec::Join {
            kind: Kind::Mount,
            source: crate::spec::NsSource::Path(b"/proc/self/ns/mnt".to_vec()),
        });
        spec.mounts.push(MountOp::Tmpfs {
            dst: b"/tmp".to_vec(),
            size: None,
            mode: None,
        });
        let r = prepare(&spec, &[], Caller { uid: 0, gid: 0 })
            .err()
            .expect("refused");
        assert!(
            r.line
                .starts_with("--mntns joins an existing mount namespace"),
            "{}",
            r.line
        );
    }
}
