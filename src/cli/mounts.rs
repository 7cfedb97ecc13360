//! `nsrun mounts [--json] [--state-dir DIR] [NAME|PID]`: its options, and the one operand.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::table::{Args, Got, Item};
use super::Parsed;
use crate::opt;
use crate::out::Bytes as Show;

#[derive(Clone, Copy)]
pub(super) enum Opt {
    Help,
    Json,
    StateDir,
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
    opt!(
        "",
        "--state-dir",
        "",
        One,
        "DIR",
        "where named containers are recorded (as for run --name)",
        Opt::StateDir
    ),
    opt!("h", "--help", "", Flag, "", "this text", Opt::Help),
    Item::Note("NAME: a container started with run --name; PID (digits): any process."),
    Item::Note("Default: nsrun's own mount table."),
];

#[inline(never)]
pub(super) fn parse(words: &[&[u8]]) -> Result<Parsed, String> {
    let mut args = Args::new(words, OPTIONS);
    let (mut which, mut json, mut state_dir) = (None, false, None);
    loop {
        match args.take()? {
            Got::Opt {
                def, name, value, ..
            } => match def.tag {
                Opt::Help => return Ok(Parsed::Help(super::help_of("mounts"))),
                Opt::Json if json => return Err("mounts: --json given twice".into()),
                Opt::Json => json = true,
                Opt::StateDir => state_dir = Some(super::list::state_dir(name, value, &state_dir)?),
            },
            Got::Operand(word) if which.is_none() => {
                which = Some(match word.iter().all(u8::is_ascii_digit) {
                    // Digits are a pid (as for enter): 1 to 2^31-1.
                    true => Which::Pid(
                        crate::mountinfo::number(word)
                            .ok()
                            .filter(|&n| n > 0 && n <= i32::MAX as u32)
                            .ok_or_else(|| {
                                format!("mounts: '{}' is not a process id", Show(word))
                            })?,
                    ),
                    false => {
                        crate::state::check_name(word).map_err(|e| format!("mounts: {e}"))?;
                        Which::Name(word.to_vec())
                    }
                });
            }
            Got::End if args.rest().is_empty() => {
                return Ok(Parsed::Mounts(Mounts {
                    which,
                    json,
                    state_dir,
                }))
            }
            Got::Operand(_) | Got::End => {
                return Err(
                    "mounts takes [--json] [--state-dir DIR] [NAME|PID] (to run a command \
                            named mounts: nsrun -- mounts ...)"
                        .into(),
                )
            }
        }
    }
}

/// Whose mount table.
#[derive(Debug, PartialEq, Eq)]
pub enum Which {
    /// A process.
    Pid(u32),
    /// A container of the state store.
    Name(Vec<u8>),
}

/// What `nsrun mounts` was asked.
#[derive(Debug, PartialEq, Eq)]
pub struct Mounts {
    /// None: nsrun's own table.
    pub which: Option<Which>,
    /// JSON instead of text.
    pub json: bool,
    /// `--state-dir`.
    pub state_dir: Option<Vec<u8>>,
}
