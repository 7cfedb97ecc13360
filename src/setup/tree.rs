//! The container's file tree as the child sees it: every path is resolved from a descriptor, one
//! component at a time, and every change is made on the descriptor that was found.
//!
//! Nothing here trusts a path as written. The walk starts at the container's root (the top of the
//! bind of `--root DIR`, or `/` of the new mount namespace), opens each component with
//! `O_PATH|O_NOFOLLOW`, follows symlinks itself the way the kernel will once the root is `/`
//! (absolute targets restart at the root, `..` stops there; a walk that climbed with `..` is
//! checked at its end against the same components walked again from the root). Whether a missing
//! path may be created is decided from the directory it would be created in, at that moment: only
//! on a tmpfs nsrun mounted itself in this run (recognised after mounting by its tag, then by its
//! `st_dev`, its root held open so that number stays its own), never on a host filesystem. A
//! mount is made on the parent's descriptor
//! and the last component, then the component is opened again and checked to be the new mount, so
//! a path swapped underneath (a rename, a symlink put in its place) fails the run instead of
//! mounting somewhere else.
//!
//! Runs in the child between clone and exec: it allocates nothing. Descriptors are opened
//! close-on-exec and closed when dropped; the slots the parent prepared hold what outlives a step.

use core::cell::Cell;
use core::ffi::CStr;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{FileType, Mode, OFlags, Stat};
use rustix::io::Errno;
use rustix::mount::{MountFlags, MountPropagationFlags, UnmountFlags};

/// The longest path handled (Linux's PATH_MAX).
pub const PATH_MAX: usize = 4096;
/// The longest path component (Linux's NAME_MAX).
const NAME_MAX: usize = 255;
/// The most links followed in one resolution, as the kernel allows.
const MAX_LINKS: u32 = 40;
/// procfs's `f_type`.
const PROC_SUPER_MAGIC: u64 = 0x9fa0;
/// tmpfs's `f_type`.
const TMPFS_MAGIC: u64 = 0x0102_1994;

/// What a missing path is turned into.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Node {
    /// A directory with this mode.
    Dir(u32),
    /// An empty regular file (a mount point for a bound file).
    File,
}

/// What the parent prepares for the child's tree: one slot per bind source (opened at the start,
/// while the namespace still shows the host's tree) and one per filesystem nsrun mounts that it may
/// create files in.
pub struct Slots {
    /// The bind sources, opened by [`Step::Source`](crate::setup::step::Step::Source) steps.
    pub sources: alloc::vec::Vec<Cell<Option<OwnedFd>>>,
    /// `st_dev` of each filesystem nsrun made (0: free), with a descriptor of its root held until
    /// exec: while it is open the filesystem lives on even if its mount is detached meanwhile, so
    /// its device number cannot be handed to another filesystem.
    pub ours: alloc::vec::Vec<(Cell<u64>, Cell<Option<OwnedFd>>)>,
    /// OCI: the root's own mount (the bundle's rootfs, the container's) may be created in too.
    pub in_root: bool,
    /// The mount id of the root's own mount, once bound (0: none), with [`Slots::in_root`].
    pub root_mount: Cell<u32>,
}

impl Slots {
    /// Room for `sources` bind sources and `ours` filesystems.
    pub fn new(sources: usize, ours: usize) -> Slots {
        Slots {
            sources: (0..sources).map(|_| Cell::new(None)).collect(),
            ours: (0..ours).map(|_| (Cell::new(0), Cell::new(None))).collect(),
            in_root: false,
            root_mount: Cell::new(0),
        }
    }
}

/// A path component, copied into a NUL-terminated stack buffer.
#[derive(Clone, Copy)]
pub struct Name {
    buf: [u8; NAME_MAX + 1],
}

impl Name {
    fn new(comp: &[u8]) -> Result<Name, Errno> {
        if comp.len() > NAME_MAX {
            return Err(Errno::NAMETOOLONG);
        }
        let mut buf = [0u8; NAME_MAX + 1];
        buf[..comp.len()].copy_from_slice(comp);
        Ok(Name { buf })
    }

    /// The component as a C string.
    pub fn c(&self) -> &CStr {
        match CStr::from_bytes_until_nul(&self.buf) {
            Ok(c) => c,
            // Unreachable: the buffer is one byte longer than any component and starts zeroed.
            Err(_) => c".",
        }
    }
}

/// A path found in the tree: the directory it lies in, its last component, and the object itself
/// if it exists.
pub struct Found {
    /// The directory holding the last component (None: the tree's root).
    pub parent: Option<OwnedFd>,
    /// The last component.
    pub name: Name,
    /// The object (opened `O_PATH|O_NOFOLLOW`), or None when it does not exist.
    pub node: Option<OwnedFd>,
}

/// The child's view of the container's tree.
pub struct Tree<'a> {
    /// The container's root: the top of the bind of `--root DIR`, or `/` of the new namespace
    /// (None only if even `/` could not be opened: every walk then fails).
    root: Option<OwnedFd>,
    /// A procfs root, for the descriptors' magic links in `self/fd` (binds need them).
    proc: Option<OwnedFd>,
    /// The working directory nsrun started in, saved before the first `fchdir`.
    cwd: Option<OwnedFd>,
    slots: &'a Slots,
}

fn open_flags() -> OFlags {
    OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC
}

fn is(st: &Stat, kind: FileType) -> bool {
    FileType::from_raw_mode(st.st_mode) == kind
}

/// Opens `name` in `dir` without following a symlink there.
fn open_in(dir: BorrowedFd<'_>, name: &CStr, extra: OFlags) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(dir, name, open_flags() | extra, Mode::empty())
}

/// `self/fd/N` relative to a procfs root, in a stack buffer.
struct FdLink {
    buf: [u8; 24],
}

impl FdLink {
    fn new(fd: BorrowedFd<'_>) -> FdLink {
        use rustix::fd::AsRawFd;
        let mut buf = [0u8; 24];
        // 8 bytes of prefix, at most 10 digits and the NUL: it always fits.
        let _ = crate::mountinfo::with_number(&mut buf, b"self/fd/", fd.as_raw_fd() as u32);
        FdLink { buf }
    }

    fn c(&self) -> &CStr {
        match CStr::from_bytes_until_nul(&self.buf) {
            Ok(c) => c,
            Err(_) => c".",
        }
    }
}

