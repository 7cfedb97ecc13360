//! The `nsrun` binary: parse the command line, run the container, exit with its status.
#![cfg_attr(not(test), no_std)]
#![cfg_attr(not(test), no_main)]

use nsrun::{cli, launch, out, status, sys};

#[global_allocator]
static ALLOC: sys::alloc::Arena = sys::alloc::Arena::new();

/// Entry point called by musl's start-up code with the process's arguments and environment.
#[cfg_attr(not(test), no_mangle)]
extern "C" fn main(argc: i32, argv: *const *const u8, envp: *const *const u8) -> i32 {
    // SAFETY: argv and envp come straight from the C runtime, which guarantees their layout.
    let (args, env) = unsafe { (sys::args::from_argv(argc, argv), sys::args::from_envp(envp)) };
    let spec = match cli::parse(args.get(1..).unwrap_or(&[])) {
        Ok(cli::Parsed::Run(spec)) => spec,
        Ok(cli::Parsed::Help) => {
            out::stdout_str(cli::HELP);
            return 0;
        }
        Ok(cli::Parsed::Version) => {
            out::stdout_str(concat!("nsrun ", env!("CARGO_PKG_VERSION"), "\n"));
            return 0;
        }
        Err(e) => {
            out::error_line(format_args!("{e} (see nsrun --help)"));
            return status::USAGE;
        }
    };
    launch::run(&spec, &env)
}

#[cfg(not(test))]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    out::error_line(format_args!("internal error: {}", info.message()));
    sys::exit::exit_now(status::SETUP_FAILED)
}

/// Never called (both profiles set `panic = "abort"`), but the prebuilt `alloc` that unoptimised
/// builds link without LTO still names it.
#[cfg(not(test))]
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}

/// As [`rust_eh_personality`]: named by the prebuilt `alloc`, never reached without unwinding.
#[cfg(not(test))]
#[no_mangle]
pub extern "C" fn _Unwind_Resume() -> ! {
    sys::exit::exit_now(status::SETUP_FAILED)
}
