//! `nsrun kill [--state-dir DIR] [--all] NAME [SIGNAL]` (also what OCI callers send: `kill ID 15`,
//! `kill --all ID 9`).

use alloc::string::String;
use alloc::vec::Vec;

use super::table::{Args, Got, Item};
use super::Parsed;
use crate::opt;
use crate::out::Bytes as Show;

#[derive(Clone, Copy)]
pub(super) enum Opt {
    StateDir,
    All,
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
    opt!(
        "a",
        "--all",
        "",
        Flag,
        "",
        "every process of the container (its cgroup, or its PID namespace)",
        Opt::All
    ),
    opt!("h", "--help", "", Flag, "", "this text", Opt::Help),
    Item::Note("SIGNAL: a name (TERM, SIGTERM, term) or a number; default TERM."),
];

/// The operands of `kill` and `wait`, after their options.
pub(super) fn operands<'a, T: Copy>(
    args: &mut Args<'a, T>,
    mut option: impl FnMut(T, &[u8], Option<&[u8]>) -> Result<Option<Parsed>, String>,
) -> Result<Result<Vec<&'a [u8]>, Parsed>, String> {
    let mut words = Vec::new();
    loop {
        match args.take()? {
            Got::Opt {
                def, name, value, ..
            } => {
                if let Some(done) = option(def.tag, name, value)? {
                    return Ok(Err(done));
                }
            }
            Got::Operand(w) => words.push(w),
            Got::End => {
                words.extend_from_slice(args.rest());
                return Ok(Ok(words));
            }
        }
    }
}

pub(super) fn parse(words: &[&[u8]]) -> Result<Parsed, String> {
    let mut args = Args::new(words, OPTIONS);
    let (mut dir, mut all) = (None, false);
    let found = operands(&mut args, |tag, name, value| {
        match tag {
            Opt::StateDir => dir = Some(super::list::state_dir(name, value, &dir)?),
            Opt::All => all = true,
            Opt::Help => return Ok(Some(Parsed::Help(super::help_of("kill")))),
        }
        Ok(None)
    })?;
    let words = match found {
        Ok(words) => words,
        Err(done) => return Ok(done),
    };
    let (name, signal) = match words.as_slice() {
        [name] => (name, libc::SIGTERM),
        [name, sig] => match super::signal_number(sig) {
            Some(n) => (name, n),
            None => {
                return Err(alloc::format!(
                    "kill: '{}' is not a signal name or number",
                    Show(sig)
                ))
            }
        },
        [] => return Err("kill needs the container's NAME".into()),
        _ => return Err("kill takes NAME and at most one SIGNAL".into()),
    };
    crate::state::check_id(name)?;
    Ok(Parsed::Kill {
        name: name.to_vec(),
        signal,
        all,
        state_dir: dir,
    })
}
