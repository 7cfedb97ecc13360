//! `start ID`: lets the process of a created container run (one byte on its fifo), runs the
//! `poststart` hooks kept in its entry and returns. A failing poststart hook fails `start` and
//! stops the container (SIGKILL), as runtime-spec 1.3.0's lifecycle and runc do (1.0.2 to 1.2
//! said: a warning).

use super::{find, Failed};
use crate::out;
use crate::state::{Life, Released, Status, Store};

/// Runs `start`.
pub fn run(store: &Store, id: &[u8]) -> Result<(), Failed> {
    let mut e = find(store, id)?;
    let alive = crate::state::life(&e) == Life::Alive;
    if !alive || e.status() != Status::Created {
        let status = super::status(&e)?;
        return Err(out::cat(&[
            &out::around("cannot start container '", id, "': it is "),
            status,
            ", not created",
        ]));
    }
    // The process is let go and executes its program before `start` goes on (poststart hooks
    // run after that).
    match store
        .release_fifo(id, e.pid, e.pid_start)
        .map_err(|e| e.line)?
    {
        Released::Started => {}
        Released::NoOne => {
            return Err(out::around(
                "cannot start container '",
                id,
                "': its process does not wait on its fifo (it was started already, or is ending)",
            ))
        }
        // The process ended before its program ran and said why (`nsrun: WHAT: WHY`).
        Released::Failed(said) => {
            let said = said.strip_suffix(b"\n").unwrap_or(&said);
            let said = said.strip_prefix(b"nsrun: ").unwrap_or(said);
            return Err(out::cat(&[
                &out::around("cannot start container '", id, "': "),
                &out::shown(said),
            ]));
        }
    }
    e.status = Some(Status::Running);
    // Only the status, and only in this container's own entry as it is now (a delete and a
    // create of the same id may have come between; `create`'s last write may have come after
    // the read above).
    store.set_status(&e, Status::Running).map_err(|e| e.line)?;
    if !e.poststart.is_empty() {
        let state = super::hook_state(&e, "running", e.pid);
        if let Err(line) = crate::oci::hooks::run_all("poststart", &e.poststart, &state) {
            let killed = crate::state::ops::kill_all(store, id, libc::SIGKILL);
            let what = match killed {
                Ok(()) => "the container was killed",
                Err(_) => "the container could not be killed",
            };
            return Err(out::cat(&[
                &line,
                " (hint: ",
                what,
                ", as the runtime spec asks after a failed poststart hook; delete removes it)",
            ]));
        }
    }
    Ok(())
}
