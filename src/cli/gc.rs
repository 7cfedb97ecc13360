//! `nsrun gc`: no options but `--help`.

use alloc::string::String;

use super::table::{Args, Got, Item};
use super::Parsed;
use crate::opt;

#[derive(Clone, Copy)]
pub(super) enum Opt {
    Help,
}

pub(super) const OPTIONS: &[Item<Opt>] =
    &[opt!("h", "--help", "", Flag, "", "this text", Opt::Help)];

pub(super) fn parse(words: &[&[u8]]) -> Result<Parsed, String> {
    let mut args = Args::new(words, OPTIONS);
    match args.take()? {
        Got::Opt { def, .. } => match def.tag {
            Opt::Help => Ok(Parsed::Help(super::help_of("gc"))),
        },
        Got::End if args.rest().is_empty() => Ok(Parsed::Gc),
        _ => Err("gc takes no arguments (to run a command named gc: nsrun -- gc ...)".into()),
    }
}
