//! `pause ID` and `resume ID`: the freezer of the container's cgroup (`cgroup.freeze` on v2,
//! `freezer.state` of a v1 freezer hierarchy directory).

use super::{find, Failed};
use crate::state::{Entry, Store};

/// Runs `pause` (`on`) or `resume`.
pub fn run(store: &Store, id: &[u8], on: bool) -> Result<(), Failed> {
    let e = find(store, id)?;
    match super::status(&e)? {
        "running" if on => {}
        "paused" if !on => {}
        status => {
            return Err(crate::out::cat(&[
                &crate::out::around("container '", id, "' is "),
                status,
                if on { ", not running" } else { ", not paused" },
            ]))
        }
    }
    set(&e, on)
}

/// The directories of `e`'s cgroup that freeze: the v2 one, or a v1 one of the freezer
/// hierarchy.
fn dirs(e: &Entry) -> impl Iterator<Item = &[u8]> + '_ {
    e.cgroups.iter().map(|d| d.as_slice()).filter(move |dir| {
        e.cgroup_v2 || {
            let file = [*dir, b"/freezer.state"].concat();
            rustix::fs::access(file.as_slice(), rustix::fs::Access::EXISTS).is_ok()
        }
    })
}

/// Freezes (`on`) or thaws `e`, through [`crate::confine::cgroup::freezer`] (which waits until
/// the kernel says it is done).
pub fn set(e: &Entry, on: bool) -> Result<(), Failed> {
    let mut any = false;
    for dir in dirs(e) {
        any = true;
        crate::confine::cgroup::freezer::set(dir, e.cgroup_v2, on).map_err(|err| err.line())?;
    }
    match any {
        true => Ok(()),
        false => Err(crate::out::around(
            "container '",
            &e.name,
            "' has no freezer cgroup (hint: give it a cgroup: linux.cgroupsPath or resources)",
        )),
    }
}

/// Whether `e`'s cgroup is frozen, as the kernel reports it.
pub fn frozen(e: &Entry) -> bool {
    dirs(e).any(|dir| crate::confine::cgroup::freezer::frozen(dir, e.cgroup_v2).unwrap_or(false))
}
