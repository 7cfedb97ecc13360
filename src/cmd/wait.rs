//! `nsrun wait NAME`: waits for a named container's end ([`crate::state::ops::wait`]).

use crate::state::{ops, Store};

/// Runs `nsrun wait`: the container's recorded exit status (125 when none was recorded).
#[inline(never)]
pub fn run(dir: Option<&[u8]>, name: &[u8], env: &[&[u8]]) -> i32 {
    match Store::open(dir, env).and_then(|s| ops::wait(&s, name)) {
        Ok(code) => code,
        Err(e) => super::failed(e),
    }
}
