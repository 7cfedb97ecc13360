//! `nsrun enter`: finds the container (a pid, a name in the state store, or a kept directory)
//! and hands it to [`crate::join::enter`].

use crate::cli::{Enter, Which};
use crate::join::enter::{self, Request, Source};
use crate::out;
use crate::state::{self, Life, Store};

/// Runs `nsrun enter`; returns the command's status, or 125 when nsrun failed.
#[inline(never)]
pub fn run(request: &Enter, environ: &[&[u8]]) -> i32 {
    let source = match &request.which {
        Which::Pid(pid) => Source::Process {
            pid: *pid,
            start: None,
        },
        Which::Kept(dir) => Source::Kept(dir),
        Which::Name(name) => match named(request.state_dir.as_deref(), name, environ) {
            Ok(source) => source,
            Err(code) => return code,
        },
    };
    enter::enter(
        &Request {
            source,
            kinds: request.kinds,
            command: &request.command,
            process: None,
        },
        environ,
    )
}

/// The container `name` of the state store: its PID 1 and that process's start time, so a pid
/// the store recorded but another process has now is never entered. A stale entry (nothing of it
/// runs any more) is removed by the store and is not found; one that has ended is refused; both
/// exit with 1, as `kill` and `wait` do.
fn named<'a>(dir: Option<&[u8]>, name: &[u8], environ: &[&[u8]]) -> Result<Source<'a>, i32> {
    let found = Store::open(dir, environ).and_then(|store| store.find(name));
    let shown = out::Bytes(name);
    match found {
        Err(e) => Err(super::failed(e)),
        Ok(None) => {
            out::error_line(format_args!(
                "enter: no container named '{shown}' (hint: nsrun list shows them)"
            ));
            Err(state::NOT_FOUND)
        }
        Ok(Some(entry)) => match state::life(&entry) {
            Life::Alive => Ok(Source::Process {
                pid: entry.pid,
                start: Some(entry.pid_start),
            }),
            Life::Elsewhere => Err(super::failed(state::elsewhere(name))),
            _ => {
                out::error_line(format_args!("enter: container '{shown}' has ended"));
                Err(state::NOT_FOUND)
            }
        },
    }
}
