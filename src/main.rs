//! The `nsrun` binary: parse the command line, run the container, exit with its status.
#![cfg_attr(not(test), no_std)]
#![cfg_attr(not(test), no_main)]
#![deny(unsafe_code)]

extern crate alloc;

use nsrun::run::launch;
use nsrun::{cli, out, status, sys};

#[global_allocator]
static ALLOC: sys::alloc::Arena = sys::alloc::Arena::new();

nsrun::c_main!(run);

/// What `main` does with the arguments and the environment.
fn run(args: &[&'static [u8]], env: &[&'static [u8]]) -> i32 {
    let spec = match cli::parse(args.get(1..).unwrap_or(&[])) {
        Ok(cli::Parsed::Run(spec)) => spec,
        Ok(cli::Parsed::Help) => {
            out::stdout_str(cli::HELP);
            return 0;
        }
        Ok(cli::Parsed::Version) => {
            out::stdout_str(concat!(
                "nsrun ",
                env!("CARGO_PKG_VERSION"),
                " (",
                env!("NSRUN_BUILD_TARGET"),
                "; Linux 3.15 or later)\n"
            ));
            return 0;
        }
        Ok(cli::Parsed::Gc) => return gc(),
        Err(e) => {
            out::error_line(format_args!("{e} (see nsrun --help)"));
            return status::USAGE;
        }
    };
    launch::run(&spec, env)
}

/// `nsrun gc`: removes the cgroups of killed runs and says what it removed and what stays.
fn gc() -> i32 {
    match nsrun::confine::cgroup::gc() {
        Ok(found) => {
            for path in &found.removed {
                out::stdout_str(&alloc_line("removed", path));
            }
            for path in &found.busy {
                out::stdout_str(&alloc_line("kept (processes still in it)", path));
            }
            0
        }
        Err(e) => {
            out::error_line(format_args!("gc: {}", e.line()));
            status::SETUP_FAILED
        }
    }
}

fn alloc_line(what: &str, path: &[u8]) -> alloc::string::String {
    alloc::format!("{what} {}\n", out::Bytes(path))
}

#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    out::error_line(format_args!("internal error: {}", info.message()));
    sys::exit::exit_now(status::SETUP_FAILED)
}
