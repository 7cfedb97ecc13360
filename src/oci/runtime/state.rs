//! `state ID`: the container's state as JSON, as runc prints it.

use alloc::string::String;

use super::{find, Failed};
use crate::state::Store;

/// Runs `state`.
pub fn run(store: &Store, id: &[u8]) -> Result<(), Failed> {
    let e = find(store, id)?;
    let mut out = String::new();
    super::state_json(&mut out, &e, "  ")?;
    out.push('\n');
    crate::out::stdout_str(&out);
    Ok(())
}
