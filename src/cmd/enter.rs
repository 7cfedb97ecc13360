//! `nsrun enter`: finds the container (a pid, a name in the state store, or a kept directory)
//! and hands it to [`crate::join::enter`].

use crate::cli::{Enter, Which};
use crate::join::enter::{self, Request, Source};
use crate::{out, status};

/// Runs `nsrun enter`; returns the command's status, or 125 when nsrun failed.
pub fn run(request: &Enter, environ: &[&[u8]]) -> i32 {
    let source = match &request.which {
        Which::Pid(pid) => Source::Process {
            pid: *pid,
            start: None,
        },
        Which::Kept(dir) => Source::Kept(dir),
        Which::Name(name) => {
            out::error_line(format_args!(
                "enter {}: containers by name need the state store, which this build lacks \
                 (hint: give the pid of the container's PID 1)",
                out::Bytes(name)
            ));
            return status::SETUP_FAILED;
        }
    };
    enter::enter(
        &Request {
            source,
            kinds: request.kinds,
            command: &request.command,
        },
        environ,
    )
}
