//! `delete [--force] ID`: removes a container's state and cgroup. A created one is killed
//! first (as runc does); a running or paused one only with `--force`. Then the `poststop`
//! hooks kept in its entry run (a failure is a warning).

use super::{find, Failed};
use crate::state::{ops, Life, Status, Store};

/// Runs `delete`.
pub fn run(store: &Store, id: &[u8], force: bool) -> Result<(), Failed> {
    let e = find(store, id)?;
    match crate::state::life(&e) {
        Life::Elsewhere => return Err(crate::state::elsewhere(id).line),
        Life::Alive => {
            let status = super::status(&e)?;
            if !force && e.status() != Status::Created {
                return Err(crate::out::cat(&[
                    &crate::out::around("cannot delete container '", id, "' that is not stopped: "),
                    status,
                    " (hint: delete --force kills it)",
                ]));
            }
            if status == "paused" {
                let _ = super::freeze::set(&e, false);
            }
            if let Some(t) = ops::Target::open(e.pid, e.pid_start).map_err(|e| e.line)? {
                t.signal(libc::SIGKILL, e.pid_start).map_err(|e| e.line)?;
                t.wait(e.pid_start);
            }
        }
        _ => {}
    }
    if !e.cgroups.is_empty() {
        let cgroup =
            crate::confine::cgroup::Cgroup::existing(e.cgroup_v2, &e.cgroups, &e.cgroup_made);
        cgroup.remove().map_err(|e| e.line())?;
    }
    store.delete(&e).map_err(|e| e.line)?;
    if !e.poststop.is_empty() {
        let state = super::hook_state(&e, "stopped", 0);
        crate::oci::hooks::run_all_warning("poststop", &e.poststop, &state);
    }
    Ok(())
}