impl<'a> Tree<'a> {
    /// The tree rooted at `/` of the child's (new) mount namespace.
    pub fn new(slots: &'a Slots) -> Tree<'a> {
        let root = rustix::fs::open(
            c"/",
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        );
        Tree {
            root: root.ok(),
            proc: None,
            cwd: None,
            slots,
        }
    }

    /// Opens bind source `slot` at `path` (a host path, resolved by the kernel as the host sees
    /// it: no mount of nsrun's exists yet) and checks it is the object the launcher checked.
    pub fn open_source(&self, slot: u32, path: &CStr, dev: u64, ino: u64) -> Result<(), Errno> {
        let fd = rustix::fs::open(path, OFlags::PATH | OFlags::CLOEXEC, Mode::empty())?;
        let st = rustix::fs::fstat(&fd)?;
        if st.st_dev != dev || st.st_ino != ino {
            return Err(Errno::STALE);
        }
        let cell = self.slots.sources.get(slot as usize).ok_or(Errno::INVAL)?;
        cell.set(Some(fd));
        Ok(())
    }

    /// Makes `parent`/`name` (checked against the launcher's `dev`/`ino`) the new root: binds it onto
    /// itself, so it is a mount pivot_root can enter, and takes the top of that bind as the tree's
    /// root. The directory is opened once; the bind is made on that descriptor, and the top is
    /// found again through the parent and checked to be the same directory.
    pub fn bind_root(
        &mut self,
        parent: &CStr,
        name: &CStr,
        dev: u64,
        ino: u64,
        private_parent: bool,
    ) -> Result<(), Errno> {
        let dir_flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let p = rustix::fs::open(parent, dir_flags, Mode::empty())?;
        let r = open_in(p.as_fd(), name, OFlags::DIRECTORY)?;
        let st = rustix::fs::fstat(&r)?;
        if st.st_dev != dev || st.st_ino != ino {
            return Err(Errno::STALE);
        }
        self.save_cwd()?;
        if private_parent {
            let top = self.mount_root_of(r.as_fd())?;
            rustix::process::fchdir(&top)?;
            rustix::mount::mount_change(c".", MountPropagationFlags::PRIVATE)?;
        }
        rustix::process::fchdir(&r)?;
        rustix::mount::mount_bind_recursive(c".", c".")?;
        // The lookup of the name crosses the mounts stacked on it: the bind just made is the top.
        let top = open_in(p.as_fd(), name, OFlags::DIRECTORY)?;
        let again = rustix::fs::fstat(&top)?;
        if again.st_dev != dev || again.st_ino != ino {
            return Err(Errno::STALE);
        }
        if private_parent {
            // The recursive bind copied the rootfs's own submounts as peers of the host's (a
            // shared host makes every mount shared): made slaves before anything is mounted on
            // them, so nothing nsrun mounts there (the config's proc, /dev, masks) reaches the
            // host. The tree is made shared again once entered; a bind of a shared host
            // directory made after this is its source's peer, as rshared asks.
            rustix::process::fchdir(&top)?;
            rustix::mount::mount_change(
                c".",
                MountPropagationFlags::DOWNSTREAM | MountPropagationFlags::REC,
            )?;
        }
        if self.slots.in_root {
            let id = crate::sys::mount::mount_id(top.as_fd(), self.known_proc())?;
            self.slots.root_mount.set(id);
        }
        self.root = Some(top);
        Ok(())
    }

    /// The root directory of the mount `dir` lies on, found by walking `..` up from `dir` while the
    /// mount ID stays the same (the kernel's answer, not a path's).
    fn mount_root_of(&self, dir: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
        let proc = self.known_proc();
        let id = crate::sys::mount::mount_id(dir, proc)?;
        let mut cur = open_in(dir, c".", OFlags::DIRECTORY)?;
        loop {
            let up = open_in(cur.as_fd(), c"..", OFlags::DIRECTORY)?;
            let (a, b) = (rustix::fs::fstat(&cur)?, rustix::fs::fstat(&up)?);
            let top_of_tree = a.st_dev == b.st_dev && a.st_ino == b.st_ino;
            if top_of_tree || crate::sys::mount::mount_id(up.as_fd(), proc)? != id {
                return Ok(cur);
            }
            cur = up;
        }
    }

    /// Enters the new root: pivot_root(2) on the root's descriptor, then the old root is detached so
    /// nothing of the host's tree stays reachable. From an initramfs, where pivot_root cannot leave
    /// the initial ramfs (EINVAL), the new root is moved over `/` and entered with chroot, as
    /// switch_root does.
    pub fn enter_root(&self) -> Result<(), Errno> {
        let old = rustix::fs::open(c"/", open_flags() | OFlags::DIRECTORY, Mode::empty())?;
        rustix::process::fchdir(self.root.as_ref().ok_or(Errno::NOENT)?)?;
        // With the same directory twice, the old root ends up stacked on the new one at `/`
        // (pivot_root(2), NOTES) and needs no directory of its own inside the tree.
        match rustix::process::pivot_root(c".", c".") {
            Ok(()) => {
                // From the old root's own descriptor (mount(2) on `.` would change the new root,
                // under it): made a slave first, as detaching a tree whose mounts are peers of
                // the host's would unmount the host's copies of its submounts too.
                rustix::process::fchdir(&old)?;
                rustix::mount::mount_change(
                    c".",
                    MountPropagationFlags::DOWNSTREAM | MountPropagationFlags::REC,
                )?;
                rustix::mount::unmount(c".", UnmountFlags::DETACH)?
            }
            Err(Errno::INVAL) if on_initial_ramfs() => {
                rustix::mount::mount_move(c".", c"/")?;
                rustix::process::chroot(c".")?;
            }
            Err(e) => return Err(e),
        }
        rustix::process::chdir(c"/")
    }

    /// Goes back to the working directory nsrun started in (mounts are made from the directory
    /// they go into).
    pub fn restore_cwd(&self) -> Result<(), Errno> {
        match &self.cwd {
            Some(cwd) => rustix::process::fchdir(cwd),
            None => Ok(()),
        }
    }

    /// Saves the working directory before the first `fchdir`, for [`Tree::restore_cwd`].
    pub fn save_cwd(&mut self) -> Result<(), Errno> {
        if self.cwd.is_none() {
            self.cwd = Some(rustix::fs::open(
                c".",
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )?);
        }
        Ok(())
    }

    /// Whether `dir` lies on a filesystem nsrun mounted.
    fn ours(&self, dir: BorrowedFd<'_>) -> Result<bool, Errno> {
        let dev = rustix::fs::fstat(dir)?.st_dev;
        if dev != 0 && self.slots.ours.iter().any(|(c, _)| c.get() == dev) {
            return Ok(true);
        }
        let root = self.slots.root_mount.get();
        Ok(root != 0 && crate::sys::mount::mount_id(dir, self.known_proc())? == root)
    }

    /// Records the filesystem whose root `top` is as nsrun's own, and keeps `top` open.
    fn record_ours(&self, top: OwnedFd) -> Result<(), Errno> {
        let dev = rustix::fs::fstat(&top)?.st_dev;
        let (slot, held) = self
            .slots
            .ours
            .iter()
            .find(|(c, _)| c.get() == 0)
            .ok_or(Errno::NOSPC)?;
        slot.set(dev);
        held.set(Some(top));
        Ok(())
    }

    fn dup_root(&self) -> Result<OwnedFd, Errno> {
        let root = self.root.as_ref().ok_or(Errno::NOENT)?;
        open_in(root.as_fd(), c".", OFlags::DIRECTORY)
    }

    /// Opens the directories `done` names (components already resolved, without links) from the
    /// root; one that has become a link meanwhile is refused (ELOOP).
    fn rewalk(&self, done: &[u8]) -> Result<OwnedFd, Errno> {
        let mut cur = self.dup_root()?;
        for comp in done.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            let name = Name::new(comp)?;
            cur = open_in(cur.as_fd(), name.c(), OFlags::DIRECTORY)?;
        }
        Ok(cur)
    }

    /// Resolves `path` (absolute inside the container) the way the kernel will once the root is
    /// `/`. Symlinks on the way are followed, and the last one too with `follow_last`. Missing
    /// directories on the way are created (mode 0755) with `create_dirs`, only where nsrun made the
    /// filesystem; elsewhere a missing component is ENOENT. The path `/` itself (no last
    /// component) is EBUSY: nothing is mounted on or created as the root.
    #[inline(never)]
    pub fn find(&self, path: &[u8], follow_last: bool, create_dirs: bool) -> Result<Found, Errno> {
        match self.find_plain(path, follow_last, create_dirs)? {
            Some(found) => Ok(found),
            None => self.find_walk(path, follow_last, create_dirs),
        }
    }

    /// The directory a [`Found`] lies in.
    fn at<'f>(&'f self, found: &'f Found) -> Result<BorrowedFd<'f>, Errno> {
        match &found.parent {
            Some(dir) => Ok(dir.as_fd()),
            None => Ok(self.root.as_ref().ok_or(Errno::NOENT)?.as_fd()),
        }
    }

