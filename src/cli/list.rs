//! `nsrun list [--json] [--state-dir DIR]`.

use alloc::string::String;
use alloc::vec::Vec;

use super::table::{Args, Got, Item};
use super::Parsed;
use crate::opt;

#[derive(Clone, Copy)]
pub(super) enum Opt {
    Json,
    StateDir,
    Help,
}

pub(super) const OPTIONS: &[Item<Opt>] = &[
    opt!("", "--json", "", Flag, "", "a JSON array, one object a container", Opt::Json),
    opt!(
        "",
        "--state-dir",
        "",
        One,
        "DIR",
        "the state directory (default: NSRUN_STATE_DIR, /run/nsrun for root, else $XDG_RUNTIME_DIR/nsrun)",
        Opt::StateDir
    ),
    opt!("h", "--help", "", Flag, "", "this text", Opt::Help),
];

pub(super) fn parse(words: &[&[u8]]) -> Result<Parsed, String> {
    let mut args = Args::new(words, OPTIONS);
    let (mut json, mut dir) = (false, None);
    loop {
        match args.take()? {
            Got::Opt {
                def, name, value, ..
            } => match def.tag {
                Opt::Json => json = true,
                Opt::StateDir => dir = Some(state_dir(name, value, &dir)?),
                Opt::Help => return Ok(Parsed::Help(super::help_of("list"))),
            },
            Got::End if args.rest().is_empty() => {
                return Ok(Parsed::List {
                    json,
                    state_dir: dir,
                })
            }
            _ => return Err("list takes no arguments".into()),
        }
    }
}

/// The value of `--state-dir` (given once, not empty), for every command that takes it.
pub(super) fn state_dir(
    name: &[u8],
    value: Option<&[u8]>,
    before: &Option<Vec<u8>>,
) -> Result<Vec<u8>, String> {
    let v = value.unwrap_or_default();
    if before.is_some() {
        return Err(alloc::format!("{} given twice", super::Show(name)));
    }
    if v.is_empty() {
        return Err(alloc::format!(
            "{}: the directory must not be empty",
            super::Show(name)
        ));
    }
    Ok(v.to_vec())
}
