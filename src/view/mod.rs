//! Commands that only look: [`mounts`] (`nsrun mounts`) prints a process's mount tree.

pub mod mounts;
