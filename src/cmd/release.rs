//! `nsrun release DIR`: unmounts and removes what `run --keep DIR` made ([`crate::join::keep`]).

use crate::{out, status};

/// Runs `nsrun release DIR`: 0 when nothing of --keep is left, else 125 with one line.
#[inline(never)]
pub fn run(dir: &[u8]) -> i32 {
    match crate::join::keep::release(dir) {
        Ok(()) => 0,
        Err(line) => {
            out::error_str(&line);
            status::SETUP_FAILED
        }
    }
}
