//! The state store: one entry per named container under a state directory, shared by `run
//! --name`, `list`, `kill`, `wait`, `enter` (and later the OCI runtime's create, start, state,
//! kill and delete).
//!
//! The directory is resolved once into a descriptor (refused unless it belongs to the caller and
//! nobody else may write in it); every file is reached from that descriptor with the *at() calls.
//! An entry is the file named as its container, replaced whole by renameat from a temporary
//! `.tmp.NAME.PID` written beside it, so a reader sees the old text or the new one, never a part.
//! Whatever decides a name's owner (creating an entry, replacing a stopped one, removing a stale
//! one) does so holding an exclusive flock on the directory, after reading the entry again under
//! it: two runs with one name cannot both win, and a cleaner never removes an entry that another
//! run made meanwhile. The launcher's own updates of its entry need no lock: nobody else takes a
//! name whose launcher is alive.
//!
//! An entry is *stale* when it is not stopped and neither its PID 1 nor its launcher is the
//! process it names (gone, or the pid now belongs to a process with another start time): the next
//! command that meets it removes it, and never signals anything because of it.

pub mod entry;
pub mod launch;
pub mod ops;
pub mod proc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{AtFlags, FlockOperation, Mode, OFlags};
use rustix::io::Errno;

pub use entry::{Entry, Ns, Status};

use crate::out::Bytes;
use crate::status;
use crate::sys;

/// A failure of the store: its line (without `nsrun: `) and the exit status.
#[derive(Debug)]
pub struct Error {
    /// The message.
    pub line: String,
    /// The exit status ([`status::SETUP_FAILED`], [`status::USAGE`], [`NOT_FOUND`]).
    pub code: i32,
}

impl Error {
    fn new(line: String, code: i32) -> Error {
        Error { line, code }
    }

    fn io(what: &str, e: Errno, hint: Option<&str>) -> Error {
        Error::new(crate::report::line(what, e, hint), status::SETUP_FAILED)
    }

    /// [`Error::io`] of the step `verb` (with its trailing space) on `shown`.
    #[inline(never)]
    fn at(verb: &str, shown: &str, e: Errno) -> Error {
        Error::io(&crate::out::cat(&[verb, shown]), e, None)
    }
}

/// The exit status of `kill`, `wait` (and `enter`) for a name with no live container.
pub const NOT_FOUND: i32 = 1;

/// What the container's process writes into its fifo right before execve(2): a byte no line
/// holds. A line after it is execve's failure; a line without it, a failure before (a
/// startContainer hook, a lock of its own); nothing at all, an end before execve without a
/// word (a kill).
pub const EXEC_MARK: &[u8] = b"\0";

/// The name the container's process takes at the end of `create`, until execve gives it the
/// program's ([`in_execve`]).
pub const RELEASED_COMM: &core::ffi::CStr = c"nsrun-released";

/// The process said it reached execve: whether execve itself killed it (SIGSYS with its
/// released name still on it: a seccomp rule of the config that kills execve) or the program
/// was executed. execve closes the descriptors before it renames the process: a moment is
/// allowed for that. Any other end is the program's (or looks like it: a crash).
fn in_execve(pid: i32) -> Released {
    const SIGSYS: u32 = 31;
    for _ in 0..100 {
        match proc::comm_and_signal(pid) {
            Some((comm, state)) if comm.as_slice() == RELEASED_COMM.to_bytes() => {
                match state {
                    Some(SIGSYS) => return Released::Failed(
                        b"nsrun: execve killed it (signal 31, SIGSYS: a seccomp rule kills execve)"
                            .to_vec(),
                    ),
                    Some(_) => return Released::Started,
                    // Still in execve.
                    None => {}
                }
            }
            _ => return Released::Started,
        }
        let _ = rustix::thread::nanosleep(&rustix::time::Timespec {
            tv_sec: 0,
            tv_nsec: 1_000_000,
        });
    }
    Released::Started
}

/// What the released process did, once its descriptor of the fifo is closed: `said`, what it
/// left in the fifo (None: it could not be read back, no procfs). A line counts only if the
/// process has ended (a process that runs its program did not write it: someone with its
/// credentials did). Without a pidfd (before Linux 5.3) the line is believed.
fn released(said: Option<alloc::vec::Vec<u8>>, pidfd: Option<OwnedFd>, pid: i32) -> Released {
    let Some(data) = said else {
        return Released::Started;
    };
    let (reached, line) = match data.iter().rposition(|&b| b == EXEC_MARK[0]) {
        Some(i) => (true, &data[i + 1..]),
        None => (false, &data[..]),
    };
    if line.is_empty() {
        if reached {
            return in_execve(pid);
        }
        // It ended before execve without a word: killed (a SIGKILL while a hook ran).
        let mut line = b"nsrun: it ended before its program ran".to_vec();
        if let Some((_, Some(signal))) = proc::comm_and_signal(pid).filter(|(_, s)| *s != Some(0)) {
            line.extend_from_slice(b" (killed by signal ");
            entry::decimal(&mut line, u64::from(signal));
            line.push(b')');
        }
        return Released::Failed(line);
    }
    match pidfd {
        Some(p) if !sys::fd::readable_within(p.as_fd(), 1000).unwrap_or(false) => Released::Started,
        _ => Released::Failed(line.to_vec()),
    }
}

