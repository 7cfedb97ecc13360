//! The only unsafe code of nsrun: each function is small and says why it is sound.
#![allow(unsafe_code)]

pub mod alloc;
pub mod args;
pub mod bpf;
pub mod caps;
pub mod cgroup;
pub mod clock;
pub mod clone;
pub mod console;
pub mod entry;
pub mod errno;
pub mod exec;
pub mod exit;
pub mod fd;
pub mod mount;
pub mod net;
pub mod ns;
pub mod passfd;
pub mod process;
pub mod random;
pub mod rlimit;
pub mod runtime;
pub mod seccomp;
pub mod signal;
pub mod stack;
#[cfg(test)]
pub mod testing;
pub mod tty;
