//! `nsrun kill NAME [SIGNAL]`: signals a named container's PID 1 ([`crate::state::ops::kill`]).

use crate::state::{ops, Store};

/// Runs `nsrun kill`.
#[inline(never)]
pub fn run(dir: Option<&[u8]>, name: &[u8], signo: i32, all: bool, env: &[&[u8]]) -> i32 {
    let kill = |s: &Store| match all {
        true => ops::kill_all(s, name, signo),
        false => ops::kill(s, name, signo),
    };
    match Store::open(dir, env).and_then(|s| kill(&s)) {
        Ok(()) => 0,
        Err(e) => super::failed(e),
    }
}