/// At most `size` bytes of `fd`, a file of the store whose size is final (written, then
/// renamed into place): no read for the end of file.
fn read_sized(fd: rustix::fd::BorrowedFd<'_>, size: usize) -> Result<Vec<u8>, Errno> {
    let mut text = alloc::vec![0u8; size];
    let mut got = 0;
    while got < size {
        match crate::sys::fd::read(fd, &mut text[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    text.truncate(got);
    Ok(text)
}

/// What [`Store::release_fifo`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Released {
    /// Nobody waited on the fifo (none, or no reader): started already, or ending.
    NoOne,
    /// The process was released and has executed its program (or was still about to when the
    /// wait ended).
    Started,
    /// The process was released and ended before its program ran; its line (`nsrun: ...`).
    Failed(alloc::vec::Vec<u8>),
}

/// How long `start` waits for the released process to execute its command (see
/// [`Store::release_fifo`]); past it, `start` returns anyway: the process was released.
pub const START_WAIT_MS: u64 = 10_000;

/// The longest name.
pub const NAME_MAX: usize = 64;

/// Checks a container name: 1 to 64 bytes of ASCII letters, digits, `_`, `.` and `-`, starting
/// with a letter or a digit. So no `/`, no `.` or `..`, no leading `-` (read as an option) and no
/// leading `.` (the store's own temporary files), and not digits only (`nsrun enter 123` takes
/// those for a PID, so such a container could never be entered by its name).
pub fn check_name(name: &[u8]) -> Result<(), String> {
    let ok = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    let why = if name.is_empty() {
        "is empty"
    } else if name.len() > NAME_MAX {
        "is longer than 64 bytes"
    } else if !name[0].is_ascii_alphanumeric() {
        "must start with a letter or a digit"
    } else if !name.iter().all(|&b| ok(b)) {
        "may hold only letters, digits, '_', '.' and '-'"
    } else if name.iter().all(u8::is_ascii_digit) {
        "is digits only (nsrun enter would take it for a PID)"
    } else {
        return Ok(());
    };
    let mut line = String::from("container name '");
    crate::out::push_shown(&mut line, name);
    line.push_str("' ");
    line.push_str(why);
    Err(line)
}

/// The longest OCI container id: the entry's file name, with room for the fifo's `.fifo.`.
pub const ID_MAX: usize = 240;

/// Checks an OCI container id (as runc's validateID: letters, digits, `_`, `+`, `-` and `.`),
/// or any name [`check_name`] accepts: 1 to [`ID_MAX`] bytes, not starting with `.` (the store's
/// own files) or `-` (read as an option). Digits only are allowed (podman's ids are hex).
pub fn check_id(id: &[u8]) -> Result<(), String> {
    let ok = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'+');
    let why = if id.is_empty() {
        "is empty"
    } else if id.len() > ID_MAX {
        "is longer than 240 bytes"
    } else if matches!(id[0], b'.' | b'-') {
        "must not start with '.' or '-'"
    } else if !id.iter().all(|&b| ok(b)) {
        "may hold only letters, digits, '_', '+', '.' and '-'"
    } else {
        return Ok(());
    };
    let mut line = String::from("container name or id '");
    crate::out::push_shown(&mut line, id);
    line.push_str("' ");
    line.push_str(why);
    Err(line)
}

/// Where a container is, as the store tells it from its entry and /proc.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Life {
    /// Its PID 1 is the process the entry names (created or running).
    Alive,
    /// Its PID 1 is gone but its launcher lives and is about to record the exit status.
    Ending,
    /// It has ended with this status (as the launcher recorded it).
    Stopped(i32),
    /// An OCI container whose process has ended: no launcher stays to record a status.
    Gone,
    /// Nothing the entry names exists any more (see the module's text).
    Stale,
    /// Its pids belong to another PID namespace than the one this process reads /proc in (a
    /// container sharing the state directory, or no procfs on /proc), or its start times to
    /// another time namespace (another boot clock): nothing can be told of them here, so it is
    /// neither signalled, waited for, entered, replaced nor removed.
    Elsewhere,
}

/// Whether a new entry (of the OCI runtime's `create` when `oci`) may replace `old`: a stale
/// one always, a stopped one unless either is an OCI container's (an OCI id stays taken until
/// `delete`, even once its container has ended), a live one never.
pub fn replaceable(old: &Entry, oci: bool) -> bool {
    match life(old) {
        Life::Alive | Life::Ending | Life::Elsewhere => false,
        Life::Stale => true,
        Life::Stopped(_) | Life::Gone => !oci && !old.oci,
    }
}

