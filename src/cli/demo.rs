//! `nsrun demo propagation [--json]`: its options, and the demo's name.

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
        "the observations as one JSON object",
        Opt::Json
    ),
    opt!("h", "--help", "", Flag, "", "this text", Opt::Help),
    Item::Note("propagation: shared, slave, private and unbindable mounts between two mount"),
    Item::Note("namespaces, and a new namespace whose / is still shared, in scratch namespaces"),
    Item::Note("of its own on a tmpfs (as root, or in a new user namespace)."),
];

#[inline(never)]
pub(super) fn parse(words: &[&[u8]]) -> Result<Parsed, String> {
    let mut args = Args::new(words, OPTIONS);
    let (mut name, mut json) = (None, false);
    loop {
        match args.take()? {
            Got::Opt { def, .. } => match def.tag {
                Opt::Help => return Ok(Parsed::Help(super::help_of("demo"))),
                Opt::Json if json => return Err("demo: --json given twice".into()),
                Opt::Json => json = true,
            },
            Got::Operand(word) if name.is_none() => match word {
                b"propagation" => name = Some(()),
                _ => {
                    return Err(format!(
                        "demo: no demo named '{}' (there is: propagation)",
                        Show(word)
                    ))
                }
            },
            Got::End if args.rest().is_empty() && name.is_some() => {
                return Ok(Parsed::Demo { json })
            }
            Got::End if args.rest().is_empty() => {
                return Err("demo needs the demo's name: nsrun demo propagation".into())
            }
            Got::Operand(_) | Got::End => {
                return Err("demo takes propagation [--json]".into());
            }
        }
    }
}
