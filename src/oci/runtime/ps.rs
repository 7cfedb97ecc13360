//! `ps [--format json] ID`: the pids of the container's processes (its cgroup's, else its
//! PID namespace's: [`crate::state::ops::members`]).

use alloc::string::String;

use super::{find, Failed};
use crate::state::{ops, Store};

/// Runs `ps`.
pub fn run(store: &Store, id: &[u8], json: bool) -> Result<(), Failed> {
    let e = find(store, id)?;
    let pids = match super::status(&e)? {
        "stopped" => alloc::vec::Vec::new(),
        _ => ops::members(&e),
    };
    let mut out = String::from(if json { "[" } else { "PID\n" });
    for (i, pid) in pids.iter().enumerate() {
        if json && i > 0 {
            out.push(',');
        }
        crate::out::push_i32(&mut out, *pid);
        if !json {
            out.push('\n');
        }
    }
    if json {
        out.push_str("]\n");
    }
    crate::out::stdout_str(&out);
    Ok(())
}
