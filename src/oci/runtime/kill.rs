//! `kill [--all] ID [SIGNAL]`: signals the container's process through its pidfd (with
//! `--all`, every process of its cgroup or PID namespace: [`crate::state::ops::kill_all`]).

use super::{find, Failed};
use crate::state::{ops, Life, Store};

/// Runs `kill`.
pub fn run(store: &Store, id: &[u8], signo: i32, all: bool) -> Result<(), Failed> {
    let e = find(store, id)?;
    if all {
        return ops::kill_all(store, id, signo).map_err(|e| e.line);
    }
    match crate::state::life(&e) {
        Life::Alive => {}
        Life::Elsewhere => return Err(crate::state::elsewhere(id).line),
        _ => {
            return Err(crate::out::around(
                "container '",
                id,
                "': container not running",
            ))
        }
    }
    let not_running = || crate::out::around("container '", id, "': container not running");
    let target = ops::Target::open(e.pid, e.pid_start)
        .map_err(|e| e.line)?
        .ok_or_else(not_running)?;
    match target.signal(signo, e.pid_start).map_err(|e| e.line)? {
        true => Ok(()),
        false => Err(not_running()),
    }
}