    /// [`Tree::find`] for a path that meets no link and no `..` (the usual case: paths as written
    /// hold no `..`): no buffers, no copy of the root. None when it meets one, and the full walk
    /// must start over.
    fn find_plain(
        &self,
        path: &[u8],
        follow_last: bool,
        create_dirs: bool,
    ) -> Result<Option<Found>, Errno> {
        let root = self.root.as_ref().ok_or(Errno::NOENT)?;
        // A `.` or a trailing slash asks for a directory where the kernel would: the full walk.
        if path.ends_with(b"/") || path.split(|&b| b == b'/').any(|c| c == b".") {
            return Ok(None);
        }
        let mut comps = path
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty())
            .peekable();
        let mut cur: Option<OwnedFd> = None;
        while let Some(comp) = comps.next() {
            if comp == b".." {
                return Ok(None);
            }
            let last = comps.peek().is_none();
            let name = Name::new(comp)?;
            let dir = cur.as_ref().map_or(root.as_fd(), |d| d.as_fd());
            let fd = match open_in(dir, name.c(), OFlags::empty()) {
                Ok(fd) => fd,
                Err(Errno::NOENT) if last => {
                    return Ok(Some(Found {
                        parent: cur,
                        name,
                        node: None,
                    }))
                }
                Err(Errno::NOENT) if create_dirs && self.ours(dir)? => {
                    match rustix::fs::mkdirat(dir, name.c(), Mode::from_raw_mode(0o755)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(e),
                    }
                    open_in(dir, name.c(), OFlags::empty())?
                }
                Err(e) => return Err(e),
            };
            let st = rustix::fs::fstat(&fd)?;
            if is(&st, FileType::Symlink) && (!last || follow_last) {
                return Ok(None);
            }
            if last {
                return Ok(Some(Found {
                    parent: cur,
                    name,
                    node: Some(fd),
                }));
            }
            if !is(&st, FileType::Directory) {
                return Err(Errno::NOTDIR);
            }
            cur = Some(fd);
        }
        Err(Errno::BUSY)
    }

    /// The full walk of [`Tree::find`], following links and `..` inside the root.
    #[inline(never)]
    fn find_walk(&self, path: &[u8], follow_last: bool, create_dirs: bool) -> Result<Found, Errno> {
        if path.len() >= PATH_MAX {
            return Err(Errno::NAMETOOLONG);
        }
        // What is left to walk sits at the end of `todo`, so a link's target can go in front.
        let mut todo = [0u8; PATH_MAX];
        let mut start = PATH_MAX - path.len();
        todo[start..].copy_from_slice(path);
        // The components resolved so far (no links among them), for `..`.
        let mut done = [0u8; PATH_MAX];
        let mut done_len = 0;
        let mut cur = self.dup_root()?;
        let mut links = 0;
        let mut climbed = false;
        let mut target = [0u8; PATH_MAX];
        loop {
            while start < PATH_MAX && todo[start] == b'/' {
                start += 1;
            }
            if start == PATH_MAX {
                // The path ended on a directory reached through `.` or `..`: name it from its
                // parent, as for any other last component.
                return self.found_at(&done[..done_len]);
            }
            let end = todo[start..]
                .iter()
                .position(|&b| b == b'/')
                .map_or(PATH_MAX, |i| start + i);
            let last = todo[end..].iter().all(|&b| b == b'/');
            let name = Name::new(&todo[start..end])?;
            let comp_len = end - start;
            start = end;
            match name.c().to_bytes() {
                b"." => continue,
                // `..` stops at the root. Elsewhere it is the directory's own `..` (a cost of one
                // open however deep the path), checked at the end against the components left,
                // walked again from the root: a directory moved out of the tree meanwhile cannot
                // carry the walk out of it.
                b".." => {
                    if done_len == 0 {
                        cur = self.dup_root()?;
                        continue;
                    }
                    while done_len > 0 && done[done_len - 1] != b'/' {
                        done_len -= 1;
                    }
                    done_len = done_len.saturating_sub(1);
                    cur = open_in(cur.as_fd(), c"..", OFlags::DIRECTORY)?;
                    climbed = true;
                    continue;
                }
                _ => {}
            }
            let fd = match open_in(cur.as_fd(), name.c(), OFlags::empty()) {
                Ok(fd) => fd,
                Err(Errno::NOENT) if last => {
                    return Ok(Found {
                        parent: Some(self.checked(cur, &done[..done_len], climbed)?),
                        name,
                        node: None,
                    })
                }
                Err(Errno::NOENT) if create_dirs && self.ours(cur.as_fd())? => {
                    // No check of a climb here: creating is allowed only on nsrun's own
                    // tmpfs, wherever the walk found it; the check at the end guards the rest.
                    match rustix::fs::mkdirat(&cur, name.c(), Mode::from_raw_mode(0o755)) {
                        Ok(()) | Err(Errno::EXIST) => {}
                        Err(e) => return Err(e),
                    }
                    open_in(cur.as_fd(), name.c(), OFlags::DIRECTORY)?
                }
                Err(e) => return Err(e),
            };
            let st = rustix::fs::fstat(&fd)?;
            if is(&st, FileType::Symlink) && (!last || follow_last) {
                links += 1;
                if links > MAX_LINKS {
                    return Err(Errno::LOOP);
                }
                let n = rustix::fs::readlinkat_raw(&fd, c"", &mut target[..])?;
                if n == 0 || n >= PATH_MAX || n + 1 > start {
                    return Err(if n == 0 {
                        Errno::NOENT
                    } else {
                        Errno::NAMETOOLONG
                    });
                }
                if target[0] == b'/' {
                    done_len = 0;
                    cur = self.dup_root()?;
                }
                // Put `target/` in front of what is left.
                start -= n + 1;
                todo[start..start + n].copy_from_slice(&target[..n]);
                todo[start + n] = b'/';
                continue;
            }
            if last {
                return Ok(Found {
                    parent: Some(self.checked(cur, &done[..done_len], climbed)?),
                    name,
                    node: Some(fd),
                });
            }
            if !is(&st, FileType::Directory) {
                return Err(Errno::NOTDIR);
            }
            if done_len + 1 + comp_len > PATH_MAX {
                return Err(Errno::NAMETOOLONG);
            }
            done[done_len] = b'/';
            done[done_len + 1..done_len + 1 + comp_len].copy_from_slice(name.c().to_bytes());
            done_len += 1 + comp_len;
            cur = fd;
        }
    }

    /// `cur`, reached through `..` (`climbed`), checked to be the directory `done` names from the
    /// root (STALE otherwise: something was moved while the walk ran).
    fn checked(&self, cur: OwnedFd, done: &[u8], climbed: bool) -> Result<OwnedFd, Errno> {
        if !climbed {
            return Ok(cur);
        }
        let again = self.rewalk(done)?;
        let (a, b) = (rustix::fs::fstat(&cur)?, rustix::fs::fstat(&again)?);
        match (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino) {
            true => Ok(again),
            false => Err(Errno::STALE),
        }
    }

    /// `done` (resolved components) as a [`Found`]: its parent opened again, and its last
    /// component. The root itself has no parent: EBUSY.
    fn found_at(&self, done: &[u8]) -> Result<Found, Errno> {
        let cut = done.iter().rposition(|&b| b == b'/').ok_or(Errno::BUSY)?;
        let parent = self.rewalk(&done[..cut])?;
        let name = Name::new(&done[cut + 1..])?;
        let node = Some(open_in(parent.as_fd(), name.c(), OFlags::empty())?);
        Ok(Found {
            parent: Some(parent),
            name,
            node,
        })
    }

    /// The object at `path`, which must exist (a mount to change).
    pub fn existing(&self, path: &[u8]) -> Result<OwnedFd, Errno> {
        if path.iter().all(|&b| b == b'/') {
            return self.dup_root();
        }
        self.find(path, true, false)?.node.ok_or(Errno::NOENT)
    }

    /// The object at `path`, which must exist, as found: its parent, name and node, so a mount
    /// onto it needs no second walk. None for the root itself (it has no parent: the caller
    /// takes [`Tree::existing`]).
    pub fn find_existing(&self, path: &[u8]) -> Result<Option<Found>, Errno> {
        if path.iter().all(|&b| b == b'/') {
            return Ok(None);
        }
        let found = self.find(path, true, false)?;
        match found.node {
            Some(_) => Ok(Some(found)),
            None => Err(Errno::NOENT),
        }
    }

    /// Finds `path` and creates it as `node` (with missing parents) if it is missing and lies on a
    /// filesystem nsrun made. An existing path is left as it is.
    pub fn ensure(&self, path: &[u8], node: Node) -> Result<Found, Errno> {
        let mut found = self.find(path, true, true)?;
        if found.node.is_none() {
            if !self.ours(self.at(&found)?)? {
                return Err(Errno::NOENT);
            }
            create(self.at(&found)?, found.name.c(), node)?;
            found.node = Some(open_in(self.at(&found)?, found.name.c(), OFlags::empty())?);
        }
        Ok(found)
    }

    /// `--mkdir`: a directory at `path`, created only on nsrun's filesystems; an existing directory
    /// is fine.
    pub fn mkdir(&self, path: &[u8], mode: u32) -> Result<(), Errno> {
        let found = self.ensure(path, Node::Dir(mode))?;
        match &found.node {
            Some(fd) if is(&rustix::fs::fstat(fd)?, FileType::Directory) => Ok(()),
            _ => Err(Errno::NOTDIR),
        }
    }

    /// `--symlink`: a link at `path` to `target`, made only on nsrun's filesystems; an existing
    /// identical link is fine anywhere.
    pub fn symlink(&self, target: &CStr, path: &[u8]) -> Result<(), Errno> {
        let found = self.find(path, false, true)?;
        if found.node.is_none() {
            if !self.ours(self.at(&found)?)? {
                return Err(Errno::NOENT);
            }
            match rustix::fs::symlinkat(target, self.at(&found)?, found.name.c()) {
                Err(Errno::EXIST) => {}
                other => return other,
            }
        }
        let mut buf = [0u8; PATH_MAX];
        let n = rustix::fs::readlinkat_raw(self.at(&found)?, found.name.c(), &mut buf[..])
            .map_err(|_| Errno::EXIST)?;
        match &buf[..n] == target.to_bytes() {
            true => Ok(()),
            false => Err(Errno::EXIST),
        }
    }

    /// Mounts a new filesystem of `fstype` on the directory at `path` (created where nsrun may);
    /// with a `tag`, files may be created in it later.
    ///
    /// A tmpfs nsrun may create in (`tag`: Some) is told from every other filesystem by its inode
    /// limit, which the plan set to a value unique to this run and mount (`nr_inodes=TAG`, reported
    /// back by statfs as `f_files`): only a filesystem found with that tag, after the mount, is
    /// recorded as nsrun's own.
    pub fn mount_fs(
        &mut self,
        fstype: &CStr,
        path: &[u8],
        flags: MountFlags,
        data: Option<&CStr>,
        tag: Option<u64>,
    ) -> Result<(), Errno> {
        let found = self.ensure(path, Node::Dir(0o755))?;
        self.mount_fs_on(fstype, found, flags, data, tag)
    }

    /// [`Tree::mount_fs`] on the directory `found` (a walk already made: [`Tree::find_existing`]).
    pub fn mount_fs_on(
        &mut self,
        fstype: &CStr,
        found: Found,
        flags: MountFlags,
        data: Option<&CStr>,
        tag: Option<u64>,
    ) -> Result<(), Errno> {
        let target = found.node.as_ref().ok_or(Errno::NOENT)?;
        // Linux 5.2: the filesystem is made first and mounted from its own descriptor onto the
        // target's, which then names exactly the new mount: no tag needed. The directory the
        // walk found may have been renamed away meanwhile (another one made in its place): the
        // mount went with it, so the name, opened again from its parent, must now be the new
        // mount's root, or nothing is mounted at the path (ESTALE, as a bind checks).
        if let Some(top) = mount_new(fstype, target.as_fd(), flags, data)? {
            let (mounted, now) = (
                rustix::fs::fstat(&top)?,
                rustix::fs::fstat(&open_in(self.at(&found)?, found.name.c(), OFlags::empty())?)?,
            );
            if (mounted.st_dev, mounted.st_ino) != (now.st_dev, now.st_ino) {
                return Err(Errno::STALE);
            }
            if tag.is_some() {
                return self.record_ours(top);
            }
            if self.proc.is_none() && is_proc(top.as_fd()) {
                self.proc = Some(top);
            }
            return Ok(());
        }
        let before = rustix::fs::fstat(target)?;
        self.save_cwd()?;
        rustix::process::fchdir(self.at(&found)?)?;
        rustix::mount::mount(fstype, found.name.c(), fstype, flags, data)?;
        let top = self.top_of(&found, before.st_dev)?;
        if let Some(tag) = tag {
            // The tag, and empty as a tmpfs just mounted is: another filesystem that happens to
            // carry the same inode limit (a host tmpfs bound into the tree, swapped in) is not.
            if !is_fresh_tmpfs(top.as_fd(), tag)? {
                return Err(Errno::STALE);
            }
            return self.record_ours(top);
        }
        if self.proc.is_none() && is_proc(top.as_fd()) {
            self.proc = Some(top);
        }
        Ok(())
    }

    /// The mount just made on `found`: its last component opened again from its parent (the lookup
    /// crosses to the top of the mounts there), which must now be another filesystem than `was`.
    /// Anything else means the component was swapped underneath, and the mount went elsewhere.
    fn top_of(&self, found: &Found, was: u64) -> Result<OwnedFd, Errno> {
        let top = open_in(self.at(found)?, found.name.c(), OFlags::empty())?;
        match rustix::fs::fstat(&top)?.st_dev == was {
            true => Err(Errno::STALE),
            false => Ok(top),
        }
    }

    /// Binds the source in `slot` (recursively) onto `path`, created as a file or directory like
    /// the source where nsrun may. Both ends are named by their descriptors (their magic links in
    /// procfs), so the bind joins exactly the objects that were checked. Returns the new mount's
    /// root, checked to be the source.
    pub fn bind(&mut self, slot: u32, path: &[u8]) -> Result<OwnedFd, Errno> {
        let cell = self.slots.sources.get(slot as usize).ok_or(Errno::INVAL)?;
        let src = cell.take().ok_or(Errno::BADF)?;
        self.bind_from(src, path)
    }

    /// [`Tree::bind`] of a copy of the source in `slot` (a new descriptor of the same open file),
    /// which stays for the next bind: the host's /dev/null that every `--masked-path` file binds.
    pub fn bind_again(&mut self, slot: u32, path: &[u8]) -> Result<OwnedFd, Errno> {
        let copy = self.source_copy(slot)?;
        self.bind_from(copy, path)
    }

    /// [`Tree::bind_again`] onto the object `found` (a walk already made:
    /// [`Tree::find_existing`]).
    pub fn bind_again_onto(&mut self, slot: u32, found: Found) -> Result<OwnedFd, Errno> {
        let copy = self.source_copy(slot)?;
        self.bind_onto(copy, found)
    }

    /// A new descriptor of the source in `slot`, which stays there.
    fn source_copy(&self, slot: u32) -> Result<OwnedFd, Errno> {
        let cell = self.slots.sources.get(slot as usize).ok_or(Errno::INVAL)?;
        let src = cell.take().ok_or(Errno::BADF)?;
        let copy = rustix::io::fcntl_dupfd_cloexec(&src, 0);
        cell.set(Some(src));
        copy
    }

    /// Binds the object `src` (recursively) onto `path`, as [`Tree::bind`] does with a source; an
    /// object of the tree itself (`--ro-path`) is bound onto itself this way.
    pub fn bind_from(&mut self, src: OwnedFd, path: &[u8]) -> Result<OwnedFd, Errno> {
        let st = rustix::fs::fstat(&src)?;
        let node = match is(&st, FileType::Directory) {
            true => Node::Dir(0o755),
            false => Node::File,
        };
        let found = self.ensure(path, node)?;
        self.bind_checked(src, &st, found)
    }

    /// [`Tree::bind_from`] onto the object `found` (a walk already made:
    /// [`Tree::find_existing`]).
    pub fn bind_onto(&mut self, src: OwnedFd, found: Found) -> Result<OwnedFd, Errno> {
        let st = rustix::fs::fstat(&src)?;
        self.bind_checked(src, &st, found)
    }

    /// Binds `src` (whose fstat is `st`) onto `found`'s object; the new mount's root, checked to
    /// be the source.
    fn bind_checked(
        &mut self,
        src: OwnedFd,
        st: &rustix::fs::Stat,
        found: Found,
    ) -> Result<OwnedFd, Errno> {
        let target = found.node.as_ref().ok_or(Errno::NOENT)?;
        match self.load_proc() {
            Ok(()) => {
                self.save_cwd()?;
                rustix::process::fchdir(self.proc.as_ref().ok_or(Errno::NOSYS)?)?;
                let (from, to) = (FdLink::new(src.as_fd()), FdLink::new(target.as_fd()));
                rustix::mount::mount_bind_recursive(from.c(), to.c())?;
            }
            // No procfs anywhere (an initramfs with --no-proc): the new mount API (Linux 5.2)
            // joins the two descriptors directly; ENOSYS on older kernels.
            Err(_) => bind_without_proc(src.as_fd(), target.as_fd())?,
        }
        let top = open_in(self.at(&found)?, found.name.c(), OFlags::empty())?;
        let now = rustix::fs::fstat(&top)?;
        if now.st_dev != st.st_dev || now.st_ino != st.st_ino {
            return Err(Errno::STALE);
        }
        Ok(top)
    }

    /// `--disable-userns`, part one: sets user.max_user_namespaces to 1 through the procfs the
    /// tree knows. The kernel keeps that limit per user namespace and looks it up by the writer's
    /// own: this is the container's (the plan asks for a new one), never the host's.
    pub fn limit_user_namespaces(&mut self) -> Result<(), Errno> {
        self.load_proc()?;
        let proc = self.proc.as_ref().ok_or(Errno::NOSYS)?;
        let fd = open_proc_file(proc.as_fd(), c"sys/user/max_user_namespaces")?;
        match rustix::io::write(&fd, b"1")? {
            1 => Ok(()),
            _ => Err(Errno::IO),
        }
    }

    /// `--disable-userns`, part two: moves into a nested user namespace that maps the current
    /// uid and gid to themselves (setgroups denied), so the ids stay as they are, and nothing in
    /// it has a capability over the outer namespace's limit.
    pub fn nest_user_namespace(&mut self) -> Result<(), Errno> {
        self.load_proc()?;
        let proc = self.proc.as_ref().ok_or(Errno::NOSYS)?;
        let (uid, gid) = (
            rustix::process::geteuid().as_raw(),
            rustix::process::getegid().as_raw(),
        );
        // After a uid change the process is not dumpable, and its /proc files belong to root
        // outside, whom the new namespace does not map: its own map files would be closed to it.
        // Dumpable again for these writes (the command's exec decides anew).
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::Dumpable)?;
        crate::sys::ns::unshare_user()?;
        let write = |name: &CStr, text: &[u8]| -> Result<(), Errno> {
            let fd = open_proc_file(proc.as_fd(), name)?;
            match rustix::io::write(&fd, text)? == text.len() {
                true => Ok(()),
                false => Err(Errno::IO),
            }
        };
        let mut buf = [0u8; 32];
        write(c"self/setgroups", b"deny")?;
        write(c"self/uid_map", id_map_line(&mut buf, uid))?;
        write(c"self/gid_map", id_map_line(&mut buf, gid))
    }

    /// Finds a procfs root, if none is known yet: the host's `/proc` as this namespace shows it
    /// (a proc nsrun mounts is taken as soon as it is mounted). ENOSYS when there is none.
    pub fn load_proc(&mut self) -> Result<(), Errno> {
        if self.proc.is_none() {
            let fd = rustix::fs::open(
                c"/proc",
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .map_err(|_| Errno::NOSYS)?;
            if !is_proc(fd.as_fd()) {
                return Err(Errno::NOSYS);
            }
            self.proc = Some(fd);
        }
        Ok(())
    }

    /// Runs `f` with a proc mounted for the moment on the tree's `/proc` (which must exist), then
    /// detaches it again: for the submount walk on kernels without mount_setattr, where neither
    /// the host nor nsrun has mounted a /proc yet.
    pub fn with_temporary_proc<R>(
        &mut self,
        f: impl FnOnce(BorrowedFd<'_>) -> Result<R, Errno>,
    ) -> Result<R, Errno> {
        let found = self.find(b"/proc", true, false)?;
        let before = rustix::fs::fstat(found.node.as_ref().ok_or(Errno::NOENT)?)?;
        self.save_cwd()?;
        rustix::process::fchdir(self.at(&found)?)?;
        let flags = MountFlags::NOSUID | MountFlags::NODEV | MountFlags::NOEXEC;
        rustix::mount::mount(c"proc", found.name.c(), c"proc", flags, None)?;
        let top = self.top_of(&found, before.st_dev);
        let result = match &top {
            Ok(proc) if is_proc(proc.as_fd()) => f(proc.as_fd()),
            Ok(_) => Err(Errno::STALE),
            Err(e) => Err(*e),
        };
        // Detach it from its own root (the lookup of "." there is that mount, whatever names
        // changed meanwhile).
        if let Ok(proc) = &top {
            rustix::process::fchdir(proc)?;
            rustix::mount::unmount(c".", UnmountFlags::DETACH)?;
        }
        self.restore_cwd()?;
        result
    }

    /// OCI `mounts[N]` of a filesystem: mounts `fstype` from `source` with the MS_* `flags` and
    /// the options `data` on the directory at `path` (created where nsrun may), and returns the
    /// new mount's root. With `ours` (a tmpfs), files may be created in it later (recorded only
    /// with the new mount API, which names the new mount exactly). With `copy_up`, the directory
    /// must be empty (ENOTEMPTY otherwise: nsrun copies nothing up).
    #[allow(clippy::too_many_arguments)]
    pub fn mount_general(
        &mut self,
        fstype: &CStr,
        source: &CStr,
        path: &[u8],
        flags: u64,
        data: Option<&CStr>,
        ours: bool,
        copy_up: bool,
    ) -> Result<OwnedFd, Errno> {
        let found = self.ensure(path, Node::Dir(0o755))?;
        let target = found.node.as_ref().ok_or(Errno::NOENT)?;
        if copy_up && !is_empty_dir(target.as_fd())? {
            return Err(Errno::NOTEMPTY);
        }
        let top = match mount_general_new(fstype, source, target.as_fd(), flags, data) {
            Ok(top) => {
                if ours {
                    self.record_ours(rustix::io::fcntl_dupfd_cloexec(&top, 0)?)?;
                }
                top
            }
            Err(Errno::NOSYS) => {
                let before = rustix::fs::fstat(target)?;
                self.save_cwd()?;
                rustix::process::fchdir(self.at(&found)?)?;
                let ms = MountFlags::from_bits_retain(flags as _);
                rustix::mount::mount(source, found.name.c(), fstype, ms, data)?;
                self.top_of(&found, before.st_dev)?
            }
            Err(e) => return Err(e),
        };
        if self.proc.is_none() && is_proc(top.as_fd()) {
            self.proc = Some(rustix::io::fcntl_dupfd_cloexec(&top, 0)?);
        }
        Ok(top)
    }

    /// OCI bind: the source in `slot` bound onto `path` (with the mounts below it when
    /// `recursive`), created as a file or directory like the source where nsrun may. Returns
    /// the new mount's root, checked to be the source.
    pub fn bind_general(
        &mut self,
        slot: u32,
        path: &[u8],
        recursive: bool,
    ) -> Result<OwnedFd, Errno> {
        if recursive {
            return self.bind(slot, path);
        }
        let cell = self.slots.sources.get(slot as usize).ok_or(Errno::INVAL)?;
        let src = cell.take().ok_or(Errno::BADF)?;
        let st = rustix::fs::fstat(&src)?;
        let node = match is(&st, FileType::Directory) {
            true => Node::Dir(0o755),
            false => Node::File,
        };
        let found = self.ensure(path, node)?;
        let target = found.node.as_ref().ok_or(Errno::NOENT)?;
        use rustix::mount::OpenTreeFlags;
        let clone = rustix::mount::open_tree(
            src.as_fd(),
            c"",
            OpenTreeFlags::OPEN_TREE_CLONE
                | OpenTreeFlags::OPEN_TREE_CLOEXEC
                | OpenTreeFlags::AT_EMPTY_PATH,
        );
        match clone {
            Ok(clone) => attach(clone.as_fd(), target.as_fd())?,
            Err(Errno::NOSYS) => {
                self.load_proc()?;
                self.save_cwd()?;
                rustix::process::fchdir(self.proc.as_ref().ok_or(Errno::NOSYS)?)?;
                let (from, to) = (FdLink::new(src.as_fd()), FdLink::new(target.as_fd()));
                rustix::mount::mount_bind(from.c(), to.c())?;
            }
            Err(e) => return Err(e),
        }
        let top = open_in(self.at(&found)?, found.name.c(), OFlags::empty())?;
        let now = rustix::fs::fstat(&top)?;
        if now.st_dev != st.st_dev || now.st_ino != st.st_ino {
            return Err(Errno::STALE);
        }
        Ok(top)
    }

    /// A device node at `path` (`mode`: type and permission bits), owned by `uid`:`gid`, made
    /// where nsrun may create; an existing node of the same type and number is kept.
    pub fn mknod(&self, path: &[u8], mode: u32, dev: u64, uid: u32, gid: u32) -> Result<(), Errno> {
        let found = self.find(path, false, true)?;
        let dir = self.at(&found)?;
        if let Some(node) = &found.node {
            let st = rustix::fs::fstat(node)?;
            return match st.st_mode & 0o170000 == mode & 0o170000 && st.st_rdev == dev {
                true => Ok(()),
                false => Err(Errno::EXIST),
            };
        }
        if !self.ours(dir)? {
            return Err(Errno::NOENT);
        }
        let kind = FileType::from_raw_mode(mode);
        let perm = Mode::from_raw_mode(mode & 0o7777);
        // Made under umask 0, so the mode is exact without a chmod by name (fchmodat follows a
        // link the name may have been swapped for meanwhile: the rootfs can be changed by its
        // owner while nsrun works). The setup runs on one thread: nothing else sees the umask.
        let umask = rustix::process::umask(Mode::empty());
        let made = rustix::fs::mknodat(dir, found.name.c(), kind, perm, dev);
        rustix::process::umask(umask);
        made?;
        // From here on the node by descriptor, checked to be one of the type and number made.
        let node = rustix::fs::openat(
            dir,
            found.name.c(),
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let st = rustix::fs::fstat(&node)?;
        let fifo = mode & 0o170000 == 0o010000;
        if st.st_mode & 0o170000 != mode & 0o170000 || (!fifo && st.st_rdev != dev) {
            return Err(Errno::STALE);
        }
        rustix::fs::chownat(
            &node,
            c"",
            Some(rustix::fs::Uid::from_raw(uid)),
            Some(rustix::fs::Gid::from_raw(gid)),
            rustix::fs::AtFlags::EMPTY_PATH,
        )?;
        // chown clears the set-id bits: set them again through the descriptor's magic link.
        if rustix::fs::fstat(&node)?.st_mode & 0o7777 != mode & 0o7777 {
            let proc = rustix::fs::open(
                c"/proc",
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            if !is_proc(proc.as_fd()) {
                return Err(Errno::NOSYS);
            }
            let link = FdLink::new(node.as_fd());
            rustix::fs::chmodat(&proc, link.c(), perm, rustix::fs::AtFlags::empty())?;
        }
        Ok(())
    }

    /// OCI `linux.sysctl`: writes `value` to `name` (below the procfs root: `sys/net/...`) of the
    /// procfs the tree knows.
    pub fn sysctl(&mut self, name: &CStr, value: &[u8]) -> Result<(), Errno> {
        self.load_proc()?;
        let proc = self.proc.as_ref().ok_or(Errno::NOSYS)?;
        let fd = open_proc_file(proc.as_fd(), name)?;
        match rustix::io::write(&fd, value)? == value.len() {
            true => Ok(()),
            false => Err(Errno::IO),
        }
    }

    /// The procfs root, if one is known already, for changes that only need it on old kernels.
    pub fn known_proc(&self) -> Option<BorrowedFd<'_>> {
        self.proc.as_ref().map(|fd| fd.as_fd())
    }
}

/// Mounts a new `fstype` with `flags` and the options `data` (`key=value,flag,...`) on the
/// directory `target` with the new mount API (fsopen, fsconfig, fsmount, move_mount: Linux 5.2),
/// and returns the new mount's root. None where the kernel lacks any of those calls (ENOSYS): the
/// caller then uses mount(2).
fn mount_new(
    fstype: &CStr,
    target: BorrowedFd<'_>,
    flags: MountFlags,
    data: Option<&CStr>,
) -> Result<Option<OwnedFd>, Errno> {
    match try_mount_new(fstype, target, flags, data) {
        Ok(mount) => Ok(Some(mount)),
        Err(Errno::NOSYS) => Ok(None),
        Err(e) => Err(e),
    }
}

fn try_mount_new(
    fstype: &CStr,
    target: BorrowedFd<'_>,
    flags: MountFlags,
    data: Option<&CStr>,
) -> Result<OwnedFd, Errno> {
    use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags};
    let fs = rustix::mount::fsopen(fstype, FsOpenFlags::FSOPEN_CLOEXEC)?;
    let options = data.map_or(&b""[..], CStr::to_bytes);
    for option in options.split(|&b| b == b',').filter(|o| !o.is_empty()) {
        match option.iter().position(|&b| b == b'=') {
            Some(eq) => {
                let (key, value) = (Name::new(&option[..eq])?, Name::new(&option[eq + 1..])?);
                rustix::mount::fsconfig_set_string(&fs, key.c(), value.c())?;
            }
            None => rustix::mount::fsconfig_set_flag(&fs, Name::new(option)?.c())?,
        }
    }
    rustix::mount::fsconfig_create(&fs)?;
    let mut attrs = MountAttrFlags::empty();
    for (flag, attr) in [
        (MountFlags::RDONLY, MountAttrFlags::MOUNT_ATTR_RDONLY),
        (MountFlags::NOSUID, MountAttrFlags::MOUNT_ATTR_NOSUID),
        (MountFlags::NODEV, MountAttrFlags::MOUNT_ATTR_NODEV),
        (MountFlags::NOEXEC, MountAttrFlags::MOUNT_ATTR_NOEXEC),
    ] {
        if flags.contains(flag) {
            attrs |= attr;
        }
    }
    let mount = rustix::mount::fsmount(&fs, FsMountFlags::FSMOUNT_CLOEXEC, attrs)?;
    attach(mount.as_fd(), target)?;
    Ok(mount)
}

/// move_mount of the detached mount `mount` onto the object `target`, both by descriptor.
fn attach(mount: BorrowedFd<'_>, target: BorrowedFd<'_>) -> Result<(), Errno> {
    use rustix::mount::MoveMountFlags;
    rustix::mount::move_mount(
        mount,
        c"",
        target,
        c"",
        MoveMountFlags::MOVE_MOUNT_F_EMPTY_PATH | MoveMountFlags::MOVE_MOUNT_T_EMPTY_PATH,
    )
}

/// A recursive bind of `src` onto `target` with open_tree and move_mount, from descriptor to
/// descriptor (no path, no procfs).
fn bind_without_proc(src: BorrowedFd<'_>, target: BorrowedFd<'_>) -> Result<(), Errno> {
    use rustix::mount::OpenTreeFlags;
    let clone = rustix::mount::open_tree(
        src,
        c"",
        OpenTreeFlags::OPEN_TREE_CLONE
            | OpenTreeFlags::OPEN_TREE_CLOEXEC
            | OpenTreeFlags::AT_RECURSIVE
            | OpenTreeFlags::AT_EMPTY_PATH,
    )?;
    attach(clone.as_fd(), target)
}

/// The MOUNT_ATTR_* of the MS_* `flags` (set) for fsmount and mount_setattr, and the access-time
/// mask to clear when one of its modes is asked for.
pub fn attrs_of(flags: u64) -> (u64, u64) {
    use crate::oci::mount as m;
    let mut set = 0;
    for (ms, attr) in [
        (m::MS_RDONLY, m::ATTR_RDONLY),
        (m::MS_NOSUID, m::ATTR_NOSUID),
        (m::MS_NODEV, m::ATTR_NODEV),
        (m::MS_NOEXEC, m::ATTR_NOEXEC),
        (m::MS_NODIRATIME, m::ATTR_NODIRATIME),
        (m::MS_NOSYMFOLLOW, m::ATTR_NOSYMFOLLOW),
    ] {
        if flags & ms != 0 {
            set |= attr;
        }
    }
    let atime = if flags & m::MS_NOATIME != 0 {
        Some(m::ATTR_NOATIME)
    } else if flags & m::MS_STRICTATIME != 0 {
        Some(m::ATTR_STRICTATIME)
    } else if flags & m::MS_RELATIME != 0 {
        Some(0)
    } else {
        None
    };
    match atime {
        Some(mode) => (set | mode, m::ATTR_ATIME),
        None => (set, 0),
    }
}

/// A new `fstype` from `source` mounted on `target` with the new mount API: the superblock flags
/// of `flags` through fsconfig, the mount's through fsmount.
fn mount_general_new(
    fstype: &CStr,
    source: &CStr,
    target: BorrowedFd<'_>,
    flags: u64,
    data: Option<&CStr>,
) -> Result<OwnedFd, Errno> {
    use crate::oci::mount as m;
    use rustix::mount::{FsMountFlags, FsOpenFlags, MountAttrFlags};
    let fs = rustix::mount::fsopen(fstype, FsOpenFlags::FSOPEN_CLOEXEC)?;
    if !source.is_empty() {
        rustix::mount::fsconfig_set_string(&fs, c"source", source)?;
    }
    let options = data.map_or(&b""[..], CStr::to_bytes);
    for option in options.split(|&b| b == b',').filter(|o| !o.is_empty()) {
        match option.iter().position(|&b| b == b'=') {
            Some(eq) => {
                let (key, value) = (Name::new(&option[..eq])?, Name::new(&option[eq + 1..])?);
                rustix::mount::fsconfig_set_string(&fs, key.c(), value.c())?;
            }
            None => rustix::mount::fsconfig_set_flag(&fs, Name::new(option)?.c())?,
        }
    }
    for (ms, name) in [
        (m::MS_SYNCHRONOUS, c"sync"),
        (m::MS_DIRSYNC, c"dirsync"),
        (m::MS_LAZYTIME, c"lazytime"),
        (m::MS_MANDLOCK, c"mand"),
        (m::MS_POSIXACL, c"posixacl"),
    ] {
        if flags & ms != 0 {
            rustix::mount::fsconfig_set_flag(&fs, name)?;
        }
    }
    rustix::mount::fsconfig_create(&fs)?;
    let (set, _) = attrs_of(flags);
    let mount = rustix::mount::fsmount(
        &fs,
        FsMountFlags::FSMOUNT_CLOEXEC,
        MountAttrFlags::from_bits_retain(set as _),
    )?;
    attach(mount.as_fd(), target)?;
    Ok(mount)
}

/// Whether the directory `fd` holds nothing.
fn is_empty_dir(fd: BorrowedFd<'_>) -> Result<bool, Errno> {
    use core::mem::MaybeUninit;
    let dir = readable(fd)?;
    let mut buf = [MaybeUninit::<u8>::uninit(); 256];
    let mut entries = rustix::fs::RawDir::new(&dir, &mut buf);
    while let Some(entry) = entries.next() {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Opens the file `name` of the procfs `proc` for writing, and checks it lies on that very
/// mount: a mount over a part of it (a bind of a host file over /proc/sys) would take the write
/// elsewhere (EXDEV then).
fn open_proc_file(proc: BorrowedFd<'_>, name: &CStr) -> Result<OwnedFd, Errno> {
    let flags = OFlags::WRONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW;
    let fd = rustix::fs::openat(proc, name, flags, Mode::empty())?;
    let on = crate::sys::mount::mount_id(fd.as_fd(), Some(proc))?;
    let procfs = rustix::fs::fstatfs(&fd).is_ok_and(|f| f.f_type as u64 == PROC_SUPER_MAGIC);
    match on == crate::sys::mount::mount_id(proc, Some(proc))? && procfs {
        true => Ok(fd),
        false => Err(Errno::XDEV),
    }
}

/// `ID ID 1\n` in `buf`: a map line of one id to itself (no allocation).
fn id_map_line(buf: &mut [u8; 32], id: u32) -> &[u8] {
    let mut digits = [0u8; 10];
    let mut n = id;
    let mut len = 0;
    loop {
        digits[9 - len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let number = &digits[10 - len..];
    let mut at = 0;
    for part in [number, b" ", number, b" 1\n"] {
        buf[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    &buf[..at]
}

fn is_proc(fd: BorrowedFd<'_>) -> bool {
    statfs_of(fd).is_ok_and(|fs| fs.f_type as u64 == PROC_SUPER_MAGIC)
}

/// statfs of the directory `fd` (O_PATH): through a readable descriptor of it, as fstatfs takes
/// O_PATH descriptors only from Linux 3.12.
fn statfs_of(fd: BorrowedFd<'_>) -> Result<rustix::fs::StatFs, Errno> {
    rustix::fs::fstatfs(readable(fd)?)
}

/// The directory `fd` (O_PATH) opened again for reading.
fn readable(fd: BorrowedFd<'_>) -> Result<OwnedFd, Errno> {
    rustix::fs::openat(
        fd,
        c".",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Whether the directory `fd` is the root of a tmpfs carrying inode limit `tag` and holding
/// nothing, as one just mounted does (read through one readable descriptor, with a stack buffer).
fn is_fresh_tmpfs(fd: BorrowedFd<'_>, tag: u64) -> Result<bool, Errno> {
    use core::mem::MaybeUninit;
    let dir = readable(fd)?;
    let fs = rustix::fs::fstatfs(&dir)?;
    if fs.f_type as u64 != TMPFS_MAGIC || fs.f_files as u64 != tag {
        return Ok(false);
    }
    let mut buf = [MaybeUninit::<u8>::uninit(); 256];
    let mut entries = rustix::fs::RawDir::new(&dir, &mut buf);
    while let Some(entry) = entries.next() {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Creates `name` in `dir` as `node`, never following a link: mkdirat, or an exclusive create.
fn create(dir: BorrowedFd<'_>, name: &CStr, node: Node) -> Result<(), Errno> {
    match node {
        Node::Dir(mode) => {
            match rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(mode)) {
                Ok(()) => {}
                Err(Errno::EXIST) => return Ok(()),
                Err(e) => return Err(e),
            }
            // The umask must not trim the requested mode (1777 for /dev/shm).
            let made = rustix::fs::openat(
                dir,
                name,
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            rustix::fs::fchmod(&made, Mode::from_raw_mode(mode))
        }
        Node::File => {
            let flags =
                OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            match rustix::fs::openat(dir, name, flags, Mode::from_raw_mode(0o644)) {
                Ok(_) | Err(Errno::EXIST) => Ok(()),
                Err(e) => Err(e),
            }
        }
    }
}

/// Whether `/` is the initial ramfs (rootfs, a ramfs or tmpfs), which pivot_root cannot leave.
fn on_initial_ramfs() -> bool {
    const RAMFS_MAGIC: u64 = 0x8584_58f6;
    rustix::fs::statfs(c"/").is_ok_and(|fs| matches!(fs.f_type as u64, RAMFS_MAGIC | TMPFS_MAGIC))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn tree_at(dir: &std::path::Path, slots: &'static Slots) -> Tree<'static> {
        let path = std::ffi::CString::new(dir.to_str().unwrap()).unwrap();
        let root = rustix::fs::open(
            path.as_c_str(),
            OFlags::PATH | OFlags::DIRECTORY,
            Mode::empty(),
        )
        .unwrap();
        Tree {
            root: Some(root),
            proc: None,
            cwd: None,
            slots,
        }
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("nsrun-tree-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn ino(fd: &OwnedFd) -> u64 {
        rustix::fs::fstat(fd).unwrap().st_ino
    }

    fn ino_of(p: &std::path::Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        std::fs::symlink_metadata(p).unwrap().ino()
    }

    #[test]
    fn links_stay_inside_the_root() {
        let dir = scratch("links");
        std::fs::create_dir_all(dir.join("var")).unwrap();
        std::fs::create_dir_all(dir.join("real/run/x")).unwrap();
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        symlink("/real/run", dir.join("var/run")).unwrap();
        symlink("../../..", dir.join("real/run/up")).unwrap();
        symlink("loop", dir.join("loop")).unwrap();
        symlink("real", dir.join("rel")).unwrap();
        let slots = Box::leak(Box::new(Slots::new(0, 1)));
        let t = tree_at(&dir, slots);
        let node = |p: &str| {
            t.find(p.as_bytes(), true, false)
                .unwrap()
                .node
                .map(|f| ino(&f))
        };
        assert_eq!(node("/var/run/x"), Some(ino_of(&dir.join("real/run/x"))));
        assert_eq!(node("/var/run/up/etc"), Some(ino_of(&dir.join("etc"))));
        assert_eq!(node("/rel/./run/x/"), Some(ino_of(&dir.join("real/run/x"))));
        assert_eq!(
            node("/real/run/x/../../../etc"),
            Some(ino_of(&dir.join("etc")))
        );
        assert_eq!(node("/missing"), None);
        let not_last = t.find(b"/var/run", false, false).unwrap();
        assert_eq!(
            not_last.node.map(|f| ino(&f)),
            Some(ino_of(&dir.join("var/run")))
        );
        assert_eq!(t.find(b"/loop", true, false).err(), Some(Errno::LOOP));
        assert_eq!(t.find(b"/missing/a", true, false).err(), Some(Errno::NOENT));
        assert_eq!(t.find(b"/", true, false).err(), Some(Errno::BUSY));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn nothing_is_created_outside_nsrun_filesystems() {
        let dir = scratch("create");
        let slots = Box::leak(Box::new(Slots::new(0, 1)));
        let t = tree_at(&dir, slots);
        assert_eq!(t.mkdir(b"/a/b", 0o700).err(), Some(Errno::NOENT));
        assert_eq!(t.ensure(b"/f", Node::File).err(), Some(Errno::NOENT));
        assert_eq!(t.symlink(c"x", b"/l").err(), Some(Errno::NOENT));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "nothing made");
        // Treat the scratch filesystem as nsrun's own: now it may create, with parents and modes.
        use std::os::unix::fs::MetadataExt;
        slots.ours[0].0.set(std::fs::metadata(&dir).unwrap().dev());
        t.mkdir(b"/a/b", 0o700).unwrap();
        let mode = std::fs::metadata(dir.join("a/b")).unwrap().mode() & 0o7777;
        assert_eq!(mode, 0o700);
        t.ensure(b"/a/f", Node::File).unwrap();
        assert!(dir.join("a/f").is_file());
        t.symlink(c"b", b"/a/l").unwrap();
        t.symlink(c"b", b"/a/l").unwrap();
        assert_eq!(t.symlink(c"other", b"/a/l").err(), Some(Errno::EXIST));
        // A destination under a link on the tree is followed, as the kernel would.
        t.mkdir(b"/a/l/c", 0o755).unwrap();
        assert!(dir.join("a/b/c").is_dir());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The kernel's own resolution inside a root (openat2 RESOLVE_IN_ROOT, Linux 5.6), as the
    /// reference the walk must agree with: the inode found, or None when missing.
    fn kernel_in_root(root: &OwnedFd, path: &str) -> Result<Option<u64>, Errno> {
        let c = std::ffi::CString::new(path).unwrap();
        loop {
            // EAGAIN: a rename or mount elsewhere on the machine (another test) raced the
            // kernel's lookup, which RESOLVE_IN_ROOT then refuses to trust: ask again.
            match crate::sys::testing::open_in_root(root.as_fd(), &c) {
                Ok(fd) => return Ok(Some(ino(&fd))),
                Err(Errno::NOENT) => return Ok(None),
                Err(Errno::AGAIN) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    use crate::testing::Rng;

    /// Random trees of directories, files and links (absolute, relative, `..`, loops, dangling),
    /// random paths through them: the walk finds what the kernel finds inside the root, or fails
    /// where it fails, and never panics or leaves the root.
    #[test]
    fn walk_agrees_with_the_kernels_resolution_in_root() {
        const NAMES: [&str; 5] = ["a", "b", "c", "d", "e"];
        const TARGETS: [&str; 14] = [
            "/",
            "/a",
            "/a/b",
            "..",
            "../..",
            "../../../..",
            "a",
            "b/c",
            ".",
            "/missing",
            "/a/../b",
            "../a/./b",
            "/e",
            "c/../../a",
        ];
        let slots = Box::leak(Box::new(Slots::new(0, 0)));
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut compared = 0;
        for tree_no in 0..12 {
            let dir = scratch(&format!("prop{tree_no}"));
            // Build: a few levels, each entry a directory, a file or a link.
            let mut dirs = vec![dir.clone()];
            for level in 0..3 {
                let mut next = Vec::new();
                for d in &dirs {
                    for name in NAMES {
                        let p = d.join(name);
                        match rng.bits() % 4 {
                            0 | 1 if level < 2 => {
                                std::fs::create_dir(&p).unwrap();
                                next.push(p);
                            }
                            2 => std::fs::write(&p, "f").unwrap(),
                            _ => symlink(rng.pick(&TARGETS), &p).unwrap(),
                        }
                    }
                }
                dirs = next;
            }
            let t = tree_at(&dir, slots);
            let root = rustix::fs::open(
                std::ffi::CString::new(dir.to_str().unwrap())
                    .unwrap()
                    .as_c_str(),
                OFlags::PATH | OFlags::DIRECTORY,
                Mode::empty(),
            )
            .unwrap();
            for _ in 0..300 {
                let depth = 1 + rng.bits() % 5;
                let mut path = String::new();
                for _ in 0..depth {
                    path.push('/');
                    path.push_str(rng.pick(&["a", "b", "c", "d", "e", "..", ".", "x"]));
                }
                let ours = t.find(path.as_bytes(), true, false);
                let kernel = kernel_in_root(&root, &path);
                match (ours, kernel) {
                    (Ok(f), Ok(k)) => {
                        assert_eq!(f.node.map(|n| ino(&n)), k, "{path} in {}", dir.display());
                        compared += 1;
                    }
                    // The root itself has no parent and name: the walk says EBUSY.
                    (Err(Errno::BUSY), Ok(Some(k))) => assert_eq!(k, ino(&root), "{path}"),
                    // A missing directory on the way: ENOENT for the walk, missing for the kernel.
                    (Err(Errno::NOENT), Ok(None)) => {}
                    (Err(a), Err(b)) => assert_eq!(a, b, "{path} in {}", dir.display()),
                    (a, b) => panic!(
                        "{path} in {}: walk {:?}, kernel {b:?}",
                        dir.display(),
                        a.map(|f| f.node.map(|n| ino(&n)))
                    ),
                }
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
        assert!(compared > 1000, "only {compared} paths resolved");
    }
}
