//! `nsrun gc`: removes the cgroups of killed runs and says what it removed and what stays.

use crate::{out, status};

/// Runs `nsrun gc`.
#[inline(never)]
pub fn run() -> i32 {
    match crate::confine::cgroup::gc() {
        Ok(found) => {
            for path in &found.removed {
                line("removed", path);
            }
            for path in &found.busy {
                line("kept (processes still in it)", path);
            }
            0
        }
        Err(e) => {
            out::error_line(format_args!("gc: {}", e.line()));
            status::SETUP_FAILED
        }
    }
}

fn line(what: &str, path: &[u8]) {
    let mut text = out::cat(&[what, " "]);
    out::push_shown(&mut text, path);
    text.push('\n');
    out::stdout_str(&text);
}
