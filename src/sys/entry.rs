//! The program's C entry points, generated into the binary by [`c_main!`](crate::c_main).
//!
//! musl's start-up code calls `main(argc, argv, envp)`; nsrun has no std to do this for it. The
//! macro lives here, with the only unsafe operation it needs (reading the C arrays, see
//! [`super::args`]), so the binary's own source holds no unsafe code. It also defines the two
//! unwinding symbols that the prebuilt `alloc` of unoptimised builds names but never reaches (both
//! profiles set `panic = "abort"`).

/// Defines `main` for musl's start-up code: it turns argv and envp into byte slices and returns
/// `$run(&args, &env)` as the exit status.
#[macro_export]
macro_rules! c_main {
    ($run:path) => {
        /// Entry point called by musl's start-up code with the process's arguments and environment.
        #[cfg_attr(not(test), no_mangle)]
        #[allow(unsafe_code)]
        extern "C" fn main(argc: i32, argv: *const *const u8, envp: *const *const u8) -> i32 {
            // SAFETY: argv and envp come straight from the C runtime, which guarantees argc valid
            // C strings in argv and a NULL-terminated envp, alive for the whole program.
            let (args, env) = unsafe {
                (
                    $crate::sys::args::from_argv(argc, argv),
                    $crate::sys::args::from_envp(envp),
                )
            };
            $run(&args, &env)
        }

        /// Never called (both profiles set `panic = "abort"`), but the prebuilt `alloc` that
        /// unoptimised builds link without LTO still names it.
        #[cfg(not(test))]
        #[allow(unsafe_code)]
        #[no_mangle]
        pub extern "C" fn rust_eh_personality() {}

        /// As `rust_eh_personality`: named by the prebuilt `alloc`, never reached without
        /// unwinding.
        #[cfg(not(test))]
        #[allow(unsafe_code)]
        #[no_mangle]
        pub extern "C" fn _Unwind_Resume() -> ! {
            $crate::sys::exit::exit_now($crate::status::SETUP_FAILED)
        }
    };
}
