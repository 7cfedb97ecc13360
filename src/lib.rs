//! nsrun: run a command in fresh Linux namespaces, from one small static binary.
//!
//! Data flows one way, and the modules follow it: [`cli`] turns options into a [`spec::Spec`];
//! [`plan`] prepares everything the child needs (C strings, the ordered list of
//! [`setup::step::Step`]s, the exec candidates) and checks the host first; [`run::launch`] clones
//! the child onto a stack it owns; [`run::child`] applies the steps of [`setup`] to the container's
//! [`setup::tree`] and becomes [`run::init`] or the command. [`report`] carries failures back, and
//! [`sys`] holds every unsafe call.
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]
// Unsafe code only in `sys`, each block with its SAFETY comment (sys/mod.rs allows it there).
#![deny(
    unsafe_code,
    unsafe_op_in_unsafe_fn,
    clippy::undocumented_unsafe_blocks
)]

extern crate alloc;

pub mod cli;
pub mod cmd;
pub mod confine;
pub mod join;
pub mod json;
pub mod mountinfo;
pub mod ns;
pub mod oci;
pub mod out;
pub mod plan;
pub mod report;
pub mod run;
pub mod setup;
pub mod spec;
pub mod state;
pub mod status;
pub mod sys;
#[cfg(test)]
pub mod testing;
pub mod view;
