//! Turns a [`Spec`] into everything the child needs, prepared before clone.

use alloc::ffi::CString;
use alloc::vec::Vec;

use crate::env;
use crate::exec::Exec;
use crate::ns::Kind;
use crate::spec::{Pid1, Propagation, Spec};
use crate::step::{Mount, Step};
use rustix::mount::MountFlags;

/// The prepared container: clone flags, the ordered steps, and the command.
pub struct Plan {
    /// Namespace flags for clone(2) (without the exit signal).
    pub clone_flags: i32,
    /// Whether a new user namespace is made (the parent then writes its id maps).
    pub new_user: bool,
    /// The child's setup steps, in order.
    pub steps: Vec<Step>,
    /// Whether the child stays as init (PID 1) and runs the command as PID 2.
    pub init: bool,
    /// The command.
    pub exec: Exec,
}

/// Prepares `spec` to run with nsrun's environment `environ`.
pub fn prepare(spec: &Spec, environ: &[&[u8]]) -> Plan {
    let ns = spec.namespaces;
    let mut steps = Vec::new();
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
    if spec.mount_proc {
        steps.push(Step::Mount(Mount {
            fstype: c"proc".into(),
            target: c"/proc".into(),
            flags: MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC,
            data: None,
        }));
    }
    if let Some(dir) = &spec.chdir {
        steps.push(Step::Chdir(c_path(dir)));
    }
    if spec.no_new_privs {
        steps.push(Step::NoNewPrivs);
    }
    steps.push(Step::CloseFds(spec.keep_fds.clone()));
    Plan {
        clone_flags: ns.clone_flags(),
        new_user: ns.has(Kind::User),
        steps,
        init: ns.has(Kind::Pid) && spec.pid1 == Pid1::Init,
        exec: Exec::new(&spec.command, env::build(environ, &spec.env)),
    }
}

fn c_path(path: &[u8]) -> CString {
    CString::new(path).expect("paths come from C strings and hold no NUL byte")
}
