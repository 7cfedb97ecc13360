//! `nsrun mounts [--json] [PID]`: its options, and the one operand.

use alloc::format;
use alloc::string::String;

use super::table::{Args, Got, Item};
use super::Parsed;
use crate::opt;
use crate::out::Bytes as Show;

#[derive(Clone, Copy)]
pub(super) enum Opt {
    Help,
    Json,
}

pub(super) const OPTIONS: &[Item<Opt>] = &[
    opt!(
        "",
        "--json",
        "",
        Flag,
        "",
        "one JSON object a line, in an array",
        Opt::Json
    ),
    opt!("h", "--help", "", Flag, "", "this text", Opt::Help),
    Item::Note("PID: the process whose mount table to show (default: nsrun's own)."),
];

#[inline(never)]
pub(super) fn parse(words: &[&[u8]]) -> Result<Parsed, String> {
    let mut args = Args::new(words, OPTIONS);
    let (mut pid, mut json) = (None, false);
    loop {
        match args.take()? {
            Got::Opt { def, .. } => match def.tag {
                Opt::Help => return Ok(Parsed::Help(super::help_of("mounts"))),
                Opt::Json if json => return Err("mounts: --json given twice".into()),
                Opt::Json => json = true,
            },
            Got::Operand(word) if pid.is_none() => {
                let n = crate::mountinfo::number(word)
                    .ok()
                    .filter(|&n| n > 0 && n <= i32::MAX as u32)
                    .ok_or_else(|| format!("mounts: '{}' is not a process id", Show(word)))?;
                pid = Some(n);
            }
            Got::End if args.rest().is_empty() => return Ok(Parsed::Mounts { pid, json }),
            Got::Operand(_) | Got::End => return Err(
                "mounts takes [--json] [PID] (to run a command named mounts: nsrun -- mounts ...)"
                    .into(),
            ),
        }
    }
}
