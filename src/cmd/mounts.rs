//! `nsrun mounts [--json] [--state-dir DIR] [NAME|PID]`: finds the process (a container of the
//! state store by name, a pid, or nsrun itself), reads its mount table ([`crate::view::mounts`])
//! and prints its tree, or says why it cannot.
//!
//! A container's PID 1 is pinned by its /proc/PID directory: its `stat` is read through that
//! descriptor and must show the start time the store recorded, and its mountinfo is read through
//! the same descriptor, so a pid that passed to another process is never shown as the container.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rustix::fd::AsFd;
use rustix::io::Errno;

use crate::cli::mounts::{Mounts, Which};
use crate::state::{self, Life, Store};
use crate::view::mounts;
use crate::{out, status};

/// Runs `nsrun mounts`: 0; 125 when the table cannot be read or is not in the kernel's format;
/// for a name, the state store's statuses (1: no such container, or it is not running).
/// Not inlined into `main`: its code stays off the pages a plain run touches.
#[inline(never)]
pub fn run(m: &Mounts, env: &[&[u8]]) -> i32 {
    let (pid, text) = match &m.which {
        None => (None, mounts::read_table(None)),
        Some(Which::Pid(p)) => (Some(*p), mounts::read_table(Some(*p))),
        Some(Which::Name(name)) => match container(name, m.state_dir.as_deref(), env) {
            Ok(x) => x,
            Err((line, code)) => {
                out::error_line(format_args!("mounts: {line}"));
                return code;
            }
        },
    };
    let text = match text {
        Ok(t) => t,
        Err(e) => {
            let hint = match e {
                Errno::NOENT | Errno::SRCH => "no such process (or no procfs on /proc)",
                Errno::INVAL => "the process has ended: a zombie has no mount namespace",
                Errno::XDEV => "what is mounted on /proc is not a procfs",
                Errno::ACCESS | Errno::PERM => {
                    "/proc hides other users' processes (hidepid): that takes root or the \
                     process's user"
                }
                _ => "is /proc a procfs?",
            };
            out::error_line(format_args!(
                "mounts: read {}: {} (hint: {hint})",
                shown(pid),
                crate::sys::errno::text(e.raw_os_error())
            ));
            return status::SETUP_FAILED;
        }
    };
    match mounts::render(&text, m.json) {
        Ok(s) => {
            out::stdout_str(&s);
            0
        }
        Err(n) => {
            out::error_line(format_args!(
                "mounts: {}: line {n} is not in the kernel's format",
                shown(pid)
            ));
            status::SETUP_FAILED
        }
    }
}

/// How messages name the mount table of `pid`.
fn shown(pid: Option<u32>) -> String {
    match pid {
        Some(p) => format!("/proc/{p}/mountinfo"),
        None => "/proc/self/mountinfo".into(),
    }
}

type Found = (Option<u32>, Result<Vec<u8>, Errno>);

/// The pid and mount table of the running container `name`, or the line and exit status.
fn container(name: &[u8], dir: Option<&[u8]>, env: &[&[u8]]) -> Result<Found, (String, i32)> {
    let store = Store::open(dir, env).map_err(|e| (e.line, e.code))?;
    let gone = || {
        (
            format!(
                "container '{}' is not running (hint: nsrun list shows the containers)",
                out::Bytes(name)
            ),
            state::NOT_FOUND,
        )
    };
    let e = match store.find(name).map_err(|e| (e.line, e.code))? {
        Some(e) if state::life(&e) == Life::Alive => e,
        Some(_) => return Err(gone()),
        None => {
            return Err((
                format!(
                    "no container named '{}' in {} (hint: nsrun list shows them)",
                    out::Bytes(name),
                    out::Bytes(&store.path)
                ),
                state::NOT_FOUND,
            ))
        }
    };
    let pid = u32::try_from(e.pid).map_err(|_| gone())?;
    let dir = match mounts::open_proc_dir(Some(pid)) {
        Ok(d) => d,
        Err(Errno::NOENT) => return Err(gone()),
        Err(err) => return Ok((Some(pid), Err(err))),
    };
    let stat = mounts::read_at(dir.as_fd(), c"stat").map_err(|_| gone())?;
    if state::proc::parse_start(&stat) != Some(e.pid_start) {
        return Err(gone());
    }
    Ok((Some(pid), mounts::read_at(dir.as_fd(), c"mountinfo")))
}
