//! The two calls nsrun takes from rustix's `runtime` module: execve(2) and exit_group(2).
//!
//! rustix hides that module (its public name carries a hash that changes with every release) and
//! warns that some of its functions are undefined behaviour beside a C library: those that change
//! state libc keeps for itself (threads, TLS, signal handlers, the program break). These two touch
//! none of it. Each is the bare system call, exactly what musl's own `execve` and `_Exit` do: execve
//! replaces the whole process image (libc state included) or returns an errno and changes
//! nothing; exit_group ends every thread at once, without running atexit handlers or flushing
//! stdio, which nsrun never buffers (it writes with write(2)), and which a cloned child must not
//! run anyway.
//!
//! The pin: Cargo.toml requires rustix `=1.1.6` exactly, because this module's name is part of
//! that one release. A rustix upgrade changes that version and the hash below, and nothing else.

pub use rustix::runtime_448b8ad740e2a26f::{execve, exit_group};
