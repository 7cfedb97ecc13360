//! Confinement: what limits the command once the namespaces hide the host — capabilities,
//! seccomp filters, resource limits, cgroups and the smaller locks (no_new_privs, umask,
//! supplementary groups, the OOM score, a new session, no further user namespaces).
//!
//! Each lock is described plainly in the [`crate::spec::Spec`] by the front ends (the command
//! line now, an OCI config.json later), prepared by the launcher before clone, and applied by the
//! child or the command process just before exec.

pub mod caps;
pub mod cgroup;
pub mod rlimit;
pub mod seccomp;
