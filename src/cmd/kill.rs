//! `nsrun kill NAME [SIGNAL]`: signals a named container's PID 1 ([`crate::state::ops::kill`]).

use crate::state::{ops, Store};

/// Runs `nsrun kill`.
#[inline(never)]
pub fn run(dir: Option<&[u8]>, name: &[u8], signo: i32, env: &[&[u8]]) -> i32 {
    match Store::open(dir, env).and_then(|s| ops::kill(&s, name, signo)) {
        Ok(()) => 0,
        Err(e) => super::failed(e),
    }
}