/// The failure for an entry of [`Life::Elsewhere`].
pub fn elsewhere(name: &[u8]) -> Error {
    Error::new(
        format!(
            "container '{}' was started in another PID namespace than this /proc shows, or in \
             another time namespace (hint: run nsrun where it was started, with that PID \
             namespace's procfs on /proc)",
            Bytes(name)
        ),
        status::SETUP_FAILED,
    )
}

/// What the store tells of `e`, from /proc.
pub fn life(e: &Entry) -> Life {
    if e.status() == Status::Stopped {
        return Life::Stopped(e.exit.unwrap_or(0));
    }
    if proc::pid_ns() != Some(e.pid_ns) {
        return Life::Elsewhere;
    }
    // Start times read in another time namespace are other numbers (a boot clock offset):
    // nothing can be told of the processes by them here.
    if e.time_ns != 0 && proc::time_ns().unwrap_or(0) != e.time_ns {
        return Life::Elsewhere;
    }
    if proc::is(e.pid, e.pid_start) {
        Life::Alive
    } else if e.oci && e.launcher == 0 {
        Life::Gone
    } else if proc::started_by(e.launcher, e.launcher_start) {
        Life::Ending
    } else {
        Life::Stale
    }
}

/// The store's lock, held from before clone until a named run's entry is written: taken on the
/// store's own descriptor (the launcher has it open anyway) and released explicitly
/// ([`Store::release`]), since the child holds a copy of that descriptor until it executes. While
/// it is held, the launcher takes no other lock of the store (one on a descriptor of its own
/// would wait for this one).
pub struct Held(());

/// The open state directory.
pub struct Store {
    dir: OwnedFd,
    /// On tmpfs (as /run is on most systems), where a rename over an entry is the cheapest
    /// replacement.
    tmpfs: bool,
    /// Its path, for messages.
    pub path: Vec<u8>,
}

/// The value of `key` in `env`.
pub fn getenv<'a>(env: &[&'a [u8]], key: &str) -> Option<&'a [u8]> {
    env.iter().find_map(|kv| {
        kv.strip_prefix(key.as_bytes())
            .and_then(|rest| rest.strip_prefix(b"="))
    })
}

/// The state directory's path: `given` (`--state-dir`), else $NSRUN_STATE_DIR, else /run/nsrun
/// for root and $XDG_RUNTIME_DIR/nsrun for other users.
pub fn dir_path(given: Option<&[u8]>, env: &[&[u8]], euid: u32) -> Result<Vec<u8>, Error> {
    if let Some(dir) = given {
        return Ok(dir.to_vec());
    }
    if let Some(dir) = getenv(env, "NSRUN_STATE_DIR").filter(|d| !d.is_empty()) {
        return Ok(dir.to_vec());
    }
    if euid == 0 {
        return Ok(b"/run/nsrun".to_vec());
    }
    match getenv(env, "XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        Some(dir) => {
            let mut p = dir.to_vec();
            p.extend_from_slice(b"/nsrun");
            Ok(p)
        }
        None => Err(Error::new(
            String::from(
                "no state directory: XDG_RUNTIME_DIR is not set (hint: give --state-dir DIR or \
                 set NSRUN_STATE_DIR, a directory of yours that others cannot write)",
            ),
            status::SETUP_FAILED,
        )),
    }
}

/// The store in `nsrun`, a subdirectory of `parent` (at `path`, owned by `euid` and not writable
/// by others) that only its owner may open: made if missing, opened without following a link,
/// refused unless it is a directory of `euid`'s with no access for others.
fn private_below(parent: OwnedFd, mut path: Vec<u8>, euid: u32) -> Result<Store, Error> {
    path.extend_from_slice(b"/nsrun");
    let shown = || {
        let mut s = String::from("state directory ");
        crate::out::push_shown(&mut s, &path);
        s
    };
    match rustix::fs::mkdirat(&parent, "nsrun", Mode::RWXU) {
        Ok(()) | Err(Errno::EXIST) => {}
        Err(e) => return Err(Error::io(&crate::out::cat(&["create ", &shown()]), e, None)),
    }
    let dir = rustix::fs::openat(
        &parent,
        "nsrun",
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| Error::at("open ", &shown(), e))?;
    let st = rustix::fs::fstat(&dir).map_err(|e| Error::at("", &shown(), e))?;
    if st.st_uid != euid || st.st_mode & 0o077 != 0 {
        return Err(Error::new(
            format!(
                "{} is not private to uid {euid} (owner {}, mode {:o}) (hint: remove it; nsrun \
                 makes it again, mode 700)",
                shown(),
                st.st_uid,
                st.st_mode & 0o7777
            ),
            status::SETUP_FAILED,
        ));
    }
    Ok(Store::new(dir, path))
}

