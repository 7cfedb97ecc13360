//! `nsrun mounts [--json] [PID]`: reads the mount table ([`crate::view::mounts`]) and prints its
//! tree, or says why it cannot.

use alloc::format;
use alloc::string::String;
use rustix::io::Errno;

use crate::view::mounts;
use crate::{out, status};

/// How messages name the mount table of `pid`.
fn shown(pid: Option<u32>) -> String {
    match pid {
        Some(p) => format!("/proc/{p}/mountinfo"),
        None => "/proc/self/mountinfo".into(),
    }
}

/// Runs `nsrun mounts`: 0, or 125 when the table cannot be read or is not in the kernel's format.
/// Not inlined into `main`: its code stays off the pages a plain run touches.
#[inline(never)]
pub fn run(pid: Option<u32>, json: bool) -> i32 {
    let text = match mounts::read_table(pid) {
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
    match mounts::render(&text, json) {
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
