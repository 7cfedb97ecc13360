//! The words of a mount's `options`, as runc reads them: mount flags set or cleared, propagation
//! changes in order, recursive attributes (`rro`, `rnosuid`, ... for mount_setattr with
//! AT_RECURSIVE), runc's `tmpcopyup`, and everything else joined with commas into the data string
//! handed to the filesystem (`mode=755`, `size=65536k`, `newinstance`, `gid=5`, and a word nsrun
//! does not know either, which the filesystem then judges, as with runc).

use alloc::string::String;

use super::read::At;
use super::Error;

/// `MS_RDONLY`.
pub const MS_RDONLY: u64 = 0x1;
/// `MS_NOSUID`.
pub const MS_NOSUID: u64 = 0x2;
/// `MS_NODEV`.
pub const MS_NODEV: u64 = 0x4;
/// `MS_NOEXEC`.
pub const MS_NOEXEC: u64 = 0x8;
/// `MS_SYNCHRONOUS`.
pub const MS_SYNCHRONOUS: u64 = 0x10;
/// `MS_REMOUNT`.
pub const MS_REMOUNT: u64 = 0x20;
/// `MS_MANDLOCK`.
pub const MS_MANDLOCK: u64 = 0x40;
/// `MS_DIRSYNC`.
pub const MS_DIRSYNC: u64 = 0x80;
/// `MS_NOSYMFOLLOW` (Linux 5.10).
pub const MS_NOSYMFOLLOW: u64 = 0x100;
/// `MS_NOATIME`.
pub const MS_NOATIME: u64 = 0x400;
/// `MS_NODIRATIME`.
pub const MS_NODIRATIME: u64 = 0x800;
/// `MS_BIND`.
pub const MS_BIND: u64 = 0x1000;
/// `MS_REC`.
pub const MS_REC: u64 = 0x4000;
/// `MS_SILENT`.
pub const MS_SILENT: u64 = 0x8000;
/// `MS_POSIXACL`.
pub const MS_POSIXACL: u64 = 0x1_0000;
/// `MS_UNBINDABLE`.
pub const MS_UNBINDABLE: u64 = 0x2_0000;
/// `MS_PRIVATE`.
pub const MS_PRIVATE: u64 = 0x4_0000;
/// `MS_SLAVE`.
pub const MS_SLAVE: u64 = 0x8_0000;
/// `MS_SHARED`.
pub const MS_SHARED: u64 = 0x10_0000;
/// `MS_RELATIME`.
pub const MS_RELATIME: u64 = 0x20_0000;
/// `MS_I_VERSION`.
pub const MS_I_VERSION: u64 = 0x80_0000;
/// `MS_STRICTATIME`.
pub const MS_STRICTATIME: u64 = 0x100_0000;
/// `MS_LAZYTIME`.
pub const MS_LAZYTIME: u64 = 0x200_0000;

/// `MOUNT_ATTR_RDONLY`.
pub const ATTR_RDONLY: u64 = 0x1;
/// `MOUNT_ATTR_NOSUID`.
pub const ATTR_NOSUID: u64 = 0x2;
/// `MOUNT_ATTR_NODEV`.
pub const ATTR_NODEV: u64 = 0x4;
/// `MOUNT_ATTR_NOEXEC`.
pub const ATTR_NOEXEC: u64 = 0x8;
/// `MOUNT_ATTR__ATIME`: the mask of the three access-time modes.
pub const ATTR_ATIME: u64 = 0x70;
/// `MOUNT_ATTR_NOATIME`.
pub const ATTR_NOATIME: u64 = 0x10;
/// `MOUNT_ATTR_STRICTATIME`.
pub const ATTR_STRICTATIME: u64 = 0x20;
/// `MOUNT_ATTR_NODIRATIME`.
pub const ATTR_NODIRATIME: u64 = 0x80;
/// `MOUNT_ATTR_NOSYMFOLLOW`.
pub const ATTR_NOSYMFOLLOW: u64 = 0x20_0000;