impl Store {
    fn new(dir: OwnedFd, path: Vec<u8>) -> Store {
        // TMPFS_MAGIC (statfs(2)).
        let tmpfs = rustix::fs::fstatfs(&dir).is_ok_and(|f| f.f_type == 0x0102_1994);
        Store { dir, path, tmpfs }
    }

    /// Opens the state directory (see [`dir_path`]), making its last component (mode 0700) when
    /// it is missing; refuses one that is not the caller's or that others may write or read.
    pub fn open(given: Option<&[u8]>, env: &[&[u8]]) -> Result<Store, Error> {
        let euid = rustix::process::geteuid().as_raw();
        let path = dir_path(given, env, euid)?;
        let shown = || {
            let mut s = String::from("state directory ");
            crate::out::push_shown(&mut s, &path);
            s
        };
        let open = || {
            rustix::fs::open(
                path.as_slice(),
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
        };
        let dir = match open() {
            Err(Errno::NOENT) => {
                match rustix::fs::mkdir(path.as_slice(), Mode::RWXU) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => {
                        let hint = (e == Errno::NOENT).then_some("its parent directory must exist");
                        return Err(Error::io(&crate::out::cat(&["create ", &shown()]), e, hint));
                    }
                }
                open()
            }
            other => other,
        }
        .map_err(|e| Error::at("open ", &shown(), e))?;
        let st = rustix::fs::fstat(&dir).map_err(|e| Error::at("", &shown(), e))?;
        if st.st_uid != euid {
            return Err(Error::new(
                format!(
                    "{} belongs to uid {}, not to you (uid {euid}) (hint: use a directory of \
                     your own, with --state-dir DIR)",
                    shown(),
                    st.st_uid
                ),
                status::SETUP_FAILED,
            ));
        }
        if st.st_mode & 0o022 != 0 {
            return Err(Error::new(
                format!(
                    "{} may be written by others (mode {:o}) (hint: chmod go-w it)",
                    shown(),
                    st.st_mode & 0o7777
                ),
                status::SETUP_FAILED,
            ));
        }
        // Whoever may open it may flock it, and hold the lock every run --name waits for: in a
        // directory others may read (as an engine's --root often is, 0755), the store is a
        // private subdirectory `nsrun` of it, made here and checked as the directory would be.
        if st.st_mode & 0o044 != 0 {
            return private_below(dir, path, euid);
        }
        Ok(Store::new(dir, path))
    }

