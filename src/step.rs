//! One setup operation of the child, prepared by the parent and applied after clone.
//!
//! Every step carries its C strings ready-made, so applying it allocates nothing; the parent keeps
//! the same list to name a failed step in its message.

use alloc::ffi::CString;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rustix::io::Errno;
use rustix::mount::{MountFlags, MountPropagationFlags};

use crate::out::Bytes as Show;
use crate::spec::{Bytes, Propagation};
use crate::sys;

/// A filesystem mount made with mount(2).
pub struct Mount {
    /// The filesystem type, which is also the source name (proc, sysfs, tmpfs, devpts, mqueue).
    pub fstype: CString,
    /// Where to mount it (the real path, under the new root while it is not yet `/`).
    pub target: CString,
    /// Mount flags.
    pub flags: MountFlags,
    /// Filesystem options (`size=...,mode=...`).
    pub data: Option<CString>,
}

/// One setup operation of the child.
pub enum Step {
    /// unshare(CLONE_NEWTIME): clone(2) cannot take that flag, so the child makes the namespace and
    /// its children (and, after exec, itself) live in it.
    UnshareTime,
    /// Change the propagation of `/` and everything below it, alone in its own mount(2) call.
    Propagation(Propagation),
    /// sethostname.
    Hostname(Bytes),
    /// setdomainname.
    Domainname(Bytes),
    /// Bring up `lo` in the new network namespace; failure is only a warning.
    Loopback,
    /// Mount a filesystem.
    Mount(Mount),
    /// Change the working directory.
    Chdir(CString),
    /// Set no_new_privs.
    NoNewPrivs,
    /// Mark every descriptor above 2 close-on-exec except these.
    CloseFds(Vec<i32>),
}

impl Step {
    /// Applies the step in the child. Allocates nothing.
    pub fn apply(&self) -> Result<(), Errno> {
        match self {
            Step::UnshareTime => sys::ns::unshare_time(),
            Step::Propagation(p) => {
                let kind = match p {
                    Propagation::Private => MountPropagationFlags::PRIVATE,
                    Propagation::Slave => MountPropagationFlags::DOWNSTREAM,
                    Propagation::Shared => MountPropagationFlags::SHARED,
                    Propagation::Unchanged => return Ok(()),
                };
                // Only MS_REC and the type: the kernel rejects any other flag mixed in (EINVAL).
                rustix::mount::mount_change(c"/", kind | MountPropagationFlags::REC)
            }
            Step::Hostname(name) => rustix::system::sethostname(name),
            Step::Domainname(name) => rustix::system::setdomainname(name),
            Step::Loopback => sys::net::loopback_up(),
            Step::Mount(m) => rustix::mount::mount(
                m.fstype.as_c_str(),
                m.target.as_c_str(),
                m.fstype.as_c_str(),
                m.flags,
                m.data.as_deref(),
            ),
            Step::Chdir(dir) => rustix::process::chdir(dir.as_c_str()),
            Step::NoNewPrivs => rustix::thread::set_no_new_privs(true),
            Step::CloseFds(keep) => sys::fd::cloexec_all_but(keep),
        }
    }

    /// Whether a failure stops the run (all but bringing up loopback).
    pub fn is_fatal(&self) -> bool {
        !matches!(self, Step::Loopback)
    }

    /// What the step does, for messages: `mount proc on /proc`.
    pub fn describe(&self) -> String {
        match self {
            Step::UnshareTime => "create the time namespace".into(),
            Step::Propagation(p) => format!("make / {} (recursively)", p.name()),
            Step::Hostname(n) => format!("set hostname '{}'", Show(n)),
            Step::Domainname(n) => format!("set domain name '{}'", Show(n)),
            Step::Loopback => "bring up loopback lo".into(),
            Step::Mount(m) => format!(
                "mount {} on {}",
                Show(m.fstype.to_bytes()),
                Show(m.target.to_bytes())
            ),
            Step::Chdir(d) => format!("change directory to {}", Show(d.to_bytes())),
            Step::NoNewPrivs => "set no_new_privs".into(),
            Step::CloseFds(_) => "close inherited descriptors".into(),
        }
    }
}
