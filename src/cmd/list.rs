//! `nsrun list [--json]`: the containers of the state directory ([`crate::state`]).

use crate::out;
use crate::state::{ops, Store};

/// Runs `nsrun list`; unreadable files in the directory are said on stderr and make the status 1.
#[inline(never)]
pub fn run(dir: Option<&[u8]>, as_json: bool, env: &[&[u8]]) -> i32 {
    let found = Store::open(dir, env).and_then(|store| store.list());
    let (mut entries, bad) = match found {
        Ok(found) => found,
        Err(e) => return super::failed(e),
    };
    for e in &mut entries {
        ops::shared_ns(e);
    }
    let text = match as_json {
        true => ops::json(&entries),
        false => ops::table(&entries),
    };
    out::stdout_str(&text);
    for e in &bad {
        out::error_line(format_args!("warning: {}", e.line));
    }
    i32::from(!bad.is_empty())
}
