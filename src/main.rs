//! The `nsrun` binary: parse the command line, do what it asks ([`nsrun::cmd`]), exit with its
//! status.
#![cfg_attr(not(test), no_std)]
#![cfg_attr(not(test), no_main)]
#![deny(unsafe_code)]

extern crate alloc;

use nsrun::{cli, cmd, sys};

#[global_allocator]
static ALLOC: sys::alloc::Arena = sys::alloc::Arena::new();

nsrun::c_main!(run);

/// What `main` does with the arguments and the environment.
fn run(args: &[&'static [u8]], env: &[&'static [u8]]) -> i32 {
    cmd::main(cli::parse(args.get(1..).unwrap_or(&[])), env)
}

#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    nsrun::out::error_line(format_args!("internal error: {}", info.message()));
    sys::exit::exit_now(nsrun::status::SETUP_FAILED)
}
