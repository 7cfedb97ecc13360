//! `nsrun demo propagation [--json]`: runs the experiments ([`crate::view::demo`]) and prints
//! what they observed.

use crate::{out, status};

/// Runs `nsrun demo propagation`: 0, or 125 when a step failed or nsrun's mount table changed.
/// Not inlined into `main`: its code stays off the pages a plain run touches.
#[inline(never)]
pub fn run(json: bool) -> i32 {
    match crate::view::demo::run(json) {
        Ok(text) => {
            out::stdout_str(&text);
            0
        }
        Err(line) => {
            if !line.is_empty() {
                out::error_str(&line);
            }
            status::SETUP_FAILED
        }
    }
}
