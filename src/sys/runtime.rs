//! rustix's `runtime` module, whose public name carries a hash because its API is unstable; the
//! exact rustix version is pinned in Cargo.toml, so this one alias is the only place to update.

pub use rustix::runtime_448b8ad740e2a26f::{execve, exit_group};
