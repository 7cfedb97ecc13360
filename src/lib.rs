//! nsrun: run a command in fresh Linux namespaces, from one small static binary.
//!
//! Data flows one way: [`cli`] turns options into a [`spec::Spec`], [`plan`] prepares everything the
//! child needs (C strings, the ordered list of [`step::Step`]s, the exec candidates), [`launch`] clones
//! the child onto a stack it owns, and [`child`] applies the steps and becomes [`init`] or the command.
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]
// Unsafe code only in `sys`, each block with its SAFETY comment (sys/mod.rs allows it there).
#![deny(
    unsafe_code,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]

extern crate alloc;

pub mod child;
pub mod cli;
pub mod dev;
pub mod env;
pub mod exec;
pub mod forward;
pub mod host;
pub mod init;
pub mod job;
pub mod launch;
pub mod mountinfo;
pub mod ns;
pub mod out;
pub mod path;
pub mod plan;
pub mod report;
pub mod spec;
pub mod status;
pub mod step;
pub mod sys;
#[cfg(test)]
pub mod testing;
pub mod tree;
pub mod userns;
