//! `--info-fd` and `--json-status-fd`: what bubblewrap writes there, in its format, so programs
//! written against bwrap's descriptors work unchanged.

use alloc::format;
use alloc::string::String;
use core::fmt::Write;

use crate::ns::Kind;
use crate::plan::Plan;
use crate::sys::fd;

/// The namespaces bwrap reports, in its order, named as in /proc/PID/ns (bwrap leaves the user
/// namespace out).
const KINDS: [(Kind, &str); 6] = [
    (Kind::Cgroup, "cgroup"),
    (Kind::Ipc, "ipc"),
    (Kind::Mount, "mnt"),
    (Kind::Net, "net"),
    (Kind::Pid, "pid"),
    (Kind::Uts, "uts"),
];

/// The container's first process (the init, or the command) and the inodes of the namespaces
/// nsrun made or joined (0: neither, or not readable).
pub struct Info {
    pid: i32,
    ids: [u64; 6],
}

impl Info {
    /// The info of child `pid`, with the namespaces clone made: read at once, before the child
    /// can change (a non-dumpable init's /proc/PID/ns is closed to an unprivileged launcher).
    pub fn new(plan: &Plan, pid: i32) -> Info {
        let mut info = Info { pid, ids: [0; 6] };
        info.read(plan, false);
        info
    }

    /// Reads the inodes of the namespaces `plan` makes by clone, or (`late`) those the child
    /// makes by unshare afterwards, as the launcher sees them.
    pub fn read(&mut self, plan: &Plan, late: bool) {
        for (id, (kind, name)) in self.ids.iter_mut().zip(KINDS) {
            // Joined namespaces are the child's only once it has joined them: read late.
            let ours = plan.made.has(kind) || plan.joined.has(kind);
            if ours && (plan.clone_flags & kind.flag() == 0) == late {
                let path = format!("/proc/{}/ns/{name}", self.pid);
                // A command that has ended already has no namespaces to show: what was read
                // before stays.
                if let Ok(st) = rustix::fs::stat(path.as_str()) {
                    *id = st.st_ino;
                }
            }
        }
    }

    /// After the joins ([`crate::setup::step::Step::Sync`]): the child holds every joined
    /// namespace and those made by unshare after them, read now while it waits (a short-lived
    /// command may be gone by the time it is seen running). The cgroup namespace made after the
    /// move into nsrun's cgroup is read later, when it exists.
    pub fn read_after_joins(&mut self, plan: &Plan) {
        let saved = self.ids;
        self.read(plan, true);
        if plan.cgroup.is_some() && plan.made.has(Kind::Cgroup) {
            self.ids[0] = saved[0];
        }
    }

    /// bwrap's object: on several lines for `--info-fd`, on one for `--json-status-fd`.
    fn object(&self, one_line: bool) -> String {
        let sep = if one_line { " " } else { "\n    " };
        let mut s = format!("{{{sep}\"child-pid\": {}", self.pid);
        for ((_, name), id) in KINDS.iter().zip(self.ids) {
            if id != 0 {
                let _ = write!(s, ",{sep}\"{name}-namespace\": {id}");
            }
        }
        s.push_str(if one_line { " }\n" } else { "\n}\n" });
        s
    }

    /// Writes the object to the descriptors of `plan`, and closes `--info-fd` (its reader may
    /// read to end of file).
    pub fn send(&self, plan: &Plan) {
        if let Some(n) = plan.info_fd {
            fd::write_all(fd::borrow_named(n), self.object(false).as_bytes());
            fd::close_named(n);
        }
        if let Some(n) = plan.status_fd {
            fd::write_all(fd::borrow_named(n), self.object(true).as_bytes());
        }
    }
}

/// Writes `{ "exit-code": N }` to `--json-status-fd`.
pub fn send_exit(plan: &Plan, code: i32) {
    if let Some(n) = plan.status_fd {
        let line = format!("{{ \"exit-code\": {code} }}\n");
        fd::write_all(fd::borrow_named(n), line.as_bytes());
    }
}