    /// The directory's descriptor (the launcher keeps it open past its descriptor sweep).
    pub fn fd(&self) -> rustix::fd::BorrowedFd<'_> {
        self.dir.as_fd()
    }

    fn shown(&self, name: &[u8]) -> String {
        let mut s = crate::out::shown(&self.path);
        s.push('/');
        crate::out::push_shown(&mut s, name);
        s
    }

    /// Holds the directory's lock until the returned descriptor is dropped (on a descriptor of
    /// its own: a lock on the store's would be shared by the launcher's child, which holds a copy).
    fn lock(&self) -> Result<OwnedFd, Error> {
        let fd = rustix::fs::openat(
            &self.dir,
            c".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .and_then(|fd| rustix::fs::flock(&fd, FlockOperation::LockExclusive).map(|()| fd))
        .map_err(|e| Error::at("lock ", &crate::out::shown(&self.path), e))?;
        Ok(fd)
    }

    /// Takes the directory's lock for a named run, before its child is cloned: the read of its
    /// name's entry under it is the deciding one, and the entry is written under it
    /// ([`Store::write`]) before it is released ([`Held::release`]), so no second read is needed.
    pub fn hold_lock(&self) -> Result<Held, Error> {
        rustix::fs::flock(&self.dir, FlockOperation::LockExclusive)
            .map_err(|e| Error::at("lock ", &crate::out::shown(&self.path), e))?;
        Ok(Held(()))
    }

    /// Releases the lock [`Store::hold_lock`] took (for every copy of the descriptor).
    pub fn release(&self, held: Held) {
        let Held(()) = held;
        let _ = rustix::fs::flock(&self.dir, FlockOperation::Unlock);
    }

    /// The entry named `name` as it is on disk: None when there is none.
    pub fn read(&self, name: &[u8]) -> Result<Option<Entry>, Error> {
        let bad = |why: &str| {
            Error::new(
                crate::out::cat(&[
                    &self.shown(name),
                    ": ",
                    why,
                    " (hint: remove it if no container of that name runs)",
                ]),
                status::SETUP_FAILED,
            )
        };
        let fd = match rustix::fs::openat(
            &self.dir,
            name,
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) => {
                return Err(bad("not a state entry (a symbolic link, not followed)"))
            }
            Err(e) => return Err(Error::at("open ", &self.shown(name), e)),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| Error::at("", &self.shown(name), e))?;
        if st.st_mode & libc::S_IFMT != libc::S_IFREG || st.st_size > 1 << 20 {
            return Err(bad(
                "not a state entry (not a regular file of at most 1 MiB)",
            ));
        }
        // An entry's file is complete once it has its name (written, then renamed there), so
        // its size is final: no read for the end of file.
        let text = read_sized(fd.as_fd(), st.st_size as usize)
            .map_err(|e| Error::at("read ", &self.shown(name), e))?;
        match Entry::decode(&text) {
            Some(e) if e.name == name => Ok(Some(e)),
            _ => Err(bad("not a state entry nsrun can read")),
        }
    }

    /// Writes `e` as the entry of its name, replacing whatever is there (write a temporary file,
    /// renameat it over the entry).
    pub fn write(&self, e: &Entry) -> Result<(), Error> {
        self.write_kept(e).map(drop)
    }

    /// [`Store::write`], and the written file's descriptor (open for writing, at its end), for
    /// the [`Store::append_end`] of the launcher that wrote it.
    pub fn write_kept(&self, e: &Entry) -> Result<OwnedFd, Error> {
        let mut tmp = b".tmp.".to_vec();
        tmp.extend_from_slice(&e.name);
        tmp.push(b'.');
        entry::decimal(
            &mut tmp,
            rustix::process::getpid().as_raw_nonzero().get() as u64,
        );
        let fail = |what: &str, err| Error::at(what, &self.shown(&e.name), err);
        let kept = self
            .write_tmp(&tmp, &e.encode())
            .map_err(|err| fail("write ", err))?;
        // The new text takes the entry's place in one step. An entry already there is swapped
        // out (RENAME_EXCHANGE) and its old text, now under the temporary name, removed: ext4
        // answers a rename *over* a file by starting writeback of the new one (auto_da_alloc),
        // which costs milliseconds, and /run is ext4 where it is no tmpfs. Where the filesystem
        // cannot exchange (EINVAL), a plain rename replaces it.
        use rustix::fs::RenameFlags;
        let (old, new) = (tmp.as_slice(), e.name.as_slice());
        let swapped = match self.tmpfs {
            // No writeback to start on tmpfs: the plain rename replaces in one call.
            true => Err(Errno::INVAL),
            false => {
                rustix::fs::renameat_with(&self.dir, old, &self.dir, new, RenameFlags::EXCHANGE)
            }
        };
        let moved = match swapped {
            Ok(()) => Ok(()),
            // Nothing there yet, or no exchange on this filesystem.
            Err(Errno::NOENT | Errno::INVAL | Errno::NOSYS) => {
                rustix::fs::renameat(&self.dir, old, &self.dir, new)
            }
            Err(err) => Err(err),
        };
        let _ = match moved {
            // After an exchange the temporary name holds the old text.
            Ok(()) if swapped.is_ok() => rustix::fs::unlinkat(&self.dir, old, AtFlags::empty()),
            Ok(()) => Ok(()),
            Err(err) => {
                let _ = rustix::fs::unlinkat(&self.dir, old, AtFlags::empty());
                return Err(fail("rename into place ", err));
            }
        };
        Ok(kept)
    }

    /// Records the end of the container whose entry `kept` is ([`Store::write_kept`], by this
    /// launcher): one line, `ended CODE`, appended in one write(2), where a rewrite would take
    /// four calls (a temporary file, its text, its close, the rename). A reader in the middle
    /// of the write sees the entry without it or with an unfinished last line, which
    /// [`Entry::decode`] leaves out: either way the launcher is alive, so the entry reads as a
    /// container that is ending ([`Life::Ending`]), never as a stale one.
    pub fn append_end(&self, kept: &OwnedFd, code: i32) -> Result<(), Errno> {
        let mut line = b"ended ".to_vec();
        let code = code.clamp(0, 255) as u64;
        entry::decimal(&mut line, code);
        line.push(b'\n');
        match rustix::io::write(kept, &line)? {
            n if n == line.len() => Ok(()),
            _ => Err(Errno::IO),
        }
    }

    /// Makes `e` the entry of its name, unless a container of that name is alive or ending: a
    /// stopped entry (or a stale one) is replaced. Decided under the directory's lock. Returns
    /// the written file's descriptor, as [`Store::write_kept`].
    pub fn create(&self, e: &Entry) -> Result<OwnedFd, Error> {
        let _lock = self.lock()?;
        if let Some(old) = self.read(&e.name)? {
            if !replaceable(&old, e.oci) {
                return Err(self.taken(&old));
            }
        }
        self.write_kept(e)
    }

    /// The line for a name that a live container holds, or one of another PID namespace.
    pub fn taken(&self, old: &Entry) -> Error {
        if life(old) == Life::Elsewhere {
            return elsewhere(&old.name);
        }
        if old.oci {
            return Error::new(
                crate::out::around(
                    "container with id exists: ",
                    &old.name,
                    " (hint: nsrun delete it first)",
                ),
                status::SETUP_FAILED,
            );
        }
        Error::new(
            format!(
                "a container named '{}' exists (pid {}, entry {}) (hint: choose another name, or \
                 nsrun kill it first)",
                Bytes(&old.name),
                old.pid,
                self.shown(&old.name)
            ),
            status::SETUP_FAILED,
        )
    }

    /// Removes the entry of `name` if, read again under the lock, `still` holds for it.
    fn remove_if(&self, name: &[u8], still: impl Fn(&Entry) -> bool) -> Result<bool, Error> {
        let _lock = self.lock()?;
        let e_was_oci = match self.read(name)? {
            Some(e) if still(&e) => e.oci,
            _ => return Ok(false),
        };
        match rustix::fs::unlinkat(&self.dir, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => {}
            Err(e) => return Err(Error::at("remove ", &self.shown(name), e)),
        }
        // An OCI create killed after its entry was written leaves its fifo (and config) too.
        if e_was_oci {
            self.remove_fifo(name);
        }
        Ok(true)
    }

    /// Writes `text` to the new file `tmp` of the store (mode 0600, not following a link),
    /// whole; on failure nothing of it is left.
    fn write_tmp(&self, tmp: &[u8], text: &[u8]) -> Result<OwnedFd, Errno> {
        let fd = rustix::fs::openat(
            &self.dir,
            tmp,
            OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::RUSR | Mode::WUSR,
        )?;
        let mut rest = text;
        while !rest.is_empty() {
            match rustix::io::write(&fd, rest) {
                Ok(n) => rest = &rest[n..],
                Err(Errno::INTR) => {}
                Err(err) => {
                    let _ = rustix::fs::unlinkat(&self.dir, tmp, AtFlags::empty());
                    return Err(err);
                }
            }
        }
        Ok(fd)
    }

    /// The name of the copy of an OCI container's config.json kept from `create`: `.config.ID`
    /// beside its entry. `exec` reads this copy, never the bundle's file again: whoever can
    /// write the bundle after `create` (the container itself, when its root is the bundle)
    /// does not decide what a later `exec` gets (capabilities, seccomp filter, user).
    pub fn config_name(id: &[u8]) -> Vec<u8> {
        [&b".config."[..], id].concat()
    }

    /// Keeps `text`, the config.json `create` read, for `exec` (mode 0600; written beside, then
    /// renamed over what a killed `create` left).
    pub fn save_config(&self, id: &[u8], text: &[u8]) -> Result<(), Error> {
        let name = Self::config_name(id);
        let tmp = [&b".tmp"[..], &name].concat();
        let fail = |verb: &str, e| Error::at(verb, &self.shown(&name), e);
        self.write_tmp(&tmp, text).map_err(|e| fail("write ", e))?;
        rustix::fs::renameat(&self.dir, tmp.as_slice(), &self.dir, name.as_slice()).map_err(|e| {
            let _ = rustix::fs::unlinkat(&self.dir, tmp.as_slice(), AtFlags::empty());
            fail("write ", e)
        })
    }

    /// The config.json kept for `id` by [`Store::save_config`] (a regular file of at most
    /// 4 MiB, not followed if a link).
    pub fn saved_config(&self, id: &[u8]) -> Result<Vec<u8>, Error> {
        let name = Self::config_name(id);
        let fd = rustix::fs::openat(
            &self.dir,
            name.as_slice(),
            OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
            Mode::empty(),
        )
        .map_err(|e| Error::at("read ", &self.shown(&name), e))?;
        let st = rustix::fs::fstat(&fd).map_err(|e| Error::at("", &self.shown(&name), e))?;
        if st.st_mode & libc::S_IFMT != libc::S_IFREG || st.st_size > 4 << 20 {
            return Err(Error::new(
                crate::out::cat(&[&self.shown(&name), ": not a regular file of at most 4 MiB"]),
                status::SETUP_FAILED,
            ));
        }
        read_sized(fd.as_fd(), st.st_size as usize)
            .map_err(|e| Error::at("read ", &self.shown(&name), e))
    }

    /// The name of the fifo an OCI container created and not started waits on: `.fifo.ID`
    /// beside its entry (a leading `.`, so no command takes it for an entry).
    pub fn fifo_name(id: &[u8]) -> Vec<u8> {
        [&b".fifo."[..], id].concat()
    }

    /// Makes the fifo of `id` (mode 0600), replacing one a killed `create` left.
    pub fn make_fifo(&self, id: &[u8]) -> Result<(), Error> {
        let _lock = self.lock()?;
        let name = Self::fifo_name(id);
        let make = || rustix::fs::mkfifoat(&self.dir, name.as_slice(), Mode::RUSR | Mode::WUSR);
        let made = match make() {
            Err(Errno::EXIST) => {
                let _ = rustix::fs::unlinkat(&self.dir, name.as_slice(), AtFlags::empty());
                make()
            }
            other => other,
        };
        made.map_err(|e| Error::at("mkfifo ", &self.shown(&name), e))
    }

    /// Opens the fifo of `id` for reading and writing (never blocking, not following a link), for
    /// the process that waits on it.
    pub fn open_fifo(&self, id: &[u8]) -> Result<OwnedFd, Error> {
        let name = Self::fifo_name(id);
        rustix::fs::openat(
            &self.dir,
            name.as_slice(),
            OFlags::RDWR | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::at("open ", &self.shown(&name), e))
    }

    /// Releases the process waiting on the fifo of `id`: removes the fifo (once: concurrent
    /// callers, one wins), writes one byte without blocking and waits (at most
    /// [`START_WAIT_MS`]) until the process has executed its command: its descriptor of the
    /// fifo, the only reader, is close-on-exec, so the kernel reports POLLERR on this writer once
    /// execve(2) is done (or the process died). So `start` returns with the command running, not
    /// merely released: a `kill` right after it reaches the command, not nsrun's code before exec
    /// (and OCI `poststart` hooks run after the program is executed). Under an init the fifo is
    /// closed once the command is started. A process that fails after the release (its
    /// startContainer hook, a lock of its own, execve) writes why into the fifo before it ends:
    /// this writer's descriptor keeps what it wrote, read back through a second, reading open of
    /// the same fifo ([`Released::Failed`]).
    pub fn release_fifo(&self, id: &[u8], pid: i32, start: u64) -> Result<Released, Error> {
        let name = Self::fifo_name(id);
        let fd = match rustix::fs::openat(
            &self.dir,
            name.as_slice(),
            OFlags::WRONLY | OFlags::NONBLOCK | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        ) {
            Ok(fd) => fd,
            Err(Errno::NOENT | Errno::NXIO) => return Ok(Released::NoOne),
            Err(e) => return Err(Error::at("open ", &self.shown(&name), e)),
        };
        let st = rustix::fs::fstat(&fd).map_err(|e| Error::at("", &self.shown(&name), e))?;
        if st.st_mode & libc::S_IFMT != libc::S_IFIFO {
            return Err(Error::new(
                crate::out::cat(&[&self.shown(&name), ": not a fifo"]),
                status::SETUP_FAILED,
            ));
        }
        // The fifo's removal is the claim: of two `start`s that both opened it, only the one
        // whose unlink succeeds writes; the other finds it gone, as if it came second. Under
        // the lock, and only while the name is still the fifo opened here: a container of the
        // same id created since (after a delete) keeps its own ([`Store::make_fifo`] locks too).
        {
            let _lock = self.lock()?;
            match rustix::fs::statat(&self.dir, name.as_slice(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(now) if (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino) => {}
                Ok(_) | Err(Errno::NOENT) => return Ok(Released::NoOne),
                Err(e) => return Err(Error::at("", &self.shown(&name), e)),
            }
            match rustix::fs::unlinkat(&self.dir, name.as_slice(), AtFlags::empty()) {
                Ok(()) => {}
                Err(Errno::NOENT) => return Ok(Released::NoOne),
                Err(e) => return Err(Error::at("remove ", &self.shown(&name), e)),
            }
        }
        // A pidfd of the process (Linux 5.3), taken before it is released and checked to be
        // the entry's: its end tells a failure from a program that runs.
        let pidfd = rustix::process::Pid::from_raw(pid)
            .and_then(|p| rustix::process::pidfd_open(p, rustix::process::PidfdFlags::empty()).ok())
            .filter(|_| proc::is(pid, start));
        let wrote = loop {
            match rustix::io::write(&fd, b"0") {
                Err(Errno::INTR) => continue,
                other => break other,
            }
        };
        match wrote {
            Ok(_) => match sys::fd::wait_readers_gone(fd.as_fd(), START_WAIT_MS) {
                true => Ok(released(sys::fd::read_back(fd.as_fd()), pidfd, pid)),
                false => Ok(Released::Started),
            },
            Err(Errno::PIPE) => Ok(Released::NoOne),
            Err(e) => Err(Error::at("write ", &self.shown(&name), e)),
        }
    }

    /// Removes the fifo of `id` and its kept config.json, if any.
    pub fn remove_fifo(&self, id: &[u8]) {
        for name in [Self::fifo_name(id), Self::config_name(id)] {
            let _ = rustix::fs::unlinkat(&self.dir, name.as_slice(), AtFlags::empty());
        }
    }

    /// Removes the entry `e` (and its fifo) if it is still the same (same PID 1 and start
    /// time): `delete`.
    pub fn delete(&self, e: &Entry) -> Result<bool, Error> {
        // The fifo and kept config go with the entry, under the lock, only if it is still the
        // same container ([`Store::remove_if`]): never those of one created since.
        self.remove_if(&e.name, |now| {
            now.pid == e.pid && now.pid_start == e.pid_start
        })
    }

    /// Sets the status of the entry of `e`'s name, as it is now on disk (what else changed since
    /// `e` was read stays), if it is still the same container (same PID 1 and start time), under
    /// the lock; false (nothing written) if it is gone or another's now.
    pub fn set_status(&self, e: &Entry, status: Status) -> Result<bool, Error> {
        let _lock = self.lock()?;
        match self.read(&e.name)? {
            Some(mut now) if now.pid == e.pid && now.pid_start == e.pid_start => {
                now.status = Some(status);
                self.write(&now).map(|()| true)
            }
            _ => Ok(false),
        }
    }

    /// Writes `e` over its entry if that is still the same container (same PID 1 and start
    /// time), under the lock; false (nothing written) if it is gone or another's now.
    pub fn update(&self, e: &Entry) -> Result<bool, Error> {
        let _lock = self.lock()?;
        match self.read(&e.name)? {
            Some(now) if now.pid == e.pid && now.pid_start == e.pid_start => {
                self.write(e).map(|()| true)
            }
            _ => Ok(false),
        }
    }

    /// Removes the entry of `name` if it is (still) stale.
    pub fn remove_stale(&self, name: &[u8]) -> Result<bool, Error> {
        self.remove_if(name, |e| life(e) == Life::Stale)
    }

    /// Removes the entry `e` if it is still the same (same PID 1 and start time): the launcher's
    /// last act, or `wait` collecting a stopped entry.
    pub fn remove(&self, e: &Entry) -> Result<bool, Error> {
        self.remove_if(&e.name, |now| {
            now.pid == e.pid && now.pid_start == e.pid_start && now.status == e.status
        })
    }

    /// The entry of `name` unless it is stale (then it is removed): the lookup of `kill`,
    /// `wait` and `enter`. Its [`life`] may be [`Life::Alive`], [`Life::Ending`] or
    /// [`Life::Stopped`]; check [`Entry::pid`] against [`Entry::pid_start`] again (with
    /// [`proc::is`], or [`ops::Target::open`]) right before acting on it.
    pub fn find(&self, name: &[u8]) -> Result<Option<Entry>, Error> {
        check_id(name).map_err(|line| Error::new(line, status::USAGE))?;
        let Some(e) = self.read(name)? else {
            return Ok(None);
        };
        if life(&e) == Life::Stale {
            return self.unless_stale(name);
        }
        Ok(Some(e))
    }

    /// After `name`'s entry looked stale: removes it if it still is under the lock, else (its
    /// launcher recorded the end and exited between the read and the process checks) the entry
    /// as it is now.
    fn unless_stale(&self, name: &[u8]) -> Result<Option<Entry>, Error> {
        match self.remove_stale(name)? {
            true => Ok(None),
            false => self.read(name),
        }
    }

    /// Every entry, by name, with stale ones removed (an unreadable file is reported in
    /// `bad` and left alone).
    pub fn list(&self) -> Result<(Vec<Entry>, Vec<Error>), Error> {
        let read = |e| Error::at("read ", &crate::out::shown(&self.path), e);
        // A descriptor of its own (the store's offset stays where it is), read with getdents
        // into a buffer on the stack; the directory gone meanwhile (ENOENT) ends the list.
        let dir = rustix::fs::openat(
            &self.dir,
            c".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(read)?;
        let mut buf = [core::mem::MaybeUninit::<u8>::uninit(); 4096];
        let mut entries = rustix::fs::RawDir::new(&dir, &mut buf);
        let mut names = Vec::new();
        while let Some(d) = entries.next() {
            let d = match d {
                Ok(d) => d,
                Err(Errno::INTR) => continue,
                Err(Errno::NOENT) => break,
                Err(e) => return Err(read(e)),
            };
            let name = d.file_name().to_bytes();
            if check_id(name).is_ok() {
                // Kept in order as they come (a directory holds a few dozen): no sort routine.
                let at = names.partition_point(|n: &Vec<u8>| n.as_slice() <= name);
                names.insert(at, name.to_vec());
            }
        }
        let (mut live, mut bad) = (Vec::new(), Vec::new());
        for name in names {
            match self.read(&name) {
                Ok(Some(e)) if life(&e) == Life::Stale => {
                    if let Some(now) = self.unless_stale(&name)? {
                        live.push(now);
                    }
                }
                Ok(Some(e)) => live.push(e),
                Ok(None) => {}
                Err(e) => bad.push(e),
            }
        }
        Ok((live, bad))
    }
}

#[cfg(test)]
mod tests;
