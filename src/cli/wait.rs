//! `nsrun wait [--state-dir DIR] NAME`.

use alloc::string::String;

use super::table::{Args, Item};
use super::Parsed;
use crate::opt;

#[derive(Clone, Copy)]
pub(super) enum Opt {
    StateDir,
    Help,
}

pub(super) const OPTIONS: &[Item<Opt>] = &[
    opt!(
        "",
        "--state-dir",
        "",
        One,
        "DIR",
        "the state directory (as for nsrun list)",
        Opt::StateDir
    ),
    opt!("h", "--help", "", Flag, "", "this text", Opt::Help),
];

pub(super) fn parse(words: &[&[u8]]) -> Result<Parsed, String> {
    let mut args = Args::new(words, OPTIONS);
    let mut dir = None;
    let found = super::kill::operands(&mut args, |tag, name, value| {
        match tag {
            Opt::StateDir => dir = Some(super::list::state_dir(name, value, &dir)?),
            Opt::Help => return Ok(Some(Parsed::Help(super::help_of("wait")))),
        }
        Ok(None)
    })?;
    let words = match found {
        Ok(words) => words,
        Err(done) => return Ok(done),
    };
    let name = match words.as_slice() {
        [name] => name,
        [] => return Err("wait needs the container's NAME".into()),
        _ => return Err("wait takes one NAME".into()),
    };
    crate::state::check_name(name)?;
    Ok(Parsed::Wait {
        name: name.to_vec(),
        state_dir: dir,
    })
}