/// What a word does.
#[derive(Clone, Copy)]
enum Does {
    /// Sets these MS_* flags (and takes them out of the cleared ones).
    Set(u64),
    /// Clears these MS_* flags (and remembers that they were cleared: a bind remount needs it).
    Clear(u64),
    /// A propagation change (MS_PRIVATE ..., with MS_REC for the r- forms).
    Propagate(u64),
    /// Sets these MOUNT_ATTR_* on the mount and every mount below it.
    RecSet(u64),
    /// Clears these MOUNT_ATTR_* on the mount and every mount below it.
    RecClear(u64),
    /// The access-time mode of the mount and every mount below it (`rrelatime` ...).
    RecAtime(u64),
    /// runc's `tmpcopyup`.
    CopyUp,
    /// Refused: its row in [`super::REFUSED`].
    Refuse(&'static str),
}

/// The words runc knows, with what they do (the mount(8) names, runc's table).
const WORDS: &[(&str, Does)] = &[
    ("defaults", Does::Set(0)),
    ("ro", Does::Set(MS_RDONLY)),
    ("rw", Does::Clear(MS_RDONLY)),
    ("nosuid", Does::Set(MS_NOSUID)),
    ("suid", Does::Clear(MS_NOSUID)),
    ("nodev", Does::Set(MS_NODEV)),
    ("dev", Does::Clear(MS_NODEV)),
    ("noexec", Does::Set(MS_NOEXEC)),
    ("exec", Does::Clear(MS_NOEXEC)),
    ("sync", Does::Set(MS_SYNCHRONOUS)),
    ("async", Does::Clear(MS_SYNCHRONOUS)),
    ("dirsync", Does::Set(MS_DIRSYNC)),
    ("remount", Does::Set(MS_REMOUNT)),
    ("mand", Does::Set(MS_MANDLOCK)),
    ("nomand", Does::Clear(MS_MANDLOCK)),
    ("noatime", Does::Set(MS_NOATIME)),
    ("atime", Does::Clear(MS_NOATIME)),
    ("nodiratime", Does::Set(MS_NODIRATIME)),
    ("diratime", Does::Clear(MS_NODIRATIME)),
    ("relatime", Does::Set(MS_RELATIME)),
    ("norelatime", Does::Clear(MS_RELATIME)),
    ("strictatime", Does::Set(MS_STRICTATIME)),
    ("nostrictatime", Does::Clear(MS_STRICTATIME)),
    ("lazytime", Does::Set(MS_LAZYTIME)),
    ("nolazytime", Does::Clear(MS_LAZYTIME)),
    ("iversion", Does::Set(MS_I_VERSION)),
    ("noiversion", Does::Clear(MS_I_VERSION)),
    ("acl", Does::Set(MS_POSIXACL)),
    ("noacl", Does::Clear(MS_POSIXACL)),
    ("silent", Does::Set(MS_SILENT)),
    ("loud", Does::Clear(MS_SILENT)),
    ("nosymfollow", Does::Set(MS_NOSYMFOLLOW)),
    ("symfollow", Does::Clear(MS_NOSYMFOLLOW)),
    ("bind", Does::Set(MS_BIND)),
    ("rbind", Does::Set(MS_BIND | MS_REC)),
    ("private", Does::Propagate(MS_PRIVATE)),
    ("rprivate", Does::Propagate(MS_PRIVATE | MS_REC)),
    ("shared", Does::Propagate(MS_SHARED)),
    ("rshared", Does::Propagate(MS_SHARED | MS_REC)),
    ("slave", Does::Propagate(MS_SLAVE)),
    ("rslave", Does::Propagate(MS_SLAVE | MS_REC)),
    ("unbindable", Does::Propagate(MS_UNBINDABLE)),
    ("runbindable", Does::Propagate(MS_UNBINDABLE | MS_REC)),
    ("rro", Does::RecSet(ATTR_RDONLY)),
    ("rrw", Does::RecClear(ATTR_RDONLY)),
    ("rnosuid", Does::RecSet(ATTR_NOSUID)),
    ("rsuid", Does::RecClear(ATTR_NOSUID)),
    ("rnodev", Does::RecSet(ATTR_NODEV)),
    ("rdev", Does::RecClear(ATTR_NODEV)),
    ("rnoexec", Does::RecSet(ATTR_NOEXEC)),
    ("rexec", Does::RecClear(ATTR_NOEXEC)),
    ("rnodiratime", Does::RecSet(ATTR_NODIRATIME)),
    ("rdiratime", Does::RecClear(ATTR_NODIRATIME)),
    ("rnosymfollow", Does::RecSet(ATTR_NOSYMFOLLOW)),
    ("rsymfollow", Does::RecClear(ATTR_NOSYMFOLLOW)),
    ("rrelatime", Does::RecAtime(0)),
    ("rnoatime", Does::RecAtime(ATTR_NOATIME)),
    ("rstrictatime", Does::RecAtime(ATTR_STRICTATIME)),
    ("tmpcopyup", Does::CopyUp),
    ("idmap", Does::Refuse("mounts[].options idmap")),
    ("ridmap", Does::Refuse("mounts[].options ridmap")),
];

/// The option words nsrun knows (for `features`), idmap and ridmap included (refused).
pub fn words() -> impl Iterator<Item = &'static str> {
    WORDS.iter().map(|w| w.0)
}

