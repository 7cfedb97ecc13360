//! `pause ID` and `resume ID`: the freezer of the container's cgroup (`cgroup.freeze` on v2,
//! `freezer.state` of a v1 freezer hierarchy directory).

use super::{find, Failed};
use crate::state::{ops, Entry, Store};

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

/// The freezer files of `e`'s cgroup with what they say when frozen.
fn files(
    e: &Entry,
) -> impl Iterator<Item = (alloc::vec::Vec<u8>, &'static [u8], &'static [u8])> + '_ {
    e.cgroups.iter().filter_map(move |dir| match e.cgroup_v2 {
        true => Some((
            [dir.as_slice(), b"/cgroup.freeze"].concat(),
            &b"1"[..],
            &b"0"[..],
        )),
        false => {
            let file = [dir.as_slice(), b"/freezer.state"].concat();
            rustix::fs::access(file.as_slice(), rustix::fs::Access::EXISTS)
                .is_ok()
                .then_some((file, &b"FROZEN"[..], &b"THAWED"[..]))
        }
    })
}

/// Freezes (`on`) or thaws `e`.
pub fn set(e: &Entry, on: bool) -> Result<(), Failed> {
    let mut any = false;
    for (file, frozen, thawed) in files(e) {
        any = true;
        let fd = rustix::fs::open(
            file.as_slice(),
            rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
            rustix::fs::Mode::empty(),
        );
        let wrote = fd.and_then(|fd| rustix::io::write(&fd, if on { frozen } else { thawed }));
        if let Err(err) = wrote {
            return Err(crate::report::line(
                &crate::out::around("write ", &file, ""),
                err,
                None,
            ));
        }
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

/// Whether `e`'s cgroup is frozen.
pub fn frozen(e: &Entry) -> bool {
    files(e)
        .any(|(file, frozen, _)| ops::read_small(&file).is_ok_and(|t| t.trim_ascii_end() == frozen))
}
