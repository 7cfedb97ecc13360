//! What each command does: the [`crate::cli`] front end parses the command line into a
//! [`Parsed`], and [`main`] hands it to the command's module here, which calls the subsystems
//! (the launcher, the state store, the cgroup code...) and turns their answer into output and an
//! exit status.

use crate::cli::Parsed;
use crate::{out, status};

mod demo;
mod enter;
mod gc;
mod kill;
mod list;
mod mounts;
mod oci;
mod release;
mod wait;

/// Does what the command line asked for and returns nsrun's exit status (a run exits with the
/// command's, from inside the launcher).
pub fn main(parsed: Result<Parsed, alloc::string::String>, environ: &[&[u8]]) -> i32 {
    match parsed {
        Ok(Parsed::Run(spec)) => crate::run::launch::run(&spec, environ),
        Ok(Parsed::OciBundle(dir)) => oci::run(&dir, environ),
        Ok(Parsed::Help(text)) => {
            out::stdout_str(&text);
            0
        }
        Ok(Parsed::Version) => {
            out::stdout_str(&crate::oci::cli::version());
            out::stdout_str(concat!(
                "build: ",
                env!("NSRUN_BUILD_TARGET"),
                "; Linux 3.15 or later\n"
            ));
            0
        }
        Ok(Parsed::Oci(request)) => crate::oci::runtime::main(&request, environ),
        Ok(Parsed::Gc) => gc::run(),
        Ok(Parsed::Mounts(m)) => mounts::run(&m, environ),
        Ok(Parsed::Demo { json }) => demo::run(json),
        Ok(Parsed::Enter(request)) => enter::run(&request, environ),
        Ok(Parsed::List { json, state_dir }) => list::run(state_dir.as_deref(), json, environ),
        Ok(Parsed::Kill {
            name,
            signal,
            all,
            state_dir,
        }) => kill::run(state_dir.as_deref(), &name, signal, all, environ),
        Ok(Parsed::Wait { name, state_dir }) => wait::run(state_dir.as_deref(), &name, environ),
        Ok(Parsed::Release { dir }) => release::run(&dir),
        Err(e) => {
            out::error_line(format_args!("{e} (see nsrun --help)"));
            status::USAGE
        }
    }
}

/// Prints a state store failure and returns its status.
fn failed(e: crate::state::Error) -> i32 {
    out::error_str(&e.line);
    e.code
}
