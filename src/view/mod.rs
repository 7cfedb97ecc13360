//! Commands that only look: [`mounts`] (`nsrun mounts`) prints a process's mount tree, and
//! [`demo`] (`nsrun demo propagation`) runs the propagation experiments in scratch namespaces of
//! its own.

pub mod demo;
pub mod mounts;
