//! What an OCI `cgroup` mount shows: the container's own cgroup. The launcher makes the
//! container's cgroup first, then turns each such mount of the spec into its view:
//!
//! * on cgroup v1 (this machine's hierarchies with limits), as runc does: a tmpfs at the mount
//!   point and, in it, a bind of the container's directory of each hierarchy, named by its
//!   controller (`memory`, `pids`, `cpu`, `devices`, `freezer`), with the mount's flags (`ro`,
//!   `nosuid`, ...), read-only without a cgroup namespace; the tmpfs is made read-only after the
//!   binds when the mount is;
//! * otherwise (cgroup v2, or no cgroup of the container), a `cgroup2` mount with those flags,
//!   read-only without a cgroup namespace of the container's own (it shows every cgroup then).
//!
//! A `cgroup` mount that is a bind (a rootless container's view of the host's hierarchies,
//! [`crate::oci::to_spec`]) stays as it is.

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::confine::cgroup::Cgroup;
use crate::oci::mount::{MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_REC};
use crate::spec::{GeneralMount, MountOp, Spec};

fn is_view(m: &MountOp) -> bool {
    matches!(m, MountOp::Mount(g) if g.fstype == b"cgroup" && !g.is_bind())
}

/// Whether `spec` has a mount to turn into a view.
pub fn wanted(spec: &Spec) -> bool {
    spec.mounts.iter().any(is_view)
}

/// `spec` with each `cgroup` mount turned into the view of `cgroup`.
pub fn rewrite(spec: &Spec, cgroup: Option<&Cgroup>) -> Spec {
    let own_ns = spec.namespaces.has(crate::ns::Kind::Cgroup);
    let mut out = spec.clone();
    out.mounts = Vec::with_capacity(spec.mounts.len());
    for m in &spec.mounts {
        match m {
            MountOp::Mount(g) if is_view(m) => view(&mut out.mounts, g, cgroup, own_ns),
            other => out.mounts.push(other.clone()),
        }
    }
    out
}

fn view(mounts: &mut Vec<MountOp>, g: &GeneralMount, cgroup: Option<&Cgroup>, own_ns: bool) {
    let Some(cg) = cgroup.filter(|c| !c.is_v2()) else {
        let mut v2 = g.clone();
        v2.fstype = b"cgroup2".to_vec();
        // Without a cgroup namespace of its own a cgroup2 mount shows the whole hierarchy: a
        // writable one would let the container's root move itself out of its cgroup (its
        // limits, its device filter) into any other. Read-only then, whatever the config says.
        if !own_ns {
            v2.flags |= MS_RDONLY;
        }
        mounts.push(MountOp::Mount(Box::new(v2)));
        return;
    };
    // Without a cgroup namespace read-only, whatever the config says: the container's root
    // could write its own limits through a writable bind.
    let forced = if own_ns { 0 } else { MS_RDONLY };
    let kept = g.flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC) | forced;
    mounts.push(MountOp::Mount(Box::new(GeneralMount {
        fstype: b"tmpfs".to_vec(),
        source: b"tmpfs".to_vec(),
        flags: kept & !MS_RDONLY & !(MS_BIND | MS_REC),
        cleared: 0,
        rec_set: 0,
        rec_clear: 0,
        data: b"mode=755".to_vec(),
        copy_up: false,
        ..g.clone()
    })));
    for (name, path) in cg.by_controller() {
        let mut dst = g.dst.clone();
        if !dst.ends_with(b"/") {
            dst.push(b'/');
        }
        dst.extend_from_slice(name.as_bytes());
        mounts.push(MountOp::Mount(Box::new(GeneralMount {
            fstype: Vec::new(),
            source: path.to_vec(),
            dst,
            flags: MS_BIND | kept,
            cleared: 0,
            propagation: Vec::new(),
            rec_set: 0,
            rec_clear: 0,
            data: Vec::new(),
            copy_up: false,
            ..g.clone()
        })));
    }
    if kept & MS_RDONLY != 0 {
        mounts.push(MountOp::RemountRo(g.dst.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mount(fstype: &[u8], flags: u64) -> MountOp {
        MountOp::Mount(Box::new(GeneralMount {
            label: b"mounts[0]".to_vec(),
            fstype: fstype.to_vec(),
            source: b"cgroup".to_vec(),
            dst: b"/sys/fs/cgroup".to_vec(),
            flags,
            cleared: 0,
            propagation: Vec::new(),
            rec_set: 0,
            rec_clear: 0,
            data: Vec::new(),
            copy_up: false,
        }))
    }

    /// Without a v1 cgroup of the container the view is a cgroup2 mount with the flags asked
    /// for; a bind (the rootless view of the host's hierarchies) and other mounts stay.
    #[test]
    fn without_a_v1_cgroup_the_view_is_cgroup2() {
        let spec = Spec {
            mounts: alloc::vec![
                mount(b"cgroup", MS_RDONLY | MS_NOSUID),
                mount(b"cgroup", MS_BIND | MS_REC),
                mount(b"tmpfs", 0),
            ],
            ..Spec::default()
        };
        assert!(wanted(&spec));
        let out = rewrite(&spec, None);
        assert!(!wanted(&out));
        assert_eq!(out.mounts[0], mount(b"cgroup2", MS_RDONLY | MS_NOSUID));
        assert_eq!(out.mounts[1..], spec.mounts[1..]);
    }

    /// A writable cgroup2 view is read-only without a cgroup namespace of the container's own
    /// (it would show, and let it write, every cgroup); with one it stays as asked.
    #[test]
    fn a_writable_view_without_a_cgroup_namespace_is_read_only() {
        let mut spec = Spec {
            mounts: alloc::vec![mount(b"cgroup", MS_NOSUID)],
            ..Spec::default()
        };
        let out = rewrite(&spec, None);
        assert_eq!(out.mounts[0], mount(b"cgroup2", MS_RDONLY | MS_NOSUID));
        spec.namespaces.add(crate::ns::Kind::Cgroup);
        let out = rewrite(&spec, None);
        assert_eq!(out.mounts[0], mount(b"cgroup2", MS_NOSUID));
    }
}