/// A mount's options, decoded.
#[derive(Clone, Default, PartialEq, Eq, Debug)]
pub struct Options {
    /// The MS_* flags for mount(2) (`ro`, `nosuid`, `bind`, `rbind` as MS_BIND|MS_REC, ...).
    pub flags: u64,
    /// The MS_* flags the options cleared by name (`rw`, `suid`, `dev`, `exec`, `atime`, ...): a
    /// bind mount, remounted to apply its flags, must clear these and keep the rest it has.
    pub cleared: u64,
    /// The propagation changes, in order (MS_PRIVATE, MS_SHARED, MS_SLAVE or MS_UNBINDABLE,
    /// with MS_REC for the `r` forms).
    pub propagation: alloc::vec::Vec<u64>,
    /// MOUNT_ATTR_* to set on the mount and all below it (`rro`, `rnosuid`, ...).
    pub rec_set: u64,
    /// MOUNT_ATTR_* to clear on the mount and all below it (`rrw`, `rsuid`, ...; an access-time
    /// word clears [`ATTR_ATIME`] and sets its mode).
    pub rec_clear: u64,
    /// `tmpcopyup` (runc's): the tmpfs gets a copy of what the directory under it held.
    pub copy_up: bool,
    /// The other words, comma separated, for the filesystem (`mode=755,size=65536k`).
    pub data: String,
}

/// Decodes the words of `mounts[n].options` (`at`), in order: a later word wins over an
/// earlier one (`ro` then `rw` is writable).
pub(super) fn options(words: &[crate::json::Value], at: &At) -> Result<Options, Error> {
    let mut out = Options::default();
    for (i, value) in words.iter().enumerate() {
        let at = at.index(i);
        let word = super::read::string(value, &at)?;
        match WORDS.iter().find(|(name, _)| *name == word).map(|w| w.1) {
            Some(Does::Set(flag)) => {
                out.flags |= flag;
                out.cleared &= !flag;
            }
            Some(Does::Clear(flag)) => {
                out.flags &= !flag;
                out.cleared |= flag;
            }
            Some(Does::Propagate(flag)) => out.propagation.push(flag),
            Some(Does::RecSet(attr)) => {
                out.rec_set |= attr;
                out.rec_clear &= !attr;
            }
            Some(Does::RecClear(attr)) => {
                out.rec_clear |= attr;
                out.rec_set &= !attr;
            }
            Some(Does::RecAtime(mode)) => {
                out.rec_clear |= ATTR_ATIME;
                out.rec_set = (out.rec_set & !ATTR_ATIME) | mode;
            }
            Some(Does::CopyUp) => out.copy_up = true,
            Some(Does::Refuse(row)) => return Err(super::refused(&at, row)),
            None if word.is_empty() => {}
            None => {
                if !out.data.is_empty() {
                    out.data.push(',');
                }
                out.data.push_str(word);
            }
        }
    }
    Ok(out)
}
