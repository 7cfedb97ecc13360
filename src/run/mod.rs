//! The processes: the [`launch`]er on the host, the [`child`] it clones (which applies the setup
//! steps), nsrun's [`init`] as PID 1, and what passes between them: signals ([`forward`]), job
//! control ([`job`]) and the id maps of a new user namespace ([`userns`]).

pub mod cgroup_view;
pub mod child;
pub mod forward;
pub mod info;
pub mod init;
pub mod job;
pub mod launch;
pub mod userns;
