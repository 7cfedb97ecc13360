//! `--userns`, `--netns`, `--pidns`, `--mntns`, `--utsns`, `--ipcns`, `--cgroupns`, `--timens` on
//! `run`: namespaces joined instead of created, opened and checked by the launcher before clone
//! and joined by the child in a fixed order (see [`order`] and [`crate::plan`]).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rustix::fd::{AsFd, AsRawFd, OwnedFd};

use crate::ns::Kind;
use crate::out::Bytes as Show;
use crate::plan::Refusal;
use crate::spec::{Join, NsSource};
use crate::status;

/// The option that joins a namespace of `kind`.
pub fn option(kind: Kind) -> &'static str {
    match kind {
        Kind::Mount => "--mntns",
        Kind::Uts => "--utsns",
        Kind::Ipc => "--ipcns",
        Kind::Net => "--netns",
        Kind::Pid => "--pidns",
        Kind::User => "--userns",
        Kind::Cgroup => "--cgroupns",
        Kind::Time => "--timens",
    }
}

/// The joins of `spec` in [`super::ORDER`] (runc's: the user namespace first, mount last).
pub fn order(joins: &[Join]) -> impl Iterator<Item = &Join> {
    super::ORDER
        .into_iter()
        .flat_map(move |k| joins.iter().filter(move |j| j.kind == k))
}

/// The option and its value as written: `--netns /run/netns/blue`, `--userns 5`.
pub fn label(j: &Join) -> String {
    match &j.source {
        NsSource::Path(p) => format!("{} {}", option(j.kind), Show(p)),
        NsSource::Fd(n) => format!("{} {n}", option(j.kind)),
    }
}

/// One namespace the child joins: its kind, the descriptor (the launcher's, inherited by the
/// child) and the option as written, for messages.
pub struct Opened {
    /// The kind.
    pub kind: Kind,
    /// The descriptor number in the child.
    pub fd: i32,
    /// `--netns PATH`.
    pub label: String,
}

/// Opens every joined namespace file once and checks its kind with the kernel; returns them in
/// [`super::ORDER`], and the descriptors opened here, which the plan holds until the child has them.
#[inline(never)]
/// With `oci`, messages name the config.json member (`linux.namespaces: "network" path P`)
/// instead of the option.
pub fn open(joins: &[Join], oci: bool) -> Result<(Vec<Opened>, Vec<OwnedFd>), Refusal> {
    let mut opened = Vec::with_capacity(joins.len());
    let mut held = Vec::new();
    let usage = |line: String| Refusal {
        line,
        code: status::USAGE,
    };
    for (i, j) in joins.iter().enumerate() {
        if joins[..i].iter().any(|k| k.kind == j.kind) {
            return Err(usage(format!(
                "{}: given twice (a process is in one {} namespace)",
                option(j.kind),
                j.kind.name()
            )));
        }
    }
    for j in order(joins) {
        let what = match (&j.source, oci) {
            (NsSource::Path(p), true) => {
                let kind = match j.kind {
                    Kind::Net => "network",
                    k => k.name(),
                };
                format!(
                    "config.json: linux.namespaces: the \"{kind}\" path {}",
                    Show(p)
                )
            }
            _ => label(j),
        };
        let fd = match &j.source {
            NsSource::Fd(n) => {
                if *n < 0 || !crate::sys::fd::is_open(*n) {
                    return Err(usage(format!(
                        "{what}: Bad file descriptor (hint: it is not open; a path made of \
                         digits only is written ./{n})"
                    )));
                }
                let fd = crate::sys::fd::borrow_named(*n);
                super::check_kind(fd, j.kind).map_err(|b| usage(b.line(&what, j.kind)))?;
                *n
            }
            NsSource::Path(p) => {
                let path = crate::setup::step::c_string(p.clone());
                let fd = super::open_checked(&path, j.kind).map_err(|b| Refusal {
                    line: b.line(&what, j.kind),
                    code: match b {
                        super::Bad::Errno(_) => status::SETUP_FAILED,
                        _ => status::USAGE,
                    },
                })?;
                let n = fd.as_fd().as_raw_fd();
                held.push(fd);
                n
            }
        };
        opened.push(Opened {
            kind: j.kind,
            fd,
            label: what,
        });
    }
    Ok((opened, held))
}
