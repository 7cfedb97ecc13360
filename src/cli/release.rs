//! `nsrun release DIR`: its one operand.

use alloc::string::String;

use super::table::{Args, Got, Item};
use super::Parsed;
use crate::opt;

#[derive(Clone, Copy)]
pub(super) enum Opt {
    Help,
}

pub(super) const OPTIONS: &[Item<Opt>] = &[
    opt!("h", "--help", "", Flag, "", "this text", Opt::Help),
    Item::Note("DIR: the directory given to run --keep."),
];

pub(super) fn parse(words: &[&[u8]]) -> Result<Parsed, String> {
    let mut args = Args::new(words, OPTIONS);
    let mut dir = None;
    loop {
        match args.take()? {
            Got::Opt { def, .. } => match def.tag {
                Opt::Help => return Ok(Parsed::Help(super::help_of("release"))),
            },
            Got::Operand(word) if dir.is_none() && !word.is_empty() => dir = Some(word.to_vec()),
            Got::End if args.rest().is_empty() => {
                return match dir {
                    Some(dir) => Ok(Parsed::Release { dir }),
                    None => Err("release needs the DIR given to --keep".into()),
                }
            }
            Got::Operand(_) | Got::End => {
                return Err("release takes one DIR (the one given to run --keep)".into())
            }
        }
    }
}
